// SPDX-License-Identifier: GPL-2.0
/*
 * test_core: the core's residency management seen through the simulated
 * devices, checked by content: the CPU writes, devices compute, the CPU reads
 * the right answer, under HBM oversubscription, with two devices and the CPU
 * taking turns, and with several processes at once.
 */
#include <pthread.h>
#include "gtest.h"
#include "gmem_test_util.h"

#define MiB	GMT_MiB

static void no_leak(void)
{
	GMT_ASSERT_NO_LEAK();
}

static uint32_t axpy_ref(int32_t a, uint64_t i)
{
	return (uint32_t)a * gmt_pat(1, i) + gmt_pat(2, i);
}

/*
 * x and y fill @num/@den of HBM together. The CPU writes both, device 0
 * computes y = a*x + y and sums y, and the CPU checks every word.
 */
static void axpy_reduce_oversub(uint64_t bs, unsigned int hbm_mb, unsigned int num,
				unsigned int den)
{
	size_t total = (size_t)hbm_mb * MiB * num / den, n = total / 8, i;
	struct gmem_obj_info oi;
	uint64_t sum, want = 0;
	uint32_t *x, *y;
	int gfd, sfd;
	double t0 = gmt_now();

	GT_ASSERT(gmt_setup(bs, hbm_mb, 2) == 0, "module reload");
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open: %d %d", gfd, sfd);
	x = gmt_map(gfd, total);
	GT_ASSERT(x, "mmap %zu: %s", total, strerror(errno));
	y = x + n;
	gmt_fill_pat(x, n, 1);
	gmt_fill_pat(y, n, 2);

	GT_ASSERT(gmt_sim_run(sfd, GMEM_SIM_AXPY, x, y, n * 4, (uint64_t)-7, NULL) == 0, "axpy");
	GT_ASSERT(gmt_sim_reduce(sfd, y, n * 4, &sum) == 0, "reduce");
	for (i = 0; i < n; i++)
		want += axpy_ref(-7, i);
	GT_EXPECT(sum == want, "device sum %llu, expected %llu", (unsigned long long)sum,
		  (unsigned long long)want);
	GT_ASSERT(gmt_obj_info(gfd, x, &oi) == 0, "obj info");
	for (i = 0; i < n; i++)
		GT_ASSERT(y[i] == axpy_ref(-7, i), "y[%zu] = %#x, want %#x", i, y[i], axpy_ref(-7, i));
	GT_ASSERT(gmt_check_pat(x, n, 1) < 0, "x changed at word %ld", gmt_check_pat(x, n, 1));

	gt_log("%zu KiB on %u MiB HBM, %llu KiB blocks: dev faults %llu h2d %llu d2h %llu evictions %llu, %.2f s",
	       total >> 10, hbm_mb, (unsigned long long)bs >> 10,
	       (unsigned long long)oi.stats.dev_faults, (unsigned long long)oi.stats.h2d_blocks,
	       (unsigned long long)oi.stats.d2h_blocks, (unsigned long long)oi.stats.evictions,
	       gmt_now() - t0);
	/* Every block went to the device; only an oversubscribed HBM evicts. */
	GT_EXPECT(oi.stats.h2d_blocks >= total / bs, "h2d %llu", (unsigned long long)oi.stats.h2d_blocks);
	if (num > den)
		GT_EXPECT(oi.stats.evictions > 0, "no evictions at %u/%u", num, den);
	else
		GT_EXPECT(oi.stats.evictions == 0, "%llu evictions at %u/%u",
			  (unsigned long long)oi.stats.evictions, num, den);
	GT_ASSERT(munmap(x, total) == 0, "munmap");
	close(sfd);
	close(gfd);
	no_leak();
}

GT_TEST(oversub_2m_half) { axpy_reduce_oversub(2 * MiB, 8, 1, 2); }
GT_TEST(oversub_2m_1x)   { axpy_reduce_oversub(2 * MiB, 8, 1, 1); }
GT_TEST(oversub_2m_2x)   { axpy_reduce_oversub(2 * MiB, 8, 2, 1); }
GT_TEST(oversub_2m_4x)   { axpy_reduce_oversub(2 * MiB, 8, 4, 1); }
GT_TEST(oversub_4k_half) { axpy_reduce_oversub(4096, 2, 1, 2); }
GT_TEST(oversub_4k_1x)   { axpy_reduce_oversub(4096, 2, 1, 1); }
GT_TEST(oversub_4k_2x)   { axpy_reduce_oversub(4096, 2, 2, 1); }
GT_TEST(oversub_4k_4x)   { axpy_reduce_oversub(4096, 2, 4, 1); }

/*
 * Device 0, device 1 and the CPU take turns updating the same range from a
 * source the CPU also changes; after every turn the other two check what
 * they read against a shadow copy. Range and source together are 1.5x HBM.
 */
GT_TEST(devices_and_cpu_take_turns)
{
	const size_t len = 6 * MiB, n = len / 4;
	uint32_t *r, *s, *shadow;
	int gfd, sfd[2], turn, k;
	uint64_t h, want;
	size_t i;

	GT_ASSERT(gmt_setup(2 * MiB, 8, 2) == 0, "module reload");
	gfd = gmt_open_gmem();
	sfd[0] = gmt_sim_open(0);
	sfd[1] = gmt_sim_open(1);
	GT_ASSERT(gfd >= 0 && sfd[0] >= 0 && sfd[1] >= 0, "open");
	r = gmt_map(gfd, len);
	s = gmt_map(gfd, len);
	shadow = malloc(len);
	GT_ASSERT(r && s && shadow, "mmap/malloc");
	gmt_fill_pat(r, n, 3);
	gmt_fill_pat(s, n, 4);
	memcpy(shadow, r, len);

	for (turn = 0; turn < 6; turn++) {
		int who = turn % 3;	/* 0, 1: that device; 2: the CPU */

		if (who < 2) {
			GT_ASSERT(gmt_sim_run(sfd[who], GMEM_SIM_AXPY, s, r, len, turn + 2, NULL) == 0,
				  "turn %d: device %d axpy", turn, who);
			for (i = 0; i < n; i++)
				shadow[i] = (uint32_t)(turn + 2) * s[i] + shadow[i];
		} else {
			for (i = 0; i < n; i++) {
				r[i] = r[i] * 7 + turn;
				shadow[i] = shadow[i] * 7 + turn;
				s[i] ^= (uint32_t)i * turn;	/* the source moves too */
			}
		}
		want = gmt_fnv1a(shadow, len, GMT_FNV_BASIS);
		for (k = 0; k < 2; k++) {
			if (k == who)
				continue;
			GT_ASSERT(gmt_sim_checksum(sfd[k], r, len, &h) == 0, "checksum on %d", k);
			GT_ASSERT(h == want, "turn %d: device %d reads stale data", turn, k);
		}
		if (who != 2)
			GT_ASSERT(memcmp(r, shadow, len) == 0, "turn %d: the CPU reads stale data", turn);
	}
	free(shadow);
	munmap(r, len);
	munmap(s, len);
	close(sfd[0]);
	close(sfd[1]);
	close(gfd);
	no_leak();
}

/*
 * Several processes, each with its own ranges on both devices, at once. A
 * child cannot reach the parent's range (the mapping is not inherited and
 * device addresses resolve in the caller's mm); nobody sees another's data.
 */
#define NCHILD 3
static int child_work(int k, void *parent_range)
{
	size_t len = 4 * MiB, n = len / 4, i;
	uint64_t sum;
	uint32_t *c;
	int gfd, sfd, round;

	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(k % 2);
	if (gfd < 0 || sfd < 0)
		return 10;
	/* Before mapping anything here, so the address cannot be ours. */
	if (gmt_sim_reduce(sfd, parent_range, 4096, &sum) != -EFAULT)
		return 11;
	if (gmt_sim_fill(sfd, parent_range, 4096, 0xbad) != -EFAULT)
		return 12;
	c = gmt_map(gfd, len);
	if (!c)
		return 13;
	for (round = 0; round < 4; round++) {
		uint32_t v = 1000 * (k + 1) + round;

		if (gmt_sim_fill(sfd, c, len, v))
			return 14;
		for (i = 0; i < n; i += 1021)
			if (c[i] != v)
				return 15;
		c[7] = v + 1;		/* the CPU writes, the device must see it */
		if (gmt_sim_reduce(sfd, c, len, &sum) || sum != (uint64_t)v * n + 1)
			return 16;
	}
	munmap(c, len);
	return 0;
}

GT_TEST(processes_are_isolated)
{
	const size_t len = 4 * MiB, n = len / 4;
	pid_t pids[NCHILD];
	int gfd, sfd, k, status, fails = 0;
	uint64_t h;
	uint32_t *p;

	GT_ASSERT(gmt_setup(2 * MiB, 8, 2) == 0, "module reload");
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	p = gmt_map(gfd, len);
	GT_ASSERT(p, "mmap");
	gmt_fill_pat(p, n, 9);
	GT_ASSERT(gmt_sim_fill(sfd, p, 4096, 0x5a5a5a5a) == 0, "parent fill");
	for (k = 0; k < NCHILD; k++) {
		pids[k] = fork();
		GT_ASSERT(pids[k] >= 0, "fork");
		if (pids[k] == 0)
			_exit(child_work(k, p));
	}
	/* The parent keeps working on device 0 while the children run. */
	for (k = 0; k < 3; k++)
		GT_ASSERT(gmt_sim_run(sfd, GMEM_SIM_AXPY, p + n / 2, p, len / 2, 1, NULL) == 0,
			  "parent axpy");
	for (k = 0; k < NCHILD; k++) {
		GT_ASSERT(waitpid(pids[k], &status, 0) == pids[k], "waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			gt_log("child %d failed: status %#x", k, status);
			fails++;
		}
	}
	GT_EXPECT(!fails, "%d children failed", fails);
	/* Parent data: 4096 bytes of 0x5a5a5a5a, then pattern, plus 3x the upper half. */
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t base = i < 1024 ? 0x5a5a5a5a : gmt_pat(9, i);
		uint32_t want = base + 3 * gmt_pat(9, i + n / 2);

		GT_ASSERT(p[i] == want, "parent word %zu = %#x, want %#x", i, p[i], want);
	}
	GT_ASSERT(gmt_sim_checksum(sfd, p, len, &h) == 0, "checksum");
	GT_EXPECT(h == gmt_fnv1a(p, len, GMT_FNV_BASIS), "device and CPU disagree");
	munmap(p, len);
	close(sfd);
	close(gfd);
	no_leak();
}

/*
 * Both devices sweep the same 4x-HBM range at once (each fault may take a
 * block from the other device), while a third thread sums a private range
 * on device 1: the built-in policy must neither deadlock nor lose data.
 */
struct sweeper {
	int sfd, rounds, bad;
	const uint32_t *p;
	size_t len;
	uint64_t want;
};

static void *sweep(void *arg)
{
	struct sweeper *sw = arg;
	uint64_t sum;
	int i;

	for (i = 0; i < sw->rounds; i++)
		if (gmt_sim_reduce(sw->sfd, sw->p, sw->len, &sum) || sum != sw->want)
			sw->bad++;
	return NULL;
}

GT_TEST(two_devices_share_4x_working_set)
{
	const size_t len = 32 * MiB, n = len / 4;
	struct sweeper sw[3];
	pthread_t th[3];
	uint32_t *p, *q;
	int gfd, i;

	GT_ASSERT(gmt_setup(2 * MiB, 8, 2) == 0, "module reload");
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	p = gmt_map(gfd, len);
	q = gmt_map(gfd, 2 * MiB);
	GT_ASSERT(p && q, "mmap");
	gmt_fill_pat(p, n, 21);
	gmt_fill_pat(q, 2 * MiB / 4, 22);
	for (i = 0; i < 3; i++) {
		sw[i] = (struct sweeper){ .sfd = gmt_sim_open(i == 0 ? 0 : 1), .rounds = 2,
					  .p = i < 2 ? p : q, .len = i < 2 ? len : 2 * MiB };
		GT_ASSERT(sw[i].sfd >= 0, "open sim");
		sw[i].want = gmt_sum32(sw[i].p, sw[i].len / 4);
		if (i == 2)
			sw[i].rounds = 6;
	}
	for (i = 0; i < 3; i++)
		GT_ASSERT(pthread_create(&th[i], NULL, sweep, &sw[i]) == 0, "thread");
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		GT_EXPECT(!sw[i].bad, "sweeper %d: %d wrong sums", i, sw[i].bad);
		close(sw[i].sfd);
	}
	GT_EXPECT(gmt_check_pat(p, n, 21) < 0, "data changed at word %ld", gmt_check_pat(p, n, 21));
	munmap(p, len);
	munmap(q, 2 * MiB);
	close(gfd);
	no_leak();
}

/*
 * Random reads and writes of both devices and the CPU over 4x HBM, checked
 * against a shadow copy: the TRACE result hashes every byte the device read,
 * so a single stale or lost byte anywhere shows up. Records come in runs of
 * @run within one block (locality, as real kernels have), so that 2 MiB
 * blocks do not turn every record into a 2 MiB migration under TCG.
 */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_trace(uint64_t bs, unsigned int hbm_mb, unsigned int nrec, unsigned int run)
{
	const size_t len = (size_t)hbm_mb * MiB * 4;
	const unsigned int rounds = 6;
	struct gmem_sim_access *recs;
	uint64_t rng = 0x1234567, res, h, blk = 0;
	uint8_t *p, *shadow;
	unsigned int r, i, k;
	int gfd, sfd[2];
	double t0 = gmt_now();

	GT_ASSERT(gmt_setup(bs, hbm_mb, 2) == 0, "module reload");
	gfd = gmt_open_gmem();
	sfd[0] = gmt_sim_open(0);
	sfd[1] = gmt_sim_open(1);
	GT_ASSERT(gfd >= 0 && sfd[0] >= 0 && sfd[1] >= 0, "open");
	p = gmt_map(gfd, len);
	shadow = calloc(1, len);
	recs = calloc(nrec, sizeof(*recs));
	GT_ASSERT(p && shadow && recs, "mmap/calloc");

	for (r = 0; r < rounds; r++) {
		h = GMT_FNV_BASIS;
		for (i = 0; i < nrec; i++) {
			uint32_t off = rng_next(&rng) % bs, n, max = bs - off < 256 ? bs - off : 256;
			uint8_t *s;

			if (i % run == 0)
				blk = rng_next(&rng) % (len / bs);
			n = 1 + rng_next(&rng) % max;
			s = shadow + blk * bs + off;
			recs[i] = (struct gmem_sim_access){ (uintptr_t)p + blk * bs + off, n,
							    rng_next(&rng) % 3 == 0 };
			if (recs[i].write)
				for (k = 0; k < n; k++)
					s[k] = (uint8_t)(i + k);
			else
				h = gmt_fnv1a(s, n, h);
		}
		GT_ASSERT(gmt_sim_run(sfd[r % 2], GMEM_SIM_TRACE, recs, NULL, nrec, 0, &res) == 0,
			  "round %u: trace", r);
		GT_ASSERT(res == h, "round %u: device %u read stale data", r, r % 2);
		/* The CPU writes a few bytes in random blocks between rounds. */
		for (i = 0; i < 16; i++) {
			size_t at = rng_next(&rng) % len;

			p[at] = shadow[at] = (uint8_t)rng_next(&rng);
		}
	}
	GT_ASSERT(memcmp(p, shadow, len) == 0, "the CPU reads stale data");
	gt_log("%u rounds of %u records on %llu KiB blocks: %.2f s", rounds, nrec,
	       (unsigned long long)bs >> 10, gmt_now() - t0);
	free(recs);
	free(shadow);
	munmap(p, len);
	close(sfd[0]);
	close(sfd[1]);
	close(gfd);
	no_leak();
}

GT_TEST(random_trace_4x_2m) { random_trace(2 * MiB, 8, 400, 40); }
GT_TEST(random_trace_4x_4k) { random_trace(4096, 1, 4000, 1); }

GT_MAIN()
