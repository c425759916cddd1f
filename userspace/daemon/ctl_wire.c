// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's value escaping (ctl.h), shared by grpsecd and
 * grpsecctl: a value never contains a raw tab or line end, so a record
 * is one line and its fields split on tabs.
 */
#include <string.h>

#include "ctl.h"

void ctl_escape(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		default:
			buf_add(b, s, 1);
		}
	}
}

bool ctl_unescape(char *s)
{
	static const char from[] = "\\tnr", to[] = "\\\t\n\r";
	char *w = s;

	for (; *s; s++) {
		const char *e;

		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		e = s[1] ? strchr(from, s[1]) : NULL;
		if (!e)
			return false;
		*w++ = to[e - from];
		s++;
	}
	*w = '\0';
	return true;
}
