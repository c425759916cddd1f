// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The enrollment messages (Documentation/enrollment.rst): one strict
 * parser and the builders, which validate what they wrote with the same
 * parser.  Pure logic: no crypto library, no allocation, so the daemon,
 * the device client and the fuzz target share this file as it is.
 */
#include <errno.h>
#include <string.h>

#include "grpsec_enroll.h"
#include "internal.h"

static const char *const refusal_names[__GRPSEC_REFUSE_MAX] = {
	[GRPSEC_REFUSE_MALFORMED] = "malformed",
	[GRPSEC_REFUSE_VERSION] = "version",
	[GRPSEC_REFUSE_DENIED] = "denied",
	[GRPSEC_REFUSE_UNKNOWN_GROUP] = "unknown_group",
	[GRPSEC_REFUSE_REVOKED] = "revoked",
	[GRPSEC_REFUSE_INTERNAL] = "internal",
	[GRPSEC_REFUSE_TIMEOUT] = "timeout",
};

const char *grpsec_refusal_name(unsigned int reason)
{
	return reason < __GRPSEC_REFUSE_MAX ? refusal_names[reason] : NULL;
}

int grpsec_msg_frame_len(const uint8_t hdr[GRPSEC_MSG_HDR_LEN], size_t max, size_t *total)
{
	size_t len;

	if (!hdr || !total || max > GRPSEC_MSG_MAX_LEN)
		return -EINVAL;
	if (hdr[0] != GRPSEC_MSG_VERSION)
		return -EPROTONOSUPPORT;
	if (!hdr[1] || get_be16(hdr + 2))
		return -EPROTO;
	len = (size_t)get_be32(hdr + 4);
	if (len > max - GRPSEC_MSG_HDR_LEN)
		return -EMSGSIZE;
	*total = GRPSEC_MSG_HDR_LEN + len;
	return 0;
}

static int parse_request(const uint8_t *p, size_t len, struct grpsec_enroll_request *r)
{
	unsigned int n;

	if (len < 4)
		return -EMSGSIZE;
	n = get_be16(p + 2);
	if (get_be16(p) || !n || n > GRPSEC_ENROLL_MAX_GROUPS)
		return -EPROTO;
	if (len != 4 + 4 * (size_t)n)
		return -EMSGSIZE;
	r->n_groups = n;
	for (unsigned int i = 0; i < n; i++) {
		r->groups[i] = get_be32(p + 4 + 4 * i);
		if (!r->groups[i] || (i && r->groups[i] <= r->groups[i - 1]))
			return -EPROTO;
	}
	return 0;
}

/* The keys an epoch record must carry, from its group's mode and flags. */
static uint8_t epoch_contents(const struct grpsec_enroll_group *g)
{
	if (g->mode == GRPSEC_MODE_ANONYMOUS)
		return GRPSEC_ENROLL_HAS_GROUP_KEY;
	return GRPSEC_ENROLL_HAS_E2E_KEY |
	       (g->flags & GRPSEC_ENROLL_GROUP_COMMANDS ? GRPSEC_ENROLL_HAS_GROUP_KEY : 0);
}

static int parse_epoch(const uint8_t *p, size_t left, struct grpsec_enroll_group *g,
		       struct grpsec_enroll_epoch *e, size_t *used)
{
	size_t key_len = grpsec_suite_key_len(g->suite), off = GRPSEC_ENROLL_EPOCH_HDR_LEN;

	if (left < GRPSEC_ENROLL_EPOCH_HDR_LEN)
		return -EMSGSIZE;
	e->epoch = get_be32(p);
	e->contents = p[4];
	e->msg_limit = get_be64(p + 8);
	if (e->contents != epoch_contents(g) || p[5] || p[6] || p[7])
		return -EPROTO;
	if (e != g->epochs && e->epoch <= e[-1].epoch)
		return -EPROTO;
	if (left - off < key_len * (1 + (e->contents & GRPSEC_ENROLL_HAS_GROUP_KEY ? 1 : 0) +
				    (e->contents & GRPSEC_ENROLL_HAS_E2E_KEY ? 1 : 0)))
		return -EMSGSIZE;
	e->member_key = p + off;
	off += key_len;
	e->group_key = NULL;
	e->e2e_key = NULL;
	if (e->contents & GRPSEC_ENROLL_HAS_GROUP_KEY) {
		e->group_key = p + off;
		off += key_len;
	}
	if (e->contents & GRPSEC_ENROLL_HAS_E2E_KEY) {
		e->e2e_key = p + off;
		off += key_len;
	}
	*used = off;
	return 0;
}

static int parse_group(const uint8_t *p, size_t left, const struct grpsec_enroll_group *prev,
		       struct grpsec_enroll_group *g, size_t *used)
{
	size_t off = GRPSEC_ENROLL_GROUP_HDR_LEN, n;
	int err;

	if (left < GRPSEC_ENROLL_GROUP_HDR_LEN)
		return -EMSGSIZE;
	g->group = get_be32(p);
	g->suite = p[4];
	g->mode = p[5];
	g->flags = p[6];
	g->n_epochs = p[7];
	if (!g->group || (prev && g->group <= prev->group) || !grpsec_suite_key_len(g->suite) ||
	    g->mode > GRPSEC_MODE_IDENTIFIED || (g->flags & ~GRPSEC_ENROLL_GROUP_COMMANDS) ||
	    !g->n_epochs || g->n_epochs > GRPSEC_ENROLL_MAX_EPOCHS)
		return -EPROTO;
	for (unsigned int i = 0; i < g->n_epochs; i++) {
		err = parse_epoch(p + off, left - off, g, &g->epochs[i], &n);
		if (err)
			return err;
		off += n;
	}
	*used = off;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

static int parse_answer(const uint8_t *p, size_t len, struct grpsec_enroll_answer *a)
{
	size_t off = GRPSEC_ENROLL_ANSWER_HDR_LEN, n;
	int err;

	if (len < GRPSEC_ENROLL_ANSWER_HDR_LEN)
		return -EMSGSIZE;
	a->member = get_be32(p);
	a->sign_pub = p + 4;
	a->gw_family = p[36];
	a->gw_port = get_be16(p + 38);
	memcpy(a->gw_addr, p + 40, sizeof(a->gw_addr));
	a->n_groups = get_be16(p + 58);
	if (!a->member || p[37] || !a->gw_port || get_be16(p + 56) ||
	    (a->gw_family != GRPSEC_ENROLL_ADDR_IPV4 && a->gw_family != GRPSEC_ENROLL_ADDR_IPV6) ||
	    (a->gw_family == GRPSEC_ENROLL_ADDR_IPV4 && !all_zero(a->gw_addr + 4, 12)) ||
	    !a->n_groups || a->n_groups > GRPSEC_ENROLL_MAX_GROUPS)
		return -EPROTO;
	for (unsigned int i = 0; i < a->n_groups; i++) {
		err = parse_group(p + off, len - off, i ? &a->groups[i - 1] : NULL,
				  &a->groups[i], &n);
		if (err)
			return err;
		off += n;
	}
	return off == len ? 0 : -EMSGSIZE;
}

static int parse_refusal(const uint8_t *p, size_t len, struct grpsec_refusal *r)
{
	if (len < 4)
		return -EMSGSIZE;
	r->reason = get_be16(p);
	r->text_len = get_be16(p + 2);
	if (!grpsec_refusal_name(r->reason) || r->text_len > GRPSEC_REFUSAL_TEXT_MAX)
		return -EPROTO;
	if (len != 4 + r->text_len)
		return -EMSGSIZE;
	r->text = (const char *)p + 4;
	for (size_t i = 0; i < r->text_len; i++)
		if (p[4 + i] < 0x20 || p[4 + i] > 0x7e)
			return -EPROTO;
	return 0;
}

static int parse_upstream(const uint8_t *p, size_t len, struct grpsec_ctl_upstream *u)
{
	if (len != GRPSEC_UPSTREAM_BODY_LEN)
		return -EMSGSIZE;
	u->gateway = get_be32(p);
	u->suite = p[4];
	u->family = p[5];
	u->port = get_be16(p + 6);
	memcpy(u->addr, p + 8, sizeof(u->addr));
	u->listen_port = get_be16(p + 24);
	if (!u->gateway || !grpsec_suite_key_len(u->suite) || !u->port ||
	    (u->family != GRPSEC_ENROLL_ADDR_IPV4 && u->family != GRPSEC_ENROLL_ADDR_IPV6) ||
	    (u->family == GRPSEC_ENROLL_ADDR_IPV4 && !all_zero(u->addr + 4, 12)) ||
	    !u->listen_port || get_be16(p + 26))
		return -EPROTO;
	return 0;
}

int grpsec_msg_parse(const uint8_t *buf, size_t len, struct grpsec_msg *out)
{
	const uint8_t *body = buf + GRPSEC_MSG_HDR_LEN;
	size_t total, body_len;
	int err;

	if (!buf || !out)
		return -EINVAL;
	if (len < GRPSEC_MSG_HDR_LEN)
		return -EMSGSIZE;
	err = grpsec_msg_frame_len(buf, GRPSEC_MSG_MAX_LEN, &total);
	if (err)
		return err;
	if (total != len)
		return -EMSGSIZE;
	body_len = len - GRPSEC_MSG_HDR_LEN;
	memset(out, 0, sizeof(*out));
	out->type = buf[1];
	switch (out->type) {
	case GRPSEC_MSG_ENROLL:
		return parse_request(body, body_len, &out->req);
	case GRPSEC_MSG_ENROLL_ANSWER:
		return parse_answer(body, body_len, &out->answer);
	case GRPSEC_MSG_REFUSAL:
		return parse_refusal(body, body_len, &out->refusal);
	case GRPSEC_MSG_UPSTREAM:
		return parse_upstream(body, body_len, &out->upstream);
	default:
		return -EOPNOTSUPP;
	}
}

/* Header of a message whose body is @body_len bytes; checks the room. */
static int put_header(uint8_t *out, size_t size, unsigned int type, size_t body_len)
{
	if (!out || size < GRPSEC_MSG_HDR_LEN || body_len > size - GRPSEC_MSG_HDR_LEN)
		return -EMSGSIZE;
	out[0] = GRPSEC_MSG_VERSION;
	out[1] = (uint8_t)type;
	put_be16(out + 2, 0);
	put_be32(out + 4, (uint32_t)body_len);
	return 0;
}

/* Validate a built message with the parser; on failure wipe it. */
static int built(uint8_t *out, size_t len, size_t *out_len)
{
	struct grpsec_msg m;
	int err = grpsec_msg_parse(out, len, &m);

	if (err) {
		/* An answer carries keys; explicit_bzero() needs no crypto library. */
		explicit_bzero(out, len);
		return err;
	}
	*out_len = len;
	return 0;
}

int grpsec_msg_build_request(const struct grpsec_enroll_request *r, uint8_t *out,
			     size_t size, size_t *out_len)
{
	size_t body_len;
	int err;

	if (!r || !out_len || r->n_groups > GRPSEC_ENROLL_MAX_GROUPS)
		return -EINVAL;
	body_len = 4 + 4 * (size_t)r->n_groups;
	err = put_header(out, size, GRPSEC_MSG_ENROLL, body_len);
	if (err)
		return err;
	put_be16(out + 8, 0);
	put_be16(out + 10, (uint16_t)r->n_groups);
	for (unsigned int i = 0; i < r->n_groups; i++)
		put_be32(out + 12 + 4 * i, r->groups[i]);
	return built(out, GRPSEC_MSG_HDR_LEN + body_len, out_len);
}

/* Bytes of group record @g as built (0: a key the suite cannot size). */
static size_t group_len(const struct grpsec_enroll_group *g)
{
	size_t key_len = grpsec_suite_key_len(g->suite), len = GRPSEC_ENROLL_GROUP_HDR_LEN;

	for (unsigned int i = 0; i < g->n_epochs && i < GRPSEC_ENROLL_MAX_EPOCHS; i++) {
		const struct grpsec_enroll_epoch *e = &g->epochs[i];

		len += GRPSEC_ENROLL_EPOCH_HDR_LEN + key_len * (1 + !!e->group_key + !!e->e2e_key);
	}
	return len;
}

static uint8_t *put_key(uint8_t *p, const uint8_t *key, size_t len)
{
	if (!key)
		return p;
	memcpy(p, key, len);
	return p + len;
}

static uint8_t *put_group(uint8_t *p, const struct grpsec_enroll_group *g)
{
	size_t key_len = grpsec_suite_key_len(g->suite);

	put_be32(p, g->group);
	p[4] = g->suite;
	p[5] = g->mode;
	p[6] = g->flags;
	p[7] = (uint8_t)g->n_epochs;
	p += GRPSEC_ENROLL_GROUP_HDR_LEN;
	for (unsigned int i = 0; i < g->n_epochs; i++) {
		const struct grpsec_enroll_epoch *e = &g->epochs[i];

		put_be32(p, e->epoch);
		p[4] = (e->group_key ? GRPSEC_ENROLL_HAS_GROUP_KEY : 0) |
		       (e->e2e_key ? GRPSEC_ENROLL_HAS_E2E_KEY : 0);
		p[5] = p[6] = p[7] = 0;
		put_be64(p + 8, e->msg_limit);
		p += GRPSEC_ENROLL_EPOCH_HDR_LEN;
		p = put_key(p, e->member_key, key_len);
		p = put_key(p, e->group_key, key_len);
		p = put_key(p, e->e2e_key, key_len);
	}
	return p;
}

int grpsec_msg_build_answer(const struct grpsec_enroll_answer *a, uint8_t *out,
			    size_t size, size_t *out_len)
{
	size_t body_len = GRPSEC_ENROLL_ANSWER_HDR_LEN;
	uint8_t *p;
	int err;

	if (!a || !out_len || !a->sign_pub || a->n_groups > GRPSEC_ENROLL_MAX_GROUPS)
		return -EINVAL;
	for (unsigned int i = 0; i < a->n_groups; i++) {
		const struct grpsec_enroll_group *g = &a->groups[i];

		if (!grpsec_suite_key_len(g->suite) || g->n_epochs > GRPSEC_ENROLL_MAX_EPOCHS)
			return -EINVAL;
		for (unsigned int j = 0; j < g->n_epochs; j++)
			if (!g->epochs[j].member_key)
				return -EINVAL;
		body_len += group_len(g);
	}
	err = put_header(out, size, GRPSEC_MSG_ENROLL_ANSWER, body_len);
	if (err)
		return err;
	p = out + GRPSEC_MSG_HDR_LEN;
	put_be32(p, a->member);
	memcpy(p + 4, a->sign_pub, GRPSEC_SIGN_KEY_LEN);
	p[36] = a->gw_family;
	p[37] = 0;
	put_be16(p + 38, a->gw_port);
	memcpy(p + 40, a->gw_addr, sizeof(a->gw_addr));
	put_be16(p + 56, 0);
	put_be16(p + 58, (uint16_t)a->n_groups);
	p += GRPSEC_ENROLL_ANSWER_HDR_LEN;
	for (unsigned int i = 0; i < a->n_groups; i++)
		p = put_group(p, &a->groups[i]);
	return built(out, GRPSEC_MSG_HDR_LEN + body_len, out_len);
}

int grpsec_msg_build_refusal(unsigned int reason, const char *text, uint8_t *out,
			     size_t size, size_t *out_len)
{
	size_t n = text ? strnlen(text, GRPSEC_REFUSAL_TEXT_MAX) : 0;
	int err;

	if (!out_len)
		return -EINVAL;
	err = put_header(out, size, GRPSEC_MSG_REFUSAL, 4 + n);
	if (err)
		return err;
	put_be16(out + 8, (uint16_t)reason);
	put_be16(out + 10, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		out[12 + i] = c >= 0x20 && c <= 0x7e ? c : '?';
	}
	return built(out, GRPSEC_MSG_HDR_LEN + 4 + n, out_len);
}

int grpsec_msg_build_upstream(const struct grpsec_ctl_upstream *u, uint8_t *out,
			      size_t size, size_t *out_len)
{
	uint8_t *p = out + GRPSEC_MSG_HDR_LEN;
	int err;

	if (!u || !out_len)
		return -EINVAL;
	err = put_header(out, size, GRPSEC_MSG_UPSTREAM, GRPSEC_UPSTREAM_BODY_LEN);
	if (err)
		return err;
	put_be32(p, u->gateway);
	p[4] = u->suite;
	p[5] = u->family;
	put_be16(p + 6, u->port);
	memcpy(p + 8, u->addr, sizeof(u->addr));
	put_be16(p + 24, u->listen_port);
	put_be16(p + 26, 0);
	return built(out, GRPSEC_UPSTREAM_LEN, out_len);
}
