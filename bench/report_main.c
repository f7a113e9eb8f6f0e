// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-report: results/<stamp>/report.md and the plot inputs from the output
 * of a `make bench` guest run.
 *
 *   gmem-report -o DIR [LOG...]     (stdin when no LOG)
 *
 * Writes DIR/report.md, DIR/plot.gp and its .dat files; the caller runs
 * gnuplot in DIR to make DIR/plot.svg. Exit 0, 1 on error, 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static int load_all(struct report *rp, int argc, char **argv)
{
	int i, n;

	if (argc == 0)
		return rpt_load(rp, stdin) < 0 ? -EIO : 0;
	for (i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f) {
			fprintf(stderr, "gmem-report: %s: %s\n", argv[i], strerror(errno));
			return -errno;
		}
		n = rpt_load(rp, f);
		fclose(f);
		if (n < 0) {
			fprintf(stderr, "gmem-report: %s: %s\n", argv[i], strerror(-n));
			return n;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *plot = "plot.svg";
	struct report *rp;
	char path[4096];
	FILE *out;
	int c, err;

	while ((c = getopt(argc, argv, "o:h")) != -1) {
		switch (c) {
		case 'o':
			dir = optarg;
			break;
		case 'h':
			printf("usage: gmem-report -o DIR [LOG...]\n");
			return 0;
		default:
			fprintf(stderr, "usage: gmem-report -o DIR [LOG...]\n");
			return 2;
		}
	}
	if (!dir) {
		fprintf(stderr, "usage: gmem-report -o DIR [LOG...]\n");
		return 2;
	}
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return 1;
	rpt_init(rp);
	err = load_all(rp, argc - optind, argv + optind);
	if (!err && !rp->npol) {
		fprintf(stderr, "gmem-report: no matrix results in the input\n");
		err = -ENODATA;
	}
	if (!err)
		err = rpt_write_plot(rp, dir, plot);
	if (!err) {
		snprintf(path, sizeof(path), "%s/report.md", dir);
		out = fopen(path, "w");
		err = out ? rpt_write_markdown(rp, out, plot) : -errno;
		if (out && fclose(out) && !err)
			err = -EIO;
	}
	if (err)
		fprintf(stderr, "gmem-report: %s\n", strerror(-err));
	rpt_free(rp);
	free(rp);
	return err ? 1 : 0;
}
