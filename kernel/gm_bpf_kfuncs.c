// SPDX-License-Identifier: GPL-2.0
/*
 * gm_bpf_kfuncs.c: the kfuncs gmem policies call, and the kernel-owned
 * policy lists they keep resident blocks on (the cache_ext shape).
 *
 * kfuncs take and return ids and values, never kernel pointers: blocks are
 * named by GMEM_BLK_ID(obj, idx), lists by the positive id
 * bpf_gmem_list_create() returned, or the negative id of one of the core's
 * LRU lists (enum gmem_lru_class: read-only, see gm_lru_walk()). Each
 * kfunc acts only when called from a
 * gmem_ops hook the current task is running (gm_bpf_call()); from anywhere
 * else it returns -EPERM (or 0 for the list walkers) and changes nothing.
 * The verifier already refuses them to programs of other struct_ops types
 * (gm_kfunc_filter()); the runtime check also covers a hook calling them
 * after its policy was ejected or past the watchdog limit.
 *
 * Lists hold blocks resident on a device (DEVICE or BOTH). A block is on at
 * most one list (gm_block.plist, gm_block.plist_id: -1 not resident, 0
 * resident and on no list, > 0 the list); it becomes listable when it
 * arrives (gm_plist_arrive(), before the activated hook) and the core takes
 * it off through gm_policy_evicted() before it leaves its device, so a list
 * never holds a block that could be freed. A policy's lists are destroyed
 * when it is ejected or detached, after its last hook returned.
 *
 * Concurrency: hooks run concurrently on different CPUs. The kfuncs read
 * block fields without the block's lock (a decision is validated again when
 * it is carried out, gm_evict.c). Two spinlocks guard the lists, each kfunc
 * taking them for its own duration: each kfunc call is atomic, a sequence
 * of calls is not. A policy's lists (their heads, lengths and the links of
 * the blocks on them) are under its pol->plist_lock, so policies do not
 * contend with each other; which list a block is on (plist_id, and moving
 * between lists) is under the block's blk->plist_lock, which the core takes
 * alone when a block arrives on or leaves a device (every migration), never
 * a lock shared by all. Blocks are looked
 * up by id under RCU (hooks run inside an RCU read section), once per hook
 * call while its kfuncs keep naming the same block (gm_call_block(): the
 * hook call remembers the last one, and starts with the block it is about).
 * BPF programs run non-sleepable, hence GFP_NOWAIT allocations.
 *
 * Lock order: blk->plist_lock -> pol->plist_lock, with at most one of each
 * held (moving a block from another policy's list unlinks it there first);
 * gm_plist_destroy_all() holds a policy's lock and trylocks blocks. A
 * device's ds->lock is taken alone, never with either.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_bpf.h"

/* A policy list: resident blocks in the order the policy keeps them. */
struct gm_plist {
	u32 id;
	u32 len;
	struct list_head head;		/* gm_block.plist, first = head */
	struct gm_bpf_policy *owner;
	struct list_head node;		/* on owner->lists */
	struct rcu_head rcu;
};

static DEFINE_XARRAY_ALLOC1(gm_plists);	/* id -> struct gm_plist (RCU lookups) */

static bool gm_blk_listed(const struct gm_block *blk)
{
	return blk->plist_id > 0;
}

static struct gm_plist *gm_plist_get(struct gm_bpf_policy *pol, s64 id)
{
	struct gm_plist **hint, *pl;

	lockdep_assert_held(&pol->plist_lock);
	if (id <= 0 || id > INT_MAX)
		return NULL;
	hint = &pol->plist_hint[id % GMEM_LISTS_MAX];
	if (*hint && (*hint)->id == id)
		return *hint;
	pl = xa_load(&gm_plists, id);
	if (!pl || pl->owner != pol)
		return NULL;
	*hint = pl;
	return pl;
}

/* Both locks held: @blk (on no list) goes on @pl. */
static void gm_plist_link(struct gm_plist *pl, struct gm_block *blk, bool tail)
{
	lockdep_assert_held(&blk->plist_lock);
	lockdep_assert_held(&pl->owner->plist_lock);
	if (tail)
		list_add_tail(&blk->plist, &pl->head);
	else
		list_add(&blk->plist, &pl->head);
	blk->plist_id = pl->id;
	pl->len++;
}

/* The list @blk is on (blk->plist_lock held, @blk listed): alive while it is. */
static struct gm_plist *gm_blk_plist(const struct gm_block *blk)
{
	struct gm_plist *pl;

	rcu_read_lock();	/* for the xarray's nodes */
	pl = xa_load(&gm_plists, blk->plist_id);
	rcu_read_unlock();
	return pl;
}

/* blk->plist_lock held: off its list, if any, taking that list's owner's lock; then @new_id. */
static void __gm_plist_unlink(struct gm_block *blk, int new_id)
{
	struct gm_plist *pl;

	lockdep_assert_held(&blk->plist_lock);
	if (gm_blk_listed(blk)) {
		pl = gm_blk_plist(blk);
		if (!WARN_ON_ONCE(!pl)) {
			spin_lock(&pl->owner->plist_lock);
			pl->len--;
			list_del_init(&blk->plist);
			spin_unlock(&pl->owner->plist_lock);
		} else {
			list_del_init(&blk->plist);
		}
	}
	blk->plist_id = new_id;
}

/* @blk arrived on a device: policies may list it from now on. */
void gm_plist_arrive(struct gm_block *blk)
{
	spin_lock(&blk->plist_lock);
	if (blk->plist_id < 0)
		blk->plist_id = 0;
	spin_unlock(&blk->plist_lock);
}

/* @blk is leaving its device: off any list, and not listable until it returns. */
void gm_plist_unlink(struct gm_block *blk)
{
	spin_lock(&blk->plist_lock);
	__gm_plist_unlink(blk, -1);
	spin_unlock(&blk->plist_lock);
}

/*
 * Take the first block off @pl, @pol's lock held. The block's lock comes
 * first in the lock order, so it is only trylocked: false when its holder
 * (the core taking it off, which then waits for @pol's lock) has it.
 */
static bool gm_plist_pop(struct gm_bpf_policy *pol, struct gm_plist *pl)
{
	struct gm_block *blk = list_first_entry(&pl->head, struct gm_block, plist);

	if (!spin_trylock(&blk->plist_lock))
		return false;
	list_del_init(&blk->plist);
	pl->len--;
	blk->plist_id = 0;
	spin_unlock(&blk->plist_lock);
	return true;
}

/* No hook of @pol runs any more (gm_bpf.c waited for a grace period). */
void gm_plist_destroy_all(struct gm_bpf_policy *pol)
{
	struct gm_plist *pl, *tmp;

	spin_lock(&pol->plist_lock);
	list_for_each_entry_safe(pl, tmp, &pol->lists, node) {
		while (!list_empty(&pl->head)) {
			if (gm_plist_pop(pol, pl))
				continue;
			spin_unlock(&pol->plist_lock);
			cpu_relax();
			spin_lock(&pol->plist_lock);
		}
		xa_erase(&gm_plists, pl->id);
		list_del(&pl->node);
		kfree_rcu(pl, rcu);
	}
	pol->nr_lists = 0;
	memset(pol->plist_hint, 0, sizeof(pol->plist_hint));
	spin_unlock(&pol->plist_lock);
}

/*
 * The block @blk_id names in the hook call @call, or NULL: the one the call
 * resolved last if it is that (kfuncs of one decision usually name one
 * block), else looked up (hooks run under RCU, which keeps it valid).
 */
static struct gm_block *gm_call_block(struct gm_hook_call *call, u64 blk_id)
{
	struct gm_object *obj = call->blk ? call->blk->obj : NULL;

	if (blk_id == call->blk_id)
		return call->blk;
	/* Another block of the same (live) object: no object lookup. */
	if (obj && GMEM_BLK_OBJ(blk_id) == obj->id && !READ_ONCE(obj->dead))
		call->blk = gm_obj_block(obj, GMEM_BLK_IDX(blk_id));
	else
		call->blk = gm_block_by_id(blk_id);
	call->blk_id = blk_id;
	call->blk_ours = call->blk && obj == call->blk->obj && call->blk_ours;
	return call->blk;
}

/*
 * A block id a policy decided on; unknown ids count as invalid decisions.
 * A policy decides only for its own tenant's blocks (gm_bpf_attach.c): a
 * block of an object another attachment decides for is unknown to it, so a
 * tenant's policy never nominates or lists another tenant's blocks. A block
 * of an object munmap is destroying is unknown too, but not counted: the
 * policy learns of each such block only at its evicted call, and until
 * then it may well name it.
 */
static struct gm_block *gm_decided_block(struct gm_hook_call *call, u64 blk_id)
{
	struct gm_block *blk = gm_call_block(call, blk_id);

	if (!blk) {
		if (!gm_obj_id_dying(GMEM_BLK_OBJ(blk_id)))
			gm_policy_reject(GMEM_REJ_BAD_ID);
		return NULL;
	}
	if (!call->blk_ours) {
		if (gm_obj_policy(blk->obj) != call->pol) {
			gm_policy_reject(GMEM_REJ_BAD_ID);
			return NULL;
		}
		call->blk_ours = true;
	}
	return blk;
}

/*
 * Add blocks [@blk_id, @blk_id + @nr) of @req's object to its prefetch
 * requests: the validation both prefetch kfuncs share.
 */
static s32 gm_prefetch_request(struct gm_fault_req *req, u64 blk_id, u32 nr)
{
	u32 idx = GMEM_BLK_IDX(blk_id), i;
	s32 added = 0;

	if (!nr || GMEM_BLK_OBJ(blk_id) != req->ctx.obj || idx >= req->ctx.nr_blocks ||
	    nr > req->ctx.nr_blocks - idx) {
		gm_policy_reject(GMEM_REJ_PREFETCH_RANGE);
		return -ERANGE;
	}
	if (nr > GM_PREFETCH_BUDGET) {
		gm_policy_reject(GMEM_REJ_PREFETCH_BUDGET);
		return -E2BIG;
	}
	for (i = 0; i < nr; i++)
		added += gm_fault_req_add_prefetch(req, blk_id + i, true);
	return added;
}

/*
 * The core's LRU lists (gm_evict.c keeps them for every policy; the built-in
 * policy evicts from them) are readable by policies, so that one that wants
 * LRU order need not keep a copy of it through the activated and accessed
 * hooks. A walk shows only blocks the caller decides for: another tenant's
 * and a dying object's are passed over, at most GM_LRU_SKIP of them per
 * call, so that one call holds ds->lock for a bounded time whatever the
 * lists hold. A walk that finds only such blocks ends early; the built-in
 * policy then completes the eviction, as for any policy that nominates too
 * few.
 */
#define GM_LRU_SKIP	64

/* Hooks run in a device fault or hint, which hold gm_devs_rwsem for read. */
static struct gm_devstate *gm_dev_of(u32 dev)
{
	return dev < GMEM_MAX_DEVICES ? READ_ONCE(gm_devs[dev]) : NULL;
}

/* gm_dev_of() for a kfunc that has not checked its caller yet. */
static struct gm_devstate *gm_kfunc_dev(u32 dev)
{
	return gm_bpf_caller() ? gm_dev_of(dev) : NULL;
}

/* The device and class of LRU list id @list (< 0), or NULL. */
static struct gm_devstate *gm_lru_list_of(s64 list, enum gm_lru_list *cls)
{
	u64 n;

	if (list >= 0 || list < -(s64)GMEM_MAX_DEVICES * GMEM_LRU_CLASSES)
		return NULL;
	n = -list - 1;
	*cls = n % GMEM_LRU_CLASSES;
	return gm_dev_of(n / GMEM_LRU_CLASSES);
}

/* Does @call's policy decide for @blk (a live block of its tenant)? RCU held. */
static bool gm_call_decides(struct gm_hook_call *call, struct gm_block *blk)
{
	if (READ_ONCE(blk->obj->dead))
		return false;
	if (call->blk && call->blk->obj == blk->obj && call->blk_ours)
		return true;
	return gm_obj_policy(blk->obj) == call->pol;
}

/*
 * The first block after @pos on @head (ds->lru[], ds->lock held) that @call
 * decides for, remembered as the call's last block; 0 if none
 * within GM_LRU_SKIP others.
 */
static u64 gm_lru_walk(struct gm_hook_call *call, struct list_head *head, struct gm_block *pos)
{
	u32 skip = GM_LRU_SKIP;

	list_for_each_entry_continue(pos, head, lru) {
		if (gm_call_decides(call, pos)) {
			call->blk = pos;
			call->blk_id = gm_blk_id(pos);
			call->blk_ours = true;
			return call->blk_id;
		}
		if (!--skip)
			break;
	}
	return 0;
}

/* bpf_gmem_list_first() of LRU list @cls of @ds. */
static u64 gm_lru_first(struct gm_hook_call *call, struct gm_devstate *ds, enum gm_lru_list cls)
{
	struct list_head *head = &ds->lru[cls];
	u64 id;

	spin_lock(&ds->lock);
	id = gm_lru_walk(call, head, list_entry(head, struct gm_block, lru));
	spin_unlock(&ds->lock);
	return id;
}

/* bpf_gmem_list_next() on LRU list @cls of @ds: 0 unless @blk is on it. */
static u64 gm_lru_next(struct gm_hook_call *call, struct gm_devstate *ds, enum gm_lru_list cls,
		       struct gm_block *blk)
{
	u64 id = 0;

	spin_lock(&ds->lock);
	if (!list_empty(&blk->lru) && blk->lru_list == cls && READ_ONCE(blk->dev) == ds->dev->id)
		id = gm_lru_walk(call, &ds->lru[cls], blk);
	spin_unlock(&ds->lock);
	return id;
}

__bpf_kfunc_start_defs();

/**
 * bpf_gmem_prefetch - request blocks [@blk_id, @blk_id + @nr) for the fault @ctx
 *
 * Only from the prefetch hook, or the fault hook of a policy with
 * GMEM_OPS_FAULT_PREFETCH, for blocks of the faulting object, at most
 * GMEM_PREFETCH_BUDGET per fault in total. Blocks already on the device or
 * already requested are skipped silently; from the fault hook a block on
 * the device is kept (the fault's own migration may evict it) and skipped
 * if it is still there when the prefetch runs.
 * Return: blocks added, -ERANGE (outside the object; counted), -E2BIG (@nr
 * over the budget; counted), -EINVAL (not this hook's ctx), -EPERM.
 */
__bpf_kfunc s32 bpf_gmem_prefetch(struct gmem_fault_ctx *ctx, u64 blk_id, u32 nr)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_fault_req *req;

	if (!call)
		return -EPERM;
	req = call->fault;
	if (!req || &req->ctx != ctx)
		return -EINVAL;
	return gm_prefetch_request(req, blk_id, nr);
}

/**
 * bpf_gmem_prefetch_dev - request blocks [@blk_id, @blk_id + @nr) for @dev
 *
 * bpf_gmem_prefetch() without the ctx, so that it also works where there is
 * none: from the prefetch hook, for its fault, and from the accessed hook
 * when the device reported the access, for that access (the core migrates
 * and maps the blocks after the hook returns, so a policy can stay ahead
 * of a device that streams through blocks without waiting for a fault).
 * @dev must be the device of that fault or access and the blocks must be
 * in the object of its block; at most GMEM_PREFETCH_BUDGET per hook call.
 * Return: as bpf_gmem_prefetch(); -EINVAL also for another @dev, or an
 * accessed call that a fault made (the fault's own prefetch covers it).
 */
__bpf_kfunc s32 bpf_gmem_prefetch_dev(u32 dev, u64 blk_id, u32 nr)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_fault_req *req;

	if (!call)
		return -EPERM;
	req = call->fault;
	if (!req || req->ctx.dev != dev)
		return -EINVAL;
	return gm_prefetch_request(req, blk_id, nr);
}

/**
 * bpf_gmem_evict_nominate - offer @blk_id as a victim for the evict hook's @ctx
 *
 * Return: victims still wanted after this one (0: enough), -ENOSPC (enough
 * already), -ENOENT (no such block; counted), -EINVAL (invalid victim:
 * counted by reason, or not this hook's ctx), -EPERM.
 */
__bpf_kfunc s32 bpf_gmem_evict_nominate(struct gmem_evict_ctx *ctx, u64 blk_id)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_evict_req *req;
	struct gm_block *blk;
	u32 want;

	if (!call)
		return -EPERM;
	req = call->evict;
	if (!req || &req->ctx != ctx)
		return -EINVAL;
	want = min_t(u32, ctx->nr, GM_EVICT_MAX);
	if (req->nr_victims >= want)
		return -ENOSPC;
	blk = gm_decided_block(call, blk_id);
	if (!blk)
		return -ENOENT;
	if (!gm_evict_req_add(req, blk, true))
		return -EINVAL;
	return want - req->nr_victims;
}

/**
 * bpf_gmem_list_create - a new, empty list owned by the calling policy
 *
 * Return: the list id (> 0), -ENOSPC past GMEM_LISTS_MAX, -ENOMEM, -EPERM.
 */
__bpf_kfunc s64 bpf_gmem_list_create(void)
{
	struct gm_bpf_policy *pol = gm_bpf_caller();
	struct gm_plist *pl;
	u32 id;
	int err;

	if (!pol)
		return -EPERM;
	pl = kzalloc(sizeof(*pl), GFP_NOWAIT | __GFP_NOWARN);
	if (!pl)
		return -ENOMEM;
	INIT_LIST_HEAD(&pl->head);
	pl->owner = pol;
	spin_lock(&pol->plist_lock);
	err = pol->nr_lists >= GMEM_LISTS_MAX ? -ENOSPC :
	      xa_alloc(&gm_plists, &id, pl, xa_limit_31b, GFP_NOWAIT | __GFP_NOWARN);
	if (!err) {
		pl->id = id;
		list_add_tail(&pl->node, &pol->lists);
		pol->nr_lists++;
	}
	spin_unlock(&pol->plist_lock);
	if (err) {
		kfree(pl);
		return err;
	}
	return id;
}

/*
 * @list of the caller's policy, or NULL (counted). Valid for the rest of the
 * hook call: a policy's lists go only when none of its hooks can run.
 */
static struct gm_plist *gm_call_plist(struct gm_hook_call *call, s64 list)
{
	struct gm_plist *pl;

	spin_lock(&call->pol->plist_lock);
	pl = gm_plist_get(call->pol, list);
	spin_unlock(&call->pol->plist_lock);
	if (!pl)
		gm_policy_reject(GMEM_REJ_BAD_ID);
	return pl;
}

/*
 * blk->plist_lock held: put @blk, resident, on @pl, from whichever list
 * holds it now (or within @pl, an LRU's touch: its length stays).
 */
static void gm_plist_put(struct gm_plist *pl, struct gm_block *blk, bool tail)
{
	struct gm_bpf_policy *pol = pl->owner;
	struct gm_plist *cur = NULL;

	if (gm_blk_listed(blk)) {
		cur = gm_blk_plist(blk);
		/* Another policy's list (before a swap): unlinked under its lock alone. */
		if (cur != pl && (!cur || cur->owner != pol)) {
			__gm_plist_unlink(blk, 0);
			cur = NULL;
		}
	}
	spin_lock(&pol->plist_lock);
	if (cur == pl) {
		if (tail)
			list_move_tail(&blk->plist, &pl->head);
		else
			list_move(&blk->plist, &pl->head);
	} else {
		if (cur) {		/* another list of @pol, whose lock is held */
			cur->len--;
			list_del_init(&blk->plist);
		}
		gm_plist_link(pl, blk, tail);
	}
	spin_unlock(&pol->plist_lock);
}

/* add (@move false) or move (@move true) @blk_id to @list. */
static int gm_list_put(s64 list, u64 blk_id, bool tail, bool move)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_plist *pl;
	struct gm_block *blk;
	int err = 0;

	if (!call || list < 0)
		return -EPERM;	/* the core's LRU lists are read-only */
	pl = gm_call_plist(call, list);
	if (!pl)
		return -ENOENT;
	blk = gm_decided_block(call, blk_id);
	if (!blk)
		return -ENOENT;
	spin_lock(&blk->plist_lock);
	if (blk->plist_id < 0)
		err = -EINVAL;
	else if (!move && gm_blk_listed(blk))
		err = -EEXIST;
	else
		gm_plist_put(pl, blk, tail);
	spin_unlock(&blk->plist_lock);
	return err;
}

/**
 * bpf_gmem_list_add - put the resident block @blk_id on @list (at the tail if @tail)
 *
 * Return: 0, -EEXIST (already on a list), -EINVAL (not resident on a
 * device), -ENOENT (unknown list or block; counted), -EPERM (also for one
 * of the core's LRU lists, which only the core changes).
 */
__bpf_kfunc int bpf_gmem_list_add(s64 list, u64 blk_id, bool tail)
{
	return gm_list_put(list, blk_id, tail, false);
}

/**
 * bpf_gmem_list_move - put @blk_id at the head or tail of @list, from
 * whichever list (or none) holds it now. Return: as bpf_gmem_list_add().
 */
__bpf_kfunc int bpf_gmem_list_move(s64 list, u64 blk_id, bool tail)
{
	return gm_list_put(list, blk_id, tail, true);
}

/**
 * bpf_gmem_list_del - take @blk_id off its list
 *
 * Return: 0, -ENOENT (unknown block, counted; or on no list), -EPERM.
 */
__bpf_kfunc int bpf_gmem_list_del(u64 blk_id)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_block *blk;
	int err = -ENOENT;

	if (!call)
		return -EPERM;
	blk = gm_decided_block(call, blk_id);
	if (!blk)
		return -ENOENT;
	spin_lock(&blk->plist_lock);
	if (gm_blk_listed(blk)) {
		__gm_plist_unlink(blk, 0);
		err = 0;
	}
	spin_unlock(&blk->plist_lock);
	return err;
}

/*
 * pol->plist_lock held: the id of the first block from @pos to the end of
 * @pl whose object is not being destroyed, passing over at most GM_LRU_SKIP
 * that are; 0 when there is none. A dying object's blocks stay listed until
 * gm_policy_obj_dying() reaches them, and a policy can neither name them
 * (gm_decided_block()) nor walk on from one, so a walk that returned one
 * would end there, before the live blocks behind it.
 */
static u64 gm_plist_live_from(struct gm_plist *pl, struct list_head *pos)
{
	unsigned int skipped = 0;
	struct gm_block *blk;

	for (; pos != &pl->head && skipped < GM_LRU_SKIP; pos = pos->next, skipped++) {
		blk = list_entry(pos, struct gm_block, plist);
		if (!READ_ONCE(blk->obj->dead))
			return gm_blk_id(blk);
	}
	return 0;
}

/**
 * bpf_gmem_list_first - the block at the head of @list
 *
 * Blocks of an object being destroyed are passed over (gm_plist_live_from()).
 * @list may be one of the core's LRU lists (gmem_lru_list()): its least
 * recently used block the caller decides for (gm_lru_walk()).
 * Return: its block id, or 0 (empty, unknown list, or not callable here).
 */
__bpf_kfunc u64 bpf_gmem_list_first(s64 list)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_devstate *ds;
	enum gm_lru_list cls;
	struct gm_plist *pl;
	u64 id = 0;

	if (!call)
		return 0;
	if (list < 0) {
		ds = gm_lru_list_of(list, &cls);
		return ds ? gm_lru_first(call, ds, cls) : 0;
	}
	spin_lock(&call->pol->plist_lock);
	pl = gm_plist_get(call->pol, list);
	if (pl)
		id = gm_plist_live_from(pl, pl->head.next);
	spin_unlock(&call->pol->plist_lock);
	return id;
}

/**
 * bpf_gmem_list_next - the block after @blk_id on @list
 *
 * Blocks of an object being destroyed are passed over, as by list_first.
 * Return: its block id, or 0 at the end, or when @blk_id is not on @list.
 */
__bpf_kfunc u64 bpf_gmem_list_next(s64 list, u64 blk_id)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_devstate *ds;
	enum gm_lru_list cls;
	struct gm_block *blk;
	struct gm_plist *pl;
	u64 id = 0;

	if (!call)
		return 0;
	blk = gm_call_block(call, blk_id);
	if (!blk)
		return 0;
	if (list < 0) {
		ds = gm_lru_list_of(list, &cls);
		return ds ? gm_lru_next(call, ds, cls, blk) : 0;
	}
	/* plist_id changes to or from pl->id only under pl's owner's lock. */
	spin_lock(&call->pol->plist_lock);
	pl = gm_plist_get(call->pol, list);
	if (pl && blk->plist_id == pl->id)
		id = gm_plist_live_from(pl, blk->plist.next);
	spin_unlock(&call->pol->plist_lock);
	return id;
}

/**
 * bpf_gmem_list_len - blocks on @list, or -ENOENT, -EPERM; -EOPNOTSUPP for
 * the core's LRU lists, whose lengths are not kept per class
 */
__bpf_kfunc s64 bpf_gmem_list_len(s64 list)
{
	struct gm_bpf_policy *pol = gm_bpf_caller();
	struct gm_plist *pl;
	s64 len;

	if (!pol)
		return -EPERM;
	if (list < 0)
		return -EOPNOTSUPP;
	spin_lock(&pol->plist_lock);
	pl = gm_plist_get(pol, list);
	len = pl ? pl->len : -ENOENT;
	spin_unlock(&pol->plist_lock);
	return len;
}

/**
 * bpf_gmem_block_state - fill @info (on the BPF stack) for @blk_id
 *
 * Return: 0, -ENOENT (no such block), -EPERM.
 */
__bpf_kfunc int bpf_gmem_block_state(u64 blk_id, struct gmem_block_info *info)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_block *blk;

	if (!call)
		return -EPERM;
	blk = gm_call_block(call, blk_id);
	if (!blk)
		return -ENOENT;
	info->state = READ_ONCE(blk->state);
	info->dev = info->state == GMEM_BLK_DEVICE || info->state == GMEM_BLK_REMOTE ||
		    info->state == GMEM_BLK_BOTH ? READ_ONCE(blk->dev) : GM_NO_DEV;
	info->flags = READ_ONCE(blk->flags) & ~(GM_BLK_BUSY | GM_BLK_CPU_MAPPED);
	if (mutex_is_locked(&blk->lock))
		info->flags |= GM_BLK_BUSY;
	if (info->state == GMEM_BLK_DEVICE || info->state == GMEM_BLK_BOTH)
		info->flags |= GMEM_BF_RESIDENT;
	if (READ_ONCE(blk->inflight))
		info->flags |= GMEM_BF_INFLIGHT;
	if (gm_blk_in_live_batch(blk))
		info->flags |= GMEM_BF_BATCH;
	info->pref_dev = READ_ONCE(blk->pref_dev);
	info->pad = 0;
	info->list = READ_ONCE(blk->plist_id) > 0 ? READ_ONCE(blk->plist_id) : -1;
	info->tag = READ_ONCE(blk->tag);
	info->last_access = READ_ONCE(blk->last_access);
	return 0;
}

/** bpf_gmem_block_tag - the GMEM_ADV_TAG value of @blk_id, 0 if none or unknown */
__bpf_kfunc u64 bpf_gmem_block_tag(u64 blk_id)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_block *blk;

	if (!call)
		return 0;
	blk = gm_call_block(call, blk_id);
	return blk ? READ_ONCE(blk->tag) : 0;
}

/**
 * bpf_gmem_obj_range - the user range of object @obj into *@start, *@size
 *
 * Return: the object's block count, -ENOENT (no such live object), -EPERM.
 */
__bpf_kfunc s64 bpf_gmem_obj_range(u32 obj, u64 *start, u64 *size)
{
	struct gm_object *o;

	if (!gm_bpf_caller())
		return -EPERM;
	/* Hooks run under RCU, which keeps the object's memory valid. */
	o = gm_obj_find_rcu(obj);
	if (!o)
		return -ENOENT;
	*start = o->start;
	*size = o->size;
	return o->nr_blocks;
}

/** bpf_gmem_dev_capacity - HBM blocks of device @dev, or -ENODEV */
__bpf_kfunc s64 bpf_gmem_dev_capacity(u32 dev)
{
	struct gm_devstate *ds = gm_kfunc_dev(dev);

	return ds ? gm_dev_capacity(ds) : -ENODEV;
}

/** bpf_gmem_dev_used - HBM blocks of device @dev in use, or -ENODEV */
__bpf_kfunc s64 bpf_gmem_dev_used(u32 dev)
{
	struct gm_devstate *ds = gm_kfunc_dev(dev);

	return ds ? READ_ONCE(ds->used_blocks) : -ENODEV;
}

/**
 * bpf_gmem_block_tenant - the tenant of @blk_id's object
 *
 * The cgroup id of the entry (GMEM_IOC_TENANT_SET) whose HBM limit and share
 * the block's object is under (the nearest ancestor of its creator's cgroup
 * with one, fixed when the object was created), the key of the two kfuncs
 * below. Return: 0 when the object has no tenant or the block is unknown.
 */
__bpf_kfunc u64 bpf_gmem_block_tenant(u64 blk_id)
{
	struct gm_hook_call *call = gm_bpf_call();
	struct gm_block *blk;
	struct gm_tenant *t;

	if (!call)
		return 0;
	blk = gm_call_block(call, blk_id);
	t = blk ? READ_ONCE(blk->obj->tenant) : NULL;
	return t ? t->cgid : 0;
}

/*
 * Hooks run under RCU: a tenant found in the table stays valid until they
 * return. One whose cgroup was removed has left the table (-ENOENT).
 */
static struct gm_tenant *gm_kfunc_tenant(u64 cgid)
{
	return gm_bpf_caller() && cgid ? gm_tenant_find_rcu(cgid) : NULL;
}

/** bpf_gmem_tenant_used - HBM blocks tenant @cgid holds on @dev, -ENOENT, -ENODEV */
__bpf_kfunc s64 bpf_gmem_tenant_used(u64 cgid, u32 dev)
{
	struct gm_tenant *t = gm_kfunc_tenant(cgid);

	if (!t)
		return -ENOENT;
	if (dev >= GMEM_MAX_DEVICES)
		return -ENODEV;
	return atomic64_read(&t->used[dev]);
}

/** bpf_gmem_tenant_limit - tenant @cgid's HBM limit in blocks per device (0: none), -ENOENT */
__bpf_kfunc s64 bpf_gmem_tenant_limit(u64 cgid)
{
	struct gm_tenant *t = gm_kfunc_tenant(cgid);

	return t ? READ_ONCE(t->limit_blocks) : -ENOENT;
}

/**
 * bpf_gmem_error - eject the calling policy, with @msg as the exit message
 *
 * The ejection takes effect when the hook returns; kfuncs stop acting at
 * once. gmem.bpf.h's gmem_error() formats the message with bpf_snprintf().
 */
__bpf_kfunc void bpf_gmem_error(const char *msg, u32 msg__sz)
{
	char buf[GMEM_EXIT_MSG_LEN];
	u32 len = min_t(u32, msg__sz, sizeof(buf) - 1);

	if (!gm_bpf_caller())
		return;
	memcpy(buf, msg, len);
	buf[len] = '\0';
	gm_bpf_request_eject(GMEM_EXIT_ERROR, buf);
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(gm_kfunc_ids)
BTF_ID_FLAGS(func, bpf_gmem_prefetch)
BTF_ID_FLAGS(func, bpf_gmem_prefetch_dev)
BTF_ID_FLAGS(func, bpf_gmem_evict_nominate)
BTF_ID_FLAGS(func, bpf_gmem_list_create)
BTF_ID_FLAGS(func, bpf_gmem_list_add)
BTF_ID_FLAGS(func, bpf_gmem_list_move)
BTF_ID_FLAGS(func, bpf_gmem_list_del)
BTF_ID_FLAGS(func, bpf_gmem_list_first)
BTF_ID_FLAGS(func, bpf_gmem_list_next)
BTF_ID_FLAGS(func, bpf_gmem_list_len)
BTF_ID_FLAGS(func, bpf_gmem_block_state)
BTF_ID_FLAGS(func, bpf_gmem_block_tag)
BTF_ID_FLAGS(func, bpf_gmem_obj_range)
BTF_ID_FLAGS(func, bpf_gmem_dev_capacity)
BTF_ID_FLAGS(func, bpf_gmem_dev_used)
BTF_ID_FLAGS(func, bpf_gmem_block_tenant)
BTF_ID_FLAGS(func, bpf_gmem_tenant_used)
BTF_ID_FLAGS(func, bpf_gmem_tenant_limit)
BTF_ID_FLAGS(func, bpf_gmem_error)
BTF_KFUNCS_END(gm_kfunc_ids)

/* Load time: struct_ops programs of other types do not get these kfuncs. */
static int gm_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&gm_kfunc_ids, kfunc_id))
		return 0;
	return gm_bpf_prog_is_policy(prog) ? 0 : -EACCES;
}

static const struct btf_kfunc_id_set gm_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &gm_kfunc_ids,
	.filter	= gm_kfunc_filter,
};

int gm_bpf_kfuncs_register(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &gm_kfunc_set);
}
