// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Live switch: put a new policy in charge in place of the running one by
 * updating the running policy's BPF link to the new struct_ops map
 * (BPF_LINK_UPDATE). The kernel's .update (kernel/gm_bpf_ops.c) publishes
 * the new policy before it retires the old one, so no decision falls to the
 * built-in policy in between; the status's "unattended" count shows it.
 *
 * The link to update is either held by the caller (@old, attached in this
 * process) or pinned on bpffs (gmemctl load --pin); a pin is renamed to the
 * new policy's name afterwards so that `gmemctl status` and `gmemctl unload`
 * see the policy now in charge. Nothing changes until the update succeeds.
 *
 * libbpf fills a struct_ops map's kernel value only when it attaches it
 * (bpf_map__attach_struct_ops), and its own bpf_link__update_map() works on
 * links it created. A pinned link is not one, so the value is built here the
 * way libbpf builds it: struct bpf_struct_ops_gmem_ops of the module's BTF,
 * each hook member holding its program's fd, each data member copied from
 * the object's struct gmem_ops, matched by name.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "policy.h"

static int pin_path_of(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", gmem_pin_dir(), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The pinned link at @p's attach point into *@link, its pin name into @name. */
static int open_pinned(const struct gmem_policy *p, struct bpf_link **link, char *name,
		       size_t len)
{
	char path[4096];
	int err;

	err = p->cgroup_id ? gmem_policy_pinned_cgroup(p->cgroup_id, name, len) :
			     gmem_policy_pinned(name, len);
	if (err <= 0)
		return err ? err : -ENOENT;
	err = pin_path_of(name, path, sizeof(path));
	if (err)
		return err;
	*link = bpf_link__open(path);
	return *link ? 0 : -errno;
}

/* Point the pin at @from (the old policy's name) to @p's name. */
static int rename_pin(struct gmem_policy *p, const char *from)
{
	char src[4096], dst[4096], to[GMEM_POLICY_NAME_MAX + 32];
	int err;

	err = gm_pin_name(p, to, sizeof(to));
	if (err || !strcmp(from, to))
		return err;
	err = pin_path_of(from, src, sizeof(src));
	if (!err)
		err = pin_path_of(to, dst, sizeof(dst));
	if (!err && rename(src, dst))
		err = -errno;
	return err;
}

static const struct btf_member *member_named(const struct btf *btf, const struct btf_type *t,
					     const char *name)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return m;
	return NULL;
}

static const struct btf_type *struct_named(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	return id > 0 ? btf__type_by_id(btf, id) : NULL;
}

/* Fill @kval (the kernel value, zeroed) from @p's user struct gmem_ops. */
static int fill_kern_value(struct gmem_policy *p, const struct btf *kbtf, char *kval,
			   size_t ksize)
{
	const struct btf *ubtf = bpf_object__btf(p->obj);
	const struct btf_type *ut, *kt, *vt, *mt;
	const struct btf_member *um, *km, *dm;
	const char *udata, *name;
	size_t usize, koff, msize;
	int i;

	ut = btf__type_by_id(ubtf, bpf_map__btf_value_type_id(p->ops_map));
	kt = struct_named(kbtf, GMEM_STRUCT_OPS_TYPE);
	vt = struct_named(kbtf, "bpf_struct_ops_" GMEM_STRUCT_OPS_TYPE);
	dm = vt ? member_named(kbtf, vt, "data") : NULL;
	udata = bpf_map__initial_value(p->ops_map, &usize);
	if (!ut || !kt || !dm || !udata)
		return -ENOTSUP;
	um = btf_members(ut);
	for (i = 0; i < btf_vlen(ut); i++, um++) {
		name = btf__name_by_offset(ubtf, um->name_off);
		km = member_named(kbtf, kt, name);
		if (!km)
			return -ENOTSUP;
		koff = (btf_member_bit_offset(vt, dm - btf_members(vt)) +
			btf_member_bit_offset(kt, km - btf_members(kt))) / 8;
		mt = btf__type_by_id(ubtf, um->type);
		while (mt && btf_is_mod(mt))
			mt = btf__type_by_id(ubtf, mt->type);
		if (mt && btf_is_ptr(mt)) {
			const struct bpf_program *prog =
				*(struct bpf_program * const *)(udata + um->offset / 8);

			if (koff + sizeof(unsigned long) > ksize)
				return -ENOTSUP;
			if (prog)
				*(unsigned long *)(kval + koff) = bpf_program__fd(prog);
			continue;
		}
		msize = btf__resolve_size(ubtf, um->type);
		if ((long)msize < 0 || koff + msize > ksize || um->offset / 8 + msize > usize)
			return -ENOTSUP;
		memcpy(kval + koff, udata + um->offset / 8, msize);
	}
	return 0;
}

/*
 * Give @p's struct_ops map its kernel value, as an attach would. A map that
 * already has one (it was attached or swapped in before) answers -EBUSY:
 * the value never changes once set, so that is fine.
 */
static int fill_map(struct gmem_policy *p)
{
	struct btf *vmlinux, *kbtf;
	size_t ksize = bpf_map__value_size(p->ops_map);
	char *kval;
	__u32 zero = 0;
	int err;

	if (p->kvalue_set)
		return 0;	/* swapped in before: the kernel keeps the value */
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return -errno;
	kbtf = btf__load_module_btf("gmem", vmlinux);
	err = kbtf ? 0 : -errno;
	kval = calloc(1, ksize);
	if (!err && !kval)
		err = -ENOMEM;
	if (!err)
		err = fill_kern_value(p, kbtf, kval, ksize);
	if (!err && bpf_map_update_elem(bpf_map__fd(p->ops_map), &zero, kval, 0))
		err = errno == EBUSY ? 0 : -errno;
	if (err)
		gm_policy_note(p, "cannot set up the struct_ops map of %s: %s", p->name,
			       strerror(-err));
	p->kvalue_set = !err;
	free(kval);
	btf__free(kbtf);
	btf__free(vmlinux);
	return err;
}

static int load_if_needed(struct gmem_policy *p)
{
	if (p->loaded)
		return 0;
	return gmem_policy_load(p);
}

int gmem_policy_replace(struct gmem_policy *p, struct gmem_policy *old)
{
	char pinned[GMEM_POLICY_NAME_MAX + 256];
	struct gmem_policy_status st;
	struct bpf_link *link = NULL;
	int err;

	if (!p || p == old || p->link || (old && !old->link))
		return -EINVAL;
	err = load_if_needed(p);
	if (!err)
		err = fill_map(p);
	if (err)
		return err;
	if (old) {
		link = old->link;
	} else {
		err = open_pinned(p, &link, pinned, sizeof(pinned));
		if (err)
			return err;
	}
	err = bpf_link_update(bpf_link__fd(link), bpf_map__fd(p->ops_map), NULL);
	if (err) {
		err = err <= -4000 ? -EINVAL : err;
		gm_policy_note(p, "cannot replace the running policy: %s", strerror(-err));
		if (!old)
			bpf_link__destroy(link);	/* a pin's reference: closing keeps it */
		return err;
	}
	p->link = link;
	if (old) {
		p->pinned = old->pinned;
		old->link = NULL;
		old->pinned = false;
		if (p->pinned)
			err = rename_pin(p, old->name);
	} else {
		p->pinned = true;
		err = rename_pin(p, pinned);
	}
	if (err)
		gm_policy_note(p, "policy replaced, but its pin keeps the old name: %s",
			       strerror(-err));
	if (p->cgroup_id)
		p->attach_seq = gm_cgroup_attach_since(p->cgroup_id);
	else if (!gmem_policy_status(&st))
		p->attach_seq = st.loads;
	p->poll_ok = true;
	return 0;
}
