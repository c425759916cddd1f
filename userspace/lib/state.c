// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A device's member state across restarts (grpsec_enroll.h): one text
 * file, mode 0600,
 *
 *   grpsec-member-state 1
 *   answer HEX          the ENROLL_ANSWER message as received
 *   wrap-key HEX        K_wrap,m
 *   seq GROUP RESERVED  per group: the highest sequence it may use
 *
 * rewritten whole for every reservation: written to FILE.tmp, fsync'd,
 * renamed over FILE, the directory fsync'd.  A member context reserves
 * before it uses a sequence above the last reservation, so after a crash
 * it resumes at RESERVED + 1 and never repeats a nonce.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grpsec_enroll.h"
#include "internal.h"

#define STATE_MAGIC	"grpsec-member-state 1"

struct state_slot {
	struct grpsec_state *st;
	uint32_t group;
	uint64_t reserved;
};

struct grpsec_state {
	char *path;
	struct grpsec_enrollment e;
	struct state_slot slot[GRPSEC_ENROLL_MAX_GROUPS];
};

static void put_hex(char *out, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		err = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return err;
}

int grpsec_file_write_atomic(const char *path, const void *text, size_t len)
{
	char tmp[PATH_MAX];
	const uint8_t *p = text;
	int fd, err = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno != EINTR)
			err = -errno;
		else if (w > 0)
			p += w, len -= (size_t)w;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err)
		err = fsync_dir(path);
	if (err)
		unlink(tmp);
	return err;
}

static int state_write(const char *path, const struct grpsec_enrollment *e,
		       const struct state_slot *slot)
{
	size_t size = 64 + 2 * sizeof(e->msg) + 2 * GRPSEC_WRAP_KEY_LEN +
		      GRPSEC_ENROLL_MAX_GROUPS * 48;
	char *text = malloc(size);
	size_t len;
	int err;

	if (!text)
		return -ENOMEM;
	len = (size_t)sprintf(text, STATE_MAGIC "\nanswer ");
	put_hex(text + len, e->msg, e->msg_len);
	len += 2 * e->msg_len;
	len += (size_t)sprintf(text + len, "\nwrap-key ");
	put_hex(text + len, e->wrap_key, GRPSEC_WRAP_KEY_LEN);
	len += 2 * GRPSEC_WRAP_KEY_LEN;
	text[len++] = '\n';
	for (unsigned int i = 0; i < e->answer.n_groups; i++)
		len += (size_t)sprintf(text + len, "seq %u %llu\n", slot[i].group,
				       (unsigned long long)slot[i].reserved);
	err = grpsec_file_write_atomic(path, text, len);
	grpsec_wipe(text, size);
	free(text);
	return err;
}

int grpsec_state_create(const char *path, const struct grpsec_enrollment *e)
{
	struct state_slot slot[GRPSEC_ENROLL_MAX_GROUPS] = { 0 };

	if (!path || !e || !e->msg_len || e->answer.n_groups > GRPSEC_ENROLL_MAX_GROUPS)
		return -EINVAL;
	for (unsigned int i = 0; i < e->answer.n_groups; i++)
		slot[i].group = e->answer.groups[i].group;
	return state_write(path, e, slot);
}

static int unhex(const char *s, uint8_t *out, size_t size, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > size)
		return -EPROTO;
	for (size_t i = 0; i < n; i += 2) {
		int hi = s[i], lo = s[i + 1];

		hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -EPROTO;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int state_line(struct grpsec_state *st, char *line, unsigned int *n_seq)
{
	struct grpsec_enrollment *e = &st->e;
	struct grpsec_msg m;
	unsigned long long g, r;
	size_t len;
	char extra;

	if (!strncmp(line, "answer ", 7)) {
		if (unhex(line + 7, e->msg, sizeof(e->msg), &e->msg_len) ||
		    grpsec_msg_parse(e->msg, e->msg_len, &m) || m.type != GRPSEC_MSG_ENROLL_ANSWER)
			return -EPROTO;
		e->answer = m.answer;
		return 0;
	}
	if (!strncmp(line, "wrap-key ", 9))
		return unhex(line + 9, e->wrap_key, sizeof(e->wrap_key), &len) ||
		       len != GRPSEC_WRAP_KEY_LEN ? -EPROTO : 0;
	if (sscanf(line, "seq %llu %llu %c", &g, &r, &extra) == 2 && *n_seq < e->answer.n_groups &&
	    g == e->answer.groups[*n_seq].group) {
		st->slot[*n_seq].group = (uint32_t)g;
		st->slot[(*n_seq)++].reserved = r;
		return 0;
	}
	return -EPROTO;
}

static void __attribute__((format(printf, 3, 4))) say(char *err, size_t len, const char *fmt,
						      ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int grpsec_state_open(const char *path, struct grpsec_state **out, char *err, size_t err_len)
{
	struct grpsec_state *st;
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0, n_seq = 0;
	struct stat sb;
	int r = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		say(err, err_len, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fileno(f), &sb) || (sb.st_mode & 077)) {
		fclose(f);
		say(err, err_len, "%s: holds keys but is accessible to group or others (chmod 600)",
		    path);
		return -EPERM;
	}
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = strdup(path))) {
		fclose(f);
		free(st);
		return -ENOMEM;
	}
	while (!r && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		lineno++;
		if (lineno == 1)
			r = strcmp(line, STATE_MAGIC) ? -EPROTO : 0;
		else
			r = state_line(st, line, &n_seq);
	}
	if (line) {
		grpsec_wipe(line, cap);
		free(line);
	}
	fclose(f);
	if (!r && (!st->e.msg_len || n_seq != st->e.answer.n_groups)) {
		r = -EPROTO;
		lineno = 0;
	}
	if (r) {
		say(err, err_len, "%s:%u: not a grpsec member state file", path, lineno);
		grpsec_state_free(st);
		return r;
	}
	for (unsigned int i = 0; i < n_seq; i++)
		st->slot[i].st = st;
	*out = st;
	return 0;
}

const struct grpsec_enroll_answer *grpsec_state_answer(const struct grpsec_state *st)
{
	return &st->e.answer;
}

const uint8_t *grpsec_state_wrap_key(const struct grpsec_state *st)
{
	return st->e.wrap_key;
}

uint64_t grpsec_state_reserved(const struct grpsec_state *st, uint32_t group)
{
	for (unsigned int i = 0; i < st->e.answer.n_groups; i++)
		if (st->slot[i].group == group)
			return st->slot[i].reserved;
	return 0;
}

/* The member's reserve callback: "next = s + K" on disk before s is used. */
static int state_reserve(void *arg, uint64_t reserved)
{
	struct state_slot *slot = arg;
	uint64_t prev = slot->reserved;
	int err;

	slot->reserved = reserved;
	err = state_write(slot->st->path, &slot->st->e, slot->st->slot);
	if (err)
		slot->reserved = prev;
	return err;
}

int grpsec_state_member(struct grpsec_state *st, uint32_t group, uint32_t reserve_block,
			struct grpsec_member **out)
{
	for (unsigned int i = 0; i < st->e.answer.n_groups; i++) {
		const struct grpsec_enroll_group *g = &st->e.answer.groups[i];
		const struct grpsec_enroll_epoch *e = &g->epochs[0];
		struct grpsec_member_config mc = {
			.group = g->group, .member = st->e.answer.member, .epoch = e->epoch,
			.mode = g->mode, .suite = g->suite, .member_key = e->member_key,
			.inner_key = g->mode == GRPSEC_MODE_ANONYMOUS ? e->group_key : e->e2e_key,
			.msg_limit = e->msg_limit, .seq_reserved = st->slot[i].reserved,
			.reserve_block = reserve_block, .reserve = state_reserve,
			.reserve_arg = &st->slot[i],
			.group_flags = g->flags & GRPSEC_ENROLL_GROUP_COMMANDS ?
				       GRPSEC_GROUP_COMMANDS : 0,
			.group_key = g->mode == GRPSEC_MODE_IDENTIFIED ? e->group_key : NULL,
		};

		if (g->group == group)
			return grpsec_member_new(&mc, out);
	}
	return -ENOENT;
}

void grpsec_state_free(struct grpsec_state *st)
{
	if (!st)
		return;
	free(st->path);
	grpsec_wipe(st, sizeof(*st));
	free(st);
}
