/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_reliability.h: what the reliability programs (test_reliability_*.c)
 * share: the module set-up they run with, a tally of what was tried that
 * survives gtest's one-fork-per-test, kernel-log markers, stress scaling,
 * and the cross-check of every residency counter the core, the driver and
 * the leak accounting expose.
 *
 * Include after gtest.h and gmem_test_util.h. A program's last test prints
 * its "# reliability: ..." summary line from the tally; scripts/test.sh
 * collects those lines from the suite output.
 */
#ifndef TEST_RELIABILITY_H
#define TEST_RELIABILITY_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Small blocks and HBM keep migrations frequent and cheap under TCG. */
#define REL_BS		(64 * 1024UL)
#define REL_HBM_MB	1		/* 16 blocks per device */
#define REL_NR_DEV	2
#define REL_HBM_BLOCKS	(REL_HBM_MB * GMT_MiB / REL_BS)
#define REL_SIM_PARAM	"/sys/module/gmem_sim/parameters/"
#define REL_CORE_PARAM	"/sys/module/gmem/parameters/"

/*
 * Counters every test of a program adds to. gtest runs each test in a
 * forked child, so they live in a shared anonymous mapping made before the
 * first fork; atomics because tests also fork and spawn threads of their own.
 */
struct rel_tally {
	atomic_ullong bad_inputs;	/* invalid calls made (each must fail cleanly) */
	atomic_ullong ops;		/* checked operations (integrity) */
	atomic_ullong migrations;	/* blocks migrated during them */
	atomic_ullong mismatches;	/* words that differed from the shadow copy */
	atomic_ullong injections;	/* faults injected */
	atomic_ullong survived;		/* of which the system came through cleanly */
	atomic_ullong tests_run;
	/* test_reliability_{gup,protect,dos,hooks,edges} (issue 12): each must stay 0 */
	atomic_ullong gup_writes_lost;	/* blocks whose pinned-page write (or read) was lost */
	atomic_ullong prot_violations;	/* device accesses the mapping's protection forbids */
	atomic_ullong readcopy_lost;	/* CPU/device writes lost through a read copy */
	atomic_ullong unpriv_dos;	/* unprivileged actions that hurt a root bystander */
	atomic_ullong kill_checks;	/* latency checks made (kill, unrelated fault, hooks) */
	atomic_ullong kill_latency_ok;	/* of which within the relative bound */
};

static struct rel_tally *rel_tally;

__attribute__((constructor)) static void rel_tally_init(void)
{
	void *p = mmap(NULL, sizeof(*rel_tally), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("reliability tally");
		exit(2);
	}
	rel_tally = p;
}

#define rel_add(field, n)	atomic_fetch_add(&rel_tally->field, (n))
#define rel_get(field)		((unsigned long long)atomic_load(&rel_tally->field))

/* GMEM_STRESS=1 (make stress): longer runs and more iterations. */
static inline bool rel_stress(void)
{
	const char *s = getenv("GMEM_STRESS");

	return s && *s && strcmp(s, "0");
}

/* @quick in the suite, @quick * @factor under GMEM_STRESS. */
static inline unsigned long rel_scale(unsigned long quick, unsigned long factor)
{
	return rel_stress() ? quick * factor : quick;
}

static inline unsigned long rel_env_ul(const char *name, unsigned long dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return dflt;
	v = strtoul(s, &end, 0);
	return *end ? dflt : v;
}

/* xorshift64*: reproducible per seed, good enough to pick arguments. */
static inline uint64_t rel_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t rel_below(uint64_t *s, uint64_t n)
{
	return n ? rel_rand(s) % n : 0;
}

/* ------------------------------------------------------------ set-up */

static inline void rel_setup(void)
{
	GT_ASSERT(gmt_setup(REL_BS, REL_HBM_MB, REL_NR_DEV) == 0, "module reload");
	GT_ASSERT(gmt_write_str(REL_SIM_PARAM "fail_alloc_every", "0") == 0, "fail_alloc_every");
}

static inline void rel_no_leak(void)
{
	struct gmt_live l;

	GT_ASSERT(gmt_live_wait_zero(&l, 5000) == 0,
		  "leak: objects %ld host_pages %ld dev_blocks %ld",
		  l.objects, l.host_pages, l.dev_blocks);
}

/* References on the core module: gmem_sim's use, open files, struct_ops maps. */
static inline uint64_t rel_module_refs(void)
{
	uint64_t ref = 0;

	GT_ASSERT(gmt_read_u64("/sys/module/gmem/refcnt", &ref) == 0, "gmem refcnt");
	return ref;
}

/*
 * Wait up to @ms for the core module's references to come back to @base
 * (taken before the test opened anything): the BPF core frees a closed
 * policy's struct_ops map, which holds one, a little later from a
 * workqueue, and the suite's rmmod after each program needs it gone.
 */
static inline void rel_wait_module_refs(uint64_t base, int ms)
{
	uint64_t ref;

	while ((ref = rel_module_refs()) > base && ms > 0) {
		usleep(20 * 1000);
		ms -= 20;
	}
	GT_ASSERT(ref <= base, "gmem is still referenced %llu times, %llu before the test",
		  (unsigned long long)ref, (unsigned long long)base);
}

/*
 * A stretch of kernel log that must not count against the run (the OOM
 * killer's report carries a stack dump): vmtest/run.sh skips what lies
 * between these markers.
 */
static inline void rel_kmsg(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, msg, strlen(msg)) < 0)
		gt_log("write /dev/kmsg: %s", strerror(errno));
	close(fd);
}

/* --------------------------------------------------- counter cross-check */

/*
 * Every way to count residency must agree while nothing moves: per device,
 * the core's HBM use (DEV_INFO), its DEVICE-resident blocks, and the
 * driver's own allocation bitmap (sysfs hbm_used_blocks); the totals, the
 * sum over a walk of every live object, and the leak counters of
 * /sys/kernel/debug/gmem/live (a block holds host pages while HOST, REMOTE
 * or DEVICE). Needs CAP_SYS_ADMIN (to see every object) and no device work
 * in flight anywhere. Returns the number of disagreements, each logged.
 */
static inline int rel_check_counters(int gfd, const char *when)
{
	uint64_t sum_dev = 0, used_all = 0, obj_host = 0, obj_dev = 0, bs = gmt_block_size();
	struct gmem_obj_list lst = { 0 };
	struct gmem_stats total;
	struct gmt_live live;
	uint32_t ids[256], i, n = 0;
	int bad = 0, d;

#define REL_DISAGREE(fmt, ...) do {						\
	gt_log("%s: counters disagree: " fmt, when, ##__VA_ARGS__);		\
	bad++;									\
} while (0)

	if (ioctl(gfd, GMEM_IOC_NR_DEVICES, &n) || ioctl(gfd, GMEM_IOC_GLOBAL_STATS, &total) ||
	    gmt_live_read(&live)) {
		REL_DISAGREE("cannot read counters: %s", strerror(errno));
		return bad;
	}
	for (d = 0; d < GMEM_MAX_DEVICES; d++) {
		struct gmem_dev_info di;
		uint64_t sim_used = 0;
		int s;

		if (gmt_dev_info(gfd, d, &di))
			continue;
		if (di.stats.resident_dev * bs != di.hbm_used_bytes)
			REL_DISAGREE("dev %d: %llu resident blocks, %llu bytes of HBM used", d,
				     (unsigned long long)di.stats.resident_dev,
				     (unsigned long long)di.hbm_used_bytes);
		sum_dev += di.stats.resident_dev;
		used_all += di.hbm_used_bytes / bs;
		for (s = 0; s < GMEM_MAX_DEVICES; s++)
			if (gmt_sim_gmem_id(s) == d)
				break;
		if (s < GMEM_MAX_DEVICES && !gmt_sim_attr(s, "hbm_used_blocks", &sim_used) &&
		    sim_used * bs != di.hbm_used_bytes)
			REL_DISAGREE("gmem_sim%d: driver holds %llu blocks, core counts %llu", s,
				     (unsigned long long)sim_used,
				     (unsigned long long)(di.hbm_used_bytes / bs));
	}
	if (sum_dev != total.resident_dev)
		REL_DISAGREE("devices hold %llu blocks, total says %llu",
			     (unsigned long long)sum_dev, (unsigned long long)total.resident_dev);
	if ((uint64_t)live.dev_blocks != used_all)
		REL_DISAGREE("live dev_blocks %ld, HBM in use %llu", live.dev_blocks,
			     (unsigned long long)used_all);
	if ((uint64_t)live.host_pages != (total.resident_host + total.resident_dev) * (bs / 4096))
		REL_DISAGREE("live host_pages %ld for %llu host + %llu device blocks",
			     live.host_pages, (unsigned long long)total.resident_host,
			     (unsigned long long)total.resident_dev);

	lst.ids_ptr = (uintptr_t)ids;
	lst.capacity = 256;
	if (ioctl(gfd, GMEM_IOC_LIST_OBJECTS, &lst)) {
		REL_DISAGREE("LIST_OBJECTS: %s", strerror(errno));
		return bad;
	}
	if (lst.count > 256 || (long)lst.count != live.objects)
		REL_DISAGREE("%u objects listed, %ld live", lst.count, live.objects);
	for (i = 0; i < lst.count && i < 256; i++) {
		struct gmem_obj_info oi = { .id = ids[i] };

		if (ioctl(gfd, GMEM_IOC_OBJ_INFO, &oi)) {
			REL_DISAGREE("object %u listed but OBJ_INFO says %s", ids[i], strerror(errno));
			continue;
		}
		if (oi.stats.resident_host + oi.stats.resident_dev > (oi.size + bs - 1) / bs)
			REL_DISAGREE("object %u: %llu+%llu resident of %llu blocks", ids[i],
				     (unsigned long long)oi.stats.resident_host,
				     (unsigned long long)oi.stats.resident_dev,
				     (unsigned long long)((oi.size + bs - 1) / bs));
		obj_host += oi.stats.resident_host;
		obj_dev += oi.stats.resident_dev;
	}
	if (obj_host != total.resident_host || obj_dev != total.resident_dev)
		REL_DISAGREE("objects hold %llu host + %llu device blocks, totals %llu + %llu",
			     (unsigned long long)obj_host, (unsigned long long)obj_dev,
			     (unsigned long long)total.resident_host,
			     (unsigned long long)total.resident_dev);
#undef REL_DISAGREE
	return bad;
}

#endif /* TEST_RELIABILITY_H */
