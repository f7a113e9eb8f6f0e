// SPDX-License-Identifier: GPL-2.0
/*
 * gm_object.c: vm_objects, the mmap of /dev/gmem and the CPU fault path.
 *
 * One mmap() of /dev/gmem creates one gm_object covering the whole VMA; the
 * object is the logical page table of that range (an array of gm_block) and
 * lives exactly as long as the VMA. The VMA is never split, expanded or moved,
 * and fork does not copy it (VM_DONTCOPY; see gm_vm_open() for a child that
 * asked with MADV_DOFORK), so the VMA and the object always describe the
 * same range. CPU page tables are a cache of the object:
 * a CPU fault makes the block host-resident and maps all of its pages at once;
 * moving a block to a device zaps them through the file mapping
 * (gm_migrate.c), for which each object owns a window of file offsets
 * (vm_pgoff = obj->pgoff) like TTM buffer objects do.
 *
 * Read copies (GMEM_BLK_BOTH, gm_migrate.c): an object mapped while the
 * gmem.read_dup parameter is set lets device reads keep the host copy valid
 * and CPU-readable. Its VMA gets gm_vm_dup_ops, whose ->page_mkwrite makes
 * the kernel map every page read-only first (write notification, as for a
 * file with dirty tracking) so that the first CPU write to a read copy
 * reaches the core, which drops the device copy. Objects without read copies
 * keep the plain ops: their CPU writes never take that extra fault.
 *
 * /dev/gmem may be opened by anyone (mode 0666): a process only ever reaches
 * the objects of its own address space; ids of other processes' objects are
 * only visible to CAP_SYS_ADMIN (gm_obj_visible()).
 *
 * Locking:
 *   - f_op->mmap and vm_ops->close run under mmap_write_lock and take gm_lock
 *     inside it; the CPU fault runs under mmap_read_lock and takes gm_lock.
 *     Never the reverse: nothing takes mmap_lock while holding gm_lock.
 *   - gm_objs (id -> object) has its own lock. An object is in it exactly
 *     while its VMA exists and the VMA holds a reference, so a lookup under
 *     xa_lock can always take another one; the object is freed by the last
 *     gm_obj_put() after it was erased.
 *   - gm_obj_list, obj->dead and every gm_block field: gm_lock.
 */
#include <linux/capability.h>
#include <linux/mman.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gm_internal.h"
#include "gm_policy.h"

static DEFINE_XARRAY(gm_objs);
LIST_HEAD(gm_obj_list);
static u32 gm_next_obj_id = 1;		/* under gm_lock; ids are never reused */

static bool read_dup;
module_param(read_dup, bool, 0644);
MODULE_PARM_DESC(read_dup,
		 "objects mapped while set: device reads keep a CPU-readable host copy (default 0)");

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

	kvfree(obj->blocks);
	mmdrop(obj->mm);
	kfree(obj);
	atomic_long_dec(&gm_live_objects);
}

void gm_obj_put(struct gm_object *obj)
{
	kref_put(&obj->ref, gm_obj_release);
}

struct gm_object *gm_obj_get_by_id(u32 id)
{
	struct gm_object *obj;

	xa_lock(&gm_objs);
	obj = xa_load(&gm_objs, id);
	if (obj)
		kref_get(&obj->ref);
	xa_unlock(&gm_objs);
	return obj;
}

/* gm_lock keeps a live object in gm_objs, so no reference is needed here. */
struct gm_block *gm_block_by_id(u64 blk_id)
{
	struct gm_object *obj;

	lockdep_assert_held(&gm_lock);
	obj = xa_load(&gm_objs, GMEM_BLK_OBJ(blk_id));
	if (!obj || obj->dead || GMEM_BLK_IDX(blk_id) >= obj->nr_blocks)
		return NULL;
	return &obj->blocks[GMEM_BLK_IDX(blk_id)];
}

/*
 * The object of the gmem mapping holding @va in @mm, with a reference.
 * Takes mmap_read_lock, so never call it with gm_lock held. The caller keeps
 * @mm alive (mmgrab). -EFAULT when @va is not in a gmem mapping.
 */
int gm_obj_lookup(struct mm_struct *mm, unsigned long va, struct gm_object **objp)
{
	struct vm_area_struct *vma;
	struct gm_object *obj = NULL;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, va);
	if (vma && gm_vma_is_gmem(vma)) {
		obj = vma->vm_private_data;
		if (obj->mm == mm)
			kref_get(&obj->ref);
		else
			obj = NULL;	/* a forked copy: the object serves its creator */
	}
	mmap_read_unlock(mm);
	*objp = obj;
	return obj ? 0 : -EFAULT;
}

static void gm_obj_init_blocks(struct gm_object *obj)
{
	u32 i;

	for (i = 0; i < obj->nr_blocks; i++) {
		struct gm_block *blk = &obj->blocks[i];

		blk->obj = obj;
		blk->idx = i;
		blk->state = GMEM_BLK_NONE;
		blk->dev = GM_NO_DEV;
		blk->pref_dev = GM_NO_DEV;
		INIT_LIST_HEAD(&blk->lru);
		INIT_LIST_HEAD(&blk->plist);
		blk->plist_id = -1;
	}
}

static struct gm_object *gm_obj_alloc(struct vm_area_struct *vma)
{
	struct gm_object *obj;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return NULL;
	obj->start = vma->vm_start;
	obj->size = vma->vm_end - vma->vm_start;
	obj->nr_blocks = DIV_ROUND_UP(obj->size, gm_blk_size);
	obj->blocks = kvcalloc(obj->nr_blocks, sizeof(*obj->blocks), GFP_KERNEL);
	if (!obj->blocks) {
		kfree(obj);
		return NULL;
	}
	kref_init(&obj->ref);
	obj->mm = vma->vm_mm;
	mmgrab(obj->mm);
	obj->owner_pid = task_tgid_nr(current);
	obj->mapping = vma->vm_file->f_mapping;
	INIT_LIST_HEAD(&obj->node);
	gm_obj_init_blocks(obj);
	atomic_long_inc(&gm_live_objects);
	return obj;
}

/* Give @obj its id and file-offset window and make it visible. */
static int gm_obj_publish(struct gm_object *obj)
{
	int ret;

	lockdep_assert_held(&gm_lock);
	if (!gm_next_obj_id)
		return -ENOSPC;		/* 2^32 objects since load: ids never wrap */
	ret = xa_insert(&gm_objs, gm_next_obj_id, obj, GFP_KERNEL);
	if (ret)
		return ret;
	obj->id = gm_next_obj_id++;
	obj->pgoff = (unsigned long)obj->id << GM_OBJ_PGOFF_SHIFT;
	list_add_tail(&obj->node, &gm_obj_list);
	gm_policy_obj_init(obj);
	return 0;
}

/* The mapping is gone: free every block, then forget the object. */
static void gm_obj_destroy(struct gm_object *obj)
{
	u32 i;

	mutex_lock(&gm_lock);
	obj->dead = true;
	/* Revoke what forked copies of the VMA still map (see gm_vm_open()). */
	unmap_mapping_pages(obj->mapping, obj->pgoff, (pgoff_t)obj->nr_blocks * GM_BLK_PAGES,
			    false);
	for (i = 0; i < obj->nr_blocks; i++) {
		gm_blk_release(&obj->blocks[i]);
		cond_resched();
	}
	gm_policy_obj_exit(obj);
	list_del_init(&obj->node);
	xa_erase(&gm_objs, obj->id);
	mutex_unlock(&gm_lock);
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

/* Map every page of @blk that lies in @vma; pages already mapped are fine. */
static int gm_blk_map_cpu(struct vm_area_struct *vma, struct gm_block *blk)
{
	unsigned long addr = vma->vm_start + ((unsigned long)blk->idx << gm_blk_shift);
	unsigned long i, n = gm_blk_valid_pages(blk);
	int ret;

	for (i = 0; i < n; i++, addr += PAGE_SIZE) {
		ret = vm_insert_page(vma, addr, blk->pages[i]);
		if (ret && ret != -EBUSY)
			return ret;
	}
	return 0;
}

/*
 * CPU fault: bring the block to the host (first touch allocates zeroed pages;
 * a device-resident block is migrated back) and map all its pages. The PTEs
 * are installed under gm_lock, so a concurrent migration to a device, which
 * zaps them under gm_lock too, cannot leave a stale CPU mapping behind.
 * A REMOTE block stays where it is: its host pages are the data. So does a
 * read copy (BOTH) for a read: its pages are mapped read-only (the VMA has
 * write notification); a write drops the device copy first.
 */
static vm_fault_t gm_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gm_object *obj = vma->vm_private_data;
	struct gm_block *blk;
	int ret = 0;

	mutex_lock(&gm_lock);
	blk = &obj->blocks[(vmf->address - vma->vm_start) >> gm_blk_shift];
	if (obj->dead) {
		mutex_unlock(&gm_lock);
		return VM_FAULT_SIGBUS;	/* a forked copy outlived the object */
	}
	gm_stat_add(blk, GM_NO_DEV, cpu_faults, 1);
	if (blk->state == GMEM_BLK_NONE)
		ret = gm_blk_alloc_host(blk);
	else if (blk->state == GMEM_BLK_DEVICE ||
		 (blk->state == GMEM_BLK_BOTH && (vmf->flags & FAULT_FLAG_WRITE)))
		ret = gm_migrate_to_host(blk);
	if (!ret)
		ret = gm_blk_map_cpu(vma, blk);
	mutex_unlock(&gm_lock);
	return ret ? vmf_error(ret) : VM_FAULT_NOPAGE;
}

/*
 * A CPU write hit a read-only PTE (gm_vm_dup_ops only): end a read copy by
 * dropping the device's copy, then let the kernel make the PTE writable. A
 * block that left the host since the PTE was read (its PTE is zapped by
 * now) is retried: the retry faults through gm_vm_fault(). If the block
 * becomes a read copy again before the PTE is upgraded, that zap makes
 * finish_mkwrite_fault() see a changed PTE and retry as well.
 *
 * The page is returned locked: our pages have no ->mapping, and
 * do_page_mkwrite() would take an unlocked one for truncated and retry
 * forever. The folio lock is taken after gm_lock is dropped: no nesting.
 */
static vm_fault_t gm_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gm_object *obj = vma->vm_private_data;
	struct gm_block *blk;
	vm_fault_t ret = 0;

	mutex_lock(&gm_lock);
	blk = &obj->blocks[(vmf->address - vma->vm_start) >> gm_blk_shift];
	if (obj->dead) {
		ret = VM_FAULT_SIGBUS;
	} else if (blk->state == GMEM_BLK_BOTH) {
		gm_stat_add(blk, GM_NO_DEV, cpu_faults, 1);
		if (gm_migrate_to_host(blk))
			ret = VM_FAULT_SIGBUS;	/* cannot happen: a copy is just dropped */
	} else if (blk->state != GMEM_BLK_HOST && blk->state != GMEM_BLK_REMOTE) {
		ret = VM_FAULT_NOPAGE;
	}
	mutex_unlock(&gm_lock);
	if (ret)
		return ret;
	folio_lock(page_folio(vmf->page));
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct gm_vm_ops = {
	.open		= gm_vm_open,
	.close		= gm_vm_close,
	.fault		= gm_vm_fault,
	.may_split	= gm_vm_may_split,
	.mremap		= gm_vm_mremap,
};

/* Objects with read copies: ->page_mkwrite makes the core see CPU writes. */
static const struct vm_operations_struct gm_vm_dup_ops = {
	.open		= gm_vm_open,
	.close		= gm_vm_close,
	.fault		= gm_vm_fault,
	.page_mkwrite	= gm_vm_page_mkwrite,
	.may_split	= gm_vm_may_split,
	.mremap		= gm_vm_mremap,
};

/*
 * f_op->mmap: MAP_SHARED, offset 0, block-aligned start (our
 * get_unmapped_area aligns it; MAP_FIXED must), any page-multiple length.
 * The last block may be partial: it still owns a whole block of host pages
 * and HBM (devices move whole blocks), but only the pages inside the VMA are
 * ever mapped to the CPU.
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
		return -EINVAL;

	obj = gm_obj_alloc(vma);
	if (!obj)
		return -ENOMEM;
	/* Sampled once: the VMA's write notification must match for its life. */
	obj->read_dup = READ_ONCE(read_dup);
	mutex_lock(&gm_lock);
	ret = gm_obj_publish(obj);
	mutex_unlock(&gm_lock);
	if (ret) {
		gm_obj_put(obj);
		return ret;
	}
	vma->vm_pgoff = obj->pgoff;
	vma->vm_private_data = obj;
	vma->vm_ops = obj->read_dup ? &gm_vm_dup_ops : &gm_vm_ops;
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
	int ret;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.addr) {
		ret = gm_obj_lookup(current->mm, info.addr, &obj);
		if (ret)
			return ret == -EFAULT ? -ENOENT : ret;
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

	mutex_lock(&gm_lock);
	ret = obj->dead ? -ENOENT : 0;
	if (!ret) {
		info.id = obj->id;
		info.owner_pid = obj->owner_pid;
		info.start = obj->start;
		info.size = obj->size;
		info.block_size = gm_blk_size;
		info.tag = obj->blocks[0].tag;
		info.stats = obj->stats;
	}
	mutex_unlock(&gm_lock);
	gm_obj_put(obj);
	/* Copied out after gm_lock: the user buffer may itself be gmem memory. */
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

	lockdep_assert_held(&gm_lock);
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
	 * ids are gathered under gm_lock into a kernel buffer sized from the
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
		mutex_lock(&gm_lock);
		count = gm_obj_collect_ids(ids, cap, all);
		mutex_unlock(&gm_lock);
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
