// SPDX-License-Identifier: GPL-2.0
/*
 * test_core_both: CPU-shared read copies (GMEM_BLK_BOTH, gmem.read_dup=2).
 * A device read leaves the host copy valid and CPU-readable; a write on
 * either side ends the copy; evicting a copy moves nothing back.
 * (Device-only copies, the default read_dup=1, are in test_core_clean.)
 *
 * OBJ_INFO has no per-block state, so BOTH is observed through what only
 * that state does: the block counts as device-resident and uses HBM, yet a
 * CPU read neither migrates it back (d2h unchanged) nor unmaps it from the
 * device (a second device pass does not fault). Geometry: 64 KiB blocks,
 * two devices with 1 MiB of HBM (16 blocks) each; most tests use sim0.
 */
#include <pthread.h>


#define BS		(64 * 1024UL)
#define HBM_BLOCKS	16
#define NB		4			/* blocks of the small tests */
#define READ_DUP	"/sys/module/gmem/parameters/read_dup"

#include "core_test.h"

/* Read copies per @read_dup (sampled at mmap(), so set before mapping). */
static void setup(const char *read_dup)
{
	GT_ASSERT(gmt_setup(BS, HBM_BLOCKS * BS / GMT_MiB, 2) == 0, "module reload");
	GT_ASSERT(gmt_write_str(READ_DUP, read_dup) == 0, "set read_dup=%s", read_dup);
	core_open();
}

static void teardown(void *p, size_t len)
{
	GT_ASSERT(munmap(p, len) == 0, "munmap");
	core_close();
}

static uint64_t dev_used_blocks(int id)
{
	struct gmem_dev_info di;

	GT_ASSERT(gmt_dev_info(gfd, id, &di) == 0, "dev info %d", id);
	GT_EXPECT(di.hbm_used_bytes == di.stats.resident_dev * BS,
		  "device: %llu bytes used, %llu blocks resident",
		  (unsigned long long)di.hbm_used_bytes,
		  (unsigned long long)di.stats.resident_dev);
	return di.hbm_used_bytes / BS;
}

static uint64_t hbm_used_blocks(void)
{
	return dev_used_blocks(devid);
}


/*
 * The control: without read copies a CPU read after a device read takes the
 * block off the device (it was only read, so nothing is copied back).
 */
GT_TEST(without_read_dup_cpu_read_migrates)
{
	struct gmem_stats s;
	uint32_t *p;

	setup("0");
	p = map_pat(NB, 1);
	expect_reduce(p, NB, pat_sum(NB, 1));
	GT_EXPECT(gmt_check_pat(p, NB * BS / 4, 1) < 0, "CPU sees other data");
	s = ostats(p);
	GT_EXPECT(s.d2h_blocks == 0 && s.resident_dev == 0, "d2h %llu resident_dev %llu",
		  U(s.d2h_blocks), U(s.resident_dev));
	teardown(p, NB * BS);
}

/* Device read -> BOTH: the CPU reads the host copy, the device keeps its own. */
GT_TEST(device_read_keeps_host_copy)
{
	struct gmem_stats s0, s1, s2, s3;
	uint64_t want = pat_sum(NB, 2);
	uint32_t *p;

	setup("2");
	p = map_pat(NB, 2);
	s0 = ostats(p);
	expect_reduce(p, NB, want);
	s1 = ostats(p);
	GT_EXPECT(s1.h2d_blocks == NB && s1.d2h_blocks == 0, "h2d %llu d2h %llu",
		  U(s1.h2d_blocks), U(s1.d2h_blocks));
	/* A read copy uses HBM: it counts as device-resident only. */
	GT_EXPECT(s1.resident_dev == NB && s1.resident_host == 0, "resident dev %llu host %llu",
		  U(s1.resident_dev), U(s1.resident_host));
	GT_EXPECT(hbm_used_blocks() == NB, "HBM blocks used");

	GT_EXPECT(gmt_check_pat(p, NB * BS / 4, 2) < 0, "CPU sees other data");
	s2 = ostats(p);
	GT_EXPECT(s2.d2h_blocks == 0 && s2.resident_dev == NB,
		  "CPU read migrated back: d2h %llu resident_dev %llu", U(s2.d2h_blocks),
		  U(s2.resident_dev));
	/* The zap before the copy costs one read fault per block, nothing more. */
	GT_EXPECT(s2.cpu_faults == s0.cpu_faults + NB, "cpu_faults %llu -> %llu",
		  U(s0.cpu_faults), U(s2.cpu_faults));

	expect_reduce(p, NB, want);
	s3 = ostats(p);
	GT_EXPECT(s3.dev_faults == s2.dev_faults && s3.h2d_blocks == NB,
		  "device copy lost: dev_faults %llu -> %llu, h2d %llu", U(s2.dev_faults),
		  U(s3.dev_faults), U(s3.h2d_blocks));
	teardown(p, NB * BS);
}

/*
 * CPU writes end a read copy: block 0 by a write fault on an unmapped page,
 * block 1 by a write to a page the CPU mapped read-only (page_mkwrite).
 * No data moves back; the device then reads the new values.
 */
GT_TEST(cpu_write_drops_device_copy)
{
	uint64_t want = pat_sum(NB, 3);
	struct gmem_stats s1, s2;
	uint32_t *p, v1;
	size_t w1 = BS / 4 + 17;	/* a word of block 1 */

	setup("2");
	p = map_pat(NB, 3);
	expect_reduce(p, NB, want);
	s1 = ostats(p);
	GT_ASSERT(s1.resident_dev == NB, "not on the device: %llu", U(s1.resident_dev));

	p[5] = gmt_pat(3, 5) + 7;	/* a plain store: write fault, no PTE */
	v1 = p[w1];			/* maps block 1 read-only */
	p[w1] = v1 + 5;			/* write-protect fault */
	s2 = ostats(p);
	GT_EXPECT(s2.resident_dev == NB - 2 && s2.resident_host == 2, "resident dev %llu host %llu",
		  U(s2.resident_dev), U(s2.resident_host));
	GT_EXPECT(s2.d2h_blocks == 0 && s2.d2h_bytes == 0 && s2.evictions == 0,
		  "d2h %llu bytes %llu evictions %llu", U(s2.d2h_blocks), U(s2.d2h_bytes),
		  U(s2.evictions));
	GT_EXPECT(hbm_used_blocks() == NB - 2, "device copies not freed");

	expect_reduce(p, NB, want + 12);
	s2 = ostats(p);
	GT_EXPECT(s2.h2d_blocks == s1.h2d_blocks + 2 && s2.resident_dev == NB,
		  "h2d %llu -> %llu resident_dev %llu", U(s1.h2d_blocks), U(s2.h2d_blocks),
		  U(s2.resident_dev));
	GT_EXPECT(p[5] == gmt_pat(3, 5) + 7 && p[w1] == gmt_pat(3, w1) + 5, "CPU lost its writes");
	teardown(p, NB * BS);
}

/*
 * A device write to a read copy faults on the read-only device mapping and
 * takes the block over without a copy; the CPU's read-only PTEs must go, so
 * the CPU then reads the device's data (migrated back).
 */
GT_TEST(device_write_claims_copy)
{
	struct gmem_stats s1, s2;
	long bad;
	size_t i;
	uint32_t *p;

	setup("2");
	p = map_pat(NB, 4);
	expect_reduce(p, NB, pat_sum(NB, 4));
	GT_ASSERT(gmt_check_pat(p, NB * BS / 4, 4) < 0, "CPU read");	/* CPU maps them read-only */
	s1 = ostats(p);

	GT_ASSERT(gmt_sim_fill(sfd, p, NB * BS, 0x5a5a5a5a) == 0, "fill");
	s2 = ostats(p);
	GT_EXPECT(s2.dev_faults == s1.dev_faults + NB, "protection faults %llu, want %d",
		  U(s2.dev_faults - s1.dev_faults), NB);
	GT_EXPECT(s2.h2d_blocks == s1.h2d_blocks && s2.resident_dev == NB,
		  "claim copied: h2d %llu -> %llu resident_dev %llu", U(s1.h2d_blocks),
		  U(s2.h2d_blocks), U(s2.resident_dev));

	for (i = 0, bad = 0; i < NB * BS / 4; i++)
		bad += p[i] != 0x5a5a5a5a;
	GT_EXPECT(bad == 0, "%ld words are stale host data", bad);
	s2 = ostats(p);
	GT_EXPECT(s2.d2h_blocks == NB && s2.resident_dev == 0, "d2h %llu resident_dev %llu",
		  U(s2.d2h_blocks), U(s2.resident_dev));
	teardown(p, NB * BS);
}

/* DONTNEED drops a copy (no d2h); WILLNEED claims one (no h2d). */
GT_TEST(hints_on_read_copies)
{
	struct gmem_stats s1, s2;
	uint32_t *p;

	setup("2");
	p = map_pat(NB, 5);
	expect_reduce(p, NB, pat_sum(NB, 5));
	GT_ASSERT(gmt_advise(gfd, p, NB * BS, GMEM_ADV_DONTNEED, 0, 0) == 0, "dontneed");
	s1 = ostats(p);
	GT_EXPECT(s1.resident_dev == 0 && s1.resident_host == NB && s1.d2h_blocks == 0,
		  "resident dev %llu host %llu d2h %llu", U(s1.resident_dev),
		  U(s1.resident_host), U(s1.d2h_blocks));
	GT_EXPECT(hbm_used_blocks() == 0, "HBM still used");

	expect_reduce(p, NB, pat_sum(NB, 5));
	s1 = ostats(p);
	GT_ASSERT(gmt_advise(gfd, p, NB * BS, GMEM_ADV_WILLNEED, devid, 0) == 0, "willneed");
	s2 = ostats(p);
	GT_EXPECT(s2.h2d_blocks == s1.h2d_blocks && s2.resident_dev == NB,
		  "h2d %llu -> %llu resident_dev %llu", U(s1.h2d_blocks), U(s2.h2d_blocks),
		  U(s2.resident_dev));
	/* Now owned by the device, but never written: a CPU read drops it. */
	GT_EXPECT(gmt_check_pat(p, NB * BS / 4, 5) < 0, "CPU sees other data");
	s2 = ostats(p);
	GT_EXPECT(s2.d2h_blocks == 0 && s2.resident_dev == 0, "d2h %llu resident_dev %llu after WILLNEED",
		  U(s2.d2h_blocks), U(s2.resident_dev));
	teardown(p, NB * BS);
}

/* Twice the HBM read sequentially: every eviction drops a copy, none copies back. */
GT_TEST(evicting_read_copies_moves_nothing_back)
{
	size_t nb = 2 * HBM_BLOCKS;
	uint64_t want = pat_sum(nb, 6);
	struct gmem_stats s, g0, g;
	uint32_t *p;

	setup("2");
	p = map_pat(nb, 6);
	GT_ASSERT(ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &g0) == 0, "global stats");
	expect_reduce(p, nb, want);
	s = ostats(p);
	GT_EXPECT(s.evictions >= HBM_BLOCKS && s.h2d_blocks == s.evictions + HBM_BLOCKS,
		  "evictions %llu h2d %llu", U(s.evictions), U(s.h2d_blocks));
	GT_EXPECT(s.d2h_blocks == 0 && s.d2h_bytes == 0, "evictions copied back: %llu blocks %llu bytes",
		  U(s.d2h_blocks), U(s.d2h_bytes));
	GT_EXPECT(s.resident_dev == HBM_BLOCKS && s.resident_host == nb - HBM_BLOCKS,
		  "resident dev %llu host %llu", U(s.resident_dev), U(s.resident_host));
	GT_EXPECT(hbm_used_blocks() == HBM_BLOCKS, "HBM not full");
	GT_ASSERT(ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &g) == 0, "global stats");
	/* Earlier tests' objects are gone: all that is resident now is ours. */
	GT_EXPECT(g.resident_dev == s.resident_dev && g.d2h_bytes == g0.d2h_bytes &&
		  g.evictions == g0.evictions + s.evictions,
		  "global resident_dev %llu d2h_bytes %llu -> %llu", U(g.resident_dev),
		  U(g0.d2h_bytes), U(g.d2h_bytes));

	GT_EXPECT(gmt_check_pat(p, nb * BS / 4, 6) < 0, "CPU sees other data");
	expect_reduce(p, nb, want);
	s = ostats(p);
	GT_EXPECT(s.d2h_bytes == 0, "d2h_bytes %llu", U(s.d2h_bytes));
	teardown(p, nb * BS);
}

/* One device at a time holds a read copy: the second reader takes it over. */
GT_TEST(read_copy_moves_between_devices)
{
	uint64_t want = pat_sum(NB, 8), sum = 0;
	int sfd1, dev1 = gmt_sim_gmem_id(1);
	struct gmem_stats s;
	uint32_t *p;

	setup("2");
	GT_ASSERT(dev1 >= 0, "gmem id of sim1");
	sfd1 = gmt_sim_open(1);
	GT_ASSERT(sfd1 >= 0, "open sim1");
	p = map_pat(NB, 8);
	expect_reduce(p, NB, want);
	GT_ASSERT(gmt_sim_reduce(sfd1, p, NB * BS, &sum) == 0, "reduce on sim1");
	GT_EXPECT(sum == want, "sim1 sum %llx, want %llx", U(sum), U(want));
	s = ostats(p);
	GT_EXPECT(s.h2d_blocks == 2 * NB && s.d2h_blocks == 0 && s.resident_dev == NB,
		  "h2d %llu d2h %llu resident_dev %llu", U(s.h2d_blocks), U(s.d2h_blocks),
		  U(s.resident_dev));
	GT_EXPECT(dev_used_blocks(devid) == 0 && dev_used_blocks(dev1) == NB,
		  "HBM blocks used on the first and second device");
	GT_EXPECT(gmt_check_pat(p, NB * BS / 4, 8) < 0, "CPU sees other data");
	GT_EXPECT(ostats(p).d2h_blocks == 0, "CPU read migrated back");
	close(sfd1);
	teardown(p, NB * BS);
}

struct writer {
	uint32_t *p;
	volatile int stop;
	unsigned long rounds;
};

/*
 * One load and one store per page per round, so every round ends whatever
 * copies exist, through both CPU paths: a store after the load maps a copy
 * read-only hits page_mkwrite, a store to a zapped page faults for write.
 */
static void *cpu_writer(void *arg)
{
	volatile uint32_t *p;
	struct writer *w = arg;
	size_t i;

	p = w->p;
	while (!w->stop) {
		w->rounds++;
		for (i = 0; i < NB * BS / 4; i += 4096 / 4)
			p[i] = p[i + (w->rounds & 1)] + (uint32_t)w->rounds;
	}
	return NULL;
}

/*
 * CPU stores race with device reads that keep re-creating copies. Once both
 * stop, the device must see exactly what the CPU wrote: a store that went
 * through a stale writable PTE while the block was a copy would show here.
 */
GT_TEST(cpu_writes_race_device_reads)
{
	struct writer w = { 0 };
	uint64_t sum = 0;
	pthread_t t;
	int i;

	setup("2");
	w.p = map_pat(NB, 7);
	GT_ASSERT(pthread_create(&t, NULL, cpu_writer, &w) == 0, "thread");
	for (i = 0; i < 100; i++)
		GT_ASSERT(gmt_sim_reduce(sfd, w.p, NB * BS, &sum) == 0, "reduce %d", i);
	w.stop = 1;
	pthread_join(t, NULL);
	gt_log("%lu writer rounds against 100 device passes", w.rounds);
	expect_reduce(w.p, NB, gmt_sum32(w.p, NB * BS / 4));
	teardown(w.p, NB * BS);
}

GT_MAIN()
