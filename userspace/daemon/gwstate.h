/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gateway's wanted state (gwstate.c): what the manager told this
 * gateway to hold, as the control channel (control.c) last heard it.
 * kernel.c makes grpsec.ko hold exactly this: it dumps the module,
 * compares, and changes only what differs (grpsecd.rst, "Kernel events
 * are hints").  Nothing here talks to the kernel or the network.
 *
 * Keys live only in this structure's own memory, wiped when a member,
 * a group or the whole state is dropped; nothing here prints them.
 * Every change bumps @generation, so kernel.c can tell that a
 * reconciliation is due without comparing anything.
 */
#ifndef GRPSECD_GWSTATE_H
#define GRPSECD_GWSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "grpsec.h"

/* One key slot: K_m[e] of a member, K_G[e] of a terminate mode group. */
struct gw_key {
	bool set;
	uint32_t epoch;
	uint8_t key[GRPSEC_KEY_MAX_LEN];	/* the group suite's length */
};

struct gw_member {
	uint32_t group;
	uint32_t id;
	struct gw_key cur;		/* GRPSEC_KEY_SLOT_CURRENT */
	struct gw_key next;		/* GRPSEC_KEY_SLOT_NEXT, during a rollover */
	uint64_t last_seq;		/* replay floor (a "last"); 0: none */
};

struct gw_group {
	uint32_t id;
	uint8_t suite;			/* GRPSEC_SUITE_* */
	uint8_t mode;			/* GRPSEC_MODE_* */
	uint32_t flags;			/* GRPSEC_GROUP_F_* */
	uint64_t msg_limit;		/* 0: the module's default */
	uint32_t rate_limit;		/* 0: none */
	struct gw_key cur, next;	/* K_G, terminate mode groups only */
	uint64_t cmd_seq_floor;		/* SEND sequence floor; 0: none */
};

struct gw_upstream {
	bool set;
	uint32_t gateway;		/* this gateway's id */
	uint8_t suite;			/* of K_up */
	struct sockaddr_storage endpoint; /* the manager's batch address */
	socklen_t endpoint_len;
	uint8_t key[GRPSEC_KEY_MAX_LEN]; /* K_up, from the control channel's exporter */
	uint64_t seq_floor;		/* batch sequence floor; 0: none */
};

struct gwstate {
	struct gw_upstream upstream;
	uint16_t listen_port;		/* 0: the device socket stays closed */
	uint64_t gateway_seq_floor;	/* type 4 and 5 frames; 0: none */
	uint64_t generation;		/* bumped by every change below */

	/* Groups, in the order of their ids. */
	struct gw_group *groups;
	size_t ngroups;

	/* Members: gwstate.c's table, keyed on (group, id). */
	struct gw_member_table *members;
	size_t nmembers;
};

struct gwstate *gwstate_new(void);
/* gwstate_free() - wipe every key, free everything; NULL is fine. */
void gwstate_free(struct gwstate *s);
/* gwstate_clear() - back to empty (keys wiped), as after gwstate_new(). */
void gwstate_clear(struct gwstate *s);

/* gwstate_set_upstream() - copy @u in (u->set true), or with NULL drop it. */
void gwstate_set_upstream(struct gwstate *s, const struct gw_upstream *u);
void gwstate_set_listen(struct gwstate *s, uint16_t port, uint64_t gateway_seq_floor);

/*
 * gwstate_group_put() - add @g or replace the group of its id (its
 * members stay).  Returns 0 or -ENOMEM.
 */
int gwstate_group_put(struct gwstate *s, const struct gw_group *g);
/* gwstate_group_del() - the group and every member in it; -ENOENT if absent. */
int gwstate_group_del(struct gwstate *s, uint32_t id);
struct gw_group *gwstate_group_find(const struct gwstate *s, uint32_t id);

/*
 * gwstate_member_put() - add @m or replace the member of its (group, id).
 * Returns 0, -ENOENT (no such group), -ENOMEM.
 */
int gwstate_member_put(struct gwstate *s, const struct gw_member *m);
/* gwstate_member_del() - wipe and forget it; -ENOENT if absent. */
int gwstate_member_del(struct gwstate *s, uint32_t group, uint32_t id);
struct gw_member *gwstate_member_find(const struct gwstate *s, uint32_t group,
				      uint32_t id);

/*
 * gwstate_member_each() - call @fn for every member (of @group, or of
 * every group when @group is 0), in no particular order, until it
 * returns non-zero, which is returned.  @fn must not add or delete.
 */
int gwstate_member_each(const struct gwstate *s, uint32_t group,
			int (*fn)(const struct gw_member *m, void *arg), void *arg);

/*
 * gwstate_rekeying() - whether a member (of @group, or of any group when
 * @group is 0) has a next key: a rekey under way.
 */
bool gwstate_rekeying(const struct gwstate *s, uint32_t group);

#endif
