// SPDX-License-Identifier: GPL-2.0
/*
 * gm_migrate.c: every residency change of a block.
 *
 * States (enum gmem_block_state) and what backs them:
 *   NONE    nothing allocated; reads as zeroes.
 *   HOST    host pages hold the data; the CPU may map them.
 *   DEVICE  an HBM block (blk->dblk on blk->dev) holds the data. The host
 *           pages stay allocated as the block's backing store, so evicting
 *           never has to allocate memory under HBM pressure; the CPU maps
 *           nothing (its PTEs were zapped before the copy to HBM).
 *   REMOTE  host pages hold the data and blk->dev maps them over the bus;
 *           the CPU may map them too (same memory, coherent).
 *   BOTH    a read copy: the HBM block on blk->dev and the host pages hold
 *           the same data; the device maps the HBM block read-only and the
 *           CPU maps the host pages read-only.
 * Every transition keeps the resident_host/resident_dev counters exact
 * (gm_blk_set_state()) and the device LRU in step with HBM residency
 * (DEVICE and BOTH).
 *
 * Read copies (objects mapped with gmem.read_dup set, gm_object.c) follow
 * the HMM-mirror / openEuler GMEM model of a page that two MMUs may cache
 * as long as neither writes it:
 *   - a device READ fault on a block that is not on that device copies it
 *     host -> device (after zapping the CPU PTEs, which come back read-only
 *     at the next CPU fault) and maps it read-only there: BOTH. A device
 *     WRITE fault migrates as always: CPU zapped, DEVICE, mapped writable.
 *   - a device write to a BOTH block hits the read-only device mapping and
 *     faults with write set: the CPU PTEs are zapped, the block becomes
 *     DEVICE and is mapped writable (gm_blk_claim(); no copy, HBM is valid).
 *   - a CPU write to a BOTH block hits a read-only CPU PTE (page_mkwrite)
 *     or faults with FAULT_FLAG_WRITE: the device copy is dropped (unmapped,
 *     TLB flushed, HBM freed, the policy told it was evicted): HOST.
 *   - evicting a BOTH block, or DONTNEED on it, drops the device copy the
 *     same way: no copy back (the host pages are valid), no d2h traffic; an
 *     eviction still counts in evictions. WILLNEED and PIN claim the block
 *     for the device (DEVICE), as they do for a host block.
 *   - one device at a time holds a read copy: a read fault from another
 *     device drops it first (blk->dev names one device and one dblk).
 * Accounting: a BOTH block occupies HBM and is on the device LRU, so it
 * counts in resident_dev (not resident_host): resident_dev stays equal to
 * the HBM blocks in use, and resident_host + resident_dev to the blocks
 * that own host pages.
 *
 * Order of a move to a device: free an HBM block (evicting if needed), zap
 * the CPU PTEs, copy, then publish DEVICE. Order of a move back: unmap on
 * the device and flush its TLB, copy, free the HBM block, then publish HOST.
 * Either way neither side can write the copy being made.
 *
 * Locking: everything here runs with gm_lock held (see gm_core.h), which
 * also serializes the device ops. unmap_mapping_pages() takes i_mmap_rwsem
 * inside gm_lock, the documented order. The eviction request is a static
 * scratch area because gm_lock serializes its only user, gm_make_room(),
 * which is never re-entered (policy hooks cannot migrate).
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_tracepoints.h"

static struct gm_evict_req gm_evict_scratch;

static void gm_blk_account(struct gm_block *blk, int delta)
{
	switch (blk->state) {
	case GMEM_BLK_HOST:
	case GMEM_BLK_REMOTE:
		gm_stat_add(blk, GM_NO_DEV, resident_host, delta);
		break;
	case GMEM_BLK_DEVICE:
	case GMEM_BLK_BOTH:
		gm_stat_add(blk, blk->dev, resident_dev, delta);
		break;
	}
}

static void gm_blk_set_state(struct gm_block *blk, u8 state, u8 dev)
{
	gm_blk_account(blk, -1);
	blk->state = state;
	blk->dev = dev;
	gm_blk_account(blk, 1);
}

/* First touch: zeroed host pages for the whole block; NONE -> HOST. */
/*
 * Host pages are charged to the memory cgroup of the object's owner, not of
 * whoever faults first: device faults run on a driver's workqueue, and a
 * process must not escape memory.max by letting its device touch memory.
 */
int gm_blk_alloc_host(struct gm_block *blk)
{
	unsigned long i, n = GM_BLK_PAGES;
	struct mem_cgroup *memcg, *old_memcg;
	struct page **pages;

	lockdep_assert_held(&gm_lock);
	if (WARN_ON_ONCE(blk->state != GMEM_BLK_NONE))
		return -EINVAL;
	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	memcg = get_mem_cgroup_from_mm(blk->obj->mm);
	old_memcg = set_active_memcg(memcg);
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
		if (!pages[i])
			break;
	}
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	if (i < n)
		goto err;
	blk->pages = pages;
	atomic_long_add(n, &gm_live_host_pages);
	gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
	return 0;
err:
	while (i--)
		__free_page(pages[i]);
	kvfree(pages);
	return -ENOMEM;
}

/* Pages may still be pinned (GUP) by others: drop only our references. */
static void gm_blk_free_host(struct gm_block *blk)
{
	unsigned long i;

	if (!blk->pages)
		return;
	for (i = 0; i < GM_BLK_PAGES; i++)
		put_page(blk->pages[i]);
	kvfree(blk->pages);
	blk->pages = NULL;
	atomic_long_sub(GM_BLK_PAGES, &gm_live_host_pages);
}

/* After this, CPU accesses to @blk fault and wait for gm_lock. */
static void gm_blk_zap_cpu(struct gm_block *blk)
{
	struct gm_object *obj = blk->obj;

	unmap_mapping_pages(obj->mapping, obj->pgoff + (pgoff_t)blk->idx * GM_BLK_PAGES,
			    GM_BLK_PAGES, false);
}

/* Remove @blk's mapping (HBM or remote) from its device and flush its TLB. */
static void gm_blk_unmap_dev(struct gm_block *blk)
{
	struct gm_dev *dev = gm_devs[blk->dev]->dev;
	unsigned long va = gm_blk_va(blk);

	dev->ops->unmap(dev, blk->obj->mm, va);
	dev->ops->invalidate(dev, blk->obj->mm, va, gm_blk_size);
}

/* (Re)map @blk on @devid: writable only when the device owns the only copy. */
int gm_blk_map(struct gm_block *blk, u32 devid)
{
	struct gm_dev *dev = gm_devs[devid]->dev;

	lockdep_assert_held(&gm_lock);
	if (gm_blk_resident_on(blk, devid))
		return dev->ops->map(dev, blk->obj->mm, gm_blk_va(blk), blk->dblk,
				     blk->state == GMEM_BLK_DEVICE);
	return dev->ops->map_remote(dev, blk->obj->mm, gm_blk_va(blk), blk->pages);
}

/* Take one HBM block of @ds, evicting first when the device is full. */
static int gm_dblk_alloc(struct gm_devstate *ds, struct gm_block *busy, u64 *dblk)
{
	struct gm_dev *dev = ds->dev;
	int ret;

	if (ds->used_blocks >= dev->hbm_blocks) {
		ret = gm_make_room(dev->id, ds->used_blocks + 1 - dev->hbm_blocks, busy);
		if (ret)
			return ret;
	}
	ret = dev->ops->alloc_block(dev, dblk);
	if (ret == -ENOMEM) {
		/* The driver has fewer free blocks than our count says: one more. */
		ret = ds->used_blocks ? gm_make_room(dev->id, 1, busy) : 0;
		if (!ret)
			ret = dev->ops->alloc_block(dev, dblk);
	}
	if (ret)
		return ret;
	ds->used_blocks++;
	atomic_long_inc(&gm_live_dev_blocks);
	return 0;
}

static void gm_dblk_free(struct gm_devstate *ds, u64 dblk)
{
	ds->dev->ops->free_block(ds->dev, dblk);
	ds->used_blocks--;
	atomic_long_dec(&gm_live_dev_blocks);
}

/* Forget @blk's HBM block; the caller already took care of the data. */
static void gm_blk_drop_dblk(struct gm_block *blk)
{
	struct gm_devstate *ds = gm_devs[blk->dev];

	gm_policy_evicted(blk);
	list_del_init(&blk->lru);
	gm_dblk_free(ds, blk->dblk);
	blk->dblk = 0;
}

/*
 * DEVICE or BOTH -> HOST. A read copy is just dropped: the host pages are
 * valid. On a copy failure the block stays DEVICE (unmapped on the device,
 * which remaps it at its next fault) and no data is lost.
 */
static int gm_blk_dev_to_host(struct gm_block *blk, bool evicting)
{
	struct gm_dev *dev = gm_devs[blk->dev]->dev;
	u32 devid = blk->dev;
	int ret;

	gm_blk_unmap_dev(blk);
	if (blk->state == GMEM_BLK_DEVICE) {
		ret = dev->ops->copy_from_dev(dev, blk->dblk, blk->pages);
		if (ret) {
			pr_err_ratelimited("gmem: %s: copy of block %u:%u to host failed: %d\n",
					   dev->name, blk->obj->id, blk->idx, ret);
			return ret;
		}
		gm_stat_add(blk, devid, d2h_blocks, 1);
		gm_stat_add(blk, devid, d2h_bytes, gm_blk_size);
	}
	if (evicting)
		gm_stat_add(blk, devid, evictions, 1);
	if (blk->flags & GM_BLK_PREFETCHED) {
		/* It leaves the device without the device having touched it. */
		gm_stat_add(blk, devid, prefetch_wasted, 1);
		blk->flags &= ~GM_BLK_PREFETCHED;
	}
	trace_gmem_migrate(devid, blk->obj->id, blk->idx, false,
			   blk->state == GMEM_BLK_DEVICE ? gm_blk_size : 0, evicting);
	gm_blk_drop_dblk(blk);
	gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
	return 0;
}

/* Device unregister after a failed copy: the device's data is lost. */
void gm_blk_discard_dev(struct gm_block *blk)
{
	lockdep_assert_held(&gm_lock);
	gm_blk_unmap_dev(blk);
	blk->flags &= ~GM_BLK_PREFETCHED;
	gm_blk_drop_dblk(blk);
	gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
}

/* Off every device: DEVICE is copied back, BOTH and REMOTE just unmapped. */
int gm_migrate_to_host(struct gm_block *blk)
{
	lockdep_assert_held(&gm_lock);
	switch (blk->state) {
	case GMEM_BLK_DEVICE:
	case GMEM_BLK_BOTH:
		return gm_blk_dev_to_host(blk, false);
	case GMEM_BLK_REMOTE:
		gm_blk_unmap_dev(blk);
		gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
		return 0;
	default:
		return 0;
	}
}

/* Make the host pages hold the data and no device map them. */
static int gm_blk_make_host(struct gm_block *blk)
{
	if (blk->state == GMEM_BLK_NONE)
		return gm_blk_alloc_host(blk);
	return gm_migrate_to_host(blk);
}

/*
 * HOST -> @state (DEVICE or BOTH) on @ds. The CPU PTEs are zapped before
 * the copy either way: for DEVICE the host pages go stale, for BOTH the
 * CPU must not write them behind the copy; they come back read-only.
 */
static int gm_blk_host_to_dev(struct gm_block *blk, struct gm_devstate *ds, u8 state)
{
	struct gm_dev *dev = ds->dev;
	u64 dblk;
	int ret;

	ret = gm_dblk_alloc(ds, blk, &dblk);
	if (ret)
		return ret;
	gm_blk_zap_cpu(blk);
	ret = dev->ops->copy_to_dev(dev, dblk, blk->pages);
	if (ret) {
		gm_dblk_free(ds, dblk);
		return ret;
	}
	blk->dblk = dblk;
	gm_blk_set_state(blk, state, dev->id);
	list_add_tail(&blk->lru, &ds->lru);
	blk->last_access = gm_clock;
	gm_stat_add(blk, dev->id, h2d_blocks, 1);
	gm_stat_add(blk, dev->id, h2d_bytes, gm_blk_size);
	trace_gmem_migrate(dev->id, blk->obj->id, blk->idx, true, gm_blk_size, false);
	return 0;
}

/*
 * BOTH -> DEVICE on the same device: the host copy is about to go stale, so
 * the CPU's read-only PTEs go. HBM already holds the data: nothing to copy.
 * The device mapping stays read-only until the caller maps the block again.
 */
static void gm_blk_claim(struct gm_block *blk)
{
	gm_blk_zap_cpu(blk);
	gm_blk_set_state(blk, GMEM_BLK_DEVICE, blk->dev);
}

/*
 * Make @blk resident on @devid and owned by it (not mapped there: callers
 * map). A read copy on @devid is claimed; a block on another device comes
 * through the host. Evicts through the policy when HBM is full; -ENOMEM
 * when nothing can be evicted (all pinned or busy).
 */
int gm_migrate_to_dev(struct gm_block *blk, u32 devid)
{
	struct gm_devstate *ds = gm_devstate(devid);
	int ret;

	lockdep_assert_held(&gm_lock);
	if (!ds)
		return -ENODEV;
	if (gm_blk_owned_by(blk, devid))
		return 0;
	if (gm_blk_resident_on(blk, devid)) {
		gm_blk_claim(blk);
		return 0;
	}
	ret = gm_blk_make_host(blk);
	if (ret)
		return ret;
	return gm_blk_host_to_dev(blk, ds, GMEM_BLK_DEVICE);
}

/*
 * Give @devid a read copy of @blk (BOTH; not mapped there: callers map).
 * A block @devid already holds, as a copy or owned, stays as it is; one on
 * another device comes through the host first.
 */
int gm_dup_to_dev(struct gm_block *blk, u32 devid)
{
	struct gm_devstate *ds = gm_devstate(devid);
	int ret;

	lockdep_assert_held(&gm_lock);
	if (!ds)
		return -ENODEV;
	if (gm_blk_resident_on(blk, devid))
		return 0;
	ret = gm_blk_make_host(blk);
	if (ret)
		return ret;
	return gm_blk_host_to_dev(blk, ds, GMEM_BLK_BOTH);
}

/* Map @blk's host pages on @devid over the bus (zero-copy). */
int gm_map_remote(struct gm_block *blk, u32 devid)
{
	struct gm_devstate *ds = gm_devstate(devid);
	struct gm_dev *dev;
	int ret;

	lockdep_assert_held(&gm_lock);
	if (!ds)
		return -ENODEV;
	dev = ds->dev;
	if (!dev->ops->map_remote)
		return -EOPNOTSUPP;
	if (blk->state != GMEM_BLK_REMOTE || blk->dev != devid) {
		ret = gm_blk_make_host(blk);
		if (ret)
			return ret;
	}
	ret = dev->ops->map_remote(dev, blk->obj->mm, gm_blk_va(blk), blk->pages);
	if (ret)
		return ret;
	if (blk->state != GMEM_BLK_REMOTE) {
		gm_blk_set_state(blk, GMEM_BLK_REMOTE, devid);
		gm_stat_add(blk, devid, remote_maps, 1);
	}
	return 0;
}

/* The policy nominated @blk; gm_policy.c validated it. Trust, but verify. */
static bool gm_victim_ok(const struct gm_evict_req *req, const struct gm_block *blk)
{
	return !WARN_ON_ONCE(!gm_blk_resident_on(blk, req->ctx.dev) || blk == req->busy ||
			     (blk->flags & (GM_BLK_PINNED | GM_BLK_BUSY)));
}

/* Ask the policy for up to GM_EVICT_MAX victims on @ds and evict them. */
static u32 gm_evict_round(struct gm_devstate *ds, u32 nr, struct gm_block *busy)
{
	struct gm_evict_req *req = &gm_evict_scratch;
	u32 i, done = 0;

	memset(req, 0, sizeof(*req));
	req->ctx.dev = ds->dev->id;
	req->ctx.nr = min_t(u32, nr, GM_EVICT_MAX);
	req->ctx.busy_blk_id = busy ? GMEM_BLK_ID(busy->obj->id, busy->idx) : 0;
	req->ctx.hbm_blocks = ds->dev->hbm_blocks;
	req->ctx.used_blocks = ds->used_blocks;
	req->busy = busy;
	gm_policy_evict(req);
	for (i = 0; i < req->nr_victims && i < GM_EVICT_MAX; i++) {
		struct gm_block *victim = req->victims[i];

		if (gm_victim_ok(req, victim) && !gm_blk_dev_to_host(victim, true))
			done++;
	}
	trace_gmem_evict(req->ctx.dev, req->ctx.nr, req->nr_victims, done);
	return done;
}

/*
 * Free @nr HBM blocks on @devid, never evicting @busy, pinned or busy
 * blocks. -ENOMEM if fewer could be freed (whatever was freed stays free).
 */
int gm_make_room(u32 devid, u32 nr, struct gm_block *busy)
{
	struct gm_devstate *ds = gm_devstate(devid);
	u32 done;

	lockdep_assert_held(&gm_lock);
	if (!ds)
		return -ENODEV;
	while (nr) {
		done = gm_evict_round(ds, nr, busy);
		if (!done)
			return -ENOMEM;
		nr -= min(done, nr);
	}
	return 0;
}

/*
 * The object is going away: drop every copy of @blk without copying back.
 * Device mappings go first so no device touches pages about to be freed.
 */
void gm_blk_release(struct gm_block *blk)
{
	lockdep_assert_held(&gm_lock);
	if (gm_blk_resident_on(blk, blk->dev)) {
		gm_blk_unmap_dev(blk);
		gm_blk_drop_dblk(blk);
	} else if (blk->state == GMEM_BLK_REMOTE) {
		gm_blk_unmap_dev(blk);
	}
	gm_blk_set_state(blk, GMEM_BLK_NONE, GM_NO_DEV);
	gm_blk_free_host(blk);
	blk->flags = 0;
}
