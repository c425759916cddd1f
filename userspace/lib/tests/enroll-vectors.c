// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Enrollment message vectors (Documentation/vectors/enroll-v1.txt) from
 * fixed inputs: the messages of enrollment.rst, valid ones with what they
 * decode to, and broken ones with the error the parser must return.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "grpsec.h"
#include "internal.h"
#include "enroll-vectors.h"

#define MEMBER		4097
#define GROUP_A		268435713U	/* 0x10000101 */
#define GROUP_B		268435714U
#define GROUP_C		268435715U
#define EPOCH		131073U		/* 0x00020001 */

/* Appends to a fixed buffer; output past its end is dropped. */
struct text {
	char *p;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= t->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
}

static void add_hex(struct text *t, const uint8_t *p, size_t len)
{
	if (!p) {
		add(t, "-");
		return;
	}
	for (size_t i = 0; i < len; i++)
		add(t, "%02x", p[i]);
}

static void describe_answer(struct text *t, const struct grpsec_enroll_answer *a)
{
	add(t, "answer member=%u sign_pub=", a->member);
	add_hex(t, a->sign_pub, GRPSEC_SIGN_KEY_LEN);
	add(t, " gateway=ipv%u/", a->gw_family);
	add_hex(t, a->gw_addr, a->gw_family == GRPSEC_ENROLL_ADDR_IPV4 ? 4 : 16);
	add(t, "/%u", a->gw_port);
	for (unsigned int i = 0; i < a->n_groups; i++) {
		const struct grpsec_enroll_group *g = &a->groups[i];
		size_t kl = grpsec_suite_key_len(g->suite);

		add(t, " group=%u suite=%u mode=%u flags=%u", g->group, g->suite, g->mode,
		    g->flags);
		for (unsigned int j = 0; j < g->n_epochs; j++) {
			const struct grpsec_enroll_epoch *e = &g->epochs[j];

			add(t, " epoch=%u contents=%u msg_limit=%llu k_m=", e->epoch,
			    e->contents, (unsigned long long)e->msg_limit);
			add_hex(t, e->member_key, kl);
			add(t, " k_g=");
			add_hex(t, e->group_key, kl);
			add(t, " k_e2e=");
			add_hex(t, e->e2e_key, kl);
		}
	}
}

static void describe_slots(struct text *t, const char *name, const struct grpsec_ctl_slot *slots,
			   unsigned int n, size_t key_len)
{
	for (unsigned int i = 0; i < n; i++) {
		add(t, " epoch=%u %s=", slots[i].epoch, name);
		add_hex(t, slots[i].key, key_len);
	}
}

char *enroll_msg_describe(const struct grpsec_msg *m, char *buf, size_t size)
{
	struct text t = { buf, size, 0 };

	buf[0] = '\0';
	switch (m->type) {
	case GRPSEC_MSG_ENROLL:
		add(&t, "enroll groups=");
		for (unsigned int i = 0; i < m->req.n_groups; i++)
			add(&t, "%s%u", i ? "," : "", m->req.groups[i]);
		break;
	case GRPSEC_MSG_ENROLL_ANSWER:
		describe_answer(&t, &m->answer);
		break;
	case GRPSEC_MSG_REFUSAL:
		add(&t, "refusal reason=%u(%s) text=%.*s", m->refusal.reason,
		    grpsec_refusal_name(m->refusal.reason), (int)m->refusal.text_len,
		    m->refusal.text);
		break;
	case GRPSEC_MSG_UPSTREAM:
		add(&t, "upstream gateway=%u suite=%u batch=ipv%u/", m->upstream.gateway,
		    m->upstream.suite, m->upstream.family);
		add_hex(&t, m->upstream.addr,
			m->upstream.family == GRPSEC_ENROLL_ADDR_IPV4 ? 4 : 16);
		add(&t, "/%u listen_port=%u batch_seq_floor=%llu", m->upstream.port,
		    m->upstream.listen_port, (unsigned long long)m->upstream.batch_seq_floor);
		break;
	case GRPSEC_MSG_GROUP:
		add(&t, "group group=%u suite=%u mode=%u flags=%u msg_limit=%llu rate_limit=%u",
		    m->group.group, m->group.suite, m->group.mode, m->group.flags,
		    (unsigned long long)m->group.msg_limit, m->group.rate_limit);
		describe_slots(&t, "k_g", m->group.slots, m->group.n_slots,
			       grpsec_suite_key_len(m->group.suite));
		break;
	case GRPSEC_MSG_MEMBERS: {
		struct grpsec_ctl_member mb;
		size_t off = 0;

		add(&t, "members group=%u suite=%u n=%u", m->members.group, m->members.suite,
		    m->members.n);
		while (grpsec_ctl_members_next(&m->members, &off, &mb)) {
			add(&t, " member=%u", mb.member);
			describe_slots(&t, "k_m", mb.slots, mb.n_slots,
				       grpsec_suite_key_len(m->members.suite));
		}
		break;
	}
	case GRPSEC_MSG_MEMBER_DEL:
		add(&t, "member_del group=%u members=", m->del.group);
		for (unsigned int i = 0; i < m->del.n; i++)
			add(&t, "%s%u", i ? "," : "", grpsec_ctl_del_id(&m->del, i));
		break;
	case GRPSEC_MSG_SYNC_DONE:
		add(&t, "sync_done groups=%u members=%u", m->sync_done.groups,
		    m->sync_done.members);
		break;
	case GRPSEC_MSG_MEMBER_QUERY:
		add(&t, "member_query group=%u member=%u", m->query.group, m->query.member);
		break;
	case GRPSEC_MSG_KEEPALIVE:
		add(&t, "keepalive");
		break;
	case GRPSEC_MSG_INSTALLED:
		add(&t, "installed push=%u members=%u", m->installed.push, m->installed.members);
		break;
	case GRPSEC_MSG_HEARD:
		add(&t, "heard group=%u epoch=%u members=", m->heard.group, m->heard.epoch);
		for (unsigned int i = 0; i < m->heard.n; i++)
			add(&t, "%s%u", i ? "," : "", grpsec_ctl_heard_id(&m->heard, i));
		break;
	default:
		add(&t, "type=%u", m->type);
	}
	return buf;
}

const char *enroll_err_name(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -EMSGSIZE:
		return "EMSGSIZE";
	case -EPROTONOSUPPORT:
		return "EPROTONOSUPPORT";
	case -EPROTO:
		return "EPROTO";
	case -EOPNOTSUPP:
		return "EOPNOTSUPP";
	case -EINVAL:
		return "EINVAL";
	default:
		return "other";
	}
}

/* Fixed inputs. */
static uint8_t s_auth[GRPSEC_SECRET_LEN], s_e2e[GRPSEC_SECRET_LEN], sign_pub[32];
static uint8_t k_m[3][GRPSEC_KEY_MAX_LEN], k_g[3][GRPSEC_KEY_MAX_LEN];
static uint8_t k_e2e[3][GRPSEC_KEY_MAX_LEN];
/* Member 4098 of group B, epochs E and E + 1 (the control channel's MEMBERS). */
static uint8_t k_m2[2][GRPSEC_KEY_MAX_LEN];

static int inputs(void)
{
	static const uint8_t seed[GRPSEC_SIGN_KEY_LEN] = { 0x9d, 0x61, 0xb1, 0x9d };
	struct grpsec_signer *s;
	int err;

	for (unsigned int i = 0; i < GRPSEC_SECRET_LEN; i++) {
		s_auth[i] = (uint8_t)(0x40 + i);
		s_e2e[i] = (uint8_t)(0x80 + i);
	}
	for (unsigned int i = 0; i < GRPSEC_KEY_MAX_LEN; i++)
		for (unsigned int j = 0; j < 3; j++)
			k_g[j][i] = (uint8_t)(0xc0 + 16 * j + i);
	err = grpsec_signer_new(seed, &s);
	if (!err) {
		err = grpsec_signer_public(s, sign_pub);
		grpsec_signer_free(s);
	}
	/* [0]: group A aes-128-gcm anonymous, epoch E; [1], [2]: group B aes-256-gcm, E, E + 1. */
	if (!err)
		err = grpsec_kdf_member_key(1, s_auth, GROUP_A, EPOCH, MEMBER, k_m[0], 16);
	for (unsigned int j = 1; j < 3 && !err; j++) {
		err = grpsec_kdf_member_key(2, s_auth, GROUP_B, EPOCH + j - 1, MEMBER, k_m[j], 32);
		if (!err)
			err = grpsec_kdf_e2e_key(2, s_e2e, GROUP_B, EPOCH + j - 1, MEMBER,
						 k_e2e[j], 32);
	}
	for (unsigned int j = 0; j < 2 && !err; j++)
		err = grpsec_kdf_member_key(2, s_auth, GROUP_B, EPOCH + j, MEMBER + 1, k_m2[j], 32);
	return err;
}

static void answer_anonymous(struct grpsec_enroll_answer *a)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };

	memset(a, 0, sizeof(*a));
	a->member = MEMBER;
	a->sign_pub = sign_pub;
	a->gw_family = GRPSEC_ENROLL_ADDR_IPV4;
	a->gw_port = 4790;
	memcpy(a->gw_addr, v4, sizeof(v4));
	a->n_groups = 1;
	a->groups[0] = (struct grpsec_enroll_group){
		.group = GROUP_A, .suite = 1, .mode = GRPSEC_MODE_ANONYMOUS,
		.flags = GRPSEC_ENROLL_GROUP_COMMANDS, .n_epochs = 1,
		.epochs = { { .epoch = EPOCH, .msg_limit = 1 << 20, .member_key = k_m[0],
			      .group_key = k_g[0] } },
	};
}

/* Two groups, the second identified and in a rollover, over IPv6. */
static void answer_rollover(struct grpsec_enroll_answer *a)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct grpsec_enroll_group *g;

	answer_anonymous(a);
	a->gw_family = GRPSEC_ENROLL_ADDR_IPV6;
	memcpy(a->gw_addr, v6, sizeof(v6));
	a->n_groups = 2;
	g = &a->groups[1];
	*g = (struct grpsec_enroll_group){
		.group = GROUP_B, .suite = 2, .mode = GRPSEC_MODE_IDENTIFIED,
		.flags = GRPSEC_ENROLL_GROUP_COMMANDS, .n_epochs = 2,
	};
	for (unsigned int j = 0; j < 2; j++)
		g->epochs[j] = (struct grpsec_enroll_epoch){
			.epoch = EPOCH + j, .member_key = k_m[1 + j],
			.group_key = k_g[1 + j], .e2e_key = k_e2e[1 + j],
		};
}

static void put_record(FILE *f, const char *kind, const char *name, const uint8_t *msg,
		       size_t len, const char *note)
{
	struct grpsec_msg m;
	char line[8192];
	int err = grpsec_msg_parse(msg, len, &m);

	fprintf(f, "\nkind: %s\nname: %s\n", kind, name);
	if (note)
		fprintf(f, "note: %s\n", note);
	fprintf(f, "message: ");
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", msg[i]);
	fprintf(f, "\nexpect: %s\n", enroll_err_name(err));
	if (!err)
		fprintf(f, "decoded: %s\n", enroll_msg_describe(&m, line, sizeof(line)));
}

/*
 * A broken copy of base message @base (0 request, 1 anonymous answer,
 * 2 rollover answer, 3 refusal): the @width bytes at @off get @val
 * (big-endian; width 0: none), then @delta bytes are added (zeros) or cut
 * at the end, and the body length field follows unless @keep_len.
 */
struct mutation {
	const char *name, *note;
	int base;
	size_t off;
	unsigned int width;
	uint32_t val;
	long delta;
	bool keep_len;
};

static const struct mutation mutations[] = {
	{ "short-header", "7 bytes: less than a header", 0, 0, 0, 0, -13, true },
	{ "version-2", "version 2", 0, 0, 1, 2, 0, false },
	{ "version-0", "version 0", 0, 0, 1, 0, 0, false },
	{ "type-0", "type 0", 0, 1, 1, 0, 0, false },
	{ "type-unknown", "type 15: not an enrollment message", 0, 1, 1, 15, 0, false },
	{ "header-reserved", "reserved header bits set", 0, 3, 1, 1, 0, false },
	{ "length-short", "body length one less than the bytes that follow", 0, 4, 4, 11, 0,
	  true },
	{ "length-long", "body length one more: truncated", 0, 4, 4, 13, 0, true },
	{ "length-oversized", "body length 65529: over the largest message", 0, 4, 4, 65529, 0,
	  true },
	{ "request-flags", "request flags set", 0, 8, 2, 1, 0, false },
	{ "request-no-group", "zero groups", 0, 10, 2, 0, 0, false },
	{ "request-17-groups", "17 groups", 0, 10, 2, 17, 0, false },
	{ "request-group-0", "group id 0", 0, 12, 4, 0, 0, false },
	{ "request-duplicate", "the same group twice", 0, 16, 4, GROUP_A, 0, false },
	{ "request-trailing", "a byte after the groups", 0, 0, 0, 0, 1, false },
	{ "answer-member-0", "member id 0", 1, 8, 4, 0, 0, false },
	{ "answer-family", "gateway address family 5", 1, 44, 1, 5, 0, false },
	{ "answer-reserved", "reserved byte after the family set", 1, 45, 1, 1, 0, false },
	{ "answer-port-0", "gateway port 0", 1, 46, 2, 0, 0, false },
	{ "answer-v4-padding", "IPv4 address with a non-zero byte after its 4", 1, 52, 1, 1,
	  0, false },
	{ "answer-no-group", "zero groups", 1, 66, 2, 0, 0, false },
	{ "answer-17-groups", "17 groups", 1, 66, 2, 17, 0, false },
	{ "answer-group-0", "group id 0", 1, 68, 4, 0, 0, false },
	{ "answer-suite", "suite 4", 1, 72, 1, 4, 0, false },
	{ "answer-mode", "mode 2", 1, 73, 1, 2, 0, false },
	{ "answer-group-flags", "unknown group flag", 1, 74, 1, 3, 0, false },
	{ "answer-epochs-0", "no epoch", 1, 75, 1, 0, 0, false },
	{ "answer-epochs-3", "three epochs", 1, 75, 1, 3, 0, false },
	{ "answer-contents", "anonymous group without K_G", 1, 80, 1, 0, 0, false },
	{ "answer-contents-e2e", "anonymous group with K_e,m too", 1, 80, 1, 3, 0, false },
	{ "answer-epoch-reserved", "epoch record reserved byte set", 1, 81, 1, 1, 0, false },
	{ "answer-truncated-key", "the last key one byte short", 1, 0, 0, 0, -1, false },
	{ "answer-trailing", "one byte after the last group", 1, 0, 0, 0, 1, false },
	{ "answer-group-order", "groups not in increasing order", 2, 124, 4, GROUP_A, 0,
	  false },
	{ "answer-epoch-order", "next epoch not above the current one", 2, 244, 4, EPOCH, 0,
	  false },
	{ "answer-identified-no-e2e", "identified group without K_e,m", 2, 136, 1, 1, 0,
	  false },
	{ "refusal-reason-0", "reason 0", 3, 8, 2, 0, 0, false },
	{ "refusal-reason-unknown", "reason 99", 3, 8, 2, 99, 0, false },
	{ "refusal-text-control", "a line feed in the text", 3, 12, 1, 0x0a, 0, false },
	{ "refusal-text-long", "text length 201", 3, 10, 2, 201, 0, false },
	{ "refusal-text-length", "text length one more than the bytes", 3, 10, 2, 49, 0,
	  false },
	{ "upstream-gateway-0", "gateway id 0", 4, 8, 4, 0, 0, false },
	{ "upstream-suite", "suite 4", 4, 12, 1, 4, 0, false },
	{ "upstream-family", "batch address family 5", 4, 13, 1, 5, 0, false },
	{ "upstream-port-0", "batch port 0", 4, 14, 2, 0, 0, false },
	{ "upstream-v4-padding", "IPv4 address with a non-zero byte after its 4", 4, 20, 1, 1,
	  0, false },
	{ "upstream-listen-0", "listen port 0", 4, 32, 2, 0, 0, false },
	{ "upstream-reserved", "reserved bytes set", 4, 34, 2, 1, 0, false },
	{ "upstream-floor", "batch sequence floor 2^63: above the module's bound", 4, 36, 1,
	  0x80, 0, false },
	{ "upstream-short", "the floor one byte short", 4, 0, 0, 0, -1, false },
	{ "group-id-0", "group id 0", 5, 8, 4, 0, 0, false },
	{ "group-suite", "suite 0", 5, 12, 1, 0, 0, false },
	{ "group-mode", "mode 2", 5, 13, 1, 2, 0, false },
	{ "group-flags", "unknown flag", 5, 14, 1, 7, 0, false },
	{ "group-terminate-identified", "terminate mode for an identified group", 5, 13, 1, 1,
	  0, false },
	{ "group-terminate-no-key", "terminate mode without K_G", 5, 15, 1, 0, 0, false },
	{ "group-key-not-terminate", "K_G for a group the gateway does not terminate", 5, 14, 1,
	  1, 0, false },
	{ "group-slots-3", "three K_G slots", 5, 15, 1, 3, 0, false },
	{ "group-reserved", "reserved bytes set", 5, 28, 1, 1, 0, false },
	{ "group-slot-order", "next epoch not above the current one", 5, 52, 4, EPOCH, 0,
	  false },
	{ "group-truncated", "the last key one byte short", 5, 0, 0, 0, -1, false },
	{ "members-group-0", "group id 0", 6, 8, 4, 0, 0, false },
	{ "members-suite", "suite 4", 6, 12, 1, 4, 0, false },
	{ "members-reserved", "reserved byte set", 6, 13, 1, 1, 0, false },
	{ "members-n-0", "zero records", 6, 14, 2, 0, 0, false },
	{ "members-n-more", "three records announced, two there", 6, 14, 2, 3, 0, false },
	{ "members-id-0", "member id 0", 6, 16, 4, 0, 0, false },
	{ "members-id-order", "member ids not increasing", 6, 60, 4, MEMBER, 0, false },
	{ "members-slots-0", "a record without a slot", 6, 20, 1, 0, 0, false },
	{ "members-slots-3", "a record with three slots", 6, 64, 1, 3, 0, false },
	{ "members-record-reserved", "record reserved byte set", 6, 21, 1, 1, 0, false },
	{ "members-epoch-order", "next epoch not above the current one", 6, 104, 4, EPOCH, 0,
	  false },
	{ "members-truncated", "the last key one byte short", 6, 0, 0, 0, -1, false },
	{ "members-trailing", "one byte after the last record", 6, 0, 0, 0, 1, false },
	{ "member-del-group-0", "group id 0", 7, 8, 4, 0, 0, false },
	{ "member-del-reserved", "reserved bytes set", 7, 12, 1, 1, 0, false },
	{ "member-del-n-0", "zero ids", 7, 14, 2, 0, 0, false },
	{ "member-del-n-4097", "4097 ids: over the bound", 7, 14, 2, 4097, 0, false },
	{ "member-del-n-more", "three ids announced, two there", 7, 14, 2, 3, 0, false },
	{ "member-del-id-0", "member id 0", 7, 16, 4, 0, 0, false },
	{ "member-del-order", "ids not increasing", 7, 20, 4, MEMBER, 0, false },
	{ "sync-done-trailing", "one byte after the counts", 8, 0, 0, 0, 1, false },
	{ "member-query-group-0", "group id 0", 9, 8, 4, 0, 0, false },
	{ "member-query-member-0", "member id 0", 9, 12, 4, 0, 0, false },
	{ "member-query-short", "one byte short", 9, 0, 0, 0, -1, false },
	{ "keepalive-body", "a keepalive with a body", 10, 0, 0, 0, 1, false },
	{ "installed-push-0", "push number 0", 12, 8, 4, 0, 0, false },
	{ "installed-trailing", "one byte after the counts", 12, 0, 0, 0, 1, false },
	{ "heard-group-0", "group id 0", 13, 8, 4, 0, 0, false },
	{ "heard-epoch-0", "epoch 0", 13, 12, 4, 0, 0, false },
	{ "heard-reserved", "reserved bytes set", 13, 16, 1, 1, 0, false },
	{ "heard-n-0", "zero ids", 13, 18, 2, 0, 0, false },
	{ "heard-n-4097", "4097 ids: over the bound", 13, 18, 2, 4097, 0, false },
	{ "heard-n-more", "four ids announced, three there", 13, 18, 2, 4, 0, false },
	{ "heard-id-0", "member id 0", 13, 20, 4, 0, 0, false },
	{ "heard-order", "ids not increasing", 13, 28, 4, MEMBER, 0, false },
};

#define NBASES	14

struct bases {
	uint8_t msg[NBASES][GRPSEC_ENROLL_ANSWER_MAX_LEN];
	size_t len[NBASES];
};

/* The control channel's messages: bases 4 to 13. */
static int build_control(struct bases *b)
{
	static const uint8_t v4[4] = { 192, 0, 2, 10 };
	struct grpsec_ctl_upstream u = {
		.gateway = 7, .suite = 2, .family = GRPSEC_ENROLL_ADDR_IPV4, .port = 4791,
		.listen_port = 4790, .batch_seq_floor = 1000001,
	};
	struct grpsec_ctl_group g = {
		.group = GROUP_A, .suite = 1, .mode = GRPSEC_MODE_ANONYMOUS,
		.flags = GRPSEC_CTL_GROUP_COMMANDS | GRPSEC_CTL_GROUP_TERMINATE,
		.msg_limit = 1 << 20, .rate_limit = 50, .n_slots = 2,
		.slots = { { EPOCH, k_g[0] }, { EPOCH + 1, k_g[1] } },
	};
	struct grpsec_ctl_group gi = {
		.group = GROUP_B, .suite = 2, .mode = GRPSEC_MODE_IDENTIFIED,
	};
	struct grpsec_ctl_member m[2] = {
		{ .member = MEMBER, .n_slots = 1, .slots = { { EPOCH, k_m[1] } } },
		{ .member = MEMBER + 1, .n_slots = 2,
		  .slots = { { EPOCH, k_m2[0] }, { EPOCH + 1, k_m2[1] } } },
	};
	static const uint32_t del[2] = { MEMBER, MEMBER + 2 };
	struct grpsec_ctl_sync_done sd = { .groups = 2, .members = 3 };
	struct grpsec_ctl_query q = { .group = GROUP_B, .member = MEMBER + 2 };
	struct grpsec_ctl_installed in = { .push = 2, .members = 3 };
	static const uint32_t heard[3] = { MEMBER, MEMBER + 1, MEMBER + 5 };
	size_t sz = sizeof(b->msg[0]);
	int err;

	memcpy(u.addr, v4, sizeof(v4));
	err = grpsec_msg_build_upstream(&u, b->msg[4], sz, &b->len[4]);
	if (!err)
		err = grpsec_msg_build_group(&g, b->msg[5], sz, &b->len[5]);
	if (!err)
		err = grpsec_msg_build_members(GROUP_B, 2, m, 2, b->msg[6], sz, &b->len[6]);
	if (!err)
		err = grpsec_msg_build_member_del(GROUP_B, del, 2, b->msg[7], sz, &b->len[7]);
	if (!err)
		err = grpsec_msg_build_sync_done(&sd, b->msg[8], sz, &b->len[8]);
	if (!err)
		err = grpsec_msg_build_query(&q, b->msg[9], sz, &b->len[9]);
	if (!err)
		err = grpsec_msg_build_keepalive(b->msg[10], sz, &b->len[10]);
	if (!err)
		err = grpsec_msg_build_group(&gi, b->msg[11], sz, &b->len[11]);
	if (!err)
		err = grpsec_msg_build_installed(&in, b->msg[12], sz, &b->len[12]);
	if (!err)
		err = grpsec_msg_build_heard(GROUP_A, EPOCH + 1, heard, 3, b->msg[13], sz,
					     &b->len[13]);
	return err;
}

static int build_bases(struct bases *b)
{
	struct grpsec_enroll_request r = { 2, { GROUP_A, GROUP_B } };
	struct grpsec_enroll_answer a;
	int err;

	err = grpsec_msg_build_request(&r, b->msg[0], sizeof(b->msg[0]), &b->len[0]);
	answer_anonymous(&a);
	if (!err)
		err = grpsec_msg_build_answer(&a, b->msg[1], sizeof(b->msg[1]), &b->len[1]);
	answer_rollover(&a);
	if (!err)
		err = grpsec_msg_build_answer(&a, b->msg[2], sizeof(b->msg[2]), &b->len[2]);
	if (!err)
		err = grpsec_msg_build_refusal(GRPSEC_REFUSE_DENIED,
					       "group 268435714 is not allowed for CN=meter-0001",
					       b->msg[3], sizeof(b->msg[3]), &b->len[3]);
	return err ? err : build_control(b);
}

static void write_mutation(FILE *f, const struct bases *b, const struct mutation *mu)
{
	uint8_t msg[GRPSEC_ENROLL_ANSWER_MAX_LEN + 8] = { 0 };
	size_t len = b->len[mu->base];

	memcpy(msg, b->msg[mu->base], len);
	for (unsigned int i = 0; i < mu->width; i++)
		msg[mu->off + i] = (uint8_t)(mu->val >> 8 * (mu->width - 1 - i));
	len = (size_t)((long)len + mu->delta);
	if (!mu->keep_len)
		put_be32(msg + 4, (uint32_t)(len - GRPSEC_MSG_HDR_LEN));
	put_record(f, "enroll-reject", mu->name, msg, len, mu->note);
}

int enroll_vectors_write(FILE *f)
{
	static struct bases b;
	int err = inputs();

	if (!err)
		err = build_bases(&b);
	if (err)
		return err;
	fprintf(f, "# grpsec enrollment messages version 1: test vectors.\n"
		"# Specification: Documentation/enrollment.rst.\n"
		"# Generated by userspace/lib/tests/gen-vectors (make -C userspace vectors);\n"
		"# do not edit.\n"
		"#\n"
		"# Records are separated by blank lines; each line is \"field: value\".\n"
		"# message: the whole message in hex; expect: ok or the errno name the\n"
		"# parser returns; decoded (valid messages): every field, keys in hex.\n"
		"# The answers' keys: K_m[e] and K_e,m[e] derived (keys.rst) for member\n"
		"# 4097 from S_auth = 40 41 .. 5f and S_e2e = 80 81 .. 9f; K_G[e] fixed\n"
		"# bytes; the signing key's seed 9d 61 b1 9d then 28 zero bytes.\n"
		"# Control channel (kind control): MEMBERS carries K_m[e] of members 4097\n"
		"# and 4098 derived the same way; GROUP the same K_G[e] bytes.\n");
	put_record(f, "enroll", "enroll-two-groups", b.msg[0], b.len[0], NULL);
	put_record(f, "enroll-answer", "answer-anonymous-aes-128-gcm", b.msg[1], b.len[1], NULL);
	put_record(f, "enroll-answer", "answer-identified-rollover-ipv6", b.msg[2], b.len[2],
		   "group 268435714: identified, receives commands, epochs E and E + 1");
	put_record(f, "refusal", "refusal-denied", b.msg[3], b.len[3], NULL);
	put_record(f, "control", "upstream-ipv4", b.msg[4], b.len[4], NULL);
	put_record(f, "control", "group-terminate-rollover", b.msg[5], b.len[5],
		   "group 268435713: anonymous, commands, terminated by this gateway, K_G of E and E + 1");
	put_record(f, "control", "group-identified", b.msg[11], b.len[11], NULL);
	put_record(f, "control", "members-two", b.msg[6], b.len[6],
		   "member 4097 at E, member 4098 at E and E + 1 (a rollover)");
	put_record(f, "control", "member-del-two", b.msg[7], b.len[7], NULL);
	put_record(f, "control", "sync-done", b.msg[8], b.len[8], NULL);
	put_record(f, "control", "member-query", b.msg[9], b.len[9], NULL);
	put_record(f, "control", "keepalive", b.msg[10], b.len[10], NULL);
	put_record(f, "control", "installed", b.msg[12], b.len[12],
		   "the second full push of this connection, 3 members, is in the module");
	put_record(f, "control", "heard", b.msg[13], b.len[13],
		   "members 4097, 4098 and 4102 of group 268435713 sent under E + 1");
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++)
		write_mutation(f, &b, &mutations[i]);
	return ferror(f) ? -EIO : 0;
}
