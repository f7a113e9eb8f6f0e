// SPDX-License-Identifier: GPL-2.0
/*
 * gm_bpf.c: calling the BPF policy's hooks, and the safety net around them.
 *
 * Safety follows sched_ext: the kernel always survives its policy. A policy
 * is ejected, i.e. switched off at once in favour of the built-in policy,
 * when it calls bpf_gmem_error(), when more than gmem.max_rejects of its
 * decisions are invalid within one second, when one hook call runs longer
 * than gmem.watchdog_ms, when the calls one core operation makes take longer
 * than that together (many calls in one hint), and when userspace
 * detaches it (.unreg, gm_bpf_ops.c).
 *
 * Bounding a hook: struct_ops programs are verified to terminate (the
 * verifier's instruction and loop limits); within that, a hook is checked
 * when it returns, by its kfuncs (every GM_KFUNC_CLOCK_EVERY-th call reads
 * the clock; past the limit they stop acting, so kfunc-driven loops end
 * early), and by a watchdog work item outside the hook that ejects a policy
 * whose call has been running too long (every kfunc sees that). A hook
 * that spins without calling kfuncs keeps its CPU until its verified bound
 * runs out, but it holds only the lock of the block it was called for: no
 * other block, object or device waits for it, and once ejected the policy
 * gets no further calls.
 *
 * Ejecting from a hook context (RCU read section, a block lock held) only
 * clears gm_active, records the exit info and queues pol->eject_work; the
 * work waits for an RCU grace period (every hook of the policy has
 * returned), destroys its lists and calls its exit hook, which is timed too
 * and its duration recorded in the exit message.
 *
 * Locking: gm_active is RCU (readers: hook calls; writers: under
 * gm_policy_mutex or gm_eject_lock); gm_eject_lock (spinlock) serializes
 * "ejected" transitions and the last exit record; counters are atomics;
 * the running operations are in lists hashed by task, each under its own
 * spinlock (innermost: nothing is taken under it).
 * Hooks run with preemption disabled so the per-CPU gm_cur_call names the
 * call a kfunc runs in.
 */
#include <linux/bpf.h>
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "gm_internal.h"
#include "gm_policy.h"
#include "gm_bpf.h"
#include "gm_tracepoints.h"

static unsigned int max_rejects = 64;
module_param(max_rejects, uint, 0644);
MODULE_PARM_DESC(max_rejects,
		 "Invalid decisions a BPF policy may make within one second before it is ejected (0: no limit)");

static unsigned int watchdog_ms = 1000;
module_param(watchdog_ms, uint, 0644);
MODULE_PARM_DESC(watchdog_ms,
		 "Longest a BPF policy hook may run, and all hook calls of one fault or hint together, in ms (0: off)");

#define GM_REJECT_WINDOW_NS	NSEC_PER_SEC

DEFINE_MUTEX(gm_policy_mutex);
struct gm_bpf_policy __rcu *gm_active;
LIST_HEAD(gm_bpf_policies);
static DEFINE_SPINLOCK(gm_eject_lock);
DEFINE_PER_CPU(struct gm_hook_call *, gm_cur_call);

/* What the watchdog may read of another CPU's call (not its stack). */
struct gm_hook_running {
	struct gm_bpf_policy *pol;	/* compared with gm_active, never dereferenced */
	const char *hook;		/* a string literal */
	u64 start_ns;
};
static DEFINE_PER_CPU(struct gm_hook_running, gm_running);

static struct {
	atomic64_t hook_calls;
	atomic64_t hook_ns;
	atomic64_t loads;
	atomic64_t ejections;
	atomic64_t unattended;
	struct gmem_exit_info last_exit;	/* gm_eject_lock */
} gm_bstat;

static const char *const gm_exit_reason[] = {
	[GMEM_EXIT_NONE]	= "none",
	[GMEM_EXIT_UNREG]	= "detached by userspace",
	[GMEM_EXIT_ERROR]	= "policy reported an error",
	[GMEM_EXIT_INVALID]	= "too many invalid decisions",
	[GMEM_EXIT_STALL]	= "watchdog: hook ran too long",
	[GMEM_EXIT_MODULE]	= "gmem module unloading",
};

static const char *const gm_reject_name[GMEM_REJ_NR] = {
	[GMEM_REJ_VICTIM_NOT_RESIDENT]	= "victim not resident",
	[GMEM_REJ_VICTIM_PINNED]	= "victim pinned",
	[GMEM_REJ_VICTIM_DUP]		= "victim nominated twice",
	[GMEM_REJ_VICTIM_BUSY]		= "victim being faulted in",
	[GMEM_REJ_PREFETCH_RANGE]	= "prefetch out of range",
	[GMEM_REJ_PREFETCH_BUDGET]	= "prefetch over budget",
	[GMEM_REJ_PLACE_BAD]		= "bad placement",
	[GMEM_REJ_BAD_ID]		= "unknown block or list id",
};

static u64 gm_watchdog_ns(void)
{
	return (u64)READ_ONCE(watchdog_ms) * NSEC_PER_MSEC;
}

/* ------------------------------------------------------------------ */
/* Ejection                                                             */

static void gm_eject_record(struct gm_bpf_policy *pol, enum gmem_exit_kind kind,
			    const char *msg)
{
	struct gmem_exit_info *ei = &gm_bstat.last_exit;

	lockdep_assert_held(&gm_eject_lock);
	memset(ei, 0, sizeof(*ei));
	ei->kind = kind;
	ei->when_ns = ktime_get_real_ns();
	strscpy(ei->policy, pol->name);
	strscpy(ei->reason, gm_exit_reason[kind]);
	strscpy(ei->msg, msg);
	pol->exit = *ei;
	trace_gmem_policy_eject(pol->name, kind, msg);
	if (kind != GMEM_EXIT_UNREG)
		atomic64_inc(&gm_bstat.ejections);
}

/*
 * Mark @pol ejected and stop routing decisions to it. Returns false if it
 * already was. Callable from any context.
 */
static bool gm_eject_mark(struct gm_bpf_policy *pol, enum gmem_exit_kind kind,
			  const char *msg)
{
	unsigned long flags;
	bool first;

	spin_lock_irqsave(&gm_eject_lock, flags);
	first = !pol->ejected;
	if (first) {
		/*
		 * Release: a reader that sees the flag also sees a successor
		 * published before it (gm_bpf_update(), gm_active_get()).
		 */
		smp_store_release(&pol->ejected, true);
		if (rcu_access_pointer(gm_active) == pol)
			RCU_INIT_POINTER(gm_active, NULL);
		gm_eject_record(pol, kind, msg);
	}
	spin_unlock_irqrestore(&gm_eject_lock, flags);
	if (first && kind == GMEM_EXIT_UNREG)
		pr_info_ratelimited("gmem: policy %s detached%s%s\n", pol->name,
				    *msg ? ": " : "", msg);
	else if (first)
		pr_warn("gmem: policy %s ejected (%s): %s; built-in policy in charge\n",
			pol->name, gm_exit_reason[kind], msg);
	return first;
}

/*
 * The rest of an ejection, in process context with no core lock held: wait
 * until no hook of @pol runs, drop its lists, call its exit hook (timed).
 */
static void gm_eject_finish(struct gm_bpf_policy *pol)
{
	struct gmem_exit_info ei;
	struct gm_hook_call call = { .pol = pol, .hook = "exit" };
	u64 dt;

	synchronize_rcu();
	gm_plist_destroy_all(pol);
	if (!pol->ops->exit)
		return;
	spin_lock_irq(&gm_eject_lock);
	ei = gm_bstat.last_exit;
	spin_unlock_irq(&gm_eject_lock);
	call.start_ns = ktime_get_ns();
	preempt_disable();
	this_cpu_write(gm_cur_call, &call);
	pol->ops->exit(&ei);
	this_cpu_write(gm_cur_call, NULL);
	preempt_enable();
	dt = ktime_get_ns() - call.start_ns;
	if (gm_watchdog_ns() && dt > gm_watchdog_ns()) {
		pr_warn("gmem: policy %s: exit() ran %llu ms, limit %u ms\n", pol->name,
			dt / NSEC_PER_MSEC, READ_ONCE(watchdog_ms));
		spin_lock_irq(&gm_eject_lock);
		if (!strcmp(gm_bstat.last_exit.policy, pol->name))
			snprintf(gm_bstat.last_exit.msg, sizeof(gm_bstat.last_exit.msg),
				 "%s; exit() ran %llu ms", ei.msg, dt / NSEC_PER_MSEC);
		spin_unlock_irq(&gm_eject_lock);
	}
}

static void gm_eject_workfn(struct work_struct *work)
{
	gm_eject_finish(container_of(work, struct gm_bpf_policy, eject_work));
}

/*
 * From a hook context: mark now, finish in a work item. Callers are inside
 * an RCU read section, so the work is queued before a grace period that
 * starts after the mark ends (gm_bpf_eject_now() relies on it).
 */
static void gm_eject_async(struct gm_bpf_policy *pol, enum gmem_exit_kind kind,
			   const char *msg)
{
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "gm_eject_async() outside RCU");
	if (gm_eject_mark(pol, kind, msg))
		schedule_work(&pol->eject_work);
}

/*
 * Process context, gm_policy_mutex held: eject @pol (if it is not already)
 * and wait until the ejection is complete, exit hook included.
 */
void gm_bpf_eject_now(struct gm_bpf_policy *pol, enum gmem_exit_kind kind, const char *msg)
{
	bool first;

	lockdep_assert_held(&gm_policy_mutex);
	first = gm_eject_mark(pol, kind, msg);
	synchronize_rcu();	/* an async ejector has queued its work by now */
	if (first)
		gm_eject_finish(pol);
	else
		flush_work(&pol->eject_work);
}

/* From inside a hook the ejection waits for the hook to return. */
void gm_bpf_request_eject(enum gmem_exit_kind kind, const char *msg)
{
	struct gm_hook_call *call = this_cpu_read(gm_cur_call);
	struct gm_bpf_policy *pol;

	if (call) {
		if (call->eject_kind == GMEM_EXIT_NONE) {
			call->eject_kind = kind;
			strscpy(call->eject_msg, msg);
		}
		return;
	}
	rcu_read_lock();
	pol = rcu_dereference(gm_active);
	if (pol)
		gm_eject_async(pol, kind, msg);
	rcu_read_unlock();
}

/* An invalid decision of the policy in charge: eject past max_rejects per window. */
void gm_bpf_note_reject(enum gmem_reject why)
{
	struct gm_hook_call *call = this_cpu_read(gm_cur_call);
	unsigned int limit = READ_ONCE(max_rejects);
	char msg[GMEM_EXIT_MSG_LEN];
	struct gm_bpf_policy *pol;
	u64 now, start;
	int n;

	if (!limit)
		return;
	rcu_read_lock();
	pol = call ? call->pol : rcu_dereference(gm_active);
	if (!pol || READ_ONCE(pol->ejected))
		goto out;
	atomic64_inc(&pol->rejects);
	now = ktime_get_ns();
	start = atomic64_read(&pol->reject_start_ns);
	if (now - start > GM_REJECT_WINDOW_NS &&
	    atomic64_cmpxchg(&pol->reject_start_ns, start, now) == start)
		atomic_set(&pol->window_rejects, 0);
	n = atomic_inc_return(&pol->window_rejects);
	if (n <= limit)
		goto out;
	snprintf(msg, sizeof(msg), "%d invalid decisions within 1 s, limit %u (last: %s)",
		 n, limit, gm_reject_name[why]);
	gm_bpf_request_eject(GMEM_EXIT_INVALID, msg);
out:
	rcu_read_unlock();
}

/* ------------------------------------------------------------------ */
/* Hook calls                                                           */

/*
 * The hook-time budget of one operation: besides the per-call limit, all
 * the hook calls one core operation makes (a hint over many blocks, each
 * evicted or activated; a fault with its prefetches and evictions) may take
 * watchdog_ms together, so one operation cannot hold up its caller for
 * minutes through many calls that are each short. Operations register for
 * their duration (gm_policy_op_begin/end) in a list chosen by their task,
 * each list with its own lock, so that hook calls on different CPUs do not
 * all take one lock; hook calls add their time to the operation of the
 * task that makes them.
 */
#define GM_OPS_HASH_BITS	6

static struct gm_ops_bucket {
	spinlock_t lock;
	struct list_head ops;
} gm_ops_running[1 << GM_OPS_HASH_BITS];

static struct gm_ops_bucket *gm_ops_bucket(const struct task_struct *task)
{
	return &gm_ops_running[hash_ptr(task, GM_OPS_HASH_BITS)];
}

static void gm_ops_running_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gm_ops_running); i++) {
		spin_lock_init(&gm_ops_running[i].lock);
		INIT_LIST_HEAD(&gm_ops_running[i].ops);
	}
}

void gm_policy_op_begin(struct gm_policy_op *op)
{
	struct gm_ops_bucket *b = gm_ops_bucket(current);

	op->task = current;
	op->hook_ns = 0;
	spin_lock(&b->lock);
	list_add(&op->node, &b->ops);
	spin_unlock(&b->lock);
}

void gm_policy_op_end(struct gm_policy_op *op)
{
	struct gm_ops_bucket *b = gm_ops_bucket(op->task);

	spin_lock(&b->lock);
	list_del(&op->node);
	spin_unlock(&b->lock);
}

/* Add @dt to current's operation; its total so far, or 0 outside operations. */
static u64 gm_op_charge(u64 dt)
{
	struct gm_ops_bucket *b = gm_ops_bucket(current);
	struct gm_policy_op *op;
	u64 total = 0;

	if (list_empty(&b->ops))
		return 0;
	spin_lock(&b->lock);
	list_for_each_entry(op, &b->ops, node) {
		if (op->task == current) {
			op->hook_ns += dt;
			total = op->hook_ns;
			break;
		}
	}
	spin_unlock(&b->lock);
	return total;
}

/* The call @call is about to run a hook of its policy on this CPU. */
static void gm_hook_begin(struct gm_hook_call *call)
{
	preempt_disable();
	call->start_ns = ktime_get_ns();
	this_cpu_write(gm_cur_call, call);
	this_cpu_write(gm_running.hook, call->hook);
	this_cpu_write(gm_running.start_ns, call->start_ns);
	WRITE_ONCE(*this_cpu_ptr(&gm_running.pol), call->pol);
}

/* Account the call, then act on a stall, the budget or an ejection requested inside it. */
static void gm_hook_end(struct gm_hook_call *call)
{
	struct gm_bpf_policy *pol = call->pol;
	enum gmem_exit_kind kind = call->eject_kind;
	u64 dt = ktime_get_ns() - call->start_ns, wd = gm_watchdog_ns(), used;

	WRITE_ONCE(*this_cpu_ptr(&gm_running.pol), NULL);
	this_cpu_write(gm_cur_call, NULL);
	preempt_enable();
	atomic64_inc(&gm_bstat.hook_calls);
	atomic64_add(dt, &gm_bstat.hook_ns);
	atomic64_inc(&pol->hook_calls);
	atomic64_add(dt, &pol->hook_ns);
	used = gm_op_charge(dt);
	if (READ_ONCE(pol->ejected))
		return;
	if (kind == GMEM_EXIT_NONE && wd && dt > wd) {
		kind = GMEM_EXIT_STALL;
		snprintf(call->eject_msg, sizeof(call->eject_msg),
			 "%s() ran %llu ms, limit %u ms", call->hook,
			 dt / NSEC_PER_MSEC, READ_ONCE(watchdog_ms));
	} else if (kind == GMEM_EXIT_NONE && wd && used > wd) {
		kind = GMEM_EXIT_STALL;
		snprintf(call->eject_msg, sizeof(call->eject_msg),
			 "hooks ran %llu ms within one operation (last: %s()), limit %u ms",
			 used / NSEC_PER_MSEC, call->hook, READ_ONCE(watchdog_ms));
	}
	if (kind != GMEM_EXIT_NONE)
		gm_eject_async(pol, kind, call->eject_msg);
}

/*
 * The policy in charge, or NULL. A replace (gm_bpf_update()) publishes the
 * new policy before it marks the old one ejected, so a reader that loaded
 * the old pointer just before the swap and then sees it ejected finds the
 * new one on a second look: no decision of a replace falls to the built-in.
 * Caller holds rcu_read_lock().
 */
struct gm_bpf_policy *gm_active_get(void)
{
	struct gm_bpf_policy *pol = rcu_dereference(gm_active);

	if (pol && smp_load_acquire(&pol->ejected))
		pol = rcu_dereference(gm_active);
	return pol && !smp_load_acquire(&pol->ejected) ? pol : NULL;
}

/* @pol if it implements the hook at @hook_off in struct gmem_ops; then @call is set up for it. */
static struct gm_bpf_policy *gm_hook_setup(struct gm_bpf_policy *pol, struct gm_hook_call *call,
					   size_t hook_off, const char *hook)
{
	if (!pol || !*(void **)((char *)pol->ops + hook_off))
		return NULL;
	memset(call, 0, offsetof(struct gm_hook_call, eject_msg));
	call->pol = pol;
	call->hook = hook;
	return pol;
}

/*
 * @call is about @blk, whose object's policy it calls: the kfuncs know the
 * block without a lookup (a block of a dead object stays unknown to them,
 * as gm_block_by_id() has it).
 */
static void gm_hook_about(struct gm_hook_call *call, struct gm_block *blk)
{
	if (READ_ONCE(blk->obj->dead))
		return;
	call->blk_id = gm_blk_id(blk);
	call->blk = blk;
	call->blk_ours = true;
}

/* A notification hook of @obj's policy. Caller holds rcu_read_lock(). */
static struct gm_bpf_policy *gm_hook_get(struct gm_hook_call *call, struct gm_object *obj,
					 size_t hook_off, const char *hook)
{
	return gm_hook_setup(gm_obj_policy(obj), call, hook_off, hook);
}

/*
 * A decision hook (fault, prefetch, evict) of @pol, the policy of the
 * object decided for. With no policy in charge (@pol NULL) the built-in
 * decides "unattended": counted once a first policy was attached since
 * module load, so that a gap between two policies (unload, then load) shows
 * in the status while a replace, which has none, keeps the count still.
 * Caller holds rcu_read_lock().
 */
static struct gm_bpf_policy *gm_decision_setup(struct gm_bpf_policy *pol,
					       struct gm_hook_call *call,
					       size_t hook_off, const char *hook)
{
	if (!pol && atomic64_read(&gm_bstat.loads))
		atomic64_inc(&gm_bstat.unattended);
	return gm_hook_setup(pol, call, hook_off, hook);
}

/* gm_decision_setup() for @obj's policy. */
static struct gm_bpf_policy *gm_decision_get(struct gm_hook_call *call, struct gm_object *obj,
					     size_t hook_off, const char *hook)
{
	return gm_decision_setup(gm_obj_policy(obj), call, hook_off, hook);
}

#define GM_HOOK(name)	offsetof(struct gmem_ops, name), #name

/*
 * gm_bpf_call() on every GM_KFUNC_CLOCK_EVERY-th kfunc call: has @call run
 * past the watchdog limit? Then its kfuncs stop acting and the policy is
 * ejected when the hook returns.
 */
bool gm_bpf_call_overdue(struct gm_hook_call *call)
{
	u64 wd = gm_watchdog_ns();

	if (!wd || ktime_get_ns() - call->start_ns <= wd)
		return false;
	call->eject_kind = GMEM_EXIT_STALL;
	snprintf(call->eject_msg, sizeof(call->eject_msg),
		 "%s() still running after %u ms", call->hook, READ_ONCE(watchdog_ms));
	return true;
}

/* Is a BPF policy (still) in charge of @obj? */
bool gm_bpf_in_charge(struct gm_object *obj)
{
	bool ret;

	rcu_read_lock();
	ret = gm_obj_policy(obj) != NULL;
	rcu_read_unlock();
	return ret;
}

bool gm_bpf_fault(struct gm_fault_req *req, int *place)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_decision_get(&call, req->blk->obj, GM_HOOK(fault));
	if (pol) {
		if (pol->ops->flags & GMEM_OPS_FAULT_PREFETCH) {
			call.fault = req;
			req->before_bring = true;
		}
		gm_hook_about(&call, req->blk);
		gm_hook_begin(&call);
		*place = pol->ops->fault(&req->ctx);
		gm_hook_end(&call);
		req->before_bring = false;
	}
	rcu_read_unlock();
	return pol;
}

/*
 * True also without a call when the policy's fault hook made this decision
 * (GMEM_OPS_FAULT_PREFETCH): what it requested is in @req already.
 */
bool gm_bpf_prefetch(struct gm_fault_req *req)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_obj_policy(req->blk->obj);
	if (pol && (pol->ops->flags & GMEM_OPS_FAULT_PREFETCH)) {
		rcu_read_unlock();
		return true;
	}
	pol = gm_decision_setup(pol, &call, GM_HOOK(prefetch));
	if (pol) {
		call.fault = req;
		gm_hook_about(&call, req->blk);
		gm_hook_begin(&call);
		pol->ops->prefetch(&req->ctx);
		gm_hook_end(&call);
	}
	rcu_read_unlock();
	return pol;
}

/* Caller holds rcu_read_lock() (gm_evict.c): the nominated blocks must stay valid. */
bool gm_bpf_evict(struct gm_evict_req *req)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	pol = gm_decision_get(&call, req->busy ? req->busy->obj : NULL, GM_HOOK(evict));
	if (pol) {
		call.evict = req;
		if (req->busy)
			gm_hook_about(&call, req->busy);
		gm_hook_begin(&call);
		pol->ops->evict(&req->ctx);
		gm_hook_end(&call);
	}
	return pol;
}

void gm_bpf_obj_init(struct gm_object *obj)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_hook_get(&call, obj, GM_HOOK(obj_init));
	if (pol) {
		gm_hook_begin(&call);
		pol->ops->obj_init(obj->id, obj->start, obj->size, obj->nr_blocks);
		gm_hook_end(&call);
	}
	rcu_read_unlock();
}

void gm_bpf_obj_exit(struct gm_object *obj)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_hook_get(&call, obj, GM_HOOK(obj_exit));
	if (pol) {
		gm_hook_begin(&call);
		pol->ops->obj_exit(obj->id);
		gm_hook_end(&call);
	}
	rcu_read_unlock();
}

void gm_bpf_activated(struct gm_block *blk, u32 how)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_hook_get(&call, blk->obj, GM_HOOK(activated));
	if (pol) {
		gm_hook_about(&call, blk);
		gm_hook_begin(&call);
		pol->ops->activated(blk->dev, gm_blk_id(blk), how);
		gm_hook_end(&call);
	}
	rcu_read_unlock();
}

/* @req: the device's access report, which the hook may prefetch into, or NULL. */
void gm_bpf_accessed(struct gm_block *blk, bool write, struct gm_fault_req *req)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_hook_get(&call, blk->obj, GM_HOOK(accessed));
	if (pol) {
		call.fault = req;
		gm_hook_about(&call, blk);
		gm_hook_begin(&call);
		pol->ops->accessed(blk->dev, gm_blk_id(blk), write);
		gm_hook_end(&call);
	}
	rcu_read_unlock();
}

void gm_bpf_evicted(struct gm_block *blk)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_hook_get(&call, blk->obj, GM_HOOK(evicted));
	if (pol) {
		gm_hook_about(&call, blk);
		gm_hook_begin(&call);
		pol->ops->evicted(blk->dev, gm_blk_id(blk));
		gm_hook_end(&call);
	}
	rcu_read_unlock();
}

void gm_bpf_advise(struct gm_object *obj, u32 first, u32 nr, u32 advice, u64 value)
{
	struct gm_hook_call call;
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = gm_hook_get(&call, obj, GM_HOOK(advise));
	if (pol) {
		gm_hook_begin(&call);
		pol->ops->advise(obj->id, first, nr, advice, value);
		gm_hook_end(&call);
	}
	rcu_read_unlock();
}

/* ------------------------------------------------------------------ */
/* Attach-time helpers for gm_bpf_ops.c                                 */

void gm_bpf_policy_init(struct gm_bpf_policy *pol)
{
	INIT_LIST_HEAD(&pol->node);
	INIT_LIST_HEAD(&pol->lists);
	spin_lock_init(&pol->plist_lock);
	INIT_WORK(&pol->eject_work, gm_eject_workfn);
}

/*
 * Run @pol's init hook (it is not active yet: nothing else calls it). On
 * failure or an ejection requested inside, @pol is ejected (exit hook
 * called, exit info recorded) and the error returned.
 */
int gm_bpf_run_init(struct gm_bpf_policy *pol)
{
	struct gm_hook_call call = { .pol = pol, .hook = "init" };
	char msg[GMEM_EXIT_MSG_LEN];
	s32 ret = 0;

	lockdep_assert_held(&gm_policy_mutex);
	if (pol->ops->init) {
		rcu_read_lock();
		gm_hook_begin(&call);
		ret = pol->ops->init();
		gm_hook_end(&call);
		rcu_read_unlock();
	}
	if (ret < 0 && !pol->ejected) {
		snprintf(msg, sizeof(msg), "init() returned %d", ret);
		gm_bpf_eject_now(pol, GMEM_EXIT_ERROR, msg);
	}
	if (pol->ejected) {
		flush_work(&pol->eject_work);
		return ret < 0 ? ret : -ECANCELED;
	}
	pol->since_ns = ktime_get_real_ns();
	return 0;
}

void gm_bpf_count_load(void)
{
	atomic64_inc(&gm_bstat.loads);
}

void gm_bpf_status(struct gmem_policy_status *st)
{
	struct gm_bpf_policy *pol;

	rcu_read_lock();
	pol = rcu_dereference(gm_active);
	st->active = pol != NULL;
	strscpy(st->name, pol ? pol->name : "builtin");
	if (pol) {
		st->flags = pol->ops->flags;
		st->since_ns = pol->since_ns;
	}
	rcu_read_unlock();
	st->hook_calls = atomic64_read(&gm_bstat.hook_calls);
	st->hook_ns = atomic64_read(&gm_bstat.hook_ns);
	st->loads = atomic64_read(&gm_bstat.loads);
	st->ejections = atomic64_read(&gm_bstat.ejections);
	st->unattended = atomic64_read(&gm_bstat.unattended);
	spin_lock_irq(&gm_eject_lock);
	st->last_exit = gm_bstat.last_exit;
	spin_unlock_irq(&gm_eject_lock);
}

/* GMEM_IOC_POLICY_LIST: every registered attachment. */
int gm_bpf_policy_list(struct gmem_policy_list *req)
{
	struct gmem_policy_attach __user *ubuf = u64_to_user_ptr(req->buf_ptr);
	struct gmem_policy_attach a;
	struct gm_bpf_policy *pol;
	u32 n = 0;
	int err = 0;

	mutex_lock(&gm_policy_mutex);
	list_for_each_entry(pol, &gm_bpf_policies, node) {
		if (n < req->capacity) {
			memset(&a, 0, sizeof(a));
			strscpy(a.name, pol->name);
			a.cgroup_id = pol->cgroup_id;
			a.since_ns = pol->since_ns;
			a.hook_calls = atomic64_read(&pol->hook_calls);
			a.hook_ns = atomic64_read(&pol->hook_ns);
			a.rejects = atomic64_read(&pol->rejects);
			spin_lock_irq(&gm_eject_lock);
			a.active = !pol->ejected;
			a.exit = pol->exit;
			spin_unlock_irq(&gm_eject_lock);
			if (copy_to_user(&ubuf[n], &a, sizeof(a))) {
				err = -EFAULT;
				break;
			}
		}
		n++;
	}
	mutex_unlock(&gm_policy_mutex);
	req->count = n;
	return err;
}

/* ------------------------------------------------------------------ */
/* The watchdog outside the hooks                                       */

static void gm_watchdog_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gm_watchdog_work, gm_watchdog_fn);
static bool gm_watchdog_stopping;

/*
 * Look at every CPU's running hook call: one of a registered policy that
 * started more than watchdog_ms ago gets the policy ejected now, while it
 * still runs (its kfuncs stop acting; no new call reaches the policy).
 */
static void gm_watchdog_fn(struct work_struct *work)
{
	u64 wd = gm_watchdog_ns(), now = ktime_get_ns(), start;
	char msg[GMEM_EXIT_MSG_LEN];
	struct gm_hook_running *run;
	struct gm_bpf_policy *pol;
	int cpu;

	rcu_read_lock();
	for_each_online_cpu(cpu) {
		run = per_cpu_ptr(&gm_running, cpu);
		pol = READ_ONCE(run->pol);
		/* Only a policy still registered may be dereferenced. */
		if (!wd || !pol || (pol != rcu_dereference(gm_active) && !gm_att_has(pol)))
			continue;
		start = READ_ONCE(run->start_ns);
		if (now <= start || now - start <= wd)
			continue;
		snprintf(msg, sizeof(msg), "%s() still running after %llu ms on CPU %d (watchdog)",
			 READ_ONCE(run->hook), (now - start) / NSEC_PER_MSEC, cpu);
		gm_eject_async(pol, GMEM_EXIT_STALL, msg);
	}
	rcu_read_unlock();
	if (!READ_ONCE(gm_watchdog_stopping))
		schedule_delayed_work(&gm_watchdog_work,
				      msecs_to_jiffies(clamp(READ_ONCE(watchdog_ms) / 4, 10u, 250u)));
}

int gm_bpf_safety_init(void)
{
	gm_ops_running_init();
	schedule_delayed_work(&gm_watchdog_work, HZ / 4);
	return 0;
}

void gm_bpf_safety_exit(void)
{
	WRITE_ONCE(gm_watchdog_stopping, true);
	cancel_delayed_work_sync(&gm_watchdog_work);
}
