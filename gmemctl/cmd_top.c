// SPDX-License-Identifier: GPL-2.0
/*
 * gmemctl top: a live view of rates per device, per object and for the
 * policy in charge, from two samples of the exact counters an interval
 * apart (like scxtop for sched_ext, or top). Text redraws the screen on a
 * terminal and prints one frame after another otherwise; --json prints one
 * document per interval with the counters' deltas and the interval, so a
 * script computes any rate exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gmemctl.h"

#define U(x) ((unsigned long long)(x))
#define TOP_MAX_INTERVAL_S	3600
#define TOP_MAX_OBJECTS_SHOWN	20	/* text only; JSON has them all */

/* One sample of everything top shows. */
struct top_sample {
	uint64_t when_ns;			/* CLOCK_MONOTONIC */
	struct gmem_policy_status policy;
	struct gmem_dev_info devs[GMEM_MAX_DEVICES];
	int nr_devs;
	struct gmem_obj_info *objs;
	int nr_objs;
};

struct top_args {
	uint64_t interval_s;
	uint64_t iterations;	/* 0: until interrupted */
};

static int parse_top(struct gmemctl *g, int argc, char **argv, struct top_args *a)
{
	const char *val;
	int i, r;

	a->interval_s = 1;
	a->iterations = 0;
	for (i = 1; i < argc; i++) {
		if ((r = gx_opt(g, argc, argv, &i, "--interval", true, &val))) {
			if (r < 0 || gmem_parse_u64(val, &a->interval_s) || !a->interval_s ||
			    a->interval_s > TOP_MAX_INTERVAL_S)
				return gx_usage(g, "top", "--interval needs seconds (1..%d)",
						TOP_MAX_INTERVAL_S);
		} else if ((r = gx_opt(g, argc, argv, &i, "--iterations", true, &val))) {
			if (r < 0 || gmem_parse_u64(val, &a->iterations) || !a->iterations)
				return gx_usage(g, "top", "--iterations needs a positive number");
		} else {
			return gx_usage(g, "top", "unexpected argument '%s'", argv[i]);
		}
	}
	return GX_OK;
}

static void sample_free(struct top_sample *s)
{
	free(s->objs);
	s->objs = NULL;
	s->nr_objs = 0;
}

/* Fill @s; 0 or -errno. Objects that vanish while being read are skipped. */
static int sample_take(struct top_sample *s)
{
	struct timespec ts;
	uint32_t *ids;
	int i, n, err;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->when_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	err = gmem_policy_status(&s->policy);
	if (err)
		return err;
	s->nr_devs = gmem_devices(s->devs, GMEM_MAX_DEVICES);
	if (s->nr_devs < 0)
		return s->nr_devs;
	n = gx_object_ids(&ids);
	if (n < 0)
		return n;
	s->objs = calloc(n ? (size_t)n : 1, sizeof(*s->objs));
	if (!s->objs) {
		free(ids);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		err = gmem_obj_info(ids[i], &s->objs[s->nr_objs]);
		if (err == -ENOENT)
			continue;
		if (err) {
			free(ids);
			sample_free(s);
			return err;
		}
		s->nr_objs++;
	}
	free(ids);
	return 0;
}

/* @cur - @prev per counter; a counter that went down (new object) counts from 0. */
static void stats_delta(const struct gmem_stats *cur, const struct gmem_stats *prev,
			struct gmem_stats *d)
{
	memset(d, 0, sizeof(*d));
#define X(name) d->name = prev && cur->name >= prev->name ? cur->name - prev->name : cur->name;
	GMEM_STATS_COUNTERS(X)
#undef X
	/* Residency is a level, not a count of events: keep the current value. */
	d->resident_host = cur->resident_host;
	d->resident_dev = cur->resident_dev;
	d->inflight = cur->inflight;
	d->batch_max = cur->batch_max;		/* a maximum, likewise */
}

static const struct gmem_obj_info *find_obj(const struct top_sample *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->nr_objs; i++)
		if (s->objs[i].id == id)
			return &s->objs[i];
	return NULL;
}

static double per_s(uint64_t delta, uint64_t ns)
{
	return ns ? (double)delta * 1e9 / (double)ns : 0.0;
}

/* ------------------------------------------------------------------ JSON */

static int emit_json(struct gmemctl *g, const struct top_sample *cur,
		     const struct top_sample *prev)
{
	const struct gmem_policy_status *p = &cur->policy, *pp = &prev->policy;
	char name[GMEM_NAME_LEN + 1];
	struct gmem_stats d;
	struct gx_json j;
	unsigned int r;
	int i;

	gx_json_init(&j);
	gx_json_obj_begin(&j, NULL);
	gx_json_u64(&j, "interval_ns", cur->when_ns - prev->when_ns);
	gx_json_obj_begin(&j, "policy");
	gx_json_bool(&j, "active", p->active);
	gx_json_str(&j, "name", gx_cstr(name, p->name, sizeof(p->name)));
	/* A new policy (or none) restarts the policy's counters: deltas from 0. */
	gx_json_u64(&j, "hook_calls", p->hook_calls - (p->hook_calls >= pp->hook_calls ?
						      pp->hook_calls : 0));
	gx_json_u64(&j, "hook_ns", p->hook_ns - (p->hook_ns >= pp->hook_ns ? pp->hook_ns : 0));
	gx_json_obj_begin(&j, "rejects");
	for (r = 0; r < GMEM_REJ_NR; r++)
		gx_json_u64(&j, gmem_reject_str(r), p->rejects[r] - (p->rejects[r] >= pp->rejects[r] ?
								   pp->rejects[r] : 0));
	gx_json_obj_end(&j);
	gx_json_u64(&j, "fallbacks", p->fallbacks - (p->fallbacks >= pp->fallbacks ?
						     pp->fallbacks : 0));
	gx_json_u64(&j, "ejections", p->ejections - pp->ejections);
	gx_json_obj_end(&j);
	gx_json_arr_begin(&j, "devices");
	for (i = 0; i < cur->nr_devs; i++) {
		const struct gmem_dev_info *dv = &cur->devs[i];

		gx_json_obj_begin(&j, NULL);
		gx_json_u64(&j, "id", dv->id);
		gx_json_str(&j, "name", gx_cstr(name, dv->name, sizeof(dv->name)));
		gx_json_u64(&j, "hbm_bytes", dv->hbm_bytes);
		gx_json_u64(&j, "hbm_used_bytes", dv->hbm_used_bytes);
		stats_delta(&dv->stats, i < prev->nr_devs ? &prev->devs[i].stats : NULL, &d);
		gx_json_stats(&j, "delta", &d);
		gx_json_obj_end(&j);
	}
	gx_json_arr_end(&j);
	gx_json_arr_begin(&j, "objects");
	for (i = 0; i < cur->nr_objs; i++) {
		const struct gmem_obj_info *o = &cur->objs[i], *po = find_obj(prev, o->id);

		gx_json_obj_begin(&j, NULL);
		gx_json_u64(&j, "id", o->id);
		gx_json_i64(&j, "owner_pid", o->owner_pid);
		gx_json_u64(&j, "size", o->size);
		stats_delta(&o->stats, po ? &po->stats : NULL, &d);
		gx_json_stats(&j, "delta", &d);
		gx_json_obj_end(&j);
	}
	gx_json_arr_end(&j);
	gx_json_obj_end(&j);
	return gx_json_emit(g, &j);
}

/* ------------------------------------------------------------------ text */

static void print_policy(struct gmemctl *g, const struct top_sample *cur,
			 const struct top_sample *prev, uint64_t ns)
{
	const struct gmem_policy_status *p = &cur->policy, *pp = &prev->policy;
	uint64_t calls = p->hook_calls >= pp->hook_calls ? p->hook_calls - pp->hook_calls : 0;
	uint64_t hns = p->hook_ns >= pp->hook_ns ? p->hook_ns - pp->hook_ns : 0;
	uint64_t rej = 0;
	char name[GMEM_NAME_LEN + 1];
	unsigned int r;

	for (r = 0; r < GMEM_REJ_NR; r++)
		rej += p->rejects[r] >= pp->rejects[r] ? p->rejects[r] - pp->rejects[r] : 0;
	fprintf(g->out, "policy %s: %.0f hook calls/s (avg %llu ns), %.0f rejects/s, "
		"%.0f fallbacks/s, %llu ejections\n",
		p->active ? gx_cstr(name, p->name, sizeof(p->name)) : "builtin",
		per_s(calls, ns), U(calls ? hns / calls : 0), per_s(rej, ns),
		per_s(p->fallbacks >= pp->fallbacks ? p->fallbacks - pp->fallbacks : 0, ns),
		U(p->ejections));
}

/* Columns shared by the device and object tables: rates over the interval. */
#define RATE_HDR "%10s %9s %9s %9s %9s\n", "FAULTS/s", "H2D MB/s", "D2H MB/s", "EVICT/s", \
	"PREF/s"
static void print_rates(struct gmemctl *g, const struct gmem_stats *d, uint64_t ns)
{
	fprintf(g->out, "%10.0f %9.1f %9.1f %9.0f %9.0f\n", per_s(d->dev_faults, ns),
		per_s(d->h2d_bytes, ns) / 1e6, per_s(d->d2h_bytes, ns) / 1e6,
		per_s(d->evictions, ns), per_s(d->prefetch_issued, ns));
}

static void print_text(struct gmemctl *g, const struct top_sample *cur,
		       const struct top_sample *prev, bool redraw)
{
	uint64_t ns = cur->when_ns - prev->when_ns;
	char name[GMEM_NAME_LEN + 1], used[32], hbm[32];
	struct gmem_stats d;
	int i;

	if (redraw)
		fputs("\033[H\033[2J", g->out);	/* home, clear: a terminal's frame */
	else
		fprintf(g->out, "--- %.1f s\n", (double)ns / 1e9);
	print_policy(g, cur, prev, ns);
	fprintf(g->out, "\n%-4s %-12s %17s ", "DEV", "NAME", "HBM USED");
	fprintf(g->out, RATE_HDR);
	for (i = 0; i < cur->nr_devs; i++) {
		const struct gmem_dev_info *dv = &cur->devs[i];

		fprintf(g->out, "%-4u %-12s %8s/%-8s ", dv->id,
			gx_cstr(name, dv->name, sizeof(dv->name)),
			gmem_fmt_size(dv->hbm_used_bytes, used, sizeof(used)),
			gmem_fmt_size(dv->hbm_bytes, hbm, sizeof(hbm)));
		stats_delta(&dv->stats, i < prev->nr_devs ? &prev->devs[i].stats : NULL, &d);
		print_rates(g, &d, ns);
	}
	if (!cur->nr_objs) {
		fprintf(g->out, "\nno live objects\n");
		return;
	}
	fprintf(g->out, "\n%-5s %-7s %8s %8s ", "OBJ", "PID", "SIZE", "RES_DEV");
	fprintf(g->out, RATE_HDR);
	for (i = 0; i < cur->nr_objs && i < TOP_MAX_OBJECTS_SHOWN; i++) {
		const struct gmem_obj_info *o = &cur->objs[i], *po = find_obj(prev, o->id);

		fprintf(g->out, "%-5u %-7d %8s %8llu ", o->id, o->owner_pid,
			gmem_fmt_size(o->size, hbm, sizeof(hbm)), U(o->stats.resident_dev));
		stats_delta(&o->stats, po ? &po->stats : NULL, &d);
		print_rates(g, &d, ns);
	}
	if (cur->nr_objs > TOP_MAX_OBJECTS_SHOWN)
		fprintf(g->out, "(%d more objects; --json lists all)\n",
			cur->nr_objs - TOP_MAX_OBJECTS_SHOWN);
}

int cmd_top(struct gmemctl *g, int argc, char **argv)
{
	struct top_sample a, b, *prev = &a, *cur = &b, *t;
	bool redraw = !g->json && g->out == stdout && isatty(STDOUT_FILENO);
	struct top_args args;
	struct gx_watch w;
	uint64_t n;
	int err, ret;

	ret = parse_top(g, argc, argv, &args);
	if (ret)
		return ret;
	err = sample_take(prev);
	if (err)
		return gx_fail(g, err, "cannot read gmem's counters");
	gx_watch_begin(&w);
	for (n = 0; !args.iterations || n < args.iterations; n++) {
		if (!gx_watch_sleep(&w, args.interval_s * 1000))
			break;
		err = sample_take(cur);
		if (err) {
			ret = gx_fail(g, err, "cannot read gmem's counters");
			break;
		}
		ret = g->json ? emit_json(g, cur, prev) : (print_text(g, cur, prev, redraw), GX_OK);
		fflush(g->out);
		sample_free(prev);
		t = prev, prev = cur, cur = t;
		if (ret)
			break;
	}
	gx_watch_end(&w);
	sample_free(prev);
	return ret;
}
