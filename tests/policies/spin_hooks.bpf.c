// SPDX-License-Identifier: GPL-2.0
/*
 * spin_hooks (hostile on purpose, test_reliability_hooks): hooks that spin
 * in bpf_for loops calling no kfunc, so nothing inside the hook can notice
 * a cutoff. The fault hook spins only for the object in target_obj; the
 * exit and evicted hooks spin on every call. Each spin is outer x inner
 * iterations; the test sets the counts after load (.bss), so it can
 * calibrate the time a spin takes.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

u32 target_obj;		/* the fault hook spins for this object only */
u32 fault_outer;
u32 exit_outer;
u32 evicted_outer;
u32 inner = 1 << 16;
u64 fault_calls, target_faults, exit_calls, evicted_calls;
/* How long the spins ran (bpf_ktime_get_ns is a helper, not a gmem kfunc). */
u64 exit_ns, evicted_max_ns, evicted_total_ns;
u64 sink;

/*
 * A safety stop for the test itself, not a cutoff the core could use: the
 * spin also ends after spin_cap_ns (set by the test to a few times the spin
 * it wants), so a miscalibrated spin cannot lock a CPU up for minutes.
 */
u64 spin_cap_ns;

static __always_inline void spin(u32 outer)
{
	u64 t0 = bpf_ktime_get_ns();
	u32 i, j, n = inner;

	bpf_for(i, 0, outer) {
		if (spin_cap_ns && bpf_ktime_get_ns() - t0 > spin_cap_ns)
			break;
		bpf_for(j, 0, n)
			sink += j;
	}
}

s32 GMEM_HOOK(sh_fault, struct gmem_fault_ctx *fc)
{
	fault_calls++;
	if (fc->obj == target_obj) {
		target_faults++;
		spin(fault_outer);
	}
	return GMEM_PLACE_DEFAULT;
}

void GMEM_HOOK(sh_exit, struct gmem_exit_info *info)
{
	u64 t0 = bpf_ktime_get_ns();

	exit_calls++;
	spin(exit_outer);
	exit_ns = bpf_ktime_get_ns() - t0;
}

void GMEM_HOOK(sh_evicted, u32 dev, u64 blk_id)
{
	u64 t0 = bpf_ktime_get_ns(), dt;

	evicted_calls++;
	spin(evicted_outer);
	dt = bpf_ktime_get_ns() - t0;
	evicted_total_ns += dt;
	if (dt > evicted_max_ns)
		evicted_max_ns = dt;
}

GMEM_OPS_DEFINE(spin_hooks_ops,
	.fault		= (void *)sh_fault,
	.exit		= (void *)sh_exit,
	.evicted	= (void *)sh_evicted,
	.name		= "spin_hooks");
