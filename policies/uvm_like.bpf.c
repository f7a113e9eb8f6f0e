// SPDX-License-Identifier: GPL-2.0
/*
 * uvm_like: NVIDIA UVM's default policy, as the baseline users know.
 *
 * What it decides: eviction and prefetch (placement stays built-in).
 *
 * Mapping: UVM migrates 4 KiB pages inside 2 MiB VA blocks and evicts 2 MiB
 * root chunks. gmem migrates whole blocks, 2 MiB by default, so one gmem
 * block stands for one root chunk. UVM's prefetcher works inside one VA
 * block over its pages; here it works inside an aligned region of
 * uvm_perf_prefetch_region_blocks blocks (32 by default) of the vm_object,
 * over its blocks. With 2 MiB blocks that is a 64 MiB region of 2 MiB
 * leaves, where UVM has a 2 MiB region of 4 KiB leaves: the same tree one
 * level of granularity up.
 *
 * Eviction (uvm_pmm_gpu.c, pick_root_chunk_to_evict()): root chunks are
 * evicted from the head of the "used" list, which a chunk joins at the tail
 * when it is allocated to a VA block. Device accesses do not reorder it
 * (UVM's own TODO, bug 1765193), so it is least recently *migrated* first,
 * not least recently accessed. UVM takes free chunks first, then chunks on
 * its "unused" list (allocated to a VA block but holding no resident pages);
 * gmem frees the HBM block the moment its data leaves, so free blocks are
 * always used before eviction is asked for and an "unused" block cannot
 * exist here. Pinned blocks are skipped (UVM takes pinned chunks off the
 * lists).
 *
 * Prefetch (uvm_perf_prefetch.c, the density "bitmap tree"): on a fault, the
 * leaves of the faulting block's region are marked when resident on the
 * faulting device or faulted in this batch; walking up the tree from the
 * faulting leaf, each enclosing subregion whose marked fraction exceeds
 * uvm_perf_prefetch_threshold percent (51) becomes the prefetch region, and
 * its unmarked blocks are prefetched. A fault batch here is one fault, so
 * uvm_perf_prefetch_min_faults (faulted leaves a batch needs before the
 * prefetcher runs) is satisfied at its default of 1 and turns prefetching
 * off above it.
 *
 * Not modelled: UVM's thrashing detection (uvm_perf_thrashing_*) throttles
 * and pins by wall-clock windows of microseconds; in a simulator those
 * windows make counts depend on host speed, so the baseline leaves it out
 * (as uvm_perf_thrashing_enable=0 would).
 *
 * Maps (bpftool map dump name ...):
 *   uvm_obj  per vm_object id: struct uvm_obj (faults, regions prefetched,
 *            blocks requested, arrivals, victims)
 */
#include "common.bpf.h"

char _license[] SEC("license") = "GPL";

const volatile char gmem_desc[96] =
	"NVIDIA UVM defaults: evict least recently migrated, density-tree prefetch";

const volatile u32 uvm_perf_prefetch_enable = 1;
const volatile u32 uvm_perf_prefetch_threshold = 51;	/* percent, 1..100 */
const volatile u32 uvm_perf_prefetch_min_faults = 1;	/* 1..512 in UVM */
/* Leaves of one prefetch tree: a power of two, at most GMEM_PREFETCH_BUDGET. */
const volatile u32 uvm_perf_prefetch_region_blocks = 32;
/* Longest list walk of one evict call. */
const volatile u32 scan_max = 1 << 16;

#define UVM_MAX_LEAVES	32	/* GMEM_PREFETCH_BUDGET: a region fits one fault's budget */

struct uvm_obj {
	u64 faults;		/* device faults that migrated a block */
	u64 regions;		/* faults whose prefetch region grew past the block */
	u64 requested;		/* blocks requested by the prefetcher */
	u64 arrivals;		/* blocks that became resident (any reason) */
	u64 victims;		/* blocks nominated for eviction */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);		/* vm_object id */
	__type(value, struct uvm_obj);
} uvm_obj SEC(".maps");

static const struct uvm_obj uvm_obj_zero;
#define UVM_USED	0	/* gmp_list(dev, UVM_USED): resident blocks, oldest migration first */

static __always_inline struct uvm_obj *obj_of(u32 obj)
{
	return gmp_lookup_or_init(&uvm_obj, &obj, &uvm_obj_zero);
}

s32 GMEM_HOOK(uvm_init)
{
	return gmp_create_lists(1);
}

/* Allocation to a VA block puts the chunk at the tail of the used list. */
void GMEM_HOOK(uvm_activated, u32 dev, u64 blk_id, u32 how)
{
	struct uvm_obj *o;

	bpf_gmem_list_move(gmp_list(dev, UVM_USED), blk_id, true);
	o = obj_of(gmem_blk_obj(blk_id));
	if (o)
		__sync_fetch_and_add(&o->arrivals, 1);
}

void GMEM_HOOK(uvm_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	struct uvm_obj *o;
	s32 left;
	s64 list = gmp_list(ec->dev, UVM_USED);
	u64 id;

	gmem_list_for_each(list, id, scan_max) {
		if (!gmp_victim_ok(ec, id, &bi))
			continue;
		left = bpf_gmem_evict_nominate(ec, id);
		if (left < 0)
			continue;
		o = obj_of(gmem_blk_obj(id));
		if (o)
			__sync_fetch_and_add(&o->victims, 1);
		if (left == 0)
			break;
	}
}

/* Leaves of the region [first, first + n) resident on @dev, as a bitmap. */
static __always_inline u32 uvm_resident_mask(u32 obj, u32 first, u32 n, u32 dev)
{
	struct gmem_block_info bi = {};
	u32 i, mask = 0;

	bpf_for(i, 0, n) {
		if (i >= UVM_MAX_LEAVES)
			break;
		if (!bpf_gmem_block_state(gmem_blk_id(obj, first + i), &bi) &&
		    gmem_resident_on(&bi, dev))
			mask |= 1u << i;
	}
	return mask;
}

static __always_inline u32 uvm_popcount(u32 v)
{
	v = v - ((v >> 1) & 0x55555555);
	v = (v & 0x33333333) + ((v >> 2) & 0x33333333);
	return (((v + (v >> 4)) & 0x0f0f0f0f) * 0x01010101) >> 24;
}

/*
 * Walk up the tree from @leaf; return the largest subregion (as a leaf
 * mask) whose marked share is over the threshold. Subregions are clipped to
 * the @n leaves that exist, as UVM clips them to the VA block.
 */
static __always_inline u32 uvm_prefetch_region(u32 marked, u32 leaf, u32 n)
{
	u32 level, size, start, span, sub, region = 1u << leaf;
	u32 all = n >= 32 ? ~0u : (1u << n) - 1;

	bpf_for(level, 1, 6) {
		size = 1u << level;
		if (size > UVM_MAX_LEAVES || size / 2 >= n)
			break;
		start = leaf & ~(size - 1);
		sub = (size >= 32 ? ~0u : ((1u << size) - 1) << start) & all;
		span = uvm_popcount(sub);
		if (uvm_popcount(marked & sub) * 100 > span * uvm_perf_prefetch_threshold)
			region = sub;
	}
	return region;
}

void GMEM_HOOK(uvm_prefetch, struct gmem_fault_ctx *fc)
{
	u32 rb = uvm_perf_prefetch_region_blocks, first, n, leaf, marked, region, i;
	struct uvm_obj *o = obj_of(fc->obj);

	if (o)
		__sync_fetch_and_add(&o->faults, 1);
	/* One fault per batch: the batch has min_faults faulted leaves only at 1. */
	if (!uvm_perf_prefetch_enable || uvm_perf_prefetch_min_faults > 1)
		return;
	if (rb > UVM_MAX_LEAVES)
		rb = UVM_MAX_LEAVES;
	if (rb < 2 || (rb & (rb - 1)))
		return;
	first = fc->idx & ~(rb - 1);
	n = fc->nr_blocks - first < rb ? fc->nr_blocks - first : rb;
	leaf = fc->idx - first;
	if (leaf >= UVM_MAX_LEAVES)
		return;
	marked = uvm_resident_mask(fc->obj, first, n, fc->dev) | (1u << leaf);
	region = uvm_prefetch_region(marked, leaf, n) & ~marked;
	if (!region)
		return;
	if (o)
		__sync_fetch_and_add(&o->regions, 1);
	bpf_for(i, 0, n) {
		if (i < UVM_MAX_LEAVES && (region & (1u << i)) &&
		    bpf_gmem_prefetch(fc, gmem_blk_id(fc->obj, first + i), 1) > 0 && o)
			__sync_fetch_and_add(&o->requested, 1);
	}
}

void GMEM_HOOK(uvm_obj_exit, u32 obj)
{
	bpf_map_delete_elem(&uvm_obj, &obj);
}

GMEM_OPS_DEFINE(uvm_like_ops,
	.init		= (void *)uvm_init,
	.activated	= (void *)uvm_activated,
	.evict		= (void *)uvm_evict,
	.prefetch	= (void *)uvm_prefetch,
	.obj_exit	= (void *)uvm_obj_exit,
	.name		= "uvm_like");
