/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench_run: run a workload plan on the simulated accelerator and collect
 * exact counters (guest side of gmem-bench).
 *
 * One run = N tenant processes (N >= 1), each with its own /dev/gmem mapping
 * and its own /dev/gmem_simN file (a sim file serves only its opener's mm).
 * Each tenant sets up (maps, fills from the CPU, gives the plan's hints),
 * reports ready and waits; the parent then starts the access trace and
 * releases all tenants at once. Counters are the core's global counters
 * between the release and the last tenant's report (setup and teardown stay
 * out of them), so the system should be otherwise idle.
 */
#ifndef GMEM_BENCH_RUN_H
#define GMEM_BENCH_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/gmem.h>

#include "workload.h"

/* What the device and core look like (from /dev/gmem and sysfs). */
struct bench_env {
	uint32_t dev_id;		/* gmem device id of the sim device */
	uint32_t sim_index;		/* N of /dev/gmem_simN */
	uint64_t block_size;
	uint64_t hbm_blocks;
	char dev_name[GMEM_NAME_LEN];
};

struct bench_cfg {
	struct wl_params wl;		/* hbm_blocks is filled from the env */
	uint32_t tenants;		/* 1..BENCH_MAX_TENANTS */
	uint32_t streams;		/* tenant i launches on device stream i % streams */
	uint32_t access_len;		/* bytes each access reads or writes */
	uint32_t job_accesses;		/* accesses per device job: tenants interleave per job */
	uint64_t compute_ns;		/* passed to each job (the sim's own model) */
	uint32_t fault_window;		/* records each job has in flight (0: the device's) */
	bool trace;			/* record the device access stream */
	bool trace_hints;		/* with objects and hints (GMEM_TRACE_F_HINTS) */
};

#define BENCH_MAX_TENANTS	4
#define BENCH_JOB_DEFAULT	256	/* accesses per GMEM_SIM_TRACE job */
#define BENCH_JOB_MAX		(1u << 20)	/* the sim's limit per job */

struct bench_counts {
	struct gmem_stats st;		/* summed over tenants' objects */
	uint64_t touches;		/* accesses submitted */
	uint64_t touched;		/* blocks_touched the device reported */
	uint64_t checksum;		/* combined TRACE results: equal across policies */
	uint64_t nr_blocks;		/* summed object sizes */
	uint64_t hook_calls, hook_ns;	/* POLICY_STATUS deltas */
	uint64_t rejects, fallbacks;
	uint64_t ejections;		/* the policy was thrown out during the run */
	char policy_before[GMEM_NAME_LEN];	/* in charge at the start ("builtin": none) */
	char policy_after[GMEM_NAME_LEN];	/* in charge at the end */
	double wall_s;			/* device phase, release to last tenant done */
	struct gmem_sim_clock clk;	/* device clock: deltas over the run, parameters */
	char desc[160];			/* tenant 0's plan description */
};

/* Recorded trace of one run (when cfg.trace). */
struct bench_trace {
	struct gmem_trace_rec *recs;
	uint64_t nr, cap;
	uint64_t dropped;
};

int bench_env_probe(uint32_t sim_index, struct bench_env *env);
/* 0 or -errno; messages go to stderr. @trace may be NULL when !cfg->trace. */
int bench_run(const struct bench_cfg *cfg, const struct bench_env *env,
	      struct bench_counts *out, struct bench_trace *trace);
void bench_trace_free(struct bench_trace *t);

/* Migration bandwidth against memcpy of the same bytes, same guest. */
struct bench_bw {
	uint64_t bytes;
	double h2d_s, d2h_s, memcpy_s;
	double hint_h2d_s;		/* the same copies in by GMEM_ADV_WILLNEED */
	uint64_t h2d_blocks, d2h_blocks, hint_h2d_blocks;
	/*
	 * The kernel's own copy primitive on the same number of bytes
	 * (/sys/class/misc/gmem_simN/copy_ref: memcpy_from_page/memcpy_to_page
	 * per page between host pages and a vmalloc buffer, as the simulated
	 * device's copy ops do); 0 when unavailable (not root, old module).
	 */
	uint64_t ref_bytes;
	double ref_h2d_s, ref_d2h_s;
};
int bench_bandwidth(const struct bench_env *env, uint64_t blocks, struct bench_bw *out);

/* gmem-bench -w evict (bench_evict.c): timed windows of evicting faults. */
struct bench_evict_out {
	uint64_t blocks;		/* object size in blocks */
	uint64_t faults, evictions, h2d_blocks;	/* over the timed windows */
	double secs;
};
int bench_evict(const struct bench_env *env, double oversub, uint32_t window,
		uint32_t windows, struct bench_evict_out *out);

#endif /* GMEM_BENCH_RUN_H */
