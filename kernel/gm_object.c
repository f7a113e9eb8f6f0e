// SPDX-License-Identifier: GPL-2.0
/*
 * gm_object.c: vm_objects, the mmap of /dev/gmem, and the object ioctls.
 *
 * One mmap() of /dev/gmem creates one gm_object covering the whole VMA; the
 * object is the logical page table of that range (chunks of gm_block,
 * gm_block.c) and lives exactly as long as the VMA. The VMA is never split,
 * expanded or moved, and fork does not copy it (VM_DONTCOPY; see
 * gm_vm_open() for a child that asked with MADV_DOFORK), so the VMA and the
 * object always describe the same range. CPU page tables are a cache of the
 * object: a CPU fault (gm_cpu_fault.c) makes the block host-resident and maps
 * all of its pages at once; moving a block to a device zaps them through
 * the file mapping, for which each object owns a window of file offsets
 * (vm_pgoff = obj->pgoff) like TTM buffer objects do.
 *
 * GUP is allowed on the mapping (VM_MIXEDMAP with refcounted pages, no
 * VM_IO): O_DIRECT, io_uring fixed buffers, vmsplice and process_vm_writev
 * work on unified memory. A block whose host pages someone holds is never
 * copied to a device behind that holder's back (gm_migrate.c).
 *
 * Read copies (GMEM_BLK_BOTH, gm_migrate.c), per gmem.read_dup when the
 * object is mapped: 0 none (device reads take the block, DEVICE); 1 (the
 * default) device reads make a read copy that the CPU does not map, so the
 * host pages stay valid (evicting the copy is a drop) while any CPU access,
 * and any GUP, first ends the copy: no pin ever coexists with a device
 * copy (on a device with dirty bits that copy is a clean DEVICE block,
 * mapped writable: gm_fault.c); 2 CPU-shared copies: the CPU maps the host pages of a read copy
 * read-only. Such a VMA gets gm_vm_dup_ops, whose ->page_mkwrite makes the
 * kernel map every page read-only first (write notification, as for a file
 * with dirty tracking) so that the first CPU write to a read copy reaches
 * the core, which drops the device copy.
 *
 * Protection: ->mprotect revokes every device mapping of the object before
 * the change takes effect; devices refault and the fault path checks the
 * VMA's new flags (gm_fault.c).
 *
 * /dev/gmem may be opened by anyone (mode 0666): a process only ever reaches
 * the objects of its own address space; ids of other processes' objects are
 * only visible to CAP_SYS_ADMIN (gm_obj_visible()). Object ids are allocated
 * cyclically up to gmem.max_object_id and then reused: a policy learns of an
 * object's end through obj_exit, and a trace taken across a reuse shows two
 * objects under one id.
 *
 * Locking:
 *   - f_op->mmap, ->mprotect and vm_ops->close run under mmap_write_lock and
 *     take block locks inside it; the CPU fault runs under mmap_read_lock.
 *     Nothing takes mmap_lock while holding a block lock.
 *   - gm_objs (id -> object, RCU lookups) and gm_obj_list: gm_objs_lock. An
 *     object is in gm_objs exactly while its VMA exists and the VMA holds a
 *     reference; it is freed by the last gm_obj_put(), after an RCU grace
 *     period.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/mman.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"

static DEFINE_XARRAY_ALLOC1(gm_objs);
static u32 gm_next_obj_id;		/* xa_alloc_cyclic() cursor, gm_objs_lock */

static unsigned int max_object_id = UINT_MAX;
module_param(max_object_id, uint, 0644);
MODULE_PARM_DESC(max_object_id,
		 "Highest vm_object id; ids are allocated cyclically up to it and then reused (default 2^32-1)");
DEFINE_MUTEX(gm_objs_lock);
LIST_HEAD(gm_obj_list);

static unsigned int read_dup = GM_DUP_DEVICE;
module_param(read_dup, uint, 0644);
MODULE_PARM_DESC(read_dup,
		 "device reads of objects mapped while set make read copies: 0 off, 1 device-only (default), 2 also CPU-readable");

static const struct vm_operations_struct gm_vm_ops, gm_vm_dup_ops;

bool gm_vma_is_gmem(const struct vm_area_struct *vma)
{
	return vma->vm_ops == &gm_vm_ops || vma->vm_ops == &gm_vm_dup_ops;
}

/* May current see @obj by id? Its own objects, or any for CAP_SYS_ADMIN. */
bool gm_obj_visible(const struct gm_object *obj)
{
	return obj->mm == current->mm || capable(CAP_SYS_ADMIN);
}

static void gm_obj_release(struct kref *ref)
{
	struct gm_object *obj = container_of(ref, struct gm_object, ref);

	WARN_ON_ONCE(atomic_long_read(&obj->pinned_blocks));
	gm_obj_free_chunks(obj);
	gm_tenant_obj_put(obj->tenant);
	cgroup_put(obj->cgrp);
	free_uid(obj->user);
	mmdrop(obj->mm);
	kfree_rcu(obj, rcu);
	atomic_long_dec(&gm_live_objects);
}

void gm_obj_put(struct gm_object *obj)
{
	kref_put(&obj->ref, gm_obj_release);
}

struct gm_object *gm_obj_get_by_id(u32 id)
{
	struct gm_object *obj;

	rcu_read_lock();
	obj = xa_load(&gm_objs, id);
	if (obj && !kref_get_unless_zero(&obj->ref))
		obj = NULL;
	rcu_read_unlock();
	return obj;
}

/* A live object by id, no reference: valid until the caller's RCU section ends. */
struct gm_object *gm_obj_find_rcu(u32 id)
{
	struct gm_object *obj;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "gm_obj_find_rcu() outside RCU");
	obj = xa_load(&gm_objs, id);
	return obj && !READ_ONCE(obj->dead) ? obj : NULL;
}

/*
 * Is object @id being destroyed (dead, not yet forgotten)? Its block ids
 * were valid until munmap began; RCU held.
 */
bool gm_obj_id_dying(u32 id)
{
	struct gm_object *obj;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "gm_obj_id_dying() outside RCU");
	obj = xa_load(&gm_objs, id);
	return obj && READ_ONCE(obj->dead);
}

/* A live object's block by id; the caller is in an RCU read section. */
struct gm_block *gm_block_by_id(u64 blk_id)
{
	struct gm_object *obj = gm_obj_find_rcu(GMEM_BLK_OBJ(blk_id));

	return obj ? gm_obj_block(obj, GMEM_BLK_IDX(blk_id)) : NULL;
}

/* Does @vma allow a device access of kind @access (GM_ACC_*)? */
static bool gm_vma_allows(const struct vm_area_struct *vma, unsigned int access)
{
	if ((access & GM_ACC_READ) && !(vma->vm_flags & VM_READ))
		return false;
	if ((access & GM_ACC_WRITE) && !(vma->vm_flags & VM_WRITE))
		return false;
	return true;
}

/*
 * The object of the gmem mapping holding [@va, @va + @len) in @mm, with a
 * reference, if the VMA allows @access. Takes mmap_read_lock, so never call
 * it with a block lock held. The caller keeps @mm alive. -EFAULT when the
 * range is not inside one gmem mapping or the protection refuses @access.
 */
int gm_obj_lookup(struct mm_struct *mm, unsigned long va, unsigned long len,
		  unsigned int access, struct gm_lookup *lk)
{
	struct vm_area_struct *vma;
	int ret = -EFAULT;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, va);
	if (vma && gm_vma_is_gmem(vma) && len <= vma->vm_end - va &&
	    gm_vma_allows(vma, access)) {
		lk->obj = vma->vm_private_data;
		/* A forked copy does not count: the object serves its creator. */
		if (lk->obj->mm == mm) {
			kref_get(&lk->obj->ref);
			lk->may_write = vma->vm_flags & VM_WRITE;
			lk->may_read = vma->vm_flags & VM_READ;
			lk->prot_seq = atomic_read(&lk->obj->prot_seq);
			ret = 0;
		}
	}
	mmap_read_unlock(mm);
	return ret;
}

/* Pinned HBM is charged like mlock()ed memory: to the owner's RLIMIT_MEMLOCK. */
int gm_pin_charge(struct gm_object *obj, long nr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	long pages = nr * GM_BLK_PAGES;

	if (atomic_long_add_return(pages, &obj->user->locked_vm) > limit &&
	    !capable(CAP_IPC_LOCK)) {
		atomic_long_sub(pages, &obj->user->locked_vm);
		return -ENOMEM;
	}
	atomic_long_add(nr, &obj->pinned_blocks);
	if (obj->tenant)
		atomic64_add(nr, &obj->tenant->pinned);
	return 0;
}

void gm_pin_uncharge(struct gm_object *obj, long nr)
{
	atomic_long_sub(nr, &obj->pinned_blocks);
	if (obj->tenant)
		atomic64_sub(nr, &obj->tenant->pinned);
	atomic_long_sub(nr * GM_BLK_PAGES, &obj->user->locked_vm);
}

/*
 * The cgroup v2 directory of the task that maps the object: the object's
 * tenant for per-cgroup policies and HBM limits, fixed for its lifetime
 * (like the memcg its metadata is charged to). The task's css_set holds a
 * reference on it, so taking one more under RCU is safe.
 */
static struct cgroup *gm_current_cgroup(void)
{
	struct cgroup *cgrp;

	rcu_read_lock();
	cgrp = task_dfl_cgroup(current);
	cgroup_get(cgrp);
	rcu_read_unlock();
	return cgrp;
}

static struct gm_object *gm_obj_alloc(struct vm_area_struct *vma)
{
	struct gm_object *obj;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	obj->start = vma->vm_start;
	obj->size = vma->vm_end - vma->vm_start;
	obj->nr_blocks = DIV_ROUND_UP(obj->size, gm_blk_size);
	xa_init(&obj->chunks);
	mutex_init(&obj->chunk_lock);
	gm_builtin_obj_init(obj);
	kref_init(&obj->ref);
	obj->mm = vma->vm_mm;
	mmgrab(obj->mm);
	obj->user = get_current_user();
	obj->owner_pid = task_tgid_nr(current);
	obj->cgrp = gm_current_cgroup();
	obj->tenant = gm_tenant_of_cgroup(obj->cgrp);
	obj->mapping = vma->vm_file->f_mapping;
	INIT_LIST_HEAD(&obj->node);
	atomic_long_inc(&gm_live_objects);
	return obj;
}

/* Give @obj its id and file-offset window and make it visible. */
static int gm_obj_publish(struct gm_object *obj)
{
	u32 id;
	int ret;

	/*
	 * Cyclic, like pids: an id comes back only after the others were used,
	 * so a policy's map entry for an ended object (one that ignored
	 * obj_exit) is not mistaken for a new object's at once, yet ids never
	 * run out.
	 */
	mutex_lock(&gm_objs_lock);
	ret = xa_alloc_cyclic(&gm_objs, &id, obj, XA_LIMIT(1, max(READ_ONCE(max_object_id), 1u)),
			      &gm_next_obj_id, GFP_KERNEL);
	if (ret >= 0) {
		obj->id = id;
		obj->pgoff = (unsigned long)id << GM_OBJ_PGOFF_SHIFT;
		list_add_tail(&obj->node, &gm_obj_list);
		ret = 0;
	}
	mutex_unlock(&gm_objs_lock);
	if (ret == -EBUSY)
		ret = -ENOSPC;		/* 2^32 live objects */
	if (!ret) {
		gm_policy_obj_init(obj);
		gm_trace_obj(obj);
	}
	return ret;
}

/*
 * Test only (test_bpf_lifecycle munmap_leaves_the_policy_its_victims):
 * sleep this long in an object's destroy between marking it dead and taking
 * its blocks off the policy lists, the window in which a list walk meets
 * them. Capped at 100 ms; 0 (default) in use.
 */
static unsigned int debug_destroy_delay_us;
module_param(debug_destroy_delay_us, uint, 0644);
MODULE_PARM_DESC(debug_destroy_delay_us,
		 "Test only: sleep this many us in a destroy before unlisting its blocks (max 100000, default 0)");

static int gm_blk_release_one(struct gm_block *blk, void *arg)
{
	mutex_lock(&blk->lock);
	gm_blk_release(blk);
	mutex_unlock(&blk->lock);
	return 0;
}

/*
 * The mapping is gone: free every block, then forget the object. Not
 * interruptible: a dying task unmaps too, and nothing may be left behind.
 */
static void gm_obj_destroy(struct gm_object *obj)
{
	WRITE_ONCE(obj->dead, true);
	gm_debug_delay(&debug_destroy_delay_us, 100000);
	gm_policy_obj_dying(obj);
	/* Revoke what forked copies of the VMA still map (see gm_vm_open()). */
	unmap_mapping_pages(obj->mapping, obj->pgoff, (pgoff_t)obj->nr_blocks * GM_BLK_PAGES,
			    false);
	gm_obj_for_each_block(obj, 0, obj->nr_blocks, false, gm_blk_release_one, NULL);
	gm_policy_obj_exit(obj);
	mutex_lock(&gm_objs_lock);
	list_del_init(&obj->node);
	xa_erase(&gm_objs, obj->id);
	mutex_unlock(&gm_objs_lock);
	gm_obj_put(obj);		/* the VMA's reference */
}

/*
 * A second VMA on the object appears in two ways: mremap() copies the VMA
 * before asking ->mremap (we refuse, and the copy is unmapped again), and
 * fork() after madvise(MADV_DOFORK) cleared VM_DONTCOPY. Each copy holds a
 * reference; only the close of the VMA the object was created for ends it.
 * A forked child reads and writes the object's host pages coherently (every
 * migration zaps all VMAs of the object's file range), devices serve only
 * the creator's mm (gm_obj_lookup()), and once the creator unmaps the
 * object the child's accesses fault with SIGBUS.
 */
static void gm_vm_open(struct vm_area_struct *vma)
{
	struct gm_object *obj = vma->vm_private_data;

	kref_get(&obj->ref);
}

static void gm_vm_close(struct vm_area_struct *vma)
{
	struct gm_object *obj = vma->vm_private_data;

	if (vma->vm_mm == obj->mm && vma->vm_start == obj->start)
		gm_obj_destroy(obj);
	else
		gm_obj_put(obj);
}

/* Partial munmap/mprotect/mremap would split the object: refused. */
static int gm_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

/* Devices map the range by address: moving it is refused. */
static int gm_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static int gm_blk_revoke_dev(struct gm_block *blk, void *arg)
{
	int ret = mutex_lock_killable(&blk->lock);

	if (ret)
		return ret;
	if (blk->state == GMEM_BLK_DEVICE || blk->state == GMEM_BLK_BOTH ||
	    blk->state == GMEM_BLK_REMOTE)
		gm_blk_unmap_dev(blk);
	mutex_unlock(&blk->lock);
	return 0;
}

/*
 * mprotect() of the creator's VMA, before the new flags apply: bump the
 * protection sequence (faults that looked the VMA up before will look again)
 * and, on a downgrade, remove every device mapping so that devices refault
 * and meet the new protection. Runs under mmap_write_lock.
 */
static int gm_vm_mprotect(struct vm_area_struct *vma, unsigned long start,
			  unsigned long end, unsigned long newflags)
{
	struct gm_object *obj = vma->vm_private_data;
	unsigned long lost = (vma->vm_flags & ~newflags) & (VM_READ | VM_WRITE);

	if (vma->vm_mm != obj->mm)
		return 0;
	atomic_inc(&obj->prot_seq);
	if (!lost)
		return 0;
	return gm_obj_for_each_block(obj, 0, obj->nr_blocks, true, gm_blk_revoke_dev, NULL);
}

static const struct vm_operations_struct gm_vm_ops = {
	.open		= gm_vm_open,
	.close		= gm_vm_close,
	.fault		= gm_vm_fault,
	.may_split	= gm_vm_may_split,
	.mremap		= gm_vm_mremap,
	.mprotect	= gm_vm_mprotect,
};

/* Objects with read copies: ->page_mkwrite makes the core see CPU writes. */
static const struct vm_operations_struct gm_vm_dup_ops = {
	.open		= gm_vm_open,
	.close		= gm_vm_close,
	.fault		= gm_vm_fault,
	.page_mkwrite	= gm_vm_page_mkwrite,
	.may_split	= gm_vm_may_split,
	.mremap		= gm_vm_mremap,
	.mprotect	= gm_vm_mprotect,
};

/*
 * f_op->mmap: MAP_SHARED, offset 0, block-aligned start (our
 * get_unmapped_area aligns it; MAP_FIXED must), any page-multiple length up
 * to 1 TiB. The last block may be partial: it still owns a whole block of
 * host pages and HBM (devices move whole blocks), but only the pages inside
 * the VMA are ever mapped to the CPU, and devices are refused access past
 * the VMA's end (drivers check job ranges with gm_obj_lookup()).
 */
int gm_obj_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);
	struct gm_object *obj;
	int ret;

	if (vma->vm_pgoff)
		return -EINVAL;
	/* A private COW copy of memory that devices migrate cannot stay coherent. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (!IS_ALIGNED(vma->vm_start, gm_blk_size))
		return -EINVAL;
	if (pages > (1UL << GM_OBJ_PGOFF_SHIFT))
		return -EFBIG;

	obj = gm_obj_alloc(vma);
	if (!obj)
		return -ENOMEM;
	/* Sampled once: the VMA's write notification must match for its life. */
	obj->read_dup = min_t(unsigned int, READ_ONCE(read_dup), GM_DUP_SHARED);
	ret = gm_obj_publish(obj);
	if (ret) {
		gm_obj_put(obj);
		return ret;
	}
	vma->vm_pgoff = obj->pgoff;
	vma->vm_private_data = obj;
	vma->vm_ops = obj->read_dup == GM_DUP_SHARED ? &gm_vm_dup_ops : &gm_vm_ops;
	/* VM_MIXEDMAP: the fault handler inserts refcounted pages itself. */
	vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP | VM_MIXEDMAP);
	return 0;
}

/* Block-aligned placement, so that each block is one device mapping. */
unsigned long gm_obj_get_unmapped_area(struct file *file, unsigned long addr,
				       unsigned long len, unsigned long pgoff,
				       unsigned long flags)
{
	unsigned long ret;

	if (flags & MAP_FIXED)
		return addr;		/* gm_obj_mmap() checks the alignment */
	if (gm_blk_size == PAGE_SIZE)
		return mm_get_unmapped_area(current->mm, file, addr, len, pgoff, flags);
	if (len > TASK_SIZE - gm_blk_size)
		return -ENOMEM;
	ret = mm_get_unmapped_area(current->mm, file, addr, len + gm_blk_size, pgoff, flags);
	if (IS_ERR_VALUE(ret))
		return ret;
	return ALIGN(ret, gm_blk_size);
}

/* ------------------------------------------------------------ ioctls */

/* GMEM_IOC_OBJ_INFO: by address in the caller's mm, else by id. */
long gm_obj_info_ioctl(void __user *uarg)
{
	struct gmem_obj_info info;
	struct gm_object *obj;
	struct gm_lookup lk;
	struct gm_block *blk;
	int ret;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.addr) {
		ret = gm_obj_lookup(current->mm, info.addr, 1, 0, &lk);
		if (ret)
			return ret == -EFAULT ? -ENOENT : ret;
		obj = lk.obj;
	} else if (info.id) {
		obj = gm_obj_get_by_id(info.id);
		if (!obj)
			return -ENOENT;
		if (!gm_obj_visible(obj)) {
			gm_obj_put(obj);
			return -ENOENT;
		}
	} else {
		return -EINVAL;
	}

	ret = READ_ONCE(obj->dead) ? -ENOENT : 0;
	if (!ret) {
		info.id = obj->id;
		info.owner_pid = obj->owner_pid;
		info.start = obj->start;
		info.size = obj->size;
		info.block_size = gm_blk_size;
		blk = gm_obj_block(obj, 0);
		info.tag = blk ? READ_ONCE(blk->tag) : 0;
		gm_stats_read(&info.stats, &obj->stats);
	}
	gm_obj_put(obj);
	if (!ret && copy_to_user(uarg, &info, sizeof(info)))
		ret = -EFAULT;
	return ret;
}

/*
 * Fill up to @cap ids into @ids: every object when @all, else the caller's
 * own. Returns how many there are.
 */
static u32 gm_obj_collect_ids(u32 *ids, u32 cap, bool all)
{
	struct gm_object *obj;
	u32 n = 0;

	lockdep_assert_held(&gm_objs_lock);
	list_for_each_entry(obj, &gm_obj_list, node) {
		if (!all && obj->mm != current->mm)
			continue;
		if (n < cap)
			ids[n] = obj->id;
		n++;
	}
	return n;
}

/* GMEM_IOC_LIST_OBJECTS */
long gm_obj_list_ioctl(void __user *uarg)
{
	struct gmem_obj_list lst;
	u32 *ids = NULL, cap = 0, count;
	bool all;
	int ret = 0;

	if (copy_from_user(&lst, uarg, sizeof(lst)))
		return -EFAULT;
	all = capable(CAP_SYS_ADMIN);	/* asked once: it may audit */
	/*
	 * ids are gathered under gm_objs_lock into a kernel buffer sized from the
	 * current number of objects; if more appeared meanwhile, grow and retry.
	 */
	for (;;) {
		u32 want = min_t(u64, lst.capacity, atomic_long_read(&gm_live_objects) + 16);

		if (want > cap) {
			kvfree(ids);
			ids = kvmalloc_array(want, sizeof(*ids), GFP_KERNEL);
			if (!ids)
				return -ENOMEM;
			cap = want;
		}
		mutex_lock(&gm_objs_lock);
		count = gm_obj_collect_ids(ids, cap, all);
		mutex_unlock(&gm_objs_lock);
		if (count <= cap || cap == lst.capacity)
			break;
	}
	lst.count = count;
	if (copy_to_user(u64_to_user_ptr(lst.ids_ptr), ids,
			 (size_t)min(count, cap) * sizeof(*ids)) ||
	    copy_to_user(uarg, &lst, sizeof(lst)))
		ret = -EFAULT;
	kvfree(ids);
	return ret;
}
