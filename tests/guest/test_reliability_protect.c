// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_protect (issue 12, items 2 and 3): devices honour the
 * mapping's protection, and read copies lose no write.
 *   - After mprotect(PROT_READ) a device write (FILL, the y of AXPY, a
 *     TRACE write) ends with -EFAULT and writes nothing; device reads work.
 *     After PROT_NONE reads fail too. A block already DEVICE-resident and
 *     mapped writable there before the mprotect rejects the write after it
 *     (the downgrade revokes device write mappings before mprotect returns).
 *     Back to PROT_READ|PROT_WRITE, device writes work again. Every device
 *     access that got through counts in prot_violations.
 *   - With gmem.read_dup=2 (CPU-shared read copies; and
 *     gmem.debug_mkwrite_delay_us widening the mkwrite race when the module has it), a CPU thread writes blocks
 *     while a device keeps reading them (read copies) and another CPU
 *     thread keeps reading them (re-inserting read-only PTEs after each
 *     zap, the third party of the race), then another device
 *     writes part of each block: every CPU write and every device write is
 *     visible afterwards on the CPU and on both devices, or the block
 *     counts in readcopy_lost.
 *   - mkwrite_race_then_same_device_write: the same with one CPU writer
 *     thread per block, gmem.debug_mkwrite_delay_us at 10 ms (the window
 *     between ->page_mkwrite dropping the block lock and the kernel making
 *     the PTE writable), and the device that holds the read copies writing
 *     the blocks itself: that write claims the HBM copy without copying, so
 *     a CPU write that slipped in behind a read copy is lost, not merged.
 */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"
#include "test_reliability_hostile.h"

#define NB	4
#define LEN	(NB * REL_BS)
#define WORDS	(LEN / 4)

struct env {
	int gfd, sfd[2];
	uint32_t *m;
};

static void env_open(struct env *e)
{
	rel_setup();
	e->gfd = gmt_open_gmem();
	e->sfd[0] = gmt_sim_open(0);
	e->sfd[1] = gmt_sim_open(1);
	GT_ASSERT(e->gfd >= 0 && e->sfd[0] >= 0 && e->sfd[1] >= 0, "open");
	e->m = gmt_map(e->gfd, LEN);
	GT_ASSERT(e->m, "mmap: %s", strerror(errno));
	gmt_fill_pat(e->m, WORDS, 7);
}

static void env_close(struct env *e)
{
	munmap(e->m, LEN);
	close(e->sfd[0]);
	close(e->sfd[1]);
	close(e->gfd);
	rel_no_leak();
}

/* A device access the protection forbids: it must end with -EFAULT. */
static void must_fault(int ret, const char *what)
{
	rel_add(ops, 1);
	if (ret == -EFAULT)
		return;
	rel_add(prot_violations, 1);
	gt_log("%s: %d, want -EFAULT (%s)", what, ret, ret ? strerror(-ret) : "it went through");
	gt_failed_here = 1;
}

/* Every device write kind on [m, m + LEN) on device @d: all refused. */
static void writes_refused(struct env *e, int d, const char *prot)
{
	struct gmem_sim_access rec = { (uintptr_t)e->m + REL_BS, 64, 1 };
	char w[96];

	snprintf(w, sizeof(w), "%s: device %d FILL", prot, d);
	must_fault(gmt_sim_fill(e->sfd[d], e->m, LEN, 0xbad), w);
	snprintf(w, sizeof(w), "%s: device %d AXPY into it", prot, d);
	must_fault(gmt_sim_run(e->sfd[d], GMEM_SIM_AXPY, e->m, e->m, REL_BS, 3, NULL), w);
	snprintf(w, sizeof(w), "%s: device %d TRACE write", prot, d);
	must_fault(gmt_sim_run(e->sfd[d], GMEM_SIM_TRACE, &rec, NULL, 1, 0, NULL), w);
}

/* The content is still @seed's pattern, on the CPU (if readable) and devices. */
static void unchanged(struct env *e, uint32_t seed, bool cpu_readable, const char *when)
{
	uint32_t *want = malloc(LEN);
	uint64_t h;
	int d, ret;
	long bad;

	GT_ASSERT(want, "malloc");
	gmt_fill_pat(want, WORDS, seed);
	for (d = 0; d < 2 && cpu_readable; d++) {
		ret = gmt_sim_checksum(e->sfd[d], e->m, LEN, &h);
		GT_EXPECT(ret == 0, "%s: device %d read: %d", when, d, ret);
		if (!ret && h != gmt_fnv1a(want, LEN, GMT_FNV_BASIS)) {
			rel_add(prot_violations, 1);
			GT_EXPECT(0, "%s: device %d sees changed data", when, d);
		}
	}
	if (!cpu_readable)
		GT_ASSERT(mprotect(e->m, LEN, PROT_READ) == 0, "mprotect");
	bad = gmt_check_pat(e->m, WORDS, seed);
	if (bad >= 0) {
		rel_add(prot_violations, 1);
		GT_EXPECT(0, "%s: word %ld changed to %#x by a refused device write", when, bad,
			  e->m[bad]);
	}
	free(want);
}

/* Back to read-write: device writes work again. */
static void writable_again(struct env *e)
{
	int ret;

	GT_ASSERT(mprotect(e->m, LEN, PROT_READ | PROT_WRITE) == 0, "mprotect RW");
	ret = gmt_sim_fill(e->sfd[1], e->m, LEN, 0x600d);
	GT_EXPECT(ret == 0, "device FILL after mprotect back to RW: %d", ret);
	GT_EXPECT(e->m[0] == 0x600d && e->m[WORDS - 1] == 0x600d, "FILL not visible: %#x",
		  e->m[0]);
}

GT_TEST(prot_read_refuses_device_writes)
{
	struct env e;
	uint64_t sum;
	int ret;

	env_open(&e);
	GT_ASSERT(mprotect(e.m, LEN, PROT_READ) == 0, "mprotect PROT_READ: %s", strerror(errno));
	writes_refused(&e, 0, "PROT_READ");
	writes_refused(&e, 1, "PROT_READ");
	ret = gmt_sim_reduce(e.sfd[0], e.m, LEN, &sum);
	GT_EXPECT(ret == 0 && sum == gmt_sum32(e.m, WORDS), "device read of PROT_READ: %d", ret);
	unchanged(&e, 7, true, "after PROT_READ");
	writable_again(&e);
	env_close(&e);
}

GT_TEST(prot_none_refuses_device_reads_and_writes)
{
	struct env e;
	uint64_t r;
	int d;

	env_open(&e);
	GT_ASSERT(mprotect(e.m, LEN, PROT_NONE) == 0, "mprotect PROT_NONE: %s", strerror(errno));
	for (d = 0; d < 2; d++) {
		must_fault(gmt_sim_reduce(e.sfd[d], e.m, LEN, &r), "PROT_NONE: device REDUCE");
		must_fault(gmt_sim_checksum(e.sfd[d], e.m, LEN, &r), "PROT_NONE: device CHECKSUM");
		must_fault(gmt_sim_run(e.sfd[d], GMEM_SIM_COPY, e.m, e.m + WORDS / 2, REL_BS, 0,
				       NULL), "PROT_NONE: device COPY");
		writes_refused(&e, d, "PROT_NONE");
	}
	unchanged(&e, 7, false, "after PROT_NONE");
	writable_again(&e);
	env_close(&e);
}

/*
 * The blocks are on a device and mapped writable there (a device wrote
 * them) before the mprotect: the downgrade must revoke that.
 */
GT_TEST(downgrade_revokes_device_write_mappings)
{
	struct gmem_obj_info oi;
	struct env e;
	int d;

	env_open(&e);
	for (d = 0; d < 2; d++) {
		GT_ASSERT(mprotect(e.m, LEN, PROT_READ | PROT_WRITE) == 0, "mprotect RW");
		gmt_fill_pat(e.m, WORDS, 20 + d);
		/* A device write of the first word of each block: DEVICE, mapped writable. */
		GT_ASSERT(gmt_sim_run(e.sfd[d], GMEM_SIM_AXPY, e.m, e.m, LEN, 0, NULL) == 0,
			  "device write");
		GT_ASSERT(gmt_obj_info(e.gfd, e.m, &oi) == 0, "obj info");
		gt_log("device %d: %llu blocks resident there before mprotect", d,
		       (unsigned long long)oi.stats.resident_dev);
		GT_ASSERT(mprotect(e.m, LEN, PROT_READ) == 0, "mprotect PROT_READ");
		writes_refused(&e, d, "PROT_READ after a device write");
		unchanged(&e, 20 + d, true, "after the downgrade");
	}
	writable_again(&e);
	env_close(&e);
}

/* ------------------------------------------------------------ read copies */

#define RC_CPU_OFF	(4096 / 4)	/* words the CPU writes: 16 at 4 KiB into each block */
#define RC_CPU_N	16
#define RC_DEV_LEN	1024		/* bytes a device writes at the start of each block */

struct rc {
	struct env e;
	uint32_t *shadow;
	atomic_int round, stop;
	atomic_ulong dev_reads;
};

/* Keeps reading the whole range on device (round % 2): read copies everywhere. */
static void *rc_reader(void *arg)
{
	struct rc *c = arg;
	uint64_t sum;

	while (!atomic_load(&c->stop)) {
		gmt_sim_reduce(c->e.sfd[atomic_load(&c->round) % 2], c->e.m, LEN, &sum);
		atomic_fetch_add(&c->dev_reads, 1);
	}
	return NULL;
}

/* Keeps reading every block on the CPU: re-inserts read-only PTEs after each zap. */
static void *rc_cpu_reader(void *arg)
{
	struct rc *c = arg;
	volatile uint32_t *m = c->e.m;
	uint32_t x = 0;
	unsigned int b;

	while (!atomic_load(&c->stop))
		for (b = 0; b < NB; b++)
			x += m[b * REL_BS / 4 + RC_CPU_OFF + RC_CPU_N];
	return (void *)(uintptr_t)x;
}

GT_TEST(read_copies_lose_no_write)
{
	unsigned int r, n = rel_scale(16, 20), b, j, k;
	int ret, widened;
	pthread_t th, th2;
	struct rc c = { 0 };
	size_t bad;
	char w[64];

	rel_setup();
	if (rel_core_param("read_dup", "2"))
		GT_SKIP("no gmem.read_dup parameter");
	widened = rel_core_param("debug_mkwrite_delay_us", "2000");
	gt_log("gmem.debug_mkwrite_delay_us: %s", widened ? "absent, window not widened" : "2000");
	env_open(&c.e);
	c.shadow = malloc(LEN);
	GT_ASSERT(c.shadow, "malloc");
	memcpy(c.shadow, c.e.m, LEN);
	GT_ASSERT(pthread_create(&th, NULL, rc_reader, &c) == 0, "thread");
	GT_ASSERT(pthread_create(&th2, NULL, rc_cpu_reader, &c) == 0, "thread");
	for (r = 0; r < n; r++) {
		atomic_store(&c.round, r);
		/* CPU writes while the other thread's device reads make read copies. */
		for (j = 0; j < 4; j++)
			for (b = 0; b < NB; b++) {
				for (k = 0; k < RC_CPU_N; k++)
					c.e.m[b * REL_BS / 4 + RC_CPU_OFF + k] = r * 4 + j;
				usleep(500);
			}
		for (b = 0; b < NB; b++)
			for (k = 0; k < RC_CPU_N; k++)
				c.shadow[b * REL_BS / 4 + RC_CPU_OFF + k] = r * 4 + 3;
		/* Then the other device writes the start of each block. */
		for (b = 0; b < NB; b++) {
			ret = gmt_sim_fill(c.e.sfd[(r + 1) % 2], (uint8_t *)c.e.m + b * REL_BS,
					   RC_DEV_LEN, 0xd000 + r);
			GT_EXPECT(ret == 0, "device write: %d", ret);
			rel_fill_u32(c.shadow + b * REL_BS / 4, RC_DEV_LEN / 4, 0xd000 + r);
		}
		snprintf(w, sizeof(w), "read copies, round %u", r);
		bad = rel_check_both(c.e.sfd[r % 2], c.e.m, c.shadow, LEN, w);
		if (bad) {
			rel_add(readcopy_lost, bad);
			/* Carry on from what is there, to count later losses separately. */
			memcpy(c.shadow, c.e.m, LEN);
		}
		rel_add(ops, 1);
	}
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	gt_log("%u rounds, %lu device reads beside the CPU writes", n, atomic_load(&c.dev_reads));
	GT_EXPECT(rel_get(readcopy_lost) == 0, "%llu blocks lost a write", rel_get(readcopy_lost));
	free(c.shadow);
	env_close(&c.e);
	rel_core_param("read_dup", "1");	/* the default */
}

/* ------------------------------------- the same device claims its copies */

#define MR_DEV		0	/* reads (read copies) and then writes: claims */
#define MR_WRITES	4	/* CPU writes per block per round */

struct mr_writer {
	struct rc *c;
	unsigned int b, r;
};

/* One round of CPU writes to block @b: each store to a read-only PTE is a mkwrite. */
static void *mr_write_block(void *arg)
{
	struct mr_writer *w = arg;
	uint32_t *p = w->c->e.m + w->b * REL_BS / 4 + RC_CPU_OFF;
	unsigned int j, k;

	for (j = 0; j < MR_WRITES; j++) {
		for (k = 0; k < RC_CPU_N; k++)
			p[k] = w->r * MR_WRITES + j;
		usleep(300);
	}
	return NULL;
}

/* Keeps reading the whole range on MR_DEV: read copies there. */
static void *mr_dev_reader(void *arg)
{
	struct rc *c = arg;
	uint64_t sum;

	while (!atomic_load(&c->stop)) {
		gmt_sim_reduce(c->e.sfd[MR_DEV], c->e.m, LEN, &sum);
		atomic_fetch_add(&c->dev_reads, 1);
	}
	return NULL;
}

/* Round @r: CPU writers beside MR_DEV's reads, then MR_DEV writes each block. */
static size_t mr_round(struct rc *c, unsigned int r)
{
	struct mr_writer w[NB];
	pthread_t th[NB];
	unsigned int b, k;
	char what[64];
	int ret;

	for (b = 0; b < NB; b++) {
		w[b] = (struct mr_writer){ c, b, r };
		GT_ASSERT(pthread_create(&th[b], NULL, mr_write_block, &w[b]) == 0, "thread");
	}
	for (b = 0; b < NB; b++) {
		pthread_join(th[b], NULL);
		for (k = 0; k < RC_CPU_N; k++)
			c->shadow[b * REL_BS / 4 + RC_CPU_OFF + k] = r * MR_WRITES + MR_WRITES - 1;
	}
	for (b = 0; b < NB; b++) {
		ret = gmt_sim_fill(c->e.sfd[MR_DEV], (uint8_t *)c->e.m + b * REL_BS, RC_DEV_LEN,
				   0xe000 + r);
		GT_EXPECT(ret == 0, "device write: %d", ret);
		rel_fill_u32(c->shadow + b * REL_BS / 4, RC_DEV_LEN / 4, 0xe000 + r);
	}
	snprintf(what, sizeof(what), "same-device claim, round %u", r);
	return rel_check_both(c->e.sfd[MR_DEV], c->e.m, c->shadow, LEN, what);
}

GT_TEST(mkwrite_race_then_same_device_write)
{
	unsigned int r, n = rel_scale(8, 20);
	unsigned long long lost = 0;
	struct gmem_obj_info oi;
	struct rc c = { 0 };
	pthread_t rd, cr;
	size_t bad;

	rel_setup();
	GT_ASSERT(rel_core_param("read_dup", "2") == 0, "gmem.read_dup");
	GT_ASSERT(rel_core_param("debug_mkwrite_delay_us", "10000") == 0,
		  "gmem.debug_mkwrite_delay_us");
	env_open(&c.e);
	c.shadow = malloc(LEN);
	GT_ASSERT(c.shadow, "malloc");
	memcpy(c.shadow, c.e.m, LEN);
	GT_ASSERT(pthread_create(&rd, NULL, mr_dev_reader, &c) == 0, "thread");
	GT_ASSERT(pthread_create(&cr, NULL, rc_cpu_reader, &c) == 0, "thread");
	for (r = 0; r < n; r++) {
		bad = mr_round(&c, r);
		if (bad) {
			lost += bad;
			/* Carry on from what is there, to count later losses separately. */
			memcpy(c.shadow, c.e.m, LEN);
		}
		rel_add(ops, 1);
	}
	atomic_store(&c.stop, 1);
	pthread_join(rd, NULL);
	pthread_join(cr, NULL);
	rel_add(readcopy_lost, lost);
	GT_ASSERT(gmt_obj_info(c.e.gfd, c.e.m, &oi) == 0, "obj info");
	gt_log("%u rounds, %lu device reads, %llu blocks to device, %llu CPU faults, %llu lost",
	       n, atomic_load(&c.dev_reads), (unsigned long long)oi.stats.h2d_blocks,
	       (unsigned long long)oi.stats.cpu_faults, lost);
	/* Read copies were made, or the race was never tried. */
	GT_EXPECT(oi.stats.h2d_blocks >= n, "only %llu blocks went to the device",
		  (unsigned long long)oi.stats.h2d_blocks);
	GT_EXPECT(lost == 0, "%llu blocks lost a write", lost);
	rel_core_param("debug_mkwrite_delay_us", "0");
	rel_core_param("read_dup", "1");	/* the default */
	free(c.shadow);
	env_close(&c.e);
}

GT_TEST(summary)
{
	rel_hostile_summary();
	GT_ASSERT(rel_get(ops) > 0, "nothing was checked");
}

GT_MAIN()
