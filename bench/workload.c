// SPDX-License-Identifier: GPL-2.0
/*
 * workload.c: the benchmark's access-pattern generators (see workload.h).
 *
 * Every generator first computes its exact access count, allocates once,
 * then fills; a plan is either complete or not returned at all.
 *
 * No locking: pure functions; a plan belongs to its caller.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/gmem.h>

#include "workload.h"

#define WL_MAX_BLOCKS	(1u << 22)
#define WL_MAX_ACC	(1ull << 26)

static const char *const wl_names[] = {
	[WL_SEQ] = "seq",
	[WL_STRIDE] = "stride",
	[WL_RANDOM] = "random",
	[WL_ZIPF] = "zipf",
	[WL_LLM_TRAIN] = "llm-train",
	[WL_LLM_DECODE] = "llm-decode",
	[WL_MOE_DECODE] = "moe-decode",
};

enum wl_kind wl_kind_parse(const char *name)
{
	unsigned int k;

	for (k = WL_SEQ; k <= WL_MOE_DECODE; k++)
		if (!strcmp(name, wl_names[k]))
			return k;
	return 0;
}

const char *wl_kind_name(enum wl_kind kind)
{
	return kind >= WL_SEQ && kind <= WL_MOE_DECODE ? wl_names[kind] : "?";
}

void wl_defaults(struct wl_params *p, enum wl_kind kind)
{
	p->kind = kind;
	p->stride = 1;
	p->passes = 3;
	p->seed = 1;
	p->zipf_s = 1.0;
	p->layers = kind == WL_MOE_DECODE ? 4 : 8;
	p->iters = kind == WL_LLM_DECODE ? 16 : kind == WL_MOE_DECODE ? 32 : 2;
	p->experts = 8;
	p->topk = 2;
	p->expert_blocks = 0;
	p->skew = 1.0;
}

uint64_t wl_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) without modulo bias worth caring about at n < 2^32. */
static uint32_t rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((wl_rand_next(state) >> 32) * n) >> 32);
}

static int plan_alloc(struct wl_plan *plan, uint64_t nr_acc)
{
	if (!nr_acc || nr_acc > WL_MAX_ACC)
		return -EINVAL;
	plan->acc = calloc(nr_acc, sizeof(*plan->acc));
	if (!plan->acc)
		return -ENOMEM;
	plan->nr_acc = nr_acc;
	return 0;
}

static void add_hint(struct wl_plan *plan, uint32_t first, uint32_t nr,
		     uint32_t advice, uint64_t value)
{
	/* Callers size their hints to fit: layers are capped in wl_check(). */
	plan->hints[plan->nr_hints++] = (struct wl_hint){
		.first = first, .nr = nr, .advice = advice, .value = value,
	};
}

static void put(struct wl_plan *plan, uint64_t *pos, uint32_t blk, int write)
{
	plan->acc[(*pos)++] = (struct wl_access){ .blk = blk, .write = !!write };
}

static int gen_seq(const struct wl_params *p, struct wl_plan *plan)
{
	uint64_t pos = 0;
	uint32_t pass, b;
	int err;

	err = plan_alloc(plan, (uint64_t)p->passes * plan->nr_blocks);
	if (err)
		return err;
	for (pass = 0; pass < p->passes; pass++)
		for (b = 0; b < plan->nr_blocks; b++)
			put(plan, &pos, b, 0);
	snprintf(plan->desc, sizeof(plan->desc), "%u passes over %u blocks",
		 p->passes, plan->nr_blocks);
	return 0;
}

/*
 * Column-major walk: offsets 0..|s|-1, and from each offset every |s|-th
 * block (descending from the end for s < 0), so each pass touches every
 * block exactly once with a constant stride inside each column.
 */
static int gen_stride(const struct wl_params *p, struct wl_plan *plan)
{
	uint32_t n = plan->nr_blocks, k = (uint32_t)abs(p->stride), pass, off;
	uint64_t pos = 0;
	int64_t b;
	int err;

	err = plan_alloc(plan, (uint64_t)p->passes * n);
	if (err)
		return err;
	for (pass = 0; pass < p->passes; pass++)
		for (off = 0; off < k; off++) {
			if (p->stride > 0)
				for (b = off; b < n; b += k)
					put(plan, &pos, (uint32_t)b, 0);
			else
				for (b = (int64_t)n - 1 - off; b >= 0; b -= k)
					put(plan, &pos, (uint32_t)b, 0);
		}
	snprintf(plan->desc, sizeof(plan->desc), "%u passes, stride %d over %u blocks",
		 p->passes, p->stride, n);
	return 0;
}

static int gen_random(const struct wl_params *p, struct wl_plan *plan)
{
	uint64_t i, state = p->seed;
	int err;

	err = plan_alloc(plan, (uint64_t)p->passes * plan->nr_blocks);
	if (err)
		return err;
	for (i = 0; i < plan->nr_acc; i++) {
		uint32_t blk = rand_below(&state, plan->nr_blocks);

		/* One access in four writes. */
		plan->acc[i] = (struct wl_access){
			.blk = blk, .write = (wl_rand_next(&state) & 3) == 0,
		};
	}
	snprintf(plan->desc, sizeof(plan->desc), "%llu uniform accesses over %u blocks, seed %llu",
		 (unsigned long long)plan->nr_acc, plan->nr_blocks, (unsigned long long)p->seed);
	return 0;
}

/* Block of popularity rank r is perm[r]: hot blocks are scattered, not a prefix. */
static int zipf_tables(const struct wl_params *p, uint32_t n, uint64_t *state,
		       uint32_t **perm, double **cdf)
{
	uint32_t i;
	double sum = 0;

	*perm = malloc(n * sizeof(**perm));
	*cdf = malloc(n * sizeof(**cdf));
	if (!*perm || !*cdf) {
		free(*perm);
		free(*cdf);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		(*perm)[i] = i;
	for (i = n - 1; i > 0; i--) {
		uint32_t j = rand_below(state, i + 1), t = (*perm)[i];

		(*perm)[i] = (*perm)[j];
		(*perm)[j] = t;
	}
	for (i = 0; i < n; i++) {
		sum += 1.0 / pow((double)(i + 1), p->zipf_s);
		(*cdf)[i] = sum;
	}
	for (i = 0; i < n; i++)
		(*cdf)[i] /= sum;
	return 0;
}

static uint32_t zipf_rank(const double *cdf, uint32_t n, double u)
{
	uint32_t lo = 0, hi = n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (cdf[mid] >= u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int gen_zipf(const struct wl_params *p, struct wl_plan *plan)
{
	uint64_t i, state = p->seed;
	uint32_t *perm;
	double *cdf;
	int err;

	err = plan_alloc(plan, (uint64_t)p->passes * plan->nr_blocks);
	if (err)
		return err;
	err = zipf_tables(p, plan->nr_blocks, &state, &perm, &cdf);
	if (err)
		return err;
	for (i = 0; i < plan->nr_acc; i++) {
		double u = (double)(wl_rand_next(&state) >> 11) * 0x1p-53;
		uint32_t blk = perm[zipf_rank(cdf, plan->nr_blocks, u)];

		plan->acc[i] = (struct wl_access){
			.blk = blk, .write = (wl_rand_next(&state) & 3) == 0,
		};
	}
	free(perm);
	free(cdf);
	snprintf(plan->desc, sizeof(plan->desc),
		 "%llu zipf(%.2f) accesses over %u blocks, seed %llu",
		 (unsigned long long)plan->nr_acc, p->zipf_s, plan->nr_blocks,
		 (unsigned long long)p->seed);
	return 0;
}

/* A device kernel touching blocks [first, first + nr) in order. */
static void touch_range(struct wl_plan *plan, uint64_t *pos, uint32_t first, uint32_t nr,
			int write)
{
	uint32_t b;

	for (b = first; b < first + nr; b++)
		put(plan, pos, b, write);
	if (nr)
		plan->acc[*pos - nr].barrier = 1;
}

/*
 * Training: L layers of S blocks, then an optimizer-state range of O blocks
 * (1/8 of the working set, hinted HOT). Per iteration: forward reads layers
 * 0..L-1, backward writes layers L-1..0 (gradients in place), then the
 * optimizer step writes its whole range.
 */
static int gen_llm_train(const struct wl_params *p, struct wl_plan *plan)
{
	uint32_t n = plan->nr_blocks, L = p->layers, O, S, it, l;
	uint64_t pos = 0;
	int err;

	O = n / 8 ? n / 8 : 1;
	S = n > O && (n - O) / L ? (n - O) / L : 1;
	plan->nr_blocks = n = L * S + O;
	err = plan_alloc(plan, (uint64_t)p->iters * (2ull * L * S + O));
	if (err)
		return err;
	for (l = 0; l < L; l++)
		add_hint(plan, l * S, S, GMEM_ADV_TAG, WL_TAG_LAYER(l));
	add_hint(plan, L * S, O, GMEM_ADV_TAG, WL_TAG_OPTIMIZER);
	add_hint(plan, L * S, O, GMEM_ADV_HOT, 0);
	for (it = 0; it < p->iters; it++) {
		for (l = 0; l < L; l++)
			touch_range(plan, &pos, l * S, S, 0);
		for (l = L; l-- > 0;)
			touch_range(plan, &pos, l * S, S, 1);
		touch_range(plan, &pos, L * S, O, 1);
	}
	snprintf(plan->desc, sizeof(plan->desc),
		 "%u iterations, %u layers x %u blocks + %u optimizer blocks (HOT)",
		 p->iters, L, S, O);
	return 0;
}

/* KV blocks layer l has in use while generating token t (of T): grows to K. */
static uint32_t kv_used(uint32_t t, uint32_t T, uint32_t K)
{
	return (uint32_t)(((uint64_t)(t + 1) * K + T - 1) / T);
}

/*
 * Decode: weights (3/4 of the set) as L layers of W blocks, then one KV
 * cache per layer of K blocks (hinted HOT). Token t reads every layer's
 * weights in order, reads the layer's KV cache in use and writes its last
 * block (the appended token).
 */
static int gen_llm_decode(const struct wl_params *p, struct wl_plan *plan)
{
	uint32_t n = plan->nr_blocks, L = p->layers, T = p->iters, W, K, t, l, kv0;
	uint64_t pos = 0, total = 0;
	int err;

	W = (3 * (uint64_t)n / 4) / L ? (uint32_t)((3 * (uint64_t)n / 4) / L) : 1;
	K = (n / 4) / L ? (n / 4) / L : 1;
	plan->nr_blocks = n = L * (W + K);
	kv0 = L * W;
	for (t = 0; t < T; t++)
		total += (uint64_t)L * (W + kv_used(t, T, K));
	err = plan_alloc(plan, total);
	if (err)
		return err;
	for (l = 0; l < L; l++) {
		add_hint(plan, l * W, W, GMEM_ADV_TAG, WL_TAG_LAYER(l));
		add_hint(plan, kv0 + l * K, K, GMEM_ADV_TAG, WL_TAG_KV(l));
	}
	add_hint(plan, kv0, L * K, GMEM_ADV_HOT, 0);
	for (t = 0; t < T; t++)
		for (l = 0; l < L; l++) {
			uint32_t used = kv_used(t, T, K);

			touch_range(plan, &pos, l * W, W, 0);
			touch_range(plan, &pos, kv0 + l * K, used - 1, 0);
			put(plan, &pos, kv0 + l * K + used - 1, 1);
		}
	snprintf(plan->desc, sizeof(plan->desc),
		 "%u tokens, %u layers x %u weight blocks, KV cache %u blocks/layer (HOT)",
		 T, L, W, K);
	return 0;
}

#define WL_MOE_MAX_EXPERTS	64

void wl_moe_route(uint64_t *state, const uint32_t *rank, const double *weight, uint32_t E,
		  uint32_t topk, uint32_t *out)
{
	bool taken[WL_MOE_MAX_EXPERTS] = { false };
	uint32_t k, r, i, j, t;

	for (k = 0; k < topk; k++) {
		double total = 0, u;

		/* Without replacement: draw from the weights of the ranks left. */
		for (r = 0; r < E; r++)
			if (!taken[r])
				total += weight[r];
		u = (double)(wl_rand_next(state) >> 11) * 0x1p-53 * total;
		for (r = 0; r < E; r++) {
			if (taken[r])
				continue;
			if (u < weight[r])
				break;
			u -= weight[r];
		}
		if (r == E)	/* rounding left u past the last weight */
			for (r = E; r-- > 0 && taken[r];)
				;
		taken[r] = true;
		out[k] = rank[r];
	}
	/* Experts run in id order (one grouped kernel per layer). */
	for (i = 1; i < topk; i++)
		for (j = i; j > 0 && out[j - 1] > out[j]; j--) {
			t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
}

/*
 * Mixture-of-experts decode: L layers, each A attention blocks followed by
 * E experts of B blocks (A = a quarter of the layer's share of the set, B
 * fills the rest unless given). Per token, every layer reads its attention
 * blocks, then the top-k experts its router picks: zipf(skew) popularity
 * over a seeded per-layer order of the experts (skew 0: uniform), k
 * distinct draws. Every block of layer l is tagged l: the tags say the
 * layer, not which experts will run.
 */
static int gen_moe_decode(const struct wl_params *p, struct wl_plan *plan)
{
	uint32_t n = plan->nr_blocks, L = p->layers, E = p->experts, k = p->topk;
	uint32_t P = n / L ? n / L : 1, A, B, S, t, l, r, j, pick[WL_MOE_MAX_EXPERTS];
	uint32_t *rank;
	double *weight;
	uint64_t pos = 0, state = p->seed;
	int err;

	A = P / 4 ? P / 4 : 1;
	B = p->expert_blocks ? p->expert_blocks : (P > A && (P - A) / E ? (P - A) / E : 1);
	S = A + E * B;
	if ((uint64_t)L * S > WL_MAX_BLOCKS)
		return -EINVAL;
	plan->nr_blocks = L * S;
	rank = malloc((size_t)L * E * sizeof(*rank));
	weight = malloc(E * sizeof(*weight));
	if (!rank || !weight) {
		err = -ENOMEM;
		goto out;
	}
	err = plan_alloc(plan, (uint64_t)p->iters * L * (A + k * B));
	if (err)
		goto out;
	for (r = 0; r < E; r++)
		weight[r] = 1.0 / pow((double)(r + 1), p->skew);
	for (l = 0; l < L; l++) {
		uint32_t *rk = rank + (size_t)l * E;

		for (r = 0; r < E; r++)
			rk[r] = r;
		for (r = E - 1; r > 0; r--) {
			uint32_t x = rand_below(&state, r + 1), tmp = rk[r];

			rk[r] = rk[x];
			rk[x] = tmp;
		}
		add_hint(plan, l * S, S, GMEM_ADV_TAG, WL_TAG_LAYER(l));
	}
	for (t = 0; t < p->iters; t++)
		for (l = 0; l < L; l++) {
			touch_range(plan, &pos, l * S, A, 0);
			wl_moe_route(&state, rank + (size_t)l * E, weight, E, k, pick);
			for (j = 0; j < k; j++) {
				touch_range(plan, &pos, l * S + A + pick[j] * B, B, 0);
				/* The experts run as one grouped kernel. */
				if (j)
					plan->acc[pos - B].barrier = 0;
			}
		}
	snprintf(plan->desc, sizeof(plan->desc),
		 "%u tokens, %u layers x (%u attention + %u experts x %u blocks), top-%u, skew %.2f",
		 p->iters, L, A, E, B, k, p->skew);
out:
	free(rank);
	free(weight);
	return err;
}

static uint32_t wl_blocks(const struct wl_params *p)
{
	return (uint32_t)(p->oversub * p->hbm_blocks + 0.5);
}

static int wl_check(const struct wl_params *p)
{
	uint32_t n;

	if (!p->hbm_blocks || p->hbm_blocks > WL_MAX_BLOCKS ||
	    !(p->oversub >= 0.25 && p->oversub <= 8))
		return -EINVAL;
	n = wl_blocks(p);
	if (n < 1 || n > WL_MAX_BLOCKS)
		return -EINVAL;
	switch (p->kind) {
	case WL_SEQ:
	case WL_RANDOM:
		return p->passes ? 0 : -EINVAL;
	case WL_STRIDE:
		if (!p->passes || !p->stride || p->stride == INT32_MIN ||
		    (uint32_t)abs(p->stride) >= n)
			return -EINVAL;
		return 0;
	case WL_ZIPF:
		return p->passes && p->zipf_s > 0 && p->zipf_s <= 4 ? 0 : -EINVAL;
	case WL_LLM_TRAIN:
	case WL_LLM_DECODE:
		/* Two hints per layer plus the HOT ones must fit WL_MAX_HINTS. */
		if (!p->layers || p->layers > (WL_MAX_HINTS - 2) / 2 || !p->iters ||
		    p->iters > 4096)
			return -EINVAL;
		return 0;
	case WL_MOE_DECODE:
		if (!p->layers || p->layers > WL_MAX_HINTS || !p->iters || p->iters > 4096 ||
		    !p->experts || p->experts > WL_MOE_MAX_EXPERTS || !p->topk ||
		    p->topk > p->experts || p->expert_blocks > (1u << 16) ||
		    !(p->skew >= 0 && p->skew <= 4))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int wl_generate(const struct wl_params *p, struct wl_plan *plan)
{
	int err;

	memset(plan, 0, sizeof(*plan));
	err = wl_check(p);
	if (err)
		return err;
	plan->nr_blocks = wl_blocks(p);
	switch (p->kind) {
	case WL_SEQ:
		err = gen_seq(p, plan);
		break;
	case WL_STRIDE:
		err = gen_stride(p, plan);
		break;
	case WL_RANDOM:
		err = gen_random(p, plan);
		break;
	case WL_ZIPF:
		err = gen_zipf(p, plan);
		break;
	case WL_LLM_TRAIN:
		err = gen_llm_train(p, plan);
		break;
	case WL_LLM_DECODE:
		err = gen_llm_decode(p, plan);
		break;
	case WL_MOE_DECODE:
		err = gen_moe_decode(p, plan);
		break;
	}
	if (err)
		wl_plan_free(plan);
	return err;
}

void wl_plan_free(struct wl_plan *plan)
{
	free(plan->acc);
	plan->acc = NULL;
	plan->nr_acc = 0;
}
