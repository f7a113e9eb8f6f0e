/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* libgmempolicy internals shared between its source files. */
#ifndef GMEMPOLICY_INTERNAL_H
#define GMEMPOLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gmempolicy.h"

struct btf;

#ifndef GMEM_POLICY_SHARE_DIR
#define GMEM_POLICY_SHARE_DIR "/usr/local/share/gmem/policies"
#endif

/* dev.c: the process-wide /dev/gmem descriptor (opened once, kept). */
int gm_dev_fd(void);			/* fd or -ENODEV/-EACCES/... */
int gm_dev_ioctl(unsigned long req, void *arg);	/* 0 or -errno */
/* Does the device node exist? (cheap "is the module loaded" test, no open) */
bool gm_dev_present(void);

/* search.c */
bool gm_policy_name_ok(const char *name);
/* Policy name of a file: its base name without .bpf.o (or .o). */
int gm_policy_name_of(const char *path, char *name, size_t len);

/* tunables.c: the .rodata globals of a policy, from its BTF. */
struct gm_tunable {
	char name[GMEM_POLICY_NAME_MAX];
	uint32_t off, size;
	enum gmem_tunable_type type;
};

/*
 * Every scalar or char-array variable of the .rodata DATASEC in @btf whose
 * bytes lie within @data_size, into a malloc'ed array.
 * Returns the count (0 if there is no .rodata) or -ENOMEM/-EINVAL.
 */
int gm_tunables_scan(const struct btf *btf, size_t data_size, struct gm_tunable **out);
/* Parse @value for @t and store it in @data. -EINVAL/-ERANGE, @data untouched. */
int gm_tunable_store(const struct gm_tunable *t, void *data, const char *value);
/* Current value of @t in @data, formatted into @buf. */
void gm_tunable_format(const struct gm_tunable *t, const void *data, char *buf, size_t len);

#endif /* GMEMPOLICY_INTERNAL_H */
