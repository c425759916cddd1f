// SPDX-License-Identifier: GPL-2.0
/*
 * gwstate.c: groups kept in id order, replaced in place with their
 * members kept; members put, found, replaced and deleted by (group, id),
 * none without its group, all of a group gone with it; the walk sees each
 * member once, per group or all; every change bumps the generation; the
 * upstream's key is gone once it is dropped; 100,000 members across a
 * few groups in well under a second (the table grows as it fills).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../gwstate.h"
#include "check.h"

static struct gw_member member(uint32_t group, uint32_t id, uint32_t epoch)
{
	struct gw_member m = { .group = group, .id = id };

	m.cur.set = true;
	m.cur.epoch = epoch;
	memset(m.cur.key, (int)(id & 0xff), sizeof(m.cur.key));
	return m;
}

static void test_groups(void)
{
	struct gwstate *s = gwstate_new();
	struct gw_group g = { .suite = GRPSEC_SUITE_AES_128_GCM };
	uint32_t ids[] = { 30, 10, 20, 5 };
	uint64_t gen;

	CHECK(s && s->ngroups == 0 && s->nmembers == 0, "a new state is empty");
	for (size_t i = 0; i < 4; i++) {
		g.id = ids[i];
		CHECK(!gwstate_group_put(s, &g), "put group %u", ids[i]);
	}
	CHECK(s->ngroups == 4 && s->groups[0].id == 5 && s->groups[1].id == 10 &&
	      s->groups[2].id == 20 && s->groups[3].id == 30,
	      "groups in id order: %zu groups", s->ngroups);
	CHECK(gwstate_group_find(s, 20) && !gwstate_group_find(s, 21),
	      "find 20, not 21");

	gen = s->generation;
	g.id = 20;
	g.msg_limit = 1000;
	CHECK(!gwstate_group_put(s, &g) && s->ngroups == 4 &&
	      gwstate_group_find(s, 20)->msg_limit == 1000 &&
	      s->generation > gen, "group 20 replaced in place");

	CHECK(gwstate_group_del(s, 10) == 0 && s->ngroups == 3 &&
	      !gwstate_group_find(s, 10) && s->groups[1].id == 20,
	      "group 10 deleted, the rest in order");
	CHECK(gwstate_group_del(s, 10) == -ENOENT, "a second delete: -ENOENT");
	gwstate_free(s);
	gwstate_free(NULL);
}

static int count_fn(const struct gw_member *m, void *arg)
{
	size_t *n = arg;

	(void)m;
	(*n)++;
	return 0;
}

static int stop_fn(const struct gw_member *m, void *arg)
{
	(void)m;
	(void)arg;
	return 42;
}

static void test_members(void)
{
	struct gwstate *s = gwstate_new();
	struct gw_group g = { .id = 1 };
	struct gw_member m;
	struct gw_member *f;
	uint64_t gen;
	size_t n;

	m = member(1, 7, 3);
	CHECK(gwstate_member_put(s, &m) == -ENOENT && s->nmembers == 0,
	      "a member without its group is refused");
	CHECK(!gwstate_group_put(s, &g), "group 1");
	g.id = 2;
	CHECK(!gwstate_group_put(s, &g), "group 2");

	gen = s->generation;
	CHECK(!gwstate_member_put(s, &m) && s->nmembers == 1 && s->generation > gen,
	      "member 1/7 put");
	m = member(2, 7, 9);
	CHECK(!gwstate_member_put(s, &m) && s->nmembers == 2, "member 2/7 put");
	f = gwstate_member_find(s, 1, 7);
	CHECK(f && f->cur.epoch == 3 && f->group == 1, "1/7 is its own");
	f = gwstate_member_find(s, 2, 7);
	CHECK(f && f->cur.epoch == 9, "2/7 is its own");
	CHECK(!gwstate_member_find(s, 1, 8) && !gwstate_member_find(s, 3, 7),
	      "absent members are not found");

	m = member(1, 7, 4);
	m.next.set = true;
	m.next.epoch = 5;
	gen = s->generation;
	CHECK(!gwstate_member_put(s, &m) && s->nmembers == 2 && s->generation > gen,
	      "1/7 replaced, not added");
	f = gwstate_member_find(s, 1, 7);
	CHECK(f && f->cur.epoch == 4 && f->next.set && f->next.epoch == 5,
	      "1/7 holds the new slots");

	n = 0;
	gwstate_member_each(s, 0, count_fn, &n);
	CHECK(n == 2, "the walk of all groups sees %zu members", n);
	n = 0;
	gwstate_member_each(s, 2, count_fn, &n);
	CHECK(n == 1, "the walk of group 2 sees %zu members", n);
	CHECK(gwstate_member_each(s, 0, stop_fn, NULL) == 42,
	      "the walk stops with the callback's value");

	gen = s->generation;
	CHECK(!gwstate_member_del(s, 1, 7) && s->nmembers == 1 &&
	      !gwstate_member_find(s, 1, 7) && s->generation > gen, "1/7 deleted");
	CHECK(gwstate_member_del(s, 1, 7) == -ENOENT, "again: -ENOENT");

	/* A group that goes takes its members. */
	CHECK(!gwstate_group_del(s, 2) && s->nmembers == 0 &&
	      !gwstate_member_find(s, 2, 7), "group 2 took 2/7 with it");
	gwstate_free(s);
}

static void test_upstream_listen(void)
{
	struct gwstate *s = gwstate_new();
	struct gw_upstream u = { .gateway = 9, .suite = GRPSEC_SUITE_AES_256_GCM };
	static const uint8_t zero[GRPSEC_KEY_MAX_LEN];
	uint64_t gen = s->generation;

	memset(u.key, 0xa5, sizeof(u.key));
	gwstate_set_upstream(s, &u);
	CHECK(s->upstream.set && s->upstream.gateway == 9 &&
	      s->upstream.key[0] == 0xa5 && s->generation > gen, "upstream set");
	gen = s->generation;
	gwstate_set_upstream(s, NULL);
	CHECK(!s->upstream.set && !memcmp(s->upstream.key, zero, sizeof(zero)) &&
	      s->generation > gen, "upstream dropped, its key wiped");
	gen = s->generation;
	gwstate_set_listen(s, 7000, 1234);
	CHECK(s->listen_port == 7000 && s->gateway_seq_floor == 1234 &&
	      s->generation > gen, "listen set");

	gwstate_set_upstream(s, &u);
	gen = s->generation;
	gwstate_clear(s);
	CHECK(!s->upstream.set && !memcmp(s->upstream.key, zero, sizeof(zero)) &&
	      s->listen_port == 0 && s->ngroups == 0 && s->generation > gen,
	      "clear: empty, the upstream key wiped");
	gwstate_free(s);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_many(void)
{
	enum { GROUPS = 4, PER_GROUP = 25000 };
	struct gwstate *s = gwstate_new();
	struct gw_group g = { 0 };
	size_t found = 0, n = 0;
	double t0 = now(), dt;
	int bad = 0;

	for (uint32_t gi = 1; gi <= GROUPS; gi++) {
		g.id = gi;
		gwstate_group_put(s, &g);
	}
	for (uint32_t gi = 1; gi <= GROUPS; gi++)
		for (uint32_t id = 1; id <= PER_GROUP; id++) {
			struct gw_member m = member(gi, id, gi);

			bad += gwstate_member_put(s, &m) != 0;
		}
	CHECK(!bad && s->nmembers == GROUPS * PER_GROUP, "%zu members put, %d failed",
	      s->nmembers, bad);
	for (uint32_t gi = 1; gi <= GROUPS; gi++)
		for (uint32_t id = 1; id <= PER_GROUP; id++) {
			const struct gw_member *m = gwstate_member_find(s, gi, id);

			found += m && m->group == gi && m->id == id &&
				 m->cur.epoch == gi;
		}
	CHECK(found == GROUPS * PER_GROUP, "%zu found", found);
	gwstate_member_each(s, 3, count_fn, &n);
	CHECK(n == PER_GROUP, "group 3 walk: %zu", n);
	for (uint32_t id = 1; id <= PER_GROUP; id += 2)
		bad += gwstate_member_del(s, 1, id) != 0;
	CHECK(!bad && s->nmembers == GROUPS * PER_GROUP - PER_GROUP / 2,
	      "odd members of group 1 deleted: %zu left", s->nmembers);
	CHECK(!gwstate_member_find(s, 1, 1) && gwstate_member_find(s, 1, 2),
	      "1/1 gone, 1/2 still there");
	CHECK(!gwstate_group_del(s, 4) &&
	      s->nmembers == 2 * PER_GROUP + PER_GROUP / 2,
	      "group 4 deleted: %zu left", s->nmembers);
	dt = now() - t0;
	printf("100000 members: put, find, delete in %.3f s\n", dt);
	CHECK(dt < 2.0, "took %.3f s", dt);
	gwstate_free(s);
}

int main(void)
{
	test_groups();
	test_members();
	test_upstream_listen();
	test_many();
	return check_report();
}
