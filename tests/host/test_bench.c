// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for the benchmark's pure parts: workload generators
 * (bench/workload.c), the cost model (bench/model.c) and the trace file
 * format (bench/gtrace.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gtrace.h"
#include "model.h"
#include "workload.h"

static struct wl_plan gen(enum wl_kind kind, uint32_t hbm, double oversub)
{
	struct wl_params p;
	struct wl_plan plan;

	wl_defaults(&p, kind);
	p.hbm_blocks = hbm;
	p.oversub = oversub;
	cr_assert_eq(wl_generate(&p, &plan), 0, "%s", wl_kind_name(kind));
	return plan;
}

/* Each block exactly @times times, and nothing outside the object. */
static void expect_each_block(const struct wl_plan *plan, unsigned int times)
{
	unsigned int *seen = calloc(plan->nr_blocks, sizeof(*seen));
	uint64_t i;
	uint32_t b;

	cr_assert_not_null(seen);
	for (i = 0; i < plan->nr_acc; i++) {
		cr_assert_lt(plan->acc[i].blk, plan->nr_blocks);
		seen[plan->acc[i].blk]++;
	}
	for (b = 0; b < plan->nr_blocks; b++)
		cr_expect_eq(seen[b], times, "block %u seen %u times", b, seen[b]);
	free(seen);
}

Test(workload, seq_sizes_and_order)
{
	struct wl_plan plan = gen(WL_SEQ, 64, 2.0);
	uint64_t i;

	cr_expect_eq(plan.nr_blocks, 128);
	cr_expect_eq(plan.nr_acc, 3 * 128);
	for (i = 0; i < plan.nr_acc; i++)
		cr_assert_eq(plan.acc[i].blk, i % 128);
	wl_plan_free(&plan);
	plan = gen(WL_SEQ, 64, 0.5);
	cr_expect_eq(plan.nr_blocks, 32);
	wl_plan_free(&plan);
}

static void check_stride(int stride, uint32_t hbm, double oversub)
{
	struct wl_params p;
	struct wl_plan plan;
	uint64_t i, steps = 0, strided = 0;

	wl_defaults(&p, WL_STRIDE);
	p.hbm_blocks = hbm;
	p.oversub = oversub;
	p.stride = stride;
	cr_assert_eq(wl_generate(&p, &plan), 0);
	expect_each_block(&plan, p.passes);
	/* Inside a column every step is exactly the stride. */
	for (i = 1; i < plan.nr_acc; i++) {
		int64_t d = (int64_t)plan.acc[i].blk - (int64_t)plan.acc[i - 1].blk;

		steps++;
		strided += d == stride;
	}
	cr_expect_gt(strided * 10, steps * 8, "stride %d: %llu of %llu steps strided", stride,
		     (unsigned long long)strided, (unsigned long long)steps);
	if (stride < 0)
		cr_expect_eq(plan.acc[0].blk, plan.nr_blocks - 1);
	else
		cr_expect_eq(plan.acc[0].blk, 0);
	wl_plan_free(&plan);
}

Test(workload, strides_cover_every_block)
{
	check_stride(1, 64, 2.0);
	check_stride(2, 64, 2.0);
	check_stride(7, 64, 3.0);
	check_stride(-1, 64, 1.0);
	check_stride(-7, 64, 4.0);
}

Test(workload, seeded_generators_are_deterministic)
{
	static const enum wl_kind kinds[] = { WL_RANDOM, WL_ZIPF, WL_LLM_TRAIN, WL_LLM_DECODE,
					      WL_MOE_DECODE };
	unsigned int k;

	for (k = 0; k < 5; k++) {
		struct wl_plan a = gen(kinds[k], 64, 2.0), b = gen(kinds[k], 64, 2.0);

		cr_assert_eq(a.nr_acc, b.nr_acc);
		cr_expect_eq(memcmp(a.acc, b.acc, a.nr_acc * sizeof(*a.acc)), 0, "%s",
			     wl_kind_name(kinds[k]));
		wl_plan_free(&a);
		wl_plan_free(&b);
	}
}

Test(workload, seeds_differ_and_random_is_uniformish)
{
	struct wl_params p;
	struct wl_plan a, b;
	uint64_t i, same = 0, writes = 0;
	unsigned int hist[128] = { 0 }, lo = ~0u, hi = 0;
	uint32_t j;

	wl_defaults(&p, WL_RANDOM);
	p.hbm_blocks = 64;
	p.oversub = 2;
	p.passes = 200;
	cr_assert_eq(wl_generate(&p, &a), 0);
	p.seed = 2;
	cr_assert_eq(wl_generate(&p, &b), 0);
	for (i = 0; i < a.nr_acc; i++) {
		same += a.acc[i].blk == b.acc[i].blk;
		hist[a.acc[i].blk]++;
		writes += a.acc[i].write;
	}
	cr_expect_lt(same, a.nr_acc / 50);
	for (j = 0; j < 128; j++) {
		lo = hist[j] < lo ? hist[j] : lo;
		hi = hist[j] > hi ? hist[j] : hi;
	}
	/* 200 expected per block: a fair generator stays well inside 140..260. */
	cr_expect_gt(lo, 140);
	cr_expect_lt(hi, 260);
	cr_expect(writes > a.nr_acc / 5 && writes < a.nr_acc * 3 / 10);
	wl_plan_free(&a);
	wl_plan_free(&b);
}

Test(workload, zipf_is_skewed)
{
	struct wl_params p;
	struct wl_plan plan;
	unsigned int hist[256] = { 0 }, top = 0;
	uint64_t i;
	uint32_t j;

	wl_defaults(&p, WL_ZIPF);
	p.hbm_blocks = 64;
	p.oversub = 4;
	p.passes = 50;
	cr_assert_eq(wl_generate(&p, &plan), 0);
	for (i = 0; i < plan.nr_acc; i++)
		hist[plan.acc[i].blk]++;
	for (j = 0; j < plan.nr_blocks; j++)
		top = hist[j] > top ? hist[j] : top;
	/* zipf(1) over 256: rank 1 draws 1/H(256) = 16% of the accesses. */
	cr_expect(top > plan.nr_acc / 8 && top < plan.nr_acc / 5, "top %u of %llu", top,
		  (unsigned long long)plan.nr_acc);
	/* The hottest block is not simply block 0: ranks are permuted. */
	cr_expect_neq(hist[0], top);
	wl_plan_free(&plan);
}

Test(workload, llm_train_forward_backward_optimizer)
{
	struct wl_plan plan = gen(WL_LLM_TRAIN, 64, 2.0);
	uint32_t L = 8, O = 128 / 8, S = (128 - O) / L, l, b;
	uint64_t pos = 0;

	cr_expect_eq(plan.nr_blocks, L * S + O);
	cr_expect_eq(plan.nr_acc, 2 * (2ull * L * S + O));
	/* Iteration 1: forward reads, backward writes, optimizer writes. */
	for (l = 0; l < L; l++)
		for (b = 0; b < S; b++, pos++)
			cr_assert(plan.acc[pos].blk == l * S + b && !plan.acc[pos].write);
	for (l = L; l-- > 0;)
		for (b = 0; b < S; b++, pos++)
			cr_assert(plan.acc[pos].blk == l * S + b && plan.acc[pos].write);
	for (b = 0; b < O; b++, pos++)
		cr_assert(plan.acc[pos].blk == L * S + b && plan.acc[pos].write);
	/* Hints: a tag per layer, the optimizer tagged and HOT. */
	cr_assert_eq(plan.nr_hints, L + 2);
	for (l = 0; l < L; l++)
		cr_expect(plan.hints[l].advice == GMEM_ADV_TAG && plan.hints[l].value == l &&
			  plan.hints[l].first == l * S && plan.hints[l].nr == S);
	cr_expect_eq(plan.hints[L].value, WL_TAG_OPTIMIZER);
	cr_expect_eq(plan.hints[L + 1].advice, GMEM_ADV_HOT);
	cr_expect_eq(plan.hints[L + 1].nr, O);
	wl_plan_free(&plan);
}

Test(workload, llm_decode_kv_grows)
{
	struct wl_params p;
	struct wl_plan plan;
	uint32_t L = 8, W, K, kv0, l, t, maxkv[8] = { 0 };
	uint64_t i;

	wl_defaults(&p, WL_LLM_DECODE);
	p.hbm_blocks = 64;
	p.oversub = 2;
	cr_assert_eq(wl_generate(&p, &plan), 0);
	W = (3 * 128 / 4) / L;
	K = (128 / 4) / L;
	kv0 = L * W;
	cr_expect_eq(plan.nr_blocks, L * (W + K));
	/* Walk token by token: weights of every layer, then a KV prefix ending in a write. */
	i = 0;
	for (t = 0; t < p.iters; t++)
		for (l = 0; l < L; l++) {
			uint32_t b, used = 0;

			for (b = 0; b < W; b++, i++)
				cr_assert_eq(plan.acc[i].blk, l * W + b);
			while (i < plan.nr_acc && plan.acc[i].blk >= kv0 + l * K &&
			       plan.acc[i].blk < kv0 + (l + 1) * K) {
				cr_assert_eq(plan.acc[i].blk, kv0 + l * K + used);
				used++;
				i++;
			}
			cr_assert(used >= maxkv[l] && used >= 1, "KV of layer %u shrank", l);
			cr_assert(plan.acc[i - 1].write, "the newest KV block is written");
			maxkv[l] = used;
		}
	cr_expect_eq(i, plan.nr_acc);
	for (l = 0; l < L; l++)
		cr_expect_eq(maxkv[l], K);
	wl_plan_free(&plan);
}

Test(workload, bad_parameters_are_rejected)
{
	struct wl_params p;
	struct wl_plan plan;

	wl_defaults(&p, WL_SEQ);
	p.hbm_blocks = 0;
	p.oversub = 2;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	cr_expect_null(plan.acc);
	p.hbm_blocks = 64;
	p.oversub = 9;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.oversub = 0.1;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.oversub = 1;
	p.passes = 0;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	wl_defaults(&p, WL_STRIDE);
	p.hbm_blocks = 8;
	p.oversub = 1;
	p.stride = 0;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.stride = 8;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.stride = -8;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	wl_defaults(&p, WL_LLM_TRAIN);
	p.hbm_blocks = 8;
	p.oversub = 1;
	p.layers = 0;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.layers = 500;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	cr_expect_eq(wl_kind_parse("nope"), 0);
	cr_expect_eq(wl_kind_parse("llm-decode"), WL_LLM_DECODE);
}

static struct wl_plan gen_moe(double oversub, double skew, uint32_t iters, uint64_t seed)
{
	struct wl_params p;
	struct wl_plan plan;

	wl_defaults(&p, WL_MOE_DECODE);
	p.hbm_blocks = 64;
	p.oversub = oversub;
	p.skew = skew;
	p.iters = iters;
	p.seed = seed;
	cr_assert_eq(wl_generate(&p, &plan), 0);
	return plan;
}

/*
 * Defaults at 2x of 64 blocks: 4 layers of 32 blocks = 8 attention + 8
 * experts x 3. Every (token, layer) reads its attention blocks in order,
 * then exactly 2 distinct whole experts in ascending order; all of a
 * layer's blocks carry the layer's tag.
 */
Test(workload, moe_decode_shape)
{
	struct wl_plan plan = gen_moe(2.0, 1.0, 32, 1);
	const uint32_t L = 4, A = 8, E = 8, B = 3, S = A + E * B;
	uint64_t pos = 0;
	uint32_t t, l, i, j, x, prev;

	cr_assert_eq(plan.nr_blocks, L * S);
	cr_assert_eq(plan.nr_acc, 32ull * L * (A + 2 * B));
	cr_assert_eq(plan.nr_hints, L);
	for (l = 0; l < L; l++) {
		cr_expect_eq(plan.hints[l].first, l * S);
		cr_expect_eq(plan.hints[l].nr, S);
		cr_expect_eq(plan.hints[l].advice, GMEM_ADV_TAG);
		cr_expect_eq(plan.hints[l].value, WL_TAG_LAYER(l));
	}
	for (t = 0; t < 32; t++)
		for (l = 0; l < L; l++) {
			for (i = 0; i < A; i++)
				cr_assert_eq(plan.acc[pos++].blk, l * S + i);
			prev = E;
			for (j = 0; j < 2; j++) {
				uint32_t first = plan.acc[pos].blk;

				cr_assert_geq(first, l * S + A);
				x = (first - l * S - A) / B;
				cr_assert_eq((first - l * S - A) % B, 0, "expert starts mid-expert");
				cr_assert(prev == E || x > prev, "experts distinct and ascending");
				prev = x;
				for (i = 0; i < B; i++) {
					cr_assert_eq(plan.acc[pos].blk, first + i);
					cr_assert_eq(plan.acc[pos++].write, 0);
				}
			}
		}
	cr_expect_eq(pos, plan.nr_acc);
	wl_plan_free(&plan);
}

/* Times each expert of layer 0 runs (all tokens). */
static void moe_counts(const struct wl_plan *p, uint32_t *cnt)
{
	const uint32_t A = 8, E = 8, B = 3;
	uint64_t i;

	memset(cnt, 0, E * sizeof(*cnt));
	for (i = 0; i < p->nr_acc; i++) {
		uint32_t b = p->acc[i].blk;

		if (b >= A && b < A + E * B && (b - A) % B == 0)
			cnt[(b - A) / B]++;
	}
}

/* Skew 0 spreads the router's picks evenly; skew 2 concentrates them. */
Test(workload, moe_router_skew)
{
	struct wl_plan u = gen_moe(2.0, 0.0, 2048, 1), z = gen_moe(2.0, 2.0, 2048, 1);
	uint32_t cu[8], cz[8], e, umin = UINT32_MAX, umax = 0, zmin = UINT32_MAX, zmax = 0;
	uint64_t su = 0, sz = 0;

	moe_counts(&u, cu);
	moe_counts(&z, cz);
	for (e = 0; e < 8; e++) {
		su += cu[e];
		sz += cz[e];
		umin = cu[e] < umin ? cu[e] : umin;
		umax = cu[e] > umax ? cu[e] : umax;
		zmin = cz[e] < zmin ? cz[e] : zmin;
		zmax = cz[e] > zmax ? cz[e] : zmax;
	}
	/* Two picks per token: 4096 over 8 experts, 512 each on average. */
	cr_expect_eq(su, 4096);
	cr_expect_eq(sz, 4096);
	cr_expect(umin > 400 && umax < 624, "uniform: %u..%u", umin, umax);
	/* zipf(2) over 8 ranks, two draws: rank 0 runs in ~90% of tokens. */
	cr_expect(zmax > 1700 && zmin < 100, "skewed: %u..%u", zmin, zmax);
	wl_plan_free(&u);
	wl_plan_free(&z);
}

Test(workload, moe_route_without_replacement)
{
	/* Weights that make rank order certain up to rounding: ranks 0, 1, 2. */
	static const double w[4] = { 1e300, 1e150, 1, 0 };
	static const uint32_t rank[4] = { 3, 0, 2, 1 };
	uint64_t state = 7;
	uint32_t out[4];

	wl_moe_route(&state, rank, w, 4, 3, out);
	cr_expect_eq(out[0], 0);
	cr_expect_eq(out[1], 2);
	cr_expect_eq(out[2], 3);
	wl_moe_route(&state, rank, w, 4, 4, out);
	cr_expect(out[0] == 0 && out[1] == 1 && out[2] == 2 && out[3] == 3);
}

Test(workload, moe_seeds_and_bad_parameters)
{
	struct wl_plan a = gen_moe(3.0, 1.0, 32, 1), b = gen_moe(3.0, 1.0, 32, 2);
	struct wl_params p;
	struct wl_plan plan;

	cr_assert_eq(a.nr_acc, b.nr_acc);
	cr_expect_neq(memcmp(a.acc, b.acc, a.nr_acc * sizeof(*a.acc)), 0);
	wl_plan_free(&a);
	wl_plan_free(&b);
	wl_defaults(&p, WL_MOE_DECODE);
	p.hbm_blocks = 64;
	p.oversub = 2;
	p.topk = 9;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.topk = 0;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.topk = 2;
	p.experts = 65;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.experts = 8;
	p.skew = -1;
	cr_expect_eq(wl_generate(&p, &plan), -EINVAL);
	p.skew = 1;
	p.expert_blocks = 5;
	cr_assert_eq(wl_generate(&p, &plan), 0);
	cr_expect_eq(plan.nr_blocks, 4 * (8 + 8 * 5));
	wl_plan_free(&plan);
	cr_expect_eq(wl_kind_parse("moe-decode"), WL_MOE_DECODE);
}

Test(model, hand_computed)
{
	struct cost_model m = COST_MODEL_DEFAULT;
	struct gmem_stats s = { 0 };
	struct cost_result r;
	const uint64_t bs = 2u << 20;
	double t_x = (double)bs / 25.0, t_c = (double)bs / 50.0;

	s.dev_faults = 10;
	s.h2d_blocks = 30;
	s.prefetch_issued = 20;
	s.d2h_blocks = 5;
	cost_model_eval(&m, bs, 100, &s, &r);
	cr_expect_float_eq(r.compute_ns, 100 * t_c, 1e-6);
	cr_expect_float_eq(r.fault_ns, 10 * 20000.0, 1e-6);
	cr_expect_float_eq(r.demand_ns, 10 * t_x, 1e-6);
	cr_expect_float_eq(r.evict_ns, 5 * t_x, 1e-6);
	/* 20 prefetches each hide behind one block of compute (t_c < t_x). */
	cr_expect_float_eq(r.prefetch_ns, 20 * (t_x - t_c), 1e-6);
	cr_expect_float_eq(r.total_ns, r.compute_ns + r.fault_ns + r.demand_ns + r.evict_ns +
			   r.prefetch_ns, 1e-6);

	/* Less compute than prefetches: hiding is capped by the compute there is. */
	cost_model_eval(&m, bs, 4, &s, &r);
	cr_expect_float_eq(r.prefetch_ns, 20 * t_x - 4 * t_c, 1e-6);

	/* Slow compute: a prefetch hides completely. */
	m.compute_gbps = 5;
	cost_model_eval(&m, bs, 100, &s, &r);
	cr_expect_float_eq(r.prefetch_ns, 0.0, 1e-6);

	m.link_gbps = 0;
	cr_expect_eq(cost_model_check(&m), -EINVAL);
	m.link_gbps = 25;
	m.fault_us = -1;
	cr_expect_eq(cost_model_check(&m), -EINVAL);
	m.fault_us = 0;
	cr_expect_eq(cost_model_check(&m), 0);
}

static char *tmp_path(void)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/gtrace-test-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	return path;
}

Test(gtrace, round_trip)
{
	struct gmem_trace_rec recs[3] = {
		{ .obj = 1, .idx = 4, .dev = 0, .kind = GMEM_TRACE_FAULT, .t_ns = 10 },
		{ .obj = 1, .idx = 5, .dev = 1, .kind = GMEM_TRACE_ACCESS, .write = 1, .t_ns = 20 },
		{ .obj = 2, .idx = 0, .dev = 0, .kind = GMEM_TRACE_ACCESS, .write = 1, .t_ns = 30 },
	};
	struct gtrace_writer w;
	struct gtrace t;
	char *path = tmp_path();
	uint64_t *keys;
	uint8_t *writes;

	cr_assert_eq(gtrace_create(&w, path, 1u << 16, 32), 0);
	cr_assert_eq(gtrace_append(&w, recs, 2), 0);
	cr_assert_eq(gtrace_append(&w, recs + 2, 1), 0);
	cr_assert_eq(gtrace_close(&w, 7), 0);
	cr_assert_eq(gtrace_load(path, &t), 0);
	cr_expect_eq(t.hdr.nr_records, 3);
	cr_expect_eq(t.hdr.block_size, 1u << 16);
	cr_expect_eq(t.hdr.hbm_blocks, 32);
	cr_expect_eq(t.hdr.dropped, 7);
	cr_expect_eq(memcmp(t.recs, recs, sizeof(recs)), 0);
	cr_assert_eq(gtrace_keys(&t, 0, &keys, &writes), 2);
	cr_expect_eq(keys[0], GMEM_BLK_ID(1, 4));
	cr_expect_eq(keys[1], GMEM_BLK_ID(2, 0));
	/* The write flags of device 0's records, in the same order. */
	cr_expect_eq(writes[0], 0);
	cr_expect_eq(writes[1], 1);
	free(keys);
	free(writes);
	cr_assert_eq(gtrace_keys(&t, -1, &keys, &writes), 3);
	cr_expect_eq(writes[1], 1);
	free(keys);
	free(writes);
	gtrace_free(&t);
	unlink(path);
}

/* v2 streams carry object and hint records; analyses of accesses skip them. */
Test(gtrace, hint_records_are_not_accesses)
{
	struct gmem_trace_rec recs[5] = {
		{ .obj = 1, .idx = 8, .kind = GMEM_TRACE_OBJ },
		{ .obj = 1, .idx = 0, .nr = 4, .kind = GMEM_TRACE_HINT, .write = GMEM_ADV_TAG },
		{ .obj = 1, .idx = 0, .kind = GMEM_TRACE_HINT_VALUE, .t_ns = 7 },
		{ .obj = 1, .idx = 3, .kind = GMEM_TRACE_FAULT },
		{ .obj = 1, .idx = 3, .kind = GMEM_TRACE_ACCESS },
	};
	struct gtrace_writer w;
	struct gtrace t;
	char *path = tmp_path();
	uint64_t *keys;

	cr_assert_eq(gtrace_create(&w, path, 4096, 8), 0);
	cr_assert_eq(gtrace_append(&w, recs, 5), 0);
	cr_assert_eq(gtrace_close(&w, 0), 0);
	cr_assert_eq(gtrace_load(path, &t), 0);
	cr_expect_eq(t.hdr.version, 2);
	cr_expect_eq(gtrace_nr_accesses(&t), 2);
	cr_assert_eq(gtrace_keys(&t, -1, &keys, NULL), 2);
	cr_expect_eq(keys[0], GMEM_BLK_ID(1, 3));
	free(keys);
	gtrace_free(&t);
	unlink(path);
}

/* A version 1 file (accesses only) still loads. */
Test(gtrace, version1_is_read)
{
	struct gmem_trace_rec rec = { .obj = 1, .idx = 2, .kind = GMEM_TRACE_ACCESS };
	struct gtrace_writer w;
	struct gtrace t;
	char *path = tmp_path();
	uint32_t v1 = 1;
	FILE *f;

	cr_assert_eq(gtrace_create(&w, path, 4096, 8), 0);
	cr_assert_eq(gtrace_append(&w, &rec, 1), 0);
	cr_assert_eq(gtrace_close(&w, 0), 0);
	f = fopen(path, "r+b");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, offsetof(struct gtrace_hdr, version), SEEK_SET), 0);
	cr_assert_eq(fwrite(&v1, sizeof(v1), 1, f), 1);
	fclose(f);
	cr_assert_eq(gtrace_load(path, &t), 0);
	cr_expect_eq(t.hdr.version, 1);
	cr_expect_eq(gtrace_nr_accesses(&t), 1);
	gtrace_free(&t);
	unlink(path);
}

Test(gtrace, damaged_files_are_rejected)
{
	struct gmem_trace_rec rec = { .obj = 1 };
	struct gtrace_writer w;
	struct gtrace t;
	char *path = tmp_path();
	FILE *f;

	/* A writer that never closed: nr_records is still ~0 on disk. */
	cr_assert_eq(gtrace_create(&w, path, 4096, 8), 0);
	cr_assert_eq(gtrace_append(&w, &rec, 1), 0);
	fflush(w.f);
	cr_expect_eq(gtrace_load(path, &t), -EINVAL);
	cr_assert_eq(gtrace_close(&w, 0), 0);
	cr_expect_eq(gtrace_load(path, &t), 0);
	gtrace_free(&t);

	/* Truncated body. */
	cr_assert_eq(truncate(path, sizeof(struct gtrace_hdr) + 10), 0);
	cr_expect_eq(gtrace_load(path, &t), -EINVAL);

	/* Wrong magic. */
	f = fopen(path, "r+b");
	cr_assert_not_null(f);
	fputc('X', f);
	fclose(f);
	cr_expect_eq(gtrace_load(path, &t), -EINVAL);

	cr_expect_eq(gtrace_load("/nonexistent/trace", &t), -ENOENT);
	cr_expect_eq(gtrace_create(&w, path, 3000, 8), -EINVAL);
	cr_expect_eq(gtrace_create(&w, path, 4096, 0), -EINVAL);
	unlink(path);
}
