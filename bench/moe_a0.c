// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-moe-a0: how close to MIN can a policy get on moe-decode without
 * predicting the router? Host tool, for docs/benchmarks.md (issue 15).
 *
 * For each skew (0, 1, 2) and oversubscription (1.5, 2, 3) it generates
 * bench's moe-decode trace (bench's defaults, 64 HBM blocks, the same seed,
 * so MIN equals the BENCH lines' min_misses) and counts the misses of A0,
 * the policy that is optimal when references are independent draws from
 * known probabilities: keep the capacity - 1 most used blocks, cycle the
 * rest through what is left. Here the probabilities are each block's use
 * count in this very trace (hindsight a real policy lacks) and free slots
 * hold other blocks until the kept ones arrive (victim: the least used
 * resident block that is not kept, the latest used among equals). The
 * router draws each token's experts independently, so beyond those counts
 * the past says nothing about the next token: A0 / MIN is what knowing
 * every block's popularity exactly, but not the order, buys. It is an
 * estimate of the best online ratio, not a proof of a bound for this one
 * finite trace.
 *
 * Output, one line per setting: skew oversub blocks accesses min_misses
 * a0_misses a0/min.
 */
#include <stdio.h>
#include <stdlib.h>

#include "min.h"
#include "workload.h"

#define A0_HBM_BLOCKS	64

struct blk_use {
	uint64_t uses;
	uint32_t blk;
};

static int by_uses_desc(const void *a, const void *b)
{
	const struct blk_use *x = a, *y = b;

	return (x->uses < y->uses) - (x->uses > y->uses);
}

/* The least used resident block that is not kept; the latest used among equals. */
static uint32_t a0_victim(const struct wl_plan *plan, const char *in, const char *kept,
			  const uint64_t *uses, const uint64_t *last)
{
	uint32_t v = UINT32_MAX, b;

	for (b = 0; b < plan->nr_blocks; b++) {
		if (!in[b] || kept[b])
			continue;
		if (v == UINT32_MAX || uses[b] < uses[v] ||
		    (uses[b] == uses[v] && last[b] > last[v]))
			v = b;
	}
	return v;
}

static int a0_misses(const struct wl_plan *plan, uint64_t cap, uint64_t *misses)
{
	struct blk_use *order = calloc(plan->nr_blocks, sizeof(*order));
	uint64_t *uses = calloc(plan->nr_blocks, sizeof(*uses));
	uint64_t *last = calloc(plan->nr_blocks, sizeof(*last));
	char *kept = calloc(plan->nr_blocks, 1), *in = calloc(plan->nr_blocks, 1);
	uint64_t i, resident = 0;
	int err = -1;

	if (!order || !uses || !last || !kept || !in)
		goto out;
	for (i = 0; i < plan->nr_acc; i++)
		uses[plan->acc[i].blk]++;
	for (i = 0; i < plan->nr_blocks; i++)
		order[i] = (struct blk_use){ uses[i], (uint32_t)i };
	qsort(order, plan->nr_blocks, sizeof(*order), by_uses_desc);
	for (i = 0; i + 1 < cap && i < plan->nr_blocks; i++)
		kept[order[i].blk] = 1;
	*misses = 0;
	for (i = 0; i < plan->nr_acc; i++) {
		uint32_t b = plan->acc[i].blk;

		if (!in[b]) {
			(*misses)++;
			if (resident == cap) {
				in[a0_victim(plan, in, kept, uses, last)] = 0;
				resident--;
			}
			in[b] = 1;
			resident++;
		}
		last[b] = i + 1;
	}
	err = 0;
out:
	free(order);
	free(uses);
	free(last);
	free(kept);
	free(in);
	return err;
}

int main(void)
{
	static const double skews[] = { 0, 1, 2 }, oversubs[] = { 1.5, 2, 3 };
	unsigned int s, o;

	printf("skew oversub blocks accesses min_misses a0_misses a0/min\n");
	for (s = 0; s < 3; s++)
		for (o = 0; o < 3; o++) {
			struct wl_plan plan = { 0 };
			struct min_result min;
			struct wl_params p;
			uint64_t *keys, a0, i;

			wl_defaults(&p, WL_MOE_DECODE);
			p.hbm_blocks = A0_HBM_BLOCKS;
			p.oversub = oversubs[o];
			p.skew = skews[s];
			if (wl_generate(&p, &plan))
				return 1;
			keys = malloc(plan.nr_acc * sizeof(*keys));
			if (!keys)
				return 1;
			for (i = 0; i < plan.nr_acc; i++)
				keys[i] = plan.acc[i].blk;
			if (min_simulate(keys, NULL, plan.nr_acc, A0_HBM_BLOCKS, &min) ||
			    a0_misses(&plan, A0_HBM_BLOCKS, &a0))
				return 1;
			printf("%.0f %.1f %u %llu %llu %llu %.2f\n", skews[s], oversubs[o],
			       plan.nr_blocks, (unsigned long long)plan.nr_acc,
			       (unsigned long long)min.misses, (unsigned long long)a0,
			       (double)a0 / (double)min.misses);
			free(keys);
			wl_plan_free(&plan);
		}
	return 0;
}
