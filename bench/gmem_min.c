// SPDX-License-Identifier: GPL-2.0
/*
 * gmem-min: Belady's MIN (and LRU, for scale) on a recorded access trace.
 *
 *   gmem-min [--capacity BLOCKS] [--dev N] TRACE.gt
 *
 * The capacity defaults to the HBM size recorded in the trace header.
 * Prints one key=value line; exit status 0, 1 on a bad trace, 2 on usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtrace.h"
#include "min.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: gmem-min [--capacity BLOCKS] [--dev N] TRACE\n"
		   "  Belady's MIN (fewest demand migrations) for a device of BLOCKS blocks\n"
		   "  (default: the HBM size recorded in the trace), with LRU beside it.\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || s[0] == '-' ? -EINVAL : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "capacity", required_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct min_result min, lru;
	uint64_t cap = 0, dev = UINT64_MAX, *keys;
	uint8_t *writes;
	struct gtrace t;
	long nkeys;
	int c, err;

	while ((c = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_u64(optarg, &cap) || !cap) {
				fprintf(stderr, "gmem-min: bad capacity '%s'\n", optarg);
				return 2;
			}
			break;
		case 'd':
			if (parse_u64(optarg, &dev) || dev >= GMEM_MAX_DEVICES) {
				fprintf(stderr, "gmem-min: bad device '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	err = gtrace_load(argv[optind], &t);
	if (err) {
		fprintf(stderr, "gmem-min: %s: %s\n", argv[optind],
			err == -EINVAL ? "not a valid gmem trace" : strerror(-err));
		return 1;
	}
	if (!cap)
		cap = t.hdr.hbm_blocks;
	nkeys = gtrace_keys(&t, dev == UINT64_MAX ? -1 : (int)dev, &keys, &writes);
	if (nkeys < 0) {
		fprintf(stderr, "gmem-min: %s\n", strerror((int)-nkeys));
		gtrace_free(&t);
		return 1;
	}
	err = min_simulate(keys, writes, (size_t)nkeys, cap, &min);
	if (!err)
		err = lru_simulate(keys, writes, (size_t)nkeys, cap, &lru);
	free(keys);
	free(writes);
	if (err) {
		fprintf(stderr, "gmem-min: %s\n", strerror(-err));
		gtrace_free(&t);
		return 1;
	}
	if (t.hdr.dropped)
		fprintf(stderr, "gmem-min: warning: the trace lost %" PRIu64
			" records; MIN is a bound for what was recorded only\n", t.hdr.dropped);
	printf("MIN capacity=%" PRIu64 " block_size=%" PRIu64 " accesses=%" PRIu64
	       " distinct=%" PRIu64 " min_misses=%" PRIu64 " min_evictions=%" PRIu64
	       " min_dirty_evictions=%" PRIu64 " min_h2d_bytes=%" PRIu64 " min_bytes=%" PRIu64
	       " lru_misses=%" PRIu64 " dropped=%" PRIu64 "\n",
	       cap, t.hdr.block_size, min.accesses, min.distinct, min.misses, min.evictions,
	       min.dirty_evictions, min.misses * t.hdr.block_size,
	       min_moved(&min) * t.hdr.block_size, lru.misses, t.hdr.dropped);
	gtrace_free(&t);
	return 0;
}
