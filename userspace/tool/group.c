// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec group add|set|del|show
 */
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>

#include "tool.h"

static const char usage_add[] =
	"group add ID [suite aes-128-gcm|aes-256-gcm|chacha20-poly1305] [mode anonymous|identified] [msg-limit N] [rate-limit N] [terminate on|off] [key FILE [epoch E] [slot current|next]] [deliver ADDR:PORT] [mcast ADDR:PORT] [cmd-seq N]";
static const char usage_set[] =
	"group set ID [msg-limit N] [rate-limit N] [terminate on|off] [key FILE [epoch E] [slot current|next]] [deliver ADDR:PORT|none] [mcast ADDR:PORT|none] [cmd-seq N]";
static const char usage_del[] = "group del ID";
static const char usage_show[] =
	"group show [ID] [suite|mode|flags|msg-limit|rate-limit|members|terminate|deliver|mcast|epoch|next-epoch|cmd-seq|dump]";

struct group_args {
	uint32_t id;
	bool has_suite, has_mode, has_limit, has_rate, has_flags, has_epoch,
	     has_cmd_seq;
	uint8_t suite, mode;
	uint64_t msg_limit;
	uint64_t cmd_seq;	/* floor of SEND's command sequence */
	uint32_t rate_limit;
	uint32_t flags;
	struct key_ref key;	/* token NULL: no key given */
	uint32_t epoch;
	uint8_t slot;
	bool has_deliver;
	struct sockaddr_storage deliver;
	socklen_t deliver_len;	/* 0 with has_deliver: "none" */
	bool has_mcast;
	struct sockaddr_storage mcast;
	socklen_t mcast_len;	/* 0 with has_mcast: "none" */
};

static const char *const group_keywords[] = {
	"suite", "mode", "msg-limit", "rate-limit", "terminate", "key", "epoch",
	"slot", "deliver", "mcast", "cmd-seq", NULL,
};

static bool is_keyword(const char *s)
{
	for (const char *const *k = group_keywords; *k; k++)
		if (!strcmp(*k, s))
			return true;
	return false;
}

static int parse_group_args(int argc, char **argv, bool add,
			    struct group_args *ga, const char *usage)
{
	bool has_slot = false;
	int i;

	memset(ga, 0, sizeof(*ga));
	if (argc < 2)
		return usage_fail(usage, "missing group id");
	if (!parse_u32(argv[1], &ga->id, 1, UINT32_MAX))
		return usage_fail(usage, "invalid group id \"%s\"", argv[1]);

	for (i = 2; i < argc; i += 2) {
		const char *key = argv[i], *val = argv[i + 1];

		if (!is_keyword(key))
			return usage_fail(usage, "invalid argument \"%s\"", key);
		if (!val)
			return usage_fail(usage, "missing value after \"%s\"", key);
		if (!strcmp(key, "suite")) {
			if (!parse_suite(val, &ga->suite))
				return usage_fail(usage, "invalid suite \"%s\"", val);
			ga->has_suite = true;
		} else if (!strcmp(key, "mode")) {
			if (!parse_mode(val, &ga->mode))
				return usage_fail(usage, "invalid mode \"%s\"", val);
			ga->has_mode = true;
		} else if (!strcmp(key, "rate-limit")) {
			if (!parse_u32(val, &ga->rate_limit, 0, UINT32_MAX))
				return usage_fail(usage, "invalid rate limit \"%s\"", val);
			ga->has_rate = true;
		} else if (!strcmp(key, "msg-limit")) {
			if (!parse_u64(val, &ga->msg_limit, 1, UINT64_MAX))
				return usage_fail(usage, "invalid message limit \"%s\"", val);
			ga->has_limit = true;
		} else if (!strcmp(key, "cmd-seq")) {
			if (!parse_floor(val, &ga->cmd_seq))
				return usage_fail(usage, "invalid command sequence \"%s\" (0..%llu)",
						  val, (unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
			ga->has_cmd_seq = true;
		} else if (!strcmp(key, "terminate")) {
			if (!strcmp(val, "on"))
				ga->flags = GRPSEC_GROUP_F_TERMINATE;
			else if (!strcmp(val, "off"))
				ga->flags = 0;
			else
				return usage_fail(usage, "invalid terminate \"%s\" (on or off)", val);
			ga->has_flags = true;
		} else if (!strcmp(key, "key")) {
			if (ga->key.token)
				return usage_fail(usage, "key given twice");
			ga->key.token = (char *)val;
		} else if (!strcmp(key, "epoch")) {
			if (!parse_u32(val, &ga->epoch, 0, UINT32_MAX))
				return usage_fail(usage, "invalid epoch \"%s\"", val);
			ga->has_epoch = true;
		} else if (!strcmp(key, "slot")) {
			if (!strcmp(val, "current"))
				ga->slot = GRPSEC_KEY_SLOT_CURRENT;
			else if (!strcmp(val, "next"))
				ga->slot = GRPSEC_KEY_SLOT_NEXT;
			else
				return usage_fail(usage, "invalid slot \"%s\" (current or next)", val);
			has_slot = true;
		} else if (!strcmp(key, "deliver")) {
			if (!strcmp(val, "none") && !add) {
				ga->deliver_len = 0;
			} else if (!parse_endpoint(val, &ga->deliver, &ga->deliver_len)) {
				return usage_fail(usage, "invalid delivery address \"%s\"", val);
			}
			ga->has_deliver = true;
		} else {
			/* Whether it is a multicast group is the kernel's to say. */
			if (!strcmp(val, "none") && !add) {
				ga->mcast_len = 0;
			} else if (!parse_endpoint(val, &ga->mcast, &ga->mcast_len)) {
				return usage_fail(usage, "invalid multicast address \"%s\"", val);
			}
			ga->has_mcast = true;
		}
	}
	if (!add && (ga->has_suite || ga->has_mode))
		return usage_fail(usage,
				  "a group's suite and mode cannot change; delete the group and add it again");
	if ((ga->has_epoch || has_slot) && !ga->key.token)
		return usage_fail(usage, "epoch and slot go with key");
	if (!add && !ga->has_limit && !ga->has_rate && !ga->has_flags &&
	    !ga->key.token && !ga->has_deliver && !ga->has_mcast &&
	    !ga->has_cmd_seq)
		return usage_fail(usage, "nothing to set");
	return 0;
}

/* Build and send NEW_GROUP or SET_GROUP; used by setconf and syncconf too. */
int group_send(uint8_t cmd, const struct group_spec *gs)
{
	struct nl_msg *msg = kernel_msg(cmd, 0);
	struct nlattr *nest;
	char what[64];
	int err;

	if (!msg)
		return EXIT_KERNEL;
	nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	err = !nest || nla_put_u32(msg, GRPSEC_A_GROUP_ID, gs->id) ||
	      (gs->suite && nla_put_u8(msg, GRPSEC_A_GROUP_SUITE, *gs->suite)) ||
	      (gs->mode && nla_put_u8(msg, GRPSEC_A_GROUP_MODE, *gs->mode)) ||
	      (gs->flags && nla_put_u32(msg, GRPSEC_A_GROUP_FLAGS, *gs->flags)) ||
	      (gs->msg_limit &&
	       nla_put_u64(msg, GRPSEC_A_GROUP_MSG_LIMIT, *gs->msg_limit)) ||
	      (gs->rate_limit &&
	       nla_put_u32(msg, GRPSEC_A_GROUP_RATE_LIMIT, *gs->rate_limit)) ||
	      (gs->cmd_seq &&
	       nla_put_u64(msg, GRPSEC_A_GROUP_CMD_SEQ, *gs->cmd_seq)) ||
	      (gs->key &&
	       put_key_slot(msg, GRPSEC_A_GROUP_KEY, GRPSEC_KEY_SLOT_CURRENT,
			    gs->key_epoch, gs->key)) ||
	      (gs->next_key &&
	       put_key_slot(msg, GRPSEC_A_GROUP_KEY, GRPSEC_KEY_SLOT_NEXT,
			    gs->next_key_epoch, gs->next_key)) ||
	      (gs->clear_next_key &&
	       put_empty_key_slot(msg, GRPSEC_A_GROUP_KEY, GRPSEC_KEY_SLOT_NEXT)) ||
	      (gs->set_deliver &&
	       nla_put(msg, GRPSEC_A_GROUP_DELIVER, gs->deliver_len, &gs->deliver)) ||
	      (gs->set_mcast &&
	       nla_put(msg, GRPSEC_A_GROUP_MCAST, gs->mcast_len, &gs->mcast));
	if (err) {
		grpsec_nl_msg_free(msg);
		err_msg("out of message space");
		return EXIT_KERNEL;
	}
	nla_nest_end(msg, nest);
	snprintf(what, sizeof(what), "%s group %u",
		 cmd == GRPSEC_CMD_NEW_GROUP ? "adding" : "changing", gs->id);
	/* grpsec_nl_msg_free() wipes the buffer, keys included. */
	return kernel_request(msg, NULL, NULL, what);
}

int group_del_send(uint32_t id)
{
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_DEL_GROUP, 0);
	struct nlattr *nest;
	char what[64];

	if (!msg)
		return EXIT_KERNEL;
	nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	if (!nest || nla_put_u32(msg, GRPSEC_A_GROUP_ID, id)) {
		grpsec_nl_msg_free(msg);
		err_msg("out of message space");
		return EXIT_KERNEL;
	}
	nla_nest_end(msg, nest);
	snprintf(what, sizeof(what), "deleting group %u", id);
	return kernel_request(msg, NULL, NULL, what);
}

/* Read the key given on the command line, now that the suite is known. */
static int group_key_resolve(struct group_args *ga, uint8_t suite)
{
	char where[64];

	if (!ga->key.token)
		return 0;
	snprintf(where, sizeof(where), "group %u", ga->id);
	return key_resolve(&ga->key, suite_key_len(suite), where);
}

/* The request of a group add or set, from its arguments. */
static int group_apply(uint8_t cmd, struct group_args *ga)
{
	struct group_spec gs = {
		.id = ga->id,
		.suite = cmd == GRPSEC_CMD_NEW_GROUP ? &ga->suite : NULL,
		.mode = cmd == GRPSEC_CMD_NEW_GROUP ? &ga->mode : NULL,
		.msg_limit = ga->has_limit ? &ga->msg_limit : NULL,
		.rate_limit = ga->has_rate ? &ga->rate_limit : NULL,
		.flags = ga->has_flags ? &ga->flags : NULL,
		.cmd_seq = ga->has_cmd_seq ? &ga->cmd_seq : NULL,
		.set_deliver = ga->has_deliver && (ga->deliver_len ||
						   cmd == GRPSEC_CMD_SET_GROUP),
		.deliver = ga->deliver,
		.deliver_len = ga->deliver_len,
		.set_mcast = ga->has_mcast && (ga->mcast_len ||
					       cmd == GRPSEC_CMD_SET_GROUP),
		.mcast = ga->mcast,
		.mcast_len = ga->mcast_len,
	};
	int ret;

	if (ga->key.token && ga->slot == GRPSEC_KEY_SLOT_NEXT) {
		gs.next_key = &ga->key;
		gs.next_key_epoch = ga->epoch;
	} else if (ga->key.token) {
		gs.key = &ga->key;
		gs.key_epoch = ga->epoch;
	}
	ret = group_send(cmd, &gs);
	key_wipe(&ga->key);
	return ret;
}

static int group_add(int argc, char **argv)
{
	struct group_args ga;
	int ret;

	ret = parse_group_args(argc, argv, true, &ga, usage_add);
	if (ret)
		return ret;
	/* Both are sent, so the group is what the command line says. */
	if (!ga.has_suite)
		ga.suite = GRPSEC_SUITE_AES128_GCM;
	if (!ga.has_mode)
		ga.mode = GRPSEC_MODE_ANONYMOUS;
	ret = group_key_resolve(&ga, ga.suite);
	if (!ret)
		ret = kernel_open();
	if (!ret)
		ret = group_apply(GRPSEC_CMD_NEW_GROUP, &ga);
	key_wipe(&ga.key);
	return ret;
}

static int group_set(int argc, char **argv)
{
	struct group_args ga;
	struct group_rec g;
	int ret;

	ret = parse_group_args(argc, argv, false, &ga, usage_set);
	if (ret)
		return ret;
	ret = kernel_open();
	if (ret)
		return ret;
	if (ga.key.token) {
		/* The key's length is the group's suite's. */
		ret = get_group(ga.id, &g);
		if (!ret)
			ret = group_key_resolve(&ga, g.suite);
		if (ret)
			return ret;
	}
	/* One request: everything changes, or nothing. */
	return group_apply(GRPSEC_CMD_SET_GROUP, &ga);
}

static int group_del(int argc, char **argv)
{
	uint32_t id;
	int ret;

	if (argc < 2)
		return usage_fail(usage_del, "missing group id");
	if (!parse_u32(argv[1], &id, 1, UINT32_MAX))
		return usage_fail(usage_del, "invalid group id \"%s\"", argv[1]);
	if (argc > 2)
		return usage_fail(usage_del, "unexpected argument \"%s\"", argv[2]);
	ret = kernel_open();
	if (ret)
		return ret;
	return group_del_send(id);
}

static int group_show_cmd(int argc, char **argv)
{
	return group_show(argc, argv, usage_show);
}

static const struct subcommand group_cmds[] = {
	{ "add", group_add, usage_add },
	{ "set", group_set, usage_set },
	{ "del", group_del, usage_del },
	{ "show", group_show_cmd, usage_show },
	{ NULL, NULL, NULL },
};

int cmd_group(int argc, char **argv)
{
	return subcommand_run("group", group_cmds, argc, argv);
}
