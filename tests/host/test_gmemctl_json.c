// SPDX-License-Identifier: GPL-2.0
/* Host tests: the JSON writer (structure checks, escaping, errors). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "gmempolicy.h"
#include "json.h"

static const char *finish_ok(struct gx_json *j)
{
	const char *out = NULL;
	int err = gx_json_finish(j, &out);

	cr_assert_eq(err, 0, "finish = %d", err);
	return out;
}

static void expect_err(struct gx_json *j, int want)
{
	const char *out = NULL;

	cr_expect_eq(gx_json_finish(j, &out), want);
	cr_expect_null(out);
}

Test(json, nested_document)
{
	struct gx_json j;

	gx_json_init(&j);
	gx_json_obj_begin(&j, NULL);
	gx_json_str(&j, "name", "lru");
	gx_json_u64(&j, "n", 18446744073709551615ull);
	gx_json_i64(&j, "d", -5);
	gx_json_bool(&j, "on", true);
	gx_json_null(&j, "none");
	gx_json_arr_begin(&j, "list");
	gx_json_u64(&j, NULL, 1);
	gx_json_obj_begin(&j, NULL);
	gx_json_obj_end(&j);
	gx_json_arr_begin(&j, NULL);
	gx_json_arr_end(&j);
	gx_json_str(&j, NULL, NULL);
	gx_json_arr_end(&j);
	gx_json_obj_end(&j);
	cr_expect_str_eq(finish_ok(&j),
			 "{\"name\":\"lru\",\"n\":18446744073709551615,\"d\":-5,\"on\":true,"
			 "\"none\":null,\"list\":[1,{},[],null]}");
	gx_json_free(&j);
}

Test(json, escaping)
{
	struct gx_json j;

	gx_json_init(&j);
	gx_json_obj_begin(&j, NULL);
	gx_json_str(&j, "k\"ey", "a\"b\\c\nd\te\x01\x7f/");
	gx_json_obj_end(&j);
	cr_expect_str_eq(finish_ok(&j),
			 "{\"k\\\"ey\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f/\"}");
	gx_json_free(&j);
}

Test(json, top_level_scalar_and_growth)
{
	struct gx_json j;
	char big[5000];
	const char *out;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	gx_json_init(&j);
	gx_json_str(&j, NULL, big);
	out = finish_ok(&j);
	cr_expect_eq(strlen(out), sizeof(big) - 1 + 2);
	cr_expect_eq(out[0], '"');
	gx_json_free(&j);
}

Test(json, key_rules)
{
	struct gx_json j;

	gx_json_init(&j);		/* key at top level */
	gx_json_u64(&j, "k", 1);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);

	gx_json_init(&j);		/* value without key in an object */
	gx_json_obj_begin(&j, NULL);
	gx_json_u64(&j, NULL, 1);
	gx_json_obj_end(&j);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);

	gx_json_init(&j);		/* key inside an array */
	gx_json_arr_begin(&j, NULL);
	gx_json_bool(&j, "k", false);
	gx_json_arr_end(&j);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);
}

Test(json, balance_rules)
{
	struct gx_json j;

	gx_json_init(&j);		/* nothing written */
	expect_err(&j, -EINVAL);
	gx_json_free(&j);

	gx_json_init(&j);		/* unclosed */
	gx_json_obj_begin(&j, NULL);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);

	gx_json_init(&j);		/* wrong closer */
	gx_json_obj_begin(&j, NULL);
	gx_json_arr_end(&j);
	gx_json_obj_end(&j);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);

	gx_json_init(&j);		/* two top-level values */
	gx_json_u64(&j, NULL, 1);
	gx_json_u64(&j, NULL, 2);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);

	gx_json_init(&j);		/* close at depth 0 */
	gx_json_arr_end(&j);
	expect_err(&j, -EINVAL);
	gx_json_free(&j);
}

Test(json, depth_limit_is_sticky)
{
	struct gx_json j;
	int i;

	gx_json_init(&j);
	for (i = 0; i < GX_JSON_MAX_DEPTH; i++)
		gx_json_arr_begin(&j, NULL);
	cr_expect_eq(j.err, 0);
	gx_json_arr_begin(&j, NULL);
	cr_expect_eq(j.err, -E2BIG);
	for (i = 0; i < GX_JSON_MAX_DEPTH + 1; i++)
		gx_json_arr_end(&j);
	expect_err(&j, -E2BIG);
	gx_json_free(&j);

	gx_json_init(&j);		/* exactly the limit is fine */
	for (i = 0; i < GX_JSON_MAX_DEPTH; i++)
		gx_json_arr_begin(&j, NULL);
	for (i = 0; i < GX_JSON_MAX_DEPTH; i++)
		gx_json_arr_end(&j);
	cr_expect_eq(strlen(finish_ok(&j)), 2 * GX_JSON_MAX_DEPTH);
	gx_json_free(&j);
}

Test(json, stats_object_has_every_counter)
{
	struct gmem_stats st;
	struct gx_json j;
	const char *out;

	memset(&st, 0, sizeof(st));
	st.cpu_faults = 1;
	st.dev_faults = 2;
	st.evictions = 3;
	st.dev_accesses = 4;
	st.batch_max = 5;
	st.write_faults = 6;
	gx_json_init(&j);
	gx_json_stats(&j, NULL, &st);
	out = finish_ok(&j);
	cr_expect(strstr(out, "\"cpu_faults\":1,\"dev_faults\":2,"));
	cr_expect(strstr(out, "\"evictions\":3,"));
	cr_expect(strstr(out, "\"dev_accesses\":4,"));
	cr_expect(strstr(out, "\"batch_max\":5,\"write_faults\":6}"));
	cr_expect(strstr(out, "\"prefetch_wasted\":0"));
	gx_json_free(&j);
}

/* Found by tests/fuzz/fuzz_json: bytes that are not UTF-8 must not reach the output. */
Test(json, invalid_utf8_becomes_replacement_char)
{
	struct gx_json j;

	gx_json_init(&j);
	gx_json_arr_begin(&j, NULL);
	gx_json_str(&j, NULL, "\xff");		/* never valid */
	gx_json_str(&j, NULL, "a\xc3");		/* truncated sequence */
	gx_json_str(&j, NULL, "\xc0\xaf");		/* overlong '/' */
	gx_json_str(&j, NULL, "\xed\xa0\x80");	/* surrogate */
	gx_json_str(&j, NULL, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); /* valid */
	gx_json_arr_end(&j);
	cr_expect_str_eq(finish_ok(&j),
			 "[\"\\ufffd\",\"a\\ufffd\",\"\\ufffd\\ufffd\",\"\\ufffd\\ufffd\\ufffd\","
			 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]");
	gx_json_free(&j);
}
