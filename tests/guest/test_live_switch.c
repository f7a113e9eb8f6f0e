// SPDX-License-Identifier: GPL-2.0
/*
 * test_live_switch: gmem_policy_replace() (BPF_LINK_UPDATE) swaps the policy
 * in charge with no moment where the built-in policy decides, under a
 * content-checked workload that keeps both simulated devices short of HBM
 * (so every moment has faults and evictions to decide).
 *
 * The measure is struct gmem_policy_status.unattended: decisions the
 * built-in made with no BPF policy in charge, counted from the first attach
 * on. 100 replaces must leave it still; the same loop done the naive way
 * (detach, then load and attach the next policy) must move it, which shows
 * that the check can fail. LIVE_SWITCH_BY_UNLOAD=1 runs the replace test
 * itself the naive way (it then fails: how the test was checked; with
 * LIVE_SWITCH_N=10 replaces, since 100 loads take longer than the timeout).
 */
#include <pthread.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmempolicy.h"
#include "test_reliability.h"
#include "test_reliability_wl.h"

#define POL_A		"/gmem/bpf/lru_cold.bpf.o"
#define POL_B		"/gmem/bpf/example_fifo.bpf.o"
#define NR_REPLACES	100
#define NR_GAPS		10
#define WL_BLOCKS	(REL_HBM_BLOCKS * REL_NR_DEV * 2)	/* twice the HBM */

static struct gmem_policy_status pstatus(void)
{
	struct gmem_policy_status st;
	int err = gmem_policy_status(&st);

	GT_ASSERT(!err, "policy status: %s", strerror(-err));
	return st;
}

static struct gmem_policy *open_loaded(const char *path)
{
	struct gmem_policy *p;
	int err = gmem_policy_open(path, &p);

	GT_ASSERT(!err, "open %s: %s", path, strerror(-err));
	err = gmem_policy_load(p);
	GT_ASSERT(!err, "load %s: %s\n%s", path, strerror(-err), gmem_policy_messages(p));
	return p;
}

static void attach(struct gmem_policy *p)
{
	int err = gmem_policy_attach(p);

	GT_ASSERT(!err, "attach %s: %s", gmem_policy_name(p), strerror(-err));
}

/* Let the workload make progress: at least @n more steps. */
static void wl_progress(struct wl *w, unsigned long n)
{
	unsigned long until = atomic_load(&w->ops) + n;
	double t0 = gmt_now();

	while (atomic_load(&w->ops) < until && gmt_now() - t0 < 20)
		usleep(1000);
	GT_ASSERT(atomic_load(&w->ops) >= until, "workload stalled at %lu steps",
		  atomic_load(&w->ops));
}

static bool by_unload(void)
{
	return rel_env_ul("LIVE_SWITCH_BY_UNLOAD", 0) != 0;
}

/*
 * The naive switch: detach @cur (close it), then load and attach a fresh
 * @path. Returns the new policy.
 */
static struct gmem_policy *switch_by_unload(struct gmem_policy *cur, const char *path)
{
	struct gmem_policy *p;

	gmem_policy_close(cur);
	p = open_loaded(path);
	attach(p);
	return p;
}

/* No policy attached yet: the built-in's decisions are not "unattended". */
GT_TEST(unattended_counts_after_first_attach)
{
	struct gmem_policy *a;
	struct wl w;
	int gfd;

	rel_setup();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem");
	wl_start(&w, gfd, WL_BLOCKS, 0x11);
	wl_progress(&w, 200);
	GT_EXPECT(pstatus().unattended == 0, "unattended %llu before any attach",
		  (unsigned long long)pstatus().unattended);
	a = open_loaded(POL_A);
	attach(a);
	wl_progress(&w, 100);
	GT_EXPECT(pstatus().unattended == 0, "unattended %llu while %s is in charge",
		  (unsigned long long)pstatus().unattended, gmem_policy_name(a));
	gmem_policy_close(a);
	wl_progress(&w, 200);
	GT_EXPECT(pstatus().unattended > 0, "built-in decisions after the detach not counted");
	GT_EXPECT(wl_finish(&w, "first attach"), "workload errors or differences");
	close(gfd);
	rel_no_leak();
}

/* 100 live replaces A <-> B under the workload: no unattended decision, no difference. */
GT_TEST(replace_100_no_gap)
{
	struct gmem_policy *cur, *next, *tmp;
	struct gmem_policy_status st0, st;
	unsigned long ops0;
	double t0;
	int gfd, i, err, n = rel_env_ul("LIVE_SWITCH_N", NR_REPLACES);

	rel_setup();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem");
	cur = open_loaded(POL_A);
	next = open_loaded(POL_B);
	attach(cur);
	{
		struct wl w;

		wl_start(&w, gfd, WL_BLOCKS, 0x22);
		wl_progress(&w, 100);
		st0 = pstatus();
		ops0 = atomic_load(&w.ops);
		t0 = gmt_now();
		for (i = 0; i < n; i++) {
			if (by_unload()) {
				cur = switch_by_unload(cur, i % 2 ? POL_A : POL_B);
			} else {
				err = gmem_policy_replace(next, cur);
				GT_ASSERT(!err, "replace %d: %s", i, strerror(-err));
				tmp = cur;
				cur = next;
				next = tmp;
			}
			st = pstatus();
			GT_ASSERT(st.active, "replace %d: no policy in charge", i);
			GT_ASSERT(st.loads == st0.loads + i + 1, "replace %d: loads %llu", i,
				  (unsigned long long)st.loads);
			if (i % 10 == 9)
				wl_progress(&w, 20);
		}
		st = pstatus();
		gt_log("%d replaces in %.1f s: %llu -> %llu unattended decisions, %lu workload "
		       "steps meanwhile", n, gmt_now() - t0, (unsigned long long)st0.unattended,
		       (unsigned long long)st.unattended, atomic_load(&w.ops) - ops0);
		GT_EXPECT(st.unattended == st0.unattended,
			  "%llu decisions made by the built-in during the replaces",
			  (unsigned long long)(st.unattended - st0.unattended));
		GT_EXPECT(st.ejections == st0.ejections, "%llu ejections",
			  (unsigned long long)(st.ejections - st0.ejections));
		if (!by_unload())
			GT_EXPECT(strstr(st.last_exit.msg, "replaced by"),
				  "last exit record: '%s'", st.last_exit.msg);
		GT_EXPECT(wl_finish(&w, "100 replaces"), "workload errors or differences");
	}
	gmem_policy_close(cur);
	gmem_policy_close(next);
	GT_EXPECT(!pstatus().active, "a policy is still in charge after closing both");
	close(gfd);
	rel_no_leak();
}

/* The check above can fail: switching by detach + load leaves gaps it counts. */
GT_TEST(unload_then_load_is_counted)
{
	struct gmem_policy *cur;
	struct gmem_policy_status st0, st;
	struct wl w;
	int gfd, i;

	rel_setup();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem");
	cur = open_loaded(POL_A);
	attach(cur);
	wl_start(&w, gfd, WL_BLOCKS, 0x33);
	wl_progress(&w, 100);
	st0 = pstatus();
	for (i = 0; i < NR_GAPS; i++)
		cur = switch_by_unload(cur, i % 2 ? POL_A : POL_B);
	st = pstatus();
	gt_log("%d unload+load switches: %llu unattended decisions", NR_GAPS,
	       (unsigned long long)(st.unattended - st0.unattended));
	GT_EXPECT(st.unattended > st0.unattended, "the gaps were not counted");
	GT_EXPECT(wl_finish(&w, "unload+load"), "workload errors or differences");
	gmem_policy_close(cur);
	close(gfd);
	rel_no_leak();
}

/* Bad input changes nothing: the policy in charge stays. */
GT_TEST(replace_bad_input)
{
	struct gmem_policy *a, *b;
	struct gmem_policy_status st;
	uint64_t loads0;
	int gfd;

	rel_setup();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem");
	a = open_loaded(POL_A);
	b = open_loaded(POL_B);
	loads0 = pstatus().loads;
	/* Nothing pinned, nothing held: nothing to replace. */
	GT_EXPECT(gmem_policy_replace(b, NULL) == -ENOENT, "replace with nothing pinned");
	GT_EXPECT(gmem_policy_replace(b, a) == -EINVAL, "replace of an unattached policy");
	GT_EXPECT(!pstatus().active, "something got attached");
	attach(a);
	GT_EXPECT(gmem_policy_replace(a, a) == -EINVAL, "replace by itself");
	GT_EXPECT(gmem_policy_replace(a, b) == -EINVAL, "replace by an attached policy");
	GT_EXPECT(gmem_policy_replace(NULL, a) == -EINVAL, "replace by NULL");
	st = pstatus();
	GT_EXPECT(st.active && !strcmp(st.name, "lru_cold"), "policy in charge: '%s'", st.name);
	GT_EXPECT(st.loads == loads0 + 1, "loads %llu, %llu before",
		  (unsigned long long)st.loads, (unsigned long long)loads0);
	gmem_policy_close(b);
	gmem_policy_close(a);
	close(gfd);
	rel_no_leak();
}

GT_MAIN()
