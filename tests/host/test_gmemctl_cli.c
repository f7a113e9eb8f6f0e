// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests: gmemctl's command line. Most drive gmemctl_main() in-process
 * with its output captured; a few run the built binary to check that exit
 * codes and messages reach the shell. Nothing here needs the kernel module:
 * the paths that do are made to fail early and deterministically
 * (GMEM_DEV points at a missing node).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "gmemctl.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must name the folder of the compiled fixtures"
#endif
#ifndef GMEMCTL_BIN
#error "GMEMCTL_BIN must name the built gmemctl"
#endif
#define FAKE_POLICY	FIXTURE_DIR "/fake_policy.bpf.o"

struct run {
	int rc;
	char *out, *err;
};

/* gmemctl_main("gmemctl", args..., NULL) with stdout/stderr captured. */
static struct run cli(const char *arg, ...)
{
	struct run r = { 0 };
	char *argv[32];
	size_t olen, elen;
	FILE *o, *e;
	va_list ap;
	int argc = 0;

	argv[argc++] = strdup("gmemctl");
	va_start(ap, arg);
	for (; arg && argc < 31; arg = va_arg(ap, const char *))
		argv[argc++] = strdup(arg);
	va_end(ap);
	argv[argc] = NULL;
	o = open_memstream(&r.out, &olen);
	e = open_memstream(&r.err, &elen);
	cr_assert(o && e);
	r.rc = gmemctl_main(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return r;	/* the argv copies and buffers live until the test process exits */
}

static void no_module(void)
{
	setenv("GMEM_DEV", "/nonexistent/gmem", 1);
	setenv("GMEM_POLICY_DIR", FIXTURE_DIR, 1);
}

TestSuite(cli, .init = no_module);

#define expect_run(r, code, where, text) do {					\
	cr_expect_eq((r).rc, (code), "exit %d, want %d; stderr: %s", (r).rc, (code), (r).err); \
	cr_expect(strstr((where), (text)), "missing \"%s\" in: %s", (text), (where));	\
} while (0)

Test(cli, no_arguments_is_usage)
{
	struct run r = cli(NULL);

	expect_run(r, GX_USAGE, r.err, "Usage: gmemctl");
	cr_expect_str_eq(r.out, "");
}

Test(cli, help_lists_every_command_and_exit_code)
{
	struct run r = cli("--help", NULL);
	unsigned int i;

	expect_run(r, GX_OK, r.out, "Exit status:");
	for (i = 0; i < gmemctl_nr_cmds; i++)
		cr_expect(strstr(r.out, gmemctl_cmds[i].name), "%s not in help", gmemctl_cmds[i].name);
	cr_expect(strstr(r.out, "9  load: the kernel ejected"));
}

Test(cli, command_help)
{
	struct run r = cli("load", "--help", NULL);

	expect_run(r, GX_OK, r.out, "Usage: gmemctl [-j|--json] [-p|--pretty] load <name|path.bpf.o>");
	cr_expect(strstr(r.out, "--pin"));
	r = cli("stats", "-h", NULL);
	expect_run(r, GX_OK, r.out, "--watch S");
}

Test(cli, command_table_is_consistent)
{
	unsigned int i, k;

	for (i = 0; i < gmemctl_nr_cmds; i++) {
		const struct gmemctl_cmd *c = &gmemctl_cmds[i];

		cr_expect(c->name && c->args && c->summary && c->run, "entry %u incomplete", i);
		cr_expect_eq(gmemctl_find_cmd(c->name), c);
		for (k = 0; k < i; k++)
			cr_expect(strcmp(c->name, gmemctl_cmds[k].name), "duplicate %s", c->name);
	}
	cr_expect_null(gmemctl_find_cmd("nosuch"));
}

Test(cli, unknown_command_and_option)
{
	struct run r = cli("frobnicate", NULL);

	expect_run(r, GX_USAGE, r.err, "unknown command 'frobnicate'");
	r = cli("--frob", "status", NULL);
	expect_run(r, GX_USAGE, r.err, "unknown option '--frob'");
	r = cli("load", FAKE_POLICY, "--force", NULL);
	expect_run(r, GX_USAGE, r.err, "unknown option '--force'");
	r = cli("status", "extra", NULL);
	expect_run(r, GX_USAGE, r.err, "unexpected argument 'extra'");
	r = cli("unload", "-x", NULL);
	expect_run(r, GX_USAGE, r.err, "unknown option '-x'");
	r = cli("unload", "a", "b", NULL);
	expect_run(r, GX_USAGE, r.err, "at most one");
}

Test(cli, load_argument_errors)
{
	struct run r = cli("load", NULL);

	expect_run(r, GX_USAGE, r.err, "which policy?");
	r = cli("load", "a", "b", NULL);
	expect_run(r, GX_USAGE, r.err, "one policy at a time");
	r = cli("load", FAKE_POLICY, "--set", NULL);
	expect_run(r, GX_USAGE, r.err, "--set needs key=value");
}

Test(cli, load_policy_not_found_or_not_a_policy)
{
	struct run r = cli("load", "nosuch", NULL);

	expect_run(r, GX_NOPOLICY, r.err, "policy 'nosuch' not found");
	r = cli("load", FIXTURE_DIR "/missing.bpf.o", NULL);
	expect_run(r, GX_NOPOLICY, r.err, "not found");
	r = cli("load", FIXTURE_DIR "/not_policy.bpf.o", NULL);
	expect_run(r, GX_NOPOLICY, r.err, "is not a gmem policy");
	r = cli("load", "bad name", NULL);
	expect_run(r, GX_NOPOLICY, r.err, "not a policy name");
}

Test(cli, load_tunable_errors)
{
	struct run r = cli("load", FAKE_POLICY, "--set", "bogus=1", NULL);

	expect_run(r, GX_TUNABLE, r.err, "unknown tunable in 'bogus=1'");
	cr_expect(strstr(r.err, "scan_max"), "the known tunables are listed: %s", r.err);
	r = cli("load", FAKE_POLICY, "--set=scan_max=abc", NULL);
	expect_run(r, GX_TUNABLE, r.err, "bad value in 'scan_max=abc'");
	r = cli("load", FAKE_POLICY, "--set", "small=300", NULL);
	expect_run(r, GX_TUNABLE, r.err, "out of range");
	r = cli("load", FAKE_POLICY, "--set", "small", NULL);
	expect_run(r, GX_TUNABLE, r.err, "expected key=value");
	/* By name through GMEM_POLICY_DIR as well as by path. */
	r = cli("load", "fake_policy", "--set", "verbose=perhaps", NULL);
	expect_run(r, GX_TUNABLE, r.err, "bad value");
}

Test(cli, load_without_module)
{
	struct run r = cli("load", FAKE_POLICY, "--set", "scan_max=4K", "--pin", NULL);

	expect_run(r, GX_NOMOD, r.err, "the gmem kernel module is not loaded");
	cr_expect(strstr(r.err, "insmod"), "says what to do: %s", r.err);
}

Test(cli, queries_without_module)
{
	static const char *const cmds[] = { "status", "devices", "objects", "stats" };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
		struct run r = cli(cmds[i], NULL);

		expect_run(r, GX_NOMOD, r.err, "/nonexistent/gmem is missing");
		cr_expect_str_eq(r.out, "", "%s printed results on failure", cmds[i]);
	}
}

Test(cli, stats_option_errors)
{
	struct run r = cli("stats", "--watch", "0", NULL);

	expect_run(r, GX_USAGE, r.err, "--watch needs seconds");
	r = cli("stats", "--watch", NULL);
	expect_run(r, GX_USAGE, r.err, "--watch needs seconds");
	r = cli("stats", "--watch=abc", NULL);
	expect_run(r, GX_USAGE, r.err, "--watch needs seconds");
	r = cli("stats", "--count", "3", NULL);
	expect_run(r, GX_USAGE, r.err, "--count goes with --watch");
	r = cli("stats", "--watch", "1", "--count", "0", NULL);
	expect_run(r, GX_USAGE, r.err, "--count needs a positive number");
}

Test(cli, policies_lists_only_policies)
{
	struct run r = cli("policies", NULL);

	expect_run(r, GX_OK, r.out, "fake_policy");
	cr_expect(strstr(r.out, "fixture policy for host tests"));
	cr_expect(!strstr(r.out, "not_policy"), "a non-policy object was listed: %s", r.out);
	cr_expect(!strstr(r.out, "legacy_ops"), "a non-link struct_ops was listed: %s", r.out);
}

Test(cli, policies_verbose_and_json)
{
	struct run r = cli("policies", "fake_policy", NULL);

	expect_run(r, GX_OK, r.out, "scan_max");
	cr_expect(strstr(r.out, "default 64"));
	r = cli("--json", "policies", NULL);
	expect_run(r, GX_OK, r.out, "[{\"name\":\"fake_policy\",\"description\":\"fixture policy");
	cr_expect(strstr(r.out, "{\"name\":\"budget\",\"type\":\"uint\",\"size\":8,"
			 "\"default\":\"2097152\"}"), "%s", r.out);
	/* --json after the command works the same. */
	r = cli("policies", "--json", NULL);
	expect_run(r, GX_OK, r.out, "[{\"name\":\"fake_policy\"");
	r = cli("policies", "nosuch", NULL);
	expect_run(r, GX_NOPOLICY, r.err, "no policy named 'nosuch'");
	r = cli("policies", "-q", NULL);
	expect_run(r, GX_USAGE, r.err, "unknown option '-q'");
}

/* ------------------------------------------------------------------ */
/* bpftool's conventions: JSON errors, -j/-p, help, prefixes, "--".    */
/* ------------------------------------------------------------------ */

Test(cli, json_errors_are_one_document_on_stdout)
{
	struct run r = cli("--json", "load", NULL);

	cr_expect_eq(r.rc, GX_USAGE);
	cr_expect_str_eq(r.out, "{\"error\":\"which policy? (see 'gmemctl policies')\",\"exit\":2}\n");
	cr_expect_str_eq(r.err, "");
	/* The module-missing failure, with -j after the command. */
	r = cli("status", "-j", NULL);
	cr_expect_eq(r.rc, GX_NOMOD);
	cr_expect(!strncmp(r.out, "{\"error\":\"cannot read the policy status: the gmem kernel "
			   "module is not loaded", 71), "%s", r.out);
	cr_expect(strstr(r.out, "\"exit\":3}\n"), "%s", r.out);
	r = cli("-j", "bogus", NULL);
	cr_expect_eq(r.rc, GX_USAGE);
	cr_expect_str_eq(r.out, "{\"error\":\"unknown command 'bogus'\",\"exit\":2}\n");
	r = cli("-j", NULL);
	cr_expect_eq(r.rc, GX_USAGE);
	cr_expect(strstr(r.out, "\"error\":\"no command given"), "%s", r.out);
}

Test(cli, pretty_implies_json_and_indents)
{
	struct run r = cli("-p", "load", NULL);

	cr_expect_eq(r.rc, GX_USAGE);
	cr_expect_str_eq(r.out, "{\n  \"error\": \"which policy? (see 'gmemctl policies')\",\n"
			 "  \"exit\": 2\n}\n");
}

Test(cli, pretty_printer_keeps_strings_and_empty_containers)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(f);
	gx_json_print(f, "{\"a\":[],\"b\":{},\"s\":\"x,{\\\"y\\\":[1]}\",\"n\":[1,2]}", true);
	fclose(f);
	cr_expect_str_eq(buf, "{\n  \"a\": [],\n  \"b\": {},\n  \"s\": \"x,{\\\"y\\\":[1]}\",\n"
			 "  \"n\": [\n    1,\n    2\n  ]\n}\n");
	free(buf);
}

Test(cli, version_honours_json)
{
	struct run r = cli("-j", "--version", NULL);

	cr_expect_eq(r.rc, GX_OK);
	cr_expect(!strncmp(r.out, "{\"version\":\"", 12), "%s", r.out);
	cr_expect(strstr(r.out, "\"json_schema\":1}"), "%s", r.out);
	r = cli("-V", NULL);
	expect_run(r, GX_OK, r.out, "gmemctl 0.1.0 (gmem ABI ");
}

Test(cli, help_command)
{
	struct run r = cli("help", NULL);

	expect_run(r, GX_OK, r.out, "Usage: gmemctl");
	r = cli("help", "load", NULL);
	expect_run(r, GX_OK, r.out, "--set key=value");
	r = cli("help", "tr", NULL);
	expect_run(r, GX_OK, r.out, "record FILE");
	r = cli("help", "nosuch", NULL);
	expect_run(r, GX_USAGE, r.err, "unknown command 'nosuch'");
	r = cli("help", "load", "unload", NULL);
	expect_run(r, GX_USAGE, r.err, "at most one command");
}

Test(cli, unique_prefixes_name_commands)
{
	struct run r = cli("pol", NULL);

	cr_expect_eq(r.rc, GX_OK, "'pol' is policies: %s", r.err);
	cr_expect(strstr(r.out, "fake_policy"), "%s", r.out);
	r = cli("dev", NULL);
	expect_run(r, GX_NOMOD, r.err, "the gmem kernel module is not loaded");
	r = cli("stat", NULL);
	expect_run(r, GX_USAGE, r.err, "ambiguous command 'stat': status, stats");
	cr_expect_eq(gmemctl_find_cmd("unl"), gmemctl_find_cmd("unload"));
	cr_expect_null(gmemctl_find_cmd("s"));
	/* An exact name wins over being a prefix of a longer one. */
	cr_expect_str_eq(gmemctl_find_cmd("load")->name, "load");
}

Test(cli, double_dash_ends_options)
{
	/* After "--", "-v" is a policy name (not a valid one), not the flag. */
	struct run r = cli("policies", "--", "-v", NULL);

	expect_run(r, GX_NOPOLICY, r.err, "no policy named '-v'");
	/* ... and --json there is not the output option. */
	r = cli("policies", "--", "--json", NULL);
	expect_run(r, GX_NOPOLICY, r.err, "no policy named '--json'");
	cr_expect_str_eq(r.out, "");
	/* --help after "--" is not help either. */
	r = cli("load", "--", "--help", NULL);
	cr_expect_neq(r.rc, GX_OK);
	cr_expect(!strstr(r.out, "Usage:"), "%s", r.out);
}

Test(cli, top_arguments_and_errors)
{
	struct run r = cli("top", "--interval", "0", NULL);

	expect_run(r, GX_USAGE, r.err, "--interval needs seconds (1..3600)");
	r = cli("top", "--iterations", "0", NULL);
	expect_run(r, GX_USAGE, r.err, "--iterations needs a positive number");
	r = cli("top", "--interval", NULL);
	expect_run(r, GX_USAGE, r.err, "--interval needs seconds");
	r = cli("top", "extra", NULL);
	expect_run(r, GX_USAGE, r.err, "unexpected argument 'extra'");
	/* Without the module: the first sample fails at once, as JSON too. */
	r = cli("-j", "top", "--iterations", "1", NULL);
	cr_expect_eq(r.rc, GX_NOMOD);
	cr_expect(strstr(r.out, "\"error\":\"cannot read gmem's counters: the gmem kernel module"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "\"exit\":3}"), "%s", r.out);
}

Test(cli, opt_scanner)
{
	char *argv[] = { "x", "--set", "a=1", "--set=b=2", "--setx", "--pin", "--set", NULL };
	struct gmemctl g = { .opt_end = 7 };
	const char *val = NULL;
	int i = 1;

	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--set", true, &val), 1);
	cr_expect_str_eq(val, "a=1");
	cr_expect_eq(i, 2, "index moved past the separate value");
	i = 3;
	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--set", true, &val), 1);
	cr_expect_str_eq(val, "b=2");
	i = 4;
	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--set", true, &val), 0, "--setx is another option");
	i = 5;
	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--pin", false, NULL), 1);
	i = 6;
	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--set", true, &val), -1, "missing value");
	/* After "--" (opt_end) nothing is an option, and a value cannot come from there. */
	g.opt_end = 5;
	i = 5;
	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--pin", false, NULL), 0, "--pin after --");
	cr_expect(!gx_is_opt(&g, 5, argv[5]));
	cr_expect(gx_is_opt(&g, 4, argv[4]));
	g.opt_end = 2;
	i = 1;
	cr_expect_eq(gx_opt(&g, 7, argv, &i, "--set", true, &val), -1, "value beyond --");
}

Test(cli, exit_code_mapping)
{
	cr_expect_eq(gx_exit_code(0), GX_OK);
	cr_expect_eq(gx_exit_code(-ENODEV), GX_NOMOD);
	cr_expect_eq(gx_exit_code(-EPERM), GX_PERM);
	cr_expect_eq(gx_exit_code(-EACCES), GX_PERM);
	cr_expect_eq(gx_exit_code(-EBUSY), GX_BUSY);
	cr_expect_eq(gx_exit_code(-EIO), GX_FAIL);
}

/* ------------------------------------------------------------------ */
/* The built binary.                                                   */
/* ------------------------------------------------------------------ */

static int run_bin(const char *args, char *out, size_t len)
{
	char cmd[1024];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "GMEM_DEV=/nonexistent/gmem %s %s 2>&1", GMEMCTL_BIN, args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	cr_assert(WIFEXITED(st), "%s did not exit normally", cmd);
	return WEXITSTATUS(st);
}

Test(binary, bad_flags_exit_2_with_a_message)
{
	char out[4096];

	cr_expect_eq(run_bin("--bogus", out, sizeof(out)), GX_USAGE);
	cr_expect(strstr(out, "gmemctl: unknown option '--bogus'"), "%s", out);
	cr_expect(strstr(out, "Try 'gmemctl help'."), "%s", out);
	cr_expect_eq(run_bin("load", out, sizeof(out)), GX_USAGE);
	cr_expect(strstr(out, "which policy?"), "%s", out);
	cr_expect_eq(run_bin("stats --watch -3", out, sizeof(out)), GX_USAGE);
}

Test(binary, module_missing_exit_3)
{
	char out[4096];

	cr_expect_eq(run_bin("status", out, sizeof(out)), GX_NOMOD);
	cr_expect(strstr(out, "gmem kernel module is not loaded"), "%s", out);
	cr_expect_eq(run_bin("--version", out, sizeof(out)), GX_OK);
	cr_expect(strstr(out, "gmemctl "), "%s", out);
}
