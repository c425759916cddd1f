// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec upstream set|del|show, grpsec listen
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>

#include "tool.h"

static const char usage_set[] =
	"upstream set endpoint ADDR:PORT gateway-id N key FILE [suite S] [batch-max N] [flush-usec N] [mtu N] [seq N] [dl-seq N]";
static const char usage_del[] = "upstream del";
static const char usage_show[] =
	"upstream show [endpoint|gateway-id|suite|batch-max|flush-usec|mtu|seq|dl-seq|dump]";

int upstream_parse(char **argv, int argc, struct upstream_spec *us,
		   const char *usage, const char *dir, const char *where)
{
#define BAD(...) where_fail(usage, where, __VA_ARGS__)
	for (int i = 0; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		uint32_t v;

		if (strcmp(key, "endpoint") && strcmp(key, "gateway-id") &&
		    strcmp(key, "key") && strcmp(key, "suite") &&
		    strcmp(key, "batch-max") && strcmp(key, "flush-usec") &&
		    strcmp(key, "mtu") && strcmp(key, "seq") &&
		    strcmp(key, "dl-seq"))
			return BAD("invalid argument \"%s\"", key);
		if (!val)
			return BAD("missing value after \"%s\"", key);
		if (!strcmp(key, "endpoint")) {
			if (!parse_endpoint(val, &us->rec.endpoint,
					    &us->rec.endpoint_len))
				return BAD("invalid endpoint \"%s\"", val);
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_ENDPOINT;
		} else if (!strcmp(key, "gateway-id")) {
			if (!parse_u32(val, &us->rec.gateway_id, 0, UINT32_MAX))
				return BAD("invalid gateway id \"%s\"", val);
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_GATEWAY_ID;
		} else if (!strcmp(key, "key")) {
			free_wiped(us->key.token);
			us->key.token = strdup(val);
			us->key.dir = dir;
			us->key.allow_literal = !usage;
			us->has_key = true;
		} else if (!strcmp(key, "suite")) {
			if (!parse_suite(val, &us->rec.suite))
				return BAD("invalid suite \"%s\"", val);
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_SUITE;
		} else if (!strcmp(key, "batch-max")) {
			if (!parse_u32(val, &v, 1, GRPSEC_BATCH_MAX))
				return BAD("invalid batch-max \"%s\" (1..%u)", val,
					   GRPSEC_BATCH_MAX);
			us->rec.batch_max = v;
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_BATCH_MAX;
		} else if (!strcmp(key, "flush-usec")) {
			if (!parse_u32(val, &us->rec.flush_usec, 50, 1000000))
				return BAD("invalid flush-usec \"%s\" (50..1000000)",
					   val);
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_FLUSH_USEC;
		} else if (!strcmp(key, "mtu")) {
			if (!parse_u32(val, &v, 128, 65507))
				return BAD("invalid mtu \"%s\" (128..65507)", val);
			us->rec.mtu = v;
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_MTU;
		} else if (!strcmp(key, "seq")) {
			if (!parse_floor(val, &us->rec.seq))
				return BAD("invalid sequence \"%s\" (0..%llu)", val,
					   (unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_SEQ;
		} else {
			if (!parse_floor(val, &us->rec.dl_seq))
				return BAD("invalid downlink sequence \"%s\" (0..%llu)",
					   val, (unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
			us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_DL_SEQ;
		}
	}
	return 0;
#undef BAD
}

/*
 * Send SET_UPSTREAM.  The kernel installs a whole association at once
 * (endpoint, gateway id and key are required), with the suite it is told
 * or aes-128-gcm; we always send the suite, so the key read and the key
 * expected have the same length.
 */
int upstream_send(struct upstream_spec *us, const char *where)
{
	struct nl_msg *msg;
	struct nlattr *nest;
	const struct upstream_rec *r = &us->rec;
	int ret;

	if (!HAVE(r, GRPSEC_A_UPSTREAM_SUITE)) {
		us->rec.suite = GRPSEC_SUITE_AES128_GCM;
		us->rec.have |= 1ULL << GRPSEC_A_UPSTREAM_SUITE;
	}
	if (us->has_key) {
		ret = key_resolve(&us->key, suite_key_len(r->suite), where);
		if (ret)
			return ret;
	}

	msg = kernel_msg(GRPSEC_CMD_SET_UPSTREAM, 0);
	if (!msg)
		return EXIT_KERNEL;
	nest = nla_nest_start(msg, GRPSEC_A_UPSTREAM);
	ret = !nest;
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_ENDPOINT))
		ret = put_endpoint(msg, GRPSEC_A_UPSTREAM_ENDPOINT, &r->endpoint,
				   r->endpoint_len);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_GATEWAY_ID))
		ret = nla_put_u32(msg, GRPSEC_A_UPSTREAM_GATEWAY_ID, r->gateway_id);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_SUITE))
		ret = nla_put_u8(msg, GRPSEC_A_UPSTREAM_SUITE, r->suite);
	if (!ret && us->has_key)
		ret = nla_put(msg, GRPSEC_A_UPSTREAM_KEY, us->key.len, us->key.key);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_BATCH_MAX))
		ret = nla_put_u16(msg, GRPSEC_A_UPSTREAM_BATCH_MAX, r->batch_max);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_FLUSH_USEC))
		ret = nla_put_u32(msg, GRPSEC_A_UPSTREAM_FLUSH_USEC, r->flush_usec);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_MTU))
		ret = nla_put_u16(msg, GRPSEC_A_UPSTREAM_MTU, r->mtu);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_SEQ))
		ret = nla_put_u64(msg, GRPSEC_A_UPSTREAM_SEQ, r->seq);
	if (!ret && HAVE(r, GRPSEC_A_UPSTREAM_DL_SEQ))
		ret = nla_put_u64(msg, GRPSEC_A_UPSTREAM_DL_SEQ, r->dl_seq);
	key_wipe(&us->key);
	if (ret) {
		grpsec_nl_msg_free(msg);
		err_msg("out of message space");
		return EXIT_KERNEL;
	}
	nla_nest_end(msg, nest);
	return kernel_request(msg, NULL, NULL, "setting the upstream");
}

/*
 * End the association (the kernel sends a pending batch first).  With
 * missing_ok, having none is not an error: setconf and syncconf only want
 * it gone.
 */
int upstream_del(bool missing_ok)
{
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_DEL_UPSTREAM, 0);
	int ret;

	if (!msg)
		return EXIT_KERNEL;
	ret = grpsec_nl_talk(&nl, msg, NULL, NULL);
	if (ret == -ENOENT && missing_ok)
		ret = 0;
	if (ret)
		kernel_report(msg, ret, "deleting the upstream", NULL);
	else if (nl.has_ext_msg)
		warn_msg("kernel says: %s", nl.ext_msg);
	grpsec_nl_msg_free(msg);
	return ret ? EXIT_KERNEL : 0;
}

/* The kernel takes an upstream whole: these three are always needed. */
int upstream_complete(const struct upstream_spec *us, const char *usage,
		      const char *where)
{
	const char *missing = NULL;

	if (!HAVE(&us->rec, GRPSEC_A_UPSTREAM_ENDPOINT))
		missing = usage ? "endpoint" : "Endpoint";
	else if (!HAVE(&us->rec, GRPSEC_A_UPSTREAM_GATEWAY_ID))
		missing = usage ? "gateway-id" : "GatewayId";
	else if (!us->has_key)
		missing = usage ? "key" : "Key";
	if (!missing)
		return 0;
	if (usage)
		return usage_fail(usage, "the upstream needs %s", missing);
	err_msg("%s: [Upstream] needs %s", where, missing);
	return EXIT_USAGE;
}

void upstream_spec_free(struct upstream_spec *us)
{
	key_wipe(&us->key);
	free_wiped(us->key.token);
	us->key.token = NULL;
}

static int upstream_set(int argc, char **argv)
{
	struct upstream_spec us = { 0 };
	int ret;

	if (argc < 2)
		return usage_fail(usage_set, "nothing to set");
	ret = upstream_parse(argv + 1, argc - 1, &us, usage_set, NULL, NULL);
	if (!ret)
		ret = upstream_complete(&us, usage_set, NULL);
	if (!ret)
		ret = kernel_open();
	if (!ret)
		ret = upstream_send(&us, "upstream set");
	upstream_spec_free(&us);
	return ret;
}

static int upstream_del_cmd(int argc, char **argv)
{
	int ret;

	if (argc > 1)
		return usage_fail(usage_del, "unexpected argument \"%s\"", argv[1]);
	ret = kernel_open();
	if (ret)
		return ret;
	return upstream_del(false);
}

static int upstream_show_cmd(int argc, char **argv)
{
	return upstream_show(argc, argv, usage_show);
}

static const struct subcommand upstream_cmds[] = {
	{ "set", upstream_set, usage_set },
	{ "del", upstream_del_cmd, usage_del },
	{ "show", upstream_show_cmd, usage_show },
	{ NULL, NULL, NULL },
};

int cmd_upstream(int argc, char **argv)
{
	return subcommand_run("upstream", upstream_cmds, argc, argv);
}

/* SET_LISTEN: the port, the gateway sequence's floor, or both. */
int listen_send(const uint16_t *port, const uint64_t *gateway_seq)
{
	struct nl_msg *msg = kernel_msg(GRPSEC_CMD_SET_LISTEN, 0);

	if (!msg)
		return EXIT_KERNEL;
	if ((port && nla_put_u16(msg, GRPSEC_A_LISTEN_PORT, *port)) ||
	    (gateway_seq &&
	     nla_put_u64(msg, GRPSEC_A_GATEWAY_SEQ, *gateway_seq))) {
		grpsec_nl_msg_free(msg);
		return EXIT_KERNEL;
	}
	return kernel_request(msg, NULL, NULL, port ?
			      "setting the listening port" :
			      "setting the gateway sequence");
}

/* listen [PORT] [gateway-seq N] */
int cmd_listen(int argc, char **argv)
{
	static const char usage[] = "listen [PORT] [gateway-seq N]";
	uint64_t seq;
	uint32_t v;
	uint16_t port;
	bool has_port = false, has_seq = false;
	int i = 1, ret;

	if (argc < 2)
		return usage_fail(usage, "missing port");
	if (!strcmp(argv[1], "help")) {
		print_usage(usage);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "gateway-seq")) {
		if (!parse_u32(argv[1], &v, 0, 65535))
			return usage_fail(usage, "invalid port \"%s\"", argv[1]);
		port = v;
		has_port = true;
		i++;
	}
	if (i < argc && !strcmp(argv[i], "gateway-seq")) {
		if (i + 1 == argc)
			return usage_fail(usage, "missing value after \"gateway-seq\"");
		if (!parse_floor(argv[i + 1], &seq))
			return usage_fail(usage, "invalid gateway sequence \"%s\" (0..%llu)",
					  argv[i + 1],
					  (unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
		has_seq = true;
		i += 2;
	}
	if (i < argc)
		return usage_fail(usage, "unexpected argument \"%s\"", argv[i]);
	ret = kernel_open();
	if (ret)
		return ret;
	return listen_send(has_port ? &port : NULL, has_seq ? &seq : NULL);
}
