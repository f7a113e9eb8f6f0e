// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim GEMM kernel: C (s32) = A (s8) * op(B) (s8), int32 accumulation.
 *
 * Quantized inference is what accelerators run, and integer math keeps the
 * results exact (the CPU reference of the samples must match bit for bit)
 * and needs no FPU in the kernel. Element-wise work (norms, softmax,
 * activations, requantization) is left to the CPU on purpose: activations
 * then cross between CPU and device through unified memory every layer.
 *
 * The job runs in three phases, each a walk over one operand block by block
 * through the device page table (sim_step()), so faults, prefetch and
 * eviction see the real order: load A's rows into the on-chip buffer, stream
 * B once multiplying each piece into the s32 accumulators, store the
 * accumulators into C's rows. A step is at most one block of one operand,
 * so the work per step is bounded by m * block size MACs (m <= 64), and the
 * device needs only one block mapped at a time. Cancellation is checked by
 * sim_step() before every step.
 *
 * Locking: see gmem_sim.h; the visit functions run under as->pt_lock and
 * touch only the job's own buffers and the bytes they are given.
 */
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gmem_sim.h"

#define SIM_GEMM_MAX_M		64
#define SIM_GEMM_MAX_A		(256u << 10)	/* bytes of A on chip */
#define SIM_GEMM_MAX_ACC	(64u << 10)	/* s32 accumulators */

struct sim_gemm {
	struct gmem_sim_gemm g;
	s8 *a;			/* m x k, dense */
	u32 *acc;		/* m x n, dense; u32 so that overflow wraps */
	u64 ld, rowlen;		/* the operand being walked */
	u64 macs;		/* done by the current visit */
};

/*
 * Calls @fn for each row piece of @p: the walk's bytes [pos, pos + len) of
 * an operand whose rows are @rowlen bytes every @ld bytes; gaps are skipped.
 */
static void sim_gemm_pieces(struct sim_gemm *s, u64 pos, const u8 *p, size_t len,
			    void (*fn)(struct sim_gemm *s, u64 row, u64 col,
				       const u8 *p, size_t n))
{
	u64 row, col;
	size_t n;

	while (len) {
		row = div64_u64_rem(pos, s->ld, &col);
		if (col >= s->rowlen) {
			n = min_t(u64, len, s->ld - col);
		} else {
			n = min_t(u64, len, s->rowlen - col);
			fn(s, row, col, p, n);
		}
		pos += n;
		p += n;
		len -= n;
	}
}

static void sim_gemm_load_a(struct sim_gemm *s, u64 row, u64 col, const u8 *p, size_t n)
{
	memcpy(s->a + row * s->g.k + col, p, n);
}

/* B stored n x k: row @row of B is column @row of C, at depth @col. */
static void sim_gemm_mul_bt(struct sim_gemm *s, u64 row, u64 col, const u8 *p, size_t n)
{
	const s8 *b = (const s8 *)p;
	u32 r, t, k = s->g.k;

	for (r = 0; r < s->g.m; r++) {
		const s8 *a = s->a + r * k + col;
		u32 sum = 0;

		for (t = 0; t < n; t++)
			sum += (u32)((s32)a[t] * b[t]);
		s->acc[r * s->g.n + row] += sum;
	}
	s->macs += (u64)s->g.m * n;
}

/* B stored k x n: row @row of B is depth @row, columns from @col. */
static void sim_gemm_mul_bn(struct sim_gemm *s, u64 row, u64 col, const u8 *p, size_t n)
{
	const s8 *b = (const s8 *)p;
	u32 r, t;

	for (r = 0; r < s->g.m; r++) {
		s32 av = s->a[r * s->g.k + row];
		u32 *acc = s->acc + r * s->g.n + col;

		if (!av)
			continue;
		for (t = 0; t < n; t++)
			acc[t] += (u32)(av * b[t]);
	}
	s->macs += (u64)s->g.m * n;
}

/* C pieces are whole s32 elements: c, ldc and block sizes are 4-aligned. */
static void sim_gemm_store_c(struct sim_gemm *s, u64 row, u64 col, const u8 *p, size_t n)
{
	const u32 *acc = s->acc + row * s->g.n + col / 4;
	u32 *c = (u32 *)p;
	size_t e;

	if (s->g.flags & GMEM_SIM_GEMM_ACC) {
		for (e = 0; e < n / 4; e++)
			c[e] += acc[e];
	} else {
		memcpy(c, acc, n);
	}
}

/* sim_visit_fn wrappers: the step's MACs go to the device clock. */
#define SIM_GEMM_VISIT(name, fn)						\
static void name(struct sim_job *job, void *p, size_t len, size_t off)		\
{										\
	struct sim_gemm *s = job->gemm;						\
										\
	sim_gemm_pieces(s, job->cur + off, p, len, fn);				\
	job->step_macs += s->macs;						\
	s->macs = 0;								\
}

SIM_GEMM_VISIT(sim_visit_load_a, sim_gemm_load_a)
SIM_GEMM_VISIT(sim_visit_mul_bt, sim_gemm_mul_bt)
SIM_GEMM_VISIT(sim_visit_mul_bn, sim_gemm_mul_bn)
SIM_GEMM_VISIT(sim_visit_store_c, sim_gemm_store_c)

/*
 * Walk @rows rows of @rowlen bytes every @ld bytes from @base, one step per
 * block piece; a piece that holds only gap bytes is not touched at all.
 */
static int sim_gemm_walk(struct sim_job *job, u64 base, u64 ld, u64 rows, u64 rowlen,
			 bool write, sim_visit_fn fn)
{
	struct sim_gemm *s = job->gemm;
	u64 span = (rows - 1) * ld + rowlen, pos, col;
	size_t n;
	int ret;

	s->ld = ld;
	s->rowlen = rowlen;
	for (pos = 0; pos < span; pos += n) {
		n = min_t(u64, span - pos, sim_blk_left(base + pos));
		div64_u64_rem(pos, ld, &col);
		if (col >= rowlen && col + n <= ld)
			continue;
		job->cur = pos;
		ret = sim_step(job, base + pos, n, write, fn);
		if (ret)
			return ret;
	}
	return 0;
}

int sim_run_gemm(struct sim_job *job)
{
	struct sim_gemm *s = job->gemm;
	const struct gmem_sim_gemm *g = &s->g;
	bool bn = g->flags & GMEM_SIM_GEMM_BN;
	int ret;

	memset(s->acc, 0, (size_t)g->m * g->n * sizeof(*s->acc));
	ret = sim_gemm_walk(job, g->a, g->lda, g->m, g->k, false, sim_visit_load_a);
	if (ret)
		return ret;
	if (bn)
		ret = sim_gemm_walk(job, g->b, g->ldb, g->k, g->n, false, sim_visit_mul_bn);
	else
		ret = sim_gemm_walk(job, g->b, g->ldb, g->n, g->k, false, sim_visit_mul_bt);
	if (ret)
		return ret;
	return sim_gemm_walk(job, g->c, g->ldc, g->m, (u64)g->n * 4, true, sim_visit_store_c);
}

/* The address range of @rows rows of @rowlen bytes every @ld must not wrap. */
static int sim_gemm_check_span(u64 base, u64 ld, u64 rows, u64 rowlen)
{
	u64 span;

	if (ld < rowlen || check_mul_overflow(rows - 1, ld, &span) ||
	    check_add_overflow(span, rowlen, &span) || check_add_overflow(base, span, &span))
		return -EINVAL;
	return 0;
}

static int sim_gemm_check(const struct gmem_sim_gemm *g)
{
	bool bn = g->flags & GMEM_SIM_GEMM_BN;

	if (g->flags & ~(GMEM_SIM_GEMM_BN | GMEM_SIM_GEMM_ACC) || !g->m || !g->n || !g->k)
		return -EINVAL;
	if (g->m > SIM_GEMM_MAX_M || (u64)g->m * g->k > SIM_GEMM_MAX_A ||
	    (u64)g->m * g->n > SIM_GEMM_MAX_ACC)
		return -E2BIG;
	if (g->c % 4 || g->ldc % 4)
		return -EINVAL;
	if (sim_gemm_check_span(g->a, g->lda, g->m, g->k) ||
	    sim_gemm_check_span(g->c, g->ldc, g->m, (u64)g->n * 4))
		return -EINVAL;
	if (bn)
		return sim_gemm_check_span(g->b, g->ldb, g->k, g->n);
	return sim_gemm_check_span(g->b, g->ldb, g->n, g->k);
}

void sim_gemm_free(struct sim_gemm *s)
{
	if (!s)
		return;
	kvfree(s->a);
	kvfree(s->acc);
	kfree(s);
}

/* Bytes from the first byte of row 0 to the last of row @rows - 1 (checked not to wrap). */
static u64 sim_gemm_span(u64 ld, u64 rows, u64 rowlen)
{
	return (rows - 1) * ld + rowlen;
}

/*
 * Before the first byte moves: every operand span lies in gmem mappings that
 * allow the access (A and B read, C written; C is read too with ACC).
 */
int sim_gemm_check_ranges(struct sim_job *job)
{
	const struct gmem_sim_gemm *g = &job->gemm->g;
	struct mm_struct *mm = job->sf->as->mm;
	bool bn = g->flags & GMEM_SIM_GEMM_BN;
	int ret;

	ret = gm_dev_check_range(mm, g->a, sim_gemm_span(g->lda, g->m, g->k), false);
	if (!ret)
		ret = gm_dev_check_range(mm, g->b, bn ? sim_gemm_span(g->ldb, g->k, g->n) :
						    sim_gemm_span(g->ldb, g->n, g->k), false);
	if (!ret)
		ret = gm_dev_check_range(mm, g->c, sim_gemm_span(g->ldc, g->m, (u64)g->n * 4),
					 true);
	return ret;
}

/* At launch: copy and check the operands, allocate the on-chip buffers. */
int sim_gemm_prepare(struct sim_job *job)
{
	struct sim_gemm *s;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	job->gemm = s;
	if (copy_from_user(&s->g, u64_to_user_ptr(job->args.x), sizeof(s->g)))
		return -EFAULT;
	ret = sim_gemm_check(&s->g);
	if (ret)
		return ret;
	/* Charged to the caller's memory cgroup, like every job buffer. */
	s->a = kvmalloc((size_t)s->g.m * s->g.k, GFP_KERNEL_ACCOUNT);
	s->acc = kvmalloc_array((size_t)s->g.m * s->g.n, sizeof(*s->acc), GFP_KERNEL_ACCOUNT);
	if (!s->a || !s->acc)
		return -ENOMEM;
	return 0;
}
