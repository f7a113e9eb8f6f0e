/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem core internals shared by the core's files and the policy layer.
 *
 * Locking, outermost first (the shape of NVIDIA UVM's va_block locking and
 * TTM's LRU; every file repeats the part it uses):
 *
 *   mmap_lock            CPU faults and ->mprotect hold it; device faults and
 *                        hints take it for read only to look the object up
 *                        and drop it before anything below.
 *   gm_devs_rwsem        the device table: read by everything that uses a
 *                        device (faults, hints, ioctls), written by
 *                        register/unregister. Never taken under a block lock.
 *   gm_objs_lock         (mutex) the object table and gm_obj_list; mmap,
 *                        destroy, the list ioctl, device drain.
 *   blk->lock            (mutex) one block's state, host pages, HBM block,
 *                        device mappings and flags: the owner of a block is
 *                        the only one who migrates or copies it. A task
 *                        blocks on at most one block lock at a time; every
 *                        further block (eviction victims, prefetches) is
 *                        taken with mutex_trylock and skipped when busy.
 *                        Copies and device ops run under it, nothing wider.
 *   (copy fence)         a block's copy in flight (gm_copy.c) is waited for
 *                        with that block's lock held; drivers complete
 *                        copies without any core lock.
 *   folio lock           of the block's host pages, only to close the
 *                        read-copy/page_mkwrite race (gm_migrate.c).
 *   i_mmap_rwsem         inside unmap_mapping_pages() (CPU PTE zaps).
 *   ds->lock             (spinlock) one device's LRU lists and HBM counters;
 *                        never held across anything that sleeps. Victims are
 *                        picked under it and trylocked (gm_evict.c).
 *   blk->plist_lock      (spinlock) which BPF policy list a block is on,
 *     -> pol->plist_lock (spinlock) that policy's lists (gm_bpf_kfuncs.c);
 *                        under blk->lock or no lock, never with ds->lock.
 *
 * Tenants (gm_tenant.c): the table is written under gm_tenant_mutex (taken
 * under no other gmem lock) and read under RCU; a tenant's usage and
 * counters are atomics, changed under whatever lock the caller holds.
 *
 * The active BPF policy is published with RCU (gm_bpf.c): hooks run inside
 * an RCU read section with preemption off and hold no core lock beyond the
 * block lock of the caller. Statistics (gm_stat_add()) are atomic64 adds
 * into an object's UAPI struct and per-CPU adds into the counters every CPU
 * shares (struct gm_shared_stats); readers see each counter torn-free.
 */
#ifndef _GM_CORE_H
#define _GM_CORE_H

#include <linux/atomic.h>
#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <linux/gmem_dev.h>
#include <uapi/linux/gmem.h>

struct cgroup;

extern struct rw_semaphore gm_devs_rwsem;
extern unsigned long gm_blk_size;		/* bytes, power of two, 4 KiB..2 MiB */
#define GM_BLK_PAGES	(gm_blk_size >> PAGE_SHIFT)

/* Per-block flags (gm_block.flags), under blk->lock. */
#define GM_BLK_PINNED		BIT(0)	/* never a victim; stays on blk->pin_dev */
#define GM_BLK_PREFETCHED	BIT(1)	/* arrived by prefetch, not touched since (kept when evicted) */
#define GM_BLK_HOT		BIT(2)	/* user hint */
#define GM_BLK_COLD		BIT(3)	/* user hint */
#define GM_BLK_BUSY		BIT(4)	/* BPF view only: blk->lock is held */
#define GM_BLK_CPU_MAPPED	BIT(5)	/* host pages may be in CPU page tables */
#define GM_BLK_DIRTY		BIT(6)	/* DEVICE: the device wrote it, host pages stale */

/* Read copies of an object (gmem.read_dup when it was mapped; gm_migrate.c). */
enum gm_read_dup {
	GM_DUP_OFF,			/* device reads take the block (DEVICE) */
	GM_DUP_DEVICE,			/* read copies the CPU does not map */
	GM_DUP_SHARED,			/* read copies the CPU maps read-only */
};

/* Which device list a resident block is on (gm_block.lru_list). */
enum gm_lru_list {
	GM_LRU_COLD,			/* evicted first */
	GM_LRU_NORMAL,
	GM_LRU_HOT,			/* evicted last */
	GM_LRU_PINNED,			/* never evicted: off the victim walk */
	GM_LRU_NR,
};

/*
 * Counters many CPUs add to: a tenant's, a device's and the total. They are
 * per CPU, as the mm's vmstat counters are, so that faults on different
 * CPUs do not bounce one cache line between them; a read sums the copies
 * (gm_shared_stats_read()), exact once the updates it should see are done.
 * An object's counters stay atomic64 in its UAPI struct: an object is one
 * process's, and per-CPU copies of each would cost nr_cpus times the memory.
 */
struct gm_shared_stats {
	struct gmem_stats __percpu *cpu;
	atomic64_t batch_max;		/* a maximum, which a sum cannot give */
};
int gm_shared_stats_init(struct gm_shared_stats *s);
void gm_shared_stats_free(struct gm_shared_stats *s);
void gm_shared_stats_read(struct gmem_stats *dst, const struct gm_shared_stats *s);

/*
 * A tenant: the cgroup v2 directory an HBM limit and weight were set for
 * (gm_tenant.c). Objects hold a reference; the table holds one while the
 * cgroup exists.
 */
struct gm_tenant {
	struct kref ref;
	struct rcu_head rcu;
	struct list_head node;		/* on gm_tenants, RCU */
	u64 cgid;
	u64 limit_bytes;		/* as set (GMEM_IOC_TENANT_SET) */
	u64 limit_blocks;		/* HBM blocks per device, 0: none */
	u32 weight;			/* share of the unlimited remainder */
	bool listed;			/* on gm_tenants (gm_tenant_mutex) */
	atomic64_t used[GMEM_MAX_DEVICES];	/* HBM blocks held (charged) */
	atomic64_t pinned;		/* pinned blocks */
	atomic64_t edquot;		/* allocations refused at the limit */
	atomic64_t nr_objects;
	struct gm_shared_stats stats;
};

/* One block of a vm_object: the logical page-table entry. */
struct gm_block {
	struct mutex lock;
	struct gm_object *obj;
	u32 idx;
	u8 state;			/* enum gmem_block_state */
	u8 dev;				/* device id when DEVICE, BOTH or REMOTE */
	u8 pref_dev;			/* preferred location, GM_NO_DEV if none */
	u8 pin_dev;			/* device of the pin while GM_BLK_PINNED */
	u32 flags;
	u8 lru_list;			/* enum gm_lru_list, under ds->lock */
	u64 tag;			/* GMEM_ADV_TAG value */
	struct page **pages;		/* GM_BLK_PAGES host pages, or NULL (NONE) */
	u64 dblk;			/* HBM block when DEVICE or BOTH */
	u64 last_access;		/* gm_clock at the last device access */
	struct list_head lru;		/* on ds->lru[] while DEVICE/BOTH, tail = newest */
	struct list_head plist;		/* on a policy list (gm_plist) */
	int plist_id;			/* which policy list, -1 if none; plist_lock */
	spinlock_t plist_lock;		/* plist_id and which list @plist is on */
	/* The last asynchronous copy of the block (gm_copy.c). */
	struct dma_fence *copy;		/* until reaped by gm_blk_copy_wait() */
	struct dma_fence_cb copy_cb;	/* clears @inflight when it signals */
	u8 copy_dev;			/* the device doing it */
	u8 copy_to_dev;			/* its direction: host pages -> HBM */
	u8 inflight;			/* not signalled yet (READ_ONCE without the lock) */
	/* The batch of several faults that last serviced it, and its device
	 * (GMEM_BF_BATCH while that device is still servicing it). */
	u8 fault_batch_dev;
	u64 fault_batch;
};
#define GM_NO_DEV	0xff
#define GM_PREF_HOST	0xfe	/* gm_block.pref_dev: GMEM_ADV_PREFERRED with GMEM_DEV_HOST */

/*
 * Block metadata is allocated lazily in chunks (as openEuler GMEM allocates
 * its gm_mapping per 2 MiB), charged to the owner's memory cgroup: a 1 TiB
 * mapping costs nothing until it is touched.
 */
#define GM_CHUNK_SHIFT	5
#define GM_CHUNK_BLOCKS	(1u << GM_CHUNK_SHIFT)

struct gm_chunk {
	struct rcu_head rcu;
	struct gm_block blk[GM_CHUNK_BLOCKS];
};

/* The vm_object: one per gmem mapping; the truth of where each block lives. */
/* gm_ra_stream.prev of a new object's first stream: p + 1 is block 0 (gm_builtin.c). */
#define GM_RA_NONE	U32_MAX
#define GM_RA_STREAMS	4	/* interleaved sequential runs followed at once */
#define GM_RA_STALE	16	/* faults after which a stream no longer continues */
#define GM_RA_RUNS	4	/* sequential runs whose shortest bounds the read-ahead */
#define GM_RA_STARTS_BITS	4
#define GM_RA_STARTS	(1u << GM_RA_STARTS_BITS)	/* run starts whose last length is kept */

struct gm_object {
	u32 id;
	struct kref ref;
	struct rcu_head rcu;
	struct mm_struct *mm;		/* mmgrab()ed owner */
	struct user_struct *user;	/* owner's uid: pinned HBM is charged to it */
	pid_t owner_pid;
	struct cgroup *cgrp;		/* creator's cgroup v2 (ref held): its tenant */
	atomic64_t att_cache;		/* its policy attachment (gm_bpf_attach.c) */
	struct gm_tenant *tenant;	/* ref held; NULL: no limit applies */
	unsigned long start, size;	/* user VA range (block aligned start) */
	unsigned long pgoff;		/* file offset base, for unmap_mapping_range() */
	struct address_space *mapping;
	u32 nr_blocks;
	bool dead;			/* unmapped: no new faults, blocks being freed */
	u8 read_dup;			/* enum gm_read_dup, fixed at mmap() */
	atomic_t prot_seq;		/* bumped by ->mprotect before it revokes */
	atomic_long_t pinned_blocks;	/* charged to user->locked_vm */
	struct xarray chunks;		/* chunk index -> struct gm_chunk */
	struct mutex chunk_lock;	/* serializes chunk allocation */
	struct gmem_stats stats;
	struct list_head node;		/* on gm_obj_list, gm_objs_lock */
	/* Built-in read-ahead's evidence (gm_builtin.c), under ra_lock. */
	spinlock_t ra_lock;
	/* The runs being followed; the least recently extended one gives way. */
	struct gm_ra_stream {
		u32 prev;		/* its last faulting block, GM_RA_NONE before any */
		u32 ahead;		/*   and the blocks that fault read ahead */
		u32 start;		/* its first block */
		u32 age;		/* ra_clock when last extended; 0: none yet */
	} ra_streams[GM_RA_STREAMS];
	u32 ra_clock;
	u32 ra_runs[GM_RA_RUNS];	/* lengths of the last runs, in blocks */
	u32 ra_nr_runs;			/* of them recorded, up to GM_RA_RUNS */
	u32 ra_next_run;		/* ra_runs[] slot the next run goes to */
	/* The last run that began at each of some blocks (slot: gm_ra_slot(start)). */
	struct gm_ra_seen { u32 start, len; } ra_seen[GM_RA_STARTS];
};

/* Core-side state of a registered device. */
struct gm_devstate {
	struct gm_dev *dev;
	spinlock_t lock;		/* lru[], used_blocks, pinned_blocks, limit */
	u64 used_blocks;		/* HBM blocks allocated or reserved */
	u64 limit_blocks;		/* GMEM_IOC_DEV_LIMIT, 0 = dev->hbm_blocks */
	u64 pinned_blocks;		/* blocks on lru[GM_LRU_PINNED] */
	atomic64_t untenanted;		/* HBM blocks of objects without a tenant */
	/*
	 * The batch of several faults being serviced for this device (the
	 * latest, when queues deliver batches at once), 0 when none: blocks
	 * it serviced show GMEM_BF_BATCH until it is done (gm_fault.c).
	 */
	atomic64_t batch_live;
	struct list_head lru[GM_LRU_NR];
	struct gm_shared_stats stats;
};

extern struct gm_devstate *gm_devs[GMEM_MAX_DEVICES];	/* gm_devs_rwsem */

/*
 * The HBM blocks of @ds the core may use: its GMEM_IOC_DEV_LIMIT limit, else
 * the whole device. Every capacity check and report goes through this.
 */
static inline u64 gm_dev_capacity(const struct gm_devstate *ds)
{
	u64 limit = READ_ONCE(ds->limit_blocks);

	return limit ? limit : ds->dev->hbm_blocks;
}
extern struct gm_shared_stats gm_total;
extern atomic64_t gm_clock;		/* ticks once per device access/fault */

/* Tenants (gm_tenant.c). */
struct gm_tenant *gm_tenant_of_cgroup(struct cgroup *cgrp);	/* +ref or NULL */
/* The table's entry for cgroup @cgid, or NULL; caller in an RCU read section. */
struct gm_tenant *gm_tenant_find_rcu(u64 cgid);
void gm_tenant_put(struct gm_tenant *t);
/* Charge one HBM block of @dev: 0, or how many blocks @t is over its limit. */
u64 gm_tenant_try_charge(struct gm_tenant *t, u32 dev);
bool gm_tenant_below_limit(struct gm_tenant *t, u32 dev);
void gm_tenant_uncharge(struct gm_tenant *t, u32 dev);
/* The tenant most over its share of @dev's HBM (+ref), or NULL. */
struct gm_tenant *gm_tenant_most_over(u32 dev, u64 hbm_blocks);

/* Objects (gm_object.c, gm_block.c). */
struct gm_object *gm_obj_get_by_id(u32 id);		/* +ref or NULL */
void gm_obj_put(struct gm_object *obj);
/* A live object, or the block of one, or NULL; caller in an RCU read section. */
struct gm_object *gm_obj_find_rcu(u32 id);
bool gm_obj_id_dying(u32 id);
struct gm_block *gm_block_by_id(u64 blk_id);
struct gm_block *gm_obj_block(struct gm_object *obj, u32 idx);	/* NULL if untouched */
struct gm_block *gm_obj_block_alloc(struct gm_object *obj, u32 idx);	/* may sleep */

/*
 * How a residency change makes its copies (gm_copy.c). A demand fault needs
 * the data now: the copy is made before the call returns (the driver's
 * synchronous op; no hand-off to a copy engine to wait for). Prefetch,
 * hints and eviction do not: their copies are queued on the device's copy
 * engines when it has them, and the block is in flight.
 */
enum gm_copy_how {
	GM_COPY_NOW,
	GM_COPY_QUEUE,
};

/* Residency changes (gm_migrate.c); all with blk->lock held. */
int gm_migrate_to_dev(struct gm_block *blk, u32 dev, enum gm_copy_how how);	/* evicts */
int gm_migrate_to_host(struct gm_block *blk, enum gm_copy_how how);
int gm_map_remote(struct gm_block *blk, u32 dev);

/* Add @delta to the counter at @off of @s, on this CPU's copy (any context). */
static inline void gm_shared_stat_add(struct gm_shared_stats *s, size_t off, s64 delta)
{
	this_cpu_add(*(u64 __percpu *)((void __percpu *)s->cpu + off), delta);
}

/* Statistics: add @delta to one counter of the object, its tenant, the device and the total. */
static inline void gm_stat_add_off(struct gm_block *blk, u32 devid, size_t off, s64 delta)
{
	atomic64_add(delta, (atomic64_t *)((char *)&blk->obj->stats + off));
	if (blk->obj->tenant)
		gm_shared_stat_add(&blk->obj->tenant->stats, off, delta);
	if (devid < GMEM_MAX_DEVICES && gm_devs[devid])
		gm_shared_stat_add(&gm_devs[devid]->stats, off, delta);
	gm_shared_stat_add(&gm_total, off, delta);
}
#define gm_stat_add(blk, devid, field, delta) \
	gm_stat_add_off(blk, devid, offsetof(struct gmem_stats, field), delta)

/* A consistent-per-counter copy of @src (each u64 read once). */
static inline void gm_stats_read(struct gmem_stats *dst, const struct gmem_stats *src)
{
	const u64 *s = (const u64 *)src;
	u64 *d = (u64 *)dst;
	size_t i;

	for (i = 0; i < sizeof(*src) / sizeof(u64); i++)
		d[i] = READ_ONCE(s[i]);
}

#endif /* _GM_CORE_H */
