// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * /dev/gmem: the shared descriptor and the query ioctls (devices, objects,
 * counters, policy status), plus the library's error strings.
 *
 * Locking: dev_lock guards the lazily opened dev_fd. Once open it is kept
 * for the life of the process (the unified-memory mappings need it anyway,
 * and it pins the module while in use); ioctls on it need no lock.
 * Lock order: mem.c's mem_lock may be held when dev_lock is taken, never
 * the reverse.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;
static int dev_fd = -1;

const char *gmem_dev_path(void)
{
	const char *p = getenv("GMEM_DEV");

	return p && *p ? p : GMEM_DEFAULT_DEV;
}

bool gm_dev_present(void)
{
	struct stat st;

	return stat(gmem_dev_path(), &st) == 0;
}

static int dev_open(void)
{
	const char *path = gmem_dev_path();
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	/* The queries work on a read-only descriptor; mappings will not. */
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return (errno == ENOENT || errno == ENXIO || errno == ENODEV) ? -ENODEV : -errno;
}

int gm_dev_fd(void)
{
	int fd;

	pthread_mutex_lock(&dev_lock);
	if (dev_fd < 0)
		dev_fd = dev_open();
	fd = dev_fd;
	if (dev_fd < 0)
		dev_fd = -1;		/* retry next time: the module may get loaded */
	pthread_mutex_unlock(&dev_lock);
	return fd;
}

int gm_dev_ioctl(unsigned long req, void *arg)
{
	int fd = gm_dev_fd();

	if (fd < 0)
		return fd;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int gmem_nr_devices(void)
{
	__u32 n = 0;
	int err = gm_dev_ioctl(GMEM_IOC_NR_DEVICES, &n);

	return err ? err : (int)n;
}

int gmem_dev_info(uint32_t id, struct gmem_dev_info *out)
{
	struct gmem_dev_info info = { .id = id };
	int err = gm_dev_ioctl(GMEM_IOC_DEV_INFO, &info);

	if (!err)
		*out = info;
	return err;
}

int gmem_dev_limit(uint32_t id, uint64_t limit_bytes, uint64_t *prev_bytes)
{
	struct gmem_dev_limit lim = { .id = id, .limit_bytes = limit_bytes };
	int err = gm_dev_ioctl(GMEM_IOC_DEV_LIMIT, &lim);

	if (!err && prev_bytes)
		*prev_bytes = lim.prev_bytes;
	return err;
}

int gmem_devices(struct gmem_dev_info *out, unsigned int max)
{
	int nr = gmem_nr_devices(), filled = 0, err;
	uint32_t id;

	if (nr < 0)
		return nr;
	/* @nr is one past the highest id; ids may have holes after an unregister. */
	for (id = 0; id < (uint32_t)nr && (unsigned int)filled < max; id++) {
		err = gmem_dev_info(id, &out[filled]);
		if (!err)
			filled++;
		else if (err != -ENODEV)
			return err;
	}
	return filled;
}

int gmem_list_objects(uint32_t *ids, unsigned int cap)
{
	struct gmem_obj_list l = {
		.ids_ptr = (uintptr_t)ids,
		.capacity = ids ? cap : 0,
	};
	int err = gm_dev_ioctl(GMEM_IOC_LIST_OBJECTS, &l);

	return err ? err : (int)l.count;
}

int gmem_obj_info(uint32_t id, struct gmem_obj_info *out)
{
	struct gmem_obj_info info = { .id = id };
	int err;

	if (!id)
		return -EINVAL;
	err = gm_dev_ioctl(GMEM_IOC_OBJ_INFO, &info);
	if (!err)
		*out = info;
	return err;
}

int gmem_obj_info_addr(const void *addr, struct gmem_obj_info *out)
{
	struct gmem_obj_info info = { .addr = (uintptr_t)addr };
	int err;

	if (!addr)
		return -EINVAL;
	err = gm_dev_ioctl(GMEM_IOC_OBJ_INFO, &info);
	if (!err)
		*out = info;
	return err;
}

int gmem_global_stats(struct gmem_stats *out)
{
	struct gmem_stats st;
	int err = gm_dev_ioctl(GMEM_IOC_GLOBAL_STATS, &st);

	if (!err)
		*out = st;
	return err;
}

int gmem_policy_status(struct gmem_policy_status *out)
{
	struct gmem_policy_status st;
	int err;

	memset(&st, 0, sizeof(st));
	err = gm_dev_ioctl(GMEM_IOC_POLICY_STATUS, &st);
	if (!err)
		*out = st;
	return err;
}

const char *gmem_exit_kind_str(uint32_t kind)
{
	switch (kind) {
	case GMEM_EXIT_NONE:	return "none";
	case GMEM_EXIT_UNREG:	return "unregistered";
	case GMEM_EXIT_ERROR:	return "policy error";
	case GMEM_EXIT_INVALID:	return "too many invalid decisions";
	case GMEM_EXIT_STALL:	return "watchdog stall";
	case GMEM_EXIT_MODULE:	return "module unload";
	}
	return "unknown";
}

const char *gmem_reject_str(unsigned int reason)
{
	static const char *const names[GMEM_REJ_NR] = {
		[GMEM_REJ_VICTIM_NOT_RESIDENT]	= "victim_not_resident",
		[GMEM_REJ_VICTIM_PINNED]	= "victim_pinned",
		[GMEM_REJ_VICTIM_DUP]		= "victim_dup",
		[GMEM_REJ_VICTIM_BUSY]		= "victim_busy",
		[GMEM_REJ_PREFETCH_RANGE]	= "prefetch_range",
		[GMEM_REJ_PREFETCH_BUDGET]	= "prefetch_budget",
		[GMEM_REJ_PLACE_BAD]		= "place_bad",
		[GMEM_REJ_BAD_ID]		= "bad_id",
	};

	return reason < GMEM_REJ_NR && names[reason] ? names[reason] : "unknown";
}

const char *gmem_strerror(int err)
{
	switch (-err) {
	case 0:		return "success";
	case ENODEV:	return "gmem kernel module not loaded (no device node)";
	case EPERM:
	case EACCES:	return "permission denied (needs root: CAP_BPF and CAP_SYS_ADMIN)";
	case EBUSY:	return "another gmem policy is already in charge";
	case ENOTSUP:	return "not a gmem policy (no struct_ops map of type gmem_ops)";
	case ENOENT:	return "no such policy, file or tunable";
	case EALREADY:	return "already done (policy loaded or attached)";
	case ERANGE:	return "value out of range";
	case EINVAL:	return "invalid argument";
	case ENOMEM:	return "out of memory";
	case EFAULT:	return "address not in a gmem mapping";
	}
	return strerror(-err);
}
