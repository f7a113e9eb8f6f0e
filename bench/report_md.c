// SPDX-License-Identifier: GPL-2.0
/*
 * report_md.c: the markdown report and the plot (gnuplot script + data).
 *
 * Every number printed comes from a BENCH/BW/META row; missing data prints
 * as "-", never as a guess. No locking: one thread.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define MAX_GROUPS 256

struct group {
	const char *wkey;
	double oversub;
};

static const char *meta(const struct report *rp, const char *key)
{
	const char *v;
	int i;

	for (i = 0; i < rp->nrows; i++)
		if (rp->rows[i].kind == RPT_META && (v = rrow_get(&rp->rows[i], key)))
			return v;
	return "-";
}

/* Distinct (workload, oversub) of the matrix, in first-seen order. */
static int groups(const struct report *rp, struct group *g, int max)
{
	int i, j, n = 0;

	for (i = 0; i < rp->nrows; i++) {
		const struct rrow *r = &rp->rows[i];

		if (r->kind != RPT_BENCH || strcmp(r->label, "matrix"))
			continue;
		for (j = 0; j < n; j++)
			if (!strcmp(g[j].wkey, r->wkey) && fabs(g[j].oversub - r->oversub) < 1e-6)
				break;
		if (j == n && n < max)
			g[n++] = (struct group){ r->wkey, r->oversub };
	}
	return n;
}

static const struct rrow *first_bench(const struct report *rp)
{
	int i;

	for (i = 0; i < rp->nrows; i++)
		if (rp->rows[i].kind == RPT_BENCH)
			return &rp->rows[i];
	return NULL;
}

/* Results from before min_dirty_evictions: their min_bytes priced every eviction. */
static bool min_prices_every_eviction(const struct report *rp)
{
	int i;

	for (i = 0; i < rp->nrows; i++)
		if (rp->rows[i].kind == RPT_BENCH && rrow_get(&rp->rows[i], "min_bytes") &&
		    !rrow_get(&rp->rows[i], "min_dirty_evictions"))
			return true;
	return false;
}

static void fmt_num(char *buf, size_t len, const char *fmt, double v)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, fmt, v);
}

static void write_header(const struct report *rp, FILE *out)
{
	const struct rrow *b = first_bench(rp);

	fprintf(out, "# gmem benchmark report\n\n");
	fprintf(out, "- run: %s (%d records)\n", meta(rp, "stamp"), rp->nrows);
	fprintf(out, "- host: %s, CPU %s\n", meta(rp, "host_kernel"), meta(rp, "host_cpu"));
	fprintf(out, "- guest: kernel %s, accel %s, %s CPUs, %s MiB RAM\n", meta(rp, "guest_kernel"),
		meta(rp, "accel"), meta(rp, "guest_cpus"), meta(rp, "guest_mem_mb"));
	if (b)
		fprintf(out, "- device: %s HBM blocks of %s bytes (gmem block size); "
			"sim module parameters: %s\n", rrow_get(b, "hbm_blocks"),
			rrow_get(b, "block_size"), meta(rp, "sim_params"));
	if (b)
		fprintf(out, "- cost model (fixed before the runs): host link %s GB/s, %s us per "
			"device fault, device compute %s GB/s over touched blocks; modelled time = "
			"compute + faults + transfers not hidden; a prefetched block's copy hides "
			"behind the compute of one earlier block (see docs/benchmarks.md)\n",
			rrow_get(b, "link_gbps"), rrow_get(b, "fault_us"), rrow_get(b, "compute_gbps"));
	fprintf(out, "- MIN: Belady's miss-optimal schedule on the access trace recorded in each "
		"run, priced as the core prices a policy: blocks in + write-backs of victims "
		"written while resident (min_dirty_evictions; clean victims are dropped). A bound "
		"on blocks in, not on in + out (bench/min.h); \"migrated\" is bytes in + out\n");
	if (min_prices_every_eviction(rp))
		fprintf(out, "- **these results predate dirty pricing: their MIN charges every "
			"eviction as a write-back, which flatters every policy's ratio**\n");
	fprintf(out, "- wall times are this VM's (%s), labelled as such; they are not an "
		"accelerator's\n\n", meta(rp, "accel"));
}

static void write_targets(const struct report *rp, FILE *out)
{
	struct rpt_target t[RPT_MAX_TARGETS];
	int n = rpt_targets(rp, t, RPT_MAX_TARGETS), i;
	static const char *const v[] = { "missed", "met" };

	fprintf(out, "## Targets\n\n| target | measured | verdict |\n|---|---|---|\n");
	for (i = 0; i < n; i++)
		fprintf(out, "| %s | %s | %s |\n", t[i].what, t[i].measured,
			t[i].verdict < 0 ? "no data" : v[t[i].verdict]);
	fprintf(out, "\n");
}

static void write_summary(const struct report *rp, FILE *out, const struct group *g, int ng)
{
	char a[32], b[32];
	int i, p;

	fprintf(out, "## Summary: migrated bytes / MIN (modelled time / uvm_like)\n\n");
	fprintf(out, "| workload | oversub |");
	for (p = 0; p < rp->npol; p++)
		fprintf(out, " %s |", rp->pol[p]);
	fprintf(out, "\n|---|---|");
	for (p = 0; p < rp->npol; p++)
		fprintf(out, "---|");
	fprintf(out, "\n");
	for (i = 0; i < ng; i++) {
		const struct rrow *uvm = rpt_find(rp, g[i].wkey, g[i].oversub, "uvm_like");

		fprintf(out, "| %s | %g |", g[i].wkey, g[i].oversub);
		for (p = 0; p < rp->npol; p++) {
			const struct rrow *r = rpt_find(rp, g[i].wkey, g[i].oversub, rp->pol[p]);

			if (!r) {
				fprintf(out, " - |");
				continue;
			}
			fmt_num(a, sizeof(a), "%.2f", rrow_migrated(r) / rpt_row_min(rp, r));
			fmt_num(b, sizeof(b), "%.2f", uvm ? rrow_num(r, "model_us") /
				rrow_num(uvm, "model_us") : NAN);
			fprintf(out, " %s (%s) |", a, b);
		}
		fprintf(out, "\n");
	}
	fprintf(out, "\nMIN of 0 bytes (everything fits) makes the ratio undefined: shown as -.\n\n");
}

static void write_detail_row(FILE *out, const struct rrow *r, double min, const struct rrow *uvm)
{
	char c[8][32];

	fmt_num(c[6], 32, "%.1f", min / 1048576.0);
	fmt_num(c[0], 32, "%.1f", rrow_migrated(r) / 1048576.0);
	fmt_num(c[1], 32, "%.2f", rrow_migrated(r) / min);
	fmt_num(c[2], 32, "%.3f", rrow_num(r, "model_us") / 1000.0);
	fmt_num(c[3], 32, "%.2f", uvm ? rrow_num(r, "model_us") / rrow_num(uvm, "model_us") : NAN);
	fmt_num(c[4], 32, "%.0f", rrow_num(r, "rejects"));
	fmt_num(c[5], 32, "%.0f", rrow_num(r, "wall_ms"));
	fprintf(out, "| %g | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
		r->oversub, r->policy, c[0], c[6], c[1], c[2], c[3], rrow_get(r, "dev_faults"),
		rrow_get(r, "evictions"), rrow_get(r, "prefetch_issued"),
		rrow_get(r, "prefetch_wasted"), c[4], c[5]);
}

static void write_details(const struct report *rp, FILE *out, const struct group *g, int ng)
{
	const char *last = NULL;
	int i, p;

	fprintf(out, "## Details\n");
	for (i = 0; i < ng; i++) {
		const struct rrow *uvm = rpt_find(rp, g[i].wkey, g[i].oversub, "uvm_like");

		if (!last || strcmp(last, g[i].wkey)) {
			fprintf(out, "\n### %s\n\n", g[i].wkey);
			fprintf(out, "| oversub | policy | migrated MiB | MIN MiB | x MIN | modelled ms | "
				"x uvm_like | dev faults | evictions | prefetched | wasted | "
				"rejects | VM wall ms |\n"
				"|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
			last = g[i].wkey;
		}
		for (p = 0; p < rp->npol; p++) {
			const struct rrow *r = rpt_find(rp, g[i].wkey, g[i].oversub, rp->pol[p]);

			if (r)
				write_detail_row(out, r, rpt_row_min(rp, r), uvm);
		}
	}
	fprintf(out, "\n");
}

/* The counters that show two runs made the same decisions. */
static bool same_decisions(const struct rrow *a, const struct rrow *b)
{
	static const char *const keys[] = { "dev_faults", "h2d_blocks", "d2h_blocks",
					    "evictions", "prefetch_issued", "checksum" };
	unsigned int i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *x = rrow_get(a, keys[i]), *y = rrow_get(b, keys[i]);

		if (!x || !y || strcmp(x, y))
			return false;
	}
	return true;
}

struct hook_side {
	int n;
	double sum, min;
};

static void hook_add(struct hook_side *h, double wall)
{
	if (!h->n || wall < h->min)
		h->min = wall;
	h->sum += wall;
	h->n++;
}

/*
 * Hook overhead: rows labelled "hook", built-in C vs the same LRU in BPF.
 * Wall times in a shared TCG guest are noisy, so the fastest run of each side
 * is compared as well as the means, and the kernel's own count of time spent
 * in BPF hooks (POLICY_STATUS hook_ns) gives the share directly.
 */
static void write_hook(const struct report *rp, FILE *out)
{
	struct hook_side side[2] = { { 0 } };
	double calls = 0, ns = 0;
	const struct rrow *first = NULL;
	const char *bpf = NULL;
	int i, differ = 0;

	for (i = 0; i < rp->nrows; i++) {
		const struct rrow *r = &rp->rows[i];
		int is_bpf;

		if (r->kind != RPT_BENCH || strcmp(r->label, "hook"))
			continue;
		if (!first)
			first = r;
		differ += !same_decisions(first, r);
		is_bpf = strcmp(r->policy, "builtin") != 0;
		hook_add(&side[is_bpf], rrow_num(r, "wall_ms"));
		if (is_bpf) {
			bpf = r->policy;
			calls += rrow_num(r, "hook_calls");
			ns += rrow_num(r, "hook_ns");
		}
	}
	fprintf(out, "## Hook overhead (same LRU decisions: built-in C vs BPF)\n\n");
	if (!side[0].n || !side[1].n) {
		fprintf(out, "No data.\n\n");
		return;
	}
	fprintf(out, "| | built-in (C) | %s (BPF) | BPF / C |\n|---|---|---|---|\n", bpf);
	fprintf(out, "| runs | %d | %d | |\n", side[0].n, side[1].n);
	fprintf(out, "| mean VM wall ms | %.1f | %.1f | %.3f |\n", side[0].sum / side[0].n,
		side[1].sum / side[1].n, (side[1].sum / side[1].n) / (side[0].sum / side[0].n));
	fprintf(out, "| fastest VM wall ms | %.1f | %.1f | %.3f |\n", side[0].min, side[1].min,
		side[1].min / side[0].min);
	fprintf(out, "| time in BPF hooks (kernel's count) | 0 | %.1f ms in %.0f calls, %.0f ns "
		"each | %.1f%% of the BPF runs' wall time |\n\n", ns / 1e6, calls,
		calls ? ns / calls : NAN, 100.0 * (ns / 1e6) / side[1].sum);
	fprintf(out, "Workload: %s. Wall times are this guest's under %s (other VMs may share the "
		"host), so they include TCG's cost of running the BPF JIT output. %s\n\n",
		meta(rp, "hook_workload"), meta(rp, "accel"), differ ?
		"**The runs did not make the same decisions (faults, migrations, evictions or "
		"checksum differ), so the ratio compares different work.**" :
		"Every run made the same decisions (equal faults, migrations, evictions and "
		"checksum), so the difference is the hooks' cost.");
}

static void write_bw(const struct report *rp, FILE *out)
{
	int i, any = 0;

	fprintf(out, "## Migration bandwidth vs the kernel copy (same bytes, same guest)\n\n");
	for (i = 0; i < rp->nrows; i++) {
		const struct rrow *r = &rp->rows[i];

		if (r->kind != RPT_BW)
			continue;
		if (!any++)
			fprintf(out, "| bytes | block | in by faults / kernel copy | in by hint / kernel copy "
				"| out / kernel copy | migrate in GB/s | migrate out GB/s | memcpy GB/s |\n"
				"|---|---|---|---|---|---|---|---|\n");
		fprintf(out, "| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
			rrow_get(r, "bytes"), rrow_get(r, "block_size"), rrow_num(r, "h2d_vs_kref"),
			rrow_num(r, "hint_h2d_vs_kref"), rrow_num(r, "d2h_vs_kref"),
			rrow_num(r, "h2d_gbps"), rrow_num(r, "d2h_gbps"), rrow_num(r, "memcpy_gbps"));
	}
	fprintf(out, any ? "\n" : "No data.\n\n");
}

/* Every policy must compute the same data: the TRACE checksums must agree. */
static void write_integrity(const struct report *rp, FILE *out, const struct group *g, int ng)
{
	int i, p, checked = 0, bad = 0, min_bad = 0;

	fprintf(out, "## Data integrity\n\n");
	for (i = 0; i < ng; i++) {
		const char *ref = NULL;

		if (strchr(g[i].wkey, ' '))
			continue;	/* tenants interleave: no fixed checksum */
		for (p = 0; p < rp->npol; p++) {
			const struct rrow *r = rpt_find(rp, g[i].wkey, g[i].oversub, rp->pol[p]);
			const char *cs = r ? rrow_get(r, "checksum") : NULL;

			if (!cs)
				continue;
			/* The access stream, hence its MIN, does not depend on the policy. */
			if (!isnan(rrow_num(r, "min_bytes")) &&
			    rrow_num(r, "min_bytes") != rpt_min_bytes(rp, g[i].wkey, g[i].oversub)) {
				min_bad++;
				fprintf(out, "- MIN differs: %s at %gx under %s\n", g[i].wkey,
					g[i].oversub, rp->pol[p]);
			}
			checked++;
			if (!ref) {
				ref = cs;
			} else if (strcmp(ref, cs)) {
				bad++;
				fprintf(out, "- MISMATCH: %s at %gx: %s has %s, expected %s\n",
					g[i].wkey, g[i].oversub, rp->pol[p], cs, ref);
			}
		}
	}
	fprintf(out, "%s%d runs compared by the device's checksum of every byte it read: "
		"%s.\n\n", bad ? "\n" : "", checked, bad ? "MISMATCHES above" :
		"every policy computed the same data");
	fprintf(out, "Single-tenant runs record the same access stream under every policy, so "
		"their MIN must agree: %s.\n\n", min_bad ? "it does NOT (see above)" : "it does");
}

int rpt_write_markdown(const struct report *rp, FILE *out, const char *plot_name)
{
	struct group *g = calloc(MAX_GROUPS, sizeof(*g));
	int ng;

	if (!g)
		return -ENOMEM;
	ng = groups(rp, g, MAX_GROUPS);
	write_header(rp, out);
	write_targets(rp, out);
	if (plot_name)
		fprintf(out, "![migrated bytes / MIN at 2x, and modelled time vs oversubscription]"
			"(%s)\n\n", plot_name);
	write_summary(rp, out, g, ng);
	write_hook(rp, out);
	write_bw(rp, out);
	write_integrity(rp, out, g, ng);
	write_details(rp, out, g, ng);
	free(g);
	return ferror(out) ? -EIO : 0;
}
