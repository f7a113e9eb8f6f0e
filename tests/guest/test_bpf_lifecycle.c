// SPDX-License-Identifier: GPL-2.0
/*
 * test_bpf_lifecycle: a policy's life next to the objects' and its own:
 * munmap while the policy picks victims, attach, swap and detach (under
 * load, from the loader tool, at the loader's death), and the module
 * unloading after them. The set-up is test_bpf's (gmem_bpf_test.h): 64 KiB
 * blocks, one device with 16 blocks of HBM, data checked by content.
 */
#include <pthread.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "gmem_bpf_test.h"

/*
 * munmap while another object's faults evict. example_fifo's list starts
 * with the blocks of the object being unmapped, which the destroy frees one
 * by one. Its walk must find the live blocks behind them (a dying block
 * used to end the walk, bpf_gmem_list_next() of it being 0, and the
 * built-in policy evicted instead: a fallback), without an invalid
 * decision on the way. The list holds the unmapped object's last 8 blocks,
 * then 8 of ours. Stream 0 faults more of ours and holds its first victim,
 * the list's head, 20 ms (gmem.debug_evict_delay_us); a thread unmaps
 * meanwhile, and the destroy waits for that victim while stream 1 starts
 * to evict. The destroy also waits 30 ms between marking the object dead
 * and taking its blocks off the lists (gmem.debug_destroy_delay_us), so
 * that stream 1's walks meet the dying blocks on the list every round: a
 * walk used to return the first of them (on a loaded host, one fallback in
 * a clean-clone CI run), and now passes over them.
 */
static void *munmap_thread(void *arg)
{
	GT_ASSERT(munmap(arg, HBM_BLOCKS * BS) == 0, "munmap");
	return NULL;
}

GT_TEST(munmap_leaves_the_policy_its_victims)
{
	const unsigned int nrec = 48, rounds = 4, ours = HBM_BLOCKS / 2, cycle = 24;
	struct gmem_sim_access *recs[2];
	struct gmem_policy_status st0, st;
	struct gmem_sim_wait w;
	unsigned int r, round, s;
	uint64_t seq[2], fallbacks;
	struct env e;
	struct pol p;
	pthread_t th;
	void *big;

	env_open(&e, 2 * HBM_BLOCKS);
	for (s = 0; s < 2; s++) {	/* blocks 8..31 in a cycle: every access evicts */
		recs[s] = calloc(nrec, sizeof(*recs[s]));
		GT_ASSERT(recs[s], "calloc");
		for (r = 0; r < nrec; r++)
			recs[s][r] = (struct gmem_sim_access){
				(uintptr_t)e.mem + (ours + (r + s * cycle / 2) % cycle) * BS, 4, 0 };
	}
	pol_start(&p, "example_fifo");
	st0 = status(e.gfd);
	for (round = 0; round < rounds; round++) {
		big = gmt_map(e.gfd, HBM_BLOCKS * BS);
		GT_ASSERT(big, "mmap");
		GT_ASSERT(gmt_sim_fill(e.sfd, big, HBM_BLOCKS * BS, round) == 0, "fill HBM");
		GT_ASSERT(sweep(&e, 0, ours) == ours, "our blocks behind the last 8 of big");
		set_param(PARAM("debug_evict_delay_us"), 20000);
		set_param(PARAM("debug_destroy_delay_us"), 30000);
		for (s = 0; s < 2; s++) {
			GT_ASSERT(gmt_sim_launch(e.sfd, GMEM_SIM_TRACE, GMEM_SIM_F_STREAM(s), recs[s],
						 NULL, nrec, 0, &seq[s]) == 0, "launch %u", s);
			usleep(4000);
			if (!s)
				GT_ASSERT(pthread_create(&th, NULL, munmap_thread, big) == 0, "thread");
			usleep(4000);
		}
		GT_ASSERT(pthread_join(th, NULL) == 0, "join");
		for (s = 0; s < 2; s++)
			GT_ASSERT(gmt_sim_wait(e.sfd, seq[s], &w) == 0, "trace %u", s);
		set_param(PARAM("debug_evict_delay_us"), 0);
		set_param(PARAM("debug_destroy_delay_us"), 0);
	}
	st = status(e.gfd);
	fallbacks = st.fallbacks - st0.fallbacks;
	gt_log("%u rounds: bad ids %llu, fallbacks %llu", rounds,
	       (unsigned long long)(st.rejects[GMEM_REJ_BAD_ID] - st0.rejects[GMEM_REJ_BAD_ID]),
	       (unsigned long long)fallbacks);
	GT_EXPECT(st.rejects[GMEM_REJ_BAD_ID] == st0.rejects[GMEM_REJ_BAD_ID],
		  "naming a dying object's block counted as invalid");
	GT_EXPECT(!fallbacks, "the built-in policy chose victims behind dying blocks");
	GT_EXPECT(st.active && !strcmp(st.name, "fifo"), "policy ejected: %s",
		  st.last_exit.msg);
	for (s = 0; s < 2; s++)
		free(recs[s]);
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

/*
 * map_fifo keeps its victims in its own memory and forgets a block at its
 * evicted call, which for an object being unmapped comes block by block as
 * the destroy frees them: until then it names the dying blocks as victims.
 * That is no invalid decision (the policy cannot know), so the core must
 * answer -ENOENT without counting it; counted, a large object's stale ids
 * would get a correct policy ejected (gmem.max_rejects per second).
 * HBM holds only the unmapped object's blocks. Stream 0's first fault
 * takes the oldest as its victim and holds it 100 ms
 * (gmem.debug_evict_delay_us); the object is unmapped meanwhile, and its
 * destroy waits for that block while stream 1's fault asks for victims.
 * Repeated until the policy has named a dying block (the timing is the
 * guest's), at most 5 times.
 */
GT_TEST(map_policy_names_dying_blocks)
{
	struct gmem_sim_access recs[2][4];
	struct gmem_policy_status st0, st;
	unsigned int s, r, round;
	struct gmem_sim_wait w;
	uint64_t seq[2];
	struct env e;
	struct pol p;
	pthread_t th;
	void *big;
	double t0;

	env_open(&e, 8);
	for (s = 0; s < 2; s++)
		for (r = 0; r < 4; r++)
			recs[s][r] = (struct gmem_sim_access){
				(uintptr_t)e.mem + (s * 4 + r) * BS, 4, 0 };
	pol_start(&p, "map_fifo");
	st0 = status(e.gfd);
	for (round = 0; round < 5 && !pol_bss(&p, "stale"); round++) {
		big = gmt_map(e.gfd, HBM_BLOCKS * BS);
		GT_ASSERT(big, "mmap");
		GT_ASSERT(gmt_sim_fill(e.sfd, big, HBM_BLOCKS * BS, round) == 0, "fill HBM");
		pol_set_bss(&p, "nominated", 0);
		set_param(PARAM("debug_evict_delay_us"), 100000);
		GT_ASSERT(gmt_sim_launch(e.sfd, GMEM_SIM_TRACE, GMEM_SIM_F_STREAM(0), recs[0],
					 NULL, 4, 0, &seq[0]) == 0, "launch 0");
		for (t0 = gmt_now(); !pol_bss(&p, "nominated"); usleep(1000))
			GT_ASSERT(gmt_now() - t0 < 5, "stream 0 evicted nothing");
		GT_ASSERT(pthread_create(&th, NULL, munmap_thread, big) == 0, "thread");
		usleep(20000);
		GT_ASSERT(gmt_sim_launch(e.sfd, GMEM_SIM_TRACE, GMEM_SIM_F_STREAM(1), recs[1],
					 NULL, 4, 0, &seq[1]) == 0, "launch 1");
		usleep(50000);
		set_param(PARAM("debug_evict_delay_us"), 0);
		GT_ASSERT(pthread_join(th, NULL) == 0, "join");
		for (s = 0; s < 2; s++)
			GT_ASSERT(gmt_sim_wait(e.sfd, seq[s], &w) == 0 && !w.status, "trace %u", s);
	}
	st = status(e.gfd);
	gt_log("%u rounds: %lld dying blocks named, bad ids %llu", round,
	       (long long)pol_bss(&p, "stale"),
	       (unsigned long long)(st.rejects[GMEM_REJ_BAD_ID] - st0.rejects[GMEM_REJ_BAD_ID]));
	GT_ASSERT(pol_bss(&p, "stale") > 0, "the policy never named a dying block");
	GT_EXPECT(st.rejects[GMEM_REJ_BAD_ID] == st0.rejects[GMEM_REJ_BAD_ID],
		  "naming a dying object's block counted as invalid");
	GT_EXPECT(st.active && !strcmp(st.name, "map_fifo"), "policy ejected: %s",
		  st.last_exit.msg);
	check_data(&e);
	pol_stop(&p);
	env_close(&e);
}

GT_TEST(second_policy_gets_ebusy)
{
	struct pol a, b;
	struct env e;
	int err;

	env_open(&e, 1);
	pol_start(&a, "example_fifo");
	pol_open(&b, "mru");
	pol_load(&b);
	err = pol_attach(&b);
	GT_ASSERT(err == -EBUSY, "second attach: %d", err);
	GT_ASSERT(!strcmp(status(e.gfd).name, "fifo"), "first one replaced");
	pol_detach(&a);
	GT_ASSERT(!strcmp(status(e.gfd).name, "builtin"), "detach");
	GT_ASSERT(status(e.gfd).last_exit.kind == GMEM_EXIT_UNREG, "unreg exit kind");
	GT_ASSERT(pol_attach(&b) == 0, "attach after detach");
	GT_ASSERT(!strcmp(status(e.gfd).name, "mru"), "mru in charge");
	pol_close(&b);
	pol_close(&a);
	env_close(&e);
}

/* An ejected policy whose link is still held blocks nobody, and its unreg harms nobody. */
GT_TEST(ejected_policy_link_blocks_nothing)
{
	struct gmem_policy_status st;
	struct pol bad, good;
	struct env e;

	env_open(&e, 8);
	pol_start(&bad, "error_exit");
	sweep(&e, 0, 8);
	GT_ASSERT(status(e.gfd).last_exit.kind == GMEM_EXIT_ERROR, "not ejected");
	pol_start(&good, "example_fifo");
	pol_detach(&bad);
	st = status(e.gfd);
	GT_ASSERT(st.active && !strcmp(st.name, "fifo"), "fifo lost: %s", st.name);
	GT_ASSERT(st.last_exit.kind == GMEM_EXIT_ERROR, "old unreg rewrote last_exit");
	sweep(&e, 0, 8);
	check_data(&e);
	pol_stop(&good);
	GT_ASSERT(status(e.gfd).last_exit.kind == GMEM_EXIT_UNREG, "fifo's unreg");
	pol_stop(&bad);
	env_close(&e);
}

/* Fill on the device, reduce, compare, until told to stop; exit 0 if all matched. */
static void workload_child(int stop_fd)
{
	struct env e;
	uint64_t sum, want, rounds = 0;
	uint32_t v;
	char c;

	env_open(&e, 24);
	for (v = 1; read(stop_fd, &c, 1) < 0 && errno == EAGAIN; v++, rounds++) {
		want = (uint64_t)v * (24 * BS / 4);
		GT_ASSERT(gmt_sim_fill(e.sfd, e.mem, 24 * BS, v) == 0, "fill");
		GT_ASSERT(gmt_sim_reduce(e.sfd, e.mem, 24 * BS, &sum) == 0, "reduce");
		GT_ASSERT(sum == want, "round %llu: sum %llu, want %llu", (unsigned long long)rounds,
			  (unsigned long long)sum, (unsigned long long)want);
		GT_ASSERT(((uint32_t *)e.mem)[v % (24 * BS / 4)] == v, "CPU view, round %u", v);
	}
	gt_log("workload: %llu rounds verified", (unsigned long long)rounds);
	GT_ASSERT(rounds > 0, "no round completed");
	GT_ASSERT(munmap(e.mem, 24 * BS) == 0, "munmap");
	_exit(0);
}

/* Attach, swap (BPF_LINK_UPDATE) and detach 100 times while a workload runs. */
GT_TEST(load_swap_unload_100_under_load)
{
	static const char *const names[] = { "example_fifo", "mru", "builtin_lru" };
	static const char *const ops_names[] = { "fifo", "mru", "builtin_lru" };
	struct gmem_policy_status st0, st;
	struct pol pols[3];
	int pipefd[2], wst, i, err;
	struct env e;
	pid_t child;

	GT_ASSERT(pipe(pipefd) == 0, "pipe");
	child = fork();
	GT_ASSERT(child >= 0, "fork");
	if (child == 0) {
		close(pipefd[1]);
		fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
		workload_child(pipefd[0]);
	}
	close(pipefd[0]);
	env_open(&e, 1);
	for (i = 0; i < 3; i++) {
		pol_open(&pols[i], names[i]);
		pol_load(&pols[i]);
	}
	st0 = status(e.gfd);
	for (i = 0; i < 100; i++) {
		struct pol *p = &pols[i % 3], *q = &pols[(i + 1) % 3];

		err = pol_attach(p);
		GT_ASSERT(!err, "attach %d: %s", i, strerror(-err));
		if (i % 2) {
			err = bpf_link__update_map(p->link, q->ops);
			GT_ASSERT(!err, "swap %d: %s", i, strerror(-err));
			GT_ASSERT(!strcmp(status(e.gfd).name, ops_names[(i + 1) % 3]),
				  "swap %d: %s in charge", i, status(e.gfd).name);
		}
		pol_detach(p);
		usleep(2000);
	}
	GT_ASSERT(write(pipefd[1], "x", 1) == 1, "stop");
	GT_ASSERT(waitpid(child, &wst, 0) == child, "wait");
	GT_ASSERT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "workload failed (status %#x)", wst);
	st = status(e.gfd);
	GT_ASSERT(st.loads - st0.loads == 150, "loads %llu", (unsigned long long)(st.loads - st0.loads));
	GT_ASSERT(st.ejections == st0.ejections, "ejections");
	GT_ASSERT(!st.active, "a policy is left");
	gt_log("150 attaches, 100 detaches; %llu hook calls", (unsigned long long)(st.hook_calls -
										   st0.hook_calls));
	for (i = 0; i < 3; i++)
		pol_close(&pols[i]);
	env_close(&e);
}

/* The loader tool: pin, status, unpin (bpffs unlink frees the link later). */
GT_TEST(loader_tool_pins_and_unpins)
{
	struct env e;
	int i;

	env_open(&e, 1);
	GT_ASSERT(system("gmem-policy-load -s nosuch=1 " BPF_DIR "/example_fifo.bpf.o 2>/dev/null")
		  != 0, "unknown -s variable accepted");
	GT_ASSERT(system("gmem-policy-load -p /sys/fs/bpf/gmem-test " BPF_DIR
			 "/prefetch_ahead.bpf.o -s ahead=2 >/dev/null") == 0, "load");
	GT_ASSERT(!strcmp(status(e.gfd).name, "prefetch_ahead"), "status %s", status(e.gfd).name);
	GT_ASSERT(system("gmem-policy-load -u /sys/fs/bpf/gmem-test/prefetch_ahead_ops") == 0,
		  "unpin");
	for (i = 0; i < 100 && status(e.gfd).active; i++)
		usleep(20000);
	GT_ASSERT(!status(e.gfd).active, "still attached 2 s after unpin");
	rmdir("/sys/fs/bpf/gmem-test");
	env_close(&e);
}

/* The loader dies: its link is released and the built-in policy takes over. */
GT_TEST(loader_death_detaches)
{
	struct gmem_policy_status st;
	struct env e;
	pid_t pid;
	int i, wst;

	env_open(&e, 4);
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execlp("gmem-policy-load", "gmem-policy-load", BPF_DIR "/mru.bpf.o", NULL);
		_exit(127);
	}
	for (i = 0; i < 250 && !status(e.gfd).active; i++)
		usleep(20000);
	GT_ASSERT(!strcmp(status(e.gfd).name, "mru"), "loader did not attach");
	sweep(&e, 0, 4);
	GT_ASSERT(kill(pid, SIGKILL) == 0 && waitpid(pid, &wst, 0) == pid, "kill loader");
	for (i = 0; i < 100 && status(e.gfd).active; i++)
		usleep(20000);
	st = status(e.gfd);
	GT_ASSERT(!st.active, "still attached after the loader died");
	GT_ASSERT(st.last_exit.kind == GMEM_EXIT_UNREG && !strcmp(st.last_exit.policy, "mru"),
		  "last exit %u %s", st.last_exit.kind, st.last_exit.policy);
	sweep(&e, 0, 4);
	check_data(&e);
	env_close(&e);
}

/* Last: no policy leaves the core busy; it unloads (retrying while maps are freed). */
GT_TEST(module_unloads_after_policies)
{
	int i, err = -EBUSY;

	GT_ASSERT(gmt_rmmod("gmem_sim") == 0, "rmmod gmem_sim");
	for (i = 0; i < 100 && err; i++) {
		err = gmt_rmmod("gmem");
		if (err)
			usleep(50000);
	}
	GT_ASSERT(!err, "rmmod gmem: %s", strerror(-err));
	GT_ASSERT(system("gmem-modules load") == 0, "reload");
}

GT_MAIN()
