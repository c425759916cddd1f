// SPDX-License-Identifier: GPL-2.0
/*
 * grpsecd's log lines.  systemd sets JOURNAL_STREAM to the device and
 * inode of the stream it gave us as standard error; when they match, the
 * lines carry the journal's <N> priority prefix instead of a name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>

#include "buf.h"
#include "log.h"

static struct {
	bool journal;
	bool verbose;
	struct buf *capture;
} log_state;

static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_capture(struct buf *b)
{
	log_state.capture = b;
}

void log_init(bool verbose)
{
	log_state.journal = stderr_is_journal();
	log_state.verbose = verbose;
}

static void log_line(int prio, const char *fmt, va_list ap)
{
	static const char *const level[] = {
		[LOG_ERR] = "error: ", [LOG_WARNING] = "warning: ",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};

	if (prio == LOG_ERR && log_state.capture) {
		va_list aq;
		char line[1024];

		va_copy(aq, ap);
		vsnprintf(line, sizeof(line), fmt, aq);
		va_end(aq);
		buf_printf(log_state.capture, "%s\n", line);
	}
	if (prio == LOG_DEBUG && !log_state.verbose)
		return;
	if (log_state.journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "grpsecd: %s", level[prio]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOG_FN(name, prio)				\
void name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	log_line(prio, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_err, LOG_ERR)
LOG_FN(log_warn, LOG_WARNING)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)
