/* pkg: profile packages (TCA eUICC Profile Package Interoperable Format, PEDefinitions 3.3.1).
 *
 * Outside vectors: every GSMA TS.48 test profile and pySim's unique-ICCID variants
 * (tests/vectors/saip) must decode, validate and re-encode byte for byte; expected field values
 * come from GSMA's own value-notation dumps (*.txt next to the .der files) and the vectors'
 * README; OPc/TOPc come from milenage.tsv / tuak.tsv. Malformed and rule-breaking packages are
 * made by editing those profiles (through the generated codec or at the byte level), one rule
 * per case. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "orsp_asn1_pe.h"

#include "openrsp/der.h"
#include "openrsp/euicc.h" /* orsp_usim_check: the eUICC's trial load */
#include "openrsp/pkg.h"

#define V7 "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"

/* ------------------------------------------------------------------ helpers ------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n;
	assert_int_equal(orsp_hex_decode(hex, out, cap, &n), ORSP_OK);
	return n;
}

static void assert_detail_has(const char *what)
{
	if (!strstr(orsp_err_detail(), what))
		fail_msg("detail \"%s\" does not mention \"%s\"", orsp_err_detail(), what);
}

static orsp_pkg *load(const char *rel)
{
	size_t n = 0;
	uint8_t *b = test_read_vector(rel, &n);
	orsp_pkg *pkg = NULL;
	if (orsp_pkg_decode(b, n, &pkg) != ORSP_OK)
		fail_msg("%s: %s", rel, orsp_err_detail());
	free(b);
	return pkg;
}

/* A package as a list of PE encodings that tests can drop, move, edit and join. */
#define PL_MAX 64
typedef struct pelist {
	size_t n;
	uint8_t *p[PL_MAX];
	size_t len[PL_MAX];
} pelist;

static void pl_from(pelist *pl, const orsp_pkg *pkg)
{
	memset(pl, 0, sizeof(*pl));
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		assert_int_equal(orsp_pkg_pe(pkg, i, &in), ORSP_OK);
		assert_true(pl->n < PL_MAX);
		pl->p[pl->n] = malloc(in.raw.len);
		assert_non_null(pl->p[pl->n]);
		memcpy(pl->p[pl->n], in.raw.p, in.raw.len);
		pl->len[pl->n++] = in.raw.len;
	}
}

static void pl_load(pelist *pl, const char *rel)
{
	orsp_pkg *pkg = load(rel);
	pl_from(pl, pkg);
	orsp_pkg_free(pkg);
}

static void pl_free(pelist *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->p[i]);
	pl->n = 0;
}

static uint8_t *pl_join(const pelist *pl, size_t *len)
{
	size_t t = 0, o = 0;
	uint8_t *b;
	for (size_t i = 0; i < pl->n; i++)
		t += pl->len[i];
	b = malloc(t ? t : 1);
	assert_non_null(b);
	for (size_t i = 0; i < pl->n; i++) {
		memcpy(b + o, pl->p[i], pl->len[i]);
		o += pl->len[i];
	}
	*len = t;
	return b;
}

static void pl_drop(pelist *pl, size_t i)
{
	free(pl->p[i]);
	memmove(&pl->p[i], &pl->p[i + 1], (pl->n - i - 1) * sizeof(pl->p[0]));
	memmove(&pl->len[i], &pl->len[i + 1], (pl->n - i - 1) * sizeof(pl->len[0]));
	pl->n--;
}

static void pl_insert(pelist *pl, size_t at, const uint8_t *p, size_t n)
{
	assert_true(pl->n < PL_MAX && at <= pl->n);
	memmove(&pl->p[at + 1], &pl->p[at], (pl->n - at) * sizeof(pl->p[0]));
	memmove(&pl->len[at + 1], &pl->len[at], (pl->n - at) * sizeof(pl->len[0]));
	pl->p[at] = malloc(n);
	assert_non_null(pl->p[at]);
	memcpy(pl->p[at], p, n);
	pl->len[at] = n;
	pl->n++;
}

static void pl_move(pelist *pl, size_t from, size_t to)
{
	uint8_t *p = pl->p[from];
	size_t n = pl->len[from];
	pl->p[from] = NULL;
	pl_insert(pl, to > from ? to + 1 : to, p, n);
	pl_drop(pl, to > from ? from : from + 1);
	free(p);
}

/* Index of the first PE of a ProfileElement alternative in the list. */
static size_t pl_find(const pelist *pl, orsp_pe_type t, size_t nth)
{
	for (size_t i = 0; i < pl->n; i++) {
		orsp_tlv tlv;
		assert_int_equal(orsp_der_parse_one(orsp_slice_make(pl->p[i], pl->len[i]), &tlv),
		                 ORSP_OK);
		if (tlv.number + 1 == (uint32_t)t && nth-- == 0)
			return i;
	}
	fail_msg("no PE of type %s", orsp_pe_type_name(t));
	return 0;
}

/* Replace the child of PE i's outer TLV that has tag `tag` by the TLV given in hex (BER
 * that is not DER, which the generated encoder cannot produce). */
static void pl_child_replace(pelist *pl, size_t i, uint32_t tag, const char *hex)
{
	uint8_t nb[64], body[8192], *pe;
	size_t nn = unhex(hex, nb, sizeof(nb));
	orsp_tlv outer, c;
	orsp_reader r;
	orsp_writer w;
	bool found = false;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(pl->p[i], pl->len[i]), &outer),
	                 ORSP_OK);
	orsp_writer_init(&w, body, sizeof(body));
	orsp_reader_init(&r, outer.value.p, outer.value.len);
	while (orsp_reader_remaining(&r) > 0) {
		assert_int_equal(orsp_der_read(&r, &c), ORSP_OK);
		if (c.tag == tag && !found) {
			orsp_write_bytes(&w, nb, nn);
			found = true;
		} else {
			orsp_write_bytes(&w, c.raw.p, c.raw.len);
		}
	}
	assert_true(found);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	pe = malloc(w.len + 8);
	assert_non_null(pe);
	{
		orsp_writer o;
		orsp_writer_init(&o, pe, w.len + 8);
		orsp_der_put_header(&o, outer.tag, w.len);
		orsp_write_bytes(&o, body, w.len);
		assert_int_equal(orsp_writer_status(&o), ORSP_OK);
		free(pl->p[i]);
		pl->p[i] = pe;
		pl->len[i] = o.len;
	}
}

/* asn1c's stack guard misfires under ASan (pkg.c does the same). */
static asn_codec_ctx_t no_stack_limit;

/* Edit PE i through the generated codec (the test's own decode/encode, not the module's). */
typedef void (*pe_edit_fn)(ProfileElement_t *pe, void *arg);
static void pl_edit(pelist *pl, size_t i, pe_edit_fn fn, void *arg)
{
	ProfileElement_t *pe = NULL;
	asn_dec_rval_t r = ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&pe,
	                              pl->p[i], pl->len[i]);
	asn_enc_rval_t e;
	assert_int_equal(r.code, RC_OK);
	fn(pe, arg);
	e = der_encode(&asn_DEF_ProfileElement, pe, NULL, NULL);
	assert_true(e.encoded > 0);
	free(pl->p[i]);
	pl->p[i] = malloc((size_t)e.encoded);
	assert_non_null(pl->p[i]);
	e = der_encode_to_buffer(&asn_DEF_ProfileElement, pe, pl->p[i], (size_t)e.encoded);
	assert_true(e.encoded > 0);
	pl->len[i] = (size_t)e.encoded;
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
}

static void os_put(OCTET_STRING_t *os, const char *hex)
{
	uint8_t b[128];
	size_t n = unhex(hex, b, sizeof(b));
	assert_int_equal(OCTET_STRING_fromBuf(os, (const char *)b, (int)n), 0);
}

/* Set an OPTIONAL OCTET STRING, allocating it if absent. */
static void os_new(OCTET_STRING_t **slot, const char *hex)
{
	if (!*slot)
		*slot = calloc(1, sizeof(**slot));
	assert_non_null(*slot);
	os_put(*slot, hex);
}

/* Give a File's fileDescriptor an efFileSize (hex). */
static void file_size_set(File_t *f, const char *hex)
{
	assert_true(f->list.count > 0);
	assert_int_equal(f->list.array[0]->present, File__Member_PR_fileDescriptor);
	os_new(&f->list.array[0]->choice.fileDescriptor.efFileSize, hex);
}

/* Validation (orsp_pkg_validate_flags with flags) of the joined list must report an issue
 * whose text contains `what`: an error (and fail) or a warning (and pass). */
static void expect_issue_flags(const pelist *pl, unsigned flags, bool error, const char *what)
{
	size_t len;
	uint8_t *b = pl_join(pl, &len);
	orsp_pkg *pkg = NULL;
	orsp_pkg_report rep;
	char line[300];
	bool found = false;

	if (orsp_pkg_decode(b, len, &pkg) != ORSP_OK)
		fail_msg("decode failed: %s", orsp_err_detail());
	orsp_err e = orsp_pkg_validate_flags(pkg, flags, &rep);
	for (size_t i = 0; i < rep.n; i++) {
		orsp_pkg_issue_format(&rep.issue[i], line, sizeof(line));
		if (rep.issue[i].error == error && strstr(line, what))
			found = true;
	}
	if (!found) {
		for (size_t i = 0; i < rep.n; i++) {
			orsp_pkg_issue_format(&rep.issue[i], line, sizeof(line));
			print_message("  %s\n", line);
		}
		fail_msg("no %s mentioning \"%s\"", error ? "error" : "warning", what);
	}
	if (error) {
		assert_int_equal(e, ORSP_E_POLICY);
		assert_true(rep.errors > 0);
	} else {
		assert_int_equal(e, ORSP_OK);
	}
	orsp_pkg_free(pkg);
	free(b);
}

/* The same with orsp_pkg_validate. */
static void expect_issue(const pelist *pl, bool error, const char *what)
{
	expect_issue_flags(pl, 0, error, what);
}

/* Decoding the bytes must fail with `err` and a detail containing `what`. */
static void expect_decode_fails(const uint8_t *b, size_t len, orsp_err err, const char *what)
{
	orsp_pkg *pkg = NULL;
	orsp_err_clear();
	orsp_err e = orsp_pkg_decode(b, len, &pkg);
	if (e != err)
		fail_msg("decode gave %s (%s), want %s", orsp_err_str(e), orsp_err_detail(),
		         orsp_err_str(err));
	assert_null(pkg);
	assert_detail_has(what);
}

/* ------------------------------------------------------------------ codings ------------- */

/* GSMA TS.48: ProfileHeader iccid '89000123456789012341'H, EF.ICCID '98001032547698103214'H;
 * pySim unique variants: header '8949449999999990023f'H (tests/vectors/saip/README.md). */
static void test_iccid(void **state)
{
	static const struct {
		const char *digits, *header, *ef;
	} v[] = {
	    {"89000123456789012341", "89000123456789012341", "98001032547698103214"},
	    {"8949449999999990023", "8949449999999990023f", NULL},
	    {"8949449999999990171", "8949449999999990171f", NULL},
	};
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(v); i++) {
		uint8_t want[10], got[10];
		char back[21];
		unhex(v[i].header, want, sizeof(want));
		assert_int_equal(orsp_iccid_check(v[i].digits), ORSP_OK);
		assert_int_equal(orsp_iccid_encode_header(v[i].digits, got), ORSP_OK);
		assert_bytes_equal(got, want, 10);
		assert_int_equal(orsp_iccid_decode_header(want, back), ORSP_OK);
		assert_string_equal(back, v[i].digits);
		if (v[i].ef) {
			unhex(v[i].ef, want, sizeof(want));
			assert_int_equal(orsp_iccid_encode_ef(v[i].digits, got), ORSP_OK);
			assert_bytes_equal(got, want, 10);
			assert_int_equal(orsp_iccid_decode_ef(want, back), ORSP_OK);
			assert_string_equal(back, v[i].digits);
		}
	}
	/* Luhn check digit of the GSMA ICCID body is its last digit, 1. */
	assert_int_equal(orsp_luhn_digit("8900012345678901234", 19), 1);
	assert_int_equal(orsp_luhn_digit("89x", 3), -1);
	/* Rejected: wrong check digit (naming the right one), lengths, non-digits. */
	assert_int_equal(orsp_iccid_check("89000123456789012342"), ORSP_E_USAGE);
	assert_detail_has("expected 1");
	assert_int_equal(orsp_iccid_check("890001234567890123"), ORSP_E_USAGE);
	assert_int_equal(orsp_iccid_check("890001234567890123411"), ORSP_E_USAGE);
	assert_int_equal(orsp_iccid_check("8900012345678901234a"), ORSP_E_USAGE);
	assert_int_equal(orsp_iccid_check(NULL), ORSP_E_USAGE);
	/* Decode: 'F' only as trailing padding, nibbles A..E never. */
	uint8_t bad[10];
	char out[21];
	unhex("8900F123456789012341", bad, sizeof(bad));
	assert_int_equal(orsp_iccid_decode_header(bad, out), ORSP_E_MALFORMED);
	unhex("890A0123456789012341", bad, sizeof(bad));
	assert_int_equal(orsp_iccid_decode_header(bad, out), ORSP_E_MALFORMED);
}

/* EF.IMSI: TS.48 '080910101032547698'H is IMSI 001010123456789 (odd count, parity nibble 9);
 * the even-count row is written by hand from TS 31.102 §4.2.2 (parity nibble 1, last 'F'). */
static void test_imsi(void **state)
{
	static const struct {
		const char *imsi, *ef;
	} v[] = {
	    {"001010123456789", "080910101032547698"},
	    {"00101012345678", "0801101010325476F8"},
	    {"2620100", "0429261000FFFFFFFF"},
	};
	static const char *const bad_ef[] = {
	    "080A10101032547698", /* identity type 2 */
	    "000910101032547698", /* length 0 */
	    "090910101032547698", /* length 9 > 8 */
	    "0809101010325476A8", /* digit A */
	    "080110101032547698", /* even count but last nibble 9, not F */
	    "0429261000FFFFFF00", /* non-FF byte after the IMSI */
	    "020910FFFFFFFFFFFF", /* 3 digits */
	};
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(v); i++) {
		uint8_t want[9], got[9];
		char back[16];
		size_t n = unhex(v[i].ef, want, sizeof(want));
		assert_int_equal(n, 9);
		assert_int_equal(orsp_imsi_encode_ef(v[i].imsi, got), ORSP_OK);
		assert_bytes_equal(got, want, 9);
		assert_int_equal(orsp_imsi_decode_ef(want, 9, back), ORSP_OK);
		assert_string_equal(back, v[i].imsi);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_ef); i++) {
		uint8_t b[9];
		char out[16];
		unhex(bad_ef[i], b, sizeof(b));
		if (orsp_imsi_decode_ef(b, 9, out) != ORSP_E_MALFORMED)
			fail_msg("EF.IMSI %s accepted", bad_ef[i]);
	}
	uint8_t ef[9];
	char out[16];
	assert_int_equal(orsp_imsi_decode_ef(ef, 1, out), ORSP_E_MALFORMED);
	assert_int_equal(orsp_imsi_encode_ef("00101", ef), ORSP_E_USAGE);
	assert_int_equal(orsp_imsi_encode_ef("0010101234567890", ef), ORSP_E_USAGE);
	assert_int_equal(orsp_imsi_encode_ef("00101012345678x", ef), ORSP_E_USAGE);
	assert_int_equal(orsp_imsi_encode_ef(NULL, ef), ORSP_E_USAGE);
}

/* EF.SPN: TS.48 v7 fillPattern '0147534D411154455354FF'H: display 01, "GSMA_TEST" ('_' is
 * 0x11 in the TS 23.038 default alphabet). */
static void test_spn(void **state)
{
	uint8_t want[11], got[11], big[17], display = 0;
	char name[64];
	(void)state;
	unhex("0147534D411154455354FF", want, sizeof(want));
	assert_int_equal(orsp_spn_decode_ef(want, sizeof(want), &display, name, sizeof(name)),
	                 ORSP_OK);
	assert_int_equal(display, 1);
	assert_string_equal(name, "GSMA_TEST");
	assert_int_equal(orsp_spn_encode_ef("GSMA_TEST", 1, got, sizeof(got)), ORSP_OK);
	assert_bytes_equal(got, want, sizeof(want));
	/* Non-ASCII characters of the default alphabet round-trip (é = 0x05, Ω = 0x15). */
	assert_int_equal(orsp_spn_encode_ef("\xC3\xA9\xCE\xA9@", 0, big, sizeof(big)), ORSP_OK);
	assert_int_equal(big[1], 0x05);
	assert_int_equal(big[2], 0x15);
	assert_int_equal(big[3], 0x00);
	assert_int_equal(big[4], 0xFF);
	assert_int_equal(orsp_spn_decode_ef(big, sizeof(big), &display, name, sizeof(name)),
	                 ORSP_OK);
	assert_string_equal(name, "\xC3\xA9\xCE\xA9@");
	/* Refused: outside the default alphabet, too long, empty, bad UTF-8, UCS2 files. */
	assert_int_equal(orsp_spn_encode_ef("a~b", 0, big, sizeof(big)), ORSP_E_USAGE);
	assert_int_equal(orsp_spn_encode_ef("[x]", 0, big, sizeof(big)), ORSP_E_USAGE);
	/* beyond U+FFFF: U+10040 and U+10020 are not '@' and ' ' */
	assert_int_equal(orsp_spn_encode_ef("A\xF0\x90\x81\x80"
	                                    "B",
	                                    0, big, sizeof(big)),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_spn_encode_ef("\xF0\x90\x80\xA0", 0, big, sizeof(big)), ORSP_E_USAGE);
	assert_int_equal(orsp_spn_encode_ef("12345678901234567", 0, big, sizeof(big)),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_spn_encode_ef("1234567890123456", 0, big, sizeof(big)), ORSP_OK);
	assert_int_equal(orsp_spn_encode_ef("", 0, big, sizeof(big)), ORSP_E_USAGE);
	assert_int_equal(orsp_spn_encode_ef("\xC3(", 0, big, sizeof(big)), ORSP_E_USAGE);
	assert_int_equal(orsp_spn_encode_ef("\xC0\x80", 0, big, sizeof(big)), ORSP_E_USAGE);
	unhex("0080004100FFFFFFFFFFFF", got, sizeof(got));
	assert_int_equal(orsp_spn_decode_ef(got, sizeof(got), &display, name, sizeof(name)),
	                 ORSP_E_MALFORMED);
	unhex("01411B41FFFFFFFFFFFFFF", got, sizeof(got));
	assert_int_equal(orsp_spn_decode_ef(got, sizeof(got), &display, name, sizeof(name)),
	                 ORSP_E_MALFORMED);
}

/* ------------------------------------------------------------------ outside profiles ---- */

typedef struct file_list {
	char **paths;
	size_t n, cap;
} file_list;

static void list_der(const char *dir, file_list *fl)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		fail_msg("cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		size_t nl = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(stat(path, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			list_der(path, fl);
			continue;
		}
		if (nl < 4 || strcmp(de->d_name + nl - 4, ".der") != 0)
			continue;
		if (fl->n == fl->cap) {
			fl->cap = fl->cap ? 2 * fl->cap : 64;
			fl->paths = realloc(fl->paths, fl->cap * sizeof(char *));
			assert_non_null(fl->paths);
		}
		fl->paths[fl->n] = strdup(path);
		assert_non_null(fl->paths[fl->n]);
		fl->n++;
	}
	closedir(d);
}

/* PEs GSMA lists in the value-notation dump next to a .der ("valueN ProfileElement ::="). */
static long txt_pe_count(const char *der_path)
{
	char txt[4096], line[4096];
	size_t n = strlen(der_path);
	long count = 0;
	FILE *f;
	snprintf(txt, sizeof(txt), "%.*s.txt", (int)(n - 4), der_path);
	f = fopen(txt, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if ((strncmp(line, "value", 5) == 0 ||
		     strncmp(line, "\xEF\xBB\xBFvalue", 8) == 0) &&
		    strstr(line, "ProfileElement ::="))
			count++;
	fclose(f);
	return count;
}

static void check_profile(const char *path)
{
	size_t len = 0, out_len = 0;
	uint8_t *b = test_read_file(path, &len), *out = NULL;
	orsp_pkg *pkg = NULL;
	orsp_pkg_report rep;
	orsp_pkg_header h;
	long want = txt_pe_count(path);

	if (orsp_pkg_decode(b, len, &pkg) != ORSP_OK)
		fail_msg("%s: %s", path, orsp_err_detail());
	if (orsp_pkg_validate(pkg, &rep) != ORSP_OK || rep.warnings)
		fail_msg("%s: %zu errors, %zu warnings: %s", path, rep.errors, rep.warnings,
		         rep.n ? rep.issue[0].msg : "");
	if (want >= 0 && (size_t)want != orsp_pkg_count(pkg))
		fail_msg("%s: %zu PEs, GSMA's dump lists %ld", path, orsp_pkg_count(pkg), want);
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		assert_int_equal(orsp_pkg_pe(pkg, i, &in), ORSP_OK);
		if (!in.lossless || in.type == ORSP_PE_UNKNOWN)
			fail_msg("%s: PE #%zu not decoded losslessly", path, i);
	}
	/* Byte-identical: re-encoded from the model, and as kept. */
	assert_int_equal(orsp_pkg_encode(pkg, ORSP_PKG_ENCODE_REENCODE, &out, &out_len), ORSP_OK);
	assert_int_equal(out_len, len);
	assert_bytes_equal(out, b, len);
	orsp_pkg_buf_free(out, out_len);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &out_len), ORSP_OK);
	assert_int_equal(out_len, len);
	assert_bytes_equal(out, b, len);
	orsp_pkg_buf_free(out, out_len);
	assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
	assert_int_equal(orsp_iccid_check(h.iccid), ORSP_OK);
	orsp_pkg_free(pkg);
	free(b);
}

static void test_ts48_profiles(void **state)
{
	file_list fl = {0};
	char dir[4096];
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_vector_path("saip"));
	list_der(dir, &fl);
	assert_true(fl.n >= 44); /* 26 GSMA TS.48 + 18 pySim unique-ICCID profiles */
	for (size_t i = 0; i < fl.n; i++) {
		check_profile(fl.paths[i]);
		free(fl.paths[i]);
	}
	free(fl.paths);
	check_profile(test_vector_path("sgp22/bpp/expected_upp.der"));
}

/* The model against GSMA's value notation of TS.48 v7 (TS48_V7.0_..._NoBERTLV.txt). */
static void test_ts48_model(void **state)
{
	orsp_pkg *pkg = load(V7);
	orsp_pkg_header h;
	orsp_pkg_usim u;
	orsp_pkg_aka a;
	orsp_pkg_fs *fs = malloc(sizeof(*fs));
	orsp_pkg_pin pins[32];
	orsp_secret k, opc;
	orsp_pe_info in;
	uint8_t want[16], buf[64];
	size_t n = 0, len = 0;
	long usim = -1;
	(void)state;

	assert_non_null(fs);
	assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
	assert_int_equal(h.major, 2);
	assert_int_equal(h.minor, 3);
	assert_true(h.has_profile_type);
	assert_string_equal(h.profile_type, "GSMA Generic eUICC Test Profile");
	assert_string_equal(h.iccid, "89000123456789012341");
	assert_int_equal(h.services, ORSP_SVC_BIT(ORSP_SVC_USIM) | ORSP_SVC_BIT(ORSP_SVC_ISIM) |
	                                 ORSP_SVC_BIT(ORSP_SVC_CSIM) |
	                                 ORSP_SVC_BIT(ORSP_SVC_USIM_TEST_ALGORITHM) |
	                                 ORSP_SVC_BIT(ORSP_SVC_GET_IDENTITY) |
	                                 ORSP_SVC_BIT(ORSP_SVC_PROFILE_A_X25519) |
	                                 ORSP_SVC_BIT(ORSP_SVC_PROFILE_B_P256));
	assert_int_equal(h.n_gfste, 11);
	assert_string_equal(h.gfste[0], "2.23.143.1.2.1");
	assert_string_equal(h.gfste[10], "2.23.143.1.2.14");

	assert_int_equal(orsp_pkg_pe(pkg, 1, &in), ORSP_OK);
	assert_int_equal(in.type, ORSP_PE_MF);
	assert_int_equal(in.id, 4);
	assert_true(in.mandated);
	assert_int_equal(orsp_pkg_pe(pkg, 3, &in), ORSP_OK); /* value4: pinCodes, id 2 */
	assert_int_equal(in.type, ORSP_PE_PIN_CODES);
	assert_int_equal(in.id, 2);
	assert_int_equal(orsp_pkg_pe(pkg, orsp_pkg_count(pkg), &in), ORSP_E_USAGE);

	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_true(u.has_imsi);
	assert_string_equal(u.imsi, "001010123456789");
	assert_true(u.has_ad);
	assert_int_equal(u.ad_len, 4);
	assert_bytes_equal(u.ad, "\x80\x00\x00\x02", 4);
	assert_int_equal(u.mnc_len, 2);
	assert_true(u.has_spn);
	assert_int_equal(u.spn_display, 1);
	assert_string_equal(u.spn, "GSMA_TEST");
	usim = (long)u.pe_index;
	assert_int_equal(orsp_pkg_get_usim(pkg, 1, &u), ORSP_E_NOT_FOUND);

	/* The MF: EF.ICCID content, EF.DIR from three records with offsets. */
	assert_int_equal(orsp_pkg_get_files(pkg, 1, fs), ORSP_OK);
	assert_string_equal(fs->template_oid, "2.23.143.1.2.1");
	assert_int_equal(fs->n_files, 6);
	assert_string_equal(fs->files[2].name, "ef-iccid");
	assert_true(fs->files[2].has_fid);
	assert_int_equal(fs->files[2].fid, 0x2FE2);
	assert_int_equal(orsp_pkg_file_read(pkg, 1, "ef-iccid", buf, sizeof(buf), &len), ORSP_OK);
	assert_int_equal(len, 10);
	unhex("98001032547698103214", want, sizeof(want));
	assert_bytes_equal(buf, want, 10);
	assert_int_equal(orsp_pkg_file_read(pkg, 1, "ef-dir", buf, sizeof(buf), &len),
	                 ORSP_E_RESOURCE); /* 0x84 bytes do not fit in 64 */
	assert_int_equal(orsp_pkg_file_read(pkg, 1, "ef-imsi", buf, sizeof(buf), &len),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_pkg_get_files(pkg, 0, fs), ORSP_E_USAGE);
	assert_int_equal(orsp_pkg_get_files(pkg, (size_t)usim, fs), ORSP_OK);
	assert_string_equal(fs->template_oid, "2.23.143.1.2.4");

	/* Both PE-AKAParameters: usim-test-algorithm with GSMA's test K, all defaults explicit. */
	assert_int_equal(orsp_pkg_aka_count(pkg), 2);
	for (size_t i = 0; i < 2; i++) {
		orsp_milenage_consts d;
		assert_int_equal(orsp_pkg_get_aka(pkg, i, &a), ORSP_OK);
		assert_int_equal(a.id, i ? 22 : 11);
		assert_false(a.is_mapping);
		assert_int_equal(a.algorithm, ORSP_PKG_ALG_TEST);
		assert_int_equal(a.algorithm_options, 0x02);
		assert_int_equal(a.key_len, 16);
		assert_int_equal(a.opc_len, 16);
		/* The DER leaves every DEFAULT out (GSMA's dump prints them): the model supplies
		 * PEDefinitions' defaults. */
		assert_false(a.has_rotation || a.has_xoring || a.has_keccak || a.has_sqn_init ||
		             a.has_sqn_options || a.has_sqn_delta || a.has_sqn_age_limit ||
		             a.has_auth_counter_max);
		orsp_milenage_default_consts(&d);
		assert_memory_equal(&a.milenage, &d, sizeof(d));
		assert_int_equal(a.keccak, 1);
		assert_int_equal(a.sqn_options, 0x02);
		assert_int_equal(a.sqn_delta, 0x000010000000);
		assert_int_equal(a.sqn_age_limit, 0x000010000000);
		assert_int_equal(a.n_sqn_init, 32);
		assert_int_equal(orsp_pkg_get_aka_keys(pkg, i, &k, &opc), ORSP_OK);
		unhex("000102030405060708090A0B0C0D0E0F", want, sizeof(want));
		assert_int_equal(k.len, 16);
		assert_bytes_equal(k.v, want, 16);
		memset(want, 0, sizeof(want));
		assert_int_equal(opc.len, 16);
		assert_bytes_equal(opc.v, want, 16);
		orsp_secret_wipe(&k);
		orsp_secret_wipe(&opc);
	}
	assert_int_equal(orsp_pkg_get_aka(pkg, 2, &a), ORSP_E_NOT_FOUND);
	/* Each NAA's own PE-AKAParameter: the USIM's (PE #7) is #0, the ISIM's (PE #18) #1; the
	 * CSIM (PE #14) has a cdmaParameter only; the MF and the header are no NAA. */
	assert_int_equal(orsp_pkg_naa_aka(pkg, 7, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_pkg_naa_aka(pkg, 18, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_pkg_naa_aka(pkg, 14, &n), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_pkg_naa_aka(pkg, 1, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_pkg_naa_aka(pkg, 0, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_pkg_naa_aka(pkg, 99, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_pkg_naa_aka(NULL, 7, &n), ORSP_E_USAGE);

	/* PINs of value4 and PUKs of value3 (GSMA dump), without their values. */
	assert_int_equal(orsp_pkg_get_pins(pkg, pins, ORSP_ARRAY_LEN(pins), &n), ORSP_OK);
	assert_true(n >= 5 && n <= ORSP_ARRAY_LEN(pins));
	assert_true(pins[0].puk);
	assert_string_equal(orsp_pkg_pin_ref_name(pins[0].key_reference, true), "pukAppl1");
	assert_int_equal(pins[0].max_attempts, 10);
	assert_int_equal(pins[0].retries_left, 10);
	assert_string_equal(orsp_pkg_pin_ref_name(pins[1].key_reference, true), "secondPUKAppl1");
	assert_false(pins[2].puk);
	assert_string_equal(orsp_pkg_pin_ref_name(pins[2].key_reference, false), "pinAppl1");
	assert_int_equal(pins[2].value_len, 8);
	assert_true(pins[2].has_unblock);
	assert_int_equal(pins[2].unblock_reference, 1);
	assert_int_equal(pins[2].attributes, 6);
	assert_int_equal(pins[2].max_attempts, 3);
	assert_string_equal(orsp_pkg_pin_ref_name(pins[3].key_reference, false), "adm1");
	assert_string_equal(orsp_pkg_pin_ref_name(pins[4].key_reference, false), "adm2");
	/* their values, only as secrets (orsp_pkg_get_pin_value, same order) */
	{
		orsp_secret v;
		static const uint8_t puk1[8] = {0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x31};
		static const uint8_t pin1[8] = {0x30, 0x30, 0x30, 0x30, 0xFF, 0xFF, 0xFF, 0xFF};
		assert_int_equal(orsp_pkg_get_pin_value(pkg, 0, &v), ORSP_OK);
		assert_int_equal(v.len, 8);
		assert_bytes_equal(v.v, puk1, 8);
		assert_int_equal(orsp_pkg_get_pin_value(pkg, 2, &v), ORSP_OK);
		assert_bytes_equal(v.v, pin1, 8);
		assert_int_equal(orsp_pkg_get_pin_value(pkg, n, &v), ORSP_E_NOT_FOUND);
		assert_int_equal(v.len, 0);
		assert_int_equal(orsp_pkg_get_pin_value(pkg, 0, NULL), ORSP_E_USAGE);
		orsp_secret_wipe(&v);
	}
	assert_string_equal(orsp_pkg_pin_ref_name(0x8E, false), "adm10");
	assert_string_equal(orsp_pkg_pin_ref_name(10, true), "?");
	assert_string_equal(orsp_pe_type_name(ORSP_PE_OPT_USIM), "opt-usim");
	assert_string_equal(orsp_pe_type_name((orsp_pe_type)99), "unknown");
	assert_string_equal(orsp_pkg_service_name(ORSP_SVC_EAKA), "eaka");
	/* ServicesList and SGP.22's UICCCapability: same names, other order */
	{
		static const struct {
			orsp_pkg_service s;
			int bit;
			const char *name;
		} caps[] = {
		    {ORSP_SVC_USIM, 1, "usimSupport"},
		    {ORSP_SVC_MILENAGE, 4, "akaMilenage"},
		    {ORSP_SVC_TUAK128, 6, "akaTuak128"},
		    {ORSP_SVC_CAVE, 5, "akaCave"},
		    {ORSP_SVC_TUAK256, 7, "akaTuak256"},
		    {ORSP_SVC_GBA_USIM, 10, "gbaAuthenUsim"},
		    {ORSP_SVC_EAKA, 30, "eaka"},
		    {ORSP_SVC_BER_TLV, 19, "berTlvFileSupport"},
		};
		for (size_t c = 0; c < ORSP_ARRAY_LEN(caps); c++) {
			assert_int_equal(orsp_pkg_service_capability(caps[c].s), caps[c].bit);
			assert_string_equal(orsp_uicc_capability_name((unsigned)caps[c].bit),
			                    caps[c].name);
		}
		assert_int_equal(orsp_pkg_service_capability(ORSP_SVC_USIM_TEST_ALGORITHM), -1);
		assert_int_equal(orsp_pkg_service_capability(ORSP_SVC__COUNT), -1);
		assert_null(orsp_uicc_capability_name(ORSP_UICC_CAPABILITY_BITS));
		/* every service but the test algorithm has its own bit */
		for (int x = 0; x < ORSP_SVC__COUNT; x++)
			for (int y = x + 1; y < ORSP_SVC__COUNT; y++)
				if (orsp_pkg_service_capability((orsp_pkg_service)x) >= 0)
					assert_int_not_equal(
					    orsp_pkg_service_capability((orsp_pkg_service)x),
					    orsp_pkg_service_capability((orsp_pkg_service)y));
	}
	assert_int_equal(orsp_pkg_get_class(pkg), ORSP_PKG_CLASS_UNSET);
	free(fs);
	orsp_pkg_free(pkg);
}

/* ------------------------------------------------------------------ personalisation ----- */

static orsp_pkg *reload(const orsp_pkg *pkg)
{
	uint8_t *b = NULL;
	size_t n = 0;
	orsp_pkg *again = NULL;
	assert_int_equal(orsp_pkg_encode(pkg, 0, &b, &n), ORSP_OK);
	if (orsp_pkg_decode(b, n, &again) != ORSP_OK)
		fail_msg("personalised package does not decode: %s", orsp_err_detail());
	orsp_pkg_buf_free(b, n);
	if (orsp_pkg_validate(again, NULL) != ORSP_OK)
		fail_msg("personalised package does not validate: %s", orsp_err_detail());
	return again;
}

/* The PIN or PUK value for a key reference, through the test's own decoding. */
static size_t pin_value(const orsp_pkg *pkg, long ref, bool puk, uint8_t out[8])
{
	size_t found = 0;
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info in;
		ProfileElement_t *pe = NULL;
		assert_int_equal(orsp_pkg_pe(pkg, i, &in), ORSP_OK);
		if (in.type != (puk ? ORSP_PE_PUK_CODES : ORSP_PE_PIN_CODES))
			continue;
		assert_int_equal(ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&pe,
		                            in.raw.p, in.raw.len)
		                     .code,
		                 RC_OK);
		if (puk) {
			for (int j = 0; j < pe->choice.pukCodes.pukCodes.list.count; j++) {
				PUKConfiguration_t *c = pe->choice.pukCodes.pukCodes.list.array[j];
				if (c->keyReference == ref) {
					memcpy(out, c->pukValue.buf, 8);
					found++;
				}
			}
		} else if (pe->choice.pinCodes.pinCodes.present ==
		           PE_PINCodes__pinCodes_PR_pinconfig) {
			for (int j = 0;
			     j < pe->choice.pinCodes.pinCodes.choice.pinconfig.list.count; j++) {
				PINConfiguration_t *c =
				    pe->choice.pinCodes.pinCodes.choice.pinconfig.list.array[j];
				if (c->keyReference == ref) {
					memcpy(out, c->pinValue.buf, 8);
					found++;
				}
			}
		}
		ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
	}
	return found;
}

/* EF.ACC follows the IMSI's last digit, class 0 to 9 (TS 22.011 §4.2, TS 31.102 §4.2.15),
 * the template's classes 10-15 kept: every profile of a batch had the template's class. */
static void test_personalise_acc(void **state)
{
	static const struct {
		char digit;
		const char *acc;
	} cases[] = {{'0', "\x00\x01"},
	             {'3', "\x00\x08"},
	             {'7', "\x00\x80"},
	             {'8', "\x01\x00"},
	             {'9', "\x02\x00"}};
	(void)state;

	for (size_t n = 0; n < ORSP_ARRAY_LEN(cases); n++) {
		orsp_pkg *pkg = load(V7), *out;
		orsp_pkg_perso p;
		orsp_pkg_usim u;
		char imsi[16] = "00101987654321";
		uint8_t b[8];
		size_t len = 0;
		imsi[14] = cases[n].digit;
		orsp_pkg_perso_init(&p);
		p.imsi = imsi;
		assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
		out = reload(pkg);
		assert_int_equal(orsp_pkg_get_usim(out, 0, &u), ORSP_OK);
		assert_int_equal(orsp_pkg_file_read(out, u.pe_index, "ef-acc", b, sizeof(b), &len),
		                 ORSP_OK);
		assert_int_equal(len, 2);
		assert_bytes_equal(b, cases[n].acc, 2);
		orsp_pkg_free(out);
		orsp_pkg_free(pkg);
	}
}

static void test_personalise_milenage(void **state)
{
	tsv *t = tsv_load("milenage.tsv");
	orsp_pkg *pkg = load(V7), *out;
	orsp_pkg_perso p;
	orsp_pkg_header h;
	orsp_pkg_usim u;
	orsp_pkg_aka a;
	orsp_secret k, opc;
	uint8_t want_opc[16], b[64], ef[10];
	size_t len = 0;
	char iccid[21];
	(void)state;

	orsp_pkg_perso_init(&p);
	p.iccid = "8949449999999990171"; /* a valid ICCID from pySim's unique profiles */
	p.imsi = "262019876543210";
	p.mnc_len = 3;
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	p.k.len = tsv_hex(t, 0, "k", p.k.v, sizeof(p.k.v));
	p.opc.len = tsv_hex(t, 0, "op", p.opc.v, sizeof(p.opc.v));
	p.op_given = true;
	tsv_hex(t, 0, "opc", want_opc, sizeof(want_opc));
	p.set_sqn = true;
	p.sqn_options = 0x03;
	p.sqn_delta = 0x000000100000;
	p.sqn_age_limit = 0x07FFFFFFFFFF;
	p.set_sqn_init = true;
	for (int i = 0; i < 32; i++)
		p.sqn_init[i] = (uint64_t)i << 5;
	p.pin1 = "1234";
	p.pin2 = "87654321";
	p.puk1 = "11223344";
	p.adm1 = "99999999";
	p.spn = "openrsp";
	p.profile_name = "openrsp operational profile";
	p.profile_class = ORSP_PKG_CLASS_OPERATIONAL;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	out = reload(pkg);

	assert_int_equal(orsp_pkg_get_header(out, &h), ORSP_OK);
	assert_string_equal(h.iccid, "8949449999999990171");
	assert_string_equal(h.profile_type, "openrsp operational profile");
	assert_true(h.services & ORSP_SVC_BIT(ORSP_SVC_MILENAGE));
	assert_false(h.services & ORSP_SVC_BIT(ORSP_SVC_USIM_TEST_ALGORITHM));
	assert_true(h.services & ORSP_SVC_BIT(ORSP_SVC_USIM));
	assert_int_equal(orsp_pkg_file_read(out, 1, "ef-iccid", b, sizeof(b), &len), ORSP_OK);
	assert_int_equal(len, 10);
	memcpy(ef, b, 10);
	assert_int_equal(orsp_iccid_decode_ef(ef, iccid), ORSP_OK);
	assert_string_equal(iccid, "8949449999999990171");

	assert_int_equal(orsp_pkg_get_usim(out, 0, &u), ORSP_OK);
	assert_string_equal(u.imsi, "262019876543210");
	assert_int_equal(u.mnc_len, 3);
	assert_int_equal(u.ad[0], 0x80); /* the other EF.AD bytes are the template's */
	assert_string_equal(u.spn, "openrsp");
	assert_int_equal(u.spn_display, 1); /* kept from the template */
	/* EF.ACC: access class 0 of the IMSI's last digit (TS 31.102 §4.2.15 byte 2 b1) */
	assert_int_equal(orsp_pkg_file_read(out, u.pe_index, "ef-acc", b, sizeof(b), &len),
	                 ORSP_OK);
	assert_int_equal(len, 2);
	assert_bytes_equal(b, "\x00\x01", 2);

	for (size_t i = 0; i < orsp_pkg_aka_count(out); i++) {
		assert_int_equal(orsp_pkg_get_aka(out, i, &a), ORSP_OK);
		assert_int_equal(a.algorithm, ORSP_PKG_ALG_MILENAGE);
		assert_int_equal(a.algorithm_options, 0x02);                  /* kept */
		assert_false(a.has_rotation || a.has_xoring || a.has_keccak); /* defaults omitted */
		assert_int_equal(a.sqn_options, 0x03);
		assert_int_equal(a.sqn_delta, 0x000000100000);
		assert_int_equal(a.sqn_age_limit, 0x07FFFFFFFFFF);
		assert_true(a.has_sqn_init);
		assert_int_equal(a.sqn_init[31], 31u << 5);
		assert_int_equal(orsp_pkg_get_aka_keys(out, i, &k, &opc), ORSP_OK);
		assert_int_equal(k.len, 16);
		assert_bytes_equal(k.v, p.k.v, 16);
		assert_int_equal(opc.len, 16);
		assert_bytes_equal(opc.v, want_opc, 16); /* TS 35.208 set 1 OPc */
		orsp_secret_wipe(&k);
		orsp_secret_wipe(&opc);
	}
	assert_int_equal(pin_value(out, 0x01, false, b), 1);
	assert_bytes_equal(b, "1234\xFF\xFF\xFF\xFF", 8);
	assert_true(pin_value(out, 0x81, false, b) >= 1);
	assert_bytes_equal(b, "87654321", 8);
	assert_int_equal(pin_value(out, 0x01, true, b), 1);
	assert_bytes_equal(b, "11223344", 8);
	assert_int_equal(pin_value(out, 0x0A, false, b), 1);
	assert_bytes_equal(b, "99999999", 8);
	assert_int_equal(pin_value(out, 0x0B, false, b), 1);
	assert_bytes_equal(b, "66666666", 8); /* adm2 untouched (GSMA: '3636363636363636') */
	/* The class is metadata of the model, not of the encoding. */
	assert_int_equal(orsp_pkg_get_class(pkg), ORSP_PKG_CLASS_OPERATIONAL);
	assert_int_equal(orsp_pkg_get_class(out), ORSP_PKG_CLASS_UNSET);

	/* OPc given directly, custom Milenage constants, OPc kept as given. */
	orsp_pkg_perso_init(&p);
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	p.k.len = tsv_hex(t, 2, "k", p.k.v, sizeof(p.k.v));
	p.opc.len = tsv_hex(t, 2, "opc", p.opc.v, sizeof(p.opc.v));
	p.custom_consts = true;
	orsp_milenage_default_consts(&p.consts);
	p.consts.r[0] = 8;
	p.consts.c[4][15] = 0x10;
	p.algorithm_options = 0x01;
	assert_int_equal(orsp_pkg_personalise(out, &p), ORSP_OK);
	orsp_pkg_free(pkg);
	pkg = reload(out);
	assert_int_equal(orsp_pkg_get_aka(pkg, 1, &a), ORSP_OK);
	assert_true(a.has_rotation && a.has_xoring);
	assert_int_equal(a.milenage.r[0], 8);
	assert_int_equal(a.milenage.r[1], 0);
	assert_int_equal(a.milenage.c[4][15], 0x10);
	assert_int_equal(a.algorithm_options, 0x01);
	assert_int_equal(orsp_pkg_get_aka_keys(pkg, 1, &k, &opc), ORSP_OK);
	assert_bytes_equal(opc.v, p.opc.v, 16);
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&opc);
	orsp_pkg_perso_wipe(&p);
	orsp_pkg_free(out);
	orsp_pkg_free(pkg);
	tsv_free(t);
}

/* TUAK: TOP -> TOPc per TS 35.233 (tuak.tsv), 128/256-bit K and Keccak iterations. */
/* EF.AD of the PE-USIM without content (and, when arg is given, with efFileSize arg). */
static void usim_ad_size_only(ProfileElement_t *pe, void *arg)
{
	File_t *f = pe->choice.usim.ef_ad;
	assert_non_null(f);
	for (int i = f->list.count - 1; i >= 0; i--)
		if (f->list.array[i]->present == File__Member_PR_fillFileContent) {
			struct File__Member *m = f->list.array[i];
			asn_sequence_del(&f->list, i, 0);
			free(m->choice.fillFileContent.buf);
			free(m);
		}
	for (int i = 0; arg && i < f->list.count; i++)
		if (f->list.array[i]->present == File__Member_PR_fileDescriptor)
			os_new(&f->list.array[i]->choice.fileDescriptor.efFileSize,
			       (const char *)arg);
}

static void usim_ad_absent(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	assert_non_null(pe->choice.usim.ef_ad);
	ASN_STRUCT_FREE(asn_DEF_File, pe->choice.usim.ef_ad);
	pe->choice.usim.ef_ad = NULL;
}

/* An EF.AD left to the TCA template (absent, or only a size, or nothing) reads as the
 * template's '00000002': a 2-digit MNC, as the USIM serves it, not "unknown" (which would
 * let --mnc-length 3 give a profile owner the device contradicts). */
static void test_usim_mnc_len_template_ad(void **state)
{
	static char s4[] = "04", s5[] = "05";
	char *sizes[] = {s4, s5, NULL, NULL};
	(void)state;
	for (size_t k = 0; k < ORSP_ARRAY_LEN(sizes); k++) {
		pelist pl;
		orsp_pkg_usim u;
		orsp_pkg *pkg = NULL;
		size_t len;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0),
		        k == 3 ? usim_ad_absent : usim_ad_size_only, sizes[k]);
		uint8_t *b = pl_join(&pl, &len);
		assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
		assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
		assert_int_equal(u.mnc_len, 2);
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}
}

/* A File's pattern and contents: a fillPattern or repeatPattern (hex, NULL: none), then a
 * fillFileOffset (when content is given) and a fillFileContent; the file's own contents go. */
typedef struct file_pat {
	const char *fill, *repeat;
	long offset;
	const char *content;
} file_pat;

static void file_pat_set(File_t *f, const file_pat *p)
{
	Fcp_t *fcp;
	for (int i = f->list.count - 1; i >= 0; i--) {
		struct File__Member *m = f->list.array[i];
		if (m->present != File__Member_PR_fillFileContent &&
		    m->present != File__Member_PR_fillFileOffset)
			continue;
		asn_sequence_del(&f->list, i, 0);
		ASN_STRUCT_FREE(*asn_DEF_File.elements[0].type, m);
	}
	assert_int_equal(f->list.array[0]->present, File__Member_PR_fileDescriptor);
	fcp = &f->list.array[0]->choice.fileDescriptor;
	if (!fcp->proprietaryEFInfo)
		fcp->proprietaryEFInfo = calloc(1, sizeof(*fcp->proprietaryEFInfo));
	assert_non_null(fcp->proprietaryEFInfo);
	if (p->fill)
		os_new(&fcp->proprietaryEFInfo->fillPattern, p->fill);
	if (p->repeat)
		os_new(&fcp->proprietaryEFInfo->repeatPattern, p->repeat);
	if (p->content) {
		struct File__Member *o = calloc(1, sizeof(*o)), *c = calloc(1, sizeof(*c));
		assert_non_null(o);
		assert_non_null(c);
		o->present = File__Member_PR_fillFileOffset;
		o->choice.fillFileOffset = p->offset;
		c->present = File__Member_PR_fillFileContent;
		os_put(&c->choice.fillFileContent, p->content);
		assert_int_equal(ASN_SEQUENCE_ADD(&f->list, o), 0);
		assert_int_equal(ASN_SEQUENCE_ADD(&f->list, c), 0);
	}
}

/* EF.AD of the PE-USIM: 5 bytes (transparent), with the pattern arg. */
static void usim_ad_pattern(ProfileElement_t *pe, void *arg)
{
	assert_non_null(pe->choice.usim.ef_ad);
	file_size_set(pe->choice.usim.ef_ad, "05");
	file_pat_set(pe->choice.usim.ef_ad, arg);
}

/* EF.IMPU of the PE-ISIM: linear fixed, 2 records of 3 bytes, with the pattern arg. */
static void isim_impu_pattern(ProfileElement_t *pe, void *arg)
{
	Fcp_t *fcp = &pe->choice.isim.ef_impu.list.array[0]->choice.fileDescriptor;
	os_new(&fcp->fileDescriptor, "42210003");
	os_new(&fcp->efFileSize, "06");
	file_pat_set(&pe->choice.isim.ef_impu, arg);
}

/* TS 102 222 §6.3.2.2 as orsp_pkg_file_read linearises a file: a fillPattern is written once
 * and its last byte repeated to the end, a repeatPattern repeated whole, each record of a
 * linear fixed EF starting the pattern afresh; a fillFileOffset/fillFileContent goes on top
 * at its offset. An EF.AD with only a pattern defines its content (no template MNC length). */
static void test_file_patterns(void **state)
{
	static struct {
		bool records; /* EF.IMPU (2 records of 3), else EF.AD (5 bytes) */
		file_pat pat;
		const char *want;
	} cases[] = {
	    {false, {"A1B2", NULL, 0, NULL}, "A1B2B2B2B2"},
	    {false, {NULL, "A1B2", 0, NULL}, "A1B2A1B2A1"},
	    {false, {"A1B4", NULL, 0, NULL}, "A1B4B4B4B4"},
	    {false, {NULL, "A1B4", 0, NULL}, "A1B4A1B4A1"},
	    {false, {"A1B2", NULL, 2, "C3"}, "A1B2C3B2B2"},
	    {false, {NULL, "A1B2", 3, "C3D4"}, "A1B2A1C3D4"},
	    {true, {NULL, "0102", 0, NULL}, "010201010201"},
	    {true, {"A1B2", NULL, 0, NULL}, "A1B2B2A1B2B2"},
	    {true, {NULL, "0102", 4, "09"}, "010201010901"},
	};
	(void)state;
	for (size_t k = 0; k < ORSP_ARRAY_LEN(cases); k++) {
		pelist pl;
		orsp_pkg *pkg = NULL;
		uint8_t want[16], got[256];
		size_t len, wn = unhex(cases[k].want, want, sizeof(want));
		orsp_pe_type t = cases[k].records ? ORSP_PE_ISIM : ORSP_PE_USIM;
		size_t pe;
		uint8_t *b;
		pl_load(&pl, V7);
		pe = pl_find(&pl, t, 0);
		pl_edit(&pl, pe, cases[k].records ? isim_impu_pattern : usim_ad_pattern,
		        &cases[k].pat);
		b = pl_join(&pl, &len);
		if (orsp_pkg_decode(b, len, &pkg) != ORSP_OK)
			fail_msg("case %zu: %s", k, orsp_err_detail());
		assert_int_equal(orsp_pkg_file_read(pkg, pe, cases[k].records ? "ef-impu" : "ef-ad",
		                                    got, sizeof(got), &len),
		                 ORSP_OK);
		assert_int_equal(len, wn);
		if (memcmp(got, want, wn) != 0)
			fail_msg("case %zu: content differs from %s", k, cases[k].want);
		if (!cases[k].records) {
			/* defined by its pattern, so byte 4 gives the MNC length (2 or 3 in
			 * b1..b4), else none: not the template's 2 */
			orsp_pkg_usim u;
			unsigned mnc = want[3] & 0x0Fu;
			assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
			assert_true(u.has_ad);
			assert_int_equal(u.ad_len, 5);
			assert_memory_equal(u.ad, want, 5);
			assert_int_equal(u.mnc_len, mnc == 2 || mnc == 3 ? mnc : 0);
		}
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}
}

/* --mnc-len on an EF.AD the package gives only a size for (or nothing): the TCA template's
 * default content '00000002' with byte 4 set, not 'FF' bytes around the MNC length. */
static void test_personalise_mnc_len_template_ad(void **state)
{
	static char s4[] = "04", s5[] = "05", *sizes[] = {s4, s5, NULL};
	static const uint8_t want[][5] = {{0, 0, 0, 3}, {0, 0, 0, 3, 2}, {0, 0, 0, 3}};
	(void)state;
	for (size_t k = 0; k < ORSP_ARRAY_LEN(sizes); k++) {
		pelist pl;
		orsp_pkg_perso p;
		orsp_pkg_usim u;
		orsp_pkg *pkg = NULL, *out;
		size_t len;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_size_only, sizes[k]);
		uint8_t *b = pl_join(&pl, &len);
		assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
		orsp_pkg_perso_init(&p);
		p.mnc_len = 3;
		if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
			fail_msg("personalise: %s", orsp_err_detail());
		out = reload(pkg);
		assert_int_equal(orsp_pkg_get_usim(out, 0, &u), ORSP_OK);
		assert_int_equal(u.mnc_len, 3);
		assert_int_equal(u.ad_len, sizes[k] && sizes[k][1] == '5' ? 5 : 4);
		assert_bytes_equal(u.ad, want[k], u.ad_len);
		orsp_pkg_perso_wipe(&p);
		orsp_pkg_free(out);
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}
}

static void test_personalise_tuak(void **state)
{
	tsv *t = tsv_load("tuak.tsv");
	(void)state;
	for (size_t row = 0; row < tsv_rows(t); row++) {
		orsp_pkg *pkg = load(V7), *out;
		orsp_pkg_perso p;
		orsp_pkg_header h;
		orsp_pkg_aka a;
		orsp_secret k, opc;
		uint8_t topc[32];
		unsigned iters = (unsigned)strtoul(tsv_get(t, row, "keccak_iterations"), NULL, 10);

		orsp_pkg_perso_init(&p);
		p.set_aka = true;
		p.alg = ORSP_AKA_TUAK;
		p.k.len = tsv_hex(t, row, "k", p.k.v, sizeof(p.k.v));
		p.opc.len = tsv_hex(t, row, "top", p.opc.v, sizeof(p.opc.v));
		p.op_given = true;
		p.keccak = iters;
		tsv_hex(t, row, "topc", topc, sizeof(topc));
		assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
		out = reload(pkg);
		assert_int_equal(orsp_pkg_get_header(out, &h), ORSP_OK);
		assert_true(h.services &
		            ORSP_SVC_BIT(p.k.len == 32 ? ORSP_SVC_TUAK256 : ORSP_SVC_TUAK128));
		assert_false(h.services &
		             ORSP_SVC_BIT(p.k.len == 32 ? ORSP_SVC_TUAK128 : ORSP_SVC_TUAK256));
		assert_false(h.services & ORSP_SVC_BIT(ORSP_SVC_MILENAGE));
		assert_int_equal(orsp_pkg_get_aka(out, 0, &a), ORSP_OK);
		assert_int_equal(a.algorithm, ORSP_PKG_ALG_TUAK);
		assert_int_equal(a.keccak, iters);
		assert_int_equal(a.has_keccak, iters != 1);
		assert_false(a.has_rotation);
		assert_int_equal(orsp_pkg_get_aka_keys(out, 0, &k, &opc), ORSP_OK);
		assert_int_equal(k.len, p.k.len);
		assert_bytes_equal(k.v, p.k.v, k.len);
		assert_int_equal(opc.len, 32);
		assert_bytes_equal(opc.v, topc, 32);
		orsp_secret_wipe(&k);
		orsp_secret_wipe(&opc);
		orsp_pkg_perso_wipe(&p);
		orsp_pkg_free(pkg);
		orsp_pkg_free(out);
	}
	tsv_free(t);
}

/* Bad values are refused before anything changes, naming the field. */
static void test_personalise_bad_input(void **state)
{
	static const struct {
		const char *field;
		int what;
	} cases[] = {
	    {"iccid", 0},
	    {"imsi", 1},
	    {"mnc_len", 2},
	    {"k", 3},
	    {"opc", 4},
	    {"r1", 5},
	    {"k", 6},
	    {"topc", 7},
	    {"keccak", 8},
	    {"pin1", 9},
	    {"puk1", 10},
	    {"adm1", 11},
	    {"spn", 12},
	    {"profile_name", 13},
	    {"sqn", 14},
	    {"sqn_init[3]", 15},
	    {"alg", 16},
	    {"algorithm_options", 17},
	    {"spn_display", 18},
	    {"pin2", 19},
	    /* RFC 3629: a surrogate, past U+10FFFF (twice), overlong (twice) */
	    {"profile_name", 20},
	    {"profile_name", 21},
	    {"profile_name", 22},
	    {"profile_name", 23},
	    {"profile_name", 24},
	    {"sqn_delta", 25},
	};
	static const char *const bad_utf8[] = {"a\xED\xA0\x80", "\xF7\xBF\xBF\xBF",
	                                       "\xF4\x90\x80\x80", "\xE0\x80\x80",
	                                       "\xF0\x80\x80\x80\x62" /* then 'b' */};
	orsp_pkg *pkg = load(V7);
	uint8_t *before = NULL, *after = NULL;
	size_t nb = 0, na = 0;
	char longname[128];
	(void)state;

	memset(longname, 'x', 101);
	longname[101] = '\0';
	assert_int_equal(orsp_pkg_encode(pkg, 0, &before, &nb), ORSP_OK);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		orsp_pkg_perso p;
		orsp_pkg_perso_init(&p);
		p.k.len = 16;
		p.opc.len = 16;
		switch (cases[i].what) {
		case 0:
			p.iccid = "89000123456789012342";
			break;
		case 1:
			p.imsi = "12345";
			break;
		case 2:
			p.mnc_len = 4;
			break;
		case 3:
			p.set_aka = true;
			p.alg = ORSP_AKA_MILENAGE;
			p.k.len = 32;
			break;
		case 4:
			p.set_aka = true;
			p.alg = ORSP_AKA_MILENAGE;
			p.opc.len = 8;
			break;
		case 5:
			p.set_aka = true;
			p.alg = ORSP_AKA_MILENAGE;
			p.custom_consts = true;
			p.consts.r[0] = 128;
			break;
		case 6:
			p.set_aka = true;
			p.alg = ORSP_AKA_TUAK;
			p.k.len = 24;
			p.opc.len = 32;
			break;
		case 7:
			p.set_aka = true;
			p.alg = ORSP_AKA_TUAK;
			break;
		case 8:
			p.set_aka = true;
			p.alg = ORSP_AKA_TUAK;
			p.opc.len = 32;
			p.keccak = 256;
			break;
		case 9:
			p.pin1 = "12a4";
			break;
		case 10:
			p.puk1 = "1234567";
			break;
		case 11:
			p.adm1 = "123456789";
			break;
		case 12:
			p.spn = "{curly}";
			break;
		case 13:
			p.profile_name = longname;
			break;
		case 14:
			p.set_sqn = true;
			p.sqn_delta = UINT64_C(0x080000000000);
			break;
		case 15:
			p.set_sqn_init = true;
			p.sqn_init[3] = UINT64_C(0x080000000000);
			break;
		case 16:
			p.set_aka = true;
			p.alg = (orsp_aka_alg)7;
			break;
		case 17:
			p.set_aka = true;
			p.alg = ORSP_AKA_MILENAGE;
			p.algorithm_options = 256;
			break;
		case 18:
			p.spn = "x";
			p.spn_display = 300;
			break;
		case 19:
			p.pin2 = "123";
			break;
		case 25:
			p.set_sqn_delta = true;
			p.sqn_delta = UINT64_C(0x080000000000);
			break;
		default:
			p.profile_name = bad_utf8[cases[i].what - 20];
			break;
		}
		orsp_err_clear();
		if (orsp_pkg_personalise(pkg, &p) != ORSP_E_USAGE)
			fail_msg("case %s accepted", cases[i].field);
		if (strncmp(orsp_err_detail(), cases[i].field, strlen(cases[i].field)) != 0)
			fail_msg("case %s: detail \"%s\"", cases[i].field, orsp_err_detail());
	}
	/* a profile class past the last (ORSP_PKG_CLASS_OPERATIONAL, 3), or below the first:
	 * refused, naming the number */
	for (int c = -1; c <= 4; c += 5) {
		orsp_pkg_perso p;
		char d[40];
		orsp_pkg_perso_init(&p);
		p.profile_class = (orsp_pkg_class)c;
		orsp_err_clear();
		assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_USAGE);
		snprintf(d, sizeof(d), "profile_class: %d unknown", c);
		assert_string_equal(orsp_err_detail(), d);
	}
	assert_int_equal(orsp_pkg_encode(pkg, 0, &after, &na), ORSP_OK);
	assert_int_equal(na, nb);
	assert_bytes_equal(after, before, nb);
	orsp_pkg_buf_free(before, nb);
	orsp_pkg_buf_free(after, na);
	/* The edges that are characters: U+D7FF, U+E000, U+10000, U+10FFFF. */
	{
		static const char edges[] =
		    "\xED\x9F\xBF\xEE\x80\x80\xF0\x90\x80\x80\xF4\x8F\xBF\xBF";
		orsp_pkg_perso p;
		orsp_pkg_header h;
		orsp_pkg_perso_init(&p);
		p.profile_name = edges;
		assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
		assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
		assert_string_equal(h.profile_type, edges);
	}
	orsp_pkg_free(pkg);
}

/* p applied to the package pl makes: refused with `want`, the detail holding `detail`, and
 * the package encodes to the very bytes it was decoded from (nothing of p shows). p is wiped
 * and pl freed. */
static void perso_refused(pelist *pl, orsp_pkg_perso *p, orsp_err want, const char *detail)
{
	orsp_pkg *pkg = NULL;
	uint8_t *b, *out = NULL;
	size_t len, out_len = 0;

	b = pl_join(pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_personalise(pkg, p), want);
	assert_detail_has(detail);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &out_len), ORSP_OK);
	assert_int_equal(out_len, len);
	assert_bytes_equal(out, b, len);
	orsp_pkg_buf_free(out, out_len);
	orsp_pkg_perso_wipe(p);
	orsp_pkg_free(pkg);
	free(b);
	pl_free(pl);
}

/* A template lacking what is asked for: nothing changes, not even what came first. */
static void test_personalise_all_or_nothing(void **state)
{
	pelist pl;
	uint8_t *b, *out = NULL;
	size_t len, out_len = 0;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	(void)state;

	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_USIM, 0));
	orsp_pkg_perso_init(&p);
	p.iccid = "8949449999999990171"; /* applied first */
	p.imsi = "001010000000001";      /* no PE-USIM: fails */
	perso_refused(&pl, &p, ORSP_E_NOT_FOUND, "PE-USIM");

	/* A PUK reference the template does not define: the ICCID, IMSI, keys and PIN1 are
	 * written into the working copy first (PINs before PUKs), and none of it must show. */
	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_PUK_CODES, 0));
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.iccid = "8949449999999990171";
	p.imsi = "001010000000001";
	p.pin1 = "4321";
	p.puk2 = "12345678"; /* fails */
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	assert_detail_has("secondPUKAppl1");
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &out_len), ORSP_OK);
	assert_int_equal(out_len, len);
	assert_bytes_equal(out, b, len);
	orsp_pkg_buf_free(out, out_len);
	/* ... and the same values without the failing one do change it (the test can see). */
	p.puk2 = NULL;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &out_len), ORSP_OK);
	assert_true(out_len != len || memcmp(out, b, len) != 0);
	orsp_pkg_buf_free(out, out_len);
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
}

/* ------------------------------------------------------------------ security domains ---- */

/* The TS.48 v7 MNO-SD's keyList (GSMA's value notation, .txt next to the .der): three DES
 * and three AES keys, KVN 01 and 02, KID 01..03, every keyData 000102...0F. */
static const struct {
	uint8_t kvn, kid, type;
} ts48_sd_keys[6] = {{1, 1, 0x80}, {1, 2, 0x80}, {1, 3, 0x80},
                     {2, 1, 0x88}, {2, 2, 0x88}, {2, 3, 0x88}};

/* The package as PE encodings (the test's own view of it). */
static void pl_of_pkg(pelist *pl, const orsp_pkg *pkg)
{
	pl_from(pl, pkg);
}

/* Every keyData of PE i, through the test's own decoding, into out[] (16 bytes each). */
static size_t sd_key_data(const pelist *pl, size_t i, uint8_t out[][16], size_t cap)
{
	ProfileElement_t *pe = NULL;
	size_t n = 0;
	KeyObject_t *ko;
	assert_int_equal(
	    ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&pe, pl->p[i], pl->len[i])
	        .code,
	    RC_OK);
	assert_non_null(pe->choice.securityDomain.keyList);
	for (int j = 0; j < pe->choice.securityDomain.keyList->list.count; j++) {
		ko = pe->choice.securityDomain.keyList->list.array[j];
		for (int c = 0; c < ko->keyComponents.list.count; c++, n++) {
			OCTET_STRING_t *d = &ko->keyComponents.list.array[c]->keyData;
			assert_true(n < cap);
			assert_int_equal(d->size, 16);
			memcpy(out[n], d->buf, 16);
		}
	}
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
	return n;
}

/* PE i with every keyData replaced by 00..0F, re-encoded: what is left of a security domain
 * once its key values are set aside. */
static void sd_keys_zero(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	for (int j = 0; j < pe->choice.securityDomain.keyList->list.count; j++) {
		KeyObject_t *ko = pe->choice.securityDomain.keyList->list.array[j];
		for (int c = 0; c < ko->keyComponents.list.count; c++)
			os_put(&ko->keyComponents.list.array[c]->keyData,
			       "000102030405060708090A0B0C0D0E0F");
	}
}

static void test_personalise_sd_keys(void **state)
{
	orsp_pkg *tpl = load(V7), *pkg[2] = {load(V7), load(V7)};
	uint8_t keys[3][8][16];
	orsp_pkg_sd_key info[8];
	orsp_pkg_perso p;
	pelist tl, pl[2], kept;
	size_t sd, n = 0;
	(void)state;

	pl_of_pkg(&tl, tpl);
	sd = pl_find(&tl, ORSP_PE_SECURITY_DOMAIN, 0);
	assert_int_equal(sd_key_data(&tl, sd, keys[2], 8), 6);
	/* what the template holds, as the summary lists it */
	assert_int_equal(orsp_pkg_get_sd_keys(tpl, info, ORSP_ARRAY_LEN(info), &n), ORSP_OK);
	assert_int_equal(n, 6);
	for (size_t k = 0; k < 6; k++) {
		assert_int_equal(info[k].pe_index, sd);
		assert_int_equal(info[k].sd, 1);
		assert_int_equal(info[k].key, k);
		assert_int_equal(info[k].component, 0);
		assert_int_equal(info[k].kvn, ts48_sd_keys[k].kvn);
		assert_int_equal(info[k].kid, ts48_sd_keys[k].kid);
		assert_int_equal(info[k].type, ts48_sd_keys[k].type);
		assert_int_equal(info[k].kind, ts48_sd_keys[k].type == 0x80 ? ORSP_PKG_SD_KEY_DES
		                                                            : ORSP_PKG_SD_KEY_AES);
		assert_int_equal(info[k].len, 16);
	}

	/* Two personalisations of one template: every symmetric key new, and different in
	 * each; every other byte of the package the template's. */
	orsp_pkg_perso_init(&p);
	assert_false(p.sd_keys); /* the library keeps them unless asked */
	p.sd_keys = true;
	for (size_t v = 0; v < 2; v++) {
		orsp_pkg *again;
		assert_int_equal(orsp_pkg_personalise(pkg[v], &p), ORSP_OK);
		again = reload(pkg[v]); /* decodes and validates */
		orsp_pkg_free(again);
		pl_of_pkg(&pl[v], pkg[v]);
		assert_int_equal(pl[v].n, tl.n);
		for (size_t i = 0; i < tl.n; i++) {
			if (i == sd)
				continue;
			assert_int_equal(pl[v].len[i], tl.len[i]);
			assert_bytes_equal(pl[v].p[i], tl.p[i], tl.len[i]);
		}
		assert_int_equal(sd_key_data(&pl[v], sd, keys[v], 8), 6);
		/* the security domain itself is the template's but for the key values */
		pl_edit(&pl[v], sd, sd_keys_zero, NULL);
		assert_int_equal(pl[v].len[sd], tl.len[sd]);
		assert_bytes_equal(pl[v].p[sd], tl.p[sd], tl.len[sd]);
		/* the summary is unchanged, and the key data it gives is the package's */
		assert_int_equal(orsp_pkg_get_sd_keys(pkg[v], info, ORSP_ARRAY_LEN(info), &n),
		                 ORSP_OK);
		assert_int_equal(n, 6);
		for (size_t k = 0; k < 6; k++) {
			orsp_secret d;
			assert_int_equal(info[k].kvn, ts48_sd_keys[k].kvn);
			assert_int_equal(info[k].kid, ts48_sd_keys[k].kid);
			assert_int_equal(info[k].len, 16);
			assert_int_equal(orsp_pkg_get_sd_key_data(pkg[v], &info[k], &d), ORSP_OK);
			assert_int_equal(d.len, 16);
			assert_bytes_equal(d.v, keys[v][k], 16);
			orsp_secret_wipe(&d);
		}
	}
	for (size_t k = 0; k < 6; k++) {
		assert_true(memcmp(keys[0][k], keys[2][k], 16) != 0);
		assert_true(memcmp(keys[1][k], keys[2][k], 16) != 0);
		assert_true(memcmp(keys[0][k], keys[1][k], 16) != 0);
		for (size_t o = 0; o < k; o++)
			assert_true(memcmp(keys[0][k], keys[0][o], 16) != 0);
		/* DES keys with odd parity (FIPS 46-3) */
		for (size_t i = 0; ts48_sd_keys[k].type == 0x80 && i < 16; i++)
			assert_int_equal(__builtin_popcount(keys[0][k][i]) & 1, 1);
	}
	/* Without sd_keys the keys stay the template's: a personalisation as `smdp profile
	 * generate --keep-sd-keys` makes one (ICCID, IMSI and its IMS identity, K/OPc,
	 * PUKs and ADMs, SPN, name) leaves the security domain as it was, and every key reads
	 * back as the template's. */
	{
		uint8_t k[16], opc[16];
		memset(k, 0x5A, sizeof(k));
		memset(opc, 0xA5, sizeof(opc));
		orsp_pkg_perso_init(&p);
		p.iccid = "8949449999999990171";
		p.imsi = "001019000000000";
		p.ims_mnc_len = 2;
		p.set_aka = true;
		p.alg = ORSP_AKA_MILENAGE;
		assert_int_equal(orsp_secret_set(&p.k, k, 16), ORSP_OK);
		assert_int_equal(orsp_secret_set(&p.opc, opc, 16), ORSP_OK);
		p.puk1 = "12345678";
		p.puk2 = "23456789";
		p.adm1 = "34567890";
		p.spn = "Gen";
		p.profile_name = "Generated";
		assert_int_equal(orsp_pkg_personalise(tpl, &p), ORSP_OK);
		orsp_pkg_perso_wipe(&p);
		orsp_wipe(k, sizeof(k));
		orsp_wipe(opc, sizeof(opc));
	}
	pl_of_pkg(&kept, tpl);
	assert_int_equal(kept.len[sd], tl.len[sd]);
	assert_bytes_equal(kept.p[sd], tl.p[sd], tl.len[sd]);
	pl_free(&kept);
	assert_int_equal(orsp_pkg_get_sd_keys(tpl, info, ORSP_ARRAY_LEN(info), &n), ORSP_OK);
	assert_int_equal(n, 6);
	for (size_t k = 0; k < 6; k++) {
		orsp_secret d;
		assert_int_equal(orsp_pkg_get_sd_key_data(tpl, &info[k], &d), ORSP_OK);
		assert_int_equal(d.len, 16);
		assert_bytes_equal(d.v, keys[2][k], 16);
		orsp_secret_wipe(&d);
	}
	for (size_t v = 0; v < 2; v++) {
		pl_free(&pl[v]);
		orsp_pkg_free(pkg[v]);
	}
	pl_free(&tl);
	orsp_pkg_free(tpl);
	orsp_wipe(keys, sizeof(keys));
}

typedef struct sd_key_edit {
	size_t key;       /* KeyObject index */
	const char *type; /* keyType (hex), NULL keeps it */
	const char *data; /* keyData (hex), NULL keeps it */
	const char *kvn;  /* keyVersionNumber (hex), NULL keeps it */
} sd_key_edit;

static void sd_key_set(ProfileElement_t *pe, void *arg)
{
	const sd_key_edit *ed = arg;
	KeyObject_t *ko = pe->choice.securityDomain.keyList->list.array[ed->key];
	if (ed->type)
		os_put(&ko->keyComponents.list.array[0]->keyType, ed->type);
	if (ed->data)
		os_put(&ko->keyComponents.list.array[0]->keyData, ed->data);
	if (ed->kvn)
		os_put(&ko->keyVersionNumber, ed->kvn);
}

static void test_personalise_sd_keys_kinds(void **state)
{
	static const struct {
		sd_key_edit ed;
		const char *refused; /* NULL: personalised, the edited key kept */
	} cases[] = {
	    /* public keys and what is not a key type: kept as they are */
	    {{3, "B0", NULL, NULL}, NULL},
	    {{0, "A1", NULL, NULL}, NULL},
	    {{5, "F0", NULL, NULL}, NULL},
	    {{1, "8800", NULL, NULL}, NULL},
	    /* private keys cannot be drawn */
	    {{4, "B1", NULL, NULL}, "private key"},
	    {{2, "A3", NULL, NULL}, "private key"},
	    /* lengths the type does not allow */
	    {{3, NULL, "000102030405060708090A0B0C0D0E0F1011121314", NULL}, "AES needs"},
	    {{0, NULL, "00010203040506", NULL}, "DES needs"},
	    {{1, "85", "0001020304050607", NULL}, "16 to 64 bytes"},
	    {{2, "90", "00", NULL}, "16 to 64 bytes"},
	    /* KVN 01 KID 01 twice */
	    {{3, NULL, NULL, "01"}, "two symmetric keys with KVN 01 KID 01"},
	};
	(void)state;

	for (size_t t = 0; t < ORSP_ARRAY_LEN(cases); t++) {
		pelist pl;
		uint8_t *b, *out = NULL, before[8][16], after[8][16];
		size_t len, out_len = 0, sd;
		orsp_pkg *pkg = NULL;
		orsp_pkg_perso p;
		sd_key_edit ed = cases[t].ed;
		orsp_err e;

		pl_load(&pl, V7);
		sd = pl_find(&pl, ORSP_PE_SECURITY_DOMAIN, 0);
		pl_edit(&pl, sd, sd_key_set, &ed);
		b = pl_join(&pl, &len);
		assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
		orsp_pkg_perso_init(&p);
		p.iccid = "8949449999999990171"; /* applied before the keys */
		p.sd_keys = true;
		e = orsp_pkg_personalise(pkg, &p);
		if (cases[t].refused) {
			if (e != ORSP_E_POLICY)
				fail_msg("case %zu: %s", t, orsp_err_detail());
			assert_detail_has(cases[t].refused);
			assert_detail_has("(securityDomain)");
			/* all or nothing: the package is unchanged */
			assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &out_len), ORSP_OK);
			assert_int_equal(out_len, len);
			assert_bytes_equal(out, b, len);
			orsp_pkg_buf_free(out, out_len);
		} else {
			pelist after_pl;
			if (e != ORSP_OK)
				fail_msg("case %zu: %s", t, orsp_err_detail());
			pl_of_pkg(&after_pl, pkg);
			assert_int_equal(sd_key_data(&pl, sd, before, 8), 6);
			assert_int_equal(sd_key_data(&after_pl, sd, after, 8), 6);
			for (size_t k = 0; k < 6; k++)
				assert_int_equal(memcmp(before[k], after[k], 16) == 0,
				                 k == cases[t].ed.key);
			pl_free(&after_pl);
		}
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}
}

/* ------------------------------------------------------------------ CDMA keys ----------- */

#define TS48_SUCI "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der"

/* The five CDMA values of a PE-CDMAParameter, through the test's own decoding; GSMA's value
 * notation of TS.48 v7 (value18): A-Key 00000000FFFFFFFF, SSD 0123...CDEF twice, and an
 * HRPD, Simple IP (one NAI) and Mobile IP (one NAI, MN-AAA and MN-HA) block, each secret 16
 * bytes. */
typedef struct cdma_vals {
	size_t len[5];
	uint8_t v[5][64];
} cdma_vals;

static void cdma_read(const pelist *pl, size_t i, cdma_vals *out)
{
	ProfileElement_t *pe = NULL;
	PE_CDMAParameter_t *c;
	const OCTET_STRING_t *os[5];
	assert_int_equal(
	    ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&pe, pl->p[i], pl->len[i])
	        .code,
	    RC_OK);
	assert_int_equal(pe->present, ProfileElement_PR_cdmaParameter);
	c = &pe->choice.cdmaParameter;
	os[0] = &c->authenticationKey;
	os[1] = c->ssd;
	os[2] = c->hrpdAccessAuthenticationData;
	os[3] = c->simpleIPAuthenticationData;
	os[4] = c->mobileIPAuthenticationData;
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < 5; k++) {
		assert_non_null(os[k]);
		assert_true((size_t)os[k]->size <= sizeof(out->v[k]));
		out->len[k] = (size_t)os[k]->size;
		memcpy(out->v[k], os[k]->buf, out->len[k]);
	}
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
}

/* Bit b (from the most significant of byte 0) of p. */
static unsigned bit_at(const uint8_t *p, size_t b)
{
	return (p[b / 8] >> (7 - b % 8)) & 1u;
}

/* The 16-byte secret at bit offset `at` of p. */
static void secret_at(const uint8_t *p, size_t at, uint8_t out[16])
{
	memset(out, 0, 16);
	for (size_t b = 0; b < 128; b++)
		out[b / 8] |= (uint8_t)(bit_at(p, at + b) << (7 - b % 8));
}

/* Where TS.48's blocks hold their secrets (C.S0016 §4.5.7.10, .7, .8): after HRPD's 5-bit
 * length; after Simple IP's NUM_NAI, NAI_ENTRY_INDEX and SS_LENGTH (13 bits); Mobile IP's
 * MN-AAA_SS there too and its MN-HA_SS after a second 5-bit length. */
static const struct {
	size_t field, at;
} cdma_secrets[4] = {{2, 5}, {3, 13}, {4, 13}, {4, 146}};

static bool in_secret(size_t field, size_t b)
{
	for (size_t s = 0; s < ORSP_ARRAY_LEN(cdma_secrets); s++)
		if (cdma_secrets[s].field == field && b >= cdma_secrets[s].at &&
		    b < cdma_secrets[s].at + 128)
			return true;
	return false;
}

static void cdma_hrpd_len31(ProfileElement_t *pe, void *arg)
{
	(void)arg; /* SS_LENGTH 31 in 17 bytes */
	os_put(pe->choice.cdmaParameter.hrpdAccessAuthenticationData,
	       "F808101820283038404880889098A0A8B0");
}
static void cdma_mobile_ip_trailing(ProfileElement_t *pe, void *arg)
{
	(void)arg; /* TS.48's Mobile IP block and one byte more after it */
	os_put(pe->choice.cdmaParameter.mobileIPAuthenticationData,
	       "108008101820283038404880889098A0A8B4004080C1014181C20244044484C505458000");
}
static void cdma_simple_ip_two_nai(ProfileElement_t *pe, void *arg)
{
	(void)arg; /* NUM_NAI 2 with one NAI's bytes */
	os_put(pe->choice.cdmaParameter.simpleIPAuthenticationData,
	       "208008101820283038404880889098A0A8B0");
}

/* cdma_keys: the A-Key, the SSD and the shared secrets of the HRPD, Simple IP and Mobile IP
 * blocks are drawn per personalisation (a TS.48 template's are published test values, and
 * every card made from it had them), everything else of the PE kept; a block that does not
 * follow C.S0016 is refused with the package unchanged; without cdma_keys they stay. */
static void test_personalise_cdma_keys(void **state)
{
	static const pe_edit_fn bad[] = {cdma_hrpd_len31, cdma_mobile_ip_trailing,
	                                 cdma_simple_ip_two_nai};
	static const char *const bad_field[] = {"hrpdAccessAuthenticationData",
	                                        "mobileIPAuthenticationData",
	                                        "simpleIPAuthenticationData"};
	orsp_pkg *tpl = load(TS48_SUCI), *pkg[2] = {load(TS48_SUCI), load(TS48_SUCI)};
	cdma_vals t, v[2];
	orsp_pkg_cdma info;
	orsp_pkg_perso p;
	pelist tl, pl[2];
	size_t ci;
	(void)state;

	pl_of_pkg(&tl, tpl);
	ci = pl_find(&tl, ORSP_PE_CDMA_PARAMETER, 0);
	assert_int_equal(ci, 17);
	cdma_read(&tl, ci, &t);
	assert_int_equal(orsp_pkg_get_cdma(tpl, 0, &info), ORSP_OK);
	assert_int_equal(info.pe_index, ci);
	assert_int_equal(info.a_key_len, 8);
	assert_int_equal(info.ssd_len, 16);
	assert_int_equal(info.hrpd_len, 17);
	assert_int_equal(info.simple_ip_len, 18);
	assert_int_equal(info.mobile_ip_len, 35);
	assert_int_equal(info.n_secrets, 5);
	assert_int_equal(orsp_pkg_get_cdma(tpl, 1, &info), ORSP_E_NOT_FOUND);

	orsp_pkg_perso_init(&p);
	assert_false(p.cdma_keys); /* the library keeps them unless asked */
	p.cdma_keys = true;
	for (size_t k = 0; k < 2; k++) {
		orsp_pkg *again;
		assert_int_equal(orsp_pkg_personalise(pkg[k], &p), ORSP_OK);
		again = reload(pkg[k]); /* decodes and validates */
		assert_int_equal(orsp_pkg_validate_flags(again, ORSP_PKG_VALIDATE_INSTALL, NULL),
		                 ORSP_OK);
		orsp_pkg_free(again);
		pl_of_pkg(&pl[k], pkg[k]);
		assert_int_equal(pl[k].n, tl.n);
		for (size_t i = 0; i < tl.n; i++) {
			if (i == ci)
				continue;
			assert_int_equal(pl[k].len[i], tl.len[i]);
			assert_bytes_equal(pl[k].p[i], tl.p[i], tl.len[i]);
		}
		assert_true(pl[k].len[ci] != tl.len[ci] ||
		            memcmp(pl[k].p[ci], tl.p[ci], tl.len[ci]) != 0);
		cdma_read(&pl[k], ci, &v[k]);
		/* lengths, NAI counts and indexes, secret lengths, reserved bits: the template's */
		for (size_t f = 0; f < 5; f++) {
			assert_int_equal(v[k].len[f], t.len[f]);
			for (size_t b = 0; f >= 2 && b < 8 * t.len[f]; b++)
				if (!in_secret(f, b) && bit_at(v[k].v[f], b) != bit_at(t.v[f], b))
					fail_msg("field %zu bit %zu changed", f, b);
		}
	}
	/* every secret new, and different in each package */
	for (size_t f = 0; f < 2; f++) {
		assert_true(memcmp(v[0].v[f], t.v[f], t.len[f]) != 0);
		assert_true(memcmp(v[1].v[f], t.v[f], t.len[f]) != 0);
		assert_true(memcmp(v[0].v[f], v[1].v[f], t.len[f]) != 0);
	}
	for (size_t s = 0; s < ORSP_ARRAY_LEN(cdma_secrets); s++) {
		uint8_t a[16], b[16], c[16];
		size_t f = cdma_secrets[s].field, at = cdma_secrets[s].at;
		secret_at(t.v[f], at, a);
		secret_at(v[0].v[f], at, b);
		secret_at(v[1].v[f], at, c);
		assert_true(memcmp(a, b, 16) != 0);
		assert_true(memcmp(a, c, 16) != 0);
		assert_true(memcmp(b, c, 16) != 0);
	}

	/* a block that does not follow C.S0016: refused, naming it, the package unchanged */
	for (size_t k = 0; k < ORSP_ARRAY_LEN(bad); k++) {
		pelist bl;
		uint8_t *b, *out = NULL;
		size_t len, out_len = 0;
		orsp_pkg *bp = NULL;
		pl_load(&bl, TS48_SUCI);
		pl_edit(&bl, ci, bad[k], NULL);
		b = pl_join(&bl, &len);
		assert_int_equal(orsp_pkg_decode(b, len, &bp), ORSP_OK);
		orsp_pkg_perso_init(&p);
		p.iccid = "8949449999999990171"; /* applied before the keys */
		p.cdma_keys = true;
		assert_int_equal(orsp_pkg_personalise(bp, &p), ORSP_E_POLICY);
		assert_detail_has("PE #17 (cdmaParameter)");
		assert_detail_has(bad_field[k]);
		assert_detail_has("C.S0016");
		assert_int_equal(orsp_pkg_encode(bp, 0, &out, &out_len), ORSP_OK);
		assert_int_equal(out_len, len);
		assert_bytes_equal(out, b, len);
		orsp_pkg_buf_free(out, out_len);
		orsp_pkg_free(bp);
		free(b);
		pl_free(&bl);
	}

	/* without cdma_keys (a personalisation of everything else) the PE is the template's */
	{
		uint8_t k[16], opc[16];
		pelist kept;
		memset(k, 0x5A, sizeof(k));
		memset(opc, 0xA5, sizeof(opc));
		orsp_pkg_perso_init(&p);
		p.iccid = "8949449999999990171";
		p.imsi = "001019000000000";
		p.set_aka = true;
		p.alg = ORSP_AKA_MILENAGE;
		assert_int_equal(orsp_secret_set(&p.k, k, 16), ORSP_OK);
		assert_int_equal(orsp_secret_set(&p.opc, opc, 16), ORSP_OK);
		p.sd_keys = true;
		assert_int_equal(orsp_pkg_personalise(tpl, &p), ORSP_OK);
		orsp_pkg_perso_wipe(&p);
		pl_of_pkg(&kept, tpl);
		assert_int_equal(kept.len[ci], tl.len[ci]);
		assert_bytes_equal(kept.p[ci], tl.p[ci], tl.len[ci]);
		pl_free(&kept);
	}
	for (size_t k = 0; k < 2; k++) {
		pl_free(&pl[k]);
		orsp_pkg_free(pkg[k]);
	}
	pl_free(&tl);
	orsp_pkg_free(tpl);
	orsp_wipe(&t, sizeof(t));
	orsp_wipe(v, sizeof(v));
}

static void aka_sqn_options_03(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	os_new(&pe->choice.akaParameter.sqnOptions, "03");
}
static void aka_sqn_age_1001(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	os_new(&pe->choice.akaParameter.sqnAgeLimit, "000000001001");
}

/* set_sqn_delta changes sqnDelta alone: each PE-AKAParameter keeps its own sqnOptions and
 * sqnAgeLimit (the CLI's --sqn-delta once copied the first PE's into every one). */
static void test_personalise_sqn_delta(void **state)
{
	pelist pl;
	uint8_t *b;
	size_t len;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	orsp_pkg_aka a0, a1;
	orsp_pkg_header h;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_AKA_PARAMETER, 0), aka_sqn_options_03, NULL);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_AKA_PARAMETER, 1), aka_sqn_age_1001, NULL);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_aka_count(pkg), 2);
	orsp_pkg_perso_init(&p);
	p.set_sqn_delta = true;
	p.sqn_delta = 1000;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_get_aka(pkg, 0, &a0), ORSP_OK);
	assert_int_equal(orsp_pkg_get_aka(pkg, 1, &a1), ORSP_OK);
	assert_int_equal(a0.sqn_delta, 1000);
	assert_int_equal(a1.sqn_delta, 1000);
	assert_int_equal(a0.sqn_options, 0x03);
	assert_int_equal(a1.sqn_options, 0x02);
	assert_false(a1.has_sqn_options);
	assert_int_equal(a0.sqn_age_limit, 0x000010000000);
	assert_false(a0.has_sqn_age_limit);
	assert_int_equal(a1.sqn_age_limit, 0x1001);
	/* no keys set: each algoParameter keeps TS.48's usim-test-algorithm, and the header
	 * its service (the algorithm services follow the algoParameters, which set_aka alone
	 * rewrites to milenage or tuak) */
	assert_int_equal(a0.algorithm, ORSP_PKG_ALG_TEST);
	assert_int_equal(a1.algorithm, ORSP_PKG_ALG_TEST);
	assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
	assert_true(h.services & ORSP_SVC_BIT(ORSP_SVC_USIM_TEST_ALGORITHM));
	assert_false(h.services & ORSP_SVC_BIT(ORSP_SVC_MILENAGE));
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
}

static void usim_spn_size(ProfileElement_t *pe, void *arg)
{
	file_size_set(&pe->choice.usim.ef_spn, (const char *)arg);
}

/* EF.SPN is written to its efFileSize, whatever the length of that field (TS 31.102 §4.2.12
 * fixes 17 bytes, a template may say otherwise): '000A' is 10 bytes, not 17. */
static void test_personalise_spn_size(void **state)
{
	static const struct {
		const char *size_hex;
		size_t size;
	} cases[] = {{"000A", 10}, {"14", 20}, {"0011", 17}};
	(void)state;

	for (size_t c = 0; c < ORSP_ARRAY_LEN(cases); c++) {
		pelist pl;
		uint8_t *b, buf[64], want[64];
		size_t len, n = 0;
		orsp_pkg *pkg = NULL;
		orsp_pkg_perso p;
		orsp_pkg_usim u;

		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_spn_size,
		        (void *)(uintptr_t)cases[c].size_hex);
		b = pl_join(&pl, &len);
		assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
		orsp_pkg_perso_init(&p);
		p.spn = "abc";
		assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
		assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
		assert_int_equal(
		    orsp_pkg_file_read(pkg, u.pe_index, "ef-spn", buf, sizeof(buf), &n), ORSP_OK);
		assert_int_equal(n, cases[c].size);
		memset(want, 0xFF, sizeof(want));
		memcpy(want,
		       "\x01"
		       "abc",
		       4); /* the template's display condition 01, then GSM 7-bit 'abc' */
		assert_bytes_equal(buf, want, n);
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}
}

/* ------------------------------------------------------------------ ISIM identity ------- */

/* TS 23.003 §13.2-13.4B: the IMS identity derived from an IMSI. Its own example (§13.2): IMSI
 * 234150999999999 with the 2-digit MNC 15 gives ims.mnc015.mcc234.3gppnetwork.org. */
static void test_ims_identity(void **state)
{
	orsp_ims_identity id;
	uint8_t ef[64], want[64];
	char text[64];
	(void)state;

	assert_int_equal(orsp_ims_identity_derive("234150999999999", 2, &id), ORSP_OK);
	assert_string_equal(id.domain, "ims.mnc015.mcc234.3gppnetwork.org");
	assert_string_equal(id.impi, "234150999999999@ims.mnc015.mcc234.3gppnetwork.org");
	assert_string_equal(id.impu, "sip:234150999999999@ims.mnc015.mcc234.3gppnetwork.org");
	/* a 3-digit MNC is taken as it is */
	assert_int_equal(orsp_ims_identity_derive("310150123456789", 3, &id), ORSP_OK);
	assert_string_equal(id.impi, "310150123456789@ims.mnc150.mcc310.3gppnetwork.org");
	assert_int_equal(orsp_ims_identity_derive("310150123456789", 4, &id), ORSP_E_USAGE);
	assert_int_equal(orsp_ims_identity_derive("31015", 2, &id), ORSP_E_USAGE);
	assert_int_equal(orsp_ims_identity_derive("31015012345678a", 2, &id), ORSP_E_USAGE);
	assert_int_equal(orsp_ims_identity_derive("3101501234567890", 2, &id), ORSP_E_USAGE);

	/* TS 31.103 §4.2.3 EF.DOMAIN: '80', length, text, 'FF' to the size */
	assert_int_equal(orsp_ims_encode_ef("ims.mnc015.mcc234.3gppnetwork.org", ef, 36), ORSP_OK);
	unhex("8021696D732E6D6E633031352E6D63633233342E336770706E6574776F726B2E6F7267FF", want,
	      sizeof(want));
	assert_bytes_equal(ef, want, 36);
	assert_int_equal(orsp_ims_encode_ef("ims.mnc015.mcc234.3gppnetwork.org", ef, 34),
	                 ORSP_E_USAGE);
	assert_detail_has("35 bytes needed (tag '80' TLV), 34 available");
	/* NULL is the empty text */
	assert_int_equal(orsp_ims_encode_ef(NULL, ef, 4), ORSP_OK);
	assert_bytes_equal(ef, ((const uint8_t[]){0x80, 0x00, 0xFF, 0xFF}), 4);
	/* GSMA TS.48's EF.IMPI and EF.IMPU record 1 (value notation dump) */
	unhex("801D30303130313031323334353637383940746573742E336770702E636F6DFF", want,
	      sizeof(want));
	assert_int_equal(orsp_ims_decode_ef(want, 32, text, sizeof(text)), ORSP_OK);
	assert_string_equal(text, "001010123456789@test.3gpp.com");
	assert_int_equal(orsp_ims_decode_ef(want, 20, text, sizeof(text)), ORSP_E_MALFORMED);
	assert_int_equal(orsp_ims_decode_ef(want, 32, text, 29), ORSP_E_RESOURCE);
	memset(ef, 0xFF, sizeof(ef));
	assert_int_equal(orsp_ims_decode_ef(ef, sizeof(ef), text, sizeof(text)), ORSP_E_NOT_FOUND);
	unhex("80036101FF", want, sizeof(want)); /* a control character */
	assert_int_equal(orsp_ims_decode_ef(want, 5, text, sizeof(text)), ORSP_E_MALFORMED);
	unhex("8103616263", want, sizeof(want)); /* another tag */
	assert_int_equal(orsp_ims_decode_ef(want, 5, text, sizeof(text)), ORSP_E_MALFORMED);
}

/* The three ISIM files of PE-ISIM #0 of pkg, as the package defines them. */
static void isim_files(const orsp_pkg *pkg, uint8_t impi[256], size_t *impi_len,
                       uint8_t domain[256], size_t *domain_len, uint8_t impu[256], size_t *impu_len)
{
	orsp_pkg_isim is;
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_int_equal(orsp_pkg_file_read(pkg, is.pe_index, "ef-impi", impi, 256, impi_len),
	                 ORSP_OK);
	assert_int_equal(orsp_pkg_file_read(pkg, is.pe_index, "ef-domain", domain, 256, domain_len),
	                 ORSP_OK);
	assert_int_equal(orsp_pkg_file_read(pkg, is.pe_index, "ef-impu", impu, 256, impu_len),
	                 ORSP_OK);
}

/* EF.AD of 3 bytes (TS 51.011's, byte 4 optional there): its content and its efFileSize, 3
 * (without a size the file is the template's 4 bytes, the content on its 00000002). */
static void usim_ad_3_bytes(ProfileElement_t *pe, void *arg)
{
	File_t *f = pe->choice.usim.ef_ad;
	(void)arg;
	assert_non_null(f);
	for (int i = 0; i < f->list.count; i++) {
		if (f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_put(&f->list.array[i]->choice.fillFileContent, "800000");
		if (f->list.array[i]->present == File__Member_PR_fileDescriptor)
			os_new(&f->list.array[i]->choice.fileDescriptor.efFileSize, "03");
	}
}

static void isim_impu_records(ProfileElement_t *pe, void *arg)
{
	Fcp_t *fcp = &pe->choice.isim.ef_impu.list.array[0]->choice.fileDescriptor;
	os_new(&fcp->fileDescriptor, (const char *)arg);
	os_new(&fcp->efFileSize, "60");
}

static void isim_impu_size(ProfileElement_t *pe, void *arg)
{
	file_size_set(&pe->choice.isim.ef_impu, (const char *)arg);
}

/* Personalising an IMSI gives every PE-ISIM the TS 23.003 §13 identity of that IMSI
 * (TS 31.103 EF.IMPI, EF.DOMAIN, EF.IMPU record 1; the other records cleared): before, the
 * template's identity stayed in every profile. */
static void test_personalise_isim(void **state)
{
	static const char impi_015[] = "803132333431353039393939393939393940696D732E6D6E633031352E"
	                               "6D63633233342E336770706E6574776F726B2E6F7267";
	static const char dom_015[] = "8021696D732E6D6E633031352E6D63633233342E336770706E6574776F"
	                              "726B2E6F7267";
	static const char impu_015[] = "80357369703A32333431353039393939393939393940696D732E6D6E63"
	                               "3031352E6D63633233342E336770706E6574776F726B2E6F7267";
	static const char impi_150[] = "803133313031353031323334353637383940696D732E6D6E633135302E"
	                               "6D63633331302E336770706E6574776F726B2E6F7267";
	/* GSMA's TS.48 EF.IMPU record 1 is the temporary IMPU of its own IMSI 001010123456789 */
	static const char impu_ts48[] = "80357369703A30303130313031323334353637383940696D732E6D6E"
	                                "633030312E6D63633030312E336770706E6574776F726B2E6F7267";
	uint8_t impi[256], dom[256], impu[256], want[256];
	size_t impi_len, dom_len, impu_len, n;
	orsp_pkg *pkg, *out;
	orsp_pkg_perso p;
	orsp_pkg_isim is;
	(void)state;

	/* IMSI 234150999999999, 2-digit MNC (given; EF.AD says 2 as well) */
	pkg = load(V7);
	isim_files(pkg, impi, &impi_len, dom, &dom_len, impu, &impu_len);
	assert_int_equal(impi_len, 32); /* TS.48's sizes: too small for any derived IMPI */
	assert_int_equal(dom_len, 32);
	assert_int_equal(impu_len, 192);
	orsp_pkg_perso_init(&p);
	p.imsi = "234150999999999";
	p.mnc_len = 2;
	if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
		fail_msg("personalise: %s", orsp_err_detail());
	out = reload(pkg);
	isim_files(out, impi, &impi_len, dom, &dom_len, impu, &impu_len);
	n = unhex(impi_015, want, sizeof(want));
	assert_int_equal(impi_len, n); /* efFileSize grown from 32 to the TLV's 51 */
	assert_bytes_equal(impi, want, n);
	n = unhex(dom_015, want, sizeof(want));
	assert_int_equal(dom_len, n);
	assert_bytes_equal(dom, want, n);
	assert_int_equal(impu_len, 192); /* 3 records of 64 */
	memset(want, 0xFF, sizeof(want));
	n = unhex(impu_015, want, sizeof(want));
	assert_int_equal(n, 55);
	assert_bytes_equal(impu, want, 192); /* record 1, then 'FF' (records 2 and 3 too) */
	assert_int_equal(orsp_pkg_get_isim(out, 0, &is), ORSP_OK);
	assert_true(is.has_impi && is.has_domain);
	assert_string_equal(is.impi, "234150999999999@ims.mnc015.mcc234.3gppnetwork.org");
	assert_string_equal(is.domain, "ims.mnc015.mcc234.3gppnetwork.org");
	assert_int_equal(is.n_impu, 1);
	assert_int_equal(is.impu_record[0], 1);
	assert_string_equal(is.impu[0], "sip:234150999999999@ims.mnc015.mcc234.3gppnetwork.org");
	orsp_pkg_free(out);
	/* the next IMSI (as `smdp profile generate` counts): another IMPI */
	p.imsi = "234150999999998";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.impi, "234150999999998@ims.mnc015.mcc234.3gppnetwork.org");
	orsp_pkg_free(pkg);

	/* 3-digit MNC: set by mnc_len, which also goes into EF.AD */
	pkg = load(V7);
	p.imsi = "310150123456789";
	p.mnc_len = 3;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	isim_files(pkg, impi, &impi_len, dom, &dom_len, impu, &impu_len);
	n = unhex(impi_150, want, sizeof(want));
	assert_int_equal(impi_len, n);
	assert_bytes_equal(impi, want, n);
	orsp_pkg_free(pkg);

	/* no mnc_len: EF.AD's (TS.48: 2); the template's own IMSI gives back GSMA's record 1 */
	pkg = load(V7);
	p.imsi = "001010123456789";
	p.mnc_len = 0;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	isim_files(pkg, impi, &impi_len, dom, &dom_len, impu, &impu_len);
	n = unhex(impu_ts48, want, sizeof(want));
	assert_bytes_equal(impu, want, n);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.impi, "001010123456789@ims.mnc001.mcc001.3gppnetwork.org");
	assert_string_equal(is.domain, "ims.mnc001.mcc001.3gppnetwork.org");
	orsp_pkg_perso_wipe(&p);
	orsp_pkg_free(pkg);
}

/* What stays: keep_ims_identity, a perso without IMSI, a package without ISIM; what fails,
 * changing nothing: an IMPU longer than the record, an MNC length nobody gives. */
static void test_personalise_isim_keep_and_fail(void **state)
{
	uint8_t a[256], b[256], c[256], a2[256], b2[256], c2[256], *raw, *enc = NULL;
	size_t al, bl, cl, al2, bl2, cl2, len, enc_len = 0;
	orsp_pkg *pkg, *before;
	orsp_pkg_perso p;
	pelist pl;
	(void)state;

	before = load(V7);
	isim_files(before, a, &al, b, &bl, c, &cl);
	/* keep_ims_identity: the IMSI changes, the ISIM files do not */
	pkg = load(V7);
	orsp_pkg_perso_init(&p);
	p.imsi = "234150999999999";
	p.keep_ims_identity = true;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	isim_files(pkg, a2, &al2, b2, &bl2, c2, &cl2);
	assert_int_equal(al2, al);
	assert_bytes_equal(a2, a, al);
	assert_int_equal(bl2, bl);
	assert_bytes_equal(b2, b, bl);
	assert_int_equal(cl2, cl);
	assert_bytes_equal(c2, c, cl);
	orsp_pkg_free(pkg);
	/* no IMSI: nothing derived */
	pkg = load(V7);
	orsp_pkg_perso_init(&p);
	p.spn = "abc";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	isim_files(pkg, a2, &al2, b2, &bl2, c2, &cl2);
	assert_int_equal(al2, al);
	assert_bytes_equal(a2, a, al);
	orsp_pkg_free(pkg);
	orsp_pkg_free(before);

	/* without PE-ISIM (and PE-OPT-ISIM): every PE but the PE-USIM unchanged */
	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_OPT_ISIM, 0));
	pl_drop(&pl, pl_find(&pl, ORSP_PE_ISIM, 0));
	raw = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(raw, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.imsi = "234150999999999";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_count(pkg), pl.n);
	for (size_t i = 0; i < pl.n; i++) {
		orsp_pe_info in;
		assert_int_equal(orsp_pkg_pe(pkg, i, &in), ORSP_OK);
		if (in.type == ORSP_PE_USIM)
			continue;
		assert_int_equal(in.raw.len, pl.len[i]);
		assert_bytes_equal(in.raw.p, pl.p[i], pl.len[i]);
	}
	orsp_pkg_free(pkg);
	free(raw);
	pl_free(&pl);

	/* EF.IMPU of 32-byte records: the 55-byte temporary IMPU does not fit; all or nothing */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_ISIM, 0), isim_impu_records, (void *)"42210020");
	raw = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(raw, len, &pkg), ORSP_OK);
	p.iccid = "8949449999999990171"; /* applied before */
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_USAGE);
	assert_detail_has("(isim): ef-impu: the IMPU sip:234150999999999@ims.mnc015.mcc234."
	                  "3gppnetwork.org does not fit the record of 32 bytes: 55 bytes needed");
	assert_int_equal(orsp_pkg_encode(pkg, 0, &enc, &enc_len), ORSP_OK);
	assert_int_equal(enc_len, len);
	assert_bytes_equal(enc, raw, len);
	orsp_pkg_buf_free(enc, enc_len);
	/* the template's identity kept: the same package is fine */
	p.keep_ims_identity = true;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	orsp_pkg_free(pkg);
	free(raw);
	pl_free(&pl);

	/* EF.IMPU's records (fileDescriptor 42 21 9240) longer than its 96 bytes: refused, the
	 * package unchanged (it wrote the IMPU over the whole file, which no reader takes as a
	 * record) */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_ISIM, 0), isim_impu_records, (void *)"42219240");
	raw = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(raw, len, &pkg), ORSP_OK);
	p.keep_ims_identity = false;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_MALFORMED);
	assert_detail_has("(isim): ef-impu: records of 37440 bytes (fileDescriptor) in a file of "
	                  "96 bytes");
	assert_int_equal(orsp_pkg_encode(pkg, 0, &enc, &enc_len), ORSP_OK);
	assert_int_equal(enc_len, len);
	assert_bytes_equal(enc, raw, len);
	orsp_pkg_buf_free(enc, enc_len);
	p.keep_ims_identity = true;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	orsp_pkg_free(pkg);
	free(raw);
	pl_free(&pl);

	/* EF.IMPU of 80 bytes in records of 64: no whole number of records, refused (it wrote
	 * one record of 64 and 16 bytes the eUICC refuses), the package unchanged */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_ISIM, 0), isim_impu_size, "50");
	raw = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(raw, len, &pkg), ORSP_OK);
	p.keep_ims_identity = false;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_MALFORMED);
	assert_detail_has("(isim): ef-impu: 80 bytes is not a whole number of records of 64 bytes");
	assert_int_equal(orsp_pkg_encode(pkg, 0, &enc, &enc_len), ORSP_OK);
	assert_int_equal(enc_len, len);
	assert_bytes_equal(enc, raw, len);
	orsp_pkg_buf_free(enc, enc_len);
	orsp_pkg_free(pkg);
	free(raw);
	pl_free(&pl);

	/* an EF.AD of 3 bytes gives no MNC length: refused unless mnc_len gives it */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_3_bytes, NULL);
	raw = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(raw, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.imsi = "234150999999999";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	assert_detail_has("the IMS domain of an ISIM needs the MNC length, which is unknown "
	                  "(EF.AD gives none)");
	p.keep_ims_identity = true;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	orsp_pkg_perso_wipe(&p);
	orsp_pkg_free(pkg);
	free(raw);
	pl_free(&pl);
}

/* ims_mnc_len: the IMS domain's MNC length where EF.AD gives none (as `smdp profile
 * generate --mnc-length` gives it), EF.AD left as it is; where EF.AD gives one, it wins and
 * a different ims_mnc_len is refused. */
static void test_personalise_isim_ims_mnc_len(void **state)
{
	uint8_t *raw;
	size_t len;
	orsp_pkg *pkg;
	orsp_pkg_perso p;
	orsp_pkg_isim is;
	orsp_pkg_usim u;
	pelist pl;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_3_bytes, NULL);
	raw = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(raw, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	assert_int_equal(p.ims_mnc_len, 0);
	p.imsi = "001019000000000";
	p.ims_mnc_len = 4;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_USAGE);
	assert_detail_has("ims_mnc_len: 4, must be 2 or 3");
	p.ims_mnc_len = 2;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.impi, "001019000000000@ims.mnc001.mcc001.3gppnetwork.org");
	assert_string_equal(is.domain, "ims.mnc001.mcc001.3gppnetwork.org");
	assert_string_equal(is.impu[0], "sip:001019000000000@ims.mnc001.mcc001.3gppnetwork.org");
	/* EF.AD is still the template's 3 bytes */
	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_int_equal(u.ad_len, 3);
	assert_int_equal(u.mnc_len, 0);
	p.ims_mnc_len = 3;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.impi, "001019000000000@ims.mnc019.mcc001.3gppnetwork.org");
	orsp_pkg_free(pkg);
	free(raw);
	pl_free(&pl);

	/* TS.48's EF.AD gives 2: the same ims_mnc_len is fine, another one refused */
	pkg = load(V7);
	p.ims_mnc_len = 2;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.impi, "001019000000000@ims.mnc001.mcc001.3gppnetwork.org");
	p.imsi = "001019000000001";
	p.ims_mnc_len = 3;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_USAGE);
	assert_detail_has("ims_mnc_len: 3, but EF.AD gives a 2-digit MNC");
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.impi, "001019000000000@ims.mnc001.mcc001.3gppnetwork.org");
	orsp_pkg_perso_wipe(&p);
	orsp_pkg_free(pkg);
}

/* A PE carrying an element this module version does not know cannot be personalised. */
static void test_personalise_lossy(void **state)
{
	pelist pl;
	uint8_t *b, pe[512];
	size_t len, i;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	orsp_pe_info in;
	orsp_tlv tlv;
	orsp_writer w;
	(void)state;

	pl_load(&pl, V7);
	i = pl_find(&pl, ORSP_PE_AKA_PARAMETER, 0);
	/* PE-AKAParameter + an unknown extension element [15] (EXTENSIBILITY IMPLIED). */
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(pl.p[i], pl.len[i]), &tlv), ORSP_OK);
	orsp_writer_init(&w, pe, sizeof(pe));
	orsp_der_put_header(&w, tlv.tag, tlv.value.len + 3);
	orsp_write_bytes(&w, tlv.value.p, tlv.value.len);
	orsp_write_bytes(&w, "\x8F\x01\x00", 3);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	free(pl.p[i]);
	pl.p[i] = malloc(w.len);
	memcpy(pl.p[i], pe, w.len);
	pl.len[i] = w.len;
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_pe(pkg, i, &in), ORSP_OK);
	assert_false(in.lossless);
	orsp_pkg_perso_init(&p);
	p.set_sqn = true;
	p.sqn_options = 2;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_POLICY);
	assert_detail_has("akaParameter");
	orsp_pkg_free(pkg);
	free(b);
	/* Nothing can check what the model drops: refused like a value that is not DER. */
	expect_issue(&pl, true, "PE #10 (akaParameter): not DER");
	pl_free(&pl);
}

/* ------------------------------------------------------------------ wiping the model ---- */

/* src/pkg's private wipe (pkg_internal.h), run by orsp_pkg_free on every PE's model: the
 * freed memory cannot be read back, so the test calls it on a model of its own. */
void pe_wipe_secrets(ProfileElement_t *pe);

static size_t os_nonzero(const OCTET_STRING_t *os)
{
	size_t n = 0;
	for (int i = 0; os && i < os->size; i++)
		n += os->buf[i] != 0;
	return n;
}

static size_t os_list_nonzero(const void *list)
{
	const asn_anonymous_sequence_ *l = _A_CSEQUENCE_FROM_VOID(list);
	size_t n = 0;
	for (int i = 0; l && i < l->count; i++)
		n += os_nonzero(l->array[i]);
	return n;
}

/* Non-zero bytes left in what may hold keys: file contents, SD keys, sdPersoData, C9. */
static size_t secret_bytes(ProfileElement_t *pe)
{
	asn_TYPE_member_t *m = &asn_DEF_ProfileElement.elements[pe->present - 1];
	char *body = (char *)pe + m->memb_offset;
	size_t n = 0;

	for (int i = 0; i < m->type->elements_count; i++) {
		asn_TYPE_member_t *e = &m->type->elements[i];
		File_t *f;
		if (e->type != &asn_DEF_File)
			continue;
		f = e->flags & ATF_POINTER ? *(File_t **)(body + e->memb_offset)
		                           : (File_t *)(body + e->memb_offset);
		for (int j = 0; f && j < f->list.count; j++)
			if (f->list.array[j]->present == File__Member_PR_fillFileContent)
				n += os_nonzero(&f->list.array[j]->choice.fillFileContent);
	}
	if (pe->present == ProfileElement_PR_genericFileManagement) {
		PE_GenericFileManagement_t *g = &pe->choice.genericFileManagement;
		for (int i = 0; i < g->fileManagementCMD.list.count; i++) {
			FileManagement_t *fm = g->fileManagementCMD.list.array[i];
			for (int j = 0; j < fm->list.count; j++)
				if (fm->list.array[j]->present ==
				    FileManagement__Member_PR_fillFileContent)
					n += os_nonzero(&fm->list.array[j]->choice.fillFileContent);
		}
	}
	if (pe->present == ProfileElement_PR_securityDomain) {
		PE_SecurityDomain_t *sd = &pe->choice.securityDomain;
		for (int i = 0; sd->keyList && i < sd->keyList->list.count; i++) {
			KeyObject_t *k = sd->keyList->list.array[i];
			for (int j = 0; j < k->keyComponents.list.count; j++)
				n += os_nonzero(&k->keyComponents.list.array[j]->keyData);
		}
		n += os_list_nonzero(sd->sdPersoData);
		n += os_nonzero(&sd->instance.applicationSpecificParametersC9);
		n += os_list_nonzero(sd->instance.processData);
	}
	return n;
}

/* The model's copies of the security domain's keys and STORE DATA (SAIP §8.6.4), its install
 * parameters, and file contents (EF.IMSI, genericFileManagement's) are zeroed before free. */
static void test_wipe_model(void **state)
{
	static const struct {
		orsp_pe_type t;
		size_t nth;
	} pes[] = {
	    {ORSP_PE_SECURITY_DOMAIN, 0},
	    {ORSP_PE_USIM, 0},
	    {ORSP_PE_MF, 0},
	    {ORSP_PE_GENERIC_FILE_MANAGEMENT, 0},
	};
	pelist pl;
	(void)state;

	pl_load(&pl, V7);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(pes); i++) {
		ProfileElement_t *pe = NULL;
		size_t k = pl_find(&pl, pes[i].t, pes[i].nth);
		asn_dec_rval_t r = ber_decode(&no_stack_limit, &asn_DEF_ProfileElement,
		                              (void **)&pe, pl.p[k], pl.len[k]);
		assert_int_equal(r.code, RC_OK);
		if (secret_bytes(pe) == 0)
			fail_msg("%s: nothing to wipe in TS.48", orsp_pe_type_name(pes[i].t));
		if (pes[i].t == ORSP_PE_SECURITY_DOMAIN) {
			PE_SecurityDomain_t *sd = &pe->choice.securityDomain;
			assert_non_null(sd->sdPersoData);
			assert_true(os_list_nonzero(sd->sdPersoData) > 0);
		}
		pe_wipe_secrets(pe);
		if (secret_bytes(pe) != 0)
			fail_msg("%s: %zu bytes left", orsp_pe_type_name(pes[i].t),
			         secret_bytes(pe));
		ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
	}
	pl_free(&pl);
}

/* src/pkg walks a file-system PE's File members into ORSP_PKG_MAX_FILES entries (the wipe
 * above, the validation, fs_file): every PE of the module must fit, or files past the limit
 * would be skipped (PE-OPT-USIM, the largest, has 86). */
static void test_fs_members_fit(void **state)
{
	size_t most = 0;
	(void)state;

	for (int t = ORSP_PE_MF; t <= ORSP_PE_OPT_IOT; t++) {
		asn_TYPE_descriptor_t *td = asn_DEF_ProfileElement.elements[t - 1].type;
		size_t n = 0;
		for (int i = 0; i < td->elements_count; i++)
			n += td->elements[i].type == &asn_DEF_File;
		if (n > ORSP_PKG_MAX_FILES)
			fail_msg("%s: %zu File members", orsp_pe_type_name((orsp_pe_type)t), n);
		most = n > most ? n : most;
	}
	assert_int_equal(most, 86);
}

/* ------------------------------------------------------------------ validation rules ---- */

static void set_id(ProfileElement_t *pe, void *arg)
{
	PEHeader_t *h = NULL;
	switch (pe->present) {
	case ProfileElement_PR_pinCodes:
		h = &pe->choice.pinCodes.pin_Header;
		break;
	case ProfileElement_PR_pukCodes:
		h = &pe->choice.pukCodes.puk_Header;
		break;
	case ProfileElement_PR_usim:
		h = &pe->choice.usim.usim_header;
		break;
	default:
		fail_msg("set_id: unexpected PE");
	}
	h->identification = *(long *)arg;
}

static AlgoParameter_t *algo(ProfileElement_t *pe)
{
	assert_int_equal(pe->present, ProfileElement_PR_akaParameter);
	return &pe->choice.akaParameter.algoConfiguration.choice.algoParameter;
}

static void aka_milenage_short_key(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 1;
	os_put(&algo(pe)->key, "000102030405060708090A0B0C0D0E");
}
static void aka_milenage_short_opc(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 1;
	os_put(&algo(pe)->opc, "00");
}
static void aka_bad_rotation(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 1;
	os_new(&algo(pe)->rotationConstants, "40C8204060");
}
static void aka_tuak_short_topc(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 2;
}
static void aka_tuak_bad_key(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 2;
	os_put(&algo(pe)->key, "000102030405060708090A0B0C0D0E0F0001020304050607");
}
static void aka_tuak_zero_keccak(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 2;
	os_put(&algo(pe)->opc, "0000000000000000000000000000000000000000000000000000000000000000");
	algo(pe)->numberOfKeccak = calloc(1, sizeof(long)); /* 0 */
}
static void aka_test_short_key(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	os_put(&algo(pe)->key, "0001020304050607");
}
static void aka_bad_alg(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 7;
}
static void aka_milenage_ok(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	algo(pe)->algorithmID = 1;
}
static void aka_sqn_delta(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	os_new(&pe->choice.akaParameter.sqnDelta, "080000000000");
}
static void aka_sqn_age(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	os_new(&pe->choice.akaParameter.sqnAgeLimit, "FFFFFFFFFFFF");
}
static void aka_sqn_init(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	PE_AKAParameter_t *a = &pe->choice.akaParameter;
	assert_null(a->sqnInit);
	a->sqnInit = calloc(1, sizeof(*a->sqnInit));
	for (int i = 0; i < 32; i++) {
		OCTET_STRING_t *os = calloc(1, sizeof(*os));
		os_put(os, i == 5 ? "100000000000" : "000000000000");
		assert_int_equal(ASN_SEQUENCE_ADD(&a->sqnInit->list, os), 0);
	}
}
static void hdr_version(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	pe->choice.header.major_version = 4;
}
static void hdr_iccid(ProfileElement_t *pe, void *arg)
{
	os_put(&pe->choice.header.iccid, (const char *)arg);
}
/* profileType (the profile's name the SM-DP+ sends) set to arg (hex) */
static void hdr_type(ProfileElement_t *pe, void *arg)
{
	os_new(&pe->choice.header.profileType, (const char *)arg);
}
static void hdr_drop_service(ProfileElement_t *pe, void *arg)
{
	ServicesList_t *s = &pe->choice.header.eUICC_Mandatory_services;
	if (*(const int *)arg == 0) {
		free(s->usim_test_algorithm);
		s->usim_test_algorithm = NULL;
	} else {
		free(s->usim);
		free(s->isim);
		s->usim = s->isim = NULL;
	}
}
static void hdr_add_gba(ProfileElement_t *pe, void *arg)
{
	ServicesList_t *s = &pe->choice.header.eUICC_Mandatory_services;
	(void)arg;
	s->gba_isim = calloc(1, sizeof(NULL_t));
	free(s->isim);
	s->isim = NULL;
}
/* EF.IMSI of the PE-USIM: replace its content. */
static void usim_imsi(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.usim.ef_imsi;
	for (int i = 0; i < f->list.count; i++)
		if (f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_put(&f->list.array[i]->choice.fillFileContent, (const char *)arg);
}
static void mf_iccid(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.mf.ef_iccid;
	for (int i = 0; i < f->list.count; i++)
		if (f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_put(&f->list.array[i]->choice.fillFileContent, (const char *)arg);
}
/* EF.IMSI of 65 bytes with a content that is not an IMSI: too large to be checked. */
static void usim_imsi_big(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	usim_imsi(pe, "08091010103254769A");
	file_size_set(&pe->choice.usim.ef_imsi, "0041");
}
static void mf_iccid_big(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_set(&pe->choice.mf.ef_iccid, "0041");
}
static void mf_iccid_short(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	mf_iccid(pe, "9800103254");
	file_size_set(&pe->choice.mf.ef_iccid, "05");
}
static void mf_iccid_long(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_set(&pe->choice.mf.ef_iccid, "0C");
}
/* Move EF.IMSI's fileDescriptor behind its content. */
static void usim_fcp_last(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.usim.ef_imsi;
	void *first = f->list.array[0];
	(void)arg;
	assert_int_equal(f->list.count, 2);
	f->list.array[0] = f->list.array[1];
	f->list.array[1] = first;
}
static void usim_dnc_plus(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.usim.ef_imsi;
	struct File__Member *m = calloc(1, sizeof(*m));
	(void)arg;
	m->present = File__Member_PR_doNotCreate;
	assert_int_equal(ASN_SEQUENCE_ADD(&f->list, m), 0);
}
/* doNotCreate added to a file (with its other members: "must be the only element" too) */
static void dnc_add(File_t *f)
{
	struct File__Member *m = calloc(1, sizeof(*m));
	assert_non_null(f);
	assert_non_null(m);
	m->present = File__Member_PR_doNotCreate;
	assert_int_equal(ASN_SEQUENCE_ADD(&f->list, m), 0);
}
/* f's members replaced by doNotCreate alone */
static void dnc_only(File_t *f)
{
	assert_non_null(f);
	ASN_STRUCT_FREE_CONTENTS_ONLY(asn_DEF_File, f);
	memset(f, 0, sizeof(*f));
	dnc_add(f);
}
static void mf_iccid_dnc(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	dnc_add(&pe->choice.mf.ef_iccid);
}
static void opt_usim_li_dnc(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	dnc_add(pe->choice.opt_usim.ef_li);
}
/* The package of the list decodes and validates with no error. */
static void expect_valid(const pelist *pl)
{
	size_t len;
	uint8_t *b = pl_join(pl, &len);
	orsp_pkg *pkg = NULL;
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_OK);
	orsp_pkg_free(pkg);
	free(b);
}

/* The package of the list decodes, and orsp_pkg_validate reports no issue, error or warning,
 * whose text contains `what`. */
static void expect_no_issue(const pelist *pl, const char *what)
{
	size_t len;
	uint8_t *b = pl_join(pl, &len);
	orsp_pkg *pkg = NULL;
	orsp_pkg_report rep;
	char line[300];

	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	orsp_err e = orsp_pkg_validate(pkg, &rep); /* errors or not: the caller's to check */
	(void)e;
	for (size_t i = 0; i < rep.n; i++) {
		orsp_pkg_issue_format(&rep.issue[i], line, sizeof(line));
		if (strstr(line, what))
			fail_msg("an issue mentions \"%s\": %s", what, line);
	}
	orsp_pkg_free(pkg);
	free(b);
}

/* The Fcp of a File (its first member). */
static Fcp_t *fcp_of(File_t *f)
{
	assert_non_null(f);
	assert_true(f->list.count > 0);
	assert_int_equal(f->list.array[0]->present, File__Member_PR_fileDescriptor);
	return &f->list.array[0]->choice.fileDescriptor;
}
/* The ADF.USIM's dfName dropped; EF.DIR's USIM application record changed to an AID of no
 * USIM (A0000000871009...). */
static void usim_no_dfname(ProfileElement_t *pe, void *arg)
{
	Fcp_t *fcp = fcp_of(&pe->choice.usim.adf_usim);
	(void)arg;
	assert_non_null(fcp->dfName);
	ASN_STRUCT_FREE(asn_DEF_OCTET_STRING, fcp->dfName);
	fcp->dfName = NULL;
}
static void mf_dir_no_usim(ProfileElement_t *pe, void *arg)
{
	static const uint8_t usim[] = {0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
	File_t *f = &pe->choice.mf.ef_dir;
	int changed = 0;
	(void)arg;
	for (int i = 0; i < f->list.count; i++) {
		OCTET_STRING_t *c;
		if (f->list.array[i]->present != File__Member_PR_fillFileContent)
			continue;
		c = &f->list.array[i]->choice.fillFileContent;
		for (int k = 0; k + (int)sizeof(usim) <= c->size; k++)
			if (memcmp(c->buf + k, usim, sizeof(usim)) == 0) {
				c->buf[k + sizeof(usim) - 1] = 0x09;
				changed++;
			}
	}
	assert_true(changed > 0);
}
static void pin_dup(ProfileElement_t *pe, void *arg)
{
	struct PE_PINCodes__pinCodes__pinconfig *l = &pe->choice.pinCodes.pinCodes.choice.pinconfig;
	(void)arg;
	l->list.array[2]->keyReference = l->list.array[1]->keyReference;
}
static void pin_unblock(ProfileElement_t *pe, void *arg)
{
	struct PE_PINCodes__pinCodes__pinconfig *l = &pe->choice.pinCodes.pinCodes.choice.pinconfig;
	(void)arg;
	*l->list.array[0]->unblockingPINReference = 5; /* pukAppl5: not defined */
}
static void puk_dup(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	pe->choice.pukCodes.pukCodes.list.array[1]->keyReference =
	    pe->choice.pukCodes.pukCodes.list.array[0]->keyReference;
}

typedef struct edit_case {
	orsp_pe_type type;
	pe_edit_fn fn;
	const void *arg;
	const char *what;
} edit_case;

/* PE number mf of pl (the PE-MF) becomes a PE-IoT (the IoT Minimal Profile's one
 * file-system PE, TCA SAIP): the MF's header, template OID and EF.ICCID, with the EF.IMSI and
 * EF.ACC of PE number usim (which PEDefinitions makes mandatory in a PE-IoT). keep_mf: the
 * PE-IoT is inserted after the PE-MF instead. */
static void pl_iot_from_mf(pelist *pl, size_t mf, size_t usim, bool keep_mf)
{
	ProfileElement_t *m = NULL, *u = NULL, *iot = calloc(1, sizeof(*iot));
	PE_IoT_t *t;
	uint8_t *b;
	asn_enc_rval_t e;
	assert_non_null(iot);
	assert_int_equal(ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&m,
	                            pl->p[mf], pl->len[mf])
	                     .code,
	                 RC_OK);
	assert_int_equal(ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&u,
	                            pl->p[usim], pl->len[usim])
	                     .code,
	                 RC_OK);
	iot->present = ProfileElement_PR_iot;
	t = &iot->choice.iot;
	/* moved, not copied: each structure is freed once */
	t->iot_header = m->choice.mf.mf_header;
	memset(&m->choice.mf.mf_header, 0, sizeof(m->choice.mf.mf_header));
	t->templateID = m->choice.mf.templateID;
	memset(&m->choice.mf.templateID, 0, sizeof(m->choice.mf.templateID));
	t->ef_iccid = calloc(1, sizeof(*t->ef_iccid));
	assert_non_null(t->ef_iccid);
	*t->ef_iccid = m->choice.mf.ef_iccid;
	memset(&m->choice.mf.ef_iccid, 0, sizeof(m->choice.mf.ef_iccid));
	t->ef_imsi = u->choice.usim.ef_imsi;
	memset(&u->choice.usim.ef_imsi, 0, sizeof(u->choice.usim.ef_imsi));
	t->ef_acc = u->choice.usim.ef_acc;
	memset(&u->choice.usim.ef_acc, 0, sizeof(u->choice.usim.ef_acc));
	if (keep_mf)
		t->iot_header.identification = 999;
	e = der_encode(&asn_DEF_ProfileElement, iot, NULL, NULL);
	assert_true(e.encoded > 0);
	b = malloc((size_t)e.encoded);
	assert_non_null(b);
	assert_int_equal(
	    der_encode_to_buffer(&asn_DEF_ProfileElement, iot, b, (size_t)e.encoded).encoded,
	    e.encoded);
	if (keep_mf) {
		pl_insert(pl, mf + 1, b, (size_t)e.encoded);
		free(b);
	} else {
		free(pl->p[mf]);
		pl->p[mf] = b;
		pl->len[mf] = (size_t)e.encoded;
	}
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, iot);
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, m);
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, u);
}
static void iot_iccid(ProfileElement_t *pe, void *arg)
{
	File_t *f = pe->choice.iot.ef_iccid;
	for (int i = 0; i < f->list.count; i++)
		if (f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_put(&f->list.array[i]->choice.fillFileContent, (const char *)arg);
}
static void iot_iccid_long(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_set(pe->choice.iot.ef_iccid, "0C");
}

/* A PE-IoT's EF.ICCID, which personalisation writes as it writes PE-MF's, is checked as
 * PE-MF's is: the header's ICCID and 10 bytes (validation once looked at PE-MF's alone, and
 * returned when there was none). */
static void test_validate_iot_iccid(void **state)
{
	uint8_t other[10];
	char hex[21];
	pelist pl;
	size_t len;
	uint8_t *b;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	orsp_pkg_report rep;
	(void)state;

	/* 8949449999999990171, another valid ICCID, as EF.ICCID codes it */
	assert_int_equal(orsp_iccid_encode_ef("8949449999999990171", other), ORSP_OK);
	assert_int_equal(orsp_hex_encode(other, sizeof(other), hex, sizeof(hex)), ORSP_OK);

	/* the IoT package as made: valid, its EF.ICCID the header's */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), false);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	if (orsp_pkg_validate(pkg, &rep) != ORSP_OK)
		fail_msg("IoT package: %s", orsp_err_detail());
	assert_int_equal(rep.n, 0);
	/* personalising its ICCID writes both, and it stays valid */
	orsp_pkg_perso_init(&p);
	p.iccid = "8949449999999990171";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_OK);
	orsp_pkg_free(pkg);
	free(b);

	/* another valid ICCID in the PE-IoT's EF.ICCID: refused, naming both */
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_iccid, hex);
	expect_issue(&pl, true,
	             "PE #1 (iot): ef-iccid holds 8949449999999990171, the ProfileHeader "
	             "89000123456789012341");
	pl_free(&pl);
	/* an EF.ICCID of 12 bytes */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), false);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_iccid_long, NULL);
	expect_issue(&pl, true, "PE #1 (iot): ef-iccid is 12 bytes, TS 102 221 §13.2 makes it 10");
	pl_free(&pl);
	/* with a PE-MF whose EF.ICCID is right, the PE-IoT's is still checked */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), true);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_iccid, hex);
	expect_issue(&pl, true,
	             "PE #2 (iot): ef-iccid holds 8949449999999990171, the ProfileHeader "
	             "89000123456789012341");
	pl_free(&pl);
}

/* A File of PE-IoT's marked doNotCreate alone (its other members dropped): arg names it,
 * "ef-iccid", "ef-pl" (added when absent) or "ef-hpplmn" (added, in the ADF) */
static void iot_dnc_only(ProfileElement_t *pe, void *arg)
{
	PE_IoT_t *t = &pe->choice.iot;
	File_t **slot = strcmp(arg, "ef-iccid") == 0 ? &t->ef_iccid
	                : strcmp(arg, "ef-pl") == 0  ? &t->ef_pl
	                                             : &t->ef_hpplmn;
	if (*slot)
		ASN_STRUCT_FREE(asn_DEF_File, *slot);
	*slot = calloc(1, sizeof(**slot));
	assert_non_null(*slot);
	dnc_add(*slot);
}

/* PEDefinitions File.doNotCreate: "This flag has no effect for the creation of files in the
 * MF". PE-IoT's mf, ef-pl, ef-iccid, ef-dir, ef-arr and ef-umpc are files of the MF, as PE-MF's
 * are: refused there as in PE-MF (error in both modes). Before, the validator took them, the
 * eUICC went without the file (it skips a doNotCreate file of any PE), and personalising the
 * ICCID was refused, ORSP_E_POLICY "ef-iccid: the file is marked doNotCreate". A PE-IoT's file
 * of the ADF may be marked. */
static void test_validate_iot_mf_dnc(void **state)
{
	static char mf_files[][9] = {"ef-iccid", "ef-pl"};
	pelist pl;
	size_t len;
	uint8_t *b;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	char what[80];
	(void)state;

	for (size_t k = 0; k < ORSP_ARRAY_LEN(mf_files); k++) {
		pl_load(&pl, V7);
		pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0),
		               true);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_dnc_only, mf_files[k]);
		snprintf(what, sizeof(what), "PE #2 (iot): %s: doNotCreate on a file of the MF",
		         mf_files[k]);
		expect_issue(&pl, true, what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true, what);
		pl_free(&pl);
	}
	/* personalising the ICCID of such a package is refused, as validation refuses it */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), true);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_dnc_only, "ef-iccid");
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.iccid = "8949449999999990171";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "PE #2 (iot): ef-iccid: the file is marked doNotCreate");
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
	/* a file of the PE-IoT's ADF: no such issue */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), true);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_dnc_only, "ef-hpplmn");
	expect_no_issue(&pl, "doNotCreate");
	pl_free(&pl);
}

/* EF.ICCID with content from byte 1 on (fillFileOffset 1, then the 8 bytes arg): content
 * all the same, which the check judges whole */
static void mf_iccid_from_byte1(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.mf.ef_iccid;
	struct File__Member *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	for (int i = 0; i < f->list.count; i++)
		if (f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_put(&f->list.array[i]->choice.fillFileContent, (const char *)arg);
	m->present = File__Member_PR_fillFileOffset;
	m->choice.fillFileOffset = 1;
	assert_int_equal(ASN_SEQUENCE_ADD(&f->list, m), 0);
	assert_int_equal(f->list.count, 3);
	f->list.array[2] = f->list.array[1];
	f->list.array[1] = m;
}
static void iot_imsi(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.iot.ef_imsi;
	for (int i = 0; i < f->list.count; i++)
		if (f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_put(&f->list.array[i]->choice.fillFileContent, (const char *)arg);
}

/* What the eUICC serves is what the SM-DP+ records: an EF.ICCID whose content starts past
 * byte 0 (before, a file whose first and last bytes were 'FF' counted as left empty, so 8
 * bytes of another ICCID in between passed), and one IMSI in each PE-USIM and PE-IoT (the
 * SM-DP+ recorded the first one's, the eUICC serves the PE-USIM's). */
static void test_validate_served_identity(void **state)
{
	pelist pl;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_MF, 0), mf_iccid_from_byte1, "9810325476981032");
	expect_issue(&pl, true, "PE #1 (mf): ef-iccid: content is not a BCD ICCID");
	pl_free(&pl);
	/* PE-MF, a PE-IoT with IMSI 001019999999999, TS.48's PE-USIM with 001010123456789 */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), true);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_imsi, "080910109999999999");
	expect_issue(&pl, true,
	             "ef-imsi holds 001010123456789, PE #2's 001019999999999: a profile is one "
	             "subscription");
	/* an eUICC installing it serves the PE-USIM's: a warning */
	expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false,
	                   "ef-imsi holds 001010123456789, PE #2's 001019999999999");
	pl_free(&pl);
	/* the same IMSI in both: valid (test_validate_iot_iccid's package, unedited) */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), true);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_IOT, 0), iot_imsi, "080910101032547698");
	{
		size_t len;
		uint8_t *b = pl_join(&pl, &len);
		orsp_pkg *pkg = NULL;
		assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
		if (orsp_pkg_validate(pkg, NULL) != ORSP_OK)
			fail_msg("the same IMSI twice: %s", orsp_err_detail());
		orsp_pkg_free(pkg);
		free(b);
	}
	pl_free(&pl);
}

/* The MF's fileID (arg, hex). */
static void mf_fid(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.mf.mf)->fileID, (const char *)arg);
}
/* EF.IMSI's efFileSize (arg, hex; "" empty). */
static void usim_imsi_fsize(ProfileElement_t *pe, void *arg)
{
	Fcp_t *fcp = fcp_of(&pe->choice.usim.ef_imsi);
	if (!fcp->efFileSize)
		fcp->efFileSize = calloc(1, sizeof(*fcp->efFileSize));
	assert_non_null(fcp->efFileSize);
	if (*(const char *)arg)
		os_put(fcp->efFileSize, (const char *)arg);
	else
		assert_int_equal(OCTET_STRING_fromBuf(fcp->efFileSize, "", 0), 0);
}
/* EF.IMSI with a second fileDescriptor member (a transparent EF's), at the end. */
static void usim_imsi_two_fcp(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.usim.ef_imsi;
	struct File__Member *m = calloc(1, sizeof(*m));
	(void)arg;
	assert_non_null(m);
	m->present = File__Member_PR_fileDescriptor;
	os_new(&m->choice.fileDescriptor.fileDescriptor, "4121");
	assert_int_equal(ASN_SEQUENCE_ADD(&f->list, m), 0);
}
/* EF.AD with 3 bytes of content in a file of 3 bytes: no byte 4 for the MNC length. */
static void usim_ad_3_of_3(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	usim_ad_3_bytes(pe, NULL);
	file_size_set(pe->choice.usim.ef_ad, "03");
}

/* Rules of a package the other tests leave unchecked: a second PE-ISIM or PE-CSIM without
 * its multiple-* service, an MF whose file ID is not 3F00 (an error; installing, a warning),
 * an efFileSize of 0 or 5 bytes (PEDefinitions leaves its size open; TS 102 221: 1 to 4), a
 * File with two fileDescriptors. */
static void test_validate_more_rules(void **state)
{
	pelist pl;
	(void)state;

	static const struct {
		orsp_pe_type type;
		const char *what;
	} twice[] = {{ORSP_PE_ISIM, "a second PE-ISIM without the multiple-isim service"},
	             {ORSP_PE_CSIM, "a second PE-CSIM without the multiple-csim service"}};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(twice); i++) {
		size_t k;
		pl_load(&pl, V7);
		k = pl_find(&pl, twice[i].type, 0);
		pl_insert(&pl, k + 1, pl.p[k], pl.len[k]);
		expect_issue(&pl, true, twice[i].what);
		pl_free(&pl);
	}

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_MF, 0), mf_fid, "3F01");
	expect_issue(&pl, true, "(mf): mf: file ID 3F01 (TS 102 221 §8.3: the MF's is 3F00)");
	expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, "mf: file ID 3F01");
	pl_free(&pl);

	static const struct {
		const char *size, *what;
	} sizes[] = {{"", "ef-imsi: efFileSize of 0 bytes"},
	             {"0000000009", "ef-imsi: efFileSize of 5 bytes"}};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(sizes); i++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_imsi_fsize,
		        (void *)(uintptr_t)sizes[i].size);
		expect_issue(&pl, true, sizes[i].what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, sizes[i].what);
		pl_free(&pl);
	}

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_imsi_two_fcp, NULL);
	expect_issue(&pl, true, "(usim): ef-imsi: more than one fileDescriptor");
	pl_free(&pl);
}

/* --mnc-len on a template whose EF.AD holds 3 bytes in a file of 3: there is no byte 4 to
 * hold the MNC length; refused (NOT_FOUND) and the package left as it was. */
static void test_personalise_ad_too_short(void **state)
{
	pelist pl;
	orsp_pkg_perso p;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_3_of_3, NULL);
	orsp_pkg_perso_init(&p);
	p.mnc_len = 3;
	perso_refused(&pl, &p, ORSP_E_NOT_FOUND, "ef-ad has 3 bytes: no byte 4 for the MNC length");

	/* The same file given only its size, 3 bytes, and no content: the TCA template's
	 * '00000002' fills 3 bytes, there is still no byte 4. Before, the MNC length went into
	 * a 4-byte fillFileContent of the 3-byte file, which the validator refuses. */
	static char s3[] = "03";
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_size_only, s3);
	orsp_pkg_perso_init(&p);
	p.mnc_len = 3;
	perso_refused(&pl, &p, ORSP_E_NOT_FOUND, "ef-ad has 3 bytes: no byte 4 for the MNC length");
}

static void test_validate_rules(void **state)
{
	static const long dup_id = 4; /* PE-MF's */
	static const int drop_test = 0, drop_usim = 1;
	static const edit_case edits[] = {
	    {ORSP_PE_PIN_CODES, set_id, &dup_id, "identification 4 already used by PE #1"},
	    {ORSP_PE_AKA_PARAMETER, aka_milenage_short_key, NULL, "Milenage key is 15 bytes"},
	    {ORSP_PE_AKA_PARAMETER, aka_milenage_short_opc, NULL, "Milenage OPc is 1 bytes"},
	    {ORSP_PE_AKA_PARAMETER, aka_bad_rotation, NULL, "r2 = 200 exceeds 127"},
	    {ORSP_PE_AKA_PARAMETER, aka_tuak_short_topc, NULL, "TUAK TOPc is 16 bytes"},
	    {ORSP_PE_AKA_PARAMETER, aka_tuak_bad_key, NULL, "TUAK key is 24 bytes"},
	    {ORSP_PE_AKA_PARAMETER, aka_tuak_zero_keccak, NULL, "numberOfKeccak is 0"},
	    {ORSP_PE_AKA_PARAMETER, aka_test_short_key, NULL, "test algorithm key is 8 bytes"},
	    {ORSP_PE_AKA_PARAMETER, aka_bad_alg, NULL, "algorithmID 7"},
	    {ORSP_PE_AKA_PARAMETER, aka_milenage_ok, NULL, "uses milenage but the ProfileHeader"},
	    {ORSP_PE_AKA_PARAMETER, aka_sqn_delta, NULL, "sqnDelta exceeds"},
	    {ORSP_PE_AKA_PARAMETER, aka_sqn_age, NULL, "sqnAgeLimit exceeds"},
	    {ORSP_PE_AKA_PARAMETER, aka_sqn_init, NULL, "sqnInit[5] exceeds"},
	    {ORSP_PE_HEADER, hdr_version, NULL, "version 4.3 is not supported"},
	    {ORSP_PE_HEADER, hdr_iccid, "89000123456789012342",
	     "Luhn check digit is 2, expected 1"},
	    {ORSP_PE_HEADER, hdr_iccid, "8900012345678901A341", "iccid is not BCD"},
	    {ORSP_PE_HEADER, hdr_iccid, "8949449999999990171F",
	     "ef-iccid holds 89000123456789012341"},
	    {ORSP_PE_HEADER, hdr_drop_service, &drop_test, "does not list it"},
	    {ORSP_PE_HEADER, hdr_drop_service, &drop_usim, "needs service usim or isim"},
	    {ORSP_PE_HEADER, hdr_add_gba, NULL, "gba-isim needs service isim"},
	    {ORSP_PE_USIM, usim_imsi, "08091010103254769A", "EF.IMSI: digit 14"},
	    {ORSP_PE_USIM, usim_imsi, "080A10101032547698", "EF.IMSI: identity type 2"},
	    {ORSP_PE_MF, mf_iccid, "98001032547698103224", "ef-iccid holds 89000123456789012342"},
	    {ORSP_PE_USIM, usim_imsi_big, NULL, "(usim): cannot check ef-imsi"},
	    {ORSP_PE_MF, mf_iccid_big, NULL, "(mf): cannot check ef-iccid"},
	    {ORSP_PE_MF, mf_iccid_short, NULL, "(mf): ef-iccid is 5 bytes"},
	    {ORSP_PE_MF, mf_iccid_long, NULL, "(mf): ef-iccid is 12 bytes"},
	    {ORSP_PE_USIM, usim_fcp_last, NULL, "ef-imsi: fileDescriptor must come first"},
	    {ORSP_PE_USIM, usim_dnc_plus, NULL, "ef-imsi: doNotCreate must be the only element"},
	    /* PEDefinitions: no effect in the MF (an eUICC that heeds it goes without
	     * EF.ICCID), not to be used in a template of files not created by default */
	    {ORSP_PE_MF, mf_iccid_dnc, NULL, "(mf): ef-iccid: doNotCreate in PE-MF"},
	    {ORSP_PE_OPT_USIM, opt_usim_li_dnc, NULL,
	     "(opt-usim): ef-li: doNotCreate in a template of files not created by default"},
	    {ORSP_PE_PIN_CODES, pin_dup, NULL, "PIN adm1 defined twice"},
	    {ORSP_PE_PIN_CODES, pin_unblock, NULL, "unblocked by PUK pukAppl5"},
	    {ORSP_PE_PUK_CODES, puk_dup, NULL, "PUK pukAppl1 defined twice"},
	};
	pelist pl;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(edits); i++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, edits[i].type, 0), edits[i].fn,
		        (void *)(uintptr_t)edits[i].arg);
		expect_issue(&pl, true, edits[i].what);
		pl_free(&pl);
	}

	/* A reserved alternative (rfu1..rfu5, PE-Dummy): empty, it decodes, but PEDefinitions
	 * defines no PE of it; it passed as valid with no warning */
	for (uint8_t tag = 0xAB; tag <= 0xAF; tag++) {
		const uint8_t rfu[] = {tag, 0x00};
		char what[64];
		pl_load(&pl, V7);
		pl_insert(&pl, pl.n - 1, rfu, sizeof(rfu));
		snprintf(what, sizeof(what), "PE #%zu (rfu%d): a reserved alternative", pl.n - 2,
		         tag - 0xAA);
		expect_issue(&pl, true, what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true, what);
		pl_free(&pl);
	}

	/* The USIM's AID: from EF.DIR when the adf-usim has no dfName (valid); with neither,
	 * the eUICC refused every install of a package that passed */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_no_dfname, NULL);
	expect_valid(&pl);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_MF, 0), mf_dir_no_usim, NULL);
	expect_issue(&pl, true, "(usim): no USIM AID: adf-usim has no dfName and EF.DIR no USIM");
	expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true, "(usim): no USIM AID");
	pl_free(&pl);
	/* A profileType with an escape sequence (ESC [31m): an error, a warning for an eUICC
	 * installing it (import took it until session 57, and the SM-DP+ sent it on as the
	 * profile's name); one not UTF-8 the decoder refuses already */
	{
		static const char *const bad[][2] = {
		    {"47534D41201B5B33316D", "profileType: holds a control character"},
		    {"47534D41C29B", "profileType: holds a control character"}, /* U+009B, CSI */
		};
		for (size_t k = 0; k < ORSP_ARRAY_LEN(bad); k++) {
			pl_load(&pl, V7);
			pl_edit(&pl, 0, hdr_type, (void *)(uintptr_t)bad[k][0]);
			expect_issue(&pl, true, bad[k][1]);
			expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, bad[k][1]);
			pl_free(&pl);
		}
		pl_load(&pl, V7);
		pl_edit(&pl, 0, hdr_type, "C3A974C3A9"); /* "été": text */
		expect_valid(&pl);
		pl_free(&pl);
	}
	/* PE-Header first: dropped, or moved. */
	pl_load(&pl, V7);
	pl_drop(&pl, 0);
	expect_issue(&pl, true, "PE #0 (mf): the first PE must be the ProfileHeader");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_move(&pl, 0, 3);
	expect_issue(&pl, true, "PE #3 (header): a ProfileHeader after PE #0");
	pl_free(&pl);
	/* PE-End last: dropped, moved, doubled. */
	pl_load(&pl, V7);
	pl_drop(&pl, pl.n - 1);
	expect_issue(&pl, true, "the last PE must be PE-End");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_move(&pl, pl.n - 1, 5);
	expect_issue(&pl, true, "PE #5 (end): PE-End before the last PE");
	pl_free(&pl);
	/* Mandatory services need their PEs; NAA extensions need their NAA first. */
	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_ISIM, 0));
	expect_issue(&pl, true, "mandatory service isim but no PE-ISIM");
	expect_issue(&pl, true, "(opt-isim): needs a preceding PE-isim");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_CSIM, 0));
	expect_issue(&pl, true, "mandatory service csim but no PE-CSIM");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_USIM, 0));
	expect_issue(&pl, true, "mandatory service usim but no PE-USIM");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_move(&pl, pl_find(&pl, ORSP_PE_OPT_USIM, 0), pl_find(&pl, ORSP_PE_USIM, 0));
	expect_issue(&pl, true, "(opt-usim): needs a preceding PE-usim");
	pl_free(&pl);
	/* after another NAA's PE: its files would go into no ADF (the eUICC served the USIM
	 * without EF.MSISDN, EF.PNN and the other 49 OPT-USIM files, and it passed) */
	pl_load(&pl, V7);
	pl_move(&pl, pl_find(&pl, ORSP_PE_OPT_USIM, 0), pl_find(&pl, ORSP_PE_ISIM, 0));
	expect_issue(&pl, true,
	             "(opt-usim): needs a preceding PE-usim with no other NAA's PE between them");
	expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true,
	                   "(opt-usim): needs a preceding PE-usim with no other NAA's PE");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_MF, 0));
	expect_issue(&pl, true, "no PE-MF");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_move(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_TELECOM, 0));
	expect_issue(&pl, true, "(telecom): a file-system PE before PE-MF");
	pl_free(&pl);
	pl_load(&pl, V7);
	{
		size_t u = pl_find(&pl, ORSP_PE_USIM, 0);
		long id = 1000;
		pl_insert(&pl, u + 1, pl.p[u], pl.len[u]);
		pl_edit(&pl, u + 1, set_id, &id);
		expect_issue(&pl, true, "a second PE-USIM without the multiple-usim service");
		size_t m = pl_find(&pl, ORSP_PE_MF, 0);
		pl_insert(&pl, m + 1, pl.p[m], pl.len[m]);
		expect_issue(&pl, true, "a second PE-mf");
	}
	pl_free(&pl);
	/* Values that are BER but not DER (X.690 §8.3.2, §10.2): they decode, but an SM-DP+
	 * must not pass them on, so validation refuses them. */
	pl_load(&pl, V7);
	{
		size_t end = pl_find(&pl, ORSP_PE_END, 0);
		/* PE-End's PEHeader.identification 1F as 00 1F */
		static const uint8_t want[] = {0xAA, 0x08, 0xA0, 0x06, 0x80,
		                               0x00, 0x81, 0x02, 0x00, 0x1F};
		free(pl.p[end]);
		pl.p[end] = malloc(sizeof(want));
		memcpy(pl.p[end], want, sizeof(want));
		pl.len[end] = sizeof(want);
		expect_issue(&pl, true, "PE #29 (end): not DER");
		/* installing, the eUICC refuses it too: TS.48's PE-End is mandated */
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true, "PE #29 (end): mandated");
	}
	pl_free(&pl);
	/* An element of a later PEDefinitions ([1] after PE-End's header), which the decoder
	 * drops: refused as not DER (nothing could check it); the eUICC installing it refuses it
	 * when the PE is mandated and goes on with a warning otherwise (TCA SAIP error
	 * handling). */
	{
		static const struct {
			const char *hex;
			bool mandated;
		} ends[] = {{"aa0aa005800081011f810100", true}, {"aa08a00381011f810100", false}};
		for (size_t k = 0; k < ORSP_ARRAY_LEN(ends); k++) {
			size_t end;
			pl_load(&pl, V7);
			end = pl_find(&pl, ORSP_PE_END, 0);
			free(pl.p[end]);
			pl.p[end] = malloc(strlen(ends[k].hex) / 2);
			assert_non_null(pl.p[end]);
			pl.len[end] = unhex(ends[k].hex, pl.p[end], strlen(ends[k].hex) / 2);
			expect_issue(&pl, true, "PE #29 (end): not DER");
			if (ends[k].mandated)
				expect_issue_flags(
				    &pl, ORSP_PKG_VALIDATE_INSTALL, true,
				    "PE #29 (end): mandated, and holds what this eUICC");
			else
				expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false,
				                   "PE #29 (end): processed without what "
				                   "re-encoding drops");
			pl_free(&pl);
		}
	}
	pl_load(&pl, V7);
	/* ProfileHeader.iccid [3] as a constructed string of one segment; the ProfileHeader has
	 * no PEHeader, so installing counts it as not mandated */
	pl_child_replace(&pl, 0, 0x83, "A30C040A89000123456789012341");
	expect_issue(&pl, true, "PE #0 (header): not DER");
	expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, "PE #0 (header): processed");
	pl_free(&pl);
	/* An alternative from a later PEDefinitions ([40]): kept, reported as a warning, for who
	 * vouches for it and for an eUICC installing it. One whose PEHeader says mandated: an
	 * error for both (TCA SAIP error handling: a mandated PE the eUICC cannot process stops
	 * the installation; a warning both until session 66, and openrsp's eUICC installed the
	 * profile without it); without mandated, a PEHeader changes nothing. */
	static const struct {
		const char *pe;
		size_t len;
		bool error;
		const char *what;
	} unknown[] = {
	    {"\xBF\x28\x03\x02\x01\x07", 6, false,
	     "PE #2 (unknown): an alternative this PEDefinitions version"},
	    {"\xBF\x28\x07\xA0\x05\x80\x00\x81\x01\x63", 10, true,
	     "PE #2 (unknown): mandated, and an alternative this"},
	    {"\xBF\x28\x05\xA0\x03\x81\x01\x63", 8, false,
	     "PE #2 (unknown): an alternative this PEDefinitions version"},
	};
	for (size_t k = 0; k < ORSP_ARRAY_LEN(unknown); k++) {
		pl_load(&pl, V7);
		pl_insert(&pl, 2, (const uint8_t *)unknown[k].pe, unknown[k].len);
		expect_issue(&pl, unknown[k].error, unknown[k].what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, unknown[k].error,
		                   unknown[k].what);
		pl_free(&pl);
	}
	/* The empty package. */
	orsp_pkg *pkg = NULL;
	assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_E_USAGE);
	/* Flags it does not know. */
	{
		size_t len = 0;
		uint8_t *b = test_read_vector(V7, &len);
		assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
		assert_int_equal(orsp_pkg_validate_flags(pkg, ORSP_PKG_VALIDATE_INSTALL, NULL),
		                 ORSP_OK);
		assert_int_equal(orsp_pkg_validate_flags(pkg, 2, NULL), ORSP_E_USAGE);
		orsp_pkg_free(pkg);
		free(b);
	}
}

static void isim_impu_fd(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.isim.ef_impu)->fileDescriptor, (const char *)arg);
}
/* EF.IMPU as 255 records of 1 byte */
static void isim_impu_255(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	isim_impu_fd(pe, "42210001");
	isim_impu_size(pe, "FF");
}
static void usim_adf_aid(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.usim.adf_usim)->dfName, (const char *)arg);
}
static void isim_adf_aid(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.isim.adf_isim)->dfName, (const char *)arg);
}
static void usim_imsi_size(ProfileElement_t *pe, void *arg)
{
	file_size_set(&pe->choice.usim.ef_imsi, (const char *)arg);
}
static void usim_imsi_fd(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.usim.ef_imsi)->fileDescriptor, (const char *)arg);
}
static void mf_iccid_fd(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.mf.ef_iccid)->fileDescriptor, (const char *)arg);
}
/* A fillFileOffset of *arg in front of EF.IMSI's content. */
static void usim_imsi_offset(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.usim.ef_imsi;
	struct File__Member *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->present = File__Member_PR_fillFileOffset;
	m->choice.fillFileOffset = *(const long *)arg;
	assert_int_equal(ASN_SEQUENCE_ADD(&f->list, m), 0);
	assert_int_equal(f->list.count, 3);
	f->list.array[2] = f->list.array[1];
	f->list.array[1] = m;
}
static void telecom_psismsc_size(ProfileElement_t *pe, void *arg)
{
	file_size_set(pe->choice.telecom.ef_psismsc, (const char *)arg);
}

/* A File's efFileSize left out. */
static void file_size_drop(File_t *f)
{
	Fcp_t *fcp = fcp_of(f);
	assert_non_null(fcp->efFileSize);
	ASN_STRUCT_FREE(asn_DEF_OCTET_STRING, fcp->efFileSize);
	fcp->efFileSize = NULL;
}
static void mf_dir_no_size(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_drop(&pe->choice.mf.ef_dir);
}
static void isim_impi_no_size(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_drop(&pe->choice.isim.ef_impi);
}
static void telecom_psismsc_no_size(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_drop(pe->choice.telecom.ef_psismsc);
}
/* EF.DIR without efFileSize, its fileID 0000 */
static void mf_dir_fid0_no_size(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	file_size_drop(&pe->choice.mf.ef_dir);
	os_new(&fcp_of(&pe->choice.mf.ef_dir)->fileID, "0000");
}

/* The layout of every file the package creates, as openrsp's eUICC creates it
 * (orsp_pkg_ef_layout_check, shared with src/euicc/usim_fs.c): before, TS.48 v7 with EF.IMPU
 * sized 80 bytes in records of 64 passed, and the eUICC served the profile without its ISIM.
 * Each is an error for who vouches for the package, a warning for the eUICC installing it
 * (whose trial load decides). TS.48 itself passes (test_ts48_profiles). */
static void test_validate_layout(void **state)
{
	static const long one = 1;
	static const edit_case edits[] = {
	    {ORSP_PE_ISIM, isim_impu_size, "50",
	     "PE #18 (isim): ef-impu: 80 bytes is not a whole number of records of 64 bytes"},
	    {ORSP_PE_ISIM, isim_impu_size, "00", "(isim): ef-impu: a file of 0 bytes"},
	    {ORSP_PE_ISIM, isim_impu_fd, "42210041",
	     "ef-impu: 192 bytes is not a whole number of records of 65 bytes"},
	    {ORSP_PE_ISIM, isim_impu_fd, "42210100", "ef-impu: records of 256 bytes (at most 255)"},
	    /* a 2-byte descriptor: one record of the size, as the ISIM template makes it (no
	     * refusal since session 54; test_impu_one_record in test_usim_app.c) */
	    {ORSP_PE_ISIM, isim_impu_fd, "422100",
	     "ef-impu: fileDescriptor of 3 bytes (TS 102 222: 2, or 4 with the record length)"},
	    {ORSP_PE_ISIM, isim_impu_size, "010000", "ef-impu: a file of 65536 bytes"},
	    {ORSP_PE_ISIM, isim_impu_255, NULL, "ef-impu: 255 records of 1 bytes (at most 254)"},
	    {ORSP_PE_USIM, usim_adf_aid, "A0000000871005FF49FF0589",
	     "(usim): adf-usim: dfName a0000000871005ff49ff0589 is not a USIM AID"},
	    {ORSP_PE_USIM, usim_adf_aid, "A000000087", "adf-usim: dfName a000000087 is not a USIM"},
	    {ORSP_PE_ISIM, isim_adf_aid, "A0000000871002FF49FF0589",
	     "(isim): adf-isim: dfName a0000000871002ff49ff0589 is not an ISIM AID"},
	    {ORSP_PE_USIM, usim_imsi_size, "08",
	     "(usim): ef-imsi: its content ends at byte 9, past the file's 8 bytes"},
	    {ORSP_PE_USIM, usim_imsi_offset, &one,
	     "(usim): ef-imsi: its content ends at byte 10, past the file's 9 bytes"},
	    {ORSP_PE_TELECOM, telecom_psismsc_size, "17",
	     "(telecom): ef-psismsc: 23 bytes is not a whole number of records of 22 bytes"},
	    /* PEDefinitions: efFileSize "on the minimum number of octets possible" */
	    {ORSP_PE_USIM, usim_imsi_size, "0009",
	     "(usim): ef-imsi: efFileSize of 2 bytes not in the fewest bytes"},
	    /* EF.IMSI and EF.ICCID are transparent (a record file: READ BINARY finds
	     * nothing) */
	    {ORSP_PE_USIM, usim_imsi_fd, "42210009",
	     "(usim): ef-imsi: not a transparent file (fileDescriptor 42)"},
	    {ORSP_PE_MF, mf_iccid_fd, "4221000A",
	     "(mf): ef-iccid: not a transparent file (fileDescriptor 42)"},
	    /* an EF neither the Fcp nor the template gives a size: before, it passed and the
	     * eUICC went without it (EF.DIR and its records) */
	    {ORSP_PE_MF, mf_dir_no_size, NULL,
	     "PE #1 (mf): ef-dir: an EF of no size (no efFileSize, and the template gives none)"},
	    {ORSP_PE_ISIM, isim_impi_no_size, NULL, "(isim): ef-impi: an EF of no size"},
	};
	pelist pl;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(edits); i++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, edits[i].type, 0), edits[i].fn,
		        (void *)(uintptr_t)edits[i].arg);
		expect_issue(&pl, true, edits[i].what);
		/* the IMSI moved a byte on is no IMSI, whatever the layout: an error still */
		if (edits[i].fn == usim_imsi_offset)
			expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true,
			                   "(usim): EF.IMSI: length byte 255 invalid");
		else
			expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, edits[i].what);
		pl_free(&pl);
	}
	/* the sizes of a whole number of records, and a USIM AID of 7 bytes, pass */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_ISIM, 0), isim_impu_size, "0100");
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_adf_aid, "A0000000871002");
	expect_valid(&pl);
	pl_free(&pl);
	/* no efFileSize where the template gives the size (TS.48's EF.IMSI, EF.AD), or where
	 * openrsp does not know the template (TS.48's EF.ACMmax; PE-TELECOM's EF.PSISMSC): not
	 * refused */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_TELECOM, 0), telecom_psismsc_no_size, NULL);
	expect_valid(&pl);
	pl_free(&pl);
	/* EF.DIR of no size with the fileID 0000: a file the eUICC cannot address and leaves
	 * out whatever its size (usim_fs.c, add_file), so not "an EF of no size" */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_MF, 0), mf_dir_fid0_no_size, NULL);
	expect_valid(&pl);
	expect_no_issue(&pl, "ef-dir");
	pl_free(&pl);
}

/* A File's Fcp fileID (hex). */
static void file_fid_set(File_t *f, const char *hex)
{
	os_new(&fcp_of(f)->fileID, hex);
}
static void usim_imsi_fid(ProfileElement_t *pe, void *arg)
{
	file_fid_set(&pe->choice.usim.ef_imsi, (const char *)arg);
}
/* EF.SPN (no SFI in the template) given the Fcp shortEFID in arg (hex: b8..b4 the SFI) */
static void usim_spn_sfi(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.usim.ef_spn)->shortEFID, (const char *)arg);
}
static void isim_adf_fid(ProfileElement_t *pe, void *arg)
{
	file_fid_set(&pe->choice.isim.adf_isim, (const char *)arg);
}
static void gsm_kc_fid(ProfileElement_t *pe, void *arg)
{
	file_fid_set(pe->choice.gsm_access.ef_kc, (const char *)arg);
}
/* EF.PL left to the MF's template (2F05), EF.UMPC given its FID */
static void mf_umpc_as_pl(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	assert_non_null(pe->choice.mf.ef_pl);
	ASN_STRUCT_FREE(asn_DEF_File, pe->choice.mf.ef_pl);
	pe->choice.mf.ef_pl = NULL;
	file_fid_set(pe->choice.mf.ef_umpc, "2F05");
}
/* The fileID of createFCP number *arg (from 0) of TS.48 v7's first genericFileManagement:
 * #0 2FFB in the MF, #1 6F44 in DF.TELECOM (7F10). */
static void gfm_fid(ProfileElement_t *pe, void *arg)
{
	const struct {
		int nth;
		const char *hex;
	} *a = arg;
	FileManagement_t *fm = pe->choice.genericFileManagement.fileManagementCMD.list.array[0];
	int n = 0;
	for (int j = 0; j < fm->list.count; j++)
		if (fm->list.array[j]->present == FileManagement__Member_PR_createFCP &&
		    n++ == a->nth) {
			os_new(&fm->list.array[j]->choice.createFCP.fileID, a->hex);
			return;
		}
	fail_msg("no createFCP %d", a->nth);
}

/* PE-USIM's EF.ACC marked doNotCreate (alone: the only element): the package is valid and
 * the eUICC skips the file, so personalising an IMSI leaves it alone (it wrote EF.ACC from the
 * IMSI's last digit and was refused, "the file is marked doNotCreate", until session 57) */
static void usim_acc_dnc_only(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	dnc_only(&pe->choice.usim.ef_acc);
}

static void test_personalise_acc_not_created(void **state)
{
	pelist pl;
	size_t len;
	uint8_t *b;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_acc_dnc_only, NULL);
	expect_valid(&pl);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.iccid = "8949449999999990171";
	p.imsi = "262019876543210";
	if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_OK);
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
}

/* PE-USIM's EF.SPN marked doNotCreate (alone) */
static void usim_spn_dnc_only(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	dnc_only(&pe->choice.usim.ef_spn);
}

/* A PE-OPT-IoT whose only file is an EF.SPN left to its template, inserted at `at` */
static void pl_insert_opt_iot_spn(pelist *pl, size_t at)
{
	static const unsigned arcs[] = {2, 23, 143, 1, 2, 21};
	ProfileElement_t *pe = calloc(1, sizeof(*pe));
	PE_OPT_IoT_t *t;
	asn_enc_rval_t e;
	uint8_t *b;
	assert_non_null(pe);
	pe->present = ProfileElement_PR_opt_iot;
	t = &pe->choice.opt_iot;
	t->optiot_header.identification = 998;
	assert_int_equal(
	    OBJECT_IDENTIFIER_set_arcs(&t->templateID, arcs, sizeof(arcs[0]), ORSP_ARRAY_LEN(arcs)),
	    0);
	t->ef_spn = calloc(1, sizeof(*t->ef_spn));
	assert_non_null(t->ef_spn);
	e = der_encode(&asn_DEF_ProfileElement, pe, NULL, NULL);
	assert_true(e.encoded > 0);
	b = malloc((size_t)e.encoded);
	assert_non_null(b);
	assert_int_equal(
	    der_encode_to_buffer(&asn_DEF_ProfileElement, pe, b, (size_t)e.encoded).encoded,
	    e.encoded);
	pl_insert(pl, at, b, (size_t)e.encoded);
	free(b);
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
}

/* PE-USIM's EF.SPN marked doNotCreate: the eUICC does not create it, so personalising an SPN
 * leaves it alone, as a PE without EF.SPN (PEDefinitions File.doNotCreate). It refused the
 * whole personalisation, ORSP_E_POLICY "ef-spn: the file is marked doNotCreate", also when
 * another PE (here the PE-OPT-IoT after a PE-IoT) has the EF.SPN the SPN goes to. With no
 * other EF.SPN: ORSP_E_NOT_FOUND, as for a template with none. */
static void test_personalise_spn_not_created(void **state)
{
	pelist pl;
	size_t len;
	uint8_t *b;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	orsp_pkg_usim u;
	(void)state;

	/* TS.48 v7, its one EF.SPN not created: no EF.SPN to take the SPN */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_spn_dnc_only, NULL);
	expect_valid(&pl);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	/* and the USIM as the package defines it has none (it read as an EF.SPN of no name,
	 * display condition FF, the file size of FF bytes) */
	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_false(u.has_spn);
	assert_string_equal(u.spn, "");
	orsp_pkg_perso_init(&p);
	p.spn = "openrsp";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	assert_string_equal(orsp_err_detail(), "spn: the template has no EF.SPN");
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);

	/* a PE-IoT and its PE-OPT-IoT with an EF.SPN before it: the SPN goes there */
	pl_load(&pl, V7);
	pl_iot_from_mf(&pl, pl_find(&pl, ORSP_PE_MF, 0), pl_find(&pl, ORSP_PE_USIM, 0), true);
	pl_insert_opt_iot_spn(&pl, pl_find(&pl, ORSP_PE_IOT, 0) + 1);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_spn_dnc_only, NULL);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	/* the PE-IoT (the first NAA) has it; the PE-USIM's EF.SPN is still doNotCreate alone */
	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_int_equal(u.pe_index, pl_find(&pl, ORSP_PE_IOT, 0));
	assert_true(u.has_spn);
	assert_string_equal(u.spn, "openrsp");
	{
		orsp_pkg_fs fs;
		size_t usim = pl_find(&pl, ORSP_PE_USIM, 0);
		bool dnc = false;
		assert_int_equal(orsp_pkg_get_files(pkg, usim, &fs), ORSP_OK);
		for (size_t i = 0; i < fs.n_files; i++)
			if (strcmp(fs.files[i].name, "ef-spn") == 0)
				dnc = fs.files[i].do_not_create && fs.files[i].n_content == 0;
		assert_true(dnc);
	}
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
}

/* PE-USIM's EF.AD marked doNotCreate (alone) */
static void usim_ad_dnc_only(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	dnc_only(pe->choice.usim.ef_ad);
}

/* PE-USIM's EF.AD marked doNotCreate: the eUICC does not create it, so the USIM has no EF.AD
 * and nothing gives the MNC length (the TCA template's '00000002' is the content of a file it
 * creates). The package is valid; personalising the MNC length is refused as for a PE-USIM
 * without ef-ad, ORSP_E_NOT_FOUND (it was ORSP_E_POLICY "ef-ad: the file is marked
 * doNotCreate"), and the ISIM's IMS domain (TS 23.003 §13.2: ims.mnc<MNC>.mcc<MCC>) needs an
 * explicit ims_mnc_len (it took a 2-digit MNC: ims.mnc041.mcc310 for IMSI 310410...'s MNC
 * 410). */
static void test_personalise_ad_not_created(void **state)
{
	pelist pl;
	size_t len, enc_len;
	uint8_t *b, *enc;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	orsp_pkg_usim u;
	orsp_pkg_isim is;
	char missing[256];
	(void)state;

	/* the error for a PE-USIM without ef-ad */
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_absent, NULL);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.mnc_len = 3;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	snprintf(missing, sizeof(missing), "%s", orsp_err_detail());
	assert_non_null(strstr(missing, "no ef-ad in the template: cannot set the MNC length"));
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_dnc_only, NULL);
	expect_valid(&pl);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_false(u.has_ad);
	assert_int_equal(u.mnc_len, 0);

	/* the MNC length: the same error as without ef-ad, the package unchanged */
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	assert_string_equal(orsp_err_detail(), missing);
	p.imsi = "310410123456789";
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	assert_string_equal(orsp_err_detail(), missing);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &enc, &enc_len), ORSP_OK);
	assert_int_equal(enc_len, len);
	assert_bytes_equal(enc, b, len);
	orsp_pkg_buf_free(enc, enc_len);

	/* the IMSI alone: the IMS domain's MNC length is unknown */
	p.mnc_len = 0;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_E_NOT_FOUND);
	assert_detail_has("the IMS domain of an ISIM needs the MNC length, which is unknown "
	                  "(EF.AD is marked doNotCreate)");
	assert_int_equal(orsp_pkg_encode(pkg, 0, &enc, &enc_len), ORSP_OK);
	assert_int_equal(enc_len, len);
	assert_bytes_equal(enc, b, len);
	orsp_pkg_buf_free(enc, enc_len);

	/* given explicitly, it is the domain's */
	p.ims_mnc_len = 3;
	if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &is), ORSP_OK);
	assert_string_equal(is.domain, "ims.mnc410.mcc310.3gppnetwork.org");
	assert_string_equal(is.impi, "310410123456789@ims.mnc410.mcc310.3gppnetwork.org");
	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_false(u.has_ad);
	assert_int_equal(u.mnc_len, 0);
	assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_OK);
	/* or the template's IMS identity kept */
	p.ims_mnc_len = 0;
	p.keep_ims_identity = true;
	if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	orsp_pkg_perso_wipe(&p);
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
}

/* PE-ISIM's EF.IMPI, EF.DOMAIN or EF.IMPU (arg: a size_t, 0, 1 or 2) marked doNotCreate
 * (alone) */
static void isim_dnc_only(ProfileElement_t *pe, void *arg)
{
	const size_t *which = arg;
	PE_ISIM_t *isim = &pe->choice.isim;
	dnc_only(*which == 0 ? &isim->ef_impi : *which == 1 ? &isim->ef_domain : &isim->ef_impu);
}

/* TS 31.103 §4.2.2-4.2.4: EF.IMPI, EF.DOMAIN and EF.IMPU are mandatory in the ISIM, where
 * personalisation writes the IMS identity: one marked doNotCreate is an error (a warning for
 * an eUICC installing it), as EF.IMSI is. It was a valid package that `smdp profile generate`
 * then refused, "the template gives no file size", until session 66. */
static void test_validate_isim_mandatory_not_created(void **state)
{
	static const char *const which[] = {"impi", "domain", "impu"};
	pelist pl;
	char want[96];
	(void)state;

	for (size_t k = 0; k < ORSP_ARRAY_LEN(which); k++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_ISIM, 0), isim_dnc_only, &k);
		snprintf(want, sizeof(want),
		         "ef-%s: doNotCreate leaves the ISIM without it, mandatory in TS 31.103",
		         which[k]);
		expect_issue(&pl, true, want);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, want);
		pl_free(&pl);
	}
	pl_load(&pl, V7);
	expect_no_issue(&pl, "doNotCreate leaves the ISIM");
	pl_free(&pl);
}

/* PE-USIM's EF.IMSI marked doNotCreate (alone) */
static void usim_imsi_dnc_only(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	dnc_only(&pe->choice.usim.ef_imsi);
}

/* TS 31.102 §4.2.2 and §4.2.18: EF.IMSI and EF.AD are mandatory in the USIM. EF.IMSI marked
 * doNotCreate leaves the USIM no subscription, and personalisation cannot write one: an error
 * (a warning for an eUICC installing it, as for two IMSIs); it was a valid package with 0
 * warnings that `profile build` then refused. EF.AD marked doNotCreate: a warning. */
static void test_validate_usim_mandatory_not_created(void **state)
{
	pelist pl;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_imsi_dnc_only, NULL);
	expect_issue(&pl, true,
	             "PE #7 (usim): ef-imsi: doNotCreate leaves the USIM without EF.IMSI, "
	             "mandatory in TS 31.102");
	expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false,
	                   "ef-imsi: doNotCreate leaves the USIM without EF.IMSI");
	pl_free(&pl);

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_dnc_only, NULL);
	expect_issue(&pl, false,
	             "PE #7 (usim): ef-ad: doNotCreate leaves the USIM without EF.AD, mandatory "
	             "in TS 31.102 (it gives the MNC length)");
	pl_free(&pl);

	/* TS.48 as it is: neither */
	pl_load(&pl, V7);
	expect_no_issue(&pl, "doNotCreate leaves the USIM");
	pl_free(&pl);
}

/* PE-USIM's adf-usim or PE-ISIM's adf-isim (arg: a bool, true for the ISIM) marked
 * doNotCreate (alone) */
static void naa_adf_dnc_only(ProfileElement_t *pe, void *arg)
{
	const bool *isim = arg;
	dnc_only(*isim ? &pe->choice.isim.adf_isim : &pe->choice.usim.adf_usim);
}

/* The ADF of a PE-USIM or PE-ISIM marked doNotCreate: the NAA's files, where personalisation
 * writes the IMSI and the IMS identity, would be under an ADF never created. An error (a
 * warning for an eUICC installing it, as EF.IMSI's); until session 68 it passed. */
static void test_validate_adf_not_created(void **state)
{
	static const struct {
		orsp_pe_type t;
		const char *what;
	} c[] = {
	    {ORSP_PE_USIM, "PE #7 (usim): adf-usim: doNotCreate on the NAA's ADF"},
	    {ORSP_PE_ISIM, "PE #18 (isim): adf-isim: doNotCreate on the NAA's ADF"},
	};
	pelist pl;
	(void)state;

	for (size_t k = 0; k < ORSP_ARRAY_LEN(c); k++) {
		bool isim = c[k].t == ORSP_PE_ISIM;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, c[k].t, 0), naa_adf_dnc_only, &isim);
		expect_issue(&pl, true, c[k].what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, c[k].what);
		pl_free(&pl);
	}
	pl_load(&pl, V7);
	expect_no_issue(&pl, "doNotCreate on the NAA's ADF");
	pl_free(&pl);
}

/* The keyList rules personalisation's sd_keys applies (a length the key's type allows, one
 * symmetric key per KVN and KID, GPCS §11.1.8) are the validator's too: until session 68
 * check and the SM-DP+'s import took such a package, which `smdp profile generate` then
 * refused. An error; a warning for an eUICC installing it (it does not use the keys). */
static void test_validate_sd_keys(void **state)
{
	static const struct {
		sd_key_edit ed;
		const char *what; /* NULL: no keyList issue */
	} cases[] = {
	    {{3, NULL, "000102030405060708090A0B0C0D0E", NULL},
	     "PE #24 (securityDomain): keyList: key KVN 02 KID 01: keyType 88 with 15 bytes of "
	     "keyData: AES needs 16, 24 or 32 bytes"},
	    {{0, NULL, "00010203040506", NULL},
	     "keyList: key KVN 01 KID 01: keyType 80 with 7 bytes of keyData: DES needs"},
	    {{2, "90", "00", NULL}, "keyList: key KVN 01 KID 03: keyType 90 with 1 bytes"},
	    {{3, NULL, NULL, "01"},
	     "PE #24 (securityDomain): keyList: two symmetric keys with KVN 01 KID 01"},
	    /* a public key, a 24-byte AES key: nothing */
	    {{3, "B0", "00", NULL}, NULL},
	    {{4, NULL, "000102030405060708090A0B0C0D0E0F1011121314151617", NULL}, NULL},
	};
	pelist pl;
	(void)state;

	for (size_t t = 0; t < ORSP_ARRAY_LEN(cases); t++) {
		sd_key_edit ed = cases[t].ed;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_SECURITY_DOMAIN, 0), sd_key_set, &ed);
		if (cases[t].what) {
			expect_issue(&pl, true, cases[t].what);
			expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, cases[t].what);
		} else {
			expect_valid(&pl);
			expect_no_issue(&pl, "keyList:");
		}
		pl_free(&pl);
	}
	pl_load(&pl, V7);
	expect_no_issue(&pl, "keyList:");
	pl_free(&pl);
}

/* One PINConfiguration (PE-PINCodes) or PUKConfiguration (PE-PUKCodes) of a PE changed: its
 * keyReference, or its maxNumOfAttemps-retryNumLeft (-1: left as it is). */
typedef struct pin_edit {
	int entry;
	long ref, tries;
} pin_edit;
static void pin_entry_set(ProfileElement_t *pe, void *arg)
{
	const pin_edit *ed = arg;
	long *ref, **tries;
	if (pe->present == ProfileElement_PR_pukCodes) {
		PUKConfiguration_t *c = pe->choice.pukCodes.pukCodes.list.array[ed->entry];
		ref = &c->keyReference;
		tries = &c->maxNumOfAttemps_retryNumLeft;
	} else {
		PINConfiguration_t *c =
		    pe->choice.pinCodes.pinCodes.choice.pinconfig.list.array[ed->entry];
		ref = &c->keyReference;
		tries = &c->maxNumOfAttemps_retryNumLeft;
	}
	if (ed->ref >= 0)
		*ref = ed->ref;
	if (ed->tries >= 0) {
		if (!*tries)
			*tries = calloc(1, sizeof(**tries));
		assert_non_null(*tries);
		**tries = ed->tries;
	}
}

/* PIN and PUK key references PEDefinitions names (PINKeyReferenceValue, with TS 102 221's
 * universal PIN 11; PUKKeyReferenceValue), a maximum number of attempts of at least 1 with
 * no more retries left, one PE-PUKCodes: each passed until session 68. TS.48 v7's PE #3 is
 * the MF's PE-PINCodes (pinAppl1, adm1 of 10 attempts 'AA', adm2), PE #2 its PE-PUKCodes
 * (pukAppl1, secondPUKAppl1). Errors, also for an eUICC installing the package. */
static void test_validate_pin_values(void **state)
{
	static const struct {
		orsp_pe_type t;
		pin_edit ed;
		const char *what;
	} c[] = {
	    {ORSP_PE_PIN_CODES,
	     {0, 9, -1},
	     "PE #3 (pinCodes): PIN keyReference 9 is no PIN key reference"},
	    {ORSP_PE_PIN_CODES,
	     {0, 0, -1},
	     "PE #3 (pinCodes): PIN keyReference 0 is no PIN key reference"},
	    {ORSP_PE_PIN_CODES, {2, 0x89, -1}, "PIN keyReference 137 is no PIN key reference"},
	    {ORSP_PE_PUK_CODES,
	     {0, 9, -1},
	     "PE #2 (pukCodes): PUK keyReference 9 is no PUK key reference"},
	    {ORSP_PE_PUK_CODES, {1, 0x8A, -1}, "PUK keyReference 138 is no PUK key reference"},
	    {ORSP_PE_PIN_CODES,
	     {1, -1, 0xAF},
	     "PE #3 (pinCodes): PIN adm1: maxNumOfAttemps-retryNumLeft AF gives 15 retries left of "
	     "a maximum of 10"},
	    {ORSP_PE_PIN_CODES,
	     {1, -1, 0x00},
	     "PE #3 (pinCodes): PIN adm1: maxNumOfAttemps-retryNumLeft 00 gives a maximum of 0 "
	     "attempts"},
	    {ORSP_PE_PIN_CODES,
	     {1, -1, 0x05},
	     "PIN adm1: maxNumOfAttemps-retryNumLeft 05 gives a maximum of 0"},
	    {ORSP_PE_PUK_CODES,
	     {0, -1, 0x9A},
	     "PE #2 (pukCodes): PUK pukAppl1: maxNumOfAttemps-retryNumLeft 9A gives 10 retries "
	     "left of a maximum of 9"},
	    /* the default of PINConfiguration, 51 ('33'), given on pinAppl1: nothing */
	    {ORSP_PE_PIN_CODES, {0, -1, 0x33}, NULL},
	    /* fewer retries left than the maximum (a PIN already tried): nothing */
	    {ORSP_PE_PIN_CODES, {1, -1, 0xA1}, NULL},
	};
	long puk_id = 99;
	pelist pl;
	(void)state;

	for (size_t k = 0; k < ORSP_ARRAY_LEN(c); k++) {
		pin_edit ed = c[k].ed;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, c[k].t, 0), pin_entry_set, &ed);
		if (c[k].what) {
			expect_issue(&pl, true, c[k].what);
			expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, true, c[k].what);
		} else {
			expect_valid(&pl);
		}
		pl_free(&pl);
	}

	/* a second PE-PUKCodes (TCA SAIP: one holds every PUK of the profile), after the
	 * PE-USIM, of its own identification */
	pl_load(&pl, V7);
	pl_insert(&pl, pl_find(&pl, ORSP_PE_USIM, 0) + 1, pl.p[2], pl.len[2]);
	pl_edit(&pl, 8, set_id, &puk_id);
	expect_issue(&pl, true,
	             "PE #8 (pukCodes): a second PE-PUKCodes (the first is PE #2): one holds every "
	             "PUK of the profile");
	pl_free(&pl);

	pl_load(&pl, V7);
	expect_no_issue(&pl, "key reference");
	expect_no_issue(&pl, "maxNumOfAttemps");
	expect_no_issue(&pl, "PE-PUKCodes");
	pl_free(&pl);
}

/* PE-PINCodes entry (arg: an int) removed */
static void pin_entry_drop(ProfileElement_t *pe, void *arg)
{
	struct PE_PINCodes__pinCodes__pinconfig *l = &pe->choice.pinCodes.pinCodes.choice.pinconfig;
	const int *entry = arg;
	PINConfiguration_t *c = l->list.array[*entry];
	asn_sequence_del(&l->list, *entry, 0);
	ASN_STRUCT_FREE(asn_DEF_PINConfiguration, c);
}
/* the pinStatusTemplateDO of PE-MF's mf (hex) */
static void mf_ps_set(ProfileElement_t *pe, void *arg)
{
	os_new(&fcp_of(&pe->choice.mf.mf)->pinStatusTemplateDO, arg);
}

/* TCA SAIP PE-PINCodes: every key reference of a DF's or ADF's pinStatusTemplateDO is defined
 * by a PE-PINCodes of its PIN context, a global PIN in the MF's (the PE-PINCodes after PE-MF),
 * a local one in its DF's or a DF's above it (the PE-PINCodes after PE-TELECOM, PE-USIM with
 * PE-OPT-USIM, ...); an eUICC aborts the installation otherwise (pin-code-missing). The MF's
 * PE-PINCodes defines global PINs only, a DF's or ADF's local ones only (PEDefinitions
 * PINConfiguration). Errors, also for an eUICC installing; warnings where the context of some
 * PE-PINCodes is not followed (after a genericFileManagement that creates a DF) and for the
 * universal PIN 11, which PINKeyReferenceValue does not name. Each passed until session 68.
 * TS.48 v7: PE #1 PE-MF ('010A0B'), #3 its PE-PINCodes (pinAppl1, adm1, adm2), #4 PE-TELECOM
 * ('81010A0B'), #5 its PE-PINCodes (secondPINAppl1), #7 PE-USIM, #9 its PE-PINCodes, #11
 * PE-GSM-ACCESS, #18 PE-ISIM, #20 its PE-PINCodes, #22 a genericFileManagement creating DFs. */
static void test_validate_pin_contexts(void **state)
{
	static const int adm2 = 2;
	static const pin_edit pinappl1 = {0, 0x01, -1}, second2 = {2, 0x82, -1};
	static const struct {
		orsp_pe_type t;
		int nth;
		pe_edit_fn fn;
		const void *arg;
		bool error;
		const char *what;
	} c[] = {
	    /* the MF's adm2 not defined: used by the MF and every DF and ADF */
	    {ORSP_PE_PIN_CODES, 0, pin_entry_drop, &adm2, true,
	     "PE #1 (mf): mf: pinStatusTemplateDO names adm2 (0B), a global PIN no PE-PINCodes "
	     "defines in the MF's PIN context (after PE #1): pin-code-missing"},
	    {ORSP_PE_PIN_CODES, 0, pin_entry_drop, &adm2, true,
	     "PE #11 (gsm-access): df-gsm-access: pinStatusTemplateDO names adm2 (0B)"},
	    /* a global PIN in DF.TELECOM's context, a local one in the MF's */
	    {ORSP_PE_PIN_CODES, 1, pin_entry_set, &pinappl1, true,
	     "PE #5 (pinCodes): PIN pinAppl1 (01) is global, in the PIN context of df-telecom "
	     "(PE #4): a DF's or ADF's defines only local PINs"},
	    {ORSP_PE_PIN_CODES, 1, pin_entry_set, &pinappl1, true,
	     "PE #4 (telecom): df-telecom: pinStatusTemplateDO names secondPINAppl1 (81), a local "
	     "PIN no PE-PINCodes defines in its DF's PIN context or one above: pin-code-missing"},
	    {ORSP_PE_PIN_CODES, 0, pin_entry_set, &second2, true,
	     "PE #3 (pinCodes): PIN secondPINAppl2 (82) is local, in the MF's PIN context (after "
	     "PE #1): only global PINs are defined there"},
	    /* a key reference that is no PIN's */
	    {ORSP_PE_MF, 0, mf_ps_set, "010A0B09", true,
	     "PE #1 (mf): mf: pinStatusTemplateDO names key reference 09, no PIN's"},
	    /* the universal PIN, which PINKeyReferenceValue does not name: a warning */
	    {ORSP_PE_MF, 0, mf_ps_set, "010A0B11", false,
	     "PE #1 (mf): mf: pinStatusTemplateDO names universalPIN (11), a global PIN no "
	     "PE-PINCodes defines in the MF's PIN context (after PE #1): pin-code-missing; "
	     "PINKeyReferenceValue has none"},
	};
	pelist pl;
	(void)state;

	for (size_t k = 0; k < ORSP_ARRAY_LEN(c); k++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, c[k].t, (size_t)c[k].nth), c[k].fn,
		        (void *)(uintptr_t)c[k].arg);
		expect_issue(&pl, c[k].error, c[k].what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, c[k].error, c[k].what);
		pl_free(&pl);
	}

	/* the USIM's PE-PINCodes dropped: its ADF and the DFs under it (PE-GSM-ACCESS now #10),
	 * whose context is above */
	pl_load(&pl, V7);
	pl_drop(&pl, 9);
	expect_issue(&pl, true,
	             "PE #7 (usim): adf-usim: pinStatusTemplateDO names secondPINAppl1 (81), a "
	             "local PIN no PE-PINCodes defines");
	expect_issue(&pl, true,
	             "PE #10 (gsm-access): df-gsm-access: pinStatusTemplateDO names "
	             "secondPINAppl1 (81)");
	pl_free(&pl);

	/* the ISIM's: its ADF */
	pl_load(&pl, V7);
	pl_drop(&pl, 20);
	expect_issue(&pl, true,
	             "PE #18 (isim): adf-isim: pinStatusTemplateDO names secondPINAppl1 (81), a "
	             "local PIN no PE-PINCodes defines in its DF's PIN context or one above: "
	             "pin-code-missing");
	pl_free(&pl);

	/* the ISIM's after the genericFileManagement that creates DFs (its PINs are then that
	 * DF's, which this check does not follow): a warning */
	pl_load(&pl, V7);
	pl_move(&pl, 20, 22);
	expect_issue(&pl, false,
	             "PE #18 (isim): adf-isim: pinStatusTemplateDO names secondPINAppl1 (81), a "
	             "local PIN no PE-PINCodes defines in its DF's PIN context or one above: "
	             "pin-code-missing; some PE-PINCodes' context is not followed");
	pl_free(&pl);

	pl_load(&pl, V7);
	expect_no_issue(&pl, "pinStatusTemplateDO");
	expect_no_issue(&pl, "PIN context");
	pl_free(&pl);
}

/* TS 102 221 §8.3: the files of one directory have distinct FIDs, none has its parent's,
 * 3F00, 7FFF and FFFF are reserved; an ADF's temporary file ID is unique in the profile
 * (PEDefinitions Fcp.fileID). Before, TS.48 v7 with EF.IMSI given EF.SPN's FID passed, and
 * the eUICC served two files 6F46 and no EF.IMSI. A warning for the eUICC installing (as the
 * layout rules: its trial load decides). */
static void test_validate_fids(void **state)
{
	static const struct {
		int nth;
		const char *hex;
	} gfm_mf = {0, "2FE2"}, gfm_telecom = {1, "6F06"};
	static const edit_case edits[] = {
	    {ORSP_PE_USIM, usim_imsi_fid, "6F46",
	     "PE #7 (usim): ef-spn: file ID 6F46 in adf-usim (PE #7) is also that of ef-imsi, "
	     "PE #7"},
	    {ORSP_PE_MF, mf_umpc_as_pl, NULL,
	     "PE #1 (mf): ef-umpc: file ID 2F05 in the MF is also that of ef-pl (created by the "
	     "template), PE #1"},
	    {ORSP_PE_ISIM, isim_adf_fid, "7FD0",
	     "PE #18 (isim): adf-isim: file ID 7FD0 in the MF is also that of adf-usim, PE #7"},
	    {ORSP_PE_GENERIC_FILE_MANAGEMENT, gfm_fid, &gfm_mf,
	     "PE #6 (genericFileManagement): createFCP #1: file ID 2FE2 in the MF is also that "
	     "of ef-iccid, PE #1"},
	    {ORSP_PE_GENERIC_FILE_MANAGEMENT, gfm_fid, &gfm_telecom,
	     "PE #6 (genericFileManagement): createFCP #2: file ID 6F06 in df-telecom (PE #4) is "
	     "also that of ef-arr, PE #4"},
	    {ORSP_PE_GSM_ACCESS, gsm_kc_fid, "5F3B",
	     "(gsm-access): ef-kc: file ID 5F3B is that of df-gsm-access (PE #11) above it"},
	    {ORSP_PE_USIM, usim_imsi_fid, "7FFF", "(usim): ef-imsi: file ID 7FFF is reserved"},
	    {ORSP_PE_USIM, usim_imsi_fid, "3F00", "(usim): ef-imsi: file ID 3F00 is reserved"},
	    /* one SFI twice in a directory (nothing checked it until session 57; the eUICC
	     * served the first): EF.IMSI's 07 given to EF.SPN */
	    {ORSP_PE_USIM, usim_spn_sfi, "38",
	     "PE #7 (usim): ef-spn: SFI 07 in adf-usim (PE #7) is also that of ef-imsi, PE #7"},
	};
	pelist pl;
	long id = 99;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(edits); i++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, edits[i].type, 0), edits[i].fn,
		        (void *)(uintptr_t)edits[i].arg);
		expect_issue(&pl, true, edits[i].what);
		expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, edits[i].what);
		/* the eUICC's trial load (its files: the MF's and the USIM's) refuses what it
		 * would serve shadowed; it installed them until session 57 */
		if (edits[i].type == ORSP_PE_USIM || edits[i].type == ORSP_PE_MF) {
			size_t len;
			uint8_t *b = pl_join(&pl, &len);
			if (orsp_usim_check(b, len) != ORSP_E_MALFORMED)
				fail_msg("edit %zu: the trial load took it", i);
			free(b);
		}
		pl_free(&pl);
	}
	/* a template file a PE gives again is that file: TS.48 itself passes (EF.IMSI given
	 * 6F07, EF.IMG and EF.MLPL both 4F20, in DF.GRAPHICS and DF.MMSS); so does a PE-USIM
	 * repeated (its files in an ADF of its own) */
	pl_load(&pl, V7);
	expect_valid(&pl);
	pl_insert(&pl, pl_find(&pl, ORSP_PE_USIM, 0) + 1, pl.p[pl_find(&pl, ORSP_PE_USIM, 0)],
	          pl.len[pl_find(&pl, ORSP_PE_USIM, 0)]);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 1), set_id, &id);
	expect_issue(&pl, true, "a second PE-USIM without the multiple-usim service");
	expect_issue(&pl, true, "adf-usim: file ID 7FD0 in the MF is also that of adf-usim");
	pl_free(&pl);
}

/* ------------------------------------------------------------------ template gaps ------- */

typedef struct aid_buf {
	uint8_t b[16];
	size_t n;
} aid_buf;

/* Read (not change) the dfName of the PE-USIM's or PE-ISIM's ADF into arg. */
static void naa_aid_get(ProfileElement_t *pe, void *arg)
{
	File_t *f = pe->present == ProfileElement_PR_usim ? &pe->choice.usim.adf_usim
	                                                  : &pe->choice.isim.adf_isim;
	aid_buf *a = arg;
	OCTET_STRING_t *d = f->list.array[0]->choice.fileDescriptor.dfName;
	assert_non_null(d);
	assert_true((size_t)d->size <= sizeof(a->b));
	memcpy(a->b, d->buf, (size_t)d->size);
	a->n = (size_t)d->size;
}

/* The PE-AKAParameter becomes a mappingParameter (options 01) naming the AID in arg. */
static void aka_mapping(ProfileElement_t *pe, void *arg)
{
	const aid_buf *a = arg;
	PE_AKAParameter_t *k = &pe->choice.akaParameter;
	assert_int_equal(pe->present, ProfileElement_PR_akaParameter);
	ASN_STRUCT_FREE_CONTENTS_ONLY(asn_DEF_AlgoParameter,
	                              &k->algoConfiguration.choice.algoParameter);
	memset(&k->algoConfiguration, 0, sizeof(k->algoConfiguration));
	k->algoConfiguration.present = PE_AKAParameter__algoConfiguration_PR_mappingParameter;
	os_put(&k->algoConfiguration.choice.mappingParameter.mappingOptions, "01");
	assert_int_equal(
	    OCTET_STRING_fromBuf(&k->algoConfiguration.choice.mappingParameter.mappingSource,
	                         (const char *)a->b, (int)a->n),
	    0);
}

/* authCounterMax '010203'H in the algoParameter. */
static void aka_counter_max(ProfileElement_t *pe, void *arg)
{
	(void)arg;
	os_new(&algo(pe)->authCounterMax, "010203");
}

static void pkg_of(const pelist *pl, orsp_pkg **pkg, uint8_t **b)
{
	size_t len;
	*b = pl_join(pl, &len);
	if (orsp_pkg_decode(*b, len, pkg) != ORSP_OK)
		fail_msg("decode failed: %s", orsp_err_detail());
}

/* Personalising a template the inputs cannot be written to. A PE-USIM without EF.AD and
 * --mnc-length: ORSP_E_NOT_FOUND naming the missing file. An EF.SPN of 300 bytes (efFileSize
 * '012C') and a service provider name: ORSP_E_POLICY, not a write beyond the buffer. No
 * PE-USIM (so no EF.SPN) and a service provider name: ORSP_E_NOT_FOUND. */
static void test_personalise_template_gaps(void **state)
{
	pelist pl;
	orsp_pkg_perso p;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_ad_absent, NULL);
	orsp_pkg_perso_init(&p);
	p.mnc_len = 3;
	perso_refused(&pl, &p, ORSP_E_NOT_FOUND,
	              "(usim): no ef-ad in the template: cannot set the MNC length");

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), usim_spn_size, (void *)"012C");
	orsp_pkg_perso_init(&p);
	p.spn = "abc";
	perso_refused(&pl, &p, ORSP_E_POLICY,
	              "ef-spn: a file of 300 bytes, more than the 256 handled");

	pl_load(&pl, V7);
	pl_drop(&pl, pl_find(&pl, ORSP_PE_USIM, 0));
	orsp_pkg_perso_init(&p);
	p.spn = "abc";
	perso_refused(&pl, &p, ORSP_E_NOT_FOUND, "spn: the template has no EF.SPN");

	/* A PE the input goes into missing: ORSP_E_NOT_FOUND naming the field. No ProfileHeader
	 * and an ICCID or a profile name; no PE-MF (so no EF.ICCID) and an ICCID; no
	 * PE-AKAParameter (V7 has two) and an sqnDelta. */
	static const struct {
		orsp_pe_type drop;
		size_t count;
		const char *iccid, *name;
		bool sqn_delta;
		const char *detail;
	} missing[] = {
	    {ORSP_PE_HEADER, 1, "8949449999999990171", NULL, false,
	     "iccid: the template has no ProfileHeader"},
	    {ORSP_PE_HEADER, 1, NULL, "openrsp", false,
	     "profile_name: the template has no ProfileHeader"},
	    {ORSP_PE_MF, 1, "8949449999999990171", NULL, false,
	     "iccid: the template has no EF.ICCID (PE-MF)"},
	    {ORSP_PE_AKA_PARAMETER, 2, NULL, NULL, true, "the template has no PE-AKAParameter"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(missing); i++) {
		pl_load(&pl, V7);
		for (size_t n = missing[i].count; n > 0; n--)
			pl_drop(&pl, pl_find(&pl, missing[i].drop, n - 1));
		orsp_pkg_perso_init(&p);
		p.iccid = missing[i].iccid;
		p.profile_name = missing[i].name;
		p.set_sqn_delta = missing[i].sqn_delta;
		p.sqn_delta = 1000;
		perso_refused(&pl, &p, ORSP_E_NOT_FOUND, missing[i].detail);
	}
}

/* p initialised to set Milenage keys alone: K 11..11, OPc 22..22. */
static void perso_keys(orsp_pkg_perso *p)
{
	orsp_pkg_perso_init(p);
	p->set_aka = true;
	p->alg = ORSP_AKA_MILENAGE;
	memset(p->k.v, 0x11, 16);
	p->k.len = 16;
	memset(p->opc.v, 0x22, 16);
	p->opc.len = 16;
}

/* mappingParameter AKA PEs. The ISIM's mapped to the USIM: read back as a mapping (options,
 * source AID), no keys (ORSP_E_NOT_FOUND), and personalising keys sets them in the USIM's
 * algoParameter alone. The USIM's and the ISIM's mapped to each other: orsp_pkg_naa_aka
 * gives ORSP_E_MALFORMED and validation an error naming it. */
static void test_aka_mapping(void **state)
{
	pelist pl;
	orsp_pkg *pkg = NULL;
	orsp_pkg_aka a;
	orsp_pkg_perso p;
	orsp_secret k, opc;
	aid_buf usim, isim;
	uint8_t *b;
	size_t n;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_USIM, 0), naa_aid_get, &usim);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_ISIM, 0), naa_aid_get, &isim);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_AKA_PARAMETER, 1), aka_mapping, &usim);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_AKA_PARAMETER, 0), aka_counter_max, NULL);
	pkg_of(&pl, &pkg, &b);
	assert_int_equal(orsp_pkg_get_aka(pkg, 1, &a), ORSP_OK);
	assert_true(a.is_mapping);
	assert_int_equal(a.mapping_options, 0x01);
	assert_int_equal(a.mapping_source_len, usim.n);
	assert_bytes_equal(a.mapping_source, usim.b, usim.n);
	assert_int_equal(orsp_pkg_get_aka_keys(pkg, 1, &k, &opc), ORSP_E_NOT_FOUND);
	assert_detail_has("a mappingParameter carries no keys");
	assert_int_equal(orsp_pkg_get_aka(pkg, 0, &a), ORSP_OK);
	assert_false(a.is_mapping);
	assert_true(a.has_auth_counter_max);
	assert_bytes_equal(a.auth_counter_max, "\x01\x02\x03", 3);
	assert_int_equal(orsp_pkg_naa_aka(pkg, pl_find(&pl, ORSP_PE_ISIM, 0), &n), ORSP_OK);
	assert_int_equal(n, 0); /* the ISIM authenticates with the USIM's parameters */
	perso_keys(&p);
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_get_aka(pkg, 1, &a), ORSP_OK);
	assert_true(a.is_mapping);
	assert_int_equal(orsp_pkg_get_aka_keys(pkg, 0, &k, &opc), ORSP_OK);
	assert_int_equal(k.len, 16);
	assert_memory_equal(k.v, p.k.v, 16);
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&opc);
	orsp_pkg_free(pkg);
	free(b);

	/* the USIM's mapped to the ISIM, whose is mapped back: no algoParameter anywhere */
	pl_edit(&pl, pl_find(&pl, ORSP_PE_AKA_PARAMETER, 0), aka_mapping, &isim);
	pkg_of(&pl, &pkg, &b);
	assert_int_equal(orsp_pkg_naa_aka(pkg, pl_find(&pl, ORSP_PE_USIM, 0), &n),
	                 ORSP_E_MALFORMED);
	assert_detail_has("mappingSource names an NAA without an algoParameter");
	orsp_pkg_free(pkg);
	free(b);
	expect_issue(&pl, true,
	             "PE #7 (usim): the USIM's AKA parameters: PE #10 (akaParameter): "
	             "mappingSource names an NAA without an algoParameter");
	/* personalising keys there: ORSP_E_NOT_FOUND, nowhere to set them */
	perso_keys(&p);
	perso_refused(&pl, &p, ORSP_E_NOT_FOUND,
	              "the template has no algoParameter to set keys in");
}

/* n bytes 00 01 02 ... as hex into out (2n + 1 characters). */
static const char *hex_run(char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02X", (unsigned)(i & 0xFF));
	out[2 * n] = '\0';
	return out;
}
/* The algoParameter's key (arg[0]) and opc (arg[1]), hex; NULL keeps one. */
static void aka_key_opc(ProfileElement_t *pe, void *arg)
{
	const char *const *kv = arg;
	if (kv[0])
		os_put(&algo(pe)->key, kv[0]);
	if (kv[1])
		os_put(&algo(pe)->opc, kv[1]);
}

/* Secrets longer than an orsp_secret holds (ORSP_SECRET_MAX, 64 bytes). PEDefinitions sizes
 * neither an algoParameter's key and opc nor a security domain's keyData, so such a package
 * decodes; reading the secret out is refused. A K or an OPc of 65 bytes:
 * orsp_pkg_get_aka_keys gives ORSP_E_MALFORMED naming both lengths, both secrets left empty.
 * A keyData of 65 bytes: orsp_pkg_get_sd_key_data gives ORSP_E_MALFORMED naming the key.
 * 64 bytes are read whole. */
static void test_secrets_too_long(void **state)
{
	char h64[2 * 64 + 1], h65[2 * 65 + 1];
	static const char opc16[] = "000102030405060708090A0B0C0D0E0F";
	const struct {
		const char *k, *opc, *detail; /* detail NULL: read */
	} akas[] = {
	    {h65, opc16, "PE #10 (akaParameter): key of 65 or opc of 16 bytes is too long"},
	    {h64, h65, "PE #10 (akaParameter): key of 64 or opc of 65 bytes is too long"},
	    {h64, h64, NULL},
	};
	pelist pl;
	orsp_pkg *pkg = NULL;
	orsp_secret k, opc;
	orsp_pkg_sd_key info[8];
	size_t n = 0;
	uint8_t *b, want[65];
	(void)state;

	hex_run(h64, 64);
	hex_run(h65, 65);
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)i;
	for (size_t t = 0; t < ORSP_ARRAY_LEN(akas); t++) {
		const char *kv[2] = {akas[t].k, akas[t].opc};
		orsp_err e;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_AKA_PARAMETER, 0), aka_key_opc, kv);
		pkg_of(&pl, &pkg, &b);
		memset(&k, 0xA5, sizeof(k));
		memset(&opc, 0xA5, sizeof(opc));
		orsp_err_clear();
		e = orsp_pkg_get_aka_keys(pkg, 0, &k, &opc);
		if (akas[t].detail) {
			if (e != ORSP_E_MALFORMED)
				fail_msg("case %zu: %s (%s)", t, orsp_err_str(e),
				         orsp_err_detail());
			assert_detail_has(akas[t].detail);
			assert_int_equal(k.len, 0);
			assert_int_equal(opc.len, 0);
		} else {
			assert_int_equal(e, ORSP_OK);
			assert_int_equal(k.len, 64);
			assert_int_equal(opc.len, 64);
			assert_memory_equal(k.v, want, 64);
		}
		orsp_secret_wipe(&k);
		orsp_secret_wipe(&opc);
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}

	/* the security domain's first key with 65 bytes of keyData, its second with 64 */
	for (size_t len = 64; len <= 65; len++) {
		sd_key_edit ed = {len == 65 ? 0 : 1, NULL, len == 65 ? h65 : h64, NULL};
		orsp_err e;
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_SECURITY_DOMAIN, 0), sd_key_set, &ed);
		pkg_of(&pl, &pkg, &b);
		assert_int_equal(orsp_pkg_get_sd_keys(pkg, info, ORSP_ARRAY_LEN(info), &n),
		                 ORSP_OK);
		assert_int_equal(n, 6);
		assert_int_equal(info[ed.key].len, len);
		memset(&k, 0xA5, sizeof(k));
		orsp_err_clear();
		e = orsp_pkg_get_sd_key_data(pkg, &info[ed.key], &k);
		if (len == 65) {
			char d[80];
			if (e != ORSP_E_MALFORMED)
				fail_msg("keyData of 65 bytes: %s (%s)", orsp_err_str(e),
				         orsp_err_detail());
			snprintf(
			    d, sizeof(d),
			    "(securityDomain): key KVN %02X KID %02X: keyData of 65 bytes, more "
			    "than 64",
			    info[0].kvn, info[0].kid);
			assert_detail_has(d);
		} else {
			assert_int_equal(e, ORSP_OK);
			assert_int_equal(k.len, 64);
			assert_memory_equal(k.v, want, 64);
		}
		orsp_secret_wipe(&k);
		orsp_pkg_free(pkg);
		free(b);
		pl_free(&pl);
	}
}

/* ------------------------------------------------------------------ malformed input ----- */

/* TS.48 v7's first genericFileManagement: filePath #0 (7F10, DF.TELECOM) given the path
 * path, createFCP #1 (6F44) the file ID fid. */
typedef struct gfm_path_fid {
	const char *path, *fid;
} gfm_path_fid;
static void gfm_path(ProfileElement_t *pe, void *arg)
{
	const gfm_path_fid *a = arg;
	FileManagement_t *fm = pe->choice.genericFileManagement.fileManagementCMD.list.array[0];
	static const struct {
		int nth;
		const char *hex;
	} fcp1 = {1, NULL};
	for (int j = 0; j < fm->list.count; j++)
		if (fm->list.array[j]->present == FileManagement__Member_PR_filePath &&
		    fm->list.array[j]->choice.filePath.size == 2 &&
		    memcmp(fm->list.array[j]->choice.filePath.buf, "\x7F\x10", 2) == 0) {
			uint8_t b[16];
			size_t n = unhex(a->path, b, sizeof(b));
			assert_int_equal(OCTET_STRING_fromBuf(&fm->list.array[j]->choice.filePath,
			                                      (const char *)b, (int)n),
			                 0);
			break;
		}
	struct {
		int nth;
		const char *hex;
	} f = {fcp1.nth, a->fid};
	gfm_fid(pe, &f);
}

/* Paths of a genericFileManagement. filePath 7F10/5F3A and a createFCP of FID 7F10: an
 * error naming the DF 7F10 two levels up (the path's directories have no PE name). filePath
 * 3F00/7F10 or 7FFF/7F10 (the MF spelt out, the current ADF): the directory is not assumed
 * (no path of DFs is taken for it), so the same createFCP gives no issue. */
static void test_validate_gfm_paths(void **state)
{
	static const gfm_path_fid up = {"7F105F3A", "7F10"}, mf = {"3F007F10", "7F10"},
	                          adf = {"7FFF7F10", "7F10"};
	pelist pl;
	(void)state;

	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_GENERIC_FILE_MANAGEMENT, 0), gfm_path,
	        (void *)(uintptr_t)&up);
	expect_issue(&pl, true,
	             "PE #6 (genericFileManagement): createFCP #2: file ID 7F10 is that of DF "
	             "7F10 above it (TS 102 221 §8.3)");
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_GENERIC_FILE_MANAGEMENT, 0), gfm_path,
	        (void *)(uintptr_t)&mf);
	expect_valid(&pl);
	pl_free(&pl);
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_GENERIC_FILE_MANAGEMENT, 0), gfm_path,
	        (void *)(uintptr_t)&adf);
	expect_valid(&pl);
	pl_free(&pl);
}

/* A FileManagement put first in a PE-GenericFileManagement: a filePath (hex), or an empty one
 * and a createFCP in the MF of a transparent EF of 10 bytes with the file ID fcp (hex); then
 * a fillFileContent (hex). */
typedef struct gfm_write_cmd {
	const char *path, *fcp, *content;
} gfm_write_cmd;
static struct FileManagement__Member *fm_add(FileManagement_t *fm, FileManagement__Member_PR pr)
{
	struct FileManagement__Member *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->present = pr;
	assert_int_equal(ASN_SEQUENCE_ADD(&fm->list, m), 0);
	return m;
}
static void gfm_write_first(ProfileElement_t *pe, void *arg)
{
	const gfm_write_cmd *a = arg;
	FileManagement_t *fm = calloc(1, sizeof(*fm));
	FileManagement_t **cmds;
	int n;

	assert_non_null(fm);
	os_put(&fm_add(fm, FileManagement__Member_PR_filePath)->choice.filePath,
	       a->fcp ? "" : a->path);
	if (a->fcp) {
		Fcp_t *fcp = &fm_add(fm, FileManagement__Member_PR_createFCP)->choice.createFCP;
		os_new(&fcp->fileDescriptor, "4121");
		os_new(&fcp->fileID, a->fcp);
		os_new(&fcp->efFileSize, "0A");
	}
	os_put(&fm_add(fm, FileManagement__Member_PR_fillFileContent)->choice.fillFileContent,
	       a->content);
	assert_int_equal(
	    ASN_SEQUENCE_ADD(&pe->choice.genericFileManagement.fileManagementCMD.list, fm), 0);
	cmds = pe->choice.genericFileManagement.fileManagementCMD.list.array;
	n = pe->choice.genericFileManagement.fileManagementCMD.list.count;
	memmove(cmds + 1, cmds, (size_t)(n - 1) * sizeof(*cmds));
	cmds[0] = fm;
}

/* A genericFileManagement runs after the file-system PEs (PEDefinitions), so its filePath
 * selects a file they created and its fillFileContent overwrites it. Into EF.ICCID (2FE2 in
 * the MF; 3F00/2FE2, the MF spelt out; a createFCP of 2FE2 in the MF, also a second file of
 * that FID) or EF.IMSI (7FD0/6F07, ADF.USIM by its temporary file ID) the card would hold
 * another identity than the one personalisation wrote and the SM-DP+ and the AuC recorded:
 * an error, a warning with ORSP_PKG_VALIDATE_INSTALL (check passed all of them before).
 * 7FFF/6F07, the current ADF's, a warning: it may be another ADF (ADF.ISIM's EF.IST). EF.SPN
 * (7FD0/6F46), and a write to no file, are no identity: no issue. */
static void test_validate_gfm_identity(void **state)
{
	static const struct {
		gfm_write_cmd cmd;
		const char *what;
	} bad[] = {
	    {{"2FE2", NULL, "98001032547698103214"},
	     "PE #6 (genericFileManagement): fillFileContent #1 writes ef-iccid in the MF: a "
	     "profile's identity is written by its PE-MF/PE-USIM/PE-IoT"},
	    {{"3F002FE2", NULL, "98001032547698103214"},
	     "fillFileContent #1 writes ef-iccid in the MF"},
	    {{NULL, "2FE2", "98001032547698103214"},
	     "fillFileContent #1 writes ef-iccid in the MF"},
	    {{"7FD06F07", NULL, "080910101032540636"},
	     "PE #6 (genericFileManagement): fillFileContent #1 writes ef-imsi in adf-usim (PE "
	     "#7)"},
	};
	/* 7FFF/6F07: the current ADF's, which may be ADF.ISIM's EF.IST (TS 31.103): a warning */
	static const gfm_write_cmd any_adf = {"7FFF6F07", NULL, "080910101032540636"};
	static const gfm_write_cmd good[] = {{"7FD06F46", NULL, "00"}, {"", NULL, "00"}};
	pelist pl;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad) + ORSP_ARRAY_LEN(good); i++) {
		bool is_bad = i < ORSP_ARRAY_LEN(bad);
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, ORSP_PE_GENERIC_FILE_MANAGEMENT, 0), gfm_write_first,
		        (void *)(uintptr_t)(is_bad ? &bad[i].cmd : &good[i - ORSP_ARRAY_LEN(bad)]));
		if (is_bad) {
			expect_issue(&pl, true, bad[i].what);
			expect_issue_flags(&pl, ORSP_PKG_VALIDATE_INSTALL, false, bad[i].what);
		} else {
			expect_valid(&pl);
			expect_no_issue(&pl, "fillFileContent");
		}
		pl_free(&pl);
	}
	pl_load(&pl, V7);
	pl_edit(&pl, pl_find(&pl, ORSP_PE_GENERIC_FILE_MANAGEMENT, 0), gfm_write_first,
	        (void *)(uintptr_t)&any_adf);
	expect_issue(&pl, false,
	             "fillFileContent #1 may write ef-imsi in adf-usim (PE #7) (7FFF: if it is "
	             "the current ADF)");
	pl_free(&pl);
}

/* One genericFileManagement of n empty filePath items: 5 + n TLVs in all. */
static uint8_t *gfm_items(size_t n, size_t *len)
{
	size_t body = 2 * n, cap = 2 * n + 64;
	uint8_t *b = malloc(cap);
	orsp_writer w;

	assert_non_null(b);
	orsp_writer_init(&w, b, cap);
	/* PE-GenericFileManagement [1]: PEHeader [0] {identification 5}, fileManagementCMD [1]
	 * holding one FileManagement (SEQUENCE OF) */
	orsp_der_mark pe = orsp_der_begin(&w, 0xA1), cmd;
	orsp_write_bytes(&w, "\xA0\x03\x81\x01\x05", 5);
	cmd = orsp_der_begin(&w, 0xA1);
	orsp_der_put_header(&w, 0x30, body);
	for (size_t i = 0; i < n; i++)
		orsp_write_bytes(&w, "\x80\x00", 2);
	orsp_der_end(&w, cmd);
	orsp_der_end(&w, pe);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	*len = w.len;
	return b;
}

/* A primitive value whose length its type does not allow even in BER (X.690 §8.3.1: an
 * INTEGER has one or more contents octets; §8.8.2: a NULL none; §8.19.2: an OBJECT
 * IDENTIFIER's last octet ends a subidentifier) is refused at decode, naming the element.
 * asn1c's decoder reads an empty INTEGER as 0: a ProfileHeader with major-version `80 00`
 * decoded, `inspect` printed "version: 0.3" and `check` said "not DER" and "PEDefinitions
 * version 0.3 is not supported". */
static void test_decode_value_forms(void **state)
{
	/* ProfileHeader 2.3, iccid, no services, no templates: hex of the fields after the
	 * versions */
#define HDR_ICCID "830A89000123456789012341"
#define HDR_REST HDR_ICCID "A500A600"
	static const struct {
		const char *hex, *detail;
	} bad[] = {
	    {"A0158000810103" HDR_REST,
	     "PE #0 (header): major-version: an empty INTEGER at byte 2 (X.690"},
	    {"A018A003020102810103" HDR_REST,
	     "PE #0 (header): major-version: a constructed INTEGER at byte 2 (X.690"},
	    {"A0158001028100" HDR_REST,
	     "PE #0 (header): minor-version: an empty INTEGER at byte 5 (X.690"},
	    /* PE-End's PEHeader: identification empty; mandated with a contents octet */
	    {"A016800102810103" HDR_REST "AA06A00480008100",
	     "PE #1 (end): identification: an empty INTEGER at byte 6"},
	    {"A016800102810103" HDR_REST "AA08A00680010081011F",
	     "PE #1 (end): mandated: a NULL with contents at byte 4 (X.690"},
	    /* an OBJECT IDENTIFIER empty, unfinished, of one unfinished subidentifier */
	    {"A018800102810103" HDR_ICCID "A500A6020600",
	     "PE #0 (header): eUICC-Mandatory-GFSTEList: an OBJECT IDENTIFIER of no "
	     "subidentifiers or an unfinished last one at byte 24"},
	    {"A01A800102810103" HDR_ICCID "A500A60406026781",
	     "PE #0 (header): eUICC-Mandatory-GFSTEList: an OBJECT IDENTIFIER"},
	    {"A019800102810103" HDR_ICCID "A500A6030601E7",
	     "PE #0 (header): eUICC-Mandatory-GFSTEList: an OBJECT IDENTIFIER"},
	};
	uint8_t b[64];
	size_t len;
	orsp_pkg *pkg = NULL;
	orsp_pkg_header h;
	(void)state;

	/* the well-formed header decodes, and reads 2.3 */
	len = unhex("A016800102810103" HDR_REST "AA07A005800081011F", b, sizeof(b));
	if (orsp_pkg_decode(b, len, &pkg) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
	assert_int_equal(h.major, 2);
	assert_int_equal(h.minor, 3);
	orsp_pkg_free(pkg);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		len = unhex(bad[i].hex, b, sizeof(b));
		expect_decode_fails(b, len, ORSP_E_MALFORMED, bad[i].detail);
	}
#undef HDR_REST
#undef HDR_ICCID
}

static void test_decode_malformed(void **state)
{
	pelist pl;
	size_t len, full = 0;
	uint8_t *b, *v7 = test_read_vector(V7, &full), deep[200];
	orsp_pkg *pkg = NULL;
	(void)state;

	expect_decode_fails(v7, 0, ORSP_E_MALFORMED, "empty");
	assert_int_equal(orsp_pkg_decode(NULL, 1, &pkg), ORSP_E_USAGE);
	/* Truncated: inside every PE header and at a spread of offsets; every cut names a PE. */
	for (size_t cut = 1; cut < full; cut += (cut < 300 ? 1 : 97)) {
		orsp_err e = orsp_pkg_decode(v7, cut, &pkg);
		if (e == ORSP_OK) {
			/* The cut fell between two PEs: a valid prefix, but PE-End is missing. */
			assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_E_POLICY);
			orsp_pkg_free(pkg);
			pkg = NULL;
			continue;
		}
		assert_int_equal(e, ORSP_E_MALFORMED);
		assert_null(pkg);
		if (strncmp(orsp_err_detail(), "PE #", 4) != 0)
			fail_msg("cut %zu: detail \"%s\"", cut, orsp_err_detail());
	}
	/* A trailing zero byte, indefinite and non-minimal lengths, a universal tag. */
	b = malloc(full + 1);
	memcpy(b, v7, full);
	b[full] = 0;
	expect_decode_fails(b, full + 1, ORSP_E_MALFORMED, "PE #30 (at byte");
	memcpy(b, v7, full);
	b[1] = 0x80;
	expect_decode_fails(b, full, ORSP_E_MALFORMED, "PE #0 (at byte 0)");
	expect_decode_fails((const uint8_t *)"\xA0\x81\x05\x80\x01\x02\x81\x01", 8,
	                    ORSP_E_MALFORMED, "PE #0");
	expect_decode_fails((const uint8_t *)"\x30\x03\x02\x01\x00", 5, ORSP_E_MALFORMED,
	                    "PE #0 (unknown): tag 30 is not a ProfileElement");
	expect_decode_fails((const uint8_t *)"\x80\x01\x00", 3, ORSP_E_MALFORMED,
	                    "is not a ProfileElement");
	free(b);
	/* Deeper than ORSP_PKG_MAX_DEPTH. */
	for (size_t i = 0; i < 30; i++) {
		deep[2 * i] = i ? 0x30 : 0xA0;
		deep[2 * i + 1] = (uint8_t)(2 * (29 - i));
	}
	expect_decode_fails(deep, 60, ORSP_E_MALFORMED, "PE #0 (header): not DER");
	/* Well-formed DER that is not a ProfileHeader, and one that breaks a SIZE constraint. */
	expect_decode_fails((const uint8_t *)"\xA0\x03\x04\x01\x00", 5, ORSP_E_MALFORMED,
	                    "PE #0 (header): does not decode");
	pl_load(&pl, V7);
	pl_edit(&pl, 0, hdr_iccid, "890001234567890123");
	b = pl_join(&pl, &len);
	expect_decode_fails(b, len, ORSP_E_MALFORMED,
	                    "PE #0 (header): violates the module's constraints");
	free(b);
	pl_free(&pl);
	/* A PE that decodes as a different alternative than its tag says cannot exist; one whose
	 * content is another PE's body fails to decode and names the PE by its tag. */
	pl_load(&pl, V7);
	pl.p[2][0] = 0xA4; /* PE-PUKCodes content under the akaParameter tag */
	b = pl_join(&pl, &len);
	expect_decode_fails(b, len, ORSP_E_MALFORMED, "PE #2 (akaParameter)");
	free(b);
	pl_free(&pl);
	/* Too large. */
	b = calloc(1, ORSP_PKG_MAX_SIZE + 1);
	expect_decode_fails(b, ORSP_PKG_MAX_SIZE + 1, ORSP_E_RESOURCE, "exceeds");
	free(b);
	/* Too many items: the model would take ~95 times the input's size. ORSP_PKG_MAX_TLVS
	 * TLVs decode; one more is refused before the model is built. */
	b = gfm_items(ORSP_PKG_MAX_TLVS - 5, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	orsp_pkg_free(pkg);
	pkg = NULL;
	free(b);
	b = gfm_items(ORSP_PKG_MAX_TLVS - 4, &len);
	expect_decode_fails(b, len, ORSP_E_RESOURCE,
	                    "PE #0 (genericFileManagement): the package holds more than 100000 "
	                    "TLVs");
	free(b);
	/* An unknown alternative: kept byte for byte, but not re-encodable from the model. */
	pl_load(&pl, V7);
	pl_insert(&pl, 2, (const uint8_t *)"\xBF\x28\x03\x02\x01\x07", 6);
	b = pl_join(&pl, &len);
	assert_int_equal(orsp_pkg_decode(b, len, &pkg), ORSP_OK);
	{
		uint8_t *out = NULL;
		size_t n = 0;
		orsp_pe_info in;
		assert_int_equal(orsp_pkg_pe(pkg, 2, &in), ORSP_OK);
		assert_int_equal(in.type, ORSP_PE_UNKNOWN);
		assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &n), ORSP_OK);
		assert_int_equal(n, len);
		assert_bytes_equal(out, b, len);
		orsp_pkg_buf_free(out, n);
		assert_int_equal(orsp_pkg_encode(pkg, ORSP_PKG_ENCODE_REENCODE, &out, &n),
		                 ORSP_E_USAGE);
		assert_detail_has("PE #2 (unknown)");
	}
	orsp_pkg_free(pkg);
	free(b);
	pl_free(&pl);
	free(v7);
}

/* The module's constraints on named types (UInt8/15/16, ApplicationIdentifier) hold after the
 * codec has run: asn1c 0.9.28 replaced each such type's own check by its base type's (none)
 * on its first decode, so asn_check_constraints passed these from then on
 * (src/asn1/asn1gen.cmake). Every edit here goes through the generated codec, which the
 * package loaded first has run on every type of the profile already. */
static void usim_aid(ProfileElement_t *pe, void *arg)
{
	File_t *f = &pe->choice.usim.adf_usim;
	assert_true(f->list.count > 0);
	assert_int_equal(f->list.array[0]->present, File__Member_PR_fileDescriptor);
	assert_non_null(f->list.array[0]->choice.fileDescriptor.dfName);
	os_put(f->list.array[0]->choice.fileDescriptor.dfName, (const char *)arg);
}
/* TUAK with a 32-byte TOPc and numberOfKeccak *arg. */
static void aka_tuak_keccak(ProfileElement_t *pe, void *arg)
{
	aka_tuak_zero_keccak(pe, NULL);
	*algo(pe)->numberOfKeccak = *(const long *)arg;
}

static void test_decode_constraints(void **state)
{
	static const long id_max = 32767, id_over = 40000, keccak_max = 255, keccak_over = 256,
	                  keccak_huge = 3000000000L, offset_neg = -1, offset_zero = 0;
	static const struct {
		edit_case c;
		bool ok;
	} cases[] = {
	    {{ORSP_PE_PIN_CODES, set_id, &id_max, NULL}, true},
	    {{ORSP_PE_PIN_CODES, set_id, &id_over,
	      "(pinCodes): violates the module's constraints: UInt15: constraint failed"},
	     false},
	    {{ORSP_PE_USIM, usim_aid, "A0000000871002FF49FF058900000100", NULL}, true},
	    {{ORSP_PE_USIM, usim_aid, "A00000",
	      "(usim): violates the module's constraints: ApplicationIdentifier: constraint "
	      "failed"},
	     false},
	    {{ORSP_PE_USIM, usim_aid, "A0000000",
	      "(usim): violates the module's constraints: ApplicationIdentifier"},
	     false},
	    {{ORSP_PE_USIM, usim_aid, "A0000000871002FF49FF05890000010000",
	      "(usim): violates the module's constraints: ApplicationIdentifier"},
	     false},
	    {{ORSP_PE_AKA_PARAMETER, aka_tuak_keccak, &keccak_max, NULL}, true},
	    {{ORSP_PE_AKA_PARAMETER, aka_tuak_keccak, &keccak_over,
	      "(akaParameter): violates the module's constraints: UInt8: constraint failed"},
	     false},
	    {{ORSP_PE_AKA_PARAMETER, aka_tuak_keccak, &keccak_huge,
	      "(akaParameter): violates the module's constraints: UInt8"},
	     false},
	    {{ORSP_PE_USIM, usim_imsi_offset, &offset_zero, NULL}, true},
	    {{ORSP_PE_USIM, usim_imsi_offset, &offset_neg,
	      "(usim): violates the module's constraints: UInt16: constraint failed"},
	     false},
	};
	pelist pl;
	size_t len;
	uint8_t *b;
	orsp_pkg *pkg = NULL;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		pl_load(&pl, V7);
		pl_edit(&pl, pl_find(&pl, cases[i].c.type, 0), cases[i].c.fn,
		        (void *)(uintptr_t)cases[i].c.arg);
		b = pl_join(&pl, &len);
		if (cases[i].ok) {
			if (orsp_pkg_decode(b, len, &pkg) != ORSP_OK)
				fail_msg("case %zu: %s", i, orsp_err_detail());
			orsp_pkg_free(pkg);
			pkg = NULL;
		} else {
			expect_decode_fails(b, len, ORSP_E_MALFORMED, cases[i].c.what);
		}
		free(b);
		pl_free(&pl);
	}
}

/* calloc wrapped (tests/CMakeLists.txt): calloc_fail_at = N makes the Nth call from then on
 * fail once; 0 leaves every call alone. */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static unsigned calloc_fail_at;

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_fail_at && --calloc_fail_at == 0)
		return NULL;
	return __real_calloc(n, size);
}

/* orsp_pkg_encode takes two arrays with calloc; either failing is ORSP_E_RESOURCE, not a
 * crash (the second one's failure dereferenced the NULL array in the clean-up), and leaves
 * no output. Both with the package re-encoded from its model and as kept. */
static void test_encode_out_of_memory(void **state)
{
	(void)state;
	orsp_pkg *pkg = load(V7);
	static const unsigned flags[] = {0, ORSP_PKG_ENCODE_REENCODE};

	for (size_t f = 0; f < 2; f++)
		for (unsigned at = 1; at <= 2; at++) {
			uint8_t *out = (uint8_t *)"x";
			size_t out_len = 7;
			calloc_fail_at = at;
			assert_int_equal(orsp_pkg_encode(pkg, flags[f], &out, &out_len),
			                 ORSP_E_RESOURCE);
			assert_int_equal(calloc_fail_at, 0);
			assert_detail_has("out of memory");
			assert_null(out);
			assert_int_equal(out_len, 0);
		}
	/* and the package still encodes */
	uint8_t *out = NULL;
	size_t out_len = 0;
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &out_len), ORSP_OK);
	assert_true(out_len > 0);
	orsp_pkg_buf_free(out, out_len);
	orsp_pkg_free(pkg);
}

/* asn1c answers RC_FAIL both for bytes it cannot decode and for a calloc that failed; a
 * package that decodes was called "does not decode as a ProfileElement" when one of the
 * codec's allocations failed. Each calloc of the decode fails in turn: every failure is
 * ORSP_E_RESOURCE, and the counter of the wiping allocator says which came from asn1c. */
static void test_decode_out_of_memory(void **state)
{
	(void)state;
	size_t n = 0;
	uint8_t *b = test_read_vector(V7, &n);
	orsp_pkg *pkg = NULL;
	unsigned codec = 0;
	orsp_err e = ORSP_E_RESOURCE;

	for (unsigned at = 1; e != ORSP_OK; at++) {
		unsigned long failed = orsp_wipe_alloc_failures();
		calloc_fail_at = at;
		e = orsp_pkg_decode(b, n, &pkg);
		if (e == ORSP_OK)
			break;
		assert_int_equal(calloc_fail_at, 0);
		if (e != ORSP_E_RESOURCE)
			fail_msg("calloc #%u failing: %s", at, orsp_err_detail());
		assert_detail_has("out of memory");
		assert_null(pkg);
		codec += orsp_wipe_alloc_failures() != failed;
	}
	calloc_fail_at = 0;
	assert_true(codec > 10); /* the codec's own callocs were reached, one per node */
	orsp_pkg_free(pkg);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_iccid),
	    cmocka_unit_test(test_imsi),
	    cmocka_unit_test(test_spn),
	    cmocka_unit_test(test_ts48_profiles),
	    cmocka_unit_test(test_ts48_model),
	    cmocka_unit_test(test_personalise_milenage),
	    cmocka_unit_test(test_personalise_acc),
	    cmocka_unit_test(test_personalise_tuak),
	    cmocka_unit_test(test_personalise_mnc_len_template_ad),
	    cmocka_unit_test(test_usim_mnc_len_template_ad),
	    cmocka_unit_test(test_file_patterns),
	    cmocka_unit_test(test_personalise_bad_input),
	    cmocka_unit_test(test_personalise_all_or_nothing),
	    cmocka_unit_test(test_personalise_ad_too_short),
	    cmocka_unit_test(test_personalise_sqn_delta),
	    cmocka_unit_test(test_personalise_spn_size),
	    cmocka_unit_test(test_ims_identity),
	    cmocka_unit_test(test_personalise_isim),
	    cmocka_unit_test(test_personalise_isim_keep_and_fail),
	    cmocka_unit_test(test_personalise_isim_ims_mnc_len),
	    cmocka_unit_test(test_personalise_ad_not_created),
	    cmocka_unit_test(test_validate_usim_mandatory_not_created),
	    cmocka_unit_test(test_validate_isim_mandatory_not_created),
	    cmocka_unit_test(test_validate_adf_not_created),
	    cmocka_unit_test(test_validate_sd_keys),
	    cmocka_unit_test(test_validate_pin_values),
	    cmocka_unit_test(test_validate_pin_contexts),
	    cmocka_unit_test(test_personalise_lossy),
	    cmocka_unit_test(test_personalise_sd_keys),
	    cmocka_unit_test(test_personalise_sd_keys_kinds),
	    cmocka_unit_test(test_personalise_cdma_keys),
	    cmocka_unit_test(test_wipe_model),
	    cmocka_unit_test(test_fs_members_fit),
	    cmocka_unit_test(test_validate_rules),
	    cmocka_unit_test(test_validate_more_rules),
	    cmocka_unit_test(test_validate_iot_iccid),
	    cmocka_unit_test(test_validate_served_identity),
	    cmocka_unit_test(test_validate_layout),
	    cmocka_unit_test(test_validate_fids),
	    cmocka_unit_test(test_personalise_acc_not_created),
	    cmocka_unit_test(test_personalise_spn_not_created),
	    cmocka_unit_test(test_validate_iot_mf_dnc),
	    cmocka_unit_test(test_personalise_template_gaps),
	    cmocka_unit_test(test_aka_mapping),
	    cmocka_unit_test(test_secrets_too_long),
	    cmocka_unit_test(test_validate_gfm_paths),
	    cmocka_unit_test(test_validate_gfm_identity),
	    cmocka_unit_test(test_encode_out_of_memory),
	    cmocka_unit_test(test_decode_out_of_memory),
	    cmocka_unit_test(test_decode_malformed),
	    cmocka_unit_test(test_decode_value_forms),
	    cmocka_unit_test(test_decode_constraints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
