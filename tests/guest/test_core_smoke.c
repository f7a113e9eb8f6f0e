// SPDX-License-Identifier: GPL-2.0
/*
 * test_core_smoke: the gmem core end to end through /dev/gmem only.
 *
 * CPU writes a pattern, WILLNEED moves the blocks to device 0 (a gmem_sim
 * device must be registered), DONTNEED brings them back, and the pattern
 * must survive with exactly one H2D and one D2H migration per block. Also:
 * the mapping rules (shared, offset 0, no partial munmap), hint validation
 * (rejected hints change nothing) and that everything is freed at munmap.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/gmem.h>

#include "gtest.h"

#define NR_BLOCKS	4

static int gm_open(void)
{
	int fd = open("/dev/gmem", O_RDWR);

	GT_ASSERT(fd >= 0, "open /dev/gmem: %s", strerror(errno));
	return fd;
}

static size_t gm_blksz(int fd)
{
	struct gmem_dev_info di = { .id = 0 };

	if (ioctl(fd, GMEM_IOC_DEV_INFO, &di))
		GT_SKIP("no gmem device 0 (gmem_sim not loaded?): %s", strerror(errno));
	return di.block_size;
}

static struct gmem_obj_info gm_info(int fd, void *p)
{
	struct gmem_obj_info oi = { .addr = (uintptr_t)p };

	GT_ASSERT(ioctl(fd, GMEM_IOC_OBJ_INFO, &oi) == 0, "OBJ_INFO: %s", strerror(errno));
	return oi;
}

static int gm_advise(int fd, void *p, size_t len, uint32_t advice, uint32_t dev)
{
	struct gmem_advise a = { .addr = (uintptr_t)p, .len = len, .advice = advice, .dev = dev };

	return ioctl(fd, GMEM_IOC_ADVISE, &a) ? -errno : 0;
}

/* Reads /sys/kernel/debug/gmem/live. */
static void gm_live(long *objs, long *pages, long *dblks)
{
	FILE *f = fopen("/sys/kernel/debug/gmem/live", "r");

	GT_ASSERT(f, "open live: %s", strerror(errno));
	GT_ASSERT(fscanf(f, "objects %ld host_pages %ld dev_blocks %ld", objs, pages, dblks) == 3,
		  "parse live");
	fclose(f);
}

/* Launch @op on the device of @sfd over [p, p + len) and wait for it. */
static void sim_run(int sfd, uint32_t op, void *p, size_t len, uint32_t scalar)
{
	struct gmem_sim_launch l = { .op = op, .x = (uintptr_t)p, .len = len, .scalar = scalar };
	struct gmem_sim_wait w = { 0 };

	GT_ASSERT(ioctl(sfd, GMEM_SIM_IOC_LAUNCH, &l) == 0, "launch: %s", strerror(errno));
	w.seq = l.seq;
	GT_ASSERT(ioctl(sfd, GMEM_SIM_IOC_WAIT, &w) == 0 && w.status == 0,
		  "wait: %s status %lld", strerror(errno), (long long)w.status);
}

static uint32_t pattern(size_t i)
{
	return (uint32_t)(i * 2654435761u) ^ 0x5a5a5a5au;
}

GT_TEST(cpu_device_roundtrip)
{
	int fd = gm_open();
	size_t bs = gm_blksz(fd), len = NR_BLOCKS * bs, n = len / 4, i, bad = 0;
	struct gmem_obj_info oi;
	uint32_t *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	GT_ASSERT((uintptr_t)p % bs == 0, "mapping %p not block aligned", (void *)p);
	for (i = 0; i < n; i++)
		p[i] = pattern(i);
	oi = gm_info(fd, p);
	GT_EXPECT(oi.stats.cpu_faults == NR_BLOCKS, "cpu_faults %llu", oi.stats.cpu_faults);
	GT_EXPECT(oi.stats.resident_host == NR_BLOCKS, "resident_host %llu", oi.stats.resident_host);

	GT_ASSERT(gm_advise(fd, p, len, GMEM_ADV_WILLNEED, 0) == 0, "WILLNEED");
	oi = gm_info(fd, p);
	GT_EXPECT(oi.stats.h2d_blocks == NR_BLOCKS, "h2d %llu", oi.stats.h2d_blocks);
	GT_EXPECT(oi.stats.h2d_bytes == len, "h2d_bytes %llu", oi.stats.h2d_bytes);
	GT_EXPECT(oi.stats.resident_dev == NR_BLOCKS, "resident_dev %llu", oi.stats.resident_dev);
	GT_EXPECT(oi.stats.resident_host == 0, "resident_host %llu", oi.stats.resident_host);

	/* The device never wrote them: their host pages are valid, nothing moves back. */
	GT_ASSERT(gm_advise(fd, p, len, GMEM_ADV_DONTNEED, 0) == 0, "DONTNEED");
	oi = gm_info(fd, p);
	GT_EXPECT(oi.stats.d2h_blocks == 0, "d2h %llu", oi.stats.d2h_blocks);
	GT_EXPECT(oi.stats.evictions == 0, "evictions %llu", oi.stats.evictions);
	GT_EXPECT(oi.stats.resident_dev == 0, "resident_dev %llu", oi.stats.resident_dev);
	for (i = 0; i < n; i++)
		bad += p[i] != pattern(i);
	GT_EXPECT(bad == 0, "%zu words differ after DONTNEED", bad);

	/* Device-resident again, then the CPU pulls each block back by faulting. */
	GT_ASSERT(gm_advise(fd, p, len, GMEM_ADV_WILLNEED, 0) == 0, "WILLNEED 2");
	for (i = 0, bad = 0; i < n; i++)
		bad += p[i] != pattern(i);
	GT_EXPECT(bad == 0, "%zu words differ after CPU fault-back", bad);
	oi = gm_info(fd, p);
	GT_EXPECT(oi.stats.d2h_blocks == 0, "d2h %llu", oi.stats.d2h_blocks);
	/* One fault per block each time the CPU reads after a migration zapped its PTEs. */
	GT_EXPECT(oi.stats.cpu_faults == 3 * NR_BLOCKS, "cpu_faults %llu", oi.stats.cpu_faults);
	GT_EXPECT(oi.stats.resident_host == NR_BLOCKS, "resident_host %llu",
		  oi.stats.resident_host);
	GT_ASSERT(munmap(p, len) == 0, "munmap");
	close(fd);
}

/* The simulated device, or the test is skipped (no gmem_sim loaded). */
static int sim_open_or_skip(void)
{
	int sfd = open("/dev/gmem_sim0", O_RDWR);

	if (sfd < 0)
		GT_SKIP("no /dev/gmem_sim0: %s", strerror(errno));
	return sfd;
}

/*
 * The device faults blocks in itself. With the built-in policy prefetching one
 * block ahead, a sequential device pass over 4 blocks faults on blocks 0 and 2
 * and finds 1 and 3 prefetched (default gmem.builtin_prefetch=1, gmem_sim0 is
 * gmem device 0 and has room for all 4 blocks). 1 and 3 arrive clean; the
 * sim has dirty bits, so they are mapped writable and the fill writes them
 * without a fault (the dirty bit makes the CPU read below copy them back).
 */
GT_TEST(device_fault_prefetch)
{
	int fd = gm_open();
	size_t bs = gm_blksz(fd), len = NR_BLOCKS * bs, i, bad = 0;
	struct gmem_obj_info oi;
	uint32_t *p;
	int sfd;

	sfd = sim_open_or_skip();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	sim_run(sfd, GMEM_SIM_FILL, p, len, 0xabcd1234);
	oi = gm_info(fd, p);
	GT_EXPECT(oi.stats.dev_faults == NR_BLOCKS / 2 && oi.stats.write_faults == 0,
		  "dev_faults %llu write_faults %llu", oi.stats.dev_faults, oi.stats.write_faults);
	GT_EXPECT(oi.stats.h2d_blocks == NR_BLOCKS, "h2d %llu", oi.stats.h2d_blocks);
	GT_EXPECT(oi.stats.prefetch_issued == NR_BLOCKS / 2, "prefetch_issued %llu",
		  oi.stats.prefetch_issued);
	GT_EXPECT(oi.stats.prefetch_used == NR_BLOCKS / 2, "prefetch_used %llu",
		  oi.stats.prefetch_used);
	GT_EXPECT(oi.stats.resident_dev == NR_BLOCKS, "resident_dev %llu", oi.stats.resident_dev);
	GT_EXPECT(oi.stats.cpu_faults == 0, "cpu_faults %llu", oi.stats.cpu_faults);
	for (i = 0; i < len / 4; i++)
		bad += p[i] != 0xabcd1234;
	GT_EXPECT(bad == 0, "%zu words differ from the device fill", bad);
	oi = gm_info(fd, p);
	GT_EXPECT(oi.stats.d2h_blocks == NR_BLOCKS, "d2h %llu", oi.stats.d2h_blocks);
	GT_EXPECT(oi.stats.prefetch_wasted == 0, "prefetch_wasted %llu", oi.stats.prefetch_wasted);
	GT_ASSERT(munmap(p, len) == 0, "munmap");
	close(sfd);
	close(fd);
}

/*
 * One device read at the start of each of blocks @order[0..n) of @p, in
 * order, each a fault (the blocks start on the host); the object's stats.
 */
static struct gmem_stats device_reads(int fd, int sfd, char *p, size_t bs, const int *order,
				      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sim_run(sfd, GMEM_SIM_REDUCE, p + order[i] * bs, 4, 0);
	return gm_info(fd, p).stats;
}

/* A new mapping of @nr blocks of @bs bytes, written by the CPU. */
static char *map_written(int fd, size_t nr, size_t bs)
{
	char *p = mmap(NULL, nr * bs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(p, 1, nr * bs);
	return p;
}

/* device_reads() on a new mapping of @nr blocks, which it unmaps again. */
static struct gmem_stats fresh_device_reads(int fd, int sfd, size_t nr, const int *order,
					    size_t n)
{
	size_t bs = gm_blksz(fd);
	struct gmem_stats s;
	char *p;

	p = map_written(fd, nr, bs);
	s = device_reads(fd, sfd, p, bs, order, n);
	GT_ASSERT(munmap(p, nr * bs) == 0, "munmap");
	return s;
}

/*
 * The built-in read-ahead reads only within the runs of blocks the device
 * walks in order: none for faults in no order, and inside runs of three
 * (the few blocks of each expert a MoE layer reads) never past their end,
 * where a read-ahead block would be a migration for nothing.
 */
GT_TEST(read_ahead_stays_inside_runs)
{
	static const int scattered[] = { 5, 11, 2, 14, 8, 13, 3, 9, 15, 6, 1, 10, 4, 12, 7 };
	/* Runs of three, each followed by a block nothing reads (3, 7, ..., 31). */
	static const int runs[] = { 8, 9, 10, 0, 1, 2, 20, 21, 22, 12, 13, 14,
				    28, 29, 30, 4, 5, 6, 16, 17, 18, 24, 25, 26 };
	const size_t nr = 32, nr_read = sizeof(runs) / sizeof(runs[0]);
	int fd = gm_open(), sfd;
	struct gmem_stats s;

	sfd = sim_open_or_skip();
	s = fresh_device_reads(fd, sfd, nr, scattered, sizeof(scattered) / sizeof(scattered[0]));
	GT_EXPECT(s.prefetch_issued == 0, "%llu blocks read ahead of faults in no order",
		  (unsigned long long)s.prefetch_issued);
	s = fresh_device_reads(fd, sfd, nr, runs, nr_read);
	GT_EXPECT(s.prefetch_used > 0, "no read-ahead inside the runs");
	GT_EXPECT(s.prefetch_issued == s.prefetch_used,
		  "%llu blocks read ahead, %llu of them used: read past a run's end",
		  (unsigned long long)s.prefetch_issued, (unsigned long long)s.prefetch_used);
	GT_EXPECT(s.dev_faults + s.prefetch_used == nr_read, "faults %llu + read ahead %llu != %zu",
		  (unsigned long long)s.dev_faults, (unsigned long long)s.prefetch_used, nr_read);
	close(sfd);
	close(fd);
}

/*
 * Two runs interleaved, as a kernel that streams through its weights while
 * it writes a cache block now and then: blocks 0..14 in order, and after
 * every third one a block of a second run, 24..28. The read-ahead follows
 * both (gm_ra_stream), so each run is read ahead as if it were alone: about
 * every other block is read ahead and used. Followed as one run, each
 * switch between them looked like a run of its own and stopped the
 * read-ahead.
 */
GT_TEST(read_ahead_follows_interleaved_runs)
{
	static const int order[] = { 0, 1, 2, 24, 3, 4, 5, 25, 6, 7, 8, 26,
				     9, 10, 11, 27, 12, 13, 14, 28 };
	const size_t nr = 32, nr_read = sizeof(order) / sizeof(order[0]);
	int fd = gm_open(), sfd;
	struct gmem_stats s;

	sfd = sim_open_or_skip();
	s = fresh_device_reads(fd, sfd, nr, order, nr_read);
	gt_log("%zu reads: %llu faults, %llu read ahead, %llu of them used", nr_read,
	       (unsigned long long)s.dev_faults, (unsigned long long)s.prefetch_issued,
	       (unsigned long long)s.prefetch_used);
	GT_EXPECT(s.dev_faults + s.prefetch_used == nr_read, "faults %llu + read ahead %llu != %zu",
		  (unsigned long long)s.dev_faults, (unsigned long long)s.prefetch_used, nr_read);
	GT_EXPECT(s.prefetch_used >= nr_read / 2 - 1, "only %llu of %zu blocks read ahead",
		  (unsigned long long)s.prefetch_used, nr_read);
	close(sfd);
	close(fd);
}

/*
 * A run that stopped long ago does not go on where it stopped. Five runs of
 * four blocks set the expected run length; run X reads 0..5; a long run
 * elsewhere takes more than GM_RA_STALE (16) faults; then a new run reads
 * 6..9. It is a run of its own, read ahead as four blocks long (2 faults).
 * Taken as X going on, it had X's start and predicted end (block 4) and
 * read nothing ahead (4 faults), as the second forward pass of training did
 * after the first backward pass.
 */
GT_TEST(read_ahead_stale_run_does_not_continue)
{
	int order[5 * 4 + 6 + 32], n = 0, i, r;
	const size_t nr = 72;
	int fd = gm_open(), sfd;
	struct gmem_stats before, s;
	size_t bs = gm_blksz(fd);
	char *p;

	sfd = sim_open_or_skip();
	for (r = 0; r < 5; r++)
		for (i = 0; i < 4; i++)
			order[n++] = 46 + 5 * r + i;	/* 46..49, 51..54, ..., 66..69 */
	for (i = 0; i < 6; i++)
		order[n++] = i;			/* X */
	for (i = 0; i < 32; i++)
		order[n++] = 12 + i;		/* the long run elsewhere */
	p = map_written(fd, nr, bs);
	before = device_reads(fd, sfd, p, bs, order, n);
	for (i = 0; i < 4; i++)
		order[i] = 6 + i;
	s = device_reads(fd, sfd, p, bs, order, 4);
	gt_log("6..9: %llu faults, %llu read ahead", (unsigned long long)(s.dev_faults -
	       before.dev_faults), (unsigned long long)(s.prefetch_issued - before.prefetch_issued));
	GT_EXPECT(s.dev_faults - before.dev_faults == 2, "6..9 took %llu faults, want 2",
		  (unsigned long long)(s.dev_faults - before.dev_faults));
	GT_ASSERT(munmap(p, nr * bs) == 0, "munmap");
	close(sfd);
	close(fd);
}

/*
 * A read-ahead block that left the device untouched was not used. The fault
 * at block 0 reads 1 ahead; DONTNEED sends 1 home unused; then the device
 * reads 2 and 3. The run ended at 0, so 2 begins a new one, and before any
 * run has ended only a fault that is itself sequential reads ahead: 3
 * faults too (2 faults; 3 goes on from 2 and reads 4 ahead). When leaving
 * the device cleared block 1's PREFETCHED, 1 passed for used and 2 went on
 * with the run, reading 3 ahead (1 fault); so did a fault whose own
 * eviction took the block its stream had read ahead.
 */
GT_TEST(read_ahead_block_dropped_unused_was_not_used)
{
	static const int first[] = { 0 }, next[] = { 2, 3 };
	const size_t nr = 8;
	int fd = gm_open(), sfd;
	struct gmem_stats before, s;
	size_t bs = gm_blksz(fd);
	char *p;

	sfd = sim_open_or_skip();
	p = map_written(fd, nr, bs);
	before = device_reads(fd, sfd, p, bs, first, 1);
	GT_ASSERT(before.dev_faults == 1 && before.prefetch_issued == 1,
		  "block 0: %llu faults, %llu read ahead", (unsigned long long)before.dev_faults,
		  (unsigned long long)before.prefetch_issued);
	GT_ASSERT(gm_advise(fd, p + bs, bs, GMEM_ADV_DONTNEED, 0) == 0, "DONTNEED");
	s = device_reads(fd, sfd, p, bs, next, 2);
	gt_log("2, 3: %llu faults, %llu read ahead, %llu wasted",
	       (unsigned long long)(s.dev_faults - before.dev_faults),
	       (unsigned long long)(s.prefetch_issued - before.prefetch_issued),
	       (unsigned long long)s.prefetch_wasted);
	GT_EXPECT(s.prefetch_wasted == 1, "wasted %llu", (unsigned long long)s.prefetch_wasted);
	GT_EXPECT(s.dev_faults - before.dev_faults == 2, "2, 3 took %llu faults, want 2",
		  (unsigned long long)(s.dev_faults - before.dev_faults));
	GT_ASSERT(munmap(p, nr * bs) == 0, "munmap");
	close(sfd);
	close(fd);
}

/* The trace holds the device's faults and accesses in order (same pass as above). */
GT_TEST(trace_records_device_pass)
{
	int fd = gm_open(), sfd;
	size_t bs = gm_blksz(fd), len = NR_BLOCKS * bs;
	struct gmem_trace_rec rec[2 * NR_BLOCKS];
	struct gmem_trace_read rd = { .buf_ptr = (uintptr_t)rec, .capacity = 2 * NR_BLOCKS };
	uint32_t cap = 64, i;
	void *p;

	sfd = sim_open_or_skip();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	GT_ASSERT(ioctl(fd, GMEM_IOC_TRACE_READ, &rd) == -1 && errno == ENOENT, "read unstarted");
	GT_ASSERT(ioctl(fd, GMEM_IOC_TRACE_START, &cap) == 0, "start: %s", strerror(errno));
	GT_EXPECT(ioctl(fd, GMEM_IOC_TRACE_START, &cap) == -1 && errno == EBUSY, "second start");
	sim_run(sfd, GMEM_SIM_FILL, p, len, 1);
	GT_ASSERT(ioctl(fd, GMEM_IOC_TRACE_READ, &rd) == 0, "read: %s", strerror(errno));
	GT_EXPECT(rd.count == NR_BLOCKS && rd.dropped == 0, "count %u dropped %llu", rd.count,
		  (unsigned long long)rd.dropped);
	for (i = 0; i < rd.count && i < NR_BLOCKS; i++) {
		GT_EXPECT(rec[i].obj == gm_info(fd, p).id && rec[i].idx == i && rec[i].dev == 0 &&
			  rec[i].write == 1, "record %u: obj %u idx %u dev %u write %u", i,
			  rec[i].obj, rec[i].idx, rec[i].dev, rec[i].write);
		/* Odd blocks were prefetched, mapped writable: accessed without a fault. */
		GT_EXPECT(rec[i].kind == (i % 2 ? GMEM_TRACE_ACCESS : GMEM_TRACE_FAULT),
			  "record %u kind %u", i, rec[i].kind);
		GT_EXPECT(!i || rec[i].t_ns >= rec[i - 1].t_ns, "record %u goes back in time", i);
	}
	GT_ASSERT(ioctl(fd, GMEM_IOC_TRACE_READ, &rd) == 0 && rd.count == 0, "drained");
	GT_ASSERT(ioctl(fd, GMEM_IOC_TRACE_STOP) == 0, "stop: %s", strerror(errno));
	GT_EXPECT(ioctl(fd, GMEM_IOC_TRACE_STOP) == -1 && errno == ENOENT, "second stop");
	munmap(p, len);
	close(sfd);
	close(fd);
}

/* Object, device and global counters agree; listing finds the object. */
GT_TEST(stats_agree)
{
	int fd = gm_open();
	size_t bs = gm_blksz(fd);
	struct gmem_stats g0, g1;
	struct gmem_dev_info di = { .id = 0 };
	struct gmem_obj_info oi;
	struct gmem_obj_list lst = { 0 };
	uint32_t ids[64], ndev = 0, i, found = 0;
	char *p;

	GT_ASSERT(ioctl(fd, GMEM_IOC_NR_DEVICES, &ndev) == 0 && ndev >= 1, "ndev %u", ndev);
	GT_ASSERT(ioctl(fd, GMEM_IOC_GLOBAL_STATS, &g0) == 0, "global");
	p = mmap(NULL, 3 * bs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	p[0] = p[bs] = 1;
	GT_ASSERT(gm_advise(fd, p, 2 * bs, GMEM_ADV_WILLNEED, 0) == 0, "WILLNEED");
	GT_ASSERT(ioctl(fd, GMEM_IOC_GLOBAL_STATS, &g1) == 0, "global");
	GT_ASSERT(ioctl(fd, GMEM_IOC_DEV_INFO, &di) == 0, "dev info");
	oi = gm_info(fd, p + bs);
	GT_EXPECT(oi.size == 3 * bs && oi.start == (uintptr_t)p && oi.block_size == bs &&
		  oi.owner_pid == getpid(), "info: size %llu start %llx", oi.size, oi.start);
	GT_EXPECT(g1.cpu_faults - g0.cpu_faults == 2 && oi.stats.cpu_faults == 2, "cpu_faults");
	GT_EXPECT(g1.h2d_blocks - g0.h2d_blocks == 2 && oi.stats.h2d_blocks == 2, "h2d");
	GT_EXPECT(g1.resident_dev - g0.resident_dev == 2, "global resident_dev");
	GT_EXPECT(di.stats.resident_dev >= 2 && di.hbm_used_bytes >= 2 * bs, "device residency");
	di.flags = 1;
	GT_EXPECT(ioctl(fd, GMEM_IOC_DEV_INFO, &di) == -1 && errno == EINVAL, "reserved flags");
	di = (struct gmem_dev_info){ .id = GMEM_MAX_DEVICES };
	GT_EXPECT(ioctl(fd, GMEM_IOC_DEV_INFO, &di) == -1 && errno == ENODEV, "bad device");

	GT_ASSERT(ioctl(fd, GMEM_IOC_LIST_OBJECTS, &lst) == 0 && lst.count >= 1, "count");
	lst.ids_ptr = (uintptr_t)ids;
	lst.capacity = 64;
	GT_ASSERT(ioctl(fd, GMEM_IOC_LIST_OBJECTS, &lst) == 0, "list: %s", strerror(errno));
	for (i = 0; i < lst.count && i < 64; i++)
		found += ids[i] == oi.id;
	GT_EXPECT(found == 1, "object %u listed %u times", oi.id, found);
	GT_ASSERT(munmap(p, 3 * bs) == 0, "munmap");
	oi = (struct gmem_obj_info){ .id = oi.id };
	GT_EXPECT(ioctl(fd, GMEM_IOC_OBJ_INFO, &oi) == -1 && errno == ENOENT, "dead object found");
	close(fd);
}

GT_TEST(mapping_rules)
{
	int fd = gm_open();
	size_t bs = gm_blksz(fd);
	void *p, *dst;

	p = mmap(NULL, bs, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	GT_EXPECT(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE accepted");
	p = mmap(NULL, bs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, bs);
	GT_EXPECT(p == MAP_FAILED && errno == EINVAL, "nonzero offset accepted");

	/* Two blocks plus one page: a partial last block. */
	p = mmap(NULL, 2 * bs + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	GT_EXPECT(munmap(p, 4096) == -1 && errno == EINVAL, "partial munmap accepted");
	GT_EXPECT(mprotect(p, 4096, PROT_READ) == -1 && errno == EINVAL,
		  "partial mprotect accepted");
	GT_EXPECT(mremap(p, 2 * bs + 4096, 4 * bs, MREMAP_MAYMOVE) == MAP_FAILED,
		  "growing mremap accepted");
	/* A same-size move reaches ->mremap, which refuses it; p must survive. */
	dst = mmap(NULL, 2 * bs + 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	GT_ASSERT(dst != MAP_FAILED, "mmap anon: %s", strerror(errno));
	GT_EXPECT(mremap(p, 2 * bs + 4096, 2 * bs + 4096, MREMAP_MAYMOVE | MREMAP_FIXED, dst) ==
		  MAP_FAILED && errno == EINVAL, "moving mremap accepted");
	((volatile char *)p)[2 * bs + 4095] = 7;
	GT_EXPECT(gm_info(fd, p).stats.resident_host == 1, "last block not resident");
	GT_EXPECT(((volatile char *)p)[2 * bs + 4095] == 7, "data lost");
	GT_ASSERT(munmap(p, 2 * bs + 4096) == 0, "munmap");
	close(fd);
}

/*
 * fork() leaves the mapping out of the child, unless MADV_DOFORK asked for
 * it: then the child shares the data, and its exit must not end the object.
 */
GT_TEST(fork_keeps_object)
{
	int fd = gm_open(), status;
	size_t bs = gm_blksz(fd);
	volatile char *p;
	pid_t pid;

	p = mmap(NULL, bs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	p[0] = 42;
	pid = fork();
	if (pid == 0)
		_exit(msync((void *)p, bs, MS_ASYNC) == -1 && errno == ENOMEM ? 0 : 1);
	GT_ASSERT(pid > 0 && waitpid(pid, &status, 0) == pid, "fork");
	GT_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child inherited the mapping");

	GT_ASSERT(madvise((void *)p, bs, MADV_DOFORK) == 0, "MADV_DOFORK: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		struct gmem_obj_info oi = { .addr = (uintptr_t)p };

		if (p[0] != 42)
			_exit(1);
		p[1] = 43;
		/* Devices and stats serve the creator only. */
		_exit(ioctl(fd, GMEM_IOC_OBJ_INFO, &oi) == -1 && errno == ENOENT ? 0 : 2);
	}
	GT_ASSERT(pid > 0 && waitpid(pid, &status, 0) == pid, "fork");
	GT_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	GT_EXPECT(p[1] == 43, "child's write not seen");
	GT_ASSERT(gm_advise(fd, (void *)p, bs, GMEM_ADV_WILLNEED, 0) == 0, "WILLNEED after fork");
	GT_EXPECT(p[0] == 42 && p[1] == 43, "data lost");
	GT_ASSERT(munmap((void *)p, bs) == 0, "munmap");
	close(fd);
}

GT_TEST(advise_validation)
{
	int fd = gm_open();
	size_t bs = gm_blksz(fd);
	struct gmem_advise a;
	char *p;

	p = mmap(NULL, 2 * bs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	GT_EXPECT(gm_advise(fd, p + 1, 4096, GMEM_ADV_WILLNEED, 0) == -EINVAL, "unaligned addr");
	GT_EXPECT(gm_advise(fd, p, 0, GMEM_ADV_WILLNEED, 0) == -EINVAL, "zero len");
	GT_EXPECT(gm_advise(fd, p, 3 * bs, GMEM_ADV_WILLNEED, 0) == -EINVAL, "past the end");
	GT_EXPECT(gm_advise(fd, p, bs, 99, 0) == -EINVAL, "unknown advice");
	GT_EXPECT(gm_advise(fd, p, bs, GMEM_ADV_WILLNEED, GMEM_MAX_DEVICES) == -ENODEV,
		  "bad device");
	GT_EXPECT(gm_advise(fd, (char *)&a, 4096, GMEM_ADV_TAG, 0) == -EINVAL, "not gmem");
	a = (struct gmem_advise){ .addr = (uintptr_t)p, .len = bs, .advice = GMEM_ADV_TAG,
				  .flags = 1 };
	GT_EXPECT(ioctl(fd, GMEM_IOC_ADVISE, &a) == -1 && errno == EINVAL, "flags accepted");
	GT_EXPECT(ioctl(fd, GMEM_IOC_ADVISE, (void *)8) == -1 && errno == EFAULT, "bad pointer");
	/* Nothing above may have touched the object. */
	GT_EXPECT(gm_info(fd, p).stats.h2d_blocks == 0, "a rejected hint migrated");
	GT_EXPECT(gm_info(fd, p).stats.resident_host == 0, "a rejected hint allocated");
	GT_ASSERT(munmap(p, 2 * bs) == 0, "munmap");
	close(fd);
}

GT_TEST(nothing_leaks)
{
	long o0, h0, d0, o1, h1, d1;
	int fd = gm_open();
	size_t bs = gm_blksz(fd);
	char *p;

	gm_live(&o0, &h0, &d0);
	p = mmap(NULL, 2 * bs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	GT_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	p[0] = 1;
	GT_ASSERT(gm_advise(fd, p, 2 * bs, GMEM_ADV_WILLNEED, 0) == 0, "WILLNEED");
	gm_live(&o1, &h1, &d1);
	GT_EXPECT(o1 == o0 + 1 && d1 == d0 + 2, "objects %ld->%ld dev_blocks %ld->%ld",
		  o0, o1, d0, d1);
	GT_EXPECT(h1 == h0 + (long)(2 * bs / 4096), "host_pages %ld->%ld", h0, h1);
	GT_ASSERT(munmap(p, 2 * bs) == 0, "munmap");
	gm_live(&o1, &h1, &d1);
	GT_EXPECT(o1 == o0 && h1 == h0 && d1 == d0, "after munmap: %ld %ld %ld, before %ld %ld %ld",
		  o1, h1, d1, o0, h0, d0);
	close(fd);
}

GT_MAIN()
