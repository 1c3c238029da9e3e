/* openrsp lpa: text from the other parties made safe to print, and the small readers of card
 * answers the modules share (lpa_internal.h). */
#include "lpa_internal.h"

void lpa_text_copy(orsp_slice v, char *out, size_t cap)
{
	orsp_utf8_printable(v.p, v.len, out, cap);
}

orsp_err lpa_field_once(unsigned *seen, uint32_t tag, const uint32_t *once, size_t n,
                        const char *what)
{
	for (size_t b = 0; b < n; b++) {
		if (tag != once[b])
			continue;
		if (*seen & (1u << b))
			return orsp_errf(ORSP_E_MALFORMED, "card: %s: field %X twice", what,
			                 (unsigned)tag);
		*seen |= 1u << b;
	}
	return ORSP_OK;
}

orsp_err lpa_first_field(orsp_slice seq, orsp_tlv *f)
{
	orsp_reader r;

	orsp_reader_init(&r, seq.p, seq.len);
	if (!orsp_reader_remaining(&r) || orsp_der_read(&r, f) ||
	    orsp_der_skip_extensions(&r, &f->tag, 1, ORSP_DER_MAX_DEPTH)) {
		orsp_err_clear();
		return ORSP_E_MALFORMED;
	}
	return ORSP_OK;
}
