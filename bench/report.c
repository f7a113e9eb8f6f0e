// SPDX-License-Identifier: GPL-2.0
/*
 * report.c: parse gmem-bench output and evaluate the targets.
 *
 * The targets are fixed here, before any run; numbers
 * only ever come from rows that were measured. No locking: one thread.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const struct { const char *tag; enum rpt_kind kind; } rpt_tags[] = {
	{ "BENCH", RPT_BENCH }, { "BW", RPT_BW }, { "META", RPT_META },
};

/* The shipped policies first, in a fixed order; others as they appear. */
static const char *const pol_order[] = {
	"builtin", "uvm_like", "lru_cold", "stride_prefetch", "llm_layer",
};

static enum rpt_kind line_kind(const char *line, size_t *skip)
{
	unsigned int i;

	for (i = 0; i < sizeof(rpt_tags) / sizeof(rpt_tags[0]); i++) {
		size_t n = strlen(rpt_tags[i].tag);

		if (!strncmp(line, rpt_tags[i].tag, n) && line[n] == ' ') {
			*skip = n + 1;
			return rpt_tags[i].kind;
		}
	}
	return 0;
}

int rpt_parse_line(const char *line, struct rrow *r)
{
	char *p, *save = NULL, *tok;
	size_t skip;

	memset(r, 0, sizeof(*r));
	r->kind = line_kind(line, &skip);
	if (!r->kind)
		return 0;
	r->buf = strdup(line + skip);
	if (!r->buf)
		return -ENOMEM;
	p = r->buf;
	p[strcspn(p, "\r\n")] = '\0';
	for (tok = strtok_r(p, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || r->nkv == RPT_MAX_KV) {
			rrow_free(r);
			return -EINVAL;
		}
		*eq = '\0';
		if (rrow_get(r, tok))
			continue;
		r->k[r->nkv] = tok;
		r->v[r->nkv++] = eq + 1;
	}
	return 1;
}

void rrow_free(struct rrow *r)
{
	free(r->buf);
	r->buf = NULL;
	r->nkv = 0;
}

const char *rrow_get(const struct rrow *r, const char *key)
{
	int i;

	for (i = 0; i < r->nkv; i++)
		if (!strcmp(r->k[i], key))
			return r->v[i];
	return NULL;
}

double rrow_num(const struct rrow *r, const char *key)
{
	const char *v = rrow_get(r, key);
	char *end;
	double d;

	if (!v || !*v)
		return NAN;
	d = strtod(v, &end);
	return *end ? NAN : d;
}

double rrow_migrated(const struct rrow *r)
{
	return rrow_num(r, "h2d_bytes") + rrow_num(r, "d2h_bytes");
}

void rpt_init(struct report *rp)
{
	memset(rp, 0, sizeof(*rp));
}

void rpt_free(struct report *rp)
{
	int i;

	for (i = 0; i < rp->nrows; i++)
		rrow_free(&rp->rows[i]);
	rp->nrows = 0;
}

static void add_policy(struct report *rp, const char *pol)
{
	int i, j, rank = -1, r;

	for (i = 0; i < rp->npol; i++)
		if (!strcmp(rp->pol[i], pol))
			return;
	if (rp->npol == RPT_MAX_POL)
		return;
	for (i = 0; i < (int)(sizeof(pol_order) / sizeof(pol_order[0])); i++)
		if (!strcmp(pol_order[i], pol))
			rank = i;
	/* Insert before the first listed policy that ranks after it. */
	for (i = 0; i < rp->npol && rank >= 0; i++) {
		for (r = 0; r < (int)(sizeof(pol_order) / sizeof(pol_order[0])); r++)
			if (!strcmp(pol_order[r], rp->pol[i]))
				break;
		if (r > rank)
			break;
	}
	if (rank < 0)
		i = rp->npol;
	for (j = rp->npol; j > i; j--)
		rp->pol[j] = rp->pol[j - 1];
	rp->pol[i] = pol;
	rp->npol++;
}

static void bench_keys(struct rrow *r)
{
	const char *w = rrow_get(r, "workload");
	double tenants = rrow_num(r, "tenants"), stride = rrow_num(r, "stride");
	double skew = rrow_num(r, "skew");
	int n;

	if (!w)
		w = "?";
	if (!strcmp(w, "stride") && !isnan(stride))
		n = snprintf(r->wkey, sizeof(r->wkey), "stride%+d", (int)stride);
	else if (!isnan(skew))	/* moe-decode: one row per router skew */
		n = snprintf(r->wkey, sizeof(r->wkey), "%s s%g", w, skew);
	else
		n = snprintf(r->wkey, sizeof(r->wkey), "%s", w);
	if (!isnan(tenants) && tenants > 1 && n > 0 && (size_t)n < sizeof(r->wkey))
		snprintf(r->wkey + n, sizeof(r->wkey) - (size_t)n, " x%d", (int)tenants);
	r->oversub = rrow_num(r, "oversub");
	r->policy = rrow_get(r, "policy");
	if (!r->policy)
		r->policy = "?";
	r->label = rrow_get(r, "label");
	if (!r->label)
		r->label = "-";
}

int rpt_add(struct report *rp, struct rrow *r)
{
	struct rrow *dst;

	if (rp->nrows == RPT_MAX_ROWS)
		return -E2BIG;
	dst = &rp->rows[rp->nrows++];
	*dst = *r;
	/* k[]/v[] point into buf, which moved with the struct copy unchanged. */
	memset(r, 0, sizeof(*r));
	if (dst->kind == RPT_BENCH) {
		bench_keys(dst);
		if (!strcmp(dst->label, "matrix"))
			add_policy(rp, dst->policy);
	}
	return 0;
}

int rpt_load(struct report *rp, FILE *f)
{
	char line[8192];
	struct rrow r;
	int n = 0, ret;

	while (fgets(line, sizeof(line), f)) {
		ret = rpt_parse_line(line, &r);
		if (ret < 0)
			continue;	/* a damaged line (console noise): skip it */
		if (!ret)
			continue;
		ret = rpt_add(rp, &r);
		if (ret) {
			rrow_free(&r);
			return ret;
		}
		n++;
	}
	return ferror(f) ? -EIO : n;
}

static bool same_os(double a, double b)
{
	return fabs(a - b) < 1e-6;
}

const struct rrow *rpt_find(const struct report *rp, const char *wkey, double oversub,
			    const char *policy)
{
	int i;

	for (i = 0; i < rp->nrows; i++) {
		const struct rrow *r = &rp->rows[i];

		if (r->kind == RPT_BENCH && !strcmp(r->label, "matrix") &&
		    !strcmp(r->wkey, wkey) && same_os(r->oversub, oversub) &&
		    !strcmp(r->policy, policy))
			return r;
	}
	return NULL;
}

double rpt_min_bytes(const struct report *rp, const char *wkey, double oversub)
{
	int i;

	for (i = 0; i < rp->nrows; i++) {
		const struct rrow *r = &rp->rows[i];

		if (r->kind == RPT_BENCH && !strcmp(r->label, "matrix") &&
		    !strcmp(r->wkey, wkey) && same_os(r->oversub, oversub) &&
		    !isnan(rrow_num(r, "min_bytes")))
			return rrow_num(r, "min_bytes");
	}
	return NAN;
}

double rpt_row_min(const struct report *rp, const struct rrow *r)
{
	double own = rrow_num(r, "min_bytes");

	return isnan(own) ? rpt_min_bytes(rp, r->wkey, r->oversub) : own;
}

/* ---------------------------------------------------------------- targets */

static void target(struct rpt_target *t, int *n, int max, int verdict, const char *what,
		   const char *fmt, double a, double b)
{
	if (*n >= max)
		return;
	snprintf(t[*n].what, sizeof(t[*n].what), "%s", what);
	if (verdict < 0)
		snprintf(t[*n].measured, sizeof(t[*n].measured), "no data");
	else
		snprintf(t[*n].measured, sizeof(t[*n].measured), fmt, a, b);
	t[*n].verdict = verdict;
	(*n)++;
}

/* llm_layer's migrated bytes within 1.10x of MIN, at each of 1.5, 2 and 3x. */
static void target_min(const struct report *rp, struct rpt_target *t, int *n, int max,
		       const char *wkey)
{
	static const double os[] = { 1.5, 2, 3 };
	char what[160];
	unsigned int i;

	for (i = 0; i < sizeof(os) / sizeof(os[0]); i++) {
		const struct rrow *r = rpt_find(rp, wkey, os[i], "llm_layer");
		double ratio = r ? rrow_migrated(r) / rpt_row_min(rp, r) : NAN;

		if (!r && os[i] == 1.5)
			continue;	/* 1.5x is optional in the matrix */
		snprintf(what, sizeof(what), "llm_layer within 1.10x of MIN: %s at %gx", wkey, os[i]);
		target(t, n, max, isnan(ratio) ? -1 : ratio <= 1.10, what,
		       "%.3fx MIN (limit 1.10, margin %+.3f)", ratio, 1.10 - ratio);
	}
}

static double ratio_of(const struct report *rp, const char *wkey, double os, const char *key,
		       const char *num_pol, const char *den_pol)
{
	const struct rrow *a = rpt_find(rp, wkey, os, num_pol), *b = rpt_find(rp, wkey, os, den_pol);

	if (!a || !b)
		return NAN;
	if (!strcmp(key, "migrated"))
		return rrow_migrated(a) / rrow_migrated(b);
	return rrow_num(a, key) / rrow_num(b, key);
}

static void target_stride(const struct report *rp, struct rpt_target *t, int *n, int max)
{
	static const char *const strides[] = { "stride+1", "stride+2", "stride+7", "stride-1" };
	char what[160];
	unsigned int i;

	for (i = 0; i < sizeof(strides) / sizeof(strides[0]); i++) {
		double vb = ratio_of(rp, strides[i], 2, "dev_faults", "builtin", "stride_prefetch");
		double vu = ratio_of(rp, strides[i], 2, "dev_faults", "uvm_like", "stride_prefetch");

		snprintf(what, sizeof(what),
			 "stride_prefetch takes fewer device faults than builtin and uvm_like: %s at 2x",
			 strides[i]);
		target(t, n, max, isnan(vb) || isnan(vu) ? -1 : vb > 1 && vu > 1, what,
		       "%.2fx fewer than builtin, %.2fx fewer than uvm_like", vb, vu);
	}
}

int rpt_targets(const struct report *rp, struct rpt_target *t, int max)
{
	int n = 0;
	double v;

	target_min(rp, t, &n, max, "llm-decode");
	target_min(rp, t, &n, max, "llm-train");
	v = ratio_of(rp, "llm-decode", 2, "migrated", "uvm_like", "llm_layer");
	target(t, &n, max, isnan(v) ? -1 : v >= 1.8,
	       "llm_layer migrates >= 1.8x fewer bytes than uvm_like: llm-decode at 2x",
	       "%.2fx fewer (target 1.8, margin %+.2f)", v, v - 1.8);
	v = ratio_of(rp, "llm-train", 2, "model_us", "uvm_like", "llm_layer");
	target(t, &n, max, isnan(v) ? -1 : v >= 1.6,
	       "llm_layer modelled time >= 1.6x better than uvm_like: llm-train at 2x",
	       "%.2fx better (target 1.6, margin %+.2f)", v, v - 1.6);
	target_stride(rp, t, &n, max);
	return n;
}
