// SPDX-License-Identifier: GPL-2.0
/*
 * gmemctl load / unload.
 *
 * `load` without --pin behaves like the sched_ext loaders: it holds the link
 * (so the policy is in charge exactly while gmemctl runs), waits for
 * SIGINT/SIGTERM with those signals blocked except inside ppoll() (no lost
 * wake-up), and reports the kernel's exit record if the policy is ejected.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "gmemctl.h"

#define MAX_SETS	64
#define LOG_TAIL_LINES	20

struct load_args {
	const char *target;
	const char *sets[MAX_SETS];
	int nr_sets;
	bool pin;
	bool replace;
	const char *cgroup;	/* --cgroup PATH, or NULL: system-wide */
};

static int parse_load(struct gmemctl *g, int argc, char **argv, struct load_args *a)
{
	const char *val;
	int i, r;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if ((r = gx_opt(g, argc, argv, &i, "--set", true, &val))) {
			if (r < 0)
				return gx_usage(g, "load", "--set needs key=value");
			if (a->nr_sets == MAX_SETS)
				return gx_usage(g, "load", "more than %d --set options", MAX_SETS);
			a->sets[a->nr_sets++] = val;
		} else if (gx_opt(g, argc, argv, &i, "--pin", false, NULL)) {
			a->pin = true;
		} else if (gx_opt(g, argc, argv, &i, "--replace", false, NULL)) {
			a->replace = true;
		} else if ((r = gx_opt(g, argc, argv, &i, "--cgroup", true, &val))) {
			if (r < 0)
				return gx_usage(g, "load", "--cgroup needs a cgroup v2 directory");
			a->cgroup = val;
		} else if (gx_is_opt(g, i, argv[i])) {
			return gx_usage(g, "load", "unknown option '%s'", argv[i]);
		} else if (a->target) {
			return gx_usage(g, "load", "one policy at a time ('%s' and '%s')",
					a->target, argv[i]);
		} else {
			a->target = argv[i];
		}
	}
	if (!a->target)
		return gx_usage(g, "load", "which policy? (see 'gmemctl policies')");
	return GX_OK;
}

static int open_fail(struct gmemctl *g, const char *target, int err)
{
	switch (-err) {
	case ENOENT:
		gx_err(g, "policy '%s' not found: give a path to a .bpf.o, or a name from "
		       "'gmemctl policies' (searched $GMEM_POLICY_DIR, then %s)",
		       target, gmem_policy_share_dir());
		return GX_NOPOLICY;
	case EINVAL:
		gx_err(g, "'%s' is not a policy name ([A-Za-z0-9_-]) or a path to a .bpf.o", target);
		return GX_NOPOLICY;
	case ENOTSUP:
		gx_err(g, "'%s' is not a gmem policy: it needs one SEC(\".struct_ops.link\") "
		       "map of type struct %s", target, GMEM_STRUCT_OPS_TYPE);
		return GX_NOPOLICY;
	case EACCES:
	case EPERM:
		gx_err(g, "cannot read policy '%s': permission denied", target);
		return GX_PERM;
	}
	return gx_fail(g, err, target);
}

static void list_tunables(struct gmemctl *g, const struct gmem_policy *p)
{
	struct gmem_tunable_info t;
	int i, n = gmem_policy_nr_tunables(p);
	FILE *f;

	if (!n) {
		gx_err(g, "policy '%s' has no tunables", gmem_policy_name(p));
		return;
	}
	f = gx_diag(g, true);
	fprintf(f, "tunables of '%s':", gmem_policy_name(p));
	for (i = 0; i < n; i++)
		if (!gmem_policy_tunable(p, i, &t))
			fprintf(f, " %s", t.name);
	fputc('\n', f);
}

static int set_tunables(struct gmemctl *g, struct gmem_policy *p, const struct load_args *a)
{
	int i, err;

	for (i = 0; i < a->nr_sets; i++) {
		err = gmem_policy_set_kv(p, a->sets[i]);
		if (!err)
			continue;
		if (err == -ENOENT) {
			gx_err(g, "unknown tunable in '%s' for policy '%s'",
			       a->sets[i], gmem_policy_name(p));
			list_tunables(g, p);
		} else if (err == -ERANGE) {
			gx_err(g, "value out of range in '%s' (too large for the tunable, "
			       "or negative for an unsigned one)", a->sets[i]);
		} else if (!strchr(a->sets[i], '=')) {
			gx_err(g, "--set '%s': expected key=value", a->sets[i]);
		} else {
			gx_err(g, "bad value in '%s': expected a number (42, 0x2a, 4K, 2M, 1G), "
			       "a bool (true/false) or a string, per the tunable's type", a->sets[i]);
		}
		return GX_TUNABLE;
	}
	return GX_OK;
}

/* The last @lines lines of @log to the diagnostics. */
static void print_tail(struct gmemctl *g, const char *log, int lines)
{
	size_t len;
	const char *s = gmem_log_tail(log, lines, &len);

	if (len)
		fprintf(gx_diag(g, false), "%.*s\n", (int)len, s);
}

static int load_fail(struct gmemctl *g, struct gmem_policy *p, int err)
{
	const char *vlog = gmem_policy_verifier_log(p);

	if (err == -ENODEV || ((err == -EPERM || err == -EACCES) && !vlog[0]))
		return gx_fail(g, err, "cannot load the policy");
	if (vlog[0]) {
		/* The errno (EACCES, EINVAL) says nothing the log does not. */
		gx_err(g, "the kernel verifier rejected policy '%s'; end of its log:",
		       gmem_policy_name(p));
		print_tail(g, vlog, LOG_TAIL_LINES);
		return GX_VERIFIER;
	}
	gx_err(g, "loading policy '%s' failed: %s", gmem_policy_name(p), gmem_strerror(err));
	print_tail(g, gmem_policy_messages(p), 3);
	return GX_FAIL;
}

static int attach_fail(struct gmemctl *g, const struct gmem_policy *p, int err)
{
	struct gmem_policy_status st;
	char name[GMEM_NAME_LEN + 1];

	if (err != -EBUSY)
		return gx_fail(g, err, "cannot attach the policy");
	if (gmem_policy_cgroup(p)) {
		gx_err(g, "another policy is already attached to that cgroup: run "
		       "'gmemctl unload --cgroup PATH' first (see 'gmemctl status')");
		return GX_BUSY;
	}
	if (!gmem_policy_status(&st) && st.active)
		gx_err(g, "another policy, '%s', is already loaded: run 'gmemctl unload' first "
		       "(or stop the 'gmemctl load' holding it)",
		       gx_cstr(name, st.name, sizeof(st.name)));
	else
		gx_err(g, "another policy is already attached: run 'gmemctl unload' first");
	return GX_BUSY;
}

static void handle_stop(int sig)
{
	(void)sig;	/* only interrupts ppoll() */
}

/* Hold the policy until a signal or its ejection. */
static int hold(struct gmemctl *g, struct gmem_policy *p)
{
	struct sigaction sa = { .sa_handler = handle_stop };
	struct gmem_policy_status st;
	sigset_t block, old, wait_mask;
	int ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	wait_mask = old;
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);

	do
		ret = gmem_policy_wait(p, -1, &wait_mask);
	while (ret == 0);
	sigprocmask(SIG_SETMASK, &old, NULL);

	if (ret == -EINTR) {
		if (!g->json)
			fprintf(g->out, "policy '%s' unloaded\n", gmem_policy_name(p));
		return GX_OK;
	}
	if (ret < 0)
		return gx_fail(g, ret, "lost track of the policy");
	gx_err(g, "policy '%s' is no longer in charge", gmem_policy_name(p));
	if (!gmem_policy_status(&st)) {
		FILE *f = gx_diag(g, true);

		fprintf(f, "exit record: ");
		gx_print_exit_info(g, f, &st.last_exit);
	}
	return GX_EJECTED;
}

/* @replaced: the pin name of the policy @p took over from, or NULL. */
static void report_loaded(struct gmemctl *g, const struct gmem_policy *p, bool pinned,
			  const char *replaced)
{
	char cg[32] = "";
	struct gx_json j;

	/* A cgroup attachment's pin is <name>-cg<id> (libgmempolicy). */
	if (gmem_policy_cgroup(p))
		snprintf(cg, sizeof(cg), "-cg%llu", (unsigned long long)gmem_policy_cgroup(p));

	if (g->json) {
		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_str(&j, "loaded", gmem_policy_name(p));
		gx_json_str(&j, "path", gmem_policy_path(p));
		gx_json_bool(&j, "pinned", pinned);
		gx_json_u64(&j, "cgroup_id", gmem_policy_cgroup(p));
		if (replaced)
			gx_json_str(&j, "replaced", replaced);
		else
			gx_json_null(&j, "replaced");
		gx_json_obj_end(&j);
		gx_json_emit(g, &j);
	} else if (replaced) {
		fprintf(g->out, "policy '%s' replaced '%s' with no gap and is pinned at %s/%s%s\n",
			gmem_policy_name(p), replaced, gmem_pin_dir(), gmem_policy_name(p), cg);
	} else if (pinned) {
		fprintf(g->out, "policy '%s' loaded and pinned at %s/%s%s\n",
			gmem_policy_name(p), gmem_pin_dir(), gmem_policy_name(p), cg);
	} else {
		fprintf(g->out, "policy '%s' loaded; press Ctrl-C to unload it\n",
			gmem_policy_name(p));
	}
	fflush(g->out);
}

static int set_cgroup(struct gmemctl *g, struct gmem_policy *p, const char *path)
{
	int err = gmem_policy_set_cgroup(p, path);

	switch (-err) {
	case 0:
		return GX_OK;
	case ENOENT:
	case ENOTDIR:
	case EINVAL:
		gx_err(g, "--cgroup '%s': not a cgroup v2 directory (%s)", path,
		       gmem_strerror(err));
		return GX_USAGE;
	case ENOTSUP:
		gx_err(g, "policy '%s' cannot attach to a cgroup: its struct %s has no "
		       "cgroup_id (rebuild it against this gmem's gmem_vmlinux.h)",
		       gmem_policy_name(p), GMEM_STRUCT_OPS_TYPE);
		return GX_NOPOLICY;
	}
	return gx_fail(g, err, "--cgroup");
}

/* Open @target and set @a's tunables (if any); on success *out is open. */
static int open_with_tunables(struct gmemctl *g, const char *target, const struct load_args *a,
			      struct gmem_policy **out)
{
	struct gmem_policy *p = NULL;
	int ret = GX_OK, err;

	err = gmem_policy_open(target, &p);
	if (err)
		return open_fail(g, target, err);
	if (a)
		ret = set_tunables(g, p, a);
	if (!ret && a && a->cgroup)
		ret = set_cgroup(g, p, a->cgroup);
	if (ret) {
		gmem_policy_close(p);
		return ret;
	}
	*out = p;
	return GX_OK;
}

/*
 * Open @target, set @a's tunables (if any), load and attach it, reporting
 * every failure the way `gmemctl load` does. On success *out is attached.
 */
int gx_policy_start(struct gmemctl *g, const char *target, const struct load_args *a,
		    struct gmem_policy **out)
{
	struct gmem_policy *p = NULL;
	int ret, err;

	ret = open_with_tunables(g, target, a, &p);
	if (ret)
		return ret;
	err = gmem_policy_load(p);
	if (err)
		ret = load_fail(g, p, err);
	if (!ret) {
		err = gmem_policy_attach(p);
		if (err)
			ret = attach_fail(g, p, err);
	}
	if (ret) {
		gmem_policy_close(p);
		return ret;
	}
	*out = p;
	return GX_OK;
}

/* Why gmem_policy_replace() failed, for a caller that loses nothing by it. */
static int replace_fail(struct gmemctl *g, struct gmem_policy *p, int err)
{
	struct gmem_policy_status st;
	char name[GMEM_NAME_LEN + 1];

	if (err == -ENODEV || err == -EPERM || err == -EACCES)
		return gx_fail(g, err, "cannot replace the policy");
	if (err != -ENOENT && err != -ENOLINK && err != -EBUSY) {
		gx_err(g, "cannot replace the running policy with '%s': %s; the running "
		       "policy stays in charge", gmem_policy_name(p), gmem_strerror(err));
		print_tail(g, gmem_policy_messages(p), 3);
		return GX_FAIL;
	}
	if (err == -ENOLINK) {
		gx_err(g, "the pinned policy's link is detached: nothing to replace; "
		       "run 'gmemctl unload' and load '%s' without --replace", gmem_policy_name(p));
		return GX_FAIL;
	}
	if (err == -EBUSY) {
		gx_err(g, "another policy took charge meanwhile: nothing was replaced");
		return GX_BUSY;
	}
	if (!gmem_policy_status(&st) && st.active) {
		gx_err(g, "policy '%s' is in charge but not pinned: only a pinned policy "
		       "(gmemctl load --pin) can be replaced; nothing was changed",
		       gx_cstr(name, st.name, sizeof(st.name)));
		return GX_FAIL;
	}
	if (gmem_policy_cgroup(p))
		gx_err(g, "no policy is pinned on that cgroup: nothing to replace (load one "
		       "with 'gmemctl load %s --cgroup PATH --pin')", gmem_policy_name(p));
	else
		gx_err(g, "no policy is loaded: nothing to replace (load one with "
		       "'gmemctl load %s --pin')", gmem_policy_name(p));
	return GX_FAIL;
}

/* load --replace: swap the pinned policy for @a->target with no gap. */
static int load_replace(struct gmemctl *g, const struct load_args *a)
{
	char old[GMEM_POLICY_NAME_MAX + 256];
	struct gmem_policy *p = NULL;
	int ret, err;

	ret = open_with_tunables(g, a->target, a, &p);
	if (ret)
		return ret;
	err = gmem_policy_load(p);
	if (err) {
		ret = load_fail(g, p, err);
		gmem_policy_close(p);
		return ret;
	}
	err = gmem_policy_cgroup(p) ?
	      gmem_policy_pinned_cgroup(gmem_policy_cgroup(p), old, sizeof(old)) :
	      gmem_policy_pinned(old, sizeof(old));
	if (err <= 0)
		old[0] = '\0';
	err = gmem_policy_replace(p, NULL);
	if (err)
		ret = replace_fail(g, p, err);
	else
		report_loaded(g, p, true, old[0] ? old : "?");
	gmem_policy_close(p);	/* pinned: stays in charge */
	return ret;
}

int cmd_load(struct gmemctl *g, int argc, char **argv)
{
	struct gmem_policy *p = NULL;
	struct load_args a;
	int ret, err;

	ret = parse_load(g, argc, argv, &a);
	if (ret)
		return ret;
	if (a.replace)
		return load_replace(g, &a);
	ret = gx_policy_start(g, a.target, &a, &p);
	if (ret)
		return ret;
	if (a.pin) {
		err = gmem_policy_pin(p);
		if (err) {
			gx_err(g, "cannot pin the policy under %s (%s): is bpffs mounted at "
			       "/sys/fs/bpf? The policy was not left loaded.", gmem_pin_dir(),
			       gmem_strerror(err));
			ret = gx_exit_code(err);
			goto out;
		}
		report_loaded(g, p, true, NULL);
		ret = GX_OK;
		goto out;
	}
	report_loaded(g, p, false, NULL);
	ret = hold(g, p);
out:
	gmem_policy_close(p);	/* detaches unless pinned */
	return ret;
}

static int report_unloaded(struct gmemctl *g, int n)
{
	struct gx_json j;

	if (g->json) {
		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_u64(&j, "unloaded", (uint64_t)n);
		gx_json_obj_end(&j);
		return gx_json_emit(g, &j);
	}
	if (n)
		fprintf(g->out, "unloaded %d pinned polic%s; the built-in policy is in charge\n",
			n, n == 1 ? "y" : "ies");
	else
		fprintf(g->out, "no policy loaded; the built-in policy is in charge\n");
	return GX_OK;
}

/*
 * 'gmemctl unload fifo' where fifo is the ops name (what status shows) of
 * the policy in charge, pinned under another name (example_fifo, from its
 * file): unpin that one. One policy is in charge at a time, so the pin is
 * the one in gmem's pin dir. Returns what gmem_policy_unpin() does, or
 * -ENOENT if @name is not the ops name of a pinned policy in charge.
 */
static int unpin_by_ops_name(const char *name)
{
	char ops[GMEM_NAME_LEN + 1], pin[GMEM_POLICY_NAME_MAX + 256];
	struct gmem_policy_status st;

	if (gmem_policy_status(&st) || !st.active ||
	    strcmp(gx_cstr(ops, st.name, sizeof(st.name)), name) ||
	    gmem_policy_pinned(pin, sizeof(pin)) != 1)
		return -ENOENT;
	return gmem_policy_unpin(pin);
}

/* unload --cgroup PATH: the pinned policy attached to that cgroup. */
static int unload_cgroup(struct gmemctl *g, int argc, char **argv)
{
	const char *path = NULL;
	int i = 1, r, n;

	r = gx_opt(g, argc, argv, &i, "--cgroup", true, &path);
	if (r <= 0)
		return gx_usage(g, "unload", "--cgroup needs a cgroup v2 directory");
	if (i + 1 < argc)
		return gx_usage(g, "unload", "unexpected argument '%s'", argv[i + 1]);
	n = gmem_policy_unpin_cgroup(path);
	if (n == -ENOENT) {
		gx_err(g, "no policy is pinned on cgroup '%s' (see 'gmemctl status')", path);
		return GX_FAIL;
	}
	if (n == -ENOTDIR || n == -EINVAL) {
		gx_err(g, "--cgroup '%s': not a cgroup v2 directory", path);
		return GX_USAGE;
	}
	if (n < 0)
		return gx_fail(g, n, "cannot unload");
	return report_unloaded(g, n);
}

int cmd_unload(struct gmemctl *g, int argc, char **argv)
{
	struct gmem_policy_status st;
	char name[GMEM_NAME_LEN + 1];
	const char *which = NULL;
	int n, err;

	if (argc >= 2 && !strncmp(argv[1], "--cgroup", 8) && gx_is_opt(g, 1, argv[1]))
		return unload_cgroup(g, argc, argv);
	if (argc > 2)
		return gx_usage(g, "unload", "unload takes at most one policy name");
	if (argc == 2) {
		if (gx_is_opt(g, 1, argv[1]))
			return gx_usage(g, "unload", "unknown option '%s'", argv[1]);
		which = argv[1];
	}
	n = gmem_policy_unpin(which);
	if (n == -ENOENT)
		n = unpin_by_ops_name(which);
	if (n == -ENOENT) {
		gx_err(g, "no policy named '%s' is pinned, by its pin name or its ops name "
		       "(see 'gmemctl status')", which);
		return GX_FAIL;
	}
	if (n < 0)
		return gx_fail(g, n, "cannot unload");
	if (n > 0)
		return report_unloaded(g, n);
	err = gmem_policy_status(&st);
	if (err)
		return gx_fail(g, err, "cannot read the policy status");
	if (st.active) {
		gx_err(g, "policy '%s' is not pinned: it is held by a running 'gmemctl load'; "
		       "stop that process (Ctrl-C or kill) to unload it",
		       gx_cstr(name, st.name, sizeof(st.name)));
		return GX_FAIL;
	}
	return report_unloaded(g, 0);
}
