/* openrsp der: a strict DER TLV reader and writer (ITU-T X.690 §10).
 *
 * The reader borrows slices of the input, never copies, and rejects what DER forbids:
 * indefinite lengths, non-minimal length encodings, lengths longer than the input, tag
 * numbers in long form that could have been short, leading 0x80 in tag numbers, and
 * trailing bytes where one element was expected. Nesting is limited to ORSP_DER_MAX_DEPTH.
 *
 * Tags are handled as the number formed by their identifier octets, the way SGP.22 writes
 * them: 0x30 (SEQUENCE), 0x80 ([0] primitive), 0xBF36 (BoundProfilePackage), 0x5F49.
 */
#ifndef OPENRSP_DER_H
#define OPENRSP_DER_H

#include "openrsp/core.h"

#define ORSP_DER_MAX_DEPTH 32   /* deepest nesting accepted by orsp_der_validate() */
#define ORSP_DER_MAX_TAG_BYTES 4 /* identifier octets that fit in a uint32_t */

#define ORSP_DER_CLASS_UNIVERSAL 0x00
#define ORSP_DER_CLASS_APPLICATION 0x40
#define ORSP_DER_CLASS_CONTEXT 0x80
#define ORSP_DER_CLASS_PRIVATE 0xC0

typedef struct orsp_tlv {
	uint32_t tag;      /* identifier octets as a big-endian number, e.g. 0xBF36 */
	uint8_t cls;       /* ORSP_DER_CLASS_* (top two bits of the first identifier octet) */
	bool constructed;  /* bit 6 of the first identifier octet */
	uint32_t number;   /* the tag number within its class */
	orsp_slice value;  /* contents octets (borrowed) */
	orsp_slice raw;    /* the whole TLV: identifier + length + contents (borrowed) */
} orsp_tlv;

/* Read the next TLV from r (which advances past it). Only the header is checked; the
 * contents of a constructed TLV are not walked (see orsp_der_validate). */
ORSP_MUST_CHECK orsp_err orsp_der_read(orsp_reader *r, orsp_tlv *out);

/* Parse `in` as exactly one TLV: trailing bytes are an error. */
ORSP_MUST_CHECK orsp_err orsp_der_parse_one(orsp_slice in, orsp_tlv *out);

/* Read the next TLV and require its tag; ORSP_E_MALFORMED names both tags otherwise. */
ORSP_MUST_CHECK orsp_err orsp_der_expect(orsp_reader *r, uint32_t tag, orsp_tlv *out);

/* Walk `in` as exactly one TLV and every constructed TLV inside it, recursively, checking
 * that each contents field is a complete sequence of TLVs and that nesting stays within
 * max_depth (at most ORSP_DER_MAX_DEPTH). Uses no heap and bounded stack. */
ORSP_MUST_CHECK orsp_err orsp_der_validate(orsp_slice in, unsigned max_depth);
/* orsp_der_validate, and *count gets how many TLVs the walk met (the outer one included). */
ORSP_MUST_CHECK orsp_err orsp_der_validate_count(orsp_slice in, unsigned max_depth, size_t *count);

/* Skip the elements left in r after the known fields of a SEQUENCE of an extensible module
 * (the rsp module is EXTENSIBILITY IMPLIED: X.680 §52 makes each SEQUENCE end in `...`, so a
 * later version's additions come after the fields a reader knows). Each must be a complete
 * TLV whose contents are well-formed DER within max_depth levels (orsp_der_validate: 1..
 * ORSP_DER_MAX_DEPTH), and its tag none of known[0..n) (known may be NULL when n is 0; tags
 * are compared by class and number, so 80 is A0's tag in the other form): a known field
 * repeated, or out of the module's order, is no extension. ORSP_E_MALFORMED naming the offset
 * of the first element that is not one, r left at it; ORSP_OK when nothing is left. */
ORSP_MUST_CHECK orsp_err orsp_der_skip_extensions(orsp_reader *r, const uint32_t *known, size_t n,
                                                  unsigned max_depth);

/* Decode a non-negative INTEGER contents (minimal two's complement) into a uint64_t. */
ORSP_MUST_CHECK orsp_err orsp_der_uint(orsp_slice value, uint64_t *out);

/* Decode a BOOLEAN's contents (X.690 §8.2, §11.1): one octet, 0x00 FALSE or 0xFF TRUE.
 * ORSP_E_MALFORMED for any other contents (BER's other non-zero octets for TRUE are not
 * DER: two components could read one encoding differently). */
ORSP_MUST_CHECK orsp_err orsp_der_bool(orsp_slice value, bool *out);

/* Read a BIT STRING's contents (the unused-bits octet, then the bits, bit 0 first as in a
 * named-bit list): *nbits gets how many bits it holds, *first64 bit b (b < 64) at 1 << b,
 * later bits left out. ORSP_E_MALFORMED for no contents octet, more than 7 unused bits,
 * unused bits without a bit octet, or an unused bit that is set (X.690 §11.2.1). */
ORSP_MUST_CHECK orsp_err orsp_der_bits(orsp_slice value, uint64_t *first64, size_t *nbits);
/* orsp_der_bits, with bits 0..7 in *octet where a first contents octet holds them: bit b at
 * 0x80 >> b, the way SGP.22's masks are written (PprIds ppr1 0x40, NotificationEvent delete
 * 0x10). Only the string's bits: one past its *nbits is 0 in *octet, whatever the contents
 * octet held there; bits from 8 on are left out. */
ORSP_MUST_CHECK orsp_err orsp_der_bits_octet(orsp_slice value, uint8_t *octet, size_t *nbits);

/* ----- writer ----- */

/* Length of the identifier octets of tag (1..4). */
size_t orsp_der_tag_size(uint32_t tag);
/* Length of the DER length field for a contents length n. */
size_t orsp_der_len_size(size_t n);

/* Append identifier + length header for contents of n bytes. */
void orsp_der_put_header(orsp_writer *w, uint32_t tag, size_t n);
/* Append a whole TLV. */
void orsp_der_put_tlv(orsp_writer *w, uint32_t tag, const void *value, size_t n);
/* Append a non-negative INTEGER in minimal form. */
void orsp_der_put_uint(orsp_writer *w, uint32_t tag, uint64_t v);

/* Nested construction without knowing the length in advance: begin() reserves room for
 * the header and returns a mark; end() writes the header and moves the contents into
 * place. Marks nest. */
typedef struct orsp_der_mark {
	size_t start;
	uint32_t tag;
} orsp_der_mark;
orsp_der_mark orsp_der_begin(orsp_writer *w, uint32_t tag);
void orsp_der_end(orsp_writer *w, orsp_der_mark m);

#endif
