// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim device clock: virtual time in ns, from fixed parameters and the
 * real order of events, independent of how fast the host (or TCG) runs.
 *
 * Each device has one execution queue (its ordered work queue), so one
 * queue clock, @now: the device time. The core copies synchronously, but a
 * copy is priced as the DMA engine it stands for would run it:
 *
 *   - a copy (copy_to_dev or copy_from_dev) is requested at @now and at the
 *     earliest when its HBM block is free (a write-back out of the block, or
 *     an earlier copy into it, has finished); it takes the DMA channel that
 *     frees up first, for block_size / link_mbps, and sets the block's ready
 *     time to its end;
 *   - a job step on an HBM block waits until that block is ready (stall),
 *     then adds its compute; a prefetched block's copy therefore costs the
 *     queue nothing until a step touches it, and only what is not done by
 *     then;
 *   - a step on a REMOTE (zero-copy) entry moves its bytes over the link on
 *     a channel and waits for them;
 *   - a device fault adds the fault service latency before the core runs,
 *     once per batch of faults (sim_jobs.c, fault_batch);
 *   - a copy made while no job runs (a hint, a CPU fault, teardown) is one
 *     the host waits for (the core copies synchronously) and the idle
 *     device cannot hide: the clock moves to its end. Without this, copies
 *     made between runs would leave channels busy "in the future" and the
 *     next run's time would depend on what ran before it.
 *
 * Which channel a copy takes and when depends only on the order of events,
 * so a run is deterministic for a given event order. Nothing sleeps.
 *
 * Locking: clk->lock (spinlock) is innermost: taken under the core's
 * block lock (copy ops) and under as->pt_lock (job steps), never the reverse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "gmem_sim.h"

static unsigned int link_mbps = 25000;
module_param(link_mbps, uint, 0444);
MODULE_PARM_DESC(link_mbps, "Device clock: host<->device bandwidth per DMA channel, MB/s (1e6 B/s)");

static unsigned int dma_channels = 2;
module_param(dma_channels, uint, 0444);
MODULE_PARM_DESC(dma_channels, "Device clock: DMA channels (copy engines), 1..8");

static unsigned int fault_lat_ns = 20000;
module_param(fault_lat_ns, uint, 0444);
MODULE_PARM_DESC(fault_lat_ns, "Device clock: service latency of one device fault, ns");

static unsigned int compute_gmacs = 50;
module_param(compute_gmacs, uint, 0444);
MODULE_PARM_DESC(compute_gmacs, "Device clock: int8 multiply-accumulates per ns (GEMM jobs)");

int sim_clock_params_check(void)
{
	if (!link_mbps || !compute_gmacs || !dma_channels || dma_channels > SIM_MAX_DMA) {
		pr_err("link_mbps and compute_gmacs must be > 0, dma_channels 1..%d\n",
		       SIM_MAX_DMA);
		return -EINVAL;
	}
	pr_info("device clock: %u DMA channels at %u MB/s each, fault %u ns, compute %u MAC/ns\n",
		dma_channels, link_mbps, fault_lat_ns, compute_gmacs);
	return 0;
}

int sim_clock_init(struct sim_clock *clk, u64 hbm_blocks)
{
	memset(clk, 0, sizeof(*clk));
	spin_lock_init(&clk->lock);
	clk->blk_ready = kvcalloc(hbm_blocks, sizeof(*clk->blk_ready), GFP_KERNEL);
	return clk->blk_ready ? 0 : -ENOMEM;
}

void sim_clock_free(struct sim_clock *clk)
{
	kvfree(clk->blk_ready);
}

/* Time to move @bytes over one channel, rounded up so no copy is free. */
static u64 sim_link_ns(u64 bytes)
{
	return div_u64(bytes * 1000 + link_mbps - 1, link_mbps);
}

/* clk->lock held: run a transfer of @bytes requested at @req; returns its end. */
static u64 sim_dma(struct sim_clock *clk, u64 req, u64 bytes)
{
	unsigned int i, ch = 0;
	u64 start, end, ns = sim_link_ns(bytes);

	for (i = 1; i < dma_channels; i++)
		if (clk->chan_free[i] < clk->chan_free[ch])
			ch = i;
	start = max(req, clk->chan_free[ch]);
	end = start + ns;
	clk->chan_free[ch] = end;
	clk->copy_ns += ns;
	return end;
}

/* A whole-block copy into or out of HBM block @dblk (copy_to/from_dev). */
void sim_clock_copy(struct sim_clock *clk, u64 dblk)
{
	u64 end;

	spin_lock(&clk->lock);
	end = sim_dma(clk, max(clk->now, clk->blk_ready[dblk]), sim_blk_size);
	clk->blk_ready[dblk] = end;
	clk->copies++;
	if (!clk->running && end > clk->now) {
		clk->idle_copy_ns += end - clk->now;
		clk->now = end;
	}
	spin_unlock(&clk->lock);
}

/* A job starts or ends on the device's queue (sim_job_work()). */
void sim_clock_job(struct sim_clock *clk, bool start)
{
	spin_lock(&clk->lock);
	clk->running = start;
	spin_unlock(&clk->lock);
}

/* The device faulted: the core's service latency passes before it runs. */
void sim_clock_fault(struct sim_clock *clk)
{
	spin_lock(&clk->lock);
	clk->now += fault_lat_ns;
	clk->fault_ns += fault_lat_ns;
	spin_unlock(&clk->lock);
}

/*
 * A job step touched @entry (an HBM block or REMOTE host pages) for @len
 * bytes and computes for @compute_ns: wait for the data, then compute.
 */
void sim_clock_step(struct sim_clock *clk, void *entry, size_t len, u64 compute_ns)
{
	u64 ready;

	spin_lock(&clk->lock);
	if (xa_is_value(entry)) {
		ready = clk->blk_ready[sim_pte_dblk(entry)];
	} else {
		ready = sim_dma(clk, clk->now, len);
		clk->remote_bytes += len;
	}
	if (ready > clk->now) {
		clk->stall_ns += ready - clk->now;
		clk->now = ready;
	}
	/* compute_ns comes from userspace: saturate rather than wrap. */
	if (check_add_overflow(clk->now, compute_ns, &clk->now))
		clk->now = U64_MAX;
	clk->compute_ns += compute_ns;
	spin_unlock(&clk->lock);
}

/* Compute time of @macs int8 multiply-accumulates, rounded up. */
u64 sim_clock_macs_ns(u64 macs)
{
	return div_u64(macs + compute_gmacs - 1, compute_gmacs);
}

u64 sim_clock_now(struct sim_clock *clk)
{
	u64 now;

	spin_lock(&clk->lock);
	now = clk->now;
	spin_unlock(&clk->lock);
	return now;
}

void sim_clock_read(struct sim_clock *clk, struct gmem_sim_clock *out)
{
	memset(out, 0, sizeof(*out));
	spin_lock(&clk->lock);
	out->now_ns = clk->now;
	out->compute_ns = clk->compute_ns;
	out->stall_ns = clk->stall_ns;
	out->fault_ns = clk->fault_ns;
	out->copy_ns = clk->copy_ns;
	out->copies = clk->copies;
	out->remote_bytes = clk->remote_bytes;
	out->idle_copy_ns = clk->idle_copy_ns;
	spin_unlock(&clk->lock);
	out->link_mbps = link_mbps;
	out->dma_channels = dma_channels;
	out->fault_lat_ns = fault_lat_ns;
	out->compute_gmacs = compute_gmacs;
}
