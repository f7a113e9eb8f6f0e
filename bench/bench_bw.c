// SPDX-License-Identifier: GPL-2.0
/*
 * bench_bw.c: migration bandwidth against a plain memcpy of the same bytes
 * in the same guest, so the VM's copy speed is known when reading wall times.
 *
 *   h2d: a TRACE job that writes 4 bytes of every block of a host-filled
 *        range that fits HBM: each access is one fault and one block copy in.
 *        A write, so that every block is dirty: a block the device only read
 *        is dropped when it leaves, with no copy to time.
 *   d2h: GMEM_ADV_DONTNEED on the range: every (dirty) block is copied back.
 *        The hint returns once the write-backs are queued on the device's
 *        copy engines (gmem_sim.async_copies): the time runs until the
 *        object's `inflight` counter is back to 0, when every byte is home.
 *   hint h2d: GMEM_ADV_WILLNEED of the range, now on the host, to the
 *        device: the same copies in as h2d without a device fault per block,
 *        timed until nothing is in flight, as d2h.
 *   memcpy: the same number of bytes between two pre-faulted anonymous buffers.
 *   kernel reference (ref_h2d/ref_d2h): the simulated device's sysfs copy_ref,
 *        the kernel copy primitive of the migration ops (memcpy_from_page /
 *        memcpy_to_page of each page of each block, host pages <-> a vmalloc
 *        area like HBM) over the same number of bytes, timed in the kernel.
 *
 * Single process, no locking.
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

static int ioctl_err(int fd, unsigned long cmd, void *arg, const char *what)
{
	if (!ioctl(fd, cmd, arg))
		return 0;
	fprintf(stderr, "gmem-bench: %s: %s\n", what, strerror(errno));
	return -errno;
}

static int touch_all_blocks(int sfd, char *base, uint64_t blocks, uint64_t bs)
{
	struct gmem_sim_access *acc = calloc(blocks, sizeof(*acc));
	struct gmem_sim_launch l = { .op = GMEM_SIM_TRACE, .flags = GMEM_SIM_F_SYNC };
	struct gmem_sim_wait w = { 0 };
	uint64_t i;
	int err;

	if (!acc)
		return -ENOMEM;
	for (i = 0; i < blocks; i++)
		acc[i] = (struct gmem_sim_access){ .addr = (uintptr_t)base + i * bs, .len = 4,
						   .write = 1 };
	l.x = (uintptr_t)acc;
	l.len = blocks;
	err = ioctl_err(sfd, GMEM_SIM_IOC_LAUNCH, &l, "TRACE launch");
	if (!err) {
		w.seq = l.seq;
		err = ioctl_err(sfd, GMEM_SIM_IOC_WAIT, &w, "TRACE wait");
	}
	if (!err && w.status) {
		fprintf(stderr, "gmem-bench: TRACE job: %s\n", strerror((int)-w.status));
		err = (int)w.status;
	}
	free(acc);
	return err;
}

static int time_memcpy(size_t bytes, double *secs)
{
	char *src = malloc(bytes), *dst = malloc(bytes);
	double t0;

	if (!src || !dst) {
		free(src);
		free(dst);
		return -ENOMEM;
	}
	/* Fault both in first: only the copy is timed, as for migrations. */
	memset(src, 0x5a, bytes);
	memset(dst, 0, bytes);
	t0 = now_s();
	memcpy(dst, src, bytes);
	*secs = now_s() - t0;
	/* Keep the copy observable so it cannot be elided. */
	if (dst[bytes - 1] != 0x5a)
		*secs = -1;
	free(src);
	free(dst);
	return *secs < 0 ? -EIO : 0;
}

/* The kernel reference copy; leaves ref_bytes 0 when it cannot be read. */
static void kernel_ref(const struct bench_env *env, struct bench_bw *out)
{
	unsigned long long bytes, h2d_ns, d2h_ns;
	char path[80];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/gmem_sim%u/copy_ref", env->sim_index);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fscanf(f, "%llu %llu %llu", &bytes, &h2d_ns, &d2h_ns) == 3 && h2d_ns && d2h_ns) {
		out->ref_bytes = bytes;
		out->ref_h2d_s = (double)h2d_ns * 1e-9;
		out->ref_d2h_s = (double)d2h_ns * 1e-9;
	}
	fclose(f);
}

static int obj_stats(int gfd, char *base, struct gmem_stats *st)
{
	struct gmem_obj_info oi = { .addr = (uintptr_t)base };
	int err = ioctl_err(gfd, GMEM_IOC_OBJ_INFO, &oi, "OBJ_INFO");

	*st = oi.stats;
	return err;
}

/* Give the hint @adv and wait until none of its copies is in flight. */
static int advise_and_drain(int gfd, char *base, struct gmem_advise *adv, const char *what,
			    struct gmem_stats *after)
{
	int err = ioctl_err(gfd, GMEM_IOC_ADVISE, adv, what);

	/* Sleeping between polls: a busy loop would take CPU from the copies. */
	while (!err && !(err = obj_stats(gfd, base, after)) && after->inflight)
		usleep(50);
	return err;
}

static int measure(int gfd, int sfd, const struct bench_env *env, char *base,
		   uint64_t blocks, struct bench_bw *out)
{
	struct gmem_advise dontneed = {
		.addr = (uintptr_t)base, .len = blocks * env->block_size,
		.advice = GMEM_ADV_DONTNEED,
	};
	struct gmem_advise willneed = dontneed;
	struct gmem_stats s0, s1, s2, s3;
	double t0, t1, t2, t3;
	int err;

	memset(base, 0xa5, out->bytes);
	err = obj_stats(gfd, base, &s0);
	if (err)
		return err;
	t0 = now_s();
	err = touch_all_blocks(sfd, base, blocks, env->block_size);
	t1 = now_s();
	if (!err)
		err = obj_stats(gfd, base, &s1);
	if (!err)
		err = advise_and_drain(gfd, base, &dontneed, "ADVISE DONTNEED", &s2);
	t2 = now_s();
	willneed.advice = GMEM_ADV_WILLNEED;
	willneed.dev = env->dev_id;
	if (!err)
		err = advise_and_drain(gfd, base, &willneed, "ADVISE WILLNEED", &s3);
	t3 = now_s();
	if (err)
		return err;
	out->h2d_s = t1 - t0;
	out->d2h_s = t2 - t1;
	out->hint_h2d_s = t3 - t2;
	out->h2d_blocks = s1.h2d_blocks - s0.h2d_blocks;
	out->d2h_blocks = s2.d2h_blocks - s1.d2h_blocks;
	out->hint_h2d_blocks = s3.h2d_blocks - s2.h2d_blocks;
	/* Anything but one copy per block each way would make the rates meaningless. */
	if (out->h2d_blocks != blocks || out->d2h_blocks != blocks ||
	    out->hint_h2d_blocks != blocks) {
		fprintf(stderr, "gmem-bench: bandwidth run moved %llu in / %llu out / %llu in by"
			" hint, expected %llu\n", (unsigned long long)out->h2d_blocks,
			(unsigned long long)out->d2h_blocks,
			(unsigned long long)out->hint_h2d_blocks, (unsigned long long)blocks);
		return -EIO;
	}
	return time_memcpy(out->bytes, &out->memcpy_s);
}

int bench_bandwidth(const struct bench_env *env, uint64_t blocks, struct bench_bw *out)
{
	char path[64], *base;
	int gfd, sfd, err;

	memset(out, 0, sizeof(*out));
	if (!blocks || blocks > env->hbm_blocks)
		return -EINVAL;
	out->bytes = blocks * env->block_size;
	gfd = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	if (gfd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/gmem_sim%u", env->sim_index);
	sfd = open(path, O_RDWR | O_CLOEXEC);
	if (sfd < 0) {
		err = -errno;
		goto out_gfd;
	}
	base = mmap(NULL, out->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto out_sfd;
	}
	err = measure(gfd, sfd, env, base, blocks, out);
	munmap(base, out->bytes);
	if (!err)
		kernel_ref(env, out);
out_sfd:
	close(sfd);
out_gfd:
	close(gfd);
	return err;
}
