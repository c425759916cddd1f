/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which identity may join which group: the [Allow] sections of the
 * configuration (policy.c).  Patterns are shell globs (fnmatch(3), no
 * flags) matched against the whole string.
 */
#ifndef GRPSECD_POLICY_H
#define GRPSECD_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct grpsecd_conf;

enum identity_kind {
	IDENTITY_CERT,		/* a device certificate, checked by TLS */
	IDENTITY_PSK,		/* an external PSK's identity */
};

/*
 * subject: for a certificate, its subject as OpenSSL prints it with
 * XN_FLAG_RFC2253 ("CN=meter-17,O=Utility"); for a PSK, the identity.
 * sans: a certificate's subject alternative names, each as
 * "DNS:name", "URI:uri", "email:addr" or "IP:addr" (none for a PSK).
 */
struct identity {
	enum identity_kind kind;
	const char *subject;
	const char *const *sans;
	size_t nsans;
};

enum policy_result {
	POLICY_ALLOW,
	POLICY_NO_GROUP,	/* the configuration has no such group */
	POLICY_DENY,		/* no [Allow] admits the identity to it */
};

/*
 * policy_check() - may id join group?  On a refusal, *reason (when not
 * NULL) is a sentence for the device and the log, without the identity.
 */
enum policy_result policy_check(const struct grpsecd_conf *conf,
				const struct identity *id, uint32_t group,
				const char **reason);

/* The result's name for metrics labels: "allow", "no_group", "deny". */
const char *policy_result_name(enum policy_result r);

#endif
