// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The enrollment and control-channel messages (Documentation/enrollment.rst): one strict
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
	u->batch_seq_floor = get_be64(p + 28);
	if (!u->gateway || !grpsec_suite_key_len(u->suite) || !u->port ||
	    (u->family != GRPSEC_ENROLL_ADDR_IPV4 && u->family != GRPSEC_ENROLL_ADDR_IPV6) ||
	    (u->family == GRPSEC_ENROLL_ADDR_IPV4 && !all_zero(u->addr + 4, 12)) ||
	    !u->listen_port || get_be16(p + 26) || u->batch_seq_floor > GRPSEC_CTL_SEQ_FLOOR_MAX)
		return -EPROTO;
	return 0;
}

/*
 * @k key slots {be32 epoch, key} at @p, epochs strictly increasing; the
 * caller checked that @p holds them.
 */
static int parse_slots(const uint8_t *p, unsigned int k, size_t key_len,
		       struct grpsec_ctl_slot *slots)
{
	for (unsigned int i = 0; i < k; i++) {
		slots[i].epoch = get_be32(p);
		slots[i].key = p + 4;
		if (i && slots[i].epoch <= slots[i - 1].epoch)
			return -EPROTO;
		p += 4 + key_len;
	}
	return 0;
}

static int parse_group_msg(const uint8_t *p, size_t len, struct grpsec_ctl_group *g)
{
	size_t key_len;
	bool terminate;

	if (len < GRPSEC_CTL_GROUP_HDR_LEN)
		return -EMSGSIZE;
	g->group = get_be32(p);
	g->suite = p[4];
	g->mode = p[5];
	g->flags = p[6];
	g->n_slots = p[7];
	g->msg_limit = get_be64(p + 8);
	g->rate_limit = get_be32(p + 16);
	key_len = grpsec_suite_key_len(g->suite);
	terminate = g->flags & GRPSEC_CTL_GROUP_TERMINATE;
	if (!g->group || !key_len || g->mode > GRPSEC_MODE_IDENTIFIED ||
	    (g->flags & ~(GRPSEC_CTL_GROUP_COMMANDS | GRPSEC_CTL_GROUP_TERMINATE)) ||
	    (terminate && g->mode != GRPSEC_MODE_ANONYMOUS) ||
	    (terminate ? !g->n_slots || g->n_slots > GRPSEC_ENROLL_MAX_EPOCHS : g->n_slots) ||
	    get_be32(p + 20))
		return -EPROTO;
	if (len != GRPSEC_CTL_GROUP_HDR_LEN + g->n_slots * (4 + key_len))
		return -EMSGSIZE;
	return parse_slots(p + GRPSEC_CTL_GROUP_HDR_LEN, g->n_slots, key_len, g->slots);
}

/* One MEMBERS record at @p (@left bytes); its length in *@used. */
static int parse_member(const uint8_t *p, size_t left, size_t key_len, uint32_t prev,
			struct grpsec_ctl_member *m, size_t *used)
{
	if (left < GRPSEC_CTL_MEMBER_HDR_LEN)
		return -EMSGSIZE;
	m->member = get_be32(p);
	m->n_slots = p[4];
	if (!m->member || m->member <= prev || !m->n_slots ||
	    m->n_slots > GRPSEC_ENROLL_MAX_EPOCHS || p[5] || p[6] || p[7])
		return -EPROTO;
	*used = GRPSEC_CTL_MEMBER_LEN(m->n_slots, key_len);
	if (left < *used)
		return -EMSGSIZE;
	return parse_slots(p + GRPSEC_CTL_MEMBER_HDR_LEN, m->n_slots, key_len, m->slots);
}

static int parse_members(const uint8_t *p, size_t len, struct grpsec_ctl_members *ms)
{
	struct grpsec_ctl_member m = { 0 };
	size_t off = GRPSEC_CTL_MEMBERS_HDR_LEN, key_len, n;
	int err;

	if (len < GRPSEC_CTL_MEMBERS_HDR_LEN)
		return -EMSGSIZE;
	ms->group = get_be32(p);
	ms->suite = p[4];
	ms->n = get_be16(p + 6);
	key_len = grpsec_suite_key_len(ms->suite);
	if (!ms->group || !key_len || p[5] || !ms->n)
		return -EPROTO;
	for (unsigned int i = 0; i < ms->n; i++) {
		err = parse_member(p + off, len - off, key_len, m.member, &m, &n);
		if (err)
			return err;
		off += n;
	}
	if (off != len)
		return -EMSGSIZE;
	ms->records = p + GRPSEC_CTL_MEMBERS_HDR_LEN;
	ms->len = len - GRPSEC_CTL_MEMBERS_HDR_LEN;
	return 0;
}

int grpsec_ctl_members_next(const struct grpsec_ctl_members *m, size_t *off,
			    struct grpsec_ctl_member *out)
{
	size_t key_len = grpsec_suite_key_len(m->suite), used;

	/* The parser checked every record: this walk cannot fail. */
	if (*off >= m->len || parse_member(m->records + *off, m->len - *off, key_len, 0, out,
					   &used))
		return 0;
	*off += used;
	return 1;
}

/* @n be32 member ids at @ids: non-zero, strictly increasing. */
static int check_ids(const uint8_t *ids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t id = get_be32(ids + 4 * i);

		if (!id || (i && id <= get_be32(ids + 4 * (i - 1))))
			return -EPROTO;
	}
	return 0;
}

static int parse_member_del(const uint8_t *p, size_t len, struct grpsec_ctl_member_del *d)
{
	if (len < GRPSEC_CTL_DEL_HDR_LEN)
		return -EMSGSIZE;
	d->group = get_be32(p);
	d->n = get_be16(p + 6);
	if (!d->group || get_be16(p + 4) || !d->n || d->n > GRPSEC_CTL_DEL_MAX)
		return -EPROTO;
	if (len != GRPSEC_CTL_DEL_HDR_LEN + 4 * (size_t)d->n)
		return -EMSGSIZE;
	d->ids = p + GRPSEC_CTL_DEL_HDR_LEN;
	return check_ids(d->ids, d->n);
}

uint32_t grpsec_ctl_del_id(const struct grpsec_ctl_member_del *d, unsigned int i)
{
	return i < d->n ? get_be32(d->ids + 4 * i) : 0;
}

static int parse_heard(const uint8_t *p, size_t len, struct grpsec_ctl_heard *h)
{
	if (len < GRPSEC_CTL_HEARD_HDR_LEN)
		return -EMSGSIZE;
	h->group = get_be32(p);
	h->epoch = get_be32(p + 4);
	h->n = get_be16(p + 10);
	if (!h->group || !h->epoch || get_be16(p + 8) || !h->n || h->n > GRPSEC_CTL_HEARD_MAX)
		return -EPROTO;
	if (len != GRPSEC_CTL_HEARD_HDR_LEN + 4 * (size_t)h->n)
		return -EMSGSIZE;
	h->ids = p + GRPSEC_CTL_HEARD_HDR_LEN;
	return check_ids(h->ids, h->n);
}

uint32_t grpsec_ctl_heard_id(const struct grpsec_ctl_heard *h, unsigned int i)
{
	return i < h->n ? get_be32(h->ids + 4 * i) : 0;
}

static int parse_sync_done(const uint8_t *p, size_t len, struct grpsec_ctl_sync_done *s)
{
	if (len != GRPSEC_CTL_SYNC_DONE_LEN - GRPSEC_MSG_HDR_LEN)
		return -EMSGSIZE;
	s->groups = get_be32(p);
	s->members = get_be32(p + 4);
	return 0;
}

static int parse_query(const uint8_t *p, size_t len, struct grpsec_ctl_query *q)
{
	if (len != GRPSEC_CTL_QUERY_LEN - GRPSEC_MSG_HDR_LEN)
		return -EMSGSIZE;
	q->group = get_be32(p);
	q->member = get_be32(p + 4);
	return q->group && q->member ? 0 : -EPROTO;
}

static int parse_installed(const uint8_t *p, size_t len, struct grpsec_ctl_installed *in)
{
	if (len != GRPSEC_CTL_INSTALLED_LEN - GRPSEC_MSG_HDR_LEN)
		return -EMSGSIZE;
	in->push = get_be32(p);
	in->members = get_be32(p + 4);
	return in->push ? 0 : -EPROTO;
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
	case GRPSEC_MSG_GROUP:
		return parse_group_msg(body, body_len, &out->group);
	case GRPSEC_MSG_MEMBERS:
		return parse_members(body, body_len, &out->members);
	case GRPSEC_MSG_MEMBER_DEL:
		return parse_member_del(body, body_len, &out->del);
	case GRPSEC_MSG_SYNC_DONE:
		return parse_sync_done(body, body_len, &out->sync_done);
	case GRPSEC_MSG_MEMBER_QUERY:
		return parse_query(body, body_len, &out->query);
	case GRPSEC_MSG_KEEPALIVE:
		return body_len ? -EMSGSIZE : 0;
	case GRPSEC_MSG_INSTALLED:
		return parse_installed(body, body_len, &out->installed);
	case GRPSEC_MSG_HEARD:
		return parse_heard(body, body_len, &out->heard);
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
	put_be64(p + 28, u->batch_seq_floor);
	return built(out, GRPSEC_UPSTREAM_LEN, out_len);
}

/* @k slots at @p; -EINVAL for a slot without its key. */
static int put_slots(uint8_t *p, const struct grpsec_ctl_slot *slots, unsigned int k,
		     size_t key_len)
{
	for (unsigned int i = 0; i < k; i++) {
		if (!slots[i].key)
			return -EINVAL;
		put_be32(p, slots[i].epoch);
		memcpy(p + 4, slots[i].key, key_len);
		p += 4 + key_len;
	}
	return 0;
}

int grpsec_msg_build_group(const struct grpsec_ctl_group *g, uint8_t *out, size_t size,
			   size_t *out_len)
{
	size_t key_len, body_len;
	uint8_t *p = out + GRPSEC_MSG_HDR_LEN;
	int err;

	if (!g || !out_len || g->n_slots > GRPSEC_ENROLL_MAX_EPOCHS ||
	    !(key_len = grpsec_suite_key_len(g->suite)))
		return -EINVAL;
	body_len = GRPSEC_CTL_GROUP_HDR_LEN + g->n_slots * (4 + key_len);
	err = put_header(out, size, GRPSEC_MSG_GROUP, body_len);
	if (err)
		return err;
	put_be32(p, g->group);
	p[4] = g->suite;
	p[5] = g->mode;
	p[6] = g->flags;
	p[7] = (uint8_t)g->n_slots;
	put_be64(p + 8, g->msg_limit);
	put_be32(p + 16, g->rate_limit);
	put_be32(p + 20, 0);
	err = put_slots(p + GRPSEC_CTL_GROUP_HDR_LEN, g->slots, g->n_slots, key_len);
	if (err) {
		explicit_bzero(out, GRPSEC_MSG_HDR_LEN + body_len);
		return err;
	}
	return built(out, GRPSEC_MSG_HDR_LEN + body_len, out_len);
}

int grpsec_msg_build_members(uint32_t group, uint8_t suite, const struct grpsec_ctl_member *m,
			     unsigned int n, uint8_t *out, size_t size, size_t *out_len)
{
	size_t key_len = grpsec_suite_key_len(suite), body_len = GRPSEC_CTL_MEMBERS_HDR_LEN;
	uint8_t *p = out + GRPSEC_MSG_HDR_LEN;
	int err;

	if (!m || !out_len || !key_len || n > UINT16_MAX)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (m[i].n_slots > GRPSEC_ENROLL_MAX_EPOCHS)
			return -EINVAL;
		body_len += GRPSEC_CTL_MEMBER_LEN(m[i].n_slots, key_len);
	}
	err = put_header(out, size, GRPSEC_MSG_MEMBERS, body_len);
	if (err)
		return err;
	put_be32(p, group);
	p[4] = suite;
	p[5] = 0;
	put_be16(p + 6, (uint16_t)n);
	p += GRPSEC_CTL_MEMBERS_HDR_LEN;
	for (unsigned int i = 0; i < n && !err; i++) {
		put_be32(p, m[i].member);
		p[4] = (uint8_t)m[i].n_slots;
		p[5] = p[6] = p[7] = 0;
		err = put_slots(p + GRPSEC_CTL_MEMBER_HDR_LEN, m[i].slots, m[i].n_slots, key_len);
		p += GRPSEC_CTL_MEMBER_LEN(m[i].n_slots, key_len);
	}
	if (err) {
		explicit_bzero(out, GRPSEC_MSG_HDR_LEN + body_len);
		return err;
	}
	return built(out, GRPSEC_MSG_HDR_LEN + body_len, out_len);
}

int grpsec_msg_build_member_del(uint32_t group, const uint32_t *ids, unsigned int n,
				uint8_t *out, size_t size, size_t *out_len)
{
	size_t body_len = GRPSEC_CTL_DEL_HDR_LEN + 4 * (size_t)n;
	int err;

	if (!ids || !out_len || n > GRPSEC_CTL_DEL_MAX)
		return -EINVAL;
	err = put_header(out, size, GRPSEC_MSG_MEMBER_DEL, body_len);
	if (err)
		return err;
	put_be32(out + 8, group);
	put_be16(out + 12, 0);
	put_be16(out + 14, (uint16_t)n);
	for (unsigned int i = 0; i < n; i++)
		put_be32(out + 16 + 4 * i, ids[i]);
	return built(out, GRPSEC_MSG_HDR_LEN + body_len, out_len);
}

int grpsec_msg_build_heard(uint32_t group, uint32_t epoch, const uint32_t *ids,
			   unsigned int n, uint8_t *out, size_t size, size_t *out_len)
{
	size_t body_len = GRPSEC_CTL_HEARD_HDR_LEN + 4 * (size_t)n;
	int err;

	if (!ids || !out_len || n > GRPSEC_CTL_HEARD_MAX)
		return -EINVAL;
	err = put_header(out, size, GRPSEC_MSG_HEARD, body_len);
	if (err)
		return err;
	put_be32(out + 8, group);
	put_be32(out + 12, epoch);
	put_be16(out + 16, 0);
	put_be16(out + 18, (uint16_t)n);
	for (unsigned int i = 0; i < n; i++)
		put_be32(out + 20 + 4 * i, ids[i]);
	return built(out, GRPSEC_MSG_HDR_LEN + body_len, out_len);
}

/* SYNC_DONE, MEMBER_QUERY and INSTALLED: a body of two be32. */
static int build_pair(unsigned int type, uint32_t a, uint32_t b, uint8_t *out, size_t size,
		      size_t *out_len)
{
	int err;

	if (!out_len)
		return -EINVAL;
	err = put_header(out, size, type, 8);
	if (err)
		return err;
	put_be32(out + 8, a);
	put_be32(out + 12, b);
	return built(out, GRPSEC_MSG_HDR_LEN + 8, out_len);
}

int grpsec_msg_build_sync_done(const struct grpsec_ctl_sync_done *s, uint8_t *out,
			       size_t size, size_t *out_len)
{
	if (!s)
		return -EINVAL;
	return build_pair(GRPSEC_MSG_SYNC_DONE, s->groups, s->members, out, size, out_len);
}

int grpsec_msg_build_query(const struct grpsec_ctl_query *q, uint8_t *out, size_t size,
			   size_t *out_len)
{
	if (!q)
		return -EINVAL;
	return build_pair(GRPSEC_MSG_MEMBER_QUERY, q->group, q->member, out, size, out_len);
}

int grpsec_msg_build_installed(const struct grpsec_ctl_installed *in, uint8_t *out,
			       size_t size, size_t *out_len)
{
	if (!in || !in->push)
		return -EINVAL;
	return build_pair(GRPSEC_MSG_INSTALLED, in->push, in->members, out, size, out_len);
}

int grpsec_msg_build_keepalive(uint8_t *out, size_t size, size_t *out_len)
{
	int err;

	if (!out_len)
		return -EINVAL;
	err = put_header(out, size, GRPSEC_MSG_KEEPALIVE, 0);
	if (err)
		return err;
	return built(out, GRPSEC_CTL_KEEPALIVE_LEN, out_len);
}
