// SPDX-License-Identifier: GPL-2.0
/*
 * bench_policy.c: put a named policy in charge for the length of a run,
 * through libgmempolicy (the same loader gmemctl uses).
 *
 * No name means the policy in charge now (built-in, or one pinned with
 * `gmemctl load --pin`). "builtin" means no BPF policy: the run refuses to
 * start if one is attached, since its numbers would be labelled wrongly. Single-threaded; the policy object belongs to the caller.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <gmempolicy.h>

#include "bench_policy.h"

/* The end of @log, where the kernel and libbpf say why, after a header line. */
static void print_tail(const char *what, const char *log)
{
	size_t len;
	const char *s = gmem_log_tail(log, 20, &len);

	if (len)
		fprintf(stderr, "gmem-bench: %s:\n%.*s\n", what, (int)len, s);
}

static int require_builtin(void)
{
	struct gmem_policy_status st;
	int err = gmem_policy_status(&st);

	if (err) {
		fprintf(stderr, "gmem-bench: policy status: %s\n", gmem_strerror(err));
		return err;
	}
	if (st.active) {
		fprintf(stderr, "gmem-bench: policy '%.*s' is in charge; unload it to measure "
			"the built-in policy\n", (int)sizeof(st.name), st.name);
		return -EBUSY;
	}
	return 0;
}

int bench_policy_start(const char *name, struct gmem_policy **out)
{
	struct gmem_policy *p;
	int err;

	*out = NULL;
	if (!name)
		return 0;	/* whatever is in charge now (e.g. pinned by gmemctl) */
	if (!strcmp(name, "builtin"))
		return require_builtin();
	err = gmem_policy_open(name, &p);
	if (err) {
		fprintf(stderr, "gmem-bench: policy %s: %s\n", name, gmem_strerror(err));
		return err;
	}
	err = gmem_policy_load(p);
	if (err && gmem_policy_verifier_log(p)[0]) {
		/* EACCES or EINVAL from a rejection: its errno would read "permission denied". */
		fprintf(stderr, "gmem-bench: the kernel verifier rejected policy %s\n", name);
		print_tail("end of the verifier log", gmem_policy_verifier_log(p));
		goto err_close;
	} else if (err) {
		fprintf(stderr, "gmem-bench: loading %s: %s\n", name, gmem_strerror(err));
		print_tail("libbpf", gmem_policy_messages(p));
		goto err_close;
	}
	err = gmem_policy_attach(p);
	if (err) {
		fprintf(stderr, "gmem-bench: attaching %s: %s\n", name, gmem_strerror(err));
		goto err_close;
	}
	*out = p;
	return 0;

err_close:
	gmem_policy_close(p);
	return err;
}

void bench_policy_stop(struct gmem_policy *p)
{
	gmem_policy_close(p);
}
