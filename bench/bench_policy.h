/* SPDX-License-Identifier: GPL-2.0 */
/* bench_policy: a policy in charge for the length of one gmem-bench run. */
#ifndef GMEM_BENCH_POLICY_H
#define GMEM_BENCH_POLICY_H

struct gmem_policy;

/*
 * @name: NULL leaves whatever policy is in charge; "builtin" checks that no
 * BPF policy is attached; both set *out = NULL. Anything else is a shipped policy name or a .bpf.o path, opened,
 * loaded and attached. 0 or -errno (reason printed to stderr).
 */
int bench_policy_start(const char *name, struct gmem_policy **out);
/* Detach and free; NULL is a no-op. */
void bench_policy_stop(struct gmem_policy *p);

#endif /* GMEM_BENCH_POLICY_H */
