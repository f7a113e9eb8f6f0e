/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadow_ops.h: the shadow-checked operations of the integrity test
 * (test_reliability_integrity.c) and of `make stress` (stress_concurrency.c),
 * which run the same load at different sizes. Each thread owns the slots
 * s with s % NTHR == its id (a slot is a 1/NTHR share of a block), keeps a
 * shadow copy of them, and checks every device result and CPU read against
 * it; worker() runs random operations until t->until.
 *
 * Included once, by a test file that has defined first:
 *   NTHR, NBLK, SRC_BLK, SLOT, SLOT_W, NSLOT;
 *   struct proc (gfd, dev[2], mem, src, shadow, and the atomic counters
 *   ops, bad, errors, partial) and struct thr (p, id, sfd[2], seed,
 *   pinned, until);
 *   launch_flags(t): the GMEM_SIM_IOC_LAUNCH flags of thread t's jobs.
 */
#ifndef GMEM_SHADOW_OPS_H
#define GMEM_SHADOW_OPS_H

/*
 * -EBUSY: another thread pinned the block to the other device, where a pin
 * keeps it. A job of one step is refused before it touches anything (the
 * shadow is not updated, and the next content check would catch a write);
 * a TRACE may be refused between two records, after the first ones ran:
 * op_trace() replays on the shadow the records the job completed.
 */
static bool refused_by_pin(int ret)
{
	return ret == -EBUSY;
}

static void fail_op(struct thr *t, const char *what, int ret)
{
	if (atomic_fetch_add(&t->p->errors, 1) < 8)
		gt_log("pid %d thread %d: %s failed: %d (%s)", getpid(), t->id, what, ret,
		       ret < 0 ? strerror(-ret) : "");
}

static void mismatch(struct thr *t, const char *what, unsigned int slot)
{
	if (atomic_fetch_add(&t->p->bad, 1) < 8)
		gt_log("pid %d thread %d: %s of slot %u differs from the shadow copy", getpid(),
		       t->id, what, slot);
}

static uint32_t *slot_mem(struct proc *p, unsigned int s) { return p->mem + (size_t)s * SLOT_W; }
static uint32_t *slot_sh(struct proc *p, unsigned int s) { return p->shadow + (size_t)s * SLOT_W; }

/* A random slot of thread @t: slot s belongs to thread s % NTHR. */
static unsigned int my_slot(struct thr *t)
{
	return rel_below(&t->seed, NBLK) * NTHR + t->id;
}

static int dev_run_steps(struct thr *t, int d, uint32_t op, const void *x, const void *y,
			 uint64_t len, uint64_t scalar, uint64_t *res, uint64_t *steps)
{
	struct gmem_sim_wait w = {};
	uint64_t seq;
	int ret;

	ret = gmt_sim_launch(t->sfd[d], op, launch_flags(t), x, y, len, scalar, &seq);
	if (!ret)
		ret = gmt_sim_wait(t->sfd[d], seq, &w);
	if (!ret && res)
		*res = w.result;
	if (steps)
		*steps = w.blocks_touched;	/* also when the job failed */
	return ret;
}

static int dev_run(struct thr *t, int d, uint32_t op, const void *x, const void *y, uint64_t len,
		   uint64_t scalar, uint64_t *res)
{
	return dev_run_steps(t, d, op, x, y, len, scalar, res, NULL);
}

/* TRACE: a few reads and writes inside the slot; the shadow tracks the writes. */
static void op_trace(struct thr *t, unsigned int s, int d)
{
	struct gmem_sim_access rec[8];
	uint8_t *m = (uint8_t *)slot_mem(t->p, s), *sh = (uint8_t *)slot_sh(t->p, s);
	uint64_t h = GMT_FNV_BASIS, got, done = 0;
	unsigned int n = 1 + rel_below(&t->seed, 8), r, k;
	int ret;

	for (r = 0; r < n; r++) {
		uint32_t off = rel_below(&t->seed, SLOT / 4) * 4;

		rec[r].addr = (uintptr_t)(m + off);
		rec[r].len = 4 + rel_below(&t->seed, (SLOT - off) / 4) * 4;
		rec[r].write = rel_below(&t->seed, 2);
	}
	ret = dev_run_steps(t, d, GMEM_SIM_TRACE, rec, NULL, n, 0, &got, &done);
	if (ret && !refused_by_pin(ret)) {
		fail_op(t, "trace", ret);
		return;
	}
	if (ret) {
		if (!done)
			return;
		atomic_fetch_add(&t->p->partial, 1);
		n = done;	/* refused midway: replay what ran */
	}
	/* Replay on the shadow: writes store (u8)(record + byte), reads hash. */
	for (r = 0; r < n; r++) {
		uint8_t *b = sh + (rec[r].addr - (uintptr_t)m);

		for (k = 0; k < rec[r].len; k++) {
			if (rec[r].write)
				b[k] = (uint8_t)(r + k);
			else
				h = (h ^ b[k]) * GMT_FNV_PRIME;
		}
	}
	if (!ret && got != h)
		mismatch(t, "trace read", s);
}

static void op_device(struct thr *t, unsigned int s, int d, unsigned int what)
{
	uint32_t *m = slot_mem(t->p, s), *sh = slot_sh(t->p, s);
	unsigned int k = rel_below(&t->seed, SRC_BLK * NTHR);
	const uint32_t *x = t->p->src + (size_t)k * SLOT_W;
	uint32_t v = rel_rand(&t->seed), i;
	uint64_t res;
	int ret;

	switch (what) {
	case 0:
		ret = dev_run(t, d, GMEM_SIM_FILL, m, NULL, SLOT, v, NULL);
		if (!ret)
			for (i = 0; i < SLOT_W; i++)
				sh[i] = v;
		break;
	case 1:
		ret = dev_run(t, d, GMEM_SIM_COPY, x, m, SLOT, 0, NULL);
		if (!ret)
			for (i = 0; i < SLOT_W; i++)
				sh[i] = gmt_pat(7, (size_t)k * SLOT_W + i);
		break;
	case 2:
		v = (uint32_t)(int32_t)(rel_below(&t->seed, 9) - 4);
		ret = dev_run(t, d, GMEM_SIM_AXPY, x, m, SLOT, v, NULL);
		if (!ret)
			for (i = 0; i < SLOT_W; i++)
				sh[i] = v * gmt_pat(7, (size_t)k * SLOT_W + i) + sh[i];
		break;
	case 3:
		ret = dev_run(t, d, GMEM_SIM_CHECKSUM, m, NULL, SLOT, 0, &res);
		if (!ret && res != gmt_fnv1a(sh, SLOT, GMT_FNV_BASIS))
			mismatch(t, "device checksum", s);
		break;
	case 4:
		ret = dev_run(t, d, GMEM_SIM_REDUCE, m, NULL, SLOT, 0, &res);
		if (!ret && res != gmt_sum32(sh, SLOT_W))
			mismatch(t, "device sum", s);
		break;
	default:
		op_trace(t, s, d);
		return;
	}
	if (ret && !refused_by_pin(ret))
		fail_op(t, "device job", ret);
}

static void op_cpu(struct thr *t, unsigned int s, bool write)
{
	uint32_t *m = slot_mem(t->p, s), *sh = slot_sh(t->p, s), seed = rel_rand(&t->seed);
	uint32_t i;

	if (write) {
		for (i = 0; i < SLOT_W; i++)
			m[i] = sh[i] = gmt_pat(seed, i);
		return;
	}
	for (i = 0; i < SLOT_W; i++)
		if (m[i] != sh[i]) {
			mismatch(t, "CPU read", s);
			return;
		}
}

/* Hints move data but never change it; at most one block pinned per thread. */
static void op_hint(struct thr *t)
{
	struct proc *p = t->p;
	uint32_t first = rel_below(&t->seed, NBLK), nr = 1 + rel_below(&t->seed, 8);
	uint32_t adv = 1 + rel_below(&t->seed, GMEM_ADV_MAX), dev = p->dev[rel_below(&t->seed, 2)];
	uint8_t *a = (uint8_t *)p->mem + (size_t)first * BS;
	int ret;

	if (first + nr > NBLK)
		nr = NBLK - first;
	if (t->pinned) {
		ret = gmt_advise(p->gfd, (void *)(uintptr_t)t->pinned, BS, GMEM_ADV_UNPIN, 0, 0);
		if (ret)
			fail_op(t, "unpin", ret);
		t->pinned = 0;
	}
	if (adv == GMEM_ADV_PIN)
		nr = 1;
	if (adv == GMEM_ADV_UNPIN)
		return;
	if (adv == GMEM_ADV_PREFERRED && rel_below(&t->seed, 3) == 0)
		dev = GMEM_DEV_HOST;
	ret = gmt_advise(p->gfd, a, (uint64_t)nr * BS, adv, dev, first);
	if (!ret && adv == GMEM_ADV_PIN)
		t->pinned = (uintptr_t)a;
	/* Pins may not exceed a device nor move another's pin; anything else must work. */
	if (ret && !(adv == GMEM_ADV_PIN && (ret == -ENOSPC || refused_by_pin(ret))))
		fail_op(t, "hint", ret);
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	unsigned long n = 0;

	while (gmt_now() < t->until) {
		unsigned int r = rel_below(&t->seed, 20), s = my_slot(t);
		int d = rel_below(&t->seed, 2);

		if (r < 3)
			op_cpu(t, s, true);
		else if (r < 6)
			op_cpu(t, s, false);
		else if (r < 18)
			op_device(t, s, d, r % 6);
		else
			op_hint(t);
		n++;
	}
	if (t->pinned)
		gmt_advise(t->p->gfd, (void *)(uintptr_t)t->pinned, BS, GMEM_ADV_UNPIN, 0, 0);
	atomic_fetch_add(&t->p->ops, n);
	return NULL;
}

#endif /* GMEM_SHADOW_OPS_H */
