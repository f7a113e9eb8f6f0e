// SPDX-License-Identifier: GPL-2.0
/*
 * gm_dev.c: the device side: registration, device faults, access reports.
 *
 * A driver registers a struct gm_dev (include/linux/gmem_dev.h) and calls
 * gm_dev_fault() when its page table misses and gm_dev_access() when it
 * touches a mapped block. A fault asks the policy where the block goes,
 * migrates (evicting through the policy), maps, then asks the policy what to
 * prefetch. The block being faulted in and the blocks prefetched by the same
 * fault are marked GM_BLK_BUSY so that making room for one of them can never
 * evict another. In an object with read copies (obj->read_dup), a read
 * fault brings its block and its prefetches in as read copies (BOTH), and a
 * write fault on a read copy claims it (gm_migrate.c has the state rules).
 *
 * Locking: gm_devs[] and every gm_devstate field are under gm_lock. Fault
 * and access look the object up under mmap_read_lock (gm_obj_lookup()),
 * drop it, then take gm_lock: mmap_lock is never taken inside gm_lock.
 * Drivers must not hold locks their MMU ops take while calling in here, and
 * must stop calling in for a device before unregistering it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_tracepoints.h"

struct gm_devstate *gm_devs[GMEM_MAX_DEVICES];

struct gm_devstate *gm_devstate(u32 dev)
{
	lockdep_assert_held(&gm_lock);
	return dev < GMEM_MAX_DEVICES ? gm_devs[dev] : NULL;
}

/* One past the highest registered id (ids freed by unregister leave holes). */
u32 gm_nr_device_ids(void)
{
	u32 i, n = 0;

	lockdep_assert_held(&gm_lock);
	for (i = 0; i < GMEM_MAX_DEVICES; i++)
		if (gm_devs[i])
			n = i + 1;
	return n;
}

unsigned long gm_block_size(void)
{
	return gm_blk_size;
}
EXPORT_SYMBOL_GPL(gm_block_size);

static bool gm_dev_ops_valid(const struct gm_dev *dev)
{
	const struct gm_mmu_ops *ops = dev->ops;

	return ops && ops->alloc_block && ops->free_block && ops->copy_to_dev &&
	       ops->copy_from_dev && ops->map && ops->unmap && ops->invalidate &&
	       dev->name && dev->hbm_blocks;
}

int gm_dev_register(struct gm_dev *dev)
{
	struct gm_devstate *ds;
	u32 id;
	int ret = -ENOSPC;

	if (!gm_dev_ops_valid(dev))
		return -EINVAL;
	ds = kzalloc(sizeof(*ds), GFP_KERNEL);
	if (!ds)
		return -ENOMEM;
	ds->dev = dev;
	INIT_LIST_HEAD(&ds->lru);

	mutex_lock(&gm_lock);
	for (id = 0; id < GMEM_MAX_DEVICES; id++) {
		if (gm_devs[id] && gm_devs[id]->dev == dev) {
			ret = -EBUSY;
			break;
		}
	}
	for (id = 0; ret == -ENOSPC && id < GMEM_MAX_DEVICES; id++) {
		if (!gm_devs[id]) {
			dev->id = id;
			dev->core = ds;
			gm_devs[id] = ds;
			ret = 0;
		}
	}
	mutex_unlock(&gm_lock);
	if (ret) {
		kfree(ds);
		return ret;
	}
	pr_info("gmem: device %u (%s): %llu blocks of %lu KiB\n", dev->id, dev->name,
		dev->hbm_blocks, gm_blk_size >> 10);
	return 0;
}
EXPORT_SYMBOL_GPL(gm_dev_register);

/* Bring every block off @ds: HBM contents are copied back, remote maps dropped. */
static void gm_dev_drain(struct gm_devstate *ds)
{
	u32 id = ds->dev->id, i;
	struct gm_block *blk, *tmp;
	struct gm_object *obj;

	list_for_each_entry_safe(blk, tmp, &ds->lru, lru) {
		blk->flags &= ~GM_BLK_PINNED;	/* the pin's device is going away */
		if (gm_migrate_to_host(blk)) {
			pr_err("gmem: %s: block %u:%u lost on unregister\n",
			       ds->dev->name, blk->obj->id, blk->idx);
			gm_blk_discard_dev(blk);
		}
		cond_resched();
	}
	/* Remote maps and preferences are not on a per-device list: walk objects. */
	list_for_each_entry(obj, &gm_obj_list, node) {
		for (i = 0; i < obj->nr_blocks; i++) {
			blk = &obj->blocks[i];
			if (blk->state == GMEM_BLK_REMOTE && blk->dev == id)
				gm_migrate_to_host(blk);
			if (blk->pref_dev == id)
				blk->pref_dev = GM_NO_DEV;
		}
		cond_resched();
	}
}

void gm_dev_unregister(struct gm_dev *dev)
{
	struct gm_devstate *ds;

	mutex_lock(&gm_lock);
	ds = gm_devstate(dev->id);
	if (WARN_ON(!ds || ds != dev->core)) {
		mutex_unlock(&gm_lock);
		return;
	}
	gm_dev_drain(ds);
	WARN_ON(ds->used_blocks);
	gm_devs[dev->id] = NULL;
	dev->core = NULL;
	mutex_unlock(&gm_lock);
	kfree(ds);
	pr_info("gmem: device %u (%s) unregistered\n", dev->id, dev->name);
}
EXPORT_SYMBOL_GPL(gm_dev_unregister);

/* The device used @blk (resident on it): LRU tail, recency, prefetch hit. */
static void gm_blk_touch(struct gm_devstate *ds, struct gm_block *blk)
{
	blk->last_access = gm_clock;
	list_move_tail(&blk->lru, &ds->lru);
	if (blk->flags & GM_BLK_PREFETCHED) {
		blk->flags &= ~GM_BLK_PREFETCHED;
		gm_stat_add(blk, ds->dev->id, prefetch_used, 1);
	}
}

static void gm_fault_req_init(struct gm_fault_req *req, struct gm_block *blk, u32 dev,
			      unsigned long va, bool write)
{
	memset(req, 0, sizeof(*req));
	req->blk = blk;
	req->ctx.dev = dev;
	req->ctx.obj = blk->obj->id;
	req->ctx.idx = blk->idx;
	req->ctx.write = write;
	req->ctx.addr = va;
	req->ctx.blk_id = GMEM_BLK_ID(blk->obj->id, blk->idx);
	req->ctx.tag = blk->tag;
	req->ctx.nr_blocks = blk->obj->nr_blocks;
	req->ctx.state = blk->state;
}

/* Does the fault @req bring blocks in as read copies rather than owned? */
static bool gm_fault_dups(const struct gm_fault_req *req)
{
	return !req->ctx.write && req->blk->obj->read_dup;
}

/* Bring @blk to @devid for the fault @req: owned, or a read copy. */
static int gm_fault_bring(const struct gm_fault_req *req, struct gm_block *blk, u32 devid)
{
	return gm_fault_dups(req) ? gm_dup_to_dev(blk, devid) : gm_migrate_to_dev(blk, devid);
}

/*
 * Migrate and map what the policy asked to prefetch. Each arrival is BUSY
 * until the fault ends so later ones cannot evict it; the first block that
 * finds no room ends prefetching (the fault itself already succeeded).
 * Prefetches of a read fault arrive as read copies: a later device write
 * claims them without a copy, a CPU read needs no migration back.
 */
static void gm_fault_prefetch(struct gm_fault_req *req, struct gm_devstate *ds)
{
	struct gm_block *done[GM_PREFETCH_BUDGET];
	u32 devid = ds->dev->id, i, n = 0;

	gm_policy_prefetch(req);
	for (i = 0; i < req->nr_prefetch && i < GM_PREFETCH_BUDGET; i++) {
		struct gm_block *blk = gm_block_by_id(req->prefetch[i]);

		if (!blk || gm_blk_resident_on(blk, devid) || (blk->flags & GM_BLK_BUSY))
			continue;
		if (gm_fault_bring(req, blk, devid))
			break;
		blk->flags |= GM_BLK_PREFETCHED | GM_BLK_BUSY;
		done[n++] = blk;
		gm_stat_add(blk, devid, prefetch_issued, 1);
		trace_gmem_prefetch(devid, blk->obj->id, blk->idx);
		/* -ENOENT (no address space yet) is fine: it maps on first touch. */
		gm_blk_map(blk, devid);
		gm_policy_activated(blk, GMEM_ACT_PREFETCH);
	}
	while (n--)
		done[n]->flags &= ~GM_BLK_BUSY;
}

/* Demand migration of the faulting block, then prefetch. */
static int gm_fault_migrate(struct gm_fault_req *req, struct gm_devstate *ds)
{
	struct gm_block *blk = req->blk;
	u32 devid = ds->dev->id;
	int ret;

	ret = gm_fault_bring(req, blk, devid);
	if (ret)
		return ret;
	gm_policy_activated(blk, GMEM_ACT_DEMAND);
	ret = gm_blk_map(blk, devid);
	if (ret)
		return ret;
	gm_fault_prefetch(req, ds);
	return 0;
}

static int gm_fault_locked(struct gm_devstate *ds, struct gm_object *obj,
			   unsigned long va, bool write)
{
	struct gm_block *blk = &obj->blocks[(va - obj->start) >> gm_blk_shift];
	u32 devid = ds->dev->id;
	struct gm_fault_req req;
	int place, ret;

	gm_clock++;
	gm_stat_add(blk, devid, dev_faults, 1);
	gm_trace_record(blk, devid, GMEM_TRACE_FAULT, write);
	trace_gmem_fault(devid, blk->obj->id, blk->idx, write);
	if (gm_blk_mapped_on(blk, devid)) {
		/* Already there but not mapped, e.g. moved by a hint before the
		 * device had an address space for this mm, or a write to the
		 * device's read copy: the device takes it over. */
		if (write && blk->state == GMEM_BLK_BOTH) {
			ret = gm_migrate_to_dev(blk, devid);
			if (ret)
				return ret;
		}
		if (gm_blk_resident_on(blk, devid))
			gm_blk_touch(ds, blk);
		return gm_blk_map(blk, devid);
	}

	gm_fault_req_init(&req, blk, devid, va, write);
	place = gm_policy_fault(&req);
	blk->flags |= GM_BLK_BUSY;
	if (place == GMEM_PLACE_REMOTE && ds->dev->ops->map_remote)
		ret = gm_map_remote(blk, devid);
	else
		ret = gm_fault_migrate(&req, ds);
	blk->flags &= ~GM_BLK_BUSY;
	return ret;
}

int gm_dev_fault(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, bool write)
{
	struct gm_object *obj;
	int ret;

	ret = gm_obj_lookup(mm, va, &obj);
	if (ret)
		return ret;
	if (mutex_lock_killable(&gm_lock)) {
		gm_obj_put(obj);
		return -EINTR;
	}
	if (WARN_ON_ONCE(!dev->core || gm_devstate(dev->id) != dev->core))
		ret = -ENODEV;
	else if (obj->dead)
		ret = -EFAULT;
	else
		ret = gm_fault_locked(dev->core, obj, va, write);
	mutex_unlock(&gm_lock);
	gm_obj_put(obj);
	return ret;
}
EXPORT_SYMBOL_GPL(gm_dev_fault);

static void gm_access_locked(struct gm_devstate *ds, struct gm_object *obj,
			     unsigned long va, bool write)
{
	struct gm_block *blk = &obj->blocks[(va - obj->start) >> gm_blk_shift];
	u32 devid = ds->dev->id;

	/* A stale report: the block moved since the device touched it. */
	if (!gm_blk_mapped_on(blk, devid))
		return;
	gm_clock++;
	gm_stat_add(blk, devid, dev_accesses, 1);
	gm_trace_record(blk, devid, GMEM_TRACE_ACCESS, write);
	if (gm_blk_resident_on(blk, devid))
		gm_blk_touch(ds, blk);
	gm_policy_accessed(blk, write);
}

void gm_dev_access(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, bool write)
{
	struct gm_object *obj;

	if (gm_obj_lookup(mm, va, &obj))
		return;
	mutex_lock(&gm_lock);
	if (!WARN_ON_ONCE(!dev->core || gm_devstate(dev->id) != dev->core) && !obj->dead)
		gm_access_locked(dev->core, obj, va, write);
	mutex_unlock(&gm_lock);
	gm_obj_put(obj);
}
EXPORT_SYMBOL_GPL(gm_dev_access);

/* GMEM_IOC_DEV_INFO */
long gm_dev_info_ioctl(void __user *uarg)
{
	struct gmem_dev_info info;
	struct gm_devstate *ds;
	int ret = 0;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.flags)
		return -EINVAL;		/* reserved */
	mutex_lock(&gm_lock);
	ds = gm_devstate(info.id);
	if (ds) {
		memset(info.name, 0, sizeof(info.name));
		strscpy(info.name, ds->dev->name, sizeof(info.name));
		info.hbm_bytes = ds->dev->hbm_blocks * gm_blk_size;
		info.hbm_used_bytes = ds->used_blocks * gm_blk_size;
		info.block_size = gm_blk_size;
		info.stats = ds->stats;
	} else {
		ret = -ENODEV;
	}
	mutex_unlock(&gm_lock);
	if (!ret && copy_to_user(uarg, &info, sizeof(info)))
		ret = -EFAULT;
	return ret;
}
