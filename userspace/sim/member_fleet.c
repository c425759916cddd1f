// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-member enroll-fleet | send-fleet: many PSK devices from one
 * process, each exactly what `enroll` and `send` make of one device (its
 * own TLS 1.3 handshake, its own state file), without a process start
 * per device: under emulation, starting a program linked with OpenSSL
 * costs more than the handshake itself.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common.h"
#include "grpsec_enroll.h"
#include "member_enroll.h"

static const char fleet_enroll_usage[] =
"usage: grpsec-member enroll-fleet --manager ADDR:PORT --group G[,G...]\n"
"                                  --psk-file FILE --state-dir DIR [--parallel N]\n"
"                                  [--timeout SEC]\n"
"\n"
"Enroll every PSK device of FILE (the manager's PSKFile format: one\n"
"\"IDENTITY sha256|sha384 HEXKEY\" a line) over TLS 1.3, N at a time\n"
"(default 8), each saved as DIR/IDENTITY.state (mode 0600) as `enroll`\n"
"would.  Prints \"identity=ID member=M\" per device enrolled, \"identity=ID\n"
"refused: ...\" per refusal, then \"enrolled=N refused=R failed=F\n"
"elapsed_ms=T\"; exit 0 when every device enrolled, 3 when one was refused.\n";

static const char fleet_send_usage[] =
"usage: grpsec-member send-fleet --state-dir DIR --group G [--tag TEXT]\n"
"                                [--for SEC --every MS [--lose-rekeys K]]\n"
"\n"
"Every state file of DIR (*.state) sends one frame of group G to its\n"
"gateway, as `send` would (the sequence reserved in the file first), with\n"
"the payload \"TEXT-G-M\" (M its member id; TEXT default \"report\").  Prints\n"
"\"devices=N frames=N\".\n"
"\n"
"  --for SEC   instead, every device stays SEC seconds on a socket of its\n"
"              own (its address at the gateway), sends a frame every MS\n"
"              milliseconds (--every, default 1000; the devices spread over\n"
"              the interval), payload \"TEXT-G-M-N\" (N = 1, 2, ...), and\n"
"              applies the rekeys the gateway hands it there (in memory,\n"
"              as `send --for` does) and opens its commands (signed by the\n"
"              manager, or from the gateway).  Prints a line \"member=M\n"
"              frames=N epoch=E rekeys=R commands=C\" per device, then\n"
"              \"devices=N frames=N rekeys=R epoch_min=E epoch_max=E\n"
"              commands=C commanded=D\" (D devices opened one or more).\n"
"  --lose-rekeys K  the devices whose member id is a multiple of K drop the\n"
"              first rekey frame of every rekey, as a lossy radio would\n"
"              (the manager's retry brings another); \" lost=L\" ends their\n"
"              line.\n";

enum { OPT_MANAGER = 256, OPT_GROUP, OPT_PSK_FILE, OPT_STATE_DIR, OPT_PARALLEL,
       OPT_TIMEOUT, OPT_TAG, OPT_FOR, OPT_EVERY, OPT_LOSE };

static const struct option enroll_options[] = {
	{ "manager", required_argument, NULL, OPT_MANAGER },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "psk-file", required_argument, NULL, OPT_PSK_FILE },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const struct option send_options[] = {
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "lose-rekeys", required_argument, NULL, OPT_LOSE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct device {
	char identity[128];
	unsigned int hash;		/* GRPSEC_PSK_SHA* */
	uint8_t psk[GRPSEC_PSK_MAX_LEN];
	size_t psk_len;
};

struct fleet {
	struct grpsec_enroll_config base;
	const char *dir;
	struct device *dev;
	size_t n;
	atomic_size_t next;
	atomic_uint enrolled, refused, failed;
	pthread_mutex_t out;		/* one line at a time */
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The PSK file, line by line; a bad line names the file and the line. */
static void read_fleet(struct fleet *f, const char *path)
{
	char line[512], id[128], hash[16], key[2 * GRPSEC_PSK_MAX_LEN + 2];
	FILE *in = fopen(path, "r");
	unsigned int lineno = 0;
	size_t cap = 0;

	if (!in)
		usage_error("cannot open --psk-file \"%s\": %s", path, strerror(errno));
	while (fgets(line, sizeof(line), in)) {
		struct device *d;
		size_t klen;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%127s %15s %129s", id, hash, key) != 3 ||
		    (strcmp(hash, "sha256") && strcmp(hash, "sha384")))
			usage_error("%s:%u: expected IDENTITY sha256|sha384 HEXKEY", path, lineno);
		klen = strlen(key);
		if (klen % 2 || klen < 32 || klen > 2 * GRPSEC_PSK_MAX_LEN)
			usage_error("%s:%u: the key must be 32..128 hex digits", path, lineno);
		if (f->n == cap) {
			cap = cap ? 2 * cap : 256;
			f->dev = realloc(f->dev, cap * sizeof(*f->dev));
			if (!f->dev)
				runtime_error("out of memory");
		}
		d = &f->dev[f->n++];
		memset(d, 0, sizeof(*d));
		snprintf(d->identity, sizeof(d->identity), "%s", id);
		if (strchr(id, '/') || id[0] == '.')
			usage_error("%s:%u: an identity must not name a directory", path, lineno);
		d->hash = strcmp(hash, "sha384") ? GRPSEC_PSK_SHA256 : GRPSEC_PSK_SHA384;
		d->psk_len = klen / 2;
		for (size_t i = 0; i < klen; i += 2) {
			int hi = hexval(key[i]), lo = hexval(key[i + 1]);

			if (hi < 0 || lo < 0)
				usage_error("%s:%u: the key must be hex digits", path, lineno);
			d->psk[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		explicit_bzero(key, sizeof(key));
	}
	explicit_bzero(line, sizeof(line));
	fclose(in);
	if (!f->n)
		usage_error("--psk-file \"%s\": no device in it", path);
}

static void *enroll_worker(void *arg)
{
	struct fleet *f = arg;
	static _Thread_local struct grpsec_enrollment e;
	char err[512], path[4096];
	size_t i;

	while ((i = atomic_fetch_add(&f->next, 1)) < f->n) {
		struct device *d = &f->dev[i];
		struct grpsec_enroll_config c = f->base;
		int r;

		c.psk_identity = d->identity;
		c.psk = d->psk;
		c.psk_len = d->psk_len;
		c.psk_hash = d->hash;
		r = grpsec_enroll(&c, &e, err, sizeof(err));
		if (!r) {
			snprintf(path, sizeof(path), "%s/%s.state", f->dir, d->identity);
			r = grpsec_state_create(path, &e);
			if (r)
				snprintf(err, sizeof(err), "cannot write its state file: %s",
					 strerror(-r));
		}
		pthread_mutex_lock(&f->out);
		if (!r) {
			atomic_fetch_add(&f->enrolled, 1);
			printf("identity=%s member=%" PRIu32 "\n", d->identity, e.answer.member);
		} else {
			atomic_fetch_add(r == -EACCES ? &f->refused : &f->failed, 1);
			printf("identity=%s %s: %s\n", d->identity,
			       r == -EACCES ? "refused" : "failed", err);
		}
		pthread_mutex_unlock(&f->out);
		grpsec_enrollment_wipe(&e);
		explicit_bzero(d->psk, sizeof(d->psk));
	}
	return NULL;
}

int member_enroll_fleet_main(int argc, char **argv)
{
	static uint32_t groups[GRPSEC_ENROLL_MAX_GROUPS];
	struct fleet f = { .out = PTHREAD_MUTEX_INITIALIZER };
	const char *psk_file = NULL;
	unsigned int parallel = 8;
	pthread_t *threads;
	uint64_t t0;
	int opt;

	while ((opt = opt_next(argc, argv, "h", enroll_options, fleet_enroll_usage)) != -1) {
		switch (opt) {
		case OPT_MANAGER: f.base.manager = optarg; break;
		case OPT_GROUP: f.base.n_groups = member_parse_groups(optarg, groups); break;
		case OPT_PSK_FILE: psk_file = optarg; break;
		case OPT_STATE_DIR: f.dir = optarg; break;
		case OPT_PARALLEL: parallel = opt_u32("--parallel", optarg, 1, 256); break;
		case OPT_TIMEOUT:
			f.base.timeout_ms = (unsigned int)(opt_double("--timeout", optarg, 0.001,
								      3600) * 1000);
			break;
		}
	}
	if (!f.base.manager || !f.base.n_groups || !psk_file || !f.dir)
		usage_error("--manager, --group, --psk-file and --state-dir are required");
	f.base.groups = groups;
	read_fleet(&f, psk_file);
	setvbuf(stdout, NULL, _IOLBF, 0);
	threads = calloc(parallel, sizeof(*threads));
	if (!threads)
		runtime_error("out of memory");
	t0 = now_ns();
	for (unsigned int i = 0; i < parallel; i++)
		if (pthread_create(&threads[i], NULL, enroll_worker, &f))
			runtime_error("cannot start a thread");
	for (unsigned int i = 0; i < parallel; i++)
		pthread_join(threads[i], NULL);
	printf("enrolled=%u refused=%u failed=%u elapsed_ms=%" PRIu64 "\n", f.enrolled,
	       f.refused, f.failed, (now_ns() - t0) / 1000000);
	free(threads);
	free(f.dev);
	if (f.failed)
		return EXIT_RUNTIME;
	return f.refused ? MEMBER_EXIT_REFUSED : EXIT_OK;
}

static int state_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 6 && !strcmp(e->d_name + n - 6, ".state");
}

/* One device of send-fleet: its state, its member context, its socket. */
struct sender {
	struct grpsec_state *st;
	struct grpsec_member *m;
	struct grpsec_verifier *v;
	struct sockaddr_storage gw;
	socklen_t gw_len;
	int fd;
	uint32_t id;
	uint64_t frames, rekeys, commands, next_ms;
	uint64_t lost;			/* rekey frames dropped on purpose */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sender_open(struct sender *d, const char *dir, const char *name, uint32_t group,
			bool own_socket)
{
	char path[4096], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	r = grpsec_state_open(path, &d->st, err, sizeof(err));
	if (r)
		runtime_error("%s", err);
	r = grpsec_state_member(d->st, group, 0, &d->m);
	if (r)
		runtime_error("%s: group %" PRIu32 ": %s", path, group,
			      r == -ENOENT ? "not enrolled in it" : grpsec_strerror(r));
	d->gw_len = member_answer_gateway(grpsec_state_answer(d->st), &d->gw);
	d->id = grpsec_state_answer(d->st)->member;
	d->fd = -1;
	if (own_socket) {
		d->fd = udp_socket(d->gw.ss_family, NULL, 0);
		if (grpsec_verifier_new(grpsec_state_answer(d->st)->sign_pub, &d->v))
			runtime_error("%s: the manager's signing key is not usable", path);
	}
}

static void sender_close(struct sender *d)
{
	if (d->fd >= 0)
		close(d->fd);
	grpsec_verifier_free(d->v);
	grpsec_member_free(d->m);
	grpsec_state_free(d->st);
}

static void sender_send(struct sender *d, int fd, const char *payload)
{
	uint8_t frame[GRPSEC_UPLINK_MAX_LEN];
	size_t len;
	int r;

	r = grpsec_member_seal_uplink(d->m, (const uint8_t *)payload, strlen(payload), frame,
				      sizeof(frame), &len);
	if (r)
		runtime_error("member %" PRIu32 ": %s", d->id, grpsec_strerror(r));
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&d->gw, d->gw_len) < 0)
		runtime_error("send: %s", strerror(errno));
	d->frames++;
}

/* --for: every device sends every @every_ms and applies its rekeys, until @end. */
static void fleet_stay(struct sender *devs, int n, uint32_t group, const char *tag,
		       double secs, uint32_t every_ms, uint32_t lose_every)
{
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	uint64_t t0 = mono_ms(), end = t0 + (uint64_t)(secs * 1000), now;
	static uint8_t cmd[GRPSEC_COMMAND_MAX_PAYLOAD + 64];
	struct grpsec_command_info info;
	char payload[256];
	uint8_t buf[2048];
	size_t cmd_len;

	if (!p)
		runtime_error("out of memory");
	for (int i = 0; i < n; i++) {
		devs[i].next_ms = t0 + (uint64_t)every_ms * (uint64_t)i / (uint64_t)n;
		p[i] = (struct pollfd){ .fd = devs[i].fd, .events = POLLIN };
	}
	while ((now = mono_ms()) < end) {
		uint64_t until = end;

		for (int i = 0; i < n; i++) {
			struct sender *d = &devs[i];

			if (d->next_ms <= now && d->next_ms < end) {
				snprintf(payload, sizeof(payload), "%s-%" PRIu32 "-%" PRIu32 "-%" PRIu64,
					 tag, group, d->id, d->frames + 1);
				sender_send(d, d->fd, payload);
				d->next_ms += every_ms;
			}
			if (d->next_ms < until)
				until = d->next_ms;
		}
		if (poll(p, (nfds_t)n, until > now ? (int)(until - now) : 0) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			uint32_t epoch;
			ssize_t len;

			if (!(p[i].revents & POLLIN))
				continue;
			len = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (len < GRPSEC_MFRAME_HDR_LEN)
				continue;
			if (buf[1] == GRPSEC_TYPE_REKEY && lose_every &&
			    devs[i].id % lose_every == 0 && devs[i].lost == devs[i].rekeys) {
				devs[i].lost++;		/* this rekey's first frame */
			} else if (buf[1] == GRPSEC_TYPE_REKEY) {
				if (!grpsec_member_apply_rekey(devs[i].m, devs[i].v,
							       grpsec_state_wrap_key(devs[i].st),
							       buf, (size_t)len, &epoch))
					devs[i].rekeys++;
			} else if (!grpsec_member_open_command(devs[i].m, devs[i].v, buf,
							       (size_t)len, cmd, sizeof(cmd),
							       &cmd_len, &info)) {
				devs[i].commands++;
				OPENSSL_cleanse(cmd, cmd_len);
			}
		}
	}
	free(p);
}

/* Devices enough open sockets: the soft limit raised to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int member_send_fleet_main(int argc, char **argv)
{
	const char *dir = NULL, *tag = "report";
	struct dirent **names;
	struct sender *devs;
	uint32_t group = 0, every = 0, lose = 0, emin = UINT32_MAX, emax = 0;
	uint64_t frames = 0, rekeys = 0, commands = 0;
	unsigned int commanded = 0;
	double secs = 0;
	int opt, n, fd = -1, family = AF_UNSPEC;

	while ((opt = opt_next(argc, argv, "h", send_options, fleet_send_usage)) != -1) {
		switch (opt) {
		case OPT_STATE_DIR: dir = optarg; break;
		case OPT_GROUP: group = opt_u32("--group", optarg, 1, UINT32_MAX); break;
		case OPT_TAG: tag = optarg; break;
		case OPT_FOR: secs = opt_double("--for", optarg, 0.001, 86400); break;
		case OPT_EVERY: every = opt_u32("--every", optarg, 1, 3600000); break;
		case OPT_LOSE: lose = opt_u32("--lose-rekeys", optarg, 1, UINT32_MAX); break;
		}
	}
	if (!dir || !group)
		usage_error("--state-dir and --group are required");
	if (every && !secs)
		usage_error("--every needs --for");
	if (lose && !secs)
		usage_error("--lose-rekeys needs --for");
	if (strlen(tag) > 200)
		usage_error("--tag: at most 200 bytes");
	if (secs && !every)
		every = 1000;
	n = scandir(dir, &names, state_name, alphasort);
	if (n < 0)
		usage_error("cannot read --state-dir \"%s\": %s", dir, strerror(errno));
	devs = calloc(n ? (size_t)n : 1, sizeof(*devs));
	if (!devs)
		runtime_error("out of memory");
	if (secs)
		raise_nofile();
	for (int i = 0; i < n; i++) {
		sender_open(&devs[i], dir, names[i]->d_name, group, secs > 0);
		free(names[i]);
	}
	free(names);
	if (secs) {
		fleet_stay(devs, n, group, tag, secs, every, lose);
	} else {
		for (int i = 0; i < n; i++) {
			char payload[256];

			if (devs[i].gw.ss_family != family) {
				if (fd >= 0)
					close(fd);
				fd = udp_socket(devs[i].gw.ss_family, NULL, 0);
				family = devs[i].gw.ss_family;
			}
			snprintf(payload, sizeof(payload), "%s-%" PRIu32 "-%" PRIu32, tag, group,
				 devs[i].id);
			sender_send(&devs[i], fd, payload);
		}
	}
	for (int i = 0; i < n; i++) {
		uint32_t e = grpsec_member_epoch(devs[i].m);

		frames += devs[i].frames;
		rekeys += devs[i].rekeys;
		commands += devs[i].commands;
		commanded += devs[i].commands > 0;
		emin = e < emin ? e : emin;
		emax = e > emax ? e : emax;
		if (secs) {
			printf("member=%" PRIu32 " frames=%" PRIu64 " epoch=%" PRIu32 " rekeys=%" PRIu64
			       " commands=%" PRIu64, devs[i].id, devs[i].frames, e, devs[i].rekeys,
			       devs[i].commands);
			if (devs[i].lost)
				printf(" lost=%" PRIu64, devs[i].lost);
			printf("\n");
		}
		sender_close(&devs[i]);
	}
	free(devs);
	if (fd >= 0)
		close(fd);
	printf("devices=%d frames=%" PRIu64, n, frames);
	if (secs)
		printf(" rekeys=%" PRIu64 " epoch_min=%" PRIu32 " epoch_max=%" PRIu32
		       " commands=%" PRIu64 " commanded=%u", rekeys, n ? emin : 0, emax, commands,
		       commanded);
	printf("\n");
	return EXIT_OK;
}
