// SPDX-License-Identifier: GPL-2.0
/*
 * bench_evict.c: the cost of one evicting device fault (issue 13), for
 * `gmem-bench -w evict`.
 *
 *   An object of oversub x HBM (default 2: HBM holds half of it) is filled by
 *   the CPU, then one TRACE job reads 4 bytes of every block in order: HBM
 *   fills and the first half of the object is evicted again. Then @windows
 *   TRACE jobs of @window blocks each, from that evicted first half, in a
 *   shuffled order (no read-ahead pattern), are timed one by one: each access
 *   is one device fault that copies a block in and evicts one (HBM is full).
 *   Per fault = job time / dev_faults of the job, checked against the
 *   evictions counter. The same windows at every size: only the number of
 *   resident blocks changes, so the ratio of two sizes shows whether the
 *   fault path depends on it.
 *
 * Times are guest CLOCK_MONOTONIC: under `vmtest/run.sh --icount` that clock
 * counts executed instructions (1 ns each).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench_run.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int trace_job(int sfd, struct gmem_sim_access *acc, uint64_t n)
{
	struct gmem_sim_launch l = { .op = GMEM_SIM_TRACE, .flags = GMEM_SIM_F_SYNC };
	struct gmem_sim_wait w = { 0 };

	l.x = (uintptr_t)acc;
	l.len = n;
	if (ioctl(sfd, GMEM_SIM_IOC_LAUNCH, &l))
		return -errno;
	w.seq = l.seq;
	if (ioctl(sfd, GMEM_SIM_IOC_WAIT, &w))
		return -errno;
	return (int)w.status;
}

static int stats(int gfd, char *base, struct gmem_stats *st)
{
	struct gmem_obj_info oi = { .addr = (uintptr_t)base };

	if (ioctl(gfd, GMEM_IOC_OBJ_INFO, &oi))
		return -errno;
	*st = oi.stats;
	return 0;
}

int bench_evict(const struct bench_env *env, double oversub, uint32_t window,
		uint32_t windows, struct bench_evict_out *out)
{
	uint64_t bs = env->block_size, nr = (uint64_t)(oversub * env->hbm_blocks);
	struct gmem_sim_access *acc = NULL;
	struct gmem_stats s0, s1;
	uint64_t i, w, seed = 12345;
	char path[64], *base = MAP_FAILED;
	int gfd, sfd = -1, err;

	memset(out, 0, sizeof(*out));
	if (nr <= env->hbm_blocks || (uint64_t)window * windows > nr - env->hbm_blocks)
		return -EINVAL;
	out->blocks = nr;
	gfd = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (gfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/gmem_sim%u", env->sim_index);
	sfd = open(path, O_RDWR | O_CLOEXEC);
	acc = calloc(nr, sizeof(*acc));
	base = mmap(NULL, nr * bs, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);
	err = -ENOMEM;
	if (sfd < 0 || !acc || base == MAP_FAILED)
		goto out;
	for (i = 0; i < nr; i++)
		base[i * bs] = (char)i;
	for (i = 0; i < nr; i++)
		acc[i] = (struct gmem_sim_access){ .addr = (uintptr_t)base + i * bs, .len = 4 };
	err = trace_job(sfd, acc, nr);		/* fill HBM, evict the first half */
	if (err)
		goto out;
	for (w = 0; w < windows; w++) {
		struct gmem_sim_access *a = acc + (uint64_t)w * window;
		double t0, t;

		for (i = window - 1; i > 0; i--) {	/* Fisher-Yates, fixed seed */
			struct gmem_sim_access tmp = a[i];
			uint64_t j;

			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			j = (seed >> 33) % (i + 1);
			a[i] = a[j];
			a[j] = tmp;
		}
		err = stats(gfd, base, &s0);
		if (err)
			goto out;
		t0 = now_s();
		err = trace_job(sfd, a, window);
		t = now_s() - t0;
		if (!err)
			err = stats(gfd, base, &s1);
		if (err)
			goto out;
		out->faults += s1.dev_faults - s0.dev_faults;
		out->evictions += s1.evictions - s0.evictions;
		out->h2d_blocks += s1.h2d_blocks - s0.h2d_blocks;
		out->secs += t;
	}
	err = 0;
out:
	if (base != MAP_FAILED)
		munmap(base, nr * bs);
	free(acc);
	if (sfd >= 0)
		close(sfd);
	close(gfd);
	return err;
}
