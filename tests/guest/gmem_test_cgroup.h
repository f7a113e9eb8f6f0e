/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem_test_cgroup.h: cgroup v2 directories for the multi-tenant tests
 * (test_tenant, test_policy_cgroup). Include after gtest.h and
 * gmem_test_util.h.
 */
#ifndef GMEM_TEST_CGROUP_H
#define GMEM_TEST_CGROUP_H

#include <sys/stat.h>

#define GMT_CG_ROOT	"/sys/fs/cgroup"

/* The cgroup id of cgroup v2 directory @dir: its inode number. */
static inline uint64_t gmt_cg_id(const char *dir)
{
	struct stat st;

	GT_ASSERT(stat(dir, &st) == 0, "stat %s: %s", dir, strerror(errno));
	return st.st_ino;
}

/* Create GMT_CG_ROOT/gmem-<name>.<pid> into @dir (@len bytes); its cgroup id. */
static inline uint64_t gmt_cg_make(char *dir, size_t len, const char *name)
{
	snprintf(dir, len, GMT_CG_ROOT "/gmem-%s.%d", name, getpid());
	GT_ASSERT(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
	return gmt_cg_id(dir);
}

/* Move this process into cgroup @dir (NULL or "": the root cgroup). */
static inline void gmt_cg_enter(const char *dir)
{
	char path[160], pid[16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir && *dir ? dir : GMT_CG_ROOT);
	snprintf(pid, sizeof(pid), "%d", getpid());
	GT_ASSERT(gmt_write_str(path, pid) == 0, "enter %s", path);
}

#endif /* GMEM_TEST_CGROUP_H */
