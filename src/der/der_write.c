/* DER writer: minimal headers (X.690 §10.1) into a bounded orsp_writer.
 *
 * Nothing here returns an error: a write that does not fit sets the writer's overflow flag
 * (see orsp_writer), and the caller checks orsp_writer_status() once at the end. Tags are
 * written as given (the identifier octets as a big-endian number); the caller owns their
 * correctness, as with any constant in the code.
 */
#include <string.h>

#include "openrsp/der.h"

/* Longest header: 4 identifier octets + 0x84 + 4 length octets. */
#define DER_MAX_HDR (ORSP_DER_MAX_TAG_BYTES + 5)

size_t orsp_der_tag_size(uint32_t tag)
{
	if (tag <= 0xFF)
		return 1;
	if (tag <= 0xFFFF)
		return 2;
	if (tag <= 0xFFFFFF)
		return 3;
	return 4;
}

size_t orsp_der_len_size(size_t n)
{
	size_t k = 0;
	if (n < 0x80)
		return 1;
	while (n) {
		k++;
		n >>= 8;
	}
	return 1 + k;
}

/* Encode the header into out; 0 if n cannot be read back (more than 4 length octets). */
static size_t der_encode_header(uint8_t out[DER_MAX_HDR], uint32_t tag, size_t n)
{
	size_t ts = orsp_der_tag_size(tag);
	size_t ls = orsp_der_len_size(n);
	size_t o = 0;

	if (ls > 5)
		return 0;
	for (size_t i = ts; i > 0; i--)
		out[o++] = (uint8_t)(tag >> (8 * (i - 1)));
	if (ls == 1) {
		out[o++] = (uint8_t)n;
	} else {
		out[o++] = (uint8_t)(0x80 | (ls - 1));
		for (size_t i = ls - 1; i > 0; i--)
			out[o++] = (uint8_t)(n >> (8 * (i - 1)));
	}
	return o;
}

void orsp_der_put_header(orsp_writer *w, uint32_t tag, size_t n)
{
	uint8_t hdr[DER_MAX_HDR];
	size_t hl = der_encode_header(hdr, tag, n);
	if (hl == 0) {
		w->overflow = true; /* contents this large cannot fit any buffer we read back */
		return;
	}
	orsp_write_bytes(w, hdr, hl);
}

void orsp_der_put_tlv(orsp_writer *w, uint32_t tag, const void *value, size_t n)
{
	orsp_der_put_header(w, tag, n);
	orsp_write_bytes(w, value, n);
}

void orsp_der_put_uint(orsp_writer *w, uint32_t tag, uint64_t v)
{
	uint8_t b[9];
	size_t n = 0;

	/* §8.3.2: minimal two's complement; a 0x00 octet in front when the top bit is set. */
	for (int shift = 56; shift >= 0; shift -= 8) {
		uint8_t octet = (uint8_t)(v >> shift);
		if (n == 0 && octet == 0 && shift > 0)
			continue;
		if (n == 0 && (octet & 0x80))
			b[n++] = 0x00;
		b[n++] = octet;
	}
	orsp_der_put_tlv(w, tag, b, n);
}

orsp_der_mark orsp_der_begin(orsp_writer *w, uint32_t tag)
{
	orsp_der_mark m = {w->len, tag};
	/* Reserve the smallest header (one length octet); end() widens it only if the contents
	 * need it, so a buffer sized for the final encoding never overflows on the way. */
	orsp_der_put_header(w, tag, 0);
	return m;
}

void orsp_der_end(orsp_writer *w, orsp_der_mark m)
{
	uint8_t hdr[DER_MAX_HDR];
	size_t reserved = orsp_der_tag_size(m.tag) + 1;

	if (w->overflow)
		return;
	if (m.start > w->len || reserved > w->len - m.start) {
		/* Not a mark of this writer's current content: refuse rather than corrupt. */
		w->overflow = true;
		return;
	}
	/* begin()'s placeholder (the tag, a zero length) must still be there: a mark ended
	 * before has its length written, and ending it again took the length octets for
	 * contents and shifted them (non-DER output, and no error, until session 56) */
	if (der_encode_header(hdr, m.tag, 0) != reserved ||
	    memcmp(w->p + m.start, hdr, reserved) != 0) {
		w->overflow = true;
		return;
	}
	size_t body = m.start + reserved;
	size_t n = w->len - body;
	size_t hl = der_encode_header(hdr, m.tag, n);
	if (hl == 0 || hl - reserved > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (hl > reserved)
		memmove(w->p + m.start + hl, w->p + body, n);
	memcpy(w->p + m.start, hdr, hl);
	w->len += hl - reserved;
}
