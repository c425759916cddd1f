// SPDX-License-Identifier: GPL-2.0
/*
 * The gateway's wanted state (gwstate.h): groups in an array sorted by
 * id (a gateway serves a few), members in a chained hash table keyed on
 * (group, id) that doubles when it is full, so put, find and del are O(1)
 * for 100,000 members and more.  A member lives in a node of its own, so
 * the pointer gwstate_member_find() returns stays valid until that
 * member is put again or deleted.
 *
 * Every key is wiped (OPENSSL_cleanse) before its memory is freed or
 * reused: a member deleted or replaced, a group deleted or replaced, the
 * upstream dropped, the whole state cleared or freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "gwstate.h"

struct member_node {
	struct member_node *next;
	struct gw_member m;
};

struct gw_member_table {
	struct member_node **buckets;
	size_t nbuckets;		/* a power of two */
};

#define TABLE_MIN_BUCKETS	64

static size_t member_hash(uint32_t group, uint32_t id)
{
	uint64_t h = ((uint64_t)group << 32 | id) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 29));
}

static struct member_node **bucket_of(const struct gw_member_table *t,
				      uint32_t group, uint32_t id)
{
	return &t->buckets[member_hash(group, id) & (t->nbuckets - 1)];
}

static void node_free(struct member_node *n)
{
	OPENSSL_cleanse(&n->m, sizeof(n->m));
	free(n);
}

static void key_wipe(struct gw_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static struct gw_member_table *table_new(size_t nbuckets)
{
	struct gw_member_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->buckets = calloc(nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	t->nbuckets = nbuckets;
	return t;
}

static void table_empty(struct gw_member_table *t)
{
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct member_node *n = t->buckets[b], *next;

		for (; n; n = next) {
			next = n->next;
			node_free(n);
		}
		t->buckets[b] = NULL;
	}
}

/* Twice the buckets; on failure the table stays as it was (just slower). */
static void table_grow(struct gw_member_table *t)
{
	struct gw_member_table bigger = { .nbuckets = t->nbuckets * 2 };

	bigger.buckets = calloc(bigger.nbuckets, sizeof(*bigger.buckets));
	if (!bigger.buckets)
		return;
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct member_node *n = t->buckets[b], *next;

		for (; n; n = next) {
			struct member_node **head;

			next = n->next;
			head = bucket_of(&bigger, n->m.group, n->m.id);
			n->next = *head;
			*head = n;
		}
	}
	free(t->buckets);
	*t = bigger;
}

struct gwstate *gwstate_new(void)
{
	struct gwstate *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->members = table_new(TABLE_MIN_BUCKETS);
	if (!s->members) {
		free(s);
		return NULL;
	}
	return s;
}

static void groups_free(struct gwstate *s)
{
	if (s->groups)
		OPENSSL_cleanse(s->groups, s->ngroups * sizeof(*s->groups));
	free(s->groups);
	s->groups = NULL;
	s->ngroups = 0;
}

void gwstate_clear(struct gwstate *s)
{
	table_empty(s->members);
	s->nmembers = 0;
	groups_free(s);
	OPENSSL_cleanse(&s->upstream, sizeof(s->upstream));
	s->listen_port = 0;
	s->gateway_seq_floor = 0;
	s->generation++;
}

void gwstate_free(struct gwstate *s)
{
	if (!s)
		return;
	gwstate_clear(s);
	free(s->members->buckets);
	free(s->members);
	free(s);
}

void gwstate_set_upstream(struct gwstate *s, const struct gw_upstream *u)
{
	OPENSSL_cleanse(&s->upstream, sizeof(s->upstream));
	if (u) {
		s->upstream = *u;
		s->upstream.set = true;
	}
	s->generation++;
}

void gwstate_set_listen(struct gwstate *s, uint16_t port,
			uint64_t gateway_seq_floor)
{
	s->listen_port = port;
	s->gateway_seq_floor = gateway_seq_floor;
	s->generation++;
}

/* The index of group @id, or where it would go (*found false). */
static size_t group_index(const struct gwstate *s, uint32_t id, bool *found)
{
	size_t lo = 0, hi = s->ngroups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->groups[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->ngroups && s->groups[lo].id == id;
	return lo;
}

struct gw_group *gwstate_group_find(const struct gwstate *s, uint32_t id)
{
	bool found;
	size_t i = group_index(s, id, &found);

	return found ? &s->groups[i] : NULL;
}

int gwstate_group_put(struct gwstate *s, const struct gw_group *g)
{
	bool found;
	size_t i = group_index(s, g->id, &found);
	struct gw_group *groups;

	if (found) {
		key_wipe(&s->groups[i].cur);
		key_wipe(&s->groups[i].next);
		s->groups[i] = *g;
		s->generation++;
		return 0;
	}
	/*
	 * A fresh array rather than realloc(): realloc() may free the old
	 * one, with its group keys, without wiping it.
	 */
	groups = malloc((s->ngroups + 1) * sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	if (i)
		memcpy(groups, s->groups, i * sizeof(*groups));
	groups[i] = *g;
	if (s->ngroups > i)
		memcpy(groups + i + 1, s->groups + i,
		       (s->ngroups - i) * sizeof(*groups));
	if (s->groups)
		OPENSSL_cleanse(s->groups, s->ngroups * sizeof(*s->groups));
	free(s->groups);
	s->groups = groups;
	s->ngroups++;
	s->generation++;
	return 0;
}

int gwstate_group_del(struct gwstate *s, uint32_t id)
{
	struct gw_member_table *t = s->members;
	bool found;
	size_t i = group_index(s, id, &found);

	if (!found)
		return -ENOENT;
	for (size_t b = 0; b < t->nbuckets; b++) {
		struct member_node **pp = &t->buckets[b];

		while (*pp) {
			struct member_node *n = *pp;

			if (n->m.group == id) {
				*pp = n->next;
				node_free(n);
				s->nmembers--;
			} else {
				pp = &n->next;
			}
		}
	}
	key_wipe(&s->groups[i].cur);
	key_wipe(&s->groups[i].next);
	memmove(s->groups + i, s->groups + i + 1,
		(s->ngroups - i - 1) * sizeof(*s->groups));
	s->ngroups--;
	/* The copy of the last group left behind by the move. */
	OPENSSL_cleanse(&s->groups[s->ngroups], sizeof(*s->groups));
	s->generation++;
	return 0;
}

static struct member_node **member_slot(const struct gwstate *s,
					uint32_t group, uint32_t id)
{
	struct member_node **pp = bucket_of(s->members, group, id);

	while (*pp && ((*pp)->m.group != group || (*pp)->m.id != id))
		pp = &(*pp)->next;
	return pp;
}

struct gw_member *gwstate_member_find(const struct gwstate *s, uint32_t group,
				      uint32_t id)
{
	struct member_node *n = *member_slot(s, group, id);

	return n ? &n->m : NULL;
}

int gwstate_member_put(struct gwstate *s, const struct gw_member *m)
{
	struct member_node **pp, *n;

	if (!gwstate_group_find(s, m->group))
		return -ENOENT;
	pp = member_slot(s, m->group, m->id);
	if (*pp) {
		OPENSSL_cleanse(&(*pp)->m, sizeof((*pp)->m));
		(*pp)->m = *m;
		s->generation++;
		return 0;
	}
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->m = *m;
	n->next = NULL;
	*pp = n;
	s->nmembers++;
	s->generation++;
	if (s->nmembers > s->members->nbuckets)
		table_grow(s->members);
	return 0;
}

int gwstate_member_del(struct gwstate *s, uint32_t group, uint32_t id)
{
	struct member_node **pp = member_slot(s, group, id), *n = *pp;

	if (!n)
		return -ENOENT;
	*pp = n->next;
	node_free(n);
	s->nmembers--;
	s->generation++;
	return 0;
}

int gwstate_member_each(const struct gwstate *s, uint32_t group,
			int (*fn)(const struct gw_member *m, void *arg), void *arg)
{
	const struct gw_member_table *t = s->members;

	for (size_t b = 0; b < t->nbuckets; b++) {
		for (const struct member_node *n = t->buckets[b]; n; n = n->next) {
			int ret;

			if (group && n->m.group != group)
				continue;
			ret = fn(&n->m, arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int member_has_next(const struct gw_member *m, void *arg)
{
	(void)arg;
	return m->next.set;
}

bool gwstate_rekeying(const struct gwstate *s, uint32_t group)
{
	return gwstate_member_each(s, group, member_has_next, NULL);
}
