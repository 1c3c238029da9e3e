/* Bounded reader and writer: the only way untrusted bytes are walked. */
#include <string.h>

#include "openrsp/core.h"

void orsp_reader_init(orsp_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->off = 0;
}

size_t orsp_reader_remaining(const orsp_reader *r)
{
	return r->len - r->off;
}

orsp_err orsp_read_slice(orsp_reader *r, size_t n, orsp_slice *out)
{
	if (n > r->len - r->off)
		return orsp_errf(ORSP_E_MALFORMED, "truncated: need %zu bytes, %zu left", n,
		                 r->len - r->off);
	out->p = r->p + r->off;
	out->len = n;
	r->off += n;
	return ORSP_OK;
}

orsp_err orsp_read_bytes(orsp_reader *r, void *out, size_t n)
{
	orsp_slice s = {NULL, 0};
	orsp_err e = orsp_read_slice(r, n, &s);
	if (e == ORSP_OK && n)
		memcpy(out, s.p, n);
	return e;
}

orsp_err orsp_read_u8(orsp_reader *r, uint8_t *out)
{
	return orsp_read_bytes(r, out, 1);
}

orsp_err orsp_read_be16(orsp_reader *r, uint16_t *out)
{
	uint8_t b[2] = {0};
	orsp_err e = orsp_read_bytes(r, b, 2);
	if (e == ORSP_OK)
		*out = (uint16_t)((b[0] << 8) | b[1]);
	return e;
}

orsp_err orsp_read_be32(orsp_reader *r, uint32_t *out)
{
	uint8_t b[4] = {0};
	orsp_err e = orsp_read_bytes(r, b, 4);
	if (e == ORSP_OK)
		*out = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
	return e;
}

void orsp_writer_init(orsp_writer *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->len = 0;
	w->overflow = false;
}

void orsp_write_bytes(orsp_writer *w, const void *p, size_t n)
{
	if (w->overflow)
		return;
	if (n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void orsp_write_u8(orsp_writer *w, uint8_t v)
{
	orsp_write_bytes(w, &v, 1);
}

void orsp_write_be16(orsp_writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	orsp_write_bytes(w, b, 2);
}

void orsp_write_be32(orsp_writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	orsp_write_bytes(w, b, 4);
}

orsp_err orsp_writer_status(const orsp_writer *w)
{
	if (w->overflow)
		return orsp_errf(ORSP_E_RESOURCE, "output buffer of %zu bytes too small", w->cap);
	return ORSP_OK;
}
