/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gm_tracepoints.h: gmem's tracepoints (TRACE_SYSTEM gmem), for perf,
 * trace-cmd, bpftrace and tracefs (/sys/kernel/tracing/events/gmem/).
 *
 * Every argument is a plain value (device id, object id, block index, byte
 * count, reason code, name string), never a pointer to a core structure: the
 * events are an interface to tools and must not change when the core's
 * structures do. A call site is one line, trace_gmem_<event>(...).
 *
 * This is not the access trace of gm_trace.c (GMEM_IOC_TRACE_*), which
 * records every device access into a ring for `gmemctl trace record` and
 * Belady's MIN; these events are for live inspection.
 *
 * Built out of tree: TRACE_INCLUDE_PATH is this folder (Kbuild adds
 * -I$(src) for gm_tracepoints.o, the one file with CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gmem

#if !defined(_GM_TRACEPOINTS_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GM_TRACEPOINTS_H

#include <linux/tracepoint.h>
#include <uapi/linux/gmem.h>

#define gm_show_reject(why)						\
	__print_symbolic(why,						\
		{ GMEM_REJ_VICTIM_NOT_RESIDENT,	"victim_not_resident" },	\
		{ GMEM_REJ_VICTIM_PINNED,	"victim_pinned" },		\
		{ GMEM_REJ_VICTIM_DUP,		"victim_dup" },			\
		{ GMEM_REJ_VICTIM_BUSY,		"victim_busy" },		\
		{ GMEM_REJ_PREFETCH_RANGE,	"prefetch_range" },		\
		{ GMEM_REJ_PREFETCH_BUDGET,	"prefetch_budget" },		\
		{ GMEM_REJ_PLACE_BAD,		"place_bad" },			\
		{ GMEM_REJ_BAD_ID,		"bad_id" })

#define gm_show_exit(kind)						\
	__print_symbolic(kind,						\
		{ GMEM_EXIT_UNREG,	"unregistered" },			\
		{ GMEM_EXIT_ERROR,	"error" },				\
		{ GMEM_EXIT_INVALID,	"invalid" },				\
		{ GMEM_EXIT_STALL,	"stall" },				\
		{ GMEM_EXIT_MODULE,	"module" })

/* A device faulted on a block: before any placement or migration. */
TRACE_EVENT(gmem_fault,
	TP_PROTO(u32 dev, u32 obj, u32 idx, bool write),
	TP_ARGS(dev, obj, idx, write),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, obj)
		__field(u32, idx)
		__field(bool, write)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->obj = obj;
		__entry->idx = idx;
		__entry->write = write;
	),
	TP_printk("dev=%u obj=%u idx=%u %s", __entry->dev, __entry->obj, __entry->idx,
		  __entry->write ? "write" : "read")
);

/*
 * Device @dev delivered a batch of @faults faults (gm_dev_fault_batch()),
 * in @blocks distinct blocks; a single gm_dev_fault() is a batch of one.
 */
TRACE_EVENT(gmem_fault_batch,
	TP_PROTO(u32 dev, u32 faults, u32 blocks),
	TP_ARGS(dev, faults, blocks),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, faults)
		__field(u32, blocks)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->faults = faults;
		__entry->blocks = blocks;
	),
	TP_printk("dev=%u faults=%u blocks=%u", __entry->dev, __entry->faults,
		  __entry->blocks)
);

/*
 * A block moved between host memory and device @dev. @to_dev: host ->
 * device; else device -> host. @bytes is what was copied: 0 when a device's
 * read copy was dropped (the host already held the data). @evict: the
 * move freed HBM for an eviction.
 */
TRACE_EVENT(gmem_migrate,
	TP_PROTO(u32 dev, u32 obj, u32 idx, bool to_dev, u64 bytes, bool evict),
	TP_ARGS(dev, obj, idx, to_dev, bytes, evict),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, obj)
		__field(u32, idx)
		__field(bool, to_dev)
		__field(bool, evict)
		__field(u64, bytes)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->obj = obj;
		__entry->idx = idx;
		__entry->to_dev = to_dev;
		__entry->evict = evict;
		__entry->bytes = bytes;
	),
	TP_printk("dev=%u obj=%u idx=%u %s bytes=%llu%s", __entry->dev, __entry->obj,
		  __entry->idx, __entry->to_dev ? "h2d" : "d2h", __entry->bytes,
		  __entry->evict ? " evict" : "")
);

/*
 * A copy of block @obj:@idx queued on device @dev's copy engines (gm_copy.c),
 * and the same copy landed (its fence signalled; from the signaller's
 * context). Copies made at once (demand faults, devices without copy
 * engines, blocks the driver copies itself) appear in neither. The time
 * between the two is the copy's latency as the host saw it.
 */
DECLARE_EVENT_CLASS(gmem_copy_class,
	TP_PROTO(u32 dev, u32 obj, u32 idx, bool to_dev),
	TP_ARGS(dev, obj, idx, to_dev),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, obj)
		__field(u32, idx)
		__field(bool, to_dev)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->obj = obj;
		__entry->idx = idx;
		__entry->to_dev = to_dev;
	),
	TP_printk("dev=%u obj=%u idx=%u %s", __entry->dev, __entry->obj, __entry->idx,
		  __entry->to_dev ? "h2d" : "d2h")
);

DEFINE_EVENT(gmem_copy_class, gmem_copy_queued,
	TP_PROTO(u32 dev, u32 obj, u32 idx, bool to_dev),
	TP_ARGS(dev, obj, idx, to_dev));

DEFINE_EVENT(gmem_copy_class, gmem_copy_done,
	TP_PROTO(u32 dev, u32 obj, u32 idx, bool to_dev),
	TP_ARGS(dev, obj, idx, to_dev));

/*
 * One eviction round on device @dev: @wanted blocks asked of the policy,
 * @nominated victims it gave (before validation), @evicted blocks freed.
 */
TRACE_EVENT(gmem_evict,
	TP_PROTO(u32 dev, u32 wanted, u32 nominated, u32 evicted),
	TP_ARGS(dev, wanted, nominated, evicted),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, wanted)
		__field(u32, nominated)
		__field(u32, evicted)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->wanted = wanted;
		__entry->nominated = nominated;
		__entry->evicted = evicted;
	),
	TP_printk("dev=%u wanted=%u nominated=%u evicted=%u", __entry->dev, __entry->wanted,
		  __entry->nominated, __entry->evicted)
);

/* A prefetched block arrived on device @dev (after its gmem_migrate). */
TRACE_EVENT(gmem_prefetch,
	TP_PROTO(u32 dev, u32 obj, u32 idx),
	TP_ARGS(dev, obj, idx),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, obj)
		__field(u32, idx)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->obj = obj;
		__entry->idx = idx;
	),
	TP_printk("dev=%u obj=%u idx=%u", __entry->dev, __entry->obj, __entry->idx)
);

/* The core refused a policy's decision (enum gmem_reject, as in gmemctl status). */
TRACE_EVENT(gmem_policy_reject,
	TP_PROTO(u32 reason),
	TP_ARGS(reason),
	TP_STRUCT__entry(
		__field(u32, reason)
	),
	TP_fast_assign(
		__entry->reason = reason;
	),
	TP_printk("reason=%s", gm_show_reject(__entry->reason))
);

/* A BPF policy stopped being in charge (enum gmem_exit_kind, its exit record). */
TRACE_EVENT(gmem_policy_eject,
	TP_PROTO(const char *policy, u32 kind, const char *msg),
	TP_ARGS(policy, kind, msg),
	TP_STRUCT__entry(
		__string(policy, policy)
		__field(u32, kind)
		__string(msg, msg)
	),
	TP_fast_assign(
		__assign_str(policy);
		__entry->kind = kind;
		__assign_str(msg);
	),
	TP_printk("policy=%s kind=%s msg=\"%s\"", __get_str(policy), gm_show_exit(__entry->kind),
		  __get_str(msg))
);

#endif /* _GM_TRACEPOINTS_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gm_tracepoints
#include <trace/define_trace.h>
