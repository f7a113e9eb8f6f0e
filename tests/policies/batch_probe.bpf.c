// SPDX-License-Identifier: GPL-2.0
/*
 * batch_probe: checks, at every device fault, what the fault hook sees of
 * its batch (gmem_fault_ctx.batch_id, batch_nr, batch_pos): within a batch
 * the positions run 0, 1, ... batch_nr - 1 in increasing block order, and a
 * new batch id starts at position 0. And what block_state shows of it:
 * GMEM_BF_BATCH on the faulting block and on the one an earlier fault of
 * the batch serviced while a batch of several is being serviced, and never
 * otherwise. Places nothing itself. test_bpf reads the counters after a
 * batched and an unbatched trace.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

u64 faults;		/* fault hook calls */
u64 batches;		/* distinct batch ids seen */
u64 max_nr;		/* largest batch_nr */
u64 order_errors;	/* a position or a block out of order */
u64 flag_errors;	/* GMEM_BF_BATCH missing in a batch of several, or shown outside */
u64 last_id;
u32 next_pos, last_idx;

s32 GMEM_HOOK(bp_fault, struct gmem_fault_ctx *fc)
{
	struct gmem_block_info bi = {};

	faults++;
	if (fc->batch_nr > max_nr)
		max_nr = fc->batch_nr;
	if (fc->batch_id != last_id) {
		batches++;
		last_id = fc->batch_id;
		if (fc->batch_pos)
			order_errors++;
	} else if (fc->batch_pos != next_pos || fc->idx <= last_idx) {
		order_errors++;
	}
	if (fc->batch_pos >= fc->batch_nr || !fc->batch_id)
		order_errors++;
	if (bpf_gmem_block_state(fc->blk_id, &bi) ||
	    !!(bi.flags & GMEM_BF_BATCH) != (fc->batch_nr > 1))
		flag_errors++;
	if (fc->batch_pos && (bpf_gmem_block_state(gmem_blk_id(fc->obj, last_idx), &bi) ||
			      !(bi.flags & GMEM_BF_BATCH)))
		flag_errors++;
	next_pos = fc->batch_pos + 1;
	last_idx = fc->idx;
	return GMEM_PLACE_DEFAULT;
}

GMEM_OPS_DEFINE(batch_probe_ops,
	.fault	= (void *)bp_fault,
	.name	= "batch_probe");
