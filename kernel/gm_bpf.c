// SPDX-License-Identifier: GPL-2.0
/*
 * gm_bpf.c: struct gmem_ops, the BPF struct_ops policy interface.
 *
 * A policy is a struct gmem_ops map attached with a BPF link (or a plain
 * struct_ops map update). .reg makes it the active policy; from then on the
 * dispatcher (gm_policy.c) asks it first. One policy is in charge at a time:
 * a second .reg fails with -EBUSY.
 *
 * Safety follows sched_ext: the kernel always survives its policy. A policy
 * is ejected, i.e. switched off at once in favour of the built-in policy,
 * when it calls bpf_gmem_error(), when more than gmem.max_rejects of its
 * decisions are invalid within one second, when one hook call runs longer
 * than gmem.watchdog_ms (checked when the call returns and by every kfunc
 * it calls meanwhile, which then stop acting so bounded loops end early), and
 * when userspace detaches it (.unreg: link released, loader died). Ejection
 * clears the active pointer under gm_lock, destroys the policy's lists,
 * records a struct gmem_exit_info and calls the policy's exit hook. An ejected
 * policy stays registered until .unreg, which then only frees it: a newer
 * policy is never touched by an older one's unreg.
 *
 * Locking: gm_active, the policy list, the hook-call state (gm_hook) and the
 * statistics are all under gm_lock. Hooks are called with gm_lock held, so
 * at most one hook runs at a time and a policy cannot be detached while one
 * of its hooks runs (.unreg takes gm_lock); after .unreg returns the BPF core
 * may free the trampolines, and nothing here references them any more.
 * gm_hook.task is also read without the lock by gm_bpf_caller(), which only
 * compares it with current.
 */
#include <linux/capability.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/ctype.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "gm_core.h"
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
		 "Longest a BPF policy hook may run before the policy is ejected, in ms (0: off)");

#define GM_REJECT_WINDOW_NS	NSEC_PER_SEC

static LIST_HEAD(gm_bpf_policies);	/* registered: active or ejected */
static struct gm_bpf_policy *gm_active;	/* in charge; NULL: built-in */
static struct btf *gm_bpf_btf;		/* the module's BTF (struct_ops .init) */

BTF_ID_LIST_SINGLE(gm_ops_btf_ids, struct, gmem_ops)

/* The hook call in progress: at most one, since hooks run under gm_lock. */
static struct {
	struct task_struct *task;
	struct gm_bpf_policy *pol;
	const char *hook;
	u64 start_ns;
	struct gm_fault_req *fault;	/* prefetch hook: bpf_gmem_prefetch() target */
	struct gm_evict_req *evict;	/* evict hook: bpf_gmem_evict_nominate() target */
	enum gmem_exit_kind eject_kind;	/* ejection requested from inside the hook */
	char eject_msg[GMEM_EXIT_MSG_LEN];
} gm_hook;

static struct {
	u64 hook_calls;
	u64 hook_ns;
	u64 loads;
	u64 ejections;
	u64 window_start_ns;
	u32 window_rejects;
	struct gmem_exit_info last_exit;
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

/*
 * Switch @pol off for good: the built-in policy is in charge from here on.
 * Never called from inside a hook (requests from there are deferred to
 * gm_hook_end()), so the exit hook can be called directly.
 */
static void gm_bpf_eject(struct gm_bpf_policy *pol, enum gmem_exit_kind kind,
			 const char *msg);

static void gm_hook_begin(struct gm_bpf_policy *pol, const char *hook)
{
	lockdep_assert_held(&gm_lock);
	WARN_ON_ONCE(gm_hook.task);
	gm_hook.pol = pol;
	gm_hook.hook = hook;
	gm_hook.eject_kind = GMEM_EXIT_NONE;
	gm_hook.start_ns = ktime_get_ns();
	WRITE_ONCE(gm_hook.task, current);
}

/* Account the call, then act on a stall or an ejection requested inside it. */
static void gm_hook_end(void)
{
	struct gm_bpf_policy *pol = gm_hook.pol;
	enum gmem_exit_kind kind = gm_hook.eject_kind;
	u64 dt = ktime_get_ns() - gm_hook.start_ns;
	u64 wd = gm_watchdog_ns();

	WRITE_ONCE(gm_hook.task, NULL);
	gm_hook.pol = NULL;
	gm_hook.fault = NULL;
	gm_hook.evict = NULL;
	gm_hook.eject_kind = GMEM_EXIT_NONE;
	gm_bstat.hook_calls++;
	gm_bstat.hook_ns += dt;
	if (pol->ejected)
		return;
	if (kind == GMEM_EXIT_NONE && wd && dt > wd) {
		kind = GMEM_EXIT_STALL;
		snprintf(gm_hook.eject_msg, sizeof(gm_hook.eject_msg),
			 "%s() ran %llu ms, limit %u ms", gm_hook.hook,
			 dt / NSEC_PER_MSEC, READ_ONCE(watchdog_ms));
	}
	if (kind != GMEM_EXIT_NONE)
		gm_bpf_eject(pol, kind, gm_hook.eject_msg);
}

static void gm_bpf_eject(struct gm_bpf_policy *pol, enum gmem_exit_kind kind,
			 const char *msg)
{
	struct gmem_exit_info *ei = &gm_bstat.last_exit;

	lockdep_assert_held(&gm_lock);
	if (pol->ejected)
		return;
	pol->ejected = true;
	if (gm_active == pol)
		WRITE_ONCE(gm_active, NULL);
	gm_plist_destroy_all(pol);

	memset(ei, 0, sizeof(*ei));
	ei->kind = kind;
	ei->when_ns = ktime_get_real_ns();
	strscpy(ei->policy, pol->name);
	strscpy(ei->reason, gm_exit_reason[kind]);
	strscpy(ei->msg, msg);
	trace_gmem_policy_eject(pol->name, kind, msg);
	if (kind == GMEM_EXIT_UNREG) {
		pr_info_ratelimited("gmem: policy %s detached%s%s\n", pol->name,
				    *msg ? ": " : "", msg);
	} else {
		gm_bstat.ejections++;
		pr_warn("gmem: policy %s ejected (%s): %s; built-in policy in charge\n",
			pol->name, ei->reason, msg);
	}
	if (pol->ops->exit) {
		gm_hook_begin(pol, "exit");
		pol->ops->exit(ei);
		gm_hook_end();
	}
}

/* From inside a hook the ejection waits for the hook to return. */
void gm_bpf_request_eject(enum gmem_exit_kind kind, const char *msg)
{
	lockdep_assert_held(&gm_lock);
	if (READ_ONCE(gm_hook.task) == current) {
		if (gm_hook.eject_kind == GMEM_EXIT_NONE) {
			gm_hook.eject_kind = kind;
			strscpy(gm_hook.eject_msg, msg);
		}
		return;
	}
	if (gm_active)
		gm_bpf_eject(gm_active, kind, msg);
}

/* An invalid decision of the policy in charge: eject past max_rejects per window. */
void gm_bpf_note_reject(enum gmem_reject why)
{
	struct gm_bpf_policy *pol = gm_hook.pol ?: gm_active;
	unsigned int limit = READ_ONCE(max_rejects);
	char msg[GMEM_EXIT_MSG_LEN];
	u64 now;

	if (!pol || pol->ejected || !limit)
		return;
	now = ktime_get_ns();
	if (now - gm_bstat.window_start_ns > GM_REJECT_WINDOW_NS) {
		gm_bstat.window_start_ns = now;
		gm_bstat.window_rejects = 0;
	}
	if (++gm_bstat.window_rejects <= limit)
		return;
	snprintf(msg, sizeof(msg), "%u invalid decisions within 1 s, limit %u (last: %s)",
		 gm_bstat.window_rejects, limit, gm_reject_name[why]);
	gm_bpf_request_eject(GMEM_EXIT_INVALID, msg);
}

/*
 * The policy whose hook the current task is running, if kfuncs may act for
 * it: not ejected, no ejection pending, and within the watchdog limit. A
 * hook over the limit gets NULL from here on, so its kfunc-driven loops end.
 */
struct gm_bpf_policy *gm_bpf_caller(void)
{
	struct gm_bpf_policy *pol;
	u64 wd;

	if (!in_task() || READ_ONCE(gm_hook.task) != current)
		return NULL;
	lockdep_assert_held(&gm_lock);
	pol = gm_hook.pol;
	if (pol->ejected || gm_hook.eject_kind != GMEM_EXIT_NONE)
		return NULL;
	wd = gm_watchdog_ns();
	if (wd && ktime_get_ns() - gm_hook.start_ns > wd) {
		gm_hook.eject_kind = GMEM_EXIT_STALL;
		snprintf(gm_hook.eject_msg, sizeof(gm_hook.eject_msg),
			 "%s() still running after %u ms", gm_hook.hook,
			 READ_ONCE(watchdog_ms));
		return NULL;
	}
	return pol;
}

struct gm_fault_req *gm_bpf_cur_fault(void)
{
	return gm_hook.fault;
}

struct gm_evict_req *gm_bpf_cur_evict(void)
{
	return gm_hook.evict;
}

/* ------------------------------------------------------------------ */
/* Hook calls (gm_lock held)                                           */

/* The active policy if it implements @hook, else NULL. */
#define gm_bpf_with(hook) ({						\
	struct gm_bpf_policy *__pol = gm_active;			\
	__pol && __pol->ops->hook ? __pol : NULL;			\
})

#define gm_bpf_call_void(pol, hook, ...) do {				\
	gm_hook_begin(pol, #hook);					\
	(pol)->ops->hook(__VA_ARGS__);					\
	gm_hook_end();							\
} while (0)

static u64 gm_blk_id(const struct gm_block *blk)
{
	return GMEM_BLK_ID(blk->obj->id, blk->idx);
}

bool gm_bpf_in_charge(void)
{
	return gm_active != NULL;
}

bool gm_bpf_fault(struct gm_fault_req *req, int *place)
{
	struct gm_bpf_policy *pol = gm_bpf_with(fault);

	if (!pol)
		return false;
	gm_hook_begin(pol, "fault");
	*place = pol->ops->fault(&req->ctx);
	gm_hook_end();
	return true;
}

bool gm_bpf_prefetch(struct gm_fault_req *req)
{
	struct gm_bpf_policy *pol = gm_bpf_with(prefetch);

	if (!pol)
		return false;
	gm_hook_begin(pol, "prefetch");
	gm_hook.fault = req;
	pol->ops->prefetch(&req->ctx);
	gm_hook_end();
	return true;
}

bool gm_bpf_evict(struct gm_evict_req *req)
{
	struct gm_bpf_policy *pol = gm_bpf_with(evict);

	if (!pol)
		return false;
	gm_hook_begin(pol, "evict");
	gm_hook.evict = req;
	pol->ops->evict(&req->ctx);
	gm_hook_end();
	return true;
}

void gm_bpf_obj_init(struct gm_object *obj)
{
	struct gm_bpf_policy *pol = gm_bpf_with(obj_init);

	if (pol)
		gm_bpf_call_void(pol, obj_init, obj->id, obj->start, obj->size,
				 obj->nr_blocks);
}

void gm_bpf_obj_exit(struct gm_object *obj)
{
	struct gm_bpf_policy *pol = gm_bpf_with(obj_exit);

	if (pol)
		gm_bpf_call_void(pol, obj_exit, obj->id);
}

void gm_bpf_activated(struct gm_block *blk, u32 how)
{
	struct gm_bpf_policy *pol = gm_bpf_with(activated);

	if (pol)
		gm_bpf_call_void(pol, activated, blk->dev, gm_blk_id(blk), how);
}

void gm_bpf_accessed(struct gm_block *blk, bool write)
{
	struct gm_bpf_policy *pol = gm_bpf_with(accessed);

	if (pol)
		gm_bpf_call_void(pol, accessed, blk->dev, gm_blk_id(blk), write);
}

void gm_bpf_evicted(struct gm_block *blk)
{
	struct gm_bpf_policy *pol = gm_bpf_with(evicted);

	if (pol)
		gm_bpf_call_void(pol, evicted, blk->dev, gm_blk_id(blk));
}

void gm_bpf_advise(struct gm_object *obj, u32 first, u32 nr, u32 advice, u64 value)
{
	struct gm_bpf_policy *pol = gm_bpf_with(advise);

	if (pol)
		gm_bpf_call_void(pol, advise, obj->id, first, nr, advice, value);
}

void gm_bpf_status(struct gmem_policy_status *st)
{
	struct gm_bpf_policy *pol = gm_active;

	lockdep_assert_held(&gm_lock);
	st->active = pol != NULL;
	strscpy(st->name, pol ? pol->name : "builtin");
	if (pol) {
		st->flags = pol->ops->flags;
		st->since_ns = pol->since_ns;
	}
	st->hook_calls = gm_bstat.hook_calls;
	st->hook_ns = gm_bstat.hook_ns;
	st->loads = gm_bstat.loads;
	st->ejections = gm_bstat.ejections;
	st->last_exit = gm_bstat.last_exit;
}

/* ------------------------------------------------------------------ */
/* struct_ops callbacks                                                */

static struct gm_bpf_policy *gm_bpf_find(void *kdata)
{
	struct gm_bpf_policy *pol;

	list_for_each_entry(pol, &gm_bpf_policies, node)
		if (pol->ops == kdata)
			return pol;
	return NULL;
}

static struct gm_bpf_policy *gm_bpf_policy_new(void *kdata)
{
	struct gm_bpf_policy *pol = kzalloc(sizeof(*pol), GFP_KERNEL);

	if (!pol)
		return NULL;
	pol->ops = kdata;
	strscpy(pol->name, pol->ops->name);
	INIT_LIST_HEAD(&pol->node);
	INIT_LIST_HEAD(&pol->lists);
	return pol;
}

/*
 * Run the policy's init hook and account the attach. On failure the policy
 * has been ejected (exit info recorded) and the caller frees it.
 */
static int gm_bpf_start(struct gm_bpf_policy *pol)
{
	char msg[GMEM_EXIT_MSG_LEN];
	s32 ret = 0;

	if (pol->ops->init) {
		gm_hook_begin(pol, "init");
		ret = pol->ops->init();
		gm_hook_end();
	}
	if (ret < 0 && !pol->ejected) {
		snprintf(msg, sizeof(msg), "init() returned %d", ret);
		gm_bpf_eject(pol, GMEM_EXIT_ERROR, msg);
	}
	if (pol->ejected)
		return ret < 0 ? ret : -ECANCELED;
	list_add(&pol->node, &gm_bpf_policies);
	pol->since_ns = ktime_get_real_ns();
	gm_bstat.loads++;
	gm_bstat.window_start_ns = 0;
	gm_bstat.window_rejects = 0;
	return 0;
}

/*
 * A policy decides for every process's memory: attaching one needs
 * CAP_SYS_ADMIN of the attaching task, whoever loaded the map (an fd can be
 * passed to an unprivileged process).
 */
static bool gm_bpf_may_attach(void)
{
	return capable(CAP_SYS_ADMIN);
}

static int gm_bpf_reg(void *kdata, struct bpf_link *link)
{
	struct gm_bpf_policy *pol;
	int err;

	if (!gm_bpf_may_attach())
		return -EPERM;
	pol = gm_bpf_policy_new(kdata);
	if (!pol)
		return -ENOMEM;
	mutex_lock(&gm_lock);
	if (gm_active) {
		pr_info_ratelimited("gmem: cannot attach policy %s: policy %s is active\n",
			pol->name, gm_active->name);
		err = -EBUSY;
		goto out_free;
	}
	err = gm_bpf_start(pol);
	if (err)
		goto out_free;
	WRITE_ONCE(gm_active, pol);
	pr_info_ratelimited("gmem: policy %s attached\n", pol->name);
	mutex_unlock(&gm_lock);
	return 0;

out_free:
	mutex_unlock(&gm_lock);
	kfree(pol);
	return err;
}

static void gm_bpf_unreg(void *kdata, struct bpf_link *link)
{
	struct gm_bpf_policy *pol;

	mutex_lock(&gm_lock);
	pol = gm_bpf_find(kdata);
	if (!WARN_ON_ONCE(!pol)) {
		gm_bpf_eject(pol, GMEM_EXIT_UNREG, link ? "link released" : "map deleted");
		list_del(&pol->node);
		kfree(pol);
	}
	mutex_unlock(&gm_lock);
}

/* BPF_LINK_UPDATE: replace the policy of a link without a built-in gap. */
static int gm_bpf_update(void *kdata, void *old_kdata, struct bpf_link *link)
{
	struct gm_bpf_policy *pol, *old;
	char msg[GMEM_EXIT_MSG_LEN];
	int err;

	if (!gm_bpf_may_attach())
		return -EPERM;
	pol = gm_bpf_policy_new(kdata);
	if (!pol)
		return -ENOMEM;
	mutex_lock(&gm_lock);
	old = gm_bpf_find(old_kdata);
	err = -ENOENT;
	if (WARN_ON_ONCE(!old))
		goto out_free;
	err = -EBUSY;
	if (gm_active && gm_active != old) {
		pr_info_ratelimited("gmem: cannot attach policy %s: policy %s is active\n",
			pol->name, gm_active->name);
		goto out_free;
	}
	err = gm_bpf_start(pol);
	if (err)
		goto out_free;
	snprintf(msg, sizeof(msg), "replaced by %s", pol->name);
	gm_bpf_eject(old, GMEM_EXIT_UNREG, msg);
	list_del(&old->node);
	kfree(old);
	WRITE_ONCE(gm_active, pol);
	pr_info_ratelimited("gmem: policy %s attached\n", pol->name);
	mutex_unlock(&gm_lock);
	return 0;

out_free:
	mutex_unlock(&gm_lock);
	kfree(pol);
	return err;
}

/* A name the exit info and the logs can print as is. */
static int gm_bpf_copy_name(char *dst, const char *src)
{
	size_t i, len = strnlen(src, GMEM_NAME_LEN);

	if (!len || len == GMEM_NAME_LEN)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isalnum(src[i]) && !strchr("_-.", src[i]))
			return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* Data members are ours to copy (return 1); programs are the BPF core's (0). */
static int gm_bpf_init_member(const struct btf_type *t, const struct btf_member *member,
			      void *kdata, const void *udata)
{
	const struct gmem_ops *uops = udata;
	struct gmem_ops *ops = kdata;
	u32 moff = __btf_member_bit_offset(t, member) / 8;
	int err;

	switch (moff) {
	case offsetof(struct gmem_ops, flags):
		if (uops->flags)
			return -EINVAL;
		ops->flags = uops->flags;
		return 1;
	case offsetof(struct gmem_ops, name):
		err = gm_bpf_copy_name(ops->name, uops->name);
		return err ?: 1;
	}
	return 0;
}

/* Hooks run under a mutex but must stay short: no sleepable programs. */
static int gm_bpf_check_member(const struct btf_type *t, const struct btf_member *member,
			       const struct bpf_prog *prog)
{
	return prog->sleepable ? -EINVAL : 0;
}

static int gm_bpf_st_init(struct btf *btf)
{
	gm_bpf_btf = btf;
	return 0;
}

/* Only programs implementing struct gmem_ops may call the gmem kfuncs. */
bool gm_bpf_prog_is_policy(const struct bpf_prog *prog)
{
	return gm_bpf_btf && prog->aux->attach_btf == gm_bpf_btf &&
	       prog->aux->attach_btf_id == gm_ops_btf_ids[0];
}

static const struct bpf_func_proto *
gm_bpf_get_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
	return bpf_base_func_proto(func_id, prog);
}

/* Hook arguments are read-only (no btf_struct_access: writes are refused). */
static bool gm_bpf_is_valid_access(int off, int size, enum bpf_access_type type,
				   const struct bpf_prog *prog,
				   struct bpf_insn_access_aux *info)
{
	if (type != BPF_READ || off < 0 || off >= sizeof(u64) * MAX_BPF_FUNC_ARGS ||
	    off % size)
		return false;
	return btf_ctx_access(off, size, type, prog, info);
}

static const struct bpf_verifier_ops gm_bpf_verifier_ops = {
	.get_func_proto		= gm_bpf_get_func_proto,
	.is_valid_access	= gm_bpf_is_valid_access,
};

/* CFI stubs: the prototypes the BPF trampolines are generated against. */
static s32 gm_stub_init(void) { return 0; }
static void gm_stub_exit(struct gmem_exit_info *info) {}
static void gm_stub_obj_init(u32 obj, u64 start, u64 size, u32 nr_blocks) {}
static void gm_stub_obj_exit(u32 obj) {}
static s32 gm_stub_fault(struct gmem_fault_ctx *ctx) { return GMEM_PLACE_DEFAULT; }
static void gm_stub_prefetch(struct gmem_fault_ctx *ctx) {}
static void gm_stub_evict(struct gmem_evict_ctx *ctx) {}
static void gm_stub_activated(u32 dev, u64 blk_id, u32 how) {}
static void gm_stub_accessed(u32 dev, u64 blk_id, u32 write) {}
static void gm_stub_evicted(u32 dev, u64 blk_id) {}
static void gm_stub_advise(u32 obj, u32 first, u32 nr, u32 advice, u64 value) {}

static struct gmem_ops gm_bpf_cfi_stubs = {
	.init		= gm_stub_init,
	.exit		= gm_stub_exit,
	.obj_init	= gm_stub_obj_init,
	.obj_exit	= gm_stub_obj_exit,
	.fault		= gm_stub_fault,
	.prefetch	= gm_stub_prefetch,
	.evict		= gm_stub_evict,
	.activated	= gm_stub_activated,
	.accessed	= gm_stub_accessed,
	.evicted	= gm_stub_evicted,
	.advise		= gm_stub_advise,
};

static struct bpf_struct_ops gm_bpf_st_ops = {
	.verifier_ops	= &gm_bpf_verifier_ops,
	.init		= gm_bpf_st_init,
	.check_member	= gm_bpf_check_member,
	.init_member	= gm_bpf_init_member,
	.reg		= gm_bpf_reg,
	.unreg		= gm_bpf_unreg,
	.update		= gm_bpf_update,
	.cfi_stubs	= &gm_bpf_cfi_stubs,
	.name		= "gmem_ops",
	.owner		= THIS_MODULE,
};

int gm_bpf_init(void)
{
	int err;

	/* Types BPF policies need that no kernel structure references. */
	BTF_TYPE_EMIT(enum gmem_place);
	BTF_TYPE_EMIT(enum gmem_activation);
	BTF_TYPE_EMIT(enum gmem_bpf_consts);
	BTF_TYPE_EMIT(enum gmem_block_flags);
	BTF_TYPE_EMIT(enum gmem_block_state);
	BTF_TYPE_EMIT(enum gmem_advice);
	BTF_TYPE_EMIT(enum gmem_exit_kind);
	BTF_TYPE_EMIT(enum gmem_reject);

	err = gm_bpf_kfuncs_register();
	if (err) {
		pr_err("gmem: cannot register policy kfuncs: %d (module BTF missing?)\n", err);
		return err;
	}
	err = register_bpf_struct_ops(&gm_bpf_st_ops, gmem_ops);
	if (err)
		pr_err("gmem: cannot register struct gmem_ops: %d\n", err);
	return err;
}

/*
 * A registered struct_ops map holds a reference on the module, so normally
 * no policy is left here (only one attached while a failing module init
 * unwinds could be); eject any, to leave no list behind.
 */
void gm_bpf_exit(void)
{
	struct gm_bpf_policy *pol, *tmp;

	mutex_lock(&gm_lock);
	list_for_each_entry_safe(pol, tmp, &gm_bpf_policies, node) {
		pr_warn("gmem: policy %s still registered at exit\n", pol->name);
		gm_bpf_eject(pol, GMEM_EXIT_MODULE, "module exit");
		list_del(&pol->node);
		kfree(pol);
	}
	mutex_unlock(&gm_lock);
}
