/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gtest.h: a small KTAP-emitting harness for the in-guest tests, in the
 * style of the kernel's kselftest harness (which we do not vendor).
 *
 *   GT_TEST(name) { GT_ASSERT(x == 1, "x=%d", x); GT_EXPECT(...); }
 *   GT_MAIN()
 *
 * Each test runs in a forked child with a timeout (GT_TIMEOUT_S, default 120),
 * so a crash or hang fails that test, not the program. The timeout is
 * multiplied by GT_TIMEOUT_SCALE from the environment (a positive integer)
 * if set, else by 4 on a debug kernel (/proc/lockdep exists: lockdep, KASAN
 * and friends make everything several times slower; make test-debug). Output is KTAP:
 *   KTAP version 1 / 1..N / "ok 1 name" / "not ok 2 name" / "ok 3 name # SKIP why"
 * and lines starting with "# " for diagnostics. Exit status is 1 if any failed.
 * Run one test with: prog -t name. List with: prog -l.
 */
#ifndef GTEST_H
#define GTEST_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GT_TIMEOUT_S
#define GT_TIMEOUT_S 120
#endif
#define GT_MAX_TESTS 128
#define GT_SKIP_CODE 77

struct gt_case {
	const char *name;
	void (*fn)(void);
};
static struct gt_case gt_cases[GT_MAX_TESTS];
static int gt_nr_cases;
static int gt_failed_here;

#define GT_TEST(name)							\
	static void gt_fn_##name(void);					\
	__attribute__((constructor)) static void gt_reg_##name(void)	\
	{								\
		if (gt_nr_cases < GT_MAX_TESTS)				\
			gt_cases[gt_nr_cases++] = (struct gt_case){ #name, gt_fn_##name }; \
	}								\
	static void gt_fn_##name(void)

#define gt_log(fmt, ...) do { printf("# " fmt "\n", ##__VA_ARGS__); fflush(stdout); } while (0)

/* Soft check: records failure, continues. */
#define GT_EXPECT(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		gt_log("%s:%d: expected %s: " fmt, __FILE__, __LINE__,	\
		       #cond, ##__VA_ARGS__);				\
		gt_failed_here = 1;					\
	}								\
} while (0)

/* Hard check: fails and ends the test. */
#define GT_ASSERT(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		gt_log("%s:%d: assertion %s failed: " fmt, __FILE__,	\
		       __LINE__, #cond, ##__VA_ARGS__);			\
		fflush(stdout);						\
		_exit(1);						\
	}								\
} while (0)

#define GT_SKIP(fmt, ...) do {						\
	gt_log("SKIP: " fmt, ##__VA_ARGS__);				\
	_exit(GT_SKIP_CODE);						\
} while (0)

/* GT_TIMEOUT_S times the scale (see the top), at most UINT_MAX seconds. */
static unsigned int gt_timeout_s(void)
{
	const char *env = getenv("GT_TIMEOUT_SCALE");
	unsigned long scale = 1, t = GT_TIMEOUT_S;
	char *end;

	if (env && *env) {
		scale = strtoul(env, &end, 10);
		if (*end || !scale) {
			fprintf(stderr, "gtest: ignoring GT_TIMEOUT_SCALE=%s (want a positive integer)\n",
				env);
			scale = 1;
		}
	} else if (access("/proc/lockdep", F_OK) == 0) {
		scale = 4;
	}
	if (scale > UINT_MAX / (t ? t : 1))
		return UINT_MAX;
	return t * scale;
}

static int gt_run_one(int n, const struct gt_case *c)
{
	pid_t pid;
	int status = 0, waited = 0;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		alarm(gt_timeout_s());
		c->fn();
		fflush(stdout);
		_exit(gt_failed_here ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		waited = -1;
	if (waited == 0 && WIFEXITED(status) && WEXITSTATUS(status) == GT_SKIP_CODE) {
		printf("ok %d %s # SKIP\n", n, c->name);
		return 0;
	}
	if (waited == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %d %s\n", n, c->name);
		return 0;
	}
	if (waited == 0 && WIFSIGNALED(status))
		gt_log("%s: killed by signal %d%s", c->name, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	printf("not ok %d %s\n", n, c->name);
	return 1;
}

static int gt_main(int argc, char **argv)
{
	const char *only = NULL;
	int i, n = 0, failed = 0, total = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l")) {
			for (n = 0; n < gt_nr_cases; n++)
				printf("%s\n", gt_cases[n].name);
			return 0;
		}
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			only = argv[++i];
	}
	for (i = 0; i < gt_nr_cases; i++)
		if (!only || !strcmp(only, gt_cases[i].name))
			total++;
	if (!total) {
		fprintf(stderr, "no such test: %s\n", only ? only : "(none registered)");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%d\n", total);
	for (i = 0; i < gt_nr_cases; i++)
		if (!only || !strcmp(only, gt_cases[i].name))
			failed += gt_run_one(++n, &gt_cases[i]);
	return failed ? 1 : 0;
}

#define GT_MAIN() int main(int argc, char **argv) { return gt_main(argc, argv); }

#endif /* GTEST_H */
