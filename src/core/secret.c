/* Secret handling: one wipe function and one constant-time compare. */
#include <string.h>

#include "openrsp/core.h"

void orsp_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

int orsp_ct_eq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= (uint8_t)(x[i] ^ y[i]);
	/* Map 0 -> 1 and 1..255 -> 0 without a data-dependent branch. */
	return (int)(1 & (((unsigned)acc - 1u) >> 8));
}

orsp_err orsp_secret_set(orsp_secret *s, const void *p, size_t len)
{
	if (len > ORSP_SECRET_MAX) {
		orsp_secret_wipe(s);
		return orsp_errf(ORSP_E_USAGE, "secret of %zu bytes exceeds %d", len, ORSP_SECRET_MAX);
	}
	/* p may lie in s->v itself (a secret set from a part of its own value): moved first,
	 * the rest wiped after */
	if (len)
		memmove(s->v, p, len);
	orsp_wipe(s->v + len, sizeof(s->v) - len);
	s->len = len;
	return ORSP_OK;
}

orsp_err orsp_secret_from_hex(orsp_secret *s, const char *hex)
{
	orsp_secret_wipe(s);
	orsp_err e = orsp_hex_decode(hex, s->v, sizeof(s->v), &s->len);
	if (e != ORSP_OK)
		orsp_secret_wipe(s);
	return e;
}
