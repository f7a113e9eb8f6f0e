// SPDX-License-Identifier: GPL-2.0
/*
 * test_bpf: the BPF struct_ops policy interface (kernel/gm_bpf*.c).
 *
 * Policies come from /gmem/bpf (policies/ and tests/policies/) and are
 * loaded here with plain libbpf. Runs on 64 KiB blocks and one device with
 * 1 MiB of HBM (16 blocks), so every trace below is small and exact: each
 * record touches one block, and the fault counts are derived by hand in the
 * comments. The built-in prefetch is off unless a test turns it on, so only
 * the policy under test moves blocks. Data is checked by content (device
 * checksum and a CPU pattern check) after every workload.
 */
#include <pthread.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"

/* ------------------------------------------------------------ tests */

/*
 * Eviction order. 18 blocks, HBM holds 16. A: read 0..15 (16 faults);
 * B: read 0..3 again (hits); C: read 16, 17 (2 faults, 2 evictions).
 * LRU evicts 4, 5; FIFO evicts 0, 1; MRU evicts 3 (the last hit), then 16.
 * Probe 0, 1, 3: LRU has them all (0 faults); FIFO faults on 0 and 1, each
 * evicting the oldest arrival (2, then 3), and then on 3 (3 faults); MRU
 * has 0 and 1 and faults on 3 (1 fault).
 */
GT_TEST(eviction_order_follows_policy)
{
	static const struct { const char *pol, *name; uint64_t probe; } runs[] = {
		{ NULL, "builtin", 0 }, { "example_fifo", "fifo", 3 }, { "mru", "mru", 1 },
	};
	static const uint32_t probe[] = { 0, 1, 3 };
	unsigned int r;

	for (r = 0; r < 3; r++) {
		uint64_t before, got;
		struct env e;
		struct pol p;

		env_open(&e, 18);
		/* Exact orders access by access: the device faults one at a time. */
		GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
		pol_start(&p, runs[r].pol);
		GT_ASSERT(!strcmp(status(e.gfd).name, runs[r].name), "status name %s",
			  status(e.gfd).name);
		GT_ASSERT(sweep(&e, 0, 16) == 16, "A faults");
		GT_ASSERT(sweep(&e, 0, 4) == 0, "B faults");
		GT_ASSERT(sweep(&e, 16, 18) == 2, "C faults");
		before = obj_stats(&e).dev_faults;
		trace(&e, probe, 3);
		got = obj_stats(&e).dev_faults - before;
		gt_log("%-8s probe faults %llu (expected %llu)", runs[r].name,
		       (unsigned long long)got, (unsigned long long)runs[r].probe);
		GT_ASSERT(got == runs[r].probe, "%s: probe faults %llu, expected %llu",
			  runs[r].name, (unsigned long long)got,
			  (unsigned long long)runs[r].probe);
		GT_ASSERT(status(e.gfd).active == (runs[r].pol != NULL), "still active");
		check_data(&e);
		pol_stop(&p);
		env_close(&e);
	}
}

/*
 * Sequential read of 12 blocks (no eviction). Prefetching 3 ahead faults on
 * 0, 4 and 8 only; the same policy prefetching nothing faults 12 times.
 * prefetch_ahead requests from its prefetch hook, fault_prefetch from its
 * fault hook (GMEM_OPS_FAULT_PREFETCH), and with the built-in read-ahead
 * turned up to 8 blocks: the flag keeps it off for the policy, so 0 ahead
 * still faults 12 times.
 */
GT_TEST(prefetch_reduces_faults)
{
	static const struct {
		const char *pol;
		uint32_t ahead, builtin_ahead;
		uint64_t faults, issued;
	} runs[] = {
		{ "prefetch_ahead", 0, 0, 12, 0 }, { "prefetch_ahead", 3, 0, 3, 9 },
		{ "fault_prefetch", 0, 8, 12, 0 }, { "fault_prefetch", 3, 8, 3, 9 },
	};
	unsigned int r;

	for (r = 0; r < 4; r++) {
		struct gmem_stats s;
		struct env e;
		struct pol p;
		uint64_t faults;

		env_open(&e, 12);
		set_param(PARAM("builtin_prefetch"), runs[r].builtin_ahead);
		pol_open(&p, runs[r].pol);
		*(uint32_t *)pol_rodata(&p, "ahead") = runs[r].ahead;
		pol_load(&p);
		GT_ASSERT(pol_attach(&p) == 0, "attach");
		faults = sweep(&e, 0, 12);
		s = obj_stats(&e);
		gt_log("%s ahead %u: %llu device faults, %llu prefetched, %llu used", runs[r].pol,
		       runs[r].ahead, (unsigned long long)faults,
		       (unsigned long long)s.prefetch_issued, (unsigned long long)s.prefetch_used);
		GT_ASSERT(faults == runs[r].faults, "faults %llu", (unsigned long long)faults);
		GT_ASSERT(s.prefetch_issued == runs[r].issued && s.prefetch_used == runs[r].issued,
			  "prefetch issued %llu used %llu", (unsigned long long)s.prefetch_issued,
			  (unsigned long long)s.prefetch_used);
		GT_ASSERT(pol_bss(&p, "requested") == (int64_t)runs[r].issued,
			  "policy's count");
		check_data(&e);
		pol_close(&p);
		env_close(&e);
	}
}

/*
 * Prefetch from the accessed hook (bpf_gmem_prefetch_dev()). Each block is
 * read twice in a row: the first read of block 0 faults (no fault-time
 * prefetch, ahead = 0), its second read is reported as an access, and
 * prefetching the next block from that report keeps the device ahead: one
 * fault in all, then every block a prefetch, also once HBM is full and each
 * prefetch evicts (24 blocks through 16). Without access_ahead each block
 * faults. A request for another device is refused with -EINVAL.
 */
GT_TEST(access_prefetch_streams)
{
	static const struct { uint32_t blocks, access_ahead; uint64_t faults, evictions; } runs[] = {
		{ 12, 0, 12, 0 }, { 12, 1, 1, 0 }, { 24, 1, 1, 8 },
	};
	unsigned int r;

	for (r = 0; r < 3; r++) {
		uint32_t b[64], i, n = runs[r].blocks;
		uint64_t faults, issued = runs[r].access_ahead ? n - 1 : 0;
		struct gmem_stats s;
		struct env e;
		struct pol p;

		env_open(&e, n);
		/* Exact counts access by access: the device faults one at a time. */
		GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
		pol_open(&p, "prefetch_ahead");
		*(uint32_t *)pol_rodata(&p, "ahead") = 0;
		*(uint32_t *)pol_rodata(&p, "access_ahead") = runs[r].access_ahead;
		pol_load(&p);
		GT_ASSERT(pol_attach(&p) == 0, "attach");
		for (i = 0; i < 2 * n; i++)
			b[i] = i / 2;
		trace(&e, b, 2 * n);
		s = obj_stats(&e);
		faults = s.dev_faults;
		gt_log("%u blocks, access_ahead %u: %llu faults, %llu prefetched, %llu used, %llu evictions",
		       n, runs[r].access_ahead, (unsigned long long)faults,
		       (unsigned long long)s.prefetch_issued, (unsigned long long)s.prefetch_used,
		       (unsigned long long)s.evictions);
		GT_ASSERT(faults == runs[r].faults, "faults %llu", (unsigned long long)faults);
		GT_ASSERT(s.prefetch_issued == issued && s.prefetch_used == issued,
			  "prefetch issued %llu used %llu", (unsigned long long)s.prefetch_issued,
			  (unsigned long long)s.prefetch_used);
		GT_ASSERT(s.evictions == runs[r].evictions, "evictions %llu",
			  (unsigned long long)s.evictions);
		GT_ASSERT(pol_bss(&p, "access_requested") == (int64_t)issued, "policy's count");
		if (runs[r].access_ahead)
			GT_ASSERT(pol_bss(&p, "wrong_dev_ret") == -EINVAL, "other device: %lld",
				  (long long)pol_bss(&p, "wrong_dev_ret"));
		check_data(&e);
		pol_close(&p);
		env_close(&e);
	}
}

static struct gmem_stats dev_stats(struct env *e)
{
	struct gmem_dev_info di;

	GT_ASSERT(gmt_dev_info(e->gfd, e->dev, &di) == 0, "dev info");
	return di.stats;
}

/*
 * Batched device faults (gmem_sim.fault_batch = 16: the records of a TRACE
 * job are issued 16 at a time). Eleven reads of eight host blocks, out of
 * order and three of them repeated, are one batch: the core services each
 * block once, in address order, and the fault hook sees batch_nr 8 and
 * positions 0..7; no record is reported as an access as well. The access
 * trace still has all eleven (the three merged ones as accesses), since
 * MIN and replay read it as the device's access stream. The same trace
 * unbatched is eight batches of one, and its three repeated reads are
 * accesses. The data is intact either way.
 */
GT_TEST(batched_faults_in_address_order)
{
	static const uint32_t b[] = { 5, 1, 3, 1, 7, 0, 6, 2, 4, 5, 3 };
	struct gmem_trace_rec rec[32];
	struct gmem_trace_read rd = { .buf_ptr = (uintptr_t)rec, .capacity = 32 };
	unsigned int i, kinds[2] = { 0 };
	struct gmem_stats s0, s, o;
	uint32_t cap = 64;
	struct env e;
	struct pol p;

	env_open(&e, 8);
	pol_start(&p, "batch_probe");
	GT_ASSERT(gmt_set_fault_batch(16) == 0, "set fault_batch");
	s0 = dev_stats(&e);
	GT_ASSERT(ioctl(e.gfd, GMEM_IOC_TRACE_START, &cap) == 0, "trace start: %s", strerror(errno));
	trace(&e, b, 11);
	GT_ASSERT(ioctl(e.gfd, GMEM_IOC_TRACE_READ, &rd) == 0, "trace read: %s", strerror(errno));
	GT_ASSERT(ioctl(e.gfd, GMEM_IOC_TRACE_STOP) == 0, "trace stop: %s", strerror(errno));
	for (i = 0; i < rd.count; i++)
		kinds[rec[i].kind == GMEM_TRACE_FAULT]++;
	GT_EXPECT(rd.count == 11 && kinds[1] == 8 && kinds[0] == 3 && !rd.dropped,
		  "trace: %u records, %u faults, %u accesses", rd.count, kinds[1], kinds[0]);
	s = dev_stats(&e);
	o = obj_stats(&e);
	gt_log("batched: %llu faults, %llu accesses, batches %llu (%llu faults, %llu dups, max %llu)",
	       (unsigned long long)o.dev_faults, (unsigned long long)o.dev_accesses,
	       (unsigned long long)(s.fault_batches - s0.fault_batches),
	       (unsigned long long)(s.batch_faults - s0.batch_faults),
	       (unsigned long long)(s.batch_dups - s0.batch_dups), (unsigned long long)s.batch_max);
	GT_EXPECT(o.dev_faults == 8 && o.dev_accesses == 0, "faults %llu accesses %llu",
		  (unsigned long long)o.dev_faults, (unsigned long long)o.dev_accesses);
	GT_EXPECT(s.fault_batches - s0.fault_batches == 1 && s.batch_faults - s0.batch_faults == 11 &&
		  s.batch_dups - s0.batch_dups == 3 && s.batch_max >= 11,
		  "device batch counters");
	GT_EXPECT(pol_bss(&p, "faults") == 8 && pol_bss(&p, "batches") == 1 &&
		  pol_bss(&p, "max_nr") == 8 && pol_bss(&p, "order_errors") == 0 &&
		  pol_bss(&p, "flag_errors") == 0,
		  "hook saw %lld faults in %lld batches, max %lld, %lld out of order, "
		  "%lld GMEM_BF_BATCH errors",
		  (long long)pol_bss(&p, "faults"), (long long)pol_bss(&p, "batches"),
		  (long long)pol_bss(&p, "max_nr"), (long long)pol_bss(&p, "order_errors"),
		  (long long)pol_bss(&p, "flag_errors"));

	GT_ASSERT(gmt_advise(e.gfd, e.mem, 8 * BS, GMEM_ADV_DONTNEED, 0, 0) == 0, "dontneed");
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "unbatched");
	s0 = dev_stats(&e);
	trace(&e, b, 11);
	s = dev_stats(&e);
	o = obj_stats(&e);
	GT_EXPECT(o.dev_faults == 16 && o.dev_accesses == 3, "unbatched: faults %llu accesses %llu",
		  (unsigned long long)o.dev_faults, (unsigned long long)o.dev_accesses);
	GT_EXPECT(s.fault_batches - s0.fault_batches == 8 && s.batch_dups == s0.batch_dups,
		  "unbatched: %llu batches", (unsigned long long)(s.fault_batches - s0.fault_batches));
	GT_EXPECT(pol_bss(&p, "faults") == 16 && pol_bss(&p, "batches") == 9 &&
		  pol_bss(&p, "order_errors") == 0 && pol_bss(&p, "flag_errors") == 0,
		  "unbatched: hook saw %lld batches, %lld GMEM_BF_BATCH errors",
		  (long long)pol_bss(&p, "batches"), (long long)pol_bss(&p, "flag_errors"));
	GT_ASSERT(gmt_set_fault_batch(GMT_FAULT_BATCH_DEFAULT) == 0, "reset fault_batch");
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/*
 * In a batch, a fault on a block that an earlier fault of the same batch
 * prefetched is an access, not a fault: reads of blocks 0..5 are one batch
 * under prefetch_ahead with ahead = 1, so the faults on 0, 2 and 4 bring 1,
 * 3 and 5, whose entries reach the policy as the access reports they would
 * have been without batching (3 faults, 3 accesses, 3 prefetches used).
 */
GT_TEST(batched_fault_on_prefetched_block_is_an_access)
{
	static const uint32_t b[] = { 0, 1, 2, 3, 4, 5 };
	struct gmem_stats o;
	struct env e;
	struct pol p;

	env_open(&e, 8);
	pol_open(&p, "prefetch_ahead");
	*(uint32_t *)pol_rodata(&p, "ahead") = 1;
	pol_load(&p);
	GT_ASSERT(pol_attach(&p) == 0, "attach");
	GT_ASSERT(gmt_set_fault_batch(16) == 0, "set fault_batch");
	trace(&e, b, 6);
	GT_ASSERT(gmt_set_fault_batch(GMT_FAULT_BATCH_DEFAULT) == 0, "reset fault_batch");
	o = obj_stats(&e);
	gt_log("%llu faults, %llu accesses, %llu prefetched, %llu used",
	       (unsigned long long)o.dev_faults, (unsigned long long)o.dev_accesses,
	       (unsigned long long)o.prefetch_issued, (unsigned long long)o.prefetch_used);
	GT_EXPECT(o.dev_faults == 3 && o.dev_accesses == 3 && o.prefetch_issued == 3 &&
		  o.prefetch_used == 3, "faults %llu accesses %llu prefetch %llu/%llu",
		  (unsigned long long)o.dev_faults, (unsigned long long)o.dev_accesses,
		  (unsigned long long)o.prefetch_issued, (unsigned long long)o.prefetch_used);
	check_data(&e);
	pol_close(&p);
	env_close(&e);
}

/*
 * A prefetch must not map a block with the protection of a lookup that an
 * mprotect() has overtaken. Block 1 is on the device; an AXPY job reads it
 * (x) and writes block 0 (y). Its read is reported, and the accessed hook
 * asks for block 0 (access_behind = 1); gmem.debug_prefetch_delay_us holds
 * the prefetch 10 ms before it locks block 0, and meanwhile the test
 * downgrades the mapping to PROT_READ. The downgrade's revoke walk passes
 * block 0 (not on the device yet) and waits for block 1, whose lock the
 * report holds, so only the prefetch itself can tell that the protection
 * changed: mapped with the old one, block 0 would take the AXPY's write.
 * The job must end with -EFAULT and block 0 keep its data.
 */
GT_TEST(prefetch_after_mprotect_maps_nothing)
{
	struct gmem_sim_wait w;
	uint32_t *b0;
	uint64_t seq;
	struct env e;
	struct pol p;
	int ret;

	env_open(&e, 2);
	pol_open(&p, "prefetch_ahead");
	*(uint32_t *)pol_rodata(&p, "ahead") = 0;
	*(uint32_t *)pol_rodata(&p, "access_behind") = 1;
	pol_load(&p);
	GT_ASSERT(pol_attach(&p) == 0, "attach");
	GT_ASSERT(sweep(&e, 1, 2) == 1, "block 1 to the device");
	set_param(PARAM("debug_prefetch_delay_us"), 10000);
	ret = gmt_sim_launch(e.sfd, GMEM_SIM_AXPY, 0, e.mem + BS, e.mem, BS, 3, &seq);
	GT_ASSERT(ret == 0, "launch AXPY: %d", ret);
	usleep(3000);
	GT_ASSERT(mprotect(e.mem, 2 * BS, PROT_READ) == 0, "mprotect: %s", strerror(errno));
	ret = gmt_sim_wait(e.sfd, seq, &w);
	set_param(PARAM("debug_prefetch_delay_us"), 0);
	gt_log("AXPY into block 0 across the downgrade: %d; prefetches asked %lld", ret,
	       (long long)pol_bss(&p, "access_requested"));
	GT_ASSERT(pol_bss(&p, "access_requested") == 1, "the report asked for no prefetch");
	GT_EXPECT(ret == -EFAULT, "AXPY: %d, want -EFAULT (the write went through)", ret);
	b0 = (uint32_t *)e.mem;
	GT_EXPECT(gmt_check_pat(b0, BS / 4, SEED) < 0, "block 0 changed by a refused write");
	GT_ASSERT(mprotect(e.mem, 2 * BS, PROT_READ | PROT_WRITE) == 0, "mprotect RW");
	check_data(&e);
	pol_close(&p);
	env_close(&e);
}

/*
 * 24 blocks, HBM 16: read 0..15, pin block 0 (head of the policy's list),
 * read 16..23: 8 evictions, each asked of the policy, which also offers a
 * bogus id, the busy block, the last evicted block and the pinned one.
 */
static uint64_t bad_victims_run(struct env *e, struct gmem_policy_status *st0)
{
	uint64_t ev;

	*st0 = status(e->gfd);
	GT_ASSERT(sweep(e, 0, 16) == 16, "fill faults");
	GT_ASSERT(gmt_advise(e->gfd, e->mem, BS, GMEM_ADV_PIN, e->dev, 0) == 0, "pin");
	ev = obj_stats(e).evictions;
	GT_ASSERT(sweep(e, 16, 24) == 8, "faults");
	return obj_stats(e).evictions - ev;
}

GT_TEST(invalid_victims_rejected_by_reason)
{
	struct gmem_policy_status st0, st;
	uint64_t ev;
	struct env e;
	struct pol p;

	env_open(&e, 24);
	params(0, 1000, 0);		/* no ejection: count only */
	pol_start(&p, "bad_victims");
	ev = bad_victims_run(&e, &st0);
	st = status(e.gfd);
#define REJ(r) (st.rejects[r] - st0.rejects[r])
	gt_log("evictions %llu rejects: bad id %llu busy %llu not resident %llu pinned %llu dup %llu",
	       (unsigned long long)ev, (unsigned long long)REJ(GMEM_REJ_BAD_ID),
	       (unsigned long long)REJ(GMEM_REJ_VICTIM_BUSY),
	       (unsigned long long)REJ(GMEM_REJ_VICTIM_NOT_RESIDENT),
	       (unsigned long long)REJ(GMEM_REJ_VICTIM_PINNED),
	       (unsigned long long)REJ(GMEM_REJ_VICTIM_DUP));
	GT_ASSERT(ev == 8, "evictions %llu", (unsigned long long)ev);
	GT_EXPECT(REJ(GMEM_REJ_BAD_ID) == ev, "one bad id per call");
	GT_EXPECT(REJ(GMEM_REJ_VICTIM_BUSY) == ev, "one busy block per call");
	GT_EXPECT(REJ(GMEM_REJ_VICTIM_PINNED) == ev, "pinned head once per call");
	GT_EXPECT(REJ(GMEM_REJ_VICTIM_NOT_RESIDENT) == ev - 1, "last evicted, from the 2nd call");
	GT_EXPECT(st.fallbacks == st0.fallbacks, "the policy found its victims itself");
	GT_ASSERT(st.active && !strcmp(st.name, "bad_victims"), "policy still in charge");
#undef REJ
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

GT_TEST(invalid_victims_eject_past_limit)
{
	struct gmem_policy_status st0, st;
	struct env e;
	struct pol p;

	env_open(&e, 24);
	params(4, 1000, 0);
	pol_start(&p, "bad_victims");
	bad_victims_run(&e, &st0);
	st = status(e.gfd);
	GT_ASSERT(!st.active && !strcmp(st.name, "builtin"), "still attached: %s", st.name);
	GT_ASSERT(st.ejections == st0.ejections + 1, "ejections");
	GT_ASSERT(st.last_exit.kind == GMEM_EXIT_INVALID, "exit kind %u", st.last_exit.kind);
	GT_ASSERT(!strcmp(st.last_exit.policy, "bad_victims"), "exit policy %s",
		  st.last_exit.policy);
	GT_ASSERT(strstr(st.last_exit.msg, "invalid decisions"), "msg: %s", st.last_exit.msg);
	gt_log("last_exit: %s: %s", st.last_exit.reason, st.last_exit.msg);
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/* An evict hook that never nominates: the built-in policy picks every victim. */
GT_TEST(no_victims_completed_by_builtin)
{
	struct gmem_policy_status st0, st;
	uint64_t ev, calls;
	struct env e;
	struct pol p;
	int r;

	env_open(&e, 24);
	/* Exact counts access by access: the device faults one at a time. */
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
	pol_start(&p, "no_victims");
	st0 = status(e.gfd);
	GT_ASSERT(sweep(&e, 0, 24) == 24, "faults");
	ev = obj_stats(&e).evictions;
	st = status(e.gfd);
	calls = (uint64_t)pol_bss(&p, "evict_calls");
	GT_ASSERT(ev == 8 && calls == 8, "evictions %llu, evict calls %llu",
		  (unsigned long long)ev, (unsigned long long)calls);
	GT_ASSERT(st.fallbacks - st0.fallbacks == calls, "fallbacks %llu",
		  (unsigned long long)(st.fallbacks - st0.fallbacks));
	for (r = 0; r < GMEM_REJ_NR; r++)
		GT_ASSERT(st.rejects[r] == st0.rejects[r], "reject %d counted", r);
	GT_ASSERT(st.active && !strcmp(st.name, "no_victims"), "policy still in charge");
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

GT_TEST(prefetch_out_of_range_ejects)
{
	struct gmem_policy_status st0, st;
	uint64_t rejects;
	int64_t calls;
	struct env e;
	struct pol p;

	env_open(&e, 12);
	params(4, 1000, 0);
	pol_start(&p, "bad_prefetch");
	st0 = status(e.gfd);
	GT_ASSERT(sweep(&e, 0, 12) == 12, "faults");
	st = status(e.gfd);
	GT_ASSERT(pol_bss(&p, "range_ret") == -ERANGE, "range ret %lld",
		  (long long)pol_bss(&p, "range_ret"));
	GT_ASSERT(pol_bss(&p, "wrong_hook_ret") == -EINVAL, "prefetch from the fault hook: %lld",
		  (long long)pol_bss(&p, "wrong_hook_ret"));
	/*
	 * One reject per call; the 5th within a second ejects (5 unless the
	 * run straddled a window), and no call comes after the ejection.
	 */
	calls = pol_bss(&p, "prefetch_calls");
	rejects = st.rejects[GMEM_REJ_PREFETCH_RANGE] - st0.rejects[GMEM_REJ_PREFETCH_RANGE];
	gt_log("%lld prefetch calls, %llu range rejects", (long long)calls,
	       (unsigned long long)rejects);
	GT_ASSERT(calls >= 5 && calls < 12 && rejects == (uint64_t)calls, "calls %lld rejects %llu",
		  (long long)calls, (unsigned long long)rejects);
	GT_ASSERT(!st.active && st.last_exit.kind == GMEM_EXIT_INVALID, "exit kind %u",
		  st.last_exit.kind);
	GT_ASSERT(strstr(st.last_exit.msg, "prefetch out of range"), "msg: %s", st.last_exit.msg);
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

GT_TEST(error_kfunc_ejects_with_message)
{
	struct gmem_policy_status st;
	struct timespec t0, t1;
	char want[128];
	struct env e;
	struct pol p;

	env_open(&e, 24);
	/* Exact counts access by access: the device faults one at a time. */
	GT_ASSERT(gmt_set_fault_batch(1) == 0, "fault_batch 1");
	GT_ASSERT(gmt_advise(e.gfd, e.mem, BS, GMEM_ADV_TAG, 0, 42) == 0, "tag block 0");
	clock_gettime(CLOCK_REALTIME, &t0);
	pol_start(&p, "error_exit");
	GT_ASSERT(pol_bss(&p, "init_list") > 0, "list from init");
	GT_ASSERT(sweep(&e, 0, 24) == 24, "faults");
	/* What the readers said on the first fault (block 0, host resident). */
	GT_EXPECT(pol_bss(&p, "init_list_len") == 0, "list len");
	GT_EXPECT(pol_bss(&p, "blk_tag") == 42 && pol_bss(&p, "ctx_tag") == 42, "tag");
	GT_EXPECT(pol_bss(&p, "obj_blocks") == 24, "obj blocks %lld",
		  (long long)pol_bss(&p, "obj_blocks"));
	GT_EXPECT(pol_bss(&p, "obj_start") == (int64_t)(uintptr_t)e.mem &&
		  pol_bss(&p, "obj_size") == (int64_t)(24 * BS), "obj range");
	GT_EXPECT(pol_bss(&p, "dev_capacity") == HBM_BLOCKS && pol_bss(&p, "dev_used") == 0,
		  "device %lld/%lld", (long long)pol_bss(&p, "dev_used"),
		  (long long)pol_bss(&p, "dev_capacity"));
	GT_EXPECT(pol_bss(&p, "bad_dev") == -ENODEV, "bad device");
	GT_EXPECT(pol_bss(&p, "blk_state_ret") == 0 && pol_bss(&p, "blk_state") == GMEM_BLK_HOST,
		  "block state %lld", (long long)pol_bss(&p, "blk_state"));
	clock_gettime(CLOCK_REALTIME, &t1);
	st = status(e.gfd);
	snprintf(want, sizeof(want), "gave up at fault 3 of object %u", e.obj);
	GT_ASSERT(!st.active, "still active");
	GT_ASSERT(st.last_exit.kind == GMEM_EXIT_ERROR, "kind %u", st.last_exit.kind);
	GT_ASSERT(!strcmp(st.last_exit.msg, want), "msg '%s'", st.last_exit.msg);
	GT_ASSERT(!strcmp(st.last_exit.policy, "error_exit"), "policy %s", st.last_exit.policy);
	GT_ASSERT(st.last_exit.when_ns >= (uint64_t)t0.tv_sec * 1000000000ULL + t0.tv_nsec &&
		  st.last_exit.when_ns <= (uint64_t)t1.tv_sec * 1000000000ULL + t1.tv_nsec,
		  "when_ns outside the run");
	GT_ASSERT(pol_bss(&p, "faults") == 3, "fault hook ran after ejection");
	/* An ejection asked for inside a hook finishes in a work item, as in sched_ext. */
	for (int i = 0; i < 200 && pol_bss(&p, "exit_calls") == 0; i++)
		usleep(10000);
	GT_ASSERT(pol_bss(&p, "exit_calls") == 1, "exit hook calls");
	GT_ASSERT(pol_bss(&p, "exit_kind") == GMEM_EXIT_ERROR, "exit kind");
	GT_ASSERT(pol_bss(&p, "exit_list") == -EPERM, "kfunc in the exit hook: %lld",
		  (long long)pol_bss(&p, "exit_list"));
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/*
 * A hook past the watchdog: cut off through its kfuncs, or caught by the
 * watchdog outside the hook (or on return, whichever comes first).
 */
GT_TEST(watchdog_ejects_stalled_hook)
{
	static const struct { bool cutoff; unsigned int wd_ms; uint32_t spins; const char *msg; }
	runs[] = {
		{ true, 50, 1u << 23, "still running after " },
		{ false, 1, 1u << 20, "fault() " },
	};
	unsigned int r;

	for (r = 0; r < 2; r++) {
		struct gmem_policy_status st;
		struct env e;
		struct pol p;
		uint64_t loops;

		env_open(&e, 4);
		params(64, runs[r].wd_ms, 0);
		pol_open(&p, "stall");
		*(bool *)pol_rodata(&p, "honor_cutoff") = runs[r].cutoff;
		*(uint32_t *)pol_rodata(&p, "spins") = runs[r].spins;
		pol_load(&p);
		GT_ASSERT(pol_attach(&p) == 0, "attach");
		GT_ASSERT(sweep(&e, 0, 4) == 4, "faults");
		st = status(e.gfd);
		loops = (uint64_t)pol_bss(&p, "loops");
		gt_log("cutoff %d: %llu loops; %s", runs[r].cutoff, (unsigned long long)loops,
		       st.last_exit.msg);
		GT_ASSERT(!st.active && st.last_exit.kind == GMEM_EXIT_STALL, "kind %u",
			  st.last_exit.kind);
		GT_ASSERT(strstr(st.last_exit.msg, runs[r].msg), "msg: %s", st.last_exit.msg);
		GT_ASSERT(runs[r].cutoff ? loops < runs[r].spins : loops == runs[r].spins,
			  "loops %llu", (unsigned long long)loops);
		check_data(&e);
		pol_stop(&p);
		env_close(&e);
	}
}

/* Bad data members fail the attach with EINVAL and change nothing. */
GT_TEST(ops_fields_validated)
{
	static const struct { const char *name; uint64_t flags; int err; } runs[] = {
		{ "bad name", 0, -EINVAL }, { "", 0, -EINVAL },
		{ "fifo", 1, -EINVAL }, { "fifo-2.ok_", 0, 0 },
	};
	struct gmem_policy_status st0;
	unsigned int r;
	struct env e;

	env_open(&e, 1);
	st0 = status(e.gfd);
	for (r = 0; r < 4; r++) {
		struct pol p;
		int err;

		pol_open(&p, "example_fifo");
		strcpy(ops_member(&p, "name"), runs[r].name);
		*(uint64_t *)ops_member(&p, "flags") = runs[r].flags;
		pol_load(&p);
		err = pol_attach(&p);
		GT_ASSERT(err == runs[r].err, "name '%s' flags %llu: attach %d", runs[r].name,
			  (unsigned long long)runs[r].flags, err);
		GT_ASSERT(!strcmp(status(e.gfd).name, err ? "builtin" : runs[r].name), "status %s",
			  status(e.gfd).name);
		pol_close(&p);
	}
	GT_ASSERT(status(e.gfd).loads == st0.loads + 1, "only the valid one attached");
	env_close(&e);
}

/* Another struct_ops type may not call gmem's kfuncs (the verifier refuses it). */
GT_TEST(foreign_struct_ops_cannot_call_kfuncs)
{
	int r;

	libbpf_set_print(NULL);		/* the refusal prints a verifier log */
	for (r = 0; r < 2; r++) {
		struct pol p;
		int err;

		memset(&p, 0, sizeof(p));
		p.obj = bpf_object__open_file(BPF_DIR "/foreign_caller.bpf.o", NULL);
		GT_ASSERT(p.obj, "open: %s", strerror(errno));
		*(bool *)pol_rodata(&p, "call_gmem") = r;
		err = bpf_object__load(p.obj);
		GT_ASSERT(r ? err != 0 : err == 0, "call_gmem=%d: load %d", r, err);
		bpf_object__close(p.obj);
	}
}

struct lru_run {
	double secs;
	uint64_t faults, evictions, calls, ns;
};

/* 40 passes over 24 blocks: a hot set of 8 touched between cold sweeps. */
static void lru_run(const char *name, struct lru_run *out)
{
	struct gmem_policy_status st0, st;
	uint32_t b[64];
	struct env e;
	struct pol p;
	int pass, i;
	double t0;

	env_open(&e, 24);
	pol_start(&p, name);
	st0 = status(e.gfd);
	t0 = gmt_now();
	for (pass = 0; pass < 40; pass++) {
		for (i = 0; i < 64; i++)
			b[i] = i % 2 ? (uint32_t)(i / 2) % 8 : 8 + (uint32_t)(i / 2 + pass * 5) % 16;
		trace(&e, b, 64);
	}
	out->secs = gmt_now() - t0;
	st = status(e.gfd);
	out->faults = obj_stats(&e).dev_faults;
	out->evictions = obj_stats(&e).evictions;
	out->calls = st.hook_calls - st0.hook_calls;
	out->ns = st.hook_ns - st0.hook_ns;
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/*
 * Hook overhead (reported, not asserted): the built-in LRU and the same LRU
 * in BPF on one workload, alternating three times (best time of each). They
 * must evict the same blocks, so fault and eviction counts must match.
 */
GT_TEST(hook_overhead_builtin_vs_bpf_lru)
{
	static const char *const pols[] = { NULL, "builtin_lru" };
	struct lru_run best[2], run;
	int rep, r;

	for (rep = 0; rep < 3; rep++) {
		for (r = 0; r < 2; r++) {
			lru_run(pols[r], &run);
			if (rep && (run.faults != best[r].faults ||
				    run.evictions != best[r].evictions))
				GT_ASSERT(0, "run %d of %s not deterministic", rep,
					  pols[r] ? pols[r] : "builtin");
			if (!rep || run.secs < best[r].secs)
				best[r] = run;
		}
	}
	gt_log("builtin:     %.3f s, %llu faults, %llu evictions", best[0].secs,
	       (unsigned long long)best[0].faults, (unsigned long long)best[0].evictions);
	gt_log("builtin_lru: %.3f s, %llu faults, %llu evictions, %llu hook calls, %.0f ns/call",
	       best[1].secs, (unsigned long long)best[1].faults,
	       (unsigned long long)best[1].evictions, (unsigned long long)best[1].calls,
	       best[1].calls ? (double)best[1].ns / best[1].calls : 0.0);
	gt_log("overhead ratio (BPF/C wall time, best of 3, TCG): %.3f",
	       best[1].secs / best[0].secs);
	GT_ASSERT(best[0].faults == best[1].faults && best[0].evictions == best[1].evictions,
		  "the BPF LRU decided differently: faults %llu/%llu evictions %llu/%llu",
		  (unsigned long long)best[0].faults, (unsigned long long)best[1].faults,
		  (unsigned long long)best[0].evictions, (unsigned long long)best[1].evictions);
	GT_ASSERT(best[0].evictions > 0, "the workload did not evict");
}

struct twin_run {
	struct gmem_stats s;
	uint64_t calls, fallbacks;
};

/*
 * Sequential sweeps (read-ahead on), the hot/cold trace of lru_run(), and
 * COLD and HOT hints half-way, under @name (NULL: the built-in policy) with
 * the built-in read-ahead at 1 block, as builtin_twin assumes.
 */
static void twin_run(const char *name, struct twin_run *out)
{
	struct gmem_policy_status st0;
	uint32_t b[64];
	struct env e;
	struct pol p;
	int pass, i;

	env_open(&e, 24);
	set_param(PARAM("builtin_prefetch"), 1);
	pol_start(&p, name);
	st0 = status(e.gfd);
	sweep(&e, 0, 24);
	for (pass = 0; pass < 20; pass++) {
		if (pass == 10) {
			GT_ASSERT(gmt_advise(e.gfd, e.mem, 4 * BS, GMEM_ADV_COLD, 0, 0) == 0, "cold");
			GT_ASSERT(gmt_advise(e.gfd, e.mem + 8 * BS, 4 * BS, GMEM_ADV_HOT, 0, 0) == 0,
				  "hot");
		}
		for (i = 0; i < 64; i++)
			b[i] = i % 2 ? (uint32_t)(i / 2) % 8 : 8 + (uint32_t)(i / 2 + pass * 5) % 16;
		trace(&e, b, 64);
		if (pass % 5 == 4)
			sweep(&e, 0, 24);
	}
	out->s = obj_stats(&e);
	out->calls = status(e.gfd).hook_calls - st0.hook_calls;
	out->fallbacks = status(e.gfd).fallbacks - st0.fallbacks;
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/*
 * builtin_twin (tests/policies) is the built-in policy in BPF: placement,
 * read-ahead, LRU by class. `make bench-hook` times the two against each
 * other, which means something only if they decide alike: every count of
 * the same workload must be equal, and the twin must have decided (no
 * fallbacks to the built-in policy).
 */
GT_TEST(builtin_twin_decides_as_builtin)
{
	struct twin_run c, t;

	twin_run(NULL, &c);
	twin_run("builtin_twin", &t);
	gt_log("built-in: faults %llu h2d %llu d2h %llu evictions %llu prefetch %llu/%llu; twin: %llu hook calls",
	       (unsigned long long)c.s.dev_faults, (unsigned long long)c.s.h2d_blocks,
	       (unsigned long long)c.s.d2h_blocks, (unsigned long long)c.s.evictions,
	       (unsigned long long)c.s.prefetch_issued, (unsigned long long)c.s.prefetch_used,
	       (unsigned long long)t.calls);
	GT_EXPECT(c.s.evictions > 0 && c.s.prefetch_issued > 0, "workload evicts and prefetches");
	GT_EXPECT(t.calls > 0, "the twin was not called");
	GT_EXPECT(c.s.dev_faults == t.s.dev_faults && c.s.h2d_blocks == t.s.h2d_blocks &&
		  c.s.d2h_blocks == t.s.d2h_blocks && c.s.evictions == t.s.evictions &&
		  c.s.prefetch_issued == t.s.prefetch_issued &&
		  c.s.prefetch_used == t.s.prefetch_used &&
		  c.s.prefetch_wasted == t.s.prefetch_wasted && c.s.remote_maps == t.s.remote_maps,
		  "twin decided differently: faults %llu/%llu h2d %llu/%llu evictions %llu/%llu prefetch %llu/%llu",
		  (unsigned long long)c.s.dev_faults, (unsigned long long)t.s.dev_faults,
		  (unsigned long long)c.s.h2d_blocks, (unsigned long long)t.s.h2d_blocks,
		  (unsigned long long)c.s.evictions, (unsigned long long)t.s.evictions,
		  (unsigned long long)c.s.prefetch_issued, (unsigned long long)t.s.prefetch_issued);
	GT_EXPECT(t.fallbacks == 0, "%llu fallbacks to the built-in policy",
		  (unsigned long long)t.fallbacks);
}

/* enum gmem_block_flags and GMEM_NO_DEV live in the BTF only (kernel/gm_bpf.h). */
#define BF_DIRTY	(1u << 6)
#define BF_RESIDENT	(1u << 16)
#define BF_INFLIGHT	(1u << 17)
#define NO_DEV		0xff

/* Fault on block @idx (a read) so that blk_probe records its probe block. */
static void probe_step(struct env *e, struct pol *p, uint32_t idx)
{
	int64_t seen = pol_bss(p, "seen");
	uint64_t sum;

	GT_ASSERT(gmt_sim_reduce(e->sfd, e->mem + idx * BS, BS, &sum) == 0, "reduce block %u", idx);
	GT_ASSERT(pol_bss(p, "seen") == seen + 1, "no fault recorded at block %u", idx);
	GT_ASSERT(pol_bss(p, "ret") == 0, "block_state: %lld", (long long)pol_bss(p, "ret"));
}

/*
 * What bpf_gmem_block_state() says about one block through its life under
 * gmem.read_dup=@read_dup: a device read makes it resident and clean (with
 * device-only read copies, the default, on the sim's dirty bits: a clean
 * DEVICE block; with CPU-shared ones: BOTH); a device write makes it
 * DEVICE, RESIDENT and DIRTY; DONTNEED takes it home, neither.
 * gmem_resident_on() agrees, and pref_dev shows the PREFERRED hint.
 */
static void block_flags(int read_dup, int64_t read_state)
{
	uint64_t sum, dup = 0;
	struct env e;
	struct pol p;
	uint32_t f;

	env_open_dup(&e, 8, read_dup);
	GT_ASSERT(gmt_read_u64(PARAM("read_dup"), &dup) == 0 &&
		  dup == (read_dup < 0 ? 1 : (uint64_t)read_dup),
		  "gmem.read_dup %llu (asked %d; the default is 1)", (unsigned long long)dup, read_dup);
	GT_ASSERT(gmt_advise(e.gfd, e.mem, BS, GMEM_ADV_PREFERRED, e.dev, 0) == 0, "preferred");
	pol_start(&p, "blk_probe");
	pol_set_bss(&p, "probe", GMEM_BLK_ID(e.obj, 0));

	GT_ASSERT(gmt_sim_fill(e.sfd, e.mem + 7 * BS, BS, 1) == 0, "unrelated fault");
	GT_EXPECT(pol_bss(&p, "state") == GMEM_BLK_HOST && pol_bss(&p, "dev") == NO_DEV &&
		  !(pol_bss(&p, "flags") & (BF_RESIDENT | BF_DIRTY)) &&
		  !pol_bss(&p, "resident_here"), "host block: state %lld flags %llx",
		  (long long)pol_bss(&p, "state"), (unsigned long long)pol_bss(&p, "flags"));
	GT_EXPECT(pol_bss(&p, "pref_dev") == e.dev, "pref_dev %lld, want %d",
		  (long long)pol_bss(&p, "pref_dev"), e.dev);

	/* The probe block itself: a read, not recorded. */
	GT_ASSERT(gmt_sim_reduce(e.sfd, e.mem, BS, &sum) == 0, "reduce block 0");
	probe_step(&e, &p, 1);
	f = pol_bss(&p, "flags");
	GT_EXPECT(pol_bss(&p, "state") == read_state && pol_bss(&p, "dev") == e.dev &&
		  (f & BF_RESIDENT) && !(f & BF_DIRTY) && pol_bss(&p, "resident_here"),
		  "read copy: state %lld dev %lld flags %x", (long long)pol_bss(&p, "state"),
		  (long long)pol_bss(&p, "dev"), f);

	GT_ASSERT(gmt_sim_fill(e.sfd, e.mem, BS, 0x12345678) == 0, "device write");
	probe_step(&e, &p, 2);
	f = pol_bss(&p, "flags");
	GT_EXPECT(pol_bss(&p, "state") == GMEM_BLK_DEVICE && (f & BF_RESIDENT) &&
		  (f & BF_DIRTY) && pol_bss(&p, "resident_here"),
		  "written: state %lld flags %x", (long long)pol_bss(&p, "state"), f);

	GT_ASSERT(gmt_advise(e.gfd, e.mem, BS, GMEM_ADV_DONTNEED, 0, 0) == 0, "dontneed");
	probe_step(&e, &p, 3);
	f = pol_bss(&p, "flags");
	GT_EXPECT(pol_bss(&p, "state") == GMEM_BLK_HOST && !(f & (BF_RESIDENT | BF_DIRTY)) &&
		  !pol_bss(&p, "resident_here"), "home: state %lld flags %x",
		  (long long)pol_bss(&p, "state"), f);
	GT_EXPECT(((uint32_t *)e.mem)[5] == 0x12345678, "device write lost");
	pol_stop(&p);
	env_close(&e);
}

GT_TEST(block_flags_resident_dirty)
{
	block_flags(-1, GMEM_BLK_DEVICE);
}

GT_TEST(block_flags_resident_dirty_shared_copy)
{
	block_flags(2, GMEM_BLK_BOTH);
}

/*
 * A block whose copy to the device is queued on the copy engines (a
 * WILLNEED hint returns before it lands; gmem_sim.dma_delay_us makes it
 * take 100 ms) is RESIDENT and INFLIGHT to a policy; once the copy has
 * landed, RESIDENT only.
 */
GT_TEST(block_flags_inflight)
{
	struct env e;
	struct pol p;
	uint32_t f;

	env_open(&e, 8);
	GT_ASSERT(gmt_write_str("/sys/module/gmem_sim/parameters/dma_delay_us", "100000") == 0,
		  "dma_delay_us");
	pol_start(&p, "blk_probe");
	pol_set_bss(&p, "probe", GMEM_BLK_ID(e.obj, 0));
	GT_ASSERT(gmt_advise(e.gfd, e.mem, BS, GMEM_ADV_WILLNEED, e.dev, 0) == 0, "WILLNEED");
	probe_step(&e, &p, 1);
	f = pol_bss(&p, "flags");
	GT_EXPECT(pol_bss(&p, "state") == GMEM_BLK_DEVICE && (f & BF_RESIDENT) && (f & BF_INFLIGHT),
		  "copy in flight: state %lld flags %x", (long long)pol_bss(&p, "state"), f);
	GT_ASSERT(gmt_wait_copies(e.gfd) == 0, "copies never landed");
	probe_step(&e, &p, 2);
	f = pol_bss(&p, "flags");
	GT_EXPECT((f & BF_RESIDENT) && !(f & BF_INFLIGHT), "landed: flags %x", f);
	gmt_write_str("/sys/module/gmem_sim/parameters/dma_delay_us", "0");
	pol_stop(&p);
	env_close(&e);
}

GT_MAIN()
