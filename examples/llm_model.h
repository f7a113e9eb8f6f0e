/* SPDX-License-Identifier: GPL-2.0 */
/*
 * llm_model: a small llama-shaped int8 decoder, run twice side by side: on
 * the simulated device (weights, KV cache and activations in unified memory)
 * and on the CPU (the reference, in ordinary memory). Both run the same code
 * (llm_model.c); only the GEMM/COPY backend and the memory differ, so every
 * token's logits must match exactly.
 */
#ifndef GMEM_LLM_MODEL_H
#define GMEM_LLM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "sample_dev.h"

#define LLM_MAX_LAYERS	256
#define LLM_MAX_EXPERTS	64
#define LLM_MAX_HEADS	64
#define LLM_MAX_DIM	4096

struct llm_cfg {
	uint32_t dim, heads, ffn, vocab, seq;	/* seq: KV cache length */
	uint32_t layers;
	uint32_t experts, topk;			/* experts 0: dense MLP */
	uint64_t seed;
};

/* Byte offsets inside one layer's allocation. */
struct llm_layout {
	size_t qkv, wo, router, expert0, expert_stride, w2;	/* w2: inside an expert */
	size_t weights;				/* bytes of weights */
	size_t kv, kv_bytes;			/* K then V, block aligned */
	size_t layer_bytes;			/* the whole allocation */
	size_t emb_bytes;			/* embedding and head, each */
};

/* The activations buffer: small, kept on the host, read by the device remotely. */
struct llm_act {
	int8_t *xn;		/* GEMV input: normed x, attention output or MLP activation */
	int32_t *qkv;
	int8_t *kvst;		/* k then v of the new token, staged for the KV copy */
	int8_t *q8;
	int8_t *hid;		/* MLP activation, ffn */
	int32_t *sc;		/* heads x seq attention scores */
	int8_t *p;		/* heads x seq attention weights */
	int32_t *att;		/* dim */
	int32_t *out;		/* GEMV output */
	int32_t *out2;		/* MoE: accumulated expert outputs */
};

struct llm {
	struct llm_cfg cfg;
	struct llm_layout lo;
	struct sample_dev *dev;		/* NULL: the CPU reference */
	int8_t *layer[LLM_MAX_LAYERS];
	int8_t *emb, *head;
	void *act_mem;
	struct llm_act act;
	int32_t *x;			/* residual stream (host memory) */
	uint32_t pos;
};

void llm_layout(const struct llm_cfg *c, size_t block, struct llm_layout *lo);
/*
 * Allocate (gmem_alloc when @dev, else malloc), fill the weights from the
 * seed, tag the layers when @dev. 0 or -errno.
 */
int llm_init(struct llm *m, const struct llm_cfg *c, struct sample_dev *dev, size_t block);
void llm_free(struct llm *m);
/* One decode step: feed @token at position m->pos; logits into m->act.out. */
int llm_step(struct llm *m, uint32_t token);
/* Index of the largest logit (the lowest such index). */
uint32_t llm_argmax(const struct llm *m);

#endif /* GMEM_LLM_MODEL_H */
