/* core: hex, base64, bounded reader/writer, secrets, constant-time compare, errors, logging.
 *
 * Hex and base64 vectors are RFC 4648 §10. Other expectations follow from the contracts in
 * include/openrsp/core.h (big-endian byte order, the meaning of orsp_ct_eq, ...).
 */
#include "testutil.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ hex ----------------- */

/* RFC 4648 §10: BASE16 test vectors (upper case, as published). */
static const struct {
	const char *plain, *b16, *b64;
} rfc4648[] = {
    {"", "", ""},
    {"f", "66", "Zg=="},
    {"fo", "666F", "Zm8="},
    {"foo", "666F6F", "Zm9v"},
    {"foob", "666F6F62", "Zm9vYg=="},
    {"fooba", "666F6F6261", "Zm9vYmE="},
    {"foobar", "666F6F626172", "Zm9vYmFy"},
};

/* orsp_name_set_parse: names to bits, each once, case-insensitive; anything else refused
 * with an empty set. */
static void test_name_set(void **state)
{
	static const char *const names[] = {"ppr1", "ppr2", "ppr3"};
	static const char *const bad[] = {"",      "ppr1,",     ",ppr1", "ppr4",      "ppr1,ppr1",
	                                  "ppr 1", "ppr1;ppr2", "ppr",   "ppr1,,ppr2"};
	uint32_t set = 7;
	(void)state;
	assert_int_equal(orsp_name_set_parse("ppr1", names, 3, &set), ORSP_OK);
	assert_int_equal(set, 1);
	assert_int_equal(orsp_name_set_parse("PPR3,ppr1", names, 3, &set), ORSP_OK);
	assert_int_equal(set, 5);
	assert_int_equal(orsp_name_set_parse("ppr1,ppr2,ppr3", names, 3, &set), ORSP_OK);
	assert_int_equal(set, 7);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		set = 7;
		assert_int_equal(orsp_name_set_parse(bad[i], names, 3, &set), ORSP_E_USAGE);
		assert_int_equal(set, 0);
	}
	assert_int_equal(orsp_name_set_parse(NULL, names, 3, &set), ORSP_E_USAGE);
	assert_int_equal(orsp_name_set_parse("ppr1", names, 33, &set), ORSP_E_USAGE);
	orsp_err_clear();
}

/* RFC 3629: shortest form only, no surrogates, nothing past U+10FFFF, nothing cut. */
static void test_utf8_seq(void **state)
{
	static const struct {
		const char *bytes;
		size_t len, want;
		uint32_t cp;
	} cases[] = {
	    {"A", 1, 1, 0x41},
	    {"\xC3\xA9", 2, 2, 0xE9},
	    {"\xE2\x82\xAC", 3, 3, 0x20AC},
	    {"\xF0\x9F\x98\x80", 4, 4, 0x1F600},
	    {"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF},
	    {"\xC2\x9B", 2, 2, 0x9B},      /* C1: well-formed; callers judge controls */
	    {"\xC0\xAF", 2, 0, 0},         /* overlong '/' */
	    {"\xE0\x80\xAF", 3, 0, 0},     /* overlong */
	    {"\xED\xA0\x80", 3, 0, 0},     /* surrogate D800 */
	    {"\xF4\x90\x80\x80", 4, 0, 0}, /* past U+10FFFF */
	    {"\xFF", 1, 0, 0},
	    {"\x80", 1, 0, 0},         /* a continuation byte first */
	    {"\xE2\x82\xAC", 2, 0, 0}, /* cut by n */
	    {"\xE2\x28\xAC", 3, 0, 0}, /* not a continuation byte */
	    {"", 0, 0, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0xFFFFFFFF;
		size_t k = orsp_utf8_seq((const uint8_t *)cases[i].bytes, cases[i].len, &cp);
		assert_int_equal(k, cases[i].want);
		if (k)
			assert_int_equal(cp, cases[i].cp);
	}
}

/* C0, DEL and C1 are controls, and so are the format characters that reorder or hide text:
 * each class at its ends; everything around them is text. */
static void test_utf8_is_control(void **state)
{
	static const uint32_t controls[] = {
	    0x00,    0x09,    0x0A,    0x1B,   0x1F,   0x7F, 0x80, 0x9B, 0x9F, 0x061C, /* ALM */
	    0x180E,                                    /* Mongolian vowel separator */
	    0x200B,                                    /* zero width space */
	    0x200E,  0x200F,                           /* LRM, RLM */
	    0x2028,  0x2029,                           /* line, paragraph separator */
	    0x202A,  0x202B,  0x202C,  0x202D, 0x202E, /* LRE RLE PDF LRO RLO */
	    0x2060,  0x2064,                           /* word joiner, invisible plus */
	    0x2066,  0x2067,  0x2068,  0x2069,         /* LRI RLI FSI PDI */
	    0x206A,  0x206F,                           /* deprecated format characters */
	    0xFEFF,                                    /* BOM */
	    0xFFF9,  0xFFFB,                           /* interlinear annotation */
	    0xE0000, 0xE0001, 0xE007F,                 /* tags */
	};
	static const uint32_t text[] = {0x20,    0x41,     0x7E,   0xA0,   0xE9,   0x061B, 0x061D,
	                                0x180D,  0x180F,   0x200A, 0x2010, 0x2027, 0x202F, 0x205F,
	                                0x2070,  0xFEFE,   0xFF01, 0xFFF8, 0xFFFC, 0xFFFD, 0x1F600,
	                                0xE0080, 0x10FFFF, 0x200C, 0x200D}; /* the joiners */
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(controls); i++)
		if (!orsp_utf8_is_control(controls[i]))
			fail_msg("U+%04X is a control", (unsigned)controls[i]);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(text); i++)
		if (orsp_utf8_is_control(text[i]))
			fail_msg("U+%04X is not a control", (unsigned)text[i]);
}

/* Text made safe to print: a right-to-left override (which would show "exe.txt" for
 * "txt.exe"), isolates, marks, zero-width characters, separators and a BOM each become one
 * '?', as controls do; other UTF-8 stays whole. */
/* Text only: the characters counted, -1 for the first byte of no UTF-8 sequence, -2 for the
 * first control, whichever comes first. */
static void test_utf8_text_chars(void **state)
{
	(void)state;
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"", 0), 0);
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"ab\xC3\xA9\xE2\x82\xAC", 7), 4);
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"a\x1B[31m", 6), -2);
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"a\xC2\x9B", 3), -2); /* U+009B */
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"a\xE2\x80\xAE", 4), -2); /* RLO */
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"a\xC0\xAF", 3), -1); /* overlong */
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"a\xC3", 2), -1);     /* cut */
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"\xFF\x1B", 2), -1); /* first */
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"\x1B\xFF", 2), -2);
	assert_int_equal(orsp_utf8_text_chars((const uint8_t *)"a\0b", 3), -2); /* NUL */
}

/* A UTF8String's characters as SGP.22 sizes it: controls count, a NUL or a byte of no UTF-8
 * does not decode. */
static void test_utf8_chars(void **state)
{
	(void)state;
	assert_int_equal(orsp_utf8_chars(NULL, 0), 0);
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"ab\xC3\xA9\xE2\x82\xAC", 7), 4);
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"a\x1B[31m", 6), 6);
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"\xF0\x9F\x93\xB6", 4), 1);
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"a\0b", 3), -1);
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"a\xC3", 2), -1);
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"\xED\xA0\x80", 3), -1); /* surrogate */
	assert_int_equal(orsp_utf8_chars((const uint8_t *)"\xFF", 1), -1);
	/* and within a SIZE in characters: é is 2 bytes, one character */
	assert_true(orsp_utf8_string_ok((const uint8_t *)"\xC3\xA9\xC3\xA9", 4, 2));
	assert_false(orsp_utf8_string_ok((const uint8_t *)"\xC3\xA9\xC3\xA9", 4, 1));
	assert_false(orsp_utf8_string_ok((const uint8_t *)"a\0", 2, 5));
	assert_true(orsp_utf8_string_ok(NULL, 0, 0));
}

/* A cut to fit never ends inside a character: "é" is C3 A9, "€" E2 82 AC. */
static void test_utf8_cut(void **state)
{
	static const char s[] = "ab\xC3\xA9\xE2\x82\xAC"; /* a b é € : 7 bytes */
	(void)state;
	assert_int_equal(orsp_utf8_cut(s, 7, 7), 7);
	assert_int_equal(orsp_utf8_cut(s, 7, 100), 7);
	assert_int_equal(orsp_utf8_cut(s, 7, 6), 4);
	assert_int_equal(orsp_utf8_cut(s, 7, 5), 4);
	assert_int_equal(orsp_utf8_cut(s, 7, 4), 4);
	assert_int_equal(orsp_utf8_cut(s, 7, 3), 2);
	assert_int_equal(orsp_utf8_cut(s, 7, 2), 2);
	assert_int_equal(orsp_utf8_cut(s, 7, 0), 0);
	assert_int_equal(orsp_utf8_cut(s + 2, 5, 1), 0);
	assert_int_equal(orsp_utf8_cut("", 0, 0), 0);
}

static void test_utf8_printable(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
	    {"invoice\u202Etxt.exe", "invoice?txt.exe"},    /* RLO */
	    {"a\u202Ab\u202Bc\u202Cd\u202De", "a?b?c?d?e"}, /* LRE RLE PDF LRO */
	    {"\u2066x\u2067y\u2068z\u2069", "?x?y?z?"},     /* isolates */
	    {"p\u200Bq\u200Et\u200Fu", "p?q?t?u"},          /* zero width space, marks */
	    {"\u0645\u06CC\u200C\u062E\U0001F469\u200D\U0001F4BB",
	     "\u0645\u06CC\u200C\u062E\U0001F469\u200D\U0001F4BB"}, /* joiners are text */
	    {"one\u2028two\u2029three", "one?two?three"},           /* separators */
	    {"\uFEFFbom", "?bom"},                                  /* BOM */
	    {"\u061Calm\u2060wj", "?alm?wj"},                       /* ALM, word joiner */
	    {"tag\U000E0041\U000E007F", "tag??"},                   /* tags */
	    {"Op\u00E9ra \u0627\u0644 \U0001F600", "Op\u00E9ra \u0627\u0644 \U0001F600"}, /* text */
	    {"\x1B[2J\xC2\x9B", "?[2J?"}, /* controls as before */
	};
	char out[64];
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		orsp_utf8_printable((const uint8_t *)t[i].in, strlen(t[i].in), out, sizeof(out));
		if (strcmp(out, t[i].out))
			fail_msg("case %zu: \"%s\", expected \"%s\"", i, out, t[i].out);
	}
}

/* orsp_ascii_printable: every byte outside 0x20..0x7E, UTF-8 and DEL included, one '?'. */
static void test_ascii_printable(void **state)
{
	char s[] = "a\x1B[2J\xC2\x9B\xE2\x80\xAE~\x7F\x01 z";
	(void)state;
	orsp_ascii_printable(s);
	assert_string_equal(s, "a?[2J?????~?? z");
}

/* ------------------------------------------------------------------ host names ---------- */

/* orsp_fqdn_check: every rule on both sides, with the detail that names the problem. */
static void test_fqdn_check(void **state)
{
	static const char *const good[] = {
	    "smdp.example.com", "a.b",          "A.B",
	    "SMDP.GSMA.COM",    "a-b.c0",       "1.2.3.com",
	    "smdp.example.1a",  "3com.example", "0a.b",
	    "a--b.example",     "x.y.z.w.v.u",  "rsp.truphone.com",
	};
	static const struct {
		const char *name, *detail;
	} bad[] = {
	    {"", "empty"},
	    {"smdp", "one label only"},
	    {"localhost", "one label only"},
	    {"42", "one label only"},
	    {"1.2.3.4", "last label is all digits"},
	    {"192.0.2.1", "last label is all digits"},
	    {"smdp.example.123", "last label is all digits"},
	    {"a.0", "last label is all digits"},
	    {"a..b", "empty label at character 3"},
	    {".a.b", "empty label at character 1"},
	    {"a.b.", "ends with a dot"},
	    {".", "empty label at character 1"},
	    {"-a.b", "label 1 starts with '-'"},
	    {"a-.b", "label 1 ends with '-'"},
	    {"a.-b", "label 2 starts with '-'"},
	    {"a.b-", "label 2 ends with '-'"},
	    {"-.b", "label 1 starts with '-'"},
	    {"a_b.c", "character 2 is not"},
	    {"a b.c", "character 2 is not"},
	    {"a.b:443", "character 4 is not"},
	    {"*.example.com", "character 1 is not"},
	    {"https://a.b", "character 6 is not"},
	    {"xn--\xc3\xa9.example", "character 5 is not"},
	    {"a\x01.b", "character 2 is not"},
	};
	char name[ORSP_FQDN_MAX + 2];
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(good); i++)
		if (orsp_fqdn_check(good[i], strlen(good[i])) != ORSP_OK)
			fail_msg("%s refused: %s", good[i], orsp_err_detail());
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		orsp_err_clear();
		if (orsp_fqdn_check(bad[i].name, strlen(bad[i].name)) != ORSP_E_MALFORMED ||
		    !strstr(orsp_err_detail(), bad[i].detail))
			fail_msg("\"%s\": '%s', expected '%s'", bad[i].name, orsp_err_detail(),
			         bad[i].detail);
	}
	/* n is the length: a NUL inside it is a character like any other, and what follows
	 * n is not read */
	assert_int_equal(orsp_fqdn_check("a.b\0c", 5), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "character 4 is not"));
	assert_int_equal(orsp_fqdn_check("a.b..", 3), ORSP_OK);
	assert_int_equal(orsp_fqdn_check("a.bc", 3), ORSP_OK);
	assert_int_equal(orsp_fqdn_check(NULL, 0), ORSP_E_USAGE);

	/* labels of 63 and 64 characters, first and last */
	memset(name, 'a', 63);
	memcpy(name + 63, ".com", 5);
	assert_int_equal(orsp_fqdn_check(name, strlen(name)), ORSP_OK);
	memset(name, 'a', 64);
	memcpy(name + 64, ".com", 5);
	assert_int_equal(orsp_fqdn_check(name, strlen(name)), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "label 1 has 64 characters, more than 63"));
	memcpy(name, "ex.", 3);
	memset(name + 3, 'b', 63);
	name[66] = '\0';
	assert_int_equal(orsp_fqdn_check(name, strlen(name)), ORSP_OK);
	name[66] = 'b';
	name[67] = '\0';
	assert_int_equal(orsp_fqdn_check(name, strlen(name)), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "label 2 has 64 characters"));

	/* 253 characters (labels of 63, 63, 63 and 61) and 254 */
	memset(name, 'a', ORSP_FQDN_MAX + 1);
	name[63] = name[127] = name[191] = '.';
	name[ORSP_FQDN_MAX] = '\0';
	assert_int_equal(orsp_fqdn_check(name, ORSP_FQDN_MAX), ORSP_OK);
	name[ORSP_FQDN_MAX] = 'a';
	name[ORSP_FQDN_MAX + 1] = '\0';
	assert_int_equal(orsp_fqdn_check(name, ORSP_FQDN_MAX + 1), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "254 characters, more than 253"));
}

static void test_hex_rfc4648(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(rfc4648); i++) {
		const char *plain = rfc4648[i].plain;
		size_t n = strlen(plain);
		uint8_t out[16];
		size_t got = 99;
		char enc[32];

		/* Upper case (as published) is accepted ... */
		assert_int_equal(orsp_hex_decode(rfc4648[i].b16, out, sizeof(out), &got), ORSP_OK);
		assert_int_equal(got, n);
		assert_memory_equal(out, plain, n);
		assert_int_equal(orsp_hex_decode_exact(rfc4648[i].b16, out, n), ORSP_OK);
		assert_memory_equal(out, plain, n);

		/* ... and the encoder writes the same digits in lower case. */
		assert_int_equal(orsp_hex_encode((const uint8_t *)plain, n, enc, sizeof(enc)),
		                 ORSP_OK);
		assert_int_equal(strcasecmp(enc, rfc4648[i].b16), 0);
		for (const char *c = enc; *c; c++)
			assert_false(*c >= 'A' && *c <= 'F');
	}

	/* Mixed case decodes the same. */
	uint8_t a[3], b[3];
	size_t n;
	assert_int_equal(orsp_hex_decode("aBcDeF", a, sizeof(a), &n), ORSP_OK);
	assert_int_equal(orsp_hex_decode("ABCDEF", b, sizeof(b), &n), ORSP_OK);
	assert_memory_equal(a, b, 3);
	assert_int_equal(a[0], 0xAB);
}

/* orsp_hex_digit computes without branches: every byte against the plain definition. */
static void test_hex_digit_all(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'   ? c - '0'
		           : c >= 'a' && c <= 'f' ? c - 'a' + 10
		           : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                                  : -1;
		if (orsp_hex_digit((char)c) != want)
			fail_msg("orsp_hex_digit(%#x) = %d, want %d", c, orsp_hex_digit((char)c),
			         want);
	}
}

static void test_hex_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *hex, *reason;
	} bad[] = {
	    {"6", "odd"},
	    {"666", "odd"},
	    {"66 6F", "odd"},
	    {"6g", "position 1"},
	    {"g6", "position 0"},
	    {"66zz", "position 2"},
	    {"0x66", "position 1"},
	    {"66 6", "position 2"},
	    {" 666", "position 0"},
	    {"666\n", "position 3"},
	    {"66-6F-", "position 2"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		uint8_t out[8];
		size_t n;
		orsp_err_clear();
		if (orsp_hex_decode(bad[i].hex, out, sizeof(out), &n) != ORSP_E_MALFORMED)
			fail_msg("hex \"%s\" accepted", bad[i].hex);
		if (!strstr(orsp_err_detail(), bad[i].reason))
			fail_msg("hex \"%s\": detail \"%s\" lacks \"%s\"", bad[i].hex,
			         orsp_err_detail(), bad[i].reason);
	}

	/* Exact length: one byte more or less is refused. */
	uint8_t out[4] = {0xEE, 0xEE, 0xEE, 0xEE};
	assert_int_equal(orsp_hex_decode_exact("666f6f", out, 2), ORSP_E_MALFORMED);
	assert_int_equal(orsp_hex_decode_exact("666f", out, 3), ORSP_E_MALFORMED);
	assert_int_equal(orsp_hex_decode_exact("", out, 1), ORSP_E_MALFORMED);
	assert_int_equal(orsp_hex_decode_exact("", out, 0), ORSP_OK);
	assert_int_equal(orsp_hex_decode_exact(NULL, out, 1), ORSP_E_USAGE);

	/* A value longer than the output is refused without writing past it. */
	size_t n = 0;
	assert_int_not_equal(orsp_hex_decode("666f6f", out, 2, &n), ORSP_OK);
	assert_int_equal(out[2], 0xEE);
	assert_int_equal(orsp_hex_decode(NULL, out, 2, &n), ORSP_E_USAGE);

	/* Encoding needs 2n + 1 bytes. */
	char enc[7];
	static const uint8_t foo[] = {'f', 'o', 'o'};
	assert_int_equal(orsp_hex_encode(foo, 3, enc, 6), ORSP_E_RESOURCE);
	assert_int_equal(orsp_hex_encode(foo, 3, enc, 7), ORSP_OK);
	assert_string_equal(enc, "666f6f");
}

/* ------------------------------------------------------------------ base64 -------------- */

static void test_base64_rfc4648(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(rfc4648); i++) {
		const char *plain = rfc4648[i].plain;
		const char *b64 = rfc4648[i].b64;
		size_t n = strlen(plain);
		char enc[32];
		uint8_t dec[16];
		size_t got = 99;

		assert_int_equal(orsp_base64_encoded_len(n), strlen(b64) + 1);
		assert_int_equal(
		    orsp_base64_encode((const uint8_t *)plain, n, enc, strlen(b64) + 1), ORSP_OK);
		assert_string_equal(enc, b64);
		/* One byte short of the NUL. */
		assert_int_equal(orsp_base64_encode((const uint8_t *)plain, n, enc, strlen(b64)),
		                 ORSP_E_RESOURCE);

		assert_int_equal(orsp_base64_decode(b64, strlen(b64), dec, sizeof(dec), &got),
		                 ORSP_OK);
		assert_int_equal(got, n);
		assert_memory_equal(dec, plain, n);
		/* Exactly n bytes of output room is enough. */
		assert_int_equal(orsp_base64_decode(b64, strlen(b64), dec, n, &got), ORSP_OK);
		assert_int_equal(got, n);
		if (n > 0)
			assert_int_equal(orsp_base64_decode(b64, strlen(b64), dec, n - 1, &got),
			                 ORSP_E_RESOURCE);
	}
}

static void test_base64_rejects(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    /* bad padding / length */
	    "Zg=",
	    "Zg",
	    "Z",
	    "Z===",
	    "====",
	    "=Zg=",
	    "Zg==Zg==",
	    "Zm=v",
	    "Zm9v=",
	    "Zm9vY===",
	    /* characters outside the standard alphabet (base64url, punctuation, 8-bit) */
	    "Zm9-",
	    "Zm9_",
	    "Zm.v",
	    "Zm9\x80",
	    "Zm9\x01",
	    "Zm*v",
	    /* non-canonical: bits under the padding are not zero (RFC 4648 §3.5) */
	    "Zh==",
	    "Zv==",
	    "Zm9=",
	    "Zm9vYh==",
	    "Zm9vYmF=",
	    /* whitespace anywhere */
	    "Zm9v\n",
	    "Zm9v\r\n",
	    " Zm9",
	    "Zm9 ",
	    "Zm\t9",
	    "Zm9vYmFy\n",
	    "Zm9v Zm9v",
	    "Zm9\n",
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		uint8_t out[16];
		size_t n;
		if (orsp_base64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &n) !=
		    ORSP_E_MALFORMED)
			fail_msg("base64 \"%s\" accepted", bad[i]);
	}
	/* An embedded NUL is a bad character too. */
	uint8_t out[4];
	size_t n;
	assert_int_equal(orsp_base64_decode("Zm\0v", 4, out, sizeof(out), &n), ORSP_E_MALFORMED);
	/* The canonical partners of the non-canonical inputs above are fine. */
	assert_int_equal(orsp_base64_decode("Zg==", 4, out, sizeof(out), &n), ORSP_OK);
	assert_int_equal(orsp_base64_decode("Zm8=", 4, out, sizeof(out), &n), ORSP_OK);
}

/* Every byte value at every position of a group: accepted exactly when it is in the
 * alphabet, with the alphabet's index as its value; and round trips of every length up to
 * 300 bytes through encode and decode. */
static void test_base64_every_byte(void **state)
{
	(void)state;
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t out[8], in[300], back[300];
	char enc[404];
	size_t n;

	for (int pos = 0; pos < 4; pos++) {
		for (int c = 0; c < 256; c++) {
			char g[8] = "AAAAAAAA";
			const char *hit = c ? memchr(alphabet, c, 64) : NULL;
			g[4 + pos] = (char)c; /* in the second group, the first one is fine */
			orsp_err e = orsp_base64_decode(g, 8, out, sizeof(out), &n);
			if (c == '=' && pos == 3) {
				/* padding: "AAA=" is one byte short */
				assert_int_equal(e, ORSP_OK);
				assert_int_equal(n, 5);
				continue;
			}
			if (!hit) {
				if (e != ORSP_E_MALFORMED)
					fail_msg("byte 0x%02x at position %d accepted", c, pos);
				continue;
			}
			assert_int_equal(e, ORSP_OK);
			assert_int_equal(n, 6);
			uint32_t v = (uint32_t)out[3] << 16 | (uint32_t)out[4] << 8 | out[5];
			assert_int_equal((v >> (18 - 6 * pos)) & 63, (uint32_t)(hit - alphabet));
		}
	}
	for (size_t len = 0; len <= sizeof(in); len++) {
		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)(i * 167 + len * 31 + 7);
		assert_int_equal(orsp_base64_encode(in, len, enc, sizeof(enc)), ORSP_OK);
		assert_int_equal(orsp_base64_decode(enc, strlen(enc), back, len, &n), ORSP_OK);
		assert_int_equal(n, len);
		assert_memory_equal(back, in, len);
	}
}

/* ------------------------------------------------------------------ reader / writer ----- */

static void test_reader(void **state)
{
	(void)state;
	static const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
	orsp_reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	orsp_slice s;

	orsp_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(orsp_reader_remaining(&r), 9);
	assert_int_equal(orsp_read_u8(&r, &u8), ORSP_OK);
	assert_int_equal(u8, 0x01);
	assert_int_equal(orsp_read_be16(&r, &u16), ORSP_OK);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(orsp_read_be32(&r, &u32), ORSP_OK);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(orsp_reader_remaining(&r), 2);

	/* Truncation: a read that does not fit fails and consumes nothing. */
	assert_int_equal(orsp_read_be32(&r, &u32), ORSP_E_MALFORMED);
	assert_int_equal(r.off, 7);
	assert_int_equal(orsp_read_slice(&r, 3, &s), ORSP_E_MALFORMED);
	assert_int_equal(orsp_read_slice(&r, SIZE_MAX, &s), ORSP_E_MALFORMED);
	assert_int_equal(r.off, 7);
	uint8_t canary[4] = {0xEE, 0xEE, 0xEE, 0xEE};
	assert_int_equal(orsp_read_bytes(&r, canary, 3), ORSP_E_MALFORMED);
	assert_int_equal(canary[0], 0xEE);

	/* Borrowing: the slice points into the buffer. */
	assert_int_equal(orsp_read_slice(&r, 2, &s), ORSP_OK);
	assert_ptr_equal(s.p, buf + 7);
	assert_int_equal(s.len, 2);
	assert_int_equal(orsp_reader_remaining(&r), 0);
	assert_int_equal(orsp_read_u8(&r, &u8), ORSP_E_MALFORMED);
	assert_int_equal(orsp_read_be16(&r, &u16), ORSP_E_MALFORMED);
	assert_int_equal(orsp_read_slice(&r, 0, &s), ORSP_OK);

	/* Each truncation point of a be16 / be32. */
	for (size_t len = 0; len < 4; len++) {
		orsp_reader_init(&r, buf, len);
		assert_int_equal(orsp_read_be32(&r, &u32), ORSP_E_MALFORMED);
		assert_int_equal(r.off, 0);
		if (len < 2)
			assert_int_equal(orsp_read_be16(&r, &u16), ORSP_E_MALFORMED);
	}

	/* A NULL buffer reads as empty. */
	orsp_reader_init(&r, NULL, 5);
	assert_int_equal(orsp_reader_remaining(&r), 0);
	assert_int_equal(orsp_read_u8(&r, &u8), ORSP_E_MALFORMED);
}

static void test_writer(void **state)
{
	(void)state;
	uint8_t buf[8];
	orsp_writer w;
	static const uint8_t be[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};

	memset(buf, 0xEE, sizeof(buf));
	orsp_writer_init(&w, buf, 7);
	orsp_write_u8(&w, 0x01);
	orsp_write_be16(&w, 0x0203);
	orsp_write_be32(&w, 0x04050607);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK); /* exact fit */
	assert_int_equal(w.len, 7);
	assert_bytes_equal(buf, be, 7);
	assert_int_equal(buf[7], 0xEE);

	/* Overflow is sticky: once a write did not fit, later writes that would fit are
	 * dropped too, so the output never has a hole in it. */
	memset(buf, 0xEE, sizeof(buf));
	orsp_writer_init(&w, buf, 4);
	orsp_write_be16(&w, 0x0102);
	orsp_write_u8(&w, 0x03);
	orsp_write_be16(&w, 0x0405); /* needs 2, 1 left */
	assert_true(w.overflow);
	assert_int_equal(w.len, 3);
	orsp_write_u8(&w, 0x06); /* would fit, but the writer already failed */
	orsp_write_bytes(&w, "", 0);
	assert_int_equal(w.len, 3);
	assert_int_equal(buf[3], 0xEE);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);

	/* No buffer: everything but an empty write overflows. */
	orsp_writer_init(&w, NULL, 16);
	orsp_write_bytes(&w, "", 0);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_write_u8(&w, 1);
	assert_int_equal(orsp_writer_status(&w), ORSP_E_RESOURCE);

	/* be48 helpers. */
	uint8_t six[6];
	static const uint8_t want6[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
	orsp_put_be48(six, 0x010203040506ull);
	assert_bytes_equal(six, want6, 6);
	assert_true(orsp_get_be48(want6) == 0x010203040506ull);
}

/* ------------------------------------------------------------------ secrets ------------- */

static void test_ct_eq(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 37 + 11);

	/* Pinned meaning: 1 when equal, 0 when not (never "0 on success" like memcmp). */
	assert_int_equal(orsp_ct_eq(a, b, sizeof(a)), 1);
	assert_int_equal(orsp_ct_eq(a, a, sizeof(a)), 1);
	static const size_t where[] = {0, 1, 15, 16, 30, 31};
	static const uint8_t flips[] = {0x01, 0x80, 0xFF};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(where); i++) {
		for (size_t f = 0; f < ORSP_ARRAY_LEN(flips); f++) {
			b[where[i]] ^= flips[f];
			assert_int_equal(orsp_ct_eq(a, b, sizeof(a)), 0);
			assert_int_equal(orsp_ct_eq(b, a, sizeof(a)), 0);
			b[where[i]] ^= flips[f];
		}
	}
	assert_int_equal(orsp_ct_eq(a, b, sizeof(a)), 1);
	/* Only the first n bytes count; n = 0 compares nothing and is "equal". */
	b[31] ^= 1;
	assert_int_equal(orsp_ct_eq(a, b, 31), 1);
	b[0] ^= 1;
	assert_int_equal(orsp_ct_eq(a, b, 0), 1);
	assert_int_equal(orsp_ct_eq(NULL, NULL, 0), 1);
}

static void test_wipe(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0xAA, sizeof(buf));
	orsp_wipe(buf + 16, 32);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i >= 16 && i < 48 ? 0x00 : 0xAA);
	orsp_wipe(NULL, 10);
	orsp_wipe(buf, 0);
	assert_int_equal(buf[0], 0xAA);

	struct {
		uint32_t x;
		uint8_t k[16];
	} obj;
	memset(&obj, 0x55, sizeof(obj));
	ORSP_WIPE_OBJ(obj);
	for (size_t i = 0; i < sizeof(obj.k); i++)
		assert_int_equal(obj.k[i], 0);
	assert_int_equal(obj.x, 0);
}

/* The wiping allocator keeps what realloc keeps (the wiping itself: tests/cli/heapscan.sh). */
static void test_wipe_alloc(void **state)
{
	(void)state;
	uint8_t *p = orsp_wipe_malloc(40);
	assert_non_null(p);
	for (size_t i = 0; i < 40; i++)
		p[i] = (uint8_t)i;
	uint8_t *q = orsp_wipe_realloc(p, 4000); /* grows: the 40 bytes kept */
	assert_non_null(q);
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(q[i], i);
	q[3999] = 0x77;
	p = orsp_wipe_realloc(q, 8); /* shrinks: the first 8 kept */
	assert_non_null(p);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(p[i], i);
	q = orsp_wipe_realloc(p, 0); /* a block of its own, never NULL for a live p */
	assert_non_null(q);
	orsp_wipe_free(q);
	orsp_wipe_free(NULL);
	p = orsp_wipe_realloc(NULL, 16); /* as malloc */
	assert_non_null(p);
	orsp_wipe_free(p);
	uint32_t *z = orsp_wipe_calloc(8, sizeof(*z));
	assert_non_null(z);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(z[i], 0);
	orsp_wipe_free(z);
	/* any block of malloc */
	p = malloc(24);
	assert_non_null(p);
	memset(p, 0x5A, 24);
	q = orsp_wipe_realloc(p, 25);
	assert_non_null(q);
	assert_int_equal(q[23], 0x5A);
	orsp_wipe_free(q);
}

static void assert_secret_empty(const orsp_secret *s)
{
	assert_int_equal(s->len, 0);
	for (size_t i = 0; i < ORSP_SECRET_MAX; i++)
		assert_int_equal(s->v[i], 0);
}

static void test_secret(void **state)
{
	(void)state;
	uint8_t key[ORSP_SECRET_MAX + 1];
	orsp_secret s;
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);

	assert_int_equal(orsp_secret_set(&s, key, ORSP_SECRET_MAX), ORSP_OK);
	assert_int_equal(s.len, ORSP_SECRET_MAX);
	assert_memory_equal(s.v, key, ORSP_SECRET_MAX);
	/* One byte over the limit: refused, and the old value does not survive. */
	assert_int_equal(orsp_secret_set(&s, key, ORSP_SECRET_MAX + 1), ORSP_E_USAGE);
	assert_secret_empty(&s);
	assert_int_equal(orsp_secret_set(&s, key, 0), ORSP_OK);
	assert_int_equal(s.len, 0);
	/* From a part of its own value: that part, the rest wiped (not zeros from wiping
	 * first). */
	assert_int_equal(orsp_secret_set(&s, key, 8), ORSP_OK);
	assert_int_equal(orsp_secret_set(&s, s.v + 2, 4), ORSP_OK);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.v, key + 2, 4);
	for (size_t i = 4; i < ORSP_SECRET_MAX; i++)
		assert_int_equal(s.v[i], 0);

	/* From hex: 64 bytes fit, 65 do not; a bad digit leaves nothing behind. */
	char hex[2 * (ORSP_SECRET_MAX + 1) + 1];
	assert_int_equal(orsp_hex_encode(key, ORSP_SECRET_MAX + 1, hex, sizeof(hex)), ORSP_OK);
	assert_int_not_equal(orsp_secret_from_hex(&s, hex), ORSP_OK);
	assert_secret_empty(&s);
	hex[2 * ORSP_SECRET_MAX] = '\0';
	assert_int_equal(orsp_secret_from_hex(&s, hex), ORSP_OK);
	assert_int_equal(s.len, ORSP_SECRET_MAX);
	assert_memory_equal(s.v, key, ORSP_SECRET_MAX);
	hex[10] = 'x';
	assert_int_equal(orsp_secret_from_hex(&s, hex), ORSP_E_MALFORMED);
	assert_secret_empty(&s);
	assert_int_equal(orsp_secret_from_hex(&s, "000102030405060708090a0b0c0d0e0f"), ORSP_OK);
	assert_int_equal(s.len, 16);
	assert_int_equal(s.v[15], 0x0f);
	orsp_secret_wipe(&s);
	assert_secret_empty(&s);
}

/* ------------------------------------------------------------------ directories --------- */

/* orsp_fsync_dir and orsp_fsync_dir_of: a directory, the directory of a file (trailing
 * slashes name the last component; a bare name is in "."), and their refusals. */
static void test_fsync_dir(void **state)
{
	char dir[4200], sub[4300], file[4400], missing[4400], big[5000];
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("core_fsync"));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/f", sub);
	assert_int_equal(orsp_fsync_dir(dir), ORSP_OK);
	assert_int_equal(orsp_fsync_dir_of(file), ORSP_OK);
	assert_int_equal(orsp_fsync_dir_of(sub), ORSP_OK);
	snprintf(file, sizeof(file), "%s///", sub);
	assert_int_equal(orsp_fsync_dir_of(file), ORSP_OK);
	assert_int_equal(orsp_fsync_dir_of("bare-name"), ORSP_OK);
	assert_int_equal(orsp_fsync_dir_of("/"), ORSP_OK);
	/* a directory that is not there */
	snprintf(missing, sizeof(missing), "%s/none/f", dir);
	assert_int_equal(orsp_fsync_dir_of(missing), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory of"));
	assert_non_null(strstr(orsp_err_detail(), "No such file or directory"));
	snprintf(missing, sizeof(missing), "%s/none", dir);
	assert_int_equal(orsp_fsync_dir(missing), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory"));
	/* a file is no directory */
	snprintf(file, sizeof(file), "%s/f", sub);
	{
		int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_int_equal(orsp_fsync_dir(file), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "Not a directory"));
	/* no path, an empty one, one too long */
	assert_int_equal(orsp_fsync_dir(NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_fsync_dir(""), ORSP_E_USAGE);
	assert_int_equal(orsp_fsync_dir_of(NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_fsync_dir_of(""), ORSP_E_USAGE);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(orsp_fsync_dir_of(big), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "path too long"));
	orsp_err_clear();
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* orsp_file_write_beside: a new file beside the path, its mode narrowed by the umask or exact,
 * its contents flushed; a name that does not fit, refused, nothing made. */
static void test_file_write_beside(void **state)
{
	char dir[4200], f[4300], tmp[4400], small[8];
	struct stat st;
	mode_t old;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("core_beside"));
	snprintf(f, sizeof(f), "%s/f", dir);
	old = umask(027);
	assert_int_equal(orsp_file_write_beside(f, "abc", 3, 0666, false, tmp, sizeof(tmp)),
	                 ORSP_OK);
	assert_int_equal(strncmp(tmp, f, strlen(f)), 0);
	assert_int_equal(strncmp(tmp + strlen(f), ".tmp-", 5), 0);
	assert_int_equal(strlen(tmp), strlen(f) + 11);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640); /* narrowed */
	assert_int_equal(st.st_size, 3);
	assert_int_equal(unlink(tmp), 0);
	assert_int_equal(orsp_file_write_beside(f, "abc", 3, 0644, true, tmp, sizeof(tmp)),
	                 ORSP_OK);
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* exact */
	assert_int_equal(unlink(tmp), 0);
	umask(old);
	assert_int_equal(stat(f, &st), -1); /* the path itself untouched */
	assert_int_equal(orsp_file_write_beside(f, "abc", 3, 0644, true, small, sizeof(small)),
	                 ORSP_E_USAGE);
	assert_string_equal(small, "");
	assert_int_equal(orsp_file_write_beside(f, NULL, 3, 0644, true, tmp, sizeof(tmp)),
	                 ORSP_E_USAGE);
	orsp_err_clear();
}

/* orsp_file_replace: a new file, one replaced (its mode as asked, the umask aside), a
 * symbolic link replaced rather than followed, nothing left beside it; its refusals leave the
 * old file as it was. */
/* orsp_file_replace refuses path, saying why, and leaves what is there, of type. */
static void replace_refused(const char *path, const char *why, mode_t type)
{
	struct stat st;
	assert_int_equal(orsp_file_replace(path, "x", 1, 0644), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), why));
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
}

/* orsp_lock_holder: another process's POSIX lock on a file, read from /proc/locks: by kind,
 * type and file; the locks of `self` not counted; none on another file. */
static void test_lock_holder(void **state)
{
	(void)state;
	char path[4200], other[4220];
	int ready[2], go[2], status = 0;
	struct stat st, sto;
	char b = 0;

	snprintf(path, sizeof(path), "%s/locked", test_tmpdir("core_locks"));
	snprintf(other, sizeof(other), "%s.other", path);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int fo = open(other, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0 && fo >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fstat(fo, &sto), 0);
	if (access("/proc/locks", R_OK) != 0) {
		assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, 0), -1);
		skip();
	}
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, 0), 0);
	/* this process's own read lock on byte 128, as SQLite's on the WAL-index */
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 128, .l_len = 1};
	assert_int_equal(fcntl(fd, F_SETLK, &fl), 0);
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, (long)getpid()), 0);
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, 0), (long)getpid());

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int c = open(path, O_RDWR | O_CLOEXEC);
		if (c < 0 || fcntl(c, F_SETLK, &fl) != 0 || write(ready[1], "r", 1) != 1 ||
		    read(go[0], &b, 1) != 1)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &b, 1), 1);
	long self = (long)getpid();
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, self), (long)pid);
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", "READ", self), (long)pid);
	/* another type, another kind, the child as self, another file: none */
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", "WRITE", self), 0);
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "FLOCK", NULL, self), 0);
	assert_int_equal(orsp_lock_holder(sto.st_dev, sto.st_ino, "POSIX", NULL, self), 0);
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, NULL, NULL, self), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the child's lock went with it */
	assert_int_equal(orsp_lock_holder(st.st_dev, st.st_ino, "POSIX", NULL, self), 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	close(fd);
	close(fo);
}

/* A killed writer's temporary files beside a path go; nothing else does: another name's, a
 * suffix not of six letters or digits, pki init --force's set-aside copies. */
static void test_file_remove_leftovers(void **state)
{
	static const char *const gone[] = {"f.tmp-0a1b2c", "f.tmp-Zz09aB"};
	static const char *const kept[] = {
	    "f", "f.tmp-0a1b2", "f.tmp-0a1b2c.x", "g.tmp-0a1b2c", "f.old-1234", "f.tmp-0a1b-c"};
	char dir[4200], p[4400];
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("leftovers"));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(gone) + ORSP_ARRAY_LEN(kept); i++) {
		const char *n = i < ORSP_ARRAY_LEN(gone) ? gone[i] : kept[i - ORSP_ARRAY_LEN(gone)];
		snprintf(p, sizeof(p), "%s/%s", dir, n);
		assert_int_equal(orsp_file_replace(p, "x", 1, 0600), ORSP_OK);
	}
	snprintf(p, sizeof(p), "%s/f", dir);
	orsp_file_remove_leftovers(p);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(gone); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, gone[i]);
		assert_int_equal(access(p, F_OK), -1);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(kept); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, kept[i]);
		assert_int_equal(access(p, F_OK), 0);
	}
}

static void test_file_replace(void **state)
{
	char dir[4200], f[4300], link_to[4300], link_path[4300], missing[4400], fifo[4300], buf[64];
	struct stat st;
	int fd;
	ssize_t n;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("core_replace"));
	snprintf(f, sizeof(f), "%s/f", dir);
	assert_int_equal(orsp_file_replace(f, "one", 3, 0644), ORSP_OK);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(orsp_file_replace(f, "second", 6, 0600), ORSP_OK);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 6);
	fd = open(f, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "second", 6);
	/* an empty file */
	assert_int_equal(orsp_file_replace(f, NULL, 0, 0644), ORSP_OK);
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* a link at the path is replaced by the file; its target stays as it was */
	snprintf(link_to, sizeof(link_to), "%s/target", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	assert_int_equal(orsp_file_replace(link_to, "target", 6, 0644), ORSP_OK);
	assert_int_equal(symlink(link_to, link_path), 0);
	/* a link is refused, neither replaced (until session 70) nor followed */
	replace_refused(link_path, "is a symbolic link: name the file itself", S_IFLNK);
	assert_int_equal(stat(link_to, &st), 0);
	assert_int_equal(st.st_size, 6);
	/* refused: a directory that is not there; a directory at the path (the old one stays) */
	snprintf(missing, sizeof(missing), "%s/none/f", dir);
	assert_int_equal(orsp_file_replace(missing, "x", 1, 0644), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "cannot create"));
	assert_non_null(strstr(orsp_err_detail(), missing));
	snprintf(missing, sizeof(missing), "%s/sub", dir);
	assert_int_equal(mkdir(missing, 0700), 0);
	replace_refused(missing, "is a directory, not a regular file", S_IFDIR);
	/* a FIFO is refused before anything is written, and stays (until session 70 it was
	 * replaced by a file) */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	replace_refused(fifo, "is a FIFO", S_IFIFO);
	assert_int_equal(orsp_file_check_replaceable(f), ORSP_OK);
	assert_int_equal(orsp_file_check_replaceable(NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_file_replace(NULL, "x", 1, 0644), ORSP_E_USAGE);
	assert_int_equal(orsp_file_replace(f, NULL, 1, 0644), ORSP_E_USAGE);
	orsp_err_clear();
	/* nothing but what was made: f, target, link, sub, fifo */
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		int count = 0;
		assert_non_null(d);
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				count++;
		closedir(d);
		assert_int_equal(count, 5);
	}
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(rmdir(missing), 0);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(unlink(link_to), 0);
	assert_int_equal(unlink(link_path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ------------------------------------------------------------------ errors -------------- */

static void *other_thread(void *arg)
{
	(void)arg;
	(void)orsp_errf(ORSP_E_IO, "from the other thread");
	return NULL;
}

static void test_errors(void **state)
{
	(void)state;
	/* Every category has its own non-empty name. */
	for (int i = 0; i < ORSP_E__COUNT; i++) {
		const char *a = orsp_err_str((orsp_err)i);
		assert_non_null(a);
		assert_true(strlen(a) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, orsp_err_str((orsp_err)j));
	}
	assert_non_null(orsp_err_str(ORSP_E__COUNT));
	assert_non_null(orsp_err_str((orsp_err)-1));
	assert_non_null(orsp_err_str((orsp_err)1000));

	/* orsp_errf returns its category and records the formatted detail. */
	for (int i = 0; i < ORSP_E__COUNT; i++) {
		assert_int_equal(orsp_errf((orsp_err)i, "case %d of %s", i, "errors"), i);
		char want[64];
		snprintf(want, sizeof(want), "case %d of errors", i);
		assert_string_equal(orsp_err_detail(), want);
	}
	/* wrapping the previous detail in a new one keeps it readable */
	(void)orsp_errf(ORSP_E_STORAGE, "disk full");
	(void)orsp_errf(ORSP_E_STORAGE, "commit failed: %s (%s)", orsp_err_detail(),
	                orsp_err_detail());
	assert_string_equal(orsp_err_detail(), "commit failed: disk full (disk full)");
	orsp_err_clear();
	assert_string_equal(orsp_err_detail(), "");

	/* An over-long detail is cut, not overflowed, and says it was cut. */
	char longs[ORSP_ERR_DETAIL_MAX + 100];
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	(void)orsp_errf(ORSP_E_USAGE, "%s", longs);
	assert_int_equal(strlen(orsp_err_detail()), ORSP_ERR_DETAIL_MAX - 1);
	assert_string_equal(orsp_err_detail() + ORSP_ERR_DETAIL_MAX - 4, "...");
	/* one that just fits is whole */
	longs[ORSP_ERR_DETAIL_MAX - 1] = '\0';
	(void)orsp_errf(ORSP_E_USAGE, "%s", longs);
	assert_string_equal(orsp_err_detail(), longs);
	/* a detail wrapping three full paths and more is whole (4 KiB paths would not be) */
	char path[600];
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	(void)orsp_errf(ORSP_E_IO, "cannot flush the directory of %s: Input/output error", path);
	(void)orsp_errf(ORSP_E_IO, "%s: %s was replaced, and %s is left as it was",
	                orsp_err_detail(), path, path);
	assert_non_null(strstr(orsp_err_detail(), "is left as it was"));

	/* a copy of the detail: whole when it fits, else cut and saying so */
	{
		char small[16], exact[8], tiny[3];
		(void)orsp_errf(ORSP_E_IO, "disk full");
		orsp_err_detail_copy(small, sizeof(small));
		assert_string_equal(small, "disk full");
		(void)orsp_errf(ORSP_E_IO, "1234567");
		orsp_err_detail_copy(exact, sizeof(exact));
		assert_string_equal(exact, "1234567");
		(void)orsp_errf(ORSP_E_IO, "cannot write the database file");
		orsp_err_detail_copy(small, sizeof(small));
		assert_string_equal(small, "cannot write...");
		orsp_err_detail_copy(tiny, sizeof(tiny));
		assert_string_equal(tiny, "ca");
		orsp_err_clear();
		orsp_err_detail_copy(small, sizeof(small));
		assert_string_equal(small, "");
	}

	/* Per thread: another thread's error does not replace ours. */
	(void)orsp_errf(ORSP_E_MALFORMED, "mine");
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_string_equal(orsp_err_detail(), "mine");
}

/* ------------------------------------------------------------------ logging ------------- */

static char *capture_log(orsp_log_level level)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/stderr.txt", test_tmpdir("core_log"));
	assert_int_equal(fflush(stderr), 0);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);

	orsp_log_set_level(level);
	orsp_log(ORSP_LOG_ERROR, "msg-%s-%d", "error", (int)level);
	orsp_log(ORSP_LOG_WARN, "msg-%s-%d", "warn", (int)level);
	orsp_log(ORSP_LOG_INFO, "msg-%s-%d", "info", (int)level);
	orsp_log(ORSP_LOG_DEBUG, "msg-%s-%d", "debug", (int)level);

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	size_t n;
	return (char *)test_read_file(path, &n);
}

static void test_log_levels(void **state)
{
	(void)state;
	static const char *const names[] = {"error", "warn", "info", "debug"};
	orsp_log_level old = orsp_log_get_level();
	for (int level = ORSP_LOG_ERROR; level <= ORSP_LOG_DEBUG; level++) {
		char *out = capture_log((orsp_log_level)level);
		assert_int_equal(orsp_log_get_level(), level);
		for (int m = 0; m < 4; m++) {
			char marker[32];
			snprintf(marker, sizeof(marker), "msg-%s-%d", names[m], level);
			bool present = strstr(out, marker) != NULL;
			if (present != (m <= level))
				fail_msg("level %d: message of level %d %s", level, m,
				         present ? "written" : "missing");
		}
		free(out);
	}
	orsp_log_set_level(old);
}

/* Log lines that could not be written (a full non-blocking pipe, EAGAIN) are told of by the
 * first line written after them, "openrsp: warning: 3 log lines were lost (...)": until
 * session 75 they were dropped without a trace. A pipe as stderr, filled, three lines logged,
 * the pipe emptied, one line more. */
static void test_log_lost_told(void **state)
{
	(void)state;
	int p[2];
	char buf[65536];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	memset(buf, 'x', sizeof(buf));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	while (write(p[1], buf, 1) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(fflush(stderr), 0);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(p[1], STDERR_FILENO) >= 0);

	for (int i = 0; i < 3; i++)
		orsp_log(ORSP_LOG_ERROR, "lost-%d", i);
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	orsp_log(ORSP_LOG_ERROR, "after-the-loss");

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	close(p[1]);
	assert_true(n > 0);
	buf[n] = '\0';
	const char *want = "openrsp: warning: 3 log lines were lost (writing to stderr: Resource "
	                   "temporarily unavailable)\n";
	if (strncmp(buf, want, strlen(want)) != 0)
		fail_msg("the loss not told first: %s", buf);
	const char *rest = buf + strlen(want);
	assert_non_null(strstr(rest, " openrsp error: after-the-loss\n"));
	assert_null(strstr(buf, "lost-"));
	assert_int_equal(strchr(rest, '\n') - buf + 1, n); /* one line after the warning */
}

/* A line cut short (part of it written, then EFBIG past RLIMIT_FSIZE: a disk that filled
 * mid-line does the same with ENOSPC) counts as lost, and the next line written starts a
 * line of its own: until session 75 it was glued to the half line. In a child: its stderr a
 * file, its size limit set to cut the first line, then lifted for the third. */
static void test_log_cut_line(void **state)
{
	(void)state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/stderr.txt", test_tmpdir("core_log_cut"));
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 4096)
		skip();
	assert_int_equal(fflush(stderr), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(2);
		struct rlimit cut = rl;
		cut.rlim_cur = 30; /* inside "TIMESTAMP openrsp error: the-first-line..." */
		if (setrlimit(RLIMIT_FSIZE, &cut) != 0)
			_exit(3);
		orsp_log(ORSP_LOG_ERROR, "the-first-line-cut-short");
		orsp_log(ORSP_LOG_ERROR, "the-second-line");
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(4);
		orsp_log(ORSP_LOG_ERROR, "the-third-line");
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	size_t n;
	char *out = (char *)test_read_file(path, &n);
	assert_non_null(out);
	/* 30 bytes of the first line, a newline, the warning, the third line */
	const char *nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_int_equal(nl - out, 30);
	const char *want = "openrsp: warning: 2 log lines were lost (writing to stderr: File too "
	                   "large)\n";
	if (strncmp(nl + 1, want, strlen(want)) != 0)
		fail_msg("no warning on a line of its own after the cut line: %s", out);
	const char *third = nl + 1 + strlen(want);
	assert_non_null(strstr(third, " openrsp error: the-third-line\n"));
	assert_null(strstr(out, "the-second-line"));
	free(out);
}

/* orsp_file_read_upto: a file of exactly cap bytes is whole; one byte more is reported, not
 * read into the buffer; a descriptor that cannot be read is ORSP_E_IO naming the path. */
static void test_file_read_upto(void **state)
{
	char dir[1024], path[1100];
	uint8_t buf[9];
	size_t n = 0;
	bool more = true;
	FILE *f;
	int fd;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("core_read_upto"));
	snprintf(path, sizeof(path), "%s/f", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite("abcdefgh", 1, 8, f), 8);
	assert_int_equal(fclose(f), 0);
	/* cap 8: the whole file */
	assert_int_equal(orsp_file_open_regular(path, &fd), ORSP_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(orsp_file_read_upto(fd, path, buf, 8, &n, &more), ORSP_OK);
	assert_int_equal(n, 8);
	assert_false(more);
	assert_memory_equal(buf, "abcdefgh", 8);
	close(fd);
	/* cap 7: seven bytes, and more; the eighth never lands in the buffer */
	assert_int_equal(orsp_file_open_regular(path, &fd), ORSP_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(orsp_file_read_upto(fd, path, buf, 7, &n, &more), ORSP_OK);
	assert_int_equal(n, 7);
	assert_true(more);
	assert_int_equal(buf[7], 0);
	close(fd);
	/* cap 9: all of it, nothing more */
	assert_int_equal(orsp_file_open_regular(path, &fd), ORSP_OK);
	assert_int_equal(orsp_file_read_upto(fd, path, buf, 9, &n, &more), ORSP_OK);
	assert_int_equal(n, 8);
	assert_false(more);
	close(fd);
	/* a descriptor open for writing only: a read error, named */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(orsp_file_read_upto(fd, path, buf, 8, &n, &more), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "cannot read"));
	assert_non_null(strstr(orsp_err_detail(), path));
	assert_int_equal(n, 0);
	close(fd);
	orsp_err_clear();
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* orsp_deadline_ms is ms from now on CLOCK_MONOTONIC (a deadline on the wall clock would
 * stretch or cut a wait at every step of it: NTP, date), and a timed wait on a condition
 * variable of orsp_cond_init_monotonic times out there: neither at once nor later. */
static void test_deadline_monotonic(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct timespec until;
	int64_t start, until_ms, waited;
	int e;
	(void)state;

	assert_int_equal(orsp_cond_init_monotonic(&cv), 0);
	start = mono_ms();
	orsp_deadline_ms(&until, 1500);
	until_ms = (int64_t)until.tv_sec * 1000 + until.tv_nsec / 1000000;
	assert_true(until.tv_nsec >= 0 && until.tv_nsec < 1000000000L);
	assert_true(until_ms >= start + 1500 && until_ms <= mono_ms() + 1500);
	orsp_deadline_ms(&until, 200);
	pthread_mutex_lock(&mu);
	do
		e = pthread_cond_timedwait(&cv, &mu, &until);
	while (e == 0); /* a spurious wake-up */
	pthread_mutex_unlock(&mu);
	waited = mono_ms() - start;
	assert_int_equal(e, ETIMEDOUT);
	assert_true(waited >= 199 && waited < 10000);
	pthread_cond_destroy(&cv);
}

/* orsp_file_write_full: every byte through a pipe, and the write's errno on failure. */
static void test_file_write_full(void **state)
{
	uint8_t out[3000], in[3000];
	size_t got = 0;
	int p[2], fd;
	(void)state;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(orsp_file_write_full(p[1], out, sizeof(out)), 0);
	assert_int_equal(orsp_file_write_full(p[1], out, 0), 0);
	close(p[1]);
	for (ssize_t r; (r = read(p[0], in + got, sizeof(in) - got)) > 0;)
		got += (size_t)r;
	close(p[0]);
	assert_int_equal(got, sizeof(out));
	assert_memory_equal(in, out, sizeof(out));
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		errno = 0;
		assert_int_equal(orsp_file_write_full(fd, out, 16), -1);
		assert_int_equal(errno, ENOSPC);
		close(fd);
	}
	errno = 0;
	assert_int_equal(orsp_file_write_full(-1, out, 16), -1);
	assert_int_equal(errno, EBADF);
}

/* orsp_mono_s reads CLOCK_MONOTONIC in seconds: the same clock as mono_ms, with its fraction. */
static void test_mono_s(void **state)
{
	double a, b;
	int64_t before, after;
	(void)state;

	before = mono_ms();
	a = orsp_mono_s();
	after = mono_ms();
	assert_true(a * 1000 >= (double)before - 1 && a * 1000 <= (double)after + 1);
	struct timespec nap = {0, 120 * 1000 * 1000};
	nanosleep(&nap, NULL);
	b = orsp_mono_s();
	assert_true(b - a >= 0.119 && b - a < 10);
}

/* orsp_utc_text: the two forms the messages, logs and JSON used before it (eight copies of
 * gmtime_r and strftime), and the number of seconds for a time gmtime_r cannot convert, as
 * cli_utc and smdp's warnings wrote it. */
static void test_utc_text(void **state)
{
	char out[ORSP_UTC_TEXT_CAP];
	(void)state;

	assert_true(orsp_utc_text(0, 'T', out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_true(orsp_utc_text((time_t)1777636800, 'T', out));
	assert_string_equal(out, "2026-05-01T12:00:00Z");
	assert_true(orsp_utc_text((time_t)1777636800, ' ', out));
	assert_string_equal(out, "2026-05-01 12:00:00Z");
	assert_true(orsp_utc_text((time_t)-1, 'T', out));
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	/* 253402300799: 9999-12-31T23:59:59Z, the last GeneralizedTime a certificate holds */
	assert_true(orsp_utc_text((time_t)253402300799LL, ' ', out));
	assert_string_equal(out, "9999-12-31 23:59:59Z");
	if (sizeof(time_t) == 8) {
		assert_false(orsp_utc_text((time_t)INT64_MAX, 'T', out));
		assert_string_equal(out, "9223372036854775807");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_set),
	    cmocka_unit_test(test_hex_rfc4648),
	    cmocka_unit_test(test_hex_digit_all),
	    cmocka_unit_test(test_hex_rejects),
	    cmocka_unit_test(test_base64_rfc4648),
	    cmocka_unit_test(test_base64_rejects),
	    cmocka_unit_test(test_base64_every_byte),
	    cmocka_unit_test(test_reader),
	    cmocka_unit_test(test_writer),
	    cmocka_unit_test(test_ct_eq),
	    cmocka_unit_test(test_wipe),
	    cmocka_unit_test(test_wipe_alloc),
	    cmocka_unit_test(test_secret),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_fsync_dir),
	    cmocka_unit_test(test_file_replace),
	    cmocka_unit_test(test_file_remove_leftovers),
	    cmocka_unit_test(test_lock_holder),
	    cmocka_unit_test(test_file_write_beside),
	    cmocka_unit_test(test_log_levels),
	    cmocka_unit_test(test_log_lost_told),
	    cmocka_unit_test(test_log_cut_line),
	    cmocka_unit_test(test_utf8_seq),
	    cmocka_unit_test(test_utf8_is_control),
	    cmocka_unit_test(test_utf8_text_chars),
	    cmocka_unit_test(test_utf8_chars),
	    cmocka_unit_test(test_utf8_cut),
	    cmocka_unit_test(test_utf8_printable),
	    cmocka_unit_test(test_ascii_printable),
	    cmocka_unit_test(test_fqdn_check),
	    cmocka_unit_test(test_file_read_upto),
	    cmocka_unit_test(test_deadline_monotonic),
	    cmocka_unit_test(test_mono_s),
	    cmocka_unit_test(test_utc_text),
	    cmocka_unit_test(test_file_write_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
