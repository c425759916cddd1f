/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _GRPSEC_BATCH_H
#define _GRPSEC_BATCH_H

#include "wire.h"

/*
 * Builds one batch frame in a caller-owned buffer: header, entries, and
 * room for the tag.  The tag covers the header and each entry's header,
 * inner nonce and inner tag, and an anonymous entry's ciphertext: while
 * every entry is anonymous that is the batch itself, and from the first
 * identified entry on it is gathered in a second buffer of the same size
 * (grpsec_batch_aad()).  Pure logic; the caller seals and sends.
 */
struct grpsec_batch {
	u8 *buf;
	u8 *aad;	/* as large as @buf, room for the tag included */
	u32 cap;	/* buffer size, tag included */
	u32 len;	/* bytes written, header included */
	u32 aad_len;	/* bytes the tag covers, header included */
	bool apart;	/* they are in @aad, not @buf */
	u16 count;
	u16 max;	/* entries allowed per batch */
};

struct grpsec_batch_item {
	u8 mode;
	u8 suite;
	u32 group;
	u32 epoch;
	u32 member;	/* 0 for anonymous groups */
	const u8 *inner;
	u32 inner_len;
};

void grpsec_batch_init(struct grpsec_batch *b, u8 *buf, u8 *aad, u32 cap,
		       u16 max);
bool grpsec_batch_fits(const struct grpsec_batch *b, u32 inner_len);
int grpsec_batch_add(struct grpsec_batch *b,
		     const struct grpsec_batch_item *item);
u32 grpsec_batch_finish(struct grpsec_batch *b, u8 suite, u32 gateway,
			u64 seq);

/* What the tag covers, its first @b->aad_len bytes; room for the tag after. */
static inline u8 *grpsec_batch_aad(const struct grpsec_batch *b)
{
	return b->apart ? b->aad : b->buf;
}

#endif /* _GRPSEC_BATCH_H */
