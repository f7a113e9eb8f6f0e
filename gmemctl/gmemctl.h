/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmemctl internals: the command table, exit codes, and the helpers the
 * command files share. A new subcommand is one entry in gmemctl_cmds[]
 * (commands.c) plus its run function in a file of its own.
 *
 * Every command writes to g->out / g->err instead of stdout/stderr so the
 * host tests can drive gmemctl_main() in-process and read what it printed.
 */
#ifndef GMEMCTL_H
#define GMEMCTL_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "gmempolicy.h"
#include "json.h"

/*
 * The JSON schema's version, in `gmemctl --json --version`. Bumped only when
 * a key is removed or changes meaning; added keys do not bump it (gmemctl(8),
 * "JSON OUTPUT").
 */
#define GX_JSON_SCHEMA 1

/* Exit codes (documented in --help and gmemctl(8); keep the three in sync). */
enum gmemctl_exit {
	GX_OK		= 0,	/* success */
	GX_FAIL		= 1,	/* any other failure */
	GX_USAGE	= 2,	/* bad command line */
	GX_NOMOD	= 3,	/* gmem kernel module not loaded */
	GX_PERM		= 4,	/* permission denied (not root / no CAP_BPF) */
	GX_NOPOLICY	= 5,	/* policy not found, unreadable, or not a gmem policy */
	GX_VERIFIER	= 6,	/* the kernel verifier rejected the policy */
	GX_BUSY		= 7,	/* another policy is already loaded */
	GX_TUNABLE	= 8,	/* unknown tunable or bad tunable value */
	GX_EJECTED	= 9,	/* load: the kernel ejected the policy while it ran */
};

struct gmemctl {
	FILE *out;		/* results */
	FILE *err;		/* diagnostics */
	bool json;		/* -j/--json: machine-readable results on out */
	bool pretty;		/* -p/--pretty: indented JSON (implies json) */
	/*
	 * In JSON mode diagnostics are collected here (a memstream) instead of
	 * going to err: a failing command then prints one document
	 * {"error": <them>, "exit": N} on out, as bpftool does.
	 */
	FILE *diag;
	char *diag_buf;
	size_t diag_len;
	/* argv index of the first argument after "--" (argc if none). */
	int opt_end;
};

struct gmemctl_cmd {
	const char *name;
	const char *args;	/* synopsis after the name */
	const char *summary;	/* one line for the command list */
	const char *help;	/* option details, or NULL */
	/* argv[0] is the command name; returns an enum gmemctl_exit. */
	int (*run)(struct gmemctl *g, int argc, char **argv);
};

extern const struct gmemctl_cmd gmemctl_cmds[];
extern const unsigned int gmemctl_nr_cmds;

/* cli.c */
int gmemctl_main(int argc, char **argv, FILE *out, FILE *err);
const struct gmemctl_cmd *gmemctl_find_cmd(const char *name);
void gx_err(struct gmemctl *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The stream for diagnostics: stderr (after "gmemctl: " if @prefix), or in
 * JSON mode the text collected for the {"error": ...} document, where the
 * prefix is left out. gx_err() and gx_usage() write there.
 */
FILE *gx_diag(struct gmemctl *g, bool prefix);
/* Print the usage error and "try --help"; returns GX_USAGE. */
int gx_usage(struct gmemctl *g, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Report a failed library call as "gmemctl: <what>: <explanation and what to
 * do>" and return the matching exit code. Handles the errors every command
 * shares (module missing, permission); the rest get gmem_strerror().
 */
int gx_fail(struct gmemctl *g, int err, const char *what);
struct load_args;
struct gmem_policy;
/* Open, set tunables (@a may be NULL), load and attach, with load's messages. */
int gx_policy_start(struct gmemctl *g, const char *target, const struct load_args *a,
		    struct gmem_policy **out);
int gx_exit_code(int err);

/*
 * Option scanning for commands: at argv[*i], match "--name value" or
 * "--name=value" (has_arg) or plain "--name". Returns 1 on a match (with
 * *val set and *i advanced past a separate value), 0 if argv[*i] is another
 * option, -1 if the option lacks its value.
 */
int gx_opt(struct gmemctl *g, int argc, char **argv, int *i, const char *name, bool has_arg,
	   const char **val);
/* Is argv[i] an option, i.e. starts with '-' and comes before any "--"? */
bool gx_is_opt(const struct gmemctl *g, int i, const char *arg);
/* Is argv[i] "-h" or "--help"? */
bool gx_is_help(const char *arg);
/* Print one command's help to g->out; returns GX_OK. */
int gx_cmd_help(struct gmemctl *g, const struct gmemctl_cmd *c);

/* Command entry points (cmd_*.c). */
int cmd_load(struct gmemctl *g, int argc, char **argv);
int cmd_unload(struct gmemctl *g, int argc, char **argv);
int cmd_status(struct gmemctl *g, int argc, char **argv);
int cmd_policies(struct gmemctl *g, int argc, char **argv);
int cmd_devices(struct gmemctl *g, int argc, char **argv);
int cmd_objects(struct gmemctl *g, int argc, char **argv);
int cmd_stats(struct gmemctl *g, int argc, char **argv);
int cmd_trace(struct gmemctl *g, int argc, char **argv);	/* cmd_trace.c (bench owner) */
int cmd_help(struct gmemctl *g, int argc, char **argv);		/* cli.c */
int cmd_top(struct gmemctl *g, int argc, char **argv);
int cmd_limit(struct gmemctl *g, int argc, char **argv);		/* cmd_limit.c */
/* cmd_info.c: `limit DEV SIZE`, one device's HBM limit. */
int gx_limit_device(struct gmemctl *g, int argc, char **argv);
/* cmd_limit.c: `stats --cgroup PATH`, one tenant's usage and counters. */
int gx_stats_cgroup(struct gmemctl *g, const char *path);

/* cmd_info.c: all live object ids (malloc'ed) and their count, or -errno. */
int gx_object_ids(uint32_t **out);

/*
 * output.c: repeating a sample until SIGINT/SIGTERM (stats --watch, top).
 * begin installs the handlers, sleep waits @ms and returns false once a
 * signal asked to stop, end restores the previous handlers. One at a time.
 */
struct gx_watch {
	struct sigaction old_int, old_term;
};
void gx_watch_begin(struct gx_watch *w);
bool gx_watch_sleep(struct gx_watch *w, uint64_t ms);
void gx_watch_end(struct gx_watch *w);

/* output.c: printing helpers shared by commands. */
/* Emit a finished JSON document (one line) on g->out; GX_OK or GX_FAIL. */
int gx_json_emit(struct gmemctl *g, struct gx_json *j);
/* @src's first @n bytes, NUL-terminated, in @dst (n + 1 bytes). */
const char *gx_cstr(char *dst, const char *src, size_t n);
const char *gx_time(uint64_t realtime_ns, char *buf, size_t len);
void gx_json_status(struct gx_json *j, const struct gmem_policy_status *st);
void gx_print_exit_info(struct gmemctl *g, FILE *f, const struct gmem_exit_info *e);

#endif /* GMEMCTL_H */
