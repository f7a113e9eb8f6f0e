// SPDX-License-Identifier: GPL-2.0
/*
 * stall (broken on purpose): the fault hook spins. With honor_cutoff it
 * stops once kfuncs refuse to act (the watchdog limit passed, as a list walk
 * ends when bpf_gmem_list_next() returns 0); without it, it runs its whole
 * loop and the watchdog catches it when the call returns.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile bool honor_cutoff = true;
const volatile u32 spins = 1 << 23;

u64 loops;		/* iterations of the last call */

s32 GMEM_HOOK(st_fault, struct gmem_fault_ctx *fc)
{
	u32 i;

	loops = 0;
	bpf_for(i, 0, spins) {
		if (honor_cutoff && bpf_gmem_dev_used(fc->dev) < 0)
			break;
		loops++;
	}
	return GMEM_PLACE_DEFAULT;
}

GMEM_OPS_DEFINE(stall_ops,
	.fault	= (void *)st_fault,
	.name	= "stall");
