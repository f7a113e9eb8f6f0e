// SPDX-License-Identifier: GPL-2.0
/*
 * test_core_async: migrations queued on the device's copy engines
 * (gm_copy.c, gmem_sim's sim_dma.c). A hint or a write-back returns while
 * its copies are in flight; whatever needs the data then waits for that
 * copy: the device (ordered by its driver), a CPU fault, munmap, process
 * exit, device unregister. gmem_sim.dma_delay_us makes every copy take
 * 20 ms so that each of those arrives while the copy is still running.
 *
 * Geometry: 64 KiB blocks, one device with 1 MiB of HBM (16 blocks).
 */
#include <signal.h>
#include <sys/wait.h>

#include "gmempolicy.h"

#define BS		(64 * 1024UL)
#define HBM_BLOCKS	16
#define NB		8
#define DELAY		"/sys/module/gmem_sim/parameters/dma_delay_us"
#define ASYNC		"/sys/module/gmem_sim/parameters/async_copies"
#define EVICT_DELAY	"/sys/module/gmem/parameters/debug_evict_delay_us"

#include "core_test.h"

static void setup_devs(unsigned int nr)
{
	char c = 0;
	FILE *f;

	GT_ASSERT(gmt_setup(BS, HBM_BLOCKS * BS / GMT_MiB, nr) == 0, "module reload");
	f = fopen(ASYNC, "r");
	if (f) {
		c = (char)fgetc(f);
		fclose(f);
	}
	GT_ASSERT(c == 'Y', "gmem_sim loaded without copy engines");
	GT_ASSERT(gmt_write_str(DELAY, "20000") == 0, "set dma_delay_us");
	core_open();
}

static void setup(void)
{
	setup_devs(1);
}

static void teardown(void)
{
	gmt_write_str(DELAY, "0");
	core_close();
}

static struct gmem_stats dstats(void)
{
	struct gmem_dev_info di;

	GT_ASSERT(gmt_dev_info(gfd, devid, &di) == 0, "dev info");
	return di.stats;
}

/* Wait (up to 5 s) until no copy is in flight on the device. */
static void wait_idle(void)
{
	int i;

	for (i = 0; i < 500 && dstats().inflight; i++)
		usleep(10000);
	GT_EXPECT(dstats().inflight == 0, "copies still in flight: %llu", U(dstats().inflight));
}

/*
 * WILLNEED returns with the copies queued: the blocks are in flight
 * (without copy engines it would return with every copy done). The device
 * reads them at once and must see the host's data, not what HBM held.
 */
GT_TEST(hint_returns_with_copies_in_flight)
{
	struct gmem_stats s0, s;
	uint64_t sum = 0;
	uint32_t *p;

	setup();
	p = map_pat(NB, 1);
	s0 = dstats();
	GT_ASSERT(gmt_advise(gfd, p, NB * BS, GMEM_ADV_WILLNEED, devid, 0) == 0, "WILLNEED");
	s = dstats();
	GT_EXPECT(s.inflight > 0, "no block in flight after the hint (h2d %llu)", U(s.h2d_blocks));
	GT_ASSERT(gmt_sim_reduce(sfd, p, NB * BS, &sum) == 0, "reduce");
	GT_EXPECT(sum == pat_sum(NB, 1), "device read %llx before its copy landed, want %llx",
		  U(sum), U(pat_sum(NB, 1)));
	wait_idle();
	s = dstats();
	GT_EXPECT(s.h2d_blocks - s0.h2d_blocks == NB && s.dev_faults == s0.dev_faults,
		  "h2d %llu faults %llu", U(s.h2d_blocks - s0.h2d_blocks),
		  U(s.dev_faults - s0.dev_faults));
	GT_ASSERT(munmap(p, NB * BS) == 0, "munmap");
	teardown();
}

/*
 * The device wrote the blocks; DONTNEED queues their write-back and returns.
 * A CPU read right after must wait for it and see the device's data.
 */
GT_TEST(cpu_read_waits_for_writeback)
{
	struct gmem_stats s0, s1;
	uint32_t *p;
	size_t i;

	setup();
	p = map_pat(NB, 2);
	GT_ASSERT(gmt_sim_fill(sfd, p, NB * BS, 0x5a5a0001) == 0, "device fill");
	s0 = dstats();
	GT_ASSERT(gmt_advise(gfd, p, NB * BS, GMEM_ADV_DONTNEED, devid, 0) == 0, "DONTNEED");
	for (i = 0; i < NB * BS / 4; i++)
		if (p[i] != 0x5a5a0001)
			break;
	GT_EXPECT(i == NB * BS / 4, "word %zu is %x: the write-back had not landed", i,
		  i < NB * BS / 4 ? p[i] : 0);
	s1 = dstats();
	GT_EXPECT(s1.d2h_blocks - s0.d2h_blocks == NB, "d2h %llu", U(s1.d2h_blocks - s0.d2h_blocks));
	GT_EXPECT(s1.copy_waits > s0.copy_waits, "no CPU fault waited for a copy");
	wait_idle();
	GT_ASSERT(munmap(p, NB * BS) == 0, "munmap");
	teardown();
}

/*
 * Evictions queue write-backs and hand the HBM blocks to the next owner at
 * once: its copy in must wait for the write-back out (the driver orders
 * both on the block). Two objects of a full HBM each, written on the device
 * in turn, both read back intact by the CPU.
 */
GT_TEST(eviction_writeback_before_reuse)
{
	uint32_t *a, *b;
	uint64_t sum = 0;

	setup();
	a = map_pat(HBM_BLOCKS, 3);
	b = map_pat(HBM_BLOCKS, 4);
	GT_ASSERT(gmt_sim_fill(sfd, a, HBM_BLOCKS * BS, 0xa0a0a0a0) == 0, "fill a");
	GT_ASSERT(gmt_sim_reduce(sfd, b, HBM_BLOCKS * BS, &sum) == 0, "reduce b (evicts a)");
	GT_EXPECT(sum == pat_sum(HBM_BLOCKS, 4), "device read b as %llx, want %llx", U(sum),
		  U(pat_sum(HBM_BLOCKS, 4)));
	GT_EXPECT(gmt_check_pat(b, HBM_BLOCKS * BS / 4, 4) < 0, "CPU read of b differs");
	GT_EXPECT(a[0] == 0xa0a0a0a0 && a[HBM_BLOCKS * BS / 4 - 1] == 0xa0a0a0a0,
		  "a lost its device writes: %x %x", a[0], a[HBM_BLOCKS * BS / 4 - 1]);
	wait_idle();
	GT_ASSERT(munmap(a, HBM_BLOCKS * BS) == 0 && munmap(b, HBM_BLOCKS * BS) == 0, "munmap");
	teardown();
}

/*
 * A block dirty on sim0 that sim1 faults in as a remote mapping (its
 * preferred location is the host): the write-back must have landed before
 * sim1 maps the host pages. (When the fault queued that write-back, the
 * remote map did not wait for it; the fault now copies back at once, and
 * the remote map still waits for any write-back in flight.)
 */
GT_TEST(remote_map_waits_for_writeback)
{
	int sfd1, devid1;
	uint64_t sum = 0;
	uint32_t *p;

	setup_devs(2);
	sfd1 = gmt_sim_open(1);
	GT_ASSERT(sfd1 >= 0, "open sim1");
	devid1 = gmt_sim_gmem_id(1);
	p = map_pat(NB, 13);
	GT_ASSERT(gmt_sim_fill(sfd, p, NB * BS, 3) == 0, "sim0 fill");
	GT_ASSERT(gmt_advise(gfd, p, NB * BS, GMEM_ADV_PREFERRED, GMEM_DEV_HOST, 0) == 0,
		  "PREFERRED host");
	GT_ASSERT(gmt_sim_reduce(sfd1, p, NB * BS, &sum) == 0, "sim1 reduce");
	GT_EXPECT(sum == 3ULL * (NB * BS / 4), "sim1 read %llx over the bus, want %llx", U(sum),
		  U(3ULL * (NB * BS / 4)));
	GT_EXPECT(dstats().remote_maps == 0, "sim0 made remote maps");
	{
		struct gmem_dev_info di;

		GT_ASSERT(gmt_dev_info(gfd, devid1, &di) == 0, "dev info 1");
		GT_EXPECT(di.stats.remote_maps >= NB, "sim1 remote maps %llu",
			  U(di.stats.remote_maps));
	}
	wait_idle();
	close(sfd1);
	GT_ASSERT(munmap(p, NB * BS) == 0, "munmap");
	teardown();
}

/* munmap while copies in both directions are in flight frees nothing early. */
GT_TEST(munmap_with_copies_in_flight)
{
	uint32_t *p, *q;

	setup();
	p = map_pat(NB, 5);
	q = map_pat(NB, 6);
	GT_ASSERT(gmt_sim_fill(sfd, q, NB * BS, 7) == 0, "device fill");
	GT_ASSERT(gmt_advise(gfd, q, NB * BS, GMEM_ADV_DONTNEED, devid, 0) == 0, "DONTNEED");
	GT_ASSERT(gmt_advise(gfd, p, NB * BS, GMEM_ADV_WILLNEED, devid, 0) == 0, "WILLNEED");
	GT_EXPECT(dstats().inflight > 0, "nothing in flight to race with");
	GT_ASSERT(munmap(p, NB * BS) == 0 && munmap(q, NB * BS) == 0, "munmap");
	GT_EXPECT(dstats().inflight == 0, "munmap returned with %llu copies in flight",
		  U(dstats().inflight));
	teardown();
}

/* A process killed while its hints keep copies in flight leaves nothing behind. */
GT_TEST(sigkill_with_copies_in_flight)
{
	int status, i;
	pid_t pid;

	setup();
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		uint32_t *p;

		/* Its own files: a device file serves the mm that opened it. */
		gfd = gmt_open_gmem();
		sfd = gmt_sim_open(0);
		p = gmt_map(gfd, HBM_BLOCKS * BS);
		if (gfd < 0 || sfd < 0 || !p)
			_exit(1);
		gmt_fill_pat(p, HBM_BLOCKS * BS / 4, 8);

		for (;;) {
			gmt_advise(gfd, p, HBM_BLOCKS * BS, GMEM_ADV_WILLNEED, devid, 0);
			gmt_sim_fill(sfd, p, HBM_BLOCKS * BS, 9);
			gmt_advise(gfd, p, HBM_BLOCKS * BS, GMEM_ADV_DONTNEED, devid, 0);
		}
	}
	for (i = 0; i < 200 && !dstats().inflight; i++)
		usleep(5000);
	GT_EXPECT(dstats().inflight > 0, "the child never had a copy in flight");
	kill(pid, SIGKILL);
	GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	GT_EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %x", status);
	wait_idle();
	teardown();
}

/*
 * A SIGKILL that arrives after an eviction round chose its victims (the
 * task waited for a victim's copy, and got its CPU back only after the copy
 * landed and the kill came) ends the round: the killed hint evicts nothing
 * more. gmem.debug_evict_delay_us holds each round 50 ms between choosing
 * and moving its victims, so the kill lands there; the copies are fast.
 */
GT_TEST(sigkill_in_eviction_round_evicts_nothing)
{
	struct gmem_stats s0, s1;
	int status, i;
	pid_t pid;

	setup();
	GT_ASSERT(gmt_write_str(DELAY, "0") == 0, "dma_delay_us");
	GT_ASSERT(gmt_write_str(EVICT_DELAY, "50000") == 0, "gmem.debug_evict_delay_us");
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		uint32_t *p;

		gfd = gmt_open_gmem();
		p = gmt_map(gfd, 2 * HBM_BLOCKS * BS);
		if (gfd < 0 || !p)
			_exit(1);
		gmt_fill_pat(p, 2 * HBM_BLOCKS * BS / 4, 10);
		/* The second half evicts the first, one 50 ms round a block. */
		gmt_advise(gfd, p, 2 * HBM_BLOCKS * BS, GMEM_ADV_WILLNEED, devid, 0);
		_exit(0);
	}
	for (i = 0; i < 500 && dstats().evictions < 2; i++)
		usleep(10000);
	GT_EXPECT(dstats().evictions >= 2, "the child's hint never evicted");
	usleep(10000);
	kill(pid, SIGKILL);
	s0 = dstats();
	GT_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	s1 = dstats();
	GT_EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "status %x", status);
	GT_EXPECT(s1.evictions == s0.evictions && s1.h2d_blocks == s0.h2d_blocks,
		  "after the kill the hint evicted %llu and moved in %llu more blocks",
		  U(s1.evictions - s0.evictions), U(s1.h2d_blocks - s0.h2d_blocks));
	gmt_write_str(EVICT_DELAY, "0");
	wait_idle();
	teardown();
}

/*
 * A hint waiting for a busy victim takes the HBM a munmap frees meanwhile
 * instead of evicting a block in use once the victim comes free. HBM: 15
 * pinned blocks and Z. Hint A's eviction round takes Z and holds it 100 ms
 * (gmem.debug_evict_delay_us); hint B finds only Z, busy, and waits; the
 * pinned object is unmapped meanwhile. B must then move in without an
 * eviction: before, it waited for a victim of its own and evicted A's block
 * when A was done (and with the victim held past 2 s it would have failed
 * with -ENOMEM, 15 blocks free).
 */
GT_TEST(waiting_for_a_victim_takes_freed_room)
{
	struct gmt_hint ha, hb;
	struct gmem_stats s0, s1;
	uint32_t *pinned, *z, *a, *b;
	int ret_a, ret_b;

	setup();
	GT_ASSERT(gmt_write_str(DELAY, "0") == 0, "dma_delay_us");
	pinned = map_pat(HBM_BLOCKS - 1, 30);
	z = map_pat(1, 31);
	a = map_pat(1, 32);
	b = map_pat(1, 33);
	GT_ASSERT(gmt_advise(gfd, pinned, (HBM_BLOCKS - 1) * BS, GMEM_ADV_PIN, devid, 0) == 0,
		  "pin");
	expect_reduce(z, 1, pat_sum(1, 31));
	s0 = dstats();
	GT_ASSERT(gmt_write_str(EVICT_DELAY, "100000") == 0, "gmem.debug_evict_delay_us");
	GT_ASSERT(gmt_hint_start(&ha, gfd, a, BS, GMEM_ADV_WILLNEED, devid) == 0, "thread A");
	usleep(20000);
	GT_ASSERT(gmt_hint_start(&hb, gfd, b, BS, GMEM_ADV_WILLNEED, devid) == 0, "thread B");
	usleep(30000);
	GT_ASSERT(munmap(pinned, (HBM_BLOCKS - 1) * BS) == 0, "munmap");
	ret_a = gmt_hint_join(&ha);
	ret_b = gmt_hint_join(&hb);
	gmt_write_str(EVICT_DELAY, "0");
	s1 = dstats();
	GT_EXPECT(ret_a == 0 && ret_b == 0, "hints: %d, %d", ret_a, ret_b);
	GT_EXPECT(s1.evictions - s0.evictions == 1, "%llu evictions, want 1 (Z)",
		  U(s1.evictions - s0.evictions));
	GT_EXPECT(ostats(a).h2d_blocks == 1 && ostats(b).h2d_blocks == 1, "A or B not moved in");
	wait_idle();
	expect_reduce(a, 1, pat_sum(1, 32));
	expect_reduce(b, 1, pat_sum(1, 33));
	munmap(z, BS);
	munmap(a, BS);
	munmap(b, BS);
	teardown();
}

/*
 * A policy ejected while the copies its decisions caused are in flight:
 * the copies belong to the core, so nothing is lost. lru_cold picks the
 * victims of a hint that needs the whole HBM (their write-backs and the
 * copies in are queued), and is detached before they land.
 */
GT_TEST(policy_ejected_mid_copy)
{
	struct gmem_policy *pol;
	uint64_t sum = 0;
	uint32_t *p;
	size_t i;
	int err;

	setup();
	err = gmem_policy_open("/gmem/bpf/lru_cold.bpf.o", &pol);
	GT_ASSERT(!err, "open lru_cold: %s", strerror(-err));
	err = gmem_policy_load(pol);
	GT_ASSERT(!err, "load: %s", strerror(-err));
	err = gmem_policy_attach(pol);
	GT_ASSERT(!err, "attach: %s", strerror(-err));
	p = map_pat(2 * HBM_BLOCKS, 12);
	GT_ASSERT(gmt_sim_fill(sfd, p, HBM_BLOCKS * BS, 0x77) == 0, "device fill");
	GT_ASSERT(gmt_advise(gfd, (char *)p + HBM_BLOCKS * BS, HBM_BLOCKS * BS,
			     GMEM_ADV_WILLNEED, devid, 0) == 0, "WILLNEED");
	GT_EXPECT(dstats().inflight > 0, "nothing in flight when the policy left");
	gmem_policy_close(pol);
	GT_ASSERT(gmt_sim_reduce(sfd, (char *)p + HBM_BLOCKS * BS, HBM_BLOCKS * BS, &sum) == 0,
		  "reduce");
	GT_EXPECT(sum == pat_sum_at(HBM_BLOCKS, HBM_BLOCKS, 12), "device read %llx, want %llx",
		  U(sum), U(pat_sum_at(HBM_BLOCKS, HBM_BLOCKS, 12)));
	for (i = 0; i < HBM_BLOCKS * BS / 4; i++)
		if (p[i] != 0x77)
			break;
	GT_EXPECT(i == HBM_BLOCKS * BS / 4, "word %zu lost its device write: %x", i,
		  i < HBM_BLOCKS * BS / 4 ? p[i] : 0);
	wait_idle();
	GT_ASSERT(munmap(p, 2 * HBM_BLOCKS * BS) == 0, "munmap");
	teardown();
}

/*
 * Device unregister (rmmod gmem_sim) with write-backs in flight: the core
 * waits for every copy it was given before the driver goes, and the data
 * is on the host afterwards. Without the wait the core would later drop a
 * fence whose ops were unloaded with the module.
 */
GT_TEST(unregister_with_copies_in_flight)
{
	uint32_t *p, *q;
	int ret, i;

	setup();
	p = map_pat(NB, 10);
	q = map_pat(NB, 11);
	GT_ASSERT(gmt_sim_fill(sfd, p, NB * BS, 0x1234) == 0, "fill p");
	GT_ASSERT(gmt_sim_fill(sfd, q, NB * BS, 0x5678) == 0, "fill q");
	close(sfd);
	sfd = -1;
	/* q's write-backs are queued; p stays on the device for the drain. */
	GT_ASSERT(gmt_advise(gfd, q, NB * BS, GMEM_ADV_DONTNEED, devid, 0) == 0, "DONTNEED");
	for (i = 0; i < 100; i++) {
		ret = gmt_rmmod("gmem_sim");
		if (ret != -EWOULDBLOCK && ret != -EAGAIN)
			break;
		usleep(10000);
	}
	GT_ASSERT(ret == 0, "rmmod gmem_sim: %s", strerror(-ret));
	GT_EXPECT(p[0] == 0x1234 && p[NB * BS / 4 - 1] == 0x1234, "p: %x %x", p[0],
		  p[NB * BS / 4 - 1]);
	GT_EXPECT(q[0] == 0x5678 && q[NB * BS / 4 - 1] == 0x5678, "q: %x %x", q[0],
		  q[NB * BS / 4 - 1]);
	GT_ASSERT(munmap(p, NB * BS) == 0 && munmap(q, NB * BS) == 0, "munmap");
	close(gfd);
	GMT_ASSERT_NO_LEAK();
	GT_ASSERT(gmt_reload(NULL, NULL) == 0, "reload with defaults");
}

GT_MAIN()
