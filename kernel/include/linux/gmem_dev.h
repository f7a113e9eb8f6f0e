/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gmem device API: what an accelerator driver implements and calls.
 *
 * A driver registers a struct gm_dev with an MMU-ops table. The core owns the
 * logical page table (the vm_object) and decides where each block lives; the
 * driver owns HBM and its device page table and only does what the core asks.
 * When the device touches an address its page table does not map, the driver
 * calls gm_dev_fault(); when it touches a mapped block it may report that with
 * gm_dev_access() (the role of hardware access counters) so the core's and the
 * policy's recency information stays exact.
 *
 * Block size: one size for the whole core (module parameter gmem.block_size),
 * read with gm_block_size(); every dblk the core hands the driver is one block.
 *
 * Context: every op is called from process context with the lock of the
 * block concerned held (and nothing wider); ops for different blocks run
 * concurrently. Ops may sleep but must not call back into the core. The
 * core may wait for a copy fence with a block lock held, so a driver must
 * complete copies without taking anything the core holds.
 */
#ifndef _LINUX_GMEM_DEV_H
#define _LINUX_GMEM_DEV_H

#include <linux/types.h>
#include <linux/mm_types.h>

struct dma_fence;
struct gm_dev;

struct gm_mmu_ops {
	/* Take one free HBM block; return its index in *dblk, or -ENOMEM when full. */
	int (*alloc_block)(struct gm_dev *dev, u64 *dblk);
	void (*free_block)(struct gm_dev *dev, u64 dblk);
	/* Copy a whole block between host pages (gm_block_size()/PAGE_SIZE of them) and HBM. */
	int (*copy_to_dev)(struct gm_dev *dev, u64 dblk, struct page **pages);
	int (*copy_from_dev)(struct gm_dev *dev, u64 dblk, struct page **pages);
	/*
	 * Optional copy engines (both or neither): queue the same copy and
	 * return at once with a fence (dma_fence, a reference for the core)
	 * that signals when it is done; NULL if it is already done; an
	 * ERR_PTR when it could not be queued (nothing was copied). @pages
	 * stays valid and unchanged until the fence signals. The driver orders,
	 * per HBM block, every later copy and every device access through its
	 * page table after the copies queued on that block before them (as copy
	 * engines and compute queues do with semaphores): the core maps a block
	 * whose copy is in flight, and frees an HBM block whose write-back is in
	 * flight, without waiting. The synchronous ops, which the core still
	 * uses when it needs the data at once (demand faults), are ordered
	 * after the queued copies of their block too. Every queued copy must complete; a fence
	 * signalled with an error means the copy did not happen and the core
	 * reports the block's data lost. Without these the core uses the
	 * synchronous copy_to_dev/copy_from_dev above.
	 */
	struct dma_fence *(*copy_to_dev_async)(struct gm_dev *dev, u64 dblk,
					       struct page **pages);
	struct dma_fence *(*copy_from_dev_async)(struct gm_dev *dev, u64 dblk,
						 struct page **pages);
	/*
	 * Map block-aligned @va of @mm to HBM block @dblk in the device page table,
	 * replacing any mapping of @va. Without @writable the mapping is read-only
	 * (a read copy, or a clean block when the device has no dirty bits): a
	 * device write through it must fault with
	 * gm_dev_fault(..., write = true) instead of changing the block.
	 * -ENOENT: the device has no address space for @mm (it never ran work for
	 * it); the block stays resident and is mapped at the device's next fault.
	 */
	int (*map)(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, u64 dblk,
		   bool writable);
	/* Map @va to host pages over the bus (zero-copy); optional. */
	int (*map_remote)(struct gm_dev *dev, struct mm_struct *mm, unsigned long va,
			  struct page **pages);
	/* Remove the device mapping of @va (HBM or remote); no-op if none. */
	void (*unmap)(struct gm_dev *dev, struct mm_struct *mm, unsigned long va);
	/* Flush device TLBs for [va, va + len) after unmaps. */
	void (*invalidate)(struct gm_dev *dev, struct mm_struct *mm, unsigned long va,
			   unsigned long len);
	/*
	 * Optional: the device's dirty bits. Has the device written HBM block
	 * @dblk through a page-table mapping since it was allocated or since
	 * the last call? Clears the bit. Copies (copy_to_dev) do not count.
	 * The core calls it after unmap() and invalidate() of every mapping of
	 * the block, so no write is in flight. With it, the core maps a block
	 * the device holds clean writable and learns whether it was written
	 * when it unmaps it; without it, such a block is mapped read-only and
	 * the device's first write faults (gm_dev_fault(..., write = true)).
	 */
	bool (*test_clear_dirty)(struct gm_dev *dev, u64 dblk);
};

struct gm_dev {
	/* Set by the driver before gm_dev_register(). */
	const struct gm_mmu_ops *ops;
	const char *name;
	u64 hbm_blocks;			/* HBM capacity in blocks */
	void *drvdata;
	/* Owned by the core. */
	u32 id;
	void *core;
};

int gm_dev_register(struct gm_dev *dev);
/*
 * Migrates every block the device holds back to the host, waits for every
 * copy the device was given, then forgets it. The driver's copy engines
 * must keep running until it returns.
 */
void gm_dev_unregister(struct gm_dev *dev);

/*
 * The device touched @va of @mm and its page table has no mapping: make the
 * block resident (or remotely mapped) and mapped on @dev. Sleeps.
 * Returns 0, -EFAULT if @va is not in a gmem mapping of @mm, -ENOMEM, -EINTR.
 */
int gm_dev_fault(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, bool write);

/* One fault a device collected for gm_dev_fault_batch(). */
struct gm_fault_entry {
	unsigned long va;		/* in: the faulting address */
	bool write;			/* in: a write */
	int ret;			/* out: as gm_dev_fault() would return for it */
	unsigned long data;		/* the driver's own; moves with its entry */
};

#define GM_FAULT_BATCH_MAX	256	/* entries per gm_dev_fault_batch() call */

/*
 * Service the faults a device collected from its queues in one round, as
 * NVIDIA UVM services its fault buffer: the core sorts @ents by address (in
 * place), merges the entries that fall in one block (a write if any is) and
 * services each block once, in address order, under one hold of the device
 * table; the policy's fault hook sees the batch (gmem_fault_ctx.batch_*).
 * Each entry's @ret is set. Returns 0 when every entry was serviced
 * (successfully or not), -EINTR when a fatal signal stopped the batch
 * (entries not reached say -EINTR), -EINVAL for @n of 0 or above
 * GM_FAULT_BATCH_MAX, -ENODEV for an unregistered device. Sleeps.
 */
int gm_dev_fault_batch(struct gm_dev *dev, struct mm_struct *mm, struct gm_fault_entry *ents,
		       unsigned int n);

/*
 * Does [@va, @va + @len) lie inside gmem mappings of @mm (one, or adjacent
 * ones) whose protection allows the access (a write if @write)? 0 or -EFAULT. A driver checks a
 * job's ranges with it before touching them: a mapping's last block may
 * extend past the mapping's end, and the device page table maps whole
 * blocks.
 */
int gm_dev_check_range(struct mm_struct *mm, unsigned long va, unsigned long len, bool write);

/* The device touched the mapped block holding @va (access-counter report). */
void gm_dev_access(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, bool write);

unsigned long gm_block_size(void);

#endif /* _LINUX_GMEM_DEV_H */
