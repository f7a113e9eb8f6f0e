// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_gtrace: the trace file reader (bench/gtrace.c) on arbitrary files.
 * gtrace_load() must reject every malformed file with -EINVAL (never read
 * out of bounds, never allocate more than the file justifies); what it
 * accepts must be self-consistent, and gtrace_keys() must work on it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gtrace.h"


static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gtrace t;
	uint64_t *keys = NULL;
	uint8_t *writes = NULL;
	long n, i;
	int err;

	if (fd < 0) {
		fd = memfd_create("gtrace-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err = gtrace_load(path, &t);
	if (err) {
		if (err != -EINVAL) {
			fprintf(stderr, "gtrace_load: %d on a %zu-byte file\n", err, size);
			abort();
		}
		return 0;
	}
	if (size != sizeof(t.hdr) + t.hdr.nr_records * sizeof(struct gmem_trace_rec) ||
	    memcmp(t.hdr.magic, GTRACE_MAGIC, 8) || (t.hdr.nr_records && !t.recs)) {
		fprintf(stderr, "gtrace_load accepted an inconsistent file\n");
		abort();
	}
	if (t.hdr.nr_records && memcmp(t.recs, data + sizeof(t.hdr), size - sizeof(t.hdr))) {
		fprintf(stderr, "gtrace_load returned other records than the file holds\n");
		abort();
	}
	n = gtrace_keys(&t, size % 3 == 0 ? -1 : (int)(size % 3), &keys, &writes);
	if (n < 0 || (uint64_t)n > t.hdr.nr_records)
		abort();
	for (i = 0; i < n; i++)
		if (writes[i] > 1)
			abort();
	free(keys);
	free(writes);
	gtrace_free(&t);
	return 0;
}
