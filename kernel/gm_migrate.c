// SPDX-License-Identifier: GPL-2.0
/*
 * gm_migrate.c: every residency change of one block.
 *
 * States (enum gmem_block_state) and what backs them:
 *   NONE    nothing allocated; reads as zeroes.
 *   HOST    host pages hold the data; the CPU may map them.
 *   DEVICE  an HBM block (blk->dblk on blk->dev) holds the data. The host
 *           pages stay allocated as the block's backing store, so evicting
 *           never has to allocate memory under HBM pressure; the CPU maps
 *           nothing (its PTEs were zapped before the copy to HBM). Until
 *           the device writes it (GM_BLK_DIRTY) the host pages still hold
 *           the same data. A device with dirty bits (->test_clear_dirty)
 *           maps it writable and the core reads the bit whenever it unmaps
 *           the block; on one without, the device maps it read-only and
 *           its first write faults and marks it dirty. Only a dirty block
 *           is copied back when it leaves; a clean one is dropped.
 *   REMOTE  host pages hold the data and blk->dev maps them over the bus;
 *           the CPU may map them too (same memory, coherent).
 *   BOTH    a read copy: the HBM block on blk->dev and the host pages hold
 *           the same data; the device maps the HBM block read-only. With
 *           gmem.read_dup=1 (default) the CPU maps nothing (any CPU fault
 *           drops the copy, so no GUP pin coexists with it); with
 *           read_dup=2 it maps the host pages read-only. A device read
 *           fault makes one under read_dup=2, and under read_dup=1 only on
 *           a device without dirty bits: on one with them a clean DEVICE
 *           block is the read copy (as cheap to drop, the CPU maps neither,
 *           and it is mapped writable, so a later write costs no fault).
 *
 *        CPU fault / first touch         device fault (write, or no read copies)
 *   NONE ----------------------> HOST ----------------------------------> DEVICE
 *                                 |  ^   <--- CPU fault, eviction, DONTNEED   |
 *          device read fault      |  |                                       |
 *          (read copies)          v  |  CPU write, eviction (dropped)        |
 *                                 BOTH ---- device write fault: claim -------+
 *   HOST <-> REMOTE: the policy places a block over the bus, or its pages are
 *   pinned by someone else (see below).
 *
 * Pinned host pages (GUP: O_DIRECT, io_uring fixed buffers, vmsplice, RDMA,
 * process_vm_writev): a block is only copied to a device when, after its
 * CPU PTEs are zapped, nobody but gmem holds a reference to its host pages,
 * the check migrate_vma makes. Otherwise the copy is refused with -EBUSY:
 * the block stays on the host, where those writers land, and the fault path
 * maps it over the bus instead. A pin cannot appear after the check: the
 * PTEs are gone, so GUP has to fault, which waits for blk->lock.
 *
 * Read copies and CPU writes (read_dup=2): a CPU write to a read-only PTE
 * of a read-copy object goes through ->page_mkwrite (gm_cpu_fault.c), which drops the device
 * copy under blk->lock and returns the page locked; the kernel upgrades the
 * PTE before unlocking it. HOST -> BOTH takes the folio locks of the block
 * before it zaps the PTEs, so it waits for any such upgrade in flight and
 * then zaps the writable PTE: a read copy never coexists with a writable
 * CPU mapping. (The kernel also holds a page reference across the whole
 * write fault, so the pin check below refuses such a copy as well; the
 * folio lock alone suffices, which test_reliability_protect checks with
 * gmem.debug_mkwrite_delay_us widening the window.)
 *
 * Order of a move to a device: reserve an HBM block (evicting if needed), zap
 * the CPU PTEs, check pins, copy, then publish DEVICE. Order of a move back:
 * unmap on the device and flush its TLB, copy, free the HBM block, then
 * publish HOST. Either way neither side can write the copy being made. On a
 * device with copy engines, a move with GM_COPY_QUEUE (prefetch, hints,
 * eviction) only queues its copy (gm_copy.c): the block is published in its
 * new state while in flight, the driver orders the device's side, and
 * whoever next needs the host pages waits for it. GM_COPY_NOW (demand
 * faults) copies before it returns.
 *
 * Locking: every function here runs with blk->lock held (gm_core.h gives the
 * order); the device ops run under it and nothing wider. Eviction of other
 * blocks happens in gm_evict.c with trylocked victims.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_tracepoints.h"

/*
 * Remove @blk's mapping (HBM or remote) from its device and flush its TLB.
 * A DEVICE block's dirty bit is read here, the one place every mapping of
 * it goes away (eviction, CPU fault, hints, mprotect, unregister), so a
 * write through a writable mapping is never forgotten: afterwards
 * GM_BLK_DIRTY alone says whether the HBM copy is the only valid one.
 */
void gm_blk_unmap_dev(struct gm_block *blk)
{
	struct gm_dev *dev = gm_devs[blk->dev]->dev;
	unsigned long va = gm_blk_va(blk);

	lockdep_assert_held(&blk->lock);
	dev->ops->unmap(dev, blk->obj->mm, va);
	dev->ops->invalidate(dev, blk->obj->mm, va, gm_blk_size);
	if (blk->state == GMEM_BLK_DEVICE && dev->ops->test_clear_dirty &&
	    dev->ops->test_clear_dirty(dev, blk->dblk))
		gm_blk_mark_dirty(blk);
}

/*
 * (Re)map @blk on @devid: writable when the VMA allowed writes when the
 * caller looked it up (@may_write) and gm_blk_dev_writable() says so.
 * A remote mapping is always writable: the host pages are the data.
 */
int gm_blk_map(struct gm_block *blk, u32 devid, bool may_write)
{
	struct gm_dev *dev = gm_devs[devid]->dev;

	lockdep_assert_held(&blk->lock);
	if (gm_blk_resident_on(blk, devid))
		return dev->ops->map(dev, blk->obj->mm, gm_blk_va(blk), blk->dblk,
				     may_write && gm_blk_dev_writable(blk, dev));
	return dev->ops->map_remote(dev, blk->obj->mm, gm_blk_va(blk), blk->pages);
}

/*
 * Map a block that moved ahead of any access (prefetch, hint). It stays
 * resident if the map fails: the device's next access faults and maps it.
 * -ENOENT (the device has no address space for this mm yet) is expected;
 * anything else is the driver's failure and is reported, not lost.
 */
void gm_blk_map_ahead(struct gm_block *blk, u32 devid, bool may_write)
{
	int ret = gm_blk_map(blk, devid, may_write);

	if (ret && ret != -ENOENT)
		pr_warn_ratelimited("gmem: %s: map of block %u:%u failed: %d; mapped at its next fault\n",
				    gm_devs[devid]->dev->name, blk->obj->id, blk->idx, ret);
}

/*
 * The device @blk is resident on is about to write it: from now on only the
 * HBM copy is valid, and leaving the device costs a write-back. Callers own
 * the block (DEVICE) and map it writable after this.
 */
void gm_blk_mark_dirty(struct gm_block *blk)
{
	lockdep_assert_held(&blk->lock);
	if (!WARN_ON_ONCE(blk->state != GMEM_BLK_DEVICE))
		blk->flags |= GM_BLK_DIRTY;
}

/* Does leaving the device need a copy back: has the device written @blk? */
static bool gm_blk_needs_wb(const struct gm_block *blk)
{
	return blk->state == GMEM_BLK_DEVICE && (blk->flags & GM_BLK_DIRTY);
}

/* Forget @blk's HBM block; the caller already took care of the data. */
static void gm_blk_drop_dblk(struct gm_block *blk)
{
	struct gm_devstate *ds = gm_devs[blk->dev];

	gm_policy_evicted(blk);
	gm_lru_del(ds, blk);
	gm_dblk_free(ds, blk, blk->dblk);
	blk->dblk = 0;
	blk->flags &= ~GM_BLK_DIRTY;
}

/*
 * DEVICE or BOTH -> HOST. A block the device never wrote (a read copy, or
 * a clean DEVICE block) is just dropped: its host pages are still valid,
 * since nothing could write them while the CPU PTEs were gone. A dirty one
 * is copied back; on a copy failure it stays DEVICE (unmapped on the
 * device, which remaps it at its next fault) and no data is lost.
 */
int gm_blk_dev_to_host(struct gm_block *blk, bool evicting, enum gm_copy_how how)
{
	struct gm_dev *dev = gm_devs[blk->dev]->dev;
	u32 devid = blk->dev;
	bool wb;
	int ret;

	lockdep_assert_held(&blk->lock);
	/*
	 * A task killed while the block's copy in is queued behind others (an
	 * evictor, a DONTNEED, a fault) stops here with the block untouched:
	 * a hint must end at a SIGKILL, not when the device's queue drains.
	 */
	ret = gm_blk_copy_wait_killable(blk);
	if (ret)
		return ret;
	gm_blk_unmap_dev(blk);
	/*
	 * Its copy to the device may still be in flight. If that copy failed,
	 * the HBM block never held the data: the host pages are the last
	 * intact copy, and whatever the device wrote on top is lost.
	 */
	if (gm_blk_copy_wait(blk))
		blk->flags &= ~GM_BLK_DIRTY;
	wb = gm_blk_needs_wb(blk);	/* after the unmap read the dirty bit */
	if (wb) {
		/* If queued, the HBM block may still be freed now (gm_copy.c). */
		ret = gm_blk_copy_from_dev(blk, dev, how);
		if (ret) {
			pr_err_ratelimited("gmem: %s: copy of block %u:%u to host failed: %d\n",
					   dev->name, blk->obj->id, blk->idx, ret);
			return ret;
		}
		gm_stat_add(blk, devid, d2h_blocks, 1);
		gm_stat_add(blk, devid, d2h_bytes, gm_blk_size);
	}
	if (evicting) {
		gm_stat_add(blk, devid, evictions, 1);
		if (wb)
			gm_stat_add(blk, devid, evict_wb_bytes, gm_blk_size);
		else
			gm_stat_add(blk, devid, evict_clean_bytes, gm_blk_size);
	}
	/*
	 * It leaves the device without the device having touched it. The flag
	 * stays until the block arrives again (gm_blk_host_to_dev()), so that
	 * the built-in read-ahead does not take a block it read ahead and that
	 * was evicted unused for one the device used (gm_ra_used()).
	 */
	if (blk->flags & GM_BLK_PREFETCHED)
		gm_stat_add(blk, devid, prefetch_wasted, 1);
	trace_gmem_migrate(devid, blk->obj->id, blk->idx, false, wb ? gm_blk_size : 0,
			   evicting);
	gm_blk_drop_dblk(blk);
	gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
	return 0;
}

/* Device unregister after a failed copy: the device's data is lost. */
void gm_blk_discard_dev(struct gm_block *blk)
{
	lockdep_assert_held(&blk->lock);
	gm_blk_unmap_dev(blk);
	gm_blk_copy_wait(blk);
	blk->flags &= ~GM_BLK_PREFETCHED;
	gm_blk_drop_dblk(blk);
	gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
}

/* Off every device: DEVICE is copied back, BOTH and REMOTE just unmapped. */
int gm_migrate_to_host(struct gm_block *blk, enum gm_copy_how how)
{
	lockdep_assert_held(&blk->lock);
	switch (blk->state) {
	case GMEM_BLK_DEVICE:
	case GMEM_BLK_BOTH:
		return gm_blk_dev_to_host(blk, false, how);
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
	return gm_migrate_to_host(blk, GM_COPY_NOW);	/* a copy out of it follows */
}

/*
 * Does anyone but gmem hold a reference to @blk's host pages? Called with
 * the CPU PTEs zapped, so our own reference is the only expected one; an
 * extra one is a GUP pin, a pipe buffer, an I/O in flight, or a racing
 * lockless GUP that will drop it: all are treated as pins.
 */
bool gm_blk_pages_pinned(struct gm_block *blk)
{
	struct folio *folio;
	unsigned long i;

	for (i = 0; (folio = gm_blk_folio_next(blk, &i)); )
		if (folio_ref_count(folio) != 1)
			return true;
	return false;
}

static void gm_blk_lock_folios(struct gm_block *blk)
{
	struct folio *folio;
	unsigned long i;

	for (i = 0; (folio = gm_blk_folio_next(blk, &i)); )
		folio_lock(folio);
}

static void gm_blk_unlock_folios(struct gm_block *blk)
{
	struct folio *folio;
	unsigned long i;

	for (i = 0; (folio = gm_blk_folio_next(blk, &i)); )
		folio_unlock(folio);
}

/*
 * HOST -> @state (DEVICE or BOTH) on @ds. The CPU PTEs are zapped before
 * the copy either way: for DEVICE the host pages go stale, for BOTH the
 * CPU must not write them behind the copy; they come back read-only.
 * -EBUSY: someone else holds the host pages (see the top of this file).
 */
static int gm_blk_host_to_dev(struct gm_block *blk, struct gm_devstate *ds, u8 state,
			      enum gm_copy_how how)
{
	struct gm_dev *dev = ds->dev;
	bool dup = state == GMEM_BLK_BOTH;
	u64 dblk;
	int ret;

	/* A write-back of the host pages may be in flight: let it land first. */
	ret = gm_blk_copy_wait_killable(blk);
	if (ret)
		return ret;
	gm_blk_copy_wait(blk);
	ret = gm_dblk_alloc(ds, blk, &dblk);
	if (ret)
		return ret;
	if (dup)
		gm_blk_lock_folios(blk);
	gm_blk_zap_cpu(blk);
	/* Queued on a copy engine, the block is in flight once this returns. */
	ret = gm_blk_pages_pinned(blk) ? -EBUSY : gm_blk_copy_to_dev(blk, dev, dblk, how);
	if (ret)
		goto err;
	blk->dblk = dblk;
	gm_blk_set_state(blk, state, dev->id);
	if (dup)
		gm_blk_unlock_folios(blk);
	blk->last_access = atomic64_read(&gm_clock);
	blk->flags &= ~GM_BLK_PREFETCHED;	/* gm_prefetch_one() sets it again */
	gm_lru_add(ds, blk);
	gm_stat_add(blk, dev->id, h2d_blocks, 1);
	gm_stat_add(blk, dev->id, h2d_bytes, gm_blk_size);
	trace_gmem_migrate(dev->id, blk->obj->id, blk->idx, true, gm_blk_size, false);
	return 0;
err:
	if (dup)
		gm_blk_unlock_folios(blk);
	gm_dblk_free(ds, blk, dblk);
	return ret;
}

/*
 * BOTH -> DEVICE on the same device: the host copy may go stale, so the
 * CPU's read-only PTEs go. HBM already holds the data: nothing to copy. The
 * block stays clean (the host pages still match) until the device writes
 * it; the mapping stays read-only until the caller marks it dirty and maps
 * it again.
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
 * when nothing can be evicted (all pinned or busy), -EBUSY when the host
 * pages are pinned by someone else.
 */
int gm_migrate_to_dev(struct gm_block *blk, u32 devid, enum gm_copy_how how)
{
	struct gm_devstate *ds = gm_devstate(devid);
	int ret;

	lockdep_assert_held(&blk->lock);
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
	return gm_blk_host_to_dev(blk, ds, GMEM_BLK_DEVICE, how);
}

/*
 * Give @devid a read copy of @blk (BOTH; not mapped there: callers map).
 * A block @devid already holds, as a copy or owned, stays as it is; one on
 * another device comes through the host first.
 */
int gm_dup_to_dev(struct gm_block *blk, u32 devid, enum gm_copy_how how)
{
	struct gm_devstate *ds = gm_devstate(devid);
	int ret;

	lockdep_assert_held(&blk->lock);
	if (!ds)
		return -ENODEV;
	if (gm_blk_resident_on(blk, devid))
		return 0;
	ret = gm_blk_make_host(blk);
	if (ret)
		return ret;
	return gm_blk_host_to_dev(blk, ds, GMEM_BLK_BOTH, how);
}

/* Map @blk's host pages on @devid over the bus (zero-copy). */
int gm_map_remote(struct gm_block *blk, u32 devid)
{
	struct gm_devstate *ds = gm_devstate(devid);
	struct gm_dev *dev;
	int ret;

	lockdep_assert_held(&blk->lock);
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
	/* A write-back to the pages it maps (maybe the one just queued). */
	gm_blk_copy_wait(blk);
	ret = dev->ops->map_remote(dev, blk->obj->mm, gm_blk_va(blk), blk->pages);
	if (ret)
		return ret;
	if (blk->state != GMEM_BLK_REMOTE) {
		gm_blk_set_state(blk, GMEM_BLK_REMOTE, devid);
		gm_stat_add(blk, devid, remote_maps, 1);
	}
	return 0;
}

/*
 * The object is going away: drop every copy of @blk without copying back.
 * Device mappings go first so no device touches pages about to be freed.
 */
void gm_blk_release(struct gm_block *blk)
{
	lockdep_assert_held(&blk->lock);
	gm_blk_copy_wait(blk);		/* no copy engine may touch freed pages */
	if (blk->state == GMEM_BLK_DEVICE || blk->state == GMEM_BLK_BOTH) {
		gm_blk_unmap_dev(blk);
		gm_blk_drop_dblk(blk);
	} else if (blk->state == GMEM_BLK_REMOTE) {
		gm_blk_unmap_dev(blk);
	}
	if (blk->flags & GM_BLK_PINNED)
		gm_pin_uncharge(blk->obj, 1);
	gm_blk_set_state(blk, GMEM_BLK_NONE, GM_NO_DEV);
	gm_blk_free_host(blk);
	blk->flags = 0;
}
