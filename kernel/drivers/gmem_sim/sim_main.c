// SPDX-License-Identifier: GPL-2.0
/*
 * gmem_sim: a simulated accelerator driven through the gmem device API.
 *
 * Each device has "HBM" (a vmalloc area cut into gm_block_size() blocks), a
 * device page table per address space, and gmem_sim.streams execution
 * queues (ordered work queues, run concurrently) for the device kernels
 * (sim_jobs.c) submitted through /dev/gmem_simN. The driver
 * uses nothing but <linux/gmem_dev.h>: the core decides where every block
 * lives and calls the MMU ops below; when a kernel touches an address its
 * page table does not map, the device faults with gm_dev_fault() and
 * retries, as real hardware with replayable faults does. A device touches
 * host memory only through REMOTE entries the core created with map_remote.
 *
 * Address spaces: one struct sim_as per (device, mm), shared by every file of
 * that mm that opened the device; a file is bound to its opener's mm and
 * refuses ioctls from any other (-EBADF), so device addresses are always
 * resolved in the caller's own mm.
 *
 * sysfs (/sys/class/misc/gmem_simN/): gmem_id (the core's device id),
 * hbm_used_blocks, jobs_done, faults, model_ns (sum of step compute),
 * invalidates, pt_leaves (device page-table pages, sim_pt.c), clock (the
 * device clock, sim_clock.c; also GMEM_SIM_IOC_CLOCK), copy_ref (root: times
 * the kernel copy primitive alone, for gmem-bench bw).
 *
 * Copies go to the copy engines of sim_dma.c unless gmem_sim.async_copies=0.
 *
 * Locking: see gmem_sim.h. This file takes as->pt_lock (MMU ops, under a
 * core block lock, which find the address space under RCU), sdev->as_lock
 * (files, and the last put of an address space), sdev->hbm_lock and (copy
 * ops, under a core block lock) sdev->clk.lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gmem_sim.h"

static unsigned int nr_devices = 2;
module_param(nr_devices, uint, 0444);
MODULE_PARM_DESC(nr_devices, "Simulated devices (1..8)");

static unsigned int hbm_mb = 64;
module_param(hbm_mb, uint, 0444);
MODULE_PARM_DESC(hbm_mb, "HBM per device in MiB");

static bool dirty_bits = true;
module_param(dirty_bits, bool, 0444);
MODULE_PARM_DESC(dirty_bits,
		 "Offer per-HBM-block dirty bits (test_clear_dirty): the core maps clean blocks writable "
		 "(default); 0: it maps them read-only and learns of writes from write faults");

unsigned int sim_streams = 4;
module_param_named(streams, sim_streams, uint, 0444);
MODULE_PARM_DESC(streams, "Execution queues per device (1..8): jobs of different streams run "
		 "concurrently, each stream with its own queue clock");

static bool async_copies = true;
module_param(async_copies, bool, 0444);
MODULE_PARM_DESC(async_copies, "Copy engines: the core queues copies and goes on (default); "
		 "0: every copy is synchronous");

static unsigned int fail_alloc_every;
module_param(fail_alloc_every, uint, 0644);
MODULE_PARM_DESC(fail_alloc_every, "Debug: every Nth HBM block allocation fails (0 = never)");

#define SIM_MAX_HBM_MB		4096

unsigned long sim_blk_size;
unsigned int sim_blk_shift;
unsigned long sim_blk_pages;

static struct sim_dev *sim_devs[GMEM_MAX_DEVICES];

static struct sim_dev *to_sdev(struct gm_dev *dev)
{
	return container_of(dev, struct sim_dev, gdev);
}

/* ---------------------------------------------------------------- HBM */

static bool sim_inject_alloc_failure(struct sim_dev *sdev)
{
	unsigned int every = READ_ONCE(fail_alloc_every);

	return every && (unsigned int)atomic_inc_return(&sdev->alloc_calls) % every == 0;
}

/*
 * HBM blocks come from a free stack (O(1) at any HBM size; the bitmap stays
 * for sim_dblk_ok() and the leak check at unload).
 *
 * No zeroing here: the core's only caller, gm_blk_host_to_dev(), overwrites
 * the whole block with copy_to_dev() before the block is mapped anywhere, and
 * frees it unmapped if the copy fails, so a previous owner's bytes are never
 * visible (docs/device-api.md, "alloc_block"). Zeroing it first used to cost
 * as much as the copy itself (issue 13).
 */
static int sim_alloc_block(struct gm_dev *dev, u64 *dblk)
{
	struct sim_dev *sdev = to_sdev(dev);
	u32 bit;

	if (sim_inject_alloc_failure(sdev))
		return -ENOMEM;
	spin_lock(&sdev->hbm_lock);
	if (!sdev->nr_free) {
		spin_unlock(&sdev->hbm_lock);
		return -ENOMEM;
	}
	bit = sdev->free_stack[--sdev->nr_free];
	__set_bit(bit, sdev->used_map);
	spin_unlock(&sdev->hbm_lock);
	clear_bit(bit, sdev->dirty_map);	/* a previous owner's writes are not this one's */
	*dblk = bit;
	return 0;
}

static void sim_free_block(struct gm_dev *dev, u64 dblk)
{
	struct sim_dev *sdev = to_sdev(dev);

	if (!sim_dblk_ok(sdev, dblk))
		return;
	spin_lock(&sdev->hbm_lock);
	if (__test_and_clear_bit(dblk, sdev->used_map))
		sdev->free_stack[sdev->nr_free++] = dblk;
	spin_unlock(&sdev->hbm_lock);
}

/*
 * The synchronous copies: the core's copies for demand faults, and all of
 * them with gmem_sim.async_copies=0 (sim_dma.c queues the others).
 */
static int sim_copy_to_dev(struct gm_dev *dev, u64 dblk, struct page **pages)
{
	struct sim_dev *sdev = to_sdev(dev);

	if (!sim_dblk_ok(sdev, dblk))
		return -EINVAL;
	sim_copy_now(sdev, dblk, pages, true);
	return 0;
}

static int sim_copy_from_dev(struct gm_dev *dev, u64 dblk, struct page **pages)
{
	struct sim_dev *sdev = to_sdev(dev);

	if (!sim_dblk_ok(sdev, dblk))
		return -EINVAL;
	sim_copy_now(sdev, dblk, pages, false);
	return 0;
}

/* ------------------------------------------------------- device page table */

static void sim_as_put(struct sim_dev *sdev, struct sim_as *as);

/*
 * The address space of @mm on @sdev with a reference, or NULL. Lockless:
 * the MMU ops look it up on every map and unmap, and one device-wide lock
 * there would serialize every migration of every process.
 */
static struct sim_as *sim_as_lookup(struct sim_dev *sdev, struct mm_struct *mm)
{
	struct sim_as *as;

	rcu_read_lock();
	list_for_each_entry_rcu(as, &sdev->as_list, node) {
		if (as->mm == mm && refcount_inc_not_zero(&as->ref)) {
			rcu_read_unlock();
			return as;
		}
	}
	rcu_read_unlock();
	return NULL;
}

/* Install (@entry) or remove (NULL) the translation of block-aligned @va. */
static int sim_pt_update(struct sim_dev *sdev, struct mm_struct *mm,
			 unsigned long va, void *entry)
{
	struct sim_as *as;
	int ret;

	if (WARN_ON_ONCE(sim_blk_off(va)))
		return -EINVAL;
	as = sim_as_lookup(sdev, mm);
	if (!as)
		return entry ? -ENOENT : 0;
	mutex_lock(&as->pt_lock);
	ret = sim_pt_set(as, va, entry);
	mutex_unlock(&as->pt_lock);
	sim_as_put(sdev, as);
	return ret;
}

static int sim_map(struct gm_dev *dev, struct mm_struct *mm, unsigned long va, u64 dblk,
		   bool writable)
{
	struct sim_dev *sdev = to_sdev(dev);

	if (!sim_dblk_ok(sdev, dblk))
		return -EINVAL;
	return sim_pt_update(sdev, mm, va, sim_pte_hbm(dblk, writable));
}

static int sim_map_remote(struct gm_dev *dev, struct mm_struct *mm, unsigned long va,
			  struct page **pages)
{
	struct page **copy;
	int ret;

	/* Copy the page list: the core's array may be reused once this returns. */
	copy = kmemdup_array(pages, sim_blk_pages, sizeof(*pages), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ret = sim_pt_update(to_sdev(dev), mm, va, copy);
	if (ret)
		kfree(copy);
	return ret;
}

static void sim_unmap(struct gm_dev *dev, struct mm_struct *mm, unsigned long va)
{
	sim_pt_update(to_sdev(dev), mm, va, NULL);
}

/*
 * The page table is the device's only TLB and jobs hold pt_lock across each
 * access, so unmap() already waited for every access through the old entry.
 * What is left to do is a fence for callers that rely on invalidate alone:
 * taking pt_lock once waits out an access that is still in flight.
 */
static void sim_invalidate(struct gm_dev *dev, struct mm_struct *mm, unsigned long va,
			   unsigned long len)
{
	struct sim_dev *sdev = to_sdev(dev);
	struct sim_as *as;

	atomic64_inc(&sdev->invalidates);
	as = sim_as_lookup(sdev, mm);
	if (!as)
		return;
	mutex_lock(&as->pt_lock);
	mutex_unlock(&as->pt_lock);
	sim_as_put(sdev, as);
}

/*
 * The dirty bit of an HBM block: set by sim_step() under pt_lock when a job
 * writes through a writable HBM entry, so once unmap() has taken pt_lock no
 * write can be pending. Kept per HBM block rather than in the page table,
 * which is dropped when the last file of an mm closes (sim_as_put()) while
 * the core still owns the block, as hardware keeps it in the block's state.
 */
static bool sim_test_clear_dirty(struct gm_dev *dev, u64 dblk)
{
	struct sim_dev *sdev = to_sdev(dev);

	return sim_dblk_ok(sdev, dblk) && test_and_clear_bit(dblk, sdev->dirty_map);
}

/*
 * gmem_sim.dirty_bits=0 drops test_clear_dirty and async_copies=0 the copy
 * engines at load (sim_init()).
 */
static struct gm_mmu_ops sim_mmu_ops __ro_after_init = {
	.alloc_block	= sim_alloc_block,
	.free_block	= sim_free_block,
	.copy_to_dev	= sim_copy_to_dev,
	.copy_from_dev	= sim_copy_from_dev,
	.copy_to_dev_async = sim_copy_to_dev_async,
	.copy_from_dev_async = sim_copy_from_dev_async,
	.map		= sim_map,
	.map_remote	= sim_map_remote,
	.unmap		= sim_unmap,
	.invalidate	= sim_invalidate,
	.test_clear_dirty = sim_test_clear_dirty,
};

/* The address space of @mm on @sdev, created on first use; a file's reference. */
static struct sim_as *sim_as_get(struct sim_dev *sdev, struct mm_struct *mm)
{
	struct sim_as *as;

	mutex_lock(&sdev->as_lock);
	/* One whose last reference is going is skipped: a new one replaces it. */
	as = sim_as_lookup(sdev, mm);
	if (!as) {
		as = kzalloc(sizeof(*as), GFP_KERNEL);
		if (!as)
			goto out;
		mmgrab(mm);
		as->sdev = sdev;
		as->mm = mm;
		refcount_set(&as->ref, 1);
		mutex_init(&as->pt_lock);
		sim_pt_init(as);
		list_add_rcu(&as->node, &sdev->as_list);
	}
out:
	mutex_unlock(&sdev->as_lock);
	return as;
}

/*
 * Dropping the page table of a live mm is fine: the core still owns the HBM
 * blocks, and its unmap of an address space we no longer have is a no-op.
 * The last reference may be an MMU op's (a core block lock held), which
 * the lock order allows.
 */
static void sim_as_put(struct sim_dev *sdev, struct sim_as *as)
{
	if (!refcount_dec_and_test(&as->ref))
		return;
	mutex_lock(&sdev->as_lock);
	list_del_rcu(&as->node);
	mutex_unlock(&sdev->as_lock);

	/* Lookups that still see it fail to take a reference: nobody uses pt. */
	sim_pt_destroy(as);
	mmdrop(as->mm);
	kfree_rcu(as, rcu);
}

/* ----------------------------------------------------------------- files */

static int sim_open(struct inode *inode, struct file *file)
{
	struct sim_dev *sdev = container_of(file->private_data, struct sim_dev, misc);
	struct sim_file *sf;

	if (!current->mm)
		return -EINVAL;
	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (!sf)
		return -ENOMEM;
	sf->as = sim_as_get(sdev, current->mm);
	if (!sf->as) {
		kfree(sf);
		return -ENOMEM;
	}
	sf->sdev = sdev;
	xa_init(&sf->jobs);
	file->private_data = sf;
	return 0;
}

static int sim_release(struct inode *inode, struct file *file)
{
	struct sim_file *sf = file->private_data;

	sim_jobs_cancel(sf);
	sim_as_put(sf->sdev, sf->as);
	kfree(sf);
	return 0;
}

static long sim_ioctl_clock(struct sim_file *sf, struct gmem_sim_clock __user *uarg)
{
	struct gmem_sim_clock c;

	sim_clock_read(&sf->sdev->clk, &c);
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

/* A file serves the mm that opened it only (like amdkfd): no cross-mm access. */
static long sim_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct sim_file *sf = file->private_data;

	if (current->mm != sf->as->mm)
		return -EBADF;
	switch (cmd) {
	case GMEM_SIM_IOC_LAUNCH:
		return sim_ioctl_launch(sf, (void __user *)arg);
	case GMEM_SIM_IOC_WAIT:
		return sim_ioctl_wait(sf, (void __user *)arg);
	case GMEM_SIM_IOC_CLOCK:
		return sim_ioctl_clock(sf, (void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations sim_fops = {
	.owner		= THIS_MODULE,
	.open		= sim_open,
	.release	= sim_release,
	.unlocked_ioctl	= sim_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* ----------------------------------------------------------------- sysfs */

static struct sim_dev *dev_to_sdev(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct sim_dev, misc);
}

static ssize_t gmem_id_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_sdev(dev)->gdev.id);
}
static DEVICE_ATTR_RO(gmem_id);

static ssize_t hbm_used_blocks_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	struct sim_dev *sdev = dev_to_sdev(dev);
	unsigned int used;

	spin_lock(&sdev->hbm_lock);
	used = sdev->gdev.hbm_blocks - sdev->nr_free;
	spin_unlock(&sdev->hbm_lock);
	return sysfs_emit(buf, "%u\n", used);
}
static DEVICE_ATTR_RO(hbm_used_blocks);

#define SIM_COUNTER_ATTR(field)							\
static ssize_t field##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	return sysfs_emit(buf, "%lld\n", atomic64_read(&dev_to_sdev(dev)->field)); \
}										\
static DEVICE_ATTR_RO(field)

SIM_COUNTER_ATTR(jobs_done);
SIM_COUNTER_ATTR(faults);
SIM_COUNTER_ATTR(model_ns);
SIM_COUNTER_ATTR(invalidates);
SIM_COUNTER_ATTR(pt_leaves);

static ssize_t clock_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct gmem_sim_clock c;

	sim_clock_read(&dev_to_sdev(dev)->clk, &c);
	return sysfs_emit(buf, "now_ns %llu compute_ns %llu stall_ns %llu fault_ns %llu copy_ns %llu copies %llu remote_bytes %llu idle_copy_ns %llu\n",
			  c.now_ns, c.compute_ns, c.stall_ns, c.fault_ns, c.copy_ns, c.copies,
			  c.remote_bytes, c.idle_copy_ns);
}
static DEVICE_ATTR_RO(clock);

/*
 * copy_ref (root only, for gmem-bench bw): the kernel copy primitive the
 * migration ops use, timed alone. Reading it copies hbm_mb MiB (one HBM's
 * worth, the bytes gmem-bench bw migrates) between freshly allocated order-0
 * host pages and a vmalloc buffer (as HBM is), block by block with the very
 * loops of sim_copy_to_dev()/sim_copy_from_dev() (memcpy_from_page /
 * memcpy_to_page per page), and prints "bytes h2d_ns d2h_ns" (ktime, guest
 * clock). Nothing of the core or of a device is touched.
 */
static ssize_t copy_ref_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct sim_dev *sdev = dev_to_sdev(dev);
	u64 blocks = sdev->gdev.hbm_blocks, bytes = blocks << sim_blk_shift;
	unsigned long npages = bytes >> PAGE_SHIFT, i, b;
	struct page **pages;
	u64 t0, t1, t2;
	char *dst;
	ssize_t ret = -ENOMEM;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	pages = kvcalloc(npages, sizeof(*pages), GFP_KERNEL);
	dst = vmalloc(bytes);
	if (!pages || !dst)
		goto out;
	for (i = 0; i < npages; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			goto out;
		memset(page_address(pages[i]), 0xa5, PAGE_SIZE);
	}
	memset(dst, 0, bytes);		/* fault in: only the copies are timed */
	t0 = ktime_get_ns();
	for (b = 0; b < blocks; b++) {
		char *hbm = dst + (b << sim_blk_shift);
		struct page **p = pages + b * sim_blk_pages;

		for (i = 0; i < sim_blk_pages; i++)
			memcpy_from_page(hbm + i * PAGE_SIZE, p[i], 0, PAGE_SIZE);
	}
	t1 = ktime_get_ns();
	for (b = 0; b < blocks; b++) {
		char *hbm = dst + (b << sim_blk_shift);
		struct page **p = pages + b * sim_blk_pages;

		for (i = 0; i < sim_blk_pages; i++)
			memcpy_to_page(p[i], 0, hbm + i * PAGE_SIZE, PAGE_SIZE);
	}
	t2 = ktime_get_ns();
	ret = sysfs_emit(buf, "%llu %llu %llu\n", bytes, t1 - t0, t2 - t1);
out:
	if (pages)
		for (i = 0; i < npages && pages[i]; i++)
			__free_page(pages[i]);
	kvfree(pages);
	vfree(dst);
	return ret;
}
static DEVICE_ATTR(copy_ref, 0400, copy_ref_show, NULL);

static struct attribute *sim_attrs[] = {
	&dev_attr_gmem_id.attr,
	&dev_attr_hbm_used_blocks.attr,
	&dev_attr_jobs_done.attr,
	&dev_attr_faults.attr,
	&dev_attr_model_ns.attr,
	&dev_attr_invalidates.attr,
	&dev_attr_pt_leaves.attr,
	&dev_attr_clock.attr,
	&dev_attr_copy_ref.attr,
	NULL,
};
ATTRIBUTE_GROUPS(sim);

/* --------------------------------------------------------------- devices */

static void sim_dev_free(struct sim_dev *sdev)
{
	unsigned int s;

	for (s = 0; s < GMEM_SIM_MAX_STREAMS; s++)
		if (sdev->wq[s])
			destroy_workqueue(sdev->wq[s]);
	sim_dma_free(sdev);
	bitmap_free(sdev->used_map);
	bitmap_free(sdev->dirty_map);
	kvfree(sdev->free_stack);
	sim_clock_free(&sdev->clk);
	vfree(sdev->hbm);
	kfree(sdev);
}

static int sim_dev_create(unsigned int i)
{
	u64 hbm_bytes = (u64)hbm_mb << 20;
	struct sim_dev *sdev;
	int ret = -ENOMEM;
	unsigned int s;

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return -ENOMEM;
	snprintf(sdev->name, sizeof(sdev->name), "gmem_sim%u", i);
	spin_lock_init(&sdev->hbm_lock);
	mutex_init(&sdev->as_lock);
	INIT_LIST_HEAD(&sdev->as_list);
	sdev->gdev.ops = &sim_mmu_ops;
	sdev->gdev.name = sdev->name;
	sdev->gdev.hbm_blocks = hbm_bytes >> sim_blk_shift;
	sdev->gdev.drvdata = sdev;

	sdev->hbm = vmalloc(hbm_bytes);
	sdev->used_map = bitmap_zalloc(sdev->gdev.hbm_blocks, GFP_KERNEL);
	sdev->dirty_map = bitmap_zalloc(sdev->gdev.hbm_blocks, GFP_KERNEL);
	sdev->free_stack = kvmalloc_array(sdev->gdev.hbm_blocks, sizeof(u32), GFP_KERNEL);
	if (!sdev->hbm || !sdev->used_map || !sdev->dirty_map || !sdev->free_stack)
		goto err_free;
	for (s = 0; s < sim_streams; s++) {
		sdev->wq[s] = alloc_ordered_workqueue("%s.s%u", 0, sdev->name, s);
		if (!sdev->wq[s])
			goto err_free;
	}
	/* Popped from the top: block 0 first, as the bitmap allocator did. */
	for (sdev->nr_free = 0; sdev->nr_free < sdev->gdev.hbm_blocks; sdev->nr_free++)
		sdev->free_stack[sdev->nr_free] = sdev->gdev.hbm_blocks - 1 - sdev->nr_free;
	ret = sim_clock_init(&sdev->clk, sdev->gdev.hbm_blocks);
	if (!ret)
		ret = sim_dma_init(sdev);
	if (ret)
		goto err_free;

	ret = gm_dev_register(&sdev->gdev);
	if (ret)
		goto err_free;

	sdev->misc.minor = MISC_DYNAMIC_MINOR;
	sdev->misc.name = sdev->name;
	sdev->misc.fops = &sim_fops;
	sdev->misc.groups = sim_groups;
	sdev->misc.mode = 0666;
	ret = misc_register(&sdev->misc);
	if (ret)
		goto err_unregister;
	sim_devs[i] = sdev;
	return 0;

err_unregister:
	gm_dev_unregister(&sdev->gdev);
err_free:
	sim_dev_free(sdev);
	return ret;
}

/* No file is open (each holds a module ref), so no job runs and no as exists. */
static void sim_dev_destroy(struct sim_dev *sdev)
{
	unsigned int leaked;

	misc_deregister(&sdev->misc);
	/* The core moves every block we hold back to the host and frees it. */
	gm_dev_unregister(&sdev->gdev);
	leaked = bitmap_weight(sdev->used_map, sdev->gdev.hbm_blocks);
	WARN(leaked, "%s: %u HBM blocks still allocated after unregister\n",
	     sdev->name, leaked);
	WARN_ON(!list_empty(&sdev->as_list));
	sim_dev_free(sdev);
}

static void sim_destroy_all(void)
{
	int i;

	for (i = GMEM_MAX_DEVICES - 1; i >= 0; i--) {
		if (sim_devs[i])
			sim_dev_destroy(sim_devs[i]);
		sim_devs[i] = NULL;
	}
}

static int __init sim_init(void)
{
	unsigned int i;
	int ret;

	sim_blk_size = gm_block_size();
	if (!nr_devices || nr_devices > GMEM_MAX_DEVICES) {
		pr_err("nr_devices must be 1..%d\n", GMEM_MAX_DEVICES);
		return -EINVAL;
	}
	if (!is_power_of_2(sim_blk_size) || sim_blk_size < PAGE_SIZE) {
		pr_err("unusable core block size %lu\n", sim_blk_size);
		return -EINVAL;
	}
	if (!hbm_mb || hbm_mb > SIM_MAX_HBM_MB || ((u64)hbm_mb << 20) < sim_blk_size) {
		pr_err("hbm_mb must be 1..%d and hold one %lu-byte block\n",
		       SIM_MAX_HBM_MB, sim_blk_size);
		return -EINVAL;
	}
	if (!sim_streams || sim_streams > GMEM_SIM_MAX_STREAMS) {
		pr_err("streams must be 1..%d\n", GMEM_SIM_MAX_STREAMS);
		return -EINVAL;
	}
	if (sim_clock_params_check())
		return -EINVAL;
	sim_blk_shift = ilog2(sim_blk_size);
	sim_blk_pages = sim_blk_size >> PAGE_SHIFT;
	if (!dirty_bits)		/* a device without them: write-fault tracking */
		sim_mmu_ops.test_clear_dirty = NULL;
	if (!async_copies) {
		sim_mmu_ops.copy_to_dev_async = NULL;
		sim_mmu_ops.copy_from_dev_async = NULL;
	}

	for (i = 0; i < nr_devices; i++) {
		ret = sim_dev_create(i);
		if (ret) {
			sim_destroy_all();
			return ret;
		}
	}
	pr_info("%u devices, %u MiB HBM each, %lu-byte blocks\n",
		nr_devices, hbm_mb, sim_blk_size);
	return 0;
}

static void __exit sim_exit(void)
{
	sim_destroy_all();
}

module_init(sim_init);
module_exit(sim_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gmem simulated accelerator");
