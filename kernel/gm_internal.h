/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the core's own files:
 *   gm_block.c    block metadata (lazy chunks), the block lock, state and
 *                 accounting, host pages
 *   gm_cpu_fault.c the CPU fault paths, top-down
 *   gm_fault.c    the device fault paths, top-down
 *   gm_migrate.c  every residency change of one block
 *   gm_copy.c     the copies a migration makes, queued on copy engines
 *   gm_evict.c    HBM allocation and eviction
 *   gm_object.c   vm_objects, the mmap of /dev/gmem, object ioctls
 *   gm_dev.c      device registration and the device ioctls
 *   gm_advise.c   user hints
 *   gm_trace.c    the access trace ring
 * The policy layer only needs gm_core.h and gm_policy.h.
 *
 * Locking: the order is in gm_core.h. Functions taking a struct gm_block
 * expect its lock held unless their comment says otherwise.
 */
#ifndef _GM_INTERNAL_H
#define _GM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/mm.h>

#include "gm_core.h"


/*
 * Each object gets its own window of 2^GM_OBJ_PGOFF_SHIFT pages in the file
 * offset space of /dev/gmem so that unmap_mapping_pages() on the device
 * file's mapping zaps exactly one object's CPU PTEs (as TTM does for buffer
 * objects). It also bounds one mapping to 1 TiB.
 */
#define GM_OBJ_PGOFF_SHIFT	28

extern unsigned int gm_blk_shift;		/* ilog2(gm_blk_size) */
extern struct mutex gm_objs_lock;
extern struct list_head gm_obj_list;		/* live objects, gm_objs_lock */
extern struct dentry *gm_debugfs_dir;		/* /sys/kernel/debug/gmem */

/* Leak accounting for /sys/kernel/debug/gmem/live. */
extern atomic_long_t gm_live_objects;
extern atomic_long_t gm_live_host_pages;
extern atomic_long_t gm_live_dev_blocks;

static inline unsigned long gm_blk_va(const struct gm_block *blk)
{
	return blk->obj->start + ((unsigned long)blk->idx << gm_blk_shift);
}

/*
 * The test-only race windows (the debug_*_delay_us parameters): sleep
 * *@us, at most @max_us, when a test set it; nothing (one load) in use.
 */
static inline void gm_debug_delay(const unsigned int *us, unsigned int max_us)
{
	unsigned int v = READ_ONCE(*us);

	if (unlikely(v))
		fsleep(min(v, max_us));
}

/* Host pages of @blk that lie inside the mapping (the last block may be partial). */
static inline unsigned long gm_blk_valid_pages(const struct gm_block *blk)
{
	unsigned long first = (unsigned long)blk->idx * GM_BLK_PAGES;

	return min_t(unsigned long, GM_BLK_PAGES, (blk->obj->size >> PAGE_SHIFT) - first);
}

/*
 * The folios holding @blk's host pages, in order: one large folio, or one
 * per page when the block got order-0 pages (gm_blk_alloc_host()).
 * for (i = 0; (folio = gm_blk_folio_next(blk, &i)); ) visits each once.
 */
static inline struct folio *gm_blk_folio_next(const struct gm_block *blk, unsigned long *i)
{
	struct folio *folio;

	if (*i >= GM_BLK_PAGES)
		return NULL;
	folio = page_folio(blk->pages[*i]);
	*i += folio_nr_pages(folio);
	return folio;
}

/* Is @blk's data in @dev's HBM (the only copy, or a read copy)? */
static inline bool gm_blk_resident_on(const struct gm_block *blk, u32 dev)
{
	u8 state = READ_ONCE(blk->state);

	return (state == GMEM_BLK_DEVICE || state == GMEM_BLK_BOTH) &&
	       READ_ONCE(blk->dev) == dev;
}

/* Does @dev hold the only valid copy of @blk, writable there? */
static inline bool gm_blk_owned_by(const struct gm_block *blk, u32 dev)
{
	return blk->state == GMEM_BLK_DEVICE && blk->dev == dev;
}

/* Does @dev's page table map @blk (from HBM or over the bus)? */
static inline bool gm_blk_mapped_on(const struct gm_block *blk, u32 dev)
{
	return (gm_blk_resident_on(blk, dev) || blk->state == GMEM_BLK_REMOTE) &&
	       blk->dev == dev;
}

/*
 * May @dev write @blk, resident on it, through its mapping (given the VMA
 * allows writes)? Only when the device owns the only copy (DEVICE, not a
 * BOTH read copy), and the core will learn of a write: the block is dirty
 * already, or the device has dirty bits. Else it maps it read-only and the
 * first write faults (gm_fault_first_write()).
 */
static inline bool gm_blk_dev_writable(const struct gm_block *blk, const struct gm_dev *dev)
{
	return blk->state == GMEM_BLK_DEVICE &&
	       ((blk->flags & GM_BLK_DIRTY) || dev->ops->test_clear_dirty);
}

static inline u64 gm_blk_id(const struct gm_block *blk)
{
	return GMEM_BLK_ID(blk->obj->id, blk->idx);
}

static inline struct gm_devstate *gm_devstate(u32 dev)
{
	return dev < GMEM_MAX_DEVICES ? gm_devs[dev] : NULL;
}

/*
 * Did the batch of faults still being serviced on its device service @blk?
 * Read without the block's lock, as block_state reads every field: a hint.
 */
static inline bool gm_blk_in_live_batch(const struct gm_block *blk)
{
	u64 batch = READ_ONCE(blk->fault_batch);
	struct gm_devstate *ds;

	if (!batch)		/* never in a batch of several: the common case */
		return false;
	ds = gm_devstate(READ_ONCE(blk->fault_batch_dev));
	return ds && batch == (u64)atomic64_read(&ds->batch_live);
}

/* gm_block.c */
int gm_blk_lock_killable(struct gm_block *blk);
void gm_blk_unlock(struct gm_block *blk);
void gm_blk_set_state(struct gm_block *blk, u8 state, u8 dev);
int gm_blk_alloc_host(struct gm_block *blk);
void gm_blk_free_host(struct gm_block *blk);
void gm_blk_zap_cpu(struct gm_block *blk);
void gm_blks_zap_cpu(struct gm_block **blks, unsigned int n);

/*
 * An early zap: the CPU PTEs of blocks a hint or a fault batch is about to
 * move, zapped ahead of the moves in runs (one unmap per run of adjacent
 * blocks) rather than one by one. The blocks are trylocked for the zap only
 * and unlocked before they move: a CPU fault in between maps a block again
 * under its lock and sets GM_BLK_CPU_MAPPED, and that block's own migration
 * zaps it again, so an early zap saves work and never decides correctness.
 * It holds at most GM_ZAP_BATCH block locks (lockdep's depth), all trylocked.
 */
#define GM_ZAP_BATCH	16
struct gm_zap_ahead {
	struct gm_block *held[GM_ZAP_BATCH];	/* one object's, ascending index */
	unsigned int nr;
};
bool gm_zap_ahead_trylock(struct gm_block *blk);
void gm_zap_ahead_add(struct gm_zap_ahead *za, struct gm_block *blk);
void gm_zap_ahead_flush(struct gm_zap_ahead *za);
void gm_blk_note_cpu_mapped(struct gm_block *blk);
void gm_obj_free_chunks(struct gm_object *obj);
/* Calls @fn on every allocated block of @obj in index order; stops on non-zero. */
int gm_obj_for_each_block(struct gm_object *obj, u32 first, u32 nr, bool killable,
			  int (*fn)(struct gm_block *blk, void *arg), void *arg);

/* gm_copy.c (blk->lock held) */
int gm_blk_copy_to_dev(struct gm_block *blk, struct gm_dev *dev, u64 dblk,
		       enum gm_copy_how how);
int gm_blk_copy_from_dev(struct gm_block *blk, struct gm_dev *dev, enum gm_copy_how how);
int gm_blk_copy_wait(struct gm_block *blk);
int gm_blk_copy_wait_killable(struct gm_block *blk);

/* gm_migrate.c (blk->lock held) */
void gm_blk_release(struct gm_block *blk);
int gm_blk_map(struct gm_block *blk, u32 dev, bool may_write);
void gm_blk_map_ahead(struct gm_block *blk, u32 dev, bool may_write);
void gm_blk_unmap_dev(struct gm_block *blk);
void gm_blk_discard_dev(struct gm_block *blk);
int gm_dup_to_dev(struct gm_block *blk, u32 dev, enum gm_copy_how how);	/* HOST -> BOTH */
int gm_blk_dev_to_host(struct gm_block *blk, bool evicting, enum gm_copy_how how);
void gm_blk_mark_dirty(struct gm_block *blk);
bool gm_blk_pages_pinned(struct gm_block *blk);

/* gm_evict.c */
int gm_dblk_alloc(struct gm_devstate *ds, struct gm_block *busy, u64 *dblk);
void gm_dblk_free(struct gm_devstate *ds, struct gm_block *blk, u64 dblk);
void gm_lru_add(struct gm_devstate *ds, struct gm_block *blk);
void gm_lru_del(struct gm_devstate *ds, struct gm_block *blk);
void gm_lru_touch(struct gm_devstate *ds, struct gm_block *blk);
void gm_lru_update_class(struct gm_block *blk);
int gm_make_room(u32 dev, u32 nr, struct gm_block *busy, struct gm_tenant *own);
bool gm_hbm_room_now(struct gm_devstate *ds);

/* gm_cpu_fault.c */
vm_fault_t gm_vm_fault(struct vm_fault *vmf);
vm_fault_t gm_vm_page_mkwrite(struct vm_fault *vmf);

/* gm_object.c */
bool gm_vma_is_gmem(const struct vm_area_struct *vma);
int gm_obj_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long gm_obj_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);
/* Access rights a device fault needs: GM_ACC_READ, plus GM_ACC_WRITE for a write. */
#define GM_ACC_READ	1
#define GM_ACC_WRITE	2
struct gm_lookup {
	struct gm_object *obj;		/* with a reference */
	bool may_write;			/* the VMA allows writes now */
	bool may_read;			/* ... and reads */
	int prot_seq;			/* obj->prot_seq when looked up */
};
int gm_obj_lookup(struct mm_struct *mm, unsigned long va, unsigned long len,
		  unsigned int access, struct gm_lookup *lk);

/*
 * Does the protection @lk looked up still hold? ->mprotect bumps prot_seq
 * before it revokes device mappings block by block, so a caller that finds
 * it unchanged under a block's lock may map that block with @lk's rights.
 */
static inline bool gm_lookup_current(const struct gm_lookup *lk)
{
	return atomic_read(&lk->obj->prot_seq) == lk->prot_seq;
}
bool gm_obj_visible(const struct gm_object *obj);
long gm_obj_info_ioctl(void __user *uarg);
long gm_obj_list_ioctl(void __user *uarg);
int gm_pin_charge(struct gm_object *obj, long nr);
void gm_pin_uncharge(struct gm_object *obj, long nr);

/* gm_tenant.c, gm_tenant_if.c */
#define GM_TENANT_WEIGHT_DEFAULT	100
extern atomic_long_t gm_live_tenants;
void gm_tenant_obj_put(struct gm_tenant *t);
int gm_tenant_set(u64 cgid, u64 limit_bytes, u32 weight);
int gm_tenant_info(u64 cgid, struct gmem_tenant_info *ti);
void gm_tenant_exit(void);
long gm_tenant_set_ioctl(void __user *uarg);
long gm_tenant_info_ioctl(void __user *uarg);

/* gm_dev.c */
u32 gm_nr_device_ids(void);
long gm_dev_info_ioctl(void __user *uarg);
long gm_dev_limit_ioctl(void __user *uarg);

/* gm_advise.c */
long gm_advise_ioctl(void __user *uarg);

/* gm_trace.c: records may be added from any context. */
void gm_trace_record(const struct gm_block *blk, u32 dev, u8 kind, bool write);
void gm_trace_hint(const struct gm_object *obj, u32 first, u32 nr, u32 advice, u32 dev,
		   u64 value);
void gm_trace_obj(const struct gm_object *obj);
long gm_trace_ioctl(unsigned int cmd, unsigned long arg);
void gm_trace_exit(void);

#endif /* _GM_INTERNAL_H */
