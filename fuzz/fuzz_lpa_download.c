/* libFuzzer target for the LPA's handling of the SM-DP+'s answers in a whole download
 * (orsp_lpa_download, src/lpa/download.c: es9_call and its HTTP and SGP.22 checks,
 * request_failed, es9_advice, answer_tid, the fields of each answer, dpauth_oid_check,
 * auth_error, prepare_error, error_result_str, cancel, the installation result's delivery
 * and, for a profile the eUICC already holds, the delivery of its pending notifications).
 *
 * An ES9+ server (orsp_http_server, plain HTTP on an ephemeral loopback port, one thread,
 * started at the first input) answers each request with the input's next answer, whatever
 * the function; when none is left, 404. The LPA reaches it with `insecure` (plain HTTP: the
 * TLS checks, dptls_check, are not fuzzed here) through routes for the activation code's
 * address, wbg.prod.ondemandconnectivity.com, and the pending notification's,
 * testsmdpplus1.example.com: nothing leaves the loopback. The eUICC is a canned ISD-R on the real
 * APDU layer, as in tests/test_lpa_download.c, with a fixed euiccChallenge and euiccInfo1 (those of
 * the Thales production exchange of tests/vectors/sgp22/es9p): a software eUICC would draw a new
 * challenge every run and refuse every answer not signed over it, so that no stored input could get
 * past AuthenticateServer.
 *
 * Input: byte 0, flags: 1 AuthenticateServer answers an error, 2 PrepareDownload answers an
 * error, 4 the installation result is an error, 8 the user refuses the profile, 16 the
 * activation code carries the Thales DPauth certificate's OID, 32 a confirmation code is
 * given, 64 the eUICC already holds ICCID 89000123456789012341 (with a notification of it
 * pending), 128 CancelSession answers an error; byte 1, the error code of those errors
 * (AuthenticateServer's, PrepareDownload's and the result's errorReason); byte 2, bit 0: the
 * activation code's address leads to a loopback port where nothing listens (the connection
 * refused: request_failed); then the answers, separated by "\n--\n", each a byte choosing
 * the HTTP answer (% 8: 200 application/json with X-Admin-Protocol gsma/rsp/v2.2.0, the same
 * without X-Admin-Protocol, with X-Admin-Protocol gsma/rsp/v3.0.0, 200 text/plain, 204, 400,
 * 500, 503) and the body. The eUICC answers the first '86' segment of the package with the
 * installation result (PIR).
 *
 * Properties, abort on violation: the download ends (the client's timeout 5 s, the server
 * answers at once; the longest input, a pending notification answered 5xx twice, waits the
 * LPA's backoff of 0.6 s); it fails only with a defined category, with a one-line detail of
 * printable UTF-8 without control characters (the SM-DP+'s text goes to the user's terminal); a
 * success names an ICCID of 19 or 20 digits; at most 16 ES9+ requests; no package piece reaches the
 * eUICC when it refused the server or PrepareDownload, or the user refused the profile. Per input
 * the server's answers and the card's state start afresh; the server and its routes live
 * across inputs.
 *
 * Seeds (fuzz/corpus/lpa_download/): a whole download's answers (the Thales
 * initiateAuthentication answer as captured; authenticateClient, getBoundProfilePackage and
 * handleNotification as tests/test_lpa_download.c makes them: TS.48 metadata, pySim's package
 * with its first '86' segment only, for the captured transactionId), each card flag over it,
 * SGP.22 refusals with known codes, HTTP errors and malformed answers at each step. */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/lpa.h"
#include "shown_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define THALES_FQDN "wbg.prod.ondemandconnectivity.com"
#define NOTIFY_FQDN "testsmdpplus1.example.com" /* NM's */
#define THALES_OID "1.3.6.1.4.1.31746.1.220.100.101.2"
#define TID "E4F6996D64A543FC8A7F6F8F97F9428D"
#define CHALLENGE "8BCF1BE4ADA9C98AF062987330056103"
#define INFO1                                                                                      \
	"BF20358203020202A916041481370F5125D0B1D408D4C3B232E6D25E795BEBFBAA16041481370F5125D0B1D4" \
	"08D4C3B232E6D25E795BEBFB"
/* NotificationMetadata seqNumber 5, an install for testsmdpplus1, ICCID 89000123456789012341 */
#define NM                                                                                         \
	"BF2F2E800105810207800C1974657374736D6470706C7573312E6578616D706C652E636F6D5A0A98001032"   \
	"547698103214"
#define S8 "1111111111111111"
#define SIG64 "5F3740" S8 S8 S8 S8 S8 S8 S8 S8
#define PIR_OK "BF3781A1BF275B8010" TID NM "A216A0144F10A0000005591010FFFFFFFF89000010000400" SIG64
#define SEP "\n--\n"
#define MAX_CALLS 16

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* A violated property: what, and the download's result, on file descriptor 2, then abort */
static void expect(bool ok, const char *what, orsp_err e)
{
	if (ok)
		return;
	dprintf(2, "fuzz_lpa_download: %s (%s: %s)\n", what, orsp_err_str(e), orsp_err_detail());
	abort();
}

/* ---------------------------------------------------------------- the eUICC ------------ */

enum {
	F_AUTH_ERR = 1,
	F_PREP_ERR = 2,
	F_PIR_ERR = 4,
	F_REFUSE = 8,
	F_OID = 16,
	F_CC = 32,
	F_HELD = 64,
	F_CANCEL_ERR = 128,
};

static struct card {
	uint8_t flags, code;
	bool loaded;  /* a package piece reached the card */
	bool pir;     /* the PIR was answered */
	bool removed; /* the pending notification was removed */
} card;

static void put_hex(orsp_writer *w, const char *hex)
{
	uint8_t b[512];
	size_t n = 0;

	check(orsp_hex_decode(hex, b, sizeof(b), &n) == ORSP_OK);
	orsp_write_bytes(w, b, n);
}

/* { 80 transactionId, 02 code }, as the errors of AuthenticateServer and PrepareDownload */
static void put_error(orsp_writer *w, uint32_t tag)
{
	orsp_der_mark m = orsp_der_begin(w, tag), a = orsp_der_begin(w, 0xA1);
	uint8_t tid[16];

	check(orsp_hex_decode_exact(TID, tid, sizeof(tid)) == ORSP_OK);
	orsp_der_put_tlv(w, 0x80, tid, sizeof(tid));
	orsp_der_put_tlv(w, 0x02, &card.code, 1);
	orsp_der_end(w, a);
	orsp_der_end(w, m);
}

static uint16_t card_store_data(void *user, uint8_t channel, orsp_slice d, orsp_writer *rsp)
{
	uint32_t tag = d.len >= 2 && (d.p[0] & 0x1F) == 0x1F ? (uint32_t)(d.p[0] << 8 | d.p[1])
	               : d.len                               ? d.p[0]
	                                                     : 0;

	(void)user;
	(void)channel;
	switch (tag) {
	case 0xBF2E:
		put_hex(rsp, "BF2E128010" CHALLENGE);
		break;
	case 0xBF20:
		put_hex(rsp, INFO1);
		break;
	case 0xBF38:
		if (card.flags & F_AUTH_ERR)
			put_error(rsp, 0xBF38);
		else
			put_hex(rsp, "BF3808A006300480020101");
		break;
	case 0xBF2D:
		put_hex(rsp, card.flags & F_HELD ? "BF2D10A00EE30C5A0A98001032547698103214"
		                                 : "BF2D02A000");
		break;
	case 0xBF43: /* ppr1, ppr2 for every operator, with consent */
		put_hex(rsp, "BF4315A013301180020560A10730058003EEEEEE82020780");
		break;
	case 0xBF21:
		if (card.flags & F_PREP_ERR)
			put_error(rsp, 0xBF21);
		else
			put_hex(rsp, "BF2108A00630045F490100");
		break;
	case 0xBF41:
		put_hex(rsp, card.flags & F_CANCEL_ERR ? "BF4103810105" : "BF4108A006300480010000");
		break;
	case 0xBF28:
		put_hex(rsp, card.removed ? "BF2802A000" : "BF2833A031" NM);
		break;
	case 0xBF2B:
		put_hex(rsp, card.removed ? "BF2B02A000" : "BF2B81A8A081A5" PIR_OK);
		break;
	case 0xBF30:
		card.removed = true;
		put_hex(rsp, "BF3003800100");
		break;
	default:
		/* the package's pieces: the result at its first '86' segment */
		card.loaded = true;
		if (tag == 0x86 && !card.pir) {
			card.pir = true;
			if (card.flags & F_PIR_ERR) {
				char hex[600];
				snprintf(hex, sizeof(hex),
				         "BF378193BF274D8010" TID NM "A208A1068001088101%02X" SIG64,
				         card.code);
				put_hex(rsp, hex);
			} else {
				put_hex(rsp, PIR_OK);
			}
		}
		break;
	}
	return 0x9000;
}

static const orsp_euicc_app_ops card_ops = {.store_data = card_store_data};

/* ---------------------------------------------------------------- the SM-DP+ ----------- */

static struct {
	pthread_mutex_t mu;
	const uint8_t *next, *end; /* the answers not given yet */
	unsigned calls;
} smdp = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL, 0};

static orsp_err smdp_handle(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	static const int status[8] = {200, 200, 200, 200, 204, 400, 500, 503};
	const uint8_t *a, *sep;
	size_t n;
	int k;
	orsp_err e;

	(void)ctx;
	(void)req;
	pthread_mutex_lock(&smdp.mu);
	smdp.calls++;
	a = smdp.next;
	if (!a || a >= smdp.end) {
		pthread_mutex_unlock(&smdp.mu);
		return orsp_http_response_set_body(resp, 404, "text/plain", "none", 4);
	}
	sep = memmem(a, (size_t)(smdp.end - a), SEP, strlen(SEP));
	n = sep ? (size_t)(sep - a) : (size_t)(smdp.end - a);
	smdp.next = sep ? sep + strlen(SEP) : smdp.end;
	pthread_mutex_unlock(&smdp.mu);
	if (!n)
		return orsp_http_response_set_body(resp, 200, "application/json", NULL, 0);
	k = a[0] % 8;
	e = orsp_http_response_set_body(resp, status[k],
	                                k == 3   ? "text/plain"
	                                : k == 4 ? NULL
	                                         : "application/json",
	                                k == 4 ? NULL : a + 1, k == 4 ? 0 : n - 1);
	if (!e && (k == 0 || k == 2))
		e = orsp_http_response_add_header(resp, "X-Admin-Protocol",
		                                  k == 0 ? "gsma/rsp/v2.2.0" : "gsma/rsp/v3.0.0");
	return e;
}

/* ---------------------------------------------------------------- the download --------- */

static orsp_http_server *srv;
static char base[64], refused_base[64];
static int refused_fd = -1; /* bound to refused_base's port, not listening */

static void stop_server(void)
{
	orsp_http_server_stop(srv, 1000);
	srv = NULL;
	close(refused_fd);
}

static void start_server(void)
{
	static orsp_http_route routes[5];
	static const char *const fns[5] = {"initiateAuthentication", "authenticateClient",
	                                   "getBoundProfilePackage", "handleNotification",
	                                   "cancelSession"};
	static char paths[5][64];
	orsp_http_server_config cfg = {0};

	for (int i = 0; i < 5; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/gsma/rsp2/es9plus/%s", fns[i]);
		routes[i] = (orsp_http_route){"POST", paths[i], smdp_handle, NULL};
	}
	cfg.routes = routes;
	cfg.n_routes = 5;
	cfg.threads = 1;
	check(orsp_http_server_start(&cfg, &srv) == ORSP_OK);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", orsp_http_server_port(srv));
	/* a port of its own that refuses connections (bound, never listening) */
	{
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t al = sizeof(a);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		refused_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		check(refused_fd >= 0 && !bind(refused_fd, (struct sockaddr *)&a, sizeof(a)) &&
		      !getsockname(refused_fd, (struct sockaddr *)&a, &al));
		snprintf(refused_base, sizeof(refused_base), "http://127.0.0.1:%u",
		         ntohs(a.sin_port));
	}
	atexit(stop_server);
}

static bool confirm(void *arg, const orsp_lpa_profile *meta)
{
	(void)arg;
	(void)meta;
	return !(card.flags & F_REFUSE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cbuf[ORSP_EUICC_MAX_COMMAND * 4], rbuf[ORSP_EUICC_MAX_RESPONSE];
	orsp_euicc_apdu_ctx ctx;
	orsp_lpa_transport t;
	orsp_lpa_card lc;
	orsp_lpa_route routes[2] = {{.fqdn = THALES_FQDN}, {.fqdn = NOTIFY_FQDN}};
	orsp_lpa_server server = {.routes = routes,
	                          .n_routes = 2,
	                          .insecure = true,
	                          .insecure_warned = true,
	                          .timeout_ms = 5000};
	orsp_lpa_ac ac;
	uint8_t aid[16];
	bool pending = false, lost = false, left = false, already = false;
	size_t delivered = 0;
	uint64_t left_seq = 0;
	char iccid[21] = "";
	orsp_err e;

	if (size < 3)
		return 0;
	if (!srv)
		start_server();
	routes[0].base_url = data[2] & 1 ? refused_base : base;
	routes[1].base_url = base;
	memset(&card, 0, sizeof(card));
	card.flags = data[0];
	card.code = data[1];
	pthread_mutex_lock(&smdp.mu);
	smdp.next = data + 3;
	smdp.end = data + size;
	smdp.calls = 0;
	pthread_mutex_unlock(&smdp.mu);

	check(orsp_lpa_ac_parse(card.flags & F_OID ? "LPA:1$" THALES_FQDN "$FUZZ-1$" THALES_OID
	                                           : "LPA:1$" THALES_FQDN "$FUZZ-1",
	                        &ac) == ORSP_OK);
	check(orsp_euicc_apdu_init(&ctx, cbuf, sizeof(cbuf), rbuf, sizeof(rbuf)) == ORSP_OK);
	check(orsp_hex_decode_exact(ORSP_LPA_ISDR_AID, aid, sizeof(aid)) == ORSP_OK);
	check(orsp_euicc_apdu_register(&ctx, aid, sizeof(aid), &card_ops, NULL) == ORSP_OK);
	check(orsp_lpa_transport_apdu(&ctx, &t) == ORSP_OK);
	check(orsp_lpa_card_open(&lc, &t) == ORSP_OK);
	{
		orsp_lpa_download_opts o = {.ac = &ac,
		                            .cc = card.flags & F_CC ? "12345678" : NULL,
		                            .server = &server,
		                            .confirm = confirm,
		                            .result_pending = &pending,
		                            .result_lost = &lost,
		                            .result_left = &left,
		                            .result_left_seq = &left_seq,
		                            .already_installed = &already,
		                            .results_delivered = &delivered};
		e = orsp_lpa_download(&lc, &o, iccid);
	}

	if (e) {
		const char *d = orsp_err_detail();
		expect(e > ORSP_OK && e < ORSP_E__COUNT, "an error of no category", e);
		expect(d[0] && shown_text(d, strlen(d) + 1),
		       "a detail that is empty or not one printable line", e);
	} else {
		size_t n = strlen(iccid);
		expect((n == 19 || n == 20) && strspn(iccid, "0123456789") == n,
		       "a success without an ICCID", e);
	}
	expect(smdp.calls <= MAX_CALLS, "too many ES9+ requests", e);
	if (card.flags & (F_AUTH_ERR | F_PREP_ERR | F_REFUSE))
		expect(!card.loaded, "a package loaded after a refusal", e);
	orsp_lpa_card_close(&lc); /* its APDUs clear the error's detail */
	orsp_err_clear();
	return 0;
}
