// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_fuzz: a bounded, seeded random fuzzer of the /dev/gmem
 * and /dev/gmem_simN interfaces: every ioctl with structured-random
 * arguments (interesting values, addresses around mappings, bad and
 * straddling pointers, argument structs placed in gmem memory), random
 * command words, asynchronous jobs left in flight, and mmap/munmap/mprotect/
 * mremap of gmem mappings in a reserved arena. The oracle:
 *   - every call returns 0 or an errno from the documented set, and mmap
 *     succeeds exactly when its arguments are valid;
 *   - every N steps, with all jobs reaped, the counters of the core, the
 *     driver and the leak accounting agree (rel_check_counters());
 *   - a mapping the fuzzer never sees keeps its data on host and devices;
 *   - at the end nothing is left (objects, pages, HBM blocks), and the
 *     kernel log is clean (checked by the runner).
 * Reproduce a run with GMEM_FUZZ_SEED=<seed> (printed); GMEM_FUZZ_ITERS and
 * GMEM_FUZZ_SECS bound it (GMEM_STRESS=1 makes both much larger).
 */
/* Long runs under GMEM_STRESS (make stress) need more than the default. */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <sys/mman.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"

#define BS		REL_BS
#define PAGE		4096UL
#define NSLOT		6
#define SLOT		(8 * BS)
#define MAXJOBS		48
#define KERNEL_PTR	0xffff888000000000ULL
#define NONCANON	0x0000800000000000ULL
#define CHECK_EVERY	250

struct slot {
	uint8_t *start;		/* the gmem mapping, NULL while reserved */
	size_t len;
	int prot;
};

struct fuzz {
	uint64_t seed, iter;
	int gfd, sfd[2], dev[2];
	uint8_t *arena, *guard, *buf, *ro, *none, *edge;
	struct slot slot[NSLOT];
	uint64_t jobs[2][MAXJOBS];
	unsigned int njobs[2];
	unsigned long calls, errors, unexpected, checks;
	struct { const char *what; unsigned long ok, failed; } kind[24];
};

static uint64_t R(struct fuzz *z, uint64_t n)
{
	return rel_below(&z->seed, n);
}

static bool chance(struct fuzz *z, unsigned int pct)
{
	return R(z, 100) < pct;
}

/* --------------------------------------------------------------- values */

static const int ok_errs[] = {
	EINVAL, EFAULT, ENOTTY, ENOENT, ENODEV, ENOSPC, EBUSY, EAGAIN, E2BIG, ENOMEM,
};

static bool errno_ok(int e)
{
	unsigned int i;

	for (i = 0; i < sizeof(ok_errs) / sizeof(ok_errs[0]); i++)
		if (e == ok_errs[i])
			return true;
	return false;
}

/* Per kind of call: how many worked and failed (a generator that never lands is useless). */
static void count_kind(struct fuzz *z, int ret, const char *what)
{
	unsigned int i;

	for (i = 0; i < 24 && z->kind[i].what && strcmp(z->kind[i].what, what); i++)
		;
	if (i == 24)
		return;
	z->kind[i].what = what;
	if (ret)
		z->kind[i].failed++;
	else
		z->kind[i].ok++;
}

static void note(struct fuzz *z, int ret, const char *what)
{
	count_kind(z, ret, what);
	z->calls++;
	if (!ret)
		return;
	z->errors++;
	if (ret < 0 && errno_ok(-ret))
		return;
	if (z->unexpected++ < 10)
		gt_log("iteration %llu: %s returned %d (%s)", (unsigned long long)z->iter, what, ret,
		       ret < 0 ? strerror(-ret) : "?");
}

static struct slot *mapped_slot(struct fuzz *z)
{
	unsigned int i, k = R(z, NSLOT);

	for (i = 0; i < NSLOT; i++, k = (k + 1) % NSLOT)
		if (z->slot[k].start)
			return &z->slot[k];
	return NULL;
}

/* An address: near or in a fuzz mapping, in the arena's holes, or plainly bad. */
static uint64_t gen_addr(struct fuzz *z)
{
	struct slot *s = mapped_slot(z);
	uint64_t base = s ? (uintptr_t)s->start : (uintptr_t)z->arena;
	uint64_t len = s ? s->len : SLOT;

	switch (R(z, 12)) {
	case 0: return 0;
	case 1: return KERNEL_PTR + R(z, 1 << 20) * 8;
	case 2: return NONCANON + R(z, 4096);
	case 3: return (uintptr_t)z->arena + R(z, NSLOT * SLOT);	/* anywhere in the arena */
	case 4: return (uintptr_t)z->buf + R(z, PAGE);			/* plain memory */
	case 5: return base + len - 4 * (1 + R(z, 4));			/* the last words */
	case 6: return base + R(z, len) / 4 * 4;			/* word aligned */
	case 7: return base + R(z, len / PAGE) * PAGE + 1 + R(z, 3);	/* unaligned */
	default: return base + R(z, (len + BS - 1) / BS) * BS;	/* block start */
	}
}

static uint64_t gen_len(struct fuzz *z)
{
	switch (R(z, 14)) {
	case 0: return 0;
	case 1: return 1 + R(z, 3);
	case 2: return -4ULL;
	case 3: return UINT64_MAX;
	case 4: return 1ULL << (32 + R(z, 31));
	case 5: return BS + 4 * R(z, 3) - 4;
	case 6: return SLOT;
	case 7: return 2 * SLOT + PAGE;
	case 8: return R(z, 3 * SLOT);
	default: return 4 * (1 + R(z, SLOT / 4));
	}
}

/* A range inside one fuzz mapping, @align-aligned (false if none is mapped). */
static bool gen_range(struct fuzz *z, uint64_t align, __u64 *addr, __u64 *len)
{
	struct slot *s = mapped_slot(z);
	uint64_t off;

	if (!s || s->len < align)
		return false;
	off = R(z, s->len / align) * align;
	*addr = (uintptr_t)s->start + off;
	*len = align * (1 + R(z, (s->len - off) / align));
	return true;
}

static uint32_t gen_u32(struct fuzz *z)
{
	static const uint32_t v[] = { 0, 1, 2, 3, 7, 8, 9, 255, 0x7fffffff, 0x80000000, 0xffffffff };

	return chance(z, 80) ? v[R(z, sizeof(v) / sizeof(v[0]))] : (uint32_t)rel_rand(&z->seed);
}

static uint32_t gen_dev(struct fuzz *z)
{
	return chance(z, 70) ? (uint32_t)z->dev[R(z, 2)] : gen_u32(z);
}

/*
 * Where the argument struct of @size bytes goes: mostly the plain buffer,
 * sometimes gmem memory (its copy faults the block back under the ioctl),
 * or a pointer the kernel must refuse.
 */
static void *gen_argp(struct fuzz *z, size_t size, bool *valid)
{
	struct slot *s = mapped_slot(z);

	*valid = false;
	switch (R(z, 20)) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)(KERNEL_PTR + R(z, 4096));
	case 2: return z->none + R(z, PAGE);
	case 3: return z->edge + PAGE - 1 - R(z, size - 1);	/* runs into read-only memory */
	case 4: return (void *)(uintptr_t)NONCANON;
	case 5:
	case 6:
		if (s && (s->prot & PROT_WRITE) && s->len >= PAGE) {
			*valid = true;
			return s->start + R(z, s->len - size) / 8 * 8;
		}
		break;
	}
	*valid = true;
	return z->buf;
}

/* Fill @p with a mutated struct: start from random words, then fix some fields. */
static void scramble(struct fuzz *z, void *p, size_t size)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < size / 4; i++)
		w[i] = chance(z, 50) ? 0 : gen_u32(z);
}

/* -------------------------------------------------------------- ioctls */

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* Copy @tmpl to the chosen argument location (if writable) and call. */
static int call_with(struct fuzz *z, int fd, unsigned long cmd, const void *tmpl, size_t size)
{
	bool valid;
	void *arg = gen_argp(z, size, &valid);

	if (valid)
		memcpy(arg, tmpl, size);
	return do_ioctl(fd, cmd, arg);
}

static void fuzz_advise(struct fuzz *z)
{
	struct gmem_advise a;

	scramble(z, &a, sizeof(a));
	if (!chance(z, 50) || !gen_range(z, PAGE, &a.addr, &a.len)) {
		a.addr = gen_addr(z);
		a.len = chance(z, 70) ? (1 + R(z, 2 * SLOT / PAGE)) * PAGE : gen_len(z);
	}
	a.advice = chance(z, 85) ? 1 + R(z, GMEM_ADV_MAX) : gen_u32(z);
	a.dev = gen_dev(z);
	if (chance(z, 90))
		a.flags = 0;
	note(z, call_with(z, z->gfd, GMEM_IOC_ADVISE, &a, sizeof(a)), "ADVISE");
}

static void fuzz_info(struct fuzz *z)
{
	union {
		struct gmem_obj_info oi;
		struct gmem_obj_list lst;
		struct gmem_dev_info di;
		struct gmem_trace_read rd;
		struct gmem_policy_status st;
		uint32_t cap;
	} u;
	static const unsigned long plain[] = {
		GMEM_IOC_GLOBAL_STATS, GMEM_IOC_POLICY_STATUS, GMEM_IOC_NR_DEVICES,
		GMEM_IOC_TRACE_STOP,
	};

	scramble(z, &u, sizeof(u));
	switch (R(z, 7)) {
	case 0:
		u.oi.addr = chance(z, 70) ? gen_addr(z) : 0;
		u.oi.id = gen_u32(z) % 16;
		note(z, call_with(z, z->gfd, GMEM_IOC_OBJ_INFO, &u, sizeof(u.oi)), "OBJ_INFO");
		break;
	case 1:
		/* Output buffers only where the kernel may write. */
		u.lst.ids_ptr = chance(z, 70) ? (uintptr_t)z->buf + 2048 : gen_addr(z) | KERNEL_PTR;
		u.lst.capacity = chance(z, 70) ? R(z, 64) : gen_u32(z);
		note(z, call_with(z, z->gfd, GMEM_IOC_LIST_OBJECTS, &u, sizeof(u.lst)), "LIST");
		break;
	case 2:
		u.di.id = gen_dev(z);
		u.di.flags = chance(z, 80) ? 0 : gen_u32(z);
		note(z, call_with(z, z->gfd, GMEM_IOC_DEV_INFO, &u, sizeof(u.di)), "DEV_INFO");
		break;
	case 3:
		u.cap = chance(z, 60) ? 1 + R(z, 4096) : gen_u32(z) & ((1u << 23) - 1);
		note(z, call_with(z, z->gfd, GMEM_IOC_TRACE_START, &u, sizeof(u.cap)), "TRACE_START");
		break;
	case 4:
		u.rd.buf_ptr = chance(z, 70) ? (uintptr_t)z->buf + 1024 : gen_addr(z) | KERNEL_PTR;
		u.rd.capacity = chance(z, 70) ? R(z, (4 * PAGE - 1024) / 24) : gen_u32(z) | 0x100000;
		if (u.rd.buf_ptr == (uintptr_t)z->buf + 1024 && u.rd.capacity > 80)
			u.rd.capacity = 80;	/* what fits in the buffer */
		note(z, call_with(z, z->gfd, GMEM_IOC_TRACE_READ, &u, sizeof(u.rd)), "TRACE_READ");
		break;
	default:
		note(z, call_with(z, z->gfd, plain[R(z, 4)], &u, sizeof(u)), "query");
		break;
	}
}

/* Reap the oldest job of @n (its status is checked like any call). */
static void reap_one(struct fuzz *z, int n)
{
	struct gmem_sim_wait w;
	unsigned int i;
	int ret;

	if (!z->njobs[n])
		return;
	ret = gmt_sim_wait(z->sfd[n], z->jobs[n][0], &w);
	note(z, ret, "job");
	for (i = 1; i < z->njobs[n]; i++)
		z->jobs[n][i - 1] = z->jobs[n][i];
	z->njobs[n]--;
}

static void reap_all(struct fuzz *z)
{
	while (z->njobs[0] || z->njobs[1]) {
		reap_one(z, 0);
		reap_one(z, 1);
	}
}

static void fuzz_launch(struct fuzz *z)
{
	struct gmem_sim_access *rec = (void *)(z->buf + PAGE);
	struct gmem_sim_launch l;
	int n = R(z, 2), ret;
	unsigned int i, nrec = 1 + R(z, 32);
	bool valid;
	void *arg;

	scramble(z, &l, sizeof(l));
	l.op = chance(z, 90) ? 1 + R(z, GMEM_SIM_CHECKSUM) : gen_u32(z);
	l.flags = chance(z, 90) ? (chance(z, 30) ? GMEM_SIM_F_SYNC : 0) : gen_u32(z);
	l.x = gen_addr(z);
	l.y = gen_addr(z);
	l.len = gen_len(z);
	if (chance(z, 50) && gen_range(z, 4, &l.x, &l.len)) {
		/* y after x in the same mapping when it fits, else anywhere. */
		l.y = l.x + l.len;
		if (chance(z, 30))
			l.y = gen_addr(z);
	}
	l.compute_ns = chance(z, 90) ? R(z, 1000) : rel_rand(&z->seed);
	if (l.op == GMEM_SIM_TRACE) {
		for (i = 0; i < nrec; i++) {
			rec[i].addr = gen_addr(z);
			rec[i].len = chance(z, 90) ? 4 * (1 + R(z, 64)) : gen_u32(z);
			rec[i].write = chance(z, 95) ? R(z, 2) : gen_u32(z);
		}
		l.x = chance(z, 90) ? (uintptr_t)rec : gen_addr(z) | KERNEL_PTR;
		l.len = chance(z, 90) ? nrec : gen_len(z);
	}
	/* Keep our own table below the kernel's limit unless the point is to hit it. */
	if (z->njobs[n] == MAXJOBS)
		reap_one(z, n);
	arg = gen_argp(z, sizeof(l), &valid);
	if (valid)
		memcpy(arg, &l, sizeof(l));
	ret = do_ioctl(z->sfd[n], GMEM_SIM_IOC_LAUNCH, arg);
	note(z, ret, "LAUNCH");
	if (ret || !valid)
		return;
	memcpy(&l, arg, sizeof(l));
	if (l.flags & GMEM_SIM_F_SYNC || chance(z, 30)) {
		struct gmem_sim_wait w;

		note(z, gmt_sim_wait(z->sfd[n], l.seq, &w), "job");
	} else {
		z->jobs[n][z->njobs[n]++] = l.seq;
	}
}

static void fuzz_wait(struct fuzz *z)
{
	struct gmem_sim_wait w;
	int n = R(z, 2);

	if (z->njobs[n] && chance(z, 70)) {
		reap_one(z, n);
		return;
	}
	scramble(z, &w, sizeof(w));
	w.seq = chance(z, 50) ? R(z, 1 << 16) : rel_rand(&z->seed);
	/* A random seq may name a job we still track: it is reaped then, forget nothing. */
	if (w.seq && w.seq <= (1 << 16)) {
		unsigned int i;

		for (i = 0; i < z->njobs[n]; i++)
			if (z->jobs[n][i] == w.seq)
				return;
	}
	note(z, call_with(z, z->sfd[n], GMEM_SIM_IOC_WAIT, &w, sizeof(w)), "WAIT");
}

/* Command words nobody defined, or defined ones with the wrong size or direction. */
static void fuzz_raw(struct fuzz *z)
{
	static const unsigned char magic[] = { 'G', 'S', 'T', 0 };
	unsigned long cmd;
	bool valid;
	int fd = chance(z, 50) ? z->gfd : z->sfd[R(z, 2)], ret;
	void *arg = gen_argp(z, 256, &valid);

	if (chance(z, 70))
		cmd = _IOC(R(z, 4), magic[R(z, 4)], R(z, 32), R(z, 1 << 14));
	else
		cmd = (uint32_t)rel_rand(&z->seed);
	/* The real commands get structured arguments elsewhere. */
	if (cmd == GMEM_IOC_ADVISE || cmd == GMEM_IOC_OBJ_INFO || cmd == GMEM_IOC_LIST_OBJECTS ||
	    cmd == GMEM_IOC_DEV_INFO || cmd == GMEM_IOC_GLOBAL_STATS ||
	    cmd == GMEM_IOC_POLICY_STATUS || cmd == GMEM_IOC_TRACE_START ||
	    cmd == GMEM_IOC_TRACE_STOP || cmd == GMEM_IOC_TRACE_READ ||
	    cmd == GMEM_IOC_NR_DEVICES || cmd == GMEM_SIM_IOC_LAUNCH || cmd == GMEM_SIM_IOC_WAIT)
		return;
	if (valid)
		scramble(z, arg, 256);
	ret = do_ioctl(fd, cmd, arg);
	note(z, ret, "raw ioctl");
	if (ret != -ENOTTY && z->unexpected++ < 10)
		gt_log("iteration %llu: unknown command %#lx returned %d",
		       (unsigned long long)z->iter, cmd, ret);
}

/* ------------------------------------------------------------- mappings */

static void slot_reserve(struct fuzz *z, struct slot *s)
{
	uint8_t *at = z->arena + (s - z->slot) * SLOT;

	GT_ASSERT(mmap(at, SLOT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == at,
		  "re-reserve slot: %s", strerror(errno));
	s->start = NULL;
	s->len = 0;
}

static void slot_unmap(struct fuzz *z, struct slot *s)
{
	if (!s->start)
		return;
	GT_ASSERT(munmap(s->start, s->len) == 0, "munmap a whole mapping: %s", strerror(errno));
	slot_reserve(z, s);
}

static void unexpected(struct fuzz *z, const char *what)
{
	z->calls++;
	if (z->unexpected++ < 10)
		gt_log("iteration %llu: %s", (unsigned long long)z->iter, what);
}

/* mmap into a free slot; valid exactly when shared, offset 0, block-aligned. */
static void slot_map(struct fuzz *z, struct slot *s)
{
	static const uint64_t offs[] = { 0, 0, 0, 0, 0, 0, PAGE, BS, 3 * PAGE };
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };
	uint64_t off = offs[R(z, sizeof(offs) / sizeof(offs[0]))];
	uint8_t *at = z->arena + (s - z->slot) * SLOT + off;
	size_t len = chance(z, 95) ? PAGE * (1 + R(z, (SLOT - off) / PAGE)) : 0;
	int prot = prots[R(z, sizeof(prots) / sizeof(prots[0]))];
	int flags = MAP_FIXED | (chance(z, 90) ? MAP_SHARED : MAP_PRIVATE);
	off_t pgoff = chance(z, 90) ? 0 : (off_t)PAGE << R(z, 28);
	bool want = (flags & MAP_SHARED) && !pgoff && !((uintptr_t)at % BS) && len;
	void *p;

	if (chance(z, 10))
		flags |= MAP_POPULATE;
	p = mmap(at, len, prot, flags, z->gfd, pgoff);
	note(z, p == MAP_FAILED ? -errno : 0, "mmap");
	if ((p != MAP_FAILED) != want)
		unexpected(z, p == MAP_FAILED ? "a valid mmap failed" : "an invalid mmap worked");
	if (p == MAP_FAILED) {
		slot_reserve(z, s);	/* a failed MAP_FIXED may have unmapped the range */
		return;
	}
	s->start = p;
	s->len = len;
	s->prot = prot;
}

/* Without MAP_FIXED the kernel must hand out a block-aligned address. */
static void free_map(struct fuzz *z)
{
	size_t len = PAGE * (1 + R(z, 2 * SLOT / PAGE));
	uint8_t *p = gmt_map(z->gfd, len);

	note(z, p ? 0 : -errno, "mmap anywhere");
	if (!p)
		return;
	if ((uintptr_t)p % BS)
		unexpected(z, "mmap returned an address that is not block aligned");
	p[len - 1] = 1;
	GT_ASSERT(munmap(p, len) == 0, "munmap");
}

/* Whole-mapping operations work; anything that would split it is refused. */
static void slot_reshape(struct fuzz *z, struct slot *s)
{
	int ret, prot = chance(z, 50) ? PROT_READ | PROT_WRITE : PROT_READ;
	struct slot *t;
	void *q;

	switch (R(z, 4)) {
	case 0:
		if (s->len < 2 * PAGE)
			return;
		ret = munmap(s->start + PAGE, PAGE) ? -errno : 0;
		note(z, ret, "partial munmap");
		if (ret != -EINVAL)
			unexpected(z, "a partial munmap of a gmem mapping was not refused");
		break;
	case 1:
		if (s->len < 2 * PAGE)
			return;
		/* A different protection: an unchanged one needs no split and is a no-op. */
		prot = s->prot == PROT_READ ? PROT_READ | PROT_WRITE : PROT_READ;
		ret = mprotect(s->start + s->len - PAGE, PAGE, prot) ? -errno : 0;
		note(z, ret, "partial mprotect");
		if (ret != -EINVAL)
			unexpected(z, "a partial mprotect of a gmem mapping was not refused");
		break;
	case 2:
		ret = mprotect(s->start, s->len, prot) ? -errno : 0;
		note(z, ret, "mprotect");
		if (ret)
			unexpected(z, "mprotect of a whole gmem mapping failed");
		else
			s->prot = prot;
		break;
	default:
		/*
		 * Growing, or moving at the same size into a free slot (the same
		 * size in place is a no-op). MREMAP_FIXED unmaps the target first.
		 */
		t = &z->slot[R(z, NSLOT)];
		if (chance(z, 50) || t->start)
			q = mremap(s->start, s->len, s->len + PAGE, MREMAP_MAYMOVE);
		else
			q = mremap(s->start, s->len, s->len, MREMAP_MAYMOVE | MREMAP_FIXED,
				   z->arena + (t - z->slot) * SLOT);
		note(z, q == MAP_FAILED ? -errno : 0, "mremap");
		if (q != MAP_FAILED)
			unexpected(z, "mremap of a gmem mapping worked");
		if (!t->start)
			slot_reserve(z, t);
		break;
	}
}

/* CPU accesses, zapped PTEs and /proc/self/mem all see the same data. */
static void slot_touch(struct fuzz *z, struct slot *s)
{
	uint32_t *w = (uint32_t *)(s->start + R(z, s->len / 4) * 4), v = rel_rand(&z->seed), r = 0;
	int mem, how = R(z, 3);

	if (!(s->prot & PROT_WRITE)) {
		if (s->prot & PROT_READ)
			(void)*(volatile uint32_t *)w;
		return;
	}
	reap_all(z);		/* a job still running could write the word too */
	*w = v;
	switch (how) {
	case 0:
		note(z, madvise(s->start, s->len, MADV_DONTNEED) ? -errno : 0, "MADV_DONTNEED");
		break;
	case 1:
		mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
		if (mem >= 0) {
			v = ~v;
			if (pwrite(mem, &v, 4, (off_t)(uintptr_t)w) != 4 ||
			    pread(mem, &r, 4, (off_t)(uintptr_t)w) != 4 || r != v)
				unexpected(z, "/proc/self/mem does not see gmem memory");
			close(mem);
		}
		break;
	default:
		/* Send the block to a device and read the word back from there. */
		note(z, gmt_advise(z->gfd, (void *)((uintptr_t)w & ~(PAGE - 1)), PAGE,
				   GMEM_ADV_WILLNEED, z->dev[R(z, 2)], 0), "WILLNEED");
		break;
	}
	if (*(volatile uint32_t *)w != v) {
		static const char *const after[] = { "MADV_DONTNEED", "/proc/self/mem", "WILLNEED" };
		char msg[96];

		snprintf(msg, sizeof(msg), "a CPU write was lost after %s", after[how]);
		unexpected(z, msg);
	}
}

static void fuzz_map_op(struct fuzz *z)
{
	struct slot *s = &z->slot[R(z, NSLOT)];

	if (!s->start) {
		if (chance(z, 85))
			slot_map(z, s);
		else
			free_map(z);
		return;
	}
	switch (R(z, 10)) {
	case 0:
	case 1:
		slot_unmap(z, s);
		break;
	case 2:
	case 3:
		slot_reshape(z, s);
		break;
	default:
		slot_touch(z, s);
		break;
	}
}

/* ----------------------------------------------------------------- driver */

static void fuzz_step(struct fuzz *z)
{
	unsigned int r = R(z, 100);

	if (r < 20)
		fuzz_advise(z);
	else if (r < 36)
		fuzz_info(z);
	else if (r < 62)
		fuzz_launch(z);
	else if (r < 70)
		fuzz_wait(z);
	else if (r < 80)
		fuzz_raw(z);
	else
		fuzz_map_op(z);
}

static void fuzz_check(struct fuzz *z, const char *when)
{
	char what[64];
	int d;

	reap_all(z);
	/*
	 * A job whose launch struct sat in gmem memory may have overwritten
	 * its own seq before we read it back: such a job is not tracked.
	 * Closing the file waits for (and cancels) whatever is left.
	 */
	for (d = 0; d < 2; d++) {
		close(z->sfd[d]);
		z->sfd[d] = gmt_sim_open(d);
		GT_ASSERT(z->sfd[d] >= 0, "reopen gmem_sim%d", d);
	}
	snprintf(what, sizeof(what), "%s %llu", when, (unsigned long long)z->iter);
	z->checks++;
	GT_ASSERT(rel_check_counters(z->gfd, what) == 0,
		  "counters disagree at iteration %llu (seed %#llx)", (unsigned long long)z->iter,
		  (unsigned long long)rel_env_ul("GMEM_FUZZ_SEED", 0x676d656d));
}

static void fuzz_open(struct fuzz *z)
{
	uint8_t *p;
	int i;

	rel_setup();
	z->gfd = gmt_open_gmem();
	GT_ASSERT(z->gfd >= 0, "open /dev/gmem");
	for (i = 0; i < 2; i++) {
		z->sfd[i] = gmt_sim_open(i);
		z->dev[i] = gmt_sim_gmem_id(i);
		GT_ASSERT(z->sfd[i] >= 0 && z->dev[i] >= 0, "gmem_sim%d", i);
	}
	p = mmap(NULL, NSLOT * SLOT + SLOT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	GT_ASSERT(p != MAP_FAILED, "arena");
	z->arena = (uint8_t *)(((uintptr_t)p + SLOT - 1) & ~(uintptr_t)(SLOT - 1));
	p = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	GT_ASSERT(p != MAP_FAILED, "buffers");
	memset(p, 0, 6 * PAGE);
	z->buf = p;			/* 3 pages of arguments and outputs */
	z->ro = p + 3 * PAGE;
	z->none = p + 4 * PAGE;
	z->edge = p + 2 * PAGE;		/* its next page is @ro: read-only */
	GT_ASSERT(mprotect(z->ro, PAGE, PROT_READ) == 0 && mprotect(z->none, 2 * PAGE, PROT_NONE) == 0,
		  "mprotect");
	z->guard = gmt_map(z->gfd, 4 * BS);
	GT_ASSERT(z->guard, "guard");
	gmt_fill_pat((uint32_t *)z->guard, 4 * BS / 4, 99);
	GT_ASSERT(gmt_advise(z->gfd, z->guard, BS, GMEM_ADV_WILLNEED, z->dev[0], 0) == 0, "guard0");
	GT_ASSERT(gmt_advise(z->gfd, z->guard + BS, BS, GMEM_ADV_WILLNEED, z->dev[1], 0) == 0,
		  "guard1");
}

/* The guard mapping (never handed to the fuzzer) still holds its data everywhere. */
static void fuzz_check_guard(struct fuzz *z)
{
	uint64_t want = gmt_fnv1a(NULL, 0, GMT_FNV_BASIS), h0 = 0, h1 = 0;
	uint32_t *ref = malloc(4 * BS);

	GT_ASSERT(ref, "malloc");
	gmt_fill_pat(ref, 4 * BS / 4, 99);
	want = gmt_fnv1a(ref, 4 * BS, GMT_FNV_BASIS);
	free(ref);
	GT_EXPECT(gmt_sim_checksum(z->sfd[0], z->guard, 4 * BS, &h0) == 0 && h0 == want,
		  "guard data wrong on device 0");
	GT_EXPECT(gmt_sim_checksum(z->sfd[1], z->guard, 4 * BS, &h1) == 0 && h1 == want,
		  "guard data wrong on device 1");
	GT_EXPECT(gmt_check_pat((uint32_t *)z->guard, 4 * BS / 4, 99) < 0, "guard data wrong on the CPU");
}

GT_TEST(random_ioctls)
{
	uint64_t seed = rel_env_ul("GMEM_FUZZ_SEED", 0x676d656d);
	unsigned long iters = rel_env_ul("GMEM_FUZZ_ITERS", rel_scale(20000, 100));
	double secs = rel_env_ul("GMEM_FUZZ_SECS", rel_scale(25, 36));
	double t0 = gmt_now();
	struct fuzz z;
	int i;

	memset(&z, 0, sizeof(z));
	z.seed = seed;
	fuzz_open(&z);
	gt_log("seed %#llx, up to %lu iterations or %.0f s (reproduce: GMEM_FUZZ_SEED=%#llx)",
	       (unsigned long long)seed, iters, secs, (unsigned long long)seed);
	for (z.iter = 0; z.iter < iters && gmt_now() - t0 < secs; z.iter++) {
		fuzz_step(&z);
		if (z.iter % CHECK_EVERY == CHECK_EVERY - 1)
			fuzz_check(&z, "iteration");
	}
	fuzz_check(&z, "end, iteration");
	do_ioctl(z.gfd, GMEM_IOC_TRACE_STOP, NULL);
	for (i = 0; i < NSLOT; i++)
		slot_unmap(&z, &z.slot[i]);
	fuzz_check_guard(&z);
	gt_log("%llu iterations in %.1f s: %lu calls, %lu failed cleanly, %lu unexpected, %lu checks",
	       (unsigned long long)z.iter, gmt_now() - t0, z.calls, z.errors, z.unexpected, z.checks);
	for (i = 0; i < 24 && z.kind[i].what; i++)
		gt_log("  %-16s %6lu worked %6lu failed", z.kind[i].what, z.kind[i].ok,
		       z.kind[i].failed);
	rel_add(bad_inputs, z.errors);
	GT_EXPECT(z.unexpected == 0, "unexpected results (seed %#llx)", (unsigned long long)seed);
	GT_EXPECT(z.errors > z.iter / 4, "too few calls failed: the generator is too tame");
	GT_EXPECT(z.calls - z.errors > z.iter / 10, "too few calls succeeded: it tests nothing");
	munmap(z.guard, 4 * BS);
	close(z.sfd[0]);
	close(z.sfd[1]);
	GT_EXPECT(rel_check_counters(z.gfd, "after close") == 0, "counters");
	close(z.gfd);
	rel_no_leak();
}

GT_TEST(summary)
{
	gt_log("reliability: bad_inputs=%llu", rel_get(bad_inputs));
	GT_ASSERT(rel_get(bad_inputs) > 0, "no invalid input was tried");
}

GT_MAIN()
