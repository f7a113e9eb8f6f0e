// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-bench-serve (issue 16): how many tenants one device serves at once
 * when they share HBM under per-tenant limits, against static partitioning,
 * and how well a tenant's limit isolates it from a thrashing neighbour.
 *
 * Serving. Tenants (serve_tenant.c: a process in its own cgroup with its
 * own object) decode a model whose working set changes over time: a short
 * peak (a prefill burst, --peak blocks, --peak-steps steps), then a smaller
 * steady decode working set (--decode blocks, --decode-steps steps); then it
 * leaves. Tenant i arrives at round i x --stagger, so peaks do not coincide.
 * A round gives every live tenant one step, in tenant order, one at a time
 * (the sim runs one queue per device anyway): the order of events is fixed
 * and every count exact. A tenant's time is the simulated device clock
 * (GMEM_SIM_IOC_WAIT dev_ns, virtual ns from the sim's fixed parameters,
 * not host time) summed over its jobs, relative to the same tenant alone.
 *   static  each tenant reserves its peak: tenants at once = HBM / peak,
 *           run with limit = peak each (the reservations never overlap);
 *   shared  one pool: limit = peak each (a cap, not a reservation), equal
 *           weights, the policy of --policy on each tenant's cgroup (default
 *           none: the built-in LRU by device access); N grows while every
 *           tenant stays within --bound of its time alone.
 *
 * Isolation. A victim (limit = its working set) reads its working set; then
 * a hog under its own policy (--hog-policy on its cgroup; limit = HBM minus
 * the victim's) sweeps an object of 1.5 x HBM twice; then the victim reads
 * its working set again. Its migrated bytes are compared with the same
 * sequence without the hog. The control runs both without limits (no
 * tenant entries): the hog's sweep then evicts the victim's blocks, the
 * least recently used, and the victim migrates them again. Ordered by the
 * parent, so both outcomes are exact counts.
 *
 * Output: SERVE_RUN, SERVE_TENANT, SERVE, ISO and ISOLATION lines
 * (key=value) and a table on lines starting with "# ". Exit status: 0 when
 * every run ran and all content checked, 1 otherwise, 2 on a usage error.
 * Single-threaded (the tenants are processes): no locking.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmempolicy.h>

#include "bench_run.h"
#include "serve.h"

#define SERVE_MAX	32
#define WEIGHT		100
#define HOG_PASSES	2

struct opts {
	struct bench_env env;
	struct serve_model model;
	uint32_t peak_steps, decode_steps, stagger, max_tenants;
	double bound;
	const char *policy, *hog_policy;
	int serve, iso;
	uint32_t next_tag;
};

struct run {
	const char *mode;
	uint32_t n, at_once, mismatches;
	double worst, mean;
	int err;
	struct serve_tenant t[SERVE_MAX];
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gmem-bench-serve [options]\n"
		"  --peak N          peak working set and object size, blocks (default HBM/4)\n"
		"  --decode N        decode working set, blocks (default HBM/8)\n"
		"  --peak-steps N    steps of the peak phase (default 2)\n"
		"  --decode-steps N  steps of the decode phase (default 32)\n"
		"  --stagger N       rounds between arrivals (default 3)\n"
		"  --compute-us N    device compute per block a step touches (default 5)\n"
		"  --max N           most tenants tried in the shared pool (default 12, <= %d)\n"
		"  --bound X         slowdown allowed against running alone (default 1.2)\n"
		"  --policy NAME     BPF policy on each serving tenant's cgroup (default: built-in)\n"
		"  --hog-policy NAME the hog's policy (default stride_prefetch)\n"
		"  --serve-only, --iso-only\n"
		"  --sim N           /dev/gmem_simN (default 0)\n", SERVE_MAX);
}

static int parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "peak", 1, NULL, 'P' }, { "decode", 1, NULL, 'D' },
		{ "peak-steps", 1, NULL, 'p' }, { "decode-steps", 1, NULL, 'd' },
		{ "stagger", 1, NULL, 's' }, { "compute-us", 1, NULL, 'c' },
		{ "max", 1, NULL, 'm' }, { "bound", 1, NULL, 'b' },
		{ "policy", 1, NULL, 'y' }, { "hog-policy", 1, NULL, 'h' },
		{ "serve-only", 0, NULL, 'S' }, { "iso-only", 0, NULL, 'I' },
		{ "sim", 1, NULL, 'n' }, { "help", 0, NULL, '?' }, { 0 },
	};
	uint32_t us = 5, peak = 0, decode = 0;
	int c, bad = 0;

	o->peak_steps = 2;
	o->decode_steps = 32;
	o->stagger = 3;
	o->max_tenants = 12;
	o->bound = 1.2;
	o->hog_policy = "stride_prefetch";
	o->serve = o->iso = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'P': bad |= parse_u32(optarg, 1, 1u << 16, &peak); break;
		case 'D': bad |= parse_u32(optarg, 1, 1u << 16, &decode); break;
		case 'p': bad |= parse_u32(optarg, 1, 1000, &o->peak_steps); break;
		case 'd': bad |= parse_u32(optarg, 1, 10000, &o->decode_steps); break;
		case 's': bad |= parse_u32(optarg, 1, 1000, &o->stagger); break;
		case 'c': bad |= parse_u32(optarg, 0, 1000000, &us); break;
		case 'm': bad |= parse_u32(optarg, 1, SERVE_MAX, &o->max_tenants); break;
		case 'b': o->bound = strtod(optarg, NULL); bad |= !(o->bound >= 1); break;
		case 'y': o->policy = optarg; break;
		case 'h': o->hog_policy = strcmp(optarg, "builtin") ? optarg : NULL; break;
		case 'S': o->iso = 0; break;
		case 'I': o->serve = 0; break;
		case 'n': bad |= parse_u32(optarg, 0, 63, &o->env.sim_index); break;
		default: return -EINVAL;
		}
	}
	if (bad || optind != argc)
		return -EINVAL;
	if (bench_env_probe(o->env.sim_index, &o->env))
		return -ENODEV;
	o->model.peak_blocks = peak ? peak : (uint32_t)(o->env.hbm_blocks / 4);
	o->model.decode_blocks = decode ? decode : o->model.peak_blocks / 2;
	o->model.compute_ns = (uint64_t)us * 1000;
	if (!o->model.decode_blocks || o->model.decode_blocks > o->model.peak_blocks ||
	    o->model.peak_blocks > o->env.hbm_blocks)
		return -EINVAL;
	/* The last tenant must arrive before the first leaves: all at once. */
	if ((o->max_tenants - 1) * o->stagger >= o->peak_steps + o->decode_steps) {
		fprintf(stderr, "gmem-bench-serve: %u tenants arriving every %u rounds are not"
			" all live at once: raise --decode-steps above %u\n", o->max_tenants,
			o->stagger, (o->max_tenants - 1) * o->stagger - o->peak_steps);
		return -EINVAL;
	}
	return 0;
}

static void tenant_cfg(const struct opts *o, struct serve_tenant *t, const struct serve_model *m,
		       uint64_t limit_blocks, const char *policy, uint32_t tag)
{
	memset(t, 0, sizeof(*t));
	t->cfg = (struct serve_tenant_cfg){
		.tag = tag, .sim_index = o->env.sim_index, .block_size = o->env.block_size,
		.limit_bytes = limit_blocks * o->env.block_size, .weight = WEIGHT,
		.policy = policy, .model = *m,
	};
}

/*
 * Serve @n tenants, each limited to its peak: tenant i arrives at round
 * i * stagger, runs its steps one a round, and leaves.
 */
static int serve(struct opts *o, const char *mode, uint32_t n, struct run *r)
{
	uint32_t life = o->peak_steps + o->decode_steps, round, i, done = 0;
	uint8_t live[SERVE_MAX] = { 0 };
	char name[32];
	int err = 0;

	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->n = n;
	for (i = 0; i < n; i++)
		tenant_cfg(o, &r->t[i], &o->model, o->model.peak_blocks, o->policy, o->next_tag++);
	for (round = 0; done < n && !err; round++) {
		uint32_t at_once = 0;

		for (i = 0; i < n && !err; i++) {
			if (round == i * o->stagger) {
				snprintf(name, sizeof(name), "%s%u.%u", mode, n, i);
				err = serve_tenant_start(&r->t[i], name);
				live[i] = !err;
			}
			at_once += live[i];
		}
		if (at_once > r->at_once)
			r->at_once = at_once;
		for (i = 0; i < n && !err; i++) {
			struct serve_tenant *t = &r->t[i];

			if (!live[i])
				continue;
			err = serve_tenant_step(t, t->steps < o->peak_steps ? SERVE_PEAK : SERVE_DECODE);
			if (!err && t->steps == life) {
				err = serve_tenant_stop(t);
				live[i] = 0;
				done++;
				r->mismatches += t->mismatches;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (live[i])
			serve_tenant_stop(&r->t[i]);
	r->err = err;
	if (err)
		fprintf(stderr, "gmem-bench-serve: %s run of %u tenants: %s\n", mode, n,
			strerror(-err));
	return err;
}

static void judge(struct run *r, uint64_t alone_ns, double bound)
{
	uint32_t i;

	r->worst = 0;
	r->mean = 0;
	for (i = 0; i < r->n; i++) {
		double s = (double)r->t[i].dev_ns / (double)alone_ns;

		r->mean += s / r->n;
		if (s > r->worst)
			r->worst = s;
	}
	printf("SERVE_RUN mode=%s tenants=%u at_once=%u worst_slowdown=%.4f mean_slowdown=%.4f"
	       " mismatches=%u ok=%d\n", r->mode, r->n, r->at_once, r->worst, r->mean,
	       r->mismatches, !r->err && !r->mismatches && r->worst <= bound);
}

static void print_tenants(const struct run *r, uint64_t alone_ns)
{
	uint32_t i;

	for (i = 0; i < r->n; i++) {
		const struct serve_tenant *t = &r->t[i];

		printf("SERVE_TENANT mode=%s tenants=%u tenant=%u dev_us=%.1f alone_us=%.1f"
		       " slowdown=%.4f dev_faults=%llu h2d_bytes=%llu d2h_bytes=%llu"
		       " evictions=%llu mismatches=%u\n", r->mode, r->n, i, t->dev_ns / 1e3,
		       alone_ns / 1e3, (double)t->dev_ns / (double)alone_ns,
		       (unsigned long long)t->st.dev_faults, (unsigned long long)t->st.h2d_bytes,
		       (unsigned long long)t->st.d2h_bytes, (unsigned long long)t->st.evictions,
		       t->mismatches);
	}
}

static int serving(struct opts *o)
{
	static struct run alone, fixed, shared, best, fail;
	uint32_t n_static = (uint32_t)(o->env.hbm_blocks / o->model.peak_blocks), n;
	uint64_t alone_ns;
	int have_fail = 0;

	printf("# serving: HBM %llu blocks of %llu KiB; a tenant's model: peak %u blocks for %u"
	       " steps, then decode %u blocks for %u steps, compute %llu us/block; one arrives"
	       " every %u rounds; policy %s\n", (unsigned long long)o->env.hbm_blocks,
	       (unsigned long long)o->env.block_size >> 10, o->model.peak_blocks, o->peak_steps,
	       o->model.decode_blocks, o->decode_steps,
	       (unsigned long long)o->model.compute_ns / 1000, o->stagger,
	       o->policy ? o->policy : "built-in");
	printf("# time: the simulated device clock (dev_ns of each job, summed per tenant)\n");
	if (serve(o, "alone", 1, &alone))
		return -EIO;
	alone_ns = alone.t[0].dev_ns;
	judge(&alone, alone_ns, o->bound);
	if (serve(o, "static", n_static, &fixed))
		return -EIO;
	judge(&fixed, alone_ns, o->bound);
	print_tenants(&fixed, alone_ns);
	/* With HBM / peak tenants the shared pool is the static run: same limits. */
	best = fixed;
	best.mode = "shared";
	for (n = n_static + 1; n <= o->max_tenants; n++) {
		if (serve(o, "shared", n, &shared))
			return -EIO;
		judge(&shared, alone_ns, o->bound);
		if (shared.mismatches || shared.worst > o->bound) {
			fail = shared;
			have_fail = 1;
			break;
		}
		best = shared;
	}
	print_tenants(&best, alone_ns);
	if (have_fail)
		print_tenants(&fail, alone_ns);
	printf("SERVE static_tenants=%u shared_tenants=%u ratio=%.3f worst_slowdown=%.4f"
	       " static_worst_slowdown=%.4f bound=%.2f first_over=%u first_over_worst=%.4f"
	       " hbm_blocks=%llu peak_blocks=%u decode_blocks=%u alone_us=%.1f policy=%s"
	       " mismatches=%u clock=sim_device\n", fixed.at_once, best.at_once,
	       (double)best.at_once / fixed.at_once, best.worst, fixed.worst, o->bound,
	       have_fail ? fail.n : 0, have_fail ? fail.worst : 0.0,
	       (unsigned long long)o->env.hbm_blocks, o->model.peak_blocks,
	       o->model.decode_blocks, alone_ns / 1e3, o->policy ? o->policy : "builtin",
	       alone.mismatches + fixed.mismatches + best.mismatches +
	       (have_fail ? fail.mismatches : 0));
	printf("# %-8s %8s %9s %14s %14s\n", "pool", "tenants", "at once", "worst x alone",
	       "mean x alone");
	printf("# %-8s %8u %9u %14.3f %14.3f\n", "static", fixed.n, fixed.at_once, fixed.worst,
	       fixed.mean);
	printf("# %-8s %8u %9u %14.3f %14.3f\n", "shared", best.n, best.at_once, best.worst,
	       best.mean);
	if (have_fail)
		printf("# %-8s %8u %9u %14.3f %14.3f  (over the bound)\n", "shared", fail.n,
		       fail.at_once, fail.worst, fail.mean);
	return alone.mismatches || fixed.mismatches || best.mismatches ? -EIO : 0;
}

/* The victim's migrated bytes, in both directions, with or without the hog. */
static int iso_run(struct opts *o, int limits, int hog, uint64_t *bytes, uint64_t *mism)
{
	uint64_t hbm = o->env.hbm_blocks, ws = hbm / 4;
	struct serve_model vm = { .peak_blocks = (uint32_t)ws, .decode_blocks = (uint32_t)ws,
				  .compute_ns = o->model.compute_ns };
	struct serve_model hm = { .peak_blocks = (uint32_t)(hbm + hbm / 2),
				  .decode_blocks = (uint32_t)(hbm + hbm / 2),
				  .compute_ns = o->model.compute_ns };
	struct serve_tenant v, h;
	int err, i, hog_up = 0;

	tenant_cfg(o, &v, &vm, limits ? ws : 0, NULL, o->next_tag++);
	tenant_cfg(o, &h, &hm, limits ? hbm - ws : 0, o->hog_policy, o->next_tag++);
	err = serve_tenant_start(&v, limits ? "victim" : "victim-nolimit");
	if (err)
		return err;
	err = serve_tenant_step(&v, SERVE_DECODE);
	if (!err && hog) {
		err = serve_tenant_start(&h, limits ? "hog" : "hog-nolimit");
		hog_up = !err;
		for (i = 0; i < HOG_PASSES && !err; i++)
			err = serve_tenant_step(&h, SERVE_PEAK);
	}
	if (!err)
		err = serve_tenant_step(&v, SERVE_DECODE);
	if (hog_up && serve_tenant_stop(&h) && !err)
		err = -EIO;
	if (serve_tenant_stop(&v) && !err)
		err = -EIO;
	*bytes = v.st.h2d_bytes + v.st.d2h_bytes;
	*mism += v.mismatches + (hog ? h.mismatches : 0);
	if (hog)
		printf("# iso limits=%d: hog dev_faults=%llu evictions=%llu; victim evictions=%llu\n",
		       limits, (unsigned long long)h.st.dev_faults,
		       (unsigned long long)h.st.evictions, (unsigned long long)v.st.evictions);
	return err;
}

static int isolation(struct opts *o)
{
	double pct[2] = { 0, 0 };
	uint64_t alone, with, mism = 0;
	int limits, err;

	printf("# isolation: victim %llu blocks (limit = that), hog %llu blocks sweeping %d"
	       " times under %s (limit = HBM - victim's); control: no limits\n",
	       (unsigned long long)o->env.hbm_blocks / 4,
	       (unsigned long long)(o->env.hbm_blocks + o->env.hbm_blocks / 2), HOG_PASSES,
	       o->hog_policy ? o->hog_policy : "built-in");
	for (limits = 1; limits >= 0; limits--) {
		err = iso_run(o, limits, 0, &alone, &mism);
		if (!err)
			err = iso_run(o, limits, 1, &with, &mism);
		if (err) {
			fprintf(stderr, "gmem-bench-serve: isolation run: %s\n", strerror(-err));
			return err;
		}
		pct[limits] = alone ? 100.0 * ((double)with - (double)alone) / (double)alone : 0;
		printf("ISO limits=%d victim_alone_bytes=%llu victim_with_hog_bytes=%llu"
		       " change_pct=%.2f\n", limits, (unsigned long long)alone,
		       (unsigned long long)with, pct[limits]);
	}
	printf("ISOLATION change_pct=%.2f control_change_pct=%.2f mismatches=%llu ok=%d\n",
	       pct[1], pct[0], (unsigned long long)mism,
	       pct[1] < 5 && pct[1] > -5 && pct[0] >= 5 && !mism);
	return mism ? -EIO : 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .next_tag = 1 };
	int err = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse(argc, argv, &o)) {
		usage(stderr);
		return 2;
	}
	if (access(SERVE_CG_ROOT "/cgroup.procs", W_OK)) {
		fprintf(stderr, "gmem-bench-serve: no writable cgroup v2 at " SERVE_CG_ROOT "\n");
		return 1;
	}
	if (o.serve)
		err = serving(&o);
	if (o.iso && !err)
		err = isolation(&o);
	return err ? 1 : 0;
}
