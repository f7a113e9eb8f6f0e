// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_integrity: data integrity under load. Two processes,
 * each with four threads, hammer one unified mapping per process from the
 * CPU and from both simulated devices (every thread has its own queue on
 * each), with random hints, while the parent loads, swaps and unloads BPF
 * policies in a loop. The working set is about 4x the HBM of both devices
 * together, so blocks keep moving host <-> device <-> device.
 *
 * Ranges overlap where it matters, in the migration unit: a block holds
 * four 16 KiB slots, one per thread, so every block is written by up to
 * four threads through different devices and the CPU at once. A thread
 * owns its slots, which makes a shadow copy exact: every device result
 * (checksum, sum, trace read) is checked against it as the run goes, and at
 * the end every word of every slot is compared on the CPU and every block's
 * checksum on both devices.
 */
/* Long runs under GMEM_STRESS (make stress) need more than the default. */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <pthread.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"	/* pol_*: plain libbpf policy loading */
#include "test_reliability.h"

#define NPROC		2
#define NTHR		4
#define NBLK		64			/* per process; plus SRC_BLK source blocks */
#define SRC_BLK		4
#define SLOT		(BS / NTHR)
#define SLOT_W		(SLOT / 4)
#define NSLOT		(NBLK * NTHR)

struct proc {
	int gfd, dev[2];
	uint32_t *mem, *src, *shadow;
	atomic_ulong ops, bad, errors, partial;
};

struct thr {
	struct proc *p;
	int id, sfd[2];
	uint64_t seed, pinned;		/* pinned: address of our pinned block, or 0 */
	double until;
};

/* Every thread's jobs on the default stream of each device. */
static uint32_t launch_flags(const struct thr *t __attribute__((unused)))
{
	return 0;
}

#include "shadow_ops.h"

/* After the run: every word on the CPU, every block's checksum on both devices. */
static void final_check(struct proc *p, int sfd[2])
{
	unsigned long words = 0, blocks = 0;
	uint64_t h;
	size_t i;
	int d, b;

	for (b = 0; b < NBLK; b++)
		for (d = 0; d < 2; d++) {
			uint32_t *blk = p->mem + (size_t)b * (BS / 4);

			if (gmt_sim_checksum(sfd[d], blk, BS, &h) ||
			    h != gmt_fnv1a(p->shadow + (size_t)b * (BS / 4), BS, GMT_FNV_BASIS))
				blocks++;
		}
	for (i = 0; i < (size_t)NBLK * BS / 4; i++)
		words += p->mem[i] != p->shadow[i];
	if (words || blocks)
		gt_log("pid %d: final check: %lu words differ on the CPU, %lu block checksums on devices",
		       getpid(), words, blocks);
	atomic_fetch_add(&p->bad, words + blocks);
}

static int child(double secs, int idx)
{
	struct thr t[NTHR];
	pthread_t th[NTHR];
	struct proc p;
	int i, d;

	memset(&p, 0, sizeof(p));
	p.gfd = gmt_open_gmem();
	p.dev[0] = gmt_sim_gmem_id(0);
	p.dev[1] = gmt_sim_gmem_id(1);
	p.mem = gmt_map(p.gfd, (NBLK + SRC_BLK) * BS);
	p.shadow = malloc(NBLK * BS);
	if (p.gfd < 0 || !p.mem || !p.shadow || p.dev[0] < 0 || p.dev[1] < 0)
		return 2;
	p.src = p.mem + (size_t)NBLK * BS / 4;
	gmt_fill_pat(p.src, SRC_BLK * BS / 4, 7);
	gmt_fill_pat(p.mem, NBLK * BS / 4, 100 + idx);
	memcpy(p.shadow, p.mem, NBLK * BS);
	for (i = 0; i < NTHR; i++) {
		t[i] = (struct thr){ .p = &p, .id = i, .seed = 0xabc0 + idx * 16 + i,
				     .until = gmt_now() + secs };
		for (d = 0; d < 2; d++)
			if ((t[i].sfd[d] = gmt_sim_open(d)) < 0)
				return 2;
		if (pthread_create(&th[i], NULL, worker, &t[i]))
			return 2;
	}
	for (i = 0; i < NTHR; i++)
		pthread_join(th[i], NULL);
	final_check(&p, t[0].sfd);
	if (gmt_check_pat(p.src, SRC_BLK * BS / 4, 7) >= 0)
		atomic_fetch_add(&p.bad, 1);
	rel_add(ops, atomic_load(&p.ops));
	rel_add(mismatches, atomic_load(&p.bad));
	gt_log("pid %d: %lu operations, %lu failed, %lu mismatches, %lu traces refused by a pin midway",
	       getpid(), atomic_load(&p.ops), atomic_load(&p.errors), atomic_load(&p.bad),
	       atomic_load(&p.partial));
	return atomic_load(&p.errors) ? 1 : 0;
}

static const char *const swap_candidates[] = {
	"lru_cold", "stride_prefetch", "uvm_like", "example_fifo", "mru",
};

/* Open and load up to @max policies from /gmem/bpf; returns how many. */
static int load_policies(struct pol *pols, int max)
{
	char path[128];
	unsigned int i;
	int n = 0;

	for (i = 0; i < sizeof(swap_candidates) / sizeof(swap_candidates[0]) && n < max; i++) {
		snprintf(path, sizeof(path), BPF_DIR "/%s.bpf.o", swap_candidates[i]);
		if (access(path, R_OK))
			continue;
		pol_open(&pols[n], swap_candidates[i]);
		pol_load(&pols[n]);
		n++;
	}
	return n;
}

/* Attach, sometimes swap in place (BPF_LINK_UPDATE), detach: until the children exit. */
static unsigned long swap_policies(struct pol *pols, int n, pid_t *kids, int *status)
{
	unsigned long swaps = 0;
	int left = NPROC, i, err;
	uint64_t seed = 0x5a5;

	while (left) {
		for (i = 0; i < NPROC; i++)
			if (kids[i] && waitpid(kids[i], &status[i], WNOHANG) == kids[i]) {
				kids[i] = 0;
				left--;
			}
		if (!n) {
			usleep(20000);
			continue;
		}
		i = swaps % n;
		err = pol_attach(&pols[i]);
		GT_ASSERT(!err, "attach %s: %s", bpf_object__name(pols[i].obj), strerror(-err));
		usleep(10000 + rel_below(&seed, 40000));
		if (n > 1 && rel_below(&seed, 2)) {
			err = bpf_link__update_map(pols[i].link, pols[(i + 1) % n].ops);
			GT_ASSERT(!err, "swap: %s", strerror(-err));
			usleep(10000 + rel_below(&seed, 40000));
		}
		pol_detach(&pols[i]);
		swaps++;
	}
	return swaps;
}

GT_TEST(shadow_copy_under_load)
{
	double secs = rel_scale(12, 25);
	struct gmem_stats g0, g1;
	struct gmem_policy_status st0, st1;
	struct pol pols[3];
	pid_t kids[NPROC];
	int wst[NPROC], i, n, gfd;
	unsigned long swaps;
	uint64_t refs;

	rel_setup();
	refs = rel_module_refs();
	set_param(PARAM("max_rejects"), 64);
	set_param(PARAM("watchdog_ms"), 1000);
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	n = load_policies(pols, 3);
	if (!n)
		gt_log("no policies in " BPF_DIR ": built-in policy only");
	GT_ASSERT(ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &g0) == 0, "stats");
	st0 = status(gfd);
	for (i = 0; i < NPROC; i++) {
		kids[i] = fork();
		GT_ASSERT(kids[i] >= 0, "fork");
		if (kids[i] == 0) {
			close(gfd);
			_exit(child(secs, i));
		}
	}
	swaps = swap_policies(pols, n, kids, wst);
	for (i = 0; i < NPROC; i++)
		GT_EXPECT(WIFEXITED(wst[i]) && WEXITSTATUS(wst[i]) == 0,
			  "worker process %d: status %#x", i, wst[i]);
	GT_ASSERT(ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &g1) == 0, "stats");
	st1 = status(gfd);
	rel_add(migrations, (g1.h2d_blocks - g0.h2d_blocks) + (g1.d2h_blocks - g0.d2h_blocks));
	gt_log("%lu policy attach/swap/detach rounds over %d policies, %llu hook calls, %llu ejections",
	       swaps, n, (unsigned long long)(st1.hook_calls - st0.hook_calls),
	       (unsigned long long)(st1.ejections - st0.ejections));
	if (st1.ejections != st0.ejections)
		gt_log("last exit: %s: %s: %s", st1.last_exit.policy, st1.last_exit.reason,
		       st1.last_exit.msg);
	GT_EXPECT(st1.ejections == st0.ejections, "a shipped policy was ejected under load");
	GT_EXPECT(!n || swaps > 0, "no policy swap happened");
	GT_EXPECT(g1.evictions > g0.evictions, "no evictions: not oversubscribed");
	for (i = 0; i < n; i++)
		pol_close(&pols[i]);
	GT_EXPECT(rel_check_counters(gfd, "after the run") == 0, "counters");
	close(gfd);
	rel_no_leak();
	rel_wait_module_refs(refs, 10000);
	GT_EXPECT(rel_get(mismatches) == 0, "%llu mismatches", rel_get(mismatches));
	GT_EXPECT(rel_get(ops) > 1000, "only %llu operations", rel_get(ops));
}

GT_TEST(summary)
{
	gt_log("reliability: integrity_ops=%llu migrations=%llu mismatches=%llu", rel_get(ops),
	       rel_get(migrations), rel_get(mismatches));
	GT_ASSERT(rel_get(ops) > 0, "no operation ran");
}

GT_MAIN()
