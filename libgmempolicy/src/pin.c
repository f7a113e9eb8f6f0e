// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Pinned policies: a policy's link pinned at <pin dir>/<name> on bpffs holds
 * a reference, so the policy stays in charge after the loader exits; removing
 * the pin (after an explicit link detach) hands control back to the built-in
 * policy.
 *
 * No library state; the filesystem is the record. Two processes pinning or
 * unpinning at once race as they would with bpftool: the kernel's single
 * attach slot (EBUSY) is what keeps two policies from being in charge.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "policy.h"

static int pin_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", gmem_pin_dir(), name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

#define CG_SUFFIX	"-cg"

int gm_pin_name(const struct gmem_policy *p, char *buf, size_t len)
{
	int n = p->cgroup_id ?
		snprintf(buf, len, "%s" CG_SUFFIX "%llu", p->name, (unsigned long long)p->cgroup_id) :
		snprintf(buf, len, "%s", p->name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The cgroup id a pin name ends with ("<name>-cg<id>"), or 0 for a system-wide pin. */
static uint64_t pin_cgroup(const char *pin)
{
	const char *s = strrchr(pin, '-');
	char *end;
	unsigned long long id;

	if (!s || strncmp(s, CG_SUFFIX, strlen(CG_SUFFIX)) || !isdigit(s[3]))
		return 0;
	id = strtoull(s + 3, &end, 10);
	return *end ? 0 : id;
}

int gmem_policy_pin(struct gmem_policy *p)
{
	char path[4096], name[GMEM_POLICY_NAME_MAX + 32];
	int err;

	if (!p->link)
		return -EINVAL;
	if (p->pinned)
		return -EALREADY;
	err = gm_pin_name(p, name, sizeof(name));
	if (!err)
		err = pin_path(name, path, sizeof(path));
	if (err)
		return err;
	if (mkdir(gmem_pin_dir(), 0700) && errno != EEXIST)
		return -errno;
	/*
	 * We are attached, so whatever is pinned under our name is no longer
	 * in charge (the kernel has one attach slot): a stale pin of an ejected
	 * policy. Drop it rather than fail.
	 */
	if (unlink(path) && errno != ENOENT)
		return -errno;
	err = bpf_link__pin(p->link, path);
	if (err)
		return err <= -4000 ? -EINVAL : err;
	p->pinned = true;
	return 0;
}

/* Detach the link pinned at @path and remove the pin. */
static int unpin_one(const char *path)
{
	struct bpf_link *link;
	int err;

	link = bpf_link__open(path);
	if (!link)
		return -errno;
	/*
	 * Detach first: anyone else holding the link (a loader that pinned
	 * without exiting) must not keep the policy in charge after unload.
	 * A link that is already detached answers -ENOLINK; ignore that.
	 */
	err = bpf_link__detach(link);
	bpf_link__destroy(link);
	if (err && err != -ENOLINK && err != -EOPNOTSUPP && err != -EINVAL)
		return err;
	return unlink(path) ? -errno : 0;
}

int gmem_policy_unpin(const char *name)
{
	char path[4096];
	struct dirent *de;
	int err = 0, n = 0;
	DIR *d;

	if (name) {
		if (!gm_policy_name_ok(name))
			return -EINVAL;
		err = pin_path(name, path, sizeof(path));
		if (err)
			return err;
		if (access(path, F_OK))
			return -ENOENT;
		err = unpin_one(path);
		return err ? err : 1;
	}
	d = opendir(gmem_pin_dir());
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pin_path(de->d_name, path, sizeof(path)))
			continue;
		err = unpin_one(path);
		if (err)
			break;
		n++;
	}
	closedir(d);
	return err ? err : n;
}

/* The first pin at attach point @cgid (0: system-wide) into @buf. */
static int pinned_at(uint64_t cgid, char *buf, size_t len)
{
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = opendir(gmem_pin_dir());
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pin_cgroup(de->d_name) != cgid)
			continue;
		if (strlen(de->d_name) >= len) {
			found = -ENAMETOOLONG;
			break;
		}
		strcpy(buf, de->d_name);
		found = 1;
		break;
	}
	closedir(d);
	return found;
}

int gmem_policy_pinned(char *buf, size_t len)
{
	return pinned_at(0, buf, len);
}

int gmem_policy_pinned_cgroup(uint64_t cgid, char *buf, size_t len)
{
	return cgid ? pinned_at(cgid, buf, len) : -EINVAL;
}

int gmem_policy_unpin_cgroup(const char *path)
{
	char name[GMEM_POLICY_NAME_MAX + 32];
	uint64_t cgid;
	int err;

	err = gmem_cgroup_id(path, &cgid);
	if (!err)
		err = pinned_at(cgid, name, sizeof(name));
	if (err <= 0)
		return err ? err : -ENOENT;
	return gmem_policy_unpin(name);
}
