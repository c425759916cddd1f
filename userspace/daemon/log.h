/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grpsecd's log: one line per event on standard error, with the
 * syslog priority prefix (<3>, <4>, <6>, <7>) when standard error is the
 * journal, so journalctl shows levels; "grpsecd: " otherwise.
 */
#ifndef GRPSECD_LOG_H
#define GRPSECD_LOG_H

#include <stdbool.h>

struct buf;

void log_init(bool verbose);
/* Also append every error line, without prefix, to b (NULL: stop). */
void log_capture(struct buf *b);
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
