/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem_test_util.h: helpers shared by the in-guest C tests.
 *
 * Unified memory comes from mmap() of /dev/gmem; device work is launched on
 * /dev/gmem_simN (the simulated accelerator). Every helper returns 0 or a
 * negative errno, so tests can assert on the exact error. Everything is
 * static inline: a test includes what it uses without unused-function noise.
 */
#ifndef GMEM_TEST_UTIL_H
#define GMEM_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/gmem.h>

#define GMT_MODDIR	"/gmem/modules"
#define GMT_LIVE	"/sys/kernel/debug/gmem/live"
#define GMT_MiB		(1024UL * 1024)
#define GMT_FNV_BASIS	0xcbf29ce484222325ULL
#define GMT_FNV_PRIME	0x100000001b3ULL

static inline int gmt_err(int ret)
{
	return ret < 0 ? -errno : ret;
}

/* ------------------------------------------------------------ modules */

/*
 * Reload both modules with the given parameters (NULL or "" for defaults),
 * e.g. gmt_reload("block_size=4096", "hbm_mb=2"). Needs every gmem and
 * gmem_sim fd of the whole system closed.
 */
static inline int gmt_reload(const char *core_params, const char *sim_params)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "gmem-modules reload %s -- %s >&2",
		 core_params ? core_params : "", sim_params ? sim_params : "");
	return system(cmd) == 0 ? 0 : -EIO;
}

/* delete_module(2) without waiting: -EWOULDBLOCK while the module is in use. */
static inline int gmt_rmmod(const char *name)
{
	return gmt_err(syscall(SYS_delete_module, name, O_NONBLOCK));
}

static inline int gmt_insmod(const char *file, const char *params)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = gmt_err(syscall(SYS_finit_module, fd, params ? params : "", 0));
	close(fd);
	return ret;
}

static inline int gmt_read_u64(const char *path, uint64_t *val)
{
	unsigned long long v;
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &v) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*val = v;
	return 0;
}

static inline int gmt_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Make sure the modules run with @block_size bytes per block, @hbm_mb MiB
 * of HBM and @nr devices, reloading only if needed.
 */
/* Does the loaded gmem_sim offer dirty bits (gmem_sim.dirty_bits, Y by default)? */
static inline bool gmt_sim_dirty_bits(void)
{
	char c = 0;
	FILE *f = fopen("/sys/module/gmem_sim/parameters/dirty_bits", "r");

	if (f) {
		c = (char)fgetc(f);
		fclose(f);
	}
	return c == 'Y';
}

#define GMT_SIM_FAULT_BATCH	"/sys/module/gmem_sim/parameters/fault_batch"
/* gmem_sim.fault_batch as the module loads it (sim_jobs.c). */
#define GMT_FAULT_BATCH_DEFAULT	32

/*
 * Set gmem_sim.fault_batch, the TRACE records the device has in flight:
 * 1 delivers every device fault alone, which tests that count faults,
 * evictions or prefetches access by access need (with records in flight,
 * the faults of a window reach the policy before the hits ahead of them).
 * gmt_setup() puts the default back.
 */
static inline int gmt_set_fault_batch(unsigned int n)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", n);
	return gmt_write_str(GMT_SIM_FAULT_BATCH, v);
}

static inline int gmt_setup(uint64_t block_size, unsigned int hbm_mb, unsigned int nr)
{
	uint64_t bs = 0, mb = 0, n = 0, fb = 0;
	char core[64], sim[64];

	gmt_read_u64("/sys/module/gmem/parameters/block_size", &bs);
	gmt_read_u64("/sys/module/gmem_sim/parameters/hbm_mb", &mb);
	gmt_read_u64("/sys/module/gmem_sim/parameters/nr_devices", &n);
	gmt_read_u64(GMT_SIM_FAULT_BATCH, &fb);
	/* A test that loaded the sim without dirty bits gets the default back. */
	if (bs == block_size && mb == hbm_mb && n == nr && gmt_sim_dirty_bits()) {
		/* So does one that set another fault window. */
		if (fb != GMT_FAULT_BATCH_DEFAULT)
			return gmt_set_fault_batch(GMT_FAULT_BATCH_DEFAULT);
		return 0;
	}
	snprintf(core, sizeof(core), "block_size=%llu", (unsigned long long)block_size);
	snprintf(sim, sizeof(sim), "hbm_mb=%u nr_devices=%u", hbm_mb, nr);
	return gmt_reload(core, sim);
}

/* The core's block size (module parameter gmem.block_size). */
static inline uint64_t gmt_block_size(void)
{
	uint64_t bs = 0;

	if (gmt_read_u64("/sys/module/gmem/parameters/block_size", &bs))
		return 0;
	return bs;
}

/* A sysfs counter of /dev/gmem_simN (gmem_id, faults, jobs_done, ...). */
static inline int gmt_sim_attr(unsigned int n, const char *attr, uint64_t *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/gmem_sim%u/%s", n, attr);
	return gmt_read_u64(path, val);
}

/* The core's device id of /dev/gmem_simN, or -errno. */
static inline int gmt_sim_gmem_id(unsigned int n)
{
	uint64_t id = 0;
	int ret = gmt_sim_attr(n, "gmem_id", &id);

	return ret ? ret : (int)id;
}

/* --------------------------------------------------------- leak accounting */

struct gmt_live {
	long objects, host_pages, dev_blocks;
};

/* Parse /sys/kernel/debug/gmem/live ("objects N", "host_pages N", "dev_blocks N"). */
static inline int gmt_live_read(struct gmt_live *l)
{
	char key[32];
	long val;
	int seen = 0;
	FILE *f = fopen(GMT_LIVE, "r");

	if (!f)
		return -errno;
	memset(l, 0, sizeof(*l));
	while (fscanf(f, " %31[a-z_] %ld", key, &val) == 2) {
		if (!strcmp(key, "objects"))
			l->objects = val, seen |= 1;
		else if (!strcmp(key, "host_pages"))
			l->host_pages = val, seen |= 2;
		else if (!strcmp(key, "dev_blocks"))
			l->dev_blocks = val, seen |= 4;
	}
	fclose(f);
	return seen == 7 ? 0 : -EINVAL;
}

/*
 * Wait up to @ms for the core to report nothing live (objects are freed by
 * their last reference, which a device job or an exiting process may drop
 * a little later). Returns 0, or -EBUSY with @l holding the last reading.
 */
static inline int gmt_live_wait_zero(struct gmt_live *l, int ms)
{
	int ret;

	for (;;) {
		ret = gmt_live_read(l);
		if (ret)
			return ret;
		if (!l->objects && !l->host_pages && !l->dev_blocks)
			return 0;
		if (ms <= 0)
			return -EBUSY;
		usleep(20 * 1000);
		ms -= 20;
	}
}

/* For gtest.h users: fail the test unless nothing is left live within 2 s. */
#define GMT_ASSERT_NO_LEAK() do {						\
	struct gmt_live l_;							\
	GT_ASSERT(gmt_live_wait_zero(&l_, 2000) == 0,				\
		  "leak: objects %ld host_pages %ld dev_blocks %ld",		\
		  l_.objects, l_.host_pages, l_.dev_blocks);			\
} while (0)

/* ------------------------------------------------------------- /dev/gmem */

static inline int gmt_open_gmem(void)
{
	int fd = open("/dev/gmem", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* A unified mapping of @len bytes, or NULL with errno set. */
static inline void *gmt_map(int gfd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, gfd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline int gmt_obj_info(int gfd, const void *addr, struct gmem_obj_info *oi)
{
	memset(oi, 0, sizeof(*oi));
	oi->addr = (uintptr_t)addr;
	return gmt_err(ioctl(gfd, GMEM_IOC_OBJ_INFO, oi));
}

static inline int gmt_dev_info(int gfd, unsigned int id, struct gmem_dev_info *di)
{
	memset(di, 0, sizeof(*di));
	di->id = id;
	return gmt_err(ioctl(gfd, GMEM_IOC_DEV_INFO, di));
}

/*
 * Wait (up to 5 s) until no copy is in flight anywhere: a hint or an
 * eviction returns with its copies queued on the copy engines, and the
 * `inflight` level drops as they land. Snapshots that must compare equal
 * are taken after this. 0, or -ETIMEDOUT.
 */
static inline int gmt_wait_copies(int gfd)
{
	struct gmem_stats t;
	int i;

	for (i = 0; i < 5000; i++) {
		if (ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &t))
			return -errno;
		if (!t.inflight)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static inline int gmt_advise(int gfd, const void *addr, uint64_t len, uint32_t advice,
			     uint32_t dev, uint64_t value)
{
	struct gmem_advise a = {
		.addr = (uintptr_t)addr, .len = len, .advice = advice,
		.dev = dev, .value = value,
	};

	return gmt_err(ioctl(gfd, GMEM_IOC_ADVISE, &a));
}

/*
 * A hint run by a thread of its own (gmt_hint_start(), gmt_hint_join()):
 * for tests where one hint waits on another's victim.
 */
struct gmt_hint {
	pthread_t thread;
	int gfd, ret;
	const void *addr;
	uint64_t len;
	uint32_t advice, dev;
};

static inline void *gmt_hint_run(void *arg)
{
	struct gmt_hint *h = arg;

	h->ret = gmt_advise(h->gfd, h->addr, h->len, h->advice, h->dev, 0);
	return NULL;
}

/* 0, or pthread_create()'s error. */
static inline int gmt_hint_start(struct gmt_hint *h, int gfd, const void *addr, uint64_t len,
				 uint32_t advice, uint32_t dev)
{
	*h = (struct gmt_hint){ .gfd = gfd, .addr = addr, .len = len, .advice = advice, .dev = dev };
	return pthread_create(&h->thread, NULL, gmt_hint_run, h);
}

/* The hint's result (0 or -errno), once its thread is done. */
static inline int gmt_hint_join(struct gmt_hint *h)
{
	return pthread_join(h->thread, NULL) ? -ESRCH : h->ret;
}

/* --------------------------------------------------------- /dev/gmem_simN */

static inline int gmt_sim_open(unsigned int n)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/gmem_sim%u", n);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Submit a job; 0 with *seq set, or the launch's -errno. */
static inline int gmt_sim_launch(int sfd, uint32_t op, uint32_t flags, const void *x,
				 const void *y, uint64_t len, uint64_t scalar, uint64_t *seq)
{
	struct gmem_sim_launch l = {
		.op = op, .flags = flags, .x = (uintptr_t)x, .y = (uintptr_t)y,
		.len = len, .scalar = scalar,
	};
	int ret = gmt_err(ioctl(sfd, GMEM_SIM_IOC_LAUNCH, &l));

	if (!ret && seq)
		*seq = l.seq;
	return ret;
}

/* Wait for @seq: the ioctl's -errno, else the job's status (0 or -errno). */
static inline int gmt_sim_wait(int sfd, uint64_t seq, struct gmem_sim_wait *w)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->seq = seq;
	ret = gmt_err(ioctl(sfd, GMEM_SIM_IOC_WAIT, w));
	return ret ? ret : (int)w->status;
}

/* Launch and wait: the launch's or the job's -errno, else 0 with *result. */
static inline int gmt_sim_run(int sfd, uint32_t op, const void *x, const void *y,
			      uint64_t len, uint64_t scalar, uint64_t *result)
{
	struct gmem_sim_wait w;
	uint64_t seq;
	int ret;

	ret = gmt_sim_launch(sfd, op, 0, x, y, len, scalar, &seq);
	if (ret)
		return ret;
	ret = gmt_sim_wait(sfd, seq, &w);
	if (!ret && result)
		*result = w.result;
	return ret;
}

static inline int gmt_sim_fill(int sfd, void *x, uint64_t len, uint32_t v)
{
	return gmt_sim_run(sfd, GMEM_SIM_FILL, x, NULL, len, v, NULL);
}

static inline int gmt_sim_reduce(int sfd, const void *x, uint64_t len, uint64_t *sum)
{
	return gmt_sim_run(sfd, GMEM_SIM_REDUCE, x, NULL, len, 0, sum);
}

static inline int gmt_sim_checksum(int sfd, const void *x, uint64_t len, uint64_t *h)
{
	return gmt_sim_run(sfd, GMEM_SIM_CHECKSUM, x, NULL, len, 0, h);
}

/* ------------------------------------------------------------------ data */

static inline uint64_t gmt_fnv1a(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * GMT_FNV_PRIME;
	return h;
}

/* A reproducible pattern: word i of stream @seed. */
static inline uint32_t gmt_pat(uint32_t seed, uint64_t i)
{
	uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 32 | seed);

	z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(z ^ (z >> 29));
}

static inline void gmt_fill_pat(uint32_t *w, size_t nwords, uint32_t seed)
{
	size_t i;

	for (i = 0; i < nwords; i++)
		w[i] = gmt_pat(seed, i);
}

/* Sum of words [@first, @first + @nwords) of pattern @seed, without reading memory. */
static inline uint64_t gmt_pat_sum(uint32_t seed, uint64_t first, uint64_t nwords)
{
	uint64_t s = 0, i;

	for (i = first; i < first + nwords; i++)
		s += gmt_pat(seed, i);
	return s;
}

/* A fresh gmem mapping of @len bytes holding pattern @seed, written by the CPU. */
static inline uint32_t *gmt_map_pat(int gfd, size_t len, uint32_t seed)
{
	uint32_t *p = gmt_map(gfd, len);

	if (p)
		gmt_fill_pat(p, len / 4, seed);
	return p;
}

/* Index of the first word that differs from the pattern, or -1. */
static inline long gmt_check_pat(const uint32_t *w, size_t nwords, uint32_t seed)
{
	size_t i;

	for (i = 0; i < nwords; i++)
		if (w[i] != gmt_pat(seed, i))
			return (long)i;
	return -1;
}

static inline uint64_t gmt_sum32(const uint32_t *w, size_t nwords)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < nwords; i++)
		s += w[i];
	return s;
}

static inline double gmt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* GMEM_TEST_UTIL_H */
