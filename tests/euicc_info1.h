/* EUICCInfo1 (SGP.22 §4.3, tag BF20) as an eUICC sends it in initiateAuthentication: SVN
 * 2.2.2, one CI key identifier in euiccCiPKIdListForVerification (A9) and one in
 * ...ForSigning (AA). Header-only: the fuzz harness of the ES9+ session, which has no test
 * library, and test_es9p build the same request. Returns the length written into out, or 0
 * if it does not fit. */
#ifndef ORSP_TESTS_EUICC_INFO1_H
#define ORSP_TESTS_EUICC_INFO1_H

#include <stddef.h>
#include <stdint.h>

#include "openrsp/der.h"

static inline size_t test_euicc_info1(uint8_t *out, size_t cap, const uint8_t *verif,
                                      size_t verif_len, const uint8_t *sig, size_t sig_len)
{
	orsp_writer w;
	orsp_der_mark m, l;

	orsp_writer_init(&w, out, cap);
	m = orsp_der_begin(&w, 0xBF20);
	orsp_der_put_tlv(&w, 0x82, "\x02\x02\x02", 3);
	l = orsp_der_begin(&w, 0xA9);
	orsp_der_put_tlv(&w, 0x04, verif, verif_len);
	orsp_der_end(&w, l);
	l = orsp_der_begin(&w, 0xAA);
	orsp_der_put_tlv(&w, 0x04, sig, sig_len);
	orsp_der_end(&w, l);
	orsp_der_end(&w, m);
	return orsp_writer_status(&w) == ORSP_OK ? w.len : 0;
}

#endif
