// SPDX-License-Identifier: GPL-2.0
/*
 * nl_fuzz: the grpsec generic netlink family under random requests.
 *
 * Two processes in a network namespace of their own send random requests
 * built from the family's attribute trees: mostly well-formed, with ids
 * and sizes drawn from small sets so that groups, members, keys and the
 * upstream really get created, changed and deleted, and some attributes
 * of the wrong type, size or nesting, unknown attributes and truncated
 * messages.  Meanwhile a third process sends uplink frames to the listen
 * ports the requests open, for the same groups and members, their outer
 * tags sealed (OpenSSL) under the keys the requests install or forged,
 * and random downlink frames: the data path looks up, verifies, forwards
 * and delivers while its configuration changes under it.  What must hold:
 *
 *  - every request is answered (an ACK, an error, or a dump's end);
 *  - every refusal of a well-formed request says why in an extack
 *    message or names the missing attribute (except ENOMEM, and the
 *    genetlink core's EOPNOTSUPP for a command, or a dump of one, that
 *    the family does not have);
 *  - no reply ever contains key bytes the fuzzer installed;
 *  - every command of the family succeeded at least once (the fuzzer
 *    reached past validation; a quarter of its new groups are terminate
 *    mode groups with their key, which SEND needs);
 *  - first, fixed cases: a DEL_MEMBER carrying a key is refused and
 *    deletes nothing;
 *  - the kernel stays clean (the VM harness checks its log, KASAN,
 *    lockdep and kmemleak on the debug kernel, and unloads the module);
 *    leaving the namespace tears down whatever state was left.
 *
 *   nl_fuzz [-s SEED] [-n REQUESTS]   (per process; default 10000)
 *
 * Exit status: 0 pass, 1 fail, 4 skip (no grpsec module).  The seed is
 * printed; the same seed replays the same requests (the interleaving of
 * the two processes is up to the scheduler).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/grpsec.h>
#include <openssl/evp.h>

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define PROCS		2
#define MSG_MAX		8192
#define POOL_KEYS	8
#define KEY_BYTES	32

/* What one kind of attribute holds; drives the value generator. */
enum kind { K_NONE, K_U8_SUITE, K_U8_MODE, K_U8_SLOT, K_U16_PORT, K_U16,
	    K_U32_ID, K_U32, K_U32_FLAGS, K_U64, K_KEY, K_ADDR, K_BIN, K_NEST_GROUP,
	    K_NEST_MEMBER, K_NEST_UPSTREAM, K_NEST_SEND, K_NEST_KEY,
	    K_NEST_STATS };

static const enum kind top_kinds[GRPSEC_A_MAX + 1] = {
	[GRPSEC_A_VERSION] = K_U32,
	[GRPSEC_A_LISTEN_PORT] = K_U16_PORT,
	[GRPSEC_A_GROUP_COUNT] = K_U32,
	[GRPSEC_A_MEMBER_COUNT] = K_U32,
	[GRPSEC_A_GROUP] = K_NEST_GROUP,
	[GRPSEC_A_MEMBER] = K_NEST_MEMBER,
	[GRPSEC_A_UPSTREAM] = K_NEST_UPSTREAM,
	[GRPSEC_A_STATS] = K_NEST_STATS,
	[GRPSEC_A_MEMBER_GROUP_FILTER] = K_U32_ID,
	[GRPSEC_A_PAD] = K_BIN,
	[GRPSEC_A_EVENT] = K_NEST_STATS,
	[GRPSEC_A_SEND] = K_NEST_SEND,
};

static const enum kind group_kinds[GRPSEC_A_GROUP_MAX + 1] = {
	[GRPSEC_A_GROUP_ID] = K_U32_ID,
	[GRPSEC_A_GROUP_SUITE] = K_U8_SUITE,
	[GRPSEC_A_GROUP_MODE] = K_U8_MODE,
	[GRPSEC_A_GROUP_FLAGS] = K_U32_FLAGS,
	[GRPSEC_A_GROUP_MSG_LIMIT] = K_U64,
	[GRPSEC_A_GROUP_MEMBERS] = K_U32,
	[GRPSEC_A_GROUP_STATS] = K_NEST_STATS,
	[GRPSEC_A_GROUP_PAD] = K_BIN,
	[GRPSEC_A_GROUP_RATE_LIMIT] = K_U32,
	[GRPSEC_A_GROUP_KEY] = K_NEST_KEY,
	[GRPSEC_A_GROUP_DELIVER] = K_ADDR,
	[GRPSEC_A_GROUP_EPOCH] = K_U32,
	[GRPSEC_A_GROUP_NEXT_EPOCH] = K_U32,
	[GRPSEC_A_GROUP_CMD_SEQ] = K_U64,
	[GRPSEC_A_GROUP_MCAST] = K_ADDR,
};

static const enum kind member_kinds[GRPSEC_A_MEMBER_MAX + 1] = {
	[GRPSEC_A_MEMBER_GROUP] = K_U32_ID,
	[GRPSEC_A_MEMBER_ID] = K_U32_ID,
	[GRPSEC_A_MEMBER_KEY] = K_NEST_KEY,
	[GRPSEC_A_MEMBER_ENDPOINT] = K_ADDR,
	[GRPSEC_A_MEMBER_EPOCH] = K_U32,
	[GRPSEC_A_MEMBER_NEXT_EPOCH] = K_U32,
	[GRPSEC_A_MEMBER_LAST_SEQ] = K_U64,
	[GRPSEC_A_MEMBER_STATS] = K_NEST_STATS,
	[GRPSEC_A_MEMBER_PAD] = K_BIN,
};

static const enum kind key_kinds[GRPSEC_A_KEY_MAX + 1] = {
	[GRPSEC_A_KEY_SLOT] = K_U8_SLOT,
	[GRPSEC_A_KEY_EPOCH] = K_U32_ID,
	[GRPSEC_A_KEY_DATA] = K_KEY,
};

static const enum kind upstream_kinds[GRPSEC_A_UPSTREAM_MAX + 1] = {
	[GRPSEC_A_UPSTREAM_ENDPOINT] = K_ADDR,
	[GRPSEC_A_UPSTREAM_GATEWAY_ID] = K_U32_ID,
	[GRPSEC_A_UPSTREAM_SUITE] = K_U8_SUITE,
	[GRPSEC_A_UPSTREAM_KEY] = K_KEY,
	[GRPSEC_A_UPSTREAM_BATCH_MAX] = K_U16,
	[GRPSEC_A_UPSTREAM_FLUSH_USEC] = K_U32,
	[GRPSEC_A_UPSTREAM_MTU] = K_U16,
	[GRPSEC_A_UPSTREAM_SEQ] = K_U64,
	[GRPSEC_A_UPSTREAM_STATS] = K_NEST_STATS,
	[GRPSEC_A_UPSTREAM_PAD] = K_BIN,
	[GRPSEC_A_UPSTREAM_DL_SEQ] = K_U64,
};

static const enum kind send_kinds[GRPSEC_A_SEND_MAX + 1] = {
	[GRPSEC_A_SEND_GROUP] = K_U32_ID,
	[GRPSEC_A_SEND_MEMBER] = K_U32_ID,
	[GRPSEC_A_SEND_DATA] = K_BIN,
	[GRPSEC_A_SEND_SEQ] = K_U64,
	[GRPSEC_A_SEND_RECIPIENTS] = K_U32,
	[GRPSEC_A_SEND_PAD] = K_BIN,
};

/*
 * A well-formed nest: each attribute with the percentage of requests that
 * carry it.  The rest of the requests get attributes drawn at random.
 */
struct tmpl {
	int type, percent;
};

static const struct tmpl group_tmpl[] = {
	{ GRPSEC_A_GROUP_ID, 100 }, { GRPSEC_A_GROUP_SUITE, 90 },
	{ GRPSEC_A_GROUP_MODE, 90 }, { GRPSEC_A_GROUP_FLAGS, 15 },
	{ GRPSEC_A_GROUP_MSG_LIMIT, 10 }, { GRPSEC_A_GROUP_RATE_LIMIT, 10 },
	{ GRPSEC_A_GROUP_KEY, 15 }, { GRPSEC_A_GROUP_KEY, 5 },
	{ GRPSEC_A_GROUP_DELIVER, 10 }, { GRPSEC_A_GROUP_MCAST, 5 }, { 0 },
};

static const struct tmpl member_tmpl[] = {
	{ GRPSEC_A_MEMBER_GROUP, 100 }, { GRPSEC_A_MEMBER_ID, 100 },
	{ GRPSEC_A_MEMBER_KEY, 85 }, { GRPSEC_A_MEMBER_KEY, 10 },
	{ GRPSEC_A_MEMBER_ENDPOINT, 30 }, { 0 },
};

static const struct tmpl key_tmpl[] = {
	{ GRPSEC_A_KEY_SLOT, 90 }, { GRPSEC_A_KEY_EPOCH, 95 },
	{ GRPSEC_A_KEY_DATA, 95 }, { 0 },
};

static const struct tmpl upstream_tmpl[] = {
	{ GRPSEC_A_UPSTREAM_ENDPOINT, 95 }, { GRPSEC_A_UPSTREAM_GATEWAY_ID, 95 },
	{ GRPSEC_A_UPSTREAM_SUITE, 90 }, { GRPSEC_A_UPSTREAM_KEY, 90 },
	{ GRPSEC_A_UPSTREAM_BATCH_MAX, 30 }, { GRPSEC_A_UPSTREAM_FLUSH_USEC, 30 },
	{ GRPSEC_A_UPSTREAM_MTU, 30 }, { GRPSEC_A_UPSTREAM_SEQ, 20 },
	{ GRPSEC_A_UPSTREAM_DL_SEQ, 20 }, { 0 },
};

static const struct tmpl send_tmpl[] = {
	{ GRPSEC_A_SEND_GROUP, 100 }, { GRPSEC_A_SEND_DATA, 90 },
	{ GRPSEC_A_SEND_MEMBER, 30 }, { 0 },
};

/* The attributes each command reads, to draw from most of the time. */
struct cmd_shape {
	const char *name;
	int attrs[4];
};

static const struct cmd_shape shapes[GRPSEC_CMD_MAX + 1] = {
	[GRPSEC_CMD_GET_INFO] = { "get-info", { 0 } },
	[GRPSEC_CMD_SET_LISTEN] = { "set-listen", { GRPSEC_A_LISTEN_PORT } },
	[GRPSEC_CMD_NEW_GROUP] = { "new-group", { GRPSEC_A_GROUP } },
	[GRPSEC_CMD_SET_GROUP] = { "set-group", { GRPSEC_A_GROUP } },
	[GRPSEC_CMD_DEL_GROUP] = { "del-group", { GRPSEC_A_GROUP } },
	[GRPSEC_CMD_GET_GROUP] = { "get-group", { GRPSEC_A_GROUP } },
	[GRPSEC_CMD_NEW_MEMBER] = { "new-member", { GRPSEC_A_MEMBER } },
	[GRPSEC_CMD_SET_MEMBER] = { "set-member", { GRPSEC_A_MEMBER } },
	[GRPSEC_CMD_DEL_MEMBER] = { "del-member", { GRPSEC_A_MEMBER } },
	[GRPSEC_CMD_GET_MEMBER] = { "get-member",
				    { GRPSEC_A_MEMBER_GROUP_FILTER } },
	[GRPSEC_CMD_SET_UPSTREAM] = { "set-upstream", { GRPSEC_A_UPSTREAM } },
	[GRPSEC_CMD_GET_UPSTREAM] = { "get-upstream", { 0 } },
	[GRPSEC_CMD_GET_STATS] = { "get-stats", { 0 } },
	[GRPSEC_CMD_EVENT] = { "event", { 0 } },
	[GRPSEC_CMD_DEL_UPSTREAM] = { "del-upstream", { 0 } },
	[GRPSEC_CMD_SEND] = { "send", { GRPSEC_A_SEND } },
};

/* Commands a process may send; a request can also be a dump of them. */
static bool is_get(int cmd)
{
	return cmd == GRPSEC_CMD_GET_GROUP || cmd == GRPSEC_CMD_GET_MEMBER;
}

/* Per command and process: requests, successes, refusals. */
struct tally {
	unsigned long sent[256], ok[256], refused[256];
	int failed;
	int done;			/* the frame sender's cue to stop */
	unsigned long frames;
};

static struct tally *tallies;	/* shared with the children */
static int cur_cmd;		/* the command being built */
static uint8_t pool[POOL_KEYS][KEY_BYTES];
static uint64_t rng;
static uint16_t family;
static int proc_id;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static bool chance(unsigned int percent)
{
	return pick(100) < percent;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nl_fuzz[%d]: FAIL: ", proc_id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	tallies[proc_id].failed = 1;
}

/* Message building */

struct msg {
	uint8_t buf[MSG_MAX];
	size_t len;
	bool mutated;		/* broken on purpose below the attributes */
	bool no_op;		/* no doit or dumpit for it: the core says so */
};

static struct nlattr *put(struct msg *m, uint16_t type, const void *data,
			  size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->len + total > MSG_MAX - 64)
		return NULL;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	m->len += total;
	return a;
}

static void put_value(struct msg *m, uint16_t type, enum kind k, int depth);

/* What changes an existing group or member carries other than a new one. */
static unsigned int tmpl_percent(const struct tmpl *t)
{
	bool change = cur_cmd != GRPSEC_CMD_NEW_GROUP &&
		      cur_cmd != GRPSEC_CMD_NEW_MEMBER;

	if (change && (t == &group_tmpl[1] || t == &group_tmpl[2]))
		return 10;	/* suite and mode are a new group's */
	if (cur_cmd == GRPSEC_CMD_DEL_MEMBER && t == &member_tmpl[2])
		return 10;	/* deleting needs no key */
	return (unsigned int)t->percent;
}

static uint32_t pick_id(void);

/*
 * A terminate mode group as an operator writes it: anonymous, AES-128-GCM,
 * its group key, a delivery address.  SEND needs one.
 */
static void put_terminate_group(struct msg *m, uint16_t type)
{
	struct sockaddr_in deliver = { .sin_family = AF_INET,
				       .sin_port = htons(6000),
				       .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct nlattr *nest = put(m, type | NLA_F_NESTED, NULL, 0), *key;

	if (!nest)
		return;
	put(m, GRPSEC_A_GROUP_ID, &(uint32_t){ pick_id() }, 4);
	put(m, GRPSEC_A_GROUP_SUITE, &(uint8_t){ GRPSEC_SUITE_AES128_GCM }, 1);
	put(m, GRPSEC_A_GROUP_MODE, &(uint8_t){ GRPSEC_MODE_ANONYMOUS }, 1);
	put(m, GRPSEC_A_GROUP_FLAGS, &(uint32_t){ GRPSEC_GROUP_F_TERMINATE }, 4);
	key = put(m, GRPSEC_A_GROUP_KEY | NLA_F_NESTED, NULL, 0);
	if (key) {
		put(m, GRPSEC_A_KEY_SLOT, &(uint8_t){ GRPSEC_KEY_SLOT_CURRENT }, 1);
		put(m, GRPSEC_A_KEY_EPOCH, &(uint32_t){ 1 }, 4);
		put(m, GRPSEC_A_KEY_DATA, pool[0], 16);	/* see send_frames() */
		key->nla_len = (uint16_t)((m->buf + m->len) - (uint8_t *)key);
	}
	if (chance(70))
		put(m, GRPSEC_A_GROUP_DELIVER, &deliver, sizeof(deliver));
	nest->nla_len = (uint16_t)((m->buf + m->len) - (uint8_t *)nest);
}

static void put_nest(struct msg *m, uint16_t type, const enum kind *kinds,
		     int max, const struct tmpl *tmpl, int depth)
{
	struct nlattr *nest = put(m, type | (chance(97) ? NLA_F_NESTED : 0),
				  NULL, 0);
	int n = depth > 2 ? 0 : (int)pick(6);

	if (!nest)
		return;
	if (tmpl && depth <= 2 && chance(80)) {
		for (; tmpl->type; tmpl++)
			if (chance(tmpl_percent(tmpl)))
				put_value(m, (uint16_t)tmpl->type, kinds[tmpl->type],
					  depth + 1);
		n = chance(15) ? 1 : 0;
	}
	for (int i = 0; i < n; i++) {
		int t = chance(90) ? 1 + (int)pick((unsigned int)max) :
			(int)pick((unsigned int)max + 4);
		enum kind k = t <= max ? kinds[t] : K_BIN;

		put_value(m, (uint16_t)t, k == K_NONE ? K_BIN : k, depth + 1);
	}
	nest->nla_len = (uint16_t)((m->buf + m->len) - (uint8_t *)nest);
}

static uint32_t pick_id(void)
{
	static const uint32_t ids[] = { 1, 2, 3, 1, 2, 0, 4, 0xffffffff };

	return chance(95) ? ids[pick(5)] : ids[pick(8)];
}

static size_t put_addr(uint8_t *out)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	static const char *const a4[] = { "127.0.0.1", "10.9.0.1",
					  "224.1.2.3", "0.0.0.0" };
	static const char *const a6[] = { "::1", "ff02::1", "fe80::1",
					  "2001:db8::1" };
	static const uint16_t ports[] = { 5740, 5741, 0, 9, 65535 };

	switch (pick(8)) {
	case 0:
		return 0;			/* empty: clears */
	case 1: {
		size_t n = pick(40);		/* garbage of any size */

		for (size_t i = 0; i < n; i++)
			out[i] = (uint8_t)rnd();
		return n;
	}
	case 2: case 3: case 4:
		v4.sin_port = htons(ports[pick(5)]);
		inet_pton(AF_INET, a4[pick(4)], &v4.sin_addr);
		memcpy(out, &v4, sizeof(v4));
		return chance(90) ? sizeof(v4) : pick(sizeof(v4) + 8);
	default:
		v6.sin6_port = htons(ports[pick(5)]);
		inet_pton(AF_INET6, a6[pick(4)], &v6.sin6_addr);
		v6.sin6_scope_id = pick(3);
		memcpy(out, &v6, sizeof(v6));
		return chance(90) ? sizeof(v6) : pick(sizeof(v6) + 8);
	}
}

static void put_value(struct msg *m, uint16_t type, enum kind k, int depth)
{
	uint8_t v[1500] = { 0 };	/* a wrong size may reach past the value */
	size_t len = 0;
	uint64_t x;

	switch (k) {
	case K_NEST_GROUP:
		if (cur_cmd == GRPSEC_CMD_NEW_GROUP && chance(25))
			put_terminate_group(m, type);
		else
			put_nest(m, type, group_kinds, GRPSEC_A_GROUP_MAX,
				 group_tmpl, depth);
		return;
	case K_NEST_MEMBER:
		put_nest(m, type, member_kinds, GRPSEC_A_MEMBER_MAX, member_tmpl, depth);
		return;
	case K_NEST_UPSTREAM:
		put_nest(m, type, upstream_kinds, GRPSEC_A_UPSTREAM_MAX, upstream_tmpl,
			 depth);
		return;
	case K_NEST_SEND:
		put_nest(m, type, send_kinds, GRPSEC_A_SEND_MAX, send_tmpl, depth);
		return;
	case K_NEST_KEY:
		put_nest(m, type, key_kinds, GRPSEC_A_KEY_MAX, key_tmpl, depth);
		return;
	case K_NEST_STATS:
		put_nest(m, type, key_kinds, 3, NULL, depth);
		return;
	case K_U8_SUITE:
		/* Mostly AES-128-GCM: keys drawn below fit it most often. */
		v[0] = chance(60) ? GRPSEC_SUITE_AES128_GCM :
		       chance(90) ? (uint8_t)(1 + pick(3)) : (uint8_t)rnd();
		len = 1;
		break;
	case K_U8_MODE:
	case K_U8_SLOT:
		v[0] = chance(90) ? (uint8_t)pick(2) : (uint8_t)rnd();
		len = 1;
		break;
	case K_U16_PORT:
	case K_U16:
		x = chance(30) ? rnd() & 0xffff :
		    (uint64_t[]){ 0, 1, 64, 255, 1400, 5740, 5741, 9000 }[pick(8)];
		memcpy(v, &(uint16_t){ (uint16_t)x }, 2);
		len = 2;
		break;
	case K_U32_ID:
		memcpy(v, &(uint32_t){ pick_id() }, 4);
		len = 4;
		break;
	case K_U32_FLAGS:
		x = chance(90) ? pick(2) : rnd() & 0xffffffff;
		memcpy(v, &(uint32_t){ (uint32_t)x }, 4);
		len = 4;
		break;
	case K_U32:
		x = chance(30) ? rnd() & 0xffffffff :
		    (uint64_t[]){ 0, 1, 50, 1000, 2000, 1000000, 0xffffffff }[pick(7)];
		memcpy(v, &(uint32_t){ (uint32_t)x }, 4);
		len = 4;
		break;
	case K_U64:
		x = chance(30) ? rnd() :
		    (uint64_t[]){ 0, 1, 2, 1000, UINT64_MAX }[pick(5)];
		memcpy(v, &x, 8);
		len = 8;
		break;
	case K_KEY:
		len = chance(90) ? (chance(70) ? 16 : 32) : pick(KEY_BYTES + 1);
		memcpy(v, pool[pick(POOL_KEYS)], len);
		break;
	case K_ADDR:
		len = put_addr(v);
		break;
	case K_BIN:
	default:
		len = chance(80) ? pick(64) : pick(sizeof(v));
		for (size_t i = 0; i < len; i++)
			v[i] = (uint8_t)rnd();
		break;
	}
	/* The wrong size for the type, now and then. */
	if (chance(3))
		len = pick(len + 9);
	put(m, type, v, len);
}

/*
 * Commands by weight: more of those that need a group or a member to
 * exist, fewer of those that delete them, so that state builds up.
 */
static int pick_cmd(void)
{
	static const unsigned int weight[GRPSEC_CMD_MAX + 1] = {
		[GRPSEC_CMD_GET_INFO] = 2, [GRPSEC_CMD_SET_LISTEN] = 2,
		[GRPSEC_CMD_NEW_GROUP] = 4, [GRPSEC_CMD_SET_GROUP] = 4,
		[GRPSEC_CMD_DEL_GROUP] = 1, [GRPSEC_CMD_GET_GROUP] = 2,
		[GRPSEC_CMD_NEW_MEMBER] = 6, [GRPSEC_CMD_SET_MEMBER] = 6,
		[GRPSEC_CMD_DEL_MEMBER] = 2, [GRPSEC_CMD_GET_MEMBER] = 2,
		[GRPSEC_CMD_SET_UPSTREAM] = 2, [GRPSEC_CMD_GET_UPSTREAM] = 2,
		[GRPSEC_CMD_GET_STATS] = 2, [GRPSEC_CMD_EVENT] = 1,
		[GRPSEC_CMD_DEL_UPSTREAM] = 1, [GRPSEC_CMD_SEND] = 4,
	};
	unsigned int total = 0, r;
	int c;

	for (c = 1; c <= GRPSEC_CMD_MAX; c++)
		total += weight[c];
	r = pick(total);
	for (c = 1; c < GRPSEC_CMD_MAX && r >= weight[c]; c++)
		r -= weight[c];
	return c;
}

static int build(struct msg *m, uint32_t seq)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *gh;
	int cmd, n;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->mutated = false;
	cmd = chance(97) ? pick_cmd() : (int)pick(256);
	cur_cmd = cmd;
	nh->nlmsg_type = family;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if ((is_get(cmd) && chance(60)) || chance(3))
		nh->nlmsg_flags |= NLM_F_DUMP;
	nh->nlmsg_seq = seq;
	/* Refused by the genetlink core with EOPNOTSUPP and no extack. */
	if (nh->nlmsg_flags & NLM_F_DUMP)
		m->no_op = !is_get(cmd);
	else
		m->no_op = cmd == GRPSEC_CMD_GET_MEMBER;
	m->no_op |= cmd < 1 || cmd > GRPSEC_CMD_MAX || cmd == GRPSEC_CMD_EVENT;
	gh = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	gh->cmd = (uint8_t)cmd;
	gh->version = chance(98) ? GRPSEC_GENL_VERSION : (uint8_t)rnd();

	n = (int)pick(3);
	if (cmd <= GRPSEC_CMD_MAX && shapes[cmd].attrs[0] && chance(95))
		for (int i = 0; i < 4 && shapes[cmd].attrs[i]; i++)
			put_value(m, (uint16_t)shapes[cmd].attrs[i],
				  top_kinds[shapes[cmd].attrs[i]], 0);
	for (int i = 0; i < n && chance(30); i++) {
		int t = (int)pick(GRPSEC_A_MAX + 3);

		put_value(m, (uint16_t)t,
			  t <= GRPSEC_A_MAX && top_kinds[t] ? top_kinds[t] : K_BIN, 0);
	}
	nh->nlmsg_len = (uint32_t)m->len;
	/* Cut short: inside an attribute, or inside the headers. */
	if (chance(2)) {
		nh->nlmsg_len = NLMSG_HDRLEN + (uint32_t)pick((unsigned int)(m->len - NLMSG_HDRLEN));
		m->len = nh->nlmsg_len;
		m->mutated = true;
	}
	return cmd;
}

/* Replies */

static bool contains_key(const uint8_t *p, size_t len)
{
	for (int k = 0; k < POOL_KEYS; k++)
		if (memmem(p, len, pool[k], 16))
			return true;
	return false;
}

static void hexdump(const char *what, const uint8_t *p, size_t len)
{
	fprintf(stderr, "nl_fuzz[%d]:   %s:", proc_id, what);
	for (size_t i = 0; i < len && i < 256; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n    ", p[i]);
	fputc('\n', stderr);
}

/*
 * Does the refusal say why: a message, or the missing attribute
 * (NL_SET_ERR_ATTR_MISS, what GENL_REQ_ATTR_CHECK reports)?
 */
static bool has_extack_msg(const struct nlmsghdr *nh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	const struct nlattr *a;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return false;
	/* NETLINK_CAP_ACK: the request is not echoed past its header. */
	while (off + NLA_HDRLEN <= nh->nlmsg_len) {
		a = (const struct nlattr *)((const uint8_t *)nh + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > nh->nlmsg_len)
			return false;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    a->nla_len > NLA_HDRLEN + 1)
			return true;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MISS_TYPE)
			return true;
		off += NLA_ALIGN(a->nla_len);
	}
	return false;
}

static const char *cmd_name(int cmd)
{
	static char other[16];

	if (cmd > 0 && cmd <= GRPSEC_CMD_MAX)
		return shapes[cmd].name;
	snprintf(other, sizeof(other), "cmd %d", cmd);
	return other;
}

/*
 * Reads until the request's ACK, error or dump end.  Return: the error
 * (0 = success), or 1 if no answer came.
 */
static int answer(int fd, uint32_t seq, int cmd, const struct msg *m)
{
	static uint8_t buf[65536];
	struct nlmsghdr *nh;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("%s (seq %u): no answer: %s", cmd_name(cmd), seq,
			     strerror(errno));
			return 1;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (contains_key((const uint8_t *)nh, nh->nlmsg_len))
				fail("%s (seq %u): a reply holds key bytes",
				     cmd_name(cmd), seq);
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR ||
			    nh->nlmsg_type == NLMSG_DONE) {
				int err = nh->nlmsg_type == NLMSG_ERROR ?
					  ((struct nlmsgerr *)NLMSG_DATA(nh))->error :
					  *(int *)NLMSG_DATA(nh);

				if (err && err != -ENOMEM && !m->mutated &&
				    !(err == -EOPNOTSUPP && m->no_op) &&
				    !has_extack_msg(nh)) {
					fail("%s (seq %u): refused (%s) without an extack message",
					     cmd_name(cmd), seq, strerror(-err));
					hexdump("request", m->buf, m->len);
					hexdump("answer", (const uint8_t *)nh, nh->nlmsg_len);
				}
				return err;
			}
		}
	}
}

/* Frames */

/*
 * The outer tag of an uplink frame (Documentation/frames.rst): AEAD under
 * the member key of the empty plaintext, nonce 00 00 00 01 || be64 seq,
 * AAD the frame before the tag.
 */
/* AEAD seal of @n bytes in place, the tag after them; zeros on failure. */
static void seal(uint8_t suite, const uint8_t *key, const uint8_t *nonce,
		 const uint8_t *aad, size_t aad_len, uint8_t *data, size_t n)
{
	const EVP_CIPHER *c = suite == GRPSEC_SUITE_AES128_GCM ? EVP_aes_128_gcm() :
			      suite == GRPSEC_SUITE_AES256_GCM ? EVP_aes_256_gcm() :
			      EVP_chacha20_poly1305();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int len;

	if (!ctx)
		return;
	if (EVP_EncryptInit_ex(ctx, c, NULL, key, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)aad_len) != 1 ||
	    (n && EVP_EncryptUpdate(ctx, data, &len, data, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(ctx, data + n, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, data + n) != 1)
		memset(data + n, 0, 16);
	EVP_CIPHER_CTX_free(ctx);
}

static void outer_tag(uint8_t suite, const uint8_t *key, uint64_t seq,
		      uint8_t *frame, size_t auth_len)
{
	uint8_t nonce[12] = { 0, 0, 0, 1 };

	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
	seal(suite, key, nonce, frame, auth_len, frame + auth_len, 0);
}

/*
 * The inner layer of an anonymous group's frame under K_G, so that a
 * terminate mode group can open and deliver it (frames.rst, inner AAD).
 */
static void inner_seal(uint8_t suite, const uint8_t *key, uint8_t *f, size_t n)
{
	uint8_t aad[16] = { 1, 1, suite, GRPSEC_MODE_ANONYMOUS };

	memcpy(aad + 4, f + 4, 8);		/* group, epoch; member 0 */
	seal(suite, key, f + 24, aad, sizeof(aad), f + 36, n);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* Until the request processes are done: frames to every listen port. */
static void send_frames(uint64_t seed)
{
	static const uint16_t ports[] = { 5740, 5741 };
	struct sockaddr_in to4 = { .sin_family = AF_INET };
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6,
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	uint64_t seq = 1;
	uint8_t f[1400];
	int fd4, fd6;

	proc_id = PROCS;
	rng = seed * 0x9e3779b97f4a7c15ULL + 0x51;
	to4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	while (!__atomic_load_n(&tallies[0].done, __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&tallies[1].done, __ATOMIC_ACQUIRE)) {
		size_t n = (size_t[]){ 0, 16, 128 }[pick(3)], len = 68 + n;
		uint8_t suite = chance(60) ? GRPSEC_SUITE_AES128_GCM :
				(uint8_t)(1 + pick(3));
		const uint8_t *key = pool[pick(POOL_KEYS)];

		for (size_t i = 0; i < len; i++)
			f[i] = (uint8_t)rnd();
		if (chance(95)) {
			f[0] = 1;
			f[1] = chance(95) ? 1 : 3;	/* uplink, or downlink */
			f[2] = suite;
			f[3] = 0;
			put_be(f + 4, pick_id(), 4);
			put_be(f + 8, pick_id(), 4);
			put_be(f + 12, pick_id(), 4);
			/* Mostly new sequences, some replayed. */
			put_be(f + 16, chance(90) ? ++seq : seq - pick(4), 8);
			/* Under the key terminate groups get, K_G. */
			if (f[1] == 1 && chance(50))
				inner_seal(suite, pool[0], f, n);
			if (f[1] == 1 && chance(80))
				outer_tag(suite, key, seq, f, len - 16);
		}
		if (chance(70)) {
			to4.sin_port = htons(ports[pick(2)]);
			sendto(fd4, f, len, 0, (struct sockaddr *)&to4, sizeof(to4));
		} else {
			to6.sin6_port = htons(ports[pick(2)]);
			sendto(fd6, f, len, 0, (struct sockaddr *)&to6, sizeof(to6));
		}
		tallies[PROCS].frames++;
		/* Leave the CPUs to the requests now and then. */
		if (!(tallies[PROCS].frames % 16))
			usleep(1000);
	}
	close(fd4);
	close(fd6);
}

/* Setup */

static int nl_open(void)
{
	struct timeval tv = { .tv_sec = 20 };
	int one = 1, fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static int resolve_family(int fd)
{
	struct msg m = { 0 };
	struct nlmsghdr *nh = (struct nlmsghdr *)m.buf;
	struct genlmsghdr *gh = (struct genlmsghdr *)(m.buf + NLMSG_HDRLEN);
	static uint8_t buf[8192];
	ssize_t n;

	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	gh->cmd = CTRL_CMD_GETFAMILY;
	gh->version = 1;
	put(&m, CTRL_ATTR_FAMILY_NAME, GRPSEC_GENL_NAME,
	    sizeof(GRPSEC_GENL_NAME));
	nh->nlmsg_len = (uint32_t)m.len;
	nh->nlmsg_type = GENL_ID_CTRL;
	nh->nlmsg_flags = NLM_F_REQUEST;
	nh->nlmsg_seq = 1;
	if (send(fd, m.buf, m.len, 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
	     nh = NLMSG_NEXT(nh, n)) {
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

		if (nh->nlmsg_type != GENL_ID_CTRL)
			return -1;
		while (off + NLA_HDRLEN <= nh->nlmsg_len) {
			struct nlattr *a = (struct nlattr *)((uint8_t *)nh + off);

			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
				memcpy(&family, (uint8_t *)a + NLA_HDRLEN, 2);
				return 0;
			}
			off += NLA_ALIGN(a->nla_len);
		}
	}
	return -1;
}

/* A namespace of its own, with loopback up so that sends can leave. */
static int own_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return 0;
}

/* Fixed cases, before the random ones */

static struct nlattr *start(struct msg *m, uint8_t cmd)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->buf;
	struct genlmsghdr *gh = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->mutated = false;
	m->no_op = false;
	nh->nlmsg_type = family;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	gh->cmd = cmd;
	gh->version = GRPSEC_GENL_VERSION;
	return put(m, (cmd == GRPSEC_CMD_NEW_GROUP || cmd == GRPSEC_CMD_DEL_GROUP ?
		       GRPSEC_A_GROUP : GRPSEC_A_MEMBER) | NLA_F_NESTED, NULL, 0);
}

static void put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	put(m, type, &v, 4);
}

static void put_member_key(struct msg *m)
{
	struct nlattr *key = put(m, GRPSEC_A_MEMBER_KEY | NLA_F_NESTED, NULL, 0);

	put(m, GRPSEC_A_KEY_SLOT, &(uint8_t){ GRPSEC_KEY_SLOT_CURRENT }, 1);
	put_u32(m, GRPSEC_A_KEY_EPOCH, 1);
	put(m, GRPSEC_A_KEY_DATA, pool[1], 16);
	key->nla_len = (uint16_t)((m->buf + m->len) - (uint8_t *)key);
}

/* Sends @m, ending the nest @nest began.  Return: the kernel's answer. */
static int request(int fd, struct msg *m, struct nlattr *nest, uint32_t seq)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)m->buf;

	nest->nla_len = (uint16_t)((m->buf + m->len) - (uint8_t *)nest);
	nh->nlmsg_len = (uint32_t)m->len;
	nh->nlmsg_seq = seq;
	if (send(fd, m->buf, m->len, 0) < 0)
		return -errno;
	return answer(fd, seq, m->buf[NLMSG_HDRLEN], m);
}

/*
 * A DEL_MEMBER that carries a key is refused (with an extack message,
 * which answer() checks) and deletes nothing; without the key it works.
 */
static int fixed_cases(void)
{
	static struct msg m;
	struct nlattr *n;
	int fd = nl_open(), err, rc = KSFT_PASS;

	if (fd < 0)
		return KSFT_FAIL;
	n = start(&m, GRPSEC_CMD_NEW_GROUP);
	put_u32(&m, GRPSEC_A_GROUP_ID, 77);
	put(&m, GRPSEC_A_GROUP_SUITE, &(uint8_t){ GRPSEC_SUITE_AES128_GCM }, 1);
	put(&m, GRPSEC_A_GROUP_MODE, &(uint8_t){ GRPSEC_MODE_ANONYMOUS }, 1);
	err = request(fd, &m, n, 1);
	n = start(&m, GRPSEC_CMD_NEW_MEMBER);
	put_u32(&m, GRPSEC_A_MEMBER_GROUP, 77);
	put_u32(&m, GRPSEC_A_MEMBER_ID, 1);
	put_member_key(&m);
	err = err ?: request(fd, &m, n, 2);
	if (err) {
		printf("nl_fuzz: FAIL: cannot set up group 77: %s\n", strerror(-err));
		close(fd);
		return KSFT_FAIL;
	}

	n = start(&m, GRPSEC_CMD_DEL_MEMBER);
	put_u32(&m, GRPSEC_A_MEMBER_GROUP, 77);
	put_u32(&m, GRPSEC_A_MEMBER_ID, 1);
	put_member_key(&m);
	err = request(fd, &m, n, 3);
	if (err != -EINVAL) {
		printf("nl_fuzz: FAIL: DEL_MEMBER with a key: %s, expected refused\n",
		       err ? strerror(-err) : "accepted");
		rc = KSFT_FAIL;
	}
	n = start(&m, GRPSEC_CMD_DEL_MEMBER);
	put_u32(&m, GRPSEC_A_MEMBER_GROUP, 77);
	put_u32(&m, GRPSEC_A_MEMBER_ID, 1);
	err = request(fd, &m, n, 4);
	if (err) {
		printf("nl_fuzz: FAIL: DEL_MEMBER after the refused one: %s\n",
		       strerror(-err));
		rc = KSFT_FAIL;
	}
	n = start(&m, GRPSEC_CMD_DEL_GROUP);
	put_u32(&m, GRPSEC_A_GROUP_ID, 77);
	if (request(fd, &m, n, 5))
		rc = KSFT_FAIL;
	close(fd);
	return tallies[0].failed ? KSFT_FAIL : rc;
}

static void run(int id, uint64_t seed, unsigned long requests)
{
	struct tally *t = &tallies[id];
	static struct msg m;
	int fd;

	proc_id = id;
	rng = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)id + 1;
	fd = nl_open();
	if (fd < 0) {
		fail("netlink socket: %s", strerror(errno));
		return;
	}
	for (unsigned long i = 0; i < requests && !t->failed; i++) {
		uint32_t seq = (uint32_t)i + 100;
		int cmd = build(&m, seq), err;

		t->sent[cmd]++;
		if (send(fd, m.buf, m.len, 0) < 0) {
			/* A cut-short message may be refused by send itself. */
			if (!m.mutated)
				fail("%s: send: %s", cmd_name(cmd), strerror(errno));
			continue;
		}
		err = answer(fd, seq, cmd, &m);
		if (err == 1)
			break;
		if (err)
			t->refused[cmd]++;
		else
			t->ok[cmd]++;
	}
	close(fd);
}

/*
 * What the data path made of the frames: the namespace's counters.  It
 * must at least have received some, or the frames went nowhere.
 */
static int frame_report(int rc)
{
	static const struct { int attr; const char *name; } shown[] = {
		{ GRPSEC_A_STATS_RX_FRAMES, "rx-frames" },
		{ GRPSEC_A_STATS_VERIFIED, "verified" },
		{ GRPSEC_A_STATS_FORWARDED, "forwarded" },
		{ GRPSEC_A_STATS_DELIVERED, "delivered" },
		{ GRPSEC_A_STATS_DROP_INNER_TAG, "drop-inner-tag" },
		{ GRPSEC_A_STATS_DROP_BAD_TAG, "drop-bad-tag" },
		{ GRPSEC_A_STATS_DROP_REPLAY, "drop-replay" },
		{ GRPSEC_A_STATS_DOWNLINKS, "downlinks" },
	};
	uint64_t v[GRPSEC_A_STATS_MAX + 1] = { 0 };
	static uint8_t buf[16384];
	struct nlmsghdr *nh;
	struct msg m = { 0 };
	struct genlmsghdr *gh;
	int fd = nl_open();
	ssize_t n;

	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	nh = (struct nlmsghdr *)m.buf;
	gh = (struct genlmsghdr *)(m.buf + NLMSG_HDRLEN);
	nh->nlmsg_len = (uint32_t)m.len;
	nh->nlmsg_type = family;
	nh->nlmsg_flags = NLM_F_REQUEST;
	nh->nlmsg_seq = 1;
	gh->cmd = GRPSEC_CMD_GET_STATS;
	gh->version = GRPSEC_GENL_VERSION;
	if (fd < 0 || send(fd, m.buf, m.len, 0) < 0 ||
	    (n = recv(fd, buf, sizeof(buf), 0)) < 0) {
		printf("nl_fuzz: FAIL: cannot read the counters\n");
		return KSFT_FAIL;
	}
	close(fd);
	nh = (struct nlmsghdr *)buf;
	if (NLMSG_OK(nh, (size_t)n) && nh->nlmsg_type == family) {
		size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

		while (off + NLA_HDRLEN <= nh->nlmsg_len) {
			struct nlattr *a = (struct nlattr *)(buf + off), *c;
			size_t in = NLA_HDRLEN;

			if (a->nla_len < NLA_HDRLEN)
				break;
			while ((a->nla_type & NLA_TYPE_MASK) == GRPSEC_A_STATS &&
			       in + NLA_HDRLEN <= a->nla_len) {
				c = (struct nlattr *)((uint8_t *)a + in);
				if (c->nla_len < NLA_HDRLEN)
					break;
				if (c->nla_type <= GRPSEC_A_STATS_MAX &&
				    c->nla_len == NLA_HDRLEN + 8)
					memcpy(&v[c->nla_type], (uint8_t *)c + NLA_HDRLEN, 8);
				in += NLA_ALIGN(c->nla_len);
			}
			off += NLA_ALIGN(a->nla_len);
		}
	}
	printf("frames sent %lu:", tallies[PROCS].frames);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		printf(" %s %llu", shown[i].name,
		       (unsigned long long)v[shown[i].attr]);
	printf("\n");
	if (!v[GRPSEC_A_STATS_RX_FRAMES]) {
		printf("nl_fuzz: FAIL: the gateway received none of the frames\n");
		return KSFT_FAIL;
	}
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long requests = 10000, ok_total = 0;
	uint64_t seed = (uint64_t)time(NULL);
	int opt, fd, status, rc = KSFT_PASS;
	pid_t pids[PROCS + 1];

	while ((opt = getopt(argc, argv, "s:n:")) != -1) {
		if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 'n')
			requests = strtoul(optarg, NULL, 0);
		else
			return KSFT_FAIL;
	}
	/* Like the other selftests: load the module unless it is there. */
	if (access("/sys/module/grpsec", F_OK) &&
	    system("modprobe grpsec")) {
		printf("nl_fuzz: grpsec module not installed # SKIP\n");
		return KSFT_SKIP;
	}
	if (own_netns()) {
		perror("nl_fuzz: a network namespace of its own");
		return KSFT_FAIL;
	}
	fd = nl_open();
	if (fd < 0 || resolve_family(fd)) {
		printf("nl_fuzz: FAIL: no generic netlink family \"grpsec\"\n");
		return KSFT_FAIL;
	}
	close(fd);

	tallies = mmap(NULL, (PROCS + 1) * sizeof(*tallies), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tallies == MAP_FAILED)
		return KSFT_FAIL;
	rng = seed ^ 0x5bd1e995;
	for (int k = 0; k < POOL_KEYS; k++)
		for (int i = 0; i < KEY_BYTES; i++)
			pool[k][i] = (uint8_t)rnd();
	if (fixed_cases() != KSFT_PASS)
		return KSFT_FAIL;
	printf("nl_fuzz: seed %llu, %d processes x %lu requests, frames meanwhile\n",
	       (unsigned long long)seed, PROCS, requests);
	fflush(stdout);

	for (int p = 0; p <= PROCS; p++) {
		pids[p] = fork();
		if (pids[p] < 0)
			return KSFT_FAIL;
		if (!pids[p] && p < PROCS) {
			run(p, seed, requests);
			_exit(0);
		}
		if (!pids[p]) {
			send_frames(seed);
			_exit(0);
		}
	}
	for (int p = 0; p <= PROCS; p++) {
		if (waitpid(pids[p], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("nl_fuzz: FAIL: process %d ended abnormally\n", p);
			rc = KSFT_FAIL;
		}
		if (p < PROCS)
			__atomic_store_n(&tallies[p].done, 1, __ATOMIC_RELEASE);
	}

	printf("%-14s %8s %8s %8s\n", "command", "sent", "ok", "refused");
	for (int c = 0; c < 256; c++) {
		unsigned long s = 0, o = 0, r = 0;

		for (int p = 0; p < PROCS; p++) {
			s += tallies[p].sent[c];
			o += tallies[p].ok[c];
			r += tallies[p].refused[c];
		}
		if (!s)
			continue;
		if (c <= GRPSEC_CMD_MAX)
			printf("%-14s %8lu %8lu %8lu\n", cmd_name(c), s, o, r);
		ok_total += o;
		/* Every command the family takes got past validation once. */
		if (c >= 1 && c <= GRPSEC_CMD_MAX && c != GRPSEC_CMD_EVENT && !o) {
			printf("nl_fuzz: FAIL: no %s request succeeded\n", cmd_name(c));
			rc = KSFT_FAIL;
		}
	}
	for (int p = 0; p < PROCS; p++)
		if (tallies[p].failed)
			rc = KSFT_FAIL;
	rc = frame_report(rc);
	printf("nl_fuzz: %lu requests succeeded; %s\n", ok_total,
	       rc == KSFT_PASS ? "pass" : "FAIL");
	return rc;
}
