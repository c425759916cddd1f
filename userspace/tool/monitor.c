// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec monitor: join the family's "events" multicast group and print
 * each message as it arrives.  The UAPI defines no event commands yet, so
 * events are decoded generically: the command by name where the header
 * knows it, then every attribute the header knows, and the rest by number.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "tool.h"

static const char usage[] = "monitor";

#define C(x) [GRPSEC_CMD_##x] = #x
static const char *const cmd_names[GRPSEC_CMD_MAX + 1] = {
	C(GET_INFO), C(SET_LISTEN), C(NEW_GROUP), C(SET_GROUP), C(DEL_GROUP),
	C(GET_GROUP), C(NEW_MEMBER), C(SET_MEMBER), C(DEL_MEMBER),
	C(GET_MEMBER), C(SET_UPSTREAM), C(GET_UPSTREAM), C(GET_STATS),
};
#undef C

static void lower(char *dst, const char *src, size_t size)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = src[i] == '_' ? '-' : (src[i] | 0x20);
	dst[i] = '\0';
}

static void print_u(const char *name, uint64_t v)
{
	if (opt.json)
		jw_uint(name, v);
	else
		printf(" %s %llu", name, (unsigned long long)v);
}

static void print_s(const char *name, const char *v)
{
	if (opt.json)
		jw_str(name, v);
	else
		printf(" %s %s", name, v);
}

static void print_stats_inline(const struct stats_rec *s)
{
	if (opt.json) {
		print_stats_json("stats", s);
		return;
	}
	for (int i = 1; i <= GRPSEC_A_STATS_MAX; i++)
		if (stats_name(i) && s->v[i])
			printf(" %s %llu", stats_name(i),
			       (unsigned long long)s->v[i]);
}

static void print_attr(struct nlattr *a)
{
	char ep[ENDPOINT_STRLEN], name[32];
	struct group_rec g;
	struct member_rec m;
	struct upstream_rec u;
	struct stats_rec s;
	int type = nla_type(a);

	switch (type) {
	case GRPSEC_A_VERSION:
	case GRPSEC_A_GROUP_COUNT:
	case GRPSEC_A_MEMBER_COUNT:
	case GRPSEC_A_MEMBER_GROUP_FILTER:
		if (nla_len(a) == 4) {
			print_u(type == GRPSEC_A_VERSION ? "version" :
				type == GRPSEC_A_GROUP_COUNT ? "group-count" :
				type == GRPSEC_A_MEMBER_COUNT ? "member-count" :
				"group", nla_get_u32(a));
			return;
		}
		break;
	case GRPSEC_A_LISTEN_PORT:
		if (nla_len(a) == 2) {
			print_u("listen-port", nla_get_u16(a));
			return;
		}
		break;
	case GRPSEC_A_GROUP:
		if (parse_group(a, &g)) {
			if (opt.json)
				jw_obj_open("group");
			print_u("group", g.id);
			if (HAVE(&g, GRPSEC_A_GROUP_SUITE))
				print_s("suite", suite_name(g.suite));
			if (HAVE(&g, GRPSEC_A_GROUP_MODE))
				print_s("mode", mode_name(g.mode));
			if (HAVE(&g, GRPSEC_A_GROUP_MSG_LIMIT))
				print_u("msg-limit", g.msg_limit);
			if (HAVE(&g, GRPSEC_A_GROUP_STATS))
				print_stats_inline(&g.stats);
			if (opt.json)
				jw_obj_close();
			return;
		}
		break;
	case GRPSEC_A_MEMBER:
		if (parse_member(a, &m)) {
			if (opt.json)
				jw_obj_open("member");
			print_u("group", m.group);
			print_u("member", m.id);
			if (HAVE(&m, GRPSEC_A_MEMBER_EPOCH))
				print_u("epoch", m.epoch);
			if (HAVE(&m, GRPSEC_A_MEMBER_NEXT_EPOCH))
				print_u("next-epoch", m.next_epoch);
			if (HAVE(&m, GRPSEC_A_MEMBER_ENDPOINT)) {
				format_endpoint(&m.endpoint, ep, sizeof(ep));
				print_s("endpoint", ep);
			}
			if (HAVE(&m, GRPSEC_A_MEMBER_LAST_SEQ))
				print_u("last-seq", m.last_seq);
			if (HAVE(&m, GRPSEC_A_MEMBER_STATS))
				print_stats_inline(&m.stats);
			if (opt.json)
				jw_obj_close();
			return;
		}
		break;
	case GRPSEC_A_UPSTREAM:
		if (parse_upstream(a, &u)) {
			if (opt.json)
				jw_obj_open("upstream");
			format_endpoint(&u.endpoint, ep, sizeof(ep));
			print_s("upstream", ep);
			if (HAVE(&u, GRPSEC_A_UPSTREAM_SEQ))
				print_u("seq", u.seq);
			if (HAVE(&u, GRPSEC_A_UPSTREAM_STATS))
				print_stats_inline(&u.stats);
			if (opt.json)
				jw_obj_close();
			return;
		}
		break;
	case GRPSEC_A_STATS:
		parse_stats(a, &s);
		print_stats_inline(&s);
		return;
	}
	snprintf(name, sizeof(name), "attr-%d-len", type);
	print_u(name, nla_len(a));
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh;
	struct nlattr *a;
	char name[32];
	int rem;

	(void)arg;
	if (nlh->nlmsg_type != nl.family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	if (gh->cmd <= GRPSEC_CMD_MAX && cmd_names[gh->cmd])
		lower(name, cmd_names[gh->cmd], sizeof(name));
	else
		snprintf(name, sizeof(name), "cmd-%u", gh->cmd);

	if (opt.json) {
		jw_begin();
		jw_obj_open(NULL);
		jw_str("event", name);
		jw_uint("cmd", gh->cmd);
	} else {
		printf("%s:", name);
	}
	nlmsg_for_each_attr(a, nlh, GENL_HDRLEN, rem)
		print_attr(a);
	if (opt.json) {
		jw_obj_close();
		jw_end();
	} else {
		putchar('\n');
	}
	fflush(stdout);
	return NL_OK;
}

int cmd_monitor(int argc, char **argv)
{
	int ret;

	if (argc > 1 && !strcmp(argv[1], "help")) {
		print_usage(usage);
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[1]);
	ret = kernel_open();
	if (ret)
		return ret;
	ret = grpsec_nl_subscribe_events(&nl);
	if (ret == -ENOENT) {
		err_msg("the grpsec kernel module has no \"%s\" multicast group",
			GRPSEC_MCGRP_EVENTS);
		return EXIT_KERNEL;
	}
	if (ret) {
		kernel_report(NULL, ret, "joining the events group", NULL);
		return EXIT_KERNEL;
	}
	opt.pretty = false;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ret = grpsec_nl_listen(&nl, event_cb, NULL);
		if (ret == -ENOBUFS) {
			warn_msg("events were lost (the receive buffer overflowed)");
			continue;
		}
		break;
	}
	kernel_report(NULL, ret, "reading events", NULL);
	return EXIT_KERNEL;
}
