/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gmem_bpf_test.h: helpers of the in-guest policy tests (test_bpf.c).
 *
 * env_*: one mapping of the test pattern on 64 KiB blocks and one device
 * with 16 blocks of HBM, its statistics, traces and a content check.
 * pol_*: a policy object from /gmem/bpf loaded with plain libbpf (no
 * skeletons: bpftool 7.5's skeletons need libbpf 1.5), its globals, and its
 * attachment. Every helper fails the current test (GT_ASSERT) on error.
 * Include after gtest.h and gmem_test_util.h.
 */
#ifndef GMEM_BPF_TEST_H
#define GMEM_BPF_TEST_H

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <signal.h>

#define BS		(64 * 1024UL)
#define HBM_BLOCKS	16
#define BPF_DIR		"/gmem/bpf"
#define PARAM(p)	"/sys/module/gmem/parameters/" p
#define SEED		0x5eed

struct env {
	int gfd, sfd, dev;
	uint8_t *mem;
	size_t nr_blocks;
	uint32_t obj;
};

struct pol {
	struct bpf_object *obj;
	struct bpf_map *ops;
	struct bpf_link *link;
};

/* ------------------------------------------------------------ environment */

static inline void set_param(const char *path, unsigned int v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", v);
	GT_ASSERT(gmt_write_str(path, buf) == 0, "write %s", path);
}

/* Module defaults for the policy layer; the built-in prefetch off. */
static inline void params(unsigned int max_rejects, unsigned int watchdog_ms, unsigned int prefetch)
{
	set_param(PARAM("max_rejects"), max_rejects);
	set_param(PARAM("watchdog_ms"), watchdog_ms);
	set_param(PARAM("builtin_prefetch"), prefetch);
}

/*
 * A mapping of @nr blocks holding the test pattern, written by the CPU, on
 * a device with @hbm_mb MiB of HBM (1: HBM_BLOCKS blocks).
 */
static inline void env_open_sized(struct env *e, size_t nr, int read_dup, unsigned int hbm_mb)
{
	struct gmem_dev_info di;
	struct gmem_obj_info oi;

	GT_ASSERT(gmt_setup(BS, hbm_mb, 1) == 0, "module reload failed");
	params(64, 1000, 0);
	if (read_dup >= 0)	/* sampled at mmap() */
		set_param(PARAM("read_dup"), read_dup);
	e->gfd = gmt_open_gmem();
	GT_ASSERT(e->gfd >= 0, "open /dev/gmem: %d", e->gfd);
	e->sfd = gmt_sim_open(0);
	GT_ASSERT(e->sfd >= 0, "open /dev/gmem_sim0: %d", e->sfd);
	e->dev = gmt_sim_gmem_id(0);
	GT_ASSERT(e->dev >= 0, "gmem id of gmem_sim0: %d", e->dev);
	GT_ASSERT(gmt_dev_info(e->gfd, e->dev, &di) == 0, "dev info");
	GT_ASSERT(di.hbm_bytes / di.block_size == HBM_BLOCKS * hbm_mb, "hbm %llu bytes, block %llu",
		  (unsigned long long)di.hbm_bytes, (unsigned long long)di.block_size);
	e->nr_blocks = nr;
	e->mem = gmt_map(e->gfd, nr * BS);
	GT_ASSERT(e->mem, "mmap: %s", strerror(errno));
	gmt_fill_pat((uint32_t *)e->mem, nr * BS / 4, SEED);
	GT_ASSERT(gmt_obj_info(e->gfd, e->mem, &oi) == 0, "obj info");
	e->obj = oi.id;
}

/* ... on HBM_BLOCKS blocks of HBM, with gmem.read_dup=@read_dup (-1: the default). */
static inline void env_open_dup(struct env *e, size_t nr, int read_dup)
{
	env_open_sized(e, nr, read_dup, 1);
}

/* ... with the module's default read copies (gmem.read_dup=1). */
static inline void env_open(struct env *e, size_t nr)
{
	env_open_dup(e, nr, -1);
}

/* Device checksum and CPU pattern check of the whole mapping. */
static inline void check_data(struct env *e)
{
	size_t words = e->nr_blocks * BS / 4;
	uint32_t *ref = malloc(words * 4);
	uint64_t h = 0;
	long bad;

	GT_ASSERT(ref, "malloc");
	gmt_fill_pat(ref, words, SEED);
	GT_ASSERT(gmt_sim_checksum(e->sfd, e->mem, words * 4, &h) == 0, "device checksum");
	GT_ASSERT(h == gmt_fnv1a(ref, words * 4, GMT_FNV_BASIS), "device checksum %llx differs",
		  (unsigned long long)h);
	free(ref);
	bad = gmt_check_pat((uint32_t *)e->mem, words, SEED);
	GT_ASSERT(bad < 0, "CPU sees a wrong word %ld (block %ld)", bad, bad * 4 / (long)BS);
}

static inline void env_close(struct env *e)
{
	struct gmt_live l;

	GT_ASSERT(munmap(e->mem, e->nr_blocks * BS) == 0, "munmap");
	close(e->sfd);
	close(e->gfd);
	GT_ASSERT(gmt_live_wait_zero(&l, 3000) == 0, "leak: objects %ld host_pages %ld dev_blocks %ld",
		  l.objects, l.host_pages, l.dev_blocks);
}

static inline struct gmem_stats obj_stats(struct env *e)
{
	struct gmem_obj_info oi;

	GT_ASSERT(gmt_obj_info(e->gfd, e->mem, &oi) == 0, "obj info");
	return oi.stats;
}

/* Read one word of each listed block on the device, in order. */
static inline void trace(struct env *e, const uint32_t *blocks, size_t n)
{
	struct gmem_sim_access recs[64];
	size_t i;

	GT_ASSERT(n <= 64, "trace too long");
	for (i = 0; i < n; i++) {
		GT_ASSERT(blocks[i] < e->nr_blocks, "block %u", blocks[i]);
		recs[i] = (struct gmem_sim_access){
			.addr = (uintptr_t)(e->mem + blocks[i] * BS), .len = 4,
		};
	}
	GT_ASSERT(gmt_sim_run(e->sfd, GMEM_SIM_TRACE, recs, NULL, n, 0, NULL) == 0, "trace");
}

/* Read blocks [first, last) in order; returns the object's new device faults. */
static inline uint64_t sweep(struct env *e, uint32_t first, uint32_t last)
{
	uint64_t before = obj_stats(e).dev_faults;
	uint32_t b[64];
	size_t n = 0;

	while (first < last && n < 64)
		b[n++] = first++;
	trace(e, b, n);
	return obj_stats(e).dev_faults - before;
}

static inline struct gmem_policy_status status(int gfd)
{
	struct gmem_policy_status st;

	memset(&st, 0, sizeof(st));
	GT_ASSERT(ioctl(gfd, GMEM_IOC_POLICY_STATUS, &st) == 0, "POLICY_STATUS: %s",
		  strerror(errno));
	return st;
}

/* ------------------------------------------------------------ policies */

/* Where global @var lives: its section's map and its offset and size there. */
static inline void pol_find_var(struct pol *p, const char *sec_name, const char *var,
			 struct bpf_map **mapp, uint32_t *off, uint32_t *size)
{
	struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *map;
	size_t len, slen = strlen(sec_name);
	int id, i;

	*mapp = NULL;
	bpf_object__for_each_map(map, p->obj) {
		len = strlen(bpf_map__name(map));
		if (len >= slen && !strcmp(bpf_map__name(map) + len - slen, sec_name))
			*mapp = map;
	}
	id = btf ? btf__find_by_name_kind(btf, sec_name, BTF_KIND_DATASEC) : -1;
	GT_ASSERT(*mapp && id > 0, "%s: no %s", bpf_object__name(p->obj), sec_name);
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		if (strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off), var))
			continue;
		*off = vs->offset;
		*size = vs->size;
		return;
	}
	GT_ASSERT(0, "%s: no variable %s in %s", bpf_object__name(p->obj), var, sec_name);
}

/* A `const volatile` of the object, to set before load. */
static inline void *pol_rodata(struct pol *p, const char *var)
{
	struct bpf_map *map;
	uint32_t off, size;
	size_t total;
	char *data;

	pol_find_var(p, ".rodata", var, &map, &off, &size);
	data = bpf_map__initial_value(map, &total);
	GT_ASSERT(data && off + size <= total, "rodata image");
	return data + off;
}

/* The current value of a .bss integer of the loaded object, sign-extended. */
static inline int64_t pol_bss(struct pol *p, const char *var)
{
	struct bpf_map *map;
	uint32_t off, size, key = 0;
	unsigned char *buf;
	int64_t v = 0;

	pol_find_var(p, ".bss", var, &map, &off, &size);
	buf = calloc(1, bpf_map__value_size(map));
	GT_ASSERT(buf, "calloc");
	GT_ASSERT(bpf_map__lookup_elem(map, &key, sizeof(key), buf, bpf_map__value_size(map), 0) == 0,
		  "read .bss: %s", strerror(errno));
	switch (size) {
	case 1: v = *(int8_t *)(buf + off); break;
	case 2: v = *(int16_t *)(buf + off); break;
	case 4: v = *(int32_t *)(buf + off); break;
	case 8: v = *(int64_t *)(buf + off); break;
	default: GT_ASSERT(0, "%s: size %u", var, size);
	}
	free(buf);
	return v;
}

/* Set a .bss integer of the loaded object (a knob the test turns after load). */
static inline void pol_set_bss(struct pol *p, const char *var, uint64_t v)
{
	struct bpf_map *map;
	uint32_t off, size, key = 0;
	unsigned char *buf;

	pol_find_var(p, ".bss", var, &map, &off, &size);
	buf = calloc(1, bpf_map__value_size(map));
	GT_ASSERT(buf, "calloc");
	GT_ASSERT(bpf_map__lookup_elem(map, &key, sizeof(key), buf, bpf_map__value_size(map), 0) == 0,
		  "read .bss: %s", strerror(errno));
	GT_ASSERT(size <= 8, "%s: size %u", var, size);
	memcpy(buf + off, &v, size);	/* little endian */
	GT_ASSERT(bpf_map__update_elem(map, &key, sizeof(key), buf, bpf_map__value_size(map), 0) == 0,
		  "write .bss: %s", strerror(errno));
	free(buf);
}

static inline void pol_open(struct pol *p, const char *name)
{
	char path[256];
	struct bpf_map *map;

	memset(p, 0, sizeof(*p));
	snprintf(path, sizeof(path), BPF_DIR "/%s.bpf.o", name);
	p->obj = bpf_object__open_file(path, NULL);
	GT_ASSERT(p->obj, "open %s: %s", path, strerror(errno));
	bpf_object__for_each_map(map, p->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			p->ops = map;
	GT_ASSERT(p->ops, "%s: no struct_ops map", path);
}

static inline void pol_load(struct pol *p)
{
	int err = bpf_object__load(p->obj);

	GT_ASSERT(!err, "load %s: %s", bpf_object__name(p->obj), strerror(-err));
}

/* 0 or -errno of the attach (.reg). */
static inline int pol_attach(struct pol *p)
{
	p->link = bpf_map__attach_struct_ops(p->ops);
	return p->link ? 0 : -errno;
}

static inline void pol_detach(struct pol *p)
{
	GT_ASSERT(p->link, "not attached");
	GT_ASSERT(bpf_link__destroy(p->link) == 0, "detach");
	p->link = NULL;
}

static inline void pol_close(struct pol *p)
{
	if (p->link)
		pol_detach(p);
	bpf_object__close(p->obj);
}

/* Open, load and attach @name (NULL: stay with the built-in policy). */
static inline void pol_start(struct pol *p, const char *name)
{
	int err;

	memset(p, 0, sizeof(*p));
	if (!name)
		return;
	pol_open(p, name);
	pol_load(p);
	err = pol_attach(p);
	GT_ASSERT(!err, "attach %s: %s", name, strerror(-err));
}

static inline void pol_stop(struct pol *p)
{
	if (p->obj)
		pol_close(p);
}

static inline int silent_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

__attribute__((constructor)) static inline void gmt_bpf_quiet_libbpf(void)
{
	libbpf_set_print(silent_libbpf);
}

/* The user copy of struct gmem_ops member @member in @p's struct_ops map. */
static inline void *ops_member(struct pol *p, const char *member)
{
	struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_member *m;
	const struct btf_type *t;
	size_t size;
	char *data = bpf_map__initial_value(p->ops, &size);
	int id = btf ? btf__find_by_name_kind(btf, "gmem_ops", BTF_KIND_STRUCT) : -1;
	int i;

	GT_ASSERT(data && id > 0, "no struct gmem_ops data");
	t = btf__type_by_id(btf, id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return data + btf_member_bit_offset(t, i) / 8;
	GT_ASSERT(0, "no member %s", member);
	return NULL;
}

#endif /* GMEM_BPF_TEST_H */
