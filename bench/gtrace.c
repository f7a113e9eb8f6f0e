// SPDX-License-Identifier: GPL-2.0
/*
 * gtrace.c: read and write recorded access traces (format in gtrace.h).
 *
 * No locking: a writer or a loaded trace belongs to one thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gtrace.h"

_Static_assert(sizeof(struct gtrace_hdr) == 64, "gtrace header is 64 bytes on disk");
_Static_assert(sizeof(struct gmem_trace_rec) == 24, "trace record is 24 bytes on disk");

static int errno_or(int fallback)
{
	return errno ? -errno : fallback;
}

int gtrace_create(struct gtrace_writer *w, const char *path,
		  uint64_t block_size, uint64_t hbm_blocks)
{
	if (!block_size || (block_size & (block_size - 1)) || !hbm_blocks)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	memcpy(w->hdr.magic, GTRACE_MAGIC, sizeof(w->hdr.magic));
	w->hdr.version = GTRACE_VERSION;
	w->hdr.hdr_size = sizeof(w->hdr);
	w->hdr.rec_size = sizeof(struct gmem_trace_rec);
	w->hdr.block_size = block_size;
	w->hdr.hbm_blocks = hbm_blocks;
	/*
	 * nr_records stays ~0 on disk until gtrace_close(): a reader then
	 * rejects a file whose writer died instead of trusting a short trace.
	 */
	w->hdr.nr_records = UINT64_MAX;

	errno = 0;
	w->f = fopen(path, "wb");
	if (!w->f)
		return errno_or(-EIO);
	if (fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1) {
		int err = errno_or(-EIO);

		fclose(w->f);
		w->f = NULL;
		return err;
	}
	w->hdr.nr_records = 0;
	return 0;
}

int gtrace_append(struct gtrace_writer *w, const struct gmem_trace_rec *recs, size_t nr)
{
	if (!nr)
		return 0;
	errno = 0;
	if (fwrite(recs, sizeof(*recs), nr, w->f) != nr)
		return errno_or(-EIO);
	w->hdr.nr_records += nr;
	return 0;
}

int gtrace_close(struct gtrace_writer *w, uint64_t dropped)
{
	int err = 0;

	w->hdr.dropped = dropped;
	errno = 0;
	if (fseek(w->f, 0, SEEK_SET) || fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1)
		err = errno_or(-EIO);
	if (fclose(w->f) && !err)
		err = errno_or(-EIO);
	w->f = NULL;
	return err;
}

int gtrace_hdr_valid(const struct gtrace_hdr *h, uint64_t file_size)
{
	uint64_t body;

	if (memcmp(h->magic, GTRACE_MAGIC, sizeof(h->magic)))
		return -EINVAL;
	if (h->version < 1 || h->version > GTRACE_VERSION || h->hdr_size != sizeof(*h) ||
	    h->rec_size != sizeof(struct gmem_trace_rec) || h->flags || h->reserved)
		return -EINVAL;
	if (!h->block_size || (h->block_size & (h->block_size - 1)) || !h->hbm_blocks)
		return -EINVAL;
	if (file_size < sizeof(*h))
		return -EINVAL;
	body = file_size - sizeof(*h);
	/* Also catches the ~0 a writer leaves until it closes the file. */
	if (h->nr_records > body / h->rec_size || body != h->nr_records * h->rec_size)
		return -EINVAL;
	return 0;
}

int gtrace_load(const char *path, struct gtrace *t)
{
	struct stat st;
	FILE *f;
	int err;

	memset(t, 0, sizeof(*t));
	errno = 0;
	f = fopen(path, "rb");
	if (!f)
		return errno_or(-EIO);
	if (fstat(fileno(f), &st)) {
		err = errno_or(-EIO);
		goto out_close;
	}
	err = -EINVAL;
	if (fread(&t->hdr, sizeof(t->hdr), 1, f) != 1)
		goto out_close;
	err = gtrace_hdr_valid(&t->hdr, (uint64_t)st.st_size);
	if (err)
		goto out_close;
	if (t->hdr.nr_records) {
		err = -ENOMEM;
		t->recs = calloc(t->hdr.nr_records, sizeof(*t->recs));
		if (!t->recs)
			goto out_close;
		err = -EIO;
		if (fread(t->recs, sizeof(*t->recs), t->hdr.nr_records, f) != t->hdr.nr_records)
			goto out_free;
	}
	fclose(f);
	return 0;

out_free:
	free(t->recs);
	t->recs = NULL;
out_close:
	fclose(f);
	return err;
}

void gtrace_free(struct gtrace *t)
{
	free(t->recs);
	t->recs = NULL;
}

long gtrace_keys(const struct gtrace *t, int dev, uint64_t **keys, uint8_t **writes)
{
	uint64_t i, n = 0;

	*keys = NULL;
	if (writes)
		*writes = NULL;
	if (!t->hdr.nr_records)
		return 0;
	*keys = malloc(t->hdr.nr_records * sizeof(**keys));
	if (writes)
		*writes = malloc(t->hdr.nr_records * sizeof(**writes));
	if (!*keys || (writes && !*writes)) {
		free(*keys);
		*keys = NULL;
		if (writes) {
			free(*writes);
			*writes = NULL;
		}
		return -ENOMEM;
	}
	for (i = 0; i < t->hdr.nr_records; i++) {
		const struct gmem_trace_rec *r = &t->recs[i];

		if (!gtrace_is_access(r) || (dev >= 0 && r->dev != dev))
			continue;
		if (writes)
			(*writes)[n] = r->write ? 1 : 0;
		(*keys)[n++] = GMEM_BLK_ID(r->obj, r->idx);
	}
	return (long)n;
}

uint64_t gtrace_nr_accesses(const struct gtrace *t)
{
	uint64_t i, n = 0;

	for (i = 0; i < t->hdr.nr_records; i++)
		n += gtrace_is_access(&t->recs[i]);
	return n;
}
