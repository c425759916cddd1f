/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager <-> gateway control channel (grpsecd.rst, "Control
 * channel"; the messages in enrollment.rst).
 *
 * control.c is the manager's end: ControlListen, TLS 1.3 with the
 * gateway's certificate checked against CA and CRL and its subject
 * matched to a [Gateway] Identity; on each connection K_up derived from
 * the exporter and given to the backend, then a full push of what the
 * gateway serves, then every change as it happens.
 *
 * control_client.c is the gateway's end: it connects, derives the same
 * K_up, and fills d->want from what the manager says.
 */
#ifndef GRPSECD_CONTROL_H
#define GRPSECD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grpsecd.h"

struct store_member;

/* Why a gateway's connection was or was not taken (metrics labels). */
enum control_outcome {
	CONTROL_OK,			/* a gateway connected */
	CONTROL_CERT_UNTRUSTED,		/* not from the CA */
	CONTROL_CERT_EXPIRED,
	CONTROL_CERT_REVOKED,		/* on the CRL */
	CONTROL_CERT_INVALID,
	CONTROL_NO_CERTIFICATE,		/* the client showed none */
	CONTROL_UNKNOWN_IDENTITY,	/* a subject no [Gateway] carries */
	CONTROL_TLS_PROTOCOL,
	CONTROL_HANDSHAKE_TIMEOUT,
	CONTROL_INTERNAL,		/* out of memory, exporter failed */
	__CONTROL_OUTCOME_MAX,
};

const char *control_outcome_name(enum control_outcome o);
uint64_t control_count(const struct grpsecd *d, enum control_outcome o);
/* control_connected() - gateways connected now. */
unsigned int control_connected(const struct grpsecd *d);
/*
 * control_gateway_seen() - @gateway connected over the channel since the
 * start: its K_up is the channel's, never [Gateway] UpstreamKey's.
 */
bool control_gateway_seen(const struct grpsecd *d, uint32_t gateway);

/* The manager's part (after backend: it installs K_up there). */
extern const struct grpsecd_part control_part;

/*
 * control_member_enrolled() - @member was committed in @groups (enroll.c,
 * after store_enroll()): every connected gateway serving one of them gets
 * its K_m at once.  NULL d->control: nothing.
 */
void control_member_enrolled(struct grpsecd *d, uint32_t member, const uint32_t *groups,
			     size_t n_groups);

/*
 * control_members_revoked() - these member rows were revoked (ctl_cmd.c,
 * after store_device_revoke()): every connected gateway serving their
 * group forgets them (MEMBER_DEL).
 */
void control_members_revoked(struct grpsecd *d, const struct store_member *m, size_t n);

/* The gateway role's part: the channel to [Control] Manager, filling d->want. */
extern const struct grpsecd_part control_client_part;

/* What the gateway's end has seen (tests, /metrics). */
struct control_client_stats {
	uint64_t connects;		/* handshakes completed */
	uint64_t failures;		/* connections that failed or were lost */
	uint64_t pushes;		/* full pushes completed (SYNC_DONE) */
	uint64_t queries;		/* MEMBER_QUERY sent */
	uint64_t queries_dropped;	/* over the rate limit */
	uint64_t heard;			/* members reported in HEARD */
	uint64_t bad_messages;		/* refused by the parser or out of place */
	uint64_t last_backoff_ms;	/* the wait before the latest attempt */
};

void control_client_get_stats(const struct grpsecd *d, struct control_client_stats *out);
/* control_client_connected() - the channel is up now. */
bool control_client_connected(const struct grpsecd *d);

/*
 * control_client_query() - the unknown-member hook (kernel.h): ask the
 * manager about (@group, @member), at most a few per second.
 */
void control_client_query(void *arg, uint32_t group, uint32_t member);

#endif
