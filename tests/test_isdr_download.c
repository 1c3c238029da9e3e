/* ISD-R end to end (the core is src/euicc/es10_isdr.c): the test
 * plays the SM-DP+ with the SGP.26 test PKI (DPauth, DPpb, CI) and bsp.h's BPP builder over
 * TS.48 v7 profiles, and drives the eUICC through the APDU layer the way lpac does: STORE DATA
 * in 120-byte blocks, 61xx + GET RESPONSE, LoadBoundProfilePackage split per TLV (BF36
 * header + BF23, A0 whole, A1 header, each 88, A2 whole, A3 header, each 86). Storage is an
 * in-memory record store that can fail the Nth commit, for the crash-injection cases.
 * Negative cases: one per check of the eUICC on outside input. Both curves.
 *
 * The card, the store, the APDU driver and the SM-DP+ side are the fixture in
 * tests/isdr_fixture.c, shared with tests/test_isdr.c.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/core/secret_internal.h" /* orsp__wipe_alloc_test_limit: a shortage */
#include "isdr_fixture.h"

#include "openrsp/aka.h"
#include "openrsp/pkg.h"

#define TS48 "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
#define TS48_B "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der"

/* A card whose downloads start from the TS.48 v7 package with its own ICCID, with a
 * matchingId in ctxParams1. */
static card *card_v7(pki which)
{
	card *c = card_new_pki(which);
	c->upp_vector = TS48;
	c->upp_iccid = NULL;
	c->matching_id = "AC-TOKEN-1";
	return c;
}

/* A whole download: -1 when AuthenticateServer or PrepareDownload failed with the code
 * o expects, -3 when a BPP piece got an error status word, -2 for a truncated BPP, else the
 * PIR's errorReason with *cmd its bppCommandId (0: success, the ISD-P AID in aid). The
 * metadata's ICCID (EF.ICCID coding) in iccid_ef. */
static int run_dl(card *f, const dl_opts *o, uint8_t aid[16], int *cmd, uint8_t iccid_ef[10])
{
	int rc, reason = -1;
	uint16_t sw;

	get_challenge(f);
	rc = auth_step(f, o);
	assert_int_equal(rc, o->auth_code);
	if (rc)
		return -1;
	rc = prepare_step(f, o);
	assert_int_equal(rc, o->prep_code);
	if (rc)
		return -1;
	sw = load_bpp(f, o);
	if (iccid_ef)
		memcpy(iccid_ef, f->iccid_ef, 10);
	if (sw != 0x9000)
		return -3;
	if (o->truncate)
		return -2;
	if (check_pir(f, cmd, &reason, aid) == 0xA1)
		return reason;
	assert_true(f->bpp_all_sent); /* every piece before the last answered 9000, no data */
	return 0;
}

/* One ES10 request expecting 9000 and { 80 code } in the response tag: the code. */
static int result_code(card *f, const uint8_t *req, size_t n, uint32_t tag)
{
	assert_int_equal(store_data(f, req, n), 0x9000);
	return rsp_code(f, tag);
}

/* fn (Enable / Disable / Delete) of this ICCID with its one commit failing: 6581. */
static void op_crashes(card *f, uint32_t fn, const uint8_t iccid_ef[10])
{
	f->st.calls = 0;
	f->st.fail_at = 1;
	assert_int_equal(profile_cmd(f, fn, iccid_ef, NULL), 0x6581);
	f->st.fail_at = 0;
}

/* The state (9F70) of the profile with this ICCID in GetProfilesInfo; -1 absent. */
static int profile_state(card *f, const uint8_t iccid_ef[10])
{
	orsp_slice v = es10_value(f, "BF2D00", 0xBF2D);
	orsp_tlv l, pi, x;
	orsp_reader r;
	uint64_t s;

	assert_true(find_tlv(v, 0xA0, &l));
	orsp_reader_init(&r, l.value.p, l.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &pi), ORSP_OK);
		assert_int_equal(pi.tag, 0xE3);
		assert_true(find_tlv(pi.value, 0x5A, &x));
		if (memcmp(x.value.p, iccid_ef, 10))
			continue;
		assert_true(find_tlv(pi.value, 0x9F70, &x));
		assert_int_equal(orsp_der_uint(x.value, &s), ORSP_OK);
		return (int)s;
	}
	return -1;
}

/* The newest pending notification, which must be a PIR, put in f->out as if it had been
 * answered (for check_pir); its notificationAddress in addr. */
static void pending_pir(card *f, char addr[ORSP_EUICC_ADDR_MAX])
{
	orsp_slice v = es10_value(f, "BF2B00", 0xBF2B);
	orsp_tlv l, p = {0}, d, m, a;
	orsp_reader r;

	assert_true(find_tlv(v, 0xA0, &l));
	orsp_reader_init(&r, l.value.p, l.value.len);
	while (orsp_reader_remaining(&r))
		assert_int_equal(orsp_der_read(&r, &p), ORSP_OK);
	assert_int_equal(p.tag, 0xBF37);
	assert_true(find_tlv(p.value, 0xBF27, &d));
	assert_true(find_tlv(d.value, 0xBF2F, &m));
	assert_true(find_tlv(m.value, 0x0C, &a));
	assert_true(a.value.len < ORSP_EUICC_ADDR_MAX);
	memcpy(addr, a.value.p, a.value.len);
	addr[a.value.len] = '\0';
	memmove(f->out, p.raw.p, p.raw.len);
	f->out_len = p.raw.len;
}

/* The TS.48 USIM found by its RID + application code prefix on the basic channel. */
static bool usim_on_basic(card *f)
{
	uint16_t sw = usim_select(f, 0);
	usim_leave(f, 0);
	return sw == 0x9000;
}

/* ---------------------------------------------------------------- tests ----------------- */

static void full_cycle(pki which)
{
	card *f = card_v7(which);
	dl_opts sp = {0};
	uint8_t aid[16], iccid[10], req[64];
	int cmd = -1;
	orsp_slice v;
	orsp_tlv t, l;
	size_t n;
	orsp_euicc_profile_info info;

	/* GetEID, GetEUICCInfo1 (our CI listed for verification and signing) */
	v = es10_value(f, "BF3E035C015A", 0xBF3E);
	assert_true(find_tlv(v, 0x5A, &t));
	assert_bytes_equal(t.value.p, f->eid, 16);
	v = es10_value(f, "BF2000", 0xBF20);
	assert_true(find_tlv(v, 0xA9, &l));
	assert_true(find_tlv(l.value, 0x04, &t));
	assert_int_equal(t.value.len, f->ci_ski_len);
	assert_bytes_equal(t.value.p, f->ci_ski, f->ci_ski_len);
	assert_true(find_tlv(v, 0xAA, &l));
	v = es10_value(f, "BF2200", 0xBF22);
	assert_true(find_tlv(v, 0xA9, &l));
	v = es10_value(f, "BF3C00", 0xBF3C);
	assert_true(find_tlv(v, 0x80, &t));
	assert_int_equal(t.value.len, strlen(SMDP_ADDR));

	/* download and install */
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	assert_int_equal(orsp_euicc_profile_get(&f->e, 0, &info), ORSP_OK);
	assert_false(info.enabled);
	assert_string_equal(info.name, PROFILE_NAME);
	assert_int_equal(info.aid_len, 16);
	assert_bytes_equal(info.aid, aid, 16);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 1);
	assert_int_equal(profile_state(f, iccid), 0);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 1); /* the PIR */
	assert_false(usim_on_basic(f));

	/* GetProfilesInfo with a tagList: only the ICCID and the state */
	v = es10_value(f, "BF2D055C035A9F70", 0xBF2D);
	assert_true(find_tlv(v, 0xA0, &l));
	assert_int_equal(orsp_der_parse_one(l.value, &t), ORSP_OK);
	assert_true(find_tlv(t.value, 0x5A, &l));
	assert_true(find_tlv(t.value, 0x9F70, &l));
	assert_false(find_tlv(t.value, 0x92, &l));

	/* enable: the USIM appears on the APDU context; survives a reopen */
	assert_int_equal(profile_op(f, 0xBF31, iccid, NULL), 0);
	assert_int_equal(profile_state(f, iccid), 1);
	assert_true(usim_on_basic(f));
	assert_int_equal(profile_op(f, 0xBF31, iccid, NULL), 2); /* enabled already */
	assert_int_equal(profile_op(f, 0xBF33, iccid, NULL), 2); /* delete the enabled one */
	card_reopen(f);
	assert_int_equal(profile_state(f, iccid), 1);
	assert_true(usim_on_basic(f));

	/* SetNickname */
	{
		uint8_t nn[40];
		orsp_writer w;
		orsp_der_mark m;
		orsp_writer_init(&w, nn, sizeof(nn));
		m = orsp_der_begin(&w, 0xBF29);
		orsp_der_put_tlv(&w, 0x5A, iccid, 10);
		orsp_der_put_tlv(&w, 0x90, "mine", 4);
		orsp_der_end(&w, m);
		assert_int_equal(result_code(f, nn, w.len, 0xBF29), 0);
		assert_int_equal(orsp_euicc_profile_get(&f->e, 0, &info), ORSP_OK);
		assert_string_equal(info.nickname, "mine");
	}

	/* disable (by AID), delete (by AID) */
	assert_int_equal(profile_op(f, 0xBF32, NULL, aid), 0);
	assert_int_equal(profile_op(f, 0xBF32, NULL, aid), 2); /* disabled already */
	assert_false(usim_on_basic(f));
	assert_int_equal(profile_op(f, 0xBF33, NULL, aid), 0);
	assert_int_equal(profile_state(f, iccid), -1);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	assert_int_equal(profile_op(f, 0xBF33, NULL, aid), 1); /* gone */
	assert_int_equal(profile_op(f, 0xBF31, iccid, NULL), 1);

	/* notifications: install, enable, disable, delete, with increasing sequence numbers */
	v = es10_value(f, "BF2800", 0xBF28);
	assert_true(find_tlv(v, 0xA0, &l));
	{
		orsp_reader r;
		uint64_t seq, last = 0;
		uint8_t events[4];
		size_t k = 0;
		orsp_reader_init(&r, l.value.p, l.value.len);
		while (orsp_reader_remaining(&r)) {
			orsp_tlv nm, x;
			assert_int_equal(orsp_der_read(&r, &nm), ORSP_OK);
			assert_int_equal(nm.tag, 0xBF2F);
			assert_true(find_tlv(nm.value, 0x80, &x));
			assert_int_equal(orsp_der_uint(x.value, &seq), ORSP_OK);
			assert_true(k == 0 || seq > last);
			last = seq;
			assert_true(find_tlv(nm.value, 0x81, &x));
			assert_true(k < 4);
			events[k++] = x.value.p[1];
			assert_true(find_tlv(nm.value, 0x0C, &x));
			assert_int_equal(x.value.len, strlen(NOTIF_ADDR));
			assert_memory_equal(x.value.p, NOTIF_ADDR, x.value.len);
		}
		assert_int_equal(k, 4);
		assert_int_equal(events[0], 0x80);
		assert_int_equal(events[1], 0x40);
		assert_int_equal(events[2], 0x20);
		assert_int_equal(events[3], 0x10);
	}
	/* RetrieveNotificationsList: the PIR and three signed other notifications */
	v = es10_value(f, "BF2B00", 0xBF2B);
	assert_true(find_tlv(v, 0xA0, &l));
	{
		orsp_reader r;
		size_t k = 0;
		uint64_t first_seq = 0;
		orsp_reader_init(&r, l.value.p, l.value.len);
		while (orsp_reader_remaining(&r)) {
			orsp_tlv pn, tbs, sig, x;
			assert_int_equal(orsp_der_read(&r, &pn), ORSP_OK);
			if (k++ == 0) {
				assert_int_equal(pn.tag, 0xBF37);
				assert_true(find_tlv(pn.value, 0xBF27, &tbs));
				assert_true(find_tlv(tbs.value, 0xBF2F, &x));
				assert_true(find_tlv(x.value, 0x80, &x));
				assert_int_equal(orsp_der_uint(x.value, &first_seq), ORSP_OK);
				continue;
			}
			assert_int_equal(pn.tag, 0x30);
			assert_true(find_tlv(pn.value, 0xBF2F, &tbs));
			assert_true(find_tlv(pn.value, 0x5F37, &sig));
			assert_int_equal(
			    orsp_ecdsa_verify(f->euicc_pk, tbs.raw.p, tbs.raw.len, sig.value.p),
			    ORSP_OK);
		}
		assert_int_equal(k, 4);
		/* remove the first; removing it again: nothingToDelete */
		orsp_writer w;
		orsp_der_mark m;
		orsp_writer_init(&w, req, sizeof(req));
		m = orsp_der_begin(&w, 0xBF30);
		orsp_der_put_uint(&w, 0x80, first_seq);
		orsp_der_end(&w, m);
		n = w.len;
		assert_int_equal(result_code(f, req, n, 0xBF30), 0);
		assert_int_equal(result_code(f, req, n, 0xBF30), 1);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 3);
		card_reopen(f);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 3);
	}
	/* malformed requests */
	assert_int_equal(es10_hex(f, "BF2D055C"), 0x6A80);
	assert_int_equal(es10_hex(f, "300000"), 0x6A80);
	card_free(f);
}

static void test_full_cycle_nist(void **state)
{
	(void)state;
	full_cycle(PKI_NIST);
}

static void test_full_cycle_brp(void **state)
{
	(void)state;
	full_cycle(PKI_BRP);
}

/* AuthenticateServer and PrepareDownload refusals, with the SGP.22 codes. */
static void auth_negatives(pki which)
{
	static const dl_opts cases[] = {
	    {.bad_sig1 = true, .auth_code = 2},            /* invalidSignature */
	    {.wrong_echal = true, .auth_code = 6},         /* euiccChallengeMismatch */
	    {.unknown_ci = true, .auth_code = 7},          /* ciPKUnknown */
	    {.untrusted_auth_cert = true, .auth_code = 1}, /* invalidCertificate */
	    {.wrong_tid2 = true, .prep_code = 5},          /* invalidTransactionId */
	    {.bad_sig2 = true, .prep_code = 2},            /* invalidSignature */
	    {.big_signed2 = true, .prep_code = 2},         /* a large smdpSigned2, bad signature */
	    {.cc_required = true, .prep_code = 127},       /* ccRequiredFlag without hashCc */
	};
	card *f = card_v7(which);
	dl_opts sp = {0};
	int cmd;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(run_dl(f, &cases[i], NULL, &cmd, NULL), -1);
	/* PrepareDownload without a session: noSessionContext */
	assert_int_equal(prepare_step(f, &sp), 4);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	card_free(f);
}

static void test_auth_negatives_nist(void **state)
{
	(void)state;
	auth_negatives(PKI_NIST);
}

static void test_auth_negatives_brp(void **state)
{
	(void)state;
	auth_negatives(PKI_BRP);
}

/* BPP refusals: tampered MAC (scp03tSecurityError 8), segments out of order
 * (scp03tStructureError 7 or security error 8), ICCID present (9), memory full (10). */
static void test_bpp_negatives(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp = {0};
	uint8_t aid[16], iccid[10];
	int cmd = -1, r;

	(void)state;
	sp = (dl_opts){.tamper_mac = -1};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, iccid), 8);
	assert_int_equal(cmd, 5); /* loadProfileElements */
	/* past StoreMetadata: the result names the profile's ICCID */
	assert_true(f->pir_has_iccid);
	assert_memory_equal(f->pir_iccid, iccid, 10);
	/* refused at InitialiseSecureChannel: no ICCID known, none sent (not ten zero bytes) */
	sp = (dl_opts){.wrong_tid_bpp = true};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), 3); /* invalidTransactionId */
	assert_int_equal(cmd, 0);
	assert_false(f->pir_has_iccid);
	sp = (dl_opts){.swap_86 = true};
	r = run_dl(f, &sp, NULL, &cmd, NULL);
	assert_true(r == 7 || r == 8);
	assert_int_equal(cmd, 5);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	/* an unfinished package then another command: nothing installed */
	sp = (dl_opts){.truncate = true};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -2);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);

	sp = (dl_opts){0};
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), 9); /* ICCID already there */
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	card_free(f);
}

/* In a fresh session, the first piece of a BPP (BF36 header naming 100 bytes more to come,
 * then BF23) with a BF23 built here and signed with the DPpb key: remoteOpId op, CRT
 * keyType / keyLen, and pad bytes of an OCTET STRING after smdpSign (0: none). Returns the
 * PIR's errorReason (its bppCommandId in *cmd), 0 if the piece was taken (9000, no data). */
static int iscr_piece(card *f, uint8_t op, uint8_t ktype, uint8_t klen, size_t pad, int *cmd)
{
	uint8_t fields[300], tbs[400], sig[64], pt[65], bf23[1024], req[1100];
	orsp_ec_key *otsk = NULL;
	orsp_writer w, t;
	orsp_der_mark m;
	dl_opts sp = {0};
	int reason = -1;

	start_session(f, &sp);
	assert_int_equal(orsp_ec_generate(orsp_ec_curve(f->pb_sk), &otsk), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(otsk, pt), ORSP_OK);
	orsp_ec_free(otsk);
	orsp_writer_init(&w, fields, sizeof(fields));
	orsp_der_put_tlv(&w, 0x82, &op, 1);
	orsp_der_put_tlv(&w, 0x80, f->tid, 16);
	m = orsp_der_begin(&w, 0xA6);
	orsp_der_put_tlv(&w, 0x80, &ktype, 1);
	orsp_der_put_tlv(&w, 0x81, &klen, 1);
	orsp_der_put_tlv(&w, 0x84, "openrsp-test", 12);
	orsp_der_end(&w, m);
	orsp_der_put_tlv(&w, 0x5F49, pt, 65);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_writer_init(&t, tbs, sizeof(tbs));
	orsp_write_bytes(&t, fields, w.len);
	orsp_der_put_tlv(&t, 0x5F49, f->otpk, 65);
	assert_int_equal(orsp_writer_status(&t), ORSP_OK);
	assert_int_equal(orsp_ecdsa_sign(f->pb_sk, tbs, t.len, sig), ORSP_OK);
	orsp_writer_init(&t, bf23, sizeof(bf23));
	m = orsp_der_begin(&t, 0xBF23);
	orsp_write_bytes(&t, fields, w.len);
	orsp_der_put_tlv(&t, 0x5F37, sig, 64);
	if (pad) {
		orsp_der_put_header(&t, 0x04, pad);
		for (size_t i = 0; i < pad; i++)
			orsp_write_u8(&t, 0);
	}
	orsp_der_end(&t, m);
	assert_int_equal(orsp_writer_status(&t), ORSP_OK);
	orsp_writer_init(&w, req, sizeof(req));
	orsp_der_put_header(&w, 0xBF36, t.len + 100);
	orsp_write_bytes(&w, bf23, t.len);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(store_data(f, req, w.len), 0x9000);
	if (!f->out_len)
		return 0;
	assert_int_equal(check_pir(f, cmd, &reason, NULL), 0xA1);
	return reason;
}

/* InitialiseSecureChannel refused by the eUICC for values SGP.22 has their own
 * errorReason for, each in a BF23 validly signed: remoteOpId 2 ->
 * unsupportedRemoteOperationType (5); keyType 80 or keyLen 20 (32) -> unsupportedCrtValues
 * (4); a BF23 over the unwrap's 512 bytes (ORSP_BSP_MAX_ISCR) -> insufficientMemory (10).
 * Each a PIR at initialiseSecureChannel (0), without ICCID, the session ended (the next
 * piece is refused), nothing installed. */
static void test_iscr_refusals(void **state)
{
	static const struct {
		uint8_t op, ktype, klen;
		size_t pad;
		int reason;
	} cases[] = {
	    {1, 0x88, 0x10, 0, 0},    /* the values of a BPP: taken, waiting for the rest */
	    {2, 0x88, 0x10, 0, 5},    /* remoteOpId 2 */
	    {1, 0x80, 0x10, 0, 4},    /* keyType 80 */
	    {1, 0x88, 0x20, 0, 4},    /* keyLen 32 */
	    {1, 0x88, 0x10, 500, 10}, /* BF23 of more than 512 bytes */
	};
	card *f = card_v7(PKI_NIST);
	int cmd;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cmd = -1;
		assert_int_equal(
		    iscr_piece(f, cases[i].op, cases[i].ktype, cases[i].klen, cases[i].pad, &cmd),
		    cases[i].reason);
		if (!cases[i].reason)
			continue;
		assert_int_equal(cmd, 0); /* initialiseSecureChannel */
		assert_false(f->pir_has_iccid);
		/* the session is over: a piece of what follows is not taken */
		assert_int_not_equal(es10_hex(f, "A000"), 0x9000);
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	}
	card_free(f);
}

/* ConfigureISDP and StoreMetadata are checked as their pieces arrive: a profile refused
 * there is answered with the PIR at that piece (with the last '88' for StoreMetadata, the
 * PIR naming the metadata's ICCID and sent to its install address), the rest of the
 * package is refused, and nothing is installed. No free ISD-P: test_memory_full. */
static void test_refused_at_piece(void **state)
{
	card *f = card_v7(PKI_NIST);
	char name[66];
	uint8_t iccid[10], first[10];
	char addr[ORSP_EUICC_ADDR_MAX];
	int cmd = -1, reason = -1;
	struct {
		dl_opts o;
		int reason;
	} cases[] = {
	    {{.set_class = true, .profile_class = 0, .send_rest = true}, 6}, /* test profile */
	    {{.set_class = true, .profile_class = 3, .send_rest = true}, 6}, /* unknown class */
	    {{.name = name, .send_rest = true}, 1},                          /* 65 characters */
	};

	(void)state;
	memset(name, 'n', 65);
	name[65] = '\0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(run_dl(f, &cases[i].o, NULL, &cmd, iccid), cases[i].reason);
		assert_int_equal(cmd, 2); /* storeMetadata */
		assert_int_equal(f->bpp_last_tag, 0x88);
		assert_false(f->bpp_all_sent);
		assert_true(f->bpp_rest > 0);
		assert_int_equal(f->bpp_rest_refused, f->bpp_rest);
		assert_true(f->pir_has_iccid);
		assert_memory_equal(f->pir_iccid, iccid, 10);
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	}
	/* kept as a notification, to the metadata's install address */
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(reason, 1);
	assert_string_equal(addr, NOTIF_ADDR);

	/* the ICCID installed already: refused at StoreMetadata too */
	dl_opts sp = {0};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, first), 0);
	sp = (dl_opts){.send_rest = true};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, iccid), 9);
	assert_int_equal(cmd, 2);
	assert_int_equal(f->bpp_last_tag, 0x88);
	assert_int_equal(f->bpp_rest_refused, f->bpp_rest);
	assert_memory_equal(f->pir_iccid, first, 10);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 1);
	card_free(f);
}

/* A card reset (vpcd power off, power on, reset) ends the RSP session: the euiccChallenge
 * of before is not taken (noSessionContext), nor is an authentication, nor are the pieces of
 * a package after it. An installation that had begun (ConfigureISDP executed) leaves a PIR
 * with installFailedDueToInterruption (11) at the last BPP command executed as a pending
 * notification, committed; a reset before ConfigureISDP leaves nothing. */
static void test_reset_ends_session(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp = {0};
	uint8_t aid[16], iccid[10];
	char addr[ORSP_EUICC_ADDR_MAX];
	int cmd = -1, reason = -1, commits;

	(void)state;
	get_challenge(f);
	card_reset(f);
	assert_int_equal(auth_step(f, &sp), 4); /* noSessionContext */
	get_challenge(f);
	assert_int_equal(auth_step(f, &sp), 0);
	card_reset(f);
	assert_int_equal(prepare_step(f, &sp), 4);

	/* after InitialiseSecureChannel (BF23): the rest refused, nothing installed or kept */
	commits = f->st.calls;
	sp = (dl_opts){.reset_after = 1};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(f->sw, 0x6A81); /* A0 alone is no ES10 function */
	assert_int_equal(f->bpp_last_tag, 0xA0);
	assert_int_equal(f->st.calls, commits);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);

	/* after ConfigureISDP (A0): configureISDP(1), interruption(11), no ICCID known yet, to
	 * the session's SM-DP+; kept through a power cycle */
	sp = (dl_opts){.reset_after = 2};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(f->sw, 0x6A80); /* the A1 header alone is not one TLV */
	assert_int_equal(orsp_euicc_notification_count(&f->e), 1);
	card_reopen(f);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 1);
	assert_int_equal(reason, 11);
	assert_false(f->pir_has_iccid);
	assert_string_equal(addr, SMDP_ADDR);

	/* before the last '86' (the reviewer's case): the last piece refused, no profile, no
	 * package; loadProfileElements(5), interruption(11), the profile's ICCID, to the
	 * metadata's install address */
	sp = (dl_opts){.reset_after = -1};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, iccid), -3);
	assert_int_equal(f->sw, 0x6A81); /* a lone '86' is no ES10 function */
	assert_int_equal(f->bpp_last_tag, 0x86);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 2);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 5);
	assert_int_equal(reason, 11);
	assert_true(f->pir_has_iccid);
	assert_memory_equal(f->pir_iccid, iccid, 10);
	assert_string_equal(addr, NOTIF_ADDR);

	/* a reset without a session changes nothing; the next download installs */
	commits = f->st.calls;
	card_reset(f);
	assert_int_equal(f->st.calls, commits);
	sp = (dl_opts){0};
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	card_free(f);
}

/* What the interject hooks below send in the middle of a load (dl_opts.interject), and what
 * came of it. */
typedef struct interjected {
	const char *hex;         /* send_cmd: this ES10 command */
	bool fail;               /* send_cmd: the next commit fails */
	const char *cancel_tail; /* send_cancel: CancelSession {transactionId, these bytes} */
	bool other_tid;          /* send_cancel: a transactionId that is not the session's */
	uint16_t sw;
	int code;    /* send_cancel: the error code; -1 a signed answer (checked) */
	int commits; /* store commits before the command */
} interjected;
static interjected mid;

static void send_cmd(card *c)
{
	mid.commits = c->st.calls;
	if (mid.fail)
		c->st.fail_at = c->st.calls + 1;
	mid.sw = es10_hex(c, mid.hex);
	c->st.fail_at = 0;
}

static void send_cancel(card *c)
{
	uint8_t req[64], tail[8];
	size_t tl = 0;
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv a0, s, sig, f;
	orsp_reader r;
	uint64_t v = 0;

	mid.commits = c->st.calls;
	assert_int_equal(orsp_hex_decode(mid.cancel_tail, tail, sizeof(tail), &tl), ORSP_OK);
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	if (mid.other_tid)
		orsp_der_put_tlv(&w, 0x80, "\x01\x02", 2);
	else
		orsp_der_put_tlv(&w, 0x80, c->tid, c->tid_len);
	orsp_write_bytes(&w, tail, tl);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	mid.sw = store_data(c, req, w.len);
	assert_int_equal(mid.sw, 0x9000);
	if (!find_tlv(rsp_value(c, 0xBF41), 0xA0, &a0)) {
		assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
		assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
		mid.code = (int)v;
		return;
	}
	/* EuiccCancelSessionSigned {transactionId, smdpOid, reason} signed with SK.EUICC */
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, s.raw.p, s.raw.len, sig.value.p), ORSP_OK);
	assert_true(find_tlv(s.value, 0x80, &f));
	assert_int_equal(f.value.len, c->tid_len);
	assert_memory_equal(f.value.p, c->tid, c->tid_len);
	mid.code = -1;
}

/* An ES10 command other than the package's next piece ends the load as a card reset does:
 * the command is answered, the package dropped (the pieces after it refused, nothing
 * installed) and, once ConfigureISDP was executed, the PIR with installFailedDueToInterruption
 * (11) at the last BPP command executed kept as a pending notification and committed, so the
 * SM-DP+ learns of it; before ConfigureISDP nothing is kept. */
static void test_cmd_interrupts(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp;
	uint8_t aid[16], iccid[10];
	char addr[ORSP_EUICC_ADDR_MAX];
	int cmd = -1, reason = -1, commits;

	(void)state;
	/* GetProfilesInfo after InitialiseSecureChannel (BF23): nothing kept or committed */
	mid = (interjected){.hex = "BF2D00"};
	commits = f->st.calls;
	sp = (dl_opts){.reset_after = 1, .interject = send_cmd};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(mid.sw, 0x9000);
	assert_int_equal(f->bpp_last_tag, 0xA0);
	assert_int_equal(f->sw, 0x6A81); /* A0 alone is no ES10 function: no load to continue */
	assert_int_equal(f->st.calls, commits);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 0);

	/* GetProfilesInfo after ConfigureISDP (A0): answered (no profile), the PIR {configureISDP
	 * (1), 11} committed with it, no ICCID known yet, to the session's SM-DP+; kept through
	 * a power cycle */
	sp.reset_after = 2;
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(mid.sw, 0x9000);
	assert_int_equal(f->sw, 0x6A80); /* the A1 header alone is not one TLV */
	assert_int_equal(f->st.calls, mid.commits + 1);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 1);
	card_reopen(f);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 1);
	assert_int_equal(reason, 11);
	assert_false(f->pir_has_iccid);
	assert_string_equal(addr, SMDP_ADDR);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);

	/* GetEUICCChallenge (a new session) before the last '86': loadProfileElements(5), 11,
	 * the profile's ICCID, to the metadata's install address; no profile, no package */
	mid = (interjected){.hex = "BF2E00"};
	sp.reset_after = -1;
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, iccid), -3);
	assert_int_equal(mid.sw, 0x9000);
	assert_int_equal(f->bpp_last_tag, 0x86);
	assert_int_equal(f->sw, 0x6A81); /* a lone '86' is no ES10 function */
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 2);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 5);
	assert_int_equal(reason, 11);
	assert_true(f->pir_has_iccid);
	assert_memory_equal(f->pir_iccid, iccid, 10);
	assert_string_equal(addr, NOTIF_ADDR);

	/* a new LoadBoundProfilePackage after ConfigureISDP: the interrupted one's PIR {1, 11}
	 * kept, the new one answered as one without a session (its PIR is not kept) */
	mid = (interjected){.hex = "BF3606BF2303800101"};
	sp.reset_after = 2;
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(mid.sw, 0x9000);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 3);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 1);
	assert_int_equal(reason, 11);

	/* that commit failing: the command fails (6581), nothing is kept, the load ends all the
	 * same */
	mid = (interjected){.hex = "BF2D00", .fail = true};
	sp.reset_after = -1;
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(mid.sw, 0x6581);
	assert_int_equal(f->sw, 0x6A81);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 3);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);

	/* the next download installs */
	sp = (dl_opts){0};
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	card_free(f);
}

/* CancelSession during the load: taken (the session's transactionId, a reason), its signed
 * answer is the session's result, which the LPA passes on with ES9+ CancelSession, so no PIR
 * is kept beside it, also after ConfigureISDP: one commit, which removes the load record (no
 * PIR at the next open either); refused (another
 * transactionId: 5, a malformed reason: 127) it drops the package as any other command does,
 * with the interruption PIR kept once ConfigureISDP was executed. */
static void test_cancel_in_load(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp;
	uint8_t aid[16], iccid[10];
	char addr[ORSP_EUICC_ADDR_MAX];
	int cmd = -1, reason = -1;
	static const int at[] = {2, -1}; /* after ConfigureISDP, before the last '86' */

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		mid = (interjected){.cancel_tail = "810105"}; /* loadBppExecutionError */
		sp = (dl_opts){.reset_after = at[i], .interject = send_cancel};
		assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
		assert_int_equal(mid.code, -1);
		assert_int_equal(f->st.calls, mid.commits + 1);
		card_reopen(f);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	}

	/* another transactionId after ConfigureISDP: invalidTransactionId, the PIR {1, 11} */
	mid = (interjected){.cancel_tail = "810101", .other_tid = true};
	sp = (dl_opts){.reset_after = 2, .interject = send_cancel};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(mid.code, 5);
	assert_int_equal(f->st.calls, mid.commits + 1);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 1);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 1);
	assert_int_equal(reason, 11);
	assert_string_equal(addr, SMDP_ADDR);

	/* the session's with a negative reason before the last '86': undefinedError, the PIR
	 * {5, 11} with the ICCID */
	mid = (interjected){.cancel_tail = "8101FF"};
	sp.reset_after = -1;
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, iccid), -3);
	assert_int_equal(mid.code, 127);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 2);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 5);
	assert_int_equal(reason, 11);
	assert_memory_equal(f->pir_iccid, iccid, 10);
	assert_string_equal(addr, NOTIF_ADDR);

	/* refused before ConfigureISDP: the package dropped, nothing kept or committed */
	mid = (interjected){.cancel_tail = "810101", .other_tid = true};
	sp.reset_after = 1;
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_equal(mid.code, 5);
	assert_int_equal(f->st.calls, mid.commits);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 2);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);

	/* a CancelSession that is not even one TLV (5 bytes announced, 3 sent) after
	 * ConfigureISDP: refused as malformed, and it ends the load as any other command,
	 * the PIR {1, 11} kept (before, the load went on and installed) */
	mid = (interjected){.hex = "BF4105800101"};
	sp = (dl_opts){.reset_after = 2, .interject = send_cmd};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), -3);
	assert_int_not_equal(mid.sw, 0x9000);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 3);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	pending_pir(f, addr);
	assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 1);
	assert_int_equal(reason, 11);

	/* the next download installs */
	sp = (dl_opts){0};
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	card_free(f);
}

/* A rule the Rules Authorisation Table (GetRAT: ppr1 and ppr2) does not allow is refused,
 * installFailedDueToPprNotAllowed at StoreMetadata (2/15): pprUpdateControl, a bit of a later
 * version (they were installed, shown by GetProfilesInfo and never enforced). */
static void test_ppr_not_in_rat(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts o = {.ppr = 0x80}; /* pprUpdateControl */

	(void)state;
	install_fails(f, &o, 2, 15);
	o = (dl_opts){.ppr = 0x10, .ppr_unused = 4}; /* bit 3 */
	install_fails(f, &o, 2, 15);
	o = (dl_opts){.ppr = 0xE0}; /* with ppr1 and ppr2 */
	install_fails(f, &o, 2, 15);
	/* a rule from bit 8 on, alone or with ppr1 (the second contents octet: it was left
	 * out, and the profile installed without it) */
	o = (dl_opts){.meta_extra = "9903070080"};
	install_fails(f, &o, 2, 15);
	o = (dl_opts){.meta_extra = "9903074080"};
	install_fails(f, &o, 2, 15);
	card_free(f);
}

/* PPR1: the enabled profile cannot be disabled, nor replaced by enabling another; PPR2: it
 * cannot be deleted. */
static void test_ppr(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp = {0};
	uint8_t a1[16], a2[16], i1[10], i2[10];
	int cmd;

	(void)state;
	sp = (dl_opts){.ppr = 0x60};
	assert_int_equal(run_dl(f, &sp, a1, &cmd, i1), 0);
	sp = (dl_opts){.profile = TS48_B, .iccid_no = 1, .ppr = 0x40};
	assert_int_equal(run_dl(f, &sp, a2, &cmd, i2), 0);
	{
		/* PPRs in GetProfilesInfo as a DER named bit string: 99 02 05 60 and 99 02 06 40 */
		orsp_slice v = es10_value(f, "BF2D055C035A994F", 0xBF2D);
		orsp_tlv l, pi, x;
		orsp_reader r;
		size_t k = 0;
		assert_true(find_tlv(v, 0xA0, &l));
		orsp_reader_init(&r, l.value.p, l.value.len);
		while (orsp_reader_remaining(&r)) {
			assert_int_equal(orsp_der_read(&r, &pi), ORSP_OK);
			assert_true(find_tlv(pi.value, 0x99, &x));
			assert_int_equal(x.value.len, 2);
			assert_true(find_tlv(pi.value, 0x5A, &l));
			if (!memcmp(l.value.p, i1, 10))
				assert_memory_equal(x.value.p, "\x05\x60", 2);
			else
				assert_memory_equal(x.value.p, "\x06\x40", 2);
			k++;
		}
		assert_int_equal(k, 2);
	}
	assert_int_equal(profile_op(f, 0xBF31, NULL, a1), 0);
	assert_int_equal(profile_op(f, 0xBF32, NULL, a1), 3); /* PPR1 */
	assert_int_equal(profile_op(f, 0xBF31, NULL, a2), 3); /* would disable the PPR1 one */
	assert_int_equal(profile_state(f, i1), 1);
	assert_int_equal(profile_state(f, i2), 0);
	assert_int_equal(profile_op(f, 0xBF33, NULL, a2), 0); /* no PPR: deletable */
	card_free(f);
}

/* Memory full: ORSP_EUICC_MAX_PROFILES profiles installed, the next one is refused with
 * insufficientMemory (10). The TS.48 ICCIDs differ only per variant, so the test writes
 * fresh ICCIDs into the package (ProfileHeader + EF.ICCID via the pkg module). */
static void test_memory_full(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp = {0};
	uint8_t aid[16], iccid[10];
	int cmd = -1;

	(void)state;
	for (int i = 1; i <= ORSP_EUICC_MAX_PROFILES; i++) {
		sp = (dl_opts){.iccid_no = i};
		assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	}
	assert_int_equal(orsp_euicc_profile_count(&f->e), ORSP_EUICC_MAX_PROFILES);
	/* refused at ConfigureISDP (A0): configureISDP(1), the rest refused, no ICCID known */
	sp = (dl_opts){.iccid_no = 100, .send_rest = true};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), 10); /* insufficientMemory */
	assert_int_equal(cmd, 1);
	assert_int_equal(f->bpp_last_tag, 0xA0);
	assert_true(f->bpp_rest > 0);
	assert_int_equal(f->bpp_rest_refused, f->bpp_rest);
	assert_false(f->pir_has_iccid);
	assert_int_equal(orsp_euicc_profile_count(&f->e), ORSP_EUICC_MAX_PROFILES);
	sp = (dl_opts){.iccid_no = 100};
	assert_int_equal(ms_count_prefix(&f->st, "upp."), ORSP_EUICC_MAX_PROFILES);
	/* delete one: room again */
	assert_int_equal(profile_op(f, 0xBF33, iccid, NULL), 0);
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), 0);
	card_free(f);
}

/* A package larger than an ISD-P holds (ORSP_EUICC_MAX_UPP): the TS.48 package with its
 * PE-End replaced by 64 KiB more (an OCTET STRING, never decoded: the load stops before).
 * Refused at the '86' segment that takes it over the limit with the PIR's
 * installFailedDueToInsufficientMemoryForProfile (10) at loadProfileElements (5), not at
 * the end: the segments after it are refused, nothing is installed or stored. */
static void test_upp_too_large(void **state)
{
	card *f = card_v7(PKI_NIST);
	const size_t extra = 64 * 1024;
	char *hex = malloc(10 + 2 * extra + 1);
	uint8_t iccid[10];
	int cmd = -1;

	(void)state;
	assert_non_null(hex);
	memcpy(hex, "0483010000", 10); /* 04 83 010000: 65536 bytes */
	memset(hex + 10, '5', 2 * extra);
	hex[10 + 2 * extra] = '\0';
	dl_opts sp = {.end_pe = hex, .send_rest = true};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, iccid), 10);
	assert_int_equal(cmd, 5); /* loadProfileElements */
	assert_true(f->upp_len > ORSP_EUICC_MAX_UPP);
	assert_int_equal(f->bpp_last_tag, 0x86);
	assert_false(f->bpp_all_sent);
	assert_true(f->bpp_rest > 0);
	assert_int_equal(f->bpp_rest_refused, f->bpp_rest);
	assert_true(f->pir_has_iccid); /* past StoreMetadata */
	assert_memory_equal(f->pir_iccid, iccid, 10);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	free(hex);
	/* the package as it is still installs */
	sp = (dl_opts){0};
	assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), 0);
	card_free(f);
}

/* The TLVs in[0..n) written to w with one byte 00 put in at offset at, which lies in a
 * primitive value (or at its end), every TLV around it given its new length. */
static void grow_at(const uint8_t *in, size_t n, size_t at, orsp_writer *w)
{
	orsp_reader r;
	orsp_tlv t;

	orsp_reader_init(&r, in, n);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
		size_t vs = (size_t)(t.value.p - in), ve = vs + t.value.len;
		if (at < vs || at > ve || (t.constructed && at == ve)) {
			orsp_write_bytes(w, t.raw.p, t.raw.len);
		} else if (t.constructed) {
			uint8_t *v = malloc(t.value.len + 8);
			orsp_writer vw;
			assert_non_null(v);
			orsp_writer_init(&vw, v, t.value.len + 8);
			grow_at(t.value.p, t.value.len, at - vs, &vw);
			assert_int_equal(orsp_writer_status(&vw), ORSP_OK);
			orsp_der_put_tlv(w, t.tag, v, vw.len);
			free(v);
		} else {
			orsp_der_put_header(w, t.tag, t.value.len + 1);
			orsp_write_bytes(w, t.value.p, at - vs);
			orsp_write_u8(w, 0);
			orsp_write_bytes(w, t.value.p + (at - vs), ve - at);
		}
	}
}

/* Where the first Fcp field (in an A1) with this tag and length in the TLVs v ends, as an
 * offset from base; 0 if none. Primitive contents (file data) are not searched. */
static size_t fcp_field_end(const uint8_t *base, orsp_slice v, uint32_t parent, uint32_t tag,
                            size_t len)
{
	orsp_reader r;
	orsp_tlv t;
	size_t at;

	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &t))
			return 0;
		if (parent == 0xA1 && t.tag == tag && t.value.len == len)
			return (size_t)(t.value.p + t.value.len - base);
		if (t.constructed && (at = fcp_field_end(base, t.value, t.tag, tag, len)))
			return at;
	}
	return 0;
}

/* The TS.48 package with the first Fcp field of the PE of this type with this tag and length
 * one byte longer (a 00 added); its length in *len (malloc'd). */
static uint8_t *fcp_grown(orsp_pe_type type, uint32_t tag, size_t flen, size_t *len)
{
	size_t n = 0, at = 0;
	uint8_t *upp = test_read_vector(TS48, &n), *big = malloc(n + 16);
	orsp_reader r;
	orsp_tlv pe;
	orsp_writer w;

	assert_non_null(big);
	orsp_reader_init(&r, upp, n);
	while (!at && orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &pe), ORSP_OK);
		if (pe.number + 1 == (uint32_t)type)
			at = fcp_field_end(upp, pe.value, pe.tag, tag, flen);
	}
	assert_true(at > 0);
	orsp_writer_init(&w, big, n + 16);
	grow_at(upp, n, at, &w);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_true(w.len > n); /* one byte (a length may have grown by one too) */
	free(upp);
	*len = w.len;
	return big;
}

/* A package whose USIM has a file descriptor (Fcp 82) of 3 bytes, which PEDefinitions allows
 * (SIZE(2..4)) and TS 102 222 does not (2, or 4 with the record length): the first Fcp in
 * PE-USIM with 82 02 made 82 03 (a 00 added). The trial load refuses it (a package defect,
 * not a profile to enable without USIM): installFailedDueToPEProcessingError (12) at the end
 * of the load, nothing installed. The other sizes the trial load checks (LCSI 1, security
 * attributes 1..3, SFI 0..1 bytes) are PEDefinitions constraints: a package with one byte
 * more in them (security attributes of PE-USIM, the SFI of PE-MF; TS.48 has no LCSI) does
 * not even decode. */
static void test_usim_fcp_refused(void **state)
{
	static const struct {
		orsp_pe_type pe;
		uint32_t tag;
		size_t len;
		const char *detail;
	} cases[] = {
	    {ORSP_PE_USIM, 0x82, 2, "Fcp: file descriptor of 3 bytes"},
	    {ORSP_PE_USIM, 0x8B, 3, "violates the module's constraints"},
	    {ORSP_PE_MF, 0x88, 1, "violates the module's constraints"},
	};
	card *f = card_v7(PKI_NIST);
	size_t n = 0;
	uint8_t *upp = test_read_vector(TS48, &n);
	int cmd = -1;

	(void)state;
	assert_int_equal(orsp_usim_check(upp, n), ORSP_OK);
	free(upp);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *big = fcp_grown(cases[i].pe, cases[i].tag, cases[i].len, &n);
		orsp_err_clear();
		assert_int_equal(orsp_usim_check(big, n), ORSP_E_MALFORMED);
		assert_non_null(strstr(orsp_err_detail(), cases[i].detail));
		orsp_err_clear();
		if (i == 0) {
			dl_opts sp = {.upp = big, .upp_len = n};
			assert_int_equal(run_dl(f, &sp, NULL, &cmd, NULL), 12);
			assert_int_equal(cmd, 5); /* loadProfileElements */
			assert_true(f->bpp_all_sent);
			assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
			assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
		}
		free(big);
	}
	card_free(f);
}

/* Crash injection: a failing commit leaves exactly the old state, after a reopen too. */
static void test_crash_injection(void **state)
{
	card *f = card_v7(PKI_BRP);
	dl_opts sp = {0};
	uint8_t aid[16], iccid[10];
	int cmd;

	(void)state;
	/* install: each commit of the download fails in turn -> 6581 at its piece, nothing
	 * installed: the load record's at ConfigureISDP (A0), StoreMetadata (the '88') and the
	 * first '86', then the install's (upp + isdr, at the last '86'). The session stays for
	 * the LPA's CancelSession, which is signed and removes what the load stored: nothing is
	 * pending after a power cycle. */
	static const uint32_t at_tag[] = {0xA0, 0x88, 0x86, 0x86};
	for (int k = 1; k <= 4; k++) {
		f->st.calls = 0;
		f->st.fail_at = k;
		assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), -3);
		assert_int_equal(f->sw, 0x6581);
		/* the store's reason stays the detail of the failed command, for the LPA's
		 * message, also once the load record is stored (restore() reads it back) */
		assert_non_null(strstr(orsp_err_detail(), "injected crash"));
		assert_int_equal(f->bpp_last_tag, at_tag[k - 1]);
		assert_int_equal(f->st.calls, k);
		f->st.fail_at = 0;
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
		assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
		mid = (interjected){.cancel_tail = "810105"};
		send_cancel(f);
		assert_int_equal(mid.code, -1);
		card_reopen(f);
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
	}
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	card_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);

	/* enable fails -> still disabled in memory and after reopen; the USIM not registered */
	op_crashes(f, 0xBF31, iccid);
	assert_int_equal(profile_state(f, iccid), 0);
	assert_false(usim_on_basic(f));
	card_reopen(f);
	assert_int_equal(profile_state(f, iccid), 0);
	assert_int_equal(profile_op(f, 0xBF31, iccid, NULL), 0);

	/* disable fails -> still enabled, USIM still there */
	op_crashes(f, 0xBF32, iccid);
	assert_int_equal(profile_state(f, iccid), 1);
	assert_true(usim_on_basic(f));
	card_reopen(f);
	assert_int_equal(profile_state(f, iccid), 1);
	assert_int_equal(profile_op(f, 0xBF32, iccid, NULL), 0);

	/* delete fails -> profile and its package still there */
	op_crashes(f, 0xBF33, iccid);
	assert_int_equal(profile_state(f, iccid), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 1);
	card_reopen(f);
	assert_int_equal(profile_state(f, iccid), 0);
	assert_int_equal(profile_op(f, 0xBF33, iccid, NULL), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	card_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	card_free(f);
}

/* dl_opts.interject before the last piece: the host's memory runs short after short_after
 * more allocations of the wiping allocator (the package's decode, its checks, the trial load) */
static long short_after;

static void short_of_memory(card *c)
{
	(void)c;
	(void)orsp__wipe_alloc_test_limit(short_after);
}

/* The host out of memory while the last piece's checks of the package run (decode, rules,
 * the USIM's trial load): no fault of the package, and it passes, as a full disk does. The
 * command is refused (6A84) with no PIR, nothing installed or kept, and the session stays for
 * the LPA's CancelSession, which is signed: the SM-DP+ keeps the order for another download.
 * A shortage at each of several points of the checks, the first allocation and the last
 * included: the answer is the refusal or, where the shortage costs nothing that matters, the
 * profile installed, never an errorResult. Until session 79 the package was judged
 * installFailedDueToPEProcessingError (12) at bppCommandId 5 and the order was lost. */
static void test_install_out_of_memory(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp = {.reset_after = -1, .interject = short_of_memory};
	uint8_t aid[16];
	int cmd = -1, reason = -1;
	long used;
	(void)state;

	/* how many allocations the checks make */
	short_after = LONG_MAX;
	start_session(f, &sp);
	assert_int_equal(load_bpp(f, &sp), 0x9000);
	used = LONG_MAX - orsp__wipe_alloc_test_limit(-1);
	assert_int_equal(check_pir(f, &cmd, &reason, aid), 0xA0);
	assert_true(used > 10);
	card_free(f);

	const long at[] = {0, 1, 2, 3, used / 3, used / 2, 2 * used / 3, used - 1};
	for (size_t k = 0; k < ORSP_ARRAY_LEN(at); k++) {
		f = card_v7(PKI_NIST);
		short_after = at[k];
		start_session(f, &sp);
		uint16_t sw = load_bpp(f, &sp);
		(void)orsp__wipe_alloc_test_limit(-1);
		assert_true(f->bpp_all_sent);
		if (sw == 0x9000) { /* installed all the same: never an errorResult */
			assert_true(k > 0);
			assert_int_equal(check_pir(f, &cmd, &reason, aid), 0xA0);
			card_free(f);
			continue;
		}
		assert_int_equal(sw, 0x6A84);
		assert_int_equal(f->out_len, 0);
		assert_non_null(strstr(orsp_err_detail(), "out of memory"));
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
		mid = (interjected){.cancel_tail = "810105"};
		send_cancel(f);
		assert_int_equal(mid.code, -1); /* signed */
		card_reopen(f);
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
		/* and the download again installs */
		short_after = LONG_MAX;
		assert_int_equal(download(f, &sp, &cmd, &reason, aid), 0xA0);
		(void)orsp__wipe_alloc_test_limit(-1);
		card_free(f);
	}
}

/* CancelSession: signed EuiccCancelSessionSigned for the session's transactionId, refused
 * (invalidTransactionId) for another one; the session is gone afterwards. GetRAT,
 * SetDefaultDpAddress, eUICCMemoryReset. */
static void test_session_misc(void **state)
{
	card *f = card_v7(PKI_BRP);
	dl_opts sp = {0};
	uint8_t req[64], aid[16], iccid[10];
	orsp_writer w;
	orsp_der_mark m;
	orsp_slice v;
	orsp_tlv ok, sg, sig, t;
	uint64_t x;
	int cmd;

	(void)state;
	get_challenge(f);
	assert_int_equal(auth_step(f, &sp), 0);
	/* another transactionId */
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, "\x01\x02", 2);
	orsp_der_put_uint(&w, 0x81, 0);
	orsp_der_end(&w, m);
	assert_int_equal(store_data(f, req, w.len), 0x9000);
	v = rsp_value(f, 0xBF41);
	assert_true(find_tlv(v, 0x81, &t));
	assert_int_equal(orsp_der_uint(t.value, &x), ORSP_OK);
	assert_int_equal(x, 5);
	/* the right one (the session survived the refused cancel? a new one to be sure) */
	get_challenge(f);
	assert_int_equal(auth_step(f, &sp), 0);
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, f->tid, 16);
	orsp_der_put_uint(&w, 0x81, 1); /* postponed */
	orsp_der_end(&w, m);
	assert_int_equal(store_data(f, req, w.len), 0x9000);
	v = rsp_value(f, 0xBF41);
	assert_true(find_tlv(v, 0xA0, &ok));
	assert_true(find_tlv(ok.value, 0x30, &sg));
	assert_true(find_tlv(ok.value, 0x5F37, &sig));
	assert_int_equal(orsp_ecdsa_verify(f->euicc_pk, sg.raw.p, sg.raw.len, sig.value.p),
	                 ORSP_OK);
	assert_true(find_tlv(sg.value, 0x80, &t));
	assert_bytes_equal(t.value.p, f->tid, 16);
	assert_true(find_tlv(sg.value, 0x82, &t));
	assert_int_equal(orsp_der_uint(t.value, &x), ORSP_OK);
	assert_int_equal(x, 1);
	/* the session ended: PrepareDownload has no context */
	assert_int_equal(prepare_step(f, &sp), 4);

	/* GetRAT answers a table (possibly empty) */
	v = es10_value(f, "BF4300", 0xBF43);
	assert_true(find_tlv(v, 0xA0, &t));

	/* SetDefaultDpAddress, read back, persistent */
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF3F);
	orsp_der_put_tlv(&w, 0x80, "dp.example.org", 14);
	orsp_der_end(&w, m);
	assert_int_equal(result_code(f, req, w.len, 0xBF3F), 0);
	card_reopen(f);
	v = es10_value(f, "BF3C00", 0xBF3C);
	assert_true(find_tlv(v, 0x80, &t));
	assert_int_equal(t.value.len, 14);
	assert_memory_equal(t.value.p, "dp.example.org", 14);

	/* eUICCMemoryReset (deleteOperationalProfiles): the enabled operational profile goes,
	 * with its package and its USIM */
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(profile_op(f, 0xBF31, iccid, NULL), 0);
	assert_true(usim_on_basic(f));
	assert_int_equal(es10_hex(f, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(f, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	assert_int_equal(ms_count_prefix(&f->st, "upp."), 0);
	assert_false(usim_on_basic(f));
	card_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	card_free(f);
}

/* The USIM glue: AUTHENTICATE on the enabled profile's USIM persists its SQN state in
 * "sqn.<n>" through the core; after a reopen the same challenge is a replay (the USIM
 * answers a synchronisation failure, DC), so the state really came back from the record. */
/* The USIM glue: AUTHENTICATE on the enabled profile's USIM persists its SQN state in
 * "sqn.<n>" through the core; after a reopen the same challenge is a replay (the USIM
 * answers a synchronisation failure, DC), so the state really came back from the record. */
static void test_usim_sqn_persisted(void **state)
{
	card *f = card_v7(PKI_NIST);
	dl_opts sp = {.milenage = true};
	uint8_t aid[16], iccid[10], rand[16];
	orsp_aka_subscriber sub;
	orsp_aka_vector v;
	const uint8_t sqn[6] = {0, 0, 0, 0, 0x10, 0x20}, amf[2] = {0x80, 0x00};
	int cmd;

	(void)state;
	assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	assert_int_equal(profile_op(f, 0xBF31, iccid, NULL), 0);
	/* the AuC side, with the K/OPc personalised into the package */
	assert_int_equal(
	    orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, isdr_mil_k, 16, isdr_mil_opc, 16),
	    ORSP_OK);
	assert_int_equal(orsp_random(rand, 16), ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn, amf, &v), ORSP_OK);

	assert_int_equal(ms_count_prefix(&f->st, "sqn."), 0);
	assert_int_equal(usim_auth(f, 0, rand, v.autn), 0x90DB); /* successful 3G context */
	assert_int_equal(ms_count_prefix(&f->st, "sqn."), 1);
	card_reopen(f);
	/* the SQN is not fresh any more: synchronisation failure */
	assert_int_equal(usim_auth(f, 0, rand, v.autn), 0x90DC);
	/* a failing SQN commit: no RES leaves the card (6581) */
	rand[0] ^= 1;
	{
		const uint8_t sqn2[6] = {0, 0, 0, 0, 0x20, 0x20};
		orsp_aka_vector v2;
		assert_int_equal(orsp_aka_generate(&sub, rand, sqn2, amf, &v2), ORSP_OK);
		f->st.calls = 0;
		f->st.fail_at = 1;
		assert_int_equal(usim_auth(f, 0, rand, v2.autn), 0x6581);
		f->st.fail_at = 0;
		orsp_aka_vector_wipe(&v2);
	}
	/* delete removes the SQN record with the package */
	assert_int_equal(profile_op(f, 0xBF32, iccid, NULL), 0);
	assert_int_equal(profile_op(f, 0xBF33, iccid, NULL), 0);
	assert_int_equal(ms_count_prefix(&f->st, "sqn."), 0);
	orsp_aka_vector_wipe(&v);
	orsp_aka_subscriber_wipe(&sub);
	card_free(f);
}

/* The sealed store's test hook: the write step named *arg fails (orsp_seal_set_test_hook). */
/* The sealed store's test hook: the write step named at fails once it has passed skip times. */
typedef struct seal_fault {
	const char *at;
	int skip;
} seal_fault;

static orsp_err fail_seal_step(const char *point, void *arg)
{
	seal_fault *f = arg;
	return strcmp(point, f->at) == 0 && f->skip-- <= 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* Over a sealed store, as orsp_euicc_host runs the core. The install's commit failing before
 * the manifest's rename (the disk full): 6581, nothing installed, and the session stays, so
 * that the LPA's CancelSession gets the signed answer the SM-DP+ takes to end the download
 * (until session 69 the card stopped serving, 6F00, and the order stayed Downloaded). Failing
 * after the rename (the counter's advance): the profile is installed, so the answer is its
 * PIR (it was 6581 with the profile and its install notification there). The directory's
 * flush after the rename failing: no PIR, the card stopped. */
static void test_sealed_install_outcomes(void **state)
{
	card *f = card_v7(PKI_NIST);
	/* the install's commit: after the load record's three (ConfigureISDP, StoreMetadata, the
	 * first '86') */
	seal_fault at = {"commit: rename", 3};
	dl_opts sp = {0};
	uint8_t aid[16], iccid[10];
	int cmd, reason = -1;
	(void)state;

	card_seal(f, "isdr_dl_sealed");
	start_session(f, &sp);
	orsp_seal_set_test_hook(fail_seal_step, &at);
	assert_int_equal(load_bpp(f, &sp), 0x6581);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_non_null(strstr(orsp_err_detail(), "test failure at commit: rename"));
	assert_true(f->bpp_all_sent);
	assert_false(orsp_seal_committed(f->seal));
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 0);
	mid = (interjected){.cancel_tail = "810105"}; /* loadBppExecutionError */
	send_cancel(f);
	assert_int_equal(mid.code, -1); /* signed */
	send_cancel(f);
	assert_int_equal(mid.code, 5); /* and that ended the session */
	card_seal_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 0);

	at = (seal_fault){"commit: counter advance", 3};
	start_session(f, &sp);
	orsp_seal_set_test_hook(fail_seal_step, &at);
	assert_int_equal(load_bpp(f, &sp), 0x9000);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_true(orsp_seal_committed(f->seal));
	assert_int_equal(check_pir(f, &cmd, &reason, aid), 0xA0);
	card_seal_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 1);

	/* the directory's flush after the install's rename failing: the profile may not survive
	 * a power cut, so its PIR, which the SM-DP+ takes for it installed, does not leave the
	 * card: 6581, and the card stops (6F00) until it is opened again, which finds what the
	 * directory holds (until session 78 the PIR was answered) */
	dl_opts other = {.iccid = "89000123456789012358"};
	at = (seal_fault){"commit: directory fsync", 3};
	start_session(f, &other);
	orsp_seal_set_test_hook(fail_seal_step, &at);
	assert_int_equal(load_bpp(f, &other), 0x6581);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_non_null(strstr(orsp_err_detail(), "may not survive a power cut"));
	assert_true(orsp_seal_unflushed(f->seal));
	assert_int_equal(f->out_len, 0);
	assert_int_equal(es10_hex(f, "BF2D00"), 0x6F00);
	card_seal_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 2);
	assert_int_equal(orsp_euicc_notification_count(&f->e), 2);
	(void)iccid;
	card_free(f);
}

/* What the killed child's session was, for the parent to check the PIR against. */
typedef struct killed_session {
	uint8_t tid[16];
	size_t tid_len;
	uint8_t iccid_ef[10];
} killed_session;
static int kill_pipe = -1;
static uint32_t kill_after_tag; /* the tag of the piece the kill must come after */

/* dl_opts.interject: the process dies as kill -9 or a power cut ends it, between two BPP
 * pieces, after telling the parent its session */
static void kill_card(card *c)
{
	killed_session ks = {.tid_len = c->tid_len};
	memcpy(ks.tid, c->tid, sizeof(ks.tid));
	memcpy(ks.iccid_ef, c->iccid_ef, 10);
	if (c->bpp_last_tag != kill_after_tag || write(kill_pipe, &ks, sizeof(ks)) != sizeof(ks))
		_exit(3);
	kill(getpid(), SIGKILL);
}

/* kill -9 of the process running the eUICC over its sealed store (openrsp euicc serve, or the
 * LPA with --euicc local:DIR) during LoadBoundProfilePackage, or a power cut: no code of the
 * eUICC sees it end, unlike a card reset or another command (interrupt_load). Once
 * ConfigureISDP was executed, the next open makes the interruption PIR a card reset would
 * have made: {bppCommandId of the last BPP command executed, installFailedDueToInterruption
 * (11)}, the session's transactionId, signed, the metadata's ICCID and install address once
 * StoreMetadata was executed, pending; no profile, and the next download installs. Killed
 * after ConfigureISDP, after StoreMetadata, and between two '86' segments. Until session 74
 * the result was lost: no notification after the restart, and the SM-DP+ never learnt the
 * installation failed. */
static void test_killed_in_load(void **state)
{
	static const struct {
		int after;    /* dl_opts.reset_after: the piece the kill comes before */
		uint32_t tag; /* the piece sent last */
		int cmd;      /* bppCommandId of the PIR */
	} at[] = {
	    {2, 0xA0, 1},  /* after ConfigureISDP */
	    {4, 0x88, 2},  /* after StoreMetadata (its one '88') */
	    {-3, 0x86, 5}, /* between '86' segments */
	};
	card *f = card_v7(PKI_NIST);
	uint8_t aid[16], iccid[10];
	char addr[ORSP_EUICC_ADDR_MAX];
	int cmd = -1, reason = -1;
	(void)state;

	card_seal(f, "isdr_dl_killed");
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		dl_opts sp = {.reset_after = at[i].after, .interject = kill_card};
		killed_session ks;
		int fds[2], status = 0;
		pid_t pid;

		kill_after_tag = at[i].tag;
		assert_int_equal(pipe(fds), 0);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			kill_pipe = fds[1];
			(void)run_dl(f, &sp, NULL, &cmd, NULL);
			_exit(4); /* never killed */
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], &ks, sizeof(ks)), (ssize_t)sizeof(ks));
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);

		/* the restart: the store as the killed process left it */
		card_seal_reopen(f);
		assert_int_equal(orsp_euicc_profile_count(&f->e), 0);
		for (size_t k = 0; k < orsp_seal_count(f->seal); k++)
			assert_false(strncmp(orsp_seal_name(f->seal, k), "upp.", 4) == 0);
		assert_int_equal(orsp_euicc_notification_count(&f->e), i + 1);
		memcpy(f->tid, ks.tid, sizeof(f->tid));
		f->tid_len = ks.tid_len;
		pending_pir(f, addr);
		/* signed with SK.EUICC, the session's transactionId (check_pir) */
		assert_int_equal(check_pir(f, &cmd, &reason, NULL), 0xA1);
		assert_int_equal(cmd, at[i].cmd);
		assert_int_equal(reason, 11);
		assert_int_equal(f->pir_has_iccid, at[i].cmd > 1);
		if (at[i].cmd > 1)
			assert_memory_equal(f->pir_iccid, ks.iccid_ef, 10);
		assert_string_equal(addr, at[i].cmd > 1 ? NOTIF_ADDR : SMDP_ADDR);
		/* made once: the record went with the PIR's commit */
		card_seal_reopen(f);
		assert_int_equal(orsp_euicc_notification_count(&f->e), i + 1);
	}
	/* the next download installs, and leaves no record: a reopen makes no PIR */
	{
		dl_opts sp = {0};
		assert_int_equal(run_dl(f, &sp, aid, &cmd, iccid), 0);
	}
	card_seal_reopen(f);
	assert_int_equal(orsp_euicc_profile_count(&f->e), 1);
	assert_int_equal(orsp_euicc_notification_count(&f->e), sizeof(at) / sizeof(at[0]) + 1);
	card_free(f);
}

/* PrepareDownload with hashCc: the eUICC's stack copies of euiccSigned2, which holds it (and
 * of the message euiccSignature2 covers), are wiped; with the transactionId, a short
 * confirmation code is found from hashCc. The fixture wipes its own copies. */
static void test_prepare_hash_cc_not_left_on_stack(void **state)
{
	static const char hcc[] = "0123456789abcdef0123456789abcdef"; /* the fixture's */
	dl_opts o = {.cc_required = true, .hash_cc = true};
	card *f;
	uint16_t sw;
	bool found;
	(void)state;

	if (!test_stack_scan_works)
		skip();
	f = card_v7(PKI_NIST);
	get_challenge(f);
	assert_int_equal(auth_step(f, &o), 0);
	test_stack_clear();
	sw = prepare(f, &o);
	found = test_stack_find(hcc, 32);
	assert_int_equal(sw, 0x9000);
	check_prepare_ok(f, true);
	card_free(f);
	if (found)
		fail_msg("hashCc left on the stack by PrepareDownload");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_cycle_nist),
	    cmocka_unit_test(test_sealed_install_outcomes),
	    cmocka_unit_test(test_prepare_hash_cc_not_left_on_stack),
	    cmocka_unit_test(test_full_cycle_brp),
	    cmocka_unit_test(test_auth_negatives_nist),
	    cmocka_unit_test(test_auth_negatives_brp),
	    cmocka_unit_test(test_bpp_negatives),
	    cmocka_unit_test(test_iscr_refusals),
	    cmocka_unit_test(test_ppr),
	    cmocka_unit_test(test_ppr_not_in_rat),
	    cmocka_unit_test(test_memory_full),
	    cmocka_unit_test(test_upp_too_large),
	    cmocka_unit_test(test_usim_fcp_refused),
	    cmocka_unit_test(test_crash_injection),
	    cmocka_unit_test(test_install_out_of_memory),
	    cmocka_unit_test(test_session_misc),
	    cmocka_unit_test(test_usim_sqn_persisted),
	    cmocka_unit_test(test_reset_ends_session),
	    cmocka_unit_test(test_refused_at_piece),
	    cmocka_unit_test(test_cmd_interrupts),
	    cmocka_unit_test(test_cancel_in_load),
	    cmocka_unit_test(test_killed_in_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
