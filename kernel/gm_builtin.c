// SPDX-License-Identifier: GPL-2.0
/*
 * gm_builtin.c: the built-in C policy, in charge when no BPF policy is and
 * completing whatever a BPF policy leaves undone (gm_policy.c).
 *
 *   placement  migrate to the faulting device; remote (zero-copy) mapping
 *              for blocks the user prefers on the host (GMEM_ADV_PREFERRED
 *              with GMEM_DEV_HOST), unless pinned.
 *   prefetch   of the next gmem.builtin_prefetch blocks of the object after
 *              the faulting one, those not on the device already (sequential
 *              read-ahead; 0 disables it), paused for an object whose
 *              faults stop looking sequential (gm_builtin_ra_on()).
 *   eviction   least recently used first, from the device LRU that the core
 *              maintains whatever policy is active (so falling back is
 *              instant), skipping pinned and busy blocks; blocks hinted
 *              COLD go before all others and HOT ones after all others.
 *
 * Locking: called through gm_policy_*() with gm_lock held (gm_policy.h).
 */
#include <linux/moduleparam.h>

#include "gm_internal.h"
#include "gm_policy.h"

static unsigned int builtin_prefetch = 1;
module_param(builtin_prefetch, uint, 0644);
MODULE_PARM_DESC(builtin_prefetch,
		 "blocks after a faulting one the built-in policy prefetches (0..32, default 1)");

int gm_builtin_fault(struct gm_fault_req *req)
{
	const struct gm_block *blk = req->blk;

	if (blk->pref_dev == GM_PREF_HOST && !(blk->flags & GM_BLK_PINNED))
		return GMEM_PLACE_REMOTE;
	return GMEM_PLACE_MIGRATE;
}

/*
 * Wasted read-ahead costs a migration in and, once evicted unused, one out,
 * and pushes out a block that may be needed. So each object's read-ahead is
 * judged every GM_RA_WINDOW faults: it stays (or goes back) on only if at
 * least 2/3 of them looked sequential, at the block after the previous
 * fault (what read-ahead would have served) or just past what that fault
 * read ahead, when the device used that block (what it did serve). Per
 * object, so one run's history never changes another's counts. Under
 * gm_lock like the rest of this file.
 */
#define GM_RA_WINDOW	8

static bool gm_builtin_ra_on(struct gm_object *obj, u32 idx, u32 n)
{
	u32 p = obj->ra_prev;
	/* Past the read-ahead: sequential only if the read-ahead was used. */
	bool seq = idx == p + 1 || (!obj->ra_off && idx == p + 1 + n && p + 1 < obj->nr_blocks &&
				    !(obj->blocks[p + 1].flags & GM_BLK_PREFETCHED));

	obj->ra_seq += seq;
	obj->ra_prev = idx;
	if (++obj->ra_faults >= GM_RA_WINDOW) {
		obj->ra_off = 3 * obj->ra_seq < 2 * obj->ra_faults;
		obj->ra_faults = obj->ra_seq = 0;
	}
	return !obj->ra_off;
}

void gm_builtin_prefetch(struct gm_fault_req *req)
{
	u32 n = min_t(u32, READ_ONCE(builtin_prefetch), GM_PREFETCH_BUDGET);
	struct gm_object *obj = req->blk->obj;
	const struct gm_block *blk;
	u32 i, idx;

	if (n && !gm_builtin_ra_on(obj, req->ctx.idx, n))
		return;

	for (i = 1; i <= n; i++) {
		idx = req->ctx.idx + i;
		if (idx >= obj->nr_blocks)
			break;
		blk = &obj->blocks[idx];
		if (gm_blk_resident_on(blk, req->ctx.dev) || blk->pref_dev == GM_PREF_HOST)
			continue;
		gm_fault_req_add_prefetch(req, GMEM_BLK_ID(obj->id, idx), false);
	}
}

/*
 * One LRU pass over @ds, nominating blocks whose HOT/COLD hint bits are
 * exactly @hint (pinned and busy blocks are never nominated).
 */
static void gm_builtin_evict_pass(struct gm_devstate *ds, struct gm_evict_req *req,
				  u32 want, u32 hint)
{
	struct gm_block *blk;

	list_for_each_entry(blk, &ds->lru, lru) {
		if (req->nr_victims >= want)
			return;
		if (blk->flags & (GM_BLK_PINNED | GM_BLK_BUSY))
			continue;
		if ((blk->flags & (GM_BLK_HOT | GM_BLK_COLD)) == hint)
			gm_evict_req_add(req, blk, false);
	}
}

/* COLD blocks first, then unhinted ones, HOT ones last; LRU order within each. */
void gm_builtin_evict(struct gm_evict_req *req)
{
	static const u32 order[] = { GM_BLK_COLD, 0, GM_BLK_HOT };
	struct gm_devstate *ds = gm_devstate(req->ctx.dev);
	u32 want = min_t(u32, req->ctx.nr, GM_EVICT_MAX);
	int i;

	if (!ds)
		return;
	for (i = 0; i < ARRAY_SIZE(order) && req->nr_victims < want; i++)
		gm_builtin_evict_pass(ds, req, want, order[i]);
}
