/* Strict hex and base64 codecs. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "openrsp/core.h"

/* Without a branch on the character: K, OPc and the KEK are decoded here. in_range is 1 when
 * 0 <= x <= max, else 0: x | (max - x) is negative exactly when x is out of range, and its
 * sign bit, read as unsigned (no shift of a negative int), says so. */
static int in_range(int x, int max)
{
	return (int)(((unsigned)(x | (max - x)) >> (sizeof(unsigned) * 8 - 1)) ^ 1u);
}

int orsp_hex_digit(char ch)
{
	int c = (unsigned char)ch;
	int d = c - '0', l = (c | 0x20) - 'a'; /* | 0x20: A-F as a-f */
	int is_d = in_range(d, 9), is_l = in_range(l, 5);
	return is_d * d + is_l * (l + 10) + (is_d | is_l) - 1;
}

orsp_err orsp_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!hex)
		return orsp_errf(ORSP_E_USAGE, "no hex string");
	size_t n = strlen(hex);
	if (n % 2)
		return orsp_errf(ORSP_E_MALFORMED, "odd number of hex digits (%zu)", n);
	if (n / 2 > cap)
		return orsp_errf(ORSP_E_MALFORMED, "hex value of %zu bytes is longer than %zu", n / 2, cap);
	/* every digit decoded, whether the string is valid decided once at the end: no branch
	 * on a digit (K, OPc, the KEK); bad's sign bit is set by any orsp_hex_digit of -1 */
	int bad = 0;
	for (size_t i = 0; i < n; i += 2) {
		int hi = orsp_hex_digit(hex[i]), lo = orsp_hex_digit(hex[i + 1]);
		bad |= hi | lo;
		out[i / 2] = (uint8_t)(((hi & 15) << 4) | (lo & 15));
	}
	orsp_ct_public(&bad, sizeof(bad));
	if (bad < 0) {
		size_t at = 0;
		for (;; at++) { /* the error names the first bad one, and so makes it public */
			int d = orsp_hex_digit(hex[at]);
			orsp_ct_public(&d, sizeof(d));
			if (d < 0)
				break;
		}
		orsp_wipe(out, n / 2);
		return orsp_errf(ORSP_E_MALFORMED, "invalid hex digit at position %zu", at);
	}
	*out_len = n / 2;
	return ORSP_OK;
}

orsp_err orsp_hex_decode_exact(const char *hex, uint8_t *out, size_t n)
{
	if (!hex)
		return orsp_errf(ORSP_E_USAGE, "no hex string");
	if (strlen(hex) != 2 * n)
		return orsp_errf(ORSP_E_MALFORMED, "expected %zu hex digits (%zu bytes), got %zu", 2 * n,
		                 n, strlen(hex));
	size_t got;
	return orsp_hex_decode(hex, out, n, &got);
}

/* The lower-case digit of x (0..15) without a table or a branch: a KEK's hex is written
 * here. (9 - x) >> 8 is all ones exactly when x > 9. */
static char hex_char(unsigned x)
{
	return (char)('0' + x + (((9u - x) >> 8) & ('a' - '0' - 10)));
}

orsp_err orsp_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	if (cap < 2 * n + 1)
		return orsp_errf(ORSP_E_RESOURCE, "hex output needs %zu bytes", 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_char(in[i] >> 4);
		out[2 * i + 1] = hex_char(in[i] & 15);
	}
	out[2 * n] = '\0';
	return ORSP_OK;
}

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t orsp_base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4 + 1;
}

orsp_err orsp_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	if (cap < orsp_base64_encoded_len(n))
		return orsp_errf(ORSP_E_RESOURCE, "base64 output needs %zu bytes",
		                 orsp_base64_encoded_len(n));
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o] = b64_alphabet[v >> 18];
		out[o + 1] = b64_alphabet[(v >> 12) & 63];
		out[o + 2] = b64_alphabet[(v >> 6) & 63];
		out[o + 3] = b64_alphabet[v & 63];
		o += 4;
	}
	if (i < n) {
		/* one or two bytes left: padded */
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return ORSP_OK;
}

/* The value of each byte in the standard alphabet, -1 for every other byte. */
static const int8_t b64_val[256] = {
#define X -1
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x00 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x10 */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  62, X,  X,  X,  63, /* 0x20: + / */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X,  X,  X,  X,  X,  X,  /* 0x30: 0-9 */
    X,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, /* 0x40: A-O */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X,  X,  X,  X,  X,  /* 0x50: P-Z */
    X,  26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, /* 0x60: a-o */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X,  X,  X,  X,  X,  /* 0x70: p-z */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  /* 0x80- */
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
    X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,  X,
#undef X
};

orsp_err orsp_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)in;

	if (in_len % 4)
		return orsp_errf(ORSP_E_MALFORMED, "base64 length %zu is not a multiple of 4", in_len);
	size_t o = 0;
	for (size_t i = 0; i < in_len; i += 4) {
		bool last = i + 4 == in_len;
		int pad = 0;
		if (last && u[i + 3] == '=')
			pad = u[i + 2] == '=' ? 2 : 1;
		/* A padding position counts as 0; any byte outside the alphabet makes the OR
		 * negative, and the loop below names the first one. */
		int d0 = b64_val[u[i]], d1 = b64_val[u[i + 1]];
		int d2 = pad == 2 ? 0 : b64_val[u[i + 2]], d3 = pad ? 0 : b64_val[u[i + 3]];
		if ((d0 | d1 | d2 | d3) < 0) {
			int d[4] = {d0, d1, d2, d3};
			int j = 0;
			while (d[j] >= 0)
				j++;
			return orsp_errf(ORSP_E_MALFORMED, "invalid base64 character at position %zu",
			                 i + (size_t)j);
		}
		uint32_t v = (uint32_t)d0 << 18 | (uint32_t)d1 << 12 | (uint32_t)d2 << 6 | (uint32_t)d3;
		/* Bits under the padding must be zero (canonical encoding). */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return orsp_errf(ORSP_E_MALFORMED, "non-canonical base64 padding");
		size_t nb = 3 - (size_t)pad;
		if (nb > cap - o)
			return orsp_errf(ORSP_E_RESOURCE, "base64 output buffer of %zu bytes too small", cap);
		out[o] = (uint8_t)(v >> 16);
		if (nb > 1)
			out[o + 1] = (uint8_t)(v >> 8);
		if (nb > 2)
			out[o + 2] = (uint8_t)v;
		o += nb;
	}
	*out_len = o;
	return ORSP_OK;
}
