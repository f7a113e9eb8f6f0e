// SPDX-License-Identifier: GPL-2.0
/*
 * test_reliability_gup (issue 12, item 1): no write through a reference to
 * gmem's host pages is ever lost. The kernel and other processes reach
 * unified memory through get_user_pages: io_uring fixed buffers (pinned
 * for as long as they are registered), O_DIRECT on a block device and on a
 * file (a loop device over a tmpfs file, and tmpfs itself), vmsplice
 * (the pipe holds the pages) and process_vm_writev. Each runs while a
 * mover thread keeps moving the blocks between the two devices, and each
 * round is content-checked on the CPU and on a device.
 *
 * The fixed core does not migrate a block whose host pages someone else
 * references: the device maps it remotely (its jobs succeed) or its fault
 * fails cleanly. Either way the data is what the last writer wrote. Every
 * block found with other data counts in gup_writes_lost (must stay 0).
 */
#define GT_TIMEOUT_S	(getenv("GMEM_STRESS") ? 3600 : 120)
#include <fcntl.h>
#include <sys/uio.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include "gtest.h"
#include "gmem_test_util.h"
#include "test_reliability.h"
#include "test_reliability_hostile.h"

#define NB	8			/* blocks under I/O (half of one device's HBM) */
#define LEN	(NB * REL_BS)
#define WORDS	(LEN / 4)

static unsigned int rounds(void)
{
	return rel_scale(8, 50);
}

/* Count a check; any lost block fails the running test. */
static void lost(size_t blocks)
{
	rel_add(gup_writes_lost, blocks);
	rel_add(ops, 1);
	if (blocks)
		gt_failed_here = 1;
}

/* The test's mapping, filled on the CPU with @seed, and a mover over it. */
struct gup {
	int gfd, sfd[2];
	uint32_t *m, *want;
	struct rel_mover mv;
};

static void gup_open(struct gup *g)
{
	rel_setup();
	g->gfd = gmt_open_gmem();
	g->sfd[0] = gmt_sim_open(0);
	g->sfd[1] = gmt_sim_open(1);
	GT_ASSERT(g->gfd >= 0 && g->sfd[0] >= 0 && g->sfd[1] >= 0, "open");
	g->m = gmt_map(g->gfd, LEN);
	GT_ASSERT(g->m, "mmap: %s", strerror(errno));
	GT_ASSERT(posix_memalign((void **)&g->want, 4096, LEN) == 0, "memalign");
	gmt_fill_pat(g->m, WORDS, 1);
	rel_mover_start(&g->mv, g->m, LEN);
}

static void gup_close(struct gup *g)
{
	rel_mover_stop(&g->mv);
	munmap(g->m, LEN);
	free(g->want);
	close(g->sfd[0]);
	close(g->sfd[1]);
	close(g->gfd);
	rel_no_leak();
}

/* Round @r: a device reads the whole range (it migrates there on today's core). */
static void to_device(struct gup *g, unsigned int r)
{
	uint64_t sum;
	int ret = gmt_sim_reduce(g->sfd[r % 2], g->m, LEN, &sum);

	GT_EXPECT(ret == 0 || ret == -EFAULT, "device read: %d", ret);
}

/*
 * A device writes @v over the range: on success that is what g->want
 * holds; if the device's fault failed cleanly (-EFAULT, allowed for pinned
 * blocks), the old content.
 */
static void device_write(struct gup *g, unsigned int r, uint32_t v)
{
	int ret;

	memcpy(g->want, g->m, LEN);
	ret = gmt_sim_fill(g->sfd[r % 2], g->m, LEN, v);
	GT_ASSERT(ret == 0 || ret == -EFAULT, "device FILL: %d", ret);
	if (!ret)
		rel_fill_u32(g->want, WORDS, v);
}

/* After the I/O of round @r: the mover stopped, both views against g->want. */
static void check_round(struct gup *g, unsigned int r, const char *what)
{
	char w[96];

	rel_mover_pause(&g->mv);
	snprintf(w, sizeof(w), "%s, round %u", what, r);
	lost(rel_check_both(g->sfd[(r + 1) % 2], g->m, g->want, LEN, w));
}

/* ------------------------------------------------------- io_uring, raw */

struct ring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_init(struct ring *r)
{
	struct io_uring_params p = { 0 };
	size_t sq_sz, cq_sz;
	uint8_t *sq, *cq;

	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		  IORING_OFF_SQ_RING);
	cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq :
	     mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		  IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -ENOMEM;
	r->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(sq + p.sq_off.array);
	r->cq_head = (unsigned int *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* One READ_FIXED/WRITE_FIXED of registered buffer 0: the CQE's result. */
static int ring_rw_fixed(struct ring *r, uint8_t opcode, int fd, void *buf, uint32_t len)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = len;
	sqe->off = 0;
	sqe->buf_index = 0;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	while (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		usleep(100);
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* A ring with the whole mapping registered as fixed buffer 0 (pinned). */
static void ring_register(struct ring *r, struct gup *g)
{
	struct iovec iov = { g->m, LEN };
	int ret = ring_init(r);

	if (ret == -ENOSYS || ret == -EPERM)
		GT_SKIP("io_uring not available: %s", strerror(-ret));
	GT_ASSERT(ret == 0, "io_uring_setup: %s", strerror(-ret));
	ret = syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS, &iov, 1);
	/* The design pins the pages; refusing the registration would lose nothing either. */
	GT_ASSERT(ret == 0, "registering gmem memory as an io_uring fixed buffer: %s",
		  strerror(errno));
}

static int tmpfile_fd(const char *name)
{
	int fd = open(name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	GT_ASSERT(fd >= 0, "open %s: %s", name, strerror(errno));
	return fd;
}

/* READ_FIXED into gmem: the bytes read are what the CPU and the devices see. */
GT_TEST(io_uring_read_fixed_into_gmem)
{
	struct ring ring;
	struct gup g;
	unsigned int r;
	int fd, res;

	gup_open(&g);
	ring_register(&ring, &g);
	fd = tmpfile_fd("/tmp/gup.src");
	for (r = 0; r < rounds(); r++) {
		gmt_fill_pat(g.want, WORDS, 100 + r);
		GT_ASSERT(pwrite(fd, g.want, LEN, 0) == (ssize_t)LEN, "pwrite");
		to_device(&g, r);
		rel_mover_resume(&g.mv);
		res = ring_rw_fixed(&ring, IORING_OP_READ_FIXED, fd, g.m, LEN);
		GT_EXPECT(res == (int)LEN, "READ_FIXED: %d", res);
		check_round(&g, r, "READ_FIXED into gmem");
	}
	close(ring.fd);
	close(fd);
	unlink("/tmp/gup.src");
	gup_close(&g);
}

/* WRITE_FIXED from gmem after a device wrote it: the file gets the device's bytes. */
GT_TEST(io_uring_write_fixed_from_gmem)
{
	uint32_t *file = malloc(LEN);
	struct ring ring;
	struct gup g;
	unsigned int r;
	int fd, res;

	GT_ASSERT(file, "malloc");
	gup_open(&g);
	ring_register(&ring, &g);
	fd = tmpfile_fd("/tmp/gup.dst");
	for (r = 0; r < rounds(); r++) {
		device_write(&g, r, 0x1000 + r);
		rel_mover_resume(&g.mv);
		res = ring_rw_fixed(&ring, IORING_OP_WRITE_FIXED, fd, g.m, LEN);
		rel_mover_pause(&g.mv);
		GT_EXPECT(res == (int)LEN, "WRITE_FIXED: %d", res);
		GT_ASSERT(pread(fd, file, LEN, 0) == (ssize_t)LEN, "pread");
		res = rel_blocks_differ(file, g.want, LEN);
		if (res)
			gt_log("WRITE_FIXED from gmem, round %u: %d of %d blocks in the file are not "
			       "what the device wrote", r, res, NB);
		lost(res);
		check_round(&g, r, "gmem after WRITE_FIXED");
	}
	close(ring.fd);
	close(fd);
	unlink("/tmp/gup.dst");
	free(file);
	gup_close(&g);
}

/* ---------------------------------------------------------------- O_DIRECT */

/*
 * O_DIRECT both ways on @fd: pread into gmem (the CPU wrote other data and
 * a device read it first), and pwrite from gmem after a device wrote it.
 */
static void odirect_rounds(struct gup *g, int fd, const char *what, unsigned int n)
{
	uint32_t *buf;
	unsigned int r;
	ssize_t got;
	char w[96];
	size_t bad;

	GT_ASSERT(posix_memalign((void **)&buf, 4096, LEN) == 0, "memalign");
	for (r = 0; r < n; r++) {
		gmt_fill_pat(g->want, WORDS, 200 + r);
		GT_ASSERT(pwrite(fd, g->want, LEN, 0) == (ssize_t)LEN, "%s: pwrite: %s", what,
			  strerror(errno));
		gmt_fill_pat(g->m, WORDS, 2);
		to_device(g, r);
		rel_mover_resume(&g->mv);
		got = pread(fd, g->m, LEN, 0);
		GT_EXPECT(got == (ssize_t)LEN, "%s: O_DIRECT pread into gmem: %zd (%s)", what, got,
			  strerror(errno));
		snprintf(w, sizeof(w), "%s: O_DIRECT pread into gmem", what);
		check_round(g, r, w);

		device_write(g, r, 0x2000 + r);
		rel_mover_resume(&g->mv);
		got = pwrite(fd, g->m, LEN, 0);
		rel_mover_pause(&g->mv);
		GT_EXPECT(got == (ssize_t)LEN, "%s: O_DIRECT pwrite from gmem: %zd (%s)", what, got,
			  strerror(errno));
		GT_ASSERT(pread(fd, buf, LEN, 0) == (ssize_t)LEN, "pread back");
		bad = rel_blocks_differ(buf, g->want, LEN);
		if (bad)
			gt_log("%s: O_DIRECT pwrite from gmem, round %u: %zu blocks are not what the "
			       "device wrote", what, r, bad);
		lost(bad);
	}
	free(buf);
}

GT_TEST(o_direct_block_device)
{
	struct gup g;
	int ret, fd;

	ret = rel_load_extra_module("brd", "rd_nr=1 rd_size=4096");
	if (ret == -ENOENT)
		GT_SKIP("no brd module in " GMT_MODDIR "/extra");
	/* Debian's module on another kernel (make test-debug's) does not load. */
	if (ret == -EOPNOTSUPP || ret == -ENOEXEC)
		GT_SKIP("brd cannot be loaded on this kernel: %s", strerror(-ret));
	GT_ASSERT(ret == 0, "load brd: %s", strerror(-ret));
	gup_open(&g);
	fd = open("/dev/ram0", O_RDWR | O_DIRECT | O_CLOEXEC);
	GT_ASSERT(fd >= 0, "open /dev/ram0 O_DIRECT: %s", strerror(errno));
	/* brd completes each I/O before returning: a narrow window, more rounds. */
	odirect_rounds(&g, fd, "/dev/ram0", 4 * rounds());
	close(fd);
	gup_close(&g);
}

GT_TEST(o_direct_file)
{
	struct loop_config cfg = { 0 };
	int ret, ctl, back, lfd, fd, n;
	char dev[32];
	struct gup g;

	gup_open(&g);
	/* tmpfs takes O_DIRECT since 6.6 (copied, not pinned): must not lose anything either. */
	fd = open("/tmp/gup.direct", O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		GT_ASSERT(ftruncate(fd, LEN) == 0, "ftruncate");
		odirect_rounds(&g, fd, "tmpfs file", rounds());
		close(fd);
	} else {
		gt_log("tmpfs refuses O_DIRECT (%s): only the loop device", strerror(errno));
	}
	unlink("/tmp/gup.direct");

	/* A file behind a loop device: the loop worker fills the pinned pages later. */
	/* Built in (the debug kernel), or Debian's module. */
	ret = access("/dev/loop-control", F_OK) ? rel_load_extra_module("loop", "max_loop=2") : 0;
	if (ret == -ENOENT)
		GT_SKIP("no loop module in " GMT_MODDIR "/extra");
	if (ret == -EOPNOTSUPP || ret == -ENOEXEC)
		GT_SKIP("loop cannot be loaded on this kernel: %s", strerror(-ret));
	GT_ASSERT(ret == 0, "load loop: %s", strerror(-ret));
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	GT_ASSERT(ctl >= 0, "open /dev/loop-control: %s", strerror(errno));
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	GT_ASSERT(n >= 0, "LOOP_CTL_GET_FREE: %s", strerror(errno));
	back = tmpfile_fd("/tmp/gup.img");
	GT_ASSERT(ftruncate(back, 4 * LEN) == 0, "ftruncate");
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	lfd = open(dev, O_RDWR | O_CLOEXEC);
	GT_ASSERT(lfd >= 0, "open %s: %s", dev, strerror(errno));
	cfg.fd = back;
	GT_ASSERT(ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0, "LOOP_CONFIGURE: %s", strerror(errno));
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	GT_ASSERT(fd >= 0, "open %s O_DIRECT: %s", dev, strerror(errno));
	odirect_rounds(&g, fd, "loop device over a file", rounds());
	close(fd);
	ioctl(lfd, LOOP_CLR_FD, 0);
	close(lfd);
	close(back);
	close(ctl);
	unlink("/tmp/gup.img");
	gup_close(&g);
}

/* --------------------------------------------------------------- vmsplice */

static void read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		GT_ASSERT(n > 0, "read pipe: %zd %s", n, strerror(errno));
		got += n;
	}
}

/*
 * vmsplice gmem pages into a pipe: the pipe holds references to them. A
 * device then writes the range; whoever reads the pipe must get the
 * device's bytes (the block was not migrated away from the pages) or, if
 * the device job failed, the old bytes with the mapping unchanged too.
 * The other way, vmsplice from a pipe writes into gmem like read(2).
 */
GT_TEST(vmsplice_pages_then_device_write)
{
	const size_t len = 4 * REL_BS, words = len / 4;
	uint32_t *got = malloc(len), *old = malloc(len);
	struct iovec iov;
	struct gup g;
	unsigned int r;
	int p[2], ret;
	size_t done;
	ssize_t n;

	GT_ASSERT(got && old, "malloc");
	gup_open(&g);
	GT_ASSERT(pipe(p) == 0, "pipe");
	GT_ASSERT(fcntl(p[1], F_SETPIPE_SZ, (int)len) >= (int)len, "F_SETPIPE_SZ: %s",
		  strerror(errno));
	for (r = 0; r < rounds(); r++) {
		gmt_fill_pat(g.m, words, 300 + r);
		memcpy(old, g.m, len);
		for (done = 0; done < len; done += n) {
			iov = (struct iovec){ (char *)g.m + done, len - done };
			n = vmsplice(p[1], &iov, 1, 0);
			GT_ASSERT(n > 0, "vmsplice: %s", strerror(errno));
		}
		rel_mover_resume(&g.mv);
		ret = gmt_sim_fill(g.sfd[r % 2], g.m, len, 0x3000 + r);
		rel_mover_pause(&g.mv);
		GT_EXPECT(ret == 0 || ret == -EFAULT, "device FILL: %d", ret);
		read_all(p[0], got, len);
		if (ret == 0)
			rel_fill_u32(g.want, words, 0x3000 + r);
		else
			memcpy(g.want, old, len);
		done = rel_blocks_differ(got, g.want, len);
		if (done)
			gt_log("vmsplice, round %u: the pipe holds %zu blocks the device did not "
			       "write (the device %s)", r, done, ret ? "failed" : "succeeded");
		lost(done);
		lost(rel_check_both(g.sfd[(r + 1) % 2], g.m, g.want, len, "gmem after vmsplice"));

		/* Pipe -> gmem. */
		gmt_fill_pat(g.want, words, 350 + r);
		GT_ASSERT(write(p[1], g.want, len) == (ssize_t)len, "write pipe");
		to_device(&g, r);
		rel_mover_resume(&g.mv);
		for (done = 0; done < len; done += n) {
			iov = (struct iovec){ (char *)g.m + done, len - done };
			n = vmsplice(p[0], &iov, 1, 0);
			GT_ASSERT(n > 0, "vmsplice from the pipe: %s", strerror(errno));
		}
		rel_mover_pause(&g.mv);
		lost(rel_check_both(g.sfd[(r + 1) % 2], g.m, g.want, len, "vmsplice into gmem"));
	}
	close(p[0]);
	close(p[1]);
	free(got);
	free(old);
	gup_close(&g);
}

/*
 * A reference to one page that is not a block's first: the pipe holds
 * only the last page of each block after vmsplice. A block's host pages are
 * one large folio, or order-0 pages when a large allocation fails
 * (gmem.debug_host_single_pages forces that): either way the block must
 * not leave its host pages while the pipe holds one of them, so the pipe
 * reads what the device wrote (or the old bytes, if the device job failed).
 */
GT_TEST(vmsplice_tail_page_then_device_write)
{
	const size_t len = 4 * REL_BS, words = len / 4, nb = len / REL_BS;
	const char *backing[] = { "N", "Y" };
	uint32_t *m, *old = malloc(len), *want = malloc(len), *got = malloc(nb * 4096);
	int gfd, sfd[2], p[2], ret;
	unsigned int pass;
	struct iovec iov;
	size_t b, bad;

	GT_ASSERT(old && want && got, "malloc");
	for (pass = 0; pass < 2; pass++) {
		rel_setup();
		GT_ASSERT(rel_core_param("debug_host_single_pages", backing[pass]) == 0,
			  "gmem.debug_host_single_pages");
		gfd = gmt_open_gmem();
		sfd[0] = gmt_sim_open(pass % 2);
		sfd[1] = gmt_sim_open(1 - pass % 2);
		GT_ASSERT(gfd >= 0 && sfd[0] >= 0 && sfd[1] >= 0, "open");
		m = gmt_map(gfd, len);
		GT_ASSERT(m, "mmap: %s", strerror(errno));
		GT_ASSERT(pipe(p) == 0, "pipe");
		gmt_fill_pat(m, words, 400 + pass);
		memcpy(old, m, len);
		for (b = 0; b < nb; b++) {
			iov = (struct iovec){ (char *)m + (b + 1) * REL_BS - 4096, 4096 };
			GT_ASSERT(vmsplice(p[1], &iov, 1, 0) == 4096, "vmsplice: %s",
				  strerror(errno));
		}
		ret = gmt_sim_fill(sfd[0], m, len, 0x4000 + pass);
		GT_EXPECT(ret == 0 || ret == -EFAULT, "device FILL: %d", ret);
		if (ret == 0)
			rel_fill_u32(want, words, 0x4000 + pass);
		else
			memcpy(want, old, len);
		read_all(p[0], got, nb * 4096);
		for (b = 0, bad = 0; b < nb; b++)
			bad += memcmp(got + b * 1024, (char *)want + (b + 1) * REL_BS - 4096,
				      4096) != 0;
		if (bad)
			gt_log("order-0 pages %s: the pipe holds %zu tail pages the device did not "
			       "write (the device %s)", backing[pass], bad, ret ? "failed" : "succeeded");
		lost(bad);
		lost(rel_check_both(sfd[1], m, want, len, "gmem after vmsplice"));
		close(p[0]);
		close(p[1]);
		munmap(m, len);
		close(sfd[0]);
		close(sfd[1]);
		close(gfd);
		rel_no_leak();
	}
	rel_core_param("debug_host_single_pages", "N");
	free(old);
	free(want);
	free(got);
}

/* ------------------------------------------------------- process_vm_writev */

/* Another (root) process writes the whole range with process_vm_writev, round by round. */
GT_TEST(process_vm_writev_from_another_process)
{
	int go[2], done[2], wst, res;
	unsigned int r, n = 3 * rounds();	/* the pin lasts one copy: more rounds */
	struct gup g;
	pid_t pid;

	gup_open(&g);
	GT_ASSERT(pipe(go) == 0 && pipe(done) == 0, "pipe");
	pid = fork();
	GT_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		uint32_t *src = malloc(LEN);
		struct iovec l = { src, LEN }, rem = { g.m, LEN };

		for (r = 0; r < n; r++) {
			if (read(go[0], &res, sizeof(res)) != sizeof(res))
				_exit(2);
			gmt_fill_pat(src, WORDS, 400 + r);
			res = process_vm_writev(getppid(), &l, 1, &rem, 1, 0) == (ssize_t)LEN ? 0 :
			      -errno;
			if (write(done[1], &res, sizeof(res)) != sizeof(res))
				_exit(3);
		}
		_exit(0);
	}
	for (r = 0; r < n; r++) {
		gmt_fill_pat(g.want, WORDS, 400 + r);
		to_device(&g, r);
		rel_mover_resume(&g.mv);
		GT_ASSERT(write(go[1], &r, sizeof(r)) == sizeof(r), "go");
		GT_ASSERT(read(done[0], &res, sizeof(res)) == sizeof(res), "done");
		GT_EXPECT(res == 0, "process_vm_writev: %s", strerror(-res));
		check_round(&g, r, "process_vm_writev into gmem");
	}
	GT_ASSERT(waitpid(pid, &wst, 0) == pid, "wait");
	GT_EXPECT(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "writer: %#x", wst);
	gup_close(&g);
}

GT_TEST(summary)
{
	rel_hostile_summary();
	GT_ASSERT(rel_get(ops) > 0, "nothing was checked");
}

GT_MAIN()
