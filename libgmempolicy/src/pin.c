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
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
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

int gmem_policy_pin(struct gmem_policy *p)
{
	char path[4096];
	int err;

	if (!p->link)
		return -EINVAL;
	if (p->pinned)
		return -EALREADY;
	err = pin_path(p->name, path, sizeof(path));
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

int gmem_policy_pinned(char *buf, size_t len)
{
	struct dirent *de;
	int found = 0;
	DIR *d;

	d = opendir(gmem_pin_dir());
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
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
