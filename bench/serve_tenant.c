// SPDX-License-Identifier: GPL-2.0
/*
 * serve_tenant.c: one tenant of gmem-bench-serve, a process in a cgroup of
 * its own decoding a model on the simulated accelerator (see serve.h), and
 * the parent's side of starting, stepping and stopping it.
 *
 * The parent makes the cgroup directory and gives it its HBM limit and
 * policy before the fork; the child moves itself into it before it maps
 * /dev/gmem, since an object's tenant and policy are its creator's cgroup
 * at mmap() time.
 *
 * Locking: none. Parent and child are single-threaded and share nothing but
 * the pipes; the parent waits for each reply before the next command.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmempolicy.h>

#include "serve.h"

#define FNV_BASIS	0xcbf29ce484222325ull
#define FNV_PRIME	0x100000001b3ull
#define NO_WRITE	UINT32_MAX

struct child {
	const struct serve_tenant_cfg *cfg;
	int gfd, sfd;
	char *base;
	size_t size;
	struct gmem_sim_access *acc;	/* one step's records */
	uint32_t *last_write;		/* per block: record index of its last write */
	uint32_t mismatches;
};

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* The first word of page @page of tenant @tag. */
static uint64_t page_tag(uint32_t tag, uint64_t page)
{
	return 0x5356000000000000ull | (uint64_t)(tag & 0xffff) << 32 | (page & 0xffffffffull);
}

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * FNV_PRIME;
	return h;
}

/* Move this process into cgroup directory @dir. */
static int cg_enter(const char *dir)
{
	char path[160], pid[24];
	int fd, len, err = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	len = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, pid, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err;
}

static int child_setup(struct child *c, const char *dir)
{
	const struct serve_model *m = &c->cfg->model;
	char sim[48];
	size_t off;
	int err;

	err = cg_enter(dir);
	if (err)
		return err;
	c->gfd = open("/dev/gmem", O_RDWR | O_CLOEXEC);
	snprintf(sim, sizeof(sim), "/dev/gmem_sim%u", c->cfg->sim_index);
	c->sfd = open(sim, O_RDWR | O_CLOEXEC);
	if (c->gfd < 0 || c->sfd < 0)
		return -errno;
	c->acc = calloc(2 * (size_t)m->peak_blocks, sizeof(*c->acc));
	c->last_write = malloc(m->peak_blocks * sizeof(*c->last_write));
	if (!c->acc || !c->last_write)
		return -ENOMEM;
	memset(c->last_write, 0xff, m->peak_blocks * sizeof(*c->last_write));
	c->size = (size_t)m->peak_blocks * c->cfg->block_size;
	c->base = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, c->gfd, 0);
	if (c->base == MAP_FAILED)
		return -errno;
	for (off = 0; off < c->size; off += 4096)
		*(uint64_t *)(c->base + off) = page_tag(c->cfg->tag, off / 4096);
	return 0;
}

/* Fill c->acc for one step; *@expect is the checksum its reads must give. */
static uint32_t build_step(struct child *c, enum serve_cmd cmd, uint64_t *expect)
{
	const struct serve_model *m = &c->cfg->model;
	uint64_t bs = c->cfg->block_size, h = FNV_BASIS;
	uint32_t reads = cmd == SERVE_PEAK ? m->peak_blocks : m->decode_blocks;
	uint32_t wfirst = cmd == SERVE_PEAK ? m->decode_blocks : m->decode_blocks - 1;
	uint32_t wend = cmd == SERVE_PEAK ? m->peak_blocks : m->decode_blocks;
	uint8_t bytes[SERVE_ACC_LEN] = { 0 };
	uint32_t n = 0, b;

	for (b = 0; b < reads; b++, n++) {
		uint64_t tag = page_tag(c->cfg->tag, b * bs / 4096);

		c->acc[n] = (struct gmem_sim_access){
			.addr = (uintptr_t)c->base + b * bs, .len = SERVE_ACC_LEN,
		};
		memcpy(bytes, &tag, sizeof(tag));
		h = fnv_bytes(h, bytes, sizeof(bytes));
	}
	for (b = wfirst; b < wend; b++, n++) {
		c->acc[n] = (struct gmem_sim_access){
			.addr = (uintptr_t)c->base + b * bs + SERVE_WR_OFF,
			.len = SERVE_ACC_LEN, .write = 1,
		};
		c->last_write[b] = n;	/* the device writes (u8)(index + i) */
	}
	*expect = h;
	return n;
}

static int run_step(struct child *c, enum serve_cmd cmd, struct serve_msg *msg)
{
	uint64_t expect;
	uint32_t n = build_step(c, cmd, &expect);
	struct gmem_sim_launch l = {
		.op = GMEM_SIM_TRACE, .flags = GMEM_SIM_F_SYNC,
		.x = (uintptr_t)c->acc, .len = n, .compute_ns = c->cfg->model.compute_ns,
	};
	struct gmem_sim_wait w = { 0 };
	int err = xioctl(c->sfd, GMEM_SIM_IOC_LAUNCH, &l);

	if (!err) {
		w.seq = l.seq;
		err = xioctl(c->sfd, GMEM_SIM_IOC_WAIT, &w);
	}
	if (!err)
		err = (int)w.status;
	if (err)
		return err;
	msg->dev_ns = w.dev_ns;
	c->mismatches += w.result != expect;
	return 0;
}

/* Every page's tag and every written range, from the CPU. */
static void check_cpu(struct child *c)
{
	uint64_t bs = c->cfg->block_size, off;
	uint32_t b, i;

	for (off = 0; off < c->size; off += 4096)
		c->mismatches += *(volatile uint64_t *)(c->base + off) !=
				 page_tag(c->cfg->tag, off / 4096);
	for (b = 0; b < c->cfg->model.peak_blocks; b++) {
		const uint8_t *p = (const uint8_t *)c->base + b * bs + SERVE_WR_OFF;

		for (i = 0; c->last_write[b] != NO_WRITE && i < SERVE_ACC_LEN; i++)
			if (p[i] != (uint8_t)(c->last_write[b] + i)) {
				c->mismatches++;
				break;
			}
	}
}

static void obj_stats(struct child *c, struct gmem_stats *st)
{
	struct gmem_obj_info oi = { .addr = (uintptr_t)c->base };

	if (xioctl(c->gfd, GMEM_IOC_OBJ_INFO, &oi) == 0)
		*st = oi.stats;
}

/*
 * A BPF link stays attached while any fd of it is open: the child closes what
 * it inherited (earlier tenants' policies), keeping stdio and its pipes.
 */
static void close_inherited(int keep1, int keep2)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
		if (fd != keep1 && fd != keep2)
			close((int)fd);
}

static void __attribute__((noreturn))
child_main(const struct serve_tenant_cfg *cfg, const char *dir, int cmd_fd, int res_fd)
{
	struct child c = { .cfg = cfg, .gfd = -1, .sfd = -1 };
	struct serve_msg msg = { 0 };
	char cmd;

	close_inherited(cmd_fd, res_fd);
	msg.err = child_setup(&c, dir);
	if (write(res_fd, &msg, sizeof(msg)) != sizeof(msg) || msg.err)
		_exit(1);
	while (read(cmd_fd, &cmd, 1) == 1) {
		memset(&msg, 0, sizeof(msg));
		if (cmd == SERVE_QUIT) {
			obj_stats(&c, &msg.st);	/* before the check moves blocks back */
			check_cpu(&c);
		} else {
			msg.err = run_step(&c, (enum serve_cmd)cmd, &msg);
			obj_stats(&c, &msg.st);
		}
		msg.mismatches = c.mismatches;
		if (write(res_fd, &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		if (cmd == SERVE_QUIT)
			_exit(0);
	}
	_exit(1);
}

/* ------------------------------------------------------------ parent side */

static int read_msg(struct serve_tenant *t, struct serve_msg *msg)
{
	ssize_t n = read(t->res_fd, msg, sizeof(*msg));

	if (n != sizeof(*msg))
		return -EIO;	/* the tenant died */
	t->mismatches = msg->mismatches;
	t->st = msg->st;
	return msg->err;
}

static int attach_policy(struct serve_tenant *t)
{
	int err = gmem_policy_open(t->cfg.policy, &t->pol);

	if (err)
		return err;
	err = gmem_policy_set_cgroup(t->pol, t->dir);
	if (!err)
		err = gmem_policy_load(t->pol);
	if (!err)
		err = gmem_policy_attach(t->pol);
	if (err) {
		gmem_policy_close(t->pol);
		t->pol = NULL;
	}
	return err;
}

/* The cgroup with its limit and policy, before anything is created in it. */
static int cg_prepare(struct serve_tenant *t, const char *name)
{
	int err;

	snprintf(t->dir, sizeof(t->dir), SERVE_CG_ROOT "/gmem-serve.%d.%s", (int)getpid(), name);
	if (mkdir(t->dir, 0755) && errno != EEXIST)
		return -errno;
	if (t->cfg.limit_bytes) {
		err = gmem_cgroup_set_limit(t->dir, t->cfg.limit_bytes, t->cfg.weight);
		if (err) {
			fprintf(stderr, "gmem-bench-serve: limit on %s: %s\n", t->dir,
				gmem_strerror(err));
			return err;
		}
	}
	if (t->cfg.policy) {
		err = attach_policy(t);
		if (err) {
			fprintf(stderr, "gmem-bench-serve: policy %s on %s: %s\n", t->cfg.policy,
				t->dir, gmem_strerror(err));
			return err;
		}
	}
	return 0;
}

static void cg_release(struct serve_tenant *t)
{
	gmem_policy_close(t->pol);
	t->pol = NULL;
	rmdir(t->dir);
}

int serve_tenant_start(struct serve_tenant *t, const char *name)
{
	int down[2], up[2], err;
	struct serve_msg msg;

	t->pid = 0;
	t->steps = 0;
	t->dev_ns = 0;
	err = cg_prepare(t, name);
	if (err)
		goto err_cg;
	if (pipe2(down, O_CLOEXEC) || pipe2(up, O_CLOEXEC)) {
		err = -errno;
		goto err_cg;
	}
	fflush(NULL);
	t->pid = fork();
	if (t->pid == 0) {
		close(down[1]);
		close(up[0]);
		child_main(&t->cfg, t->dir, down[0], up[1]);
	}
	close(down[0]);
	close(up[1]);
	t->cmd_fd = down[1];
	t->res_fd = up[0];
	if (t->pid < 0) {
		err = -errno;
		goto err_fds;
	}
	err = read_msg(t, &msg);
	if (err)
		goto err_child;
	return 0;

err_child:
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
err_fds:
	close(t->cmd_fd);
	close(t->res_fd);
err_cg:
	fprintf(stderr, "gmem-bench-serve: tenant %s did not start: %s\n", name, strerror(-err));
	cg_release(t);
	return err;
}

int serve_tenant_step(struct serve_tenant *t, enum serve_cmd cmd)
{
	char c = (char)cmd;
	struct serve_msg msg;
	int err;

	if (write(t->cmd_fd, &c, 1) != 1)
		return -EIO;
	err = read_msg(t, &msg);
	if (err)
		return err;
	t->steps++;
	t->dev_ns += msg.dev_ns;
	return 0;
}

int serve_tenant_stop(struct serve_tenant *t)
{
	char c = SERVE_QUIT;
	struct serve_msg msg;
	int err = -EIO, st;

	if (write(t->cmd_fd, &c, 1) == 1)
		err = read_msg(t, &msg);
	close(t->cmd_fd);
	close(t->res_fd);
	if (waitpid(t->pid, &st, 0) != t->pid || !WIFEXITED(st) || WEXITSTATUS(st))
		err = err ? err : -EIO;
	cg_release(t);
	return err;
}
