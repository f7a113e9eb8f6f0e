// SPDX-License-Identifier: GPL-2.0
/*
 * blk_probe: on every device fault, records what bpf_gmem_block_state()
 * says about block @probe (set by the test), and whether the shared
 * gmem_resident_on() helper sees it resident on the faulting device. Places
 * nothing itself (the built-in policy decides): test_bpf reads the record
 * after each step to check the RESIDENT/DIRTY flags of DEVICE, BOTH and
 * HOST blocks.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

u64 probe;		/* block id to look at, set by the test */
u32 seen;		/* faults that recorded */
s32 ret;
u32 state, dev, flags, pref_dev, resident_here;

s32 GMEM_HOOK(bp_fault, struct gmem_fault_ctx *fc)
{
	struct gmem_block_info bi = {};

	if (!probe || fc->blk_id == probe)
		return GMEM_PLACE_DEFAULT;
	ret = bpf_gmem_block_state(probe, &bi);
	state = bi.state;
	dev = bi.dev;
	flags = bi.flags;
	pref_dev = bi.pref_dev;
	resident_here = gmem_resident_on(&bi, fc->dev);
	seen++;
	return GMEM_PLACE_DEFAULT;
}

GMEM_OPS_DEFINE(blk_probe_ops,
	.fault	= (void *)bp_fault,
	.name	= "blk_probe");
