/* What the LPA's fuzz targets (fuzz_lpa_es9p, fuzz_lpa_download) ask of text that reaches the
 * user's terminal: NUL-terminated within cap bytes, well-formed UTF-8 without a control
 * character (orsp_utf8_is_control). Included by one target each, so static. */
#ifndef ORSP_FUZZ_SHOWN_TEXT_H
#define ORSP_FUZZ_SHOWN_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "openrsp/core.h"

static inline bool shown_text(const char *s, size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n;

	if (!memchr(s, 0, cap))
		return false;
	n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t k = orsp_utf8_seq(p + i, n - i, &cp);
		if (!k || orsp_utf8_is_control(cp))
			return false;
		i += k;
	}
	return true;
}

#endif
