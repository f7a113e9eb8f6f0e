// SPDX-License-Identifier: GPL-2.0
/*
 * fifo.bpf.c: the first policy of docs/writing-policies.md.
 * When a device's HBM is full, evict the block that arrived there first.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

/* Shown by `gmemctl policies` when the file is in the policy search path. */
const volatile char gmem_desc[] = "tutorial: evict in arrival order (FIFO)";

/* Tunables: `gmemctl load ./fifo.bpf.o --set scan_max=1024`. */
const volatile u32 scan_max = 65536;	/* longest walk of the list per evict call */
const volatile u64 stop_after = 0;	/* debugging: eject after N victims (0: never) */

/* Per-object counters, keyed by vm_object id: `bpftool map dump name fifo_objs`. */
struct fifo_obj {
	u64 arrivals;		/* blocks that arrived on a device */
	u64 victims;		/* blocks this policy nominated for eviction */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);	/* old records make room for new ones */
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, struct fifo_obj);
} fifo_objs SEC(".maps");

static s64 fifo;		/* kernel list of resident blocks, oldest first */
static u64 victims;		/* nominated since the policy was attached */

/* The record of the object that @blk_id belongs to, created on first use. */
static struct fifo_obj *obj_of(u64 blk_id)
{
	u32 obj = gmem_blk_obj(blk_id);
	struct fifo_obj zero = {}, *o;

	o = bpf_map_lookup_elem(&fifo_objs, &obj);
	if (o)
		return o;
	bpf_map_update_elem(&fifo_objs, &obj, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&fifo_objs, &obj);
}

s32 GMEM_HOOK(fifo_init)
{
	fifo = bpf_gmem_list_create();
	return fifo < 0 ? fifo : 0;	/* an error refuses the attach */
}

/* A block arrived on a device: it goes to the tail of the list. */
void GMEM_HOOK(fifo_activated, u32 dev, u64 blk_id, u32 how)
{
	struct fifo_obj *o = obj_of(blk_id);

	if (o)
		o->arrivals++;
	bpf_gmem_list_add(fifo, blk_id, true);
}

/* HBM of ec->dev is short by ec->nr blocks: nominate from the head. */
void GMEM_HOOK(fifo_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	struct fifo_obj *o;
	u64 id;
	s32 left;

	gmem_list_for_each(fifo, id, scan_max) {
		/* The list holds every device's blocks; skip what may not go. */
		if (id == ec->busy_blk_id || bpf_gmem_block_state(id, &bi))
			continue;
		if (bi.dev != ec->dev || (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)))
			continue;
		left = bpf_gmem_evict_nominate(ec, id);
		if (left < 0)
			continue;
		o = obj_of(id);
		if (o)
			o->victims++;
		victims++;
		if (stop_after && victims >= stop_after) {
			gmem_error("stopped after %llu victims, as asked", victims);
			break;
		}
		if (left == 0)
			break;
	}
}

GMEM_OPS_DEFINE(fifo_ops,
	.init		= (void *)fifo_init,
	.activated	= (void *)fifo_activated,
	.evict		= (void *)fifo_evict,
	.name		= "tutorial_fifo");
