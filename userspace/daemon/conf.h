/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grpsecd.conf: the configuration, as read from its file (conf.c).
 * grpsecd.conf(5) describes the format; this is what it becomes.
 *
 * conf_load() returns a complete, checked configuration or NULL after
 * printing every problem as "FILE:LINE: what is wrong".  A configuration
 * is never changed after it is loaded: a reload loads a new one and
 * swaps it in whole (main.c), so a pointer into the one in force stays
 * good until the next grpsecd_part.reload_apply().
 */
#ifndef GRPSECD_CONF_H
#define GRPSECD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conf_addr {
	struct sockaddr_storage ss;
	socklen_t len;		/* 0: not configured */
};

struct conf_ids {
	uint32_t *v;
	size_t n;
};

struct conf_strs {
	char **v;
	size_t n;
};

/* [Group]: one group the manager runs. */
struct conf_group {
	uint32_t id;
	uint8_t suite;		/* GRPSEC_SUITE_* */
	uint8_t mode;		/* GRPSEC_MODE_ANONYMOUS or _IDENTIFIED */
	bool commands;		/* the group receives downlink commands */
	bool terminate;		/* its gateways hold K_G (terminate mode) */
	uint64_t epoch_lifetime; /* seconds; 0: epochs change only on demand */
	uint64_t message_limit;	/* per epoch; 0: the suite's safe default */
	uint32_t rate_limit;	/* frames/s per member at the gateway; 0: none */
	struct conf_ids gateways; /* [Gateway] ids that serve the group */
	unsigned int line;	/* where the section starts */
};

/*
 * [Allow]: identities that may join the listed groups.  A certificate
 * identity is admitted when its subject matches a Subject pattern or
 * one of its subject alternative names matches a SAN pattern; a PSK
 * identity when it matches a PSKIdentity pattern (policy.c).
 */
struct conf_allow {
	struct conf_ids groups;
	struct conf_strs subjects;
	struct conf_strs sans;
	struct conf_strs psk_ids;
	unsigned int line;
};

/* [Gateway]: a gateway the manager knows and hands devices to. */
struct conf_gateway {
	uint32_t id;
	char *identity;		/* the subject its certificate must carry */
	struct conf_addr address; /* where devices report (given to them) */
	char *upstream_key;	/* K_up file, until the control channel derives it */
	uint8_t upstream_suite;	/* GRPSEC_SUITE_* of K_up */
	unsigned int line;
};

/* [Manager]: the manager role's own settings. */
struct conf_manager {
	struct conf_addr enroll_listen;	/* TLS: device enrollment */
	struct conf_addr control_listen; /* TLS: gateways' control channel */
	struct conf_addr batch_listen;	/* UDP: gateways' batches */
	struct conf_addr metrics_listen; /* HTTP /metrics, loopback only */
	char *certificate;		/* PEM files */
	char *private_key;
	char *ca;
	char *crl;
	char *psk_file;
	char *database;			/* sqlite:PATH or postgresql:CONNINFO */
	char *master_key;
	char *control_socket;		/* unix socket for grpsecctl */
	char *app_socket;		/* unix socket for the application */
	uint32_t max_handshakes;
	uint32_t handshake_timeout_ms;
	uint32_t rekey_rate;		/* per cent of a group's members sent a rekey per second */
	uint32_t upstream_grace_ms;	/* the previous K_up's grace, at most */
	uint32_t rekey_grace_ms;	/* from the last rekey sent to the old epoch's retirement */
	uint32_t rekey_retry_ms;	/* a member unheard under the new epoch this long: again */
	uint32_t rekey_retries;		/* at most this many times */
	unsigned int line;		/* 0: the file has no [Manager] */
};

/* [Control]: the gateway role's own settings, its channel to the manager. */
struct conf_control {
	struct conf_addr manager;	/* the manager's ControlListen */
	char *manager_name;		/* a DNS name its certificate must carry */
	char *certificate;		/* the gateway's certificate and key, PEM */
	char *private_key;
	char *ca;			/* signs the manager's certificate */
	char *crl;
	char *state_file;		/* the nonce counters' reservations */
	char *control_socket;		/* unix socket for grpsecctl */
	struct conf_addr metrics_listen; /* HTTP /metrics, loopback only */
	uint32_t handshake_timeout_ms;
	unsigned int line;		/* 0: the file has no [Control] */
};

struct grpsecd_conf {
	char *file;
	struct conf_manager manager;
	struct conf_control control;
	struct conf_group *groups;
	size_t ngroups;
	struct conf_allow *allows;
	size_t nallows;
	struct conf_gateway *gateways;
	size_t ngateways;
};

/* Defaults for what the file does not say (grpsecd.conf(5)). */
#define CONF_DEFAULT_DATABASE		"sqlite:/var/lib/grpsecd/manager.db"
#define CONF_DEFAULT_MASTER_KEY		"/var/lib/grpsecd/master.key"
#define CONF_DEFAULT_CONTROL_SOCKET	"/run/grpsecd/manager.sock"
#define CONF_DEFAULT_MAX_HANDSHAKES	256
#define CONF_DEFAULT_HANDSHAKE_MS	10000
#define CONF_DEFAULT_GW_CONTROL_SOCKET	"/run/grpsecd/gateway.sock"
#define CONF_DEFAULT_GW_STATE_FILE	"/var/lib/grpsecd/gateway.state"
#define CONF_DEFAULT_REKEY_RATE		10
#define CONF_DEFAULT_REKEY_GRACE_MS	60000
#define CONF_DEFAULT_REKEY_RETRY_MS	20000
#define CONF_DEFAULT_REKEY_RETRIES	2

struct grpsecd_conf *conf_load(const char *file);
/*
 * conf_check_gateway() - what the gateway role needs of a loaded file
 * (a [Control] section); 0, or -1 after logging "FILE: problem".
 */
int conf_check_gateway(const struct grpsecd_conf *c);
void conf_free(struct grpsecd_conf *c);

const struct conf_group *conf_group_find(const struct grpsecd_conf *c,
					 uint32_t id);
const struct conf_gateway *conf_gateway_find(const struct grpsecd_conf *c,
					     uint32_t id);

#endif
