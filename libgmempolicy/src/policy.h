/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* struct gmem_policy, shared by policy.c and pin.c. */
#ifndef GMEMPOLICY_POLICY_H
#define GMEMPOLICY_POLICY_H

#include "internal.h"

struct bpf_object;
struct bpf_map;
struct bpf_link;

struct gmem_policy {
	char name[GMEM_POLICY_NAME_MAX];
	char *path;
	char *desc;			/* NULL if the object has no gmem_desc */
	struct bpf_object *obj;
	struct bpf_map *ops_map;	/* the gmem_ops struct_ops map */
	struct bpf_map *rodata;		/* NULL if the object has no .rodata */
	struct gm_tunable *tun;
	int nr_tun;
	bool load_tried, loaded;
	struct bpf_link *link;		/* set while attached */
	bool pinned;
	bool poll_ok;			/* the link fd reports detach via POLLHUP */
	uint64_t attach_seq;		/* status.loads right after our attach */
	uint64_t cgroup_id;		/* attach point: 0 system-wide (attach.c) */
	bool kvalue_set;		/* struct_ops map value given (replace.c) */
	char *vlog;			/* kernel verifier log (kernel_log_buf) */
	char *msgs;			/* captured libbpf and library messages */
	size_t msgs_len, msgs_cap;
};

/* attach.c: since_ns of the active attachment of cgroup @cgid, 0 if none. */
uint64_t gm_cgroup_attach_since(uint64_t cgid);
/* pin.c: the pin name of @p: its name, plus "-cg<id>" when attached to a cgroup. */
int gm_pin_name(const struct gmem_policy *p, char *buf, size_t len);

/* Append one line to p->msgs (bounded; dropped when full). */
void gm_policy_note(struct gmem_policy *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* GMEMPOLICY_POLICY_H */
