// SPDX-License-Identifier: GPL-2.0
/*
 * Batch frame builder (Documentation/frames.rst, type 2).  Entries are
 * appended as they are verified; the header is written last, when the
 * count is known.  Pure logic, KUnit-tested and fuzzable in userspace.
 */
#include <linux/grpsec.h>

#include "batch.h"

void grpsec_batch_init(struct grpsec_batch *b, u8 *buf, u8 *aad, u32 cap,
		       u16 max)
{
	b->buf = buf;
	b->aad = aad;
	b->cap = cap;
	b->len = sizeof(struct grpsec_batch_hdr);
	b->aad_len = sizeof(struct grpsec_batch_hdr);
	b->apart = false;
	b->count = 0;
	b->max = max;
}

/**
 * grpsec_batch_fits - is there room for one more entry?
 * @b: the batch
 * @inner_len: the entry's inner part length
 */
bool grpsec_batch_fits(const struct grpsec_batch *b, u32 inner_len)
{
	u32 need = sizeof(struct grpsec_batch_entry) + inner_len +
		   GRPSEC_TAG_LEN;

	return b->count < b->max && need <= b->cap - b->len;
}

/**
 * grpsec_batch_add - append one verified inner part
 * @b: the batch
 * @item: what to append; the inner part is copied
 *
 * Return: 0, or -EMSGSIZE if the entry does not fit (flush and retry).
 */
int grpsec_batch_add(struct grpsec_batch *b,
		     const struct grpsec_batch_item *item)
{
	struct grpsec_batch_entry *e;
	u32 covered;

	if (!grpsec_batch_fits(b, item->inner_len))
		return -EMSGSIZE;

	e = (void *)(b->buf + b->len);
	e->mode = item->mode;
	e->suite = item->suite;
	put_unaligned_be16(item->inner_len, &e->inner_len);
	put_unaligned_be32(item->group, &e->group);
	put_unaligned_be32(item->epoch, &e->epoch);
	put_unaligned_be32(item->member, &e->member);
	memcpy(e + 1, item->inner, item->inner_len);
	/*
	 * The tag covers an identified entry up to its inner tag: the inner
	 * tag binds the ciphertext under K_e,m[e].  An anonymous entry is
	 * covered whole, since every member can open and re-seal it.
	 */
	if (item->mode == GRPSEC_MODE_ANONYMOUS) {
		covered = sizeof(*e) + item->inner_len;
	} else {
		covered = sizeof(*e) + GRPSEC_INNER_OVERHEAD;
		/* The first identified entry: what is covered moves apart. */
		if (!b->apart) {
			memcpy(b->aad, b->buf, b->aad_len);
			b->apart = true;
		}
	}
	if (b->apart)
		memcpy(b->aad + b->aad_len, e, covered);
	b->aad_len += covered;
	b->len += sizeof(*e) + item->inner_len;
	b->count++;
	return 0;
}

/**
 * grpsec_batch_finish - write the header once every entry is in
 * @b: the batch, with at least one entry
 * @suite: suite of the upstream key
 * @gateway: gateway id
 * @seq: batch sequence
 *
 * The caller seals the tag over the first @b->aad_len bytes of
 * grpsec_batch_aad() and sends @b->buf's bytes, then the tag.
 *
 * Return: the length of the batch without its tag.
 */
u32 grpsec_batch_finish(struct grpsec_batch *b, u8 suite, u32 gateway,
			u64 seq)
{
	struct grpsec_batch_hdr *hdr = (void *)b->buf;

	hdr->version = GRPSEC_WIRE_VERSION;
	hdr->type = GRPSEC_TYPE_BATCH;
	hdr->suite = suite;
	hdr->flags = 0;
	put_unaligned_be32(gateway, &hdr->gateway);
	put_unaligned_be64(seq, &hdr->seq);
	put_unaligned_be16(b->count, &hdr->count);
	hdr->reserved = 0;
	if (b->apart)
		memcpy(b->aad, hdr, sizeof(*hdr));
	return b->len;
}
