/* libFuzzer target for the DER reader and writer.
 *
 * For any input:
 *  - orsp_der_validate() and orsp_der_parse_one() fail only with ORSP_E_MALFORMED;
 *  - walking the input with orsp_der_read() (descending into constructed TLVs with an
 *    explicit stack) reaches the same verdict as orsp_der_validate() and orsp_der_parse_one();
 *  - a failed read leaves the reader where it was;
 *  - every tag read equals the minimal identifier octets of its class, form and number;
 *  - every TLV read re-encodes with orsp_der_put_tlv() to exactly its raw bytes, and every
 *    universal INTEGER that orsp_der_uint() accepts re-encodes with orsp_der_put_uint() to
 *    its raw bytes: DER has one encoding per value, and we accept only that one;
 *  - orsp_der_bits(), given the contents of every primitive TLV (a universal BIT STRING, or
 *    one under an implicit tag as SGP.22 writes them), accepts exactly the contents X.690
 *    §8.6.2 and §11.2.1 allow (an unused-bits octet of 0..7, 0 when no bit octet follows,
 *    every unused bit zero), and what it accepts is written again from the count and bits it
 *    gives, to the same octets; orsp_der_bits_octet() agrees with it, its octet the first
 *    contents octet after the unused-bits octet (0 for an empty string);
 *  - orsp_der_bool(), given the same contents, accepts exactly one octet of 0x00 or 0xFF
 *    (X.690 §11.1), and the value it gives is written again to the same octet.
 * A violated property calls abort(), which libFuzzer reports as a crash. Deterministic: no
 * clock, no randomness, no global state carried between inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "openrsp/der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* Identifier octets from class, form and number, written independently of the library
 * (X.690 §8.1.2): the re-encoding below copies the tag as read, so this is what catches a
 * reader that accepts a non-minimal tag number. */
static uint32_t identifier(uint8_t cls, bool constructed, uint32_t number)
{
	uint32_t t = (uint32_t)cls | (constructed ? 0x20u : 0u);
	if (number < 31)
		return t | number;
	unsigned groups = 1;
	while (groups < 5 && (number >> (7 * groups)) != 0)
		groups++;
	t |= 0x1F;
	for (unsigned g = groups; g > 0; g--)
		t = (t << 8) | ((number >> (7 * (g - 1))) & 0x7F) | (g > 1 ? 0x80u : 0u);
	return t;
}

/* Re-encode t into scratch (at least t->raw.len bytes) and compare with its raw bytes. */
static void check_canonical(const orsp_tlv *t, uint8_t *scratch)
{
	check(identifier(t->cls, t->constructed, t->number) == t->tag);

	orsp_writer w;
	orsp_writer_init(&w, scratch, t->raw.len);
	orsp_der_put_tlv(&w, t->tag, t->value.p, t->value.len);
	check(orsp_writer_status(&w) == ORSP_OK);
	check(w.len == t->raw.len);
	check(memcmp(scratch, t->raw.p, w.len) == 0);
	check(orsp_der_tag_size(t->tag) + orsp_der_len_size(t->value.len) + t->value.len ==
	      t->raw.len);

	uint64_t v;
	if (t->tag == 0x02 && orsp_der_uint(t->value, &v) == ORSP_OK) {
		orsp_writer_init(&w, scratch, t->raw.len);
		orsp_der_put_uint(&w, 0x02, v);
		check(orsp_writer_status(&w) == ORSP_OK);
		check(w.len == t->raw.len);
		check(memcmp(scratch, t->raw.p, w.len) == 0);
	}
}

/* The BIT STRING property above for contents v, written independently of the library. */
static void check_bits(orsp_slice v)
{
	uint64_t first = 0;
	size_t nbits = 0;
	orsp_err e = orsp_der_bits(v, &first, &nbits);
	bool der = v.len > 0 && v.p[0] <= 7 && (v.len > 1 || v.p[0] == 0) &&
	           (v.len == 1 || (v.p[v.len - 1] & ((1u << v.p[0]) - 1u)) == 0);

	uint8_t octet = 0;
	size_t obits = 0;
	orsp_err eo = orsp_der_bits_octet(v, &octet, &obits);

	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	check((e == ORSP_OK) == der);
	check(eo == e);
	if (e != ORSP_OK)
		return;
	check(obits == nbits);
	check(octet == (v.len > 1 ? v.p[1] : 0));
	check(nbits == (v.len - 1) * 8 - v.p[0]);
	/* the unused-bits octet from the count, then bit b (b < 64) at the high end first */
	check(v.p[0] == (8 - nbits % 8) % 8);
	for (size_t i = 1; i < v.len && i <= 8; i++) {
		uint8_t o = 0;
		for (unsigned k = 0; k < 8; k++) {
			size_t b = (i - 1) * 8 + k;
			if (b < nbits && (first >> b & 1))
				o |= (uint8_t)(0x80u >> k);
		}
		check(o == v.p[i]);
	}
}

/* The BOOLEAN property above for contents v. */
static void check_bool(orsp_slice v)
{
	bool b = false;
	orsp_err e = orsp_der_bool(v, &b);

	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	check((e == ORSP_OK) == (v.len == 1 && (v.p[0] == 0x00 || v.p[0] == 0xFF)));
	if (e == ORSP_OK)
		check((b ? 0xFF : 0x00) == v.p[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_slice in = orsp_slice_make(data, size);
	orsp_tlv one;
	orsp_err validated = orsp_der_validate(in, ORSP_DER_MAX_DEPTH);
	orsp_err parsed = orsp_der_parse_one(in, &one);
	check(validated == ORSP_OK || validated == ORSP_E_MALFORMED);
	check(parsed == ORSP_OK || parsed == ORSP_E_MALFORMED);

	uint8_t *scratch = malloc(size ? size : 1);
	if (!scratch)
		return 0;

	/* stack[i] reads the contents of the open TLV at nesting level i (level 0 = input). */
	orsp_reader stack[ORSP_DER_MAX_DEPTH];
	unsigned depth = 1;
	size_t top_count = 0;
	bool top_ok = true; /* every top-level read succeeded */
	bool all_ok = true; /* ... and every nested one, within the depth limit */
	orsp_reader_init(&stack[0], data, size);

	while (depth > 0) {
		orsp_reader *r = &stack[depth - 1];
		if (orsp_reader_remaining(r) == 0) {
			depth--;
			continue;
		}
		orsp_tlv t;
		size_t off = r->off;
		orsp_err e = orsp_der_read(r, &t);
		if (e != ORSP_OK) {
			check(e == ORSP_E_MALFORMED);
			check(r->off == off);
			all_ok = false;
			if (depth == 1)
				top_ok = false;
			depth--; /* this level cannot be walked further */
			continue;
		}
		check(r->off == off + t.raw.len);
		check(t.raw.p == r->p + off);
		check(t.value.p + t.value.len == t.raw.p + t.raw.len);
		check_canonical(&t, scratch);
		if (!t.constructed) {
			check_bits(t.value);
			check_bool(t.value);
		}
		if (depth == 1)
			top_count++;
		/* t sits at nesting level `depth`; its contents would be at depth + 1. */
		if (t.constructed && t.value.len > 0) {
			if (depth == ORSP_DER_MAX_DEPTH) {
				all_ok = false; /* something at level MAX + 1: too deep */
				continue;
			}
			orsp_reader_init(&stack[depth], t.value.p, t.value.len);
			depth++;
		}
	}

	bool one_tlv = top_ok && top_count == 1;
	check((parsed == ORSP_OK) == one_tlv);
	check((validated == ORSP_OK) == (one_tlv && all_ok));
	if (parsed == ORSP_OK) {
		check(one.raw.p == data && one.raw.len == size);
		orsp_reader r;
		orsp_tlv t;
		orsp_reader_init(&r, data, size);
		check(orsp_der_expect(&r, one.tag, &t) == ORSP_OK);
		orsp_reader_init(&r, data, size);
		check(orsp_der_expect(&r, one.tag ^ 1, &t) == ORSP_E_MALFORMED);
		check(r.off == 0);
	}
	free(scratch);
	return 0;
}
