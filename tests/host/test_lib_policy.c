// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests: policy tunables (BTF .rodata parsing, typed stores), opening
 * policy objects (fixtures compiled from tests/host/fixtures/), the search
 * path, and the pin directory handling that works without a kernel.
 * Loading itself needs the guest (tests/guest/test_gmemctl.sh).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "internal.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must name the folder of the compiled fixtures"
#endif
#define FAKE_POLICY	FIXTURE_DIR "/fake_policy.bpf.o"

/* ------------------------------------------------------------------ */
/* Tunables from a BTF built in memory.                                */
/* ------------------------------------------------------------------ */

struct var_spec {
	const char *name;
	int type;	/* BTF id */
	__u32 off, size;
	bool is_static;	/* BTF_VAR_STATIC: a file's or function's static */
};

/* Variables and a .rodata DATASEC over them (sizes as given, to test mismatches). */
static void add_rodata(struct btf *btf, const struct var_spec *vars, int n, __u32 sec_size)
{
	int ids[16], i;

	cr_assert_leq(n, 16);
	for (i = 0; i < n; i++) {
		ids[i] = btf__add_var(btf, vars[i].name, vars[i].is_static ? BTF_VAR_STATIC :
				      BTF_VAR_GLOBAL_ALLOCATED, vars[i].type);
		cr_assert_gt(ids[i], 0);
	}
	cr_assert_gt(btf__add_datasec(btf, ".rodata", sec_size), 0);
	for (i = 0; i < n; i++)
		cr_assert_eq(btf__add_datasec_var_info(btf, ids[i], vars[i].off, vars[i].size), 0);
}

Test(tunables, scan_classifies_and_filters)
{
	struct btf *btf = btf__new_empty();
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int s16 = btf__add_int(btf, "short", 2, BTF_INT_SIGNED);
	int b = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	int ch = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int arr = btf__add_array(btf, u32, ch, 16);
	int ptr = btf__add_ptr(btf, u32);
	int cv = btf__add_volatile(btf, btf__add_const(btf, u32));
	const struct var_spec vars[] = {
		{ "depth", cv, 0, 4, false },		/* const volatile u32: the usual tunable */
		{ "delta", s16, 4, 2, false },
		{ "on", b, 6, 1, false },
		{ "tag", arr, 8, 16, false },
		{ "ptr", ptr, 24, 8, false },		/* not settable */
		{ "lying", u32, 32, 8, false },	/* section size != type size */
		{ "outside", u32, 60, 4, false },	/* beyond the data */
		{ "hook.____fmt", arr, 40, 16, true },	/* static: gmem_error()'s format */
		{ "table", u32, 44, 4, true },	/* a file's static const */
	};
	struct gm_tunable *t;
	int n;

	add_rodata(btf, vars, 9, 64);
	n = gm_tunables_scan(btf, 48, &t);
	cr_assert_eq(n, 4, "depth, delta, on, tag; got %d", n);
	cr_expect_str_eq(t[0].name, "depth");
	cr_expect_eq(t[0].type, GMEM_TUN_UINT);
	cr_expect_eq(t[0].size, 4);
	cr_expect_str_eq(t[1].name, "delta");
	cr_expect_eq(t[1].type, GMEM_TUN_INT);
	cr_expect_eq(t[1].off, 4);
	cr_expect_str_eq(t[2].name, "on");
	cr_expect_eq(t[2].type, GMEM_TUN_BOOL);
	cr_expect_str_eq(t[3].name, "tag");
	cr_expect_eq(t[3].type, GMEM_TUN_STR);
	cr_expect_eq(t[3].size, 16);
	free(t);
	btf__free(btf);
}

Test(tunables, no_rodata_means_none)
{
	struct btf *btf = btf__new_empty();
	struct gm_tunable *t = (void *)1;

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	cr_expect_eq(gm_tunables_scan(btf, 0, &t), 0);
	cr_expect_null(t);
	btf__free(btf);
}

Test(tunables, typed_store_and_format)
{
	struct btf *btf = btf__new_empty();
	int u8 = btf__add_int(btf, "unsigned char", 1, 0);
	int s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int u64 = btf__add_int(btf, "unsigned long", 8, 0);
	const struct var_spec vars[] = {
		{ "u8", u8, 0, 1, false }, { "s32", s32, 4, 4, false }, { "u64", u64, 8, 8, false },
	};
	unsigned char data[16], before[16];
	struct gm_tunable *t;
	char buf[64];

	add_rodata(btf, vars, 3, 16);
	cr_assert_eq(gm_tunables_scan(btf, sizeof(data), &t), 3);
	memset(data, 0, sizeof(data));

	cr_expect_eq(gm_tunable_store(&t[0], data, "255"), 0);
	cr_expect_eq(data[0], 255);
	cr_expect_eq(gm_tunable_store(&t[1], data, "-2147483648"), 0);
	cr_expect_eq(gm_tunable_store(&t[2], data, "1G"), 0);
	memcpy(before, data, sizeof(data));
	cr_expect_eq(gm_tunable_store(&t[0], data, "256"), -ERANGE);
	cr_expect_eq(gm_tunable_store(&t[0], data, "-1"), -ERANGE);
	cr_expect_eq(gm_tunable_store(&t[1], data, "2147483648"), -ERANGE);
	cr_expect_eq(gm_tunable_store(&t[1], data, "-2147483649"), -ERANGE);
	cr_expect_eq(gm_tunable_store(&t[2], data, "lots"), -EINVAL);
	cr_expect_eq(gm_tunable_store(&t[2], data, NULL), -EINVAL);
	cr_expect_eq(memcmp(before, data, sizeof(data)), 0, "a rejected store wrote data");

	gm_tunable_format(&t[0], data, buf, sizeof(buf));
	cr_expect_str_eq(buf, "255");
	gm_tunable_format(&t[1], data, buf, sizeof(buf));
	cr_expect_str_eq(buf, "-2147483648");
	gm_tunable_format(&t[2], data, buf, sizeof(buf));
	cr_expect_str_eq(buf, "1073741824");
	free(t);
	btf__free(btf);
}

/* ------------------------------------------------------------------ */
/* Policy objects.                                                     */
/* ------------------------------------------------------------------ */

static struct gmem_policy *open_fake(void)
{
	struct gmem_policy *p = NULL;
	int err = gmem_policy_open(FAKE_POLICY, &p);

	cr_assert_eq(err, 0, "open %s: %d\n%s", FAKE_POLICY, err, p ? gmem_policy_messages(p) : "");
	return p;
}

static const char *tunable_value(struct gmem_policy *p, const char *name)
{
	static struct gmem_tunable_info t;
	int i;

	for (i = 0; i < gmem_policy_nr_tunables(p); i++) {
		cr_assert_eq(gmem_policy_tunable(p, i, &t), 0);
		if (!strcmp(t.name, name))
			return t.value;
	}
	cr_assert_fail("no tunable %s", name);
	return NULL;
}

Test(policy, open_reads_name_desc_and_tunables)
{
	static const char *const names[] = {
		"small", "delta", "scan_max", "bias", "budget", "verbose", "label", "mode",
	};
	static const enum gmem_tunable_type types[] = {
		GMEM_TUN_UINT, GMEM_TUN_INT, GMEM_TUN_UINT, GMEM_TUN_INT,
		GMEM_TUN_UINT, GMEM_TUN_BOOL, GMEM_TUN_STR, GMEM_TUN_UINT,
	};
	static const unsigned int sizes[] = { 1, 2, 4, 4, 8, 1, 8, 4 };
	struct gmem_policy *p = open_fake();
	struct gmem_tunable_info t;
	int i;

	cr_expect_str_eq(gmem_policy_name(p), "fake_policy");
	cr_expect_str_eq(gmem_policy_path(p), FAKE_POLICY);
	cr_expect_str_eq(gmem_policy_desc(p), "fixture policy for host tests");
	cr_assert_eq(gmem_policy_nr_tunables(p), 8, "gmem_desc is not a tunable");
	for (i = 0; i < 8; i++) {
		cr_assert_eq(gmem_policy_tunable(p, i, &t), 0);
		cr_expect_str_eq(t.name, names[i]);
		cr_expect_eq(t.type, types[i], "%s", names[i]);
		cr_expect_eq(t.size, sizes[i], "%s", names[i]);
	}
	cr_expect_eq(gmem_policy_tunable(p, 8, &t), -ERANGE);
	cr_expect_eq(gmem_policy_tunable(p, -1, &t), -ERANGE);
	cr_expect_str_eq(tunable_value(p, "scan_max"), "64");
	cr_expect_str_eq(tunable_value(p, "delta"), "-3");
	cr_expect_str_eq(tunable_value(p, "budget"), "2097152");
	cr_expect_str_eq(tunable_value(p, "verbose"), "false");
	cr_expect_str_eq(tunable_value(p, "label"), "abc");
	gmem_policy_close(p);
}

Test(policy, set_checks_types_and_ranges)
{
	struct gmem_policy *p = open_fake();

	cr_expect_eq(gmem_policy_set(p, "scan_max", "128"), 0);
	cr_expect_str_eq(tunable_value(p, "scan_max"), "128");
	cr_expect_eq(gmem_policy_set(p, "budget", "4M"), 0);
	cr_expect_str_eq(tunable_value(p, "budget"), "4194304");
	cr_expect_eq(gmem_policy_set(p, "verbose", "yes"), 0);
	cr_expect_str_eq(tunable_value(p, "verbose"), "true");
	cr_expect_eq(gmem_policy_set(p, "delta", "-32768"), 0);
	cr_expect_eq(gmem_policy_set(p, "label", "1234567"), 0);
	cr_expect_str_eq(tunable_value(p, "label"), "1234567");

	cr_expect_eq(gmem_policy_set(p, "nosuch", "1"), -ENOENT);
	cr_expect_eq(gmem_policy_set(p, "gmem_desc", "x"), -ENOENT, "the description is not a tunable");
	cr_expect_eq(gmem_policy_set(p, "small", "256"), -ERANGE);
	cr_expect_eq(gmem_policy_set(p, "small", "-1"), -ERANGE);
	cr_expect_eq(gmem_policy_set(p, "delta", "32768"), -ERANGE);
	cr_expect_eq(gmem_policy_set(p, "label", "12345678"), -ERANGE, "no room for the NUL");
	cr_expect_eq(gmem_policy_set(p, "scan_max", "many"), -EINVAL);
	cr_expect_eq(gmem_policy_set(p, "verbose", "maybe"), -EINVAL);
	/* Rejected values left the accepted ones alone. */
	cr_expect_str_eq(tunable_value(p, "small"), "7");
	cr_expect_str_eq(tunable_value(p, "delta"), "-32768");
	cr_expect_str_eq(tunable_value(p, "label"), "1234567");
	cr_expect_str_eq(tunable_value(p, "verbose"), "true");
	gmem_policy_close(p);
}

Test(policy, set_kv_forms)
{
	struct gmem_policy *p = open_fake();
	char longkey[200];

	cr_expect_eq(gmem_policy_set_kv(p, "small=9"), 0);
	cr_expect_str_eq(tunable_value(p, "small"), "9");
	cr_expect_eq(gmem_policy_set_kv(p, "small"), -EINVAL);
	cr_expect_eq(gmem_policy_set_kv(p, "=9"), -EINVAL);
	cr_expect_eq(gmem_policy_set_kv(p, "small="), -EINVAL);
	memset(longkey, 'k', sizeof(longkey));
	strcpy(longkey + 150, "=1");
	cr_expect_eq(gmem_policy_set_kv(p, longkey), -ENOENT);
	gmem_policy_close(p);
}

Test(policy, lifecycle_order_is_enforced_without_a_kernel)
{
	struct gmem_policy *p = open_fake();

	setenv("GMEM_DEV", "/nonexistent/gmem", 1);
	cr_expect_eq(gmem_policy_attach(p), -EINVAL, "attach before load");
	cr_expect_eq(gmem_policy_pin(p), -EINVAL, "pin before attach");
	cr_expect_eq(gmem_policy_wait(p, 0, NULL), -EINVAL, "wait before attach");
	cr_expect_eq(gmem_policy_load(p), -ENODEV);
	/* The refused load changed nothing: tunables can still be set. */
	cr_expect_eq(gmem_policy_set(p, "small", "1"), 0);
	cr_expect_str_eq(gmem_policy_verifier_log(p), "");
	gmem_policy_close(p);
}

Test(policy, open_refuses_non_policies)
{
	struct gmem_policy *p = (void *)1;
	char junk[] = "/tmp/gmem-junk-XXXXXX.bpf.o";
	int fd;

	cr_expect_eq(gmem_policy_open(FIXTURE_DIR "/not_policy.bpf.o", &p), -ENOTSUP);
	cr_expect_eq(gmem_policy_open(FIXTURE_DIR "/legacy_ops.bpf.o", &p), -ENOTSUP,
		     "a .struct_ops map without a link cannot be pinned");
	cr_expect_eq(gmem_policy_open(FIXTURE_DIR "/missing.bpf.o", &p), -ENOENT);
	cr_expect_eq(gmem_policy_open("bad name!", &p), -EINVAL);
	cr_expect_eq(gmem_policy_open("", &p), -EINVAL);
	fd = mkstemps(junk, 6);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	cr_expect_eq(gmem_policy_open(junk, &p), -ENOTSUP);
	unlink(junk);
	cr_expect_eq(p, (void *)1, "output written on error");
	gmem_policy_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Search path and pin directory.                                      */
/* ------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	cr_assert(in && out, "copy %s -> %s", from, to);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

struct seen {
	char names[8][64];
	char paths[8][256];
	int n;
};

static int record(const char *name, const char *path, void *arg)
{
	struct seen *s = arg;

	cr_assert_lt(s->n, 8);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	snprintf(s->paths[s->n], sizeof(s->paths[0]), "%s", path);
	s->n++;
	return 0;
}

static int stop_at_first(const char *name, const char *path, void *arg)
{
	(void)name;
	(void)path;
	(*(int *)arg)++;
	return 42;
}

Test(search, path_order_and_shadowing)
{
	char d1[] = "/tmp/gmem-d1-XXXXXX", d2[] = "/tmp/gmem-d2-XXXXXX";
	char env[128], path[512], want[256];
	struct seen s = { .n = 0 };
	int calls = 0;

	cr_assert_not_null(mkdtemp(d1));
	cr_assert_not_null(mkdtemp(d2));
	snprintf(path, sizeof(path), "%s/alpha.bpf.o", d1);
	copy_file(FAKE_POLICY, path);
	snprintf(path, sizeof(path), "%s/alpha.bpf.o", d2);
	copy_file(FAKE_POLICY, path);
	snprintf(path, sizeof(path), "%s/beta.bpf.o", d2);
	copy_file(FAKE_POLICY, path);
	snprintf(path, sizeof(path), "%s/not-a-name!.bpf.o", d2);
	copy_file(FAKE_POLICY, path);
	snprintf(env, sizeof(env), "%s:%s", d1, d2);
	setenv("GMEM_POLICY_DIR", env, 1);

	cr_assert_eq(gmem_policy_find("alpha", path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/alpha.bpf.o", d1);
	cr_expect_str_eq(path, want, "the first directory wins");
	cr_assert_eq(gmem_policy_find("beta", path, sizeof(path)), 0);
	cr_expect_eq(gmem_policy_find("gamma", path, sizeof(path)), -ENOENT);
	cr_expect_eq(gmem_policy_find("../etc/x", path, sizeof(path)), -ENOENT);
	cr_expect_eq(gmem_policy_find("a b", path, sizeof(path)), -EINVAL);
	cr_expect_eq(gmem_policy_find("alpha", path, 8), -ENAMETOOLONG);

	cr_assert_eq(gmem_policy_foreach(record, &s), 0);
	cr_assert_eq(s.n, 2, "alpha once (shadowed), beta; the bad name skipped; got %d", s.n);
	cr_expect_str_eq(s.names[0], "alpha");
	cr_expect_str_eq(s.paths[0], want);
	cr_expect_str_eq(s.names[1], "beta");
	cr_expect_eq(gmem_policy_foreach(stop_at_first, &calls), 42);
	cr_expect_eq(calls, 1, "a non-zero callback return stops the walk");
	cr_expect_eq(gmem_policy_foreach(NULL, NULL), -EINVAL);
}

Test(policy, description_falls_back_to_the_shipped_table)
{
	char d[] = "/tmp/gmem-desc-XXXXXX", path[256];
	struct gmem_policy *p;

	cr_assert_eq(gmem_policy_open(FIXTURE_DIR "/plain_policy.bpf.o", &p), 0);
	cr_expect_str_eq(gmem_policy_desc(p), "", "no gmem_desc, not a shipped name");
	cr_expect_eq(gmem_policy_nr_tunables(p), 0);
	gmem_policy_close(p);

	cr_assert_not_null(mkdtemp(d));
	snprintf(path, sizeof(path), "%s/example_fifo.bpf.o", d);
	copy_file(FIXTURE_DIR "/plain_policy.bpf.o", path);
	cr_assert_eq(gmem_policy_open(path, &p), 0);
	cr_expect(strstr(gmem_policy_desc(p), "FIFO"), "got \"%s\"", gmem_policy_desc(p));
	gmem_policy_close(p);
	/* The object's own string wins over the table. */
	copy_file(FAKE_POLICY, path);
	cr_assert_eq(gmem_policy_open(path, &p), 0);
	cr_expect_str_eq(gmem_policy_desc(p), "fixture policy for host tests");
	gmem_policy_close(p);
}

Test(search, pin_dir_without_pins)
{
	char d[] = "/tmp/gmem-pins-XXXXXX";
	char name[64];

	cr_assert_not_null(mkdtemp(d));
	setenv("GMEM_PIN_DIR", d, 1);
	cr_expect_str_eq(gmem_pin_dir(), d);
	cr_expect_eq(gmem_policy_unpin(NULL), 0, "nothing pinned, nothing to do");
	cr_expect_eq(gmem_policy_unpin("fifo"), -ENOENT);
	cr_expect_eq(gmem_policy_unpin("../x"), -EINVAL);
	cr_expect_eq(gmem_policy_pinned(name, sizeof(name)), 0);
	rmdir(d);
	cr_expect_eq(gmem_policy_unpin(NULL), 0, "a missing pin dir is no pins");
	cr_expect_eq(gmem_policy_pinned(name, sizeof(name)), 0);
}

Test(search, name_of_path)
{
	char name[16];

	cr_expect_eq(gm_policy_name_of("/a/b/lru_cold.bpf.o", name, sizeof(name)), 0);
	cr_expect_str_eq(name, "lru_cold");
	cr_expect_eq(gm_policy_name_of("x/my policy.o", name, sizeof(name)), 0);
	cr_expect_str_eq(name, "my_policy", "unsafe characters become _");
	cr_expect_eq(gm_policy_name_of("/a/.bpf.o", name, sizeof(name)), -EINVAL);
	cr_expect_eq(gm_policy_name_of("a_very_long_policy_name.bpf.o", name, sizeof(name)),
		     -ENAMETOOLONG);
}

Test(policy, log_tail_is_the_last_lines)
{
	size_t len;
	const char *s;

	s = gmem_log_tail("a\nb\nc\n\n", 2, &len);
	cr_expect_eq(len, 3);
	cr_expect(!strncmp(s, "b\nc", len), "%.*s", (int)len, s);
	s = gmem_log_tail("only", 5, &len);
	cr_expect(!strncmp(s, "only", 4) && len == 4);
	gmem_log_tail("", 3, &len);
	cr_expect_eq(len, 0);
}
