// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim device page table: one per address space (struct sim_as).
 *
 * Two levels, as a GPU's page table has: an xarray of leaf tables, each
 * a page of SIM_PT_LEAF entries for an aligned run of blocks. An entry is
 * what the device translates a block to: an HBM entry (sim_pte_hbm()), a
 * kmalloc()ed array of host pages mapped over the bus, or NULL.
 *
 * A leaf, once allocated, stays until the address space goes, as the
 * upper levels of a CPU page table stay when their PTEs are cleared: an
 * unmap is one store, and mapping the block again needs no allocation.
 * A one-entry cache of the last leaf used (a device walks its blocks in
 * order) saves most xarray lookups. Storing and erasing single entries in
 * an xarray instead allocated and freed its nodes as HBM filled and
 * drained, and cost more than the 4 KiB copy of each migration (gmem-bench
 * -w bw at 4 KiB blocks: docs/benchmarks.md).
 *
 * Memory: one 4 KiB leaf for each aligned run of SIM_PT_LEAF blocks in
 * which the device has mapped a block in this mm: 1/512 of the range a
 * device walks at 4 KiB blocks, one page per block at worst (scattered).
 *
 * Locking: as->pt_lock held for every function here but sim_pt_destroy(),
 * which runs when nothing can look the address space up any more.
 */
#include <linux/slab.h>

#include "gmem_sim.h"

struct sim_pt_leaf {
	void *e[SIM_PT_LEAF];
};

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
	void **slot;
	int ret;

	if (!leaf) {
		if (!entry)
			return 0;
		leaf = kzalloc(sizeof(*leaf), GFP_KERNEL);
		if (!leaf)
			return -ENOMEM;
		ret = xa_insert(&as->pt, blk >> SIM_PT_LEAF_SHIFT, leaf, GFP_KERNEL);
		if (ret) {
			kfree(leaf);
			return ret;
		}
	}
	slot = &leaf->e[blk & (SIM_PT_LEAF - 1)];
	sim_pte_free(*slot);
	*slot = entry;
	return 0;
}

void sim_pt_destroy(struct sim_as *as)
{
	struct sim_pt_leaf *leaf;
	unsigned long idx, i;

	xa_for_each(&as->pt, idx, leaf) {
		for (i = 0; i < SIM_PT_LEAF; i++)
			sim_pte_free(leaf->e[i]);
		kfree(leaf);
	}
	xa_destroy(&as->pt);
	as->pt_last = NULL;
}
