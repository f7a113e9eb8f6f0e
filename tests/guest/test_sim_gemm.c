// SPDX-License-Identifier: GPL-2.0
/*
 * test_sim_gemm: the simulated accelerator's GEMM job (GMEM_SIM_GEMM) and
 * device clock (GMEM_SIM_IOC_CLOCK): every layout flag against a CPU loop,
 * operands that straddle blocks, strided rows whose gaps stay untouched,
 * argument checks, and the clock's account of a job whose blocks are all
 * resident (compute only, to the nanosecond). 64 KiB blocks, 2 MiB HBM.
 */
#include "gtest.h"
#include "gmem_test_util.h"

#define BS		(64 * 1024UL)
#define MAC_PER_NS	50	/* gmem_sim.compute_gmacs default */

struct env {
	int gfd, sfd;
	uint8_t *mem;
	size_t len;
};

static void env_open(struct env *e, size_t len)
{
	GT_ASSERT(gmt_setup(BS, 2, 1) == 0, "module reload failed");
	e->gfd = gmt_open_gmem();
	GT_ASSERT(e->gfd >= 0, "open /dev/gmem: %d", e->gfd);
	e->sfd = gmt_sim_open(0);
	GT_ASSERT(e->sfd >= 0, "open /dev/gmem_sim0: %d", e->sfd);
	e->len = len;
	e->mem = gmt_map(e->gfd, len);
	GT_ASSERT(e->mem, "mmap %zu: %s", len, strerror(errno));
}

static void env_close(struct env *e)
{
	GT_ASSERT(munmap(e->mem, e->len) == 0, "munmap");
	close(e->sfd);
	close(e->gfd);
	GMT_ASSERT_NO_LEAK();
}

/* Launch @g and wait: the launch's or the job's -errno, else 0 with @w. */
static int gemm(int sfd, const struct gmem_sim_gemm *g, struct gmem_sim_wait *w)
{
	uint64_t seq;
	int ret;

	ret = gmt_sim_launch(sfd, GMEM_SIM_GEMM, 0, g, NULL, 0, 0, &seq);
	return ret ? ret : gmt_sim_wait(sfd, seq, w);
}

static void fill8(int8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (int8_t)(gmt_pat(seed, i) >> 5);
}

/* The CPU's C (m x n) = A op(B), written as plainly as possible. */
static void cpu_gemm(const struct gmem_sim_gemm *g, int32_t *ref)
{
	const int8_t *a = (const int8_t *)(uintptr_t)g->a, *b = (const int8_t *)(uintptr_t)g->b;
	uint32_t i, j, t;

	for (i = 0; i < g->m; i++) {
		for (j = 0; j < g->n; j++) {
			int64_t s = 0;

			for (t = 0; t < g->k; t++) {
				int bv = (g->flags & GMEM_SIM_GEMM_BN) ? b[t * g->ldb + j] :
									 b[j * g->ldb + t];
				s += a[i * g->lda + t] * bv;
			}
			ref[i * g->n + j] = (int32_t)s;
		}
	}
}

/* C rows must hold @mul x ref; the bytes between rows must still be 0x5a. */
static void check_c(const struct gmem_sim_gemm *g, const int32_t *ref, int mul)
{
	const uint8_t *c = (const uint8_t *)(uintptr_t)g->c;
	uint32_t i, j;
	size_t gap;

	for (i = 0; i < g->m; i++) {
		const int32_t *row = (const int32_t *)(c + i * g->ldc);

		for (j = 0; j < g->n; j++)
			GT_ASSERT(row[j] == mul * ref[i * g->n + j], "C[%u][%u] = %d, want %d", i, j,
				  row[j], mul * ref[i * g->n + j]);
		for (gap = (size_t)g->n * 4; i + 1 < g->m && gap < g->ldc; gap++)
			GT_ASSERT(c[i * g->ldc + gap] == 0x5a, "gap byte %zu of row %u written", gap, i);
	}
}

GT_TEST(gemm_layouts_match_cpu)
{
	struct gmem_sim_wait w;
	struct gmem_sim_gemm g;
	struct env e;
	int32_t *ref;

	env_open(&e, 24 * BS);
	/* A, B and C each straddle block boundaries; rows have gaps. */
	g = (struct gmem_sim_gemm){
		.a = (uintptr_t)(e.mem + BS - 700), .lda = 320,
		.b = (uintptr_t)(e.mem + 3 * BS - 4000), .ldb = 1301,
		.c = (uintptr_t)(e.mem + 8 * BS - 1000), .ldc = 1000 * 4,
		.m = 7, .n = 70, .k = 300,
	};
	memset(e.mem + 8 * BS - 1000, 0x5a, 8 * BS);
	fill8((int8_t *)(uintptr_t)g.a, 7 * 320, 1);
	fill8((int8_t *)(uintptr_t)g.b, 70 * 1301, 2);
	ref = calloc(7 * 300, sizeof(*ref));
	GT_ASSERT(ref, "calloc");

	cpu_gemm(&g, ref);
	GT_ASSERT(gemm(e.sfd, &g, &w) == 0, "GEMM B^T");
	GT_EXPECT(w.blocks_touched > 0 && w.dev_ns > 0, "touched %llu, dev_ns %llu",
		  (unsigned long long)w.blocks_touched, (unsigned long long)w.dev_ns);
	check_c(&g, ref, 1);
	g.flags = GMEM_SIM_GEMM_ACC;
	GT_ASSERT(gemm(e.sfd, &g, &w) == 0, "GEMM B^T, accumulate");
	check_c(&g, ref, 2);

	/* B stored k x n: 300 rows of 70 used bytes every 1301. */
	g.flags = GMEM_SIM_GEMM_BN;
	g.m = 3;
	g.n = 300 / 4;
	g.k = 70;
	cpu_gemm(&g, ref);
	GT_ASSERT(gemm(e.sfd, &g, &w) == 0, "GEMM B");
	check_c(&g, ref, 1);
	free(ref);
	env_close(&e);
}

GT_TEST(gemm_bad_arguments)
{
	struct gmem_sim_wait w;
	struct gmem_sim_gemm g, ok;
	struct env e;
	char local[256];
	int ret;

	env_open(&e, 4 * BS);
	ok = (struct gmem_sim_gemm){
		.a = (uintptr_t)e.mem, .lda = 16, .b = (uintptr_t)(e.mem + BS), .ldb = 16,
		.c = (uintptr_t)(e.mem + 2 * BS), .ldc = 64, .m = 4, .n = 16, .k = 16,
	};
	GT_ASSERT(gemm(e.sfd, &ok, &w) == 0, "the valid case");
#define BAD(field, val, err) do {						\
		g = ok;								\
		g.field = val;							\
		ret = gemm(e.sfd, &g, &w);					\
		GT_EXPECT(ret == (err), #field " = " #val ": %d", ret);		\
	} while (0)
	BAD(flags, 4, -EINVAL);
	BAD(m, 0, -EINVAL);
	BAD(k, 0, -EINVAL);
	BAD(m, 65, -E2BIG);
	BAD(n, 70000, -E2BIG);
	BAD(c, ok.c + 2, -EINVAL);
	BAD(ldc, 62, -EINVAL);
	BAD(lda, 15, -EINVAL);
	BAD(ldb, 15, -EINVAL);
	BAD(b, UINT64_MAX - 100, -EINVAL);
	/* Host memory outside any gmem mapping: the device faults, -EFAULT. */
	BAD(a, (uintptr_t)local, -EFAULT);
#undef BAD
	GT_EXPECT(gmt_sim_launch(e.sfd, GMEM_SIM_GEMM, 0, (void *)8, NULL, 0, 0, NULL) == -EFAULT,
		  "unreadable operand struct");
	env_close(&e);
}

/*
 * With every block resident and mapped, a job waits for nothing: it must
 * take exactly its compute, ceil(MACs of a step / rate) summed over the
 * steps of B (loading A and storing C compute nothing).
 */
GT_TEST(clock_resident_job_is_compute_only)
{
	struct gmem_sim_clock c0, c1;
	struct gmem_sim_wait w;
	struct gmem_sim_gemm g;
	struct env e;
	uint64_t want;

	env_open(&e, 4 * BS);
	g = (struct gmem_sim_gemm){
		.a = (uintptr_t)e.mem, .lda = 512, .b = (uintptr_t)(e.mem + BS), .ldb = 512,
		.c = (uintptr_t)(e.mem + 3 * BS), .ldc = 256 * 4, .m = 3, .n = 256, .k = 512,
	};
	fill8((int8_t *)e.mem, 4 * BS, 3);
	GT_ASSERT(gemm(e.sfd, &g, &w) == 0, "first run (faults the blocks in)");
	GT_ASSERT(ioctl(e.sfd, GMEM_SIM_IOC_CLOCK, &c0) == 0, "CLOCK: %s", strerror(errno));
	GT_ASSERT(c0.compute_gmacs == MAC_PER_NS, "rate %u: the test assumes the default",
		  c0.compute_gmacs);
	GT_ASSERT(gemm(e.sfd, &g, &w) == 0, "second run");
	GT_ASSERT(ioctl(e.sfd, GMEM_SIM_IOC_CLOCK, &c1) == 0, "CLOCK");
	/* B is 256 x 512 = 2 blocks exactly: two steps of 3 x 64 KiB MACs. */
	want = 2 * ((3 * BS + MAC_PER_NS - 1) / MAC_PER_NS);
	gt_log("resident GEMM: %llu ns on the device clock, want %llu",
	       (unsigned long long)w.dev_ns, (unsigned long long)want);
	GT_EXPECT(w.dev_ns == want, "job dev_ns %llu", (unsigned long long)w.dev_ns);
	GT_EXPECT(c1.now_ns - c0.now_ns == want, "clock moved %llu",
		  (unsigned long long)(c1.now_ns - c0.now_ns));
	GT_EXPECT(c1.stall_ns == c0.stall_ns && c1.fault_ns == c0.fault_ns &&
		  c1.copies == c0.copies, "stalls, faults or copies on a resident run");
	env_close(&e);
}

GT_MAIN()
