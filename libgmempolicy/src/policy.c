// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Policy objects: open, tunables, load, attach, wait, close.
 *
 * A policy is a BPF object with one struct_ops map of type gmem_ops in
 * SEC(".struct_ops.link"); attaching it creates a bpf_link, and the policy is
 * in charge exactly as long as that link lives (an fd here, or a bpffs pin,
 * see pin.c).
 *
 * libbpf reports through one process-wide print callback. The library must
 * not print, so around each libbpf call it installs a capturing callback
 * that appends to the policy's message buffer. Locking: print_lock
 * serializes those sections (the callback pointer is global); `capturing`
 * is thread-local so that other threads' libbpf messages, should they use
 * libbpf concurrently, still reach the previous callback.
 * The kernel verifier log goes to a buffer given to libbpf at open
 * (kernel_log_buf), which libbpf fills on a failed load instead of printing.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "policy.h"

#define VLOG_SIZE	(1u << 20)	/* the tail of a long rejection is what matters */
#define MSGS_MAX	(64u << 10)
#define WAIT_SLICE_MS	250

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static libbpf_print_fn_t prev_print;
static __thread struct gmem_policy *capturing;

void gm_policy_note(struct gmem_policy *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;
	char *nb;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (!n || p->msgs_len + n + 2 > MSGS_MAX)
		return;
	if (p->msgs_len + n + 2 > p->msgs_cap) {
		nb = realloc(p->msgs, p->msgs_len + n + 2 + 1024);
		if (!nb)
			return;
		p->msgs = nb;
		p->msgs_cap = p->msgs_len + n + 2 + 1024;
	}
	memcpy(p->msgs + p->msgs_len, line, n);
	p->msgs_len += n;
	if (line[n - 1] != '\n')
		p->msgs[p->msgs_len++] = '\n';
	p->msgs[p->msgs_len] = '\0';
}

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (!capturing)
		return prev_print ? prev_print(level, fmt, ap) : 0;
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	gm_policy_note(capturing, "%s", line);
	return 0;
}

static void capture_begin(struct gmem_policy *p)
{
	pthread_mutex_lock(&print_lock);
	prev_print = libbpf_set_print(capture_print);
	capturing = p;
}

static void capture_end(void)
{
	capturing = NULL;
	libbpf_set_print(prev_print);
	pthread_mutex_unlock(&print_lock);
}

/* libbpf's own error codes (-4000 and below) mean a malformed object. */
static int norm_err(int err)
{
	return err <= -4000 ? -EINVAL : err;
}

static bool is_gmem_ops(const struct btf *btf, const struct bpf_map *map)
{
	const struct btf_type *t;

	if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS || !btf)
		return false;
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	return t && !strcmp(btf__name_by_offset(btf, t->name_off), GMEM_STRUCT_OPS_TYPE);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* The one gmem_ops map and the .rodata map; -ENOTSUP unless exactly one gmem_ops. */
static int find_maps(struct gmem_policy *p)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	struct bpf_map *map;
	int nr_ops = 0;

	bpf_object__for_each_map(map, p->obj) {
		if (is_gmem_ops(btf, map)) {
			p->ops_map = map;
			nr_ops++;
		} else if (bpf_map__is_internal(map) && ends_with(bpf_map__name(map), ".rodata")) {
			p->rodata = map;
		}
	}
	if (nr_ops != 1) {
		gm_policy_note(p, "%s: %d struct_ops maps of type %s, a policy has exactly one",
			       p->path, nr_ops, GMEM_STRUCT_OPS_TYPE);
		return -ENOTSUP;
	}
	if (!(bpf_map__map_flags(p->ops_map) & BPF_F_LINK)) {
		gm_policy_note(p, "%s: map %s must be in SEC(\".struct_ops.link\")",
			       p->path, bpf_map__name(p->ops_map));
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Descriptions of the shipped policies that do not carry a gmem_desc string
 * themselves. A policy's own gmem_desc always wins; this table only keeps
 * `gmemctl policies` informative for objects built before they had one.
 */
static const struct {
	const char *name, *desc;
} shipped_desc[] = {
	{ "example_fifo",	"FIFO eviction in arrival order (the smallest policy)" },
	{ "lru_cold",		"LRU eviction by device access recency" },
	{ "stride_prefetch",	"per-object stride detection with confidence-driven prefetch" },
	{ "llm_layer",		"layer-aware prefetch and eviction for LLM training/decode" },
	{ "uvm_like",		"model of NVIDIA UVM defaults (2 MiB LRU, density prefetch)" },
};

static int table_desc(struct gmem_policy *p)
{
	size_t i;

	for (i = 0; i < sizeof(shipped_desc) / sizeof(shipped_desc[0]); i++) {
		if (strcmp(shipped_desc[i].name, p->name))
			continue;
		p->desc = strdup(shipped_desc[i].desc);
		return p->desc ? 0 : -ENOMEM;
	}
	return 0;
}

/* Tunables and the description, from .rodata's BTF. */
static int read_rodata(struct gmem_policy *p)
{
	size_t size = 0;
	char *data;
	int n, i;

	if (!p->rodata)
		return 0;
	data = bpf_map__initial_value(p->rodata, &size);
	if (!data)
		return 0;
	n = gm_tunables_scan(bpf_object__btf(p->obj), size, &p->tun);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (strcmp(p->tun[i].name, GMEM_DESC_VAR) || p->tun[i].type != GMEM_TUN_STR)
			continue;
		p->desc = strndup(data + p->tun[i].off, p->tun[i].size);
		if (!p->desc)
			return -ENOMEM;
		memmove(&p->tun[i], &p->tun[i + 1], (size_t)(n - i - 1) * sizeof(*p->tun));
		n--;
		break;
	}
	p->nr_tun = n;
	return 0;
}

static int open_object(struct gmem_policy *p)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts,
		.kernel_log_buf = p->vlog,
		.kernel_log_size = VLOG_SIZE,
		.kernel_log_level = 0,	/* libbpf retries a failed load with level 1 */
	);
	int err;

	capture_begin(p);
	p->obj = bpf_object__open_file(p->path, &opts);
	err = p->obj ? 0 : -errno;
	capture_end();
	if (err == -ENOENT || err == -EACCES || err == -ENOMEM)
		return err;
	if (err) {
		p->obj = NULL;
		return -ENOTSUP;	/* not ELF, not BPF, or broken BTF */
	}
	err = find_maps(p);
	if (!err)
		err = read_rodata(p);
	if (!err && !p->desc)
		err = table_desc(p);
	return err;
}

int gmem_policy_open(const char *name_or_path, struct gmem_policy **out)
{
	struct gmem_policy *p;
	char path[4096];
	int err;

	if (!out)
		return -EINVAL;
	err = gmem_policy_find(name_or_path, path, sizeof(path));
	if (err)
		return err;
	if (access(path, R_OK))
		return -errno;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->path = strdup(path);
	p->vlog = calloc(1, VLOG_SIZE);
	err = !p->path || !p->vlog ? -ENOMEM : gm_policy_name_of(path, p->name, sizeof(p->name));
	if (!err)
		err = open_object(p);
	if (err) {
		gmem_policy_close(p);
		return err;
	}
	*out = p;
	return 0;
}

void gmem_policy_close(struct gmem_policy *p)
{
	if (!p)
		return;
	/* A pinned link keeps its own reference: closing ours leaves it attached. */
	if (p->link)
		bpf_link__destroy(p->link);
	bpf_object__close(p->obj);
	free(p->tun);
	free(p->desc);
	free(p->vlog);
	free(p->msgs);
	free(p->path);
	free(p);
}

const char *gmem_policy_name(const struct gmem_policy *p)
{
	return p->name;
}

const char *gmem_policy_path(const struct gmem_policy *p)
{
	return p->path;
}

const char *gmem_policy_desc(const struct gmem_policy *p)
{
	return p->desc ? p->desc : "";
}

const char *gmem_policy_verifier_log(const struct gmem_policy *p)
{
	return p->vlog ? p->vlog : "";
}

const char *gmem_log_tail(const char *log, int lines, size_t *len)
{
	const char *end = log + strlen(log), *s;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (s = end; s > log; s--)
		if (s[-1] == '\n' && --lines <= 0)
			break;
	*len = (size_t)(end - s);
	return s;
}

const char *gmem_policy_messages(const struct gmem_policy *p)
{
	return p->msgs ? p->msgs : "";
}

int gmem_policy_nr_tunables(const struct gmem_policy *p)
{
	return p->nr_tun;
}

int gmem_policy_tunable(const struct gmem_policy *p, int idx, struct gmem_tunable_info *out)
{
	const struct gm_tunable *t;
	size_t size;
	const void *data;

	if (idx < 0 || idx >= p->nr_tun)
		return -ERANGE;
	t = &p->tun[idx];
	data = bpf_map__initial_value(p->rodata, &size);
	memset(out, 0, sizeof(*out));
	strcpy(out->name, t->name);
	out->type = t->type;
	out->size = t->size;
	if (data)
		gm_tunable_format(t, data, out->value, sizeof(out->value));
	return 0;
}

int gmem_policy_set(struct gmem_policy *p, const char *key, const char *value)
{
	size_t size;
	void *data;
	int i;

	if (p->load_tried)
		return -EALREADY;
	if (!key || !value)
		return -EINVAL;
	for (i = 0; i < p->nr_tun; i++)
		if (!strcmp(p->tun[i].name, key))
			break;
	if (i == p->nr_tun)
		return -ENOENT;
	data = bpf_map__initial_value(p->rodata, &size);
	if (!data)
		return -ENOENT;
	return gm_tunable_store(&p->tun[i], data, value);
}

int gmem_policy_set_kv(struct gmem_policy *p, const char *kv)
{
	char key[GMEM_POLICY_NAME_MAX];
	const char *value;
	int err;

	err = gmem_parse_kv(kv, key, sizeof(key), &value);
	if (err == -ENAMETOOLONG)
		return -ENOENT;		/* longer than any tunable name */
	return err ? err : gmem_policy_set(p, key, value);
}

/*
 * Does the caller hold CAP_BPF and CAP_SYS_ADMIN? Without CAP_SYS_ADMIN libbpf
 * cannot even read module BTF and fails with a misleading -EINVAL, so a failed
 * load is reported as -EPERM when these are missing.
 */
static bool have_policy_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return true;	/* cannot tell: let the kernel's answer stand */
	return (data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN)) &&
	       (data[CAP_TO_INDEX(CAP_BPF)].effective & CAP_TO_MASK(CAP_BPF));
}

int gmem_policy_load(struct gmem_policy *p)
{
	int err;

	if (p->load_tried)
		return -EALREADY;	/* libbpf cannot retry a failed load either */
	if (!gm_dev_present())
		return -ENODEV;
	p->vlog[0] = '\0';
	p->load_tried = true;
	capture_begin(p);
	err = bpf_object__load(p->obj);
	capture_end();
	if (!err) {
		p->loaded = true;
		return 0;
	}
	/* The module went away between the check and the load. */
	if (!gm_dev_present() || (p->msgs && strstr(p->msgs, "not found in kernel BTF")))
		return -ENODEV;
	if (!have_policy_caps())
		return -EPERM;
	return norm_err(err);
}

int gmem_policy_attach(struct gmem_policy *p)
{
	struct gmem_policy_status st;
	int err;

	if (!p->loaded)
		return -EINVAL;
	if (p->link)
		return -EALREADY;
	capture_begin(p);
	p->link = bpf_map__attach_struct_ops(p->ops_map);
	err = p->link ? 0 : -errno;
	capture_end();
	if (err) {
		p->link = NULL;
		return norm_err(err);
	}
	p->kvalue_set = true;	/* libbpf gave the map its value */
	/* Which attach was ours: gmem_policy_wait() watches for a later one. */
	if (p->cgroup_id)
		p->attach_seq = gm_cgroup_attach_since(p->cgroup_id);
	else if (!gmem_policy_status(&st))
		p->attach_seq = st.loads;
	p->poll_ok = true;
	return 0;
}

/* Still in charge? 1 yes, 0 no, or -errno. */
static int still_active(const struct gmem_policy *p)
{
	struct gmem_policy_status st;
	int err;

	if (p->cgroup_id)	/* a cgroup attachment is known by its attach time */
		return p->attach_seq && gm_cgroup_attach_since(p->cgroup_id) == p->attach_seq;
	err = gmem_policy_status(&st);
	if (err)
		return err;
	return st.active && st.loads == p->attach_seq;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gmem_policy_wait(struct gmem_policy *p, int timeout_ms, const void *sigmask)
{
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
	struct pollfd pfd;
	int ret, slice;

	if (!p->link)
		return -EINVAL;
	for (;;) {
		ret = still_active(p);
		if (ret <= 0)
			return ret < 0 ? ret : 1;
		if (now_ms() >= deadline)
			return 0;
		slice = (int)(deadline - now_ms() < WAIT_SLICE_MS ? deadline - now_ms() : WAIT_SLICE_MS);
		/*
		 * A struct_ops link fd reports POLLHUP once detached (6.9+);
		 * ejection by the kernel leaves the link, so status is polled too.
		 */
		pfd.fd = p->poll_ok ? bpf_link__fd(p->link) : -1;
		pfd.events = 0;
		pfd.revents = 0;
		ret = ppoll(&pfd, 1, &(struct timespec){ slice / 1000, (slice % 1000) * 1000000L },
			    sigmask);
		if (ret < 0 && errno == EINTR)
			return -EINTR;
		if (ret > 0 && (pfd.revents & POLLHUP))
			return 1;
		if (ret > 0)		/* no link poll support here: just sleep */
			p->poll_ok = false;
	}
}
