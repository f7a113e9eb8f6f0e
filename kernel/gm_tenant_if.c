// SPDX-License-Identifier: GPL-2.0
/*
 * gm_tenant_if.c: GMEM_IOC_TENANT_SET and GMEM_IOC_TENANT_INFO, the ioctl
 * side of gm_tenant.c: copy in, check, name the cgroup, copy out.
 *
 * Locking: none of its own; gm_tenant.c takes gm_tenant_mutex.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/uaccess.h>

#include "gm_internal.h"

/* The id of the cgroup v2 directory named by @cgid or, if 0, by @fd. */
static int gm_tenant_cgid(u64 cgid, s32 fd, u64 *out)
{
	struct cgroup *cgrp;

	cgrp = cgid ? cgroup_get_from_id(cgid) : cgroup_get_from_fd(fd);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp) == -ENOENT ? -ENOENT : -EBADF;
	*out = cgroup_id(cgrp);
	cgroup_put(cgrp);
	return 0;
}

long gm_tenant_set_ioctl(void __user *uarg)
{
	struct gmem_tenant_set req;
	u64 cgid;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.weight > GMEM_TENANT_WEIGHT_MAX)
		return -EINVAL;
	/* A limit below one block could never be met. */
	if (req.hbm_limit && req.hbm_limit < gm_blk_size)
		return -EINVAL;
	ret = gm_tenant_cgid(req.cgroup_id, req.cgroup_fd, &cgid);
	if (ret)
		return ret;
	return gm_tenant_set(cgid, req.hbm_limit, req.weight);
}

long gm_tenant_info_ioctl(void __user *uarg)
{
	struct gmem_tenant_info *ti;
	u64 cgid;
	long ret;

	ti = kzalloc(sizeof(*ti), GFP_KERNEL);
	if (!ti)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(ti, uarg, sizeof(*ti)))
		goto out;
	ret = gm_tenant_cgid(ti->cgroup_id, ti->cgroup_fd, &cgid);
	if (ret)
		goto out;
	memset(ti, 0, sizeof(*ti));
	ret = gm_tenant_info(cgid, ti);
	if (!ret && copy_to_user(uarg, ti, sizeof(*ti)))
		ret = -EFAULT;
out:
	kfree(ti);
	return ret;
}
