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
 * a device copy), in which case the blocks before the failing one keep the
 * hint, the rest are unchanged, and the error is returned. Every accepted
 * hint is passed to the policy (gm_policy_advise()).
 *
 * Locking: the mapping is looked up under mmap_read_lock, which is dropped
 * before gm_lock is taken (the object is held by a reference); the rest runs
 * under gm_lock.
 */
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"

/* Checks that need neither the mapping nor gm_lock. */
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

/*
 * Pins on a device may not exceed its HBM: count what is pinned there now
 * and what this hint adds. Blocks pinned on @dev but pulled back to the host
 * by the CPU are not counted; they come back only if there is room.
 */
static int gm_pin_check(struct gm_object *obj, u32 first, u32 nr, u32 devid)
{
	struct gm_devstate *ds = gm_devstate(devid);
	u64 pinned = 0, adding = 0;
	struct gm_block *blk;
	u32 i;

	list_for_each_entry(blk, &ds->lru, lru)
		if (blk->flags & GM_BLK_PINNED)
			pinned++;
	for (i = first; i < first + nr; i++) {
		blk = &obj->blocks[i];
		if (!gm_blk_resident_on(blk, devid) || !(blk->flags & GM_BLK_PINNED))
			adding++;
	}
	return pinned + adding > ds->dev->hbm_blocks ? -ENOSPC : 0;
}

/*
 * WILLNEED and PIN: migrate and map each block; no address space yet is
 * fine. A read copy on @devid is claimed (made DEVICE and mapped writable)
 * without a copy; the policy already saw it arrive.
 */
static int gm_advise_migrate(struct gm_object *obj, u32 first, u32 nr, u32 devid, bool pin)
{
	struct gm_block *blk;
	bool arrives;
	int ret;
	u32 i;

	for (i = first; i < first + nr; i++) {
		blk = &obj->blocks[i];
		if (!gm_blk_owned_by(blk, devid)) {
			arrives = !gm_blk_resident_on(blk, devid);
			ret = gm_migrate_to_dev(blk, devid);
			if (ret)
				return pin && ret == -ENOMEM ? -ENOSPC : ret;
			gm_blk_map(blk, devid);
			if (arrives)
				gm_policy_activated(blk, GMEM_ACT_HINT);
		}
		if (pin)
			blk->flags |= GM_BLK_PINNED;
		cond_resched();
	}
	return 0;
}

static int gm_advise_dontneed(struct gm_object *obj, u32 first, u32 nr)
{
	int ret;
	u32 i;

	for (i = first; i < first + nr; i++) {
		ret = gm_migrate_to_host(&obj->blocks[i]);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/* Hints that only set per-block attributes. */
static void gm_advise_attr(struct gm_object *obj, u32 first, u32 nr,
			   const struct gmem_advise *adv)
{
	struct gm_block *blk;
	u32 i;

	for (i = first; i < first + nr; i++) {
		blk = &obj->blocks[i];
		switch (adv->advice) {
		case GMEM_ADV_UNPIN:
			blk->flags &= ~GM_BLK_PINNED;
			break;
		case GMEM_ADV_PREFERRED:
			blk->pref_dev = adv->dev == GMEM_DEV_HOST ? GM_PREF_HOST : adv->dev;
			break;
		case GMEM_ADV_TAG:
			blk->tag = adv->value;
			break;
		case GMEM_ADV_HOT:
			blk->flags = (blk->flags & ~GM_BLK_COLD) | GM_BLK_HOT;
			break;
		case GMEM_ADV_COLD:
			blk->flags = (blk->flags & ~GM_BLK_HOT) | GM_BLK_COLD;
			break;
		}
	}
}

static int gm_advise_locked(struct gm_object *obj, const struct gmem_advise *adv)
{
	u32 first = (adv->addr - obj->start) >> gm_blk_shift;
	u32 last = (adv->addr + adv->len - 1 - obj->start) >> gm_blk_shift;
	u32 nr = last - first + 1;
	int ret;

	if (obj->dead)
		return -EINVAL;
	ret = gm_advise_check_dev(adv);
	if (!ret && adv->advice == GMEM_ADV_PIN)
		ret = gm_pin_check(obj, first, nr, adv->dev);
	if (ret)
		return ret;

	switch (adv->advice) {
	case GMEM_ADV_WILLNEED:
	case GMEM_ADV_PIN:
		ret = gm_advise_migrate(obj, first, nr, adv->dev, adv->advice == GMEM_ADV_PIN);
		break;
	case GMEM_ADV_DONTNEED:
		ret = gm_advise_dontneed(obj, first, nr);
		break;
	default:
		gm_advise_attr(obj, first, nr, adv);
		break;
	}
	gm_policy_advise(obj, first, nr, adv->advice, adv->value);
	return ret;
}

long gm_advise_ioctl(void __user *uarg)
{
	struct gmem_advise adv;
	struct gm_object *obj;
	int ret;

	if (copy_from_user(&adv, uarg, sizeof(adv)))
		return -EFAULT;
	ret = gm_advise_check_args(&adv);
	if (ret)
		return ret;
	ret = gm_obj_lookup(current->mm, adv.addr, &obj);
	if (ret)
		return ret == -EFAULT ? -EINVAL : ret;
	if (adv.addr + adv.len > obj->start + obj->size) {
		ret = -EINVAL;		/* the range must lie in this one mapping */
		goto out;
	}
	ret = mutex_lock_killable(&gm_lock);
	if (ret)
		goto out;
	ret = gm_advise_locked(obj, &adv);
	mutex_unlock(&gm_lock);
out:
	gm_obj_put(obj);
	return ret;
}
