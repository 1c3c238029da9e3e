/* The download procedure and notification delivery (src/lpa/download.c) end to end against
 * canned parties: a fake ISD-R on a real APDU layer (answers by ES10 tag) and an ES9+ server
 * (orsp_http_server) answering with canned JSON — initiateAuthentication is the real Thales
 * production exchange of tests/vectors/sgp22/es9p (our eUICC answers with that exchange's
 * euiccChallenge and euiccInfo1, so the request we send must equal the captured one). Failure
 * cases: SGP.22 status Failed, HTTP 500, connection refused, TLS name mismatch and untrusted
 * server, the eUICC refusing the server, refusal by the user, a failed installation; Profile
 * Policy Rules in the metadata checked against the card's RAT (GetRAT): consent missing,
 * refused, given, not needed; a PPR the RAT forbids for the owner; a malformed RAT. The
 * package's StoreMetadataRequest against the metadata shown: PPRs added or dropped, another
 * ICCID or name, unreadable ones, all refused before loading; the same cut into segments
 * loads. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "certmint.h"
#include "openrsp/der.h"
#include "openrsp/euicc_config.h"
#include "openrsp/http.h"
#include "openrsp/lpa.h"
#include "testutil.h"

#define TID "E4F6996D64A543FC8A7F6F8F97F9428D"
#define THALES_FQDN "wbg.prod.ondemandconnectivity.com"
#define CHALLENGE "8BCF1BE4ADA9C98AF062987330056103"
#define INFO1                                                                                      \
	"BF20358203020202A916041481370F5125D0B1D408D4C3B232E6D25E795BEBFBAA16041481370F5125D0B1D4" \
	"08D4C3B232E6D25E795BEBFB"
/* EUICCInfo1 whose euiccCiPKIdListForVerification (A9) and ...ForSigning (AA) hold the SGP.26
 * CIs' subjectKeyIdentifiers: NIST's (the one tls_minted's certificates are issued under),
 * BRP's, or both for verification */
#define SKI_NIST "F54172BDF98A95D65CBEB88A38A1C11D800A85C3"
#define SKI_BRP "C0BC70BA36929D43B467FF57570530E57AB8FCD8"
#define INFO1_NIST "BF20358203020202A9160414" SKI_NIST "AA160414" SKI_NIST
#define INFO1_BRP "BF20358203020202A9160414" SKI_BRP "AA160414" SKI_BRP
#define INFO1_BOTH "BF204B8203020202A92C0414" SKI_BRP "0414" SKI_NIST "AA160414" SKI_NIST
#define ICCID1 "89000123456789012341"
#define META "BF25205A0A9800103254769810321491074F70656E5253509209545334382074657374"
/* META with profileOwner (B7: MCC 208 MNC 01, TS 24.008 coding 02 F8 10) and then, in hex,
 * these PprIds: 99 02 05 60 = ppr1, ppr2 */
#define META_OWNER(ppr)                                                                            \
	"BF252B5A0A9800103254769810321491074F70656E5253509209545334382074657374B705800302F810" ppr
#define META_PPR12 META_OWNER("99020560")
/* pprUpdateControl alone (99 02 07 80): no rule the RAT has to allow */
#define META_UPDATE_CONTROL META_OWNER("99020780")
/* padding bits not zero (05 61): not DER, refused */
#define META_PPR_BAD META_OWNER("99020561")
/* the owner with GID1 AB: B7 08 { 80 03 02F810, 81 01 AB } */
#define META_PPR12_GID1                                                                            \
	"BF252E5A0A9800103254769810321491074F70656E5253509209545334382074657374B708800302F810810"  \
	"1AB99020560"
/* GetRatResponse, one rule: ppr1, ppr2 for every operator (EEEEEE) with consentRequired: the
 * software eUICC's */
#define RAT_ANY_CONSENT "BF4315A013301180020560A10730058003EEEEEE82020780"
/* the same without consent (pprFlags empty: 82 01 00) */
#define RAT_ANY_NO_CONSENT "BF4314A012301080020560A10730058003EEEEEE820100"
/* ppr1, ppr2 for MCC 262 (any MNC) only */
#define RAT_OTHER_MCC "BF4315A013301180020560A1073005800362E2EE82020780"
/* ppr1 with consent for MCC 20x (digit 3 a wildcard), then ppr2 without for MCC 208 MNC 01 */
#define RAT_TWO_RULES                                                                              \
	"BF4327A025301180020640A1073005800302EEEE82020780301080020520A1073005800302F810820100"
/* ppr1, ppr2 for MCC 208 MNC 01 with GID1 AB, consent */
#define RAT_GID1 "BF4318A016301480020560A10A3008800302F8108101AB82020780"
/* a rule without pprFlags */
#define RAT_NO_FLAGS "BF4311A00F300D80020560A10730058003EEEEEE"
/* provider "Op\u00E9ra" CSI(C1, as UTF-8) "1m" 0xFF, name "TS48" CR ESC "[2Ktest" LF DEL */
#define META_CONTROLS                                                                              \
	"BF252A5A0A98001032547698103214910B4F70C3A97261C29B316D7F920F545334380D1B5B324B7465737"    \
	"40A7F"
/* NotificationMetadata with seqNumber s (two hex digits), an install for testsmdpplus1 */
#define NM_SEQ(s)                                                                                  \
	"BF2F2E8001" s                                                                             \
	"810207800C1974657374736D6470706C7573312E6578616D706C652E636F6D5A0A98001032"               \
	"547698103214"
#define NM NM_SEQ("05")
/* the same for testsmdpplus2.example.com */
#define NM_SEQ2(s)                                                                                 \
	"BF2F2E8001" s                                                                             \
	"810207800C1974657374736D6470706C7573322E6578616D706C652E636F6D5A0A98001032"               \
	"547698103214"
/* an installation's for THALES_FQDN (NM3_THALES with seqNumber s) */
#define NM_SEQ_THALES(s)                                                                           \
	"BF2F368001" s "810207800C21"                                                              \
	"7762672E70726F642E6F6E64656D616E64636F6E6E65637469766974792E636F6D"                       \
	"5A0A98001032547698103214"
/* for "smdp example.com", no host name */
#define NM_SEQ_SPACE(s)                                                                            \
	"BF2F258001" s "810207800C10736D6470206578616D706C652E636F6D5A0A98001032547698103214"
#define S8 "1111111111111111"
#define SIG64 "5F3740" S8 S8 S8 S8 S8 S8 S8 S8
#define PIR_OK_SEQ(s)                                                                              \
	"BF3781A1BF275B8010" TID NM_SEQ(s) "A216A0144F10A0000005591010FFFFFFFF8900001000040"       \
	                                   "0" SIG64
#define PIR_OK PIR_OK_SEQ("05")
#define PIR_ERR "BF378193BF274D8010" TID NM "A208A106800108810101" SIG64
/* loadProfileElements (5), scp03tStructureError (7) */
#define PIR_ERR57 "BF378193BF274D8010" TID NM "A208A106800105810107" SIG64
/* initialiseSecureChannel (0), invalidSignature (2): the answer to BF36 + BF23 */
#define PIR_ERR02 "BF378193BF274D8010" TID NM "A208A106800100810102" SIG64
/* an errorResult that is not two INTEGERs */
#define PIR_ERR_BAD "BF378193BF274D8010" TID NM "A208A106800105820107" SIG64

static const void *find(const void *hay, size_t n, const void *needle, size_t k)
{
	const uint8_t *h = hay;
	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (!memcmp(h + i, needle, k))
			return h + i;
	return NULL;
}

/* ---------------------------------------------------------------- fake eUICC ----------- */

typedef struct card {
	uint32_t tags[1024];
	size_t n;
	uint8_t bf38[4096], bf21[1024];
	size_t bf38_len, bf21_len;
	bool refuse_server;   /* AuthenticateServer answers an error */
	const char *bf21_ans; /* the PrepareDownload answer (hex), when set */
	const char *bf38_ans; /* the AuthenticateServer answer (hex), when set */
	bool pir_error;
	const char *pir; /* the PIR to answer with, when not PIR_OK / PIR_ERR */
	bool removed;    /* RemoveNotificationFromList was called */
	uint64_t removed_seq;
	const uint8_t *last_seg;
	size_t last_seg_len;
	int n_notif;       /* how many notifications ListNotification shows */
	bool refuse_a0;    /* the A0 piece of the BPP is answered 6A80 */
	bool cancel_error; /* CancelSession answers invalidTransactionId */
	uint8_t bf41[64];  /* the last CancelSession request */
	size_t bf41_len;
	bool pir_first;   /* the PIR (PIR_ERR02) as the answer to the first piece, BF36 + BF23 */
	bool pir_given;   /* a PIR was answered */
	size_t after_pir; /* BPP pieces received after it */
	const char *list; /* the ListNotification answer, when set */
	const char *retrieve[8];  /* the RetrieveNotificationsList answer by seqNumber, when set */
	uint64_t removed_seqs[8]; /* each RemoveNotificationFromList, in order */
	size_t n_removed;
	uint64_t remove_fails;  /* this seqNumber's removal answers undefinedError */
	uint64_t remove_absent; /* this seqNumber's removal answers nothingToDelete */
	const char *rat;        /* the GetRAT answer (hex); NULL: RAT_ANY_CONSENT */
	uint16_t rat_sw;        /* GetRAT answered with this status word instead, when set */
	uint16_t bf38_sw;       /* AuthenticateServer run, then answered with this status word */
	/* notifications 1..n_pending (at most 127) kept as a card does: ListNotification lists
	 * those not removed, in order, each retrieved by its seqNumber and removed once sent */
	unsigned n_pending;
	bool pending_removed[128];
	bool removal_ignored; /* RemoveNotificationFromList answers ok, removes nothing */
	/* this one listed for 1: testsmdpplus2.example.com (NM_SEQ2), 2: "smdp example.com", no
	 * host name (NM_SEQ_SPACE), 3: THALES_FQDN (NM_SEQ_THALES); 0: testsmdpplus1.example.com */
	uint8_t pending_addr[128];
	const char *chal;     /* the GetEUICCChallenge answer (hex) when not CHALLENGE's */
	const char *info1;    /* the GetEUICCInfo1 answer (hex) when not INFO1 */
	const char *profiles; /* the GetProfilesInfo answer (hex); NULL: no profile */
} card;

static void put_hex(orsp_writer *w, const char *hex)
{
	uint8_t b[1024];
	size_t n = 0;
	assert_int_equal(orsp_hex_decode(hex, b, sizeof(b), &n), ORSP_OK);
	orsp_write_bytes(w, b, n);
}

/* hex with each "@@" replaced by seq (two hex digits), as bytes */
static void put_hex_seq(orsp_writer *w, const char *hex, unsigned seq)
{
	char buf[1024], two[3];
	size_t o = 0;
	snprintf(two, sizeof(two), "%02X", seq);
	for (const char *h = hex; *h && o + 2 < sizeof(buf); h++)
		if (h[0] == '@' && h[1] == '@') {
			memcpy(buf + o, two, 2);
			o += 2;
			h++;
		} else {
			buf[o++] = *h;
		}
	buf[o] = '\0';
	put_hex(w, buf);
}

static uint16_t card_store_data(void *user, uint8_t channel, orsp_slice d, orsp_writer *rsp)
{
	card *c = user;
	uint32_t tag = d.len >= 2 && (d.p[0] & 0x1F) == 0x1F ? (uint32_t)(d.p[0] << 8 | d.p[1])
	               : d.len                               ? d.p[0]
	                                                     : 0;
	(void)channel;
	if (c->n < 1024)
		c->tags[c->n++] = tag;
	switch (tag) {
	case 0xBF2E:
		put_hex(rsp, c->chal ? c->chal : "BF2E128010" CHALLENGE);
		break;
	case 0xBF20:
		put_hex(rsp, c->info1 ? c->info1 : INFO1);
		break;
	case 0xBF38:
		if (d.len <= sizeof(c->bf38)) {
			memcpy(c->bf38, d.p, d.len);
			c->bf38_len = d.len;
		}
		if (c->bf38_sw)
			return c->bf38_sw;
		if (c->bf38_ans) {
			put_hex(rsp, c->bf38_ans);
			break;
		}
		put_hex(rsp, c->refuse_server ? "BF3817A11580"
		                                "10" TID "020107"
		                              : "BF3808A006300480020101");
		break;
	case 0xBF21:
		if (d.len <= sizeof(c->bf21)) {
			memcpy(c->bf21, d.p, d.len);
			c->bf21_len = d.len;
		}
		put_hex(rsp, c->bf21_ans ? c->bf21_ans : "BF2108A00630045F490100");
		break;
	case 0xBF41:
		if (d.len <= sizeof(c->bf41)) {
			memcpy(c->bf41, d.p, d.len);
			c->bf41_len = d.len;
		}
		put_hex(rsp, c->cancel_error ? "BF4103810105" : "BF4108A006300480010000");
		break;
	case 0xBF43:
		if (c->rat_sw)
			return c->rat_sw;
		put_hex(rsp, c->rat ? c->rat : RAT_ANY_CONSENT);
		break;
	case 0xA0:
		if (c->refuse_a0)
			return 0x6A80;
		break;
	case 0xBF28:
		if (c->n_pending) {
			orsp_der_mark l = orsp_der_begin(rsp, 0xBF28),
			              a = orsp_der_begin(rsp, 0xA0);
			for (unsigned s = 1; s <= c->n_pending; s++)
				if (!c->pending_removed[s])
					put_hex_seq(rsp,
					            c->pending_addr[s] == 1   ? NM_SEQ2("@@")
					            : c->pending_addr[s] == 2 ? NM_SEQ_SPACE("@@")
					            : c->pending_addr[s] == 3 ? NM_SEQ_THALES("@@")
					                                      : NM_SEQ("@@"),
					            s);
			orsp_der_end(rsp, a);
			orsp_der_end(rsp, l);
		} else if (c->list)
			put_hex(rsp, c->list);
		else if (c->n_notif == 0)
			put_hex(rsp, "BF2802A000");
		else if (c->n_notif == 1)
			put_hex(rsp, "BF2833A031" NM);
		else
			put_hex(rsp, "BF2866A064" NM NM);
		break;
	case 0xBF2D:
		put_hex(rsp, c->profiles ? c->profiles : "BF2D02A000");
		break;
	case 0xBF2B:
		/* searchCriteria seqNumber: its last byte */
		if (c->n_pending && d.len >= 7 && d.p[d.len - 1] <= c->n_pending)
			put_hex_seq(rsp,
			            c->pending_removed[d.p[d.len - 1]]
			                ? "BF2B02A000"
			                : "BF2B81A8A081A5" PIR_OK_SEQ("@@"),
			            d.p[d.len - 1]);
		else if (d.len >= 7 && d.p[d.len - 1] < 8 && c->retrieve[d.p[d.len - 1]])
			put_hex(rsp, c->retrieve[d.p[d.len - 1]]);
		else
			put_hex(rsp, "BF2B81A8A081A5" PIR_OK);
		break;
	case 0xBF30:
		c->removed = true;
		c->removed_seq = d.len == 6 ? d.p[5] : 999;
		if (c->n_removed < 8)
			c->removed_seqs[c->n_removed++] = c->removed_seq;
		put_hex(rsp, c->removed_seq == c->remove_fails    ? "BF300380017F"
		             : c->removed_seq == c->remove_absent ? "BF3003800101"
		                                                  : "BF3003800100");
		if (c->n_pending && !c->removal_ignored && c->removed_seq != c->remove_fails &&
		    c->removed_seq < 128)
			c->pending_removed[c->removed_seq] = true;
		break;
	case 0xBF36:
		if (c->pir_first) {
			put_hex(rsp, PIR_ERR02);
			c->pir_given = true;
		}
		break;
	default:
		/* BPP pieces: the PIR after the last segment */
		if (c->pir_given)
			c->after_pir++;
		if (d.len == c->last_seg_len && !memcmp(d.p, c->last_seg, d.len))
			put_hex(rsp, c->pir ? c->pir : c->pir_error ? PIR_ERR : PIR_OK);
		break;
	}
	return 0x9000;
}

static const orsp_euicc_app_ops card_ops = {.store_data = card_store_data};

/* ---------------------------------------------------------------- fake SM-DP+ ---------- */

/* ANS_204: 204 No Content; ANS_EMPTY: 200 without a body; ANS_NO_HEADER: 200 with "{}";
 * ANS_HEADER_ONLY: 200 with a success header and nothing else; ANS_400: 400; ANS_NOT_JSON:
 * 200 with a body that is not JSON; ANS_HUGE: 200 with a body of ORSP_HTTP_DEFAULT_MAX_RESPONSE
 * + 1 bytes; ANS_EXPIRED: 200 with status Expired and no statusCodeData (required for Failed
 * only) */
enum {
	ANS_OK,
	ANS_FAILED,
	ANS_500,
	ANS_204,
	ANS_EMPTY,
	ANS_NO_HEADER,
	ANS_HEADER_ONLY,
	ANS_400,
	ANS_NOT_JSON,
	ANS_HUGE,
	ANS_EXPIRED,
	ANS_SLOW /* sets *stop_flag (a signal's stop, come now), then answers 2.5 s later */
};

typedef struct smdp {
	char calls[16][32];
	size_t n;
	int mode[5];    /* per function below */
	bool cc;        /* ccRequiredFlag in smdpSigned2 */
	const char *s2; /* smdpSigned2 (hex) when not the one cc picks */
	/* a base64 field of the answer to function fn (0 initiateAuthentication, 1
	 * authenticateClient) spoiled: the bytes of hex in its place or, with append, after its
	 * own */
	struct {
		int fn;
		const char *field, *hex;
		bool append;
	} spoil;
	json_t *last_req[5];
	char admin[64], agent[64];
	char *bpp_b64; /* the boundProfilePackage when set, else built by bpp_b64_of */
	char *dpcert_b64;
	const uint8_t *bpp_base; /* the package bpp_b64_of starts from */
	size_t bpp_base_len;
	const char *bpp_meta; /* the package's StoreMetadataRequest (hex) when not meta's */
	size_t meta_segs;     /* '88' segments it is cut into (0: one) */
	const char *meta;     /* profileMetadata (hex) when not META */
	const char *message;  /* statusCodeData.message of a Failed answer */
	const char *tid;      /* the JSON transactionId of initiateAuthentication, when set */
	volatile sig_atomic_t *stop_flag; /* ANS_SLOW's: the download's stop */
	const char *ac_tid, *gbpp_tid;    /* those of authenticateClient, getBoundProfilePackage */
	/* initiateAuthentication's Content-Type when not application/json; X-Admin-Protocol */
	const char *ctype, *admin_hdr;
	const char *subject, *reason; /* the codes of a Failed answer, when set */
	/* when not 0: OpenSSL's allocation with this number, counted from the answer to
	 * initiateAuthentication, fails, and no other (test_ossl_fail_only) */
	unsigned oom_at;
} smdp;

static char *b64(const uint8_t *p, size_t n)
{
	size_t cap = orsp_base64_encoded_len(n);
	char *s = malloc(cap);
	assert_non_null(s);
	assert_int_equal(orsp_base64_encode(p, n, s, cap), ORSP_OK);
	return s;
}

/* The transactionId of bpp's InitialiseSecureChannelRequest (BF23 { 82 remoteOpId, 80
 * transactionId, ... }) made tid_hex, in place (the same length, 16 bytes). */
static void set_bpp_tid(uint8_t *bpp, size_t n, const char *tid_hex)
{
	orsp_tlv top, isc, f;
	orsp_reader r;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, n), &top), ORSP_OK);
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &isc), ORSP_OK);
	orsp_reader_init(&r, isc.value.p, isc.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x82, &f), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x80, &f), ORSP_OK);
	assert_int_equal(f.value.len, 16);
	assert_int_equal(orsp_hex_decode_exact(tid_hex, bpp + (f.value.p - bpp), 16), ORSP_OK);
}

/* base (a BPP) with its sequenceOf88 replaced by a1, the contents of an A1 (A2 dropped), in
 * base64. */
static char *bpp_with_a1(const uint8_t *base, size_t n, const uint8_t *a1, size_t a1_len)
{
	orsp_tlv top, part;
	orsp_reader r;
	orsp_writer w;
	orsp_der_mark m;
	uint8_t *out = malloc(n + a1_len + 64);
	char *s;

	assert_non_null(out);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(base, n), &top), ORSP_OK);
	orsp_writer_init(&w, out, n + a1_len + 64);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
		if (part.tag == 0xA1)
			orsp_der_put_tlv(&w, 0xA1, a1, a1_len);
		else if (part.tag != 0xA2)
			orsp_write_bytes(&w, part.raw.p, part.raw.len);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	s = b64(out, w.len);
	free(out);
	return s;
}

/* base64 of base's BF36 with BF23 first, then its parts in the order given: a digit k is
 * base's part tagged A0 + k ("013": the test package as it is, which has no A2; k = 2 then
 * stands for an A2 holding one 87 element); k = 4 is an A3 holding one 87 element, k = 5 an
 * empty A0. */
static char *bpp_parts_b64(const uint8_t *base, size_t n, const char *order)
{
	orsp_tlv top, part;
	orsp_reader r;
	orsp_writer w;
	orsp_der_mark m;
	uint8_t *out = malloc(2 * n + 64);
	char *s;

	assert_non_null(out);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(base, n), &top), ORSP_OK);
	orsp_writer_init(&w, out, 2 * n + 64);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &part), ORSP_OK);
	orsp_write_bytes(&w, part.raw.p, part.raw.len);
	for (const char *o = order; *o; o++) {
		bool found = false;
		if (*o == '4') {
			orsp_der_put_tlv(&w, 0xA3, (const uint8_t *)"\x87\x01\x00", 3);
			continue;
		}
		if (*o == '5') {
			orsp_der_put_tlv(&w, 0xA0, NULL, 0);
			continue;
		}
		orsp_reader_init(&r, top.value.p, top.value.len);
		while (orsp_reader_remaining(&r)) {
			assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
			if (part.tag == 0xA0u + (unsigned)(*o - '0')) {
				orsp_write_bytes(&w, part.raw.p, part.raw.len);
				found = true;
			}
		}
		if (!found && *o == '2')
			orsp_der_put_tlv(&w, 0xA2, (const uint8_t *)"\x87\x01\x00", 3);
		else
			assert_true(found);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	s = b64(out, w.len);
	free(out);
	return s;
}

/* The contents of an A1 carrying meta_hex in segs '88' segments (each its share of the
 * metadata, then 8 bytes standing for its C-MAC, which the LPA cannot check). */
static size_t a1_of(const char *meta_hex, size_t segs, uint8_t *out, size_t cap)
{
	uint8_t meta[512], seg[512];
	size_t ml = 0, off = 0;
	orsp_writer w;

	assert_int_equal(orsp_hex_decode(meta_hex, meta, sizeof(meta), &ml), ORSP_OK);
	orsp_writer_init(&w, out, cap);
	for (size_t i = 0; i < segs; i++) {
		size_t k = i + 1 == segs ? ml - off : ml / segs;
		memcpy(seg, meta + off, k);
		memset(seg + k, 0xEE, 8);
		orsp_der_put_tlv(&w, 0x88, seg, k + 8);
		off += k;
	}
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

static const char *const fn_names[5] = {"initiateAuthentication", "authenticateClient",
                                        "getBoundProfilePackage", "handleNotification",
                                        "cancelSession"};

/* The package getBoundProfilePackage answers: bpp_b64 when a test set one; else pySim's BPP
 * (whose A1 wraps each segment twice, as SGP.22 does not) with a conforming A1 carrying
 * bpp_meta, or the metadata authenticateClient gave, so the metadata match unless a test
 * makes them differ. */
static char *bpp_b64_of(const smdp *s)
{
	uint8_t a1[1024];
	size_t n;

	if (s->bpp_b64)
		return strdup(s->bpp_b64);
	n = a1_of(s->bpp_meta ? s->bpp_meta
	          : s->meta   ? s->meta
	                      : META,
	          s->meta_segs ? s->meta_segs : 1, a1, sizeof(a1));
	return bpp_with_a1(s->bpp_base, s->bpp_base_len, a1, n);
}

/* s->spoil applied to out, the answer to function fn. */
static void spoil_field(const smdp *s, int fn, json_t *out)
{
	uint8_t v[4096];
	size_t n = 0, k = 0;

	if (!s->spoil.field || s->spoil.fn != fn)
		return;
	if (s->spoil.append)
		assert_int_equal(orsp_json_get_base64(out, s->spoil.field, v, sizeof(v), &n),
		                 ORSP_OK);
	assert_int_equal(orsp_hex_decode(s->spoil.hex, v + n, sizeof(v) - n, &k), ORSP_OK);
	assert_int_equal(orsp_json_put_base64(out, s->spoil.field, v, n + k), ORSP_OK);
}

static orsp_err smdp_handle(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	smdp *s = ctx;
	const char *fn = strrchr(req->path, '/') + 1;
	int i = 0;
	json_t *in = NULL, *out = NULL;
	orsp_err e;

	while (i < 5 && strcmp(fn_names[i], fn))
		i++;
	assert_true(i < 5);
	if (s->n < 16)
		snprintf(s->calls[s->n++], 32, "%s", fn);
	snprintf(s->admin, sizeof(s->admin), "%s",
	         orsp_http_request_header(req, "X-Admin-Protocol")
	             ? orsp_http_request_header(req, "X-Admin-Protocol")
	             : "");
	snprintf(s->agent, sizeof(s->agent), "%s",
	         orsp_http_request_header(req, "User-Agent")
	             ? orsp_http_request_header(req, "User-Agent")
	             : "");
	if (orsp_json_parse(req->body, req->body_len, 1 << 20, &in) == ORSP_OK) {
		json_decref(s->last_req[i]);
		s->last_req[i] = in;
	}
	if (s->mode[i] == ANS_SLOW) {
		__atomic_store_n(s->stop_flag, 1, __ATOMIC_RELAXED);
		usleep(2500 * 1000);
		s->mode[i] = ANS_OK;
	}
	if (s->mode[i] == ANS_500)
		return orsp_http_response_set_body(resp, 500, "text/plain", "oops", 4);
	if (s->mode[i] == ANS_400)
		return orsp_http_response_set_body(resp, 400, "text/plain", "bad", 3);
	if (s->mode[i] == ANS_204)
		return orsp_http_response_set_body(resp, 204, NULL, NULL, 0);
	if (s->mode[i] == ANS_EMPTY)
		return orsp_http_response_set_body(resp, 200, "application/json", NULL, 0);
	if (s->mode[i] == ANS_NO_HEADER)
		return orsp_http_response_set_body(resp, 200, "application/json", "{}", 2);
	if (s->mode[i] == ANS_NOT_JSON)
		return orsp_http_response_set_body(resp, 200, "application/json", "{\"a\":", 5);
	if (s->mode[i] == ANS_HUGE) {
		size_t n = ORSP_HTTP_DEFAULT_MAX_RESPONSE + 1;
		char *big = malloc(n);
		assert_non_null(big);
		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		e = orsp_http_response_set_body(resp, 200, "application/json", big, n);
		free(big);
		return e;
	}
	if (i == 3 && s->mode[i] == ANS_OK)
		return orsp_http_response_set_body(resp, 204, NULL, NULL, 0);
	if (i == 0 && s->mode[i] == ANS_OK) {
		size_t n = 0;
		uint8_t *b =
		    test_read_vector("sgp22/es9p/thales_initiateAuthentication_response.json", &n);
		if (s->tid || s->spoil.field) { /* the captured answer, changed */
			assert_int_equal(orsp_json_parse(b, n, 1 << 20, &out), ORSP_OK);
			if (s->tid)
				assert_int_equal(orsp_json_put_string(out, "transactionId", s->tid),
				                 ORSP_OK);
			spoil_field(s, 0, out);
			e = orsp_http_response_set_json(resp, 200, out);
			json_decref(out);
		} else {
			e = orsp_http_response_set_body(
			    resp, 200, s->ctype ? s->ctype : "application/json", b, n);
		}
		if (!e && s->admin_hdr)
			e = orsp_http_response_add_header(resp, "X-Admin-Protocol", s->admin_hdr);
		free(b);
		if (s->oom_at)
			test_ossl_fail_only(s->oom_at);
		return e;
	}
	out = json_object();
	if (s->mode[i] == ANS_HEADER_ONLY) {
		e = orsp_json_header_put_success(out);
	} else if (s->mode[i] == ANS_EXPIRED) {
		orsp_json_status st = {.status = ORSP_FES_EXPIRED};
		e = orsp_json_header_put(out, &st);
	} else if (s->mode[i] == ANS_FAILED) {
		e = orsp_json_header_put_failed(out,
		                                s->subject ? s->subject
		                                : i == 0   ? "8.8.1"
		                                           : "8.2.6",
		                                s->reason ? s->reason : "3.8",
		                                s->message ? s->message : "refused by the test");
	} else if (i == 1) {
		uint8_t s2[64];
		size_t n = 0;
		assert_int_equal(orsp_hex_decode(s->s2   ? s->s2
		                                 : s->cc ? "30158010" TID "0101FF"
		                                         : "30158010" TID "010100",
		                                 s2, sizeof(s2), &n),
		                 ORSP_OK);
		uint8_t meta[600], sig[67];
		size_t ml = 0, sl = 0;
		assert_int_equal(orsp_hex_decode(s->meta ? s->meta : META, meta, sizeof(meta), &ml),
		                 ORSP_OK);
		assert_int_equal(orsp_hex_decode(SIG64, sig, sizeof(sig), &sl), ORSP_OK);
		e = orsp_json_header_put_success(out);
		if (!e)
			e = orsp_json_put_string(out, "transactionId", s->ac_tid ? s->ac_tid : TID);
		if (!e)
			e = orsp_json_put_base64(out, "profileMetadata", meta, ml);
		if (!e)
			e = orsp_json_put_base64(out, "smdpSigned2", s2, n);
		if (!e)
			e = orsp_json_put_base64(out, "smdpSignature2", sig, sl);
		if (!e)
			e = orsp_json_put_string(out, "smdpCertificate", s->dpcert_b64);
		if (!e)
			spoil_field(s, 1, out);
	} else if (i == 2) {
		char *bpp = bpp_b64_of(s);
		e = orsp_json_header_put_success(out);
		if (!e)
			e = orsp_json_put_string(out, "transactionId",
			                         s->gbpp_tid ? s->gbpp_tid : TID);
		if (!e)
			e = orsp_json_put_string(out, "boundProfilePackage", bpp);
		free(bpp);
	} else {
		e = orsp_json_header_put_success(out);
	}
	if (!e)
		e = orsp_http_response_set_json(resp, 200, out);
	json_decref(out);
	return e;
}

/* ---------------------------------------------------------------- fixture -------------- */

typedef struct fx {
	orsp_euicc_apdu_ctx ctx;
	uint8_t cbuf[ORSP_EUICC_MAX_COMMAND * 4], rbuf[ORSP_EUICC_MAX_RESPONSE];
	card card;
	smdp smdp;
	orsp_lpa_card lc;
	orsp_http_server *srv;
	char base[64];
	orsp_lpa_route route;
	orsp_lpa_server server;
	orsp_lpa_ac ac;
	uint8_t *bpp;
	size_t bpp_len;
	int steps[8];
	size_t n_steps;
	bool refuse;
	bool unanswered; /* with refuse or CONSENT_NO: nobody answered (the input ended) */
	volatile sig_atomic_t stop; /* the download's stop flag (a signal's) */
	int stop_in; /* 1: set at the first progress step, 2: in confirm, 3: at the download step */
	orsp_lpa_profile offered; /* what confirm was shown */
	bool pending;             /* result_pending of the last download */
	bool lost;                /* result_lost of the last download */
	bool left;                /* result_left of the last download */
	uint64_t left_seq;
	bool already;          /* already_installed of the last download */
	size_t delivered;      /* results_delivered of the last download */
	int consent;           /* CONSENT_*: the consent callback given and its answer */
	uint32_t preconsent;   /* the PPRs consented to beforehand */
	uint32_t preconsented; /* those of them that needed consent (the option's out) */
	uint32_t consent_ppr;  /* the PPRs it was asked about */
	int n_confirm, n_consent;
	const char *address_from; /* the download option: where the address came from */
	const char *tls_priorities; /* start_server's, NULL for the default */
} fx;

enum { CONSENT_NONE, CONSENT_YES, CONSENT_NO };

static orsp_err start_server(fx *x, const char *cert_file, const char *key_file)
{
	orsp_http_route routes[5];
	orsp_http_server_config cfg = {0};
	orsp_err e;
	for (int i = 0; i < 5; i++) {
		static char paths[5][64];
		snprintf(paths[i], sizeof(paths[i]), "/gsma/rsp2/es9plus/%s", fn_names[i]);
		routes[i] = (orsp_http_route){"POST", paths[i], smdp_handle, &x->smdp};
	}
	cfg.routes = routes;
	cfg.n_routes = 5;
	cfg.threads = 1;
	cfg.cert_file = cert_file;
	cfg.key_file = key_file;
	cfg.on_request = NULL;
	cfg.tls_priorities = x->tls_priorities;
	e = orsp_http_server_start(&cfg, &x->srv);
	if (!e)
		snprintf(x->base, sizeof(x->base), "%s://127.0.0.1:%u",
		         cert_file ? "https" : "http", orsp_http_server_port(x->srv));
	return e;
}

static int setup(void **state)
{
	fx *x = calloc(1, sizeof(*x));
	uint8_t aid[16];
	orsp_lpa_transport t;
	orsp_tlv top, part, seg;
	orsp_reader r, sr;
	uint8_t *cert;
	size_t cl = 0;

	assert_non_null(x);
	assert_int_equal(
	    orsp_euicc_apdu_init(&x->ctx, x->cbuf, sizeof(x->cbuf), x->rbuf, sizeof(x->rbuf)),
	    ORSP_OK);
	assert_int_equal(orsp_hex_decode_exact(ORSP_LPA_ISDR_AID, aid, 16), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&x->ctx, aid, 16, &card_ops, &x->card), ORSP_OK);
	assert_int_equal(orsp_lpa_transport_apdu(&x->ctx, &t), ORSP_OK);
	assert_int_equal(orsp_lpa_card_open(&x->lc, &t), ORSP_OK);
	/* pySim's BPP (osmo-smdpp), its sequenceOf88 made to carry the metadata the SM-DP+
	 * gives (bpp_b64_of); its last 86 segment makes the card answer the PIR. It was made in
	 * another session: its InitialiseSecureChannelRequest's transactionId (DF9C0EF4...)
	 * becomes this session's, TID, as a package of this session would carry. */
	x->bpp = test_read_vector("sgp22/bpp/bpp.der", &x->bpp_len);
	assert_non_null(x->bpp);
	set_bpp_tid(x->bpp, x->bpp_len, TID);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(x->bpp, x->bpp_len), &top), ORSP_OK);
	orsp_reader_init(&r, top.value.p, top.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
		if (part.tag != 0xA3)
			continue;
		orsp_reader_init(&sr, part.value.p, part.value.len);
		while (orsp_reader_remaining(&sr)) {
			assert_int_equal(orsp_der_read(&sr, &seg), ORSP_OK);
			x->card.last_seg = seg.raw.p;
			x->card.last_seg_len = seg.raw.len;
		}
	}
	assert_non_null(x->card.last_seg);
	x->card.n_notif = 1;
	x->smdp.bpp_base = x->bpp;
	x->smdp.bpp_base_len = x->bpp_len;
	x->smdp.stop_flag = &x->stop;
	cert = test_read_vector("sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", &cl);
	assert_non_null(cert);
	x->smdp.dpcert_b64 = b64(cert, cl);
	free(cert);
	assert_int_equal(start_server(x, NULL, NULL), ORSP_OK);
	/* the Thales address, routed to the local server */
	x->route.fqdn = THALES_FQDN;
	x->route.base_url = x->base;
	x->server.routes = &x->route;
	x->server.n_routes = 1;
	x->server.insecure = true; /* plain HTTP */
	x->server.timeout_ms = 10000;
	assert_int_equal(orsp_lpa_ac_parse("LPA:1$" THALES_FQDN "$TEST-MATCHING-ID", &x->ac),
	                 ORSP_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fx *x = *state;
	orsp_http_server_stop(x->srv, 1000);
	orsp_lpa_card_close(&x->lc);
	for (int i = 0; i < 5; i++)
		json_decref(x->smdp.last_req[i]);
	free(x->smdp.bpp_b64);
	free(x->smdp.dpcert_b64);
	free(x->bpp);
	free(x);
	return 0;
}

static void on_progress(void *arg, orsp_lpa_step step, const char *what)
{
	fx *x = arg;
	(void)what;
	if (x->stop_in == 1 || (x->stop_in == 3 && step == ORSP_LPA_STEP_DOWNLOAD))
		x->stop = 1;
	if (x->n_steps < 8)
		x->steps[x->n_steps++] = (int)step;
}

static bool on_confirm(void *arg, const orsp_lpa_profile *meta)
{
	fx *x = arg;
	x->offered = *meta;
	x->n_confirm++;
	if (x->stop_in == 2)
		x->stop = 1;
	assert_string_equal(meta->iccid, ICCID1);
	if (!x->smdp.meta) {
		assert_string_equal(meta->name, "TS48 test");
		assert_string_equal(meta->spn, "OpenRSP");
	}
	return !x->refuse;
}

static bool on_consent(void *arg, const orsp_lpa_profile *meta, uint32_t ppr)
{
	fx *x = arg;
	x->n_consent++;
	x->consent_ppr = ppr;
	/* after confirm, about the same profile */
	assert_int_equal(x->n_confirm, x->n_consent);
	assert_string_equal(meta->iccid, ICCID1);
	return x->consent == CONSENT_YES;
}

static orsp_err run(fx *x, const char *cc, char iccid[21])
{
	orsp_lpa_download_opts o = {.ac = &x->ac,
	                            .address_from = x->address_from,
	                            .cc = cc,
	                            .server = &x->server,
	                            .confirm = on_confirm,
	                            .preconsent = x->preconsent,
	                            .preconsented = &x->preconsented,
	                            .consent = x->consent != CONSENT_NONE ? on_consent : NULL,
	                            .unanswered = &x->unanswered,
	                            .stop = &x->stop,
	                            .progress = on_progress,
	                            .arg = x,
	                            .result_pending = &x->pending,
	                            .result_lost = &x->lost,
	                            .result_left = &x->left,
	                            .result_left_seq = &x->left_seq,
	                            .already_installed = &x->already,
	                            .results_delivered = &x->delivered};
	orsp_err e = orsp_lpa_download(&x->lc, &o, iccid);
	if (e)
		fprintf(stderr, "download: %s: %s\n", orsp_err_str(e), orsp_err_detail());
	return e;
}

static bool card_saw(const fx *x, uint32_t tag)
{
	for (size_t i = 0; i < x->card.n; i++)
		if (x->card.tags[i] == tag)
			return true;
	return false;
}

static void assert_calls(const fx *x, const char *const *want, size_t n)
{
	if (x->smdp.n != n)
		fail_msg("%zu ES9+ calls, expected %zu (first %s)", x->smdp.n, n,
		         x->smdp.n ? x->smdp.calls[0] : "-");
	for (size_t i = 0; i < n; i++)
		assert_string_equal(x->smdp.calls[i], want[i]);
}

/* The pendingNotification of the last handleNotification is pir_hex, verbatim. */
static void assert_delivered(const fx *x, const char *pir_hex)
{
	uint8_t pir[512], got[512];
	size_t pl = 0, gl = 0;
	assert_int_equal(orsp_hex_decode(pir_hex, pir, sizeof(pir), &pl), ORSP_OK);
	assert_int_equal(
	    orsp_json_get_base64(x->smdp.last_req[3], "pendingNotification", got, sizeof(got), &gl),
	    ORSP_OK);
	assert_int_equal(gl, pl);
	assert_bytes_equal(got, pir, pl);
}

/* ---------------------------------------------------------------- tests ---------------- */

static void test_download_ok(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "getBoundProfilePackage", "handleNotification"};
	/* GetProfilesInfo (BF2D) once the metadata is known: the ICCID not on the eUICC yet */
	static const uint32_t es10[] = {0xBF2E, 0xBF20, 0xBF38, 0xBF2D, 0xBF21, 0xBF36};
	const char *s;
	size_t sl;

	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_false(x->already);
	assert_calls(x, calls, 4);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(es10); i++)
		assert_int_equal(x->card.tags[i], es10[i]);
	assert_false(card_saw(x, 0xBF41));
	/* no PPRs in the metadata: no GetRAT */
	assert_false(card_saw(x, 0xBF43));
	assert_int_equal(x->offered.ppr, 0);
	/* the PIR notification was accepted, then removed from the eUICC (seq 5) */
	assert_true(x->card.removed);
	assert_int_equal(x->card.removed_seq, 5);
	assert_false(x->left);
	/* SGP.22 headers */
	assert_string_equal(x->smdp.admin, "gsma/rsp/v2.2.0");
	assert_string_equal(x->smdp.agent, "gsma-rsp-lpad");
	/* initiateAuthentication equals the captured production request */
	{
		size_t n = 0;
		uint8_t *raw =
		    test_read_vector("sgp22/es9p/thales_initiateAuthentication_request.json", &n);
		json_t *want = NULL;
		assert_int_equal(orsp_json_parse(raw, n, 1 << 20, &want), ORSP_OK);
		assert_true(json_equal(want, x->smdp.last_req[0]));
		json_decref(want);
		free(raw);
	}
	assert_int_equal(orsp_json_get_string(x->smdp.last_req[1], "transactionId", 64, &s, &sl),
	                 ORSP_OK);
	assert_string_equal(s, TID);
	/* AuthenticateServer carries the server's fields verbatim and ctxParams1 with the
	 * matching ID and a deviceInfo */
	{
		orsp_tlv t, f;
		orsp_reader r;
		uint32_t want_tags[] = {0x30, 0x5F37, 0x04, 0x30, 0xA0};
		size_t k = 0;
		assert_int_equal(
		    orsp_der_parse_one(orsp_slice_make(x->card.bf38, x->card.bf38_len), &t),
		    ORSP_OK);
		assert_int_equal(t.tag, 0xBF38);
		orsp_reader_init(&r, t.value.p, t.value.len);
		while (orsp_reader_remaining(&r)) {
			assert_int_equal(orsp_der_read(&r, &f), ORSP_OK);
			assert_true(k < 5);
			assert_int_equal(f.tag, want_tags[k++]);
		}
		assert_int_equal(k, 5);
		assert_non_null(find(f.value.p, f.value.len, "\x80\x10TEST-MATCHING-ID", 18));
		assert_int_equal(orsp_der_validate(t.raw, 16), ORSP_OK);
	}
	/* no hashCc without ccRequiredFlag */
	assert_null(find(x->card.bf21, x->card.bf21_len, "\x04\x20", 2));
	assert_true(x->n_steps >= 4);
	assert_int_equal(x->steps[0], ORSP_LPA_STEP_AUTHENTICATE);
}

/* Every block the code linked into this test frees (free, and the old block of a realloc)
 * during a download, looked at for hashCc: with the transactionId a short confirmation code is
 * found from it by trying them all, so the LPA and the SM-DP+ wipe the buffers that held it
 * (the PrepareDownload command and answer, the request body, the base64 text). libcurl's own
 * copies are out of sight here (its frees are not this program's). */
void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);
/* the fake SM-DP+'s thread frees too: the flag and the count are atomic, the value is
 * written before the flag is set */
static uint8_t hcc_watched[32];
static atomic_bool hcc_watch;
static atomic_uint hcc_left;

static void hcc_look(void *p)
{
	if (atomic_load(&hcc_watch) && p &&
	    memmem(p, malloc_usable_size(p), hcc_watched, sizeof(hcc_watched)))
		atomic_fetch_add(&hcc_left, 1);
}

void __wrap_free(void *p)
{
	hcc_look(p);
	__real_free(p);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (!p || !n)
		return __real_realloc(p, n);
	/* always moves, as it may in a fragmented heap: the old block is freed */
	void *q = malloc(n);
	if (!q)
		return NULL;
	size_t old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	__wrap_free(p);
	return q;
}

static void test_download_cc(void **state)
{
	fx *x = *state;
	char iccid[21];
	uint8_t want[34] = {0x04, 0x20};

	x->smdp.cc = true;
	/* hashCc of test_lpa_ac (computed with openssl outside this code base) */
	assert_int_equal(
	    orsp_hex_decode_exact(
	        "f05dbc18961d2c36099644eaeb428bfcd05c64337486afc9aeac48c54eb4be5d", want + 2, 32),
	    ORSP_OK);
	/* the check sees a block freed with hashCc in it */
	memcpy(hcc_watched, want + 2, 32);
	atomic_store(&hcc_watch, true);
	{
		uint8_t *probe = malloc(64);
		assert_non_null(probe);
		memcpy(probe + 7, want + 2, 32);
		__wrap_free(probe); /* by its name: stores just before a free() may be dropped */
		assert_int_equal(atomic_load(&hcc_left), 1);
		atomic_store(&hcc_left, 0);
	}
	assert_int_equal(run(x, "12345678", iccid), ORSP_OK);
	atomic_store(&hcc_watch, false);
	assert_int_equal(atomic_load(&hcc_left), 0);
	assert_non_null(find(x->card.bf21, x->card.bf21_len, want, 34));
}

static void test_download_cc_missing(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "cancelSession"};
	x->smdp.cc = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(),
	                    "this profile needs a confirmation code (-c CODE) (session cancelled)");
	assert_calls(x, calls, 3);
	assert_true(card_saw(x, 0xBF41));
	assert_false(card_saw(x, 0xBF21));
}

static void test_download_refused(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "cancelSession"};
	x->refuse = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_POLICY);
	assert_calls(x, calls, 3);
	assert_true(card_saw(x, 0xBF41));
	assert_false(card_saw(x, 0xBF21));
	assert_string_equal(iccid, "");
}

static void reset(fx *x);
static uint8_t cancel_reason(const fx *x);

/* A GetEUICCInfo1 answer that is no EUICCInfo1 (another tag, bytes after it, empty, not
 * DER inside) is the card's fault, said so, and nothing goes to the SM-DP+: it was sent on
 * in initiateAuthentication as it came, until session 56. */
static void test_info1_checked(void **state)
{
	static const char *const bad[] = {
	    "3003010203",     "BF2003820102DEADBEEF", "", "BF20038201",
	    "BF2004A9028201", "BF20058203020202", /* no euiccCiPKIdListForVerification */
	};
	fx *x = *state;
	char iccid[21];

	for (size_t k = 0; k < ORSP_ARRAY_LEN(bad); k++) {
		reset(x);
		x->card.info1 = bad[k];
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		if (!strstr(orsp_err_detail(), "card: GetEUICCInfo1 answer"))
			fail_msg("case %zu: %s", k, orsp_err_detail());
		assert_int_equal(x->smdp.n, 0);
		assert_false(card_saw(x, 0xBF38));
	}
	x->card.info1 = NULL;
}

/* 8.8.1/3.8, the SM-DP+ address refused: the advice names where the address came from, the
 * activation code or (no activation code) the eUICC's default SM-DP+ address. */
static void test_initiate_failed(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->smdp.mode[0] = ANS_FAILED;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(
	    orsp_err_detail(),
	    "SM-DP+ refused initiateAuthentication (Failed 8.8.1/3.8 refused by the "
	    "test): the server reached is another SM-DP+ than the address named "
	    "(the activation code's): check that address and --server-url");
	assert_false(card_saw(x, 0xBF38));
	assert_int_equal(x->smdp.n, 1);

	x->smdp.n = 0;
	x->address_from = "the eUICC's default SM-DP+ address";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(
	    orsp_err_detail(),
	    "SM-DP+ refused initiateAuthentication (Failed 8.8.1/3.8 refused by the "
	    "test): the server reached is another SM-DP+ than the address named "
	    "(the eUICC's default SM-DP+ address): check that address and "
	    "--server-url");
	assert_null(strstr(orsp_err_detail(), "activation code"));
	assert_int_equal(x->smdp.n, 1);
}

/* Text from the SM-DP+ reaches the user's terminal only without control characters: the
 * profile's names (CR, ESC, LF, DEL, a C1 CSI each become '?', UTF-8 stays; a byte that
 * is not UTF-8 is refused: test_metadata_strict) and the message of a refusal (one line). */
static void test_server_text_sanitised(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.meta = META_CONTROLS;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(x->offered.name, "TS48??[2Ktest??");
	assert_string_equal(x->offered.spn, "Op\xC3\xA9ra?1m?");

	x->smdp.mode[0] = ANS_FAILED;
	x->smdp.message = "line one\r\nline two\x1b[31m red\xc2\x9b";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_non_null(
	    strstr(orsp_err_detail(), "(Failed 8.8.1/3.8 line one??line two?[31m red?)"));
	assert_null(strpbrk(orsp_err_detail(), "\r\n\x1b"));
	/* nor what reorders or hides text: an override, an isolate, a mark, a zero-width
	 * space, a separator, a BOM */
	x->smdp.message = "call \u202E1234\u202C \u2067x\u2069\u200F\u200B\u2028\uFEFF";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "(Failed 8.8.1/3.8 call ?1234? ?x????"
	                                          "?)"));
}

static void test_authenticate_500(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "cancelSession"};
	x->smdp.mode[1] = ANS_500;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "500"));
	assert_calls(x, calls, 3);
	assert_true(card_saw(x, 0xBF41));
	assert_int_equal(cancel_reason(x), 127); /* a fault: undefinedReason, not postponed */
}

static const char *const calls_cancelled[3];

/* A package larger than its answer's share used to be (a BPP with applets: here 1 MiB of
 * segments, above 256 KiB and, in base64, above 1 MiB of JSON) is taken and loaded whole; an
 * answer above the HTTP client's 16 MiB is ORSP_E_RESOURCE "larger than the LPA takes", not
 * a malformed answer, and the session is cancelled. */
static void test_large_package(void **state)
{
	fx *x = *state;
	char iccid[21];
	size_t segs = 1100, cap = x->bpp_len + segs * 1024 + 64, pieces = 0;
	uint8_t *big = malloc(cap), seg[1000];
	orsp_tlv top, part;
	orsp_reader r;
	orsp_writer w;
	orsp_der_mark m, a3;

	assert_non_null(big);
	memset(seg, 0x5A, sizeof(seg));
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(x->bpp, x->bpp_len), &top), ORSP_OK);
	orsp_writer_init(&w, big, cap);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
		if (part.tag != 0xA3) {
			orsp_write_bytes(&w, part.raw.p, part.raw.len);
			continue;
		}
		/* the segments before the package's own, whose last makes the card answer */
		a3 = orsp_der_begin(&w, 0xA3);
		for (size_t i = 0; i < segs; i++)
			orsp_der_put_tlv(&w, 0x86, seg, sizeof(seg));
		orsp_write_bytes(&w, part.value.p, part.value.len);
		orsp_der_end(&w, a3);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_true(w.len > 1024 * 1024);
	x->smdp.bpp_base = big;
	x->smdp.bpp_base_len = w.len;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	for (size_t i = 0; i < x->card.n; i++)
		pieces += x->card.tags[i] == 0x86;
	assert_true(pieces >= 1000); /* the card's log holds 1024 commands */
	x->smdp.bpp_base = x->bpp;
	x->smdp.bpp_base_len = x->bpp_len;
	x->smdp.stop_flag = &x->stop;
	free(big);

	/* above the HTTP client's cap */
	reset(x);
	x->smdp.mode[2] = ANS_HUGE;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_RESOURCE);
	assert_string_equal(
	    orsp_err_detail(),
	    "SM-DP+ getBoundProfilePackage: the answer is larger than the LPA takes "
	    "(16777216 bytes) (session cancelled)");
	assert_true(card_saw(x, 0xBF41));
	assert_false(card_saw(x, 0xBF36));
}

/* Only handleNotification may answer nothing (204, or 200 without a body). Another function
 * answering 204, an empty body, JSON without a header or without a field it must carry is a
 * malformed answer named after the function; after AuthenticateServer the session is cancelled on
 * both sides. */
static void test_malformed_answers(void **state)
{
	static const struct {
		int fn, mode;
		const char *detail;
	} t[] = {
	    {0, ANS_204, "SM-DP+ initiateAuthentication: malformed answer: empty (HTTP 204)"},
	    {0, ANS_EMPTY, "SM-DP+ initiateAuthentication: malformed answer: empty (HTTP 200)"},
	    {0, ANS_NO_HEADER, "SM-DP+ initiateAuthentication: malformed answer: header: missing"},
	    {0, ANS_HEADER_ONLY, "SM-DP+ initiateAuthentication: malformed answer: transactionId"},
	    {1, ANS_204, "SM-DP+ authenticateClient: malformed answer: empty (HTTP 204)"},
	    {1, ANS_EMPTY, "SM-DP+ authenticateClient: malformed answer: empty (HTTP 200)"},
	    {1, ANS_NO_HEADER, "SM-DP+ authenticateClient: malformed answer: header: missing"},
	    {1, ANS_HEADER_ONLY, "SM-DP+ authenticateClient: malformed answer: transactionId"},
	    {2, ANS_204, "SM-DP+ getBoundProfilePackage: malformed answer: empty (HTTP 204)"},
	    {2, ANS_NO_HEADER, "SM-DP+ getBoundProfilePackage: malformed answer: header: missing"},
	    {2, ANS_HEADER_ONLY, "SM-DP+ getBoundProfilePackage: malformed answer: transactionId"},
	    /* the parser's words, where it stopped */
	    {1, ANS_NOT_JSON, "SM-DP+ authenticateClient: malformed answer: JSON: "},
	    {2, ANS_NOT_JSON, "SM-DP+ getBoundProfilePackage: malformed answer: JSON: "},
	};
	fx *x = *state;
	char iccid[21];

	for (size_t k = 0; k < ORSP_ARRAY_LEN(t); k++) {
		reset(x);
		memset(x->smdp.mode, 0, sizeof(x->smdp.mode));
		x->smdp.mode[t[k].fn] = t[k].mode;
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		if (!strstr(orsp_err_detail(), t[k].detail))
			fail_msg("case %zu: %s", k, orsp_err_detail());
		assert_false(card_saw(x, 0xBF36));
		if (t[k].fn == 0) {
			assert_false(card_saw(x, 0xBF38));
			assert_int_equal(x->smdp.n, 1);
		} else {
			assert_true(card_saw(x, 0xBF41));
			assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
			assert_non_null(strstr(orsp_err_detail(), "(session cancelled)"));
		}
	}
	/* handleNotification answered 200 with no body: the result was delivered */
	reset(x);
	memset(x->smdp.mode, 0, sizeof(x->smdp.mode));
	x->smdp.mode[3] = ANS_EMPTY;
	x->card.removed = false;
	x->pending = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_false(x->pending);
	assert_true(x->card.removed);
}

static void test_gbpp_failed(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->smdp.mode[2] = ANS_FAILED;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_true(card_saw(x, 0xBF41));
	assert_false(card_saw(x, 0xBF36));
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
	assert_non_null(strstr(orsp_err_detail(), "new activation code (session cancelled)"));
	assert_int_equal(cancel_reason(x), 127); /* the SM-DP+ refused: nobody postponed */
	/* a 500: the same */
	reset(x);
	x->smdp.mode[2] = ANS_500;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_IO);
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
	assert_int_equal(cancel_reason(x), 127);
	x->smdp.mode[2] = ANS_OK;
}

/* The codes of an SM-DP+ whose order ended, changed or ran out of tries get advice of their
 * own, not the catch-all: 8.2/3.7 from getBoundProfilePackage (no new binding: the order
 * ended since authenticateClient), 8.8.5/6.4 and 8.8.5/4.10 from authenticateClient (the
 * download retried too often, the order expired). */
static void test_refusal_advice(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const struct {
		int fn;
		const char *subject, *reason, *advice;
	} t[] = {
	    {2, "8.2", "3.7",
	     "the order ended or changed since this download began: ask the operator"},
	    {1, "8.8.5", "6.4",
	     "the download was tried too often: ask the operator for a new order"},
	    {1, "8.8.5", "4.10", "the order has expired: ask the operator for a new one"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(x->smdp.mode, 0, sizeof(x->smdp.mode));
		x->smdp.n = 0;
		x->smdp.mode[t[i].fn] = ANS_FAILED;
		x->smdp.subject = t[i].subject;
		x->smdp.reason = t[i].reason;
		assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
		if (!strstr(orsp_err_detail(), t[i].advice))
			fail_msg("%s/%s: %s", t[i].subject, t[i].reason, orsp_err_detail());
		assert_null(strstr(orsp_err_detail(), "check the activation code or ask"));
	}
}

/* An answer Expired without statusCodeData (SGP.22 requires it for Failed only) is a refusal
 * without codes: none is quoted (it was "(Expired /)"), and the session is cancelled. */
static void test_refused_without_codes(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->smdp.mode[1] = ANS_EXPIRED;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "SM-DP+ refused authenticateClient (Expired): "));
	assert_null(strstr(orsp_err_detail(), "/)"));
	assert_true(card_saw(x, 0xBF41));
	assert_false(card_saw(x, 0xBF21));
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
}

/* The SM-DP+ fails its cancelSession too (osmo-smdpp answers 500 when authenticateClient
 * was refused): the first error, and the message does not claim the session is gone there. */
static void test_cancel_not_confirmed(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->smdp.mode[2] = ANS_FAILED;
	x->smdp.mode[4] = ANS_500;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_true(card_saw(x, 0xBF41));
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
	assert_non_null(strstr(orsp_err_detail(), "new activation code (session cancelled on the "
	                                          "eUICC; the SM-DP+ did not confirm it)"));
	assert_null(strstr(orsp_err_detail(), "(session cancelled)"));
}

static void test_euicc_refuses_server(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->card.refuse_server = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "ciPKUnknown")); /* error code 7 */
	assert_false(card_saw(x, 0xBF21));
	/* the SM-DP+ still learns why (authenticateClient with the error) */
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "authenticateClient");
}

/* An AuthenticateServer answer the LPA cannot read: the eUICC may hold a session all the
 * same, so it is cancelled on both sides (undefinedReason: a fault, no End User postponing;
 * postponed until session 70), and authenticateClient is not sent.
 * Only authenticateResponseError (A1) is the eUICC refusing: a well-formed BF38 with another
 * choice is unreadable too, never forwarded as a refusal. */
static void test_authenticate_server_unreadable(void **state)
{
	static const char *const calls[] = {"initiateAuthentication", "cancelSession"};
	static const char *const answers[] = {
	    "BF3800",         /* empty */
	    "BF3802A200",     /* a choice SGP.22 does not define */
	    "BF3803800100",   /* a primitive one */
	    "BF3804A100A000", /* two choices */
	};
	static const uint8_t undefined[] = {0x81, 0x01, 0x7F};
	fx *x = *state;
	char iccid[21];

	for (size_t k = 0; k < ORSP_ARRAY_LEN(answers); k++) {
		reset(x);
		x->card.bf38_ans = answers[k];
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		if (strcmp(orsp_err_detail(),
		           "card: AuthenticateServer answer (session cancelled)"))
			fail_msg("%s: %s", answers[k], orsp_err_detail());
		assert_true(card_saw(x, 0xBF41));
		assert_true(x->card.bf41_len > sizeof(undefined));
		assert_bytes_equal(x->card.bf41 + x->card.bf41_len - sizeof(undefined), undefined,
		                   sizeof(undefined));
		assert_calls(x, calls, 2);
		assert_false(card_saw(x, 0xBF21));
	}
	/* no answer at all: the exchange failed (a status word in place of the data, as when a
	 * GET RESPONSE chain breaks), after the eUICC ran the command: cancelled all the same */
	static const uint16_t sws[] = {0x6F00, 0x6A80};
	for (size_t k = 0; k < ORSP_ARRAY_LEN(sws); k++) {
		char want[80];
		reset(x);
		x->card.bf38_sw = sws[k];
		assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
		snprintf(want, sizeof(want), "(SW %04X) (session cancelled)", sws[k]);
		if (!strstr(orsp_err_detail(), want))
			fail_msg("%04X: %s", sws[k], orsp_err_detail());
		assert_true(card_saw(x, 0xBF41));
		assert_calls(x, calls, 2);
		assert_false(card_saw(x, 0xBF21));
	}
}

/* PrepareDownload answered with downloadResponseError invalidSignature (2): the error goes to
 * the SM-DP+ (getBoundProfilePackage), which ends the session; the user learns the eUICC's
 * reason; and a package the SM-DP+ sends all the same never reaches the eUICC, the session
 * is cancelled. */
static void test_prepare_download_error(void **state)
{
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "getBoundProfilePackage"};
	static const char *const calls_anyway[] = {"initiateAuthentication", "authenticateClient",
	                                           "getBoundProfilePackage", "cancelSession"};
	static const char pd_err[] = "BF2117A1158010" TID "020102";
	fx *x = *state;
	char iccid[21];
	uint8_t want[64], got[64];
	size_t wl = 0, gl = 0;

	x->card.bf21_ans = pd_err;
	x->smdp.mode[2] = ANS_FAILED;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "PrepareDownload error 2, invalidSignature"));
	assert_calls(x, calls, 3);
	assert_false(card_saw(x, 0xBF36));
	assert_false(card_saw(x, 0xBF41));
	/* the eUICC's answer went to the SM-DP+ as it was */
	assert_int_equal(orsp_hex_decode(pd_err, want, sizeof(want), &wl), ORSP_OK);
	assert_int_equal(orsp_json_get_base64(x->smdp.last_req[2], "prepareDownloadResponse", got,
	                                      sizeof(got), &gl),
	                 ORSP_OK);
	assert_int_equal(gl, wl);
	assert_bytes_equal(got, want, wl);

	reset(x);
	x->smdp.mode[2] = ANS_OK;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(iccid, "");
	assert_non_null(strstr(orsp_err_detail(), "PrepareDownload error 2, invalidSignature"));
	assert_non_null(strstr(orsp_err_detail(), "the SM-DP+ sent a package all the same"));
	assert_non_null(strstr(orsp_err_detail(), "(session cancelled)"));
	assert_false(card_saw(x, 0xBF36));
	assert_true(card_saw(x, 0xBF41));
	assert_calls(x, calls_anyway, 4);

	/* an eUICC that ended the session when it refused (openrsp's does) answers CancelSession
	 * with invalidTransactionId: nothing left to cancel, nothing to send to the SM-DP+ */
	reset(x);
	x->card.cancel_error = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC refused the profile's download (PrepareDownload error 2, "
	                    "invalidSignature: the SM-DP+ signature (smdpSignature2) is "
	                    "invalid); the SM-DP+ sent a package all the same: nothing of it was "
	                    "sent to the eUICC (the eUICC had already ended the session)");
	assert_false(card_saw(x, 0xBF36));
	assert_true(card_saw(x, 0xBF41));
	assert_calls(x, calls, 3);
	x->card.cancel_error = false;

	/* undefinedError with notifications pending: a full list is a likely cause (openrsp's
	 * eUICC refuses a download whose result it could not keep), which the user can clear;
	 * without any, the plain code */
	reset(x);
	x->card.bf21_ans = "BF2117A1158010" TID "02017F";
	x->smdp.mode[2] = ANS_FAILED;
	assert_int_equal(x->card.n_notif, 1);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC refused the profile's download (PrepareDownload error 127, "
	                    "undefinedError) with 1 notification pending (1 for "
	                    "testsmdpplus1.example.com): the eUICC's notification list likely "
	                    "has no room for this download's installation result (an eUICC "
	                    "refuses a download it could not report); nothing was installed: "
	                    "deliver it (`openrsp lpa notification process`), then download "
	                    "again with the same activation code; those of an SM-DP+ that keeps "
	                    "refusing them: `openrsp lpa notification remove --address "
	                    "testsmdpplus1.example.com` removes them unsent");
	assert_true(card_saw(x, 0xBF28));
	assert_false(card_saw(x, 0xBF36));
	assert_calls(x, calls, 3);
	reset(x);
	x->card.n_notif = 0;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(), "the eUICC refused the profile's download "
	                                       "(PrepareDownload error 127, undefinedError)");
	x->smdp.mode[2] = ANS_OK;
	x->card.n_notif = 1;

	/* an answer that is neither: the session is cancelled, nothing asked of the SM-DP+ */
	reset(x);
	x->card.bf21_ans = "BF2103820100";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "card: PrepareDownload answer"));
	assert_false(card_saw(x, 0xBF36));
	assert_true(card_saw(x, 0xBF41));
	assert_calls(x, calls_cancelled, 3);
}

/* The SM-DP+ does not take the installation result (HTTP 500 to handleNotification): the
 * profile is installed, so the download succeeds, but the caller is told that the result is
 * still on the eUICC (not removed), for `notification process`. */
static void test_result_not_delivered(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->pending = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_false(x->pending);
	assert_true(x->card.removed);

	reset(x);
	x->card.removed = false;
	x->smdp.mode[3] = ANS_500;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_true(x->pending);
	assert_false(x->card.removed);
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "handleNotification");

	/* a failed installation says it too */
	reset(x);
	x->card.pir_error = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_true(x->pending);
	assert_non_null(strstr(orsp_err_detail(), "; the installation result did not reach the "
	                                          "SM-DP+: it stays on the eUICC"));
	assert_false(x->card.removed);
	assert_false(x->lost);

	/* an eUICC whose notification list was full kept no result (RetrieveNotificationsList
	 * by its seqNumber, 5: noResultAvailable): nothing will send it, and the caller is not
	 * told that `notification process` does */
	reset(x);
	x->card.removed = false;
	x->card.pir_error = false;
	x->smdp.mode[3] = ANS_500;
	x->card.retrieve[5] = "BF2B03810101";
	x->pending = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_false(x->pending);
	assert_true(x->lost);
	reset(x);
	x->smdp.mode[3] = ANS_500;
	x->card.retrieve[5] = "BF2B02A000"; /* an empty list says the same */
	x->card.pir_error = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_false(x->pending);
	assert_true(x->lost);
	assert_non_null(strstr(orsp_err_detail(), "; the installation result did not reach the "
	                                          "SM-DP+, and the eUICC did not keep it"));
	assert_null(strstr(orsp_err_detail(), "notification process"));
}

static void test_install_failed(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->card.pir_error = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(iccid, "");
	/* the failure result is still reported to the SM-DP+ */
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "handleNotification");
	/* the eUICC's reason in words; a command number SGP.22 does not name stays a number */
	assert_non_null(
	    strstr(orsp_err_detail(), ": ErrorReason 1 (incorrectInputValues) at BppCommandId 8"));
}

static void test_install_failed_named(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->card.pir = PIR_ERR57;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC could not install the profile: ErrorReason 7 "
	                    "(scp03tStructureError) at BppCommandId 5 (loadProfileElements)");
	/* delivered, so removed from the eUICC by the PIR's own seqNumber */
	assert_true(x->card.removed);
	assert_int_equal(x->card.removed_seq, 5);
	/* not delivered (handleNotification fails): kept for `notification process` */
	x->card.removed = false;
	x->smdp.mode[3] = ANS_500;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_false(x->card.removed);
	x->smdp.mode[3] = ANS_OK;
	/* an errorResult the LPA cannot read: the general message */
	x->card.pir = PIR_ERR_BAD;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "the eUICC could not install the profile (see its "
	                                       "ProfileInstallationResult)");
}

/* GetProfilesInfo answers: ICCID1 on the eUICC (its ProfileInfo with the ICCID alone, as
 * the tagList asks), another ICCID, one that does not read */
#define PROFILES_ICCID1 "BF2D10A00EE30C5A0A98001032547698103214"
#define PROFILES_OTHER "BF2D10A00EE30C5A0A98001032547698103215"
#define PROFILES_BAD "BF2D05A003E3015A"
/* NotificationMetadata of an installation, seqNumber 3, ICCID1, for the activation code's
 * SM-DP+ (THALES_FQDN) */
#define NM3_THALES                                                                                 \
	"BF2F36800103810207800C21"                                                                 \
	"7762672E70726F642E6F6E64656D616E64636F6E6E65637469766974792E636F6D"                       \
	"5A0A98001032547698103214"
/* storeMetadata (2), installFailedDueToIccidAlreadyExistsOnEuicc (9) */
#define PIR_ERR29 "BF378193BF274D8010" TID NM "A208A106800102810109" SIG64

/* The eUICC holds the profile's ICCID already (GetProfilesInfo, asked once authenticateClient
 * has shown the metadata): nothing is bound (no PrepareDownload, no getBoundProfilePackage),
 * the session is cancelled with undefinedReason, and the eUICC's pending notification for
 * that ICCID (seq 5, to its own address) is delivered and removed; the download succeeds
 * saying so. With none pending it fails (nothing resumed). A list naming another ICCID, or
 * one that does not read, leaves the download as it was. */
static void test_already_installed(void **state)
{
	fx *x = *state;
	char iccid[21] = "";
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "cancelSession", "handleNotification"};
	orsp_lpa_route r[2] = {{THALES_FQDN, x->base}, {"testsmdpplus1.example.com", x->base}};

	x->server.routes = r;
	x->server.n_routes = 2;
	x->card.profiles = PROFILES_ICCID1;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_true(x->already);
	assert_int_equal(x->delivered, 1);
	assert_calls(x, calls, 4);
	assert_false(card_saw(x, 0xBF21));
	assert_int_equal(cancel_reason(x), 127);
	assert_true(x->card.removed);
	assert_int_equal(x->card.removed_seq, 5);
	assert_delivered(x, PIR_OK);
	assert_int_equal(x->n_confirm, 0); /* nobody asked about a profile not downloaded */
	/* nothing pending for it: no result to resume, so the SM-DP+ offered a profile the
	 * eUICC holds for the one ordered (profileMetadata is not signed: a hostile server's
	 * substitute); the download fails, the session cancelled, nothing bound. Until session
	 * 74 it succeeded ("no result of it was pending"), exit 0 with nothing downloaded */
	reset(x);
	x->card.n_notif = 0;
	iccid[0] = 'x';
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "the SM-DP+ offered ICCID " ICCID1 ", which this "
	                                       "eUICC already holds; nothing downloaded (session "
	                                       "cancelled)");
	assert_string_equal(iccid, "");
	assert_true(x->already);
	assert_int_equal(x->delivered, 0);
	assert_calls(x, calls, 3);
	assert_false(card_saw(x, 0xBF21));
	assert_int_equal(cancel_reason(x), 127);
	/* its result not taken by the SM-DP+ (three tries): the download fails, saying the
	 * profile is installed and how to send the result */
	reset(x);
	x->card.n_notif = 1;
	x->card.removed = false;
	x->smdp.mode[3] = ANS_500;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_IO);
	assert_true(x->already);
	assert_int_equal(x->delivered, 0);
	assert_false(x->card.removed);
	if (!strstr(orsp_err_detail(),
	            "the profile " ICCID1 " is already installed on this eUICC, nothing was "
	            "downloaded (session cancelled); its installation result has not reached the "
	            "SM-DP+ and could not be delivered now (`openrsp lpa notification process` "
	            "sends it): notification 5: "))
		fail_msg("%s", orsp_err_detail());
	x->smdp.mode[3] = ANS_OK;
	/* another ICCID, or an answer that does not read: downloaded */
	for (int k = 0; k < 2; k++) {
		reset(x);
		x->card.profiles = k ? PROFILES_BAD : PROFILES_OTHER;
		assert_int_equal(run(x, NULL, iccid), ORSP_OK);
		assert_false(x->already);
		assert_true(card_saw(x, 0xBF21));
		assert_string_equal(x->smdp.calls[2], "getBoundProfilePackage");
	}
}

/* installFailedDueToIccidAlreadyExistsOnEuicc (9), when the check above did not see the
 * ICCID: the message says the eUICC holds that profile, and, with an installation's result of
 * it pending on the eUICC (other than this session's), that `notification process` sends it;
 * without one, where to see it. */
static void test_install_failed_iccid_exists(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->card.pir = PIR_ERR29;
	x->card.list = "BF2833A031" NM_SEQ("03");
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(
	    orsp_err_detail(),
	    "the eUICC could not install the profile: ErrorReason 9 "
	    "(installFailedDueToIccidAlreadyExistsOnEuicc) at BppCommandId 2 (storeMetadata); the "
	    "eUICC already holds the profile " ICCID1 ", and its installation result (notification "
	    "3) has not reached the SM-DP+: `openrsp lpa notification process` sends it");
	/* only this session's result (seq 5) listed: not advised as the one to send */
	reset(x);
	x->card.list = "BF2833A031" NM;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC could not install the profile: ErrorReason 9 "
	                    "(installFailedDueToIccidAlreadyExistsOnEuicc) at BppCommandId 2 "
	                    "(storeMetadata); the eUICC already holds the profile " ICCID1
	                    " (`openrsp lpa profile list`)");
}

/* 8.8.5/6.4, no download left, and 8.2/1.2, none available: with an installation result for
 * the activation code's SM-DP+ pending on the eUICC, the advice says to deliver it first (the
 * profile may be installed, its result undelivered); one for another SM-DP+ is not named. */
static void test_retries_exceeded_pending(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.8.5";
	x->smdp.reason = "6.4";
	x->card.list = "BF283BA039" NM3_THALES;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(),
	            "the download was tried too often: ask the operator for a new order (session "
	            "cancelled); but first: the eUICC holds an installation result for this SM-DP+ "
	            "that has not reached it (notification 3, ICCID " ICCID1 "): deliver it "
	            "(`openrsp lpa notification process`), the profile may be installed already"))
		fail_msg("%s", orsp_err_detail());
	assert_true(card_saw(x, 0xBF41));
	/* one for testsmdpplus1.example.com (the fixture's default list) */
	reset(x);
	x->card.list = NULL;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "ask the operator for a new order"));
	assert_null(strstr(orsp_err_detail(), "but first"));
	/* 8.2/1.2, the profile not available (Installed at the SM-DP+, which took an earlier
	 * try's result whose answer the eUICC lost): the same advice first */
	reset(x);
	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.2";
	x->smdp.reason = "1.2";
	x->card.list = "BF283BA039" NM3_THALES;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(), "already installed): ask the operator (session "
	                               "cancelled); but first: the eUICC holds an installation "
	                               "result for this SM-DP+ that has not reached it "
	                               "(notification 3, ICCID " ICCID1 ")"))
		fail_msg("%s", orsp_err_detail());
	reset(x);
	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.2";
	x->smdp.reason = "1.2";
	x->card.list = NULL;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_null(strstr(orsp_err_detail(), "but first"));
}

/* NotificationMetadata of an installation, seqNumber 3, for THALES_FQDN, with no ICCID (an
 * interrupted installation's result may carry none), and such a result: errorResult
 * loadProfileElements (5), installFailedDueToInterruption (11) */
#define NM3_THALES_NO_ICCID                                                                        \
	"BF2F2A800103810207800C21"                                                                 \
	"7762672E70726F642E6F6E64656D616E64636F6E6E65637469766974792E636F6D"
#define RETRIEVE3_INTERRUPTED                                                                      \
	"BF2B8196A08193BF37818FBF27498010" TID NM3_THALES_NO_ICCID "A208A10680010581010B" SIG64

/* The "but first" hint names the ICCID only when the eUICC's list gives one, and is worded by
 * the result: a pending interrupted installation's failure is no profile installed already
 * (until session 79: "(notification 3, ICCID ): ..., the profile may be installed already"). */
static void test_retries_exceeded_pending_failure(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.8.5";
	x->smdp.reason = "6.4";
	x->card.list = "BF282FA02D" NM3_THALES_NO_ICCID;
	x->card.retrieve[3] = RETRIEVE3_INTERRUPTED;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(),
	            "ask the operator for a new order (session cancelled); but first: the eUICC "
	            "holds an interrupted installation's result for this SM-DP+ that has not "
	            "reached it (notification 3): deliver it (`openrsp lpa notification "
	            "process`), so that the SM-DP+ learns the installation failed"))
		fail_msg("%s", orsp_err_detail());
	/* a success (or a result that cannot be read) as before, still without the ICCID */
	reset(x);
	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.8.5";
	x->smdp.reason = "6.4";
	x->card.list = "BF282FA02D" NM3_THALES_NO_ICCID;
	x->card.retrieve[3] = NULL;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(), "that has not reached it (notification 3): deliver it "
	                               "(`openrsp lpa notification process`), the profile may be "
	                               "installed already"))
		fail_msg("%s", orsp_err_detail());
}

/* 8.2.6/3.8 is the matching ID refused: unknown or used, or its order ended. When the
 * SM-DP+'s message names the state error (openrsp's "matching ID refused: error", e.g. after
 * `notification process` delivered an interrupted installation's result), the advice says
 * the order ended in error, not that the matching ID is unknown (until session 79). */
static void test_matching_id_order_error(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.2.6";
	x->smdp.reason = "3.8";
	x->smdp.message = "matching ID refused: error";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(),
	            "matching ID refused: error): the order ended in error (e.g. an interrupted "
	            "installation was reported): ask the operator for a new order"))
		fail_msg("%s", orsp_err_detail());
	assert_null(strstr(orsp_err_detail(), "unknown or already used"));
	/* any other message: the matching ID unknown or used, as before */
	reset(x);
	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.2.6";
	x->smdp.reason = "3.8";
	x->smdp.message = "matching ID refused: unavailable";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "the matching ID is unknown or already used"));
	reset(x);
	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.2.6";
	x->smdp.reason = "3.8";
	x->smdp.message = "matching ID refused";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "the matching ID is unknown or already used"));
}

/* The eUICC answers the first piece (BF36 + BF23) with an error result (e.g. a bad smdpSign):
 * nothing more is sent to it, the result goes to the SM-DP+ and its reason to the user. */
static void test_install_failed_early(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "getBoundProfilePackage", "handleNotification"};
	x->card.pir_first = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_true(x->card.pir_given);
	assert_int_equal(x->card.after_pir, 0);
	assert_string_equal(iccid, "");
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC could not install the profile: ErrorReason 2 "
	                    "(invalidSignature) at BppCommandId 0 (initialiseSecureChannel)");
	assert_calls(x, calls, 4);
	assert_false(card_saw(x, 0xBF41));
	/* the result the SM-DP+ got is the eUICC's, verbatim; removed from the eUICC after */
	assert_delivered(x, PIR_ERR02);
	assert_true(x->card.removed);
	assert_int_equal(x->card.removed_seq, 5);
}

/* The SM-DP+ sends a package that is not one (BF36 expected): nothing goes to the eUICC, the
 * session is cancelled on both sides with undefinedReason (127), so the order stays
 * downloadable. */
static void test_bad_bpp(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication", "authenticateClient",
	                                    "getBoundProfilePackage", "cancelSession"};
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = b64((const uint8_t *)"\x30\x00", 2);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(),
	                    "bound profile package: not a BF36 TLV (session cancelled)");
	assert_calls(x, calls, 4);
	assert_false(card_saw(x, 0xBF36));
	assert_non_null(find(x->card.bf41, x->card.bf41_len, "\x81\x01\x7F", 3));
}

/* A package whose structure breaks after BF23: refused before any piece is sent, as above. */
static void test_bad_bpp_part(void **state)
{
	fx *x = *state;
	char iccid[21];
	uint8_t buf[512];
	orsp_tlv top, iscr;
	orsp_reader r;
	orsp_writer w;
	orsp_der_mark m;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(x->bpp, x->bpp_len), &top), ORSP_OK);
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &iscr), ORSP_OK);
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF36);
	orsp_write_bytes(&w, iscr.raw.p, iscr.raw.len);
	orsp_der_put_tlv(&w, 0x04, NULL, 0);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = b64(buf, w.len);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(),
	                    "bound profile package: unexpected part (session cancelled)");
	assert_false(card_saw(x, 0xBF36));
	assert_true(card_saw(x, 0xBF41));
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
}

/* The eUICC refuses a piece without a result: the session is cancelled (undefinedReason); an
 * eUICC that cannot cancel it is said so, and its error answer is not sent to the SM-DP+; one
 * without the session (it ended it: a reset, another command) may keep an interruption
 * result, which the message points to. */
static void test_load_refused(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->card.refuse_a0 = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "card refused STORE DATA block 0 (SW 6A80) (session cancelled)");
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
	assert_non_null(find(x->card.bf41, x->card.bf41_len, "\x81\x01\x7F", 3));
	assert_string_equal(iccid, "");

	x->smdp.n = 0;
	x->card.cancel_error = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "card refused STORE DATA block 0 (SW 6A80) (the eUICC did not cancel "
	                    "the session: CancelSession error 5, invalidTransactionId); an "
	                    "interrupted installation's result may be pending on the eUICC: "
	                    "`openrsp lpa notification process` sends it");
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "getBoundProfilePackage");
}

static void test_connection_refused(void **state)
{
	fx *x = *state;
	char iccid[21];
	orsp_http_server_stop(x->srv, 1000);
	x->srv = NULL;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_IO);
	assert_false(card_saw(x, 0xBF38));
}

static void test_no_trust_anchor(void **state)
{
	fx *x = *state;
	char iccid[21];
	x->server.routes = NULL;
	x->server.n_routes = 0;
	x->server.insecure = false;
	/* https://<fqdn> by default, which needs a CA */
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "--ca"));
	assert_int_equal(x->card.n, 0);
}

/* Plain HTTP authenticates no server: refused unless verification is off (insecure), before
 * the eUICC or the server is asked anything; a CA does not make it acceptable. */
static void test_http_needs_insecure(void **state)
{
	fx *x = *state;
	char iccid[21];
	char want[200];
	x->server.insecure = false;
	x->server.ca_file = "/dev/null";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	snprintf(want, sizeof(want),
	         "%s: not an https:// URL; plain HTTP authenticates no SM-DP+ (it is allowed only "
	         "with insecure, labs only)",
	         x->base);
	assert_string_equal(orsp_err_detail(), want);
	assert_int_equal(x->smdp.n, 0);
	assert_int_equal(x->card.n, 0);
	/* notifications alike: kept on the eUICC */
	{
		size_t sent = 9;
		orsp_lpa_route r = {"testsmdpplus1.example.com", x->base};
		x->server.routes = &r;
		assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent),
		                 ORSP_E_USAGE);
		assert_int_equal(sent, 0);
		assert_int_equal(x->smdp.n, 0);
		assert_false(x->card.removed);
	}
}

/* An SM-DP+ URL longer than the LPA keeps is refused, never cut to another URL (it was cut
 * to 511 characters and the requests went to that), before anything is asked. */
static void test_server_url_too_long(void **state)
{
	fx *x = *state;
	char iccid[21];
	static char url[600];
	size_t n = (size_t)snprintf(url, sizeof(url), "%s/", x->base);

	memset(url + n, 'x', sizeof(url) - 1 - n);
	x->route.base_url = url;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(), "the SM-DP+ URL has 599 characters, at most 511");
	assert_int_equal(x->smdp.n, 0);
	assert_int_equal(x->card.n, 0);
	x->route.base_url = x->base;
}

/* A server URL given with a trailing slash ("http://127.0.0.1:PORT/", as URLs are often
 * written): the function paths begin with one, so the requests went to
 * "//gsma/rsp2/es9plus/..." and a server answered 404; the slash is dropped. */
static void test_server_url_trailing_slash(void **state)
{
	fx *x = *state;
	char iccid[21];
	static char url[96];

	snprintf(url, sizeof(url), "%s//", x->base);
	x->route.base_url = url;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_int_equal(x->smdp.n, 4);
	x->route.base_url = x->base;
}

/* A DPtls-like server key and the SGP.26 NIST CI that issues its certificates (tls_minted). */
typedef struct tls_minted {
	char cert_path[512], key_path[512], ci_path[512];
	EVP_PKEY *ci_key, *k;
	X509 *ci;
} tls_minted;

static void tls_minted_init(tls_minted *m, const char *tmp_name)
{
	const char *dir = test_tmpdir(tmp_name);
	FILE *f;

	m->ci_key = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	m->ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	m->k = certmint_key_new("prime256v1");
	assert_non_null(m->ci_key);
	assert_non_null(m->ci);
	snprintf(m->cert_path, sizeof(m->cert_path), "%s/tls.pem", dir);
	snprintf(m->key_path, sizeof(m->key_path), "%s/tls.key", dir);
	f = fopen(m->key_path, "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, m->k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	snprintf(m->ci_path, sizeof(m->ci_path), "%s",
	         test_vector_path("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.pem"));
}

static void tls_minted_free(tls_minted *m)
{
	X509_free(m->ci);
	EVP_PKEY_free(m->k);
	EVP_PKEY_free(m->ci_key);
}

/* The server restarted with a certificate minted from spec for m's key, issued by subs[0]
 * (key subkeys[0]), or by m's CI when n_subs is 0, and sending subs[0..n_subs) after it, and
 * the LPA to trust m's CI (--ca) and reach it as THALES_FQDN; nothing counted yet. */
static void tls_minted_serve_chain(fx *x, tls_minted *m, const certmint_spec *spec,
                                   X509 *const *subs, EVP_PKEY *const *subkeys, size_t n_subs)
{
	X509 *leaf =
	    certmint_issue(spec, m->k, n_subs ? subs[0] : m->ci, n_subs ? subkeys[0] : m->ci_key);
	FILE *f;

	assert_non_null(leaf);
	f = fopen(m->cert_path, "w");
	assert_non_null(f);
	PEM_write_X509(f, leaf);
	for (size_t i = 0; i < n_subs; i++)
		PEM_write_X509(f, subs[i]);
	fclose(f);
	X509_free(leaf);
	orsp_http_server_stop(x->srv, 1000);
	x->srv = NULL;
	assert_int_equal(start_server(x, m->cert_path, m->key_path), ORSP_OK);
	x->route.base_url = x->base;
	x->route.fqdn = THALES_FQDN;
	x->server.ca_file = m->ci_path;
	x->server.insecure = false;
	x->card.info1 = INFO1_NIST; /* an eUICC that trusts m's CI */
	x->smdp.n = 0;
	x->card.n = 0;
	assert_int_equal(orsp_lpa_ac_parse("1$" THALES_FQDN "$X", &x->ac), ORSP_OK);
}

/* tls_minted_serve_chain of a certificate m's CI issues. */
static void tls_minted_serve(fx *x, tls_minted *m, const certmint_spec *spec)
{
	tls_minted_serve_chain(x, m, spec, NULL, NULL, 0);
}

/* tls_minted_serve, and a download through it: refused (ORSP_E_VERIFY) before any request
 * reached the server or AuthenticateServer the card. The detail is the caller's to judge. */
static void tls_minted_refused(fx *x, tls_minted *m, const certmint_spec *spec)
{
	char iccid[21];

	tls_minted_serve(x, m, spec);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_int_equal(x->smdp.n, 0); /* no request reached the server */
	assert_false(card_saw(x, 0xBF38));
}

/* A DPtls certificate for THALES_FQDN, as SGP.22 §4.5.2.1.0.3 has it, of this serial. */
static certmint_spec dptls_spec(long serial)
{
	return (certmint_spec){.subject = "/O=RSPTEST/CN=" THALES_FQDN,
	                       .serial = serial,
	                       .policy = "2.23.146.1.2.1.3", /* DPtls */
	                       .key_usage = "critical,digitalSignature",
	                       .ext_key_usage = "serverAuth",
	                       .san = "DNS:" THALES_FQDN};
}

/* HTTPS: a DPtls certificate for the Thales address (whose ServerSigned1 the server answers)
 * issued now by the SGP.26 test CI; the LPA trusts the SGP.26 CI certificate file. */
static void test_tls(void **state)
{
	fx *x = *state;
	char iccid[21], root_path[512];
	certmint_spec spec = dptls_spec(77);
	tls_minted m;

	tls_minted_init(&m, "lpa_tls");
	tls_minted_serve(x, &m, &spec);
	/* test_vector_path returns a static buffer: keep a copy */
	snprintf(root_path, sizeof(root_path), "%s",
	         test_vector_path("sgp22/es9p/gsma_rsp2_root_ci1.pem"));

	/* the right name: the exchange gets through TLS */
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(x->smdp.calls[0], "initiateAuthentication");

	/* name mismatch: the certificate does not name the activation code's SM-DP+ */
	x->smdp.n = 0;
	x->card.n = 0;
	x->route.fqdn = "othersmdp.example.com";
	assert_int_equal(orsp_lpa_ac_parse("1$othersmdp.example.com$X", &x->ac), ORSP_OK);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_null(strstr(orsp_err_detail(), "certificate file"));
	/* the advice is about the address, not --ca (the CA is right) */
	{
		char want[256];
		snprintf(want, sizeof(want),
		         "%s: the server's TLS certificate is not for othersmdp.example.com: check "
		         "that address (the activation code's) and --server-url",
		         x->base);
		assert_string_equal(orsp_err_detail(), want);
	}
	assert_int_equal(x->smdp.n, 0);
	assert_false(card_saw(x, 0xBF38));

	/* a CA that did not issue the server certificate (the production GSMA root) */
	x->route.fqdn = THALES_FQDN;
	assert_int_equal(orsp_lpa_ac_parse("1$" THALES_FQDN "$X", &x->ac), ORSP_OK);
	x->server.ca_file = root_path;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "SSL certificate problem"));
	assert_non_null(strstr(orsp_err_detail(), "; the server's TLS certificate does not chain "
	                                          "to a trusted CA: check --ca"));
	assert_null(strstr(orsp_err_detail(), "not for"));
	assert_int_equal(x->smdp.n, 0);

	/* --ca holding the server's own certificate instead of its CI's: no chain to a
	 * self-signed anchor (the client takes no partial chain since session 71; until then
	 * OpenSSL verified a chain of that one certificate, which the peer check refused), and
	 * the advice says what --ca must hold */
	x->server.ca_file = m.cert_path;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_null(strstr(orsp_err_detail(), "self-issued"));
	if (!strstr(orsp_err_detail(), "SSL certificate problem") ||
	    !strstr(orsp_err_detail(), "check --ca (it must hold the CI certificate: the "
	                               "server's own or a sub-CA's is not enough)"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);

	tls_minted_free(&m);
}

/* The file at path: the PEM files a and b one after the other (a bundle for --ca). */
static void pem_cat(const char *path, const char *a, const char *b)
{
	FILE *out = fopen(path, "w");
	const char *in[] = {a, b};

	assert_non_null(out);
	for (size_t i = 0; i < 2; i++) {
		size_t n = 0;
		uint8_t *d = test_read_file(in[i], &n);
		assert_non_null(d);
		assert_int_equal(fwrite(d, 1, n, out), n);
		free(d);
	}
	fclose(out);
}

/* The SM-DP+'s TLS certificate must come from a CI the eUICC verifies with (SGP.22 §2.6.6,
 * §3.0.1): --ca holds two CIs (SGP.26 NIST and BRP), the server's DPtls certificate is the
 * NIST one's, and an eUICC that lists only BRP in euiccCiPKIdListForVerification gets the
 * handshake refused, no request sent, for a download and for notification process. Until
 * session 70 any CI of --ca would do: a man-in-the-middle with a DPtls certificate of a CI
 * the eUICC does not trust read the whole session. An eUICC listing both downloads. */
static void test_tls_ci_not_euicc(void **state)
{
	fx *x = *state;
	char iccid[21], bundle[600];
	size_t sent = 9;
	certmint_spec spec = {.subject = "/O=RSPTEST/CN=" THALES_FQDN,
	                      .serial = 120,
	                      .policy = "2.23.146.1.2.1.3", /* DPtls */
	                      .key_usage = "critical,digitalSignature",
	                      .ext_key_usage = "serverAuth",
	                      .san = "DNS:" THALES_FQDN ",DNS:testsmdpplus1.example.com"};
	orsp_lpa_route r[2];
	tls_minted m;

	tls_minted_init(&m, "lpa_tls_ci");
	snprintf(bundle, sizeof(bundle), "%.*s/cis.pem",
	         (int)(strrchr(m.cert_path, '/') - m.cert_path), m.cert_path);
	pem_cat(bundle, m.ci_path,
	        test_vector_path("sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.pem"));
	tls_minted_serve(x, &m, &spec);
	r[0] = x->route;
	r[1] = (orsp_lpa_route){"testsmdpplus1.example.com", x->base};
	x->server.routes = r;
	x->server.n_routes = 2;
	x->server.ca_file = bundle;
	x->card.info1 = INFO1_BRP;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(),
	            "issued under the CI " SKI_NIST ", which is not in the eUICC's "
	            "euiccCiPKIdListForVerification"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0); /* no request reached the server */
	assert_false(card_saw(x, 0xBF38));
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "euiccCiPKIdListForVerification"));
	assert_int_equal(sent, 0);
	assert_int_equal(x->smdp.n, 0);
	assert_false(x->card.removed);

	/* the eUICC trusts the server's CI too: both go through */
	reset(x);
	x->card.info1 = INFO1_BOTH;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	reset(x);
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_true(x->card.removed);
	x->server.routes = &x->route;
	x->server.n_routes = 1;
	tls_minted_free(&m);
}

/* SGP.22 v3 hierarchies put sub-CAs between the CI and the SM-DP+'s TLS certificate (SGP.26
 * v3 variants A, B: an SM-DP+ SubCA, a CI SubCA above it). The chain's top is the CI the
 * eUICC must list, whatever is in between: until session 71 the LPA took the certificate right
 * above the DPtls one for the CI, and refused every such chain (that sub-CA is not a
 * self-signed CI). A chain with one sub-CA downloads, with two too; a list naming the sub-CA
 * instead of the CI does not let it pass; three sub-CAs are more than SGP.22 has; a sub-CA
 * that is no CA OpenSSL refuses itself; --ca holding the sub-CA instead of the CI is said so. */
static void test_tls_subca(void **state)
{
	fx *x = *state;
	char iccid[21], sub_info1[128], sub_ca[600], ski[41] = "";
	certmint_spec spec = dptls_spec(130);
	X509 *subs[3] = {0};
	EVP_PKEY *keys[3] = {0};
	const ASN1_OCTET_STRING *k;
	tls_minted m;
	FILE *f;

	tls_minted_init(&m, "lpa_tls_subca");
	/* subs[2] issued by the CI, subs[1] by subs[2], subs[0] by subs[1]; a chain of k sub-CAs
	 * is the leaf, then subs[3 - k] .. subs[2] */
	for (size_t i = 3; i-- > 0;) {
		char subject[64];
		snprintf(subject, sizeof(subject), "/O=RSPTEST/CN=Test SubCA %zu", i);
		certmint_spec ca = {.subject = subject,
		                    .serial = 140 + (long)i,
		                    .key_usage = "critical,keyCertSign,cRLSign",
		                    .basic_constraints = "critical,CA:TRUE"};
		keys[i] = certmint_key_new("prime256v1");
		subs[i] = certmint_issue(&ca, keys[i], i == 2 ? m.ci : subs[i + 1],
		                         i == 2 ? m.ci_key : keys[i + 1]);
		assert_non_null(subs[i]);
	}

	/* one sub-CA (subs[2], the CI's): the eUICC lists the CI, the download goes through */
	tls_minted_serve_chain(x, &m, &spec, subs + 2, keys + 2, 1);
	if (run(x, NULL, iccid) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	assert_string_equal(iccid, ICCID1);

	/* an eUICC listing the sub-CA's key id, not the CI's: refused, naming the CI */
	k = X509_get0_subject_key_id(subs[2]);
	assert_non_null(k);
	assert_int_equal(ASN1_STRING_length(k), 20);
	for (int i = 0; i < 20; i++)
		snprintf(ski + 2 * i, 3, "%02X", ASN1_STRING_get0_data(k)[i]);
	snprintf(sub_info1, sizeof(sub_info1), "BF20358203020202A9160414%sAA160414%s", ski, ski);
	reset(x);
	x->card.info1 = sub_info1;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(), "issued under the CI " SKI_NIST ", which is not in the "
	                               "eUICC's euiccCiPKIdListForVerification"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);
	assert_false(card_saw(x, 0xBF38));

	/* --ca holding the sub-CA instead of the CI: no chain to a self-signed anchor (with
	 * libcurl's partial chains it ended at the sub-CA, and the peer check found no CI) */
	snprintf(sub_ca, sizeof(sub_ca), "%.*s/subca.pem",
	         (int)(strrchr(m.cert_path, '/') - m.cert_path), m.cert_path);
	f = fopen(sub_ca, "w");
	assert_non_null(f);
	PEM_write_X509(f, subs[2]);
	fclose(f);
	reset(x);
	x->card.info1 = INFO1_NIST;
	x->server.ca_file = sub_ca;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(), "SSL certificate problem") ||
	    !strstr(orsp_err_detail(), "it must hold the CI certificate"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);
	/* --ca a bundle of the sub-CA and the CI, as an operator hands out a chain file: the
	 * chain goes on to the CI (it stopped at the sub-CA, refused "ends at no CI", until
	 * the session 71 review) */
	{
		char both[600];
		snprintf(both, sizeof(both), "%.*s/subca-ci.pem",
		         (int)(strrchr(m.cert_path, '/') - m.cert_path), m.cert_path);
		pem_cat(both, sub_ca, m.ci_path);
		reset(x);
		x->card.info1 = INFO1_NIST;
		x->server.ca_file = both;
		if (run(x, NULL, iccid) != ORSP_OK)
			fail_msg("%s", orsp_err_detail());
	}

	/* two sub-CAs (SGP.26 v3 variant B's depth): taken */
	tls_minted_serve_chain(x, &m, &spec, subs + 1, keys + 1, 2);
	if (run(x, NULL, iccid) != ORSP_OK)
		fail_msg("%s", orsp_err_detail());

	/* three: refused, no request sent */
	tls_minted_serve_chain(x, &m, &spec, subs, keys, 3);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(), "its verified chain has 5 certificates: 3 CAs between it "
	                               "and the CI, at most 2 taken"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);
	assert_false(card_saw(x, 0xBF38));

	/* a sub-CA that is no CA (no basicConstraints): OpenSSL refuses the chain first */
	{
		certmint_spec ee = {.subject = "/O=RSPTEST/CN=Test not a CA",
		                    .serial = 150,
		                    .key_usage = "critical,keyCertSign,cRLSign"};
		X509 *not_ca = certmint_issue(&ee, keys[0], m.ci, m.ci_key);
		assert_non_null(not_ca);
		tls_minted_serve_chain(x, &m, &spec, &not_ca, keys, 1);
		X509_free(not_ca);
	}
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(), "SSL certificate problem: invalid CA certificate"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);

	for (size_t i = 0; i < 3; i++) {
		X509_free(subs[i]);
		EVP_PKEY_free(keys[i]);
	}
	tls_minted_free(&m);
}

/* The LPA's check of the SM-DP+'s TLS chain with one of OpenSSL's allocations failing in it:
 * the CI at the chain's top checked out of memory (its self-signature "does not verify", its
 * policies "do not decode") is said as such, ORSP_E_RESOURCE, never "its verified chain ends
 * at no CI: --ca must hold the GSMA CI certificate", which sends the user to a --ca that is
 * right (until session 76). The eUICC lists another CI, so that the check refuses the chain
 * right after the CI's (not in euiccCiPKIdListForVerification) and nothing is sent: the last
 * allocations of such a download are the check's, each of them made to fail in turn (the
 * last 400 of some 4600; 1 s in a Debug build). A root that is no CI is still said so. */
static void test_tls_ci_check_out_of_memory(void **state)
{
	fx *x = *state;
	char iccid[21];
	certmint_spec spec = dptls_spec(160);
	tls_minted m;
	unsigned total, resource = 0;

	tls_minted_init(&m, "lpa_tls_oom");
	tls_minted_serve(x, &m, &spec);
	x->card.info1 = "BF20358203020202A9160414"
	                "1111111111111111111111111111111111111111AA160414" SKI_NIST;
	/* once for the caches (the certificates parsed, the chain's signatures), then counted */
	for (int i = 0; i < 2; i++) {
		unsigned before = test_ossl_allocs();
		reset(x);
		assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
		if (!strstr(orsp_err_detail(), "euiccCiPKIdListForVerification"))
			fail_msg("%s", orsp_err_detail());
		total = test_ossl_allocs() - before;
	}
	for (unsigned at = total; at > 0 && at + 400 > total; at--) {
		unsigned before = test_ossl_failures();
		reset(x);
		test_ossl_fail_only(at);
		orsp_err e = run(x, NULL, iccid);
		test_ossl_fail_at(0);
		if (test_ossl_failures() == before)
			continue;
		if (strstr(orsp_err_detail(), "ends at no CI") ||
		    (e == ORSP_E_RESOURCE && !strstr(orsp_err_detail(), "out of memory")))
			fail_msg("OpenSSL's allocation #%u of %u failing: %s: %s", at, total,
			         orsp_err_str(e), orsp_err_detail());
		resource += e == ORSP_E_RESOURCE;
		assert_int_equal(x->smdp.n, 0);
		orsp_err_clear();
	}
	assert_true(resource > 0);

	/* and a self-signed root at the top that is no RSP CI (a web PKI's, no CI policy): that
	 * one is "ends at no CI" */
	{
		certmint_spec root = {.subject = "/O=Web PKI/CN=Web Root",
		                      .serial = 161,
		                      .key_usage = "critical,keyCertSign,cRLSign",
		                      .basic_constraints = "critical,CA:TRUE"};
		FILE *f;
		X509_free(m.ci);
		EVP_PKEY_free(m.ci_key);
		m.ci_key = certmint_key_new("prime256v1");
		m.ci = certmint_issue(&root, m.ci_key, NULL, m.ci_key);
		assert_non_null(m.ci);
		snprintf(m.ci_path, sizeof(m.ci_path), "%s/webroot.pem",
		         test_tmpdir("lpa_tls_oom_root"));
		f = fopen(m.ci_path, "w");
		assert_non_null(f);
		PEM_write_X509(f, m.ci);
		fclose(f);
	}
	tls_minted_serve(x, &m, &spec);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(), "its verified chain ends at no CI: --ca must hold the GSMA "
	                               "CI certificate"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);
	tls_minted_free(&m);
}

/* An answer is JSON by its Content-Type (application/json, parameters allowed: osmo-smdpp
 * adds ;charset=UTF-8), and an X-Admin-Protocol, when there is one, names SGP.22 v2 (SGP.22
 * §6.5.1); otherwise it is malformed, and nothing of it reaches the eUICC. */
static void test_answer_headers(void **state)
{
	static const struct {
		const char *ctype, *admin, *detail; /* detail NULL: taken */
	} t[] = {
	    {"text/html", NULL, "Content-Type \"text/html\", not application/json"},
	    {"application/jsonx", NULL, "Content-Type \"application/jsonx\""},
	    {"application/json;charset=UTF-8", NULL, NULL},
	    {"Application/JSON", "gsma/rsp/v2.1.0", NULL},
	    {NULL, "bogus/9", "X-Admin-Protocol \"bogus/9\" is not an SGP.22 v2 version"},
	    {NULL, "gsma/rsp/v3.0.0", "X-Admin-Protocol \"gsma/rsp/v3.0.0\""},
	};
	fx *x = *state;
	char iccid[21];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		reset(x);
		x->smdp.ctype = t[i].ctype;
		x->smdp.admin_hdr = t[i].admin;
		orsp_err e = run(x, NULL, iccid);
		if (!t[i].detail) {
			if (e != ORSP_OK)
				fail_msg("case %zu: %s", i, orsp_err_detail());
			continue;
		}
		assert_int_equal(e, ORSP_E_MALFORMED);
		if (!strstr(orsp_err_detail(), t[i].detail) ||
		    !strstr(orsp_err_detail(), "SM-DP+ initiateAuthentication: malformed answer"))
			fail_msg("case %zu: %s", i, orsp_err_detail());
		assert_false(card_saw(x, 0xBF38));
	}
	x->smdp.ctype = x->smdp.admin_hdr = NULL;
}

/* A TLS certificate that chains to --ca and carries the name, but is not a DPtls certificate
 * for the SM-DP+ address (SGP.22 §4.5.2.1.0.3), is refused during the handshake, before any
 * request goes out: no DPtls policy (another role's, or none), the name only as the CN (no DNS
 * subjectAltName), a wildcard name. Before, libcurl's chain and name checks let each of them
 * through a whole download. */
static void test_tls_not_dptls(void **state)
{
	static const struct {
		const char *policy, *san, *detail;
	} t[] = {
	    {"2.23.146.1.2.1.4", "DNS:" THALES_FQDN, "policy is DPauth"},
	    {NULL, "DNS:" THALES_FQDN, "no RSP role policy"},
	    {"2.23.146.1.2.1.3", NULL, "no subjectAltName, expected DNS:" THALES_FQDN},
	    {"2.23.146.1.2.1.3", "DNS:*.prod.ondemandconnectivity.com",
	     "no DNS subjectAltName matches " THALES_FQDN},
	};
	fx *x = *state;
	tls_minted m;

	tls_minted_init(&m, "lpa_tls_dptls");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		certmint_spec spec = {.subject = "/O=RSPTEST/CN=" THALES_FQDN,
		                      .serial = 78 + (long)i,
		                      .policy = t[i].policy,
		                      .key_usage = "critical,digitalSignature",
		                      .ext_key_usage = "serverAuth",
		                      .san = t[i].san};
		tls_minted_refused(x, &m, &spec);
		if (!strstr(orsp_err_detail(), "the server's certificate: ") ||
		    !strstr(orsp_err_detail(), t[i].detail))
			fail_msg("case %zu: %s", i, orsp_err_detail());
	}
	tls_minted_free(&m);
}

/* A DPtls certificate that chains to --ca and names the address but is outside its validity
 * period (expired, or not yet valid: the server's fault or this device's clock), or is not for
 * a TLS server, is refused, and the advice is about the dates or the server, not --ca:
 * before, it said the certificate "does not chain to a trusted CA: check --ca", which it does.
 * Not for a TLS server: here an extendedKeyUsage without serverAuth, which the detail names;
 * the advice names keyUsage too, which OpenSSL also judges (a CA certificate served as DPtls,
 * its extendedKeyUsage with serverAuth, was advised "extendedKeyUsage without serverAuth"
 * until session 75: test_http's test_https_refusal_words, as GnuTLS serves no such
 * certificate). */
static void test_tls_expired(void **state)
{
	static const struct {
		int nb_y, na_y;
		const char *eku, *detail, *advice;
	} t[] = {
	    {2020, 2021, "serverAuth", "SSL certificate problem: certificate has expired",
	     "; the server's TLS certificate (or its CI's) is not valid at this time: check this "
	     "device's date and time, and the server"},
	    {2090, 2091, "serverAuth", "SSL certificate problem: certificate is not yet valid",
	     "; the server's TLS certificate (or its CI's) is not valid at this time: check this "
	     "device's date and time, and the server"},
	    {0, 0, "clientAuth",
	     "SSL certificate problem: unsuitable certificate purpose (the server's certificate: "
	     "its extendedKeyUsage leaves out serverAuth)",
	     "; the server's TLS certificate (or its CI's) is not one for a TLS server "
	     "(keyUsage/extendedKeyUsage): check the server"},
	};
	fx *x = *state;
	tls_minted m;

	tls_minted_init(&m, "lpa_tls_expired");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		certmint_spec spec = {.subject = "/O=RSPTEST/CN=" THALES_FQDN,
		                      .serial = 90 + (long)i,
		                      .not_before = t[i].nb_y ? certmint_time(t[i].nb_y, 1, 1) : 0,
		                      .not_after = t[i].na_y ? certmint_time(t[i].na_y, 1, 1) : 0,
		                      .policy = "2.23.146.1.2.1.3", /* DPtls */
		                      .key_usage = "critical,digitalSignature",
		                      .ext_key_usage = t[i].eku,
		                      .san = "DNS:" THALES_FQDN};
		tls_minted_refused(x, &m, &spec);
		if (!strstr(orsp_err_detail(), t[i].detail) ||
		    !strstr(orsp_err_detail(), t[i].advice) ||
		    strstr(orsp_err_detail(), "check --ca"))
			fail_msg("case %zu: %s", i, orsp_err_detail());
	}
	tls_minted_free(&m);
}

/* An SM-DP+ whose TLS 1.2 takes only CBC suites with an HMAC-SHA1 (none of SGP.22 §2.6.6's):
 * the LPA offers none of them, so no request reaches it nor AuthenticateServer the card. Until
 * session 76 the LPA offered OpenSSL's default suites, SHA-1 MAC ones among them, and
 * downloaded through it. The HTTP server (libmicrohttpd) closes such a handshake without an
 * alert, which the client cannot tell from a server gone during the handshake: an I/O error. */
static void test_tls_sha1_suites(void **state)
{
	certmint_spec spec = dptls_spec(96);
	fx *x = *state;
	char iccid[21];
	tls_minted m;

	tls_minted_init(&m, "lpa_tls_sha1");
	x->tls_priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC:"
	                    "-MAC-ALL:+SHA1";
	tls_minted_serve(x, &m, &spec);
	x->tls_priorities = NULL;
	if (run(x, NULL, iccid) != ORSP_E_IO ||
	    !strstr(orsp_err_detail(), "during the TLS handshake"))
		fail_msg("want the handshake refused: %s", orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);
	assert_false(card_saw(x, 0xBF38));
	tls_minted_free(&m);
}

/* An OpenSSL TLS server on a loopback port of its own taking TLS 1.2 with these suites only:
 * one connection, its handshake, nothing more (libmicrohttpd closes a handshake without a
 * suite in common, as test_tls_sha1_suites shows; OpenSSL answers it with an alert). */
struct suite_server {
	int lfd;
	uint16_t port;
	SSL_CTX *ctx;
	pthread_t th;
};

static void *suite_serve(void *arg)
{
	struct suite_server *ss = arg;
	struct pollfd p = {.fd = ss->lfd, .events = POLLIN};
	SSL *ssl;
	int fd;

	if (poll(&p, 1, 10000) != 1 || (fd = accept(ss->lfd, NULL, NULL)) < 0)
		return NULL;
	ssl = SSL_new(ss->ctx);
	SSL_set_fd(ssl, fd);
	(void)SSL_accept(ssl);
	SSL_free(ssl);
	close(fd);
	return NULL;
}

static void suite_server_start(struct suite_server *ss, const tls_minted *m, const char *suites)
{
	ss->ctx = SSL_CTX_new(TLS_server_method());
	assert_non_null(ss->ctx);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(ss->ctx, m->cert_path), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ss->ctx, m->key_path, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_set_max_proto_version(ss->ctx, TLS1_2_VERSION), 1);
	assert_int_equal(SSL_CTX_set_cipher_list(ss->ctx, suites), 1);
	ss->lfd = test_listen_loopback(&ss->port);
	assert_int_equal(pthread_create(&ss->th, NULL, suite_serve, ss), 0);
}

/* An SM-DP+ (OpenSSL's) whose TLS 1.2 takes only ECDHE-ECDSA-AES128-SHA, a suite with an
 * HMAC-SHA1, alerts the handshake: the LPA says that the server took none of the TLS
 * versions and suites offered, and to check the server's TLS set-up, not --ca. Until session
 * 76 the LPA offered that suite (OpenSSL's default list) and the handshake went through. */
static void test_tls_suite_alert(void **state)
{
	certmint_spec spec = dptls_spec(97);
	fx *x = *state;
	struct suite_server ss;
	char iccid[21];
	tls_minted m;
	orsp_err e;

	tls_minted_init(&m, "lpa_tls_alert");
	tls_minted_serve(x, &m, &spec);
	suite_server_start(&ss, &m, "ECDHE-ECDSA-AES128-SHA");
	snprintf(x->base, sizeof(x->base), "https://127.0.0.1:%u", ss.port);
	x->route.base_url = x->base;
	e = run(x, NULL, iccid);
	pthread_join(ss.th, NULL);
	close(ss.lfd);
	SSL_CTX_free(ss.ctx);
	if (e != ORSP_E_VERIFY ||
	    !strstr(orsp_err_detail(), "the server accepted none of the TLS versions and cipher "
	                               "suites offered") ||
	    !strstr(orsp_err_detail(), "; check the server's TLS set-up (SGP.22") ||
	    strstr(orsp_err_detail(), "check --ca"))
		fail_msg("%d: %s", (int)e, orsp_err_detail());
	assert_int_equal(x->smdp.n, 0);
	assert_false(card_saw(x, 0xBF38));
	tls_minted_free(&m);
}

/* A DPtls certificate that names the CI as its issuer but is signed by another key is refused
 * as OpenSSL's verification refused it, "certificate signature failure", and the advice is
 * --ca's (it does not chain to the CI): libcurl reported only the error OpenSSL queued on the
 * way, "http: TLS failure: OpenSSL/3.0.19: error:06880006:asn1 encoding routines::EVP lib;
 * check --ca and the server", until session 75. */
static void test_tls_bad_signature(void **state)
{
	certmint_spec spec = {.subject = "/O=RSPTEST/CN=" THALES_FQDN,
	                      .serial = 95,
	                      .policy = "2.23.146.1.2.1.3", /* DPtls */
	                      .key_usage = "critical,digitalSignature",
	                      .ext_key_usage = "serverAuth",
	                      .san = "DNS:" THALES_FQDN};
	fx *x = *state;
	tls_minted m;
	EVP_PKEY *ci_key;

	tls_minted_init(&m, "lpa_tls_bad_sig");
	ci_key = m.ci_key;
	m.ci_key = certmint_key_new("prime256v1"); /* the CI's name, not its key */
	tls_minted_refused(x, &m, &spec);
	if (!strstr(orsp_err_detail(), "SSL certificate problem: certificate signature failure") ||
	    !strstr(orsp_err_detail(), "does not chain to a trusted CA: check --ca"))
		fail_msg("%s", orsp_err_detail());
	EVP_PKEY_free(m.ci_key);
	m.ci_key = ci_key;
	tls_minted_free(&m);
}

static void test_notifications(void **state)
{
	fx *x = *state;
	size_t sent = 0;
	orsp_lpa_route r = {"testsmdpplus1.example.com", x->base};

	x->server.routes = &r;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_true(card_saw(x, 0xBF2B));
	assert_true(x->card.removed);
	assert_int_equal(x->card.removed_seq, 5);
	assert_string_equal(x->smdp.calls[0], "handleNotification");
	/* the pendingNotification is the PIR the eUICC gave, verbatim */
	assert_delivered(x, PIR_OK);
	/* 200 without a body is delivered too */
	x->card.removed = false;
	x->card.n = 0;
	x->smdp.n = 0;
	x->smdp.mode[3] = ANS_EMPTY;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_true(x->card.removed);
	/* the server fails (5xx): three attempts, then kept on the eUICC */
	x->card.removed = false;
	x->card.n = 0;
	x->smdp.n = 0;
	x->smdp.mode[3] = ANS_500;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_IO);
	assert_int_equal(sent, 0);
	assert_false(x->card.removed);
	assert_int_equal(x->smdp.n, 3);
	/* a definite refusal (4xx): one attempt, kept */
	x->smdp.n = 0;
	x->smdp.mode[3] = ANS_400;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "HTTP 400"));
	assert_int_equal(sent, 0);
	assert_false(x->card.removed);
	assert_int_equal(x->smdp.n, 1);
	/* unreachable: retried, then kept */
	x->smdp.n = 0;
	orsp_http_server_stop(x->srv, 1000);
	x->srv = NULL;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_IO);
	assert_false(x->card.removed);
	/* nothing pending */
	x->card.n_notif = 0;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_OK);
	assert_int_equal(sent, 0);
}

/* An activation code naming the SM-DP+ OID (SGP.22 §4.1) is for the server whose CERT.DPauth
 * carries it: another one is refused before anything goes to the eUICC (until session 60 the
 * OID was checked for its form and then ignored). */
#define THALES_OID "1.3.6.1.4.1.31746.1.220.100.101.2"
#define OTHER_OID "1.3.6.1.4.1.31746.1.220.100.101.20"

/* A download with the activation code of OTHER_OID, serverCertificate replaced by cert_hex
 * unless NULL: refused with want and detail, only initiateAuthentication made. */
static void oid_refused(fx *x, const char *cert_hex, orsp_err want, const char *detail)
{
	static const char *const calls[] = {"initiateAuthentication"};
	char iccid[21];

	assert_int_equal(
	    orsp_lpa_ac_parse("LPA:1$" THALES_FQDN "$TEST-MATCHING-ID$" OTHER_OID, &x->ac),
	    ORSP_OK);
	memset(&x->smdp.spoil, 0, sizeof(x->smdp.spoil));
	if (cert_hex) {
		x->smdp.spoil.field = "serverCertificate";
		x->smdp.spoil.hex = cert_hex;
	}
	x->smdp.n = 0;
	x->card.n = 0;
	assert_int_equal(run(x, NULL, iccid), want);
	assert_string_equal(orsp_err_detail(), detail);
	assert_false(card_saw(x, 0xBF38));
	assert_calls(x, calls, 1);
	memset(&x->smdp.spoil, 0, sizeof(x->smdp.spoil));
}

/* DER as a malloc'ed hex string, for smdp.spoil; der freed. */
static char *hex_of(uint8_t *der, size_t n)
{
	char *hex = malloc(2 * n + 1);

	assert_non_null(der);
	assert_non_null(hex);
	assert_int_equal(orsp_hex_encode(der, n, hex, 2 * n + 1), ORSP_OK);
	free(der);
	return hex;
}

/* A self-signed certificate whose subjectAltName is san, as hex. */
static char *minted_hex(EVP_PKEY *k, const char *san)
{
	certmint_spec sp = {.subject = "/CN=SM-DP+ OIDs", .san = san};
	X509 *c = certmint_issue(&sp, k, NULL, k);
	size_t n = 0;
	uint8_t *der = certmint_der(c, &n);

	X509_free(c);
	return hex_of(der, n);
}

static void test_ac_oid(void **state)
{
	fx *x = *state;
	char iccid[21], *hex;
	size_t n = 0;
	uint8_t *der;
	EVP_PKEY *k;

	/* the Thales CERT.DPauth of the captured answer has registeredID THALES_OID */
	assert_int_equal(
	    orsp_lpa_ac_parse("LPA:1$" THALES_FQDN "$TEST-MATCHING-ID$" THALES_OID, &x->ac),
	    ORSP_OK);
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	oid_refused(x, NULL, ORSP_E_VERIFY,
	            "SM-DP+: its certificate (CERT.DPauth) names the SM-DP+ OID " THALES_OID
	            ", not " OTHER_OID " (the activation code's): another server; nothing of the "
	            "answer went to the eUICC");
	/* a certificate without a registeredID (an eUICC's), and one that does not decode */
	der = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &n);
	hex = hex_of(der, n);
	oid_refused(x, hex, ORSP_E_VERIFY,
	            "SM-DP+: its certificate (CERT.DPauth) names no SM-DP+ OID, the activation "
	            "code names " OTHER_OID "; nothing of the answer went to the eUICC");
	free(hex);
	oid_refused(x, "3000", ORSP_E_MALFORMED,
	            "SM-DP+ initiateAuthentication: malformed answer: serverCertificate is not a "
	            "certificate");
	/* several registeredIDs (SGP.22's profile gives one): any may be the code's (the fake
	 * card takes whatever certificate it is given) */
	k = certmint_key_new("prime256v1");
	hex = minted_hex(k, "RID:1.2.3.4,RID:" OTHER_OID);
	x->smdp.spoil.field = "serverCertificate";
	x->smdp.spoil.hex = hex;
	x->smdp.n = 0;
	x->card.n = 0;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	memset(&x->smdp.spoil, 0, sizeof(x->smdp.spoil));
	free(hex);
	hex = minted_hex(k, "RID:1.2.3.4,RID:2.999.10");
	oid_refused(x, hex, ORSP_E_VERIFY,
	            "SM-DP+: its certificate (CERT.DPauth) names the SM-DP+ OID 1.2.3.4 (and "
	            "others), not " OTHER_OID " (the activation code's): another server; nothing "
	            "of the answer went to the eUICC");
	free(hex);
	EVP_PKEY_free(k);
}

/* The activation code's SM-DP+ OID checked against the genuine CERT.DPauth, of another OID,
 * with the LPA's Nth OpenSSL allocation after initiateAuthentication's answer failing, and
 * no other, for every N until none fails: refused as another server, or out of memory, never
 * "serverCertificate is not a certificate" or a CERT.DPauth that "names no SM-DP+ OID" or
 * "(unreadable)", which blame the server for the LPA's failure (until session 75). */
static void test_ac_oid_out_of_memory(void **state)
{
	fx *x = *state;
	char iccid[21];
	unsigned resource = 0;
	bool failed = true;

	assert_int_equal(
	    orsp_lpa_ac_parse("LPA:1$" THALES_FQDN "$TEST-MATCHING-ID$" OTHER_OID, &x->ac),
	    ORSP_OK);
	for (unsigned at = 1; failed; at++) {
		unsigned before = test_ossl_failures();
		x->smdp.n = 0;
		x->card.n = 0;
		x->smdp.oom_at = at;
		orsp_err e = run(x, NULL, iccid);
		x->smdp.oom_at = 0;
		test_ossl_fail_at(0);
		failed = test_ossl_failures() != before;
		resource += e == ORSP_E_RESOURCE;
		if (e == ORSP_E_RESOURCE
		        ? !strstr(orsp_err_detail(), "out of memory")
		        : e != ORSP_E_VERIFY || !strstr(orsp_err_detail(), THALES_OID ", not"))
			fail_msg("allocation #%u failing: %s: %s", at, orsp_err_str(e),
			         orsp_err_detail());
		assert_false(card_saw(x, 0xBF38));
		orsp_err_clear();
	}
	assert_true(resource > 0);
}

/* A certificate valid from nb to na (0: certmint's 2020-01-01 to 2050-01-01), as hex. */
static char *dated_hex(EVP_PKEY *k, time_t nb, time_t na)
{
	certmint_spec sp = {.subject = "/CN=SM-DP+ dates", .not_before = nb, .not_after = na};
	X509 *c = certmint_issue(&sp, k, NULL, k);
	size_t n = 0;
	uint8_t *der = certmint_der(c, &n);

	X509_free(c);
	return hex_of(der, n);
}

/* The detail is plain, "; by this device's clock (", that clock (a date of 20 characters),
 * ") ", then tail. */
static void expect_clock_detail(const char *plain, const char *tail)
{
	const char *d = orsp_err_detail(), *mid = "; by this device's clock (";
	size_t pl = strlen(plain), ml = strlen(mid), tl = strlen(tail), dl = strlen(d);

	if (dl != pl + ml + 20 + 2 + tl || strncmp(d, plain, pl) != 0 ||
	    strncmp(d + pl, mid, ml) != 0 || strncmp(d + dl - tl - 2, ") ", 2) != 0 ||
	    strcmp(d + dl - tl, tail) != 0)
		fail_msg("detail \"%s\", want \"%s%s<clock>) %s\"", d, plain, mid, tail);
}

/* The eUICC refusing the SM-DP+'s certificate as invalidCertificate (CERT.DPauth at
 * AuthenticateServer, CERT.DPpb at PrepareDownload) when it is outside its validity period by
 * this device's clock: the user is told so, and to check the date and time (an eUICC may
 * judge the period by that clock, openrsp's software eUICC does; over plain HTTP no TLS check
 * says it first). One within its period, or one that does not read, gets the plain message,
 * and so does another error whatever the certificate's dates. Until session 73 each got the
 * plain one ("the SM-DP+ certificate is invalid"). */
static void test_server_cert_time(void **state)
{
	static const struct {
		const char *field, *answer, *name, *plain;
	} certs[] = {
	    {"serverCertificate", "BF3817A1158010" TID "020101", "CERT.DPauth",
	     "the eUICC refused the SM-DP+: the SM-DP+ certificate is invalid (CERT.DPauth)"},
	    {"smdpCertificate", "BF2117A1158010" TID "020101", "CERT.DPpb",
	     "the eUICC refused the profile's download (PrepareDownload error 1, "
	     "invalidCertificate: the SM-DP+ certificate (CERT.DPpb) is invalid)"},
	};
	const struct {
		time_t nb, na;
		const char *when; /* NULL: the plain message */
	} dates[] = {
	    {certmint_time(2020, 1, 1), certmint_time(2021, 1, 1),
	     "expired on 2021-01-01 00:00:00Z"},
	    {certmint_time(2090, 1, 1), certmint_time(2099, 1, 1),
	     "is not valid before 2090-01-01 00:00:00Z"},
	    {0, 0, NULL},
	};
	fx *x = *state;
	char iccid[21], tail[200], *hex;
	EVP_PKEY *k = certmint_key_new("prime256v1");

	x->smdp.mode[2] = ANS_FAILED; /* the SM-DP+'s answer to a PrepareDownload refused */
	for (int c = 0; c < 2; c++) {
		x->smdp.spoil.fn = c;
		x->smdp.spoil.field = certs[c].field;
		x->card.bf38_ans = c == 0 ? certs[c].answer : NULL;
		x->card.bf21_ans = c == 1 ? certs[c].answer : NULL;
		for (size_t i = 0; i < ORSP_ARRAY_LEN(dates); i++) {
			reset(x);
			hex = dated_hex(k, dates[i].nb, dates[i].na);
			x->smdp.spoil.hex = hex;
			assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
			snprintf(tail, sizeof(tail),
			         "%s %s: check this device's date and time, and the server",
			         certs[c].name, dates[i].when ? dates[i].when : "");
			if (dates[i].when)
				expect_clock_detail(certs[c].plain, tail);
			else
				assert_string_equal(orsp_err_detail(), certs[c].plain);
			free(hex);
		}
		/* not a certificate */
		reset(x);
		x->smdp.spoil.hex = "3000";
		assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
		assert_string_equal(orsp_err_detail(), certs[c].plain);
	}
	/* another AuthenticateServer error (invalidSignature) */
	reset(x);
	x->card.bf21_ans = NULL;
	x->card.bf38_ans = "BF3817A1158010" TID "020102";
	x->smdp.spoil.fn = 0;
	x->smdp.spoil.field = "serverCertificate";
	hex = dated_hex(k, dates[0].nb, dates[0].na);
	x->smdp.spoil.hex = hex;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC refused the SM-DP+: the SM-DP+ signature is invalid");
	/* undefinedError (127): nothing said of a wrong server or CI, which have codes of their
	 * own (until session 74: "wrong server, or a CI the eUICC does not trust"); a code SGP.22
	 * does not define is named as such */
	reset(x);
	x->card.bf38_ans = "BF3817A1158010" TID "02017F";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC refused the SM-DP+ (AuthenticateServer undefinedError "
	                    "(127)): the eUICC could not process the SM-DP+'s authentication "
	                    "data (malformed or unsupported, or the eUICC failed inside)");
	reset(x);
	x->card.bf38_ans = "BF3817A1158010" TID "020108";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(), "the eUICC refused the SM-DP+ (AuthenticateServer "
	                                       "error 8, not an SGP.22 AuthenticateErrorCode)");
	free(hex);
	x->card.bf38_ans = NULL;
	memset(&x->smdp.spoil, 0, sizeof(x->smdp.spoil));
	EVP_PKEY_free(k);
}

/* ServerSigned1 must name the SM-DP+ address of the activation code (in any case) and carry
 * the transactionId of the answer; otherwise nothing goes to the eUICC (no AuthenticateServer,
 * no CancelSession: the eUICC has no session yet) and nothing more to the SM-DP+. */
static void test_server_signed1(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const char *const calls[] = {"initiateAuthentication"};

	/* the address differs only in case: accepted */
	assert_int_equal(
	    orsp_lpa_ac_parse("LPA:1$WBG.Prod.OnDemandConnectivity.COM$TEST-MATCHING-ID", &x->ac),
	    ORSP_OK);
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	/* another address (routed to the same server) */
	x->smdp.n = 0;
	x->card.n = 0;
	x->route.fqdn = "smdp.example.com";
	assert_int_equal(orsp_lpa_ac_parse("LPA:1$smdp.example.com$TEST-MATCHING-ID", &x->ac),
	                 ORSP_OK);
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "SM-DP+: serverSigned1 names the SM-DP+ address "
	                    "\"" THALES_FQDN "\", not smdp.example.com (the activation code's); "
	                    "nothing of the answer went to the eUICC");
	assert_false(card_saw(x, 0xBF38));
	assert_false(card_saw(x, 0xBF41));
	assert_calls(x, calls, 1);
	/* the same from the eUICC's default SM-DP+ address: named as such */
	x->smdp.n = 0;
	x->card.n = 0;
	x->address_from = "the eUICC's default SM-DP+ address";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "SM-DP+: serverSigned1 names the SM-DP+ address "
	                    "\"" THALES_FQDN "\", not smdp.example.com (the eUICC's default "
	                    "SM-DP+ address); nothing of the answer went to the eUICC");
	assert_false(card_saw(x, 0xBF38));
	assert_calls(x, calls, 1);
	x->address_from = NULL;
	/* another transactionId in the JSON answer than in serverSigned1 */
	x->smdp.n = 0;
	x->card.n = 0;
	x->route.fqdn = THALES_FQDN;
	assert_int_equal(orsp_lpa_ac_parse("LPA:1$" THALES_FQDN "$TEST-MATCHING-ID", &x->ac),
	                 ORSP_OK);
	x->smdp.tid = "E4F6996D64A543FC8A7F6F8F97F9428E";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "serverSigned1 is for another session"));
	assert_false(card_saw(x, 0xBF38));
	assert_false(card_saw(x, 0xBF41));
	assert_calls(x, calls, 1);
	/* an empty transactionId, in the JSON answer and in serverSigned1 alike: TransactionId
	 * is OCTET STRING (SIZE(1..16)), so the answer is malformed and nothing goes to the
	 * eUICC (it went into AuthenticateServer) */
	x->smdp.n = 0;
	x->card.n = 0;
	x->smdp.tid = "";
	x->smdp.spoil.fn = 0;
	x->smdp.spoil.field = "serverSigned1";
	x->smdp.spoil.hex =
	    "3049800081108BCF1BE4ADA9C98AF06298733005610383217762672E70726F642E6F6E6"
	    "4656D616E64636F6E6E65637469766974792E636F6D84100000000000000000000000"
	    "0000000000";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(),
	                       "SM-DP+ initiateAuthentication: malformed answer: transactionId"));
	assert_false(card_saw(x, 0xBF38));
	assert_false(card_saw(x, 0xBF41));
	assert_calls(x, calls, 1);
	/* serverSigned1 that is no ServerSigned1: not a SEQUENCE (A0 in its place, bytes after
	 * it, cut short), or a SEQUENCE without transactionId [0], euiccChallenge [1] and
	 * serverAddress [3] and serverChallenge [4] in that order (empty, [1] before [0], [3]
	 * missing, [3] before [1], [4] missing);
	 * each field otherwise the session's: malformed, nothing sent to the eUICC */
#define S1_TID "8010" TID
#define S1_CHAL "81108BCF1BE4ADA9C98AF062987330056103"
#define S1_ADDR "83217762672E70726F642E6F6E64656D616E64636F6E6E65637469766974792E636F6D"
#define S1_SCHAL "841000000000000000000000000000000000"
	static const char *const not_s1[] = {
	    "A059" S1_TID S1_CHAL S1_ADDR S1_SCHAL,      /* [0] constructed, not SEQUENCE */
	    "3059" S1_TID S1_CHAL S1_ADDR S1_SCHAL "00", /* a byte after it */
	    "3059" S1_TID S1_CHAL S1_ADDR,               /* its length beyond the data */
	    "3000",                                      /* empty */
	    "3059" S1_CHAL S1_TID S1_ADDR S1_SCHAL,      /* [1] before [0] */
	    "3024" S1_TID S1_CHAL,                       /* no [3] nor [4] */
	    "3036" S1_TID S1_CHAL S1_SCHAL,              /* no [3] */
	    "3059" S1_TID S1_ADDR S1_CHAL S1_SCHAL,      /* [3] before [1] */
	    "3047" S1_TID S1_CHAL S1_ADDR,               /* no [4] */
	};
	/* control: the same fields in their order pass to the eUICC */
	x->smdp.tid = NULL;
	x->smdp.n = 0;
	x->card.n = 0;
	x->smdp.spoil.hex = "3059" S1_TID S1_CHAL S1_ADDR S1_SCHAL;
	(void)run(x, NULL, iccid);
	assert_true(card_saw(x, 0xBF38));
	orsp_err_clear();
	/* a serverChallenge of 15, 0 or 200 bytes (Octet16 in SGP.22): malformed, nothing sent
	 * to the eUICC, which would answer undefinedError (until session 74 it went to the
	 * eUICC, and the user read "wrong server, or a CI the eUICC does not trust") */
	{
		static const size_t lens[] = {15, 0, 200};
		char hex[700], want[200];
		for (size_t i = 0; i < ORSP_ARRAY_LEN(lens); i++) {
			/* [4]'s header, then the SEQUENCE's length in one, two or three bytes */
			size_t body = 71 + (lens[i] > 127 ? 3 : 2) + lens[i];
			const char *seq = body > 255 ? "308201" : body > 127 ? "3081" : "30";
			size_t o = (size_t)snprintf(hex, sizeof(hex), "%s%02zX%s%s%s84%s%02zX", seq,
			                            body & 0xFF, S1_TID, S1_CHAL, S1_ADDR,
			                            lens[i] > 127 ? "81" : "", lens[i]);
			for (size_t k = 0; k < lens[i]; k++)
				o += (size_t)snprintf(hex + o, sizeof(hex) - o, "5A");
			x->smdp.n = 0;
			x->card.n = 0;
			x->smdp.spoil.hex = hex;
			assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
			snprintf(want, sizeof(want),
			         "SM-DP+: serverSigned1's serverChallenge is %zu bytes, not 16 "
			         "(Octet16); nothing of the answer went to the eUICC",
			         lens[i]);
			assert_string_equal(orsp_err_detail(), want);
			assert_false(card_saw(x, 0xBF38));
			assert_false(card_saw(x, 0xBF41));
			assert_calls(x, calls, 1);
		}
	}
#undef S1_TID
#undef S1_CHAL
#undef S1_ADDR
#undef S1_SCHAL
	for (size_t i = 0; i < sizeof(not_s1) / sizeof(not_s1[0]); i++) {
		x->smdp.n = 0;
		x->card.n = 0;
		x->smdp.spoil.hex = not_s1[i];
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(),
		                    "SM-DP+: serverSigned1 is not a ServerSigned1");
		assert_false(card_saw(x, 0xBF38));
		assert_false(card_saw(x, 0xBF41));
		assert_calls(x, calls, 1);
	}
	memset(&x->smdp.spoil, 0, sizeof(x->smdp.spoil));
}

/* ListNotification: seqNumbers 5 and 6 */
#define LIST_5_6 "BF2864A062" NM_SEQ("05") NM_SEQ("06")
#define RETRIEVE_6 "BF2B81A8A081A5" PIR_OK_SEQ("06")

static void check_removed(const fx *x, const uint64_t *want, size_t n)
{
	if (x->card.n_removed != n)
		fail_msg("%zu notifications removed, expected %zu", x->card.n_removed, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(x->card.removed_seqs[i], want[i]);
}

/* Each listed notification on its own: one the eUICC no longer has (an empty list, or
 * noResultAvailable) is skipped; one it refuses to give, or whose removal fails, is counted
 * and reported at the end, with the first one's reason, while the others are still sent and
 * removed. */
static void test_notifications_each(void **state)
{
	fx *x = *state;
	size_t sent = 9;
	orsp_lpa_route r = {"testsmdpplus1.example.com", x->base};
	static const uint64_t only6[] = {6}, both[] = {5, 6};
	static const char *const gone[] = {"BF2B02A000", "BF2B03810101"};

	x->server.routes = &r;
	x->card.list = LIST_5_6;
	x->card.retrieve[6] = RETRIEVE_6;
	for (size_t k = 0; k < 2; k++) {
		x->card.n_removed = 0;
		x->smdp.n = 0;
		x->card.retrieve[5] = gone[k];
		assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent),
		                 ORSP_OK);
		assert_int_equal(sent, 1);
		check_removed(x, only6, 1);
		assert_int_equal(x->smdp.n, 1);
		assert_delivered(x, PIR_OK_SEQ("06"));
	}
	/* an error answer for 5: 6 is still sent and removed; the run fails, naming 5 */
	x->card.n_removed = 0;
	x->card.retrieve[5] = "BF2B0381017F";
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_STATE);
	assert_int_equal(sent, 1);
	check_removed(x, only6, 1);
	assert_string_equal(orsp_err_detail(),
	                    "1 of 2 notifications failed (kept on the eUICC for the next run); "
	                    "notification 5: the eUICC did not give it (RetrieveNotificationsList "
	                    "error 127)");
	/* ... and the removal of 6 fails too: both counted, the first reason kept */
	x->card.n_removed = 0;
	x->card.remove_fails = 6;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_STATE);
	assert_int_equal(sent, 0);
	assert_non_null(strstr(orsp_err_detail(), "2 of 2 notifications failed"));
	assert_non_null(strstr(orsp_err_detail(), "notification 5: the eUICC did not give it"));
	/* a failed removal of 5 does not stop 6 */
	x->card.n_removed = 0;
	x->card.remove_fails = 5;
	x->card.retrieve[5] = NULL; /* the default answer: PIR_OK, seqNumber 5 */
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_STATE);
	assert_int_equal(sent, 1);
	check_removed(x, both, 2);
	assert_string_equal(orsp_err_detail(),
	                    "1 of 2 notifications failed (kept on the eUICC for the next run); "
	                    "notification 5: delivered, but not removed from the eUICC: card: "
	                    "NotificationSent error 127");
}

/* How many ListNotification the card was sent. */
static size_t listed(const fx *x)
{
	size_t k = 0;
	for (size_t i = 0; i < x->card.n; i++)
		k += x->card.tags[i] == 0xBF28;
	return k;
}

/* How many RetrieveNotificationsList the card was sent. */
static size_t retrieved(const fx *x)
{
	size_t k = 0;
	for (size_t i = 0; i < x->card.n; i++)
		k += x->card.tags[i] == 0xBF2B;
	return k;
}

/* More notifications than the LPA read at once until session 74 (32): the whole list is
 * read once and each tried once a run, those that cannot be sent kept. When 32 could not be
 * sent, the ones behind them were never tried, the run failing with "8 behind them were not
 * tried". */
static void test_notifications_more_than_listed(void **state)
{
	fx *x = *state;
	size_t sent = 0;
	orsp_lpa_route r = {"testsmdpplus1.example.com", x->base};

	x->server.routes = &r;
	x->card.n_pending = 40;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_OK);
	assert_int_equal(sent, 40);
	for (unsigned q = 1; q <= 40; q++)
		assert_true(x->card.pending_removed[q]);
	assert_int_equal(retrieved(x), 40);
	assert_int_equal(listed(x), 1);

	/* the removal of 3 fails: tried once, the 32 others sent and removed */
	memset(x->card.pending_removed, 0, sizeof(x->card.pending_removed));
	x->card.n = 0;
	x->card.n_pending = 33;
	x->card.remove_fails = 3;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_STATE);
	assert_int_equal(sent, 32);
	assert_int_equal(retrieved(x), 33);
	assert_false(x->card.pending_removed[3]);
	assert_true(x->card.pending_removed[33]);
	assert_string_equal(orsp_err_detail(),
	                    "1 of 33 notifications failed (kept on the eUICC for the next run); "
	                    "notification 3: delivered, but not removed from the eUICC: card: "
	                    "NotificationSent error 127");

	/* the first 32 cannot be sent (their address is no host name): kept, and the 8 behind
	 * them sent all the same */
	memset(x->card.pending_removed, 0, sizeof(x->card.pending_removed));
	x->card.n = 0;
	x->card.n_pending = 40;
	x->card.remove_fails = 0;
	for (unsigned q = 1; q <= 32; q++)
		x->card.pending_addr[q] = 2;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent),
	                 ORSP_E_MALFORMED);
	assert_int_equal(sent, 8);
	assert_int_equal(retrieved(x), 40);
	assert_int_equal(listed(x), 1);
	for (unsigned q = 1; q <= 40; q++)
		assert_int_equal(x->card.pending_removed[q], q >= 33);
	assert_non_null(strstr(orsp_err_detail(),
	                       "32 of 40 notifications failed (kept on the eUICC for the next "
	                       "run); notification 1: its SM-DP+ address \"smdp example.com\""));
}

/* notification remove --address on a list longer than 32: each of that address removed,
 * wherever it is listed, and counted. Until session 74 the list was read 32 at a time, again
 * only after a round that removed some: behind 32 of another address nothing was found. */
static void test_notification_remove_address_beyond_32(void **state)
{
	fx *x = *state;
	orsp_lpa_notification gone[4];
	size_t n = 9;

	/* 1..32 for testsmdpplus1, 33..40 for testsmdpplus2 */
	x->card.n_pending = 40;
	for (unsigned s = 33; s <= 40; s++)
		x->card.pending_addr[s] = 1;
	assert_int_equal(orsp_lpa_notification_remove_address(&x->lc, "TestSMDPplus2.example.com",
	                                                      gone, ORSP_ARRAY_LEN(gone), &n),
	                 ORSP_OK);
	assert_int_equal(n, 8);
	for (unsigned s = 1; s <= 40; s++)
		assert_int_equal(x->card.pending_removed[s], s >= 33);
	assert_int_equal(gone[0].seq, 33);
	assert_int_equal(gone[3].seq, 36);
	assert_string_equal(gone[3].address, "testsmdpplus2.example.com");

	/* 1..5 and 38..45 for testsmdpplus2, the 32 between them not: 13 removed */
	memset(x->card.pending_removed, 0, sizeof(x->card.pending_removed));
	memset(x->card.pending_addr, 0, sizeof(x->card.pending_addr));
	x->card.n_pending = 45;
	for (unsigned s = 1; s <= 45; s++)
		x->card.pending_addr[s] = s <= 5 || s >= 38;
	assert_int_equal(
	    orsp_lpa_notification_remove_address(&x->lc, "testsmdpplus2.example.com", NULL, 0, &n),
	    ORSP_OK);
	assert_int_equal(n, 13);
	for (unsigned s = 1; s <= 45; s++)
		assert_int_equal(x->card.pending_removed[s], x->card.pending_addr[s]);
	/* none left for it: not found */
	assert_int_equal(
	    orsp_lpa_notification_remove_address(&x->lc, "testsmdpplus2.example.com", NULL, 0, &n),
	    ORSP_E_NOT_FOUND);
	assert_int_equal(n, 0);
}

/* The download's uses of the pending list with more than 32 on it, each of which read only
 * the first 32 until session 74: the addresses an undefinedError names (8 for another
 * address left out, and the command to paste named the one address seen), the results
 * delivered for a profile the eUICC holds already (32 of 40), and an installation result
 * for the activation code's SM-DP+ (the 40th: not named). */
static void test_download_pending_beyond_32(void **state)
{
	fx *x = *state;
	char iccid[21];
	orsp_lpa_route r[2] = {{THALES_FQDN, x->base}, {"testsmdpplus1.example.com", x->base}};

	x->card.n_pending = 40;
	for (unsigned s = 33; s <= 40; s++)
		x->card.pending_addr[s] = 1;
	x->card.bf21_ans = "BF2117A1158010" TID "02017F";
	x->smdp.mode[2] = ANS_FAILED;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(),
	            "with 40 notifications pending (32 for testsmdpplus1.example.com, 8 for "
	            "testsmdpplus2.example.com): ") ||
	    !strstr(orsp_err_detail(), "`openrsp lpa notification remove --address ADDRESS` "
	                               "removes them unsent"))
		fail_msg("%s", orsp_err_detail());
	x->card.bf21_ans = NULL;
	x->smdp.mode[2] = ANS_OK;

	/* the profile held already: every result for its ICCID delivered */
	reset(x);
	memset(x->card.pending_addr, 0, sizeof(x->card.pending_addr));
	x->server.routes = r;
	x->server.n_routes = 2;
	x->card.profiles = PROFILES_ICCID1;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_true(x->already);
	assert_int_equal(x->delivered, 40);
	for (unsigned s = 1; s <= 40; s++)
		assert_true(x->card.pending_removed[s]);
	x->card.profiles = NULL;

	/* no download left, the activation code's SM-DP+ result the 40th */
	reset(x);
	memset(x->card.pending_removed, 0, sizeof(x->card.pending_removed));
	x->card.pending_addr[40] = 3;
	x->smdp.mode[1] = ANS_FAILED;
	x->smdp.subject = "8.8.5";
	x->smdp.reason = "6.4";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(), "but first: the eUICC holds an installation result for "
	                               "this SM-DP+ that has not reached it (notification 40, "
	                               "ICCID " ICCID1 ")"))
		fail_msg("%s", orsp_err_detail());
}

/* The eUICC answers the request for 5 with another notification (6): it is not sent, and 5
 * is not removed, since what would be delivered is not what was listed. With several, the
 * one carrying the listed seqNumber is sent. */
static void test_notifications_seq_mismatch(void **state)
{
	fx *x = *state;
	size_t sent = 9;
	orsp_lpa_route r = {"testsmdpplus1.example.com", x->base};
	static const uint64_t five[] = {5};

	x->server.routes = &r;
	x->card.retrieve[5] = RETRIEVE_6;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_E_STATE);
	assert_int_equal(sent, 0);
	assert_false(x->card.removed);
	assert_int_equal(x->smdp.n, 0);
	assert_non_null(strstr(orsp_err_detail(), "another notification (seqNumber 6)"));
	/* two entries, 6 then 5: 5 is delivered and removed */
	x->card.retrieve[5] = "BF2B82014EA082014A" PIR_OK_SEQ("06") PIR_OK_SEQ("05");
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	check_removed(x, five, 1);
	assert_delivered(x, PIR_OK);
}

/* A notification whose address is no SM-DP+ host name (empty, or with a space) cannot be
 * sent: no TLS certificate could be checked against it, --server-url (base_url) or not. It
 * is kept, nothing goes to any server, the error names the address and how to drop it, and
 * the others are still sent. */
#define NM_NO_ADDRESS "BF2F15800105810207800C005A0A98001032547698103214"
#define NM_SPACE                                                                                   \
	"BF2F25800105810207800C10"                                                                 \
	"736D6470206578616D706C652E636F6D"                                                         \
	"5A0A98001032547698103214"
static void test_notifications_bad_address(void **state)
{
	fx *x = *state;
	size_t sent = 9;
	static const uint64_t only6[] = {6};

	x->server.routes = NULL;
	x->server.n_routes = 0;
	x->server.base_url = x->base; /* --server-url: everything to the test SM-DP+ */
	x->card.retrieve[6] = RETRIEVE_6;
	x->card.list = "BF284BA049" NM_NO_ADDRESS NM_SEQ("06");
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent),
	                 ORSP_E_MALFORMED);
	assert_int_equal(sent, 1);
	check_removed(x, only6, 1);
	assert_int_equal(x->smdp.n, 1);
	assert_delivered(x, PIR_OK_SEQ("06"));
	assert_string_equal(orsp_err_detail(),
	                    "1 of 2 notifications failed (kept on the eUICC for the next run); "
	                    "notification 5: its SM-DP+ address \"\" is not a host name, so no "
	                    "server can be authenticated for it (--server-url or not): it cannot "
	                    "be sent; `openrsp lpa notification remove 5` drops it");
	/* an address with a space: the same, the address shown */
	x->card.n_removed = 0;
	x->smdp.n = 0;
	x->card.list = "BF282AA028" NM_SPACE;
	assert_int_equal(orsp_lpa_process_notifications(&x->lc, &x->server, &sent),
	                 ORSP_E_MALFORMED);
	assert_int_equal(sent, 0);
	assert_int_equal(x->card.n_removed, 0);
	assert_int_equal(x->smdp.n, 0);
	assert_non_null(strstr(orsp_err_detail(), "notification 5: its SM-DP+ address \"smdp "
	                                          "example.com\" is not a host name"));
}

/* ---------------------------------------------------------------- profile policy rules - */

/* The CancelSessionReason the eUICC was given (BF41 { 80 transactionId, 81 01 reason }). */
static uint8_t cancel_reason(const fx *x)
{
	assert_true(x->card.bf41_len > 3);
	assert_int_equal(x->card.bf41[x->card.bf41_len - 3], 0x81);
	assert_int_equal(x->card.bf41[x->card.bf41_len - 2], 0x01);
	return x->card.bf41[x->card.bf41_len - 1];
}

/* A new download on the same fixture: what the parties saw so far forgotten. */
static void reset(fx *x)
{
	x->card.n = 0;
	x->card.bf41_len = 0;
	x->smdp.n = 0;
	x->n_confirm = x->n_consent = 0;
	x->consent_ppr = 0;
	memset(&x->offered, 0, sizeof(x->offered));
}

static const char *const calls_cancelled[] = {"initiateAuthentication", "authenticateClient",
                                              "cancelSession"};

/* The fields of the SM-DP+'s answers that go to the eUICC as they are must each be one DER
 * TLV of their type: a second TLV after one (which a lenient eUICC would take as the next
 * field of AuthenticateServer or PrepareDownload), another tag, or a cut TLV is a malformed
 * answer. Nothing goes to the eUICC: an initiateAuthentication answer is refused before
 * AuthenticateServer (no session to cancel yet), an authenticateClient answer before the
 * user is asked anything, the session cancelled. */
static void test_fields_one_tlv(void **state)
{
	static const struct {
		int fn;
		const char *field, *hex;
		bool append;
		const char *type;
	} t[] = {
	    {0, "serverSignature1", "0400", true, "signature (a DER TLV tagged 5F37)"},
	    {0, "serverSignature1", "04020000", false, "signature (a DER TLV tagged 5F37)"},
	    {0, "euiccCiPKIdToBeUsed", "30008100", true,
	     "SubjectKeyIdentifier (a DER TLV tagged 04)"},
	    {0, "euiccCiPKIdToBeUsed", "80020000", false,
	     "SubjectKeyIdentifier (a DER TLV tagged 04)"},
	    {0, "serverCertificate", "A0028000", true, "Certificate (a DER TLV tagged 30)"},
	    {0, "serverCertificate", "3081", false, "Certificate (a DER TLV tagged 30)"},
	    {1, "smdpSigned2", "5F370100", true, "SmdpSigned2 (a DER TLV tagged 30)"},
	    {1, "smdpSignature2", "0420" S8 S8 S8 S8, true, "signature (a DER TLV tagged 5F37)"},
	    {1, "smdpSignature2", "5F3740" S8 S8 S8 S8 S8 S8 S8, false,
	     "signature (a DER TLV tagged 5F37)"},
	    {1, "smdpCertificate", "3000", true, "Certificate (a DER TLV tagged 30)"},
	    {1, "smdpCertificate", "040100", false, "Certificate (a DER TLV tagged 30)"},
	};
	fx *x = *state;
	char iccid[21], want[200];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		reset(x);
		x->smdp.spoil.fn = t[i].fn;
		x->smdp.spoil.field = t[i].field;
		x->smdp.spoil.hex = t[i].hex;
		x->smdp.spoil.append = t[i].append;
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		snprintf(want, sizeof(want), "SM-DP+ %s: malformed answer: %s is not one %s%s",
		         fn_names[t[i].fn], t[i].field, t[i].type,
		         t[i].fn ? " (session cancelled)" : "");
		if (strcmp(orsp_err_detail(), want))
			fail_msg("case %zu: %s", i, orsp_err_detail());
		assert_int_equal(x->n_confirm, 0);
		if (t[i].fn == 0) {
			assert_false(card_saw(x, 0xBF38));
			assert_int_equal(x->smdp.n, 1);
		} else {
			assert_calls(x, calls_cancelled, 3);
			assert_true(card_saw(x, 0xBF41));
			assert_false(card_saw(x, 0xBF21));
		}
	}
	memset(&x->smdp.spoil, 0, sizeof(x->smdp.spoil));
	/* one TLV tagged 30 whose contents are no TLVs: named as the ccRequiredFlag's is */
	reset(x);
	x->smdp.s2 = "30028005";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(),
	                    "SM-DP+ authenticateClient: malformed answer: "
	                    "smdpSigned2 is not a SmdpSigned2 (session cancelled)");
	assert_int_equal(x->n_confirm, 0);
	assert_calls(x, calls_cancelled, 3);
	x->smdp.s2 = NULL;
}

/* smdpSigned2 s2 in the authenticateClient answer (cc: the confirmation code given, or
 * NULL): a malformed answer with detail `want`, the session cancelled on both sides before
 * the user is asked anything or PrepareDownload is sent. */
static void s2_refused(fx *x, const char *s2, const char *cc, const char *want)
{
	char iccid[21];

	reset(x);
	x->smdp.s2 = s2;
	assert_int_equal(run(x, cc, iccid), ORSP_E_MALFORMED);
	if (strcmp(orsp_err_detail(), want))
		fail_msg("%s: %s", s2, orsp_err_detail());
	assert_calls(x, calls_cancelled, 3);
	assert_true(card_saw(x, 0xBF41));
	assert_false(card_saw(x, 0xBF21));
	assert_int_equal(x->n_confirm, 0);
}

/* A ccRequiredFlag that is not a DER BOOLEAN (one octet, 00 or FF; 01 is TRUE to BER) is
 * malformed: the session is cancelled before the user is asked anything or PrepareDownload
 * is sent (it was read as TRUE, and the download asked for a confirmation code). */
static void test_download_cc_not_der(void **state)
{
	static const char *const s2[] = {"30158010" TID "010101", "30158010" TID "010180",
	                                 "30168010" TID "0102FFFF", "30148010" TID "0100"};
	fx *x = *state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(s2); i++)
		s2_refused(x, s2[i], "12345678",
		           "SM-DP+ authenticateClient: malformed answer: the ccRequiredFlag of "
		           "smdpSigned2 is not a DER BOOLEAN (00 or FF) (session cancelled)");
}

/* smdpSigned2's fields in the ASN.1's order, each once (transactionId, ccRequiredFlag,
 * bppEuiccOtpk OPTIONAL, then extensions), as the eUICC reads them: a missing flag was read
 * as FALSE and of two the last counted. An extension after the flag is taken. */
static void test_download_s2_fields(void **state)
{
	static const char *const bad[] = {
	    "30128010" TID,                      /* no ccRequiredFlag */
	    "30188010" TID "0101FF010100",       /* two */
	    "30188010" TID "5F49000101FF",       /* bppEuiccOtpk before it */
	    "301B8010" TID "0101FF5F49005F4900", /* bppEuiccOtpk twice */
	    "301B8010" TID "0101FF8201005F4900", /* bppEuiccOtpk after an extension */
	    "30188010" TID "0101FF800100",       /* a second transactionId */
	};
	fx *x = *state;
	char iccid[21];

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++)
		s2_refused(x, bad[i], NULL,
		           "SM-DP+ authenticateClient: malformed answer: smdpSigned2 is not a "
		           "SmdpSigned2 (session cancelled)");
	reset(x);
	x->smdp.s2 = "30188010" TID "010100820100";
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_true(card_saw(x, 0xBF21));
	x->smdp.s2 = NULL;
}

/* PPR1 and PPR2, whose rule in the RAT asks consent, and no way to ask: the session is
 * cancelled with postponed (the order stays for a device that can ask) before the user is
 * shown anything or PrepareDownload is sent. pprUpdateControl alone binds nobody: no GetRAT,
 * no consent, installed as before. */
static void test_ppr_consent_missing(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const uint32_t es10[] = {0xBF2E, 0xBF20, 0xBF38, 0xBF2D, 0xBF43, 0xBF41};

	x->smdp.meta = META_PPR12;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_string_equal(
	    orsp_err_detail(),
	    "this profile's policy rules PPR1 (no disabling), PPR2 (no deletion) need "
	    "the end user's consent: ask with --ask, or pre-authorise them with "
	    "--accept-ppr (session cancelled)");
	assert_calls(x, calls_cancelled, 3);
	assert_int_equal(x->card.n, ORSP_ARRAY_LEN(es10));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(es10); i++)
		assert_int_equal(x->card.tags[i], es10[i]);
	assert_int_equal(cancel_reason(x), 1); /* postponed */
	assert_int_equal(x->n_confirm, 0);
	assert_string_equal(iccid, "");

	reset(x);
	x->smdp.meta = META_UPDATE_CONTROL;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_false(card_saw(x, 0xBF43));
	assert_int_equal(x->offered.ppr, ORSP_LPA_PPR_UPDATE_CONTROL);
}

/* The user is shown the profile with its PPRs, then asked to consent to them, and refuses:
 * endUserRejection (the order ends), nothing prepared on the eUICC. */
static void test_ppr_consent_refused(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.meta = META_PPR12;
	x->consent = CONSENT_NO;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_POLICY);
	assert_string_equal(
	    orsp_err_detail(),
	    "the profile's policy rules PPR1 (no disabling), PPR2 (no deletion) were "
	    "refused (session cancelled)");
	assert_calls(x, calls_cancelled, 3);
	assert_int_equal(cancel_reason(x), 0); /* endUserRejection */
	assert_false(card_saw(x, 0xBF21));
	assert_int_equal(x->n_confirm, 1);
	assert_int_equal(x->n_consent, 1);
	assert_int_equal(x->offered.ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	assert_int_equal(x->consent_ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	assert_string_equal(iccid, "");
}

/* Nobody answered the question (the input ended, the terminal went away): no refusal, so the
 * session is cancelled with timeout (2), which leaves the order downloadable, not
 * endUserRejection, which ends it; at the confirmation and at the consent to PPRs alike. */
static void test_download_unanswered(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->refuse = x->unanswered = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(),
	                    "nobody answered the question (the input ended): not installed, the "
	                    "order stays for another try (session cancelled)");
	assert_calls(x, calls_cancelled, 3);
	assert_int_equal(cancel_reason(x), 2); /* timeout */
	assert_false(card_saw(x, 0xBF21));
	assert_string_equal(iccid, "");

	reset(x);
	x->refuse = false;
	x->smdp.meta = META_PPR12;
	x->consent = CONSENT_NO;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_int_equal(x->n_consent, 1);
	assert_calls(x, calls_cancelled, 3);
	assert_int_equal(cancel_reason(x), 2);
	assert_false(card_saw(x, 0xBF21));
}

/* jansson's allocator for test_download_out_of_memory: fails its first call once armed */
static bool json_fail_armed;
static json_malloc_t json_real_malloc;

static void *json_failing_malloc(size_t n)
{
	if (json_fail_armed) {
		json_fail_armed = false;
		return NULL;
	}
	return json_real_malloc(n);
}

/* The first request's JSON object not allocated: the download fails, out of memory, before
 * any ES9+ call, and says no ICCID (it returned success, reported as installed with no ICCID,
 * though nothing was: review find). */
static void test_download_out_of_memory(void **state)
{
	fx *x = *state;
	char iccid[21] = "x";
	json_free_t real_free;

	json_get_alloc_funcs(&json_real_malloc, &real_free);
	json_set_alloc_funcs(json_failing_malloc, real_free);
	json_fail_armed = true;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_RESOURCE);
	json_set_alloc_funcs(json_real_malloc, real_free);
	assert_false(json_fail_armed);
	assert_string_equal(orsp_err_detail(), "out of memory");
	assert_calls(x, NULL, 0);
	assert_false(card_saw(x, 0xBF21));
	assert_string_equal(iccid, "");
}

/* A download whose installation result reached the SM-DP+ and whose removal from the eUICC
 * the caller set up (card.remove_fails or remove_absent, seqNumber 5), then the same with a
 * failed installation: the result is said left on the eUICC (left) or not, and the failure's
 * error is detail. */
static void pir_removal(fx *x, bool left, const char *detail)
{
	char iccid[21];

	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_int_equal(x->card.removed_seq, 5);
	assert_int_equal(x->left, left);
	if (left)
		assert_int_equal(x->left_seq, 5);
	assert_false(x->pending);
	assert_false(x->lost);
	reset(x);
	x->card.pir = PIR_ERR57;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_int_equal(x->left, left);
	assert_string_equal(orsp_err_detail(), detail);
	x->card.pir = NULL;
}

/* The result reached the SM-DP+ but the eUICC did not take it off its list: the download
 * succeeded and says so (result_left, with the seqNumber to remove), where the failure was
 * dropped silently until session 56 (the result kept a notification slot and would be sent
 * again); a failed installation's error says so too. */
static void test_result_left_on_euicc(void **state)
{
	fx *x = *state;

	x->card.remove_fails = 5;
	pir_removal(x, true,
	            "the eUICC could not install the profile: ErrorReason 7 "
	            "(scp03tStructureError) at BppCommandId 5 (loadProfileElements); the result "
	            "reached the SM-DP+ but stays on the eUICC's list: `openrsp lpa notification "
	            "remove 5` removes it");
	x->card.remove_fails = 0;
}

/* The result reached the SM-DP+ and the eUICC has no notification under its seqNumber to
 * remove (nothingToDelete: it kept none, its list being full, or dropped it meanwhile):
 * nothing is left on its list, so the download is not said to have left it there (it said
 * `openrsp lpa notification remove 5` removes it, which then fails: no such notification),
 * as `notification process` takes nothingToDelete after a delivery; a failed installation's
 * error says nothing of a result left. */
static void test_result_not_on_euicc(void **state)
{
	fx *x = *state;

	x->card.remove_absent = 5;
	pir_removal(x, false,
	            "the eUICC could not install the profile: ErrorReason 7 "
	            "(scp03tStructureError) at BppCommandId 5 (loadProfileElements)");
	x->card.remove_absent = 0;
}

/* A stop (SIGINT, SIGTERM: the CLI's handler sets the flag) ends the download at its next
 * step: before the eUICC has a session, with nothing anywhere (no ES9+ call at all when it
 * comes first); after it, with both sessions cancelled postponed (1), which leaves the order
 * downloadable, also when it comes during the question (a Ctrl-C there is no refusal, and
 * its read returns nothing). Before session 56 the process died and left both sessions. */
static void test_download_interrupted(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->stop_in = 1;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "interrupted: nothing was downloaded");
	assert_int_equal(x->smdp.n, 0);
	assert_false(card_saw(x, 0xBF38));

	/* in confirm (refused or not), and asked while PrepareDownload ran (its answer is the
	 * download step's: the package is not asked for; until session 66 the stop went unseen
	 * from there, and the profile was installed). Both sessions are cancelled. */
	for (int k = 0; k < 3; k++) {
		reset(x);
		x->stop = 0;
		x->stop_in = k < 2 ? 2 : 3;
		x->refuse = k == 1;
		x->unanswered = k == 1;
		assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
		assert_string_equal(orsp_err_detail(), "interrupted: not installed, the order "
		                                       "stays for another try (session cancelled)");
		assert_calls(x, calls_cancelled, 3);
		assert_int_equal(cancel_reason(x), 1); /* postponed */
		assert_int_equal(card_saw(x, 0xBF21), k == 2);
		assert_false(card_saw(x, 0xBF36));
		assert_string_equal(iccid, "");
	}
	x->stop = 0;
	x->stop_in = 0;
	x->refuse = x->unanswered = false;

	/* asked while the SM-DP+ has yet to answer authenticateClient: the request ends there
	 * (within about a second; until session 67 the LPA waited for the answer, up to its
	 * timeout, 60 s by default), and both sessions are cancelled */
	reset(x);
	__atomic_store_n(&x->stop, 0, __ATOMIC_RELAXED); /* the server's thread sets it */
	x->smdp.mode[1] = ANS_SLOW;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "interrupted during the SM-DP+ authenticateClient "
	                                       "request (session cancelled)");
	assert_int_equal(cancel_reason(x), 1); /* postponed */
	assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
	assert_false(card_saw(x, 0xBF21));
	__atomic_store_n(&x->stop, 0, __ATOMIC_RELAXED);
	x->smdp.mode[1] = ANS_OK;
}

/* Consent given: the RAT is read once, after authenticateClient and before PrepareDownload,
 * and the profile is installed. */
static void test_ppr_consent_given(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const uint32_t es10[] = {0xBF2E, 0xBF20, 0xBF38, 0xBF2D, 0xBF43, 0xBF21, 0xBF36};

	x->smdp.meta = META_PPR12;
	x->consent = CONSENT_YES;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(es10); i++)
		assert_int_equal(x->card.tags[i], es10[i]);
	assert_false(card_saw(x, 0xBF41));
	assert_int_equal(x->n_consent, 1);
	assert_int_equal(x->consent_ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
}

/* Consent only where the deciding rule asks it: a RAT without consentRequired installs with
 * nobody to ask; with two rules, PPR1 from the first (MCC 20x, a wildcard digit, consent)
 * and PPR2 from the second (MCC 208 MNC 01, no consent), consent is asked for PPR1 only. */
static void test_ppr_consent_per_rule(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.meta = META_PPR12;
	x->card.rat = RAT_ANY_NO_CONSENT;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_true(card_saw(x, 0xBF43));
	assert_int_equal(x->n_consent, 0);

	reset(x);
	x->card.rat = RAT_TWO_RULES;
	x->consent = CONSENT_YES;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_int_equal(x->n_consent, 1);
	assert_int_equal(x->consent_ppr, ORSP_LPA_PPR1);
}

/* Consent given beforehand (preconsent, --accept-ppr): the rules it covers need nobody; one it
 * leaves out, with nobody to ask, is a device not set up for this profile, not a refusal: the
 * download is postponed (the order stays), the message names that rule alone; with someone to
 * ask, only that rule is asked about. */
static void test_ppr_preconsent(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.meta = META_PPR12;
	x->preconsent = ORSP_LPA_PPR1;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(),
	                    "this profile's policy rules PPR2 (no deletion) need the end user's "
	                    "consent: ask with --ask, or pre-authorise them with --accept-ppr "
	                    "(session cancelled)");
	assert_calls(x, calls_cancelled, 3);
	assert_int_equal(cancel_reason(x), 1); /* postponed */
	assert_false(card_saw(x, 0xBF21));

	reset(x);
	x->consent = CONSENT_YES;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_int_equal(x->n_consent, 1);
	assert_int_equal(x->consent_ppr, ORSP_LPA_PPR2);

	reset(x);
	x->consent = CONSENT_NONE;
	x->preconsent = ORSP_LPA_PPR1 | ORSP_LPA_PPR2;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_int_equal(x->n_consent, 0);
	assert_int_equal(x->preconsented, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);

	/* preconsented names only the rules whose RAT rule asked for consent: with PPR1 asking
	 * and PPR2 not (RAT_TWO_RULES), PPR1 alone; with no rule asking, none */
	reset(x);
	x->card.rat = RAT_TWO_RULES;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_int_equal(x->preconsented, ORSP_LPA_PPR1);
	reset(x);
	x->card.rat = RAT_ANY_NO_CONSENT;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_int_equal(x->preconsented, 0);
	x->card.rat = NULL;
	x->preconsent = 0;
}

/* A PPR the RAT does not allow for the profile's owner: the session is cancelled with
 * pprNotAllowed before anyone is asked; the owner's MCC/MNC must match the rule's digits
 * ('E' any) and a GID the rule names must be the owner's. */
static void test_ppr_not_allowed(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.meta = META_PPR12;
	x->card.rat = RAT_OTHER_MCC;
	x->consent = CONSENT_YES;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC's rules authorisation table does not allow PPR1 (no "
	                    "disabling), PPR2 (no deletion) for this profile's owner (MCC 208 MNC "
	                    "01): it cannot be installed on this eUICC (session cancelled)");
	assert_calls(x, calls_cancelled, 3);
	assert_int_equal(cancel_reason(x), 3); /* pprNotAllowed */
	assert_int_equal(x->n_confirm, 0);
	assert_int_equal(x->n_consent, 0);
	assert_false(card_saw(x, 0xBF21));

	/* the rule names GID1 AB: an owner without GID1 is not covered, one with it is */
	reset(x);
	x->card.rat = RAT_GID1;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_POLICY);
	assert_int_equal(cancel_reason(x), 3);
	reset(x);
	x->smdp.meta = META_PPR12_GID1;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_int_equal(x->consent_ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
}

/* A RAT the LPA cannot read (malformed, or GetRAT refused by the card): a clear error naming
 * GetRAT and the field, the session cancelled with postponed, nobody asked, nothing
 * prepared. */
static void test_ppr_bad_rat(void **state)
{
	static const struct {
		const char *rat;
		uint16_t sw;
		orsp_err e;
		const char *detail;
	} t[] = {
	    {RAT_NO_FLAGS, 0, ORSP_E_MALFORMED, "card: GetRAT: rule 1: pprFlags"},
	    {"BF4315A013301180020561A10730058003EEEEEE82020780", 0, ORSP_E_MALFORMED,
	     "card: GetRAT: rule 1: pprIds"}, /* padding bits not zero */
	    {"BF4314A012301080020560A1063004800202F882020780", 0, ORSP_E_MALFORMED,
	     "card: GetRAT: rule 1: OperatorID without a 3-byte mccMnc"},
	    {"BF4303A00130", 0, ORSP_E_MALFORMED,
	     "card: GetRAT: rule 1 is not a ProfilePolicyAuthorisationRule"},
	    {"BF4302A00000", 0, ORSP_E_MALFORMED,
	     "card: GetRAT: the answer is not a GetRatResponse"}, /* a trailing byte */
	    {"BF4302A100", 0, ORSP_E_MALFORMED, "card: GetRAT: the answer is not a GetRatResponse"},
	    {NULL, 0x6D00, ORSP_E_STATE, "card: GetRAT: card refused STORE DATA block 0 (SW 6D00)"},
	};
	fx *x = *state;
	char iccid[21], want[300];

	x->smdp.meta = META_PPR12;
	x->consent = CONSENT_YES;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		reset(x);
		x->card.rat = t[i].rat;
		x->card.rat_sw = t[i].sw;
		assert_int_equal(run(x, NULL, iccid), t[i].e);
		snprintf(want, sizeof(want), "%s (session cancelled)", t[i].detail);
		assert_string_equal(orsp_err_detail(), want);
		assert_int_equal(cancel_reason(x), 127); /* undefinedReason: no postponing */
		assert_int_equal(x->n_confirm, 0);
		assert_false(card_saw(x, 0xBF21));
	}
}

/* The metadata's PPRs or owner not well formed: refused (undefinedReason) before GetRAT, never
 * taken for a profile without rules. */
static void test_ppr_bad_metadata(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->consent = CONSENT_YES;
	x->smdp.meta = META_PPR_BAD;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(),
	                    "profileMetadata: profilePolicyRules (session cancelled)");
	assert_false(card_saw(x, 0xBF43));
	assert_int_equal(cancel_reason(x), 127);
	reset(x);
	/* profileOwner with a 2-byte mccMnc */
	x->smdp.meta =
	    "BF252A5A0A9800103254769810321491074F70656E5253509209545334382074657374B7048002"
	    "02F899020560";
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(), "profileMetadata: profileOwner: OperatorID without "
	                                       "a 3-byte mccMnc (session cancelled)");
	assert_false(card_saw(x, 0xBF43));
	assert_int_equal(x->n_confirm, 0);
}

/* The fields the user is shown and confirms, and the ICCID reported installed, are read
 * strictly as well: one given twice (the last was shown, and an eUICC that keeps the first
 * would install another ICCID), an ICCID missing (the download "succeeded" with an empty
 * one) or not 10 bytes, a name too long (it was dropped), a profileClass out of range (shown
 * as operational): refused (undefinedReason) before the user is asked. */
static void test_metadata_strict(void **state)
{
	fx *x = *state;
	char iccid[21];
	static const struct {
		const char *meta, *detail;
	} bad[] = {
	    {"BF252C5A0A980010325476981032145A0A9810325476981032547691074F70656E5253509209545334382"
	     "074657374",
	     "profileMetadata: a field (tag 5A) twice"},
	    {"BF251491074F70656E5253509209545334382074657374", "profileMetadata: no ICCID"},
	    {"BF25165A0998001032547698103291074F70656E5253509200", "profileMetadata: ICCID"},
	    {"BF251E5A0A9800103254769810321491074F70656E52535091074F70656E525350",
	     "profileMetadata: a field (tag 91) twice"},
	    {"BF25235A0A9800103254769810321491074F70656E5253509209545334382074657374950103",
	     "profileMetadata: profileClass"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x->consent = CONSENT_YES;
		x->smdp.meta = bad[i].meta;
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		assert_non_null(strstr(orsp_err_detail(), bad[i].detail));
		assert_int_equal(cancel_reason(x), 127);
		assert_int_equal(x->n_confirm, 0);
		reset(x);
	}
	/* The names as the eUICC's StoreMetadata takes them (UTF8String SIZE(0..32) and
	 * SIZE(0..64), in characters, both mandatory): 32 and 64 characters are taken, of one
	 * byte or of two (32 'é' are 64 bytes); one more, a byte of no UTF-8, a NUL, a name
	 * missing, or notificationConfigurationInfo twice: malformed, cancelled, nothing
	 * confirmed (until session 67 they were shown, confirmed and bound, and the eUICC
	 * refused them at the load: the profile in Error at the SM-DP+) */
	static const char spn_bad[] = "profileMetadata: serviceProviderName not UTF-8 of at most "
	                              "32 characters (session cancelled)";
	static const char name_bad[] = "profileMetadata: profileName not UTF-8 of at most 64 "
	                               "characters (session cancelled)";
	static const struct {
		const char *unit; /* the name's character, repeated n times */
		size_t n;
		uint32_t tag;      /* whose name: 0x91 or 0x92; 0 none, the other given */
		const char *extra; /* a TLV after the names, hex */
		const char *detail;
	} names[] = {
	    {"N", 32, 0x91, NULL, NULL},
	    {"N", 33, 0x91, NULL, spn_bad},
	    {"\xC3\xA9", 32, 0x91, NULL, NULL},
	    {"\xC3\xA9", 33, 0x91, NULL, spn_bad},
	    {"N", 64, 0x92, NULL, NULL},
	    {"N", 65, 0x92, NULL, name_bad},
	    {"\xF0\x9F\x93\xB6", 64, 0x92, NULL, NULL},
	    {"\xC3", 1, 0x91, NULL, spn_bad},
	    {"\xC3", 1, 0x92, NULL, name_bad},
	    {"\xED\xA0\x80", 1, 0x92, NULL, name_bad}, /* a surrogate */
	    {"", 1, 0x91, NULL, spn_bad},              /* U+0000 */
	    {"", 0, 0x91, NULL, NULL},                 /* empty: SIZE(0..) */
	    {"N", 1, 0x91, "B600B600",
	     "profileMetadata: a field (tag B6) twice (session cancelled)"},
	    {"N", 1, 0x91, "B600", NULL},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(names) + 2; i++) {
		static char text[4 * 65 + 1], hex[1400];
		uint8_t b[700], extra[8];
		size_t len = 0, ul, el = 0;
		orsp_writer w;
		orsp_der_mark m;
		const char *detail;
		bool spn = true, name = true;
		if (i < ORSP_ARRAY_LEN(names)) {
			ul = strlen(names[i].unit) ? strlen(names[i].unit) : 1;
			for (size_t j = 0; j < names[i].n; j++, len += ul)
				memcpy(text + len, names[i].unit, ul);
			if (names[i].extra)
				assert_int_equal(
				    orsp_hex_decode(names[i].extra, extra, sizeof(extra), &el),
				    ORSP_OK);
			detail = names[i].detail;
		} else {
			/* the names missing, one at a time */
			spn = i == ORSP_ARRAY_LEN(names);
			name = !spn;
			detail = spn ? "profileMetadata: no profileName (session cancelled)"
			             : "profileMetadata: no serviceProviderName (session "
			               "cancelled)";
		}
		bool own_spn = i < ORSP_ARRAY_LEN(names) && names[i].tag == 0x91;
		bool own_name = i < ORSP_ARRAY_LEN(names) && names[i].tag == 0x92;
		orsp_writer_init(&w, b, sizeof(b));
		m = orsp_der_begin(&w, 0xBF25);
		orsp_der_put_tlv(&w, 0x5A, "\x98\x00\x10\x32\x54\x76\x98\x10\x32\x14", 10);
		if (spn)
			orsp_der_put_tlv(&w, 0x91, own_spn ? text : "OpenRSP", own_spn ? len : 7);
		if (name)
			orsp_der_put_tlv(&w, 0x92, own_name ? text : "TS48 test",
			                 own_name ? len : 9);
		orsp_write_bytes(&w, extra, el);
		orsp_der_end(&w, m);
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_int_equal(orsp_hex_encode(b, w.len, hex, sizeof(hex)), ORSP_OK);
		x->consent = CONSENT_YES;
		x->smdp.meta = hex;
		if (!detail) {
			if (run(x, NULL, iccid) != ORSP_OK)
				fail_msg("names[%zu]: %s", i, orsp_err_detail());
			assert_int_equal(x->n_confirm, 1);
			reset(x);
			continue;
		}
		assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
		if (strcmp(orsp_err_detail(), detail) != 0)
			fail_msg("names[%zu]: %s", i, orsp_err_detail());
		assert_int_equal(cancel_reason(x), 127);
		assert_int_equal(x->n_confirm, 0);
		reset(x);
	}
	x->smdp.meta = NULL;
}

/* A package whose structure is fine but one of whose pieces (an 86 segment of 31000 bytes)
 * cannot go to the eUICC in 256 STORE DATA blocks: refused before any piece is sent (the
 * eUICC got BF23, A0, A1 and the A3 header first, then the LPA found it could not send the
 * segment, and said "nothing was sent"); the session cancelled. */
static void test_bpp_piece_too_big(void **state)
{
	fx *x = *state;
	char iccid[21] = "";
	orsp_tlv top, part;
	orsp_reader r;
	orsp_writer w;
	orsp_der_mark m, a3;
	uint8_t a1[1024];
	size_t n1 = a1_of(META, 1, a1, sizeof(a1));
	size_t cap = x->bpp_len + 40000;
	uint8_t *out = malloc(cap), *big = calloc(1, 31000);

	assert_non_null(out);
	assert_non_null(big);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(x->bpp, x->bpp_len), &top), ORSP_OK);
	orsp_writer_init(&w, out, cap);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
		if (part.tag == 0xBF23 || part.tag == 0xA0)
			orsp_write_bytes(&w, part.raw.p, part.raw.len);
	}
	orsp_der_put_tlv(&w, 0xA1, a1, n1);
	a3 = orsp_der_begin(&w, 0xA3);
	orsp_der_put_tlv(&w, 0x86, big, 31000);
	orsp_der_end(&w, a3);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	x->smdp.bpp_b64 = b64(out, w.len);
	free(out);
	free(big);
	x->consent = CONSENT_YES;
	assert_int_equal(run(x, NULL, iccid), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "a piece of 31004 bytes (tag 86) needs more than"
	                                          " 256 STORE DATA blocks"));
	assert_false(card_saw(x, 0xBF36));
	assert_false(card_saw(x, 0xA0));
	assert_true(card_saw(x, 0xBF41));
}

/* ---------------------------------------------------------------- the package's metadata */

/* META with ICCID 89000123456789012358 */
#define META_ICCID2 "BF25205A0A9800103254769810328591074F70656E5253509209545334382074657374"

/* Metadata for test_metadata_compare: spec in hex, or "+" and hex for META's fields followed
 * by those. */
static size_t meta_of(const char *spec, uint8_t *out, size_t cap)
{
	uint8_t extra[128], base[64];
	size_t n = 0, bl = 0;
	orsp_tlv t;
	orsp_writer w;
	orsp_der_mark m;

	if (spec[0] != '+') {
		assert_int_equal(orsp_hex_decode(spec, out, cap, &n), ORSP_OK);
		return n;
	}
	assert_int_equal(orsp_hex_decode(META, base, sizeof(base), &bl), ORSP_OK);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(base, bl), &t), ORSP_OK);
	assert_int_equal(orsp_hex_decode(spec + 1, extra, sizeof(extra), &n), ORSP_OK);
	orsp_writer_init(&w, out, cap);
	m = orsp_der_begin(&w, 0xBF25);
	orsp_write_bytes(&w, t.value.p, t.value.len);
	orsp_write_bytes(&w, extra, n);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* orsp_lpa_metadata_compare alone: what it names for each kind of difference. */
static void test_metadata_compare(void **state)
{
	static const struct {
		const char *shown, *pkg;
		orsp_err e;
		const char *diff;
	} t[] = {
	    {META, META, ORSP_OK, ""},
	    {META_PPR12, META_PPR12, ORSP_OK, ""},
	    {META, "+950100", ORSP_E_VERIFY,
	     "profileClass test instead of operational (by default)"},
	    {"+950102", "+950101", ORSP_E_VERIFY,
	     "profileClass provisioning instead of operational"},
	    {META, "+9501FF", ORSP_E_VERIFY,
	     "profileClass unreadable instead of operational (by default)"},
	    /* an empty PprIds and none: no rules either way, another encoding */
	    {META, "+990100", ORSP_E_VERIFY, "profilePolicyRules"},
	    {META, META_PPR_BAD, ORSP_E_VERIFY,
	     "profilePolicyRules unreadable instead of none; profileOwner"},
	    /* PPRs, then the ICCID, whatever the order of the fields */
	    {META_PPR12, META_ICCID2, ORSP_E_VERIFY,
	     "profilePolicyRules none instead of PPR1 (no disabling), PPR2 (no deletion); ICCID "
	     "89000123456789012358 instead of 89000123456789012341; profileOwner"},
	    /* a field SGP.22 v2.2 does not define; a repeated one */
	    {META, "+9F7F0100", ORSP_E_VERIFY, "field 9F7F"},
	    {"+9F7F0100", "+9F7F0101", ORSP_E_VERIFY, "field 9F7F"},
	    {"+3D00", "+", ORSP_E_VERIFY, "field 3D"},
	    {META, "+9203414243", ORSP_E_VERIFY, "profileName"},
	    {"+B600", "+B60430020500", ORSP_E_VERIFY, "notificationConfigurationInfo"},
	    {"+9301019400", "+930100", ORSP_E_VERIFY, "iconType; icon"},
	    /* the same fields in another order */
	    {"BF250F5A0A98001032547698103214910100", "BF250F9101005A0A98001032547698103214",
	     ORSP_E_VERIFY, "the order or encoding of its fields"},
	    {META, "BF2400", ORSP_E_MALFORMED, ""},
	    /* nothing shown at all */
	    {"BF2500", "+", ORSP_E_VERIFY,
	     "ICCID 89000123456789012341 instead of none; profileName; serviceProviderName"},
	    {"BF250291", META, ORSP_E_MALFORMED, ""},
	};
	uint8_t a[256], b[256];
	size_t al, bl;
	char diff[200];
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		al = meta_of(t[i].shown, a, sizeof(a));
		bl = meta_of(t[i].pkg, b, sizeof(b));
		memset(diff, 'x', sizeof(diff));
		assert_int_equal(orsp_lpa_metadata_compare(a, al, b, bl, diff, sizeof(diff)),
		                 t[i].e);
		assert_string_equal(diff, t[i].diff);
	}
	/* trailing bytes after the package's BF25 */
	al = meta_of(META, a, sizeof(a));
	bl = meta_of(META, b, sizeof(b));
	b[bl++] = 0;
	assert_int_equal(orsp_lpa_metadata_compare(a, al, b, bl, diff, sizeof(diff)),
	                 ORSP_E_MALFORMED);
	/* cut at an entry, "..." said */
	al = meta_of(META_PPR12, a, sizeof(a));
	bl = meta_of(META_ICCID2, b, sizeof(b));
	assert_int_equal(orsp_lpa_metadata_compare(a, al, b, bl, diff, 100), ORSP_E_VERIFY);
	assert_string_equal(diff, "profilePolicyRules none instead of PPR1 (no disabling), PPR2 "
	                          "(no deletion); ...");
	assert_int_equal(orsp_lpa_metadata_compare(a, al, b, bl, diff, 8), ORSP_E_VERIFY);
	assert_string_equal(diff, "...");
	assert_int_equal(orsp_lpa_metadata_compare(a, al, b, bl, diff, 0), ORSP_E_USAGE);
}

/* orsp_lpa_bpp_metadata alone: the joined segments, a buffer too small for them. */
static void test_bpp_metadata_read(void **state)
{
	fx *x = *state;
	uint8_t a1[600], meta[256], out[256], *bpp;
	size_t n, ml = 0, ol = 0, bl = 0;
	char *s;

	assert_int_equal(orsp_hex_decode(META_PPR12, meta, sizeof(meta), &ml), ORSP_OK);
	n = a1_of(META_PPR12, 4, a1, sizeof(a1));
	s = bpp_with_a1(x->bpp, x->bpp_len, a1, n);
	bpp = malloc(strlen(s));
	assert_non_null(bpp);
	assert_int_equal(orsp_base64_decode(s, strlen(s), bpp, strlen(s), &bl), ORSP_OK);
	assert_int_equal(orsp_lpa_bpp_metadata(bpp, bl, out, sizeof(out), &ol), ORSP_OK);
	assert_int_equal(ol, ml);
	assert_memory_equal(out, meta, ml);
	ol = 99;
	assert_int_equal(orsp_lpa_bpp_metadata(bpp, bl, out, ml - 1, &ol), ORSP_E_RESOURCE);
	assert_int_equal(ol, 0);
	/* a package LoadBoundProfilePackage would refuse: its message */
	assert_int_equal(orsp_lpa_bpp_metadata(bpp, 3, out, sizeof(out), &ol), ORSP_E_MALFORMED);
	assert_int_equal(orsp_lpa_bpp_metadata(NULL, 3, out, sizeof(out), &ol), ORSP_E_USAGE);
	free(bpp);
	free(s);
}

/* META with profileName "TS48 evil" */
#define META_EVIL "BF25205A0A9800103254769810321491074F70656E5253509209545334382065766C69"

static const char *const calls_bpp_refused[] = {"initiateAuthentication", "authenticateClient",
                                                "getBoundProfilePackage", "cancelSession"};

/* Refused before loading: the error and its detail, the session cancelled on both sides with
 * undefinedReason (the order stays downloadable), nothing of the package sent to the eUICC,
 * no installation result. */
static void assert_bpp_refused(fx *x, orsp_err e, const char *detail)
{
	char iccid[21];
	assert_int_equal(run(x, NULL, iccid), e);
	assert_string_equal(orsp_err_detail(), detail);
	assert_calls(x, calls_bpp_refused, 4);
	assert_false(card_saw(x, 0xBF36));
	assert_int_equal(cancel_reason(x), 127);
	assert_string_equal(iccid, "");
}

/* The SM-DP+ shows metadata without PPRs (nobody is asked to consent, no RAT read) and puts
 * PPR1, PPR2 and an owner into the package's StoreMetadataRequest: refused before any piece
 * goes to the eUICC, the rules named. */
static void test_bpp_metadata_ppr_added(void **state)
{
	fx *x = *state;

	x->consent = CONSENT_YES;
	x->smdp.bpp_meta = META_PPR12;
	assert_bpp_refused(x, ORSP_E_VERIFY,
	                   "the package's metadata differs from the one the SM-DP+ showed: "
	                   "profilePolicyRules PPR1 (no disabling), PPR2 (no deletion) instead "
	                   "of none; profileOwner; nothing of it was sent to the eUICC (session "
	                   "cancelled)");
	assert_int_equal(x->n_consent, 0);
	assert_false(card_saw(x, 0xBF43));
	/* and the other way round: rules shown and consented to, none in the package */
	reset(x);
	x->smdp.meta = META_PPR12;
	x->smdp.bpp_meta = META;
	assert_bpp_refused(x, ORSP_E_VERIFY,
	                   "the package's metadata differs from the one the SM-DP+ showed: "
	                   "profilePolicyRules none instead of PPR1 (no disabling), PPR2 (no "
	                   "deletion); profileOwner; nothing of it was sent to the eUICC (session "
	                   "cancelled)");
	assert_int_equal(x->n_consent, 1);
}

/* Another ICCID, another name in the package: refused, the ICCIDs shown, the name named. */
static void test_bpp_metadata_iccid_name(void **state)
{
	fx *x = *state;

	x->smdp.bpp_meta = META_ICCID2;
	assert_bpp_refused(x, ORSP_E_VERIFY,
	                   "the package's metadata differs from the one the SM-DP+ showed: ICCID "
	                   "89000123456789012358 instead of 89000123456789012341; nothing of it "
	                   "was sent to the eUICC (session cancelled)");
	reset(x);
	x->smdp.bpp_meta = META_EVIL;
	assert_bpp_refused(x, ORSP_E_VERIFY,
	                   "the package's metadata differs from the one the SM-DP+ showed: "
	                   "profileName; nothing of it was sent to the eUICC (session cancelled)");
}

/* The same metadata cut into three '88' segments: joined, equal, loaded as before. */
static void test_bpp_metadata_segments(void **state)
{
	fx *x = *state;
	char iccid[21];

	x->smdp.meta_segs = 3;
	assert_int_equal(run(x, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, ICCID1);
	assert_true(card_saw(x, 0xBF36));
	assert_false(card_saw(x, 0xBF41));
}

/* A package whose StoreMetadataRequest cannot be read: refused before loading with a message
 * that says what is wrong. */
static void test_bpp_metadata_unreadable(void **state)
{
	fx *x = *state;
	uint8_t a1[600];
	size_t n;

	/* a segment holding only its MAC */
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = bpp_with_a1(
	    x->bpp, x->bpp_len, (const uint8_t *)"\x88\x08\xEE\xEE\xEE\xEE\xEE\xEE\xEE\xEE", 10);
	assert_bpp_refused(x, ORSP_E_MALFORMED,
	                   "bound profile package: a sequenceOf88 segment of 8 bytes (no data "
	                   "before its 8-byte MAC) (session cancelled)");
	/* an empty sequenceOf88 */
	reset(x);
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = bpp_with_a1(x->bpp, x->bpp_len, NULL, 0);
	assert_bpp_refused(x, ORSP_E_MALFORMED,
	                   "bound profile package: sequenceOf88 (A1) is empty (session cancelled)");
	/* a segment of another tag */
	reset(x);
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = bpp_with_a1(x->bpp, x->bpp_len, (const uint8_t *)"\x87\x01\x00", 3);
	assert_bpp_refused(x, ORSP_E_MALFORMED,
	                   "bound profile package: sequenceOf88 (A1) holds a tag 87 element, 88 "
	                   "expected (session cancelled)");
	/* the metadata with a byte too many, cut short, under another tag */
	static const char *const bad[] = {META "00", "BF25205A0A98001032547698", "BF24025A00"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		reset(x);
		free(x->smdp.bpp_b64);
		n = a1_of(bad[i], 1, a1, sizeof(a1));
		x->smdp.bpp_b64 = bpp_with_a1(x->bpp, x->bpp_len, a1, n);
		assert_bpp_refused(x, ORSP_E_MALFORMED,
		                   "bound profile package: sequenceOf88 does not carry a "
		                   "StoreMetadataRequest (one BF25, DER) (session cancelled)");
	}
	/* pySim's own package, each segment wrapped twice: its 88 holds 88 33 BF25 ... */
	reset(x);
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = b64(x->bpp, x->bpp_len);
	assert_bpp_refused(x, ORSP_E_MALFORMED,
	                   "bound profile package: sequenceOf88 does not carry a "
	                   "StoreMetadataRequest (one BF25, DER) (session cancelled)");
	/* no sequenceOf88 at all */
	reset(x);
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = bpp_parts_b64(x->bpp, x->bpp_len, "023");
	assert_bpp_refused(x, ORSP_E_MALFORMED,
	                   "bound profile package: no sequenceOf88 (A1) before secondSequenceOf87 "
	                   "(A2) (session cancelled)");
}

/* BoundProfilePackage's parts after BF23 come in one order, each once (A2 optional), each
 * holding its own element tag: anything else is refused before any piece reaches the eUICC,
 * and the session is cancelled. */
static void test_bpp_structure(void **state)
{
	fx *x = *state;
	static const struct {
		const char *order, *detail;
	} bad[] = {
	    {"0213", "no sequenceOf88 (A1) before secondSequenceOf87 (A2)"},
	    {"01023", "firstSequenceOf87 (A0) repeated or out of order"},
	    {"0123"
	     "3",
	     "sequenceOf86 (A3) repeated or out of order"},
	    {"01232", "secondSequenceOf87 (A2) repeated or out of order"},
	    {"012", "no sequenceOf86 (A3)"},
	    {"01", "no sequenceOf86 (A3)"},
	    {"", "no firstSequenceOf87 (A0)"},
	    {"3", "no firstSequenceOf87 (A0) before sequenceOf86 (A3)"},
	    {"0124", "sequenceOf86 (A3) holds a tag 87 element, 86 expected"},
	    {"5123", "firstSequenceOf87 (A0) is empty"},
	};
	char detail[200];
	uint8_t out[1024], *pkg, *base;
	size_t ol, pl, bl;
	char *s;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		if (i)
			reset(x);
		free(x->smdp.bpp_b64);
		x->smdp.bpp_b64 = bpp_parts_b64(x->bpp, x->bpp_len, bad[i].order);
		snprintf(detail, sizeof(detail), "bound profile package: %s (session cancelled)",
		         bad[i].detail);
		assert_bpp_refused(x, ORSP_E_MALFORMED, detail);
	}
	/* the package the fixture answers with (a conforming A1, no A2), and with an A2 in its
	 * place: accepted, the metadata read */
	free(x->smdp.bpp_b64);
	x->smdp.bpp_b64 = NULL;
	s = bpp_b64_of(&x->smdp);
	base = malloc(strlen(s));
	assert_non_null(base);
	assert_int_equal(orsp_base64_decode(s, strlen(s), base, strlen(s), &bl), ORSP_OK);
	free(s);
	static const char *const good[] = {"013", "0123"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(good); i++) {
		s = bpp_parts_b64(base, bl, good[i]);
		pkg = malloc(strlen(s));
		assert_non_null(pkg);
		assert_int_equal(orsp_base64_decode(s, strlen(s), pkg, strlen(s), &pl), ORSP_OK);
		assert_int_equal(orsp_lpa_bpp_metadata(pkg, pl, out, sizeof(out), &ol), ORSP_OK);
		assert_true(ol > 0);
		free(pkg);
		free(s);
	}
	free(base);
}

/* Every answer of the SM-DP+ must be for this session and this request before any of it
 * goes to the eUICC: serverSigned1 echoing the eUICC's challenge, the transactionId of
 * authenticateClient's and getBoundProfilePackage's answers and of smdpSigned2, and the
 * package's own (its InitialiseSecureChannelRequest). A mismatch after AuthenticateServer
 * cancels the session with undefinedReason, a fault of the SM-DP+ (an answer's was
 * postponed until session 70, as if the End User had put the download off). */
#define OTHER_TID "E4F6996D64A543FC8A7F6F8F97F9428E"

static void test_answers_of_another_session(void **state)
{
	static const struct {
		int what;
		const char *detail;
		uint32_t last_tag; /* the last ES10 command the eUICC saw */
	} t[] = {
	    {0, "SM-DP+: serverSigned1 does not echo the eUICC's challenge", 0xBF20},
	    {1, "SM-DP+ authenticateClient: the answer is for another session", 0xBF41},
	    {2, "SM-DP+ authenticateClient: smdpSigned2 is for another session", 0xBF41},
	    {3, "SM-DP+ getBoundProfilePackage: the answer is for another session", 0xBF41},
	    {4, "the package is for another session", 0xBF41},
	};
	fx *x = *state;
	char iccid[21];

	for (size_t k = 0; k < ORSP_ARRAY_LEN(t); k++) {
		reset(x);
		x->card.chal = NULL;
		x->smdp.ac_tid = x->smdp.gbpp_tid = x->smdp.s2 = NULL;
		free(x->smdp.bpp_b64);
		x->smdp.bpp_b64 = NULL;
		set_bpp_tid(x->bpp, x->bpp_len, TID);
		if (t[k].what == 0)
			x->card.chal = "BF2E128010"
			               "8BCF1BE4ADA9C98AF062987330056104"; /* CHALLENGE + 1 */
		else if (t[k].what == 1)
			x->smdp.ac_tid = OTHER_TID;
		else if (t[k].what == 2)
			x->smdp.s2 = "30158010" OTHER_TID "010100";
		else if (t[k].what == 3)
			x->smdp.gbpp_tid = OTHER_TID;
		else
			set_bpp_tid(x->bpp, x->bpp_len, OTHER_TID);
		assert_int_equal(run(x, NULL, iccid), ORSP_E_VERIFY);
		if (!strstr(orsp_err_detail(), t[k].detail))
			fail_msg("case %zu: %s", k, orsp_err_detail());
		/* nothing of the answer reached the eUICC: no AuthenticateServer after a wrong
		 * serverSigned1, no PrepareDownload after a wrong authenticateClient answer, no
		 * package after a wrong one; the session cancelled where there was one */
		assert_false(card_saw(x, 0xBF36));
		assert_int_equal(x->card.tags[x->card.n - 1], t[k].last_tag);
		if (t[k].what == 0) {
			assert_false(card_saw(x, 0xBF38));
			assert_int_equal(x->smdp.n, 1);
			continue;
		}
		assert_int_equal(card_saw(x, 0xBF21), t[k].what >= 3);
		assert_string_equal(x->smdp.calls[x->smdp.n - 1], "cancelSession");
		assert_non_null(strstr(orsp_err_detail(), "(session cancelled)"));
		assert_int_equal(cancel_reason(x), 127); /* undefinedReason */
	}
	set_bpp_tid(x->bpp, x->bpp_len, TID);
}

int main(void)
{
	/* before OpenSSL's first allocation, or it refuses (test_ac_oid_out_of_memory) */
	if (!test_ossl_alloc_install())
		return 1;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_download_ok),
	    T(test_already_installed),
	    T(test_install_failed_iccid_exists),
	    T(test_retries_exceeded_pending),
	    T(test_retries_exceeded_pending_failure),
	    T(test_matching_id_order_error),
	    T(test_download_cc),
	    T(test_download_cc_missing),
	    T(test_download_cc_not_der),
	    T(test_download_s2_fields),
	    T(test_fields_one_tlv),
	    T(test_download_refused),
	    T(test_download_unanswered),
	    T(test_download_out_of_memory),
	    T(test_download_interrupted),
	    T(test_result_left_on_euicc),
	    T(test_result_not_on_euicc),
	    T(test_info1_checked),
	    T(test_initiate_failed),
	    T(test_authenticate_500),
	    T(test_gbpp_failed),
	    T(test_refusal_advice),
	    T(test_refused_without_codes),
	    T(test_malformed_answers),
	    T(test_large_package),
	    T(test_euicc_refuses_server),
	    T(test_authenticate_server_unreadable),
	    T(test_prepare_download_error),
	    T(test_result_not_delivered),
	    T(test_install_failed),
	    T(test_connection_refused),
	    T(test_no_trust_anchor),
	    T(test_tls),
	    T(test_tls_not_dptls),
	    T(test_tls_expired),
	    T(test_tls_sha1_suites),
	    T(test_tls_suite_alert),
	    T(test_tls_bad_signature),
	    T(test_tls_ci_not_euicc),
	    T(test_tls_subca),
	    T(test_tls_ci_check_out_of_memory),
	    T(test_answer_headers),
	    T(test_notifications),
	    T(test_install_failed_named),
	    T(test_cancel_not_confirmed),
	    T(test_install_failed_early),
	    T(test_bad_bpp),
	    T(test_bad_bpp_part),
	    T(test_load_refused),
	    T(test_http_needs_insecure),
	    T(test_server_url_too_long),
	    T(test_server_url_trailing_slash),
	    T(test_server_text_sanitised),
	    T(test_notifications_each),
	    T(test_notifications_seq_mismatch),
	    T(test_notifications_more_than_listed),
	    T(test_notification_remove_address_beyond_32),
	    T(test_download_pending_beyond_32),
	    T(test_notifications_bad_address),
	    T(test_ac_oid),
	    T(test_ac_oid_out_of_memory),
	    T(test_server_cert_time),
	    T(test_server_signed1),
	    T(test_ppr_consent_missing),
	    T(test_ppr_consent_refused),
	    T(test_ppr_consent_given),
	    T(test_ppr_consent_per_rule),
	    T(test_ppr_preconsent),
	    T(test_ppr_not_allowed),
	    T(test_ppr_bad_rat),
	    T(test_ppr_bad_metadata),
	    T(test_metadata_strict),
	    T(test_bpp_piece_too_big),
	    T(test_bpp_metadata_read),
	    cmocka_unit_test(test_metadata_compare),
	    T(test_bpp_metadata_ppr_added),
	    T(test_bpp_metadata_iccid_name),
	    T(test_bpp_metadata_segments),
	    T(test_bpp_metadata_unreadable),
	    T(test_bpp_structure),
	    T(test_answers_of_another_session),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
