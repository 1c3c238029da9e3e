/* Command APDU structure (ISO/IEC 7816-4 §5.1) and CLA coding (ETSI TS 102 221 §10.1.1). */
#include <string.h>

#include "apdu_internal.h"

/* ISO/IEC 7816-4 §5.1, with L the whole length and B1.. the bytes after the 4-byte header:
 *   L = 4                          case 1
 *   L = 5                          case 2S   Le = B1 (00 = 256)
 *   L = 5 + B1, B1 != 0            case 3S   Lc = B1
 *   L = 6 + B1, B1 != 0            case 4S   Lc = B1, Le = last byte
 *   L = 7, B1 = 0                  case 2E   Le = B2B3 (0000 = 65536)
 *   L = 7 + (B2B3), B1 = 0, != 0   case 3E   Lc = B2B3
 *   L = 9 + (B2B3), B1 = 0, != 0   case 4E   Lc = B2B3, Le = last two bytes
 * The conditions exclude each other, so at most one case matches. */
orsp_err orsp_apdu_parse(const uint8_t *buf, size_t len, orsp_apdu *out)
{
	orsp_reader r;
	orsp_apdu a;
	uint8_t b1 = 0;
	uint16_t lc = 0, le = 0;

	if (!out || (!buf && len))
		return orsp_errf(ORSP_E_USAGE, "apdu_parse: NULL argument");
	memset(&a, 0, sizeof(a));
	orsp_reader_init(&r, buf, len);
	if (orsp_read_u8(&r, &a.cla) != ORSP_OK || orsp_read_u8(&r, &a.ins) != ORSP_OK ||
	    orsp_read_u8(&r, &a.p1) != ORSP_OK || orsp_read_u8(&r, &a.p2) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "APDU of %zu bytes: shorter than its 4-byte header", len);
	if (orsp_reader_remaining(&r) == 0)
		goto done; /* case 1 */

	if (orsp_read_u8(&r, &b1) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED, "APDU body unreadable");
	size_t rest = orsp_reader_remaining(&r);
	if (rest == 0) {
		/* case 2S */
		a.le_present = true;
		a.ne = b1 ? b1 : 256;
		goto done;
	}
	if (b1 != 0) {
		/* case 3S or 4S: Lc = b1 */
		if (rest == b1) {
			/* case 3S */
		} else if (rest == (size_t)b1 + 1) {
			a.le_present = true;
		} else {
			return orsp_errf(ORSP_E_MALFORMED,
			                 "short Lc %u does not match the %zu bytes that follow it",
			                 b1, rest);
		}
		if (orsp_read_slice(&r, b1, &a.data) != ORSP_OK)
			return orsp_errf(ORSP_E_MALFORMED, "APDU data truncated");
		if (a.le_present) {
			uint8_t l = 0;
			if (orsp_read_u8(&r, &l) != ORSP_OK)
				return orsp_errf(ORSP_E_MALFORMED, "APDU Le truncated");
			a.ne = l ? l : 256;
		}
		goto done;
	}

	/* b1 = 00: extended length fields */
	a.extended = true;
	if (rest == 1)
		return orsp_errf(ORSP_E_MALFORMED, "a lone 00 after the header: short Lc 00 is not "
		                                   "allowed and an extended field needs 3 bytes");
	if (orsp_read_be16(&r, &lc) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED, "extended length field truncated");
	rest = orsp_reader_remaining(&r);
	if (rest == 0) {
		/* case 2E: the two bytes were Le */
		a.le_present = true;
		a.ne = lc ? lc : 65536;
		goto done;
	}
	if (lc == 0)
		return orsp_errf(ORSP_E_MALFORMED, "extended Lc 0000 followed by %zu bytes", rest);
	if (rest == lc) {
		/* case 3E */
	} else if (rest == (size_t)lc + 2) {
		a.le_present = true;
	} else {
		return orsp_errf(ORSP_E_MALFORMED,
		                 "extended Lc %u does not match the %zu bytes that follow it", lc,
		                 rest);
	}
	if (orsp_read_slice(&r, lc, &a.data) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED, "APDU data truncated");
	if (a.le_present) {
		if (orsp_read_be16(&r, &le) != ORSP_OK)
			return orsp_errf(ORSP_E_MALFORMED, "APDU Le truncated");
		a.ne = le ? le : 65536;
	}

done:
	if (orsp_reader_remaining(&r) != 0)
		return orsp_errf(ORSP_E_MALFORMED, "trailing bytes after the APDU");
	*out = a;
	return ORSP_OK;
}

uint16_t orsp_apdu_decode_cla(uint8_t cla, uint8_t *channel, bool *proprietary)
{
	uint8_t ch, hi = cla & 0xF0;
	bool prop = (cla & 0x80) != 0;

	if (cla == 0xFF)
		return ORSP_SW_CLA_NOT_SUPPORTED; /* ISO/IEC 7816-3: reserved for PPS */
	switch (hi) {
	case 0x00:
	case 0x10:
	case 0x80:
		/* '0X', '1X' (chaining), '8X': b4b3 secure messaging, b2b1 channel 0-3 */
		if (hi == 0x10)
			return ORSP_SW_CHAINING_NOT_SUPPORTED;
		if (cla & 0x0C)
			return ORSP_SW_SM_NOT_SUPPORTED;
		ch = cla & 0x03;
		break;
	case 0x40:
	case 0x50:
	case 0x60:
	case 0x70:
	case 0xC0:
	case 0xE0:
		/* '4X'-'7X', 'CX', 'EX': b6 secure messaging, b5 chaining (interindustry only;
		 * TS 102 221 has no proprietary 'DX'/'FX'), b4..b1 channel - 4 */
		if (!prop && (cla & 0x10))
			return ORSP_SW_CHAINING_NOT_SUPPORTED;
		if (cla & 0x20)
			return ORSP_SW_SM_NOT_SUPPORTED;
		ch = (uint8_t)(4 + (cla & 0x0F));
		break;
	default:
		/* '2X', '3X' (RFU), '9X', 'AX' (GSM, TS 51.011), 'BX', 'DX', 'FX' */
		return ORSP_SW_CLA_NOT_SUPPORTED;
	}
	if (channel)
		*channel = ch;
	if (proprietary)
		*proprietary = prop;
	return ORSP_SW_OK;
}
