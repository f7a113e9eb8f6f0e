// SPDX-License-Identifier: GPL-2.0
/*
 * gm_advise.c: GMEM_IOC_ADVISE, user hints on a range of one gmem mapping.
 *
 * A hint is validated completely before anything changes: flags, advice,
 * alignment, overflow, that the range lies inside one gmem mapping of the
 * caller, that the device exists (where the advice takes one) and, for
 * GMEM_ADV_PIN, that the pinned blocks fit in the device's HBM. A rejected
 * hint changes nothing. An accepted one is applied block by block in address
 * order; WILLNEED and PIN can still stop on a migration error (host memory,
 * a device copy), a fatal signal, or the pin budget, in which case the blocks
 * before the failing one keep the hint, the rest are unchanged, and the
 * error is returned. Every accepted hint is passed to the policy
 * (gm_policy_advise()).
 *
 * Pins: pinned HBM is charged to the owner's RLIMIT_MEMLOCK (like mlock(),
 * unless CAP_IPC_LOCK; -ENOMEM beyond it) and may never exceed the device's
 * HBM (-ENOSPC). A pinned block stays on the device it was pinned to: other
 * devices' faults on it fail with -EBUSY; the CPU can still pull it back.
 *
 * CPU mappings: WILLNEED and PIN zap the CPU PTEs of the blocks they move
 * ahead of the moves, GM_ZAP_BATCH blocks at a time, with one unmap per run
 * of adjacent blocks rather than one unmap and TLB flush per block (an
 * early zap: gm_internal.h).
 *
 * Locking: the mapping is looked up under mmap_read_lock, which is dropped
 * before anything else (the object is held by a reference); gm_devs_rwsem
 * is held for read for the whole hint, and each block is locked on its own
 * while it changes, so a long hint never holds anything across two blocks
 * and stops at a fatal signal. The early zap holds up to GM_ZAP_BATCH block
 * locks, all trylocked (it never waits), and no other block lock.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"

/* Checks that need neither the mapping nor any lock. */
static int gm_advise_check_args(const struct gmem_advise *adv)
{
	if (adv->flags)
		return -EINVAL;
	if (adv->advice < GMEM_ADV_WILLNEED || adv->advice > GMEM_ADV_MAX)
		return -EINVAL;
	if (!adv->len || !PAGE_ALIGNED(adv->addr) || !PAGE_ALIGNED(adv->len))
		return -EINVAL;
	if (adv->addr + adv->len < adv->addr)
		return -EINVAL;
	return 0;
}

static int gm_advise_check_dev(const struct gmem_advise *adv)
{
	switch (adv->advice) {
	case GMEM_ADV_PREFERRED:
		if (adv->dev == GMEM_DEV_HOST)
			return 0;
		fallthrough;
	case GMEM_ADV_WILLNEED:
	case GMEM_ADV_PIN:
		return gm_devstate(adv->dev) ? 0 : -ENODEV;
	default:
		return 0;		/* the advice takes no device: @dev is ignored */
	}
}

/* What one hint applies to each block. */
struct gm_advise_op {
	const struct gmem_advise *adv;
	struct gm_lookup *lk;
};

/*
 * Pins on a device may not exceed its HBM: the device's pinned blocks plus
 * this hint's. Counters, not a walk: O(1) whatever is resident.
 */
static int gm_pin_check(u32 nr, u32 devid)
{
	struct gm_devstate *ds = gm_devstate(devid);
	u64 pinned;

	spin_lock(&ds->lock);
	pinned = ds->pinned_blocks;
	spin_unlock(&ds->lock);
	return pinned + nr > gm_dev_capacity(ds) ? -ENOSPC : 0;
}

/* Set or clear @blk's pin, charging or uncharging its owner. */
static int gm_blk_set_pin(struct gm_block *blk, bool pin, u32 devid)
{
	int ret;

	if (!!(blk->flags & GM_BLK_PINNED) == pin) {
		if (pin)
			blk->pin_dev = devid;
		return 0;
	}
	if (pin) {
		ret = gm_pin_charge(blk->obj, 1);
		if (ret)
			return ret;
		blk->flags |= GM_BLK_PINNED;
		blk->pin_dev = devid;
	} else {
		gm_pin_uncharge(blk->obj, 1);
		blk->flags &= ~GM_BLK_PINNED;
		blk->pin_dev = GM_NO_DEV;
	}
	gm_lru_update_class(blk);
	return 0;
}

/* Map a block a hint moved, if the protection looked up still holds. */
static void gm_advise_map(struct gm_block *blk, u32 devid, const struct gm_lookup *lk)
{
	if (!lk->may_read || !gm_lookup_current(lk))
		return;		/* the device faults it in under the new protection */
	gm_blk_map_ahead(blk, devid, lk->may_write);
}

/*
 * WILLNEED and PIN: migrate and map one block. A read copy on @devid is
 * claimed (made DEVICE and mapped writable) without a copy; the policy
 * already saw it arrive. A block pinned to another device stays there.
 */
static int gm_advise_migrate_one(struct gm_block *blk, const struct gm_advise_op *op)
{
	u32 devid = op->adv->dev;
	bool pin = op->adv->advice == GMEM_ADV_PIN;
	bool arrives;
	int ret = 0;

	/* WILLNEED is a hint: a block that cannot move (pinned elsewhere, or
	 * its host pages held by someone) stays where it is. */
	if ((blk->flags & GM_BLK_PINNED) && blk->pin_dev != devid)
		return pin ? -EBUSY : 0;
	if (!gm_blk_owned_by(blk, devid)) {
		arrives = !gm_blk_resident_on(blk, devid);
		ret = gm_migrate_to_dev(blk, devid, GM_COPY_QUEUE);
		if (ret == -EBUSY && !pin)
			return 0;
		if (ret)
			return pin && ret == -ENOMEM ? -ENOSPC : ret;
		gm_advise_map(blk, devid, op->lk);
		if (arrives)
			gm_policy_activated(blk, GMEM_ACT_HINT);
	}
	return pin ? gm_blk_set_pin(blk, true, devid) : 0;
}

/* Will moving @blk to @devid (gm_advise_migrate_one()) zap its CPU PTEs? */
static bool gm_advise_zaps(const struct gm_block *blk, u32 devid)
{
	if (!(blk->flags & GM_BLK_CPU_MAPPED))
		return false;
	if ((blk->flags & GM_BLK_PINNED) && blk->pin_dev != devid)
		return false;
	return !gm_blk_owned_by(blk, devid);
}

/*
 * Zap, ahead of their moves, the CPU PTEs of the blocks in [first, first + n)
 * that the hint will move (see the top of the file). A busy block, or one
 * the peek without its lock shows unmapped, is left to its own migration.
 */
static void gm_advise_zap_ahead(struct gm_object *obj, u32 first, u32 n, u32 devid)
{
	struct gm_zap_ahead za = {};
	struct gm_block *blk;
	u32 i;

	for (i = first; i < first + n; i++) {
		blk = gm_obj_block(obj, i);
		if (!blk || !gm_zap_ahead_trylock(blk))
			continue;
		if (!READ_ONCE(obj->dead) && gm_advise_zaps(blk, devid))
			gm_zap_ahead_add(&za, blk);
		else
			mutex_unlock(&blk->lock);
	}
	gm_zap_ahead_flush(&za);
}

static bool gm_advice_moves(u32 advice)
{
	return advice == GMEM_ADV_WILLNEED || advice == GMEM_ADV_PIN;
}

/* Hints that only set per-block attributes. */
static int gm_advise_attr_one(struct gm_block *blk, const struct gmem_advise *adv)
{
	switch (adv->advice) {
	case GMEM_ADV_UNPIN:
		return gm_blk_set_pin(blk, false, GM_NO_DEV);
	case GMEM_ADV_PREFERRED:
		blk->pref_dev = adv->dev == GMEM_DEV_HOST ? GM_PREF_HOST : adv->dev;
		break;
	case GMEM_ADV_TAG:
		WRITE_ONCE(blk->tag, adv->value);
		break;
	case GMEM_ADV_HOT:
		blk->flags = (blk->flags & ~GM_BLK_COLD) | GM_BLK_HOT;
		gm_lru_update_class(blk);
		break;
	case GMEM_ADV_COLD:
		blk->flags = (blk->flags & ~GM_BLK_HOT) | GM_BLK_COLD;
		gm_lru_update_class(blk);
		break;
	}
	return 0;
}

static int gm_advise_one(struct gm_block *blk, const struct gm_advise_op *op)
{
	int ret;

	ret = mutex_lock_killable(&blk->lock);
	if (ret)
		return ret;
	if (READ_ONCE(blk->obj->dead))
		ret = -EINVAL;
	else if (gm_advice_moves(op->adv->advice))
		ret = gm_advise_migrate_one(blk, op);
	else if (op->adv->advice == GMEM_ADV_DONTNEED)
		ret = gm_migrate_to_host(blk, GM_COPY_QUEUE);
	else
		ret = gm_advise_attr_one(blk, op->adv);
	mutex_unlock(&blk->lock);
	return ret;
}

/* Hints that need untouched blocks' metadata allocate it; DONTNEED/UNPIN do not. */
static bool gm_advice_allocates(u32 advice)
{
	return advice != GMEM_ADV_DONTNEED && advice != GMEM_ADV_UNPIN;
}

static int gm_advise_range(struct gm_object *obj, u32 first, u32 nr,
			   const struct gm_advise_op *op)
{
	struct gm_block *blk;
	u32 i;
	int ret;

	for (i = first; i < first + nr; i++) {
		if (gm_advice_moves(op->adv->advice) && (i - first) % GM_ZAP_BATCH == 0)
			gm_advise_zap_ahead(obj, i, min(GM_ZAP_BATCH, first + nr - i),
					    op->adv->dev);
		if (gm_advice_allocates(op->adv->advice))
			blk = gm_obj_block_alloc(obj, i);
		else
			blk = gm_obj_block(obj, i);
		if (!blk) {
			if (gm_advice_allocates(op->adv->advice))
				return -ENOMEM;
			continue;
		}
		ret = gm_advise_one(blk, op);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

static int gm_advise_apply(struct gm_lookup *lk, const struct gmem_advise *adv)
{
	struct gm_object *obj = lk->obj;
	u32 first = (adv->addr - obj->start) >> gm_blk_shift;
	u32 last = (adv->addr + adv->len - 1 - obj->start) >> gm_blk_shift;
	u32 nr = last - first + 1;
	struct gm_advise_op op = { .adv = adv, .lk = lk };
	struct gm_policy_op pop;
	int ret;

	if (READ_ONCE(obj->dead))
		return -EINVAL;
	ret = gm_advise_check_dev(adv);
	if (!ret && adv->advice == GMEM_ADV_PIN)
		ret = gm_pin_check(nr, adv->dev);
	if (ret)
		return ret;
	gm_trace_hint(obj, first, nr, adv->advice, adv->dev, adv->value);
	gm_policy_op_begin(&pop);
	ret = gm_advise_range(obj, first, nr, &op);
	gm_policy_advise(obj, first, nr, adv->advice, adv->value);
	gm_policy_op_end(&pop);
	return ret;
}

long gm_advise_ioctl(void __user *uarg)
{
	struct gmem_advise adv;
	struct gm_lookup lk;
	int ret;

	if (copy_from_user(&adv, uarg, sizeof(adv)))
		return -EFAULT;
	ret = gm_advise_check_args(&adv);
	if (ret)
		return ret;
	/* The range must lie in this one mapping. */
	ret = gm_obj_lookup(current->mm, adv.addr, adv.len, 0, &lk);
	if (ret)
		return ret == -EFAULT ? -EINVAL : ret;
	ret = down_read_killable(&gm_devs_rwsem);
	if (!ret) {
		ret = gm_advise_apply(&lk, &adv);
		up_read(&gm_devs_rwsem);
	}
	gm_obj_put(lk.obj);
	return ret;
}
