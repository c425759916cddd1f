/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: a unix stream socket (mode 0600) on which
 * grpsecctl, or anyone with socat, sends one request line and reads one
 * reply, in the spirit of wpa_supplicant's ctrl_iface:
 *
 *   request:  COMMAND [ARG ...] LF            (at most CTL_LINE_MAX bytes)
 *   reply:    zero or more records, then one status line, then close:
 *             TYPE TAB key=value TAB key=value ... LF
 *             OK LF   or   ERROR text LF
 *
 * Records before an ERROR explain it (reload: one "problem" record per
 * line of the configuration's errors); a client shows them with it.
 *
 * In values, backslash, tab, CR and LF are written \\, \t, \r and \n.
 * Documentation/grpsecd.rst lists the commands and their records.
 */
#ifndef GRPSECD_CTL_H
#define GRPSECD_CTL_H

#include <stdint.h>

#include "buf.h"
#include "grpsecd.h"

#define CTL_LINE_MAX	1024
#define CTL_ARGS_MAX	8

extern const struct grpsecd_part ctl_part;

/*
 * A reply under construction (ctl.c).  A listing too long for one go is
 * sent in pages: the command sets next and streaming, and next() is then
 * called each time the client has read what came before; it adds one
 * page of records and returns 1 while more follow, 0 after the last, -1
 * after ctl_error().  cursor and group are next()'s to keep.
 */
struct ctl_reply {
	struct buf out;
	bool in_record;
	bool failed;
	char error[512];
	bool streaming;
	int (*next)(struct ctl_reply *r);
	struct grpsecd *d;
	uint64_t cursor, cursor2;
	uint32_t group;
	unsigned int page;	/* records in the page being built */
};

#define CTL_PAGE	256	/* records per page of a listing */

void ctl_rec(struct ctl_reply *r, const char *type);
void ctl_str(struct ctl_reply *r, const char *key, const char *val);
void ctl_u64(struct ctl_reply *r, const char *key, uint64_t v);
/* Fail the request with a message (which says what to do); returns -1. */
int ctl_error(struct ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A command: argv[0] is its name; rest is the request after the name
 * and one space (for an argument with blanks, such as an identity).
 */
struct ctl_cmd {
	const char *name;
	int min_args, max_args;	/* not counting the name */
	const char *usage;
	int (*fn)(struct grpsecd *d, struct ctl_reply *r, int argc,
		  char **argv, const char *rest);
};

/* ctl_cmd.c: the commands. */
const struct ctl_cmd *ctl_cmd_find(const char *name);

/* ctl_wire.c: the escaping both ends share. */
void ctl_escape(struct buf *b, const char *s);
/* Undo ctl_escape() in place; false on a bad escape. */
bool ctl_unescape(char *s);

#endif
