// SPDX-License-Identifier: GPL-2.0
/*
 * test_bpf_lean: what lets a policy make its decisions with fewer hook
 * calls. It may read the core's LRU lists (gmem_lru_list()) instead of
 * keeping a copy of them through a hook call per arrival and per access,
 * and its fault hook may request the fault's prefetch itself
 * (GMEM_OPS_FAULT_PREFETCH) instead of a second call; that prefetch is
 * tested beside the prefetch hook's, in test_bpf's prefetch_reduces_faults.
 * The set-up is test_bpf's (gmem_bpf_test.h): 64 KiB blocks, one device
 * with 16 blocks of HBM, data checked by content.
 */
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"
#include "gmem_test_cgroup.h"

static uint64_t rejects(int gfd)
{
	struct gmem_policy_status st = status(gfd);
	uint64_t n = 0;
	int r;

	for (r = 0; r < GMEM_REJ_NR; r++)
		n += st.rejects[r];
	return n;
}

/* lru_walk's record of list @var (a u32 array in .bss) starts with @want[0..@n). */
static void expect_walk(struct pol *p, const char *var, const uint32_t *want, uint32_t n)
{
	struct bpf_map *map;
	uint32_t off, size, key = 0, i, *seen;
	unsigned char *buf;

	pol_find_var(p, ".bss", var, &map, &off, &size);
	GT_ASSERT(size >= n * sizeof(*seen), "%s: %u bytes", var, size);
	buf = calloc(1, bpf_map__value_size(map));
	GT_ASSERT(buf, "calloc");
	GT_ASSERT(bpf_map__lookup_elem(map, &key, sizeof(key), buf, bpf_map__value_size(map), 0) == 0,
		  "read .bss: %s", strerror(errno));
	seen = (uint32_t *)(buf + off);
	for (i = 0; i < n; i++)
		GT_EXPECT(seen[i] == want[i], "%s[%u]: block %u, expected %u", var, i, seen[i],
			  want[i]);
	free(buf);
}

/*
 * 18 blocks, HBM holds 16. Read 0..15 (16 faults), read 0..3 again (hits:
 * the tail of the list), hint block 7 COLD, then read 16: its fault must
 * evict, and lru_walk's evict hook sees COLD = [7] and NORMAL = [4..6,
 * 8..15, 0..3], the order the built-in policy evicts in. Its victim, the
 * head of COLD, leaves. The kfuncs that change lists refuse the core's
 * (-EPERM, no invalid decision counted), its length is not kept
 * (-EOPNOTSUPP), and the id of a list past the devices walks nothing.
 */
GT_TEST(lru_lists_readable)
{
	static const uint32_t normal[] = { 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3 };
	uint64_t rej0;
	struct env e;
	struct pol p;

	env_open(&e, 18);
	/* Exact orders access by access: the device faults one at a time. */
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
	pol_start(&p, "lru_walk");
	rej0 = rejects(e.gfd);
	GT_ASSERT(sweep(&e, 0, 16) == 16, "fill faults");
	GT_ASSERT(sweep(&e, 0, 4) == 0, "hits");
	GT_ASSERT(gmt_advise(e.gfd, e.mem + 7 * BS, BS, GMEM_ADV_COLD, 0, 0) == 0, "cold");
	GT_ASSERT(pol_bss(&p, "evict_calls") == 0, "evicted before HBM was full");
	GT_ASSERT(sweep(&e, 16, 17) == 1, "the evicting fault");
	gt_log("evict calls %lld, COLD %lld blocks, NORMAL %lld blocks",
	       (long long)pol_bss(&p, "evict_calls"), (long long)pol_bss(&p, "nr_cold"),
	       (long long)pol_bss(&p, "nr_normal"));
	GT_ASSERT(pol_bss(&p, "evict_calls") == 1, "evict calls");
	GT_EXPECT(pol_bss(&p, "nr_cold") == 1, "COLD list length %lld",
		  (long long)pol_bss(&p, "nr_cold"));
	expect_walk(&p, "cold", (const uint32_t[]){ 7 }, 1);
	GT_EXPECT(pol_bss(&p, "nr_normal") == 15, "NORMAL list length %lld",
		  (long long)pol_bss(&p, "nr_normal"));
	expect_walk(&p, "normal", normal, 15);
	GT_EXPECT(pol_bss(&p, "move_ret") == -EPERM && pol_bss(&p, "add_ret") == -EPERM,
		  "move %lld add %lld", (long long)pol_bss(&p, "move_ret"),
		  (long long)pol_bss(&p, "add_ret"));
	GT_EXPECT(pol_bss(&p, "len_ret") == -EOPNOTSUPP, "len %lld",
		  (long long)pol_bss(&p, "len_ret"));
	GT_EXPECT(pol_bss(&p, "no_dev_first") == 0, "a list of no device walked");
	GT_EXPECT(rejects(e.gfd) == rej0, "invalid decisions counted");
	GT_EXPECT(sweep(&e, 7, 8) == 1 && sweep(&e, 4, 5) == 1, "7 evicted, then 4");
	GT_EXPECT(status(e.gfd).fallbacks == 0, "the built-in policy completed an eviction");
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/* Our object of @nr blocks, created in cgroup @dir, on @e's device. */
static void env_in_cgroup(struct env *o, const struct env *e, size_t nr, const char *dir)
{
	*o = *e;
	o->nr_blocks = nr;
	gmt_cg_enter(dir);
	o->mem = gmt_map(e->gfd, nr * BS);
	gmt_cg_enter(NULL);
	GT_ASSERT(o->mem, "mmap: %s", strerror(errno));
	gmt_fill_pat((uint32_t *)o->mem, nr * BS / 4, SEED);
}

/* Check both objects' data, detach, unmap ours, close @e, remove @dir. */
static void cgroup_run_close(struct env *e, struct env *o, struct pol *p, const char *dir)
{
	check_data(o);
	check_data(e);
	pol_stop(p);
	GT_ASSERT(munmap(o->mem, o->nr_blocks * BS) == 0, "munmap");
	env_close(e);
	GT_EXPECT(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
}

/* lru_walk attached to cgroup @cgid. */
static void lru_walk_for(struct pol *p, uint64_t cgid)
{
	int err;

	pol_open(p, "lru_walk");
	*(uint64_t *)ops_member(p, "cgroup_id") = cgid;
	pol_load(p);
	err = pol_attach(p);
	GT_ASSERT(!err, "attach: %s", strerror(-err));
}

/*
 * A policy attached to a cgroup walks only its tenant's blocks. Another
 * object, created outside the cgroup, holds the first 12 blocks of HBM,
 * ours the last 4; then our fault evicts and the policy's walk of NORMAL
 * shows our 4 blocks alone (16 without the filter).
 */
GT_TEST(lru_walk_sees_own_tenant_only)
{
	static const uint32_t ours_order[] = { 0, 1, 2, 3 };
	char dir[96];
	uint64_t cgid;
	struct env e, o;
	struct pol p;

	env_open(&e, 12);
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
	cgid = gmt_cg_make(dir, sizeof(dir), "lru");
	env_in_cgroup(&o, &e, 8, dir);
	lru_walk_for(&p, cgid);
	GT_ASSERT(sweep(&e, 0, 12) == 12, "the other object's faults");
	GT_ASSERT(sweep(&o, 0, 4) == 4, "our faults");
	GT_ASSERT(pol_bss(&p, "evict_calls") == 0, "evicted before HBM was full");
	GT_ASSERT(sweep(&o, 4, 5) == 1, "our evicting fault");
	gt_log("evict calls %lld, NORMAL %lld blocks", (long long)pol_bss(&p, "evict_calls"),
	       (long long)pol_bss(&p, "nr_normal"));
	GT_ASSERT(pol_bss(&p, "evict_calls") == 1, "evict calls");
	GT_EXPECT(pol_bss(&p, "nr_normal") == 4, "NORMAL list length %lld",
		  (long long)pol_bss(&p, "nr_normal"));
	expect_walk(&p, "normal", ours_order, 4);
	cgroup_run_close(&e, &o, &p, dir);
}

/*
 * One walker call passes over at most 64 blocks the policy does not decide
 * for, so that it holds the device lock for a bounded time. HBM of 128
 * blocks: another object's 100 at the head of NORMAL, then our 28; our
 * next fault evicts, and the cgroup policy's walk ends at once (list_first
 * finds none of ours among the first 64). The built-in policy picks the
 * victim, counted as a fallback. Unbounded, the walk showed our 28.
 */
GT_TEST(lru_walk_skips_boundedly)
{
	uint64_t cgid, fallbacks;
	char dir[96];
	struct env e, o;
	struct pol p;

	env_open_sized(&e, 100, -1, 8);
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
	cgid = gmt_cg_make(dir, sizeof(dir), "lru-skip");
	env_in_cgroup(&o, &e, 29, dir);
	lru_walk_for(&p, cgid);
	GT_ASSERT(sweep(&e, 0, 64) == 64 && sweep(&e, 64, 100) == 36, "the other object's faults");
	GT_ASSERT(sweep(&o, 0, 28) == 28, "our faults");
	GT_ASSERT(pol_bss(&p, "evict_calls") == 0, "evicted before HBM was full");
	fallbacks = status(e.gfd).fallbacks;
	GT_ASSERT(sweep(&o, 28, 29) == 1, "our evicting fault");
	gt_log("evict calls %lld, NORMAL %lld blocks, fallbacks %llu",
	       (long long)pol_bss(&p, "evict_calls"), (long long)pol_bss(&p, "nr_normal"),
	       (unsigned long long)(status(e.gfd).fallbacks - fallbacks));
	GT_ASSERT(pol_bss(&p, "evict_calls") == 1, "evict calls");
	GT_EXPECT(pol_bss(&p, "nr_normal") == 0, "NORMAL walk showed %lld blocks",
		  (long long)pol_bss(&p, "nr_normal"));
	GT_EXPECT(status(e.gfd).fallbacks == fallbacks + 1, "fallbacks %llu",
		  (unsigned long long)(status(e.gfd).fallbacks - fallbacks));
	cgroup_run_close(&e, &o, &p, dir);
}

/*
 * GMEM_OPS_FAULT_PREFETCH needs a fault hook and no prefetch hook; flags
 * the kernel does not know fail the attach too. Each refusal is EINVAL
 * and leaves the built-in policy in charge.
 */
GT_TEST(fault_prefetch_flag_checked)
{
	static const struct { const char *pol; uint64_t flags; int err; } runs[] = {
		{ "prefetch_ahead", 1, -EINVAL },	/* has a prefetch hook */
		{ "example_fifo", 1, -EINVAL },		/* has no fault hook */
		{ "fault_prefetch", 2, -EINVAL },	/* unknown flag */
		{ "fault_prefetch", 1, 0 },
	};
	unsigned int r;
	struct env e;

	env_open(&e, 1);
	for (r = 0; r < 4; r++) {
		struct pol p;
		int err;

		pol_open(&p, runs[r].pol);
		*(uint64_t *)ops_member(&p, "flags") = runs[r].flags;
		pol_load(&p);
		err = pol_attach(&p);
		GT_EXPECT(err == runs[r].err, "%s flags %llu: attach %d", runs[r].pol,
			  (unsigned long long)runs[r].flags, err);
		GT_EXPECT(!strcmp(status(e.gfd).name, err ? "builtin" : "fault_prefetch"),
			  "status %s", status(e.gfd).name);
		pol_close(&p);
	}
	env_close(&e);
}

GT_MAIN()
