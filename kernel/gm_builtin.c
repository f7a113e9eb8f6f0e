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
 *   eviction   least recently used first, from the device lists that the core
 *              maintains whatever policy is active (so falling back is
 *              instant): COLD-hinted blocks first, HOT ones last, pinned
 *              ones never (they are on a list of their own); busy blocks
 *              are skipped. O(1) in the number of resident blocks, except
 *              when room is made for one tenant (gm_tenant.c): then other
 *              tenants' blocks are walked past.
 *
 * Locking: called through gm_policy_*() with the faulting block's lock held
 * (gm_policy.h); the eviction walk takes ds->lock inside an RCU read
 * section (gm_evict.c).
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
 * judged every GM_RA_WINDOW faults, by how many looked sequential: at the
 * block after the previous fault (what read-ahead would have served) or
 * just past what that fault read ahead, when the device used that block
 * (what it did serve). It stays on while at least 2/3 of a window is
 * sequential; once off, it goes back on only after a window with at most
 * one jump (GM_RA_ON_SEQ). Short runs, such as the few blocks of each
 * expert a MoE layer reads, pass the 2/3 rule while read-ahead is off and
 * fail it while it is on (it wastes the block after each run), so under
 * one rule they would turn it on and off every other window. Per object,
 * so one run's history never changes another's counts. Faults on
 * different blocks of one object run concurrently: obj->ra_lock.
 */
#define GM_RA_WINDOW	8
#define GM_RA_ON_SEQ	(GM_RA_WINDOW - 1)

static bool gm_builtin_ra_on(struct gm_object *obj, u32 idx, u32 n)
{
	const struct gm_block *next;
	bool seq, on;
	u32 p;

	spin_lock(&obj->ra_lock);
	p = obj->ra_prev;
	/* Past the read-ahead: sequential only if the read-ahead was used. */
	next = !obj->ra_off && idx == p + 1 + n ? gm_obj_block(obj, p + 1) : NULL;
	seq = idx == p + 1 || (next && !(READ_ONCE(next->flags) & GM_BLK_PREFETCHED));
	obj->ra_seq += seq;
	obj->ra_prev = idx;
	if (++obj->ra_faults >= GM_RA_WINDOW) {
		if (obj->ra_off)
			obj->ra_off = obj->ra_seq < GM_RA_ON_SEQ;
		else
			obj->ra_off = 3 * obj->ra_seq < 2 * obj->ra_faults;
		obj->ra_faults = obj->ra_seq = 0;
	}
	on = !obj->ra_off;
	spin_unlock(&obj->ra_lock);
	return on;
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
		blk = gm_obj_block(obj, idx);
		if (blk && READ_ONCE(blk->pref_dev) == GM_PREF_HOST)
			continue;
		gm_fault_req_add_prefetch(req, GMEM_BLK_ID(obj->id, idx), false);
	}
}

/*
 * Nominate from the head of one device list (least recent first), skipping
 * blocks another task holds. Stops at the first @budget entries looked at so
 * that a list full of busy blocks cannot make eviction linear.
 */
static void gm_builtin_evict_list(struct list_head *head, struct gm_evict_req *req,
				  u32 want, u32 budget)
{
	struct gm_block *blk;

	list_for_each_entry(blk, head, lru) {
		if (req->nr_victims >= want || !budget--)
			return;
		gm_evict_req_add(req, blk, false);
	}
}

/* COLD blocks first, then unhinted ones, HOT ones last; LRU order within each. */
void gm_builtin_evict(struct gm_evict_req *req)
{
	static const enum gm_lru_list order[] = { GM_LRU_COLD, GM_LRU_NORMAL, GM_LRU_HOT };
	struct gm_devstate *ds = gm_devstate(req->ctx.dev);
	u32 want = min_t(u32, req->ctx.nr, GM_EVICT_MAX);
	/* One tenant's victims may lie behind any number of others'. */
	u32 budget = req->one_tenant ? U32_MAX : 4 * GM_EVICT_MAX;
	int i;

	if (!ds)
		return;
	spin_lock(&ds->lock);
	for (i = 0; i < ARRAY_SIZE(order) && req->nr_victims < want; i++)
		gm_builtin_evict_list(&ds->lru[order[i]], req, want, budget);
	spin_unlock(&ds->lock);
}
