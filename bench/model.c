// SPDX-License-Identifier: GPL-2.0
/*
 * model.c: the cost model of model.h. Pure arithmetic, no state, no locking.
 */
#include <errno.h>

#include "model.h"

int cost_model_check(const struct cost_model *m)
{
	if (!(m->link_gbps > 0) || !(m->compute_gbps > 0) || !(m->fault_us >= 0))
		return -EINVAL;
	return 0;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

void cost_model_eval(const struct cost_model *m, uint64_t block_size, uint64_t touches,
		     const struct gmem_stats *s, struct cost_result *r)
{
	/* GB/s is bytes per ns. */
	double t_x = (double)block_size / m->link_gbps;
	double t_c = (double)block_size / m->compute_gbps;
	uint64_t demand = s->h2d_blocks > s->prefetch_issued ?
			  s->h2d_blocks - s->prefetch_issued : 0;
	double hidden;

	r->t_x_ns = t_x;
	r->t_c_ns = t_c;
	r->compute_ns = (double)touches * t_c;
	r->fault_ns = (double)s->dev_faults * m->fault_us * 1000.0;
	r->demand_ns = (double)demand * t_x;
	r->evict_ns = (double)s->d2h_blocks * t_x;
	r->remote_ns = (double)s->remote_maps * t_x;
	hidden = min_d((double)s->prefetch_issued * min_d(t_x, t_c), r->compute_ns);
	r->prefetch_ns = (double)s->prefetch_issued * t_x - hidden;
	r->total_ns = r->compute_ns + r->fault_ns + r->demand_ns + r->evict_ns +
		      r->remote_ns + r->prefetch_ns;
}
