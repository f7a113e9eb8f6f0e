/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gtrace: the on-disk format of a recorded device access trace.
 *
 *   struct gtrace_hdr   (64 bytes, little endian, like the records)
 *   struct gmem_trace_rec x nr_records   (the kernel's record, 24 bytes each)
 *
 * The header carries what a reader needs to replay or analyse the trace on
 * another machine: the block size the trace was taken at and the HBM capacity
 * (in blocks) of the device, so `gmem-min trace.gt` needs no other input.
 * Writers stream records and fix up nr_records when they close the file, so
 * a crashed writer leaves a file that fails validation instead of a silently
 * short trace.
 *
 * Version 2 (written now) has the same layout; its stream may also hold the
 * kernel's GMEM_TRACE_F_HINTS records (uapi gmem.h): GMEM_TRACE_OBJ (an
 * object's size) and GMEM_TRACE_HINT + GMEM_TRACE_HINT_VALUE (a hint at its
 * place in the stream), which a replay reproduces. Version 1 files (accesses
 * only) are still read. Analyses of accesses skip other records with
 * gtrace_is_access().
 *
 * Every version carries each access's write flag (the record's write byte,
 * set by the kernel since the first version), which MIN needs to price only
 * dirty evictions as write-backs; no format change was needed for it.
 *
 * Pure C, no kernel access: built for the host (tests, gmem-min) and the guest.
 */
#ifndef GMEM_GTRACE_H
#define GMEM_GTRACE_H

#include <stdint.h>
#include <stdio.h>
#include <linux/gmem.h>

#define GTRACE_MAGIC	"GMEMTRC\0"	/* 8 bytes, NUL included */
#define GTRACE_VERSION	2	/* written; 1 is read too */

struct gtrace_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;	/* sizeof(struct gtrace_hdr): lets v1 readers skip growth */
	uint32_t rec_size;	/* sizeof(struct gmem_trace_rec) */
	uint32_t flags;		/* must be 0 */
	uint64_t block_size;	/* bytes */
	uint64_t hbm_blocks;	/* capacity of the traced device, in blocks */
	uint64_t nr_records;
	uint64_t dropped;	/* records the kernel lost to a full buffer */
	uint64_t reserved;	/* must be 0 */
};

/* An open trace being written. */
struct gtrace_writer {
	FILE *f;
	struct gtrace_hdr hdr;
};

int gtrace_create(struct gtrace_writer *w, const char *path,
		  uint64_t block_size, uint64_t hbm_blocks);
int gtrace_append(struct gtrace_writer *w, const struct gmem_trace_rec *recs, size_t nr);
/* Writes the final header and closes; @dropped is stored in it. */
int gtrace_close(struct gtrace_writer *w, uint64_t dropped);

/* A whole trace read into memory. */
struct gtrace {
	struct gtrace_hdr hdr;
	struct gmem_trace_rec *recs;	/* hdr.nr_records entries */
};

/* 0, or -errno: -EINVAL for a malformed file, -ENOMEM, or the I/O error. */
int gtrace_load(const char *path, struct gtrace *t);
void gtrace_free(struct gtrace *t);

/* A device access (fault or not), not an object or hint record. */
static inline int gtrace_is_access(const struct gmem_trace_rec *r)
{
	return r->kind == GMEM_TRACE_ACCESS || r->kind == GMEM_TRACE_FAULT;
}

/* Device accesses among the trace's records. */
uint64_t gtrace_nr_accesses(const struct gtrace *t);

/* Check a header read from disk against this version's rules. */
int gtrace_hdr_valid(const struct gtrace_hdr *h, uint64_t file_size);

/*
 * Block keys for MIN: GMEM_BLK_ID(obj, idx) of each record of device @dev
 * (or of every device if @dev < 0), in trace order, and, when @writes is not
 * NULL, each record's write flag (1 or 0) at the same index. Returns the
 * count, or -ENOMEM. The arrays are malloc()ed (NULL when the count is 0).
 */
long gtrace_keys(const struct gtrace *t, int dev, uint64_t **keys, uint8_t **writes);

#endif /* GMEM_GTRACE_H */
