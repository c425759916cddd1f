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
	const u8 *inner;	/* nonce || ciphertext || inner tag */
	u32 inner_len;
	u32 auth_len;		/* bytes covered by the outer tag */
};

int grpsec_uplink_parse(const u8 *buf, size_t len, struct grpsec_uplink *up);
void grpsec_seq_nonce(u8 nonce[GRPSEC_NONCE_LEN], u8 kind, u64 seq);

#endif /* _GRPSEC_FRAME_H */
