// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_pressure: running short of memory, on the device and on
 * the host, while both devices and the CPU work on data with a shadow copy
 * (test_reliability_wl.h):
 *   - HBM allocation failures injected through gmem_sim's fail_alloc_every
 *     (every allocation, then every 2nd, 3rd, 7th): a job fails with
 *     -ENOMEM before touching anything, or the core evicts once more and
 *     carries on; no HBM block leaks (the driver's bitmap and the core's
 *     count agree) and no data changes except by jobs that succeeded;
 *   - a cgroup v2 memory limit around a process using gmem memory: it
 *     completes, or it is OOM-killed (with device jobs in flight) and
 *     everything it held is freed, while another process's data stays.
 * Each scenario is one injection; it survived when all of that held.
 */
/* Long runs under GMEM_STRESS (make stress) need more than the default. */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <sys/stat.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"
#include "test_reliability_wl.h"
#include "test_reliability_cg.h"

#define FAIL_KNOB	REL_SIM_PARAM "fail_alloc_every"
#define MiB		GMT_MiB

static void injected(bool survived, const char *what)
{
	rel_add(injections, 1);
	rel_add(survived, survived ? 1 : 0);
	if (!survived)
		gt_log("did not survive: %s", what);
}

/* --------------------------------------------------------- HBM allocation */

static bool alloc_failures(int gfd, unsigned int every)
{
	char val[16], what[48];
	struct wl w;
	bool ok;

	snprintf(what, sizeof(what), "fail_alloc_every=%u", every);
	wl_start(&w, gfd, 4 * 2 * REL_HBM_BLOCKS, 30 + every);
	atomic_store(&w.allow_nomem, true);
	snprintf(val, sizeof(val), "%u", every);
	GT_ASSERT(gmt_write_str(FAIL_KNOB, val) == 0, "set %s", FAIL_KNOB);
	usleep(rel_scale(1500, 20) * 1000);
	wl_stop(&w);
	GT_ASSERT(gmt_write_str(FAIL_KNOB, "0") == 0, "reset %s", FAIL_KNOB);
	/* With every allocation failing, jobs on blocks not yet there must fail. */
	if (every == 1 && !atomic_load(&w.nomem))
		gt_log("%s: no job failed: the injection did not happen", what);
	ok = every != 1 || atomic_load(&w.nomem) > 0;
	ok = rel_check_counters(gfd, what) == 0 && ok;
	wl_verify(&w);
	ok = !atomic_load(&w.errors) && !atomic_load(&w.bad) && ok;
	gt_log("%s: %lu steps, %lu jobs failed with ENOMEM, %lu other errors, %lu differences",
	       what, atomic_load(&w.ops), atomic_load(&w.nomem), atomic_load(&w.errors),
	       atomic_load(&w.bad));
	rel_add(mismatches, atomic_load(&w.bad));
	wl_close(&w);
	return ok;
}

GT_TEST(hbm_allocation_failures)
{
	static const unsigned int every[] = { 1, 2, 3, 7 };
	unsigned int i;
	int gfd;

	rel_setup();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	for (i = 0; i < sizeof(every) / sizeof(every[0]); i++) {
		bool ok = alloc_failures(gfd, every[i]);

		injected(ok, "HBM allocation failures");
		GT_EXPECT(ok, "fail_alloc_every=%u", every[i]);
	}
	close(gfd);
	rel_no_leak();
}

/* More gmem memory than the limit: it is used, device-checked, read back. */
static int big_user(size_t len)
{
	int gfd = gmt_open_gmem(), s0 = gmt_sim_open(0), s1 = gmt_sim_open(1);
	uint32_t *p = gfd >= 0 ? gmt_map(gfd, len) : NULL;
	uint64_t sum0 = 0, sum1 = 0, want;

	if (!p || s0 < 0 || s1 < 0)
		return 2;
	gmt_fill_pat(p, len / 4, 41);
	want = gmt_sum32(p, len / 4);
	if (gmt_sim_reduce(s0, p, len, &sum0) || gmt_sim_reduce(s1, p, len, &sum1))
		return 3;
	if (sum0 != want || sum1 != want || gmt_check_pat(p, len / 4, 41) >= 0)
		return 4;
	return 0;
}

GT_TEST(memory_limit_completes_or_fails_cleanly)
{
	const size_t len = 32 * MiB;
	const uint64_t max = 16 * MiB;
	int gfd, wst;
	struct cg c;
	pid_t pid;
	bool ok;

	rel_setup();
	cg_create(&c, "gmem-rel-big", max);
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	/* gmem pages are charged, so the cgroup may OOM-kill: its report dumps a stack. */
	rel_kmsg("gmem-vmtest: expect-splat begin (memcg OOM of a test process)\n");
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		cg_enter(&c);
		_exit(big_user(len));
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	rel_kmsg("gmem-vmtest: expect-splat end\n");
	gt_log("%zu MiB of gmem under memory.max=%llu MiB: %s %d; memory.peak %llu KiB, oom_kill %llu",
	       len / MiB, (unsigned long long)max / MiB,
	       WIFEXITED(wst) ? "exit" : "signal", WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst),
	       (unsigned long long)cg_u64(&c, "memory.peak") >> 10,
	       (unsigned long long)cg_key(&c, "memory.events", "oom_kill"));
	/* gmem host pages are charged to the owner's cgroup (gm_blk_alloc_host()). */
	GT_EXPECT(cg_u64(&c, "memory.peak") >= max * 3 / 4,
		  "gmem host pages were not charged to the process's memory cgroup");
	/* Completed with the right data, or killed by the OOM killer: nothing else. */
	ok = (WIFEXITED(wst) && WEXITSTATUS(wst) == 0) ||
	     (WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL &&
	      cg_key(&c, "memory.events", "oom_kill") > 0);
	ok = rel_check_counters(gfd, "after the limited process") == 0 && ok;
	close(gfd);
	cg_destroy(&c);
	rel_no_leak();
	injected(ok, "memory limit");
	GT_EXPECT(ok, "the limited process neither completed nor was OOM-killed cleanly");
}

/* Device jobs in flight on gmem memory, then anonymous memory until the OOM killer comes. */
static void oom_victim(void)
{
	int gfd = gmt_open_gmem(), s0 = gmt_sim_open(0), s1 = gmt_sim_open(1), i;
	size_t len = 4 * REL_HBM_BLOCKS * REL_BS;
	uint8_t *p = gfd >= 0 ? gmt_map(gfd, len) : NULL, *hog;
	uint64_t seq;

	if (!p || s0 < 0 || s1 < 0)
		_exit(2);
	memset(p, 1, len);
	for (i = 0; i < 8; i++)
		gmt_sim_launch(i % 2 ? s1 : s0, i % 2 ? GMEM_SIM_FILL : GMEM_SIM_REDUCE, 0, p, NULL,
			       len, i, &seq);
	for (;;) {
		hog = malloc(MiB);
		if (!hog)
			_exit(5);
		memset(hog, 0x5a, MiB);
	}
}

GT_TEST(oom_kill_with_device_work_in_flight)
{
	uint64_t kills;
	int gfd, wst;
	struct cg c;
	struct wl w;
	pid_t pid;
	bool ok;

	rel_setup();
	cg_create(&c, "gmem-rel-oom", 24 * MiB);
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	wl_start(&w, gfd, 2 * REL_HBM_BLOCKS, 44);	/* outside the cgroup */
	/* The OOM report carries a stack dump: not a splat of ours. */
	rel_kmsg("gmem-vmtest: expect-splat begin (OOM kill of a test process)\n");
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		cg_enter(&c);
		oom_victim();
	}
	ok = waitpid(pid, &wst, 0) == pid;
	rel_kmsg("gmem-vmtest: expect-splat end\n");
	kills = cg_key(&c, "memory.events", "oom_kill");
	gt_log("victim: %s %d, oom_kill %llu, memory.peak %llu KiB",
	       WIFEXITED(wst) ? "exit" : "signal", WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst),
	       (unsigned long long)kills, (unsigned long long)cg_u64(&c, "memory.peak") >> 10);
	ok = ok && WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL && kills > 0;
	ok = wl_finish(&w, "beside the OOM kill") && ok;
	ok = rel_check_counters(gfd, "after the OOM kill") == 0 && ok;
	close(gfd);
	cg_destroy(&c);
	rel_no_leak();
	injected(ok, "OOM kill");
	GT_EXPECT(ok, "the OOM kill was not clean");
}

GT_TEST(summary)
{
	gt_log("reliability: fault_injections=%llu survived=%llu", rel_get(injections),
	       rel_get(survived));
	GT_ASSERT(rel_get(injections) > 0, "nothing was injected");
	GT_EXPECT(rel_get(survived) == rel_get(injections), "%llu of %llu survived",
		  rel_get(survived), rel_get(injections));
	GT_EXPECT(rel_get(mismatches) == 0, "%llu differences", rel_get(mismatches));
}

GT_MAIN()
