// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_parse: libgmempolicy's number, size, bool and key=value parsers
 * against an independent reference written from the documented grammar
 * (gmempolicy.h): they must agree on every input, on the value and on the
 * error. Also: gmem_fmt_size() always terminates its output in bounds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmempolicy.h"

#define MAX_IN	64

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int hexval(int c)
{
	c = lower(c);
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool eq_nocase(const char *a, const char *b)
{
	while (*a && *b && lower((unsigned char)*a) == lower((unsigned char)*b))
		a++, b++;
	return !*a && !*b;
}

/*
 * Grammar: digit+ | "0x" hexdigit+, then an optional K/M/G/T (any case)
 * followed by nothing, "B" or "iB" (any case). Digits that overflow u64 are
 * -ERANGE whatever follows; so is a suffix that overflows the value.
 */
static int ref_u64(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	unsigned __int128 v = 0;
	const char *p = s;
	int base = 10, shift = 0, d;
	bool over = false;

	if (!(*p >= '0' && *p <= '9'))
		return -EINVAL;
	if (p[0] == '0' && lower((unsigned char)p[1]) == 'x' && hexval((unsigned char)p[2]) >= 0) {
		base = 16;
		p += 2;
	}
	for (; (d = hexval((unsigned char)*p)) >= 0 && d < base; p++) {
		v = v * base + d;
		if (v > UINT64_MAX)
			over = true, v = UINT64_MAX;
	}
	if (over)
		return -ERANGE;
	if (*p) {
		const char *u = strchr(units, lower((unsigned char)*p));

		if (!u || !*u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		p++;
		if (*p && !eq_nocase(p, "b") && !eq_nocase(p, "ib"))
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int ref_i64(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t m;
	int err = ref_u64(neg ? s + 1 : s, &m);

	if (err)
		return err;
	if (neg ? m > (uint64_t)INT64_MAX + 1 : m > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

static int ref_bool(const char *s, bool *out)
{
	static const char *const t[] = { "1", "true", "yes", "on" }, *const f[] = { "0", "false", "no", "off" };
	int i;

	for (i = 0; i < 4; i++) {
		if (eq_nocase(s, t[i]))
			return *out = true, 0;
		if (eq_nocase(s, f[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static void check_numbers(const char *s)
{
	uint64_t u = 0, ru = 0;
	int64_t i = 0, ri = 0;
	bool b = false, rb = false;
	int e, re;

	e = gmem_parse_u64(s, &u);
	re = ref_u64(s, &ru);
	if (e != re || (!e && u != ru)) {
		fprintf(stderr, "gmem_parse_u64(\"%s\"): %d %llu, reference %d %llu\n", s, e,
			(unsigned long long)u, re, (unsigned long long)ru);
		abort();
	}
	e = gmem_parse_i64(s, &i);
	re = ref_i64(s, &ri);
	if (e != re || (!e && i != ri)) {
		fprintf(stderr, "gmem_parse_i64(\"%s\"): %d %lld, reference %d %lld\n", s, e,
			(long long)i, re, (long long)ri);
		abort();
	}
	e = gmem_parse_bool(s, &b);
	re = ref_bool(s, &rb);
	if (e != re || (!e && b != rb)) {
		fprintf(stderr, "gmem_parse_bool(\"%s\"): %d, reference %d\n", s, e, re);
		abort();
	}
}

static void check_kv(const char *s, size_t keylen)
{
	char key[MAX_IN + 1];
	const char *val = NULL, *eq = strchr(s, '=');
	int e = gmem_parse_kv(s, key, keylen, &val), want;

	want = !eq || eq == s ? -EINVAL : (size_t)(eq - s) >= keylen ? -ENAMETOOLONG : 0;
	if (e != want || (!e && (strncmp(key, s, eq - s) || key[eq - s] || val != eq + 1))) {
		fprintf(stderr, "gmem_parse_kv(\"%s\", %zu): %d, want %d\n", s, keylen, e, want);
		abort();
	}
}

static void check_fmt(uint64_t v, size_t len)
{
	char buf[48];
	size_t i;

	memset(buf, 'x', sizeof(buf));
	gmem_fmt_size(v, buf, len);
	if (len && !memchr(buf, '\0', len)) {
		fprintf(stderr, "gmem_fmt_size(%llu, %zu): not terminated\n", (unsigned long long)v, len);
		abort();
	}
	for (i = len; i < sizeof(buf); i++)
		if (buf[i] != 'x') {
			fprintf(stderr, "gmem_fmt_size(%llu, %zu): wrote past the buffer\n",
				(unsigned long long)v, len);
			abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_IN + 1];
	uint64_t v = 0;
	size_t n = size > MAX_IN ? MAX_IN : size;

	memcpy(s, data, n);
	s[n] = '\0';
	check_numbers(s);
	check_kv(s, size ? 1 + data[0] % 16 : 8);
	memcpy(&v, data, size < 8 ? size : 8);
	check_fmt(v, size > 8 ? data[8] % 40 : 16);
	return 0;
}
