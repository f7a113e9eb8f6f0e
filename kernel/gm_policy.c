// SPDX-License-Identifier: GPL-2.0
/*
 * gm_policy.c: the policy dispatcher.
 *
 * The core asks every placement, prefetch and eviction question here. When a
 * BPF policy is in charge (gm_bpf.c) it is asked first; its answers are
 * validated by the helpers below, every invalid answer is counted by reason
 * (and counts towards ejecting the policy), and whatever it leaves undone is
 * completed by the built-in policy (gm_builtin.c). With no BPF policy the
 * built-in policy answers alone. The validation helpers are shared with the
 * built-in policy, which passes count_reject == false: its own choices are
 * filtered the same way but never counted against a BPF policy.
 *
 * Locking: every function here runs with the caller's block lock held and
 * nothing wider (gm_policy.h); the counters below are atomics.
 */
#include <linux/kernel.h>
#include <linux/minmax.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_bpf.h"
#include "gm_tracepoints.h"

/*
 * Cumulative since module load. A fallback is counted when a BPF hook ran
 * and the built-in policy had to complete or replace its answer, not when
 * the policy simply has no hook for the decision.
 */
static atomic64_t gm_rejects[GMEM_REJ_NR];
static atomic64_t gm_fallbacks;

void gm_policy_reject(enum gmem_reject why)
{
	if (WARN_ON_ONCE(why >= GMEM_REJ_NR))
		return;
	atomic64_inc(&gm_rejects[why]);
	trace_gmem_policy_reject(why);
	gm_bpf_note_reject(why);
}

/* The built-in policy completed (part of) a decision a BPF policy owned. */
static void gm_policy_fallback(void)
{
	atomic64_inc(&gm_fallbacks);
}

static u32 gm_evict_want(const struct gm_evict_req *req)
{
	return min_t(u32, req->ctx.nr, GM_EVICT_MAX);
}

static bool gm_evict_req_has(const struct gm_evict_req *req, const struct gm_block *blk)
{
	u32 i;

	for (i = 0; i < req->nr_victims; i++)
		if (req->victims[i] == blk)
			return true;
	return false;
}

/*
 * Append @blk to the victims of @req if it is a valid victim: not the block
 * being brought in, resident on the device that is short of HBM, not pinned,
 * not listed already, of the tenant being made room for if any (another
 * tenant's block is skipped, not counted: a system-wide policy need not
 * know tenants). A full request is not an error (false, not counted),
 * and neither is a block another task is migrating right now (its lock is
 * held) or one of an object being destroyed: the policy could not know.
 * A dying object's block is left to gm_obj_destroy(), which frees its HBM
 * without a write-back; taking it as a victim would fill the request with a
 * block gm_evict.c then refuses, round after round while the destroy waits
 * (for a block lock held by a fault that is itself making room). The fields
 * are read without the block's lock; gm_evict.c checks again once it holds
 * it.
 */
bool gm_evict_req_add(struct gm_evict_req *req, struct gm_block *blk, bool count_reject)
{
	enum gmem_reject why;

	if (req->nr_victims >= gm_evict_want(req))
		return false;
	if (blk != req->busy && mutex_is_locked(&blk->lock))
		return false;
	if (READ_ONCE(blk->obj->dead))
		return false;
	/* Room for a tenant at its limit comes from that tenant (gm_tenant.c). */
	if (req->one_tenant && READ_ONCE(blk->obj->tenant) != req->tenant)
		return false;
	if (blk == req->busy)
		why = GMEM_REJ_VICTIM_BUSY;
	else if (!gm_blk_resident_on(blk, req->ctx.dev))
		why = GMEM_REJ_VICTIM_NOT_RESIDENT;
	else if (READ_ONCE(blk->flags) & GM_BLK_PINNED)
		why = GMEM_REJ_VICTIM_PINNED;
	else if (gm_evict_req_has(req, blk))
		why = GMEM_REJ_VICTIM_DUP;
	else {
		req->victims[req->nr_victims++] = blk;
		return true;
	}
	if (count_reject)
		gm_policy_reject(why);
	return false;
}

static bool gm_fault_req_has(const struct gm_fault_req *req, u64 blk_id)
{
	u32 i;

	for (i = 0; i < req->nr_prefetch; i++)
		if (req->prefetch[i] == blk_id)
			return true;
	return false;
}

/*
 * Add @blk_id to the prefetch list of the fault @req. Only blocks of the
 * faulting object count as in range (untouched ones too: they have no
 * metadata yet). Requests that are merely redundant (the faulting block
 * itself, a block already on the device, one already listed, one pinned)
 * are dropped silently: a policy that prefetches "the next N blocks" is
 * not wrong when some are resident. Requested before the fault's block
 * moves (@req->before_bring), a resident block stays listed, and
 * gm_prefetch_one() skips it if it is still resident when its turn comes.
 */
bool gm_fault_req_add_prefetch(struct gm_fault_req *req, u64 blk_id, bool count_reject)
{
	struct gm_block *blk;

	if (GMEM_BLK_OBJ(blk_id) != req->ctx.obj ||
	    GMEM_BLK_IDX(blk_id) >= req->ctx.nr_blocks) {
		if (count_reject)
			gm_policy_reject(GMEM_REJ_PREFETCH_RANGE);
		return false;
	}
	blk = gm_obj_block(req->blk->obj, GMEM_BLK_IDX(blk_id));
	if (blk == req->blk)
		return false;
	if (blk && ((READ_ONCE(blk->flags) & GM_BLK_PINNED) ||
		    (!req->before_bring && gm_blk_resident_on(blk, req->ctx.dev))))
		return false;
	if (gm_fault_req_has(req, blk_id))
		return false;
	if (req->nr_prefetch >= GM_PREFETCH_BUDGET) {
		if (count_reject)
			gm_policy_reject(GMEM_REJ_PREFETCH_BUDGET);
		return false;
	}
	req->prefetch[req->nr_prefetch++] = blk_id;
	return true;
}

/* REMOTE needs the device to map host pages over the bus. */
static bool gm_place_valid(const struct gm_fault_req *req, int place)
{
	struct gm_devstate *ds;

	switch (place) {
	case GMEM_PLACE_MIGRATE:
		return true;
	case GMEM_PLACE_REMOTE:
		ds = gm_devstate(req->ctx.dev);
		return ds && ds->dev->ops->map_remote &&
		       !(req->blk->flags & GM_BLK_PINNED);
	default:
		return false;
	}
}

int gm_policy_fault(struct gm_fault_req *req)
{
	int place;

	if (!gm_bpf_fault(req, &place))
		return gm_builtin_fault(req);
	if (!gm_bpf_in_charge(req->blk->obj)) {
		/* Ejected during the call: its answer is not trusted. */
		gm_policy_fallback();
		return gm_builtin_fault(req);
	}
	if (place == GMEM_PLACE_DEFAULT)
		return gm_builtin_fault(req);
	if (gm_place_valid(req, place))
		return place;
	gm_policy_reject(GMEM_REJ_PLACE_BAD);
	gm_policy_fallback();
	return gm_builtin_fault(req);
}

/*
 * A policy with a prefetch hook, or whose fault hook prefetches
 * (GMEM_OPS_FAULT_PREFETCH), owns prefetching: prefetching nothing is a
 * valid answer. The built-in policy prefetches when there is no such hook, or
 * when the policy was ejected during the call (what it requested before that
 * was validated and stays).
 */
void gm_policy_prefetch(struct gm_fault_req *req)
{
	if (gm_bpf_prefetch(req)) {
		if (gm_bpf_in_charge(req->blk->obj))
			return;
		gm_policy_fallback();
	}
	gm_builtin_prefetch(req);
}

/*
 * Victims the BPF policy nominated come first (they were validated as they
 * were nominated); the built-in LRU tops the list up to min(nr, evictable),
 * so HBM pressure is always resolved whatever the policy did.
 */
void gm_policy_evict(struct gm_evict_req *req)
{
	bool ran;

	ran = gm_bpf_evict(req);
	if (req->nr_victims >= gm_evict_want(req))
		return;
	if (ran)
		gm_policy_fallback();
	gm_builtin_evict(req);
}

void gm_policy_obj_init(struct gm_object *obj)
{
	gm_bpf_obj_init(obj);
}

static int gm_plist_unlink_one(struct gm_block *blk, void *arg)
{
	gm_plist_unlink(blk);
	return 0;
}

/*
 * @obj is being destroyed: its blocks leave the policy's lists now, not one
 * by one as the destroy frees them. Until freed they are no victims
 * (gm_evict_req_add()) nor blocks a policy can decide on; list walks pass
 * over them meanwhile (gm_plist_live_from(), boundedly), and a long list
 * of them would still cost every walk its bound. A block that a fault
 * already under way brings in meanwhile may be listed again; freeing it
 * unlinks it (gm_policy_evicted()).
 */
void gm_policy_obj_dying(struct gm_object *obj)
{
	gm_obj_for_each_block(obj, 0, obj->nr_blocks, false, gm_plist_unlink_one, NULL);
}

/* Every block of @obj was released (and so taken off any policy list). */
void gm_policy_obj_exit(struct gm_object *obj)
{
	gm_bpf_obj_exit(obj);
}

/* Listable first, so that the hook can put the block on a policy list. */
void gm_policy_activated(struct gm_block *blk, enum gmem_activation how)
{
	gm_plist_arrive(blk);
	gm_bpf_activated(blk, how);
}

void gm_policy_accessed(struct gm_block *blk, bool write, struct gm_fault_req *req)
{
	gm_bpf_accessed(blk, write, req);
}

/* Tell the policy first, then take the block off its list: lists hold residents only. */
void gm_policy_evicted(struct gm_block *blk)
{
	gm_bpf_evicted(blk);
	gm_plist_unlink(blk);
}

void gm_policy_advise(struct gm_object *obj, u32 first, u32 nr, u32 advice, u64 value)
{
	gm_bpf_advise(obj, first, nr, advice, value);
}

void gm_policy_status(struct gmem_policy_status *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < GMEM_REJ_NR; i++)
		st->rejects[i] = atomic64_read(&gm_rejects[i]);
	st->fallbacks = atomic64_read(&gm_fallbacks);
	gm_bpf_status(st);
}

int gm_policy_list(struct gmem_policy_list *req)
{
	return gm_bpf_policy_list(req);
}

int gm_policy_init(void)
{
	return gm_bpf_init();
}

void gm_policy_exit(void)
{
	gm_bpf_exit();
}
