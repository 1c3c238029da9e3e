/* The ISIM of the enabled profile (docs/isim.md, TS 31.103): a TS.48 v2 profile downloaded
 * into the software eUICC and enabled, its ISIM selected by AID on a logical channel, its
 * IMS identity read back and compared with what the package holds (orsp_pkg_get_isim), and
 * AUTHENTICATE in the IMS AKA context with the ISIM's own K and OPc (3GPP TS 35.208 test set
 * 2, milenage.tsv; the USIM has set 1) and its own SQN state, sealed in record "isqn.<n>"
 * apart from the USIM's "sqn.<n>" (TS 33.203 §6.1: SQN_ISIM). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isdr_fixture.h"
#include "orsp_asn1_pe.h"

#include "openrsp/aka.h"
#include "openrsp/pkg.h"

#define ICCID ISDR_V2_ICCID
#define IMSI "001010123456789"
/* ADF.ISIM dfName and EF.DIR record 2 of TS48_V2_eSIM_GTP_SAIP2.3_NoBERTLV.txt */
#define ISIM_AID "A0000000871004FF49FF0589"
#define USIM_AID "A0000000871002FF49FF0589"
/* TS.48 v2 PEs (0-based): #18 isim, #19 opt-isim, #20 pinCodes, #21 the ISIM's
 * akaParameter, #29 end */
#define PE_ISIM 18
#define PE_ISIM_AKA 21
#define PE_END 29

/* Counting wraps (tests/CMakeLists.txt links this test with -Wl,--wrap of all three): how
 * often a package held in one buffer is decoded, and how often an SQN state is initialised
 * (calls from other modules only: orsp_usim_sqn_parse's own call is not seen); the last line
 * logged (printed here on stderr in its place), which says why an ISIM is not served. */
orsp_err __real_orsp_pkg_decode(const uint8_t *der, size_t len, orsp_pkg **out);
orsp_err __wrap_orsp_pkg_decode(const uint8_t *der, size_t len, orsp_pkg **out);
void __real_orsp_usim_sqn_init(orsp_usim_sqn *st, unsigned ind_bits);
void __wrap_orsp_usim_sqn_init(orsp_usim_sqn *st, unsigned ind_bits);
void __wrap_orsp__log_emit(orsp_log_level level, const char *fmt, ...) ORSP_PRINTF(2, 3);
static const uint8_t *decode_watch; /* decodes of this buffer are counted */
static int n_decodes, n_sqn_inits;
static char last_log[512];

void __wrap_orsp__log_emit(orsp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
	if (level >= orsp_log_get_level())
		fprintf(stderr, "openrsp log: %s\n", last_log);
}

orsp_err __wrap_orsp_pkg_decode(const uint8_t *der, size_t len, orsp_pkg **out)
{
	if (der && der == decode_watch)
		n_decodes++;
	return __real_orsp_pkg_decode(der, len, out);
}

void __wrap_orsp_usim_sqn_init(orsp_usim_sqn *st, unsigned ind_bits)
{
	n_sqn_inits++;
	__real_orsp_usim_sqn_init(st, ind_bits);
}

/* A Milenage vector of milenage.tsv (TS 35.208) row `row`: K, OPc and the card's answer. */
typedef struct vec {
	uint8_t k[16], opc[16], rand[16], sqn[6], autn[16], res[8], ck[16], ik[16];
} vec;

static void vec_load(size_t row, vec *v)
{
	tsv *t = tsv_load("milenage.tsv");
	uint8_t amf[2], ak[6];

	tsv_hex(t, row, "k", v->k, 16);
	tsv_hex(t, row, "opc", v->opc, 16);
	tsv_hex(t, row, "rand", v->rand, 16);
	tsv_hex(t, row, "sqn", v->sqn, 6);
	tsv_hex(t, row, "amf", amf, 2);
	tsv_hex(t, row, "f1_mac_a", v->autn + 8, 8);
	tsv_hex(t, row, "f2_res", v->res, 8);
	tsv_hex(t, row, "f3_ck", v->ck, 16);
	tsv_hex(t, row, "f4_ik", v->ik, 16);
	tsv_hex(t, row, "f5_ak", ak, 6);
	for (int j = 0; j < 6; j++)
		v->autn[j] = v->sqn[j] ^ ak[j];
	memcpy(v->autn + 6, amf, 2);
	tsv_free(t);
}

static uint64_t sqn_value(const uint8_t sqn[6])
{
	uint64_t s = 0;
	for (int j = 0; j < 6; j++)
		s = s << 8 | sqn[j];
	return s;
}

/* TS.48 v2 personalised with IMSI (so the ISIM gets its derived IMS identity), Milenage
 * K/OPc in every algoParameter, and no SQN delta or age limit (TS 35.208's SQNs are far
 * from sqnInit). */
static uint8_t *v2_with_consts(const char *imsi, const uint8_t k[16], const uint8_t opc[16],
                               const orsp_milenage_consts *consts, size_t *len)
{
	size_t n;
	uint8_t *t = test_read_vector(ISDR_V2_VECTOR, &n), *out = NULL, *copy;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;

	assert_int_equal(orsp_pkg_decode(t, n, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.imsi = imsi;
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	assert_int_equal(orsp_secret_set(&p.k, k, 16), ORSP_OK);
	assert_int_equal(orsp_secret_set(&p.opc, opc, 16), ORSP_OK);
	if (consts) {
		p.custom_consts = true;
		p.consts = *consts;
	}
	p.set_sqn = true;
	p.sqn_options = 0x02;
	p.sqn_delta = 0;
	p.sqn_age_limit = 0;
	if (orsp_pkg_personalise(pkg, &p) != ORSP_OK)
		fail_msg("personalise: %s", orsp_err_detail());
	orsp_pkg_perso_wipe(&p);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, len), ORSP_OK);
	copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, out, *len);
	orsp_pkg_buf_free(out, *len);
	orsp_pkg_free(pkg);
	free(t);
	return copy;
}

static uint8_t *v2_with(const char *imsi, const uint8_t k[16], const uint8_t opc[16], size_t *len)
{
	return v2_with_consts(imsi, k, opc, NULL, len);
}

/* The PEs from..to (inclusive) of package src appended to out. */
static void append_pes(uint8_t *out, size_t *len, size_t cap, const uint8_t *src, size_t src_len,
                       size_t from, size_t to)
{
	orsp_pkg *pkg = NULL;
	assert_int_equal(orsp_pkg_decode(src, src_len, &pkg), ORSP_OK);
	for (size_t i = from; i <= to; i++) {
		orsp_pe_info info;
		assert_int_equal(orsp_pkg_pe(pkg, i, &info), ORSP_OK);
		assert_true(*len + info.raw.len <= cap);
		memcpy(out + *len, info.raw.p, info.raw.len);
		*len += info.raw.len;
	}
	orsp_pkg_free(pkg);
}

/* TS.48 v2 whose USIM has K/OPc of usim, whose ISIM has its own PE-AKAParameter with those
 * of isim (the ISIM's run of PEs taken from a package personalised with them); with
 * no_isim the ISIM's PEs (#18-#21) are left out. */
static uint8_t *two_key_upp(const vec *usim, const vec *isim, bool no_isim, size_t *len)
{
	size_t la, lb, cap = 64 * 1024;
	uint8_t *a = v2_with(IMSI, usim->k, usim->opc, &la),
	        *b = v2_with(IMSI, isim->k, isim->opc, &lb);
	uint8_t *out = malloc(cap);
	orsp_pkg *pkg = NULL;
	orsp_pe_info info;

	assert_non_null(out);
	/* the PE numbering this relies on */
	assert_int_equal(orsp_pkg_decode(a, la, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_pe(pkg, PE_ISIM, &info), ORSP_OK);
	assert_int_equal(info.type, ORSP_PE_ISIM);
	assert_int_equal(orsp_pkg_pe(pkg, PE_ISIM_AKA, &info), ORSP_OK);
	assert_int_equal(info.type, ORSP_PE_AKA_PARAMETER);
	assert_int_equal(orsp_pkg_count(pkg), PE_END + 1);
	orsp_pkg_free(pkg);
	*len = 0;
	if (no_isim) {
		append_pes(out, len, cap, a, la, 0, PE_ISIM - 1);
		append_pes(out, len, cap, a, la, PE_ISIM_AKA + 1, PE_END);
	} else {
		append_pes(out, len, cap, a, la, 0, PE_ISIM_AKA - 1);
		append_pes(out, len, cap, b, lb, PE_ISIM_AKA, PE_ISIM_AKA);
		append_pes(out, len, cap, a, la, PE_ISIM_AKA + 1, PE_END);
	}
	free(a);
	free(b);
	return out;
}

/* TS.48 v2 with K/OPc of usim whose ISIM's PE-AKAParameter (#21) is a mappingParameter onto
 * the USIM's AID (PEDefinitions, automatic tags: identification 126 (unused), algoConfiguration [1]
 * mappingParameter [0] { mappingOptions [0] 01, mappingSource [1] AID }). */
static uint8_t *mapped_upp(const vec *usim, size_t *len)
{
	static const uint8_t map[] = {0xA4, 0x1C, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x7E, 0xA1,
	                              0x13, 0xA0, 0x11, 0x80, 0x01, 0x01, 0x81, 0x0C, 0xA0, 0x00,
	                              0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89};
	size_t la, cap = 64 * 1024;
	uint8_t *a = v2_with(IMSI, usim->k, usim->opc, &la), *out = malloc(cap);

	assert_non_null(out);
	*len = 0;
	append_pes(out, len, cap, a, la, 0, PE_ISIM_AKA - 1);
	memcpy(out + *len, map, sizeof(map));
	*len += sizeof(map);
	append_pes(out, len, cap, a, la, PE_ISIM_AKA + 1, PE_END);
	free(a);
	return out;
}

/* ---------------------------------------------------------------- APDUs ----------------- */

static uint16_t send_hex(card *c, const char *hex)
{
	uint8_t capdu[300];
	size_t n = 0;
	assert_int_equal(orsp_hex_decode(hex, capdu, sizeof(capdu), &n), ORSP_OK);
	xfer(c, capdu, n);
	return c->sw;
}

static void expect_sw(card *c, const char *hex, uint16_t sw)
{
	uint16_t got = send_hex(c, hex);
	if (got != sw)
		fail_msg("%s: SW %04X, expected %04X (%s)", hex, got, sw, orsp_err_detail());
}

/* Open channel 1 and select the ISIM there by its full AID; the SELECT's status word. */
static uint16_t isim_open(card *c)
{
	expect_sw(c, "0070000001", 0x9000);
	assert_int_equal(c->out_len, 1);
	assert_int_equal(c->out[0], 1);
	return send_hex(c, "01A404040C" ISIM_AID "00");
}

static void isim_close(card *c)
{
	expect_sw(c, "0070800100", 0x9000);
}

/* AUTHENTICATE on channel 1 with the ISIM selected (isim) or the USIM: P2 p2, RAND, AUTN.
 * The status word; the answer in c->out. */
static uint16_t naa_auth(card *c, bool isim, uint8_t p2, const uint8_t rand[16],
                         const uint8_t autn[16])
{
	uint8_t cmd[5 + 34 + 1] = {0x01, 0x88, 0x00, p2, 34, 16};
	uint16_t sw;

	memcpy(cmd + 6, rand, 16);
	cmd[22] = 16;
	memcpy(cmd + 23, autn, 16);
	expect_sw(c, "0070000001", 0x9000);
	expect_sw(c, isim ? "01A4040C0C" ISIM_AID : "01A4040C0C" USIM_AID, 0x9000);
	xfer(c, cmd, sizeof(cmd));
	sw = c->sw;
	uint8_t keep[ORSP_EUICC_MAX_RESPONSE];
	size_t kl = c->out_len;
	memcpy(keep, c->out, kl);
	isim_close(c);
	memcpy(c->out, keep, kl);
	c->out_len = kl;
	return sw;
}

static int enable(card *c)
{
	assert_int_equal(by_iccid(c, 0xBF31, ICCID), 0x9000);
	return rsp_code(c, 0xBF31);
}

static int disable(card *c)
{
	assert_int_equal(by_iccid(c, 0xBF32, ICCID), 0x9000);
	return rsp_code(c, 0xBF32);
}

/* A card with this package downloaded and enabled. */
static card *upp_card(uint8_t *upp, size_t len)
{
	card *c = card_new();
	dl_opts o = {.iccid = ICCID, .upp = upp, .upp_len = len};
	int cmd = -1, reason = -1;

	uint32_t r = download(c, &o, &cmd, &reason, NULL);
	if (r != 0xA0)
		fail_msg("install refused: command %d reason %d", cmd, reason);
	free(upp);
	assert_int_equal(enable(c), 0);
	return c;
}

/* A card with the two-key TS.48 v2 profile downloaded and enabled. */
static card *isim_card(const vec *usim, const vec *isim)
{
	size_t len;
	uint8_t *upp = two_key_upp(usim, isim, false, &len);
	return upp_card(upp, len);
}

/* The value of the tag-'80' TLV at the start of data, as a string. */
static void tlv80_text(const uint8_t *data, size_t n, char *out, size_t cap)
{
	assert_true(n >= 2);
	assert_int_equal(data[0], 0x80);
	assert_true(data[1] < 0x80 && (size_t)data[1] + 2 <= n && data[1] < cap);
	memcpy(out, data + 2, data[1]);
	out[data[1]] = '\0';
}

/* ---------------------------------------------------------------- tests ----------------- */

/* SELECT of ADF.ISIM by full and partial AID, its files: EF.IMPI, EF.DOMAIN and EF.IMPU hold
 * the identity the package holds (TS 23.003 §13, from the IMSI), EF.IST and EF.AD (whose
 * size only the TCA template gives) are the ISIM's; 6F07 is EF.IST here, EF.IMSI on the
 * USIM. */
static void test_isim_files(void **state)
{
	vec vu, vi;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);
	card *c = isim_card(&vu, &vi);
	orsp_pkg *pkg = NULL;
	orsp_pkg_isim want;
	char got[ORSP_PKG_IMS_MAX];

	assert_int_equal(orsp_pkg_decode(c->upp, c->upp_len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &want), ORSP_OK);
	orsp_pkg_free(pkg);
	assert_true(want.has_impi && want.has_domain && want.n_impu >= 1);
	assert_string_equal(want.impi, IMSI "@ims.mnc001.mcc001.3gppnetwork.org");

	/* full AID with the FCP: DF name is the ISIM's */
	expect_sw(c, "0070000001", 0x9000);
	expect_sw(c, "01A404040C" ISIM_AID "00", 0x9000);
	assert_int_equal(c->out[0], 0x62);
	orsp_tlv t;
	assert_true(find_tlv(orsp_slice_make(c->out + 2, c->out_len - 2), 0x84, &t));
	assert_int_equal(t.value.len, 12);
	uint8_t aid[12];
	size_t al = 0;
	assert_int_equal(orsp_hex_decode(ISIM_AID, aid, sizeof(aid), &al), ORSP_OK);
	assert_memory_equal(t.value.p, aid, 12);
	/* EF.IMPI by FID */
	expect_sw(c, "01A4000C026F02", 0x9000);
	expect_sw(c, "01B0000000", 0x9000);
	tlv80_text(c->out, c->out_len, got, sizeof(got));
	assert_string_equal(got, want.impi);
	/* EF.DOMAIN by SFI 05 */
	expect_sw(c, "01B0850000", 0x9000);
	tlv80_text(c->out, c->out_len, got, sizeof(got));
	assert_string_equal(got, want.domain);
	/* EF.IMPU record 1 by SFI 04, and its FCP */
	expect_sw(c, "01B2012400", 0x9000);
	tlv80_text(c->out, c->out_len, got, sizeof(got));
	assert_string_equal(got, want.impu[0]);
	assert_int_equal(want.impu_record[0], 1);
	expect_sw(c, "01A40004026F0400", 0x9000);
	assert_true(find_tlv(orsp_slice_make(c->out + 2, c->out_len - 2), 0x82, &t));
	assert_int_equal(t.value.len, 5);
	assert_int_equal(t.value.p[0], 0x42);
	assert_int_equal(t.value.p[3], 0x40); /* records of 64 bytes */
	/* EF.IST (6F07 in ADF.ISIM) and EF.AD (size from the template) */
	expect_sw(c, "01A4000C026F07", 0x9000);
	expect_sw(c, "01B0000000", 0x9000);
	assert_int_equal(c->out_len, 7);
	assert_int_equal(c->out[0], 0x01);
	expect_sw(c, "01B0830000", 0x9000);
	assert_int_equal(c->out_len, 3);
	assert_memory_equal(c->out, "\x80\x00\x02", 3);
	/* 7FFF is the ISIM's ADF; a path from the MF through it */
	expect_sw(c, "01A40004027FFF00", 0x9000);
	assert_true(find_tlv(orsp_slice_make(c->out + 2, c->out_len - 2), 0x84, &t));
	assert_memory_equal(t.value.p, aid, 12);
	expect_sw(c, "01A4080C047FFF6F02", 0x9000);
	expect_sw(c, "01B0000000", 0x9000);
	tlv80_text(c->out, c->out_len, got, sizeof(got));
	assert_string_equal(got, want.impi);
	/* STATUS: the current application is the ISIM */
	expect_sw(c, "81F2000100", 0x9000);
	assert_int_equal(c->out_len, 14);
	assert_memory_equal(c->out + 2, aid, 12);
	/* the USIM on the same channel: 6F07 is EF.IMSI (9 bytes); back to the ISIM by the
	 * partial AID (RID + ISIM code): EF.IST again */
	expect_sw(c, "01A4040C0C" USIM_AID, 0x9000);
	expect_sw(c, "01A4000C026F07", 0x9000);
	expect_sw(c, "01B0000000", 0x9000);
	assert_int_equal(c->out_len, 9);
	expect_sw(c, "01A4000C026F02", 0x6A82); /* no EF.IMPI in ADF.USIM */
	expect_sw(c, "01A4040C07A0000000871004", 0x9000);
	expect_sw(c, "01A4000C026F07", 0x9000);
	expect_sw(c, "01B0000000", 0x9000);
	assert_int_equal(c->out_len, 7);
	/* another channel, opened from channel 1, starts with the ISIM selected */
	expect_sw(c, "0170000000", 0x9000);
	assert_int_equal(c->out[0], 2);
	expect_sw(c, "82F2000100", 0x9000);
	assert_memory_equal(c->out + 2, aid, 12);
	expect_sw(c, "02A4000C026F02", 0x9000);
	expect_sw(c, "0070800200", 0x9000);
	/* writes refused as on the USIM */
	expect_sw(c, "01A4000C026F02", 0x9000);
	expect_sw(c, "01D6000001FF", 0x6982);
	isim_close(c);
	card_free(c);
}

/* upp with the PE-ISIM's EF.IMPU defined by a fill pattern alone (no content): the
 * tag-'80' TLV of impu, then 'FF'. */
static uint8_t *impu_by_fill_pattern(const uint8_t *upp, size_t upp_len, const char *impu,
                                     size_t *len)
{
	size_t cap = 64 * 1024, n = strlen(impu);
	uint8_t *out = malloc(cap), pat[64];
	ProfileElement_t *pe = NULL;
	orsp_pkg *pkg = NULL;
	orsp_pe_info info;
	asn_codec_ctx_t no_stack_limit = {0};
	File_t *f;
	Fcp_t *fcp;
	asn_enc_rval_t e;

	assert_non_null(out);
	assert_true(n + 3 <= sizeof(pat));
	pat[0] = 0x80;
	pat[1] = (uint8_t)n;
	memcpy(pat + 2, impu, n);
	pat[n + 2] = 0xFF;
	assert_int_equal(orsp_pkg_decode(upp, upp_len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_pe(pkg, PE_ISIM, &info), ORSP_OK);
	assert_int_equal(info.type, ORSP_PE_ISIM);
	assert_int_equal(ber_decode(&no_stack_limit, &asn_DEF_ProfileElement, (void **)&pe,
	                            info.raw.p, info.raw.len)
	                     .code,
	                 RC_OK);
	orsp_pkg_free(pkg);
	f = &pe->choice.isim.ef_impu;
	assert_int_equal(f->list.array[0]->present, File__Member_PR_fileDescriptor);
	fcp = &f->list.array[0]->choice.fileDescriptor;
	while (f->list.count > 1) {
		/* the list's own free is not set on a decoded list: each member freed here */
		struct File__Member *m = f->list.array[f->list.count - 1];
		asn_sequence_del(&f->list, f->list.count - 1, 0);
		assert_true(m->present == File__Member_PR_fillFileContent ||
		            m->present == File__Member_PR_fillFileOffset);
		if (m->present == File__Member_PR_fillFileContent)
			free(m->choice.fillFileContent.buf);
		free(m);
	}
	assert_non_null(fcp->proprietaryEFInfo);
	assert_null(fcp->proprietaryEFInfo->fillPattern);
	fcp->proprietaryEFInfo->fillPattern =
	    OCTET_STRING_new_fromBuf(&asn_DEF_OCTET_STRING, (const char *)pat, (int)(n + 3));
	assert_non_null(fcp->proprietaryEFInfo->fillPattern);

	*len = 0;
	append_pes(out, len, cap, upp, upp_len, 0, PE_ISIM - 1);
	e = der_encode_to_buffer(&asn_DEF_ProfileElement, pe, out + *len, cap - *len);
	assert_true(e.encoded > 0);
	*len += (size_t)e.encoded;
	append_pes(out, len, cap, upp, upp_len, PE_ISIM + 1, PE_END);
	ASN_STRUCT_FREE(asn_DEF_ProfileElement, pe);
	return out;
}

/* TS 102 222 §6.3.2.2: in a linear fixed file each record starts the fill pattern afresh.
 * TS.48's EF.IMPU (3 records of 64 bytes) defined by a pattern alone holds the IMPU in every
 * record: orsp_pkg_get_isim and orsp_pkg_file_read (profile inspect) show what the card's
 * READ RECORD gives (they once ran the pattern over the file, one IMPU in record 1). */
static void test_isim_impu_fill_pattern(void **state)
{
	static const char impu[] = "sip:+15555550100@ims.example.org";
	vec vu, vi;
	size_t len, n;
	uint8_t *two, *upp, file[256];
	orsp_pkg *pkg = NULL;
	orsp_pkg_isim want;
	char got[ORSP_PKG_IMS_MAX], cmd[16];
	card *c;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);

	two = two_key_upp(&vu, &vi, false, &len);
	upp = impu_by_fill_pattern(two, len, impu, &len);
	free(two);
	assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_get_isim(pkg, 0, &want), ORSP_OK);
	assert_int_equal(orsp_pkg_file_read(pkg, PE_ISIM, "ef-impu", file, sizeof(file), &n),
	                 ORSP_OK);
	orsp_pkg_free(pkg);
	assert_int_equal(n, 192);
	assert_int_equal(want.n_impu, 3);

	c = upp_card(upp, len);
	assert_int_equal(isim_open(c), 0x9000);
	for (unsigned r = 1; r <= 3; r++) {
		/* READ RECORD r of SFI 04 */
		snprintf(cmd, sizeof(cmd), "01B2%02X2400", r);
		expect_sw(c, cmd, 0x9000);
		assert_int_equal(c->out_len, 64);
		assert_memory_equal(c->out, file + (r - 1) * 64, 64);
		tlv80_text(c->out, c->out_len, got, sizeof(got));
		assert_string_equal(got, impu);
		assert_string_equal(want.impu[r - 1], impu);
		assert_int_equal(want.impu_record[r - 1], r);
	}
	expect_sw(c, "01B2042400", 0x6A83); /* no record 4 */
	isim_close(c);
	card_free(c);
}

/* IMS AKA (TS 31.103 §7.1.2.1): RES, CK, IK with the ISIM's K (not the USIM's), no Kc; the
 * replay gives AUTS that the AuC resolves to the ISIM's SQN; a bad MAC 9862; contexts the
 * ISIM does not support 9864; the USIM's SQN state untouched, and the ISIM's its own after a
 * power cycle, a failed commit, disable and enable, and gone with the profile. */
static void test_isim_authenticate(void **state)
{
	vec vu, vi;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);
	card *c = isim_card(&vu, &vi);

	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	/* the USIM's vector is not the ISIM's */
	assert_int_equal(naa_auth(c, true, 0x81, vu.rand, vu.autn), 0x9862);
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, vi.autn), 0x9000);
	assert_int_equal(c->out_len, 1 + 1 + 8 + 1 + 16 + 1 + 16);
	assert_int_equal(c->out[0], 0xDB);
	assert_int_equal(c->out[1], 8);
	assert_memory_equal(c->out + 2, vi.res, 8);
	assert_int_equal(c->out[10], 16);
	assert_memory_equal(c->out + 11, vi.ck, 16);
	assert_int_equal(c->out[27], 16);
	assert_memory_equal(c->out + 28, vi.ik, 16);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 1);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0); /* the USIM's is not written */

	/* replay: synchronisation failure, AUTS read back by the AuC to the ISIM's SQN */
	orsp_aka_subscriber sub;
	uint64_t sqn_ms = 0;
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, vi.autn), 0x9000);
	assert_int_equal(c->out_len, 16);
	assert_int_equal(c->out[0], 0xDC);
	assert_int_equal(c->out[1], 14);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, vi.k, 16, vi.opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_auts_verify(&sub, vi.rand, c->out + 2, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == sqn_value(vi.sqn));

	/* a bad MAC */
	uint8_t bad[16];
	memcpy(bad, vi.autn, 16);
	bad[15] ^= 0x01;
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, bad), 0x9862);
	/* contexts the ISIM does not support, and P1/P2 that are none */
	assert_int_equal(naa_auth(c, true, 0x84, vi.rand, vi.autn), 0x9864); /* GBA */
	assert_int_equal(naa_auth(c, true, 0x82, vi.rand, vi.autn), 0x9864); /* HTTP Digest */
	assert_int_equal(naa_auth(c, true, 0x80, vi.rand, vi.autn), 0x6A86); /* GSM: USIM only */
	assert_int_equal(naa_auth(c, true, 0x01, vi.rand, vi.autn), 0x6A86);

	/* the USIM: its own K, and an SQN state the ISIM's did not touch */
	assert_int_equal(naa_auth(c, false, 0x81, vi.rand, vi.autn), 0x9862);
	orsp_aka_vector v;
	orsp_aka_subscriber usub;
	assert_int_equal(orsp_aka_subscriber_init(&usub, ORSP_AKA_MILENAGE, vu.k, 16, vu.opc, 16),
	                 ORSP_OK);
	/* the USIM with the very SQN the ISIM accepted: fresh for it */
	assert_int_equal(orsp_aka_generate(&usub, vi.rand, vi.sqn, (const uint8_t[2]){0x80, 0}, &v),
	                 ORSP_OK);
	assert_int_equal(naa_auth(c, false, 0x81, vi.rand, v.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	assert_memory_equal(c->out + 2, v.xres, 8);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 1);
	orsp_aka_vector_wipe(&v);

	/* power cycle: the ISIM's state came back from its sealed record */
	card_reopen(c);
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, vi.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	assert_int_equal(orsp_aka_auts_verify(&sub, vi.rand, c->out + 2, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == sqn_value(vi.sqn));
	/* a fresh SQN, but the commit fails: no RES, and the SQN is not consumed */
	static const uint8_t amf[2] = {0x80, 0x00};
	uint8_t sqn2[6];
	orsp_put_be48(sqn2, sqn_value(vi.sqn) + 32); /* the next SEQ under the same IND */
	assert_int_equal(orsp_aka_generate(&sub, vi.rand, sqn2, amf, &v), ORSP_OK);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, v.autn), 0x6581);
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, v.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	assert_memory_equal(c->out + 2, v.xres, 8);

	/* disabled: the ISIM is gone as the USIM is; enabled again it has its state */
	assert_int_equal(disable(c), 0);
	assert_int_equal(isim_open(c), 0x6A82);
	isim_close(c);
	expect_sw(c, "0070000001", 0x9000);
	expect_sw(c, "01A4040C07A0000000871004", 0x6A82);
	isim_close(c);
	assert_int_equal(enable(c), 0);
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, v.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	orsp_aka_vector_wipe(&v);

	/* deleted: its records go with it */
	assert_int_equal(disable(c), 0);
	assert_int_equal(by_iccid(c, 0xBF33, ICCID), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	orsp_aka_subscriber_wipe(&sub);
	orsp_aka_subscriber_wipe(&usub);
	card_free(c);
}

/* An ISIM with the USIM's K (the same K/OPc in its own PE-AKAParameter, as every profile
 * `smdp profile generate` makes; or a mappingParameter onto the USIM) shares the USIM's SQN
 * state and record "sqn.<n>": a challenge one NAA accepted is a replay for the other (sync
 * failure, AUTS with that SQN), in both directions and after a power cycle; no "isqn.<n>". */
static void shared_check(card *c, const vec *v)
{
	static const uint8_t amf[2] = {0x80, 0x00};
	orsp_aka_subscriber sub;
	orsp_aka_vector nv;
	uint64_t sqn_ms = 0;
	uint8_t sqn2[6], sqn3[6];

	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, v->k, 16, v->opc, 16),
	                 ORSP_OK);
	/* USIM first, then the ISIM with the same RAND/AUTN */
	assert_int_equal(naa_auth(c, false, 0x81, v->rand, v->autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	assert_memory_equal(c->out + 2, v->res, 8);
	assert_int_equal(naa_auth(c, true, 0x81, v->rand, v->autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	assert_int_equal(orsp_aka_auts_verify(&sub, v->rand, c->out + 2, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == sqn_value(v->sqn));
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 1);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	/* the ISIM first, then the USIM */
	orsp_put_be48(sqn2, sqn_value(v->sqn) + 32);
	assert_int_equal(orsp_aka_generate(&sub, v->rand, sqn2, amf, &nv), ORSP_OK);
	assert_int_equal(naa_auth(c, true, 0x81, v->rand, nv.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	assert_memory_equal(c->out + 2, nv.xres, 8);
	assert_int_equal(naa_auth(c, false, 0x81, v->rand, nv.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	assert_int_equal(orsp_aka_auts_verify(&sub, v->rand, c->out + 2, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == sqn_value(sqn2));
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	/* power cycle: the one state came back for both */
	card_reopen(c);
	assert_int_equal(naa_auth(c, true, 0x81, v->rand, nv.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	assert_int_equal(naa_auth(c, false, 0x81, v->rand, v->autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	orsp_aka_vector_wipe(&nv);
	/* a failed commit under the ISIM consumes nothing: the USIM then takes it once */
	orsp_put_be48(sqn3, sqn_value(v->sqn) + 64);
	assert_int_equal(orsp_aka_generate(&sub, v->rand, sqn3, amf, &nv), ORSP_OK);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(naa_auth(c, true, 0x81, v->rand, nv.autn), 0x6581);
	assert_int_equal(naa_auth(c, false, 0x81, v->rand, nv.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	assert_int_equal(naa_auth(c, true, 0x81, v->rand, nv.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	orsp_aka_vector_wipe(&nv);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	/* delete removes the one record */
	assert_int_equal(disable(c), 0);
	assert_int_equal(by_iccid(c, 0xBF33, ICCID), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	orsp_aka_subscriber_wipe(&sub);
}

static void test_isim_shared_sqn(void **state)
{
	vec vu;
	size_t len;
	(void)state;
	vec_load(0, &vu);
	card *c = isim_card(&vu, &vu);
	assert_true(orsp_usim_isim_shares_sqn(&c->e.usim));
	shared_check(c, &vu);
	card_free(c);

	uint8_t *upp = mapped_upp(&vu, &len);
	c = upp_card(upp, len);
	assert_true(orsp_usim_isim_shares_sqn(&c->e.usim));
	shared_check(c, &vu);
	card_free(c);

	/* two keys: two states (test_isim_authenticate) */
	vec vi;
	vec_load(1, &vi);
	c = isim_card(&vu, &vi);
	assert_false(orsp_usim_isim_shares_sqn(&c->e.usim));
	card_free(c);
}

/* Milenage sharing is decided by what verifies a challenge: K, OPc, r1/c1 (f1, MAC-A) and
 * r2/c2 (f5, AK). An ISIM with the USIM's K and OPc whose PE-AKAParameter differs only in
 * c3 (CK) accepts every USIM challenge, so it shares the USIM's SQN state: the USIM's
 * vector replayed to it is a sync failure (DC). One differing in c1 does not share. */
static void test_isim_shared_sqn_consts(void **state)
{
	orsp_milenage_consts mc;
	vec vu;
	size_t la, lb, len = 0, cap = 64 * 1024;
	(void)state;
	vec_load(0, &vu);

	for (int diff = 2; diff >= 0; diff -= 2) {
		orsp_milenage_default_consts(&mc);
		mc.c[diff][0] ^= 0x5A;
		uint8_t *a = v2_with(IMSI, vu.k, vu.opc, &la),
		        *b = v2_with_consts(IMSI, vu.k, vu.opc, &mc, &lb), *out = malloc(cap);
		assert_non_null(out);
		len = 0;
		append_pes(out, &len, cap, a, la, 0, PE_ISIM_AKA - 1);
		append_pes(out, &len, cap, b, lb, PE_ISIM_AKA, PE_ISIM_AKA);
		append_pes(out, &len, cap, a, la, PE_ISIM_AKA + 1, PE_END);
		free(a);
		free(b);
		card *c = upp_card(out, len);
		if (diff == 2) {
			assert_true(orsp_usim_isim_shares_sqn(&c->e.usim));
			shared_check(c, &vu);
		} else {
			assert_false(orsp_usim_isim_shares_sqn(&c->e.usim));
		}
		card_free(c);
	}
}

/* Change byte `at` of the first ADF dfName TLV ('84' 0C) of the NAA with this AID prefix in
 * a package: the NAA's AID then is no AID of that NAA. */
static void patch_df_name(uint8_t *upp, size_t len, uint8_t naa_code, size_t at, uint8_t to)
{
	const uint8_t pat[] = {0x84, 0x0C, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, naa_code};
	for (size_t i = 0; i + sizeof(pat) <= len; i++) {
		if (memcmp(upp + i, pat, sizeof(pat)) == 0) {
			upp[i + 2 + at] = to;
			return;
		}
	}
	fail_msg("no dfName of NAA %02X", naa_code);
}

/* TS.48 v2's ADF.USIM EF.SMS (6F3C, 10 records of 176 bytes, fileSize 06E0, given by size
 * and fill pattern) made n records long (fileSize patched in place). */
static void sms_records(uint8_t *upp, size_t len, unsigned n)
{
	static const uint8_t sms[] = {0x6F, 0x3C, 0x8B, 0x03, 0x6F, 0x06,
	                              0x02, 0x80, 0x02, 0x06, 0xE0};
	size_t at = SIZE_MAX;

	for (size_t i = 0; i + sizeof(sms) <= len; i++)
		if (memcmp(upp + i, sms, sizeof(sms)) == 0) {
			assert_true(at == SIZE_MAX);
			at = i + sizeof(sms) - 2;
		}
	assert_true(at != SIZE_MAX);
	assert_true(n * 176 <= 0xFFFF);
	upp[at] = (uint8_t)(n * 176 >> 8);
	upp[at + 1] = (uint8_t)(n * 176);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* An ISIM this card cannot serve does not take the USIM with it: TS.48 v2 with the PE-ISIM
 * dfName's application code 1004 changed to 1005 installs, enables, and serves its USIM
 * (SELECT and AUTHENTICATE) with no ISIM (6A82); with no ISIM loaded the ISIM's state
 * record is never written. A package whose USIM would not load (its ADF.USIM dfName made
 * 1003) is refused at install: installFailedDueToPEProcessingError, nothing installed. */
static void test_isim_defect_keeps_usim(void **state)
{
	vec vu, vi;
	size_t len;
	uint8_t *upp;
	card *c;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);

	upp = two_key_upp(&vu, &vi, false, &len);
	patch_df_name(upp, len, 0x04, 6, 0x05);
	c = upp_card(upp, len);
	assert_int_equal(isim_open(c), 0x6A82);
	expect_sw(c, "01A4040C07A0000000871004", 0x6A82);
	expect_sw(c, "01A4040C07A0000000871005", 0x6A82);
	isim_close(c);
	assert_int_equal(select_usim(c), 0x9000);
	usim_leave(c, 1);
	assert_int_equal(naa_auth(c, false, 0x81, vu.rand, vu.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	assert_memory_equal(c->out + 2, vu.res, 8);
	assert_int_equal(naa_auth(c, false, 0x81, vu.rand, vu.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDC);
	/* after a power cycle too */
	card_reopen(c);
	assert_int_equal(select_usim(c), 0x9000);
	usim_leave(c, 1);
	assert_int_equal(isim_open(c), 0x6A82);
	isim_close(c);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	card_free(c);

	/* the ISIM's state record damaged: the USIM stays, the ISIM is absent */
	c = isim_card(&vu, &vi);
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, vi.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	char name[ORSP_EUICC_RECORD_NAME_MAX + 1] = "";
	for (size_t i = 0; i < MS_MAX && !name[0]; i++)
		if (c->st.r[i].data && strncmp(c->st.r[i].name, "isqn.", 5) == 0)
			snprintf(name, sizeof(name), "%s", c->st.r[i].name);
	orsp_euicc_record bad = {name, (const uint8_t *)"XX", 2};
	assert_int_equal(ms_commit(&c->st, &bad, 1), ORSP_OK);
	card_reopen(c);
	/* its files are out of the tables too, as orsp_usim_load leaves a failed ISIM */
	assert_false(c->e.usim.isim.loaded);
	for (size_t i = 0; i < ORSP_USIM_MAX_FILES; i++)
		assert_true(i < c->e.usim.n_files
		                ? c->e.usim.files[i].df != ORSP_USIM_DF_ISIM
		                : all_zero(&c->e.usim.files[i], sizeof(c->e.usim.files[i])));
	assert_true(
	    all_zero(c->e.usim.data + c->e.usim.data_len, ORSP_USIM_DATA_MAX - c->e.usim.data_len));
	assert_int_equal(isim_open(c), 0x6A82);
	isim_close(c);
	assert_int_equal(naa_auth(c, false, 0x81, vu.rand, vu.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	card_free(c);

	/* the card layer alone: the USIM loaded, no ISIM */
	orsp_usim *u = calloc(1, sizeof(*u));
	uint8_t aid[16];
	size_t al = 0;
	assert_non_null(u);
	upp = two_key_upp(&vu, &vi, false, &len);
	patch_df_name(upp, len, 0x04, 6, 0x05);
	assert_int_equal(orsp_usim_check(upp, len), ORSP_OK);
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_int_equal(orsp_usim_aid(u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_usim_isim_aid(u, aid, &al), ORSP_E_NOT_FOUND);
	for (size_t i = 0; i < u->n_files; i++)
		assert_int_not_equal(u->files[i].df, ORSP_USIM_DF_ISIM);
	orsp_usim_unload(u);

	/* an ISIM that fails after some of its files went into the tables: the USIM's EF.SMS
	 * at 60 records leaves the ISIM's files a few hundred bytes of ORSP_USIM_DATA_MAX;
	 * the load keeps exactly the tables of a load without PE-ISIM, the rest wiped */
	size_t n_files;
	uint32_t data_len;
	uint8_t *bare_upp = two_key_upp(&vu, &vi, true, &len);
	sms_records(bare_upp, len, 60);
	assert_int_equal(orsp_usim_load(u, bare_upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	free(bare_upp);
	n_files = u->n_files;
	data_len = u->data_len;
	assert_true(data_len > ORSP_USIM_DATA_MAX - 512);
	orsp_usim_unload(u);
	uint8_t *full = two_key_upp(&vu, &vi, false, &len);
	sms_records(full, len, 60);
	assert_int_equal(orsp_usim_check(full, len), ORSP_OK);
	memset(u, 0xA5, sizeof(*u));
	assert_int_equal(orsp_usim_load(u, full, len, NULL, 0, NULL, NULL), ORSP_OK);
	free(full);
	assert_false(u->isim.loaded);
	assert_int_equal(orsp_usim_isim_aid(u, aid, &al), ORSP_E_NOT_FOUND);
	assert_int_equal(u->n_files, n_files);
	assert_int_equal(u->data_len, data_len);
	for (size_t i = 0; i < u->n_files; i++)
		assert_int_not_equal(u->files[i].df, ORSP_USIM_DF_ISIM);
	for (size_t i = n_files; i < ORSP_USIM_MAX_FILES; i++)
		assert_true(all_zero(&u->files[i], sizeof(u->files[i])));
	assert_true(all_zero(u->data + data_len, ORSP_USIM_DATA_MAX - data_len));
	orsp_usim_unload(u);

	/* a USIM that would not load: refused at install */
	patch_df_name(upp, len, 0x02, 6, 0x03);
	assert_int_not_equal(orsp_usim_check(upp, len), ORSP_OK);
	orsp_err_clear();
	c = card_new();
	dl_opts o = {.iccid = ICCID, .upp = upp, .upp_len = len};
	install_fails(c, &o, 5, 12);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	card_free(c);
	free(upp);
	free(u);
}

/* Replace the one occurrence of hex `from` in a package by `to` (as long). */
static void patch_hex(uint8_t *upp, size_t len, const char *from, const char *to)
{
	uint8_t f[32], t[32];
	size_t fl = 0, tl = 0, at = SIZE_MAX;

	assert_int_equal(orsp_hex_decode(from, f, sizeof(f), &fl), ORSP_OK);
	assert_int_equal(orsp_hex_decode(to, t, sizeof(t), &tl), ORSP_OK);
	assert_int_equal(fl, tl);
	for (size_t i = 0; i + fl <= len; i++)
		if (memcmp(upp + i, f, fl) == 0) {
			assert_true(at == SIZE_MAX);
			at = i;
		}
	if (at == SIZE_MAX)
		fail_msg("%s not in the package", from);
	memcpy(upp + at, t, tl);
}

/* The USIM of the card's enabled profile serves EF.IMSI as the package holds it: READ BINARY
 * by SFI 07 on channel 1 gives imsi (its 9 bytes). */
static void expect_imsi(card *c, const uint8_t imsi[9])
{
	assert_int_equal(usim_select(c, 1), 0x9000);
	expect_sw(c, "01B0870009", 0x9000);
	assert_int_equal(c->out_len, 9);
	assert_memory_equal(c->out, imsi, 9);
	usim_leave(c, 1);
}

/* A damaged upp.<n> or sqn.<n> record of the enabled profile (what the sealed store finds
 * when one was tampered with) leaves the USIM out (SELECT 6A82) and the ISD-R reachable, and
 * says so in the log: the card is not silently served without its USIM. */
static void test_usim_defect_reported(void **state)
{
	static const char *const kinds[] = {"sqn.", "upp."};
	vec vu, vi;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);

	for (size_t k = 0; k < 2; k++) {
		char name[ORSP_EUICC_RECORD_NAME_MAX + 1] = "";
		card *c = isim_card(&vu, &vi);
		assert_int_equal(select_usim(c), 0x9000);
		usim_leave(c, 1);
		assert_int_equal(naa_auth(c, false, 0x81, vu.rand, vu.autn), 0x9000);
		for (size_t i = 0; i < MS_MAX && !name[0]; i++)
			if (c->st.r[i].data && strncmp(c->st.r[i].name, kinds[k], 4) == 0)
				snprintf(name, sizeof(name), "%s", c->st.r[i].name);
		assert_true(name[0]);
		orsp_euicc_record bad = {name, (const uint8_t *)"XX", 2};
		assert_int_equal(ms_commit(&c->st, &bad, 1), ORSP_OK);
		last_log[0] = '\0';
		card_reopen(c);
		assert_int_equal(select_usim(c), 0x6A82);
		if (!strstr(last_log, "its USIM is not served") || !strstr(last_log, ICCID))
			fail_msg("%s damaged: logged '%s'", name, last_log);
		card_free(c);
	}
}

/* A PE-ISIM whose first file's Fcp says DF with FID 3F00 (EF.IMPI's '82 02 41 21 83 02 6F 02'
 * made '82 02 78 21 83 02 3F 00'): that is no file of the ISIM, and taking a failed ISIM
 * back out of the tables (EF.IMPU's fileSize C0 made C1, not a multiple of its 64-byte
 * records, at load; the ISIM's state record damaged, at usim_sync) restores exactly the
 * USIM's tables of a load without PE-ISIM, its contents unchanged. */
static void test_isim_df_entry_drop(void **state)
{
	static const char impi[] = "8202412183026F02", impi_df[] = "8202782183023F00";
	vec vu, vi;
	size_t len, n_files;
	uint32_t data_len;
	uint8_t *upp, imsi[9], *data = malloc(ORSP_USIM_DATA_MAX);
	orsp_usim *u = calloc(1, sizeof(*u));
	bool found = false;
	card *c;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);
	assert_non_null(u);
	assert_non_null(data);

	/* the USIM's tables without PE-ISIM */
	upp = two_key_upp(&vu, &vi, true, &len);
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	free(upp);
	n_files = u->n_files;
	data_len = u->data_len;
	memcpy(data, u->data, data_len);
	for (size_t i = 0; i < u->n_files && !found; i++) {
		const orsp_usim_file *f = &u->files[i];
		if (f->df == ORSP_USIM_DF_ADF && f->fid == 0x6F07 && f->size == 9) {
			memcpy(imsi, u->data + f->off, 9);
			found = true;
		}
	}
	assert_true(found);
	assert_false(all_zero(imsi, 9));
	orsp_usim_unload(u);

	/* the ISIM fails at load */
	upp = two_key_upp(&vu, &vi, false, &len);
	patch_hex(upp, len, impi, impi_df);
	patch_hex(upp, len, "83026F048B036F06018001C0", "83026F048B036F06018001C1");
	assert_int_equal(orsp_usim_check(upp, len), ORSP_OK);
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_false(u->isim.loaded);
	assert_int_equal(u->n_files, n_files);
	assert_int_equal(u->data_len, data_len);
	assert_memory_equal(u->data, data, data_len);
	assert_true(all_zero(u->data + data_len, ORSP_USIM_DATA_MAX - data_len));
	orsp_usim_unload(u);
	c = upp_card(upp, len);
	assert_int_equal(isim_open(c), 0x6A82);
	isim_close(c);
	expect_imsi(c, imsi);
	card_free(c);

	/* the ISIM loads (without EF.IMPI: a DF 3F00 is no file of the ISIM), then its state
	 * record is damaged */
	upp = two_key_upp(&vu, &vi, false, &len);
	patch_hex(upp, len, impi, impi_df);
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_true(u->isim.loaded);
	for (size_t i = 0; i < u->n_files; i++)
		assert_false(u->files[i].is_df && u->files[i].df != ORSP_USIM_DF_MF);
	orsp_usim_unload(u);
	c = upp_card(upp, len);
	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, vi.autn), 0x9000);
	assert_int_equal(c->out[0], 0xDB);
	char name[ORSP_EUICC_RECORD_NAME_MAX + 1] = "";
	for (size_t i = 0; i < MS_MAX && !name[0]; i++)
		if (c->st.r[i].data && strncmp(c->st.r[i].name, "isqn.", 5) == 0)
			snprintf(name, sizeof(name), "%s", c->st.r[i].name);
	orsp_euicc_record bad = {name, (const uint8_t *)"XX", 2};
	assert_int_equal(ms_commit(&c->st, &bad, 1), ORSP_OK);
	card_reopen(c);
	assert_false(c->e.usim.isim.loaded);
	assert_int_equal(c->e.usim.n_files, n_files);
	assert_int_equal(c->e.usim.data_len, data_len);
	assert_memory_equal(c->e.usim.data, data, data_len);
	assert_int_equal(isim_open(c), 0x6A82);
	isim_close(c);
	expect_imsi(c, imsi);
	card_free(c);
	free(u);
	free(data);
}

/* A sound package whose USIM does not fit the card's tables is a profile the card cannot
 * hold: TS.48 v2 with EF.SMS (6F3C, 176-byte records) grown from 10 to 254 records (its
 * fileSize 06E0 made AEA0, legal; a size-and-fill-pattern file is expanded in full) passes
 * the package rules but not ORSP_USIM_DATA_MAX: installFailedDueToInsufficientMemoryFor-
 * Profile (10), not installFailedDueToPEProcessingError (12), which stays for defects. */
static void test_usim_too_large(void **state)
{
	size_t len;
	uint8_t *upp = test_read_vector(ISDR_V2_VECTOR, &len);
	orsp_pkg *pkg = NULL;
	(void)state;

	sms_records(upp, len, 254);
	assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_validate_flags(pkg, ORSP_PKG_VALIDATE_INSTALL, NULL), ORSP_OK);
	orsp_pkg_free(pkg);
	assert_int_equal(orsp_usim_check(upp, len), ORSP_E_RESOURCE);
	orsp_err_clear();

	card *c = card_new();
	dl_opts o = {.iccid = ICCID, .upp = upp, .upp_len = len};
	install_fails(c, &o, 5, 10);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	card_free(c);
	free(upp);
}

/* eUICCMemoryReset deletes the ISIM's SQN record with the profile. */
static void test_isim_memory_reset(void **state)
{
	vec vu, vi;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);
	card *c = isim_card(&vu, &vi);

	assert_int_equal(naa_auth(c, true, 0x81, vi.rand, vi.autn), 0x9000);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 1);
	/* deleteOperationalProfiles */
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "isqn."), 0);
	assert_int_equal(isim_open(c), 0x6A82);
	isim_close(c);
	card_free(c);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of the records in the card's store, sorted, joined by ','. */
static void store_list(const card *c, char *out, size_t cap)
{
	const char *names[MS_MAX];
	size_t n = 0, len = 0;

	for (int i = 0; i < MS_MAX; i++)
		if (c->st.r[i].data)
			names[n++] = c->st.r[i].name;
	qsort(names, n, sizeof(names[0]), cmp_name);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(out + len, cap - len, "%s%s", i ? "," : "", names[i]);
		assert_true(k > 0 && (size_t)k < cap - len);
		len += (size_t)k;
	}
}

/* A card with the two-key profile enabled whose USIM and ISIM have both authenticated: every
 * record kind a profile has is in the store. */
static card *records_card(const vec *vu, const vec *vi)
{
	char got[512];
	card *c = isim_card(vu, vi);

	assert_int_equal(naa_auth(c, false, 0x81, vu->rand, vu->autn), 0x9000);
	assert_int_equal(naa_auth(c, true, 0x81, vi->rand, vi->autn), 0x9000);
	store_list(c, got, sizeof(got));
	assert_string_equal(got, "ecasd,isdr,isqn.0,sqn.0,upp.0");
	return c;
}

/* DeleteProfile and eUICCMemoryReset leave no record of the deleted profile in the store:
 * its package, its USIM's and its ISIM's SQN state all go (docs/euicc.md), nothing but the
 * card's own records is left. */
static void test_profile_records_removed(void **state)
{
	vec vu, vi;
	char got[512];
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);

	card *c = records_card(&vu, &vi);
	assert_int_equal(disable(c), 0);
	assert_int_equal(by_iccid(c, 0xBF33, ICCID), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	store_list(c, got, sizeof(got));
	assert_string_equal(got, "ecasd,isdr");
	card_free(c);

	c = records_card(&vu, &vi);
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000); /* deleteOperationalProfiles */
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	store_list(c, got, sizeof(got));
	assert_string_equal(got, "ecasd,isdr");
	card_free(c);
}

/* The PIN state of a profile is its sealed record "pin.<n>" (docs/usim.md "PINs"): written
 * before a wrong PIN's 63Cx leaves the card, back after a power cycle (the verification
 * itself not), a failed commit spends no try, and the record goes with the profile. The
 * ISIM's PIN2 (TS.48 v2: a secondPINAppl1 after PE-ISIM) is its own. */
static void test_pin_state_sealed(void **state)
{
	vec vu, vi;
	char got[512];
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);
	card *c = isim_card(&vu, &vi);

	expect_sw(c, "0070000001", 0x9000);
	expect_sw(c, "01A4040C0C" USIM_AID, 0x9000);
	expect_sw(c, "012000810831323334FFFFFFFF", 0x63C2);
	assert_int_equal(ms_count_prefix(&c->st, "pin."), 1);
	expect_sw(c, "012800010830303030FFFFFFFF", 0x9000); /* PIN1 enabled */
	expect_sw(c, "0120000100", 0x9000);
	/* a failed commit: no try spent */
	c->st.fail_at = c->st.calls + 1;
	expect_sw(c, "012000810831323334FFFFFFFF", 0x6581);
	expect_sw(c, "0120008100", 0x63C2);
	isim_close(c);
	/* the ISIM's PIN2 is another PIN */
	assert_int_equal(isim_open(c), 0x9000);
	expect_sw(c, "0120008100", 0x63C3);
	isim_close(c);

	card_reopen(c);
	expect_sw(c, "0070000001", 0x9000);
	expect_sw(c, "01A4040C0C" USIM_AID, 0x9000);
	expect_sw(c, "0120008100", 0x63C2);
	expect_sw(c, "0120000100", 0x63C3); /* enabled, no longer verified */
	expect_sw(c, "012000010830303030FFFFFFFF", 0x9000);
	isim_close(c);

	assert_int_equal(disable(c), 0);
	assert_int_equal(by_iccid(c, 0xBF33, ICCID), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	store_list(c, got, sizeof(got));
	assert_string_equal(got, "ecasd,isdr");
	card_free(c);
}

/* LoadBoundProfilePackage decodes the package it unwrapped (the eUICC's package buffer)
 * once: the package rules, the ICCID check and the trial load of the USIM and ISIM all work
 * on that one decoded form; an install refused by the trial load (reason 10 or 12) decodes it
 * once too. Enable decodes the stored package once to load it. */
static void test_install_decodes_once(void **state)
{
	vec vu, vi;
	size_t len;
	uint8_t *upp;
	int cmd = -1, reason = -1;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);

	upp = two_key_upp(&vu, &vi, false, &len);
	card *c = card_new();
	dl_opts o = {.iccid = ICCID, .upp = upp, .upp_len = len};
	decode_watch = c->e.upp;
	n_decodes = 0;
	assert_int_equal(download(c, &o, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(n_decodes, 1);
	/* what is stored is the package as sent */
	bool stored = false;
	for (int i = 0; i < MS_MAX; i++)
		if (c->st.r[i].data && !strncmp(c->st.r[i].name, "upp.", 4)) {
			assert_false(stored);
			assert_int_equal(c->st.r[i].len, c->upp_len);
			assert_memory_equal(c->st.r[i].data, c->upp, c->upp_len);
			stored = true;
		}
	assert_true(stored);
	n_decodes = 0;
	assert_int_equal(enable(c), 0);
	assert_int_equal(n_decodes, 1);
	assert_true(c->e.usim.isim.loaded);
	card_free(c);

	/* refused by the trial load: the USIM's files do not fit (10), its AID is no USIM's (12) */
	uint8_t *big = malloc(len);
	assert_non_null(big);
	memcpy(big, upp, len);
	sms_records(big, len, 254);
	o.upp = big;
	c = card_new();
	decode_watch = c->e.upp;
	n_decodes = 0;
	install_fails(c, &o, 5, 10);
	assert_int_equal(n_decodes, 1);
	card_free(c);
	free(big);
	o.upp = upp;
	patch_df_name(upp, len, 0x02, 6, 0x03);
	c = card_new();
	decode_watch = c->e.upp;
	n_decodes = 0;
	install_fails(c, &o, 5, 12);
	assert_int_equal(n_decodes, 1);
	card_free(c);
	decode_watch = NULL;
	free(upp);
}

/* An SQN state is initialised once per NAA a load gives AKA parameters: the USIM's, and the
 * ISIM's when it has a K of its own; an ISIM with the USIM's K has its state set once more,
 * back to the initial one it does not use. */
static void test_load_sqn_init_once(void **state)
{
	vec vu, vi;
	size_t len;
	uint8_t *upp;
	orsp_usim *u = malloc(sizeof(*u));
	(void)state;
	assert_non_null(u);
	vec_load(0, &vu);
	vec_load(1, &vi);

	upp = two_key_upp(&vu, &vi, true, &len); /* no ISIM */
	n_sqn_inits = 0;
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_false(u->isim.loaded);
	assert_int_equal(n_sqn_inits, 1);
	assert_int_equal(u->sqn.ind_bits, 5);
	orsp_usim_unload(u);
	free(upp);

	upp = two_key_upp(&vu, &vi, false, &len);
	n_sqn_inits = 0;
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_true(u->isim.loaded && !u->isim.shared_sqn);
	assert_int_equal(n_sqn_inits, 2);
	assert_int_equal(u->sqn.ind_bits, 5);
	assert_int_equal(u->isim.sqn.ind_bits, 5);
	orsp_usim_unload(u);
	free(upp);

	upp = two_key_upp(&vu, &vu, false, &len);
	n_sqn_inits = 0;
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_true(u->isim.loaded && u->isim.shared_sqn);
	assert_int_equal(n_sqn_inits, 3);
	assert_int_equal(u->isim.sqn.ind_bits, 5);
	orsp_usim_unload(u);
	free(upp);
	free(u);
}

/* The ISIM on the card layer alone (orsp_usim): a profile without a PE-ISIM has no ISIM
 * (no AID, 6A82 even if its AID is registered); the ISIM's SQN state is its own argument,
 * checked like the USIM's. */
typedef struct bare {
	orsp_euicc_apdu_ctx ctx;
	uint8_t cmd[ORSP_EUICC_MAX_COMMAND], rsp[ORSP_EUICC_MAX_RESPONSE];
	orsp_usim u;
} bare;

static uint16_t bare_sw(bare *b, const char *hex)
{
	uint8_t capdu[300], r[ORSP_EUICC_RAPDU_MAX];
	size_t n = 0, rl = 0;
	assert_int_equal(orsp_hex_decode(hex, capdu, sizeof(capdu), &n), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_process(&b->ctx, capdu, n, r, sizeof(r), &rl), ORSP_OK);
	return (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
}

static void test_isim_absent(void **state)
{
	vec vu, vi;
	size_t len, al = 0;
	uint8_t aid[16], st[ORSP_USIM_SQN_STATE_MAX];
	bare *b = calloc(1, sizeof(*b));
	(void)state;

	assert_non_null(b);
	vec_load(0, &vu);
	vec_load(1, &vi);
	assert_int_equal(
	    orsp_euicc_apdu_init(&b->ctx, b->cmd, sizeof(b->cmd), b->rsp, sizeof(b->rsp)), ORSP_OK);
	/* with an ISIM: its AID, and its state argument is checked */
	uint8_t *upp = two_key_upp(&vu, &vi, false, &len);
	assert_int_equal(orsp_usim_load(&b->u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	free(upp);
	assert_int_equal(orsp_usim_isim_aid(&b->u, aid, &al), ORSP_OK);
	assert_int_equal(al, 12);
	assert_true(b->u.isim.aka_ok);
	assert_int_equal(orsp_usim_isim_state(&b->u, (const uint8_t *)"XX", 2, NULL, NULL),
	                 ORSP_E_MALFORMED);
	orsp_usim_sqn s;
	size_t sl = 0;
	orsp_usim_sqn_init(&s, 5);
	s.seq[3] = 77;
	assert_int_equal(orsp_usim_sqn_save(&s, st, sizeof(st), &sl), ORSP_OK);
	assert_int_equal(orsp_usim_isim_state(&b->u, st, sl, NULL, NULL), ORSP_OK);
	assert_true(b->u.isim.sqn.seq[3] == 77);
	assert_true(b->u.sqn.seq[3] == 0); /* the USIM's is another */
	orsp_usim_unload(&b->u);
	/* the same K: the USIM's state serves, a state of the ISIM's own is refused */
	upp = two_key_upp(&vu, &vu, false, &len);
	assert_int_equal(orsp_usim_load(&b->u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	free(upp);
	assert_true(orsp_usim_isim_shares_sqn(&b->u));
	assert_int_equal(orsp_usim_isim_state(&b->u, st, sl, NULL, NULL), ORSP_E_STATE);
	assert_int_equal(orsp_usim_isim_state(&b->u, NULL, 0, NULL, NULL), ORSP_OK);
	orsp_usim_unload(&b->u);
	assert_int_equal(orsp_usim_isim_aid(&b->u, aid, &al), ORSP_E_STATE);

	/* without: no AID; registered anyway, SELECT is refused */
	upp = two_key_upp(&vu, &vi, true, &len);
	assert_int_equal(orsp_usim_load(&b->u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	free(upp);
	assert_false(b->u.isim.loaded);
	assert_int_equal(orsp_usim_isim_aid(&b->u, aid, &al), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_usim_isim_state(&b->u, NULL, 0, NULL, NULL), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_usim_aid(&b->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&b->ctx, aid, al, &orsp_usim_app_ops, &b->u),
	                 ORSP_OK);
	orsp_euicc_apdu_set_mf(&b->ctx, &orsp_usim_mf_ops, &b->u);
	assert_int_equal(bare_sw(b, "00A4040C0C" ISIM_AID), 0x6A82);
	assert_int_equal(bare_sw(b, "00A4040C07A0000000871004"), 0x6A82);
	assert_int_equal(orsp_hex_decode(ISIM_AID, aid, sizeof(aid), &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&b->ctx, aid, al, &orsp_isim_app_ops, &b->u),
	                 ORSP_OK);
	assert_int_equal(bare_sw(b, "00A4040C0C" ISIM_AID), 0x6A82);
	assert_int_equal(bare_sw(b, "00A4040C0C" USIM_AID), 0x9000);
	assert_int_equal(bare_sw(b, "00A4000C026F07"), 0x9000); /* EF.IMSI */
	orsp_usim_unload(&b->u);
	free(b);
}

/* SELECT by AID whose FCI overflows the response buffer (6F00) is undone: the ISIM's select
 * padded with 300 bytes of proprietary data (the real FCI is about 50 bytes, the buffer at
 * least 256, given here) after the USIM on the same channel with EF.IMSI current. ISO/IEC
 * 7816-4: a failed SELECT leaves the current file as it was, so READ BINARY without a new
 * SELECT still reads EF.IMSI (select_undo puts the channel's state back). Without
 * select_undo (the layer's fallback) the ISIM's deselect ends the channel state it shares
 * with the USIM and the layer selects the USIM again: ADF.USIM current, EF.IMSI by FID. */
static uint16_t big_isim_select(void *user, uint8_t ch, orsp_writer *w)
{
	static const uint8_t pad[300] = {0};
	uint16_t sw = orsp_isim_app_ops.select(user, ch, w);
	orsp_der_put_tlv(w, 0xC0, pad, sizeof(pad));
	return sw;
}

/* The response data of a command (without SW1 SW2) into out; the status word. */
static uint16_t bare_rsp(bare *b, const char *hex, uint8_t *out, size_t *out_len)
{
	uint8_t capdu[300], r[ORSP_EUICC_RAPDU_MAX];
	size_t n = 0, rl = 0;
	assert_int_equal(orsp_hex_decode(hex, capdu, sizeof(capdu), &n), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_process(&b->ctx, capdu, n, r, sizeof(r), &rl), ORSP_OK);
	assert_true(rl >= 2);
	memcpy(out, r, rl - 2);
	*out_len = rl - 2;
	return (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
}

static void test_isim_select_overflow_undo(void **state)
{
	vec vu, vi;
	(void)state;
	vec_load(0, &vu);
	vec_load(1, &vi);

	for (int undo = 1; undo >= 0; undo--) {
		size_t len, al = 0, l1 = 0, l2 = 0;
		uint8_t aid[16], imsi1[ORSP_EUICC_RAPDU_MAX], imsi2[ORSP_EUICC_RAPDU_MAX];
		bare *b = calloc(1, sizeof(*b));
		orsp_euicc_app_ops big = orsp_isim_app_ops;

		assert_non_null(b);
		big.select = big_isim_select;
		if (!undo)
			big.select_undo = NULL;
		assert_int_equal(orsp_euicc_apdu_init(&b->ctx, b->cmd, sizeof(b->cmd), b->rsp,
		                                      ORSP_EUICC_MIN_RESPONSE),
		                 ORSP_OK);
		uint8_t *upp = two_key_upp(&vu, &vi, false, &len);
		assert_int_equal(orsp_usim_load(&b->u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
		free(upp);
		assert_int_equal(orsp_usim_aid(&b->u, aid, &al), ORSP_OK);
		assert_int_equal(
		    orsp_euicc_apdu_register(&b->ctx, aid, al, &orsp_usim_app_ops, &b->u), ORSP_OK);
		assert_int_equal(orsp_usim_isim_aid(&b->u, aid, &al), ORSP_OK);
		assert_int_equal(orsp_euicc_apdu_register(&b->ctx, aid, al, &big, &b->u), ORSP_OK);
		orsp_euicc_apdu_set_mf(&b->ctx, &orsp_usim_mf_ops, &b->u);

		assert_int_equal(bare_sw(b, "00A4040C0C" USIM_AID), 0x9000);
		assert_int_equal(bare_sw(b, "00A4000C026F07"), 0x9000);
		assert_int_equal(bare_rsp(b, "00B0000009", imsi1, &l1), 0x9000);
		assert_int_equal(l1, 9);
		assert_int_equal(bare_sw(b, "00A404040C" ISIM_AID "00"), 0x6F00);
		/* the USIM is the channel's application, and its state is there */
		assert_true(b->u.ch[0].adf_active);
		assert_false(b->u.ch[0].isim_active);
		if (undo) {
			/* EF.IMSI still current */
			assert_int_equal(bare_rsp(b, "00B0000009", imsi2, &l2), 0x9000);
			assert_int_equal(l2, l1);
			assert_memory_equal(imsi2, imsi1, l1);
		} else {
			assert_int_equal(bare_sw(b, "00B0000009"), 0x6986); /* no current EF */
		}
		assert_int_equal(bare_sw(b, "00A4000C026F07"), 0x9000); /* under ADF.USIM */
		assert_int_equal(bare_sw(b, "80F2000100"), 0x9000);
		/* the ISIM without data: selected, the USIM's session ended */
		assert_int_equal(bare_sw(b, "00A4040C0C" ISIM_AID), 0x9000);
		assert_int_equal(bare_sw(b, "00A4000C026F02"), 0x9000); /* EF.IMPI */
		assert_int_equal(bare_rsp(b, "00B0000009", imsi2, &l2), 0x9000);
		/* the ISIM reselected with a padded FCI: EF.IMPI stays current (without
		 * select_undo the reselect's reset stays: no current EF) */
		assert_int_equal(bare_sw(b, "00A404040C" ISIM_AID "00"), 0x6F00);
		assert_true(b->u.ch[0].isim_active);
		assert_int_equal(bare_sw(b, "00B0000009"), undo ? 0x9000 : 0x6986);
		orsp_usim_unload(&b->u);
		free(b);
	}
}

/* Whatever the package rules accept, openrsp's eUICC serves whole (docs/pkg.md: the
 * validator applies the eUICC's layout rules, orsp_pkg_ef_layout_check and the NAA AID
 * prefixes): one- and two-byte changes of TS.48 v7 in the Fcps, dfNames and fillFileOffsets
 * of its file-system PEs, from a fixed seed; every change that still decodes and validates
 * loads (orsp_usim_load, the eUICC's trial load at install and its load at enable) with its
 * ISIM when it has a PE-ISIM. Running out of the card's tables (ORSP_E_RESOURCE, a USIM's or
 * an ISIM's) is the card's capacity, which no package rule knows, and not counted. Before,
 * about 1 in 12 of the changes the rules accepted was refused or lost its ISIM (a size no
 * whole number of records, as EF.IMPU's C0 made 50, a dfName of another NAA, a negative
 * fillFileOffset...); the 8th change already failed. */
static void test_validated_loads(void **state)
{
	size_t len, n_pos = 0, accepted = 0, refused = 0;
	uint8_t *upp = test_read_vector("saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der",
	                                &len),
	        *m = malloc(len);
	size_t *pos = malloc(len * sizeof(*pos));
	orsp_usim *u = calloc(1, sizeof(*u));
	orsp_reader r;
	orsp_tlv pe;
	uint32_t x = 0x2545F491; /* xorshift32 */
	(void)state;
	assert_non_null(m);
	assert_non_null(pos);
	assert_non_null(u);

	/* the bytes of every Fcp and fillFileOffset TLV in the File members of the file-system
	 * PEs (tags [16] PE-MF .. [30]; header [0] and templateID skipped) */
	orsp_reader_init(&r, upp, len);
	while (orsp_reader_remaining(&r) > 0) {
		orsp_reader pr;
		orsp_tlv file;
		assert_int_equal(orsp_der_read(&r, &pe), ORSP_OK);
		if (pe.cls != ORSP_DER_CLASS_CONTEXT || pe.number < 16 || pe.number > 30)
			continue;
		orsp_reader_init(&pr, pe.value.p, pe.value.len);
		while (orsp_reader_remaining(&pr) > 0) {
			orsp_reader fr;
			orsp_tlv el;
			assert_int_equal(orsp_der_read(&pr, &file), ORSP_OK);
			if (!file.constructed || file.number == 0)
				continue;
			orsp_reader_init(&fr, file.value.p, file.value.len);
			while (orsp_reader_remaining(&fr) > 0) {
				assert_int_equal(orsp_der_read(&fr, &el), ORSP_OK);
				if (el.tag != 0xA1 && el.tag != 0x82)
					continue;
				for (size_t k = 0; k < el.raw.len; k++)
					pos[n_pos++] = (size_t)(el.raw.p - upp) + k;
			}
		}
	}
	assert_true(n_pos > 1000);

	for (int it = 0; it < 1000; it++) {
		size_t at[2];
		int n = 1 + it % 2;
		bool has_isim = false;
		orsp_pkg *pkg = NULL;
		orsp_err e;
		memcpy(m, upp, len);
		for (int k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			at[k] = pos[x % n_pos];
			m[at[k]] = (uint8_t)(x >> 24);
		}
		if (orsp_pkg_decode(m, len, &pkg) != ORSP_OK) {
			orsp_err_clear();
			continue;
		}
		e = orsp_pkg_validate(pkg, NULL);
		for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
			orsp_pe_info info;
			has_isim |=
			    orsp_pkg_pe(pkg, i, &info) == ORSP_OK && info.type == ORSP_PE_ISIM;
		}
		orsp_pkg_free(pkg);
		orsp_err_clear();
		if (e != ORSP_OK) {
			refused++;
			continue;
		}
		accepted++;
		last_log[0] = '\0';
		e = orsp_usim_load(u, m, len, NULL, 0, NULL, NULL);
		if (e == ORSP_E_RESOURCE) {
			orsp_err_clear();
			continue;
		}
		if (e != ORSP_OK)
			fail_msg(
			    "change %d (byte %zu = %02X, byte %zu = %02X): valid, but the eUICC "
			    "refuses it: %s",
			    it, at[0], m[at[0]], at[n - 1], m[at[n - 1]], orsp_err_detail());
		if (has_isim && !u->isim.loaded && !strstr(last_log, "resource limit"))
			fail_msg(
			    "change %d (byte %zu = %02X, byte %zu = %02X): valid, but the eUICC "
			    "drops its ISIM: %s",
			    it, at[0], m[at[0]], at[n - 1], m[at[n - 1]], last_log);
		orsp_usim_unload(u);
	}
	/* both outcomes well represented: the loop tests something */
	assert_true(accepted > 100);
	assert_true(refused > 50);
	free(u);
	free(pos);
	free(m);
	free(upp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_isim_files),
	    cmocka_unit_test(test_isim_impu_fill_pattern),
	    cmocka_unit_test(test_isim_authenticate),
	    cmocka_unit_test(test_isim_shared_sqn),
	    cmocka_unit_test(test_isim_shared_sqn_consts),
	    cmocka_unit_test(test_isim_memory_reset),
	    cmocka_unit_test(test_isim_defect_keeps_usim),
	    cmocka_unit_test(test_usim_defect_reported),
	    cmocka_unit_test(test_isim_df_entry_drop),
	    cmocka_unit_test(test_usim_too_large),
	    cmocka_unit_test(test_isim_absent),
	    cmocka_unit_test(test_isim_select_overflow_undo),
	    cmocka_unit_test(test_install_decodes_once),
	    cmocka_unit_test(test_load_sqn_init_once),
	    cmocka_unit_test(test_profile_records_removed),
	    cmocka_unit_test(test_pin_state_sealed),
	    cmocka_unit_test(test_validated_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
