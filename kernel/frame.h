/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_FRAME_H
#define _GRPSEC_FRAME_H

#include "wire.h"

/* A parsed uplink frame; the pointers point into the caller's buffer. */
struct grpsec_uplink {
	u8 suite;
	u32 group;
	u32 epoch;
	u32 member;
	u64 seq;
	const u8 *inner;	/* nonce || inner tag || ciphertext */
	u32 inner_len;
	u32 auth_len;		/* bytes before the outer tag */
};

/* A parsed downlink frame; body points into the caller's buffer. */
struct grpsec_downlink_frame {
	u8 suite;
	u8 kind;
	u32 gateway;
	u64 seq;
	u32 group;
	u32 member;
	const u8 *body;
	u16 body_len;
	u32 auth_len;		/* bytes covered by the K_up tag */
};

/* The header fields of a command or rekey frame. */
struct grpsec_mframe {
	u8 type;
	u8 suite;
	u8 flags;
	u32 group;
	u32 member;
	u32 epoch;
	u64 seq;		/* gateway sequence, or command sequence */
	u16 body_len;
};

int grpsec_uplink_parse(const u8 *buf, size_t len, struct grpsec_uplink *up);
u32 grpsec_uplink_outer_len(const struct grpsec_uplink *up, u8 mode);
int grpsec_downlink_parse(const u8 *buf, size_t len,
			  struct grpsec_downlink_frame *dl);
u32 grpsec_mframe_build(u8 *buf, const struct grpsec_mframe *f, const u8 *body);
void grpsec_command_layout(u8 *buf, const struct grpsec_mframe *f, u8 mode,
			   const u8 nonce[GRPSEC_NONCE_LEN], const u8 *data,
			   u32 len);
void grpsec_seq_nonce(u8 nonce[GRPSEC_NONCE_LEN], u8 kind, u64 seq);

#endif /* _GRPSEC_FRAME_H */
