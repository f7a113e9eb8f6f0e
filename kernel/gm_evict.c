// SPDX-License-Identifier: GPL-2.0
/*
 * gm_evict.c: HBM allocation, the device LRU lists, and eviction.
 *
 * Each device keeps its resident blocks (DEVICE and BOTH) on one of four
 * lists by hint class: COLD, NORMAL, HOT and PINNED, least recent first.
 * The built-in policy takes victims from the heads of COLD, NORMAL, HOT in
 * that order, so picking a victim costs O(1) in the number of resident
 * blocks (pinned blocks are never walked; busy blocks are skipped as they
 * are met, and there are at most a few per faulting task).
 *
 * HBM is reserved before it is allocated: ds->used_blocks counts blocks
 * allocated or about to be, so two faults never both take the last free
 * block. When the device is full, gm_make_room() asks the policy for victims
 * (gm_policy_evict(), which the built-in policy completes), then trylocks
 * each one and writes it back holding only that block's lock and the
 * faulting block's lock. A victim that is locked by someone else is busy
 * and skipped (as TTM skips reserved buffers on its LRU).
 *
 * Lifetime: victims are found by pointer under ds->lock or by id in the
 * policy hook; both run inside one RCU read section together with the
 * trylocks, and block memory is freed only after a grace period
 * (gm_block.c). Once a victim's lock is held, its object cannot finish
 * dying (gm_obj_destroy() takes every block lock), so the victim stays
 * valid until it is unlocked.
 *
 * Tenants (gm_tenant.c): an HBM block is charged to the tenant of the
 * block it is for before the device's count is reserved; a tenant at its
 * limit makes room from its own blocks (gm_make_room() with @own), and a
 * full device takes room first from the tenant most over its share.
 *
 * Locking: caller holds its own block's lock; ds->lock (spinlock) protects
 * the lists and counters and is never held across a sleep; victims are
 * taken with mutex_trylock() only.
 */
#include <linux/hrtimer.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_tracepoints.h"

/*
 * How long rounds in a row may find only busy victims before HBM counts as
 * full. A time, not a count of rounds: with copy engines a victim can stay
 * locked while its owner waits for the copies queued ahead of its block,
 * and 200 rounds of 0.1-1 ms ran out under make stress-concurrency (one
 * device job in 390610 operations failed with -ENOMEM).
 */
#define GM_EVICT_BUSY_MS	2000

static enum gm_lru_list gm_lru_class(const struct gm_block *blk)
{
	if (blk->flags & GM_BLK_PINNED)
		return GM_LRU_PINNED;
	if (blk->flags & GM_BLK_COLD)
		return GM_LRU_COLD;
	if (blk->flags & GM_BLK_HOT)
		return GM_LRU_HOT;
	return GM_LRU_NORMAL;
}

static void __gm_lru_link(struct gm_devstate *ds, struct gm_block *blk)
{
	blk->lru_list = gm_lru_class(blk);
	list_add_tail(&blk->lru, &ds->lru[blk->lru_list]);
	if (blk->lru_list == GM_LRU_PINNED)
		ds->pinned_blocks++;
}

static void __gm_lru_unlink(struct gm_devstate *ds, struct gm_block *blk)
{
	if (list_empty(&blk->lru))
		return;
	list_del_init(&blk->lru);
	if (blk->lru_list == GM_LRU_PINNED)
		ds->pinned_blocks--;
}

/* @blk arrived in @ds's HBM: newest on its class list. */
void gm_lru_add(struct gm_devstate *ds, struct gm_block *blk)
{
	lockdep_assert_held(&blk->lock);
	spin_lock(&ds->lock);
	__gm_lru_unlink(ds, blk);
	__gm_lru_link(ds, blk);
	spin_unlock(&ds->lock);
}

void gm_lru_del(struct gm_devstate *ds, struct gm_block *blk)
{
	spin_lock(&ds->lock);
	__gm_lru_unlink(ds, blk);
	spin_unlock(&ds->lock);
}

/* The device used @blk: most recent on its list. */
void gm_lru_touch(struct gm_devstate *ds, struct gm_block *blk)
{
	spin_lock(&ds->lock);
	if (!list_empty(&blk->lru))
		list_move_tail(&blk->lru, &ds->lru[blk->lru_list]);
	spin_unlock(&ds->lock);
}

/* A hint changed @blk's pin/HOT/COLD flags: move it to its new class list. */
void gm_lru_update_class(struct gm_block *blk)
{
	struct gm_devstate *ds;

	lockdep_assert_held(&blk->lock);
	if (blk->state != GMEM_BLK_DEVICE && blk->state != GMEM_BLK_BOTH)
		return;
	ds = gm_devs[blk->dev];
	spin_lock(&ds->lock);
	if (!list_empty(&blk->lru) && blk->lru_list != gm_lru_class(blk)) {
		__gm_lru_unlink(ds, blk);
		__gm_lru_link(ds, blk);
	}
	spin_unlock(&ds->lock);
}

/* Reserve one HBM block of @ds if one is free; else how many are missing. */
static u64 gm_hbm_reserve(struct gm_devstate *ds)
{
	u64 short_by = 0;

	spin_lock(&ds->lock);
	if (ds->used_blocks < gm_dev_capacity(ds))
		ds->used_blocks++;
	else
		short_by = ds->used_blocks + 1 - gm_dev_capacity(ds);
	spin_unlock(&ds->lock);
	return short_by;
}

static void gm_hbm_unreserve(struct gm_devstate *ds)
{
	spin_lock(&ds->lock);
	ds->used_blocks--;
	spin_unlock(&ds->lock);
}

/*
 * Charge one HBM block of @ds to @busy's tenant, evicting that tenant's own
 * blocks while it is at its limit. -EDQUOT when none of them can go.
 */
static int gm_tenant_reserve(struct gm_devstate *ds, struct gm_block *busy)
{
	struct gm_tenant *t = busy->obj->tenant;
	u64 over;
	int ret;

	if (!t) {
		atomic64_inc(&ds->untenanted);
		return 0;
	}
	while ((over = gm_tenant_try_charge(t, ds->dev->id))) {
		ret = gm_make_room(ds->dev->id, min_t(u64, over, GM_EVICT_MAX), busy, t);
		if (ret == -ENOMEM) {
			atomic64_inc(&t->edquot);
			return -EDQUOT;
		}
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

static void gm_tenant_unreserve(struct gm_devstate *ds, struct gm_block *blk)
{
	if (blk->obj->tenant)
		gm_tenant_uncharge(blk->obj->tenant, ds->dev->id);
	else
		atomic64_dec(&ds->untenanted);
}

/*
 * Take one HBM block of @ds for @busy (locked by the caller), within its
 * tenant's limit, evicting first when the tenant is at its limit or the
 * device is full. -EDQUOT when the tenant has nothing left to evict,
 * -ENOMEM when the device has not, -EINTR on a fatal signal, -EFAULT when
 * @busy's object is being destroyed.
 */
int gm_dblk_alloc(struct gm_devstate *ds, struct gm_block *busy, u64 *dblk)
{
	struct gm_dev *dev = ds->dev;
	u64 short_by;
	int ret;

	ret = gm_tenant_reserve(ds, busy);
	if (ret)
		return ret;
	while ((short_by = gm_hbm_reserve(ds))) {
		ret = gm_make_room(dev->id, short_by, busy, NULL);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (ret)
			goto err_tenant;
	}
	ret = dev->ops->alloc_block(dev, dblk);
	if (ret == -ENOMEM) {
		/* The driver has fewer free blocks than our count says: one more. */
		ret = gm_make_room(dev->id, 1, busy, NULL);
		if (!ret)
			ret = dev->ops->alloc_block(dev, dblk);
	}
	if (ret) {
		gm_hbm_unreserve(ds);
		goto err_tenant;
	}
	atomic_long_inc(&gm_live_dev_blocks);
	return 0;
err_tenant:
	gm_tenant_unreserve(ds, busy);
	return ret;
}

/* Free @blk's HBM block @dblk (charged to its tenant by gm_dblk_alloc()). */
void gm_dblk_free(struct gm_devstate *ds, struct gm_block *blk, u64 dblk)
{
	ds->dev->ops->free_block(ds->dev, dblk);
	gm_hbm_unreserve(ds);
	gm_tenant_unreserve(ds, blk);
	atomic_long_dec(&gm_live_dev_blocks);
}

/*
 * Lock the victim @blk if it can be evicted from @dev now. The trylock
 * fails for the block being brought in (its lock is ours) and for anything
 * another task is migrating.
 */
static bool gm_victim_trylock(struct gm_block *blk, u32 dev)
{
	if (!mutex_trylock(&blk->lock))
		return false;
	if (!READ_ONCE(blk->obj->dead) && gm_blk_resident_on(blk, dev) &&
	    !(blk->flags & GM_BLK_PINNED))
		return true;
	mutex_unlock(&blk->lock);
	return false;
}

/*
 * Test only (test_core_async sigkill_in_eviction_round_evicts_nothing):
 * sleep this long in gm_evict_round() with its victims chosen and locked,
 * before it moves them: the window in which a SIGKILL arrives after a
 * round's waits, as when the task got its CPU back only after its victim's
 * copy landed. Capped at 100 ms; 0 (default) in use.
 */
static unsigned int debug_evict_delay_us;
module_param(debug_evict_delay_us, uint, 0644);
MODULE_PARM_DESC(debug_evict_delay_us,
		 "Test only: sleep this many us in each eviction round before moving its victims (max 100000, default 0)");

static void gm_evict_req_init(struct gm_evict_req *req, struct gm_devstate *ds, u32 nr,
			      struct gm_block *busy, bool one, struct gm_tenant *t)
{
	memset(req, 0, sizeof(*req));
	req->ctx.dev = ds->dev->id;
	req->ctx.nr = min_t(u32, nr, GM_EVICT_MAX);
	req->ctx.busy_blk_id = busy ? gm_blk_id(busy) : 0;
	req->ctx.hbm_blocks = gm_dev_capacity(ds);
	spin_lock(&ds->lock);
	req->ctx.used_blocks = ds->used_blocks;
	spin_unlock(&ds->lock);
	req->busy = busy;
	req->one_tenant = one;
	req->tenant = t;
}

/*
 * Ask the policy for up to GM_EVICT_MAX victims on @ds (with @one, of
 * tenant @t only, NULL meaning objects without a tenant) and evict them.
 */
static u32 gm_evict_round(struct gm_devstate *ds, u32 nr, struct gm_block *busy,
			  bool one, struct gm_tenant *t)
{
	struct gm_evict_req *req;
	u32 i, n = 0, done = 0;

	req = kmalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return 0;
	gm_evict_req_init(req, ds, nr, busy, one, t);
	rcu_read_lock();
	gm_policy_evict(req);
	for (i = 0; i < req->nr_victims; i++)
		if (gm_victim_trylock(req->victims[i], ds->dev->id))
			req->victims[n++] = req->victims[i];
	rcu_read_unlock();
	if (n)
		gm_debug_delay(&debug_evict_delay_us, 100000);
	for (i = 0; i < n; i++) {
		struct gm_block *victim = req->victims[i];

		/*
		 * A killed task's caller gives up (-EINTR): no more moves for
		 * it. A victim whose copy landed, or that had none, would not
		 * make gm_blk_dev_to_host() look at the signal.
		 */
		if (!fatal_signal_pending(current) &&
		    !gm_blk_dev_to_host(victim, true, GM_COPY_QUEUE))
			done++;
		mutex_unlock(&victim->lock);
	}
	trace_gmem_evict(req->ctx.dev, req->ctx.nr, req->nr_victims, done);
	kfree(req);
	return done;
}

/*
 * Could a later round find a victim: is any resident block (of @t) not
 * pinned? For the whole device, any HBM block in use and not pinned counts,
 * including one reserved for a move still in progress: it is on no list
 * yet but will be evictable once it lands, so an HBM full of pinned and
 * arriving blocks is worth waiting for, not "nothing to evict" (one way a
 * device job of make stress, 16-block HBM, failed with -ENOMEM).
 */
static bool gm_evictable_exists(struct gm_devstate *ds, struct gm_tenant *t)
{
	enum gm_lru_list l;
	struct gm_block *blk;
	bool any;

	spin_lock(&ds->lock);
	any = !t && ds->used_blocks > ds->pinned_blocks;
	for (l = GM_LRU_COLD; t && !any && l <= GM_LRU_HOT; l++) {
		list_for_each_entry(blk, &ds->lru[l], lru) {
			if (READ_ONCE(blk->obj->tenant) == t) {
				any = true;
				break;
			}
		}
	}
	spin_unlock(&ds->lock);
	return any;
}

/*
 * Is there room for one more block on @ds without waiting: a free HBM
 * block, or an unlocked unpinned one near the heads of the lists? For
 * opportunistic moves (prefetch), which give up instead of waiting for busy
 * blocks, some of which may be their own.
 */
bool gm_hbm_room_now(struct gm_devstate *ds)
{
	enum gm_lru_list l;
	struct gm_block *blk;
	bool room = false;
	int seen;

	spin_lock(&ds->lock);
	room = ds->used_blocks < gm_dev_capacity(ds);
	for (l = GM_LRU_COLD; !room && l <= GM_LRU_HOT; l++) {
		seen = 0;
		list_for_each_entry(blk, &ds->lru[l], lru) {
			if (seen++ == 8)
				break;
			if (!mutex_is_locked(&blk->lock)) {
				room = true;
				break;
			}
		}
	}
	spin_unlock(&ds->lock);
	return room;
}

/*
 * One round for a full device: from the tenant most over its share
 * (gm_tenant.c) if any, else from objects without a tenant, else (when
 * neither had anything to give) by plain LRU.
 */
static u32 gm_evict_round_shared(struct gm_devstate *ds, u32 nr, struct gm_block *busy)
{
	struct gm_tenant *t = gm_tenant_most_over(ds->dev->id, gm_dev_capacity(ds));
	u32 done = 0;

	if (t) {
		done = gm_evict_round(ds, nr, busy, true, t);
		gm_tenant_put(t);
	}
	if (!done && atomic64_read(&ds->untenanted) > 0)
		done = gm_evict_round(ds, nr, busy, true, NULL);
	return done ?: gm_evict_round(ds, nr, busy, false, NULL);
}

/*
 * Did others' evictions or a munmap free what gm_make_room() is after: a
 * HBM block of @ds, or with @own (a tenant at its limit) room within its
 * limit on @ds?
 */
static bool gm_room_freed(struct gm_devstate *ds, struct gm_tenant *own)
{
	bool free;

	if (own)
		return gm_tenant_below_limit(own, ds->dev->id);
	spin_lock(&ds->lock);
	free = ds->used_blocks < gm_dev_capacity(ds);
	spin_unlock(&ds->lock);
	return free;
}

/*
 * Wait 100 us to 1 ms for busy blocks to come free, or until a fatal
 * signal: true if one is pending. Killable (usleep_range() is not), so
 * that a SIGKILL ends a hint that waits here at once instead of after the
 * sleep and one more eviction round.
 */
static bool gm_evict_busy_wait(void)
{
	ktime_t t = 100 * NSEC_PER_USEC;

	if (fatal_signal_pending(current))
		return true;
	set_current_state(TASK_KILLABLE);
	schedule_hrtimeout_range(&t, 900 * NSEC_PER_USEC, HRTIMER_MODE_REL);
	return fatal_signal_pending(current);
}

/*
 * Free @nr HBM blocks on @devid, never evicting @busy, pinned or busy
 * blocks; only blocks of @own when it is set (a tenant at its limit), else
 * first those of the tenant most over its share. A round that finds every
 * candidate busy (other tasks are moving them) waits briefly and tries
 * again, for up to GM_EVICT_BUSY_MS, unless room came free meanwhile (0:
 * the caller reserves or charges again; gm_room_freed()): -ENOMEM when
 * nothing could be freed (whatever was freed stays free), -EINTR on a
 * fatal signal, -EFAULT once @busy's object is being destroyed (munmap):
 * the room would be for a block about to be freed, and gm_obj_destroy()
 * waits for @busy's lock, which we hold, before it frees that object's
 * other blocks. Those are no victims (gm_evict_req_add()), so waiting for
 * them to come free would stall every task short of HBM on the device
 * until GM_EVICT_BUSY_MS ran out (device jobs of unrelated processes failed
 * with -ENOMEM under make stress).
 */
int gm_make_room(u32 devid, u32 nr, struct gm_block *busy, struct gm_tenant *own)
{
	struct gm_devstate *ds = gm_devstate(devid);
	unsigned long give_up = 0;
	bool waiting = false;
	u32 done;

	if (!ds)
		return -ENODEV;
	while (nr) {
		if (busy && READ_ONCE(busy->obj->dead))
			return -EFAULT;
		done = own ? gm_evict_round(ds, nr, busy, true, own) :
		       gm_evict_round_shared(ds, nr, busy);
		if (done) {
			nr -= min(done, nr);
			waiting = false;
			continue;
		}
		/*
		 * Only busy victims, but another task freed a block meanwhile:
		 * the caller takes that (and reserves or charges again) rather
		 * than wait to evict one more, which would cost a block that
		 * is in use and, were the busy ones held long, end in -ENOMEM
		 * (-EDQUOT for a tenant) with room free.
		 */
		if (gm_room_freed(ds, own))
			return 0;
		if (!waiting) {
			waiting = true;
			give_up = jiffies + msecs_to_jiffies(GM_EVICT_BUSY_MS);
		}
		if (time_after(jiffies, give_up) || !gm_evictable_exists(ds, own))
			return -ENOMEM;
		if (gm_evict_busy_wait())
			return -EINTR;
	}
	return 0;
}
