/* openrsp lpa: text from the other parties made safe to print (lpa_internal.h). */
#include "lpa_internal.h"

void lpa_text_copy(orsp_slice v, char *out, size_t cap)
{
	orsp_utf8_printable(v.p, v.len, out, cap);
}
