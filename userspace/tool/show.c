// SPDX-License-Identifier: GPL-2.0
/*
 * Printing records three ways: for people (indented "name: value" lines,
 * wg show style), for scripts (one tab-separated line per record when a
 * field is named), and JSON with -j.  "show" and "stats" live here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

static void pad(int level)
{
	for (int i = 0; i < level; i++)
		fputs("  ", stdout);
}

static void opt_u64(char *buf, size_t size, bool have, uint64_t v)
{
	if (have)
		snprintf(buf, size, "%llu", (unsigned long long)v);
	else
		snprintf(buf, size, "(none)");
}

/* ---- members ---- */

static const char *const member_fields[] = {
	"epoch", "next-epoch", "last-seq", "last-epoch", "endpoint", "dump", NULL,
};

static bool is_field(const char *const *fields, const char *s)
{
	for (; *fields; fields++)
		if (!strcmp(*fields, s))
			return true;
	return false;
}

static void member_value(const struct member_rec *m, const char *field,
			 char *buf, size_t size)
{
	if (!strcmp(field, "epoch"))
		opt_u64(buf, size, HAVE(m, GRPSEC_A_MEMBER_EPOCH), m->epoch);
	else if (!strcmp(field, "next-epoch"))
		opt_u64(buf, size, HAVE(m, GRPSEC_A_MEMBER_NEXT_EPOCH),
			m->next_epoch);
	else if (!strcmp(field, "last-seq"))
		opt_u64(buf, size, HAVE(m, GRPSEC_A_MEMBER_LAST_SEQ),
			m->last_seq);
	else if (!strcmp(field, "last-epoch"))
		opt_u64(buf, size, HAVE(m, GRPSEC_A_MEMBER_LAST_EPOCH),
			m->last_epoch);
	else if (!strcmp(field, "endpoint"))
		format_endpoint(&m->endpoint, buf, size);
}

static void print_member_dump(const struct member_rec *m)
{
	char e[32], n[32], s[32], ep[ENDPOINT_STRLEN];

	member_value(m, "epoch", e, sizeof(e));
	member_value(m, "next-epoch", n, sizeof(n));
	member_value(m, "last-seq", s, sizeof(s));
	member_value(m, "endpoint", ep, sizeof(ep));
	printf("%u\t%u\t%s\t%s\t%s\t%s\n", m->group, m->id, e, n, s, ep);
}

static void print_member_human(const struct member_rec *m, int level,
			       bool with_group)
{
	char ep[ENDPOINT_STRLEN];

	pad(level);
	if (with_group)
		printf("member: %u/%u\n", m->group, m->id);
	else
		printf("member: %u\n", m->id);
	if (HAVE(m, GRPSEC_A_MEMBER_EPOCH)) {
		pad(level + 1);
		printf("epoch: %u\n", m->epoch);
	}
	if (HAVE(m, GRPSEC_A_MEMBER_NEXT_EPOCH)) {
		pad(level + 1);
		printf("next epoch: %u\n", m->next_epoch);
	}
	pad(level + 1);
	printf("keys: (hidden)\n");
	if (HAVE(m, GRPSEC_A_MEMBER_ENDPOINT)) {
		format_endpoint(&m->endpoint, ep, sizeof(ep));
		pad(level + 1);
		printf("endpoint: %s\n", ep);
	}
	if (HAVE(m, GRPSEC_A_MEMBER_LAST_SEQ)) {
		pad(level + 1);
		printf("last sequence: %llu\n",
		       (unsigned long long)m->last_seq);
	}
	if (HAVE(m, GRPSEC_A_MEMBER_LAST_EPOCH)) {
		pad(level + 1);
		printf("last frame's epoch: %u\n", m->last_epoch);
	}
}

void print_member_line_json(const struct member_rec *m)
{
	char ep[ENDPOINT_STRLEN];

	jw_obj_open(NULL);
	jw_uint("group", m->group);
	jw_uint("id", m->id);
	if (HAVE(m, GRPSEC_A_MEMBER_EPOCH))
		jw_uint("epoch", m->epoch);
	if (HAVE(m, GRPSEC_A_MEMBER_NEXT_EPOCH))
		jw_uint("next-epoch", m->next_epoch);
	else
		jw_null("next-epoch");
	jw_str("keys", "(hidden)");
	if (HAVE(m, GRPSEC_A_MEMBER_ENDPOINT)) {
		format_endpoint(&m->endpoint, ep, sizeof(ep));
		jw_str("endpoint", ep);
	} else {
		jw_null("endpoint");
	}
	if (HAVE(m, GRPSEC_A_MEMBER_LAST_SEQ))
		jw_uint("last-seq", m->last_seq);
	if (HAVE(m, GRPSEC_A_MEMBER_LAST_EPOCH))
		jw_uint("last-epoch", m->last_epoch);
	else
		jw_null("last-epoch");
	jw_obj_close();
}

struct member_print {
	const char *field;	/* NULL: human or JSON */
	bool with_group;	/* field output: prefix the group id */
	int level;
	const char *prefix;	/* "show dump" lines start with it */
};

static int member_print_cb(const struct member_rec *m, void *arg)
{
	struct member_print *mp = arg;
	char buf[ENDPOINT_STRLEN];

	if (opt.json) {
		print_member_line_json(m);
	} else if (!mp->field) {
		if (mp->level)
			putchar('\n');
		/* Under its group in "show", on its own in "member show". */
		print_member_human(m, mp->level, mp->level == 0);
		if (!mp->level)
			putchar('\n');
	} else if (!strcmp(mp->field, "dump")) {
		if (mp->prefix)
			fputs(mp->prefix, stdout);
		print_member_dump(m);
	} else {
		member_value(m, mp->field, buf, sizeof(buf));
		if (mp->with_group)
			printf("%u\t", m->group);
		printf("%u\t%s\n", m->id, buf);
	}
	return 0;
}

/* member show [GROUP] [FIELD] */
int member_show(int argc, char **argv, const char *usage)
{
	struct member_print mp = { .with_group = true };
	uint32_t group = 0;
	int i = 1, ret;

	if (i < argc && parse_u32(argv[i], &group, 1, UINT32_MAX)) {
		mp.with_group = false;
		i++;
	}
	if (i < argc) {
		if (!is_field(member_fields, argv[i]))
			return usage_fail(usage, "invalid member field \"%s\"",
					  argv[i]);
		mp.field = argv[i++];
	}
	if (i < argc)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[i]);
	if (!strcmp(mp.field ? mp.field : "", "dump"))
		mp.with_group = true;
	if (mp.field && opt.json)
		return usage_fail(usage, "a field and -j exclude each other");

	ret = kernel_open();
	if (ret)
		return ret;
	if (opt.json) {
		jw_begin();
		jw_arr_open(NULL);
	}
	ret = dump_members(group, member_print_cb, &mp);
	if (opt.json) {
		jw_arr_close();
		jw_end();
	}
	return ret;
}

/* ---- groups ---- */

static const char *const group_fields[] = {
	"suite", "mode", "flags", "msg-limit", "rate-limit", "members",
	"terminate", "deliver", "mcast", "epoch", "next-epoch", "cmd-seq", "dump",
	NULL,
};

static void group_value(const struct group_rec *g, const char *field,
			char *buf, size_t size)
{
	if (!strcmp(field, "suite"))
		snprintf(buf, size, "%s", HAVE(g, GRPSEC_A_GROUP_SUITE) ?
			 suite_name(g->suite) : "(none)");
	else if (!strcmp(field, "mode"))
		snprintf(buf, size, "%s", HAVE(g, GRPSEC_A_GROUP_MODE) ?
			 mode_name(g->mode) : "(none)");
	else if (!strcmp(field, "flags"))
		snprintf(buf, size, "0x%x", g->flags);
	else if (!strcmp(field, "msg-limit"))
		opt_u64(buf, size, HAVE(g, GRPSEC_A_GROUP_MSG_LIMIT),
			g->msg_limit);
	else if (!strcmp(field, "rate-limit"))
		opt_u64(buf, size, HAVE(g, GRPSEC_A_GROUP_RATE_LIMIT),
			g->rate_limit);
	else if (!strcmp(field, "members"))
		opt_u64(buf, size, HAVE(g, GRPSEC_A_GROUP_MEMBERS),
			g->members);
	else if (!strcmp(field, "terminate"))
		snprintf(buf, size, "%s",
			 g->flags & GRPSEC_GROUP_F_TERMINATE ? "on" : "off");
	else if (!strcmp(field, "deliver"))
		format_endpoint(&g->deliver, buf, size);
	else if (!strcmp(field, "mcast"))
		format_endpoint(&g->mcast, buf, size);
	else if (!strcmp(field, "epoch"))
		opt_u64(buf, size, HAVE(g, GRPSEC_A_GROUP_EPOCH), g->epoch);
	else if (!strcmp(field, "next-epoch"))
		opt_u64(buf, size, HAVE(g, GRPSEC_A_GROUP_NEXT_EPOCH),
			g->next_epoch);
	else if (!strcmp(field, "cmd-seq"))
		opt_u64(buf, size, HAVE(g, GRPSEC_A_GROUP_CMD_SEQ), g->cmd_seq);
}

static void print_group_dump(const struct group_rec *g)
{
	static const char *const f[] = {
		/* Newer fields last: scripts cut by column. */
		"suite", "mode", "flags", "msg-limit", "members", "rate-limit",
		"deliver", "epoch", "next-epoch", "cmd-seq", "mcast",
	};
	char buf[ENDPOINT_STRLEN];

	printf("%u", g->id);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		group_value(g, f[i], buf, sizeof(buf));
		printf("\t%s", buf);
	}
	putchar('\n');
}

static void print_group_human(const struct group_rec *g)
{
	char ep[ENDPOINT_STRLEN];

	printf("group: %u\n", g->id);
	if (HAVE(g, GRPSEC_A_GROUP_SUITE))
		printf("  suite: %s\n", suite_name(g->suite));
	if (HAVE(g, GRPSEC_A_GROUP_MODE))
		printf("  mode: %s\n", mode_name(g->mode));
	if (g->flags & GRPSEC_GROUP_F_TERMINATE)
		printf("  flags: terminate\n");
	if (HAVE(g, GRPSEC_A_GROUP_MSG_LIMIT))
		printf("  message limit: %llu per epoch\n",
		       (unsigned long long)g->msg_limit);
	if (HAVE(g, GRPSEC_A_GROUP_RATE_LIMIT)) {
		if (g->rate_limit)
			printf("  rate limit: %u frames/s per member\n",
			       g->rate_limit);
		else
			printf("  rate limit: none\n");
	}
	if (HAVE(g, GRPSEC_A_GROUP_MEMBERS))
		printf("  members: %u\n", g->members);
	if (HAVE(g, GRPSEC_A_GROUP_EPOCH) || HAVE(g, GRPSEC_A_GROUP_NEXT_EPOCH))
		printf("  group key: (hidden)\n");
	if (HAVE(g, GRPSEC_A_GROUP_EPOCH))
		printf("  group key epoch: %u\n", g->epoch);
	if (HAVE(g, GRPSEC_A_GROUP_NEXT_EPOCH))
		printf("  group key next epoch: %u\n", g->next_epoch);
	if (HAVE(g, GRPSEC_A_GROUP_DELIVER)) {
		format_endpoint(&g->deliver, ep, sizeof(ep));
		printf("  deliver to: %s\n", ep);
	}
	if (HAVE(g, GRPSEC_A_GROUP_MCAST)) {
		format_endpoint(&g->mcast, ep, sizeof(ep));
		printf("  multicast to: %s\n", ep);
	}
	if (HAVE(g, GRPSEC_A_GROUP_CMD_SEQ) && g->cmd_seq)
		printf("  next command sequence: %llu\n",
		       (unsigned long long)g->cmd_seq);
}

/* The group's fields, in an object already opened. */
static void print_group_json_fields(const struct group_rec *g)
{
	char ep[ENDPOINT_STRLEN];

	jw_uint("id", g->id);
	if (HAVE(g, GRPSEC_A_GROUP_SUITE))
		jw_str("suite", suite_name(g->suite));
	if (HAVE(g, GRPSEC_A_GROUP_MODE))
		jw_str("mode", mode_name(g->mode));
	jw_uint("flags", g->flags);
	if (HAVE(g, GRPSEC_A_GROUP_MSG_LIMIT))
		jw_uint("msg-limit", g->msg_limit);
	if (HAVE(g, GRPSEC_A_GROUP_RATE_LIMIT))
		jw_uint("rate-limit", g->rate_limit);
	if (HAVE(g, GRPSEC_A_GROUP_MEMBERS))
		jw_uint("members", g->members);
	jw_bool("terminate", g->flags & GRPSEC_GROUP_F_TERMINATE);
	if (HAVE(g, GRPSEC_A_GROUP_EPOCH) || HAVE(g, GRPSEC_A_GROUP_NEXT_EPOCH))
		jw_str("group-key", "(hidden)");
	if (HAVE(g, GRPSEC_A_GROUP_EPOCH))
		jw_uint("epoch", g->epoch);
	else
		jw_null("epoch");
	if (HAVE(g, GRPSEC_A_GROUP_NEXT_EPOCH))
		jw_uint("next-epoch", g->next_epoch);
	else
		jw_null("next-epoch");
	if (HAVE(g, GRPSEC_A_GROUP_DELIVER)) {
		format_endpoint(&g->deliver, ep, sizeof(ep));
		jw_str("deliver", ep);
	} else {
		jw_null("deliver");
	}
	if (HAVE(g, GRPSEC_A_GROUP_MCAST)) {
		format_endpoint(&g->mcast, ep, sizeof(ep));
		jw_str("mcast", ep);
	} else {
		jw_null("mcast");
	}
	if (HAVE(g, GRPSEC_A_GROUP_CMD_SEQ))
		jw_uint("cmd-seq", g->cmd_seq);
}

struct group_print {
	const char *field;
};

static int group_print_cb(const struct group_rec *g, void *arg)
{
	struct group_print *gp = arg;
	char buf[ENDPOINT_STRLEN];

	if (opt.json) {
		jw_obj_open(NULL);
		print_group_json_fields(g);
		jw_obj_close();
	} else if (!gp->field) {
		print_group_human(g);
		putchar('\n');
	} else if (!strcmp(gp->field, "dump")) {
		print_group_dump(g);
	} else {
		group_value(g, gp->field, buf, sizeof(buf));
		printf("%u\t%s\n", g->id, buf);
	}
	return 0;
}

/* group show [ID] [FIELD] */
int group_show(int argc, char **argv, const char *usage)
{
	struct group_print gp = { 0 };
	struct group_rec g;
	uint32_t id = 0;
	int i = 1, ret;

	if (i < argc && parse_u32(argv[i], &id, 1, UINT32_MAX))
		i++;
	else if (i < argc && !is_field(group_fields, argv[i]))
		return usage_fail(usage, "invalid group id or field \"%s\"",
				  argv[i]);
	if (i < argc) {
		if (!is_field(group_fields, argv[i]))
			return usage_fail(usage, "invalid group field \"%s\"",
					  argv[i]);
		gp.field = argv[i++];
	}
	if (i < argc)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[i]);
	if (gp.field && opt.json)
		return usage_fail(usage, "a field and -j exclude each other");

	ret = kernel_open();
	if (ret)
		return ret;
	if (id) {
		ret = get_group(id, &g);
		if (ret)
			return ret;
		if (opt.json) {
			jw_begin();
			jw_obj_open(NULL);
			print_group_json_fields(&g);
			jw_obj_close();
			jw_end();
			return 0;
		}
		return group_print_cb(&g, &gp);
	}
	if (opt.json) {
		jw_begin();
		jw_arr_open(NULL);
	}
	ret = dump_groups(group_print_cb, &gp);
	if (opt.json) {
		jw_arr_close();
		jw_end();
	}
	return ret;
}

/* ---- upstream ---- */

static const char *const upstream_fields[] = {
	"endpoint", "gateway-id", "suite", "batch-max", "flush-usec", "mtu",
	"seq", "dl-seq", "dump", NULL,
};

static void upstream_value(const struct upstream_rec *u, const char *field,
			   char *buf, size_t size)
{
	if (!strcmp(field, "endpoint"))
		format_endpoint(&u->endpoint, buf, size);
	else if (!strcmp(field, "gateway-id"))
		opt_u64(buf, size, HAVE(u, GRPSEC_A_UPSTREAM_GATEWAY_ID),
			u->gateway_id);
	else if (!strcmp(field, "suite"))
		snprintf(buf, size, "%s", HAVE(u, GRPSEC_A_UPSTREAM_SUITE) ?
			 suite_name(u->suite) : "(none)");
	else if (!strcmp(field, "batch-max"))
		opt_u64(buf, size, HAVE(u, GRPSEC_A_UPSTREAM_BATCH_MAX),
			u->batch_max);
	else if (!strcmp(field, "flush-usec"))
		opt_u64(buf, size, HAVE(u, GRPSEC_A_UPSTREAM_FLUSH_USEC),
			u->flush_usec);
	else if (!strcmp(field, "mtu"))
		opt_u64(buf, size, HAVE(u, GRPSEC_A_UPSTREAM_MTU), u->mtu);
	else if (!strcmp(field, "seq"))
		opt_u64(buf, size, HAVE(u, GRPSEC_A_UPSTREAM_SEQ), u->seq);
	else if (!strcmp(field, "dl-seq"))
		opt_u64(buf, size, HAVE(u, GRPSEC_A_UPSTREAM_DL_SEQ), u->dl_seq);
}

static void print_upstream_dump(const struct upstream_rec *u, bool configured)
{
	char buf[ENDPOINT_STRLEN];

	if (!configured) {
		printf("(none)\n");
		return;
	}
	for (int i = 0; strcmp(upstream_fields[i], "dump"); i++) {
		upstream_value(u, upstream_fields[i], buf, sizeof(buf));
		printf("%s%s", i ? "\t" : "", buf);
	}
	putchar('\n');
}

static void print_upstream_human(const struct upstream_rec *u,
				 bool configured)
{
	char ep[ENDPOINT_STRLEN];

	if (!configured) {
		printf("upstream: (none)\n");
		return;
	}
	format_endpoint(&u->endpoint, ep, sizeof(ep));
	printf("upstream: %s\n", ep);
	if (HAVE(u, GRPSEC_A_UPSTREAM_GATEWAY_ID))
		printf("  gateway id: %u\n", u->gateway_id);
	if (HAVE(u, GRPSEC_A_UPSTREAM_SUITE))
		printf("  suite: %s\n", suite_name(u->suite));
	printf("  key: (hidden)\n");
	if (HAVE(u, GRPSEC_A_UPSTREAM_BATCH_MAX))
		printf("  batch max: %u frames\n", u->batch_max);
	if (HAVE(u, GRPSEC_A_UPSTREAM_FLUSH_USEC))
		printf("  flush after: %u us\n", u->flush_usec);
	if (HAVE(u, GRPSEC_A_UPSTREAM_MTU))
		printf("  mtu: %u bytes\n", u->mtu);
	if (HAVE(u, GRPSEC_A_UPSTREAM_SEQ))
		printf("  next sequence: %llu\n", (unsigned long long)u->seq);
	if (HAVE(u, GRPSEC_A_UPSTREAM_DL_SEQ))
		printf("  last downlink sequence: %llu\n",
		       (unsigned long long)u->dl_seq);
}

static void print_upstream_json(const char *name, const struct upstream_rec *u,
				bool configured)
{
	char ep[ENDPOINT_STRLEN];

	if (!configured) {
		jw_null(name);
		return;
	}
	jw_obj_open(name);
	format_endpoint(&u->endpoint, ep, sizeof(ep));
	jw_str("endpoint", ep);
	if (HAVE(u, GRPSEC_A_UPSTREAM_GATEWAY_ID))
		jw_uint("gateway-id", u->gateway_id);
	if (HAVE(u, GRPSEC_A_UPSTREAM_SUITE))
		jw_str("suite", suite_name(u->suite));
	jw_str("key", "(hidden)");
	if (HAVE(u, GRPSEC_A_UPSTREAM_BATCH_MAX))
		jw_uint("batch-max", u->batch_max);
	if (HAVE(u, GRPSEC_A_UPSTREAM_FLUSH_USEC))
		jw_uint("flush-usec", u->flush_usec);
	if (HAVE(u, GRPSEC_A_UPSTREAM_MTU))
		jw_uint("mtu", u->mtu);
	if (HAVE(u, GRPSEC_A_UPSTREAM_SEQ))
		jw_uint("seq", u->seq);
	if (HAVE(u, GRPSEC_A_UPSTREAM_DL_SEQ))
		jw_uint("dl-seq", u->dl_seq);
	jw_obj_close();
}

/* upstream show [FIELD] */
int upstream_show(int argc, char **argv, const char *usage)
{
	struct upstream_rec u;
	const char *field = NULL;
	char buf[ENDPOINT_STRLEN];
	bool configured;
	int ret;

	if (argc > 1) {
		if (!is_field(upstream_fields, argv[1]))
			return usage_fail(usage, "invalid upstream field \"%s\"",
					  argv[1]);
		field = argv[1];
	}
	if (argc > 2)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[2]);
	if (field && opt.json)
		return usage_fail(usage, "a field and -j exclude each other");
	ret = kernel_open();
	if (ret)
		return ret;
	ret = get_upstream(&u, &configured);
	if (ret)
		return ret;
	if (opt.json) {
		jw_begin();
		print_upstream_json(NULL, &u, configured);
		jw_end();
	} else if (!field) {
		print_upstream_human(&u, configured);
	} else if (!strcmp(field, "dump")) {
		print_upstream_dump(&u, configured);
	} else if (!configured) {
		printf("(none)\n");
	} else {
		upstream_value(&u, field, buf, sizeof(buf));
		printf("%s\n", buf);
	}
	return 0;
}

/* ---- show ---- */

static const char *const show_fields[] = {
	"version", "listen-port", "groups", "members", "gateway-seq", "dump", NULL,
};

struct show_state {
	const char *field;	/* NULL or "dump" */
	struct group_rec *groups;
	size_t ngroups, cap;
};

static int collect_group(const struct group_rec *g, void *arg)
{
	struct show_state *st = arg;

	if (st->ngroups == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 16;
		struct group_rec *n = realloc(st->groups, cap * sizeof(*n));

		if (!n) {
			err_msg("out of memory");
			return EXIT_KERNEL;
		}
		st->groups = n;
		st->cap = cap;
	}
	st->groups[st->ngroups++] = *g;
	return 0;
}

static void print_info_human(const struct info_rec *info)
{
	printf("gateway:\n");
	if (HAVE(info, GRPSEC_A_LISTEN_PORT)) {
		if (info->listen_port)
			printf("  listening port: %u\n", info->listen_port);
		else
			printf("  listening port: (closed)\n");
	}
	if (HAVE(info, GRPSEC_A_GROUP_COUNT))
		printf("  groups: %u\n", info->group_count);
	if (HAVE(info, GRPSEC_A_MEMBER_COUNT))
		printf("  members: %u\n", info->member_count);
	if (HAVE(info, GRPSEC_A_GATEWAY_SEQ))
		printf("  next gateway sequence: %llu\n",
		       (unsigned long long)info->gateway_seq);
	putchar('\n');
}

static void print_info_field(const struct info_rec *info, const char *field)
{
	char buf[32];

	if (!strcmp(field, "version"))
		opt_u64(buf, sizeof(buf), HAVE(info, GRPSEC_A_VERSION),
			info->version);
	else if (!strcmp(field, "listen-port"))
		opt_u64(buf, sizeof(buf), HAVE(info, GRPSEC_A_LISTEN_PORT),
			info->listen_port);
	else if (!strcmp(field, "groups"))
		opt_u64(buf, sizeof(buf), HAVE(info, GRPSEC_A_GROUP_COUNT),
			info->group_count);
	else if (!strcmp(field, "gateway-seq"))
		opt_u64(buf, sizeof(buf), HAVE(info, GRPSEC_A_GATEWAY_SEQ),
			info->gateway_seq);
	else
		opt_u64(buf, sizeof(buf), HAVE(info, GRPSEC_A_MEMBER_COUNT),
			info->member_count);
	printf("%s\n", buf);
}

/* show [FIELD]: the gateway, the upstream, each group and its members. */
int cmd_show(int argc, char **argv)
{
	static const char usage[] = "show [version|listen-port|groups|members|gateway-seq|dump]";
	struct show_state st = { 0 };
	struct upstream_rec u;
	struct info_rec info;
	bool configured;
	int ret;

	if (argc > 1) {
		if (!strcmp(argv[1], "help")) {
			print_usage(usage);
			return EXIT_OK;
		}
		if (!is_field(show_fields, argv[1]))
			return usage_fail(usage, "invalid field \"%s\"", argv[1]);
		st.field = argv[1];
	}
	if (argc > 2)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[2]);
	if (st.field && opt.json)
		return usage_fail(usage, "a field and -j exclude each other");

	ret = kernel_open();
	if (ret)
		return ret;
	ret = get_info(&info);
	if (ret)
		return ret;
	if (st.field && strcmp(st.field, "dump")) {
		print_info_field(&info, st.field);
		return 0;
	}
	ret = get_upstream(&u, &configured);
	if (ret)
		return ret;
	ret = dump_groups(collect_group, &st);
	if (ret)
		goto out;

	if (opt.json) {
		jw_begin();
		jw_obj_open(NULL);
		if (HAVE(&info, GRPSEC_A_VERSION))
			jw_uint("version", info.version);
		if (HAVE(&info, GRPSEC_A_LISTEN_PORT))
			jw_uint("listen-port", info.listen_port);
		if (HAVE(&info, GRPSEC_A_GROUP_COUNT))
			jw_uint("group-count", info.group_count);
		if (HAVE(&info, GRPSEC_A_MEMBER_COUNT))
			jw_uint("member-count", info.member_count);
		if (HAVE(&info, GRPSEC_A_GATEWAY_SEQ))
			jw_uint("gateway-seq", info.gateway_seq);
		print_upstream_json("upstream", &u, configured);
		jw_arr_open("groups");
	} else if (st.field) {
		printf("gateway\t%u\t%u\t%u\t%u\n", info.version,
		       info.listen_port, info.group_count, info.member_count);
		fputs("upstream\t", stdout);
		print_upstream_dump(&u, configured);
	} else {
		print_info_human(&info);
		print_upstream_human(&u, configured);
		putchar('\n');
	}

	for (size_t i = 0; i < st.ngroups && !ret; i++) {
		struct member_print mp = { .field = st.field, .level = 1,
					   .prefix = "member\t" };
		const struct group_rec *g = &st.groups[i];

		if (opt.json) {
			jw_obj_open(NULL);
			print_group_json_fields(g);
			jw_arr_open("member-list");
		} else if (st.field) {
			fputs("group\t", stdout);
			print_group_dump(g);
		} else {
			print_group_human(g);
		}
		ret = dump_members(g->id, member_print_cb, &mp);
		if (opt.json) {
			jw_arr_close();
			jw_obj_close();
		} else if (!st.field && i + 1 < st.ngroups) {
			putchar('\n');
		}
	}
	if (opt.json) {
		jw_arr_close();
		jw_obj_close();
		jw_end();
	}
out:
	free(st.groups);
	return ret;
}

/* ---- stats ---- */

void print_stats_human(const char *title, const struct stats_rec *s,
		       bool member)
{
	printf("%s:\n", title);
	for (int i = 1; i <= GRPSEC_A_STATS_MAX; i++)
		if (stats_name(i) && (!member || stats_member_counter(i)))
			printf("  %-22s %llu\n", stats_name(i),
			       (unsigned long long)s->v[i]);
}

void print_stats_json(const char *name, const struct stats_rec *s,
		      bool member)
{
	jw_obj_open(name);
	for (int i = 1; i <= GRPSEC_A_STATS_MAX; i++)
		if (stats_name(i) && (!member || stats_member_counter(i)))
			jw_uint(stats_name(i), s->v[i]);
	jw_obj_close();
}

struct stats_print {
	int counter;		/* field output: this counter only */
	bool json_started;
};

static int group_stats_cb(const struct group_rec *g, void *arg)
{
	struct stats_print *sp = arg;
	char title[32];

	if (opt.json) {
		jw_obj_open(NULL);
		jw_uint("id", g->id);
		print_stats_json("stats", &g->stats, false);
		jw_obj_close();
	} else if (sp->counter) {
		printf("group\t%u\t%llu\n", g->id,
		       (unsigned long long)g->stats.v[sp->counter]);
	} else {
		snprintf(title, sizeof(title), "group %u", g->id);
		putchar('\n');
		print_stats_human(title, &g->stats, false);
	}
	return 0;
}

static int member_stats_cb(const struct member_rec *m, void *arg)
{
	struct stats_print *sp = arg;
	char title[48];

	if (opt.json) {
		jw_obj_open(NULL);
		jw_uint("group", m->group);
		jw_uint("id", m->id);
		print_stats_json("stats", &m->stats, true);
		jw_obj_close();
	} else if (sp->counter) {
		/* Members do not count downlink or terminate mode events. */
		if (!stats_member_counter(sp->counter))
			return 0;
		printf("member\t%u\t%u\t%llu\n", m->group, m->id,
		       (unsigned long long)m->stats.v[sp->counter]);
	} else {
		snprintf(title, sizeof(title), "member %u/%u", m->group, m->id);
		putchar('\n');
		print_stats_human(title, &m->stats, true);
	}
	return 0;
}

/* stats [-s] [COUNTER] */
int cmd_stats(int argc, char **argv)
{
	static const char usage[] = "stats [-s] [COUNTER]";
	struct stats_print sp = { 0 };
	struct stats_rec total;
	struct upstream_rec u;
	bool configured;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s")) {
			opt.stats = true;
		} else if (!strcmp(argv[i], "help")) {
			print_usage(usage);
			return EXIT_OK;
		} else if (!sp.counter) {
			for (int c = 1; c <= GRPSEC_A_STATS_MAX; c++)
				if (stats_name(c) &&
				    !strcmp(stats_name(c), argv[i]))
					sp.counter = c;
			if (!sp.counter)
				return usage_fail(usage, "invalid counter \"%s\"",
						  argv[i]);
		} else {
			return usage_fail(usage, "unexpected argument \"%s\"",
					  argv[i]);
		}
	}
	if (sp.counter && opt.json)
		return usage_fail(usage, "a counter and -j exclude each other");

	ret = kernel_open();
	if (ret)
		return ret;
	ret = get_stats(&total);
	if (ret)
		return ret;
	ret = get_upstream(&u, &configured);
	if (ret)
		return ret;

	if (opt.json) {
		jw_begin();
		jw_obj_open(NULL);
		print_stats_json("total", &total, false);
		if (configured)
			print_stats_json("upstream", &u.stats, false);
		else
			jw_null("upstream");
		jw_arr_open("groups");
	} else if (sp.counter) {
		printf("total\t%llu\n", (unsigned long long)total.v[sp.counter]);
		if (configured)
			printf("upstream\t%llu\n",
			       (unsigned long long)u.stats.v[sp.counter]);
	} else {
		print_stats_human("total", &total, false);
		if (configured) {
			putchar('\n');
			print_stats_human("upstream", &u.stats, false);
		}
	}
	ret = dump_groups(group_stats_cb, &sp);
	if (opt.json)
		jw_arr_close();
	if (!ret && opt.stats) {
		if (opt.json)
			jw_arr_open("members");
		ret = dump_members(0, member_stats_cb, &sp);
		if (opt.json)
			jw_arr_close();
	}
	if (opt.json) {
		jw_obj_close();
		jw_end();
	}
	return ret;
}
