/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growable text buffer for replies and pages (control socket,
 * /metrics).  An allocation failure is remembered (oom) instead of
 * returned by every call: the caller checks once, at the end.
 */
#ifndef GRPSECD_BUF_H
#define GRPSECD_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *p;		/* NUL-terminated when not NULL */
	size_t len, cap;
	bool oom;
};

void buf_add(struct buf *b, const char *s, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
