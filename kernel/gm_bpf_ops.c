// SPDX-License-Identifier: GPL-2.0
/*
 * gm_bpf_ops.c: struct gmem_ops, the BPF struct_ops policy interface.
 *
 * A policy is a struct gmem_ops map attached with a BPF link (or a plain
 * struct_ops map update). .reg makes it the active policy; from then on the
 * dispatcher (gm_policy.c) asks it first. One policy is in charge at a time:
 * per attachment point (system-wide, or one cgroup: gm_bpf_attach.c): a
 * second .reg there fails with -EBUSY; BPF_LINK_UPDATE (.update) replaces the
 * active policy atomically, with no moment where the built-in one decides.
 * .unreg (link released, loader died) ejects it; an ejected policy stays
 * registered until .unreg, which then only frees it: a newer policy is never
 * touched by an older one's unreg. gm_bpf.c has the safety net.
 *
 * Locking: gm_policy_mutex serializes .reg/.unreg/.update and the list of
 * registered policies; gm_active is published with rcu_assign_pointer() and
 * a detached policy is freed only after a grace period, when none of its
 * hooks can still run.
 */
#include <linux/capability.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gm_core.h"
#include "gm_policy.h"
#include "gm_bpf.h"

static struct btf *gm_bpf_btf;		/* the module's BTF (struct_ops .init) */

BTF_ID_LIST_SINGLE(gm_ops_btf_ids, struct, gmem_ops)

static struct gm_bpf_policy *gm_bpf_find(void *kdata)
{
	struct gm_bpf_policy *pol;

	lockdep_assert_held(&gm_policy_mutex);
	list_for_each_entry(pol, &gm_bpf_policies, node)
		if (pol->ops == kdata)
			return pol;
	return NULL;
}

static struct gm_bpf_policy *gm_bpf_policy_new(void *kdata)
{
	struct gm_bpf_policy *pol = kzalloc(sizeof(*pol), GFP_KERNEL);

	if (!pol)
		return NULL;
	pol->ops = kdata;
	strscpy(pol->name, pol->ops->name);
	pol->cgroup_id = pol->ops->cgroup_id;
	gm_bpf_policy_init(pol);
	return pol;
}

/*
 * A policy decides for every process's memory: attaching one needs
 * CAP_SYS_ADMIN of the attaching task, whoever loaded the map (an fd can be
 * passed to an unprivileged process).
 */
static bool gm_bpf_may_attach(void)
{
	return capable(CAP_SYS_ADMIN);
}

static struct gm_bpf_policy *gm_bpf_active_locked(void)
{
	return rcu_dereference_protected(gm_active, lockdep_is_held(&gm_policy_mutex));
}

static int gm_bpf_reg(void *kdata, struct bpf_link *link)
{
	struct gm_bpf_policy *pol, *cur;
	int err;

	if (!gm_bpf_may_attach())
		return -EPERM;
	pol = gm_bpf_policy_new(kdata);
	if (!pol)
		return -ENOMEM;
	mutex_lock(&gm_policy_mutex);
	cur = pol->cgroup_id ? gm_att_find(pol->cgroup_id) : gm_bpf_active_locked();
	if (cur) {
		pr_info_ratelimited("gmem: cannot attach policy %s: policy %s is active%s\n",
			pol->name, cur->name, pol->cgroup_id ? " for that cgroup" : "");
		err = -EBUSY;
		goto out_free;
	}
	err = pol->cgroup_id ? gm_att_check_cgroup(pol->cgroup_id) : 0;
	if (!err)
		err = gm_bpf_run_init(pol);
	if (err)
		goto out_free;
	if (pol->cgroup_id) {
		err = gm_att_set(NULL, pol);
		if (err) {
			gm_bpf_eject_now(pol, GMEM_EXIT_UNREG, "no room for the attachment");
			goto out_free;
		}
	}
	list_add(&pol->node, &gm_bpf_policies);
	gm_bpf_count_load();
	if (!pol->cgroup_id)
		rcu_assign_pointer(gm_active, pol);
	pr_info_ratelimited("gmem: policy %s attached%s\n", pol->name,
			    pol->cgroup_id ? " to a cgroup" : "");
	mutex_unlock(&gm_policy_mutex);
	return 0;

out_free:
	mutex_unlock(&gm_policy_mutex);
	kfree(pol);
	return err;
}

static void gm_bpf_unreg(void *kdata, struct bpf_link *link)
{
	struct gm_bpf_policy *pol;

	mutex_lock(&gm_policy_mutex);
	pol = gm_bpf_find(kdata);
	if (!WARN_ON_ONCE(!pol)) {
		/* Out of the table first: the ejection's grace period covers its readers. */
		if (pol->cgroup_id && gm_att_set(pol, NULL))
			pr_warn("gmem: policy %s: cannot shrink the attachment table; it stays, ejected\n",
				pol->name);
		gm_bpf_eject_now(pol, GMEM_EXIT_UNREG, link ? "link released" : "map deleted");
		list_del(&pol->node);
		kfree(pol);
	}
	mutex_unlock(&gm_policy_mutex);
}

/* BPF_LINK_UPDATE: replace the policy of a link without a built-in gap. */
static int gm_bpf_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	struct gm_bpf_policy *pol, *old, *cur;
	char msg[GMEM_EXIT_MSG_LEN];
	int err;

	if (!gm_bpf_may_attach())
		return -EPERM;
	pol = gm_bpf_policy_new(kdata);
	if (!pol)
		return -ENOMEM;
	mutex_lock(&gm_policy_mutex);
	old = gm_bpf_find(old_kdata);
	err = -ENOENT;
	if (WARN_ON_ONCE(!old))
		goto out_free;
	err = -EINVAL;
	if (pol->cgroup_id != old->cgroup_id) {
		pr_info_ratelimited("gmem: cannot replace policy %s by %s: attached elsewhere\n",
			old->name, pol->name);
		goto out_free;
	}
	cur = pol->cgroup_id ? gm_att_find(pol->cgroup_id) : gm_bpf_active_locked();
	err = -EBUSY;
	if (cur && cur != old) {
		pr_info_ratelimited("gmem: cannot attach policy %s: policy %s is active\n",
			pol->name, cur->name);
		goto out_free;
	}
	err = gm_bpf_run_init(pol);
	if (err)
		goto out_free;
	if (pol->cgroup_id) {
		/* The table still holds @old when a cgroup policy was ejected. */
		err = gm_att_set(gm_att_find(pol->cgroup_id) ? old : NULL, pol);
		if (err) {
			gm_bpf_eject_now(pol, GMEM_EXIT_UNREG, "no room for the attachment");
			goto out_free;
		}
	}
	list_add(&pol->node, &gm_bpf_policies);
	gm_bpf_count_load();
	/* The new policy is in charge before the old one stops: no gap. */
	if (!pol->cgroup_id)
		rcu_assign_pointer(gm_active, pol);
	snprintf(msg, sizeof(msg), "replaced by %s", pol->name);
	gm_bpf_eject_now(old, GMEM_EXIT_UNREG, msg);
	list_del(&old->node);
	kfree(old);
	pr_info_ratelimited("gmem: policy %s attached\n", pol->name);
	mutex_unlock(&gm_policy_mutex);
	return 0;

out_free:
	mutex_unlock(&gm_policy_mutex);
	kfree(pol);
	return err;
}

/* A name the exit info and the logs can print as is. */
static int gm_bpf_copy_name(char *dst, const char *src)
{
	size_t i, len = strnlen(src, GMEM_NAME_LEN);

	if (!len || len == GMEM_NAME_LEN)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isalnum(src[i]) && !strchr("_-.", src[i]))
			return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* Data members are ours to copy (return 1); programs are the BPF core's (0). */
static int gm_bpf_init_member(const struct btf_type *t, const struct btf_member *member,
			      void *kdata, const void *udata)
{
	const struct gmem_ops *uops = udata;
	struct gmem_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;
	int err;

	switch (moff) {
	case offsetof(struct gmem_ops, flags):
		if (uops->flags & ~(u64)GMEM_OPS_ALL_FLAGS)
			return -EINVAL;
		ops->flags = uops->flags;
		return 1;
	case offsetof(struct gmem_ops, name):
		err = gm_bpf_copy_name(ops->name, uops->name);
		return err ?: 1;
	case offsetof(struct gmem_ops, cgroup_id):
		ops->cgroup_id = uops->cgroup_id;
		return 1;
	}
	return 0;
}

/*
 * The flags against the hooks: GMEM_OPS_FAULT_PREFETCH means the fault
 * hook prefetches, so it needs one and excludes a prefetch hook.
 */
static int gm_bpf_validate(void *kdata)
{
	const struct gmem_ops *ops = kdata;

	if ((ops->flags & GMEM_OPS_FAULT_PREFETCH) && (!ops->fault || ops->prefetch)) {
		pr_info_ratelimited("gmem: policy %s: GMEM_OPS_FAULT_PREFETCH needs a fault hook and no prefetch hook\n",
				    ops->name);
		return -EINVAL;
	}
	return 0;
}

/* Hooks run in RCU read sections with preemption off: no sleepable programs. */
static int gm_bpf_check_member(const struct btf_type *t, const struct btf_member *member,
			       const struct bpf_prog *prog)
{
	return prog->sleepable ? -EINVAL : 0;
}

static int gm_bpf_st_init(struct btf *btf)
{
	gm_bpf_btf = btf;
	return 0;
}

/* Only programs implementing struct gmem_ops may call the gmem kfuncs. */
bool gm_bpf_prog_is_policy(const struct bpf_prog *prog)
{
	return gm_bpf_btf && prog->aux->attach_btf == gm_bpf_btf &&
	       prog->aux->attach_btf_id == gm_ops_btf_ids[0];
}

static const struct bpf_func_proto *
gm_bpf_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

/* Hook arguments are read-only (no btf_struct_access: writes are refused). */
static bool gm_bpf_is_valid_access(int off, int size, enum bpf_access_type type,
				   const struct bpf_prog *prog,
				   struct bpf_insn_access_aux *info)
{
	if (type != BPF_READ || off < 0 || off >= sizeof(u64) * MAX_BPF_FUNC_ARGS ||
	    off % size)
		return false;
	return btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_verifier_ops gm_bpf_verifier_ops = {
	.get_func_proto		= gm_bpf_get_func_proto,
	.is_valid_access	= gm_bpf_is_valid_access,
};

/* CFI stubs: the prototypes the BPF trampolines are generated against. */
static s32 gm_stub_init(void) { return 0; }
static void gm_stub_exit(struct gmem_exit_info *info) {}
static void gm_stub_obj_init(u32 obj, u64 start, u64 size, u32 nr_blocks) {}
static void gm_stub_obj_exit(u32 obj) {}
static s32 gm_stub_fault(struct gmem_fault_ctx *ctx) { return GMEM_PLACE_DEFAULT; }
static void gm_stub_prefetch(struct gmem_fault_ctx *ctx) {}
static void gm_stub_evict(struct gmem_evict_ctx *ctx) {}
static void gm_stub_activated(u32 dev, u64 blk_id, u32 how) {}
static void gm_stub_accessed(u32 dev, u64 blk_id, u32 write) {}
static void gm_stub_evicted(u32 dev, u64 blk_id) {}
static void gm_stub_advise(u32 obj, u32 first, u32 nr, u32 advice, u64 value) {}

static struct gmem_ops gm_bpf_cfi_stubs = {
	.init		= gm_stub_init,
	.exit		= gm_stub_exit,
	.obj_init	= gm_stub_obj_init,
	.obj_exit	= gm_stub_obj_exit,
	.fault		= gm_stub_fault,
	.prefetch	= gm_stub_prefetch,
	.evict		= gm_stub_evict,
	.activated	= gm_stub_activated,
	.accessed	= gm_stub_accessed,
	.evicted	= gm_stub_evicted,
	.advise		= gm_stub_advise,
};

static struct bpf_struct_ops gm_bpf_st_ops = {
	.verifier_ops	= &gm_bpf_verifier_ops,
	.init		= gm_bpf_st_init,
	.check_member	= gm_bpf_check_member,
	.init_member	= gm_bpf_init_member,
	.validate	= gm_bpf_validate,
	.reg		= gm_bpf_reg,
	.unreg		= gm_bpf_unreg,
	.update		= gm_bpf_update,
	.cfi_stubs	= &gm_bpf_cfi_stubs,
	.name		= "gmem_ops",
	.owner		= THIS_MODULE,
};

int gm_bpf_init(void)
{
	int err;

	/* Types BPF policies need that no kernel structure references. */
	BTF_TYPE_EMIT(enum gmem_place);
	BTF_TYPE_EMIT(enum gmem_activation);
	BTF_TYPE_EMIT(enum gmem_bpf_consts);
	BTF_TYPE_EMIT(enum gmem_block_flags);
	BTF_TYPE_EMIT(enum gmem_lru_class);
	BTF_TYPE_EMIT(enum gmem_ops_flags);
	BTF_TYPE_EMIT(enum gmem_block_state);
	BTF_TYPE_EMIT(enum gmem_advice);
	BTF_TYPE_EMIT(enum gmem_exit_kind);
	BTF_TYPE_EMIT(enum gmem_reject);

	gm_bpf_safety_init();
	err = gm_bpf_kfuncs_register();
	if (err) {
		pr_err("gmem: cannot register policy kfuncs: %d (module BTF missing?)\n", err);
		gm_bpf_safety_exit();
		return err;
	}
	err = register_bpf_struct_ops(&gm_bpf_st_ops, gmem_ops);
	if (err) {
		pr_err("gmem: cannot register struct gmem_ops: %d\n", err);
		gm_bpf_safety_exit();
	}
	return err;
}

/*
 * A registered struct_ops map holds a reference on the module, so normally
 * no policy is left here (only one attached while a failing module init
 * unwinds could be); eject any, to leave no list behind.
 */
void gm_bpf_exit(void)
{
	struct gm_bpf_policy *pol, *tmp;

	mutex_lock(&gm_policy_mutex);
	list_for_each_entry_safe(pol, tmp, &gm_bpf_policies, node) {
		pr_warn("gmem: policy %s still registered at exit\n", pol->name);
		gm_bpf_eject_now(pol, GMEM_EXIT_MODULE, "module exit");
		list_del(&pol->node);
		kfree(pol);
	}
	mutex_unlock(&gm_policy_mutex);
	gm_att_exit();
	gm_bpf_safety_exit();
}
