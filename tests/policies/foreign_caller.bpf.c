// SPDX-License-Identifier: GPL-2.0
/*
 * foreign_caller (broken on purpose): a TCP congestion control, i.e. a
 * struct_ops program of another type, that calls a gmem kfunc when
 * call_gmem is set. The kfuncs are registered for struct_ops programs, so
 * only gmem's kfunc filter stands between it and them: the verifier must
 * refuse it. With call_gmem clear the call is dead code the verifier never
 * checks, and the object must load (the control).
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile bool call_gmem;

SEC("struct_ops/fc_ssthresh")
__u32 BPF_PROG(fc_ssthresh, struct sock *sk)
{
	if (call_gmem)
		return bpf_gmem_dev_used(0);
	return 2;
}

SEC("struct_ops/fc_undo_cwnd")
__u32 BPF_PROG(fc_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/fc_cong_avoid")
void BPF_PROG(fc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops gmem_foreign = {
	.ssthresh	= (void *)fc_ssthresh,
	.undo_cwnd	= (void *)fc_undo_cwnd,
	.cong_avoid	= (void *)fc_cong_avoid,
	.name		= "gmem_foreign",
};
