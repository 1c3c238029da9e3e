/* openrsp tests: the ISD-R fixture (see isdr_fixture.h). */
#include "isdr_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/aka.h"
#include "openrsp/bsp.h"
#include "openrsp/pkg.h"
#include "orsp_asn1_rsp.h"

#define SGP26 "sgp26/"

const uint8_t isdr_mil_k[16] = {0x46, 0x5B, 0x5C, 0xE8, 0xB1, 0x99, 0xB4, 0x9F,
                                0xAA, 0x5F, 0x0A, 0x2E, 0xE2, 0x38, 0xA6, 0xBC};
const uint8_t isdr_mil_opc[16] = {0xCD, 0x63, 0xCB, 0x71, 0x95, 0x4A, 0x9F, 0x4E,
                                  0x48, 0xA5, 0x99, 0x4E, 0x37, 0xA0, 0x2B, 0xAF};

uint8_t isdr_channel;

/* ---------------------------------------------------------------- in-memory storage ----- */

static int ms_find(const mem_store *s, const char *name)
{
	for (int i = 0; i < MS_MAX; i++)
		if (s->r[i].data && !strcmp(s->r[i].name, name))
			return i;
	return -1;
}

orsp_err ms_commit(void *user, const orsp_euicc_record *recs, size_t n)
{
	mem_store *s = user;

	s->calls++;
	if (s->fail_at && s->calls == s->fail_at) /* the crash: the store keeps every old value */
		return orsp_errf(ORSP_E_STORAGE, "injected crash");
	for (size_t i = 0; i < n; i++) {
		int k = ms_find(s, recs[i].name);
		assert_true(strlen(recs[i].name) <= ORSP_EUICC_RECORD_NAME_MAX);
		if (k >= 0) {
			free(s->r[k].data);
			s->r[k].data = NULL;
		}
		if (!recs[i].data)
			continue;
		for (k = 0; k < MS_MAX && s->r[k].data; k++)
			;
		assert_true(k < MS_MAX);
		snprintf(s->r[k].name, sizeof(s->r[k].name), "%s", recs[i].name);
		s->r[k].data = malloc(recs[i].len ? recs[i].len : 1);
		assert_non_null(s->r[k].data);
		memcpy(s->r[k].data, recs[i].data, recs[i].len);
		s->r[k].len = recs[i].len;
	}
	return ORSP_OK;
}

static orsp_err ms_read(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	mem_store *s = user;
	int k = ms_find(s, name);

	if (s->fail_reads)
		return orsp_errf(ORSP_E_STORAGE, "injected read failure");
	if (k < 0)
		return ORSP_E_NOT_FOUND;
	*len = s->r[k].len;
	if (cap < s->r[k].len)
		return ORSP_E_RESOURCE;
	memcpy(buf, s->r[k].data, s->r[k].len);
	return ORSP_OK;
}

void ms_free(mem_store *s)
{
	for (int i = 0; i < MS_MAX; i++)
		free(s->r[i].data);
	memset(s, 0, sizeof(*s));
}

int ms_count_prefix(const mem_store *s, const char *prefix)
{
	int n = 0;
	for (int i = 0; i < MS_MAX; i++)
		n += s->r[i].data && !strncmp(s->r[i].name, prefix, strlen(prefix));
	return n;
}

const orsp_euicc_storage_ops ms_ops = {ms_commit, ms_read};

/* ---------------------------------------------------------------- APDUs ----------------- */

void xfer(card *c, const uint8_t *capdu, size_t n)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	size_t rl = 0;

	c->out_len = 0;
	assert_int_equal(orsp_euicc_apdu_process(&c->apdu, capdu, n, r, sizeof(r), &rl), ORSP_OK);
	assert_true(rl >= 2);
	for (;;) {
		memcpy(c->out + c->out_len, r, rl - 2);
		c->out_len += rl - 2;
		c->sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
		if (r[rl - 2] != 0x61)
			break;
		/* GET RESPONSE on the command's channel (0-3 in CLA b2b1) */
		uint8_t gr[5] = {(uint8_t)(capdu[0] & 0x03), 0xC0, 0x00, 0x00, r[rl - 1]};
		assert_int_equal(orsp_euicc_apdu_process(&c->apdu, gr, 5, r, sizeof(r), &rl),
		                 ORSP_OK);
		assert_true(c->out_len + rl - 2 <= sizeof(c->out));
	}
	/* the answer may hold hashCc (PrepareDownload's): not left on the stack, where a test
	 * looks for the eUICC's copies (test_prepare_hash_cc_not_left_on_stack) */
	explicit_bzero(r, sizeof(r));
}

unsigned isdr_ossl_fail;

uint16_t store_data(card *c, const uint8_t *d, size_t n)
{
	uint8_t capdu[5 + 120];
	size_t off = 0;
	uint8_t blk = 0;

	if (isdr_ossl_fail)
		test_ossl_fail_only(isdr_ossl_fail);
	do {
		size_t k = n - off > 120 ? 120 : n - off;
		bool last = off + k == n;
		capdu[0] = (uint8_t)(0x80 | isdr_channel);
		capdu[1] = 0xE2;
		capdu[2] = last ? 0x91 : 0x11;
		capdu[3] = blk++;
		capdu[4] = (uint8_t)k;
		memcpy(capdu + 5, d + off, k);
		xfer(c, capdu, 5 + k);
		off += k;
		if (!last)
			assert_int_equal(c->sw, 0x9000);
	} while (off < n);
	if (isdr_ossl_fail)
		test_ossl_fail_at(0);
	explicit_bzero(capdu, sizeof(capdu)); /* as xfer's answer */
	return c->sw;
}

uint16_t es10_hex(card *c, const char *hex)
{
	uint8_t b[512];
	size_t n = strlen(hex) / 2;
	assert_true(n <= sizeof(b));
	assert_int_equal(orsp_hex_decode_exact(hex, b, n), ORSP_OK);
	return store_data(c, b, n);
}

orsp_slice es10_value(card *c, const char *hex, uint32_t tag)
{
	assert_int_equal(es10_hex(c, hex), 0x9000);
	return rsp_value(c, tag);
}

void select_isdr(card *c)
{
	uint8_t capdu[5 + 16 + 1] = {isdr_channel, 0xA4, 0x04, 0x00, 16};
	if (isdr_channel) {
		uint8_t open[4] = {0x00, 0x70, 0x00, isdr_channel};
		xfer(c, open, sizeof(open));
		assert_int_equal(c->sw, 0x9000);
	}
	assert_int_equal(orsp_hex_decode_exact(ORSP_ISDR_AID_HEX, capdu + 5, 16), ORSP_OK);
	xfer(c, capdu, sizeof(capdu));
	assert_int_equal(c->sw, 0x9000);
}

/* ---------------------------------------------------------------- the card -------------- */

void card_attach(card *c)
{
	if (c->seal)
		assert_int_equal(orsp_euicc_open(&c->e, orsp_euicc_host_storage(), c->seal),
		                 ORSP_OK);
	else
		assert_int_equal(orsp_euicc_open(&c->e, &ms_ops, &c->st), ORSP_OK);
	c->is_open = true;
	assert_string_equal(orsp_euicc_eid(&c->e), EID);
	assert_int_equal(
	    orsp_euicc_apdu_init(&c->apdu, c->cmd, sizeof(c->cmd), c->rsp, sizeof(c->rsp)),
	    ORSP_OK);
	assert_int_equal(orsp_euicc_attach(&c->e, &c->apdu), ORSP_OK);
	select_isdr(c);
}

void card_reset(card *c)
{
	orsp_euicc_apdu_reset(&c->apdu);
	select_isdr(c);
	c->out_len = 0;
}

void card_reopen(card *c)
{
	orsp_euicc_close(&c->e);
	c->is_open = false;
	card_attach(c);
}

void card_seal(card *c, const char *name)
{
	orsp_seal_record recs[MS_MAX];
	size_t n = 0;

	snprintf(c->seal_dir, sizeof(c->seal_dir), "%.1000s/s", test_tmpdir(name));
	assert_int_equal(orsp_seal_create(c->seal_dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(c->seal_dir, NULL, &c->seal), ORSP_OK);
	for (int i = 0; i < MS_MAX; i++)
		if (c->st.r[i].data)
			recs[n++] =
			    (orsp_seal_record){c->st.r[i].name, c->st.r[i].data, c->st.r[i].len};
	assert_int_equal(orsp_seal_commit(c->seal, recs, n), ORSP_OK);
	card_reopen(c);
}

void card_seal_reopen(card *c)
{
	orsp_euicc_close(&c->e);
	c->is_open = false;
	orsp_seal_close(c->seal);
	c->seal = NULL;
	assert_int_equal(orsp_seal_open(c->seal_dir, NULL, &c->seal), ORSP_OK);
	card_attach(c);
}

uint8_t *load_der(const char *rel, size_t *len)
{
	char p[160];
	snprintf(p, sizeof(p), SGP26 "%s", rel);
	return test_read_vector(p, len);
}

orsp_ec_key *load_key(const char *rel)
{
	char p[160];
	snprintf(p, sizeof(p), SGP26 "%s", rel);
	return test_load_key(p);
}

static const char *pki_suffix(pki which)
{
	return which == PKI_NIST ? "NIST" : "BRP";
}

card *card_new_pki(pki which)
{
	card *c = calloc(1, sizeof(*c));
	const char *sfx = pki_suffix(which);
	char p[128];
	size_t sk_len, eum_len, ci_len;
	orsp_cert *ci = NULL, *ec = NULL;

	assert_non_null(c);
	c->which = which;
	c->upp_vector = ISDR_V2_VECTOR;
	c->upp_iccid = ISDR_V2_ICCID;
	assert_int_equal(orsp_hex_decode_exact(EID, c->eid, 16), ORSP_OK);
	snprintf(p, sizeof(p), "eUICC/SK_EUICC_ECDSA_%s.pem", sfx);
	uint8_t *sk = load_der(p, &sk_len);
	snprintf(p, sizeof(p), "eUICC/CERT_EUICC_ECDSA_%s.der", sfx);
	c->euicc_cert = load_der(p, &c->euicc_cert_len);
	snprintf(p, sizeof(p), "EUM/CERT_EUM_ECDSA_%s.der", sfx);
	uint8_t *eum = load_der(p, &eum_len);
	snprintf(p, sizeof(p), "CertificateIssuer/CERT_CI_ECDSA_%s.der", sfx);
	uint8_t *cid = load_der(p, &ci_len);
	orsp_euicc_identity id = {
	    .eid = EID,
	    .sk_euicc = orsp_slice_make(sk, sk_len),
	    .cert_euicc = orsp_slice_make(c->euicc_cert, c->euicc_cert_len),
	    .cert_eum = orsp_slice_make(eum, eum_len),
	    .ci_certs = {orsp_slice_make(cid, ci_len)},
	    .n_ci = 1,
	    .default_dp = SMDP_ADDR,
	};
	assert_int_equal(orsp_euicc_provision(&c->e, &ms_ops, &c->st, &id), ORSP_OK);
	/* a second provisioning of the same store is refused */
	assert_int_equal(orsp_euicc_provision(&c->e, &ms_ops, &c->st, &id), ORSP_E_EXISTS);
	orsp_err_clear();

	assert_int_equal(orsp_cert_parse(cid, ci_len, &ci), ORSP_OK);
	assert_int_equal(orsp_cert_ski(ci, c->ci_ski, sizeof(c->ci_ski), &c->ci_ski_len), ORSP_OK);
	assert_int_equal(orsp_cert_parse(c->euicc_cert, c->euicc_cert_len, &ec), ORSP_OK);
	assert_int_equal(orsp_cert_public_key(ec, &c->euicc_pk), ORSP_OK);
	orsp_cert_free(ci);
	orsp_cert_free(ec);
	orsp_wipe(sk, sk_len);
	free(sk);
	free(eum);
	free(cid);

	snprintf(p, sizeof(p), "DPauth/SK_S_SM_DPauth_ECDSA_%s.pem", sfx);
	c->auth_sk = load_key(p);
	snprintf(p, sizeof(p), "DPpb/SK_S_SM_DPpb_ECDSA_%s.pem", sfx);
	c->pb_sk = load_key(p);
	snprintf(p, sizeof(p), "DPauth/CERT_S_SM_DPauth_ECDSA_%s.der", sfx);
	c->auth_cert = load_der(p, &c->auth_cert_len);
	snprintf(p, sizeof(p), "DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", sfx);
	c->pb_cert = load_der(p, &c->pb_cert_len);
	card_attach(c);
	return c;
}

card *card_new(void)
{
	return card_new_pki(PKI_NIST);
}

void card_free(card *c)
{
	if (c->is_open)
		orsp_euicc_close(&c->e);
	orsp_seal_close(c->seal);
	ms_free(&c->st);
	orsp_ec_free(c->auth_sk);
	orsp_ec_free(c->pb_sk);
	orsp_ec_free(c->euicc_pk);
	free(c->auth_cert);
	free(c->pb_cert);
	free(c->euicc_cert);
	free(c->upp);
	free(c);
}

/* ---------------------------------------------------------------- response parsing ------ */

/* Every response is also decoded with the asn1c codec generated from the RSPDefinitions
 * module (src/asn1/modules/rsp/rsp.asn): an independent check of tags and nesting. */
static void asn1_ok(asn_TYPE_descriptor_t *td, const uint8_t *p, size_t n)
{
	void *v = NULL;
	asn_dec_rval_t r = ber_decode(NULL, td, &v, p, n);
	if (r.code != RC_OK || r.consumed != n)
		fail_msg("%s does not decode with the RSPDefinitions codec (code %d, %zu of %zu)",
		         td->name, (int)r.code, r.consumed, n);
	ASN_STRUCT_FREE(*td, v);
}

static asn_TYPE_descriptor_t *asn1_type(uint32_t tag)
{
	switch (tag) {
	case 0xBF2E:
		return &asn_DEF_GetEuiccChallengeResponse;
	case 0xBF20:
		return &asn_DEF_EUICCInfo1;
	case 0xBF22:
		return &asn_DEF_EUICCInfo2;
	case 0xBF38:
		return NULL; /* certificates: below */
	case 0xBF21:
		return &asn_DEF_PrepareDownloadResponse;
	case 0xBF37:
		return &asn_DEF_ProfileInstallationResult;
	case 0xBF41:
		return &asn_DEF_CancelSessionResponse;
	case 0xBF2D:
		return &asn_DEF_ProfileInfoListResponse;
	case 0xBF31:
		return &asn_DEF_EnableProfileResponse;
	case 0xBF32:
		return &asn_DEF_DisableProfileResponse;
	case 0xBF33:
		return &asn_DEF_DeleteProfileResponse;
	case 0xBF28:
		return &asn_DEF_ListNotificationResponse;
	case 0xBF2B:
		return NULL;
	case 0xBF30:
		return &asn_DEF_NotificationSentResponse;
	case 0xBF34:
		return &asn_DEF_EuiccMemoryResetResponse;
	case 0xBF3E:
		return &asn_DEF_GetEuiccDataResponse;
	case 0xBF29:
		return &asn_DEF_SetNicknameResponse;
	case 0xBF3C:
		return &asn_DEF_EuiccConfiguredAddressesResponse;
	case 0xBF3F:
		return &asn_DEF_SetDefaultDpAddressResponse;
	case 0xBF43:
		return &asn_DEF_GetRatResponse;
	default:
		fail_msg("no RSPDefinitions type for %04X", (unsigned)tag);
	}
	return NULL;
}

orsp_slice rsp_value(card *c, uint32_t tag)
{
	orsp_tlv t;
	assert_int_equal(c->sw, 0x9000);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(c->out, c->out_len), &t), ORSP_OK);
	assert_int_equal(t.tag, tag);
	if (asn1_type(tag)) {
		asn1_ok(asn1_type(tag), c->out, c->out_len);
	} else {
		/* The generated PKIX Certificate type does not decode the SGP.26 certificates, so
		 * what carries certificates is checked without them. */
		orsp_tlv x, y, z;
		orsp_reader r;
		assert_int_equal(orsp_der_parse_one(t.value, &x), ORSP_OK);
		orsp_reader_init(&r, x.value.p, x.value.len);
		if (tag == 0xBF38 && x.tag == 0xA1) {
			asn1_ok(&asn_DEF_AuthenticateServerResponse, c->out, c->out_len);
		} else if (tag == 0xBF38) {
			assert_int_equal(orsp_der_read(&r, &y), ORSP_OK);
			asn1_ok(&asn_DEF_EuiccSigned1, y.raw.p, y.raw.len);
		} else if (x.tag == 0x81) {
			asn1_ok(&asn_DEF_RetrieveNotificationsListResponse, c->out, c->out_len);
		}
		while (tag == 0xBF2B && x.tag == 0xA0 && orsp_reader_remaining(&r)) {
			assert_int_equal(orsp_der_read(&r, &y), ORSP_OK);
			if (y.tag == 0xBF37) {
				asn1_ok(&asn_DEF_ProfileInstallationResult, y.raw.p, y.raw.len);
			} else {
				assert_int_equal(y.tag, 0x30);
				orsp_reader zr;
				orsp_reader_init(&zr, y.value.p, y.value.len);
				assert_int_equal(orsp_der_read(&zr, &z), ORSP_OK);
				asn1_ok(&asn_DEF_NotificationMetadata, z.raw.p, z.raw.len);
			}
		}
	}
	return t.value;
}

bool find_tlv(orsp_slice v, uint32_t tag, orsp_tlv *out)
{
	orsp_reader r;
	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, out))
			return false;
		if (out->tag == tag)
			return true;
	}
	return false;
}

int rsp_code(card *c, uint32_t tag)
{
	orsp_tlv f;
	uint64_t v;
	assert_true(find_tlv(rsp_value(c, tag), 0x80, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	return (int)v;
}

int rsp_error(card *c, uint32_t tag)
{
	orsp_tlv a1, f;
	uint64_t v;
	assert_true(find_tlv(rsp_value(c, tag), 0xA1, &a1));
	assert_true(find_tlv(a1.value, 0x02, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	return (int)v;
}

/* ---------------------------------------------------------------- ES10c, the USIM ------- */

uint16_t profile_cmd(card *c, uint32_t fn, const uint8_t *iccid_ef, const uint8_t *aid)
{
	uint8_t req[40];
	orsp_writer w;
	orsp_der_mark m, a = {0};

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, fn);
	if (fn != 0xBF33) /* profileIdentifier [0] CHOICE */
		a = orsp_der_begin(&w, 0xA0);
	if (aid)
		orsp_der_put_tlv(&w, 0x4F, aid, 16);
	else
		orsp_der_put_tlv(&w, 0x5A, iccid_ef, 10);
	if (fn != 0xBF33) {
		orsp_der_end(&w, a);
		orsp_der_put_tlv(&w, 0x81, "\x00", 1); /* refreshFlag false */
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return store_data(c, req, w.len);
}

uint16_t by_iccid(card *c, uint32_t fn, const char *iccid)
{
	uint8_t ef[10];
	assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
	return profile_cmd(c, fn, ef, NULL);
}

uint16_t by_aid(card *c, uint32_t fn, const uint8_t aid[16])
{
	return profile_cmd(c, fn, NULL, aid);
}

int profile_op(card *c, uint32_t fn, const uint8_t *iccid_ef, const uint8_t *aid)
{
	assert_int_equal(profile_cmd(c, fn, iccid_ef, aid), 0x9000);
	return rsp_code(c, fn);
}

uint16_t usim_select(card *c, uint8_t ch)
{
	static const uint8_t open[] = {0x00, 0x70, 0x00, 0x01};
	/* the package's ADF.USIM dfName (TS48_V2 ... NoBERTLV.txt): A0000000871002FF49FF0589 */
	static const uint8_t full[] = {0x01, 0xA4, 0x04, 0x04, 0x0C, 0xA0, 0x00, 0x00, 0x00,
	                               0x87, 0x10, 0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89, 0x00};
	static const uint8_t prefix[] = {0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0,
	                                 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
	if (!ch) {
		xfer(c, prefix, sizeof(prefix));
		return c->sw;
	}
	xfer(c, open, sizeof(open));
	if (c->sw != 0x9000)
		return c->sw;
	xfer(c, full, sizeof(full));
	return c->sw;
}

void usim_leave(card *c, uint8_t ch)
{
	static const uint8_t close_ch[] = {0x00, 0x70, 0x80, 0x01};
	if (ch)
		xfer(c, close_ch, sizeof(close_ch));
	else
		select_isdr(c);
}

uint16_t select_usim(card *c)
{
	uint16_t sw = usim_select(c, 1);
	usim_leave(c, 1);
	return sw;
}

uint16_t usim_auth(card *c, uint8_t ch, const uint8_t rand[16], const uint8_t autn[16])
{
	uint8_t cmd[5 + 34 + 1] = {ch, 0x88, 0x00, 0x81, 34, 16};
	uint16_t sw;

	memcpy(cmd + 6, rand, 16);
	cmd[22] = 16;
	memcpy(cmd + 23, autn, 16);
	assert_int_equal(usim_select(c, ch), 0x9000);
	xfer(c, cmd, sizeof(cmd));
	sw = c->sw;
	if (sw == 0x9000)
		assert_true(c->out_len > 0 && (c->out[0] == 0xDB || c->out[0] == 0xDC));
	uint8_t tag = c->out_len ? c->out[0] : 0;
	usim_leave(c, ch);
	return sw == 0x9000 ? (uint16_t)(0x9000 | tag) : sw; /* 90DB success, 90DC resync */
}

/* ---------------------------------------------------------------- the SM-DP+ side ------- */

void get_challenge(card *c)
{
	orsp_tlv f;
	assert_int_equal(es10_hex(c, "BF2E00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2E), 0x80, &f));
	assert_int_equal(f.value.len, 16);
	memcpy(c->echal, f.value.p, 16);
}

uint16_t authenticate(card *c, const dl_opts *o)
{
	uint8_t s1[512], req[4096], sig[64];
	orsp_writer w;
	orsp_der_mark m, ctx, di;
	const char *mid = c->matching_id ? c->matching_id : "";
	const char *addr = o->server_addr ? o->server_addr : SMDP_ADDR;

	assert_int_equal(orsp_random(c->tid, 16), ORSP_OK);
	c->tid_len = 16;
	assert_int_equal(orsp_random(c->schal, 16), ORSP_OK);
	orsp_writer_init(&w, s1, sizeof(s1));
	m = orsp_der_begin(&w, 0x30);
	uint8_t ech[16], other[16];
	memcpy(ech, c->echal, 16);
	if (o->wrong_echal)
		ech[3] ^= 1;
	memcpy(other, c->echal, 16); /* a value the field does not have */
	other[0] ^= 0x5A;
	static const uint32_t tags[ORSP_ARRAY_LEN(o->s1_order)] = {0x80, 0x81, 0x83, 0x84};
	const uint32_t *order = o->s1_order[0] ? o->s1_order : tags;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(tags) && order[i]; i++) {
		uint32_t t = order[i];
		if (t == o->s1_omit)
			continue;
		if (t == o->s1_twice && t == 0x81) /* a wrong euiccChallenge, then the right one */
			orsp_der_put_tlv(&w, t, other, 16);
		if (t == 0x80)
			orsp_der_put_tlv(&w, t, c->tid, 16);
		else if (t == 0x81)
			orsp_der_put_tlv(&w, t, ech, 16);
		else if (t == 0x83)
			orsp_der_put_tlv(&w, t, addr, strlen(addr));
		else if (t == 0x84)
			orsp_der_put_tlv(&w, t, c->schal, 16);
		else if (t & 0x20) /* constructed: one field inside */
			orsp_der_put_tlv(&w, t, "\x80\x01\x01", 3);
		else
			orsp_der_put_tlv(&w, t, "\x01", 1);
		if (t == o->s1_twice && t == 0x83)
			orsp_der_put_tlv(&w, t, "other.example.com", 17);
		else if (t == o->s1_twice && t != 0x81)
			orsp_der_put_tlv(&w, t, other, 16);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	size_t s1_len = w.len;
	assert_int_equal(orsp_ecdsa_sign(c->auth_sk, s1, s1_len, sig), ORSP_OK);
	if (o->bad_sig1)
		sig[10] ^= 0x01;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF38);
	orsp_write_bytes(&w, s1, s1_len);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	uint8_t ski[32];
	memcpy(ski, c->ci_ski, c->ci_ski_len);
	if (o->unknown_ci)
		ski[0] ^= 0xFF;
	orsp_der_put_tlv(&w, 0x04, ski, c->ci_ski_len);
	if (o->wrong_auth_cert) {
		orsp_write_bytes(&w, c->pb_cert, c->pb_cert_len); /* DPpb where DPauth belongs */
	} else if (o->untrusted_auth_cert) {
		/* the other curve's DPauth, under a CI this card does not trust */
		char p[64];
		size_t n;
		snprintf(p, sizeof(p), "DPauth/CERT_S_SM_DPauth_ECDSA_%s.der",
		         pki_suffix(c->which == PKI_NIST ? PKI_BRP : PKI_NIST));
		uint8_t *x = load_der(p, &n);
		orsp_write_bytes(&w, x, n);
		free(x);
	} else
		orsp_write_bytes(&w, c->auth_cert, c->auth_cert_len);
	ctx = orsp_der_begin(&w, 0xA0); /* ctxParams1: ctxParamsForCommonAuthentication */
	orsp_der_put_tlv(&w, 0x80, mid, strlen(mid));
	di = orsp_der_begin(&w, 0xA1);
	orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
	orsp_der_put_tlv(&w, 0xA1, "", 0);
	orsp_der_end(&w, di);
	orsp_der_end(&w, ctx);
	if (o->auth_trailing == 1) {
		orsp_der_put_tlv(&w, 0xA1, "\x30\x00", 2);
		orsp_der_put_tlv(&w, 0xA2, "", 0);
	} else if (o->auth_trailing == 2)
		orsp_write_bytes(&w, c->auth_cert, c->auth_cert_len);
	else if (o->auth_trailing == 3)
		orsp_der_put_tlv(&w, 0x04, c->ci_ski, c->ci_ski_len);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return store_data(c, req, w.len);
}

void check_auth_ok(card *c)
{
	orsp_tlv a0, s1, sig, f, cert, eum;
	orsp_reader r;

	assert_true(find_tlv(rsp_value(c, 0xBF38), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s1), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x30, &cert), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x30, &eum), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&r), 0);
	assert_int_equal(sig.value.len, 64);
	assert_int_equal(cert.raw.len, c->euicc_cert_len);
	assert_bytes_equal(cert.raw.p, c->euicc_cert, c->euicc_cert_len);
	/* euiccSignature1 over the raw euiccSigned1 */
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, s1.raw.p, s1.raw.len, sig.value.p),
	                 ORSP_OK);
	memcpy(c->sig1, sig.value.p, 64);
	/* euiccSigned1 { transactionId, serverAddress, serverChallenge, euiccInfo2, ctxParams1 } */
	orsp_reader_init(&r, s1.value.p, s1.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x80, &f), ORSP_OK);
	assert_bytes_equal(f.value.p, c->tid, 16);
	assert_int_equal(orsp_der_expect(&r, 0x83, &f), ORSP_OK);
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_int_equal(orsp_der_expect(&r, 0x84, &f), ORSP_OK);
	assert_bytes_equal(f.value.p, c->schal, 16);
	assert_int_equal(orsp_der_expect(&r, 0xBF22, &f), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA0, &f), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&r), 0);
}

/* A response { A0 ok } or { A1 { ..., 02 code } } with this tag: the error code, 0 for ok. */
static int step_error(card *c, uint32_t tag)
{
	orsp_tlv a1;
	return find_tlv(rsp_value(c, tag), 0xA1, &a1) ? rsp_error(c, tag) : 0;
}

int auth_step(card *c, const dl_opts *o)
{
	assert_int_equal(authenticate(c, o), 0x9000);
	int e = step_error(c, 0xBF38);
	if (!e)
		check_auth_ok(c);
	return e;
}

uint16_t prepare(card *c, const dl_opts *o)
{
	uint8_t s2[600], msg[700], req[4096];
	orsp_writer w;
	orsp_der_mark m;

	orsp_writer_init(&w, s2, sizeof(s2));
	m = orsp_der_begin(&w, 0x30);
	uint8_t tid[16];
	memcpy(tid, c->tid, 16);
	if (o->wrong_tid2)
		tid[0] ^= 0x80;
	if (o->s2_shape == 4)
		orsp_der_put_tlv(&w, 0x01, "\x00", 1);
	if (o->s2_shape == 2) {
		tid[0] ^= 0x80;
		orsp_der_put_tlv(&w, 0x80, tid, 16);
		tid[0] ^= 0x80;
	}
	orsp_der_put_tlv(&w, 0x80, tid, 16);
	if (o->s2_shape == 3)
		orsp_der_put_tlv(&w, 0x01, "\xFF", 1);
	if (o->s2_shape == 1 || o->s2_shape == 4)
		; /* no ccRequiredFlag here */
	else if (o->cc_flag)
		orsp_der_put_tlv(&w, 0x01, &o->cc_flag, 1);
	else
		orsp_der_put_tlv(&w, 0x01, o->cc_required ? "\xFF" : "\x00", 1);
	if (o->s2_shape == 5 || o->s2_shape == 7)
		orsp_der_put_tlv(&w, 0x9F7F, "\x01", 1);
	if (o->s2_shape == 5 || o->s2_shape == 6)
		orsp_der_put_tlv(&w, 0x5F49, c->otpk, 65);
	if (o->bpp_otpk || o->s2_shape == 6)
		orsp_der_put_tlv(&w, 0x5F49, o->bpp_otpk ? o->bpp_otpk : c->otpk, 65);
	if (o->big_signed2) {
		/* an extension the eUICC does not know, making smdpSigned2 large */
		static const uint8_t pad[470];
		orsp_der_put_tlv(&w, 0x9F7F, pad, sizeof(pad));
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	size_t n = w.len;
	memcpy(msg, s2, n);
	memcpy(msg + n, "\x5F\x37\x40", 3);
	memcpy(msg + n + 3, c->sig1, 64);
	orsp_ec_key *pb = c->pb_sk;
	uint8_t *pb_cert = c->pb_cert;
	size_t pb_cert_len = c->pb_cert_len;
	if (o->other_smdp_pb) {
		pb = load_key("DPpb/SK_S_SM_DP2pb_ECDSA_NIST.pem");
		pb_cert = load_der("DPpb/CERT_S_SM_DP2pb_ECDSA_NIST.der", &pb_cert_len);
	} else if (o->other_ci_pb) {
		char p[64];
		const char *sfx = pki_suffix(c->which == PKI_NIST ? PKI_BRP : PKI_NIST);
		snprintf(p, sizeof(p), "DPpb/SK_S_SM_DPpb_ECDSA_%s.pem", sfx);
		pb = load_key(p);
		snprintf(p, sizeof(p), "DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", sfx);
		pb_cert = load_der(p, &pb_cert_len);
	}
	assert_int_equal(orsp_ecdsa_sign(pb, msg, n + 67, c->smdp_sig2), ORSP_OK);
	uint8_t sig[64];
	memcpy(sig, c->smdp_sig2, 64);
	if (o->bad_sig2 || o->big_signed2)
		sig[5] ^= 0x10;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF21);
	orsp_write_bytes(&w, s2, n);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	if (o->hash_cc && o->prep_trailing != 3)
		orsp_der_put_tlv(&w, 0x04, "0123456789abcdef0123456789abcdef",
		                 o->hash_cc_len ? o->hash_cc_len : 32);
	if (o->pb_cert_as_auth)
		orsp_write_bytes(&w, c->auth_cert, c->auth_cert_len);
	else
		orsp_write_bytes(&w, pb_cert, pb_cert_len);
	if (o->prep_trailing == 1)
		orsp_der_put_tlv(&w, 0x85, "", 0);
	else if (o->prep_trailing == 2)
		orsp_write_bytes(&w, pb_cert, pb_cert_len);
	else if (o->prep_trailing == 3)
		orsp_der_put_tlv(&w, 0x04, "0123456789abcdef0123456789abcdef", 32);
	orsp_der_end(&w, m);
	if (o->other_smdp_pb || o->other_ci_pb) {
		orsp_ec_free(pb);
		free(pb_cert);
	}
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	uint16_t sw = store_data(c, req, w.len);
	explicit_bzero(req, sizeof(req)); /* hashCc, as xfer's answer */
	return sw;
}

void check_prepare_ok(card *c, bool hash_cc)
{
	orsp_tlv a0, s2, sig, f;
	orsp_reader r;
	uint8_t msg[256];

	assert_true(find_tlv(rsp_value(c, 0xBF21), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s2), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(sig.value.len, 64);
	/* euiccSignature2 over DER(EUICCSigned2) || 5F37 40 || smdpSignature2 */
	assert_true(s2.raw.len + 67 <= sizeof(msg));
	memcpy(msg, s2.raw.p, s2.raw.len);
	memcpy(msg + s2.raw.len, "\x5F\x37\x40", 3);
	memcpy(msg + s2.raw.len + 3, c->smdp_sig2, 64);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, msg, s2.raw.len + 67, sig.value.p),
	                 ORSP_OK);
	orsp_reader_init(&r, s2.value.p, s2.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x80, &f), ORSP_OK);
	assert_bytes_equal(f.value.p, c->tid, 16);
	assert_int_equal(orsp_der_expect(&r, 0x5F49, &f), ORSP_OK);
	assert_int_equal(f.value.len, 65);
	assert_int_equal(f.value.p[0], 0x04);
	memcpy(c->otpk, f.value.p, 65);
	if (hash_cc) {
		assert_int_equal(orsp_der_expect(&r, 0x04, &f), ORSP_OK);
		assert_int_equal(f.value.len, 32);
	}
	assert_int_equal(orsp_reader_remaining(&r), 0);
}

int prepare_step(card *c, const dl_opts *o)
{
	assert_int_equal(prepare(c, o), 0x9000);
	int e = step_error(c, 0xBF21);
	if (!e)
		check_prepare_ok(c, o->hash_cc);
	return e;
}

void start_session(card *c, const dl_opts *o)
{
	get_challenge(c);
	assert_int_equal(auth_step(c, o), 0);
	assert_int_equal(prepare_step(c, o), 0);
}

/* The package for this download in c->upp, personalised (ICCID, Milenage keys); its
 * ICCID in iccid. */
static void make_upp(card *c, const dl_opts *o, char iccid[21])
{
	const char *want = o->iccid ? o->iccid : c->upp_iccid;
	char gen[21];
	size_t n;
	uint8_t *t = NULL, *out = NULL;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso pp;
	orsp_pkg_header h;

	if (o->upp) {
		n = o->upp_len;
		t = malloc(n);
		assert_non_null(t);
		memcpy(t, o->upp, n);
	} else {
		t = test_read_vector(o->profile ? o->profile : c->upp_vector, &n);
	}
	if (o->iccid_no > 0) {
		snprintf(gen, sizeof(gen), "8900012345678901%03d", o->iccid_no % 1000);
		int d = orsp_luhn_digit(gen, 19);
		assert_true(d >= 0);
		gen[19] = (char)('0' + d);
		gen[20] = '\0';
		want = gen;
	}
	assert_int_equal(orsp_pkg_decode(t, n, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&pp);
	pp.iccid = want;
	if (o->milenage) {
		pp.set_aka = true;
		pp.alg = ORSP_AKA_MILENAGE;
		assert_int_equal(orsp_secret_set(&pp.k, isdr_mil_k, 16), ORSP_OK);
		assert_int_equal(orsp_secret_set(&pp.opc, isdr_mil_opc, 16), ORSP_OK);
	}
	free(c->upp);
	if (want || o->milenage) {
		assert_int_equal(orsp_pkg_personalise(pkg, &pp), ORSP_OK);
		assert_int_equal(orsp_pkg_encode(pkg, 0, &out, &c->upp_len), ORSP_OK);
		c->upp = malloc(c->upp_len);
		assert_non_null(c->upp);
		memcpy(c->upp, out, c->upp_len);
		orsp_pkg_buf_free(out, c->upp_len);
		free(t);
	} else { /* the template as it is */
		c->upp = t;
		c->upp_len = n;
	}
	orsp_pkg_perso_wipe(&pp);
	assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
	snprintf(iccid, 21, "%s", h.iccid);
	orsp_pkg_free(pkg);
}

/* StoreMetadataRequest for c->iccid_ef, with the notification configuration and PPRs. */
static size_t metadata(const card *c, const dl_opts *o, uint8_t *buf, size_t cap)
{
	orsp_writer w;
	orsp_der_mark m, nc, op;

	orsp_writer_init(&w, buf, cap);
	m = orsp_der_begin(&w, 0xBF25);
	if (o->meta_omit != 0x5A)
		orsp_der_put_tlv(&w, 0x5A, c->iccid_ef, 10);
	const char *spn = o->spn ? o->spn : PROFILE_SPN, *name = o->name ? o->name : PROFILE_NAME;
	if (o->meta_omit != 0x91)
		orsp_der_put_tlv(&w, 0x91, spn, strlen(spn));
	if (o->meta_omit != 0x92)
		orsp_der_put_tlv(&w, 0x92, name, strlen(name));
	orsp_der_put_uint(&w, 0x95, o->set_class ? o->profile_class : 2); /* operational */
	if (o->notif[0].addr) {
		nc = orsp_der_begin(&w, 0xB6);
		for (size_t i = 0; i < 4 && o->notif[i].addr; i++) {
			uint8_t b[2] = {0, o->notif[i].events};
			while (b[0] < 7 && !(b[1] >> b[0] & 1))
				b[0]++;
			op = orsp_der_begin(&w, 0x30);
			orsp_der_put_tlv(&w, 0x80, b, 2);
			orsp_der_put_tlv(&w, 0x81, o->notif[i].addr, strlen(o->notif[i].addr));
			orsp_der_end(&w, op);
		}
		orsp_der_end(&w, nc);
	} else if (!o->no_notif_config) {
		nc = orsp_der_begin(&w, 0xB6);
		op = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, "\x04\xF0", 2); /* install, enable, disable, delete */
		orsp_der_put_tlv(&w, 0x81, NOTIF_ADDR, strlen(NOTIF_ADDR));
		orsp_der_end(&w, op);
		orsp_der_end(&w, nc);
	}
	if (o->ppr) {
		uint8_t unused = o->ppr_unused;
		if (!unused) /* DER: every trailing zero bit is unused */
			while (!(o->ppr >> unused & 1))
				unused++;
		uint8_t b[2] = {unused, o->ppr};
		orsp_der_put_tlv(&w, 0x99, b, 2);
	}
	if (o->meta_extra) {
		uint8_t x[600];
		size_t n = 0;
		assert_int_equal(orsp_hex_decode(o->meta_extra, x, sizeof(x), &n), ORSP_OK);
		orsp_write_bytes(&w, x, n);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* Move BF23's smdpOtpk off the curve ((x, y^1) is not on it) and sign BF23 again, so that
 * the eUICC gets past smdpSign and fails at the key agreement. Lengths are unchanged. */
static void spoil_smdp_otpk(card *c, uint8_t *bpp, size_t len)
{
	orsp_reader r, in;
	orsp_tlv bf36, bf23, t, otpk = {0}, sign = {0};
	uint8_t tbs[300];
	orsp_writer w;

	orsp_reader_init(&r, bpp, len);
	assert_int_equal(orsp_der_read(&r, &bf36), ORSP_OK);
	orsp_reader_init(&r, bf36.value.p, bf36.value.len);
	assert_int_equal(orsp_der_read(&r, &bf23), ORSP_OK);
	assert_int_equal(bf23.tag, 0xBF23);
	orsp_reader_init(&in, bf23.value.p, bf23.value.len);
	while (in.off < in.len) {
		assert_int_equal(orsp_der_read(&in, &t), ORSP_OK);
		if (t.tag == 0x5F49)
			otpk = t;
		else if (t.tag == 0x5F37)
			sign = t;
	}
	assert_int_equal(otpk.value.len, 65);
	assert_int_equal(sign.value.len, 64);
	/* the TLVs point into bpp: write through bpp itself */
	bpp[(size_t)(otpk.value.p - bpp) + 64] ^= 1;
	orsp_writer_init(&w, tbs, sizeof(tbs));
	orsp_write_bytes(&w, bf23.value.p, (size_t)(otpk.value.p - bf23.value.p) + otpk.value.len);
	orsp_der_put_tlv(&w, 0x5F49, c->otpk, 65);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(orsp_ecdsa_sign(c->pb_sk, tbs, w.len, bpp + (sign.value.p - bpp)),
	                 ORSP_OK);
}

/* bpp (built with otsk, no ReplaceSessionKeys) with its A3 cut again as a sender that counts
 * n plaintext bytes per '86' segment: the profile protected anew under the session keys,
 * after A0 and A1 as they were. Returns the new package (malloc'd); bpp is freed. */
static uint8_t *recut_86(card *c, orsp_ec_key *otsk, uint8_t *bpp, size_t *len, size_t n)
{
	orsp_tlv top, iscr, a0, a1, seg;
	orsp_reader r, sr;
	orsp_bsp_keys k;
	orsp_bsp_ctx *x = NULL;
	uint8_t ss[32], plain[1100];
	size_t cap = *len + 1024, pl;
	uint8_t *out = malloc(cap);
	orsp_writer w;

	assert_non_null(out);
	assert_int_equal(orsp_ecka(otsk, c->otpk, 65, ss), ORSP_OK);
	assert_int_equal(orsp_bsp_derive_keys(ss, sizeof(ss), 0x88, 16,
	                                      (const uint8_t *)"openrsp-test", 12, c->eid, &k),
	                 ORSP_OK);
	orsp_wipe(ss, sizeof(ss));
	assert_int_equal(orsp_bsp_ctx_new(&k, 2048, &x), ORSP_OK);
	orsp_bsp_keys_wipe(&k);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, *len), &top), ORSP_OK);
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &iscr), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA0, &a0), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA1, &a1), ORSP_OK);
	/* A0's and A1's segments read through x: its counter and MAC chain as the builder's */
	for (int i = 0; i < 2; i++) {
		const orsp_tlv *part = i ? &a1 : &a0;
		orsp_reader_init(&sr, part->value.p, part->value.len);
		while (orsp_reader_remaining(&sr)) {
			assert_int_equal(orsp_der_read(&sr, &seg), ORSP_OK);
			assert_int_equal(orsp_bsp_unprotect(x, (uint8_t)seg.tag, seg.raw, plain,
			                                    sizeof(plain), &pl),
			                 ORSP_OK);
		}
	}
	orsp_writer_init(&w, out, cap);
	orsp_der_mark m = orsp_der_begin(&w, 0xBF36);
	orsp_write_bytes(&w, iscr.raw.p, iscr.raw.len);
	orsp_write_bytes(&w, a0.raw.p, a0.raw.len);
	orsp_write_bytes(&w, a1.raw.p, a1.raw.len);
	orsp_der_mark m3 = orsp_der_begin(&w, 0xA3);
	for (size_t at = 0; at < c->upp_len; at += n)
		assert_int_equal(orsp_bsp_protect(x, 0x86, c->upp + at,
		                                  c->upp_len - at < n ? c->upp_len - at : n, &w),
		                 ORSP_OK);
	orsp_der_end(&w, m3);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_bsp_ctx_free(x);
	orsp_wipe(plain, sizeof(plain));
	free(bpp);
	*len = w.len;
	return out;
}

/* The BPP for the session (malloc'd) and its length. */
static uint8_t *build_bpp(card *c, const dl_opts *o, size_t *len)
{
	uint8_t meta[1024];
	char iccid[21];
	orsp_ec_key *otsk = NULL;
	orsp_writer w;

	make_upp(c, o, iccid);
	if (o->drop_end_pe || o->end_pe) {
		orsp_reader ur;
		orsp_tlv pe;
		size_t last = 0;
		orsp_reader_init(&ur, c->upp, c->upp_len);
		while (orsp_reader_remaining(&ur)) {
			last = c->upp_len - orsp_reader_remaining(&ur);
			assert_int_equal(orsp_der_read(&ur, &pe), ORSP_OK);
		}
		c->upp_len = last;
	}
	if (o->end_pe) {
		size_t n = strlen(o->end_pe) / 2, got = 0;
		uint8_t *u = realloc(c->upp, c->upp_len + n);
		assert_non_null(u);
		c->upp = u;
		assert_int_equal(orsp_hex_decode(o->end_pe, u + c->upp_len, n, &got), ORSP_OK);
		assert_int_equal(got, n);
		c->upp_len += n;
	}
	assert_int_equal(orsp_iccid_encode_ef(o->meta_iccid ? o->meta_iccid : iccid, c->iccid_ef),
	                 ORSP_OK);
	size_t meta_len = metadata(c, o, meta, sizeof(meta));
	assert_int_equal(orsp_ec_generate(orsp_ec_curve(c->pb_sk), &otsk), ORSP_OK);
	uint8_t tid[16];
	memcpy(tid, c->tid, 16);
	if (o->wrong_tid_bpp)
		tid[15] ^= 1;
	orsp_bsp_bpp_params p = {
	    .dppb = c->pb_sk,
	    .smdp_otsk = otsk,
	    .euicc_otpk = orsp_slice_make(c->otpk, 65),
	    .transaction_id = orsp_slice_make(tid, 16),
	    .host_id = orsp_slice_make("openrsp-test", 12),
	    .eid = c->eid,
	    .configure_isdp = orsp_slice_make("\xBF\x24\x00", 3),
	    .store_metadata = orsp_slice_make(meta, meta_len),
	    .profile = orsp_slice_make(c->upp, c->upp_len),
	};
	assert_int_equal(orsp_bsp_bpp_size(&p, len), ORSP_OK);
	uint8_t *bpp = malloc(*len);
	assert_non_null(bpp);
	orsp_writer_init(&w, bpp, *len);
	assert_int_equal(orsp_bsp_bpp_build(&p, &w), ORSP_OK);
	assert_int_equal(w.len, *len);
	if (o->seg86_plain)
		bpp = recut_86(c, otsk, bpp, len, o->seg86_plain);
	orsp_ec_free(otsk);
	if (o->bad_smdp_otpk)
		spoil_smdp_otpk(c, bpp, *len);
	return bpp;
}

#define MAX_PIECES 512
typedef struct piece {
	size_t off, len;
	uint32_t tag;
} piece;

/* lpac's pieces of a BPP: BF36 header + BF23; A0 whole; A1 header, each 88; A2 whole; A3
 * header, each 86. */
static size_t bpp_pieces(const uint8_t *bpp, size_t len, piece pc[MAX_PIECES])
{
	orsp_tlv top, part, seg;
	orsp_reader r, sr;
	size_t np = 0;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, len), &top), ORSP_OK);
	assert_int_equal(top.tag, 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &part), ORSP_OK);
	pc[np++] = (piece){0, (size_t)(part.raw.p + part.raw.len - bpp), 0xBF36};
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
		assert_true(np < MAX_PIECES);
		if (part.tag == 0xA0 || part.tag == 0xA2) {
			pc[np++] = (piece){(size_t)(part.raw.p - bpp), part.raw.len, part.tag};
			continue;
		}
		pc[np++] = (piece){(size_t)(part.raw.p - bpp), (size_t)(part.value.p - part.raw.p),
		                   part.tag};
		orsp_reader_init(&sr, part.value.p, part.value.len);
		while (orsp_reader_remaining(&sr)) {
			assert_int_equal(orsp_der_read(&sr, &seg), ORSP_OK);
			assert_true(np < MAX_PIECES);
			pc[np++] = (piece){(size_t)(seg.raw.p - bpp), seg.raw.len, seg.tag};
		}
	}
	return np;
}

uint16_t load_bpp(card *c, const dl_opts *o)
{
	piece pc[MAX_PIECES];
	size_t len = 0, np, i;
	uint8_t *bpp = build_bpp(c, o, &len);

	if (o->whole_bpp) {
		orsp_writer rw;
		orsp_writer_init(&rw, c->out, sizeof(c->out));
		assert_int_equal(orsp_euicc_es10(&c->e, orsp_slice_make(bpp, len), &rw), ORSP_OK);
		c->out_len = rw.len;
		c->sw = 0x9000;
		c->bpp_all_sent = true;
		free(bpp);
		return c->sw;
	}
	np = bpp_pieces(bpp, len, pc);
	if (o->tamper_mac) { /* the last byte of that '86' segment's C-MAC */
		size_t k = 0, want = 0;
		for (i = 0; i < np; i++)
			if (pc[i].tag == 0x86 &&
			    (++k == (size_t)o->tamper_mac || o->tamper_mac < 0))
				want = i + 1;
		assert_true(want > 0);
		bpp[pc[want - 1].off + pc[want - 1].len - 1] ^= 0x01;
	}
	if (o->swap_86) {
		piece x = pc[np - 2];
		assert_true(pc[np - 2].tag == 0x86 && pc[np - 3].tag == 0x86);
		pc[np - 2] = pc[np - 3];
		pc[np - 3] = x;
	}
	if (o->truncate) /* the last segment never comes */
		np--;
	c->sw = 0x9000;
	c->out_len = 0;
	for (i = 0; i < np && c->sw == 0x9000 && c->out_len == 0; i++) {
		if (o->reset_after && i == (o->reset_after > 0 ? (size_t)o->reset_after
		                                               : np - (size_t)-o->reset_after)) {
			if (o->interject)
				o->interject(c);
			else
				card_reset(c);
		}
		c->bpp_last_tag = pc[i].tag;
		(void)store_data(c, bpp + pc[i].off, pc[i].len);
	}
	c->bpp_all_sent = !o->truncate && i == np;
	c->bpp_rest = c->bpp_rest_refused = 0;
	if (o->send_rest && i < np) { /* the answer in c->out stays */
		uint8_t *keep = malloc(c->out_len + 1);
		size_t kept = c->out_len;
		uint16_t sw = c->sw;
		assert_non_null(keep);
		memcpy(keep, c->out, kept);
		for (; i < np; i++, c->bpp_rest++)
			if (store_data(c, bpp + pc[i].off, pc[i].len) != 0x9000 && !c->out_len)
				c->bpp_rest_refused++;
		memcpy(c->out, keep, kept);
		c->out_len = kept;
		c->sw = sw;
		free(keep);
	}
	free(bpp);
	return c->sw;
}

uint32_t check_pir(card *c, int *cmd, int *reason, uint8_t aid[16])
{
	orsp_tlv d, sig, f, fr, res, x;
	orsp_reader r;
	uint64_t v;

	orsp_slice pir = rsp_value(c, 0xBF37);
	orsp_reader_init(&r, pir.p, pir.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF27, &d), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, d.raw.p, d.raw.len, sig.value.p), ORSP_OK);
	assert_true(find_tlv(d.value, 0x80, &f));
	assert_int_equal(f.value.len, c->tid_len);
	assert_bytes_equal(f.value.p, c->tid, c->tid_len);
	assert_true(find_tlv(d.value, 0xBF2F, &f));
	c->pir_has_iccid = find_tlv(f.value, 0x5A, &x);
	if (c->pir_has_iccid) {
		assert_int_equal(x.value.len, 10);
		memcpy(c->pir_iccid, x.value.p, 10);
	}
	assert_true(find_tlv(d.value, 0xA2, &fr));
	assert_int_equal(orsp_der_parse_one(fr.value, &res), ORSP_OK);
	if (res.tag == 0xA0) {
		assert_true(find_tlv(res.value, 0x4F, &x));
		assert_int_equal(x.value.len, 16);
		if (aid)
			memcpy(aid, x.value.p, 16);
	} else {
		assert_int_equal(res.tag, 0xA1);
		assert_true(find_tlv(res.value, 0x80, &x));
		assert_int_equal(orsp_der_uint(x.value, &v), ORSP_OK);
		*cmd = (int)v;
		assert_true(find_tlv(res.value, 0x81, &x));
		assert_int_equal(orsp_der_uint(x.value, &v), ORSP_OK);
		*reason = (int)v;
	}
	return res.tag;
}

uint32_t download(card *c, const dl_opts *o, int *cmd, int *reason, uint8_t aid[16])
{
	start_session(c, o);
	assert_int_equal(load_bpp(c, o), 0x9000);
	uint32_t res = check_pir(c, cmd, reason, aid);
	if (res == 0xA0)
		assert_true(c->bpp_all_sent); /* intermediate pieces: 9000, no data */
	return res;
}

void install_ok(card *c, const char *iccid, uint8_t ppr, uint8_t aid[16])
{
	dl_opts o = {.iccid = iccid, .ppr = ppr, .ppr_unused = 5};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &o, &cmd, &reason, aid), 0xA0);
}

void install_fails(card *c, const dl_opts *o, int want_cmd, int want_reason)
{
	int cmd = -1, reason = -1;
	size_t before = orsp_euicc_profile_count(&c->e);
	assert_int_equal(download(c, o, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, want_cmd);
	assert_int_equal(reason, want_reason);
	assert_int_equal(orsp_euicc_profile_count(&c->e), before);
}
