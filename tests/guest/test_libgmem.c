// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of libgmempolicy's unified memory on the real /dev/gmem:
 * the allocator (arenas, alignment, large mappings, bad frees, threads),
 * the hint wrappers and the query wrappers, with data checked by content
 * after the devices have worked on it. Default module parameters (2 MiB
 * blocks, two simulated devices of 64 MiB).
 */
#include <pthread.h>
#include <stdint.h>

#include "gtest.h"
#include "gmem_test_util.h"
#include "gmempolicy.h"

#define MiB (1024UL * 1024)

static void *must_alloc(size_t size, size_t align)
{
	void *p = NULL;
	int err = gmem_alloc(size, align, &p);

	GT_ASSERT(!err, "gmem_alloc(%zu, %zu) = %d", size, align, err);
	GT_ASSERT(p, "NULL on success");
	return p;
}

GT_TEST(small_allocations_share_one_arena)
{
	struct gmem_heap_stats hs;
	uint32_t *p[500];
	size_t i, k;

	for (i = 0; i < 500; i++) {
		p[i] = must_alloc(64 + i * 8, 0);
		for (k = 0; k < (64 + i * 8) / 4; k++)
			p[i][k] = (uint32_t)(i * 1000003 + k);
	}
	gmem_heap_stats(&hs);
	GT_EXPECT(hs.arenas == 1, "arenas %u", hs.arenas);
	GT_EXPECT(hs.allocs == 500, "allocs %llu", (unsigned long long)hs.allocs);
	for (i = 0; i < 500; i++) {
		for (k = 0; k < (64 + i * 8) / 4; k++)
			GT_ASSERT(p[i][k] == (uint32_t)(i * 1000003 + k),
				  "allocation %zu word %zu overwritten", i, k);
		GT_ASSERT(gmem_free(p[i]) == 0, "free %zu", i);
	}
	gmem_heap_stats(&hs);
	GT_EXPECT(hs.allocs == 0 && hs.used_bytes == 0, "leftovers after freeing all");
}

GT_TEST(alignment_and_bad_requests)
{
	void *p = (void *)1;
	size_t a;

	for (a = 64; a <= 2 * MiB; a <<= 1) {
		void *q = must_alloc(100, a);

		GT_EXPECT(((uintptr_t)q & (a - 1)) == 0, "align %zu: %p", a, q);
	}
	GT_EXPECT(gmem_alloc(0, 0, &p) == -EINVAL, "size 0");
	GT_EXPECT(gmem_alloc(64, 96, &p) == -EINVAL, "align 96");
	GT_EXPECT(gmem_alloc(64, 4 * MiB, &p) == -EINVAL, "align above the block size");
	GT_EXPECT(gmem_alloc(64, 0, NULL) == -EINVAL, "NULL out");
	GT_EXPECT(p == (void *)1, "out written on error");
}

GT_TEST(bad_frees_change_nothing)
{
	struct gmem_heap_stats before, after;
	char *p = must_alloc(4096, 0);
	int local;

	gmem_heap_stats(&before);
	GT_EXPECT(gmem_free(&local) == -EINVAL, "stack pointer");
	GT_EXPECT(gmem_free(p + 64) == -EINVAL, "interior pointer");
	GT_EXPECT(gmem_free(NULL) == -EINVAL, "NULL");
	gmem_heap_stats(&after);
	GT_EXPECT(before.allocs == after.allocs && before.used_bytes == after.used_bytes,
		  "a bad free changed the heap");
	GT_EXPECT(gmem_alloc_size(p) == 4096, "size %ld", gmem_alloc_size(p));
	GT_ASSERT(gmem_free(p) == 0, "free");
	GT_EXPECT(gmem_free(p) == -EINVAL, "double free");
	GT_EXPECT(gmem_alloc_size(p) == -EINVAL, "size of a freed block");
}

GT_TEST(large_allocation_is_its_own_object)
{
	struct gmem_obj_info small_o, big_o;
	char *small = must_alloc(4096, 0), *big = must_alloc(40 * MiB, 0);
	uint32_t id;
	int err;

	GT_ASSERT(!gmem_obj_info_addr(small, &small_o), "small object");
	GT_ASSERT(!gmem_obj_info_addr(big, &big_o), "big object");
	GT_EXPECT(small_o.id != big_o.id, "the large allocation shares object %u", big_o.id);
	GT_EXPECT(big_o.start == (uintptr_t)big && big_o.size == 40 * MiB,
		  "object %#llx+%llu", (unsigned long long)big_o.start,
		  (unsigned long long)big_o.size);
	GT_EXPECT(small_o.size == 64 * MiB, "arena size %llu", (unsigned long long)small_o.size);
	GT_EXPECT(small_o.owner_pid == getpid(), "owner %d", small_o.owner_pid);
	id = big_o.id;
	GT_ASSERT(gmem_free(big) == 0, "free big");
	err = gmem_obj_info(id, &big_o);
	GT_EXPECT(err == -ENOENT, "object %u still there after free: %d", id, err);
	GT_EXPECT(gmem_obj_info_addr(big, &big_o) == -ENOENT, "address still mapped");
}

struct thr {
	int id;
	int err;
};

/* Each thread allocates, stamps, checks and frees; overlaps would show. */
static void *churn(void *arg)
{
	struct thr *t = arg;
	uint32_t *live[32] = { 0 };
	size_t sizes[32] = { 0 };
	unsigned int seed = 17 + t->id, i, k, n;

	for (n = 0; n < 2000 && !t->err; n++) {
		i = (seed = seed * 1103515245 + 12345) >> 16 & 31;
		if (live[i]) {
			for (k = 0; k < sizes[i] / 4; k += 61)
				if (live[i][k] != ((uint32_t)t->id << 24 | i << 16 | k))
					t->err = -EIO;
			t->err = t->err ? t->err : gmem_free(live[i]);
			live[i] = NULL;
			continue;
		}
		sizes[i] = 64 + (seed >> 4) % 20000;
		t->err = gmem_alloc(sizes[i], 0, (void **)&live[i]);
		for (k = 0; !t->err && k < sizes[i] / 4; k += 61)
			live[i][k] = (uint32_t)t->id << 24 | i << 16 | k;
	}
	for (i = 0; i < 32; i++)
		if (live[i] && gmem_free(live[i]) && !t->err)
			t->err = -EINVAL;
	return NULL;
}

GT_TEST(threads_allocate_concurrently)
{
	struct gmem_heap_stats hs;
	struct thr t[4];
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		t[i] = (struct thr){ .id = i + 1 };
		GT_ASSERT(!pthread_create(&th[i], NULL, churn, &t[i]), "thread %d", i);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		GT_EXPECT(!t[i].err, "thread %d: %d", i, t[i].err);
	}
	gmem_heap_stats(&hs);
	GT_EXPECT(hs.allocs == 0 && hs.used_bytes == 0, "leftovers: %llu allocs",
		  (unsigned long long)hs.allocs);
}

GT_TEST(hints_reach_the_object)
{
	struct gmem_obj_info o;
	uint32_t *p = must_alloc(4 * MiB, 2 * MiB);
	uint64_t sum = 0;
	int sfd, err;
	size_t i;

	/* The first allocation of the process starts its first arena: block 0. */
	GT_ASSERT(!gmem_tag_layer(p, 4 * MiB, 7), "tag");
	GT_ASSERT(!gmem_obj_info_addr(p, &o), "obj info");
	GT_EXPECT(o.tag == 7, "tag of block 0: %llu", (unsigned long long)o.tag);

	for (i = 0; i < MiB; i++)
		p[i] = (uint32_t)i;
	err = gmem_prefetch(p, 4 * MiB, 0);
	GT_ASSERT(!err, "prefetch: %d", err);
	GT_ASSERT(!gmem_obj_info_addr(p, &o), "obj info");
	GT_EXPECT(o.stats.resident_dev >= 2, "resident on device: %llu",
		  (unsigned long long)o.stats.resident_dev);

	sfd = gmt_sim_open(0);
	GT_ASSERT(sfd >= 0, "open sim0: %d", sfd);
	GT_ASSERT(!gmt_sim_reduce(sfd, p, 4 * MiB, &sum), "reduce");
	/* sum of 0..2^20-1, then zeros (untouched memory reads as zero). */
	GT_EXPECT(sum == (uint64_t)MiB * (MiB - 1) / 2, "device sum %llu",
		  (unsigned long long)sum);
	close(sfd);

	GT_EXPECT(gmem_advise(p, 4 * MiB, 99, 0, 0) == -EINVAL, "unknown advice");
	GT_EXPECT(gmem_prefetch(p, 4 * MiB, 7) != 0, "prefetch to a missing device");
	GT_EXPECT(gmem_advise(&sum, 8, GMEM_ADV_HOT, 0, 0) == -EINVAL, "not a gmem address");
	GT_EXPECT(gmem_advise(p, 0, GMEM_ADV_HOT, 0, 0) == -EINVAL, "empty range");
	GT_EXPECT(!gmem_advise(p, 4 * MiB, GMEM_ADV_DONTNEED, 0, 0), "dontneed");
	for (i = 0; i < MiB; i += 4099)
		GT_ASSERT(p[i] == (uint32_t)i, "word %zu lost across migrations", i);
}

/* A forked child has none of the parent's mappings, and a heap of its own. */
GT_TEST(fork_child_starts_with_an_empty_heap)
{
	uint32_t *parent = must_alloc(1024, 0);
	int status = -1;
	pid_t pid;

	parent[0] = 0xfeed;
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		struct gmem_heap_stats hs;
		uint32_t *mine = NULL;

		gmem_heap_stats(&hs);
		if (hs.allocs || hs.arenas)
			_exit(10);
		if (gmem_free(parent) != -EINVAL)
			_exit(11);	/* the parent's block is not the child's */
		if (gmem_alloc(1024, 0, (void **)&mine))
			_exit(12);
		mine[0] = 0xbeef;	/* mapped for real in the child */
		gmem_heap_stats(&hs);
		_exit(hs.allocs == 1 && hs.arenas == 1 && !gmem_free(mine) ? 0 : 13);
	}
	GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	GT_EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	GT_EXPECT(parent[0] == 0xfeed, "the parent's data changed");
	GT_EXPECT(gmem_free(parent) == 0, "the parent still owns its block");
}

GT_TEST(device_and_global_queries)
{
	struct gmem_dev_info d[GMEM_MAX_DEVICES];
	struct gmem_stats st;
	uint32_t ids[16];
	int n, i, nobj;
	void *p = must_alloc(64, 0);

	n = gmem_devices(d, GMEM_MAX_DEVICES);
	GT_ASSERT(n == 2, "devices: %d", n);
	for (i = 0; i < n; i++) {
		GT_EXPECT(d[i].id == (uint32_t)i, "id %u", d[i].id);
		GT_EXPECT(d[i].hbm_bytes == 64 * MiB, "hbm %llu", (unsigned long long)d[i].hbm_bytes);
	}
	GT_EXPECT(gmem_devices(d, 1) == 1, "capped at max");
	GT_EXPECT(gmem_dev_info(5, &d[0]) == -ENODEV, "no device 5");
	nobj = gmem_list_objects(ids, 16);
	GT_EXPECT(nobj >= 1, "objects: %d", nobj);
	GT_EXPECT(gmem_list_objects(NULL, 0) == nobj, "count without a buffer");
	GT_EXPECT(!gmem_global_stats(&st), "global stats");
	GT_EXPECT(gmem_obj_info(0, NULL) == -EINVAL, "id 0");
	(void)p;
}

GT_MAIN()
