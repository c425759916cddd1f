// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libFuzzer target: grpsec_msg_parse(), the one parser of the enrollment
 * and control-channel messages (proto.c, no crypto library linked), and
 * the MEMBERS walk.  Besides memory safety it
 * checks that the encoding is canonical: a message the parser accepts is
 * rebuilt byte for byte from what it decoded, and its header announces
 * exactly its length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpsec_enroll.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t again[GRPSEC_MSG_MAX_LEN];
	static struct grpsec_ctl_member mb[GRPSEC_MSG_MAX_LEN / GRPSEC_CTL_MEMBER_HDR_LEN];
	static uint32_t ids[GRPSEC_CTL_DEL_MAX > GRPSEC_CTL_HEARD_MAX ? GRPSEC_CTL_DEL_MAX :
			    GRPSEC_CTL_HEARD_MAX];
	struct grpsec_msg m;
	size_t total = 0, len = 0;
	int r;

	/* A copy of exactly @size bytes, so ASan sees any overread. */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (grpsec_msg_parse(buf, size, &m)) {
		free(buf);
		return 0;
	}
	CHECK(!grpsec_msg_frame_len(buf, GRPSEC_MSG_MAX_LEN, &total) && total == size);
	switch (m.type) {
	case GRPSEC_MSG_ENROLL:
		CHECK(size <= GRPSEC_ENROLL_REQ_MAX_LEN);
		r = grpsec_msg_build_request(&m.req, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_ENROLL_ANSWER:
		CHECK(size <= GRPSEC_ENROLL_ANSWER_MAX_LEN);
		r = grpsec_msg_build_answer(&m.answer, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_REFUSAL: {
		char text[GRPSEC_REFUSAL_TEXT_MAX + 1];

		CHECK(size <= GRPSEC_REFUSAL_MAX_LEN);
		memcpy(text, m.refusal.text, m.refusal.text_len);
		text[m.refusal.text_len] = '\0';
		r = grpsec_msg_build_refusal(m.refusal.reason, text, again, sizeof(again), &len);
		break;
	}
	case GRPSEC_MSG_UPSTREAM:
		CHECK(size == GRPSEC_UPSTREAM_LEN);
		r = grpsec_msg_build_upstream(&m.upstream, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_GROUP:
		CHECK(size <= GRPSEC_CTL_GROUP_MAX_LEN);
		r = grpsec_msg_build_group(&m.group, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_MEMBERS: {
		unsigned int n = 0;
		size_t off = 0;

		/* The walk yields exactly the records the header counts. */
		while (grpsec_ctl_members_next(&m.members, &off, &mb[n]))
			CHECK(++n <= m.members.n);
		CHECK(n == m.members.n && off == m.members.len);
		r = grpsec_msg_build_members(m.members.group, m.members.suite, mb, n, again,
					     sizeof(again), &len);
		break;
	}
	case GRPSEC_MSG_MEMBER_DEL:
		for (unsigned int i = 0; i < m.del.n; i++)
			ids[i] = grpsec_ctl_del_id(&m.del, i);
		r = grpsec_msg_build_member_del(m.del.group, ids, m.del.n, again, sizeof(again),
						&len);
		break;
	case GRPSEC_MSG_SYNC_DONE:
		r = grpsec_msg_build_sync_done(&m.sync_done, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_MEMBER_QUERY:
		r = grpsec_msg_build_query(&m.query, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_KEEPALIVE:
		r = grpsec_msg_build_keepalive(again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_INSTALLED:
		r = grpsec_msg_build_installed(&m.installed, again, sizeof(again), &len);
		break;
	case GRPSEC_MSG_HEARD:
		for (unsigned int i = 0; i < m.heard.n; i++)
			ids[i] = grpsec_ctl_heard_id(&m.heard, i);
		r = grpsec_msg_build_heard(m.heard.group, m.heard.epoch, ids, m.heard.n, again,
					   sizeof(again), &len);
		break;
	default:
		abort();
	}
	CHECK(r == 0 && len == size && !memcmp(again, buf, size));
	free(buf);
	return 0;
}
