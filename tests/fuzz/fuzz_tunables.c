// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_tunables: gmem_policy_set_kv() on a policy object with tunables of
 * every kind (the host-test fixture fake_policy.bpf.o: u8, s16, u32, s32,
 * u64, bool, char[8], enum). A refused setting must change no tunable; an
 * accepted one must change exactly that tunable, to the value the parsers
 * read from the input, and that value must fit the tunable's size.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmempolicy.h"

#define FIXTURE		FIXTURE_DIR "/fake_policy.bpf.o"
#define MAX_TUN		32

static void snapshot(struct gmem_policy *p, struct gmem_tunable_info *t, int *n)
{
	int i;

	*n = gmem_policy_nr_tunables(p);
	if (*n < 0 || *n > MAX_TUN)
		abort();
	for (i = 0; i < *n; i++)
		if (gmem_policy_tunable(p, i, &t[i]))
			abort();
}

static bool fits(const struct gmem_tunable_info *t)
{
	uint64_t u;
	int64_t s;

	switch (t->type) {
	case GMEM_TUN_UINT:
		return !gmem_parse_u64(t->value, &u) && (t->size == 8 || u >> (8 * t->size) == 0);
	case GMEM_TUN_INT:
		if (gmem_parse_i64(t->value, &s))
			return false;
		return t->size == 8 || (s >= -(1LL << (8 * t->size - 1)) && s < (1LL << (8 * t->size - 1)));
	default:
		return true;
	}
}

/* Does the tunable now hold what @val says? */
static bool holds(const struct gmem_tunable_info *t, const char *val)
{
	const char *s = t->value;
	uint64_t a, b;
	int64_t x, y;
	bool p, q;

	switch (t->type) {
	case GMEM_TUN_UINT:
		return !gmem_parse_u64(val, &a) && !gmem_parse_u64(t->value, &b) && a == b;
	case GMEM_TUN_INT:
		return !gmem_parse_i64(val, &x) && !gmem_parse_i64(t->value, &y) && x == y;
	case GMEM_TUN_BOOL:
		return !gmem_parse_bool(val, &p) && !gmem_parse_bool(t->value, &q) && p == q;
	default:
		/* The formatted value shows unprintable bytes as '?'. */
		for (; *val; val++, s++)
			if (*s != (isprint((unsigned char)*val) ? *val : '?'))
				return false;
		return !*s;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gmem_tunable_info before[MAX_TUN], after[MAX_TUN];
	struct gmem_policy *p;
	char kv[96];
	const char *eq;
	int n0, n1, i, err;

	if (size >= sizeof(kv))
		return 0;
	memcpy(kv, data, size);
	kv[size] = '\0';
	if (gmem_policy_open(FIXTURE, &p))
		abort();
	snapshot(p, before, &n0);
	err = gmem_policy_set_kv(p, kv);
	snapshot(p, after, &n1);
	if (n0 != n1)
		abort();
	eq = strchr(kv, '=');
	for (i = 0; i < n0; i++) {
		bool target = !err && eq && strlen(before[i].name) == (size_t)(eq - kv) &&
			      !strncmp(before[i].name, kv, eq - kv);

		if (!target && strcmp(before[i].value, after[i].value)) {
			fprintf(stderr, "'%s' (%d) changed tunable %s: %s -> %s\n", kv, err,
				before[i].name, before[i].value, after[i].value);
			abort();
		}
		if (target && (!holds(&after[i], eq + 1) || !fits(&after[i]))) {
			fprintf(stderr, "'%s' accepted, but %s holds %s\n", kv, after[i].name,
				after[i].value);
			abort();
		}
	}
	if (err && err != -EINVAL && err != -ERANGE && err != -ENOENT && err != -ENAMETOOLONG) {
		fprintf(stderr, "'%s': unexpected error %d\n", kv, err);
		abort();
	}
	gmem_policy_close(p);
	return 0;
}
