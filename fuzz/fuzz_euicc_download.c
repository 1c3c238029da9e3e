/* libFuzzer target for a whole profile download into the software eUICC (ISD-R,
 * src/euicc/es10_isdr.c): AuthenticateServer, PrepareDownload, LoadBoundProfilePackage (BSP
 * unwrap, profile install) and ES10c requests after it.
 *
 * A signing harness: the input chooses the content, the harness plays the SM-DP+ and makes
 * it valid where the eUICC checks signatures, so that the parsing and state logic behind them
 * is reached (fuzz_euicc_es10 never gets past AuthenticateServer's signature). The SM-DP+ is
 * the SGP.26 NIST test identity (tests/vectors/sgp26: DPauth and DPpb keys and certificates);
 * serverSigned1 and smdpSigned2 are signed as SGP.22 v2.2 §5.7.13 / §5.7.5 say, and the
 * BPP is made with the project's own orsp_bsp_bpp_build (ES8+, §2.5.4).
 *
 * The input:
 *   byte 0: flags
 *     0x01 ccRequiredFlag TRUE in smdpSigned2      0x02 a hashCc in PrepareDownload
 *     0x04 a retry: a first session up to PrepareDownload, then a second one whose
 *          smdpSigned2 carries bppEuiccOtpk, the first session's otPK.EUICC (§5.7.5)
 *     0x08 the BPP in lpac's pieces (BF36 header + BF23, A0, A1 header, each 88, ...),
 *          else as one request
 *     0x10 chunk A is the whole value of ctxParams1 (A0), else its matchingId
 *     0x20 chunk C is the whole value of StoreMetadataRequest (BF25), else TLVs appended to
 *          a valid one
 *     0x40 the ES10 requests of the tail are sent between PrepareDownload and the BPP
 *     0x80 the card starts with its notification list full (ORSP_EUICC_MAX_NOTIFICATIONS
 *          pending: the seed installed, then enabled and disabled), so PrepareDownload finds
 *          no place for the PIR and is refused (undefinedError)
 *   then five chunks, each a 2-byte big-endian length and that many bytes (cut short at the
 *   end of the input):
 *     A ctxParams1 / matchingId;  B TLVs appended to smdpSigned2 (signed all the same);
 *     C StoreMetadataRequest (see 0x20);  D the profile package (UPP) inside the BPP, empty:
 *     the seed, GSMA TS.48 v2 (tests/vectors/saip); E mutations of the BPP after it is built:
 *     4 bytes each, a 3-byte big-endian index (modulo the BPP's length) and a byte XORed in
 *     there (0 taken as 1);
 *   then the tail: ES10 requests as fuzz_euicc_es10 takes them (2-byte length, bytes).
 * The metadata's ICCID is the package's own (the seed's when the package does not decode).
 *
 * Properties (a violation calls abort()):
 *  - orsp_euicc_es10() never crashes and fails only with a defined error category;
 *  - a response is empty (an intermediate BPP piece) or one well-formed DER TLV with the
 *    request's tag (BF37 answers a BF36 piece);
 *  - the profile and notification counts stay within the compile-time limits, and the
 *    committed records reopen to the same counts;
 *  - a clean input (no flag but 0x01-0x08, 0x01 and 0x02 both or neither, a matchingId of
 *    at most 255 bytes, chunks B, C and E empty, chunk D empty or the seed) installs the
 *    profile: the eUICC's AuthenticateServer and PrepareDownload answer OK, its PIR is a
 *    success and one profile is there; a retry gets the same otPK.EUICC again. This keeps
 *    the harness itself honest: if it stopped producing valid downloads, the fuzzer would
 *    learn nothing. The same with 0x80 is refused at PrepareDownload and changes nothing:
 *    the full card's one profile and its notifications stay.
 * The eUICC and the SM-DP+ draw random challenges and keys, so runs are not bit-for-bit
 * reproducible, but no property depends on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/bsp.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"

#include "euicc_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
static void make_full(void);

enum {
	F_CC = 0x01,
	F_HASH_CC = 0x02,
	F_RETRY = 0x04,
	F_PIECES = 0x08,
	F_RAW_CTX = 0x10,
	F_RAW_META = 0x20,
	F_TAIL_FIRST = 0x40,
	F_FULL = 0x80,
};

static store live, base, full;

static orsp_ec_key *slurp_key(const char *rel)
{
	size_t n;
	uint8_t *pem = slurp(rel, &n);
	orsp_ec_key *k = NULL;
	check(orsp_ec_load_private(pem, n, &k) == ORSP_OK);
	free(pem);
	return k;
}

static orsp_euicc *card;
static uint8_t rsp_buf[ORSP_EUICC_MAX_RESPONSE];
static uint8_t eid[16];
/* the SM-DP+ */
static orsp_ec_key *auth_sk, *pb_sk;
static uint8_t *auth_cert, *pb_cert, ci_ski[32];
static size_t auth_cert_len, pb_cert_len, ci_ski_len;
/* the seed package and its ICCID */
static uint8_t *seed_upp;
static size_t seed_upp_len;
static uint8_t seed_iccid_ef[10];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t *ci;
	size_t cil;
	orsp_cert *cic = NULL;
	orsp_pkg *pkg = NULL;
	orsp_pkg_header h;

	(void)argc;
	(void)argv;
	fx_provision(&card, &live, &base);
	check(orsp_hex_decode_exact(FX_EID, eid, 16) == ORSP_OK);
	ci = slurp("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der", &cil);
	check(orsp_cert_parse(ci, cil, &cic) == ORSP_OK);
	check(orsp_cert_ski(cic, ci_ski, sizeof(ci_ski), &ci_ski_len) == ORSP_OK);
	orsp_cert_free(cic);
	free(ci);

	auth_sk = slurp_key("sgp26/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	pb_sk = slurp_key("sgp26/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem");
	auth_cert = slurp("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", &auth_cert_len);
	pb_cert = slurp("sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", &pb_cert_len);

	seed_upp = slurp("saip/gsma-ts48/v2/TS48_V2_eSIM_GTP_SAIP2.3_NoBERTLV.der", &seed_upp_len);
	check(orsp_pkg_decode(seed_upp, seed_upp_len, &pkg) == ORSP_OK);
	check(orsp_pkg_get_header(pkg, &h) == ORSP_OK && h.iccid[0]);
	check(orsp_iccid_encode_ef(h.iccid, seed_iccid_ef) == ORSP_OK);
	orsp_pkg_free(pkg);
	make_full();
	return 0;
}

/* ---------------------------------------------------------------- ES10 ------------------ */

/* One ES10 request, its response checked; the response's TLV in *t (t->tag 0: none). */
static orsp_err es10(orsp_slice req, orsp_tlv *t)
{
	orsp_writer w;
	orsp_err e;

	memset(t, 0, sizeof(*t));
	orsp_writer_init(&w, rsp_buf, sizeof(rsp_buf));
	e = orsp_euicc_es10(card, req, &w);
	orsp_err_clear();
	if (e) {
		check(known_error(e));
		return e;
	}
	check(orsp_writer_status(&w) == ORSP_OK);
	if (w.len == 0)
		return ORSP_OK;
	check(orsp_der_parse_one(orsp_slice_make(rsp_buf, w.len), t) == ORSP_OK);
	check(orsp_der_validate(t->raw, ORSP_DER_MAX_DEPTH) == ORSP_OK);
	if (t->tag != 0xBF37) {
		orsp_tlv q;
		check(orsp_der_parse_one(req, &q) == ORSP_OK && q.tag == t->tag);
	}
	return ORSP_OK;
}

/* The value of the first TLV with this tag at the top level of v. */
static bool find(orsp_slice v, uint32_t tag, orsp_tlv *out)
{
	orsp_reader r;
	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, out)) {
			orsp_err_clear();
			return false;
		}
		if (out->tag == tag)
			return true;
	}
	return false;
}

/* The ES10 requests of the tail, as fuzz_euicc_es10 takes them. */
static void tail(orsp_reader *in)
{
	while (orsp_reader_remaining(in)) {
		uint16_t n = 0;
		orsp_slice req;
		orsp_tlv t;

		if (orsp_read_be16(in, &n))
			break;
		if (n > orsp_reader_remaining(in))
			n = (uint16_t)orsp_reader_remaining(in);
		if (orsp_read_slice(in, n, &req))
			break;
		(void)es10(req, &t);
	}
}

/* ---------------------------------------------------------------- the SM-DP+ side ------- */

typedef struct session {
	uint8_t tid[16], echal[16], sig1[64], sig2[64], otpk[65];
	bool has_otpk;
} session;

/* GetEuiccChallenge and AuthenticateServer; true if the eUICC answered OK. */
static bool authenticate(session *s, unsigned flags, orsp_slice ctx)
{
	static uint8_t req[4096];
	uint8_t s1[256], schal[16], sig[64];
	orsp_writer w;
	orsp_der_mark m, c, di;
	orsp_tlv t, a0, f;
	orsp_reader r;

	if (es10(orsp_slice_make("\xBF\x2E\x00", 3), &t) || t.tag != 0xBF2E ||
	    !find(t.value, 0x80, &f) || f.value.len != 16)
		return false;
	memcpy(s->echal, f.value.p, 16);
	check(orsp_random(s->tid, 16) == ORSP_OK && orsp_random(schal, 16) == ORSP_OK);

	/* serverSigned1 { transactionId, euiccChallenge, serverAddress, serverChallenge } */
	orsp_writer_init(&w, s1, sizeof(s1));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, s->tid, 16);
	orsp_der_put_tlv(&w, 0x81, s->echal, 16);
	orsp_der_put_tlv(&w, 0x83, FX_SMDP_ADDR, strlen(FX_SMDP_ADDR));
	orsp_der_put_tlv(&w, 0x84, schal, 16);
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	size_t s1_len = w.len;
	check(orsp_ecdsa_sign(auth_sk, s1, s1_len, sig) == ORSP_OK);

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF38);
	orsp_write_bytes(&w, s1, s1_len);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	orsp_der_put_tlv(&w, 0x04, ci_ski, ci_ski_len);
	orsp_write_bytes(&w, auth_cert, auth_cert_len);
	c = orsp_der_begin(&w, 0xA0); /* ctxParams1: ctxParamsForCommonAuthentication */
	if (flags & F_RAW_CTX) {
		orsp_write_bytes(&w, ctx.p, ctx.len);
	} else {
		orsp_der_put_tlv(&w, 0x80, ctx.p, ctx.len);
		di = orsp_der_begin(&w, 0xA1);
		orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
		orsp_der_put_tlv(&w, 0xA1, "", 0);
		orsp_der_end(&w, di);
	}
	orsp_der_end(&w, c);
	orsp_der_end(&w, m);
	if (orsp_writer_status(&w)) { /* a ctxParams1 too large for the request */
		orsp_err_clear();
		return false;
	}
	if (es10(orsp_slice_make(req, w.len), &t) || t.tag != 0xBF38 || !find(t.value, 0xA0, &a0))
		return false;
	/* AuthenticateResponseOk { euiccSigned1, euiccSignature1, ... } */
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	if (orsp_der_expect(&r, 0x30, &f) || orsp_der_expect(&r, 0x5F37, &f) || f.value.len != 64) {
		orsp_err_clear();
		return false;
	}
	memcpy(s->sig1, f.value.p, 64);
	return true;
}

/* PrepareDownload; true if the eUICC answered OK (its otPK.EUICC in s->otpk). */
static bool prepare(session *s, unsigned flags, const uint8_t *bpp_otpk, orsp_slice extra)
{
	static uint8_t s2[4096], msg[4096 + 67], req[8192];
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv t, a0, f;
	orsp_reader r;
	uint8_t sig[64];

	/* smdpSigned2 { transactionId, ccRequiredFlag, bppEuiccOtpk OPTIONAL, ... } */
	orsp_writer_init(&w, s2, sizeof(s2));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, s->tid, 16);
	orsp_der_put_tlv(&w, 0x01, flags & F_CC ? "\xFF" : "\x00", 1);
	if (bpp_otpk)
		orsp_der_put_tlv(&w, 0x5F49, bpp_otpk, 65);
	orsp_write_bytes(&w, extra.p, extra.len);
	orsp_der_end(&w, m);
	if (orsp_writer_status(&w)) { /* chunk B too large for smdpSigned2 here */
		orsp_err_clear();
		return false;
	}
	size_t n = w.len;
	/* smdpSignature2 over smdpSigned2 || 5F37 40 || euiccSignature1 */
	memcpy(msg, s2, n);
	memcpy(msg + n, "\x5F\x37\x40", 3);
	memcpy(msg + n + 3, s->sig1, 64);
	check(orsp_ecdsa_sign(pb_sk, msg, n + 67, sig) == ORSP_OK);
	memcpy(s->sig2, sig, 64);

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF21);
	orsp_write_bytes(&w, s2, n);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	if (flags & F_HASH_CC)
		orsp_der_put_tlv(&w, 0x04, "0123456789abcdef0123456789abcdef", 32);
	orsp_write_bytes(&w, pb_cert, pb_cert_len);
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	if (es10(orsp_slice_make(req, w.len), &t) || t.tag != 0xBF21 || !find(t.value, 0xA0, &a0))
		return false;
	/* PrepareDownloadResponseOk { euiccSigned2 { transactionId, euiccOtpk, ... }, ... } */
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	if (orsp_der_expect(&r, 0x30, &f) || !find(f.value, 0x5F49, &f) || f.value.len != 65) {
		orsp_err_clear();
		return false;
	}
	memcpy(s->otpk, f.value.p, 65);
	s->has_otpk = true;
	return true;
}

/* StoreMetadataRequest for this ICCID (EF.ICCID coding), or chunk C. */
static size_t metadata(const uint8_t iccid_ef[10], unsigned flags, orsp_slice c, uint8_t *buf,
                       size_t cap)
{
	orsp_writer w;
	orsp_der_mark m, nc, op;

	orsp_writer_init(&w, buf, cap);
	m = orsp_der_begin(&w, 0xBF25);
	if (flags & F_RAW_META) {
		orsp_write_bytes(&w, c.p, c.len);
	} else {
		orsp_der_put_tlv(&w, 0x5A, iccid_ef, 10);
		orsp_der_put_tlv(&w, 0x91, "GSMA Test", 9);
		orsp_der_put_tlv(&w, 0x92, "TS.48 test profile", 18);
		orsp_der_put_uint(&w, 0x95, 2); /* operational */
		nc = orsp_der_begin(&w, 0xB6);
		op = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, "\x04\xF0", 2); /* install, enable, disable, delete */
		orsp_der_put_tlv(&w, 0x81, "notify.example.com", 18);
		orsp_der_end(&w, op);
		orsp_der_end(&w, nc);
		orsp_write_bytes(&w, c.p, c.len);
	}
	orsp_der_end(&w, m);
	check(orsp_writer_status(&w) == ORSP_OK);
	return w.len;
}

/* The BPP for the session (malloc'd), or NULL if the SM-DP+ cannot build one. */
static uint8_t *build_bpp(const session *s, unsigned flags, orsp_slice meta_in, orsp_slice upp,
                          size_t *len)
{
	static uint8_t meta[70000];
	uint8_t iccid_ef[10];
	orsp_tlv hdr, f;
	orsp_reader ur;
	orsp_ec_key *otsk = NULL;
	orsp_writer w;
	uint8_t *bpp = NULL;
	orsp_err e;

	/* the package's own ICCID, else the seed's: ProfileHeader (A0, the first PE) { ...,
	 * iccid [3] OCTET STRING (SIZE (10)), its digits in order; EF.ICCID swaps each byte's
	 * nibbles }, read here without decoding the package (as costly as the install) */
	memcpy(iccid_ef, seed_iccid_ef, 10);
	orsp_reader_init(&ur, upp.p, upp.len);
	if (!orsp_der_read(&ur, &hdr) && hdr.tag == 0xA0 && find(hdr.value, 0x83, &f) &&
	    f.value.len == 10)
		for (size_t i = 0; i < 10; i++)
			iccid_ef[i] = (uint8_t)(f.value.p[i] << 4 | f.value.p[i] >> 4);
	orsp_err_clear();
	size_t meta_len = metadata(iccid_ef, flags, meta_in, meta, sizeof(meta));
	check(orsp_ec_generate(orsp_ec_curve(pb_sk), &otsk) == ORSP_OK);
	orsp_bsp_bpp_params p = {
	    .dppb = pb_sk,
	    .smdp_otsk = otsk,
	    .euicc_otpk = orsp_slice_make(s->otpk, 65),
	    .transaction_id = orsp_slice_make(s->tid, 16),
	    .host_id = orsp_slice_make("openrsp-fuzz", 12),
	    .eid = eid,
	    .configure_isdp = orsp_slice_make("\xBF\x24\x00", 3),
	    .store_metadata = orsp_slice_make(meta, meta_len),
	    .profile = upp,
	};
	if (!(e = orsp_bsp_bpp_size(&p, len)) && (bpp = malloc(*len)) != NULL) {
		orsp_writer_init(&w, bpp, *len);
		e = orsp_bsp_bpp_build(&p, &w);
		check(e || w.len == *len);
	}
	orsp_ec_free(otsk);
	orsp_err_clear();
	if (e) { /* a package the SM-DP+ refuses to bind (empty, say) */
		free(bpp);
		return NULL;
	}
	return bpp;
}

#define MAX_PIECES 1024
typedef struct piece {
	size_t off, len;
} piece;

/* lpac's pieces of a BPP: BF36 header + BF23; A0 whole; A1 header, each 88; A2 whole; A3
 * header, each 86 (before any mutation: the BPP is what orsp_bsp_bpp_build made). */
static size_t bpp_pieces(const uint8_t *bpp, size_t len, piece pc[MAX_PIECES])
{
	orsp_tlv top, part, seg;
	orsp_reader r, sr;
	size_t np = 0;

	check(orsp_der_parse_one(orsp_slice_make(bpp, len), &top) == ORSP_OK);
	orsp_reader_init(&r, top.value.p, top.value.len);
	check(orsp_der_expect(&r, 0xBF23, &part) == ORSP_OK);
	pc[np++] = (piece){0, (size_t)(part.raw.p + part.raw.len - bpp)};
	while (orsp_reader_remaining(&r)) {
		check(orsp_der_read(&r, &part) == ORSP_OK && np < MAX_PIECES);
		if (part.tag == 0xA0 || part.tag == 0xA2) {
			pc[np++] = (piece){(size_t)(part.raw.p - bpp), part.raw.len};
			continue;
		}
		pc[np++] = (piece){(size_t)(part.raw.p - bpp), (size_t)(part.value.p - part.raw.p)};
		orsp_reader_init(&sr, part.value.p, part.value.len);
		while (orsp_reader_remaining(&sr)) {
			check(orsp_der_read(&sr, &seg) == ORSP_OK && np < MAX_PIECES);
			pc[np++] = (piece){(size_t)(seg.raw.p - bpp), seg.raw.len};
		}
	}
	return np;
}

/* ---------------------------------------------------------------- one input ------------- */

static orsp_slice chunk(orsp_reader *in)
{
	uint16_t n = 0;
	orsp_slice s = {0};

	if (orsp_read_be16(in, &n))
		return s;
	if (n > orsp_reader_remaining(in))
		n = (uint16_t)orsp_reader_remaining(in);
	(void)orsp_read_slice(in, n, &s);
	return s;
}

/* Load the BPP (with its mutations); the PIR's result tag (A0 success, A1 error), 0 if
 * there is none. */
static uint32_t load_bpp(uint8_t *bpp, size_t len, unsigned flags, orsp_slice mut)
{
	static piece pc[MAX_PIECES];
	size_t np = 1, i;
	orsp_tlv t = {0}, d, fr, res;
	orsp_reader r;

	if (flags & F_PIECES)
		np = bpp_pieces(bpp, len, pc);
	else
		pc[0] = (piece){0, len};
	for (i = 0; i + 4 <= mut.len; i += 4) {
		size_t at =
		    ((size_t)mut.p[i] << 16 | (size_t)mut.p[i + 1] << 8 | mut.p[i + 2]) % len;
		bpp[at] ^= mut.p[i + 3] ? mut.p[i + 3] : 1;
	}
	for (i = 0; i < np && t.tag == 0; i++)
		if (es10(orsp_slice_make(bpp + pc[i].off, pc[i].len), &t))
			return 0;
	/* ProfileInstallationResult { profileInstallationResultData { ..., finalResult A2 },
	 * euiccSignPIR } */
	if (t.tag != 0xBF37 || !find(t.value, 0xBF27, &d) || !find(d.value, 0xA2, &fr))
		return 0;
	orsp_reader_init(&r, fr.value.p, fr.value.len);
	if (orsp_der_read(&r, &res)) {
		orsp_err_clear();
		return 0;
	}
	return res.tag;
}

/* `full`: `base` with the seed installed (its PIR the first notification), then enabled and
 * disabled until ORSP_EUICC_MAX_NOTIFICATIONS notifications are pending. */
static void make_full(void)
{
	static const orsp_slice none = {0};
	session s = {0};
	size_t len = 0;
	uint8_t *bpp, req[20];
	orsp_tlv t, f;
	orsp_writer w;
	orsp_der_mark m, a;

	st_alloc(&full);
	st_copy(&live, &base);
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, &live) == ORSP_OK);
	check(authenticate(&s, 0, none) && prepare(&s, 0, NULL, none));
	bpp = build_bpp(&s, 0, none, orsp_slice_make(seed_upp, seed_upp_len), &len);
	check(bpp && load_bpp(bpp, len, 0, none) == 0xA0);
	free(bpp);
	/* EnableProfileRequest, DisableProfileRequest { profileIdentifier [0] { iccid },
	 * refreshFlag FALSE }, each answered ok (0) with one notification recorded */
	for (uint32_t fn = 0xBF31;
	     orsp_euicc_notification_count(card) < ORSP_EUICC_MAX_NOTIFICATIONS;
	     fn ^= 0xBF31 ^ 0xBF32) {
		orsp_writer_init(&w, req, sizeof(req));
		m = orsp_der_begin(&w, fn);
		a = orsp_der_begin(&w, 0xA0);
		orsp_der_put_tlv(&w, 0x5A, seed_iccid_ef, 10);
		orsp_der_end(&w, a);
		orsp_der_put_tlv(&w, 0x81, "\x00", 1);
		orsp_der_end(&w, m);
		check(orsp_writer_status(&w) == ORSP_OK);
		check(es10(orsp_slice_make(req, w.len), &t) == ORSP_OK && find(t.value, 0x80, &f) &&
		      f.value.len == 1 && f.value.p[0] == 0);
	}
	orsp_euicc_close(card);
	st_copy(&full, &live);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	orsp_reader in;
	orsp_slice ctx, ext2, meta, upp, mut;
	session s1 = {0}, s = {0};
	unsigned flags;
	bool clean, full_card, ok = false;
	uint32_t pir = 0;

	if (size < 1)
		return 0;
	flags = data[0];
	orsp_reader_init(&in, data + 1, size - 1);
	ctx = chunk(&in);
	ext2 = chunk(&in);
	meta = chunk(&in);
	upp = chunk(&in);
	mut = chunk(&in);
	if (!upp.len)
		upp = orsp_slice_make(seed_upp, seed_upp_len);
	full_card = flags & F_FULL;
	clean = !(flags & ~(unsigned)(F_CC | F_HASH_CC | F_RETRY | F_PIECES | F_FULL)) &&
	        !(flags & F_CC) == !(flags & F_HASH_CC) && ctx.len <= 255 && !ext2.len &&
	        !meta.len && !mut.len && upp.len == seed_upp_len &&
	        !memcmp(upp.p, seed_upp, seed_upp_len);

	st_copy(&live, flags & F_FULL ? &full : &base);
	memset(card, 0, sizeof(*card));
	check(orsp_euicc_open(card, &st_ops, &live) == ORSP_OK);

	if (flags & F_RETRY) /* a first session up to PrepareDownload */
		ok = authenticate(&s1, flags, ctx) && prepare(&s1, flags, NULL, ext2);
	check(!clean || !(flags & F_RETRY) || ok == !full_card);
	ok = authenticate(&s, flags, ctx) && prepare(&s, flags, s1.has_otpk ? s1.otpk : NULL, ext2);
	check(!clean || ok == !full_card);
	/* the retry of the same binding gets the same otPK.EUICC (§5.7.5) */
	check(!clean || !s1.has_otpk || !memcmp(s1.otpk, s.otpk, 65));
	if (flags & F_TAIL_FIRST)
		tail(&in);
	if (ok) {
		size_t len = 0;
		uint8_t *bpp = build_bpp(&s, flags, meta, upp, &len);
		check(!clean || bpp);
		if (bpp)
			pir = load_bpp(bpp, len, flags, mut);
		free(bpp);
	}
	check(!clean || orsp_euicc_profile_count(card) == 1);
	check(!clean ||
	      (full_card ? orsp_euicc_notification_count(card) == ORSP_EUICC_MAX_NOTIFICATIONS
	                 : pir == 0xA0));
	if (!(flags & F_TAIL_FIRST))
		tail(&in);

	fx_check_reopen(card, &live);
	return 0;
}
