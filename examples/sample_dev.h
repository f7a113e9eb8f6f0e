/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sample_dev: what the samples (matmul.c, llm_decode.c) share: the simulated
 * device's GEMM and COPY jobs, its clock, a policy attached for the run,
 * migration counters, and the CPU reference of the device's GEMM.
 */
#ifndef GMEM_SAMPLE_DEV_H
#define GMEM_SAMPLE_DEV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gmempolicy.h"

struct sample_dev {
	int fd;				/* /dev/gmem_simN */
	uint32_t id;			/* the core's device id */
	uint64_t block_size, hbm_bytes;
	uint64_t jobs, job_ns;		/* jobs run, their device-clock time */
	struct gmem_policy *policy;	/* attached by sample_policy_use(), or NULL */
};

/* Open /dev/gmem_sim@index and learn its id, block size and HBM. 0 or -errno. */
int sample_dev_open(struct sample_dev *d, unsigned int index);
void sample_dev_close(struct sample_dev *d);

/*
 * C (m x n, s32, row stride ldc bytes) = A (m x k, s8) * op(B) on the
 * device, synchronously (GMEM_SIM_GEMM; @flags GMEM_SIM_GEMM_*). 0 or -errno.
 */
int sample_gemm(struct sample_dev *d, const int8_t *a, size_t lda, const int8_t *b, size_t ldb,
		int32_t *c, size_t ldc, uint32_t m, uint32_t n, uint32_t k, uint32_t flags);
/* The same product on the CPU, bit for bit (s32 wrap-around). */
void sample_gemm_ref(const int8_t *a, size_t lda, const int8_t *b, size_t ldb, int32_t *c,
		     size_t ldc, uint32_t m, uint32_t n, uint32_t k, uint32_t flags);
/* dst = src on the device (GMEM_SIM_COPY; @len a multiple of 4). */
int sample_copy(struct sample_dev *d, void *dst, const void *src, size_t len);

int sample_clock(struct sample_dev *d, struct gmem_sim_clock *c);
/* One line naming the clock and its parameters. */
void sample_clock_print(FILE *f, const struct gmem_sim_clock *c);

/*
 * Put policy @name ("builtin": none) in charge for this process's lifetime
 * (detached by sample_dev_close()). 0 or -errno, with a message on stderr.
 */
int sample_policy_use(struct sample_dev *d, const char *name);
/* Name of the policy in charge now ("builtin" if none) into @buf. */
void sample_policy_now(char *buf, size_t len);

/* Bytes migrated either way and device faults so far (global counters). */
struct sample_counts {
	uint64_t migrated, dev_faults, evictions;
};
int sample_counts(struct sample_counts *c);

/* splitmix64: the samples' deterministic weights. */
static inline uint64_t sample_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif /* GMEM_SAMPLE_DEV_H */
