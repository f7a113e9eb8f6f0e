// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim copy engines: the device API's asynchronous copy ops.
 *
 * A copy is a work item on the device's DMA workqueue, which runs at most
 * gmem_sim.dma_channels of them at once (the channels), and a dma_fence that
 * signals when its bytes are in place. Per HBM block the device keeps the
 * fence of the last copy queued on it (sdev->dma_last[]): a copy is put on
 * the workqueue only once its predecessor on the same block has signalled
 * (a fence callback queues it, as drm_sched releases a job whose
 * dependencies are met), and a job's access to an HBM block waits for that
 * block's last copy (sim_step_once() looks it up with sim_dma_last() and
 * waits with pt_lock dropped).
 * A channel never waits: a worker that slept on another copy would hold a
 * channel that copy may need (the workqueue does not start its items in
 * queueing order across CPUs), and the device would stop. That is the ordering the device API asks of a
 * driver with copy engines, and what lets the core map a block whose copy is
 * in flight and free an HBM block whose write-back is in flight: the block's
 * next owner is copied in only after the write-back has read it out.
 *
 * The device clock (sim_clock.c) is charged when a copy is queued, in the
 * order the core queues them, so device time does not depend on when the
 * host gets round to running the worker.
 *
 * gmem_sim.async_copies=0 (at load) leaves the device without copy engines:
 * the core then uses the synchronous copy_to_dev/copy_from_dev. Blocks
 * smaller than gmem_sim.async_min_kb are copied at once even with them (the
 * async op returns NULL: done).
 *
 * Every copy of a block, queued or made at once, comes after the copies
 * queued on that block before it (sim_copy_now() waits for them).
 *
 * Locking: sdev->dma_lock (spinlock) protects dma_last[]; taken under the
 * core's block lock (queueing) and under as->pt_lock (jobs), never held
 * across a wait. A worker takes no lock of the core or of a page table, so
 * waiting for a copy with those held is safe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "gmem_sim.h"

/*
 * Blocks smaller than this are copied by the thread that asks, and the
 * async op returns NULL (done): handing a 4 KiB copy to a worker and waking
 * the waiter costs several times the copy on a CPU (gmem-bench bw at 4 KiB
 * blocks, icount: 229 ms host-to-device queued against 118 ms inline), as
 * drivers make small transfers with the CPU rather than a copy engine.
 */
static unsigned int async_min_kb = 64;
module_param(async_min_kb, uint, 0644);
MODULE_PARM_DESC(async_min_kb, "Copy engines take blocks of at least this many KiB; "
		 "smaller ones are copied at once (default 64)");

static unsigned int dma_delay_us;
module_param(dma_delay_us, uint, 0644);
MODULE_PARM_DESC(dma_delay_us,
		 "Test only: each copy engine copy sleeps this long first (max 100000, default 0)");

struct sim_copy {
	struct dma_fence fence;		/* first: the default release kfree()s the copy */
	spinlock_t lock;		/* the fence's */
	struct work_struct work;
	struct sim_dev *sdev;
	struct dma_fence *after;	/* the previous copy of the same HBM block, or NULL */
	struct dma_fence_cb after_cb;	/* queues the copy when @after signals */
	struct page **pages;
	u64 dblk;
	bool to_dev;
};

static const char *sim_fence_driver_name(struct dma_fence *fence)
{
	return "gmem_sim";
}

static const char *sim_fence_timeline_name(struct dma_fence *fence)
{
	return container_of(fence, struct sim_copy, fence)->sdev->name;
}

static const struct dma_fence_ops sim_fence_ops = {
	.get_driver_name = sim_fence_driver_name,
	.get_timeline_name = sim_fence_timeline_name,
};

/* Copy a whole block between @pages and HBM block @dblk (the bus transfer). */
static void sim_copy_block(struct sim_dev *sdev, u64 dblk, struct page **pages, bool to_dev)
{
	char *hbm = sim_hbm(sdev, dblk);
	unsigned long i;

	for (i = 0; i < sim_blk_pages; i++) {
		if (to_dev)
			memcpy_from_page(hbm + i * PAGE_SIZE, pages[i], 0, PAGE_SIZE);
		else
			memcpy_to_page(pages[i], 0, hbm + i * PAGE_SIZE, PAGE_SIZE);
	}
}

/* One channel at work; the copy before it on the block is done. */
static void sim_dma_work(struct work_struct *work)
{
	struct sim_copy *c = container_of(work, struct sim_copy, work);
	unsigned int us = READ_ONCE(dma_delay_us);

	dma_fence_put(c->after);
	if (unlikely(us))
		fsleep(min(us, 100000u));
	sim_copy_block(c->sdev, c->dblk, c->pages, c->to_dev);
	dma_fence_signal(&c->fence);
	dma_fence_put(&c->fence);		/* the worker's reference */
}

/* The last copy queued on @dblk, with a reference, or NULL when it is done. */
struct dma_fence *sim_dma_last(struct sim_dev *sdev, u64 dblk)
{
	struct dma_fence *fence;

	spin_lock(&sdev->dma_lock);
	fence = sdev->dma_last[dblk];
	if (fence && dma_fence_is_signaled(fence)) {
		sdev->dma_last[dblk] = NULL;
		dma_fence_put(fence);		/* if the last: kfree_rcu(), fine here */
		fence = NULL;
	}
	fence = dma_fence_get(fence);
	spin_unlock(&sdev->dma_lock);
	return fence;
}

/* The copy before @cb's on its HBM block signalled (any context). */
static void sim_dma_after_done(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct sim_copy *c = container_of(cb, struct sim_copy, after_cb);

	queue_work(c->sdev->dma_wq, &c->work);
}

/*
 * A copy the calling thread makes itself, after the copies queued on its
 * HBM block (a write-back out of the block it is now copied into): the
 * synchronous ops, and blocks too small for a copy engine. A write-back
 * makes the block reusable once it is done.
 */
void sim_copy_now(struct sim_dev *sdev, u64 dblk, struct page **pages, bool to_dev)
{
	struct dma_fence *fence = sim_dma_last(sdev, dblk);

	if (fence) {
		dma_fence_wait(fence, false);
		dma_fence_put(fence);
	}
	sim_copy_block(sdev, dblk, pages, to_dev);
	sim_clock_copy(&sdev->clk, dblk);
}

/* Queue a copy on @dblk behind the copies already queued on it. */
static struct dma_fence *sim_dma_queue(struct sim_dev *sdev, u64 dblk, struct page **pages,
				       bool to_dev)
{
	struct sim_copy *c;

	if (!sim_dblk_ok(sdev, dblk))
		return ERR_PTR(-EINVAL);
	if (sim_blk_size < (unsigned long)READ_ONCE(async_min_kb) << 10) {
		sim_copy_now(sdev, dblk, pages, to_dev);
		return NULL;			/* done: not worth a hand-off */
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&c->lock);
	/* Copies on different channels finish out of order: a context each. */
	dma_fence_init(&c->fence, &sim_fence_ops, &c->lock, dma_fence_context_alloc(1), 1);
	INIT_WORK(&c->work, sim_dma_work);
	c->sdev = sdev;
	c->pages = pages;
	c->dblk = dblk;
	c->to_dev = to_dev;
	spin_lock(&sdev->dma_lock);
	c->after = sdev->dma_last[dblk];	/* its reference moves to the copy */
	sdev->dma_last[dblk] = dma_fence_get(&c->fence);
	spin_unlock(&sdev->dma_lock);
	sim_clock_copy(&sdev->clk, dblk);
	dma_fence_get(&c->fence);		/* the worker's */
	if (!c->after || dma_fence_add_callback(c->after, &c->after_cb, sim_dma_after_done))
		queue_work(sdev->dma_wq, &c->work);	/* nothing before it, or done */
	return &c->fence;			/* dma_fence_init()'s, the core's */
}

struct dma_fence *sim_copy_to_dev_async(struct gm_dev *dev, u64 dblk, struct page **pages)
{
	return sim_dma_queue(dev->drvdata, dblk, pages, true);
}

struct dma_fence *sim_copy_from_dev_async(struct gm_dev *dev, u64 dblk, struct page **pages)
{
	return sim_dma_queue(dev->drvdata, dblk, pages, false);
}

int sim_dma_init(struct sim_dev *sdev)
{
	spin_lock_init(&sdev->dma_lock);
	sdev->dma_last = kvcalloc(sdev->gdev.hbm_blocks, sizeof(*sdev->dma_last), GFP_KERNEL);
	if (!sdev->dma_last)
		return -ENOMEM;
	sdev->dma_wq = alloc_workqueue("%s.dma", WQ_UNBOUND | WQ_MEM_RECLAIM, sim_dma_channels,
				       sdev->name);
	return sdev->dma_wq ? 0 : -ENOMEM;
}

/* After gm_dev_unregister(): the core holds no fence of ours any more. */
void sim_dma_free(struct sim_dev *sdev)
{
	u64 i;

	if (sdev->dma_wq)
		destroy_workqueue(sdev->dma_wq);	/* every queued copy is done */
	if (!sdev->dma_last)
		return;
	for (i = 0; i < sdev->gdev.hbm_blocks; i++)
		dma_fence_put(sdev->dma_last[i]);
	kvfree(sdev->dma_last);
}
