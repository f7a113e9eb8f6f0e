// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * HBM limits and shares per cgroup (GMEM_IOC_TENANT_SET / _INFO): the
 * cgroup v2 directory is named by its id, as for policy attachment
 * (gmem_cgroup_id(), attach.c).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "gmempolicy.h"

int gmem_cgroup_set_limit(const char *path, uint64_t hbm_bytes, uint32_t weight)
{
	struct gmem_tenant_set s = { .cgroup_fd = -1, .hbm_limit = hbm_bytes, .weight = weight };
	uint64_t id;
	int err = gmem_cgroup_id(path, &id);

	if (err)
		return err;
	s.cgroup_id = id;
	return gm_dev_ioctl(GMEM_IOC_TENANT_SET, &s);
}

int gmem_cgroup_info(const char *path, struct gmem_tenant_info *out)
{
	uint64_t id;
	int err;

	if (!out)
		return -EINVAL;
	err = gmem_cgroup_id(path, &id);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->cgroup_id = id;
	out->cgroup_fd = -1;
	return gm_dev_ioctl(GMEM_IOC_TENANT_INFO, out);
}
