// SPDX-License-Identifier: GPL-2.0
/* gmemctl devices / objects / stats. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gmemctl.h"

#define U(x) ((unsigned long long)(x))

static int no_args(struct gmemctl *g, const char *cmd, int argc, char **argv)
{
	return argc > 1 ? gx_usage(g, cmd, "unexpected argument '%s'", argv[1]) : GX_OK;
}

int cmd_devices(struct gmemctl *g, int argc, char **argv)
{
	struct gmem_dev_info devs[GMEM_MAX_DEVICES];
	char name[GMEM_NAME_LEN + 1], hbm[32], used[32], blk[32];
	struct gx_json j;
	int i, n, ret;

	ret = no_args(g, "devices", argc, argv);
	if (ret)
		return ret;
	n = gmem_devices(devs, GMEM_MAX_DEVICES);
	if (n < 0)
		return gx_fail(g, n, "cannot list devices");
	if (g->json) {
		gx_json_init(&j);
		gx_json_arr_begin(&j, NULL);
		for (i = 0; i < n; i++) {
			gx_json_obj_begin(&j, NULL);
			gx_json_u64(&j, "id", devs[i].id);
			gx_json_str(&j, "name", gx_cstr(name, devs[i].name, sizeof(devs[i].name)));
			gx_json_u64(&j, "hbm_bytes", devs[i].hbm_bytes);
			gx_json_u64(&j, "hbm_used_bytes", devs[i].hbm_used_bytes);
			gx_json_u64(&j, "block_size", devs[i].block_size);
			gx_json_stats(&j, "stats", &devs[i].stats);
			gx_json_obj_end(&j);
		}
		gx_json_arr_end(&j);
		return gx_json_emit(g, &j);
	}
	if (!n) {
		fprintf(g->out, "no devices registered (is gmem_sim loaded?)\n");
		return GX_OK;
	}
	fprintf(g->out, "%-3s %-12s %10s %10s %8s %10s %10s %10s %10s\n", "ID", "NAME", "HBM",
		"USED", "BLOCK", "DEV_FAULTS", "H2D_BLKS", "D2H_BLKS", "EVICTIONS");
	for (i = 0; i < n; i++)
		fprintf(g->out, "%-3u %-12s %10s %10s %8s %10llu %10llu %10llu %10llu\n",
			devs[i].id, gx_cstr(name, devs[i].name, sizeof(devs[i].name)),
			gmem_fmt_size(devs[i].hbm_bytes, hbm, sizeof(hbm)),
			gmem_fmt_size(devs[i].hbm_used_bytes, used, sizeof(used)),
			gmem_fmt_size(devs[i].block_size, blk, sizeof(blk)),
			U(devs[i].stats.dev_faults), U(devs[i].stats.h2d_blocks),
			U(devs[i].stats.d2h_blocks), U(devs[i].stats.evictions));
	return GX_OK;
}

/* gmemctl limit DEV SIZE: GMEM_IOC_DEV_LIMIT (0 = the whole device). */
int gx_limit_device(struct gmemctl *g, int argc, char **argv)
{
	uint64_t dev, bytes, prev = 0;
	char a[32], b[32];
	int err;

	if (argc != 3)
		return gx_usage(g, "limit", "needs a device id and a size (0: the whole device)");
	if (gmem_parse_u64(argv[1], &dev) || dev >= GMEM_MAX_DEVICES)
		return gx_usage(g, "limit", "bad device id '%s'", argv[1]);
	if (gmem_parse_u64(argv[2], &bytes))
		return gx_usage(g, "limit", "bad size '%s'", argv[2]);
	err = gmem_dev_limit((uint32_t)dev, bytes, &prev);
	if (err == -EINVAL)
		return gx_usage(g, "limit", "%s: not a multiple of the block size, or more than"
				" the device's HBM", argv[2]);
	if (err == -EBUSY) {
		gx_err(g, "device %llu has more than %s pinned", U(dev), argv[2]);
		return GX_FAIL;
	}
	if (err)
		return gx_fail(g, err, "cannot set the limit");
	if (g->json) {
		struct gx_json j;

		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_u64(&j, "id", dev);
		gx_json_u64(&j, "limit_bytes", bytes);
		gx_json_u64(&j, "prev_bytes", prev);
		gx_json_obj_end(&j);
		return gx_json_emit(g, &j);
	}
	fprintf(g->out, "device %llu: HBM limit %s (was %s)\n", U(dev),
		bytes ? gmem_fmt_size(bytes, a, sizeof(a)) : "none",
		prev ? gmem_fmt_size(prev, b, sizeof(b)) : "none");
	return GX_OK;
}

int gx_object_ids(uint32_t **out)
{
	uint32_t *ids = NULL, *n;
	int cap = 64, cnt;

	for (;;) {
		n = realloc(ids, (size_t)cap * sizeof(*ids));
		if (!n) {
			free(ids);
			return -ENOMEM;
		}
		ids = n;
		cnt = gmem_list_objects(ids, (unsigned int)cap);
		if (cnt < 0) {
			free(ids);
			return cnt;
		}
		if (cnt <= cap)
			break;
		cap = cnt + 16;		/* objects appeared meanwhile: retry larger */
	}
	*out = ids;
	return cnt;
}

static void object_json(struct gx_json *j, const struct gmem_obj_info *o)
{
	gx_json_obj_begin(j, NULL);
	gx_json_u64(j, "id", o->id);
	gx_json_i64(j, "owner_pid", o->owner_pid);
	gx_json_u64(j, "start", o->start);
	gx_json_u64(j, "size", o->size);
	gx_json_u64(j, "block_size", o->block_size);
	gx_json_u64(j, "tag", o->tag);
	gx_json_stats(j, "stats", &o->stats);
	gx_json_obj_end(j);
}

static void object_row(struct gmemctl *g, const struct gmem_obj_info *o)
{
	char size[32], blk[32];

	fprintf(g->out, "%-5u %-7d 0x%-14llx %10s %8s %8llu %8llu %10llu %10llu %9llu %9llu\n",
		o->id, o->owner_pid, U(o->start), gmem_fmt_size(o->size, size, sizeof(size)),
		gmem_fmt_size(o->block_size, blk, sizeof(blk)), U(o->stats.resident_dev),
		U(o->stats.resident_host), U(o->stats.dev_faults), U(o->stats.cpu_faults),
		U(o->stats.h2d_blocks), U(o->stats.d2h_blocks));
}

int cmd_objects(struct gmemctl *g, int argc, char **argv)
{
	struct gmem_obj_info o;
	struct gx_json j;
	uint32_t *ids;
	int i, n, err, ret;

	ret = no_args(g, "objects", argc, argv);
	if (ret)
		return ret;
	n = gx_object_ids(&ids);
	if (n < 0)
		return gx_fail(g, n, "cannot list objects");
	if (g->json) {
		gx_json_init(&j);
		gx_json_arr_begin(&j, NULL);
	} else if (n) {
		fprintf(g->out, "%-5s %-7s %-16s %10s %8s %8s %8s %10s %10s %9s %9s\n", "ID", "PID",
			"START", "SIZE", "BLOCK", "RES_DEV", "RES_HOST", "DEV_FAULTS",
			"CPU_FAULTS", "H2D_BLKS", "D2H_BLKS");
	} else {
		fprintf(g->out, "no live objects\n");
	}
	for (i = 0; i < n; i++) {
		err = gmem_obj_info(ids[i], &o);
		if (err == -ENOENT)
			continue;	/* unmapped since the listing */
		if (err) {
			free(ids);
			if (g->json)
				gx_json_free(&j);
			return gx_fail(g, err, "cannot read an object");
		}
		if (g->json)
			object_json(&j, &o);
		else
			object_row(g, &o);
	}
	free(ids);
	if (g->json) {
		gx_json_arr_end(&j);
		return gx_json_emit(g, &j);
	}
	return GX_OK;
}

/* ------------------------------------------------------------------ */

#define NR_COUNTERS GMEM_STATS_NR_COUNTERS

#define X(name) #name,
static const char *const counter_names[] = { GMEM_STATS_COUNTERS(X) };
#undef X
/* A counter added to the ABI needs its name in GMEM_STATS_COUNTERS. */
_Static_assert(sizeof(counter_names) / sizeof(counter_names[0]) == NR_COUNTERS,
	       "struct gmem_stats and GMEM_STATS_COUNTERS disagree");

static void print_stats(struct gmemctl *g, const struct gmem_stats *st,
			const struct gmem_stats *prev)
{
	const __u64 *v = (const __u64 *)st, *p = (const __u64 *)prev;
	unsigned int i;

	for (i = 0; i < NR_COUNTERS; i++) {
		fprintf(g->out, "%-16s %20llu", counter_names[i], U(v[i]));
		if (prev)
			fprintf(g->out, "  %+lld", (long long)(v[i] - p[i]));
		fputc('\n', g->out);
	}
}

static int emit_stats(struct gmemctl *g, const struct gmem_stats *st,
		      const struct gmem_stats *prev, bool watching)
{
	struct timespec now;
	struct gx_json j;
	char when[64];

	clock_gettime(CLOCK_REALTIME, &now);
	if (g->json) {
		gx_json_init(&j);
		gx_json_obj_begin(&j, NULL);
		gx_json_u64(&j, "time_ns", (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec);
		gx_json_stats(&j, "stats", st);
		gx_json_obj_end(&j);
		return gx_json_emit(g, &j);
	}
	if (watching)
		fprintf(g->out, "--- %s\n", gx_time((uint64_t)now.tv_sec * 1000000000ull,
						    when, sizeof(when)));
	print_stats(g, st, prev);
	fflush(g->out);
	return GX_OK;
}

static int parse_stats(struct gmemctl *g, int argc, char **argv, uint64_t *watch, uint64_t *count,
		       const char **cgroup)
{
	const char *val;
	int i, r;

	for (i = 1; i < argc; i++) {
		if ((r = gx_opt(g, argc, argv, &i, "--cgroup", true, &val))) {
			if (r < 0)
				return gx_usage(g, "stats", "--cgroup needs a cgroup v2 directory");
			*cgroup = val;
		} else if ((r = gx_opt(g, argc, argv, &i, "--watch", true, &val))) {
			if (r < 0 || gmem_parse_u64(val, watch) || !*watch || *watch > 86400)
				return gx_usage(g, "stats", "--watch needs seconds (1..86400)");
		} else if ((r = gx_opt(g, argc, argv, &i, "--count", true, &val))) {
			if (r < 0 || gmem_parse_u64(val, count) || !*count)
				return gx_usage(g, "stats", "--count needs a positive number");
		} else {
			return gx_usage(g, "stats", "unexpected argument '%s'", argv[i]);
		}
	}
	if (*count && !*watch)
		return gx_usage(g, "stats", "--count goes with --watch");
	if (*cgroup && *watch)
		return gx_usage(g, "stats", "--cgroup does not go with --watch");
	return GX_OK;
}

int cmd_stats(struct gmemctl *g, int argc, char **argv)
{
	struct gmem_stats st, prev;
	uint64_t watch = 0, count = 0, n;
	const char *cgroup = NULL;
	struct gx_watch w;
	int err, ret;

	ret = parse_stats(g, argc, argv, &watch, &count, &cgroup);
	if (ret)
		return ret;
	if (cgroup)
		return gx_stats_cgroup(g, cgroup);
	err = gmem_global_stats(&st);
	if (err)
		return gx_fail(g, err, "cannot read the counters");
	if (!watch)
		return emit_stats(g, &st, NULL, false);

	gx_watch_begin(&w);
	ret = emit_stats(g, &st, NULL, true);
	for (n = 1; !ret && (!count || n < count); n++) {
		if (!gx_watch_sleep(&w, watch * 1000))
			break;
		prev = st;
		err = gmem_global_stats(&st);
		if (err) {
			ret = gx_fail(g, err, "cannot read the counters");
			break;
		}
		ret = emit_stats(g, &st, &prev, true);
	}
	gx_watch_end(&w);
	return ret;
}
