/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem core internals shared by the core's files and the policy layer.
 *
 * Locking (one rule, on purpose):
 *   gm_lock (a mutex) serializes every residency change: block state,
 *   host pages, device blocks, device mappings, LRU and policy lists, device
 *   HBM accounting, and every policy hook call. Taken after mmap_lock (CPU
 *   faults hold mmap_read_lock when they take it) and before i_mmap_rwsem
 *   (unmap_mapping_range() is called under it). Device ops run under it and
 *   must not call back into the core. A single lock keeps eviction across
 *   objects free of ABBA orders; finer locking is future work (docs/).
 *   gm_objs (xarray, id -> object) has its own internal lock; lookups that
 *   keep the pointer take a reference (kref) before dropping gm_lock or RCU.
 *   Statistics are plain u64 updated under gm_lock and read under it.
 */
#ifndef _GM_CORE_H
#define _GM_CORE_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/gmem_dev.h>
#include <uapi/linux/gmem.h>

extern struct mutex gm_lock;
extern unsigned long gm_blk_size;		/* bytes, power of two, 4 KiB..2 MiB */
#define GM_BLK_PAGES	(gm_blk_size >> PAGE_SHIFT)

/* Per-block flags (gm_block.flags). */
#define GM_BLK_PINNED		BIT(0)	/* never a victim; stays on pin_dev */
#define GM_BLK_PREFETCHED	BIT(1)	/* arrived by prefetch, not touched since */
#define GM_BLK_HOT		BIT(2)	/* user hint */
#define GM_BLK_COLD		BIT(3)	/* user hint */
#define GM_BLK_BUSY		BIT(4)	/* being migrated in by the current fault */

/* One block of a vm_object: the logical page-table entry. */
struct gm_block {
	struct gm_object *obj;
	u32 idx;
	u8 state;			/* enum gmem_block_state */
	u8 dev;				/* device id when DEVICE, BOTH or REMOTE */
	u8 pref_dev;			/* preferred location, GM_NO_DEV if none */
	u32 flags;
	u64 tag;			/* GMEM_ADV_TAG value */
	struct page **pages;		/* GM_BLK_PAGES host pages, or NULL (NONE) */
	u64 dblk;			/* HBM block when DEVICE or BOTH */
	u64 last_access;		/* gm_clock at the last device access */
	struct list_head lru;		/* on dev->lru while DEVICE/BOTH: built-in LRU, tail = newest */
	struct list_head plist;		/* on a policy list (gm_plist) or empty */
	int plist_id;			/* which policy list, -1 if none */
};
#define GM_NO_DEV	0xff

/* The vm_object: one per gmem mapping; the truth of where each block lives. */
struct gm_object {
	u32 id;
	struct kref ref;
	struct mm_struct *mm;		/* mmgrab()ed owner */
	pid_t owner_pid;
	unsigned long start, size;	/* user VA range (block aligned start) */
	unsigned long pgoff;		/* file offset base, for unmap_mapping_range() */
	struct address_space *mapping;
	u32 nr_blocks;
	bool dead;			/* unmapped: no new faults, blocks being freed */
	bool read_dup;			/* device reads make read copies (gm_object.c) */
	struct gm_block *blocks;	/* nr_blocks entries (kvcalloc) */
	struct gmem_stats stats;
	struct list_head node;		/* on gm_obj_list */
	/* Built-in read-ahead's evidence (gm_builtin.c), under gm_lock. */
	u32 ra_prev, ra_faults, ra_seq;
	bool ra_off;
};

/* Core-side state of a registered device. */
struct gm_devstate {
	struct gm_dev *dev;
	u64 used_blocks;
	struct list_head lru;		/* DEVICE-resident blocks, least recent first */
	struct gmem_stats stats;
};

extern struct gm_devstate *gm_devs[GMEM_MAX_DEVICES];	/* under gm_lock */
extern struct gmem_stats gm_total;
extern u64 gm_clock;			/* ticks once per device access/fault */

/* Objects (gm_object.c). */
struct gm_object *gm_obj_get_by_id(u32 id);		/* +ref or NULL */
void gm_obj_put(struct gm_object *obj);
struct gm_block *gm_block_by_id(u64 blk_id);		/* gm_lock held; NULL if none/dead */

/* Residency changes (gm_migrate.c); all with gm_lock held. */
int gm_migrate_to_dev(struct gm_block *blk, u32 dev);	/* evicts as needed */
int gm_migrate_to_host(struct gm_block *blk);
int gm_map_remote(struct gm_block *blk, u32 dev);
int gm_make_room(u32 dev, u32 nr, struct gm_block *busy);

/* Statistics helper: add @delta to a field in the object, device and total. */
#define gm_stat_add(blk, devid, field, delta) do {				\
	(blk)->obj->stats.field += (delta);					\
	if ((devid) < GMEM_MAX_DEVICES && gm_devs[(devid)])			\
		gm_devs[(devid)]->stats.field += (delta);			\
	gm_total.field += (delta);						\
} while (0)

#endif /* _GM_CORE_H */
