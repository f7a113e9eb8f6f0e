// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Number, size, bool and key=value parsing shared by tunables and the CLI.
 *
 * Pure functions, no locking. strtoull() alone accepts "-1" (wrapping it),
 * leading spaces and an empty string, so each accepted form is checked here.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gmempolicy.h"

/* Binary shift for a size suffix at @s; -1 if @s is not a (complete) suffix. */
static int size_suffix_shift(const char *s)
{
	static const char units[] = "KMGT";
	const char *u;
	int shift;

	if (!*s)
		return 0;
	u = strchr(units, toupper((unsigned char)*s));
	if (!u)
		return -1;
	shift = 10 * (int)(u - units + 1);
	s++;
	if (!*s || !strcasecmp(s, "B") || !strcasecmp(s, "iB"))
		return shift;
	return -1;
}

int gmem_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base, shift;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;		/* empty, sign, space: all rejected */
	/* Decimal or 0x hex; a leading 0 does not mean octal here. */
	base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s)
		return -EINVAL;
	shift = size_suffix_shift(end);
	if (shift < 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int gmem_parse_i64(const char *s, int64_t *out)
{
	bool neg = s && *s == '-';
	uint64_t mag;
	int err;

	err = gmem_parse_u64(neg ? s + 1 : s, &mag);
	if (err)
		return err;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
		return 0;
	}
	if (mag > INT64_MAX)
		return -ERANGE;
	*out = (int64_t)mag;
	return 0;
}

int gmem_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int gmem_parse_kv(const char *kv, char *key, size_t keylen, const char **value)
{
	const char *eq = kv ? strchr(kv, '=') : NULL;
	size_t n;

	if (!eq || eq == kv)
		return -EINVAL;
	n = (size_t)(eq - kv);
	if (n >= keylen)
		return -ENAMETOOLONG;
	memcpy(key, kv, n);
	key[n] = '\0';
	*value = eq + 1;
	return 0;
}

const char *gmem_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned int u = 0;
	double v = (double)bytes;

	while (v >= 1024.0 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else if (v == (double)(uint64_t)v)
		snprintf(buf, len, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}
