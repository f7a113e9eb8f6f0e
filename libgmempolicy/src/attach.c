// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Policies per cgroup: attach a policy to a cgroup v2 directory instead of
 * system-wide, and list every attachment (GMEM_IOC_POLICY_LIST).
 *
 * The attach point travels in the policy's struct gmem_ops, data member
 * cgroup_id (0: system-wide), which the kernel copies at attach; it is set
 * here in the object's struct_ops image before load. A cgroup's id is the
 * file handle of its directory on cgroup2 (what the kernel's cgroup_id()
 * returns), read with name_to_handle_at() as libbpf and bpftool do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "policy.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

int gmem_cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	struct statfs sfs;
	struct stat st;
	int mount_id;

	if (!path || !id)
		return -EINVAL;
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (statfs(path, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EINVAL;
	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		return -errno;
	if (h.fh.handle_bytes != sizeof(h.id))
		return -EINVAL;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

/* struct gmem_ops.cgroup_id in @p's struct_ops image, or NULL. */
static uint64_t *ops_cgroup_id(struct gmem_policy *p)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_type *t;
	const struct btf_member *m;
	size_t size;
	char *data = bpf_map__initial_value(p->ops_map, &size);
	int i;

	t = btf ? btf__type_by_id(btf, bpf_map__btf_value_type_id(p->ops_map)) : NULL;
	if (!t || !data || !btf_is_struct(t))
		return NULL;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), "cgroup_id"))
			continue;
		if (m->offset / 8 + sizeof(uint64_t) > size ||
		    btf__resolve_size(btf, m->type) != sizeof(uint64_t))
			return NULL;
		return (uint64_t *)(data + m->offset / 8);
	}
	return NULL;
}

int gmem_policy_set_cgroup(struct gmem_policy *p, const char *path)
{
	uint64_t id = 0, *slot;
	int err;

	if (!p)
		return -EINVAL;
	if (p->load_tried)
		return -EALREADY;
	if (path) {
		err = gmem_cgroup_id(path, &id);
		if (err)
			return err;
	}
	slot = ops_cgroup_id(p);
	if (!slot) {
		gm_policy_note(p, "%s: its struct %s has no cgroup_id (built against an "
			       "older gmem_vmlinux.h?)", p->path, GMEM_STRUCT_OPS_TYPE);
		return -ENOTSUP;
	}
	*slot = id;
	p->cgroup_id = id;
	return 0;
}

uint64_t gmem_policy_cgroup(const struct gmem_policy *p)
{
	return p->cgroup_id;
}

int gmem_policy_list(struct gmem_policy_attach *buf, unsigned int capacity)
{
	struct gmem_policy_list req = {
		.buf_ptr = (uintptr_t)buf,
		.capacity = buf ? capacity : 0,
	};
	int err = gm_dev_ioctl(GMEM_IOC_POLICY_LIST, &req);

	return err ? err : (int)req.count;
}

uint64_t gm_cgroup_attach_since(uint64_t cgid)
{
	struct gmem_policy_attach a[64];
	int n = gmem_policy_list(a, 64), i;

	for (i = 0; i < n && i < 64; i++)
		if (a[i].cgroup_id == cgid && a[i].active)
			return a[i].since_ns;
	return 0;
}
