// SPDX-License-Identifier: GPL-2.0
/*
 * test_core_hints: every GMEM_IOC_ADVISE hint does what it says, observable
 * in the object and device statistics and in the data; bad hints fail with
 * the documented errno and change nothing. HBM: 4 blocks of 2 MiB per device.
 */
#include "gtest.h"
#include "gmem_test_util.h"

#define BS	(2 * GMT_MiB)
#define HBM_MB	8		/* 4 blocks */

static int gfd, sfd[2], dev[2];

static void setup(void)
{
	int i;

	GT_ASSERT(gmt_setup(BS, HBM_MB, 2) == 0, "module reload");
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem");
	for (i = 0; i < 2; i++) {
		dev[i] = gmt_sim_gmem_id(i);
		GT_ASSERT(dev[i] >= 0, "gmem id of sim%d", i);
		sfd[i] = -1;
	}
}

static void open_sim(int i)
{
	sfd[i] = gmt_sim_open(i);
	GT_ASSERT(sfd[i] >= 0, "open sim%d", i);
}

static void teardown(void)
{
	if (sfd[0] >= 0)
		close(sfd[0]);
	if (sfd[1] >= 0)
		close(sfd[1]);
	close(gfd);
	GMT_ASSERT_NO_LEAK();
}

static struct gmem_stats ostats(const void *p)
{
	struct gmem_obj_info oi;

	GT_ASSERT(gmt_obj_info(gfd, p, &oi) == 0, "obj info");
	return oi.stats;
}

static uint64_t hbm_used(int i)
{
	struct gmem_dev_info di;

	GT_ASSERT(gmt_dev_info(gfd, dev[i], &di) == 0, "dev info %d", i);
	return di.hbm_used_bytes / BS;
}

static uint32_t *map_pat(size_t len, uint32_t seed)
{
	uint32_t *p = gmt_map(gfd, len);

	GT_ASSERT(p, "mmap %zu", len);
	gmt_fill_pat(p, len / 4, seed);
	return p;
}

static uint64_t pat_sum(uint32_t seed, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < len / 4; i++)
		sum += gmt_pat(seed, i);
	return sum;
}

/*
 * Device @i sums @len bytes at @p, which hold pattern @seed plus @delta.
 * The expectation comes from the pattern, never from reading @p: a CPU read
 * would pull the blocks back to the host and change what the test observes.
 */
static void expect_sum(int i, const uint32_t *p, size_t len, uint32_t seed, uint64_t delta)
{
	uint64_t sum, want = pat_sum(seed, len) + delta;

	GT_ASSERT(gmt_sim_reduce(sfd[i], p, len, &sum) == 0, "reduce on sim%d", i);
	GT_ASSERT(sum == want, "sim%d sum %llu, expected %llu", i, (unsigned long long)sum,
		  (unsigned long long)want);
}

/* Stream @len bytes of @p through device @i (evicts everything unpinned). */
static void stream(int i, const uint32_t *p, size_t len)
{
	uint64_t sum;

	GT_ASSERT(gmt_sim_reduce(sfd[i], p, len, &sum) == 0, "stream on sim%d", i);
}

/*
 * WILLNEED moves the range now: before the device has an address space
 * for us (mapped at its first touch, no migration then) and after (no
 * fault at all); a second WILLNEED moves it to the other device.
 */
GT_TEST(willneed)
{
	struct gmem_stats s0, s;
	uint32_t *a;

	setup();
	a = map_pat(2 * BS, 1);
	s0 = ostats(a);
	GT_ASSERT(gmt_advise(gfd, a, 2 * BS, GMEM_ADV_WILLNEED, dev[0], 0) == 0, "willneed");
	s = ostats(a);
	GT_EXPECT(s.resident_dev == 2 && s.h2d_blocks == s0.h2d_blocks + 2,
		  "resident_dev %llu h2d %llu", (unsigned long long)s.resident_dev,
		  (unsigned long long)s.h2d_blocks);
	GT_EXPECT(hbm_used(0) == 2, "dev0 uses %llu blocks", (unsigned long long)hbm_used(0));
	open_sim(0);
	expect_sum(0, a, 2 * BS, 1, 0);
	s = ostats(a);
	GT_EXPECT(s.h2d_blocks == s0.h2d_blocks + 2, "the first touch migrated again");

	open_sim(1);
	GT_ASSERT(gmt_advise(gfd, a, 2 * BS, GMEM_ADV_WILLNEED, dev[1], 0) == 0, "willneed 1");
	s0 = ostats(a);
	/* Only read on dev0: they leave it without a copy back. */
	GT_EXPECT(s0.d2h_blocks == 0 && s0.h2d_blocks == 4, "d2h %llu h2d %llu",
		  (unsigned long long)s0.d2h_blocks, (unsigned long long)s0.h2d_blocks);
	GT_EXPECT(hbm_used(0) == 0 && hbm_used(1) == 2, "hbm used %llu/%llu",
		  (unsigned long long)hbm_used(0), (unsigned long long)hbm_used(1));
	expect_sum(1, a, 2 * BS, 1, 0);
	s = ostats(a);
	GT_EXPECT(s.dev_faults == s0.dev_faults, "%llu faults on a mapped range",
		  (unsigned long long)(s.dev_faults - s0.dev_faults));
	GT_EXPECT(s.dev_accesses >= s0.dev_accesses + 2, "accesses not reported");
	munmap(a, 2 * BS);
	teardown();
}

/* Pages of [p, p + len) that a CPU page table maps (/proc/self/pagemap bit 63). */
static size_t cpu_present(const void *p, size_t len)
{
	size_t i, n = len / 4096, present = 0;
	uint64_t *ent = calloc(n, sizeof(*ent));
	int fd = open("/proc/self/pagemap", O_RDONLY);

	GT_ASSERT(ent && fd >= 0, "pagemap: %s", strerror(errno));
	GT_ASSERT(pread(fd, ent, n * 8, (uintptr_t)p / 4096 * 8) == (ssize_t)(n * 8),
		  "pagemap read");
	for (i = 0; i < n; i++)
		present += ent[i] >> 63;
	close(fd);
	free(ent);
	return present;
}

/*
 * A WILLNEED over several blocks zaps the CPU PTEs of the blocks it moves
 * (in runs, gm_advise.c): afterwards no page of the range is CPU-mapped, a
 * device write is what the CPU reads, and the rest kept its data. Block 2
 * is on the device already and not CPU-mapped, so blocks 0-1 and 3 are
 * separate runs.
 */
GT_TEST(willneed_range_zaps_cpu_mappings)
{
	const size_t len = 4 * BS, bw = BS / 4;
	struct gmem_stats s0, s;
	size_t b, i, bad = 0;
	uint32_t *a;

	setup();
	a = map_pat(len, 5);
	GT_ASSERT(gmt_advise(gfd, a + 2 * bw, BS, GMEM_ADV_WILLNEED, dev[0], 0) == 0,
		  "willneed block 2");
	GT_EXPECT(cpu_present(a, 2 * BS) == 2 * BS / 4096 && cpu_present(a + 3 * bw, BS) == BS / 4096,
		  "blocks 0, 1 and 3 not all CPU-mapped before the hint");
	GT_EXPECT(cpu_present(a + 2 * bw, BS) == 0, "block 2 still CPU-mapped on the device");
	s0 = ostats(a);
	GT_ASSERT(gmt_advise(gfd, a, len, GMEM_ADV_WILLNEED, dev[0], 0) == 0, "willneed");
	GT_EXPECT(cpu_present(a, len) == 0, "%zu pages still CPU-mapped after WILLNEED",
		  cpu_present(a, len));
	s = ostats(a);
	GT_EXPECT(s.resident_dev == 4 && s.h2d_blocks == s0.h2d_blocks + 3,
		  "resident_dev %llu, h2d +%llu", (unsigned long long)s.resident_dev,
		  (unsigned long long)(s.h2d_blocks - s0.h2d_blocks));
	open_sim(0);
	for (b = 0; b < 4; b++)
		GT_ASSERT(gmt_sim_fill(sfd[0], a + b * bw, 4096, 0xabc0 + b) == 0, "fill");
	s0 = ostats(a);
	for (b = 0; b < 4; b++)
		for (i = 0; i < bw; i++)
			bad += a[b * bw + i] != (i < 1024 ? 0xabc0 + b : gmt_pat(5, b * bw + i));
	GT_EXPECT(!bad, "%zu words differ: a CPU mapping outlived the hint", bad);
	s = ostats(a);
	GT_EXPECT(s.cpu_faults >= s0.cpu_faults + 4, "CPU reads took %llu faults, want >= 4",
		  (unsigned long long)(s.cpu_faults - s0.cpu_faults));
	munmap(a, len);
	teardown();
}

/*
 * The same through a device fault's prefetch (the built-in read-ahead of 3
 * blocks): the faulting block and the three after it move together, their
 * CPU PTEs zapped in one run; the device reads what the CPU wrote, and the
 * CPU then reads what the device wrote.
 */
GT_TEST(prefetch_zaps_cpu_mappings)
{
	const size_t len = 4 * BS, bw = BS / 4;
	struct gmem_stats s;
	size_t b, i, bad = 0;
	uint64_t sum;
	uint32_t *a;

	setup();
	GT_ASSERT(gmt_write_str("/sys/module/gmem/parameters/builtin_prefetch", "3") == 0,
		  "builtin_prefetch");
	a = map_pat(len, 6);
	GT_EXPECT(cpu_present(a, len) == len / 4096, "not all CPU-mapped before");
	open_sim(0);
	GT_ASSERT(gmt_sim_reduce(sfd[0], a, 4096, &sum) == 0, "device read of block 0");
	s = ostats(a);
	GT_EXPECT(s.resident_dev == 4 && s.prefetch_issued == 3, "resident_dev %llu prefetched %llu",
		  (unsigned long long)s.resident_dev, (unsigned long long)s.prefetch_issued);
	GT_EXPECT(cpu_present(a, len) == 0, "%zu pages still CPU-mapped after the prefetch",
		  cpu_present(a, len));
	expect_sum(0, a, len, 6, 0);
	for (b = 0; b < 4; b++)
		GT_ASSERT(gmt_sim_fill(sfd[0], a + b * bw + bw / 2, 4096, 0xfee0 + b) == 0, "fill");
	for (b = 0; b < 4; b++)
		for (i = 0; i < bw; i++)
			bad += a[b * bw + i] != (i >= bw / 2 && i < bw / 2 + 1024 ?
						 0xfee0 + b : gmt_pat(6, b * bw + i));
	GT_EXPECT(!bad, "%zu words differ: a CPU mapping outlived the prefetch", bad);
	munmap(a, len);
	teardown();
}

/* DONTNEED brings device data home now; the CPU sees the device's writes. */
GT_TEST(dontneed)
{
	struct gmem_stats s0, s;
	uint32_t *a;
	size_t i;

	setup();
	open_sim(0);
	a = map_pat(2 * BS, 2);
	GT_ASSERT(gmt_sim_fill(sfd[0], a, 2 * BS, 0xabcd) == 0, "fill");
	s0 = ostats(a);
	GT_EXPECT(s0.resident_dev == 2, "resident_dev %llu", (unsigned long long)s0.resident_dev);
	GT_ASSERT(gmt_advise(gfd, a, 2 * BS, GMEM_ADV_DONTNEED, 0, 0) == 0, "dontneed");
	s = ostats(a);
	GT_EXPECT(s.resident_dev == 0 && s.resident_host == 2, "resident dev %llu host %llu",
		  (unsigned long long)s.resident_dev, (unsigned long long)s.resident_host);
	GT_EXPECT(s.d2h_blocks == s0.d2h_blocks + 2, "d2h %llu", (unsigned long long)s.d2h_blocks);
	GT_EXPECT(hbm_used(0) == 0, "HBM still used");
	GT_EXPECT(s.cpu_faults == s0.cpu_faults, "DONTNEED counted as CPU faults");
	for (i = 0; i < 2 * BS / 4; i += 511)
		GT_ASSERT(a[i] == 0xabcd, "word %zu = %#x", i, a[i]);
	munmap(a, 2 * BS);
	teardown();
}

/* A pinned block survives streaming 4x HBM through its device; unpinned, it goes. */
GT_TEST(pin_unpin)
{
	struct gmem_stats s0, s;
	uint32_t *p, *big, *huge;

	setup();
	open_sim(0);
	p = map_pat(BS, 3);
	big = map_pat(16 * BS, 4);
	huge = map_pat(5 * BS, 5);
	GT_ASSERT(gmt_advise(gfd, p, BS, GMEM_ADV_PIN, dev[0], 0) == 0, "pin");
	s0 = ostats(p);
	GT_EXPECT(s0.resident_dev == 1, "pin did not migrate");
	stream(0, big, 16 * BS);
	stream(0, big, 16 * BS);
	s = ostats(p);
	GT_EXPECT(s.resident_dev == 1 && s.evictions == 0 && s.d2h_blocks == s0.d2h_blocks,
		  "pinned block left: resident %llu evictions %llu",
		  (unsigned long long)s.resident_dev, (unsigned long long)s.evictions);
	GT_EXPECT(ostats(big).evictions > 0, "the stream did not evict");
	expect_sum(0, p, BS, 3, 0);
	GT_EXPECT(ostats(p).dev_faults == s.dev_faults, "the pinned block faulted again");
	GT_EXPECT(ostats(p).h2d_blocks == s.h2d_blocks, "the pinned block migrated again");

	/* Pins may not exceed HBM (1 pinned + 5 > 4 blocks): refused, nothing moves. */
	s0 = ostats(huge);
	GT_EXPECT(gmt_advise(gfd, huge, 5 * BS, GMEM_ADV_PIN, dev[0], 0) == -ENOSPC, "over-pin");
	s = ostats(huge);
	GT_EXPECT(s.h2d_blocks == s0.h2d_blocks && s.resident_dev == s0.resident_dev,
		  "a refused PIN moved data");

	GT_ASSERT(gmt_advise(gfd, p, BS, GMEM_ADV_UNPIN, 0, 0) == 0, "unpin");
	stream(0, big, 16 * BS);
	s = ostats(p);
	GT_EXPECT(s.evictions == 1 && s.resident_dev == 0, "unpinned block stayed: evictions %llu",
		  (unsigned long long)s.evictions);
	GT_ASSERT(gmt_check_pat(p, BS / 4, 3) < 0, "pinned data changed");
	munmap(p, BS);
	munmap(big, 16 * BS);
	munmap(huge, 5 * BS);
	teardown();
}

/*
 * PREFERRED host: the device maps host pages over the bus instead of
 * migrating; device and CPU see each other's writes with no further fault.
 */
GT_TEST(preferred_host_is_remote)
{
	struct gmem_stats s0, s;
	uint32_t *a;

	setup();
	open_sim(0);
	a = map_pat(2 * BS, 6);
	GT_ASSERT(gmt_advise(gfd, a, 2 * BS, GMEM_ADV_PREFERRED, GMEM_DEV_HOST, 0) == 0, "preferred");
	expect_sum(0, a, 2 * BS, 6, 0);
	s0 = ostats(a);
	GT_EXPECT(s0.remote_maps == 2, "remote maps %llu", (unsigned long long)s0.remote_maps);
	GT_EXPECT(s0.h2d_blocks == 0 && s0.resident_dev == 0 && hbm_used(0) == 0,
		  "migrated: h2d %llu", (unsigned long long)s0.h2d_blocks);
	a[5] = 0x1234;				/* CPU write, device read */
	expect_sum(0, a, 2 * BS, 6, 0x1234 - (uint64_t)gmt_pat(6, 5));
	GT_ASSERT(gmt_sim_fill(sfd[0], a + 8, 16, 0x77) == 0, "fill");
	GT_EXPECT(a[8] == 0x77 && a[11] == 0x77 && a[12] == gmt_pat(6, 12), "device write on CPU");
	s = ostats(a);
	GT_EXPECT(s.dev_faults == s0.dev_faults, "%llu new faults on a remote range",
		  (unsigned long long)(s.dev_faults - s0.dev_faults));
	GT_EXPECT(s.d2h_blocks == 0 && s.h2d_blocks == 0, "remote range migrated");
	munmap(a, 2 * BS);
	teardown();
}

/* TAG sets per-block tags; OBJ_INFO shows block 0's. */
GT_TEST(tag)
{
	struct gmem_obj_info oi;
	uint32_t *a;

	setup();
	a = map_pat(3 * BS, 7);
	GT_ASSERT(gmt_advise(gfd, (uint8_t *)a + BS, BS, GMEM_ADV_TAG, 0, 42) == 0, "tag block 1");
	GT_ASSERT(gmt_obj_info(gfd, a, &oi) == 0 && oi.tag == 0, "block 0 tag %llu",
		  (unsigned long long)oi.tag);
	GT_ASSERT(gmt_advise(gfd, a, 3 * BS, GMEM_ADV_TAG, 0, 0xfeedULL << 32) == 0, "tag all");
	GT_ASSERT(gmt_obj_info(gfd, a, &oi) == 0 && oi.tag == 0xfeedULL << 32, "tag %#llx",
		  (unsigned long long)oi.tag);
	GT_ASSERT(gmt_check_pat(a, 3 * BS / 4, 7) < 0, "TAG changed data");
	munmap(a, 3 * BS);
	teardown();
}

/*
 * HOT and COLD steer the built-in LRU. Four one-block objects fill HBM in
 * order a0..a3 (a0 least recent); a3 is marked COLD and a0 HOT. The next
 * fault must evict a3 (cold first, though most recent), the one after that
 * a1 (the least recent block that is not hot), never a0. Every object is a
 * single block so that no prefetch can add evictions.
 */
GT_TEST(hot_cold)
{
	uint32_t *a[4], *b[2];
	int i;

	setup();
	open_sim(0);
	for (i = 0; i < 4; i++) {
		a[i] = map_pat(BS, 10 + i);
		expect_sum(0, a[i], BS, 10 + i, 0);
	}
	b[0] = map_pat(BS, 20);
	b[1] = map_pat(BS, 21);
	GT_ASSERT(gmt_advise(gfd, a[3], BS, GMEM_ADV_COLD, 0, 0) == 0, "cold");
	GT_ASSERT(gmt_advise(gfd, a[0], BS, GMEM_ADV_HOT, 0, 0) == 0, "hot");
	expect_sum(0, b[0], BS, 20, 0);
	GT_EXPECT(ostats(a[3]).evictions == 1, "cold block kept");
	for (i = 0; i < 3; i++)
		GT_EXPECT(ostats(a[i]).evictions == 0, "a%d evicted before the cold block", i);
	expect_sum(0, b[1], BS, 21, 0);
	GT_EXPECT(ostats(a[1]).evictions == 1, "a1 (least recent, not hot) kept");
	GT_EXPECT(ostats(a[0]).evictions == 0, "the hot block was evicted");
	for (i = 0; i < 4; i++) {
		GT_ASSERT(gmt_check_pat(a[i], BS / 4, 10 + i) < 0, "a%d data", i);
		munmap(a[i], BS);
	}
	munmap(b[0], BS);
	munmap(b[1], BS);
	teardown();
}

struct bad_hint {
	const char *what;
	uint64_t off, len;
	uint32_t advice, dev;
	uint64_t flags;
	int err;
};

/* Bad hints: the documented errno, and neither data nor statistics change. */
GT_TEST(bad_hints)
{
	struct gmem_stats s0, s, g0, g;
	uint64_t used;
	uint32_t *a;
	unsigned int i;
	const uint64_t L = 2 * BS;
	const struct bad_hint bad[] = {
		{ "flags", 0, L, GMEM_ADV_WILLNEED, 0, 1, EINVAL },
		{ "advice 0", 0, L, 0, 0, 0, EINVAL },
		{ "advice 9", 0, L, GMEM_ADV_MAX + 1, 0, 0, EINVAL },
		{ "unaligned addr", 100, 4096, GMEM_ADV_WILLNEED, 0, 0, EINVAL },
		{ "unaligned len", 0, 4095, GMEM_ADV_DONTNEED, 0, 0, EINVAL },
		{ "len 0", 0, 0, GMEM_ADV_TAG, 0, 0, EINVAL },
		{ "overflow", 0, -4096ULL, GMEM_ADV_COLD, 0, 0, EINVAL },
		{ "past the end", BS, L, GMEM_ADV_WILLNEED, 0, 0, EINVAL },
		{ "before the start", -4096ULL, 8192, GMEM_ADV_HOT, 0, 0, EINVAL },
		{ "unknown device", 0, L, GMEM_ADV_WILLNEED, 7, 0, ENODEV },
		{ "unknown pin device", 0, L, GMEM_ADV_PIN, 5, 0, ENODEV },
		{ "unknown preferred", 0, L, GMEM_ADV_PREFERRED, 6, 0, ENODEV },
	};

	setup();
	open_sim(0);
	a = map_pat(L, 30);
	GT_ASSERT(gmt_sim_fill(sfd[0], a, BS, 0x31) == 0, "fill");	/* on dev0 */
	used = hbm_used(0);
	GT_ASSERT(used >= 1, "nothing on dev0");
	s0 = ostats(a);
	GT_ASSERT(ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &g0) == 0, "global stats");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gmem_advise adv = {
			.addr = (uintptr_t)a + bad[i].off, .len = bad[i].len,
			.advice = bad[i].advice, .dev = bad[i].dev, .flags = bad[i].flags,
		};

		errno = 0;
		GT_EXPECT(ioctl(gfd, GMEM_IOC_ADVISE, &adv) == -1 && errno == bad[i].err,
			  "%s: errno %d, want %d", bad[i].what, errno, bad[i].err);
	}
	GT_EXPECT(gmt_advise(gfd, (void *)4096, 4096, GMEM_ADV_WILLNEED, 0, 0) == -EINVAL,
		  "not a gmem mapping");
	GT_EXPECT(ioctl(gfd, GMEM_IOC_ADVISE, (void *)8) == -1 && errno == EFAULT, "bad pointer");
	s = ostats(a);
	GT_ASSERT(ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &g) == 0, "global stats");
	GT_EXPECT(!memcmp(&s, &s0, sizeof(s)), "object statistics changed");
	GT_EXPECT(!memcmp(&g, &g0, sizeof(g)), "global statistics changed");
	GT_EXPECT(hbm_used(0) == used, "HBM use changed");
	GT_ASSERT(a[0] == 0x31 && a[BS / 4 - 1] == 0x31, "device data lost");
	for (i = 0; i < BS / 4; i++)
		GT_ASSERT(a[BS / 4 + i] == gmt_pat(30, BS / 4 + i), "data changed at %u", i);
	munmap(a, L);
	teardown();
}

GT_MAIN()
