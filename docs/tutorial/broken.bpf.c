// SPDX-License-Identifier: GPL-2.0
/*
 * broken.bpf.c: a mistake the verifier catches, for the debugging section of
 * docs/writing-policies.md. Loading it must fail; do not copy it.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} arrivals SEC(".maps");

void GMEM_HOOK(broken_activated, u32 dev, u64 blk_id, u32 how)
{
	u32 obj = gmem_blk_obj(blk_id);
	u64 *n = bpf_map_lookup_elem(&arrivals, &obj);

	*n += 1;	/* wrong: n is NULL while the object has no entry */
}

GMEM_OPS_DEFINE(broken_ops,
	.activated	= (void *)broken_activated,
	.name		= "broken");
