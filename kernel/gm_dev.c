// SPDX-License-Identifier: GPL-2.0
/*
 * gm_dev.c: device registration and the device ioctls.
 *
 * A driver registers a struct gm_dev (include/linux/gmem_dev.h); its faults
 * and access reports arrive in gm_fault.c. Unregistering drains the device:
 * every block it holds is copied back, every remote map dropped.
 *
 * GMEM_IOC_DEV_LIMIT caps the HBM the core uses on a device (what-if replay
 * at a smaller capacity): gm_dev_capacity() is the only capacity anyone sees.
 *
 * Locking: gm_devs[] is written under gm_devs_rwsem held for write; every
 * path that may bring a block to a device holds it for read, so no block
 * arrives on a device that is being drained. The drain takes each block's
 * lock in turn (gm_core.h). Drivers must not hold locks their MMU ops take
 * while calling in, and must stop calling in for a device before
 * unregistering it.
 */
#include <linux/capability.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"

struct gm_devstate *gm_devs[GMEM_MAX_DEVICES];
DECLARE_RWSEM(gm_devs_rwsem);

/* One past the highest registered id (ids freed by unregister leave holes). */
u32 gm_nr_device_ids(void)
{
	u32 i, n = 0;

	lockdep_assert_held(&gm_devs_rwsem);
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
	if (gm_shared_stats_init(&ds->stats)) {
		kfree(ds);
		return -ENOMEM;
	}
	ds->dev = dev;
	spin_lock_init(&ds->lock);
	for (id = 0; id < GM_LRU_NR; id++)
		INIT_LIST_HEAD(&ds->lru[id]);

	down_write(&gm_devs_rwsem);
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
	up_write(&gm_devs_rwsem);
	if (ret) {
		gm_shared_stats_free(&ds->stats);
		kfree(ds);
		return ret;
	}
	pr_info("gmem: device %u (%s): %llu blocks of %lu KiB\n", dev->id, dev->name,
		dev->hbm_blocks, gm_blk_size >> 10);
	return 0;
}
EXPORT_SYMBOL_GPL(gm_dev_register);

/*
 * The first block still resident on @ds, with a reference on its object so
 * that it stays valid once ds->lock is dropped; NULL when none is left.
 */
static struct gm_block *gm_dev_next_resident(struct gm_devstate *ds)
{
	struct gm_block *blk;
	int i;

	spin_lock(&ds->lock);
	for (i = 0; i < GM_LRU_NR; i++) {
		list_for_each_entry(blk, &ds->lru[i], lru) {
			if (kref_get_unless_zero(&blk->obj->ref)) {
				spin_unlock(&ds->lock);
				return blk;
			}
		}
	}
	spin_unlock(&ds->lock);
	return NULL;
}

/* Copy @blk back from @id if it is still there (its pin's device is going away). */
static void gm_dev_drain_block(struct gm_block *blk, u32 id)
{
	mutex_lock(&blk->lock);
	/* Its copy in lands first, uninterruptibly: the move back must not fail. */
	gm_blk_copy_wait(blk);
	if (gm_blk_resident_on(blk, id)) {
		if (blk->flags & GM_BLK_PINNED) {
			blk->flags &= ~GM_BLK_PINNED;
			gm_pin_uncharge(blk->obj, 1);
		}
		if (gm_migrate_to_host(blk, GM_COPY_NOW)) {
			pr_err("gmem: %s: block %u:%u lost on unregister\n",
			       gm_devs[id]->dev->name, blk->obj->id, blk->idx);
			gm_blk_discard_dev(blk);
		}
	}
	mutex_unlock(&blk->lock);
}

struct gm_drain_arg {
	u32 id;
};

/* Remote maps, pins, preferences and copies naming the device: not on its lists. */
static int gm_dev_forget_block(struct gm_block *blk, void *arg)
{
	u32 id = ((struct gm_drain_arg *)arg)->id;

	mutex_lock(&blk->lock);
	/* A write-back of an evicted block: the driver's fence must not outlive it. */
	if (blk->copy && blk->copy_dev == id)
		gm_blk_copy_wait(blk);
	if (blk->state == GMEM_BLK_REMOTE && blk->dev == id)
		gm_migrate_to_host(blk, GM_COPY_NOW);
	if (blk->pref_dev == id)
		blk->pref_dev = GM_NO_DEV;
	if ((blk->flags & GM_BLK_PINNED) && blk->pin_dev == id) {
		blk->flags &= ~GM_BLK_PINNED;
		gm_pin_uncharge(blk->obj, 1);
	}
	mutex_unlock(&blk->lock);
	return 0;
}

/* Bring every block off @ds: HBM contents are copied back, remote maps dropped. */
static void gm_dev_drain(struct gm_devstate *ds)
{
	struct gm_drain_arg arg = { .id = ds->dev->id };
	struct gm_object *obj;
	struct gm_block *blk;

	while ((blk = gm_dev_next_resident(ds))) {
		obj = blk->obj;
		gm_dev_drain_block(blk, arg.id);
		gm_obj_put(obj);
		cond_resched();
	}
	mutex_lock(&gm_objs_lock);
	list_for_each_entry(obj, &gm_obj_list, node)
		gm_obj_for_each_block(obj, 0, obj->nr_blocks, false, gm_dev_forget_block, &arg);
	mutex_unlock(&gm_objs_lock);
}

void gm_dev_unregister(struct gm_dev *dev)
{
	struct gm_devstate *ds;

	down_write(&gm_devs_rwsem);
	ds = gm_devstate(dev->id);
	if (WARN_ON(!ds || ds != dev->core)) {
		up_write(&gm_devs_rwsem);
		return;
	}
	gm_dev_drain(ds);
	WARN_ON(ds->used_blocks);
	gm_devs[dev->id] = NULL;
	dev->core = NULL;
	up_write(&gm_devs_rwsem);
	gm_shared_stats_free(&ds->stats);
	kfree(ds);
	pr_info("gmem: device %u (%s) unregistered\n", dev->id, dev->name);
}
EXPORT_SYMBOL_GPL(gm_dev_unregister);

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
	if (down_read_killable(&gm_devs_rwsem))
		return -EINTR;
	ds = gm_devstate(info.id);
	if (ds) {
		memset(info.name, 0, sizeof(info.name));
		strscpy(info.name, ds->dev->name, sizeof(info.name));
		info.hbm_bytes = gm_dev_capacity(ds) * gm_blk_size;
		info.flags = READ_ONCE(ds->limit_blocks) ? GMEM_DEV_F_LIMITED : 0;
		info.hbm_used_bytes = READ_ONCE(ds->used_blocks) * gm_blk_size;
		info.block_size = gm_blk_size;
		gm_shared_stats_read(&info.stats, &ds->stats);
	} else {
		ret = -ENODEV;
	}
	up_read(&gm_devs_rwsem);
	if (!ret && copy_to_user(uarg, &info, sizeof(info)))
		ret = -EFAULT;
	return ret;
}

/*
 * Set @ds's limit to @blocks (0: none) unless it is below the blocks pinned
 * there now. A pin hint already past its own check (gm_pin_check()) can
 * still land afterwards, as two racing pins can together exceed HBM; the
 * device then has no evictable room, as when its whole HBM is pinned.
 */
static int gm_dev_set_limit(struct gm_devstate *ds, u64 blocks, u64 *prev)
{
	int ret = 0;

	spin_lock(&ds->lock);
	*prev = ds->limit_blocks;
	if (blocks && blocks < ds->pinned_blocks)
		ret = -EBUSY;
	else
		WRITE_ONCE(ds->limit_blocks, blocks);
	spin_unlock(&ds->lock);
	return ret;
}

/* Blocks @ds holds beyond its capacity (a lowered limit). */
static u64 gm_dev_over(struct gm_devstate *ds)
{
	u64 over;

	spin_lock(&ds->lock);
	over = ds->used_blocks > gm_dev_capacity(ds) ?
	       ds->used_blocks - gm_dev_capacity(ds) : 0;
	spin_unlock(&ds->lock);
	return over;
}

/*
 * Evict what a lowered limit left over, through the policy in charge as any
 * eviction. The limit holds even if this stops early (busy blocks, signal):
 * no new block arrives until the device is below it.
 */
static int gm_dev_shrink(struct gm_devstate *ds)
{
	struct gm_policy_op pop;
	u64 over;
	int ret = 0;

	gm_policy_op_begin(&pop);
	while (!ret && (over = gm_dev_over(ds)))
		ret = gm_make_room(ds->dev->id, min_t(u64, over, U32_MAX), NULL, NULL);
	gm_policy_op_end(&pop);
	return ret;
}

static int gm_dev_limit_check(const struct gmem_dev_limit *lim, const struct gm_devstate *ds)
{
	if (lim->flags || lim->limit_bytes & (gm_blk_size - 1))
		return -EINVAL;
	if (lim->limit_bytes / gm_blk_size > ds->dev->hbm_blocks)
		return -EINVAL;
	return 0;
}

/* GMEM_IOC_DEV_LIMIT */
long gm_dev_limit_ioctl(void __user *uarg)
{
	struct gmem_dev_limit lim;
	struct gm_devstate *ds;
	u64 prev = 0;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&lim, uarg, sizeof(lim)))
		return -EFAULT;
	if (down_read_killable(&gm_devs_rwsem))
		return -EINTR;
	ds = gm_devstate(lim.id);
	ret = ds ? gm_dev_limit_check(&lim, ds) : -ENODEV;
	if (!ret)
		ret = gm_dev_set_limit(ds, lim.limit_bytes / gm_blk_size, &prev);
	if (!ret)
		ret = gm_dev_shrink(ds);
	if (ds) {
		lim.prev_bytes = prev * gm_blk_size;
		lim.hbm_bytes = ds->dev->hbm_blocks * gm_blk_size;
	}
	up_read(&gm_devs_rwsem);
	if (!ret && copy_to_user(uarg, &lim, sizeof(lim)))
		ret = -EFAULT;
	return ret;
}
