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

static const char *const swap_candidates[] = {
	"lru_cold", "stride_prefetch", "uvm_like", "example_fifo", "mru",
};

#include "shadow_run.h"

static int child(double secs, int idx)
{
	struct thr t[NTHR];
	pthread_t th[NTHR];
	struct proc p;

	if (proc_start(&p, t, th, secs, idx))
		return 2;
	proc_finish(&p, t, th);
	gt_log("pid %d: %lu operations, %lu failed, %lu mismatches, %lu traces refused by a pin midway",
	       getpid(), atomic_load(&p.ops), atomic_load(&p.errors), atomic_load(&p.bad),
	       atomic_load(&p.partial));
	return atomic_load(&p.errors) ? 1 : 0;
}

GT_TEST(shadow_copy_under_load)
{
	shadow_run(rel_scale(12, 25), 3, 0);
}

GT_TEST(summary)
{
	gt_log("reliability: integrity_ops=%llu migrations=%llu mismatches=%llu", rel_get(ops),
	       rel_get(migrations), rel_get(mismatches));
	GT_ASSERT(rel_get(ops) > 0, "no operation ran");
}

GT_MAIN()
