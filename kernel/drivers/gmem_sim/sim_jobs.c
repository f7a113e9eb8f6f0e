// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim device kernels: FILL, COPY, AXPY, REDUCE, CHECKSUM and TRACE jobs
 * (GEMM is in sim_compute.c) launched on /dev/gmem_simN, each run on the
 * ordered work queue of its stream (GMEM_SIM_F_STREAM()): a stream's jobs
 * in order, different streams' concurrently.
 *
 * A job walks its ranges block by block ("steps"). Each step looks the block
 * up in the device page table of the submitting mm; a miss faults through
 * gm_dev_fault() and retries, a hit reports gm_dev_access() (the role of
 * hardware access counters) and touches the HBM block or, for a REMOTE
 * entry, the host pages with kmap_local_page(). Each step adds the launch's
 * compute_ns (plus its MACs at the device's rate) to the job's modelled time
 * and advances the device clock (sim_clock.c); nothing sleeps to model it.
 *
 * Locking: see gmem_sim.h. A step holds as->pt_lock only while it touches
 * the bytes, never across a call into the core. Closing the file sets
 * sf->closing, which stops running jobs at their next step, and waits for
 * every job (sim_jobs_cancel()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gmem_sim.h"

#define SIM_MAX_TRACE		(1u << 20)	/* records per TRACE job */
#define SIM_MAX_JOBS		1024		/* unreaped jobs per file */
/* A step that faults this often in a row means the core never maps it. */
#define SIM_FAULT_RETRIES	1000
#define FNV1A_BASIS		0xcbf29ce484222325ULL
#define FNV1A_PRIME		0x100000001b3ULL


static void sim_fill(struct sim_job *job, void *p, size_t len, size_t off)
{
	u32 *w = p, v = (u32)job->args.scalar;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = v;
}

static void sim_sum(struct sim_job *job, void *p, size_t len, size_t off)
{
	const u32 *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		job->result += w[i];
}

static void sim_fnv1a(struct sim_job *job, void *p, size_t len, size_t off)
{
	const u8 *b = p;
	u64 h = job->result;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * FNV1A_PRIME;
	job->result = h;
}

static void sim_load(struct sim_job *job, void *p, size_t len, size_t off)
{
	memcpy(job->bounce + off, p, len);
}

static void sim_store(struct sim_job *job, void *p, size_t len, size_t off)
{
	memcpy(p, job->bounce + off, len);
}

/* y = a*x + y on s32 with two's complement wrap-around, done in u32. */
static void sim_axpy(struct sim_job *job, void *p, size_t len, size_t off)
{
	const u32 *x = (const u32 *)(job->bounce + off);
	u32 *y = p, a = (u32)job->args.scalar;
	size_t i;

	for (i = 0; i < len / 4; i++)
		y[i] = a * x[i] + y[i];
}

/* Byte k of a TRACE write record r holds (u8)(r + k). */
static void sim_pattern(struct sim_job *job, void *p, size_t len, size_t off)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (u8)(job->cur + off + i);
}

/* pt_lock held: run @fn over the bytes @entry maps for [va, va + len). */
static void sim_visit(struct sim_job *job, void *entry, u64 va, size_t len, sim_visit_fn fn)
{
	unsigned long boff = sim_blk_off(va);
	struct page **remote = entry;
	size_t done, n;
	void *kaddr;

	if (xa_is_value(entry)) {
		fn(job, (u8 *)sim_hbm(job->sf->sdev, sim_pte_dblk(entry)) + boff, len, 0);
		return;
	}
	for (done = 0; done < len; done += n) {
		unsigned long o = boff + done;

		n = min_t(size_t, len - done, PAGE_SIZE - offset_in_page(o));
		kaddr = kmap_local_page(remote[o >> PAGE_SHIFT]);
		fn(job, (u8 *)kaddr + offset_in_page(o), n, done);
		kunmap_local(kaddr);
	}
}

/*
 * pt_lock held, @entry still mapped: the step's compute is the launch's
 * compute_ns plus what its visit counted in MACs (GEMM).
 */
static void sim_account_step(struct sim_job *job, void *entry, size_t len)
{
	u64 ns = job->args.compute_ns, t;

	if (job->step_macs)
		ns += sim_clock_macs_ns(job->step_macs);
	job->step_macs = 0;
	sim_clock_step(&job->sf->sdev->clk, job->stream, entry, len, ns);
	job->touched++;
	if (check_add_overflow(job->model_ns, ns, &t))
		t = U64_MAX;
	job->model_ns = t;
}

static unsigned int debug_report_delay_us;
module_param(debug_report_delay_us, uint, 0644);
MODULE_PARM_DESC(debug_report_delay_us,
		 "Debug: sleep this long between a job's access and its report to the core "
		 "(gm_dev_access), widening the window in which the core can move the block first");

static void sim_debug_report_delay(void)
{
	unsigned int us = READ_ONCE(debug_report_delay_us);

	if (us)
		fsleep(us);
}

/*
 * pt_lock held: the copy still in flight into the HBM block @entry maps,
 * with a reference, or NULL (none, or a remote entry). A copy into a
 * mapped block is queued before it is mapped, and none can be queued while
 * it stays mapped (the core unmaps first), so NULL under pt_lock means the
 * bytes are in place for as long as pt_lock is held.
 */
static struct dma_fence *sim_entry_copy(struct sim_dev *sdev, void *entry)
{
	return xa_is_value(entry) ? sim_dma_last(sdev, sim_pte_dblk(entry)) : NULL;
}

/*
 * One job step: access [va, va + len), which lies in one block. A miss, or
 * a write through a read-only entry, faults through the core and retries;
 * the retry may miss again if another device took the block meanwhile,
 * which is progress for that device. A block whose copy in is still in
 * flight is waited for with pt_lock dropped (the copy engine needs nothing
 * of ours, but the core's unmaps of other blocks need pt_lock), then looked
 * up again. @faulted: the step's fault was already delivered in a batch,
 * which told the core of this access.
 */
static int sim_step_once(struct sim_job *job, u64 va, size_t len, bool write,
			 sim_visit_fn fn, bool faulted)
{
	struct sim_dev *sdev = job->sf->sdev;
	struct sim_as *as = job->sf->as;
	struct dma_fence *copy;
	unsigned int tries;
	void *entry;
	int ret;

	for (tries = 0; tries < SIM_FAULT_RETRIES; tries++) {
		if (READ_ONCE(job->sf->closing))
			return -ECANCELED;
		mutex_lock(&as->pt_lock);
		entry = sim_pt_lookup(as, va);
		if (entry && !sim_pte_allows(entry, write))
			entry = NULL;		/* protection fault */
		copy = entry ? sim_entry_copy(sdev, entry) : NULL;
		if (copy) {
			mutex_unlock(&as->pt_lock);
			dma_fence_wait(copy, false);
			dma_fence_put(copy);
			tries--;		/* not a fault: look it up again */
			continue;
		}
		if (entry) {
			sim_visit(job, entry, va, len, fn);
			sim_account_step(job, entry, len);
			if (write && xa_is_value(entry))	/* the HBM block's dirty bit */
				set_bit(sim_pte_dblk(entry), sdev->dirty_map);
		}
		mutex_unlock(&as->pt_lock);
		if (entry) {
			sim_debug_report_delay();
			/* A fault already told the core about this access. */
			if (!faulted)
				gm_dev_access(&sdev->gdev, as->mm, va, write);
			return 0;
		}
		atomic64_inc(&sdev->faults);
		sim_clock_fault(&sdev->clk, job->stream);
		ret = gm_dev_fault(&sdev->gdev, as->mm, va, write);
		if (ret)
			return ret;
		faulted = true;
		cond_resched();
	}
	pr_warn_ratelimited("%s: va %llx still unmapped after %u faults\n",
			    sdev->name, va, SIM_FAULT_RETRIES);
	return -EIO;
}

int sim_step(struct sim_job *job, u64 va, size_t len, bool write, sim_visit_fn fn)
{
	return sim_step_once(job, va, len, write, fn, false);
}

size_t sim_blk_left(u64 addr)
{
	return sim_blk_size - sim_blk_off(addr);
}

static int sim_run_linear(struct sim_job *job, bool write, sim_visit_fn fn)
{
	u64 addr = job->args.x, len = job->args.len;
	size_t n;
	int ret;

	for (; len; addr += n, len -= n) {
		n = min_t(u64, len, sim_blk_left(addr));
		ret = sim_step(job, addr, n, write, fn);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * COPY and AXPY read x into the bounce buffer, then update y: each step
 * needs only one block mapped, so two blocks never have to be resident at
 * once (with one-block HBM the device would otherwise fault forever).
 */
static int sim_run_pair(struct sim_job *job, sim_visit_fn fn_y)
{
	u64 x = job->args.x, y = job->args.y, len = job->args.len;
	size_t n;
	int ret;

	for (; len; x += n, y += n, len -= n) {
		n = min3((u64)len, (u64)sim_blk_left(x), (u64)sim_blk_left(y));
		ret = sim_step(job, x, n, false, sim_load);
		if (!ret)
			ret = sim_step(job, y, n, true, fn_y);
		if (ret)
			return ret;
	}
	return 0;
}

static bool rec_write(const struct gmem_sim_access *rec)
{
	return rec->write & GMEM_SIM_ACC_WRITE;
}

/* The records in flight from @cur: up to @window, and none past a barrier. */
static u64 sim_trace_window_end(const struct sim_job *job, u64 cur)
{
	u64 end = min(cur + job->window, job->args.len), r;

	for (r = cur + 1; r < end; r++)
		if (job->recs[r].write & GMEM_SIM_ACC_BARRIER)
			return r;
	return end;
}

/*
 * 32 by default: a GPU keeps many accesses in flight and its fault buffer
 * hands the driver what they took together (UVM fetches up to 256 per
 * batch), so one fault latency covers them. 1 delivers every fault alone,
 * the order Belady's MIN and one-fault-at-a-time tests assume. A TRACE
 * launch may ask for its own window (its scalar).
 */
static unsigned int fault_batch = 32;
module_param(fault_batch, uint, 0644);
MODULE_PARM_DESC(fault_batch,
		 "TRACE jobs: records the device has in flight at once; their faults reach the "
		 "core as one batch (gm_dev_fault_batch), unless a launch sets its own. Default 32; "
		 "1: one fault at a time; max 256");

/*
 * The device issues the records [from, to) at once: collect the faults
 * they take (a miss, or a write through a read-only entry; one per record,
 * duplicates included, as a GPU's fault buffer holds one per warp) and
 * deliver them as one batch, which pays the fault latency once. The
 * records then run in order; one whose block a later fault of the batch
 * evicted faults again on its own, as a replayed access would.
 */
static int sim_trace_prefault(struct sim_job *job, u64 from, u64 to)
{
	struct sim_dev *sdev = job->sf->sdev;
	struct sim_as *as = job->sf->as;
	const struct gmem_sim_access *rec;
	unsigned int i, n = 0;
	void *entry;
	u64 r;
	int ret;

	mutex_lock(&as->pt_lock);
	for (r = from; r < to; r++) {
		bool write = rec_write(&job->recs[r]);

		rec = &job->recs[r];
		job->prefaulted[r - from] = false;
		entry = sim_pt_lookup(as, rec->addr);
		if (entry && sim_pte_allows(entry, write))
			continue;
		job->batch[n].va = rec->addr;
		job->batch[n].write = write;
		job->batch[n].data = r - from;
		n++;
	}
	mutex_unlock(&as->pt_lock);
	if (!n)
		return 0;
	atomic64_add(n, &sdev->faults);
	sim_clock_fault(&sdev->clk, job->stream);
	ret = gm_dev_fault_batch(&sdev->gdev, as->mm, job->batch, n);
	if (ret)
		return ret;
	/* A failed entry faults again at its record, which then fails the job. */
	for (i = 0; i < n; i++)
		job->prefaulted[job->batch[i].data] = !job->batch[i].ret;
	return 0;
}

/* TRACE result: fnv1a-64 over every byte the read records saw, in order. */
static int sim_run_trace(struct sim_job *job)
{
	const struct gmem_sim_access *rec;
	u64 window_start = 0, window_end = 0;
	bool faulted;
	int ret;

	u64 checked_blk = U64_MAX;
	bool checked_write = false;

	job->result = FNV1A_BASIS;
	for (job->cur = 0; job->cur < job->args.len; job->cur++) {
		rec = &job->recs[job->cur];
		if (job->window > 1 && job->cur == window_end) {
			window_start = job->cur;
			window_end = sim_trace_window_end(job, job->cur);
			ret = sim_trace_prefault(job, window_start, window_end);
			if (ret)
				return ret;
		}
		faulted = job->window > 1 && job->prefaulted[job->cur - window_start];
		/* Range check once per run of records in one block (see above). */
		if (rec->addr >> sim_blk_shift != checked_blk || (rec_write(rec) && !checked_write)) {
			ret = gm_dev_check_range(job->sf->as->mm, rec->addr, rec->len,
						 rec_write(rec));
			if (ret)
				return ret;
			checked_blk = rec->addr >> sim_blk_shift;
			checked_write = rec_write(rec);
		}
		ret = sim_step_once(job, rec->addr, rec->len, rec_write(rec),
				    rec_write(rec) ? sim_pattern : sim_fnv1a, faulted);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Every byte a linear job touches must lie in one gmem mapping that allows
 * the access, checked before the first byte moves: a job never writes part
 * of a range and then fails, nor reaches past the end of a mapping into the
 * rest of its last block.
 */
static int sim_job_check_ranges(struct sim_job *job)
{
	struct mm_struct *mm = job->sf->as->mm;
	const struct gmem_sim_launch *a = &job->args;
	bool pair = a->op == GMEM_SIM_COPY || a->op == GMEM_SIM_AXPY;
	int ret;

	if (a->op == GMEM_SIM_TRACE)
		return 0;	/* per record, in sim_run_trace() */
	if (a->op == GMEM_SIM_GEMM)
		return sim_gemm_check_ranges(job);
	ret = gm_dev_check_range(mm, a->x, a->len, a->op == GMEM_SIM_FILL);
	if (!ret && pair)
		ret = gm_dev_check_range(mm, a->y, a->len, true);
	return ret;
}

static int sim_job_run(struct sim_job *job)
{
	int ret = sim_job_check_ranges(job);

	if (ret)
		return ret;
	switch (job->args.op) {
	case GMEM_SIM_FILL:
		return sim_run_linear(job, true, sim_fill);
	case GMEM_SIM_REDUCE:
		return sim_run_linear(job, false, sim_sum);
	case GMEM_SIM_CHECKSUM:
		job->result = FNV1A_BASIS;
		return sim_run_linear(job, false, sim_fnv1a);
	case GMEM_SIM_COPY:
		return sim_run_pair(job, sim_store);
	case GMEM_SIM_AXPY:
		return sim_run_pair(job, sim_axpy);
	case GMEM_SIM_TRACE:
		return sim_run_trace(job);
	case GMEM_SIM_GEMM:
		return sim_run_gemm(job);
	}
	return -EINVAL;
}

/* ----------------------------------------------------------------- jobs */

static void sim_job_put(struct sim_job *job)
{
	if (!refcount_dec_and_test(&job->ref))
		return;
	kvfree(job->recs);
	kvfree(job->batch);
	kvfree(job->prefaulted);
	kvfree(job->bounce);
	sim_gemm_free(job->gemm);
	kfree(job);
}

/*
 * The mm is pinned (mm_users) only while the job runs: a job that starts
 * after its process exited fails with -ESRCH instead of keeping the address
 * space alive. Completing is the last touch of anything but the job itself.
 */
static void sim_job_work(struct work_struct *work)
{
	struct sim_job *job = container_of(work, struct sim_job, work);
	struct sim_file *sf = job->sf;
	struct sim_dev *sdev = sf->sdev;
	struct mm_struct *mm = sf->as->mm;

	if (READ_ONCE(sf->closing)) {
		job->status = -ECANCELED;
	} else if (!mmget_not_zero(mm)) {
		job->status = -ESRCH;
	} else {
		/* One ordered queue per stream: the job owns its queue clock meanwhile. */
		sim_clock_job_start(&sdev->clk, job->stream, job->launch_ns);
		job->dev_start_ns = sim_clock_stream_now(&sdev->clk, job->stream);
		job->status = sim_job_run(job);
		job->dev_ns = sim_clock_stream_now(&sdev->clk, job->stream) - job->dev_start_ns;
		sim_clock_job_end(&sdev->clk, job->stream);
		mmput(mm);
	}
	atomic64_inc(&sdev->jobs_done);
	atomic64_add(job->model_ns, &sdev->model_ns);
	/* complete_all(): any number of waiters (SYNC launch, WAITs, release). */
	complete_all(&job->done);
	sim_job_put(job);
}

/* Remove a finished job from the table (once, whoever gets there first). */
static void sim_job_reap(struct sim_file *sf, struct sim_job *job)
{
	if (xa_cmpxchg(&sf->jobs, job->seq, job, NULL, GFP_KERNEL) != job)
		return;
	atomic_dec(&sf->nr_jobs);
	sim_job_put(job);
}

static bool sim_overlap(u64 a, u64 b, u64 len)
{
	return a < b + len && b < a + len;
}

static int sim_check_range(u64 addr, u64 len)
{
	u64 end;

	if (!len || len % 4 || addr % 4 || check_add_overflow(addr, len, &end))
		return -EINVAL;
	return 0;
}

static int sim_check_launch(const struct gmem_sim_launch *a)
{
	int ret;

	if (a->flags & ~(GMEM_SIM_F_SYNC | GMEM_SIM_STREAM_MASK))
		return -EINVAL;
	if ((a->flags & GMEM_SIM_STREAM_MASK) >> GMEM_SIM_STREAM_SHIFT >= sim_streams)
		return -EINVAL;
	switch (a->op) {
	case GMEM_SIM_TRACE:
		if (!a->len || a->scalar > GMEM_SIM_MAX_WINDOW)
			return -EINVAL;
		return a->len > SIM_MAX_TRACE ? -E2BIG : 0;
	case GMEM_SIM_GEMM:
		return 0;		/* the operands are checked once copied in */
	case GMEM_SIM_COPY:
	case GMEM_SIM_AXPY:
		ret = sim_check_range(a->y, a->len);
		if (ret)
			return ret;
		/* Same range is well defined (y = x, y = (a+1)y); a partial overlap is not. */
		if (a->x != a->y && sim_overlap(a->x, a->y, a->len))
			return -EINVAL;
		fallthrough;
	case GMEM_SIM_FILL:
	case GMEM_SIM_REDUCE:
	case GMEM_SIM_CHECKSUM:
		return sim_check_range(a->x, a->len);
	}
	return -EINVAL;
}

static int sim_copy_trace(struct sim_job *job)
{
	const struct gmem_sim_access *rec;
	u64 i;

	/* Charged to the caller's memory cgroup: unreaped jobs are its memory. */
	job->recs = kvmalloc_array(job->args.len, sizeof(*job->recs), GFP_KERNEL_ACCOUNT);
	if (!job->recs)
		return -ENOMEM;
	if (copy_from_user(job->recs, u64_to_user_ptr(job->args.x),
			   job->args.len * sizeof(*job->recs)))
		return -EFAULT;
	for (i = 0; i < job->args.len; i++) {
		rec = &job->recs[i];
		if (!rec->len || rec->write & ~(GMEM_SIM_ACC_WRITE | GMEM_SIM_ACC_BARRIER) ||
		    sim_blk_off(rec->addr) + rec->len > sim_blk_size)
			return -EINVAL;
	}
	/* The launch's window, else the device's (each job keeps its own). */
	BUILD_BUG_ON(GMEM_SIM_MAX_WINDOW > GM_FAULT_BATCH_MAX);
	job->window = clamp_t(unsigned int,
			      job->args.scalar ? job->args.scalar : READ_ONCE(fault_batch),
			      1, GM_FAULT_BATCH_MAX);
	if (job->window == 1)
		return 0;
	job->batch = kvcalloc(job->window, sizeof(*job->batch), GFP_KERNEL_ACCOUNT);
	job->prefaulted = kvcalloc(job->window, sizeof(*job->prefaulted), GFP_KERNEL_ACCOUNT);
	return job->batch && job->prefaulted ? 0 : -ENOMEM;
}

static struct sim_job *sim_job_alloc(struct sim_file *sf, const struct gmem_sim_launch *args)
{
	struct sim_job *job;
	int ret = 0;

	job = kzalloc(sizeof(*job), GFP_KERNEL_ACCOUNT);
	if (!job)
		return ERR_PTR(-ENOMEM);
	refcount_set(&job->ref, 1);
	init_completion(&job->done);
	INIT_WORK(&job->work, sim_job_work);
	job->sf = sf;
	job->args = *args;
	job->stream = (args->flags & GMEM_SIM_STREAM_MASK) >> GMEM_SIM_STREAM_SHIFT;
	if (args->op == GMEM_SIM_TRACE) {
		ret = sim_copy_trace(job);
	} else if (args->op == GMEM_SIM_GEMM) {
		ret = sim_gemm_prepare(job);
	} else if (args->op == GMEM_SIM_COPY || args->op == GMEM_SIM_AXPY) {
		job->bounce = kvmalloc(min_t(u64, args->len, sim_blk_size), GFP_KERNEL_ACCOUNT);
		if (!job->bounce)
			ret = -ENOMEM;
	}
	if (ret) {
		sim_job_put(job);
		return ERR_PTR(ret);
	}
	return job;
}

/* Publish @job under a new seq and queue it; the table and worker get refs. */
static int sim_job_submit(struct sim_file *sf, struct sim_job *job)
{
	int ret;

	if (atomic_inc_return(&sf->nr_jobs) > SIM_MAX_JOBS) {
		ret = -EAGAIN;
		goto err;
	}
	job->seq = atomic64_inc_return(&sf->next_seq);
	job->launch_ns = sim_clock_now(&sf->sdev->clk);
	refcount_inc(&job->ref);
	ret = xa_insert(&sf->jobs, job->seq, job, GFP_KERNEL);
	if (ret) {
		refcount_dec(&job->ref);
		goto err;
	}
	refcount_inc(&job->ref);
	queue_work(sf->sdev->wq[job->stream], &job->work);
	return 0;
err:
	atomic_dec(&sf->nr_jobs);
	return ret;
}

long sim_ioctl_launch(struct sim_file *sf, struct gmem_sim_launch __user *uarg)
{
	struct gmem_sim_launch args;
	struct sim_job *job;
	int ret;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	ret = sim_check_launch(&args);
	if (ret)
		return ret;
	job = sim_job_alloc(sf, &args);
	if (IS_ERR(job))
		return PTR_ERR(job);
	ret = sim_job_submit(sf, job);
	if (ret)
		goto out;
	/* The job runs even if userspace cannot learn its seq; close reaps it. */
	if (put_user(job->seq, &uarg->seq))
		ret = -EFAULT;
	/* Killable, not interruptible: a restarted LAUNCH would run the job twice. */
	else if ((args.flags & GMEM_SIM_F_SYNC) && wait_for_completion_killable(&job->done))
		ret = -EINTR;
out:
	sim_job_put(job);
	return ret;
}

long sim_ioctl_wait(struct sim_file *sf, struct gmem_sim_wait __user *uarg)
{
	struct gmem_sim_wait w = {};
	struct sim_job *job;
	int ret;

	if (get_user(w.seq, &uarg->seq))
		return -EFAULT;
	xa_lock(&sf->jobs);
	job = xa_load(&sf->jobs, w.seq);
	if (job)
		refcount_inc(&job->ref);
	xa_unlock(&sf->jobs);
	if (!job)
		return -ENOENT;

	ret = wait_for_completion_interruptible(&job->done);
	if (!ret) {
		w.status = job->status;
		w.result = job->result;
		w.blocks_touched = job->touched;
		w.dev_start_ns = job->dev_start_ns;
		w.dev_ns = job->dev_ns;
		/* Reap only once the caller has the result. */
		if (copy_to_user(uarg, &w, sizeof(w)))
			ret = -EFAULT;
		else
			sim_job_reap(sf, job);
	}
	sim_job_put(job);
	return ret;
}

/* Stop every job of a closing file and wait for all of them to end. */
void sim_jobs_cancel(struct sim_file *sf)
{
	struct sim_job *job;
	unsigned long seq;

	WRITE_ONCE(sf->closing, true);
	xa_for_each(&sf->jobs, seq, job) {
		wait_for_completion(&job->done);
		sim_job_reap(sf, job);
	}
	xa_destroy(&sf->jobs);
}
