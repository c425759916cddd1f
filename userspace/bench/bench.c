// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-bench: simulated members -> the gateway under test -> a backend
 * receiver, in one process, so that the members' send times and the
 * backend's receive times come from the same CLOCK_MONOTONIC.
 *
 * The members' socket may live in one network namespace and the backend's
 * in another (--members-netns, --backend-netns): the gateway sits between
 * them.  Members send from the main thread, the backend receives, checks
 * and opens batches with libgrpsec on a second thread.  The gateway's CPU
 * time is read from /proc/stat (here, or through a command that prints
 * the gateway machine's /proc/stat), restricted to the CPUs it runs on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>
#include <poll.h>
#include <unistd.h>

#include "common.h"
#include "icount.h"
#include "internal.h"

static const char usage_text[] =
"usage: grpsec-bench --target ADDR:PORT [options]\n"
"\n"
"Members FIRST..FIRST+N-1 of group G send M messages each to the gateway\n"
"at --target; a backend on --listen receives what the gateway forwards.\n"
"Reports messages/s and bytes/s through the gateway, batch sizes, backend\n"
"tag checks per message, drops, latency from member send to backend\n"
"receive, and the gateway's CPU time per message.\n"
"\n"
"Traffic:\n"
"  --proto grpsec|plain  grpsec frames through a gateway (default), or plain\n"
"                 UDP datagrams of the same size routed through it\n"
"  --target ADDR:PORT    the gateway (plain: the backend, via the gateway)\n"
"  --listen [ADDR:]PORT  the backend's socket (default 5741)\n"
"  --members N    simulated members (default 4096)   --first ID (default 1)\n"
"  --messages M   per member (default 10)\n"
"  --payload-size B  24..1280 (default 128)\n"
"  --rate FPS     frames per second in total (default: as fast as the\n"
"                 window allows)\n"
"  --window N     most frames in flight, sent but not yet at the backend\n"
"                 (default 4096; 0 = no limit)\n"
"  --burst        every member reports at once: rounds of N frames sent\n"
"                 back to back, the next round once the last one arrived\n"
"  --seal ahead|inline  seal every frame before the clock starts (default;\n"
"                 send times are kept in a table) or just before sending\n"
"                 (the send time travels in the payload)\n"
"  --tamper-tag   flip a bit of every outer tag: the gateway must drop all\n"
"  --expect-dropped  nothing is to reach the backend (frames the gateway\n"
"                 drops: replayed sequences, unknown members); implied by\n"
"                 --tamper-tag\n"
"  --seq-start S  the members' first sequence number (default 1); a gateway\n"
"                 that saw earlier runs needs a higher one\n"
"  --backend-verify full|batch  open every entry with libgrpsec (default),\n"
"                 or check only each batch's structure, sequence and tag\n"
"                 (identified groups: entries are matched by member and\n"
"                 sequence), so the backend costs less than the gateway\n"
"  --sockets N    member sockets (source ports), default 16\n"
"  --batch K      datagrams per sendmmsg (1..1024, default 64)\n"
"  --round-gap MS with --burst: pause between rounds (default 0)\n"
"  --round-wait COUNTER  with --burst and --gw-stats: after each round,\n"
"                 wait until the gateway's COUNTER (bad-tag, verified, ...)\n"
"                 grew by the frames sent so far (a forged flood has no\n"
"                 arrivals to wait for; the gateway stays busy, not idle)\n"
"  --drain MS     after the last send, wait this long without progress for\n"
"                 late messages (default 1000)\n"
"  --timeout SEC  give up after SEC seconds (default 600)\n"
"Keys (as grpsec-member and grpsec-backend take them):\n"
"  --group G --mode anonymous|identified --suite SUITE --epoch E (default 1)\n"
"  --s-auth SRC (--s-e2e SRC | --k-g SRC) --gateway-id ID\n"
"  (--up-secret SRC | --k-up SRC) [--up-suite SUITE]\n"
"Where things are:\n"
"  --members-netns NS, --backend-netns NS  namespaces of the two sockets\n"
"  --cpus LIST    run the members and the backend on these CPUs (\"0\", \"0,2-3\")\n"
"  --gw-cpus LIST the CPUs whose busy time is the gateway's\n"
"  --gw-procstat CMD  prints the gateway's /proc/stat (default: read it here)\n"
"  --soak         measure the gateway's CPU time with a SCHED_IDLE busy\n"
"                 loop on each --gw-cpus CPU (the gateway runs on this\n"
"                 machine): time the loop lost is time the gateway used\n"
"  --gw-stats CMD prints the gateway's counters, NAME VALUE or NAME=VALUE;\n"
"                 run before and after, the differences are reported\n"
"  --udp-netns NS UDP receive-buffer errors of NS are reported (repeatable)\n"
"  --icount TTY   in a VM under QEMU with grpsec-icount.so: count the guest\n"
"                 instructions each vCPU executes during the run (markers\n"
"                 the plugin sees; it answers on the serial port TTY)\n"
"Output:\n"
"  --label TEXT   names the run in the outputs\n"
"  --json FILE    write the results as JSON (\"-\": stdout, no table)\n"
"  --summary FILE append the main results as one line of NAME=VALUE\n"
"  --progress SEC a progress line on stderr every SEC seconds (0: none)\n"
"  -q             no table\n"
"\n"
"Exit 0 when the run completed (whatever was lost), 1 on bad usage, 2 on a\n"
"runtime failure.\n";

enum {
	OPT_PROTO = 256, OPT_TARGET, OPT_LISTEN, OPT_MEMBERS, OPT_FIRST, OPT_MESSAGES,
	OPT_PAYLOAD, OPT_RATE, OPT_WINDOW, OPT_BURST, OPT_SEAL, OPT_TAMPER, OPT_DROPPED, OPT_SOCKETS,
	OPT_BATCH, OPT_DRAIN, OPT_TIMEOUT, OPT_GROUP, OPT_MODE, OPT_SUITE, OPT_EPOCH,
	OPT_S_AUTH, OPT_S_E2E, OPT_K_G, OPT_GATEWAY_ID, OPT_UP_SECRET, OPT_K_UP,
	OPT_UP_SUITE, OPT_M_NETNS, OPT_B_NETNS, OPT_CPUS, OPT_GW_CPUS, OPT_GW_PROCSTAT,
	OPT_GW_STATS, OPT_UDP_NETNS, OPT_LABEL, OPT_JSON, OPT_SUMMARY, OPT_PROGRESS, OPT_GAP,
	OPT_ROUND_WAIT,
	OPT_BACKEND_VERIFY, OPT_SEQ_START, OPT_SOAK, OPT_ICOUNT,
};

static const struct option options[] = {
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "members", required_argument, NULL, OPT_MEMBERS },
	{ "first", required_argument, NULL, OPT_FIRST },
	{ "messages", required_argument, NULL, OPT_MESSAGES },
	{ "payload-size", required_argument, NULL, OPT_PAYLOAD },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "burst", no_argument, NULL, OPT_BURST },
	{ "seal", required_argument, NULL, OPT_SEAL },
	{ "tamper-tag", no_argument, NULL, OPT_TAMPER },
	{ "expect-dropped", no_argument, NULL, OPT_DROPPED },
	{ "sockets", required_argument, NULL, OPT_SOCKETS },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "suite", required_argument, NULL, OPT_SUITE },
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "s-auth", required_argument, NULL, OPT_S_AUTH },
	{ "s-e2e", required_argument, NULL, OPT_S_E2E },
	{ "k-g", required_argument, NULL, OPT_K_G },
	{ "gateway-id", required_argument, NULL, OPT_GATEWAY_ID },
	{ "up-secret", required_argument, NULL, OPT_UP_SECRET },
	{ "k-up", required_argument, NULL, OPT_K_UP },
	{ "up-suite", required_argument, NULL, OPT_UP_SUITE },
	{ "members-netns", required_argument, NULL, OPT_M_NETNS },
	{ "backend-netns", required_argument, NULL, OPT_B_NETNS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "gw-cpus", required_argument, NULL, OPT_GW_CPUS },
	{ "gw-procstat", required_argument, NULL, OPT_GW_PROCSTAT },
	{ "gw-stats", required_argument, NULL, OPT_GW_STATS },
	{ "udp-netns", required_argument, NULL, OPT_UDP_NETNS },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "round-gap", required_argument, NULL, OPT_GAP },
	{ "round-wait", required_argument, NULL, OPT_ROUND_WAIT },
	{ "backend-verify", required_argument, NULL, OPT_BACKEND_VERIFY },
	{ "seq-start", required_argument, NULL, OPT_SEQ_START },
	{ "soak", no_argument, NULL, OPT_SOAK },
	{ "icount", required_argument, NULL, OPT_ICOUNT },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_CPUS	1024
#define MAX_SOCKETS	256
#define MAX_UDP_NETNS	8

/* Bench payload, inside the inner layer: magic, member index, counter, send time. */
#define BENCH_MAGIC		0x67626368U	/* "gbch" */
#define BENCH_PAYLOAD_MIN	24

enum proto { PROTO_GRPSEC, PROTO_PLAIN };

struct config {
	enum proto proto;
	struct sockaddr_storage target, listen;
	socklen_t target_len, listen_len;
	uint32_t members, first, group, epoch, gateway_id;
	uint64_t messages, seq_start;
	size_t payload_size;
	double rate, drain_ms, timeout, progress, gap_ms;
	uint32_t window;
	bool burst, seal_inline, tamper, dropped, quiet, light, soak;
	unsigned int sockets, batch;
	unsigned int mode, suite, up_suite;
	uint8_t s_auth[GRPSEC_SECRET_LEN], s_e2e[GRPSEC_SECRET_LEN];
	uint8_t k_g[GRPSEC_KEY_MAX_LEN], k_up[GRPSEC_KEY_MAX_LEN];
	bool have_s_auth, have_s_e2e, have_k_up;
	const char *k_g_src, *k_up_src, *up_secret_src;
	const char *m_netns, *b_netns;
	const char *udp_netns[MAX_UDP_NETNS];
	unsigned int n_udp_netns;
	cpu_set_t cpus;
	bool have_cpus;
	bool gw_cpus[MAX_CPUS];
	bool have_gw_cpus;
	const char *gw_procstat, *gw_stats, *label, *json, *summary;
	const char *round_wait;
	const char *icount;
};

static struct config cfg;

/* Parse "0", "1,3", "0-2,5" into @set (bool per CPU). */
static void opt_cpus(const char *opt, const char *val, bool *set)
{
	char *copy = strdup(val), *save = NULL, *tok;

	if (!copy)
		runtime_error("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		uint32_t lo, hi;

		if (dash)
			*dash = '\0';
		lo = opt_u32(opt, tok, 0, MAX_CPUS - 1);
		hi = dash ? opt_u32(opt, dash + 1, lo, MAX_CPUS - 1) : lo;
		for (uint32_t c = lo; c <= hi; c++)
			set[c] = true;
	}
	free(copy);
}

static void parse(int argc, char **argv, struct config *c)
{
	bool have_target = false, have_s_auth = false;
	int opt;

	memset(c, 0, sizeof(*c));
	c->proto = PROTO_GRPSEC;
	c->members = 4096;
	c->first = 1;
	c->messages = 10;
	c->seq_start = 1;
	c->payload_size = 128;
	c->window = 4096;
	c->sockets = 16;
	c->batch = 64;
	c->drain_ms = 1000;
	c->timeout = 600;
	c->group = 1;
	c->epoch = 1;
	c->mode = GRPSEC_MODE_IDENTIFIED;
	c->suite = GRPSEC_SUITE_AES_128_GCM;
	c->up_suite = GRPSEC_SUITE_AES_128_GCM;
	c->label = "run";
	c->listen_len = opt_addr("--listen", "5741", &c->listen, true);
	while ((opt = opt_next(argc, argv, "hq", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_PROTO:
			if (!strcmp(optarg, "grpsec"))
				c->proto = PROTO_GRPSEC;
			else if (!strcmp(optarg, "plain"))
				c->proto = PROTO_PLAIN;
			else
				usage_error("invalid --proto value \"%s\" (expected grpsec or plain)",
					    optarg);
			break;
		case OPT_TARGET:
			c->target_len = opt_addr("--target", optarg, &c->target, false);
			have_target = true;
			break;
		case OPT_LISTEN:
			c->listen_len = opt_addr("--listen", optarg, &c->listen, true);
			break;
		case OPT_MEMBERS:
			c->members = opt_u32("--members", optarg, 1, 1000000);
			break;
		case OPT_FIRST:
			c->first = opt_u32("--first", optarg, 1, UINT32_MAX);
			break;
		case OPT_MESSAGES:
			c->messages = opt_u64("--messages", optarg, 1, 1000000000);
			break;
		case OPT_PAYLOAD:
			c->payload_size = opt_u32("--payload-size", optarg, BENCH_PAYLOAD_MIN,
						  GRPSEC_MAX_PAYLOAD);
			break;
		case OPT_RATE:
			c->rate = opt_double("--rate", optarg, 1, 1e9);
			break;
		case OPT_WINDOW:
			c->window = opt_u32("--window", optarg, 0, UINT32_MAX);
			break;
		case OPT_BURST:
			c->burst = true;
			break;
		case OPT_SEAL:
			if (!strcmp(optarg, "ahead"))
				c->seal_inline = false;
			else if (!strcmp(optarg, "inline"))
				c->seal_inline = true;
			else
				usage_error("invalid --seal value \"%s\" (expected ahead or inline)",
					    optarg);
			break;
		case OPT_TAMPER:
			c->tamper = true;
			c->dropped = true;
			break;
		case OPT_DROPPED:
			c->dropped = true;
			break;
		case OPT_SOCKETS:
			c->sockets = opt_u32("--sockets", optarg, 1, MAX_SOCKETS);
			break;
		case OPT_BATCH:
			c->batch = opt_u32("--batch", optarg, 1, 1024);
			break;
		case OPT_DRAIN:
			c->drain_ms = opt_double("--drain", optarg, 0, 600000);
			break;
		case OPT_TIMEOUT:
			c->timeout = opt_double("--timeout", optarg, 0.001, 86400);
			break;
		case OPT_GROUP:
			c->group = opt_u32("--group", optarg, 1, UINT32_MAX);
			break;
		case OPT_MODE:
			c->mode = opt_mode("--mode", optarg);
			break;
		case OPT_SUITE:
			c->suite = opt_suite("--suite", optarg);
			break;
		case OPT_EPOCH:
			c->epoch = opt_u32("--epoch", optarg, 0, UINT32_MAX);
			break;
		case OPT_S_AUTH:
			opt_bytes("--s-auth", optarg, c->s_auth, GRPSEC_SECRET_LEN);
			have_s_auth = true;
			break;
		case OPT_S_E2E:
			opt_bytes("--s-e2e", optarg, c->s_e2e, GRPSEC_SECRET_LEN);
			c->have_s_e2e = true;
			break;
		case OPT_K_G:
			c->k_g_src = optarg;
			break;
		case OPT_GATEWAY_ID:
			c->gateway_id = opt_u32("--gateway-id", optarg, 0, UINT32_MAX);
			break;
		case OPT_UP_SECRET:
			c->up_secret_src = optarg;
			break;
		case OPT_K_UP:
			c->k_up_src = optarg;
			break;
		case OPT_UP_SUITE:
			c->up_suite = opt_suite("--up-suite", optarg);
			break;
		case OPT_M_NETNS:
			c->m_netns = optarg;
			break;
		case OPT_B_NETNS:
			c->b_netns = optarg;
			break;
		case OPT_CPUS: {
			static bool set[MAX_CPUS];

			opt_cpus("--cpus", optarg, set);
			CPU_ZERO(&c->cpus);
			for (int i = 0; i < MAX_CPUS && i < CPU_SETSIZE; i++)
				if (set[i])
					CPU_SET(i, &c->cpus);
			c->have_cpus = true;
			break;
		}
		case OPT_GW_CPUS:
			opt_cpus("--gw-cpus", optarg, c->gw_cpus);
			c->have_gw_cpus = true;
			break;
		case OPT_GW_PROCSTAT:
			c->gw_procstat = optarg;
			break;
		case OPT_GW_STATS:
			c->gw_stats = optarg;
			break;
		case OPT_UDP_NETNS:
			if (c->n_udp_netns == MAX_UDP_NETNS)
				usage_error("more than %d --udp-netns options", MAX_UDP_NETNS);
			c->udp_netns[c->n_udp_netns++] = optarg;
			break;
		case OPT_LABEL:
			c->label = optarg;
			break;
		case OPT_JSON:
			c->json = optarg;
			break;
		case OPT_SUMMARY:
			c->summary = optarg;
			break;
		case OPT_SOAK:
			c->soak = true;
			break;
		case OPT_ICOUNT:
			c->icount = optarg;
			break;
		case OPT_SEQ_START:
			c->seq_start = opt_u64("--seq-start", optarg, 1, UINT64_MAX / 2);
			break;
		case OPT_BACKEND_VERIFY:
			if (!strcmp(optarg, "full"))
				c->light = false;
			else if (!strcmp(optarg, "batch"))
				c->light = true;
			else
				usage_error("invalid --backend-verify value \"%s\" (expected full or "
					    "batch)", optarg);
			break;
		case OPT_GAP:
			c->gap_ms = opt_double("--round-gap", optarg, 0, 60000);
			break;
		case OPT_ROUND_WAIT:
			c->round_wait = optarg;
			break;
		case OPT_PROGRESS:
			c->progress = opt_double("--progress", optarg, 0, 3600);
			break;
		case 'q':
			c->quiet = true;
			break;
		}
	}
	if (!have_target)
		usage_error("--target is required");
	opt_member_range("--first", c->first, "--members", c->members);
	if (c->tamper && c->proto != PROTO_GRPSEC)
		usage_error("--tamper-tag needs --proto grpsec");
	if (c->proto == PROTO_GRPSEC) {
		if (!have_s_auth)
			usage_error("--s-auth is required");
		opt_inner_key(c->mode, c->have_s_e2e, c->k_g_src);
		if (!c->k_up_src == !c->up_secret_src)
			usage_error("give exactly one of --k-up and --up-secret");
		if (c->k_g_src)
			opt_bytes("--k-g", c->k_g_src, c->k_g, grpsec_suite_key_len(c->suite));
		opt_k_up(c->k_up_src, c->up_secret_src, c->up_suite, c->gateway_id, c->k_up);
		c->have_k_up = true;
	}
	if (c->soak && !c->have_gw_cpus)
		usage_error("--soak needs --gw-cpus");
#ifndef ICOUNT_MARK
	if (c->icount)
		usage_error("--icount: this build has no markers (x86-64 and arm64 only)");
#endif
	if (c->round_wait && (!c->burst || !c->gw_stats))
		usage_error("--round-wait needs --burst and --gw-stats");
	if (c->light && c->proto == PROTO_GRPSEC && c->mode != GRPSEC_MODE_IDENTIFIED)
		usage_error("--backend-verify batch needs --mode identified");
	/* A flood the gateway drops never reaches the backend: no window. */
	if (c->dropped)
		c->window = 0;
}

/* Network namespaces: run a function with the thread inside another one. */

static int netns_enter(const char *name)
{
	char path[256];
	int self, fd;

	if (!name)
		return -1;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		runtime_error("cannot open /proc/self/ns/net: %s", strerror(errno));
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		runtime_error("cannot open network namespace \"%s\": %s", path, strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		runtime_error("cannot enter network namespace \"%s\": %s", path, strerror(errno));
	close(fd);
	return self;
}

static void netns_leave(int self)
{
	if (self < 0)
		return;
	if (setns(self, CLONE_NEWNET))
		runtime_error("cannot return to the initial network namespace: %s",
			      strerror(errno));
	close(self);
}

/* CPU time from /proc/stat */

struct cpu_times {
	uint64_t busy[MAX_CPUS], total[MAX_CPUS];	/* USER_HZ ticks */
	uint64_t all_busy, all_total;
	unsigned int ncpus;
	bool ok;
};

static void procstat_parse(FILE *f, struct cpu_times *t)
{
	char line[512];

	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v[10] = { 0 };
		unsigned int cpu = 0;
		bool all;
		int n;

		if (strncmp(line, "cpu", 3))
			continue;
		all = line[3] == ' ';
		if (!all && sscanf(line + 3, "%u", &cpu) != 1)
			continue;
		n = sscanf(strchr(line, ' '), "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
		if (n < 4 || cpu >= MAX_CPUS)
			continue;
		/* user nice system idle iowait irq softirq steal; guest is in user. */
		uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		uint64_t total = busy + v[3] + v[4];

		if (all) {
			t->all_busy = busy;
			t->all_total = total;
		} else {
			t->busy[cpu] = busy;
			t->total[cpu] = total;
			if (cpu + 1 > t->ncpus)
				t->ncpus = cpu + 1;
		}
		t->ok = true;
	}
}

static void cpu_read(const char *cmd, struct cpu_times *t)
{
	FILE *f = cmd ? popen(cmd, "r") : fopen("/proc/stat", "r");

	memset(t, 0, sizeof(*t));
	if (!f) {
		warnx("cannot read the gateway's /proc/stat%s%s", cmd ? " with " : "",
		      cmd ? cmd : "");
		return;
	}
	procstat_parse(f, t);
	if (cmd ? pclose(f) != 0 : fclose(f) != 0)
		t->ok = false;
	if (!t->ok)
		warnx("no CPU times from %s", cmd ? cmd : "/proc/stat");
}

/* Gateway counters from --gw-stats: NAME VALUE or NAME=VALUE, any layout. */

#define MAX_COUNTERS 64

struct counters {
	char name[MAX_COUNTERS][40];
	uint64_t value[MAX_COUNTERS];
	unsigned int n;
	bool ok;
};

/* One spelling for both gateways: drop-bad-tag, bad_tag -> bad_tag. */
static void counter_norm(const char *name, char *out, size_t size)
{
	size_t i;

	if (!strncmp(name, "drop-", 5) || !strncmp(name, "drop_", 5))
		name += 5;
	for (i = 0; name[i] && i < size - 1; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = '\0';
}

static void counter_set(struct counters *c, const char *name, const char *val)
{
	char *end;
	unsigned long long v;
	size_t len = strlen(name);

	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno || end == val || *end || !len || len >= sizeof(c->name[0]) ||
	    c->n == MAX_COUNTERS)
		return;
	counter_norm(name, c->name[c->n], sizeof(c->name[0]));
	c->value[c->n++] = v;
}

static void counters_read(const char *cmd, struct counters *c)
{
	char line[4096];
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (!cmd)
		return;
	f = popen(cmd, "r");
	if (!f) {
		warnx("cannot run --gw-stats command");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *prev = NULL;

		for (tok = strtok_r(line, " \t\r\n", &save); tok;
		     tok = strtok_r(NULL, " \t\r\n", &save)) {
			char *eq = strchr(tok, '=');

			if (eq) {
				*eq = '\0';
				counter_set(c, tok, eq + 1);
				prev = NULL;
			} else if (prev) {
				counter_set(c, prev, tok);
				prev = NULL;
			} else {
				prev = tok;
			}
		}
	}
	c->ok = pclose(f) == 0;
	if (!c->ok)
		warnx("the --gw-stats command failed");
}

static uint64_t counter_get(const struct counters *c, const char *name, bool *found)
{
	for (unsigned int i = 0; i < c->n; i++) {
		if (!strcmp(c->name[i], name)) {
			if (found)
				*found = true;
			return c->value[i];
		}
	}
	return 0;
}

/* Drops the network stack counts: the netdev backlog, UDP receive buffers. */

struct stack_drops {
	uint64_t backlog;		/* /proc/net/softnet_stat, all CPUs */
	uint64_t udp_rcvbuf[MAX_UDP_NETNS];
};

static uint64_t udp_rcvbuf_errors(void)
{
	char names[1024], values[1024];
	uint64_t result = 0;
	FILE *f = fopen("/proc/self/net/snmp", "r");

	if (!f)
		return 0;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *s1 = NULL, *s2 = NULL, *n, *v;

		if (strncmp(names, "Udp:", 4))
			continue;
		for (n = strtok_r(names, " \n", &s1), v = strtok_r(values, " \n", &s2); n && v;
		     n = strtok_r(NULL, " \n", &s1), v = strtok_r(NULL, " \n", &s2))
			if (!strcmp(n, "RcvbufErrors"))
				result = strtoull(v, NULL, 10);
		break;
	}
	fclose(f);
	return result;
}

static void stack_drops_read(struct stack_drops *d)
{
	char line[512];
	FILE *f = fopen("/proc/net/softnet_stat", "r");

	memset(d, 0, sizeof(*d));
	while (f && fgets(line, sizeof(line), f)) {
		unsigned int processed, dropped;

		if (sscanf(line, "%x %x", &processed, &dropped) == 2)
			d->backlog += dropped;
	}
	if (f)
		fclose(f);
	for (unsigned int i = 0; i < cfg.n_udp_netns; i++) {
		int self = netns_enter(cfg.udp_netns[i]);

		d->udp_rcvbuf[i] = udp_rcvbuf_errors();
		netns_leave(self);
	}
}

/*
 * CPU time by soaking: a SCHED_IDLE thread spins on each gateway CPU and
 * counts its loops.  Anything else that wants the CPU (the gateway's
 * softirqs, workers, processes) takes it from the spinner at once, so the
 * gateway's share is 1 - (loops per second now / loops per second alone).
 * Unlike the tick-sampled /proc/stat, this does not depend on when ticks
 * fall (tick sampling overstates short, tick-correlated bursts of work).
 */
struct soaker {
	pthread_t th;
	int cpu;
	uint64_t loops;			/* updated every SOAK_CHUNK loops */
};

#define SOAK_CHUNK 4096

static struct soaker soakers[MAX_CPUS];
static unsigned int nsoakers;
static bool soak_stop;

static void *soak_thread(void *arg)
{
	struct soaker *sk = arg;
	struct sched_param sp = { 0 };
	cpu_set_t set;
	volatile uint64_t x = 0;

	CPU_ZERO(&set);
	CPU_SET(sk->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		runtime_error("cannot pin the soaker to CPU %d", sk->cpu);
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp))
		runtime_error("cannot make the soaker SCHED_IDLE");
	for (;;) {
#ifdef ICOUNT_SKIP
		/*
		 * Idle time filled, not the gateway's instructions: every
		 * translation block of the loop must hold a skip marker, the
		 * outer loop's too, or its count would grow with idle time.
		 */
		ICOUNT_SKIP();
#endif
		if (__atomic_load_n(&soak_stop, __ATOMIC_RELAXED))
			break;
		for (unsigned int i = 0; i < SOAK_CHUNK; i++) {
#ifdef ICOUNT_SKIP
			ICOUNT_SKIP();
#endif
			x++;
		}
		__atomic_add_fetch(&sk->loops, SOAK_CHUNK, __ATOMIC_RELAXED);
#ifdef ICOUNT_SKIP
		ICOUNT_SKIP();
#endif
	}
	return NULL;
}

static void soak_start(void)
{
	for (int c = 0; c < MAX_CPUS; c++) {
		if (!cfg.gw_cpus[c])
			continue;
		soakers[nsoakers].cpu = c;
		if (pthread_create(&soakers[nsoakers].th, NULL, soak_thread, &soakers[nsoakers]))
			runtime_error("cannot start a soaker");
		nsoakers++;
	}
}

static void soak_stop_all(void)
{
	__atomic_store_n(&soak_stop, true, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < nsoakers; i++)
		pthread_join(soakers[i].th, NULL);
}

/* The loop counts of every soaker, into @out. */
static void soak_read(uint64_t *out)
{
	for (unsigned int i = 0; i < nsoakers; i++)
		out[i] = __atomic_load_n(&soakers[i].loops, __ATOMIC_RELAXED);
}

static double soak_rate[MAX_CPUS];	/* loops per second, CPU otherwise idle */

static void soak_calibrate(void)
{
	uint64_t a[MAX_CPUS], b[MAX_CPUS], t0, t1;

	sleep_ns(200000000);		/* let the spinners settle */
	soak_read(a);
	t0 = now_ns();
	sleep_ns(1000000000);
	soak_read(b);
	t1 = now_ns();
	for (unsigned int i = 0; i < nsoakers; i++)
		soak_rate[i] = (double)(b[i] - a[i]) / ((double)(t1 - t0) / 1e9);
}

/*
 * Instruction counts (--icount): under QEMU with the grpsec-icount.so
 * plugin, a marker instruction at the start and one at the end of the run
 * (icount.h) make the plugin write the instructions each vCPU executed in
 * between to the host end of a serial port, read here from TTY.  Unlike
 * CPU time, the count does not change with the host's load.
 */
static int icount_fd = -1;

static void icount_open(const char *tty)
{
	struct termios t;

	icount_fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (icount_fd < 0)
		runtime_error("--icount: cannot open \"%s\": %s", tty, strerror(errno));
	if (tcgetattr(icount_fd, &t))
		runtime_error("--icount: \"%s\" is not a serial port: %s", tty, strerror(errno));
	cfmakeraw(&t);
	if (tcsetattr(icount_fd, TCSANOW, &t))
		runtime_error("--icount: cannot set \"%s\" raw: %s", tty, strerror(errno));
	/* An answer a killed run never read must not be taken for this one's. */
	tcflush(icount_fd, TCIFLUSH);
}

/*
 * The plugin's answer to the last ICOUNT_STOP, "grpsec-icount 1 N0 N1 ...
 * kernel K0 K1 ...": into @n the instructions of each vCPU, into @k those
 * of kernel code; returns how many vCPUs it has.
 */
static unsigned int icount_read(uint64_t *n, uint64_t *k_out)
{
	char line[4096], *p, *end;
	size_t len = 0;
	unsigned int k = 0, nk = 0;
	uint64_t deadline = now_ns() + 10000000000ULL;

	for (;;) {
		struct pollfd pfd = { .fd = icount_fd, .events = POLLIN };
		ssize_t got;

		if (len && line[len - 1] == '\n')
			break;
		if (now_ns() > deadline)
			runtime_error("--icount: no count from the plugin in 10 s (is QEMU "
				      "running with grpsec-icount.so, out= on this port?)");
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		got = read(icount_fd, line + len, sizeof(line) - 1 - len);
		if (got < 0 && errno != EINTR && errno != EAGAIN)
			runtime_error("--icount: read: %s", strerror(errno));
		if (got > 0)
			len += (size_t)got;
		if (len == sizeof(line) - 1)
			runtime_error("--icount: an answer longer than %zu bytes", len);
	}
	line[len - 1] = '\0';
	if (strncmp(line, "grpsec-icount 1 ", 16))
		runtime_error("--icount: unexpected answer \"%s\"", line);
	for (p = line + 16; *p == ' ' || (*p >= '0' && *p <= '9'); p = end) {
		errno = 0;
		if (k == MAX_CPUS)
			runtime_error("--icount: more than %d vCPUs", MAX_CPUS);
		n[k] = strtoull(p, &end, 10);
		if (end == p || errno)
			break;
		k++;
	}
	if (strncmp(p, " kernel", 7) || !k)
		runtime_error("--icount: bad counts in \"%s\"", line);
	for (p += 7; *p && nk < k; p = end) {
		errno = 0;
		k_out[nk] = strtoull(p, &end, 10);
		if (end == p || errno)
			break;
		nk++;
	}
	if (nk != k || *p)
		runtime_error("--icount: bad counts in \"%s\"", line);
	return k;
}

/* Members */

struct bench_member {
	struct grpsec_member *m;
	uint32_t id;
};

static struct bench_member *members;
static size_t frame_len;		/* on the wire, both protocols */

static void payload_fill(uint8_t *p, size_t len, uint32_t idx, uint64_t counter, uint64_t ts)
{
	put_be32(p, BENCH_MAGIC);
	put_be32(p + 4, idx);
	put_be64(p + 8, counter);
	put_be64(p + 16, ts);
	for (size_t i = BENCH_PAYLOAD_MIN; i < len; i++)
		p[i] = (uint8_t)(idx + counter + i);
}

static bool payload_parse(const uint8_t *p, size_t len, uint32_t *idx, uint64_t *counter,
			  uint64_t *ts)
{
	if (len < BENCH_PAYLOAD_MIN || get_be32(p) != BENCH_MAGIC)
		return false;
	*idx = get_be32(p + 4);
	*counter = get_be64(p + 8);
	*ts = get_be64(p + 16);
	return *idx < cfg.members && *counter >= 1 && *counter <= cfg.messages;
}

static void members_create(void)
{
	members = calloc(cfg.members, sizeof(*members));
	if (!members)
		runtime_error("out of memory for %" PRIu32 " members", cfg.members);
	for (uint32_t i = 0; i < cfg.members; i++) {
		struct grpsec_member_config mc = {
			.group = cfg.group, .member = cfg.first + i, .epoch = cfg.epoch,
			.mode = cfg.mode, .suite = cfg.suite, .msg_limit = UINT64_MAX,
			.seq_reserved = cfg.seq_start - 1,
		};

		members[i].id = cfg.first + i;
		if (cfg.proto == PROTO_GRPSEC)
			members[i].m = sim_member_new(&mc, cfg.s_auth, cfg.s_e2e, cfg.k_g);
	}
}

/* Frame number k (0-based) is message k / members + 1 of member k % members. */
static void frame_build(uint64_t k, uint8_t *buf, uint64_t ts)
{
	uint32_t idx = (uint32_t)(k % cfg.members);
	uint64_t counter = k / cfg.members + 1;
	uint8_t payload[GRPSEC_MAX_PAYLOAD];
	size_t len;
	int err;

	if (cfg.proto == PROTO_PLAIN) {
		payload_fill(buf, frame_len, idx, counter, ts);
		return;
	}
	payload_fill(payload, cfg.payload_size, idx, counter, ts);
	err = grpsec_member_seal_uplink(members[idx].m, payload, cfg.payload_size, buf,
					GRPSEC_UPLINK_MAX_LEN, &len);
	if (err)
		runtime_error("member %" PRIu32 ": frame %" PRIu64 ": %s", members[idx].id,
			      counter, grpsec_strerror(err));
	if (cfg.tamper)
		buf[len - 1] ^= 0x01;
}

/* Shared state of the two threads */

struct shared {
	pthread_mutex_t lock;
	pthread_cond_t progress;
	uint64_t received;		/* distinct messages at the backend */
	uint64_t last_rx_ns;
	bool stop;
};

static struct shared sh = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.progress = PTHREAD_COND_INITIALIZER,
};

static uint64_t *send_ns;		/* per frame, 0 = not sent (sealed ahead) */
static uint8_t *seen;			/* per frame: delivered already */
static uint64_t total_frames;

/* Backend */

#define HIST_BUCKETS 12			/* entries per batch: 1, 2-3, 4-7, ..., 2048+ */

struct backend_stats {
	uint64_t datagrams, bytes, entries, max_entries, duplicates, bad_payload, not_ok;
	uint64_t hist[HIST_BUCKETS];
	uint64_t *lat;			/* ns, per distinct message */
	uint64_t nlat;
	struct grpsec_backend_stats lib;
};

static struct backend_stats bs;
static struct grpsec_backend *backend;
static int backend_fd;

static void deliver(uint32_t idx, uint64_t counter, uint64_t ts, uint64_t now)
{
	uint64_t k = (counter - 1) * cfg.members + idx;
	uint64_t sent = ts ? ts : __atomic_load_n(&send_ns[k], __ATOMIC_ACQUIRE);

	if (seen[k]) {
		bs.duplicates++;
		return;
	}
	seen[k] = 1;
	if (sent && now >= sent)
		bs.lat[bs.nlat++] = now - sent;
	sh.received++;
}

static uint64_t rx_now;

static int entry_cb(void *arg, const struct grpsec_entry *e)
{
	uint32_t idx;
	uint64_t counter, ts;

	(void)arg;
	if (e->status != GRPSEC_ENTRY_OK) {
		bs.not_ok++;
		return 0;
	}
	if (!payload_parse(e->payload, e->payload_len, &idx, &counter, &ts)) {
		bs.bad_payload++;
		return 0;
	}
	deliver(idx, counter, ts, rx_now);
	return 0;
}

static unsigned int hist_bucket(uint64_t n)
{
	unsigned int b = 0;

	while (n > 1 && b < HIST_BUCKETS - 1) {
		n >>= 1;
		b++;
	}
	return b;
}

/*
 * --backend-verify batch: what the backend must do once per batch
 * (structure, gateway, sequence, tag), none of the per-entry opens.
 * Entries of identified groups name their member and carry the sequence
 * in the inner nonce, which is all the bench needs to match them.
 */
static struct grpsec_aead up_ctx;
static uint64_t light_last_seq;

static int light_open(const uint8_t *buf, size_t len, struct grpsec_batch_info *info)
{
	uint8_t tag[GRPSEC_TAG_LEN];
	struct grpsec_batch_entry e;
	struct grpsec_batch b;
	size_t off = 0;
	int r;

	bs.lib.batches++;
	if (grpsec_batch_parse(buf, len, &b)) {
		bs.lib.batch_malformed++;
		return -EPROTO;
	}
	info->count = b.count;
	if (b.gateway != cfg.gateway_id || b.suite != cfg.up_suite) {
		bs.lib.batch_bad_gateway++;
		return -EPROTO;
	}
	if (b.seq <= light_last_seq) {
		bs.lib.batch_replay++;
		return -ESTALE;
	}
	bs.lib.tag_checks++;
	memcpy(tag, b.tag, sizeof(tag));
	if (grpsec_batch_tag(&up_ctx, b.seq, buf, len - GRPSEC_TAG_LEN, tag)) {
		bs.lib.batch_bad_tag++;
		return -EBADMSG;
	}
	light_last_seq = b.seq;
	bs.lib.batches_ok++;
	while ((r = grpsec_batch_entry_next(&b, &off, &e)) == 1) {
		/* Member i's message c carries sequence seq_start + c - 1. */
		uint64_t c = get_be64(e.inner + 4) - cfg.seq_start + 1;

		bs.lib.entries++;
		if (e.group != cfg.group || e.member < cfg.first ||
		    e.member - cfg.first >= cfg.members || c < 1 || c > cfg.messages) {
			bs.not_ok++;
			continue;
		}
		bs.lib.entry[GRPSEC_ENTRY_OK]++;
		deliver(e.member - cfg.first, c, 0, rx_now);
	}
	return r;
}

#define RX_VLEN 64

static void *backend_thread(void *arg)
{
	static uint8_t bufs[RX_VLEN][GRPSEC_BATCH_MAX_LEN];
	struct mmsghdr msgs[RX_VLEN];
	struct iovec iov[RX_VLEN];

	(void)arg;
	for (;;) {
		int r;

		rx_vec_init(msgs, iov, RX_VLEN, bufs, sizeof(bufs[0]), NULL);
		/* SO_RCVTIMEO bounds the wait, so that stop is noticed. */
		r = recvmmsg(backend_fd, msgs, RX_VLEN, MSG_WAITFORONE, NULL);
		if (__atomic_load_n(&sh.stop, __ATOMIC_ACQUIRE))
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			runtime_error("recvmmsg failed: %s", strerror(errno));
		}
		rx_now = now_ns();
		pthread_mutex_lock(&sh.lock);
		for (int i = 0; i < r; i++) {
			size_t len = msgs[i].msg_len;
			uint32_t idx;
			uint64_t counter, ts;

			bs.datagrams++;
			bs.bytes += len;
			if (cfg.proto == PROTO_PLAIN) {
				bs.entries++;
				bs.hist[0]++;
				bs.max_entries = 1;
				if (payload_parse(bufs[i], len, &idx, &counter, &ts))
					deliver(idx, counter, ts, rx_now);
				else
					bs.bad_payload++;
				continue;
			}
			struct grpsec_batch_info info = { 0 };

			if (cfg.light ? light_open(bufs[i], len, &info) :
			    grpsec_backend_open_batch(backend, bufs[i], len, &info, entry_cb, NULL))
				continue;
			bs.entries += info.count;
			bs.hist[hist_bucket(info.count)]++;
			if (info.count > bs.max_entries)
				bs.max_entries = info.count;
		}
		sh.last_rx_ns = rx_now;
		pthread_cond_broadcast(&sh.progress);
		pthread_mutex_unlock(&sh.lock);
	}
	return NULL;
}

static void backend_create(void)
{
	struct grpsec_backend_config bc = {
		.gateway = cfg.gateway_id, .suite = cfg.up_suite, .upstream_key = cfg.k_up,
	};
	struct grpsec_backend_group bg = {
		.group = cfg.group, .epoch = cfg.epoch, .mode = cfg.mode, .suite = cfg.suite,
		.key = cfg.mode == GRPSEC_MODE_IDENTIFIED ? cfg.s_e2e : cfg.k_g,
	};
	struct timeval tv = { .tv_usec = 100000 };
	int self, err;

	if (cfg.proto == PROTO_GRPSEC && cfg.light) {
		if (grpsec_aead_init(&up_ctx, cfg.up_suite, cfg.k_up, false))
			runtime_error("cannot load K_up");
	} else if (cfg.proto == PROTO_GRPSEC) {
		err = grpsec_backend_new(&bc, &backend);
		if (!err)
			err = grpsec_backend_add_group(backend, &bg);
		if (err)
			runtime_error("cannot set up the backend: %s", grpsec_strerror(err));
	}
	self = netns_enter(cfg.b_netns);
	backend_fd = udp_socket(cfg.listen.ss_family, &cfg.listen, cfg.listen_len);
	netns_leave(self);
	setsockopt(backend_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Sender */

struct sender {
	int fd[MAX_SOCKETS];
	unsigned int next_fd;
	struct udp_tx tx;		/* to --target */
	uint64_t first[1024];		/* frame number of each queued datagram */
};

static struct sender sd;

static void sender_flush(void)
{
	int fd = sd.fd[sd.next_fd], err;
	uint64_t now = now_ns();

	sd.next_fd = (sd.next_fd + 1) % cfg.sockets;
	if (!cfg.seal_inline) {
		for (unsigned int i = 0; i < sd.tx.n; i++)
			__atomic_store_n(&send_ns[sd.first[i]], now, __ATOMIC_RELEASE);
	}
	err = udp_tx_flush(&sd.tx, fd, true);
	if (err)
		runtime_error("sendmmsg failed: %s", strerror(-err));
}

static uint64_t run_start, last_progress;

static void progress_line(bool force)
{
	uint64_t now = now_ns(), received;

	if (!cfg.progress)
		return;
	if (!force && now - last_progress < (uint64_t)(cfg.progress * 1e9))
		return;
	last_progress = now;
	pthread_mutex_lock(&sh.lock);
	received = sh.received;
	pthread_mutex_unlock(&sh.lock);
	fprintf(stderr, "%s: %s: %.1f s: sent %" PRIu64 "/%" PRIu64 ", received %" PRIu64
		" (%.0f msg/s)\n", prog, cfg.label, (double)(now - run_start) / 1e9, sd.tx.sent,
		total_frames, received,
		now > run_start ? (double)received / ((double)(now - run_start) / 1e9) : 0);
}

/*
 * Wait until at most @limit frames are in flight, or until nothing arrived
 * for @stall_ns (then the missing ones are taken as lost).  Returns the
 * number in flight.
 */
static uint64_t wait_inflight(uint64_t limit, uint64_t stall_ns)
{
	uint64_t inflight;

	pthread_mutex_lock(&sh.lock);
	for (;;) {
		uint64_t now = now_ns(), since;
		struct timespec ts;

		inflight = sd.tx.sent - sh.received;
		if (inflight <= limit)
			break;
		since = sh.last_rx_ns > run_start ? sh.last_rx_ns : run_start;
		if (now - since >= stall_ns || now > sd.tx.deadline)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sh.progress, &sh.lock, &ts);
		if (cfg.progress) {
			pthread_mutex_unlock(&sh.lock);
			progress_line(false);
			pthread_mutex_lock(&sh.lock);
		}
	}
	pthread_mutex_unlock(&sh.lock);
	return inflight;
}

static uint8_t *frames;			/* sealed ahead, or a ring for inline sealing */
static size_t stride;
static uint64_t stalls;

static uint8_t *frame_slot(uint64_t k)
{
	if (!cfg.seal_inline)
		return frames + k * stride;
	return frames + (k % 1024) * stride;
}

static void send_one(uint64_t k)
{
	uint8_t *buf = frame_slot(k);

	if (cfg.seal_inline)
		frame_build(k, buf, now_ns());
	sd.first[sd.tx.n] = k;
	udp_tx_queue(&sd.tx, buf, frame_len);
	if (sd.tx.n >= cfg.batch)
		sender_flush();
}

static const struct counters *round_base;	/* the gateway's, at the start */

/*
 * --round-wait: until the gateway has counted @sent frames under the
 * counter since the start, or the counter stopped moving for 200 ms (the
 * rest were dropped for another reason, which the report shows).
 */
static void round_wait(uint64_t sent)
{
	uint64_t base, v, last = UINT64_MAX, still_since = now_ns();
	struct counters now;
	bool found = false;
	char name[40];

	counter_norm(cfg.round_wait, name, sizeof(name));
	base = counter_get(round_base, name, NULL);
	for (;;) {
		counters_read(cfg.gw_stats, &now);
		v = counter_get(&now, name, &found);
		if (!found)
			runtime_error("--round-wait: the gateway has no counter \"%s\"",
				      cfg.round_wait);
		if (v - base >= sent)
			return;
		if (v != last) {
			last = v;
			still_since = now_ns();
		} else if (now_ns() - still_since > 200000000) {
			return;
		}
		if (now_ns() > sd.tx.deadline)
			runtime_error("timed out waiting for %s: %" PRIu64 " of %" PRIu64,
				      cfg.round_wait, v - base, sent);
		sleep_ns(2000000);
	}
}

static void run_traffic(void)
{
	uint64_t stall_ns = (uint64_t)(cfg.drain_ms * 1e6);
	uint64_t per_call = cfg.batch;

	if (stall_ns < 200000000)
		stall_ns = 200000000;
	if (cfg.rate && cfg.rate / 1000 < per_call)
		per_call = cfg.rate >= 1000 ? (uint64_t)(cfg.rate / 1000) : 1;

	if (cfg.burst) {
		/* Everyone at once, then wait for the round to arrive. */
		for (uint64_t k = 0; k < total_frames; k++) {
			send_one(k);
			if ((k + 1) % cfg.members)
				continue;
			sender_flush();
			progress_line(false);
			if (cfg.window && wait_inflight(0, stall_ns))
				stalls++;
			if (cfg.round_wait)
				round_wait(k + 1);
			if (cfg.gap_ms)
				sleep_ns((uint64_t)(cfg.gap_ms * 1e6));
			if (now_ns() > sd.tx.deadline)
				runtime_error("timed out after %" PRIu64 " of %" PRIu64 " frames",
					      sd.tx.sent, total_frames);
		}
		return;
	}
	for (uint64_t k = 0; k < total_frames; k++) {
		if (sd.tx.n == 0) {
			/* A new chunk: room in the window, and its time under --rate. */
			if (cfg.window && wait_inflight(cfg.window > per_call ?
							cfg.window - per_call : 0, stall_ns) +
					  per_call > cfg.window)
				stalls++;
			if (cfg.rate) {
				uint64_t due = run_start + (uint64_t)((double)k / cfg.rate * 1e9);
				uint64_t now = now_ns();

				if (due > now)
					sleep_ns(due - now);
			}
			if (now_ns() > sd.tx.deadline)
				runtime_error("timed out after %" PRIu64 " of %" PRIu64 " frames",
					      sd.tx.sent, total_frames);
			progress_line(false);
		}
		send_one(k);
		if (sd.tx.n >= per_call)
			sender_flush();
	}
	sender_flush();
}

/* Waits for the last messages: until all arrived or nothing came for --drain. */
static void drain(void)
{
	if (cfg.dropped) {
		/* Nothing arrives; --round-wait saw the gateway count it all. */
		if (!cfg.round_wait)
			sleep_ns((uint64_t)(cfg.drain_ms * 1e6));
		return;
	}
	pthread_mutex_lock(&sh.lock);
	for (;;) {
		uint64_t now = now_ns(), since;
		struct timespec ts;

		if (sh.received >= sd.tx.sent)
			break;
		since = sh.last_rx_ns > run_start ? sh.last_rx_ns : run_start;
		if (now - since >= (uint64_t)(cfg.drain_ms * 1e6) || now > sd.tx.deadline)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&sh.progress, &sh.lock, &ts);
	}
	pthread_mutex_unlock(&sh.lock);
}

/* Results */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint64_t *v, uint64_t n, double p)
{
	uint64_t i;

	if (!n)
		return 0;
	i = (uint64_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[i] / 1e3;	/* microseconds */
}

struct results {
	double elapsed_s, send_s;
	uint64_t received, lost;
	double mps, rx_bps, tx_bps;
	double lat_p50, lat_p90, lat_p99, lat_max;
	double gw_cpu_s, gw_util, gw_us_per_msg, per_cpu, all_cpu_s;
	unsigned int gw_ncpus;
	double bench_cpu_s;
	bool have_cpu;
	double procstat_cpu_s, soak_cpu_s;
	bool have_soak;
	struct counters gw0, gw1;
	struct stack_drops d0, d1;
	uint64_t gw_processed, gw_dropped;
	bool have_gw_processed;
	uint64_t icount[MAX_CPUS], icount_kernel[MAX_CPUS], gw_insns, gw_kinsns;
	unsigned int n_icount;
	double insns_per_msg, insns_per_frame, counted_s;
};

static double rusage_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void cpu_delta(const struct cpu_times *a, const struct cpu_times *b,
		      struct results *r)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	uint64_t busy = 0, total = 0;
	unsigned int n = 0;

	if (!a->ok || !b->ok)
		return;
	for (unsigned int c = 0; c < b->ncpus && c < MAX_CPUS; c++) {
		if (cfg.have_gw_cpus && !cfg.gw_cpus[c])
			continue;
		busy += b->busy[c] - a->busy[c];
		total += b->total[c] - a->total[c];
		n++;
	}
	r->gw_ncpus = n;
	r->gw_cpu_s = (double)busy / hz;
	r->gw_util = total ? (double)busy / (double)total : 0;
	r->all_cpu_s = (double)(b->all_busy - a->all_busy) / hz;
	r->have_cpu = true;
}

/* The gateway's frames that were dropped, whatever the reason, and those it handled. */
static void gw_totals(struct results *r)
{
	static const char *const handled[] = { "verified", "ok" };
	uint64_t dropped = 0;

	for (unsigned int i = 0; i < r->gw1.n; i++) {
		const char *n = r->gw1.name[i];
		uint64_t d = r->gw1.value[i] - counter_get(&r->gw0, n, NULL);

		if (!strcmp(n, "truncated") || !strcmp(n, "bad_version") ||
		    !strcmp(n, "bad_header") || !strcmp(n, "oversize") ||
		    !strcmp(n, "unknown_group") || !strcmp(n, "unknown_member") ||
		    !strcmp(n, "stale_epoch") || !strcmp(n, "bad_tag") || !strcmp(n, "replay") ||
		    !strcmp(n, "epoch_limit") || !strcmp(n, "no_upstream") ||
		    !strcmp(n, "queue_full") || !strcmp(n, "nomem"))
			dropped += d;
	}
	r->gw_dropped = dropped;
	for (unsigned int i = 0; i < 2; i++) {
		bool found = false;
		uint64_t v = counter_get(&r->gw1, handled[i], &found);

		if (found) {
			r->gw_processed = v - counter_get(&r->gw0, handled[i], NULL);
			r->have_gw_processed = true;
			break;
		}
	}
}

static void json_write(FILE *f, const struct results *r)
{
	const struct grpsec_backend_stats *l = &bs.lib;
	double msgs = (double)r->received;

	fprintf(f, "{\n  \"label\": \"%s\",\n  \"proto\": \"%s\",\n", cfg.label,
		cfg.proto == PROTO_GRPSEC ? "grpsec" : "plain");
	fprintf(f, "  \"config\": {\"members\": %" PRIu32 ", \"messages_per_member\": %" PRIu64
		", \"payload_size\": %zu, \"frame_len\": %zu, \"mode\": \"%s\", \"suite\": \"%s\""
		", \"rate\": %.0f, \"window\": %" PRIu32 ", \"burst\": %s, \"seal\": \"%s\""
		", \"tamper_tag\": %s, \"expect_dropped\": %s, \"sockets\": %u"
		", \"backend_verify\": \"%s\"},\n",
		cfg.members, cfg.messages,
		cfg.payload_size, frame_len, grpsec_mode_name(cfg.mode),
		grpsec_suite_name(cfg.suite), cfg.rate, cfg.window, cfg.burst ? "true" : "false",
		cfg.seal_inline ? "inline" : "ahead", cfg.tamper ? "true" : "false",
		cfg.dropped ? "true" : "false", cfg.sockets,
		cfg.light ? "batch" : "full");
	fprintf(f, "  \"sent\": %" PRIu64 ",\n  \"received\": %" PRIu64 ",\n  \"lost\": %" PRIu64
		",\n  \"duplicates\": %" PRIu64 ",\n  \"bad_payload\": %" PRIu64
		",\n  \"send_retries\": %" PRIu64 ",\n  \"window_stalls\": %" PRIu64 ",\n",
		sd.tx.sent, r->received, r->lost, bs.duplicates, bs.bad_payload, sd.tx.retries,
		stalls);
	fprintf(f, "  \"elapsed_s\": %.6f,\n  \"send_s\": %.6f,\n  \"messages_per_s\": %.1f,\n"
		"  \"uplink_bytes_per_s\": %.1f,\n  \"upstream_bytes_per_s\": %.1f,\n",
		r->elapsed_s, r->send_s, r->mps, r->rx_bps, r->tx_bps);
	fprintf(f, "  \"batches\": {\"datagrams\": %" PRIu64 ", \"entries\": %" PRIu64
		", \"mean_entries\": %.2f, \"max_entries\": %" PRIu64 ", \"histogram\": {",
		bs.datagrams, bs.entries, bs.datagrams ? (double)bs.entries / (double)bs.datagrams : 0,
		bs.max_entries);
	for (unsigned int b = 0, first = 1; b < HIST_BUCKETS; b++) {
		if (!bs.hist[b])
			continue;
		fprintf(f, "%s\"%u\": %" PRIu64, first ? "" : ", ", 1U << b, bs.hist[b]);
		first = 0;
	}
	fprintf(f, "}},\n");
	fprintf(f, "  \"backend\": {\"tag_checks\": %" PRIu64 ", \"tag_checks_per_message\": %.5f"
		", \"tag_checks_per_10000\": %.1f, \"inner_opens\": %" PRIu64
		", \"batch_bad_tag\": %" PRIu64 ", \"batch_replay\": %" PRIu64
		", \"batch_malformed\": %" PRIu64 ", \"entries_refused\": %" PRIu64 "},\n",
		l->tag_checks, msgs ? (double)l->tag_checks / msgs : 0,
		msgs ? (double)l->tag_checks * 10000 / msgs : 0, l->inner_opens, l->batch_bad_tag,
		l->batch_replay, l->batch_malformed, bs.not_ok);
	fprintf(f, "  \"latency_us\": {\"samples\": %" PRIu64 ", \"p50\": %.1f, \"p90\": %.1f"
		", \"p99\": %.1f, \"max\": %.1f},\n", bs.nlat, r->lat_p50, r->lat_p90, r->lat_p99,
		r->lat_max);
	fprintf(f, "  \"cpu\": {\"measured\": %s, \"gateway_cpus\": %u, \"gateway_cpu_s\": %.3f"
		", \"gateway_utilisation\": %.3f, \"gateway_us_per_message\": %.3f"
		", \"messages_per_gateway_cpu_s\": %.1f, \"all_cpus_busy_s\": %.3f"
		", \"bench_cpu_s\": %.3f, \"method\": \"%s\", \"procstat_gateway_cpu_s\": %.3f"
		", \"soak_gateway_cpu_s\": %.3f},\n", r->have_cpu ? "true" : "false", r->gw_ncpus,
		r->gw_cpu_s, r->gw_util, r->gw_us_per_msg, r->per_cpu, r->all_cpu_s,
		r->bench_cpu_s, r->have_soak ? "soak" : "procstat", r->procstat_cpu_s,
		r->soak_cpu_s);
	fprintf(f, "  \"gateway_counters\": {");
	for (unsigned int i = 0; i < r->gw1.n; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", r->gw1.name[i],
			r->gw1.value[i] - counter_get(&r->gw0, r->gw1.name[i], NULL));
	fprintf(f, "},\n");
	fprintf(f, "  \"drops\": {\"gateway\": %" PRIu64 ", \"netdev_backlog\": %" PRIu64,
		r->gw_dropped, r->d1.backlog - r->d0.backlog);
	for (unsigned int i = 0; i < cfg.n_udp_netns; i++)
		fprintf(f, ", \"udp_rcvbuf_%s\": %" PRIu64, cfg.udp_netns[i],
			r->d1.udp_rcvbuf[i] - r->d0.udp_rcvbuf[i]);
	fprintf(f, "}");
	if (r->n_icount) {
		fprintf(f, ",\n  \"instructions\": {\"gateway\": %" PRIu64
			", \"gateway_kernel_mode\": %" PRIu64 ", \"per_message\": %.1f"
			", \"per_frame\": %.1f, \"counted_s\": %.3f, \"per_vcpu\": [", r->gw_insns,
			r->gw_kinsns, r->insns_per_msg, r->insns_per_frame, r->counted_s);
		for (unsigned int c = 0; c < r->n_icount; c++)
			fprintf(f, "%s%" PRIu64, c ? ", " : "", r->icount[c]);
		fprintf(f, "], \"per_vcpu_kernel_mode\": [");
		for (unsigned int c = 0; c < r->n_icount; c++)
			fprintf(f, "%s%" PRIu64, c ? ", " : "", r->icount_kernel[c]);
		fprintf(f, "]}");
	}
	if (r->have_gw_processed)
		fprintf(f, ",\n  \"gateway_frames_per_cpu_s\": {\"verified\": %.1f, \"dropped\": %.1f}",
			r->gw_cpu_s > 0 ? (double)r->gw_processed / r->gw_cpu_s : 0,
			r->gw_cpu_s > 0 ? (double)r->gw_dropped / r->gw_cpu_s : 0);
	fprintf(f, "\n}\n");
}

static void table_write(FILE *f, const struct results *r)
{
	fprintf(f, "%s: %s, %" PRIu32 " members x %" PRIu64 " messages, %zu-byte payloads"
		" (%zu-byte frames)%s%s\n", cfg.label,
		cfg.proto == PROTO_GRPSEC ? "grpsec" : "plain UDP", cfg.members, cfg.messages,
		cfg.payload_size, frame_len, cfg.burst ? ", burst" : "",
		cfg.tamper ? ", tampered tags" : cfg.dropped ? ", all to be dropped" : "");
	fprintf(f, "  %-28s %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64 " lost, %" PRIu64
		" duplicates\n", "messages", sd.tx.sent, r->received, r->lost, bs.duplicates);
	fprintf(f, "  %-28s %.3f s (sending %.3f s)\n", "elapsed", r->elapsed_s, r->send_s);
	fprintf(f, "  %-28s %.0f msg/s, %.2f MB/s in, %.2f MB/s out\n", "through the gateway",
		r->mps, r->rx_bps / 1e6, r->tx_bps / 1e6);
	fprintf(f, "  %-28s %" PRIu64 " datagrams, %.1f entries each, at most %" PRIu64 "\n",
		"batches", bs.datagrams,
		bs.datagrams ? (double)bs.entries / (double)bs.datagrams : 0, bs.max_entries);
	if (cfg.proto == PROTO_GRPSEC)
		fprintf(f, "  %-28s %" PRIu64 " (%.1f per 10,000 messages)\n", "backend tag checks",
			bs.lib.tag_checks,
			r->received ? (double)bs.lib.tag_checks * 10000 / (double)r->received : 0);
	fprintf(f, "  %-28s p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n", "latency",
		r->lat_p50, r->lat_p90, r->lat_p99, r->lat_max);
	if (r->have_cpu)
		fprintf(f, "  %-28s %.3f s on %u CPU(s) (%.0f%% busy, %s): %.2f us/msg, "
			"%.0f msg per CPU-second\n", "gateway CPU", r->gw_cpu_s, r->gw_ncpus,
			r->gw_util * 100, r->have_soak ? "soaker" : "/proc/stat", r->gw_us_per_msg,
			r->per_cpu);
	if (r->have_soak)
		fprintf(f, "  %-28s %.3f s\n", "gateway CPU, /proc/stat", r->procstat_cpu_s);
	if (r->n_icount)
		fprintf(f, "  %-28s %" PRIu64 " (%.0f%% in the kernel): %.0f per message, "
			"%.0f per frame sent\n", "gateway instructions", r->gw_insns,
			r->gw_insns ? 100.0 * (double)r->gw_kinsns / (double)r->gw_insns : 0,
			r->insns_per_msg, r->insns_per_frame);
	fprintf(f, "  %-28s gateway %" PRIu64 ", netdev backlog %" PRIu64, "drops",
		r->gw_dropped, r->d1.backlog - r->d0.backlog);
	for (unsigned int i = 0; i < cfg.n_udp_netns; i++)
		fprintf(f, ", UDP buffer in %s %" PRIu64, cfg.udp_netns[i],
			r->d1.udp_rcvbuf[i] - r->d0.udp_rcvbuf[i]);
	fputc('\n', f);
	for (unsigned int i = 0; i < r->gw1.n; i++) {
		uint64_t d = r->gw1.value[i] - counter_get(&r->gw0, r->gw1.name[i], NULL);

		if (d && strcmp(r->gw1.name[i], "elapsed_ms"))
			fprintf(f, "    gateway %-20s %" PRIu64 "\n", r->gw1.name[i], d);
	}
}

static void summary_write(FILE *f, const struct results *r)
{
	bool found = false;
	uint64_t bad_tag = counter_get(&r->gw1, "bad_tag", &found) -
			   counter_get(&r->gw0, "bad_tag", NULL);

	fprintf(f, "label=%s proto=%s members=%" PRIu32 " payload=%zu sent=%" PRIu64
		" received=%" PRIu64 " lost=%" PRIu64 " duplicates=%" PRIu64 " elapsed_s=%.3f"
		" mps=%.0f gw_cpu_s=%.3f gw_util=%.3f us_per_msg=%.3f per_cpu=%.0f"
		" p50_us=%.0f p99_us=%.0f mean_batch=%.2f tag_checks_per_10000=%.1f"
		" gw_dropped=%" PRIu64 " dropped_per_cpu=%.0f bad_tag=%" PRIu64
		" bad_tag_per_cpu=%.0f"
		" backlog_drops=%" PRIu64 " procstat_cpu_s=%.3f",
		cfg.label, cfg.proto == PROTO_GRPSEC ? "grpsec" : "plain", cfg.members,
		cfg.payload_size, sd.tx.sent, r->received, r->lost, bs.duplicates, r->elapsed_s,
		r->mps, r->gw_cpu_s, r->gw_util, r->gw_us_per_msg, r->per_cpu, r->lat_p50,
		r->lat_p99, bs.datagrams ? (double)bs.entries / (double)bs.datagrams : 0,
		r->received ? (double)bs.lib.tag_checks * 10000 / (double)r->received : 0,
		r->gw_dropped, r->gw_cpu_s > 0 ? (double)r->gw_dropped / r->gw_cpu_s : 0,
		bad_tag, r->gw_cpu_s > 0 ? (double)bad_tag / r->gw_cpu_s : 0,
		r->d1.backlog - r->d0.backlog, r->procstat_cpu_s);
	if (r->n_icount)
		fprintf(f, " gw_insns=%" PRIu64 " gw_kernel_insns=%" PRIu64 " insns_per_msg=%.0f"
			" insns_per_frame=%.0f counted_s=%.3f", r->gw_insns, r->gw_kinsns,
			r->insns_per_msg, r->insns_per_frame, r->counted_s);
	fputc('\n', f);
}

int main(int argc, char **argv)
{
	struct cpu_times c0, c1;
	static struct results r;
	uint64_t soak0[MAX_CPUS], soak1[MAX_CPUS], soak_t0, soak_t1;
	pthread_t th;
	uint64_t t_first, t_end_send;
	double ru0;

	prog = "grpsec-bench";
	parse(argc, argv, &cfg);
	if (cfg.have_cpus && sched_setaffinity(0, sizeof(cfg.cpus), &cfg.cpus))
		runtime_error("cannot pin to --cpus: %s", strerror(errno));

	frame_len = GRPSEC_UPLINK_OVERHEAD + cfg.payload_size;
	total_frames = (uint64_t)cfg.members * cfg.messages;
	stride = (frame_len + 63) & ~(size_t)63;
	if (!cfg.seal_inline && total_frames > (1ULL << 31) / stride)
		usage_error("%" PRIu64 " frames sealed ahead need more than 2 GiB; use fewer "
			    "--messages or --seal inline", total_frames);
	frames = malloc((cfg.seal_inline ? 1024 : total_frames) * stride);
	send_ns = calloc(total_frames, sizeof(*send_ns));
	seen = calloc(total_frames, 1);
	bs.lat = calloc(total_frames, sizeof(*bs.lat));
	if (!frames || !send_ns || !seen || !bs.lat)
		runtime_error("out of memory for %" PRIu64 " frames", total_frames);

	members_create();
	if (!cfg.seal_inline) {
		for (uint64_t k = 0; k < total_frames; k++)
			frame_build(k, frame_slot(k), 0);
	}
	backend_create();
	{
		int self = netns_enter(cfg.m_netns);

		for (unsigned int i = 0; i < cfg.sockets; i++)
			sd.fd[i] = udp_socket(cfg.target.ss_family, NULL, 0);
		netns_leave(self);
	}
	if (pthread_create(&th, NULL, backend_thread, NULL))
		runtime_error("cannot start the backend thread");

	if (cfg.soak) {
		soak_start();
		soak_calibrate();
	}
	if (cfg.icount)
		icount_open(cfg.icount);
	counters_read(cfg.gw_stats, &r.gw0);
	round_base = &r.gw0;
	stack_drops_read(&r.d0);
	cpu_read(cfg.gw_procstat, &c0);
	soak_read(soak0);
	soak_t0 = now_ns();
	ru0 = rusage_s();
	run_start = t_first = now_ns();
	sd.tx.to = &cfg.target;
	sd.tx.to_len = cfg.target_len;
	sd.tx.deadline = run_start + (uint64_t)(cfg.timeout * 1e9);
#ifdef ICOUNT_MARK
	if (cfg.icount)
		ICOUNT_MARK(ICOUNT_CMD_START, 1);
#endif
	run_traffic();
	t_end_send = now_ns();
	drain();
#ifdef ICOUNT_MARK
	if (cfg.icount)
		ICOUNT_MARK(ICOUNT_CMD_STOP, 1);
#endif
	soak_read(soak1);
	soak_t1 = now_ns();
	r.counted_s = (double)(soak_t1 - soak_t0) / 1e9;
	cpu_read(cfg.gw_procstat, &c1);
	r.bench_cpu_s = rusage_s() - ru0;
	stack_drops_read(&r.d1);
	__atomic_store_n(&sh.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	counters_read(cfg.gw_stats, &r.gw1);
	if (cfg.soak)
		soak_stop_all();
	progress_line(true);

	if (backend)
		grpsec_backend_get_stats(backend, &bs.lib);
	grpsec_aead_uninit(&up_ctx);
	r.received = sh.received;
	r.lost = sd.tx.sent - r.received;
	r.elapsed_s = (double)((sh.last_rx_ns > t_first ? sh.last_rx_ns : t_end_send) - t_first) / 1e9;
	r.send_s = (double)(t_end_send - t_first) / 1e9;
	if (r.elapsed_s > 0) {
		r.mps = (double)r.received / r.elapsed_s;
		r.rx_bps = (double)r.received * (double)frame_len / r.elapsed_s;
		r.tx_bps = (double)bs.bytes / r.elapsed_s;
	}
	qsort(bs.lat, bs.nlat, sizeof(*bs.lat), cmp_u64);
	r.lat_p50 = pct(bs.lat, bs.nlat, 50);
	r.lat_p90 = pct(bs.lat, bs.nlat, 90);
	r.lat_p99 = pct(bs.lat, bs.nlat, 99);
	r.lat_max = bs.nlat ? (double)bs.lat[bs.nlat - 1] / 1e3 : 0;
	cpu_delta(&c0, &c1, &r);
	r.procstat_cpu_s = r.gw_cpu_s;
	if (cfg.soak) {
		double secs = (double)(soak_t1 - soak_t0) / 1e9, used = 0;

		for (unsigned int i = 0; i < nsoakers; i++) {
			double share = soak_rate[i] > 0 ?
				1 - (double)(soak1[i] - soak0[i]) / secs / soak_rate[i] : 0;

			used += (share < 0 ? 0 : share > 1 ? 1 : share) * secs;
		}
		r.soak_cpu_s = used;
		r.have_soak = true;
		/* The soaker's figure is the one the results use. */
		r.gw_cpu_s = used;
		r.gw_util = secs > 0 ? used / secs / nsoakers : 0;
		r.have_cpu = true;
	}
	if (r.have_cpu && r.received) {
		r.gw_us_per_msg = r.gw_cpu_s * 1e6 / (double)r.received;
		r.per_cpu = r.gw_cpu_s > 0 ? (double)r.received / r.gw_cpu_s : 0;
	}
	gw_totals(&r);
	if (cfg.icount) {
		r.n_icount = icount_read(r.icount, r.icount_kernel);
		for (unsigned int c = 0; c < r.n_icount; c++) {
			if (cfg.have_gw_cpus && !cfg.gw_cpus[c])
				continue;
			r.gw_insns += r.icount[c];
			r.gw_kinsns += r.icount_kernel[c];
		}
		if (r.received)
			r.insns_per_msg = (double)r.gw_insns / (double)r.received;
		if (sd.tx.sent)
			r.insns_per_frame = (double)r.gw_insns / (double)sd.tx.sent;
		close(icount_fd);
	}

	if (cfg.json) {
		FILE *f = strcmp(cfg.json, "-") ? fopen(cfg.json, "w") : stdout;

		if (!f)
			runtime_error("cannot write --json file \"%s\": %s", cfg.json,
				      strerror(errno));
		json_write(f, &r);
		if (f != stdout && fclose(f))
			runtime_error("cannot write --json file \"%s\"", cfg.json);
	}
	if (cfg.summary) {
		FILE *f = fopen(cfg.summary, "a");

		if (!f)
			runtime_error("cannot write --summary file \"%s\": %s", cfg.summary,
				      strerror(errno));
		summary_write(f, &r);
		fclose(f);
	}
	if (!cfg.quiet && !(cfg.json && !strcmp(cfg.json, "-")))
		table_write(stdout, &r);

	for (unsigned int i = 0; i < cfg.sockets; i++)
		close(sd.fd[i]);
	close(backend_fd);
	for (uint32_t i = 0; i < cfg.members; i++)
		grpsec_member_free(members[i].m);
	grpsec_backend_free(backend);
	free(members);
	free(frames);
	free(send_ns);
	free(seen);
	free(bs.lat);
	return EXIT_OK;
}
