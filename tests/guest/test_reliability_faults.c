// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_faults: faults injected while both devices and the CPU
 * keep working on data with a shadow copy (test_reliability_wl.h):
 *   - a broken policy is ejected in the middle of faults (it calls
 *     bpf_gmem_error(), stalls past the watchdog, or keeps making invalid
 *     decisions): the ejection has the right kind, no job fails, no data is
 *     lost, and the built-in policy carries on;
 *   - the policy loader is SIGKILLed at points spread over its whole run
 *     (while libbpf opens and the verifier checks, around the attach, while
 *     attached): the policy is never left in charge without its loader, and
 *     a new policy can attach afterwards;
 *   - processes with device jobs in flight on both devices are SIGKILLed,
 *     with a policy attached, while another process keeps its data there.
 * Each scenario is one injection; it survived when all of that held.
 */
/* Long runs under GMEM_STRESS (make stress) need more than the default. */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <sys/wait.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"
#include "test_reliability.h"
#include "test_reliability_wl.h"

#define WL_BLOCKS	(4 * 2 * REL_HBM_BLOCKS)	/* 4x both devices' HBM */

static void injected(bool survived, const char *what)
{
	rel_add(injections, 1);
	rel_add(survived, survived ? 1 : 0);
	if (!survived)
		gt_log("did not survive: %s", what);
}

/* Poll the policy status until @done(status) or @ms pass. */
static bool wait_status(int gfd, bool (*done)(const struct gmem_policy_status *), int ms)
{
	struct gmem_policy_status st;

	for (;;) {
		st = status(gfd);
		if (done(&st))
			return true;
		if (ms <= 0)
			return false;
		usleep(10000);
		ms -= 10;
	}
}

static bool inactive(const struct gmem_policy_status *st) { return !st->active; }
static bool active(const struct gmem_policy_status *st) { return st->active; }

/* ------------------------------------------------------- ejection mid-fault */

struct broken {
	const char *name;
	uint32_t kind;		/* enum gmem_exit_kind expected */
	const char *msg;	/* part of the exit message */
};

static const struct broken broken[] = {
	{ "error_exit", GMEM_EXIT_ERROR, "gave up at fault 3" },
	{ "stall", GMEM_EXIT_STALL, "still running after" },
	{ "bad_victims", GMEM_EXIT_INVALID, "invalid decisions" },
	{ "bad_prefetch", GMEM_EXIT_INVALID, "prefetch out of range" },
};

static void eject_one(const struct broken *b)
{
	struct gmem_policy_status st0, st;
	struct pol p;
	struct wl w;
	bool ok;
	int gfd = gmt_open_gmem();

	GT_ASSERT(gfd >= 0, "open");
	set_param(PARAM("max_rejects"), 8);
	set_param(PARAM("watchdog_ms"), 100);
	st0 = status(gfd);
	wl_start(&w, gfd, WL_BLOCKS, 21);
	usleep(100000);			/* faults are flowing */
	pol_start(&p, b->name);
	ok = wait_status(gfd, inactive, 10000);
	usleep(300000);			/* and keep flowing under the built-in policy */
	st = status(gfd);
	ok = wl_finish(&w, b->name) && ok;
	if (st.active || st.last_exit.kind != b->kind || strcmp(st.last_exit.policy, b->name) ||
	    !strstr(st.last_exit.msg, b->msg) || st.ejections != st0.ejections + 1) {
		gt_log("%s: active %u, last exit %s kind %u (want %u): %s", b->name, st.active,
		       st.last_exit.policy, st.last_exit.kind, b->kind, st.last_exit.msg);
		ok = false;
	}
	pol_stop(&p);
	ok = rel_check_counters(gfd, b->name) == 0 && ok;
	close(gfd);
	injected(ok, b->name);
	GT_EXPECT(ok, "%s", b->name);
}

GT_TEST(policy_ejected_mid_fault)
{
	uint64_t refs;
	unsigned int i;

	rel_setup();
	refs = rel_module_refs();
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		eject_one(&broken[i]);
	set_param(PARAM("max_rejects"), 64);
	set_param(PARAM("watchdog_ms"), 1000);
	rel_no_leak();
	rel_wait_module_refs(refs, 10000);
}

/* ------------------------------------------------------ loader killed */

static pid_t spawn_loader(const char *policy)
{
	pid_t pid = fork();

	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		char path[128];

		snprintf(path, sizeof(path), BPF_DIR "/%s.bpf.o", policy);
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execlp("gmem-policy-load", "gmem-policy-load", path, NULL);
		_exit(127);
	}
	return pid;
}

/* How long the loader takes from exec to the policy being in charge. */
static double loader_attach_time(int gfd, const char *policy)
{
	double t0 = gmt_now(), t;
	pid_t pid = spawn_loader(policy);
	int wst;

	GT_ASSERT(wait_status(gfd, active, 30000), "the loader never attached %s", policy);
	t = gmt_now() - t0;
	GT_ASSERT(kill(pid, SIGKILL) == 0 && waitpid(pid, &wst, 0) == pid, "kill loader");
	GT_ASSERT(wait_status(gfd, inactive, 5000), "policy outlived its loader");
	return t;
}

GT_TEST(loader_killed_mid_load)
{
	const char *policy = "lru_cold";
	int gfd, k, rounds = rel_scale(8, 8), wst;
	struct gmem_policy_status st;
	uint64_t refs, seed = 0x10ad;
	double t_attach;
	struct pol p;
	struct wl w;

	rel_setup();
	refs = rel_module_refs();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	if (access(BPF_DIR "/lru_cold.bpf.o", R_OK))
		policy = "mru";
	wl_start(&w, gfd, WL_BLOCKS, 22);
	t_attach = loader_attach_time(gfd, policy);
	gt_log("%s: the loader attaches after %.2f s", policy, t_attach);
	for (k = 0; k < rounds; k++) {
		/* Kill points spread from exec to past the attach, with jitter. */
		double at = t_attach * (k + 0.5) * 1.25 / rounds;
		useconds_t us = at * 1e6 * (0.9 + 0.2 * rel_below(&seed, 100) / 100.0);
		pid_t pid = spawn_loader(policy);
		bool was_active, ok;

		usleep(us);
		was_active = status(gfd).active;
		ok = kill(pid, SIGKILL) == 0 && waitpid(pid, &wst, 0) == pid &&
		     WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL;
		ok = wait_status(gfd, inactive, 5000) && ok;
		st = status(gfd);
		if (was_active && st.last_exit.kind != GMEM_EXIT_UNREG)
			ok = false;
		gt_log("kill %d after %.2f s: %s, then %s", k, us / 1e6,
		       was_active ? "attached" : "not attached yet",
		       ok ? "clean" : "NOT CLEAN");
		injected(ok, "loader killed");
	}
	/* The slot is free: another policy attaches and detaches normally. */
	pol_start(&p, policy);
	GT_EXPECT(status(gfd).active, "cannot attach after the killed loaders");
	pol_stop(&p);
	GT_EXPECT(wl_finish(&w, "loader kills"), "workload");
	GT_EXPECT(rel_check_counters(gfd, "after loader kills") == 0, "counters");
	close(gfd);
	rel_no_leak();
	rel_wait_module_refs(refs, 10000);
}

/* --------------------------------------------------- killed with work in flight */

/* A process with jobs queued and running on both devices; it never returns. */
static void victim(int ready_fd, uint64_t seed)
{
	int gfd = gmt_open_gmem(), s0 = gmt_sim_open(0), s1 = gmt_sim_open(1), i;
	size_t len = 3 * REL_HBM_BLOCKS * REL_BS;
	uint8_t *p = gfd >= 0 ? gmt_map(gfd, len) : NULL;
	uint64_t seq;

	if (!p || s0 < 0 || s1 < 0)
		_exit(2);
	p[rel_below(&seed, len)] = 1;
	for (i = 0; i < 6; i++) {
		gmt_sim_launch(i % 2 ? s1 : s0, i % 3 ? GMEM_SIM_FILL : GMEM_SIM_COPY, 0, p,
			       p + len / 2, len / 2, i, &seq);
		gmt_advise(gfd, p + (i % 3) * REL_BS, REL_BS, GMEM_ADV_PIN, gmt_sim_gmem_id(i % 2), 0);
	}
	if (write(ready_fd, "r", 1) != 1)
		_exit(3);
	/* A synchronous launch: killed while waiting in the ioctl. */
	gmt_sim_launch(s0, GMEM_SIM_FILL, GMEM_SIM_F_SYNC, p, NULL, len, 9, &seq);
	for (;;)
		pause();
}

GT_TEST(killed_with_device_work_in_flight)
{
	int gfd, k, rounds = rel_scale(6, 10), wst, fds[2];
	uint64_t refs, seed = 0xdead;
	struct pol p;
	struct wl w;
	char c;

	rel_setup();
	refs = rel_module_refs();
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	pol_start(&p, access(BPF_DIR "/lru_cold.bpf.o", R_OK) ? NULL : "lru_cold");
	wl_start(&w, gfd, 2 * REL_HBM_BLOCKS, 23);	/* the survivor: 1x both devices */
	for (k = 0; k < rounds; k++) {
		pid_t pid;
		bool ok;

		GT_ASSERT(pipe(fds) == 0, "pipe");
		pid = fork();
		GT_ASSERT(pid >= 0, "fork");
		if (pid == 0) {
			close(fds[0]);
			victim(fds[1], seed + k);
		}
		close(fds[1]);
		ok = read(fds[0], &c, 1) == 1;
		close(fds[0]);
		usleep(rel_below(&seed, 60000));
		ok = kill(pid, SIGKILL) == 0 && waitpid(pid, &wst, 0) == pid && ok &&
		     WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL;
		injected(ok, "process killed with jobs in flight");
	}
	GT_EXPECT(!p.obj || status(gfd).active, "the policy did not survive the kills");
	pol_stop(&p);
	GT_EXPECT(wl_finish(&w, "victims killed"), "the surviving process lost data or failed");
	GT_EXPECT(rel_check_counters(gfd, "after the kills") == 0, "counters");
	close(gfd);
	rel_no_leak();
	rel_wait_module_refs(refs, 10000);
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
