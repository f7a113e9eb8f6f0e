// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench: run one workload on the simulated accelerator under a policy
 * and print exact counters, the guest's wall time and a modelled time.
 *
 *   gmem-bench -w llm-decode -o 2 [-p llm_layer] [--min] [--trace out.gt]
 *   gmem-bench -w bw            migration bandwidth vs memcpy and the kernel copy
 *   gmem-bench -w evict -o 2    the cost of one evicting device fault (issue 13)
 *
 * Output: one "BENCH key=value ..." line (machine-readable, stable keys) and
 * a human summary on lines starting with "# ". Exit status 0 on success, 1
 * when the run failed, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_policy.h"
#include "bench_run.h"
#include "gtrace.h"
#include "min.h"
#include "model.h"

struct opts {
	struct bench_cfg cfg;
	struct cost_model model;
	const char *workload;
	const char *policy;
	const char *trace_path;
	const char *label;
	uint32_t sim;
	int want_min;
	int quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gmem-bench -w WORKLOAD [options]\n"
		"workloads: seq stride random zipf llm-train llm-decode moe-decode, or bw (bandwidth\n"
		"           vs the kernel copy), evict (per evicting fault; needs -o > 1)\n"
		"  -o, --oversub F       working set = F x HBM (0.25..8, default 2)\n"
		"  -p, --policy NAME     load NAME for the run; 'builtin' insists on no BPF\n"
		"                        policy (default: whatever is in charge now)\n"
		"      --tenants N       N processes at once, F x HBM / N each (1..%d)\n"
		"      --streams N       tenant i runs on device stream i %% N (default 1: all on\n"
		"                        stream 0, one job at a time; see gmem_sim.streams)\n"
		"      --fault-batch N   accesses each device job has in flight, whose faults come\n"
		"                        as one batch (1..%d; default: gmem_sim.fault_batch)\n"
		"      --stride N        stride in blocks, may be negative (stride)\n"
		"      --passes N        passes (seq, stride) or accesses/blocks (random, zipf)\n"
		"      --seed N          seed (random, zipf; tenant i uses seed+i)\n"
		"      --zipf S          zipf exponent (default 1.0)\n"
		"      --layers L        model layers (llm-*, default 8)\n"
		"      --iters K         training iterations / decode tokens (default 2 / 16;\n"
		"                        moe-decode 32)\n"
		"      --experts E       moe-decode: experts per layer (default 8, at most 64)\n"
		"      --topk K          moe-decode: experts per token and layer (default 2)\n"
		"      --skew S          moe-decode: router zipf exponent, 0 uniform (default 1)\n"
		"      --expert-blocks B moe-decode: blocks per expert (default: fit -o)\n"
		"      --sim N           use /dev/gmem_simN (default 0)\n"
		"      --min             record the access trace and compute Belady's MIN\n"
		"      --trace FILE      record the access trace to FILE (gmem-min reads it)\n"
		"      --access-len B    bytes per access (default 64)\n"
		"      --job N           accesses per device job (default %d); tenants'\n"
		"                        jobs interleave on a stream one job at a time\n"
		"      --compute-ns N    per-access compute on the device clock (default: the\n"
		"                        model's t_c, block size / compute GB/s)\n"
		"      --link-gbps X     cost model: host link (default 25)\n"
		"      --fault-us X      cost model: per device fault (default 20)\n"
		"      --compute-gbps X  cost model: device compute rate (default 50)\n"
		"      --label TEXT      copied into the BENCH line\n"
		"  -q, --quiet           only the BENCH line\n", BENCH_MAX_TENANTS, GMEM_SIM_MAX_WINDOW,
		BENCH_JOB_DEFAULT);
}

static int parse_u(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' || *v > max ? -EINVAL : 0;
}

static int parse_d(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end ? -EINVAL : 0;
}

enum { O_TENANTS = 256, O_STRIDE, O_PASSES, O_SEED, O_ZIPF, O_LAYERS, O_ITERS, O_SIM,
       O_MIN, O_TRACE, O_ALEN, O_JOB, O_CNS, O_LINK, O_FAULT, O_CGBPS, O_LABEL,
       O_EXPERTS, O_TOPK, O_SKEW, O_EBLOCKS, O_STREAMS, O_FBATCH };

static int parse_opt(struct opts *o, int c, const char *arg)
{
	struct wl_params *w = &o->cfg.wl;
	uint64_t v = 0;
	long s;
	char *end;

	switch (c) {
	case 'w': o->workload = arg; return 0;
	case 'p': o->policy = arg; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'o': return parse_d(arg, &w->oversub);
	case O_TENANTS:
		if (parse_u(arg, BENCH_MAX_TENANTS, &v) || !v)
			return -EINVAL;
		o->cfg.tenants = (uint32_t)v;
		return 0;
	case O_STREAMS:
		if (parse_u(arg, GMEM_SIM_MAX_STREAMS, &v) || !v)
			return -EINVAL;
		o->cfg.streams = (uint32_t)v;
		return 0;
	case O_FBATCH:
		if (parse_u(arg, GMEM_SIM_MAX_WINDOW, &v) || !v)
			return -EINVAL;
		o->cfg.fault_window = (uint32_t)v;
		return 0;
	case O_STRIDE:
		errno = 0;
		s = strtol(arg, &end, 0);
		if (errno || end == arg || *end || s == 0 || s > INT32_MAX || s < -INT32_MAX)
			return -EINVAL;
		w->stride = (int32_t)s;
		return 0;
	case O_PASSES: return parse_u(arg, 1000, &v) ?: (w->passes = (uint32_t)v, 0);
	case O_SEED: return parse_u(arg, UINT64_MAX, &w->seed);
	case O_ZIPF: return parse_d(arg, &w->zipf_s);
	case O_LAYERS: return parse_u(arg, 1000, &v) ?: (w->layers = (uint32_t)v, 0);
	case O_ITERS: return parse_u(arg, 4096, &v) ?: (w->iters = (uint32_t)v, 0);
	case O_EXPERTS: return parse_u(arg, 64, &v) ?: (w->experts = (uint32_t)v, 0);
	case O_TOPK: return parse_u(arg, 64, &v) ?: (w->topk = (uint32_t)v, 0);
	case O_SKEW: return parse_d(arg, &w->skew);
	case O_EBLOCKS: return parse_u(arg, 1u << 16, &v) ?: (w->expert_blocks = (uint32_t)v, 0);
	case O_SIM: return parse_u(arg, GMEM_MAX_DEVICES - 1, &v) ?: (o->sim = (uint32_t)v, 0);
	case O_MIN: o->want_min = 1; return 0;
	case O_TRACE: o->trace_path = arg; return 0;
	case O_ALEN:
		return parse_u(arg, 1u << 21, &v) || !v ? -EINVAL : (o->cfg.access_len = (uint32_t)v, 0);
	case O_JOB:
		return parse_u(arg, BENCH_JOB_MAX, &v) || !v ? -EINVAL :
		       (o->cfg.job_accesses = (uint32_t)v, 0);
	case O_CNS: return parse_u(arg, UINT32_MAX, &o->cfg.compute_ns);
	case O_LINK: return parse_d(arg, &o->model.link_gbps);
	case O_FAULT: return parse_d(arg, &o->model.fault_us);
	case O_CGBPS: return parse_d(arg, &o->model.compute_gbps);
	case O_LABEL:
		/* It must stay one key=value token of the BENCH line. */
		if (!*arg || strpbrk(arg, " \t\n="))
			return -EINVAL;
		o->label = arg;
		return 0;
	}
	return -EINVAL;
}

/* 0, 1 for --help, or -EINVAL after printing what is wrong. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "oversub", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "tenants", required_argument, NULL, O_TENANTS },
		{ "streams", required_argument, NULL, O_STREAMS },
		{ "fault-batch", required_argument, NULL, O_FBATCH },
		{ "stride", required_argument, NULL, O_STRIDE },
		{ "passes", required_argument, NULL, O_PASSES },
		{ "seed", required_argument, NULL, O_SEED },
		{ "zipf", required_argument, NULL, O_ZIPF },
		{ "layers", required_argument, NULL, O_LAYERS },
		{ "iters", required_argument, NULL, O_ITERS },
		{ "tokens", required_argument, NULL, O_ITERS },
		{ "sim", required_argument, NULL, O_SIM },
		{ "min", no_argument, NULL, O_MIN },
		{ "trace", required_argument, NULL, O_TRACE },
		{ "access-len", required_argument, NULL, O_ALEN },
		{ "job", required_argument, NULL, O_JOB },
		{ "compute-ns", required_argument, NULL, O_CNS },
		{ "link-gbps", required_argument, NULL, O_LINK },
		{ "fault-us", required_argument, NULL, O_FAULT },
		{ "compute-gbps", required_argument, NULL, O_CGBPS },
		{ "label", required_argument, NULL, O_LABEL },
		{ "experts", required_argument, NULL, O_EXPERTS },
		{ "topk", required_argument, NULL, O_TOPK },
		{ "skew", required_argument, NULL, O_SKEW },
		{ "expert-blocks", required_argument, NULL, O_EBLOCKS },
		{ 0 }
	};
	int c;

	/* Workload defaults need the kind, so find -w first. */
	for (c = 1; c < argc - 1; c++)
		if (!strcmp(argv[c], "-w") || !strcmp(argv[c], "--workload"))
			o->workload = argv[c + 1];
	if (o->workload && wl_kind_parse(o->workload))
		wl_defaults(&o->cfg.wl, wl_kind_parse(o->workload));
	while ((c = getopt_long(argc, argv, "w:o:p:qh", lopts, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?' || parse_opt(o, c, optarg)) {
			if (c != '?')
				fprintf(stderr, "gmem-bench: bad value '%s' for %s\n", optarg,
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc || !o->workload) {
		fprintf(stderr, "gmem-bench: %s\n", optind != argc ? "unexpected argument" :
			"no workload (-w)");
		return -EINVAL;
	}
	if (strcmp(o->workload, "bw") && strcmp(o->workload, "evict") &&
	    !wl_kind_parse(o->workload)) {
		fprintf(stderr, "gmem-bench: unknown workload '%s'\n", o->workload);
		return -EINVAL;
	}
	if (!(o->cfg.wl.oversub >= 0.25 && o->cfg.wl.oversub <= 8)) {
		fprintf(stderr, "gmem-bench: --oversub must be within 0.25..8\n");
		return -EINVAL;
	}
	if (cost_model_check(&o->model)) {
		fprintf(stderr, "gmem-bench: cost model rates must be > 0 and latency >= 0\n");
		return -EINVAL;
	}
	o->cfg.trace = o->want_min || o->trace_path;
	/* A trace file is for replay: it carries the run's objects and hints. */
	o->cfg.trace_hints = o->trace_path;
	return 0;
}

struct min_out {
	int have;
	uint64_t records;
	struct min_result min, lru;
};

static int trace_outputs(const struct opts *o, const struct bench_env *env,
			 const struct bench_trace *tr, struct min_out *mo)
{
	struct gtrace t = { .recs = tr->recs };
	uint64_t *keys;
	uint8_t *writes;
	long n;
	int err;

	t.hdr.nr_records = tr->nr;
	mo->records = gtrace_nr_accesses(&t);
	if (o->trace_path) {
		struct gtrace_writer w;

		err = gtrace_create(&w, o->trace_path, env->block_size, env->hbm_blocks);
		if (!err) {
			err = gtrace_append(&w, tr->recs, tr->nr);
			err = gtrace_close(&w, tr->dropped) ?: err;
		}
		if (err) {
			fprintf(stderr, "gmem-bench: writing %s: %s\n", o->trace_path, strerror(-err));
			return err;
		}
	}
	if (!o->want_min)
		return 0;
	n = gtrace_keys(&t, (int)env->dev_id, &keys, &writes);
	if (n < 0)
		return (int)n;
	err = min_simulate(keys, writes, (size_t)n, env->hbm_blocks, &mo->min);
	if (!err)
		err = lru_simulate(keys, writes, (size_t)n, env->hbm_blocks, &mo->lru);
	free(keys);
	free(writes);
	mo->have = !err;
	return err;
}

/* The records each job had in flight: --fault-batch, else the device's default (0: unknown). */
static unsigned int fault_window(const struct opts *o)
{
	unsigned int v = 0;
	FILE *f;

	if (o->cfg.fault_window)
		return o->cfg.fault_window;
	f = fopen("/sys/module/gmem_sim/parameters/fault_batch", "r");
	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void print_bench(const struct opts *o, const struct bench_env *env,
			const struct bench_counts *c, const struct min_out *mo,
			const struct bench_trace *tr)
{
	const struct gmem_stats *s = &c->st;
	const struct wl_params *w = &o->cfg.wl;
	struct cost_result r;
	uint64_t bs = env->block_size;

	cost_model_eval(&o->model, bs, c->touches, s, &r);
	printf("BENCH label=%s workload=%s stride=%d oversub=%.2f tenants=%u streams=%u"
	       " fault_window=%u policy=%s"
	       " policy_after=%s block_size=%" PRIu64 " hbm_blocks=%" PRIu64 " blocks=%" PRIu64
	       " accesses=%" PRIu64 " touched=%" PRIu64,
	       o->label ? o->label : "-", o->workload, w->kind == WL_STRIDE ? w->stride : 0,
	       w->oversub, o->cfg.tenants, o->cfg.streams, fault_window(o),
	       o->policy ? o->policy : c->policy_before,
	       c->policy_after, bs, env->hbm_blocks, c->nr_blocks,
	       c->touches, c->touched);
	if (w->kind == WL_MOE_DECODE)
		printf(" skew=%.2f experts=%u topk=%u", w->skew, w->experts, w->topk);
	printf(" cpu_faults=%llu dev_faults=%llu h2d_blocks=%llu d2h_blocks=%llu h2d_bytes=%llu"
	       " d2h_bytes=%llu evictions=%llu prefetch_issued=%llu prefetch_used=%llu"
	       " prefetch_wasted=%llu remote_maps=%llu write_faults=%llu"
	       " evict_wb_bytes=%llu evict_clean_bytes=%llu fault_batches=%llu batch_faults=%llu"
	       " batch_dups=%llu batch_max=%llu",
	       s->cpu_faults, s->dev_faults, s->h2d_blocks, s->d2h_blocks, s->h2d_bytes,
	       s->d2h_bytes, s->evictions, s->prefetch_issued, s->prefetch_used,
	       s->prefetch_wasted, s->remote_maps, s->write_faults, s->evict_wb_bytes,
	       s->evict_clean_bytes, s->fault_batches, s->batch_faults, s->batch_dups,
	       s->batch_max);
	printf(" rejects=%" PRIu64 " fallbacks=%" PRIu64 " ejections=%" PRIu64
	       " hook_calls=%" PRIu64 " hook_ns=%" PRIu64 " checksum=%016" PRIx64
	       " wall_ms=%.3f", c->rejects, c->fallbacks, c->ejections, c->hook_calls,
	       c->hook_ns, c->checksum, c->wall_s * 1e3);
	printf(" link_gbps=%g fault_us=%g compute_gbps=%g model_us=%.3f model_compute_us=%.3f"
	       " model_fault_us=%.3f model_xfer_us=%.3f",
	       o->model.link_gbps, o->model.fault_us, o->model.compute_gbps, r.total_ns / 1e3,
	       r.compute_ns / 1e3, r.fault_ns / 1e3,
	       (r.demand_ns + r.evict_ns + r.remote_ns + r.prefetch_ns) / 1e3);
	/* The sim's device clock, measured from the run's event order (sim_clock.c). */
	printf(" dev_clock_us=%.3f dev_stall_us=%.3f dev_copy_us=%.3f dev_link_mbps=%u"
	       " dev_dma_channels=%u dev_fault_ns=%u dev_compute_gmacs=%u",
	       c->clk.now_ns / 1e3, c->clk.stall_ns / 1e3, c->clk.copy_ns / 1e3,
	       c->clk.link_mbps, c->clk.dma_channels, c->clk.fault_lat_ns, c->clk.compute_gmacs);
	if (mo->have)
		/* min_bytes: misses in + dirty write-backs out, as a policy is charged. */
		printf(" trace_records=%" PRIu64 " trace_dropped=%" PRIu64 " min_misses=%" PRIu64
		       " min_evictions=%" PRIu64 " min_dirty_evictions=%" PRIu64
		       " min_bytes=%" PRIu64 " lru_misses=%" PRIu64 " lru_dirty_evictions=%" PRIu64,
		       mo->records, tr->dropped, mo->min.misses, mo->min.evictions,
		       mo->min.dirty_evictions, min_moved(&mo->min) * bs, mo->lru.misses,
		       mo->lru.dirty_evictions);
	printf("\n");
	if (o->quiet)
		return;
	printf("# %s, policy %s: %s\n", o->workload, o->policy ? o->policy : c->policy_before,
	       c->desc);
	printf("# device %s: %" PRIu64 " HBM blocks of %" PRIu64 " KiB; working set %" PRIu64
	       " blocks (%.2fx)\n", env->dev_name, env->hbm_blocks, bs >> 10, c->nr_blocks,
	       (double)c->nr_blocks / (double)env->hbm_blocks);
	printf("# faults: %llu device, %llu CPU; migrated %llu blocks in, %llu out (%.1f MiB)\n",
	       s->dev_faults, s->cpu_faults, s->h2d_blocks, s->d2h_blocks,
	       (double)(s->h2d_bytes + s->d2h_bytes) / (1 << 20));
	printf("# evictions %llu; prefetch issued %llu, used %llu, wasted %llu; rejected"
	       " decisions %" PRIu64 "\n", s->evictions, s->prefetch_issued, s->prefetch_used,
	       s->prefetch_wasted, c->rejects);
	if (mo->have)
		printf("# Belady MIN: %" PRIu64 " misses, %" PRIu64 " evictions of which %" PRIu64
		       " dirty (LRU: %" PRIu64 " misses) over %" PRIu64 " recorded accesses\n",
		       mo->min.misses, mo->min.evictions, mo->min.dirty_evictions,
		       mo->lru.misses, mo->records);
	printf("# wall time in this VM: %.1f ms (not an accelerator's time)\n", c->wall_s * 1e3);
	printf("# modelled: %.1f us = compute %.1f + faults %.1f + transfers %.1f"
	       " [link %g GB/s, fault %g us, compute %g GB/s]\n", r.total_ns / 1e3,
	       r.compute_ns / 1e3, r.fault_ns / 1e3,
	       (r.demand_ns + r.evict_ns + r.remote_ns + r.prefetch_ns) / 1e3,
	       o->model.link_gbps, o->model.fault_us, o->model.compute_gbps);
	/*
	 * The two differ by design: the clock charges copies when the real order
	 * of events put them on a DMA channel (two by default) and write-backs
	 * only when a block is reused, where the model assumes one serial link.
	 */
	printf("# device clock: %.1f us = compute %.1f + faults %.1f + copies not hidden %.1f"
	       " [%u DMA channel(s) at %u MB/s, fault %u ns; copies busy %.1f us]\n",
	       c->clk.now_ns / 1e3, c->clk.compute_ns / 1e3, c->clk.fault_ns / 1e3,
	       (c->clk.now_ns - c->clk.compute_ns - c->clk.fault_ns) / 1e3, c->clk.dma_channels,
	       c->clk.link_mbps, c->clk.fault_lat_ns, c->clk.copy_ns / 1e3);
}

static int run_workload(const struct opts *o, const struct bench_env *env)
{
	struct bench_trace tr = { 0 };
	struct min_out mo = { 0 };
	struct bench_counts c;
	int err;

	err = bench_run(&o->cfg, env, &c, &tr);
	if (!err && o->cfg.trace)
		err = trace_outputs(o, env, &tr, &mo);
	if (!err)
		print_bench(o, env, &c, &mo, &tr);
	if (!err && c.ejections)
		fprintf(stderr, "gmem-bench: the policy was ejected during the run\n");
	bench_trace_free(&tr);
	return err;
}

static int run_bw(const struct opts *o, const struct bench_env *env)
{
	struct bench_bw bw;
	int err = bench_bandwidth(env, env->hbm_blocks, &bw);
	double kref_h2d_s = bw.ref_h2d_s * bw.bytes / (bw.ref_bytes ?: 1);
	double kref_d2h_s = bw.ref_d2h_s * bw.bytes / (bw.ref_bytes ?: 1);

	if (err)
		return err;
	printf("BW label=%s block_size=%" PRIu64 " bytes=%" PRIu64 " h2d_ms=%.3f d2h_ms=%.3f"
	       " hint_h2d_ms=%.3f memcpy_ms=%.3f h2d_gbps=%.3f d2h_gbps=%.3f memcpy_gbps=%.3f",
	       o->label ? o->label : "-", env->block_size, bw.bytes, bw.h2d_s * 1e3,
	       bw.d2h_s * 1e3, bw.hint_h2d_s * 1e3, bw.memcpy_s * 1e3,
	       (double)bw.bytes / bw.h2d_s / 1e9, (double)bw.bytes / bw.d2h_s / 1e9,
	       (double)bw.bytes / bw.memcpy_s / 1e9);
	if (bw.ref_bytes)
		printf(" kref_h2d_ms=%.3f kref_d2h_ms=%.3f h2d_vs_kref=%.3f d2h_vs_kref=%.3f"
		       " hint_h2d_vs_kref=%.3f", kref_h2d_s * 1e3, kref_d2h_s * 1e3,
		       kref_h2d_s / bw.h2d_s, kref_d2h_s / bw.d2h_s, kref_h2d_s / bw.hint_h2d_s);
	printf("\n");
	if (!o->quiet) {
		printf("# %.1f MiB: migrate in %.1f ms by faults, %.1f ms by hint, out %.1f ms;"
		       " memcpy %.1f ms (guest wall times, same VM)\n",
		       (double)bw.bytes / (1 << 20), bw.h2d_s * 1e3, bw.hint_h2d_s * 1e3,
		       bw.d2h_s * 1e3, bw.memcpy_s * 1e3);
		if (bw.ref_bytes)
			printf("# kernel copy primitive (sim copy_ref) on the same bytes: in %.1f ms,"
			       " out %.1f ms: migration runs at %.2fx (faults) / %.2fx (hint) /"
			       " %.2fx (out) of it\n", kref_h2d_s * 1e3, kref_d2h_s * 1e3,
			       kref_h2d_s / bw.h2d_s, kref_h2d_s / bw.hint_h2d_s,
			       kref_d2h_s / bw.d2h_s);
	}
	return 0;
}

/*
 * -w evict: per evicting device fault (bench_evict.c), 3 windows of 2048
 * shuffled non-resident blocks (fewer when the object is small).
 */
static int run_evict(const struct opts *o, const struct bench_env *env)
{
	uint64_t spare = (uint64_t)(o->cfg.wl.oversub * env->hbm_blocks) - env->hbm_blocks;
	uint32_t window = spare >= 3 * 2048 ? 2048 : (uint32_t)(spare / 3);
	struct bench_evict_out e;
	int err;

	if (o->cfg.wl.oversub <= 1.0 || !window) {
		fprintf(stderr, "gmem-bench: -w evict needs --oversub > 1\n");
		return -EINVAL;
	}
	err = bench_evict(env, o->cfg.wl.oversub, window, 3, &e);
	if (err)
		return err;
	printf("EVICT label=%s policy=%s block_size=%" PRIu64 " hbm_blocks=%" PRIu64
	       " blocks=%" PRIu64 " ws_mib=%.0f faults=%" PRIu64 " evictions=%" PRIu64
	       " h2d_blocks=%" PRIu64 " ms=%.3f us_per_fault=%.3f us_per_block=%.3f\n",
	       o->label ? o->label : "-", o->policy ? o->policy : "current", env->block_size,
	       env->hbm_blocks, e.blocks, (double)e.blocks * env->block_size / (1 << 20),
	       e.faults, e.evictions, e.h2d_blocks, e.secs * 1e3,
	       e.faults ? e.secs * 1e6 / e.faults : 0.0,
	       e.h2d_blocks ? e.secs * 1e6 / e.h2d_blocks : 0.0);
	/* A few blocks may come in by read-ahead instead of a fault of their own. */
	if (e.h2d_blocks != 3ull * window || e.evictions < e.h2d_blocks)
		fprintf(stderr, "gmem-bench: evict: %" PRIu64 " blocks in and %" PRIu64
			" evictions for %u accesses: not one evicting migration each\n",
			e.h2d_blocks, e.evictions, 3 * window);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.cfg = { .tenants = 1, .streams = 1, .access_len = 64, .job_accesses = BENCH_JOB_DEFAULT,
			 .wl = { .oversub = 2.0 } },
		.model = COST_MODEL_DEFAULT,
	};
	struct gmem_policy *pol = NULL;
	struct bench_env env;
	int err;

	err = parse_args(argc, argv, &o);
	if (err < 0) {
		fprintf(stderr, "Try 'gmem-bench --help'.\n");
		return 2;
	}
	if (err) {
		usage(stdout);
		return 0;
	}
	err = bench_env_probe(o.sim, &env);
	if (err)
		return 1;
	o.cfg.wl.hbm_blocks = (uint32_t)env.hbm_blocks;
	/* The device clock then computes what the model's compute term prices. */
	if (!o.cfg.compute_ns)
		o.cfg.compute_ns = (uint32_t)((double)env.block_size / o.model.compute_gbps + 0.5);
	err = bench_policy_start(o.policy, &pol);
	if (err)
		return 1;
	if (!strcmp(o.workload, "bw"))
		err = run_bw(&o, &env);
	else if (!strcmp(o.workload, "evict"))
		err = run_evict(&o, &env);
	else
		err = run_workload(&o, &env);
	bench_policy_stop(pol);
	if (err)
		fprintf(stderr, "gmem-bench: run failed: %s\n", strerror(-err));
	return err ? 1 : 0;
}
