// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecd.conf's parser (userspace/daemon/conf.c) on arbitrary bytes:
 * whatever the file holds, conf_load() either returns a configuration
 * that conf_free() releases whole, or NULL; and policy_check() on what it
 * returns stays in bounds.  The log lines go nowhere: this file is the
 * log (log.h) for the target.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "policy.h"

void log_init(bool verbose) { (void)verbose; }
void log_capture(struct buf *b) { (void)b; }
void log_err(const char *fmt, ...) { (void)fmt; }
void log_warn(const char *fmt, ...) { (void)fmt; }
void log_info(const char *fmt, ...) { (void)fmt; }
void log_debug(const char *fmt, ...) { (void)fmt; }

static void check_policy(const struct grpsecd_conf *c)
{
	static const char *const sans[] = { "DNS:a.meters.example", "IP:192.0.2.1" };
	const struct identity ids[] = {
		{ IDENTITY_CERT, "CN=meter-1,O=Utility", sans, 2 },
		{ IDENTITY_PSK, "meter-psk-1", NULL, 0 },
	};

	for (size_t g = 0; g < c->ngroups; g++)
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			policy_check(c, &ids[i], c->groups[g].id, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grpsecd_conf *c;
	char path[64];
	int fd = memfd_create("grpsecd.conf", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		c = conf_load(path);
		if (c)
			check_policy(c);
		conf_free(c);
	}
	close(fd);
	return 0;
}
