// SPDX-License-Identifier: GPL-2.0
/* Host tests: libgmempolicy's number, size, bool and key=value parsing. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "gmempolicy.h"

static uint64_t u64_ok(const char *s)
{
	uint64_t v = 0xdeadbeef;
	int err = gmem_parse_u64(s, &v);

	cr_assert_eq(err, 0, "parse_u64(\"%s\") = %d", s, err);
	return v;
}

static void u64_err(const char *s, int want)
{
	uint64_t v = 12345;
	int err = gmem_parse_u64(s, &v);

	cr_assert_eq(err, want, "parse_u64(\"%s\") = %d, want %d", s, err, want);
	cr_assert_eq(v, 12345, "parse_u64(\"%s\") wrote the output on error", s);
}

Test(parse, u64_decimal_and_hex)
{
	cr_expect_eq(u64_ok("0"), 0);
	cr_expect_eq(u64_ok("42"), 42);
	cr_expect_eq(u64_ok("0x2a"), 42);
	cr_expect_eq(u64_ok("0X2A"), 42);
	cr_expect_eq(u64_ok("18446744073709551615"), UINT64_MAX);
	/* A leading zero is decimal, not octal: "010" is ten. */
	cr_expect_eq(u64_ok("010"), 10);
}

Test(parse, u64_size_suffixes)
{
	cr_expect_eq(u64_ok("4K"), 4096);
	cr_expect_eq(u64_ok("4k"), 4096);
	cr_expect_eq(u64_ok("2M"), 2u << 20);
	cr_expect_eq(u64_ok("2MiB"), 2u << 20);
	cr_expect_eq(u64_ok("2mb"), 2u << 20);
	cr_expect_eq(u64_ok("1G"), 1ull << 30);
	cr_expect_eq(u64_ok("3T"), 3ull << 40);
	cr_expect_eq(u64_ok("0x10K"), 16 * 1024);
}

Test(parse, u64_rejects)
{
	u64_err("", -EINVAL);
	u64_err(" 1", -EINVAL);
	u64_err("-1", -EINVAL);
	u64_err("+1", -EINVAL);
	u64_err("1x", -EINVAL);
	u64_err("12 ", -EINVAL);
	u64_err("4KK", -EINVAL);
	u64_err("4Kb2", -EINVAL);
	u64_err("0x", -EINVAL);
	u64_err("M", -EINVAL);
	u64_err("1.5G", -EINVAL);
	u64_err("5P", -EINVAL);			/* not a suffix we take */
	u64_err("18446744073709551616", -ERANGE);
	u64_err("16777216T", -ERANGE);		/* 2^24 TiB = 2^64 */
	cr_expect_eq(u64_ok("16777215T"), 16777215ull << 40);
	cr_expect_eq(gmem_parse_u64(NULL, &(uint64_t){ 0 }), -EINVAL);
}

Test(parse, i64)
{
	int64_t v = 0;

	cr_expect_eq(gmem_parse_i64("-3", &v), 0);
	cr_expect_eq(v, -3);
	cr_expect_eq(gmem_parse_i64("-4K", &v), 0);
	cr_expect_eq(v, -4096);
	cr_expect_eq(gmem_parse_i64("9223372036854775807", &v), 0);
	cr_expect_eq(v, INT64_MAX);
	cr_expect_eq(gmem_parse_i64("-9223372036854775808", &v), 0);
	cr_expect_eq(v, INT64_MIN);
	v = 7;
	cr_expect_eq(gmem_parse_i64("9223372036854775808", &v), -ERANGE);
	cr_expect_eq(gmem_parse_i64("-9223372036854775809", &v), -ERANGE);
	cr_expect_eq(gmem_parse_i64("--1", &v), -EINVAL);
	cr_expect_eq(gmem_parse_i64("-", &v), -EINVAL);
	cr_expect_eq(v, 7);
}

Test(parse, bools)
{
	static const char *const t[] = { "1", "true", "TRUE", "yes", "On" };
	static const char *const f[] = { "0", "false", "No", "off", "OFF" };
	static const char *const bad[] = { "", "2", "tru", "enable", "y", NULL };
	bool b;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		b = false;
		cr_expect_eq(gmem_parse_bool(t[i], &b), 0, "%s", t[i]);
		cr_expect(b, "%s should be true", t[i]);
	}
	for (i = 0; i < sizeof(f) / sizeof(*f); i++) {
		b = true;
		cr_expect_eq(gmem_parse_bool(f[i], &b), 0, "%s", f[i]);
		cr_expect(!b, "%s should be false", f[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_expect_eq(gmem_parse_bool(bad[i], &b), -EINVAL, "%s", bad[i] ? bad[i] : "NULL");
}

Test(parse, key_value)
{
	char key[8];
	const char *val = NULL;

	cr_assert_eq(gmem_parse_kv("depth=4", key, sizeof(key), &val), 0);
	cr_expect_str_eq(key, "depth");
	cr_expect_str_eq(val, "4");
	/* Only the first '=' splits; the value may hold more. */
	cr_assert_eq(gmem_parse_kv("s=a=b", key, sizeof(key), &val), 0);
	cr_expect_str_eq(key, "s");
	cr_expect_str_eq(val, "a=b");
	cr_assert_eq(gmem_parse_kv("k=", key, sizeof(key), &val), 0);
	cr_expect_str_eq(val, "");
	cr_expect_eq(gmem_parse_kv("novalue", key, sizeof(key), &val), -EINVAL);
	cr_expect_eq(gmem_parse_kv("=4", key, sizeof(key), &val), -EINVAL);
	cr_expect_eq(gmem_parse_kv(NULL, key, sizeof(key), &val), -EINVAL);
	cr_expect_eq(gmem_parse_kv("toolongkey=1", key, sizeof(key), &val), -ENAMETOOLONG);
	cr_expect_eq(gmem_parse_kv("1234567=1", key, sizeof(key), &val), 0);
}

Test(parse, fmt_size)
{
	char buf[32];

	cr_expect_str_eq(gmem_fmt_size(0, buf, sizeof(buf)), "0 B");
	cr_expect_str_eq(gmem_fmt_size(1023, buf, sizeof(buf)), "1023 B");
	cr_expect_str_eq(gmem_fmt_size(4096, buf, sizeof(buf)), "4 KiB");
	cr_expect_str_eq(gmem_fmt_size(3u << 19, buf, sizeof(buf)), "1.5 MiB");
	cr_expect_str_eq(gmem_fmt_size(64ull << 30, buf, sizeof(buf)), "64 GiB");
}

Test(parse, strerror_names_gmem_cases)
{
	cr_expect(strstr(gmem_strerror(-ENODEV), "module not loaded"));
	cr_expect(strstr(gmem_strerror(-EBUSY), "already in charge"));
	cr_expect(strstr(gmem_strerror(-ENOTSUP), "not a gmem policy"));
	cr_expect_str_eq(gmem_strerror(-EIO), strerror(EIO));
	cr_expect_str_eq(gmem_exit_kind_str(GMEM_EXIT_STALL), "watchdog stall");
	cr_expect_str_eq(gmem_exit_kind_str(99), "unknown");
	cr_expect_str_eq(gmem_reject_str(GMEM_REJ_BAD_ID), "bad_id");
	cr_expect_str_eq(gmem_reject_str(GMEM_REJ_NR), "unknown");
}
