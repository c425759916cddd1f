// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecd: the command line, the role's parts started in order and
 * stopped in reverse, the event loop, reload (SIGHUP) and stop (SIGTERM,
 * SIGINT), and what systemd is told about each.
 *
 * A role is a list of parts (grpsecd.h).  To add one, declare its
 * struct grpsecd_part in its header and list it in the role's table
 * below, after the parts it uses.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/value.h"
#include "conf.h"
#include "backend.h"
#include "control.h"
#include "ctl.h"
#include "downlink.h"
#include "enroll.h"
#include "groups.h"
#include "kernel.h"
#include "grpsecd.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "notify.h"
#include "rekey.h"

static const struct grpsecd_part *const manager_parts[] = {
	&ctl_part,		/* first: it tells a second daemon to stop */
	&metrics_part,
	&groups_part,		/* the database, the configured groups in it */
	&enroll_part,
	&backend_part,		/* after groups: it registers their epochs */
	&downlink_part,		/* after backend: it answers its application's requests */
	&rekey_part,		/* after backend: it sends through its downlinks */
	&control_part,		/* after backend: it installs each gateway's K_up */
	NULL
};

static const struct grpsecd_part *const gateway_parts[] = {
	&ctl_part,		/* first: it tells a second daemon to stop */
	&metrics_part,
	&kernel_part,		/* d->kernel, d->want */
	&control_client_part,	/* after kernel: fills d->want, answers its unknown members */
	NULL
};

static const struct {
	const char *name;
	const struct grpsecd_part *const *parts;
	const char *help;
} roles[] = {
	[GRPSECD_MANAGER] = { "manager", manager_parts,
			      "enrollment authority and the backend's end of the uplink" },
	[GRPSECD_GATEWAY] = { "gateway", gateway_parts,
			      "programs grpsec.ko on a gateway with what the manager says" },
};

#define NROLES (sizeof(roles) / sizeof(roles[0]))

const char *grpsecd_role_name(enum grpsecd_role role)
{
	return roles[role].name;
}

static size_t parts_count(const struct grpsecd *d)
{
	size_t n = 0;

	while (roles[d->role].parts[n])
		n++;
	return n;
}

static void parts_uninit(struct grpsecd *d, size_t n)
{
	const struct grpsecd_part *const *parts = roles[d->role].parts;

	while (n--) {
		if (parts[n]->uninit)
			parts[n]->uninit(d);
	}
}

static int parts_init(struct grpsecd *d)
{
	const struct grpsecd_part *const *parts = roles[d->role].parts;

	for (size_t i = 0; parts[i]; i++) {
		if (parts[i]->init(d)) {
			log_err("%s: not started", parts[i]->name);
			parts_uninit(d, i);
			return -1;
		}
	}
	return 0;
}

/* Every part agrees to the new configuration, or none takes it. */
static int parts_reload(struct grpsecd *d, struct grpsecd_conf *next)
{
	const struct grpsecd_part *const *parts = roles[d->role].parts;
	struct grpsecd_conf *prev = d->conf;
	size_t i, n = parts_count(d);

	for (i = 0; i < n; i++) {
		if (parts[i]->reload_check && parts[i]->reload_check(d, next))
			break;
	}
	if (i < n) {
		log_err("%s: refuses the new configuration", parts[i]->name);
		while (i--) {
			if (parts[i]->reload_abort)
				parts[i]->reload_abort(d);
		}
		return -1;
	}
	d->conf = next;
	for (i = 0; i < n; i++) {
		if (parts[i]->reload_apply)
			parts[i]->reload_apply(d, prev);
	}
	conf_free(prev);
	return 0;
}

int grpsecd_reload(struct grpsecd *d)
{
	struct grpsecd_conf *next;
	int rc = -1;

	notify_send("RELOADING=1");
	log_info("reloading %s", d->conf_path);
	next = conf_load(d->conf_path);
	if (next && d->role == GRPSECD_GATEWAY && conf_check_gateway(next)) {
		conf_free(next);
		next = NULL;
	}
	if (next && !parts_reload(d, next)) {
		d->reloads++;
		rc = 0;
		metrics_count(d->metrics, "grpsecd_reloads_total", "ok", 1);
		log_info("configuration reloaded: %zu groups, %zu allow rules, %zu gateways",
			 d->conf->ngroups, d->conf->nallows, d->conf->ngateways);
	} else {
		if (next)
			conf_free(next);
		metrics_count(d->metrics, "grpsecd_reloads_total", "failed", 1);
		log_err("reload failed, the previous configuration stays in force");
	}
	notify_send(rc ? "READY=1\nSTATUS=reload failed, previous configuration kept" :
			 "READY=1\nSTATUS=running");
	return rc;
}

void grpsecd_stop(struct grpsecd *d, int rc)
{
	loop_stop(d->loop, rc);
}

static void on_sighup(int signo, void *arg)
{
	(void)signo;
	grpsecd_reload(arg);
}

static void on_sigterm(int signo, void *arg)
{
	struct grpsecd *d = arg;

	log_info("%s, stopping", strsignal(signo));
	notify_send("STOPPING=1");
	grpsecd_stop(d, 0);
}

static int signals_init(struct grpsecd *d)
{
	if (loop_signal_add(d->loop, SIGHUP, on_sighup, d) ||
	    loop_signal_add(d->loop, SIGTERM, on_sigterm, d) ||
	    loop_signal_add(d->loop, SIGINT, on_sigterm, d)) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void on_watchdog(struct loop_timer *t, void *arg)
{
	(void)t, (void)arg;
	notify_send("WATCHDOG=1");
}

/* WatchdogSec=: keep-alives twice per interval (notify.h). */
static struct loop_timer *watchdog_start(struct loop *l)
{
	uint64_t ms = notify_watchdog_ms();

	if (!ms)
		return NULL;
	ms = ms > 1 ? ms / 2 : 1;
	return loop_timer_add(l, ms, ms, on_watchdog, NULL);
}

static int run(struct grpsecd *d)
{
	struct loop_timer *watchdog;
	int rc;

	if (!roles[d->role].parts[0]) {
		log_err("the %s role is not implemented in this version",
			roles[d->role].name);
		return 1;
	}
	d->loop = loop_new();
	if (!d->loop) {
		log_err("cannot create the event loop: %s", strerror(errno));
		return 1;
	}
	if (signals_init(d) || parts_init(d)) {
		loop_free(d->loop);
		return 1;
	}
	d->started = time(NULL);
	log_info("%s started (grpsecd %s, %s)", roles[d->role].name,
		 GRPSECD_VERSION, d->conf_path);
	notify_send("READY=1\nSTATUS=running");
	watchdog = watchdog_start(d->loop);
	rc = loop_run(d->loop);
	loop_timer_del(watchdog);
	if (rc < 0) {
		log_err("event loop: %s", strerror(-rc));
		rc = 1;
	}
	parts_uninit(d, parts_count(d));
	loop_free(d->loop);
	log_info("%s stopped", roles[d->role].name);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: grpsecd ROLE [-c FILE] [-t] [-v]\n"
		"       grpsecd -h | -V\n"
		"\n"
		"Roles:\n");
	for (size_t i = 0; i < NROLES; i++)
		fprintf(f, "  %-8s %s\n", roles[i].name, roles[i].help);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -c FILE   configuration file (default %s)\n"
		"  -t        check the configuration, print a summary and exit\n"
		"  -v        debug messages too\n"
		"\n"
		"grpsecd runs in the foreground, logs to standard error and tells\n"
		"systemd when it is ready (Type=notify); grpsecd(8) has the details.\n",
		GRPSECD_DEFAULT_CONF);
}

static int role_find(const char *name, enum grpsecd_role *role)
{
	for (size_t i = 0; i < NROLES; i++) {
		if (!strcmp(name, roles[i].name)) {
			*role = i;
			return 0;
		}
	}
	return -1;
}

static int check_only(const struct grpsecd *d)
{
	char addr[64];

	if (d->role == GRPSECD_GATEWAY) {
		format_endpoint(&d->conf->control.manager.ss, addr, sizeof(addr));
		printf("%s: configuration OK: gateway, manager %s\n", d->conf_path, addr);
		return 0;
	}
	printf("%s: configuration OK: %zu groups, %zu allow rules, %zu gateways\n",
	       d->conf_path, d->conf->ngroups, d->conf->nallows,
	       d->conf->ngateways);
	return 0;
}

struct options {
	bool check;
	bool verbose;
};

/* -1: go on; otherwise the exit status (help, version, bad usage). */
static int parse_args(int argc, char **argv, struct grpsecd *d,
		      struct options *o)
{
	int c;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("grpsecd %s\n", GRPSECD_VERSION);
		return 0;
	}
	if (argc < 2 || role_find(argv[1], &d->role)) {
		if (argc >= 2)
			fprintf(stderr, "grpsecd: invalid role \"%s\"\n", argv[1]);
		usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "c:tv")) != -1) {
		if (c == 'c') {
			d->conf_path = optarg;
		} else if (c == 't') {
			o->check = true;
		} else if (c == 'v') {
			o->verbose = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "grpsecd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct grpsecd d = { .conf_path = GRPSECD_DEFAULT_CONF };
	struct options o = { 0 };
	char *abs_path;
	int rc;

	rc = parse_args(argc, argv, &d, &o);
	if (rc >= 0)
		return rc;
	log_init(o.verbose);
	/* Reload reads the same file wherever the daemon's cwd is. */
	abs_path = realpath(d.conf_path, NULL);
	if (abs_path)
		d.conf_path = abs_path;
	d.conf = conf_load(d.conf_path);
	if (d.conf && d.role == GRPSECD_GATEWAY && conf_check_gateway(d.conf)) {
		conf_free(d.conf);
		d.conf = NULL;
	}
	rc = !d.conf ? 1 : o.check ? check_only(&d) : run(&d);
	conf_free(d.conf);
	free(abs_path);
	return rc;
}
