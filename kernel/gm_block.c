// SPDX-License-Identifier: GPL-2.0
/*
 * gm_block.c: block metadata and the state every residency change goes
 * through.
 *
 * Metadata: an object's blocks live in chunks of GM_CHUNK_BLOCKS allocated on
 * first use (a fault, a hint), charged to the memory cgroup of the object's
 * owner and freed with the object after an RCU grace period, so that a
 * lookup by id under rcu_read_lock() (the policy kfuncs, eviction by id)
 * never touches freed memory. A block that was never allocated is NONE, with
 * no tag, no hint and no preference.
 *
 * Accounting (the OOM killer must see gmem memory in its owner):
 *   - host pages are charged to the owner's memory cgroup (not to whoever
 *     faults first: device faults run on a driver's workqueue);
 *   - host pages that no CPU page table maps (a block on a device, or
 *     evicted back but not touched by the CPU since) count in the owner's
 *     MM_SHMEMPAGES; once the CPU maps them, vm_insert_page() counts them as
 *     MM_FILEPAGES of the mapping mm instead (GM_BLK_CPU_MAPPED tells which),
 *     so every host page is in exactly one RSS counter.
 *
 * Locking: blk->lock protects every field but lru/lru_list (ds->lock) and
 * plist/plist_id (blk->plist_lock, gm_bpf_kfuncs.c). obj->chunk_lock
 * serializes chunk allocation; lookups are lockless (xarray + RCU).
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu_counter.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "gm_internal.h"
#include "gm_policy.h"

struct gm_block *gm_obj_block(struct gm_object *obj, u32 idx)
{
	struct gm_chunk *chunk;

	if (idx >= obj->nr_blocks)
		return NULL;
	chunk = xa_load(&obj->chunks, idx >> GM_CHUNK_SHIFT);
	return chunk ? &chunk->blk[idx & (GM_CHUNK_BLOCKS - 1)] : NULL;
}

static void gm_chunk_init(struct gm_object *obj, struct gm_chunk *chunk, u32 first)
{
	u32 i;

	for (i = 0; i < GM_CHUNK_BLOCKS; i++) {
		struct gm_block *blk = &chunk->blk[i];

		mutex_init(&blk->lock);
		blk->obj = obj;
		blk->idx = first + i;
		blk->state = GMEM_BLK_NONE;
		blk->dev = GM_NO_DEV;
		blk->pref_dev = GM_NO_DEV;
		blk->pin_dev = GM_NO_DEV;
		INIT_LIST_HEAD(&blk->lru);
		INIT_LIST_HEAD(&blk->plist);
		blk->plist_id = -1;
		spin_lock_init(&blk->plist_lock);
	}
}

/* The block @idx of @obj, allocating its chunk; NULL on -ENOMEM or out of range. */
struct gm_block *gm_obj_block_alloc(struct gm_object *obj, u32 idx)
{
	struct mem_cgroup *memcg, *old_memcg;
	struct gm_block *blk = gm_obj_block(obj, idx);
	struct gm_chunk *chunk;

	if (blk || idx >= obj->nr_blocks)
		return blk;
	mutex_lock(&obj->chunk_lock);
	blk = gm_obj_block(obj, idx);
	if (blk)
		goto out;
	memcg = get_mem_cgroup_from_mm(obj->mm);
	old_memcg = set_active_memcg(memcg);
	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL_ACCOUNT);
	if (chunk) {
		gm_chunk_init(obj, chunk, idx & ~(GM_CHUNK_BLOCKS - 1));
		if (xa_err(xa_store(&obj->chunks, idx >> GM_CHUNK_SHIFT, chunk,
				    GFP_KERNEL_ACCOUNT))) {
			kfree(chunk);
			chunk = NULL;
		}
	}
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	if (chunk)
		blk = &chunk->blk[idx & (GM_CHUNK_BLOCKS - 1)];
out:
	mutex_unlock(&obj->chunk_lock);
	return blk;
}

/* Object release: no block is locked or listed any more. */
void gm_obj_free_chunks(struct gm_object *obj)
{
	struct gm_chunk *chunk;
	unsigned long i;

	xa_for_each(&obj->chunks, i, chunk)
		kfree_rcu(chunk, rcu);
	xa_destroy(&obj->chunks);
}

/*
 * Walk the allocated blocks of [first, first + nr) with no lock held,
 * stopping early when @fn returns non-zero or, if @killable, on a fatal
 * signal (-EINTR). Long walks yield the CPU between chunks.
 */
int gm_obj_for_each_block(struct gm_object *obj, u32 first, u32 nr, bool killable,
			  int (*fn)(struct gm_block *blk, void *arg), void *arg)
{
	u32 end = first + nr, c, i;
	struct gm_chunk *chunk;
	unsigned long ci;
	int ret;

	if (!nr)
		return 0;
	xa_for_each_range(&obj->chunks, ci, chunk, first >> GM_CHUNK_SHIFT,
			  (end - 1) >> GM_CHUNK_SHIFT) {
		c = (u32)ci << GM_CHUNK_SHIFT;
		for (i = max(c, first); i < min(c + GM_CHUNK_BLOCKS, end); i++) {
			ret = fn(&chunk->blk[i - c], arg);
			if (ret)
				return ret;
		}
		if (killable && fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}

int gm_blk_lock_killable(struct gm_block *blk)
{
	return mutex_lock_killable(&blk->lock);
}

void gm_blk_unlock(struct gm_block *blk)
{
	mutex_unlock(&blk->lock);
}

static void gm_blk_account(struct gm_block *blk, int delta)
{
	switch (blk->state) {
	case GMEM_BLK_HOST:
	case GMEM_BLK_REMOTE:
		gm_stat_add(blk, GM_NO_DEV, resident_host, delta);
		break;
	case GMEM_BLK_DEVICE:
	case GMEM_BLK_BOTH:
		gm_stat_add(blk, blk->dev, resident_dev, delta);
		break;
	}
}

/* Every transition goes through here: the resident_* counters stay exact. */
void gm_blk_set_state(struct gm_block *blk, u8 state, u8 dev)
{
	lockdep_assert_held(&blk->lock);
	gm_blk_account(blk, -1);
	WRITE_ONCE(blk->state, state);
	WRITE_ONCE(blk->dev, dev);
	gm_blk_account(blk, 1);
}

/* Unmapped host pages count in the owner's RSS (see the top of this file). */
static void gm_blk_rss_add(struct gm_block *blk, long pages)
{
	percpu_counter_add(&blk->obj->mm->rss_stat[MM_SHMEMPAGES], pages);
}

/*
 * Test only (test_reliability_gup): back every new block with order-0
 * pages, as when a large allocation fails, so that the fallback is tested.
 */
static bool debug_host_single_pages;
module_param(debug_host_single_pages, bool, 0644);
MODULE_PARM_DESC(debug_host_single_pages,
		 "Test only: back blocks with order-0 host pages instead of one folio (default N)");

/*
 * One folio for the whole block when a block is more than a page and the
 * buddy allocator has one free: no direct reclaim or compaction for it (as
 * THP faults do by default, GFP_TRANSHUGE_LIGHT), since the order-0
 * fallback below reclaims if it must, and no warning. Its PTEs are
 * zapped as one batch (zap_present_ptes() batches the PTEs of one large
 * folio), a single rmap and TLB-gather entry instead of one per page, which
 * is most of a 2 MiB block's move to a device. folio_alloc() makes it
 * rmappable as page-cache folios are; with no ->mapping it is never split
 * (split_huge_page() refuses it) nor on an LRU.
 */
static bool gm_pages_alloc_folio(struct page **pages, unsigned long n, gfp_t gfp)
{
	struct folio *folio;
	unsigned long i;

	if (n == 1 || READ_ONCE(debug_host_single_pages))
		return false;
	gfp = (gfp | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_DIRECT_RECLAIM;
	folio = folio_alloc(gfp, ilog2(n));
	if (!folio)
		return false;
	for (i = 0; i < n; i++)
		pages[i] = folio_page(folio, i);
	return true;
}

/* Else one order-0 page each (the fallback when memory is fragmented). */
static int gm_pages_alloc_single(struct page **pages, unsigned long n, gfp_t gfp)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(gfp);
		if (!pages[i])
			goto err;
	}
	return 0;
err:
	while (i--)
		__free_page(pages[i]);
	return -ENOMEM;
}

/* First touch: zeroed host pages for the whole block; NONE -> HOST. */
int gm_blk_alloc_host(struct gm_block *blk)
{
	const gfp_t gfp = GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT;
	unsigned long n = GM_BLK_PAGES;
	struct mem_cgroup *memcg, *old_memcg;
	struct page **pages;
	int ret = -ENOMEM;

	lockdep_assert_held(&blk->lock);
	if (WARN_ON_ONCE(blk->state != GMEM_BLK_NONE))
		return -EINVAL;
	memcg = get_mem_cgroup_from_mm(blk->obj->mm);
	old_memcg = set_active_memcg(memcg);
	pages = kvcalloc(n, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (pages)
		ret = gm_pages_alloc_folio(pages, n, gfp) ? 0 : gm_pages_alloc_single(pages, n, gfp);
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	if (ret) {
		kvfree(pages);
		return ret;
	}
	blk->pages = pages;
	blk->flags &= ~GM_BLK_CPU_MAPPED;
	atomic_long_add(n, &gm_live_host_pages);
	gm_blk_rss_add(blk, n);
	gm_blk_set_state(blk, GMEM_BLK_HOST, GM_NO_DEV);
	return 0;
}

/*
 * Pages may still be referenced (GUP) by others: drop only our references,
 * one per folio (gm_blk_folio_next()). The caller zapped every CPU mapping
 * of the object first.
 */
void gm_blk_free_host(struct gm_block *blk)
{
	struct folio *folio;
	unsigned long i;

	if (!blk->pages)
		return;
	if (blk->flags & GM_BLK_CPU_MAPPED) {
		blk->flags &= ~GM_BLK_CPU_MAPPED;
		gm_blk_rss_add(blk, gm_blk_valid_pages(blk));
	}
	for (i = 0; (folio = gm_blk_folio_next(blk, &i)); )
		folio_put(folio);
	kvfree(blk->pages);
	blk->pages = NULL;
	gm_blk_rss_add(blk, -(long)GM_BLK_PAGES);
	atomic_long_sub(GM_BLK_PAGES, &gm_live_host_pages);
}

/* The CPU fault path mapped @blk's pages: they count as the mapper's file pages now. */
void gm_blk_note_cpu_mapped(struct gm_block *blk)
{
	lockdep_assert_held(&blk->lock);
	if (blk->flags & GM_BLK_CPU_MAPPED)
		return;
	blk->flags |= GM_BLK_CPU_MAPPED;
	gm_blk_rss_add(blk, -(long)gm_blk_valid_pages(blk));
}

/*
 * After this, CPU accesses to @blk fault and wait for blk->lock. Only the
 * CPU fault path maps a block's pages, and it sets GM_BLK_CPU_MAPPED first
 * (under blk->lock, as here): a block without it has no PTE anywhere, and
 * the walk and TLB flush of the zap are skipped (a block that went to the
 * host and back without the CPU touching it, the common case).
 */
void gm_blk_zap_cpu(struct gm_block *blk)
{
	gm_blks_zap_cpu(&blk, 1);
}

/* The CPU PTEs of @blk are gone: its pages count in its owner's RSS again. */
static void gm_blk_zapped(struct gm_block *blk)
{
	blk->flags &= ~GM_BLK_CPU_MAPPED;
	gm_blk_rss_add(blk, gm_blk_valid_pages(blk));
}

/*
 * gm_blk_zap_cpu() for @n blocks of one object, in ascending index order,
 * each locked by the caller: one unmap_mapping_pages(), so one page-table
 * walk and one TLB flush, per run of adjacent CPU-mapped blocks instead of
 * one per block (a hint moving many blocks).
 */
void gm_blks_zap_cpu(struct gm_block **blks, unsigned int n)
{
	struct gm_object *obj;
	unsigned int i, j, end;

	for (i = 0; i < n; i = end) {
		lockdep_assert_held(&blks[i]->lock);
		end = i + 1;
		if (!(blks[i]->flags & GM_BLK_CPU_MAPPED))
			continue;
		while (end < n && blks[end]->obj == blks[i]->obj &&
		       blks[end]->idx == blks[end - 1]->idx + 1 &&
		       (blks[end]->flags & GM_BLK_CPU_MAPPED)) {
			lockdep_assert_held(&blks[end]->lock);
			end++;
		}
		obj = blks[i]->obj;
		unmap_mapping_pages(obj->mapping,
				    obj->pgoff + (pgoff_t)blks[i]->idx * GM_BLK_PAGES,
				    (pgoff_t)(end - i) * GM_BLK_PAGES, false);
		for (j = i; j < end; j++)
			gm_blk_zapped(blks[j]);
	}
}

/*
 * Early zaps (gm_internal.h). Trylock @blk for one if it has CPU PTEs (a
 * peek without the lock: one mapped meanwhile is zapped by its own move).
 */
bool gm_zap_ahead_trylock(struct gm_block *blk)
{
	return (READ_ONCE(blk->flags) & GM_BLK_CPU_MAPPED) && mutex_trylock(&blk->lock);
}

/* Zap the blocks collected and unlock them. */
void gm_zap_ahead_flush(struct gm_zap_ahead *za)
{
	gm_blks_zap_cpu(za->held, za->nr);
	while (za->nr)
		mutex_unlock(&za->held[--za->nr]->lock);
}

/* Add @blk, locked by gm_zap_ahead_trylock(); zapped when the batch is full. */
void gm_zap_ahead_add(struct gm_zap_ahead *za, struct gm_block *blk)
{
	if (za->nr && za->held[0]->obj != blk->obj)
		gm_zap_ahead_flush(za);		/* one object per batch */
	za->held[za->nr++] = blk;
	if (za->nr == GM_ZAP_BATCH)
		gm_zap_ahead_flush(za);
}
