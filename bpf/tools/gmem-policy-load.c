// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-policy-load: attach a gmem BPF policy with plain libbpf.
 *
 *   gmem-policy-load [-v] [-s VAR=VALUE]... [-p DIR] POLICY.bpf.o
 *   gmem-policy-load -u PIN
 *
 * Opens the object, sets `const volatile` integers in its .rodata (-s),
 * loads it and attaches every struct_ops map in it through a BPF link. With
 * -p the links are pinned as DIR/<map name> and the tool exits, leaving the
 * policy attached; without it the tool stays in the foreground and detaches
 * on SIGINT/SIGTERM (or when killed: the kernel releases the link). -u removes
 * a pinned link, which detaches the policy once nothing else holds it.
 *
 * A bring-up and test tool; libgmempolicy/gmemctl are the user-facing way.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_SETS	16
#define MAX_LINKS	8

struct rodata_set {
	const char *name;
	long long value;
};

static int verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gmem-policy-load [-v] [-s VAR=VALUE]... [-p DIR] POLICY.bpf.o\n"
		   "       gmem-policy-load -u PIN\n"
		   "  -s VAR=VALUE  set a const volatile integer in .rodata before load\n"
		   "  -p DIR        pin the links under DIR (bpffs) and exit\n"
		   "  -u PIN        remove a pinned link (detaches the policy)\n"
		   "  -v            libbpf debug output\n");
}

static int parse_set(char *arg, struct rodata_set *s)
{
	char *eq = strchr(arg, '='), *end;

	if (!eq || eq == arg)
		return -EINVAL;
	*eq = '\0';
	errno = 0;
	s->value = strtoll(eq + 1, &end, 0);
	if (errno || *end || end == eq + 1)
		return -EINVAL;
	s->name = arg;
	return 0;
}

static struct bpf_map *find_rodata(struct bpf_object *obj)
{
	struct bpf_map *map;
	const char *name;
	size_t len;

	bpf_object__for_each_map(map, obj) {
		name = bpf_map__name(map);
		len = strlen(name);
		if (len >= 7 && !strcmp(name + len - 7, ".rodata"))
			return map;
	}
	return NULL;
}

/* Write @s into the .rodata image at the offset BTF gives for its variable. */
static int set_rodata(struct bpf_object *obj, const struct rodata_set *s)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var;
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map = find_rodata(obj);
	size_t size;
	char *data;
	int id, i;

	if (!btf || !map)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	data = bpf_map__initial_value(map, &size);
	if (id < 0 || !data)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), s->name))
			continue;
		if (vs->offset + vs->size > size)
			return -EINVAL;
		switch (vs->size) {
		case 1: { signed char v = s->value; memcpy(data + vs->offset, &v, 1); break; }
		case 2: { short v = s->value; memcpy(data + vs->offset, &v, 2); break; }
		case 4: { int v = s->value; memcpy(data + vs->offset, &v, 4); break; }
		case 8: memcpy(data + vs->offset, &s->value, 8); break;
		default: return -EINVAL;
		}
		return 0;
	}
	return -ENOENT;
}

static int pin_link(struct bpf_link *link, const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return bpf_link__pin(link, path);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int attach_all(struct bpf_object *obj, const char *pin_dir,
		      struct bpf_link **links, int *nr)
{
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		if (*nr == MAX_LINKS)
			return -E2BIG;
		links[*nr] = bpf_map__attach_struct_ops(map);
		if (!links[*nr]) {
			err = -errno;
			fprintf(stderr, "gmem-policy-load: attach %s: %s%s\n", bpf_map__name(map),
				strerror(-err), err == -EBUSY ?
				" (another policy is attached; see the kernel log)" : "");
			return err;
		}
		(*nr)++;
		if (pin_dir) {
			err = pin_link(links[*nr - 1], pin_dir, bpf_map__name(map));
			if (err) {
				fprintf(stderr, "gmem-policy-load: pin %s under %s: %s\n",
					bpf_map__name(map), pin_dir, strerror(-err));
				return err;
			}
		}
		printf("attached %s%s%s\n", bpf_map__name(map), pin_dir ? ", pinned under " : "",
		       pin_dir ? pin_dir : "");
	}
	return *nr ? 0 : -ENOENT;
}

static int load(const char *file, const char *pin_dir, const struct rodata_set *sets, int nr_sets)
{
	struct bpf_link *links[MAX_LINKS];
	struct bpf_object *obj;
	int err, i, nr = 0;

	obj = bpf_object__open_file(file, NULL);
	if (!obj) {
		err = -errno;
		fprintf(stderr, "gmem-policy-load: open %s: %s\n", file, strerror(-err));
		return err;
	}
	for (i = 0; i < nr_sets; i++) {
		err = set_rodata(obj, &sets[i]);
		if (err) {
			fprintf(stderr, "gmem-policy-load: -s %s: %s\n", sets[i].name,
				err == -ENOENT ? "no such .rodata variable" : "unsupported size");
			goto out;
		}
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "gmem-policy-load: load %s: %s\n", file, strerror(-err));
		goto out;
	}
	err = attach_all(obj, pin_dir, links, &nr);
	if (err == -ENOENT && !nr)
		fprintf(stderr, "gmem-policy-load: %s has no struct_ops map\n", file);
	if (err || pin_dir)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop)
		pause();
out:
	for (i = 0; i < nr; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	struct rodata_set sets[MAX_SETS];
	const char *pin_dir = NULL, *unpin = NULL;
	int opt, nr_sets = 0;

	while ((opt = getopt(argc, argv, "hvp:s:u:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 'p':
			pin_dir = optarg;
			break;
		case 'u':
			unpin = optarg;
			break;
		case 's':
			if (nr_sets == MAX_SETS || parse_set(optarg, &sets[nr_sets])) {
				fprintf(stderr, "gmem-policy-load: bad -s %s (VAR=integer, at most %d)\n",
					optarg, MAX_SETS);
				return 2;
			}
			nr_sets++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (unpin) {
		if (optind != argc || pin_dir || nr_sets) {
			usage(stderr);
			return 2;
		}
		if (unlink(unpin)) {
			fprintf(stderr, "gmem-policy-load: remove %s: %s\n", unpin, strerror(errno));
			return 1;
		}
		return 0;
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(print_libbpf);
	return load(argv[optind], pin_dir, sets, nr_sets) ? 1 : 0;
}
