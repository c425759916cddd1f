// SPDX-License-Identifier: GPL-2.0
/*
 * The "grpsec" generic netlink family (uapi/linux/grpsec.h).  Strict
 * validation for every command, each with a policy of its own, an extack
 * message for every refusal, CAP_NET_ADMIN in the namespace for
 * everything, keys accepted and never returned, and wiped from the
 * request when the command is done with it.
 */
#include <linux/grpsec.h>
#include <linux/in.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "aead.h"
#include "compat.h"
#include "downlink.h"
#include "group.h"
#include "member.h"
#include "netlink.h"
#include "netns.h"
#include "receive.h"
#include "socket.h"
#include "terminate.h"
#include "upstream.h"

static const struct nla_policy key_policy[GRPSEC_A_KEY_MAX + 1] = {
	[GRPSEC_A_KEY_SLOT] = NLA_POLICY_MAX(NLA_U8, GRPSEC_KEY_SLOT_MAX),
	[GRPSEC_A_KEY_EPOCH] = { .type = NLA_U32 },
	[GRPSEC_A_KEY_DATA] = NLA_POLICY_RANGE(NLA_BINARY, 16, GRPSEC_KEY_MAX),
};

/* Floors of sequence counters and replay windows. */
static struct netlink_range_validation floor_range __ro_after_init = {
	.max = GRPSEC_SEQ_FLOOR_MAX,
};

static const struct nla_policy group_policy[GRPSEC_A_GROUP_MAX + 1] = {
	[GRPSEC_A_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[GRPSEC_A_GROUP_SUITE] = NLA_POLICY_RANGE(NLA_U8,
						  GRPSEC_SUITE_AES128_GCM,
						  GRPSEC_SUITE_MAX),
	[GRPSEC_A_GROUP_MODE] = NLA_POLICY_MAX(NLA_U8, GRPSEC_MODE_MAX),
	[GRPSEC_A_GROUP_FLAGS] = NLA_POLICY_MASK(NLA_U32, __GRPSEC_GROUP_F_ALL),
	[GRPSEC_A_GROUP_MSG_LIMIT] = NLA_POLICY_MIN(NLA_U64, 1),
	[GRPSEC_A_GROUP_RATE_LIMIT] = { .type = NLA_U32 },
	[GRPSEC_A_GROUP_MEMBERS] = { .type = NLA_REJECT },
	[GRPSEC_A_GROUP_STATS] = { .type = NLA_REJECT },
	[GRPSEC_A_GROUP_KEY] = NLA_POLICY_NESTED(key_policy),
	[GRPSEC_A_GROUP_DELIVER] = { .type = NLA_BINARY,
				      .len = sizeof(struct sockaddr_in6) },
	[GRPSEC_A_GROUP_EPOCH] = { .type = NLA_REJECT },
	[GRPSEC_A_GROUP_NEXT_EPOCH] = { .type = NLA_REJECT },
	[GRPSEC_A_GROUP_CMD_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64, &floor_range),
	[GRPSEC_A_GROUP_MCAST] = { .type = NLA_BINARY,
				   .len = sizeof(struct sockaddr_in6) },
};

/* DEL_GROUP, GET_GROUP */
static const struct nla_policy group_id_policy[GRPSEC_A_GROUP_MAX + 1] = {
	[GRPSEC_A_GROUP_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy member_policy[GRPSEC_A_MEMBER_MAX + 1] = {
	[GRPSEC_A_MEMBER_GROUP] = NLA_POLICY_MIN(NLA_U32, 1),
	[GRPSEC_A_MEMBER_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[GRPSEC_A_MEMBER_KEY] = NLA_POLICY_NESTED(key_policy),
	[GRPSEC_A_MEMBER_ENDPOINT] =
		NLA_POLICY_RANGE(NLA_BINARY, sizeof(struct sockaddr_in),
				 sizeof(struct sockaddr_in6)),
	[GRPSEC_A_MEMBER_LAST_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64,
							   &floor_range),
};

/* DEL_MEMBER */
static const struct nla_policy member_id_policy[GRPSEC_A_MEMBER_MAX + 1] = {
	[GRPSEC_A_MEMBER_GROUP] = NLA_POLICY_MIN(NLA_U32, 1),
	[GRPSEC_A_MEMBER_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

static struct netlink_range_validation flush_range __ro_after_init = {
	.min = 50,
	.max = 1000000,
};

/* Wider than the s16 bounds of NLA_POLICY_RANGE. */
static struct netlink_range_validation mtu_range __ro_after_init = {
	.min = 128,
	.max = 65507,
};

static const struct nla_policy upstream_policy[GRPSEC_A_UPSTREAM_MAX + 1] = {
	[GRPSEC_A_UPSTREAM_ENDPOINT] =
		NLA_POLICY_RANGE(NLA_BINARY, sizeof(struct sockaddr_in),
				 sizeof(struct sockaddr_in6)),
	[GRPSEC_A_UPSTREAM_GATEWAY_ID] = { .type = NLA_U32 },
	[GRPSEC_A_UPSTREAM_SUITE] = NLA_POLICY_RANGE(NLA_U8,
						     GRPSEC_SUITE_AES128_GCM,
						     GRPSEC_SUITE_MAX),
	[GRPSEC_A_UPSTREAM_KEY] = NLA_POLICY_RANGE(NLA_BINARY, 16,
						   GRPSEC_KEY_MAX),
	[GRPSEC_A_UPSTREAM_BATCH_MAX] = NLA_POLICY_RANGE(NLA_U16, 1,
							 GRPSEC_BATCH_MAX),
	[GRPSEC_A_UPSTREAM_FLUSH_USEC] = NLA_POLICY_FULL_RANGE(NLA_U32,
							       &flush_range),
	[GRPSEC_A_UPSTREAM_MTU] = NLA_POLICY_FULL_RANGE(NLA_U16, &mtu_range),
	[GRPSEC_A_UPSTREAM_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64, &floor_range),
	[GRPSEC_A_UPSTREAM_DL_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64,
							   &floor_range),
};

static const struct nla_policy send_policy[GRPSEC_A_SEND_MAX + 1] = {
	[GRPSEC_A_SEND_GROUP] = NLA_POLICY_MIN(NLA_U32, 1),
	[GRPSEC_A_SEND_MEMBER] = { .type = NLA_U32 },
	[GRPSEC_A_SEND_DATA] = NLA_POLICY_MAX(NLA_BINARY, GRPSEC_SEND_MAX),
};

/*
 * Top level, one policy per command.  The nests that may carry keys
 * (group, member, upstream) are plain nests in the policy of every
 * command but the two that dump: the genetlink core refuses a request
 * before any of our code runs, and the keys in a nest it refused would go
 * back to the allocator unwiped.  request_check() applies the command's
 * own policy to them instead, and a refused request is wiped like any
 * other (grpsec_pre_doit()).  Dumps have no pre_doit, so GET_GROUP and
 * GET_MEMBER, which take no keys, leave them to the core.
 */
#define GRPSEC_KEY_NESTS					\
	[GRPSEC_A_GROUP] = { .type = NLA_NESTED },		\
	[GRPSEC_A_MEMBER] = { .type = NLA_NESTED },		\
	[GRPSEC_A_UPSTREAM] = { .type = NLA_NESTED }

/* GET_INFO, the group and member commands, upstream, GET_STATS */
static const struct nla_policy nests_policy[GRPSEC_A_UPSTREAM + 1] = {
	GRPSEC_KEY_NESTS,
};

static const struct nla_policy group_get_policy[GRPSEC_A_GROUP + 1] = {
	[GRPSEC_A_GROUP] = NLA_POLICY_NESTED(group_id_policy),
};

static const struct nla_policy listen_policy[GRPSEC_A_MAX + 1] = {
	GRPSEC_KEY_NESTS,
	[GRPSEC_A_LISTEN_PORT] = { .type = NLA_U16 },
	[GRPSEC_A_GATEWAY_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64, &floor_range),
};

static const struct nla_policy member_dump_policy[GRPSEC_A_MEMBER_GROUP_FILTER + 1] = {
	[GRPSEC_A_MEMBER_GROUP_FILTER] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy send_cmd_policy[GRPSEC_A_MAX + 1] = {
	GRPSEC_KEY_NESTS,
	[GRPSEC_A_SEND] = NLA_POLICY_NESTED(send_policy),
};

/* What each command takes in the nests that may carry keys. */
static const struct {
	const struct nla_policy *group, *member, *upstream;
} cmd_nests[__GRPSEC_CMD_MAX] = {
	[GRPSEC_CMD_NEW_GROUP] = { .group = group_policy },
	[GRPSEC_CMD_SET_GROUP] = { .group = group_policy },
	[GRPSEC_CMD_DEL_GROUP] = { .group = group_id_policy },
	[GRPSEC_CMD_GET_GROUP] = { .group = group_id_policy },
	[GRPSEC_CMD_NEW_MEMBER] = { .member = member_policy },
	[GRPSEC_CMD_SET_MEMBER] = { .member = member_policy },
	[GRPSEC_CMD_DEL_MEMBER] = { .member = member_id_policy },
	[GRPSEC_CMD_SET_UPSTREAM] = { .upstream = upstream_policy },
};

/*
 * Check the key-carrying nests of a request against its command's
 * policies (the core checked the rest): a nest the command does not take
 * is refused, and so is one with an attribute its policy does not have.
 */
static int request_check(u8 cmd, const struct nlmsghdr *nlh,
			 struct netlink_ext_ack *extack)
{
	const struct nla_policy *policy;
	const struct nlattr *attr;
	int rem, err, max;

	nlmsg_for_each_attr(attr, nlh, GENL_HDRLEN, rem) {
		switch (nla_type(attr)) {
		case GRPSEC_A_GROUP:
			policy = cmd_nests[cmd].group;
			max = GRPSEC_A_GROUP_MAX;
			break;
		case GRPSEC_A_MEMBER:
			policy = cmd_nests[cmd].member;
			max = GRPSEC_A_MEMBER_MAX;
			break;
		case GRPSEC_A_UPSTREAM:
			policy = cmd_nests[cmd].upstream;
			max = GRPSEC_A_UPSTREAM_MAX;
			break;
		default:
			continue;
		}
		if (!policy) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "attribute not valid for this command");
			return -EINVAL;
		}
		err = nla_validate_nested(attr, max, policy, extack);
		if (err)
			return err;
	}
	return 0;
}

static struct grpsec_net *info_net(struct genl_info *info)
{
	return grpsec_net(genl_info_net(info));
}

static void *reply_put(struct sk_buff *msg, struct genl_info *info)
{
	return genlmsg_put(msg, info->snd_portid, info->snd_seq,
			   &grpsec_family, 0, info->genlhdr->cmd);
}

static int put_stats(struct sk_buff *skb, int type,
		     const struct grpsec_stats *s)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = GRPSEC_A_STATS_UNSPEC + 1; i < __GRPSEC_A_STATS_MAX; i++) {
		if (i == GRPSEC_A_STATS_PAD)
			continue;
		if (nla_put_u64_64bit(skb, i, s->c[i], GRPSEC_A_STATS_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_endpoint(struct sk_buff *skb, int type,
			const union grpsec_endpoint *ep)
{
	if (ep->addr.sa_family == AF_INET)
		return nla_put(skb, type, sizeof(ep->v4), &ep->v4);
	if (ep->addr.sa_family == AF_INET6)
		return nla_put(skb, type, sizeof(ep->v6), &ep->v6);
	return 0;
}

static int get_endpoint(const struct nlattr *attr, union grpsec_endpoint *ep,
			struct netlink_ext_ack *extack)
{
	const struct sockaddr *sa = nla_data(attr);
	int len = nla_len(attr);

	memset(ep, 0, sizeof(*ep));
	if (len < sizeof(sa->sa_family))
		goto bad;
	if (sa->sa_family == AF_INET && len == sizeof(ep->v4)) {
		memcpy(&ep->v4, sa, len);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len == sizeof(ep->v6)) {
		memcpy(&ep->v6, sa, len);
		return 0;
	}
bad:
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "endpoint must be a sockaddr_in or sockaddr_in6");
	return -EINVAL;
}

static void wipe_attr(struct nlattr *attr)
{
	if (attr)
		memzero_explicit(nla_data(attr), nla_len(attr));
}

/* GRPSEC_CMD_GET_INFO */

static int info_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info);
	if (!hdr)
		goto out_free_msg;

	mutex_lock(&gn->lock);
	if (nla_put_u32(msg, GRPSEC_A_VERSION, GRPSEC_GENL_VERSION) ||
	    nla_put_u16(msg, GRPSEC_A_LISTEN_PORT, gn->port) ||
	    nla_put_u32(msg, GRPSEC_A_GROUP_COUNT, gn->nr_groups) ||
	    nla_put_u32(msg, GRPSEC_A_MEMBER_COUNT, gn->nr_members) ||
	    nla_put_u64_64bit(msg, GRPSEC_A_GATEWAY_SEQ,
			      grpsec_downlink_seq(gn), GRPSEC_A_PAD)) {
		mutex_unlock(&gn->lock);
		goto out_free_msg;
	}
	mutex_unlock(&gn->lock);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* GRPSEC_CMD_SET_LISTEN: the port, the gateway sequence, or both. */

static int listen_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *port = info->attrs[GRPSEC_A_LISTEN_PORT];
	struct nlattr *seq = info->attrs[GRPSEC_A_GATEWAY_SEQ];
	struct grpsec_net *gn = info_net(info);
	int err = 0;

	if (!port && !seq) {
		NL_SET_ERR_MSG(info->extack,
			       "needs a listen port or a gateway sequence");
		return -EINVAL;
	}
	/* First: frames sent once the port is open use the new floor. */
	if (seq)
		grpsec_downlink_seq_floor(gn, nla_get_u64(seq));
	if (!port)
		return 0;

	mutex_lock(&gn->lock);
	err = grpsec_socket_listen(gn, nla_get_u16(port));
	gn->generation++;
	mutex_unlock(&gn->lock);
	if (err == -EADDRINUSE)
		NL_SET_ERR_MSG_ATTR(info->extack, port,
				    "UDP port already in use");
	else if (err)
		NL_SET_ERR_MSG(info->extack, "cannot open the listen socket");
	return err;
}

/* Keys */

/* Where the keys of a GRPSEC_A_*_KEY list go: a member, or a group. */
struct key_target {
	void *obj;
	unsigned int keylen;
	int (*set)(void *obj, int slot, u32 epoch, const u8 *key,
		   unsigned int len);
	void (*clear)(void *obj, int slot);
	bool check_only;	/* validate the request, change nothing */
};

static int apply_keys(const struct key_target *t, struct nlattr *nest,
		      int type, bool need_key, struct netlink_ext_ack *extack)
{
	struct nlattr *kb[GRPSEC_A_KEY_MAX + 1];
	struct nlattr *attr;
	int rem, err, seen = 0;

	nla_for_each_nested(attr, nest, rem) {
		int slot = GRPSEC_KEY_SLOT_CURRENT;
		u32 epoch = 0;

		if (nla_type(attr) != type)
			continue;
		err = nla_parse_nested(kb, GRPSEC_A_KEY_MAX, attr, key_policy,
				       extack);
		if (err)
			return err;
		if (kb[GRPSEC_A_KEY_SLOT])
			slot = nla_get_u8(kb[GRPSEC_A_KEY_SLOT]);
		if (!kb[GRPSEC_A_KEY_DATA]) {
			/* A slot without data empties that slot. */
			if (need_key || !kb[GRPSEC_A_KEY_SLOT]) {
				NL_SET_ERR_MSG_ATTR(extack, attr,
						    "key without data");
				return -EINVAL;
			}
			if (!t->check_only)
				t->clear(t->obj, slot);
			continue;
		}
		if (nla_len(kb[GRPSEC_A_KEY_DATA]) != t->keylen) {
			NL_SET_ERR_MSG_ATTR(extack, kb[GRPSEC_A_KEY_DATA],
					    "key length does not match the group's suite");
			return -EINVAL;
		}
		if (kb[GRPSEC_A_KEY_EPOCH])
			epoch = nla_get_u32(kb[GRPSEC_A_KEY_EPOCH]);
		if (t->check_only) {
			/* Kept for the pass that installs it. */
			seen++;
			continue;
		}
		err = t->set(t->obj, slot, epoch,
			     nla_data(kb[GRPSEC_A_KEY_DATA]), t->keylen);
		if (err) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "cannot install the key");
			return err;
		}
		seen++;
	}
	if (need_key && !seen) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a new member needs a key");
		return -EINVAL;
	}
	return 0;
}

static int member_set_key(void *m, int slot, u32 epoch, const u8 *key,
			  unsigned int len)
{
	return grpsec_member_set_key(m, slot, epoch, key, len);
}

static void member_clear_key(void *m, int slot)
{
	grpsec_member_clear_key(m, slot);
}

static int member_keys(struct grpsec_member *m, struct nlattr *nest,
		       bool need_key, bool check_only,
		       struct netlink_ext_ack *extack)
{
	const struct key_target t = {
		.obj = m,
		.keylen = grpsec_suite_keylen(m->group->suite),
		.set = member_set_key,
		.clear = member_clear_key,
		.check_only = check_only,
	};

	return apply_keys(&t, nest, GRPSEC_A_MEMBER_KEY, need_key, extack);
}

static int group_set_key(void *g, int slot, u32 epoch, const u8 *key,
			 unsigned int len)
{
	return grpsec_group_set_key(g, slot, epoch, key, len);
}

static void group_clear_key(void *g, int slot)
{
	grpsec_group_clear_key(g, slot);
}

static int group_keys(struct grpsec_group *g, struct nlattr *nest,
		      bool check_only, struct netlink_ext_ack *extack)
{
	const struct key_target t = {
		.obj = g,
		.keylen = grpsec_suite_keylen(g->suite),
		.set = group_set_key,
		.clear = group_clear_key,
		.check_only = check_only,
	};

	return apply_keys(&t, nest, GRPSEC_A_GROUP_KEY, false, extack);
}

/* The key bytes in a @type list of key nests inside @nest. */
static void wipe_key_list(struct nlattr *nest, int type)
{
	struct nlattr *key, *data;
	int rem, drem;

	nla_for_each_nested(key, nest, rem) {
		if (nla_type(key) != type)
			continue;
		nla_for_each_nested(data, key, drem)
			if (nla_type(data) == GRPSEC_A_KEY_DATA)
				wipe_attr(data);
	}
}

/*
 * Every key in a request, wherever it is: the group keys of group nests,
 * the member keys of member nests, the upstream key.  Lengths are not
 * trusted: the walk stops at the end of each attribute.
 */
static void wipe_request(struct nlmsghdr *nlh)
{
	struct nlattr *attr, *up;
	int rem, urem;

	nlmsg_for_each_attr(attr, nlh, GENL_HDRLEN, rem) {
		switch (nla_type(attr)) {
		case GRPSEC_A_GROUP:
			wipe_key_list(attr, GRPSEC_A_GROUP_KEY);
			break;
		case GRPSEC_A_MEMBER:
			wipe_key_list(attr, GRPSEC_A_MEMBER_KEY);
			break;
		case GRPSEC_A_UPSTREAM:
			nla_for_each_nested(up, attr, urem)
				if (nla_type(up) == GRPSEC_A_UPSTREAM_KEY)
					wipe_attr(up);
			break;
		}
	}
}

/* A refused request is wiped here, a handled one in grpsec_post_doit(). */
static int grpsec_pre_doit(const struct grpsec_genl_op *ops,
			   struct sk_buff *skb, struct genl_info *info)
{
	int err = request_check(ops->cmd, info->nlhdr, info->extack);

	if (err)
		wipe_request(info->nlhdr);
	return err;
}

static void grpsec_post_doit(const struct grpsec_genl_op *ops,
			     struct sk_buff *skb, struct genl_info *info)
{
	wipe_request(info->nlhdr);
}

/* Groups */

static int parse_group(struct genl_info *info, struct nlattr **tb)
{
	int err;

	if (GENL_REQ_ATTR_CHECK(info, GRPSEC_A_GROUP))
		return -EINVAL;
	err = nla_parse_nested(tb, GRPSEC_A_GROUP_MAX,
			       info->attrs[GRPSEC_A_GROUP], group_policy,
			       info->extack);
	if (err)
		return err;
	if (!tb[GRPSEC_A_GROUP_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[GRPSEC_A_GROUP],
				    "missing group id");
		return -EINVAL;
	}
	return 0;
}

static struct grpsec_group *find_group(struct grpsec_net *gn, u32 id,
				       const struct nlattr *attr,
				       struct netlink_ext_ack *extack)
{
	struct grpsec_group *g;

	lockdep_assert_held(&gn->lock);
	g = grpsec_group_lookup(gn, id);
	if (!g)
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such group");
	return g;
}

static int check_terminate(u32 flags, u8 mode, struct nlattr **tb,
			   struct netlink_ext_ack *extack)
{
	if ((flags & GRPSEC_GROUP_F_TERMINATE) &&
	    mode != GRPSEC_MODE_ANONYMOUS) {
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_GROUP_FLAGS],
				    "terminate mode needs an anonymous group");
		return -EOPNOTSUPP;
	}
	if (tb[GRPSEC_A_GROUP_KEY] && !(flags & GRPSEC_GROUP_F_TERMINATE)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_GROUP_KEY],
				    "only a terminate mode group takes a group key");
		return -EINVAL;
	}
	return 0;
}

/*
 * An address attribute that may be empty (clear it): 0 with @ep filled
 * in, 0 with @ep NULLed for an empty one, or -EINVAL.
 */
static int get_optional_endpoint(const struct nlattr *attr,
				 union grpsec_endpoint **ep,
				 struct netlink_ext_ack *extack)
{
	if (!nla_len(attr)) {
		*ep = NULL;
		return 0;
	}
	return get_endpoint(attr, *ep, extack);
}

static bool is_multicast(const union grpsec_endpoint *ep)
{
	if (ep->addr.sa_family == AF_INET)
		return ipv4_is_multicast(ep->v4.sin_addr.s_addr);
	return ipv6_addr_is_multicast(&ep->v6.sin6_addr);
}

/*
 * Flags, addresses and group keys of NEW_GROUP and SET_GROUP (checked
 * against the new flags by check_terminate() first).  Everything is
 * validated before anything changes, so a refused request leaves the
 * group as it was.  Only installing a key can still fail (allocating its
 * transform), so keys go first: then at worst some of the new keys are
 * in, and flags, addresses and limits are as they were.  A group that
 * leaves terminate mode loses its keys.
 */
static int group_terminate(struct grpsec_group *g, u32 flags,
			   struct nlattr **tb, struct genl_info *info)
{
	struct nlattr *nest = info->attrs[GRPSEC_A_GROUP];
	struct nlattr *deliver = tb[GRPSEC_A_GROUP_DELIVER];
	struct nlattr *mcast = tb[GRPSEC_A_GROUP_MCAST];
	union grpsec_endpoint dep, mep, *d = &dep, *m = &mep;
	int err;

	if (deliver) {
		err = get_optional_endpoint(deliver, &d, info->extack);
		if (err)
			return err;
	}
	if (mcast) {
		err = get_optional_endpoint(mcast, &m, info->extack);
		if (err)
			return err;
		if (m && !is_multicast(m)) {
			NL_SET_ERR_MSG_ATTR(info->extack, mcast,
					    "not a multicast address");
			return -EINVAL;
		}
	}
	if (tb[GRPSEC_A_GROUP_KEY]) {
		err = group_keys(g, nest, true, info->extack);
		if (!err)
			err = group_keys(g, nest, false, info->extack);
		if (err)
			return err;
	}

	WRITE_ONCE(g->flags, flags);
	if (!(flags & GRPSEC_GROUP_F_TERMINATE)) {
		grpsec_group_clear_key(g, GRPSEC_KEY_SLOT_CURRENT);
		grpsec_group_clear_key(g, GRPSEC_KEY_SLOT_NEXT);
	}
	if (deliver)
		grpsec_group_set_deliver(g, d);
	if (mcast)
		grpsec_group_set_mcast(g, m);
	return 0;
}

static int group_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct nlattr *tb[GRPSEC_A_GROUP_MAX + 1];
	struct grpsec_group_cfg cfg = {
		.suite = GRPSEC_SUITE_AES128_GCM,
		.mode = GRPSEC_MODE_ANONYMOUS,
	};
	struct grpsec_group *g;
	int err;

	err = parse_group(info, tb);
	if (err)
		return err;
	cfg.id = nla_get_u32(tb[GRPSEC_A_GROUP_ID]);
	if (tb[GRPSEC_A_GROUP_SUITE])
		cfg.suite = nla_get_u8(tb[GRPSEC_A_GROUP_SUITE]);
	if (tb[GRPSEC_A_GROUP_MODE])
		cfg.mode = nla_get_u8(tb[GRPSEC_A_GROUP_MODE]);
	if (tb[GRPSEC_A_GROUP_FLAGS])
		cfg.flags = nla_get_u32(tb[GRPSEC_A_GROUP_FLAGS]);
	if (tb[GRPSEC_A_GROUP_MSG_LIMIT])
		cfg.msg_limit = nla_get_u64(tb[GRPSEC_A_GROUP_MSG_LIMIT]);
	if (tb[GRPSEC_A_GROUP_RATE_LIMIT])
		cfg.rate_limit = nla_get_u32(tb[GRPSEC_A_GROUP_RATE_LIMIT]);
	err = check_terminate(cfg.flags, cfg.mode, tb, info->extack);
	if (err)
		return err;

	g = grpsec_group_create(&cfg);
	if (IS_ERR(g))
		return PTR_ERR(g);
	if (tb[GRPSEC_A_GROUP_CMD_SEQ])
		grpsec_seq_set_floor(&g->cmd_seq,
				     nla_get_u64(tb[GRPSEC_A_GROUP_CMD_SEQ]));
	mutex_lock(&gn->lock);
	err = grpsec_group_add(gn, g);
	if (err) {
		grpsec_group_put(g);
		if (err == -EBUSY) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[GRPSEC_A_GROUP_ID],
					    "group already exists");
			err = -EEXIST;
		}
	} else {
		err = group_terminate(g, g->flags, tb, info);
		if (err)
			grpsec_group_del(gn, g);
	}
	gn->generation++;
	mutex_unlock(&gn->lock);
	return err;
}

static int group_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct nlattr *tb[GRPSEC_A_GROUP_MAX + 1];
	struct grpsec_group *g;
	u32 flags;
	int err;

	err = parse_group(info, tb);
	if (err)
		return err;
	if (tb[GRPSEC_A_GROUP_SUITE] || tb[GRPSEC_A_GROUP_MODE]) {
		NL_SET_ERR_MSG(info->extack,
			       "suite and mode are fixed when a group is created");
		return -EINVAL;
	}

	mutex_lock(&gn->lock);
	g = find_group(gn, nla_get_u32(tb[GRPSEC_A_GROUP_ID]),
		       tb[GRPSEC_A_GROUP_ID], info->extack);
	if (!g) {
		err = -ENOENT;
		goto out_unlock;
	}
	flags = tb[GRPSEC_A_GROUP_FLAGS] ?
		nla_get_u32(tb[GRPSEC_A_GROUP_FLAGS]) : g->flags;
	err = check_terminate(flags, g->mode, tb, info->extack);
	if (!err)
		err = group_terminate(g, flags, tb, info);
	if (err) {
		gn->generation++;	/* some keys may be in */
		goto out_unlock;
	}
	if (tb[GRPSEC_A_GROUP_MSG_LIMIT])
		WRITE_ONCE(g->msg_limit,
			   nla_get_u64(tb[GRPSEC_A_GROUP_MSG_LIMIT]));
	if (tb[GRPSEC_A_GROUP_RATE_LIMIT])
		WRITE_ONCE(g->rate_limit,
			   nla_get_u32(tb[GRPSEC_A_GROUP_RATE_LIMIT]));
	if (tb[GRPSEC_A_GROUP_CMD_SEQ])
		grpsec_seq_set_floor(&g->cmd_seq,
				     nla_get_u64(tb[GRPSEC_A_GROUP_CMD_SEQ]));
	gn->generation++;
out_unlock:
	mutex_unlock(&gn->lock);
	return err;
}

static int group_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct nlattr *tb[GRPSEC_A_GROUP_MAX + 1];
	struct grpsec_group *g;
	int err;

	err = parse_group(info, tb);
	if (err)
		return err;
	mutex_lock(&gn->lock);
	g = find_group(gn, nla_get_u32(tb[GRPSEC_A_GROUP_ID]),
		       tb[GRPSEC_A_GROUP_ID], info->extack);
	if (g)
		grpsec_group_del(gn, g);
	else
		err = -ENOENT;
	gn->generation++;
	mutex_unlock(&gn->lock);
	if (!err)
		grpsec_receive_forget_keys(gn);
	return err;
}

/* Terminate mode state of a group dump; gn->lock held. */
static int fill_group_terminate(struct sk_buff *skb, struct grpsec_group *g)
{
	union grpsec_endpoint ep, mep;
	int err = 0;

	down_read(&g->key_lock);
	ep = g->deliver;
	mep = g->mcast;
	if (g->key[GRPSEC_KEY_SLOT_CURRENT].aead)
		err = nla_put_u32(skb, GRPSEC_A_GROUP_EPOCH,
				  g->key[GRPSEC_KEY_SLOT_CURRENT].epoch);
	if (!err && g->key[GRPSEC_KEY_SLOT_NEXT].aead)
		err = nla_put_u32(skb, GRPSEC_A_GROUP_NEXT_EPOCH,
				  g->key[GRPSEC_KEY_SLOT_NEXT].epoch);
	up_read(&g->key_lock);
	if (!err && ep.addr.sa_family != AF_UNSPEC)
		err = put_endpoint(skb, GRPSEC_A_GROUP_DELIVER, &ep);
	if (!err && mep.addr.sa_family != AF_UNSPEC)
		err = put_endpoint(skb, GRPSEC_A_GROUP_MCAST, &mep);
	/* Only SEND uses the command sequence, in terminate mode. */
	if (!err && (g->flags & GRPSEC_GROUP_F_TERMINATE))
		err = nla_put_u64_64bit(skb, GRPSEC_A_GROUP_CMD_SEQ,
					grpsec_seq_peek(&g->cmd_seq),
					GRPSEC_A_GROUP_PAD);
	return err;
}

static int fill_group(struct sk_buff *skb, struct grpsec_group *g)
{
	struct grpsec_stats stats;
	struct nlattr *nest;

	nest = nla_nest_start(skb, GRPSEC_A_GROUP);
	if (!nest)
		return -EMSGSIZE;
	grpsec_stats_sum(g->stats, &stats);
	if (nla_put_u32(skb, GRPSEC_A_GROUP_ID, g->id) ||
	    nla_put_u8(skb, GRPSEC_A_GROUP_SUITE, g->suite) ||
	    nla_put_u8(skb, GRPSEC_A_GROUP_MODE, g->mode) ||
	    nla_put_u32(skb, GRPSEC_A_GROUP_FLAGS, g->flags) ||
	    nla_put_u64_64bit(skb, GRPSEC_A_GROUP_MSG_LIMIT,
			      READ_ONCE(g->msg_limit), GRPSEC_A_GROUP_PAD) ||
	    nla_put_u32(skb, GRPSEC_A_GROUP_RATE_LIMIT,
			READ_ONCE(g->rate_limit)) ||
	    nla_put_u32(skb, GRPSEC_A_GROUP_MEMBERS, g->nr_members) ||
	    fill_group_terminate(skb, g) ||
	    put_stats(skb, GRPSEC_A_GROUP_STATS, &stats)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int group_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct nlattr *tb[GRPSEC_A_GROUP_MAX + 1];
	struct grpsec_group *g;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = parse_group(info, tb);
	if (err)
		return err;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info);
	err = -EMSGSIZE;
	if (!hdr)
		goto out_free_msg;

	mutex_lock(&gn->lock);
	g = find_group(gn, nla_get_u32(tb[GRPSEC_A_GROUP_ID]),
		       tb[GRPSEC_A_GROUP_ID], info->extack);
	err = g ? fill_group(msg, g) : -ENOENT;
	mutex_unlock(&gn->lock);
	if (err)
		goto out_free_msg;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	return err;
}

/*
 * Dump cursor: cb->args[0] is the next group id to visit; cb->args[1] is
 * set once group U32_MAX is in (its next id would wrap to 0).
 */
static int group_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct grpsec_net *gn = grpsec_net(sock_net(skb->sk));
	unsigned long id = cb->args[0];
	struct grpsec_group *g;
	void *hdr;
	int err = 0;

	if (cb->args[1])
		return 0;
	mutex_lock(&gn->lock);
	cb->seq = gn->generation;
	xa_for_each_start(&gn->groups, id, g, cb->args[0]) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &grpsec_family,
				  NLM_F_MULTI, GRPSEC_CMD_GET_GROUP);
		if (!hdr)
			break;
		genl_dump_check_consistent(cb, hdr);
		err = fill_group(skb, g);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		if (id == U32_MAX)
			cb->args[1] = 1;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&gn->lock);
	/* A record that does not fit an empty message would never fit. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* Members */

enum member_op { MEMBER_NEW, MEMBER_SET, MEMBER_DEL };

static int member_one(struct grpsec_net *gn, enum member_op op,
		      struct nlattr *nest, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[GRPSEC_A_MEMBER_MAX + 1], *floor;
	union grpsec_endpoint ep;
	struct grpsec_member *m;
	struct grpsec_group *g;
	u32 id;
	int err;

	lockdep_assert_held(&gn->lock);
	err = nla_parse_nested(tb, GRPSEC_A_MEMBER_MAX, nest, member_policy,
			       extack);
	if (err)
		return err;
	if (!tb[GRPSEC_A_MEMBER_GROUP] || !tb[GRPSEC_A_MEMBER_ID]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "member needs a group and an id");
		return -EINVAL;
	}
	g = find_group(gn, nla_get_u32(tb[GRPSEC_A_MEMBER_GROUP]),
		       tb[GRPSEC_A_MEMBER_GROUP], extack);
	if (!g)
		return -ENOENT;
	if (tb[GRPSEC_A_MEMBER_ENDPOINT]) {
		err = get_endpoint(tb[GRPSEC_A_MEMBER_ENDPOINT], &ep, extack);
		if (err)
			return err;
	}
	id = nla_get_u32(tb[GRPSEC_A_MEMBER_ID]);
	m = xa_load(&g->members, id);
	floor = tb[GRPSEC_A_MEMBER_LAST_SEQ];

	switch (op) {
	case MEMBER_NEW:
		if (m) {
			NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_MEMBER_ID],
					    "member already exists");
			return -EEXIST;
		}
		m = grpsec_member_create(g, id);
		if (IS_ERR(m))
			return PTR_ERR(m);
		/* Before the keys: their windows start above it. */
		if (floor)
			grpsec_member_set_floor(m, nla_get_u64(floor));
		err = member_keys(m, nest, true, false, extack);
		if (!err && tb[GRPSEC_A_MEMBER_ENDPOINT])
			grpsec_member_set_endpoint(m, &ep);
		if (!err)
			err = grpsec_member_add(gn, m);
		if (err)
			grpsec_member_put(m);
		return err;
	case MEMBER_SET:
	case MEMBER_DEL:
		if (!m) {
			NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_MEMBER_ID],
					    "no such member");
			return -ENOENT;
		}
		if (op == MEMBER_DEL) {
			grpsec_member_del(gn, m);
			return 0;
		}
		/* A refused request changes nothing of a live member. */
		err = member_keys(m, nest, false, true, extack);
		if (!err)
			err = member_keys(m, nest, false, false, extack);
		if (!err && tb[GRPSEC_A_MEMBER_ENDPOINT])
			grpsec_member_set_endpoint(m, &ep);
		if (!err && floor)
			grpsec_member_set_floor(m, nla_get_u64(floor));
		return err;
	}
	return -EINVAL;
}

/*
 * Members come as repeated GRPSEC_A_MEMBER nests, applied in order; the
 * first failure stops the request, and the extack points at its nest so
 * a tool can name the member that failed.
 */
static int member_doit(struct genl_info *info, enum member_op op)
{
	struct grpsec_net *gn = info_net(info);
	struct nlattr *attr;
	int rem, err = 0, n = 0;

	if (GENL_REQ_ATTR_CHECK(info, GRPSEC_A_MEMBER))
		return -EINVAL;

	mutex_lock(&gn->lock);
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != GRPSEC_A_MEMBER)
			continue;
		if (++n > GRPSEC_MEMBERS_PER_MSG) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "too many members in one request");
			err = -E2BIG;
			break;
		}
		err = member_one(gn, op, attr, info->extack);
		if (err)
			break;
	}
	gn->generation++;
	mutex_unlock(&gn->lock);
	/* Keys replaced or deleted may still be in a cached transform. */
	if (op != MEMBER_NEW)
		grpsec_receive_forget_keys(gn);
	return err;
}

static int member_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	return member_doit(info, MEMBER_NEW);
}

static int member_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return member_doit(info, MEMBER_SET);
}

static int member_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return member_doit(info, MEMBER_DEL);
}

static int fill_member(struct sk_buff *skb, struct grpsec_member *m)
{
	struct grpsec_keyslot *cur, *next;
	union grpsec_endpoint ep;
	struct grpsec_stats stats;
	struct nlattr *nest;
	u32 last_epoch;
	u64 last_seq;

	grpsec_member_stats_read(m, &stats);
	spin_lock(&m->lock);
	cur = rcu_dereference_protected(m->slot[0], lockdep_is_held(&m->lock));
	next = rcu_dereference_protected(m->slot[1], lockdep_is_held(&m->lock));
	ep = m->endpoint;
	last_seq = m->last_seq;
	last_epoch = m->last_epoch;
	nest = nla_nest_start(skb, GRPSEC_A_MEMBER);
	if (!nest ||
	    nla_put_u32(skb, GRPSEC_A_MEMBER_GROUP, m->group->id) ||
	    nla_put_u32(skb, GRPSEC_A_MEMBER_ID, m->id) ||
	    (cur && nla_put_u32(skb, GRPSEC_A_MEMBER_EPOCH, cur->epoch)) ||
	    (next && nla_put_u32(skb, GRPSEC_A_MEMBER_NEXT_EPOCH, next->epoch)))
		goto out_cancel;
	spin_unlock(&m->lock);
	if (nla_put_u64_64bit(skb, GRPSEC_A_MEMBER_LAST_SEQ, last_seq,
			      GRPSEC_A_MEMBER_PAD) ||
	    (last_epoch && nla_put_u32(skb, GRPSEC_A_MEMBER_LAST_EPOCH, last_epoch)) ||
	    put_endpoint(skb, GRPSEC_A_MEMBER_ENDPOINT, &ep) ||
	    put_stats(skb, GRPSEC_A_MEMBER_STATS, &stats)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;

out_cancel:
	spin_unlock(&m->lock);
	if (nest)
		nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * One message per member, so any number of members dumps.  Cursor:
 * cb->args[0] the group id, cb->args[1] the next member id in it,
 * cb->args[2] set once group U32_MAX is done (the next id would wrap).
 */
static int member_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct grpsec_net *gn = grpsec_net(sock_net(skb->sk));
	struct nlattr *filter = info->attrs[GRPSEC_A_MEMBER_GROUP_FILTER];
	unsigned long gid = cb->args[0], mid;
	struct grpsec_member *m;
	struct grpsec_group *g;
	int err = 0;
	void *hdr;

	if (cb->args[2])
		return 0;
	if (filter && !gid)
		gid = nla_get_u32(filter);

	mutex_lock(&gn->lock);
	cb->seq = gn->generation;
	xa_for_each_start(&gn->groups, gid, g, gid) {
		if (filter && g->id != nla_get_u32(filter))
			break;
		if (g->id != cb->args[0]) {
			cb->args[0] = g->id;
			cb->args[1] = 0;
		}
		mid = cb->args[1];
		xa_for_each_start(&g->members, mid, m, cb->args[1]) {
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, &grpsec_family,
					  NLM_F_MULTI, GRPSEC_CMD_GET_MEMBER);
			if (!hdr) {
				err = -EMSGSIZE;
				goto out_unlock;
			}
			genl_dump_check_consistent(cb, hdr);
			err = fill_member(skb, m);
			if (err) {
				genlmsg_cancel(skb, hdr);
				goto out_unlock;
			}
			genlmsg_end(skb, hdr);
			cb->args[1] = mid + 1;
		}
		if (g->id == U32_MAX)
			cb->args[2] = 1;
		cb->args[0] = (unsigned long)g->id + 1;
		cb->args[1] = 0;
	}
out_unlock:
	mutex_unlock(&gn->lock);
	if (err && !skb->len)
		return err;
	return skb->len;
}

/* Upstream */

static int upstream_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[GRPSEC_A_UPSTREAM_MAX + 1] = { };
	struct grpsec_net *gn = info_net(info);
	struct grpsec_upstream_cfg cfg = {
		.suite = GRPSEC_SUITE_AES128_GCM,
		.batch_max = GRPSEC_BATCH_MAX_DEFAULT,
		.flush_usec = GRPSEC_FLUSH_USEC_DEFAULT,
		.mtu = GRPSEC_MTU_DEFAULT,
	};
	struct nlattr *nest = info->attrs[GRPSEC_A_UPSTREAM];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, GRPSEC_A_UPSTREAM))
		return -EINVAL;
	err = nla_parse_nested(tb, GRPSEC_A_UPSTREAM_MAX, nest,
			       upstream_policy, info->extack);
	if (err)
		return err;
	if (!tb[GRPSEC_A_UPSTREAM_ENDPOINT] || !tb[GRPSEC_A_UPSTREAM_KEY] ||
	    !tb[GRPSEC_A_UPSTREAM_GATEWAY_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "upstream needs an endpoint, a gateway id and a key");
		return -EINVAL;
	}
	err = get_endpoint(tb[GRPSEC_A_UPSTREAM_ENDPOINT], &cfg.endpoint,
			   info->extack);
	if (err)
		return err;
	cfg.gateway = nla_get_u32(tb[GRPSEC_A_UPSTREAM_GATEWAY_ID]);
	if (tb[GRPSEC_A_UPSTREAM_SUITE])
		cfg.suite = nla_get_u8(tb[GRPSEC_A_UPSTREAM_SUITE]);
	if (tb[GRPSEC_A_UPSTREAM_BATCH_MAX])
		cfg.batch_max = nla_get_u16(tb[GRPSEC_A_UPSTREAM_BATCH_MAX]);
	if (tb[GRPSEC_A_UPSTREAM_FLUSH_USEC])
		cfg.flush_usec = nla_get_u32(tb[GRPSEC_A_UPSTREAM_FLUSH_USEC]);
	if (tb[GRPSEC_A_UPSTREAM_MTU])
		cfg.mtu = nla_get_u16(tb[GRPSEC_A_UPSTREAM_MTU]);
	if (tb[GRPSEC_A_UPSTREAM_SEQ]) {
		cfg.has_seq_floor = true;
		cfg.seq_floor = nla_get_u64(tb[GRPSEC_A_UPSTREAM_SEQ]);
	}
	if (tb[GRPSEC_A_UPSTREAM_DL_SEQ])
		cfg.dl_floor = nla_get_u64(tb[GRPSEC_A_UPSTREAM_DL_SEQ]);
	cfg.key = nla_data(tb[GRPSEC_A_UPSTREAM_KEY]);
	cfg.key_len = nla_len(tb[GRPSEC_A_UPSTREAM_KEY]);
	if (cfg.key_len != grpsec_suite_keylen(cfg.suite)) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[GRPSEC_A_UPSTREAM_KEY],
				    "key length does not match the upstream suite");
		return -EINVAL;
	}

	mutex_lock(&gn->lock);
	err = grpsec_upstream_set(gn, &cfg);
	gn->generation++;
	mutex_unlock(&gn->lock);
	if (err == -ENETUNREACH || err == -EHOSTUNREACH)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[GRPSEC_A_UPSTREAM_ENDPOINT],
				    "no route to the upstream endpoint");
	else if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[GRPSEC_A_UPSTREAM_ENDPOINT],
				    "cannot set up the upstream association");
	return err;
}

static int upstream_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	int err;

	mutex_lock(&gn->lock);
	err = grpsec_upstream_del(gn);
	gn->generation++;
	mutex_unlock(&gn->lock);
	if (err)
		NL_SET_ERR_MSG(info->extack, "no upstream configured");
	return err;
}

static int upstream_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	static const int upstream_counters[] = {
		GRPSEC_A_STATS_FORWARDED, GRPSEC_A_STATS_BATCHES,
		GRPSEC_A_STATS_BATCH_BYTES, GRPSEC_A_STATS_TX_ERRORS,
		GRPSEC_A_STATS_DROP_NO_UPSTREAM,
	};
	struct grpsec_stats all, stats = { };
	struct grpsec_upstream_info up;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	if (!grpsec_upstream_get(gn, &up)) {
		NL_SET_ERR_MSG(info->extack, "no upstream configured");
		return -ENOENT;
	}
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info);
	if (!hdr)
		goto out_free_msg;
	nest = nla_nest_start(msg, GRPSEC_A_UPSTREAM);
	if (!nest ||
	    put_endpoint(msg, GRPSEC_A_UPSTREAM_ENDPOINT, &up.endpoint) ||
	    nla_put_u32(msg, GRPSEC_A_UPSTREAM_GATEWAY_ID, up.gateway) ||
	    nla_put_u8(msg, GRPSEC_A_UPSTREAM_SUITE, up.suite) ||
	    nla_put_u16(msg, GRPSEC_A_UPSTREAM_BATCH_MAX, up.batch_max) ||
	    nla_put_u32(msg, GRPSEC_A_UPSTREAM_FLUSH_USEC, up.flush_usec) ||
	    nla_put_u16(msg, GRPSEC_A_UPSTREAM_MTU, up.mtu) ||
	    nla_put_u64_64bit(msg, GRPSEC_A_UPSTREAM_SEQ, up.seq,
			      GRPSEC_A_UPSTREAM_PAD) ||
	    nla_put_u64_64bit(msg, GRPSEC_A_UPSTREAM_DL_SEQ, up.dl_seq,
			      GRPSEC_A_UPSTREAM_PAD))
		goto out_free_msg;
	/* The namespace's counters that describe the upstream. */
	grpsec_stats_sum(gn->stats, &all);
	for (i = 0; i < ARRAY_SIZE(upstream_counters); i++)
		stats.c[upstream_counters[i]] = all.c[upstream_counters[i]];
	if (put_stats(msg, GRPSEC_A_UPSTREAM_STATS, &stats))
		goto out_free_msg;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* GRPSEC_CMD_SEND */

static int send_reply(struct genl_info *info, u64 seq, u32 recipients)
{
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info);
	if (!hdr)
		goto out_free_msg;
	nest = nla_nest_start(msg, GRPSEC_A_SEND);
	if (!nest ||
	    nla_put_u64_64bit(msg, GRPSEC_A_SEND_SEQ, seq, GRPSEC_A_SEND_PAD) ||
	    nla_put_u32(msg, GRPSEC_A_SEND_RECIPIENTS, recipients))
		goto out_free_msg;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int send_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct nlattr *tb[GRPSEC_A_SEND_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct grpsec_group *g;
	u32 member = 0, recipients = 0;
	const u8 *data = NULL;
	u32 len = 0;
	u64 seq = 0;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, GRPSEC_A_SEND))
		return -EINVAL;
	err = nla_parse_nested(tb, GRPSEC_A_SEND_MAX, info->attrs[GRPSEC_A_SEND],
			       send_policy, extack);
	if (err)
		return err;
	if (!tb[GRPSEC_A_SEND_GROUP]) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[GRPSEC_A_SEND],
				    "missing group id");
		return -EINVAL;
	}
	if (tb[GRPSEC_A_SEND_MEMBER])
		member = nla_get_u32(tb[GRPSEC_A_SEND_MEMBER]);
	if (tb[GRPSEC_A_SEND_DATA]) {
		data = nla_data(tb[GRPSEC_A_SEND_DATA]);
		len = nla_len(tb[GRPSEC_A_SEND_DATA]);
	}

	mutex_lock(&gn->lock);
	g = find_group(gn, nla_get_u32(tb[GRPSEC_A_SEND_GROUP]),
		       tb[GRPSEC_A_SEND_GROUP], extack);
	if (!g) {
		err = -ENOENT;
		goto out_unlock;
	}
	if (!(g->flags & GRPSEC_GROUP_F_TERMINATE)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_SEND_GROUP],
				    "group is not in terminate mode");
		err = -EINVAL;
		goto out_unlock;
	}
	if (member && !xa_load(&g->members, member)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_SEND_MEMBER],
				    "no such member in the group");
		err = -ENOENT;
		goto out_unlock;
	}
	recipients = member ? 1 : g->nr_members;
	err = grpsec_terminate_send(gn, g, member, data, len, &seq);
	if (err == -ENOKEY)
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_SEND_GROUP],
				    "group has no current group key");
	else if (err == -ENOBUFS)
		NL_SET_ERR_MSG(extack, "too many sends queued, try again");
	else if (err == -EDQUOT)
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_SEND_GROUP],
				    "the group key's epoch reached its message limit");
	else if (err == -EOVERFLOW)
		NL_SET_ERR_MSG_ATTR(extack, tb[GRPSEC_A_SEND_GROUP],
				    "the group's command sequence is used up");
out_unlock:
	mutex_unlock(&gn->lock);
	if (err)
		return err;
	return send_reply(info, seq, recipients);
}

/* GRPSEC_CMD_GET_STATS */

static int stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct grpsec_net *gn = info_net(info);
	struct grpsec_stats stats;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = reply_put(msg, info);
	if (!hdr)
		goto out_free_msg;
	grpsec_stats_sum(gn->stats, &stats);
	if (put_stats(msg, GRPSEC_A_STATS, &stats))
		goto out_free_msg;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

out_free_msg:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* Each command with its own policy; admins of the namespace only. */
static const struct genl_ops grpsec_ops[] = {
	{
		.cmd = GRPSEC_CMD_GET_INFO,
		.doit = info_get_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_SET_LISTEN,
		.doit = listen_set_doit,
		.policy = listen_policy,
		.maxattr = ARRAY_SIZE(listen_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_NEW_GROUP,
		.doit = group_new_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_SET_GROUP,
		.doit = group_set_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_DEL_GROUP,
		.doit = group_del_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_GET_GROUP,
		.doit = group_get_doit,
		.dumpit = group_get_dumpit,
		.policy = group_get_policy,
		.maxattr = ARRAY_SIZE(group_get_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_NEW_MEMBER,
		.doit = member_new_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_SET_MEMBER,
		.doit = member_set_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_DEL_MEMBER,
		.doit = member_del_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_GET_MEMBER,
		.dumpit = member_get_dumpit,
		.policy = member_dump_policy,
		.maxattr = ARRAY_SIZE(member_dump_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_SET_UPSTREAM,
		.doit = upstream_set_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_DEL_UPSTREAM,
		.doit = upstream_del_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_GET_UPSTREAM,
		.doit = upstream_get_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_GET_STATS,
		.doit = stats_get_doit,
		.policy = nests_policy,
		.maxattr = ARRAY_SIZE(nests_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = GRPSEC_CMD_SEND,
		.doit = send_doit,
		.policy = send_cmd_policy,
		.maxattr = ARRAY_SIZE(send_cmd_policy) - 1,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group grpsec_mcgrps[] = {
	/* Events name members and their addresses: admins only. */
	{ .name = GRPSEC_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct genl_family grpsec_family __ro_after_init = {
	.name = GRPSEC_GENL_NAME,
	.version = GRPSEC_GENL_VERSION,
	.maxattr = GRPSEC_A_MAX,
	.netnsok = true,
	.parallel_ops = false,
	.module = THIS_MODULE,
	.pre_doit = grpsec_pre_doit,
	.post_doit = grpsec_post_doit,
	.ops = grpsec_ops,
	.n_ops = ARRAY_SIZE(grpsec_ops),
	.mcgrps = grpsec_mcgrps,
	.n_mcgrps = ARRAY_SIZE(grpsec_mcgrps),
};

int grpsec_netlink_init(void)
{
	return genl_register_family(&grpsec_family);
}

void grpsec_netlink_uninit(void)
{
	genl_unregister_family(&grpsec_family);
}
