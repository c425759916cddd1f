// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics (metrics.h): the registry, the gauges read from the database
 * at each scrape, and a minimal HTTP/1.0 server for GET /metrics: one
 * request per connection (srv.c), METRICS_TIMEOUT_MS for the whole
 * exchange, METRICS_CONNS_MAX at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "conf.h"
#include "enroll.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "sock.h"
#include "srv.h"
#include "store.h"

#define METRICS_TIMEOUT_MS	5000
#define METRICS_CONNS_MAX	8
#define METRICS_REQUEST_MAX	4096

enum metric_type { COUNTER, GAUGE };

static const struct family_def {
	const char *name;
	enum metric_type type;
	const char *label;	/* NULL: one series without labels */
	const char *help;
} families[] = {
	{ "grpsecd_enrollments_total", COUNTER, "outcome",
	  "Enrollments, by outcome (enrolled, refused)." },
	{ "grpsecd_enrollment_refusals_total", COUNTER, "reason",
	  "Enrollments refused or cut short, by reason." },
	{ "grpsecd_members", GAUGE, "group",
	  "Active members per group." },
	{ "grpsecd_epoch_age_seconds", GAUGE, "group",
	  "Seconds since the group's current epoch was created." },
	{ "grpsecd_messages_received_total", COUNTER, "group",
	  "Messages opened from the gateways' batches, per group." },
	{ "grpsecd_batches_refused_total", COUNTER, "reason",
	  "Gateway batches refused, by reason." },
	{ "grpsecd_batch_socket_drops_total", COUNTER, NULL,
	  "Batches the kernel dropped before the manager read them (BatchListen's receive buffer was full)." },
	{ "grpsecd_entries_refused_total", COUNTER, "reason",
	  "Entries of accepted batches refused (bad_tag, replay, ...), by reason." },
	{ "grpsecd_app_requests_total", COUNTER, "outcome",
	  "Application requests (send), by outcome (ok, refused)." },
	{ "grpsecd_downlinks_total", COUNTER, "kind",
	  "Downlink frames sent to gateways, by kind (command, rekey)." },
	{ "grpsecd_rekeys_total", COUNTER, "outcome",
	  "Rekey bodies for members, by outcome (sent, resent, failed), and members heard under the new epoch (heard)." },
	{ "grpsecd_epochs_total", COUNTER, "reason",
	  "Epochs started by rekeys, by reason (ctl, lifetime, revocation, resumed)." },
	{ "grpsecd_revocations_total", COUNTER, NULL,
	  "Devices revoked." },
	{ "grpsecd_reloads_total", COUNTER, "outcome",
	  "Configuration reloads, by outcome (ok, failed)." },
	{ "grpsecd_control_connections_total", COUNTER, "outcome",
	  "Gateways' control connections, by outcome (ok or why refused)." },
	{ "grpsecd_control_disconnects_total", COUNTER, "reason",
	  "Gateways' control connections ended, by reason." },
	{ "grpsecd_control_bytes_total", COUNTER, "type",
	  "Control channel message bytes queued to gateways (before TLS), by message type." },
	{ "grpsecd_gateways_connected", GAUGE, NULL,
	  "Gateways connected over the control channel now." },
	{ "grpsecd_start_time_seconds", GAUGE, NULL,
	  "When the daemon started, in unix seconds." },
};

#define NFAMILIES (sizeof(families) / sizeof(families[0]))

struct series {
	char *value;		/* the label's value, NULL without label */
	double v;		/* counters stay exact up to 2^53 */
};

struct family {
	struct series *s;
	size_t n;
};

struct metrics {
	struct grpsecd *d;
	struct family fam[NFAMILIES];
	struct srv *srv;	/* NULL without MetricsListen */
};

/* The registry. */

static int family_find(const char *name)
{
	for (size_t i = 0; i < NFAMILIES; i++)
		if (!strcmp(families[i].name, name))
			return i;
	return -1;
}

static struct series *series_add(struct family *f, const char *value)
{
	struct series *s = realloc(f->s, (f->n + 1) * sizeof(*s));

	if (!s)
		return NULL;
	f->s = s;
	s = &f->s[f->n];
	s->v = 0;
	s->value = value ? strdup(value) : NULL;
	if (value && !s->value)
		return NULL;
	f->n++;
	return s;
}

/* The series, created at first use; NULL (and one log line) for a bug. */
static struct series *series(struct metrics *m, const char *name,
			     const char *value)
{
	int i = family_find(name);
	struct family *f;

	if (!m)
		return NULL;
	if (i < 0 || !families[i].label != !value) {
		log_err("metrics: no family %s %s a label", name,
			value ? "with" : "without");
		return NULL;
	}
	f = &m->fam[i];
	for (size_t j = 0; j < f->n; j++)
		if (!value || !strcmp(f->s[j].value, value))
			return &f->s[j];
	return series_add(f, value);
}

void metrics_count(struct metrics *m, const char *family, const char *value,
		   uint64_t n)
{
	struct series *s = series(m, family, value);

	if (s)
		s->v += n;
}

void metrics_set(struct metrics *m, const char *family, const char *value,
		 double v)
{
	struct series *s = series(m, family, value);

	if (s)
		s->v = v;
}

/* The page. */

static void label_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_add(b, s, 1);
	}
}

static void render_family(struct buf *b, const struct family_def *def,
			  const struct family *f)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", def->name, def->help,
		   def->name, def->type == COUNTER ? "counter" : "gauge");
	if (!def->label && !f->n)
		buf_printf(b, "%s 0\n", def->name);
	for (size_t i = 0; i < f->n; i++) {
		buf_puts(b, def->name);
		if (def->label) {
			buf_printf(b, "{%s=\"", def->label);
			label_escape(b, f->s[i].value);
			buf_puts(b, "\"}");
		}
		buf_printf(b, " %.17g\n", f->s[i].v);
	}
}

/* The gauges the database knows: members per group, epoch age. */
static void collect_group(struct metrics *m, struct store *st, uint32_t id)
{
	struct store_group g;
	uint64_t members;
	struct store_epoch e;
	char label[16];

	snprintf(label, sizeof(label), "%u", id);
	if (store_group_get(st, id, &g))
		return;
	if (!store_count_members(st, id, &members))
		metrics_set(m, "grpsecd_members", label, members);
	if (!store_epoch_get(st, id, g.epoch, &e))
		metrics_set(m, "grpsecd_epoch_age_seconds", label,
			    difftime(time(NULL), e.created));
	OPENSSL_cleanse(&e, sizeof(e));
}

/* The enrollment server counts every outcome (enroll.h). */
static void collect_enrollments(struct metrics *m)
{
	uint64_t refused = 0;

	if (!m->d->enroll)
		return;
	for (int o = ENROLL_OK + 1; o < __ENROLL_OUTCOME_MAX; o++) {
		uint64_t n = enroll_count(m->d, o);

		refused += n;
		if (n)
			metrics_set(m, "grpsecd_enrollment_refusals_total",
				    enroll_outcome_name(o), n);
	}
	metrics_set(m, "grpsecd_enrollments_total", "enrolled",
		    enroll_count(m->d, ENROLL_OK));
	metrics_set(m, "grpsecd_enrollments_total", "refused", refused);
}

static void collect(struct metrics *m)
{
	struct grpsecd *d = m->d;

	metrics_set(m, "grpsecd_start_time_seconds", NULL, d->started);
	collect_enrollments(m);
	if (!d->store)
		return;
	for (size_t i = 0; i < d->conf->ngroups; i++)
		collect_group(m, d->store, d->conf->groups[i].id);
}

static void render(struct metrics *m, struct buf *b)
{
	collect(m);
	for (size_t i = 0; i < NFAMILIES; i++)
		render_family(b, &families[i], &m->fam[i]);
}

/* HTTP/1.0: one request, one response, close (srv.c). */

static void http_reply(struct buf *out, const char *status, const char *type,
		       const struct buf *body, bool head)
{
	buf_printf(out,
		   "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		   status, type, body->len);
	if (!head)
		buf_add(out, body->p ? body->p : "", body->len);
}

static void http_text(struct buf *out, const char *status, const char *text)
{
	struct buf body = { 0 };

	buf_puts(&body, text);
	http_reply(out, status, "text/plain; charset=utf-8", &body, false);
	buf_free(&body);
}

/* "METHOD SP PATH SP HTTP/1.x": the method and the path, bounded. */
static bool request_line(const char *in, char *method, size_t msize,
			 char *path, size_t psize)
{
	const char *eol = strpbrk(in, "\r\n"), *sp1 = strchr(in, ' '), *sp2;

	if (!eol || !sp1 || sp1 > eol)
		return false;
	sp2 = strchr(sp1 + 1, ' ');
	if (!sp2 || sp2 > eol || strncmp(sp2 + 1, "HTTP/1.", 7) ||
	    (size_t)(sp1 - in) >= msize || (size_t)(sp2 - sp1 - 1) >= psize)
		return false;
	memcpy(method, in, sp1 - in);
	method[sp1 - in] = '\0';
	memcpy(path, sp1 + 1, sp2 - sp1 - 1);
	path[sp2 - sp1 - 1] = '\0';
	return true;
}

static void *http_handle(void *arg, char *req, struct buf *out)
{
	char method[8], path[256];
	struct buf body = { 0 };

	if (!req || !request_line(req, method, sizeof(method), path, sizeof(path))) {
		http_text(out, "400 Bad Request", "Bad request\n");
	} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		http_text(out, "405 Method Not Allowed", "Only GET /metrics\n");
	} else if (strcmp(path, "/metrics")) {
		http_text(out, "404 Not Found", "Only /metrics\n");
	} else {
		render(arg, &body);
		http_reply(out, body.oom ? "500 Internal Server Error" : "200 OK",
			   "text/plain; version=0.0.4; charset=utf-8", &body,
			   !strcmp(method, "HEAD"));
		buf_free(&body);
	}
	return NULL;
}

/* The headers end with an empty line. */
static size_t http_complete(const char *in, size_t len)
{
	const char *end = strstr(in, "\r\n\r\n");

	(void)len;
	if (end)
		return end - in + 4;
	end = strstr(in, "\n\n");
	return end ? (size_t)(end - in + 2) : 0;
}

static const struct srv_ops http_ops = {
	.name = "metrics",
	.max_request = METRICS_REQUEST_MAX,
	.max_conns = METRICS_CONNS_MAX,
	.timeout_ms = METRICS_TIMEOUT_MS,
	.complete = http_complete,
	.handle = http_handle,
};

/* The part. */

/* Each role has its own MetricsListen: [Manager]'s or [Control]'s. */
static const struct conf_addr *listen_addr(const struct grpsecd *d,
					   const struct grpsecd_conf *c)
{
	return d->role == GRPSECD_GATEWAY ? &c->control.metrics_listen :
					    &c->manager.metrics_listen;
}

static int metrics_init(struct grpsecd *d)
{
	const struct conf_addr *a = listen_addr(d, d->conf);
	struct metrics *m = calloc(1, sizeof(*m));
	char name[64];
	int fd;

	if (!m)
		return -1;
	m->d = d;
	if (a->len) {
		fd = sock_inet_listen(a, SOCK_STREAM);
		m->srv = fd >= 0 ? srv_new(d->loop, fd, &http_ops, m) : NULL;
		if (!m->srv) {
			free(m);
			return -1;
		}
		log_info("metrics on http://%s/metrics",
			 sock_addr_str(a, name, sizeof(name)));
	}
	d->metrics = m;
	return 0;
}

static void metrics_uninit(struct grpsecd *d)
{
	struct metrics *m = d->metrics;

	srv_free(m->srv);
	for (size_t i = 0; i < NFAMILIES; i++) {
		for (size_t j = 0; j < m->fam[i].n; j++)
			free(m->fam[i].s[j].value);
		free(m->fam[i].s);
	}
	free(m);
	d->metrics = NULL;
}

static int metrics_reload_check(struct grpsecd *d,
				const struct grpsecd_conf *next)
{
	const struct conf_addr *a = listen_addr(d, d->conf), *b = listen_addr(d, next);

	if (a->len != b->len || memcmp(&a->ss, &b->ss, a->len)) {
		log_err("MetricsListen cannot change on reload: restart grpsecd");
		return -1;
	}
	return 0;
}

const struct grpsecd_part metrics_part = {
	.name = "metrics",
	.init = metrics_init,
	.uninit = metrics_uninit,
	.reload_check = metrics_reload_check,
};
