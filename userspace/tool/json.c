// SPDX-License-Identifier: GPL-2.0
/*
 * A streaming JSON writer, enough for iproute2-style output: objects,
 * arrays, unsigned numbers, strings and null; compact by default, indented
 * with -p.  Keys are written with '_' where the text output has '-', as
 * iproute2 does.  Output streams, so a dump of 100,000 members never sits
 * in memory.
 */
#include <stdio.h>

#include "tool.h"

#define JW_DEPTH 16

static int depth;
static bool first[JW_DEPTH];

static void indent(void)
{
	if (!opt.pretty)
		return;
	putchar('\n');
	for (int i = 0; i < depth; i++)
		fputs("    ", stdout);
}

static void put_string(const char *s, bool key)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (key && c == '-')
			putchar('_');
		else if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void member_start(const char *name)
{
	if (depth > 0) {
		if (!first[depth])
			putchar(',');
		first[depth] = false;
		indent();
	}
	if (name) {
		put_string(name, true);
		putchar(':');
		if (opt.pretty)
			putchar(' ');
	}
}

static void open_container(const char *name, char c)
{
	member_start(name);
	putchar(c);
	if (depth < JW_DEPTH - 1)
		depth++;
	first[depth] = true;
}

static void close_container(char c)
{
	bool empty = first[depth];

	if (depth > 0)
		depth--;
	if (!empty)
		indent();
	putchar(c);
}

void jw_begin(void)
{
	depth = 0;
	first[0] = true;
}

void jw_end(void)
{
	putchar('\n');
	fflush(stdout);
}

void jw_obj_open(const char *name)
{
	open_container(name, '{');
}

void jw_obj_close(void)
{
	close_container('}');
}

void jw_arr_open(const char *name)
{
	open_container(name, '[');
}

void jw_arr_close(void)
{
	close_container(']');
}

void jw_uint(const char *name, uint64_t v)
{
	member_start(name);
	printf("%llu", (unsigned long long)v);
}

void jw_str(const char *name, const char *s)
{
	member_start(name);
	put_string(s, false);
}

void jw_null(const char *name)
{
	member_start(name);
	fputs("null", stdout);
}

void jw_bool(const char *name, bool v)
{
	member_start(name);
	fputs(v ? "true" : "false", stdout);
}
