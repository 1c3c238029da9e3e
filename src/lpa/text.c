/* openrsp lpa: text from the other parties made safe to print (lpa_internal.h). */
#include "lpa_internal.h"

void lpa_text_copy(orsp_slice v, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	if (!cap)
		return;
	while (i < v.len) {
		uint32_t cp = 0;
		size_t k = orsp_utf8_seq(v.p + i, v.len - i, &cp);
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
		for (size_t j = 0; j < k; j++)
			out[o++] = (char)v.p[i + j];
		i += k;
	}
	out[o] = '\0';
}
