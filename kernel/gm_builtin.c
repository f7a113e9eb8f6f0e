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
 *              read-ahead; 0 disables it), only as far as the object's
 *              recent sequential runs reached (gm_builtin_ra_blocks()).
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
#include <linux/hash.h>
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
 * and pushes out a block that may be needed; a used one saves a fault but
 * no migration. So the read-ahead must not run past where the access run
 * it serves ends. Each object keeps the lengths of its last GM_RA_RUNS
 * sequential runs of faulting blocks (a run: each fault at the block after
 * the run's previous one, or just past what that one read ahead when the
 * device used it), and the last length of the runs that began at up to
 * GM_RA_STARTS blocks, and reads ahead only blocks that lie, from the
 * start of the current run, within the last run that began there or else
 * within the shortest recent run: whole passes and layers keep
 * their read-ahead to their last block and no further; the few blocks of
 * each expert a MoE layer reads get it inside the expert only; random and
 * strided faults (runs of one block) get none. Before a first run has
 * ended, a fault reads ahead only if it is sequential itself; an object
 * starts as if it had faulted just before block 0 (GM_RA_NONE), so a pass
 * from its start reads ahead from its first fault, as a file's first read
 * does. Per object, so one run's history never changes another's counts.
 * A device often walks two runs of one object at once (weights read in
 * order while a cache block is written now and then): up to GM_RA_STREAMS
 * runs are followed at once, each fault continuing the one it extends (if
 * that one was extended within the last GM_RA_STALE faults), and a fault
 * that extends none starts a run in place of one that began at the
 * same block (it starts over) or else of the least recently extended one;
 * a run ends, and its length counts, when its stream gives way. Followed as
 * one run, each switch looked like a new run, and the interleaved blocks'
 * runs of one made the shortest recent run 1: no read-ahead at all.
 * Faults on different blocks of one object run concurrently: obj->ra_lock.
 */

/*
 * A new object's read-ahead evidence: no run, and a stream about to reach
 * block 0, which the first fault replaces unless it is at block 0 (age 0:
 * the first to go; the other streams are unused, prev 0, age 0).
 */
void gm_builtin_obj_init(struct gm_object *obj)
{
	u32 i;

	spin_lock_init(&obj->ra_lock);
	obj->ra_streams[0].prev = GM_RA_NONE;
	for (i = 0; i < GM_RA_STARTS; i++)
		obj->ra_seen[i].start = GM_RA_NONE;
}

/*
 * The device used what stream @st's last fault read ahead: it is no longer
 * PREFETCHED (a block evicted unused keeps the flag), or it is the block
 * faulting at @idx now. Judged alike before and after that fault's own
 * migration, which may evict the block or bring it in.
 */
static bool gm_ra_used(struct gm_object *obj, const struct gm_ra_stream *st, u32 idx)
{
	const struct gm_block *next;

	if (st->prev == GM_RA_NONE || !st->ahead || st->prev + 1 >= obj->nr_blocks)
		return false;
	if (st->prev + 1 == idx)
		return true;
	next = gm_obj_block(obj, st->prev + 1);
	return next && !(READ_ONCE(next->flags) & GM_BLK_PREFETCHED);
}

/*
 * Does a fault at @idx continue stream @st: in use and extended within the
 * last GM_RA_STALE faults (or the new object's)? A stream left behind
 * long ago ended; the blocks after it are some later pass's, which would
 * inherit its start and its predicted end (training's forward pass of one
 * iteration ran on from the backward run of the layer before it, with no
 * read-ahead past that layer).
 */
static bool gm_ra_continues(struct gm_object *obj, const struct gm_ra_stream *st, u32 idx)
{
	if (st->age ? obj->ra_clock - st->age >= GM_RA_STALE : st->prev != GM_RA_NONE)
		return false;
	return idx == st->prev + 1 || (idx == st->prev + 1 + st->ahead && gm_ra_used(obj, st, idx));
}

/* ra_seen[] slot of a run starting at block @start: hashed, as starts are often evenly spaced. */
static u32 gm_ra_slot(u32 start)
{
	return hash_32(start, GM_RA_STARTS_BITS);
}

/* Stream @st's run ended at a fault at @idx: remember its length, also as its start's. */
static void gm_ra_end_run(struct gm_object *obj, const struct gm_ra_stream *st, u32 idx)
{
	u32 len = st->prev - st->start + 1 + (gm_ra_used(obj, st, idx) ? st->ahead : 0);
	struct gm_ra_seen *seen = &obj->ra_seen[gm_ra_slot(st->start)];

	seen->start = st->start;
	seen->len = len;
	obj->ra_runs[obj->ra_next_run] = len;
	obj->ra_next_run = (obj->ra_next_run + 1) % GM_RA_RUNS;
	if (obj->ra_nr_runs < GM_RA_RUNS)
		obj->ra_nr_runs++;
}

/*
 * The stream a fault at @idx belongs to: the one it continues (*@seq), else
 * a new one in place of a stream that began at @idx (that run starts over)
 * or of the least recently extended; the replaced stream's run ends.
 */
static struct gm_ra_stream *gm_ra_stream_of(struct gm_object *obj, u32 idx, bool *seq)
{
	struct gm_ra_stream *st, *old = &obj->ra_streams[0];
	bool restart = false;

	for (st = obj->ra_streams; st < obj->ra_streams + GM_RA_STREAMS; st++) {
		if (gm_ra_continues(obj, st, idx)) {
			*seq = true;
			if (st->prev == GM_RA_NONE)
				st->start = 0;
			return st;
		}
		if (restart)
			continue;
		if (st->age && st->start == idx) {
			old = st;
			restart = true;
		} else if (st->age < old->age) {
			old = st;
		}
	}
	*seq = false;
	if (old->age && old->prev != GM_RA_NONE)
		gm_ra_end_run(obj, old, idx);
	old->start = idx;
	return old;
}

/* How many of the @n blocks after faulting block @idx to read ahead. */
static u32 gm_builtin_ra_blocks(struct gm_object *obj, u32 idx, u32 n)
{
	u32 i, shortest = U32_MAX, end, ahead;
	struct gm_ra_stream *st;
	bool seq;

	spin_lock(&obj->ra_lock);
	st = gm_ra_stream_of(obj, idx, &seq);
	for (i = 0; i < obj->ra_nr_runs; i++)
		shortest = min(shortest, obj->ra_runs[i]);
	/* A run that began here before is expected to be as long again. */
	if (obj->ra_seen[gm_ra_slot(st->start)].start == st->start)
		shortest = obj->ra_seen[gm_ra_slot(st->start)].len;
	if (!obj->ra_nr_runs) {
		ahead = seq ? n : 0;
	} else {
		/* Blocks [start, end) are within the shortest run from this one's start. */
		end = st->start + shortest;
		ahead = end > idx + 1 ? min(n, end - idx - 1) : 0;
	}
	st->prev = idx;
	st->ahead = ahead;
	st->age = ++obj->ra_clock;
	spin_unlock(&obj->ra_lock);
	return ahead;
}

void gm_builtin_prefetch(struct gm_fault_req *req)
{
	u32 n = min_t(u32, READ_ONCE(builtin_prefetch), GM_PREFETCH_BUDGET);
	struct gm_object *obj = req->blk->obj;
	const struct gm_block *blk;
	u32 i, idx;

	if (n)
		n = gm_builtin_ra_blocks(obj, req->ctx.idx, n);
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
