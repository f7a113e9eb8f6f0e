// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Finding policies: names vs paths, the search path, and listing.
 *
 * Search order for a name: each directory of $GMEM_POLICY_DIR (colon
 * separated), then GMEM_POLICY_SHARE_DIR (<prefix>/share/gmem/policies, set
 * at build time). No development or test-guest path is built in: the test
 * guest sets $GMEM_POLICY_DIR=/gmem/bpf. The first directory holding <name>.bpf.o wins, as with $PATH.
 *
 * No shared state, no locking.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *gmem_pin_dir(void)
{
	const char *p = getenv("GMEM_PIN_DIR");

	return p && *p ? p : GMEM_DEFAULT_PIN_DIR;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool gm_policy_name_ok(const char *name)
{
	const char *c;

	if (!name || !*name || strlen(name) >= GMEM_POLICY_NAME_MAX)
		return false;
	for (c = name; *c; c++)
		if (!name_char_ok(*c))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_path(const char *s)
{
	return strchr(s, '/') || ends_with(s, GMEM_POLICY_SUFFIX);
}

int gm_policy_name_of(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;
	char *c;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (ends_with(base, GMEM_POLICY_SUFFIX))
		n -= strlen(GMEM_POLICY_SUFFIX);
	else if (ends_with(base, ".o"))
		n -= 2;
	if (!n)
		return -EINVAL;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(name, base, n);
	name[n] = '\0';
	/* The name becomes a bpffs file name: keep it to a safe alphabet. */
	for (c = name; *c; c++)
		if (!name_char_ok(*c))
			*c = '_';
	return 0;
}

/*
 * Call @fn for each search directory in order; stops at a non-zero return.
 * The environment list is copied because it is split in place.
 */
static int for_each_dir(int (*fn)(const char *dir, void *arg), void *arg)
{
	static const char *const fixed[] = { GMEM_POLICY_SHARE_DIR };
	const char *env = getenv("GMEM_POLICY_DIR");
	char *list = NULL, *dir, *save = NULL;
	size_t i;
	int ret = 0;

	if (env && *env) {
		list = strdup(env);
		if (!list)
			return -ENOMEM;
		for (dir = strtok_r(list, ":", &save); dir && !ret; dir = strtok_r(NULL, ":", &save))
			ret = fn(dir, arg);
		free(list);
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && !ret; i++)
		ret = fn(fixed[i], arg);
	return ret;
}

const char *gmem_policy_share_dir(void)
{
	return GMEM_POLICY_SHARE_DIR;
}

struct find_ctx {
	const char *name;
	char *path;
	size_t len;
};

static int find_in_dir(const char *dir, void *arg)
{
	struct find_ctx *c = arg;
	char buf[4096];
	int n;

	n = snprintf(buf, sizeof(buf), "%s/%s%s", dir, c->name, GMEM_POLICY_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(buf) || access(buf, F_OK))
		return 0;
	if ((size_t)n >= c->len)
		return -ENAMETOOLONG;
	memcpy(c->path, buf, (size_t)n + 1);
	return 1;
}

int gmem_policy_find(const char *name, char *path, size_t len)
{
	struct find_ctx c = { name, path, len };
	int ret;

	if (!name || !*name || !path)
		return -EINVAL;
	if (is_path(name)) {
		if (access(name, F_OK))
			return -errno;
		if (strlen(name) >= len)
			return -ENAMETOOLONG;
		strcpy(path, name);
		return 0;
	}
	if (!gm_policy_name_ok(name))
		return -EINVAL;
	ret = for_each_dir(find_in_dir, &c);
	return ret == 1 ? 0 : ret ? ret : -ENOENT;
}

/* ------------------------------------------------------------------ */

struct list_ctx {
	int (*cb)(const char *name, const char *path, void *arg);
	void *arg;
	char **seen;		/* names already reported (earlier dirs win) */
	size_t nr_seen, cap_seen;
};

static bool seen(const struct list_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nr_seen; i++)
		if (!strcmp(c->seen[i], name))
			return true;
	return false;
}

static int remember(struct list_ctx *c, const char *name)
{
	char **n;

	if (c->nr_seen == c->cap_seen) {
		n = realloc(c->seen, (c->cap_seen ? c->cap_seen * 2 : 16) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->seen = n;
		c->cap_seen = c->cap_seen ? c->cap_seen * 2 : 16;
	}
	c->seen[c->nr_seen] = strdup(name);
	if (!c->seen[c->nr_seen])
		return -ENOMEM;
	c->nr_seen++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Policy names in @dir, sorted, appended to the seen list; returns how many. */
static int collect_dir(struct list_ctx *c, const char *dir)
{
	char name[GMEM_POLICY_NAME_MAX];
	size_t first = c->nr_seen;
	struct dirent *de;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (!ends_with(de->d_name, GMEM_POLICY_SUFFIX) ||
		    n - strlen(GMEM_POLICY_SUFFIX) >= sizeof(name))
			continue;
		memcpy(name, de->d_name, n - strlen(GMEM_POLICY_SUFFIX));
		name[n - strlen(GMEM_POLICY_SUFFIX)] = '\0';
		if (!gm_policy_name_ok(name) || seen(c, name))
			continue;
		err = remember(c, name);
		if (err)
			break;
	}
	closedir(d);
	qsort(c->seen + first, c->nr_seen - first, sizeof(*c->seen), cmp_names);
	return err ? err : (int)(c->nr_seen - first);
}

static int list_dir(const char *dir, void *arg)
{
	struct list_ctx *c = arg;
	size_t first = c->nr_seen, i;
	char path[4096];
	int n, ret;

	n = collect_dir(c, dir);
	if (n < 0)
		return n;
	for (i = first; i < c->nr_seen; i++) {
		ret = snprintf(path, sizeof(path), "%s/%s%s", dir, c->seen[i], GMEM_POLICY_SUFFIX);
		if (ret < 0 || (size_t)ret >= sizeof(path))
			continue;
		ret = c->cb(c->seen[i], path, c->arg);
		if (ret)
			return ret;
	}
	return 0;
}

int gmem_policy_foreach(int (*cb)(const char *name, const char *path, void *arg), void *arg)
{
	struct list_ctx c = { .cb = cb, .arg = arg };
	size_t i;
	int ret;

	if (!cb)
		return -EINVAL;
	ret = for_each_dir(list_dir, &c);
	for (i = 0; i < c.nr_seen; i++)
		free(c.seen[i]);
	free(c.seen);
	return ret;
}
