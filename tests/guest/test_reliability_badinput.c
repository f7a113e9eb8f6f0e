// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_badinput: every ioctl of /dev/gmem and /dev/gmem_simN
 * with invalid and boundary arguments. Each invalid call must fail with the
 * documented errno and change nothing: afterwards every counter of the core,
 * the objects, the policy status and the data are exactly as before. The
 * boundary cases that are valid (argument structs living in gmem memory that
 * is on a device, ranges spanning two mappings, the per-file job limit) must
 * work. A last test unmaps a range from one thread while others hit it with
 * hints and device work.
 *
 * Memory layout used by the table (blocks of REL_BS):
 *   A = 4 blocks, B = 4 blocks right after A (two objects, adjacent),
 *   then a hole; C = 2 blocks followed by a page of plain anonymous memory.
 */
/* Long runs under GMEM_STRESS (make stress) need more than the default. */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <pthread.h>
#include <sys/uio.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"

#define BS		REL_BS
#define KERNEL_PTR	0xffff888000000000ULL
#define PAGE		4096UL

struct fix {
	int gfd, sfd[2], dev[2];
	uint8_t *a, *b, *c, *hole;	/* hole: BS unmapped after B */
	uint8_t *ro;			/* a read-only page */
	uint8_t *none;			/* a PROT_NONE page */
	uint8_t *edge;			/* RW page followed by @none-like page */
};

/* An invalid ioctl: must fail with @want. */
static void bad(int fd, unsigned long cmd, const void *arg, int want, const char *what)
{
	int r, e;

	errno = 0;
	r = ioctl(fd, cmd, arg);
	e = errno;
	rel_add(bad_inputs, 1);
	GT_EXPECT(r == -1 && e == want, "%s: returned %d, errno %d (%s), want %d (%s)",
		  what, r, e, strerror(e), want, strerror(want));
}

/* A valid boundary case: must succeed. */
static void good(int fd, unsigned long cmd, void *arg, const char *what)
{
	GT_EXPECT(ioctl(fd, cmd, arg) == 0, "%s: %s", what, strerror(errno));
}

/* Page-aligned PROT_NONE reservation of @len bytes aligned to @align. */
static uint8_t *reserve(size_t len, size_t align)
{
	uint8_t *p = mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	GT_ASSERT(p != MAP_FAILED, "reserve: %s", strerror(errno));
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((uint8_t *)a + len, (uintptr_t)p + align - a);
	return (uint8_t *)a;
}

static uint8_t *gmap_at(int gfd, uint8_t *at, size_t len)
{
	void *p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, gfd, 0);

	GT_ASSERT(p == at, "mmap gmem at %p: %s", (void *)at, strerror(errno));
	return p;
}

static void fix_open(struct fix *f)
{
	uint8_t *r;
	int i;

	rel_setup();
	memset(f, 0, sizeof(*f));
	f->gfd = gmt_open_gmem();
	GT_ASSERT(f->gfd >= 0, "open /dev/gmem: %d", f->gfd);
	for (i = 0; i < 2; i++) {
		f->sfd[i] = gmt_sim_open(i);
		f->dev[i] = gmt_sim_gmem_id(i);
		GT_ASSERT(f->sfd[i] >= 0 && f->dev[i] >= 0, "gmem_sim%d", i);
	}
	r = reserve(12 * BS, BS);
	f->a = gmap_at(f->gfd, r, 4 * BS);
	f->b = gmap_at(f->gfd, r + 4 * BS, 4 * BS);
	f->hole = r + 8 * BS;
	munmap(f->hole, BS);
	f->c = gmap_at(f->gfd, r + 10 * BS, 2 * BS);
	GT_ASSERT(mmap(r + 9 * BS, BS, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
		  != MAP_FAILED, "guard");
	/* Plain memory right after C: reuse the reservation's tail. */
	r = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	GT_ASSERT(r != MAP_FAILED, "mmap anon");
	f->ro = r;
	f->none = r + PAGE;
	f->edge = r + 2 * PAGE;
	memset(r, 0, 4 * PAGE);
	GT_ASSERT(mprotect(f->ro, PAGE, PROT_READ) == 0 && mprotect(f->none, PAGE, PROT_NONE) == 0 &&
		  mprotect(f->edge + PAGE, PAGE, PROT_NONE) == 0, "mprotect");
	gmt_fill_pat((uint32_t *)f->a, 4 * BS / 4, 11);
	gmt_fill_pat((uint32_t *)f->b, 4 * BS / 4, 12);
	gmt_fill_pat((uint32_t *)f->c, 2 * BS / 4, 13);
	/* Some of it on each device, so rejected calls have residency to disturb. */
	GT_ASSERT(gmt_advise(f->gfd, f->a, 2 * BS, GMEM_ADV_WILLNEED, f->dev[0], 0) == 0, "A->dev0");
	GT_ASSERT(gmt_advise(f->gfd, f->b, 2 * BS, GMEM_ADV_WILLNEED, f->dev[1], 0) == 0, "B->dev1");
}

static void fix_check_data(struct fix *f)
{
	GT_EXPECT(gmt_check_pat((uint32_t *)f->a, 4 * BS / 4, 11) < 0, "A changed");
	GT_EXPECT(gmt_check_pat((uint32_t *)f->b, 4 * BS / 4, 12) < 0, "B changed");
	GT_EXPECT(gmt_check_pat((uint32_t *)f->c, 2 * BS / 4, 13) < 0, "C changed");
}

static void fix_close(struct fix *f)
{
	GT_EXPECT(rel_check_counters(f->gfd, "teardown") == 0, "counters");
	munmap(f->a, 4 * BS);
	munmap(f->b, 4 * BS);
	munmap(f->c, 2 * BS);
	munmap(f->hole + BS, BS);
	munmap(f->ro, 4 * PAGE);
	close(f->sfd[0]);
	close(f->sfd[1]);
	close(f->gfd);
	rel_no_leak();
}

/* Everything an invalid call could disturb. */
struct snap {
	struct gmem_stats total, obj[3];
	struct gmem_policy_status pol;
	struct gmt_live live;
	uint64_t hbm[2];
};

static void snap_take(struct fix *f, struct snap *s)
{
	struct gmem_obj_info oi;
	struct gmem_dev_info di;
	uint8_t *m[3] = { f->a, f->b, f->c };
	int i;

	memset(s, 0, sizeof(*s));
	GT_ASSERT(gmt_wait_copies(f->gfd) == 0, "copies still in flight");
	GT_ASSERT(ioctl(f->gfd, GMEM_IOC_GLOBAL_STATS, &s->total) == 0, "GLOBAL_STATS");
	GT_ASSERT(ioctl(f->gfd, GMEM_IOC_POLICY_STATUS, &s->pol) == 0, "POLICY_STATUS");
	GT_ASSERT(gmt_live_read(&s->live) == 0, "live");
	for (i = 0; i < 3; i++) {
		GT_ASSERT(gmt_obj_info(f->gfd, m[i], &oi) == 0, "OBJ_INFO");
		s->obj[i] = oi.stats;
	}
	for (i = 0; i < 2; i++) {
		GT_ASSERT(gmt_dev_info(f->gfd, f->dev[i], &di) == 0, "DEV_INFO");
		s->hbm[i] = di.hbm_used_bytes;
	}
}

static void snap_same(struct fix *f, const struct snap *before, const char *what)
{
	struct snap now;

	snap_take(f, &now);
	GT_EXPECT(!memcmp(&now.total, &before->total, sizeof(now.total)),
		  "%s: global statistics changed", what);
	GT_EXPECT(!memcmp(now.obj, before->obj, sizeof(now.obj)), "%s: object statistics changed",
		  what);
	GT_EXPECT(!memcmp(&now.pol, &before->pol, sizeof(now.pol)), "%s: policy status changed",
		  what);
	GT_EXPECT(!memcmp(&now.live, &before->live, sizeof(now.live)),
		  "%s: live objects/pages/blocks changed", what);
	GT_EXPECT(!memcmp(now.hbm, before->hbm, sizeof(now.hbm)), "%s: HBM use changed", what);
}

static void advise_bad(struct fix *f, uint64_t addr, uint64_t len, uint32_t adv, uint32_t dev,
		       uint64_t flags, int want, const char *what)
{
	struct gmem_advise a = { .addr = addr, .len = len, .advice = adv, .dev = dev,
				 .flags = flags };

	bad(f->gfd, GMEM_IOC_ADVISE, &a, want, what);
}

/* Unknown commands, other drivers' commands, right numbers with wrong sizes. */
static void unknown_commands(struct fix *f)
{
	static const unsigned long gm[] = {
		0, 0xffffffffUL, _IO('G', 0), _IO('G', 11), _IO('G', 255),
		_IOR('G', 1, struct gmem_advise), _IOW('G', 2, __u32),
		_IOWR('G', 10, __u64), _IOWR('S', 1, struct gmem_sim_launch),
		_IOW('G', 7, __u64), GMEM_IOC_ADVISE ^ 0x40000000UL,
	};
	static const unsigned long sim[] = {
		0, _IO('S', 0), _IO('S', 3), _IOWR('S', 1, __u64),
		_IOWR('S', 2, struct gmem_sim_launch), GMEM_IOC_GLOBAL_STATS,
		GMEM_SIM_IOC_WAIT | 0x3fff0000UL,
	};
	char buf[256] = { 0 };
	unsigned int i;

	for (i = 0; i < sizeof(gm) / sizeof(gm[0]); i++)
		bad(f->gfd, gm[i], buf, ENOTTY, "unknown /dev/gmem command");
	for (i = 0; i < sizeof(sim) / sizeof(sim[0]); i++)
		bad(f->sfd[i % 2], sim[i], buf, ENOTTY, "unknown gmem_sim command");
}

/* Argument pointers the kernel must refuse to read or to write. */
static void bad_pointers(struct fix *f)
{
	static const unsigned long cmds[] = {
		GMEM_IOC_ADVISE, GMEM_IOC_OBJ_INFO, GMEM_IOC_LIST_OBJECTS, GMEM_IOC_DEV_INFO,
		GMEM_IOC_GLOBAL_STATS, GMEM_IOC_POLICY_STATUS, GMEM_IOC_NR_DEVICES,
		GMEM_IOC_TRACE_START, GMEM_IOC_TRACE_READ,
	};
	const void *ptrs[] = {
		NULL, (void *)8, (void *)KERNEL_PTR, f->hole, f->none,
		f->edge + PAGE - 2,	/* starts readable, runs into PROT_NONE */
	};
	unsigned int i, j;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		for (j = 0; j < sizeof(ptrs) / sizeof(ptrs[0]); j++)
			bad(f->gfd, cmds[i], ptrs[j], EFAULT, "bad argument pointer");
	for (j = 0; j < sizeof(ptrs) / sizeof(ptrs[0]); j++) {
		bad(f->sfd[0], GMEM_SIM_IOC_LAUNCH, ptrs[j], EFAULT, "launch: bad pointer");
		bad(f->sfd[1], GMEM_SIM_IOC_WAIT, ptrs[j], EFAULT, "wait: bad pointer");
	}
}

/* Outputs into memory the caller may read but not write. */
static void readonly_outputs(struct fix *f)
{
	struct gmem_obj_info *oi = (void *)f->ro;
	struct gmem_dev_info *di = (void *)f->ro;
	struct gmem_obj_list lst = { .ids_ptr = (uintptr_t)f->ro, .capacity = 4 };

	/* The read-only page is zero: id 0 and addr 0 is EINVAL before any copy out. */
	bad(f->gfd, GMEM_IOC_OBJ_INFO, oi, EINVAL, "OBJ_INFO: neither addr nor id");
	bad(f->gfd, GMEM_IOC_DEV_INFO, di, EFAULT, "DEV_INFO into read-only memory");
	bad(f->gfd, GMEM_IOC_GLOBAL_STATS, f->ro, EFAULT, "GLOBAL_STATS into read-only memory");
	bad(f->gfd, GMEM_IOC_POLICY_STATUS, f->ro, EFAULT, "POLICY_STATUS into read-only memory");
	bad(f->gfd, GMEM_IOC_NR_DEVICES, f->ro, EFAULT, "NR_DEVICES into read-only memory");
	bad(f->gfd, GMEM_IOC_LIST_OBJECTS, &lst, EFAULT, "LIST_OBJECTS ids into read-only memory");
	lst.ids_ptr = (uintptr_t)f->edge + PAGE - 4;	/* room for one id only */
	bad(f->gfd, GMEM_IOC_LIST_OBJECTS, &lst, EFAULT, "LIST_OBJECTS ids run into PROT_NONE");
}

static void advise_cases(struct fix *f)
{
	uint64_t a = (uintptr_t)f->a, b = (uintptr_t)f->b, c = (uintptr_t)f->c;

	advise_bad(f, a, BS, GMEM_ADV_TAG, 0, 1, EINVAL, "advise: flags 1");
	advise_bad(f, a, BS, GMEM_ADV_TAG, 0, 1ULL << 63, EINVAL, "advise: flags bit 63");
	advise_bad(f, a, BS, 0, 0, 0, EINVAL, "advise: advice 0");
	advise_bad(f, a, BS, GMEM_ADV_MAX + 1, 0, 0, EINVAL, "advise: advice MAX+1");
	advise_bad(f, a, BS, 0xffffffff, 0, 0, EINVAL, "advise: advice ~0");
	advise_bad(f, a, 0, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: len 0");
	advise_bad(f, a + 8, PAGE, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: unaligned addr");
	advise_bad(f, a, PAGE + 1, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: unaligned len");
	advise_bad(f, a, -PAGE, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: addr+len wraps");
	advise_bad(f, a, 1ULL << 62, GMEM_ADV_COLD, 0, 0, EINVAL, "advise: huge len");
	advise_bad(f, a, 4 * BS + PAGE, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: one page past A");
	advise_bad(f, a, 8 * BS, GMEM_ADV_TAG, 0, 0, EINVAL, "advise: spans A and B");
	advise_bad(f, b + 3 * BS, 2 * BS, GMEM_ADV_WILLNEED, f->dev[0], 0, EINVAL,
		   "advise: B into the hole");
	advise_bad(f, (uintptr_t)f->hole, BS, GMEM_ADV_DONTNEED, 0, 0, EINVAL,
		   "advise: unmapped hole");
	advise_bad(f, c + BS, 2 * BS, GMEM_ADV_WILLNEED, f->dev[0], 0, EINVAL,
		   "advise: C into its guard");
	advise_bad(f, (uintptr_t)f->edge, PAGE, GMEM_ADV_HOT, 0, 0, EINVAL,
		   "advise: plain memory");
	advise_bad(f, 0, PAGE, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: address 0");
	advise_bad(f, KERNEL_PTR, PAGE, GMEM_ADV_HOT, 0, 0, EINVAL, "advise: kernel address");
	advise_bad(f, a, BS, GMEM_ADV_WILLNEED, GMEM_MAX_DEVICES, 0, ENODEV,
		   "advise: WILLNEED device 8");
	advise_bad(f, a, BS, GMEM_ADV_WILLNEED, GMEM_DEV_HOST, 0, ENODEV,
		   "advise: WILLNEED to the host id");
	advise_bad(f, a, BS, GMEM_ADV_PIN, REL_NR_DEV, 0, ENODEV, "advise: PIN unregistered id");
	advise_bad(f, a, BS, GMEM_ADV_PREFERRED, 0xfffffffe, 0, ENODEV,
		   "advise: PREFERRED device ~1");
}

/* PIN of more blocks than a device holds fails whole: nothing migrates. */
static void pin_too_much(struct fix *f)
{
	size_t len = (REL_HBM_BLOCKS + 2) * BS;
	uint8_t *big = gmt_map(f->gfd, len);
	struct gmem_obj_info oi;

	GT_ASSERT(big, "mmap");
	advise_bad(f, (uintptr_t)big, len, GMEM_ADV_PIN, f->dev[0], 0, ENOSPC,
		   "advise: PIN more than HBM");
	GT_ASSERT(gmt_obj_info(f->gfd, big, &oi) == 0, "OBJ_INFO");
	GT_EXPECT(oi.stats.h2d_blocks == 0 && oi.stats.resident_host == 0,
		  "a refused PIN moved data: h2d %llu resident_host %llu",
		  (unsigned long long)oi.stats.h2d_blocks,
		  (unsigned long long)oi.stats.resident_host);
	munmap(big, len);
}

static void info_cases(struct fix *f)
{
	struct gmem_obj_info oi = { 0 };
	struct gmem_dev_info di = { 0 };
	struct gmem_obj_list lst = { 0 };
	uint32_t dead_id;
	uint8_t *tmp;

	oi.addr = (uintptr_t)f->hole;
	bad(f->gfd, GMEM_IOC_OBJ_INFO, &oi, ENOENT, "OBJ_INFO: unmapped address");
	oi.addr = (uintptr_t)f->edge;
	bad(f->gfd, GMEM_IOC_OBJ_INFO, &oi, ENOENT, "OBJ_INFO: plain memory");
	oi.addr = KERNEL_PTR;
	bad(f->gfd, GMEM_IOC_OBJ_INFO, &oi, ENOENT, "OBJ_INFO: kernel address");
	oi = (struct gmem_obj_info){ .id = 0xffffffff };
	bad(f->gfd, GMEM_IOC_OBJ_INFO, &oi, ENOENT, "OBJ_INFO: id ~0");
	tmp = gmt_map(f->gfd, BS);
	GT_ASSERT(tmp, "mmap");
	GT_ASSERT(gmt_obj_info(f->gfd, tmp, &oi) == 0, "OBJ_INFO");
	dead_id = oi.id;
	munmap(tmp, BS);
	oi = (struct gmem_obj_info){ .id = dead_id };
	bad(f->gfd, GMEM_IOC_OBJ_INFO, &oi, ENOENT, "OBJ_INFO: id of an unmapped object");

	di.id = GMEM_MAX_DEVICES;
	bad(f->gfd, GMEM_IOC_DEV_INFO, &di, ENODEV, "DEV_INFO: id 8");
	di.id = 0xffffffff;
	bad(f->gfd, GMEM_IOC_DEV_INFO, &di, ENODEV, "DEV_INFO: id ~0");
	di.id = REL_NR_DEV;
	bad(f->gfd, GMEM_IOC_DEV_INFO, &di, ENODEV, "DEV_INFO: unregistered id");
	di = (struct gmem_dev_info){ .id = f->dev[0], .flags = 1 };
	bad(f->gfd, GMEM_IOC_DEV_INFO, &di, EINVAL, "DEV_INFO: reserved flags");

	/* Boundary: capacity 0 with no buffer just counts. */
	lst = (struct gmem_obj_list){ .ids_ptr = 0, .capacity = 0 };
	good(f->gfd, GMEM_IOC_LIST_OBJECTS, &lst, "LIST_OBJECTS capacity 0");
	GT_EXPECT(lst.count == 3, "LIST_OBJECTS counted %u objects, want 3", lst.count);
	lst = (struct gmem_obj_list){ .ids_ptr = 16, .capacity = 1 };
	bad(f->gfd, GMEM_IOC_LIST_OBJECTS, &lst, EFAULT, "LIST_OBJECTS: ids at 16");
	lst = (struct gmem_obj_list){ .ids_ptr = KERNEL_PTR, .capacity = 0xffffffff };
	bad(f->gfd, GMEM_IOC_LIST_OBJECTS, &lst, EFAULT, "LIST_OBJECTS: kernel ids, huge capacity");
}

static void trace_cases(struct fix *f)
{
	struct gmem_trace_rec recs[64];
	struct gmem_trace_read rd = { 0 };
	uint32_t cap;
	uint64_t sum;

	cap = 0;
	bad(f->gfd, GMEM_IOC_TRACE_START, &cap, EINVAL, "TRACE_START: capacity 0");
	cap = (1u << 22) + 1;
	bad(f->gfd, GMEM_IOC_TRACE_START, &cap, EINVAL, "TRACE_START: capacity over the limit");
	cap = 0xffffffff;
	bad(f->gfd, GMEM_IOC_TRACE_START, &cap, EINVAL, "TRACE_START: capacity ~0");
	bad(f->gfd, GMEM_IOC_TRACE_STOP, NULL, ENOENT, "TRACE_STOP: not started");
	rd = (struct gmem_trace_read){ .buf_ptr = (uintptr_t)recs, .capacity = 64 };
	bad(f->gfd, GMEM_IOC_TRACE_READ, &rd, ENOENT, "TRACE_READ: not started");

	cap = 64;
	good(f->gfd, GMEM_IOC_TRACE_START, &cap, "TRACE_START");
	bad(f->gfd, GMEM_IOC_TRACE_START, &cap, EBUSY, "TRACE_START: already running");
	/* Device 1 reads A's first block (on device 0): a fault record. */
	GT_ASSERT(gmt_sim_reduce(f->sfd[1], f->a, 4, &sum) == 0, "reduce");
	rd = (struct gmem_trace_read){ .buf_ptr = (uintptr_t)f->ro, .capacity = 64 };
	bad(f->gfd, GMEM_IOC_TRACE_READ, &rd, EFAULT, "TRACE_READ into read-only memory");
	/* The failed copy consumed nothing. */
	rd = (struct gmem_trace_read){ .buf_ptr = (uintptr_t)recs, .capacity = 64 };
	good(f->gfd, GMEM_IOC_TRACE_READ, &rd, "TRACE_READ");
	GT_EXPECT(rd.count >= 1 && recs[0].kind == GMEM_TRACE_FAULT,
		  "records lost to a failed read: count %u kind %u", rd.count, recs[0].kind);
	good(f->gfd, GMEM_IOC_TRACE_STOP, NULL, "TRACE_STOP");
	/* Back where the table started: the reduce above moved a block back. */
	GT_ASSERT(gmt_advise(f->gfd, f->a, 2 * BS, GMEM_ADV_WILLNEED, f->dev[0], 0) == 0, "A->dev0");
}

static void launch_bad(struct fix *f, struct gmem_sim_launch l, int want, const char *what)
{
	l.seq = 0;
	bad(f->sfd[0], GMEM_SIM_IOC_LAUNCH, &l, want, what);
	GT_EXPECT(l.seq == 0, "%s: a seq was written back", what);
}

static void launch_cases(struct fix *f)
{
	uint64_t a = (uintptr_t)f->a;
	struct gmem_sim_access rec[2] = {
		{ a, 4, 0 }, { a + BS - 4, 8, 0 },	/* the second crosses a block */
	};
	struct gmem_sim_wait w = { .seq = 0 };
	unsigned int op;

	for (op = 0; op < 16; op++)
		if (op < GMEM_SIM_FILL || op > GMEM_SIM_GEMM)
			launch_bad(f, (struct gmem_sim_launch){ .op = op, .x = a, .len = 4 }, EINVAL,
				   "launch: unknown op");
	launch_bad(f, (struct gmem_sim_launch){ .op = 0x80000001, .x = a, .len = 4 }, EINVAL,
		   "launch: op with high bit");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_FILL, .flags = 2, .x = a, .len = 4 },
		   EINVAL, "launch: unknown flag");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_FILL, .flags = ~0u, .x = a, .len = 4 },
		   EINVAL, "launch: all flags");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_REDUCE, .x = a, .len = 0 }, EINVAL,
		   "launch: len 0");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_REDUCE, .x = a, .len = 2 }, EINVAL,
		   "launch: len 2");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_REDUCE, .x = a + 1, .len = 4 },
		   EINVAL, "launch: x unaligned");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_CHECKSUM, .x = -4ULL, .len = 8 },
		   EINVAL, "launch: x+len wraps");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_COPY, .x = a, .y = -8ULL,
						.len = 16 }, EINVAL, "launch: y+len wraps");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_AXPY, .x = a, .y = a + 2, .len = 8 },
		   EINVAL, "launch: y unaligned");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_COPY, .x = a, .y = a + BS / 2,
						.len = BS }, EINVAL, "launch: partial overlap");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)rec },
		   EINVAL, "launch: trace of 0 records");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)rec,
						.len = UINT64_MAX }, E2BIG, "launch: trace of ~0");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)rec,
						.len = 2 }, EINVAL, "launch: trace record crossing a block");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)f->none,
						.len = 1 }, EFAULT, "launch: trace records unreadable");
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE,
						.x = (uintptr_t)f->edge + PAGE - 16, .len = 2 },
		   EFAULT, "launch: trace records run into PROT_NONE");
	rec[0].write = 7;
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)rec,
						.len = 1 }, EINVAL, "launch: trace write=7");
	rec[0] = (struct gmem_sim_access){ a, 0, 0 };
	launch_bad(f, (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)rec,
						.len = 1 }, EINVAL, "launch: trace len 0");

	w.seq = 0;
	bad(f->sfd[0], GMEM_SIM_IOC_WAIT, &w, ENOENT, "wait: seq 0");
	w.seq = UINT64_MAX;
	bad(f->sfd[0], GMEM_SIM_IOC_WAIT, &w, ENOENT, "wait: seq ~0");
}

/* Jobs whose addresses are not the caller's gmem memory fail, touching nothing. */
static void job_cases(struct fix *f)
{
	static const char *const what[] = {
		"job: unmapped hole", "job: plain memory", "job: kernel address",
		"job: B runs into the hole", "job: C runs into plain memory", "job: address 0",
	};
	uint64_t x[] = {
		(uintptr_t)f->hole, (uintptr_t)f->edge, KERNEL_PTR,
		(uintptr_t)f->b + 4 * BS - 8, (uintptr_t)f->c + 2 * BS - 8, 0,
	};
	uint64_t sum;
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		/* The in-range part of the last ones is already resident: no migration. */
		ret = gmt_sim_reduce(f->sfd[i % 2], (void *)(uintptr_t)x[i], 16, &sum);
		rel_add(bad_inputs, 1);
		GT_EXPECT(ret == -EFAULT, "%s: %d", what[i], ret);
	}
}

GT_TEST(invalid_calls_change_nothing)
{
	struct snap s0;
	struct fix f;

	fix_open(&f);
	/* Make sure the blocks the job cases touch are where they stay. */
	GT_ASSERT(gmt_advise(f.gfd, f.b + 3 * BS, BS, GMEM_ADV_WILLNEED, f.dev[1], 0) == 0, "B3");
	GT_ASSERT(gmt_advise(f.gfd, f.c + BS, BS, GMEM_ADV_WILLNEED, f.dev[0], 0) == 0, "C1");
	snap_take(&f, &s0);
	unknown_commands(&f);
	bad_pointers(&f);
	readonly_outputs(&f);
	advise_cases(&f);
	launch_cases(&f);
	snap_same(&f, &s0, "after the ioctl table");
	info_cases(&f);		/* maps and unmaps one object of its own */
	pin_too_much(&f);
	job_cases(&f);
	trace_cases(&f);
	GT_EXPECT(rel_check_counters(f.gfd, "after the table") == 0, "counters");
	fix_check_data(&f);
	gt_log("%llu invalid calls so far", rel_get(bad_inputs));
	fix_close(&f);
}

/*
 * Valid but unusual: every argument struct lives in gmem memory that is on a
 * device, so copying it in or out faults it back under the ioctl (which must
 * not hold gm_lock then), and a job may span two adjacent mappings.
 */
GT_TEST(arguments_in_device_memory)
{
	struct fix f;
	uint8_t *arg;
	struct gmem_obj_info *oi;
	struct gmem_sim_launch *l;
	struct gmem_sim_access *rec;
	struct gmem_obj_list *lst;
	uint64_t sum = 0, want = 0;
	size_t i;

	fix_open(&f);
	arg = f.c;		/* C block 0: argument structs, sent to device 1 each time */
#define TO_DEV1() GT_ASSERT(gmt_advise(f.gfd, arg, BS, GMEM_ADV_WILLNEED, f.dev[1], 0) == 0, "C->dev1")
	TO_DEV1();
	oi = (void *)arg;
	memset(oi, 0, sizeof(*oi));
	oi->addr = (uintptr_t)f.a;
	TO_DEV1();
	good(f.gfd, GMEM_IOC_OBJ_INFO, oi, "OBJ_INFO with its struct on a device");
	GT_EXPECT(oi->size == 4 * BS, "OBJ_INFO size %llu", (unsigned long long)oi->size);

	lst = (void *)arg;
	*lst = (struct gmem_obj_list){ .ids_ptr = (uintptr_t)(arg + 64), .capacity = 8 };
	TO_DEV1();
	good(f.gfd, GMEM_IOC_LIST_OBJECTS, lst, "LIST_OBJECTS into device memory");
	GT_EXPECT(lst->count == 3, "%u objects", lst->count);

	rec = (void *)(arg + 256);
	for (i = 0; i < 8; i++)
		rec[i] = (struct gmem_sim_access){ (uintptr_t)f.a + i * BS / 2, 64, 0 };
	l = (void *)arg;
	*l = (struct gmem_sim_launch){ .op = GMEM_SIM_TRACE, .x = (uintptr_t)rec, .len = 8 };
	TO_DEV1();
	good(f.sfd[1], GMEM_SIM_IOC_LAUNCH, l, "TRACE launched from device memory");
	{
		struct gmem_sim_wait w;

		GT_EXPECT(gmt_sim_wait(f.sfd[1], l->seq, &w) == 0, "trace job");
	}
	/* One job across A and B (two objects, adjacent): both are the caller's. */
	GT_ASSERT(gmt_sim_reduce(f.sfd[0], f.a + 3 * BS, 2 * BS, &sum) == 0, "reduce across A|B");
	want = gmt_sum32((uint32_t *)(f.a + 3 * BS), BS / 4) + gmt_sum32((uint32_t *)f.b, BS / 4);
	GT_EXPECT(sum == want, "sum across two mappings %llu, want %llu",
		  (unsigned long long)sum, (unsigned long long)want);
#undef TO_DEV1
	gmt_fill_pat((uint32_t *)f.c, 2 * BS / 4, 13);
	fix_check_data(&f);
	fix_close(&f);
}

/* A file holds at most 1024 unreaped jobs: the next launch says EAGAIN. */
GT_TEST(job_table_limit)
{
	struct gmem_sim_wait w;
	uint64_t seq, first = 0, last = 0;
	struct fix f;
	int i, ret = 0;

	fix_open(&f);
	for (i = 0; i < 1024; i++) {
		ret = gmt_sim_launch(f.sfd[0], GMEM_SIM_REDUCE, 0, f.a, NULL, 4, 0, &seq);
		if (ret)
			break;
		if (!first)
			first = seq;
		last = seq;
	}
	GT_ASSERT(i == 1024, "launch %d: %d", i, ret);
	ret = gmt_sim_launch(f.sfd[0], GMEM_SIM_REDUCE, 0, f.a, NULL, 4, 0, &seq);
	rel_add(bad_inputs, 1);
	GT_EXPECT(ret == -EAGAIN, "launch 1025: %d", ret);
	for (seq = first; seq <= last; seq++)
		GT_ASSERT(gmt_sim_wait(f.sfd[0], seq, &w) == 0 &&
			  w.result == gmt_sum32((uint32_t *)f.a, 1), "job %llu",
			  (unsigned long long)seq);
	rel_add(bad_inputs, 1);
	GT_EXPECT(gmt_sim_wait(f.sfd[0], first, &w) == -ENOENT, "a reaped job waited twice");
	GT_EXPECT(gmt_sim_launch(f.sfd[0], GMEM_SIM_REDUCE, 0, f.a, NULL, 4, 0, &seq) == 0 &&
		  gmt_sim_wait(f.sfd[0], seq, &w) == 0, "launch after reaping");
	fix_check_data(&f);
	fix_close(&f);
}

/* ------------------------------------------------ munmap from another thread */

#define RACE_LEN	(4 * BS)

struct race {
	struct fix *f;
	uint8_t *_Atomic cur;		/* the mapping being hit, may be gone already */
	atomic_bool stop;
	atomic_ulong calls, failed, unexpected;
	atomic_ulong by_errno[64];	/* failures by errno, for the log */
};

static void race_note(struct race *r, int ret, const int *ok, unsigned int nok, const char *what)
{
	unsigned int i;

	atomic_fetch_add(&r->calls, 1);
	if (!ret)
		return;
	atomic_fetch_add(&r->failed, 1);
	if (-ret < 64)
		atomic_fetch_add(&r->by_errno[-ret], 1);
	for (i = 0; i < nok; i++)
		if (ret == -ok[i])
			return;
	if (atomic_fetch_add(&r->unexpected, 1) < 5)
		gt_log("race: %s returned %d (%s)", what, ret, strerror(-ret));
}

/* Hints and lookups on whatever @cur points at. */
static void *race_hinter(void *arg)
{
	/* EBUSY: a pin stays on its device, and host pages held by an unmap in flight stay put. */
	static const int ok[] = { EINVAL, ENOENT, ENOSPC, ENOMEM, EBUSY };
	struct race *r = arg;
	uint64_t seed = 0x4a17;
	struct gmem_obj_info oi;

	while (!atomic_load(&r->stop)) {
		uint8_t *p = atomic_load(&r->cur);
		uint32_t adv = 1 + rel_below(&seed, GMEM_ADV_MAX);
		uint32_t dev = r->f->dev[rel_below(&seed, 2)];
		int ret;

		if (!p) {
			usleep(200);
			continue;
		}
		if (adv == GMEM_ADV_PREFERRED && rel_below(&seed, 2))
			dev = GMEM_DEV_HOST;
		ret = gmt_advise(r->f->gfd, p, RACE_LEN, adv, dev, seed);
		race_note(r, ret, ok, sizeof(ok) / sizeof(ok[0]), "advise");
		race_note(r, gmt_obj_info(r->f->gfd, p + BS, &oi), ok, sizeof(ok) / sizeof(ok[0]), "obj info");
		if (ret)
			usleep(100);	/* the range is gone: let the mapper get on */
	}
	return NULL;
}

/* Synchronous device jobs on @cur; each one thread per device. */
static void *race_jobber(void *arg)
{
	static const int ok[] = { EFAULT, EBUSY };	/* EBUSY: pinned to the other device */
	struct race *r = arg;
	static atomic_int next;
	int n = atomic_fetch_add(&next, 1) % 2;
	uint64_t seed = 0x70b + n, res;

	while (!atomic_load(&r->stop)) {
		uint8_t *p = atomic_load(&r->cur);
		uint32_t op = rel_below(&seed, 3);
		int ret;

		if (!p) {
			usleep(200);
			continue;
		}
		if (op == 0)
			ret = gmt_sim_fill(r->f->sfd[n], p, RACE_LEN, (uint32_t)seed);
		else if (op == 1)
			ret = gmt_sim_reduce(r->f->sfd[n], p, RACE_LEN, &res);
		else
			ret = gmt_sim_run(r->f->sfd[n], GMEM_SIM_COPY, p, p + 2 * BS, 2 * BS, 0, NULL);
		race_note(r, ret, ok, sizeof(ok) / sizeof(ok[0]), "device job");
	}
	return NULL;
}

/*
 * One thread maps, writes and unmaps a range over and over while another
 * sends hints and lookups and two others run device jobs on it: every call
 * succeeds or fails with the errno of "not mapped"; a mapping the threads
 * never see keeps its data on the devices and the host; nothing leaks.
 */
GT_TEST(munmap_races_hints_and_jobs)
{
	unsigned long rounds = rel_scale(150, 20), i;
	double t_end = gmt_now() + (rel_stress() ? 300 : 8);
	struct race r = { 0 };
	pthread_t th[3];
	uint64_t seed = 0x3e3, h;
	uint8_t *p, *g;
	struct fix f;
	int k;

	fix_open(&f);
	r.f = &f;
	g = gmt_map(f.gfd, 4 * BS);
	GT_ASSERT(g, "mmap guard");
	gmt_fill_pat((uint32_t *)g, 4 * BS / 4, 77);
	GT_ASSERT(gmt_advise(f.gfd, g, 2 * BS, GMEM_ADV_WILLNEED, f.dev[0], 0) == 0, "guard->dev0");
	GT_ASSERT(gmt_advise(f.gfd, g + 2 * BS, 2 * BS, GMEM_ADV_WILLNEED, f.dev[1], 0) == 0,
		  "guard->dev1");
	GT_ASSERT(pthread_create(&th[0], NULL, race_hinter, &r) == 0, "thread");
	for (k = 1; k < 3; k++)
		GT_ASSERT(pthread_create(&th[k], NULL, race_jobber, &r) == 0, "thread");
	for (i = 0; i < rounds && gmt_now() < t_end; i++) {
		p = gmt_map(f.gfd, RACE_LEN);
		GT_ASSERT(p, "mmap round %lu: %s", i, strerror(errno));
		p[rel_below(&seed, RACE_LEN)] = 1;
		atomic_store(&r.cur, p);
		usleep(rel_below(&seed, 4000));
		GT_ASSERT(munmap(p, RACE_LEN) == 0, "munmap round %lu", i);
		if (rel_below(&seed, 2))
			atomic_store(&r.cur, NULL);
	}
	atomic_store(&r.stop, true);
	for (k = 0; k < 3; k++)
		pthread_join(th[k], NULL);
	gt_log("%lu map/unmap rounds, %lu calls raced them, %lu failed cleanly, %lu unexpected",
	       i, atomic_load(&r.calls), atomic_load(&r.failed), atomic_load(&r.unexpected));
	for (k = 1; k < 64; k++)
		if (atomic_load(&r.by_errno[k]))
			gt_log("  %s: %lu", strerror(k), atomic_load(&r.by_errno[k]));
	rel_add(bad_inputs, atomic_load(&r.failed));
	GT_EXPECT(atomic_load(&r.unexpected) == 0, "calls failed with unexpected errors");
	GT_EXPECT(atomic_load(&r.failed) > 0, "no call hit an unmapped range: the race is not tested");
	GT_ASSERT(gmt_sim_checksum(f.sfd[1], g, 4 * BS, &h) == 0, "guard checksum");
	GT_EXPECT(gmt_check_pat((uint32_t *)g, 4 * BS / 4, 77) < 0, "guard data lost (CPU)");
	GT_EXPECT(h == gmt_fnv1a(g, 4 * BS, GMT_FNV_BASIS), "guard data lost (device)");
	munmap(g, 4 * BS);
	fix_check_data(&f);
	fix_close(&f);
}

GT_TEST(summary)
{
	gt_log("reliability: bad_inputs=%llu", rel_get(bad_inputs));
	GT_ASSERT(rel_get(bad_inputs) > 0, "no invalid input was tried");
}

GT_MAIN()
