/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report: turn gmem-bench output into results/<stamp>/report.md and plot data.
 *
 * Input lines (anything else is ignored, so a whole guest console log can be
 * fed in):   BENCH k=v ...   one workload run (gmem-bench)
 *            BW k=v ...      migration bandwidth vs memcpy (gmem-bench -w bw)
 *            META k=v ...    facts about the run (kernel, accel, host, stamp)
 * Values never contain spaces; a repeated key keeps its first value.
 */
#ifndef GMEM_REPORT_H
#define GMEM_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#define RPT_MAX_KV	80
#define RPT_MAX_ROWS	4096
#define RPT_MAX_POL	16

enum rpt_kind { RPT_BENCH = 1, RPT_BW, RPT_META };

struct rrow {
	enum rpt_kind kind;
	int nkv;
	char *buf;			/* owned copy of the line; k[]/v[] point into it */
	char *k[RPT_MAX_KV], *v[RPT_MAX_KV];
	/* BENCH rows: filled by rpt_add() */
	char wkey[48];			/* workload key: "stride-7", "llm-decode x2" */
	double oversub;
	const char *policy;
	const char *label;
};

struct report {
	int nrows;
	struct rrow rows[RPT_MAX_ROWS];
	int npol;
	const char *pol[RPT_MAX_POL];	/* policies in display order */
};

/* 1 if @line is a record and was parsed into @r, 0 if not a record, -errno. */
int rpt_parse_line(const char *line, struct rrow *r);
void rrow_free(struct rrow *r);
const char *rrow_get(const struct rrow *r, const char *key);
/* The value as a number, or NAN when missing or not a number. */
double rrow_num(const struct rrow *r, const char *key);

void rpt_init(struct report *rp);
void rpt_free(struct report *rp);
/* Takes ownership of @r. -E2BIG when full. */
int rpt_add(struct report *rp, struct rrow *r);
/* Reads every record from @f. Returns the number of records or -errno. */
int rpt_load(struct report *rp, FILE *f);

/* The BENCH row of (@wkey, @oversub, @policy) with label "matrix", or NULL. */
const struct rrow *rpt_find(const struct report *rp, const char *wkey, double oversub,
			    const char *policy);
/* The MIN bytes of a group (from whichever of its rows carries min_*), or NAN. */
double rpt_min_bytes(const struct report *rp, const char *wkey, double oversub);
/*
 * The MIN a row is compared with: its own (the MIN of the trace recorded in
 * that very run) when it has one, else its group's. Tenants interleave
 * differently in each run, so their rows need their own.
 */
double rpt_row_min(const struct report *rp, const struct rrow *r);
double rrow_migrated(const struct rrow *r);	/* h2d_bytes + d2h_bytes */

/* One verdict line of the targets. */
struct rpt_target {
	char what[160];
	char measured[160];
	int verdict;			/* 1 met, 0 missed, -1 no data */
};
#define RPT_MAX_TARGETS 24
int rpt_targets(const struct report *rp, struct rpt_target *t, int max);

/* Markdown report; plot data files and the gnuplot script go to @dir. */
int rpt_write_markdown(const struct report *rp, FILE *out, const char *plot_name);
int rpt_write_plot(const struct report *rp, const char *dir, const char *plot_name);

#endif /* GMEM_REPORT_H */
