// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim device clock: virtual time in ns, from fixed parameters and the
 * real order of events, independent of how fast the host (or TCG) runs.
 *
 * Each device has gmem_sim.streams execution queues (streams: ordered work
 * queues whose jobs run concurrently with the other streams'), each with
 * its own queue clock, now[stream]; the latest is the device time. The DMA
 * channels and the HBM blocks' ready times are shared by all streams. The
 * core copies synchronously, but a copy is priced as the DMA engine it
 * stands for would run it:
 *
 *   - a copy (copy_to_dev or copy_from_dev) is requested at the queue clock
 *     of the stream whose job caused it (the worker running that job is
 *     the one the core copies in) and at the
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
 *   - a copy no job caused (a hint, a CPU fault, teardown) is requested at
 *     the device time; made while no job runs, it is one the host waits
 *     for (the core copies synchronously) and the idle device cannot hide:
 *     every queue clock moves to its end. Without this, copies made between
 *     runs would leave channels busy "in the future" and the next run's
 *     time would depend on what ran before it.
 *
 * Which channel a copy takes and when depends only on the order of events,
 * so a run is deterministic for a given event order; with jobs on several
 * streams that order is the host's interleaving of them. Nothing sleeps.
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

unsigned int sim_dma_channels = 2;
module_param_named(dma_channels, sim_dma_channels, uint, 0444);
MODULE_PARM_DESC(dma_channels, "Device clock: DMA channels (copy engines), 1..8");

static unsigned int fault_lat_ns = 20000;
module_param(fault_lat_ns, uint, 0444);
MODULE_PARM_DESC(fault_lat_ns, "Device clock: service latency of one device fault, ns");

static unsigned int compute_gmacs = 50;
module_param(compute_gmacs, uint, 0444);
MODULE_PARM_DESC(compute_gmacs, "Device clock: int8 multiply-accumulates per ns (GEMM jobs)");

int sim_clock_params_check(void)
{
	if (!link_mbps || !compute_gmacs || !sim_dma_channels || sim_dma_channels > SIM_MAX_DMA) {
		pr_err("link_mbps and compute_gmacs must be > 0, dma_channels 1..%d\n",
		       SIM_MAX_DMA);
		return -EINVAL;
	}
	pr_info("device clock: %u DMA channels at %u MB/s each, fault %u ns, compute %u MAC/ns\n",
		sim_dma_channels, link_mbps, fault_lat_ns, compute_gmacs);
	return 0;
}

/* Time to move @bytes over one channel, rounded up so no copy is free. */
static u64 sim_link_ns(u64 bytes)
{
	return div_u64(bytes * 1000 + link_mbps - 1, link_mbps);
}

int sim_clock_init(struct sim_clock *clk, u64 hbm_blocks)
{
	memset(clk, 0, sizeof(*clk));
	spin_lock_init(&clk->lock);
	clk->blk_copy_ns = sim_link_ns(sim_blk_size);
	clk->blk_ready = kvcalloc(hbm_blocks, sizeof(*clk->blk_ready), GFP_KERNEL);
	return clk->blk_ready ? 0 : -ENOMEM;
}

void sim_clock_free(struct sim_clock *clk)
{
	kvfree(clk->blk_ready);
}

/* clk->lock held: run a transfer of @ns on a channel, requested at @req; returns its end. */
static u64 sim_dma(struct sim_clock *clk, u64 req, u64 ns)
{
	unsigned int i, ch = 0;
	u64 start, end;

	for (i = 1; i < sim_dma_channels; i++)
		if (clk->chan_free[i] < clk->chan_free[ch])
			ch = i;
	start = max(req, clk->chan_free[ch]);
	end = start + ns;
	clk->chan_free[ch] = end;
	clk->copy_ns += ns;
	return end;
}

/* clk->lock held: the device time, the latest queue clock. */
static u64 sim_clock_latest(const struct sim_clock *clk)
{
	u64 t = 0;
	unsigned int s;

	for (s = 0; s < GMEM_SIM_MAX_STREAMS; s++)
		t = max(t, clk->now[s]);
	return t;
}

/* clk->lock held: the stream whose job the current task runs, or -1. */
static int sim_clock_current_stream(const struct sim_clock *clk)
{
	unsigned int s;

	if (!clk->running)
		return -1;
	for (s = 0; s < GMEM_SIM_MAX_STREAMS; s++)
		if (clk->runner[s] == current)
			return s;
	return -1;
}

/* A whole-block copy into or out of HBM block @dblk (copy_to/from_dev). */
void sim_clock_copy(struct sim_clock *clk, u64 dblk)
{
	unsigned int s;
	u64 end, req;
	int stream;

	spin_lock(&clk->lock);
	stream = sim_clock_current_stream(clk);
	req = stream >= 0 ? clk->now[stream] : sim_clock_latest(clk);
	end = sim_dma(clk, max(req, clk->blk_ready[dblk]), clk->blk_copy_ns);
	clk->blk_ready[dblk] = end;
	clk->copies++;
	if (!clk->running && end > req) {
		clk->idle_copy_ns += end - req;
		for (s = 0; s < GMEM_SIM_MAX_STREAMS; s++)
			clk->now[s] = max(clk->now[s], end);
	}
	spin_unlock(&clk->lock);
}

/*
 * A job starts on @stream (sim_job_work(), in the worker running it): no
 * earlier than @launched, the device time when it was launched, since a
 * stream that sat idle has no work to show for the time that passed.
 */
void sim_clock_job_start(struct sim_clock *clk, u32 stream, u64 launched)
{
	spin_lock(&clk->lock);
	clk->runner[stream] = current;
	clk->running++;
	clk->now[stream] = max(clk->now[stream], launched);
	spin_unlock(&clk->lock);
}

void sim_clock_job_end(struct sim_clock *clk, u32 stream)
{
	spin_lock(&clk->lock);
	clk->runner[stream] = NULL;
	clk->running--;
	spin_unlock(&clk->lock);
}

/* A job on @stream faulted: the core's service latency passes before it runs. */
void sim_clock_fault(struct sim_clock *clk, u32 stream)
{
	spin_lock(&clk->lock);
	clk->now[stream] += fault_lat_ns;
	clk->fault_ns += fault_lat_ns;
	spin_unlock(&clk->lock);
}

/*
 * A job step on @stream touched @entry (an HBM block or REMOTE host pages)
 * for @len bytes and computes for @compute_ns: wait for the data, then
 * compute.
 */
void sim_clock_step(struct sim_clock *clk, u32 stream, void *entry, size_t len, u64 compute_ns)
{
	u64 *now = &clk->now[stream];
	u64 ready;

	spin_lock(&clk->lock);
	if (xa_is_value(entry)) {
		ready = clk->blk_ready[sim_pte_dblk(entry)];
	} else {
		ready = sim_dma(clk, *now, sim_link_ns(len));
		clk->remote_bytes += len;
	}
	if (ready > *now) {
		clk->stall_ns += ready - *now;
		*now = ready;
	}
	/* compute_ns comes from userspace: saturate rather than wrap. */
	if (check_add_overflow(*now, compute_ns, now))
		*now = U64_MAX;
	clk->compute_ns += compute_ns;
	spin_unlock(&clk->lock);
}

/* Compute time of @macs int8 multiply-accumulates, rounded up. */
u64 sim_clock_macs_ns(u64 macs)
{
	return div_u64(macs + compute_gmacs - 1, compute_gmacs);
}

/* The device time: when a job is launched. */
u64 sim_clock_now(struct sim_clock *clk)
{
	u64 now;

	spin_lock(&clk->lock);
	now = sim_clock_latest(clk);
	spin_unlock(&clk->lock);
	return now;
}

/* @stream's queue clock: a job's start and end. */
u64 sim_clock_stream_now(struct sim_clock *clk, u32 stream)
{
	u64 now;

	spin_lock(&clk->lock);
	now = clk->now[stream];
	spin_unlock(&clk->lock);
	return now;
}

void sim_clock_read(struct sim_clock *clk, struct gmem_sim_clock *out)
{
	memset(out, 0, sizeof(*out));
	spin_lock(&clk->lock);
	out->now_ns = sim_clock_latest(clk);
	out->compute_ns = clk->compute_ns;
	out->stall_ns = clk->stall_ns;
	out->fault_ns = clk->fault_ns;
	out->copy_ns = clk->copy_ns;
	out->copies = clk->copies;
	out->remote_bytes = clk->remote_bytes;
	out->idle_copy_ns = clk->idle_copy_ns;
	spin_unlock(&clk->lock);
	out->link_mbps = link_mbps;
	out->dma_channels = sim_dma_channels;
	out->fault_lat_ns = fault_lat_ns;
	out->compute_gmacs = compute_gmacs;
}
