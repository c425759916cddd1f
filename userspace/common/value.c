// SPDX-License-Identifier: GPL-2.0
/*
 * Values as people write them in grpsec's command lines and files:
 * decimal numbers, suite and mode names, ADDR:PORT endpoints.  Shared by
 * the grpsec tool and grpsecd, so both read a value the same way.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value.h"

/* Decimal only: "010" is ten, not eight, and "0x" is refused. */
bool parse_u64(const char *s, uint64_t *v, uint64_t min, uint64_t max)
{
	unsigned long long n;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*v = n;
	return true;
}

bool parse_u32(const char *s, uint32_t *v, uint32_t min, uint32_t max)
{
	uint64_t n;

	if (!parse_u64(s, &n, min, max))
		return false;
	*v = (uint32_t)n;
	return true;
}

static const char *const suites[] = {
	[GRPSEC_SUITE_AES128_GCM] = "aes-128-gcm",
	[GRPSEC_SUITE_AES256_GCM] = "aes-256-gcm",
	[GRPSEC_SUITE_CHACHA20_POLY1305] = "chacha20-poly1305",
};

static const char *const modes[] = {
	[GRPSEC_MODE_ANONYMOUS] = "anonymous",
	[GRPSEC_MODE_IDENTIFIED] = "identified",
};

bool parse_suite(const char *s, uint8_t *suite)
{
	for (unsigned int i = 1; i <= GRPSEC_SUITE_MAX; i++) {
		if (!strcmp(s, suites[i])) {
			*suite = i;
			return true;
		}
	}
	return false;
}

bool parse_mode(const char *s, uint8_t *mode)
{
	for (unsigned int i = 0; i <= GRPSEC_MODE_MAX; i++) {
		if (!strcmp(s, modes[i])) {
			*mode = i;
			return true;
		}
	}
	return false;
}

const char *suite_name(uint8_t suite)
{
	if (suite >= 1 && suite <= GRPSEC_SUITE_MAX)
		return suites[suite];
	return "unknown";
}

const char *mode_name(uint8_t mode)
{
	if (mode <= GRPSEC_MODE_MAX)
		return modes[mode];
	return "unknown";
}

size_t suite_key_len(uint8_t suite)
{
	return suite == GRPSEC_SUITE_AES128_GCM ? 16 : 32;
}

/* ADDR:PORT, with IPv6 addresses in brackets: [2001:db8::1]:7000. */
bool parse_endpoint(const char *s, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	uint32_t port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return false;
		hlen = close - s - 1;
		if (hlen >= sizeof(host))
			return false;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return false;
		hlen = colon - s;
		if (hlen >= sizeof(host))
			return false;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	if (!parse_u32(colon + 1, &port, 1, 65535))
		return false;

	if (s[0] != '[') {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return false;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return false;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	}
	return true;
}

void format_endpoint(const struct sockaddr_storage *ss, char *buf,
		     size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		snprintf(buf, size, "%s:%u", addr, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		snprintf(buf, size, "[%s]:%u", addr, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, size, "(none)");
	}
}
