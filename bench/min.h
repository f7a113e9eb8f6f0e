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
 *
 * Write-backs. The core drops a block it evicts unless the device wrote it
 * while it was resident (its host copy is valid otherwise), so a policy's
 * migrations are its blocks in plus its DIRTY write-backs out. The simulators
 * track the same thing: a block is clean when it is brought in and dirty once
 * an access writes it; an eviction of a dirty block counts in
 * dirty_evictions (a write-back), every eviction in evictions.
 *
 * What min_moved() is, exactly: Belady's miss-optimal schedule, with its
 * evictions priced as write-backs only when the victim is dirty. Belady's
 * MIN minimises misses, not misses + write-backs, and it picks its victim by
 * next use alone (only among blocks never used again, all equally far, does
 * it take a clean one first, which costs no miss), so:
 *  - misses is a true lower bound on any policy's blocks in (h2d);
 *  - misses + dirty_evictions is NOT a lower bound on blocks in + out. With 2
 *    slots, A(write) B C B A: MIN evicts dirty A for C (A's next use is the
 *    farthest): 4 misses + 1 write-back; evicting clean B instead also gives
 *    4 misses but no write-back. A policy can therefore land slightly under
 *    1.0x on the ratio; the total's true optimum (a harder problem) lies
 *    between misses and min_moved().
 * It is still the honest reference for "migrated / MIN": it charges MIN
 * exactly what the core charges a policy, where pricing every eviction as a
 * write-back (the old denominator) made every policy look better than it is.
 */
#ifndef GMEM_MIN_H
#define GMEM_MIN_H

#include <stddef.h>
#include <stdint.h>

struct min_result {
	uint64_t accesses;
	uint64_t distinct;	/* blocks touched at least once: the compulsory misses */
	uint64_t misses;	/* demand migrations in (compulsory included) */
	uint64_t evictions;	/* misses that found the cache full: a victim left */
	uint64_t dirty_evictions; /* victims written while cached: write-backs out */
};

/*
 * @writes[i] is nonzero when access i writes its block; NULL means every
 * access writes (every eviction is a write-back: the pricing of a caller that
 * cannot tell). O(n log n) time, O(n) memory. Returns 0, -EINVAL for
 * capacity 0, or -ENOMEM. An empty trace gives all zeroes.
 */
int min_simulate(const uint64_t *keys, const uint8_t *writes, size_t n, uint64_t capacity,
		 struct min_result *res);

/* LRU on the same model, for comparison (and as a test oracle bound). */
int lru_simulate(const uint64_t *keys, const uint8_t *writes, size_t n, uint64_t capacity,
		 struct min_result *res);

/* The blocks the schedule moves: misses in + dirty write-backs out. */
uint64_t min_moved(const struct min_result *res);

#endif /* GMEM_MIN_H */
