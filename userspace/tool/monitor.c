// SPDX-License-Identifier: GPL-2.0
/*
 * grpsec monitor: join the family's "events" multicast group and print
 * each event as it arrives, one line each (one JSON object a line with
 * -j), until a signal, COUNT events, or TIMEOUT seconds.
 *
 * SIGINT and SIGTERM are blocked except while ppoll() waits, so that a
 * signal either ends the wait or is seen before the next one: the tool
 * never sleeps through it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "tool.h"

static const char usage[] = "monitor [count N] [timeout SEC]";

static const char *const event_names[GRPSEC_EVENT_MAX + 1] = {
	[GRPSEC_EVENT_UNKNOWN_MEMBER] = "unknown-member",
	[GRPSEC_EVENT_BAD_TAG_BURST] = "bad-tag-burst",
	[GRPSEC_EVENT_REPLAY_BURST] = "replay-burst",
	[GRPSEC_EVENT_EPOCH_LIMIT_NEAR] = "epoch-limit-near",
	[GRPSEC_EVENT_UPSTREAM_DOWN] = "upstream-down",
};

struct monitor {
	uint64_t count;		/* stop after this many events; 0: never */
	uint64_t seen;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Local time of receipt, ISO 8601 to the microsecond. */
static void format_time(char *buf, size_t size)
{
	char date[32], zone[8];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	/* +0100 becomes +01:00. */
	snprintf(buf, size, "%s.%06u%.3s:%s", date,
		 (unsigned int)(ts.tv_nsec / 1000) % 1000000, zone, zone + 3);
}

static void put_u(const char *name, uint64_t v)
{
	if (opt.json)
		jw_uint(name, v);
	else
		printf(" %s %llu", name, (unsigned long long)v);
}

static void print_event(const struct event_rec *e, const char *when)
{
	char ep[ENDPOINT_STRLEN], name[32];
	const char *err;

	if (e->type <= GRPSEC_EVENT_MAX && event_names[e->type])
		snprintf(name, sizeof(name), "%s", event_names[e->type]);
	else
		snprintf(name, sizeof(name), "event-%u", e->type);

	if (opt.json) {
		jw_begin();
		jw_obj_open(NULL);
		jw_str("time", when);
		jw_str("event", name);
	} else {
		printf("%s %s", when, name);
	}
	if (HAVE(e, GRPSEC_A_EVENT_GROUP))
		put_u("group", e->group);
	if (HAVE(e, GRPSEC_A_EVENT_MEMBER))
		put_u("member", e->member);
	if (HAVE(e, GRPSEC_A_EVENT_EPOCH))
		put_u("epoch", e->epoch);
	if (HAVE(e, GRPSEC_A_EVENT_ENDPOINT)) {
		format_endpoint(&e->endpoint, ep, sizeof(ep));
		if (opt.json)
			jw_str("endpoint", ep);
		else
			printf(" endpoint %s", ep);
	}
	if (HAVE(e, GRPSEC_A_EVENT_COUNT))
		put_u("count", e->count);
	if (HAVE(e, GRPSEC_A_EVENT_LIMIT))
		put_u("limit", e->limit);
	if (HAVE(e, GRPSEC_A_EVENT_ERROR)) {
		err = strerrorname_np(e->error);
		if (opt.json)
			jw_uint("error", e->error);
		else if (err)
			printf(" error %s", err);
		else
			printf(" error %u", e->error);
	}
	/* People are told only when something was held back. */
	if (HAVE(e, GRPSEC_A_EVENT_SUPPRESSED) &&
	    (opt.json || e->suppressed))
		put_u("suppressed", e->suppressed);
	if (opt.json) {
		jw_obj_close();
		jw_end();
	} else {
		putchar('\n');
	}
}

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct monitor *mon = arg;
	struct genlmsghdr *gh;
	struct event_rec e;
	char when[64];

	if (nlh->nlmsg_type != nl.family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return NL_SKIP;
	gh = nlmsg_data(nlh);
	/* Nothing else is multicast; a newer kernel's news is skipped. */
	if (gh->cmd != GRPSEC_CMD_EVENT ||
	    !parse_event(msg_attr(msg, GRPSEC_A_EVENT), &e))
		return NL_SKIP;
	if (mon->count && mon->seen >= mon->count)
		return NL_SKIP;
	format_time(when, sizeof(when));
	print_event(&e, when);
	fflush(stdout);
	mon->seen++;
	return NL_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int signals_catch(sigset_t *unblocked)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, unblocked) ||
	    sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	sigdelset(unblocked, SIGINT);
	sigdelset(unblocked, SIGTERM);
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor mon = { 0 };
	uint32_t timeout = 0;
	int64_t deadline = 0;
	sigset_t unblocked;
	int ret;

	if (argc == 2 && !strcmp(argv[1], "help")) {
		print_usage(usage);
		return EXIT_OK;
	}
	for (int i = 1; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(key, "count") && strcmp(key, "timeout"))
			return usage_fail(usage, "unexpected argument \"%s\"", key);
		if (!val)
			return usage_fail(usage, "missing value after \"%s\"", key);
		if (!strcmp(key, "count") &&
		    !parse_u64(val, &mon.count, 1, UINT64_MAX))
			return usage_fail(usage, "invalid count \"%s\"", val);
		if (!strcmp(key, "timeout") &&
		    !parse_u32(val, &timeout, 1, 31536000))
			return usage_fail(usage, "invalid timeout \"%s\" (1..31536000 seconds)",
					  val);
	}

	ret = kernel_open();
	if (ret)
		return ret;
	ret = grpsec_nl_subscribe_events(&nl);
	if (ret == -ENOENT) {
		err_msg("the grpsec kernel module has no \"%s\" multicast group",
			GRPSEC_MCGRP_EVENTS);
		return EXIT_KERNEL;
	}
	if (ret) {
		kernel_report(NULL, ret, "joining the events group", NULL);
		return EXIT_KERNEL;
	}
	ret = signals_catch(&unblocked);
	if (ret) {
		err_msg("cannot catch signals: %s", strerror(-ret));
		return EXIT_KERNEL;
	}
	opt.pretty = false;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* From here on no event is missed: scripts wait for this line. */
	fprintf(stderr, "grpsec: listening for events\n");
	if (timeout)
		deadline = now_ms() + (int64_t)timeout * 1000;

	while (!stop_signal && (!mon.count || mon.seen < mon.count)) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(nl.sock),
				      .events = POLLIN };
		struct timespec ts, *tsp = NULL;

		if (timeout) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return mon.count ? EXIT_TIMEOUT : EXIT_OK;
			ts.tv_sec = left / 1000;
			ts.tv_nsec = left % 1000 * 1000000;
			tsp = &ts;
		}
		ret = ppoll(&pfd, 1, tsp, &unblocked);
		if (ret < 0 && errno != EINTR) {
			err_msg("waiting for events: %s", strerror(errno));
			return EXIT_KERNEL;
		}
		if (ret <= 0)
			continue;
		while (!mon.count || mon.seen < mon.count) {
			ret = grpsec_nl_read_event(&nl, event_cb, &mon);
			if (ret == -ENOBUFS) {
				warn_msg("events were lost (the receive buffer overflowed)");
				continue;
			}
			if (ret < 0) {
				kernel_report(NULL, ret, "reading events", NULL);
				return EXIT_KERNEL;
			}
			if (!ret)
				break;
		}
	}
	return EXIT_OK;
}
