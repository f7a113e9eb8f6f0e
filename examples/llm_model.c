// SPDX-License-Identifier: GPL-2.0
/*
 * llm_model.c: the int8 decoder of llm_model.h.
 *
 * Per layer (pre-norm, llama-shaped; no rotary embedding, so position enters
 * only through the KV cache's length):
 *   xn = rmsnorm(x)                                   CPU
 *   qkv = Wqkv xn                                     device GEMV
 *   k, v of this token -> KV cache row pos            CPU requantizes, device COPY
 *   score_h = K_h q_h (t <= pos)                      device GEMV per head
 *   p_h = 2^-((max - score) >> 12), 7 bits            CPU ("softmax" in base 2)
 *   att_h = p_h V_h / sum(p_h)                        device GEMM (B = V, k x n), CPU divides
 *   x += (Wo att) >> 5                                device GEMV, CPU adds
 *   xn = rmsnorm(x); x += MLP(xn) >> 5                MLP: W13 (gate, up) -> relu(g) u -> W2
 * MoE: the MLP is E experts; a router GEMV on the device gives E scores, the
 * CPU picks the top K (ties: lower index) and runs those experts, summing
 * their outputs. Final: xn = rmsnorm(x), logits = Whead xn (device GEMV).
 *
 * Element-wise work is the CPU's on purpose (see sim_compute.c): every layer
 * its activations cross between CPU and device through unified memory. They
 * live in one small host-preferred buffer the device reads and writes over
 * the link (remote mapping), as with cudaMemAdviseSetPreferredLocation(CPU).
 * Integer arithmetic throughout: the device and the CPU reference agree bit
 * for bit or the sample has found a bug.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "llm_model.h"

#define QKV_SH		7
#define ATT_SH		12
#define WO_SH		5
#define MLP1_SH		6
#define MLP2_SH		6
#define MLP_SH		5
#define EMB_SH		4
#define NORM_SCALE	32
#define TAG_KV		(2ULL << 32)	/* llm_layer's tag kind 2: KV cache of a layer */

static size_t up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static size_t max3(size_t a, size_t b, size_t c)
{
	size_t m = a > b ? a : b;

	return m > c ? m : c;
}

void llm_layout(const struct llm_cfg *c, size_t block, struct llm_layout *lo)
{
	size_t d = c->dim, e = c->experts ? c->experts : 1;

	lo->qkv = 0;
	lo->wo = 3 * d * d;
	lo->router = lo->wo + d * d;
	lo->expert0 = lo->router + (c->experts ? e * d : 0);
	lo->w2 = 2 * (size_t)c->ffn * d;
	lo->expert_stride = 3 * (size_t)c->ffn * d;
	lo->weights = lo->expert0 + e * lo->expert_stride;
	/* Own blocks for the KV cache: a tag applies to whole blocks. */
	lo->kv = up(lo->weights, block);
	lo->kv_bytes = 2 * (size_t)c->seq * d;
	lo->layer_bytes = lo->kv + lo->kv_bytes;
	lo->emb_bytes = (size_t)c->vocab * d;
}

static int8_t clamp8(int64_t v)
{
	return v > 127 ? 127 : v < -127 ? -127 : (int8_t)v;
}

/* Weights in [-15, 15], 8 per splitmix64 draw. */
static void fill(int8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed, r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!(i % 8))
			r = sample_rand(&s);
		p[i] = (int8_t)((int)((r >> (8 * (i % 8))) & 0xff) % 31 - 15);
	}
}

static int mem_alloc(struct llm *m, size_t bytes, size_t align, void **out)
{
	if (!m->dev) {
		*out = calloc(1, bytes);
		return *out ? 0 : -ENOMEM;
	}
	return gmem_alloc(bytes, align, out);
}

static void mem_free(struct llm *m, void *p)
{
	if (!p)
		return;
	if (m->dev)
		gmem_free(p);
	else
		free(p);
}

/* The activations buffer: one block-aligned allocation, kept on the host. */
static int act_init(struct llm *m, size_t align)
{
	const struct llm_cfg *c = &m->cfg;
	size_t d = c->dim, hs = (size_t)c->heads * c->seq, off = 0, sz;
	size_t o_xn, o_qkv, o_kvst, o_q8, o_hid, o_sc, o_p, o_att, o_out, o_out2;
	char *base;
	int err;

#define ACT(o, bytes) do { o = off; off += up(bytes, 64); } while (0)
	ACT(o_xn, d > c->ffn ? d : c->ffn);
	ACT(o_qkv, 3 * d * 4);
	ACT(o_kvst, 2 * d);
	ACT(o_q8, d);
	ACT(o_hid, c->ffn);
	ACT(o_sc, hs * 4);
	ACT(o_p, hs);
	ACT(o_att, d * 4);
	ACT(o_out, max3(2 * (size_t)c->ffn, c->vocab, 3 * d) * 4);
	ACT(o_out2, d * 4);
#undef ACT
	sz = off;
	err = mem_alloc(m, sz, align, &m->act_mem);
	if (err)
		return err;
	if (m->dev) {
		err = gmem_advise(m->act_mem, sz, GMEM_ADV_PREFERRED, GMEM_DEV_HOST, 0);
		if (err)
			return err;
	}
	base = m->act_mem;
	m->act.xn = (int8_t *)(base + o_xn);
	m->act.qkv = (int32_t *)(base + o_qkv);
	m->act.kvst = (int8_t *)(base + o_kvst);
	m->act.q8 = (int8_t *)(base + o_q8);
	m->act.hid = (int8_t *)(base + o_hid);
	m->act.sc = (int32_t *)(base + o_sc);
	m->act.p = (int8_t *)(base + o_p);
	m->act.att = (int32_t *)(base + o_att);
	m->act.out = (int32_t *)(base + o_out);
	m->act.out2 = (int32_t *)(base + o_out2);
	return 0;
}

/* Layer @l is tag l (kind 0, weights), its KV cache kind 2; the head is layer L. */
static int tag_layers(struct llm *m)
{
	const struct llm_layout *lo = &m->lo;
	uint32_t l;
	int err = 0;

	for (l = 0; l < m->cfg.layers && !err; l++) {
		err = gmem_tag_layer(m->layer[l], lo->weights, l);
		if (!err)
			err = gmem_tag_layer(m->layer[l] + lo->kv, lo->kv_bytes, TAG_KV | l);
	}
	if (!err)
		err = gmem_tag_layer(m->head, lo->emb_bytes, m->cfg.layers);
	return err;
}

int llm_init(struct llm *m, const struct llm_cfg *c, struct sample_dev *dev, size_t block)
{
	size_t align = block < (2u << 20) ? block : (2u << 20);
	uint32_t l;
	int err;

	memset(m, 0, sizeof(*m));
	m->cfg = *c;
	m->dev = dev;
	if (!c->layers || c->layers > LLM_MAX_LAYERS || c->experts > LLM_MAX_EXPERTS ||
	    (c->experts && (!c->topk || c->topk > c->experts)) || !c->heads ||
	    c->heads > LLM_MAX_HEADS || c->dim > LLM_MAX_DIM || c->dim % c->heads ||
	    c->dim % 4 || !c->seq || !c->ffn || !c->vocab)
		return -EINVAL;
	llm_layout(c, align, &m->lo);
	m->x = calloc(c->dim, sizeof(*m->x));
	if (!m->x)
		return -ENOMEM;
	for (l = 0; l < c->layers; l++) {
		err = mem_alloc(m, m->lo.layer_bytes, align, (void **)&m->layer[l]);
		if (err)
			return err;
		fill(m->layer[l], m->lo.weights, c->seed ^ (0x1000003ULL * (l + 1)));
		memset(m->layer[l] + m->lo.kv, 0, m->lo.kv_bytes);
	}
	err = mem_alloc(m, m->lo.emb_bytes, align, (void **)&m->emb);
	if (!err)
		err = mem_alloc(m, m->lo.emb_bytes, align, (void **)&m->head);
	if (err)
		return err;
	fill(m->emb, m->lo.emb_bytes, c->seed ^ 0xe3b);
	fill(m->head, m->lo.emb_bytes, c->seed ^ 0x4ead);
	err = act_init(m, align);
	if (!err && dev)
		err = tag_layers(m);
	return err;
}

void llm_free(struct llm *m)
{
	uint32_t l;

	for (l = 0; l < m->cfg.layers && l < LLM_MAX_LAYERS; l++)
		mem_free(m, m->layer[l]);
	mem_free(m, m->emb);
	mem_free(m, m->head);
	mem_free(m, m->act_mem);
	free(m->x);
	memset(m, 0, sizeof(*m));
}

/* C (1 x n) = a (1 x k) op(B): on the device, or the CPU reference. */
static int gemv(struct llm *m, const int8_t *a, const int8_t *b, size_t ldb, int32_t *c,
		uint32_t n, uint32_t k, uint32_t flags)
{
	if (m->dev)
		return sample_gemm(m->dev, a, k, b, ldb, c, (size_t)n * 4, 1, n, k, flags);
	sample_gemm_ref(a, k, b, ldb, c, (size_t)n * 4, 1, n, k, flags);
	return 0;
}

static int copy(struct llm *m, void *dst, const void *src, size_t len)
{
	if (m->dev)
		return sample_copy(m->dev, dst, src, len);
	memcpy(dst, src, len);
	return 0;
}

static uint64_t isqrt(uint64_t v)
{
	uint64_t r = 0, bit = 1ULL << 62;

	while (bit > v)
		bit >>= 2;
	for (; bit; bit >>= 2) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/* xn = x / rms(x) * NORM_SCALE, in int8. */
static void rmsnorm(const struct llm *m, int8_t *xn)
{
	uint32_t i, d = m->cfg.dim;
	uint64_t ss = 0, r;

	for (i = 0; i < d; i++)
		ss += (uint64_t)((int64_t)m->x[i] * m->x[i]);
	r = isqrt(ss / d);
	if (!r)
		r = 1;
	for (i = 0; i < d; i++)
		xn[i] = clamp8((int64_t)m->x[i] * NORM_SCALE / (int64_t)r);
}

/* Scores of head @h -> 7-bit weights p_h; returns their sum (> 0). */
static int64_t softmax2(struct llm *m, uint32_t h)
{
	const int32_t *sc = m->act.sc + (size_t)h * m->cfg.seq;
	int8_t *p = m->act.p + (size_t)h * m->cfg.seq;
	int32_t mx = sc[0];
	int64_t sum = 0, dd;
	uint32_t t;

	for (t = 1; t <= m->pos; t++)
		if (sc[t] > mx)
			mx = sc[t];
	for (t = 0; t <= m->pos; t++) {
		dd = ((int64_t)mx - sc[t]) >> ATT_SH;
		p[t] = dd >= 7 ? 0 : (int8_t)(127 >> dd);
		sum += p[t];
	}
	return sum;
}

static int attention(struct llm *m, int8_t *w)
{
	const struct llm_cfg *c = &m->cfg;
	uint32_t d = c->dim, hd = d / c->heads, h, i;
	int8_t *kc = w + m->lo.kv, *vc = kc + (size_t)c->seq * d;
	int64_t psum[LLM_MAX_HEADS];
	int err;

	rmsnorm(m, m->act.xn);
	err = gemv(m, m->act.xn, w + m->lo.qkv, d, m->act.qkv, 3 * d, d, 0);
	for (i = 0; i < d && !err; i++) {
		m->act.q8[i] = clamp8(m->act.qkv[i] >> QKV_SH);
		m->act.kvst[i] = clamp8(m->act.qkv[d + i] >> QKV_SH);
		m->act.kvst[d + i] = clamp8(m->act.qkv[2 * d + i] >> QKV_SH);
	}
	if (!err)
		err = copy(m, kc + (size_t)m->pos * d, m->act.kvst, d);
	if (!err)
		err = copy(m, vc + (size_t)m->pos * d, m->act.kvst + d, d);
	for (h = 0; h < c->heads && !err; h++)
		err = gemv(m, m->act.q8 + h * hd, kc + h * hd, d, m->act.sc + (size_t)h * c->seq,
			   m->pos + 1, hd, 0);
	for (h = 0; h < c->heads && !err; h++) {
		psum[h] = softmax2(m, h);
		err = gemv(m, m->act.p + (size_t)h * c->seq, vc + h * hd, d, m->act.att + h * hd,
			   hd, m->pos + 1, GMEM_SIM_GEMM_BN);
	}
	for (i = 0; i < d && !err; i++)
		m->act.xn[i] = clamp8(m->act.att[i] / psum[i / hd]);
	if (!err)
		err = gemv(m, m->act.xn, w + m->lo.wo, d, m->act.out, d, d, 0);
	for (i = 0; i < d && !err; i++)
		m->x[i] += m->act.out[i] >> WO_SH;
	return err;
}

/* One MLP (or expert) at @ex on act.xn; its output added into @acc. */
static int mlp(struct llm *m, const int8_t *ex, int64_t *acc)
{
	uint32_t d = m->cfg.dim, f = m->cfg.ffn, i;
	int8_t *hid = m->act.hid;
	int64_t g, u;
	int err;

	err = gemv(m, m->act.xn, ex, d, m->act.out, 2 * f, d, 0);
	for (i = 0; i < f && !err; i++) {
		g = m->act.out[i] >> MLP1_SH;
		u = m->act.out[f + i] >> MLP1_SH;
		hid[i] = clamp8((g < 0 ? 0 : g) * u >> MLP2_SH);
	}
	if (!err)
		err = gemv(m, hid, ex + m->lo.w2, f, m->act.out, d, f, 0);
	for (i = 0; i < d && !err; i++)
		acc[i] += m->act.out[i];
	return err;
}

/* Top @k of @score[0..n): highest first, the lower index on ties. */
static void topk(const int32_t *score, uint32_t n, uint32_t k, uint32_t *pick)
{
	uint64_t used[LLM_MAX_EXPERTS / 64 + 1] = { 0 };
	uint32_t j, e, best;

	for (j = 0; j < k; j++) {
		best = n;
		for (e = 0; e < n; e++)
			if (!(used[e / 64] >> (e % 64) & 1) && (best == n || score[e] > score[best]))
				best = e;
		used[best / 64] |= 1ULL << (best % 64);
		pick[j] = best;
	}
}

static int feed_forward(struct llm *m, int8_t *w)
{
	const struct llm_cfg *c = &m->cfg;
	uint32_t pick[LLM_MAX_EXPERTS], nr = 1, j, i;
	int32_t score[LLM_MAX_EXPERTS];
	int64_t acc[LLM_MAX_DIM] = { 0 };
	int err = 0;

	rmsnorm(m, m->act.xn);
	pick[0] = 0;
	if (c->experts) {
		err = gemv(m, m->act.xn, w + m->lo.router, c->dim, m->act.out, c->experts,
			   c->dim, 0);
		if (err)
			return err;
		memcpy(score, m->act.out, c->experts * sizeof(*score));
		topk(score, c->experts, c->topk, pick);
		nr = c->topk;
	}
	for (j = 0; j < nr && !err; j++)
		err = mlp(m, w + m->lo.expert0 + pick[j] * m->lo.expert_stride, acc);
	for (i = 0; i < c->dim && !err; i++)
		m->x[i] += (int32_t)(acc[i] >> MLP_SH);
	return err;
}

int llm_step(struct llm *m, uint32_t token)
{
	const struct llm_cfg *c = &m->cfg;
	uint32_t l, i;
	int err;

	if (m->pos >= c->seq || token >= c->vocab)
		return -ENOSPC;
	/* Embedding: the device gathers the row, the CPU widens it. */
	err = copy(m, m->act.xn, m->emb + (size_t)token * c->dim, c->dim);
	for (i = 0; i < c->dim && !err; i++)
		m->x[i] = (int32_t)m->act.xn[i] * (1 << EMB_SH);
	for (l = 0; l < c->layers && !err; l++) {
		err = attention(m, m->layer[l]);
		if (!err)
			err = feed_forward(m, m->layer[l]);
	}
	if (err)
		return err;
	rmsnorm(m, m->act.xn);
	err = gemv(m, m->act.xn, m->head, c->dim, m->act.out, c->vocab, c->dim, 0);
	m->pos++;
	return err;
}

uint32_t llm_argmax(const struct llm *m)
{
	uint32_t i, best = 0;

	for (i = 1; i < m->cfg.vocab; i++)
		if (m->act.out[i] > m->act.out[best])
			best = i;
	return best;
}
