/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grpsec wire format, version 2 (Documentation/frames.rst).  Only fixed
 * layouts live here; frame.c does the parsing and building.
 */
#ifndef _GRPSEC_WIRE_H
#define _GRPSEC_WIRE_H

#include "compat.h"

#define GRPSEC_WIRE_VERSION	2

enum grpsec_frame_type {
	GRPSEC_TYPE_UPLINK = 1,
	GRPSEC_TYPE_BATCH = 2,
	GRPSEC_TYPE_DOWNLINK = 3,
	GRPSEC_TYPE_COMMAND = 4,
	GRPSEC_TYPE_REKEY = 5,
};

/* Direction byte of the inner AAD. */
enum grpsec_direction {
	GRPSEC_DIR_UPLINK = 1,
	GRPSEC_DIR_COMMAND = 2,
};

/* First byte of the nonce that a sequence number turns into. */
enum grpsec_nonce_kind {
	GRPSEC_NONCE_UPLINK = 1,
	GRPSEC_NONCE_BATCH = 2,
	GRPSEC_NONCE_DOWNLINK = 3,
};

#define GRPSEC_NONCE_LEN	12
#define GRPSEC_TAG_LEN		16
#define GRPSEC_KEY_MAX		32
#define GRPSEC_MAX_PAYLOAD	1280

struct grpsec_uplink_hdr {
	u8 version;
	u8 type;
	u8 suite;
	u8 flags;
	__be32 group;
	__be32 epoch;
	__be32 member;
	__be64 seq;
} __packed;

/* The inner part: nonce, inner tag, ciphertext of the payload. */
#define GRPSEC_INNER_OVERHEAD	(GRPSEC_NONCE_LEN + GRPSEC_TAG_LEN)
/*
 * What the outer tag of an identified group's uplink covers: the header,
 * the inner nonce and the inner tag, not the inner ciphertext.  An entry
 * of a batch is covered the same way: its header, nonce and inner tag.
 */
#define GRPSEC_UPLINK_HEAD_LEN	(sizeof(struct grpsec_uplink_hdr) + \
				 GRPSEC_INNER_OVERHEAD)
#define GRPSEC_UPLINK_OVERHEAD	(sizeof(struct grpsec_uplink_hdr) + \
				 GRPSEC_INNER_OVERHEAD + GRPSEC_TAG_LEN)
#define GRPSEC_UPLINK_MAX	(GRPSEC_UPLINK_OVERHEAD + GRPSEC_MAX_PAYLOAD)

struct grpsec_batch_hdr {
	u8 version;
	u8 type;
	u8 suite;
	u8 flags;
	__be32 gateway;
	__be64 seq;
	__be16 count;
	__be16 reserved;
} __packed;

struct grpsec_batch_entry {
	u8 mode;
	u8 suite;
	__be16 inner_len;
	__be32 group;
	__be32 epoch;
	__be32 member;
} __packed;

/* Downlink (type 3): body, then the K_up tag. */
struct grpsec_downlink_hdr {
	u8 version;
	u8 type;
	u8 suite;
	u8 flags;
	__be32 gateway;
	__be64 seq;
	__be32 group;
	__be32 member;
	u8 kind;
	u8 reserved;
	__be16 body_len;
} __packed;

enum grpsec_downlink_kind {
	GRPSEC_KIND_COMMAND = 1,
	GRPSEC_KIND_REKEY = 2,
};

#define GRPSEC_BODY_MAX		1200
#define GRPSEC_DOWNLINK_OVERHEAD (sizeof(struct grpsec_downlink_hdr) + \
				  GRPSEC_TAG_LEN)

/* Command (type 4) and rekey (type 5): body, then the K_m tag. */
struct grpsec_mframe_hdr {
	u8 version;
	u8 type;
	u8 suite;
	u8 flags;
	__be32 group;
	__be32 member;
	__be32 epoch;
	__be64 seq;
	__be16 body_len;
	__be16 reserved;
} __packed;

#define GRPSEC_MFRAME_MAX	(sizeof(struct grpsec_mframe_hdr) + \
				 GRPSEC_BODY_MAX + GRPSEC_TAG_LEN)

/* Flags of a command frame: the body comes from the gateway itself; */
#define GRPSEC_MFRAME_F_GATEWAY	0x01
/* sent once to the group's multicast address: member 0, no tag; */
#define GRPSEC_MFRAME_F_MULTICAST 0x02
/* the body is for every member (recipient 0), not for this one alone. */
#define GRPSEC_MFRAME_F_GROUP	0x04

/* Command body without signature: epoch, sequence, nonce, ct, tag. */
#define GRPSEC_CMD_BODY_HDR	(4 + 8 + GRPSEC_NONCE_LEN)
#define GRPSEC_CMD_AAD_LEN	(16 + 8)

/* The inner AAD of frames.rst, 16 bytes. */
struct grpsec_inner_aad {
	u8 version;
	u8 direction;
	u8 suite;
	u8 mode;
	__be32 group;
	__be32 epoch;
	__be32 member;
} __packed;

/* Terminate mode: the header of a locally delivered message. */
struct grpsec_deliver_hdr {
	u8 version;
	u8 type;
	u8 suite;
	u8 flags;
	__be32 group;
	__be32 epoch;
	__be32 member;
	__be64 seq;
} __packed;

/* Nonce built from a sequence number: be32 kind, be64 sequence. */
struct grpsec_seq_nonce {
	__be32 kind;
	__be64 seq;
} __packed;

static inline void grpsec_wire_checks(void)
{
	BUILD_BUG_ON(sizeof(struct grpsec_uplink_hdr) != 24);
	BUILD_BUG_ON(sizeof(struct grpsec_batch_hdr) != 20);
	BUILD_BUG_ON(sizeof(struct grpsec_batch_entry) != 16);
	BUILD_BUG_ON(sizeof(struct grpsec_seq_nonce) != GRPSEC_NONCE_LEN);
	BUILD_BUG_ON(GRPSEC_UPLINK_OVERHEAD != 68);
	BUILD_BUG_ON(sizeof(struct grpsec_downlink_hdr) != 28);
	BUILD_BUG_ON(sizeof(struct grpsec_mframe_hdr) != 28);
	BUILD_BUG_ON(sizeof(struct grpsec_inner_aad) != 16);
	BUILD_BUG_ON(sizeof(struct grpsec_deliver_hdr) != 24);
}

#endif /* _GRPSEC_WIRE_H */
