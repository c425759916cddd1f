// SPDX-License-Identifier: GPL-2.0
/*
 * Values as people write them (numbers, suite and mode names, addresses,
 * key files) and the messages that quote them back when they are wrong.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

void err_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("grpsec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("grpsec: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Report bad input, then the subcommand's usage; returns EXIT_USAGE. */
int usage_fail(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("grpsec: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Usage: grpsec %s\n", usage);
	return EXIT_USAGE;
}

bool endpoint_from_attr(const void *data, size_t len,
			struct sockaddr_storage *ss, socklen_t *sslen)
{
	sa_family_t family;

	if (len < sizeof(family))
		return false;
	memcpy(&family, data, sizeof(family));
	if (!((family == AF_INET && len == sizeof(struct sockaddr_in)) ||
	      (family == AF_INET6 && len == sizeof(struct sockaddr_in6))))
		return false;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, data, len);
	*sslen = len;
	return true;
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

/* Exactly 2 * len hex digits, nothing else. */
static bool hex_decode(const char *s, size_t n, uint8_t *out, size_t len)
{
	if (n != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = hi << 4 | lo;
	}
	return true;
}

static bool all_hex(const char *s)
{
	size_t n = strlen(s);

	if (n != 32 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

/* A key file is read whole; anything longer than a hex key plus a newline
 * is not a key.
 */
#define KEY_FILE_MAX	(2 * GRPSEC_KEY_MAX + 2)

static ssize_t read_all(int fd, uint8_t *buf, size_t size)
{
	size_t n = 0;

	while (n < size) {
		ssize_t r = read(fd, buf + n, size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += r;
	}
	return n;
}

/*
 * Resolve a key reference to len bytes: a file of exactly len raw bytes,
 * or of 2 * len hex digits (trailing whitespace allowed); or, where
 * literals are allowed, the token itself as 2 * len hex digits.  On error
 * the message names where (a command or "file:line") and the bad value.
 */
int key_resolve(struct key_ref *ref, size_t len, const char *where)
{
	uint8_t buf[KEY_FILE_MAX + 1];
	char path[PATH_MAX];
	const char *name = ref->token;
	ssize_t n;
	int fd;

	if (ref->allow_literal && all_hex(ref->token)) {
		if (!hex_decode(ref->token, strlen(ref->token), ref->key, len)) {
			err_msg("%s: key \"%.8s...\" has %zu hex digits, the suite needs %zu",
				where, ref->token, strlen(ref->token), 2 * len);
			return EXIT_USAGE;
		}
		ref->len = len;
		return 0;
	}

	if (!strcmp(name, "-")) {
		fd = STDIN_FILENO;
	} else {
		if (name[0] != '/' && ref->dir) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s",
					     ref->dir, name) >= sizeof(path)) {
				err_msg("%s: key file path too long: \"%s\"",
					where, name);
				return EXIT_USAGE;
			}
			name = path;
		}
		fd = open(name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_msg("%s: cannot open key file \"%s\": %s", where,
				name, strerror(errno));
			return EXIT_USAGE;
		}
	}
	n = read_all(fd, buf, sizeof(buf));
	if (fd != STDIN_FILENO)
		close(fd);
	if (n < 0) {
		err_msg("%s: cannot read key file \"%s\": %s", where, name,
			strerror(errno));
		return EXIT_USAGE;
	}

	if ((size_t)n == len) {
		memcpy(ref->key, buf, len);
		ref->len = len;
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	while (n > 0 && isspace(buf[n - 1]))
		n--;
	if (hex_decode((const char *)buf, n, ref->key, len)) {
		ref->len = len;
		explicit_bzero(buf, sizeof(buf));
		return 0;
	}
	explicit_bzero(buf, sizeof(buf));
	err_msg("%s: key file \"%s\" does not hold a %zu-byte key (%zu raw bytes or %zu hex digits)",
		where, name, len, len, 2 * len);
	return EXIT_USAGE;
}

void key_wipe(struct key_ref *ref)
{
	explicit_bzero(ref->key, sizeof(ref->key));
	ref->len = 0;
}

/* The directory part of path, "." if none; the caller frees it. */
char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, slash - path);
}

bool stats_member_counter(int attr)
{
	return attr <= GRPSEC_A_STATS_DROP_RATE_LIMIT;
}

void print_usage(const char *usage)
{
	printf("Usage: grpsec %s\n", usage);
}

/*
 * Run "CMD SUB ARGS" from a table; no SUB means "show", as with ip(8).
 * "help" lists every subcommand's usage.
 */
int subcommand_run(const char *cmd, const struct subcommand *table,
		   int argc, char **argv)
{
	static char *show[] = { "show", NULL };
	const struct subcommand *s;

	if (argc < 2) {
		argc = 1;
		argv = show;
	} else {
		argc--;
		argv++;
	}
	if (!strcmp(argv[0], "help")) {
		for (s = table; s->name; s++)
			print_usage(s->usage);
		return EXIT_OK;
	}
	for (s = table; s->name; s++) {
		if (strcmp(argv[0], s->name))
			continue;
		if (argc == 2 && !strcmp(argv[1], "help")) {
			print_usage(s->usage);
			return EXIT_OK;
		}
		return s->fn(argc, argv);
	}
	fprintf(stderr, "grpsec: invalid %s command \"%s\"\n", cmd, argv[0]);
	for (s = table; s->name; s++)
		fprintf(stderr, "Usage: grpsec %s\n", s->usage);
	return EXIT_USAGE;
}
