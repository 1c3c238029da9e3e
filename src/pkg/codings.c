/* File contents personalisation writes: ICCID (E.118 with Luhn, TS 102 221 EF.ICCID), IMSI
 * (TS 31.102 EF.IMSI), the service provider name (TS 31.102 EF.SPN, TS 23.038 alphabet) and
 * the ISIM's IMS identity (TS 23.003 §13, TS 31.103 EF.IMPI/EF.DOMAIN/EF.IMPU). */
#include <stdio.h>
#include <string.h>

#include "openrsp/pkg.h"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int orsp_luhn_digit(const char *digits, size_t n)
{
	unsigned sum = 0;

	if (!digits || !all_digits(digits, n))
		return -1;
	/* ISO/IEC 7812-1 Annex B: double every second digit starting with the rightmost payload
	 * digit (the check digit will stand to its right). */
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(digits[n - 1 - i] - '0');
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (int)((10 - sum % 10) % 10);
}

orsp_err orsp_iccid_check(const char *iccid)
{
	size_t n;
	int want;

	if (!iccid)
		return orsp_errf(ORSP_E_USAGE, "ICCID missing");
	n = strlen(iccid);
	if (n < 19 || n > 20 || !all_digits(iccid, n))
		return orsp_errf(ORSP_E_USAGE,
		                 "ICCID must be 19 or 20 decimal digits, got %zu characters", n);
	/* ITU-T E.118: the last digit is the Luhn check digit over the others. */
	want = orsp_luhn_digit(iccid, n - 1);
	if (want != iccid[n - 1] - '0')
		return orsp_errf(ORSP_E_USAGE, "ICCID Luhn check digit is %c, expected %d",
		                 iccid[n - 1], want);
	return ORSP_OK;
}

static orsp_err iccid_encode(const char *iccid, uint8_t out[10], bool swap, bool luhn)
{
	size_t n = iccid ? strlen(iccid) : 0;
	orsp_err e = luhn ? orsp_iccid_check(iccid) : ORSP_OK;

	if (e)
		return e;
	if (n < 19 || n > 20 || !all_digits(iccid, n))
		return orsp_errf(ORSP_E_USAGE,
		                 "ICCID must be 19 or 20 decimal digits, got %zu characters", n);
	memset(out, 0xFF, 10);
	for (size_t i = 0; i < n; i++) {
		uint8_t d = (uint8_t)(iccid[i] - '0');
		bool high = (i % 2 == 0) != swap;
		uint8_t *b = &out[i / 2];
		*b = high ? (uint8_t)((*b & 0x0F) | (d << 4)) : (uint8_t)((*b & 0xF0) | d);
	}
	return ORSP_OK;
}

orsp_err orsp_iccid_encode_header(const char *iccid, uint8_t out[10])
{
	return iccid_encode(iccid, out, false, true);
}

orsp_err orsp_iccid_encode_ef(const char *iccid, uint8_t out[10])
{
	return iccid_encode(iccid, out, true, true);
}

orsp_err orsp_iccid_encode_ef_unchecked(const char *iccid, uint8_t out[10])
{
	return iccid_encode(iccid, out, true, false);
}

static orsp_err iccid_decode(const uint8_t in[10], char out[21], bool swap)
{
	size_t n = 0;
	bool ended = false;

	for (size_t i = 0; i < 20; i++) {
		uint8_t b = in[i / 2];
		bool high = (i % 2 == 0) != swap;
		uint8_t d = high ? (uint8_t)(b >> 4) : (uint8_t)(b & 0x0F);
		if (d == 0x0F) {
			ended = true;
			continue;
		}
		if (ended || d > 9) {
			out[0] = '\0';
			return orsp_errf(ORSP_E_MALFORMED, "ICCID nibble %zu is '%X': not BCD", i,
			                 d);
		}
		out[n++] = (char)('0' + d);
	}
	out[n] = '\0';
	return ORSP_OK;
}

orsp_err orsp_iccid_decode_header(const uint8_t in[10], char out[21])
{
	return iccid_decode(in, out, false);
}

orsp_err orsp_iccid_decode_ef(const uint8_t in[10], char out[21])
{
	return iccid_decode(in, out, true);
}

orsp_err orsp_imsi_encode_ef(const char *imsi, uint8_t out[9])
{
	size_t n = imsi ? strlen(imsi) : 0;

	if (n < 6 || n > 15 || !all_digits(imsi, n))
		return orsp_errf(ORSP_E_USAGE,
		                 "IMSI must be 6 to 15 decimal digits, got %zu characters", n);
	memset(out, 0xFF, 9);
	/* Byte 2 holds digit 1 and, in b1..b4, '001' (IMSI) plus the parity bit (odd count). */
	out[0] = (uint8_t)((n + 2) / 2);
	out[1] = (uint8_t)(((imsi[0] - '0') << 4) | (n % 2 ? 0x9 : 0x1));
	for (size_t i = 1; i < n; i++) {
		uint8_t d = (uint8_t)(imsi[i] - '0');
		uint8_t *b = &out[1 + (i + 1) / 2];
		*b = (i % 2) ? (uint8_t)((*b & 0xF0) | d) : (uint8_t)((*b & 0x0F) | (d << 4));
	}
	return ORSP_OK;
}

orsp_err orsp_imsi_decode_ef(const uint8_t *in, size_t len, char out[16])
{
	size_t l, n, digits = 0;
	bool odd;

	out[0] = '\0';
	if (len < 2)
		return orsp_errf(ORSP_E_MALFORMED, "EF.IMSI: %zu bytes, need at least 2", len);
	l = in[0];
	if (l < 1 || l > 8 || l + 1 > len)
		return orsp_errf(ORSP_E_MALFORMED, "EF.IMSI: length byte %zu invalid", l);
	if ((in[1] & 0x07) != 0x01)
		return orsp_errf(ORSP_E_MALFORMED, "EF.IMSI: identity type %u is not IMSI (1)",
		                 in[1] & 0x07u);
	odd = (in[1] & 0x08) != 0;
	n = 2 * l - (odd ? 1 : 2); /* digit 1, then two per byte, the last 'F' if even */
	for (size_t i = 0; i < n; i++) {
		size_t pos = i + 1; /* nibble index after the parity nibble */
		uint8_t b = in[1 + pos / 2];
		uint8_t d = (pos % 2) ? (uint8_t)(b >> 4) : (uint8_t)(b & 0x0F);
		if (d > 9)
			return orsp_errf(ORSP_E_MALFORMED, "EF.IMSI: digit %zu is '%X'", i + 1, d);
		out[digits++] = (char)('0' + d);
	}
	if (!odd && (in[l] >> 4) != 0x0F)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "EF.IMSI: even digit count but last nibble is '%X'", in[l] >> 4);
	for (size_t i = l + 1; i < len; i++)
		if (in[i] != 0xFF)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "EF.IMSI: byte %zu after the IMSI is %02X, not FF", i + 1,
			                 in[i]);
	if (digits < 6 || digits > 15)
		return orsp_errf(ORSP_E_MALFORMED, "EF.IMSI: %zu digits, an IMSI has 6 to 15",
		                 digits);
	out[digits] = '\0';
	return ORSP_OK;
}

/* TS 23.038 §6.2.1 GSM 7-bit default alphabet: code -> Unicode. 0 marks codes refused in a
 * name: LF, CR and the escape to the extension table. */
static const uint16_t gsm7[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, /* 00 */
    0x00F2, 0x00C7, 0,      0x00D8, 0x00F8, 0,      0x00C5, 0x00E5, /* 08 */
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, /* 10 */
    0x03A3, 0x0398, 0x039E, 0,      0x00C6, 0x00E6, 0x00DF, 0x00C9, /* 18 */
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027, /* 20 */
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F, /* 28 */
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 30 */
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F, /* 38 */
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 40 */
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, /* 48 */
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 50 */
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7, /* 58 */
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 60 */
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F, /* 68 */
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 70 */
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0, /* 78 */
};

/* One code point from strict UTF-8 (RFC 3629: no overlongs, no surrogates), or -1; advances
 * *s past it. */
static long utf8_next(const unsigned char **s)
{
	uint32_t cp;
	size_t k = orsp_utf8_seq(*s, strnlen((const char *)*s, 4), &cp);

	if (k == 0)
		return -1;
	*s += k;
	return (long)cp;
}

orsp_err orsp_spn_encode_ef(const char *spn, uint8_t display, uint8_t *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)spn;
	size_t n = 0;

	if (!spn || !out || size < 2)
		return orsp_errf(ORSP_E_USAGE, "SPN: no name or no room");
	memset(out, 0xFF, size);
	out[0] = display;
	while (*s) {
		long cp = utf8_next(&s);
		int code = -1;
		if (cp < 0)
			return orsp_errf(ORSP_E_USAGE, "SPN: not valid UTF-8");
		for (int c = 0; c < 128 && cp > 0; c++) {
			if ((long)gsm7[c] == cp) { /* not cut to 16 bits: U+10040 is not @ */
				code = c;
				break;
			}
		}
		if (code < 0)
			return orsp_errf(
			    ORSP_E_USAGE,
			    "SPN: character U+%04lX is not in the GSM default alphabet", cp);
		if (1 + n >= size)
			return orsp_errf(ORSP_E_USAGE, "SPN: longer than %zu characters", size - 1);
		out[1 + n++] = (uint8_t)code;
	}
	if (n == 0)
		return orsp_errf(ORSP_E_USAGE, "SPN: empty name");
	return ORSP_OK;
}

orsp_err orsp_spn_decode_ef(const uint8_t *in, size_t len, uint8_t *display, char *out, size_t cap)
{
	size_t o = 0;

	if (!cap)
		return orsp_errf(ORSP_E_RESOURCE, "SPN: no room");
	out[0] = '\0';
	if (len < 1)
		return orsp_errf(ORSP_E_MALFORMED, "EF.SPN is empty");
	*display = in[0];
	if (len > 1 && (in[1] == 0x80 || in[1] == 0x81 || in[1] == 0x82))
		return orsp_errf(ORSP_E_MALFORMED, "EF.SPN: UCS2-coded name not supported");
	for (size_t i = 1; i < len && in[i] != 0xFF; i++) {
		uint16_t cp = in[i] < 0x80 ? gsm7[in[i]] : 0;
		if (!cp)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "EF.SPN: byte %zu (%02X) is not a name character", i + 1,
			                 in[i]);
		if (cp < 0x80) {
			if (o + 2 > cap)
				return orsp_errf(ORSP_E_RESOURCE, "SPN: no room");
			out[o++] = (char)cp;
		} else {
			if (o + 3 > cap)
				return orsp_errf(ORSP_E_RESOURCE, "SPN: no room");
			out[o++] = (char)(0xC0 | (cp >> 6));
			out[o++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	out[o] = '\0';
	return ORSP_OK;
}

orsp_err orsp_ims_identity_derive(const char *imsi, unsigned mnc_len, orsp_ims_identity *out)
{
	size_t n = imsi ? strlen(imsi) : 0;

	if (n < 6 || n > 15 || !all_digits(imsi, n))
		return orsp_errf(ORSP_E_USAGE,
		                 "IMSI must be 6 to 15 decimal digits, got %zu characters", n);
	if (mnc_len != 2 && mnc_len != 3)
		return orsp_errf(ORSP_E_USAGE, "MNC length %u, must be 2 or 3", mnc_len);
	/* §13.2: MCC = digits 1-3, MNC = the next mnc_len digits, written on 3 digits. The
	 * buffers hold the longest (15-digit) IMSI's strings: no truncation can occur. */
	snprintf(out->domain, sizeof(out->domain), "ims.mnc%s%.*s.mcc%.3s.3gppnetwork.org",
	         mnc_len == 2 ? "0" : "", (int)mnc_len, imsi + 3, imsi);
	snprintf(out->impi, sizeof(out->impi), "%s@%s", imsi, out->domain);
	snprintf(out->impu, sizeof(out->impu), "sip:%s", out->impi);
	return ORSP_OK;
}

orsp_err orsp_ims_encode_ef(const char *text, uint8_t *out, size_t size)
{
	size_t n = text ? strlen(text) : 0;
	size_t hdr = n < 0x80 ? 2 : 3; /* BER length: one byte, or '81' and one */

	if (n > 0xFF || hdr + n > size)
		return orsp_errf(ORSP_E_USAGE, "%zu bytes needed (tag '80' TLV), %zu available",
		                 hdr + n, size);
	memset(out, 0xFF, size);
	out[0] = 0x80;
	if (hdr == 3)
		out[1] = 0x81;
	out[hdr - 1] = (uint8_t)n;
	if (n) /* text may be NULL for an empty value */
		memcpy(out + hdr, text, n);
	return ORSP_OK;
}

orsp_err orsp_ims_decode_ef(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t n, hdr = 2;

	if (cap)
		out[0] = '\0';
	if (len == 0 || in[0] == 0xFF)
		return orsp_errf(ORSP_E_NOT_FOUND, "no identity");
	if (len < 2 || in[0] != 0x80)
		return orsp_errf(ORSP_E_MALFORMED, "not a tag '80' TLV");
	n = in[1];
	if (n == 0x81 && len >= 3 && in[2] >= 0x80) {
		n = in[2];
		hdr = 3;
	} else if (n >= 0x80) {
		return orsp_errf(ORSP_E_MALFORMED, "length byte %02zX not supported", n);
	}
	if (hdr + n > len)
		return orsp_errf(ORSP_E_MALFORMED, "%zu bytes of text, %zu left", n, len - hdr);
	if (n + 1 > cap)
		return orsp_errf(ORSP_E_RESOURCE, "%zu bytes of text, room for %zu", n,
		                 cap ? cap - 1 : 0);
	for (size_t i = 0; i < n; i++)
		if (in[hdr + i] < 0x20 || in[hdr + i] > 0x7E)
			return orsp_errf(ORSP_E_MALFORMED, "byte %zu (%02X) is not printable ASCII",
			                 hdr + i + 1, in[hdr + i]);
	memcpy(out, in + hdr, n);
	out[n] = '\0';
	return ORSP_OK;
}
