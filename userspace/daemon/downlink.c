// SPDX-License-Identifier: GPL-2.0
/*
 * Signed commands that the application asks for (downlink.h;
 * grpsecd.rst, "Application requests").
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "grpsec.h"

#include "backend.h"
#include "conf.h"
#include "counter.h"
#include "downlink.h"
#include "groups.h"
#include "log.h"
#include "store.h"

struct downlink {
	struct grpsecd *d;
	struct grpsec_signer *signer;
	struct counter *cmd_seq;	/* one per group that was sent a command */
	size_t ngroups;
};

static struct counter *cmd_counter(struct downlink *dl, uint32_t group)
{
	struct counter *c;
	char name[STORE_NAME_MAX + 1];

	snprintf(name, sizeof(name), "command/%" PRIu32, group);
	for (size_t i = 0; i < dl->ngroups; i++)
		if (!strcmp(dl->cmd_seq[i].name, name))
			return &dl->cmd_seq[i];
	c = realloc(dl->cmd_seq, (dl->ngroups + 1) * sizeof(*c));
	if (!c)
		return NULL;
	dl->cmd_seq = c;
	c = &dl->cmd_seq[dl->ngroups++];
	counter_init(c, "command", group);
	return c;
}

/* Say in res->error what went wrong and what to do; returns -1. */
static int refuse(struct backend_send_res *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int refuse(struct backend_send_res *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->error, sizeof(res->error), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *unreached_why(int rc)
{
	switch (rc) {
	case -ENOKEY:
		return "the manager has no K_up for it";
	case -ENOTCONN:
		return "it has sent no batch since the manager started, so its address is not"
		       " known yet";
	case -EAGAIN:
		return "the batch socket's buffer is full";
	default:
		return strerror(-rc);
	}
}

/* The body for @req, sealed and signed; fills res->seq. */
static int seal_command(struct downlink *dl, const struct conf_group *cg,
			const struct backend_send_req *req, uint8_t *body, size_t *len,
			struct backend_send_res *res)
{
	struct store *st = dl->d->store;
	struct grpsec_command_params p = {
		.suite = cg->suite, .mode = cg->mode, .group = cg->id,
		.recipient = req->member,
	};
	struct counter *seq = cmd_counter(dl, cg->id);
	struct store_group g;
	struct store_epoch e;
	int rc;

	if (!seq)
		return refuse(res, "out of memory: try again");
	rc = store_group_get(st, cg->id, &g);
	if (rc == 0)
		rc = store_epoch_get(st, cg->id, g.epoch, &e);
	if (rc < 0)
		return refuse(res, "database: %s (see grpsecd's log)", store_error(st));
	/* The sequence is committed in the store before the body carries it. */
	rc = counter_take(st, seq, &res->seq);
	if (rc == 0) {
		p.epoch = g.epoch;
		p.seq = res->seq;
		p.group_key = e.k_g;
		rc = grpsec_command_seal(&p, dl->signer, req->payload, req->len, body,
					 GRPSEC_BODY_MAX_LEN, len);
		if (rc < 0)
			refuse(res, "the command could not be sealed: %s", grpsec_strerror(rc));
	} else {
		refuse(res, "database: %s (free space or make it writable, then retry)",
		       store_error(st));
	}
	OPENSSL_cleanse(&e, sizeof(e));
	return rc < 0 ? -1 : 0;
}

static int downlink_send(void *arg, const struct backend_send_req *req,
			 struct backend_send_res *res)
{
	struct downlink *dl = arg;
	struct grpsecd *d = dl->d;
	const struct conf_group *cg = conf_group_find(d->conf, req->group);
	uint8_t body[GRPSEC_BODY_MAX_LEN];
	struct store_member m;
	uint32_t first_gw = 0;
	size_t len;
	int rc, first_rc = 0;

	if (!cg)
		return refuse(res, "no group %" PRIu32 " in %s: the groups are its [Group]"
			      " sections", req->group, d->conf_path);
	if (!cg->commands)
		return refuse(res, "group %" PRIu32 " does not receive commands (its [Group] has no"
			      " Commands = yes)", req->group);
	if (!cg->gateways.n)
		return refuse(res, "group %" PRIu32 " has no Gateway in its [Group]: nowhere to"
			      " send", req->group);
	if (req->member) {
		rc = store_member_get(d->store, req->member, req->group, &m, NULL);
		if (rc == -ENOENT || (rc == 0 && m.state != STORE_MEMBER_ACTIVE))
			return refuse(res, "member %" PRIu32 " is not an active member of group %"
				      PRIu32 ": \"grpsecctl members %" PRIu32 "\" lists them",
				      req->member, req->group, req->group);
		if (rc < 0)
			return refuse(res, "database: %s", store_error(d->store));
	}
	if (seal_command(dl, cg, req, body, &len, res) < 0)
		return -1;
	for (size_t i = 0; i < cg->gateways.n; i++) {
		rc = backend_downlink(d->backend, cg->gateways.v[i], req->group, req->member,
				      GRPSEC_DOWNLINK_KIND_COMMAND, body, len, NULL);
		if (rc == 0) {
			res->sent++;
			continue;
		}
		res->unreached++;
		if (!first_rc) {
			first_rc = rc;
			first_gw = cg->gateways.v[i];
		}
	}
	if (!res->sent)
		return refuse(res, "command %" PRIu64 " reached no gateway of group %" PRIu32
			      ": gateway %" PRIu32 ": %s; try again", res->seq, req->group,
			      first_gw, unreached_why(first_rc));
	log_info("downlink: command %" PRIu64 " for group %" PRIu32 " member %" PRIu32
		 ", %zu bytes, to %u of %zu gateways", res->seq, req->group, req->member,
		 req->len, res->sent, cg->gateways.n);
	return 0;
}

static int downlink_init(struct grpsecd *d)
{
	struct downlink *dl;
	int rc;

	if (!d->backend)
		return 0;		/* no BatchListen: no gateway to send to */
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return -1;
	dl->d = d;
	rc = groups_signer(d->store, &dl->signer);
	if (rc < 0) {
		log_err("downlink: the signing key: %s", rc == -EINVAL ?
			"stored with a wrong length" : store_error(d->store));
		free(dl);
		return -1;
	}
	backend_on_send(d->backend, downlink_send, dl);
	d->downlink = dl;
	return 0;
}

static void downlink_uninit(struct grpsecd *d)
{
	struct downlink *dl = d->downlink;

	if (!dl)
		return;
	if (d->backend)
		backend_on_send(d->backend, NULL, NULL);
	grpsec_signer_free(dl->signer);
	free(dl->cmd_seq);
	free(dl);
	d->downlink = NULL;
}

const struct grpsecd_part downlink_part = {
	.name = "downlink",
	.init = downlink_init,
	.uninit = downlink_uninit,
};
