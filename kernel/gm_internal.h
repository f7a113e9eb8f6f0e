/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals shared by the core's own files (gmem_main.c, gm_object.c,
 * gm_migrate.c, gm_dev.c, gm_advise.c, gm_trace.c, gm_builtin.c). The policy
 * layer only needs gm_core.h and gm_policy.h.
 *
 * Locking: as in gm_core.h. Everything declared here that touches blocks,
 * objects or devices expects gm_lock held unless its comment says otherwise.
 * The gm_live_* counters are atomics because objects are freed by the last
 * kref put, which may run without gm_lock.
 */
#ifndef _GM_INTERNAL_H
#define _GM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mm.h>

#include "gm_core.h"

/* gm_block.pref_dev: GMEM_ADV_PREFERRED with GMEM_DEV_HOST. */
#define GM_PREF_HOST	0xfe

/*
 * Each object gets its own window of 2^GM_OBJ_PGOFF_SHIFT pages in the file
 * offset space of /dev/gmem so that unmap_mapping_pages() on the device
 * file's mapping zaps exactly one object's CPU PTEs (as TTM does for buffer
 * objects). It also bounds one mapping to 1 TiB.
 */
#define GM_OBJ_PGOFF_SHIFT	28

extern unsigned int gm_blk_shift;		/* ilog2(gm_blk_size) */
extern struct list_head gm_obj_list;		/* live objects, under gm_lock */
extern struct dentry *gm_debugfs_dir;		/* /sys/kernel/debug/gmem */

/* Leak accounting for /sys/kernel/debug/gmem/live. */
extern atomic_long_t gm_live_objects;
extern atomic_long_t gm_live_host_pages;
extern atomic_long_t gm_live_dev_blocks;

static inline unsigned long gm_blk_va(const struct gm_block *blk)
{
	return blk->obj->start + ((unsigned long)blk->idx << gm_blk_shift);
}

/* Host pages of @blk that lie inside the mapping (the last block may be partial). */
static inline unsigned long gm_blk_valid_pages(const struct gm_block *blk)
{
	unsigned long first = (unsigned long)blk->idx * GM_BLK_PAGES;

	return min_t(unsigned long, GM_BLK_PAGES, (blk->obj->size >> PAGE_SHIFT) - first);
}

/* Is @blk's data in @dev's HBM (the only copy, or a read copy)? */
static inline bool gm_blk_resident_on(const struct gm_block *blk, u32 dev)
{
	return (blk->state == GMEM_BLK_DEVICE || blk->state == GMEM_BLK_BOTH) &&
	       blk->dev == dev;
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

/* gm_object.c */
bool gm_vma_is_gmem(const struct vm_area_struct *vma);
int gm_obj_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long gm_obj_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags);
int gm_obj_lookup(struct mm_struct *mm, unsigned long va, struct gm_object **objp);
bool gm_obj_visible(const struct gm_object *obj);
long gm_obj_info_ioctl(void __user *uarg);
long gm_obj_list_ioctl(void __user *uarg);

/* gm_migrate.c (gm_lock held) */
int gm_blk_alloc_host(struct gm_block *blk);
void gm_blk_release(struct gm_block *blk);
int gm_blk_map(struct gm_block *blk, u32 dev);
void gm_blk_discard_dev(struct gm_block *blk);
int gm_dup_to_dev(struct gm_block *blk, u32 dev);	/* read copy: HOST -> BOTH */

/* gm_dev.c */
struct gm_devstate *gm_devstate(u32 dev);	/* gm_lock held; NULL if none */
u32 gm_nr_device_ids(void);
long gm_dev_info_ioctl(void __user *uarg);

/* gm_advise.c */
long gm_advise_ioctl(void __user *uarg);

/* gm_trace.c: records may be added with or without gm_lock held. */
void gm_trace_record(const struct gm_block *blk, u32 dev, u8 kind, bool write);
long gm_trace_ioctl(unsigned int cmd, unsigned long arg);
void gm_trace_exit(void);

#endif /* _GM_INTERNAL_H */
