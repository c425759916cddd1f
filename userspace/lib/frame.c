// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Frame codec: constants, parsers and the batch builder's layout.  Pure C
 * with no crypto library, so the fuzz targets and the kernel tests can use
 * it as it is.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

size_t grpsec_suite_key_len(unsigned int suite)
{
	switch (suite) {
	case GRPSEC_SUITE_AES_128_GCM:
		return 16;
	case GRPSEC_SUITE_AES_256_GCM:
	case GRPSEC_SUITE_CHACHA20_POLY1305:
		return 32;
	default:
		return 0;
	}
}

static const char *const suite_names[] = {
	[GRPSEC_SUITE_AES_128_GCM] = "aes-128-gcm",
	[GRPSEC_SUITE_AES_256_GCM] = "aes-256-gcm",
	[GRPSEC_SUITE_CHACHA20_POLY1305] = "chacha20-poly1305",
};

const char *grpsec_suite_name(unsigned int suite)
{
	if (suite == 0 || suite >= sizeof(suite_names) / sizeof(suite_names[0]))
		return NULL;
	return suite_names[suite];
}

unsigned int grpsec_suite_from_name(const char *name)
{
	unsigned int s;

	if (!name)
		return 0;
	for (s = 1; s < sizeof(suite_names) / sizeof(suite_names[0]); s++) {
		if (!strcmp(name, suite_names[s]))
			return s;
	}
	if (name[0] >= '1' && name[0] <= '3' && name[1] == '\0')
		return (unsigned int)(name[0] - '0');
	return 0;
}

const char *grpsec_mode_name(unsigned int mode)
{
	switch (mode) {
	case GRPSEC_MODE_ANONYMOUS:
		return "anonymous";
	case GRPSEC_MODE_IDENTIFIED:
		return "identified";
	default:
		return NULL;
	}
}

static const char *const entry_status_names[__GRPSEC_ENTRY_MAX] = {
	[GRPSEC_ENTRY_OK] = "ok",
	[GRPSEC_ENTRY_MALFORMED] = "malformed",
	[GRPSEC_ENTRY_UNKNOWN_GROUP] = "unknown_group",
	[GRPSEC_ENTRY_MODE_MISMATCH] = "mode_mismatch",
	[GRPSEC_ENTRY_ANON_MEMBER_ID] = "anonymous_with_member_id",
	[GRPSEC_ENTRY_BAD_TAG] = "bad_tag",
	[GRPSEC_ENTRY_REPLAY] = "replay",
	[GRPSEC_ENTRY_CACHE_FULL] = "cache_full",
	[GRPSEC_ENTRY_NOMEM] = "nomem",
};

const char *grpsec_entry_status_name(enum grpsec_entry_status s)
{
	if ((unsigned int)s >= __GRPSEC_ENTRY_MAX)
		return "unknown";
	return entry_status_names[s];
}

const char *grpsec_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EINVAL:
		return "invalid argument";
	case -EMSGSIZE:
		return "frame truncated or too long, or buffer too small";
	case -EPROTONOSUPPORT:
		return "unsupported frame version";
	case -EPROTO:
		return "malformed frame";
	case -EBADMSG:
		return "authentication failed";
	case -ESTALE:
		return "replayed or stale sequence";
	case -ENOSPC:
		return "epoch message limit reached";
	case -EOVERFLOW:
		return "sequence space exhausted";
	case -ENOMEM:
		return "out of memory";
	case -EIO:
		return "crypto library failure";
	case -EEXIST:
		return "already exists";
	case -ENOENT:
		return "not found";
	case -ENOKEY:
		return "no key for that epoch";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}

void grpsec_seq_nonce(uint8_t nonce[GRPSEC_NONCE_LEN], uint32_t prefix, uint64_t seq)
{
	put_be32(nonce, prefix);
	put_be64(nonce + 4, seq);
}

void grpsec_inner_aad(uint8_t aad[GRPSEC_INNER_AAD_LEN], unsigned int direction,
		      unsigned int suite, unsigned int mode, uint32_t group,
		      uint32_t epoch, uint32_t member)
{
	aad[0] = GRPSEC_VERSION;
	aad[1] = (uint8_t)direction;
	aad[2] = (uint8_t)suite;
	aad[3] = (uint8_t)mode;
	put_be32(aad + 4, group);
	put_be32(aad + 8, epoch);
	put_be32(aad + 12, member);
}

/* The four bytes every frame starts with. */
static int check_common(const uint8_t *buf, unsigned int type)
{
	if (buf[0] != GRPSEC_VERSION)
		return -EPROTONOSUPPORT;
	if (buf[1] != type || buf[3] != 0 || !grpsec_suite_key_len(buf[2]))
		return -EPROTO;
	return 0;
}

int grpsec_uplink_parse(const uint8_t *buf, size_t len, struct grpsec_uplink *out)
{
	struct grpsec_uplink u;
	int err;

	if (!buf || !out)
		return -EINVAL;
	if (len < GRPSEC_UPLINK_MIN_LEN || len > GRPSEC_UPLINK_MAX_LEN)
		return -EMSGSIZE;
	err = check_common(buf, GRPSEC_TYPE_UPLINK);
	if (err)
		return err;

	u.suite = buf[2];
	u.group = get_be32(buf + 4);
	u.epoch = get_be32(buf + 8);
	u.member = get_be32(buf + 12);
	u.seq = get_be64(buf + 16);
	if (!u.group || !u.member || !u.seq)
		return -EPROTO;

	u.frame = buf;
	u.frame_len = len;
	u.payload_len = len - GRPSEC_UPLINK_OVERHEAD;
	u.inner = buf + GRPSEC_HDR_LEN;
	u.inner_len = GRPSEC_INNER_OVERHEAD + u.payload_len;
	u.nonce = u.inner;
	u.inner_tag = u.inner + GRPSEC_INNER_TAG_OFFSET;
	u.ciphertext = u.inner + GRPSEC_INNER_CT_OFFSET;
	u.outer_tag = buf + len - GRPSEC_TAG_LEN;
	*out = u;
	return 0;
}

/* Read the entry at @off of [@p, @p + @len); returns its size or -EPROTO. */
static long entry_at(const uint8_t *p, size_t len, size_t off, struct grpsec_batch_entry *e)
{
	size_t l;

	if (len - off < GRPSEC_BATCH_ENTRY_HDR_LEN)
		return -EPROTO;
	p += off;
	l = get_be16(p + 2);
	if (l < GRPSEC_INNER_MIN_LEN || l > GRPSEC_INNER_MAX_LEN ||
	    len - off - GRPSEC_BATCH_ENTRY_HDR_LEN < l)
		return -EPROTO;
	if (e) {
		e->mode = p[0];
		e->suite = p[1];
		e->group = get_be32(p + 4);
		e->epoch = get_be32(p + 8);
		e->member = get_be32(p + 12);
		e->inner = p + GRPSEC_BATCH_ENTRY_HDR_LEN;
		e->inner_len = l;
	}
	return (long)(GRPSEC_BATCH_ENTRY_HDR_LEN + l);
}

int grpsec_batch_parse(const uint8_t *buf, size_t len, struct grpsec_batch *out)
{
	struct grpsec_batch b;
	size_t off = 0;
	unsigned int i;
	int err;

	if (!buf || !out)
		return -EINVAL;
	if (len < GRPSEC_BATCH_MIN_LEN || len > GRPSEC_BATCH_MAX_LEN)
		return -EMSGSIZE;
	err = check_common(buf, GRPSEC_TYPE_BATCH);
	if (err)
		return err;

	b.suite = buf[2];
	b.gateway = get_be32(buf + 4);
	b.seq = get_be64(buf + 8);
	b.count = get_be16(buf + 16);
	if (!b.count || get_be16(buf + 18) != 0)
		return -EPROTO;
	b.frame = buf;
	b.frame_len = len;
	b.entries = buf + GRPSEC_BATCH_HDR_LEN;
	b.entries_len = len - GRPSEC_BATCH_HDR_LEN - GRPSEC_TAG_LEN;
	b.tag = buf + len - GRPSEC_TAG_LEN;

	for (i = 0; i < b.count; i++) {
		long n = entry_at(b.entries, b.entries_len, off, NULL);

		if (n < 0)
			return (int)n;
		off += (size_t)n;
	}
	if (off != b.entries_len)
		return -EPROTO;
	*out = b;
	return 0;
}

int grpsec_batch_entry_next(const struct grpsec_batch *b, size_t *off,
			    struct grpsec_batch_entry *e)
{
	long n;

	if (!b || !off || !e)
		return -EINVAL;
	if (*off >= b->entries_len)
		return 0;
	n = entry_at(b->entries, b->entries_len, *off, e);
	if (n < 0)
		return (int)n;
	*off += (size_t)n;
	return 1;
}

int grpsec_batch_init(struct grpsec_batch_builder *b, uint8_t *buf, size_t size,
		      uint32_t gateway, unsigned int suite)
{
	if (!b || !buf || !grpsec_suite_key_len(suite))
		return -EINVAL;
	if (size < GRPSEC_BATCH_MIN_LEN)
		return -EMSGSIZE;
	if (size > GRPSEC_BATCH_MAX_LEN)
		size = GRPSEC_BATCH_MAX_LEN;
	b->buf = buf;
	b->size = size;
	b->len = GRPSEC_BATCH_HDR_LEN;
	b->count = 0;
	b->suite = (uint8_t)suite;
	memset(buf, 0, GRPSEC_BATCH_HDR_LEN);
	buf[0] = GRPSEC_VERSION;
	buf[1] = GRPSEC_TYPE_BATCH;
	buf[2] = (uint8_t)suite;
	put_be32(buf + 4, gateway);
	return 0;
}

int grpsec_batch_add(struct grpsec_batch_builder *b, unsigned int mode,
		     unsigned int suite, uint32_t group, uint32_t epoch,
		     uint32_t member, const uint8_t *inner, size_t inner_len)
{
	uint8_t *p;

	if (!b || !b->buf || !inner || inner_len < GRPSEC_INNER_MIN_LEN ||
	    inner_len > GRPSEC_INNER_MAX_LEN)
		return -EINVAL;
	if (b->count == UINT16_MAX ||
	    b->size - b->len < GRPSEC_BATCH_ENTRY_HDR_LEN + inner_len + GRPSEC_TAG_LEN)
		return -EMSGSIZE;
	p = b->buf + b->len;
	p[0] = (uint8_t)mode;
	p[1] = (uint8_t)suite;
	put_be16(p + 2, (uint16_t)inner_len);
	put_be32(p + 4, group);
	put_be32(p + 8, epoch);
	put_be32(p + 12, member);
	memcpy(p + GRPSEC_BATCH_ENTRY_HDR_LEN, inner, inner_len);
	b->len += GRPSEC_BATCH_ENTRY_HDR_LEN + inner_len;
	b->count++;
	return 0;
}

int grpsec_batch_add_uplink(struct grpsec_batch_builder *b, unsigned int mode,
			    const struct grpsec_uplink *u)
{
	if (!u || !grpsec_mode_name(mode))
		return -EINVAL;
	return grpsec_batch_add(b, mode, u->suite, u->group, u->epoch,
				mode == GRPSEC_MODE_ANONYMOUS ? 0 : u->member,
				u->inner, u->inner_len);
}

int grpsec_downlink_parse(const uint8_t *buf, size_t len, struct grpsec_downlink *out)
{
	size_t body_len;

	if (!buf || !out)
		return -EINVAL;
	if (len < GRPSEC_DOWNLINK_HDR_LEN + 1 + GRPSEC_TAG_LEN || len > GRPSEC_DOWNLINK_MAX_LEN)
		return -EMSGSIZE;
	body_len = get_be16(buf + 26);
	if (len != GRPSEC_DOWNLINK_HDR_LEN + body_len + GRPSEC_TAG_LEN)
		return -EMSGSIZE;
	if (buf[0] != GRPSEC_VERSION)
		return -EPROTONOSUPPORT;
	if (buf[1] != GRPSEC_TYPE_DOWNLINK || buf[3] || buf[25] ||
	    !grpsec_suite_key_len(buf[2]) || !get_be64(buf + 8) || !get_be32(buf + 16) ||
	    (buf[24] != GRPSEC_DOWNLINK_KIND_COMMAND && buf[24] != GRPSEC_DOWNLINK_KIND_REKEY) ||
	    (buf[24] == GRPSEC_DOWNLINK_KIND_REKEY && !get_be32(buf + 20)))
		return -EPROTO;
	out->suite = buf[2];
	out->gateway = get_be32(buf + 4);
	out->seq = get_be64(buf + 8);
	out->group = get_be32(buf + 16);
	out->member = get_be32(buf + 20);
	out->kind = buf[24];
	out->body = buf + GRPSEC_DOWNLINK_HDR_LEN;
	out->body_len = body_len;
	out->frame = buf;
	out->frame_len = len;
	out->tag = buf + len - GRPSEC_TAG_LEN;
	return 0;
}

int grpsec_mframe_flags_valid(unsigned int type, unsigned int flags)
{
	const unsigned int all = GRPSEC_MFRAME_FLAG_GATEWAY | GRPSEC_MFRAME_FLAG_MULTICAST |
				 GRPSEC_MFRAME_FLAG_GROUP;

	if (type == GRPSEC_TYPE_REKEY)
		return !flags;
	if (type != GRPSEC_TYPE_COMMAND || (flags & ~all))
		return 0;
	/* Only a body for every member may go to every member at once. */
	return !(flags & GRPSEC_MFRAME_FLAG_MULTICAST) ||
	       (flags & all) == (GRPSEC_MFRAME_FLAG_MULTICAST | GRPSEC_MFRAME_FLAG_GROUP);
}

int grpsec_mframe_parse(const uint8_t *buf, size_t len, struct grpsec_mframe *out)
{
	size_t body_len;
	bool mcast;

	if (!buf || !out)
		return -EINVAL;
	if (len < GRPSEC_MFRAME_HDR_LEN + 1 || len > GRPSEC_MFRAME_MAX_LEN)
		return -EMSGSIZE;
	/* A multicast frame has no tag: no one member key covers all. */
	mcast = buf[3] & GRPSEC_MFRAME_FLAG_MULTICAST;
	body_len = get_be16(buf + 24);
	if (len != GRPSEC_MFRAME_HDR_LEN + body_len + (mcast ? 0 : GRPSEC_TAG_LEN))
		return -EMSGSIZE;
	if (buf[0] != GRPSEC_VERSION)
		return -EPROTONOSUPPORT;
	if (!grpsec_mframe_flags_valid(buf[1], buf[3]) || get_be16(buf + 26) || !grpsec_suite_key_len(buf[2]) || !get_be32(buf + 4) ||
	    !get_be32(buf + 8) != mcast || (mcast && get_be32(buf + 12)) || !get_be64(buf + 16))
		return -EPROTO;
	out->type = buf[1];
	out->suite = buf[2];
	out->flags = buf[3];
	out->group = get_be32(buf + 4);
	out->member = get_be32(buf + 8);
	out->epoch = get_be32(buf + 12);
	out->seq = get_be64(buf + 16);
	out->body = buf + GRPSEC_MFRAME_HDR_LEN;
	out->body_len = body_len;
	out->frame = buf;
	out->frame_len = len;
	return 0;
}
