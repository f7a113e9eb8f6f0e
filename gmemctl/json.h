/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmemctl's JSON writer (json.c): CLI plumbing, not part of libgmempolicy's
 * ABI. gx_json_print() adds the -p/--pretty layout on output.
 */
#ifndef GMEMCTL_JSON_H
#define GMEMCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/gmem.h>

/*
 * Builds compact JSON in memory. Inside an object every value needs a key;
 * at the top level and inside arrays, key must be NULL. Errors are sticky:
 * after the first one (-ENOMEM, -EINVAL misuse, -E2BIG nesting beyond
 * GX_JSON_MAX_DEPTH) every call is a no-op and gx_json_finish() reports it.
 */
#define GX_JSON_MAX_DEPTH 32

struct gx_json {
	char *buf;
	size_t len, cap;
	int err;
	unsigned int depth;
	uint32_t in_obj;	/* bit d: level d is an object (else an array) */
	uint32_t has_items;	/* bit d: level d has a member already */
	bool top_done;		/* one top-level value written */
};

void gx_json_init(struct gx_json *j);
void gx_json_free(struct gx_json *j);
void gx_json_obj_begin(struct gx_json *j, const char *key);
void gx_json_obj_end(struct gx_json *j);
void gx_json_arr_begin(struct gx_json *j, const char *key);
void gx_json_arr_end(struct gx_json *j);
void gx_json_str(struct gx_json *j, const char *key, const char *s);
void gx_json_u64(struct gx_json *j, const char *key, uint64_t v);
void gx_json_i64(struct gx_json *j, const char *key, int64_t v);
void gx_json_bool(struct gx_json *j, const char *key, bool v);
void gx_json_null(struct gx_json *j, const char *key);
/* All counters of @st as an object. */
void gx_json_stats(struct gx_json *j, const char *key, const struct gmem_stats *st);
/*
 * The finished document (NUL-terminated, owned by @j) in *@out.
 * Errors: the sticky error, or -EINVAL if nothing was written or a container
 * is still open.
 */
int gx_json_finish(struct gx_json *j, const char **out);

/*
 * Print the finished document @doc on @f, one line (compact), or indented by
 * two spaces per level when @pretty; then a newline.
 */
void gx_json_print(FILE *f, const char *doc, bool pretty);

#endif /* GMEMCTL_JSON_H */
