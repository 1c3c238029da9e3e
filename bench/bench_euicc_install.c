/* `openrsp bench euicc`, the install part: one complete profile download into a fresh host
 * eUICC (sealed directory), with an in-process SM-DP+ side made of the bsp/crypto building
 * blocks and the keys of a `pki init` hierarchy made at start:
 *   GetEUICCChallenge (BF2E), AuthenticateServer (BF38, serverSigned1 signed with
 *   SK.DPauth), PrepareDownload (BF21, smdpSigned2 signed with SK.DPpb over smdpSigned2 ||
 *   5F37 40 || euiccSignature1, SGP.22 §5.6.2), then the BoundProfilePackage built against
 *   the eUICC's otPK and sent as lpac sends LoadBoundProfilePackage: BF36 header + BF23, A0,
 *   A1 header, each 88, A2, A3 header, each 86, each a STORE DATA chain of 120-byte blocks.
 * Times: the whole download, and the part spent inside the card (APDU processing).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_euicc.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/bsp.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"
#include "openrsp/seal.h"

#define FQDN "testsmdpplus1.example.com"
#define MSS 120 /* lpac's default STORE DATA block */
#define RSP_MAX 8192

static const uint8_t isdr_aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

typedef struct bench_euicc_install inst;

struct bench_euicc_install {
	char pki[300], card[300];
	orsp_ec_key *dpauth, *dppb;
	uint8_t *dpauth_cert, *dppb_cert;
	size_t dpauth_cert_len, dppb_cert_len;
	uint8_t ci_ski[32];
	size_t ci_ski_len;
	orsp_euicc_identity id;
	uint8_t *sk, *cert, *eum, *ci;
	size_t sk_len, cert_len, eum_len, ci_len;
	uint8_t eid[16];
	orsp_euicc_host *h;
	double card_s; /* time inside orsp_euicc_apdu_process */
	uint8_t rsp[RSP_MAX];
	size_t rsp_len;
};

static orsp_err slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*out = NULL;
	if (!f)
		return orsp_errf(ORSP_E_NOT_FOUND, "%s: cannot open", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > 65536 ||
	    fseek(f, 0, SEEK_SET) != 0 || !(*out = malloc((size_t)n)) ||
	    fread(*out, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*out);
		*out = NULL;
		return orsp_errf(ORSP_E_STORAGE, "%s: cannot read", path);
	}
	fclose(f);
	*len = (size_t)n;
	return ORSP_OK;
}

/* One APDU to the card, following 61xx into in->rsp (appending). Returns the SW. */
static orsp_err apdu(inst *in, const uint8_t *c, size_t n, uint16_t *sw)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX], gr[5];
	size_t rn = 0;
	orsp_err e;

	for (;;) {
		double t0 = orsp_mono_s();
		e = orsp_euicc_apdu_process(orsp_euicc_host_apdu(in->h), c, n, r, sizeof(r), &rn);
		in->card_s += orsp_mono_s() - t0;
		if (e != ORSP_OK)
			return e;
		if (rn < 2 || in->rsp_len + rn - 2 > sizeof(in->rsp))
			return orsp_errf(ORSP_E_RESOURCE, "response too long");
		memcpy(in->rsp + in->rsp_len, r, rn - 2);
		in->rsp_len += rn - 2;
		*sw = (uint16_t)(r[rn - 2] << 8 | r[rn - 1]);
		if ((*sw >> 8) != 0x61)
			return ORSP_OK;
		gr[0] = 0x00;
		gr[1] = 0xC0;
		gr[2] = gr[3] = 0;
		gr[4] = r[rn - 1];
		c = gr;
		n = 5;
	}
}

/* One ES10 request (or a piece of LoadBoundProfilePackage) as a STORE DATA chain
 * (SGP.22 §5.7.2); the response lands in in->rsp. */
static orsp_err es10(inst *in, const uint8_t *req, size_t n)
{
	uint8_t c[5 + MSS];
	uint16_t sw = 0;
	orsp_err e;

	in->rsp_len = 0;
	for (size_t off = 0, blk = 0; off < n || blk == 0; blk++) {
		size_t k = n - off < MSS ? n - off : MSS;
		c[0] = 0x80;
		c[1] = 0xE2;
		c[2] = off + k == n ? 0x91 : 0x11;
		c[3] = (uint8_t)blk;
		c[4] = (uint8_t)k;
		memcpy(c + 5, req + off, k);
		off += k;
		in->rsp_len = 0;
		if ((e = apdu(in, c, 5 + k, &sw)) != ORSP_OK)
			return e;
		if (sw != 0x9000)
			return orsp_errf(ORSP_E_STATE, "STORE DATA block %zu answered %04X (%s)",
			                 blk, sw, orsp_err_detail());
	}
	return ORSP_OK;
}

/* Find the first TLV with tag inside value v (one level). */
static orsp_err child(orsp_slice v, uint32_t tag, orsp_tlv *out)
{
	orsp_reader r;
	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		orsp_err e = orsp_der_read(&r, out);
		if (e)
			return e;
		if (out->tag == tag)
			return ORSP_OK;
	}
	return orsp_errf(ORSP_E_MALFORMED, "no tag %X in the card's response", (unsigned)tag);
}

static orsp_err sign_tlv(const orsp_ec_key *k, const void *m1, size_t n1, const void *m2, size_t n2,
                         orsp_writer *w)
{
	uint8_t buf[2048], sig[ORSP_EC_SIG_LEN];
	orsp_err e;

	if (n1 + n2 > sizeof(buf))
		return orsp_errf(ORSP_E_RESOURCE, "signed data too long");
	memcpy(buf, m1, n1);
	if (n2)
		memcpy(buf + n1, m2, n2);
	if ((e = orsp_ecdsa_sign(k, buf, n1 + n2, sig)) != ORSP_OK)
		return e;
	orsp_der_put_tlv(w, 0x5F37, sig, sizeof(sig));
	return ORSP_OK;
}

/* The whole download of upp into in->h. */
static orsp_err download(inst *in, const uint8_t *upp, size_t upp_len, const uint8_t *iccid_ef)
{
	static const uint8_t get_chal[] = {0xBF, 0x2E, 0x00};
	uint8_t tid[16], schal[16], echal[16], req[4096], s1[512], s2[256], sig1[64], otpk[65];
	uint8_t *bpp = NULL, host_id[8] = {'o', 'r', 's', 'p', 'b', 'e', 'n', 'c'};
	uint8_t cfg[] = {0xBF, 0x24, 0x00}, md[64];
	size_t s1_len, s2_len, bpp_len = 0;
	orsp_ec_key *otsk = NULL;
	orsp_writer w, sw1;
	orsp_der_mark m, m2, m3;
	orsp_tlv t, t2, t3;
	orsp_err e;

	if ((e = orsp_random(tid, sizeof(tid))) != ORSP_OK ||
	    (e = orsp_random(schal, sizeof(schal))) != ORSP_OK)
		return e;
	/* GetEUICCChallenge -> BF2E { 80 euiccChallenge } */
	if ((e = es10(in, get_chal, sizeof(get_chal))) != ORSP_OK ||
	    (e = orsp_der_parse_one(orsp_slice_make(in->rsp, in->rsp_len), &t)) != ORSP_OK ||
	    (e = child(t.value, 0x80, &t2)) != ORSP_OK)
		return e;
	if (t2.value.len != 16)
		return orsp_errf(ORSP_E_MALFORMED, "euiccChallenge of %zu bytes", t2.value.len);
	memcpy(echal, t2.value.p, 16);
	/* ServerSigned1 (SGP.22 §5.6.13 / §4.5.2) */
	orsp_writer_init(&sw1, s1, sizeof(s1));
	m = orsp_der_begin(&sw1, 0x30);
	orsp_der_put_tlv(&sw1, 0x80, tid, sizeof(tid));
	orsp_der_put_tlv(&sw1, 0x81, echal, sizeof(echal));
	orsp_der_put_tlv(&sw1, 0x83, FQDN, strlen(FQDN));
	orsp_der_put_tlv(&sw1, 0x84, schal, sizeof(schal));
	orsp_der_end(&sw1, m);
	if ((e = orsp_writer_status(&sw1)) != ORSP_OK)
		return e;
	s1_len = sw1.len;
	/* AuthenticateServerRequest BF38 */
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF38);
	orsp_write_bytes(&w, s1, s1_len);
	if ((e = sign_tlv(in->dpauth, s1, s1_len, NULL, 0, &w)) != ORSP_OK)
		return e;
	orsp_der_put_tlv(&w, 0x04, in->ci_ski, in->ci_ski_len);
	orsp_write_bytes(&w, in->dpauth_cert, in->dpauth_cert_len);
	m2 = orsp_der_begin(&w, 0xA0); /* ctxParamsForCommonAuthentication */
	orsp_der_put_tlv(&w, 0x80, "BENCH-1", 7);
	m3 = orsp_der_begin(&w, 0xA1);                     /* deviceInfo */
	orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4); /* TAC */
	orsp_der_put_tlv(&w, 0xA1, "", 0);                 /* deviceCapabilities */
	orsp_der_end(&w, m3);
	orsp_der_end(&w, m2);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) != ORSP_OK || (e = es10(in, req, w.len)) != ORSP_OK)
		return e;
	/* BF38 { A0 { euiccSigned1, 5F37 euiccSignature1, ... } } */
	if ((e = orsp_der_parse_one(orsp_slice_make(in->rsp, in->rsp_len), &t)) != ORSP_OK ||
	    (e = child(t.value, 0xA0, &t2)) != ORSP_OK ||
	    (e = child(t2.value, 0x5F37, &t3)) != ORSP_OK)
		return orsp_errf(e ? e : ORSP_E_VERIFY, "AuthenticateServer refused: %s",
		                 orsp_err_detail());
	if (t3.value.len != 64)
		return orsp_errf(ORSP_E_MALFORMED, "euiccSignature1 of %zu bytes", t3.value.len);
	memcpy(sig1, t3.value.p, 64);
	/* SmdpSigned2 { 80 tid, 01 ccRequiredFlag false } */
	orsp_writer_init(&sw1, s2, sizeof(s2));
	m = orsp_der_begin(&sw1, 0x30);
	orsp_der_put_tlv(&sw1, 0x80, tid, sizeof(tid));
	orsp_der_put_tlv(&sw1, 0x01, "\x00", 1);
	orsp_der_end(&sw1, m);
	if ((e = orsp_writer_status(&sw1)) != ORSP_OK)
		return e;
	s2_len = sw1.len;
	{
		uint8_t tail[2 + 1 + 64] = {0x5F, 0x37, 0x40};
		memcpy(tail + 3, sig1, 64);
		orsp_writer_init(&w, req, sizeof(req));
		m = orsp_der_begin(&w, 0xBF21);
		orsp_write_bytes(&w, s2, s2_len);
		if ((e = sign_tlv(in->dppb, s2, s2_len, tail, sizeof(tail), &w)) != ORSP_OK)
			return e;
		orsp_write_bytes(&w, in->dppb_cert, in->dppb_cert_len);
		orsp_der_end(&w, m);
	}
	if ((e = orsp_writer_status(&w)) != ORSP_OK || (e = es10(in, req, w.len)) != ORSP_OK)
		return e;
	/* BF21 { A0 { 30 euiccSigned2 { 80 tid, 5F49 otPK }, 5F37 } } */
	if ((e = orsp_der_parse_one(orsp_slice_make(in->rsp, in->rsp_len), &t)) != ORSP_OK ||
	    (e = child(t.value, 0xA0, &t2)) != ORSP_OK ||
	    (e = child(t2.value, 0x30, &t3)) != ORSP_OK ||
	    (e = child(t3.value, 0x5F49, &t)) != ORSP_OK)
		return orsp_errf(e ? e : ORSP_E_VERIFY, "PrepareDownload refused: %s",
		                 orsp_err_detail());
	if (t.value.len != sizeof(otpk))
		return orsp_errf(ORSP_E_MALFORMED, "otPK.EUICC of %zu bytes", t.value.len);
	memcpy(otpk, t.value.p, sizeof(otpk));
	/* StoreMetadataRequest BF25 { 5A iccid, 91 spn, 92 name } */
	orsp_writer_init(&sw1, md, sizeof(md));
	m = orsp_der_begin(&sw1, 0xBF25);
	orsp_der_put_tlv(&sw1, 0x5A, iccid_ef, 10);
	orsp_der_put_tlv(&sw1, 0x91, "openrsp", 7);
	orsp_der_put_tlv(&sw1, 0x92, "bench", 5);
	orsp_der_end(&sw1, m);
	if ((e = orsp_writer_status(&sw1)) != ORSP_OK)
		return e;
	/* the BoundProfilePackage */
	{
		orsp_bsp_bpp_params p = {
		    .dppb = in->dppb,
		    .euicc_otpk = orsp_slice_make(otpk, sizeof(otpk)),
		    .transaction_id = orsp_slice_make(tid, sizeof(tid)),
		    .host_id = orsp_slice_make(host_id, sizeof(host_id)),
		    .eid = in->eid,
		    .configure_isdp = orsp_slice_make(cfg, sizeof(cfg)),
		    .store_metadata = orsp_slice_make(md, sw1.len),
		    .profile = orsp_slice_make(upp, upp_len),
		};
		if ((e = orsp_ec_generate(ORSP_CURVE_P256, &otsk)) != ORSP_OK)
			return e;
		p.smdp_otsk = otsk;
		if ((e = orsp_bsp_bpp_size(&p, &bpp_len)) != ORSP_OK || !(bpp = malloc(bpp_len))) {
			orsp_ec_free(otsk);
			return e ? e : orsp_errf(ORSP_E_RESOURCE, "out of memory");
		}
		orsp_writer_init(&w, bpp, bpp_len);
		e = orsp_bsp_bpp_build(&p, &w);
		orsp_ec_free(otsk);
		if (e)
			goto out;
	}
	/* LoadBoundProfilePackage the way lpac cuts it (rsp-notes §A.1) */
	{
		orsp_tlv outer, k;
		orsp_reader r;
		if ((e = orsp_der_parse_one(orsp_slice_make(bpp, w.len), &outer)) != ORSP_OK)
			goto out;
		orsp_reader_init(&r, outer.value.p, outer.value.len);
		bool first = true;
		while (orsp_reader_remaining(&r)) {
			if ((e = orsp_der_read(&r, &k)) != ORSP_OK)
				goto out;
			if (first) { /* BF36 header + BF23 */
				size_t hl = (size_t)(k.raw.p - outer.raw.p);
				if ((e = es10(in, outer.raw.p, hl + k.raw.len)) != ORSP_OK)
					goto out;
				first = false;
			} else if (k.tag == 0xA1 || k.tag == 0xA3) { /* header, then each TLV */
				orsp_reader rr;
				orsp_tlv s;
				if ((e = es10(in, k.raw.p, k.raw.len - k.value.len)) != ORSP_OK)
					goto out;
				orsp_reader_init(&rr, k.value.p, k.value.len);
				while (orsp_reader_remaining(&rr)) {
					if ((e = orsp_der_read(&rr, &s)) != ORSP_OK ||
					    (e = es10(in, s.raw.p, s.raw.len)) != ORSP_OK)
						goto out;
				}
			} else if ((e = es10(in, k.raw.p, k.raw.len)) != ORSP_OK) {
				goto out;
			}
		}
	}
	/* the last response: BF37 ProfileInstallationResult, BF27 { ..., finalResult A2 { A0
	 * successResult | A1 errorResult } } */
	if ((e = orsp_der_parse_one(orsp_slice_make(in->rsp, in->rsp_len), &t)) != ORSP_OK ||
	    t.tag != 0xBF37 || (e = child(t.value, 0xBF27, &t2)) != ORSP_OK ||
	    (e = child(t2.value, 0xA2, &t3)) != ORSP_OK ||
	    (e = child(t3.value, 0xA0, &t)) != ORSP_OK) {
		e = orsp_errf(ORSP_E_STATE, "no successful ProfileInstallationResult");
		goto out;
	}
out:
	if (bpp)
		orsp_wipe(bpp, bpp_len);
	free(bpp);
	return e;
}

int bench_euicc_install_setup(bench_euicc_install **out)
{
	inst *in = calloc(1, sizeof(*in));
	const char *tmp = getenv("TMPDIR");
	char path[400];
	uint8_t *kd = NULL;
	size_t kn = 0;
	orsp_cert *c = NULL;
	orsp_err e = ORSP_OK;
	int rc;

	*out = NULL;
	if (!in)
		return cli_failf("bench euicc", "out of memory");
	snprintf(in->pki, sizeof(in->pki), "%s/openrsp-bench-pki.XXXXXX",
	         tmp && tmp[0] && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(in->pki) || rmdir(in->pki) != 0) {
		free(in);
		return cli_failf("bench euicc", "cannot create a temporary directory");
	}
	if ((rc = cli_pki_create(in->pki, FQDN, "2.999.10")) != CLI_OK) {
		free(in);
		return rc;
	}
	*out = in;
#define LOAD(file, p, n)                                                                           \
	do {                                                                                       \
		snprintf(path, sizeof(path), "%s/%s", in->pki, file);                              \
		if (e == ORSP_OK)                                                                  \
			e = slurp(path, p, n);                                                     \
	} while (0)
	LOAD("euicc/euicc_key.pem", &in->sk, &in->sk_len);
	LOAD("euicc/euicc.der", &in->cert, &in->cert_len);
	LOAD("eum/eum.der", &in->eum, &in->eum_len);
	LOAD("ci/ci.der", &in->ci, &in->ci_len);
	LOAD("smdp/dpauth.der", &in->dpauth_cert, &in->dpauth_cert_len);
	LOAD("smdp/dppb.der", &in->dppb_cert, &in->dppb_cert_len);
	LOAD("smdp/dpauth_key.pem", &kd, &kn);
	if (e == ORSP_OK)
		e = orsp_ec_load_private(kd, kn, &in->dpauth);
	if (kd)
		orsp_wipe(kd, kn);
	free(kd);
	kd = NULL;
	LOAD("smdp/dppb_key.pem", &kd, &kn);
	if (e == ORSP_OK)
		e = orsp_ec_load_private(kd, kn, &in->dppb);
	if (kd)
		orsp_wipe(kd, kn);
	free(kd);
#undef LOAD
	if (e == ORSP_OK)
		e = orsp_cert_parse(in->ci, in->ci_len, &c);
	if (e == ORSP_OK)
		e = orsp_cert_ski(c, in->ci_ski, sizeof(in->ci_ski), &in->ci_ski_len);
	orsp_cert_free(c);
	c = NULL;
	if (e == ORSP_OK)
		e = orsp_cert_parse(in->cert, in->cert_len, &c);
	{
		char eid[40] = "";
		if (e == ORSP_OK)
			e = orsp_cert_subject_serial(c, eid, sizeof(eid));
		if (e == ORSP_OK)
			e = orsp_hex_decode_exact(eid, in->eid, 16);
		orsp_cert_free(c);
	}
	if (e)
		return cli_fail("bench euicc", e);
	in->id.sk_euicc = orsp_slice_make(in->sk, in->sk_len);
	in->id.cert_euicc = orsp_slice_make(in->cert, in->cert_len);
	in->id.cert_eum = orsp_slice_make(in->eum, in->eum_len);
	in->id.ci_certs[0] = orsp_slice_make(in->ci, in->ci_len);
	in->id.n_ci = 1;
	return CLI_OK;
}

/* Remove a pki directory made by cli_pki_create (known layout). */
static void rm_pki(const char *dir)
{
	static const char *const files[] = {
	    "ci/ci.der",           "ci/ci.pem",          "ci/ci_key.pem",     "eum/eum.der",
	    "eum/eum.pem",         "eum/eum_key.pem",    "euicc/euicc.der",   "euicc/euicc.pem",
	    "euicc/euicc_key.pem", "smdp/dpauth.der",    "smdp/dpauth.pem",   "smdp/dpauth_key.pem",
	    "smdp/dppb.der",       "smdp/dppb.pem",      "smdp/dppb_key.pem", "smdp/dptls.der",
	    "smdp/dptls.pem",      "smdp/dptls_key.pem", "README.txt"};
	static const char *const dirs[] = {"ci", "eum", "euicc", "smdp", ""};
	char p[400];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		(void)unlink(p);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(dirs); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
		(void)rmdir(p);
	}
}

void bench_euicc_install_free(bench_euicc_install *b)
{
	inst *in = b;

	if (!in)
		return;
	orsp_euicc_host_close(in->h);
	orsp_ec_free(in->dpauth);
	orsp_ec_free(in->dppb);
	if (in->sk)
		orsp_wipe(in->sk, in->sk_len);
	free(in->sk);
	free(in->cert);
	free(in->eum);
	free(in->ci);
	free(in->dpauth_cert);
	free(in->dppb_cert);
	if (in->pki[0])
		rm_pki(in->pki);
	orsp_wipe(in, sizeof(*in));
	free(in);
}

int bench_euicc_install_once(bench_euicc_install *b, const uint8_t *upp, size_t upp_len,
                             const uint8_t iccid_ef[10], double *total_s, double *card_s,
                             size_t *ram_core)
{
	inst *in = b;
	const char *tmp = getenv("TMPDIR");
	char eid[33];
	double t0;
	orsp_err e;
	int rc = CLI_OK;

	for (int i = 0; i < 16; i++)
		snprintf(eid + 2 * i, 3, "%02x", in->eid[i]);
	in->id.eid = eid;
	snprintf(in->card, sizeof(in->card), "%s/openrsp-bench-card.XXXXXX",
	         tmp && tmp[0] && strlen(tmp) < 200 ? tmp : "/tmp");
	if (!mkdtemp(in->card))
		return cli_failf("bench euicc", "cannot create a temporary directory");
	if ((e = orsp_euicc_host_create(in->card, &in->id)) != ORSP_OK ||
	    (e = orsp_euicc_host_open(in->card, &in->h)) != ORSP_OK) {
		rc = cli_fail("bench euicc", e);
		goto out;
	}
	*ram_core = sizeof(orsp_euicc);
	{
		/* SELECT ISD-R on the basic channel (untimed) */
		uint8_t sel[5 + 16 + 1] = {0x00, 0xA4, 0x04, 0x00, 0x10};
		uint16_t sw = 0;
		memcpy(sel + 5, isdr_aid, 16);
		in->rsp_len = 0;
		if ((e = apdu(in, sel, sizeof(sel), &sw)) != ORSP_OK || sw != 0x9000) {
			rc = cli_failf("bench euicc", "SELECT ISD-R answered %04X", sw);
			goto out;
		}
	}
	in->card_s = 0;
	t0 = orsp_mono_s();
	e = download(in, upp, upp_len, iccid_ef);
	*total_s = orsp_mono_s() - t0;
	*card_s = in->card_s;
	if (e == ORSP_OK && orsp_euicc_profile_count(orsp_euicc_host_core(in->h)) != 1)
		e = orsp_errf(ORSP_E_STATE, "the profile is not listed after the download");
	if (e)
		rc = cli_fail("bench euicc: download", e);
out:
	orsp_euicc_host_close(in->h);
	in->h = NULL;
	if (orsp_seal_destroy(in->card) != ORSP_OK)
		fprintf(stderr, "openrsp bench euicc: could not remove %s\n", in->card);
	return rc;
}
