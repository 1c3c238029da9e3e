/* Logging to stderr. Secret types are refused at compile time by the orsp_log() macro.
 * Every line goes out through orsp_log_line: whole, in one write(2) when it can, and a line
 * that could not be written (a full disk, a pipe whose reader died, a full non-blocking pipe)
 * is counted, never dropped without a trace. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "openrsp/core.h"

static orsp_log_level log_level = ORSP_LOG_WARN;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* The lines lost: all of them since the start (/metrics), and those not yet told of, with
 * the last failure's errno; torn: a line was cut after part of it went out, so the stream
 * stands in the middle of a line. Written under stderr's lock (flockfile), the one every stdio
 * write to stderr takes too, so that lines never mix, and which fork resets in the child;
 * atomic (relaxed) all the same, as ThreadSanitizer may not know that lock. */
static _Atomic uint64_t lost_total, lost_untold;
static _Atomic int lost_errno;
static _Atomic bool torn;
static const char *_Atomic log_program = "openrsp";

/* How long the rest of a line cut short by a full non-blocking pipe (EAGAIN) is waited for
 * before it is given up: its reader may be about to read. */
#define LOG_FINISH_MS 100

void orsp_log_set_level(orsp_log_level level)
{
	log_level = level;
}

orsp_log_level orsp_log_get_level(void)
{
	return log_level;
}

void orsp_log_set_program(const char *name)
{
	log_program = name;
}

uint64_t orsp_log_dropped(void)
{
	return atomic_load_explicit(&lost_total, memory_order_relaxed);
}

/* len bytes to fd, all of them: 0, or -1 with errno and *written (how many went out) */
static int put(int fd, const char *p, size_t len, size_t *written)
{
	double until = 0;

	*written = 0;
	while (*written < len) {
		ssize_t n = write(fd, p + *written, len - *written);
		if (n > 0) {
			*written += (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = EIO; /* no progress and no error: not retried */
			return -1;
		}
		if (errno == EINTR)
			continue;
		/* nothing of the line out yet: lost at once, a request never waits for a
		 * reader; part of it: the rest waited for a while, a cut line being worse */
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || *written == 0)
			return -1;
		if (until == 0)
			until = orsp_mono_s() + LOG_FINISH_MS / 1e3;
		double left = until - orsp_mono_s();
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		if (left <= 0 || poll(&pfd, 1, (int)(left * 1e3) + 1) == 0) {
			errno = EAGAIN;
			return -1;
		}
	}
	return 0;
}

/* A failed put: the line lost, the stream left mid-line if part of it went out */
static void lost(size_t written)
{
	lost_untold++;
	lost_errno = errno;
	if (written)
		torn = true;
	atomic_fetch_add_explicit(&lost_total, 1, memory_order_relaxed);
}

/* text (len bytes, its '\n' included) as one line on stderr; under stderr's lock */
static void emit_locked(const char *text, size_t len)
{
	int fd = fileno(stderr);
	size_t w;

	if (lost_untold) {
		char note[256];
		/* after a cut line: a newline first, so that this line starts a line of its own */
		int n = snprintf(note, sizeof(note),
		                 "%s%s: warning: %llu log line%s lost (writing to stderr: %s)\n",
		                 torn ? "\n" : "", log_program, (unsigned long long)lost_untold,
		                 lost_untold == 1 ? " was" : "s were", strerror(lost_errno));
		if (n < 0 || (size_t)n >= sizeof(note))
			n = (int)strlen(note);
		if (put(fd, note, (size_t)n, &w) != 0) {
			/* told next time; a note cut short cuts the stream as a line would */
			int err = errno;
			if (w)
				torn = true;
			errno = err;
			lost(0);
			return;
		}
		lost_untold = 0;
		torn = false;
	}
	if (put(fd, text, len, &w) != 0)
		lost(w);
}

void orsp_log_vline(const char *fmt, va_list ap)
{
	char buf[2048], *line = buf;
	va_list ap2;

	va_copy(ap2, ap);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	size_t len = (size_t)n;
	if (len >= sizeof(buf) - 1) {
		/* a longer line (a long error detail) whole, as fprintf wrote it; cut to the
		 * buffer without the memory */
		char *big = malloc(len + 2);
		if (big && vsnprintf(big, len + 1, fmt, ap2) == n)
			line = big;
		else
			len = sizeof(buf) - 2;
	}
	va_end(ap2);
	line[len++] = '\n';
	flockfile(stderr);
	emit_locked(line, len);
	funlockfile(stderr);
	if (line != buf)
		free(line);
}

void orsp_log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	orsp_log_vline(fmt, ap);
	va_end(ap);
}

void orsp__log_emit(orsp_log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char ts[ORSP_UTC_TEXT_CAP] = "";
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) == 0)
		orsp_utc_text(now.tv_sec, 'T', ts);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	orsp_log_line("%s openrsp %s: %s", ts, level_names[level], line);
}
