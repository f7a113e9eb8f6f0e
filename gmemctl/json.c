// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A small JSON writer: compact output into a growing buffer, with the
 * structure (object/array nesting, keys only inside objects) checked as it
 * is written so that a caller bug gives an error instead of invalid JSON.
 *
 * Pure; one struct gx_json per thread. CLI plumbing (see json.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmempolicy.h"
#include "json.h"

void gx_json_init(struct gx_json *j)
{
	memset(j, 0, sizeof(*j));
}

void gx_json_free(struct gx_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

static void put(struct gx_json *j, const char *s, size_t n)
{
	size_t cap;
	char *nb;

	if (j->err)
		return;
	if (j->len + n + 1 > j->cap) {
		cap = j->cap ? j->cap : 256;
		while (j->len + n + 1 > cap)
			cap *= 2;
		nb = realloc(j->buf, cap);
		if (!nb) {
			j->err = -ENOMEM;
			return;
		}
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct gx_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/*
 * Length of the well-formed UTF-8 sequence at @p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 if it is not one.
 */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2; cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3; cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4; cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 (a policy's message may hold any) become U+FFFD. */
static void put_string(struct gx_json *j, const char *s)
{
	const unsigned char *p;
	char esc[8];
	int n;

	put(j, "\"", 1);
	for (p = (const unsigned char *)s; *p; p += n) {
		n = 1;
		switch (*p) {
		case '"':  puts_(j, "\\\""); break;
		case '\\': puts_(j, "\\\\"); break;
		case '\n': puts_(j, "\\n"); break;
		case '\r': puts_(j, "\\r"); break;
		case '\t': puts_(j, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				puts_(j, esc);
			} else if ((n = utf8_len(p)) > 0) {
				put(j, (const char *)p, n);
			} else {
				n = 1;
				puts_(j, "\\ufffd");
			}
		}
	}
	put(j, "\"", 1);
}

static bool level_is_obj(const struct gx_json *j)
{
	return j->depth && (j->in_obj & (1u << (j->depth - 1)));
}

/* The separator and key before a value; sets j->err on misuse. */
static void begin_value(struct gx_json *j, const char *key)
{
	uint32_t bit;

	if (j->err)
		return;
	if (!j->depth) {
		if (key || j->top_done) {
			j->err = -EINVAL;
			return;
		}
		j->top_done = true;
		return;
	}
	if (level_is_obj(j) != (key != NULL)) {
		j->err = -EINVAL;	/* key in an array, or none in an object */
		return;
	}
	bit = 1u << (j->depth - 1);
	if (j->has_items & bit)
		put(j, ",", 1);
	j->has_items |= bit;
	if (key) {
		put_string(j, key);
		put(j, ":", 1);
	}
}

static void open_container(struct gx_json *j, const char *key, bool obj)
{
	begin_value(j, key);
	if (j->err)
		return;
	if (j->depth >= GX_JSON_MAX_DEPTH) {
		j->err = -E2BIG;
		return;
	}
	j->depth++;
	if (obj)
		j->in_obj |= 1u << (j->depth - 1);
	else
		j->in_obj &= ~(1u << (j->depth - 1));
	j->has_items &= ~(1u << (j->depth - 1));
	put(j, obj ? "{" : "[", 1);
}

static void close_container(struct gx_json *j, bool obj)
{
	if (j->err)
		return;
	if (!j->depth || level_is_obj(j) != obj) {
		j->err = -EINVAL;
		return;
	}
	j->depth--;
	put(j, obj ? "}" : "]", 1);
}

void gx_json_obj_begin(struct gx_json *j, const char *key)
{
	open_container(j, key, true);
}

void gx_json_obj_end(struct gx_json *j)
{
	close_container(j, true);
}

void gx_json_arr_begin(struct gx_json *j, const char *key)
{
	open_container(j, key, false);
}

void gx_json_arr_end(struct gx_json *j)
{
	close_container(j, false);
}

void gx_json_str(struct gx_json *j, const char *key, const char *s)
{
	begin_value(j, key);
	if (!s)
		puts_(j, "null");
	else
		put_string(j, s);
}

void gx_json_u64(struct gx_json *j, const char *key, uint64_t v)
{
	char num[24];

	begin_value(j, key);
	snprintf(num, sizeof(num), "%" PRIu64, v);
	puts_(j, num);
}

void gx_json_i64(struct gx_json *j, const char *key, int64_t v)
{
	char num[24];

	begin_value(j, key);
	snprintf(num, sizeof(num), "%" PRId64, v);
	puts_(j, num);
}

void gx_json_bool(struct gx_json *j, const char *key, bool v)
{
	begin_value(j, key);
	puts_(j, v ? "true" : "false");
}

void gx_json_null(struct gx_json *j, const char *key)
{
	begin_value(j, key);
	puts_(j, "null");
}

void gx_json_stats(struct gx_json *j, const char *key, const struct gmem_stats *st)
{
	gx_json_obj_begin(j, key);
#define X(name) gx_json_u64(j, #name, st->name);
	GMEM_STATS_COUNTERS(X)
#undef X
	gx_json_obj_end(j);
}

int gx_json_finish(struct gx_json *j, const char **out)
{
	if (j->err)
		return j->err;
	if (j->depth || !j->top_done || !j->buf)
		return -EINVAL;
	*out = j->buf;
	return 0;
}

/*
 * Re-indent a compact document written by this file: strings are copied as
 * they are (escapes included), a newline and indentation go after '{', '['
 * and ',' and before the closing bracket, a space after ':'. Empty
 * containers stay "{}" and "[]".
 */
void gx_json_print(FILE *f, const char *doc, bool pretty)
{
	const char *c;
	bool in_str = false;
	int depth = 0;

	if (!pretty) {
		fprintf(f, "%s\n", doc);
		return;
	}
	for (c = doc; *c; c++) {
		if (in_str) {
			fputc(*c, f);
			if (*c == '\\' && c[1])
				fputc(*++c, f);
			else if (*c == '"')
				in_str = false;
			continue;
		}
		switch (*c) {
		case '"':
			in_str = true;
			fputc(*c, f);
			break;
		case '{':
		case '[':
			fputc(*c, f);
			if (c[1] == '}' || c[1] == ']') {
				fputc(*++c, f);
				break;
			}
			fprintf(f, "\n%*s", 2 * ++depth, "");
			break;
		case '}':
		case ']':
			fprintf(f, "\n%*s%c", 2 * --depth, "", *c);
			break;
		case ',':
			fprintf(f, ",\n%*s", 2 * depth, "");
			break;
		case ':':
			fputs(": ", f);
			break;
		default:
			fputc(*c, f);
		}
	}
	fputc('\n', f);
}
