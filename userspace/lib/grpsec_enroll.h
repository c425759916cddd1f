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

/* A parsed message; pointers point into the buffer given to the parser. */
struct grpsec_msg {
	uint8_t type;
	union {
		struct grpsec_enroll_request req;
		struct grpsec_enroll_answer answer;
		struct grpsec_refusal refusal;
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

#ifdef __cplusplus
}
#endif

#endif /* GRPSEC_ENROLL_H */
