/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The core's one internal policy interface.
 *
 * The core never decides placement, victims or prefetch itself: it asks
 * through the gm_policy_*() calls below, which go to the active BPF policy
 * (struct gmem_ops, gm_bpf.c) when one is attached and healthy, and to the
 * built-in C policy (gm_builtin.c) otherwise. Every answer from BPF is
 * validated in gm_policy.c; whatever BPF leaves undone (a rejected victim, too
 * few victims) is completed by the built-in policy, so a fault is always
 * served and HBM pressure always resolved.
 *
 * All calls: process context, with the lock of the block concerned held
 * (the faulting block for fault/prefetch/evict, the block itself for the
 * notifications) and nothing wider. Calls for different blocks run
 * concurrently on different CPUs; see gm_bpf.c for what that means for BPF
 * policies.
 */
#ifndef _GM_POLICY_H
#define _GM_POLICY_H

#include "gm_core.h"

struct gm_lookup;

/* Placement answers of the fault hook. */
enum gmem_place {
	GMEM_PLACE_DEFAULT	= 0,	/* let the core decide (migrate to the faulting device) */
	GMEM_PLACE_MIGRATE	= 1,	/* migrate to the faulting device */
	GMEM_PLACE_REMOTE	= 2,	/* map host pages over the bus, no migration */
};

/* Why a block became resident on a device (activated hook). */
enum gmem_activation {
	GMEM_ACT_DEMAND		= 1,
	GMEM_ACT_PREFETCH	= 2,
	GMEM_ACT_HINT		= 3,
};

#define GM_PREFETCH_BUDGET	32	/* blocks a single fault may prefetch */
#define GM_EVICT_MAX		64	/* victims one evict call may nominate */

/* BPF-visible: a device fault (argument of the fault and prefetch hooks). */
struct gmem_fault_ctx {
	u32 dev;
	u32 obj;
	u32 idx;		/* block index in the object */
	u32 write;
	u64 addr;		/* faulting address */
	u64 blk_id;		/* GMEM_BLK_ID(obj, idx) */
	u64 tag;		/* the block's tag */
	u32 nr_blocks;		/* blocks in the object */
	u32 state;		/* enum gmem_block_state before the fault */
	u32 batch_nr;		/* blocks in this fault's batch (1: a single fault) */
	u32 batch_pos;		/* this block's place in the batch, in address order */
	u64 batch_id;		/* the batch, unique per module load; 0: an access report */
};

/* BPF-visible: HBM of @dev is short by @nr blocks (argument of the evict hook). */
struct gmem_evict_ctx {
	u32 dev;
	u32 nr;			/* victims wanted */
	u64 busy_blk_id;	/* the block being brought in: never a valid victim */
	u64 hbm_blocks;
	u64 used_blocks;
};

/*
 * Kernel side of a fault, or of a device access report the accessed hook may
 * prefetch from: the BPF ctx first, then what the core collects.
 */
struct gm_fault_req {
	struct gmem_fault_ctx ctx;
	struct gm_block *blk;		/* locked by the caller */
	const struct gm_lookup *lk;	/* the caller's lookup: rights to map with */
	/*
	 * Requests come from the fault hook (GMEM_OPS_FAULT_PREFETCH), before
	 * the faulting block moves: a block resident now may be evicted by
	 * that move, so residency is left to the prefetch itself.
	 */
	bool before_bring;
	u32 nr_prefetch;
	u64 prefetch[GM_PREFETCH_BUDGET];	/* validated, deduplicated block ids */
};

/* Built per eviction round (gm_evict.c), inside one RCU read section. */
struct gm_evict_req {
	struct gmem_evict_ctx ctx;
	struct gm_block *busy;
	bool one_tenant;		/* victims of @tenant only (NULL: of none) */
	struct gm_tenant *tenant;
	u32 nr_victims;
	struct gm_block *victims[GM_EVICT_MAX];	/* validated, distinct, not locked */
};

/*
 * One core operation (a device fault, a hint): the policy hook calls it
 * makes share one time budget (gm_bpf.c). On the caller's stack between
 * gm_policy_op_begin() and gm_policy_op_end().
 */
struct gm_policy_op {
	struct list_head node;
	struct task_struct *task;
	u64 hook_ns;
};
void gm_policy_op_begin(struct gm_policy_op *op);
void gm_policy_op_end(struct gm_policy_op *op);

/* Lifecycle (gm_policy.c): module init/exit of the policy layer. */
int gm_policy_init(void);
void gm_policy_exit(void);

/* Decisions. */
int gm_policy_fault(struct gm_fault_req *req);		/* enum gmem_place, validated */
void gm_policy_prefetch(struct gm_fault_req *req);	/* fills req->prefetch[] */
/* Fills req->victims[] with exactly min(nr, evictable) blocks resident on ctx.dev. */
void gm_policy_evict(struct gm_evict_req *req);

/* Notifications. */
void gm_policy_obj_init(struct gm_object *obj);
void gm_policy_obj_dying(struct gm_object *obj);
void gm_policy_obj_exit(struct gm_object *obj);
void gm_policy_activated(struct gm_block *blk, enum gmem_activation how);
/* @req: the access as a request the hook may prefetch into (NULL: it may not). */
void gm_policy_accessed(struct gm_block *blk, bool write, struct gm_fault_req *req);
/* The block left its device (evicted, pulled back by the CPU, hint, or freed). */
void gm_policy_evicted(struct gm_block *blk);
void gm_policy_advise(struct gm_object *obj, u32 first, u32 nr, u32 advice, u64 value);

/* Status for GMEM_IOC_POLICY_STATUS. */
void gm_policy_status(struct gmem_policy_status *st);
/* GMEM_IOC_POLICY_LIST: every attachment (system-wide and per cgroup). */
int gm_policy_list(struct gmem_policy_list *req);

/* The built-in C policy (gm_builtin.c), also the fallback for BPF. */
void gm_builtin_obj_init(struct gm_object *obj);
int gm_builtin_fault(struct gm_fault_req *req);
void gm_builtin_prefetch(struct gm_fault_req *req);
/* Appends LRU victims to req->victims[] (skipping pinned, busy and already listed); RCU held. */
void gm_builtin_evict(struct gm_evict_req *req);

/* Shared validation helpers (gm_policy.c). */
bool gm_evict_req_add(struct gm_evict_req *req, struct gm_block *blk, bool count_reject);
bool gm_fault_req_add_prefetch(struct gm_fault_req *req, u64 blk_id, bool count_reject);

#endif /* _GM_POLICY_H */
