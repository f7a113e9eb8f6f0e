// SPDX-License-Identifier: GPL-2.0
/*
 * tenant_count: FIFO eviction that also records, per object, how many of
 * its hooks it was called for (fault and activated) and every victim it
 * nominated. The per-cgroup tests attach one copy per tenant and check from
 * these maps that each object's hooks reached its own tenant's policy, and
 * that no policy was handed, or could nominate, another tenant's blocks.
 * 'refused' counts nominations the kernel refused as unknown (-ENOENT): its
 * list holds only blocks it was told about, so it stays 0 unless the core
 * handed it another tenant's block.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

#define TC_ENOENT	2	/* errno: the kernel does not know the block for us */

static s64 fifo;
u64 faults, activations, nominated, refused;
/*
 * Set by the test: another tenant's object; the evict hook first tries to
 * nominate one of its blocks resident on the device (a valid victim but
 * for its tenant).
 */
u32 foreign_obj;
s64 foreign_ret;	/* what the kernel answered the last try */
u64 foreign_tries;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);	/* vm_object id */
	__type(value, u64);	/* fault + activated hook calls for it */
} tenant_objs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);	/* vm_object id */
	__type(value, u64);	/* victims nominated of it */
} tenant_victims SEC(".maps");

static void count(void *map, u32 obj)
{
	u64 one = 1, *n = bpf_map_lookup_elem(map, &obj);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(map, &obj, &one, BPF_NOEXIST);
}

s32 GMEM_HOOK(tc_init)
{
	fifo = bpf_gmem_list_create();
	return fifo < 0 ? fifo : 0;
}

s32 GMEM_HOOK(tc_fault, struct gmem_fault_ctx *fc)
{
	__sync_fetch_and_add(&faults, 1);
	count(&tenant_objs, fc->obj);
	return GMEM_PLACE_DEFAULT;
}

void GMEM_HOOK(tc_activated, u32 dev, u64 blk_id, u32 how)
{
	__sync_fetch_and_add(&activations, 1);
	count(&tenant_objs, gmem_blk_obj(blk_id));
	bpf_gmem_list_add(fifo, blk_id, true);
}

void GMEM_HOOK(tc_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	s32 ret;
	u64 id;

	if (foreign_obj) {
		u32 i;

		for (i = 0; i < 64; i++) {
			id = ((u64)foreign_obj << 32) | i;
			if (bpf_gmem_block_state(id, &bi) || bi.dev != ec->dev ||
			    (bi.state != GMEM_BLK_DEVICE && bi.state != GMEM_BLK_BOTH) ||
			    (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)))
				continue;
			foreign_ret = bpf_gmem_evict_nominate(ec, id);
			__sync_fetch_and_add(&foreign_tries, 1);
			break;
		}
	}
	gmem_list_for_each(fifo, id, 1 << 12) {
		if (bpf_gmem_block_state(id, &bi) || bi.dev != ec->dev ||
		    (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)) || id == ec->busy_blk_id)
			continue;
		ret = bpf_gmem_evict_nominate(ec, id);
		if (ret == -TC_ENOENT) {
			__sync_fetch_and_add(&refused, 1);
			continue;
		}
		if (ret < 0)
			continue;
		__sync_fetch_and_add(&nominated, 1);
		count(&tenant_victims, gmem_blk_obj(id));
		if (ret == 0)
			break;
	}
}

GMEM_OPS_DEFINE(tc_ops,
	.init		= (void *)tc_init,
	.fault		= (void *)tc_fault,
	.activated	= (void *)tc_activated,
	.evict		= (void *)tc_evict,
	.name		= "tenant_count");
