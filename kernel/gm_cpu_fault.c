// SPDX-License-Identifier: GPL-2.0
/*
 * gm_cpu_fault.c: the CPU fault paths of a gmem mapping, top-down.
 *
 *   ->fault: lock the block (VM_FAULT_RETRY when contended, as TTM's
 *     ttm_bo_vm_reserve() does) -> bring it to the host -> map its pages.
 *   ->page_mkwrite (read-copy objects): end the read copy -> let the kernel
 *     make the PTE writable, the page locked across it.
 *
 * Locking: mmap_lock -> blk->lock. A CPU fault drops mmap_lock before it
 * waits for a block lock (killably), so a migration in progress never keeps
 * mmap_lock held for writers such as munmap.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>

#include "gm_internal.h"

/*
 * Test only (test_reliability_protect): sleep this long in ->page_mkwrite
 * between dropping blk->lock and returning to the kernel, which upgrades the
 * PTE. That is the window in which a read copy could be made behind an
 * upgrade in flight; the folio lock held across it is what closes it, and a
 * wide window lets the test prove so. Capped at 10 ms; 0 (default) in use.
 */
static unsigned int debug_mkwrite_delay_us;
module_param(debug_mkwrite_delay_us, uint, 0644);
MODULE_PARM_DESC(debug_mkwrite_delay_us,
		 "Test only: widen the read-copy/page_mkwrite race window by this many us (max 10000, default 0)");

/*
 * Lock @blk for a CPU fault. Contended: drop mmap_lock, wait for the
 * holder (killably) and let the kernel retry the fault, so a migration in
 * progress never keeps mmap_lock held for writers such as munmap.
 * Returns 0 with the lock held, or what the fault handler must return.
 */
static vm_fault_t gm_cpu_fault_lock(struct vm_fault *vmf, struct gm_block *blk)
{
	struct gm_object *obj = blk->obj;

	if (mutex_trylock(&blk->lock))
		return 0;
	if (fault_flag_allow_retry_first(vmf->flags)) {
		if (!(vmf->flags & FAULT_FLAG_RETRY_NOWAIT)) {
			kref_get(&obj->ref);
			release_fault_lock(vmf);
			if (!mutex_lock_killable(&blk->lock))
				mutex_unlock(&blk->lock);
			gm_obj_put(obj);
		}
		return VM_FAULT_RETRY;
	}
	if (mutex_lock_killable(&blk->lock))
		return VM_FAULT_SIGBUS;	/* fatal signal: the task is exiting */
	return 0;
}

static struct gm_block *gm_vmf_block(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gm_object *obj = vma->vm_private_data;

	return gm_obj_block_alloc(obj, (vmf->address - vma->vm_start) >> gm_blk_shift);
}

/*
 * Map every page of @blk that lies in @vma; pages already mapped are fine.
 * A write-back to them may still be in flight (the eviction or the
 * migration this fault just made queued it): it lands first. A read copy
 * (BOTH) is only read by its copy to the device, as by the CPU: no wait.
 */
static int gm_blk_map_cpu(struct vm_area_struct *vma, struct gm_block *blk)
{
	unsigned long addr = vma->vm_start + ((unsigned long)blk->idx << gm_blk_shift);
	unsigned long i, n = gm_blk_valid_pages(blk);
	int ret;

	if (blk->state != GMEM_BLK_BOTH) {
		ret = gm_blk_copy_wait_killable(blk);
		if (ret)
			return ret;	/* a fatal signal: the task is exiting */
		gm_blk_copy_wait(blk);
	}
	gm_blk_note_cpu_mapped(blk);
	for (i = 0; i < n; i++, addr += PAGE_SIZE) {
		ret = vm_insert_page(vma, addr, blk->pages[i]);
		if (ret && ret != -EBUSY)
			return ret;
	}
	return 0;
}

/*
 * Must a CPU fault take @blk off its device first? Yes for DEVICE, and for
 * a read copy unless it is a read of a CPU-shared copy (GM_DUP_SHARED):
 * device-only copies are never CPU-mapped, so GUP cannot pin their pages.
 */
static bool gm_cpu_fault_leaves_dev(const struct gm_block *blk, const struct vm_fault *vmf)
{
	if (blk->state == GMEM_BLK_DEVICE)
		return true;
	if (blk->state != GMEM_BLK_BOTH)
		return false;
	return (vmf->flags & FAULT_FLAG_WRITE) || blk->obj->read_dup != GM_DUP_SHARED;
}

/*
 * CPU fault: bring the block to the host (first touch allocates zeroed pages;
 * a device-resident block is migrated back) and map all its pages. The PTEs
 * are installed under blk->lock, so a concurrent migration to a device, which
 * zaps them under the same lock, cannot leave a stale CPU mapping behind.
 * A REMOTE block stays where it is: its host pages are the data. So does a
 * CPU-shared read copy (BOTH, GM_DUP_SHARED) for a read: its pages are
 * mapped read-only (the VMA has write notification); a write drops the
 * device copy first, as does any access to a device-only copy.
 */
vm_fault_t gm_vm_fault(struct vm_fault *vmf)
{
	struct gm_block *blk = gm_vmf_block(vmf);
	vm_fault_t vret;
	int ret = 0;

	if (!blk)
		return VM_FAULT_OOM;
	vret = gm_cpu_fault_lock(vmf, blk);
	if (vret)
		return vret;
	if (READ_ONCE(blk->obj->dead)) {
		mutex_unlock(&blk->lock);
		return VM_FAULT_SIGBUS;	/* a forked copy outlived the object */
	}
	gm_stat_add(blk, GM_NO_DEV, cpu_faults, 1);
	if (blk->state == GMEM_BLK_NONE)
		ret = gm_blk_alloc_host(blk);
	else if (gm_cpu_fault_leaves_dev(blk, vmf))
		ret = gm_migrate_to_host(blk, GM_COPY_NOW);
	if (!ret)
		ret = gm_blk_map_cpu(vmf->vma, blk);
	mutex_unlock(&blk->lock);
	return ret ? vmf_error(ret) : VM_FAULT_NOPAGE;
}

/*
 * A CPU write hit a read-only PTE (read-copy objects only): end a read copy
 * by dropping the device's copy, then let the kernel make the PTE writable.
 * The page is locked before blk->lock is dropped and returned locked: the
 * kernel upgrades the PTE before it unlocks the page, and HOST -> BOTH
 * takes the page locks before it zaps (gm_migrate.c), so a read copy can
 * never be made between our check and the upgrade. A block that left the
 * host meanwhile has no PTE any more: the retry faults through gm_vm_fault().
 */
vm_fault_t gm_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct gm_block *blk = gm_vmf_block(vmf);
	vm_fault_t ret;

	if (!blk)
		return VM_FAULT_OOM;
	ret = gm_cpu_fault_lock(vmf, blk);
	if (ret)
		return ret;
	if (READ_ONCE(blk->obj->dead)) {
		ret = VM_FAULT_SIGBUS;
	} else if (blk->state == GMEM_BLK_BOTH) {
		gm_stat_add(blk, GM_NO_DEV, cpu_faults, 1);
		if (gm_migrate_to_host(blk, GM_COPY_NOW))
			ret = VM_FAULT_SIGBUS;	/* a fatal signal in its copy wait */
	} else if (blk->state != GMEM_BLK_HOST && blk->state != GMEM_BLK_REMOTE) {
		ret = VM_FAULT_NOPAGE;
	}
	if (!ret) {
		folio_lock(page_folio(vmf->page));
		ret = VM_FAULT_LOCKED;
	}
	mutex_unlock(&blk->lock);
	if (ret == VM_FAULT_LOCKED)
		gm_debug_delay(&debug_mkwrite_delay_us, 10000);
	return ret;
}
