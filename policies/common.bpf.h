/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.bpf.h: small helpers the shipped policies share (the .bpf.c files here).
 *
 * Everything here is __always_inline: the verifier then sees each use with
 * the exact argument types of the hook it sits in (trusted context pointers,
 * constant list ids), and nothing here needs to be a BPF subprogram.
 *
 * Concurrency: hooks run concurrently on several CPUs (the core holds only
 * the lock of the block a hook is about; "Concurrency" in
 * docs/writing-policies.md). So the policies here add to shared counters
 * with __sync_fetch_and_add(), keep per-call scratch in per-CPU maps, and
 * never hand state from one hook to another through a global. gmp_lists[]
 * is written only by the init hook, before any other hook runs.
 */
#ifndef __GMEM_POLICIES_COMMON_BPF_H
#define __GMEM_POLICIES_COMMON_BPF_H

#include "gmem.bpf.h"

/* GMEM_MAX_DEVICES of the UAPI: a macro, so it is not in the BTF header. */
#define GMP_MAX_DEVS	8

/*
 * May @id go as a victim of @ec? The core refuses, and counts against the
 * policy, blocks that are not resident on the short device, pinned, busy
 * (in flight for the current fault) or the block being faulted in; checking
 * first keeps a policy's decisions valid. @bi is filled for the caller.
 */
static __always_inline bool gmp_victim_ok(const struct gmem_evict_ctx *ec, u64 id,
					  struct gmem_block_info *bi)
{
	if (id == ec->busy_blk_id || bpf_gmem_block_state(id, bi))
		return false;
	return gmem_resident_on(bi, ec->dev) &&
	       !(bi->flags & (GMEM_BF_PINNED | GMEM_BF_BUSY));
}

/*
 * The value of @key in the hash map @map, created from @zero (a zeroed
 * global of the value type: values may be larger than the BPF stack) when
 * missing. NULL only when the map is full.
 */
#define gmp_lookup_or_init(map, key, zero) ({					\
	void *__v = bpf_map_lookup_elem(map, key);				\
	if (!__v) {								\
		bpf_map_update_elem(map, key, zero, BPF_NOEXIST);		\
		__v = bpf_map_lookup_elem(map, key);				\
	}									\
	__v;									\
})

/*
 * @i reduced modulo @n, a power of two, in a way the verifier can follow.
 * Callers range-check @i first for meaning; the mask is for the verifier:
 * clang may compile a plain range check into a test on a copy of @i, which
 * tells the verifier nothing about @i itself, and it would drop a mask it can
 * prove redundant, hence the barrier.
 */
#define gmp_idx(i, n) ({						\
	u32 ___i = (i);							\
	_Static_assert(((n) & ((n) - 1)) == 0, "gmp_idx: n must be a power of two"); \
	barrier_var(___i);						\
	___i & ((n) - 1);						\
})

/* Kernel list ids: up to GMP_LISTS_PER_DEV lists per device, device-major. */
#define GMP_LISTS_PER_DEV	4
static s64 gmp_lists[GMP_MAX_DEVS * GMP_LISTS_PER_DEV];

/* List @which of device @dev; 0 (no list: kfuncs refuse it) if out of range. */
static __always_inline s64 gmp_list(u32 dev, u32 which)
{
	if (dev >= GMP_MAX_DEVS || which >= GMP_LISTS_PER_DEV)
		return 0;
	return gmp_lists[gmp_idx(dev * GMP_LISTS_PER_DEV + which,
				 GMP_MAX_DEVS * GMP_LISTS_PER_DEV)];
}

/*
 * From the init hook: create lists 0..@nr-1 of every device. Returns 0 or the
 * first error of bpf_gmem_list_create(), which refuses the attach.
 */
static __always_inline s32 gmp_create_lists(u32 nr)
{
	u32 dev, which;
	s64 id;

	bpf_for(dev, 0, GMP_MAX_DEVS) {
		bpf_for(which, 0, nr < GMP_LISTS_PER_DEV ? nr : GMP_LISTS_PER_DEV) {
			id = bpf_gmem_list_create();
			if (id < 0)
				return id;
			gmp_lists[gmp_idx(dev * GMP_LISTS_PER_DEV + which,
					  GMP_MAX_DEVS * GMP_LISTS_PER_DEV)] = id;
		}
	}
	return 0;
}

#endif /* __GMEM_POLICIES_COMMON_BPF_H */
