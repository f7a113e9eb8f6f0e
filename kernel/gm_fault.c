// SPDX-License-Identifier: GPL-2.0
/*
 * gm_fault.c: the device fault paths, top-down (CPU faults: gm_cpu_fault.c).
 *
 *   Device faults (gm_dev_fault_batch(), called by drivers; gm_dev_fault()
 *   is a batch of one): sort and merge the batch -> zap ahead the CPU PTEs
 *   of what it moves -> per block, in address order: look the object up
 *   (once per object of the batch) and check the VMA's protection -> lock the
 *   block -> ask the policy where it goes -> migrate (evicting as needed) or
 *   map it over the bus -> map it on the device -> prefetch what the policy
 *   asks.
 *   Device access report (gm_dev_access()): recency for the LRU and policy
 *     -> prefetch what the policy asks from the report, as a fault would.
 *
 * Protection: a device fault is refused with -EFAULT when the VMA does not
 * allow the access (any access needs VM_READ, a write VM_WRITE), as
 * hmm_range_fault() refuses it. ->mprotect (gm_object.c) bumps
 * obj->prot_seq and then revokes device mappings block by block under each
 * block's lock; a fault that looked the VMA up before the bump sees the new
 * sequence under the block lock and looks it up again; a prefetched block,
 * which the revoke walk may already have passed, is mapped only if the
 * sequence is still the lookup's (gm_lookup_current()). So no device mapping
 * outlives a protection downgrade.
 *
 * Locking: gm_devs_rwsem (read; device faults and access reports, which
 * may bring blocks to a device) -> blk->lock; prefetched blocks (of a fault
 * or of an access report, whose block stays locked meanwhile) are trylocked
 * and stay locked until all have moved so that making room for one never
 * evicts another, and a batch's early zap trylocks the blocks it zaps. A
 * task waits for a block lock killably. The mapping is looked up under
 * mmap_read_lock, dropped before any block lock is taken.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/sort.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_tracepoints.h"

/*
 * Test only (test_bpf prefetch_after_mprotect_maps_nothing): sleep this long
 * in gm_prefetch_run() before the prefetch blocks are locked, the window in
 * which ->mprotect can pass a block the prefetch is about to map. Capped
 * at 10 ms; 0 (default) in use.
 */
static unsigned int debug_prefetch_delay_us;
module_param(debug_prefetch_delay_us, uint, 0644);
MODULE_PARM_DESC(debug_prefetch_delay_us,
		 "Test only: sleep this long before locking prefetch blocks (max 10000, default 0)");

static void gm_fault_req_init(struct gm_fault_req *req, struct gm_block *blk, u32 dev,
			      unsigned long va, bool write, const struct gm_lookup *lk)
{
	/* prefetch[] is filled up to nr_prefetch: no need to clear it. */
	memset(req, 0, offsetof(struct gm_fault_req, prefetch));
	req->blk = blk;
	req->lk = lk;
	req->ctx.dev = dev;
	req->ctx.obj = blk->obj->id;
	req->ctx.idx = blk->idx;
	req->ctx.write = write;
	req->ctx.addr = va;
	req->ctx.blk_id = gm_blk_id(blk);
	req->ctx.tag = blk->tag;
	req->ctx.nr_blocks = blk->obj->nr_blocks;
	req->ctx.state = blk->state;
}

/*
 * Does the fault @req bring blocks in as read copies (BOTH) rather than
 * owned? A read copy is worth having when leaving the device would
 * otherwise cost a copy or the CPU keeps reading it (read_dup=2). With
 * device-only copies (read_dup=1) on a device with dirty bits neither
 * holds: a clean DEVICE block is dropped just as cheaply and the CPU maps
 * neither, so the clean DEVICE block is the read copy there, mapped
 * writable, and the device's first write to it costs no claim fault.
 */
static bool gm_fault_dups(const struct gm_fault_req *req, const struct gm_dev *dev)
{
	switch (req->blk->obj->read_dup) {
	case GM_DUP_DEVICE:
		return !req->ctx.write && !dev->ops->test_clear_dirty;
	case GM_DUP_SHARED:
		return !req->ctx.write;
	default:
		return false;
	}
}

/*
 * Bring @blk to @devid for the fault @req: owned, or a read copy. The
 * faulting block is copied now (the device is waiting for it); a prefetch
 * is queued (@how).
 */
static int gm_fault_bring(const struct gm_fault_req *req, struct gm_block *blk, u32 devid,
			  enum gm_copy_how how)
{
	return gm_fault_dups(req, gm_devs[devid]->dev) ? gm_dup_to_dev(blk, devid, how) :
							 gm_migrate_to_dev(blk, devid, how);
}

/* A pinned block stays on the device it was pinned to (the CPU may still pull it). */
static bool gm_blk_pinned_elsewhere(const struct gm_block *blk, u32 devid)
{
	return (blk->flags & GM_BLK_PINNED) && blk->pin_dev != devid;
}

/* The device used @blk (resident on it): LRU tail, recency, prefetch hit. */
static void gm_blk_touch(struct gm_devstate *ds, struct gm_block *blk)
{
	blk->last_access = atomic64_read(&gm_clock);
	gm_lru_touch(ds, blk);
	if (blk->flags & GM_BLK_PREFETCHED) {
		blk->flags &= ~GM_BLK_PREFETCHED;
		gm_stat_add(blk, ds->dev->id, prefetch_used, 1);
	}
}

/* Does a prefetch to @devid leave @blk where it is (gm_prefetch_one())? */
static bool gm_prefetch_skips(const struct gm_block *blk, u32 devid)
{
	return gm_blk_resident_on(blk, devid) || gm_blk_pinned_elsewhere(blk, devid) ||
	       blk->pref_dev == GM_PREF_HOST;
}

/*
 * Zap the CPU PTEs of the @n locked prefetch blocks that will move, one
 * unmap per run of adjacent blocks rather than one per block. They stay
 * locked until they have moved, so no CPU fault maps them in between. A
 * block left behind when HBM runs out was zapped for nothing: its next CPU
 * access takes a minor fault.
 */
static void gm_prefetch_zap(struct gm_block **held, unsigned int n, u32 devid)
{
	struct gm_block *zap[GM_PREFETCH_BUDGET];
	unsigned int i, nr = 0;

	for (i = 0; i < n; i++)
		if ((held[i]->flags & GM_BLK_CPU_MAPPED) && !gm_prefetch_skips(held[i], devid))
			zap[nr++] = held[i];
	gm_blks_zap_cpu(zap, nr);
}

/* One prefetch of the fault @req: 0 done, 1 skipped, <0 stop prefetching. */
static int gm_prefetch_one(struct gm_fault_req *req, struct gm_block *blk, u32 devid)
{
	int ret;

	if (gm_prefetch_skips(blk, devid))
		return 1;
	if (!gm_hbm_room_now(gm_devs[devid]))
		return -ENOMEM;		/* only busy victims: do not wait for a prefetch */
	ret = gm_fault_bring(req, blk, devid, GM_COPY_QUEUE);
	if (ret == -EBUSY)
		return 1;		/* host pages pinned by someone: stays on the host */
	if (ret)
		return ret;
	/*
	 * Clean even for a write fault: marking it dirty on speculation would
	 * save the device's first write to it a fault, at the price of a
	 * write-back whenever the stream does not write it after all (which
	 * cost llm_layer 1-7% more blocks moved in test_policies' decode runs).
	 */
	blk->flags |= GM_BLK_PREFETCHED;
	gm_stat_add(blk, devid, prefetch_issued, 1);
	trace_gmem_prefetch(devid, blk->obj->id, blk->idx);
	/*
	 * ->mprotect may have passed this block between the lookup and its
	 * trylock: then the device faults it in under the new protection.
	 */
	if (gm_lookup_current(req->lk))
		gm_blk_map_ahead(blk, devid, req->lk->may_write);
	gm_policy_activated(blk, GMEM_ACT_PREFETCH);
	return 0;
}

/*
 * Migrate and map what the policy asked to prefetch for a fault or an access
 * report (@req's block locked by the caller). The blocks are trylocked
 * first (one someone else holds is skipped), their CPU PTEs zapped in runs,
 * and each stays locked until all have moved so later ones cannot evict it;
 * the first block that finds no room ends prefetching (the fault itself
 * already succeeded).
 */
static void gm_prefetch_run(struct gm_fault_req *req, u32 devid)
{
	struct gm_block *held[GM_PREFETCH_BUDGET];
	struct gm_object *obj = req->blk->obj;
	struct gm_block *blk;
	u32 i, n = 0;
	int ret = 0;

	if (req->nr_prefetch)
		gm_debug_delay(&debug_prefetch_delay_us, 10000);
	for (i = 0; i < req->nr_prefetch && n < GM_PREFETCH_BUDGET; i++) {
		blk = gm_obj_block_alloc(obj, GMEM_BLK_IDX(req->prefetch[i]));
		if (blk && mutex_trylock(&blk->lock))
			held[n++] = blk;
	}
	gm_prefetch_zap(held, n, devid);
	for (i = 0; i < n && ret >= 0; i++)
		ret = gm_prefetch_one(req, held[i], devid);
	while (n--)
		mutex_unlock(&held[n]->lock);
}

static void gm_fault_prefetch(struct gm_fault_req *req, struct gm_devstate *ds)
{
	gm_policy_prefetch(req);
	gm_prefetch_run(req, ds->dev->id);
}

/* Demand migration of the faulting block (or a remote map), then prefetch. */
static int gm_fault_place(struct gm_fault_req *req, struct gm_devstate *ds, int place)
{
	struct gm_block *blk = req->blk;
	u32 devid = ds->dev->id;
	bool remote_ok = ds->dev->ops->map_remote && !(blk->flags & GM_BLK_PINNED);
	int ret;

	if (place == GMEM_PLACE_REMOTE && remote_ok)
		return gm_map_remote(blk, devid);
	ret = gm_fault_bring(req, blk, devid, GM_COPY_NOW);
	if (ret == -EBUSY && remote_ok)
		return gm_map_remote(blk, devid);	/* pinned host pages */
	if (ret)
		return ret;
	if (req->ctx.write)
		gm_blk_mark_dirty(blk);
	gm_policy_activated(blk, GMEM_ACT_DEMAND);
	ret = gm_blk_map(blk, devid, req->lk->may_write);
	if (ret)
		return ret;
	gm_fault_prefetch(req, ds);
	return 0;
}

/*
 * The device's first write to a block it holds clean and mapped read-only
 * (a read copy it just claimed, or any clean block on a device without
 * dirty bits): mark it dirty and map it writable. To the policy this
 * is an access to a resident block, as it would have been without the
 * tracking, so it hears of it through the accessed hook.
 */
static int gm_fault_first_write(struct gm_block *blk, u32 devid, bool may_write)
{
	int ret;

	gm_stat_add(blk, devid, write_faults, 1);
	gm_blk_mark_dirty(blk);
	ret = gm_blk_map(blk, devid, may_write);
	if (!ret)
		gm_policy_accessed(blk, true, NULL);
	return ret;
}

/* The block of a batch being serviced (gm_dev_fault_batch()). */
struct gm_fault_batch {
	u64 id;
	u32 nr;				/* distinct blocks in the batch */
	u32 pos;			/* the one being serviced, in address order */
	/* The entries merged into the first of this block's: their accesses */
	const struct gm_fault_entry *dups;
	u32 nr_dups;
	struct gm_lookup *lk;		/* the last object looked up (gm_fault_lookup()) */
};

static void gm_access_locked(struct gm_devstate *ds, struct gm_block *blk, unsigned long va,
			     bool write, const struct gm_lookup *lk);

/*
 * Did an earlier fault of the batch map @blk on @ds for this access (its
 * prefetch brought it)? Then there is nothing to service. A guess from the
 * core's side (the device page table is the driver's): if the device still
 * misses, it faults again, on its own.
 */
static bool gm_fault_batch_serviced(const struct gm_block *blk, struct gm_devstate *ds,
				    bool write)
{
	if (!gm_blk_mapped_on(blk, ds->dev->id))
		return false;
	return !write || blk->state == GMEM_BLK_REMOTE || gm_blk_dev_writable(blk, ds->dev);
}

/*
 * The trace has one record per device access (MIN and replay read it as the
 * access stream): the entries of @batch merged into the one just serviced
 * as @write are accesses too. A write entry left for a read service
 * failed, and is not one.
 */
static void gm_fault_trace_dups(const struct gm_block *blk, u32 devid, bool write,
				const struct gm_fault_batch *batch)
{
	u32 i;

	for (i = 0; i < batch->nr_dups; i++)
		if (write || !batch->dups[i].write)
			gm_trace_record(blk, devid, GMEM_TRACE_ACCESS, batch->dups[i].write);
}

static int gm_fault_locked(struct gm_devstate *ds, struct gm_block *blk, unsigned long va,
			   bool write, const struct gm_lookup *lk,
			   const struct gm_fault_batch *batch)
{
	bool may_write = lk->may_write;
	u32 devid = ds->dev->id;
	struct gm_fault_req req;
	int ret;

	/* Until the batch is done, policies see the block as about to be used. */
	if (batch->nr > 1) {
		WRITE_ONCE(blk->fault_batch_dev, devid);
		WRITE_ONCE(blk->fault_batch, batch->id);
	}
	/*
	 * An earlier fault of this batch prefetched the block: the device's
	 * access reaches the policy as the report it would have been had the
	 * faults come one at a time (which the device then does not send).
	 */
	if (batch->pos && gm_fault_batch_serviced(blk, ds, write)) {
		gm_access_locked(ds, blk, va, write, lk);
		return 0;
	}
	atomic64_inc(&gm_clock);
	gm_stat_add(blk, devid, dev_faults, 1);
	gm_trace_record(blk, devid, GMEM_TRACE_FAULT, write);
	trace_gmem_fault(devid, blk->obj->id, blk->idx, write);
	if (gm_blk_pinned_elsewhere(blk, devid))
		return -EBUSY;
	if (gm_blk_mapped_on(blk, devid)) {
		/* Already there but not mapped, e.g. moved by a hint before the
		 * device had an address space for this mm, or a write to the
		 * device's read copy: the device takes it over. */
		if (write && blk->state == GMEM_BLK_BOTH) {
			ret = gm_migrate_to_dev(blk, devid, GM_COPY_NOW);	/* a claim */
			if (ret)
				return ret;
		}
		if (gm_blk_resident_on(blk, devid))
			gm_blk_touch(ds, blk);
		if (write && gm_blk_owned_by(blk, devid))
			return gm_fault_first_write(blk, devid, may_write);
		return gm_blk_map(blk, devid, may_write);
	}
	gm_fault_req_init(&req, blk, devid, va, write, lk);
	req.ctx.batch_id = batch->id;
	req.ctx.batch_nr = batch->nr;
	req.ctx.batch_pos = batch->pos;
	return gm_fault_place(&req, ds, gm_policy_fault(&req));
}

static void gm_fault_lookup_drop(struct gm_lookup *lk)
{
	if (lk->obj)
		gm_obj_put(lk->obj);
	lk->obj = NULL;
}

/*
 * The object @va is in, with its protection, into @lk: looked up unless
 * @lk holds it already, so a batch takes mmap_lock once per object rather
 * than per block. Reusing it is safe because a gmem VMA always covers its
 * whole object (splits are refused), ->mprotect bumps prot_seq and munmap
 * marks the object dead, both checked again under the block's lock. A
 * lookup older than the last ->mprotect is not reused at all, so that its
 * access check below is the VMA's current one (a write an mprotect has
 * just allowed is not refused on old flags). Returns 1 for a reused
 * lookup, 0 for a new one, or the lookup's error.
 */
static int gm_fault_lookup(struct mm_struct *mm, unsigned long va, bool write,
			   struct gm_lookup *lk)
{
	int ret;

	if (lk->obj && va - lk->obj->start < lk->obj->size && gm_lookup_current(lk)) {
		if (!lk->may_read || (write && !lk->may_write))
			return -EFAULT;		/* as gm_obj_lookup() refuses it */
		return 1;
	}
	gm_fault_lookup_drop(lk);
	ret = gm_obj_lookup(mm, va, 1, write ? GM_ACC_READ | GM_ACC_WRITE : GM_ACC_READ, lk);
	if (ret)
		lk->obj = NULL;		/* it may name an object it holds no reference on */
	return ret;
}

/*
 * Look up, lock and serve one device fault; -EAGAIN when the protection
 * changed, or the object a reused lookup named was unmapped, since the
 * lookup (the caller drops it and looks up again).
 */
static int gm_dev_fault_once(struct gm_dev *dev, struct mm_struct *mm, unsigned long va,
			     bool write, const struct gm_fault_batch *batch)
{
	struct gm_lookup *lk = batch->lk;
	struct gm_block *blk;
	int reused, ret;

	reused = gm_fault_lookup(mm, va, write, lk);
	if (reused < 0)
		return reused;
	blk = gm_obj_block_alloc(lk->obj, (va - lk->obj->start) >> gm_blk_shift);
	ret = blk ? mutex_lock_killable(&blk->lock) : -ENOMEM;
	if (ret)
		return ret;
	if (READ_ONCE(lk->obj->dead))
		ret = reused ? -EAGAIN : -EFAULT;
	else if (!gm_lookup_current(lk))
		ret = -EAGAIN;
	else
		ret = gm_fault_locked(dev->core, blk, va, write, lk, batch);
	if (!ret)
		gm_fault_trace_dups(blk, dev->id, write, batch);
	mutex_unlock(&blk->lock);
	return ret;
}

/*
 * One block of a batch: its own policy operation (each fault keeps the hook
 * time budget a single fault has), retried while ->mprotect changes the
 * protection under it.
 */
static int gm_dev_fault_block(struct gm_dev *dev, struct mm_struct *mm, unsigned long va,
			      bool write, const struct gm_fault_batch *batch)
{
	struct gm_policy_op op;
	int ret;

	gm_policy_op_begin(&op);
	do {
		ret = gm_dev_fault_once(dev, mm, va, write, batch);
		if (ret == -EAGAIN)
			gm_fault_lookup_drop(batch->lk);
	} while (ret == -EAGAIN && !fatal_signal_pending(current));
	gm_policy_op_end(&op);
	return ret == -EAGAIN ? -EINTR : ret;
}

static int gm_fault_entry_cmp(const void *a, const void *b)
{
	const struct gm_fault_entry *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

/* Sort @ents by address; a device often hands them over in order already. */
static void gm_fault_entries_sort(struct gm_fault_entry *ents, unsigned int n)
{
	unsigned int i;

	for (i = 1; i < n; i++)
		if (ents[i].va < ents[i - 1].va)
			break;
	if (i < n)
		sort(ents, n, sizeof(*ents), gm_fault_entry_cmp, NULL);
}

/* Objects start block aligned, so the same block number is the same block. */
static bool gm_fault_same_block(const struct gm_fault_entry *x, const struct gm_fault_entry *y)
{
	return x->va >> gm_blk_shift == y->va >> gm_blk_shift;
}

static atomic64_t gm_fault_batch_seq;

/* Raise @max to @val if it is lower. */
static void gm_stat_max(atomic64_t *max, u64 val)
{
	s64 old = atomic64_read(max);

	while ((u64)old < val && !atomic64_try_cmpxchg(max, &old, val))
		;
}

/* A batch of @nr_faults faults in @nr_blocks blocks was delivered by @devid. */
static void gm_fault_batch_count(u32 devid, unsigned int nr_faults, unsigned int nr_blocks)
{
	struct gm_shared_stats *sets[] = { &gm_devs[devid]->stats, &gm_total };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sets); i++) {
		this_cpu_inc(sets[i]->cpu->fault_batches);
		this_cpu_add(sets[i]->cpu->batch_faults, nr_faults);
		this_cpu_add(sets[i]->cpu->batch_dups, nr_faults - nr_blocks);
		gm_stat_max(&sets[i]->batch_max, nr_faults);
	}
	trace_gmem_fault_batch(devid, nr_faults, nr_blocks);
}

/*
 * Service the entries [first, end) that fall in one block: as a write if
 * any of them is one. When the mapping refuses the write, the reads among
 * them are serviced again as a read: merging must not fail a read the
 * mapping allows.
 */
static int gm_fault_batch_block(struct gm_dev *dev, struct mm_struct *mm,
				struct gm_fault_entry *ents, unsigned int first, unsigned int end,
				const struct gm_fault_batch *batch)
{
	bool write = false, read = false;
	int ret, read_ret;
	unsigned int i;

	for (i = first; i < end; i++) {
		write |= ents[i].write;
		read |= !ents[i].write;
	}
	ret = gm_dev_fault_block(dev, mm, ents[first].va, write, batch);
	read_ret = ret;
	if (ret == -EFAULT && write && read)
		read_ret = gm_dev_fault_block(dev, mm, ents[first].va, false, batch);
	for (i = first; i < end; i++)
		ents[i].ret = ents[i].write ? ret : read_ret;
	return ret == -EINTR || read_ret == -EINTR ? -EINTR : 0;
}

/*
 * Will a fault of @devid (a write if @write) on @blk zap its CPU PTEs: a
 * move to the device, or the claim of its read copy there? A guess, as the
 * policy still decides: a block it maps over the bus instead was zapped for
 * nothing, and the CPU's next access to it takes a minor fault.
 */
static bool gm_fault_zaps(const struct gm_block *blk, u32 devid, bool write)
{
	if (write && blk->state == GMEM_BLK_BOTH && blk->dev == devid)
		return true;
	return !gm_prefetch_skips(blk, devid);
}

/*
 * Early zap (gm_internal.h) of the blocks the sorted batch @ents will move:
 * one unmap per run of adjacent blocks instead of one per fault. At 4 KiB
 * blocks the zap of one block, a page-table walk and a TLB flush, cost more
 * than its copy (docs/benchmarks.md). Objects are looked up into @lk, the
 * batch's lookup, which the faults then reuse; an entry whose mapping the
 * lookup refuses is left to its fault, which fails.
 */
static void gm_fault_batch_zap_ahead(u32 devid, struct mm_struct *mm,
				     const struct gm_fault_entry *ents, unsigned int n,
				     struct gm_lookup *lk)
{
	struct gm_zap_ahead za = {};
	struct gm_object *obj;
	struct gm_block *blk;
	unsigned int i = 0, end;
	bool write;

	while (i < n) {
		if (gm_fault_lookup(mm, ents[i].va, false, lk) < 0) {
			i++;
			continue;
		}
		obj = lk->obj;
		for (; i < n && ents[i].va - obj->start < obj->size; i = end) {
			write = ents[i].write;
			for (end = i + 1; end < n && gm_fault_same_block(&ents[i], &ents[end]); end++)
				write |= ents[end].write;
			blk = gm_obj_block(obj, (ents[i].va - obj->start) >> gm_blk_shift);
			if (!blk || !gm_zap_ahead_trylock(blk))
				continue;
			if (!READ_ONCE(obj->dead) && gm_fault_zaps(blk, devid, write))
				gm_zap_ahead_add(&za, blk);
			else
				mutex_unlock(&blk->lock);
		}
		gm_zap_ahead_flush(&za);
	}
}

int gm_dev_fault_batch(struct gm_dev *dev, struct mm_struct *mm, struct gm_fault_entry *ents,
		       unsigned int n)
{
	struct gm_lookup lk = {};
	struct gm_fault_batch batch = { .lk = &lk };
	unsigned int i, end;
	int ret = 0;

	if (!n || n > GM_FAULT_BATCH_MAX)
		return -EINVAL;
	gm_fault_entries_sort(ents, n);
	for (i = 0; i < n; i++) {
		ents[i].ret = -EINTR;		/* until serviced */
		if (!i || !gm_fault_same_block(&ents[i - 1], &ents[i]))
			batch.nr++;
	}
	if (down_read_killable(&gm_devs_rwsem))
		return -EINTR;
	if (WARN_ON_ONCE(!dev->core || gm_devstate(dev->id) != dev->core)) {
		up_read(&gm_devs_rwsem);
		for (i = 0; i < n; i++)
			ents[i].ret = -ENODEV;
		return -ENODEV;
	}
	batch.id = atomic64_inc_return(&gm_fault_batch_seq);
	gm_fault_batch_count(dev->id, n, batch.nr);
	if (batch.nr > 1) {
		atomic64_set(&gm_devstate(dev->id)->batch_live, batch.id);
		gm_fault_batch_zap_ahead(dev->id, mm, ents, n, &lk);
	}
	for (i = 0; i < n && !ret; i = end, batch.pos++) {
		for (end = i + 1; end < n && gm_fault_same_block(&ents[i], &ents[end]); end++)
			;
		batch.dups = &ents[i + 1];
		batch.nr_dups = end - i - 1;
		if (fatal_signal_pending(current))
			ret = -EINTR;	/* a long batch stops at the next block */
		else
			ret = gm_fault_batch_block(dev, mm, ents, i, end, &batch);
	}
	if (batch.nr > 1)	/* unless a later batch took over meanwhile */
		atomic64_cmpxchg(&gm_devstate(dev->id)->batch_live, batch.id, 0);
	gm_fault_lookup_drop(&lk);
	up_read(&gm_devs_rwsem);
	return ret;
}
EXPORT_SYMBOL_GPL(gm_dev_fault_batch);

/* A single fault is a batch of one. */
int gm_dev_fault(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, bool write)
{
	struct gm_fault_entry ent = { .va = va, .write = write };
	int ret = gm_dev_fault_batch(dev, mm, &ent, 1);

	return ret ?: ent.ret;
}
EXPORT_SYMBOL_GPL(gm_dev_fault);

/*
 * The policy hears of the access and may prefetch from it (the accessed
 * hook's bpf_gmem_prefetch_dev()), as at a fault: that is how a policy stays
 * ahead of a device streaming through blocks instead of waiting for its
 * next fault. Not from a mapping the device may no longer read.
 */
static void gm_access_locked(struct gm_devstate *ds, struct gm_block *blk, unsigned long va,
			     bool write, const struct gm_lookup *lk)
{
	u32 devid = ds->dev->id;
	struct gm_policy_op op;
	struct gm_fault_req req;

	/* A stale report: the block moved since the device touched it. */
	if (!gm_blk_mapped_on(blk, devid))
		return;
	atomic64_inc(&gm_clock);
	gm_stat_add(blk, devid, dev_accesses, 1);
	gm_trace_record(blk, devid, GMEM_TRACE_ACCESS, write);
	if (gm_blk_resident_on(blk, devid))
		gm_blk_touch(ds, blk);
	/*
	 * A write through a writable mapping of a clean block (a device with
	 * dirty bits): the unmap would find the bit anyway; marking it now lets
	 * policies see GMEM_BF_DIRTY as soon as the device reports the write.
	 * A stale report can only cost one needless write-back.
	 */
	if (write && blk->state == GMEM_BLK_DEVICE)
		gm_blk_mark_dirty(blk);
	if (!lk->may_read || !gm_lookup_current(lk)) {
		gm_policy_accessed(blk, write, NULL);
		return;
	}
	gm_fault_req_init(&req, blk, devid, va, write, lk);
	gm_policy_accessed(blk, write, &req);
	if (!req.nr_prefetch)
		return;
	/* The evict and activated calls of the prefetch share one hook budget. */
	gm_policy_op_begin(&op);
	gm_prefetch_run(&req, devid);
	gm_policy_op_end(&op);
}

void gm_dev_access(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, bool write)
{
	struct gm_block *blk;
	struct gm_lookup lk;

	if (gm_obj_lookup(mm, va, 1, 0, &lk))
		return;
	blk = gm_obj_block(lk.obj, (va - lk.obj->start) >> gm_blk_shift);
	if (blk && !down_read_killable(&gm_devs_rwsem)) {
		if (!WARN_ON_ONCE(!dev->core || gm_devstate(dev->id) != dev->core) &&
		    !mutex_lock_killable(&blk->lock)) {
			if (!READ_ONCE(lk.obj->dead))
				gm_access_locked(dev->core, blk, va, write, &lk);
			mutex_unlock(&blk->lock);
		}
		up_read(&gm_devs_rwsem);
	}
	gm_obj_put(lk.obj);
}
EXPORT_SYMBOL_GPL(gm_dev_access);

/* One gmem mapping of its creator, allowing @access: what a device may touch. */
static bool gm_vma_device_ok(struct mm_struct *mm, struct vm_area_struct *vma, bool write)
{
	struct gm_object *obj;

	if (!vma || !gm_vma_is_gmem(vma))
		return false;
	obj = vma->vm_private_data;
	if (obj->mm != mm || !(vma->vm_flags & VM_READ))
		return false;
	return !write || (vma->vm_flags & VM_WRITE);
}

/* The range may span adjacent gmem mappings (a job over two allocations). */
int gm_dev_check_range(struct mm_struct *mm, unsigned long va, unsigned long len, bool write)
{
	struct vm_area_struct *vma;
	unsigned long end;
	int ret = 0;

	if (!len)
		return 0;
	if (check_add_overflow(va, len, &end))
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (va < end) {
		vma = vma_lookup(mm, va);
		if (!gm_vma_device_ok(mm, vma, write)) {
			ret = -EFAULT;
			break;
		}
		va = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}
EXPORT_SYMBOL_GPL(gm_dev_check_range);
