// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim device page table: one per address space (struct sim_as).
 *
 * Two levels, as a GPU's page table has: an xarray of leaf tables, each
 * a page of SIM_PT_LEAF entries for an aligned run of blocks. An entry is
 * what the device translates a block to: an HBM entry (sim_pte_hbm()), a
 * kmalloc()ed array of host pages mapped over the bus, or NULL.
 *
 * A leaf is freed when its last entry goes (its count of entries is kept
 * in its page's private field, as a CPU page table's struct ptdesc keeps
 * its own), so an address space holds no more leaves than it has mapped
 * blocks, whatever ranges it used before. Map and unmap are one store,
 * plus an allocation or a free at a leaf's first or last entry, rare in a
 * device's sequential walks at 512 blocks a leaf. A one-entry cache of the
 * last leaf used saves most xarray lookups. Storing and erasing single
 * entries in an xarray instead allocated and freed its nodes as HBM filled
 * and drained, and cost more than the 4 KiB copy of each migration
 * (gmem-bench -w bw at 4 KiB blocks: docs/benchmarks.md).
 *
 * Memory: a page per aligned run of SIM_PT_LEAF blocks in which the device
 * maps a block of this mm: 1/512 of the range a device walks at 4 KiB
 * blocks, one page per mapped block at worst (scattered), charged to the
 * mm's memory cgroup as its CPU page tables are. sysfs pt_leaves counts
 * them per device.
 *
 * Locking: as->pt_lock held for every function here but sim_pt_init() and
 * sim_pt_destroy(), which run before and after anything can look the
 * address space up.
 */
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "gmem_sim.h"

/* A page of entries; its struct page's private field counts the non-NULL ones. */
struct sim_pt_leaf {
	void *e[SIM_PT_LEAF];
};
static_assert(sizeof(struct sim_pt_leaf) == PAGE_SIZE);

void sim_pt_init(struct sim_as *as)
{
	xa_init(&as->pt);
	as->pt_last = NULL;
}

static void sim_pte_free(void *entry)
{
	if (entry && !xa_is_value(entry))
		kfree(entry);
}

/* The leaf holding block @blk's entry, or NULL when there is none yet. */
static struct sim_pt_leaf *sim_pt_leaf(struct sim_as *as, unsigned long blk)
{
	unsigned long idx = blk >> SIM_PT_LEAF_SHIFT;
	struct sim_pt_leaf *leaf;

	lockdep_assert_held(&as->pt_lock);
	if (as->pt_last && as->pt_last_idx == idx)
		return as->pt_last;
	leaf = xa_load(&as->pt, idx);
	if (leaf) {
		as->pt_last = leaf;
		as->pt_last_idx = idx;
	}
	return leaf;
}

/*
 * A new leaf for block @blk, charged like the mm's own page tables to its
 * memory cgroup: whoever maps (a job's worker, a hint's caller) may run in
 * another.
 */
static struct sim_pt_leaf *sim_pt_leaf_alloc(struct sim_as *as, unsigned long blk)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(as->mm);
	struct mem_cgroup *old_memcg = set_active_memcg(memcg);
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	int ret = -ENOMEM;

	if (page)
		ret = xa_insert(&as->pt, blk >> SIM_PT_LEAF_SHIFT, page_address(page),
				GFP_KERNEL_ACCOUNT);
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	if (ret) {
		if (page)
			__free_page(page);
		return ERR_PTR(ret);
	}
	set_page_private(page, 0);
	atomic64_inc(&as->sdev->pt_leaves);
	return page_address(page);
}

static void sim_pt_leaf_free(struct sim_as *as, struct sim_pt_leaf *leaf, unsigned long idx)
{
	xa_erase(&as->pt, idx);
	if (as->pt_last == leaf)
		as->pt_last = NULL;
	atomic64_dec(&as->sdev->pt_leaves);
	__free_page(virt_to_page(leaf));
}

/* The translation of the block @va is in, or NULL. */
void *sim_pt_lookup(struct sim_as *as, unsigned long va)
{
	unsigned long blk = va >> sim_blk_shift;
	struct sim_pt_leaf *leaf = sim_pt_leaf(as, blk);

	return leaf ? leaf->e[blk & (SIM_PT_LEAF - 1)] : NULL;
}

/* Install (@entry) or remove (NULL) the translation of block-aligned @va. */
int sim_pt_set(struct sim_as *as, unsigned long va, void *entry)
{
	unsigned long blk = va >> sim_blk_shift;
	struct sim_pt_leaf *leaf = sim_pt_leaf(as, blk);
	struct page *page;
	void **slot;

	if (!leaf) {
		if (!entry)
			return 0;
		leaf = sim_pt_leaf_alloc(as, blk);
		if (IS_ERR(leaf))
			return PTR_ERR(leaf);
	}
	page = virt_to_page(leaf);
	slot = &leaf->e[blk & (SIM_PT_LEAF - 1)];
	set_page_private(page, page_private(page) + !!entry - !!*slot);
	sim_pte_free(*slot);
	*slot = entry;
	if (!page_private(page))
		sim_pt_leaf_free(as, leaf, blk >> SIM_PT_LEAF_SHIFT);
	return 0;
}

void sim_pt_destroy(struct sim_as *as)
{
	struct sim_pt_leaf *leaf;
	unsigned long idx, i;

	xa_for_each(&as->pt, idx, leaf) {
		for (i = 0; i < SIM_PT_LEAF; i++)
			sim_pte_free(leaf->e[i]);
		sim_pt_leaf_free(as, leaf, idx);
	}
	xa_destroy(&as->pt);
	as->pt_last = NULL;
}
