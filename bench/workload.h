/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workload generators: pure functions from parameters to a plan, a list of
 * block accesses in one object plus the hints to give before running it.
 * gmem-bench turns a plan into GMEM_SIM_TRACE jobs; the host tests check the
 * plans directly. The same parameters always give the same plan (seeded
 * generators only, no clock, no global state), which is what makes counts
 * reproducible run to run.
 *
 * Sizing: the object is round(oversub x hbm_blocks) blocks; structured
 * workloads (llm-*) round that to whole layers and report the real size.
 */
#ifndef GMEM_WORKLOAD_H
#define GMEM_WORKLOAD_H

#include <stdint.h>

enum wl_kind {
	WL_SEQ = 1,		/* passes over 0..n-1 */
	WL_STRIDE,		/* strided walk, every block once per pass */
	WL_RANDOM,		/* uniform, seeded */
	WL_ZIPF,		/* zipf(s) popularity over a seeded permutation */
	WL_LLM_TRAIN,		/* forward 0..L-1, backward L-1..0, optimizer step */
	WL_LLM_DECODE,		/* layers 0..L-1 per token, growing KV cache */
	WL_MOE_DECODE,		/* per layer: attention, then top-k of E experts */
};

struct wl_params {
	enum wl_kind kind;
	uint32_t hbm_blocks;
	double oversub;		/* 0.25..8 accepted; the bench uses 0.5..4 */
	int32_t stride;		/* WL_STRIDE: blocks, != 0, |stride| < blocks */
	uint32_t passes;	/* seq/stride: passes; random/zipf: accesses = passes x n */
	uint64_t seed;		/* random, zipf */
	double zipf_s;		/* zipf exponent, > 0 */
	uint32_t layers;	/* llm-*: L */
	uint32_t iters;		/* llm-train: iterations; llm-decode: tokens */
	uint32_t experts;	/* moe-decode: experts per layer (E) */
	uint32_t topk;		/* moe-decode: experts each token uses per layer */
	uint32_t expert_blocks;	/* moe-decode: blocks per expert, 0: fit the size */
	double skew;		/* moe-decode: router zipf exponent, 0 = uniform */
};

/* One device touch of one block. */
struct wl_access {
	uint32_t blk;
	uint16_t write;
	/*
	 * The first touch of a device kernel (a layer's range): it depends on
	 * every earlier touch, so a device with several in flight does not
	 * issue it before they are done (GMEM_SIM_ACC_BARRIER).
	 */
	uint16_t barrier;
};

/* A hint given with GMEM_IOC_ADVISE before the run (blocks [first, first+nr)). */
struct wl_hint {
	uint32_t first;
	uint32_t nr;
	uint32_t advice;	/* enum gmem_advice */
	uint32_t pad;
	uint64_t value;
};

#define WL_MAX_HINTS	256

struct wl_plan {
	uint32_t nr_blocks;		/* object size */
	uint32_t nr_hints;
	struct wl_hint hints[WL_MAX_HINTS];
	uint64_t nr_acc;
	struct wl_access *acc;		/* malloc()ed */
	char desc[160];			/* human description of the shape */
};

/* Defaults for every field the kind uses (hbm_blocks and oversub left to the caller). */
void wl_defaults(struct wl_params *p, enum wl_kind kind);
/* "seq", "stride", ... -> kind, or 0. */
enum wl_kind wl_kind_parse(const char *name);
const char *wl_kind_name(enum wl_kind kind);

/* 0, -EINVAL for bad parameters (nothing allocated), -ENOMEM. */
int wl_generate(const struct wl_params *p, struct wl_plan *plan);
void wl_plan_free(struct wl_plan *plan);

/*
 * Tags: each layer's blocks get GMEM_ADV_TAG with WL_TAG_LAYER(l); state that
 * is not a layer (the optimizer state, KV caches) gets its own tag kinds so a
 * policy can tell them apart. Layer l's tag is l itself, so policies that
 * only know "tag = layer id" see the layer ids they expect.
 */
#define WL_TAG_LAYER(l)		((uint64_t)(l))
#define WL_TAG_OPTIMIZER	(1ull << 32)
#define WL_TAG_KV(l)		((2ull << 32) | (uint64_t)(l))

/*
 * moe-decode routing, exposed for tests: the @topk distinct experts (of @E,
 * ascending) that the router picks for one token in one layer, given the
 * layer's popularity order @rank (rank[r] = expert of popularity rank r)
 * and weights @weight (weight[r] = 1/(r+1)^skew). Consumes @state.
 */
void wl_moe_route(uint64_t *state, const uint32_t *rank, const double *weight, uint32_t E,
		  uint32_t topk, uint32_t *out);

/* splitmix64: the seeded generator behind random and zipf (exposed for tests). */
uint64_t wl_rand_next(uint64_t *state);

#endif /* GMEM_WORKLOAD_H */
