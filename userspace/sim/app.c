// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * grpsec-app: a local application of a terminate mode gateway.  The
 * module opens a terminate mode group's messages itself and sends each to
 * a local UDP port with a 24-byte header (frames.rst, "Local delivery");
 * this program listens there and prints one line per message.
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
#include <unistd.h>

#include "common.h"
#include "internal.h"

static const char usage_text[] =
"usage: grpsec-app --listen [ADDR:]PORT [--count N] [--timeout SEC] [--quiet]\n"
"                  [--ready-file FILE]\n"
"\n"
"Receives the messages a terminate mode gateway delivers locally (a\n"
"24-byte header: version, type, suite, flags, group, epoch, member,\n"
"sequence; then the plaintext) and prints one line per message:\n"
"  message group G member M epoch E seq S payload P\n"
"where P is the text when it is printable, sim:G/M/C for a simulator\n"
"payload, or hex:...  Datagrams that are not such a header are counted\n"
"as malformed.  The address defaults to 127.0.0.1.\n"
"\n"
"  --count N      exit after N messages (exit 2 if the timeout comes first)\n"
"  --timeout SEC  stop after SEC seconds (default 60)\n"
"  --quiet        no line per message, only the summary\n"
"  --ready-file FILE  written (\"port=N\") once the socket is bound\n"
"\n"
"Ends with one line of key=value counters.  Exit 0 ok, 1 usage, 2 runtime.\n";

enum { OPT_LISTEN = 256, OPT_COUNT, OPT_TIMEOUT, OPT_QUIET, OPT_READY };

static const struct option options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "ready-file", required_argument, NULL, OPT_READY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define DELIVER_HDR_LEN	24

int main(int argc, char **argv)
{
	static uint8_t buf[GRPSEC_MAX_PAYLOAD + DELIVER_HDR_LEN + 1];
	struct sockaddr_storage listen;
	socklen_t listen_len = 0;
	uint64_t count = 0, messages = 0, malformed = 0, bytes = 0, deadline;
	double timeout = 60;
	bool quiet = false;
	const char *ready = NULL, *result = "ok";
	int opt, fd, status = EXIT_OK;

	prog = "grpsec-app";
	while ((opt = opt_next(argc, argv, "h", options, usage_text)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			listen_len = opt_addr("--listen", optarg, &listen, true);
			break;
		case OPT_COUNT:
			count = opt_u64("--count", optarg, 1, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			timeout = opt_double("--timeout", optarg, 0.001, 86400);
			break;
		case OPT_QUIET:
			quiet = true;
			break;
		case OPT_READY:
			ready = optarg;
			break;
		}
	}
	if (!listen_len)
		usage_error("--listen is required");
	/* "PORT" alone: loopback, so that only this host can reach it. */
	if (listen.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&listen)->sin_addr.s_addr == 0)
		((struct sockaddr_in *)&listen)->sin_addr.s_addr = htonl(0x7f000001);

	fd = udp_socket(listen.ss_family, &listen, listen_len);
	if (ready && write_ready_file(ready, fd))
		runtime_error("cannot write --ready-file \"%s\"", ready);
	catch_stop_signals();
	deadline = now_ns() + (uint64_t)(timeout * 1e9);
	while (!count || messages < count) {
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
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			runtime_error("recv failed: %s", strerror(errno));
		}
		bytes += (uint64_t)n;
		if (n < DELIVER_HDR_LEN || buf[0] != GRPSEC_VERSION || buf[1] != GRPSEC_TYPE_UPLINK ||
		    buf[3] != 0 || (size_t)n > DELIVER_HDR_LEN + GRPSEC_MAX_PAYLOAD) {
			malformed++;
			continue;
		}
		messages++;
		if (quiet)
			continue;
		printf("message group %" PRIu32 " member %" PRIu32 " epoch %" PRIu32 " seq %" PRIu64
		       " payload ", get_be32(buf + 4), get_be32(buf + 12), get_be32(buf + 8),
		       get_be64(buf + 16));
		print_payload(stdout, buf + DELIVER_HDR_LEN, (size_t)n - DELIVER_HDR_LEN);
		putchar('\n');
		fflush(stdout);
	}
	if (count && messages < count) {
		if (!strcmp(result, "ok"))
			result = "timeout";
		status = EXIT_RUNTIME;
	} else if (!count) {
		/* Without --count, the timeout or a signal is the normal end. */
		result = "ok";
	}
	printf("messages=%" PRIu64 " malformed=%" PRIu64 " bytes=%" PRIu64 " result=%s\n",
	       messages, malformed, bytes, result);
	close(fd);
	return status;
}
