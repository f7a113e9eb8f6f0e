/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem.bpf.h: what a gmem memory policy includes.
 *
 * A policy is a BPF struct_ops map of type struct gmem_ops (kernel/gm_bpf.h
 * documents every hook). The kernel+module type header gmem_vmlinux.h (built
 * from gmem.ko's BTF) provides struct gmem_ops, the hook contexts
 * (struct gmem_fault_ctx, struct gmem_evict_ctx, struct gmem_exit_info,
 * struct gmem_block_info) and the enums (enum gmem_place, gmem_activation,
 * gmem_block_state, gmem_advice, gmem_exit_kind, gmem_block_flags and
 * gmem_bpf_consts: GMEM_PREFETCH_BUDGET, GMEM_EVICT_MAX, GMEM_NO_DEV,
 * GMEM_LISTS_MAX).
 *
 * Hook context: every hook runs in process context, inside an RCU read
 * section with preemption off, and must not sleep; struct_ops programs here
 * are non-sleepable. Hooks run concurrently on several CPUs, never two for
 * the same block ("Concurrency" in docs/writing-policies.md). Each call is timed; one that runs longer than
 * gmem.watchdog_ms ejects the policy. Decisions are validated: an invalid
 * victim or prefetch is ignored and counted, and more than gmem.max_rejects
 * of them within a second eject the policy. The built-in policy completes
 * whatever the policy leaves undone and takes over after an ejection.
 *
 * A minimal policy:
 *
 *	#include "gmem.bpf.h"
 *	char _license[] SEC("license") = "GPL";
 *
 *	void GMEM_HOOK(my_evict, struct gmem_evict_ctx *ec) { ... }
 *	GMEM_OPS_DEFINE(my_ops, .evict = (void *)my_evict, .name = "mine");
 */
#ifndef __GMEM_BPF_H
#define __GMEM_BPF_H

#include "gmem_vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

/* ---- kfuncs (kernel/gm_bpf_kfuncs.c documents errors) ---------------------- */

/*
 * prefetch hook, or the fault hook with GMEM_OPS_FAULT_PREFETCH in the ops'
 * flags: request blocks [blk_id, blk_id + nr) of the faulting object.
 */
extern s32 bpf_gmem_prefetch(struct gmem_fault_ctx *ctx, u64 blk_id, u32 nr) __ksym;
/*
 * prefetch hook, and accessed hook when the device reported the access:
 * request blocks [blk_id, blk_id + nr) of the fault's or access's object
 * for its device @dev (prefetch as the device goes, without a fault).
 */
extern s32 bpf_gmem_prefetch_dev(u32 dev, u64 blk_id, u32 nr) __ksym;
/* evict hook only: nominate a victim; returns victims still wanted, or -errno. */
extern s32 bpf_gmem_evict_nominate(struct gmem_evict_ctx *ctx, u64 blk_id) __ksym;

/*
 * Kernel-owned lists of device-resident blocks (destroyed when the policy
 * goes). The walkers (first, next) also read the core's own LRU lists,
 * gmem_lru_list() below; the other list kfuncs refuse those.
 */
extern s64 bpf_gmem_list_create(void) __ksym;
extern int bpf_gmem_list_add(s64 list, u64 blk_id, bool tail) __ksym;
extern int bpf_gmem_list_move(s64 list, u64 blk_id, bool tail) __ksym;
extern int bpf_gmem_list_del(u64 blk_id) __ksym;
extern u64 bpf_gmem_list_first(s64 list) __ksym;
extern u64 bpf_gmem_list_next(s64 list, u64 blk_id) __ksym;
extern s64 bpf_gmem_list_len(s64 list) __ksym;

/* Readers. */
extern int bpf_gmem_block_state(u64 blk_id, struct gmem_block_info *info) __ksym;
extern u64 bpf_gmem_block_tag(u64 blk_id) __ksym;
extern s64 bpf_gmem_obj_range(u32 obj, u64 *start, u64 *size) __ksym;
extern s64 bpf_gmem_dev_capacity(u32 dev) __ksym;
extern s64 bpf_gmem_dev_used(u32 dev) __ksym;
/* HBM limits per cgroup (docs/multi-tenant.md): the tenant's cgroup id, 0 if none. */
extern u64 bpf_gmem_block_tenant(u64 blk_id) __ksym;
/* Blocks tenant @cgid holds on @dev; its limit in blocks (0: none). -ENOENT: no such tenant. */
extern s64 bpf_gmem_tenant_used(u64 cgid, u32 dev) __ksym;
extern s64 bpf_gmem_tenant_limit(u64 cgid) __ksym;

/* Eject this policy with @msg (see gmem_error()). */
extern void bpf_gmem_error(const char *msg, u32 msg__sz) __ksym;

/* ---- block ids: the object id in the high 32 bits, the block index in the low */

#define GMEM_NO_BLK	0ULL	/* object ids start at 1: no block has id 0 */

static __always_inline u64 gmem_blk_id(u32 obj, u32 idx)
{
	return ((u64)obj << 32) | idx;
}

static __always_inline u32 gmem_blk_obj(u64 blk_id)
{
	return blk_id >> 32;
}

static __always_inline u32 gmem_blk_idx(u64 blk_id)
{
	return (u32)blk_id;
}

/* ---- block residency ------------------------------------------------------ */

/*
 * Is the block @bi (from bpf_gmem_block_state()) in the HBM of @dev, as the
 * only copy (DEVICE) or as a read copy (BOTH)? Either is a valid victim
 * there; test GMEM_BF_DIRTY to prefer victims whose eviction is a drop.
 */
static __always_inline bool gmem_resident_on(const struct gmem_block_info *bi, u32 dev)
{
	return (bi->flags & GMEM_BF_RESIDENT) && bi->dev == dev;
}

/* ---- the core's LRU lists -------------------------------------------------- */

/*
 * The list id of the core's LRU list of device @dev for eviction class @cls
 * (GMEM_LRU_COLD: COLD-hinted blocks, GMEM_LRU_NORMAL, GMEM_LRU_HOT), least
 * recently used first: blocks join the tail when they arrive on the device
 * and when the device uses them, and change list when a hint changes their
 * class; pinned blocks are on none. The core keeps these lists whatever the
 * policy (the built-in policy evicts from them), so a policy that wants LRU
 * order can walk them with gmem_list_for_each() instead of keeping its own
 * copy through the activated and accessed hooks, each a hook call per
 * access. A walk shows only blocks the policy decides for (its tenant's,
 * not being unmapped); bpf_gmem_list_len() of one is -EOPNOTSUPP.
 */
static __always_inline s64 gmem_lru_list(u32 dev, u32 cls)
{
	return -(s64)(1 + dev * GMEM_LRU_CLASSES + cls);
}

/* ---- defining a policy ---------------------------------------------------- */

/*
 * A hook program: void GMEM_HOOK(name, args...) { ... } with the member's
 * typed arguments. BPF_PROG() names the raw context `ctx`: call the hook's
 * context argument something else (fc, ec).
 */
#define GMEM_HOOK(name, args...)					\
	SEC("struct_ops/" #name) BPF_PROG(name, ##args)

/* The policy itself: a struct_ops map attached through a BPF link. */
#define GMEM_OPS_DEFINE(__name, ...)					\
	SEC(".struct_ops.link")						\
	struct gmem_ops __name = { __VA_ARGS__ }

/*
 * Walk @list from its head, at most @max blocks, with the block id in @id
 * (a u64 declared by the caller). Bounded through an open-coded iterator so
 * the verifier's cost does not grow with @max. The next block is looked up
 * from @id after the body ran: nominating @id is fine, but a body that moves
 * @id elsewhere (another list, or this list's tail) ends the walk there.
 *
 *	u64 id;
 *	gmem_list_for_each(lru, id, 4096)
 *		if (bpf_gmem_evict_nominate(ec, id) == 0)
 *			break;
 */
#define gmem_list_for_each(list, id, max)					\
	for (struct bpf_iter_num ___gmit __attribute__((aligned(8),		\
					cleanup(bpf_iter_num_destroy))),	\
	     *___gmp __attribute__((unused)) = (				\
			bpf_iter_num_new(&___gmit, 0, (max)),			\
			(void)bpf_iter_num_destroy,				\
			(id) = bpf_gmem_list_first(list), (void *)0);		\
	     (id) != GMEM_NO_BLK && bpf_iter_num_next(&___gmit);		\
	     (id) = bpf_gmem_list_next((list), (id)))

/*
 * Eject the policy with a printf-style message (at most 127 characters;
 * bpf_snprintf() conversions). The ejection takes effect when the hook
 * returns; kfuncs stop acting at once.
 */
#define GMEM_ERROR_MSG_LEN	128	/* GMEM_EXIT_MSG_LEN in the UAPI */
#define gmem_error(fmt, args...) ({						\
	char ___gmbuf[GMEM_ERROR_MSG_LEN];					\
	BPF_SNPRINTF(___gmbuf, sizeof(___gmbuf), fmt, ##args);			\
	bpf_gmem_error(___gmbuf, sizeof(___gmbuf));				\
})

#endif /* __GMEM_BPF_H */
