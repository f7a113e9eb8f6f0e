// SPDX-License-Identifier: GPL-2.0
/*
 * gm_bpf_attach.c: which policy decides for an object.
 *
 * A policy attaches system-wide (gm_active, gm_bpf.c) or to a cgroup v2
 * directory (struct gmem_ops.cgroup_id != 0). Cgroup attachments live in
 * an immutable table, replaced as a whole and published with RCU on every
 * attach, detach and replace. An object belongs to the tenant of the cgroup
 * of the task that created it (gm_object.cgrp); its policy is the attachment
 * of the nearest ancestor of that cgroup (itself included) that has one,
 * else the system-wide policy, else none (the built-in decides). An ejected
 * attachment is skipped, so its objects fall back the same way.
 *
 * Each object caches its resolution as one word, (table generation << 8) |
 * (slot + 1), so that readers never see a torn pair; a new table has a new
 * generation and every cache goes stale at once.
 *
 * Locking: the table is written under gm_policy_mutex and read under
 * rcu_read_lock(); a policy leaves the table before its ejection waits for
 * a grace period (gm_bpf_eject_now()), so no reader still holds it when it
 * is freed.
 */
#include <linux/cgroup.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_bpf.h"

#define GM_ATT_MAX	64		/* cgroup attachments at once */

struct gm_att_ent {
	u64 cgid;
	struct gm_bpf_policy *pol;
};

struct gm_att_table {
	struct rcu_head rcu;
	u32 gen;			/* never 0: an empty cache never matches */
	u32 nr;
	struct gm_att_ent ent[];
};

static struct gm_att_table __rcu *gm_att;
static u32 gm_att_gen;			/* gm_policy_mutex */

static struct gm_att_table *gm_att_locked(void)
{
	return rcu_dereference_protected(gm_att, lockdep_is_held(&gm_policy_mutex));
}

/* Slot of the nearest attachment on @cgrp's path to the root, or -1. */
static int gm_att_lookup(const struct gm_att_table *t, struct cgroup *cgrp)
{
	u32 i;

	for (; cgrp; cgrp = cgroup_parent(cgrp))
		for (i = 0; i < t->nr; i++)
			if (t->ent[i].cgid == cgroup_id(cgrp))
				return i;
	return -1;
}

/* The cgroup attachment deciding for @obj (possibly ejected), or NULL. */
static struct gm_bpf_policy *gm_att_of(struct gm_object *obj)
{
	struct gm_att_table *t = rcu_dereference(gm_att);
	u64 c;
	int slot;

	if (!t || !obj || !obj->cgrp)
		return NULL;
	c = atomic64_read(&obj->att_cache);
	if ((c >> 8) == t->gen) {
		slot = (int)(c & 0xff) - 1;
	} else {
		slot = gm_att_lookup(t, obj->cgrp);
		atomic64_set(&obj->att_cache, (u64)t->gen << 8 | (u64)(slot + 1));
	}
	return slot >= 0 ? t->ent[slot].pol : NULL;
}

/*
 * The policy deciding for @obj (NULL: a block without object context),
 * or NULL for the built-in. A replace publishes the new table before it
 * marks the old policy ejected, so an ejected attachment is looked up once
 * more before falling back. Caller holds rcu_read_lock().
 */
struct gm_bpf_policy *gm_obj_policy(struct gm_object *obj)
{
	struct gm_bpf_policy *pol = gm_att_of(obj);

	if (pol && smp_load_acquire(&pol->ejected))
		pol = gm_att_of(obj);
	if (pol && !smp_load_acquire(&pol->ejected))
		return pol;
	return gm_active_get();
}

/* Is @pol in the current table? (the watchdog: pointer compare only) */
bool gm_att_has(const struct gm_bpf_policy *pol)
{
	struct gm_att_table *t = rcu_dereference(gm_att);
	u32 i;

	for (i = 0; t && i < t->nr; i++)
		if (t->ent[i].pol == pol)
			return true;
	return false;
}

/* The attachment for cgroup @cgid, or NULL. gm_policy_mutex held. */
struct gm_bpf_policy *gm_att_find(u64 cgid)
{
	struct gm_att_table *t = gm_att_locked();
	u32 i;

	for (i = 0; t && i < t->nr; i++)
		if (t->ent[i].cgid == cgid)
			return t->ent[i].pol;
	return NULL;
}

/*
 * Publish a copy of the table with @old's slot given to @pol (@old NULL:
 * @pol added; @pol NULL: @old removed). gm_policy_mutex held.
 */
int gm_att_set(struct gm_bpf_policy *old, struct gm_bpf_policy *pol)
{
	struct gm_att_table *cur = gm_att_locked(), *t;
	u32 nr = cur ? cur->nr : 0, i, j = 0;

	if (!old && nr >= GM_ATT_MAX)
		return -ENOSPC;
	t = kzalloc(struct_size(t, ent, nr + 1), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (old && cur->ent[i].pol == old) {
			if (!pol)
				continue;
			t->ent[j++] = (struct gm_att_ent){ pol->cgroup_id, pol };
		} else {
			t->ent[j++] = cur->ent[i];
		}
	}
	if (!old && pol)
		t->ent[j++] = (struct gm_att_ent){ pol->cgroup_id, pol };
	t->nr = j;
	if (!++gm_att_gen)
		gm_att_gen = 1;
	t->gen = gm_att_gen;
	rcu_assign_pointer(gm_att, t);
	if (cur)
		kfree_rcu(cur, rcu);
	return 0;
}

/* Module exit: no policy is registered any more. */
void gm_att_exit(void)
{
	struct gm_att_table *t;

	mutex_lock(&gm_policy_mutex);
	t = gm_att_locked();
	RCU_INIT_POINTER(gm_att, NULL);
	mutex_unlock(&gm_policy_mutex);
	if (t)
		kfree_rcu(t, rcu);
}

/*
 * A cgroup v2 directory to attach to: it must exist now. Only the id is
 * kept: a cgroup removed later simply has no new objects, and the objects
 * it created keep their (held) cgroup and so their policy.
 */
int gm_att_check_cgroup(u64 cgid)
{
	struct cgroup *cgrp = cgroup_get_from_id(cgid);

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp) == -ENOENT ? -ENOENT : -EINVAL;
	cgroup_put(cgrp);
	return 0;
}
