// SPDX-License-Identifier: GPL-2.0
/*
 * example_fifo: the smallest useful gmem policy. HBM evicts in arrival
 * order: a block goes to the tail of a kernel-owned list when it arrives on
 * a device, and the evict hook nominates from the head. The core takes a
 * block off the list when it leaves its device, so the list is exactly the
 * resident blocks. Placement and prefetch stay with the built-in policy (no
 * fault or prefetch hook).
 *
 *   gmemctl load example_fifo --pin     (gmemctl unload to detach)
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

/* Shown by `gmemctl policies`. */
const volatile char gmem_desc[96] = "FIFO eviction in arrival order (the smallest policy)";

/* Longest walk of one evict call; a full 64 MiB HBM of 4 KiB blocks is 16384. */
#define FIFO_SCAN_MAX	(1 << 16)

static s64 fifo;	/* list id: resident blocks of every device, oldest first */

/* Evictions asked of this policy per object: `bpftool map dump name fifo_victims`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);	/* vm_object id */
	__type(value, u64);	/* victims nominated */
} fifo_victims SEC(".maps");

s32 GMEM_HOOK(fifo_init)
{
	fifo = bpf_gmem_list_create();
	return fifo < 0 ? fifo : 0;
}

void GMEM_HOOK(fifo_activated, u32 dev, u64 blk_id, u32 how)
{
	bpf_gmem_list_add(fifo, blk_id, true);
}

static void fifo_count(u64 blk_id)
{
	u32 obj = gmem_blk_obj(blk_id);
	u64 one = 1, *n = bpf_map_lookup_elem(&fifo_victims, &obj);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&fifo_victims, &obj, &one, BPF_NOEXIST);
}

/* Oldest first, skipping blocks of other devices and blocks that may not go. */
void GMEM_HOOK(fifo_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	u64 id;

	gmem_list_for_each(fifo, id, FIFO_SCAN_MAX) {
		if (bpf_gmem_block_state(id, &bi) || bi.dev != ec->dev ||
		    (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)) || id == ec->busy_blk_id)
			continue;
		fifo_count(id);
		if (bpf_gmem_evict_nominate(ec, id) == 0)
			break;
	}
}

void GMEM_HOOK(fifo_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&fifo_victims, &obj);
}

GMEM_OPS_DEFINE(fifo_ops,
	.init		= (void *)fifo_init,
	.activated	= (void *)fifo_activated,
	.evict		= (void *)fifo_evict,
	.obj_exit	= (void *)fifo_obj_exit,
	.name		= "fifo");
