// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_privilege: who may do what.
 *   - Loading and attaching a policy needs CAP_BPF and CAP_SYS_ADMIN (or
 *     root): without them it fails with a clear error (the library's
 *     message and gmemctl's exit code 4) and nothing changes.
 *   - A process reaches only its own unified memory: another process,
 *     privileged or not, that names the same addresses through the device
 *     ioctls (jobs, hints, lookups), through inherited file descriptors or
 *     through a mapping of its own at the same address, gets an error or its
 *     own memory, never the owner's data; the owner's data and counters do
 *     not change.
 *   - The access trace (every process's accesses) needs CAP_SYS_ADMIN, and
 *     only CAP_SYS_ADMIN lists other processes' objects.
 * Credentials are dropped in forked children: capabilities with capset(2)
 * (and the bounding set, for programs they exec), or setuid to 65534.
 * Each refused attempt is counted and printed as privilege_denied=N.
 */
/* Long runs under GMEM_STRESS (make stress) need more than the default. */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <grp.h>
#include <setjmp.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <linux/capability.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"
#include "gmempolicy.h"

#ifndef CAP_BPF
#define CAP_BPF		39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#define NOBODY		65534
#define BS		REL_BS
#define POLICY		"/gmem/bpf/lru_cold.bpf.o"
#define POLICY_FALLBACK	"/gmem/bpf/mru.bpf.o"

enum who {
	ROOT,			/* all capabilities */
	NO_SYS_ADMIN,		/* root without CAP_SYS_ADMIN (CAP_BPF kept) */
	NO_BPF_ADMIN,		/* root without CAP_BPF and CAP_SYS_ADMIN */
	NOBODY_USER,		/* uid/gid 65534, no capabilities */
};

static const char *const who_name[] = {
	"root", "root without CAP_SYS_ADMIN", "root without CAP_BPF and CAP_SYS_ADMIN", "nobody",
};

static void denied(void)
{
	rel_add(bad_inputs, 1);
}

/* Drop @caps from the effective, permitted, inheritable and bounding sets. */
static void drop_caps(const int *caps, int n)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int i;

	GT_ASSERT(syscall(SYS_capget, &h, d) == 0, "capget: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		uint32_t bit = 1u << (caps[i] % 32);

		d[caps[i] / 32].effective &= ~bit;
		d[caps[i] / 32].permitted &= ~bit;
		d[caps[i] / 32].inheritable &= ~bit;
		/* So that programs we exec as root do not get it back. */
		GT_ASSERT(prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) == 0, "PR_CAPBSET_DROP %d",
			  caps[i]);
	}
	GT_ASSERT(syscall(SYS_capset, &h, d) == 0, "capset: %s", strerror(errno));
}

static void become(enum who w)
{
	static const int sys_admin[] = { CAP_SYS_ADMIN };
	static const int bpf_admin[] = { CAP_SYS_ADMIN, CAP_BPF };

	switch (w) {
	case ROOT:
		break;
	case NO_SYS_ADMIN:
		drop_caps(sys_admin, 1);
		break;
	case NO_BPF_ADMIN:
		drop_caps(bpf_admin, 2);
		break;
	case NOBODY_USER:
		GT_ASSERT(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
			  setresuid(NOBODY, NOBODY, NOBODY) == 0, "setuid nobody: %s",
			  strerror(errno));
		break;
	}
}

/* Run @fn(@arg) in a child with the credentials of @w; its checks fail the test. */
static void as(enum who w, void (*fn)(enum who, void *), void *arg)
{
	int wst;
	pid_t pid = fork();

	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		gt_failed_here = 0;	/* the child's own checks only */
		become(w);
		fn(w, arg);
		fflush(stdout);
		_exit(gt_failed_here ? 1 : 0);
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	GT_EXPECT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "as %s: checks failed (status %#x)",
		  who_name[w], wst);
}

static struct gmem_policy_status pstatus(void)
{
	struct gmem_policy_status st;

	GT_ASSERT(gmem_policy_status(&st) == 0, "policy status");
	return st;
}

/* ------------------------------------------------------------- policies */

static const char *policy_path(void)
{
	return access(POLICY, R_OK) ? POLICY_FALLBACK : POLICY;
}

/* Open, load, attach with the library: 0 or the first error. */
static int try_policy(struct gmem_policy **out)
{
	struct gmem_policy *p;
	int err;

	*out = NULL;
	err = gmem_policy_open(policy_path(), &p);
	if (err)
		return err;
	*out = p;
	err = gmem_policy_load(p);
	return err ? err : gmem_policy_attach(p);
}

static void load_denied(enum who w, void *arg)
{
	struct gmem_policy_status st0 = pstatus(), st;
	struct gmem_policy *p;
	int err = try_policy(&p);

	(void)arg;
	st = pstatus();
	gt_log("%s: policy load: %d (%s)", who_name[w], err, gmem_strerror(err));
	GT_EXPECT(err == -EPERM || err == -EACCES, "%s: want EPERM or EACCES, got %d",
		  who_name[w], err);
	GT_EXPECT(strstr(gmem_strerror(err), "permission"), "%s: unclear error '%s'", who_name[w],
		  gmem_strerror(err));
	GT_EXPECT(!st.active && st.loads == st0.loads, "%s: the policy status changed",
		  who_name[w]);
	gmem_policy_close(p);
	denied();
}

/* gmemctl, exec'd with these credentials: exit code 4 and a message saying why. */
static void gmemctl_denied(enum who w, void *arg)
{
	char cmd[256], out[512] = "";
	FILE *f;
	int st;

	(void)arg;
	snprintf(cmd, sizeof(cmd), "gmemctl load %s 2>&1", policy_path());
	f = popen(cmd, "r");
	GT_ASSERT(f, "popen");
	if (!fread(out, 1, sizeof(out) - 1, f))
		out[0] = '\0';
	st = pclose(f);
	GT_EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 4, "%s: gmemctl load exited %#x: %s",
		  who_name[w], st, out);
	GT_EXPECT(strstr(out, "permission denied"), "%s: gmemctl said: %s", who_name[w], out);
	GT_EXPECT(!pstatus().active, "%s: a policy is in charge", who_name[w]);
	denied();
}

GT_TEST(policy_load_needs_cap_bpf_and_sys_admin)
{
	struct gmem_policy *p;
	int err;

	rel_setup();
	as(NOBODY_USER, load_denied, NULL);
	as(NO_BPF_ADMIN, load_denied, NULL);
	as(NO_SYS_ADMIN, load_denied, NULL);
	as(NOBODY_USER, gmemctl_denied, NULL);
	as(NO_SYS_ADMIN, gmemctl_denied, NULL);
	/* The same policy with all capabilities: the refusals were about privilege. */
	err = try_policy(&p);
	GT_EXPECT(err == 0, "root cannot load %s: %s", policy_path(), gmem_strerror(err));
	GT_EXPECT(pstatus().active, "root's policy is not in charge");
	gmem_policy_close(p);
}

/* A map root loaded, attached by a child without CAP_SYS_ADMIN: the kernel refuses. */
static void attach_denied(enum who w, void *arg)
{
	struct gmem_policy *p = arg;
	int err = gmem_policy_attach(p);

	gt_log("%s: attach of root's loaded policy: %d (%s)", who_name[w], err, gmem_strerror(err));
	GT_EXPECT(err == -EPERM, "%s: want EPERM, got %d", who_name[w], err);
	GT_EXPECT(!pstatus().active, "%s: a policy is in charge", who_name[w]);
	denied();
}

GT_TEST(attach_of_a_handed_over_map_needs_cap_sys_admin)
{
	struct gmem_policy *p;
	int err;

	rel_setup();
	GT_ASSERT(gmem_policy_open(policy_path(), &p) == 0, "open %s", policy_path());
	err = gmem_policy_load(p);
	GT_ASSERT(err == 0, "root load: %s", gmem_strerror(err));
	as(NO_SYS_ADMIN, attach_denied, p);
	as(NOBODY_USER, attach_denied, p);
	/* The same loaded map attaches for root: the refusals were about privilege. */
	err = gmem_policy_attach(p);
	GT_EXPECT(err == 0, "root attach: %s", gmem_strerror(err));
	GT_EXPECT(pstatus().active, "root's policy is not in charge");
	gmem_policy_close(p);
}

/* ---------------------------------------------------- other processes' memory */

struct owner {
	int gfd, sfd;			/* the owner's, inherited by the children */
	uint32_t *mem;
	size_t len;
	uint32_t obj;
};

/* Device jobs, hints and lookups on the owner's addresses: all refused. */
static void reach_by_address(enum who w, void *arg)
{
	struct owner *o = arg;
	int gfd = gmt_open_gmem(), sfd = gmt_sim_open(1), ret;
	struct gmem_obj_info oi = { .id = o->obj };
	struct gmem_obj_list lst = { 0 };
	uint64_t res;
	struct gmem_sim_access rec = { (uintptr_t)o->mem, 64, 0 };

	GT_ASSERT(gfd >= 0 && sfd >= 0, "%s cannot open the devices (%d, %d)", who_name[w], gfd, sfd);
	ret = gmt_sim_checksum(sfd, o->mem, o->len, &res);
	GT_EXPECT(ret == -EFAULT, "%s: CHECKSUM of another process's range: %d", who_name[w], ret);
	ret = gmt_sim_reduce(sfd, o->mem, BS, &res);
	GT_EXPECT(ret == -EFAULT, "%s: REDUCE of another process's range: %d", who_name[w], ret);
	ret = gmt_sim_fill(sfd, o->mem, BS, 0xbad);
	GT_EXPECT(ret == -EFAULT, "%s: FILL of another process's range: %d", who_name[w], ret);
	ret = gmt_sim_run(sfd, GMEM_SIM_TRACE, &rec, NULL, 1, 0, &res);
	GT_EXPECT(ret == -EFAULT, "%s: TRACE of another process's range: %d", who_name[w], ret);
	ret = gmt_advise(gfd, o->mem, o->len, GMEM_ADV_DONTNEED, 0, 0);
	GT_EXPECT(ret == -EINVAL, "%s: DONTNEED on another process's range: %d", who_name[w], ret);
	ret = gmt_advise(gfd, o->mem, BS, GMEM_ADV_PIN, gmt_sim_gmem_id(1), 0);
	GT_EXPECT(ret == -EINVAL, "%s: PIN on another process's range: %d", who_name[w], ret);
	ret = gmt_obj_info(gfd, o->mem, &oi);
	GT_EXPECT(ret == -ENOENT, "%s: OBJ_INFO by another process's address: %d", who_name[w], ret);
	/* The inherited descriptors act for this process, or not at all. */
	ret = gmt_sim_reduce(o->sfd, o->mem, BS, &res);
	GT_EXPECT(ret == -EBADF, "%s: the owner's gmem_sim fd: %d", who_name[w], ret);
	ret = gmt_obj_info(o->gfd, o->mem, &oi);
	GT_EXPECT(ret == -ENOENT, "%s: the owner's /dev/gmem fd: %d", who_name[w], ret);
	if (w == NOBODY_USER) {
		oi = (struct gmem_obj_info){ .id = o->obj };
		ret = gmt_err(ioctl(gfd, GMEM_IOC_OBJ_INFO, &oi));
		GT_EXPECT(ret == -ENOENT, "nobody: OBJ_INFO by the owner's id: %d", ret);
		ret = gmt_err(ioctl(gfd, GMEM_IOC_LIST_OBJECTS, &lst));
		GT_EXPECT(!ret && lst.count == 0, "nobody sees %u objects of others", lst.count);
		rel_add(bad_inputs, 2);
	}
	rel_add(bad_inputs, 9);
	close(sfd);
	close(gfd);
}

/* Its own mapping at the owner's address: its own (zeroed) memory, nothing else. */
static void same_address(enum who w, void *arg)
{
	struct owner *o = arg;
	int gfd = gmt_open_gmem(), sfd = gmt_sim_open(0);
	uint64_t sum = 1;
	uint32_t *m;
	struct iovec local, remote;
	uint32_t word = 0;

	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	m = mmap(o->mem, o->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, gfd, 0);
	GT_ASSERT(m == o->mem, "%s: mmap at the owner's address: %s", who_name[w], strerror(errno));
	GT_EXPECT(gmt_sim_reduce(sfd, m, o->len, &sum) == 0 && sum == 0,
		  "%s: a new mapping at the owner's address holds data (sum %llu)", who_name[w],
		  (unsigned long long)sum);
	GT_EXPECT(m[0] == 0 && m[o->len / 4 - 1] == 0, "%s: CPU sees data", who_name[w]);
	GT_EXPECT(gmt_sim_fill(sfd, m, o->len, 0x55) == 0, "%s: fill its own", who_name[w]);
	munmap(m, o->len);
	if (w == NOBODY_USER) {
		/* Nor through the kernel's cross-process copy (ptrace rules). */
		local = (struct iovec){ &word, 4 };
		remote = (struct iovec){ o->mem, 4 };
		GT_EXPECT(process_vm_readv(getppid(), &local, 1, &remote, 1, 0) < 0 &&
			  errno == EPERM, "nobody read root's gmem memory: %s", strerror(errno));
		rel_add(bad_inputs, 1);
	}
	close(sfd);
	close(gfd);
}

GT_TEST(only_own_memory_is_reachable)
{
	struct gmem_obj_info oi0, oi;
	struct owner o;
	uint64_t h;
	int i;

	rel_setup();
	o.gfd = gmt_open_gmem();
	o.sfd = gmt_sim_open(0);
	GT_ASSERT(o.gfd >= 0 && o.sfd >= 0, "open");
	o.len = 4 * BS;
	o.mem = gmt_map(o.gfd, o.len);
	GT_ASSERT(o.mem, "mmap");
	gmt_fill_pat(o.mem, o.len / 4, 61);
	GT_ASSERT(gmt_advise(o.gfd, o.mem, 2 * BS, GMEM_ADV_WILLNEED, gmt_sim_gmem_id(0), 0) == 0,
		  "WILLNEED");
	GT_ASSERT(gmt_wait_copies(o.gfd) == 0, "the hint's copies still in flight");
	GT_ASSERT(gmt_obj_info(o.gfd, o.mem, &oi0) == 0, "obj info");
	o.obj = oi0.id;
	for (i = 0; i <= NOBODY_USER; i++) {
		as(i, reach_by_address, &o);
		as(i, same_address, &o);
	}
	GT_ASSERT(gmt_obj_info(o.gfd, o.mem, &oi) == 0, "obj info");
	GT_EXPECT(!memcmp(&oi.stats, &oi0.stats, sizeof(oi.stats)),
		  "other processes changed the owner's object (h2d %llu->%llu d2h %llu->%llu)",
		  (unsigned long long)oi0.stats.h2d_blocks, (unsigned long long)oi.stats.h2d_blocks,
		  (unsigned long long)oi0.stats.d2h_blocks, (unsigned long long)oi.stats.d2h_blocks);
	GT_ASSERT(gmt_sim_checksum(o.sfd, o.mem, o.len, &h) == 0, "owner's checksum");
	GT_EXPECT(gmt_check_pat(o.mem, o.len / 4, 61) < 0, "the owner's data changed");
	GT_EXPECT(h == gmt_fnv1a(o.mem, o.len, GMT_FNV_BASIS), "the device sees other data");
	munmap(o.mem, o.len);
	close(o.sfd);
	close(o.gfd);
	rel_no_leak();
}

/*
 * Children. A gmem mapping is not inherited (VM_DONTCOPY): a child has
 * nothing at the parent's addresses. After madvise(MADV_DOFORK) the parent
 * chose to share it: the child's CPU sees the same memory coherently, but
 * devices still serve only the creator's address space, the child's exit
 * leaves the parent's object alone, and once the parent unmaps it the
 * child's accesses fault (SIGBUS) instead of reaching freed memory.
 */
static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	siglongjmp(fault_jmp, sig);
}

/* Read word @i of @m; 0 with *v set, or the signal the access raised. */
static int probe(volatile uint32_t *m, size_t i, uint32_t *v)
{
	int sig;

	signal(SIGSEGV, on_fault);
	signal(SIGBUS, on_fault);
	sig = sigsetjmp(fault_jmp, 1);
	if (!sig)
		*v = m[i];
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	return sig;
}

enum child_case { NOT_INHERITED, INHERITED, OUTLIVES_PARENT };

/* In the child; returns the number of violations (its exit status). */
static int child_view(enum child_case c, uint32_t *m, size_t len, int go_fd)
{
	int gfd = gmt_open_gmem(), sfd = gmt_sim_open(1), bad = 0, sig;
	struct gmem_obj_info oi;
	uint64_t sum;
	uint32_t v = 0;
	char x;

	if (gfd < 0 || sfd < 0)
		return 100;
	if (gmt_sim_reduce(sfd, m, len, &sum) != -EFAULT) {
		gt_log("child: a device job ran on the parent's object");
		bad++;
	}
	if (gmt_obj_info(gfd, m, &oi) != -ENOENT) {
		gt_log("child: OBJ_INFO finds the parent's object");
		bad++;
	}
	if (c == OUTLIVES_PARENT && read(go_fd, &x, 1) != 1)
		return 101;
	sig = probe(m, 1, &v);
	switch (c) {
	case NOT_INHERITED:
		if (sig != SIGSEGV) {
			gt_log("child: the parent's address is mapped here (signal %d)", sig);
			bad++;
		}
		break;
	case INHERITED:
		if (sig || v != gmt_pat(71, 1)) {
			gt_log("child: the shared mapping reads %#x (signal %d)", v, sig);
			bad++;
		}
		m[2] = 0xc0ffee;	/* the parent must see this */
		break;
	case OUTLIVES_PARENT:
		if (sig != SIGBUS) {
			gt_log("child: after the parent's munmap the access gave signal %d, %#x", sig, v);
			bad++;
		}
		break;
	}
	return bad;
}

static void fork_case(enum child_case c)
{
	size_t len = 2 * BS;
	int gfd, sfd, wst, go[2];
	struct gmem_obj_info oi;
	uint32_t *m;
	uint64_t h;
	pid_t pid;

	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0 && pipe(go) == 0, "open");
	m = gmt_map(gfd, len);
	GT_ASSERT(m, "mmap");
	gmt_fill_pat(m, len / 4, 71);
	GT_ASSERT(gmt_advise(gfd, (uint8_t *)m + BS, BS, GMEM_ADV_WILLNEED, gmt_sim_gmem_id(0), 0) == 0,
		  "WILLNEED");
	if (c != NOT_INHERITED)
		GT_ASSERT(madvise(m, len, MADV_DOFORK) == 0, "MADV_DOFORK: %s", strerror(errno));
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0)
		_exit(child_view(c, m, len, go[0]));
	if (c == OUTLIVES_PARENT) {
		GT_ASSERT(munmap(m, len) == 0, "munmap");
		GT_ASSERT(write(go[1], "g", 1) == 1, "go");
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	GT_EXPECT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "case %d: child status %#x", c, wst);
	rel_add(bad_inputs, 2);
	if (c != OUTLIVES_PARENT) {
		/* The child's exit did not take the object with it. */
		GT_ASSERT(gmt_obj_info(gfd, m, &oi) == 0, "the parent's object is gone");
		if (c == INHERITED) {
			GT_EXPECT(m[2] == 0xc0ffee, "the child's write is not visible: %#x", m[2]);
			m[2] = gmt_pat(71, 2);
		}
		GT_ASSERT(gmt_sim_checksum(sfd, m, len, &h) == 0, "device checksum");
		GT_EXPECT(gmt_check_pat(m, len / 4, 71) < 0, "the parent's data changed");
		GT_EXPECT(h == gmt_fnv1a(m, len, GMT_FNV_BASIS), "the device sees other data");
		munmap(m, len);
	}
	close(go[0]);
	close(go[1]);
	close(sfd);
	close(gfd);
	rel_no_leak();
}

GT_TEST(children_reach_only_what_was_shared)
{
	rel_setup();
	fork_case(NOT_INHERITED);
	fork_case(INHERITED);
	fork_case(OUTLIVES_PARENT);
}

/* ------------------------------------------------------------ the trace */

static void trace_denied(enum who w, void *arg)
{
	struct gmem_trace_rec recs[4];
	struct gmem_trace_read rd = { .buf_ptr = (uintptr_t)recs, .capacity = 4 };
	struct gmem_obj_list lst = { 0 };
	int gfd = gmt_open_gmem(), ret;
	uint32_t cap = 64;

	(void)arg;
	GT_ASSERT(gfd >= 0, "open");
	ret = gmt_err(ioctl(gfd, GMEM_IOC_TRACE_START, &cap));
	GT_EXPECT(ret == -EPERM, "%s: TRACE_START: %d", who_name[w], ret);
	ret = gmt_err(ioctl(gfd, GMEM_IOC_TRACE_READ, &rd));
	GT_EXPECT(ret == -EPERM, "%s: TRACE_READ: %d", who_name[w], ret);
	ret = gmt_err(ioctl(gfd, GMEM_IOC_TRACE_STOP, NULL));
	GT_EXPECT(ret == -EPERM, "%s: TRACE_STOP: %d", who_name[w], ret);
	ret = gmt_err(ioctl(gfd, GMEM_IOC_LIST_OBJECTS, &lst));
	GT_EXPECT(!ret && lst.count == 0, "%s lists %u objects of another process", who_name[w],
		  lst.count);
	rel_add(bad_inputs, 4);
	close(gfd);
}

GT_TEST(trace_needs_cap_sys_admin)
{
	struct gmem_trace_rec recs[16];
	struct gmem_trace_read rd = { .buf_ptr = (uintptr_t)recs, .capacity = 16 };
	struct gmem_obj_list lst = { 0 };
	uint32_t cap = 64, *m;
	uint64_t sum;
	int gfd, sfd;

	rel_setup();
	gfd = gmt_open_gmem();
	sfd = gmt_sim_open(0);
	GT_ASSERT(gfd >= 0 && sfd >= 0, "open");
	m = gmt_map(gfd, BS);		/* an object the others must not list */
	GT_ASSERT(m, "mmap");
	/* Root's trace keeps running while the others are refused. */
	GT_ASSERT(ioctl(gfd, GMEM_IOC_TRACE_START, &cap) == 0, "root: TRACE_START: %s",
		  strerror(errno));
	as(NOBODY_USER, trace_denied, NULL);
	as(NO_SYS_ADMIN, trace_denied, NULL);
	GT_ASSERT(gmt_sim_reduce(sfd, m, 4, &sum) == 0, "reduce");
	GT_EXPECT(ioctl(gfd, GMEM_IOC_TRACE_READ, &rd) == 0 && rd.count >= 1,
		  "root: TRACE_READ: %s, %u records", strerror(errno), rd.count);
	GT_EXPECT(ioctl(gfd, GMEM_IOC_TRACE_STOP, NULL) == 0, "root: TRACE_STOP: %s",
		  strerror(errno));
	GT_EXPECT(ioctl(gfd, GMEM_IOC_LIST_OBJECTS, &lst) == 0 && lst.count == 1,
		  "root lists %u objects", lst.count);
	munmap(m, BS);
	close(sfd);
	close(gfd);
	rel_no_leak();
}

GT_TEST(summary)
{
	gt_log("reliability: privilege_denied=%llu", rel_get(bad_inputs));
	GT_ASSERT(rel_get(bad_inputs) > 0, "nothing was refused");
}

GT_MAIN()
