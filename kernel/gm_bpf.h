/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF policy layer's private interface: shared by the dispatcher
 * (gm_policy.c), the hook calls and safety net (gm_bpf.c), the struct_ops
 * glue (gm_bpf_ops.c) and the kfuncs and policy lists (gm_bpf_kfuncs.c).
 * The core only ever sees gm_policy.h.
 *
 * Locking: the active policy is an RCU pointer (gm_active); hooks run inside
 * rcu_read_lock() with preemption disabled, so a policy's hooks have all
 * returned one grace period after it stopped being active. Attach, detach
 * and replace serialize on gm_policy_mutex; ejection from a hook context is
 * deferred to a work item (gm_bpf.c). The kfuncs find the hook call they
 * run in through a per-CPU pointer (gm_bpf_call()).
 *
 * The types below that BPF programs use (struct gmem_ops, struct
 * gmem_block_info and the enums) reach them through the module's BTF
 * (build/include/gmem_vmlinux.h); bpf/gmem.bpf.h documents them for
 * policy writers.
 */
#ifndef _GM_BPF_H
#define _GM_BPF_H

#include <linux/percpu.h>
#include <linux/preempt.h>

#include "gm_policy.h"

struct bpf_prog;
struct gm_block;
struct gm_object;
struct gm_plist;

/*
 * The policy's entry points. Every hook is optional; a missing one means
 * "the built-in policy decides". Hooks run in process context, concurrently
 * on different CPUs for different blocks, and must not sleep (struct_ops
 * programs are non-sleepable). Each call is timed: a call longer than
 * gmem.watchdog_ms, or all the calls of one core operation taking longer
 * than that together, ejects the policy; a watchdog outside the hooks notices a call
 * that has not returned.
 */
struct gmem_ops {
	/* Attach: before the policy gets any other call. <0 refuses the attach. */
	s32 (*init)(void);
	/* Detach or ejection: why, in @info. kfuncs no longer act here. */
	void (*exit)(struct gmem_exit_info *info);
	void (*obj_init)(u32 obj, u64 start, u64 size, u32 nr_blocks);
	void (*obj_exit)(u32 obj);
	/*
	 * A device faulted on a block: return enum gmem_place. With
	 * GMEM_OPS_FAULT_PREFETCH it also requests the fault's prefetch.
	 */
	s32 (*fault)(struct gmem_fault_ctx *ctx);
	/* After the fault's placement: request blocks with bpf_gmem_prefetch(). */
	void (*prefetch)(struct gmem_fault_ctx *ctx);
	/* HBM of ctx->dev is short: nominate ctx->nr victims with bpf_gmem_evict_nominate(). */
	void (*evict)(struct gmem_evict_ctx *ctx);
	/*
	 * Notifications: @blk_id arrived on @dev, was touched there, left it.
	 * accessed() may request blocks with bpf_gmem_prefetch_dev() when the
	 * device reported the access (not when a fault did).
	 */
	void (*activated)(u32 dev, u64 blk_id, u32 how);
	void (*accessed)(u32 dev, u64 blk_id, u32 write);
	void (*evicted)(u32 dev, u64 blk_id);
	/* A user hint (enum gmem_advice) for blocks [first, first + nr) of @obj. */
	void (*advise)(u32 obj, u32 first, u32 nr, u32 advice, u64 value);
	u64 flags;			/* enum gmem_ops_flags */
	char name[GMEM_NAME_LEN];	/* non-empty, printable */
	/*
	 * 0: system-wide. Else the id of a cgroup v2 directory: the policy
	 * decides for objects created in it or below (gm_bpf_attach.c).
	 */
	u64 cgroup_id;
};

/* bpf_gmem_block_state() output; lives on the BPF program's stack. */
struct gmem_block_info {
	u32 state;		/* enum gmem_block_state */
	u32 dev;		/* device when DEVICE/BOTH/REMOTE, else GMEM_NO_DEV */
	u32 flags;		/* enum gmem_block_flags */
	s32 list;		/* policy list holding it, -1 if none */
	u64 tag;		/* GMEM_ADV_TAG value */
	u64 last_access;	/* core clock of the last device access */
	u32 pref_dev;		/* GMEM_ADV_PREFERRED device, GMEM_NO_DEV if none,
				 * GMEM_PREF_HOST for the host */
	u32 pad;
};

/* gmem_ops.flags */
enum gmem_ops_flags {
	/*
	 * The fault hook requests the fault's prefetch itself, with
	 * bpf_gmem_prefetch() on its ctx: the policy has no prefetch hook,
	 * and the built-in read-ahead does not run for it. One hook call per
	 * fault instead of two. The blocks move after the faulting one is
	 * placed (none if it is mapped remote or cannot be brought in).
	 */
	GMEM_OPS_FAULT_PREFETCH	= 1 << 0,
	GMEM_OPS_ALL_FLAGS	= GMEM_OPS_FAULT_PREFETCH,
};

/* Constants for BPF, emitted into BTF (macros do not survive into BTF). */
enum gmem_bpf_consts {
	GMEM_PREFETCH_BUDGET	= GM_PREFETCH_BUDGET,
	GMEM_EVICT_MAX		= GM_EVICT_MAX,
	GMEM_NO_DEV		= GM_NO_DEV,
	GMEM_PREF_HOST		= GM_PREF_HOST,	/* gmem_block_info.pref_dev: the host */
	GMEM_LISTS_MAX		= 64,	/* lists one policy may create */
};

/*
 * The core's LRU lists of each device, one per eviction class, least
 * recently used first (enum gm_lru_list without its PINNED list): list id
 * -(1 + dev * GMEM_LRU_CLASSES + class), gmem_lru_list() in gmem.bpf.h.
 * Every policy may walk them; only the core changes them.
 */
enum gmem_lru_class {
	GMEM_LRU_COLD		= GM_LRU_COLD,
	GMEM_LRU_NORMAL		= GM_LRU_NORMAL,
	GMEM_LRU_HOT		= GM_LRU_HOT,
	GMEM_LRU_CLASSES	= GM_LRU_PINNED,
};

enum gmem_block_flags {
	GMEM_BF_PINNED		= GM_BLK_PINNED,
	GMEM_BF_PREFETCHED	= GM_BLK_PREFETCHED,
	GMEM_BF_HOT		= GM_BLK_HOT,
	GMEM_BF_COLD		= GM_BLK_COLD,
	GMEM_BF_BUSY		= GM_BLK_BUSY,
	GMEM_BF_DIRTY		= GM_BLK_DIRTY,	/* DEVICE: written there, eviction writes back */
	GMEM_BF_RESIDENT	= BIT(16),	/* in @dev's HBM: DEVICE or BOTH (a read copy) */
	GMEM_BF_INFLIGHT	= BIT(17),	/* a copy to or from a device is in flight */
	/* serviced by the batch of faults still being serviced on its device:
	 * the device runs the access after the whole batch */
	GMEM_BF_BATCH		= BIT(18),
};

/* One attached struct gmem_ops (kdata), from .reg to .unreg. */
struct gm_bpf_policy {
	struct gmem_ops *ops;		/* valid until .unreg returns */
	char name[GMEM_NAME_LEN];
	u64 cgroup_id;			/* 0: system-wide (gm_bpf_attach.c) */
	bool ejected;			/* no longer in charge; gm_eject_lock */
	u64 since_ns;			/* CLOCK_REALTIME of attach */
	struct list_head node;		/* on gm_bpf_policies, gm_policy_mutex */
	spinlock_t plist_lock;		/* its lists (gm_bpf_kfuncs.c) */
	struct list_head lists;		/* its struct gm_plist, plist_lock */
	u32 nr_lists;			/* plist_lock */
	/* Its lists by id % GMEM_LISTS_MAX, found without the xarray; plist_lock. */
	struct gm_plist *plist_hint[GMEM_LISTS_MAX];
	struct work_struct eject_work;	/* finishes an ejection from a hook */
	atomic64_t reject_start_ns;	/* invalid-decision window */
	atomic_t window_rejects;
	/* This attachment's own counters and exit record (GMEM_IOC_POLICY_LIST). */
	atomic64_t hook_calls, hook_ns, rejects;
	struct gmem_exit_info exit;	/* gm_eject_lock */
};

/* The hook call running on this CPU (per-call state; kfuncs read it). */
struct gm_hook_call {
	struct gm_bpf_policy *pol;
	const char *hook;
	u64 start_ns;
	/* prefetch hook, accessed hook of a device report: prefetch target */
	struct gm_fault_req *fault;
	struct gm_evict_req *evict;	/* evict hook: bpf_gmem_evict_nominate() target */
	/*
	 * The block this call last resolved by id (NULL: no such block), so
	 * that the kfuncs of one decision look a block up once. A hook about
	 * one block starts with it; @blk_ours: @pol decides for it.
	 */
	u64 blk_id;
	struct gm_block *blk;
	bool blk_ours;
	u32 kfunc_calls;		/* the clock is read every GM_KFUNC_CLOCK_EVERY-th */
	enum gmem_exit_kind eject_kind;	/* ejection requested from inside the hook */
	char eject_msg[GMEM_EXIT_MSG_LEN];
};

extern struct mutex gm_policy_mutex;
extern struct gm_bpf_policy __rcu *gm_active;	/* in charge; NULL: built-in */
extern struct list_head gm_bpf_policies;	/* registered: active or ejected */

/* gm_bpf.c: the system-wide policy in charge, or NULL; RCU held. */
struct gm_bpf_policy *gm_active_get(void);

/* gm_bpf_attach.c: per-cgroup attachments. */
struct gm_bpf_policy *gm_obj_policy(struct gm_object *obj);	/* RCU held */
bool gm_att_has(const struct gm_bpf_policy *pol);		/* RCU held */
struct gm_bpf_policy *gm_att_find(u64 cgid);			/* gm_policy_mutex */
int gm_att_set(struct gm_bpf_policy *old, struct gm_bpf_policy *pol);	/* gm_policy_mutex */
int gm_att_check_cgroup(u64 cgid);
void gm_att_exit(void);

/* gm_policy.c: count an invalid BPF decision (may eject the policy). */
void gm_policy_reject(enum gmem_reject why);

/* gm_bpf.c: hook calls; each returns false when no BPF hook ran. */
bool gm_bpf_fault(struct gm_fault_req *req, int *place);
bool gm_bpf_prefetch(struct gm_fault_req *req);
bool gm_bpf_evict(struct gm_evict_req *req);
void gm_bpf_obj_init(struct gm_object *obj);
void gm_bpf_obj_exit(struct gm_object *obj);
void gm_bpf_activated(struct gm_block *blk, u32 how);
void gm_bpf_accessed(struct gm_block *blk, bool write, struct gm_fault_req *req);
void gm_bpf_evicted(struct gm_block *blk);
void gm_bpf_advise(struct gm_object *obj, u32 first, u32 nr, u32 advice, u64 value);
bool gm_bpf_in_charge(struct gm_object *obj);
int gm_bpf_policy_list(struct gmem_policy_list *req);

/* gm_bpf.c: safety. */
void gm_bpf_note_reject(enum gmem_reject why);
void gm_bpf_request_eject(enum gmem_exit_kind kind, const char *msg);
void gm_bpf_status(struct gmem_policy_status *st);
void gm_bpf_policy_init(struct gm_bpf_policy *pol);
int gm_bpf_run_init(struct gm_bpf_policy *pol);
void gm_bpf_eject_now(struct gm_bpf_policy *pol, enum gmem_exit_kind kind,
		      const char *msg);
void gm_bpf_count_load(void);
int gm_bpf_safety_init(void);
void gm_bpf_safety_exit(void);

/* gm_bpf_ops.c: struct_ops registration. */
int gm_bpf_init(void);
void gm_bpf_exit(void);

/*
 * For the kfuncs: the hook call running on this CPU, if its kfuncs may act:
 * its policy not ejected, no ejection pending, and within the watchdog
 * limit. A hook over the limit gets NULL from here on, so its kfunc-driven
 * loops end. The clock is read on every GM_KFUNC_CLOCK_EVERY-th kfunc call
 * of a hook only (gm_bpf_call_overdue()): a clock read would be a large part
 * of a cheap kfunc, and a loop over kfuncs still ends within that many calls
 * of the limit; the watchdog outside the hooks (gm_bpf.c) sets ->ejected,
 * which every call checks.
 */
#define GM_KFUNC_CLOCK_EVERY	16

DECLARE_PER_CPU(struct gm_hook_call *, gm_cur_call);
bool gm_bpf_call_overdue(struct gm_hook_call *call);

static inline struct gm_hook_call *gm_bpf_call(void)
{
	struct gm_hook_call *call;

	if (!in_task())
		return NULL;
	call = this_cpu_read(gm_cur_call);
	if (!call || READ_ONCE(call->pol->ejected) || call->eject_kind != GMEM_EXIT_NONE)
		return NULL;
	if (!(++call->kfunc_calls % GM_KFUNC_CLOCK_EVERY) && gm_bpf_call_overdue(call))
		return NULL;
	return call;
}

/* The policy whose hook current is running, if its kfuncs may act, or NULL. */
static inline struct gm_bpf_policy *gm_bpf_caller(void)
{
	struct gm_hook_call *call = gm_bpf_call();

	return call ? call->pol : NULL;
}

bool gm_bpf_prog_is_policy(const struct bpf_prog *prog);

/* gm_bpf_kfuncs.c */
int gm_bpf_kfuncs_register(void);
void gm_plist_arrive(struct gm_block *blk);
void gm_plist_unlink(struct gm_block *blk);
void gm_plist_destroy_all(struct gm_bpf_policy *pol);

#endif /* _GM_BPF_H */
