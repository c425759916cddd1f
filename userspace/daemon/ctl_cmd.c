// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's commands (ctl.h): one function each, listed in
 * one table.  The records they send are described in
 * Documentation/grpsecd.rst ("Control socket") and read by grpsecctl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/value.h"
#include "conf.h"
#include "control.h"
#include "gwstate.h"
#include "ctl.h"
#include "log.h"
#include "metrics.h"
#include "rekey.h"
#include "sock.h"
#include "store.h"

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void addr_field(struct ctl_reply *r, const char *key,
		       const struct conf_addr *a)
{
	char s[ENDPOINT_STRLEN];

	if (a->len)
		ctl_str(r, key, sock_addr_str(a, s, sizeof(s)));
}

/* A failed store call: its line, and what the operator can do. */
static int store_failed(struct ctl_reply *r, struct grpsecd *d, int err)
{
	return ctl_error(r, "database: %s (%s)", store_error(d->store),
			 err == -EROFS || err == -ENOSPC ?
			 "free space or make it writable, then retry" :
			 "see grpsecd's log");
}

static int need_store(struct ctl_reply *r, struct grpsecd *d)
{
	if (d->store)
		return 0;
	return ctl_error(r, "the %s role has no database",
			 grpsecd_role_name(d->role));
}

/* show */

static void show_counts(struct grpsecd *d, struct ctl_reply *r)
{
	uint64_t devices = 0, members = 0;

	if (!d->store)
		return;
	ctl_str(r, "database", store_backend(d->store));
	if (!store_count_devices(d->store, &devices))
		ctl_u64(r, "devices", devices);
	if (!store_count_members(d->store, 0, &members))
		ctl_u64(r, "members", members);
}

/* The gateway role: its channel to the manager, what it holds. */
static void show_gateway(struct grpsecd *d, struct ctl_reply *r)
{
	struct control_client_stats st;

	control_client_get_stats(d, &st);
	addr_field(r, "manager", &d->conf->control.manager);
	ctl_str(r, "connected", yes_no(control_client_connected(d)));
	ctl_u64(r, "connects", st.connects);
	ctl_u64(r, "pushes", st.pushes);
	ctl_u64(r, "heard", st.heard);
	if (d->want) {
		ctl_u64(r, "held_groups", d->want->ngroups);
		ctl_u64(r, "held_members", d->want->nmembers);
	}
}

static int cmd_show(struct grpsecd *d, struct ctl_reply *r, int argc,
		    char **argv, const char *rest)
{
	const struct conf_manager *m = &d->conf->manager;

	(void)argc, (void)argv, (void)rest;
	ctl_rec(r, "daemon");
	ctl_str(r, "role", grpsecd_role_name(d->role));
	ctl_str(r, "version", GRPSECD_VERSION);
	ctl_u64(r, "pid", getpid());
	ctl_str(r, "config", d->conf_path);
	ctl_u64(r, "uptime", time(NULL) - d->started);
	ctl_u64(r, "reloads", d->reloads);
	ctl_u64(r, "groups", d->conf->ngroups);
	ctl_u64(r, "allow_rules", d->conf->nallows);
	ctl_u64(r, "gateways", d->conf->ngateways);
	show_counts(d, r);
	if (d->role == GRPSECD_GATEWAY) {
		show_gateway(d, r);
		return 0;
	}
	ctl_u64(r, "gateways_connected", control_connected(d));
	addr_field(r, "enroll_listen", &m->enroll_listen);
	addr_field(r, "control_listen", &m->control_listen);
	addr_field(r, "batch_listen", &m->batch_listen);
	addr_field(r, "metrics_listen", &m->metrics_listen);
	return 0;
}

/* devices */

static int device_rec(void *arg, const struct store_device *dev)
{
	struct ctl_reply *r = arg;

	ctl_rec(r, "device");
	ctl_u64(r, "id", dev->id);
	ctl_str(r, "identity", dev->identity);
	ctl_str(r, "kind", dev->kind == STORE_DEVICE_PSK ? "psk" : "cert");
	ctl_u64(r, "first_enrolled", dev->first_enrolled);
	ctl_u64(r, "last_enrolled", dev->last_enrolled);
	ctl_str(r, "revoked", yes_no(dev->revoked));
	r->cursor = dev->id;
	r->page++;
	return r->out.oom ? -ENOMEM : 0;
}

static int devices_next(struct ctl_reply *r)
{
	int err;

	r->page = 0;
	err = store_devices_page(r->d->store, r->cursor, CTL_PAGE, device_rec, r);
	if (err)
		return store_failed(r, r->d, err);
	return r->page == CTL_PAGE;
}

/* The first page now, the others as the client reads (ctl.h). */
static int listing_start(struct ctl_reply *r, int (*next)(struct ctl_reply *r))
{
	int rc;

	r->next = next;
	rc = next(r);
	r->streaming = rc > 0;
	return rc < 0 ? -1 : 0;
}

static int cmd_devices(struct grpsecd *d, struct ctl_reply *r, int argc,
		       char **argv, const char *rest)
{
	(void)argc, (void)argv, (void)rest;
	if (need_store(r, d))
		return -1;
	return listing_start(r, devices_next);
}

/* members [GROUP] */

static const char *member_state(uint8_t state)
{
	switch (state) {
	case STORE_MEMBER_ACTIVE:
		return "active";
	case STORE_MEMBER_REVOKED:
		return "revoked";
	default:
		return "left";
	}
}

static int member_rec(void *arg, const struct store_member *m)
{
	struct ctl_reply *r = arg;

	ctl_rec(r, "member");
	ctl_u64(r, "id", m->id);
	ctl_u64(r, "group", m->group);
	ctl_u64(r, "device", m->device);
	ctl_u64(r, "epoch_joined", m->epoch_joined);
	ctl_str(r, "state", member_state(m->state));
	r->cursor = m->id;
	r->cursor2 = m->group;
	r->page++;
	return r->out.oom ? -ENOMEM : 0;
}

static int members_next(struct ctl_reply *r)
{
	int err;

	r->page = 0;
	err = store_members_page(r->d->store, r->group, r->cursor, r->cursor2,
				 CTL_PAGE, member_rec, r);
	if (err)
		return store_failed(r, r->d, err);
	return r->page == CTL_PAGE;
}

static int group_arg(struct grpsecd *d, struct ctl_reply *r, const char *s,
		     uint32_t *id)
{
	if (!parse_u32(s, id, 1, UINT32_MAX))
		return ctl_error(r, "invalid group \"%s\": a group id is a number from 1 to 4294967295",
				 s);
	if (!conf_group_find(d->conf, *id))
		return ctl_error(r, "no group %u in %s; \"groups\" lists them",
				 *id, d->conf_path);
	return 0;
}

static int cmd_members(struct grpsecd *d, struct ctl_reply *r, int argc,
		       char **argv, const char *rest)
{
	uint32_t group = 0;

	(void)rest;
	if (need_store(r, d))
		return -1;
	if (argc == 2 && group_arg(d, r, argv[1], &group))
		return -1;
	r->group = group;
	return listing_start(r, members_next);
}

/* groups: the configuration's, with the database's epochs. */

static void group_ids(struct ctl_reply *r, const char *key,
		      const struct conf_ids *ids)
{
	char s[CTL_LINE_MAX] = "";
	size_t n = 0;

	for (size_t i = 0; i < ids->n && n < sizeof(s) - 12; i++)
		n += snprintf(s + n, sizeof(s) - n, "%s%u", i ? "," : "",
			      ids->v[i]);
	ctl_str(r, key, s);
}

static void group_state(struct grpsecd *d, struct ctl_reply *r, uint32_t id)
{
	struct store_group sg;
	uint64_t members;

	if (!d->store || store_group_get(d->store, id, &sg))
		return;
	ctl_u64(r, "epoch", sg.epoch);
	ctl_u64(r, "next_epoch", sg.next_epoch);
	if (!store_count_members(d->store, id, &members))
		ctl_u64(r, "members", members);
}

static int cmd_groups(struct grpsecd *d, struct ctl_reply *r, int argc,
		      char **argv, const char *rest)
{
	(void)argc, (void)argv, (void)rest;
	for (size_t i = 0; i < d->conf->ngroups; i++) {
		const struct conf_group *g = &d->conf->groups[i];

		ctl_rec(r, "group");
		ctl_u64(r, "id", g->id);
		ctl_str(r, "suite", suite_name(g->suite));
		ctl_str(r, "mode", mode_name(g->mode));
		ctl_str(r, "commands", yes_no(g->commands));
		ctl_str(r, "terminate", yes_no(g->terminate));
		ctl_u64(r, "epoch_lifetime", g->epoch_lifetime);
		ctl_u64(r, "message_limit", g->message_limit);
		ctl_u64(r, "rate_limit", g->rate_limit);
		group_ids(r, "gateways", &g->gateways);
		group_state(d, r, g->id);
	}
	return 0;
}

/* revoke DEVICE: by id, or by identity (the rest of the line). */

static int device_lookup(struct grpsecd *d, struct ctl_reply *r,
			 const char *arg, struct store_device *dev)
{
	uint64_t id;
	int err;

	if (parse_u64(arg, &id, 1, UINT64_MAX))
		err = store_device_get(d->store, id, dev);
	else
		err = store_device_find(d->store, 0, arg, dev);
	if (err == -ENOENT)
		return ctl_error(r, "no device \"%s\"; \"devices\" lists them by id and identity",
				 arg);
	if (err == -EEXIST)
		return ctl_error(r, "both a certificate and a PSK device are \"%s\": revoke by id (\"devices\" lists them)",
				 arg);
	return err ? store_failed(r, d, err) : 0;
}

struct rows {
	struct store_member *v;
	size_t n;
};

static int row_add(void *arg, const struct store_member *m)
{
	struct rows *rows = arg;
	struct store_member *v = realloc(rows->v, (rows->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	v[rows->n++] = *m;
	rows->v = v;
	return 0;
}

static int cmd_revoke(struct grpsecd *d, struct ctl_reply *r, int argc,
		      char **argv, const char *rest)
{
	struct store_device dev;
	struct rows rows = { NULL, 0 };
	uint32_t anon[64];
	unsigned int n = 0;
	int err, nanon = 0;

	(void)argc, (void)argv;
	if (need_store(r, d) || device_lookup(d, r, rest, &dev))
		return -1;
	/* The anonymous groups it leaves move to a new epoch without it. */
	if (d->rekey && !dev.revoked)
		nanon = rekey_device_groups(d->rekey, dev.id, anon, sizeof(anon) / sizeof(anon[0]));
	if (nanon < 0)
		return store_failed(r, d, nanon);
	/* The rows the revocation ends, for the gateways that hold them. */
	err = store_device_members(d->store, dev.id, row_add, &rows);
	if (!err)
		err = store_device_revoke(d->store, dev.id, &n);
	if (!err)
		control_members_revoked(d, rows.v, rows.n);
	free(rows.v);
	if (err)
		return store_failed(r, d, err);
	if (nanon)
		rekey_revoked(d->rekey, anon, (size_t)nanon);
	log_info("device %llu (%s) revoked by the control socket, %u member rows",
		 (unsigned long long)dev.id, dev.identity, n);
	metrics_count(d->metrics, "grpsecd_revocations_total", NULL, 1);
	ctl_rec(r, "revoked");
	ctl_u64(r, "device", dev.id);
	ctl_str(r, "identity", dev.identity);
	ctl_u64(r, "members", n);
	ctl_str(r, "already", yes_no(dev.revoked));
	ctl_u64(r, "rekeys", (uint64_t)nanon);
	return 0;
}

/* rekey GROUP: the next epoch committed, its rekeys paced (rekey.h). */

static void rekey_rec(struct ctl_reply *r, const struct rekey_status *st)
{
	ctl_rec(r, "rekey");
	ctl_u64(r, "group", st->group);
	ctl_u64(r, "epoch", st->epoch);
	ctl_str(r, "state", st->state);
	ctl_u64(r, "members", st->members);
	ctl_u64(r, "sent", st->sent);
	ctl_u64(r, "retries", st->retries);
	ctl_u64(r, "heard", st->heard);
}

static int cmd_rekey(struct grpsecd *d, struct ctl_reply *r, int argc,
		     char **argv, const char *rest)
{
	struct rekey_status st;
	uint32_t group, epoch = 0;
	int err;

	(void)argc, (void)rest;
	if (group_arg(d, r, argv[1], &group))
		return -1;
	if (!d->rekey)
		return ctl_error(r, "the %s role does not rekey", grpsecd_role_name(d->role));
	err = rekey_start(d->rekey, group, "ctl", &epoch);
	if (err == -EBUSY && rekey_status(d->rekey, group, &st) == 0) {
		rekey_rec(r, &st);
		return ctl_error(r, "group %u is being rekeyed to epoch %u already (%zu of %zu members sent): wait until \"groups\" shows its next_epoch 0",
				 group, epoch, st.sent, st.members);
	}
	if (err == -ENOTCONN)
		return ctl_error(r, "no path to the gateways (no BatchListen): rekeys could not reach the members; group %u is unchanged",
				 group);
	if (err == -EDESTADDRREQ)
		return ctl_error(r, "group %u has no Gateway in its [Group]: rekeys could not reach its members; it is unchanged",
				 group);
	if (err)
		return store_failed(r, d, err);
	if (rekey_status(d->rekey, group, &st) == 0)
		rekey_rec(r, &st);
	return 0;
}

/* reload: the configuration's problems come back in the reply. */

static int cmd_reload(struct grpsecd *d, struct ctl_reply *r, int argc,
		      char **argv, const char *rest)
{
	struct buf errs = { 0 };
	int rc;

	(void)argc, (void)argv, (void)rest;
	log_capture(&errs);
	rc = grpsecd_reload(d);
	log_capture(NULL);
	for (char *line = errs.p ? strtok(errs.p, "\n") : NULL; line;
	     line = strtok(NULL, "\n")) {
		ctl_rec(r, "problem");
		ctl_str(r, "text", line);
	}
	buf_free(&errs);
	if (rc)
		return ctl_error(r, "%s not reloaded, the previous configuration stays in force: fix the problems and reload again",
				 d->conf_path);
	ctl_rec(r, "reloaded");
	ctl_str(r, "config", d->conf_path);
	ctl_u64(r, "groups", d->conf->ngroups);
	ctl_u64(r, "allow_rules", d->conf->nallows);
	ctl_u64(r, "gateways", d->conf->ngateways);
	return 0;
}

static int cmd_help(struct grpsecd *d, struct ctl_reply *r, int argc,
		    char **argv, const char *rest);

static const struct ctl_cmd commands[] = {
	{ "show", 0, 0, "show", cmd_show },
	{ "devices", 0, 0, "devices", cmd_devices },
	{ "members", 0, 1, "members [GROUP]", cmd_members },
	{ "groups", 0, 0, "groups", cmd_groups },
	{ "revoke", 1, CTL_ARGS_MAX, "revoke DEVICE (an id or an identity)", cmd_revoke },
	{ "rekey", 1, 1, "rekey GROUP", cmd_rekey },
	{ "reload", 0, 0, "reload", cmd_reload },
	{ "help", 0, 0, "help", cmd_help },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_help(struct grpsecd *d, struct ctl_reply *r, int argc,
		    char **argv, const char *rest)
{
	(void)d, (void)argc, (void)argv, (void)rest;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		ctl_rec(r, "command");
		ctl_str(r, "usage", commands[i].usage);
	}
	return 0;
}

const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}
