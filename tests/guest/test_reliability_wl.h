/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_reliability_wl.h: a background workload with a shadow copy, for the
 * fault-injection programs. Two threads, one per simulated device, work on
 * interleaved 16 KiB slots of one mapping (so every block is shared by both
 * devices and keeps migrating): device fill, device checksum against the
 * shadow, CPU write and CPU read-back. Each step touches one block only, so
 * a job either happens completely or, failing at its fault, not at all, and
 * the shadow stays exact even when jobs fail. wl_stop() joins the threads;
 * wl_verify() then checks every word on the CPU and every block on both
 * devices.
 *
 * Include after test_reliability.h.
 */
#ifndef TEST_RELIABILITY_WL_H
#define TEST_RELIABILITY_WL_H

#include <pthread.h>

#define WL_SLOT		(REL_BS / 4)
#define WL_SLOT_W	(WL_SLOT / 4)

struct wl {
	int gfd, sfd[2];
	uint32_t *mem, *shadow;
	size_t nblk;
	atomic_bool allow_nomem;	/* HBM allocation failures are being injected */
	atomic_bool stop;
	atomic_ulong ops, nomem, errors, bad;
	pthread_t th[2];
	int id[2];
};

struct wl_arg {
	struct wl *w;
	int d;
};

static inline void wl_error(struct wl *w, const char *what, int ret)
{
	if (ret == -ENOMEM && atomic_load(&w->allow_nomem)) {
		atomic_fetch_add(&w->nomem, 1);
		return;
	}
	if (atomic_fetch_add(&w->errors, 1) < 5)
		gt_log("workload: %s: %d (%s)", what, ret, strerror(-ret));
}

static inline void wl_step(struct wl *w, int d, uint64_t *seed)
{
	size_t nslot = w->nblk * 4, s = rel_below(seed, nslot / 2) * 2 + d, i;
	uint32_t *m = w->mem + s * WL_SLOT_W, *sh = w->shadow + s * WL_SLOT_W;
	uint32_t v = rel_rand(seed);
	uint64_t h;
	int ret;

	switch (rel_below(seed, 4)) {
	case 0:
		ret = gmt_sim_fill(w->sfd[d], m, WL_SLOT, v);
		if (!ret)
			for (i = 0; i < WL_SLOT_W; i++)
				sh[i] = v;
		else
			wl_error(w, "fill", ret);
		break;
	case 1:
		ret = gmt_sim_checksum(w->sfd[d], m, WL_SLOT, &h);
		if (ret)
			wl_error(w, "checksum", ret);
		else if (h != gmt_fnv1a(sh, WL_SLOT, GMT_FNV_BASIS) &&
			 atomic_fetch_add(&w->bad, 1) < 5)
			gt_log("workload: device %d sees slot %zu differ", d, s);
		break;
	case 2:
		for (i = 0; i < WL_SLOT_W; i++)
			m[i] = sh[i] = gmt_pat(v, i);
		break;
	default:
		for (i = 0; i < WL_SLOT_W; i++)
			if (m[i] != sh[i]) {
				if (atomic_fetch_add(&w->bad, 1) < 5)
					gt_log("workload: CPU sees slot %zu word %zu differ", s, i);
				break;
			}
		break;
	}
	atomic_fetch_add(&w->ops, 1);
}

static inline void *wl_thread(void *arg)
{
	struct wl *w = ((struct wl_arg *)arg)->w;
	int d = ((struct wl_arg *)arg)->d;
	uint64_t seed = 0x1eaf + d;

	free(arg);
	while (!atomic_load(&w->stop))
		wl_step(w, d, &seed);
	return NULL;
}

/* @nblk blocks of pattern @pat, and the two threads running on them. */
static inline void wl_start(struct wl *w, int gfd, size_t nblk, uint32_t pat)
{
	int d;

	memset(w, 0, sizeof(*w));
	w->gfd = gfd;
	w->nblk = nblk;
	w->mem = gmt_map(gfd, nblk * REL_BS);
	w->shadow = malloc(nblk * REL_BS);
	GT_ASSERT(w->mem && w->shadow, "workload memory");
	gmt_fill_pat(w->mem, nblk * REL_BS / 4, pat);
	memcpy(w->shadow, w->mem, nblk * REL_BS);
	for (d = 0; d < 2; d++) {
		struct wl_arg *a = malloc(sizeof(*a));

		w->sfd[d] = gmt_sim_open(d);
		GT_ASSERT(a && w->sfd[d] >= 0, "workload: gmem_sim%d", d);
		*a = (struct wl_arg){ w, d };
		GT_ASSERT(pthread_create(&w->th[d], NULL, wl_thread, a) == 0, "thread");
	}
}

static inline void wl_stop(struct wl *w)
{
	atomic_store(&w->stop, true);
	pthread_join(w->th[0], NULL);
	pthread_join(w->th[1], NULL);
}

/*
 * Every block's checksum on both devices and every word on the CPU must
 * match the shadow. Returns the number of differences (also counted in @w).
 */
static inline unsigned long wl_verify(struct wl *w)
{
	unsigned long bad = 0;
	size_t b, i, bw = REL_BS / 4;
	uint64_t h;
	int d, ret;

	for (b = 0; b < w->nblk; b++)
		for (d = 0; d < 2; d++) {
			ret = gmt_sim_checksum(w->sfd[d], w->mem + b * bw, REL_BS, &h);
			if (ret)
				wl_error(w, "final checksum", ret);
			else if (h != gmt_fnv1a(w->shadow + b * bw, REL_BS, GMT_FNV_BASIS))
				bad++;
		}
	for (i = 0; i < w->nblk * bw; i++)
		bad += w->mem[i] != w->shadow[i];
	if (bad)
		gt_log("workload: %lu differences at the final check", bad);
	atomic_fetch_add(&w->bad, bad);
	return bad;
}

static inline void wl_close(struct wl *w)
{
	munmap(w->mem, w->nblk * REL_BS);
	free(w->shadow);
	close(w->sfd[0]);
	close(w->sfd[1]);
}

/* Stop, verify, and say whether the workload came through clean. */
static inline bool wl_finish(struct wl *w, const char *what)
{
	bool clean;

	wl_stop(w);
	wl_verify(w);
	clean = !atomic_load(&w->errors) && !atomic_load(&w->bad);
	gt_log("%s: workload %lu steps, %lu failed with ENOMEM, %lu other errors, %lu differences",
	       what, atomic_load(&w->ops), atomic_load(&w->nomem), atomic_load(&w->errors),
	       atomic_load(&w->bad));
	rel_add(mismatches, atomic_load(&w->bad));
	wl_close(w);
	return clean;
}

#endif /* TEST_RELIABILITY_WL_H */
