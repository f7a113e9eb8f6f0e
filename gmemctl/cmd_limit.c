// SPDX-License-Identifier: GPL-2.0
/* gmemctl limit --cgroup / stats --cgroup: HBM limits and shares per cgroup. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gmemctl.h"

#define U(x) ((unsigned long long)(x))

struct limit_args {
	const char *cgroup;
	uint64_t hbm;
	uint64_t weight;
	bool has_hbm;
};

static int parse_limit(struct gmemctl *g, int argc, char **argv, struct limit_args *a)
{
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if ((r = gx_opt(g, argc, argv, &i, "--cgroup", true, &val))) {
			if (r < 0)
				return gx_usage(g, "limit", "--cgroup needs a cgroup v2 directory");
			a->cgroup = val;
		} else if ((r = gx_opt(g, argc, argv, &i, "--hbm", true, &val))) {
			if (r < 0 || gmem_parse_u64(val, &a->hbm))
				return gx_usage(g, "limit", "--hbm needs a size (bytes, 64K, 512M, 2G; 0: none)");
			a->has_hbm = true;
		} else if ((r = gx_opt(g, argc, argv, &i, "--weight", true, &val))) {
			if (r < 0 || gmem_parse_u64(val, &a->weight) || !a->weight ||
			    a->weight > GMEM_TENANT_WEIGHT_MAX)
				return gx_usage(g, "limit", "--weight needs a number from 1 to %u",
						GMEM_TENANT_WEIGHT_MAX);
		} else {
			return gx_usage(g, "limit", "unexpected argument '%s'", argv[i]);
		}
	}
	if (!a->cgroup)
		return gx_usage(g, "limit", "--cgroup PATH is required");
	if (!a->has_hbm)
		return gx_usage(g, "limit", "--hbm SIZE is required (0: no limit)");
	return GX_OK;
}

/* Explain what only these ioctls mean by an errno (@set: the SET), else the shared messages. */
static int limit_fail(struct gmemctl *g, int err, const char *path, bool set)
{
	const char *what = set ? "cannot set the limit" : "cannot read the cgroup's entry";

	if (err == -ENOENT && !set && !access(path, F_OK)) {
		gx_err(g, "%s: no HBM limit or weight is set on %s ('gmemctl limit --cgroup %s "
		       "--hbm SIZE' sets one)", what, path, path);
		return GX_FAIL;
	}
	if (err == -EINVAL || err == -ENOTDIR || (err == -ENOENT && access(path, F_OK))) {
		gx_err(g, "%s: %s is not a cgroup v2 directory%s", what, path,
		       set ? ", or the limit is below one block" : "");
		return GX_USAGE;
	}
	return gx_fail(g, err, what);
}

static void tenant_json(struct gx_json *j, const char *path, const struct gmem_tenant_info *t)
{
	unsigned int d;

	gx_json_str(j, "cgroup", path);
	gx_json_u64(j, "cgroup_id", t->cgroup_id);
	gx_json_u64(j, "hbm_limit", t->hbm_limit);
	gx_json_u64(j, "weight", t->weight);
	gx_json_u64(j, "hbm_used", t->hbm_used);
	gx_json_arr_begin(j, "dev_used");
	for (d = 0; d < GMEM_MAX_DEVICES; d++)
		gx_json_u64(j, NULL, t->dev_used[d]);
	gx_json_arr_end(j);
	gx_json_u64(j, "pinned", t->pinned);
	gx_json_u64(j, "edquot", t->edquot);
	gx_json_u64(j, "objects", t->nr_objects);
	gx_json_stats(j, "stats", &t->stats);
}

static void tenant_text(struct gmemctl *g, const char *path, const struct gmem_tenant_info *t)
{
	char lim[32], used[32], pin[32];

	fprintf(g->out, "cgroup:      %s (id %llu)\n", path, U(t->cgroup_id));
	fprintf(g->out, "hbm limit:   %s per device\n",
		t->hbm_limit ? gmem_fmt_size(t->hbm_limit, lim, sizeof(lim)) : "none");
	fprintf(g->out, "weight:      %u\n", t->weight);
	fprintf(g->out, "hbm used:    %s (pinned %s)\n", gmem_fmt_size(t->hbm_used, used, sizeof(used)),
		gmem_fmt_size(t->pinned, pin, sizeof(pin)));
	fprintf(g->out, "objects:     %llu\n", U(t->nr_objects));
	fprintf(g->out, "dev faults:  %llu\ncpu faults:  %llu\n", U(t->stats.dev_faults),
		U(t->stats.cpu_faults));
	fprintf(g->out, "migrated:    %llu bytes in, %llu bytes out\n", U(t->stats.h2d_bytes),
		U(t->stats.d2h_bytes));
	fprintf(g->out, "evictions:   %llu\nrefused:     %llu (at the limit, EDQUOT)\n",
		U(t->stats.evictions), U(t->edquot));
}

static int emit_tenant(struct gmemctl *g, const char *path)
{
	struct gmem_tenant_info t;
	struct gx_json j;
	int err;

	err = gmem_cgroup_info(path, &t);
	if (err)
		return limit_fail(g, err, path, false);
	if (!g->json) {
		tenant_text(g, path, &t);
		return GX_OK;
	}
	gx_json_init(&j);
	gx_json_obj_begin(&j, NULL);
	tenant_json(&j, path, &t);
	gx_json_obj_end(&j);
	return gx_json_emit(g, &j);
}

/*
 * Two forms share the verb: 'limit DEV SIZE' caps a device (cmd_info.c),
 * 'limit --cgroup PATH --hbm SIZE' caps a cgroup on every device.
 */
int cmd_limit(struct gmemctl *g, int argc, char **argv)
{
	struct limit_args a = { 0 };
	int ret, err;

	if (argc >= 2 && argv[1][0] != '-')
		return gx_limit_device(g, argc, argv);
	ret = parse_limit(g, argc, argv, &a);
	if (ret)
		return ret;
	err = gmem_cgroup_set_limit(a.cgroup, a.hbm, (uint32_t)a.weight);
	if (err)
		return limit_fail(g, err, a.cgroup, true);
	return emit_tenant(g, a.cgroup);
}

int gx_stats_cgroup(struct gmemctl *g, const char *path)
{
	return emit_tenant(g, path);
}
