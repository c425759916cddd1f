// SPDX-License-Identifier: GPL-2.0
/*
 * nl_policy: each grpsec command has a policy of its own.  An attribute
 * that belongs to another command, at the top level or inside a nest, is
 * refused with an extack message and changes nothing; sequence floors are
 * refused above GRPSEC_SEQ_FLOOR_MAX, read back as set, and never lower a
 * counter or a replay window.
 *
 * Each test runs in a network namespace of its own (the harness forks).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/grpsec.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "kselftest_harness.h"
#include "nl.h"

static const uint8_t key16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* What a reply said: top-level attributes, and those of one nest. */
struct reply {
	int nest;			/* GRPSEC_A_GROUP, _MEMBER, _UPSTREAM */
	bool have[64], nest_have[64];
	uint64_t val[64], nest_val[64];
};

static void get_all(struct nlattr *a, int len, bool *have, uint64_t *val)
{
	struct nlattr *pos;
	int rem;

	nla_for_each_attr(pos, a, len, rem) {
		int t = nla_type(pos);

		if (t >= 64)
			continue;
		have[t] = true;
		if (nla_len(pos) == 8)
			val[t] = nla_get_u64(pos);
		else if (nla_len(pos) == 4)
			val[t] = nla_get_u32(pos);
	}
}

static int parse_reply(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *attrs = genlmsg_attrdata(nlmsg_data(nlh), 0);
	int len = genlmsg_attrlen(nlmsg_data(nlh), 0);
	struct reply *r = arg;
	struct nlattr *pos;
	int rem;

	get_all(attrs, len, r->have, r->val);
	nla_for_each_attr(pos, attrs, len, rem)
		if (nla_type(pos) == r->nest)
			get_all(nla_data(pos), nla_len(pos), r->nest_have,
				r->nest_val);
	return NL_OK;
}

FIXTURE(policy) {
	struct grpsec_nl nl;
};

FIXTURE_SETUP(policy)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_EQ(0, ioctl(fd, SIOCSIFFLAGS, &ifr));
	close(fd);
	if (grpsec_nl_open(&self->nl))
		SKIP(return, "no grpsec family (module not loaded)");
}

FIXTURE_TEARDOWN(policy)
{
	grpsec_nl_close(&self->nl);
}

/* Send @msg; the kernel's answer, -errno or 0, with its reply in @r. */
static int talk(struct grpsec_nl *nl, struct nl_msg *msg, struct reply *r)
{
	int err = grpsec_nl_talk(nl, msg, r ? parse_reply : NULL, r);

	grpsec_nl_msg_free(msg);
	return err;
}

static struct nl_msg *group_msg(struct grpsec_nl *nl, uint8_t cmd, uint32_t id,
				struct nlattr **nest)
{
	struct nl_msg *msg = grpsec_nl_msg(nl, cmd, 0);

	*nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	nla_put_u32(msg, GRPSEC_A_GROUP_ID, id);
	return msg;
}

static int group_add(struct grpsec_nl *nl, uint32_t id, uint32_t flags,
		     const uint64_t *cmd_seq)
{
	struct nlattr *nest;
	struct nl_msg *msg = group_msg(nl, GRPSEC_CMD_NEW_GROUP, id, &nest);

	if (flags)
		nla_put_u32(msg, GRPSEC_A_GROUP_FLAGS, flags);
	if (cmd_seq)
		nla_put_u64(msg, GRPSEC_A_GROUP_CMD_SEQ, *cmd_seq);
	nla_nest_end(msg, nest);
	return talk(nl, msg, NULL);
}

static int group_get(struct grpsec_nl *nl, uint32_t id, struct reply *r)
{
	struct nlattr *nest;
	struct nl_msg *msg = group_msg(nl, GRPSEC_CMD_GET_GROUP, id, &nest);

	nla_nest_end(msg, nest);
	memset(r, 0, sizeof(*r));
	r->nest = GRPSEC_A_GROUP;
	return talk(nl, msg, r);
}

static int info_get(struct grpsec_nl *nl, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	return talk(nl, grpsec_nl_msg(nl, GRPSEC_CMD_GET_INFO, 0), r);
}

/* NEW_ or SET_MEMBER of member 1 of @group; @floor NULL: none. */
static int member_send(struct grpsec_nl *nl, uint8_t cmd, uint32_t group,
		       const uint64_t *floor)
{
	struct nl_msg *msg = grpsec_nl_msg(nl, cmd, 0);
	struct nlattr *nest = nla_nest_start(msg, GRPSEC_A_MEMBER), *key;

	nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP, group);
	nla_put_u32(msg, GRPSEC_A_MEMBER_ID, 1);
	if (cmd == GRPSEC_CMD_NEW_MEMBER) {
		key = nla_nest_start(msg, GRPSEC_A_MEMBER_KEY);
		nla_put(msg, GRPSEC_A_KEY_DATA, sizeof(key16), key16);
		nla_nest_end(msg, key);
	}
	if (floor)
		nla_put_u64(msg, GRPSEC_A_MEMBER_LAST_SEQ, *floor);
	nla_nest_end(msg, nest);
	return talk(nl, msg, NULL);
}

static uint64_t member_last_seq(struct grpsec_nl *nl, uint32_t group)
{
	struct nl_msg *msg = grpsec_nl_msg(nl, GRPSEC_CMD_GET_MEMBER,
					   NLM_F_DUMP);
	struct reply r = { .nest = GRPSEC_A_MEMBER };

	nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP_FILTER, group);
	if (talk(nl, msg, &r) || !r.nest_have[GRPSEC_A_MEMBER_LAST_SEQ])
		return UINT64_MAX;
	return r.nest_val[GRPSEC_A_MEMBER_LAST_SEQ];
}

/* SET_UPSTREAM to the discard port on loopback, with a batch floor. */
static int upstream_set(struct grpsec_nl *nl, uint32_t gateway,
			const uint8_t *key, const uint64_t *seq)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct nl_msg *msg = grpsec_nl_msg(nl, GRPSEC_CMD_SET_UPSTREAM, 0);
	struct nlattr *nest = nla_nest_start(msg, GRPSEC_A_UPSTREAM);

	nla_put(msg, GRPSEC_A_UPSTREAM_ENDPOINT, sizeof(sin), &sin);
	nla_put_u32(msg, GRPSEC_A_UPSTREAM_GATEWAY_ID, gateway);
	nla_put(msg, GRPSEC_A_UPSTREAM_KEY, 16, key);
	if (seq)
		nla_put_u64(msg, GRPSEC_A_UPSTREAM_SEQ, *seq);
	nla_nest_end(msg, nest);
	return talk(nl, msg, NULL);
}

static uint64_t upstream_seq(struct grpsec_nl *nl)
{
	struct reply r = { .nest = GRPSEC_A_UPSTREAM };

	if (talk(nl, grpsec_nl_msg(nl, GRPSEC_CMD_GET_UPSTREAM, 0), &r))
		return 0;
	return r.nest_val[GRPSEC_A_UPSTREAM_SEQ];
}

/* A top-level attribute of another command: refused, nothing done. */
TEST_F(policy, foreign_top_level)
{
	struct nl_msg *msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_SET_LISTEN, 0);
	struct nlattr *nest;
	struct reply r;

	nla_put_u16(msg, GRPSEC_A_LISTEN_PORT, 7777);
	nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP_FILTER, 1);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
	ASSERT_EQ(0, info_get(&self->nl, &r));
	EXPECT_EQ(0ULL, r.val[GRPSEC_A_LISTEN_PORT]);

	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_GET_INFO, 0);
	nla_put_u16(msg, GRPSEC_A_LISTEN_PORT, 7777);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);

	/* Dumps too, with a nest of another command. */
	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_GET_MEMBER, NLM_F_DUMP);
	nla_put_u16(msg, GRPSEC_A_LISTEN_PORT, 7777);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_GET_GROUP, NLM_F_DUMP);
	nest = nla_nest_start(msg, GRPSEC_A_MEMBER);
	nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP, 1);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
}

/* An attribute inside a nest that this command does not take. */
TEST_F(policy, foreign_in_nest)
{
	struct nlattr *nest;
	struct nl_msg *msg;
	struct reply r;

	ASSERT_EQ(0, group_add(&self->nl, 5, 0, NULL));
	msg = group_msg(&self->nl, GRPSEC_CMD_DEL_GROUP, 5, &nest);
	nla_put_u32(msg, GRPSEC_A_GROUP_RATE_LIMIT, 10);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
	EXPECT_EQ(0, group_get(&self->nl, 5, &r));

	/* DEL_MEMBER takes a group and an id, nothing else. */
	ASSERT_EQ(0, member_send(&self->nl, GRPSEC_CMD_NEW_MEMBER, 5, NULL));
	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_DEL_MEMBER, 0);
	nest = nla_nest_start(msg, GRPSEC_A_MEMBER);
	nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP, 5);
	nla_put_u32(msg, GRPSEC_A_MEMBER_ID, 1);
	nla_put_u64(msg, GRPSEC_A_MEMBER_LAST_SEQ, 3);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
	EXPECT_EQ(0ULL, member_last_seq(&self->nl, 5));
}

/* A nest that may carry keys, sent to a command that takes none of it. */
TEST_F(policy, foreign_key_nest)
{
	struct nlattr *nest, *up;
	struct nl_msg *msg;
	struct reply r;

	msg = group_msg(&self->nl, GRPSEC_CMD_NEW_GROUP, 6, &nest);
	nla_nest_end(msg, nest);
	up = nla_nest_start(msg, GRPSEC_A_UPSTREAM);
	nla_put(msg, GRPSEC_A_UPSTREAM_KEY, 16, key16);
	nla_nest_end(msg, up);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_STREQ("attribute not valid for this command", self->nl.ext_msg);
	EXPECT_EQ(-ENOENT, group_get(&self->nl, 6, &r));

	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_SEND, 0);
	nest = nla_nest_start(msg, GRPSEC_A_MEMBER);
	nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP, 6);
	nla_nest_end(msg, nest);
	EXPECT_EQ(-EINVAL, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
}

/* The gateway sequence: a floor, read back, never lowered, bounded. */
TEST_F(policy, gateway_seq_floor)
{
	uint64_t big = GRPSEC_SEQ_FLOOR_MAX;
	struct nl_msg *msg;
	struct reply r;

	ASSERT_EQ(0, info_get(&self->nl, &r));
	ASSERT_TRUE(r.have[GRPSEC_A_GATEWAY_SEQ]);

	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_SET_LISTEN, 0);
	nla_put_u64(msg, GRPSEC_A_GATEWAY_SEQ, big + 1);
	EXPECT_GT(0, talk(&self->nl, msg, NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);

	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_SET_LISTEN, 0);
	nla_put_u64(msg, GRPSEC_A_GATEWAY_SEQ, big);
	ASSERT_EQ(0, talk(&self->nl, msg, NULL));
	ASSERT_EQ(0, info_get(&self->nl, &r));
	EXPECT_EQ(big, r.val[GRPSEC_A_GATEWAY_SEQ]);
	/* Only the sequence: the port stays closed. */
	EXPECT_EQ(0ULL, r.val[GRPSEC_A_LISTEN_PORT]);

	msg = grpsec_nl_msg(&self->nl, GRPSEC_CMD_SET_LISTEN, 0);
	nla_put_u64(msg, GRPSEC_A_GATEWAY_SEQ, 5);
	ASSERT_EQ(0, talk(&self->nl, msg, NULL));
	ASSERT_EQ(0, info_get(&self->nl, &r));
	EXPECT_EQ(big, r.val[GRPSEC_A_GATEWAY_SEQ]);

	/* Neither a port nor a sequence: refused. */
	EXPECT_EQ(-EINVAL, talk(&self->nl, grpsec_nl_msg(&self->nl,
				GRPSEC_CMD_SET_LISTEN, 0), NULL));
	EXPECT_TRUE(self->nl.has_ext_msg);
}

/*
 * A floored counter no longer reads the clock: it reads back exactly as
 * set, below today's CLOCK_REALTIME in nanoseconds.
 */
TEST_F(policy, cmd_seq_floor)
{
	uint64_t floor = 1000, lower = 10, over = GRPSEC_SEQ_FLOOR_MAX + 1;
	struct nlattr *nest;
	struct nl_msg *msg;
	struct reply r;

	EXPECT_GT(0, group_add(&self->nl, 8, GRPSEC_GROUP_F_TERMINATE, &over));
	ASSERT_EQ(0, group_add(&self->nl, 8, GRPSEC_GROUP_F_TERMINATE, &floor));
	ASSERT_EQ(0, group_get(&self->nl, 8, &r));
	EXPECT_EQ(floor, r.nest_val[GRPSEC_A_GROUP_CMD_SEQ]);

	msg = group_msg(&self->nl, GRPSEC_CMD_SET_GROUP, 8, &nest);
	nla_put_u64(msg, GRPSEC_A_GROUP_CMD_SEQ, lower);
	nla_nest_end(msg, nest);
	ASSERT_EQ(0, talk(&self->nl, msg, NULL));
	ASSERT_EQ(0, group_get(&self->nl, 8, &r));
	EXPECT_EQ(floor, r.nest_val[GRPSEC_A_GROUP_CMD_SEQ]);

	/* Without a floor, the clock: far above 1000. */
	ASSERT_EQ(0, group_add(&self->nl, 9, GRPSEC_GROUP_F_TERMINATE, NULL));
	ASSERT_EQ(0, group_get(&self->nl, 9, &r));
	EXPECT_LT(1000000000ULL * 1000000000ULL, r.nest_val[GRPSEC_A_GROUP_CMD_SEQ]);
}

TEST_F(policy, member_replay_floor)
{
	uint64_t floor = 77, lower = 5, over = GRPSEC_SEQ_FLOOR_MAX + 1;

	ASSERT_EQ(0, group_add(&self->nl, 10, 0, NULL));
	EXPECT_GT(0, member_send(&self->nl, GRPSEC_CMD_NEW_MEMBER, 10, &over));
	EXPECT_TRUE(self->nl.has_ext_msg);
	ASSERT_EQ(0, member_send(&self->nl, GRPSEC_CMD_NEW_MEMBER, 10, &floor));
	EXPECT_EQ(floor, member_last_seq(&self->nl, 10));
	ASSERT_EQ(0, member_send(&self->nl, GRPSEC_CMD_SET_MEMBER, 10, &lower));
	EXPECT_EQ(floor, member_last_seq(&self->nl, 10));
	floor = 1000;
	ASSERT_EQ(0, member_send(&self->nl, GRPSEC_CMD_SET_MEMBER, 10, &floor));
	EXPECT_EQ(floor, member_last_seq(&self->nl, 10));
}

TEST_F(policy, batch_seq_floor)
{
	uint64_t floor = 1234, lower = 10, over = GRPSEC_SEQ_FLOOR_MAX + 1;
	uint8_t other[16] = { 9 };

	EXPECT_GT(0, upstream_set(&self->nl, 7, key16, &over));
	ASSERT_EQ(0, upstream_set(&self->nl, 7, key16, &floor));
	EXPECT_EQ(floor, upstream_seq(&self->nl));
	/*
	 * The same key again keeps its sequence, and so does a new key for
	 * the same gateway id (the backend has one window per gateway); a
	 * new gateway id starts anew.
	 */
	ASSERT_EQ(0, upstream_set(&self->nl, 7, key16, &lower));
	EXPECT_EQ(floor, upstream_seq(&self->nl));
	ASSERT_EQ(0, upstream_set(&self->nl, 7, other, &lower));
	EXPECT_EQ(floor, upstream_seq(&self->nl));
	ASSERT_EQ(0, upstream_set(&self->nl, 8, key16, &lower));
	EXPECT_EQ(lower, upstream_seq(&self->nl));
}

TEST_HARNESS_MAIN
