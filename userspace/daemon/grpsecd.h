/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grpsecd: the state of one daemon process, passed to every handler.
 *
 * There is no other global state.  A role is a list of parts (metrics,
 * store, control socket, enrollment, ...), each with an init and an
 * uninit, started in order and stopped in reverse (main.c), and each
 * told about a reload in two steps so that a configuration one part
 * refuses changes nothing anywhere.
 */
#ifndef GRPSECD_H
#define GRPSECD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define GRPSECD_VERSION		"0.2.0"
#define GRPSECD_DEFAULT_CONF	"/etc/grpsec/grpsecd.conf"

struct grpsecd_conf;
struct loop;
struct store;
struct ctl;
struct metrics;
struct enroll;
struct backend;
struct downlink;
struct rekey;
struct control;
struct control_client;
struct kernel;
struct gwstate;

enum grpsecd_role {
	GRPSECD_MANAGER,
	GRPSECD_GATEWAY,
};

struct grpsecd {
	enum grpsecd_role role;
	const char *conf_path;
	struct grpsecd_conf *conf;	/* the configuration in force */
	struct loop *loop;
	struct store *store;		/* store.h: the manager's database */
	struct ctl *ctl;		/* ctl.c: the control socket */
	struct metrics *metrics;	/* metrics.c: counters, /metrics */
	struct enroll *enroll;		/* enroll.c: the enrollment server */
	struct backend *backend;	/* backend.c: batches in, messages out */
	struct downlink *downlink;	/* downlink.c: signed commands */
	struct rekey *rekey;		/* rekey.c: epochs, rekeys */
	struct control *control;	/* control.c: the manager's end of the control channel */
	struct kernel *kernel;		/* kernel.c: grpsec.ko (gateway) */
	struct gwstate *want;		/* gwstate.h: what the gateway should hold */
	struct control_client *client;	/* control_client.c: the gateway's channel to the manager */
	time_t started;
	unsigned int reloads;		/* configurations taken since start */
};

/*
 * A part of a role.  init() sets up the part's state in d (and logs its
 * own error); uninit() undoes it and is called only after a successful
 * init().  On reload, every part's reload_check() sees the new
 * configuration first and may refuse it (logging why) without changing
 * anything; when all agree, d->conf becomes the new one and every
 * reload_apply() is called with the previous one, and must not fail.
 * When a later part refuses, the parts already asked get reload_abort()
 * to drop what reload_check() prepared.  Every hook but init is optional.
 */
struct grpsecd_part {
	const char *name;
	int (*init)(struct grpsecd *d);
	void (*uninit)(struct grpsecd *d);
	int (*reload_check)(struct grpsecd *d, const struct grpsecd_conf *next);
	void (*reload_apply)(struct grpsecd *d, const struct grpsecd_conf *prev);
	void (*reload_abort)(struct grpsecd *d);
};

/* main.c: reload the configuration file; 0, or -1 with the old one kept. */
int grpsecd_reload(struct grpsecd *d);

/* main.c: ask the event loop to stop; grpsecd exits with status rc. */
void grpsecd_stop(struct grpsecd *d, int rc);

const char *grpsecd_role_name(enum grpsecd_role role);

#endif
