// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecd.conf: read the file into a struct grpsecd_conf (conf.h).
 *
 * wireguard-tools' config.c in shape: config_read_line() strips a line,
 * process_line() opens a section or finds the key in the section's table,
 * and one parse_*() per value type fills the field the table names.  A
 * section is checked when it ends, the whole file when it has been read;
 * every problem is printed as "FILE:LINE: problem" and loading goes on,
 * so one run shows them all, but any problem fails the load.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/value.h"
#include "conf.h"
#include "log.h"

#define CONF_LINE_MAX	4096
#define CONF_PATTERN_MAX 1024

enum section { SEC_NONE, SEC_MANAGER, SEC_GROUP, SEC_ALLOW, SEC_GATEWAY, SEC_CONTROL };

struct parser;
struct conf_key;

typedef int (*parse_fn)(struct parser *p, const struct conf_key *k,
			const char *val, void *field);

/* One key of a section: where its value goes and how it is read. */
struct conf_key {
	const char *name;
	parse_fn parse;
	size_t off;		/* in the section's struct */
	bool repeat;		/* a list: each line adds to it */
	uint64_t min, max;	/* numbers and durations (milliseconds) */
};

struct parser {
	struct grpsecd_conf *c;
	unsigned int line;
	enum section sec;
	void *obj;		/* the open section's struct */
	unsigned int sec_line;
	uint64_t seen;		/* keys of the open section given so far */
	int errors;
};

static void __attribute__((format(printf, 3, 4)))
conf_err(struct parser *p, unsigned int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		log_err("%s:%u: %s", p->c->file, line, msg);
	else
		log_err("%s: %s", p->c->file, msg);
	p->errors++;
}

/* Values, one function per type. */

static int parse_addr(struct parser *p, const struct conf_key *k,
		      const char *val, void *field)
{
	struct conf_addr *a = field;

	if (!parse_endpoint(val, &a->ss, &a->len)) {
		conf_err(p, p->line, "%s: invalid address \"%s\" (ADDR:PORT, [ADDR]:PORT for IPv6)",
			 k->name, val);
		return -1;
	}
	return 0;
}

static bool addr_is_loopback(const struct conf_addr *a)
{
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&a->ss;

		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_addr);
}

/* /metrics has no authentication: it listens on loopback only. */
static int parse_loopback(struct parser *p, const struct conf_key *k,
			  const char *val, void *field)
{
	if (parse_addr(p, k, val, field))
		return -1;
	if (!addr_is_loopback(field)) {
		conf_err(p, p->line, "%s: \"%s\" is not a loopback address (127.0.0.0/8 or [::1]); the endpoint has no authentication",
			 k->name, val);
		return -1;
	}
	return 0;
}

static int parse_string(struct parser *p, const struct conf_key *k,
			const char *val, void *field)
{
	char **s = field;

	(void)k;
	*s = strdup(val);
	if (!*s) {
		conf_err(p, p->line, "out of memory");
		return -1;
	}
	return 0;
}

/* Paths are absolute: a daemon's working directory means nothing. */
static int parse_path(struct parser *p, const struct conf_key *k,
		      const char *val, void *field)
{
	if (val[0] != '/') {
		conf_err(p, p->line, "%s: \"%s\" is not an absolute path",
			 k->name, val);
		return -1;
	}
	return parse_string(p, k, val, field);
}

static int parse_database(struct parser *p, const struct conf_key *k,
			  const char *val, void *field)
{
	if (!strncmp(val, "sqlite:", 7) && val[7] == '/')
		return parse_string(p, k, val, field);
	if (!strncmp(val, "postgresql:", 11))
		return parse_string(p, k, val, field);
	conf_err(p, p->line, "%s: \"%s\" is neither sqlite:/ABSOLUTE/PATH nor postgresql:CONNINFO",
		 k->name, val);
	return -1;
}

static int parse_uint(struct parser *p, const struct conf_key *k,
		      const char *val, void *field)
{
	uint64_t v;

	if (!parse_u64(val, &v, k->min, k->max)) {
		conf_err(p, p->line, "%s: invalid number \"%s\" (%llu to %llu)",
			 k->name, val, (unsigned long long)k->min,
			 (unsigned long long)k->max);
		return -1;
	}
	if (k->max > UINT32_MAX)
		*(uint64_t *)field = v;
	else
		*(uint32_t *)field = v;
	return 0;
}

/* "90", "90s", "500ms", "15m", "12h", "30d": milliseconds in *ms. */
static bool duration_ms(const char *val, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	char num[32];
	size_t n = 0;
	uint64_t v;

	while (isdigit((unsigned char)val[n]) && n < sizeof(num) - 1)
		n++;
	memcpy(num, val, n);
	num[n] = '\0';
	if (!parse_u64(num, &v, 0, UINT64_MAX / 86400000))
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(val + n, units[i].unit)) {
			*ms = v * units[i].ms;
			return true;
		}
	}
	return false;
}

/* A duration stored in milliseconds (u32) or in seconds (u64). */
static int parse_duration(struct parser *p, const struct conf_key *k,
			  const char *val, void *field)
{
	uint64_t ms;

	if (!duration_ms(val, &ms) || ms < k->min || ms > k->max) {
		conf_err(p, p->line, "%s: invalid duration \"%s\" (a number with s, ms, m, h or d, from %llu ms to %llu s)",
			 k->name, val, (unsigned long long)k->min,
			 (unsigned long long)(k->max / 1000));
		return -1;
	}
	if (k->max > UINT32_MAX) {
		if (ms % 1000) {
			conf_err(p, p->line, "%s: \"%s\" is not a whole number of seconds",
				 k->name, val);
			return -1;
		}
		*(uint64_t *)field = ms / 1000;
	} else {
		*(uint32_t *)field = ms;
	}
	return 0;
}

static int parse_bool(struct parser *p, const struct conf_key *k,
		      const char *val, void *field)
{
	if (!strcasecmp(val, "yes")) {
		*(bool *)field = true;
	} else if (!strcasecmp(val, "no")) {
		*(bool *)field = false;
	} else {
		conf_err(p, p->line, "%s: expected yes or no, got \"%s\"",
			 k->name, val);
		return -1;
	}
	return 0;
}

static int parse_suite_value(struct parser *p, const struct conf_key *k,
			     const char *val, void *field)
{
	if (!parse_suite(val, field)) {
		conf_err(p, p->line, "%s: invalid suite \"%s\" (aes-128-gcm, aes-256-gcm or chacha20-poly1305)",
			 k->name, val);
		return -1;
	}
	return 0;
}

static int parse_mode_value(struct parser *p, const struct conf_key *k,
			    const char *val, void *field)
{
	if (!parse_mode(val, field)) {
		conf_err(p, p->line, "%s: invalid mode \"%s\" (anonymous or identified)",
			 k->name, val);
		return -1;
	}
	return 0;
}

static int ids_add(struct conf_ids *ids, uint32_t id)
{
	uint32_t *v = realloc(ids->v, (ids->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	v[ids->n++] = id;
	ids->v = v;
	return 0;
}

/* "1, 2 7": ids separated by commas or blanks, each 1 to 2^32 - 1. */
static int parse_ids(struct parser *p, const struct conf_key *k,
		     const char *val, void *field)
{
	char buf[CONF_LINE_MAX], *tok, *save;
	uint32_t id;

	snprintf(buf, sizeof(buf), "%s", val);
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (!parse_u32(tok, &id, 1, UINT32_MAX)) {
			conf_err(p, p->line, "%s: invalid id \"%s\" (1 to 4294967295)",
				 k->name, tok);
			return -1;
		}
		if (ids_add(field, id)) {
			conf_err(p, p->line, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int parse_pattern(struct parser *p, const struct conf_key *k,
			 const char *val, void *field)
{
	struct conf_strs *s = field;
	char **v;

	if (strlen(val) > CONF_PATTERN_MAX) {
		conf_err(p, p->line, "%s: pattern longer than %d characters",
			 k->name, CONF_PATTERN_MAX);
		return -1;
	}
	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v || !(v[s->n] = strdup(val))) {
		s->v = v ? v : s->v;
		conf_err(p, p->line, "out of memory");
		return -1;
	}
	s->v = v;
	s->n++;
	return 0;
}

/* The sections' keys. */

/*
 * KEY: one value.  NUM: a number or duration (milliseconds) in a range.
 * LIST: each line adds to the list.
 */
#define KEY(n, fn, o)		{ .name = n, .parse = fn, .off = o }
#define NUM(n, fn, o, lo, hi)	{ .name = n, .parse = fn, .off = o, .min = lo, .max = hi }
#define LIST(n, fn, o)		{ .name = n, .parse = fn, .off = o, .repeat = true }
#define SEC(x)			((uint64_t)(x) * 1000)

#define M(f)	offsetof(struct conf_manager, f)
static const struct conf_key manager_keys[] = {
	KEY("EnrollListen", parse_addr, M(enroll_listen)),
	KEY("ControlListen", parse_addr, M(control_listen)),
	KEY("BatchListen", parse_addr, M(batch_listen)),
	KEY("MetricsListen", parse_loopback, M(metrics_listen)),
	KEY("Certificate", parse_path, M(certificate)),
	KEY("PrivateKey", parse_path, M(private_key)),
	KEY("CA", parse_path, M(ca)),
	KEY("CRL", parse_path, M(crl)),
	KEY("PSKFile", parse_path, M(psk_file)),
	KEY("Database", parse_database, M(database)),
	KEY("MasterKey", parse_path, M(master_key)),
	KEY("ControlSocket", parse_path, M(control_socket)),
	KEY("ApplicationSocket", parse_path, M(app_socket)),
	NUM("MaxHandshakes", parse_uint, M(max_handshakes), 1, 65536),
	NUM("HandshakeTimeout", parse_duration, M(handshake_timeout_ms),
	    100, SEC(600)),
	NUM("RekeyRate", parse_uint, M(rekey_rate), 1, 100),
	NUM("RekeyGrace", parse_duration, M(rekey_grace_ms), 100, SEC(86400)),
	NUM("RekeyRetry", parse_duration, M(rekey_retry_ms), 100, SEC(86400)),
	NUM("RekeyRetries", parse_uint, M(rekey_retries), 1, 10),
	NUM("UpstreamGrace", parse_duration, M(upstream_grace_ms), 100, SEC(3600)),
	{ .name = NULL }
};

#define G(f)	offsetof(struct conf_group, f)
static const struct conf_key group_keys[] = {
	NUM("Id", parse_uint, G(id), 1, UINT32_MAX),
	KEY("Suite", parse_suite_value, G(suite)),
	KEY("Mode", parse_mode_value, G(mode)),
	KEY("Commands", parse_bool, G(commands)),
	KEY("Terminate", parse_bool, G(terminate)),
	NUM("EpochLifetime", parse_duration, G(epoch_lifetime),
	    SEC(60), SEC(10ULL * 365 * 86400)),
	NUM("MessageLimit", parse_uint, G(message_limit), 1, 1ULL << 48),
	NUM("RateLimit", parse_uint, G(rate_limit), 1, UINT32_MAX),
	LIST("Gateway", parse_ids, G(gateways)),
	{ .name = NULL }
};

#define A(f)	offsetof(struct conf_allow, f)
static const struct conf_key allow_keys[] = {
	LIST("Group", parse_ids, A(groups)),
	LIST("Subject", parse_pattern, A(subjects)),
	LIST("SAN", parse_pattern, A(sans)),
	LIST("PSKIdentity", parse_pattern, A(psk_ids)),
	{ .name = NULL }
};

#define GW(f)	offsetof(struct conf_gateway, f)
static const struct conf_key gateway_keys[] = {
	NUM("Id", parse_uint, GW(id), 1, UINT32_MAX),
	KEY("Identity", parse_string, GW(identity)),
	KEY("Address", parse_addr, GW(address)),
	KEY("UpstreamKey", parse_path, GW(upstream_key)),
	KEY("UpstreamSuite", parse_suite_value, GW(upstream_suite)),
	{ .name = NULL }
};

#define CT(f)	offsetof(struct conf_control, f)
static const struct conf_key control_keys[] = {
	KEY("Manager", parse_addr, CT(manager)),
	KEY("ManagerName", parse_string, CT(manager_name)),
	KEY("Certificate", parse_path, CT(certificate)),
	KEY("PrivateKey", parse_path, CT(private_key)),
	KEY("CA", parse_path, CT(ca)),
	KEY("CRL", parse_path, CT(crl)),
	KEY("StateFile", parse_path, CT(state_file)),
	KEY("ControlSocket", parse_path, CT(control_socket)),
	KEY("MetricsListen", parse_loopback, CT(metrics_listen)),
	NUM("HandshakeTimeout", parse_duration, CT(handshake_timeout_ms),
	    100, SEC(600)),
	{ .name = NULL }
};

static const struct {
	const char *name;
	const struct conf_key *keys;
} sections[] = {
	[SEC_MANAGER] = { "Manager", manager_keys },
	[SEC_GROUP] = { "Group", group_keys },
	[SEC_ALLOW] = { "Allow", allow_keys },
	[SEC_GATEWAY] = { "Gateway", gateway_keys },
	[SEC_CONTROL] = { "Control", control_keys },
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* Sections: open one, check it when it ends. */

static void *array_push(void **arr, size_t *n, size_t size)
{
	char *a = realloc(*arr, (*n + 1) * size);

	if (!a)
		return NULL;
	*arr = a;
	memset(a + *n * size, 0, size);
	return a + (*n)++ * size;
}

static void *section_new(struct parser *p, enum section sec)
{
	struct grpsecd_conf *c = p->c;
	struct conf_gateway *gw;
	struct conf_group *g;

	switch (sec) {
	case SEC_MANAGER:
		if (c->manager.line) {
			conf_err(p, p->line, "a second [Manager] section (the first is on line %u)",
				 c->manager.line);
			return NULL;
		}
		c->manager.line = p->line;
		return &c->manager;
	case SEC_CONTROL:
		if (c->control.line) {
			conf_err(p, p->line, "a second [Control] section (the first is on line %u)",
				 c->control.line);
			return NULL;
		}
		c->control.line = p->line;
		return &c->control;
	case SEC_GROUP:
		g = array_push((void **)&c->groups, &c->ngroups, sizeof(*g));
		if (g) {
			g->suite = GRPSEC_SUITE_AES128_GCM;
			g->mode = GRPSEC_MODE_ANONYMOUS;
			g->line = p->line;
		}
		return g;
	case SEC_ALLOW:
		return array_push((void **)&c->allows, &c->nallows,
				  sizeof(*c->allows));
	case SEC_GATEWAY:
		gw = array_push((void **)&c->gateways, &c->ngateways, sizeof(*gw));
		if (gw)
			gw->upstream_suite = GRPSEC_SUITE_AES128_GCM;
		return gw;
	default:
		return NULL;
	}
}

static bool key_seen(const struct parser *p, const char *name)
{
	const struct conf_key *k = sections[p->sec].keys;

	for (unsigned int i = 0; k[i].name; i++)
		if (!strcmp(k[i].name, name))
			return p->seen & (1ULL << i);
	return false;
}

static void group_end(struct parser *p, struct conf_group *g)
{
	if (!key_seen(p, "Id")) {
		conf_err(p, g->line, "[Group] without an Id");
		return;
	}
	for (struct conf_group *o = p->c->groups; o < g; o++)
		if (o->id == g->id)
			conf_err(p, g->line, "group %u is already defined on line %u",
				 g->id, o->line);
}

static void allow_end(struct parser *p, struct conf_allow *a)
{
	a->line = p->sec_line;
	if (!a->groups.n)
		conf_err(p, a->line, "[Allow] without a Group");
	if (!a->subjects.n && !a->sans.n && !a->psk_ids.n)
		conf_err(p, a->line, "[Allow] admits no one: give Subject, SAN or PSKIdentity");
}

static void gateway_end(struct parser *p, struct conf_gateway *gw)
{
	gw->line = p->sec_line;
	if (!key_seen(p, "Id"))
		conf_err(p, gw->line, "[Gateway] without an Id");
	if (!gw->address.len)
		conf_err(p, gw->line, "[Gateway] without an Address for its devices");
	if (!gw->identity)
		conf_err(p, gw->line, "[Gateway] without the Identity its certificate carries");
	for (struct conf_gateway *o = p->c->gateways; o < gw; o++)
		if (o->id == gw->id && key_seen(p, "Id"))
			conf_err(p, gw->line, "gateway %u is already defined on line %u",
				 gw->id, o->line);
}

static void section_end(struct parser *p)
{
	if (!p->obj)
		return;
	if (p->sec == SEC_GROUP)
		group_end(p, p->obj);
	else if (p->sec == SEC_ALLOW)
		allow_end(p, p->obj);
	else if (p->sec == SEC_GATEWAY)
		gateway_end(p, p->obj);
	p->obj = NULL;
}

static void section_open(struct parser *p, const char *s)
{
	size_t len = strlen(s);

	section_end(p);
	p->sec = SEC_NONE;
	p->seen = 0;
	p->sec_line = p->line;
	if (s[len - 1] != ']') {
		conf_err(p, p->line, "\"%s\": a section name ends with ]", s);
		return;
	}
	for (unsigned int i = 1; i < NSECTIONS; i++) {
		if (len == strlen(sections[i].name) + 2 &&
		    !strncasecmp(s + 1, sections[i].name, len - 2)) {
			p->sec = i;
			p->obj = section_new(p, i);
			if (!p->obj && i != SEC_MANAGER && i != SEC_CONTROL)
				conf_err(p, p->line, "out of memory");
			return;
		}
	}
	conf_err(p, p->line, "unknown section %s (Manager, Group, Allow, Gateway or Control)",
		 s);
}

/* Lines. */

static void key_value(struct parser *p, const char *key, const char *val)
{
	const struct conf_key *k = sections[p->sec].keys;
	unsigned int i;

	for (i = 0; k[i].name; i++)
		if (!strcasecmp(k[i].name, key))
			break;
	if (!k[i].name) {
		conf_err(p, p->line, "unknown key \"%s\" in [%s]", key,
			 sections[p->sec].name);
		return;
	}
	if (!k[i].repeat && (p->seen & (1ULL << i))) {
		conf_err(p, p->line, "%s given twice in this [%s] section",
			 k[i].name, sections[p->sec].name);
		return;
	}
	p->seen |= 1ULL << i;
	k[i].parse(p, &k[i], val, (char *)p->obj + k[i].off);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void process_line(struct parser *p, char *line)
{
	char *eq, *key, *val;

	if (*line == '[') {
		section_open(p, line);
		return;
	}
	eq = strchr(line, '=');
	if (!eq) {
		conf_err(p, p->line, "expected \"Key = Value\", got \"%s\"", line);
		return;
	}
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!*key || !*val) {
		conf_err(p, p->line, "%s has no %s", *key ? key : "line",
			 *key ? "value" : "key");
		return;
	}
	if (p->sec == SEC_NONE) {
		/* An unknown section was reported already. */
		if (!p->sec_line)
			conf_err(p, p->line, "\"%s\" outside of any section", key);
		return;
	}
	if (p->obj)
		key_value(p, key, val);
}

/* One line without its comment and blanks; false at the end of the file. */
static bool config_read_line(struct parser *p, FILE *f, char *buf,
			     size_t size, char **line)
{
	char *hash;

	if (!fgets(buf, size, f))
		return false;
	p->line++;
	if (!strchr(buf, '\n') && !feof(f)) {
		int ch;

		conf_err(p, p->line, "line longer than %zu characters", size - 2);
		while ((ch = fgetc(f)) != EOF && ch != '\n')
			;
		buf[0] = '\0';
	}
	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	*line = trim(buf);
	return true;
}

/* The whole file: references between sections, what needs what. */

static void check_references(struct parser *p)
{
	const struct grpsecd_conf *c = p->c;

	for (size_t i = 0; i < c->nallows; i++)
		for (size_t j = 0; j < c->allows[i].groups.n; j++)
			if (!conf_group_find(c, c->allows[i].groups.v[j]))
				conf_err(p, c->allows[i].line, "[Allow] names group %u, which no [Group] defines",
					 c->allows[i].groups.v[j]);
	for (size_t i = 0; i < c->ngroups; i++)
		for (size_t j = 0; j < c->groups[i].gateways.n; j++)
			if (!conf_gateway_find(c, c->groups[i].gateways.v[j]))
				conf_err(p, c->groups[i].line, "group %u names gateway %u, which no [Gateway] defines",
					 c->groups[i].id,
					 c->groups[i].gateways.v[j]);
}

static void check_tls(struct parser *p)
{
	const struct conf_manager *m = &p->c->manager;
	bool listens = m->enroll_listen.len || m->control_listen.len;

	if (listens && (!m->certificate || !m->private_key))
		conf_err(p, m->line, "[Manager] listens for TLS (EnrollListen or ControlListen) but lacks Certificate or PrivateKey");
	if (m->enroll_listen.len && !m->ca && !m->psk_file)
		conf_err(p, m->line, "[Manager] EnrollListen needs CA (device certificates) or PSKFile (external PSKs), or both");
	if (m->control_listen.len && !m->ca)
		conf_err(p, m->line, "[Manager] ControlListen needs the CA that signs the gateways' certificates");
	if (m->control_listen.len && !m->batch_listen.len)
		conf_err(p, m->line, "[Manager] ControlListen needs BatchListen (where the gateways send their batches)");
	if (m->crl && !m->ca)
		conf_err(p, m->line, "[Manager] CRL without CA");
}

/* [Control], when there is one: the gateway's channel needs all of these. */
static void check_control(struct parser *p)
{
	const struct conf_control *ct = &p->c->control;

	if (!ct->line)
		return;
	if (!ct->manager.len)
		conf_err(p, ct->line, "[Control] without Manager (the manager's ControlListen, ADDR:PORT)");
	if (!ct->certificate || !ct->private_key)
		conf_err(p, ct->line, "[Control] lacks Certificate or PrivateKey (the gateway's, for mutual TLS)");
	if (!ct->ca)
		conf_err(p, ct->line, "[Control] without the CA that signs the manager's certificate");
	if (!ct->manager_name)
		conf_err(p, ct->line, "[Control] without ManagerName (the DNS name the manager's certificate carries)");
	if (ct->crl && !ct->ca)
		conf_err(p, ct->line, "[Control] CRL without CA");
}

int conf_check_gateway(const struct grpsecd_conf *c)
{
	if (c->control.line)
		return 0;
	log_err("%s: no [Control] section: the gateway role needs one (Manager, ManagerName, Certificate, PrivateKey, CA)",
		c->file);
	return -1;
}

static int set_default(struct parser *p, char **field, const char *value)
{
	if (*field)
		return 0;
	*field = strdup(value);
	if (!*field)
		conf_err(p, 0, "out of memory");
	return *field ? 0 : -1;
}

static void set_defaults(struct parser *p)
{
	struct conf_manager *m = &p->c->manager;

	set_default(p, &m->database, CONF_DEFAULT_DATABASE);
	set_default(p, &m->master_key, CONF_DEFAULT_MASTER_KEY);
	set_default(p, &m->control_socket, CONF_DEFAULT_CONTROL_SOCKET);
	if (!m->max_handshakes)
		m->max_handshakes = CONF_DEFAULT_MAX_HANDSHAKES;
	if (!m->handshake_timeout_ms)
		m->handshake_timeout_ms = CONF_DEFAULT_HANDSHAKE_MS;
	if (!p->c->control.line)
		return;
	set_default(p, &p->c->control.control_socket, CONF_DEFAULT_GW_CONTROL_SOCKET);
	set_default(p, &p->c->control.state_file, CONF_DEFAULT_GW_STATE_FILE);
	if (!p->c->control.handshake_timeout_ms)
		p->c->control.handshake_timeout_ms = CONF_DEFAULT_HANDSHAKE_MS;
}

static void read_file(struct parser *p, FILE *f)
{
	char buf[CONF_LINE_MAX + 2], *line;

	while (config_read_line(p, f, buf, sizeof(buf), &line))
		if (*line)
			process_line(p, line);
	section_end(p);
	if (ferror(f))
		conf_err(p, 0, "read error: %s", strerror(errno));
}

struct grpsecd_conf *conf_load(const char *file)
{
	struct parser p = { 0 };
	FILE *f;

	p.c = calloc(1, sizeof(*p.c));
	if (!p.c || !(p.c->file = strdup(file))) {
		log_err("out of memory");
		free(p.c);
		return NULL;
	}
	f = fopen(file, "re");
	if (!f) {
		conf_err(&p, 0, "cannot open: %s", strerror(errno));
		conf_free(p.c);
		return NULL;
	}
	read_file(&p, f);
	fclose(f);
	check_references(&p);
	check_tls(&p);
	check_control(&p);
	set_defaults(&p);
	if (p.errors) {
		log_err("%s: %d problem%s, configuration not loaded", file,
			p.errors, p.errors == 1 ? "" : "s");
		conf_free(p.c);
		return NULL;
	}
	return p.c;
}

static void strs_free(struct conf_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

void conf_free(struct grpsecd_conf *c)
{
	struct conf_manager *m;

	if (!c)
		return;
	m = &c->manager;
	free(m->certificate);
	free(m->private_key);
	free(m->ca);
	free(m->crl);
	free(m->psk_file);
	free(m->database);
	free(m->master_key);
	free(m->control_socket);
	free(m->app_socket);
	free(c->control.manager_name);
	free(c->control.certificate);
	free(c->control.private_key);
	free(c->control.ca);
	free(c->control.crl);
	free(c->control.state_file);
	free(c->control.control_socket);
	for (size_t i = 0; i < c->ngroups; i++)
		free(c->groups[i].gateways.v);
	for (size_t i = 0; i < c->nallows; i++) {
		free(c->allows[i].groups.v);
		strs_free(&c->allows[i].subjects);
		strs_free(&c->allows[i].sans);
		strs_free(&c->allows[i].psk_ids);
	}
	for (size_t i = 0; i < c->ngateways; i++) {
		free(c->gateways[i].identity);
		free(c->gateways[i].upstream_key);
	}
	free(c->groups);
	free(c->allows);
	free(c->gateways);
	free(c->file);
	free(c);
}

const struct conf_group *conf_group_find(const struct grpsecd_conf *c,
					 uint32_t id)
{
	for (size_t i = 0; i < c->ngroups; i++)
		if (c->groups[i].id == id)
			return &c->groups[i];
	return NULL;
}

const struct conf_gateway *conf_gateway_find(const struct grpsecd_conf *c,
					     uint32_t id)
{
	for (size_t i = 0; i < c->ngateways; i++)
		if (c->gateways[i].id == id)
			return &c->gateways[i];
	return NULL;
}
