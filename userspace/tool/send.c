// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec send GROUP [member ID] [FILE]: a command from the gateway itself
 * to the members of a terminate mode group.  The kernel seals the payload
 * under the group's current K_G and sends it to every member (or one) as
 * a gateway-originated command frame; it answers with the command
 * sequence it used and the number of members it queued the frame for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netlink/attr.h>

#include "tool.h"

static const char usage[] = "send GROUP [member ID] [FILE]";

struct send_reply {
	bool seen;
	uint64_t seq;
	uint32_t recipients;
};

static int send_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[GRPSEC_A_SEND_MAX + 1];
	struct nlattr *nest = msg_attr(msg, GRPSEC_A_SEND);
	struct send_reply *r = arg;

	if (!nest || nla_parse_nested(tb, GRPSEC_A_SEND_MAX, nest, NULL))
		return NL_SKIP;
	if (tb[GRPSEC_A_SEND_SEQ] && nla_len(tb[GRPSEC_A_SEND_SEQ]) == 8)
		r->seq = nla_get_u64(tb[GRPSEC_A_SEND_SEQ]);
	if (tb[GRPSEC_A_SEND_RECIPIENTS] &&
	    nla_len(tb[GRPSEC_A_SEND_RECIPIENTS]) == 4)
		r->recipients = nla_get_u32(tb[GRPSEC_A_SEND_RECIPIENTS]);
	r->seen = true;
	return NL_OK;
}

/* The whole payload, at most GRPSEC_SEND_MAX bytes; -1 and a message if not. */
static ssize_t read_payload(const char *name, uint8_t *buf)
{
	size_t n = 0;
	int fd = STDIN_FILENO;

	if (strcmp(name, "-")) {
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_msg("cannot open \"%s\": %s", name, strerror(errno));
			return -1;
		}
	}
	/* One byte more than allowed tells a payload that is too long. */
	while (n <= GRPSEC_SEND_MAX) {
		ssize_t r = read(fd, buf + n, GRPSEC_SEND_MAX + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_msg("cannot read \"%s\": %s",
				fd == STDIN_FILENO ? "<stdin>" : name,
				strerror(errno));
			n = SIZE_MAX;
			break;
		}
		if (r == 0)
			break;
		n += r;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (n == SIZE_MAX)
		return -1;
	if (n > GRPSEC_SEND_MAX) {
		err_msg("the payload of \"%s\" is longer than %u bytes",
			fd == STDIN_FILENO && !strcmp(name, "-") ? "<stdin>" : name,
			GRPSEC_SEND_MAX);
		return -1;
	}
	return n;
}

int cmd_send(int argc, char **argv)
{
	static uint8_t payload[GRPSEC_SEND_MAX + 1];
	struct send_reply reply = { 0 };
	const char *file = "-";
	uint32_t group, member = 0;
	struct nl_msg *msg;
	struct nlattr *nest;
	char what[64];
	ssize_t len;
	int i = 2, ret;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		print_usage(usage);
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_fail(usage, "missing group id");
	if (!parse_u32(argv[1], &group, 1, UINT32_MAX))
		return usage_fail(usage, "invalid group id \"%s\"", argv[1]);
	if (i < argc && !strcmp(argv[i], "member")) {
		if (i + 1 >= argc)
			return usage_fail(usage, "missing value after \"member\"");
		if (!parse_u32(argv[i + 1], &member, 1, UINT32_MAX))
			return usage_fail(usage, "invalid member id \"%s\"",
					  argv[i + 1]);
		i += 2;
	}
	if (i < argc)
		file = argv[i++];
	if (i < argc)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[i]);

	len = read_payload(file, payload);
	if (len < 0)
		return EXIT_USAGE;
	ret = kernel_open();
	if (ret)
		return ret;
	msg = kernel_msg(GRPSEC_CMD_SEND, 0);
	if (!msg)
		return EXIT_KERNEL;
	nest = nla_nest_start(msg, GRPSEC_A_SEND);
	if (!nest || nla_put_u32(msg, GRPSEC_A_SEND_GROUP, group) ||
	    (member && nla_put_u32(msg, GRPSEC_A_SEND_MEMBER, member)) ||
	    nla_put(msg, GRPSEC_A_SEND_DATA, len, payload)) {
		grpsec_nl_msg_free(msg);
		err_msg("out of message space");
		return EXIT_KERNEL;
	}
	nla_nest_end(msg, nest);
	explicit_bzero(payload, sizeof(payload));
	if (member)
		snprintf(what, sizeof(what), "sending to member %u/%u", group,
			 member);
	else
		snprintf(what, sizeof(what), "sending to group %u", group);
	ret = kernel_request(msg, send_cb, &reply, what);
	if (ret)
		return ret;
	if (!reply.seen) {
		err_msg("%s: the kernel sent no reply", what);
		return EXIT_KERNEL;
	}
	if (opt.json) {
		jw_begin();
		jw_obj_open(NULL);
		jw_uint("group", group);
		if (member)
			jw_uint("member", member);
		jw_uint("seq", reply.seq);
		jw_uint("recipients", reply.recipients);
		jw_obj_close();
		jw_end();
	} else {
		printf("seq %llu recipients %u\n", (unsigned long long)reply.seq,
		       reply.recipients);
	}
	return EXIT_OK;
}
