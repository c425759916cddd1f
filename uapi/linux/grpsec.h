/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * grpsec: group authentication for M2M gateways.
 *
 * Generic netlink family "grpsec", version GRPSEC_GENL_VERSION.  Every
 * command needs CAP_NET_ADMIN in the network namespace it acts on (dumps
 * included), and works on that namespace's instance only.  Every request
 * is strictly validated: unknown attributes are refused, and the kernel
 * explains each refusal in an extended ACK message.
 *
 * Each command has its own policy: an attribute the command does not take
 * (including one inside a nest) is refused, not ignored.
 *
 * Keys are write-only: no command ever returns key material.
 *
 * Sequence counters (GRPSEC_A_GATEWAY_SEQ, GRPSEC_A_UPSTREAM_SEQ,
 * GRPSEC_A_GROUP_CMD_SEQ) make nonces or sequence numbers that must never
 * repeat.  Set, each is a floor: the next value the counter uses is at
 * least that (a floor never lowers a counter).  Read, each is the next
 * value the counter will use, so a value saved and set again later
 * continues exactly where the counter stopped.  Until a counter is given
 * a floor, it starts at CLOCK_REALTIME in nanoseconds when it is made
 * and counts up by one (what it reads back is exact, safe to save);
 * once it has one, the clock is no longer read (a clock stepped forward
 * would otherwise carry it past the range a daemon reserved).  A floor
 * above GRPSEC_SEQ_FLOOR_MAX is refused, and a counter never wraps: at
 * 2^64 - 1 it stops and its frames are not sent.
 *
 * A replay window's floor (GRPSEC_A_UPSTREAM_DL_SEQ) means the same
 * (Documentation/frames.rst, "Sequence floors": the first sequence still
 * new): set, every sequence below it is a replay and the floor itself is
 * accepted, so the same value given to the sender and to the gateway
 * loses nothing; read, the floor to set again, one above the highest
 * sequence accepted.  GRPSEC_A_MEMBER_LAST_SEQ is a last, not a floor:
 * set, every sequence at or below it is a replay; read, the highest
 * sequence accepted (or the value set).
 *
 * Attribute trees, per command (direction: "set" = request,
 * "dump" = reply):
 *
 * GRPSEC_CMD_GET_INFO (doit)
 *   reply: GRPSEC_A_VERSION, GRPSEC_A_LISTEN_PORT, GRPSEC_A_GROUP_COUNT,
 *          GRPSEC_A_MEMBER_COUNT, GRPSEC_A_GATEWAY_SEQ
 *
 * GRPSEC_CMD_SET_LISTEN (doit): the namespace's settings, each optional
 *   (at least one)
 *   GRPSEC_A_LISTEN_PORT              set, u16; 0 closes the socket
 *   GRPSEC_A_GATEWAY_SEQ              set: u64 0..GRPSEC_SEQ_FLOOR_MAX
 *                                     floor of the gateway sequence (type
 *                                     4 and 5 frames, under every K_m[e]);
 *                                     dump (GET_INFO): the next one
 *
 * GRPSEC_CMD_NEW_GROUP, GRPSEC_CMD_SET_GROUP (doit)
 * GRPSEC_CMD_DEL_GROUP (doit), GRPSEC_CMD_GET_GROUP (doit, or dump):
 *   GRPSEC_A_GROUP_ID only
 *   GRPSEC_A_GROUP (nest)
 *     GRPSEC_A_GROUP_ID               set/dump, u32 1..
 *     GRPSEC_A_GROUP_SUITE            set(new)/dump, u8 enum grpsec_suite
 *     GRPSEC_A_GROUP_MODE             set(new)/dump, u8 enum grpsec_mode
 *     GRPSEC_A_GROUP_FLAGS            set/dump, u32 GRPSEC_GROUP_F_*
 *     GRPSEC_A_GROUP_MSG_LIMIT        set/dump, u64 messages per epoch
 *     GRPSEC_A_GROUP_RATE_LIMIT       set/dump, u32 verified frames per
 *                                     second and member, 0 = none
 *                                     (default); also the bad tags allowed
 *                                     per second (1024 when 0) per group
 *                                     from addresses that are not their
 *                                     member's endpoint, and per member
 *                                     from its endpoint
 *     GRPSEC_A_GROUP_MEMBERS          dump, u32 number of members
 *     GRPSEC_A_GROUP_STATS            dump, nest of GRPSEC_A_STATS_*
 *     GRPSEC_A_GROUP_KEY              set, nest, multi-attr (one per slot):
 *                                     the group key K_G[e] of a terminate
 *                                     mode group, as GRPSEC_A_MEMBER_KEY
 *     GRPSEC_A_GROUP_DELIVER          set/dump, sockaddr_in/_in6: where a
 *                                     terminate mode group's messages are
 *                                     delivered (a local UDP port); an
 *                                     empty attribute clears it
 *     GRPSEC_A_GROUP_MCAST            set/dump, sockaddr_in/_in6 of an IP
 *                                     multicast group: signed commands for
 *                                     every member leave once, to it; an
 *                                     empty attribute clears it
 *     GRPSEC_A_GROUP_EPOCH            dump, u32 epoch of the current K_G
 *     GRPSEC_A_GROUP_NEXT_EPOCH       dump, u32 epoch of the next K_G
 *     GRPSEC_A_GROUP_CMD_SEQ          set: u64 0..GRPSEC_SEQ_FLOOR_MAX
 *                                     floor of the command sequence of
 *                                     SEND; dump: the next one
 *
 *   GRPSEC_GROUP_F_TERMINATE needs an anonymous group; the gateway then
 *   opens the group's uplink messages with K_G and delivers them to
 *   GRPSEC_A_GROUP_DELIVER instead of forwarding them upstream, and SEND
 *   can address the group.
 *
 * GRPSEC_CMD_NEW_MEMBER, GRPSEC_CMD_SET_MEMBER, GRPSEC_CMD_DEL_MEMBER (doit)
 *   GRPSEC_A_MEMBER (nest, multi-attr: up to GRPSEC_MEMBERS_PER_MSG per
 *   request, applied in order; the first failure stops the request, the
 *   members before it stay applied, and the extack's attribute offset
 *   points into the failing member's nest)
 *     GRPSEC_A_MEMBER_GROUP           set/dump, u32 group id
 *     GRPSEC_A_MEMBER_ID              set/dump, u32 1.. (DEL: these two
 *                                     only; keys or an endpoint refused)
 *     GRPSEC_A_MEMBER_KEY             set, nest, multi-attr (one per slot)
 *       GRPSEC_A_KEY_SLOT             set, u8 enum grpsec_key_slot
 *                                     (default current)
 *       GRPSEC_A_KEY_EPOCH            set, u32 (default 0)
 *       GRPSEC_A_KEY_DATA             set only, binary, the suite's key
 *                                     length (16 or 32 bytes); SET_MEMBER
 *                                     with a slot and no data empties the
 *                                     slot
 *     GRPSEC_A_MEMBER_ENDPOINT        set/dump, struct sockaddr_in or
 *                                     sockaddr_in6 (set: static address;
 *                                     dump: last authenticated address)
 *     GRPSEC_A_MEMBER_EPOCH           dump, u32 current slot's epoch
 *     GRPSEC_A_MEMBER_NEXT_EPOCH      dump, u32 next slot's epoch (if any)
 *     GRPSEC_A_MEMBER_LAST_SEQ        set (NEW/SET): u64
 *                                     0..GRPSEC_SEQ_FLOOR_MAX replay floor,
 *                                     every sequence at or below it is a
 *                                     replay under any key (never lowers
 *                                     it); dump: highest accepted
 *                                     sequence, or the floor
 *     GRPSEC_A_MEMBER_STATS           dump, nest of GRPSEC_A_STATS_*
 *     GRPSEC_A_MEMBER_LAST_EPOCH      dump, u32: the epoch of the key that
 *                                     verified the member's newest frame
 *                                     (absent before its first): a rekey's
 *                                     new epoch here means the member has it
 *
 * GRPSEC_CMD_GET_MEMBER (dump; GRPSEC_A_MEMBER_GROUP_FILTER at top level
 *   of the request restricts the dump to one group).  One message per
 *   member.
 *
 * GRPSEC_CMD_DEL_UPSTREAM (doit): ends the association; a pending batch
 *   is sent first.
 *
 * GRPSEC_CMD_SET_UPSTREAM, GRPSEC_CMD_GET_UPSTREAM (doit)
 *   GRPSEC_A_UPSTREAM (nest)
 *     GRPSEC_A_UPSTREAM_ENDPOINT      set/dump, sockaddr_in/sockaddr_in6
 *     GRPSEC_A_UPSTREAM_GATEWAY_ID    set/dump, u32
 *     GRPSEC_A_UPSTREAM_SUITE         set/dump, u8 enum grpsec_suite
 *     GRPSEC_A_UPSTREAM_KEY           set only, binary, suite's key length
 *     GRPSEC_A_UPSTREAM_BATCH_MAX     set/dump, u16 1..GRPSEC_BATCH_MAX
 *     GRPSEC_A_UPSTREAM_FLUSH_USEC    set/dump, u32 50..1000000
 *     GRPSEC_A_UPSTREAM_MTU           set/dump, u16 128..65507, UDP
 *                                     payload bytes per batch
 *     GRPSEC_A_UPSTREAM_SEQ           set: u64 0..GRPSEC_SEQ_FLOOR_MAX
 *                                     floor of the batch sequence (the
 *                                     same K_up again: never lowers it);
 *                                     dump: the next batch sequence
 *     GRPSEC_A_UPSTREAM_STATS         dump, nest of GRPSEC_A_STATS_*: the
 *                                     namespace's forwarded, batches,
 *                                     batch_bytes, tx_errors and
 *                                     drop_no_upstream; the rest are 0
 *     GRPSEC_A_UPSTREAM_DL_SEQ        set: u64 0..GRPSEC_SEQ_FLOOR_MAX
 *                                     downlink sequence floor, downlinks
 *                                     below it are refused as replays
 *                                     (never lowers the floor of the same
 *                                     K_up); dump: the floor to set
 *                                     again, one above the highest
 *                                     downlink sequence accepted under
 *                                     K_up, or the floor
 *
 * GRPSEC_CMD_SEND (doit): a command from the gateway itself (terminate
 *   mode), sealed under the group's current K_G and sent as a type 4
 *   frame (flag bit 0) to every member of the group, or to one.
 *   GRPSEC_A_SEND (nest)
 *     GRPSEC_A_SEND_GROUP             set, u32 group id
 *     GRPSEC_A_SEND_MEMBER            set, u32 member id (default: all)
 *     GRPSEC_A_SEND_DATA              set, binary, 0..GRPSEC_SEND_MAX
 *   reply: GRPSEC_A_SEND (nest)
 *     GRPSEC_A_SEND_SEQ               u64 the command sequence used
 *     GRPSEC_A_SEND_RECIPIENTS        u32 members the command is queued
 *                                     for (frames leave in process context
 *                                     after the reply)
 *
 * GRPSEC_CMD_GET_STATS (doit)
 *   reply: GRPSEC_A_STATS (nest of GRPSEC_A_STATS_*), this namespace's
 *   totals.
 *
 * GRPSEC_CMD_EVENT (notification on the GRPSEC_MCGRP_EVENTS multicast
 *   group, never a request).  Each event type is rate limited per
 *   namespace to GRPSEC_EVENTS_PER_SEC; what was suppressed is counted in
 *   the next event of that type.
 *   GRPSEC_A_EVENT (nest)
 *     GRPSEC_A_EVENT_TYPE             u8 enum grpsec_event_type
 *     GRPSEC_A_EVENT_GROUP            u32 (not for UPSTREAM_DOWN)
 *     GRPSEC_A_EVENT_MEMBER           u32 (UNKNOWN_MEMBER, *_BURST)
 *     GRPSEC_A_EVENT_EPOCH            u32 (EPOCH_LIMIT_NEAR)
 *     GRPSEC_A_EVENT_ENDPOINT         sockaddr_in/_in6, the frame's source
 *                                     (UNKNOWN_MEMBER, *_BURST) or the
 *                                     backend (UPSTREAM_DOWN)
 *     GRPSEC_A_EVENT_COUNT            u64: frames in the burst, messages
 *                                     used in the epoch, or failed sends
 *     GRPSEC_A_EVENT_LIMIT            u64 epoch message limit
 *                                     (EPOCH_LIMIT_NEAR)
 *     GRPSEC_A_EVENT_ERROR            u32, the positive errno of a failed
 *                                     upstream send (UPSTREAM_DOWN)
 *     GRPSEC_A_EVENT_SUPPRESSED       u32, events of this type dropped by
 *                                     the rate limit since the last one
 */
#ifndef _UAPI_LINUX_GRPSEC_H
#define _UAPI_LINUX_GRPSEC_H

#include <linux/types.h>

#define GRPSEC_GENL_NAME		"grpsec"
#define GRPSEC_GENL_VERSION		1
#define GRPSEC_MCGRP_EVENTS		"events"

#define GRPSEC_MEMBERS_PER_MSG		256
#define GRPSEC_EVENTS_PER_SEC		10
/* A member's bad tags or replays within one second that raise an event. */
#define GRPSEC_BURST_THRESHOLD		8
#define GRPSEC_BATCH_MAX		255
/* Largest SEND payload: a command body is 40 + n bytes, at most 1200. */
#define GRPSEC_SEND_MAX			1160
/*
 * The highest floor a sequence counter or replay window takes: a value
 * above it is a mistake (a negative number, an overflow) rather than a
 * counter, and a counter set to it still has 2^63 values before it would
 * wrap.
 */
#define GRPSEC_SEQ_FLOOR_MAX		((__u64)-1 >> 1)

enum grpsec_suite {
	GRPSEC_SUITE_AES128_GCM = 1,
	GRPSEC_SUITE_AES256_GCM = 2,
	GRPSEC_SUITE_CHACHA20_POLY1305 = 3,

	__GRPSEC_SUITE_MAX,
	GRPSEC_SUITE_MAX = __GRPSEC_SUITE_MAX - 1,
};

enum grpsec_mode {
	GRPSEC_MODE_ANONYMOUS = 0,
	GRPSEC_MODE_IDENTIFIED = 1,

	__GRPSEC_MODE_MAX,
	GRPSEC_MODE_MAX = __GRPSEC_MODE_MAX - 1,
};

enum grpsec_key_slot {
	GRPSEC_KEY_SLOT_CURRENT = 0,
	GRPSEC_KEY_SLOT_NEXT = 1,

	__GRPSEC_KEY_SLOT_MAX,
	GRPSEC_KEY_SLOT_MAX = __GRPSEC_KEY_SLOT_MAX - 1,
};

enum grpsec_group_flags {
	/* Terminate mode: the gateway holds K_G, opens and delivers locally. */
	GRPSEC_GROUP_F_TERMINATE = 1U << 0,

	__GRPSEC_GROUP_F_ALL = GRPSEC_GROUP_F_TERMINATE,
};

enum grpsec_event_type {
	GRPSEC_EVENT_UNKNOWN_MEMBER = 1,	/* frame from a member not configured */
	GRPSEC_EVENT_BAD_TAG_BURST = 2,		/* one member's frames fail the tag */
	GRPSEC_EVENT_REPLAY_BURST = 3,		/* one member's frames are replays */
	GRPSEC_EVENT_EPOCH_LIMIT_NEAR = 4,	/* 90% of an epoch's limit used */
	GRPSEC_EVENT_UPSTREAM_DOWN = 5,		/* batch frames cannot be sent */

	__GRPSEC_EVENT_MAX,
	GRPSEC_EVENT_MAX = __GRPSEC_EVENT_MAX - 1,
};

enum grpsec_cmd {
	GRPSEC_CMD_UNSPEC,
	GRPSEC_CMD_GET_INFO,
	GRPSEC_CMD_SET_LISTEN,
	GRPSEC_CMD_NEW_GROUP,
	GRPSEC_CMD_SET_GROUP,
	GRPSEC_CMD_DEL_GROUP,
	GRPSEC_CMD_GET_GROUP,
	GRPSEC_CMD_NEW_MEMBER,
	GRPSEC_CMD_SET_MEMBER,
	GRPSEC_CMD_DEL_MEMBER,
	GRPSEC_CMD_GET_MEMBER,
	GRPSEC_CMD_SET_UPSTREAM,
	GRPSEC_CMD_GET_UPSTREAM,
	GRPSEC_CMD_GET_STATS,
	GRPSEC_CMD_EVENT,
	GRPSEC_CMD_DEL_UPSTREAM,
	GRPSEC_CMD_SEND,

	__GRPSEC_CMD_MAX,
	GRPSEC_CMD_MAX = __GRPSEC_CMD_MAX - 1,
};

enum grpsec_attr {
	GRPSEC_A_UNSPEC,
	GRPSEC_A_VERSION,		/* dump, u32 */
	GRPSEC_A_LISTEN_PORT,		/* set/dump, u16 */
	GRPSEC_A_GROUP_COUNT,		/* dump, u32 */
	GRPSEC_A_MEMBER_COUNT,		/* dump, u32 */
	GRPSEC_A_GROUP,			/* nest, GRPSEC_A_GROUP_* */
	GRPSEC_A_MEMBER,		/* nest, GRPSEC_A_MEMBER_*, multi-attr */
	GRPSEC_A_UPSTREAM,		/* nest, GRPSEC_A_UPSTREAM_* */
	GRPSEC_A_STATS,			/* nest, GRPSEC_A_STATS_* */
	GRPSEC_A_MEMBER_GROUP_FILTER,	/* set (member dump), u32 group id */
	GRPSEC_A_PAD,
	GRPSEC_A_EVENT,			/* notification, GRPSEC_A_EVENT_* */
	GRPSEC_A_SEND,			/* nest, GRPSEC_A_SEND_* */
	GRPSEC_A_GATEWAY_SEQ,		/* set (floor)/dump (next), u64 */

	__GRPSEC_A_MAX,
	GRPSEC_A_MAX = __GRPSEC_A_MAX - 1,
};

enum grpsec_group_attr {
	GRPSEC_A_GROUP_UNSPEC,
	GRPSEC_A_GROUP_ID,		/* set/dump, u32 1.. */
	GRPSEC_A_GROUP_SUITE,		/* set/dump, u8 enum grpsec_suite */
	GRPSEC_A_GROUP_MODE,		/* set/dump, u8 enum grpsec_mode */
	GRPSEC_A_GROUP_FLAGS,		/* set/dump, u32 GRPSEC_GROUP_F_* */
	GRPSEC_A_GROUP_MSG_LIMIT,	/* set/dump, u64 1.. per epoch */
	GRPSEC_A_GROUP_MEMBERS,		/* dump, u32 */
	GRPSEC_A_GROUP_STATS,		/* dump, nest GRPSEC_A_STATS_* */
	GRPSEC_A_GROUP_PAD,
	GRPSEC_A_GROUP_RATE_LIMIT,	/* set/dump, u32 frames/s per member */
	GRPSEC_A_GROUP_KEY,		/* set, nest GRPSEC_A_KEY_*, multi */
	GRPSEC_A_GROUP_DELIVER,		/* set/dump, sockaddr_in/_in6 */
	GRPSEC_A_GROUP_EPOCH,		/* dump, u32 */
	GRPSEC_A_GROUP_NEXT_EPOCH,	/* dump, u32 */
	GRPSEC_A_GROUP_CMD_SEQ,		/* set (floor)/dump (next), u64 */
	GRPSEC_A_GROUP_MCAST,		/* set/dump, sockaddr_in/_in6 */

	__GRPSEC_A_GROUP_MAX,
	GRPSEC_A_GROUP_MAX = __GRPSEC_A_GROUP_MAX - 1,
};

enum grpsec_member_attr {
	GRPSEC_A_MEMBER_UNSPEC,
	GRPSEC_A_MEMBER_GROUP,		/* set/dump, u32 */
	GRPSEC_A_MEMBER_ID,		/* set/dump, u32 1.. */
	GRPSEC_A_MEMBER_KEY,		/* set, nest GRPSEC_A_KEY_*, multi */
	GRPSEC_A_MEMBER_ENDPOINT,	/* set/dump, sockaddr_in/_in6 */
	GRPSEC_A_MEMBER_EPOCH,		/* dump, u32 */
	GRPSEC_A_MEMBER_NEXT_EPOCH,	/* dump, u32 */
	GRPSEC_A_MEMBER_LAST_SEQ,	/* set (last)/dump (last), u64 */
	GRPSEC_A_MEMBER_STATS,		/* dump, nest GRPSEC_A_STATS_* */
	GRPSEC_A_MEMBER_PAD,
	GRPSEC_A_MEMBER_LAST_EPOCH,	/* dump, u32 */

	__GRPSEC_A_MEMBER_MAX,
	GRPSEC_A_MEMBER_MAX = __GRPSEC_A_MEMBER_MAX - 1,
};

enum grpsec_key_attr {
	GRPSEC_A_KEY_UNSPEC,
	GRPSEC_A_KEY_SLOT,		/* set, u8 enum grpsec_key_slot */
	GRPSEC_A_KEY_EPOCH,		/* set, u32 */
	GRPSEC_A_KEY_DATA,		/* set only, binary 16 or 32 */

	__GRPSEC_A_KEY_MAX,
	GRPSEC_A_KEY_MAX = __GRPSEC_A_KEY_MAX - 1,
};

enum grpsec_upstream_attr {
	GRPSEC_A_UPSTREAM_UNSPEC,
	GRPSEC_A_UPSTREAM_ENDPOINT,	/* set/dump, sockaddr_in/_in6 */
	GRPSEC_A_UPSTREAM_GATEWAY_ID,	/* set/dump, u32 */
	GRPSEC_A_UPSTREAM_SUITE,	/* set/dump, u8 enum grpsec_suite */
	GRPSEC_A_UPSTREAM_KEY,		/* set only, binary 16 or 32 */
	GRPSEC_A_UPSTREAM_BATCH_MAX,	/* set/dump, u16 1..255 */
	GRPSEC_A_UPSTREAM_FLUSH_USEC,	/* set/dump, u32 50..1000000 */
	GRPSEC_A_UPSTREAM_MTU,		/* set/dump, u16 128..65507 */
	GRPSEC_A_UPSTREAM_SEQ,		/* set (floor)/dump (next), u64 */
	GRPSEC_A_UPSTREAM_STATS,	/* dump, nest GRPSEC_A_STATS_* */
	GRPSEC_A_UPSTREAM_PAD,
	GRPSEC_A_UPSTREAM_DL_SEQ,	/* set (floor)/dump (floor), u64 */

	__GRPSEC_A_UPSTREAM_MAX,
	GRPSEC_A_UPSTREAM_MAX = __GRPSEC_A_UPSTREAM_MAX - 1,
};

enum grpsec_send_attr {
	GRPSEC_A_SEND_UNSPEC,
	GRPSEC_A_SEND_GROUP,		/* set, u32 */
	GRPSEC_A_SEND_MEMBER,		/* set, u32, default all */
	GRPSEC_A_SEND_DATA,		/* set, binary 0..GRPSEC_SEND_MAX */
	GRPSEC_A_SEND_SEQ,		/* reply, u64 */
	GRPSEC_A_SEND_RECIPIENTS,	/* reply, u32 */
	GRPSEC_A_SEND_PAD,

	__GRPSEC_A_SEND_MAX,
	GRPSEC_A_SEND_MAX = __GRPSEC_A_SEND_MAX - 1,
};

enum grpsec_event_attr {
	GRPSEC_A_EVENT_UNSPEC,
	GRPSEC_A_EVENT_TYPE,		/* u8 enum grpsec_event_type */
	GRPSEC_A_EVENT_GROUP,		/* u32 */
	GRPSEC_A_EVENT_MEMBER,		/* u32 */
	GRPSEC_A_EVENT_EPOCH,		/* u32 */
	GRPSEC_A_EVENT_ENDPOINT,	/* sockaddr_in/_in6 */
	GRPSEC_A_EVENT_COUNT,		/* u64 */
	GRPSEC_A_EVENT_LIMIT,		/* u64 */
	GRPSEC_A_EVENT_ERROR,		/* u32 errno */
	GRPSEC_A_EVENT_SUPPRESSED,	/* u32 */
	GRPSEC_A_EVENT_PAD,

	__GRPSEC_A_EVENT_MAX,
	GRPSEC_A_EVENT_MAX = __GRPSEC_A_EVENT_MAX - 1,
};

/*
 * Counters, all u64.  The same set is reported per namespace, per group,
 * per member and for the upstream; a counter that does not apply at one
 * level stays 0 there.  DROP_* name the reason a frame was dropped.
 * Members count the uplink counters (up to DROP_RATE_LIMIT) only; the
 * downlink and terminate mode counters after it are kept per namespace
 * and per group.
 */
enum grpsec_stats_attr {
	GRPSEC_A_STATS_UNSPEC,
	GRPSEC_A_STATS_RX_FRAMES,	/* frames received on the socket */
	GRPSEC_A_STATS_RX_BYTES,
	GRPSEC_A_STATS_VERIFIED,	/* outer tag and replay check passed */
	GRPSEC_A_STATS_FORWARDED,	/* inner parts sent upstream */
	GRPSEC_A_STATS_BATCHES,		/* batch frames sent upstream */
	GRPSEC_A_STATS_BATCH_BYTES,
	GRPSEC_A_STATS_DROP_TRUNCATED,	/* shorter than the minimum frame */
	GRPSEC_A_STATS_DROP_BAD_VERSION,
	GRPSEC_A_STATS_DROP_BAD_HEADER,	/* unknown type, flags, suite */
	GRPSEC_A_STATS_DROP_OVERSIZE,	/* payload over GRPSEC max */
	GRPSEC_A_STATS_DROP_UNKNOWN_GROUP,
	GRPSEC_A_STATS_DROP_UNKNOWN_MEMBER,
	GRPSEC_A_STATS_DROP_STALE_EPOCH, /* no key slot for the epoch */
	GRPSEC_A_STATS_DROP_BAD_TAG,
	GRPSEC_A_STATS_DROP_REPLAY,
	GRPSEC_A_STATS_DROP_EPOCH_LIMIT, /* epoch's message limit reached */
	GRPSEC_A_STATS_DROP_NO_UPSTREAM,
	GRPSEC_A_STATS_DROP_QUEUE_FULL,	/* verification queue overflow */
	GRPSEC_A_STATS_DROP_NOMEM,
	GRPSEC_A_STATS_TX_ERRORS,	/* upstream send failures */
	GRPSEC_A_STATS_PAD,
	GRPSEC_A_STATS_DROP_RATE_LIMIT,	/* member over its group's rate */
	GRPSEC_A_STATS_DOWNLINKS,	/* downlink frames accepted (K_up) */
	/* Malformed: bad length, header, kind or id, or no upstream. */
	GRPSEC_A_STATS_DL_DROP_MALFORMED,
	GRPSEC_A_STATS_DL_DROP_BAD_TAG,	/* K_up tag did not verify */
	GRPSEC_A_STATS_DL_DROP_REPLAY,	/* downlink sequence seen or stale */
	GRPSEC_A_STATS_DL_DROP_UNKNOWN,	/* group or member not configured */
	GRPSEC_A_STATS_TX_FRAMES,	/* command/rekey frames sent to members */
	GRPSEC_A_STATS_TX_NO_ENDPOINT,	/* not sent: member has no address */
	GRPSEC_A_STATS_DELIVERED,	/* terminate mode: delivered locally */
	GRPSEC_A_STATS_DROP_INNER_TAG,	/* terminate mode: inner tag failed */
	GRPSEC_A_STATS_DROP_UNAUTH_LIMIT, /* too many bad tags from its source */

	__GRPSEC_A_STATS_MAX,
	GRPSEC_A_STATS_MAX = __GRPSEC_A_STATS_MAX - 1,
};

#endif /* _UAPI_LINUX_GRPSEC_H */
