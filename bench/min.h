/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Belady's MIN (the offline optimal replacement) over a block access trace.
 *
 * Model: a cache of @capacity blocks; every access to a block that is not
 * cached is a miss and brings the block in (a demand migration), evicting
 * one cached block when full. No bypass: MIN as Belady defined it for demand
 * paging, which is what a device fault does (the faulting block must become
 * resident). MIN evicts the block whose next use is farthest in the future
 * (never used again counts as infinitely far); no policy can miss less, and
 * prefetching does not change that bound for demand *transfers*: a prefetch
 * is a migration too.
 */
#ifndef GMEM_MIN_H
#define GMEM_MIN_H

#include <stddef.h>
#include <stdint.h>

struct min_result {
	uint64_t accesses;
	uint64_t distinct;	/* blocks touched at least once: the compulsory misses */
	uint64_t misses;	/* demand migrations in (compulsory included) */
	uint64_t evictions;	/* migrations out: misses that found the cache full */
};

/*
 * O(n log n) time, O(n) memory. Returns 0, -EINVAL for capacity 0, or
 * -ENOMEM. An empty trace gives all zeroes.
 */
int min_simulate(const uint64_t *keys, size_t n, uint64_t capacity, struct min_result *res);

/* LRU on the same model, for comparison (and as a test oracle bound). */
int lru_simulate(const uint64_t *keys, size_t n, uint64_t capacity, struct min_result *res);

#endif /* GMEM_MIN_H */
