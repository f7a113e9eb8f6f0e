// SPDX-License-Identifier: GPL-2.0
/*
 * stress_concurrency (`make stress`, not part of `make test`; issue 13): the
 * integrity test's shadow-checked load (test_reliability_integrity.c, whose
 * operations this file copies), longer and wider, for the fine-grained
 * locking. Two processes, each with NTHR = 8 worker threads that fault the
 * same blocks (a block holds one slot per thread) from the CPU and from two
 * simulated devices (a file per thread per device, each thread on its own
 * stream of the device, TRACE faults delivered in batches of up to 4) with
 * random hints;
 * plus, per process, NCYC threads that mmap a fresh object, fill and check
 * it on the CPU and on a device, and munmap it, sometimes while a device job
 * still runs on it; while the parent attaches, swaps (BPF_LINK_UPDATE) and
 * detaches BPF policies in a loop. Every device result and, at the end,
 * every word and every block checksum on both devices is compared with a
 * shadow copy. GMEM_STRESS_SECS sets the duration (default 180).
 */
#include <stdlib.h>
/* gtest.h's alarm: the run plus ten minutes for set-up, checks and teardown. */
#define STRESS_SECS	stress_secs()
#define GT_TIMEOUT_S	(STRESS_SECS + 600)
static inline unsigned long stress_secs(void)
{
	const char *s = getenv("GMEM_STRESS_SECS");

	return s && *s ? strtoul(s, NULL, 0) : 180;
}
#include <pthread.h>
#include "gtest.h"

/* A tunable of the run (GMEM_STRESS_STREAMS, GMEM_STRESS_FAULT_BATCH), or @def. */
static unsigned int stress_env(const char *name, unsigned int def)
{
	const char *s = getenv(name);

	return s && *s ? (unsigned int)strtoul(s, NULL, 0) : def;
}
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"	/* pol_*: plain libbpf policy loading */
#include "test_reliability.h"

#define NPROC		2
#define NTHR		8
#define NCYC		2			/* mmap/munmap threads per process */
#define CYC_BLK		6			/* blocks per cycled object */
#define NBLK		64			/* per process; plus SRC_BLK source blocks */
#define SRC_BLK		4
#define SLOT		(BS / NTHR)
#define SLOT_W		(SLOT / 4)
#define NSLOT		(NBLK * NTHR)

struct proc {
	int gfd, dev[2];
	uint32_t *mem, *src, *shadow;
	atomic_ulong ops, bad, errors, cycles, cyc_racy, partial;
};

struct thr {
	struct proc *p;
	int id, sfd[2];
	uint64_t seed, pinned;		/* pinned: address of our pinned block, or 0 */
	double until;
};

/*
 * Each thread launches on its own stream of the device (the sim has 4 by
 * default), so the jobs of different threads, and their device faults on
 * the same blocks, run concurrently on one device, not only across two.
 */
static uint32_t launch_flags(const struct thr *t)
{
	return GMEM_SIM_F_STREAM(t->id % stress_env("GMEM_STRESS_STREAMS", 4));
}

#include "shadow_ops.h"

/*
 * mmap/munmap cycles: a fresh object each round, filled on the CPU, checked
 * by a device (checksum) and on the CPU after the device wrote part of it;
 * one round in four unmaps it while a device job on it may still run (any
 * job status is fine then: the mapping went away under it).
 */
/* mmap/munmap cycles of both processes (shared: the tally has no such field). */
static atomic_ullong *stress_cycles;

__attribute__((constructor)) static void stress_cycles_init(void)
{
	void *p = mmap(NULL, sizeof(*stress_cycles), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(2);
	stress_cycles = p;
}

struct cyc {
	struct proc *p;
	int id, sfd[2];
	uint64_t seed;
	double until;
};

static void cyc_fail(struct cyc *c, const char *what, int ret)
{
	if (atomic_fetch_add(&c->p->errors, 1) < 8)
		gt_log("pid %d cycler %d: %s failed: %d (%s)", getpid(), c->id, what, ret,
		       ret < 0 ? strerror(-ret) : "");
}

static void *cycler(void *arg)
{
	struct cyc *c = arg;
	const size_t len = CYC_BLK * BS, words = len / 4;
	uint32_t *ref = malloc(len);
	uint64_t h, seq;
	unsigned long n = 0;

	if (!ref) {
		cyc_fail(c, "malloc", -ENOMEM);
		return NULL;
	}
	while (gmt_now() < c->until) {
		uint32_t pat = (uint32_t)rel_rand(&c->seed), v = (uint32_t)rel_rand(&c->seed);
		int d = rel_below(&c->seed, 2), ret;
		uint32_t *m = gmt_map(c->p->gfd, len);
		struct gmem_sim_wait w;
		size_t i;

		if (!m) {
			cyc_fail(c, "mmap", -errno);
			break;
		}
		gmt_fill_pat(m, words, pat);
		ret = gmt_sim_checksum(c->sfd[d], m, len, &h);
		if (ret)
			cyc_fail(c, "checksum job", ret);
		else {
			gmt_fill_pat(ref, words, pat);
			if (h != gmt_fnv1a(ref, len, GMT_FNV_BASIS) &&
			    atomic_fetch_add(&c->p->bad, 1) < 8)
				gt_log("pid %d cycler %d: device checksum differs", getpid(), c->id);
		}
		if (rel_below(&c->seed, 4) == 0) {
			/* munmap racing a device write of the whole object */
			ret = gmt_sim_launch(c->sfd[d], GMEM_SIM_FILL, 0, m, NULL, len, v, &seq);
			if (rel_below(&c->seed, 2))
				usleep(rel_below(&c->seed, 2000));
			/*
			 * Replace the object with a PROT_NONE placeholder in one
			 * step (MAP_FIXED unmaps it): the address range stays
			 * taken until the job is over, so it cannot land in the
			 * other cycler's next object (device addresses are the
			 * mm's virtual addresses, as on hardware with SVM).
			 */
			if (mmap(m, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				 0) == MAP_FAILED)
				cyc_fail(c, "mmap over the object", -errno);
			if (!ret)
				(void)gmt_sim_wait(c->sfd[d], seq, &w);
			munmap(m, len);
			atomic_fetch_add(&c->p->cyc_racy, 1);
			n++;
			continue;
		}
		/* the device writes the first block, the CPU checks all of it */
		ret = gmt_sim_run(c->sfd[1 - d], GMEM_SIM_FILL, m, NULL, BS, v, NULL);
		if (ret) {
			cyc_fail(c, "fill job", ret);
		} else {
			for (i = 0; i < words; i++)
				if (m[i] != (i < BS / 4 ? v : gmt_pat(pat, i))) {
					if (atomic_fetch_add(&c->p->bad, 1) < 8)
						gt_log("pid %d cycler %d: word %zu differs", getpid(),
						       c->id, i);
					break;
				}
		}
		if (rel_below(&c->seed, 2))
			gmt_advise(c->p->gfd, m, len, GMEM_ADV_DONTNEED, 0, 0);
		munmap(m, len);
		n++;
	}
	atomic_fetch_add(&c->p->cycles, n);
	free(ref);
	return NULL;
}

/*
 * prefetch_ahead prefetches from the accessed hook too (shadow_run.h);
 * builtin_twin walks the core's LRU lists under their device lock while
 * other devices' faults change them, and prefetches from its fault hook.
 */
static const char *const swap_candidates[] = {
	"lru_cold", "stride_prefetch", "uvm_like", "prefetch_ahead", "example_fifo", "mru",
	"builtin_twin",
};

#include "shadow_run.h"

static int child(double secs, int idx)
{
	struct thr t[NTHR];
	struct cyc cy[NCYC];
	pthread_t th[NTHR], cth[NCYC];
	struct proc p;
	int i, d;

	if (proc_start(&p, t, th, secs, idx))
		return 2;
	for (i = 0; i < NCYC; i++) {
		cy[i] = (struct cyc){ .p = &p, .id = i, .seed = 0xc0c0 + idx * 16 + i,
				      .until = gmt_now() + secs };
		for (d = 0; d < 2; d++)
			if ((cy[i].sfd[d] = gmt_sim_open(d)) < 0)
				return 2;
		if (pthread_create(&cth[i], NULL, cycler, &cy[i]))
			return 2;
	}
	for (i = 0; i < NCYC; i++)
		pthread_join(cth[i], NULL);
	proc_finish(&p, t, th);
	atomic_fetch_add(stress_cycles, atomic_load(&p.cycles));
	gt_log("pid %d: %lu operations, %lu mmap/munmap cycles (%lu racing a device job),"
	       " %lu failed, %lu mismatches, %lu traces refused by a pin midway", getpid(),
	       atomic_load(&p.ops), atomic_load(&p.cycles), atomic_load(&p.cyc_racy),
	       atomic_load(&p.errors), atomic_load(&p.bad), atomic_load(&p.partial));
	return atomic_load(&p.errors) ? 1 : 0;
}

/* TRACE jobs deliver their faults in batches: gm_dev_fault_batch() under load. */
GT_TEST(stress_shadow_copy)
{
	shadow_run(STRESS_SECS, 5, stress_env("GMEM_STRESS_FAULT_BATCH", 4));
}

GT_TEST(summary)
{
	gt_log("stress: ops=%llu mmap_cycles=%llu migrations=%llu mismatches=%llu",
	       rel_get(ops), (unsigned long long)atomic_load(stress_cycles), rel_get(migrations), rel_get(mismatches));
	GT_ASSERT(rel_get(ops) > 0, "no operation ran");
}

GT_MAIN()
