// SPDX-License-Identifier: GPL-2.0
/*
 * tenant_quota: reads the tenant kfuncs (bpf_gmem_block_tenant,
 * bpf_gmem_tenant_used, bpf_gmem_tenant_limit) as blocks arrive, for
 * test_tenant's kfuncs test, and evicts FIFO. Globals hold what it saw:
 * the last block's tenant and that tenant's limit, the highest usage seen,
 * how often usage was over the limit, and the answer for an unknown tenant.
 */
#include "gmem.bpf.h"

char _license[] SEC("license") = "GPL";

static s64 fifo;
u64 last_tenant, seen;
/* Zero-initialised (.bss, where the test reads them); asked_* say whether set. */
s64 last_limit, max_used, over_limit, unknown_ret, bad_dev_ret;
u64 asked_unknown, asked_bad_dev;

s32 GMEM_HOOK(tq_init)
{
	fifo = bpf_gmem_list_create();
	return fifo < 0 ? fifo : 0;
}

void GMEM_HOOK(tq_activated, u32 dev, u64 blk_id, u32 how)
{
	u64 t = bpf_gmem_block_tenant(blk_id);
	s64 used, limit;

	bpf_gmem_list_add(fifo, blk_id, true);
	if (!asked_unknown) {
		asked_unknown = 1;
		unknown_ret = bpf_gmem_tenant_used(~0ULL, dev);
	}
	if (!t)
		return;
	if (!asked_bad_dev) {
		asked_bad_dev = 1;
		bad_dev_ret = bpf_gmem_tenant_used(t, 1000);
	}
	used = bpf_gmem_tenant_used(t, dev);
	limit = bpf_gmem_tenant_limit(t);
	last_tenant = t;
	last_limit = limit;
	if (used > max_used)
		max_used = used;
	if (limit > 0 && used > limit)
		__sync_fetch_and_add(&over_limit, 1);
	__sync_fetch_and_add(&seen, 1);
}

void GMEM_HOOK(tq_evict, struct gmem_evict_ctx *ec)
{
	struct gmem_block_info bi = {};
	s32 ret;
	u64 id;

	gmem_list_for_each(fifo, id, 1 << 12) {
		if (bpf_gmem_block_state(id, &bi) || bi.dev != ec->dev ||
		    (bi.flags & (GMEM_BF_PINNED | GMEM_BF_BUSY)) || id == ec->busy_blk_id)
			continue;
		ret = bpf_gmem_evict_nominate(ec, id);
		if (ret == 0)
			break;
	}
}

GMEM_OPS_DEFINE(tq_ops,
	.init		= (void *)tq_init,
	.activated	= (void *)tq_activated,
	.evict		= (void *)tq_evict,
	.name		= "tenant_quota");
