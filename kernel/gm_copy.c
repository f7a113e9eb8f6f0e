// SPDX-License-Identifier: GPL-2.0
/*
 * gm_copy.c: the copies between a block's host pages and its HBM block,
 * through the driver's copy engines when it has them.
 *
 * With copy engines (->copy_to_dev_async, ->copy_from_dev_async) a
 * migration that does not need the data at once (GM_COPY_QUEUE: prefetch,
 * hints, eviction; a demand fault copies now) returns as soon as its copy
 * is queued, and the block is in flight until the copy's fence signals:
 * blk->copy holds the fence,
 * blk->inflight is set, the `inflight` counter counts it and policies see
 * GMEM_BF_INFLIGHT. Nothing on the device side waits for it: the driver
 * orders its own accesses to the HBM block, and later copies of it, after
 * the copy (include/linux/gmem_dev.h), so the core maps a block whose copy
 * to the device is in flight and frees an HBM block whose write-back is in
 * flight. The host side does wait: the host pages are being read (copy to
 * the device) or written (write-back), so whatever maps them to the CPU or
 * over the bus, copies them again or frees them first calls
 * gm_blk_copy_wait(), which waits for that block's copy and nothing else.
 * That wait ends when this copy and the copies queued ahead of it on the
 * device's engines are done (a driver must complete every copy it
 * accepted). Where the caller can give up with nothing changed (a fault,
 * a hint, an evictor, a move to or from a device) it first waits killably
 * (gm_blk_copy_wait_killable()), so a SIGKILL ends a hint at once rather
 * than when the device's queue drains; release at munmap and exit and
 * device unregister wait uninterruptibly, as folio_wait_writeback() does,
 * since no copy engine may touch pages they free.
 *
 * Without copy engines the copy is done before the call returns and no
 * block is ever in flight.
 *
 * Locking: blk->lock held for every function here. The fence callback takes
 * no lock; it clears blk->inflight and the counter, both atomic. A copy is
 * queued only after the previous one was reaped, so blk->copy is one fence.
 */
#include <linux/dma-fence.h>
#include <linux/sched/signal.h>

#include "gm_internal.h"
#include "gm_tracepoints.h"

/* The copy signalled (any context): the block is no longer in flight. */
static void gm_blk_copy_done(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct gm_block *blk = container_of(cb, struct gm_block, copy_cb);

	WRITE_ONCE(blk->inflight, 0);
	gm_stat_add(blk, blk->copy_dev, inflight, -1);
	trace_gmem_copy_done(blk->copy_dev, blk->obj->id, blk->idx, blk->copy_to_dev);
}

/* @blk's copy on @devid was queued: track it until gm_blk_copy_wait(). */
static void gm_blk_copy_track(struct gm_block *blk, u32 devid, struct dma_fence *fence,
			      bool to_dev)
{
	if (!fence)
		return;		/* the driver finished it already */
	WARN_ON_ONCE(blk->copy);
	blk->copy = fence;
	blk->copy_dev = devid;
	blk->copy_to_dev = to_dev;
	WRITE_ONCE(blk->inflight, 1);
	gm_stat_add(blk, devid, inflight, 1);
	trace_gmem_copy_queued(devid, blk->obj->id, blk->idx, to_dev);
	if (dma_fence_add_callback(fence, &blk->copy_cb, gm_blk_copy_done))
		gm_blk_copy_done(fence, &blk->copy_cb);	/* signalled meanwhile */
}

/*
 * Copy @blk's host pages to HBM block @dblk of @dev: queued when @how says
 * so and the driver has copy engines, else done now. 0, or the driver's
 * error (nothing copied, nothing in flight).
 */
int gm_blk_copy_to_dev(struct gm_block *blk, struct gm_dev *dev, u64 dblk,
		       enum gm_copy_how how)
{
	struct dma_fence *fence;

	lockdep_assert_held(&blk->lock);
	if (how == GM_COPY_NOW || !dev->ops->copy_to_dev_async)
		return dev->ops->copy_to_dev(dev, dblk, blk->pages);
	fence = dev->ops->copy_to_dev_async(dev, dblk, blk->pages);
	if (IS_ERR(fence))
		return PTR_ERR(fence);
	gm_blk_copy_track(blk, dev->id, fence, true);
	return 0;
}

/* Write @blk's HBM block back to its host pages: queued or done now, as above. */
int gm_blk_copy_from_dev(struct gm_block *blk, struct gm_dev *dev, enum gm_copy_how how)
{
	struct dma_fence *fence;

	lockdep_assert_held(&blk->lock);
	if (how == GM_COPY_NOW || !dev->ops->copy_from_dev_async)
		return dev->ops->copy_from_dev(dev, blk->dblk, blk->pages);
	fence = dev->ops->copy_from_dev_async(dev, blk->dblk, blk->pages);
	if (IS_ERR(fence))
		return PTR_ERR(fence);
	gm_blk_copy_track(blk, dev->id, fence, false);
	return 0;
}

struct gm_copy_waiter {
	struct dma_fence_cb cb;
	struct task_struct *task;
};

static void gm_copy_waiter_wake(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	wake_up_process(container_of(cb, struct gm_copy_waiter, cb)->task);
}

/*
 * Wait for @blk's copy in flight, if any, until it lands or the task gets
 * a fatal signal (-EINTR: the copy is still in flight and @blk unchanged).
 * Counted in copy_waits when it sleeps; gm_blk_copy_wait() then reaps it.
 * dma_fence_wait() sleeps interruptibly or not at all; an evictor needs
 * killable: a task killed while its hint waits for the copies queued ahead
 * of a victim must stop now, not when the device's queue has drained.
 */
int gm_blk_copy_wait_killable(struct gm_block *blk)
{
	struct gm_copy_waiter w = { .task = current };
	struct dma_fence *fence = blk->copy;
	int ret = 0;

	lockdep_assert_held(&blk->lock);
	if (!fence || dma_fence_add_callback(fence, &w.cb, gm_copy_waiter_wake))
		return 0;			/* none, or it landed already */
	gm_stat_add(blk, blk->copy_dev, copy_waits, 1);
	for (;;) {
		set_current_state(TASK_KILLABLE);
		/*
		 * The kill first: a killed task may get its CPU back only
		 * after the copy landed (the simulated copy engines are
		 * kworkers on the same CPUs), and must not go on to migrate.
		 */
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		if (dma_fence_is_signaled(fence))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	dma_fence_remove_callback(fence, &w.cb);
	return ret;
}

/*
 * Wait for @blk's copy in flight, if any, and forget it: afterwards the
 * host pages are the caller's to map, copy or free. Counted in copy_waits
 * when it had to sleep. Returns the copy's error, reported here, else 0:
 * a failed copy to the device leaves the HBM block's contents undefined
 * (the host pages still hold what was copied), a failed write-back leaves
 * the host pages without the device's writes. Callers decide what is kept.
 */
int gm_blk_copy_wait(struct gm_block *blk)
{
	struct dma_fence *fence = blk->copy;
	int ret;

	lockdep_assert_held(&blk->lock);
	if (!fence)
		return 0;
	if (!dma_fence_is_signaled(fence)) {
		gm_stat_add(blk, blk->copy_dev, copy_waits, 1);
		dma_fence_wait(fence, false);
	}
	/*
	 * The callback may still be running on the CPU that signalled: it runs
	 * under the fence's lock, which removing it takes, so once this returns
	 * it is done with @blk. If it never ran, account for it here.
	 */
	if (dma_fence_remove_callback(fence, &blk->copy_cb))
		gm_blk_copy_done(fence, &blk->copy_cb);
	ret = dma_fence_get_status(fence);
	blk->copy = NULL;
	dma_fence_put(fence);
	if (ret >= 0)
		return 0;
	pr_err_ratelimited("gmem: device %u: copy of block %u:%u %s failed: %d\n",
			   blk->copy_dev, blk->obj->id, blk->idx,
			   blk->copy_to_dev ? "to the device" : "back to the host", ret);
	return ret;
}
