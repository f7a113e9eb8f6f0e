/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core_test.h: what the single-device core tests (test_core_async,
 * test_core_both, test_core_clean) share: /dev/gmem, sim0 and its gmem
 * device id in gfd, sfd and devid, and the checks they make in blocks of
 * BS bytes (defined by the test before including this). Expected values
 * come from the pattern, never from reading gmem memory, which would move
 * the blocks the test observes.
 */
#ifndef GMEM_CORE_TEST_H
#define GMEM_CORE_TEST_H

#include "gtest.h"
#include "gmem_test_util.h"

#define U(x)		((unsigned long long)(x))

static int gfd, sfd = -1, devid;

/* Open /dev/gmem and sim0 once the modules are loaded as the test wants. */
static inline void core_open(void)
{
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem");
	sfd = gmt_sim_open(0);
	GT_ASSERT(sfd >= 0, "open sim0");
	devid = gmt_sim_gmem_id(0);
	GT_ASSERT(devid >= 0, "gmem id of sim0");
}

static inline void core_close(void)
{
	if (sfd >= 0)
		close(sfd);
	sfd = -1;
	close(gfd);
	GMT_ASSERT_NO_LEAK();
}

static inline struct gmem_stats ostats(const void *p)
{
	struct gmem_obj_info oi;

	GT_ASSERT(gmt_obj_info(gfd, p, &oi) == 0, "obj info");
	return oi.stats;
}

/* A mapping of @nb blocks holding pattern @seed, written by the CPU. */
static inline uint32_t *map_pat(size_t nb, uint32_t seed)
{
	uint32_t *p = gmt_map_pat(gfd, nb * BS, seed);

	GT_ASSERT(p, "mmap: %s", strerror(errno));
	return p;
}

/* Sum of pattern @seed over blocks [@first, @first + @nb) of a mapping. */
static inline uint64_t pat_sum_at(size_t first, size_t nb, uint32_t seed)
{
	return gmt_pat_sum(seed, first * BS / 4, nb * BS / 4);
}

static inline uint64_t pat_sum(size_t nb, uint32_t seed)
{
	return pat_sum_at(0, nb, seed);
}

/* sim0 sums @nb blocks at @p: must be @want. */
static inline void expect_reduce(const void *p, size_t nb, uint64_t want)
{
	uint64_t sum = 0;

	GT_ASSERT(gmt_sim_reduce(sfd, p, nb * BS, &sum) == 0, "reduce");
	GT_EXPECT(sum == want, "device sum %llx, want %llx", U(sum), U(want));
}

#endif /* GMEM_CORE_TEST_H */
