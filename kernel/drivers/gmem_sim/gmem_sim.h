/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem_sim internals shared by sim_main.c (devices, HBM, MMU ops, device
 * page tables, files) and sim_jobs.c (device kernels and their jobs).
 *
 * Locking (order: the core's block lock -> sdev->as_lock -> as->pt_lock):
 *   sdev->as_lock (mutex) protects sdev->as_list and sim_as.users. The MMU
 *     ops take it to find the address space of an mm; they are called with
 *     a core block lock held, so nothing may call the core with as_lock held.
 *   as->pt_lock (mutex) protects the page table *and* every device access
 *     through it: a job holds it from the lookup until the bytes are done, so
 *     when unmap() returns no access to the old HBM block or host pages is in
 *     flight (our TLB shootdown). Jobs drop it before gm_dev_fault() and
 *     gm_dev_access(), which take block locks.
 *   sdev->hbm_lock (spinlock) protects the HBM allocation bitmap.
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

struct sim_dev {
	struct gm_dev gdev;
	struct miscdevice misc;
	char name[GMEM_NAME_LEN];
	void *hbm;				/* hbm_blocks * sim_blk_size bytes */
	unsigned long *used_map;		/* allocated HBM blocks */
	spinlock_t hbm_lock;
	atomic_t alloc_calls;			/* for fail_alloc_every */
	struct workqueue_struct *wq;
	struct mutex as_lock;
	struct list_head as_list;
	atomic64_t jobs_done, faults, model_ns, invalidates;
};

/* The device's view of one mm: its page table. */
struct sim_as {
	struct list_head node;			/* on sdev->as_list */
	struct mm_struct *mm;			/* mmgrab()ed */
	unsigned int users;			/* open files; under as_lock */
	struct mutex pt_lock;
	/*
	 * va >> sim_blk_shift -> an HBM entry (sim_pte_hbm()) or a kmalloc()ed
	 * array of sim_blk_pages host pages mapped over the bus (writable).
	 */
	struct xarray pt;
};

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

struct sim_job {
	struct work_struct work;
	refcount_t ref;
	struct completion done;
	struct sim_file *sf;
	struct gmem_sim_launch args;
	struct gmem_sim_access *recs;		/* TRACE: the records */
	u8 *bounce;				/* COPY/AXPY: x of the current step */
	u64 cur;				/* TRACE: record being replayed */
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

/* sim_jobs.c */
long sim_ioctl_launch(struct sim_file *sf, struct gmem_sim_launch __user *uarg);
long sim_ioctl_wait(struct sim_file *sf, struct gmem_sim_wait __user *uarg);
void sim_jobs_cancel(struct sim_file *sf);

#endif /* _GMEM_SIM_H */
