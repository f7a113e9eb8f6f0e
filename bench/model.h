/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cost model: exact counters in, modelled time of a real accelerator out.
 *
 * The VM's wall time says little about an accelerator (TCG copies at a few
 * hundred MB/s); the counters are exact, so they are priced with fixed,
 * stated parameters instead. Defaults (printed with every result):
 *
 *   link      25 GB/s host<->device (PCIe 4.0 x16 class); t_x = block / link
 *   fault     20 us to service one device fault (interrupt, lookup, map)
 *   compute   50 GB/s: the device spends t_c = block / compute on each block
 *             it touches, i.e. a touched block costs half its transfer time
 *
 * modelled time = compute + faults + exposed transfers, where
 *   compute   = touches x t_c
 *   faults    = dev_faults x fault
 *   demand    = (h2d_blocks - prefetch_issued) x t_x   (the faulting access waits)
 *   evict     = d2h_blocks x t_x     (write-back sits on the fault path that needs room)
 *   remote    = remote_maps x t_x    (a zero-copy block is read over the link once)
 *   prefetch  = prefetch_issued x t_x - hidden, hidden = min(prefetch_issued x
 *               min(t_x, t_c), compute): each prefetched block is copied while
 *               the device computes on one earlier block, so at most one block's
 *               compute hides it, and all hidden time together cannot exceed the
 *               compute there is. Wasted prefetches are priced the same: they use
 *               the link like any other copy.
 */
#ifndef GMEM_MODEL_H
#define GMEM_MODEL_H

#include <stdint.h>
#include <linux/gmem.h>

struct cost_model {
	double link_gbps;	/* host<->device, GB/s (1e9 bytes/s) */
	double fault_us;	/* per device fault */
	double compute_gbps;	/* device processing rate over touched bytes */
};

struct cost_result {
	double t_x_ns;		/* one block over the link */
	double t_c_ns;		/* compute on one touched block */
	double compute_ns;
	double fault_ns;
	double demand_ns;
	double evict_ns;
	double remote_ns;
	double prefetch_ns;	/* exposed part only */
	double total_ns;
};

#define COST_MODEL_DEFAULT { .link_gbps = 25.0, .fault_us = 20.0, .compute_gbps = 50.0 }

/* 0, or -EINVAL for a non-positive rate or a negative latency. */
int cost_model_check(const struct cost_model *m);
/* @touches: block touches by the device (accesses of the workload). */
void cost_model_eval(const struct cost_model *m, uint64_t block_size, uint64_t touches,
		     const struct gmem_stats *s, struct cost_result *r);

#endif /* GMEM_MODEL_H */
