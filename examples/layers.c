// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-example-layers: a toy "model" in unified memory, run on the simulated
 * accelerator(s) layer by layer, using nothing but libgmempolicy and the
 * simulator's launch ioctl.
 *
 *   - every layer's weights are one gmem_alloc() (block aligned, so each
 *     layer owns whole blocks), tagged with its layer id (gmem_tag_layer) for
 *     layer-aware policies;
 *   - the CPU writes the weights; the devices then compute
 *     acc = 2 * w[l] + acc (GMEM_SIM_AXPY) for l = 0..L-1, alternating
 *     devices when there are several, and prefetch the next layer's weights
 *     while the current one runs (gmem_prefetch);
 *   - the device reduces acc (GMEM_SIM_REDUCE) and the CPU reads acc back;
 *     both are checked against values computed independently on the CPU.
 * With the default sizes (8 x 16 MiB over two devices) each device's share
 * of the weights plus the accumulator exceeds its HBM (64 MiB by default),
 * so blocks are evicted and migrated back during the run.
 *
 * Usage: gmem-example-layers [--hold] [layers [MiB-per-layer]]   (default 8 16)
 * --hold keeps the memory allocated after the checks until SIGINT/SIGTERM,
 * so that `gmemctl objects` can show it.
 * Exit status 0 when every check passes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "gmempolicy.h"

#define MAX_LAYERS	64
#define MAX_SIM		GMEM_MAX_DEVICES
#define AXPY_SCALE	2

struct model {
	bool hold;
	int layers;
	size_t bytes;		/* per layer, and of the accumulator */
	int32_t *w[MAX_LAYERS];
	int32_t *acc;
	int sim_fd[MAX_SIM];
	int nr_sim;
};

/* The weight of element @i of layer @l: small, so sums stay in range. */
static int32_t weight(int l, size_t i)
{
	return (int32_t)((l + 1) * 3 + (int)(i % 7)) - 9;
}

static int sim_run(int fd, uint32_t op, const void *x, const void *y, size_t len,
		   uint64_t scalar, uint64_t *result)
{
	struct gmem_sim_launch l = {
		.op = op, .flags = GMEM_SIM_F_SYNC, .x = (uintptr_t)x, .y = (uintptr_t)y,
		.len = len, .scalar = scalar,
	};
	struct gmem_sim_wait w = { 0 };

	if (ioctl(fd, GMEM_SIM_IOC_LAUNCH, &l))
		return -errno;
	w.seq = l.seq;		/* done already (SYNC); WAIT collects status and result */
	if (ioctl(fd, GMEM_SIM_IOC_WAIT, &w))
		return -errno;
	if (result)
		*result = w.result;
	return (int)w.status;
}

static int open_sims(struct model *m)
{
	char path[64];
	int n = gmem_nr_devices(), i, fd;

	if (n < 0)
		return n;
	for (i = 0; i < n && m->nr_sim < MAX_SIM; i++) {
		snprintf(path, sizeof(path), "/dev/gmem_sim%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			m->sim_fd[m->nr_sim++] = fd;
	}
	return m->nr_sim ? 0 : -ENODEV;
}

static int alloc_model(struct model *m)
{
	struct gmem_dev_info dev;
	size_t align = 2u << 20;
	size_t i, n = m->bytes / sizeof(int32_t);
	int l, err;

	/* Block-aligned layers: one layer's tag never lands on another's block. */
	if (!gmem_dev_info(0, &dev) && dev.block_size && dev.block_size < align)
		align = dev.block_size;
	for (l = 0; l < m->layers; l++) {
		err = gmem_alloc(m->bytes, align, (void **)&m->w[l]);
		if (err)
			return err;
		err = gmem_tag_layer(m->w[l], m->bytes, (uint64_t)l + 1);
		if (err)
			return err;
		for (i = 0; i < n; i++)
			m->w[l][i] = weight(l, i);
	}
	err = gmem_alloc(m->bytes, align, (void **)&m->acc);
	if (err)
		return err;
	memset(m->acc, 0, m->bytes);
	return 0;
}

static int run_layers(struct model *m)
{
	int l, err, fd;

	for (l = 0; l < m->layers; l++) {
		fd = m->sim_fd[l % m->nr_sim];
		/* Warm the next layer's weights on its device (a hint: may be ignored). */
		if (l + 1 < m->layers)
			gmem_prefetch(m->w[l + 1], m->bytes, (uint32_t)((l + 1) % m->nr_sim));
		err = sim_run(fd, GMEM_SIM_AXPY, m->w[l], m->acc, m->bytes, AXPY_SCALE, NULL);
		if (err) {
			fprintf(stderr, "layer %d: AXPY failed: %s\n", l, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* acc[i] after all layers: weight() depends on i only through i % 7. */
static void expected(const struct model *m, int32_t want[7])
{
	int r, l;

	for (r = 0; r < 7; r++) {
		want[r] = 0;
		for (l = 0; l < m->layers; l++)
			want[r] += AXPY_SCALE * weight(l, (size_t)r);
	}
}

/* Device REDUCE (sum of u32) and an element-wise CPU check of acc. */
static int check(struct model *m)
{
	size_t i, n = m->bytes / sizeof(int32_t), bad = 0;
	uint64_t want_sum = 0, dev_sum = 0;
	int32_t want[7];
	int err;

	expected(m, want);
	for (i = 0; i < n; i++)
		want_sum += (uint32_t)want[i % 7];
	err = sim_run(m->sim_fd[0], GMEM_SIM_REDUCE, m->acc, NULL, m->bytes, 0, &dev_sum);
	if (err) {
		fprintf(stderr, "REDUCE failed: %s\n", strerror(-err));
		return err;
	}
	if (dev_sum != want_sum) {
		fprintf(stderr, "device sum %" PRIu64 ", expected %" PRIu64 "\n", dev_sum, want_sum);
		return -EIO;
	}
	/* The CPU reads acc last: this pulls every block back from the devices. */
	for (i = 0; i < n; i++)
		if (m->acc[i] != want[i % 7] && bad++ < 5)
			fprintf(stderr, "acc[%zu] = %d, expected %d\n", i, m->acc[i], want[i % 7]);
	return bad ? -EIO : 0;
}

static void report(const struct model *m)
{
	struct gmem_obj_info o;
	struct gmem_stats st;
	struct gmem_heap_stats hs;

	gmem_heap_stats(&hs);
	printf("layers: %d x %zu MiB on %d device(s); %u arena(s), %" PRIu64 " MiB mapped\n",
	       m->layers, m->bytes >> 20, m->nr_sim, hs.arenas, hs.mapped_bytes >> 20);
	if (!gmem_obj_info_addr(m->w[0], &o))
		printf("object %u (layer 0): tag %" PRIu64 ", %" PRIu64 " device faults\n",
		       o.id, (uint64_t)o.tag, (uint64_t)o.stats.dev_faults);
	if (!gmem_global_stats(&st))
		printf("total: %llu device faults, %llu cpu faults, %llu blocks h2d, %llu d2h, "
		       "%llu evictions, %llu prefetched\n",
		       (unsigned long long)st.dev_faults, (unsigned long long)st.cpu_faults,
		       (unsigned long long)st.h2d_blocks, (unsigned long long)st.d2h_blocks,
		       (unsigned long long)st.evictions, (unsigned long long)st.prefetch_issued);
}

static void free_model(struct model *m)
{
	int l;

	for (l = 0; l < m->layers; l++)
		if (m->w[l])
			gmem_free(m->w[l]);
	if (m->acc)
		gmem_free(m->acc);
	for (l = 0; l < m->nr_sim; l++)
		close(m->sim_fd[l]);
}

static int parse_args(int argc, char **argv, struct model *m)
{
	uint64_t v;
	int i, pos = 0;

	m->layers = 8;
	m->bytes = 16u << 20;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hold")) {
			m->hold = true;
			continue;
		}
		if (pos == 0 && !gmem_parse_u64(argv[i], &v) && v && v <= MAX_LAYERS)
			m->layers = (int)v;
		else if (pos == 1 && !gmem_parse_u64(argv[i], &v) && v && v <= 1024)
			m->bytes = (size_t)v << 20;
		else
			return -EINVAL;
		pos++;
	}
	return 0;
}

/* Keep everything mapped until told to stop (for `gmemctl objects`). */
static void hold(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("holding the model (pid %d); SIGINT or SIGTERM to free it\n", (int)getpid());
	fflush(stdout);
	sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	struct model m = { 0 };
	int err;

	if (parse_args(argc, argv, &m)) {
		fprintf(stderr, "usage: %s [--hold] [layers (1..%d) [MiB per layer (1..1024)]]\n",
			argv[0], MAX_LAYERS);
		return 2;
	}
	err = open_sims(&m);
	if (err) {
		fprintf(stderr, "no simulated device: %s (load gmem.ko and gmem_sim.ko)\n",
			gmem_strerror(err));
		return 1;
	}
	err = alloc_model(&m);
	if (err)
		fprintf(stderr, "allocating the model: %s\n", gmem_strerror(err));
	if (!err)
		err = run_layers(&m);
	if (!err)
		err = check(&m);
	if (!err)
		report(&m);
	printf("%s\n", err ? "FAILED" : "OK: device and CPU results match");
	fflush(stdout);
	if (!err && m.hold)
		hold();
	free_model(&m);
	return err ? 1 : 0;
}
