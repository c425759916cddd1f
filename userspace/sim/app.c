// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-app: the application's end, in two places.  On a terminate mode
 * gateway the module opens a group's messages itself and sends each to a
 * local UDP port with a 24-byte header (frames.rst, "Local delivery");
 * --listen takes those.  On the backend, grpsecd manager hands every
 * message it opened to its ApplicationSocket (grpsecd.rst, "Application
 * socket"); --manager reads those records.  Either way, one line per
 * message, and the simulator's payloads checked for exactly once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"

static const char usage_text[] =
"usage: grpsec-app (--listen [ADDR:]PORT | --manager SOCKET) [--count N]\n"
"                  [--timeout SEC] [--quiet] [--ready-file FILE]\n"
"                  [--send \"GROUP MEMBER|* TEXT\"]...\n"
"\n"
"--listen: receives the messages a terminate mode gateway delivers locally\n"
"(a 24-byte header: version, type, suite, flags, group, epoch, member,\n"
"sequence; then the plaintext).  Datagrams that are not such a header are\n"
"counted as malformed.  The address defaults to 127.0.0.1.\n"
"--manager: connects to grpsecd manager's ApplicationSocket and reads its\n"
"records (grpsecd.rst); a record that breaks the format ends the run.\n"
"\n"
"Prints one line per message:\n"
"  message group G member M epoch E seq S payload P\n"
"(--manager: \"message gateway W group G ...\", member and seq 0 for an\n"
"anonymous group) where P is the text when it is printable, sim:G/M/C for\n"
"a simulator payload, or hex:...  Simulator payloads seen twice are\n"
"counted as duplicates.\n"
"\n"
"  --count N      exit after N messages (exit 2 if the timeout comes first)\n"
"  --timeout SEC  stop after SEC seconds (default 60)\n"
"  --quiet        no line per message, only the summary\n"
"  --ready-file FILE  written (\"port=N\") once the socket is bound\n"
"                 (--manager: \"connected\" once the hello is sent)\n"
"  --send REQ     --manager: ask for a signed command to GROUP (all of it,\n"
"                 or one MEMBER) carrying TEXT, after the hello; each answer\n"
"                 is printed as \"answer ok ...\" or \"answer error ...\".\n"
"                 Without --count the run ends once every request is\n"
"                 answered (exit 2 if one was refused).\n"
"\n"
"Ends with one line of key=value counters.  Exit 0 ok, 1 usage, 2 runtime.\n";

enum { OPT_LISTEN = 256, OPT_MANAGER, OPT_COUNT, OPT_TIMEOUT, OPT_QUIET, OPT_READY,
       OPT_SEND };

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "manager", required_argument, NULL, OPT_MANAGER },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "send", required_argument, NULL, OPT_SEND },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define DELIVER_HDR_LEN	24
/* A record of the manager's application socket (grpsecd.rst). */
#define RECORD_HDR_LEN	2
#define RECORD_FIXED_LEN	26
#define RECORD_MAX_LEN	(RECORD_FIXED_LEN + GRPSEC_MAX_PAYLOAD)
#define REPLY_KIND	0x80	/* a record that answers a request */
#define SEND_MAX	16

struct app {
	uint64_t messages, malformed, duplicates, bytes;
	unsigned int answers, refused;
	bool quiet;
	struct triple_set seen;
};

/* count_payload() - a simulator payload already seen is a duplicate. */
static void count_payload(struct app *a, const uint8_t *p, size_t len)
{
	uint32_t group, member;
	uint64_t counter;
	int rc;

	a->messages++;
	if (!sim_payload_parse(p, len, &group, &member, &counter))
		return;
	rc = triple_set_add(&a->seen, group, member, counter);
	if (rc < 0)
		runtime_error("out of memory");
	if (rc == 0)
		a->duplicates++;
}

/* One datagram of local delivery; false when it is not one. */
static bool local_message(struct app *a, const uint8_t *buf, size_t n)
{
	if (n < DELIVER_HDR_LEN || buf[0] != GRPSEC_VERSION || buf[1] != GRPSEC_TYPE_UPLINK ||
	    buf[3] != 0 || n > DELIVER_HDR_LEN + GRPSEC_MAX_PAYLOAD)
		return false;
	count_payload(a, buf + DELIVER_HDR_LEN, n - DELIVER_HDR_LEN);
	if (a->quiet)
		return true;
	printf("message group %" PRIu32 " member %" PRIu32 " epoch %" PRIu32 " seq %" PRIu64
	       " payload ", get_be32(buf + 4), get_be32(buf + 12), get_be32(buf + 8),
	       get_be64(buf + 16));
	print_payload(stdout, buf + DELIVER_HDR_LEN, n - DELIVER_HDR_LEN);
	putchar('\n');
	fflush(stdout);
	return true;
}

/*
 * One record of the manager (@buf after its be16 length, @n bytes);
 * false when it breaks the format.
 */
static bool manager_record(struct app *a, const uint8_t *buf, size_t n)
{
	if (n >= 2 && buf[0] == 1 && buf[1] == REPLY_KIND) {
		a->answers++;
		a->refused += n < 4 || memcmp(buf + 2, "ok", 2);
		printf("answer %.*s\n", (int)(n - 2), (const char *)buf + 2);
		fflush(stdout);
		return true;
	}
	if (n < RECORD_FIXED_LEN || buf[0] != 1 || buf[1] > 1)
		return false;
	count_payload(a, buf + RECORD_FIXED_LEN, n - RECORD_FIXED_LEN);
	if (a->quiet)
		return true;
	printf("message gateway %" PRIu32 " group %" PRIu32 " member %" PRIu32 " epoch %" PRIu32
	       " seq %" PRIu64 " payload ", get_be32(buf + 2), get_be32(buf + 6),
	       get_be32(buf + 14), get_be32(buf + 10), get_be64(buf + 18));
	print_payload(stdout, buf + RECORD_FIXED_LEN, n - RECORD_FIXED_LEN);
	putchar('\n');
	fflush(stdout);
	return true;
}

static int manager_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static const char hello[] = "records\n";
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		usage_error("--manager: the socket path is too long");
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		runtime_error("socket failed: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		runtime_error("cannot connect to \"%s\": %s (is grpsecd manager running with "
			      "ApplicationSocket there?)", path, strerror(errno));
	if (write(fd, hello, sizeof(hello) - 1) != (ssize_t)sizeof(hello) - 1)
		runtime_error("cannot send the hello to \"%s\": %s", path, strerror(errno));
	return fd;
}

/*
 * manager_read() - take what the stream has into @in (@have bytes kept
 * between calls) and handle every whole record.  Returns 0, or -1 when
 * the manager closed the socket or sent something that is not a record.
 */
static int manager_read(struct app *a, int fd, uint8_t *in, size_t *have, const char **result)
{
	ssize_t n = read(fd, in + *have, RECORD_HDR_LEN + RECORD_MAX_LEN - *have);
	size_t off = 0;

	if (n < 0)
		return (errno == EINTR || errno == EAGAIN) ? 0 : (*result = "read-error", -1);
	if (n == 0) {
		*result = "closed";
		return -1;
	}
	/* The manager answers a bad hello with a line, not a record. */
	if (!a->messages && !*have && n >= 6 && !memcmp(in, "error:", 6)) {
		fprintf(stderr, "grpsec-app: the manager said: %.*s", (int)n, (char *)in);
		*result = "refused";
		return -1;
	}
	a->bytes += (uint64_t)n;
	*have += (size_t)n;
	while (*have - off >= RECORD_HDR_LEN) {
		size_t len = get_be16(in + off);

		if (len < 2 || len > RECORD_MAX_LEN)
			goto malformed;
		if (*have - off < RECORD_HDR_LEN + len)
			break;		/* the rest comes with the next read */
		if (!manager_record(a, in + off + RECORD_HDR_LEN, len))
			goto malformed;
		off += RECORD_HDR_LEN + len;
	}
	memmove(in, in + off, *have - off);
	*have -= off;
	return 0;

malformed:
	a->malformed++;
	*result = "malformed";
	return -1;
}

/* "GROUP MEMBER|* TEXT" as the request line "send GROUP MEMBER|* HEX". */
static void send_request(int fd, const char *req)
{
	char line[64 + 2 * GRPSEC_COMMAND_MAX_PAYLOAD + 2], *p;
	unsigned int group;
	char member[16];
	int off = 0;
	size_t len;

	if (sscanf(req, "%u %15s %n", &group, member, &off) < 2 || !off)
		usage_error("--send \"%s\": expected \"GROUP MEMBER|* TEXT\"", req);
	len = strlen(req + off);
	if (len > GRPSEC_COMMAND_MAX_PAYLOAD)
		usage_error("--send: at most %u bytes of text", GRPSEC_COMMAND_MAX_PAYLOAD);
	p = line + snprintf(line, sizeof(line), "send %u %s ", group, member);
	for (size_t i = 0; i < len; i++)
		p += sprintf(p, "%02x", (unsigned char)req[off + i]);
	*p++ = '\n';
	if (write(fd, line, (size_t)(p - line)) != p - line)
		runtime_error("cannot send a request: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	static uint8_t buf[RECORD_HDR_LEN + RECORD_MAX_LEN + DELIVER_HDR_LEN + 1];
	struct sockaddr_storage listen;
	socklen_t listen_len = 0;
	const char *manager = NULL;
	uint64_t count = 0, deadline;
	double timeout = 60;
	struct app a = { 0 };
	const char *ready = NULL, *result = "ok";
	const char *sends[SEND_MAX];
	unsigned int nsends = 0;
	size_t have = 0;
	int opt, fd, status = EXIT_OK;

	prog = "grpsec-app";
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			listen_len = opt_addr("--listen", optarg, &listen, true);
			break;
		case OPT_MANAGER:
			manager = optarg;
			break;
		case OPT_COUNT:
			count = opt_u64("--count", optarg, 1, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			timeout = opt_double("--timeout", optarg, 0.001, 86400);
			break;
		case OPT_QUIET:
			a.quiet = true;
			break;
		case OPT_READY:
			ready = optarg;
			break;
		case OPT_SEND:
			if (nsends == SEND_MAX)
				usage_error("--send: at most %u requests", SEND_MAX);
			sends[nsends++] = optarg;
			break;
		}
	}
	if (!listen_len == !manager)
		usage_error("one of --listen and --manager is required");
	if (nsends && !manager)
		usage_error("--send needs --manager");
	if (manager) {
		fd = manager_connect(manager);
		for (unsigned int i = 0; i < nsends; i++)
			send_request(fd, sends[i]);
		if (ready && write_file_atomic(ready, "connected\n", 10))
			runtime_error("cannot write --ready-file \"%s\"", ready);
	} else {
		/* "PORT" alone: loopback, so that only this host can reach it. */
		if (listen.ss_family == AF_INET &&
		    ((struct sockaddr_in *)&listen)->sin_addr.s_addr == 0)
			((struct sockaddr_in *)&listen)->sin_addr.s_addr = htonl(0x7f000001);
		fd = udp_socket(listen.ss_family, &listen, listen_len);
		if (ready && write_ready_file(ready, fd))
			runtime_error("cannot write --ready-file \"%s\"", ready);
	}
	catch_stop_signals();
	deadline = now_ns() + (uint64_t)(timeout * 1e9);
	while (count ? a.messages < count : !nsends || a.answers < nsends) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (stop_signal) {
			result = "interrupted";
			break;
		}
		if (now_ns() >= deadline) {
			result = "timeout";
			break;
		}
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if (manager) {
			if (manager_read(&a, fd, buf, &have, &result) < 0)
				break;
			continue;
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			runtime_error("recv failed: %s", strerror(errno));
		}
		a.bytes += (uint64_t)n;
		if (!local_message(&a, buf, (size_t)n))
			a.malformed++;
	}
	if (strcmp(result, "ok") && strcmp(result, "timeout") && strcmp(result, "interrupted"))
		status = EXIT_RUNTIME;
	else if (count && a.messages < count) {
		if (!strcmp(result, "ok"))
			result = "timeout";
		status = EXIT_RUNTIME;
	} else if (!count && nsends && a.answers < nsends) {
		if (!strcmp(result, "ok"))
			result = "timeout";
		status = EXIT_RUNTIME;
	} else if (!count) {
		/* Without --count, the timeout or a signal is the normal end. */
		result = "ok";
	}
	if (a.refused)
		status = EXIT_RUNTIME;
	printf("messages=%" PRIu64 " malformed=%" PRIu64 " duplicates=%" PRIu64 " bytes=%" PRIu64,
	       a.messages, a.malformed, a.duplicates, a.bytes);
	if (nsends)
		printf(" answers=%u refused=%u", a.answers, a.refused);
	printf(" result=%s\n", result);
	triple_set_free(&a.seen);
	close(fd);
	return status;
}
