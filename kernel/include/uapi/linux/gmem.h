/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gmem user ABI: /dev/gmem (unified memory, hints, stats, policy status,
 * access trace) and /dev/gmem_simN (the simulated accelerator's device kernels).
 *
 * Every struct is fixed-size, naturally aligned and padded to 8 bytes so the
 * same layout holds for 32- and 64-bit userspace. Reserved fields must be zero
 * and are rejected with -EINVAL otherwise, so they can be given meaning later.
 */
#ifndef _UAPI_LINUX_GMEM_H
#define _UAPI_LINUX_GMEM_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define GMEM_ABI_VERSION	1
#define GMEM_MAX_DEVICES	8
#define GMEM_NAME_LEN		32
#define GMEM_EXIT_MSG_LEN	128

/*
 * A block id names one block of one vm_object without exposing a pointer:
 * the object id in the high 32 bits, the block index in the low 32.
 * Object ids start at 1 and are never reused while the module is loaded.
 */
#define GMEM_BLK_ID(obj, idx)	(((__u64)(obj) << 32) | (__u32)(idx))
#define GMEM_BLK_OBJ(id)	((__u32)((id) >> 32))
#define GMEM_BLK_IDX(id)	((__u32)(id))

/* Where a block lives (the vm_object is the only truth for this). */
enum gmem_block_state {
	GMEM_BLK_NONE	= 0,	/* never touched: no host pages, no device block */
	GMEM_BLK_HOST	= 1,	/* host pages hold the data */
	GMEM_BLK_DEVICE	= 2,	/* a device block holds the data; host pages are stale */
	GMEM_BLK_REMOTE	= 3,	/* on the host, and a device maps it over the bus */
	GMEM_BLK_BOTH	= 4,	/* read copy: host pages and a device block hold the
				 * same data, both mapped read-only; a write on
				 * either side makes the block exclusive again */
};

/* Hint kinds for GMEM_IOC_ADVISE (hmadvise-style). */
enum gmem_advice {
	GMEM_ADV_WILLNEED	= 1,	/* migrate the range to @dev now */
	GMEM_ADV_DONTNEED	= 2,	/* move the range off every device now */
	GMEM_ADV_PIN		= 3,	/* migrate to @dev and never evict */
	GMEM_ADV_UNPIN		= 4,
	GMEM_ADV_PREFERRED	= 5,	/* preferred location: @dev, or GMEM_DEV_HOST */
	GMEM_ADV_TAG		= 6,	/* free-form u64 tag in @value (e.g. a layer id) */
	GMEM_ADV_HOT		= 7,	/* policies should keep it resident */
	GMEM_ADV_COLD		= 8,	/* policies should evict it first */
	GMEM_ADV_MAX		= GMEM_ADV_COLD,
};
#define GMEM_DEV_HOST		0xffffffffu

struct gmem_advise {
	__u64 addr;		/* page aligned, inside one gmem mapping of the caller */
	__u64 len;		/* page multiple, > 0; rounded out to whole blocks */
	__u32 advice;		/* enum gmem_advice */
	__u32 dev;		/* device id, where the advice takes one */
	__u64 value;		/* GMEM_ADV_TAG: the tag */
	__u64 flags;		/* must be 0 */
};

/* Exact counters; the same layout serves an object, a device and the total. */
struct gmem_stats {
	__u64 cpu_faults;
	__u64 dev_faults;
	__u64 h2d_blocks;	/* blocks migrated host -> device (demand + prefetch + hints) */
	__u64 d2h_blocks;	/* blocks migrated device -> host (evictions + CPU faults + hints) */
	__u64 h2d_bytes;
	__u64 d2h_bytes;
	__u64 evictions;	/* blocks evicted to make room in HBM */
	__u64 prefetch_issued;	/* blocks migrated by prefetch */
	__u64 prefetch_used;	/* prefetched blocks a device touched before eviction */
	__u64 prefetch_wasted;	/* prefetched blocks evicted untouched */
	__u64 remote_maps;	/* placements as remote (zero-copy) mappings */
	__u64 resident_host;	/* blocks with host-resident data now */
	__u64 resident_dev;	/* blocks resident on a device now */
	__u64 dev_accesses;	/* access notifications from devices */
	__u64 evict_wb_bytes;	/* evicted bytes written back (dirty on the device) */
	__u64 evict_clean_bytes; /* evicted bytes dropped: host copy still valid */
	__u64 inflight;		/* blocks with a copy queued on a copy engine now (a level) */
	__u64 copy_waits;	/* times a CPU fault, eviction, hint or unmap had to wait
				 * for a block's copy in flight */
	__u64 fault_batches;	/* batches of device faults serviced */
	__u64 batch_faults;	/* faults delivered in those batches (with duplicates) */
	__u64 batch_dups;	/* duplicate faults merged within a batch */
	__u64 batch_max;	/* largest batch seen (a maximum, not a sum) */
	__u64 write_faults;	/* dev_faults that were a first write to a clean block the
				 * device holds (dirty tracking); policies hear them
				 * through the accessed hook, not as faults */
	__u64 pad[1];
};

/* GMEM_IOC_OBJ_STATS: the object containing @addr in the caller's mm, or by @id. */
struct gmem_obj_info {
	__u64 addr;		/* in: an address inside the object, or 0 to use @id */
	__u32 id;		/* in/out: object id */
	__s32 owner_pid;	/* out */
	__u64 start;		/* out: mapping start in the owner's address space */
	__u64 size;		/* out */
	__u64 block_size;	/* out */
	__u64 tag;		/* out: tag of block 0 (per-block tags via hints) */
	struct gmem_stats stats;
};

/* GMEM_IOC_LIST_OBJECTS: ids of live objects (CAP_SYS_ADMIN sees all, others own). */
struct gmem_obj_list {
	__u64 ids_ptr;		/* user array of __u32 */
	__u32 capacity;		/* in: entries in ids_ptr */
	__u32 count;		/* out: live objects (may exceed capacity) */
};

struct gmem_dev_info {
	__u32 id;		/* in */
	__u32 flags;		/* in: must be 0; out: GMEM_DEV_F_* */
	char name[GMEM_NAME_LEN];
	__u64 hbm_bytes;	/* usable HBM: the GMEM_IOC_DEV_LIMIT limit if set */
	__u64 hbm_used_bytes;
	__u64 block_size;
	struct gmem_stats stats;
};

#define GMEM_DEV_F_LIMITED	1u	/* hbm_bytes is a GMEM_IOC_DEV_LIMIT limit */

/*
 * GMEM_IOC_DEV_LIMIT (CAP_SYS_ADMIN): use only @limit_bytes of device @id's
 * HBM, 0 for the whole device. Every capacity the core and policies see
 * (eviction, pin checks, GMEM_IOC_DEV_INFO, bpf_gmem_dev_capacity()) is the
 * limit, so the device behaves like one of that size (what-if replay).
 * Lowering it evicts down to it. Errors: EPERM unprivileged; ENODEV no such
 * device; EINVAL flags set, not a block multiple, or above the device's
 * HBM; EBUSY below the blocks pinned on the device (nothing changes).
 */
struct gmem_dev_limit {
	__u32 id;		/* in: device */
	__u32 flags;		/* in: must be 0 */
	__u64 limit_bytes;	/* in: usable HBM, block multiple; 0 = whole device */
	__u64 prev_bytes;	/* out: the limit before this call, 0 if none */
	__u64 hbm_bytes;	/* out: the whole device's HBM */
};

enum gmem_exit_kind {
	GMEM_EXIT_NONE		= 0,
	GMEM_EXIT_UNREG		= 1,	/* detached by userspace (unload, link released) */
	GMEM_EXIT_ERROR		= 2,	/* the policy called bpf_gmem_error() */
	GMEM_EXIT_INVALID	= 3,	/* too many invalid decisions in a window */
	GMEM_EXIT_STALL		= 4,	/* watchdog: a hook ran longer than allowed */
	GMEM_EXIT_MODULE	= 5,	/* the core is going away */
};

struct gmem_exit_info {
	__u32 kind;		/* enum gmem_exit_kind */
	__u32 pad;
	__u64 when_ns;		/* CLOCK_REALTIME */
	char policy[GMEM_NAME_LEN];
	char reason[64];	/* short, fixed text for the kind */
	char msg[GMEM_EXIT_MSG_LEN];	/* policy-provided or detail text */
};

/* Why a policy decision was ignored. */
enum gmem_reject {
	GMEM_REJ_VICTIM_NOT_RESIDENT = 0,
	GMEM_REJ_VICTIM_PINNED,
	GMEM_REJ_VICTIM_DUP,
	GMEM_REJ_VICTIM_BUSY,		/* the block being faulted in */
	GMEM_REJ_PREFETCH_RANGE,	/* outside the object */
	GMEM_REJ_PREFETCH_BUDGET,	/* over the per-fault budget */
	GMEM_REJ_PLACE_BAD,		/* unknown placement or device */
	GMEM_REJ_BAD_ID,		/* id names no block/list */
	GMEM_REJ_NR,
};

struct gmem_policy_status {
	__u32 active;		/* 1 if a BPF policy is in charge, 0 for built-in */
	__u32 flags;
	char name[GMEM_NAME_LEN];	/* "builtin" when none */
	__u64 since_ns;		/* CLOCK_REALTIME of attach */
	__u64 hook_calls;
	__u64 hook_ns;		/* total time in BPF hooks */
	__u64 rejects[GMEM_REJ_NR];
	__u64 fallbacks;	/* decisions completed by the built-in policy */
	__u64 loads;		/* policies attached since module load */
	__u64 ejections;
	struct gmem_exit_info last_exit;
	__u64 unattended;	/* decisions the built-in made while no BPF policy
				 * was attached, since the first attach */
};

/*
 * Access trace: one record per device access of a block (fault or not).
 * Started with GMEM_TRACE_F_HINTS, the stream also carries, at their place
 * in it, each object's size (GMEM_TRACE_OBJ: when it is created, and for
 * every live object at start) and each hint (GMEM_TRACE_HINT followed at
 * once by its GMEM_TRACE_HINT_VALUE; at start, hints reconstructing every
 * live block's tag, HOT/COLD, pin and preferred device), so that a replay
 * can reproduce them. Records of one event are appended together or
 * dropped together.
 */
struct gmem_trace_rec {
	__u32 obj;
	__u32 idx;		/* block; HINT: first block; OBJ: blocks in the object */
	__u16 dev;		/* device; HINT: the hint's, GMEM_TRACE_DEV_HOST for host */
	__u8 kind;		/* GMEM_TRACE_* */
	__u8 write;		/* HINT: the advice (enum gmem_advice) */
	__u32 nr;		/* HINT: blocks in the range; otherwise 0 */
	__u64 t_ns;		/* ktime since the trace started; HINT_VALUE: the value */
};
#define GMEM_TRACE_ACCESS	1
#define GMEM_TRACE_FAULT	2
#define GMEM_TRACE_HINT		3
#define GMEM_TRACE_OBJ		4
#define GMEM_TRACE_HINT_VALUE	5
#define GMEM_TRACE_DEV_HOST	0xffff
/* GMEM_IOC_TRACE_START: or-ed into the capacity, records objects and hints too. */
#define GMEM_TRACE_F_HINTS	(1u << 31)

struct gmem_trace_read {
	__u64 buf_ptr;		/* user array of struct gmem_trace_rec */
	__u32 capacity;		/* in */
	__u32 count;		/* out */
	__u64 dropped;		/* out: records lost to a full buffer since start */
};

#define GMEM_IOC_MAGIC		'G'
#define GMEM_IOC_ADVISE		_IOW(GMEM_IOC_MAGIC, 1, struct gmem_advise)
#define GMEM_IOC_OBJ_INFO	_IOWR(GMEM_IOC_MAGIC, 2, struct gmem_obj_info)
#define GMEM_IOC_LIST_OBJECTS	_IOWR(GMEM_IOC_MAGIC, 3, struct gmem_obj_list)
#define GMEM_IOC_DEV_INFO	_IOWR(GMEM_IOC_MAGIC, 4, struct gmem_dev_info)
#define GMEM_IOC_GLOBAL_STATS	_IOR(GMEM_IOC_MAGIC, 5, struct gmem_stats)
#define GMEM_IOC_POLICY_STATUS	_IOR(GMEM_IOC_MAGIC, 6, struct gmem_policy_status)
#define GMEM_IOC_TRACE_START	_IOW(GMEM_IOC_MAGIC, 7, __u32)	/* arg: capacity, records,
								 * | GMEM_TRACE_F_HINTS */
#define GMEM_IOC_TRACE_STOP	_IO(GMEM_IOC_MAGIC, 8)
#define GMEM_IOC_TRACE_READ	_IOWR(GMEM_IOC_MAGIC, 9, struct gmem_trace_read)
#define GMEM_IOC_NR_DEVICES	_IOR(GMEM_IOC_MAGIC, 10, __u32)
#define GMEM_IOC_DEV_LIMIT	_IOWR(GMEM_IOC_MAGIC, 11, struct gmem_dev_limit)
#define GMEM_IOC_TENANT_SET	_IOW(GMEM_IOC_MAGIC, 12, struct gmem_tenant_set)
#define GMEM_IOC_TENANT_INFO	_IOWR(GMEM_IOC_MAGIC, 13, struct gmem_tenant_info)
#define GMEM_IOC_POLICY_LIST	_IOWR(GMEM_IOC_MAGIC, 14, struct gmem_policy_list)

/* ---------------- /dev/gmem_simN: the simulated accelerator ---------------- */

enum gmem_sim_op {
	GMEM_SIM_FILL	= 1,	/* x[i] = (u32)scalar, i < len/4 */
	GMEM_SIM_COPY	= 2,	/* y = x, len bytes */
	GMEM_SIM_AXPY	= 3,	/* y[i] = a*x[i] + y[i], s32 elements, a = (s32)scalar */
	GMEM_SIM_REDUCE	= 4,	/* result = sum of u32 x[i] as u64 */
	GMEM_SIM_TRACE	= 5,	/* replay x = user array of struct gmem_sim_access, len = count;
				 * scalar = records in flight, whose faults come as one
				 * batch (1..GMEM_SIM_MAX_WINDOW; 0: gmem_sim.fault_batch) */
	GMEM_SIM_CHECKSUM = 6,	/* result = fnv1a-64 of len bytes at x */
	GMEM_SIM_GEMM	= 7,	/* x = user struct gmem_sim_gemm (int8 in, int32 out) */
};

/*
 * GMEM_SIM_GEMM: C (m x n, s32) = A (m x k, s8) * op(B) (s8), accumulated in
 * s32 with two's complement wrap-around. op(B) = B^T with B stored n x k
 * (rows of B are columns of C: a weight matrix "out x in", so m = 1 is a
 * GEMV), or B itself stored k x n with GMEM_SIM_GEMM_BN. Row strides are in
 * bytes. GMEM_SIM_GEMM_ACC adds to C instead of overwriting it. Limits:
 * m <= 64, m * k <= 256 KiB, m * n <= 64 Ki elements (the device's on-chip
 * buffers); larger products are tiled by the caller.
 */
struct gmem_sim_gemm {
	__u64 a, b, c;		/* device (unified memory) addresses */
	__u64 lda, ldb, ldc;	/* row strides in bytes; ldc and c 4-byte aligned */
	__u32 m, n, k;
	__u32 flags;		/* GMEM_SIM_GEMM_* */
};
#define GMEM_SIM_GEMM_BN	1u	/* B stored k x n (C = A * B) */
#define GMEM_SIM_GEMM_ACC	2u	/* C += A * op(B) */

struct gmem_sim_access {
	__u64 addr;
	__u32 len;		/* bytes, > 0, within one block */
	__u32 write;		/* GMEM_SIM_ACC_*: 0 read, 1 write (writes store a counter pattern) */
};
#define GMEM_SIM_ACC_WRITE	1u
/*
 * The record starts a new device kernel (a layer's range, say): it depends
 * on every earlier record, so a device with records in flight
 * (gmem_sim.fault_batch) finishes those before it issues this one, and a
 * fault batch never spans it.
 */
#define GMEM_SIM_ACC_BARRIER	2u

struct gmem_sim_launch {
	__u32 op;		/* enum gmem_sim_op */
	__u32 flags;		/* GMEM_SIM_F_SYNC (else asynchronous) | GMEM_SIM_F_STREAM(s) */
	__u64 x;		/* source address (or trace array for TRACE) */
	__u64 y;		/* destination address */
	__u64 len;		/* bytes (multiple of 4), or TRACE record count */
	__u64 scalar;
	__u64 compute_ns;	/* modelled compute time per block touched (for cost models) */
	__u64 seq;		/* out: job sequence number to wait for */
};
#define GMEM_SIM_F_SYNC		1u
#define GMEM_SIM_MAX_WINDOW	256	/* TRACE: most records in flight (scalar) */
/*
 * Bits 8..10 of flags: the stream (execution queue) the job runs on, below
 * the device's gmem_sim.streams. Jobs of one stream run in launch order;
 * jobs of different streams run concurrently. 0 by default.
 */
#define GMEM_SIM_STREAM_SHIFT	8
#define GMEM_SIM_STREAM_MASK	(7u << GMEM_SIM_STREAM_SHIFT)
#define GMEM_SIM_MAX_STREAMS	8
#define GMEM_SIM_F_STREAM(s)	(((__u32)(s) << GMEM_SIM_STREAM_SHIFT) & GMEM_SIM_STREAM_MASK)

struct gmem_sim_wait {
	__u64 seq;		/* in: job to wait for */
	__s64 status;		/* out: 0 or -errno of the job */
	__u64 result;		/* out: REDUCE/CHECKSUM result */
	__u64 blocks_touched;	/* out */
	__u64 dev_start_ns;	/* out: device clock when the job started */
	__u64 dev_ns;		/* out: device-clock time the job took */
};

/*
 * GMEM_SIM_IOC_CLOCK: the device clock (virtual ns, see docs/samples.md) and
 * the fixed parameters it runs on. Each stream has its own queue clock; the
 * latest is the device time. A run's device time is the difference of two
 * readings.
 */
struct gmem_sim_clock {
	__u64 now_ns;		/* the device time: the latest queue clock */
	__u64 compute_ns;	/* sum of step compute */
	__u64 stall_ns;		/* queues waited for a block's copy to finish */
	__u64 fault_ns;		/* fault service latency charged */
	__u64 copy_ns;		/* DMA channel busy time (all channels) */
	__u64 copies;		/* block copies (both directions) */
	__u64 remote_bytes;	/* read or written over the link by zero-copy steps */
	__u64 idle_copy_ns;	/* now_ns moved by copies made while no job ran */
	__u32 link_mbps;	/* per DMA channel, 1e6 bytes/s */
	__u32 dma_channels;
	__u32 fault_lat_ns;	/* per device fault */
	__u32 compute_gmacs;	/* int8 MACs per ns (also bytes/ns for byte jobs) */
};

#define GMEM_SIM_IOC_MAGIC	'S'
#define GMEM_SIM_IOC_LAUNCH	_IOWR(GMEM_SIM_IOC_MAGIC, 1, struct gmem_sim_launch)
#define GMEM_SIM_IOC_WAIT	_IOWR(GMEM_SIM_IOC_MAGIC, 2, struct gmem_sim_wait)
#define GMEM_SIM_IOC_CLOCK	_IOR(GMEM_SIM_IOC_MAGIC, 3, struct gmem_sim_clock)

/*
 * GMEM_IOC_POLICY_LIST: every registered policy attachment, system-wide
 * (cgroup_id 0) and per cgroup v2 directory (cgroup_id: the directory's id,
 * its inode number on cgroup2), including ejected ones until they are
 * detached. Fills up to @capacity entries at @buf_ptr; @count is the total.
 */
struct gmem_policy_attach {
	char name[GMEM_NAME_LEN];	/* the ops name */
	__u64 cgroup_id;		/* 0: system-wide */
	__u32 active;			/* 0: ejected (the exit record says why) */
	__u32 pad;
	__u64 since_ns;			/* CLOCK_REALTIME of attach */
	__u64 hook_calls;
	__u64 hook_ns;
	__u64 rejects;			/* its invalid decisions */
	struct gmem_exit_info exit;	/* kind GMEM_EXIT_NONE while active */
};

struct gmem_policy_list {
	__u64 buf_ptr;			/* user array of struct gmem_policy_attach */
	__u32 capacity;			/* entries at buf_ptr */
	__u32 count;			/* out: attachments registered */
};

/*
 * GMEM_IOC_TENANT_SET (CAP_SYS_ADMIN): give a cgroup v2 directory, and so
 * the objects created from it or below it afterwards, an HBM limit and a
 * weight (docs/multi-tenant.md). The directory is named by @cgroup_id, or
 * by an open fd of it in @cgroup_fd when @cgroup_id is 0.
 */
#define GMEM_TENANT_WEIGHT_MAX	10000

struct gmem_tenant_set {
	__u64 cgroup_id;	/* the directory's id (its inode number), or 0 */
	__s32 cgroup_fd;	/* used when cgroup_id is 0 */
	__u32 weight;		/* 1..GMEM_TENANT_WEIGHT_MAX; 0: keep (100 when new) */
	__u64 hbm_limit;	/* bytes of HBM per device, 0: no limit */
	__u64 flags;		/* must be 0 */
};

/* GMEM_IOC_TENANT_INFO (anyone): a cgroup's own tenant entry; -ENOENT if none. */
struct gmem_tenant_info {
	__u64 cgroup_id;	/* in (or 0 and @cgroup_fd); out: the id */
	__s32 cgroup_fd;	/* in */
	__u32 weight;		/* out */
	__u64 hbm_limit;	/* out: bytes per device, 0: none */
	__u64 hbm_used;		/* out: bytes of HBM its objects hold, all devices */
	__u64 dev_used[GMEM_MAX_DEVICES];	/* out: ... per device */
	__u64 pinned;		/* out: bytes of it pinned */
	__u64 edquot;		/* out: allocations refused at the limit (-EDQUOT) */
	__u64 nr_objects;	/* out: live objects of the tenant */
	__u64 pad[5];
	struct gmem_stats stats;	/* out: its objects' counters since it was set */
};

#endif /* _UAPI_LINUX_GMEM_H */
