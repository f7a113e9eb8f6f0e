// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_cli: gmemctl's command line (gmemctl_main() in-process) with
 * arbitrary arguments: every invocation must end with one of the documented
 * exit codes (0..9), without crashing, leaking or reading out of bounds.
 *
 * Sandbox: no gmem device (GMEM_DEV names a missing file, so nothing
 * reaches the kernel), pins and output files in a private temporary folder
 * (the working directory from the start, so give corpus paths absolute;
 * '/' in arguments becomes '_'), policies from the host-test fixtures.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gmemctl.h"

#define MAX_ARGS	12
#define MAX_ARG		40

static FILE *devnull;

static const char *const words[] = {
	"load", "unload", "status", "policies", "devices", "objects", "stats", "trace",
	"--json", "--help", "-h", "--version", "--set", "--pin", "--watch", "--count",
	"record", "replay", "--dev", "--seconds", "--capacity", "--sim", "--len", "-v",
	"fake_policy", "plain_policy", "not_policy", "legacy_ops", "small=300", "label=abcdefgh",
	"verbose=yes", "budget=2M", "0", "1", "-1", "99999999999999999999", "", "=",
};

static char sandbox_dir[] = "/tmp/gmem-fuzz-cli.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void sandbox_remove(void)
{
	nftw(sandbox_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void sandbox(void)
{
	char *dir = sandbox_dir, buf[64];

	if (!mkdtemp(dir) || chdir(dir))
		abort();
	atexit(sandbox_remove);
	snprintf(buf, sizeof(buf), "%s/no-gmem", dir);
	setenv("GMEM_DEV", buf, 1);
	snprintf(buf, sizeof(buf), "%s/pins", dir);
	setenv("GMEM_PIN_DIR", buf, 1);
	setenv("GMEM_POLICY_DIR", FIXTURE_DIR, 1);
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sandbox();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char store[MAX_ARGS][MAX_ARG + 1];
	char *argv[MAX_ARGS + 2];
	size_t i = 0, a, n;
	int argc = 1, ret;

	argv[0] = "gmemctl";
	/* Each argument: a byte picking a known word (even) or a literal (odd). */
	while (i < size && argc <= MAX_ARGS) {
		uint8_t sel = data[i++];

		a = argc - 1;
		if (!(sel & 1)) {
			snprintf(store[a], sizeof(store[a]), "%s",
				 words[(sel >> 1) % (sizeof(words) / sizeof(words[0]))]);
		} else {
			for (n = 0; n < MAX_ARG && i < size && data[i]; n++, i++)
				store[a][n] = data[i] == '/' ? '_' : (char)data[i];
			store[a][n] = '\0';
			i++;		/* the NUL that ended it */
		}
		argv[argc++] = store[a];
	}
	argv[argc] = NULL;
	ret = gmemctl_main(argc, argv, devnull, devnull);
	if (ret < 0 || ret > 9) {
		fprintf(stderr, "gmemctl returned %d for:", ret);
		for (a = 1; a < (size_t)argc; a++)
			fprintf(stderr, " '%s'", argv[a]);
		fputc('\n', stderr);
		abort();
	}
	return 0;
}
