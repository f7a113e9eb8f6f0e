// SPDX-License-Identifier: GPL-2.0
/*
 * no_victims (broken on purpose): an evict hook that never nominates. Not
 * invalid, just useless: the built-in policy must pick every victim
 * (counted as fallbacks) and the policy stays attached.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

u64 evict_calls;

void GMEM_HOOK(nv_evict, struct gmem_evict_ctx *ec)
{
	evict_calls++;
}

GMEM_OPS_DEFINE(no_victims_ops,
	.evict	= (void *)nv_evict,
	.name	= "no_victims");
