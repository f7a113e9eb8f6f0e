// SPDX-License-Identifier: GPL-2.0
/*
 * lru_walk: reads the core's LRU lists (gmem_lru_list()) from its evict
 * hook and records what it saw, for test_bpf's lru_lists_readable: the
 * block indexes of the COLD and NORMAL lists in order (at most 32 each),
 * what the kfuncs that change lists say about one, and what a walk of a
 * list id of no device returns. Nominates the head of COLD, else of NORMAL
 * (the built-in policy's choice).
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

#define MAX_SEEN	32

u32 cold[MAX_SEEN], normal[MAX_SEEN];
u32 nr_cold, nr_normal;
u64 evict_calls;
s32 move_ret, add_ret;		/* bpf_gmem_list_move/add() on an LRU list */
s64 len_ret;			/* bpf_gmem_list_len() of one */
u64 no_dev_first;		/* bpf_gmem_list_first() of a list id past the devices */

/* Record the first MAX_SEEN blocks of @list (a plain bounded loop: the verifier checks each step once). */
static __always_inline u32 walk(s64 list, u32 *seen)
{
	u64 id = bpf_gmem_list_first(list);
	u32 n;

	for (n = 0; n < MAX_SEEN && id; n++) {
		seen[n] = gmem_blk_idx(id);
		id = bpf_gmem_list_next(list, id);
	}
	return n;
}

void GMEM_HOOK(lw_evict, struct gmem_evict_ctx *ec)
{
	s64 cold_list = gmem_lru_list(ec->dev, GMEM_LRU_COLD);
	s64 normal_list = gmem_lru_list(ec->dev, GMEM_LRU_NORMAL);
	u64 victim;

	evict_calls++;
	nr_cold = walk(cold_list, cold);
	nr_normal = walk(normal_list, normal);
	victim = bpf_gmem_list_first(nr_cold ? cold_list : normal_list);
	move_ret = bpf_gmem_list_move(normal_list, victim, true);
	add_ret = bpf_gmem_list_add(cold_list, victim, false);
	len_ret = bpf_gmem_list_len(normal_list);
	no_dev_first = bpf_gmem_list_first(gmem_lru_list(8 /* GMEM_MAX_DEVICES */, GMEM_LRU_NORMAL)) |
		       bpf_gmem_list_first(-1000000);
	if (victim)
		bpf_gmem_evict_nominate(ec, victim);
}

GMEM_OPS_DEFINE(lru_walk_ops,
	.evict		= (void *)lw_evict,
	.name		= "lru_walk");
