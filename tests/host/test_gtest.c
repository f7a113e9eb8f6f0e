// SPDX-License-Identifier: GPL-2.0
/*
 * test_gtest: the in-guest harness's per-test alarm (tests/guest/gtest.h)
 * scales with GT_TIMEOUT_SCALE (and by 4 on a debug kernel, which the host
 * is not: those cases skip if /proc/lockdep exists here).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#define GT_TIMEOUT_S	1
#include "../guest/gtest.h"

/* The harness's main() is not used here; Criterion's is. */
static int (*const gt_main_unused)(int, char **) __attribute__((unused)) = gt_main;

/* Outlives the 1 s alarm unless it is scaled. */
static void sleeps_2s(void)
{
	sleep(2);
}

static const struct gt_case slow = { "sleeps_2s", sleeps_2s };

/* gt_run_one() with its KTAP line discarded: "not ok" here is expected, not a failure. */
static int run_quietly(const struct gt_case *c)
{
	int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), ret;

	cr_assert(saved >= 0 && null >= 0);
	fflush(stdout);
	dup2(null, STDOUT_FILENO);
	ret = gt_run_one(1, c);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	return ret;
}

static void no_debug_kernel(void)
{
	if (access("/proc/lockdep", F_OK) == 0)
		cr_skip_test("/proc/lockdep exists: the default scale is 4 here");
}

Test(gtest, timeout_unscaled)
{
	no_debug_kernel();
	unsetenv("GT_TIMEOUT_SCALE");
	cr_assert_eq(gt_timeout_s(), 1);
	cr_assert_eq(run_quietly(&slow), 1, "a 2 s test must time out under a 1 s alarm");
}

Test(gtest, timeout_scaled_by_env)
{
	setenv("GT_TIMEOUT_SCALE", "4", 1);
	cr_assert_eq(gt_timeout_s(), 4);
	cr_assert_eq(run_quietly(&slow), 0, "GT_TIMEOUT_SCALE=4 gives it 4 s");
}

Test(gtest, bad_scale_is_ignored)
{
	no_debug_kernel();
	setenv("GT_TIMEOUT_SCALE", "0", 1);
	cr_assert_eq(gt_timeout_s(), 1);
	setenv("GT_TIMEOUT_SCALE", "4x", 1);
	cr_assert_eq(gt_timeout_s(), 1);
	setenv("GT_TIMEOUT_SCALE", "99999999999", 1);
	cr_assert_eq(gt_timeout_s(), UINT_MAX, "an overflowing scale saturates, not wraps");
}
