/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem_sim internals shared by sim_main.c (devices, HBM, MMU ops, address
 * spaces, files), sim_pt.c (the device page tables), sim_jobs.c (jobs and
 * the simple device kernels), sim_compute.c (the GEMM kernel), sim_dma.c
 * (the copy engines) and sim_clock.c (the device clock).
 *
 * Locking (order: the core's block lock -> sdev->as_lock -> as->pt_lock ->
 * sdev->clk.lock):
 *   sdev->as_lock (mutex) serializes changes to sdev->as_list (an RCU list).
 *     The MMU ops, called with a core block lock held on every migration,
 *     find an mm's address space without it: under RCU, taking a reference
 *     (sim_as.ref) that the last put drops under as_lock. So nothing may call
 *     the core with as_lock held.
 *   as->pt_lock (mutex) protects the page table *and* every device access
 *     through it: a job holds it from the lookup until the bytes are done, so
 *     when unmap() returns no access to the old HBM block or host pages is in
 *     flight (our TLB shootdown). Jobs drop it before gm_dev_fault() and
 *     gm_dev_access(), which take block locks.
 *   sdev->hbm_lock (spinlock) protects the HBM allocation bitmap and free stack.
 *   sdev->dirty_map is atomic bitops: set under as->pt_lock by a job's
 *     write, tested and cleared by the core after unmap(), cleared at alloc.
 *   sdev->dma_lock (spinlock) protects sdev->dma_last[] (sim_dma.c); copy
 *     engine workers take no lock above, so a copy may be waited for with
 *     any of them held.
 *   sdev->clk.lock (spinlock, innermost) protects the device clock.
 *   sf->jobs (xarray, internal lock) maps seq -> job. A job is refcounted:
 *     the table, the worker and each waiter hold a reference.
 */
#ifndef _GMEM_SIM_H
#define _GMEM_SIM_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/gmem_dev.h>
#include <uapi/linux/gmem.h>

/* Block geometry, from gm_block_size() at module load. */
extern unsigned long sim_blk_size;
extern unsigned int sim_blk_shift;
extern unsigned long sim_blk_pages;

#define SIM_MAX_DMA		8

/* The device clock (sim_clock.c); all fields under @lock. */
struct sim_clock {
	spinlock_t lock;
	u64 now[GMEM_SIM_MAX_STREAMS];		/* each stream's queue clock, ns */
	/* The worker running a job on each stream, or NULL: whose copy is it? */
	struct task_struct *runner[GMEM_SIM_MAX_STREAMS];
	u64 chan_free[SIM_MAX_DMA];		/* when each DMA channel is idle */
	u64 *blk_ready;				/* per HBM block: its last copy ends */
	u64 blk_copy_ns;			/* one block over one channel */
	u64 compute_ns, stall_ns, fault_ns, copy_ns, copies, remote_bytes;
	u64 idle_copy_ns;			/* the clocks moved by copies while idle */
	unsigned int running;			/* jobs on the streams */
};

struct sim_dev {
	struct gm_dev gdev;
	struct miscdevice misc;
	char name[GMEM_NAME_LEN];
	void *hbm;				/* hbm_blocks * sim_blk_size bytes */
	unsigned long *used_map;		/* allocated HBM blocks */
	unsigned long *dirty_map;		/* HBM blocks written through a mapping */
	u32 *free_stack;			/* free HBM blocks, nr_free of them */
	u32 nr_free;
	spinlock_t hbm_lock;
	atomic_t alloc_calls;			/* for fail_alloc_every */
	struct workqueue_struct *wq[GMEM_SIM_MAX_STREAMS];	/* ordered, one per stream */
	struct workqueue_struct *dma_wq;	/* the copy engines (sim_dma.c) */
	struct dma_fence **dma_last;		/* per HBM block: its last copy, dma_lock */
	spinlock_t dma_lock;
	struct mutex as_lock;
	struct list_head as_list;
	atomic64_t jobs_done, faults, model_ns, invalidates;
	atomic64_t pt_leaves;			/* device page-table leaves (sim_pt.c) */
	struct sim_clock clk;
};

/* The device's view of one mm: its page table. */
struct sim_as {
	struct sim_dev *sdev;
	struct list_head node;			/* on sdev->as_list (RCU) */
	struct mm_struct *mm;			/* mmgrab()ed */
	refcount_t ref;				/* open files, and MMU ops at work */
	struct rcu_head rcu;
	struct mutex pt_lock;
	/*
	 * The page table (sim_pt.c), under pt_lock: va >> sim_blk_shift -> an
	 * HBM entry (sim_pte_hbm()) or a kmalloc()ed array of sim_blk_pages host
	 * pages mapped over the bus (writable). @pt holds the leaf tables,
	 * @pt_last the last one used (index @pt_last_idx).
	 */
	struct xarray pt;
	struct sim_pt_leaf *pt_last;
	unsigned long pt_last_idx;
};

/* Entries per leaf of a device page table: a page of pointers. */
#define SIM_PT_LEAF_SHIFT	(PAGE_SHIFT - 3)
#define SIM_PT_LEAF		(1UL << SIM_PT_LEAF_SHIFT)

void sim_pt_init(struct sim_as *as);
void *sim_pt_lookup(struct sim_as *as, unsigned long va);
int sim_pt_set(struct sim_as *as, unsigned long va, void *entry);
void sim_pt_destroy(struct sim_as *as);

/*
 * An HBM page-table entry is an xarray value: the HBM block index above a
 * writable bit. Read-only entries map read copies (GMEM_BLK_BOTH); a write
 * through one is a protection fault the core resolves.
 */
#define SIM_PTE_WRITABLE	1UL

static inline void *sim_pte_hbm(u64 dblk, bool writable)
{
	return xa_mk_value((unsigned long)dblk << 1 | (writable ? SIM_PTE_WRITABLE : 0));
}

static inline u64 sim_pte_dblk(void *entry)
{
	return xa_to_value(entry) >> 1;
}

/* May an access (a write if @write) go through @entry without a fault? */
static inline bool sim_pte_allows(void *entry, bool write)
{
	return !write || !xa_is_value(entry) || (xa_to_value(entry) & SIM_PTE_WRITABLE);
}

struct sim_file {
	struct sim_dev *sdev;
	struct sim_as *as;
	struct xarray jobs;			/* seq -> struct sim_job */
	atomic_t nr_jobs;			/* entries in @jobs */
	atomic64_t next_seq;
	bool closing;				/* running jobs stop at the next step */
};

struct dma_fence;

struct sim_job {
	struct work_struct work;
	refcount_t ref;
	struct completion done;
	struct sim_file *sf;
	struct gmem_sim_launch args;
	struct gmem_sim_access *recs;		/* TRACE: the records */
	struct gm_fault_entry *batch;		/* TRACE: faults of the records in flight */
	bool *prefaulted;			/* TRACE: record's fault was in the batch */
	u32 window;				/* TRACE: records in flight (sim_jobs.c) */
	u8 *bounce;				/* COPY/AXPY: x of the current step */
	struct sim_gemm *gemm;			/* GEMM: operands and on-chip buffers */
	u64 cur;				/* TRACE: record; GEMM: step offset */
	u64 step_macs;				/* GEMM: MACs of the current step */
	u32 stream;				/* the queue it runs on */
	u64 launch_ns;				/* device time at launch */
	u64 dev_start_ns, dev_ns;		/* its stream's clock at start, time taken */
	u64 seq;
	u64 result;
	u64 touched;				/* block steps done */
	u64 model_ns;				/* modelled compute time */
	int status;
};

static inline unsigned long sim_blk_off(u64 addr)
{
	return addr & (sim_blk_size - 1);
}

static inline void *sim_hbm(struct sim_dev *sdev, u64 dblk)
{
	return sdev->hbm + (dblk << sim_blk_shift);
}

/* The core hands us only blocks we allocated; anything else is its bug. */
static inline bool sim_dblk_ok(struct sim_dev *sdev, u64 dblk)
{
	return !WARN_ON_ONCE(dblk >= sdev->gdev.hbm_blocks || !test_bit(dblk, sdev->used_map));
}

extern unsigned int sim_streams;		/* streams per device (sim_main.c) */
extern unsigned int sim_dma_channels;		/* copy engines per device (sim_clock.c) */

/* sim_dma.c */
void sim_copy_now(struct sim_dev *sdev, u64 dblk, struct page **pages, bool to_dev);
struct dma_fence *sim_copy_to_dev_async(struct gm_dev *dev, u64 dblk, struct page **pages);
struct dma_fence *sim_copy_from_dev_async(struct gm_dev *dev, u64 dblk, struct page **pages);
struct dma_fence *sim_dma_last(struct sim_dev *sdev, u64 dblk);
int sim_dma_init(struct sim_dev *sdev);
void sim_dma_free(struct sim_dev *sdev);

/* sim_jobs.c */
typedef void (*sim_visit_fn)(struct sim_job *job, void *p, size_t len, size_t off);
int sim_step(struct sim_job *job, u64 va, size_t len, bool write, sim_visit_fn fn);
size_t sim_blk_left(u64 addr);
long sim_ioctl_launch(struct sim_file *sf, struct gmem_sim_launch __user *uarg);
long sim_ioctl_wait(struct sim_file *sf, struct gmem_sim_wait __user *uarg);
void sim_jobs_cancel(struct sim_file *sf);

/* sim_compute.c */
int sim_gemm_prepare(struct sim_job *job);
int sim_gemm_check_ranges(struct sim_job *job);
int sim_run_gemm(struct sim_job *job);
void sim_gemm_free(struct sim_gemm *g);

/* sim_clock.c */
int sim_clock_params_check(void);
int sim_clock_init(struct sim_clock *clk, u64 hbm_blocks);
void sim_clock_free(struct sim_clock *clk);
void sim_clock_copy(struct sim_clock *clk, u64 dblk);
void sim_clock_fault(struct sim_clock *clk, u32 stream);
void sim_clock_job_start(struct sim_clock *clk, u32 stream, u64 launched);
void sim_clock_job_end(struct sim_clock *clk, u32 stream);
void sim_clock_step(struct sim_clock *clk, u32 stream, void *entry, size_t len, u64 compute_ns);
u64 sim_clock_macs_ns(u64 macs);
u64 sim_clock_now(struct sim_clock *clk);
u64 sim_clock_stream_now(struct sim_clock *clk, u32 stream);
void sim_clock_read(struct sim_clock *clk, struct gmem_sim_clock *out);

#endif /* _GMEM_SIM_H */
