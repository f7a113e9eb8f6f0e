// SPDX-License-Identifier: GPL-2.0
/*
 * sample_dev.c: see sample_dev.h. Every function returns 0 or -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sample_dev.h"

int sample_dev_open(struct sample_dev *d, unsigned int index)
{
	struct gmem_dev_info di;
	char path[96];
	unsigned int id;
	FILE *f;
	int err;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	snprintf(path, sizeof(path), "/sys/class/misc/gmem_sim%u/gmem_id", index);
	f = fopen(path, "r");
	if (!f)
		return -ENODEV;
	err = fscanf(f, "%u", &id) == 1 ? 0 : -EIO;
	fclose(f);
	if (err)
		return err;
	err = gmem_dev_info(id, &di);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/dev/gmem_sim%u", index);
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	d->id = id;
	d->block_size = di.block_size;
	d->hbm_bytes = di.hbm_bytes;
	return 0;
}

void sample_dev_close(struct sample_dev *d)
{
	gmem_policy_close(d->policy);
	d->policy = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

static int sample_launch(struct sample_dev *d, struct gmem_sim_launch *l)
{
	struct gmem_sim_wait w = { 0 };

	l->flags = GMEM_SIM_F_SYNC;
	if (ioctl(d->fd, GMEM_SIM_IOC_LAUNCH, l))
		return -errno;
	w.seq = l->seq;		/* done already (SYNC): collect status and clock */
	if (ioctl(d->fd, GMEM_SIM_IOC_WAIT, &w))
		return -errno;
	d->jobs++;
	d->job_ns += w.dev_ns;
	return (int)w.status;
}

int sample_gemm(struct sample_dev *d, const int8_t *a, size_t lda, const int8_t *b, size_t ldb,
		int32_t *c, size_t ldc, uint32_t m, uint32_t n, uint32_t k, uint32_t flags)
{
	struct gmem_sim_gemm g = {
		.a = (uintptr_t)a, .b = (uintptr_t)b, .c = (uintptr_t)c,
		.lda = lda, .ldb = ldb, .ldc = ldc, .m = m, .n = n, .k = k, .flags = flags,
	};
	struct gmem_sim_launch l = { .op = GMEM_SIM_GEMM, .x = (uintptr_t)&g };

	return sample_launch(d, &l);
}

void sample_gemm_ref(const int8_t *a, size_t lda, const int8_t *b, size_t ldb, int32_t *c,
		     size_t ldc, uint32_t m, uint32_t n, uint32_t k, uint32_t flags)
{
	uint32_t i, j, t;

	for (i = 0; i < m; i++) {
		uint32_t *crow = (uint32_t *)((char *)c + i * ldc);

		for (j = 0; j < n; j++) {
			uint32_t sum = 0;

			for (t = 0; t < k; t++) {
				int8_t bv = flags & GMEM_SIM_GEMM_BN ? b[t * ldb + j] : b[j * ldb + t];

				sum += (uint32_t)((int32_t)a[i * lda + t] * bv);
			}
			crow[j] = (flags & GMEM_SIM_GEMM_ACC) ? crow[j] + sum : sum;
		}
	}
}

int sample_copy(struct sample_dev *d, void *dst, const void *src, size_t len)
{
	struct gmem_sim_launch l = {
		.op = GMEM_SIM_COPY, .x = (uintptr_t)src, .y = (uintptr_t)dst, .len = len,
	};

	return sample_launch(d, &l);
}

int sample_clock(struct sample_dev *d, struct gmem_sim_clock *c)
{
	return ioctl(d->fd, GMEM_SIM_IOC_CLOCK, c) ? -errno : 0;
}

void sample_clock_print(FILE *f, const struct gmem_sim_clock *c)
{
	fprintf(f, "device clock (virtual ns, gmem_sim): %u DMA channel(s) at %u MB/s, "
		"fault %u ns, compute %u int8 MAC/ns\n",
		c->dma_channels, c->link_mbps, c->fault_lat_ns, c->compute_gmacs);
}

int sample_policy_use(struct sample_dev *d, const char *name)
{
	int err;

	if (!strcmp(name, "builtin"))
		return 0;
	err = gmem_policy_open(name, &d->policy);
	if (!err)
		err = gmem_policy_load(d->policy);
	if (!err)
		err = gmem_policy_attach(d->policy);
	if (err) {
		fprintf(stderr, "policy %s: %s\n", name, gmem_strerror(err));
		gmem_policy_close(d->policy);
		d->policy = NULL;
	}
	return err;
}

void sample_policy_now(char *buf, size_t len)
{
	struct gmem_policy_status st;

	if (gmem_policy_status(&st) || !st.active)
		snprintf(buf, len, "builtin");
	else
		snprintf(buf, len, "%s", st.name);
}

int sample_counts(struct sample_counts *c)
{
	struct gmem_stats st;
	int err = gmem_global_stats(&st);

	if (err)
		return err;
	c->migrated = st.h2d_bytes + st.d2h_bytes;
	c->dev_faults = st.dev_faults;
	c->evictions = st.evictions;
	return 0;
}
