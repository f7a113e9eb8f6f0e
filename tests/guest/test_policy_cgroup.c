// SPDX-License-Identifier: GPL-2.0
/*
 * test_policy_cgroup: policies per cgroup (kernel/gm_bpf_attach.c).
 *
 * Two cgroup v2 directories, A and B, each with its own copy of the
 * tenant_count policy attached, and a third copy attached system-wide. One
 * object is created from each cgroup and one from the root cgroup (an
 * object's tenant is its creator's cgroup at mmap time), and all three are
 * swept through one device whose HBM holds less than half of them, so
 * every fault needs room another tenant's blocks hold. The policies' maps
 * then show that each object's hooks went to its own tenant's policy and
 * that every victim a policy nominated was its own (the built-in LRU took
 * the rest). Detaching A's policy leaves B's attached and sends A's object
 * to the system-wide policy; a cgroup removed while its policy is attached
 * keeps its objects' policy until detach. Content is checked throughout.
 */
#include <sys/stat.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"
#include "gmem_test_cgroup.h"
#include "gmempolicy.h"

#define OBJ_BLOCKS	12		/* three objects: 36 blocks over 16 of HBM */

struct tenant {
	const char *name;
	char dir[96];			/* "" for the root cgroup */
	uint64_t cgid;
	uint8_t *mem;
	uint32_t obj, seed;
	struct pol pol;			/* its policy (unused for the root) */
};

static void cg_make(struct tenant *t)
{
	uint64_t id;

	t->cgid = gmt_cg_make(t->dir, sizeof(t->dir), t->name);
	/* The library's lookup agrees with the directory's inode number. */
	GT_ASSERT(gmem_cgroup_id(t->dir, &id) == 0 && id == t->cgid, "cgroup id of %s", t->dir);
}

/* The object of @t, created from inside its cgroup. */
static void make_obj(struct tenant *t, int gfd)
{
	struct gmem_obj_info oi;

	gmt_cg_enter(t->dir);
	t->mem = gmt_map(gfd, OBJ_BLOCKS * BS);
	GT_ASSERT(t->mem, "mmap");
	gmt_fill_pat((uint32_t *)t->mem, OBJ_BLOCKS * BS / 4, t->seed);
	GT_ASSERT(gmt_obj_info(gfd, t->mem, &oi) == 0, "obj info");
	t->obj = oi.id;
	gmt_cg_enter(NULL);
}

/* Policy copy for @t: attached to its cgroup (cgid 0: system-wide). */
static void pol_for(struct tenant *t, uint64_t cgid)
{
	int err;

	pol_open(&t->pol, "tenant_count");
	*(uint64_t *)ops_member(&t->pol, "cgroup_id") = cgid;
	pol_load(&t->pol);
	err = pol_attach(&t->pol);
	GT_ASSERT(!err, "attach for %s: %s", t->name, strerror(-err));
}

/* One device read of every block of each tenant, interleaved. */
static void tsweep(int sfd, struct tenant *ts, int n)
{
	struct gmem_sim_access recs[OBJ_BLOCKS];
	int b, i;

	for (i = 0; i < n; i++) {
		for (b = 0; b < OBJ_BLOCKS; b++)
			recs[b] = (struct gmem_sim_access){
				.addr = (uintptr_t)(ts[i].mem + b * BS), .len = 4,
			};
		GT_ASSERT(gmt_sim_run(sfd, GMEM_SIM_TRACE, recs, NULL, OBJ_BLOCKS, 0, NULL) == 0,
			  "trace of %s", ts[i].name);
	}
}

/*
 * Sweep the others, then @t: 24 blocks through 16 of HBM leave none of @t's
 * resident (check_obj()'s CPU reads may have emptied HBM), so @t's sweep
 * faults every block and, HBM being full of the others', evicts for each.
 */
static void sweep_last(int sfd, struct tenant *ts, int t)
{
	int i;

	for (i = 0; i < 3; i++)
		if (i != t)
			tsweep(sfd, &ts[i], 1);
	tsweep(sfd, &ts[t], 1);
}

static void check_obj(int sfd, struct tenant *t)
{
	size_t words = OBJ_BLOCKS * BS / 4;
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

/* @p's count for object @obj in map @map (0 if absent). */
static uint64_t map_count(struct pol *p, const char *map, uint32_t obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(p->obj, map);
	uint64_t v = 0;

	GT_ASSERT(m, "no map %s", map);
	if (bpf_map__lookup_elem(m, &obj, sizeof(obj), &v, sizeof(v), 0))
		return 0;
	return v;
}

/* Every key of @p's map @map is @obj (or the map is empty when @obj is 0). */
static bool map_only(struct pol *p, const char *map, uint32_t obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(p->obj, map);
	uint32_t key, next;
	void *prev = NULL;
	bool only = true;

	GT_ASSERT(m, "no map %s", map);
	while (!bpf_map__get_next_key(m, prev, &next, sizeof(next))) {
		if (next != obj) {
			gt_log("map %s holds object %u, expected only %u", map, next, obj);
			only = false;
		}
		key = next;
		prev = &key;
	}
	return only;
}

static uint64_t obj_faults(int gfd, struct tenant *t)
{
	struct gmem_obj_info oi;

	GT_ASSERT(gmt_obj_info(gfd, t->mem, &oi) == 0, "obj info");
	return oi.stats.dev_faults;
}

static int nr_attachments(uint64_t *cgids, int cap)
{
	struct gmem_policy_attach a[8];
	int n = gmem_policy_list(a, 8), i;

	GT_ASSERT(n >= 0 && n <= 8, "policy list: %d", n);
	for (i = 0; i < n && i < cap; i++)
		cgids[i] = a[i].active ? a[i].cgroup_id : ~0ULL;
	return n;
}

static bool has_cgid(const uint64_t *c, int n, uint64_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i] == id)
			return true;
	return false;
}

GT_TEST(two_cgroups_two_policies_and_system_wide)
{
	struct tenant ts[3] = {
		{ .name = "A", .seed = 0xa1 }, { .name = "B", .seed = 0xb2 },
		{ .name = "root", .seed = 0xc3 },
	};
	struct tenant *a = &ts[0], *b = &ts[1], *r = &ts[2];
	uint64_t cg[8], f0;
	int gfd, sfd, n, i;

	GT_ASSERT(gmt_setup(BS, 1, 1) == 0, "module reload");
	params(64, 1000, 0);
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open devices");
	cg_make(a);
	cg_make(b);
	for (i = 0; i < 3; i++)
		make_obj(&ts[i], gfd);
	pol_for(a, a->cgid);
	pol_for(b, b->cgid);
	pol_for(r, 0);
	n = nr_attachments(cg, 8);
	GT_EXPECT(n == 3 && has_cgid(cg, n, a->cgid) && has_cgid(cg, n, b->cgid) &&
		  has_cgid(cg, n, 0), "%d attachments listed", n);

	tsweep(sfd, ts, 3);
	tsweep(sfd, ts, 3);
	for (i = 0; i < 3; i++) {
		GT_EXPECT(map_count(&ts[i].pol, "tenant_objs", ts[i].obj) > 0,
			  "%s's policy got no hook for its object", ts[i].name);
		GT_EXPECT(map_only(&ts[i].pol, "tenant_objs", ts[i].obj),
			  "%s's policy was called for another tenant's object", ts[i].name);
		GT_EXPECT(map_only(&ts[i].pol, "tenant_victims", ts[i].obj),
			  "%s's policy nominated another tenant's block", ts[i].name);
		GT_EXPECT(pol_bss(&ts[i].pol, "refused") == 0, "%s: %lld nominations refused",
			  ts[i].name, (long long)pol_bss(&ts[i].pol, "refused"));
		gt_log("%s: faults %lld activations %lld nominated %lld", ts[i].name,
		       (long long)pol_bss(&ts[i].pol, "faults"),
		       (long long)pol_bss(&ts[i].pol, "activations"),
		       (long long)pol_bss(&ts[i].pol, "nominated"));
		GT_EXPECT(pol_bss(&ts[i].pol, "nominated") > 0, "%s's evict hook nominated nothing",
			  ts[i].name);
		check_obj(sfd, &ts[i]);
	}

	/*
	 * A's policy tries to nominate a resident block of B (B's and the
	 * root's sweeps come just before A's): the kernel does not know it
	 * for A, where it would otherwise be a valid victim.
	 */
	pol_set_bss(&a->pol, "foreign_obj", b->obj);
	tsweep(sfd, &ts[1], 2);
	f0 = obj_faults(gfd, a);
	tsweep(sfd, ts, 1);
	gt_log("A's sweep: %llu device faults", (unsigned long long)(obj_faults(gfd, a) - f0));
	GT_EXPECT(pol_bss(&a->pol, "foreign_tries") > 0, "A's evict hook did not run");
	GT_EXPECT(pol_bss(&a->pol, "foreign_ret") == -ENOENT,
		  "A's policy nominated B's block: %lld", (long long)pol_bss(&a->pol, "foreign_ret"));
	pol_set_bss(&a->pol, "foreign_obj", 0);
	check_obj(sfd, b);

	/* Detach A's policy: B's stays; A's object goes to the system-wide one. */
	pol_detach(&a->pol);
	n = nr_attachments(cg, 8);
	GT_EXPECT(n == 2 && !has_cgid(cg, n, a->cgid) && has_cgid(cg, n, b->cgid),
		  "%d attachments after detaching A's", n);
	sweep_last(sfd, ts, 0);
	GT_EXPECT(map_count(&r->pol, "tenant_objs", a->obj) > 0,
		  "A's object did not fall back to the system-wide policy");
	GT_EXPECT(map_only(&b->pol, "tenant_objs", b->obj), "B's policy saw another object");
	for (i = 0; i < 3; i++)
		check_obj(sfd, &ts[i]);

	/* B's cgroup goes away while its policy is attached: its object keeps it. */
	GT_ASSERT(rmdir(b->dir) == 0, "rmdir %s: %s", b->dir, strerror(errno));
	i = map_count(&b->pol, "tenant_objs", b->obj);
	sweep_last(sfd, ts, 1);
	GT_EXPECT(map_count(&b->pol, "tenant_objs", b->obj) > (uint64_t)i,
		  "B's object lost its policy when the cgroup was removed");
	check_obj(sfd, b);
	pol_detach(&b->pol);
	pol_detach(&r->pol);
	GT_EXPECT(gmem_policy_list(NULL, 0) == 0, "attachments left");
	for (i = 0; i < 3; i++) {
		check_obj(sfd, &ts[i]);
		munmap(ts[i].mem, OBJ_BLOCKS * BS);
		bpf_object__close(ts[i].pol.obj);
	}
	rmdir(a->dir);
	close(sfd);
	close(gfd);
}

/* The library's attach point, and its bad input. */
GT_TEST(library_cgroup_attach)
{
	struct gmem_policy_attach at[4];
	struct gmem_policy_status st;
	struct gmem_policy *p, *q;
	struct tenant t = { .name = "lib" };
	int gfd, n;

	GT_ASSERT(gmt_setup(BS, 1, 1) == 0, "module reload");
	gfd = gmt_open_gmem();
	cg_make(&t);
	GT_ASSERT(gmem_policy_open(BPF_DIR "/tenant_count.bpf.o", &p) == 0, "open");
	GT_EXPECT(gmem_policy_set_cgroup(p, "/no/such/dir") == -ENOENT, "missing dir");
	GT_EXPECT(gmem_policy_set_cgroup(p, "/tmp") == -EINVAL, "not a cgroup");
	GT_EXPECT(gmem_policy_set_cgroup(p, GMT_CG_ROOT "/cgroup.procs") == -ENOTDIR, "a file");
	GT_ASSERT(gmem_policy_set_cgroup(p, t.dir) == 0, "set cgroup");
	GT_EXPECT(gmem_policy_cgroup(p) == t.cgid, "cgroup id");
	GT_ASSERT(gmem_policy_load(p) == 0, "load");
	GT_EXPECT(gmem_policy_set_cgroup(p, NULL) == -EALREADY, "after load");
	GT_ASSERT(gmem_policy_attach(p) == 0, "attach");
	/* A second policy on the same cgroup is refused; system-wide is free. */
	GT_ASSERT(gmem_policy_open(BPF_DIR "/tenant_count.bpf.o", &q) == 0, "open");
	GT_ASSERT(gmem_policy_set_cgroup(q, t.dir) == 0 && gmem_policy_load(q) == 0, "load q");
	GT_EXPECT(gmem_policy_attach(q) == -EBUSY, "second attach to one cgroup");
	n = gmem_policy_list(at, 4);
	GT_EXPECT(n == 1 && at[0].cgroup_id == t.cgid && at[0].active &&
		  !strcmp(at[0].name, "tenant_count"), "list: %d", n);
	GT_EXPECT(gmem_policy_status(&st) == 0 && !st.active,
		  "a cgroup policy is not the system-wide one");
	gmem_policy_close(q);
	gmem_policy_close(p);
	GT_EXPECT(gmem_policy_list(NULL, 0) == 0, "attachments left");
	rmdir(t.dir);
	close(gfd);
}

GT_MAIN()
