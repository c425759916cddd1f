// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Unit tests of the enrollment messages (proto.c): the committed vectors
 * decode as they say, every prefix of a valid message is refused, the
 * builders refuse what the parser refuses.  Part of grpsec-lib-test.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grpsec_enroll.h"
#include "internal.h"
#include "enroll-vectors.h"
#include "tap.h"

static int unhex(const char *s, uint8_t *out, size_t size, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > size)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

struct record {
	char name[64], expect[32], *decoded;
	uint8_t msg[GRPSEC_ENROLL_ANSWER_MAX_LEN + 16];
	size_t len;
	bool have_msg;
};

/* Check one record against the parser; returns true if it holds. */
static bool check_record(const struct record *r)
{
	static char line[8192];
	struct grpsec_msg m;
	int err = grpsec_msg_parse(r->msg, r->len, &m);

	if (strcmp(enroll_err_name(err), r->expect))
		return diag("%s: parser says %s, the vector %s", r->name, enroll_err_name(err),
			    r->expect);
	if (err)
		return !r->decoded || diag("%s: a refused message with a decoding", r->name);
	if (!r->decoded)
		return diag("%s: no decoded field", r->name);
	enroll_msg_describe(&m, line, sizeof(line));
	if (strcmp(line, r->decoded))
		return diag("%s: decodes as \"%.80s...\"", r->name, line);
	return true;
}

static void test_vector_file(const char *dir)
{
	static struct record r;
	char path[4096], *line = NULL;
	size_t cap = 0;
	unsigned int n = 0, bad = 0, accepted = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/enroll-v1.txt", dir);
	f = fopen(path, "r");
	if (!f) {
		diag("cannot open '%s'", path);
		result(false, "enroll-msg: vectors decode as enroll-v1.txt says");
		return;
	}
	memset(&r, 0, sizeof(r));
	for (;;) {
		ssize_t got = getline(&line, &cap, f);

		if (got > 0 && line[got - 1] == '\n')
			line[--got] = '\0';
		if (got <= 0) {
			/* A blank line or the end closes a record. */
			if (r.have_msg) {
				n++;
				bad += !check_record(&r);
				accepted += !strcmp(r.expect, "ok");
			}
			free(r.decoded);
			memset(&r, 0, sizeof(r));
			if (got < 0)
				break;
			continue;
		}
		if (!strncmp(line, "name: ", 6))
			snprintf(r.name, sizeof(r.name), "%s", line + 6);
		else if (!strncmp(line, "expect: ", 8))
			snprintf(r.expect, sizeof(r.expect), "%s", line + 8);
		else if (!strncmp(line, "decoded: ", 9))
			r.decoded = strdup(line + 9);
		else if (!strncmp(line, "message: ", 9))
			r.have_msg = !unhex(line + 9, r.msg, sizeof(r.msg), &r.len) ||
				     diag("%s: bad hex", r.name);
	}
	free(line);
	fclose(f);
	/*
	 * The valid vectors are counted, not read from the file: one per
	 * message type that has them (ENROLL, answers, refusal, UPSTREAM,
	 * the control messages through HEARD), so that a vector lost
	 * from the file fails here.
	 */
	result(n >= 90 && accepted == 14 && !bad,
	       "enroll-msg: %u vectors (%u valid) decode as enroll-v1.txt says", n, accepted);
}

static void test_vector_fresh(const char *dir)
{
	char path[4096], *fresh = NULL, *committed = NULL;
	size_t fresh_len = 0, len = 0;
	FILE *f = open_memstream(&fresh, &fresh_len);
	bool ok = f && !enroll_vectors_write(f);

	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/enroll-v1.txt", dir);
	f = fopen(path, "rb");
	if (f) {
		committed = malloc(fresh_len + 2);
		len = committed ? fread(committed, 1, fresh_len + 1, f) : 0;
		fclose(f);
	}
	ok = ok && committed && len == fresh_len && !memcmp(committed, fresh, len);
	if (!ok)
		diag("'%s' differs from a fresh generation: run make -C userspace vectors", path);
	result(ok, "enroll-msg: committed enroll-v1.txt equals a fresh generation");
	free(fresh);
	free(committed);
}

static const uint8_t key[GRPSEC_KEY_MAX_LEN] = { 1, 2, 3 }, pub[GRPSEC_SIGN_KEY_LEN] = { 9 };

static void sample_answer(struct grpsec_enroll_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->member = 77;
	a->sign_pub = pub;
	a->gw_family = GRPSEC_ENROLL_ADDR_IPV4;
	a->gw_port = 9;
	a->gw_addr[0] = 127;
	a->gw_addr[3] = 1;
	a->n_groups = GRPSEC_ENROLL_MAX_GROUPS;
	for (unsigned int i = 0; i < a->n_groups; i++) {
		struct grpsec_enroll_group *g = &a->groups[i];

		g->group = 10 + i;
		g->suite = 1 + i % 3;
		g->mode = i % 2;
		g->flags = i % 4 < 2 ? GRPSEC_ENROLL_GROUP_COMMANDS : 0;
		g->n_epochs = GRPSEC_ENROLL_MAX_EPOCHS;
		for (unsigned int j = 0; j < g->n_epochs; j++) {
			struct grpsec_enroll_epoch *e = &g->epochs[j];

			e->epoch = 5 + j;
			e->msg_limit = j;
			e->member_key = key;
			e->group_key = !g->mode || g->flags ? key : NULL;
			e->e2e_key = g->mode ? key : NULL;
		}
	}
}

/* The largest answer round-trips; no prefix of it or of a request parses. */
static void test_roundtrip_and_prefixes(void)
{
	static uint8_t buf[GRPSEC_ENROLL_ANSWER_MAX_LEN], again[GRPSEC_ENROLL_ANSWER_MAX_LEN];
	struct grpsec_enroll_request rq = { GRPSEC_ENROLL_MAX_GROUPS, { 0 } };
	struct grpsec_enroll_answer a;
	struct grpsec_msg m;
	size_t len = 0, len2 = 0, bad_prefix = 0;
	bool ok;

	sample_answer(&a);
	ok = expect_eq(grpsec_msg_build_answer(&a, buf, sizeof(buf), &len), 0) &&
	     expect_eq(grpsec_msg_parse(buf, len, &m), 0) &&
	     expect_eq(m.type, GRPSEC_MSG_ENROLL_ANSWER) &&
	     expect_eq(grpsec_msg_build_answer(&m.answer, again, sizeof(again), &len2), 0) &&
	     expect_eq(len2, len) && expect_eq(memcmp(buf, again, len), 0);
	for (size_t n = 0; ok && n < len; n++)
		bad_prefix += grpsec_msg_parse(buf, n, &m) != -EMSGSIZE;
	result(ok && !bad_prefix, "enroll-msg: a 16-group rollover answer round-trips, its %zu "
	       "prefixes are refused as truncated", len);

	for (unsigned int i = 0; i < rq.n_groups; i++)
		rq.groups[i] = 1000 - rq.n_groups + i;
	ok = expect_eq(grpsec_msg_build_request(&rq, buf, sizeof(buf), &len), 0) &&
	     expect_eq(len, GRPSEC_ENROLL_REQ_MAX_LEN);
	bad_prefix = 0;
	for (size_t n = 0; ok && n < len; n++)
		bad_prefix += grpsec_msg_parse(buf, n, &m) != -EMSGSIZE;
	result(ok && !bad_prefix, "enroll-msg: every prefix of a 16-group request is refused");
}

static void test_builders_refuse(void)
{
	uint8_t buf[GRPSEC_ENROLL_ANSWER_MAX_LEN];
	struct grpsec_enroll_request rq = { 2, { 7, 7 } };
	struct grpsec_enroll_answer a;
	size_t len = 0;
	bool ok;

	ok = expect_eq(grpsec_msg_build_request(&rq, buf, sizeof(buf), &len), -EPROTO);
	rq.groups[1] = 8;
	ok = expect_eq(grpsec_msg_build_request(&rq, buf, 15, &len), -EMSGSIZE) && ok;
	rq.n_groups = 0;
	ok = expect_eq(grpsec_msg_build_request(&rq, buf, sizeof(buf), &len), -EPROTO) && ok;
	sample_answer(&a);
	a.groups[0].epochs[0].group_key = NULL;		/* anonymous without K_G */
	ok = expect_eq(grpsec_msg_build_answer(&a, buf, sizeof(buf), &len), -EPROTO) && ok;
	sample_answer(&a);
	a.groups[1].epochs[1].epoch = 5;		/* next epoch not newer */
	ok = expect_eq(grpsec_msg_build_answer(&a, buf, sizeof(buf), &len), -EPROTO) && ok;
	sample_answer(&a);
	ok = expect_eq(grpsec_msg_build_answer(&a, buf, 100, &len), -EMSGSIZE) && ok;
	a.sign_pub = NULL;
	ok = expect_eq(grpsec_msg_build_answer(&a, buf, sizeof(buf), &len), -EINVAL) && ok;
	ok = expect_eq(grpsec_msg_build_refusal(0, "x", buf, sizeof(buf), &len), -EPROTO) && ok;
	result(ok, "enroll-msg: the builders refuse what the parser refuses");
}

static void test_refusal_text(void)
{
	char text[400];
	uint8_t buf[GRPSEC_REFUSAL_MAX_LEN];
	struct grpsec_msg m;
	size_t len = 0;
	bool ok;

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[3] = '\n';
	ok = expect_eq(grpsec_msg_build_refusal(GRPSEC_REFUSE_DENIED, text, buf, sizeof(buf),
						&len), 0) &&
	     expect_eq(len, GRPSEC_REFUSAL_MAX_LEN) && expect_eq(grpsec_msg_parse(buf, len, &m), 0) &&
	     expect_eq(m.refusal.text_len, GRPSEC_REFUSAL_TEXT_MAX) &&
	     expect_eq(m.refusal.text[3], '?');
	result(ok, "enroll-msg: a refusal's text is cut at 200 bytes, control characters replaced");
}

static void test_frame_len(void)
{
	uint8_t h[GRPSEC_MSG_HDR_LEN] = { 1, 2, 0, 0, 0, 0, 0x10, 0 };
	size_t total = 0;
	bool ok;

	ok = expect_eq(grpsec_msg_frame_len(h, GRPSEC_MSG_MAX_LEN, &total), 0) &&
	     expect_eq(total, 8 + 4096) &&
	     expect_eq(grpsec_msg_frame_len(h, 4096, &total), -EMSGSIZE) &&
	     expect_eq(grpsec_msg_frame_len(h, GRPSEC_MSG_MAX_LEN + 1, &total), -EINVAL);
	h[2] = 1;
	ok = expect_eq(grpsec_msg_frame_len(h, GRPSEC_MSG_MAX_LEN, &total), -EPROTO) && ok;
	h[2] = 0;
	h[0] = 2;
	ok = expect_eq(grpsec_msg_frame_len(h, GRPSEC_MSG_MAX_LEN, &total),
		       -EPROTONOSUPPORT) && ok;
	h[0] = 1;
	h[4] = 0xff;
	ok = expect_eq(grpsec_msg_frame_len(h, GRPSEC_MSG_MAX_LEN, &total), -EMSGSIZE) && ok;
	result(ok, "enroll-msg: a stream reader learns the length from the header, bounded");
}

/* UPSTREAM round-trips; its prefixes, a bad field and trailing bytes are refused. */
static void test_upstream(void)
{
	struct grpsec_ctl_upstream u = { .gateway = 7, .suite = GRPSEC_SUITE_AES_128_GCM,
					 .family = GRPSEC_ENROLL_ADDR_IPV4, .port = 7100,
					 .addr = { 10, 0, 0, 1 }, .listen_port = 7000,
					 .batch_seq_floor = 77 };
	uint8_t buf[GRPSEC_UPSTREAM_LEN + 1];
	struct grpsec_msg m;
	size_t len = 0, bad_prefix = 0;
	bool ok;

	ok = expect_eq(grpsec_msg_build_upstream(&u, buf, sizeof(buf), &len), 0) &&
	     expect_eq(len, GRPSEC_UPSTREAM_LEN) && expect_eq(grpsec_msg_parse(buf, len, &m), 0) &&
	     expect_eq(m.type, GRPSEC_MSG_UPSTREAM) && expect_eq(m.upstream.gateway, 7) &&
	     expect_eq(m.upstream.port, 7100) && expect_eq(m.upstream.listen_port, 7000) &&
	     expect_eq(memcmp(m.upstream.addr, u.addr, 16), 0) &&
	     expect_eq(m.upstream.batch_seq_floor, 77);
	for (size_t n = 0; ok && n < len; n++)
		bad_prefix += grpsec_msg_parse(buf, n, &m) != -EMSGSIZE;
	buf[GRPSEC_MSG_HDR_LEN + 12] = 1;	/* an IPv4 address's padding */
	ok = expect_eq(grpsec_msg_parse(buf, len, &m), -EPROTO) && ok;
	u.suite = 0;
	ok = expect_eq(grpsec_msg_build_upstream(&u, buf, sizeof(buf), &len), -EPROTO) && ok;
	result(ok && !bad_prefix, "enroll-msg: UPSTREAM round-trips, prefixes and bad fields refused");
}

/* Every strict prefix of a valid message is refused as truncated. */
static size_t bad_prefixes(const uint8_t *buf, size_t len)
{
	struct grpsec_msg m;
	size_t bad = 0;

	for (size_t n = 0; n < len; n++)
		bad += grpsec_msg_parse(buf, n, &m) != -EMSGSIZE;
	return bad;
}

/*
 * MEMBERS packs as many records as the largest message holds and no
 * more; they come back in order with their keys; GROUP and MEMBER_DEL
 * round-trip; a builder refuses what the parser would.
 */
static void test_control(void)
{
	static uint8_t buf[GRPSEC_MSG_MAX_LEN + 64], keys[2][32];
	static struct grpsec_ctl_member mb[2048];
	static uint32_t ids[GRPSEC_CTL_DEL_MAX + 1];
	size_t per = GRPSEC_CTL_MEMBER_LEN(2, 32), len = 0, off = 0, bad = 0;
	unsigned int fit = (GRPSEC_MSG_MAX_LEN - GRPSEC_MSG_HDR_LEN - GRPSEC_CTL_MEMBERS_HDR_LEN) /
			   per, seen = 0;
	struct grpsec_ctl_group g = { .group = 3, .suite = 3, .mode = GRPSEC_MODE_ANONYMOUS,
				      .flags = GRPSEC_CTL_GROUP_TERMINATE, .n_slots = 1,
				      .slots = { { 9, keys[0] } } };
	struct grpsec_ctl_member got;
	struct grpsec_msg m;
	bool ok;

	memset(keys[0], 0xa5, 32);
	memset(keys[1], 0x5a, 32);
	for (unsigned int i = 0; i < 2048; i++)
		mb[i] = (struct grpsec_ctl_member){ .member = i + 1, .n_slots = 2,
			.slots = { { 4, keys[0] }, { 5, keys[1] } } };
	ok = expect_eq(grpsec_msg_build_members(3, 3, mb, fit + 1, buf, sizeof(buf), &len),
		       -EMSGSIZE) &&
	     expect_eq(grpsec_msg_build_members(3, 3, mb, fit, buf, sizeof(buf), &len), 0) &&
	     expect_eq(grpsec_msg_parse(buf, len, &m), 0) && expect_eq(m.members.n, fit);
	while (ok && grpsec_ctl_members_next(&m.members, &off, &got)) {
		ok = got.member == ++seen && got.n_slots == 2 && got.slots[1].epoch == 5 &&
		     !memcmp(got.slots[1].key, keys[1], 32);
	}
	ok = ok && expect_eq(seen, fit);
	bad += bad_prefixes(buf, 2048);
	/* Ids out of order, a slot without a key. */
	mb[1].member = 1;
	ok = expect_eq(grpsec_msg_build_members(3, 3, mb, 2, buf, sizeof(buf), &len), -EPROTO) && ok;
	mb[1].member = 2;
	mb[1].slots[0].key = NULL;
	ok = expect_eq(grpsec_msg_build_members(3, 3, mb, 2, buf, sizeof(buf), &len), -EINVAL) && ok;

	ok = expect_eq(grpsec_msg_build_group(&g, buf, sizeof(buf), &len), 0) &&
	     expect_eq(len, GRPSEC_MSG_HDR_LEN + GRPSEC_CTL_GROUP_HDR_LEN + 36) &&
	     expect_eq(grpsec_msg_parse(buf, len, &m), 0) && expect_eq(m.group.n_slots, 1) &&
	     expect_eq(memcmp(m.group.slots[0].key, keys[0], 32), 0) && ok;
	bad += bad_prefixes(buf, len);
	g.mode = GRPSEC_MODE_IDENTIFIED;
	ok = expect_eq(grpsec_msg_build_group(&g, buf, sizeof(buf), &len), -EPROTO) && ok;

	for (unsigned int i = 0; i <= GRPSEC_CTL_DEL_MAX; i++)
		ids[i] = 2 * i + 1;
	ok = expect_eq(grpsec_msg_build_member_del(3, ids, GRPSEC_CTL_DEL_MAX + 1, buf,
						   sizeof(buf), &len), -EINVAL) &&
	     expect_eq(grpsec_msg_build_member_del(3, ids, GRPSEC_CTL_DEL_MAX, buf, sizeof(buf),
						   &len), 0) &&
	     expect_eq(grpsec_msg_parse(buf, len, &m), 0) &&
	     expect_eq(grpsec_ctl_del_id(&m.del, GRPSEC_CTL_DEL_MAX - 1),
		       2 * (GRPSEC_CTL_DEL_MAX - 1) + 1) && ok;
	bad += bad_prefixes(buf, 64);
	result(ok && !bad, "control-msg: MEMBERS packs %u records of 2 slots in one message, GROUP and MEMBER_DEL round-trip, prefixes and bad fields refused",
	       fit);
}

/* An enrollment as grpsec_enroll() leaves it, from a built answer. */
static bool fake_enrollment(struct grpsec_enrollment *e)
{
	struct grpsec_enroll_answer a;
	struct grpsec_msg m;

	sample_answer(&a);
	a.n_groups = 2;
	memset(e, 0, sizeof(*e));
	if (grpsec_msg_build_answer(&a, e->msg, sizeof(e->msg), &e->msg_len) ||
	    grpsec_msg_parse(e->msg, e->msg_len, &m))
		return false;
	e->answer = m.answer;
	memset(e->wrap_key, 0x5a, sizeof(e->wrap_key));
	return true;
}

static uint64_t seal_n(struct grpsec_member *m, unsigned int n, int *err)
{
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN];
	size_t len;

	*err = 0;
	for (unsigned int i = 0; i < n && !*err; i++)
		*err = grpsec_member_seal_uplink(m, (const uint8_t *)"x", 1, frame, sizeof(frame),
						 &len);
	return grpsec_member_next_seq(m);
}

/*
 * The state file: a member resumes above its last reservation after a
 * restart (here: the context is dropped without any goodbye, as a crash
 * would), the file is 0600 and refused when others may read it, and a
 * reservation that cannot be written stops the frame.
 */
static void test_state_file(void)
{
	static struct grpsec_enrollment e;
	char dir[] = "/tmp/grpsec-state-XXXXXX", path[64], gone[80];
	struct grpsec_state *st = NULL;
	struct grpsec_member *m = NULL;
	struct stat sb;
	uint64_t next;
	int err = 0;
	bool ok;

	ok = mkdtemp(dir) && fake_enrollment(&e);
	snprintf(path, sizeof(path), "%s/state", dir);
	ok = ok && expect_eq(grpsec_state_create(path, &e), 0) &&
	     expect_eq(grpsec_state_open(path, &st, NULL, 0), 0) &&
	     expect_eq(grpsec_state_member(st, 10, 4, &m), 0) &&
	     expect_eq(seal_n(m, 6, &err), 7) && expect_eq(err, 0) &&
	     expect_eq(grpsec_state_reserved(st, 10), 8) &&
	     expect_eq(grpsec_state_reserved(st, 11), 0) &&
	     expect_eq(grpsec_state_member(st, 99, 4, &m), -ENOENT);
	grpsec_member_free(m);
	grpsec_state_free(st);
	m = NULL;
	st = NULL;
	ok = ok && expect_eq(grpsec_state_open(path, &st, NULL, 0), 0) &&
	     expect_eq(grpsec_state_reserved(st, 10), 8) &&
	     expect_eq(grpsec_state_member(st, 10, 4, &m), 0) &&
	     expect_eq(grpsec_member_next_seq(m), 9) &&
	     expect_eq(memcmp(grpsec_state_wrap_key(st), e.wrap_key, GRPSEC_WRAP_KEY_LEN), 0) &&
	     expect_eq(grpsec_state_answer(st)->member, 77);
	next = ok ? seal_n(m, 1, &err) : 0;
	ok = ok && expect_eq(next, 10) && expect_eq(grpsec_state_reserved(st, 10), 12) &&
	     expect_eq(stat(path, &sb), 0) && expect_eq(sb.st_mode & 0777, 0600);
	grpsec_member_free(m);
	grpsec_state_free(st);
	st = NULL;
	result(ok, "enroll-state: after a restart the member resumes above its reservation (0600 file)");

	/* Nothing is sent when the reservation cannot be stored: its directory is gone. */
	snprintf(gone, sizeof(gone), "%s.gone", dir);
	ok = expect_eq(grpsec_state_open(path, &st, NULL, 0), 0) &&
	     expect_eq(grpsec_state_member(st, 11, 4, &m), 0) &&
	     expect_eq(rename(dir, gone), 0) &&
	     expect_eq(seal_n(m, 1, &err), 1) && expect_eq(err, -ENOENT) &&
	     expect_eq(grpsec_state_reserved(st, 11), 0) && expect_eq(rename(gone, dir), 0);
	grpsec_member_free(m);
	grpsec_state_free(st);
	st = NULL;
	chmod(path, 0640);
	ok = expect_eq(grpsec_state_open(path, &st, NULL, 0), -EPERM) && ok;
	result(ok, "enroll-state: a reservation that cannot be stored stops the frame; a 0640 file is refused");
	unlink(path);
	rmdir(dir);
	grpsec_enrollment_wipe(&e);
}

/* A listening socket on loopback that never accepts: a stalled manager. */
static int stalled_manager(char *addr, size_t size)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(addr, size, "127.0.0.1:%u", ntohs(sin.sin_port));
	return fd;
}

/*
 * The client's own checks, and a manager that takes the connection but
 * never speaks: the call returns -ETIMEDOUT after its timeout, not later;
 * a closed port is -ECONNREFUSED.  Nothing here needs a real manager.
 */
static void test_enroll_client(void)
{
	static struct grpsec_enrollment e;
	static const uint32_t groups[] = { 7, 8 }, unsorted[] = { 8, 7 };
	uint8_t psk[32] = { 1 };
	struct grpsec_enroll_config c = {
		.manager = "127.0.0.1:1", .groups = groups, .n_groups = 2,
		.psk_identity = "psk-1", .psk = psk, .psk_len = 8, .psk_hash = GRPSEC_PSK_SHA256,
	};
	char err[256], addr[64];
	struct timespec t0, t1;
	double dt;
	int fd;
	bool ok;

	ok = expect_eq(grpsec_enroll(&c, &e, err, sizeof(err)), -EINVAL);
	c.psk_len = sizeof(psk);
	c.groups = unsorted;
	ok = expect_eq(grpsec_enroll(&c, &e, err, sizeof(err)), -EINVAL) && ok;
	c.groups = groups;
	c.psk_identity = NULL;
	ok = expect_eq(grpsec_enroll(&c, &e, err, sizeof(err)), -EINVAL) && ok &&
	     (strstr(err, "certificate") || diag("error \"%s\"", err));
	c.psk_identity = "psk-1";
	c.manager = "no-port";
	ok = expect_eq(grpsec_enroll(&c, &e, err, sizeof(err)), -EINVAL) && ok;
	result(ok, "enroll-client: a bad configuration is refused before any connection");

	fd = stalled_manager(addr, sizeof(addr));
	c.manager = addr;
	c.timeout_ms = 300;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok = fd >= 0 && expect_eq(grpsec_enroll(&c, &e, err, sizeof(err)), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok = ok && (dt >= 0.29 && dt < 2 ? true : diag("returned after %.2f s", dt)) &&
	     (strstr(err, "in time") || diag("error \"%s\"", err));
	if (fd >= 0)
		close(fd);
	/* The port is closed now: refused at once. */
	ok = expect_eq(grpsec_enroll(&c, &e, err, sizeof(err)), -ECONNREFUSED) && ok;
	result(ok, "enroll-client: a manager that never answers costs the timeout (%.2f s), a closed port is refused",
	       dt);
}

void enroll_tests(const char *vectors_dir)
{
	test_enroll_client();
	test_state_file();
	test_roundtrip_and_prefixes();
	test_builders_refuse();
	test_refusal_text();
	test_frame_len();
	test_upstream();
	test_control();
	if (vectors_dir) {
		test_vector_file(vectors_dir);
		test_vector_fresh(vectors_dir);
	}
}
