// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Unified memory for applications: gmem_alloc()/gmem_free() over /dev/gmem
 * mappings, and the hint wrappers.
 *
 * Locking: mem_lock serializes the process-wide heap (heap.c has no locking
 * of its own); mapping and unmapping happen under it, so a new arena is
 * mapped once even when several threads run out of room together. dev.c's
 * dev_lock nests inside it. The hint wrappers take no lock: the kernel
 * validates the range against the caller's mappings.
 *
 * fork(): /dev/gmem mappings are VM_DONTCOPY, so a child has none of the
 * parent's arenas. The atfork handlers hold mem_lock across the fork (the
 * heap is consistent in the child) and the child then forgets the heap and
 * starts a new one on its first allocation.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap.h"
#include "internal.h"

#define GMEM_ARENA_SIZE		(64UL << 20)
/* Largest gmem block (module parameter block_size is 4 KiB..2 MiB). */
#define GMEM_MAX_BLOCK		(2UL << 20)

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gm_heap heap;
static bool heap_ready;

/*
 * Map @len bytes of /dev/gmem at an @align-aligned address: reserve a larger
 * PROT_NONE range, put the device mapping over its aligned part, and trim
 * the rest. Block alignment lets one allocation start a block, so hints on it
 * do not spill onto a neighbour's block.
 */
static void *gmem_map(void *priv, size_t len, size_t align)
{
	uintptr_t res, at;
	void *r, *p;
	int fd = gm_dev_fd(), err;

	(void)priv;
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	r = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	res = (uintptr_t)r;
	at = (res + align - 1) & ~(uintptr_t)(align - 1);
	p = mmap((void *)at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		munmap(r, len + align);
		errno = err;
		return NULL;
	}
	if (at > res)
		munmap(r, at - res);
	if (res + len + align > at + len)
		munmap((void *)(at + len), res + len + align - (at + len));
	return p;
}

static void gmem_unmap(void *priv, void *base, size_t len)
{
	(void)priv;
	munmap(base, len);
}

static void mem_fork_prepare(void)
{
	pthread_mutex_lock(&mem_lock);
}

static void mem_fork_parent(void)
{
	pthread_mutex_unlock(&mem_lock);
}

static void mem_fork_child(void)
{
	if (heap_ready)
		gm_heap_forget(&heap);
	heap_ready = false;
	pthread_mutex_unlock(&mem_lock);
}

static int heap_get(void)
{
	static const struct gm_heap_mapper mapper = { gmem_map, gmem_unmap, NULL };
	static const struct gm_heap_cfg cfg = {
		.arena_size = GMEM_ARENA_SIZE,
		.max_align = GMEM_MAX_BLOCK,
		.large_min = GMEM_ARENA_SIZE / 2,
	};

	static bool atfork_done;
	int err;

	if (heap_ready)
		return 0;
	if (!atfork_done) {
		err = pthread_atfork(mem_fork_prepare, mem_fork_parent, mem_fork_child);
		if (err)
			return -err;
		atfork_done = true;
	}
	err = gm_heap_init(&heap, &mapper, &cfg);
	if (!err)
		heap_ready = true;
	return err;
}

int gmem_alloc(size_t size, size_t align, void **out)
{
	int err;

	if (!out)
		return -EINVAL;
	pthread_mutex_lock(&mem_lock);
	err = heap_get();
	if (!err)
		err = gm_heap_alloc(&heap, size, align, out);
	pthread_mutex_unlock(&mem_lock);
	return err;
}

int gmem_free(void *ptr)
{
	int err = -EINVAL;

	pthread_mutex_lock(&mem_lock);
	if (heap_ready)
		err = gm_heap_free(&heap, ptr);
	pthread_mutex_unlock(&mem_lock);
	return err;
}

long gmem_alloc_size(const void *ptr)
{
	size_t n = 0;

	pthread_mutex_lock(&mem_lock);
	if (heap_ready)
		n = gm_heap_size(&heap, ptr);
	pthread_mutex_unlock(&mem_lock);
	return n ? (long)n : -EINVAL;
}

void gmem_heap_stats(struct gmem_heap_stats *out)
{
	pthread_mutex_lock(&mem_lock);
	out->mapped_bytes = heap.mapped;
	out->used_bytes = heap.used;
	out->arenas = heap.nr_arenas;
	out->large = heap.nr_large;
	out->allocs = heap.nr_recs;
	pthread_mutex_unlock(&mem_lock);
}

int gmem_advise(const void *ptr, size_t len, uint32_t advice, uint32_t dev, uint64_t value)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)ptr & ~(page - 1);
	uintptr_t end = (uintptr_t)ptr + len;
	struct gmem_advise adv;

	if (!ptr || !len || end < (uintptr_t)ptr || end > UINTPTR_MAX - page)
		return -EINVAL;
	end = (end + page - 1) & ~(page - 1);
	memset(&adv, 0, sizeof(adv));
	adv.addr = start;
	adv.len = end - start;
	adv.advice = advice;
	adv.dev = dev;
	adv.value = value;
	return gm_dev_ioctl(GMEM_IOC_ADVISE, &adv);
}

int gmem_prefetch(const void *ptr, size_t len, uint32_t dev)
{
	return gmem_advise(ptr, len, GMEM_ADV_WILLNEED, dev, 0);
}

int gmem_tag_layer(const void *ptr, size_t len, uint64_t layer_id)
{
	return gmem_advise(ptr, len, GMEM_ADV_TAG, 0, layer_id);
}
