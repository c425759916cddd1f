// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec group add|set|del|show
 */
#include <stdio.h>
#include <string.h>

#include <netlink/attr.h>

#include "tool.h"

static const char usage_add[] =
	"group add ID [suite aes-128-gcm|aes-256-gcm|chacha20-poly1305] [mode anonymous|identified] [msg-limit N] [rate-limit N]";
static const char usage_set[] = "group set ID [msg-limit N] [rate-limit N]";
static const char usage_del[] = "group del ID";
static const char usage_show[] =
	"group show [ID] [suite|mode|flags|msg-limit|rate-limit|members|dump]";

struct group_args {
	uint32_t id;
	bool has_suite, has_mode, has_limit;
	uint8_t suite, mode;
	uint64_t msg_limit;
	uint32_t rate_limit;
	bool has_rate;
};

static int parse_group_args(int argc, char **argv, bool add,
			    struct group_args *ga, const char *usage)
{
	int i;

	memset(ga, 0, sizeof(*ga));
	if (argc < 2)
		return usage_fail(usage, "missing group id");
	if (!parse_u32(argv[1], &ga->id, 1, UINT32_MAX))
		return usage_fail(usage, "invalid group id \"%s\"", argv[1]);

	for (i = 2; i < argc; i += 2) {
		const char *key = argv[i], *val = argv[i + 1];

		if (strcmp(key, "suite") && strcmp(key, "mode") &&
		    strcmp(key, "msg-limit") && strcmp(key, "rate-limit"))
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
		} else {
			if (!parse_u64(val, &ga->msg_limit, 1, UINT64_MAX))
				return usage_fail(usage, "invalid message limit \"%s\"", val);
			ga->has_limit = true;
		}
	}
	if (!add && (ga->has_suite || ga->has_mode))
		return usage_fail(usage,
				  "a group's suite and mode cannot change; delete the group and add it again");
	if (!add && !ga->has_limit && !ga->has_rate)
		return usage_fail(usage, "nothing to set");
	return 0;
}

/* Build and send NEW_GROUP or SET_GROUP; used by setconf and syncconf too. */
int group_send(uint8_t cmd, uint32_t id, const uint8_t *suite,
	       const uint8_t *mode, const uint64_t *msg_limit,
	       const uint32_t *rate_limit)
{
	struct nl_msg *msg = kernel_msg(cmd, 0);
	struct nlattr *nest;
	char what[64];

	if (!msg)
		return EXIT_KERNEL;
	nest = nla_nest_start(msg, GRPSEC_A_GROUP);
	if (!nest || nla_put_u32(msg, GRPSEC_A_GROUP_ID, id) ||
	    (suite && nla_put_u8(msg, GRPSEC_A_GROUP_SUITE, *suite)) ||
	    (mode && nla_put_u8(msg, GRPSEC_A_GROUP_MODE, *mode)) ||
	    (msg_limit && nla_put_u64(msg, GRPSEC_A_GROUP_MSG_LIMIT, *msg_limit)) ||
	    (rate_limit && nla_put_u32(msg, GRPSEC_A_GROUP_RATE_LIMIT, *rate_limit))) {
		grpsec_nl_msg_free(msg);
		err_msg("out of message space");
		return EXIT_KERNEL;
	}
	nla_nest_end(msg, nest);
	snprintf(what, sizeof(what), "%s group %u",
		 cmd == GRPSEC_CMD_NEW_GROUP ? "adding" :
		 cmd == GRPSEC_CMD_SET_GROUP ? "changing" : "deleting", id);
	return kernel_request(msg, NULL, NULL, what);
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
	ret = kernel_open();
	if (ret)
		return ret;
	return group_send(GRPSEC_CMD_NEW_GROUP, ga.id, &ga.suite, &ga.mode,
			  ga.has_limit ? &ga.msg_limit : NULL,
			  ga.has_rate ? &ga.rate_limit : NULL);
}

static int group_set(int argc, char **argv)
{
	struct group_args ga;
	int ret;

	ret = parse_group_args(argc, argv, false, &ga, usage_set);
	if (ret)
		return ret;
	ret = kernel_open();
	if (ret)
		return ret;
	/* One request: both change, or neither. */
	return group_send(GRPSEC_CMD_SET_GROUP, ga.id, NULL, NULL,
			  ga.has_limit ? &ga.msg_limit : NULL,
			  ga.has_rate ? &ga.rate_limit : NULL);
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
	return group_send(GRPSEC_CMD_DEL_GROUP, id, NULL, NULL, NULL, NULL);
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
