/* Strict DER TLV reader (ITU-T X.690 §8.1 and the DER restrictions of §10).
 *
 * Every header is checked the same way whether it comes through orsp_der_read(),
 * orsp_der_parse_one() or orsp_der_validate(): one function, der_header(), decides. It
 * looks only at the bytes it is given (`avail`), so a TLV can never claim bytes that lie
 * past the end of its parent. Errors name the offset of the offending TLV, counted from
 * the start of the reader's buffer or of the slice being validated.
 */
#include <string.h>

#include "openrsp/der.h"

/* A decoded identifier + length header. */
typedef struct der_hdr {
	uint32_t tag;
	uint8_t cls;
	bool constructed;
	uint32_t number;
	size_t hdr_len; /* identifier + length octets */
	size_t len;     /* contents octets */
} der_hdr;

/* Universal tag numbers whose form X.690 fixes. */
enum {
	UNIV_EOC = 0,
	UNIV_BOOLEAN = 1,
	UNIV_INTEGER = 2,
	UNIV_BIT_STRING = 3,
	UNIV_OCTET_STRING = 4,
	UNIV_NULL = 5,
	UNIV_OID = 6,
	UNIV_REAL = 9,
	UNIV_ENUMERATED = 10,
	UNIV_RELATIVE_OID = 13,
	UNIV_SEQUENCE = 16,
	UNIV_SET = 17,
};

/* Restricted character string types (X.680 §41): UTF8String, NumericString, PrintableString,
 * TeletexString, VideotexString, IA5String, GraphicString, VisibleString, GeneralString,
 * UniversalString, BMPString; plus ObjectDescriptor, UTCTime and GeneralizedTime, which
 * X.680 defines as implicitly tagged GraphicString / VisibleString, so §10.2 covers them. */
static bool univ_is_string(uint32_t number)
{
	switch (number) {
	case 7:
	case 12:
	case 18:
	case 19:
	case 20:
	case 21:
	case 22:
	case 23:
	case 24:
	case 25:
	case 26:
	case 27:
	case 28:
	case 30:
		return true;
	default:
		return false;
	}
}

/* Parse the identifier octets (§8.1.2). */
static orsp_err der_tag(const uint8_t *p, size_t avail, size_t off, der_hdr *h, size_t *used)
{
	if (avail == 0)
		return orsp_errf(ORSP_E_MALFORMED, "DER: no TLV at offset %zu: end of input", off);
	uint8_t b0 = p[0];
	h->cls = b0 & 0xC0;
	h->constructed = (b0 & 0x20) != 0;
	if ((b0 & 0x1F) != 0x1F) {
		/* §8.1.2.3: low tag number form. */
		h->number = b0 & 0x1F;
		h->tag = b0;
		*used = 1;
		return ORSP_OK;
	}
	/* §8.1.2.4: high tag number form, base-128 with continuation bits. */
	uint32_t number = 0;
	uint32_t tag = b0;
	size_t i = 1;
	for (;;) {
		if (i >= ORSP_DER_MAX_TAG_BYTES)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: tag at offset %zu is longer than %d identifier octets", off,
			    ORSP_DER_MAX_TAG_BYTES);
		if (i >= avail)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: tag at offset %zu truncated after %zu identifier octets", off, i);
		uint8_t b = p[i];
		/* §8.1.2.4.2 c): bits 7..1 of the first subsequent octet shall not all be zero. */
		if (i == 1 && b == 0x80)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: tag at offset %zu has a leading 0x80 subsequent octet", off);
		number = (number << 7) | (b & 0x7F);
		tag = (tag << 8) | b;
		i++;
		if (!(b & 0x80))
			break;
	}
	/* §8.1.2.2: numbers 0..30 shall use the one-octet form. */
	if (number < 0x1F)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: tag at offset %zu uses the long form for number %u (< 31)",
		                 off, (unsigned)number);
	h->number = number;
	h->tag = tag;
	*used = i;
	return ORSP_OK;
}

/* Universal types whose encoding X.690 always makes primitive, in BER as well: the type's
 * name and clause, or NULL for any other type. */
static const char *univ_primitive_only(uint32_t number)
{
	switch (number) {
	case UNIV_BOOLEAN:
		return "BOOLEAN, X.690 8.2.1";
	case UNIV_INTEGER:
		return "INTEGER, X.690 8.3.1";
	case UNIV_ENUMERATED:
		return "ENUMERATED, X.690 8.4";
	case UNIV_REAL:
		return "REAL, X.690 8.5.1";
	case UNIV_NULL:
		return "NULL, X.690 8.8.1";
	case UNIV_OID:
		return "OBJECT IDENTIFIER, X.690 8.19.1";
	case UNIV_RELATIVE_OID:
		return "RELATIVE-OID, X.690 8.20.1";
	default:
		return NULL;
	}
}

/* X.690 §8.9.1, §8.11.1 (SEQUENCE, SET constructed), §10.2 (strings primitive), the types
 * that are primitive in any encoding, and the end-of-contents octets of §8.1.5, which only
 * exist with the indefinite form. */
static orsp_err der_form(const der_hdr *h, size_t off)
{
	if (h->cls != ORSP_DER_CLASS_UNIVERSAL)
		return ORSP_OK;
	if (h->number == UNIV_EOC)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: universal tag 0 (end-of-contents) at offset %zu", off);
	if ((h->number == UNIV_SEQUENCE || h->number == UNIV_SET) && !h->constructed)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: primitive SEQUENCE/SET (tag 0x%02X) at offset %zu",
		                 (unsigned)h->tag, off);
	if ((h->number == UNIV_BIT_STRING || h->number == UNIV_OCTET_STRING ||
	     univ_is_string(h->number)) &&
	    h->constructed)
		return orsp_errf(
		    ORSP_E_MALFORMED,
		    "DER: constructed string (tag 0x%02X) at offset %zu, forbidden by X.690 "
		    "10.2",
		    (unsigned)h->tag, off);
	const char *prim = univ_primitive_only(h->number);
	if (prim != NULL && h->constructed)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: constructed tag 0x%02X at offset %zu, a type that is always "
		                 "primitive (%s)",
		                 (unsigned)h->tag, off, prim);
	return ORSP_OK;
}

/* Parse one header from p[0..avail) and check that the contents fit in avail. */
static orsp_err der_header(const uint8_t *p, size_t avail, size_t off, der_hdr *h)
{
	size_t i = 0;
	orsp_err e = der_tag(p, avail, off, h, &i);
	if (e != ORSP_OK)
		return e;
	e = der_form(h, off);
	if (e != ORSP_OK)
		return e;
	if (i >= avail)
		return orsp_errf(ORSP_E_MALFORMED, "DER: TLV at offset %zu has no length octet",
		                 off);
	uint8_t l0 = p[i++];
	size_t len;
	if (l0 < 0x80) {
		len = l0; /* §8.1.3.4 short form */
	} else if (l0 == 0x80) {
		/* §10.1: the definite form shall be used. */
		return orsp_errf(ORSP_E_MALFORMED, "DER: indefinite length (0x80) at offset %zu",
		                 off);
	} else {
		size_t k = l0 & 0x7F;
		/* Four octets cover every buffer we handle and fit a size_t on every target
		 * (this also refuses the reserved 0xFF of §8.1.3.5 c). */
		if (k > 4)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: length of TLV at offset %zu uses %zu octets (at most 4)", off, k);
		if (k > avail - i)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: length of TLV at offset %zu truncated (%zu of %zu octets)", off,
			    avail - i, k);
		/* §10.1: minimum number of octets: no leading zero octet ... */
		if (p[i] == 0)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: length of TLV at offset %zu has a leading zero octet", off);
		uint32_t v = 0;
		for (size_t j = 0; j < k; j++)
			v = (v << 8) | p[i + j];
		i += k;
		/* ... and no long form where the short form fits. */
		if (v < 0x80)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "DER: length %u of TLV at offset %zu should use the short form",
			    (unsigned)v, off);
		len = v;
	}
	if (len > avail - i)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: TLV at offset %zu has length %zu but only %zu bytes follow",
		                 off, len, avail - i);
	h->hdr_len = i;
	h->len = len;
	return ORSP_OK;
}

static void der_fill(orsp_tlv *out, const der_hdr *h, const uint8_t *p)
{
	out->tag = h->tag;
	out->cls = h->cls;
	out->constructed = h->constructed;
	out->number = h->number;
	out->value = orsp_slice_make(p + h->hdr_len, h->len);
	out->raw = orsp_slice_make(p, h->hdr_len + h->len);
}

orsp_err orsp_der_read(orsp_reader *r, orsp_tlv *out)
{
	der_hdr h;
	size_t avail = orsp_reader_remaining(r);
	const uint8_t *p = avail ? r->p + r->off : NULL;
	/* The reader only moves on success, so a caller may report or retry at r->off. */
	orsp_err e = der_header(p, avail, r->off, &h);
	if (e != ORSP_OK)
		return e;
	der_fill(out, &h, p);
	r->off += h.hdr_len + h.len;
	return ORSP_OK;
}

orsp_err orsp_der_parse_one(orsp_slice in, orsp_tlv *out)
{
	orsp_reader r;
	orsp_tlv t;
	orsp_reader_init(&r, in.p, in.len);
	if (orsp_reader_remaining(&r) == 0)
		return orsp_errf(ORSP_E_MALFORMED, "DER: empty input");
	orsp_err e = orsp_der_read(&r, &t);
	if (e != ORSP_OK)
		return e;
	if (orsp_reader_remaining(&r) != 0)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: %zu trailing bytes at offset %zu after the TLV",
		                 orsp_reader_remaining(&r), r.off);
	*out = t;
	return ORSP_OK;
}

orsp_err orsp_der_expect(orsp_reader *r, uint32_t tag, orsp_tlv *out)
{
	orsp_tlv t;
	size_t off = r->off;
	orsp_err e = orsp_der_read(r, &t);
	if (e != ORSP_OK)
		return e;
	if (t.tag != tag) {
		r->off = off; /* leave the reader where it was, as on any other error */
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: expected tag 0x%X at offset %zu, found 0x%X", (unsigned)tag,
		                 off, (unsigned)t.tag);
	}
	*out = t;
	return ORSP_OK;
}

/* tag without its form bit (constructed, 0x20 of the first identifier octet): a tag is its
 * class and number (X.680 §8), so [0] primitive is the tag of a [0] constructed field. */
static uint32_t tag_sans_form(uint32_t tag)
{
	unsigned shift = 0;
	while (shift < 24 && tag >> (shift + 8))
		shift += 8;
	return tag & ~((uint32_t)0x20 << shift);
}

orsp_err orsp_der_skip_extensions(orsp_reader *r, const uint32_t *known, size_t n,
                                  unsigned max_depth)
{
	while (orsp_reader_remaining(r)) {
		size_t off = r->off;
		orsp_tlv t;
		orsp_err e = orsp_der_read(r, &t);
		if (e != ORSP_OK)
			return e;
		for (size_t i = 0; i < n; i++)
			if (tag_sans_form(t.tag) == tag_sans_form(known[i])) {
				r->off = off;
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    "DER: field 0x%X at offset %zu repeated or out of order",
				    (unsigned)t.tag, off);
			}
		e = orsp_der_validate(t.raw, max_depth);
		if (e != ORSP_OK) {
			r->off = off;
			return e;
		}
	}
	return ORSP_OK;
}

orsp_err orsp_der_validate(orsp_slice in, unsigned max_depth)
{
	size_t count;
	return orsp_der_validate_count(in, max_depth, &count);
}

orsp_err orsp_der_validate_count(orsp_slice in, unsigned max_depth, size_t *count)
{
	/* ends[i] is the end offset of the open constructed TLV at nesting level i + 1. The
	 * outermost TLV is level 1; a TLV inside it is level 2, and so on. */
	size_t ends[ORSP_DER_MAX_DEPTH];
	unsigned depth = 0;
	der_hdr h;
	orsp_err e;

	*count = 0;
	if (max_depth == 0 || max_depth > ORSP_DER_MAX_DEPTH)
		return orsp_errf(ORSP_E_USAGE, "DER: max_depth %u outside 1..%d", max_depth,
		                 ORSP_DER_MAX_DEPTH);
	if (in.len == 0 || !in.p)
		return orsp_errf(ORSP_E_MALFORMED, "DER: empty input");

	e = der_header(in.p, in.len, 0, &h);
	if (e != ORSP_OK)
		return e;
	size_t end = h.hdr_len + h.len;
	size_t n = 1; /* the TLVs met, given out only when all is well */
	if (end != in.len)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: %zu trailing bytes at offset %zu after the TLV",
		                 in.len - end, end);
	if (!h.constructed) {
		*count = n;
		return ORSP_OK;
	}
	ends[depth++] = end;
	size_t pos = h.hdr_len;

	while (depth > 0) {
		size_t parent_end = ends[depth - 1];
		if (pos == parent_end) {
			depth--;
			continue;
		}
		/* Bounded by the parent: a child may not run past the TLV that holds it. */
		e = der_header(in.p + pos, parent_end - pos, pos, &h);
		if (e != ORSP_OK)
			return e;
		if (depth + 1 > max_depth)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "DER: TLV at offset %zu is nested %u deep (at most %u)",
			                 pos, depth + 1, max_depth);
		size_t child_end = pos + h.hdr_len + h.len;
		n++;
		if (h.constructed && h.len > 0) {
			ends[depth++] = child_end; /* depth <= max_depth <= ORSP_DER_MAX_DEPTH */
			pos += h.hdr_len;
		} else {
			pos = child_end;
		}
	}
	*count = n;
	return ORSP_OK;
}

orsp_err orsp_der_uint(orsp_slice value, uint64_t *out)
{
	const uint8_t *p = value.p;
	size_t n = value.len;

	/* §8.3.1: one or more contents octets. */
	if (n == 0 || !p)
		return orsp_errf(ORSP_E_MALFORMED, "DER: INTEGER with no contents octets");
	if (p[0] & 0x80)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: INTEGER is negative where unsigned expected");
	/* §8.3.2: the first nine bits shall not all be zero. */
	if (n > 1 && p[0] == 0x00 && !(p[1] & 0x80))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: INTEGER of %zu octets has an unneeded leading 0x00 octet",
		                 n);
	if (p[0] == 0x00 && n > 1) {
		p++;
		n--;
	}
	if (n > 8)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: INTEGER magnitude of %zu octets exceeds 64 bits", n);
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = v;
	return ORSP_OK;
}

orsp_err orsp_der_bool(orsp_slice value, bool *out)
{
	/* §8.2.1: one contents octet; §11.1: in DER, TRUE is all ones */
	if (value.len != 1 || !value.p)
		return orsp_errf(ORSP_E_MALFORMED, "DER: BOOLEAN of %zu contents octets, not one",
		                 value.len);
	if (value.p[0] != 0x00 && value.p[0] != 0xFF)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: BOOLEAN of 0x%02X, neither FALSE (0x00) nor TRUE (0xFF)",
		                 value.p[0]);
	*out = value.p[0] == 0xFF;
	return ORSP_OK;
}

orsp_err orsp_der_bits(orsp_slice value, uint64_t *first64, size_t *nbits)
{
	const uint8_t *p = value.p;
	size_t n = value.len, count;
	uint64_t v = 0;

	/* X.690 §8.6.2: the initial octet gives the unused bits of the last, 0..7; none when
	 * there is no subsequent octet. */
	if (n == 0 || !p)
		return orsp_errf(ORSP_E_MALFORMED, "DER: BIT STRING with no contents octets");
	if (p[0] > 7 || (n == 1 && p[0] != 0))
		return orsp_errf(ORSP_E_MALFORMED, "DER: BIT STRING with %u unused bits of %zu",
		                 p[0], (n - 1) * 8);
	/* §11.2.1: in DER each unused bit is zero. A set one is a second encoding of the value,
	 * which a reader that takes the whole octet would read as another. */
	if (n > 1 && (p[n - 1] & ((1u << p[0]) - 1u)))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "DER: BIT STRING with a set bit among its %u unused bits", p[0]);
	count = (n - 1) * 8 - p[0];
	for (size_t b = 0; b < count && b < 64; b++)
		if (p[1 + b / 8] & (0x80u >> (b % 8)))
			v |= UINT64_C(1) << b;
	*first64 = v;
	*nbits = count;
	return ORSP_OK;
}

orsp_err orsp_der_bits_octet(orsp_slice value, uint8_t *octet, size_t *nbits)
{
	uint64_t v = 0;
	uint8_t o = 0;
	orsp_err e = orsp_der_bits(value, &v, nbits);

	if (e)
		return e;
	for (unsigned b = 0; b < 8; b++)
		if (v >> b & 1)
			o |= (uint8_t)(0x80u >> b);
	*octet = o;
	return ORSP_OK;
}
