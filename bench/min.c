// SPDX-License-Identifier: GPL-2.0
/*
 * min.c: Belady's MIN and LRU over a block trace, O(n log n).
 *
 * Both are one replacement loop over a max-heap of cached blocks keyed by
 * a priority (MIN: position of the next use; LRU: the inverse of the last
 * use), with lazy deletion: a heap entry is current only while its block is
 * cached and its priority is still the block's latest, so an access pushes a
 * fresh entry instead of searching the heap for the old one. The heap holds
 * at most one entry per access, so memory is O(n).
 *
 * A cached block is dirty once an access writes it and clean again when it
 * is brought back in; evicting a dirty block is a write-back (min.h).
 *
 * Next-use positions come from sorting (key, position) pairs: equal keys
 * become adjacent in position order, which also gives every key a dense id.
 *
 * No locking: pure functions over caller-owned arrays.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "min.h"

struct key_pos {
	uint64_t key;
	uint64_t pos;
};

struct heap_ent {
	uint64_t prio;
	uint32_t id;
};

struct sim {
	size_t n;
	uint32_t *ids;		/* dense block id of each access */
	uint64_t *next;		/* position of the next access of the same block, n if none */
	uint32_t nr_ids;
	bool *cached;
	bool *dirty;		/* written since it was last brought in */
	uint64_t *cur_prio;	/* the block's current priority (for lazy deletion) */
	struct heap_ent *heap;
	size_t heap_len;
};

static int cmp_key_pos(const void *a, const void *b)
{
	const struct key_pos *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Dense ids and next-use positions for every access. */
static int sim_index(struct sim *s, const uint64_t *keys)
{
	struct key_pos *kp;
	size_t i;
	uint32_t id = 0;

	kp = malloc(s->n * sizeof(*kp));
	if (!kp)
		return -ENOMEM;
	for (i = 0; i < s->n; i++)
		kp[i] = (struct key_pos){ keys[i], i };
	qsort(kp, s->n, sizeof(*kp), cmp_key_pos);
	for (i = 0; i < s->n; i++) {
		bool last = i + 1 == s->n || kp[i + 1].key != kp[i].key;

		s->ids[kp[i].pos] = id;
		s->next[kp[i].pos] = last ? s->n : kp[i + 1].pos;
		if (last)
			id++;
	}
	s->nr_ids = id;
	free(kp);
	return 0;
}

static void heap_push(struct sim *s, uint64_t prio, uint32_t id)
{
	size_t i = s->heap_len++;

	while (i) {
		size_t parent = (i - 1) / 2;

		if (s->heap[parent].prio >= prio)
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = (struct heap_ent){ prio, id };
}

static struct heap_ent heap_pop(struct sim *s)
{
	struct heap_ent top = s->heap[0], last = s->heap[--s->heap_len];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->heap_len)
			break;
		if (c + 1 < s->heap_len && s->heap[c + 1].prio > s->heap[c].prio)
			c++;
		if (s->heap[c].prio <= last.prio)
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->heap_len)
		s->heap[i] = last;
	return top;
}

/* Pop until a current entry: that block is the victim. */
static uint32_t pop_victim(struct sim *s)
{
	for (;;) {
		struct heap_ent e = heap_pop(s);

		if (s->cached[e.id] && s->cur_prio[e.id] == e.prio)
			return e.id;
	}
}

static void sim_free(struct sim *s)
{
	free(s->ids);
	free(s->next);
	free(s->cached);
	free(s->dirty);
	free(s->cur_prio);
	free(s->heap);
}

static int sim_alloc(struct sim *s, const uint64_t *keys, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->ids = malloc(n * sizeof(*s->ids));
	s->next = malloc(n * sizeof(*s->next));
	s->cached = calloc(n, sizeof(*s->cached));
	s->dirty = calloc(n, sizeof(*s->dirty));
	s->cur_prio = calloc(n, sizeof(*s->cur_prio));
	s->heap = malloc(n * sizeof(*s->heap));
	if (!s->ids || !s->next || !s->cached || !s->dirty || !s->cur_prio || !s->heap) {
		sim_free(s);
		return -ENOMEM;
	}
	if (sim_index(s, keys)) {
		sim_free(s);
		return -ENOMEM;
	}
	return 0;
}

enum sim_kind { SIM_MIN, SIM_LRU };

/*
 * MIN evicts the farthest next use; LRU the oldest last use. Blocks never
 * used again tie at "infinitely far" (n); any of them is a miss-optimal
 * victim, so MIN takes a clean one (n + 1) before a dirty one: the schedule
 * keeps its misses and writes back no more than it must among them.
 */
static uint64_t prio_of(const struct sim *s, enum sim_kind kind, size_t pos, bool dirty)
{
	if (kind == SIM_LRU)
		return UINT64_MAX - pos;
	return s->next[pos] == s->n && !dirty ? s->n + 1 : s->next[pos];
}

/* The victim leaves the cache: a write-back if the device wrote it while cached. */
static void evict(struct sim *s, struct min_result *res)
{
	uint32_t victim = pop_victim(s);

	s->cached[victim] = false;
	res->evictions++;
	if (s->dirty[victim])
		res->dirty_evictions++;
}

static int simulate(const uint64_t *keys, const uint8_t *writes, size_t n, uint64_t capacity,
		    enum sim_kind kind, struct min_result *res)
{
	uint64_t resident = 0;
	struct sim s;
	size_t i;
	int err;

	memset(res, 0, sizeof(*res));
	if (!capacity)
		return -EINVAL;
	if (!n)
		return 0;
	err = sim_alloc(&s, keys, n);
	if (err)
		return err;
	res->accesses = n;
	res->distinct = s.nr_ids;
	for (i = 0; i < n; i++) {
		uint32_t id = s.ids[i];

		if (!s.cached[id]) {
			res->misses++;
			if (resident == capacity) {
				evict(&s, res);
				resident--;
			}
			s.cached[id] = true;
			s.dirty[id] = false;	/* its host copy is valid again */
			resident++;
		}
		if (!writes || writes[i])
			s.dirty[id] = true;
		s.cur_prio[id] = prio_of(&s, kind, i, s.dirty[id]);
		heap_push(&s, s.cur_prio[id], id);
	}
	sim_free(&s);
	return 0;
}

int min_simulate(const uint64_t *keys, const uint8_t *writes, size_t n, uint64_t capacity,
		 struct min_result *res)
{
	return simulate(keys, writes, n, capacity, SIM_MIN, res);
}

int lru_simulate(const uint64_t *keys, const uint8_t *writes, size_t n, uint64_t capacity,
		 struct min_result *res)
{
	return simulate(keys, writes, n, capacity, SIM_LRU, res);
}

uint64_t min_moved(const struct min_result *res)
{
	return res->misses + res->dirty_evictions;
}
