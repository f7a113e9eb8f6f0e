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
 *              read-ahead; 0 disables it), paused on a device while its
 *              read-ahead is being wasted (gm_builtin_ra_on()).
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
 * and pushes out a block that may be needed: per device, the read-ahead is
 * judged on every GM_RA_WINDOW prefetches that resolved (the core's
 * prefetch_used/prefetch_wasted device counters) and stays off while at
 * least a third of them were wasted (a used one saves a fault, a wasted one
 * costs about two transfers). While off, every GM_RA_PROBE-th fault still
 * reads ahead, so the window refills and a pattern turning sequential is
 * noticed. Under gm_lock like the rest of this file.
 */
#define GM_RA_WINDOW	16
#define GM_RA_PROBE	32

static struct {
	u64 used, wasted;	/* device counters when the window began */
	u32 faults;		/* faults while off, for the probes */
	bool off;
} gm_ra[GMEM_MAX_DEVICES];

static bool gm_builtin_ra_on(u32 dev)
{
	const struct gmem_stats *st;
	u64 used, wasted;

	if (dev >= GMEM_MAX_DEVICES || !gm_devs[dev])
		return false;
	st = &gm_devs[dev]->stats;
	/* A device re-registered under this id starts its counters at 0. */
	if (st->prefetch_used < gm_ra[dev].used || st->prefetch_wasted < gm_ra[dev].wasted)
		gm_ra[dev] = (typeof(gm_ra[dev])){};
	used = st->prefetch_used - gm_ra[dev].used;
	wasted = st->prefetch_wasted - gm_ra[dev].wasted;
	if (used + wasted >= GM_RA_WINDOW) {
		gm_ra[dev].off = 3 * wasted >= used + wasted;
		gm_ra[dev].used = st->prefetch_used;
		gm_ra[dev].wasted = st->prefetch_wasted;
	}
	return !gm_ra[dev].off || ++gm_ra[dev].faults % GM_RA_PROBE == 0;
}

void gm_builtin_prefetch(struct gm_fault_req *req)
{
	u32 n = min_t(u32, READ_ONCE(builtin_prefetch), GM_PREFETCH_BUDGET);
	const struct gm_object *obj = req->blk->obj;
	const struct gm_block *blk;
	u32 i, idx;

	if (n && !gm_builtin_ra_on(req->ctx.dev))
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
