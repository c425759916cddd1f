// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Backend side: verify a gateway's batch with one tag check, then open each
 * entry end to end and drop inner replays.  Identified entries are opened
 * under K_e,m[e] derived for the member id the entry names, so an entry that
 * a gateway re-attributes to another member fails its tag.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Keys of one (group, epoch). */
struct be_group {
	struct be_group *next;
	uint32_t group;
	uint32_t epoch;
	bool dirty;			/* the nonce cache grew since grpsec_backend_mark_saved() */
	unsigned int mode;
	unsigned int suite;
	uint8_t secret[GRPSEC_SECRET_LEN];	/* identified: S_e2e[G,e] */
	struct grpsec_aead aead;		/* anonymous: K_G[e], decrypt */
	struct grpsec_nonce_cache cache;	/* anonymous */
};

/* Replay state and derived keys of one (group, member), across epochs. */
#define MEMBER_KEY_SLOTS 2
struct be_member {
	struct be_member *next;
	uint32_t group;
	uint32_t member;
	bool dirty;			/* the window moved since grpsec_backend_mark_saved() */
	struct grpsec_window window;
	struct {
		bool valid;
		uint32_t epoch;
		uint8_t key[GRPSEC_KEY_MAX_LEN];	/* K_e,m[epoch] */
	} keys[MEMBER_KEY_SLOTS];
	unsigned int next_slot;
};

struct table {
	void **buckets;
	size_t nbuckets;		/* power of two */
	size_t count;
};

struct grpsec_backend {
	uint32_t gateway;
	unsigned int suite;
	struct grpsec_aead up;		/* K_up, decrypt */
	struct grpsec_aead up_prev;	/* the previous K_up, while has_prev */
	bool has_prev;
	uint64_t last_seq;
	uint64_t seq_floor;
	struct grpsec_window batches;	/* batch sequences seen */
	bool state_loaded;		/* grpsec_backend_import() was called */
	uint64_t hk0, hk1;		/* hash key of the tables */
	struct table groups;		/* struct be_group */
	struct table members;		/* struct be_member */
	struct grpsec_aead scratch[4];	/* per suite, for K_e,m[e] */
	struct grpsec_backend_stats stats;
	uint8_t plaintext[GRPSEC_MAX_PAYLOAD];
};

#define TABLE_MIN_BUCKETS 64

static size_t bucket_of(const struct grpsec_backend *be, const struct table *t,
			uint32_t a, uint32_t b)
{
	uint8_t k[8];

	put_be32(k, a);
	put_be32(k + 4, b);
	return (size_t)grpsec_siphash(be->hk0, be->hk1, k, sizeof(k)) & (t->nbuckets - 1);
}

/* All table items start with their next pointer and two u32 keys. */
/* The head that struct be_group and struct be_member share. */
struct item {
	struct item *next;
	uint32_t a;
	uint32_t b;
	bool dirty;
};

_Static_assert(offsetof(struct be_group, next) == offsetof(struct item, next) &&
	       offsetof(struct be_group, group) == offsetof(struct item, a) &&
	       offsetof(struct be_group, epoch) == offsetof(struct item, b) &&
	       offsetof(struct be_member, group) == offsetof(struct item, a) &&
	       offsetof(struct be_member, member) == offsetof(struct item, b),
	       "table item layout");

static void *table_find(const struct grpsec_backend *be, const struct table *t,
			uint32_t a, uint32_t b)
{
	struct item *it;

	if (!t->nbuckets)
		return NULL;
	for (it = t->buckets[bucket_of(be, t, a, b)]; it; it = it->next) {
		if (it->a == a && it->b == b)
			return it;
	}
	return NULL;
}

static int table_grow(const struct grpsec_backend *be, struct table *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : TABLE_MIN_BUCKETS;
	struct table nt = { .nbuckets = n, .count = t->count };

	nt.buckets = calloc(n, sizeof(*nt.buckets));
	if (!nt.buckets)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct item *it = t->buckets[i], *next;

		for (; it; it = next) {
			size_t h = bucket_of(be, &nt, it->a, it->b);

			next = it->next;
			it->next = nt.buckets[h];
			nt.buckets[h] = it;
		}
	}
	free(t->buckets);
	*t = nt;
	return 0;
}

static int table_insert(const struct grpsec_backend *be, struct table *t, void *p)
{
	struct item *it = p;
	size_t h;
	int err;

	if (t->count >= t->nbuckets) {
		err = table_grow(be, t);
		if (err && !t->nbuckets)
			return err;
		/* A failed grow only makes the chains longer. */
	}
	h = bucket_of(be, t, it->a, it->b);
	it->next = t->buckets[h];
	t->buckets[h] = it;
	t->count++;
	return 0;
}

static void *table_remove(const struct grpsec_backend *be, struct table *t,
			  uint32_t a, uint32_t b)
{
	struct item **pp, *it;

	if (!t->nbuckets)
		return NULL;
	for (pp = (struct item **)&t->buckets[bucket_of(be, t, a, b)]; (it = *pp);
	     pp = &it->next) {
		if (it->a == a && it->b == b) {
			*pp = it->next;
			t->count--;
			return it;
		}
	}
	return NULL;
}

static void group_free(struct be_group *g)
{
	grpsec_aead_uninit(&g->aead);
	grpsec_nonce_cache_uninit(&g->cache);
	grpsec_wipe(g, sizeof(*g));
	free(g);
}

static void member_free(struct be_member *m)
{
	grpsec_wipe(m, sizeof(*m));
	free(m);
}

int grpsec_backend_new(const struct grpsec_backend_config *cfg, struct grpsec_backend **out)
{
	struct grpsec_backend *be;
	uint8_t k[16];
	int err;

	if (!cfg || !out || !cfg->upstream_key || !grpsec_suite_key_len(cfg->suite))
		return -EINVAL;
	be = calloc(1, sizeof(*be));
	if (!be)
		return -ENOMEM;
	be->gateway = cfg->gateway;
	be->suite = cfg->suite;
	/* A floor is the first sequence still new: the one below is the last. */
	be->last_seq = cfg->batch_seq_floor ? cfg->batch_seq_floor - 1 : 0;
	be->seq_floor = cfg->batch_seq_floor;
	err = grpsec_random(k, sizeof(k));
	if (err)
		goto out_free;
	memcpy(&be->hk0, k, 8);
	memcpy(&be->hk1, k + 8, 8);
	err = grpsec_aead_init(&be->up, cfg->suite, cfg->upstream_key, false);
	if (err)
		goto out_free;
	*out = be;
	return 0;

out_free:
	free(be);
	return err;
}

static void table_free(struct table *t, void (*fn)(void *))
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct item *it = t->buckets[i], *next;

		for (; it; it = next) {
			next = it->next;
			fn(it);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static void group_free_v(void *p)
{
	group_free(p);
}

static void member_free_v(void *p)
{
	member_free(p);
}

int grpsec_backend_set_upstream_key(struct grpsec_backend *be, unsigned int suite,
				    const uint8_t *key)
{
	struct grpsec_aead next;
	int err;

	if (!be || !key || suite != be->suite)
		return -EINVAL;
	err = grpsec_aead_init(&next, suite, key, false);
	if (err)
		return err;
	grpsec_backend_forget_previous_key(be);
	be->up_prev = be->up;
	be->has_prev = true;
	be->up = next;
	return 0;
}

void grpsec_backend_forget_previous_key(struct grpsec_backend *be)
{
	if (!be || !be->has_prev)
		return;
	grpsec_aead_uninit(&be->up_prev);
	grpsec_wipe(&be->up_prev, sizeof(be->up_prev));
	be->has_prev = false;
}

int grpsec_backend_has_previous_key(const struct grpsec_backend *be)
{
	return be && be->has_prev;
}

void grpsec_backend_free(struct grpsec_backend *be)
{
	if (!be)
		return;
	table_free(&be->groups, group_free_v);
	table_free(&be->members, member_free_v);
	grpsec_aead_uninit(&be->up);
	grpsec_backend_forget_previous_key(be);
	for (size_t i = 0; i < sizeof(be->scratch) / sizeof(be->scratch[0]); i++)
		grpsec_aead_uninit(&be->scratch[i]);
	grpsec_wipe(be, sizeof(*be));
	free(be);
}

int grpsec_backend_add_group(struct grpsec_backend *be, const struct grpsec_backend_group *g)
{
	struct be_group *bg;
	int err;

	if (!be || !g || !g->group || !g->key || !grpsec_mode_name(g->mode) ||
	    !grpsec_suite_key_len(g->suite))
		return -EINVAL;
	if (table_find(be, &be->groups, g->group, g->epoch))
		return -EEXIST;
	bg = calloc(1, sizeof(*bg));
	if (!bg)
		return -ENOMEM;
	bg->group = g->group;
	bg->epoch = g->epoch;
	bg->mode = g->mode;
	bg->suite = g->suite;
	if (g->mode == GRPSEC_MODE_IDENTIFIED) {
		memcpy(bg->secret, g->key, GRPSEC_SECRET_LEN);
	} else {
		err = grpsec_aead_init(&bg->aead, g->suite, g->key, false);
		if (err)
			goto out_free;
		err = grpsec_nonce_cache_init(&bg->cache, g->nonce_cache_max ?
					      g->nonce_cache_max : GRPSEC_NONCE_CACHE_DEFAULT);
		if (err)
			goto out_free;
	}
	err = table_insert(be, &be->groups, bg);
	if (err)
		goto out_free;
	return 0;

out_free:
	group_free(bg);
	return err;
}

int grpsec_backend_del_group(struct grpsec_backend *be, uint32_t group, uint32_t epoch)
{
	struct be_group *g;

	if (!be)
		return -EINVAL;
	g = table_remove(be, &be->groups, group, epoch);
	if (!g)
		return -ENOENT;
	group_free(g);
	return 0;
}

void grpsec_backend_get_stats(const struct grpsec_backend *be, struct grpsec_backend_stats *st)
{
	if (be && st)
		*st = be->stats;
}

uint64_t grpsec_backend_last_seq(const struct grpsec_backend *be)
{
	return be ? be->last_seq : 0;
}

static enum grpsec_entry_status open_anonymous(struct grpsec_backend *be, struct be_group *g,
					       const struct grpsec_batch_entry *e,
					       const uint8_t *aad, size_t n)
{
	const uint8_t *nonce = e->inner;
	int err;

	if (e->member)
		return GRPSEC_ENTRY_ANON_MEMBER_ID;
	if (grpsec_nonce_cache_contains(&g->cache, nonce))
		return GRPSEC_ENTRY_REPLAY;
	be->stats.inner_opens++;
	err = grpsec_aead_open(&g->aead, nonce, aad, GRPSEC_INNER_AAD_LEN,
			       nonce + GRPSEC_INNER_CT_OFFSET, n, nonce + GRPSEC_INNER_TAG_OFFSET,
			       be->plaintext);
	if (err)
		return err == -EBADMSG ? GRPSEC_ENTRY_BAD_TAG : GRPSEC_ENTRY_NOMEM;
	err = grpsec_nonce_cache_insert(&g->cache, nonce);
	if (err == -ENOSPC)
		return GRPSEC_ENTRY_CACHE_FULL;
	if (err)
		return GRPSEC_ENTRY_NOMEM;
	g->dirty = true;
	return GRPSEC_ENTRY_OK;
}

static struct be_member *member_new(struct grpsec_backend *be, uint32_t group,
				    uint32_t member)
{
	struct be_member *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->group = group;
	m->member = member;
	if (table_insert(be, &be->members, m)) {
		free(m);
		return NULL;
	}
	return m;
}

static const uint8_t *cached_key(const struct be_member *m, uint32_t epoch)
{
	if (!m)
		return NULL;
	for (unsigned int i = 0; i < MEMBER_KEY_SLOTS; i++) {
		if (m->keys[i].valid && m->keys[i].epoch == epoch)
			return m->keys[i].key;
	}
	return NULL;
}

static enum grpsec_entry_status open_identified(struct grpsec_backend *be, struct be_group *g,
						const struct grpsec_batch_entry *e,
						const uint8_t *aad, size_t n, uint64_t *seq_out)
{
	const uint8_t *nonce = e->inner;
	struct be_member *m;
	struct grpsec_aead *a;
	uint8_t key[GRPSEC_KEY_MAX_LEN];
	size_t klen = grpsec_suite_key_len(g->suite);
	const uint8_t *k;
	uint64_t seq;
	bool derived = false;
	int err;

	if (!e->member || get_be32(nonce) != GRPSEC_NONCE_PREFIX_UPLINK)
		return GRPSEC_ENTRY_MALFORMED;
	seq = get_be64(nonce + 4);
	if (!seq)
		return GRPSEC_ENTRY_MALFORMED;
	*seq_out = seq;
	m = table_find(be, &be->members, e->group, e->member);
	if (m && !grpsec_window_check(&m->window, seq))
		return GRPSEC_ENTRY_REPLAY;

	k = cached_key(m, e->epoch);
	if (!k) {
		be->stats.key_derivations++;
		if (grpsec_kdf_e2e_key(g->suite, g->secret, e->group, e->epoch, e->member,
				       key, klen))
			return GRPSEC_ENTRY_NOMEM;
		k = key;
		derived = true;
	}
	a = &be->scratch[g->suite];
	if (!a->ctx)
		err = grpsec_aead_init(a, g->suite, k, false);
	else
		err = grpsec_aead_set_key(a, k);
	if (err) {
		grpsec_wipe(key, sizeof(key));
		return GRPSEC_ENTRY_NOMEM;
	}
	be->stats.inner_opens++;
	err = grpsec_aead_open(a, nonce, aad, GRPSEC_INNER_AAD_LEN, nonce + GRPSEC_INNER_CT_OFFSET,
			       n, nonce + GRPSEC_INNER_TAG_OFFSET, be->plaintext);
	if (err) {
		grpsec_wipe(key, sizeof(key));
		return err == -EBADMSG ? GRPSEC_ENTRY_BAD_TAG : GRPSEC_ENTRY_NOMEM;
	}

	if (!m) {
		m = member_new(be, e->group, e->member);
		if (!m) {
			grpsec_wipe(key, sizeof(key));
			return GRPSEC_ENTRY_NOMEM;
		}
	}
	if (derived) {
		unsigned int s = m->next_slot;

		m->keys[s].valid = true;
		m->keys[s].epoch = e->epoch;
		memcpy(m->keys[s].key, key, klen);
		m->next_slot = (s + 1) % MEMBER_KEY_SLOTS;
		grpsec_wipe(key, sizeof(key));
	}
	grpsec_window_update(&m->window, seq);
	m->dirty = true;
	return GRPSEC_ENTRY_OK;
}

static enum grpsec_entry_status open_entry(struct grpsec_backend *be,
					   const struct grpsec_batch_entry *e, uint64_t *seq)
{
	uint8_t aad[GRPSEC_INNER_AAD_LEN];
	struct be_group *g;
	size_t n = e->inner_len - GRPSEC_INNER_OVERHEAD;

	if (!grpsec_mode_name(e->mode) || !grpsec_suite_key_len(e->suite))
		return GRPSEC_ENTRY_MALFORMED;
	g = table_find(be, &be->groups, e->group, e->epoch);
	if (!g)
		return GRPSEC_ENTRY_UNKNOWN_GROUP;
	if (g->mode != e->mode || g->suite != e->suite)
		return GRPSEC_ENTRY_MODE_MISMATCH;
	grpsec_inner_aad(aad, GRPSEC_DIR_UPLINK, e->suite, e->mode, e->group, e->epoch,
			 e->mode == GRPSEC_MODE_IDENTIFIED ? e->member : 0);
	if (e->mode == GRPSEC_MODE_ANONYMOUS)
		return open_anonymous(be, g, e, aad, n);
	return open_identified(be, g, e, aad, n, seq);
}

int grpsec_backend_open_batch(struct grpsec_backend *be, const uint8_t *buf, size_t len,
			      struct grpsec_batch_info *info, grpsec_entry_fn fn, void *arg)
{
	uint8_t tag[GRPSEC_TAG_LEN];
	struct grpsec_batch b;
	struct grpsec_batch_entry e;
	size_t off = 0;
	unsigned int index = 0;
	int err;

	if (!be)
		return -EINVAL;
	be->stats.batches++;
	err = grpsec_batch_parse(buf, len, &b);
	if (err) {
		be->stats.batch_malformed++;
		return err;
	}
	if (info) {
		info->gateway = b.gateway;
		info->seq = b.seq;
		info->count = b.count;
	}
	if (b.gateway != be->gateway || b.suite != be->suite) {
		be->stats.batch_bad_gateway++;
		return -EPROTO;
	}
	/*
	 * Stale batches are refused before any crypto is spent on them.  A
	 * gateway sends from whichever CPU verified the frames, so batches
	 * may arrive out of order: a window, not a high-water mark.
	 */
	if (b.seq < be->seq_floor || !grpsec_window_check(&be->batches, b.seq)) {
		be->stats.batch_replay++;
		return -ESTALE;
	}
	be->stats.tag_checks++;
	memcpy(tag, b.tag, sizeof(tag));
	err = grpsec_batch_tag(&be->up, b.seq, buf, len - GRPSEC_TAG_LEN, tag);
	if (err && be->has_prev) {
		/* Sealed before the gateway had the new key: in flight. */
		be->stats.tag_checks++;
		err = grpsec_batch_tag(&be->up_prev, b.seq, buf, len - GRPSEC_TAG_LEN, tag);
		if (!err)
			be->stats.batches_previous_key++;
	} else if (!err && be->has_prev) {
		/* The gateway seals under the new key: the old one is done. */
		grpsec_backend_forget_previous_key(be);
	}
	if (err) {
		be->stats.batch_bad_tag++;
		return err;
	}
	grpsec_window_update(&be->batches, b.seq);
	if (b.seq > be->last_seq)
		be->last_seq = b.seq;
	be->stats.batches_ok++;

	while ((err = grpsec_batch_entry_next(&b, &off, &e)) > 0) {
		struct grpsec_entry out = {
			.index = index++,
			.mode = e.mode,
			.suite = e.suite,
			.group = e.group,
			.epoch = e.epoch,
			.member = e.member,
		};

		out.status = open_entry(be, &e, &out.seq);
		if (out.status == GRPSEC_ENTRY_OK) {
			out.payload = be->plaintext;
			out.payload_len = e.inner_len - GRPSEC_INNER_OVERHEAD;
		}
		be->stats.entries++;
		be->stats.entry[out.status]++;
		if (fn) {
			err = fn(arg, &out);
			if (err < 0)
				break;
		}
	}
	grpsec_wipe(be->plaintext, sizeof(be->plaintext));
	return err < 0 ? err : 0;
}

/*
 * Saved replay state (frames.rst, "Saved backend state"): the batch
 * window, every identified member's window and every anonymous nonce
 * cache, in a fixed big-endian layout, records sorted so that the same
 * state always gives the same bytes and a reader can refuse duplicates by
 * order alone.  No key is part of it.
 */
#define STATE_MAGIC		"GSBS"
#define STATE_VERSION		1
#define STATE_HDR_LEN		(24 + GRPSEC_WINDOW_SAVED_LEN + 8)
#define STATE_MEMBER_LEN	(8 + GRPSEC_WINDOW_SAVED_LEN)
#define STATE_CACHE_HDR_LEN	16

static int cmp_item(const void *pa, const void *pb)
{
	const struct item *a = *(const struct item *const *)pa;
	const struct item *b = *(const struct item *const *)pb;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

static int cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, GRPSEC_NONCE_LEN);
}

/* The items of @t sorted by their keys, and how many (anonymous groups only: @anon). */
static struct item **table_sorted(const struct table *t, bool anon, bool changed, size_t *n)
{
	struct item **v = malloc((t->count ? t->count : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < t->nbuckets; i++) {
		for (struct item *it = t->buckets[i]; it; it = it->next) {
			if (changed && !it->dirty)
				continue;
			if (!anon || ((struct be_group *)it)->mode == GRPSEC_MODE_ANONYMOUS)
				v[(*n)++] = it;
		}
	}
	qsort(v, *n, sizeof(*v), cmp_item);
	return v;
}

/* The whole state, or (@changed) what moved since grpsec_backend_mark_saved(). */
static int export_state(const struct grpsec_backend *be, bool changed, uint8_t **buf,
			size_t *len)
{
	struct item **members = NULL, **groups = NULL;
	size_t nm, ng, total, off;
	uint8_t *p;
	int err = -ENOMEM;

	if (!be || !buf || !len)
		return -EINVAL;
	members = table_sorted(&be->members, false, changed, &nm);
	groups = table_sorted(&be->groups, true, changed, &ng);
	if (!members || !groups)
		goto out;
	total = STATE_HDR_LEN + nm * STATE_MEMBER_LEN;
	for (size_t i = 0; i < ng; i++)
		total += STATE_CACHE_HDR_LEN + GRPSEC_NONCE_LEN *
			 grpsec_nonce_cache_count(&((struct be_group *)groups[i])->cache);
	p = calloc(1, total);
	if (!p)
		goto out;
	memcpy(p, STATE_MAGIC, 4);
	put_be16(p + 4, STATE_VERSION);
	put_be32(p + 8, be->gateway);
	p[12] = (uint8_t)be->suite;
	put_be64(p + 16, be->seq_floor);
	grpsec_window_save(&be->batches, p + 24);
	off = 24 + GRPSEC_WINDOW_SAVED_LEN;
	put_be32(p + off, (uint32_t)nm);
	put_be32(p + off + 4, (uint32_t)ng);
	off = STATE_HDR_LEN;
	for (size_t i = 0; i < nm; i++, off += STATE_MEMBER_LEN) {
		const struct be_member *m = (const struct be_member *)members[i];

		put_be32(p + off, m->group);
		put_be32(p + off + 4, m->member);
		grpsec_window_save(&m->window, p + off + 8);
	}
	for (size_t i = 0; i < ng; i++) {
		const struct be_group *g = (const struct be_group *)groups[i];
		size_t n = grpsec_nonce_cache_dump(&g->cache, p + off + STATE_CACHE_HDR_LEN);

		put_be32(p + off, g->group);
		put_be32(p + off + 4, g->epoch);
		put_be32(p + off + 8, (uint32_t)n);
		off += STATE_CACHE_HDR_LEN;
		qsort(p + off, n, GRPSEC_NONCE_LEN, cmp_nonce);
		off += n * GRPSEC_NONCE_LEN;
	}
	*buf = p;
	*len = total;
	err = 0;
out:
	free(members);
	free(groups);
	return err;
}

int grpsec_backend_export(const struct grpsec_backend *be, uint8_t **buf, size_t *len)
{
	return export_state(be, false, buf, len);
}

int grpsec_backend_export_changed(const struct grpsec_backend *be, uint8_t **buf, size_t *len)
{
	return export_state(be, true, buf, len);
}

void grpsec_backend_mark_saved(struct grpsec_backend *be)
{
	const struct table *ts[] = { &be->members, &be->groups };

	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < ts[t]->nbuckets; i++)
			for (struct item *it = ts[t]->buckets[i]; it; it = it->next)
				it->dirty = false;
}

/* True if the 8-byte keys at @a and @b are in strictly increasing order. */
static bool keys_ascending(const uint8_t *a, const uint8_t *b)
{
	return get_be32(a) < get_be32(b) ||
	       (get_be32(a) == get_be32(b) && get_be32(a + 4) < get_be32(b + 4));
}

/* Everything but the memory: what import would refuse, it refuses here. */
static int state_check(const struct grpsec_backend *be, const uint8_t *p, size_t len,
		       uint32_t *nm, uint32_t *nc)
{
	struct grpsec_window w;
	size_t off;

	if (len < STATE_HDR_LEN)
		return -EMSGSIZE;
	if (memcmp(p, STATE_MAGIC, 4) || get_be16(p + 4) != STATE_VERSION)
		return -EPROTONOSUPPORT;
	if (get_be16(p + 6) || p[13] || p[14] || p[15] || grpsec_window_load(&w, p + 24))
		return -EPROTO;
	if (get_be32(p + 8) != be->gateway || p[12] != be->suite)
		return -EINVAL;
	off = 24 + GRPSEC_WINDOW_SAVED_LEN;
	*nm = get_be32(p + off);
	*nc = get_be32(p + off + 4);
	off = STATE_HDR_LEN;
	if ((len - off) / STATE_MEMBER_LEN < *nm)
		return -EMSGSIZE;
	for (uint32_t i = 0; i < *nm; i++, off += STATE_MEMBER_LEN) {
		const uint8_t *r = p + off;

		if (!get_be32(r) || !get_be32(r + 4) || grpsec_window_load(&w, r + 8) ||
		    (i && !keys_ascending(r - STATE_MEMBER_LEN, r)))
			return -EPROTO;
	}
	for (size_t i = 0, prev = 0; i < *nc; i++) {
		const uint8_t *r = p + off;
		const struct be_group *g;
		size_t n;

		if (len - off < STATE_CACHE_HDR_LEN)
			return -EMSGSIZE;
		n = get_be32(r + 8);
		if (get_be32(r + 12) || (i && !keys_ascending(p + prev, r)))
			return -EPROTO;
		if ((len - off - STATE_CACHE_HDR_LEN) / GRPSEC_NONCE_LEN < n)
			return -EMSGSIZE;
		g = table_find(be, &be->groups, get_be32(r), get_be32(r + 4));
		if (!g || g->mode != GRPSEC_MODE_ANONYMOUS)
			return -ENOENT;
		if (n > g->cache.max)
			return -ENOSPC;
		for (size_t j = 1; j < n; j++) {
			const uint8_t *nonce = r + STATE_CACHE_HDR_LEN + j * GRPSEC_NONCE_LEN;

			if (cmp_nonce(nonce - GRPSEC_NONCE_LEN, nonce) >= 0)
				return -EPROTO;
		}
		prev = off;
		off += STATE_CACHE_HDR_LEN + n * GRPSEC_NONCE_LEN;
	}
	return off == len ? 0 : -EMSGSIZE;
}

/* The @nc cache records of a checked state from @off: each nonce once in its cache. */
static int import_caches(struct grpsec_backend *be, const uint8_t *buf, size_t off,
			 uint32_t nc)
{
	int err;

	for (uint32_t i = 0; i < nc; i++) {
		struct be_group *g = table_find(be, &be->groups, get_be32(buf + off),
						get_be32(buf + off + 4));
		size_t n = get_be32(buf + off + 8);

		off += STATE_CACHE_HDR_LEN;
		for (size_t j = 0; j < n; j++, off += GRPSEC_NONCE_LEN) {
			if (grpsec_nonce_cache_contains(&g->cache, buf + off))
				continue;
			err = grpsec_nonce_cache_insert(&g->cache, buf + off);
			if (err)
				return err;
		}
	}
	return 0;
}

/* @dst accepts every sequence @src accepted (that it would still decide). */
static void window_merge(struct grpsec_window *dst, const struct grpsec_window *src)
{
	for (uint64_t i = 0; i <= GRPSEC_REPLAY_WINDOW && i < src->top; i++) {
		uint64_t seq = src->top - i;

		if (!grpsec_window_check(src, seq) && grpsec_window_check(dst, seq))
			grpsec_window_update(dst, seq);
	}
}

int grpsec_backend_import_changed(struct grpsec_backend *be, const uint8_t *buf, size_t len)
{
	struct grpsec_window w;
	uint32_t nm, nc;
	size_t off;
	int err;

	if (!be || !buf)
		return -EINVAL;
	if (be->stats.batches || !be->state_loaded)
		return -EBUSY;
	err = state_check(be, buf, len, &nm, &nc);
	if (err)
		return err;
	if (get_be64(buf + 16) > be->seq_floor)
		be->seq_floor = get_be64(buf + 16);
	grpsec_window_load(&w, buf + 24);
	window_merge(&be->batches, &w);
	be->last_seq = be->batches.top >= be->seq_floor ? be->batches.top :
		       be->seq_floor - 1;
	off = STATE_HDR_LEN;
	for (uint32_t i = 0; i < nm; i++, off += STATE_MEMBER_LEN) {
		uint32_t group = get_be32(buf + off), member = get_be32(buf + off + 4);
		struct be_member *m = table_find(be, &be->members, group, member);

		if (!m)
			m = member_new(be, group, member);
		if (!m)
			return -ENOMEM;
		grpsec_window_load(&w, buf + off + 8);
		window_merge(&m->window, &w);
	}
	return import_caches(be, buf, off, nc);
}

int grpsec_backend_import(struct grpsec_backend *be, const uint8_t *buf, size_t len)
{
	uint32_t nm, nc;
	size_t off;
	int err;

	if (!be || !buf)
		return -EINVAL;
	if (be->stats.batches || be->state_loaded)
		return -EBUSY;
	err = state_check(be, buf, len, &nm, &nc);
	if (err)
		return err;
	if (get_be64(buf + 16) > be->seq_floor)
		be->seq_floor = get_be64(buf + 16);
	be->state_loaded = true;
	grpsec_window_load(&be->batches, buf + 24);
	be->last_seq = be->batches.top >= be->seq_floor ? be->batches.top :
		       be->seq_floor - 1;
	off = STATE_HDR_LEN;
	for (uint32_t i = 0; i < nm; i++, off += STATE_MEMBER_LEN) {
		struct be_member *m = member_new(be, get_be32(buf + off), get_be32(buf + off + 4));

		if (!m)
			return -ENOMEM;
		grpsec_window_load(&m->window, buf + off + 8);
	}
	return import_caches(be, buf, off, nc);
}
