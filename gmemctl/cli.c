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
	fprintf(f, "Usage: gmemctl [-j|--json] [-p|--pretty] <command> [options] [--] [args]\n\n"
		   "Commands (any unique prefix works: 'gmemctl dev' is devices):\n");
	for (i = 0; i < gmemctl_nr_cmds; i++)
		fprintf(f, "  %-9s %s\n", gmemctl_cmds[i].name, gmemctl_cmds[i].summary);
	fprintf(f, "\nGlobal options:\n"
		   "  -j, --json     machine-readable output (one JSON document per line;\n"
		   "                 a failure is {\"error\": MESSAGE, \"exit\": N})\n"
		   "  -p, --pretty   indented JSON (implies --json)\n"
		   "  -h, --help     this help; 'gmemctl help <command>' for a command's\n"
		   "  -V, --version  print the version\n"
		   "  --             end of options: what follows is never an option\n\n"
		   "Environment: GMEM_POLICY_DIR (policy search path, ':'-separated),\n"
		   "GMEM_DEV (device, default %s), GMEM_PIN_DIR (default %s).\n\n%s",
		GMEM_DEFAULT_DEV, GMEM_DEFAULT_PIN_DIR, exit_codes_help);
}

FILE *gx_diag(struct gmemctl *g, bool prefix)
{
	if (!g->json) {
		if (prefix)
			fputs("gmemctl: ", g->err);
		return g->err;
	}
	if (!g->diag)
		g->diag = open_memstream(&g->diag_buf, &g->diag_len);
	return g->diag ? g->diag : g->err;
}

void gx_err(struct gmemctl *g, const char *fmt, ...)
{
	FILE *f = gx_diag(g, true);
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

int gx_usage(struct gmemctl *g, const char *cmd, const char *fmt, ...)
{
	FILE *f = gx_diag(g, true);
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	if (!g->json)
		fprintf(f, "Try 'gmemctl help%s%s'.\n", cmd ? " " : "", cmd ? cmd : "");
	return GX_USAGE;
}

/*
 * End of a JSON-mode run: a failure becomes one document on out,
 * {"error": "<the diagnostics>", "exit": N}; after a success, diagnostics
 * (warnings) go to err as text.
 */
static void finish_diag(struct gmemctl *g, int ret)
{
	struct gx_json j;
	size_t n;

	if (!g->json)
		return;
	if (g->diag)
		fclose(g->diag);
	n = g->diag_buf ? strlen(g->diag_buf) : 0;
	while (n && g->diag_buf[n - 1] == '\n')
		g->diag_buf[--n] = '\0';
	if (ret != GX_OK) {
		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_str(&j, "error", n ? g->diag_buf : "failed");
		gx_json_i64(&j, "exit", ret);
		gx_json_obj_end(&j);
		gx_json_emit(g, &j);
	} else if (n) {
		fprintf(g->err, "%s\n", g->diag_buf);
	}
	free(g->diag_buf);
	g->diag = NULL;
	g->diag_buf = NULL;
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
		       "load it with 'modprobe gmem' (installed by the gmem-dkms package) or "
		       "'insmod gmem.ko' from a build tree", what, gmem_dev_path());
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

int gx_opt(struct gmemctl *g, int argc, char **argv, int *i, const char *name, bool has_arg,
	   const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (*i >= g->opt_end || strncmp(a, name, n))
		return 0;
	if (!has_arg)
		return a[n] == '\0';
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc || *i + 1 >= g->opt_end)
		return -1;
	*val = argv[++*i];
	return 1;
}

bool gx_is_opt(const struct gmemctl *g, int i, const char *arg)
{
	return i < g->opt_end && arg[0] == '-' && arg[1];
}

bool gx_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int gx_cmd_help(struct gmemctl *g, const struct gmemctl_cmd *c)
{
	fprintf(g->out, "Usage: gmemctl [-j|--json] [-p|--pretty] %s %s\n%s.\n", c->name, c->args,
		c->summary);
	if (c->help)
		fprintf(g->out, "\nOptions:\n%s", c->help);
	fprintf(g->out, "\n%s", exit_codes_help);
	return GX_OK;
}

/*
 * A command by name or by a prefix that only one command has (bpftool's
 * rule): "st" is status, "s" is ambiguous (status, stats). *@ambiguous is
 * set when more than one command starts with @name.
 */
static const struct gmemctl_cmd *find_cmd(const char *name, bool *ambiguous)
{
	const struct gmemctl_cmd *found = NULL;
	size_t n = strlen(name);
	unsigned int i;

	*ambiguous = false;
	for (i = 0; i < gmemctl_nr_cmds; i++) {
		if (!strcmp(gmemctl_cmds[i].name, name))
			return &gmemctl_cmds[i];
		if (n && !strncmp(gmemctl_cmds[i].name, name, n)) {
			*ambiguous = found != NULL;
			found = &gmemctl_cmds[i];
		}
	}
	return *ambiguous ? NULL : found;
}

const struct gmemctl_cmd *gmemctl_find_cmd(const char *name)
{
	bool ambiguous;

	return find_cmd(name, &ambiguous);
}

/* The command @name, or a usage error naming the candidates. */
static const struct gmemctl_cmd *lookup_cmd(struct gmemctl *g, const char *name)
{
	const struct gmemctl_cmd *c;
	char list[256] = "";
	size_t n = strlen(name), len = 0;
	unsigned int i;
	bool ambiguous;

	c = find_cmd(name, &ambiguous);
	if (c)
		return c;
	if (!ambiguous) {
		gx_usage(g, NULL, "unknown command '%s'", name);
		return NULL;
	}
	for (i = 0; i < gmemctl_nr_cmds; i++)
		if (!strncmp(gmemctl_cmds[i].name, name, n) && len < sizeof(list))
			len += snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
					gmemctl_cmds[i].name);
	gx_usage(g, NULL, "ambiguous command '%s': %s", name, list);
	return NULL;
}

/* gmemctl help [command] */
int cmd_help(struct gmemctl *g, int argc, char **argv)
{
	const struct gmemctl_cmd *c;

	if (argc > 2)
		return gx_usage(g, "help", "help takes at most one command name");
	if (argc == 1) {
		usage(g, g->out);
		return GX_OK;
	}
	c = lookup_cmd(g, argv[1]);
	return c ? gx_cmd_help(g, c) : GX_USAGE;
}

static int print_version(struct gmemctl *g)
{
	struct gx_json j;

	if (!g->json) {
		fprintf(g->out, "gmemctl %s (gmem ABI %d)\n", GMEMCTL_VERSION, GMEM_ABI_VERSION);
		return GX_OK;
	}
	gx_json_init(&j);
	gx_json_obj_begin(&j, NULL);
	gx_json_str(&j, "version", GMEMCTL_VERSION);
	gx_json_u64(&j, "abi", GMEM_ABI_VERSION);
	gx_json_u64(&j, "json_schema", GX_JSON_SCHEMA);
	gx_json_obj_end(&j);
	return gx_json_emit(g, &j);
}

/* Is @a one of the output options accepted anywhere before "--"? Sets it. */
static bool take_output_opt(struct gmemctl *g, const char *a)
{
	if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
		g->json = true;
	} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
		g->json = g->pretty = true;
	} else {
		return false;
	}
	return true;
}

/*
 * The output options are global but also accepted anywhere after the
 * command (before "--"), where people tend to put them; they are removed
 * from the command's argv here so that commands never see them. The "--"
 * itself is removed too, and g->opt_end records where it was. Returns the
 * new argc.
 */
static int take_global_opts(struct gmemctl *g, int argc, char **argv)
{
	int i, n = 1;

	g->opt_end = argc;
	for (i = 1; i < argc; i++) {
		if (g->opt_end == argc && !strcmp(argv[i], "--")) {
			g->opt_end = n;
			continue;
		}
		if (g->opt_end == argc && take_output_opt(g, argv[i]))
			continue;
		argv[n++] = argv[i];
	}
	if (g->opt_end > n)
		g->opt_end = n;
	argv[n] = NULL;
	return n;
}

static int run_main(struct gmemctl *g, int argc, char **argv)
{
	const struct gmemctl_cmd *c;
	int i = 1;

	g->opt_end = argc;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (take_output_opt(g, argv[i])) {
			continue;
		} else if (gx_is_help(argv[i])) {
			usage(g, g->out);
			return GX_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			return print_version(g);
		} else {
			return gx_usage(g, NULL, "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc) {
		if (g->json)
			return gx_usage(g, NULL, "no command given (see 'gmemctl help')");
		usage(g, g->err);
		return GX_USAGE;
	}
	c = lookup_cmd(g, argv[i]);
	if (!c)
		return GX_USAGE;
	argc = take_global_opts(g, argc - i, argv + i);
	argv += i;
	for (i = 1; i < g->opt_end; i++)
		if (gx_is_help(argv[i]))
			return gx_cmd_help(g, c);
	return c->run(g, argc, argv);
}

int gmemctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct gmemctl g = { .out = out, .err = err };
	int ret = run_main(&g, argc, argv);

	finish_diag(&g, ret);
	fflush(out);
	fflush(err);
	return ret;
}
