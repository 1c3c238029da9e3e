/* openrsp lpa: text from the other parties made safe to print (lpa_internal.h). */
#include "lpa_internal.h"

/* The length of the well-formed UTF-8 sequence at p (n bytes left) and its code point; 0
 * when there is none (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t k;
	uint32_t v, min;

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

void lpa_text_copy(orsp_slice v, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (!cap)
		return;
	while (i < v.len) {
		uint32_t cp = 0;
		size_t k = utf8_seq(v.p + i, v.len - i, &cp);
		if (k == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			/* not UTF-8 (one byte at a time) or a control character */
			if (o + 1 >= cap)
				break;
			out[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		if (o + k >= cap)
			break;
		for (size_t j = 0; j < k; j++)
			out[o++] = (char)v.p[i + j];
		i += k;
	}
	out[o] = '\0';
}
