/* UTF-8 as RFC 3629 defines it, one sequence at a time (core.h). */
#include <string.h>

#include "openrsp/core.h"

size_t orsp_utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t k;
	uint32_t v, min;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xE0) == 0xC0) {
		k = 2;
		v = p[0] & 0x1F;
		min = 0x80;
	} else if ((p[0] & 0xF0) == 0xE0) {
		k = 3;
		v = p[0] & 0x0F;
		min = 0x800;
	} else if ((p[0] & 0xF8) == 0xF0) {
		k = 4;
		v = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return k;
}

size_t orsp_utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len;

	if (n <= max)
		return n;
	/* back to the start of the character the cut falls in */
	n = max;
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

bool orsp_utf8_is_control(uint32_t cp)
{
	/* format characters a terminal obeys without showing them: they reorder what follows
	 * (bidirectional controls, UAX #9) or hide it (zero-width characters, tags) */
	static const struct {
		uint32_t lo, hi;
	} hidden[] = {
	    {0x061C, 0x061C},   /* ARABIC LETTER MARK */
	    {0x180E, 0x180E},   /* MONGOLIAN VOWEL SEPARATOR (zero width) */
	    {0x200B, 0x200B},   /* zero width space (the joiners U+200C, U+200D are text:
	                         * Persian, the Indic scripts and emoji sequences need them) */
	    {0x200E, 0x200F},   /* LRM, RLM */
	    {0x2028, 0x202E},   /* line and paragraph separators; LRE RLE PDF LRO RLO */
	    {0x2060, 0x206F},   /* word joiner, invisible operators; LRI RLI FSI PDI; others */
	    {0xFEFF, 0xFEFF},   /* zero width no-break space (BOM) */
	    {0xFFF9, 0xFFFB},   /* interlinear annotation */
	    {0xE0000, 0xE007F}, /* tags */
	};

	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
		return true;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (cp >= hidden[i].lo && cp <= hidden[i].hi)
			return true;
	return false;
}

long orsp_utf8_text_chars(const uint8_t *p, size_t n)
{
	long chars = 0;
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k, chars++) {
		if ((k = orsp_utf8_seq(p + i, n - i, &cp)) == 0)
			return -1;
		if (orsp_utf8_is_control(cp))
			return -2;
	}
	return chars;
}

long orsp_utf8_chars(const uint8_t *p, size_t n)
{
	long chars = 0;
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k, chars++)
		if ((k = orsp_utf8_seq(p + i, n - i, &cp)) == 0 || cp == 0)
			return -1;
	return chars;
}

bool orsp_utf8_string_ok(const uint8_t *p, size_t n, size_t max)
{
	long chars = orsp_utf8_chars(p, n);
	return chars >= 0 && (size_t)chars <= max;
}

void orsp_utf8_printable(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (!cap)
		return;
	while (i < n) {
		uint32_t cp = 0;
		size_t k = orsp_utf8_seq(p + i, n - i, &cp);
		if (k == 0 || orsp_utf8_is_control(cp)) {
			/* not UTF-8 (one byte at a time) or a control character */
			if (o + 1 >= cap)
				break;
			out[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		if (o + k >= cap)
			break;
		memcpy(out + o, p + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
}

void orsp_ascii_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			*s = '?';
}
