// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* Shared helpers of the grpsec simulators and the benchmark. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"

const char *prog = "grpsec-sim";

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

void runtime_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(EXIT_RUNTIME);
}

void warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

int opt_next(int argc, char **argv, const char *optstring, const struct option *longopts,
	     const char *usage)
{
	int opt = getopt_long(argc, argv, optstring, longopts, NULL);

	if (opt == 'h') {
		fputs(usage, stdout);
		exit(EXIT_OK);
	}
	if (opt == '?') {
		fputs(usage, stderr);
		exit(EXIT_USAGE);
	}
	if (opt == -1 && optind < argc)
		usage_error("unexpected argument \"%s\"", argv[optind]);
	return opt;
}

uint64_t opt_u64(const char *opt, const char *val, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!val || !*val || *val == '-' || isspace((unsigned char)*val))
		goto bad;
	v = strtoull(val, &end, 0);
	if (errno || *end || v < min || v > max)
		goto bad;
	return v;
bad:
	usage_error("invalid %s value \"%s\" (expected an integer in %llu..%llu)", opt,
		    val ? val : "", (unsigned long long)min, (unsigned long long)max);
}

uint32_t opt_u32(const char *opt, const char *val, uint32_t min, uint32_t max)
{
	return (uint32_t)opt_u64(opt, val, min, max);
}

double opt_double(const char *opt, const char *val, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = val ? strtod(val, &end) : 0;
	if (!val || !*val || errno || *end || !(v >= min && v <= max))
		usage_error("invalid %s value \"%s\" (expected a number in %g..%g)", opt,
			    val ? val : "", min, max);
	return v;
}

unsigned int opt_suite(const char *opt, const char *val)
{
	unsigned int s = grpsec_suite_from_name(val);

	if (!s)
		usage_error("invalid %s value \"%s\" (expected aes-128-gcm, aes-256-gcm, "
			    "chacha20-poly1305 or 1..3)", opt, val ? val : "");
	return s;
}

unsigned int opt_mode(const char *opt, const char *val)
{
	if (val && !strcmp(val, "anonymous"))
		return GRPSEC_MODE_ANONYMOUS;
	if (val && !strcmp(val, "identified"))
		return GRPSEC_MODE_IDENTIFIED;
	usage_error("invalid %s value \"%s\" (expected anonymous or identified)", opt,
		    val ? val : "");
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool hex_decode(const char *s, size_t n, uint8_t *out, size_t len)
{
	if (n != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void opt_bytes(const char *opt, const char *src, uint8_t *out, size_t len)
{
	uint8_t buf[2 * GRPSEC_KEY_MAX_LEN + 3];
	size_t n = 0;
	ssize_t r;
	int fd;

	if (!src || !*src)
		usage_error("missing %s value", opt);
	if (!strncmp(src, "hex:", 4)) {
		if (!hex_decode(src + 4, strlen(src + 4), out, len))
			usage_error("invalid %s value \"%.12s...\" (expected hex: and %zu hex digits)",
				    opt, src, 2 * len);
		return;
	}
	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		usage_error("cannot open %s file \"%s\": %s", opt, src, strerror(errno));
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			usage_error("cannot read %s file \"%s\": %s", opt, src, strerror(errno));
		n += (size_t)r;
	}
	close(fd);
	if (n == len) {
		memcpy(out, buf, len);
		return;
	}
	while (n > 0 && isspace(buf[n - 1]))
		n--;
	if (!hex_decode((const char *)buf, n, out, len))
		usage_error("%s file \"%s\" does not hold %zu bytes (raw, or %zu hex digits)",
			    opt, src, len, 2 * len);
}

void opt_member_range(const char *first_opt, uint32_t first, const char *count_opt,
		      uint32_t count)
{
	if ((uint64_t)first + count - 1 > UINT32_MAX)
		usage_error("%s %" PRIu32 " with %s %" PRIu32 " passes member id %" PRIu32,
			    first_opt, first, count_opt, count, UINT32_MAX);
}

void opt_inner_key(unsigned int mode, bool have_s_e2e, const char *k_g_src)
{
	if (mode == GRPSEC_MODE_IDENTIFIED && !have_s_e2e)
		usage_error("--s-e2e is required for identified groups");
	if (mode == GRPSEC_MODE_ANONYMOUS && !k_g_src)
		usage_error("--k-g is required for anonymous groups");
}

socklen_t opt_addr(const char *opt, const char *val, struct sockaddr_storage *ss,
		   bool allow_any)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	uint32_t port;

	memset(ss, 0, sizeof(*ss));
	if (!val || !*val)
		usage_error("missing %s value", opt);
	colon = strrchr(val, ':');
	if (!colon) {
		if (!allow_any)
			usage_error("invalid %s value \"%s\" (expected ADDR:PORT)", opt, val);
		port_s = val;
		host[0] = '\0';
	} else {
		size_t hl = (size_t)(colon - val);

		if (hl >= sizeof(host))
			usage_error("invalid %s value \"%s\" (address too long)", opt, val);
		memcpy(host, val, hl);
		host[hl] = '\0';
		port_s = colon + 1;
	}
	{
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(port_s, &end, 10);
		if (!*port_s || *end || errno || v > 65535 || (!allow_any && !v) ||
		    *port_s == '-' || *port_s == '+')
			usage_error("invalid %s value \"%s\" (expected %sPORT, port %s..65535)", opt,
				    val, allow_any ? "[ADDR:]" : "ADDR:", allow_any ? "0" : "1");
		port = (uint32_t)v;
	}
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t hl = strlen(host);

		if (hl < 3 || host[hl - 1] != ']')
			usage_error("invalid %s value \"%s\" (expected [ADDR6]:PORT)", opt, val);
		host[hl - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			usage_error("invalid %s address \"%s\"", opt, host + 1);
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (host[0] && inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			usage_error("invalid %s address \"%s\" (IPv4, or [IPv6])", opt, host);
		return sizeof(*s4);
	}
}

int udp_socket(int family, const struct sockaddr_storage *bind_to, socklen_t len)
{
	/* A fan-out of 20,000 command frames queues about 40 MB. */
	int rsize = 64 << 20, size = 8 << 20;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		runtime_error("cannot create a UDP socket: %s", strerror(errno));
	/*
	 * Best effort: the kernel caps these at net.core.*mem_max, except
	 * for a caller with CAP_NET_ADMIN (a fan-out to thousands of
	 * simulated members arrives faster than one receiver reads it).
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rsize, sizeof(rsize)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind_to && bind((int)fd, (const struct sockaddr *)bind_to, len)) {
		char a[INET6_ADDRSTRLEN] = "?";

		if (bind_to->ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)bind_to)->sin_addr, a,
				  sizeof(a));
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)bind_to)->sin6_addr, a,
				  sizeof(a));
		runtime_error("cannot bind UDP %s port %u: %s", a,
			      ntohs(((const struct sockaddr_in *)bind_to)->sin_port),
			      strerror(errno));
	}
	return fd;
}

uint16_t socket_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int write_ready_file(const char *path, int fd)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "port=%u\n", socket_port(fd));

	return write_file_atomic(path, text, (size_t)len);
}

volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void rx_vec_init(struct mmsghdr *msgs, struct iovec *iov, unsigned int n, void *bufs,
		 size_t size, struct sockaddr_storage *from)
{
	for (unsigned int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ .iov_base = (uint8_t *)bufs + i * size, .iov_len = size };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		if (from) {
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
	}
}

void udp_tx_queue(struct udp_tx *tx, void *buf, size_t len)
{
	tx->iov[tx->n] = (struct iovec){ .iov_base = buf, .iov_len = len };
	tx->msgs[tx->n] = (struct mmsghdr){ .msg_hdr = {
		.msg_name = (void *)tx->to, .msg_namelen = tx->to_len,
		.msg_iov = &tx->iov[tx->n], .msg_iovlen = 1 } };
	tx->n++;
}

int udp_tx_flush(struct udp_tx *tx, int fd, bool eperm)
{
	unsigned int off = 0;

	while (off < tx->n) {
		int r = sendmmsg(fd, tx->msgs + off, tx->n - off, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED &&
			    (!eperm || errno != EPERM))
				return -errno;
			/* A full queue or a stale ICMP error: wait a little and go on. */
			tx->retries++;
			if (now_ns() > tx->deadline)
				runtime_error("timed out while the send queue stayed full");
			sleep_ns(50000);
			continue;
		}
		for (int i = 0; i < r; i++)
			tx->bytes += tx->msgs[off + i].msg_hdr.msg_iov->iov_len;
		tx->sent += (unsigned int)r;
		off += (unsigned int)r;
	}
	tx->n = 0;
	return 0;
}

int write_file_atomic(const char *path, const void *text, size_t len)
{
	return grpsec_file_write_atomic(path, text, len);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void hex_print(FILE *f, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", p[i]);
}

char *hex_string(const uint8_t *p, size_t len)
{
	char *s = malloc(2 * len + 1);

	if (!s)
		runtime_error("out of memory");
	for (size_t i = 0; i < len; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * len] = '\0';
	return s;
}

void sim_payload_fill(uint8_t *p, size_t len, uint32_t group, uint32_t member, uint64_t counter)
{
	put_be32(p, SIM_MAGIC);
	put_be32(p + 4, group);
	put_be32(p + 8, member);
	put_be64(p + 12, counter);
	for (size_t i = SIM_PAYLOAD_MIN; i < len; i++)
		p[i] = (uint8_t)(member + counter + i);
}

bool sim_payload_parse(const uint8_t *p, size_t len, uint32_t *group, uint32_t *member,
		       uint64_t *counter)
{
	if (len < SIM_PAYLOAD_MIN || get_be32(p) != SIM_MAGIC)
		return false;
	*group = get_be32(p + 4);
	*member = get_be32(p + 8);
	*counter = get_be64(p + 12);
	for (size_t i = SIM_PAYLOAD_MIN; i < len; i++) {
		if (p[i] != (uint8_t)(*member + *counter + i))
			return false;
	}
	return true;
}

static size_t triple_hash(uint32_t g, uint32_t m, uint64_t c)
{
	uint64_t h = (c + 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)g << 32 | m);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return (size_t)(h ^ (h >> 33));
}

/* An all-zero triple marks an empty slot; counters start at 1. */
static void triple_place(struct triple_set *s, struct triple t)
{
	size_t i = triple_hash(t.group, t.member, t.counter) & (s->nslots - 1);

	while (s->slots[i].counter)
		i = (i + 1) & (s->nslots - 1);
	s->slots[i] = t;
}

int triple_set_add(struct triple_set *s, uint32_t group, uint32_t member, uint64_t counter)
{
	struct triple t = { group, member, counter };

	if (!counter)
		return 0;
	if (s->nslots) {
		for (size_t i = triple_hash(group, member, counter) & (s->nslots - 1);
		     s->slots[i].counter; i = (i + 1) & (s->nslots - 1)) {
			if (s->slots[i].group == group && s->slots[i].member == member &&
			    s->slots[i].counter == counter)
				return 0;
		}
	}
	if ((s->used + 1) * 2 > s->nslots) {
		struct triple_set n = { .nslots = s->nslots ? s->nslots * 2 : 4096,
					.used = s->used };

		n.slots = calloc(n.nslots, sizeof(*n.slots));
		if (!n.slots)
			return -ENOMEM;
		for (size_t i = 0; i < s->nslots; i++) {
			if (s->slots[i].counter)
				triple_place(&n, s->slots[i]);
		}
		free(s->slots);
		*s = n;
	}
	triple_place(s, t);
	s->used++;
	return 1;
}

void triple_set_free(struct triple_set *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

void opt_group(const char *opt, const char *val, struct sim_group *g, size_t key_len)
{
	char buf[1024], *f[5];
	char *p = buf;

	if (!val || strlen(val) >= sizeof(buf))
		usage_error("invalid %s value \"%s\"", opt, val ? val : "");
	strcpy(buf, val);
	/* The first four fields end at a colon; KEYSRC is the rest ("hex:..." too). */
	for (int i = 0; i < 4; i++) {
		char *c = strchr(p, ':');

		if (!c)
			usage_error("invalid %s value \"%s\" (expected GROUP:MODE:SUITE:EPOCH:KEYSRC)",
				    opt, val);
		*c = '\0';
		f[i] = p;
		p = c + 1;
	}
	f[4] = p;
	memset(g, 0, sizeof(*g));
	g->group = opt_u32(opt, f[0], 1, UINT32_MAX);
	g->mode = opt_mode(opt, f[1]);
	g->suite = opt_suite(opt, f[2]);
	g->epoch = opt_u32(opt, f[3], 0, UINT32_MAX);
	if (!key_len)
		key_len = g->mode == GRPSEC_MODE_IDENTIFIED ? GRPSEC_SECRET_LEN :
			  grpsec_suite_key_len(g->suite);
	opt_bytes(opt, f[4], g->key, key_len);
}

void print_payload(FILE *f, const uint8_t *p, size_t len)
{
	uint32_t group, member;
	uint64_t counter;
	bool text = len > 0;

	if (sim_payload_parse(p, len, &group, &member, &counter)) {
		fprintf(f, "sim:%" PRIu32 "/%" PRIu32 "/%" PRIu64, group, member, counter);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			text = false;
	if (text) {
		fwrite(p, 1, len, f);
		return;
	}
	fputs("hex:", f);
	hex_print(f, p, len);
}

void opt_k_up(const char *k_up_src, const char *up_secret_src, unsigned int suite,
	      uint32_t gateway, uint8_t *out)
{
	size_t kl = grpsec_suite_key_len(suite);
	uint8_t secret[GRPSEC_SECRET_LEN];
	int err;

	if (k_up_src) {
		opt_bytes("--k-up", k_up_src, out, kl);
		return;
	}
	opt_bytes("--up-secret", up_secret_src, secret, sizeof(secret));
	err = grpsec_kdf_upstream_key(suite, secret, gateway, out, kl);
	memset(secret, 0, sizeof(secret));
	if (err)
		runtime_error("cannot derive K_up: %s", grpsec_strerror(err));
}

struct grpsec_member *sim_member_new(const struct grpsec_member_config *mc,
				     const uint8_t *s_auth, const uint8_t *s_e2e,
				     const uint8_t *k_g)
{
	uint8_t k_m[GRPSEC_KEY_MAX_LEN], k_in[GRPSEC_KEY_MAX_LEN];
	struct grpsec_member_config c = *mc;
	size_t kl = grpsec_suite_key_len(c.suite);
	struct grpsec_member *m = NULL;
	int err;

	c.member_key = k_m;
	c.inner_key = k_in;
	err = grpsec_kdf_member_key(c.suite, s_auth, c.group, c.epoch, c.member, k_m, kl);
	if (!err && c.mode == GRPSEC_MODE_IDENTIFIED)
		err = grpsec_kdf_e2e_key(c.suite, s_e2e, c.group, c.epoch, c.member, k_in, kl);
	else if (!err)
		memcpy(k_in, k_g, kl);
	if (!err)
		err = grpsec_member_new(&c, &m);
	memset(k_m, 0, sizeof(k_m));
	memset(k_in, 0, sizeof(k_in));
	if (err)
		runtime_error("member %" PRIu32 ": cannot set up: %s", c.member,
			      grpsec_strerror(err));
	return m;
}
