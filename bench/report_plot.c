// SPDX-License-Identifier: GPL-2.0
/*
 * report_plot.c: plot data and a gnuplot script (SVG output, which
 * gnuplot-nox always has):
 *   left:  migrated bytes / MIN per workload at 2x, one bar per policy
 *   right: modelled time vs oversubscription for llm-train and llm-decode
 * Only panels with data are drawn. run-bench.sh runs gnuplot on the script. No locking: one thread.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

static const double plot_os[] = { 0.5, 1, 1.5, 2, 3, 4 };

static FILE *open_in(const char *dir, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	return fopen(path, "w");
}

static void put_val(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fprintf(f, " ?");
	else
		fprintf(f, " %.4f", v);
}

static void put_header(const struct report *rp, FILE *f, const char *first)
{
	int p;

	fprintf(f, "%s", first);
	for (p = 0; p < rp->npol; p++)
		fprintf(f, " %s", rp->pol[p]);
	fprintf(f, "\n");
}

/* One row per workload that ran at 2x. */
static int write_bytes(const struct report *rp, FILE *f)
{
	const char *seen[64];
	int i, j, p, n = 0;

	put_header(rp, f, "workload");
	for (i = 0; i < rp->nrows && n < 64; i++) {
		const struct rrow *r = &rp->rows[i];
		char key[48];

		if (r->kind != RPT_BENCH || strcmp(r->label, "matrix") || fabs(r->oversub - 2) > 1e-6)
			continue;
		for (j = 0; j < n && strcmp(seen[j], r->wkey); j++)
			;
		if (j < n)
			continue;
		seen[n++] = r->wkey;
		snprintf(key, sizeof(key), "%s", r->wkey);
		for (j = 0; key[j]; j++)
			if (key[j] == ' ')
				key[j] = '_';
		fprintf(f, "%s", key);
		for (p = 0; p < rp->npol; p++) {
			const struct rrow *x = rpt_find(rp, r->wkey, 2, rp->pol[p]);

			put_val(f, x ? rrow_migrated(x) / rpt_row_min(rp, x) : NAN);
		}
		fprintf(f, "\n");
	}
	return n;
}

/* One row per oversubscription level that ran; returns the number of rows. */
static int write_time(const struct report *rp, FILE *f, const char *wkey)
{
	unsigned int i;
	int p, n = 0;

	put_header(rp, f, "oversub");
	for (i = 0; i < sizeof(plot_os) / sizeof(plot_os[0]); i++) {
		int any = 0;

		for (p = 0; p < rp->npol; p++)
			any |= rpt_find(rp, wkey, plot_os[i], rp->pol[p]) != NULL;
		if (!any)
			continue;
		fprintf(f, "%g", plot_os[i]);
		for (p = 0; p < rp->npol; p++) {
			const struct rrow *x = rpt_find(rp, wkey, plot_os[i], rp->pol[p]);

			put_val(f, x ? rrow_num(x, "model_us") / 1000.0 : NAN);
		}
		fprintf(f, "\n");
		n++;
	}
	return n;
}

/*
 * The script draws only the panels whose .dat file has rows (gnuplot fails
 * on a plot of an empty file, e.g. after BENCH_WORKLOADS=seq); with none it
 * is a comment and sets no output, and run-bench.sh skips gnuplot.
 */
static void write_script(const struct report *rp, FILE *f, const char *plot_name,
			 const int rows[3])
{
	int npanel = !!rows[0] + !!rows[1] + !!rows[2];

	if (!npanel) {
		fprintf(f, "# no plot: no 2x matrix run and no llm-train/llm-decode runs\n");
		return;
	}
	fprintf(f, "set terminal svg size %d,500 dynamic font 'sans,11'\n"
		   "set output '%s'\n"
		   "set termoption noenhanced\n"
		   "set datafile missing '?'\n"
		   "set key autotitle columnhead top left\n"
		   "set grid ytics\n"
		   "set multiplot layout 1,%d\n", 500 * npanel, plot_name, npanel);
	if (rows[0])
		fprintf(f, "set title 'migrated bytes / MIN at 2x oversubscription'\n"
			   "set style data histogram\nset style histogram clustered gap 1\n"
			   "set style fill solid 0.8 border -1\nset xtics rotate by -30\n"
			   "set logscale y\nset yrange [0.8:*]\n"
			   "plot for [i=2:%d] 'bytes_2x.dat' using i:xtic(1)\n", rp->npol + 1);
	if (rows[1] || rows[2])
		fprintf(f, "unset logscale y\nset yrange [0:*]\nset style data linespoints\n"
			   "set xtics norotate\nset xlabel 'working set / HBM'\n"
			   "set ylabel 'modelled ms'\n");
	if (rows[1])
		fprintf(f, "set title 'llm-train: modelled time'\n"
			   "plot for [i=2:%d] 'time_llm-train.dat' using 1:i\n", rp->npol + 1);
	if (rows[2])
		fprintf(f, "set title 'llm-decode: modelled time'\n"
			   "plot for [i=2:%d] 'time_llm-decode.dat' using 1:i\n", rp->npol + 1);
	fprintf(f, "unset multiplot\n");
}

int rpt_write_plot(const struct report *rp, const char *dir, const char *plot_name)
{
	static const char *const files[] = { "bytes_2x.dat", "time_llm-train.dat",
					     "time_llm-decode.dat", "plot.gp" };
	char path[4096];
	int rows[3] = { 0, 0, 0 };
	unsigned int i;
	int err = 0;

	if (!rp->npol)
		return -ENODATA;
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && !err; i++) {
		FILE *f = open_in(dir, files[i], path, sizeof(path));

		if (!f)
			return -errno;
		if (i == 0)
			rows[0] = write_bytes(rp, f);
		else if (i == 1)
			rows[1] = write_time(rp, f, "llm-train");
		else if (i == 2)
			rows[2] = write_time(rp, f, "llm-decode");
		else
			write_script(rp, f, plot_name, rows);
		if (ferror(f))
			err = -EIO;
		if (fclose(f) && !err)
			err = -errno;
	}
	return err;
}
