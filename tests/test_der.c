/* der: strict DER reader/writer (ITU-T X.690 §8.1, §10).
 *
 * Expected encodings below are written by hand from X.690, not produced by our writer; the
 * outside vectors are the SGP.26 test certificates, the pySim bound profile package and the
 * GSMA TS.48 / pySim SAIP profile packages (tests/vectors/ORIGIN.md).
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "openrsp/der.h"

/* ------------------------------------------------------------------ helpers ------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n;
	assert_int_equal(orsp_hex_decode(hex, out, cap, &n), ORSP_OK);
	return n;
}

static void assert_detail_has(const char *what, const char *case_name)
{
	if (!strstr(orsp_err_detail(), what))
		fail_msg("%s: detail \"%s\" does not mention \"%s\"", case_name, orsp_err_detail(),
		         what);
}

/* Every entry point must reject the header with ORSP_E_MALFORMED for the expected reason,
 * and the reader must not move. */
static void assert_header_rejected(const uint8_t *p, size_t n, const char *reason, const char *name)
{
	orsp_tlv t;
	orsp_reader r;

	orsp_err_clear();
	if (orsp_der_parse_one(orsp_slice_make(p, n), &t) != ORSP_E_MALFORMED)
		fail_msg("%s: parse_one accepted it", name);
	assert_detail_has(reason, name);

	orsp_err_clear();
	if (orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH) != ORSP_E_MALFORMED)
		fail_msg("%s: validate accepted it", name);
	assert_detail_has(reason, name);

	orsp_err_clear();
	orsp_reader_init(&r, p, n);
	if (orsp_der_read(&r, &t) != ORSP_E_MALFORMED)
		fail_msg("%s: read accepted it", name);
	assert_detail_has(reason, name);
	assert_int_equal(r.off, 0);
}

/* Build tag + length octets + `fill` content bytes of value 0. */
static uint8_t *make_raw(const char *hdr_hex, size_t fill, size_t *n)
{
	uint8_t hdr[32];
	size_t hl = unhex(hdr_hex, hdr, sizeof(hdr));
	uint8_t *p = calloc(1, hl + fill + 1);
	assert_non_null(p);
	memcpy(p, hdr, hl);
	*n = hl + fill;
	return p;
}

/* ------------------------------------------------------------------ lengths ------------- */

/* X.690 §8.1.3: short form below 128, then 0x81.. with the minimum number of octets. */
static const struct {
	size_t n;
	const char *hdr;
} len_cases[] = {
    {0, "0400"},
    {1, "0401"},
    {127, "047f"},
    {128, "048180"},
    {255, "0481ff"},
    {256, "04820100"},
    {65535, "0482ffff"},
    {65536, "0483010000"},
    {16777215, "0483ffffff"},
    {16777216, "048401000000"},
};

static void test_length_boundaries(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(len_cases); i++) {
		uint8_t hdr[8];
		size_t hl = unhex(len_cases[i].hdr, hdr, sizeof(hdr));
		size_t n = len_cases[i].n;
		size_t total = hl + n;
		uint8_t *value = malloc(n + 1);
		uint8_t *buf = malloc(total);
		assert_non_null(value);
		assert_non_null(buf);
		for (size_t j = 0; j < n; j++)
			value[j] = (uint8_t)(j * 7 + 1);

		assert_int_equal(orsp_der_len_size(n), hl - 1);

		/* Exactly the right capacity works ... */
		orsp_writer w;
		orsp_writer_init(&w, buf, total);
		orsp_der_put_tlv(&w, 0x04, value, n);
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_int_equal(w.len, total);
		assert_bytes_equal(buf, hdr, hl);
		assert_memory_equal(buf + hl, value, n);

		/* ... one byte less does not. */
		orsp_writer_init(&w, buf, total - 1);
		orsp_der_put_tlv(&w, 0x04, value, n);
		assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);

		/* Read back from the hand-written header. */
		memcpy(buf, hdr, hl);
		orsp_tlv t;
		assert_int_equal(orsp_der_parse_one(orsp_slice_make(buf, total), &t), ORSP_OK);
		assert_int_equal(t.tag, 0x04);
		assert_int_equal(t.value.len, n);
		assert_ptr_equal(t.value.p, buf + hl);
		assert_ptr_equal(t.raw.p, buf);
		assert_int_equal(t.raw.len, total);
		assert_int_equal(orsp_der_validate(orsp_slice_make(buf, total), 1), ORSP_OK);

		/* One content byte missing: the length runs past the end. */
		if (n > 0) {
			assert_int_equal(orsp_der_parse_one(orsp_slice_make(buf, total - 1), &t),
			                 ORSP_E_MALFORMED);
			assert_detail_has("only", len_cases[i].hdr);
		}
		free(value);
		free(buf);
	}
}

/* ------------------------------------------------------------------ tags ---------------- */

static const struct {
	const char *id; /* identifier octets */
	uint32_t tag;
	uint8_t cls;
	bool constructed;
	uint32_t number;
} tag_cases[] = {
    {"02", 0x02, ORSP_DER_CLASS_UNIVERSAL, false, 2},
    {"30", 0x30, ORSP_DER_CLASS_UNIVERSAL, true, 16},
    {"80", 0x80, ORSP_DER_CLASS_CONTEXT, false, 0},
    {"a0", 0xA0, ORSP_DER_CLASS_CONTEXT, true, 0},
    {"5e", 0x5E, ORSP_DER_CLASS_APPLICATION, false, 30},
    {"9f1f", 0x9F1F, ORSP_DER_CLASS_CONTEXT, false, 31},     /* smallest long form */
    {"bf36", 0xBF36, ORSP_DER_CLASS_CONTEXT, true, 54},      /* BoundProfilePackage */
    {"5f49", 0x5F49, ORSP_DER_CLASS_APPLICATION, false, 73}, /* public key (SGP.22) */
    {"bf7f", 0xBF7F, ORSP_DER_CLASS_CONTEXT, true, 127},     /* largest 2-octet */
    {"bf8100", 0xBF8100, ORSP_DER_CLASS_CONTEXT, true, 128}, /* smallest 3-octet */
    {"df818000", 0xDF818000, ORSP_DER_CLASS_PRIVATE, false, 16384},
    {"9fffff7f", 0x9FFFFF7F, ORSP_DER_CLASS_CONTEXT, false, 2097151}, /* largest 4-octet */
};

static void test_tags(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(tag_cases); i++) {
		uint8_t expect[16], buf[16];
		size_t il = unhex(tag_cases[i].id, expect, sizeof(expect));
		expect[il] = 0x01;
		expect[il + 1] = 0xAB;
		size_t total = il + 2;
		static const uint8_t ab = 0xAB;

		assert_int_equal(orsp_der_tag_size(tag_cases[i].tag), il);
		orsp_writer w;
		orsp_writer_init(&w, buf, total);
		orsp_der_put_tlv(&w, tag_cases[i].tag, &ab, 1);
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_bytes_equal(buf, expect, total);

		orsp_tlv t;
		assert_int_equal(orsp_der_parse_one(orsp_slice_make(expect, total), &t), ORSP_OK);
		assert_int_equal(t.tag, tag_cases[i].tag);
		assert_int_equal(t.cls, tag_cases[i].cls);
		assert_int_equal(t.constructed, tag_cases[i].constructed);
		assert_int_equal(t.number, tag_cases[i].number);
		assert_int_equal(t.value.len, 1);
		assert_int_equal(t.value.p[0], 0xAB);
		if (!t.constructed)
			assert_int_equal(orsp_der_validate(orsp_slice_make(expect, total), 1),
			                 ORSP_OK);
	}
}

/* ------------------------------------------------------------------ rejections ---------- */

/* Headers that every entry point must refuse, with the word the detail must contain. */
static const struct {
	const char *name;
	const char *hex;
	size_t fill; /* zero content bytes appended */
	const char *reason;
} bad_headers[] = {
    {"indefinite length", "30800000", 0, "indefinite"},
    {"0x81 with a value below 128", "04817f", 127, "short form"},
    {"0x81 0x05", "048105", 5, "short form"},
    {"0x82 0x00 0x80 (leading zero)", "04820080", 128, "leading zero"},
    {"0x81 0x00", "048100", 0, "leading zero"},
    {"0x83 0x00 0x01 0x00", "0483000100", 256, "leading zero"},
    {"5 length octets", "04850100000000", 0, "at most 4"},
    {"8 length octets", "04880000000000000001", 1, "at most 4"},
    {"reserved 0xFF length", "04ff", 0, "at most 4"},
    {"length past end", "040501020304", 0, "only"},
    {"0x82 length past end", "04820100", 255, "only"},
    {"0x84 0xFFFFFFFF", "0484ffffffff", 16, "only"},
    {"length octets truncated", "048201", 0, "truncated"},
    {"no length octet", "04", 0, "no length octet"},
    {"long form for number 30", "9f1e00", 0, "long form"},
    {"long form for number 5", "1f0500", 0, "long form"},
    {"long form for number 0", "bf0000", 0, "long form"},
    {"tag with leading 0x80", "9f803600", 0, "leading 0x80"},
    {"tag with leading 0x80 0x80", "5f80804000", 0, "leading 0x80"},
    {"5 identifier octets", "9f8181810100", 0, "identifier octets"},
    {"5 identifier octets, cut", "9f818181", 0, "identifier octets"},
    {"tag truncated after first octet", "9f", 0, "truncated"},
    {"tag truncated in subsequent octets", "bf81", 0, "truncated"},
    {"end-of-contents octets", "0000", 0, "end-of-contents"},
    {"constructed OCTET STRING", "2400", 0, "constructed string"},
    {"constructed BIT STRING", "2300", 0, "constructed string"},
    {"constructed UTF8String", "2c00", 0, "constructed string"},
    {"constructed GeneralizedTime", "3800", 0, "constructed string"},
    {"primitive SEQUENCE", "1000", 0, "primitive SEQUENCE"},
    {"primitive SET", "1100", 0, "primitive SEQUENCE"},
    /* X.690 §8.2.1, 8.3.1, 8.4, 8.5.1, 8.8.1, 8.19.1, 8.20.1: primitive in any encoding. */
    {"constructed BOOLEAN", "21030101ff", 0, "always primitive (BOOLEAN"},
    {"constructed INTEGER", "2203020105", 0, "always primitive (INTEGER"},
    {"constructed REAL", "2900", 0, "always primitive (REAL"},
    {"constructed ENUMERATED", "2a030a0101", 0, "always primitive (ENUMERATED"},
    {"constructed NULL", "2500", 0, "always primitive (NULL"},
    {"constructed OID", "260306012a", 0, "always primitive (OBJECT IDENTIFIER"},
    {"constructed RELATIVE-OID", "2d030d0101", 0, "always primitive (RELATIVE-OID"},
};

static void test_bad_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_headers); i++) {
		size_t n;
		uint8_t *p = make_raw(bad_headers[i].hex, bad_headers[i].fill, &n);
		assert_header_rejected(p, n, bad_headers[i].reason, bad_headers[i].name);
		free(p);
	}
}

/* The boundary partners of the rejections above are accepted. */
static void test_good_boundaries(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		size_t fill;
	} ok[] = {
	    {"048180", 128},       /* smallest 0x81 */
	    {"04820100", 256},     /* smallest 0x82 */
	    {"0483010000", 65536}, /* smallest 0x83 */
	    {"9f1f00", 0},         /* smallest long-form tag */
	    {"9f81810100", 0},     /* 4 identifier octets */
	    {"0500", 0},           /* NULL */
	    {"0101", 1},           /* primitive BOOLEAN */
	    {"0201", 1},           /* primitive INTEGER */
	    {"0601", 1},           /* primitive OBJECT IDENTIFIER */
	    {"0a01", 1},           /* primitive ENUMERATED */
	    {"0900", 0},           /* primitive REAL (zero) */
	    {"0d01", 1},           /* primitive RELATIVE-OID */
	    {"a200", 0},           /* constructed [2]: only universal types have a fixed form */
	    {"3000", 0},           /* empty SEQUENCE */
	    {"0400", 0},           /* empty OCTET STRING */
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(ok); i++) {
		size_t n;
		orsp_tlv t;
		uint8_t *p = make_raw(ok[i].hex, ok[i].fill, &n);
		if (orsp_der_parse_one(orsp_slice_make(p, n), &t) != ORSP_OK)
			fail_msg("%s rejected: %s", ok[i].hex, orsp_err_detail());
		assert_int_equal(t.value.len, ok[i].fill);
		assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH),
		                 ORSP_OK);
		free(p);
	}
}

static void test_trailing_and_empty(void **state)
{
	(void)state;
	uint8_t b[8];
	orsp_tlv t;
	orsp_reader r;
	size_t n = unhex("040100ff", b, sizeof(b));

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(b, n), &t), ORSP_E_MALFORMED);
	assert_detail_has("trailing", "parse_one trailing");
	assert_int_equal(orsp_der_validate(orsp_slice_make(b, n), ORSP_DER_MAX_DEPTH),
	                 ORSP_E_MALFORMED);
	assert_detail_has("trailing", "validate trailing");
	/* Without the trailing byte it is fine. */
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(b, n - 1), &t), ORSP_OK);

	/* Two complete TLVs are still trailing bytes for parse_one/validate. */
	n = unhex("04003000", b, sizeof(b));
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(b, n), &t), ORSP_E_MALFORMED);
	assert_detail_has("trailing", "two TLVs");

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(b, 0), &t), ORSP_E_MALFORMED);
	assert_detail_has("empty", "parse_one empty");
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(NULL, 0), &t), ORSP_E_MALFORMED);
	assert_int_equal(orsp_der_validate(orsp_slice_make(b, 0), ORSP_DER_MAX_DEPTH),
	                 ORSP_E_MALFORMED);
	assert_detail_has("empty", "validate empty");
	orsp_reader_init(&r, b, 0);
	assert_int_equal(orsp_der_read(&r, &t), ORSP_E_MALFORMED);
	assert_detail_has("end of input", "read empty");
}

/* Errors name the offset of the offending TLV within the reader / validated slice. */
static void test_error_offsets(void **state)
{
	(void)state;
	uint8_t b[16];
	orsp_tlv t;
	orsp_reader r;
	size_t n = unhex("0401aa30800000", b, sizeof(b)); /* OK at 0, indefinite at 3 */

	orsp_reader_init(&r, b, n);
	assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
	assert_int_equal(orsp_der_read(&r, &t), ORSP_E_MALFORMED);
	assert_detail_has("offset 3", "reader offset");
	assert_int_equal(r.off, 3);
}

/* orsp_der_validate walks the contents of constructed TLVs, each bounded by its parent. */
/* orsp_der_validate_count: every TLV the walk meets, the outer one and those at every level
 * (an empty constructed one is a TLV too); 0 for input that does not validate. */
static void test_validate_count(void **state)
{
	static const struct {
		const char *hex;
		size_t count;
	} cases[] = {
	    {"0400", 1},
	    {"3000", 1},
	    {"3006020101040100", 3},
	    {"3009a0073005020101a000", 5},
	};
	uint8_t buf[32];
	size_t n, count = 99;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		n = unhex(cases[i].hex, buf, sizeof(buf));
		assert_int_equal(orsp_der_validate_count(orsp_slice_make(buf, n), 4, &count),
		                 ORSP_OK);
		if (count != cases[i].count)
			fail_msg("%s: %zu TLVs, expected %zu", cases[i].hex, count, cases[i].count);
	}
	n = unhex("300430800000", buf, sizeof(buf));
	assert_int_equal(orsp_der_validate_count(orsp_slice_make(buf, n), 4, &count),
	                 ORSP_E_MALFORMED);
	assert_int_equal(count, 0);
	/* a depth out of range is the caller's error, and the count is 0 there too */
	count = 99;
	assert_int_equal(orsp_der_validate_count(orsp_slice_make(buf, n), 0, &count), ORSP_E_USAGE);
	assert_int_equal(count, 0);
	orsp_err_clear();
}

static void test_validate_nested_errors(void **state)
{
	(void)state;
	static const struct {
		const char *hex, *reason;
	} cases[] = {
	    {"300430800000", "indefinite"},
	    /* inner OCTET STRING claims 5 bytes: they follow in the input but not in its parent */
	    {"30093002040500000000 00", "only"},
	    {"3003040005", "no length octet"}, /* contents not a whole number of TLVs */
	    {"30022400", "constructed string"},
	    {"30052203020105", "always primitive"},      /* constructed INTEGER inside */
	    {"3004a0029f81", "truncated"},               /* tag cut by its parent's end */
	    {"300aa00804810500000000 00", "short form"}, /* 3 levels deep */
	    {"3003040100ff", "trailing"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		uint8_t b[32];
		char hex[64];
		size_t k = 0;
		for (const char *c = cases[i].hex; *c; c++)
			if (*c != ' ')
				hex[k++] = *c;
		hex[k] = 0;
		size_t n = unhex(hex, b, sizeof(b));
		orsp_tlv t;
		orsp_err_clear();
		if (orsp_der_validate(orsp_slice_make(b, n), ORSP_DER_MAX_DEPTH) !=
		    ORSP_E_MALFORMED)
			fail_msg("validate accepted %s", hex);
		assert_detail_has(cases[i].reason, hex);
		/* The header-only reader accepts the outer TLV when the error is inside it. */
		if (strcmp(cases[i].reason, "trailing") != 0)
			assert_int_equal(orsp_der_parse_one(orsp_slice_make(b, n), &t), ORSP_OK);
	}
	/* Offset of the nested error is counted from the start of the slice. */
	uint8_t b[16];
	size_t n = unhex("3009300204050000000000", b, sizeof(b));
	assert_int_equal(orsp_der_validate(orsp_slice_make(b, n), ORSP_DER_MAX_DEPTH),
	                 ORSP_E_MALFORMED);
	assert_detail_has("offset 4", "nested offset");
}

/* ------------------------------------------------------------------ depth --------------- */

/* `levels` nested TLVs: levels - 1 SEQUENCEs around an OCTET STRING, or around an empty
 * SEQUENCE when innermost_constructed. */
static uint8_t *make_nested(unsigned levels, bool innermost_constructed, size_t *n)
{
	size_t cap = 16 * (size_t)levels + 16;
	uint8_t *buf = malloc(cap);
	orsp_der_mark *marks = calloc(levels, sizeof(*marks));
	assert_non_null(buf);
	assert_non_null(marks);
	orsp_writer w;
	orsp_writer_init(&w, buf, cap);
	for (unsigned i = 0; i + 1 < levels; i++)
		marks[i] = orsp_der_begin(&w, 0x30);
	if (innermost_constructed)
		orsp_der_put_tlv(&w, 0x30, NULL, 0);
	else
		orsp_der_put_tlv(&w, 0x04, "x", 1);
	for (unsigned i = levels - 1; i > 0; i--)
		orsp_der_end(&w, marks[i - 1]);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	free(marks);
	*n = w.len;
	return buf;
}

static void test_depth(void **state)
{
	(void)state;
	for (int c = 0; c < 2; c++) {
		bool cons = c == 1;
		static const unsigned limits[] = {1, 2, 3, 7, ORSP_DER_MAX_DEPTH};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(limits); i++) {
			unsigned d = limits[i];
			size_t n;
			uint8_t *p = make_nested(d, cons, &n);
			if (orsp_der_validate(orsp_slice_make(p, n), d) != ORSP_OK)
				fail_msg("depth %u rejected at limit %u: %s", d, d,
				         orsp_err_detail());
			free(p);

			p = make_nested(d + 1, cons, &n);
			assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), d),
			                 ORSP_E_MALFORMED);
			assert_detail_has("nested", "depth + 1");
			if (d < ORSP_DER_MAX_DEPTH)
				assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), d + 1),
				                 ORSP_OK);
			free(p);
		}
	}
	/* A very deep input is refused without recursion. */
	size_t n;
	uint8_t *p = make_nested(5000, false, &n);
	assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH),
	                 ORSP_E_MALFORMED);
	assert_detail_has("nested", "5000 deep");
	free(p);

	/* The limit itself is checked. */
	uint8_t b[2] = {0x05, 0x00};
	assert_int_equal(orsp_der_validate(orsp_slice_make(b, 2), 0), ORSP_E_USAGE);
	assert_int_equal(orsp_der_validate(orsp_slice_make(b, 2), ORSP_DER_MAX_DEPTH + 1),
	                 ORSP_E_USAGE);
}

/* ------------------------------------------------------------------ expect -------------- */

static void test_expect(void **state)
{
	(void)state;
	uint8_t b[8];
	orsp_tlv t;
	orsp_reader r;
	size_t n = unhex("0401aa3000", b, sizeof(b));

	orsp_reader_init(&r, b, n);
	assert_int_equal(orsp_der_expect(&r, 0x04, &t), ORSP_OK);
	assert_int_equal(t.value.p[0], 0xAA);
	assert_int_equal(orsp_der_expect(&r, 0x31, &t), ORSP_E_MALFORMED);
	assert_detail_has("0x31", "expect names wanted tag");
	assert_detail_has("0x30", "expect names found tag");
	assert_int_equal(r.off, 3);
	assert_int_equal(orsp_der_expect(&r, 0x30, &t), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&r), 0);
	assert_int_equal(orsp_der_expect(&r, 0x30, &t), ORSP_E_MALFORMED);
}

/* orsp_der_skip_extensions: what follows the known fields of an extensible SEQUENCE */
static void test_skip_extensions(void **state)
{
	(void)state;
	static const uint32_t known[] = {0x80, 0x81};
	static const struct {
		const char *hex;
		orsp_err want;
		size_t stop; /* where the reader stands after a refusal */
	} cases[] = {
	    {"", ORSP_OK, 0},
	    {"8500", ORSP_OK, 0},
	    {"0500a2038201ff9f2001aa", ORSP_OK, 0}, /* several, constructed, long-form tag */
	    {"85008001aa", ORSP_E_MALFORMED, 2},    /* a known field after an extension */
	    {"8101ff", ORSP_E_MALFORMED, 0},        /* a known field again */
	    {"a100", ORSP_E_MALFORMED, 0},          /* ... in the other form */
	    {"850285", ORSP_E_MALFORMED, 0},        /* cut */
	    {"8500ff", ORSP_E_MALFORMED, 2},        /* garbage after one */
	    {"858100", ORSP_E_MALFORMED, 0},        /* non-minimal length */
	    {"a2040402aa", ORSP_E_MALFORMED, 0},    /* contents that do not read */
	    {"a280", ORSP_E_MALFORMED, 0},          /* indefinite length */
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		uint8_t b[32];
		orsp_reader r;
		size_t n = unhex(cases[i].hex, b, sizeof(b));
		orsp_reader_init(&r, b, n);
		orsp_err e = orsp_der_skip_extensions(&r, known, ORSP_ARRAY_LEN(known), 4);
		if (e != cases[i].want)
			fail_msg("case %zu (%s): %d", i, cases[i].hex, (int)e);
		if (e == ORSP_OK)
			assert_int_equal(orsp_reader_remaining(&r), 0);
		else
			assert_int_equal(r.off, cases[i].stop);
	}
	/* nesting beyond max_depth */
	{
		uint8_t b[] = {0xA5, 0x04, 0xA0, 0x02, 0xA0, 0x00};
		orsp_reader r;
		orsp_reader_init(&r, b, sizeof(b));
		assert_int_equal(orsp_der_skip_extensions(&r, NULL, 0, 2), ORSP_E_MALFORMED);
		orsp_reader_init(&r, b, sizeof(b));
		assert_int_equal(orsp_der_skip_extensions(&r, NULL, 0, 3), ORSP_OK);
	}
	{
		uint8_t b[] = {0x85, 0x00, 0x81, 0x01, 0xFF};
		orsp_reader r;
		orsp_reader_init(&r, b, sizeof(b));
		assert_int_equal(orsp_der_skip_extensions(&r, known, 2, 4), ORSP_E_MALFORMED);
		assert_detail_has("field 0x81 at offset 2 repeated or out of order", "known field");
	}
}

/* ------------------------------------------------------------------ INTEGER ------------- */

static const struct {
	const char *contents;
	uint64_t v;
} uint_cases[] = {
    {"00", 0},
    {"01", 1},
    {"7f", 127},
    {"0080", 128},
    {"00ff", 255},
    {"0100", 256},
    {"7fff", 32767},
    {"008000", 32768},
    {"7fffffffffffffff", 0x7FFFFFFFFFFFFFFFull},
    {"008000000000000000", 0x8000000000000000ull},
    {"00ffffffffffffffff", 0xFFFFFFFFFFFFFFFFull},
};

static void test_uint(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(uint_cases); i++) {
		uint8_t c[16], buf[16];
		size_t n = unhex(uint_cases[i].contents, c, sizeof(c));
		uint64_t v = 1234;
		assert_int_equal(orsp_der_uint(orsp_slice_make(c, n), &v), ORSP_OK);
		assert_true(v == uint_cases[i].v);

		orsp_writer w;
		orsp_writer_init(&w, buf, n + 2);
		orsp_der_put_uint(&w, 0x02, uint_cases[i].v);
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_int_equal(w.len, n + 2);
		assert_int_equal(buf[0], 0x02);
		assert_int_equal(buf[1], n);
		assert_bytes_equal(buf + 2, c, n);
	}

	static const struct {
		const char *contents, *reason;
	} bad[] = {
	    {"", "no contents"},
	    {"80", "negative"},
	    {"ff", "negative"},
	    {"8000", "negative"},
	    {"0000", "leading 0x00"},
	    {"007f", "leading 0x00"},
	    {"000080", "leading 0x00"},
	    {"010000000000000000", "64 bits"},
	    {"00800000000000000000", "64 bits"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		uint8_t c[16];
		size_t n = unhex(bad[i].contents, c, sizeof(c));
		uint64_t v;
		if (orsp_der_uint(orsp_slice_make(c, n), &v) != ORSP_E_MALFORMED)
			fail_msg("INTEGER %s accepted", bad[i].contents);
		assert_detail_has(bad[i].reason, bad[i].contents);
	}
}

/* BOOLEAN contents: one octet, 00 or FF (X.690 §11.1); BER's other TRUEs are refused. */
static void test_bool(void **state)
{
	static const char *const bad[] = {"", "01", "80", "fe", "7f", "0000", "ffff", "00ff"};
	uint8_t c[4];
	bool v = true;
	(void)state;

	assert_int_equal(orsp_der_bool(orsp_slice_make((const uint8_t *)"\x00", 1), &v), ORSP_OK);
	assert_false(v);
	assert_int_equal(orsp_der_bool(orsp_slice_make((const uint8_t *)"\xFF", 1), &v), ORSP_OK);
	assert_true(v);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		size_t n = unhex(bad[i], c, sizeof(c));
		v = false;
		if (orsp_der_bool(orsp_slice_make(c, n), &v) != ORSP_E_MALFORMED)
			fail_msg("BOOLEAN %s accepted", bad[i]);
		assert_detail_has("BOOLEAN", bad[i]);
		assert_false(v); /* left alone */
	}
}

/* BIT STRING contents as a named-bit list: bit 0 is the first octet's high bit. */
static void test_bits(void **state)
{
	static const struct {
		const char *contents;
		uint64_t first64;
		size_t nbits;
		uint8_t octet; /* orsp_der_bits_octet: bits 0..7, bit b at 0x80 >> b */
	} good[] = {
	    {"00", 0, 0, 0},
	    {"004b", 0x1 << 1 | 0x1 << 4 | 0x1 << 6 | 0x1 << 7, 8, 0x4B},
	    {"0102", 1 << 6, 7, 0x02},
	    {"0770000380", 1 << 1 | 1 << 2 | 1 << 3 | 1 << 22 | 1 << 23 | 1 << 24, 25, 0x70},
	    {"00ffffffffffffffff01", UINT64_MAX, 72, 0xFF}, /* bit 71 set, left out */
	    {"0780", 1, 1, 0x80},
	    {"04f0", 0xF, 4, 0xF0},
	    {"0560", 1 << 1 | 1 << 2, 3, 0x60}, /* PprIds ppr1, ppr2 */
	};
	/* X.690 §11.2.1: a set unused bit ({07 60}: one bit, clear; 0x60 would be bits 1, 2) */
	static const char *const bad[] = {"",     "08ff", "01",   "07",     "0760",
	                                  "07e0", "0101", "04f1", "0780ff", "0700000001"};
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(good); i++) {
		uint8_t c[16];
		size_t n = unhex(good[i].contents, c, sizeof(c)), nbits = 99;
		uint64_t v = 1234;
		uint8_t o = 0x5A;
		assert_int_equal(orsp_der_bits(orsp_slice_make(c, n), &v, &nbits), ORSP_OK);
		assert_true(v == good[i].first64);
		assert_int_equal(nbits, good[i].nbits);
		nbits = 99;
		assert_int_equal(orsp_der_bits_octet(orsp_slice_make(c, n), &o, &nbits), ORSP_OK);
		assert_int_equal(o, good[i].octet);
		assert_int_equal(nbits, good[i].nbits);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		uint8_t c[16];
		size_t n = unhex(bad[i], c, sizeof(c)), nbits;
		uint64_t v;
		uint8_t o = 0x5A;
		if (orsp_der_bits(orsp_slice_make(c, n), &v, &nbits) != ORSP_E_MALFORMED)
			fail_msg("BIT STRING %s accepted", bad[i]);
		assert_detail_has("BIT STRING", bad[i]);
		if (orsp_der_bits_octet(orsp_slice_make(c, n), &o, &nbits) != ORSP_E_MALFORMED)
			fail_msg("BIT STRING %s accepted as an octet", bad[i]);
		assert_detail_has("BIT STRING", bad[i]);
		assert_int_equal(o, 0x5A); /* left alone */
	}
}

/* ------------------------------------------------------------------ begin / end --------- */

static void test_begin_end(void **state)
{
	(void)state;
	/* SEQUENCE { [0] 01 02, [54] { [APPLICATION 73] 200 x 5A, INTEGER 300 } } by hand:
	 * 5F49 81C8 + 200 = 204; 02 02 012C = 4; 208 = 0xD0 -> BF36 81D0 + 208 = 212;
	 * 80 02 0102 = 4; 216 = 0xD8 -> 30 81D8 + 216 = 219. */
	uint8_t expect[219];
	size_t o = unhex("3081d880020102bf3681d05f4981c8", expect, sizeof(expect));
	memset(expect + o, 0x5A, 200);
	o += 200;
	o += unhex("0202012c", expect + o, sizeof(expect) - o);
	assert_int_equal(o, sizeof(expect));

	uint8_t big[200];
	memset(big, 0x5A, sizeof(big));
	static const uint8_t two[] = {1, 2};
	for (size_t cap = sizeof(expect) - 1; cap <= sizeof(expect) + 8; cap++) {
		uint8_t buf[300];
		memset(buf, 0xEE, sizeof(buf));
		orsp_writer w;
		orsp_writer_init(&w, buf, cap);
		orsp_der_mark seq = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, two, sizeof(two));
		orsp_der_mark bpp = orsp_der_begin(&w, 0xBF36);
		orsp_der_put_tlv(&w, 0x5F49, big, sizeof(big));
		orsp_der_put_uint(&w, 0x02, 300);
		orsp_der_end(&w, bpp);
		orsp_der_end(&w, seq);
		if (cap < sizeof(expect)) {
			assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);
			continue;
		}
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_int_equal(w.len, sizeof(expect));
		assert_bytes_equal(buf, expect, sizeof(expect));
		assert_int_equal(buf[sizeof(expect)], 0xEE); /* nothing written past the end */
		assert_int_equal(orsp_der_validate(orsp_slice_make(buf, w.len), ORSP_DER_MAX_DEPTH),
		                 ORSP_OK);
	}

	/* A mark ended twice: refused (the flag), whether the first end widened the header
	 * (200 bytes of contents) or not (5): it took the length octets for contents and
	 * shifted them, with no error, until session 56 */
	for (size_t len = 5; len <= 200; len += 195) {
		uint8_t buf[300];
		orsp_writer tw;
		orsp_writer_init(&tw, buf, sizeof(buf));
		orsp_der_mark t = orsp_der_begin(&tw, 0x30);
		orsp_write_bytes(&tw, big, len);
		orsp_der_end(&tw, t);
		assert_int_equal(orsp_writer_status(&tw), ORSP_OK);
		orsp_der_end(&tw, t);
		assert_int_equal(orsp_writer_status(&tw), ORSP_E_RESOURCE);
	}

	/* Short contents: the reserved header is already right. 30 03 02 01 05. */
	uint8_t small[5], want[5];
	unhex("3003020105", want, sizeof(want));
	orsp_writer w;
	orsp_writer_init(&w, small, sizeof(small));
	orsp_der_mark m = orsp_der_begin(&w, 0x30);
	orsp_der_put_uint(&w, 0x02, 5);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_bytes_equal(small, want, sizeof(want));

	/* Contents of 70000 = 0x011170 bytes: the header grows by three octets. */
	size_t body = 70000;
	uint8_t *huge = malloc(body + 16);
	uint8_t *content = malloc(body);
	assert_non_null(huge);
	assert_non_null(content);
	for (size_t i = 0; i < body; i++)
		content[i] = (uint8_t)(i ^ (i >> 8));
	orsp_writer_init(&w, huge, body + 5);
	m = orsp_der_begin(&w, 0x30);
	orsp_write_bytes(&w, content, body);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(w.len, body + 5);
	unhex("3083011170", want, sizeof(want));
	assert_bytes_equal(huge, want, 5);
	assert_memory_equal(huge + 5, content, body);
	/* One byte short of the final size: overflow, reported once. */
	orsp_writer_init(&w, huge, body + 4);
	m = orsp_der_begin(&w, 0x30);
	orsp_write_bytes(&w, content, body);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);
	free(huge);
	free(content);

	/* A writer that already overflowed stays so; begin/end do nothing harmful. */
	uint8_t tiny[3];
	orsp_writer_init(&w, tiny, sizeof(tiny));
	orsp_write_bytes(&w, "abcd", 4);
	assert_true(w.overflow);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_der_put_uint(&w, 0x02, 1);
	orsp_der_end(&w, m);
	assert_int_equal(w.len, 0);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);

	/* begin() itself does not fit. */
	orsp_writer_init(&w, tiny, 2);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);

	/* A stale mark (ended twice, contents now shorter than the header) is refused. */
	orsp_writer_init(&w, small, sizeof(small));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_end(&w, m);
	w.len = 0;
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);
}

/* ------------------------------------------------------------------ outside vectors ----- */

typedef struct file_list {
	char **paths;
	size_t n, cap;
} file_list;

static void list_der(const char *dir, const char *prefix, file_list *fl)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			list_der(path, prefix, fl);
			continue;
		}
		size_t nl = strlen(de->d_name);
		if (nl < 4 || strcmp(de->d_name + nl - 4, ".der") != 0)
			continue;
		if (prefix && strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (fl->n == fl->cap) {
			fl->cap = fl->cap ? 2 * fl->cap : 16;
			fl->paths = realloc(fl->paths, fl->cap * sizeof(char *));
			assert_non_null(fl->paths);
		}
		fl->paths[fl->n] = strdup(path);
		assert_non_null(fl->paths[fl->n]);
		fl->n++;
	}
	closedir(d);
}

static void free_list(file_list *fl)
{
	for (size_t i = 0; i < fl->n; i++)
		free(fl->paths[i]);
	free(fl->paths);
}

/* SGP.26 certificates: one TLV each; X.509 version is v3 (INTEGER 2, RFC 5280 §4.1). */
static void test_sgp26_certificates(void **state)
{
	(void)state;
	file_list fl = {0};
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_vector_path("sgp26"));
	list_der(dir, "CERT_", &fl);
	assert_true(fl.n >= 41); /* the 41 CERT_*.der files listed in sgp26/README.md */
	for (size_t i = 0; i < fl.n; i++) {
		size_t n;
		uint8_t *p = test_read_file(fl.paths[i], &n);
		orsp_tlv cert, tbs, ver, vi;
		orsp_reader r;
		uint64_t v;
		if (orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH) != ORSP_OK)
			fail_msg("%s: %s", fl.paths[i], orsp_err_detail());
		assert_int_equal(orsp_der_parse_one(orsp_slice_make(p, n), &cert), ORSP_OK);
		assert_int_equal(cert.tag, 0x30);
		orsp_reader_init(&r, cert.value.p, cert.value.len);
		assert_int_equal(orsp_der_expect(&r, 0x30, &tbs), ORSP_OK);
		orsp_reader_init(&r, tbs.value.p, tbs.value.len);
		assert_int_equal(orsp_der_expect(&r, 0xA0, &ver), ORSP_OK);
		assert_int_equal(orsp_der_parse_one(ver.value, &vi), ORSP_OK);
		assert_int_equal(vi.tag, 0x02);
		assert_int_equal(orsp_der_uint(vi.value, &v), ORSP_OK);
		assert_true(v == 2);

		/* Every proper prefix is refused (a stream split at any offset). */
		for (size_t k = 0; k < n; k++) {
			if (orsp_der_validate(orsp_slice_make(p, k), ORSP_DER_MAX_DEPTH) !=
			    ORSP_E_MALFORMED)
				fail_msg("%s: prefix of %zu bytes accepted", fl.paths[i], k);
			assert_int_equal(orsp_der_parse_one(orsp_slice_make(p, k), &cert),
			                 ORSP_E_MALFORMED);
		}
		free(p);
	}
	free_list(&fl);
}

/* pySim's bound profile package: BoundProfilePackage ::= [54] SEQUENCE {
 * initialiseSecureChannelRequest [35], firstSequenceOf87 [0], sequenceOf88 [1],
 * secondSequenceOf87 [2] OPTIONAL, sequenceOf86 [3] } (SGP.22 §2.5.5). */
static void test_bpp(void **state)
{
	(void)state;
	size_t n;
	uint8_t *p = test_read_vector("sgp22/bpp/bpp.der", &n);
	orsp_tlv bpp, t;
	orsp_reader r;

	assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH), ORSP_OK);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(p, n), &bpp), ORSP_OK);
	assert_int_equal(bpp.tag, 0xBF36);
	assert_int_equal(bpp.number, 54);
	assert_true(bpp.constructed);
	orsp_reader_init(&r, bpp.value.p, bpp.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &t), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA0, &t), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA1, &t), ORSP_OK);
	assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
	if (t.tag == 0xA2)
		assert_int_equal(orsp_der_expect(&r, 0xA3, &t), ORSP_OK);
	else
		assert_int_equal(t.tag, 0xA3);
	assert_int_equal(orsp_reader_remaining(&r), 0);

	/* A one-bit change in the outer length breaks it. */
	p[3] ^= 1;
	assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH),
	                 ORSP_E_MALFORMED);
	free(p);
}

/* Profile packages are a sequence of ProfileElement TLVs with no outer wrapper: header
 * [0] first, end [10] last (PEDefinitions, tests/vectors/asn1/saip). */
static void check_profile(const char *path)
{
	size_t n;
	uint8_t *p = test_read_file(path, &n);
	orsp_reader r;
	orsp_tlv t;
	size_t count = 0;
	uint32_t first = 0, last = 0;

	orsp_reader_init(&r, p, n);
	while (orsp_reader_remaining(&r) > 0) {
		if (orsp_der_read(&r, &t) != ORSP_OK)
			fail_msg("%s: %s", path, orsp_err_detail());
		if (orsp_der_validate(t.raw, ORSP_DER_MAX_DEPTH) != ORSP_OK)
			fail_msg("%s: PE %zu: %s", path, count, orsp_err_detail());
		if (count == 0)
			first = t.tag;
		last = t.tag;
		count++;
	}
	if (count < 2 || first != 0xA0 || last != 0xAA)
		fail_msg("%s: %zu PEs, first 0x%X, last 0x%X", path, count, (unsigned)first,
		         (unsigned)last);
	/* As a whole it is several TLVs, so not one DER value. */
	assert_int_equal(orsp_der_validate(orsp_slice_make(p, n), ORSP_DER_MAX_DEPTH),
	                 ORSP_E_MALFORMED);
	assert_detail_has("trailing", path);
	free(p);
}

static void test_saip_profiles(void **state)
{
	(void)state;
	file_list fl = {0};
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", test_vector_path("saip"));
	list_der(dir, NULL, &fl);
	assert_true(fl.n >= 44); /* 26 GSMA TS.48 + 18 pySim unique-ICCID profiles */
	for (size_t i = 0; i < fl.n; i++)
		check_profile(fl.paths[i]);
	free_list(&fl);
	check_profile(test_vector_path("sgp22/bpp/expected_upp.der"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_length_boundaries),
	    cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_bad_headers),
	    cmocka_unit_test(test_good_boundaries),
	    cmocka_unit_test(test_trailing_and_empty),
	    cmocka_unit_test(test_error_offsets),
	    cmocka_unit_test(test_validate_count),
	    cmocka_unit_test(test_validate_nested_errors),
	    cmocka_unit_test(test_depth),
	    cmocka_unit_test(test_expect),
	    cmocka_unit_test(test_skip_extensions),
	    cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_bool),
	    cmocka_unit_test(test_bits),
	    cmocka_unit_test(test_begin_end),
	    cmocka_unit_test(test_sgp26_certificates),
	    cmocka_unit_test(test_bpp),
	    cmocka_unit_test(test_saip_profiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
