// SPDX-License-Identifier: GPL-2.0
/*
 * gmemctl_reject (broken on purpose): a policy the verifier refuses, for
 * tests/guest/test_gmemctl.sh to check that `gmemctl load` reports the
 * rejection with the tail of the verifier log (exit 6). The evict hook
 * dereferences a map lookup without the NULL check the verifier demands.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} evict_calls SEC(".maps");

void GMEM_HOOK(reject_evict, struct gmem_evict_ctx *ec)
{
	u32 zero = 0;
	u64 *n = bpf_map_lookup_elem(&evict_calls, &zero);

	*n += 1;		/* no NULL check: "invalid mem access 'map_value_or_null'" */
}

GMEM_OPS_DEFINE(reject_ops,
	.evict	= (void *)reject_evict,
	.name	= "gmemctl_reject");
