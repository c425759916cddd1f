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
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

/*
 * Could the @n characters at @s be (part of) a key?  A run of hex digits
 * that no number the tool takes is: more than 20 digits (a u64 has 20),
 * or 8 and more with a letter among them.  File names made of hex digits
 * are hidden too, which costs little.
 */
bool looks_like_key(const char *s, size_t n)
{
	bool letter = false;

	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			letter = true;
	return n > 20 || (n >= 8 && letter);
}

/* Write @msg to stderr with every run that looks like a key hidden. */
static void put_redacted(const char *msg)
{
	const char *p = msg;

	while (*p) {
		size_t n = strspn(p, "0123456789abcdefABCDEF");

		if (!n) {
			fputc(*p++, stderr);
			continue;
		}
		if (looks_like_key(p, n))
			fputs("(hidden)", stderr);
		else
			fwrite(p, 1, n, stderr);
		p += n;
	}
}

static void vreport(const char *prefix, const char *where, const char *fmt,
		    va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs("grpsec: ", stderr);
	fputs(prefix, stderr);
	if (where) {
		put_redacted(where);
		fputs(": ", stderr);
	}
	put_redacted(msg);
	fputc('\n', stderr);
	explicit_bzero(msg, sizeof(msg));
}

void err_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", NULL, fmt, ap);
	va_end(ap);
}

void warn_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning: ", NULL, fmt, ap);
	va_end(ap);
}

/* Report bad input, then the subcommand's usage; returns EXIT_USAGE. */
int usage_fail(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vreport("", NULL, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "Usage: grpsec %s\n", usage);
	return EXIT_USAGE;
}

/*
 * Bad input from the command line (@usage given: the usage follows) or
 * from a file (@where, "file:line").  Returns EXIT_USAGE.
 */
int where_fail(const char *usage, const char *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("", usage ? NULL : where, fmt, ap);
	va_end(ap);
	if (usage)
		fprintf(stderr, "Usage: grpsec %s\n", usage);
	return EXIT_USAGE;
}

void free_wiped(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Is the file behind @fd one that group or others can read? */
static bool readable_by_others(int fd, unsigned int *mode)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return false;
	*mode = st.st_mode & 07777;
	return st.st_mode & (S_IRGRP | S_IROTH);
}

/*
 * Keys belong in files only their owner can read: a key file, or a
 * configuration or member file with keys in it, that group or others can
 * read gets a warning (the first one only).
 */
static void warn_readable(const char *what, const char *name,
			  unsigned int mode)
{
	static bool warned;

	if (warned)
		return;
	warned = true;
	warn_msg("%s \"%s\" is readable by group or others (mode %04o): chmod 600 it",
		 what, name, mode);
}

/*
 * Files that may hold keys are read with a stdio buffer of our own, so
 * that it can be wiped (glibc would free its own unwiped); standard input
 * through a stream of its own for the same reason.
 */
int secret_open(struct secret_file *sf, const char *name)
{
	int fd;

	memset(sf, 0, sizeof(*sf));
	sf->name = name;
	fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC) :
				 fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
	sf->f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!sf->f) {
		err_msg("cannot open \"%s\": %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_USAGE;
	}
	sf->loose = readable_by_others(fd, &sf->mode);
	setvbuf(sf->f, sf->buf, _IOFBF, sizeof(sf->buf));
	return 0;
}

/* The next line in sf->line; false at the end. */
bool secret_getline(struct secret_file *sf)
{
	const char *p;

	if (getline(&sf->line, &sf->cap, sf->f) <= 0)
		return false;
	for (p = sf->line; sf->loose && *p; p++) {
		size_t n = strspn(p, "0123456789abcdefABCDEF");

		if (n && looks_like_key(p, n)) {
			warn_readable("file with keys", sf->name, sf->mode);
			sf->loose = false;
			break;
		}
		p += n ? n - 1 : 0;
	}
	return true;
}

void secret_close(struct secret_file *sf)
{
	if (sf->f)
		fclose(sf->f);
	if (sf->line)
		explicit_bzero(sf->line, sf->cap);
	free(sf->line);
	explicit_bzero(sf->buf, sizeof(sf->buf));
	sf->f = NULL;
	sf->line = NULL;
}

/* A sequence floor as the kernel takes it. */
bool parse_floor(const char *s, uint64_t *v)
{
	return parse_u64(s, v, 0, GRPSEC_SEQ_FLOOR_MAX);
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

	return n && strspn(s, "0123456789abcdefABCDEF") == n;
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
	unsigned int mode;
	ssize_t n;
	int fd;

	/* A key itself is never printed, not even one of the wrong length. */
	if (all_hex(name) && looks_like_key(name, strlen(name))) {
		if (!ref->allow_literal) {
			err_msg("%s: keys are read from files, not from the command line (value not shown)",
				where);
			return EXIT_USAGE;
		}
		if (!hex_decode(name, strlen(name), ref->key, len)) {
			err_msg("%s: a key of %zu hex digits, the suite needs %zu (value not shown)",
				where, strlen(name), 2 * len);
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
		if (readable_by_others(fd, &mode))
			warn_readable("key file", name, mode);
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
