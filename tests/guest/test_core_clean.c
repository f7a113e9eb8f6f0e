// SPDX-License-Identifier: GPL-2.0
/*
 * test_core_clean: device-side dirty tracking (issue 14). A block the
 * device only read, whether it owns it (DEVICE) or holds a read copy
 * (BOTH), still matches its host pages: evicting it drops the HBM copy
 * with no write-back (evict_clean_bytes), while a block the device wrote
 * (GM_BLK_DIRTY) is copied back (evict_wb_bytes) and the CPU sees the
 * device's data. Host pages held by someone else (a vmsplice()d page) keep
 * the block on the host, read copies or not.
 *
 * Geometry: 64 KiB blocks, one device with 1 MiB of HBM (16 blocks).
 */
#include <fcntl.h>
#include <sys/uio.h>
#include <pthread.h>


#define BS		(64 * 1024UL)
#define HBM_BLOCKS	16
#define NB		4
#define READ_DUP	"/sys/module/gmem/parameters/read_dup"
#define SIM_REPORT_DELAY "/sys/module/gmem_sim/parameters/debug_report_delay_us"

#include "core_test.h"

/*
 * Read copies per @read_dup (sampled at mmap(), so set before mapping); the
 * sim with its dirty bits (the default) or without (@no_dirty_bits: clean
 * blocks are mapped read-only and the first device write faults).
 */
static void setup_dev(const char *read_dup, bool no_dirty_bits)
{
	if (no_dirty_bits)
		GT_ASSERT(gmt_reload("block_size=65536", "hbm_mb=1 nr_devices=1 dirty_bits=0") == 0,
			  "module reload without dirty bits");
	else
		GT_ASSERT(gmt_setup(BS, HBM_BLOCKS * BS / GMT_MiB, 1) == 0, "module reload");
	GT_ASSERT(gmt_write_str(READ_DUP, read_dup) == 0, "set read_dup=%s", read_dup);
	core_open();
}

static void setup(const char *read_dup)
{
	setup_dev(read_dup, false);
}

static void teardown(void)
{
	core_close();
}

/* Words of @nb blocks at @p that are not @v. */
static long count_not(const uint32_t *p, size_t nb, uint32_t v)
{
	long bad = 0;
	size_t i;

	for (i = 0; i < nb * BS / 4; i++)
		bad += p[i] != v;
	return bad;
}

/*
 * Twice the HBM, read by the device: every eviction is a drop. The host
 * pages must be exactly what the CPU wrote, and the device's next pass
 * (which brings them back) must sum them.
 */
static void read_only_sweep(const char *read_dup, uint32_t seed)
{
	size_t nb = 2 * HBM_BLOCKS;
	struct gmem_stats s;
	uint32_t *p;

	setup(read_dup);
	p = map_pat(nb, seed);
	expect_reduce(p, nb, pat_sum(nb, seed));
	s = ostats(p);
	GT_EXPECT(s.evictions >= HBM_BLOCKS, "evictions %llu", U(s.evictions));
	GT_EXPECT(s.evict_clean_bytes == s.evictions * BS && s.evict_wb_bytes == 0,
		  "read_dup=%s: %llu evictions, clean %llu bytes, written back %llu bytes",
		  read_dup, U(s.evictions), U(s.evict_clean_bytes), U(s.evict_wb_bytes));
	GT_EXPECT(s.d2h_blocks == 0 && s.d2h_bytes == 0, "copied back %llu blocks",
		  U(s.d2h_blocks));
	GT_EXPECT(gmt_check_pat(p, nb * BS / 4, seed) < 0, "host copy changed");
	expect_reduce(p, nb, pat_sum(nb, seed));
	GT_ASSERT(munmap(p, nb * BS) == 0, "munmap");
	teardown();
}

/* Clean DEVICE blocks (no read copies): dropped, not written back. */
GT_TEST(clean_device_block_dropped)
{
	read_only_sweep("0", 11);
}

/* Read copies (BOTH), device-only (the default) and CPU-shared: dropped too. */
GT_TEST(read_copy_dropped_clean)
{
	read_only_sweep("1", 12);
}

GT_TEST(shared_read_copy_dropped_clean)
{
	read_only_sweep("2", 18);
}

/*
 * Twice the HBM, written by the device: every eviction writes back, and
 * the CPU then reads the device's data everywhere.
 */
static void write_sweep(const char *read_dup, uint32_t v)
{
	size_t nb = 2 * HBM_BLOCKS;
	struct gmem_stats s;
	uint32_t *p;

	setup(read_dup);
	p = map_pat(nb, 13);
	GT_ASSERT(gmt_sim_fill(sfd, p, nb * BS, v) == 0, "fill");
	s = ostats(p);
	GT_EXPECT(s.evictions >= HBM_BLOCKS, "evictions %llu", U(s.evictions));
	GT_EXPECT(s.evict_wb_bytes == s.evictions * BS && s.evict_clean_bytes == 0,
		  "read_dup=%s: %llu evictions, written back %llu bytes, clean %llu bytes",
		  read_dup, U(s.evictions), U(s.evict_wb_bytes), U(s.evict_clean_bytes));
	GT_EXPECT(count_not(p, nb, v) == 0, "%ld words lost the device's write",
		  count_not(p, nb, v));
	s = ostats(p);
	GT_EXPECT(s.d2h_blocks == nb, "d2h %llu, want %zu", U(s.d2h_blocks), nb);
	GT_ASSERT(munmap(p, nb * BS) == 0, "munmap");
	teardown();
}

GT_TEST(dirty_device_block_written_back)
{
	write_sweep("0", 0x5a5a5a5a);
}

GT_TEST(dirty_written_back_with_read_copies)
{
	write_sweep("1", 0xa5a5a5a5);
}

/*
 * A device write to a block it only read so far. Without read copies the
 * block is DEVICE and clean: on the sim with dirty bits it is mapped
 * writable, so the write does not fault and the core learns of it from the
 * dirty bit when it unmaps the block; without dirty bits it is mapped
 * read-only and the write faults once (no copy). Device-only read copies
 * (read_dup=1) are the same clean DEVICE block on the sim with dirty bits;
 * without them, and with CPU-shared copies (read_dup=2), the first read
 * makes a read copy (BOTH, mapped read-only) the write claims with a fault.
 * In every case the block is dirty, so its eviction by another object's
 * blocks writes back, and the CPU sees the write.
 */
static void write_after_read(const char *read_dup, bool no_dirty_bits)
{
	int want_faults = !strcmp(read_dup, "2") || no_dirty_bits ? NB : 0;
	struct gmem_stats s1, s2;
	uint32_t *a, *b;

	setup_dev(read_dup, no_dirty_bits);
	a = map_pat(NB, 14);
	b = map_pat(HBM_BLOCKS, 15);
	expect_reduce(a, NB, pat_sum(NB, 14));
	s1 = ostats(a);
	GT_ASSERT(s1.resident_dev == NB && s1.h2d_blocks == NB, "resident %llu h2d %llu",
		  U(s1.resident_dev), U(s1.h2d_blocks));
	GT_ASSERT(gmt_sim_fill(sfd, a, NB * BS, 0x77777777) == 0, "fill");
	s2 = ostats(a);
	GT_EXPECT(s2.dev_faults == s1.dev_faults + want_faults &&
		  s2.write_faults == (uint64_t)want_faults && s2.h2d_blocks == NB,
		  "write faults %llu / %llu (want %d), h2d %llu", U(s2.dev_faults - s1.dev_faults),
		  U(s2.write_faults), want_faults, U(s2.h2d_blocks));
	/* The other object fills HBM: LRU evicts all of @a. */
	expect_reduce(b, HBM_BLOCKS, pat_sum(HBM_BLOCKS, 15));
	s2 = ostats(a);
	GT_EXPECT(s2.evictions == NB && s2.evict_wb_bytes == NB * BS &&
		  s2.evict_clean_bytes == 0,
		  "read_dup=%s: evictions %llu, written back %llu, clean %llu", read_dup,
		  U(s2.evictions), U(s2.evict_wb_bytes), U(s2.evict_clean_bytes));
	GT_EXPECT(count_not(a, NB, 0x77777777) == 0, "%ld words lost the device's write",
		  count_not(a, NB, 0x77777777));
	GT_ASSERT(munmap(a, NB * BS) == 0 && munmap(b, HBM_BLOCKS * BS) == 0, "munmap");
	teardown();
}

GT_TEST(device_write_after_read_marks_dirty)
{
	write_after_read("0", false);
}

GT_TEST(device_write_after_read_without_dirty_bits_faults)
{
	write_after_read("0", true);
}

GT_TEST(device_write_after_read_copy_marks_dirty)
{
	write_after_read("1", false);
}

GT_TEST(device_write_after_read_copy_without_dirty_bits_claims)
{
	write_after_read("1", true);
}

GT_TEST(device_write_after_shared_copy_marks_dirty)
{
	write_after_read("2", false);
}

/*
 * The core takes a block back while the device's report of a write to it is
 * still on its way (gmem_sim.debug_report_delay_us holds the report after
 * the write): only the dirty bit, read when the core unmaps the block, says
 * the HBM copy is the valid one. The CPU must see the write, and the block
 * must have been copied back, not dropped.
 */
static void *late_fill(void *a)
{
	return (void *)(long)gmt_sim_fill(sfd, a, BS, 0x5e5e5e5e);
}

GT_TEST(device_write_reported_late_is_not_lost)
{
	struct gmem_stats s;
	pthread_t th;
	void *ret;
	uint32_t *a;

	setup("0");
	a = map_pat(1, 21);
	expect_reduce(a, 1, pat_sum(1, 21));	/* DEVICE, clean, mapped writable */
	GT_ASSERT(gmt_write_str(SIM_REPORT_DELAY, "500000") == 0, "set report delay");
	GT_ASSERT(pthread_create(&th, NULL, late_fill, a) == 0, "thread");
	usleep(200000);		/* the fill wrote and is waiting to report */
	GT_EXPECT(count_not(a, 1, 0x5e5e5e5e) == 0, "%ld words lost the device's write",
		  count_not(a, 1, 0x5e5e5e5e));
	GT_ASSERT(pthread_join(th, &ret) == 0 && ret == NULL, "fill: %ld", (long)ret);
	GT_ASSERT(gmt_write_str(SIM_REPORT_DELAY, "0") == 0, "clear report delay");
	s = ostats(a);
	GT_EXPECT(s.d2h_blocks == 1 && s.write_faults == 0, "d2h %llu write_faults %llu",
		  U(s.d2h_blocks), U(s.write_faults));
	GT_ASSERT(munmap(a, BS) == 0, "munmap");
	teardown();
}

/*
 * Device-only read copies (the default): the CPU never maps a copy, so a
 * CPU read ends it (a drop, nothing copied back) and the CPU reads its own
 * data; the device's next read makes a new copy.
 */
GT_TEST(cpu_read_ends_device_only_copy)
{
	struct gmem_stats s;
	uint64_t rd = 0;
	uint32_t *p;

	setup("1");
	GT_ASSERT(gmt_read_u64(READ_DUP, &rd) == 0 && rd == 1, "read_dup %llu", U(rd));
	p = map_pat(NB, 19);
	expect_reduce(p, NB, pat_sum(NB, 19));
	GT_EXPECT(ostats(p).resident_dev == NB, "no copies");
	GT_EXPECT(gmt_check_pat(p, NB * BS / 4, 19) < 0, "CPU sees other data");
	s = ostats(p);
	GT_EXPECT(s.resident_dev == 0 && s.resident_host == NB && s.d2h_blocks == 0,
		  "resident dev %llu host %llu d2h %llu", U(s.resident_dev), U(s.resident_host),
		  U(s.d2h_blocks));
	expect_reduce(p, NB, pat_sum(NB, 19));
	GT_ASSERT(munmap(p, NB * BS) == 0, "munmap");
	teardown();
}

/* A device write after a read, then a CPU read (no eviction): CPU sees it. */
static void cpu_sees_write(const char *read_dup)
{
	uint32_t *p;

	setup(read_dup);
	p = map_pat(NB, 16);
	expect_reduce(p, NB, pat_sum(NB, 16));
	GT_ASSERT(gmt_check_pat(p, NB * BS / 4, 16) < 0, "CPU read of the copy");
	GT_ASSERT(gmt_sim_fill(sfd, p, NB * BS, 0x31313131) == 0, "fill");
	GT_EXPECT(count_not(p, NB, 0x31313131) == 0, "%ld words are stale host data",
		  count_not(p, NB, 0x31313131));
	GT_ASSERT(munmap(p, NB * BS) == 0, "munmap");
	teardown();
}

GT_TEST(cpu_sees_write_to_read_copy)
{
	cpu_sees_write("1");
}

GT_TEST(cpu_sees_write_to_shared_read_copy)
{
	cpu_sees_write("2");
}

/*
 * A page of block 0 sits in a pipe (vmsplice keeps a reference): block 0
 * must never get a device copy, read or owned, since the pipe reads the
 * host page. The device still reads and writes it (over the bus), and the
 * pipe then returns the device's write.
 */
static void pinned_page(const char *read_dup)
{
	struct iovec iov;
	uint32_t *p, buf[1024];
	struct gmem_stats s;
	int pfd[2];
	long bad = 0;
	size_t i;

	setup(read_dup);
	p = map_pat(NB, 17);
	GT_ASSERT(pipe(pfd) == 0, "pipe");
	iov.iov_base = p;
	iov.iov_len = sizeof(buf);
	GT_ASSERT(vmsplice(pfd[1], &iov, 1, 0) == sizeof(buf), "vmsplice: %s", strerror(errno));
	expect_reduce(p, NB, pat_sum(NB, 17));
	s = ostats(p);
	GT_EXPECT(s.remote_maps >= 1 && s.h2d_blocks == NB - 1,
		  "read_dup=%s: remote_maps %llu h2d %llu", read_dup, U(s.remote_maps),
		  U(s.h2d_blocks));
	GT_ASSERT(gmt_sim_fill(sfd, p, NB * BS, 0x42424242) == 0, "fill");
	GT_ASSERT(read(pfd[0], buf, sizeof(buf)) == sizeof(buf), "pipe read");
	for (i = 0; i < 1024; i++)
		bad += buf[i] != 0x42424242;
	GT_EXPECT(bad == 0, "pipe: %ld words miss the device's write", bad);
	GT_EXPECT(count_not(p, NB, 0x42424242) == 0, "%ld words are stale",
		  count_not(p, NB, 0x42424242));
	close(pfd[0]);
	close(pfd[1]);
	GT_ASSERT(munmap(p, NB * BS) == 0, "munmap");
	teardown();
}

GT_TEST(pinned_page_no_read_copy)
{
	pinned_page("1");
}

GT_TEST(pinned_page_no_copy_without_read_dup)
{
	pinned_page("0");
}

GT_MAIN()
