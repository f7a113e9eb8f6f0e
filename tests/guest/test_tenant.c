// SPDX-License-Identifier: GPL-2.0
/*
 * test_tenant: per-cgroup HBM limits and shares (kernel/gm_tenant.c,
 * GMEM_IOC_TENANT_SET/INFO).
 *
 * One device with 16 blocks of HBM (64 KiB blocks). Each test makes its own
 * cgroup v2 directories, gives them limits, creates objects from inside
 * them (an object's tenant is fixed at mmap time) and drives the device
 * over them while a sampler thread reads the tenants' usage: it must never
 * exceed the limit. Content is checked from the device and the CPU after
 * every phase. Without the enforcement in gm_evict.c, limit_enforced,
 * pins_count, limits_survive_policy_swap, two_cgroups_two_policies and
 * isolation_from_untenanted fail (usage reaches the object size, the fifth
 * pin succeeds, the untenanted sweep evicts the limited tenant's blocks).
 */
#include <pthread.h>
#include <sys/stat.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"
#include "gmem_test_cgroup.h"

#define LIMIT		4		/* blocks */

struct tenant {
	const char *name;
	char dir[96];			/* "" for the root cgroup */
	uint64_t cgid;
	uint8_t *mem;
	size_t nr;			/* blocks of its object */
	uint32_t seed;
};

static void cg_make(struct tenant *t)
{
	char name[32];

	snprintf(name, sizeof(name), "t%s", t->name);
	t->cgid = gmt_cg_make(t->dir, sizeof(t->dir), name);
}

static int tenant_set(int gfd, uint64_t cgid, uint64_t limit, uint32_t weight)
{
	struct gmem_tenant_set s = {
		.cgroup_id = cgid, .cgroup_fd = -1, .hbm_limit = limit, .weight = weight,
	};

	return gmt_err(ioctl(gfd, GMEM_IOC_TENANT_SET, &s));
}

static int tenant_info(int gfd, uint64_t cgid, struct gmem_tenant_info *ti)
{
	memset(ti, 0, sizeof(*ti));
	ti->cgroup_id = cgid;
	ti->cgroup_fd = -1;
	return gmt_err(ioctl(gfd, GMEM_IOC_TENANT_INFO, ti));
}

/* The object of @t (@nr blocks of its pattern), created from inside its cgroup. */
static void make_obj(struct tenant *t, int gfd, size_t nr)
{
	gmt_cg_enter(t->dir);
	t->nr = nr;
	t->mem = gmt_map(gfd, nr * BS);
	GT_ASSERT(t->mem, "mmap");
	gmt_fill_pat((uint32_t *)t->mem, nr * BS / 4, t->seed);
	gmt_cg_enter(NULL);
}

/* One device read of every block of @t, in order, @rounds times. */
static void tsweep(int sfd, struct tenant *t, int rounds)
{
	struct gmem_sim_access recs[64];
	size_t b;

	GT_ASSERT(t->nr <= 64, "object too large");
	for (b = 0; b < t->nr; b++)
		recs[b] = (struct gmem_sim_access){ .addr = (uintptr_t)(t->mem + b * BS), .len = 4 };
	while (rounds--)
		GT_ASSERT(gmt_sim_run(sfd, GMEM_SIM_TRACE, recs, NULL, t->nr, 0, NULL) == 0,
			  "trace of %s", t->name);
}

static void check_obj(int sfd, struct tenant *t)
{
	size_t words = t->nr * BS / 4;
	uint32_t *ref = malloc(words * 4);
	uint64_t h = 0;
	long bad;

	GT_ASSERT(ref, "malloc");
	gmt_fill_pat(ref, words, t->seed);
	GT_ASSERT(gmt_sim_checksum(sfd, t->mem, words * 4, &h) == 0, "checksum");
	GT_EXPECT(h == gmt_fnv1a(ref, words * 4, GMT_FNV_BASIS), "%s: device checksum differs",
		  t->name);
	free(ref);
	bad = gmt_check_pat((uint32_t *)t->mem, words, t->seed);
	GT_EXPECT(bad < 0, "%s: CPU sees a wrong word %ld", t->name, bad);
}

static void drop(struct tenant *t)
{
	if (t->mem)
		munmap(t->mem, t->nr * BS);
	t->mem = NULL;
	if (t->dir[0])
		rmdir(t->dir);
}

/* ------------------------------------------------ usage sampler thread */

struct sampler {
	pthread_t thr;
	int gfd;
	volatile int stop;
	int n;
	uint64_t cgid[4], max[4];	/* highest hbm_used seen, bytes */
};

static void *sampler_fn(void *arg)
{
	struct sampler *s = arg;
	struct gmem_tenant_info ti;
	int i;

	while (!s->stop)
		for (i = 0; i < s->n; i++)
			if (!tenant_info(s->gfd, s->cgid[i], &ti) && ti.hbm_used > s->max[i])
				s->max[i] = ti.hbm_used;
	return NULL;
}

static void sampler_start(struct sampler *s, int gfd, struct tenant **ts, int n)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->gfd = gfd;
	s->n = n;
	for (i = 0; i < n; i++)
		s->cgid[i] = ts[i]->cgid;
	GT_ASSERT(pthread_create(&s->thr, NULL, sampler_fn, s) == 0, "sampler");
}

static void sampler_stop(struct sampler *s)
{
	s->stop = 1;
	pthread_join(s->thr, NULL);
}

static void setup(int *gfd, int *sfd)
{
	GT_ASSERT(gmt_setup(BS, 1, 1) == 0, "module reload");
	params(64, 1000, 0);
	*gfd = gmt_open_gmem();
	*sfd = gmt_sim_open(0);
	GT_ASSERT(*gfd >= 0 && *sfd >= 0, "open devices");
}

/* ----------------------------------------------------------------- tests */

GT_TEST(limit_enforced)
{
	struct tenant a = { .name = "A", .seed = 0xa1 }, *ta = &a;
	struct gmem_tenant_info ti;
	struct sampler s;
	int gfd, sfd;

	setup(&gfd, &sfd);
	cg_make(&a);
	GT_EXPECT(tenant_info(gfd, a.cgid, &ti) == -ENOENT, "info before set");
	GT_EXPECT(tenant_set(gfd, a.cgid, 100, 0) == -EINVAL, "limit below a block");
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	make_obj(&a, gfd, 12);			/* fits the device, not the limit */
	sampler_start(&s, gfd, &ta, 1);
	tsweep(sfd, &a, 3);
	GT_ASSERT(gmt_sim_fill(sfd, a.mem, 12 * BS, 0) == 0, "fill");	/* dirty */
	gmt_fill_pat((uint32_t *)a.mem, 12 * BS / 4, a.seed);
	tsweep(sfd, &a, 2);
	sampler_stop(&s);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0, "info");
	gt_log("A: used %llu max %llu limit %llu evictions %llu h2d %llu d2h %llu objects %llu",
	       (unsigned long long)ti.hbm_used, (unsigned long long)s.max[0],
	       (unsigned long long)ti.hbm_limit, (unsigned long long)ti.stats.evictions,
	       (unsigned long long)ti.stats.h2d_bytes, (unsigned long long)ti.stats.d2h_bytes,
	       (unsigned long long)ti.nr_objects);
	GT_EXPECT(ti.hbm_limit == LIMIT * BS && ti.weight == 100, "limit/weight as set");
	GT_EXPECT(s.max[0] <= LIMIT * BS && ti.hbm_used <= LIMIT * BS,
		  "usage %llu over the limit", (unsigned long long)s.max[0]);
	GT_EXPECT(ti.hbm_used == ti.dev_used[0], "per-device usage");
	GT_EXPECT(ti.stats.evictions > 0, "own blocks were not evicted");
	GT_EXPECT(ti.stats.dev_faults > 0 && ti.nr_objects == 1, "counters");
	check_obj(sfd, &a);
	/* A lower limit takes effect at the next allocation. */
	GT_ASSERT(tenant_set(gfd, a.cgid, 2 * BS, 50) == 0, "lower limit");
	tsweep(sfd, &a, 1);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0, "info");
	GT_EXPECT(ti.hbm_used <= 2 * BS && ti.weight == 50, "used %llu after lowering",
		  (unsigned long long)ti.hbm_used);
	check_obj(sfd, &a);
	drop(&a);
	close(sfd);
	close(gfd);
}

GT_TEST(pins_count)
{
	struct tenant a = { .name = "P", .seed = 0xb7 };
	struct gmem_tenant_info ti;
	int gfd, sfd, i, ret;

	setup(&gfd, &sfd);
	cg_make(&a);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	make_obj(&a, gfd, 8);
	for (i = 0; i < LIMIT; i++) {
		ret = gmt_advise(gfd, a.mem + i * BS, BS, GMEM_ADV_PIN, 0, 0);
		GT_ASSERT(ret == 0, "pin %d: %s", i, strerror(-ret));
	}
	ret = gmt_advise(gfd, a.mem + LIMIT * BS, BS, GMEM_ADV_PIN, 0, 0);
	GT_EXPECT(ret == -EDQUOT, "pin beyond the limit: %d", ret);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0, "info");
	GT_EXPECT(ti.pinned == LIMIT * BS && ti.hbm_used == LIMIT * BS && ti.edquot >= 1,
		  "pinned %llu used %llu edquot %llu", (unsigned long long)ti.pinned,
		  (unsigned long long)ti.hbm_used, (unsigned long long)ti.edquot);
	/* Unpin one: the pin fits again, evicting nothing pinned. */
	GT_ASSERT(gmt_advise(gfd, a.mem, BS, GMEM_ADV_UNPIN, 0, 0) == 0, "unpin");
	ret = gmt_advise(gfd, a.mem + LIMIT * BS, BS, GMEM_ADV_PIN, 0, 0);
	GT_EXPECT(ret == 0, "pin after unpin: %d", ret);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0, "info");
	GT_EXPECT(ti.hbm_used <= LIMIT * BS, "used %llu", (unsigned long long)ti.hbm_used);
	GT_ASSERT(gmt_advise(gfd, a.mem, 8 * BS, GMEM_ADV_UNPIN, 0, 0) == 0, "unpin all");
	tsweep(sfd, &a, 1);
	check_obj(sfd, &a);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0 && ti.pinned == 0, "pinned after unpin");
	drop(&a);
	close(sfd);
	close(gfd);
}

/*
 * A tenant at its limit, waiting for a busy victim of its own, takes the
 * room a munmap of its pinned blocks frees meanwhile instead of evicting a
 * block in use once the victim comes free (test_core_async
 * waiting_for_a_victim_takes_freed_room for a full device). The tenant's
 * limit of 4: 3 pinned blocks and Z. Hint A's eviction round takes Z and
 * holds it 100 ms (gmem.debug_evict_delay_us); hint B finds only Z, busy,
 * and waits; the pinned object is unmapped. B must move in without an
 * eviction: before, it evicted A's block once A was done.
 */
GT_TEST(waiting_for_own_victim_takes_freed_room)
{
	struct tenant pin = { .name = "W", .seed = 0xc1 }, z = { .name = "W", .seed = 0xc2 };
	struct tenant a = { .name = "W", .seed = 0xc3 }, b = { .name = "W", .seed = 0xc4 };
	struct gmem_tenant_info t0, t1;
	struct gmt_hint ha, hb;
	int gfd, sfd, ret_a, ret_b;

	setup(&gfd, &sfd);
	cg_make(&pin);
	z.cgid = a.cgid = b.cgid = pin.cgid;
	memcpy(z.dir, pin.dir, sizeof(z.dir));
	memcpy(a.dir, pin.dir, sizeof(a.dir));
	memcpy(b.dir, pin.dir, sizeof(b.dir));
	GT_ASSERT(tenant_set(gfd, pin.cgid, LIMIT * BS, 0) == 0, "set limit");
	make_obj(&pin, gfd, LIMIT - 1);
	make_obj(&z, gfd, 1);
	make_obj(&a, gfd, 1);
	make_obj(&b, gfd, 1);
	GT_ASSERT(gmt_advise(gfd, pin.mem, (LIMIT - 1) * BS, GMEM_ADV_PIN, 0, 0) == 0, "pin");
	tsweep(sfd, &z, 1);
	GT_ASSERT(tenant_info(gfd, pin.cgid, &t0) == 0 && t0.hbm_used == LIMIT * BS,
		  "tenant not at its limit: %llu", (unsigned long long)t0.hbm_used);
	set_param(PARAM("debug_evict_delay_us"), 100000);
	GT_ASSERT(gmt_hint_start(&ha, gfd, a.mem, BS, GMEM_ADV_WILLNEED, 0) == 0, "thread A");
	usleep(20000);
	GT_ASSERT(gmt_hint_start(&hb, gfd, b.mem, BS, GMEM_ADV_WILLNEED, 0) == 0, "thread B");
	usleep(30000);
	GT_ASSERT(munmap(pin.mem, (LIMIT - 1) * BS) == 0, "munmap");
	pin.mem = NULL;
	ret_a = gmt_hint_join(&ha);
	ret_b = gmt_hint_join(&hb);
	set_param(PARAM("debug_evict_delay_us"), 0);
	GT_ASSERT(tenant_info(gfd, pin.cgid, &t1) == 0, "info");
	GT_EXPECT(ret_a == 0 && ret_b == 0, "hints: %d, %d", ret_a, ret_b);
	GT_EXPECT(t1.stats.evictions - t0.stats.evictions == 1, "%llu evictions, want 1 (Z)",
		  (unsigned long long)(t1.stats.evictions - t0.stats.evictions));
	GT_EXPECT(t1.hbm_used == 2 * BS, "used %llu, want A and B", (unsigned long long)t1.hbm_used);
	check_obj(sfd, &a);
	check_obj(sfd, &b);
	check_obj(sfd, &z);
	munmap(z.mem, BS);
	munmap(a.mem, BS);
	munmap(b.mem, BS);
	drop(&pin);		/* the cgroup, once no object is left in it */
	close(sfd);
	close(gfd);
}

GT_TEST(unprivileged_cannot_set)
{
	struct tenant a = { .name = "U" };
	struct gmem_tenant_info ti;
	int gfd, sfd, st;
	pid_t pid;

	setup(&gfd, &sfd);
	cg_make(&a);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (tenant_set(gfd, a.cgid, 0, 0) != -EPERM)
			_exit(3);
		if (tenant_info(gfd, a.cgid, &ti) || ti.hbm_limit != LIMIT * BS)
			_exit(4);
		_exit(0);
	}
	GT_ASSERT(waitpid(pid, &st, 0) == pid, "wait");
	GT_EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0 && ti.hbm_limit == LIMIT * BS, "limit kept");
	GT_EXPECT(tenant_set(gfd, a.cgid, 0, GMEM_TENANT_WEIGHT_MAX + 1) == -EINVAL, "weight");
	drop(&a);
	close(sfd);
	close(gfd);
}

GT_TEST(limits_survive_policy_swap)
{
	static const char *const pols[] = { "mru", "tenant_count", NULL };
	struct tenant a = { .name = "S", .seed = 0xc4 }, *ta = &a;
	struct gmem_tenant_info ti;
	struct sampler s;
	struct pol p;
	int gfd, sfd, i;

	setup(&gfd, &sfd);
	cg_make(&a);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	make_obj(&a, gfd, 10);
	sampler_start(&s, gfd, &ta, 1);
	for (i = 0; i < 3; i++) {
		pol_start(&p, pols[i]);		/* the last round: built-in */
		tsweep(sfd, &a, 2);
		pol_stop(&p);
		tsweep(sfd, &a, 1);
		check_obj(sfd, &a);
	}
	/* ... and a policy attached to the tenant's own cgroup. */
	pol_open(&p, "tenant_count");
	*(uint64_t *)ops_member(&p, "cgroup_id") = a.cgid;
	pol_load(&p);
	GT_ASSERT(pol_attach(&p) == 0, "attach to the cgroup");
	tsweep(sfd, &a, 2);
	GT_EXPECT(pol_bss(&p, "nominated") > 0, "the tenant's policy nominated nothing");
	pol_close(&p);
	sampler_stop(&s);
	GT_ASSERT(tenant_info(gfd, a.cgid, &ti) == 0, "info");
	GT_EXPECT(ti.hbm_limit == LIMIT * BS, "limit lost: %llu", (unsigned long long)ti.hbm_limit);
	GT_EXPECT(s.max[0] <= LIMIT * BS, "usage %llu over the limit", (unsigned long long)s.max[0]);
	GT_EXPECT(ti.stats.evictions > 0, "no own evictions");
	check_obj(sfd, &a);
	drop(&a);
	close(sfd);
	close(gfd);
}

GT_TEST(two_cgroups_two_policies)
{
	struct tenant ts[2] = { { .name = "A", .seed = 0xd1 }, { .name = "B", .seed = 0xd2 } };
	struct tenant *tp[2] = { &ts[0], &ts[1] };
	uint64_t lim[2] = { 3 * BS, 6 * BS };
	struct gmem_tenant_info ti;
	struct sampler s;
	struct pol p[2];
	int gfd, sfd, i, r;

	setup(&gfd, &sfd);
	for (i = 0; i < 2; i++) {
		cg_make(&ts[i]);
		GT_ASSERT(tenant_set(gfd, ts[i].cgid, lim[i], 0) == 0, "set limit");
		make_obj(&ts[i], gfd, 10);
		pol_open(&p[i], i ? "mru" : "tenant_count");
		*(uint64_t *)ops_member(&p[i], "cgroup_id") = ts[i].cgid;
		pol_load(&p[i]);
		GT_ASSERT(pol_attach(&p[i]) == 0, "attach %s", ts[i].name);
	}
	sampler_start(&s, gfd, tp, 2);
	for (r = 0; r < 3; r++)
		for (i = 0; i < 2; i++)
			tsweep(sfd, &ts[i], 1);
	sampler_stop(&s);
	for (i = 0; i < 2; i++) {
		GT_ASSERT(tenant_info(gfd, ts[i].cgid, &ti) == 0, "info");
		gt_log("%s: max %llu limit %llu evictions %llu", ts[i].name,
		       (unsigned long long)s.max[i], (unsigned long long)lim[i],
		       (unsigned long long)ti.stats.evictions);
		GT_EXPECT(s.max[i] <= lim[i], "%s over its limit", ts[i].name);
		GT_EXPECT(ti.stats.evictions > 0, "%s: no evictions", ts[i].name);
		check_obj(sfd, &ts[i]);
	}
	GT_EXPECT(pol_bss(&p[0], "nominated") > 0 && pol_bss(&p[0], "refused") == 0,
		  "A's policy: nominated %lld refused %lld", (long long)pol_bss(&p[0], "nominated"),
		  (long long)pol_bss(&p[0], "refused"));
	for (i = 0; i < 2; i++) {
		pol_close(&p[i]);
		drop(&ts[i]);
	}
	close(sfd);
	close(gfd);
}

/* A limited tenant within its limit keeps its blocks while an untenanted object thrashes. */
GT_TEST(isolation_from_untenanted)
{
	struct tenant a = { .name = "I", .seed = 0xe1 }, r = { .name = "root", .seed = 0xe2 };
	struct gmem_tenant_info t0, t1;
	int gfd, sfd, k;

	setup(&gfd, &sfd);
	cg_make(&a);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	make_obj(&a, gfd, 3);
	make_obj(&r, gfd, 20);			/* more than the device */
	tsweep(sfd, &a, 1);
	GT_ASSERT(tenant_info(gfd, a.cgid, &t0) == 0, "info");
	for (k = 0; k < 4; k++) {
		tsweep(sfd, &r, 1);
		tsweep(sfd, &a, 1);
	}
	GT_ASSERT(tenant_info(gfd, a.cgid, &t1) == 0, "info");
	gt_log("A migrated %llu bytes in while the untenanted object thrashed",
	       (unsigned long long)(t1.stats.h2d_bytes - t0.stats.h2d_bytes));
	GT_EXPECT(t1.stats.h2d_bytes == t0.stats.h2d_bytes, "A lost blocks to an untenanted object");
	check_obj(sfd, &a);
	check_obj(sfd, &r);
	drop(&a);
	drop(&r);
	close(sfd);
	close(gfd);
}

/* An unlimited tenant over its share loses blocks before a limited one within its limit. */
GT_TEST(isolation_from_thrashing_tenant)
{
	struct tenant a = { .name = "L", .seed = 0xf1 }, b = { .name = "T", .seed = 0xf2 };
	struct gmem_tenant_info t0, t1;
	int gfd, sfd, k;

	setup(&gfd, &sfd);
	cg_make(&a);
	cg_make(&b);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	GT_ASSERT(tenant_set(gfd, b.cgid, 0, 200) == 0, "set weight");
	make_obj(&a, gfd, 3);
	make_obj(&b, gfd, 20);
	tsweep(sfd, &a, 1);
	GT_ASSERT(tenant_info(gfd, a.cgid, &t0) == 0, "info");
	for (k = 0; k < 4; k++) {
		tsweep(sfd, &b, 1);
		tsweep(sfd, &a, 1);
	}
	GT_ASSERT(tenant_info(gfd, a.cgid, &t1) == 0, "info");
	GT_EXPECT(t1.stats.h2d_bytes == t0.stats.h2d_bytes, "A lost %llu bytes to B",
		  (unsigned long long)(t1.stats.h2d_bytes - t0.stats.h2d_bytes));
	GT_ASSERT(tenant_info(gfd, b.cgid, &t1) == 0, "info");
	GT_EXPECT(t1.weight == 200 && t1.hbm_limit == 0 && t1.stats.evictions > 0, "B's entry");
	check_obj(sfd, &a);
	check_obj(sfd, &b);
	drop(&a);
	drop(&b);
	close(sfd);
	close(gfd);
}

/* The tenant kfuncs, read by a policy attached to the tenant's cgroup. */
GT_TEST(kfuncs_report_tenant)
{
	struct tenant a = { .name = "K", .seed = 0x4b };
	struct pol p;
	int gfd, sfd;

	setup(&gfd, &sfd);
	cg_make(&a);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	make_obj(&a, gfd, 10);
	pol_open(&p, "tenant_quota");
	*(uint64_t *)ops_member(&p, "cgroup_id") = a.cgid;
	pol_load(&p);
	GT_ASSERT(pol_attach(&p) == 0, "attach");
	tsweep(sfd, &a, 2);
	gt_log("seen %lld tenant %llu limit %lld max used %lld over %lld unknown %lld bad dev %lld",
	       (long long)pol_bss(&p, "seen"), (unsigned long long)pol_bss(&p, "last_tenant"),
	       (long long)pol_bss(&p, "last_limit"), (long long)pol_bss(&p, "max_used"),
	       (long long)pol_bss(&p, "over_limit"), (long long)pol_bss(&p, "unknown_ret"),
	       (long long)pol_bss(&p, "bad_dev_ret"));
	GT_EXPECT(pol_bss(&p, "seen") > 0, "no activations seen");
	GT_EXPECT((uint64_t)pol_bss(&p, "last_tenant") == a.cgid, "bpf_gmem_block_tenant");
	GT_EXPECT(pol_bss(&p, "last_limit") == LIMIT, "bpf_gmem_tenant_limit");
	GT_EXPECT(pol_bss(&p, "max_used") > 0 && pol_bss(&p, "max_used") <= LIMIT &&
		  pol_bss(&p, "over_limit") == 0, "bpf_gmem_tenant_used");
	GT_EXPECT(pol_bss(&p, "unknown_ret") == -ENOENT, "unknown tenant");
	GT_EXPECT(pol_bss(&p, "bad_dev_ret") == -ENODEV, "bad device");
	pol_close(&p);
	check_obj(sfd, &a);
	drop(&a);
	close(sfd);
	close(gfd);
}

static long live_tenants(void)
{
	char key[32];
	long val, n = -1;
	FILE *f = fopen(GMT_LIVE, "r");

	GT_ASSERT(f, "open %s", GMT_LIVE);
	while (fscanf(f, " %31[a-z_] %ld", key, &val) == 2)
		if (!strcmp(key, "tenants"))
			n = val;
	fclose(f);
	return n;
}

/* Read the root's (absent) entry: drops the entries of removed cgroups. */
static void tenant_gc(int gfd)
{
	struct gmem_tenant_info ti;

	GT_EXPECT(tenant_info(gfd, gmt_cg_id(GMT_CG_ROOT), &ti) == -ENOENT, "root has no entry");
}

GT_TEST(cgroup_removed_with_limit_and_policy)
{
	struct tenant a = { .name = "R", .seed = 0x9a };
	struct gmem_tenant_info ti;
	struct gmem_dev_info di;
	struct pol p;
	long base;
	int gfd, sfd, k;

	setup(&gfd, &sfd);
	tenant_gc(gfd);
	base = live_tenants();
	cg_make(&a);
	GT_ASSERT(tenant_set(gfd, a.cgid, LIMIT * BS, 0) == 0, "set limit");
	pol_open(&p, "tenant_count");
	*(uint64_t *)ops_member(&p, "cgroup_id") = a.cgid;
	pol_load(&p);
	GT_ASSERT(pol_attach(&p) == 0, "attach");
	make_obj(&a, gfd, 8);
	GT_EXPECT(live_tenants() == base + 1, "tenants %ld, base %ld", live_tenants(), base);
	GT_ASSERT(rmdir(a.dir) == 0, "rmdir %s: %s", a.dir, strerror(errno));
	a.dir[0] = 0;
	tenant_gc(gfd);
	/* The entry left the table; the object keeps its tenant and limit. */
	GT_EXPECT(tenant_info(gfd, a.cgid, &ti) == -ENOENT, "removed cgroup still listed");
	GT_EXPECT(live_tenants() == base + 1, "the object's tenant was freed early");
	for (k = 0; k < 3; k++) {
		tsweep(sfd, &a, 1);
		GT_ASSERT(gmt_dev_info(gfd, 0, &di) == 0, "dev info");
		GT_EXPECT(di.hbm_used_bytes <= LIMIT * BS, "device holds %llu of the removed tenant",
			  (unsigned long long)di.hbm_used_bytes);
	}
	check_obj(sfd, &a);
	pol_close(&p);
	munmap(a.mem, a.nr * BS);
	a.mem = NULL;
	for (k = 0; k < 100 && live_tenants() != base; k++)
		usleep(10000);		/* the last reference may go a little later */
	GT_EXPECT(live_tenants() == base, "tenant leaked: %ld, base %ld", live_tenants(), base);
	close(sfd);
	close(gfd);
}

GT_MAIN()
