/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shadow_run.h: the run around shadow_ops.h's load, shared by the
 * integrity test (test_reliability_integrity.c) and `make stress`
 * (stress_concurrency.c): NPROC child processes hammer their own objects
 * while the parent attaches, swaps and detaches BPF policies, then every
 * word and every block's checksum on both devices is compared with the
 * shadow copies, and nothing may leak.
 *
 * Included once, after shadow_ops.h, by a test file that has defined first
 * NPROC and swap_candidates[] (policy names tried from /gmem/bpf, in
 * order), and defines after it child(secs, idx): one child process's run
 * (proc_start(), its own threads, proc_finish()), its exit status.
 */
#ifndef GMEM_SHADOW_RUN_H
#define GMEM_SHADOW_RUN_H

static int child(double secs, int idx);

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

/*
 * Set up process @p (child @idx): its object, filled, with its shadow
 * copy, and NTHR worker threads @t on @th that run until @secs from now.
 * 0, or 2 (a set-up failure: the child's exit status).
 */
static int proc_start(struct proc *p, struct thr *t, pthread_t *th, double secs, int idx)
{
	int i, d;

	memset(p, 0, sizeof(*p));
	p->gfd = gmt_open_gmem();
	p->dev[0] = gmt_sim_gmem_id(0);
	p->dev[1] = gmt_sim_gmem_id(1);
	p->mem = gmt_map(p->gfd, (NBLK + SRC_BLK) * BS);
	p->shadow = malloc(NBLK * BS);
	if (p->gfd < 0 || !p->mem || !p->shadow || p->dev[0] < 0 || p->dev[1] < 0)
		return 2;
	p->src = p->mem + (size_t)NBLK * BS / 4;
	gmt_fill_pat(p->src, SRC_BLK * BS / 4, 7);
	gmt_fill_pat(p->mem, NBLK * BS / 4, 100 + idx);
	memcpy(p->shadow, p->mem, NBLK * BS);
	for (i = 0; i < NTHR; i++) {
		t[i] = (struct thr){ .p = p, .id = i, .seed = 0xabc0 + idx * 16 + i,
				     .until = gmt_now() + secs };
		for (d = 0; d < 2; d++)
			if ((t[i].sfd[d] = gmt_sim_open(d)) < 0)
				return 2;
		if (pthread_create(&th[i], NULL, worker, &t[i]))
			return 2;
	}
	return 0;
}

/* Join @p's workers, check everything, add its counts to the tally. */
static void proc_finish(struct proc *p, struct thr *t, pthread_t *th)
{
	int i;

	for (i = 0; i < NTHR; i++)
		pthread_join(th[i], NULL);
	final_check(p, t[0].sfd);
	if (gmt_check_pat(p->src, SRC_BLK * BS / 4, 7) >= 0)
		atomic_fetch_add(&p->bad, 1);
	rel_add(ops, atomic_load(&p->ops));
	rel_add(mismatches, atomic_load(&p->bad));
}

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
		/* prefetch_ahead prefetches from the accessed hook too. */
		if (!strcmp(swap_candidates[i], "prefetch_ahead"))
			*(uint32_t *)pol_rodata(&pols[n], "access_ahead") = 2;
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

/*
 * The whole run: NPROC children for @secs with up to @max_policies (at
 * most 8) swapped in and out, then the checks. @fault_batch: the sim's
 * fault_batch for the run (0: its default).
 */
static void shadow_run(double secs, int max_policies, unsigned int fault_batch)
{
	struct gmem_stats g0, g1;
	struct gmem_policy_status st0, st1;
	struct pol pols[8];
	pid_t kids[NPROC];
	int wst[NPROC], i, n, gfd;
	unsigned long swaps;
	uint64_t refs;

	rel_setup();
	refs = rel_module_refs();
	set_param(PARAM("max_rejects"), 64);
	set_param(PARAM("watchdog_ms"), 1000);
	if (fault_batch)
		set_param("/sys/module/gmem_sim/parameters/fault_batch", fault_batch);
	gfd = gmt_open_gmem();
	GT_ASSERT(gfd >= 0, "open");
	n = load_policies(pols, max_policies < 8 ? max_policies : 8);
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

#endif /* GMEM_SHADOW_RUN_H */
