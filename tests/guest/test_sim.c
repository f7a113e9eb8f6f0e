// SPDX-License-Identifier: GPL-2.0
/*
 * test_sim: the simulated accelerator's ABI (/dev/gmem_simN) and device
 * kernels, checked by content against the same computation on the CPU.
 * Runs with the default modules (2 MiB blocks, 64 MiB HBM, 2 devices).
 */
#include <pthread.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability_cg.h"

#define BS	(2 * GMT_MiB)
#define RA_KNOB	"/sys/module/gmem/parameters/builtin_prefetch"

struct env {
	int gfd, sfd;
	uint8_t *mem;
	size_t len;
};

static void env_open(struct env *e, size_t len)
{
	GT_ASSERT(gmt_setup(BS, 64, 2) == 0, "module reload failed");
	/* A failed alloc_failure_injection run may have left it set. */
	GT_ASSERT(gmt_write_str("/sys/module/gmem_sim/parameters/fail_alloc_every", "0") == 0,
		  "reset fail_alloc_every");
	/* So may a failed batch_reused_lookup_refuses_write the read-ahead. */
	GT_ASSERT(gmt_write_str(RA_KNOB, "1") == 0, "reset builtin_prefetch");
	e->gfd = gmt_open_gmem();
	GT_ASSERT(e->gfd >= 0, "open /dev/gmem: %d", e->gfd);
	e->sfd = gmt_sim_open(0);
	GT_ASSERT(e->sfd >= 0, "open /dev/gmem_sim0: %d", e->sfd);
	e->len = len;
	e->mem = gmt_map(e->gfd, len);
	GT_ASSERT(e->mem, "mmap %zu: %s", len, strerror(errno));
}

static void env_close_no_leak(struct env *e)
{
	GT_ASSERT(munmap(e->mem, e->len) == 0, "munmap");
	close(e->sfd);
	close(e->gfd);
	GMT_ASSERT_NO_LEAK();
}

static uint64_t sim_counter(const char *attr)
{
	uint64_t v = 0;

	GT_ASSERT(gmt_sim_attr(0, attr, &v) == 0, "read gmem_sim0/%s", attr);
	return v;
}

/* FILL, COPY, AXPY, REDUCE and CHECKSUM over ranges that start mid-block and span blocks. */
GT_TEST(ops_match_cpu)
{
	struct env e;
	const size_t n = (BS + BS / 2) / 4 + 37;	/* words: 1.5 blocks and a bit */
	uint32_t *x, *y, *z, *ref;
	uint64_t sum, h;
	size_t i;

	env_open(&e, 5 * BS);
	x = (uint32_t *)(e.mem + 12);			/* not block aligned */
	y = (uint32_t *)(e.mem + 2 * BS - 4096);	/* straddles a block boundary */
	z = (uint32_t *)(e.mem + 3 * BS + 8);
	ref = malloc(n * 4);
	GT_ASSERT(ref, "malloc");
	gmt_fill_pat(x, n, 1);
	gmt_fill_pat(y, n, 2);

	GT_ASSERT(gmt_sim_run(e.sfd, GMEM_SIM_AXPY, x, y, n * 4, (uint64_t)-3, NULL) == 0, "axpy");
	for (i = 0; i < n; i++)
		ref[i] = (uint32_t)(-3 * (int64_t)gmt_pat(1, i)) + gmt_pat(2, i);
	GT_ASSERT(memcmp(y, ref, n * 4) == 0, "AXPY result differs on the CPU");
	GT_ASSERT(gmt_check_pat(x, n, 1) < 0, "AXPY changed x");

	GT_ASSERT(gmt_sim_reduce(e.sfd, y, n * 4, &sum) == 0, "reduce");
	GT_ASSERT(sum == gmt_sum32(ref, n), "REDUCE %llu, CPU %llu", (unsigned long long)sum,
		  (unsigned long long)gmt_sum32(ref, n));
	GT_ASSERT(gmt_sim_checksum(e.sfd, y, n * 4, &h) == 0, "checksum");
	GT_ASSERT(h == gmt_fnv1a(ref, n * 4, GMT_FNV_BASIS), "CHECKSUM differs");

	GT_ASSERT(gmt_sim_run(e.sfd, GMEM_SIM_COPY, x, z, (n - 5) * 4, 0, NULL) == 0, "copy");
	GT_ASSERT(gmt_check_pat(z, n - 5, 1) < 0, "COPY result differs");
	GT_ASSERT(z[n - 5] == 0, "COPY wrote past its end");

	GT_ASSERT(gmt_sim_fill(e.sfd, z, 64, 0xdeadbeef) == 0, "fill");
	for (i = 0; i < 16; i++)
		GT_ASSERT(z[i] == 0xdeadbeef, "FILL word %zu = %#x", i, z[i]);
	GT_ASSERT(z[16] == gmt_pat(1, 16), "FILL wrote past its end");

	/* AXPY with x == y is y = (a + 1) * y. */
	GT_ASSERT(gmt_sim_run(e.sfd, GMEM_SIM_AXPY, z, z, 64, 2, NULL) == 0, "axpy x==y");
	GT_ASSERT(z[0] == 0xdeadbeef * 3u, "x==y AXPY gave %#x", z[0]);
	free(ref);
	env_close_no_leak(&e);
}

/* TRACE: writes store (u8)(record + byte), the result hashes the bytes reads saw. */
GT_TEST(trace_replay)
{
	struct gmem_sim_access recs[6];
	struct env e;
	uint8_t *shadow;
	uint64_t h = GMT_FNV_BASIS, res;
	unsigned int r, k;

	env_open(&e, 2 * BS);
	shadow = malloc(2 * BS);
	GT_ASSERT(shadow, "malloc");
	gmt_fill_pat((uint32_t *)e.mem, 2 * BS / 4, 7);
	memcpy(shadow, e.mem, 2 * BS);
	recs[0] = (struct gmem_sim_access){ 100, 300, 0 };
	recs[1] = (struct gmem_sim_access){ 200, 50, 1 };
	recs[2] = (struct gmem_sim_access){ 150, 200, 0 };	/* sees record 1's write */
	recs[3] = (struct gmem_sim_access){ BS + 1, 7, 1 };
	recs[4] = (struct gmem_sim_access){ BS - 3, 3, 0 };
	recs[5] = (struct gmem_sim_access){ BS, 16, 0 };
	for (r = 0; r < 6; r++) {
		uint8_t *p = shadow + recs[r].addr;

		if (recs[r].write)
			for (k = 0; k < recs[r].len; k++)
				p[k] = (uint8_t)(r + k);
		else
			h = gmt_fnv1a(p, recs[r].len, h);
		recs[r].addr += (uintptr_t)e.mem;
	}
	GT_ASSERT(gmt_sim_run(e.sfd, GMEM_SIM_TRACE, recs, NULL, 6, 0, &res) == 0, "trace");
	GT_ASSERT(res == h, "TRACE result %#llx, CPU %#llx", (unsigned long long)res,
		  (unsigned long long)h);
	GT_ASSERT(memcmp(e.mem, shadow, 2 * BS) == 0, "TRACE writes differ on the CPU");
	free(shadow);
	env_close_no_leak(&e);
}

/*
 * One fault batch over two objects, the second read-only: a batch looks
 * each object up once (gm_fault.c) and must still refuse, from the lookup
 * it reuses, a write fault on the read-only one. The block the device only
 * tried to write stays on the host, and the job fails with EFAULT.
 */
GT_TEST(batch_reused_lookup_refuses_write)
{
	struct gmem_sim_access recs[3];
	struct gmem_obj_info oi;
	struct env e;
	char *b;
	int ret;

	env_open(&e, 2 * BS);
	/* No read-ahead: it would bring the second block in with the first. */
	GT_ASSERT(gmt_write_str(RA_KNOB, "0") == 0, "builtin_prefetch=0");
	b = gmt_map(e.gfd, 2 * BS);
	GT_ASSERT(b, "mmap: %s", strerror(errno));
	memset(e.mem, 1, 2 * BS);
	memset(b, 2, 2 * BS);
	GT_ASSERT(mprotect(b, 2 * BS, PROT_READ) == 0, "mprotect: %s", strerror(errno));
	recs[0] = (struct gmem_sim_access){ (uintptr_t)e.mem, 4, 0 };
	recs[1] = (struct gmem_sim_access){ (uintptr_t)b, 4, 0 };	/* fills the lookup */
	recs[2] = (struct gmem_sim_access){ (uintptr_t)b + BS, 4, 1 };	/* reuses it */
	ret = gmt_sim_run(e.sfd, GMEM_SIM_TRACE, recs, NULL, 3, 0, NULL);
	GT_EXPECT(ret == -EFAULT, "a write to a read-only mapping: %d", ret);
	GT_ASSERT(gmt_obj_info(e.gfd, b, &oi) == 0, "OBJ_INFO: %s", strerror(errno));
	GT_EXPECT(oi.stats.h2d_blocks == 1, "%llu blocks of the read-only object moved, "
		  "only the one read may", (unsigned long long)oi.stats.h2d_blocks);
	GT_EXPECT(b[BS] == 2, "the read-only object changed");
	GT_ASSERT(gmt_write_str(RA_KNOB, "1") == 0, "builtin_prefetch=1");
	GT_ASSERT(munmap(b, 2 * BS) == 0, "munmap");
	env_close_no_leak(&e);
}

struct bad_launch {
	const char *what;
	struct gmem_sim_launch l;
	int err;
};

/* Bad launches fail with the documented errno and change nothing. */
GT_TEST(launch_validation)
{
	struct gmem_sim_access rec = { 0, 0, 0 };
	struct gmem_sim_launch l;
	struct gmem_sim_wait w;
	struct env e;
	uint64_t jobs, faults, h, h2;
	unsigned int i;

	env_open(&e, BS);
	gmt_fill_pat((uint32_t *)e.mem, BS / 4, 3);
	h = gmt_fnv1a(e.mem, BS, GMT_FNV_BASIS);
	uint64_t m = (uintptr_t)e.mem;
	struct bad_launch bad[] = {
		{ "op 0", { .op = 0, .x = m, .len = 4 }, EINVAL },
		{ "op 7", { .op = 7, .x = m, .len = 4 }, EINVAL },
		{ "flags", { .op = GMEM_SIM_FILL, .flags = 2, .x = m, .len = 4 }, EINVAL },
		{ "len 0", { .op = GMEM_SIM_FILL, .x = m, .len = 0 }, EINVAL },
		{ "len 6", { .op = GMEM_SIM_REDUCE, .x = m, .len = 6 }, EINVAL },
		{ "x unaligned", { .op = GMEM_SIM_CHECKSUM, .x = m + 2, .len = 8 }, EINVAL },
		{ "x overflow", { .op = GMEM_SIM_FILL, .x = UINT64_MAX - 3, .len = 8 }, EINVAL },
		{ "y overflow", { .op = GMEM_SIM_COPY, .x = m, .y = UINT64_MAX - 3, .len = 8 }, EINVAL },
		{ "y unaligned", { .op = GMEM_SIM_AXPY, .x = m, .y = m + 4098, .len = 8 }, EINVAL },
		{ "overlap", { .op = GMEM_SIM_COPY, .x = m, .y = m + 4, .len = 8 }, EINVAL },
		{ "trace 0", { .op = GMEM_SIM_TRACE, .x = (uintptr_t)&rec, .len = 0 }, EINVAL },
		{ "trace 1M+1", { .op = GMEM_SIM_TRACE, .x = (uintptr_t)&rec, .len = (1 << 20) + 1 }, E2BIG },
		{ "trace ptr", { .op = GMEM_SIM_TRACE, .x = 16, .len = 1 }, EFAULT },
		{ "trace rec len 0", { .op = GMEM_SIM_TRACE, .x = (uintptr_t)&rec, .len = 1 }, EINVAL },
		{ "trace window 257", { .op = GMEM_SIM_TRACE, .x = (uintptr_t)&rec, .len = 1,
					.scalar = GMEM_SIM_MAX_WINDOW + 1 }, EINVAL },
	};

	jobs = sim_counter("jobs_done");
	faults = sim_counter("faults");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		l = bad[i].l;
		l.seq = 0;
		errno = 0;
		GT_EXPECT(ioctl(e.sfd, GMEM_SIM_IOC_LAUNCH, &l) == -1 && errno == bad[i].err,
			  "%s: errno %d, want %d", bad[i].what, errno, bad[i].err);
		GT_EXPECT(l.seq == 0, "%s: seq written", bad[i].what);
	}
	/* Trace records: crossing a block, write with a bit that is not a GMEM_SIM_ACC_* flag. */
	rec = (struct gmem_sim_access){ m + BS - 4, 8, 0 };
	GT_EXPECT(gmt_sim_launch(e.sfd, GMEM_SIM_TRACE, 0, &rec, NULL, 1, 0, NULL) == -EINVAL,
		  "trace record crossing a block");
	rec = (struct gmem_sim_access){ m, 8, 4 };
	GT_EXPECT(gmt_sim_launch(e.sfd, GMEM_SIM_TRACE, 0, &rec, NULL, 1, 0, NULL) == -EINVAL,
		  "trace record write=4");
	GT_EXPECT(ioctl(e.sfd, GMEM_SIM_IOC_LAUNCH, (void *)16) == -1 && errno == EFAULT,
		  "launch from a bad pointer: %d", errno);
	GT_EXPECT(ioctl(e.sfd, GMEM_SIM_IOC_WAIT, (void *)16) == -1 && errno == EFAULT,
		  "wait with a bad pointer: %d", errno);
	GT_EXPECT(gmt_sim_wait(e.sfd, 12345, &w) == -ENOENT, "wait for an unknown seq");
	GT_EXPECT(ioctl(e.sfd, _IO('S', 99), 0) == -1 && errno == ENOTTY, "unknown ioctl");

	GT_EXPECT(sim_counter("jobs_done") == jobs, "a rejected launch ran a job");
	GT_EXPECT(sim_counter("faults") == faults, "a rejected launch faulted");
	h2 = gmt_fnv1a(e.mem, BS, GMT_FNV_BASIS);
	GT_EXPECT(h2 == h, "data changed");
	env_close_no_leak(&e);
}

/* Addresses outside the caller's gmem mappings fail the job with -EFAULT. */
GT_TEST(bad_addresses_fail_job)
{
	static uint32_t plain[1024];
	struct env e;
	uint64_t sum;

	env_open(&e, BS);
	GT_EXPECT(gmt_sim_fill(e.sfd, plain, sizeof(plain), 1) == -EFAULT, "plain memory");
	GT_EXPECT(gmt_sim_reduce(e.sfd, (void *)4096, 4096, &sum) == -EFAULT, "unmapped");
	GT_EXPECT(gmt_sim_reduce(e.sfd, (void *)0xffff888000000000ULL, 4096, &sum) == -EFAULT,
		  "kernel address");
	/* Runs off the end of the mapping: refused before any byte is written. */
	GT_EXPECT(gmt_sim_fill(e.sfd, e.mem + BS - 64, 128, 9) == -EFAULT, "past the end");
	GT_EXPECT(((uint32_t *)(e.mem + BS))[-1] != 9, "in-range part written before the error");
	GT_EXPECT(plain[0] == 0, "the device wrote plain memory");
	env_close_no_leak(&e);
}

/* Asynchronous jobs complete in order, wait in any order, once each; SYNC waits in LAUNCH. */
GT_TEST(async_and_sync)
{
	uint64_t seq[8], jobs, sum, h;
	struct gmem_sim_wait w;
	struct env e;
	int i;

	env_open(&e, 2 * BS);
	for (i = 0; i < 8; i++) {
		GT_ASSERT(gmt_sim_launch(e.sfd, GMEM_SIM_FILL, 0, e.mem + i * (BS / 4), NULL,
					 BS / 4, i + 1, &seq[i]) == 0, "launch %d", i);
		GT_ASSERT(i == 0 || seq[i] > seq[i - 1], "seq not increasing");
	}
	for (i = 7; i >= 0; i--) {
		GT_ASSERT(gmt_sim_wait(e.sfd, seq[i], &w) == 0, "job %d: %lld", i, (long long)w.status);
		GT_EXPECT(w.blocks_touched == 1, "job %d touched %llu blocks", i,
			  (unsigned long long)w.blocks_touched);
		GT_EXPECT(gmt_sim_wait(e.sfd, seq[i], &w) == -ENOENT, "job %d reaped twice", i);
	}
	for (i = 0; i < 8; i++)
		GT_EXPECT(((uint32_t *)(e.mem + i * (BS / 4)))[5] == (uint32_t)i + 1, "range %d", i);

	jobs = sim_counter("jobs_done");
	GT_ASSERT(gmt_sim_launch(e.sfd, GMEM_SIM_REDUCE, GMEM_SIM_F_SYNC, e.mem, NULL, BS, 0,
				 &seq[0]) == 0, "sync launch");
	GT_EXPECT(sim_counter("jobs_done") == jobs + 1, "SYNC returned before the job ended");
	GT_ASSERT(gmt_sim_wait(e.sfd, seq[0], &w) == 0, "wait sync job");
	sum = (uint64_t)(BS / 16) * (1 + 2 + 3 + 4);
	GT_EXPECT(w.result == sum, "sync REDUCE %llu want %llu", (unsigned long long)w.result,
		  (unsigned long long)sum);
	GT_ASSERT(gmt_sim_checksum(e.sfd, e.mem, BS, &h) == 0, "checksum");
	GT_EXPECT(h == gmt_fnv1a(e.mem, BS, GMT_FNV_BASIS), "checksum after async fills");
	env_close_no_leak(&e);
}

/* compute_ns is modelled, not slept: model_ns grows by compute_ns per block touched. */
GT_TEST(modelled_time)
{
	struct gmem_sim_launch l = { .op = GMEM_SIM_REDUCE, .len = 3 * BS,
				     .compute_ns = 1000000 };
	struct gmem_sim_wait w;
	struct env e;
	uint64_t before, jobs;
	double t0;

	env_open(&e, 3 * BS);
	l.x = (uintptr_t)e.mem;
	before = sim_counter("model_ns");
	jobs = sim_counter("jobs_done");
	t0 = gmt_now();
	GT_ASSERT(ioctl(e.sfd, GMEM_SIM_IOC_LAUNCH, &l) == 0, "launch");
	GT_ASSERT(gmt_sim_wait(e.sfd, l.seq, &w) == 0, "wait");
	GT_EXPECT(w.blocks_touched == 3, "touched %llu", (unsigned long long)w.blocks_touched);
	GT_EXPECT(sim_counter("model_ns") - before == 3 * 1000000ULL, "model_ns +%llu",
		  (unsigned long long)(sim_counter("model_ns") - before));
	GT_EXPECT(sim_counter("jobs_done") == jobs + 1, "jobs_done");
	gt_log("3 blocks, modelled 3 ms, wall %.1f ms", (gmt_now() - t0) * 1e3);
	env_close_no_leak(&e);
}

static void sim_clock_read(int sfd, struct gmem_sim_clock *c)
{
	GT_ASSERT(ioctl(sfd, GMEM_SIM_IOC_CLOCK, c) == 0, "GMEM_SIM_IOC_CLOCK: %s", strerror(errno));
}

/*
 * Streams: two REDUCE jobs of 4 resident blocks at 1 ms of compute each,
 * launched together on streams 0 and 1, run concurrently: each stream's
 * clock takes 4 ms, so the device time (the latest queue clock) grows by
 * less than the 8 ms the same jobs take one after the other on stream 0.
 * Both results are right; a stream past gmem_sim.streams is refused.
 */
GT_TEST(streams_run_concurrently)
{
	struct gmem_sim_launch l = { .op = GMEM_SIM_REDUCE, .len = 4 * BS, .compute_ns = 1000000 };
	uint64_t seq[2], sum, serial, together;
	struct gmem_sim_clock c0, c1;
	struct gmem_sim_wait w;
	struct env e;
	int i;

	env_open(&e, 8 * BS);
	gmt_fill_pat((uint32_t *)e.mem, 8 * BS / 4, 21);
	GT_ASSERT(gmt_sim_reduce(e.sfd, e.mem, 8 * BS, &sum) == 0, "make resident");

	sim_clock_read(e.sfd, &c0);
	for (i = 0; i < 2; i++) {
		l.x = (uintptr_t)(e.mem + i * 4 * BS);
		l.flags = GMEM_SIM_F_SYNC;
		GT_ASSERT(ioctl(e.sfd, GMEM_SIM_IOC_LAUNCH, &l) == 0, "serial launch %d", i);
		GT_ASSERT(gmt_sim_wait(e.sfd, l.seq, &w) == 0, "serial wait %d", i);
	}
	sim_clock_read(e.sfd, &c1);
	serial = c1.now_ns - c0.now_ns;

	c0 = c1;
	for (i = 0; i < 2; i++) {
		l.x = (uintptr_t)(e.mem + i * 4 * BS);
		l.flags = GMEM_SIM_F_STREAM(i);
		GT_ASSERT(ioctl(e.sfd, GMEM_SIM_IOC_LAUNCH, &l) == 0, "launch on stream %d", i);
		seq[i] = l.seq;
	}
	for (i = 0; i < 2; i++) {
		GT_ASSERT(gmt_sim_wait(e.sfd, seq[i], &w) == 0, "wait stream %d", i);
		GT_EXPECT(w.result == gmt_sum32((uint32_t *)(e.mem + i * 4 * BS), 4 * BS / 4),
			  "stream %d: REDUCE result differs from the CPU's", i);
		GT_EXPECT(w.dev_ns == 4000000, "stream %d: job took %llu ns on its clock", i,
			  (unsigned long long)w.dev_ns);
	}
	sim_clock_read(e.sfd, &c1);
	together = c1.now_ns - c0.now_ns;
	gt_log("device time: %llu ns one after the other, %llu ns on two streams",
	       (unsigned long long)serial, (unsigned long long)together);
	GT_EXPECT(serial == 8000000, "serial %llu ns", (unsigned long long)serial);
	GT_EXPECT(together >= 4000000 && together < serial, "two streams: %llu ns",
		  (unsigned long long)together);

	l.flags = GMEM_SIM_F_STREAM(7);		/* the default is 4 streams */
	GT_EXPECT(ioctl(e.sfd, GMEM_SIM_IOC_LAUNCH, &l) == -1 && errno == EINVAL,
		  "stream 7 of 4 accepted");
	env_close_no_leak(&e);
}

/* A file serves only its opener's mm; another process's ranges are out of reach. */
GT_TEST(fd_bound_to_opener)
{
	struct gmem_sim_wait w;
	struct env e;
	uint64_t h, h2;
	int status;
	pid_t pid;

	env_open(&e, BS);
	gmt_fill_pat((uint32_t *)e.mem, BS / 4, 11);
	h = gmt_fnv1a(e.mem, BS, GMT_FNV_BASIS);
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		int fd, bad = 0;

		bad |= gmt_sim_fill(e.sfd, e.mem, 64, 0) != -EBADF;
		bad |= (gmt_sim_wait(e.sfd, 1, &w) != -EBADF) << 1;
		fd = gmt_sim_open(0);
		bad |= (fd < 0) << 2;
		/* The parent's address, resolved in this process's mm. */
		bad |= (gmt_sim_fill(fd, e.mem, 64, 0) != -EFAULT) << 3;
		bad |= (gmt_sim_reduce(fd, e.mem, 64, &h2) != -EFAULT) << 4;
		_exit(bad);
	}
	GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	GT_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child check mask %#x",
		  WEXITSTATUS(status));
	GT_ASSERT(gmt_sim_checksum(e.sfd, e.mem, BS, &h2) == 0, "checksum");
	GT_EXPECT(h2 == h, "the parent's data changed");
	env_close_no_leak(&e);
}

/* Two files of one process share the device's view of it. */
GT_TEST(two_files_one_mm)
{
	struct env e;
	uint64_t sum;
	int fd2;

	env_open(&e, BS);
	fd2 = gmt_sim_open(0);
	GT_ASSERT(fd2 >= 0, "second open");
	GT_ASSERT(gmt_sim_fill(e.sfd, e.mem, BS, 2) == 0, "fill via fd 1");
	GT_ASSERT(gmt_sim_reduce(fd2, e.mem, BS, &sum) == 0, "reduce via fd 2");
	GT_EXPECT(sum == BS / 2, "sum %llu", (unsigned long long)sum);
	close(e.sfd);
	GT_ASSERT(gmt_sim_fill(fd2, e.mem, BS, 3) == 0, "fill after the other fd closed");
	GT_EXPECT(((uint32_t *)e.mem)[BS / 4 - 1] == 3, "CPU view");
	e.sfd = fd2;
	env_close_no_leak(&e);
}

/* Closing the file with jobs queued and running cancels them and returns. */
GT_TEST(close_with_jobs_in_flight)
{
	uint64_t jobs, seq;
	struct env e;
	double t0;
	int i;

	env_open(&e, 16 * BS);
	jobs = sim_counter("jobs_done");
	for (i = 0; i < 20; i++)
		GT_ASSERT(gmt_sim_launch(e.sfd, GMEM_SIM_FILL, 0, e.mem, NULL, 16 * BS, i, &seq) == 0,
			  "launch %d", i);
	t0 = gmt_now();
	close(e.sfd);
	gt_log("close with 20 jobs queued took %.1f ms", (gmt_now() - t0) * 1e3);
	GT_EXPECT(sim_counter("jobs_done") == jobs + 20, "close returned before its jobs ended");
	e.sfd = gmt_sim_open(0);
	GT_ASSERT(gmt_sim_fill(e.sfd, e.mem, 16 * BS, 77) == 0, "device usable after");
	GT_EXPECT(((uint32_t *)(e.mem + 4 * BS))[0] == 77, "data");
	env_close_no_leak(&e);
}

/* Injected HBM allocation failures fail or are absorbed, never corrupt data. */
GT_TEST(alloc_failure_injection)
{
	const char *knob = "/sys/module/gmem_sim/parameters/fail_alloc_every";
	struct env e;
	uint64_t v = 0, sum = 0;
	uint32_t *w;
	size_t j;
	int ret, i;

	env_open(&e, 4 * BS);
	w = (uint32_t *)e.mem;
	gmt_fill_pat(w, 4 * BS / 4, 5);
	GT_ASSERT(gmt_write_str(knob, "1") == 0, "set %s", knob);
	GT_ASSERT(gmt_read_u64(knob, &v) == 0 && v == 1, "knob readback");
	ret = gmt_sim_reduce(e.sfd, e.mem, 4 * BS, &sum);
	gt_log("REDUCE with every allocation failing: %d", ret);
	GT_EXPECT(ret == -ENOMEM || (ret == 0 && sum == gmt_sum32(w, 4 * BS / 4)),
		  "status %d", ret);
	GT_ASSERT(gmt_write_str(knob, "2") == 0, "set %s", knob);
	for (i = 0; i < 4; i++) {
		ret = gmt_sim_fill(e.sfd, e.mem + i * BS, BS, 0x100 + i);
		GT_EXPECT(ret == 0 || ret == -ENOMEM, "fill %d: %d", i, ret);
		/* A failed fault leaves the block as it was: the job stops before writing. */
		for (j = 0; j < BS / 4; j += 997) {
			uint32_t want = ret ? gmt_pat(5, i * (BS / 4) + j) : 0x100u + i;

			GT_EXPECT(w[i * (BS / 4) + j] == want, "block %d word %zu: %#x want %#x",
				  i, j, w[i * (BS / 4) + j], want);
		}
	}
	GT_ASSERT(gmt_write_str(knob, "0") == 0, "reset %s", knob);
	GT_ASSERT(gmt_sim_fill(e.sfd, e.mem, 4 * BS, 6) == 0, "fill with injection off");
	GT_ASSERT(gmt_sim_reduce(e.sfd, e.mem, 4 * BS, &sum) == 0, "reduce");
	GT_EXPECT(sum == 6ULL * BS, "sum %llu", (unsigned long long)sum);
	env_close_no_leak(&e);
}

/*
 * The device page table at 4 KiB blocks (sim_pt.c: leaf tables of 512
 * entries): an object of 1536 blocks spans at least three leaves at any
 * alignment. Every block is mapped on the device by faults (batched, with
 * the early zap of the CPU PTEs the CPU's writes made), unmapped by DONTNEED
 * and mapped again, and what the device sees is checked each time against
 * what the CPU wrote; then the CPU checks what the device wrote.
 */
GT_TEST(page_table_spans_leaves)
{
	const size_t len = 6 * GMT_MiB, n = len / 4, fill_from = GMT_MiB / 4 + 3;
	const size_t fill_n = 4 * GMT_MiB / 4;
	uint32_t *w, *ref = malloc(len);
	uint64_t h, leaves;
	int gfd, sfd;
	size_t i;

	GT_ASSERT(ref, "malloc");
	GT_ASSERT(gmt_setup(4096, 8, 1) == 0, "module reload failed");
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem: %d", gfd);
	sfd = gmt_sim_open(0);
	GT_ASSERT(sfd >= 0, "open /dev/gmem_sim0: %d", sfd);
	w = gmt_map_pat(gfd, len, 7);
	GT_ASSERT(w, "mmap %zu: %s", len, strerror(errno));
	gmt_fill_pat(ref, n, 7);

	GT_ASSERT(gmt_sim_checksum(sfd, w, len, &h) == 0, "checksum");
	GT_ASSERT(h == gmt_fnv1a(ref, len, GMT_FNV_BASIS), "the device read other data");
	leaves = sim_counter("pt_leaves");
	GT_EXPECT(leaves >= 3 && leaves <= 4, "%llu page-table leaves for 1536 blocks",
		  (unsigned long long)leaves);
	GT_ASSERT(gmt_sim_fill(sfd, w + fill_from, fill_n * 4, 0xabcd1234) == 0, "fill");
	for (i = fill_from; i < fill_from + fill_n; i++)
		ref[i] = 0xabcd1234;
	GT_ASSERT(gmt_advise(gfd, w, len, GMEM_ADV_DONTNEED, 0, 0) == 0, "DONTNEED: %s",
		  strerror(errno));
	GT_ASSERT(gmt_wait_copies(gfd) == 0, "write-backs never landed");
	GT_EXPECT(sim_counter("pt_leaves") == 0, "%llu leaves left with nothing mapped",
		  (unsigned long long)sim_counter("pt_leaves"));
	GT_ASSERT(gmt_sim_checksum(sfd, w, len, &h) == 0, "checksum after DONTNEED");
	GT_ASSERT(h == gmt_fnv1a(ref, len, GMT_FNV_BASIS), "the device read other data again");
	for (i = 0; i < n && w[i] == ref[i]; i++)
		;
	GT_ASSERT(i == n, "word %zu: CPU %#x, expected %#x", i, w[i], ref[i]);
	GT_ASSERT(munmap(w, len) == 0, "munmap");
	GT_EXPECT(sim_counter("pt_leaves") == 0, "%llu leaves left after munmap",
		  (unsigned long long)sim_counter("pt_leaves"));
	close(sfd);
	close(gfd);
	free(ref);
	GMT_ASSERT_NO_LEAK();
}

/*
 * A device page-table leaf is charged to the memory cgroup of the mm it
 * maps, as the mm's own page tables are, though a device worker maps it:
 * 512 blocks 2 MiB apart (4 KiB blocks) take a leaf each, 2 MiB in all,
 * and are freed when the blocks leave the device.
 */
GT_TEST(page_table_charged_to_the_mm)
{
	const size_t n = 512, stride = 2 * GMT_MiB, len = n * stride;
	struct gmem_sim_access *acc = calloc(n, sizeof(*acc));
	uint64_t leaves0, cur0, cur1, h;
	struct cg c;
	char *m;
	int gfd, sfd;
	size_t i;

	GT_ASSERT(acc, "calloc");
	GT_ASSERT(gmt_setup(4096, 8, 1) == 0, "module reload failed");
	cg_create(&c, "gmem-sim-pt", 1ULL << 30);
	cg_enter(&c);
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open /dev/gmem: %d", gfd);
	sfd = gmt_sim_open(0);
	GT_ASSERT(sfd >= 0, "open /dev/gmem_sim0: %d", sfd);
	m = gmt_map(gfd, len);
	GT_ASSERT(m, "mmap %zu: %s", len, strerror(errno));
	/* The CPU first: host pages and block metadata are charged before. */
	for (i = 0; i < n; i++) {
		m[i * stride] = (char)i;
		acc[i] = (struct gmem_sim_access){ .addr = (uintptr_t)m + i * stride, .len = 4 };
	}
	leaves0 = sim_counter("pt_leaves");
	cur0 = cg_u64(&c, "memory.current");
	GT_ASSERT(gmt_sim_run(sfd, GMEM_SIM_TRACE, acc, NULL, n, 0, &h) == 0, "TRACE");
	cur1 = cg_u64(&c, "memory.current");
	GT_EXPECT(sim_counter("pt_leaves") - leaves0 == n, "%llu leaves for %zu scattered blocks",
		  (unsigned long long)(sim_counter("pt_leaves") - leaves0), n);
	/* Half the leaves' 2 MiB: per-CPU charge batches may hide up to 512 KiB. */
	GT_EXPECT(cur1 >= cur0 + n * 4096 / 2, "memory.current %llu -> %llu KiB: leaves not charged",
		  (unsigned long long)cur0 >> 10, (unsigned long long)cur1 >> 10);
	GT_ASSERT(gmt_advise(gfd, m, len, GMEM_ADV_DONTNEED, 0, 0) == 0, "DONTNEED: %s",
		  strerror(errno));
	GT_ASSERT(gmt_wait_copies(gfd) == 0, "write-backs never landed");
	GT_EXPECT(sim_counter("pt_leaves") == leaves0, "%llu leaves left with nothing mapped",
		  (unsigned long long)(sim_counter("pt_leaves") - leaves0));
	GT_ASSERT(munmap(m, len) == 0, "munmap");
	close(sfd);
	close(gfd);
	free(acc);
	GT_ASSERT(gmt_write_str(CG_ROOT "/cgroup.procs", "0") == 0, "leave the cgroup");
	cg_destroy(&c);
	GMT_ASSERT_NO_LEAK();
}

GT_MAIN()
