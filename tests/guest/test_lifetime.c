// SPDX-License-Identifier: GPL-2.0
/*
 * test_lifetime: teardown while device work is in flight. munmap, kill -9,
 * closing files and removing the driver with data still on its devices must
 * neither crash, hang, lose data that is still mapped, nor leak anything
 * (/sys/kernel/debug/gmem/live back to zero). HBM: 4 blocks of 2 MiB.
 */
#include <signal.h>
#include <stdbool.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_test_cgroup.h"

#define BS	(2 * GMT_MiB)
#define HBM_MB	8
#define SIM_KO	GMT_MODDIR "/gmem_sim.ko"
#define W	(BS / 4)		/* words per block */

static void no_leak(void)
{
	struct gmt_live l;

	GT_ASSERT(gmt_live_wait_zero(&l, 5000) == 0, "leak: objects %ld host_pages %ld dev_blocks %ld",
		  l.objects, l.host_pages, l.dev_blocks);
}

static void setup(void)
{
	GT_ASSERT(gmt_setup(BS, HBM_MB, 2) == 0, "module reload");
}

/* Wait until device @n has faulted since @since: a job is running, not just queued. */
static void wait_device_busy(unsigned int n, uint64_t since)
{
	uint64_t faults = since;
	int ms;

	for (ms = 0; ms < 5000 && faults == since; ms++) {
		GT_ASSERT(gmt_sim_attr(n, "faults", &faults) == 0, "read faults");
		usleep(1000);
	}
	GT_ASSERT(faults != since, "device %u never started", n);
}

static uint64_t sim_faults(unsigned int n)
{
	uint64_t v = 0;

	GT_ASSERT(gmt_sim_attr(n, "faults", &v) == 0, "read faults");
	return v;
}

/* Queue @n jobs that stream @len bytes at @p (4x HBM keeps faulting). */
static void queue_streams(int sfd, void *p, size_t len, int n)
{
	uint64_t seq;
	int i;

	for (i = 0; i < n; i++)
		GT_ASSERT(gmt_sim_launch(sfd, i % 2 ? GMEM_SIM_FILL : GMEM_SIM_REDUCE, 0, p, NULL,
					 len, i, &seq) == 0, "launch %d", i);
}

/* munmap while jobs stream the range: they fail with -EFAULT or finish; no leak. */
GT_TEST(munmap_in_flight)
{
	const size_t len = 16 * BS;
	struct gmem_sim_wait w;
	uint64_t seq[6];
	int gfd, sfd, i, ret, ok = 0, fault = 0;
	uint64_t f0;
	void *p;

	setup();
	f0 = sim_faults(0);
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	p = gmt_map(gfd, len);
	GT_ASSERT(p, "mmap");
	for (i = 0; i < 6; i++)
		GT_ASSERT(gmt_sim_launch(sfd, i % 2 ? GMEM_SIM_FILL : GMEM_SIM_REDUCE, 0, p, NULL,
					 len, i, &seq[i]) == 0, "launch %d", i);
	wait_device_busy(0, f0);
	GT_ASSERT(munmap(p, len) == 0, "munmap");
	for (i = 0; i < 6; i++) {
		ret = gmt_sim_wait(sfd, seq[i], &w);
		GT_EXPECT(ret == 0 || ret == -EFAULT, "job %d: %d", i, ret);
		ok += ret == 0;
		fault += ret == -EFAULT;
	}
	gt_log("after munmap: %d jobs finished, %d failed with EFAULT", ok, fault);
	GT_EXPECT(fault > 0, "every job finished before munmap: the test proves nothing");
	/* A new mapping (maybe at the same address) is clean and usable. */
	p = gmt_map(gfd, BS);
	GT_ASSERT(p, "mmap again");
	GT_ASSERT(gmt_sim_fill(sfd, p, BS, 5) == 0, "fill");
	GT_EXPECT(((uint32_t *)p)[BS / 4 - 1] == 5, "fill data");
	munmap(p, BS);
	close(sfd);
	close(gfd);
	no_leak();
}

/*
 * A TRACE over @nblk blocks at @p, alternating low and high blocks (0, n-1,
 * 1, n-2, ...) from block @first on, so that while the device faults a low
 * block, higher ones fill HBM: the order in which munmap's destroy (lowest
 * block first) meets them. Every record writes, so every eviction writes
 * back.
 */
static struct gmem_sim_access *zigzag_trace(void *p, unsigned int nblk, unsigned int first,
					    unsigned int nrec)
{
	struct gmem_sim_access *recs = calloc(nrec, sizeof(*recs));
	unsigned int r, i;

	GT_ASSERT(recs, "calloc");
	for (r = 0; r < nrec; r++) {
		i = (r + first) % nblk;
		i = i % 2 ? nblk - 1 - i / 2 : i / 2;
		recs[r] = (struct gmem_sim_access){ (uintptr_t)p + (uint64_t)i * BS + r % 64 * 8, 8,
						    GMEM_SIM_ACC_WRITE };
	}
	return recs;
}

/*
 * munmap while device faults on the object wait to make room in a HBM full
 * of the object's own blocks (four streams fault it at once, so victims are
 * often all busy). The destroy waits for each block a fault holds, and the
 * object's other blocks, dead but not yet freed, are no victims: a fault
 * must give up (-EFAULT, the mapping is gone) instead of waiting for them
 * until eviction's 2 s timeout (-ENOMEM), during which every other task
 * short of HBM on the device waited too (make stress: device jobs of an
 * unrelated process failed with -ENOMEM, 2026-12-07). Rounds vary the
 * moment of the munmap.
 */
GT_TEST(munmap_while_faults_make_room)
{
	const unsigned int nblk = 8, nrec = 1 << 16, rounds = 30, nstreams = 4;
	unsigned int round, s, ok = 0, fault = 0, nomem = 0, other = 0;
	struct gmem_sim_access *recs[4];
	struct gmem_sim_wait w;
	uint64_t seq[4], f0;
	int gfd, sfd, ret;
	void *p;

	setup();
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	for (round = 0; round < rounds; round++) {
		p = gmt_map(gfd, nblk * BS);
		GT_ASSERT(p, "mmap");
		f0 = sim_faults(0);
		for (s = 0; s < nstreams; s++) {
			recs[s] = zigzag_trace(p, nblk, 2 * s, nrec);
			GT_ASSERT(gmt_sim_launch(sfd, GMEM_SIM_TRACE, GMEM_SIM_F_STREAM(s), recs[s],
						 NULL, nrec, 0, &seq[s]) == 0, "launch %u", s);
		}
		wait_device_busy(0, f0);
		usleep(round * 3000 % 40000);
		GT_ASSERT(munmap(p, nblk * BS) == 0, "munmap");
		for (s = 0; s < nstreams; s++) {
			ret = gmt_sim_wait(sfd, seq[s], &w);
			ok += ret == 0;
			fault += ret == -EFAULT;
			nomem += ret == -ENOMEM;
			if (ret && ret != -EFAULT && ret != -ENOMEM && other++ < 3)
				gt_log("round %u stream %u: job failed with %d", round, s, ret);
			free(recs[s]);
		}
	}
	gt_log("%u jobs: %u finished first, %u -EFAULT, %u -ENOMEM, %u other", rounds * nstreams,
	       ok, fault, nomem, other);
	GT_EXPECT(!nomem && !other, "a fault on an unmapped object ran out of HBM");
	GT_EXPECT(fault > 0, "every job finished before munmap: the test proves nothing");
	close(sfd);
	close(gfd);
	no_leak();
}

/* A child with jobs streaming 4x HBM is killed with SIGKILL; nothing leaks. */
static void kill_child_while_busy(bool sync_launch)
{
	int pipefd[2], status;
	uint64_t f0 = sim_faults(0);
	char c;
	pid_t pid;

	GT_ASSERT(pipe(pipefd) == 0, "pipe");
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int gfd = gmt_open_gmem(), sfd = gmt_sim_open(0), sfd1 = gmt_sim_open(1);
		size_t len = 16 * BS;
		void *p = gfd >= 0 ? gmt_map(gfd, len) : NULL;
		uint64_t seq;

		if (!p || sfd < 0 || sfd1 < 0)
			_exit(1);
		queue_streams(sfd, p, len, 4);
		queue_streams(sfd1, p, len, 4);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		if (sync_launch)
			gmt_sim_launch(sfd, GMEM_SIM_FILL, GMEM_SIM_F_SYNC, p, NULL, len, 1, &seq);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	GT_ASSERT(read(pipefd[0], &c, 1) == 1, "child did not start");
	wait_device_busy(0, f0);
	GT_ASSERT(kill(pid, SIGKILL) == 0, "kill");
	GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	GT_EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
	close(pipefd[0]);
	no_leak();
}

GT_TEST(kill9_with_jobs_queued)
{
	setup();
	kill_child_while_busy(false);
}

GT_TEST(kill9_in_sync_launch)
{
	setup();
	kill_child_while_busy(true);
}

/*
 * rmmod fails while a process holds the device (the kernel says
 * EWOULDBLOCK: "in use") and succeeds once it closed it, even with the
 * process's data still resident on the device: unregistering migrates it
 * back, and the CPU then reads what the device wrote.
 */
GT_TEST(rmmod_busy_then_resident)
{
	struct gmem_obj_info oi;
	uint64_t refcnt = 0;
	int gfd, sfd, ret;
	uint32_t *p;
	size_t i;

	setup();
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(1);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	p = gmt_map(gfd, 3 * BS);
	GT_ASSERT(p, "mmap");
	gmt_fill_pat(p, 3 * BS / 4, 40);
	/* Block 1 = 2 * block 0 + block 1; block 2 = 7: all three end up on sim1. */
	GT_ASSERT(gmt_sim_run(sfd, GMEM_SIM_AXPY, p, p + W, BS, 2, NULL) == 0, "axpy");
	GT_ASSERT(gmt_sim_fill(sfd, p + 2 * W, BS, 7) == 0, "fill");
	GT_ASSERT(gmt_obj_info(gfd, p, &oi) == 0 && oi.stats.resident_dev == 3, "not resident");

	GT_ASSERT(gmt_read_u64("/sys/module/gmem_sim/refcnt", &refcnt) == 0 && refcnt > 0,
		  "gmem_sim refcnt %llu with a file open", (unsigned long long)refcnt);
	ret = gmt_rmmod("gmem_sim");
	GT_ASSERT(ret == -EWOULDBLOCK, "rmmod gmem_sim with a file open: %d", ret);
	ret = gmt_rmmod("gmem");
	GT_ASSERT(ret == -EWOULDBLOCK, "rmmod gmem under gmem_sim: %d", ret);
	GT_ASSERT(gmt_sim_fill(sfd, p, 4, 1) == 0, "device unusable after a refused rmmod");
	close(sfd);

	ret = gmt_rmmod("gmem_sim");
	GT_ASSERT(ret == 0, "rmmod gmem_sim once closed: %d", ret);
	GT_ASSERT(gmt_obj_info(gfd, p, &oi) == 0, "obj info");
	GT_EXPECT(oi.stats.resident_dev == 0 && oi.stats.resident_host == 3,
		  "after rmmod: resident dev %llu host %llu",
		  (unsigned long long)oi.stats.resident_dev, (unsigned long long)oi.stats.resident_host);
	GT_EXPECT(p[0] == 1, "the last device write was lost");
	for (i = 1; i < W; i++)
		GT_ASSERT(p[i] == gmt_pat(40, i), "block 0 word %zu lost", i);
	for (i = 0; i < W; i++)
		GT_ASSERT(p[W + i] == 2 * gmt_pat(40, i) + gmt_pat(40, W + i), "block 1 word %zu lost", i);
	for (i = 0; i < W; i++)
		GT_ASSERT(p[2 * W + i] == 7, "block 2 word %zu lost", i);
	ret = gmt_insmod(SIM_KO, "hbm_mb=8 nr_devices=2");
	GT_ASSERT(ret == 0, "insmod gmem_sim: %d", ret);
	munmap(p, 3 * BS);
	close(gfd);
	no_leak();
}

/* A process that exits with blocks on both devices and remote maps leaves nothing. */
GT_TEST(exit_with_resident_blocks)
{
	int status;
	pid_t pid;

	setup();
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int gfd = gmt_open_gmem(), s0 = gmt_sim_open(0), s1 = gmt_sim_open(1);
		void *p = gfd >= 0 ? gmt_map(gfd, 6 * BS) : NULL;
		uint8_t *b = p;

		if (!p || s0 < 0 || s1 < 0)
			_exit(1);
		if (gmt_advise(gfd, b + 4 * BS, 2 * BS, GMEM_ADV_PREFERRED, GMEM_DEV_HOST, 0) ||
		    gmt_advise(gfd, b, BS, GMEM_ADV_PIN, gmt_sim_gmem_id(1), 0) ||
		    gmt_sim_fill(s0, b + BS, 3 * BS, 1) || gmt_sim_fill(s1, b + 4 * BS, 2 * BS, 2))
			_exit(2);
		_exit(0);	/* no munmap, no close */
	}
	GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	GT_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	no_leak();
}

/* memory.current of cgroup @dir, in KiB. */
static long cg_current_kb(const char *dir)
{
	char path[200];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "%s/memory.current", dir);
	GT_ASSERT(gmt_read_u64(path, &v) == 0, "read %s", path);
	return (long)(v >> 10);
}

/*
 * The host memory of a process's blocks goes back when it exits, not only
 * gmem's own counters: a block's pages are one large folio or order-0 pages
 * (gmem.debug_host_single_pages forces the latter), and a reference left
 * on either would keep 2 MiB per block. The child runs in its own memory
 * cgroup, which the host pages are charged to (gm_block.c), touches 64 MiB,
 * moves part of it through both devices and exits; the cgroup's charge
 * must fall back under 16 MiB. (MemFree cannot show it: freed pages wait
 * in the per-CPU lists.)
 */
GT_TEST(exit_returns_host_memory)
{
	const char *single[] = { "N", "Y" };
	unsigned int pass;
	char dir[128];
	int status, i;
	long kb = 0;
	pid_t pid;

	gmt_write_str(GMT_CG_ROOT "/cgroup.subtree_control", "+memory");
	for (pass = 0; pass < 2; pass++) {
		setup();
		GT_ASSERT(gmt_write_str("/sys/module/gmem/parameters/debug_host_single_pages",
					single[pass]) == 0, "gmem.debug_host_single_pages");
		gmt_cg_make(dir, sizeof(dir), single[pass][0] == 'Y' ? "lt-single" : "lt-folio");
		pid = fork();
		GT_ASSERT(pid >= 0, "fork");
		if (pid == 0) {
			int gfd, s0, s1;
			uint32_t *p;

			gmt_cg_enter(dir);
			gfd = gmt_open_gmem();
			s0 = gmt_sim_open(0);
			s1 = gmt_sim_open(1);
			p = gfd >= 0 ? gmt_map(gfd, 32 * BS) : NULL;
			if (!p || s0 < 0 || s1 < 0)
				_exit(1);
			gmt_fill_pat(p, 32 * W, 3);
			if (gmt_sim_fill(s0, p, 8 * BS, 4) || gmt_sim_fill(s1, p + 8 * W, 8 * BS, 5) ||
			    gmt_advise(gfd, p, 8 * BS, GMEM_ADV_DONTNEED, gmt_sim_gmem_id(0), 0))
				_exit(2);
			_exit(0);
		}
		GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
		GT_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x",
			  status);
		no_leak();
		for (i = 0; i < 100 && (kb = cg_current_kb(dir)) >= 16 * 1024; i++)
			usleep(10000);	/* RCU-freed metadata */
		gt_log("order-0 pages %s: %ld KiB still charged after exit", single[pass], kb);
		GT_EXPECT(kb < 16 * 1024, "order-0 pages %s: %ld KiB did not come back",
			  single[pass], kb);
		rmdir(dir);
	}
	gmt_write_str("/sys/module/gmem/parameters/debug_host_single_pages", "N");
}

GT_MAIN()
