// SPDX-License-Identifier: GPL-2.0
/*
 * gmemctl: global options, dispatch, help, and error reporting.
 *
 * Single-threaded; no state outside struct gmemctl, so gmemctl_main() can be
 * called repeatedly in one process (the host tests do).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gmemctl.h"

#define GMEMCTL_VERSION "0.1.0"

static const char exit_codes_help[] =
	"Exit status:\n"
	"  0  success\n"
	"  1  other failure\n"
	"  2  bad command line\n"
	"  3  gmem kernel module not loaded (no /dev/gmem)\n"
	"  4  permission denied (run as root: CAP_BPF and CAP_SYS_ADMIN)\n"
	"  5  policy not found, unreadable, or not a gmem policy\n"
	"  6  the kernel verifier rejected the policy\n"
	"  7  another policy is already loaded\n"
	"  8  unknown tunable or bad tunable value\n"
	"  9  load: the kernel ejected the policy while gmemctl held it\n";

static void usage(struct gmemctl *g, FILE *f)
{
	unsigned int i;

	(void)g;
	fprintf(f, "Usage: gmemctl [--json] <command> [options]\n\nCommands:\n");
	for (i = 0; i < gmemctl_nr_cmds; i++)
		fprintf(f, "  %-9s %s\n", gmemctl_cmds[i].name, gmemctl_cmds[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  --json      machine-readable output (one JSON document per line)\n"
		   "  -h, --help  this help; 'gmemctl <command> --help' for a command's\n"
		   "  --version   print the version\n\n"
		   "Environment: GMEM_POLICY_DIR (policy search path, ':'-separated),\n"
		   "GMEM_DEV (device, default %s), GMEM_PIN_DIR (default %s).\n\n%s",
		GMEM_DEFAULT_DEV, GMEM_DEFAULT_PIN_DIR, exit_codes_help);
}

void gx_err(struct gmemctl *g, const char *fmt, ...)
{
	va_list ap;

	fputs("gmemctl: ", g->err);
	va_start(ap, fmt);
	vfprintf(g->err, fmt, ap);
	va_end(ap);
	fputc('\n', g->err);
}

int gx_usage(struct gmemctl *g, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("gmemctl: ", g->err);
	va_start(ap, fmt);
	vfprintf(g->err, fmt, ap);
	va_end(ap);
	fprintf(g->err, "\nTry 'gmemctl %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
	return GX_USAGE;
}

int gx_exit_code(int err)
{
	switch (-err) {
	case 0:		return GX_OK;
	case ENODEV:	return GX_NOMOD;
	case EPERM:
	case EACCES:	return GX_PERM;
	case EBUSY:	return GX_BUSY;
	}
	return GX_FAIL;
}

int gx_fail(struct gmemctl *g, int err, const char *what)
{
	switch (-err) {
	case ENODEV:
		gx_err(g, "%s: the gmem kernel module is not loaded (%s is missing); "
		       "load it with 'modprobe gmem' or 'insmod gmem.ko'", what, gmem_dev_path());
		break;
	case EPERM:
	case EACCES:
		gx_err(g, "%s: permission denied; run as root (needs CAP_BPF and CAP_SYS_ADMIN)",
		       what);
		break;
	default:
		gx_err(g, "%s: %s", what, gmem_strerror(err));
	}
	return gx_exit_code(err);
}

int gx_opt(int argc, char **argv, int *i, const char *name, bool has_arg, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return 0;
	if (!has_arg)
		return a[n] == '\0';
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

bool gx_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int gx_cmd_help(struct gmemctl *g, const struct gmemctl_cmd *c)
{
	fprintf(g->out, "Usage: gmemctl [--json] %s %s\n%s.\n", c->name, c->args, c->summary);
	if (c->help)
		fprintf(g->out, "\nOptions:\n%s", c->help);
	fprintf(g->out, "\n%s", exit_codes_help);
	return GX_OK;
}

const struct gmemctl_cmd *gmemctl_find_cmd(const char *name)
{
	unsigned int i;

	for (i = 0; i < gmemctl_nr_cmds; i++)
		if (!strcmp(gmemctl_cmds[i].name, name))
			return &gmemctl_cmds[i];
	return NULL;
}

/*
 * "--json" is global but also accepted anywhere after the command, where
 * people tend to put it; it is removed from the command's argv here so that
 * commands never see it. Returns the new argc.
 */
static int take_json(struct gmemctl *g, int argc, char **argv)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			g->json = true;
		else
			argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

int gmemctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct gmemctl g = { .out = out, .err = err };
	const struct gmemctl_cmd *c;
	int i = 1, ret;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json")) {
			g.json = true;
		} else if (gx_is_help(argv[i])) {
			usage(&g, out);
			return GX_OK;
		} else if (!strcmp(argv[i], "--version")) {
			fprintf(out, "gmemctl %s (gmem ABI %d)\n", GMEMCTL_VERSION, GMEM_ABI_VERSION);
			return GX_OK;
		} else {
			return gx_usage(&g, NULL, "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc) {
		usage(&g, err);
		return GX_USAGE;
	}
	c = gmemctl_find_cmd(argv[i]);
	if (!c)
		return gx_usage(&g, NULL, "unknown command '%s'", argv[i]);
	argc = take_json(&g, argc - i, argv + i);
	argv += i;
	for (i = 1; i < argc; i++)
		if (gx_is_help(argv[i]))
			return gx_cmd_help(&g, c);
	ret = c->run(&g, argc, argv);
	fflush(out);
	fflush(err);
	return ret;
}
