// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec showconf, setconf, syncconf: the configuration as a file.
 *
 * Keys are write-only, so the file names key files instead of holding
 * keys; showconf names them after a fixed layout under KeyDirectory
 * (upstream.key, GROUP/MEMBER.EPOCH.key), which is where a configuration
 * written by hand or by a daemon should keep them for the round trip to
 * work.  A terminate mode group's key K_G is named GROUP/group.EPOCH.key
 * in the same way.  A key is known by its epoch: syncconf installs a key
 * only when the file's epoch differs from the kernel's, so a new key must
 * come with a new epoch.
 *
 * The file also carries what must outlive a restart: the next batch,
 * gateway and command sequences (floors, so that no nonce or command
 * sequence repeats whatever the clock says) and each member's highest
 * accepted sequence (a replay floor).  syncconf only ever raises them.
 * grpsec(8) describes the format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tool.h"

#define DEFAULT_KEYDIR "/etc/grpsec/keys"

static const char usage_showconf[] = "showconf [keydir DIR]";
static const char usage_setconf[] = "setconf FILE";
static const char usage_syncconf[] = "syncconf FILE [dry-run|verbose]";

struct conf_group {
	uint32_t id;
	uint8_t suite;
	uint8_t mode;
	bool has_limit;
	uint64_t msg_limit;
	uint32_t rate_limit;	/* 0, none, when the file has no RateLimit */
	uint32_t flags;		/* GRPSEC_GROUP_F_*: Terminate */
	bool has_deliver;
	struct sockaddr_storage deliver;
	socklen_t deliver_len;
	bool has_mcast;
	struct sockaddr_storage mcast;
	socklen_t mcast_len;
	bool has_cmd_seq;		/* CommandSequence: a floor */
	uint64_t cmd_seq;
	bool has_key, has_next_key;	/* GroupKey, NextGroupKey: K_G */
	struct key_ref key, next_key;
	uint32_t key_epoch, next_key_epoch;
	/* syncconf: what differs */
	bool set_limit, set_rate, set_flags, set_deliver, set_mcast, set_key,
	     set_next_key, clear_next_key, set_cmd_seq;
	unsigned int line;
};

struct conf {
	const char *file;
	char *dir;		/* the file's directory */
	char *keydir;		/* where relative key paths start */
	bool has_listen;
	uint16_t listen;
	bool has_gateway_seq;	/* GatewaySequence: a floor */
	uint64_t gateway_seq;
	bool has_upstream;
	struct upstream_spec up;
	struct conf_group *groups;
	size_t ngroups;
	struct member_spec *members;
	size_t nmembers, cap;
};

static void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->ngroups; i++) {
		key_wipe(&c->groups[i].key);
		key_wipe(&c->groups[i].next_key);
		free_wiped(c->groups[i].key.token);
		free_wiped(c->groups[i].next_key.token);
	}
	for (size_t i = 0; i < c->nmembers; i++)
		member_spec_free(&c->members[i]);
	upstream_spec_free(&c->up);
	free(c->members);
	free(c->groups);
	free(c->dir);
	free(c->keydir);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

enum section { S_NONE, S_GATEWAY, S_UPSTREAM, S_GROUP };

static const struct {
	const char *conf;
	const char *arg;
} upstream_keys[] = {
	{ "Endpoint", "endpoint" }, { "GatewayId", "gateway-id" },
	{ "Suite", "suite" }, { "Key", "key" }, { "BatchMax", "batch-max" },
	{ "FlushUsec", "flush-usec" }, { "Mtu", "mtu" },
	{ "DownlinkSequence", "dl-seq" }, { "BatchSequence", "seq" },
};

static struct member_spec *new_member(struct conf *c)
{
	if (c->nmembers == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct member_spec *m = realloc(c->members, cap * sizeof(*m));

		if (!m)
			return NULL;
		c->members = m;
		c->cap = cap;
	}
	memset(&c->members[c->nmembers], 0, sizeof(c->members[0]));
	return &c->members[c->nmembers];
}

/* Close a [Group] section: its members learn its id. */
static int group_end(struct conf *c, size_t first_member, bool has_id)
{
	struct conf_group *g = &c->groups[c->ngroups - 1];

	if (!has_id) {
		err_msg("%s:%u: [Group] without Id", c->file, g->line);
		return 1;
	}
	for (size_t i = 0; i < c->ngroups - 1; i++) {
		if (c->groups[i].id == g->id) {
			err_msg("%s:%u: group %u already defined on line %u",
				c->file, g->line, g->id, c->groups[i].line);
			return 1;
		}
	}
	for (size_t i = first_member; i < c->nmembers; i++)
		c->members[i].group = g->id;
	return 0;
}

/* "KEY [epoch E]": a key file (or hex key) and its epoch, 0 by default. */
static int group_key_parse(char *val, struct key_ref *key, uint32_t *epoch,
			   const char *where)
{
	char *tok[4];
	int ntok = split_line(val, tok, 4);

	if (key->token) {
		err_msg("%s: group key given twice", where);
		return 1;
	}
	if (ntok != 1 && !(ntok == 3 && !strcmp(tok[1], "epoch"))) {
		err_msg("%s: expected \"KEY [epoch E]\"", where);
		return 1;
	}
	if (!strcmp(tok[0], "-")) {
		err_msg("%s: a key in a file cannot come from standard input",
			where);
		return 1;
	}
	*epoch = 0;
	if (ntok == 3 && !parse_u32(tok[2], epoch, 0, UINT32_MAX)) {
		err_msg("%s: invalid epoch \"%s\"", where, tok[2]);
		return 1;
	}
	key->token = strdup(tok[0]);
	key->allow_literal = true;
	return 0;
}

static int conf_parse(struct conf *c, const char *file)
{
	enum section sec = S_NONE;
	size_t first_member = 0;
	bool group_has_id = false;
	unsigned int lineno = 0;
	struct secret_file sf;
	char *base;
	int bad = 0;

	memset(c, 0, sizeof(*c));
	c->file = file;
	if (secret_open(&sf, file))
		return EXIT_USAGE;
	if (!strcmp(file, "-")) {
		c->file = "<stdin>";
		c->dir = strdup(".");
	} else {
		c->dir = dir_of(file);
	}

	while (secret_getline(&sf)) {
		char where[320], *s, *eq, *key, *val, *hash;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", c->file, lineno);
		hash = strchr(sf.line, '#');
		if (hash)
			*hash = '\0';
		s = trim(sf.line);
		if (!*s)
			continue;

		if (*s == '[') {
			if (sec == S_GROUP && c->ngroups)
				bad += group_end(c, first_member, group_has_id);
			if (!strcasecmp(s, "[Gateway]")) {
				sec = S_GATEWAY;
			} else if (!strcasecmp(s, "[Upstream]")) {
				if (c->has_upstream) {
					err_msg("%s: a second [Upstream]", where);
					bad++;
				}
				sec = S_UPSTREAM;
				c->has_upstream = true;
			} else if (!strcasecmp(s, "[Group]")) {
				struct conf_group *g;

				g = realloc(c->groups, (c->ngroups + 1) * sizeof(*g));
				if (!g) {
					err_msg("out of memory");
					bad++;
					break;
				}
				c->groups = g;
				g = &c->groups[c->ngroups++];
				memset(g, 0, sizeof(*g));
				g->suite = GRPSEC_SUITE_AES128_GCM;
				g->mode = GRPSEC_MODE_ANONYMOUS;
				g->line = lineno;
				group_has_id = false;
				first_member = c->nmembers;
				sec = S_GROUP;
			} else {
				err_msg("%s: invalid section \"%s\"", where, s);
				bad++;
				sec = S_NONE;
			}
			continue;
		}

		/* The line is not quoted: it may hold a key. */
		eq = strchr(s, '=');
		if (!eq) {
			err_msg("%s: expected \"Key = Value\"", where);
			bad++;
			continue;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!*val) {
			err_msg("%s: %s has no value", where, key);
			bad++;
			continue;
		}

		if (sec == S_GATEWAY && !strcasecmp(key, "ListenPort")) {
			uint32_t port;

			if (!parse_u32(val, &port, 0, 65535)) {
				err_msg("%s: invalid port \"%s\"", where, val);
				bad++;
				continue;
			}
			c->listen = port;
			c->has_listen = true;
		} else if (sec == S_GATEWAY &&
			   !strcasecmp(key, "GatewaySequence")) {
			if (!parse_floor(val, &c->gateway_seq)) {
				err_msg("%s: invalid gateway sequence \"%s\" (0..%llu)",
					where, val,
					(unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
				bad++;
				continue;
			}
			c->has_gateway_seq = true;
		} else if (sec == S_GATEWAY && !strcasecmp(key, "KeyDirectory")) {
			free(c->keydir);
			c->keydir = strdup(val);
		} else if (sec == S_UPSTREAM) {
			char *argv[2] = { NULL, val };

			for (size_t i = 0; i < sizeof(upstream_keys) /
					       sizeof(upstream_keys[0]); i++)
				if (!strcasecmp(key, upstream_keys[i].conf))
					argv[0] = (char *)upstream_keys[i].arg;
			if (!argv[0]) {
				err_msg("%s: invalid key \"%s\" in [Upstream]",
					where, key);
				bad++;
				continue;
			}
			if (upstream_parse(argv, 2, &c->up, NULL, NULL, where))
				bad++;
		} else if (sec == S_GROUP) {
			struct conf_group *g = &c->groups[c->ngroups - 1];

			if (!strcasecmp(key, "Id")) {
				if (!parse_u32(val, &g->id, 1, UINT32_MAX)) {
					err_msg("%s: invalid group id \"%s\"", where, val);
					bad++;
				}
				group_has_id = true;
			} else if (!strcasecmp(key, "Suite")) {
				if (!parse_suite(val, &g->suite)) {
					err_msg("%s: invalid suite \"%s\"", where, val);
					bad++;
				}
			} else if (!strcasecmp(key, "Mode")) {
				if (!parse_mode(val, &g->mode)) {
					err_msg("%s: invalid mode \"%s\"", where, val);
					bad++;
				}
			} else if (!strcasecmp(key, "MsgLimit")) {
				if (!parse_u64(val, &g->msg_limit, 1, UINT64_MAX)) {
					err_msg("%s: invalid message limit \"%s\"",
						where, val);
					bad++;
				}
				g->has_limit = true;
			} else if (!strcasecmp(key, "RateLimit")) {
				if (!parse_u32(val, &g->rate_limit, 0, UINT32_MAX)) {
					err_msg("%s: invalid rate limit \"%s\"",
						where, val);
					bad++;
				}
			} else if (!strcasecmp(key, "CommandSequence")) {
				if (!parse_floor(val, &g->cmd_seq)) {
					err_msg("%s: invalid command sequence \"%s\" (0..%llu)",
						where, val,
						(unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
					bad++;
				}
				g->has_cmd_seq = true;
			} else if (!strcasecmp(key, "Terminate")) {
				if (!strcasecmp(val, "on")) {
					g->flags |= GRPSEC_GROUP_F_TERMINATE;
				} else if (!strcasecmp(val, "off")) {
					g->flags &= ~GRPSEC_GROUP_F_TERMINATE;
				} else {
					err_msg("%s: invalid Terminate \"%s\" (on or off)",
						where, val);
					bad++;
				}
			} else if (!strcasecmp(key, "Deliver")) {
				if (!parse_endpoint(val, &g->deliver, &g->deliver_len)) {
					err_msg("%s: invalid delivery address \"%s\"",
						where, val);
					bad++;
				}
				g->has_deliver = true;
			} else if (!strcasecmp(key, "Multicast")) {
				if (!parse_endpoint(val, &g->mcast, &g->mcast_len)) {
					err_msg("%s: invalid multicast address \"%s\"",
						where, val);
					bad++;
				}
				g->has_mcast = true;
			} else if (!strcasecmp(key, "GroupKey") ||
				   !strcasecmp(key, "NextGroupKey")) {
				bool next = !strcasecmp(key, "NextGroupKey");

				if (group_key_parse(val, next ? &g->next_key : &g->key,
						    next ? &g->next_key_epoch :
							   &g->key_epoch, where))
					bad++;
				else if (next)
					g->has_next_key = true;
				else
					g->has_key = true;
			} else if (!strcasecmp(key, "Member")) {
				struct member_spec *m = new_member(c);
				char *tok[16];
				int ntok;

				if (!m) {
					err_msg("out of memory");
					bad++;
					break;
				}
				m->file = c->file;
				m->line = lineno;
				ntok = split_line(val, tok, 16);
				if (ntok < 0) {
					err_msg("%s: too many words", where);
					bad++;
				} else if (member_line_parse(tok, ntok, m, NULL,
							     where)) {
					member_spec_free(m);
					bad++;
				} else {
					c->nmembers++;
				}
			} else {
				err_msg("%s: invalid key \"%s\" in [Group]", where,
					key);
				bad++;
			}
		} else {
			err_msg("%s: invalid key \"%s\"%s", where, key,
				sec == S_NONE ? " outside a section" : "");
			bad++;
		}
	}
	if (sec == S_GROUP && c->ngroups)
		bad += group_end(c, first_member, group_has_id);
	if (c->has_upstream && upstream_complete(&c->up, NULL, c->file))
		bad++;
	secret_close(&sf);

	/* Relative key paths start at KeyDirectory, itself relative to the file. */
	if (!c->keydir) {
		c->keydir = strdup(c->dir);
	} else if (c->keydir[0] != '/') {
		size_t n = strlen(c->dir) + strlen(c->keydir) + 2;

		base = malloc(n);
		if (base) {
			snprintf(base, n, "%s/%s", c->dir, c->keydir);
			free(c->keydir);
			c->keydir = base;
		}
	}
	c->up.key.dir = c->keydir;
	for (size_t i = 0; i < c->ngroups; i++) {
		c->groups[i].key.dir = c->keydir;
		c->groups[i].next_key.dir = c->keydir;
	}
	for (size_t i = 0; i < c->nmembers; i++) {
		c->members[i].key.dir = c->keydir;
		c->members[i].next_key.dir = c->keydir;
	}
	if (bad) {
		err_msg("%s: %d error%s, nothing applied", c->file, bad,
			bad == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- showconf ---- */

struct showconf_state {
	struct group_rec *groups;
	size_t ngroups, cap;
};

static int showconf_group(const struct group_rec *g, void *arg)
{
	struct showconf_state *st = arg;

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

static int showconf_member(const struct member_rec *m, void *arg)
{
	char ep[ENDPOINT_STRLEN];

	(void)arg;
	printf("Member = %u %u/%u.%u.key epoch %u", m->id, m->group, m->id,
	       m->epoch, m->epoch);
	if (HAVE(m, GRPSEC_A_MEMBER_NEXT_EPOCH))
		printf(" next-epoch %u next-key %u/%u.%u.key", m->next_epoch,
		       m->group, m->id, m->next_epoch);
	if (HAVE(m, GRPSEC_A_MEMBER_ENDPOINT)) {
		format_endpoint(&m->endpoint, ep, sizeof(ep));
		printf(" endpoint %s", ep);
	}
	/* After a restart, every frame up to it is a replay. */
	if (HAVE(m, GRPSEC_A_MEMBER_LAST_SEQ) && m->last_seq)
		printf(" last-seq %llu", (unsigned long long)m->last_seq);
	putchar('\n');
	return 0;
}

int cmd_showconf(int argc, char **argv)
{
	struct showconf_state st = { 0 };
	const char *keydir = DEFAULT_KEYDIR;
	char ep[ENDPOINT_STRLEN];
	struct upstream_rec u;
	struct info_rec info;
	bool configured;
	int ret;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		print_usage(usage_showconf);
		return EXIT_OK;
	}
	if (argc > 1) {
		if (strcmp(argv[1], "keydir"))
			return usage_fail(usage_showconf, "invalid argument \"%s\"",
					  argv[1]);
		if (argc < 3)
			return usage_fail(usage_showconf, "missing directory");
		keydir = argv[2];
	}
	if (argc > 3)
		return usage_fail(usage_showconf, "unexpected argument \"%s\"",
				  argv[3]);
	if (opt.json)
		return usage_fail(usage_showconf, "showconf has no JSON output");

	ret = kernel_open();
	if (ret)
		return ret;
	ret = get_info(&info);
	if (!ret)
		ret = get_upstream(&u, &configured);
	if (!ret)
		ret = dump_groups(showconf_group, &st);
	if (ret)
		goto out;

	printf("[Gateway]\n");
	printf("ListenPort = %u\n", info.listen_port);
	/* The sequences go in as floors: none repeats after a restart. */
	if (HAVE(&info, GRPSEC_A_GATEWAY_SEQ))
		printf("GatewaySequence = %llu\n",
		       (unsigned long long)info.gateway_seq);
	printf("KeyDirectory = %s\n", keydir);
	if (configured) {
		format_endpoint(&u.endpoint, ep, sizeof(ep));
		printf("\n[Upstream]\n");
		printf("Endpoint = %s\n", ep);
		if (HAVE(&u, GRPSEC_A_UPSTREAM_GATEWAY_ID))
			printf("GatewayId = %u\n", u.gateway_id);
		if (HAVE(&u, GRPSEC_A_UPSTREAM_SUITE))
			printf("Suite = %s\n", suite_name(u.suite));
		printf("Key = upstream.key\n");
		if (HAVE(&u, GRPSEC_A_UPSTREAM_BATCH_MAX))
			printf("BatchMax = %u\n", u.batch_max);
		if (HAVE(&u, GRPSEC_A_UPSTREAM_FLUSH_USEC))
			printf("FlushUsec = %u\n", u.flush_usec);
		if (HAVE(&u, GRPSEC_A_UPSTREAM_MTU))
			printf("Mtu = %u\n", u.mtu);
		/* Saved at shutdown, it keeps old downlinks out after a restart. */
		if (HAVE(&u, GRPSEC_A_UPSTREAM_DL_SEQ) && u.dl_seq)
			printf("DownlinkSequence = %llu\n",
			       (unsigned long long)u.dl_seq);
		if (HAVE(&u, GRPSEC_A_UPSTREAM_SEQ))
			printf("BatchSequence = %llu\n",
			       (unsigned long long)u.seq);
	}
	for (size_t i = 0; i < st.ngroups && !ret; i++) {
		const struct group_rec *g = &st.groups[i];

		printf("\n[Group]\n");
		printf("Id = %u\n", g->id);
		printf("Suite = %s\n", suite_name(g->suite));
		printf("Mode = %s\n", mode_name(g->mode));
		if (HAVE(g, GRPSEC_A_GROUP_MSG_LIMIT))
			printf("MsgLimit = %llu\n",
			       (unsigned long long)g->msg_limit);
		if (HAVE(g, GRPSEC_A_GROUP_RATE_LIMIT) && g->rate_limit)
			printf("RateLimit = %u\n", g->rate_limit);
		if (g->flags & GRPSEC_GROUP_F_TERMINATE) {
			printf("Terminate = on\n");
			if (HAVE(g, GRPSEC_A_GROUP_CMD_SEQ))
				printf("CommandSequence = %llu\n",
				       (unsigned long long)g->cmd_seq);
			if (HAVE(g, GRPSEC_A_GROUP_EPOCH))
				printf("GroupKey = %u/group.%u.key epoch %u\n",
				       g->id, g->epoch, g->epoch);
			if (HAVE(g, GRPSEC_A_GROUP_NEXT_EPOCH))
				printf("NextGroupKey = %u/group.%u.key epoch %u\n",
				       g->id, g->next_epoch, g->next_epoch);
		}
		if (HAVE(g, GRPSEC_A_GROUP_DELIVER)) {
			format_endpoint(&g->deliver, ep, sizeof(ep));
			printf("Deliver = %s\n", ep);
		}
		if (HAVE(g, GRPSEC_A_GROUP_MCAST)) {
			format_endpoint(&g->mcast, ep, sizeof(ep));
			printf("Multicast = %s\n", ep);
		}
		ret = dump_members(g->id, showconf_member, NULL);
	}
out:
	free(st.groups);
	return ret;
}

/* ---- the kernel's state, for comparing ---- */

struct kmember {
	uint32_t group, id, epoch, next_epoch;
	uint64_t last_seq;
	bool has_epoch, has_next, has_endpoint;
	struct sockaddr_storage endpoint;
	socklen_t endpoint_len;
};

struct kstate {
	struct info_rec info;
	struct upstream_rec up;
	bool up_configured;
	struct group_rec *groups;
	size_t ngroups, gcap;
	struct kmember *members;
	size_t nmembers, mcap;
};

static int kstate_group(const struct group_rec *g, void *arg)
{
	struct kstate *k = arg;

	if (k->ngroups == k->gcap) {
		size_t cap = k->gcap ? 2 * k->gcap : 16;
		struct group_rec *n = realloc(k->groups, cap * sizeof(*n));

		if (!n)
			return EXIT_KERNEL;
		k->groups = n;
		k->gcap = cap;
	}
	k->groups[k->ngroups++] = *g;
	return 0;
}

static int kstate_member(const struct member_rec *m, void *arg)
{
	struct kstate *k = arg;
	struct kmember *km;

	if (k->nmembers == k->mcap) {
		size_t cap = k->mcap ? 2 * k->mcap : 1024;
		struct kmember *n = realloc(k->members, cap * sizeof(*n));

		if (!n)
			return EXIT_KERNEL;
		k->members = n;
		k->mcap = cap;
	}
	km = &k->members[k->nmembers++];
	memset(km, 0, sizeof(*km));
	km->group = m->group;
	km->id = m->id;
	km->epoch = m->epoch;
	km->next_epoch = m->next_epoch;
	km->has_epoch = HAVE(m, GRPSEC_A_MEMBER_EPOCH);
	km->has_next = HAVE(m, GRPSEC_A_MEMBER_NEXT_EPOCH);
	km->has_endpoint = HAVE(m, GRPSEC_A_MEMBER_ENDPOINT);
	km->last_seq = m->last_seq;
	km->endpoint = m->endpoint;
	km->endpoint_len = m->endpoint_len;
	return 0;
}

static void kstate_free(struct kstate *k)
{
	free(k->groups);
	free(k->members);
}

/* A listing that raced with a change is read again, a few times. */
static int kstate_read(struct kstate *k)
{
	int ret;

	for (int tries = 0; tries < 4; tries++) {
		kstate_free(k);
		memset(k, 0, sizeof(*k));
		ret = get_info(&k->info);
		if (!ret)
			ret = get_upstream(&k->up, &k->up_configured);
		if (!ret)
			ret = dump_groups(kstate_group, k);
		if (!ret && !nl.dump_interrupted)
			ret = dump_members(0, kstate_member, k);
		if (ret)
			return ret;
		if (!nl.dump_interrupted)
			return 0;
	}
	err_msg("the configuration kept changing while it was read");
	return EXIT_KERNEL;
}

/* ---- the plan: what to change ---- */

struct plan {
	bool set_listen;
	bool set_gateway_seq;
	bool set_upstream;
	bool del_upstream;
	uint32_t *del_groups;
	size_t ndel_groups;
	struct conf_group **new_groups;
	size_t nnew_groups;
	struct conf_group **set_groups;
	size_t nset_groups;
	struct member_spec *del_members;
	size_t ndel_members;
	struct member_spec *set_members;
	size_t nset_members;
	struct member_spec *new_members;	/* copies of conf's, not owned */
	size_t nnew_members;
	size_t cap_del, cap_set, cap_new;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nset_members; i++)
		member_spec_free(&p->set_members[i]);
	/* new_members share their key tokens with the conf. */
	for (size_t i = 0; i < p->nnew_members; i++) {
		key_wipe(&p->new_members[i].key);
		key_wipe(&p->new_members[i].next_key);
	}
	free(p->del_groups);
	free(p->new_groups);
	free(p->set_groups);
	free(p->del_members);
	free(p->set_members);
	free(p->new_members);
}

static struct member_spec *grow(struct member_spec **arr, size_t *n,
				size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct member_spec *a = realloc(*arr, c * sizeof(*a));

		if (!a)
			return NULL;
		*arr = a;
		*cap = c;
	}
	memset(&(*arr)[*n], 0, sizeof((*arr)[0]));
	return &(*arr)[(*n)++];
}

static int cmp_spec(const void *a, const void *b)
{
	const struct member_spec *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_kmember(const void *a, const void *b)
{
	const struct kmember *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool endpoint_equal(const struct sockaddr_storage *a, socklen_t alen,
			   const struct sockaddr_storage *b, socklen_t blen)
{
	if (alen != blen || a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

static const struct conf_group *conf_group_find(const struct conf *c,
						uint32_t id)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i].id == id)
			return &c->groups[i];
	return NULL;
}

static const struct group_rec *kgroup_find(const struct kstate *k, uint32_t id)
{
	for (size_t i = 0; i < k->ngroups; i++)
		if (k->groups[i].id == id)
			return &k->groups[i];
	return NULL;
}

/* A group whose suite or mode changed cannot be changed in place. */
static bool group_replaced(const struct conf *c, const struct kstate *k,
			   uint32_t id)
{
	const struct conf_group *cg = conf_group_find(c, id);
	const struct group_rec *kg = kgroup_find(k, id);

	return cg && kg && (cg->suite != kg->suite || cg->mode != kg->mode);
}

static bool upstream_differs(const struct conf *c, const struct kstate *k)
{
	const struct upstream_rec *w = &c->up.rec, *h = &k->up;

	if (!k->up_configured)
		return true;
#define DIFF(attr, field) (HAVE(w, attr) && (!HAVE(h, attr) || w->field != h->field))
	if (HAVE(w, GRPSEC_A_UPSTREAM_ENDPOINT) &&
	    !endpoint_equal(&w->endpoint, w->endpoint_len, &h->endpoint,
			    h->endpoint_len))
		return true;
	return DIFF(GRPSEC_A_UPSTREAM_GATEWAY_ID, gateway_id) ||
	       DIFF(GRPSEC_A_UPSTREAM_SUITE, suite) ||
	       DIFF(GRPSEC_A_UPSTREAM_BATCH_MAX, batch_max) ||
	       DIFF(GRPSEC_A_UPSTREAM_FLUSH_USEC, flush_usec) ||
	       DIFF(GRPSEC_A_UPSTREAM_MTU, mtu) ||
	       /* The kernel's move on by themselves: only a higher floor counts. */
	       (HAVE(w, GRPSEC_A_UPSTREAM_SEQ) &&
		(!HAVE(h, GRPSEC_A_UPSTREAM_SEQ) || w->seq > h->seq)) ||
	       (HAVE(w, GRPSEC_A_UPSTREAM_DL_SEQ) &&
		(!HAVE(h, GRPSEC_A_UPSTREAM_DL_SEQ) || w->dl_seq > h->dl_seq));
#undef DIFF
}

/* What of a group's terminate mode and multicast address differs. */
static void group_diff(struct conf_group *cg, const struct group_rec *kg)
{
	cg->set_flags = cg->flags != kg->flags;
	cg->set_deliver = cg->has_deliver != HAVE(kg, GRPSEC_A_GROUP_DELIVER) ||
		(cg->has_deliver &&
		 !endpoint_equal(&cg->deliver, cg->deliver_len, &kg->deliver,
				 kg->deliver_len));
	cg->set_mcast = cg->has_mcast != HAVE(kg, GRPSEC_A_GROUP_MCAST) ||
		(cg->has_mcast &&
		 !endpoint_equal(&cg->mcast, cg->mcast_len, &kg->mcast,
				 kg->mcast_len));
	cg->set_key = cg->has_key && (!HAVE(kg, GRPSEC_A_GROUP_EPOCH) ||
				      kg->epoch != cg->key_epoch);
	cg->set_next_key = cg->has_next_key &&
		(!HAVE(kg, GRPSEC_A_GROUP_NEXT_EPOCH) ||
		 kg->next_epoch != cg->next_key_epoch);
	cg->clear_next_key = !cg->has_next_key &&
			     HAVE(kg, GRPSEC_A_GROUP_NEXT_EPOCH);
}

static char *dup_token(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * Compare the file with the kernel (k NULL: an empty gateway, as setconf
 * leaves it) and list the changes.  Sorts c->members.
 */
static int plan_make(struct conf *c, struct kstate *k, struct plan *p,
		     bool verbose)
{
	struct kstate empty = { 0 };
	size_t i = 0, j = 0;
	char ep[ENDPOINT_STRLEN];

	memset(p, 0, sizeof(*p));
	if (!k)
		k = &empty;

	p->set_listen = k == &empty ||
			c->listen != k->info.listen_port;
	if (p->set_listen && verbose)
		printf("listen-port %u\n", c->listen);
	/* Sequence floors only ever rise: a lower one changes nothing. */
	p->set_gateway_seq = c->has_gateway_seq &&
		(k == &empty || c->gateway_seq > k->info.gateway_seq);
	if (p->set_gateway_seq && verbose)
		printf("gateway-seq %llu\n",
		       (unsigned long long)c->gateway_seq);
	p->set_upstream = c->has_upstream && upstream_differs(c, k);
	if (p->set_upstream && verbose)
		printf("upstream set\n");
	p->del_upstream = !c->has_upstream && k->up_configured;
	if (p->del_upstream && verbose)
		printf("upstream del\n");

	p->del_groups = calloc(k->ngroups + 1, sizeof(*p->del_groups));
	p->new_groups = calloc(c->ngroups + 1, sizeof(*p->new_groups));
	p->set_groups = calloc(c->ngroups + 1, sizeof(*p->set_groups));
	if (!p->del_groups || !p->new_groups || !p->set_groups)
		return EXIT_USAGE;
	for (size_t g = 0; g < k->ngroups; g++) {
		const struct group_rec *kg = &k->groups[g];

		if (!conf_group_find(c, kg->id) || group_replaced(c, k, kg->id)) {
			p->del_groups[p->ndel_groups++] = kg->id;
			if (verbose)
				printf("group %u del\n", kg->id);
		}
	}
	for (size_t g = 0; g < c->ngroups; g++) {
		struct conf_group *cg = &c->groups[g];
		const struct group_rec *kg = kgroup_find(k, cg->id);

		if (!kg || group_replaced(c, k, cg->id)) {
			p->new_groups[p->nnew_groups++] = cg;
			if (verbose)
				printf("group %u add\n", cg->id);
		} else {
			/* A kernel that does not dump it has none. */
			uint32_t krate = HAVE(kg, GRPSEC_A_GROUP_RATE_LIMIT) ?
					 kg->rate_limit : 0;

			cg->set_limit = cg->has_limit &&
				(!HAVE(kg, GRPSEC_A_GROUP_MSG_LIMIT) ||
				 kg->msg_limit != cg->msg_limit);
			cg->set_rate = krate != cg->rate_limit;
			/* Dumped in terminate mode only, where SEND uses it. */
			cg->set_cmd_seq = cg->has_cmd_seq &&
				(HAVE(kg, GRPSEC_A_GROUP_CMD_SEQ) ?
				 cg->cmd_seq > kg->cmd_seq :
				 !!(cg->flags & GRPSEC_GROUP_F_TERMINATE));
			group_diff(cg, kg);
			if (cg->set_limit || cg->set_rate || cg->set_flags ||
			    cg->set_deliver || cg->set_mcast || cg->set_key ||
			    cg->set_next_key || cg->clear_next_key ||
			    cg->set_cmd_seq)
				p->set_groups[p->nset_groups++] = cg;
			if (verbose && cg->set_limit)
				printf("group %u set msg-limit %llu\n", cg->id,
				       (unsigned long long)cg->msg_limit);
			if (verbose && cg->set_rate)
				printf("group %u set rate-limit %u\n", cg->id,
				       cg->rate_limit);
			if (verbose && cg->set_cmd_seq)
				printf("group %u set cmd-seq %llu\n", cg->id,
				       (unsigned long long)cg->cmd_seq);
			if (verbose && cg->set_flags)
				printf("group %u set terminate %s\n", cg->id,
				       cg->flags & GRPSEC_GROUP_F_TERMINATE ?
				       "on" : "off");
			if (verbose && cg->set_key)
				printf("group %u set key epoch %u\n", cg->id,
				       cg->key_epoch);
			if (verbose && cg->set_next_key)
				printf("group %u set next-key epoch %u\n", cg->id,
				       cg->next_key_epoch);
			if (verbose && cg->clear_next_key)
				printf("group %u set next-key none\n", cg->id);
			if (verbose && cg->set_deliver && cg->has_deliver) {
				format_endpoint(&cg->deliver, ep, sizeof(ep));
				printf("group %u set deliver %s\n", cg->id, ep);
			} else if (verbose && cg->set_deliver) {
				printf("group %u set deliver none\n", cg->id);
			}
			if (verbose && cg->set_mcast && cg->has_mcast) {
				format_endpoint(&cg->mcast, ep, sizeof(ep));
				printf("group %u set mcast %s\n", cg->id, ep);
			} else if (verbose && cg->set_mcast) {
				printf("group %u set mcast none\n", cg->id);
			}
		}
	}

	qsort(c->members, c->nmembers, sizeof(c->members[0]), cmp_spec);
	for (size_t m = 1; m < c->nmembers; m++) {
		if (!cmp_kmember(&(struct kmember){ .group = c->members[m].group,
						     .id = c->members[m].id },
				 &(struct kmember){ .group = c->members[m - 1].group,
						     .id = c->members[m - 1].id })) {
			err_msg("%s:%u: member %u/%u already given on line %u",
				c->file, c->members[m].line, c->members[m].group,
				c->members[m].id, c->members[m - 1].line);
			return EXIT_USAGE;
		}
	}
	qsort(k->members, k->nmembers, sizeof(k->members[0]), cmp_kmember);

	/* Merge the two sorted lists. */
	while (i < c->nmembers || j < k->nmembers) {
		struct member_spec *cm = i < c->nmembers ? &c->members[i] : NULL;
		const struct kmember *km = j < k->nmembers ? &k->members[j] : NULL;
		struct member_spec *s;
		int cmp;

		if (!cm)
			cmp = 1;
		else if (!km)
			cmp = -1;
		else
			cmp = cmp_kmember(&(struct kmember){ .group = cm->group,
							      .id = cm->id }, km);
		/*
		 * A member only the kernel has goes, and so does one whose
		 * group is replaced (it comes back below).  Members of a
		 * group that goes are deleted explicitly first, so that the
		 * group is empty when it is deleted.
		 */
		if (cmp > 0 || (cmp == 0 && group_replaced(c, k, km->group))) {
			s = grow(&p->del_members, &p->ndel_members, &p->cap_del);
			if (!s)
				return EXIT_USAGE;
			s->group = km->group;
			s->id = km->id;
			/* A group that goes takes its members: no line each. */
			if (verbose && cmp > 0 && conf_group_find(c, km->group) &&
			    !group_replaced(c, k, km->group))
				printf("member %u/%u del\n", km->group, km->id);
			j++;
			if (cmp > 0)
				continue;
		}
		if (cmp < 0 || group_replaced(c, k, cm->group)) {
			s = grow(&p->new_members, &p->nnew_members, &p->cap_new);
			if (!s)
				return EXIT_USAGE;
			*s = *cm;
			if (verbose)
				printf("member %u/%u add\n", cm->group, cm->id);
			i++;
			continue;
		}

		/* In both: change only what differs. */
		{
			struct member_spec d = { .group = cm->group, .id = cm->id,
						 .file = cm->file, .line = cm->line };
			char what[160] = "";
			size_t off = 0;

			/* The kernel's current slot may have been emptied. */
			if (!km->has_epoch || cm->epoch != km->epoch) {
				d.has_key = d.has_epoch = true;
				d.epoch = cm->epoch;
				d.key = cm->key;
				d.key.token = dup_token(cm->key.token);
				off += snprintf(what + off, sizeof(what) - off,
						" epoch %u", cm->epoch);
			}
			if (cm->has_next &&
			    (!km->has_next || km->next_epoch != cm->next_epoch)) {
				d.has_next = true;
				d.next_epoch = cm->next_epoch;
				d.next_key = cm->next_key;
				d.next_key.token = dup_token(cm->next_key.token);
				off += snprintf(what + off, sizeof(what) - off,
						" next-epoch %u", cm->next_epoch);
			}
			if (!cm->has_next && km->has_next) {
				d.clear_next = true;
				off += snprintf(what + off, sizeof(what) - off,
						" next-epoch none");
			}
			if (cm->has_endpoint &&
			    (!km->has_endpoint ||
			     !endpoint_equal(&cm->endpoint, cm->endpoint_len,
					     &km->endpoint, km->endpoint_len))) {
				d.has_endpoint = true;
				d.endpoint = cm->endpoint;
				d.endpoint_len = cm->endpoint_len;
				format_endpoint(&cm->endpoint, ep, sizeof(ep));
				off += snprintf(what + off, sizeof(what) - off,
						" endpoint %s", ep);
			}
			/* The kernel's moves on by itself: only a higher floor. */
			if (cm->has_last_seq && cm->last_seq > km->last_seq) {
				d.has_last_seq = true;
				d.last_seq = cm->last_seq;
				snprintf(what + off, sizeof(what) - off,
					 " last-seq %llu",
					 (unsigned long long)cm->last_seq);
			}
			if (d.has_key || d.has_next || d.clear_next ||
			    d.has_endpoint || d.has_last_seq) {
				s = grow(&p->set_members, &p->nset_members,
					 &p->cap_set);
				if (!s) {
					member_spec_free(&d);
					return EXIT_USAGE;
				}
				*s = d;
				if (verbose)
					printf("member %u/%u set%s\n", cm->group,
					       cm->id, what);
			}
			i++;
			j++;
		}
	}
	return 0;
}

static uint8_t group_suite(const struct conf *c, uint32_t id)
{
	const struct conf_group *g = conf_group_find(c, id);

	return g ? g->suite : GRPSEC_SUITE_AES128_GCM;
}

/* Every key the plan sends is read before anything changes. */
static int plan_resolve_keys(const struct conf *c, struct plan *p)
{
	int bad = 0;

	for (size_t i = 0; i < p->nnew_groups + p->nset_groups; i++) {
		struct conf_group *g = i < p->nnew_groups ? p->new_groups[i] :
				       p->set_groups[i - p->nnew_groups];
		bool new = i < p->nnew_groups;
		size_t len = suite_key_len(g->suite);
		char where[320];

		snprintf(where, sizeof(where), "%s:%u: group %u", c->file,
			 g->line, g->id);
		if (g->has_key && (new || g->set_key) &&
		    key_resolve(&g->key, len, where))
			bad++;
		if (g->has_next_key && (new || g->set_next_key) &&
		    key_resolve(&g->next_key, len, where))
			bad++;
	}
	for (size_t i = 0; i < p->nnew_members; i++) {
		struct member_spec *s = &p->new_members[i];

		if (!conf_group_find(c, s->group)) {
			err_msg("%s:%u: no group %u", s->file, s->line, s->group);
			bad++;
		} else if (member_resolve_keys(s, group_suite(c, s->group))) {
			bad++;
		}
	}
	for (size_t i = 0; i < p->nset_members; i++)
		if (member_resolve_keys(&p->set_members[i],
					group_suite(c, p->set_members[i].group)))
			bad++;
	if (bad) {
		err_msg("%s: %d unusable key%s, nothing applied", c->file, bad,
			bad == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * The request for a group: a new one gets everything the file gives (the
 * rate and the flags only when there are some, for kernels without them),
 * one that changes what plan_make() found different.
 */
static void conf_group_spec(struct conf_group *g, bool new,
			    struct group_spec *gs)
{
	if (new) {
		g->set_limit = g->has_limit;
		g->set_rate = g->rate_limit != 0;
		g->set_flags = g->flags != 0;
		g->set_key = g->has_key;
		g->set_next_key = g->has_next_key;
		g->clear_next_key = false;
		g->set_deliver = g->has_deliver;
		g->set_mcast = g->has_mcast;
		g->set_cmd_seq = g->has_cmd_seq;
	}
	*gs = (struct group_spec){
		.id = g->id,
		.suite = new ? &g->suite : NULL,
		.mode = new ? &g->mode : NULL,
		.msg_limit = g->set_limit ? &g->msg_limit : NULL,
		.rate_limit = g->set_rate ? &g->rate_limit : NULL,
		.flags = g->set_flags ? &g->flags : NULL,
		.cmd_seq = g->set_cmd_seq ? &g->cmd_seq : NULL,
		.key = g->set_key ? &g->key : NULL,
		.key_epoch = g->key_epoch,
		.next_key = g->set_next_key ? &g->next_key : NULL,
		.next_key_epoch = g->next_key_epoch,
		.clear_next_key = g->clear_next_key,
		.set_deliver = g->set_deliver,
		.deliver = g->deliver,
		.deliver_len = g->has_deliver ? g->deliver_len : 0,
		.set_mcast = g->set_mcast,
		.mcast = g->mcast,
		.mcast_len = g->has_mcast ? g->mcast_len : 0,
	};
}

static int plan_apply(struct conf *c, struct plan *p)
{
	size_t failed, total = 0;
	char where[320];
	int ret = 0;

	if ((p->set_listen || p->set_gateway_seq) &&
	    listen_send(p->set_listen ? &c->listen : NULL,
			p->set_gateway_seq ? &c->gateway_seq : NULL))
		ret = EXIT_KERNEL;
	if (p->set_upstream) {
		snprintf(where, sizeof(where), "%s [Upstream]", c->file);
		if (upstream_send(&c->up, where))
			ret = EXIT_KERNEL;
	}
	if (p->del_upstream && upstream_del(true))
		ret = EXIT_KERNEL;
	if (p->ndel_members) {
		member_batch(GRPSEC_CMD_DEL_MEMBER, p->del_members,
			     p->ndel_members, &failed);
		total += failed;
	}
	for (size_t i = 0; i < p->ndel_groups; i++)
		if (group_del_send(p->del_groups[i]))
			ret = EXIT_KERNEL;
	for (size_t i = 0; i < p->nnew_groups + p->nset_groups; i++) {
		bool new = i < p->nnew_groups;
		struct group_spec gs;

		conf_group_spec(new ? p->new_groups[i] :
			       p->set_groups[i - p->nnew_groups], new, &gs);
		if (group_send(new ? GRPSEC_CMD_NEW_GROUP : GRPSEC_CMD_SET_GROUP,
			       &gs))
			ret = EXIT_KERNEL;
	}
	if (p->nset_members) {
		member_batch(GRPSEC_CMD_SET_MEMBER, p->set_members,
			     p->nset_members, &failed);
		total += failed;
	}
	if (p->nnew_members) {
		member_batch(GRPSEC_CMD_NEW_MEMBER, p->new_members,
			     p->nnew_members, &failed);
		total += failed;
	}
	if (total) {
		err_msg("%s: the kernel refused %zu member change%s", c->file,
			total, total == 1 ? "" : "s");
		ret = EXIT_KERNEL;
	}
	return ret;
}

/* Remove every member and group: setconf starts from nothing. */
static int clear_all(void)
{
	struct kstate k = { 0 };
	struct member_spec *specs;
	size_t failed = 0;
	int ret;

	ret = kstate_read(&k);
	if (ret)
		goto out;
	specs = calloc(k.nmembers + 1, sizeof(*specs));
	if (!specs) {
		ret = EXIT_KERNEL;
		goto out;
	}
	for (size_t i = 0; i < k.nmembers; i++) {
		specs[i].group = k.members[i].group;
		specs[i].id = k.members[i].id;
	}
	if (k.nmembers)
		ret = member_batch(GRPSEC_CMD_DEL_MEMBER, specs, k.nmembers,
				   &failed);
	free(specs);
	for (size_t i = 0; i < k.ngroups && !ret; i++)
		ret = group_del_send(k.groups[i].id);
out:
	kstate_free(&k);
	return ret;
}

int cmd_setconf(int argc, char **argv)
{
	struct plan p;
	struct conf c;
	int ret;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		print_usage(usage_setconf);
		return EXIT_OK;
	}
	if (argc != 2)
		return usage_fail(usage_setconf, argc < 2 ? "missing file" :
				  "unexpected argument \"%s\"", argv[2]);
	ret = conf_parse(&c, argv[1]);
	if (ret)
		goto out_conf;
	ret = kernel_open();
	if (ret)
		goto out_conf;
	ret = plan_make(&c, NULL, &p, false);
	if (!ret)
		ret = plan_resolve_keys(&c, &p);
	if (!ret && c.has_upstream && c.up.has_key) {
		/* Checked here so that a bad upstream key changes nothing. */
		uint8_t suite = HAVE(&c.up.rec, GRPSEC_A_UPSTREAM_SUITE) ?
				c.up.rec.suite : GRPSEC_SUITE_AES128_GCM;
		char where[320];

		snprintf(where, sizeof(where), "%s [Upstream]", c.file);
		ret = key_resolve(&c.up.key, suite_key_len(suite), where);
		key_wipe(&c.up.key);
	}
	/* A file without [Upstream] leaves none; one with it replaces it. */
	if (!ret && !c.has_upstream)
		ret = upstream_del(true);
	if (!ret)
		ret = clear_all();
	if (!ret)
		ret = plan_apply(&c, &p);
	plan_free(&p);
out_conf:
	conf_free(&c);
	return ret;
}

int cmd_syncconf(int argc, char **argv)
{
	struct kstate k = { 0 };
	bool dry_run = false, verbose = false;
	struct plan p;
	struct conf c;
	int ret;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		print_usage(usage_syncconf);
		return EXIT_OK;
	}
	if (argc < 2)
		return usage_fail(usage_syncconf, "missing file");
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "dry-run"))
			dry_run = verbose = true;
		else if (!strcmp(argv[i], "verbose"))
			verbose = true;
		else
			return usage_fail(usage_syncconf, "invalid argument \"%s\"",
					  argv[i]);
	}
	ret = conf_parse(&c, argv[1]);
	if (ret)
		goto out_conf;
	ret = kernel_open();
	if (!ret)
		ret = kstate_read(&k);
	if (ret)
		goto out;
	ret = plan_make(&c, &k, &p, verbose);
	if (!ret && !dry_run)
		ret = plan_resolve_keys(&c, &p);
	if (!ret && !dry_run)
		ret = plan_apply(&c, &p);
	plan_free(&p);
out:
	kstate_free(&k);
out_conf:
	conf_free(&c);
	return ret;
}
