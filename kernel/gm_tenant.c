// SPDX-License-Identifier: GPL-2.0
/*
 * gm_tenant.c: per-cgroup HBM limits and shares (GMEM_IOC_TENANT_SET/INFO,
 * the ioctl glue is in gm_tenant_if.c).
 *
 * A tenant is a cgroup v2 directory that an administrator gave an HBM limit
 * (bytes per device, 0: none) and a weight. An object belongs to the tenant
 * of the nearest ancestor of its creator's cgroup (itself included) that has
 * one, resolved when the object is created and fixed for its lifetime (like
 * its policy's cgroup): a limit set later applies to objects created later.
 *
 * Usage is the number of HBM blocks the tenant's objects hold on each
 * device, charged when an HBM block is allocated for one of its blocks and
 * uncharged when it is freed (gm_evict.c), so read copies and pinned blocks
 * count. A charge that would take a tenant past its limit fails, and the
 * core then evicts that tenant's own blocks (gm_evict.c); when none can go
 * (all pinned or busy) the allocation fails with -EDQUOT.
 *
 * Shares: when a device is full, room is taken first from the tenant most
 * over its share of that device, where a limited tenant's share is its
 * limit and the unlimited tenants split what the limits leave (the
 * "unlimited remainder", HBM minus the sum of the limits) by weight. Objects
 * without a tenant have no share; they lose blocks by plain LRU once no
 * tenant is over its share.
 *
 * Lifetime: the table (gm_tenants) holds one reference per tenant, each
 * object one more. An entry whose cgroup was removed leaves the table at
 * the next SET or INFO (gm_tenant_gc()); its objects keep it, and their
 * limit, until they are destroyed.
 *
 * Locking: gm_tenant_mutex serializes table changes and is taken under no
 * other gmem lock; readers walk the list under RCU. Usage and counters are
 * atomics; a charge never exceeds the limit (compare-and-exchange).
 */
#include <linux/cgroup.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "gm_internal.h"


static LIST_HEAD(gm_tenants);
static DEFINE_MUTEX(gm_tenant_mutex);
atomic_long_t gm_live_tenants;

static void gm_tenant_free_rcu(struct rcu_head *rcu)
{
	struct gm_tenant *t = container_of(rcu, struct gm_tenant, rcu);

	gm_shared_stats_free(&t->stats);
	kfree(t);
}

/* Table readers under RCU may still see @t: freed after a grace period. */
static void gm_tenant_free(struct kref *ref)
{
	struct gm_tenant *t = container_of(ref, struct gm_tenant, ref);

	atomic_long_dec(&gm_live_tenants);
	call_rcu(&t->rcu, gm_tenant_free_rcu);
}

void gm_tenant_put(struct gm_tenant *t)
{
	if (t)
		kref_put(&t->ref, gm_tenant_free);
}

/* The table's entry for @cgid, or NULL; RCU or gm_tenant_mutex held. */
static struct gm_tenant *gm_tenant_find(u64 cgid)
{
	struct gm_tenant *t;

	list_for_each_entry_rcu(t, &gm_tenants, node, lockdep_is_held(&gm_tenant_mutex))
		if (t->cgid == cgid)
			return t;
	return NULL;
}

struct gm_tenant *gm_tenant_find_rcu(u64 cgid)
{
	return gm_tenant_find(cgid);
}

/* The tenant of an object created in @cgrp (+ref), or NULL. */
struct gm_tenant *gm_tenant_of_cgroup(struct cgroup *cgrp)
{
	struct gm_tenant *t = NULL;

	rcu_read_lock();
	for (; cgrp && !t; cgrp = cgroup_parent(cgrp)) {
		t = gm_tenant_find(cgroup_id(cgrp));
		if (t && !kref_get_unless_zero(&t->ref))
			t = NULL;
	}
	rcu_read_unlock();
	if (t)
		atomic64_inc(&t->nr_objects);
	return t;
}

/* An object of @t is gone. */
void gm_tenant_obj_put(struct gm_tenant *t)
{
	if (!t)
		return;
	atomic64_dec(&t->nr_objects);
	gm_tenant_put(t);
}

/* How many blocks over @limit (0: none) one more block makes @used. */
static u64 gm_tenant_over(u64 limit, s64 used)
{
	return limit && (u64)used + 1 > limit ? (u64)used + 1 - limit : 0;
}

u64 gm_tenant_try_charge(struct gm_tenant *t, u32 dev)
{
	s64 used = atomic64_read(&t->used[dev]);
	u64 over;

	do {
		over = gm_tenant_over(READ_ONCE(t->limit_blocks), used);
		if (over)
			return over;
	} while (!atomic64_try_cmpxchg(&t->used[dev], &used, used + 1));
	return 0;
}

/* Could @t take one more block of @dev now, within its limit? */
bool gm_tenant_below_limit(struct gm_tenant *t, u32 dev)
{
	return !gm_tenant_over(READ_ONCE(t->limit_blocks), atomic64_read(&t->used[dev]));
}

void gm_tenant_uncharge(struct gm_tenant *t, u32 dev)
{
	WARN_ON_ONCE(atomic64_dec_return(&t->used[dev]) < 0);
}

/* A tenant's share of @hbm blocks, given the remainder and the weight sum. */
static u64 gm_tenant_share(const struct gm_tenant *t, u64 hbm, u64 rem, u64 wsum)
{
	u64 limit = READ_ONCE(t->limit_blocks);

	if (limit)
		return min(limit, hbm);
	return wsum ? div64_u64(rem * READ_ONCE(t->weight), wsum) : rem;
}

struct gm_tenant *gm_tenant_most_over(u32 dev, u64 hbm)
{
	struct gm_tenant *t, *best = NULL;
	u64 reserved = 0, wsum = 0, rem, share;
	s64 over, best_over = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(t, &gm_tenants, node) {
		u64 limit = READ_ONCE(t->limit_blocks);

		if (limit)
			reserved += min(limit, hbm);
		else
			wsum += READ_ONCE(t->weight);
	}
	rem = hbm > reserved ? hbm - reserved : 0;
	list_for_each_entry_rcu(t, &gm_tenants, node) {
		share = gm_tenant_share(t, hbm, rem, wsum);
		over = atomic64_read(&t->used[dev]) - (s64)share;
		if (over > best_over) {
			best = t;
			best_over = over;
		}
	}
	if (best && !kref_get_unless_zero(&best->ref))
		best = NULL;
	rcu_read_unlock();
	return best;
}

/* Drop the entries of removed cgroups. gm_tenant_mutex held. */
static void gm_tenant_gc(void)
{
	struct gm_tenant *t, *tmp;
	struct cgroup *cgrp;

	lockdep_assert_held(&gm_tenant_mutex);
	list_for_each_entry_safe(t, tmp, &gm_tenants, node) {
		cgrp = cgroup_get_from_id(t->cgid);
		if (!IS_ERR(cgrp)) {
			cgroup_put(cgrp);
			continue;
		}
		list_del_rcu(&t->node);
		t->listed = false;
		gm_tenant_put(t);
	}
}

static struct gm_tenant *gm_tenant_new(u64 cgid)
{
	struct gm_tenant *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	if (gm_shared_stats_init(&t->stats)) {
		kfree(t);
		return NULL;
	}
	kref_init(&t->ref);
	t->cgid = cgid;
	t->weight = GM_TENANT_WEIGHT_DEFAULT;
	t->listed = true;
	atomic_long_inc(&gm_live_tenants);
	list_add_tail_rcu(&t->node, &gm_tenants);
	return t;
}

/* Set @cgid's limit (blocks, 0: none) and weight (0: keep). */
int gm_tenant_set(u64 cgid, u64 limit_bytes, u32 weight)
{
	struct gm_tenant *t;
	int ret = 0;

	mutex_lock(&gm_tenant_mutex);
	gm_tenant_gc();
	t = gm_tenant_find(cgid);
	if (!t)
		t = gm_tenant_new(cgid);
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	WRITE_ONCE(t->limit_bytes, limit_bytes);
	WRITE_ONCE(t->limit_blocks, limit_bytes >> gm_blk_shift);
	if (weight)
		WRITE_ONCE(t->weight, weight);
out:
	mutex_unlock(&gm_tenant_mutex);
	return ret;
}

/* Fill @ti for @cgid's own entry; -ENOENT if it has none. */
int gm_tenant_info(u64 cgid, struct gmem_tenant_info *ti)
{
	struct gm_tenant *t;
	int i, ret = 0;

	mutex_lock(&gm_tenant_mutex);
	gm_tenant_gc();
	t = gm_tenant_find(cgid);
	if (!t) {
		ret = -ENOENT;
		goto out;
	}
	ti->cgroup_id = cgid;
	ti->weight = READ_ONCE(t->weight);
	ti->hbm_limit = READ_ONCE(t->limit_bytes);
	for (i = 0; i < GMEM_MAX_DEVICES; i++) {
		ti->dev_used[i] = (u64)atomic64_read(&t->used[i]) << gm_blk_shift;
		ti->hbm_used += ti->dev_used[i];
	}
	ti->pinned = (u64)atomic64_read(&t->pinned) << gm_blk_shift;
	ti->edquot = atomic64_read(&t->edquot);
	ti->nr_objects = atomic64_read(&t->nr_objects);
	gm_shared_stats_read(&ti->stats, &t->stats);
out:
	mutex_unlock(&gm_tenant_mutex);
	return ret;
}

/* Module exit: every object is gone; drop the table's references. */
void gm_tenant_exit(void)
{
	struct gm_tenant *t, *tmp;

	mutex_lock(&gm_tenant_mutex);
	list_for_each_entry_safe(t, tmp, &gm_tenants, node) {
		list_del_rcu(&t->node);
		t->listed = false;
		gm_tenant_put(t);
	}
	mutex_unlock(&gm_tenant_mutex);
	rcu_barrier();		/* gm_tenant_free_rcu() is module code */
}
