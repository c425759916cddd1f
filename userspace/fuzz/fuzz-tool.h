/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tool's fuzz targets share: the input as a file the tool opens
 * by name (a memfd), and its messages caught in memory, where a check
 * looks for key material in them.
 */
#ifndef GRPSEC_FUZZ_TOOL_H
#define GRPSEC_FUZZ_TOOL_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../tool/tool.h"

#define FUZZ_CHECK(cond) do { if (!(cond)) abort(); } while (0)
/* Relative key file names resolve under a directory that does not exist. */
#define FUZZ_TOOL_NODIR "/nonexistent-grpsec-fuzz"

static int fuzz_tool_fd = -1;
static char fuzz_tool_name[64];
static char *fuzz_tool_out;
static size_t fuzz_tool_outlen;
static FILE *fuzz_tool_stderr;

static const char *fuzz_tool_path(void)
{
	return fuzz_tool_name;
}

/* The input as the file fuzz_tool_path(); messages to memory. */
static void fuzz_tool_begin(const uint8_t *data, size_t size)
{
	if (fuzz_tool_fd < 0) {
		fuzz_tool_fd = memfd_create("grpsec-fuzz", 0);
		FUZZ_CHECK(fuzz_tool_fd >= 0);
		snprintf(fuzz_tool_name, sizeof(fuzz_tool_name),
			 "/proc/self/fd/%d", fuzz_tool_fd);
		fuzz_tool_stderr = stderr;
	}
	FUZZ_CHECK(!ftruncate(fuzz_tool_fd, 0));
	FUZZ_CHECK(pwrite(fuzz_tool_fd, data, size, 0) == (ssize_t)size);
	/* libFuzzer keeps its own copy of the old stderr stream. */
	stderr = open_memstream(&fuzz_tool_out, &fuzz_tool_outlen);
	FUZZ_CHECK(stderr);
}

/* No message may hold a run of hex digits that looks like a key. */
static void fuzz_tool_end(void)
{
	const char *p;

	fclose(stderr);
	stderr = fuzz_tool_stderr;
	for (p = fuzz_tool_out; *p;) {
		size_t n = strspn(p, "0123456789abcdefABCDEF");

		if (n && looks_like_key(p, n)) {
			fwrite(fuzz_tool_out, 1, fuzz_tool_outlen, stderr);
			abort();
		}
		p += n ? n : 1;
	}
	free(fuzz_tool_out);
	fuzz_tool_out = NULL;
}

#endif /* GRPSEC_FUZZ_TOOL_H */
