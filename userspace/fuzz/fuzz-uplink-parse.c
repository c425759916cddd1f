// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libFuzzer target: grpsec_uplink_parse() and the batch parser, the pure C
 * codec of libgrpsec (no crypto library linked).  Besides memory safety it
 * checks that an accepted frame's fields and pointers are consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpsec.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grpsec_uplink u;
	struct grpsec_batch b;
	struct grpsec_batch_entry e;
	size_t off = 0, total = 0;
	unsigned int n = 0;
	int r;

	/* A copy of exactly @size bytes, so ASan sees any overread. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (!grpsec_uplink_parse(buf, size, &u)) {
		CHECK(size >= GRPSEC_UPLINK_MIN_LEN && size <= GRPSEC_UPLINK_MAX_LEN);
		CHECK(buf[0] == GRPSEC_VERSION && buf[1] == GRPSEC_TYPE_UPLINK && !buf[3]);
		CHECK(grpsec_suite_key_len(u.suite) && u.group && u.member && u.seq);
		CHECK(u.inner == buf + GRPSEC_HDR_LEN && u.nonce == u.inner);
		CHECK(u.inner_len == u.payload_len + GRPSEC_INNER_OVERHEAD);
		CHECK(u.inner_tag == u.inner + GRPSEC_NONCE_LEN);
		CHECK(u.ciphertext == u.inner_tag + GRPSEC_TAG_LEN);
		CHECK(u.ciphertext + u.payload_len == u.outer_tag);
		CHECK(u.outer_tag + GRPSEC_TAG_LEN == buf + size);
		CHECK(u.payload_len <= GRPSEC_MAX_PAYLOAD);
	}

	if (!grpsec_batch_parse(buf, size, &b)) {
		CHECK(b.count >= 1 && b.tag + GRPSEC_TAG_LEN == buf + size);
		while ((r = grpsec_batch_entry_next(&b, &off, &e)) > 0) {
			CHECK(e.inner_len >= GRPSEC_INNER_MIN_LEN &&
			      e.inner_len <= GRPSEC_INNER_MAX_LEN);
			CHECK(e.inner >= b.entries && e.inner + e.inner_len <= b.tag);
			total += GRPSEC_BATCH_ENTRY_HDR_LEN + e.inner_len;
			n++;
		}
		CHECK(r == 0 && n == b.count && total == b.entries_len);
	}
	free(buf);
	return 0;
}
