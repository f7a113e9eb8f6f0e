// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_main.c: module setup, the /dev/gmem misc device and its ioctls.
 *
 * gmem lets the CPU and accelerators share unified memory at the same
 * virtual addresses: mmap(/dev/gmem) creates a vm_object (gm_object.c),
 * devices registered through include/linux/gmem_dev.h fault blocks of it
 * into their HBM (gm_dev.c, gm_migrate.c), and a policy (built-in, or BPF
 * via struct gmem_ops) decides placement, prefetch and eviction.
 *
 * Module lifetime: the misc device's fops hold a module reference while a
 * file is open, and every gmem VMA holds its file, so the module cannot go
 * away while objects exist. Devices come from other modules that use our
 * symbols, so they are gone before our exit runs.
 *
 * Locking: gm_core.h has the order. Ioctls copy their arguments in before
 * taking any core lock and copy results out after dropping it: a user
 * buffer may be gmem memory, and faulting it takes a block lock.
 */
#include <linux/debugfs.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"

static DEFINE_PER_CPU(struct gmem_stats, gm_total_cpu);
struct gm_shared_stats gm_total = { .cpu = &gm_total_cpu };
atomic64_t gm_clock;

unsigned long gm_blk_size = SZ_2M;
module_param_named(block_size, gm_blk_size, ulong, 0444);
MODULE_PARM_DESC(block_size, "migration block size in bytes: a power of two, 4096..2097152");
unsigned int gm_blk_shift;

atomic_long_t gm_live_objects;
atomic_long_t gm_live_host_pages;
atomic_long_t gm_live_dev_blocks;
struct dentry *gm_debugfs_dir;

int gm_shared_stats_init(struct gm_shared_stats *s)
{
	s->cpu = alloc_percpu(struct gmem_stats);
	atomic64_set(&s->batch_max, 0);
	return s->cpu ? 0 : -ENOMEM;
}

void gm_shared_stats_free(struct gm_shared_stats *s)
{
	free_percpu(s->cpu);
	s->cpu = NULL;
}

/* Sum the CPUs' copies of @s: each counter torn-free, as gm_stats_read(). */
void gm_shared_stats_read(struct gmem_stats *dst, const struct gm_shared_stats *s)
{
	u64 *d = (u64 *)dst;
	const u64 *c;
	size_t i;
	int cpu;

	memset(dst, 0, sizeof(*dst));
	for_each_possible_cpu(cpu) {
		c = (const u64 *)per_cpu_ptr(s->cpu, cpu);
		for (i = 0; i < sizeof(*dst) / sizeof(u64); i++)
			d[i] += READ_ONCE(c[i]);
	}
	dst->batch_max = atomic64_read(&s->batch_max);
}

static long gm_global_stats_ioctl(void __user *uarg)
{
	struct gmem_stats st;

	gm_shared_stats_read(&st, &gm_total);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long gm_policy_status_ioctl(void __user *uarg)
{
	struct gmem_policy_status *st;
	long ret = 0;

	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	gm_policy_status(st);
	if (copy_to_user(uarg, st, sizeof(*st)))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

static long gm_policy_list_ioctl(void __user *uarg)
{
	struct gmem_policy_list req;
	long ret;

	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = gm_policy_list(&req);
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		ret = -EFAULT;
	return ret;
}

static long gm_nr_devices_ioctl(u32 __user *uarg)
{
	u32 n;

	down_read(&gm_devs_rwsem);
	n = gm_nr_device_ids();
	up_read(&gm_devs_rwsem);
	return put_user(n, uarg);
}

static long gm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GMEM_IOC_ADVISE:
		return gm_advise_ioctl(uarg);
	case GMEM_IOC_OBJ_INFO:
		return gm_obj_info_ioctl(uarg);
	case GMEM_IOC_LIST_OBJECTS:
		return gm_obj_list_ioctl(uarg);
	case GMEM_IOC_DEV_INFO:
		return gm_dev_info_ioctl(uarg);
	case GMEM_IOC_DEV_LIMIT:
		return gm_dev_limit_ioctl(uarg);
	case GMEM_IOC_GLOBAL_STATS:
		return gm_global_stats_ioctl(uarg);
	case GMEM_IOC_POLICY_STATUS:
		return gm_policy_status_ioctl(uarg);
	case GMEM_IOC_POLICY_LIST:
		return gm_policy_list_ioctl(uarg);
	case GMEM_IOC_TENANT_SET:
		return gm_tenant_set_ioctl(uarg);
	case GMEM_IOC_TENANT_INFO:
		return gm_tenant_info_ioctl(uarg);
	case GMEM_IOC_NR_DEVICES:
		return gm_nr_devices_ioctl(uarg);
	case GMEM_IOC_TRACE_START:
	case GMEM_IOC_TRACE_STOP:
	case GMEM_IOC_TRACE_READ:
		return gm_trace_ioctl(cmd, arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations gm_fops = {
	.owner			= THIS_MODULE,
	.unlocked_ioctl		= gm_ioctl,
	.compat_ioctl		= compat_ptr_ioctl,	/* the ABI has one layout */
	.mmap			= gm_obj_mmap,
	.get_unmapped_area	= gm_obj_get_unmapped_area,
};

/* Anyone may open it: a process reaches only the objects of its own mm. */
static struct miscdevice gm_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "gmem",
	.fops	= &gm_fops,
	.mode	= 0666,
};

/* /sys/kernel/debug/gmem/live: what is allocated now, for leak checks. */
static int gm_live_show(struct seq_file *m, void *v)
{
	seq_printf(m, "objects %ld\nhost_pages %ld\ndev_blocks %ld\ntenants %ld\n",
		   atomic_long_read(&gm_live_objects),
		   atomic_long_read(&gm_live_host_pages),
		   atomic_long_read(&gm_live_dev_blocks),
		   atomic_long_read(&gm_live_tenants));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gm_live);

static int gm_check_params(void)
{
	if (!is_power_of_2(gm_blk_size) || gm_blk_size < PAGE_SIZE || gm_blk_size > SZ_2M) {
		pr_err("gmem: block_size=%lu: must be a power of two from %lu to %u\n",
		       gm_blk_size, PAGE_SIZE, SZ_2M);
		return -EINVAL;
	}
	gm_blk_shift = ilog2(gm_blk_size);
	return 0;
}

static int __init gm_init(void)
{
	int ret;

	/* Object file offsets are id << GM_OBJ_PGOFF_SHIFT pages: needs 64 bits. */
	BUILD_BUG_ON(BITS_PER_LONG < 64);
	ret = gm_check_params();
	if (ret)
		return ret;
	ret = gm_policy_init();
	if (ret)
		return ret;
	ret = misc_register(&gm_miscdev);
	if (ret)
		goto err_policy;
	gm_debugfs_dir = debugfs_create_dir("gmem", NULL);
	debugfs_create_file("live", 0444, gm_debugfs_dir, NULL, &gm_live_fops);
	pr_info("gmem: loaded, block size %lu KiB\n", gm_blk_size >> 10);
	return 0;

err_policy:
	gm_policy_exit();
	return ret;
}

static void __exit gm_exit(void)
{
	debugfs_remove(gm_debugfs_dir);
	misc_deregister(&gm_miscdev);
	gm_policy_exit();
	gm_trace_exit();
	gm_tenant_exit();
	WARN_ON(atomic_long_read(&gm_live_objects) || atomic_long_read(&gm_live_host_pages) ||
		atomic_long_read(&gm_live_dev_blocks));
}

module_init(gm_init);
module_exit(gm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gmem: unified memory for accelerators with BPF-programmable placement");
