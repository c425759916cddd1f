// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to the grpsec family: requests, replies parsed into records, and
 * refusals reported with the kernel's own words.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "tool.h"

struct grpsec_nl nl;
static bool nl_ready;

int kernel_open(void)
{
	int ret;

	if (nl_ready)
		return 0;
	ret = grpsec_nl_open(&nl);
	switch (ret) {
	case 0:
		nl_ready = true;
		return 0;
	case GRPSEC_NL_E_NOFAMILY:
		err_msg("the grpsec kernel module is not loaded (modprobe grpsec)");
		break;
	case GRPSEC_NL_E_VERSION:
		err_msg("the grpsec kernel module speaks netlink version %u, this tool speaks version %u: install a matching tool",
			nl.version, GRPSEC_GENL_VERSION);
		grpsec_nl_close(&nl);
		break;
	case -EPERM:
	case -EACCES:
		err_msg("operation not permitted (needs CAP_NET_ADMIN)");
		break;
	default:
		err_msg("cannot reach the kernel's generic netlink: %s",
			strerror(-ret));
		break;
	}
	return EXIT_KERNEL;
}

struct nl_msg *kernel_msg(uint8_t cmd, int flags)
{
	struct nl_msg *msg = grpsec_nl_msg(&nl, cmd, flags);

	if (!msg) {
		err_msg("out of memory");
		return NULL;
	}
	return msg;
}

/* Attribute names, per nest, for pointing at what the kernel refused. */
#define N(x) [x] = #x
static const char *const top_names[GRPSEC_A_MAX + 1] = {
	N(GRPSEC_A_VERSION), N(GRPSEC_A_LISTEN_PORT), N(GRPSEC_A_GROUP_COUNT),
	N(GRPSEC_A_MEMBER_COUNT), N(GRPSEC_A_GROUP), N(GRPSEC_A_MEMBER),
	N(GRPSEC_A_UPSTREAM), N(GRPSEC_A_STATS),
	N(GRPSEC_A_MEMBER_GROUP_FILTER), N(GRPSEC_A_SEND),
	N(GRPSEC_A_GATEWAY_SEQ),
};
static const char *const group_names[GRPSEC_A_GROUP_MAX + 1] = {
	N(GRPSEC_A_GROUP_ID), N(GRPSEC_A_GROUP_SUITE), N(GRPSEC_A_GROUP_MODE),
	N(GRPSEC_A_GROUP_FLAGS), N(GRPSEC_A_GROUP_MSG_LIMIT),
	N(GRPSEC_A_GROUP_RATE_LIMIT),
	N(GRPSEC_A_GROUP_MEMBERS), N(GRPSEC_A_GROUP_STATS),
	N(GRPSEC_A_GROUP_KEY), N(GRPSEC_A_GROUP_DELIVER),
	N(GRPSEC_A_GROUP_EPOCH), N(GRPSEC_A_GROUP_NEXT_EPOCH),
	N(GRPSEC_A_GROUP_CMD_SEQ), N(GRPSEC_A_GROUP_MCAST),
};
static const char *const member_names[GRPSEC_A_MEMBER_MAX + 1] = {
	N(GRPSEC_A_MEMBER_GROUP), N(GRPSEC_A_MEMBER_ID),
	N(GRPSEC_A_MEMBER_KEY), N(GRPSEC_A_MEMBER_ENDPOINT),
	N(GRPSEC_A_MEMBER_EPOCH), N(GRPSEC_A_MEMBER_NEXT_EPOCH),
	N(GRPSEC_A_MEMBER_LAST_SEQ), N(GRPSEC_A_MEMBER_STATS),
	N(GRPSEC_A_MEMBER_LAST_EPOCH),
};
static const char *const key_names[GRPSEC_A_KEY_MAX + 1] = {
	N(GRPSEC_A_KEY_SLOT), N(GRPSEC_A_KEY_EPOCH), N(GRPSEC_A_KEY_DATA),
};
static const char *const upstream_names[GRPSEC_A_UPSTREAM_MAX + 1] = {
	N(GRPSEC_A_UPSTREAM_ENDPOINT), N(GRPSEC_A_UPSTREAM_GATEWAY_ID),
	N(GRPSEC_A_UPSTREAM_SUITE), N(GRPSEC_A_UPSTREAM_KEY),
	N(GRPSEC_A_UPSTREAM_BATCH_MAX), N(GRPSEC_A_UPSTREAM_FLUSH_USEC),
	N(GRPSEC_A_UPSTREAM_MTU), N(GRPSEC_A_UPSTREAM_SEQ),
	N(GRPSEC_A_UPSTREAM_DL_SEQ),
};
static const char *const send_names[GRPSEC_A_SEND_MAX + 1] = {
	N(GRPSEC_A_SEND_GROUP), N(GRPSEC_A_SEND_MEMBER), N(GRPSEC_A_SEND_DATA),
	N(GRPSEC_A_SEND_SEQ), N(GRPSEC_A_SEND_RECIPIENTS),
};
#undef N

struct name_table {
	const char *const *names;
	int max;
};

static const struct name_table tables[] = {
	{ top_names, GRPSEC_A_MAX },
	{ group_names, GRPSEC_A_GROUP_MAX },
	{ member_names, GRPSEC_A_MEMBER_MAX },
	{ key_names, GRPSEC_A_KEY_MAX },
	{ upstream_names, GRPSEC_A_UPSTREAM_MAX },
	{ send_names, GRPSEC_A_SEND_MAX },
};
enum { T_TOP, T_GROUP, T_MEMBER, T_KEY, T_UPSTREAM, T_SEND, T_NONE };

static const char *attr_name(int table, int type)
{
	if (table == T_NONE || type < 0 || type > tables[table].max ||
	    !tables[table].names[type])
		return NULL;
	return tables[table].names[type];
}

/* The table for the contents of a nest of this type, in this table. */
static int nest_table(int table, int type)
{
	if (table == T_TOP && type == GRPSEC_A_GROUP)
		return T_GROUP;
	if (table == T_TOP && type == GRPSEC_A_MEMBER)
		return T_MEMBER;
	if (table == T_TOP && type == GRPSEC_A_UPSTREAM)
		return T_UPSTREAM;
	if (table == T_TOP && type == GRPSEC_A_SEND)
		return T_SEND;
	if (table == T_MEMBER && type == GRPSEC_A_MEMBER_KEY)
		return T_KEY;
	if (table == T_GROUP && type == GRPSEC_A_GROUP_KEY)
		return T_KEY;
	return T_NONE;
}

/*
 * Find the attribute of our request at offset (from the netlink header, as
 * the kernel counts): its name, and the table its contents use.
 */
static const char *locate(struct nl_msg *msg, int64_t offset, int *table_out)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *head = genlmsg_attrdata(nlmsg_data(nlh), 0);
	int len = genlmsg_attrlen(nlmsg_data(nlh), 0);
	int table = T_TOP;

	for (;;) {
		struct nlattr *a;
		bool inside = false;
		int rem;

		nla_for_each_attr(a, head, len, rem) {
			int64_t start = (char *)a - (char *)nlh;

			if (offset < start || offset >= start + nla_len(a) + NLA_HDRLEN)
				continue;
			if (offset == start) {
				if (table_out)
					*table_out = nest_table(table, nla_type(a));
				return attr_name(table, nla_type(a));
			}
			table = nest_table(table, nla_type(a));
			if (table == T_NONE)
				return NULL;
			head = nla_data(a);
			len = nla_len(a);
			inside = true;
			break;
		}
		if (!inside)
			return NULL;
	}
}

/* Which of the top-level attributes of this type holds offset; -1 if none. */
int kernel_index_of(struct nl_msg *msg, int64_t offset, int attrtype)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem, index = 0;

	if (offset < 0)
		return -1;
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem) {
		int64_t start = (char *)a - (char *)nlh;

		if (nla_type(a) != attrtype)
			continue;
		if (offset >= start && offset < start + NLA_HDRLEN + nla_len(a))
			return index;
		index++;
	}
	return -1;
}

/*
 * Report a failed request: the kernel's text verbatim where it gave one,
 * with the attribute it pointed at; a missing attribute by name; or the
 * errno with what we were doing.  prefix, if any, says where the request
 * came from ("members.txt:12").
 */
void kernel_report(struct nl_msg *msg, int err, const char *what,
		   const char *prefix)
{
	const char *attr = NULL;
	char pre[400] = "";

	if (prefix)
		snprintf(pre, sizeof(pre), "%s: ", prefix);
	if (err == -EPERM || err == -EACCES) {
		err_msg("%soperation not permitted (needs CAP_NET_ADMIN)", pre);
		return;
	}
	if (msg && nl.ext_offset >= 0)
		attr = locate(msg, nl.ext_offset, NULL);

	if (nl.has_ext_msg) {
		if (attr)
			err_msg("%skernel reports: %s (%s)", pre, nl.ext_msg,
				attr);
		else
			err_msg("%skernel reports: %s", pre, nl.ext_msg);
		return;
	}
	if (nl.ext_miss_type) {
		int table = T_TOP;
		const char *name;

		if (msg && nl.ext_miss_nest >= 0 &&
		    !locate(msg, nl.ext_miss_nest, &table))
			table = T_NONE;
		name = attr_name(table, nl.ext_miss_type);
		if (name)
			err_msg("%skernel reports: missing attribute %s", pre,
				name);
		else
			err_msg("%skernel reports: missing attribute %u", pre,
				nl.ext_miss_type);
		return;
	}
	if (attr)
		err_msg("%s%s: %s (%s)", pre, what, strerror(-err), attr);
	else
		err_msg("%s%s: %s", pre, what, strerror(-err));
}

/* Send, report any refusal, free; 0 or EXIT_KERNEL. */
int kernel_request(struct nl_msg *msg, grpsec_nl_parse_t parse, void *arg,
		   const char *what)
{
	int ret = grpsec_nl_talk(&nl, msg, parse, arg);

	if (ret) {
		kernel_report(msg, ret, what, NULL);
		grpsec_nl_msg_free(msg);
		return EXIT_KERNEL;
	}
	if (nl.has_ext_msg)
		warn_msg("kernel says: %s", nl.ext_msg);
	if (nl.dump_interrupted)
		warn_msg("the configuration changed during the listing; it may be inconsistent");
	grpsec_nl_msg_free(msg);
	return 0;
}

static bool get_u8(struct nlattr *a, uint8_t *v)
{
	if (!a || nla_len(a) != 1)
		return false;
	*v = nla_get_u8(a);
	return true;
}

static bool get_u16(struct nlattr *a, uint16_t *v)
{
	if (!a || nla_len(a) != 2)
		return false;
	*v = nla_get_u16(a);
	return true;
}

static bool get_u32(struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) != 4)
		return false;
	*v = nla_get_u32(a);
	return true;
}

static bool get_u64(struct nlattr *a, uint64_t *v)
{
	if (!a || nla_len(a) != 8)
		return false;
	*v = nla_get_u64(a);
	return true;
}

#define GET(fn, tb, attr, dst) do {				\
	if (fn((tb)[attr], &(dst)))				\
		rec->have |= 1ULL << (attr);			\
} while (0)

bool parse_stats(struct nlattr *nest, struct stats_rec *rec)
{
	struct nlattr *a;
	int rem;

	memset(rec, 0, sizeof(*rec));
	if (!nest)
		return false;
	nla_for_each_nested(a, nest, rem) {
		int type = nla_type(a);

		if (type > 0 && type <= GRPSEC_A_STATS_MAX &&
		    type != GRPSEC_A_STATS_PAD)
			get_u64(a, &rec->v[type]);
	}
	rec->present = true;
	return true;
}

int parse_info(struct nl_msg *msg, struct info_rec *rec)
{
	struct nlattr *tb[GRPSEC_A_MAX + 1];

	memset(rec, 0, sizeof(*rec));
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, GRPSEC_A_MAX, NULL))
		return -EINVAL;
	GET(get_u32, tb, GRPSEC_A_VERSION, rec->version);
	GET(get_u16, tb, GRPSEC_A_LISTEN_PORT, rec->listen_port);
	GET(get_u32, tb, GRPSEC_A_GROUP_COUNT, rec->group_count);
	GET(get_u32, tb, GRPSEC_A_MEMBER_COUNT, rec->member_count);
	GET(get_u64, tb, GRPSEC_A_GATEWAY_SEQ, rec->gateway_seq);
	return 0;
}

bool parse_group(struct nlattr *nest, struct group_rec *rec)
{
	struct nlattr *tb[GRPSEC_A_GROUP_MAX + 1];
	struct nlattr *ep;

	memset(rec, 0, sizeof(*rec));
	if (!nest || nla_parse_nested(tb, GRPSEC_A_GROUP_MAX, nest, NULL))
		return false;
	GET(get_u32, tb, GRPSEC_A_GROUP_ID, rec->id);
	GET(get_u8, tb, GRPSEC_A_GROUP_SUITE, rec->suite);
	GET(get_u8, tb, GRPSEC_A_GROUP_MODE, rec->mode);
	GET(get_u32, tb, GRPSEC_A_GROUP_FLAGS, rec->flags);
	GET(get_u64, tb, GRPSEC_A_GROUP_MSG_LIMIT, rec->msg_limit);
	GET(get_u32, tb, GRPSEC_A_GROUP_RATE_LIMIT, rec->rate_limit);
	GET(get_u32, tb, GRPSEC_A_GROUP_MEMBERS, rec->members);
	GET(get_u32, tb, GRPSEC_A_GROUP_EPOCH, rec->epoch);
	GET(get_u32, tb, GRPSEC_A_GROUP_NEXT_EPOCH, rec->next_epoch);
	GET(get_u64, tb, GRPSEC_A_GROUP_CMD_SEQ, rec->cmd_seq);
	ep = tb[GRPSEC_A_GROUP_DELIVER];
	if (ep && endpoint_from_attr(nla_data(ep), nla_len(ep), &rec->deliver,
				     &rec->deliver_len))
		rec->have |= 1ULL << GRPSEC_A_GROUP_DELIVER;
	ep = tb[GRPSEC_A_GROUP_MCAST];
	if (ep && endpoint_from_attr(nla_data(ep), nla_len(ep), &rec->mcast,
				     &rec->mcast_len))
		rec->have |= 1ULL << GRPSEC_A_GROUP_MCAST;
	if (parse_stats(tb[GRPSEC_A_GROUP_STATS], &rec->stats))
		rec->have |= 1ULL << GRPSEC_A_GROUP_STATS;
	return HAVE(rec, GRPSEC_A_GROUP_ID);
}

bool parse_member(struct nlattr *nest, struct member_rec *rec)
{
	struct nlattr *tb[GRPSEC_A_MEMBER_MAX + 1];
	struct nlattr *ep;

	memset(rec, 0, sizeof(*rec));
	if (!nest || nla_parse_nested(tb, GRPSEC_A_MEMBER_MAX, nest, NULL))
		return false;
	GET(get_u32, tb, GRPSEC_A_MEMBER_GROUP, rec->group);
	GET(get_u32, tb, GRPSEC_A_MEMBER_ID, rec->id);
	GET(get_u32, tb, GRPSEC_A_MEMBER_EPOCH, rec->epoch);
	GET(get_u32, tb, GRPSEC_A_MEMBER_NEXT_EPOCH, rec->next_epoch);
	GET(get_u64, tb, GRPSEC_A_MEMBER_LAST_SEQ, rec->last_seq);
	GET(get_u32, tb, GRPSEC_A_MEMBER_LAST_EPOCH, rec->last_epoch);
	ep = tb[GRPSEC_A_MEMBER_ENDPOINT];
	if (ep && endpoint_from_attr(nla_data(ep), nla_len(ep), &rec->endpoint,
				     &rec->endpoint_len))
		rec->have |= 1ULL << GRPSEC_A_MEMBER_ENDPOINT;
	if (parse_stats(tb[GRPSEC_A_MEMBER_STATS], &rec->stats))
		rec->have |= 1ULL << GRPSEC_A_MEMBER_STATS;
	return HAVE(rec, GRPSEC_A_MEMBER_ID);
}

bool parse_upstream(struct nlattr *nest, struct upstream_rec *rec)
{
	struct nlattr *tb[GRPSEC_A_UPSTREAM_MAX + 1];
	struct nlattr *ep;

	memset(rec, 0, sizeof(*rec));
	if (!nest || nla_parse_nested(tb, GRPSEC_A_UPSTREAM_MAX, nest, NULL))
		return false;
	ep = tb[GRPSEC_A_UPSTREAM_ENDPOINT];
	if (ep && endpoint_from_attr(nla_data(ep), nla_len(ep), &rec->endpoint,
				     &rec->endpoint_len))
		rec->have |= 1ULL << GRPSEC_A_UPSTREAM_ENDPOINT;
	GET(get_u32, tb, GRPSEC_A_UPSTREAM_GATEWAY_ID, rec->gateway_id);
	GET(get_u8, tb, GRPSEC_A_UPSTREAM_SUITE, rec->suite);
	GET(get_u16, tb, GRPSEC_A_UPSTREAM_BATCH_MAX, rec->batch_max);
	GET(get_u32, tb, GRPSEC_A_UPSTREAM_FLUSH_USEC, rec->flush_usec);
	GET(get_u16, tb, GRPSEC_A_UPSTREAM_MTU, rec->mtu);
	GET(get_u64, tb, GRPSEC_A_UPSTREAM_SEQ, rec->seq);
	GET(get_u64, tb, GRPSEC_A_UPSTREAM_DL_SEQ, rec->dl_seq);
	if (parse_stats(tb[GRPSEC_A_UPSTREAM_STATS], &rec->stats))
		rec->have |= 1ULL << GRPSEC_A_UPSTREAM_STATS;
	return true;
}

/* Unknown attributes are skipped: a newer kernel may add some. */
bool parse_event(struct nlattr *nest, struct event_rec *rec)
{
	struct nlattr *tb[GRPSEC_A_EVENT_MAX + 1];
	struct nlattr *ep;

	memset(rec, 0, sizeof(*rec));
	if (!nest || nla_parse_nested(tb, GRPSEC_A_EVENT_MAX, nest, NULL))
		return false;
	GET(get_u8, tb, GRPSEC_A_EVENT_TYPE, rec->type);
	GET(get_u32, tb, GRPSEC_A_EVENT_GROUP, rec->group);
	GET(get_u32, tb, GRPSEC_A_EVENT_MEMBER, rec->member);
	GET(get_u32, tb, GRPSEC_A_EVENT_EPOCH, rec->epoch);
	ep = tb[GRPSEC_A_EVENT_ENDPOINT];
	if (ep && endpoint_from_attr(nla_data(ep), nla_len(ep), &rec->endpoint,
				     &rec->endpoint_len))
		rec->have |= 1ULL << GRPSEC_A_EVENT_ENDPOINT;
	GET(get_u64, tb, GRPSEC_A_EVENT_COUNT, rec->count);
	GET(get_u64, tb, GRPSEC_A_EVENT_LIMIT, rec->limit);
	GET(get_u32, tb, GRPSEC_A_EVENT_ERROR, rec->error);
	GET(get_u32, tb, GRPSEC_A_EVENT_SUPPRESSED, rec->suppressed);
	return HAVE(rec, GRPSEC_A_EVENT_TYPE);
}

struct nlattr *msg_attr(struct nl_msg *msg, int type)
{
	return nlmsg_find_attr(nlmsg_hdr(msg), GENL_HDRLEN, type);
}

static int info_cb(struct nl_msg *msg, void *arg)
{
	parse_info(msg, arg);
	return NL_OK;
}

int get_info(struct info_rec *rec)
{
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_GET_INFO, 0);

	memset(rec, 0, sizeof(*rec));
	if (!msg)
		return EXIT_KERNEL;
	return kernel_request(msg, info_cb, rec, "reading the gateway");
}

struct upstream_arg {
	struct upstream_rec *rec;
	bool seen;
};

static int upstream_cb(struct nl_msg *msg, void *arg)
{
	struct upstream_arg *ua = arg;
	struct nlattr *a = msg_attr(msg, GRPSEC_A_UPSTREAM);

	if (a && parse_upstream(a, ua->rec))
		ua->seen = true;
	return NL_OK;
}

/* An upstream nobody set is "not configured", not an error. */
int get_upstream(struct upstream_rec *rec, bool *configured)
{
	struct upstream_arg ua = { .rec = rec };
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_GET_UPSTREAM, 0);
	int ret;

	memset(rec, 0, sizeof(*rec));
	*configured = false;
	if (!msg)
		return EXIT_KERNEL;
	ret = grpsec_nl_talk(&nl, msg, upstream_cb, &ua);
	if (ret == -ENOENT || ret == -ENOTCONN) {
		grpsec_nl_msg_free(msg);
		return 0;
	}
	if (ret) {
		kernel_report(msg, ret, "reading the upstream", NULL);
		grpsec_nl_msg_free(msg);
		return EXIT_KERNEL;
	}
	grpsec_nl_msg_free(msg);
	*configured = ua.seen && HAVE(rec, GRPSEC_A_UPSTREAM_ENDPOINT);
	return 0;
}

struct group_arg {
	group_fn fn;
	void *arg;
	struct group_rec *one;
	int ret;
};

static int group_cb(struct nl_msg *msg, void *arg)
{
	struct group_arg *ga = arg;
	struct group_rec rec;

	if (!parse_group(msg_attr(msg, GRPSEC_A_GROUP), &rec))
		return NL_SKIP;
	if (ga->one)
		*ga->one = rec;
	else if (!ga->ret)
		ga->ret = ga->fn(&rec, ga->arg);
	return NL_OK;
}

int get_group(uint32_t id, struct group_rec *rec)
{
	struct group_arg ga = { .one = rec };
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_GET_GROUP, 0);
	struct nlattr *nest;
	char what[64];

	memset(rec, 0, sizeof(*rec));
	if (!msg)
		return EXIT_KERNEL;
	nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	if (!nest || nla_put_u32(msg, GRPSEC_A_GROUP_ID, id)) {
		grpsec_nl_msg_free(msg);
		return EXIT_KERNEL;
	}
	nla_nest_end(msg, nest);
	snprintf(what, sizeof(what), "reading group %u", id);
	if (kernel_request(msg, group_cb, &ga, what))
		return EXIT_KERNEL;
	if (!HAVE(rec, GRPSEC_A_GROUP_ID)) {
		err_msg("group %u: the kernel sent no group", id);
		return EXIT_KERNEL;
	}
	return 0;
}

int dump_groups(group_fn fn, void *arg)
{
	struct group_arg ga = { .fn = fn, .arg = arg };
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_GET_GROUP, NLM_F_DUMP);

	if (!msg)
		return EXIT_KERNEL;
	if (kernel_request(msg, group_cb, &ga, "listing groups"))
		return EXIT_KERNEL;
	return ga.ret;
}

struct member_arg {
	member_fn fn;
	void *arg;
	int ret;
};

static int member_cb(struct nl_msg *msg, void *arg)
{
	struct member_arg *ma = arg;
	struct member_rec rec;
	struct nlattr *a;
	int rem;

	nlmsg_for_each_attr(a, nlmsg_hdr(msg), GENL_HDRLEN, rem) {
		if (nla_type(a) != GRPSEC_A_MEMBER)
			continue;
		if (parse_member(a, &rec) && !ma->ret)
			ma->ret = ma->fn(&rec, ma->arg);
	}
	return NL_OK;
}

/* Every member, or those of one group (group != 0), one at a time. */
int dump_members(uint32_t group, member_fn fn, void *arg)
{
	struct member_arg ma = { .fn = fn, .arg = arg };
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_GET_MEMBER, NLM_F_DUMP);

	if (!msg)
		return EXIT_KERNEL;
	if (group && nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP_FILTER, group)) {
		grpsec_nl_msg_free(msg);
		return EXIT_KERNEL;
	}
	if (kernel_request(msg, member_cb, &ma, "listing members"))
		return EXIT_KERNEL;
	return ma.ret;
}

static int stats_cb(struct nl_msg *msg, void *arg)
{
	parse_stats(msg_attr(msg, GRPSEC_A_STATS), arg);
	return NL_OK;
}

int get_stats(struct stats_rec *rec)
{
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_GET_STATS, 0);

	memset(rec, 0, sizeof(*rec));
	if (!msg)
		return EXIT_KERNEL;
	return kernel_request(msg, stats_cb, rec, "reading counters");
}

int put_endpoint(struct nl_msg *msg, int type,
		 const struct sockaddr_storage *ss, socklen_t len)
{
	return nla_put(msg, type, len, ss);
}

/* A key slot nest (GRPSEC_A_MEMBER_KEY or GRPSEC_A_GROUP_KEY). */
int put_key_slot(struct nl_msg *msg, int type, uint8_t slot, uint32_t epoch,
		 const struct key_ref *key)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || nla_put_u8(msg, GRPSEC_A_KEY_SLOT, slot) ||
	    nla_put_u32(msg, GRPSEC_A_KEY_EPOCH, epoch) ||
	    nla_put(msg, GRPSEC_A_KEY_DATA, key->len, key->key))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* In a SET, a slot named without key data is emptied. */
int put_empty_key_slot(struct nl_msg *msg, int type, uint8_t slot)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest || nla_put_u8(msg, GRPSEC_A_KEY_SLOT, slot))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}
