// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_dos (issue 12, items 4-6): no unprivileged user can deny
 * memory to others. Every unprivileged part runs as uid 65534 beside a root
 * bystander (test_reliability_hostile.h) that must survive with all its
 * device jobs and data right; anything else counts in unpriv_dos.
 *   - Pins are accounted like RLIMIT_MEMLOCK: as 65534 with a 2-block
 *     limit, a pin within it succeeds and one beyond it fails with ENOMEM;
 *     root (CAP_IPC_LOCK) pins past RLIMIT_MEMLOCK up to HBM (beyond: ENOSPC).
 *     A block pinned on device 0 stays there when device 1 touches it
 *     (device 1's job succeeds or gets -EBUSY).
 *   - Kernel memory is charged: as 65534 in a cgroup with memory.max=32M,
 *     eight 1 TiB mappings (2 MiB blocks) fail cleanly or succeed without
 *     the machine's available memory dropping by more than the limit; 40
 *     unreaped TRACE jobs of 2^20 records each are bounded by a 64M cgroup
 *     the same way; a device FILL of 512 MiB in a 96M cgroup ends with the
 *     process OOM-killed or its job failing with ENOMEM.
 */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <sys/resource.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"
#include "test_reliability_cg.h"
#include "test_reliability_hostile.h"

#define BS	REL_BS
#define BIG_BS	(2 * GMT_MiB)
#define SLACK	(32 * GMT_MiB)		/* per-test allowance outside a cgroup limit */

static void memlock(uint64_t bytes)
{
	struct rlimit rl = { bytes, bytes };

	GT_ASSERT(setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "RLIMIT_MEMLOCK: %s", strerror(errno));
}

static int pin(int gfd, void *p, size_t len, unsigned int sim)
{
	return gmt_advise(gfd, p, len, GMEM_ADV_PIN, gmt_sim_gmem_id(sim), 0);
}

/* ------------------------------------------------------------------ pins */

/* As 65534 with RLIMIT_MEMLOCK of 2 blocks: 1 block pins, more do not. */
static int pin_hog(void *arg)
{
	int gfd = gmt_open_gmem(), ret, bad = 0;
	size_t nb = REL_HBM_BLOCKS, b;
	uint8_t *m;

	(void)arg;
	memlock(2 * BS);
	m = gfd >= 0 ? gmt_map(gfd, nb * BS) : NULL;
	if (!m)
		return 2;
	memset(m, 1, nb * BS);
	ret = pin(gfd, m, BS, 0);
	if (ret) {
		gt_log("nobody: a pin within RLIMIT_MEMLOCK failed: %d", ret);
		bad |= 4;
	}
	ret = pin(gfd, m + BS, 4 * BS, 0);
	if (ret != -ENOMEM) {
		gt_log("nobody: a pin of 5 blocks with RLIMIT_MEMLOCK of 2: %d, want -ENOMEM", ret);
		bad |= 8;
	}
	/* The rest of device 0's HBM, block by block: beyond the budget from the 2nd. */
	for (b = 1; b < nb; b++) {
		ret = pin(gfd, m + b * BS, BS, 0);
		if (b >= 2 && ret != -ENOMEM) {
			if (!(bad & 16))
				gt_log("nobody: pin of block %zu: %d, want -ENOMEM", b, ret);
			bad |= 16;
		}
	}
	usleep(1500 * 1000);	/* hold whatever was pinned while root works */
	return bad;
}

GT_TEST(unprivileged_pins_are_bounded_by_memlock)
{
	struct rel_byst by;
	int st;

	rel_setup();
	rel_byst_start(&by, "nobody pinning HBM");
	usleep(200 * 1000);
	st = rel_as_nobody(pin_hog, NULL);
	GT_EXPECT(st == 0, "the unprivileged pinner: status %d", st);
	if (st)
		rel_add(unpriv_dos, 1);
	GT_EXPECT(rel_byst_stop(&by), "root bystander hurt by nobody's pins");
	rel_add(ops, 1);
	rel_no_leak();
}

GT_TEST(root_pins_beyond_memlock_up_to_hbm)
{
	int gfd, ret, wst;
	size_t nb = REL_HBM_BLOCKS + 4;
	uint8_t *m;
	pid_t pid;

	rel_setup();
	fflush(stdout);
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		gt_failed_here = 0;
		memlock(2 * BS);
		gfd = gmt_open_gmem();
		m = gfd >= 0 ? gmt_map(gfd, nb * BS) : NULL;
		GT_ASSERT(m, "map");
		memset(m, 2, nb * BS);
		ret = pin(gfd, m, 8 * BS, 0);
		GT_EXPECT(ret == 0, "root (CAP_IPC_LOCK): pin of 8 blocks over RLIMIT_MEMLOCK of 2: %d",
			  ret);
		ret = pin(gfd, m + 8 * BS, (nb - 8) * BS, 0);
		GT_EXPECT(ret == -ENOSPC, "root: pin beyond HBM: %d, want -ENOSPC", ret);
		_exit(gt_failed_here);
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	GT_EXPECT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "root pinner: %#x", wst);
	rel_no_leak();
}

static uint64_t dev_resident(int gfd, unsigned int sim)
{
	struct gmem_dev_info di;

	GT_ASSERT(gmt_dev_info(gfd, gmt_sim_gmem_id(sim), &di) == 0, "dev info");
	return di.stats.resident_dev;
}

GT_TEST(pinned_block_stays_on_its_device)
{
	int gfd, s1, ret, i;
	uint64_t sum = 0, on0, on1;
	uint32_t *m;

	rel_setup();
	gfd = gmt_open_gmem();
	s1 = gmt_sim_open(1);
	GT_ASSERT(gfd >= 0 && s1 >= 0, "open");
	m = gmt_map(gfd, 2 * BS);
	GT_ASSERT(m, "map");
	gmt_fill_pat(m, 2 * BS / 4, 5);
	GT_ASSERT(pin(gfd, m, 2 * BS, 0) == 0, "pin on device 0");
	GT_ASSERT(dev_resident(gfd, 0) == 2, "pinned blocks are not on device 0");
	for (i = 0; i < 2; i++) {
		ret = i ? gmt_sim_fill(s1, m, 2 * BS, 9) : gmt_sim_reduce(s1, m, 2 * BS, &sum);
		GT_EXPECT(ret == 0 || ret == -EBUSY, "device 1 %s of pinned blocks: %d",
			  i ? "write" : "read", ret);
		on0 = dev_resident(gfd, 0);
		on1 = dev_resident(gfd, 1);
		gt_log("after device 1's %s (%d): %llu blocks on device 0, %llu on device 1",
		       i ? "write" : "read", ret, (unsigned long long)on0, (unsigned long long)on1);
		GT_EXPECT(on0 == 2 && on1 == 0, "the pinned blocks left device 0");
		if (!i && !ret)
			GT_EXPECT(sum == gmt_sum32(m, 2 * BS / 4), "device 1 read wrong data");
	}
	munmap(m, 2 * BS);
	close(s1);
	close(gfd);
	rel_no_leak();
}

/* ------------------------------------------------------------- accounting */

struct hog {
	struct cg c;
	int (*fn)(void *);
	void *arg;
	int go[2], ready[2];	/* parent -> hog: exit now; hog -> parent: holding */
};

/* In the hog (cgroup, then uid 65534): run, say it holds, wait to be told to exit. */
static int hog_main(struct hog *h)
{
	int ret;
	char x;

	cg_enter(&h->c);
	rel_become_nobody();
	ret = h->fn(h->arg);
	if (write(h->ready[1], &ret, sizeof(ret)) != sizeof(ret))
		return 99;
	if (read(h->go[0], &x, 1) < 0)
		return 98;
	return ret;
}

/*
 * Run @fn as 65534 in a cgroup of @max bytes beside a root bystander and
 * check the machine lost at most @max + SLACK of available memory while
 * the hog held what it got. Returns the hog's exit status, or 128 + signal.
 */
static int hog_run(const char *name, uint64_t max, int (*fn)(void *), void *arg)
{
	struct rel_byst by;
	struct hog h = { .fn = fn, .arg = arg };
	uint64_t avail0, avail1, drop;
	int wst, ret = -1;
	pid_t pid;

	cg_create(&h.c, name, max);
	rel_byst_start(&by, name);
	GT_ASSERT(pipe(h.go) == 0 && pipe(h.ready) == 0, "pipe");
	avail0 = rel_kb("/proc/meminfo", "MemAvailable");
	rel_kmsg("gmem-vmtest: expect-splat begin (memcg OOM of an unprivileged hog)\n");
	fflush(stdout);
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		close(h.go[1]);
		close(h.ready[0]);
		_exit(hog_main(&h));
	}
	close(h.go[0]);
	close(h.ready[1]);
	if (read(h.ready[0], &ret, sizeof(ret)) == sizeof(ret)) {
		avail1 = rel_kb("/proc/meminfo", "MemAvailable");
		drop = avail0 > avail1 ? (avail0 - avail1) << 10 : 0;
		gt_log("%s: the hog holds its memory: MemAvailable dropped %llu MiB, "
		       "memory.current %llu MiB (memory.max %llu MiB)", name,
		       (unsigned long long)(drop >> 20),
		       (unsigned long long)(cg_u64(&h.c, "memory.current") >> 20),
		       (unsigned long long)(max >> 20));
		if (drop > max + SLACK) {
			gt_log("%s: %llu MiB of memory outside the cgroup's limit", name,
			       (unsigned long long)((drop - max) >> 20));
			rel_add(unpriv_dos, 1);
			gt_failed_here = 1;
		}
	}
	close(h.go[1]);
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	rel_kmsg("gmem-vmtest: expect-splat end\n");
	close(h.ready[0]);
	gt_log("%s: hog %s %d, oom_kill %llu", name, WIFEXITED(wst) ? "exit" : "signal",
	       WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst),
	       (unsigned long long)cg_key(&h.c, "memory.events", "oom_kill"));
	GT_EXPECT(rel_byst_stop(&by), "%s: the root bystander did not survive", name);
	if (WIFSIGNALED(wst))
		GT_EXPECT(WTERMSIG(wst) == SIGKILL && cg_key(&h.c, "memory.events", "oom_kill"),
			  "%s: hog killed by signal %d, not by the OOM killer", name, WTERMSIG(wst));
	cg_destroy(&h.c);
	rel_add(ops, 1);
	return WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
}

/*
 * One accounting case: modules with @bs-byte blocks, @fn as the hog in a
 * cgroup of @max_mb MiB; it must end normally or be OOM-killed.
 */
static void hog_case(const char *name, uint64_t bs, uint64_t max_mb, int (*fn)(void *))
{
	int st;

	if (bs == REL_BS)
		rel_setup();
	else
		GT_ASSERT(gmt_setup(bs, 64, 2) == 0, "reload with %llu KiB blocks",
			  (unsigned long long)bs >> 10);
	st = hog_run(name, max_mb * GMT_MiB, fn, NULL);
	GT_EXPECT(st == 0 || st == 128 + SIGKILL, "%s: hog status %d", name, st);
	rel_no_leak();
}

/* Eight 1 TiB mappings: each maps or fails with a clear errno. */
static int terabytes(void *arg)
{
	int gfd = gmt_open_gmem(), i, bad = 0, ok = 0;
	void *p;

	(void)arg;
	if (gfd < 0)
		return 2;
	for (i = 0; i < 8; i++) {
		p = mmap(NULL, 1ULL << 40, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);
		if (p != MAP_FAILED)
			ok++;
		else if (errno != ENOMEM && errno != EINVAL && errno != EFBIG) {
			gt_log("1 TiB mmap: %s", strerror(errno));
			bad = 3;
		}
	}
	gt_log("nobody: %d of 8 mappings of 1 TiB succeeded", ok);
	return bad;
}

GT_TEST(terabyte_mappings_are_charged)
{
	hog_case("gmem-rel-tib", BIG_BS, 32, terabytes);
}

/* 40 TRACE jobs of 2^20 records each, never reaped (they fail at once: no gmem there). */
static int unreaped(void *arg)
{
	const size_t n = 1 << 20;
	struct gmem_sim_access *rec = malloc(n * sizeof(*rec));
	int sfd = gmt_sim_open(0), i, ret = 0;
	uint64_t seq;
	size_t k;

	(void)arg;
	if (!rec || sfd < 0)
		return 2;
	for (k = 0; k < n; k++)
		rec[k] = (struct gmem_sim_access){ 4096, 4, 0 };
	for (i = 0; i < 40; i++) {
		ret = gmt_sim_launch(sfd, GMEM_SIM_TRACE, 0, rec, NULL, n, 0, &seq);
		if (ret)
			break;
	}
	gt_log("nobody: %d TRACE jobs of 2^20 records queued%s%s", i, ret ? ", then " : "",
	       ret ? strerror(-ret) : "");
	return ret && ret != -ENOMEM && ret != -EAGAIN ? 3 : 0;
}

GT_TEST(unreaped_jobs_are_charged)
{
	hog_case("gmem-rel-jobs", REL_BS, 64, unreaped);
}

/* A device FILL over 512 MiB of gmem. */
static int big_fill(void *arg)
{
	const size_t len = 512 * GMT_MiB;
	int gfd = gmt_open_gmem(), sfd = gmt_sim_open(0), ret;
	void *p = gfd >= 0 ? gmt_map(gfd, len) : NULL;

	(void)arg;
	if (!p || sfd < 0)
		return 2;
	ret = gmt_sim_fill(sfd, p, len, 0x4040);
	gt_log("nobody: device FILL of 512 MiB: %d", ret);
	return ret == 0 || ret == -ENOMEM ? 0 : 3;
}

GT_TEST(device_fill_beyond_memory_limit)
{
	hog_case("gmem-rel-fill", BIG_BS, 96, big_fill);
}

GT_TEST(summary)
{
	rel_hostile_summary();
	GT_ASSERT(rel_get(ops) > 0, "nothing was checked");
}

GT_MAIN()
