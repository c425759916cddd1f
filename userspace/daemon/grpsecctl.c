// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecctl: administer a running grpsecd over its control socket (ctl.h),
 * with grpsec(8)'s conventions: a static command table with one line of
 * help each, no command means "show", -j for JSON, errors that say what
 * to do.  The daemon sends records of key=value fields; this file knows
 * which fields are numbers (for JSON) and which are times (for people).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "ctl.h"

#define EXIT_USAGE	1	/* bad command line */
#define EXIT_REFUSED	2	/* grpsecd answered with an error */
#define EXIT_NO_DAEMON	3	/* no grpsecd on the socket */

#define FIELDS_MAX	32

struct record {
	char *type;
	char *key[FIELDS_MAX], *val[FIELDS_MAX];
	int n;
};

struct reply {
	struct record *recs;
	size_t n;
	char *error;		/* NULL: OK */
	struct buf raw;
};

enum view { VIEW_FIELDS, VIEW_TABLE, VIEW_HELP };

static const struct command {
	const char *name;
	int min_args, max_args;
	const char *usage;
	const char *help;
	enum view view;
} commands[] = {
	{ "show", 0, 0, "show", "Show the daemon: role, configuration, counts (the default)", VIEW_FIELDS },
	{ "devices", 0, 0, "devices", "List the enrolled devices", VIEW_TABLE },
	{ "members", 0, 1, "members [GROUP]", "List the members, of all groups or of one", VIEW_TABLE },
	{ "groups", 0, 0, "groups", "List the groups with their epochs and members", VIEW_TABLE },
	{ "revoke", 1, CTL_ARGS_MAX, "revoke DEVICE", "Revoke a device, by id or identity: it cannot enroll again", VIEW_FIELDS },
	{ "rekey", 1, 1, "rekey GROUP", "Move a group to a new epoch", VIEW_FIELDS },
	{ "reload", 0, 0, "reload", "Reload the configuration file, as SIGHUP does", VIEW_FIELDS },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *const numeric_keys[] = {
	"id", "pid", "uptime", "reloads", "groups", "allow_rules", "gateways",
	"devices", "members", "first_enrolled", "last_enrolled", "group",
	"device", "epoch_joined", "epoch", "next_epoch", "epoch_lifetime",
	"message_limit", "rate_limit", "rekeys", "sent", "retries", "heard", "gateways_connected",
	"connects", "pushes", "held_groups", "held_members",
};

static const char *const time_keys[] = { "first_enrolled", "last_enrolled" };

static bool key_in(const char *key, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(key, set[i]))
			return true;
	return false;
}

#define KEY_IN(key, set) key_in(key, set, sizeof(set) / sizeof(set[0]))

/* Talking to the daemon. */

static int connect_daemon(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "grpsecctl: socket path \"%s\" is too long\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && !connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return fd;
	fprintf(stderr, "grpsecctl: cannot reach grpsecd at %s: %s\n"
		"grpsecctl: is grpsecd running? (systemctl status grpsecd); -s names another socket\n",
		path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int exchange(const char *path, const char *request, struct buf *raw)
{
	char chunk[65536];
	ssize_t n;
	int fd = connect_daemon(path);

	if (fd < 0)
		return EXIT_NO_DAEMON;
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "grpsecctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return EXIT_NO_DAEMON;
	}
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		buf_add(raw, chunk, n);
	close(fd);
	if (n < 0 || raw->oom) {
		fprintf(stderr, "grpsecctl: reading the reply: %s\n",
			n < 0 ? strerror(errno) : "out of memory");
		return EXIT_NO_DAEMON;
	}
	return 0;
}

static bool parse_record(char *line, struct record *rec)
{
	char *save, *f;

	rec->type = strtok_r(line, "\t", &save);
	rec->n = 0;
	while ((f = strtok_r(NULL, "\t", &save)) && rec->n < FIELDS_MAX) {
		char *eq = strchr(f, '=');

		if (!eq || !ctl_unescape(eq + 1))
			return false;
		*eq = '\0';
		rec->key[rec->n] = f;
		rec->val[rec->n++] = eq + 1;
	}
	return rec->type != NULL;
}

/* Split the reply into records and its status line; false if malformed. */
static bool parse_reply(struct reply *r)
{
	char *save, *line;

	for (line = strtok_r(r->raw.p, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct record *recs;

		if (!strcmp(line, "OK"))
			return !strtok_r(NULL, "\n", &save);
		if (!strncmp(line, "ERROR ", 6)) {
			r->error = line + 6;
			return ctl_unescape(r->error);
		}
		recs = realloc(r->recs, (r->n + 1) * sizeof(*recs));
		if (!recs)
			return false;
		r->recs = recs;
		if (!parse_record(line, &r->recs[r->n++]))
			return false;
	}
	return false;
}

/* Output for people. */

static const char *show_value(const char *key, const char *val, char *buf,
			      size_t size)
{
	time_t t;

	if (!KEY_IN(key, time_keys))
		return val;
	t = strtoll(val, NULL, 10);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", gmtime(&t));
	return buf;
}

static void print_fields(const struct record *rec)
{
	char tbuf[32];
	int w = 0;

	for (int i = 0; i < rec->n; i++)
		if ((int)strlen(rec->key[i]) > w)
			w = strlen(rec->key[i]);
	for (int i = 0; i < rec->n; i++)
		printf("%-*s  %s\n", w + 1, rec->key[i],
		       show_value(rec->key[i], rec->val[i], tbuf, sizeof(tbuf)));
}

static int column_width(const struct reply *r, int col)
{
	char tbuf[32];
	int w = strlen(r->recs[0].key[col]);

	for (size_t i = 0; i < r->n; i++) {
		const struct record *rec = &r->recs[i];

		if (col < rec->n) {
			int l = strlen(show_value(rec->key[col], rec->val[col],
						  tbuf, sizeof(tbuf)));

			w = l > w ? l : w;
		}
	}
	return w;
}

static void print_table(const struct reply *r)
{
	int w[FIELDS_MAX], ncol;
	char tbuf[32];

	if (!r->n)
		return;
	ncol = r->recs[0].n;
	for (int c = 0; c < ncol; c++) {
		w[c] = column_width(r, c);
		printf("%-*s%s", c + 1 < ncol ? w[c] : 0, r->recs[0].key[c],
		       c + 1 < ncol ? "  " : "\n");
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct record *rec = &r->recs[i];

		for (int c = 0; c < ncol && c < rec->n; c++)
			printf("%-*s%s", c + 1 < ncol ? w[c] : 0,
			       show_value(rec->key[c], rec->val[c], tbuf,
					  sizeof(tbuf)),
			       c + 1 < ncol ? "  " : "\n");
	}
}

/* Output for programs: JSON. */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void json_record(const struct record *rec)
{
	putchar('{');
	for (int i = 0; i < rec->n; i++) {
		printf("%s", i ? "," : "");
		json_string(rec->key[i]);
		putchar(':');
		if (KEY_IN(rec->key[i], numeric_keys) && *rec->val[i] &&
		    strspn(rec->val[i], "0123456789") == strlen(rec->val[i]))
			fputs(rec->val[i], stdout);
		else
			json_string(rec->val[i]);
	}
	putchar('}');
}

static void print_json(const struct reply *r, enum view view)
{
	if (view == VIEW_FIELDS && r->n == 1) {
		json_record(&r->recs[0]);
	} else {
		putchar('[');
		for (size_t i = 0; i < r->n; i++) {
			printf("%s", i ? "," : "");
			json_record(&r->recs[i]);
		}
		putchar(']');
	}
	putchar('\n');
}

/* The command line. */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: grpsecctl [-s SOCKET] [-j] [COMMAND [ARGUMENTS]]\n"
		"\n"
		"Options:\n"
		"  -s SOCKET  grpsecd's control socket (default %s)\n"
		"  -j         JSON output\n"
		"\n"
		"Commands:\n", CONF_DEFAULT_CONTROL_SOCKET);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f,
		"  %-8s %s\n  %-8s %s\n"
		"\n"
		"Without a command, grpsecctl runs \"show\"; grpsecctl(8) has the details.\n",
		"version", "Print grpsecctl's version", "help", "Show this help");
}

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* The request line: the words joined by spaces; false if one cannot go. */
static bool build_request(int argc, char **argv, struct buf *req)
{
	for (int i = 0; i < argc; i++) {
		if (!*argv[i] || strpbrk(argv[i], "\t\r\n")) {
			fprintf(stderr, "grpsecctl: argument \"%s\" is empty or has a tab or line end\n",
				argv[i]);
			return false;
		}
		buf_printf(req, "%s%s", i ? " " : "", argv[i]);
	}
	buf_puts(req, "\n");
	if (req->len > CTL_LINE_MAX) {
		fprintf(stderr, "grpsecctl: the request is longer than %d bytes\n",
			CTL_LINE_MAX);
		return false;
	}
	return !req->oom;
}

static int report(const struct command *cmd, struct reply *r, bool json)
{
	if (r->error) {
		for (size_t i = 0; i < r->n; i++)
			if (!strcmp(r->recs[i].type, "problem") && r->recs[i].n)
				fprintf(stderr, "%s\n", r->recs[i].val[0]);
		fprintf(stderr, "grpsecctl: grpsecd: %s\n", r->error);
		return EXIT_REFUSED;
	}
	if (json)
		print_json(r, cmd->view);
	else if (cmd->view == VIEW_TABLE)
		print_table(r);
	else
		for (size_t i = 0; i < r->n; i++)
			print_fields(&r->recs[i]);
	return 0;
}

static int run(const char *sock, const struct command *cmd, int argc,
	       char **argv, bool json)
{
	struct buf req = { 0 };
	struct reply r = { 0 };
	int rc;

	if (argc - 1 < cmd->min_args || argc - 1 > cmd->max_args) {
		fprintf(stderr, "grpsecctl: %s takes %s\nUsage: grpsecctl %s\n",
			cmd->name, cmd->max_args ? "other arguments" : "no arguments",
			cmd->usage);
		return EXIT_USAGE;
	}
	if (!build_request(argc, argv, &req)) {
		buf_free(&req);
		return EXIT_USAGE;
	}
	rc = exchange(sock, req.p, &r.raw);
	buf_free(&req);
	if (!rc && !parse_reply(&r)) {
		fprintf(stderr, "grpsecctl: %s: the reply is malformed (grpsecd and grpsecctl of different versions?)\n",
			sock);
		rc = EXIT_NO_DAEMON;
	} else if (!rc) {
		rc = report(cmd, &r, json);
	}
	free(r.recs);
	buf_free(&r.raw);
	return rc;
}

int main(int argc, char **argv)
{
	const char *sock = CONF_DEFAULT_CONTROL_SOCKET;
	static char *show[] = { "show", NULL };
	const struct command *cmd;
	bool json = false;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--socket")) &&
			   i + 1 < argc) {
			sock = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("grpsecctl %s\n", GRPSECD_VERSION);
			return 0;
		} else {
			fprintf(stderr, "grpsecctl: unknown option \"%s\"\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i == argc)
		return run(sock, &commands[0], 1, show, json);
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[i], "version")) {
		printf("grpsecctl %s\n", GRPSECD_VERSION);
		return 0;
	}
	cmd = command_find(argv[i]);
	if (!cmd) {
		fprintf(stderr, "grpsecctl: invalid command \"%s\"\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return run(sock, cmd, argc - i, argv + i, json);
}
