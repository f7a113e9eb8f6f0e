// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for the benchmark report generator (bench/report*.c): parsing
 * of gmem-bench lines, grouping, the ratios and the target verdicts.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static struct report *rp;

static void setup(void)
{
	rp = calloc(1, sizeof(*rp));
	cr_assert_not_null(rp);
	rpt_init(rp);
}

static void teardown(void)
{
	rpt_free(rp);
	free(rp);
}

static void add(const char *line)
{
	struct rrow r;

	cr_assert_eq(rpt_parse_line(line, &r), 1, "%s", line);
	cr_assert_eq(rpt_add(rp, &r), 0);
}

/* A matrix row with the fields the report reads. */
static void bench(const char *w, int stride, int tenants, double os, const char *pol,
		  double h2d, double d2h, double faults, double model_us, double min_bytes)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line),
		     "BENCH label=matrix workload=%s stride=%d oversub=%.2f tenants=%d policy=%s "
		     "h2d_bytes=%.0f d2h_bytes=%.0f dev_faults=%.0f model_us=%.3f checksum=ab "
		     "wall_ms=1.0", w, stride, os, tenants, pol, h2d, d2h, faults, model_us);
	if (!isnan(min_bytes))
		snprintf(line + n, sizeof(line) - (size_t)n, " min_bytes=%.0f", min_bytes);
	add(line);
}

Test(report, parse_line)
{
	struct rrow r;

	cr_expect_eq(rpt_parse_line("# a comment\n", &r), 0);
	cr_expect_eq(rpt_parse_line("BENCHX a=1\n", &r), 0);
	cr_expect_eq(rpt_parse_line("BENCH novalue\n", &r), -EINVAL);
	cr_expect_eq(rpt_parse_line("BENCH =1\n", &r), -EINVAL);
	cr_assert_eq(rpt_parse_line("BENCH a=1 b=x a=2 c=3.5\r\n", &r), 1);
	cr_expect_eq(r.kind, RPT_BENCH);
	cr_expect_str_eq(rrow_get(&r, "a"), "1");
	cr_expect_str_eq(rrow_get(&r, "b"), "x");
	cr_expect_float_eq(rrow_num(&r, "c"), 3.5, 1e-9);
	cr_expect(isnan(rrow_num(&r, "b")));
	cr_expect(isnan(rrow_num(&r, "missing")));
	cr_expect_null(rrow_get(&r, "missing"));
	rrow_free(&r);
	cr_assert_eq(rpt_parse_line("META accel=tcg\n", &r), 1);
	cr_expect_eq(r.kind, RPT_META);
	rrow_free(&r);
}

Test(report, grouping_and_policy_order, .init = setup, .fini = teardown)
{
	bench("llm_custom", 0, 1, 2, "zzz_mine", 1, 1, 1, 1, NAN);
	bench("stride", -7, 1, 2, "llm_layer", 1, 1, 1, 1, NAN);
	bench("llm-decode", 0, 2, 2, "uvm_like", 1, 1, 1, 1, NAN);
	bench("stride", -7, 1, 2, "builtin", 1, 1, 1, 1, 100);
	cr_expect_str_eq(rp->rows[1].wkey, "stride-7");
	cr_expect_str_eq(rp->rows[2].wkey, "llm-decode x2");
	/* Shipped policies in their fixed order, others after them. */
	cr_assert_eq(rp->npol, 4);
	cr_expect_str_eq(rp->pol[0], "builtin");
	cr_expect_str_eq(rp->pol[1], "uvm_like");
	cr_expect_str_eq(rp->pol[2], "llm_layer");
	cr_expect_str_eq(rp->pol[3], "zzz_mine");
	cr_expect_not_null(rpt_find(rp, "stride-7", 2, "llm_layer"));
	cr_expect_null(rpt_find(rp, "stride-7", 3, "llm_layer"));
	/* MIN comes from whichever row of the group carries it. */
	cr_expect_float_eq(rpt_min_bytes(rp, "stride-7", 2), 100, 1e-9);
	cr_expect(isnan(rpt_min_bytes(rp, "llm-decode x2", 2)));
}

static int verdict_of(const char *prefix)
{
	struct rpt_target t[RPT_MAX_TARGETS];
	int n = rpt_targets(rp, t, RPT_MAX_TARGETS), i;

	for (i = 0; i < n; i++)
		if (!strncmp(t[i].what, prefix, strlen(prefix)))
			return t[i].verdict;
	return -2;
}

Test(report, targets_met_missed_and_missing, .init = setup, .fini = teardown)
{
	/* Decode at 2x: llm_layer 1.05x MIN, uvm_like 2x llm_layer's bytes. */
	bench("llm-decode", 0, 1, 2, "builtin", 150, 50, 10, 100, 200);
	bench("llm-decode", 0, 1, 2, "uvm_like", 300, 120, 10, 100, NAN);
	bench("llm-decode", 0, 1, 2, "llm_layer", 110, 100, 10, 100, NAN);
	/* Decode at 3x: llm_layer 1.2x MIN: missed. */
	bench("llm-decode", 0, 1, 3, "builtin", 100, 100, 10, 100, 100);
	bench("llm-decode", 0, 1, 3, "llm_layer", 60, 60, 10, 100, NAN);
	/* Training at 2x: 1.5x better modelled time only: missed. */
	bench("llm-train", 0, 1, 2, "uvm_like", 1, 1, 1, 150, NAN);
	bench("llm-train", 0, 1, 2, "llm_layer", 1, 1, 1, 100, NAN);

	cr_expect_eq(verdict_of("llm_layer within 1.10x of MIN: llm-decode at 2x"), 1);
	cr_expect_eq(verdict_of("llm_layer within 1.10x of MIN: llm-decode at 3x"), 0);
	cr_expect_eq(verdict_of("llm_layer within 1.10x of MIN: llm-train at 2x"), -1);
	cr_expect_eq(verdict_of("llm_layer migrates >= 1.8x fewer bytes"), 1);
	cr_expect_eq(verdict_of("llm_layer modelled time >= 1.6x better"), 0);
	cr_expect_eq(verdict_of("stride_prefetch takes fewer device faults than builtin and "
				"uvm_like: stride+1"), -1);
	/* 1.5x has no rows: it is left out rather than reported as missing. */
	cr_expect_eq(verdict_of("llm_layer within 1.10x of MIN: llm-decode at 1.5x"), -2);
}

/* The whole of DIR/NAME, NUL-terminated; the caller frees it. */
static char *slurp(const char *dir, const char *name)
{
	char path[256], *buf = calloc(1, 8192);
	FILE *f;

	cr_assert_not_null(buf);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	fread(buf, 1, 8191, f);
	fclose(f);
	return buf;
}

/* Remove what rpt_write_plot() wrote, then the directory. */
static void rmfiles(const char *dir)
{
	static const char *const names[] = { "bytes_2x.dat", "time_llm-train.dat",
					     "time_llm-decode.dat", "plot.gp" };
	char path[256];
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

Test(report, markdown_and_plot_files, .init = setup, .fini = teardown)
{
	char dir[] = "/tmp/gmem-report-XXXXXX", path[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	add("META accel=tcg stamp=s1");
	bench("seq", 0, 1, 2, "builtin", 100, 100, 3, 50, 200);
	bench("seq", 0, 1, 2, "uvm_like", 200, 200, 3, 100, NAN);
	add("BENCH label=matrix workload=seq stride=0 oversub=2.00 tenants=1 policy=lru_cold "
	    "h2d_bytes=100 d2h_bytes=100 model_us=50 checksum=cd");
	add("BW label=bw bytes=1000 block_size=4096 h2d_gbps=1 d2h_gbps=2 memcpy_gbps=4"
	    " h2d_vs_kref=0.07 hint_h2d_vs_kref=0.2 d2h_vs_kref=0.25");
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(rpt_write_markdown(rp, f, "plot.svg"), 0);
	fclose(f);
	cr_expect_not_null(strstr(buf, "| seq | 2 | 1.00 (0.50) | 2.00 (1.00) | 1.00 (0.50) |"),
			   "%s", buf);
	cr_expect_not_null(strstr(buf, "accel tcg"));
	cr_expect_not_null(strstr(buf, "| 4096 | 0.070 | 0.200 | 0.250 | 1.000 | 2.000 | 4.000 |"),
			  "bandwidth ratios");
	/* lru_cold computed different data: the report must say so. */
	cr_expect_not_null(strstr(buf, "MISMATCH: seq at 2x: lru_cold has cd, expected ab"));
	/* min_bytes without min_dirty_evictions: MIN priced every eviction. */
	cr_expect_not_null(strstr(buf, "predate dirty pricing"), "%s", buf);
	free(buf);

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(rpt_write_plot(rp, dir, "plot.svg"), 0);
	snprintf(path, sizeof(path), "%s/bytes_2x.dat", dir);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	buf = calloc(1, 4096);
	cr_assert_eq(fread(buf, 1, 4095, f) > 0, 1);
	fclose(f);
	cr_expect_str_eq(buf, "workload builtin uvm_like lru_cold\nseq 1.0000 2.0000 1.0000\n");
	free(buf);
	/* Rows that price MIN's dirty evictions only carry their count: no warning. */
	rpt_free(rp);
	rpt_init(rp);
	add("BENCH label=matrix workload=seq stride=0 oversub=2.00 tenants=1 policy=builtin "
	    "h2d_bytes=100 d2h_bytes=100 model_us=50 checksum=ab min_dirty_evictions=0 "
	    "min_bytes=200");
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(rpt_write_markdown(rp, f, "plot.svg"), 0);
	fclose(f);
	cr_expect_null(strstr(buf, "predate dirty pricing"), "%s", buf);
	free(buf);
	/* Only seq ran: one panel, and no reference to the empty llm .dat files. */
	buf = slurp(dir, "plot.gp");
	cr_expect_not_null(strstr(buf, "set multiplot layout 1,1\n"), "%s", buf);
	cr_expect_not_null(strstr(buf, "'bytes_2x.dat'"), "%s", buf);
	cr_expect_null(strstr(buf, "time_llm-train.dat"), "%s", buf);
	cr_expect_null(strstr(buf, "time_llm-decode.dat"), "%s", buf);
	free(buf);
	rmfiles(dir);
}

/* llm-train without a 2x run, then nothing plottable at all. */
Test(report, plot_draws_only_panels_with_data, .init = setup, .fini = teardown)
{
	char dir[] = "/tmp/gmem-report-XXXXXX", *buf;

	cr_assert_not_null(mkdtemp(dir));
	bench("llm-train", 0, 1, 1, "builtin", 100, 100, 3, 50, NAN);
	bench("llm-train", 0, 1, 1.5, "builtin", 100, 100, 3, 70, NAN);
	cr_assert_eq(rpt_write_plot(rp, dir, "plot.svg"), 0);
	buf = slurp(dir, "plot.gp");
	cr_expect_not_null(strstr(buf, "set multiplot layout 1,1\n"), "%s", buf);
	cr_expect_not_null(strstr(buf, "'time_llm-train.dat'"), "%s", buf);
	cr_expect_null(strstr(buf, "bytes_2x.dat"), "%s", buf);
	cr_expect_null(strstr(buf, "time_llm-decode.dat"), "%s", buf);
	free(buf);
	rmfiles(dir);

	/* A bandwidth-only run: no panel, no output, no plot command. */
	teardown();
	setup();
	add("BW label=bw bytes=1000 block_size=4096 h2d_gbps=1 d2h_gbps=2 memcpy_gbps=4");
	bench("random", 0, 1, 1, "builtin", 100, 100, 3, 50, NAN);
	cr_assert_not_null(mkdtemp(strcpy(dir, "/tmp/gmem-report-XXXXXX")));
	cr_assert_eq(rpt_write_plot(rp, dir, "plot.svg"), 0);
	buf = slurp(dir, "plot.gp");
	cr_expect_null(strstr(buf, "plot "), "%s", buf);
	cr_expect_null(strstr(buf, "set output"), "%s", buf);
	free(buf);
	rmfiles(dir);
}
