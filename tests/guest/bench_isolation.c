// SPDX-License-Identifier: GPL-2.0
/*
 * bench_isolation (gmem-bench-iso; issue 13 benchmark, not a suite test):
 * fault latency of a bystander while others load the system, and the time a
 * SIGKILL takes to end a process inside a large hint.
 *
 *   victim: its own object of VICTIM_BLK blocks; each sample is one device
 *     access (a TRACE job of one read) to a block on the host: one device
 *     fault that migrates one block in; then DONTNEED sends it back (not
 *     timed). ISO_SAMPLES samples idle, then again under load.
 *   hinter: a 1 GiB object, filled on the CPU, then GMEM_ADV_WILLNEED of all
 *     of it to device 0 in a loop (with DONTNEED between), far beyond HBM.
 *   spinner: attaches tests/policies/spin_hooks with its own object as the
 *     target: every fault of that object spins in the fault hook for
 *     SPIN_MS (below gmem.watchdog_ms), and it faults in a loop.
 *   kill: SIGKILL to the hinter while its hint runs; time until waitpid().
 *
 * Knobs: ISO_SAMPLES (60), ISO_HINT (1: run the hinter), ISO_SPIN (1: run
 * the spinner), ISO_SPIN_DEV (0: the simulated device whose queue the
 * spinner's jobs use; the sim runs one ordered queue per device, so a
 * spinner on the victim's device delays the victim's job in the queue).
 *
 * Modules as loaded by the caller (block size, HBM). Times: guest
 * CLOCK_MONOTONIC (instructions under vmtest/run.sh --icount).
 */
#include <stdlib.h>
#define GT_TIMEOUT_S	1200
#include <signal.h>
#include <sys/wait.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"

#define VICTIM_BLK	8
#define HINT_BYTES	(1024ul << 20)
#define SPIN_MS		200

static uint64_t bs;

/* A line in the ftrace buffer, if tracefs is mounted (gmem-bench-killtrace). */
static void marker(const char *fmt, int pid)
{
	FILE *f = fopen("/sys/kernel/tracing/trace_marker", "w");

	if (f) {
		fprintf(f, fmt, pid);
		fclose(f);
	}
}

static int env_int(const char *name, int dflt)
{
	const char *s = getenv(name);

	return s && *s ? atoi(s) : dflt;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void victim(int gfd, int sfd, double *lat, int n, const char *what)
{
	char *m = gmt_map(gfd, VICTIM_BLK * bs);
	double p50, p99, sum = 0;
	int i;

	GT_ASSERT(m, "victim map");
	for (i = 0; i < VICTIM_BLK; i++)
		m[i * bs] = (char)i;
	for (i = 0; i < n; i++) {
		struct gmem_sim_access a = { .addr = (uintptr_t)m + (i % VICTIM_BLK) * bs, .len = 4 };
		uint64_t res;
		double t0 = gmt_now();
		int ret = gmt_sim_run(sfd, GMEM_SIM_TRACE, &a, NULL, 1, 0, &res);

		lat[i] = gmt_now() - t0;
		GT_ASSERT(ret == 0, "victim access: %d", ret);
		gmt_advise(gfd, m + (i % VICTIM_BLK) * bs, bs, GMEM_ADV_DONTNEED, 0, 0);
		sum += lat[i];
	}
	munmap(m, VICTIM_BLK * bs);
	qsort(lat, n, sizeof(*lat), cmp_d);
	p50 = lat[n / 2];
	p99 = lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	gt_log("ISO phase=%s samples=%d p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f",
	       what, n, p50 * 1e6, p99 * 1e6, lat[n - 1] * 1e6, sum / n * 1e6);
}

/* Fills 1 GiB, then WILLNEED / DONTNEED of all of it until killed. */
static void hinter(int gfd, int dev, int ready)
{
	char *m = gmt_map(gfd, HINT_BYTES);
	uint64_t i;

	if (!m)
		_exit(2);
	for (i = 0; i < HINT_BYTES; i += 4096)
		m[i] = (char)i;
	(void)!write(ready, "h", 1);
	for (;;) {
		gmt_advise(gfd, m, HINT_BYTES, GMEM_ADV_WILLNEED, dev, 0);
		gmt_advise(gfd, m, HINT_BYTES, GMEM_ADV_DONTNEED, 0, 0);
	}
}

/* Attaches spin_hooks aimed at its own object and faults on it until killed. */
static void spinner(int gfd, int ready)
{
	int sfd = gmt_sim_open(env_int("ISO_SPIN_DEV", 0));
	char *m = gmt_map(gfd, 2 * bs);
	struct gmem_obj_info oi;
	struct pol p;
	uint64_t res;

	GT_ASSERT(sfd >= 0 && m, "spinner setup");
	GT_ASSERT(gmt_obj_info(gfd, m, &oi) == 0, "obj info");
	pol_open(&p, "spin_hooks");
	pol_load(&p);
	pol_set_bss(&p, "target_obj", oi.id);
	pol_set_bss(&p, "fault_outer", 1u << 30);	/* the cap ends the spin */
	pol_set_bss(&p, "spin_cap_ns", SPIN_MS * 1000000ull);
	GT_ASSERT(pol_attach(&p) == 0, "attach spin_hooks");
	(void)!write(ready, "s", 1);
	for (;;) {
		struct gmem_sim_access a = { .addr = (uintptr_t)m, .len = 4 };

		gmt_sim_run(sfd, GMEM_SIM_TRACE, &a, NULL, 1, 0, &res);
		gmt_advise(gfd, m, 2 * bs, GMEM_ADV_DONTNEED, 0, 0);
	}
}

GT_TEST(isolation_and_kill)
{
	int gfd = gmt_open_gmem(), sfd = gmt_sim_open(0), dev = gmt_sim_gmem_id(0), n = env_int("ISO_SAMPLES", 60);
	double *lat = calloc(n, sizeof(double)), t0, t_kill;
	int pfd[2], st, nh = env_int("ISO_HINT", 1), ns = env_int("ISO_SPIN", 1);
	pid_t h = 0, s = 0;
	char c;
	struct gmem_obj_info oi;
	void *probe;

	GT_ASSERT(gfd >= 0 && sfd >= 0 && dev >= 0 && lat, "setup");
	probe = gmt_map(gfd, 4096);
	GT_ASSERT(probe && gmt_obj_info(gfd, probe, &oi) == 0, "block size");
	bs = oi.block_size;
	munmap(probe, 4096);
	gt_log("ISO block_size=%llu", (unsigned long long)bs);
	victim(gfd, sfd, lat, n, "idle");

	GT_ASSERT(pipe(pfd) == 0, "pipe");
	if (nh && (h = fork()) == 0)
		hinter(gfd, dev, pfd[1]), _exit(0);
	if (ns && (s = fork()) == 0)
		spinner(gfd, pfd[1]), _exit(0);
	GT_ASSERT((!nh || read(pfd[0], &c, 1) == 1) && (!ns || read(pfd[0], &c, 1) == 1),
		  "children ready");
	gt_log("ISO load: hinter=%d spinner=%d spinner_dev=%d", nh, ns,
	       env_int("ISO_SPIN_DEV", 0));
	usleep(200000);
	victim(gfd, sfd, lat, n, "loaded");

	if (s) {
		kill(s, SIGKILL);
		waitpid(s, &st, 0);
	}
	if (!h) {
		free(lat);
		return;
	}
	usleep(100000);		/* the hinter is inside WILLNEED nearly all the time */
	marker("ISO-KILL pid=%d\n", h);
	t0 = gmt_now();
	kill(h, SIGKILL);
	GT_ASSERT(waitpid(h, &st, 0) == h, "waitpid");
	t_kill = gmt_now() - t0;
	marker("ISO-EXITED pid=%d\n", h);
	gt_log("ISO kill_to_exit_us=%.1f (SIGKILL of the 1 GiB hinter until waitpid returned;"
	       " includes tearing down its 1 GiB object)", t_kill * 1e6);
	/* The same exit without a hint running: a 1 GiB object filled, then asleep. */
	h = fork();
	if (h == 0) {
		char *m = gmt_map(gfd, HINT_BYTES);
		uint64_t i;

		if (!m)
			_exit(2);
		for (i = 0; i < HINT_BYTES; i += 4096)
			m[i] = (char)i;
		(void)!write(pfd[1], "i", 1);
		for (;;)
			pause();
	}
	GT_ASSERT(read(pfd[0], &c, 1) == 1, "idle holder ready");
	usleep(100000);
	t0 = gmt_now();
	kill(h, SIGKILL);
	GT_ASSERT(waitpid(h, &st, 0) == h, "waitpid");
	gt_log("ISO idle_exit_us=%.1f (SIGKILL of a process holding a filled 1 GiB object,"
	       " no hint running: the teardown alone)", (gmt_now() - t0) * 1e6);
	victim(gfd, sfd, lat, n, "after");
	free(lat);
}

GT_MAIN()
