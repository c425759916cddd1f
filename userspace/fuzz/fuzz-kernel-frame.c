// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kernel's own pure-logic code (kernel/frame.c,
 * kernel/batch.c, built in userspace through kshim.h), differentially
 * against libgrpsec:
 *  - the kernel's and the library's uplink parsers accept exactly the same
 *    frames and extract the same fields;
 *  - both say the same of what the outer tag covers, for either mode;
 *  - a batch that the kernel's builder makes from the accepted frame
 *    equals, byte for byte, the one libgrpsec's builder makes, the
 *    library's batch parser accepts it, and a tag sealed over what the
 *    kernel's builder says the tag covers is the library's batch tag.
 * The kernel symbols are renamed with -D so that both can be linked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "batch.h"

#include "kernel-libgrpsec.h"
#include "internal.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t kbuf[4096], kaad[4096], lbuf[4096];
	static const uint8_t k_up[16] = { 0x60, 0x61, 0x62, 0x63 };
	uint8_t nonce[GRPSEC_NONCE_LEN], tag[GRPSEC_TAG_LEN];
	size_t llen;
	struct kgrpsec_uplink ku;
	struct grpsec_uplink lu;
	struct kgrpsec_batch kb;
	struct kgrpsec_batch_item item;
	struct grpsec_batch_builder lb;
	struct grpsec_batch parsed;
	unsigned int mode;
	uint8_t *buf;
	int kr, lr;
	u32 klen;

	if (size < 1)
		return 0;
	mode = data[0] & 1;
	data++;
	size--;
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);

	kr = kgrpsec_uplink_parse(buf, size, &ku);
	lr = grpsec_uplink_parse(buf, size, &lu);
	CHECK(!kr == !lr);
	if (kr) {
		free(buf);
		return 0;
	}
	CHECK(ku.suite == lu.suite && ku.group == lu.group && ku.epoch == lu.epoch &&
	      ku.member == lu.member && ku.seq == lu.seq);
	CHECK(ku.inner == lu.inner && ku.inner_len == lu.inner_len);
	CHECK(ku.auth_len == size - GRPSEC_TAG_LEN);
	CHECK(kgrpsec_uplink_outer_len(&ku, GRPSEC_MODE_IDENTIFIED) == GRPSEC_UPLINK_HEAD_LEN);
	CHECK(kgrpsec_uplink_outer_len(&ku, GRPSEC_MODE_ANONYMOUS) == size - GRPSEC_TAG_LEN);

	/* The batch both builders make from this frame. */
	kgrpsec_batch_init(&kb, kbuf, kaad, sizeof(kbuf), 255);
	item = (struct kgrpsec_batch_item){
		.mode = mode, .suite = ku.suite, .group = ku.group, .epoch = ku.epoch,
		.member = mode ? ku.member : 0, .inner = ku.inner, .inner_len = ku.inner_len,
	};
	CHECK(!kgrpsec_batch_add(&kb, &item));
	CHECK(!kgrpsec_batch_add(&kb, &item));
	klen = kgrpsec_batch_finish(&kb, 1, 0x01020304, ku.seq);

	CHECK(!grpsec_batch_init(&lb, lbuf, sizeof(lbuf), 0x01020304, 1));
	CHECK(!grpsec_batch_add_uplink(&lb, mode, &lu));
	CHECK(!grpsec_batch_add_uplink(&lb, mode, &lu));
	CHECK(klen == lb.len);
	put_unaligned_be64(lu.seq, lbuf + 8);
	put_unaligned_be16(lb.count, lbuf + 16);
	CHECK(!memcmp(kbuf, lbuf, klen));
	/* With room for a tag, the library parses what the kernel built. */
	memset(kbuf + klen, 0, GRPSEC_TAG_LEN);
	CHECK(!grpsec_batch_parse(kbuf, klen + GRPSEC_TAG_LEN, &parsed));
	CHECK(parsed.count == 2 && parsed.seq == ku.seq);
	/* The kernel's AAD gives the library's batch tag. */
	CHECK(!grpsec_batch_seal(&lb, ku.seq, k_up, &llen) && llen == klen + GRPSEC_TAG_LEN);
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_BATCH, ku.seq);
	CHECK(!grpsec_aead_seal_once(1, k_up, nonce, kgrpsec_batch_aad(&kb), kb.aad_len, NULL, 0,
				     NULL, tag));
	CHECK(!memcmp(tag, lbuf + klen, GRPSEC_TAG_LEN));
	free(buf);
	return 0;
}
