// SPDX-License-Identifier: GPL-2.0
/*
 * bench_run.c: run workload plans on the simulated accelerator (see
 * bench_run.h for the shape of a run).
 *
 * Processes: the caller is the parent; each tenant is a forked child that
 * opens its own files after fork (a /dev/gmem_simN file serves only the mm
 * that opened it). The protocol is four pipes:
 *   ready  child -> parent: set-up status (int32), then the child closes it
 *   go     parent -> child: one byte per tenant releases them together; EOF
 *          without a byte means "abort"
 *   res    child -> parent: one struct tenant_msg when the device work is done
 *   fin    parent -> child: EOF once the parent has read the counters; only
 *          then do tenants unmap, so teardown never shows in the counters
 * Writes of less than PIPE_BUF are atomic, so tenants share the pipes
 * without framing. Counters are the core's global ones (GMEM_IOC_GLOBAL_STATS)
 * between release and the last tenant's report: they include what one
 * tenant's faults do to another's blocks, which per-object counters taken by
 * each tenant would miss. The bench therefore wants a quiet system.
 * No threads, no shared memory, no locking.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_run.h"

#define GMEM_PATH	"/dev/gmem"
#define FNV_PRIME	0x100000001b3ull
#define TRACE_CHUNK	65536u
/* Kernel ring size in records; drained every 50 ms while tenants run. */
#define TRACE_KERNEL_CAP	(1u << 18)

struct tenant_msg {
	int32_t err;
	uint32_t idx;
	uint64_t nr_blocks;
	uint64_t touches, touched, checksum;
	double wall_s;
	char desc[160];
};
_Static_assert(sizeof(struct tenant_msg) < 4096, "one atomic pipe write");

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = -errno;

		fprintf(stderr, "gmem-bench: %s: %s\n", path, strerror(errno));
		return err;
	}
	return fd;
}

static int open_sim(uint32_t idx)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/gmem_sim%u", idx);
	return open_dev(path);
}

/* The sim's device clock (GMEM_SIM_IOC_CLOCK); zeroes if it cannot be read. */
static void read_clock(uint32_t idx, struct gmem_sim_clock *c)
{
	int fd = open_sim(idx);

	memset(c, 0, sizeof(*c));
	if (fd < 0)
		return;
	if (xioctl(fd, GMEM_SIM_IOC_CLOCK, c))
		memset(c, 0, sizeof(*c));
	close(fd);
}

/* @b - @a for the counters; the parameters of @b. */
static void clock_delta(const struct gmem_sim_clock *a, struct gmem_sim_clock *b)
{
	b->now_ns -= a->now_ns;
	b->compute_ns -= a->compute_ns;
	b->stall_ns -= a->stall_ns;
	b->fault_ns -= a->fault_ns;
	b->copy_ns -= a->copy_ns;
	b->copies -= a->copies;
	b->remote_bytes -= a->remote_bytes;
	b->idle_copy_ns -= a->idle_copy_ns;
}

int bench_env_probe(uint32_t sim_index, struct bench_env *env)
{
	struct gmem_dev_info di = { 0 };
	char path[96];
	unsigned int id;
	FILE *f;
	int fd, err;

	memset(env, 0, sizeof(*env));
	snprintf(path, sizeof(path), "/sys/class/misc/gmem_sim%u/gmem_id", sim_index);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "gmem-bench: %s: %s (is gmem_sim loaded?)\n", path, strerror(errno));
		return -ENODEV;
	}
	err = fscanf(f, "%u", &id) == 1 ? 0 : -EIO;
	fclose(f);
	if (err)
		return err;
	fd = open_dev(GMEM_PATH);
	if (fd < 0)
		return fd;
	di.id = id;
	err = xioctl(fd, GMEM_IOC_DEV_INFO, &di);
	close(fd);
	if (err) {
		fprintf(stderr, "gmem-bench: DEV_INFO %u: %s\n", id, strerror(-err));
		return err;
	}
	if (!di.block_size || di.hbm_bytes < di.block_size)
		return -EIO;
	env->dev_id = id;
	env->sim_index = sim_index;
	env->block_size = di.block_size;
	env->hbm_blocks = di.hbm_bytes / di.block_size;
	memcpy(env->dev_name, di.name, sizeof(env->dev_name));
	env->dev_name[sizeof(env->dev_name) - 1] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ tenant */

struct tenant {
	const struct bench_cfg *cfg;
	const struct bench_env *env;
	struct wl_plan plan;
	int gfd, sfd;
	uint32_t stream;		/* the device stream its jobs run on */
	char *base;
	size_t size;
};

/* Host data with a known pattern: the first word of each page names the page. */
static void cpu_fill(char *base, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += 4096)
		*(volatile uint64_t *)(base + off) = 0x6d656d67ull << 32 | (off >> 12);
}

static int apply_hints(struct tenant *t)
{
	uint32_t i;

	for (i = 0; i < t->plan.nr_hints; i++) {
		const struct wl_hint *h = &t->plan.hints[i];
		struct gmem_advise a = {
			.addr = (uintptr_t)t->base + (uint64_t)h->first * t->env->block_size,
			.len = (uint64_t)h->nr * t->env->block_size,
			.advice = h->advice,
			.dev = t->env->dev_id,
			.value = h->value,
		};
		int err = xioctl(t->gfd, GMEM_IOC_ADVISE, &a);

		if (err) {
			fprintf(stderr, "gmem-bench: ADVISE %u on blocks %u+%u: %s\n",
				h->advice, h->first, h->nr, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int tenant_setup(struct tenant *t, uint32_t idx)
{
	struct wl_params p = t->cfg->wl;
	int err;

	p.seed += idx;
	p.oversub /= t->cfg->tenants;
	t->stream = idx % (t->cfg->streams ? t->cfg->streams : 1);
	err = wl_generate(&p, &t->plan);
	if (err) {
		fprintf(stderr, "gmem-bench: bad workload parameters (%s)\n", strerror(-err));
		return err;
	}
	t->gfd = open_dev(GMEM_PATH);
	if (t->gfd < 0)
		return t->gfd;
	t->sfd = open_sim(t->env->sim_index);
	if (t->sfd < 0)
		return t->sfd;
	t->size = (size_t)t->plan.nr_blocks * t->env->block_size;
	t->base = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED, t->gfd, 0);
	if (t->base == MAP_FAILED) {
		t->base = NULL;
		err = -errno;
		fprintf(stderr, "gmem-bench: mmap %zu bytes of %s: %s\n", t->size, GMEM_PATH,
			strerror(errno));
		return err;
	}
	cpu_fill(t->base, t->size);
	return apply_hints(t);
}

static void fill_job(const struct tenant *t, uint64_t first, uint32_t nr,
		     struct gmem_sim_access *acc)
{
	uint32_t i;

	for (i = 0; i < nr; i++) {
		const struct wl_access *a = &t->plan.acc[first + i];

		acc[i] = (struct gmem_sim_access){
			.addr = (uintptr_t)t->base + (uint64_t)a->blk * t->env->block_size,
			.len = t->cfg->access_len,
			.write = (a->write ? GMEM_SIM_ACC_WRITE : 0) |
				 (a->barrier ? GMEM_SIM_ACC_BARRIER : 0),
		};
	}
}

static int run_job(const struct tenant *t, const struct gmem_sim_access *acc, uint32_t nr,
		   struct tenant_msg *m)
{
	struct gmem_sim_launch l = {
		.op = GMEM_SIM_TRACE,
		.flags = GMEM_SIM_F_SYNC | GMEM_SIM_F_STREAM(t->stream),
		.x = (uintptr_t)acc,
		.len = nr,
		.scalar = t->cfg->fault_window,
		.compute_ns = t->cfg->compute_ns,
	};
	struct gmem_sim_wait w = { 0 };
	int err;

	err = xioctl(t->sfd, GMEM_SIM_IOC_LAUNCH, &l);
	if (!err) {
		w.seq = l.seq;
		err = xioctl(t->sfd, GMEM_SIM_IOC_WAIT, &w);
	}
	if (!err)
		err = (int)w.status;
	if (err) {
		fprintf(stderr, "gmem-bench: TRACE job of %u accesses: %s\n", nr, strerror(-err));
		return err;
	}
	m->touched += w.blocks_touched;
	m->checksum = (m->checksum ^ w.result) * FNV_PRIME;
	return 0;
}

static int tenant_run(struct tenant *t, struct tenant_msg *m)
{
	struct gmem_sim_access *acc;
	uint64_t pos;
	int err = 0;

	acc = calloc(t->cfg->job_accesses, sizeof(*acc));
	if (!acc)
		return -ENOMEM;
	for (pos = 0; pos < t->plan.nr_acc && !err; pos += t->cfg->job_accesses) {
		uint64_t left = t->plan.nr_acc - pos;
		uint32_t nr = left < t->cfg->job_accesses ? (uint32_t)left : t->cfg->job_accesses;

		fill_job(t, pos, nr, acc);
		err = run_job(t, acc, nr, m);
	}
	m->touches = t->plan.nr_acc;
	free(acc);
	return err;
}

static void tenant_teardown(struct tenant *t)
{
	if (t->base)
		munmap(t->base, t->size);
	if (t->sfd >= 0)
		close(t->sfd);
	if (t->gfd >= 0)
		close(t->gfd);
	wl_plan_free(&t->plan);
}

struct run_pipes {
	int ready[2], go[2], res[2], fin[2];
};

/* Child: set up, report ready, wait for the release, run, report, wait. */
static void tenant_main(const struct bench_cfg *cfg, const struct bench_env *env,
			uint32_t idx, const struct run_pipes *rp)
{
	struct tenant t = { .cfg = cfg, .env = env, .gfd = -1, .sfd = -1 };
	struct tenant_msg m = { .idx = idx };
	int32_t err;
	char c;
	double t0;

	err = tenant_setup(&t, idx);
	if (write(rp->ready[1], &err, sizeof(err)) != sizeof(err))
		_exit(1);
	/* Closed so that the parent sees EOF, not a hang, if a tenant dies. */
	close(rp->ready[1]);
	if (read(rp->go[0], &c, 1) != 1 && !err)
		err = -ECANCELED;
	if (!err) {
		t0 = now_s();
		err = tenant_run(&t, &m);
		m.wall_s = now_s() - t0;
	}
	m.err = err;
	m.nr_blocks = t.plan.nr_blocks;
	memcpy(m.desc, t.plan.desc, sizeof(m.desc));
	if (write(rp->res[1], &m, sizeof(m)) != sizeof(m))
		_exit(1);
	/* Keep the mapping until the parent has read the counters. */
	while (read(rp->fin[0], &c, 1) > 0)
		;
	tenant_teardown(&t);
	_exit(0);
}

/* ------------------------------------------------------------------ parent */

static int trace_drain(int gfd, struct bench_trace *tr)
{
	for (;;) {
		struct gmem_trace_read r = { .capacity = TRACE_CHUNK };
		int err;

		if (tr->cap - tr->nr < TRACE_CHUNK) {
			uint64_t cap = tr->cap ? tr->cap * 2 : 4 * TRACE_CHUNK;
			void *p = realloc(tr->recs, cap * sizeof(*tr->recs));

			if (!p)
				return -ENOMEM;
			tr->recs = p;
			tr->cap = cap;
		}
		r.buf_ptr = (uintptr_t)(tr->recs + tr->nr);
		err = xioctl(gfd, GMEM_IOC_TRACE_READ, &r);
		if (err)
			return err;
		tr->nr += r.count;
		tr->dropped = r.dropped;
		if (r.count < r.capacity)
			return 0;
	}
}

void bench_trace_free(struct bench_trace *t)
{
	free(t->recs);
	memset(t, 0, sizeof(*t));
}

static int policy_snapshot(int gfd, struct gmem_policy_status *st)
{
	int err = xioctl(gfd, GMEM_IOC_POLICY_STATUS, st);

	if (err)
		fprintf(stderr, "gmem-bench: POLICY_STATUS: %s\n", strerror(-err));
	return err;
}

static void add_policy_delta(struct bench_counts *out, const struct gmem_policy_status *a,
			     const struct gmem_policy_status *b)
{
	unsigned int i;

	out->hook_calls = b->hook_calls - a->hook_calls;
	out->hook_ns = b->hook_ns - a->hook_ns;
	out->fallbacks = b->fallbacks - a->fallbacks;
	out->ejections = b->ejections - a->ejections;
	memcpy(out->policy_before, a->name, sizeof(out->policy_before));
	out->policy_before[sizeof(out->policy_before) - 1] = '\0';
	memcpy(out->policy_after, b->name, sizeof(out->policy_after));
	out->policy_after[sizeof(out->policy_after) - 1] = '\0';
	out->rejects = 0;
	for (i = 0; i < GMEM_REJ_NR; i++)
		out->rejects += b->rejects[i] - a->rejects[i];
}

static void add_tenant(struct bench_counts *out, const struct tenant_msg *m)
{
	out->touches += m->touches;
	out->touched += m->touched;
	out->checksum = (out->checksum ^ m->checksum) * FNV_PRIME;
	out->nr_blocks += m->nr_blocks;
	if (m->wall_s > out->wall_s)
		out->wall_s = m->wall_s;
	if (m->idx == 0)
		memcpy(out->desc, m->desc, sizeof(out->desc));
}

/*
 * Release the tenants and gather their messages, draining the trace while
 * they run so the kernel's buffer never has to hold a whole run.
 */
static int collect(int gfd, int res_fd, uint32_t n, struct bench_counts *out,
		   struct bench_trace *tr)
{
	struct tenant_msg msgs[BENCH_MAX_TENANTS];
	struct pollfd pfd = { .fd = res_fd, .events = POLLIN };
	uint32_t got = 0, i;
	int err = 0;

	while (got < n) {
		int r = poll(&pfd, 1, 50);

		if (tr && !err)
			err = trace_drain(gfd, tr);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (read(res_fd, &msgs[got], sizeof(msgs[0])) != sizeof(msgs[0]))
			return -EIO;	/* a tenant died without reporting */
		got++;
	}
	for (i = 0; i < n; i++) {
		if (msgs[i].err && !err)
			err = msgs[i].err;
		add_tenant(out, &msgs[i]);
	}
	return err;
}

static void stats_delta(struct gmem_stats *d, const struct gmem_stats *a,
			const struct gmem_stats *b)
{
	const uint64_t *x = (const uint64_t *)a, *y = (const uint64_t *)b;
	uint64_t *z = (uint64_t *)d;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		z[i] = y[i] - x[i];
	/* Residency counts are levels, not events: report the level after. */
	d->resident_host = b->resident_host;
	d->resident_dev = b->resident_dev;
	d->inflight = b->inflight;
	/* A maximum since the module loaded: the largest batch up to now. */
	d->batch_max = b->batch_max;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void close_pipes(struct run_pipes *rp)
{
	int *fds = (int *)rp;
	size_t i;

	for (i = 0; i < sizeof(*rp) / sizeof(int); i++)
		close_fd(&fds[i]);
}

static int open_pipes(struct run_pipes *rp)
{
	memset(rp, 0xff, sizeof(*rp));
	if (pipe2(rp->ready, O_CLOEXEC) || pipe2(rp->go, O_CLOEXEC) ||
	    pipe2(rp->res, O_CLOEXEC) || pipe2(rp->fin, O_CLOEXEC)) {
		int err = -errno;

		close_pipes(rp);
		return err;
	}
	return 0;
}

/* Fork the tenants; the parent keeps only its ends of the pipes. */
static int spawn(const struct bench_cfg *cfg, const struct bench_env *env,
		 struct run_pipes *rp, pid_t *pids)
{
	uint32_t i;
	int err = 0;

	fflush(NULL);
	for (i = 0; i < cfg->tenants && !err; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			err = -errno;
		} else if (pids[i] == 0) {
			close(rp->ready[0]);
			close(rp->go[1]);
			close(rp->res[0]);
			close(rp->fin[1]);
			tenant_main(cfg, env, i, rp);
		}
	}
	close_fd(&rp->ready[1]);
	close_fd(&rp->go[0]);
	close_fd(&rp->res[1]);
	close_fd(&rp->fin[0]);
	return err;
}

static int wait_ready(int ready_fd, uint32_t n)
{
	int32_t st;
	int err = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (read(ready_fd, &st, sizeof(st)) != sizeof(st))
			return -EIO;
		if (st && !err)
			err = st;
	}
	return err;
}

static int trace_start(int gfd, uint32_t cap)
{
	int err = xioctl(gfd, GMEM_IOC_TRACE_START, &cap);

	if (err)
		fprintf(stderr, "gmem-bench: TRACE_START: %s\n", strerror(-err));
	return err;
}

static int global_stats(int gfd, struct gmem_stats *st)
{
	int err = xioctl(gfd, GMEM_IOC_GLOBAL_STATS, st);

	if (err)
		fprintf(stderr, "gmem-bench: GLOBAL_STATS: %s\n", strerror(-err));
	return err;
}

/* Snapshot, then release every tenant at once. */
static int release(int gfd, const struct bench_cfg *cfg, struct run_pipes *rp,
		   struct gmem_policy_status *ps0, struct gmem_stats *g0, bool *tracing)
{
	char go_bytes[BENCH_MAX_TENANTS];
	int err;

	err = policy_snapshot(gfd, ps0);
	if (!err && cfg->trace && !*tracing) {
		err = trace_start(gfd, TRACE_KERNEL_CAP);
		*tracing = !err;
	}
	if (!err)
		err = global_stats(gfd, g0);
	memset(go_bytes, 'g', sizeof(go_bytes));
	if (!err && write(rp->go[1], go_bytes, cfg->tenants) != (ssize_t)cfg->tenants)
		err = -EIO;
	/* Tenants that got no byte see EOF and fail out without running. */
	close_fd(&rp->go[1]);
	return err;
}

/* After the last report: counters, then let the tenants tear down. */
static int finish(int gfd, struct run_pipes *rp, const struct gmem_policy_status *ps0,
		  const struct gmem_stats *g0, struct bench_counts *out, struct bench_trace *tr)
{
	struct gmem_policy_status ps1;
	struct gmem_stats g1;
	int err;

	err = global_stats(gfd, &g1);
	if (!err)
		stats_delta(&out->st, g0, &g1);
	if (!err && tr)
		err = trace_drain(gfd, tr);
	if (!err)
		err = policy_snapshot(gfd, &ps1);
	if (!err)
		add_policy_delta(out, ps0, &ps1);
	close_fd(&rp->fin[1]);
	return err;
}

int bench_run(const struct bench_cfg *cfg, const struct bench_env *env,
	      struct bench_counts *out, struct bench_trace *trace)
{
	struct bench_trace *tr = cfg->trace ? trace : NULL;
	pid_t pids[BENCH_MAX_TENANTS] = { 0 };
	struct gmem_policy_status ps0;
	struct gmem_sim_clock clk0;
	struct gmem_stats g0;
	struct run_pipes rp;
	bool tracing = false;
	int gfd, err, status;
	uint32_t i;

	memset(out, 0, sizeof(*out));
	if (!cfg->tenants || cfg->tenants > BENCH_MAX_TENANTS || !cfg->access_len ||
	    cfg->access_len > env->block_size || !cfg->job_accesses ||
	    cfg->job_accesses > BENCH_JOB_MAX)
		return -EINVAL;
	gfd = open_dev(GMEM_PATH);
	if (gfd < 0)
		return gfd;
	err = open_pipes(&rp);
	if (err)
		goto out_gfd;
	read_clock(env->sim_index, &clk0);
	/*
	 * A trace for replay starts before the tenants set up, so it holds their
	 * objects and hints as they were given (a snapshot at start cannot tell
	 * a tag of 0 from none). The setup makes no device accesses.
	 */
	if (cfg->trace_hints) {
		err = trace_start(gfd, TRACE_KERNEL_CAP | GMEM_TRACE_F_HINTS);
		tracing = !err;
		if (err)
			goto out_pipes;
	}
	err = spawn(cfg, env, &rp, pids);
	if (!err)
		err = wait_ready(rp.ready[0], cfg->tenants);
	if (!err)
		err = release(gfd, cfg, &rp, &ps0, &g0, &tracing);
	if (!err)
		err = collect(gfd, rp.res[0], cfg->tenants, out, tr);
	if (!err)
		err = finish(gfd, &rp, &ps0, &g0, out, tr);
	read_clock(env->sim_index, &out->clk);
	clock_delta(&clk0, &out->clk);
	if (tracing)
		ioctl(gfd, GMEM_IOC_TRACE_STOP);
out_pipes:
	/* On error this is the EOF that makes waiting tenants give up. */
	close_pipes(&rp);
	for (i = 0; i < cfg->tenants; i++) {
		if (pids[i] <= 0)
			continue;
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    (!WIFEXITED(status) || WEXITSTATUS(status)) && !err)
			err = -ECHILD;
	}
out_gfd:
	close(gfd);
	return err;
}
