// SPDX-License-Identifier: GPL-2.0
/*
 * gm_trace.c: the device access trace (GMEM_IOC_TRACE_START/READ/STOP).
 *
 * One system-wide ring of struct gmem_trace_rec. Every device fault and
 * every reported device access appends a record; when the ring is full new
 * records are dropped and counted, never overwritten, so a reader sees an
 * exact prefix of the stream plus a count of what it lost. The trace shows
 * every process's accesses, so all three ioctls need CAP_SYS_ADMIN.
 *
 * Locking: gm_trace_lock (spinlock) protects the ring's head, count and
 * dropped counter against concurrent appends, which come from any
 * fault path with a block lock held. gm_trace_mutex serializes START,
 * STOP and READ, so only its holder consumes records or frees the ring: a
 * reader copies a batch out under the spinlock, copies it to user space with
 * no lock held (the user buffer may be gmem memory whose fault takes
 * a block lock), and only then consumes it, so a failed copy loses nothing.
 * With GMEM_TRACE_F_HINTS, START snapshots every live object's size and
 * hint state under gm_objs_lock (taken inside gm_trace_mutex), reading the
 * blocks' hint fields without their locks: a hint racing with the start may
 * be recorded twice or in its old state, never torn within a record.
 */
#include <linux/capability.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "gm_internal.h"

#define GM_TRACE_MAX_RECS	(1u << 22)	/* 96 MiB of records */
#define GM_TRACE_BATCH		256		/* records per copy to user space */

static DEFINE_SPINLOCK(gm_trace_lock);
static DEFINE_MUTEX(gm_trace_mutex);

static struct {
	struct gmem_trace_rec *ring;	/* NULL when stopped */
	u32 cap;
	u32 head;			/* oldest record */
	u32 count;
	u64 dropped;
	u64 t0;				/* ktime_get_ns() at start */
	bool hints;			/* GMEM_TRACE_F_HINTS: objects and hints too */
} gm_trace;

/* Append @nr records, all or none (counted as dropped). */
static void gm_trace_put(struct gmem_trace_rec *recs, u32 nr)
{
	unsigned long flags;
	u64 t;
	u32 i;

	spin_lock_irqsave(&gm_trace_lock, flags);
	if (!gm_trace.ring) {
		/* stopped meanwhile */
	} else if (gm_trace.cap - gm_trace.count < nr) {
		gm_trace.dropped += nr;
	} else {
		t = ktime_get_ns() - gm_trace.t0;
		for (i = 0; i < nr; i++) {
			if (recs[i].kind != GMEM_TRACE_HINT_VALUE)
				recs[i].t_ns = t;
			gm_trace.ring[(gm_trace.head + gm_trace.count) % gm_trace.cap] = recs[i];
			gm_trace.count++;
		}
	}
	spin_unlock_irqrestore(&gm_trace_lock, flags);
}

void gm_trace_record(const struct gm_block *blk, u32 dev, u8 kind, bool write)
{
	struct gmem_trace_rec rec = {
		.obj = blk->obj->id, .idx = blk->idx, .dev = dev, .kind = kind, .write = write,
	};

	if (READ_ONCE(gm_trace.ring))
		gm_trace_put(&rec, 1);
}

/* A hint on blocks [first, first + nr) of @obj; @dev GMEM_DEV_HOST for the host. */
void gm_trace_hint(const struct gm_object *obj, u32 first, u32 nr, u32 advice, u32 dev,
		   u64 value)
{
	struct gmem_trace_rec recs[2] = {
		{ .obj = obj->id, .idx = first, .nr = nr, .kind = GMEM_TRACE_HINT,
		  .write = advice, .dev = dev < GMEM_MAX_DEVICES ? dev : GMEM_TRACE_DEV_HOST },
		{ .obj = obj->id, .idx = first, .kind = GMEM_TRACE_HINT_VALUE, .t_ns = value },
	};

	if (READ_ONCE(gm_trace.hints))
		gm_trace_put(recs, 2);
}

/* @obj exists, with its size in blocks. */
void gm_trace_obj(const struct gm_object *obj)
{
	struct gmem_trace_rec rec = { .obj = obj->id, .idx = obj->nr_blocks,
				      .kind = GMEM_TRACE_OBJ };

	if (READ_ONCE(gm_trace.hints))
		gm_trace_put(&rec, 1);
}

/* A run of consecutive blocks of one object in the same state for one advice. */
struct gm_trace_run {
	const struct gm_object *obj;
	u32 advice, first, nr, dev;
	u64 value;
};

/* Does @blk carry @advice now (and with which device and value)? */
static bool gm_trace_blk_has(const struct gm_block *blk, u32 advice, u32 *dev, u64 *value)
{
	u32 flags = READ_ONCE(blk->flags);
	u8 d;

	*dev = GMEM_DEV_HOST;
	*value = 0;
	switch (advice) {
	case GMEM_ADV_TAG:
		*value = READ_ONCE(blk->tag);
		return *value;
	case GMEM_ADV_HOT:
		return flags & GM_BLK_HOT;
	case GMEM_ADV_COLD:
		return flags & GM_BLK_COLD;
	case GMEM_ADV_PIN:
		*dev = READ_ONCE(blk->pin_dev);
		return flags & GM_BLK_PINNED;
	case GMEM_ADV_PREFERRED:
		d = READ_ONCE(blk->pref_dev);
		*dev = d == GM_PREF_HOST ? GMEM_DEV_HOST : d;
		return d != GM_NO_DEV;
	}
	return false;
}

static void gm_trace_run_flush(struct gm_trace_run *r)
{
	if (r->nr)
		gm_trace_hint(r->obj, r->first, r->nr, r->advice, r->dev, r->value);
	r->nr = 0;
}

static int gm_trace_run_add(struct gm_block *blk, void *arg)
{
	struct gm_trace_run *r = arg;
	bool has;
	u64 value;
	u32 dev;

	has = gm_trace_blk_has(blk, r->advice, &dev, &value);
	if (r->nr && (!has || blk->idx != r->first + r->nr || dev != r->dev || value != r->value))
		gm_trace_run_flush(r);
	if (!has)
		return 0;
	if (!r->nr) {
		r->first = blk->idx;
		r->dev = dev;
		r->value = value;
	}
	r->nr++;
	return 0;
}

/*
 * Every live object's size and hint state, as records (GMEM_TRACE_F_HINTS).
 * A block's tag of 0 is not told from no tag, so tag 0 is not reconstructed:
 * a tracer that needs it starts the trace before its hints (gmem-bench does).
 */
static void gm_trace_snapshot(void)
{
	static const u32 kinds[] = { GMEM_ADV_TAG, GMEM_ADV_HOT, GMEM_ADV_COLD,
				     GMEM_ADV_PREFERRED, GMEM_ADV_PIN };
	struct gm_trace_run run = { };
	struct gm_object *obj;
	int i;

	mutex_lock(&gm_objs_lock);
	list_for_each_entry(obj, &gm_obj_list, node) {
		if (READ_ONCE(obj->dead))
			continue;
		gm_trace_obj(obj);
		run.obj = obj;
		for (i = 0; i < ARRAY_SIZE(kinds); i++) {
			run.advice = kinds[i];
			gm_obj_for_each_block(obj, 0, obj->nr_blocks, false, gm_trace_run_add, &run);
			gm_trace_run_flush(&run);
		}
	}
	mutex_unlock(&gm_objs_lock);
}

static int gm_trace_start(u32 arg)
{
	u32 cap = arg & ~GMEM_TRACE_F_HINTS;
	struct gmem_trace_rec *ring;

	if (!cap || cap > GM_TRACE_MAX_RECS)
		return -EINVAL;
	if (gm_trace.ring)
		return -EBUSY;
	ring = vmalloc_array(cap, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	spin_lock_irq(&gm_trace_lock);
	gm_trace.cap = cap;
	gm_trace.head = 0;
	gm_trace.count = 0;
	gm_trace.dropped = 0;
	gm_trace.t0 = ktime_get_ns();
	WRITE_ONCE(gm_trace.hints, !!(arg & GMEM_TRACE_F_HINTS));
	WRITE_ONCE(gm_trace.ring, ring);
	spin_unlock_irq(&gm_trace_lock);
	if (gm_trace.hints)
		gm_trace_snapshot();
	return 0;
}

static int gm_trace_stop(void)
{
	struct gmem_trace_rec *ring;

	spin_lock_irq(&gm_trace_lock);
	ring = gm_trace.ring;
	WRITE_ONCE(gm_trace.ring, NULL);
	WRITE_ONCE(gm_trace.hints, false);
	spin_unlock_irq(&gm_trace_lock);
	if (!ring)
		return -ENOENT;
	vfree(ring);
	return 0;
}

/* Copy up to @max of the oldest records into @buf without consuming them. */
static u32 gm_trace_peek(struct gmem_trace_rec *buf, u32 max)
{
	u32 i, n;

	spin_lock_irq(&gm_trace_lock);
	n = min(gm_trace.count, max);
	for (i = 0; i < n; i++)
		buf[i] = gm_trace.ring[(gm_trace.head + i) % gm_trace.cap];
	spin_unlock_irq(&gm_trace_lock);
	return n;
}

static void gm_trace_consume(u32 n)
{
	spin_lock_irq(&gm_trace_lock);
	gm_trace.head = (gm_trace.head + n) % gm_trace.cap;
	gm_trace.count -= n;
	spin_unlock_irq(&gm_trace_lock);
}

static int gm_trace_read(void __user *uarg)
{
	struct gmem_trace_read rd;
	struct gmem_trace_rec *batch;
	struct gmem_trace_rec __user *out;
	u32 n;
	int ret = 0;

	if (copy_from_user(&rd, uarg, sizeof(rd)))
		return -EFAULT;
	if (!gm_trace.ring)
		return -ENOENT;
	batch = kmalloc_array(GM_TRACE_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	out = u64_to_user_ptr(rd.buf_ptr);
	rd.count = 0;
	while (rd.count < rd.capacity) {
		n = gm_trace_peek(batch, min(rd.capacity - rd.count, GM_TRACE_BATCH));
		if (!n)
			break;
		if (copy_to_user(out + rd.count, batch, n * sizeof(*batch))) {
			ret = -EFAULT;
			break;
		}
		gm_trace_consume(n);
		rd.count += n;
	}
	kfree(batch);
	spin_lock_irq(&gm_trace_lock);
	rd.dropped = gm_trace.dropped;
	spin_unlock_irq(&gm_trace_lock);
	/* Records already handed over stay consumed even if this copy fails. */
	if (copy_to_user(uarg, &rd, sizeof(rd)))
		ret = -EFAULT;
	return ret;
}

long gm_trace_ioctl(unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	u32 cap;
	long ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (cmd == GMEM_IOC_TRACE_START && get_user(cap, (u32 __user *)uarg))
		return -EFAULT;
	mutex_lock(&gm_trace_mutex);
	switch (cmd) {
	case GMEM_IOC_TRACE_START:
		ret = gm_trace_start(cap);
		break;
	case GMEM_IOC_TRACE_STOP:
		ret = gm_trace_stop();
		break;
	case GMEM_IOC_TRACE_READ:
		ret = gm_trace_read(uarg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&gm_trace_mutex);
	return ret;
}

/* Module unload: no file is open, so no ioctl can race with this. */
void gm_trace_exit(void)
{
	gm_trace_stop();
}
