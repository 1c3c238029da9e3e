/* Logging to stderr. Secret types are refused at compile time by the orsp_log() macro. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "openrsp/core.h"

static orsp_log_level log_level = ORSP_LOG_WARN;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void orsp_log_set_level(orsp_log_level level)
{
	log_level = level;
}

orsp_log_level orsp_log_get_level(void)
{
	return log_level;
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
	fprintf(stderr, "%s openrsp %s: %s\n", ts, level_names[level], line);
}
