// SPDX-License-Identifier: GPL-2.0
/*
 * error_exit (broken on purpose): gives up with bpf_gmem_error() on the
 * third device fault. On the first it records what the reader kfuncs say
 * about the faulting block, its object and its device; its exit hook
 * records what it was told and checks that kfuncs no longer act there.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

u32 faults;
s64 init_list;		/* bpf_gmem_list_create() in init: a list id */
s64 exit_list;		/* bpf_gmem_list_create() in exit: -EPERM */
u32 exit_kind;		/* enum gmem_exit_kind seen by the exit hook */
u32 exit_calls;

/* Readers, on the first fault. */
s64 init_list_len;
u64 blk_tag, ctx_tag;
s64 obj_blocks;
u64 obj_start, obj_size;
s64 dev_capacity, dev_used, bad_dev;
s32 blk_state_ret, blk_state;

s32 GMEM_HOOK(ee_init)
{
	init_list = bpf_gmem_list_create();
	return 0;
}

static void ee_read(struct gmem_fault_ctx *fc)
{
	struct gmem_block_info bi = {};
	u64 start = 0, size = 0;

	init_list_len = bpf_gmem_list_len(init_list);
	blk_tag = bpf_gmem_block_tag(fc->blk_id);
	ctx_tag = fc->tag;
	obj_blocks = bpf_gmem_obj_range(fc->obj, &start, &size);
	obj_start = start;
	obj_size = size;
	dev_capacity = bpf_gmem_dev_capacity(fc->dev);
	dev_used = bpf_gmem_dev_used(fc->dev);
	bad_dev = bpf_gmem_dev_capacity(GMEM_NO_DEV);
	blk_state_ret = bpf_gmem_block_state(fc->blk_id, &bi);
	blk_state = bi.state;
}

s32 GMEM_HOOK(ee_fault, struct gmem_fault_ctx *fc)
{
	if (++faults == 1)
		ee_read(fc);
	if (faults == 3)
		gmem_error("gave up at fault %u of object %u", faults, fc->obj);
	return GMEM_PLACE_DEFAULT;
}

void GMEM_HOOK(ee_exit, struct gmem_exit_info *info)
{
	exit_calls++;
	exit_kind = info->kind;
	exit_list = bpf_gmem_list_create();
}

GMEM_OPS_DEFINE(error_exit_ops,
	.init	= (void *)ee_init,
	.fault	= (void *)ee_fault,
	.exit	= (void *)ee_exit,
	.name	= "error_exit");
