/* One error type with categories, plus a per-thread detail message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "openrsp/core.h"

static const char *const err_names[ORSP_E__COUNT] = {
	[ORSP_OK] = "ok",
	[ORSP_E_MALFORMED] = "malformed input",
	[ORSP_E_VERIFY] = "verification failed",
	[ORSP_E_POLICY] = "not allowed by policy",
	[ORSP_E_STATE] = "wrong state",
	[ORSP_E_STORAGE] = "storage error",
	[ORSP_E_RESOURCE] = "resource limit",
	[ORSP_E_USAGE] = "invalid arguments",
	[ORSP_E_NOT_FOUND] = "not found",
	[ORSP_E_EXISTS] = "already exists",
	[ORSP_E_CRYPTO] = "crypto library error",
	[ORSP_E_IO] = "I/O error",
};

static _Thread_local char err_detail[ORSP_ERR_DETAIL_MAX];

const char *orsp_err_str(orsp_err e)
{
	if ((unsigned)e >= ORSP_E__COUNT)
		return "unknown error";
	return err_names[e];
}

/* A detail cut to fit buf[0..cap) ends in "..." to say so (cap >= 4). */
static void mark_cut(char *buf, size_t cap)
{
	memcpy(buf + cap - 4, "...", 4);
}

orsp_err orsp_errf(orsp_err e, const char *fmt, ...)
{
	/* Formatted aside first: callers wrap the previous detail ("...: %s",
	 * orsp_err_detail()), and vsnprintf may not read from the buffer it writes. */
	char tmp[sizeof(err_detail)];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(tmp, sizeof(tmp), "(the detail could not be formatted)");
	else if ((size_t)n >= sizeof(tmp))
		mark_cut(tmp, sizeof(tmp));
	memcpy(err_detail, tmp, strlen(tmp) + 1);
	return e;
}

const char *orsp_err_detail(void)
{
	return err_detail;
}

void orsp_err_detail_copy(char *out, size_t cap)
{
	size_t n = strlen(err_detail);

	if (cap == 0)
		return;
	if (n < cap) {
		memcpy(out, err_detail, n + 1);
		return;
	}
	memcpy(out, err_detail, cap - 1);
	out[cap - 1] = '\0';
	if (cap >= 4)
		mark_cut(out, cap);
}

void orsp_err_clear(void)
{
	err_detail[0] = '\0';
}
