// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-llm-decode: greedy decoding with a small llama-shaped int8
 * transformer (llm_model.c) on the simulated accelerator, its weights
 * --oversub times the device's HBM, checked token by token against the
 * same model on the CPU.
 *
 *   embedding, per layer attention (KV cache) + MLP, final norm and logits;
 *   deterministic pseudo-random int8 weights from --seed; layers tagged for
 *   layer-aware policies (gmem_tag_layer: weights kind 0, KV cache kind 2,
 *   the output head as layer L).
 *   --moe E,K  each MLP becomes E experts (ffn/4 wide) with a top-K router
 *              computed on the device from the activations.
 *   --tenants N  N independent models (seeds seed..seed+N-1) in N processes
 *              on the same device.
 *
 * Every token's logits (all vocab entries) must equal the CPU reference's.
 * Prints the device time per token (the sim's device clock: virtual ns from
 * the real order of copies, faults and compute) and the migrated bytes, and
 * one "SAMPLE key=value ..." line for scripts.
 *
 * --policy NAME (or a .bpf.o path) is attached for the run; without it (or
 * with "builtin") whatever is in charge runs it, e.g. a pinned policy.
 *
 * Usage: gmem-llm-decode [--policy NAME] [--oversub X] [--tokens N]
 *        [--moe E,K] [--tenants N] [--seed S] [--sim N] [--dim D] [--ffn F]
 * Exit status 0 when every token of every tenant matches.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llm_model.h"

#define MAX_TENANTS	8

struct opts {
	const char *policy;
	double oversub;
	uint32_t tokens, tenants, experts, topk, dim, ffn;
	unsigned int sim;
	uint64_t seed;
};

static int usage(void)
{
	fprintf(stderr, "usage: gmem-llm-decode [--policy NAME] [--oversub X] [--tokens N (1..64)] "
		"[--moe E,K] [--tenants N] [--seed S] [--sim N] [--dim D] [--ffn F]\n");
	return -EINVAL;
}

static int parse(struct opts *o, int argc, char **argv)
{
	int i;

	*o = (struct opts){ .policy = "builtin", .oversub = 2.0, .tokens = 8, .tenants = 1,
			    .dim = 512, .ffn = 1024, .seed = 1 };
	for (i = 1; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];

		if (!strcmp(argv[i], "--policy"))
			o->policy = v;
		else if (!strcmp(argv[i], "--oversub"))
			o->oversub = atof(v);
		else if (!strcmp(argv[i], "--tokens"))
			o->tokens = (uint32_t)atoi(v);
		else if (!strcmp(argv[i], "--tenants"))
			o->tenants = (uint32_t)atoi(v);
		else if (!strcmp(argv[i], "--seed"))
			o->seed = strtoull(v, NULL, 0);
		else if (!strcmp(argv[i], "--sim"))
			o->sim = (unsigned int)atoi(v);
		else if (!strcmp(argv[i], "--dim"))
			o->dim = (uint32_t)atoi(v);
		else if (!strcmp(argv[i], "--ffn"))
			o->ffn = (uint32_t)atoi(v);
		else if (!strcmp(argv[i], "--moe") &&
			 sscanf(v, "%u,%u", &o->experts, &o->topk) == 2)
			continue;
		else
			return usage();
	}
	/* A tenant reports its matching tokens in its exit status: < 100. */
	if (i < argc || !(o->oversub > 0 && o->oversub <= 16) || !o->tokens ||
	    o->tokens > 64 || !o->tenants || o->tenants > MAX_TENANTS ||
	    (o->experts && (o->topk < 1 || o->topk > o->experts || o->experts > LLM_MAX_EXPERTS)))
		return usage();
	return 0;
}

/* Layers so that a tenant's weights (and head, embedding) are oversub x HBM / tenants. */
static void pick_cfg(const struct opts *o, const struct sample_dev *d, struct llm_cfg *c)
{
	struct llm_layout lo;
	double want = o->oversub * (double)d->hbm_bytes / o->tenants;
	size_t layer;

	*c = (struct llm_cfg){ .dim = o->dim, .heads = 4, .ffn = o->ffn, .vocab = 512,
			       .seq = o->tokens + 1, .experts = o->experts, .topk = o->topk,
			       .seed = o->seed };
	if (o->experts)
		c->ffn = o->ffn / 4;
	llm_layout(c, d->block_size, &lo);
	layer = lo.weights;
	want -= 2.0 * lo.emb_bytes;
	c->layers = want > layer ? (uint32_t)(want / layer + 0.5) : 1;
	if (c->layers > LLM_MAX_LAYERS)
		c->layers = LLM_MAX_LAYERS;
}

/* Decode and check; returns the number of tokens that matched, or -errno. */
static int decode(const struct opts *o, const struct llm_cfg *c, struct sample_dev *d,
		  unsigned int tenant)
{
	struct llm dev, ref;
	uint32_t tok = (uint32_t)(c->seed % c->vocab), t, a, b;
	int err, ok = 0;

	err = llm_init(&dev, c, d, d->block_size);
	if (!err)
		err = llm_init(&ref, c, NULL, d->block_size);
	if (err) {
		fprintf(stderr, "tenant %u: model: %s\n", tenant, gmem_strerror(err));
		return err;	/* the process exits: no need to free */
	}
	for (t = 0; t < o->tokens; t++) {
		err = llm_step(&dev, tok);
		if (!err)
			err = llm_step(&ref, tok);
		if (err) {
			fprintf(stderr, "tenant %u token %u: %s\n", tenant, t, strerror(-err));
			break;
		}
		a = llm_argmax(&dev);
		b = llm_argmax(&ref);
		if (memcmp(dev.act.out, ref.act.out, c->vocab * sizeof(int32_t)) || a != b) {
			printf("tenant %u token %u: logits differ from the CPU reference "
			       "(device argmax %u, reference %u)\n", tenant, t, a, b);
			break;
		}
		printf("tenant %u token %u: %u -> %u (logits match)\n", tenant, t, tok, b);
		tok = b;
		ok++;
	}
	llm_free(&dev);
	llm_free(&ref);
	return err ? err : ok;
}

/* Child: its own sim file (a file serves the mm that opened it only). */
static void tenant_main(const struct opts *o, const struct llm_cfg *c0, unsigned int i)
{
	struct llm_cfg c = *c0;
	struct sample_dev d;
	int ok;

	c.seed = o->seed + i;
	if (sample_dev_open(&d, o->sim))
		_exit(101);
	fflush(stdout);
	ok = decode(o, &c, &d, i);
	fflush(stdout);
	_exit(ok < 0 ? 100 : ok);
}

static int run_tenants(const struct opts *o, const struct llm_cfg *c, uint32_t *tokens_ok)
{
	pid_t pid[MAX_TENANTS];
	unsigned int i;
	int status, err = 0;

	fflush(stdout);
	for (i = 0; i < o->tenants; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			return -errno;
		if (!pid[i])
			tenant_main(o, c, i);
	}
	for (i = 0; i < o->tenants; i++) {
		if (waitpid(pid[i], &status, 0) != pid[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) >= 100) {
			err = -ECHILD;
			continue;
		}
		*tokens_ok += WEXITSTATUS(status);
	}
	return err;
}

static void report(const struct opts *o, const char *policy, const struct llm_cfg *c, uint32_t ok,
		   const struct gmem_sim_clock *c0, const struct gmem_sim_clock *c1,
		   const struct sample_counts *n0, const struct sample_counts *n1)
{
	uint32_t want = o->tokens * o->tenants;
	uint64_t dev_ns = c1->now_ns - c0->now_ns, mig = n1->migrated - n0->migrated;
	char pol[GMEM_NAME_LEN];

	sample_policy_now(pol, sizeof(pol));
	sample_clock_print(stdout, c1);
	printf("policy %s (in charge at the end: %s): %u of %u tokens match the CPU reference; "
	       "device time %.3f ms per token (device clock; waiting for copies %.3f, "
	       "copies between jobs %.3f, faults %.3f), migrated %.1f MiB, %" PRIu64
	       " device faults\n", policy, pol, ok, want, dev_ns / 1e6 / want,
	       (c1->stall_ns - c0->stall_ns) / 1e6 / want,
	       (c1->idle_copy_ns - c0->idle_copy_ns) / 1e6 / want,
	       (c1->fault_ns - c0->fault_ns) / 1e6 / want, mig / 1048576.0,
	       n1->dev_faults - n0->dev_faults);
	printf("SAMPLE name=llm-decode mode=%s policy=%s policy_after=%s tenants=%u layers=%u "
	       "tokens=%u tokens_ok=%u check=%s migrated_bytes=%" PRIu64 " dev_faults=%" PRIu64
	       " dev_ns=%" PRIu64 " dev_ns_per_token=%" PRIu64 " stall_ns=%" PRIu64
	       " copy_ns=%" PRIu64 " idle_copy_ns=%" PRIu64
	       " link_mbps=%u dma_channels=%u fault_ns=%u compute_gmacs=%u\n",
	       c->experts ? "moe" : "dense", policy, pol, o->tenants, c->layers, want, ok,
	       ok == want ? "ok" : "FAIL", mig, n1->dev_faults - n0->dev_faults, dev_ns,
	       dev_ns / want, (uint64_t)(c1->stall_ns - c0->stall_ns),
	       (uint64_t)(c1->copy_ns - c0->copy_ns), (uint64_t)(c1->idle_copy_ns - c0->idle_copy_ns),
	       c1->link_mbps, c1->dma_channels,
	       c1->fault_lat_ns, c1->compute_gmacs);
}

int main(int argc, char **argv)
{
	struct gmem_sim_clock c0, c1;
	struct sample_counts n0, n1;
	struct sample_dev d;
	struct llm_layout lo;
	char policy[GMEM_NAME_LEN];
	struct llm_cfg c;
	struct opts o;
	uint32_t ok = 0;
	double w;
	int err;

	if (parse(&o, argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = sample_dev_open(&d, o.sim);
	if (err) {
		fprintf(stderr, "gmem_sim%u: %s\n", o.sim, gmem_strerror(err));
		return 1;
	}
	/* Attach before the models tag their layers: llm_layer learns tags from advise. */
	if (sample_policy_use(&d, o.policy))
		return 1;
	/* "builtin" leaves a pinned policy in charge: name what really is. */
	sample_policy_now(policy, sizeof(policy));
	pick_cfg(&o, &d, &c);
	llm_layout(&c, d.block_size, &lo);
	w = (double)c.layers * lo.weights + 2.0 * lo.emb_bytes;
	printf("llm-decode: dim %u, %u heads, ffn %u, vocab %u, %u layers, %s; weights %.1f MiB "
	       "per tenant x %u, HBM %.1f MiB (%.2fx)\n", c.dim, c.heads, c.ffn, c.vocab,
	       c.layers, c.experts ? "MoE" : "dense", w / 1048576, o.tenants,
	       d.hbm_bytes / 1048576.0, w * o.tenants / (double)d.hbm_bytes);
	if (c.experts)
		printf("llm-decode: %u experts per layer, top %u chosen by the router\n",
		       c.experts, c.topk);
	if (sample_clock(&d, &c0) || sample_counts(&n0))
		return 1;
	err = run_tenants(&o, &c, &ok);
	if (sample_clock(&d, &c1) || sample_counts(&n1))
		return 1;
	report(&o, policy, &c, ok, &c0, &c1, &n0, &n1);
	sample_dev_close(&d);
	return !err && ok == o.tokens * o.tenants ? 0 : 1;
}
