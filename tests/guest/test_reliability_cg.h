/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_reliability_cg.h: a cgroup v2 child with a memory limit for the
 * reliability programs: create it (or skip the test when the memory
 * controller is missing), move a process in, read its counters, remove it.
 * Include after gtest.h and gmem_test_util.h.
 */
#ifndef TEST_RELIABILITY_CG_H
#define TEST_RELIABILITY_CG_H

#include <sys/stat.h>

#define CG_ROOT		"/sys/fs/cgroup"

struct cg {
	char dir[96];
};

static inline int cg_write(const struct cg *c, const char *file, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	return gmt_write_str(path, val);
}

/* "key value" from a flat-keyed file such as memory.events. */
static inline uint64_t cg_key(const struct cg *c, const char *file, const char *key)
{
	char path[160], k[64];
	unsigned long long v;
	uint64_t found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

static inline uint64_t cg_u64(const struct cg *c, const char *file)
{
	char path[160];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	gmt_read_u64(path, &v);
	return v;
}

/* A child cgroup with the memory controller and @max bytes, or skip. */
static inline void cg_create(struct cg *c, const char *name, uint64_t max)
{
	char buf[32];
	FILE *f = fopen(CG_ROOT "/cgroup.controllers", "r");
	char ctl[256] = "";

	if (!f || !fgets(ctl, sizeof(ctl), f) || !strstr(ctl, "memory")) {
		if (f)
			fclose(f);
		GT_SKIP("no cgroup v2 memory controller at " CG_ROOT);
	}
	fclose(f);
	GT_ASSERT(gmt_write_str(CG_ROOT "/cgroup.subtree_control", "+memory") == 0,
		  "enable the memory controller");
	snprintf(c->dir, sizeof(c->dir), CG_ROOT "/%s.%d", name, getpid());
	GT_ASSERT(mkdir(c->dir, 0755) == 0, "mkdir %s: %s", c->dir, strerror(errno));
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)max);
	GT_ASSERT(cg_write(c, "memory.max", buf) == 0, "memory.max");
}

static inline void cg_enter(const struct cg *c)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", getpid());
	if (cg_write(c, "cgroup.procs", buf))
		_exit(90);
}

static inline void cg_destroy(struct cg *c)
{
	GT_EXPECT(rmdir(c->dir) == 0, "rmdir %s: %s", c->dir, strerror(errno));
}

#endif /* TEST_RELIABILITY_CG_H */
