// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_json: the JSON writer (gx_json_*) driven by a random sequence of
 * calls, checked against a model of its rules (keys exactly inside objects,
 * one top-level value, nesting up to GX_JSON_MAX_DEPTH, errors sticky).
 * When the model says the document is fine, gx_json_finish() must succeed
 * and its output must be valid RFC 8259 JSON (strict parser below, UTF-8
 * included) whose strings decode back to exactly what was written; when
 * the model says it is not, finish must fail.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmempolicy.h"
#include "json.h"

#define MAX_STRS	256
#define MAX_STR		48

struct input {
	const uint8_t *d;
	size_t n;
};

static uint8_t take(struct input *in)
{
	uint8_t c = 0;

	if (in->n) {
		c = *in->d++;
		in->n--;
	}
	return c;
}

/* A NUL-terminated string of up to MAX_STR bytes from the input. */
static void take_str(struct input *in, char *s)
{
	size_t len = take(in) % (MAX_STR + 1), i;

	for (i = 0; i < len; i++) {
		s[i] = (char)take(in);
		if (!s[i])
			break;
	}
	s[i] = '\0';
}

/* What the writer should think. */
struct model {
	int err;
	unsigned int depth;
	bool obj[GX_JSON_MAX_DEPTH + 1];
	bool top_done;
	/* every key and string value, in order, as the writer must encode it */
	char strs[MAX_STRS][3 * MAX_STR + 1];
	unsigned int nstr;
};

static int utf8_len(const unsigned char *p);

/* The writer replaces each byte that starts no valid UTF-8 sequence with U+FFFD. */
static void m_str(struct model *m, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *o;
	int n;

	if (m->nstr < MAX_STRS) {
		o = m->strs[m->nstr];
		while (*p) {
			n = utf8_len(p);
			if (n) {
				memcpy(o, p, n);
				o += n;
				p += n;
			} else {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				p++;
			}
		}
		*o = '\0';
	}
	m->nstr++;
}

static void m_value(struct model *m, const char *key)
{
	if (m->err)
		return;
	if (!m->depth) {
		if (key || m->top_done)
			m->err = -EINVAL;
		m->top_done = true;
		return;
	}
	if (m->obj[m->depth - 1] != (key != NULL))
		m->err = -EINVAL;
	else if (key)
		m_str(m, key);
}

static void m_open(struct model *m, const char *key, bool obj)
{
	m_value(m, key);
	if (m->err)
		return;
	if (m->depth >= GX_JSON_MAX_DEPTH) {
		m->err = -E2BIG;
		return;
	}
	m->obj[m->depth++] = obj;
}

static void m_close(struct model *m, bool obj)
{
	if (m->err)
		return;
	if (!m->depth || m->obj[m->depth - 1] != obj)
		m->err = -EINVAL;
	else
		m->depth--;
}

/* ------------------------------------------------------ strict validator */

struct parser {
	const char *p;
	unsigned int nstr;
	struct model *m;
	int depth;
};

static void fail(const char *why, const char *doc)
{
	fprintf(stderr, "invalid JSON from the writer (%s):\n%s\n", why, doc);
	abort();
}

static void ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

/* One UTF-8 sequence at p (RFC 3629: shortest form, no surrogates); its length or 0. */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, c = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (n == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return n;
}

static void string(struct parser *ps, const char *doc)
{
	char out[4 * MAX_STR + 1];
	size_t o = 0;
	int n;

	if (*ps->p++ != '"')
		fail("string expected", doc);
	while (*ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;

		if (o + 4 > 4 * MAX_STR)
			fail("string longer than anything written", doc);
		if (!c || c < 0x20)
			fail("raw control character or end in a string", doc);
		if (c == '\\') {
			const char *e = "\"\\/bfnrt", *k = strchr(e, ps->p[1]);
			static const char map[] = "\"\\/\b\f\n\r\t";

			if (ps->p[1] == 'u') {
				unsigned int v;

				if (sscanf(ps->p + 2, "%4x", &v) != 1 || !v || (v >= 0x80 && v != 0xfffd))
					fail("\\u escape the writer never makes", doc);
				if (v == 0xfffd) {	/* for a byte that is not UTF-8 */
					memcpy(out + o, "\xef\xbf\xbd", 3);
					o += 3;
				} else {
					out[o++] = (char)v;
				}
				ps->p += 6;
				continue;
			}
			if (!ps->p[1] || !k)
				fail("bad escape", doc);
			out[o++] = map[k - e];
			ps->p += 2;
			continue;
		}
		n = utf8_len((const unsigned char *)ps->p);
		if (!n)
			fail("invalid UTF-8 in a string", doc);
		memcpy(out + o, ps->p, n);
		o += n;
		ps->p += n;
	}
	ps->p++;
	out[o] = '\0';
	if (ps->nstr < MAX_STRS && ps->nstr < ps->m->nstr && strcmp(out, ps->m->strs[ps->nstr]))
		fail("a string does not decode to what was written", doc);
	ps->nstr++;
}

static void value(struct parser *ps, const char *doc);

static void container(struct parser *ps, const char *doc, char close, bool obj)
{
	ps->p++;
	if (++ps->depth > GX_JSON_MAX_DEPTH)
		fail("too deep", doc);
	ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return;
	}
	for (;;) {
		ws(ps);
		if (obj) {
			string(ps, doc);
			ws(ps);
			if (*ps->p++ != ':')
				fail("':' expected", doc);
		}
		value(ps, doc);
		ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p++ != close)
			fail("',' or the end of a container expected", doc);
		ps->depth--;
		return;
	}
}

static void number(struct parser *ps, const char *doc)
{
	if (*ps->p == '-')
		ps->p++;
	if (*ps->p == '0')
		ps->p++;
	else if (*ps->p >= '1' && *ps->p <= '9')
		while (*ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	else
		fail("bad number", doc);
}

static void value(struct parser *ps, const char *doc)
{
	ws(ps);
	switch (*ps->p) {
	case '{': container(ps, doc, '}', true); return;
	case '[': container(ps, doc, ']', false); return;
	case '"': string(ps, doc); return;
	}
	if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "null", 4))
		ps->p += 4;
	else if (!strncmp(ps->p, "false", 5))
		ps->p += 5;
	else
		number(ps, doc);
}

static void validate(const char *doc, struct model *m)
{
	struct parser ps = { .p = doc, .m = m };

	value(&ps, doc);
	ws(&ps);
	if (*ps.p)
		fail("text after the top-level value", doc);
	if (ps.nstr != m->nstr)
		fail("not every string written is in the document", doc);
}

/* ------------------------------------------------------------ the driver */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct gmem_stats st;
	struct gx_json j;
	char key[MAX_STR + 1], str[MAX_STR + 1];
	static struct model m;
	const char *doc = NULL;
	int ret;

	memset(&m, 0, sizeof(m));
	gx_json_init(&j);
	while (in.n) {
		uint8_t op = take(&in);
		const char *k = NULL;

		if (op & 0x80) {
			take_str(&in, key);
			k = key;
		}
		switch (op % 10) {
		case 0: gx_json_obj_begin(&j, k); m_open(&m, k, true); break;
		case 1: gx_json_obj_end(&j); m_close(&m, true); break;
		case 2: gx_json_arr_begin(&j, k); m_open(&m, k, false); break;
		case 3: gx_json_arr_end(&j); m_close(&m, false); break;
		case 4:
			take_str(&in, str);
			gx_json_str(&j, k, (op & 0x40) ? NULL : str);
			m_value(&m, k);
			if (!m.err && !(op & 0x40))
				m_str(&m, str);
			break;
		case 5: gx_json_u64(&j, k, (uint64_t)take(&in) << (take(&in) % 57)); m_value(&m, k); break;
		case 6:
			gx_json_i64(&j, k, (int64_t)(0 - ((uint64_t)take(&in) << (take(&in) % 57))));
			m_value(&m, k);
			break;
		case 7: gx_json_bool(&j, k, op & 0x40); m_value(&m, k); break;
		case 8: gx_json_null(&j, k); m_value(&m, k); break;
		default:
			memset(&st, take(&in), sizeof(st));
			gx_json_stats(&j, k, &st);
			m_open(&m, k, true);
			if (!m.err) {
#define X(name) #name,
				static const char *const names[] = { GMEM_STATS_COUNTERS(X) };
#undef X
				unsigned int i;

				for (i = 0; i < GMEM_STATS_NR_COUNTERS; i++)
					m_str(&m, names[i]);
			}
			m_close(&m, true);
			break;
		}
	}
	ret = gx_json_finish(&j, &doc);
	if (!m.err && (m.depth || !m.top_done))
		m.err = -EINVAL;
	if (ret != m.err) {
		fprintf(stderr, "gx_json_finish: %d, the model says %d\n", ret, m.err);
		abort();
	}
	if (!ret)
		validate(doc, &m);
	gx_json_free(&j);
	return 0;
}
