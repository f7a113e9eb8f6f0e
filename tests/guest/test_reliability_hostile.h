/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_reliability_hostile.h: what the issue-12 reliability programs
 * (test_reliability_{gup,protect,dos,hooks,edges}.c) share:
 *   - a root bystander process that keeps using its own unified memory on
 *     both devices and checks it, beside whatever a test does; the test
 *     passes only if the bystander survives with every job and word right;
 *   - dropping to uid 65534 in a child;
 *   - a mover thread that keeps moving a range between the two devices
 *     (device reads on gmem_sim0 and gmem_sim1 in turn), paused to check;
 *   - content checks that count differing blocks, and relative-latency
 *     checks for the kill/hold-time tests.
 * Include after gtest.h, gmem_test_util.h and test_reliability.h.
 */
#ifndef TEST_RELIABILITY_HOSTILE_H
#define TEST_RELIABILITY_HOSTILE_H

#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>

#define REL_NOBODY	65534
#define REL_MODULE_INIT_COMPRESSED_FILE	4	/* finit_module(2) flag */

/* In a forked child: become uid/gid 65534 without capabilities. */
static inline void rel_become_nobody(void)
{
	GT_ASSERT(setgroups(0, NULL) == 0 && setresgid(REL_NOBODY, REL_NOBODY, REL_NOBODY) == 0 &&
		  setresuid(REL_NOBODY, REL_NOBODY, REL_NOBODY) == 0, "setuid nobody: %s",
		  strerror(errno));
}

/* A core module parameter if the module has it: 0, or -ENOENT. */
static inline int rel_core_param(const char *name, const char *val)
{
	char path[160];

	snprintf(path, sizeof(path), REL_CORE_PARAM "%s", name);
	if (access(path, F_OK))
		return -ENOENT;
	return gmt_write_str(path, val);
}

/* -------------------------------------------------------------- bystander */

struct rel_byst {
	pid_t pid;
	const char *why;	/* what the test does beside it, for the log */
};

#define REL_BYST_BLOCKS	2

/*
 * Told to stop by SIGUSR1, not by a pipe: every child the test forks later
 * would inherit the pipe's write end and keep it from closing.
 */
static volatile sig_atomic_t rel_byst_stopping;

static inline void rel_byst_on_usr1(int sig)
{
	(void)sig;
	rel_byst_stopping = 1;
}

/*
 * The bystander's loop; its exit status says what went wrong. It writes to
 * @ran once its first round is done, so the test's work runs beside a
 * bystander that is already working, not before it has started.
 */
static inline int rel_byst_main(int ran)
{
	int gfd = gmt_open_gmem(), s[2] = { gmt_sim_open(0), gmt_sim_open(1) };
	size_t len = REL_BYST_BLOCKS * REL_BS, words = len / 4;
	uint32_t *m = gfd >= 0 ? gmt_map(gfd, len) : NULL;
	unsigned long r;
	uint64_t sum;

	if (!m || s[0] < 0 || s[1] < 0)
		return 2;
	for (r = 0; !rel_byst_stopping; r++) {
		gmt_fill_pat(m, words, (uint32_t)r);
		if (gmt_sim_reduce(s[r % 2], m, len, &sum))
			return 3;
		if (sum != gmt_sum32(m, words))
			return 4;
		if (gmt_sim_fill(s[(r + 1) % 2], m, len, (uint32_t)r))
			return 5;
		if (m[0] != (uint32_t)r || m[words - 1] != (uint32_t)r)
			return 6;
		if (!r && (write(ran, "r", 1) != 1 || close(ran)))
			return 2;
		usleep(20 * 1000);
	}
	return r ? 0 : 7;
}

static const char *const rel_byst_err[] = {
	"ok", "?", "could not set up", "device read failed", "device read wrong data",
	"device write failed", "CPU saw wrong data", "never ran",
};

/* A root process using its own memory on both devices until rel_byst_stop(). */
static inline void rel_byst_start(struct rel_byst *b, const char *why)
{
	sigset_t set, old;
	int ran[2];
	char c;

	fflush(stdout);
	b->why = why;
	/* Closed on both sides before the test forks anything else. */
	GT_ASSERT(pipe(ran) == 0, "pipe");
	/* SIGUSR1 blocked until the handler is in place. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	b->pid = fork();
	GT_ASSERT(b->pid >= 0, "fork");
	if (b->pid == 0) {
		close(ran[0]);
		signal(SIGUSR1, rel_byst_on_usr1);
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(rel_byst_main(ran[1]));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ran[1]);
	/* Its first round, or EOF if it failed first (rel_byst_stop() says how). */
	while (read(ran[0], &c, 1) < 0 && errno == EINTR)
		;
	close(ran[0]);
}

/* Did the bystander survive with all its work right? Counts unpriv_dos otherwise. */
static inline bool rel_byst_stop(struct rel_byst *b)
{
	int wst = 0;
	bool ok;

	kill(b->pid, SIGUSR1);
	GT_ASSERT(waitpid(b->pid, &wst, 0) == b->pid, "wait for the bystander");
	ok = WIFEXITED(wst) && WEXITSTATUS(wst) == 0;
	if (!ok) {
		rel_add(unpriv_dos, 1);
		if (WIFEXITED(wst))
			gt_log("root bystander beside %s: %s (exit %d)", b->why,
			       WEXITSTATUS(wst) < 8 ? rel_byst_err[WEXITSTATUS(wst)] : "?",
			       WEXITSTATUS(wst));
		else
			gt_log("root bystander beside %s: killed by signal %d", b->why,
			       WTERMSIG(wst));
	}
	return ok;
}

/* Run @fn(@arg) as uid 65534 in a child; its exit status (or 128+signal). */
static inline int rel_as_nobody(int (*fn)(void *), void *arg)
{
	int wst;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		rel_become_nobody();
		_exit(fn(arg));
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	return WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
}

/* ------------------------------------------------------------------ mover */

/* Keeps moving [p, p + len) between the two devices with device reads. */
struct rel_mover {
	pthread_t th;
	int sfd[2];
	const void *p;
	size_t len;
	atomic_int run, busy, stop;
	atomic_ulong jobs, errors;
};

static inline void *rel_mover_fn(void *arg)
{
	struct rel_mover *m = arg;
	unsigned long i = 0;
	uint64_t sum;

	while (!atomic_load(&m->stop)) {
		atomic_store(&m->busy, 1);
		if (!atomic_load(&m->run)) {
			atomic_store(&m->busy, 0);
			usleep(500);
			continue;
		}
		if (gmt_sim_reduce(m->sfd[i++ % 2], m->p, m->len, &sum))
			atomic_fetch_add(&m->errors, 1);
		atomic_fetch_add(&m->jobs, 1);
		atomic_store(&m->busy, 0);
	}
	return NULL;
}

static inline void rel_mover_start(struct rel_mover *m, const void *p, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->sfd[0] = gmt_sim_open(0);
	m->sfd[1] = gmt_sim_open(1);
	GT_ASSERT(m->sfd[0] >= 0 && m->sfd[1] >= 0, "open both devices: %d %d", m->sfd[0],
		  m->sfd[1]);
	m->p = p;
	m->len = len;
	GT_ASSERT(pthread_create(&m->th, NULL, rel_mover_fn, m) == 0, "mover thread");
}

static inline void rel_mover_resume(struct rel_mover *m)
{
	atomic_store(&m->run, 1);
}

/* Returns once no device job of the mover is in flight. */
static inline void rel_mover_pause(struct rel_mover *m)
{
	atomic_store(&m->run, 0);
	while (atomic_load(&m->busy))
		usleep(200);
	/* busy may have been set just before run was cleared: once more */
	usleep(1000);
	while (atomic_load(&m->busy))
		usleep(200);
}

static inline void rel_mover_stop(struct rel_mover *m)
{
	atomic_store(&m->stop, 1);
	pthread_join(m->th, NULL);
	close(m->sfd[0]);
	close(m->sfd[1]);
	gt_log("mover: %lu device jobs, %lu failed", atomic_load(&m->jobs),
	       atomic_load(&m->errors));
}

/* ---------------------------------------------------------------- content */

/* Blocks of REL_BS bytes in which @got differs from @want. */
static inline size_t rel_blocks_differ(const void *got, const void *want, size_t len)
{
	size_t off, n = 0;

	for (off = 0; off < len; off += REL_BS)
		if (memcmp((const char *)got + off, (const char *)want + off,
			   len - off < REL_BS ? len - off : REL_BS))
			n++;
	return n;
}

static inline void rel_fill_u32(uint32_t *w, size_t nwords, uint32_t v)
{
	size_t i;

	for (i = 0; i < nwords; i++)
		w[i] = v;
}

/*
 * CPU and device (@sfd) view of [m, m + len) against @want: the number of
 * blocks that differ on the CPU, or 1 if only the device checksum differs.
 */
static inline size_t rel_check_both(int sfd, const void *m, const void *want, size_t len,
				    const char *what)
{
	size_t bad = rel_blocks_differ(m, want, len);
	uint64_t h = 0;
	int ret = gmt_sim_checksum(sfd, m, len, &h);

	if (bad)
		gt_log("%s: %zu of %zu blocks differ on the CPU", what, bad, len / REL_BS);
	if (ret)
		gt_log("%s: device checksum failed: %d", what, ret);
	else if (h != gmt_fnv1a(want, len, GMT_FNV_BASIS)) {
		gt_log("%s: the device sees other data", what);
		if (!bad)
			bad = 1;
	}
	return bad;
}

/* ---------------------------------------------------------------- latency */

/* Record a latency check: @took must be at most @bound (both seconds). */
static inline bool rel_latency(const char *what, double took, double bound)
{
	bool ok = took <= bound;

	rel_add(kill_checks, 1);
	rel_add(kill_latency_ok, ok ? 1 : 0);
	gt_log("%s: %.3f s (bound %.3f s)%s", what, took, bound, ok ? "" : ": TOO SLOW");
	return ok;
}

/* An extra kernel module shipped in /gmem/modules/extra (xz, as Debian has it). */
static inline int rel_load_extra_module(const char *name, const char *params)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), GMT_MODDIR "/extra/%s.ko.xz", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = gmt_err(syscall(SYS_finit_module, fd, params, REL_MODULE_INIT_COMPRESSED_FILE));
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

/* A "Key:   N kB" line of /proc/meminfo or /proc/PID/status, in KiB (0 if absent). */
static inline uint64_t rel_kb(const char *file, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	unsigned long long v = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			sscanf(line + kl + 1, "%llu", &v);
			break;
		}
	fclose(f);
	return v;
}

/* The kernel's TAINT_WARN bit: set once any WARN() fired. */
static inline bool rel_tainted_warn(void)
{
	uint64_t t = 0;

	gmt_read_u64("/proc/sys/kernel/tainted", &t);
	return t & (1u << 9);
}

/* The summary line of an issue-12 program: its counters, all required 0. */
static inline void rel_hostile_summary(void)
{
	gt_log("reliability: gup_writes_lost=%llu prot_violations=%llu readcopy_lost=%llu "
	       "unpriv_dos=%llu kill_latency_ok=%llu kill_checks=%llu",
	       rel_get(gup_writes_lost), rel_get(prot_violations), rel_get(readcopy_lost),
	       rel_get(unpriv_dos), rel_get(kill_latency_ok), rel_get(kill_checks));
	GT_EXPECT(rel_get(gup_writes_lost) == 0, "gup_writes_lost=%llu", rel_get(gup_writes_lost));
	GT_EXPECT(rel_get(prot_violations) == 0, "prot_violations=%llu", rel_get(prot_violations));
	GT_EXPECT(rel_get(readcopy_lost) == 0, "readcopy_lost=%llu", rel_get(readcopy_lost));
	GT_EXPECT(rel_get(unpriv_dos) == 0, "unpriv_dos=%llu", rel_get(unpriv_dos));
	GT_EXPECT(rel_get(kill_latency_ok) == rel_get(kill_checks), "%llu of %llu latency checks",
		  rel_get(kill_latency_ok), rel_get(kill_checks));
}

#endif /* TEST_RELIABILITY_HOSTILE_H */
