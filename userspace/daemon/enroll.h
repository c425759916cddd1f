/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager's enrollment server (enroll.c): TLS 1.3 on EnrollListen,
 * one state machine per connection in the event loop, at most
 * MaxHandshakes connections at once and HandshakeTimeout for each; the
 * policy, a fresh member id committed through store_enroll(), the keys
 * of keys.rst, then the answer (enrollment.rst).
 */
#ifndef GRPSECD_ENROLL_H
#define GRPSECD_ENROLL_H

#include <stdint.h>

#include "grpsecd.h"

/* Every way an enrollment ends, counted (metrics label: enroll_outcome_name()). */
enum enroll_outcome {
	ENROLL_OK,
	/* Refusals sent to the device: the GRPSEC_REFUSE_* reasons. */
	ENROLL_MALFORMED,
	ENROLL_VERSION,
	ENROLL_DENIED,
	ENROLL_UNKNOWN_GROUP,
	ENROLL_REVOKED,
	ENROLL_INTERNAL,
	ENROLL_TIMEOUT,
	/* The handshake failed (enum tls_fail), or no TLS at all. */
	ENROLL_CERT_UNTRUSTED,
	ENROLL_CERT_EXPIRED,
	ENROLL_CERT_REVOKED,
	ENROLL_CERT_INVALID,
	ENROLL_NO_CREDENTIAL,
	ENROLL_PSK_UNKNOWN,
	ENROLL_PSK_MISMATCH,
	ENROLL_TLS_PROTOCOL,
	ENROLL_HANDSHAKE_TIMEOUT,	/* cut mid-handshake */
	ENROLL_OVER_LIMIT,		/* closed at once: MaxHandshakes reached */
	ENROLL_CLOSED,			/* the device went away before the whole request */
	__ENROLL_OUTCOME_MAX,
};

/* "ok", "denied", "psk_unknown", "over_limit", ... */
const char *enroll_outcome_name(enum enroll_outcome o);

/* How many enrollments ended with @o since the daemon started. */
uint64_t enroll_count(const struct grpsecd *d, enum enroll_outcome o);

extern const struct grpsecd_part enroll_part;

#endif
