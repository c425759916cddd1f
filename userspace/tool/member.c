// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec member add|set|del|show|import
 *
 * Members travel GRPSEC_MEMBERS_PER_MSG to a request.  The kernel applies
 * a request's members in order and stops at the first it refuses,
 * pointing at it in the extended ACK; we report that one and send the
 * rest again, so a bulk import costs one round trip per batch, not per
 * member, and still names every line the kernel refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>

#include "tool.h"

static const char usage_add[] =
	"member add GROUP ID [epoch E] key FILE [next-epoch E2 next-key FILE2] [endpoint ADDR:PORT] [last-seq N]";
static const char usage_set[] =
	"member set GROUP ID [epoch E key FILE] [next-epoch E2 next-key FILE2] [endpoint ADDR:PORT] [last-seq N]";
static const char usage_del[] = "member del GROUP ID";
static const char usage_show[] =
	"member show [GROUP] [epoch|next-epoch|last-seq|last-epoch|endpoint|dump]";
static const char usage_import[] = "member import GROUP FILE";

enum member_syntax {
	SYNTAX_ADD,	/* command line: key required */
	SYNTAX_SET,	/* command line: anything, at least one thing */
	SYNTAX_LINE,	/* import and configuration files */
};

/*
 * The keyword part shared by the command line and the files: epoch E,
 * key KEY, next-epoch E2, next-key KEY2, endpoint ADDR:PORT, last-seq N
 * (the replay floor: the member's sequences up to N are refused, as after
 * a restart from a saved configuration).  Errors are printed with where
 * (a usage line, or "file:line").
 */
static int parse_keywords(char **tok, int ntok, struct member_spec *spec,
			  const char *dir, bool literal, const char *usage,
			  const char *where)
{
	bool has_next_key = false, has_next_epoch = false;

#define BAD(...) where_fail(usage, where, __VA_ARGS__)

	for (int i = 0; i < ntok; i += 2) {
		const char *key = tok[i], *val = i + 1 < ntok ? tok[i + 1] : NULL;

		if (strcmp(key, "epoch") && strcmp(key, "key") &&
		    strcmp(key, "next-epoch") && strcmp(key, "next-key") &&
		    strcmp(key, "endpoint") && strcmp(key, "last-seq"))
			return BAD("invalid argument \"%s\"", key);
		if (!val)
			return BAD("missing value after \"%s\"", key);
		if (!strcmp(key, "epoch")) {
			if (!parse_u32(val, &spec->epoch, 0, UINT32_MAX))
				return BAD("invalid epoch \"%s\"", val);
			spec->has_epoch = true;
		} else if (!strcmp(key, "next-epoch")) {
			if (!parse_u32(val, &spec->next_epoch, 0, UINT32_MAX))
				return BAD("invalid epoch \"%s\"", val);
			has_next_epoch = true;
		} else if (!strcmp(key, "key")) {
			if (spec->has_key)
				return BAD("key given twice");
			spec->key.token = strdup(val);
			spec->key.dir = dir;
			spec->key.allow_literal = literal;
			spec->has_key = true;
		} else if (!strcmp(key, "next-key")) {
			if (has_next_key)
				return BAD("next-key given twice");
			spec->next_key.token = strdup(val);
			spec->next_key.dir = dir;
			spec->next_key.allow_literal = literal;
			has_next_key = true;
		} else if (!strcmp(key, "last-seq")) {
			if (!parse_floor(val, &spec->last_seq))
				return BAD("invalid last-seq \"%s\" (0..%llu)", val,
					   (unsigned long long)GRPSEC_SEQ_FLOOR_MAX);
			spec->has_last_seq = true;
		} else {
			if (!parse_endpoint(val, &spec->endpoint,
					    &spec->endpoint_len))
				return BAD("invalid endpoint \"%s\"", val);
			spec->has_endpoint = true;
		}
	}
	if (has_next_key != has_next_epoch)
		return BAD("next-key and next-epoch go together");
	spec->has_next = has_next_key;
	if (spec->has_key && spec->next_key.token &&
	    !strcmp(spec->key.token, "-") && !strcmp(spec->next_key.token, "-"))
		return BAD("only one key can come from standard input");
	return 0;
#undef BAD
}

/* ID KEY [epoch E] [next-epoch E2 next-key KEY2] [endpoint ADDR:PORT] [last-seq N] */
int member_line_parse(char **tok, int ntok, struct member_spec *spec,
		      const char *dir, const char *where)
{
	int ret;

	if (ntok < 2) {
		err_msg("%s: expected \"ID KEY [epoch E] [next-epoch E2 next-key KEY2] [endpoint ADDR:PORT] [last-seq N]\"",
			where);
		return EXIT_USAGE;
	}
	if (!parse_u32(tok[0], &spec->id, 1, UINT32_MAX)) {
		err_msg("%s: invalid member id \"%s\"", where, tok[0]);
		return EXIT_USAGE;
	}
	if (!strcmp(tok[1], "-")) {
		err_msg("%s: a key in a file cannot come from standard input",
			where);
		return EXIT_USAGE;
	}
	spec->key.token = strdup(tok[1]);
	spec->key.dir = dir;
	spec->key.allow_literal = true;
	spec->has_key = true;
	ret = parse_keywords(tok + 2, ntok - 2, spec, dir, true, NULL, where);
	if (ret)
		return ret;
	if (spec->has_next && !strcmp(spec->next_key.token, "-")) {
		err_msg("%s: a key in a file cannot come from standard input",
			where);
		return EXIT_USAGE;
	}
	return 0;
}

void member_spec_free(struct member_spec *spec)
{
	key_wipe(&spec->key);
	key_wipe(&spec->next_key);
	/* A token in a file may be the key itself. */
	free_wiped(spec->key.token);
	free_wiped(spec->next_key.token);
	spec->key.token = spec->next_key.token = NULL;
}

static void where_of(const struct member_spec *spec, char *buf, size_t size)
{
	if (spec->file)
		snprintf(buf, size, "%s:%u", spec->file, spec->line);
	else
		snprintf(buf, size, "member %u/%u", spec->group, spec->id);
}

/* Read the spec's keys, now that the group's suite says their length. */
int member_resolve_keys(struct member_spec *spec, uint8_t suite)
{
	size_t len = suite_key_len(suite);
	char where[320];
	int ret;

	where_of(spec, where, sizeof(where));
	if (spec->has_key) {
		ret = key_resolve(&spec->key, len, where);
		if (ret)
			return ret;
	}
	if (spec->has_next)
		return key_resolve(&spec->next_key, len, where);
	return 0;
}

static int put_member(struct nl_msg *msg, uint8_t cmd,
		      const struct member_spec *spec)
{
	struct nlattr *nest = nla_nest_start(msg, GRPSEC_A_MEMBER);

	if (!nest || nla_put_u32(msg, GRPSEC_A_MEMBER_GROUP, spec->group) ||
	    nla_put_u32(msg, GRPSEC_A_MEMBER_ID, spec->id))
		return -EMSGSIZE;
	if (cmd != GRPSEC_CMD_DEL_MEMBER) {
		if (spec->has_key &&
		    put_key_slot(msg, GRPSEC_A_MEMBER_KEY, GRPSEC_KEY_SLOT_CURRENT,
				 spec->epoch, &spec->key))
			return -EMSGSIZE;
		if (spec->has_next &&
		    put_key_slot(msg, GRPSEC_A_MEMBER_KEY, GRPSEC_KEY_SLOT_NEXT,
				 spec->next_epoch, &spec->next_key))
			return -EMSGSIZE;
		if (spec->clear_next &&
		    put_empty_key_slot(msg, GRPSEC_A_MEMBER_KEY, GRPSEC_KEY_SLOT_NEXT))
			return -EMSGSIZE;
		if (spec->has_endpoint &&
		    put_endpoint(msg, GRPSEC_A_MEMBER_ENDPOINT, &spec->endpoint,
				 spec->endpoint_len))
			return -EMSGSIZE;
		if (spec->has_last_seq &&
		    nla_put_u64(msg, GRPSEC_A_MEMBER_LAST_SEQ, spec->last_seq))
			return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static const char *verb(uint8_t cmd)
{
	switch (cmd) {
	case GRPSEC_CMD_NEW_MEMBER:
		return "adding";
	case GRPSEC_CMD_SET_MEMBER:
		return "changing";
	default:
		return "deleting";
	}
}

/*
 * Send specs in batches.  *failed counts the members the kernel refused;
 * each is reported with its line (or its ids).  Returns 0, or EXIT_KERNEL
 * if anything was refused.
 */
int member_batch(uint8_t cmd, struct member_spec *specs, size_t n,
		 size_t *failed)
{
	size_t i = 0;

	*failed = 0;
	while (i < n) {
		size_t start = i, count = 0;
		struct nl_msg *msg = kernel_msg(cmd, 0);
		char where[320], what[384];
		int ret, idx;

		if (!msg)
			return EXIT_KERNEL;
		while (i < n && count < GRPSEC_MEMBERS_PER_MSG) {
			/* GRPSEC_NL_MSG_SIZE holds a full batch of the largest. */
			if (put_member(msg, cmd, &specs[i])) {
				err_msg("a batch of members does not fit in a message");
				grpsec_nl_msg_free(msg);
				return EXIT_KERNEL;
			}
			i++;
			count++;
		}

		ret = grpsec_nl_talk(&nl, msg, NULL, NULL);
		if (!ret) {
			if (nl.has_ext_msg)
				warn_msg("kernel says: %s", nl.ext_msg);
			grpsec_nl_msg_free(msg);
			continue;
		}
		if (ret == -EPERM || ret == -EACCES) {
			kernel_report(msg, ret, "changing members", NULL);
			grpsec_nl_msg_free(msg);
			*failed += n - start;
			return EXIT_KERNEL;
		}

		idx = kernel_index_of(msg, nl.ext_offset, GRPSEC_A_MEMBER);
		if (idx < 0)
			idx = kernel_index_of(msg, nl.ext_miss_nest,
					      GRPSEC_A_MEMBER);
		if (idx < 0 && count == 1)
			idx = 0;
		if (idx >= 0 && (size_t)idx < count) {
			struct member_spec *bad = &specs[start + idx];

			where_of(bad, where, sizeof(where));
			snprintf(what, sizeof(what), "%s member %u/%u",
				 verb(cmd), bad->group, bad->id);
			kernel_report(msg, ret, what,
				      bad->file ? where : NULL);
			(*failed)++;
			i = start + idx + 1;
		} else {
			/*
			 * The kernel did not point at a member, so we cannot
			 * tell which it refused, nor which before it it took.
			 */
			if (specs[start].file)
				snprintf(where, sizeof(where),
					 "%s:%u-%u (%zu members, not all applied)",
					 specs[start].file, specs[start].line,
					 specs[start + count - 1].line, count);
			else
				snprintf(where, sizeof(where),
					 "%zu members, not all applied", count);
			snprintf(what, sizeof(what), "%s members", verb(cmd));
			kernel_report(msg, ret, what, where);
			*failed += count;
		}
		grpsec_nl_msg_free(msg);
	}
	return *failed ? EXIT_KERNEL : 0;
}

/* member add|set GROUP ID ... */
static int member_add_set(int argc, char **argv, bool add)
{
	const char *usage = add ? usage_add : usage_set;
	struct member_spec spec = { 0 };
	struct group_rec g;
	size_t failed;
	int ret;

	if (argc < 3)
		return usage_fail(usage, "missing group or member id");
	if (!parse_u32(argv[1], &spec.group, 1, UINT32_MAX))
		return usage_fail(usage, "invalid group id \"%s\"", argv[1]);
	if (!parse_u32(argv[2], &spec.id, 1, UINT32_MAX))
		return usage_fail(usage, "invalid member id \"%s\"", argv[2]);
	ret = parse_keywords(argv + 3, argc - 3, &spec, NULL, false, usage,
			     NULL);
	if (ret)
		goto out;
	ret = EXIT_USAGE;
	if (add && !spec.has_key) {
		usage_fail(usage, "a new member needs a key");
		goto out;
	}
	if (!add && spec.has_key != spec.has_epoch) {
		usage_fail(usage, "key and epoch go together");
		goto out;
	}
	if (!add && !spec.has_key && !spec.has_next && !spec.has_endpoint &&
	    !spec.has_last_seq) {
		usage_fail(usage, "nothing to set");
		goto out;
	}

	ret = kernel_open();
	if (ret)
		goto out;
	if (spec.has_key || spec.has_next) {
		ret = get_group(spec.group, &g);
		if (ret)
			goto out;
		ret = member_resolve_keys(&spec, g.suite);
		if (ret)
			goto out;
	}
	ret = member_batch(add ? GRPSEC_CMD_NEW_MEMBER : GRPSEC_CMD_SET_MEMBER,
			   &spec, 1, &failed);
out:
	member_spec_free(&spec);
	return ret;
}

static int member_add(int argc, char **argv)
{
	return member_add_set(argc, argv, true);
}

static int member_set(int argc, char **argv)
{
	return member_add_set(argc, argv, false);
}

static int member_del(int argc, char **argv)
{
	struct member_spec spec = { 0 };
	size_t failed;
	int ret;

	if (argc < 3)
		return usage_fail(usage_del, "missing group or member id");
	if (!parse_u32(argv[1], &spec.group, 1, UINT32_MAX))
		return usage_fail(usage_del, "invalid group id \"%s\"", argv[1]);
	if (!parse_u32(argv[2], &spec.id, 1, UINT32_MAX))
		return usage_fail(usage_del, "invalid member id \"%s\"", argv[2]);
	if (argc > 3)
		return usage_fail(usage_del, "unexpected argument \"%s\"", argv[3]);
	ret = kernel_open();
	if (ret)
		return ret;
	return member_batch(GRPSEC_CMD_DEL_MEMBER, &spec, 1, &failed);
}

static int member_show_cmd(int argc, char **argv)
{
	return member_show(argc, argv, usage_show);
}

/* Split a line in place at blanks; '#' starts a comment. */
int split_line(char *line, char **tok, int max)
{
	int n = 0;

	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			*p++ = '\0';
		if (!*p || *p == '#') {
			*p = '\0';
			break;
		}
		if (n == max)
			return -1;
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' &&
		       *p != '\r' && *p != '#')
			p++;
	}
	return n;
}

/* member import GROUP FILE: one "ID KEY [...]" line per member. */
static int member_import(int argc, char **argv)
{
	struct member_spec *specs = NULL;
	size_t n = 0, cap = 0, failed = 0;
	unsigned int lineno = 0;
	struct secret_file sf;
	char *dir = NULL;
	struct group_rec g;
	const char *name;
	uint32_t group;
	int ret = 0, bad = 0;

	if (argc < 3)
		return usage_fail(usage_import, "missing group or file");
	if (!parse_u32(argv[1], &group, 1, UINT32_MAX))
		return usage_fail(usage_import, "invalid group id \"%s\"", argv[1]);
	if (argc > 3)
		return usage_fail(usage_import, "unexpected argument \"%s\"", argv[3]);
	name = argv[2];
	if (secret_open(&sf, name))
		return EXIT_USAGE;
	if (!strcmp(name, "-"))
		name = "<stdin>";
	else
		dir = dir_of(name);

	while (secret_getline(&sf)) {
		char *tok[16], where[320];
		int ntok;

		lineno++;
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		ntok = split_line(sf.line, tok, 16);
		if (ntok == 0)
			continue;
		if (n == cap) {
			size_t c = cap ? 2 * cap : 1024;
			struct member_spec *s = realloc(specs, c * sizeof(*s));

			if (!s) {
				err_msg("out of memory");
				ret = EXIT_USAGE;
				goto out;
			}
			specs = s;
			cap = c;
		}
		memset(&specs[n], 0, sizeof(specs[n]));
		specs[n].group = group;
		specs[n].file = name;
		specs[n].line = lineno;
		if (ntok < 0) {
			err_msg("%s: too many words", where);
			bad++;
			continue;
		}
		if (member_line_parse(tok, ntok, &specs[n], dir, where)) {
			member_spec_free(&specs[n]);
			bad++;
			continue;
		}
		n++;
	}
	if (bad) {
		err_msg("%s: %d bad line%s, nothing imported", name, bad,
			bad == 1 ? "" : "s");
		ret = EXIT_USAGE;
		goto out;
	}

	ret = kernel_open();
	if (ret)
		goto out;
	ret = get_group(group, &g);
	if (ret)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (member_resolve_keys(&specs[i], g.suite))
			bad++;
	if (bad) {
		err_msg("%s: %d unusable key%s, nothing imported", name, bad,
			bad == 1 ? "" : "s");
		ret = EXIT_USAGE;
		goto out;
	}
	ret = member_batch(GRPSEC_CMD_NEW_MEMBER, specs, n, &failed);
	if (failed)
		err_msg("%s: %zu of %zu members refused, the others added",
			name, failed, n);
out:
	for (size_t i = 0; i < n; i++)
		member_spec_free(&specs[i]);
	free(specs);
	secret_close(&sf);
	free(dir);
	return ret;
}

static const struct subcommand member_cmds[] = {
	{ "add", member_add, usage_add },
	{ "set", member_set, usage_set },
	{ "del", member_del, usage_del },
	{ "show", member_show_cmd, usage_show },
	{ "import", member_import, usage_import },
	{ NULL, NULL, NULL },
};

int cmd_member(int argc, char **argv)
{
	return subcommand_run("member", member_cmds, argc, argv);
}
