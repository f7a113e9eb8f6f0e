// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_edges (issue 12, smaller items):
 *   - the last, partial block of a mapping (one page of a 2 MiB block):
 *     device accesses past vm_end end with -EFAULT and write nothing;
 *   - a FILL of 2^62 bytes from a valid address fails before it writes
 *     anything (the whole range is validated first);
 *   - object ids are reused: 5000 mmap/munmap cycles keep them below 1000;
 *   - GLOBAL_STATS and DEV_INFO for uid 65534 (documented: unprivileged
 *     users see device-wide counters) answer, beside a root bystander.
 * A device write that got past the mapping counts in prot_violations.
 */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"
#include "test_reliability_hostile.h"

static void must_fault(int ret, const char *what)
{
	rel_add(ops, 1);
	if (ret == -EFAULT)
		return;
	rel_add(prot_violations, 1);
	gt_log("%s: %d, want -EFAULT", what, ret);
	gt_failed_here = 1;
}

GT_TEST(device_access_past_vm_end_in_partial_block)
{
	const size_t page = 4096;
	int gfd, sfd, d;
	uint32_t *m;
	uint64_t r;
	struct gmem_sim_access rec;

	GT_ASSERT(gmt_setup(2 * GMT_MiB, 64, 2) == 0, "reload with 2 MiB blocks");
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	m = gmt_map(gfd, page);
	GT_ASSERT(m, "map one page");
	gmt_fill_pat(m, page / 4, 3);
	for (d = 0; d < 2; d++) {
		sfd = gmt_sim_open(d);
		GT_ASSERT(sfd >= 0, "open sim");
		must_fault(gmt_sim_fill(sfd, (uint8_t *)m + page, page, 0xbad),
			   "FILL of the page after the mapping");
		must_fault(gmt_sim_fill(sfd, m, 2 * page, 0xbad), "FILL across vm_end");
		must_fault(gmt_sim_reduce(sfd, (uint8_t *)m + page, page, &r),
			   "REDUCE past vm_end");
		rec = (struct gmem_sim_access){ (uintptr_t)m + page + 64, 64, 1 };
		must_fault(gmt_sim_run(sfd, GMEM_SIM_TRACE, &rec, NULL, 1, 0, NULL),
			   "TRACE write past vm_end");
		rec.write = 0;
		must_fault(gmt_sim_run(sfd, GMEM_SIM_TRACE, &rec, NULL, 1, 0, NULL),
			   "TRACE read past vm_end");
		/* What is inside the mapping is unchanged and still reachable. */
		GT_EXPECT(gmt_check_pat(m, page / 4, 3) < 0, "the page changed: a refused FILL wrote");
		GT_EXPECT(gmt_sim_checksum(sfd, m, page, &r) == 0 &&
			  r == gmt_fnv1a(m, page, GMT_FNV_BASIS), "device %d: the page reads wrong", d);
		close(sfd);
	}
	munmap(m, page);
	close(gfd);
	rel_no_leak();
}

GT_TEST(huge_fill_fails_before_writing)
{
	const size_t len = 4 * REL_BS;
	int gfd, sfd, ret;
	uint32_t *m;
	long bad;

	rel_setup();
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	m = gmt_map(gfd, len);
	GT_ASSERT(m, "map");
	gmt_fill_pat(m, len / 4, 9);
	ret = gmt_sim_fill(sfd, m, 1ULL << 62, 0xbad);
	gt_log("FILL of 2^62 bytes: %d (%s)", ret, ret ? strerror(-ret) : "ok");
	GT_EXPECT(ret < 0, "a FILL of 2^62 bytes succeeded");
	bad = gmt_check_pat(m, len / 4, 9);
	if (bad >= 0) {
		rel_add(prot_violations, 1);
		GT_EXPECT(0, "the failed FILL wrote first: word %ld is %#x", bad, m[bad]);
	}
	rel_add(ops, 1);
	munmap(m, len);
	close(sfd);
	close(gfd);
	rel_no_leak();
}

GT_TEST(object_ids_are_reused)
{
	unsigned int i, n = 5000;
	struct gmem_obj_info oi;
	uint32_t max = 0;
	int gfd;
	void *m;

	rel_setup();
	/* Ids are cyclic (like pids) up to this limit, then reused. */
	GT_ASSERT(rel_core_param("max_object_id", "999") == 0,
		  "set gmem.max_object_id");
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	for (i = 0; i < n; i++) {
		m = gmt_map(gfd, 4096);
		GT_ASSERT(m, "map %u: %s", i, strerror(errno));
		GT_ASSERT(gmt_obj_info(gfd, m, &oi) == 0, "obj info");
		if (oi.id > max)
			max = oi.id;
		munmap(m, 4096);
	}
	gt_log("%u mmap/munmap cycles: highest object id %u", n, max);
	GT_EXPECT(max < 1000, "object ids are not reused (highest %u after %u cycles)", max, n);
	rel_core_param("max_object_id", "4294967295");
	rel_add(ops, 1);
	close(gfd);
	rel_no_leak();
}

static int stats_as_nobody(void *arg)
{
	int gfd = gmt_open_gmem(), d, bad = 0, ret;
	struct gmem_policy_status ps;
	struct gmem_dev_info di;
	struct gmem_stats st;
	uint32_t n = 0;

	(void)arg;
	if (gfd < 0)
		return 2;
	if (ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &st)) {
		gt_log("nobody: GLOBAL_STATS: %s", strerror(errno));
		bad |= 4;
	}
	if (ioctl(gfd, GMEM_IOC_NR_DEVICES, &n) || n < 2) {
		gt_log("nobody: NR_DEVICES: %s, %u", strerror(errno), n);
		bad |= 8;
	}
	for (d = 0; d < (int)n; d++) {
		ret = gmt_dev_info(gfd, gmt_sim_gmem_id(d), &di);
		if (ret) {
			gt_log("nobody: DEV_INFO %d: %d", d, ret);
			bad |= 16;
		}
	}
	if (ioctl(gfd, GMEM_IOC_POLICY_STATUS, &ps)) {
		gt_log("nobody: POLICY_STATUS: %s", strerror(errno));
		bad |= 32;
	}
	close(gfd);
	return bad;
}

GT_TEST(device_wide_counters_for_unprivileged_users)
{
	struct rel_byst by;
	int st;

	rel_setup();
	rel_byst_start(&by, "nobody reading counters");
	st = rel_as_nobody(stats_as_nobody, NULL);
	GT_EXPECT(st == 0, "nobody's counter reads: status %d", st);
	GT_EXPECT(rel_byst_stop(&by), "the root bystander did not survive");
	rel_add(ops, 1);
	rel_no_leak();
}

GT_TEST(summary)
{
	rel_hostile_summary();
	GT_ASSERT(rel_get(ops) > 0, "nothing was checked");
}

GT_MAIN()
