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
	uint64_t last_seq;
	uint64_t seq_floor;
	struct grpsec_window batches;	/* batch sequences seen */
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
struct item {
	struct item *next;
	uint32_t a;
	uint32_t b;
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
	be->last_seq = cfg->batch_seq_floor;
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

void grpsec_backend_free(struct grpsec_backend *be)
{
	if (!be)
		return;
	table_free(&be->groups, group_free_v);
	table_free(&be->members, member_free_v);
	grpsec_aead_uninit(&be->up);
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
			       nonce + GRPSEC_NONCE_LEN, n, nonce + GRPSEC_NONCE_LEN + n,
			       be->plaintext);
	if (err)
		return err == -EBADMSG ? GRPSEC_ENTRY_BAD_TAG : GRPSEC_ENTRY_NOMEM;
	err = grpsec_nonce_cache_insert(&g->cache, nonce);
	if (err == -ENOSPC)
		return GRPSEC_ENTRY_CACHE_FULL;
	if (err)
		return GRPSEC_ENTRY_NOMEM;
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
	err = grpsec_aead_open(a, nonce, aad, GRPSEC_INNER_AAD_LEN, nonce + GRPSEC_NONCE_LEN,
			       n, nonce + GRPSEC_NONCE_LEN + n, be->plaintext);
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
	uint8_t nonce[GRPSEC_NONCE_LEN];
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
	if (b.seq <= be->seq_floor || !grpsec_window_check(&be->batches, b.seq)) {
		be->stats.batch_replay++;
		return -ESTALE;
	}
	be->stats.tag_checks++;
	grpsec_seq_nonce(nonce, GRPSEC_NONCE_PREFIX_BATCH, b.seq);
	err = grpsec_aead_open(&be->up, nonce, buf, len - GRPSEC_TAG_LEN, NULL, 0, b.tag, NULL);
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
