/* SPDX-License-Identifier: GPL-2.0 */
/*
 * serve.h: the tenants of gmem-bench-serve (bench/bench_serve.c).
 *
 * A tenant is a forked process in a cgroup v2 directory of its own (made by
 * the parent, which may give it an HBM limit and a BPF policy before the
 * child enters it), with one gmem object of peak_blocks blocks: a model it
 * decodes, one device job per step, when the parent says so:
 *
 *   peak step    reads blocks [0, peak), writes [decode, peak): a prefill
 *                burst over a long context (its activations are scratch)
 *   decode step  reads blocks [0, decode), writes block decode - 1: the
 *                weights and the KV cache the next token needs
 *
 * Reads take SERVE_ACC_LEN bytes at the start of a block, where the tenant
 * wrote a tag naming itself and the page; writes take SERVE_ACC_LEN bytes at
 * SERVE_WR_OFF, which no read sees. Each step's device checksum is checked
 * against the one computed from the tags, and at the end every page's tag
 * and every written range from the CPU: a block that came back from the
 * wrong place, or another tenant's, is a mismatch.
 *
 * Parent and child talk over two pipes, one command byte down, one struct
 * serve_msg up, so that only one tenant's step runs at a time: the order of
 * events is the parent's, and every count is exact.
 */
#ifndef GMEM_SERVE_H
#define GMEM_SERVE_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/gmem.h>

#define SERVE_ACC_LEN	64
#define SERVE_WR_OFF	2048
#define SERVE_CG_ROOT	"/sys/fs/cgroup"

enum serve_cmd {
	SERVE_PEAK = 'p',
	SERVE_DECODE = 'd',
	SERVE_QUIT = 'q',	/* check the content, report, exit */
};

struct serve_model {
	uint32_t peak_blocks;	/* object size and the peak working set */
	uint32_t decode_blocks;	/* the steady working set, 1..peak_blocks */
	uint64_t compute_ns;	/* device compute per block a step touches */
};

/* What the tenant is given before it forks (the parent's settings). */
struct serve_tenant_cfg {
	uint32_t tag;			/* names the tenant in its data */
	uint32_t sim_index;
	uint64_t block_size;
	uint64_t limit_bytes;		/* 0: no limit (and no tenant entry) */
	uint32_t weight;		/* with a limit: the tenant's weight */
	const char *policy;		/* BPF policy on its cgroup, NULL: none */
	struct serve_model model;
};

/* One reply: the step's, or after SERVE_QUIT the tenant's totals. */
struct serve_msg {
	int32_t err;
	uint32_t mismatches;		/* checksums and CPU-side words that differ */
	uint64_t dev_ns;		/* device clock time of the step's job */
	struct gmem_stats st;		/* the object's counters so far */
};

struct serve_tenant {
	struct serve_tenant_cfg cfg;
	char dir[128];			/* its cgroup directory */
	pid_t pid;
	int cmd_fd, res_fd;		/* parent's ends */
	struct gmem_policy *pol;	/* attached to dir, or NULL */
	uint32_t steps;
	uint64_t dev_ns;		/* sum over its steps */
	uint32_t mismatches;
	struct gmem_stats st;		/* its object's counters at the end */
};

/* Make the cgroup, set limit and policy, fork, wait until it is ready. */
int serve_tenant_start(struct serve_tenant *t, const char *name);
/* One step (SERVE_PEAK or SERVE_DECODE); adds to t->dev_ns. */
int serve_tenant_step(struct serve_tenant *t, enum serve_cmd cmd);
/* SERVE_QUIT, reap, detach the policy, remove the cgroup. */
int serve_tenant_stop(struct serve_tenant *t);

#endif /* GMEM_SERVE_H */
