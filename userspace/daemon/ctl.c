// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (ctl.h): one request line, the command's reply
 * (ctl_cmd.c), close (srv.c does the serving).  Only the daemon's own
 * user (and root) may connect: the socket is 0600 and the peer's
 * credentials are checked too.  A client gets CTL_TIMEOUT_MS to send its
 * line and read its reply; at most CTL_CONNS_MAX are served at once.
 */
#define _GNU_SOURCE	/* accept4(), struct ucred */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "sock.h"
#include "srv.h"

#define CTL_TIMEOUT_MS	10000
#define CTL_CONNS_MAX	16

struct ctl {
	struct grpsecd *d;
	struct srv *srv;
	char *path;
};

/* Building a reply. */

void ctl_rec(struct ctl_reply *r, const char *type)
{
	if (r->in_record)
		buf_add(&r->out, "\n", 1);
	buf_puts(&r->out, type);
	r->in_record = true;
}

void ctl_str(struct ctl_reply *r, const char *key, const char *val)
{
	buf_printf(&r->out, "\t%s=", key);
	ctl_escape(&r->out, val ? val : "");
}

void ctl_u64(struct ctl_reply *r, const char *key, uint64_t v)
{
	buf_printf(&r->out, "\t%s=%llu", key, (unsigned long long)v);
}

int ctl_error(struct ctl_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->failed = true;
	return -1;
}

static void reply_finish(struct ctl_reply *r)
{
	struct buf *b = &r->out;

	if (r->in_record)
		buf_add(b, "\n", 1);
	if (!r->failed && b->oom)
		ctl_error(r, "out of memory building the reply");
	if (r->failed) {
		if (b->oom)
			buf_reset(b);
		buf_puts(b, "ERROR ");
		ctl_escape(b, r->error);
		buf_add(b, "\n", 1);
	} else {
		buf_puts(b, "OK\n");
	}
}

/* One request. */

static int split_words(char *line, char **argv)
{
	int argc = 0;

	for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
		if (argc == CTL_ARGS_MAX + 1)
			return -1;
		argv[argc++] = tok;
	}
	return argc;
}

static void run_request(struct ctl *ctl, struct ctl_reply *r, char *line)
{
	char copy[CTL_LINE_MAX + 1], *argv[CTL_ARGS_MAX + 2];
	const struct ctl_cmd *cmd;
	const char *rest;
	int argc;

	snprintf(copy, sizeof(copy), "%s", line);
	argc = split_words(copy, argv);
	if (argc <= 0) {
		ctl_error(r, argc ? "too many arguments" : "empty request; try \"help\"");
		return;
	}
	cmd = ctl_cmd_find(argv[0]);
	if (!cmd) {
		ctl_error(r, "unknown command \"%s\"; \"help\" lists them", argv[0]);
		return;
	}
	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		ctl_error(r, "usage: %s", cmd->usage);
		return;
	}
	rest = line + strlen(argv[0]);
	rest += *rest == ' ';
	log_debug("control socket: %s", line);
	cmd->fn(ctl->d, r, argc, argv, rest);
}

/* Serving. */

static size_t line_complete(const char *in, size_t len)
{
	const char *nl = memchr(in, '\n', len);

	return nl ? (size_t)(nl - in + 1) : 0;
}

/* Hand the reply's text to the server, which owns out. */
static void reply_move(struct ctl_reply *r, struct buf *out)
{
	buf_free(out);
	*out = r->out;
	memset(&r->out, 0, sizeof(r->out));
}

static void *ctl_handle(void *arg, char *req, struct buf *out)
{
	struct ctl *ctl = arg;
	struct ctl_reply *r = calloc(1, sizeof(*r));
	size_t len;

	if (!r) {
		buf_puts(out, "ERROR out of memory\n");
		return NULL;
	}
	r->d = ctl->d;
	if (!req) {
		ctl_error(r, "request longer than %d bytes", CTL_LINE_MAX);
	} else {
		len = strlen(req);
		while (len && (req[len - 1] == '\n' || req[len - 1] == '\r'))
			req[--len] = '\0';
		run_request(ctl, r, req);
	}
	if (r->streaming && !r->failed) {
		reply_move(r, out);
		return r;
	}
	reply_finish(r);
	reply_move(r, out);
	free(r);
	return NULL;
}

/* The next page of a listing; its end, OK or ERROR, with the last one. */
static bool ctl_more(void *cont, struct buf *out)
{
	struct ctl_reply *r = cont;
	int rc = r->next(r);

	if (rc > 0 && !r->out.oom) {
		reply_move(r, out);
		return true;
	}
	reply_finish(r);
	reply_move(r, out);
	return false;
}

static void ctl_done(void *cont)
{
	struct ctl_reply *r = cont;

	buf_free(&r->out);
	free(r);
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static const struct srv_ops ctl_srv_ops = {
	.name = "control socket",
	.max_request = CTL_LINE_MAX,
	.max_conns = CTL_CONNS_MAX,
	.timeout_ms = CTL_TIMEOUT_MS,
	.allow = peer_allowed,
	.complete = line_complete,
	.handle = ctl_handle,
	.more = ctl_more,
	.done = ctl_done,
};

/* The part. */

/* Each role has its own ControlSocket: [Manager]'s or [Control]'s. */
static const char *socket_path(const struct grpsecd *d, const struct grpsecd_conf *c)
{
	return d->role == GRPSECD_GATEWAY ? c->control.control_socket : c->manager.control_socket;
}

static int ctl_init(struct grpsecd *d)
{
	struct ctl *ctl = calloc(1, sizeof(*ctl));
	int fd;

	if (!ctl)
		return -1;
	ctl->d = d;
	ctl->path = strdup(socket_path(d, d->conf));
	fd = ctl->path ? sock_unix_listen(ctl->path, 0600) : -ENOMEM;
	if (fd >= 0)
		ctl->srv = srv_new(d->loop, fd, &ctl_srv_ops, ctl);
	if (!ctl->srv) {
		free(ctl->path);
		free(ctl);
		return -1;
	}
	d->ctl = ctl;
	log_info("control socket on %s", ctl->path);
	return 0;
}

static void ctl_uninit(struct grpsecd *d)
{
	struct ctl *ctl = d->ctl;

	srv_free(ctl->srv);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	d->ctl = NULL;
}

static int ctl_reload_check(struct grpsecd *d, const struct grpsecd_conf *next)
{
	if (strcmp(d->ctl->path, socket_path(d, next))) {
		log_err("ControlSocket cannot change on reload (%s -> %s): restart grpsecd",
			d->ctl->path, socket_path(d, next));
		return -1;
	}
	return 0;
}

const struct grpsecd_part ctl_part = {
	.name = "control socket",
	.init = ctl_init,
	.uninit = ctl_uninit,
	.reload_check = ctl_reload_check,
};
