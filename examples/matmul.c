// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-matmul: C = A x B^T on the simulated accelerator, with A, B and C in
 * unified memory together larger than the device's HBM.
 *
 *   A: S x K int8, B: S x K int8 (row j of B is column j of C), C: S x S int32.
 *   S is chosen so that A + B + C is --oversub times HBM (default 1.5).
 *   The CPU writes A and B (pseudo-random from --seed); the device multiplies
 *   in 64 x 1024 tiles of C (GMEM_SIM_GEMM, int32 accumulation), faulting
 *   its operands in block by block and evicting under the policy in charge;
 *   the CPU then reads all of C back and checks every element against its
 *   own product of the same matrices.
 *
 * Prints the device time (the sim's device clock, virtual ns from the real
 * order of copies, faults and compute) and the migrated bytes.
 *
 * Usage: gmem-matmul [--policy NAME] [--oversub X] [--k K] [--sim N] [--seed S]
 * Exit status 0 when C matches the reference.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample_dev.h"

#define TILE_M		64
#define TILE_N		1024

struct mm {
	const char *policy;
	double oversub;
	uint32_t s, k;
	unsigned int sim;
	uint64_t seed;
	int8_t *a, *b;		/* unified memory */
	int32_t *c;
	int8_t *ha, *hb;	/* the CPU's own copies for the reference */
};

static int parse(struct mm *p, int argc, char **argv)
{
	int i;

	p->oversub = 1.5;
	p->k = 64;
	p->seed = 1;
	p->policy = "builtin";
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--policy"))
			p->policy = argv[i + 1];
		else if (!strcmp(argv[i], "--oversub"))
			p->oversub = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--k"))
			p->k = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sim"))
			p->sim = (unsigned int)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			p->seed = strtoull(argv[i + 1], NULL, 0);
		else
			break;
	}
	if (i < argc || !(p->oversub > 0 && p->oversub <= 16) || !p->k || p->k > 4096) {
		fprintf(stderr, "usage: gmem-matmul [--policy NAME] [--oversub X (0..16]] "
			"[--k K (1..4096)] [--sim N] [--seed S]\n");
		return -EINVAL;
	}
	return 0;
}

/* The largest S (a multiple of 64) with 4 S^2 + 2 S K <= oversub x HBM. */
static uint32_t pick_s(double bytes, uint32_t k)
{
	double s = (-2.0 * k + sqrt(4.0 * k * k + 16.0 * bytes)) / 8.0;
	uint32_t r = (uint32_t)s / TILE_M * TILE_M;

	return r ? r : TILE_M;
}

static int alloc_fill(struct mm *p, size_t align)
{
	size_t ab = (size_t)p->s * p->k, cb = (size_t)p->s * p->s * 4, i;
	uint64_t seed = p->seed;
	int err;

	err = gmem_alloc(ab, align, (void **)&p->a);
	if (!err)
		err = gmem_alloc(ab, align, (void **)&p->b);
	if (!err)
		err = gmem_alloc(cb, align, (void **)&p->c);
	p->ha = malloc(ab);
	p->hb = malloc(ab);
	if (!err && (!p->ha || !p->hb))
		err = -ENOMEM;
	if (err)
		return err;
	for (i = 0; i < ab; i++) {
		uint64_t r = sample_rand(&seed);

		p->ha[i] = (int8_t)r;
		p->hb[i] = (int8_t)(r >> 8);
	}
	memcpy(p->a, p->ha, ab);
	memcpy(p->b, p->hb, ab);
	return 0;
}

static int multiply(struct mm *p, struct sample_dev *d)
{
	uint32_t i0, j0, nt;
	int err;

	for (i0 = 0; i0 < p->s; i0 += TILE_M) {
		for (j0 = 0; j0 < p->s; j0 += nt) {
			nt = p->s - j0 < TILE_N ? p->s - j0 : TILE_N;
			err = sample_gemm(d, p->a + (size_t)i0 * p->k, p->k,
					  p->b + (size_t)j0 * p->k, p->k,
					  p->c + (size_t)i0 * p->s + j0, (size_t)p->s * 4,
					  TILE_M, nt, p->k, 0);
			if (err) {
				fprintf(stderr, "GEMM tile (%u, %u): %s\n", i0, j0, strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/* Every element of C against the CPU's product; returns the mismatches. */
static uint64_t check(const struct mm *p)
{
	int32_t *ref = malloc((size_t)p->s * 4);
	uint64_t bad = 0;
	uint32_t i, j;

	if (!ref)
		return UINT64_MAX;
	for (i = 0; i < p->s; i++) {
		sample_gemm_ref(p->ha + (size_t)i * p->k, p->k, p->hb, p->k, ref, 0, 1, p->s,
				p->k, 0);
		for (j = 0; j < p->s; j++) {
			if (p->c[(size_t)i * p->s + j] == ref[j])
				continue;
			if (!bad++)
				fprintf(stderr, "C[%u][%u] = %d, reference %d\n", i, j,
					p->c[(size_t)i * p->s + j], ref[j]);
		}
	}
	free(ref);
	return bad;
}

int main(int argc, char **argv)
{
	struct gmem_sim_clock c0, c1;
	struct sample_counts n0, n1;
	struct sample_dev d;
	char pol[GMEM_NAME_LEN];
	struct mm p = { 0 };
	uint64_t bad;
	double total;
	int err;

	if (parse(&p, argc, argv))
		return 2;
	err = sample_dev_open(&d, p.sim);
	if (err) {
		fprintf(stderr, "gmem_sim%u: %s\n", p.sim, gmem_strerror(err));
		return 1;
	}
	if (sample_policy_use(&d, p.policy))
		return 1;
	/* "builtin" leaves a pinned policy in charge: name what really is. */
	sample_policy_now(pol, sizeof(pol));
	p.s = pick_s(p.oversub * (double)d.hbm_bytes, p.k);
	total = 2.0 * p.s * p.k + 4.0 * p.s * p.s;
	printf("matmul: C (%u x %u, s32) = A (%u x %u, s8) x B^T (%u x %u, s8): "
	       "%.1f MiB, HBM %.1f MiB (%.2fx)\n", p.s, p.s, p.s, p.k, p.s, p.k,
	       total / 1048576, d.hbm_bytes / 1048576.0, total / (double)d.hbm_bytes);
	err = alloc_fill(&p, d.block_size < (2u << 20) ? d.block_size : (2u << 20));
	if (err) {
		fprintf(stderr, "allocation: %s\n", gmem_strerror(err));
		return 1;
	}
	if (sample_clock(&d, &c0) || sample_counts(&n0))
		return 1;
	err = multiply(&p, &d);
	if (err || sample_clock(&d, &c1) || sample_counts(&n1))
		return 1;
	sample_clock_print(stdout, &c1);
	printf("policy %s: %" PRIu64 " GEMM jobs, device time %.3f ms (device clock; "
	       "compute %.3f, waiting for copies %.3f, faults %.3f), migrated %.1f MiB, "
	       "%" PRIu64 " device faults, %" PRIu64 " evictions\n", pol, d.jobs,
	       (c1.now_ns - c0.now_ns) / 1e6, (c1.compute_ns - c0.compute_ns) / 1e6,
	       (c1.stall_ns - c0.stall_ns) / 1e6, (c1.fault_ns - c0.fault_ns) / 1e6,
	       (n1.migrated - n0.migrated) / 1048576.0, n1.dev_faults - n0.dev_faults,
	       n1.evictions - n0.evictions);
	bad = check(&p);
	if (bad) {
		printf("FAIL: %" PRIu64 " of %" PRIu64 " elements differ from the CPU reference\n",
		       bad, (uint64_t)p.s * p.s);
		return 1;
	}
	printf("OK: C matches the CPU reference (%" PRIu64 " elements)\n", (uint64_t)p.s * p.s);
	sample_dev_close(&d);
	return 0;
}
