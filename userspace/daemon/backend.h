/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The manager's end of the uplink (backend.c): gateways' batches arrive on
 * a UDP socket, libgrpsec's backend verifies and opens them (one context
 * per gateway, under that gateway's K_up), the replay state is saved in
 * the store, and then every message goes to the application over a local
 * unix socket, one record per message (grpsecd.rst, "Application
 * socket").
 *
 * Order, so that a crash delivers no message twice: open the datagrams at
 * hand, save the replay state of every gateway that had a batch accepted
 * (store_replay_put(), committed), then deliver.  If the database fails,
 * the records wait and the socket is not read until a save succeeds.
 */
#ifndef GRPSECD_BACKEND_H
#define GRPSECD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "grpsec.h"
#include "grpsecd.h"

struct backend;
struct loop;
struct metrics;
struct store;

/*
 * The manager's part: BatchListen, ApplicationSocket, and the K_up of
 * every [Gateway] with an UpstreamKey file (read again on reload).
 */
extern const struct grpsecd_part backend_part;

/* Counters since backend_new() (also fed to /metrics when there is one). */
struct backend_stats {
	uint64_t datagrams;
	uint64_t batches_ok;
	uint64_t batch_malformed;	/* not a batch */
	uint64_t batch_unknown_gateway;	/* no K_up for its gateway id */
	uint64_t batch_replay;		/* sequence not above the window */
	uint64_t batch_bad_tag;		/* K_up tag did not verify */
	uint64_t socket_drops;		/* dropped by the kernel: the receive buffer was full */
	uint64_t messages;		/* entries opened and delivered (or queued) */
	uint64_t entries_refused;	/* bad inner tag, replay, unknown group, ... */
	uint64_t saves;			/* replay states committed */
	uint64_t whole_saves;		/* of them, whole (the others: only what moved) */
	uint64_t bytes_saved;		/* replay state bytes committed */
	uint64_t save_failures;
	uint64_t app_clients;		/* application connections accepted */
	uint64_t app_hellos;		/* of them, hello lines answered (good or bad) */
	uint64_t app_dropped;		/* records dropped: backlog or client full */
	uint64_t app_requests;		/* request lines from applications */
	uint64_t app_refused;		/* of them, answered with an error */
	uint64_t downlinks;		/* downlink frames sent to gateways */
};

/*
 * backend_new() - serve batches on @udp_fd (a bound UDP socket) and the
 * application on @app_fd (a listening unix stream socket, or -1); both
 * are taken (backend_free() closes them).  Reads the groups' current and
 * next epochs from @st.  @m (may be NULL): where messages and refused
 * batches are counted.  Returns 0, -ENOMEM, or the store's error.
 */
int backend_new(struct loop *l, struct store *st, struct metrics *m, int udp_fd,
		int app_fd, struct backend **out);

/* backend_free() - save what is unsaved, close the sockets, wipe keys. */
void backend_free(struct backend *b);

/*
 * backend_set_upstream() - the K_up of @gateway (the control channel
 * derives it from its TLS exporter on each connection).  A new key takes
 * over the gateway's replay state: the one in memory, or the one saved in
 * the store for a gateway not seen since the start.  The key it replaces
 * (the same suite) still opens batches until one verifies under the new
 * key, or for the grace.  Returns 0, -EINVAL,
 * -ENOMEM, -EPROTO (the saved state does not fit: refused, so that no
 * replay gets through), or the store's error.
 */
int backend_set_upstream(struct backend *b, uint32_t gateway, unsigned int suite,
			 const uint8_t *key);

/* How long a previous K_up opens batches at most (ended earlier by the new key's first). */
#define BACKEND_UPSTREAM_GRACE_MS	60000

/* backend_set_upstream_grace() - that bound; 0: BACKEND_UPSTREAM_GRACE_MS. */
void backend_set_upstream_grace(struct backend *b, uint32_t ms);

/* backend_forget_upstream() - save the gateway's state, accept none of its batches. */
void backend_forget_upstream(struct backend *b, uint32_t gateway);

/*
 * backend_sync_groups() - register every group's current and next epoch
 * from the store, forget the others (after a rekey, a rollover or a new
 * group).  Returns 0 or a negative errno.
 */
int backend_sync_groups(struct backend *b);

/*
 * Downlinks (grpsecd.rst, "Downlinks").  backend_downlink() wraps @body (a
 * command or rekey body, 1..GRPSEC_BODY_MAX_LEN bytes) for @group and
 * @member (0: every member) in a downlink frame under @gateway's newest
 * K_up, with the gateway's next downlink sequence (counter.h: reserved
 * and committed in the store before it is used), and sends it from the
 * batch socket to the address of the gateway's last accepted batch, which
 * is its upstream socket (netlink.rst, "Downlink frames").  *@seq (may be
 * NULL): the sequence used.  Returns 0, -ENOKEY (no K_up for @gateway),
 * -ENOTCONN (no batch of it accepted since the start: its address is not
 * known), -EAGAIN (the socket buffer is full: try again later), the
 * store's error, or another -errno of the send.
 */
int backend_downlink(struct backend *b, uint32_t gateway, uint32_t group, uint32_t member,
		     unsigned int kind, const uint8_t *body, size_t len, uint64_t *seq);

/*
 * Application requests: "send GROUP MEMBER|* HEX" (records) or
 * {"send":{...}} (JSON).  The backend parses them and hands each to the
 * function set with backend_on_send(), which fills @res and returns 0, or
 * -1 with res->error saying what to do; the backend then answers "ok ..."
 * or "error ..." in the connection's format.
 */
struct backend_send_req {
	uint32_t group;
	uint32_t member;		/* 0: every member of the group */
	uint8_t payload[GRPSEC_COMMAND_MAX_PAYLOAD];
	size_t len;
};

struct backend_send_res {
	uint32_t group, member;
	uint64_t seq;			/* the command sequence */
	unsigned int sent;		/* gateways the downlink went to */
	unsigned int unreached;		/* gateways of the group it could not go to */
	char error[256];
};

typedef int (*backend_send_fn)(void *arg, const struct backend_send_req *req,
			       struct backend_send_res *res);

void backend_on_send(struct backend *b, backend_send_fn fn, void *arg);

void backend_get_stats(const struct backend *b, struct backend_stats *out);

#endif
