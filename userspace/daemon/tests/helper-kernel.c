// SPDX-License-Identifier: GPL-2.0
/*
 * helper-kernel: kernel.c driven by hand, for the VM selftest
 * (selftests/grpsecd_reconcile.sh).  It builds a wanted state, runs one
 * kernel_reconcile() against the module and prints what was sent as
 * one line of JSON:
 *
 *   helper-kernel apply --groups N --members M --s-auth FILE --epoch E
 *       [--next-epoch E2] [--suite S] [--mode M] [--drop-every K]
 *       [--drop-group G] [--listen PORT] [--state FILE]
 *       [--upstream ADDR:PORT --gateway ID --up-secret FILE]
 *       [--terminate G --group-key FILE]
 *       [--again] [--same-epoch-s-auth FILE]
 *   helper-kernel watch (the same options) --seconds T [--pause-ms P]
 *       [--pause-until FILE] [--rcvbuf BYTES] [--interval-ms MS]
 *       [--change-ms C]
 *
 * Groups 1..N, each with members 1..M, K_m[e] derived from S_auth with
 * libgrpsec's KDF (as grpsec-member and grpsec-keys do, so simulated
 * devices hold the same keys); --next-epoch puts K_m[E2] in the next
 * slot.  --terminate G puts group G in terminate mode with the group
 * key K_G[E] read from FILE (raw bytes).  --drop-every K leaves out the members whose id is a multiple
 * of K, --drop-group G the whole group G.  K_up is derived from the
 * upstream secret as grpsec-backend does.  --again reconciles the same
 * state a second time in the same process, --same-epoch-s-auth then a
 * state whose keys come from another secret under the same epochs:
 * each prints its own line.  Keys never leave the process.
 *
 * watch runs kernel.c on an event loop as the daemon does: one
 * reconciliation (its line, then "ready"), then P ms without reading
 * (the event socket, shrunk to BYTES, can overrun meanwhile), or with
 * --pause-until FILE until FILE exists (at most P ms, default 10 min:
 * the test then decides when the overrun has happened), then the
 * loop for T seconds ("watching" when it starts), with the periodic
 * reconciliation every MS (default: an hour, so that only an overrun or
 * an event brings one), and with --change-ms C kernel_changed() every
 * C ms, as the daemon calls it when the manager sends a change.  Each
 * unknown_member and epoch_limit hook call prints a line; at the end a
 * line of kernel_counters().
 */
#include <errno.h>
#include <getopt.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../../common/value.h"
#include "../gwstate.h"
#include "../kernel.h"
#include "../log.h"
#include "../loop.h"

struct opts {
	uint32_t groups, members, epoch, next_epoch, drop_every, drop_group;
	uint32_t gateway, terminate;
	uint16_t listen;
	uint8_t suite, mode;
	bool has_next, again, has_upstream, watch;
	uint32_t seconds, pause_ms, rcvbuf, interval_ms, change_ms;
	const char *s_auth, *s_auth2, *state, *up_secret, *group_key;
	const char *pause_until;
	struct sockaddr_storage upstream;
	socklen_t upstream_len;
};

static int read_bytes(const char *path, uint8_t *out, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "helper-kernel: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(out, 1, len, f);
	fclose(f);
	if (n != len) {
		fprintf(stderr, "helper-kernel: %s: not %zu bytes\n", path, len);
		return -1;
	}
	return 0;
}

static int read_secret(const char *path, uint8_t out[GRPSEC_SECRET_LEN])
{
	return read_bytes(path, out, GRPSEC_SECRET_LEN);
}

static int slot_key(const struct opts *o, const uint8_t *s_auth, uint32_t group,
		    uint32_t epoch, uint32_t member, struct gw_key *k)
{
	k->set = true;
	k->epoch = epoch;
	return grpsec_kdf_member_key(o->suite, s_auth, group, epoch, member,
				     k->key, grpsec_suite_key_len(o->suite));
}

static int build(const struct opts *o, const char *s_auth_path,
		 struct gwstate *s)
{
	uint8_t s_auth[GRPSEC_SECRET_LEN], up[GRPSEC_SECRET_LEN];
	int ret = -1, bad;

	if (read_secret(s_auth_path, s_auth))
		return -1;
	gwstate_clear(s);
	gwstate_set_listen(s, o->listen, 0);
	if (o->has_upstream) {
		struct gw_upstream u = { .gateway = o->gateway,
					 .suite = GRPSEC_SUITE_AES_128_GCM,
					 .endpoint = o->upstream,
					 .endpoint_len = o->upstream_len };

		if (read_secret(o->up_secret, up) ||
		    grpsec_kdf_upstream_key(u.suite, up, o->gateway, u.key,
					    grpsec_suite_key_len(u.suite)))
			goto out;
		gwstate_set_upstream(s, &u);
		OPENSSL_cleanse(&u, sizeof(u));
	}
	for (uint32_t g = 1; g <= o->groups; g++) {
		struct gw_group grp = { .id = g, .suite = o->suite, .mode = o->mode };

		if (g == o->drop_group)
			continue;
		if (g == o->terminate) {
			grp.flags = GRPSEC_GROUP_F_TERMINATE;
			grp.cur.set = true;
			grp.cur.epoch = o->epoch;
			if (read_bytes(o->group_key, grp.cur.key,
				       grpsec_suite_key_len(o->suite)))
				goto out;
		}
		bad = gwstate_group_put(s, &grp);
		OPENSSL_cleanse(&grp, sizeof(grp));
		if (bad)
			goto out;
		for (uint32_t id = 1; id <= o->members; id++) {
			struct gw_member m = { .group = g, .id = id };

			if (o->drop_every && id % o->drop_every == 0)
				continue;
			bad = slot_key(o, s_auth, g, o->epoch, id, &m.cur) ||
			      (o->has_next &&
			       slot_key(o, s_auth, g, o->next_epoch, id, &m.next)) ||
			      gwstate_member_put(s, &m);
			OPENSSL_cleanse(&m, sizeof(m));
			if (bad)
				goto out;
		}
	}
	ret = 0;
out:
	OPENSSL_cleanse(s_auth, sizeof(s_auth));
	OPENSSL_cleanse(up, sizeof(up));
	return ret;
}

static void print_diff(const char *step, int rc, const struct kernel_diff *d)
{
	printf("{\"step\":\"%s\",\"rc\":%d,\"set_listen\":%u,\"set_upstream\":%u,"
	       "\"del_upstream\":%u,\"new_group\":%u,\"set_group\":%u,"
	       "\"del_group\":%u,\"new_member\":%u,\"set_member\":%u,"
	       "\"del_member\":%u,\"members_new\":%u,\"members_set\":%u,"
	       "\"members_del\":%u,\"failed\":%u,\"writes\":%u}\n",
	       step, rc, d->set_listen, d->set_upstream, d->del_upstream,
	       d->new_group, d->set_group, d->del_group, d->new_member,
	       d->set_member, d->del_member, d->members_new, d->members_set,
	       d->members_del, d->failed,
	       d->set_listen + d->set_upstream + d->del_upstream + d->new_group +
	       d->set_group + d->del_group + d->new_member + d->set_member +
	       d->del_member);
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "usage: helper-kernel apply|watch --groups N --members M --s-auth FILE --epoch E [--next-epoch E2] [--suite S] [--mode M] [--drop-every K] [--drop-group G] [--listen PORT] [--state FILE] [--upstream ADDR:PORT --gateway ID --up-secret FILE] [--terminate G --group-key FILE] [--again] [--same-epoch-s-auth FILE] [--seconds T --pause-ms P --pause-until FILE --rcvbuf B --interval-ms MS --change-ms C]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "groups", 1, NULL, 'g' }, { "members", 1, NULL, 'm' },
		{ "s-auth", 1, NULL, 'a' }, { "epoch", 1, NULL, 'e' },
		{ "next-epoch", 1, NULL, 'n' }, { "suite", 1, NULL, 's' },
		{ "mode", 1, NULL, 'M' }, { "drop-every", 1, NULL, 'd' },
		{ "drop-group", 1, NULL, 'D' }, { "listen", 1, NULL, 'l' },
		{ "state", 1, NULL, 'S' }, { "upstream", 1, NULL, 'u' },
		{ "gateway", 1, NULL, 'G' }, { "up-secret", 1, NULL, 'U' },
		{ "again", 0, NULL, 'A' }, { "same-epoch-s-auth", 1, NULL, 'x' },
		{ "seconds", 1, NULL, 'T' }, { "pause-ms", 1, NULL, 'P' },
		{ "rcvbuf", 1, NULL, 'R' }, { "interval-ms", 1, NULL, 'I' },
		{ "terminate", 1, NULL, 't' }, { "group-key", 1, NULL, 'k' },
		{ "pause-until", 1, NULL, 'W' }, { "change-ms", 1, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t port;
	int c;

	o->suite = GRPSEC_SUITE_AES_128_GCM;
	if (argc < 2 || (strcmp(argv[1], "apply") && strcmp(argv[1], "watch")))
		return -1;
	o->watch = !strcmp(argv[1], "watch");
	o->interval_ms = 3600 * 1000;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'g': ok = parse_u32(optarg, &o->groups, 1, 100000); break;
		case 'm': ok = parse_u32(optarg, &o->members, 0, 1000000); break;
		case 'a': o->s_auth = optarg; break;
		case 'e': ok = parse_u32(optarg, &o->epoch, 0, UINT32_MAX); break;
		case 'n':
			ok = parse_u32(optarg, &o->next_epoch, 0, UINT32_MAX);
			o->has_next = true;
			break;
		case 's': ok = parse_suite(optarg, &o->suite); break;
		case 'M': ok = parse_mode(optarg, &o->mode); break;
		case 'd': ok = parse_u32(optarg, &o->drop_every, 1, UINT32_MAX); break;
		case 'D': ok = parse_u32(optarg, &o->drop_group, 1, UINT32_MAX); break;
		case 'l':
			ok = parse_u32(optarg, &port, 0, 65535);
			o->listen = port;
			break;
		case 'S': o->state = optarg; break;
		case 'u':
			ok = parse_endpoint(optarg, &o->upstream, &o->upstream_len);
			o->has_upstream = true;
			break;
		case 'G': ok = parse_u32(optarg, &o->gateway, 0, UINT32_MAX); break;
		case 'U': o->up_secret = optarg; break;
		case 'A': o->again = true; break;
		case 'x': o->s_auth2 = optarg; break;
		case 't': ok = parse_u32(optarg, &o->terminate, 1, UINT32_MAX); break;
		case 'k': o->group_key = optarg; break;
		case 'T': ok = parse_u32(optarg, &o->seconds, 1, 3600); break;
		case 'P': ok = parse_u32(optarg, &o->pause_ms, 0, 600000); break;
		case 'R': ok = parse_u32(optarg, &o->rcvbuf, 1, 1 << 24); break;
		case 'I': ok = parse_u32(optarg, &o->interval_ms, 1, UINT32_MAX); break;
		case 'W': o->pause_until = optarg; break;
		case 'C': ok = parse_u32(optarg, &o->change_ms, 1, 600000); break;
		default: return -1;
		}
		if (!ok) {
			fprintf(stderr, "helper-kernel: invalid value \"%s\"\n", optarg);
			return -1;
		}
	}
	if (optind != argc || !o->groups || !o->s_auth ||
	    (o->has_upstream && !o->up_secret) || (o->watch && !o->seconds) ||
	    (o->terminate && !o->group_key))
		return -1;
	return 0;
}

static void on_unknown(void *arg, uint32_t group, uint32_t member)
{
	(void)arg;
	printf("{\"event\":\"unknown_member\",\"group\":%u,\"member\":%u}\n",
	       group, member);
	fflush(stdout);
}

static void on_epoch_limit(void *arg, uint32_t group, uint32_t epoch)
{
	(void)arg;
	printf("{\"event\":\"epoch_limit\",\"group\":%u,\"epoch\":%u}\n",
	       group, epoch);
	fflush(stdout);
}

static void on_change(struct loop_timer *t, void *arg)
{
	(void)t;
	kernel_changed(arg);
}

static void on_stop(struct loop_timer *t, void *arg)
{
	(void)t;
	loop_stop(arg, 0);
}

/* Sleeps until PATH exists, checking every 10 ms, at most MS ms. */
static void wait_for_file(const char *path, uint32_t ms)
{
	struct timespec tick = { 0, 10 * 1000000L };
	uint32_t waited;

	for (waited = 0; waited < ms && access(path, F_OK); waited += 10)
		nanosleep(&tick, NULL);
}

static int watch(const struct opts *o, struct gwstate *want)
{
	struct kernel_hooks hooks = { .unknown_member = on_unknown,
				      .epoch_limit = on_epoch_limit };
	const struct kernel_counters *c;
	struct loop *l = loop_new();
	struct timespec pause = { o->pause_ms / 1000, (o->pause_ms % 1000) * 1000000L };
	struct kernel_diff d;
	struct kernel *k;
	int rc, rcvbuf = o->rcvbuf;

	if (!l)
		return 1;
	k = kernel_open(l, o->state ? o->state : "gateway.state");
	if (!k)
		return 1;
	kernel_set_hooks(k, &hooks);
	kernel_set_want(k, want);
	kernel_set_interval(k, o->interval_ms);
	if (rcvbuf && setsockopt(kernel_event_fd(k), SOL_SOCKET, SO_RCVBUF,
				 &rcvbuf, sizeof(rcvbuf))) {
		perror("SO_RCVBUF");
		return 1;
	}
	rc = kernel_reconcile(k, want, &d);
	print_diff("apply", rc, &d);
	printf("ready\n");
	fflush(stdout);
	if (o->pause_until)
		wait_for_file(o->pause_until, o->pause_ms ? o->pause_ms : 600000);
	else
		nanosleep(&pause, NULL);
	printf("watching\n");
	fflush(stdout);
	loop_timer_add(l, o->seconds * 1000ULL, 0, on_stop, l);
	if (o->change_ms)
		loop_timer_add(l, o->change_ms, o->change_ms, on_change, k);
	loop_run(l);
	c = kernel_counters(k);
	printf("{\"step\":\"watch\",\"overruns\":%llu,\"reconciles\":%llu,"
	       "\"reconcile_errors\":%llu,\"unknown_member\":%llu,"
	       "\"bad_tag_burst\":%llu,\"epoch_limit\":%llu,"
	       "\"state_commits\":%llu}\n",
	       (unsigned long long)c->overruns, (unsigned long long)c->reconciles,
	       (unsigned long long)c->reconcile_errors,
	       (unsigned long long)c->unknown_member,
	       (unsigned long long)c->bad_tag_burst,
	       (unsigned long long)c->epoch_limit,
	       (unsigned long long)c->state_commits);
	kernel_close(k);
	loop_free(l);
	return rc != 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct kernel_diff d;
	struct gwstate *want;
	struct kernel *k;
	int rc, status;

	if (parse(argc, argv, &o))
		return usage();
	log_init(false);
	want = gwstate_new();
	if (!want || build(&o, o.s_auth, want))
		return 1;
	if (o.watch) {
		status = watch(&o, want);
		gwstate_free(want);
		return status;
	}
	k = kernel_open(NULL, o.state ? o.state : "gateway.state");
	if (!k)
		return 1;
	rc = kernel_reconcile(k, want, &d);
	print_diff("apply", rc, &d);
	status = rc != 0;
	if (o.again) {
		rc = kernel_reconcile(k, want, &d);
		print_diff("again", rc, &d);
		status |= rc != 0;
	}
	if (o.s_auth2) {
		if (build(&o, o.s_auth2, want))
			return 1;
		rc = kernel_reconcile(k, want, &d);
		print_diff("same-epoch", rc, &d);
		status |= rc != 0;
	}
	kernel_close(k);
	gwstate_free(want);
	return status;
}
