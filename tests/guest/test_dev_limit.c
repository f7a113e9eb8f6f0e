// SPDX-License-Identifier: GPL-2.0
/*
 * test_dev_limit: GMEM_IOC_DEV_LIMIT, a device's usable HBM.
 *
 * One device with 16 blocks of 64 KiB (gmem_bpf_test.h), built-in prefetch
 * off. A limit must be privileged, validated, refused below what is pinned,
 * evict down to it at once, and be the capacity everything sees: DEV_INFO,
 * the eviction threshold (faults) and bpf_gmem_dev_capacity().
 */
#include <grp.h>

#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"

#define NOBODY	65534

static int dev_limit(int gfd, uint32_t dev, uint64_t bytes, uint32_t flags,
		     struct gmem_dev_limit *out)
{
	struct gmem_dev_limit lim = { .id = dev, .flags = flags, .limit_bytes = bytes };
	int ret = ioctl(gfd, GMEM_IOC_DEV_LIMIT, &lim) ? -errno : 0;

	if (out)
		*out = lim;
	return ret;
}

/* env_open() keeps a loaded module: start each test on the whole device. */
static void open_env(struct env *e, size_t nr)
{
	env_open(e, nr);
	GT_ASSERT(dev_limit(e->gfd, e->dev, 0, 0, NULL) == 0, "lift the limit");
}

static void close_env(struct env *e)
{
	GT_ASSERT(dev_limit(e->gfd, e->dev, 0, 0, NULL) == 0, "lift the limit");
	env_close(e);
}

static struct gmem_dev_info dev_info(struct env *e)
{
	struct gmem_dev_info di;

	GT_ASSERT(gmt_dev_info(e->gfd, e->dev, &di) == 0, "dev info");
	return di;
}

GT_TEST(unprivileged_refused)
{
	struct env e;
	pid_t pid;
	int wst;

	open_env(&e, 4);
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(2);
		_exit(dev_limit(e.gfd, e.dev, 8 * BS, 0, NULL) == -EPERM ? 0 : 1);
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid && WIFEXITED(wst), "child");
	GT_EXPECT(WEXITSTATUS(wst) == 0, "unprivileged DEV_LIMIT not refused with EPERM (%d)",
		  WEXITSTATUS(wst));
	GT_EXPECT(dev_info(&e).hbm_bytes == HBM_BLOCKS * BS && !dev_info(&e).flags,
		  "limit changed");
	close_env(&e);
}

GT_TEST(bad_arguments_refused)
{
	struct env e;

	open_env(&e, 4);
	GT_EXPECT(dev_limit(e.gfd, e.dev, 8 * BS, 1, NULL) == -EINVAL, "flags");
	GT_EXPECT(dev_limit(e.gfd, e.dev, 8 * BS + 4096, 0, NULL) == -EINVAL, "not a block multiple");
	GT_EXPECT(dev_limit(e.gfd, e.dev, (HBM_BLOCKS + 1) * BS, 0, NULL) == -EINVAL,
		  "above the device");
	GT_EXPECT(dev_limit(e.gfd, GMEM_MAX_DEVICES - 1, 8 * BS, 0, NULL) == -ENODEV, "no device");
	GT_EXPECT(dev_info(&e).hbm_bytes == HBM_BLOCKS * BS, "a refused limit took effect");
	GT_EXPECT(dev_limit(e.gfd, e.dev, HBM_BLOCKS * BS, 0, NULL) == 0, "the whole device");
	close_env(&e);
}

/* 4 blocks pinned: a limit of 3 is EBUSY and changes nothing; 6 is fine. */
GT_TEST(below_pinned_is_busy)
{
	struct gmem_dev_limit lim;
	struct env e;

	open_env(&e, 8);
	GT_ASSERT(gmt_advise(e.gfd, e.mem, 4 * BS, GMEM_ADV_PIN, e.dev, 0) == 0, "pin 4");
	GT_EXPECT(dev_limit(e.gfd, e.dev, 3 * BS, 0, NULL) == -EBUSY, "below pinned");
	GT_EXPECT(dev_info(&e).hbm_bytes == HBM_BLOCKS * BS, "refused limit took effect");
	GT_EXPECT(dev_limit(e.gfd, e.dev, 6 * BS, 0, &lim) == 0 && lim.prev_bytes == 0 &&
		  lim.hbm_bytes == HBM_BLOCKS * BS, "limit above the pins");
	/*
	 * 4 unpinned blocks share the 2 unpinned ones, one access at a time
	 * (a window of four faults on two free blocks evicts its own batch).
	 */
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
	GT_EXPECT(sweep(&e, 4, 8) == 4, "faults");
	GT_EXPECT(dev_info(&e).hbm_used_bytes == 6 * BS, "used %llu",
		  (unsigned long long)dev_info(&e).hbm_used_bytes);
	GT_EXPECT(obj_stats(&e).evictions == 2, "evictions %llu",
		  (unsigned long long)obj_stats(&e).evictions);
	GT_EXPECT(gmt_advise(e.gfd, e.mem + 4 * BS, 3 * BS, GMEM_ADV_PIN, e.dev, 0) == -ENOSPC,
		  "pins beyond the limit");
	GT_ASSERT(gmt_advise(e.gfd, e.mem, 4 * BS, GMEM_ADV_UNPIN, e.dev, 0) == 0, "unpin");
	check_data(&e);
	close_env(&e);
}

/*
 * 16 blocks resident; a limit of 8 evicts 8 at once. Then a 12-block loop
 * read twice faults 12 + 12 times (it no longer fits), where the whole
 * device holds it after the first pass; lifting the limit restores that.
 */
GT_TEST(limit_evicts_and_is_the_capacity)
{
	struct gmem_dev_limit lim;
	struct gmem_dev_info di;
	struct env e;

	open_env(&e, 16);
	GT_ASSERT(sweep(&e, 0, 16) == 16, "fill");
	GT_ASSERT(dev_limit(e.gfd, e.dev, 8 * BS, 0, &lim) == 0, "limit 8");
	GT_EXPECT(lim.prev_bytes == 0 && lim.hbm_bytes == HBM_BLOCKS * BS, "prev %llu hbm %llu",
		  (unsigned long long)lim.prev_bytes, (unsigned long long)lim.hbm_bytes);
	di = dev_info(&e);
	GT_EXPECT(di.hbm_bytes == 8 * BS && di.hbm_used_bytes == 8 * BS &&
		  (di.flags & GMEM_DEV_F_LIMITED), "dev info: hbm %llu used %llu flags %u",
		  (unsigned long long)di.hbm_bytes, (unsigned long long)di.hbm_used_bytes, di.flags);
	GT_EXPECT(obj_stats(&e).evictions == 8, "evictions %llu",
		  (unsigned long long)obj_stats(&e).evictions);
	GT_EXPECT(sweep(&e, 0, 12) + sweep(&e, 0, 12) == 24, "12-block loop on 8 blocks");
	GT_EXPECT(dev_info(&e).hbm_used_bytes <= 8 * BS, "over the limit");
	GT_ASSERT(dev_limit(e.gfd, e.dev, 0, 0, &lim) == 0 && lim.prev_bytes == 8 * BS, "lift");
	di = dev_info(&e);
	GT_EXPECT(di.hbm_bytes == HBM_BLOCKS * BS && !di.flags, "lifted: hbm %llu flags %u",
		  (unsigned long long)di.hbm_bytes, di.flags);
	sweep(&e, 0, 12);
	GT_EXPECT(sweep(&e, 0, 12) == 0, "12-block loop on the whole device");
	check_data(&e);
	close_env(&e);
}

/* What a policy reads with bpf_gmem_dev_capacity() is the limit. */
GT_TEST(capacity_visible_to_bpf)
{
	struct env e;
	struct pol p;

	open_env(&e, 8);
	GT_ASSERT(dev_limit(e.gfd, e.dev, 5 * BS, 0, NULL) == 0, "limit 5");
	pol_start(&p, "error_exit");
	sweep(&e, 0, 1);
	GT_EXPECT(pol_bss(&p, "dev_capacity") == 5, "bpf_gmem_dev_capacity() = %lld",
		  (long long)pol_bss(&p, "dev_capacity"));
	pol_stop(&p);
	check_data(&e);
	close_env(&e);
}

GT_MAIN()
