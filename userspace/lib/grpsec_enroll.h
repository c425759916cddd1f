/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * libgrpsec: enrollment.  The messages a device and the manager exchange
 * inside TLS 1.3 (Documentation/enrollment.rst, vectors in
 * Documentation/vectors/enroll-v1.txt), the device's enrollment client
 * and its persistent member state.
 *
 * The codec (grpsec_msg_*()) is pure logic: no crypto library, no
 * allocation; proto.c compiles on its own, for the fuzz target.  The
 * conventions of grpsec.h apply (0 or a negative errno).
 */
#ifndef GRPSEC_ENROLL_H
#define GRPSEC_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "grpsec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Message framing: u8 version, u8 type, be16 reserved, be32 body length. */
#define GRPSEC_MSG_VERSION		1
#define GRPSEC_MSG_HDR_LEN		8
/* Largest message of any type, header included (control channel too). */
#define GRPSEC_MSG_MAX_LEN		65536

/* Message types.  16..127 are the control channel's (grpsecd.rst). */
#define GRPSEC_MSG_ENROLL		1	/* device -> manager */
#define GRPSEC_MSG_ENROLL_ANSWER	2	/* manager -> device */
#define GRPSEC_MSG_REFUSAL		3	/* either way: why not */
#define GRPSEC_MSG_UPSTREAM		16	/* control: manager -> gateway */
#define GRPSEC_MSG_GROUP		17	/* control: manager -> gateway */
#define GRPSEC_MSG_MEMBERS		18	/* control: manager -> gateway */
#define GRPSEC_MSG_MEMBER_DEL		19	/* control: manager -> gateway */
#define GRPSEC_MSG_SYNC_DONE		20	/* control: manager -> gateway */
#define GRPSEC_MSG_MEMBER_QUERY		21	/* control: gateway -> manager */
#define GRPSEC_MSG_KEEPALIVE		22	/* control: either way */
#define GRPSEC_MSG_INSTALLED		23	/* control: gateway -> manager */
#define GRPSEC_MSG_HEARD		24	/* control: gateway -> manager */

#define GRPSEC_ENROLL_MAX_GROUPS	16
#define GRPSEC_ENROLL_MAX_EPOCHS	2	/* current and, in a rollover, next */
#define GRPSEC_REFUSAL_TEXT_MAX		200

/* Largest enrollment messages (headers included). */
#define GRPSEC_ENROLL_REQ_MAX_LEN	(GRPSEC_MSG_HDR_LEN + 4 + 4 * GRPSEC_ENROLL_MAX_GROUPS)
#define GRPSEC_ENROLL_EPOCH_HDR_LEN	16
#define GRPSEC_ENROLL_GROUP_HDR_LEN	8
#define GRPSEC_ENROLL_ANSWER_HDR_LEN	60
#define GRPSEC_ENROLL_ANSWER_MAX_LEN	(GRPSEC_MSG_HDR_LEN + GRPSEC_ENROLL_ANSWER_HDR_LEN + \
	GRPSEC_ENROLL_MAX_GROUPS * (GRPSEC_ENROLL_GROUP_HDR_LEN + GRPSEC_ENROLL_MAX_EPOCHS * \
	(GRPSEC_ENROLL_EPOCH_HDR_LEN + 3 * GRPSEC_KEY_MAX_LEN)))
#define GRPSEC_REFUSAL_MAX_LEN		(GRPSEC_MSG_HDR_LEN + 4 + GRPSEC_REFUSAL_TEXT_MAX)
#define GRPSEC_UPSTREAM_BODY_LEN	36
#define GRPSEC_UPSTREAM_LEN		(GRPSEC_MSG_HDR_LEN + GRPSEC_UPSTREAM_BODY_LEN)
/* The control channel's exporter label (keys.rst): the upstream secret. */
#define GRPSEC_UPSTREAM_EXPORTER_LABEL	"EXPORTER-grpsec-upstream"

/* Control channel bounds (enrollment.rst, "Control channel"). */
#define GRPSEC_CTL_GROUP_HDR_LEN	24
#define GRPSEC_CTL_GROUP_MAX_LEN	(GRPSEC_MSG_HDR_LEN + GRPSEC_CTL_GROUP_HDR_LEN + \
	GRPSEC_ENROLL_MAX_EPOCHS * (4 + GRPSEC_KEY_MAX_LEN))
#define GRPSEC_CTL_MEMBERS_HDR_LEN	8
#define GRPSEC_CTL_MEMBER_HDR_LEN	8
/* One MEMBERS record with @slots key slots of @key_len bytes each. */
#define GRPSEC_CTL_MEMBER_LEN(slots, key_len)	(GRPSEC_CTL_MEMBER_HDR_LEN + (slots) * (4 + (key_len)))
#define GRPSEC_CTL_DEL_HDR_LEN		8
#define GRPSEC_CTL_DEL_MAX		4096	/* member ids in one MEMBER_DEL */
#define GRPSEC_CTL_SYNC_DONE_LEN	(GRPSEC_MSG_HDR_LEN + 8)
#define GRPSEC_CTL_QUERY_LEN		(GRPSEC_MSG_HDR_LEN + 8)
#define GRPSEC_CTL_KEEPALIVE_LEN	GRPSEC_MSG_HDR_LEN
#define GRPSEC_CTL_INSTALLED_LEN	(GRPSEC_MSG_HDR_LEN + 8)
#define GRPSEC_CTL_HEARD_HDR_LEN	12
#define GRPSEC_CTL_HEARD_MAX		4096	/* member ids in one HEARD */
/* The highest batch sequence floor UPSTREAM may carry (the module's bound). */
#define GRPSEC_CTL_SEQ_FLOOR_MAX	((1ULL << 63) - 1)

/* GROUP flags. */
#define GRPSEC_CTL_GROUP_COMMANDS	0x01	/* the group receives commands */
#define GRPSEC_CTL_GROUP_TERMINATE	0x02	/* this gateway terminates it: K_G follows */

/* Group flags in an answer. */
#define GRPSEC_ENROLL_GROUP_COMMANDS	0x01	/* the group receives commands */

/* Epoch record contents (the bits of the rekey key material). */
#define GRPSEC_ENROLL_HAS_GROUP_KEY	GRPSEC_REKEY_HAS_GROUP_KEY
#define GRPSEC_ENROLL_HAS_E2E_KEY	GRPSEC_REKEY_HAS_E2E_KEY

/* Gateway address families in an answer. */
#define GRPSEC_ENROLL_ADDR_IPV4		4
#define GRPSEC_ENROLL_ADDR_IPV6		6

/* Refusal reasons (enrollment.rst). */
enum grpsec_refusal_reason {
	GRPSEC_REFUSE_MALFORMED = 1,	/* the request breaks the format */
	GRPSEC_REFUSE_VERSION = 2,	/* message version not supported */
	GRPSEC_REFUSE_DENIED = 3,	/* the policy does not let this identity join */
	GRPSEC_REFUSE_UNKNOWN_GROUP = 4, /* a group the manager does not have */
	GRPSEC_REFUSE_REVOKED = 5,	/* the device is revoked */
	GRPSEC_REFUSE_INTERNAL = 6,	/* the manager could not commit (storage) */
	GRPSEC_REFUSE_TIMEOUT = 7,	/* the request did not arrive in time */
	__GRPSEC_REFUSE_MAX,
};

/* grpsec_refusal_name() - "malformed", "denied", ..., or NULL. */
const char *grpsec_refusal_name(unsigned int reason);

struct grpsec_enroll_request {
	unsigned int n_groups;				/* 1..16 */
	uint32_t groups[GRPSEC_ENROLL_MAX_GROUPS];	/* strictly increasing, non-zero */
};

/*
 * One epoch's keys.  Key pointers point into the parsed message (or, to
 * build one, at the caller's keys); each is the group suite's key length.
 */
struct grpsec_enroll_epoch {
	uint32_t epoch;
	uint8_t contents;		/* GRPSEC_ENROLL_HAS_* */
	uint64_t msg_limit;		/* 0 = GRPSEC_MSG_LIMIT_DEFAULT */
	const uint8_t *member_key;	/* K_m[e], always */
	const uint8_t *group_key;	/* K_G[e] or NULL */
	const uint8_t *e2e_key;		/* K_e,m[e] or NULL */
};

struct grpsec_enroll_group {
	uint32_t group;
	uint8_t suite, mode, flags;
	unsigned int n_epochs;		/* 1 or 2 */
	struct grpsec_enroll_epoch epochs[GRPSEC_ENROLL_MAX_EPOCHS];
};

struct grpsec_enroll_answer {
	uint32_t member;
	const uint8_t *sign_pub;	/* GRPSEC_SIGN_KEY_LEN bytes */
	uint8_t gw_family;		/* GRPSEC_ENROLL_ADDR_* */
	uint16_t gw_port;
	uint8_t gw_addr[16];		/* IPv4: 4 bytes, then zeros */
	unsigned int n_groups;
	struct grpsec_enroll_group groups[GRPSEC_ENROLL_MAX_GROUPS];
};

struct grpsec_refusal {
	uint16_t reason;		/* enum grpsec_refusal_reason */
	size_t text_len;
	const char *text;		/* printable ASCII, not NUL-terminated */
};

/*
 * UPSTREAM (control channel, manager -> gateway): who the gateway is and
 * where its batches go.  K_up is not in it: both ends derive it from the
 * connection's exporter (keys.rst).
 */
struct grpsec_ctl_upstream {
	uint32_t gateway;		/* the gateway id, non-zero */
	uint8_t suite;			/* suite of K_up (1..3) */
	uint8_t family;			/* GRPSEC_ENROLL_ADDR_*: the batch address */
	uint16_t port;			/* the manager's batch UDP port, non-zero */
	uint8_t addr[16];		/* IPv4: 4 bytes, then zeros */
	uint16_t listen_port;		/* the UDP port devices send to, non-zero */
	uint64_t batch_seq_floor;	/* the gateway's batches start above this; 0: none */
};

/* One key slot of the control channel: an epoch and its key. */
struct grpsec_ctl_slot {
	uint32_t epoch;
	const uint8_t *key;		/* the group suite's key length */
};

/*
 * GROUP (manager -> gateway): one group this gateway serves.  K_G slots
 * only for a group it terminates (GRPSEC_CTL_GROUP_TERMINATE).
 */
struct grpsec_ctl_group {
	uint32_t group;
	uint8_t suite, mode, flags;	/* flags: GRPSEC_CTL_GROUP_* */
	uint64_t msg_limit;		/* per epoch; 0: the default */
	uint32_t rate_limit;		/* frames/s per member; 0: none */
	unsigned int n_slots;		/* 0, or 1..2 with TERMINATE */
	struct grpsec_ctl_slot slots[GRPSEC_ENROLL_MAX_EPOCHS];	/* epochs increasing */
};

/* One member of a MEMBERS message: K_m[e] of the current and, in a rollover, next epoch. */
struct grpsec_ctl_member {
	uint32_t member;
	unsigned int n_slots;		/* 1 or 2 */
	struct grpsec_ctl_slot slots[GRPSEC_ENROLL_MAX_EPOCHS];	/* epochs increasing */
};

/*
 * MEMBERS (manager -> gateway): members of one group.  The parser checks
 * every record; grpsec_ctl_members_next() walks them.
 */
struct grpsec_ctl_members {
	uint32_t group;
	uint8_t suite;
	unsigned int n;			/* records, 1.. */
	const uint8_t *records;		/* into the parsed message */
	size_t len;
};

/* MEMBER_DEL (manager -> gateway): members of one group to forget. */
struct grpsec_ctl_member_del {
	uint32_t group;
	unsigned int n;			/* 1..GRPSEC_CTL_DEL_MAX */
	const uint8_t *ids;		/* n be32 ids, strictly increasing */
};

/* SYNC_DONE (manager -> gateway): the end of a full push, what it carried. */
struct grpsec_ctl_sync_done {
	uint32_t groups, members;
};

/* MEMBER_QUERY (gateway -> manager): a member the module saw and does not hold. */
struct grpsec_ctl_query {
	uint32_t group, member;
};

/*
 * INSTALLED (gateway -> manager): the module holds what the full push
 * ended by the @push-th SYNC_DONE of this connection (1 for the first)
 * named; @members: that SYNC_DONE's member count.
 */
struct grpsec_ctl_installed {
	uint32_t push, members;
};

/*
 * HEARD (gateway -> manager): the module verified a frame of each of
 * these members of @group under @epoch (a rekey's new epoch).
 */
struct grpsec_ctl_heard {
	uint32_t group, epoch;
	unsigned int n;			/* 1..GRPSEC_CTL_HEARD_MAX */
	const uint8_t *ids;		/* n be32 ids, strictly increasing */
};

/* A parsed message; pointers point into the buffer given to the parser. */
struct grpsec_msg {
	uint8_t type;
	union {
		struct grpsec_enroll_request req;
		struct grpsec_enroll_answer answer;
		struct grpsec_refusal refusal;
		struct grpsec_ctl_upstream upstream;
		struct grpsec_ctl_group group;
		struct grpsec_ctl_members members;
		struct grpsec_ctl_member_del del;
		struct grpsec_ctl_sync_done sync_done;
		struct grpsec_ctl_query query;
		struct grpsec_ctl_installed installed;
		struct grpsec_ctl_heard heard;
	};
};

/*
 * grpsec_msg_frame_len() - read a message header: the total length of the
 * message it starts (header and body) in *@total.  For a stream reader:
 * read GRPSEC_MSG_HDR_LEN bytes, call this, then read the rest.
 * @max: the largest message the reader accepts (at most
 * GRPSEC_MSG_MAX_LEN).
 * Returns 0, -EINVAL, -EPROTONOSUPPORT (version), -EPROTO (type 0 or
 * reserved bits set), -EMSGSIZE (longer than @max).
 */
int grpsec_msg_frame_len(const uint8_t hdr[GRPSEC_MSG_HDR_LEN], size_t max, size_t *total);

/*
 * grpsec_msg_parse() - the one strict parser of the enrollment messages:
 * exactly one whole message of a known type in @buf..@buf+@len, every
 * field checked (enrollment.rst lists the rules in order).
 * Returns 0, -EINVAL, -EMSGSIZE (truncated, trailing bytes, or longer
 * than its type allows), -EPROTONOSUPPORT, -EPROTO (a rule broken),
 * -EOPNOTSUPP (a type this parser does not know).
 */
int grpsec_msg_parse(const uint8_t *buf, size_t len, struct grpsec_msg *out);

/*
 * Builders.  Each writes one whole message to @out (@size bytes) and its
 * length to *@out_len, then runs grpsec_msg_parse() over it, so nothing
 * is built that the parser would refuse (the parse's error is returned).
 * @a->sign_pub and the key pointers are read; contents bits are derived
 * from which key pointers are set.
 */
int grpsec_msg_build_request(const struct grpsec_enroll_request *r, uint8_t *out,
			     size_t size, size_t *out_len);
int grpsec_msg_build_answer(const struct grpsec_enroll_answer *a, uint8_t *out,
			    size_t size, size_t *out_len);
/* @text: NUL-terminated; cut at GRPSEC_REFUSAL_TEXT_MAX, non-printables become '?'. */
int grpsec_msg_build_refusal(unsigned int reason, const char *text, uint8_t *out,
			     size_t size, size_t *out_len);

int grpsec_msg_build_upstream(const struct grpsec_ctl_upstream *u, uint8_t *out,
			      size_t size, size_t *out_len);
int grpsec_msg_build_group(const struct grpsec_ctl_group *g, uint8_t *out, size_t size,
			   size_t *out_len);
/* @suite: the group's, which sizes every key; @m: @n records, ids increasing. */
int grpsec_msg_build_members(uint32_t group, uint8_t suite, const struct grpsec_ctl_member *m,
			     unsigned int n, uint8_t *out, size_t size, size_t *out_len);
int grpsec_msg_build_member_del(uint32_t group, const uint32_t *ids, unsigned int n,
				uint8_t *out, size_t size, size_t *out_len);
int grpsec_msg_build_sync_done(const struct grpsec_ctl_sync_done *s, uint8_t *out,
			       size_t size, size_t *out_len);
int grpsec_msg_build_query(const struct grpsec_ctl_query *q, uint8_t *out, size_t size,
			   size_t *out_len);
int grpsec_msg_build_keepalive(uint8_t *out, size_t size, size_t *out_len);
int grpsec_msg_build_installed(const struct grpsec_ctl_installed *in, uint8_t *out,
			       size_t size, size_t *out_len);
/* @ids: @n member ids (1..GRPSEC_CTL_HEARD_MAX), strictly increasing. */
int grpsec_msg_build_heard(uint32_t group, uint32_t epoch, const uint32_t *ids,
			   unsigned int n, uint8_t *out, size_t size, size_t *out_len);

/*
 * grpsec_ctl_members_next() - the record at *@off (0 for the first) of a
 * parsed MEMBERS message into @out (key pointers into the message), and
 * *@off moved past it.  Returns 1 with a record, 0 after the last.
 */
int grpsec_ctl_members_next(const struct grpsec_ctl_members *m, size_t *off,
			    struct grpsec_ctl_member *out);

/* grpsec_ctl_del_id() - the @i-th id of a parsed MEMBER_DEL. */
uint32_t grpsec_ctl_del_id(const struct grpsec_ctl_member_del *d, unsigned int i);

/* grpsec_ctl_heard_id() - the @i-th id of a parsed HEARD. */
uint32_t grpsec_ctl_heard_id(const struct grpsec_ctl_heard *h, unsigned int i);

/*
 * The device's enrollment client (enroll.c, needs libssl): one TLS 1.3
 * connection to the manager, one ENROLL, one answer.
 */
#define GRPSEC_PSK_SHA256		1	/* TLS_AES_128_GCM_SHA256 */
#define GRPSEC_PSK_SHA384		2	/* TLS_AES_256_GCM_SHA384 */
#define GRPSEC_PSK_MAX_LEN		64
#define GRPSEC_WRAP_EXPORTER_LABEL	"EXPORTER-grpsec-wrap"

struct grpsec_enroll_config {
	const char *manager;		/* "HOST:PORT" or "[ADDR6]:PORT" */
	const uint32_t *groups;		/* 1..16, strictly increasing */
	unsigned int n_groups;
	/*
	 * Certificate mode: the device's certificate chain and key (PEM),
	 * and the CA that signed the manager's certificate, which is
	 * checked (and its name, if @server_name is set).
	 */
	const char *cert_file, *key_file, *ca_file, *server_name;
	/* PSK mode (when @psk_identity is set): the PSK authenticates both ends. */
	const char *psk_identity;
	const uint8_t *psk;		/* 16..GRPSEC_PSK_MAX_LEN bytes */
	size_t psk_len;
	unsigned int psk_hash;		/* GRPSEC_PSK_SHA256 or GRPSEC_PSK_SHA384 */
	unsigned int timeout_ms;	/* the whole exchange; 0 = 10000 */
};

/*
 * What an enrollment brought: the answer message as received, parsed
 * (@answer's pointers point into @msg) and K_wrap,m derived from the
 * connection's exporter.  Holds keys: grpsec_enrollment_wipe() it.
 */
struct grpsec_enrollment {
	uint8_t msg[GRPSEC_ENROLL_ANSWER_MAX_LEN];
	size_t msg_len;
	struct grpsec_enroll_answer answer;
	uint8_t wrap_key[GRPSEC_WRAP_KEY_LEN];
	/* Set when the manager refused (grpsec_enroll() returned -EACCES). */
	unsigned int refusal;		/* enum grpsec_refusal_reason */
	char refusal_text[GRPSEC_REFUSAL_TEXT_MAX + 1];
};

/*
 * grpsec_enroll() - enroll with the manager.  Returns 0 (@out holds the
 * answer, whose groups are exactly those asked for), -EACCES (refused:
 * @out->refusal and its text), -EINVAL (bad configuration), -ETIMEDOUT,
 * -ECONNREFUSED or another connect errno, -EPROTO (the TLS handshake
 * failed, or the answer is malformed or not for the groups asked for),
 * -ENOMEM, -EIO.  On any error @err (@err_len bytes, may be NULL) holds
 * one line saying why, never a key.
 */
int grpsec_enroll(const struct grpsec_enroll_config *cfg, struct grpsec_enrollment *out,
		  char *err, size_t err_len);

/* grpsec_enrollment_wipe() - wipe every key @e holds. */
void grpsec_enrollment_wipe(struct grpsec_enrollment *e);

/*
 * Member state that survives a restart (state.c): the answer, K_wrap,m and
 * per group the uplink sequence reserved so far, in one file (mode 0600)
 * rewritten atomically (write, fsync, rename, fsync of the directory).
 * A member context made by grpsec_state_member() reserves its sequence
 * in this file before it uses it ("next = s + K" durable before s is
 * sent); after a crash it resumes above the reservation, so no (key,
 * nonce) pair is ever used twice.
 */
struct grpsec_state;

/*
 * grpsec_state_create() - write a new state file for @e at @path (an
 * earlier one, of an earlier enrollment, is replaced: a new member id
 * means new keys, whose sequences start again at 1).  Returns 0 or -errno.
 */
int grpsec_state_create(const char *path, const struct grpsec_enrollment *e);

/*
 * grpsec_state_open() - load @path.  Returns 0, -ENOENT, -EPERM (the file
 * is accessible to group or others), -EPROTO (malformed: @err says which
 * line), -ENOMEM, -EIO.
 */
int grpsec_state_open(const char *path, struct grpsec_state **out, char *err,
		      size_t err_len);

/* grpsec_state_answer() - the enrollment answer the state holds. */
const struct grpsec_enroll_answer *grpsec_state_answer(const struct grpsec_state *st);

/* grpsec_state_wrap_key() - K_wrap,m. */
const uint8_t *grpsec_state_wrap_key(const struct grpsec_state *st);

/* grpsec_state_reserved() - the sequence reserved so far in @group (0: none). */
uint64_t grpsec_state_reserved(const struct grpsec_state *st, uint32_t group);

/*
 * grpsec_state_member() - a member context for @group at its first
 * (current) epoch, its sequence persisted in the state file
 * (@reserve_block numbers at a time; 0 = GRPSEC_SEQ_BLOCK_DEFAULT).
 * The state must outlive the context.  Returns 0, -ENOENT (not enrolled
 * in @group), or grpsec_member_new()'s error.
 */
int grpsec_state_member(struct grpsec_state *st, uint32_t group, uint32_t reserve_block,
			struct grpsec_member **out);

/* grpsec_state_free() - wipe and free (NULL is fine). */
void grpsec_state_free(struct grpsec_state *st);

#ifdef __cplusplus
}
#endif

#endif /* GRPSEC_ENROLL_H */
