// SPDX-License-Identifier: GPL-2.0
/*
 * test_policies: the shipped BPF policies (the .bpf.c files in policies/),
 * each on the workload it is for, with exact counts.
 *
 * Setup: one simulated device with 1 MiB of HBM and 16 KiB blocks, i.e. 64
 * HBM blocks, so every run is a few thousand block accesses. Workloads come
 * from bench/workload.c (the generators gmem-bench uses, written without
 * these policies in mind) or are spelled out below; each runs as
 * GMEM_SIM_TRACE jobs of one 64-byte access per record, each fault
 * delivered alone (gmem_sim.fault_batch 1, tp_env_open()), on a fresh object,
 * with the policy loaded and attached through libgmempolicy. Counts come from
 * GMEM_IOC_OBJ_INFO; Belady's MIN comes from bench/min.c on the access trace
 * recorded with GMEM_IOC_TRACE_*; per-object policy state is read back with
 * `bpftool map dump`, and a field must equal the kernel's own count. Every
 * run ends by detaching the policy and checking it left cleanly: no invalid
 * decision, nothing left for the built-in policy to complete, no ejection,
 * exit kind "detached by userspace".
 *
 * Migrations are compared as blocks moved either way (h2d + d2h, which is
 * bytes / block size): MIN's misses plus its evictions on the same trace and
 * HBM size.
 */
#include <gmempolicy.h>

/* Decode runs four policies at three sizes: long under TCG on a busy host. */
#define GT_TIMEOUT_S	240
#include "gtest.h"
#include "gmem_test_util.h"
#include "min.h"
#include "workload.h"

#define TP_BLOCK	(16 * 1024)
#define TP_HBM_MB	1
#define TP_ACCESS_LEN	64
#define TP_JOB_MAX	65536		/* records per TRACE job */
#define TP_BUILTIN_PF	"/sys/module/gmem/parameters/builtin_prefetch"

struct tp_env {
	int gfd, sfd;
	uint32_t dev;			/* gmem id of /dev/gmem_sim0 */
	uint64_t hbm_blocks;
};

struct tp_obj {
	struct tp_env *env;
	char *base;
	uint32_t nr_blocks, id;
};

/* One run's outcome. */
struct tp_res {
	struct gmem_stats st;		/* the object's counters */
	struct min_result min;		/* MIN on the run's trace (when traced) */
	uint64_t checksum;		/* the TRACE jobs' results, combined in order */
	uint64_t field;			/* the policy map field the run asked for */
};

static double tp_moved(const struct gmem_stats *st)
{
	return (double)(st->h2d_blocks + st->d2h_blocks);
}

static double tp_min_moved(const struct min_result *m)
{
	return (double)min_moved(m);
}

/* ------------------------------------------------------------ environment */

static void tp_env_open(struct tp_env *e)
{
	struct gmem_dev_info di;
	int id;

	GT_ASSERT(!gmt_setup(TP_BLOCK, TP_HBM_MB, 1), "module reload");
	/*
	 * The tests here compare with Belady's MIN on the run's trace and with
	 * exact probe orders, both access by access: MIN has no window of
	 * accesses in flight that must fit in HBM at once, so the device
	 * delivers each fault alone. (Batched runs: test_bench.sh.)
	 */
	GT_ASSERT(!gmt_set_fault_batch(1), "fault_batch 1");
	e->gfd = gmt_open_gmem();
	GT_ASSERT(e->gfd >= 0, "open /dev/gmem: %d", e->gfd);
	e->sfd = gmt_sim_open(0);
	GT_ASSERT(e->sfd >= 0, "open /dev/gmem_sim0: %d", e->sfd);
	id = gmt_sim_gmem_id(0);
	GT_ASSERT(id >= 0, "gmem id of sim0: %d", id);
	e->dev = id;
	GT_ASSERT(!gmt_dev_info(e->gfd, e->dev, &di), "DEV_INFO");
	GT_ASSERT(di.block_size == TP_BLOCK, "block size %llu", (unsigned long long)di.block_size);
	e->hbm_blocks = di.hbm_bytes / di.block_size;
}

static void tp_env_close(struct tp_env *e)
{
	close(e->sfd);
	close(e->gfd);
}

static uint64_t tp_builtin_prefetch(uint64_t set)
{
	char buf[32];
	uint64_t old = 0;

	GT_ASSERT(!gmt_read_u64(TP_BUILTIN_PF, &old), "read builtin_prefetch");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)set);
	GT_ASSERT(!gmt_write_str(TP_BUILTIN_PF, buf), "write builtin_prefetch");
	return old;
}

/* ------------------------------------------------------------ policies */

/* Open, set "key=value" tunables (NULL-terminated), load and attach @name. */
static struct gmem_policy *tp_policy_start(const char *name, const char *const *tun)
{
	struct gmem_policy *p;
	struct gmem_policy_status st;
	int err;

	err = gmem_policy_open(name, &p);
	GT_ASSERT(!err, "open %s: %s", name, gmem_strerror(err));
	for (; tun && *tun; tun++) {
		err = gmem_policy_set_kv(p, *tun);
		GT_ASSERT(!err, "%s: set %s: %s", name, *tun, gmem_strerror(err));
	}
	err = gmem_policy_load(p);
	if (err)
		gt_log("verifier log tail: %s", gmem_policy_verifier_log(p) +
		       (strlen(gmem_policy_verifier_log(p)) > 2000 ?
			strlen(gmem_policy_verifier_log(p)) - 2000 : 0));
	GT_ASSERT(!err, "load %s: %s", name, gmem_strerror(err));
	err = gmem_policy_attach(p);
	GT_ASSERT(!err, "attach %s: %s", name, gmem_strerror(err));
	GT_ASSERT(!gmem_policy_status(&st) && st.active && !strcmp(st.name, name),
		  "%s not in charge (status: %s)", name, st.name);
	return p;
}

/* Counters of a policy's run, from POLICY_STATUS (cumulative since module load). */
struct tp_pstat {
	uint64_t ejections, fallbacks, rejects;
};

static struct tp_pstat tp_pstat(const struct gmem_policy_status *st)
{
	struct tp_pstat ps = { st->ejections, st->fallbacks, 0 };
	unsigned int i;

	for (i = 0; i < GMEM_REJ_NR; i++)
		ps.rejects += st->rejects[i];
	return ps;
}

/*
 * Detach @p and check it went cleanly: while in charge it made no invalid
 * decision, left nothing to the built-in policy to complete, and was never
 * ejected; the exit record says userspace detached it. @before is the status
 * before it attached.
 */
static void tp_policy_stop(struct gmem_policy *p, const char *name,
			   const struct tp_pstat *before)
{
	struct gmem_policy_status st;
	struct tp_pstat now;
	unsigned int i;

	GT_ASSERT(!gmem_policy_status(&st), "status");
	GT_ASSERT(st.active && !strcmp(st.name, name), "%s was ejected: %s: %s", name,
		  st.last_exit.reason, st.last_exit.msg);
	now = tp_pstat(&st);
	for (i = 0; i < GMEM_REJ_NR && now.rejects != before->rejects; i++)
		if (st.rejects[i])
			gt_log("%s: invalid decisions: %llu %s", name,
			       (unsigned long long)st.rejects[i], gmem_reject_str(i));
	GT_ASSERT(now.rejects == before->rejects, "%s made invalid decisions", name);
	GT_ASSERT(now.fallbacks == before->fallbacks, "%s left %llu decisions to the built-in policy",
		  name, (unsigned long long)(now.fallbacks - before->fallbacks));
	gmem_policy_close(p);
	GT_ASSERT(!gmem_policy_status(&st), "status");
	GT_ASSERT(!st.active, "%s still active after close", name);
	GT_ASSERT(st.last_exit.kind == GMEM_EXIT_UNREG && !strcmp(st.last_exit.policy, name),
		  "exit record: kind %u policy %s", st.last_exit.kind, st.last_exit.policy);
	GT_ASSERT(st.ejections == before->ejections, "ejections %llu -> %llu",
		  (unsigned long long)before->ejections, (unsigned long long)st.ejections);
}

/* The status before a policy attaches; none may be attached yet. */
static struct tp_pstat tp_before(void)
{
	struct gmem_policy_status st;

	GT_ASSERT(!gmem_policy_status(&st), "status");
	GT_ASSERT(!st.active, "a policy (%s) is attached before the test", st.name);
	return tp_pstat(&st);
}

/*
 * `bpftool map dump name @map`: the value of @field in the record whose key
 * is @key. bpftool prints BTF-typed records as
 *   {"key": 3, "value": {"faults": 12, ...}}
 * spread over lines; the field is the first of that name after the key.
 */
static int tp_map_field(const char *map, uint32_t key, const char *field, uint64_t *val)
{
	char cmd[128], keypat[32], fieldpat[64], *buf = NULL, *k, *f;
	size_t cap = 0, len = 0;
	unsigned long long v;
	FILE *in;
	int ret = -ENOENT;

	snprintf(cmd, sizeof(cmd), "bpftool map dump name %s 2>&1", map);
	snprintf(keypat, sizeof(keypat), "\"key\": %u,", key);
	snprintf(fieldpat, sizeof(fieldpat), "\"%s\": ", field);
	in = popen(cmd, "r");
	if (!in)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				break;
			buf = nb;
			cap += 65536;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, in);

		if (!n)
			break;
		len += n;
	}
	pclose(in);
	if (!buf)
		return -ENOMEM;
	buf[len] = '\0';
	k = strstr(buf, keypat);
	f = k ? strstr(k, fieldpat) : NULL;
	if (f && sscanf(f + strlen(fieldpat), "%llu", &v) == 1) {
		*val = v;
		ret = 0;
	} else {
		gt_log("bpftool map dump name %s: no %s for key %u in:\n%.1500s", map, field,
		       key, buf);
	}
	free(buf);
	return ret;
}

/* ------------------------------------------------------------ objects */

static void tp_obj_new(struct tp_env *e, struct tp_obj *o, uint32_t nr_blocks)
{
	struct gmem_obj_info oi;

	o->env = e;
	o->nr_blocks = nr_blocks;
	o->base = gmt_map(e->gfd, (size_t)nr_blocks * TP_BLOCK);
	GT_ASSERT(o->base, "map %u blocks: %s", nr_blocks, strerror(errno));
	GT_ASSERT(!gmt_obj_info(e->gfd, o->base, &oi), "OBJ_INFO");
	o->id = oi.id;
}

static void tp_obj_free(struct tp_obj *o)
{
	munmap(o->base, (size_t)o->nr_blocks * TP_BLOCK);
}

static struct gmem_stats tp_obj_stats(const struct tp_obj *o)
{
	struct gmem_obj_info oi;

	GT_ASSERT(!gmt_obj_info(o->env->gfd, o->base, &oi), "OBJ_INFO");
	return oi.stats;
}

static void tp_hint(const struct tp_obj *o, uint32_t first, uint32_t nr, uint32_t advice,
		    uint64_t value)
{
	int err = gmt_advise(o->env->gfd, o->base + (uint64_t)first * TP_BLOCK,
			     (uint64_t)nr * TP_BLOCK, advice, o->env->dev, value);

	GT_ASSERT(!err, "advise %u on %u+%u: %d", advice, first, nr, err);
}

/*
 * Device accesses @acc[0..n), one record each. Returns the TRACE jobs'
 * results (a hash of every byte the reads saw) combined in order: the same
 * plan must give the same value under every policy.
 */
static uint64_t tp_access(const struct tp_obj *o, const struct wl_access *acc, uint64_t n)
{
	struct gmem_sim_access *rec = calloc(TP_JOB_MAX, sizeof(*rec));
	uint64_t pos, sum = GMT_FNV_BASIS, res;
	uint32_t i, nr;
	int err;

	GT_ASSERT(rec, "calloc");
	for (pos = 0; pos < n; pos += nr) {
		nr = n - pos < TP_JOB_MAX ? (uint32_t)(n - pos) : TP_JOB_MAX;
		for (i = 0; i < nr; i++)
			rec[i] = (struct gmem_sim_access){
				.addr = (uintptr_t)o->base + (uint64_t)acc[pos + i].blk * TP_BLOCK,
				.len = TP_ACCESS_LEN,
				.write = acc[pos + i].write,
			};
		err = gmt_sim_run(o->env->sfd, GMEM_SIM_TRACE, rec, NULL, nr, 0, &res);
		GT_ASSERT(!err, "TRACE job of %u records: %d", nr, err);
		sum = (sum ^ res) * GMT_FNV_PRIME;
	}
	free(rec);
	return sum;
}

/* Read blocks [first, end) in order. */
static uint64_t tp_sweep(const struct tp_obj *o, uint32_t first, uint32_t end)
{
	struct wl_access acc[512];
	uint32_t b, n = 0;

	GT_ASSERT(end - first <= 512, "sweep too long");
	for (b = first; b < end; b++)
		acc[n++] = (struct wl_access){ .blk = b };
	return tp_access(o, acc, n);
}

/* Device faults caused by reading [first, end). */
static uint64_t tp_sweep_faults(const struct tp_obj *o, uint32_t first, uint32_t end)
{
	uint64_t before = tp_obj_stats(o).dev_faults;

	tp_sweep(o, first, end);
	return tp_obj_stats(o).dev_faults - before;
}

/* ------------------------------------------------------------ whole runs */

struct tp_run_cfg {
	const char *policy;		/* NULL: built-in */
	const char *const *tunables;
	bool trace;			/* record the accesses and compute MIN */
	const char *map, *field;	/* policy map field to read back, or NULL */
};

static void tp_trace_start(const struct tp_env *e, uint64_t cap)
{
	uint32_t c = cap > (1u << 22) ? 1u << 22 : (uint32_t)cap;

	ioctl(e->gfd, GMEM_IOC_TRACE_STOP);	/* a stale trace from a killed test */
	GT_ASSERT(!ioctl(e->gfd, GMEM_IOC_TRACE_START, &c), "TRACE_START: %s", strerror(errno));
}

/* Drain the trace; MIN over @obj's records at the device's HBM size. */
static void tp_trace_min(const struct tp_env *e, uint32_t obj, uint64_t cap,
			 struct min_result *res)
{
	struct gmem_trace_rec *recs = calloc(cap, sizeof(*recs));
	uint64_t *keys = calloc(cap, sizeof(*keys)), n = 0, i;
	uint8_t *writes = calloc(cap, sizeof(*writes));
	struct gmem_trace_read rd = { .buf_ptr = (uintptr_t)recs, .capacity = cap };

	GT_ASSERT(recs && keys && writes, "calloc");
	GT_ASSERT(!ioctl(e->gfd, GMEM_IOC_TRACE_READ, &rd), "TRACE_READ: %s", strerror(errno));
	GT_ASSERT(!rd.dropped, "trace dropped %llu records", (unsigned long long)rd.dropped);
	ioctl(e->gfd, GMEM_IOC_TRACE_STOP);
	for (i = 0; i < rd.count; i++)
		if (recs[i].obj == obj) {
			writes[n] = recs[i].write;
			keys[n++] = GMEM_BLK_ID(recs[i].obj, recs[i].idx);
		}
	GT_ASSERT(!min_simulate(keys, writes, n, e->hbm_blocks, res), "min_simulate");
	free(writes);
	free(keys);
	free(recs);
}

/* Run @plan on a fresh object under @cfg; fills @r. */
static void tp_run_plan(struct tp_env *e, const struct wl_plan *plan,
			const struct tp_run_cfg *cfg, struct tp_res *r)
{
	struct gmem_policy *p = NULL;
	struct tp_pstat ps = tp_before();
	uint64_t cap = plan->nr_acc + 1024;
	struct tp_obj o;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	if (cfg->policy)
		p = tp_policy_start(cfg->policy, cfg->tunables);
	tp_obj_new(e, &o, plan->nr_blocks);
	for (i = 0; i < plan->nr_hints; i++)
		tp_hint(&o, plan->hints[i].first, plan->hints[i].nr, plan->hints[i].advice,
			plan->hints[i].value);
	if (cfg->trace)
		tp_trace_start(e, cap);
	r->checksum = tp_access(&o, plan->acc, plan->nr_acc);
	r->st = tp_obj_stats(&o);
	if (cfg->trace)
		tp_trace_min(e, o.id, cap, &r->min);
	if (cfg->map)
		GT_ASSERT(!tp_map_field(cfg->map, o.id, cfg->field, &r->field),
			  "%s.%s of object %u", cfg->map, cfg->field, o.id);
	tp_obj_free(&o);
	if (p)
		tp_policy_stop(p, cfg->policy, &ps);
}

/* bench's defaults for @kind at @oversub times the HBM; callers adjust, then tp_generate(). */
static struct wl_params tp_params(const struct tp_env *e, enum wl_kind kind, double oversub)
{
	struct wl_params wp;

	memset(&wp, 0, sizeof(wp));
	wl_defaults(&wp, kind);
	wp.hbm_blocks = e->hbm_blocks;
	wp.oversub = oversub;
	return wp;
}

static void tp_generate(const struct wl_params *wp, struct wl_plan *plan)
{
	int err = wl_generate(wp, plan);

	GT_ASSERT(!err, "wl_generate %s: %d", wl_kind_name(wp->kind), err);
}

/* ------------------------------------------------------------ lru_cold */

/*
 * 128 blocks, HBM 64. Hints: HOT on 0..7, COLD on 8..15. A: read 0..63
 * (64 faults, HBM full). B: read 16..31 again (second touch: active).
 * C: read 64..127 once, a scan as large as HBM: 64 evictions. lru_cold
 * takes the COLD blocks 8..15, then the inactive blocks least recently
 * touched, 32..63 and then the scan's own first arrivals 64..87; the HOT
 * blocks and the twice-touched 16..31 stay. Probe 0..7: no fault; 16..31: no
 * fault; 8..15: 8 faults. The built-in policy (COLD first, HOT last, LRU
 * between) lets the scan push out 16..31 as well: 16 faults there.
 */
GT_TEST(lru_cold_keeps_hot_and_twice_touched)
{
	static const struct { const char *pol; uint64_t hot, active, cold; } runs[] = {
		{ "lru_cold", 0, 0, 8 },
		{ NULL, 0, 16, 8 },	/* control: the probe can tell the difference */
	};
	unsigned int r;
	struct tp_env e;
	uint64_t old_pf;

	tp_env_open(&e);
	GT_ASSERT(e.hbm_blocks == 64, "HBM %llu blocks", (unsigned long long)e.hbm_blocks);
	old_pf = tp_builtin_prefetch(0);
	for (r = 0; r < 2; r++) {
		struct gmem_policy *p = NULL;
		struct tp_pstat ps = tp_before();
		uint64_t hot, act, cold, arrivals;
		struct gmem_stats st;
		struct tp_obj o;

		if (runs[r].pol)
			p = tp_policy_start(runs[r].pol, NULL);
		tp_obj_new(&e, &o, 128);
		tp_hint(&o, 0, 8, GMEM_ADV_HOT, 0);
		tp_hint(&o, 8, 8, GMEM_ADV_COLD, 0);
		GT_ASSERT(tp_sweep_faults(&o, 0, 64) == 64, "A");
		GT_ASSERT(tp_sweep_faults(&o, 16, 32) == 0, "B");
		GT_ASSERT(tp_sweep_faults(&o, 64, 128) == 64, "C");
		hot = tp_sweep_faults(&o, 0, 8);
		act = tp_sweep_faults(&o, 16, 32);
		cold = tp_sweep_faults(&o, 8, 16);
		gt_log("%-8s probe faults: hot %llu twice-touched %llu cold %llu",
		       runs[r].pol ? runs[r].pol : "builtin", (unsigned long long)hot,
		       (unsigned long long)act, (unsigned long long)cold);
		GT_EXPECT(hot == runs[r].hot && act == runs[r].active && cold == runs[r].cold,
			  "probe faults differ from the expected order");
		if (p) {
			st = tp_obj_stats(&o);
			GT_ASSERT(!tp_map_field("lru_obj", o.id, "arrivals", &arrivals), "lru_obj");
			GT_EXPECT(arrivals == st.h2d_blocks, "lru_obj.arrivals %llu, h2d %llu",
				  (unsigned long long)arrivals, (unsigned long long)st.h2d_blocks);
		}
		tp_obj_free(&o);
		if (p)
			tp_policy_stop(p, runs[r].pol, &ps);
	}
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/*
 * Ageing. 96 blocks, HBM 64. A: read 0..63. B: read 0..47 again: 48
 * promotions. C: read 64..79: the first eviction finds the active list at
 * 48 of 64 and demotes its oldest, 0..15, until it holds 50%; the victims
 * are 48..63, the inactive blocks touched once. D: read 80..95: now the
 * demoted 0..15 head the inactive list and go, although touched twice,
 * before 64..79. Probe 16..47 and 64..79: no fault; 0..15: 16 faults.
 */
GT_TEST(lru_cold_ages_active_list)
{
	uint64_t old_pf, promo, demo, kept, aged;
	struct tp_pstat ps;
	struct gmem_policy *p;
	struct tp_env e;
	struct tp_obj o;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	ps = tp_before();
	p = tp_policy_start("lru_cold", NULL);
	tp_obj_new(&e, &o, 96);
	GT_ASSERT(tp_sweep_faults(&o, 0, 64) == 64, "A");
	GT_ASSERT(tp_sweep_faults(&o, 0, 48) == 0, "B");
	GT_ASSERT(tp_sweep_faults(&o, 64, 80) == 16, "C");
	GT_ASSERT(tp_sweep_faults(&o, 80, 96) == 16, "D");
	GT_ASSERT(!tp_map_field("lru_obj", o.id, "promotions", &promo), "promotions");
	GT_ASSERT(!tp_map_field("lru_obj", o.id, "demotions", &demo), "demotions");
	kept = tp_sweep_faults(&o, 16, 48) + tp_sweep_faults(&o, 64, 80);
	aged = tp_sweep_faults(&o, 0, 16);
	gt_log("promotions %llu, demotions %llu, probe faults: kept %llu, aged %llu",
	       (unsigned long long)promo, (unsigned long long)demo, (unsigned long long)kept,
	       (unsigned long long)aged);
	GT_EXPECT(promo == 48 && demo == 16, "promotions %llu (48), demotions %llu (16)",
		  (unsigned long long)promo, (unsigned long long)demo);
	GT_EXPECT(kept == 0 && aged == 16, "probe faults kept %llu (0), aged %llu (16)",
		  (unsigned long long)kept, (unsigned long long)aged);
	tp_obj_free(&o);
	tp_policy_stop(p, "lru_cold", &ps);
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/* ------------------------------------------------------------ stride_prefetch */

/*
 * bench's stride walk (every block once per pass, column by column) over
 * 4x HBM, two passes, for strides 1, 2, 7 and -3: stride_prefetch against no
 * prefetch at all (built-in policy with builtin_prefetch=0). Its faults must
 * drop by at least 80%, and its own fault count (sp_obj) must be the kernel's.
 */
GT_TEST(stride_prefetch_cuts_strided_faults)
{
	static const int32_t strides[] = { 1, 2, 7, -3 };
	static const struct tp_run_cfg none = { 0 };
	static const struct tp_run_cfg sp = { .policy = "stride_prefetch", .map = "sp_obj",
					      .field = "faults" };
	struct tp_env e;
	unsigned int i;
	uint64_t old_pf;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	for (i = 0; i < 4; i++) {
		struct wl_params wp = tp_params(&e, WL_STRIDE, 4);
		struct wl_plan plan;
		struct tp_res base, pol;
		double cut;

		wp.stride = strides[i];
		wp.passes = 2;
		tp_generate(&wp, &plan);
		tp_run_plan(&e, &plan, &none, &base);
		tp_run_plan(&e, &plan, &sp, &pol);
		GT_EXPECT(base.checksum == pol.checksum, "stride %d: data differs", strides[i]);
		cut = 1.0 - (double)pol.st.dev_faults / (double)base.st.dev_faults;
		gt_log("stride %3d: %llu accesses, faults %llu -> %llu (-%.1f%%), prefetched %llu, "
		       "used %llu, wasted %llu", strides[i], (unsigned long long)plan.nr_acc,
		       (unsigned long long)base.st.dev_faults, (unsigned long long)pol.st.dev_faults,
		       100 * cut, (unsigned long long)pol.st.prefetch_issued,
		       (unsigned long long)pol.st.prefetch_used,
		       (unsigned long long)pol.st.prefetch_wasted);
		GT_EXPECT(cut >= 0.80, "stride %d: faults cut by %.1f%% < 80%%", strides[i],
			  100 * cut);
		GT_EXPECT(pol.field == pol.st.dev_faults, "sp_obj.faults %llu, dev_faults %llu",
			  (unsigned long long)pol.field, (unsigned long long)pol.st.dev_faults);
		wl_plan_free(&plan);
	}
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/*
 * Two streams interleaved in one object (4x HBM): +1 from block 0 and -2
 * from the last block, alternating, each covering its half once per pass.
 * Both streams prefetching far ahead overrun HBM, so some prefetches are
 * evicted unused: the policy's own count of them (sp_obj.wasted, seen as
 * evicted() without accessed()) must be the kernel's prefetch_wasted.
 */
GT_TEST(stride_prefetch_interleaved_streams)
{
	struct tp_run_cfg sp = { .policy = "stride_prefetch", .map = "sp_obj",
				 .field = "wasted" }, none = { 0 };
	struct wl_plan plan = { 0 };
	struct tp_res base, pol;
	uint64_t old_pf, pos = 0;
	uint32_t n, k, pass;
	struct tp_env e;
	double cut;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	n = 4 * e.hbm_blocks;
	plan.nr_blocks = n;
	plan.nr_acc = 2 * (n / 2 + n / 4);
	plan.acc = calloc(plan.nr_acc, sizeof(*plan.acc));
	GT_ASSERT(plan.acc, "calloc");
	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < n / 2; k++) {
			plan.acc[pos++].blk = k;
			if (k < n / 4)
				plan.acc[pos++].blk = n - 1 - 2 * k;
		}
	GT_ASSERT(pos == plan.nr_acc, "plan size");
	tp_run_plan(&e, &plan, &none, &base);
	tp_run_plan(&e, &plan, &sp, &pol);
	cut = 1.0 - (double)pol.st.dev_faults / (double)base.st.dev_faults;
	gt_log("interleaved +1/-2: faults %llu -> %llu (-%.1f%%), wasted %llu",
	       (unsigned long long)base.st.dev_faults, (unsigned long long)pol.st.dev_faults,
	       100 * cut, (unsigned long long)pol.st.prefetch_wasted);
	GT_EXPECT(cut >= 0.80, "faults cut by %.1f%% < 80%%", 100 * cut);
	GT_EXPECT(pol.field == pol.st.prefetch_wasted, "sp_obj.wasted %llu != kernel %llu",
		  (unsigned long long)pol.field, (unsigned long long)pol.st.prefetch_wasted);
	free(plan.acc);
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/* ------------------------------------------------------------ uvm_like */

/*
 * UVM's density prefetcher on a sequential read of 64 blocks (two regions
 * of 32, no eviction): in each region the faults are at leaves 0, 1, 2, 4,
 * 8 and 16, where the faulting block's subtree of 2, 4, 8, 16, 32 leaves
 * first has more than 51% resident: 12 faults.
 */
GT_TEST(uvm_like_density_prefetch)
{
	struct tp_run_cfg cfg = { .policy = "uvm_like", .map = "uvm_obj", .field = "faults" };
	struct wl_params wp;
	struct wl_plan plan;
	struct tp_res r;
	struct tp_env e;

	tp_env_open(&e);
	wp = tp_params(&e, WL_SEQ, 1);
	wp.passes = 1;
	tp_generate(&wp, &plan);
	GT_ASSERT(plan.nr_blocks == 64, "%u blocks", plan.nr_blocks);
	tp_run_plan(&e, &plan, &cfg, &r);
	gt_log("sequential 64: faults %llu, prefetched %llu", (unsigned long long)r.st.dev_faults,
	       (unsigned long long)r.st.prefetch_issued);
	GT_EXPECT(r.st.dev_faults == 12, "faults %llu, expected 12",
		  (unsigned long long)r.st.dev_faults);
	GT_EXPECT(r.st.prefetch_issued == 52, "prefetched %llu, expected 52",
		  (unsigned long long)r.st.prefetch_issued);
	GT_EXPECT(r.field == r.st.dev_faults, "uvm_obj.faults %llu", (unsigned long long)r.field);
	wl_plan_free(&plan);
	tp_env_close(&e);
}

/*
 * Eviction by migration time, not access: fill HBM with 0..63, read 0..15
 * again, then read 64..79. uvm_like evicts 0..15 (the oldest arrivals) even
 * though they were just used, so reading them again faults 16 times;
 * lru_cold keeps them (0 faults). Prefetch is off to isolate eviction.
 */
GT_TEST(uvm_like_evicts_oldest_migration)
{
	static const char *const no_pf[] = { "uvm_perf_prefetch_enable=0", NULL };
	static const struct { const char *pol; const char *const *tun; uint64_t probe; } runs[] = {
		{ "uvm_like", no_pf, 16 }, { "lru_cold", NULL, 0 },
	};
	struct tp_env e;
	unsigned int r;
	uint64_t old_pf;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	for (r = 0; r < 2; r++) {
		struct tp_pstat ps = tp_before();
		struct gmem_policy *p = tp_policy_start(runs[r].pol, runs[r].tun);
		uint64_t probe;
		struct tp_obj o;

		tp_obj_new(&e, &o, 96);
		GT_ASSERT(tp_sweep_faults(&o, 0, 64) == 64, "fill");
		GT_ASSERT(tp_sweep_faults(&o, 0, 16) == 0, "reuse");
		GT_ASSERT(tp_sweep_faults(&o, 64, 80) == 16, "new");
		probe = tp_sweep_faults(&o, 0, 16);
		gt_log("%-8s probe faults %llu (expected %llu)", runs[r].pol,
		       (unsigned long long)probe, (unsigned long long)runs[r].probe);
		GT_EXPECT(probe == runs[r].probe, "%s: probe faults %llu", runs[r].pol,
			  (unsigned long long)probe);
		tp_obj_free(&o);
		tp_policy_stop(p, runs[r].pol, &ps);
	}
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/* ------------------------------------------------------------ s3fifo */

/*
 * Scan resistance. HBM 64. Each of 4 rounds reads a hot set H = 0..23
 * three times, then 64 blocks never seen before. s3fifo: in round 1 the
 * first eviction finds the small FIFO holding everything; H, read twice
 * since arriving, moves to main (24 moves) and the scan blocks go from the
 * small FIFO from then on, so H faults only in round 1 (24). The built-in
 * LRU evicts H behind every 64-block scan: 24 faults per round (96).
 */
GT_TEST(s3fifo_keeps_reused_blocks_through_scans)
{
	static const struct { const char *pol; uint64_t hot; } runs[] = {
		{ "s3fifo", 24 }, { NULL, 96 },
	};
	struct tp_env e;
	uint64_t old_pf;
	unsigned int r;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	for (r = 0; r < 2; r++) {
		struct tp_pstat ps = tp_before();
		uint64_t hot = 0, moved = 0;
		struct gmem_policy *p = NULL;
		uint32_t round, scan = 24;
		struct tp_obj o;

		if (runs[r].pol)
			p = tp_policy_start(runs[r].pol, NULL);
		tp_obj_new(&e, &o, 24 + 4 * 64);
		for (round = 0; round < 4; round++, scan += 64) {
			hot += tp_sweep_faults(&o, 0, 24);
			GT_ASSERT(tp_sweep_faults(&o, 0, 24) + tp_sweep_faults(&o, 0, 24) == 0,
				  "H re-read faulted");
			GT_ASSERT(tp_sweep_faults(&o, scan, scan + 64) == 64, "scan");
		}
		if (p)
			GT_ASSERT(!tp_map_field("s3_obj", o.id, "to_main", &moved), "s3_obj");
		gt_log("%-8s hot-set faults %llu (expected %llu), moved to main %llu",
		       runs[r].pol ? runs[r].pol : "builtin", (unsigned long long)hot,
		       (unsigned long long)runs[r].hot, (unsigned long long)moved);
		GT_EXPECT(hot == runs[r].hot, "hot-set faults %llu", (unsigned long long)hot);
		GT_EXPECT(!p || moved == 24, "s3_obj.to_main %llu, expected 24",
			  (unsigned long long)moved);
		tp_obj_free(&o);
		if (p)
			tp_policy_stop(p, runs[r].pol, &ps);
	}
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/* ------------------------------------------------------------ llm_layer */

/*
 * bench's decode loop (8 layers of weights, a HOT KV cache per layer, 16
 * tokens) at 1.5x, 2x and 3x HBM: llm_layer must move at most 1.10x the
 * blocks of MIN on the same trace and have learnt the period of the loop (8
 * visits). Its fault-time prefetches cost no migration (prefetch_slack=0);
 * streaming from the accessed hook (stream_ahead=4) costs about 4 per
 * token, so the run measures mostly its eviction: at least 1.2x fewer
 * blocks than lru_cold and uvm_like (1.27x and more measured on
 * 2026-12-06). At 2x the same run without streaming (stream_ahead=0) must
 * move no more blocks and take at least 4x the faults: streaming is what
 * keeps the device from stopping on a fault for nearly every block it
 * brings in (79 faults against 847 measured). The built-in read-ahead is off, so
 * lru_cold (which leaves prefetching to the built-in policy) is compared on
 * its eviction alone; uvm_like runs its own prefetcher, as UVM does.
 */
GT_TEST(llm_layer_decode_near_min)
{
	static const double oversub[] = { 1.5, 2, 3 };
	static const char *const others[] = { "lru_cold", "uvm_like" };
	static const char *const no_stream[] = { "stream_ahead=0", NULL };
	struct tp_env e;
	unsigned int i, j;
	uint64_t old_pf;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	for (i = 0; i < 3; i++) {
		struct tp_run_cfg llm = { .policy = "llm_layer", .trace = true,
					  .map = "llm_obj", .field = "period" };
		struct tp_run_cfg llm0 = { .policy = "llm_layer", .tunables = no_stream,
					   .trace = true };
		struct wl_params wp = tp_params(&e, WL_LLM_DECODE, oversub[i]);
		struct wl_plan plan;
		struct tp_res rl, r0, ro;
		double ml, m0, mmin;

		tp_generate(&wp, &plan);
		tp_run_plan(&e, &plan, &llm, &rl);
		ml = tp_moved(&rl.st);
		mmin = tp_min_moved(&rl.min);
		gt_log("decode %.1fx (%s): llm_layer moved %.0f blocks, MIN %.0f (%.3fx), "
		       "faults %llu, period %llu", oversub[i], plan.desc, ml, mmin, ml / mmin,
		       (unsigned long long)rl.st.dev_faults, (unsigned long long)rl.field);
		GT_EXPECT(ml <= 1.10 * mmin, "%.1fx: llm_layer/MIN = %.3f > 1.10", oversub[i],
			  ml / mmin);
		GT_EXPECT(rl.field == wp.layers, "learned period %llu, expected %u",
			  (unsigned long long)rl.field, wp.layers);
		/* The streaming trade-off once, at 2x: the run is the slowest part. */
		if (oversub[i] != 2)
			goto others;
		tp_run_plan(&e, &plan, &llm0, &r0);
		m0 = tp_moved(&r0.st);
		gt_log("decode %.1fx: stream_ahead=0 moved %.0f blocks (%.3fx MIN), faults %llu",
		       oversub[i], m0, m0 / mmin, (unsigned long long)r0.st.dev_faults);
		GT_EXPECT(m0 <= ml && r0.st.dev_faults >= 4 * rl.st.dev_faults,
			  "%.1fx: stream_ahead=0: %.0f moved, %llu faults; default: %.0f, %llu",
			  oversub[i], m0, (unsigned long long)r0.st.dev_faults, ml,
			  (unsigned long long)rl.st.dev_faults);
		GT_EXPECT(r0.checksum == rl.checksum, "stream_ahead=0: data differs");
others:
		for (j = 0; j < 2; j++) {
			struct tp_run_cfg oc = { .policy = others[j] };

			tp_run_plan(&e, &plan, &oc, &ro);
			gt_log("decode %.1fx: %s moved %.0f blocks (%.2fx llm_layer)", oversub[i],
			       others[j], tp_moved(&ro.st), tp_moved(&ro.st) / ml);
			GT_EXPECT(tp_moved(&ro.st) >= 1.2 * ml, "%.1fx: %s/llm_layer = %.3f < 1.2",
				  oversub[i], others[j], tp_moved(&ro.st) / ml);
			GT_EXPECT(ro.checksum == rl.checksum, "%s: data differs", others[j]);
		}
		wl_plan_free(&plan);
	}
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/*
 * bench's training sweep (forward 0..7, backward 7..0, HOT optimizer state)
 * at 2x HBM, 4 steps: llm_layer must move at most 1.10x the blocks of MIN,
 * no more than lru_cold (built-in read-ahead off, as above), and take fewer
 * faults than it (its prefetches arrive before use). The period it learns is
 * 16 visits (the last and the first layer are each visited twice in a row,
 * once per direction).
 */
GT_TEST(llm_layer_training_sweep)
{
	struct tp_run_cfg llm = { .policy = "llm_layer", .trace = true, .map = "llm_obj",
				  .field = "period" };
	struct tp_run_cfg lru = { .policy = "lru_cold" };
	struct wl_params wp;
	struct wl_plan plan;
	struct tp_res rl, ro;
	struct tp_env e;
	uint64_t old_pf;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	wp = tp_params(&e, WL_LLM_TRAIN, 2);
	wp.iters = 4;
	tp_generate(&wp, &plan);
	tp_run_plan(&e, &plan, &llm, &rl);
	tp_run_plan(&e, &plan, &lru, &ro);
	gt_log("training 2x (%s): llm_layer %.0f, lru_cold %.0f, MIN %.0f blocks moved; "
	       "period %llu", plan.desc, tp_moved(&rl.st), tp_moved(&ro.st),
	       tp_min_moved(&rl.min), (unsigned long long)rl.field);
	gt_log("training 2x: faults llm_layer %llu, lru_cold %llu",
	       (unsigned long long)rl.st.dev_faults, (unsigned long long)ro.st.dev_faults);
	GT_EXPECT(tp_moved(&rl.st) <= 1.10 * tp_min_moved(&rl.min), "llm_layer/MIN = %.3f > 1.10",
		  tp_moved(&rl.st) / tp_min_moved(&rl.min));
	GT_EXPECT(tp_moved(&rl.st) <= tp_moved(&ro.st), "llm_layer %.0f > lru_cold %.0f",
		  tp_moved(&rl.st), tp_moved(&ro.st));
	GT_EXPECT(rl.st.dev_faults < ro.st.dev_faults, "faults: llm_layer %llu >= lru_cold %llu",
		  (unsigned long long)rl.st.dev_faults, (unsigned long long)ro.st.dev_faults);
	GT_EXPECT(rl.field == 2 * wp.layers, "learned period %llu, expected %u",
		  (unsigned long long)rl.field, 2 * wp.layers);
	GT_EXPECT(ro.checksum == rl.checksum, "data differs");
	wl_plan_free(&plan);
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

/*
 * bench's MoE decode (4 layers of 12 attention blocks + 8 experts x 4
 * blocks, top-2, router skew 1, 32 tokens) at 3x HBM, tags per layer only:
 * llm_layer has to learn which experts run. It must move at most 1.45x the
 * blocks of MIN (scoring whole layers by their next visit moved 3.2x) and
 * fewer than lru_cold (3.8x), and it must measure its predictions: every
 * prefetched block the device used is a hit (pred_hits >= the core's
 * prefetch_used), and no hit is counted for a block it did not prefetch
 * (pred_hits <= prefetch_issued). At 2x (8 attention + 8 experts x 3
 * blocks a layer) HBM still has room after the first token, where every
 * prefetch is a guess about a layer not seen yet: the first visit shows the
 * layers sparse, so no guess may follow it (guessing dense wasted 18). The
 * one guess allowed is the streaming window's during the very first visit
 * (stream_ahead = 4 blocks ahead while that visit runs in order: it saves a
 * dense model's first layer a fault per block), so at most 4 are wasted.
 */
GT_TEST(llm_layer_moe_learns_experts)
{
	struct tp_run_cfg llm = { .policy = "llm_layer", .trace = true, .map = "llm_obj",
				  .field = "pred_hits" };
	struct tp_run_cfg lru = { .policy = "lru_cold" };
	struct wl_params wp;
	struct wl_plan plan;
	struct tp_res rl, ro;
	struct tp_env e;
	uint64_t old_pf;
	double ml, mmin;

	tp_env_open(&e);
	old_pf = tp_builtin_prefetch(0);
	wp = tp_params(&e, WL_MOE_DECODE, 3);
	tp_generate(&wp, &plan);
	tp_run_plan(&e, &plan, &llm, &rl);
	tp_run_plan(&e, &plan, &lru, &ro);
	ml = tp_moved(&rl.st);
	mmin = tp_min_moved(&rl.min);
	gt_log("moe 3x (%s): llm_layer %.0f (%.3fx MIN), lru_cold %.0f, MIN %.0f blocks moved; "
	       "prefetched %llu, predictions hit %llu", plan.desc, ml, ml / mmin,
	       tp_moved(&ro.st), mmin, (unsigned long long)rl.st.prefetch_issued,
	       (unsigned long long)rl.field);
	GT_EXPECT(ml <= 1.45 * mmin, "llm_layer/MIN = %.3f > 1.45", ml / mmin);
	GT_EXPECT(ml < tp_moved(&ro.st), "llm_layer %.0f >= lru_cold %.0f", ml, tp_moved(&ro.st));
	GT_EXPECT(rl.field && rl.field >= rl.st.prefetch_used &&
		  rl.field <= rl.st.prefetch_issued, "pred_hits %llu; prefetched %llu, used %llu",
		  (unsigned long long)rl.field, (unsigned long long)rl.st.prefetch_issued,
		  (unsigned long long)rl.st.prefetch_used);
	GT_EXPECT(ro.checksum == rl.checksum, "data differs");
	wl_plan_free(&plan);

	wp = tp_params(&e, WL_MOE_DECODE, 2);
	tp_generate(&wp, &plan);
	llm.trace = false;
	tp_run_plan(&e, &plan, &llm, &rl);
	gt_log("moe 2x (%s): llm_layer %.0f blocks moved, prefetched %llu, wasted %llu",
	       plan.desc, tp_moved(&rl.st), (unsigned long long)rl.st.prefetch_issued,
	       (unsigned long long)rl.st.prefetch_wasted);
	GT_EXPECT(rl.st.prefetch_wasted <= 4, "2x: %llu prefetches wasted",
		  (unsigned long long)rl.st.prefetch_wasted);
	wl_plan_free(&plan);
	tp_builtin_prefetch(old_pf);
	tp_env_close(&e);
}

GT_MAIN()
