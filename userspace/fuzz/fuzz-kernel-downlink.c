// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the kernel's downlink parser and member-frame builder
 * (kernel/frame.c, built in userspace through kshim.h), differentially
 * against libgrpsec:
 *  - the kernel accepts every downlink libgrpsec accepts, with the same
 *    fields, and refuses every one libgrpsec refuses except for an
 *    unknown suite (the kernel leaves the suite to the K_up check);
 *  - the type 4/5 frame the kernel lays out for an accepted downlink's
 *    body is, up to the tag, the one libgrpsec builds, with the flags the
 *    fan-out sets, and libgrpsec's member side parses it.
 * The kernel symbols are renamed with -D so that both can be linked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/grpsec.h>

#include "frame.h"

#include "kernel-libgrpsec.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t kframe[GRPSEC_MFRAME_MAX_LEN], lframe[GRPSEC_MFRAME_MAX_LEN];
	struct kgrpsec_downlink_frame kd;
	struct kgrpsec_mframe f;
	struct grpsec_downlink ld;
	struct grpsec_mframe mf;
	uint8_t *buf = malloc(size ? size : 1);
	size_t llen;
	int kr, lr;
	u32 klen;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	kr = kgrpsec_downlink_parse(buf, size, &kd);
	lr = grpsec_downlink_parse(buf, size, &ld);
	CHECK(kr == 0 || kr == GRPSEC_A_STATS_DL_DROP_MALFORMED);
	if (!lr)
		CHECK(!kr);
	else if (!kr)
		CHECK(lr == -EPROTO && !grpsec_suite_key_len(buf[2]));
	if (kr || lr)
		goto out;
	CHECK(kd.suite == ld.suite && kd.gateway == ld.gateway && kd.seq == ld.seq &&
	      kd.group == ld.group && kd.member == ld.member && kd.kind == ld.kind &&
	      kd.body == ld.body && kd.body_len == ld.body_len &&
	      kd.auth_len == size - GRPSEC_TAG_LEN);

	/* The fan-out's frame to one member (the downlink's, or member 7). */
	f = (struct kgrpsec_mframe){
		.type = kd.kind == GRPSEC_DOWNLINK_KIND_COMMAND ? GRPSEC_TYPE_COMMAND :
								 GRPSEC_TYPE_REKEY,
		.suite = kd.suite,
		.flags = kd.member ? 0 : GRPSEC_MFRAME_FLAG_GROUP,
		.group = kd.group,
		.member = kd.member ? kd.member : 7,
		.epoch = (u32)kd.seq,
		.seq = kd.seq,
		.body_len = kd.body_len,
	};
	klen = kgrpsec_mframe_build(kframe, &f, kd.body);
	CHECK(klen == GRPSEC_MFRAME_HDR_LEN + kd.body_len);
	CHECK(!grpsec_member_frame_build(f.type, f.suite, f.flags, f.group, f.member, f.epoch,
					 f.seq, (const uint8_t *)"0123456789abcdef0123456789abcdef",
					 kd.body, kd.body_len, lframe, sizeof(lframe), &llen));
	CHECK(llen == klen + GRPSEC_TAG_LEN && !memcmp(kframe, lframe, klen));
	memset(kframe + klen, 0, GRPSEC_TAG_LEN);
	CHECK(!grpsec_mframe_parse(kframe, klen + GRPSEC_TAG_LEN, &mf));
	CHECK(mf.flags == f.flags && mf.member == f.member && mf.body_len == kd.body_len);
out:
	free(buf);
	return 0;
}
