// SPDX-License-Identifier: GPL-2.0
/*
 * gmemctl trace record | replay: the device access trace as a file.
 *
 *   record FILE [--dev N] [--seconds S] [--capacity N]
 *       GMEM_IOC_TRACE_START, drain the kernel's ring to FILE every 100 ms
 *       until S seconds pass or SIGINT/SIGTERM, then stop. The file is the
 *       gtrace format (bench/gtrace.h) that gmem-min and gmem-bench use; its
 *       header records device N's block size and HBM capacity.
 *       The trace carries objects and hints too (GMEM_TRACE_F_HINTS).
 *   replay FILE [--sim N] [--len B] [--policy NAME|PATH] [--hbm SIZE] [--no-hints]
 *          [--fault-batch N]
 *       Replay the recorded block accesses, in order, as GMEM_SIM_TRACE jobs
 *       on /dev/gmem_simN, one fresh mapping per recorded object (of its
 *       recorded size), with the recorded hints at their place between
 *       them (not with --no-hints; a hint naming a device names N), and print
 *       the counters the replay caused beside Belady's MIN for the same
 *       trace and HBM size. --policy attaches that policy for the replay only
 *       (else the policy now in charge runs it). --hbm SIZE (at most the
 *       device's HBM) limits the device to SIZE for the replay
 *       (GMEM_IOC_DEV_LIMIT, put back afterwards), so the core and every
 *       kfunc a policy calls see a device of that size. Each job delivers
 *       its faults one at a time, as MIN assumes, unless --fault-batch N
 *       gives it N records in flight (the trace does not hold the live
 *       device's windows). Data is not part of a trace: replayed blocks
 *       start out zero-filled on the host.
 *
 * Single-threaded; the signal flag is the only static state and is reset
 * on every record.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gmemctl.h"
#include "../bench/gtrace.h"
#include "../bench/min.h"

#define U(x) ((unsigned long long)(x))
#define TRACE_DRAIN_RECS	65536u
#define TRACE_DEFAULT_CAP	(1u << 20)
#define REPLAY_JOB		4096u
#define REPLAY_MAX_OBJS		256

static volatile sig_atomic_t trace_stop;

static void on_trace_stop(int sig)
{
	(void)sig;
	trace_stop = 1;
}

static int parse_num(struct gmemctl *g, const char *opt, const char *val, uint64_t max,
		     uint64_t *out)
{
	int err = gmem_parse_u64(val, out);

	if (err || *out > max)
		return gx_usage(g, "trace", "bad value '%s' for %s", val, opt);
	return GX_OK;
}

/* Drain the kernel ring into @w. 0 or -errno. */
static int drain(int fd, struct gtrace_writer *w, struct gmem_trace_rec *buf, uint64_t *dropped)
{
	for (;;) {
		struct gmem_trace_read rd = {
			.buf_ptr = (uintptr_t)buf, .capacity = TRACE_DRAIN_RECS,
		};
		int err;

		if (ioctl(fd, GMEM_IOC_TRACE_READ, &rd))
			return -errno;
		*dropped = rd.dropped;
		err = gtrace_append(w, buf, rd.count);
		if (err)
			return err;
		if (rd.count < rd.capacity)
			return 0;
	}
}

static int record_loop(struct gmemctl *g, int fd, struct gtrace_writer *w, uint64_t seconds,
		       uint64_t *dropped)
{
	struct sigaction sa = { .sa_handler = on_trace_stop }, old_int, old_term;
	struct gmem_trace_rec *buf = malloc(TRACE_DRAIN_RECS * sizeof(*buf));
	struct timespec t0, now;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	trace_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!seconds && !g->json)	/* a prompt for a person, not a result */
		fprintf(g->err, "gmemctl: recording; stop with Ctrl-C\n");
	while (!err && !trace_stop) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		err = drain(fd, w, buf, dropped);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds && (uint64_t)(now.tv_sec - t0.tv_sec) >= seconds)
			break;
	}
	if (!err)
		err = drain(fd, w, buf, dropped);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(buf);
	return err;
}

static int trace_record(struct gmemctl *g, int argc, char **argv)
{
	uint64_t dev = 0, seconds = 0, cap = TRACE_DEFAULT_CAP, dropped = 0;
	const char *file = NULL, *val;
	struct gmem_dev_info di;
	struct gtrace_writer w;
	uint32_t cap32;
	int i, fd, err, ret;

	for (i = 2; i < argc; i++) {
		if (gx_opt(g, argc, argv, &i, "--dev", true, &val) == 1)
			ret = parse_num(g, "--dev", val, GMEM_MAX_DEVICES - 1, &dev);
		else if (gx_opt(g, argc, argv, &i, "--seconds", true, &val) == 1)
			ret = parse_num(g, "--seconds", val, 86400, &seconds);
		else if (gx_opt(g, argc, argv, &i, "--capacity", true, &val) == 1)
			ret = parse_num(g, "--capacity", val, 1u << 22, &cap);
		else if (!gx_is_opt(g, i, argv[i]) && !file)
			ret = (file = argv[i], GX_OK);
		else
			ret = gx_usage(g, "trace", "unexpected argument '%s'", argv[i]);
		if (ret)
			return ret;
	}
	if (!file)
		return gx_usage(g, "trace", "record needs an output file");
	if (!cap)
		return gx_usage(g, "trace", "--capacity must be > 0");
	err = gmem_dev_info((uint32_t)dev, &di);
	if (err)
		return gx_fail(g, err, "cannot read the device");
	fd = open(gmem_dev_path(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return gx_fail(g, errno == ENOENT ? -ENODEV : -errno, "cannot open the device");
	err = gtrace_create(&w, file, di.block_size, di.hbm_bytes / di.block_size);
	if (err) {
		close(fd);
		gx_err(g, "%s: %s", file, strerror(-err));
		return GX_FAIL;
	}
	cap32 = (uint32_t)cap | GMEM_TRACE_F_HINTS;	/* a file is for replay */
	if (ioctl(fd, GMEM_IOC_TRACE_START, &cap32)) {
		err = -errno;
		gtrace_close(&w, 0);
		unlink(file);
		close(fd);
		if (err == -EBUSY)
			gx_err(g, "a trace is already being recorded");
		return err == -EBUSY ? GX_BUSY : gx_fail(g, err, "cannot start the trace");
	}
	err = record_loop(g, fd, &w, seconds, &dropped);
	ioctl(fd, GMEM_IOC_TRACE_STOP);
	close(fd);
	ret = gtrace_close(&w, dropped);
	err = err ? err : ret;
	if (err) {
		gx_err(g, "recording to %s: %s", file, strerror(-err));
		return GX_FAIL;
	}
	if (g->json) {
		struct gx_json j;

		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_str(&j, "file", file);
		gx_json_u64(&j, "records", w.hdr.nr_records);
		gx_json_u64(&j, "dropped", dropped);
		gx_json_obj_end(&j);
		return gx_json_emit(g, &j);
	}
	fprintf(g->out, "recorded %llu accesses to %s (%llu lost to a full buffer)\n",
		U(w.hdr.nr_records), file, U(dropped));
	return GX_OK;
}

/* ------------------------------------------------------------------ replay */

struct replay_obj {
	uint32_t id;		/* object id in the trace */
	uint32_t blocks;	/* highest recorded index + 1 */
	char *base;		/* our mapping */
};

struct replay {
	struct replay_obj objs[REPLAY_MAX_OBJS];
	unsigned int nobjs;
	uint64_t bs;
	int gfd, sfd;
	uint32_t dev;			/* the replay's device (--sim) */
	bool hints;			/* replay the trace's hints (not --no-hints) */
	uint32_t fault_window;		/* records each job has in flight (--fault-batch) */
	uint64_t hints_done, hints_failed;
	bool limited;			/* --hbm: limit_dev's limit is ours */
	uint32_t limit_dev;
	uint64_t prev_limit;		/* to put back, 0: none */
};

static struct replay_obj *replay_obj(struct replay *r, uint32_t id, bool add)
{
	unsigned int i;

	for (i = 0; i < r->nobjs; i++)
		if (r->objs[i].id == id)
			return &r->objs[i];
	if (!add || r->nobjs == REPLAY_MAX_OBJS)
		return NULL;
	r->objs[r->nobjs] = (struct replay_obj){ .id = id };
	return &r->objs[r->nobjs++];
}

/* The blocks record @rec shows its object has (at least). */
static uint64_t replay_rec_blocks(const struct gmem_trace_rec *rec)
{
	switch (rec->kind) {
	case GMEM_TRACE_OBJ:
		return rec->idx;
	case GMEM_TRACE_HINT:
		return (uint64_t)rec->idx + rec->nr;
	case GMEM_TRACE_HINT_VALUE:
		return 0;
	default:
		return (uint64_t)rec->idx + 1;
	}
}

/*
 * Start every block on the host, as a traced program's data usually is (and
 * gmem-bench's is): a policy sees host-resident blocks it may prefetch, not
 * untouched ones.
 */
static void replay_host_fill(char *base, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += 4096)
		*(volatile char *)(base + off) = 0;
}

/* One mapping per object of the trace, as large as the trace shows it was. */
static int replay_map(struct replay *r, const struct gtrace *t)
{
	uint64_t i, n;

	for (i = 0; i < t->hdr.nr_records; i++) {
		struct replay_obj *o;

		n = replay_rec_blocks(&t->recs[i]);
		if (!n)
			continue;
		o = replay_obj(r, t->recs[i].obj, true);
		if (!o)
			return -E2BIG;
		if (n > UINT32_MAX)
			return -EINVAL;
		if (n > o->blocks)
			o->blocks = (uint32_t)n;
	}
	for (i = 0; i < r->nobjs; i++) {
		struct replay_obj *o = &r->objs[i];
		void *p = mmap(NULL, (size_t)o->blocks * r->bs, PROT_READ | PROT_WRITE,
			       MAP_SHARED, r->gfd, 0);

		if (p == MAP_FAILED)
			return -errno;
		o->base = p;
		replay_host_fill(o->base, (size_t)o->blocks * r->bs);
	}
	return 0;
}

/*
 * Make device @dev a device of @hbm bytes for the replay (GMEM_IOC_DEV_LIMIT):
 * every capacity the core and the policy see is @hbm, not only the room
 * left. replay_unlimit() puts the previous limit back.
 */
static int replay_limit(struct replay *r, uint32_t dev, uint64_t hbm)
{
	int err = gmem_dev_limit(dev, hbm, &r->prev_limit);

	if (!err) {
		r->limited = true;
		r->limit_dev = dev;
	}
	return err;
}

static void replay_unlimit(struct replay *r)
{
	if (r->limited)
		gmem_dev_limit(r->limit_dev, r->prev_limit, NULL);
	r->limited = false;
}

static void replay_unmap(struct replay *r)
{
	unsigned int i;

	for (i = 0; i < r->nobjs; i++)
		if (r->objs[i].base)
			munmap(r->objs[i].base, (size_t)r->objs[i].blocks * r->bs);
}

static int replay_job(struct replay *r, const struct gmem_sim_access *acc, uint32_t nr)
{
	struct gmem_sim_launch l = {
		.op = GMEM_SIM_TRACE, .flags = GMEM_SIM_F_SYNC, .x = (uintptr_t)acc, .len = nr,
		.scalar = r->fault_window,
	};
	struct gmem_sim_wait w = { 0 };

	if (ioctl(r->sfd, GMEM_SIM_IOC_LAUNCH, &l))
		return -errno;
	w.seq = l.seq;
	if (ioctl(r->sfd, GMEM_SIM_IOC_WAIT, &w))
		return -errno;
	return (int)w.status;
}

/*
 * Hint record @i (and its value record after it) on the replay's object.
 * A hint the kernel refuses now (it may have failed live too) is counted,
 * not fatal. Returns the records consumed.
 */
static uint64_t replay_hint(struct replay *r, const struct gtrace *t, uint64_t i)
{
	const struct gmem_trace_rec *h = &t->recs[i];
	const struct gmem_trace_rec *v = i + 1 < t->hdr.nr_records ? h + 1 : NULL;
	struct replay_obj *o = replay_obj(r, h->obj, false);
	uint32_t dev = h->dev == GMEM_TRACE_DEV_HOST ? GMEM_DEV_HOST : r->dev;
	uint64_t value = 0;

	if (v && v->kind == GMEM_TRACE_HINT_VALUE)
		value = v->t_ns;
	if (!o || !h->nr || gmem_advise(o->base + (uint64_t)h->idx * r->bs,
					(uint64_t)h->nr * r->bs, h->write, dev, value))
		r->hints_failed++;
	else
		r->hints_done++;
	return v && v->kind == GMEM_TRACE_HINT_VALUE ? 2 : 1;
}

/* The trace in order: runs of accesses as device jobs, hints between them. */
static int replay_run(struct replay *r, const struct gtrace *t, uint32_t len)
{
	struct gmem_sim_access *acc = calloc(REPLAY_JOB, sizeof(*acc));
	uint64_t i = 0;
	uint32_t n = 0;
	int err = 0;

	if (!acc)
		return -ENOMEM;
	while (i < t->hdr.nr_records && !err) {
		const struct gmem_trace_rec *rec = &t->recs[i];
		struct replay_obj *o;

		if (!gtrace_is_access(rec)) {
			if (rec->kind == GMEM_TRACE_HINT && r->hints) {
				if (n)
					err = replay_job(r, acc, n);
				n = 0;
				i += err ? 0 : replay_hint(r, t, i);
			} else {
				i++;
			}
			continue;
		}
		o = replay_obj(r, rec->obj, false);
		acc[n++] = (struct gmem_sim_access){
			.addr = (uintptr_t)o->base + (uint64_t)rec->idx * r->bs,
			.len = len, .write = rec->write,
		};
		if (n == REPLAY_JOB) {
			err = replay_job(r, acc, n);
			n = 0;
		}
		i++;
	}
	if (!err && n)
		err = replay_job(r, acc, n);
	free(acc);
	return err;
}

static void replay_sum(struct replay *r, struct gmem_stats *sum)
{
	struct gmem_obj_info oi;
	unsigned int i;
	size_t k;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < r->nobjs; i++) {
		if (gmem_obj_info_addr(r->objs[i].base, &oi))
			continue;
		for (k = 0; k < sizeof(*sum) / sizeof(__u64); k++)
			((__u64 *)sum)[k] += ((__u64 *)&oi.stats)[k];
	}
}

/*
 * Belady's MIN of the trace at @hbm_blocks: the fewest blocks any policy moves
 * in, and the dirty write-backs out that schedule makes (bench/min.h).
 */
static int replay_min(const struct gtrace *t, uint64_t hbm_blocks, struct min_result *min)
{
	uint64_t *keys;
	uint8_t *writes;
	long n = gtrace_keys(t, -1, &keys, &writes);
	int err;

	if (n < 0)
		return (int)n;
	err = min_simulate(keys, writes, (size_t)n, hbm_blocks, min);
	free(keys);
	free(writes);
	return err;
}

static int replay_print(struct gmemctl *g, struct replay *r, const struct gtrace *t,
			const struct min_result *min, uint64_t hbm_blocks)
{
	struct gmem_stats st;
	struct gx_json j;

	replay_sum(r, &st);
	if (g->json) {
		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_u64(&j, "records", gtrace_nr_accesses(t));
		gx_json_u64(&j, "objects", r->nobjs);
		gx_json_u64(&j, "hints", r->hints_done);
		gx_json_u64(&j, "hints_failed", r->hints_failed);
		gx_json_stats(&j, "stats", &st);
		gx_json_u64(&j, "hbm_blocks", hbm_blocks);
		gx_json_u64(&j, "min_blocks_in", min->misses);
		gx_json_u64(&j, "min_evictions", min->evictions);
		gx_json_u64(&j, "min_dirty_evictions", min->dirty_evictions);
		gx_json_obj_end(&j);
		return gx_json_emit(g, &j);
	}
	fprintf(g->out, "replayed %llu accesses over %u objects: %llu device faults, %llu blocks"
		" in, %llu out, %llu evictions, %llu prefetched (%llu wasted)\n",
		U(gtrace_nr_accesses(t)), r->nobjs, U(st.dev_faults), U(st.h2d_blocks),
		U(st.d2h_blocks), U(st.evictions), U(st.prefetch_issued), U(st.prefetch_wasted));
	if (r->hints_done || r->hints_failed)
		fprintf(g->out, "replayed %llu hints (%llu refused)\n", U(r->hints_done),
			U(r->hints_failed));
	fprintf(g->out, "Belady's MIN with %llu HBM blocks: %llu blocks in (this run: %.3fx MIN),"
		" %llu dirty write-backs out of %llu evictions (in + out: %.3fx MIN)\n",
		U(hbm_blocks), U(min->misses),
		min->misses ? (double)st.h2d_blocks / (double)min->misses : 0.0,
		U(min->dirty_evictions), U(min->evictions),
		min->misses ? (double)(st.h2d_blocks + st.d2h_blocks) / (double)min_moved(min) :
			      0.0);
	return GX_OK;
}

static int replay_open(struct gmemctl *g, struct replay *r, const struct gtrace *t,
		       uint64_t sim, uint64_t *dev_blocks)
{
	struct gmem_dev_info di;
	char path[64];
	int err;

	err = gmem_dev_info((uint32_t)sim, &di);
	if (err)
		return gx_fail(g, err, "cannot read the device");
	if (di.block_size != t->hdr.block_size) {
		gx_err(g, "the trace was taken with %llu-byte blocks, the core runs %llu-byte"
		       " blocks (gmem.block_size)", U(t->hdr.block_size), U(di.block_size));
		return GX_FAIL;
	}
	r->bs = di.block_size;
	*dev_blocks = di.hbm_bytes / di.block_size;
	r->gfd = open(gmem_dev_path(), O_RDWR | O_CLOEXEC);
	if (r->gfd < 0)
		return gx_fail(g, errno == ENOENT ? -ENODEV : -errno, "cannot open the device");
	snprintf(path, sizeof(path), "/dev/gmem_sim%llu", U(sim));
	r->sfd = open(path, O_RDWR | O_CLOEXEC);
	if (r->sfd < 0) {
		gx_err(g, "%s: %s", path, strerror(errno));
		return GX_FAIL;
	}
	return GX_OK;
}

static int trace_replay(struct gmemctl *g, int argc, char **argv)
{
	const char *file = NULL, *val, *policy = NULL, *hbm_arg = NULL;
	uint64_t sim = 0, len = 64, hbm = 0, dev_blocks = 0, hbm_blocks, window = 1;
	struct gmem_policy *pol = NULL;
	struct min_result min;
	struct replay *r;
	struct gtrace t;
	bool no_hints = false;
	int i, err, ret;

	for (i = 2; i < argc; i++) {
		if (gx_opt(g, argc, argv, &i, "--sim", true, &val) == 1)
			ret = parse_num(g, "--sim", val, GMEM_MAX_DEVICES - 1, &sim);
		else if (gx_opt(g, argc, argv, &i, "--len", true, &val) == 1)
			ret = parse_num(g, "--len", val, 4096, &len);
		else if (gx_opt(g, argc, argv, &i, "--policy", true, &val) == 1)
			ret = (policy = val, GX_OK);
		else if (gx_opt(g, argc, argv, &i, "--hbm", true, &val) == 1)
			ret = (hbm_arg = val, parse_num(g, "--hbm", val, UINT64_MAX, &hbm));
		else if (gx_opt(g, argc, argv, &i, "--no-hints", false, &val) == 1)
			ret = (no_hints = true, GX_OK);
		else if (gx_opt(g, argc, argv, &i, "--fault-batch", true, &val) == 1)
			ret = parse_num(g, "--fault-batch", val, GMEM_SIM_MAX_WINDOW, &window);
		else if (!gx_is_opt(g, i, argv[i]) && !file)
			ret = (file = argv[i], GX_OK);
		else
			ret = gx_usage(g, "trace", "unexpected argument '%s'", argv[i]);
		if (ret)
			return ret;
	}
	if (!file || !len)
		return gx_usage(g, "trace", file ? "--len must be > 0" : "replay needs a trace file");
	if (hbm_arg && !hbm)
		return gx_usage(g, "trace", "--hbm must be > 0");
	if (!window)
		return gx_usage(g, "trace", "--fault-batch must be > 0");
	err = gtrace_load(file, &t);
	if (err) {
		gx_err(g, "%s: %s", file, err == -EINVAL ? "not a valid gmem trace" : strerror(-err));
		return GX_FAIL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		gtrace_free(&t);
		return GX_FAIL;
	}
	r->gfd = r->sfd = -1;
	r->dev = (uint32_t)sim;
	r->hints = !no_hints;
	r->fault_window = (uint32_t)window;
	ret = replay_open(g, r, &t, sim, &dev_blocks);
	hbm_blocks = hbm ? hbm / r->bs : dev_blocks;
	if (!ret && hbm && (hbm % r->bs || !hbm_blocks)) {
		gx_err(g, "--hbm %s: must be a multiple of the %llu-byte block size", hbm_arg,
		       U(r->bs));
		ret = GX_USAGE;
	}
	if (!ret && hbm) {
		err = replay_limit(r, (uint32_t)sim, hbm);
		if (err == -EINVAL) {
			gx_err(g, "--hbm %s: more than the device's HBM", hbm_arg);
			ret = GX_USAGE;
		} else if (err) {
			ret = gx_fail(g, err, err == -EBUSY ? "--hbm: less than is pinned on the device" :
					      "cannot limit the device's HBM for --hbm");
		}
	}
	if (!ret && policy)
		ret = gx_policy_start(g, policy, NULL, &pol);
	if (!ret) {
		err = replay_map(r, &t);
		if (!err && t.hdr.nr_records)
			err = replay_run(r, &t, (uint32_t)len);
		if (!err)
			err = replay_min(&t, hbm_blocks, &min);
		ret = err ? gx_fail(g, err, "replay failed") :
			    replay_print(g, r, &t, &min, hbm_blocks);
	}
	gmem_policy_close(pol);		/* detaches: the replay's policy only */
	replay_unmap(r);
	replay_unlimit(r);
	if (r->sfd >= 0)
		close(r->sfd);
	if (r->gfd >= 0)
		close(r->gfd);
	free(r);
	gtrace_free(&t);
	return ret;
}

int cmd_trace(struct gmemctl *g, int argc, char **argv)
{
	if (argc < 2)
		return gx_usage(g, "trace", "record or replay?");
	if (!strcmp(argv[1], "record"))
		return trace_record(g, argc, argv);
	if (!strcmp(argv[1], "replay"))
		return trace_replay(g, argc, argv);
	return gx_usage(g, "trace", "unknown trace command '%s'", argv[1]);
}
