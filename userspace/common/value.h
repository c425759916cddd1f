/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Values as people write them: decimal numbers, suite and mode names,
 * ADDR:PORT endpoints (IPv6 in brackets).  The parsers return false on
 * anything else; the caller quotes the value back in its message.
 */
#ifndef GRPSEC_COMMON_VALUE_H
#define GRPSEC_COMMON_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <linux/grpsec.h>

bool parse_u64(const char *s, uint64_t *v, uint64_t min, uint64_t max);
bool parse_u32(const char *s, uint32_t *v, uint32_t min, uint32_t max);
bool parse_suite(const char *s, uint8_t *suite);
bool parse_mode(const char *s, uint8_t *mode);
const char *suite_name(uint8_t suite);
const char *mode_name(uint8_t mode);
size_t suite_key_len(uint8_t suite);
bool parse_endpoint(const char *s, struct sockaddr_storage *ss,
		    socklen_t *len);
void format_endpoint(const struct sockaddr_storage *ss, char *buf,
		     size_t size);
#define ENDPOINT_STRLEN 64

#endif
