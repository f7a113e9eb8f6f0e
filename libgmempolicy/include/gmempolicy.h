/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libgmempolicy: userspace side of gmem.
 *
 *   - BPF memory policies: find a shipped policy or open a .bpf.o, set its
 *     tunables, load it (the verifier log is captured, never printed), attach
 *     it, pin it so it outlives the loader, detach it, query the active one.
 *   - Unified memory: gmem_alloc()/gmem_free() on /dev/gmem mappings, hints
 *     (gmem_advise, gmem_prefetch, gmem_tag_layer).
 *   - Devices, objects and counters: thin wrappers over the /dev/gmem ioctls.
 *   - Small pure helpers the CLI and tools share: number/size/bool parsing and
 *     a JSON writer.
 *
 * Conventions: every function that can fail returns 0 (or a count) on success
 * and a negative errno on failure, documented at each function; a failed call
 * changes nothing the caller can observe. No function prints anything.
 *
 * Environment: GMEM_DEV overrides the device path (/dev/gmem), GMEM_POLICY_DIR
 * (a colon-separated list) is searched first for policies by name, and
 * GMEM_PIN_DIR overrides the bpffs folder for pinned policies (/sys/fs/bpf/gmem).
 *
 * Thread safety: the memory functions and the device queries may be called
 * from any thread. A struct gmem_policy must be used by one thread at a time.
 */
#ifndef GMEMPOLICY_H
#define GMEMPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/gmem.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GMEM_DEFAULT_DEV	"/dev/gmem"
#define GMEM_DEFAULT_PIN_DIR	"/sys/fs/bpf/gmem"
#define GMEM_POLICY_SUFFIX	".bpf.o"
#define GMEM_STRUCT_OPS_TYPE	"gmem_ops"
/* .rodata char array holding a policy's one-line description (not a tunable). */
#define GMEM_DESC_VAR		"gmem_desc"
#define GMEM_POLICY_NAME_MAX	64

/* The device path in use: $GMEM_DEV or /dev/gmem. */
const char *gmem_dev_path(void);
/* The bpffs folder for pinned policies: $GMEM_PIN_DIR or /sys/fs/bpf/gmem. */
const char *gmem_pin_dir(void);

/*
 * A short, fixed explanation of a negative errno as returned by this library,
 * phrased for gmem (-ENODEV: "gmem module not loaded", ...). Never NULL.
 */
const char *gmem_strerror(int err);

/* ===================================================================== */
/* Policies                                                              */
/* ===================================================================== */

struct gmem_policy;

/*
 * Resolve a policy name to a file. @name is either a path (contains '/' or
 * ends in ".bpf.o"), used as is, or a shipped name ([A-Za-z0-9_-]+) looked up
 * as <dir>/<name>.bpf.o in: each directory of $GMEM_POLICY_DIR, then
 * gmem_policy_share_dir().
 * Errors: -EINVAL bad name, -ENOENT not found, -ENAMETOOLONG @len too small.
 */
int gmem_policy_find(const char *name, char *path, size_t len);

/* The installed policies' directory (<prefix>/share/gmem/policies, fixed at build time). */
const char *gmem_policy_share_dir(void);

/*
 * Call @cb once per shipped policy in the search path, in search order; a name
 * found in an earlier directory hides later ones. A non-zero return from @cb
 * stops the walk and is returned. Missing directories are skipped.
 * Returns 0, @cb's value, or -ENOMEM.
 */
int gmem_policy_foreach(int (*cb)(const char *name, const char *path, void *arg),
			void *arg);

/*
 * Open a policy object (not loaded yet). The object must have a struct_ops map
 * of type gmem_ops (SEC(".struct_ops.link")).
 * Errors: -EINVAL bad name, -ENOENT no such policy or file, -ENOTSUP not a
 * gmem policy (no gmem_ops struct_ops map, or not a BPF ELF), -ENOMEM.
 * Any libbpf message is kept and readable with gmem_policy_messages().
 */
int gmem_policy_open(const char *name_or_path, struct gmem_policy **out);

/*
 * Detach (unless pinned: a pinned policy stays in charge) and free. NULL is a no-op.
 */
void gmem_policy_close(struct gmem_policy *p);

const char *gmem_policy_name(const struct gmem_policy *p);	/* file name minus .bpf.o */
const char *gmem_policy_path(const struct gmem_policy *p);
/*
 * One-line description: the policy's own `const volatile char gmem_desc[N]`
 * in .rodata (the convention for policy authors), else the library's table
 * of shipped policies, else "".
 */
const char *gmem_policy_desc(const struct gmem_policy *p);

/*
 * Tunables: the policy's `const volatile` globals in .rodata (except
 * gmem_desc). Integer tunables take decimal, 0x hex, or a size with a binary
 * suffix (4K, 2M, 1G, 1T; "KiB"/"KB" spellings too); bools take
 * 1/0/true/false/yes/no/on/off; char arrays take a string that fits with its NUL.
 */
enum gmem_tunable_type {
	GMEM_TUN_INT	= 1,	/* signed integer */
	GMEM_TUN_UINT	= 2,	/* unsigned integer */
	GMEM_TUN_BOOL	= 3,
	GMEM_TUN_STR	= 4,	/* char array */
};

struct gmem_tunable_info {
	char name[GMEM_POLICY_NAME_MAX];
	enum gmem_tunable_type type;
	unsigned int size;		/* bytes */
	char value[128];		/* current value, formatted */
};

int gmem_policy_nr_tunables(const struct gmem_policy *p);
/* Errors: -ERANGE @idx out of range. */
int gmem_policy_tunable(const struct gmem_policy *p, int idx, struct gmem_tunable_info *out);

/*
 * Set tunable @key to @value before gmem_policy_load().
 * Errors: -ENOENT no tunable @key, -EINVAL @value does not parse for its type,
 * -ERANGE @value does not fit the tunable's size (or string too long),
 * -EALREADY the policy is already loaded.
 */
int gmem_policy_set(struct gmem_policy *p, const char *key, const char *value);
/* Same with one "key=value" argument; -EINVAL if there is no '=' or no key. */
int gmem_policy_set_kv(struct gmem_policy *p, const char *kv);

/*
 * Load the object into the kernel. On a verifier rejection the kernel's log is
 * in gmem_policy_verifier_log() (its tail is the reason).
 * Errors: -ENODEV gmem module not loaded, -EPERM/-EACCES without privileges
 * (CAP_BPF + CAP_SYS_ADMIN) or verifier rejection, -EINVAL verifier rejection
 * or malformed object, -EALREADY already loaded, others from the kernel.
 * Tell a rejection from the rest with gmem_policy_verifier_log()[0] != '\0'.
 */
int gmem_policy_load(struct gmem_policy *p);

/* Kernel verifier log of the last failed load ("" if none). */
const char *gmem_policy_verifier_log(const struct gmem_policy *p);
/*
 * Where the last @lines lines of @log start (trailing blank space not
 * counted): the verifier says why at the end of its log. Points into @log;
 * its length is *@len.
 */
const char *gmem_log_tail(const char *log, int lines, size_t *len);
/* libbpf's messages from open and load, newline-separated ("" if none). */
const char *gmem_policy_messages(const struct gmem_policy *p);

/*
 * Attach the loaded policy; it stays in charge while @p is open (or pinned).
 * Errors: -EINVAL not loaded, -EALREADY already attached, -EBUSY another
 * policy is in charge (see gmem_policy_status()), -EPERM, -ENODEV.
 */
int gmem_policy_attach(struct gmem_policy *p);

/*
 * Pin the attached policy's link at <pin dir>/<name> (<name>-cg<cgroup id>
 * for a cgroup attachment) so that it stays in
 * charge after the process exits; a stale pin of the same name (its policy
 * no longer in charge, necessarily, since @p is) is replaced.
 * Errors: -EINVAL not attached, -ENOENT no bpffs at the pin dir's parent,
 * -EPERM, -ENAMETOOLONG.
 */
int gmem_policy_pin(struct gmem_policy *p);

/*
 * Live switch: put @p in charge in place of the running policy, atomically
 * (BPF_LINK_UPDATE of the running policy's link): the kernel publishes @p
 * before it retires the old policy, so the built-in policy makes no decision
 * in between (struct gmem_policy_status.unattended stays still).
 * @p:   an opened policy, tunables set; loaded here unless it already is (a
 *       policy replaced earlier may be swapped back in). Not attached.
 * @old: the running policy if this process holds it (gmem_policy_attach()),
 *       or NULL to replace the pinned one (gmem_policy_pin(), `gmemctl load
 *       --pin`).
 * On success @p holds the link (and, if it was pinned, the pin, renamed to
 * <pin dir>/<@p's name>); @old holds nothing but stays loaded. The old
 * policy's exit hook has run and its exit record says "replaced by ...".
 * On failure nothing changed: the old policy is still in charge.
 * Errors: -EINVAL bad arguments (@p attached, @old not attached); -ENOENT
 * no policy is pinned (nothing to replace: a policy held by a running
 * `gmemctl load` without --pin cannot be replaced from another process);
 * -ENOLINK the pinned link was detached; an error of gmem_policy_load();
 * -EPERM; or the kernel's refusal of the new policy (its init hook, -EBUSY
 * another policy is in charge).
 */
int gmem_policy_replace(struct gmem_policy *p, struct gmem_policy *old);

/*
 * Policies per cgroup. A policy attaches system-wide (the default) or to a
 * cgroup v2 directory: then it decides for the objects created by processes
 * in that cgroup or below (the nearest attachment up the tree wins), and
 * the system-wide policy, else the built-in one, for everything else. Each
 * attachment has its own lists, counters, exit record and ejection; one
 * policy per attach point (-EBUSY from gmem_policy_attach() otherwise).
 *
 * gmem_cgroup_id: the id of cgroup v2 directory @path into *@id.
 *   Errors: -ENOENT, -ENOTDIR, -EINVAL (not on cgroup2), -EACCES.
 * gmem_policy_set_cgroup: attach @p to @path when it is attached (NULL:
 *   system-wide). Before gmem_policy_load(). Errors: those of
 *   gmem_cgroup_id(), -EALREADY loaded, -ENOTSUP the policy's struct
 *   gmem_ops has no cgroup_id member (built against an old gmem_vmlinux.h).
 * gmem_policy_cgroup: the cgroup id set (0: system-wide).
 * gmem_policy_list: every registered attachment (GMEM_IOC_POLICY_LIST),
 *   up to @capacity into @buf (NULL: just count). Returns how many there
 *   are (may exceed @capacity) or -errno.
 */
int gmem_cgroup_id(const char *path, uint64_t *id);
int gmem_policy_set_cgroup(struct gmem_policy *p, const char *path);
uint64_t gmem_policy_cgroup(const struct gmem_policy *p);
int gmem_policy_list(struct gmem_policy_attach *buf, unsigned int capacity);
/*
 * Detach the pinned policy attached to cgroup directory @path (pins of
 * cgroup attachments are named <policy>-cg<cgroup id>). Returns 1, or
 * -ENOENT none pinned there, or an error of gmem_cgroup_id()/unpin.
 */
int gmem_policy_unpin_cgroup(const char *path);
/* Pin name of the policy attached to cgroup @cgid into @buf; 1 found, 0 none, -errno. */
int gmem_policy_pinned_cgroup(uint64_t cgid, char *buf, size_t len);

/*
 * HBM limits and shares per cgroup (docs/multi-tenant.md). Objects created
 * in cgroup v2 directory @path or below it (the nearest directory with a
 * limit wins) hold at most @hbm_bytes of each device's HBM (0: no limit),
 * evicting their own blocks at the limit; a pin beyond it fails -EDQUOT.
 * @weight (1..GMEM_TENANT_WEIGHT_MAX, 0: keep, 100 when new) is the share
 * of the HBM left over by the limits when the device is full.
 *
 * gmem_cgroup_set_limit: needs CAP_SYS_ADMIN. Errors: those of
 *   gmem_cgroup_id(), -EPERM, -EINVAL (a limit below one block, a weight
 *   over the maximum).
 * gmem_cgroup_info: usage, limit, weight and counters of @path's own entry.
 *   Errors: those of gmem_cgroup_id(), -ENOENT no limit or weight was set
 *   on @path.
 */
int gmem_cgroup_set_limit(const char *path, uint64_t hbm_bytes, uint32_t weight);
int gmem_cgroup_info(const char *path, struct gmem_tenant_info *out);

/*
 * Wait up to @timeout_ms (-1: forever) for the policy to stop being in
 * charge (ejected by the kernel, detached by `gmemctl unload`, or replaced).
 * @sigmask, if not NULL, is a const sigset_t *: the signal mask during the
 * wait (ppoll). Block SIGINT/SIGTERM in the caller and pass a mask without
 * them to be woken. (void, not sigset_t: strict ISO C, -std=c11, has no
 * sigset_t in <signal.h>, and this header must build there.)
 * Returns 1 when the policy is no longer in charge, 0 on timeout, -EINTR on a
 * signal, -EINVAL not attached, or an error of gmem_policy_status().
 */
int gmem_policy_wait(struct gmem_policy *p, int timeout_ms, const void *sigmask);

/*
 * Detach every pinned gmem policy (unpin and release its link, which returns
 * control to the built-in policy). @name, if not NULL, limits it to that pin.
 * Returns the number of pins removed (0: none), or -EPERM, -ENOENT (@name not
 * pinned), -EINVAL.
 */
int gmem_policy_unpin(const char *name);

/* Name of the pinned policy into @buf; 1 if one is pinned, 0 if none, or -errno. */
int gmem_policy_pinned(char *buf, size_t len);

/* GMEM_IOC_POLICY_STATUS. Errors: -ENODEV module not loaded, -EACCES, -EFAULT. */
int gmem_policy_status(struct gmem_policy_status *st);
const char *gmem_exit_kind_str(uint32_t kind);		/* "none", "unregistered", ... */
const char *gmem_reject_str(unsigned int reason);	/* "victim_not_resident", ... */

/* ===================================================================== */
/* Unified memory                                                        */
/* ===================================================================== */

/*
 * Allocate @size bytes of unified memory aligned to @align (0: 64 bytes;
 * else a power of two up to the largest block size, 2 MiB). Small requests
 * are carved from 64 MiB arenas (one /dev/gmem mapping each, so no syscall
 * per allocation); requests of half an arena or more get their own mapping.
 * The bookkeeping lives in ordinary memory: the allocator never touches the
 * unified memory itself, so it never causes migrations. Memory is zeroed on
 * first touch, as /dev/gmem provides it; reused memory is not cleared.
 * Errors: -EINVAL @size 0 or bad @align, -ENOMEM, -ENODEV module not loaded,
 * -EACCES no permission on the device.
 */
int gmem_alloc(size_t size, size_t align, void **out);

/* Free memory from gmem_alloc(). -EINVAL if @ptr is not a live allocation. */
int gmem_free(void *ptr);

/* Usable size of the allocation at @ptr (>= requested), or -EINVAL. */
long gmem_alloc_size(const void *ptr);

struct gmem_heap_stats {
	uint64_t mapped_bytes;		/* in /dev/gmem mappings */
	uint64_t used_bytes;		/* handed out (rounded sizes) */
	uint32_t arenas;
	uint32_t large;			/* allocations with their own mapping */
	uint64_t allocs;		/* live allocations */
};
void gmem_heap_stats(struct gmem_heap_stats *out);

/*
 * Hints on [@ptr, @ptr + @len): rounded out to pages here and to blocks by
 * the kernel, so neighbouring small allocations in the same block share them.
 * gmem_advise: GMEM_IOC_ADVISE with @advice (enum gmem_advice), @dev and
 * @value as the ioctl takes them.
 * Errors: -EINVAL bad advice or device, or a range that is not inside one
 * gmem mapping (an arena, or a large allocation's own mapping), -ENOMEM,
 * -ENODEV.
 */
int gmem_advise(const void *ptr, size_t len, uint32_t advice, uint32_t dev, uint64_t value);
/* Migrate the range to device @dev now (GMEM_ADV_WILLNEED). */
int gmem_prefetch(const void *ptr, size_t len, uint32_t dev);
/* Tag the range with a model layer id (GMEM_ADV_TAG) for layer-aware policies. */
int gmem_tag_layer(const void *ptr, size_t len, uint64_t layer_id);

/* ===================================================================== */
/* Devices, objects, counters                                            */
/* ===================================================================== */

/*
 * One more than the highest registered device id (ids may have holes after a
 * device goes away), or -ENODEV/-EACCES.
 */
int gmem_nr_devices(void);
/* One device. Errors: -ENODEV (module missing or no device @id), -EACCES. */
int gmem_dev_info(uint32_t id, struct gmem_dev_info *out);
/*
 * GMEM_IOC_DEV_LIMIT: let the core use only @limit_bytes of device @id's HBM
 * (0: the whole device); the previous limit (0: none) in *@prev_bytes if
 * not NULL. Errors: -EPERM (needs CAP_SYS_ADMIN), -ENODEV, -EINVAL (not a
 * block multiple or above the device's HBM), -EBUSY (below its pinned blocks).
 */
int gmem_dev_limit(uint32_t id, uint64_t limit_bytes, uint64_t *prev_bytes);
/* Up to @max devices into @out; returns how many were filled, or -errno. */
int gmem_devices(struct gmem_dev_info *out, unsigned int max);

/*
 * Live object ids (yours, or all with CAP_SYS_ADMIN) into @ids (up to @cap);
 * returns the total number of live objects, which may exceed @cap.
 */
int gmem_list_objects(uint32_t *ids, unsigned int cap);
/* Errors: -ENOENT no such object, -ENODEV, -EACCES. */
int gmem_obj_info(uint32_t id, struct gmem_obj_info *out);
/* The object containing @addr in this process. -ENOENT if none. */
int gmem_obj_info_addr(const void *addr, struct gmem_obj_info *out);
int gmem_global_stats(struct gmem_stats *out);

/* ===================================================================== */
/* Parsing helpers (pure)                                                */
/* ===================================================================== */

/*
 * Unsigned integer: decimal or 0x hex, optional binary size suffix
 * K/M/G/T (any case, optionally followed by "iB" or "B").
 * Errors: -EINVAL not a number (or empty, or negative), -ERANGE overflow.
 */
int gmem_parse_u64(const char *s, uint64_t *out);
/* Signed: as gmem_parse_u64 with an optional leading '-'. */
int gmem_parse_i64(const char *s, int64_t *out);
/* 1/0, true/false, yes/no, on/off (any case). -EINVAL otherwise. */
int gmem_parse_bool(const char *s, bool *out);
/*
 * Split "key=value": copies the key into @key (NUL-terminated) and points
 * @value into @kv. Errors: -EINVAL no '=' or empty key, -ENAMETOOLONG.
 */
int gmem_parse_kv(const char *kv, char *key, size_t keylen, const char **value);
/* "1.5 GiB" style, into @buf; returns @buf. */
const char *gmem_fmt_size(uint64_t bytes, char *buf, size_t len);

/*
 * The counters of struct gmem_stats in ABI order, for code that names each
 * one (printing, JSON): X(field) per counter. A counter added to the ABI is
 * added here; users check the count with GMEM_STATS_NR_COUNTERS.
 */
#define GMEM_STATS_COUNTERS(X) \
	X(cpu_faults) X(dev_faults) X(h2d_blocks) X(d2h_blocks) X(h2d_bytes) \
	X(d2h_bytes) X(evictions) X(prefetch_issued) X(prefetch_used) \
	X(prefetch_wasted) X(remote_maps) X(resident_host) X(resident_dev) \
	X(dev_accesses) X(evict_wb_bytes) X(evict_clean_bytes) X(inflight) \
	X(copy_waits) X(fault_batches) X(batch_faults) X(batch_dups) X(batch_max) \
	X(write_faults)
#define GMEM_STATS_NR_COUNTERS (offsetof(struct gmem_stats, pad) / sizeof(__u64))

#ifdef __cplusplus
}
#endif
#endif /* GMEMPOLICY_H */
