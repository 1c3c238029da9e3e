/* Strict hex and base64 codecs. */
#include <string.h>

#include "openrsp/core.h"

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_val(hex[i]), lo = hex_val(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return orsp_errf(ORSP_E_MALFORMED, "invalid hex digit at position %zu",
			                 hi < 0 ? i : i + 1);
		out[i / 2] = (uint8_t)((hi << 4) | lo);
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

orsp_err orsp_hex_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	if (cap < 2 * n + 1)
		return orsp_errf(ORSP_E_RESOURCE, "hex output needs %zu bytes", 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
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
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return ORSP_OK;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

orsp_err orsp_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (in_len % 4)
		return orsp_errf(ORSP_E_MALFORMED, "base64 length %zu is not a multiple of 4", in_len);
	size_t o = 0;
	for (size_t i = 0; i < in_len; i += 4) {
		bool last = i + 4 == in_len;
		int pad = 0;
		if (last && in[i + 3] == '=')
			pad = in[i + 2] == '=' ? 2 : 1;
		uint32_t v = 0;
		for (int j = 0; j < 4; j++) {
			int d = j >= 4 - pad ? 0 : b64_val(in[i + j]);
			if (d < 0)
				return orsp_errf(ORSP_E_MALFORMED, "invalid base64 character at position %zu",
				                 i + (size_t)j);
			v = (v << 6) | (uint32_t)d;
		}
		/* Bits under the padding must be zero (canonical encoding). */
		if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
			return orsp_errf(ORSP_E_MALFORMED, "non-canonical base64 padding");
		size_t nb = 3 - (size_t)pad;
		if (nb > cap - o)
			return orsp_errf(ORSP_E_RESOURCE, "base64 output buffer of %zu bytes too small", cap);
		uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
		memcpy(out + o, b, nb);
		o += nb;
	}
	*out_len = o;
	return ORSP_OK;
}
