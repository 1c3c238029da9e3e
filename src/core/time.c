/* Deadlines for timed waits, elapsed time, and UTC times as text. */
#include <stdio.h>

#include "openrsp/core.h"

void orsp_deadline_ms(struct timespec *until, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

int orsp_cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int e = pthread_condattr_init(&ca);

	if (e)
		return e;
	e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!e)
		e = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return e;
}

double orsp_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool orsp_utc_text(time_t t, char sep, char out[static ORSP_UTC_TEXT_CAP])
{
	struct tm tm;

	/* two literals, so that the compiler checks both formats */
	if (gmtime_r(&t, &tm) &&
	    (sep == 'T' ? strftime(out, ORSP_UTC_TEXT_CAP, "%Y-%m-%dT%H:%M:%SZ", &tm)
	                : strftime(out, ORSP_UTC_TEXT_CAP, "%Y-%m-%d %H:%M:%SZ", &tm)))
		return true;
	snprintf(out, ORSP_UTC_TEXT_CAP, "%lld", (long long)t);
	return false;
}
