// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Policy tunables: the `const volatile` globals a policy keeps in .rodata.
 *
 * Their names, offsets and types come from the object's BTF (the .rodata
 * DATASEC lists each variable with its offset and size); values are written
 * into libbpf's copy of the section before load, after which the kernel
 * freezes the map. Only what BTF describes can be set, so an unknown name or
 * a value that does not fit is refused instead of silently misplaced.
 *
 * Pure functions over a struct btf and a byte buffer; no locking.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "internal.h"

/* Skip const/volatile/typedef/restrict down to the type that has a layout. */
static const struct btf_type *strip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/* Tunable type of a variable's type, or 0 when it is not settable. */
static enum gmem_tunable_type classify(const struct btf *btf, const struct btf_type *t)
{
	const struct btf_type *elem;

	if (btf_is_int(t)) {
		if (btf_int_offset(t) || btf_int_bits(t) != t->size * 8)
			return 0;		/* bitfield-like ints: not a plain scalar */
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			return t->size == 1 ? GMEM_TUN_BOOL : 0;
		return btf_int_encoding(t) & BTF_INT_SIGNED ? GMEM_TUN_INT : GMEM_TUN_UINT;
	}
	if (btf_is_any_enum(t))
		return btf_kflag(t) ? GMEM_TUN_INT : GMEM_TUN_UINT;
	if (btf_is_array(t)) {
		elem = strip_mods(btf, btf_array(t)->type);
		if (elem && btf_is_int(elem) && elem->size == 1 && btf_array(t)->nelems > 1)
			return GMEM_TUN_STR;
	}
	return 0;
}

static bool size_ok(enum gmem_tunable_type type, __u32 size)
{
	if (type == GMEM_TUN_STR)
		return size > 1;
	return size == 1 || size == 2 || size == 4 || size == 8;
}

int gm_tunables_scan(const struct btf *btf, size_t data_size, struct gm_tunable **out)
{
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec, *var, *t;
	struct gm_tunable *tun;
	int id, i, n = 0;

	*out = NULL;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	tun = calloc(btf_vlen(sec) + 1, sizeof(*tun));
	if (!tun)
		return -ENOMEM;
	vsi = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vsi++) {
		const char *name;
		enum gmem_tunable_type type;

		var = btf__type_by_id(btf, vsi->type);
		/*
		 * Only globals: clang puts static variables in .rodata too
		 * (gmem_error()'s format strings, a file's static const
		 * tables), and those are the policy's internals, not settings.
		 */
		if (!var || !btf_is_var(var) || btf_var(var)->linkage != BTF_VAR_GLOBAL_ALLOCATED)
			continue;
		name = btf__name_by_offset(btf, var->name_off);
		t = strip_mods(btf, var->type);
		if (!name || !t || strlen(name) >= GMEM_POLICY_NAME_MAX)
			continue;
		type = classify(btf, t);
		/* The section entry, the type and the data must agree on the size. */
		if (!type || btf__resolve_size(btf, var->type) != vsi->size ||
		    !size_ok(type, vsi->size) || (size_t)vsi->offset + vsi->size > data_size)
			continue;
		strcpy(tun[n].name, name);
		tun[n].off = vsi->offset;
		tun[n].size = vsi->size;
		tun[n].type = type;
		n++;
	}
	*out = tun;
	return n;
}

static int store_uint(const struct gm_tunable *t, void *p, const char *value)
{
	uint64_t v, max = t->size == 8 ? UINT64_MAX : (1ULL << (t->size * 8)) - 1;
	int err = gmem_parse_u64(value, &v);

	if (err == -EINVAL && value[0] == '-')
		return -ERANGE;		/* a number, but not for an unsigned */
	if (err)
		return err;
	if (v > max)
		return -ERANGE;
	switch (t->size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
	return 0;
}

static int store_int(const struct gm_tunable *t, void *p, const char *value)
{
	int64_t v, max = t->size == 8 ? INT64_MAX : (int64_t)((1ULL << (t->size * 8 - 1)) - 1);
	int err = gmem_parse_i64(value, &v);

	if (err)
		return err;
	if (v > max || v < -max - 1)
		return -ERANGE;
	switch (t->size) {
	case 1: *(int8_t *)p = (int8_t)v; break;
	case 2: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
	case 4: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
	return 0;
}

int gm_tunable_store(const struct gm_tunable *t, void *data, const char *value)
{
	char *p = (char *)data + t->off;
	size_t n;
	bool b;
	int err;

	if (!value)
		return -EINVAL;
	switch (t->type) {
	case GMEM_TUN_UINT:
		return store_uint(t, p, value);
	case GMEM_TUN_INT:
		return store_int(t, p, value);
	case GMEM_TUN_BOOL:
		err = gmem_parse_bool(value, &b);
		if (!err)
			*p = b;
		return err;
	case GMEM_TUN_STR:
		n = strlen(value);
		if (n >= t->size)
			return -ERANGE;
		memset(p, 0, t->size);
		memcpy(p, value, n);
		return 0;
	}
	return -EINVAL;
}

static uint64_t load_uint(const void *p, uint32_t size)
{
	uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;

	switch (size) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	}
	memcpy(&u64, p, 8);
	return u64;
}

static int64_t load_int(const void *p, uint32_t size)
{
	int8_t s8; int16_t s16; int32_t s32; int64_t s64;

	switch (size) {
	case 1: memcpy(&s8, p, 1); return s8;
	case 2: memcpy(&s16, p, 2); return s16;
	case 4: memcpy(&s32, p, 4); return s32;
	}
	memcpy(&s64, p, 8);
	return s64;
}

void gm_tunable_format(const struct gm_tunable *t, const void *data, char *buf, size_t len)
{
	const char *p = (const char *)data + t->off;
	size_t i, n;

	switch (t->type) {
	case GMEM_TUN_UINT:
		snprintf(buf, len, "%" PRIu64, load_uint(p, t->size));
		return;
	case GMEM_TUN_INT:
		snprintf(buf, len, "%" PRId64, load_int(p, t->size));
		return;
	case GMEM_TUN_BOOL:
		snprintf(buf, len, "%s", *p ? "true" : "false");
		return;
	case GMEM_TUN_STR:
		if (!len)
			return;
		n = strnlen(p, t->size);
		for (i = 0; i < n && i + 1 < len; i++)
			buf[i] = isprint((unsigned char)p[i]) ? p[i] : '?';
		buf[i] = '\0';
		return;
	}
	snprintf(buf, len, "?");
}
