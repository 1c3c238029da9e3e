/* openrsp lpa: the ES9+ client and the procedures — profile download
 * (SGP.22 §3.1.3) and notification delivery (§3.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lpa_internal.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/lpa.h"
#include "openrsp/pkg.h"

/* ---------------------------------------------------------------- ES9+ client ----------- */

/* The largest SM-DP+ answer the LPA takes, one cap from the HTTP client to the JSON parser:
 * the HTTP client's default, room for a Bound Profile Package with applets (base64 adds a
 * third). A larger answer is ORSP_E_RESOURCE, never a malformed one. */
#define LPA_ANSWER_MAX ORSP_HTTP_DEFAULT_MAX_RESPONSE
/* The largest field of an answer other than the package, decoded: certificates, signed
 * data, metadata with an icon are a few KiB. */
#define LPA_FIELD_MAX (256 * 1024)

/* What the SM-DP+'s TLS certificate is checked against (dptls_check): the address it must
 * name, and the CIs the eUICC verifies with (EUICCInfo1's euiccCiPKIdListForVerification,
 * the value of its A9: SubjectKeyIdentifier OCTET STRINGs), read before the first request;
 * cis.p NULL until then, which refuses every handshake. */
typedef struct dptls_peer {
	const char *fqdn;
	orsp_slice cis;
} dptls_peer;

typedef struct es9 {
	orsp_http_client *http;
	dptls_peer peer;
	char base[ORSP_LPA_URL_MAX + 1];
	const char *fqdn;  /* the SM-DP+ address the TLS certificate must name */
	const char *whose; /* where that address came from, for advice: "the activation code's" */
	long status;       /* the HTTP status of the last answer, 0 when none came */
	/* the SGP.22 status codes of the last Failed answer ("" when the last call was not
	 * refused), and whether the SM-DP+ refused any function of this session */
	char subject[ORSP_JSON_CODE_MAX], reason[ORSP_JSON_CODE_MAX];
	bool refused;
	bool no_mid; /* a download without a matching ID: the default SM-DP+ case */
} es9;

static const char *base_for(const orsp_lpa_server *sv, const char *fqdn, char *buf, size_t cap)
{
	for (size_t i = 0; sv && i < sv->n_routes; i++)
		if (sv->routes[i].fqdn && strcasecmp(sv->routes[i].fqdn, fqdn) == 0)
			return sv->routes[i].base_url;
	if (sv && sv->base_url)
		return sv->base_url;
	snprintf(buf, cap, "https://%s", fqdn);
	return buf;
}

/* Whether the CI ci is one the eUICC verifies with: its subjectKeyIdentifier among cis
 * (dptls_peer; SGP.22 §5.7.8: the CI public key identifiers the eUICC supports for
 * verification). The LPA takes an SM-DP+'s TLS certificate only from a CI the eUICC trusts:
 * any other CI of --ca would authenticate the session's other end, and a man-in-the-middle
 * with a DPtls certificate of that CI would read it all. */
static orsp_err dptls_ci_listed(const orsp_cert *ci, orsp_slice cis)
{
	uint8_t ski[64];
	size_t n = 0;
	orsp_reader r;
	orsp_tlv t;
	char hex[2 * sizeof(ski) + 1] = "";

	if (!cis.p)
		return orsp_errf(ORSP_E_VERIFY, "the eUICC's CI list (EUICCInfo1) was not read");
	if (orsp_cert_ski(ci, ski, sizeof(ski), &n) != ORSP_OK) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_VERIFY, "its CI certificate has no subjectKeyIdentifier");
	}
	orsp_reader_init(&r, cis.p, cis.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &t))
		if (t.tag == 0x04 && t.value.len == n && !memcmp(t.value.p, ski, n))
			return ORSP_OK;
	orsp_err_clear();
	for (size_t i = 0; i < n && i < sizeof(ski); i++)
		snprintf(hex + 2 * i, 3, "%02X", ski[i]);
	return orsp_errf(ORSP_E_VERIFY,
	                 "issued under the CI %s, which is not in the eUICC's "
	                 "euiccCiPKIdListForVerification: not an SM-DP+ this eUICC can trust (or "
	                 "--ca holds a CI the eUICC does not)",
	                 hex);
}

/* The most sub-CAs the LPA takes between the CI and the SM-DP+'s TLS certificate: SGP.22 v3's
 * deepest hierarchy (SGP.26 v3 variant B) puts two there, a CI SubCA and an SM-DP+ SubCA;
 * v2's none. */
#define DPTLS_MAX_SUBCAS 2

/* The SM-DP+'s TLS certificate, once OpenSSL verified its chain to --ca and its name (chain:
 * that verified chain, DER, the server's certificate first, its trust anchor last). It must
 * be a DPtls certificate (SGP.22 §4.5.2.1.0.3: the DPtls role policy, its key usage) with the
 * SM-DP+ address as a DNS subjectAltName, matched exactly (libcurl's match also takes the CN
 * when there is no DNS name, and wildcards), issued by the certificate above it in the chain;
 * as the SM-DP+ checks its own tls_cert. The chain's top is the CI: a self-signed CI
 * certificate (orsp_ci_store_add) that the eUICC lists (dptls_ci_listed). Between them at
 * most DPTLS_MAX_SUBCAS sub-CAs, each a CA certificate issued by the one above
 * (orsp_rsp_verify_server_path: cA, keyCertSign, linkage, signature, validity,
 * pathLenConstraint). OpenSSL verified these signatures, dates and CA flags already; they are
 * checked again here by the RSP rules, which do not rely on libcurl's settings (its partial
 * chains let the top be any certificate of --ca). arg: the dptls_peer. */
static orsp_err dptls_check(void *arg, const orsp_slice *chain, size_t n)
{
	const dptls_peer *peer = arg;
	orsp_cert *certs[DPTLS_MAX_SUBCAS + 2] = {0};
	orsp_ci_store *cis = NULL;
	orsp_err e = ORSP_OK;
	unsigned long failed;

	/* the verified chain ends at the leaf: a self-signed certificate that --ca holds (the
	 * chain ends at a self-signed anchor: the HTTP client turns libcurl's partial chains off
	 * for a peer check since session 71, so --ca holding the SM-DP+'s own certificate, not
	 * self-signed, fails OpenSSL's verification instead) */
	if (n < 2)
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "no CI above it in the verified chain: it is self-signed, and --ca "
		    "holds it (give the CI certificate as --ca); a DPtls certificate "
		    "is a CI's");
	if (n > DPTLS_MAX_SUBCAS + 2)
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "its verified chain has %zu certificates: %zu CAs between it and the "
		    "CI, at most %d taken (SGP.22 v3: a CI SubCA and an SM-DP+ SubCA)",
		    n, n - 2, DPTLS_MAX_SUBCAS);
	for (size_t i = 0; i < n && !e; i++)
		e = orsp_cert_parse(chain[i].p, chain[i].len, &certs[i]);
	if (e || (e = orsp_ci_store_new(&cis)))
		goto out;
	/* not a CI at the top: a self-signed anchor of --ca that is no RSP CI (a web PKI's
	 * root, say). Out of memory checking it (ORSP_E_RESOURCE, or an allocation of OpenSSL's
	 * failed meanwhile, which it reads as a self-signature that does not verify or policies
	 * that do not decode) is said as such: --ca is not at fault (until session 76 it was
	 * "ends at no CI" too). */
	failed = orsp_wipe_alloc_failures();
	if ((e = orsp_ci_store_add(cis, certs[n - 1])) && e != ORSP_E_RESOURCE) {
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		if (orsp_wipe_alloc_failures() != failed)
			e = orsp_errf(
			    ORSP_E_RESOURCE,
			    "out of memory in OpenSSL while checking the CI certificate at "
			    "the top of its verified chain (it said: %s)",
			    why);
		else /* the advice first: the detail reaches the user cut (es9_call) */
			e = orsp_errf(
			    ORSP_E_VERIFY,
			    "its verified chain ends at no CI: --ca must hold the GSMA CI "
			    "certificate the SM-DP+'s is issued under (%s)",
			    why);
	}
	if (e)
		goto out;
	if (!(e = orsp_rsp_verify_server_path(cis, (const orsp_cert *const *)certs + 1, n - 2,
	                                      certs[0], ORSP_ROLE_DP_TLS, peer->fqdn, 0)))
		e = dptls_ci_listed(certs[n - 1], peer->cis);
out:
	orsp_ci_store_free(cis);
	for (size_t i = 0; i < n && i < ORSP_ARRAY_LEN(certs); i++)
		orsp_cert_free(certs[i]);
	return e;
}

/* EUICCInfo1's (info1: one checked BF20 TLV) euiccCiPKIdListForVerification ([9], SGP.22
 * §5.7.8), mandatory, into *cis (borrowed from info1; an empty list a non-NULL empty slice).
 * Set as an es9's peer.cis before its first request: the handshake checks the SM-DP+'s CI
 * against it, and refuses every one until it is set. */
static orsp_err info1_cis(const orsp_tlv *info1, orsp_slice *cis)
{
	orsp_reader r;
	orsp_tlv f;

	orsp_reader_init(&r, info1->value.p, info1->value.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &f))
		if (f.tag == 0xA9) {
			*cis = f.value.p ? f.value : orsp_slice_make((const uint8_t *)"", 0);
			return ORSP_OK;
		}
	orsp_err_clear();
	return orsp_errf(ORSP_E_MALFORMED,
	                 "card: GetEUICCInfo1 answer without euiccCiPKIdListForVerification");
}

static orsp_err es9_open(es9 *c, const orsp_lpa_server *sv, const char *fqdn, const char *whose,
                         const volatile sig_atomic_t *stop)
{
	orsp_http_client_opts o = {0};
	char tmp[300];
	const char *base = base_for(sv, fqdn, tmp, sizeof(tmp));

	memset(c, 0, sizeof(*c));
	/* never cut: a shorter URL is another server's, or another path's */
	if (strlen(base) >= sizeof(c->base))
		return orsp_errf(ORSP_E_USAGE, "the SM-DP+ URL has %zu characters, at most %zu",
		                 strlen(base), sizeof(c->base) - 1);
	snprintf(c->base, sizeof(c->base), "%s", base);
	/* the function paths begin with '/': a URL written with a trailing one
	 * ("https://host:port/") asked "//gsma/rsp2/es9plus/...", which servers answer 404 */
	{
		const char *auth = strstr(c->base, "://");
		size_t n = strlen(c->base), min = auth ? (size_t)(auth - c->base) + 3 : 0;
		while (n > min && c->base[n - 1] == '/')
			c->base[--n] = '\0';
	}
	c->fqdn = fqdn;
	c->whose = whose;
	o.ca_file = sv ? sv->ca_file : NULL;
	o.insecure_for_tests = sv && sv->insecure;
	o.insecure_warned = sv && sv->insecure_warned;
	o.timeout_ms = sv ? sv->timeout_ms : 0;
	o.max_response = LPA_ANSWER_MAX;
	/* a stop (Ctrl-C) ends a request under way, not only the steps after it */
	o.stop = stop;
	/* the certificate must name the SM-DP+ address, wherever we connect, and be a DPtls one */
	o.expected_host = fqdn;
	o.peer_check = dptls_check;
	c->peer.fqdn = fqdn;
	o.peer_check_arg = &c->peer;
	/* plain HTTP authenticates no server: only when verification is off anyway */
	if (strncmp(base, "https://", 8) != 0 && !o.insecure_for_tests)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "%s: not an https:// URL; plain HTTP authenticates no SM-DP+ (it is "
		    "allowed only with insecure, labs only)",
		    base);
	/* worded as the CLI's check before a download (cli/cmd_lpa.c), which names the
	 * variable that sets it too: notification process reaches here without it */
	if (!o.ca_file && !o.insecure_for_tests)
		return orsp_errf(ORSP_E_USAGE,
		                 "no trust anchor for the SM-DP+ TLS certificate (%s): give the CI "
		                 "certificate with --ca FILE (or set ORSP_LPA_CA)",
		                 fqdn);
	return orsp_http_client_new(&o, &c->http);
}

static void es9_close(es9 *c)
{
	orsp_http_client_free(c->http);
	c->http = NULL;
}

/* Whether an SM-DP+'s message ends naming the state error (": error", any case). */
static bool ends_with_error(const char *msg)
{
	static const char tail[] = ": error";
	size_t n = strlen(msg), t = sizeof(tail) - 1;

	return n >= t && !strcasecmp(msg + n - t, tail);
}

/* What to do about an SGP.22 function failure (subject code / reason code, SGP.22 §5.6 and
 * the ES9+ function tables), into buf (cap bytes) when it names c's address. */
static const char *es9_advice(const es9 *c, const char *subject, const char *reason,
                              const char *msg, char *buf, size_t cap)
{
	static const struct {
		const char *subject, *reason, *advice;
	} t[] = {
	    {"8.8.2", "3.1", "the SM-DP+ shares no certificate issuer (CI) with this eUICC"},
	    {"8.8.3", "3.1", "the SM-DP+ does not support this eUICC's SGP.22 version"},
	    {"8.8.4", "3.7", "the SM-DP+ has no valid certificate: contact the operator"},
	    {"8.11.1", "3.9", "the SM-DP+ does not know this eUICC's certificate issuer (CI)"},
	    {"8.1.2", "6.1", "the SM-DP+ rejected the eUICC manufacturer (EUM) certificate"},
	    {"8.1.3", "6.1", "the SM-DP+ rejected the eUICC certificate"},
	    {"8.1", "6.1", "the SM-DP+ rejected the eUICC signature"},
	    {"8.1.1", "3.8", "this profile is reserved for another eUICC (EID): ask the operator"},
	    {"8.2.6", "3.8",
	     "the matching ID is unknown or already used: ask the operator for a "
	     "new activation code"},
	    {"8.2.5", "4.3", "no profile fits this device or eUICC: ask the operator"},
	    {"8.1", "4.8", "the eUICC has no room for this profile: delete a profile and retry"},
	    {"8.2", "1.2",
	     "the profile is not available for download (not released yet, or "
	     "already installed): ask the operator"},
	    {"8.2", "3.7",
	     "the order ended or changed since this download began: ask the operator"},
	    {"8.8.5", "6.4", "the download was tried too often: ask the operator for a new order"},
	    {"8.8.5", "4.10", "the order has expired: ask the operator for a new one"},
	    {"8.2.7", "2.2", "a confirmation code is needed: give it with -c CODE"},
	    {"8.2.7", "3.8", "wrong confirmation code: check it and retry"},
	    {"8.2.7", "6.4", "too many wrong confirmation codes: ask the operator for a new order"},
	    {"8.10.1", "3.9",
	     "the SM-DP+ forgot this session (timeout?): start the download again"},
	};
	/* an order that ended in Error refuses its matching ID, and openrsp's SM-DP+ names the
	 * state ("matching ID refused: error"): the code is right, the matching ID was not
	 * unknown. After a kill during the load, `notification process` delivering the eUICC's
	 * installFailedDueToInterruption result is the usual way there. */
	if (!strcmp(subject, "8.2.6") && !strcmp(reason, "3.8") && ends_with_error(msg))
		return "the order ended in error (e.g. an interrupted installation was reported): "
		       "ask the operator for a new order";
	/* without a matching ID the SM-DP+ looks for an order by the EID alone: refusing the
	 * EID then says it has none for this eUICC (openrsp's SM-DP+ since session 57) */
	if (c->no_mid && !strcmp(subject, "8.1.1") && !strcmp(reason, "3.8"))
		return "the SM-DP+ has no profile ordered for this eUICC (EID): ask the operator";
	/* the address is wherever it came from: an activation code, the eUICC's default */
	if (!strcmp(subject, "8.8.1") && !strcmp(reason, "3.8")) {
		snprintf(buf, cap,
		         "the server reached is another SM-DP+ than the address named (%s): "
		         "check that address and --server-url",
		         c->whose);
		return buf;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].subject, subject) && !strcmp(t[i].reason, reason))
			return t[i].advice;
	return "the SM-DP+ refused the request: check the activation code or ask the operator";
}

/* A request that failed with e (the HTTP client's category fail), detail the HTTP client's
 * words (libcurl's), as one line with what to do. A TLS certificate for another name than the
 * SM-DP+ address (ORSP_HTTP_FAIL_TLS_NAME: its chain verified) is the address's fault, the CA
 * being right: said without libcurl's words, the address being the point; one that does not
 * chain to the trust anchors is --ca's; one that chains but is expired or not yet valid (or
 * its CI) is the server's or this device's clock's, and one not for a TLS server the
 * server's, not --ca's. The detail is bounded
 * (ORSP_ERR_DETAIL_MAX): the TLS messages name the server, not the whole URL. */
static orsp_err request_failed(const es9 *c, const char *url, orsp_err e, orsp_http_fail fail,
                               const char *detail)
{
	if (fail == ORSP_HTTP_FAIL_TLS_NAME)
		return orsp_errf(
		    e,
		    "%s: the server's TLS certificate is not for %s: check that address "
		    "(%s) and --server-url",
		    c->base, c->fqdn, c->whose);
	/* OpenSSL's words for a certificate of the chain outside its validity period: the
	 * chain is --ca's, the dates are the server's or this device's clock */
	if (e == ORSP_E_VERIFY && strstr(detail, "SSL certificate problem") &&
	    (strstr(detail, "certificate has expired") ||
	     strstr(detail, "certificate is not yet valid")))
		return orsp_errf(e,
		                 "%s: %s; the server's TLS certificate (or its CI's) is not valid "
		                 "at this time: check this device's date and time, and the server",
		                 c->base, detail);
	/* a certificate of the chain not for a TLS server: an extendedKeyUsage without
	 * serverAuth, or the server's keyUsage without digitalSignature, keyEncipherment and
	 * keyAgreement (a CA certificate served as DPtls); OpenSSL 3 says "unsuitable", 1.1
	 * "unsupported certificate purpose", and the HTTP client adds which of the two (until
	 * session 75 the advice said extendedKeyUsage for both) */
	if (e == ORSP_E_VERIFY && strstr(detail, "SSL certificate problem") &&
	    strstr(detail, "certificate purpose"))
		return orsp_errf(
		    e,
		    "%s: %s; the server's TLS certificate (or its CI's) is not one for "
		    "a TLS server (keyUsage/extendedKeyUsage): check the server",
		    c->base, detail);
	if (e == ORSP_E_VERIFY && strstr(detail, "SSL certificate problem"))
		return orsp_errf(e,
		                 "%s: %s; the server's TLS certificate does not chain to a trusted "
		                 "CA: check --ca (it must hold the CI certificate: the server's "
		                 "own or a sub-CA's is not enough)",
		                 c->base, detail);
	/* the server took none of the TLS versions and suites offered (the HTTP client's words
	 * for its alert): its TLS set-up's fault, not the trust anchors' */
	if (e == ORSP_E_VERIFY && strstr(detail, "accepted none of the TLS versions"))
		return orsp_errf(
		    e,
		    "%s: %s; check the server's TLS set-up (SGP.22 has it take TLS 1.2 "
		    "with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or "
		    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256)",
		    c->base, detail);
	if (e == ORSP_E_VERIFY)
		return orsp_errf(e, "%s: %s; check --ca and the server", c->base, detail);
	if (e == ORSP_E_IO)
		return orsp_errf(e,
		                 "%s: %s; check the network and the SM-DP+ address (or "
		                 "--server-url)",
		                 url, detail);
	return orsp_errf(e, "%s: %s", url, detail);
}

/* An error in the answer of SM-DP+ function fn, e with its detail, named after it. */
static orsp_err answer_error(const char *fn, orsp_err e)
{
	char detail[200];

	orsp_err_detail_copy(detail, sizeof(detail));
	return orsp_errf(e, "SM-DP+ %s: malformed answer: %s", fn, detail);
}

/* POST one function; *rsp the parsed answer. Only handleNotification may answer nothing
 * (HTTP 204 No Content, or 200 without a body: delivered either way, *rsp NULL); every other
 * function's answer is a JSON object with a header, else ORSP_E_MALFORMED "SM-DP+ <function>: ...".
 * SGP.22 Failed -> ORSP_E_STATE with "SM-DP+ refused <function>: <subject>/<reason> <message>". */
static orsp_err es9_call(es9 *c, const char *fn, json_t *req, json_t **rsp)
{
	static const char *const hdrs[] = {"User-Agent: gsma-rsp-lpad", NULL};
	char url[700], *body = NULL;
	size_t blen = 0;
	bool may_be_empty = !strcmp(fn, "handleNotification");
	orsp_http_result res;
	orsp_json_status st;
	orsp_err e;

	*rsp = NULL;
	c->status = 0;
	c->subject[0] = c->reason[0] = '\0';
	snprintf(url, sizeof(url), "%s/gsma/rsp2/es9plus/%s", c->base, fn);
	if ((e = orsp_json_dump(req, &body, &blen)))
		return e;
	e = orsp_http_client_post_json(c->http, url, body, blen, hdrs, &res);
	/* getBoundProfilePackage's carries hashCc (PrepareDownloadResponse): from it and the
	 * transactionId a short confirmation code is found by trying them all */
	orsp_wipe_free(body);
	if (e) {
		/* the detail is copied first: orsp_errf must not read the buffer it writes; it may
		 * quote the server (a TLS certificate's name) */
		char detail[256];
		const char *d = orsp_err_detail();
		lpa_text_copy(orsp_slice_make(d, strlen(d)), detail, sizeof(detail));
		orsp_http_fail fail = res.fail;
		orsp_http_result_free(&res);
		/* a stop asked while the request was under way (the client's stop flag) */
		if (e == ORSP_E_STATE && fail == ORSP_HTTP_FAIL_OTHER)
			return orsp_errf(ORSP_E_STATE, "interrupted during the SM-DP+ %s request",
			                 fn);
		if (fail == ORSP_HTTP_FAIL_TOO_LARGE)
			return orsp_errf(ORSP_E_RESOURCE,
			                 "SM-DP+ %s: the answer is larger than the LPA takes (%zu "
			                 "bytes)",
			                 fn, (size_t)LPA_ANSWER_MAX);
		return request_failed(c, url, e, fail, detail);
	}
	c->status = res.status;
	if ((res.status == 204 || (res.status == 200 && !res.body_len)) && may_be_empty) {
		orsp_http_result_free(&res);
		return ORSP_OK;
	}
	if (res.status != 200 && res.status != 204) {
		long status = res.status;
		orsp_http_result_free(&res);
		return orsp_errf(ORSP_E_IO, "%s: HTTP %ld", url, status);
	}
	if (res.status == 204 || !res.body_len) {
		long status = res.status;
		orsp_http_result_free(&res);
		return orsp_errf(ORSP_E_MALFORMED,
		                 "SM-DP+ %s: malformed answer: empty (HTTP %ld) where SGP.22 wants "
		                 "a JSON answer",
		                 fn, status);
	}
	/* SGP.22 §6.5.1: a JSON answer says so (application/json, parameters allowed), and an
	 * X-Admin-Protocol it gives names an SGP.22 v2 version (none is taken, as pySim takes) */
	{
		unsigned ma = 0, mi = 0, pa = 0;
		bool json = orsp_http_media_json(res.content_type);
		bool admin =
		    !res.x_admin_protocol[0] ||
		    (!orsp_http_admin_protocol_parse(res.x_admin_protocol, &ma, &mi, &pa) &&
		     ma == 2);
		if (!json || !admin) {
			const char *got = json ? res.x_admin_protocol : res.content_type;
			char what[160];
			orsp_err_clear();
			lpa_text_copy(orsp_slice_make(got, strlen(got)), what, sizeof(what));
			orsp_http_result_free(&res);
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    json ? "SM-DP+ %s: malformed answer: X-Admin-Protocol \"%s\" "
			           "is not an SGP.22 v2 version (gsma/rsp/v2.x.y)"
			         : "SM-DP+ %s: malformed answer: Content-Type \"%s\", "
			           "not application/json",
			    fn, what);
		}
	}
	e = orsp_json_parse(res.body, res.body_len, LPA_ANSWER_MAX, rsp);
	orsp_http_result_free(&res);
	if (e)
		return answer_error(fn, e); /* the parser's detail: what and where */
	if ((e = orsp_json_header_get(*rsp, &st))) {
		json_decref(*rsp);
		*rsp = NULL;
		return answer_error(fn, ORSP_E_MALFORMED);
	}
	if (st.status != ORSP_FES_SUCCESS && st.status != ORSP_FES_WARNING) {
		/* the server's message goes to the user's terminal: one line, no control bytes */
		char msg[sizeof(st.message)], advice[400], codes[2 * ORSP_JSON_CODE_MAX + 2] = "";
		lpa_text_copy(orsp_slice_make(st.message, strlen(st.message)), msg, sizeof(msg));
		snprintf(c->subject, sizeof(c->subject), "%s", st.subject_code);
		snprintf(c->reason, sizeof(c->reason), "%s", st.reason_code);
		c->refused = true;
		/* statusCodeData is required for Failed only: an Expired without it has no codes */
		if (st.has_status_code_data)
			snprintf(codes, sizeof(codes), " %s/%s", st.subject_code, st.reason_code);
		e = orsp_errf(
		    ORSP_E_STATE, "SM-DP+ refused %s (%s%s%s%s): %s", fn,
		    orsp_json_fes_str(st.status), codes, msg[0] ? " " : "", msg,
		    es9_advice(c, st.subject_code, st.reason_code, msg, advice, sizeof(advice)));
		json_decref(*rsp);
		*rsp = NULL;
	}
	return e;
}

/* ---------------------------------------------------------------- download -------------- */

static void progress(const orsp_lpa_download_opts *o, orsp_lpa_step s, const char *what)
{
	if (o->progress)
		o->progress(o->arg, s, what);
}

/* Field k (base64) of the answer of SM-DP+ function fn, at most LPA_FIELD_MAX bytes decoded
 * but the package, which may take the whole answer. */
static orsp_err b64_field(const char *fn, json_t *o, const char *k, uint8_t **out, size_t *n)
{
	size_t max = !strcmp(k, "boundProfilePackage") ? LPA_ANSWER_MAX : LPA_FIELD_MAX;
	orsp_err e = orsp_json_get_base64_alloc(o, k, max, out, n);

	return e ? answer_error(fn, e) : ORSP_OK;
}

/* The transactionId of an answer after initiateAuthentication's (mandatory in each, SGP.22
 * §6.5.2) must be the session's, tid: an answer for another session is not used. */
static orsp_err answer_tid(const char *fn, json_t *rsp, const uint8_t *tid, size_t tid_len)
{
	uint8_t got[16];
	size_t gl = 0;
	const char *tx;
	size_t tl;
	orsp_err e;

	if ((e = orsp_json_get_string(rsp, "transactionId", 32, &tx, &tl)) ||
	    (e = orsp_hex_decode(tx, got, sizeof(got), &gl)))
		return answer_error(fn, e);
	if (gl != tid_len || memcmp(got, tid, tid_len) != 0)
		return orsp_errf(ORSP_E_VERIFY,
		                 "SM-DP+ %s: the answer is for another session (transactionId) "
		                 "than this one; nothing of it was sent to the eUICC",
		                 fn);
	return ORSP_OK;
}

/* A field of the SM-DP+'s answer that goes into an ES10 command as it is: after base64,
 * exactly one DER TLV with the tag of its ASN.1 type (type names it), so that nothing rides
 * along in it to the eUICC, such as a second TLV that a lenient eUICC would read as the next
 * field of the command. The TLV in *out when out is not NULL. */
static orsp_err one_tlv(const char *fn, const char *field, const uint8_t *p, size_t n, uint32_t tag,
                        const char *type, orsp_tlv *out)
{
	orsp_tlv t;

	if (!orsp_der_parse_one(orsp_slice_make(p, n), &t) && t.tag == tag) {
		if (out)
			*out = t;
		return ORSP_OK;
	}
	orsp_err_clear();
	return orsp_errf(ORSP_E_MALFORMED,
	                 "SM-DP+ %s: malformed answer: %s is not one %s (a DER TLV tagged %02X)",
	                 fn, field, type, (unsigned)tag);
}

/* ES10b CancelSession on the eUICC, then ES9+ CancelSession with its signed answer. Writes
 * what became of the session to note: " (session cancelled)" when both sides did it.
 * euicc_refused: the eUICC refused a function of this session, which may have ended it
 * there; its invalidTransactionId then means nothing is left to cancel. Returns the eUICC's
 * CancelSession error code (5, 127), or 0 when it answered none. */
static uint64_t cancel(orsp_lpa_card *c, es9 *s, const uint8_t *tid, size_t tid_len,
                       const char *tid_hex, int reason, bool euicc_refused, char *note, size_t cap)
{
	uint8_t req[32], rsp[512];
	size_t rl = 0;
	orsp_writer w;
	orsp_der_mark m;
	json_t *j, *r = NULL;
	orsp_err e;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, tid, tid_len);
	orsp_der_put_uint(&w, 0x81, (uint64_t)reason);
	orsp_der_end(&w, m);
	e = orsp_writer_status(&w);
	if (!e)
		e = orsp_lpa_es10(c, req, w.len, rsp, sizeof(rsp), &rl);
	if (e || !rl) {
		snprintf(note, cap, " (the eUICC did not cancel the session: %s)",
		         e ? orsp_err_detail() : "empty answer");
		orsp_err_clear();
		return 0;
	}
	/* CancelSessionResponse ::= [65] CHOICE { ok [0], error [1] INTEGER }: only the signed
	 * ok goes to the SM-DP+ */
	{
		orsp_tlv t, f;
		uint64_t code = 127;
		bool read = !orsp_der_parse_one(orsp_slice_make(rsp, rl), &t) && t.tag == 0xBF41 &&
		            !orsp_der_parse_one(t.value, &f);
		if (!read || f.tag != 0xA0) {
			if (!read || f.tag != 0x81 || orsp_der_uint(f.value, &code))
				code = 127;
			orsp_err_clear();
			/* no session there: it ended it when it refused, nothing to sign or send */
			if (euicc_refused && code == 5) {
				snprintf(note, cap, " (the eUICC had already ended the session)");
				return code;
			}
			snprintf(
			    note, cap,
			    " (the eUICC did not cancel the session: CancelSession error %llu, %s)",
			    (unsigned long long)code,
			    code == 5 ? "invalidTransactionId" : "undefinedError");
			return code;
		}
	}
	j = json_object();
	e = !j ? orsp_errf(ORSP_E_RESOURCE, "out of memory")
	       : orsp_json_put_string(j, "transactionId", tid_hex);
	if (!e)
		e = orsp_json_put_base64(j, "cancelSessionResponse", rsp, rl);
	if (!e) {
		bool dp_refused = s->refused;
		/* sent whether or not a stop was asked: the stop asks for it (bounded by the
		 * request timeout as any request) */
		orsp_http_client_set_stop(s->http, NULL);
		e = es9_call(s, "cancelSession", j, &r);
		/* An SM-DP+ that refused a function of this session has ended it (SGP.22 §3.1.3):
		 * its "unknown transactionId" (8.10.1/3.9) to the cancel says just that, the
		 * session is gone on both sides. */
		if (e == ORSP_E_STATE && dp_refused && !strcmp(s->subject, "8.10.1") &&
		    !strcmp(s->reason, "3.9"))
			e = ORSP_OK;
	}
	if (e) /* its reason would bury the first error's: it is a follow-up */
		snprintf(note, cap,
		         " (session cancelled on the eUICC; the SM-DP+ did not confirm it)");
	else
		snprintf(note, cap, " (session cancelled)");
	json_decref(r);
	orsp_err_clear();
	json_decref(j);
	return 0;
}

/* CancelSessionReason (SGP.22 §5.7.14) values the LPA sends */
enum {
	CANCEL_END_USER_REJECTION = 0,
	CANCEL_POSTPONED = 1,
	CANCEL_TIMEOUT = 2,
	CANCEL_PPR_NOT_ALLOWED = 3,
	CANCEL_UNDEFINED = 127
};

/* After error e: cancel the session with reason; e again, its detail kept first and what
 * became of the session after it. A fault of the transport, the SM-DP+ or the eUICC is no
 * End User postponing (postponed, SGP.22 §5.7.14): it goes as undefinedReason, which keeps
 * the order downloadable as postponed does (openrsp's SM-DP+ ends an order only for
 * endUserRejection and pprNotAllowed). loading: the package was being loaded. */
static orsp_err cancel_failed(orsp_lpa_card *c, es9 *s, const uint8_t *tid, size_t tid_len,
                              const char *tid_hex, int reason, bool loading, orsp_err e)
{
	char detail[300], note[300];

	orsp_err_detail_copy(detail, sizeof(detail));
	uint64_t card_code = cancel(c, s, tid, tid_len, tid_hex, reason, false, note, sizeof(note));
	/* a load the eUICC no longer has a session for: it ended it itself (a card reset,
	 * another command in between), keeping the result of an installation it had begun as a
	 * pending notification (docs/euicc.md), which nothing here sends */
	if (loading && card_code == 5)
		return orsp_errf(e,
		                 "%s%s; an interrupted installation's result may be pending on "
		                 "the eUICC: `openrsp lpa notification process` sends it",
		                 detail, note);
	return orsp_errf(e, "%s%s", detail, note);
}

/* After confirm or consent returned false: when nobody answered (o->unanswered), that is no
 * refusal, and the session is cancelled with timeout, which leaves the order downloadable,
 * not endUserRejection, which ends it; *e the error then, and true. */
/* o->stop set (a signal): true. */
static bool stop_asked(const orsp_lpa_download_opts *o)
{
	/* an atomic load: the signal may come to another thread (orsp_stop_count) */
	return orsp_stop_set(o->stop);
}

/* A stop asked for before the eUICC has a session: nothing to cancel anywhere (the SM-DP+'s
 * session, if any, lapses), *e the interruption. */
static bool stopped_early(const orsp_lpa_download_opts *o, orsp_err *e)
{
	if (!stop_asked(o))
		return false;
	*e = orsp_errf(ORSP_E_STATE, "interrupted: nothing was downloaded");
	return true;
}

/* A stop asked for once the eUICC has a session: cancelled on both sides with postponed
 * (the order stays for another try), *e the interruption. */
static bool interrupted(const orsp_lpa_download_opts *o, orsp_lpa_card *c, es9 *s,
                        const uint8_t *tid, size_t tid_len, const char *tid_hex, orsp_err *e)
{
	char note[300];

	if (!stop_asked(o))
		return false;
	cancel(c, s, tid, tid_len, tid_hex, CANCEL_POSTPONED, false, note, sizeof(note));
	*e = orsp_errf(ORSP_E_STATE,
	               "interrupted: not installed, the order stays for another try%s", note);
	return true;
}

static bool unanswered(const orsp_lpa_download_opts *o, orsp_lpa_card *c, es9 *s,
                       const uint8_t *tid, size_t tid_len, const char *tid_hex, orsp_err *e)
{
	char note[300];

	if (!o->unanswered || !*o->unanswered)
		return false;
	cancel(c, s, tid, tid_len, tid_hex, CANCEL_TIMEOUT, false, note, sizeof(note));
	*e = orsp_errf(ORSP_E_USAGE,
	               "nobody answered the question (the input ended): not installed, the "
	               "order stays for another try%s",
	               note);
	return true;
}

/* SGP.22 §5.5.6 ErrorResult { bppCommandId, errorReason, simaResponse OPTIONAL } as text,
 * e.g. "ErrorReason 7 (scp03tStructureError) at BppCommandId 5 (loadProfileElements)";
 * out stays empty when the contents are not two small integers. Returns the errorReason, 0
 * (no reason SGP.22 defines) when it does not read. */
static uint64_t error_result_str(orsp_slice v, char *out, size_t cap)
{
	static const char *const cmds[] = {"initialiseSecureChannel", "configureISDP",
	                                   "storeMetadata",           "storeMetadata2",
	                                   "replaceSessionKeys",      "loadProfileElements"};
	static const char *const reasons[] = {NULL,
	                                      "incorrectInputValues",
	                                      "invalidSignature",
	                                      "invalidTransactionId",
	                                      "unsupportedCrtValues",
	                                      "unsupportedRemoteOperationType",
	                                      "unsupportedProfileClass",
	                                      "scp03tStructureError",
	                                      "scp03tSecurityError",
	                                      "installFailedDueToIccidAlreadyExistsOnEuicc",
	                                      "installFailedDueToInsufficientMemoryForProfile",
	                                      "installFailedDueToInterruption",
	                                      "installFailedDueToPEProcessingError",
	                                      "installFailedDueToIccidMismatch",
	                                      "testProfileInstallFailedDueToInvalidNaaKey",
	                                      "pprNotAllowed"};
	orsp_reader r;
	orsp_tlv c, e;
	uint64_t cmd = 0, reason = 0;
	const char *cn, *rn;

	out[0] = '\0';
	orsp_reader_init(&r, v.p, v.len);
	if (orsp_der_expect(&r, 0x80, &c) || orsp_der_expect(&r, 0x81, &e) ||
	    orsp_der_uint(c.value, &cmd) || orsp_der_uint(e.value, &reason)) {
		orsp_err_clear();
		return 0;
	}
	cn = cmd < ORSP_ARRAY_LEN(cmds) ? cmds[cmd] : NULL;
	rn = reason < ORSP_ARRAY_LEN(reasons) ? reasons[reason]
	     : reason == 127                  ? "installFailedDueToUnknownError"
	                                      : NULL;
	snprintf(out, cap, "ErrorReason %llu%s%s%s at BppCommandId %llu%s%s%s",
	         (unsigned long long)reason, rn ? " (" : "", rn ? rn : "", rn ? ")" : "",
	         (unsigned long long)cmd, cn ? " (" : "", cn ? cn : "", cn ? ")" : "");
	return reason;
}

/* StoreMetadataRequest (SGP.22 §5.5.3) into p and *owner (profileOwner, *has_owner). The
 * fields the LPA acts on, profilePolicyRules and profileOwner, are read strictly: a malformed
 * or repeated one is an error, never a profile without rules. So are those the eUICC's
 * StoreMetadata would refuse: a mandatory one missing (iccid, serviceProviderName,
 * profileName), one twice, a name over its size. */
orsp_err lpa_metadata_of(const uint8_t *meta, size_t n, orsp_lpa_profile *p,
                         orsp_lpa_operator *owner, bool *has_owner)
{
	orsp_tlv t, f;
	orsp_reader r;
	bool has_ppr = false;
	/* 1 iccid, 2 serviceProviderName, 4 profileName, 8 profileClass,
	 * 16 notificationConfigurationInfo */
	unsigned seen = 0;

	memset(p, 0, sizeof(*p));
	memset(owner, 0, sizeof(*owner));
	*has_owner = false;
	p->profile_class = 2;
	if (orsp_der_parse_one(orsp_slice_make(meta, n), &t) || t.tag != 0xBF25)
		return orsp_errf(ORSP_E_MALFORMED, "profileMetadata is not a StoreMetadataRequest");
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		uint64_t v;
		if (orsp_der_read(&r, &f))
			return orsp_errf(ORSP_E_MALFORMED, "profileMetadata");
		/* what the user is shown and confirms, and what is reported installed: the one
		 * value there is, never the last of two (an eUICC that keeps the first would
		 * install another ICCID than the one confirmed), nor one cut or dropped */
		unsigned bit = f.tag == 0x5A   ? 1u
		               : f.tag == 0x91 ? 2u
		               : f.tag == 0x92 ? 4u
		               : f.tag == 0x95 ? 8u
		               : f.tag == 0xB6 ? 16u
		                               : 0u;
		if (bit & seen)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "profileMetadata: a field (tag %02X) twice",
			                 (unsigned)f.tag);
		seen |= bit;
		if (f.tag == 0x5A) {
			/* 19 or 20 digits, then 'F' filler: 'F' nibbles from the start would show
			 * and report an ICCID cut short, or none at all */
			if (f.value.len != 10 || orsp_iccid_decode_ef(f.value.p, p->iccid) ||
			    strlen(p->iccid) < 19)
				return orsp_errf(ORSP_E_MALFORMED, "profileMetadata: ICCID");
		} else if (f.tag == 0x91) {
			/* as the eUICC's StoreMetadata takes it (orsp_utf8_string_ok, es10_isdr.c):
			 * refused there after the user confirmed and the SM-DP+ bound the
			 * package, so here, before anyone is asked */
			if (!orsp_utf8_string_ok(f.value.p, f.value.len, ORSP_LPA_SPN_CHARS))
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    "profileMetadata: serviceProviderName not UTF-8 of at "
				    "most %d characters",
				    ORSP_LPA_SPN_CHARS);
			/* text for the user's terminal: made safe as the card's is */
			lpa_text_copy(f.value, p->spn, sizeof(p->spn));
		} else if (f.tag == 0x92) {
			if (!orsp_utf8_string_ok(f.value.p, f.value.len, ORSP_LPA_NAME_CHARS))
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    "profileMetadata: profileName not UTF-8 of at most %d "
				    "characters",
				    ORSP_LPA_NAME_CHARS);
			lpa_text_copy(f.value, p->name, sizeof(p->name));
		} else if (f.tag == 0x95) {
			if (orsp_der_uint(f.value, &v) || v > 2)
				return orsp_errf(ORSP_E_MALFORMED, "profileMetadata: profileClass");
			p->profile_class = (int)v;
		} else if (f.tag == 0x99) {
			if (has_ppr || lpa_ppr_bits(f.value, &p->ppr))
				return orsp_errf(ORSP_E_MALFORMED,
				                 "profileMetadata: profilePolicyRules");
			has_ppr = true;
		} else if (f.tag == 0xB7) {
			char detail[160];
			if (*has_owner)
				return orsp_errf(ORSP_E_MALFORMED,
				                 "profileMetadata: two profileOwner fields");
			if (lpa_operator_parse(f.value, owner)) {
				orsp_err_detail_copy(detail, sizeof(detail));
				return orsp_errf(ORSP_E_MALFORMED,
				                 "profileMetadata: profileOwner: %s", detail);
			}
			*has_owner = true;
		}
	}
	if (!(seen & 1))
		return orsp_errf(ORSP_E_MALFORMED, "profileMetadata: no ICCID");
	if (!(seen & 2) || !(seen & 4))
		return orsp_errf(ORSP_E_MALFORMED, "profileMetadata: no %s",
		                 seen & 2 ? "profileName" : "serviceProviderName");
	orsp_err_clear(); /* a lenient field's parse may have left a detail */
	return ORSP_OK;
}

/* An operator's MCC/MNC (TS 24.008 nibbles; F the filler of a 2-digit MNC) and GIDs, for a
 * message; "the profile names no owner" when owner is NULL. */
static void owner_str(const orsp_lpa_operator *owner, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *m;
	char mnc3[2] = "";

	if (!owner) {
		snprintf(out, cap, "the profile names no owner");
		return;
	}
	m = owner->mcc_mnc;
	if ((m[1] >> 4) != 0xF)
		mnc3[0] = hex[m[1] >> 4];
	snprintf(out, cap, "MCC %c%c%c MNC %c%c%s%s%s", hex[m[0] & 0x0F], hex[m[0] >> 4],
	         hex[m[1] & 0x0F], hex[m[2] & 0x0F], hex[m[2] >> 4], mnc3,
	         owner->has_gid1 ? " with GID1" : "", owner->has_gid2 ? " and GID2" : "");
}

/* Profile Policy Rules (SGP.22 §2.9.2, §3.1.3): when the metadata has rules, the eUICC's RAT
 * (GetRAT) says whether the profile's owner may set each, and which need the end user's
 * consent (*consent). A rule the RAT does not allow: ORSP_E_POLICY, and the caller cancels
 * with pprNotAllowed (*ppr_refused). No RAT read without rules: profiles without them go as
 * before. */
static orsp_err ppr_check(orsp_lpa_card *c, const orsp_lpa_profile *mp,
                          const orsp_lpa_operator *owner, uint32_t *consent, bool *ppr_refused)
{
	orsp_lpa_rat *rat = NULL;
	uint32_t not_allowed = 0;
	char rules[120], who[80];
	orsp_err e;

	*consent = 0;
	*ppr_refused = false;
	if (!(mp->ppr & ORSP_LPA_PPR_RULES))
		return ORSP_OK;
	if (!(rat = malloc(sizeof(*rat))))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = orsp_lpa_get_rat(c, rat);
	if (!e)
		orsp_lpa_rat_check(rat, mp->ppr, owner, &not_allowed, consent);
	free(rat);
	if (e || !not_allowed)
		return e;
	*ppr_refused = true;
	orsp_lpa_ppr_str(not_allowed, rules, sizeof(rules));
	owner_str(owner, who, sizeof(who));
	return orsp_errf(ORSP_E_POLICY,
	                 "the eUICC's rules authorisation table does not allow %s for this "
	                 "profile's owner (%s): it cannot be installed on this eUICC",
	                 rules, who);
}

/* The BPP's StoreMetadataRequest, read from its sequenceOf88, against the profileMetadata of
 * authenticateClient (shown, n bytes): the same bytes, else ORSP_E_VERIFY naming the fields
 * that differ; one that cannot be read is ORSP_E_MALFORMED. Nothing is sent to the eUICC. */
static orsp_err check_bpp_metadata(const uint8_t *bpp, size_t bppl, const uint8_t *shown, size_t n)
{
	uint8_t *pm = malloc(bppl ? bppl : 1);
	size_t pml = 0;
	char diff[136];
	orsp_err e;

	if (!pm)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = orsp_lpa_bpp_metadata(bpp, bppl, pm, bppl, &pml);
	if (!e)
		e = orsp_lpa_metadata_compare(shown, n, pm, pml, diff, sizeof(diff));
	if (e == ORSP_E_VERIFY)
		e = orsp_errf(e,
		              "the package's metadata differs from the one the SM-DP+ showed: %s; "
		              "nothing of it was sent to the eUICC",
		              diff);
	free(pm);
	return e;
}

/* The BPP's InitialiseSecureChannelRequest (BF23 { remoteOpId [2], transactionId [0], ... },
 * SGP.22 §5.5.1) must be for this session, tid: a package for another session is not sent to
 * the eUICC (which would refuse it too, but only after the LPA had started loading it). */
orsp_err lpa_bpp_tid_check(const uint8_t *bpp, size_t bppl, const uint8_t *tid, size_t tid_len)
{
	orsp_tlv top, isc, f;
	orsp_reader r;

	if (orsp_der_parse_one(orsp_slice_make(bpp, bppl), &top) || top.tag != 0xBF36)
		goto malformed;
	orsp_reader_init(&r, top.value.p, top.value.len);
	if (orsp_der_expect(&r, 0xBF23, &isc))
		goto malformed;
	orsp_reader_init(&r, isc.value.p, isc.value.len);
	if (orsp_der_expect(&r, 0x82, &f) || orsp_der_expect(&r, 0x80, &f))
		goto malformed;
	if (f.value.len != tid_len || memcmp(f.value.p, tid, tid_len) != 0)
		return orsp_errf(ORSP_E_VERIFY,
		                 "the package is for another session (the transactionId of its "
		                 "InitialiseSecureChannelRequest) than this one; nothing of it was "
		                 "sent to the eUICC");
	return ORSP_OK;
malformed:
	orsp_err_clear();
	return orsp_errf(ORSP_E_MALFORMED, "the package's InitialiseSecureChannelRequest does "
	                                   "not read (remoteOpId, then transactionId); nothing "
	                                   "of it was sent to the eUICC");
}

/* The error code (the INTEGER) of an eUICC's error answer { transactionId [0], code }
 * (AuthenticateResponseError, PrepareDownloadResponseError); 127, undefinedError, when there
 * is none or it does not read. */
static uint64_t error_code(const orsp_tlv *err)
{
	orsp_reader r;
	orsp_tlv t;
	uint64_t code = 127;

	orsp_reader_init(&r, err->value.p, err->value.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &t))
		if (t.tag == 0x02 && orsp_der_uint(t.value, &code))
			code = 127;
	return code;
}

/* What to do when the eUICC refused the SM-DP+ certificate der (n bytes; what names it:
 * "CERT.DPauth") as invalidCertificate and it is outside its validity period by this device's
 * clock, into hint (cap bytes): "" otherwise, and for a certificate that does not read. An
 * eUICC may judge the period by that clock (openrsp's software eUICC does, by its host's:
 * docs/euicc.md), and a wrong one (a device that booted at 2000-01-01, before NTP) makes
 * every SM-DP+ certificate invalid; over plain HTTP no TLS check says so first. */
static void cert_time_hint(const uint8_t *der, size_t n, const char *what, char *hint, size_t cap)
{
	orsp_cert *c = NULL;
	time_t nb = 0, na = 0, now = time(NULL);
	char when[ORSP_UTC_TEXT_CAP], at[ORSP_UTC_TEXT_CAP];

	hint[0] = '\0';
	if (orsp_cert_parse(der, n, &c) || orsp_cert_validity(c, &nb, &na)) {
		orsp_cert_free(c);
		orsp_err_clear();
		return;
	}
	orsp_cert_free(c);
	if (now >= nb && now <= na)
		return;
	orsp_utc_text(now < nb ? nb : na, ' ', when);
	orsp_utc_text(now, ' ', at);
	snprintf(hint, cap,
	         "; by this device's clock (%s) %s %s %s: check this device's date and time, "
	         "and the server",
	         at, what, now < nb ? "is not valid before" : "expired on", when);
}

/* AuthenticateResponseError { transactionId [0], authenticateErrorCode } (SGP.22 §5.7.13),
 * the contents of the answer's [1], as a one-line error; cert (n bytes): the
 * serverCertificate the eUICC was given. */
static orsp_err auth_error(const orsp_tlv *err, const uint8_t *cert, size_t n)
{
	static const char *const names[] = {
	    NULL,
	    "the SM-DP+ certificate is invalid (CERT.DPauth)",
	    "the SM-DP+ signature is invalid",
	    "the SM-DP+ uses a curve the eUICC does not support",
	    "no session on the eUICC",
	    "the SM-DP+ certificate has the wrong OID",
	    "the SM-DP+ answered another challenge (euiccChallengeMismatch)",
	    "the SM-DP+ certificate comes from a CI the eUICC does not trust (ciPKUnknown)",
	};
	uint64_t code = error_code(err);
	char hint[300] = "";
	if (code == 1)
		cert_time_hint(cert, n, "CERT.DPauth", hint, sizeof(hint));
	if (code >= 1 && code <= 7)
		return orsp_errf(ORSP_E_VERIFY, "the eUICC refused the SM-DP+: %s%s", names[code],
		                 hint);
	/* undefinedError: the eUICC names no check that failed; a certificate or CI it did not
	 * accept has a code of its own (1, 5, 7), so this says nothing of the server being
	 * the wrong one (serverSigned1 with a serverChallenge of another length than 16, signed
	 * by the genuine DPauth key, gets it from openrsp's eUICC), nor of its data: openrsp's
	 * eUICC answers it too when it failed inside (out of memory checking the server's
	 * certificate or signature, since session 75) */
	if (code == 127)
		return orsp_errf(ORSP_E_VERIFY,
		                 "the eUICC refused the SM-DP+ (AuthenticateServer undefinedError "
		                 "(127)): the eUICC could not process the SM-DP+'s authentication "
		                 "data (malformed or unsupported, or the eUICC failed inside)");
	return orsp_errf(ORSP_E_VERIFY,
	                 "the eUICC refused the SM-DP+ (AuthenticateServer error %llu, not an "
	                 "SGP.22 AuthenticateErrorCode)",
	                 (unsigned long long)code);
}

/* DownloadErrorCode of a PrepareDownloadResponseError { transactionId [0],
 * downloadErrorCode } (SGP.22 §5.7.5) as a one-line error; dpcert (n bytes): the CERT.DPpb
 * the eUICC was given; sent_anyway: the SM-DP+ answered with a package all the same (note:
 * what became of the session). An undefinedError with
 * notifications pending on c: a list without room for the installation result is a likely
 * cause (an eUICC that could not keep it refuses the download; openrsp's does), which the user can
 * clear: the message says how many there are, for which SM-DP+ addresses, and what to do. */
static orsp_err prepare_error(orsp_lpa_card *c, const orsp_tlv *err, const uint8_t *dpcert,
                              size_t n, bool sent_anyway, const char *note)
{
	static const char *const names[] = {
	    NULL,
	    "invalidCertificate: the SM-DP+ certificate (CERT.DPpb) is invalid",
	    "invalidSignature: the SM-DP+ signature (smdpSignature2) is invalid",
	    "unsupportedCurve: the SM-DP+ uses a curve the eUICC does not support",
	    "noSessionContext: no session on the eUICC",
	    "invalidTransactionId: the SM-DP+ answered for another session",
	};
	uint64_t code = error_code(err);
	size_t pending = 0;
	char full[1800] = "", hint[300] = "", addrs[900] = "", cmd[400] = "";

	orsp_err_clear();
	if (code == 1)
		cert_time_hint(dpcert, n, "CERT.DPpb", hint, sizeof(hint));
	if (code == 127 && orsp_lpa_notification_count(c, &pending) == ORSP_OK && pending) {
		lpa_pending_addresses(c, addrs, sizeof(addrs), cmd, sizeof(cmd));
		snprintf(full, sizeof(full),
		         " with %zu notification%s pending%s%s%s: the eUICC's notification list "
		         "likely has no room for this download's installation result (an eUICC "
		         "refuses a download it could not report); nothing was installed: deliver "
		         "%s (`openrsp lpa notification process`), then download again with the "
		         "same activation code; those of an SM-DP+ that keeps refusing them: %s "
		         "removes them unsent",
		         pending, pending == 1 ? "" : "s", addrs[0] ? " (" : "", addrs,
		         addrs[0] ? ")" : "", pending == 1 ? "it" : "them", cmd);
	}
	orsp_err_clear();
	return orsp_errf(
	    full[0] ? ORSP_E_STATE : ORSP_E_VERIFY,
	    "the eUICC refused the profile's download (PrepareDownload error %llu, %s)%s%s%s%s",
	    (unsigned long long)code, code >= 1 && code <= 5 ? names[code] : "undefinedError", full,
	    hint,
	    sent_anyway ? "; the SM-DP+ sent a package all the same: nothing of it was sent to "
	                  "the eUICC"
	                : "",
	    note);
}

/* ServerSigned1 { transactionId [0], euiccChallenge [1], serverAddress [3], serverChallenge
 * [4] } must be for this session (the transactionId of the JSON answer), echo the eUICC's
 * challenge chal, name the SM-DP+ address the LPA asked (case-insensitive, as SGP.22
 * compares addresses) and carry a serverChallenge of 16 bytes (Octet16), before anything
 * goes to the eUICC; whose says where that address came from. */
orsp_err lpa_server_signed1_check(const uint8_t *s1, size_t n, const uint8_t *tid, size_t tid_len,
                                  const uint8_t chal[16], const char *fqdn, const char *whose)
{
	orsp_tlv t, ftid, fch, faddr, fsch;
	orsp_reader r;
	char addr[256];

	if (orsp_der_parse_one(orsp_slice_make(s1, n), &t) || t.tag != 0x30) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "SM-DP+: serverSigned1 is not a ServerSigned1");
	}
	orsp_reader_init(&r, t.value.p, t.value.len);
	if (orsp_der_expect(&r, 0x80, &ftid) || orsp_der_expect(&r, 0x81, &fch) ||
	    orsp_der_expect(&r, 0x83, &faddr) || orsp_der_expect(&r, 0x84, &fsch)) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "SM-DP+: serverSigned1 is not a ServerSigned1");
	}
	/* SGP.22 §5.7.13: serverChallenge Octet16; the eUICC would answer undefinedError */
	if (fsch.value.len != 16)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "SM-DP+: serverSigned1's serverChallenge is %zu bytes, not 16 "
		                 "(Octet16); nothing of the answer went to the eUICC",
		                 fsch.value.len);
	if (ftid.value.len != tid_len || memcmp(ftid.value.p, tid, tid_len) != 0)
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "SM-DP+: serverSigned1 is for another session than the transactionId "
		    "of its answer; nothing of the answer went to the eUICC");
	if (fch.value.len != 16 || memcmp(fch.value.p, chal, 16) != 0)
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "SM-DP+: serverSigned1 does not echo the eUICC's challenge (an "
		    "answer to another request); nothing of the answer went to the eUICC");
	if (faddr.value.len != strlen(fqdn) ||
	    strncasecmp((const char *)faddr.value.p, fqdn, faddr.value.len) != 0) {
		lpa_text_copy(faddr.value, addr, sizeof(addr));
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "SM-DP+: serverSigned1 names the SM-DP+ address \"%s\", not %s (%s); "
		    "nothing of the answer went to the eUICC",
		    addr, fqdn, whose);
	}
	return ORSP_OK;
}

/* SGP.22 §4.1: an activation code may name the SM-DP+ by its OID as well as its address; the
 * server that answered must then be that one, by a registeredID of the CERT.DPauth it sent
 * (the certificate the eUICC checks serverSignature1 with, and its chain; SGP.22's profile
 * gives it one, any of several may match). cert: the DER of serverCertificate, one TLV. */
static orsp_err dpauth_oid_check(const uint8_t *cert, size_t n, const char *oid)
{
	orsp_cert *c = NULL;
	char rid[128], first[128] = "";
	orsp_err e;
	size_t i;
	unsigned long failed = orsp_wipe_alloc_failures();

	if ((e = orsp_cert_parse(cert, n, &c)) == ORSP_E_RESOURCE)
		goto oom;
	if (e) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED,
		                 "SM-DP+ initiateAuthentication: malformed answer: "
		                 "serverCertificate is not a certificate");
	}
	for (i = 0; (e = orsp_cert_rid_text(c, i, rid, sizeof(rid))) != ORSP_E_NOT_FOUND; i++) {
		if (e == ORSP_OK && strcmp(rid, oid) == 0)
			break;
		if (i == 0)
			snprintf(first, sizeof(first), "%s", e == ORSP_OK ? rid : "(unreadable)");
	}
	orsp_cert_free(c);
	/* a registeredID not read for want of memory says nothing of the server (until session
	 * 75: "names no SM-DP+ OID", or "(unreadable), not OID: another server") */
	if (e != ORSP_OK && orsp_wipe_alloc_failures() != failed)
		goto oom;
	orsp_err_clear();
	if (e == ORSP_OK)
		return ORSP_OK;
	if (i == 0)
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "SM-DP+: its certificate (CERT.DPauth) names no SM-DP+ OID, the "
		    "activation code names %s; nothing of the answer went to the eUICC",
		    oid);
	return orsp_errf(
	    ORSP_E_VERIFY,
	    "SM-DP+: its certificate (CERT.DPauth) names the SM-DP+ OID %s%s, not %s "
	    "(the activation code's): another server; nothing of the answer went to the eUICC",
	    first, i > 1 ? " (and others)" : "", oid);
oom:
	orsp_err_clear();
	return orsp_errf(ORSP_E_RESOURCE,
	                 "out of memory checking the SM-DP+'s certificate (CERT.DPauth) for the "
	                 "activation code's SM-DP+ OID %s; nothing of the answer went to the eUICC",
	                 oid);
}

#define S2_MALFORMED "SM-DP+ authenticateClient: malformed answer: smdpSigned2 is not a SmdpSigned2"

/* SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN, bppEuiccOtpk
 * [APPLICATION 73] OPTIONAL, ... } (SGP.22 §5.6.3), its contents v: for this session (its
 * first field) and its ccRequiredFlag (*cc_required), a DER BOOLEAN. The fields in that
 * order, each once (extensions after them skipped), as the eUICC reads them: a missing flag
 * was read as FALSE, and of two the last one counted. */
orsp_err lpa_smdp_signed2_check(orsp_slice v, const uint8_t *tid, size_t tid_len, bool *cc_required)
{
	orsp_reader r;
	orsp_tlv f;
	int stage = 0; /* 0 transactionId, 1 ccRequiredFlag, 2 bppEuiccOtpk, 3 extensions */

	*cc_required = false;
	orsp_reader_init(&r, v.p, v.len);
	if (orsp_der_expect(&r, 0x80, &f)) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, S2_MALFORMED);
	}
	if (f.value.len != tid_len || memcmp(f.value.p, tid, tid_len) != 0)
		return orsp_errf(
		    ORSP_E_VERIFY,
		    "SM-DP+ authenticateClient: smdpSigned2 is for another session "
		    "(transactionId) than this one; nothing of it was sent to the eUICC");
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f)) {
			orsp_err_clear();
			return orsp_errf(ORSP_E_MALFORMED, S2_MALFORMED);
		}
		if (f.tag == 0x01 && stage == 0) {
			stage = 1;
			if (orsp_der_bool(f.value, cc_required)) {
				/* 01 01 01 is TRUE to a BER reader, and nothing in DER */
				orsp_err_clear();
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    "SM-DP+ authenticateClient: malformed answer: the "
				    "ccRequiredFlag of smdpSigned2 is not a DER BOOLEAN "
				    "(00 or FF)");
			}
		} else if (stage == 0 || f.tag == 0x01 || f.tag == 0x80 ||
		           (f.tag == 0x5F49 && stage != 1)) {
			/* a second transactionId too: the eUICC refuses it (127) once the user
			 * has confirmed, and the LPA would blame a full notification list */
			return orsp_errf(ORSP_E_MALFORMED, S2_MALFORMED);
		} else {
			stage = f.tag == 0x5F49 ? 2 : 3;
		}
	}
	if (stage == 0)
		return orsp_errf(ORSP_E_MALFORMED, S2_MALFORMED);
	return ORSP_OK;
}

/* RetrieveNotificationsList { searchCriteria seqNumber seq } into rsp (cap bytes, *rl). */
static orsp_err retrieve_seq(orsp_lpa_card *c, uint64_t seq, uint8_t *rsp, size_t cap, size_t *rl)
{
	uint8_t req[24];
	orsp_writer w;
	orsp_der_mark m, sc;
	orsp_err e;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF2B);
	sc = orsp_der_begin(&w, 0xA0);
	orsp_der_put_uint(&w, 0x80, seq);
	orsp_der_end(&w, sc);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)))
		return e;
	return orsp_lpa_es10(c, req, w.len, rsp, cap, rl);
}

/* Whether the eUICC keeps notification seq (RetrieveNotificationsList by its seqNumber): it
 * keeps a ProfileInstallationResult as a notification only while its notification list has
 * room. An answer that does not say it has none (an error, one the LPA cannot read) counts
 * as kept. */
static bool pir_kept(orsp_lpa_card *c, uint64_t seq)
{
	uint8_t *rsp = malloc(LPA_NOTIFICATION_MAX);
	orsp_tlv t, l;
	uint64_t code = 0;
	size_t rl = 0;
	bool kept = true;

	if (rsp && !retrieve_seq(c, seq, rsp, LPA_NOTIFICATION_MAX, &rl) &&
	    !orsp_der_parse_one(orsp_slice_make(rsp, rl), &t) && t.tag == 0xBF2B &&
	    !orsp_der_parse_one(t.value, &l))
		/* an empty list, or noResultAvailable (1) */
		kept = !((l.tag == 0xA0 && !l.value.len) ||
		         (l.tag == 0x81 && !orsp_der_uint(l.value, &code) && code == 1));
	orsp_err_clear();
	free(rsp);
	return kept;
}

/* GetEUICCInfo1 into buf (cap bytes, *len), *t its EUICCInfo1 ([32] SEQUENCE, BF20): one
 * well-formed TLV and nothing after it, as the challenge: the card's answer is not passed on
 * to the SM-DP+ unchecked. */
static orsp_err read_info1(orsp_lpa_card *c, uint8_t *buf, size_t cap, size_t *len, orsp_tlv *t)
{
	static const uint8_t req[] = {0xBF, 0x20, 0x00};
	orsp_err e;

	if ((e = orsp_lpa_es10(c, req, sizeof(req), buf, cap, len)))
		return e;
	if (orsp_der_parse_one(orsp_slice_make(buf, *len), t) || t->tag != 0xBF20 ||
	    orsp_der_validate(t->raw, 8)) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "card: GetEUICCInfo1 answer");
	}
	return ORSP_OK;
}

static bool pending_seq(const orsp_tlv *pn, uint64_t *seq);

/* What the installation result the eUICC keeps as notification seq says
 * (RetrieveNotificationsList by its seqNumber, BF37 { BF27 { ... finalResult A2 } }): 1 a
 * failure (*reason its errorReason, 0 when it gives none that reads), 0 a success, -1 not
 * known (an error, an answer the LPA cannot read). */
static int pir_outcome(orsp_lpa_card *c, uint64_t seq, uint64_t *reason)
{
	uint8_t *rsp = malloc(LPA_NOTIFICATION_MAX);
	orsp_reader r;
	orsp_tlv t, l, pn, d, res, choice;
	uint64_t got = 0;
	size_t rl = 0;
	int out = -1;
	char why[160];

	*reason = 0;
	if (!rsp || retrieve_seq(c, seq, rsp, LPA_NOTIFICATION_MAX, &rl) ||
	    orsp_der_parse_one(orsp_slice_make(rsp, rl), &t) || t.tag != 0xBF2B ||
	    orsp_der_parse_one(t.value, &l) || l.tag != 0xA0)
		goto done;
	orsp_reader_init(&r, l.value.p, l.value.len);
	while (out < 0 && orsp_reader_remaining(&r) && !orsp_der_read(&r, &pn)) {
		orsp_reader pr, dr;
		if (pn.tag != 0xBF37 || !pending_seq(&pn, &got) || got != seq)
			continue;
		orsp_reader_init(&pr, pn.value.p, pn.value.len);
		if (orsp_der_expect(&pr, 0xBF27, &d))
			break;
		orsp_reader_init(&dr, d.value.p, d.value.len);
		while (orsp_reader_remaining(&dr) && !orsp_der_read(&dr, &res))
			if (res.tag == 0xA2 && !orsp_der_parse_one(res.value, &choice)) {
				if (choice.tag == 0xA1) {
					*reason = error_result_str(choice.value, why, sizeof(why));
					out = 1;
				} else if (choice.tag == 0xA0) {
					out = 0;
				}
				break;
			}
		break;
	}
done:
	orsp_err_clear();
	free(rsp);
	return out;
}

/* The "but first" hint of a download refused for want of a download left or of a profile
 * available, into buf (cap bytes), while the eUICC keeps installation result no for this
 * SM-DP+ (the `notification process` that sends it named): worded by what the result says,
 * the ICCID named when the eUICC's list gives one (an interrupted installation's result may
 * have none). A success may mean the profile is installed already; a failure only that the
 * SM-DP+ has yet to learn it. */
static void pending_hint(orsp_lpa_card *c, const orsp_lpa_notification *no, char *buf, size_t cap)
{
	uint64_t reason = 0;
	int failed = pir_outcome(c, no->seq, &reason);
	char iccid[40] = "";

	if (no->iccid[0])
		snprintf(iccid, sizeof(iccid), ", ICCID %s", no->iccid);
	if (failed == 1)
		snprintf(
		    buf, cap,
		    "but first: the eUICC holds %s installation's result for this SM-DP+ that "
		    "has not reached it (notification %llu%s): deliver it (`openrsp lpa "
		    "notification process`), so that the SM-DP+ learns the installation failed",
		    reason == 11 ? "an interrupted" : "a failed", (unsigned long long)no->seq,
		    iccid);
	else
		snprintf(buf, cap,
		         "but first: the eUICC holds an installation result for this SM-DP+ that "
		         "has not reached it (notification %llu%s): deliver it (`openrsp lpa "
		         "notification process`), the profile may be installed already",
		         (unsigned long long)no->seq, iccid);
}

/* An installation's notification the eUICC keeps (ListNotification, the whole list; its
 * first 32 until session 74) for ICCID iccid (NULL: any) and to the SM-DP+ address fqdn
 * (NULL: any; compared without case, as SGP.22 compares addresses), other than the one of
 * seqNumber *skip (skip NULL: none): true with it in *found. A list that cannot be read:
 * false. */
static bool install_pending(orsp_lpa_card *c, const char *iccid, const char *fqdn,
                            const uint64_t *skip, orsp_lpa_notification *found)
{
	orsp_lpa_notification *list = NULL;
	size_t n = 0;
	bool got = false;

	if (orsp_lpa_notifications_all(c, &list, &n)) {
		orsp_err_clear();
		return false;
	}
	for (size_t i = 0; i < n && !got; i++)
		if (!strcmp(list[i].event, "install") &&
		    (!iccid || !strcmp(list[i].iccid, iccid)) &&
		    (!fqdn || !strcasecmp(list[i].address, fqdn)) &&
		    (!skip || list[i].seq != *skip)) {
			*found = list[i];
			got = true;
		}
	free(list);
	return got;
}

static orsp_err notification_send(orsp_lpa_card *c, const orsp_lpa_server *server, orsp_slice cis,
                                  const orsp_lpa_notification *no, bool *gone);

/* The notifications the eUICC keeps for ICCID iccid (ListNotification, the whole list; its
 * first 32 until session 74), each sent to its own address as
 * orsp_lpa_process_notifications sends it (notification_send: removed once delivered), cis
 * the eUICC's CIs: *sent how many were delivered. One that fails does not keep the others
 * from being sent; the first failure is returned, naming its seqNumber. */
static orsp_err deliver_for_iccid(orsp_lpa_card *c, const orsp_lpa_server *server, orsp_slice cis,
                                  const char *iccid, size_t *sent)
{
	orsp_lpa_notification *list = NULL;
	size_t n = 0;
	orsp_err e, first = ORSP_OK;
	char detail[300] = "";

	*sent = 0;
	if ((e = orsp_lpa_notifications_all(c, &list, &n)))
		return e;
	for (size_t i = 0; i < n; i++) {
		bool gone = false;
		if (strcmp(list[i].iccid, iccid) != 0)
			continue;
		if ((e = notification_send(c, server, cis, &list[i], &gone))) {
			if (!first) {
				first = e;
				snprintf(detail, sizeof(detail), "notification %llu: %s",
				         (unsigned long long)list[i].seq, orsp_err_detail());
			}
			orsp_err_clear();
		} else if (!gone) {
			(*sent)++;
		}
	}
	free(list);
	return first ? orsp_errf(first, "%s", detail) : ORSP_OK;
}

/* The profile of ICCID iccid is on the eUICC already (lpa_profile_held), before anything was
 * bound for this session: an earlier download installed it, and its installation result may
 * not have reached the SM-DP+ (killed, the network gone after the load). Downloading it again
 * would have the SM-DP+ bind and count a new package, which the eUICC refuses at
 * StoreMetadata (ErrorReason 9), each try an attempt, until the order's limit ends it with
 * the profile installed. Instead the session is cancelled on both sides with undefinedReason,
 * which before a delivery leaves the order as it was (docs/smdp-es9p.md), and the results
 * the eUICC keeps for that ICCID are delivered: the SM-DP+ then records the profile
 * installed. ORSP_OK when every one was delivered (o's out fields say how many), else the
 * first delivery's error with what to do. With none pending the download did not do what
 * was asked: profileMetadata is not signed, so a hostile SM-DP+ can name a profile this
 * eUICC holds (with a package replayed from its download) for the one ordered, and a
 * success would say the order was served (hostile-server review, session 74): an error. */
static orsp_err already_installed(orsp_lpa_card *c, es9 *s, const orsp_lpa_download_opts *o,
                                  const uint8_t *tid, size_t tid_len, const char *tid_hex,
                                  const char *iccid)
{
	char note[300], detail[400];
	size_t sent = 0;
	orsp_err e;

	cancel(c, s, tid, tid_len, tid_hex, CANCEL_UNDEFINED, false, note, sizeof(note));
	if (o->already_installed)
		*o->already_installed = true;
	e = deliver_for_iccid(c, o->server, s->peer.cis, iccid, &sent);
	if (o->results_delivered)
		*o->results_delivered = sent;
	if (!e && !sent)
		return orsp_errf(ORSP_E_STATE,
		                 "the SM-DP+ offered ICCID %s, which this eUICC already holds; "
		                 "nothing downloaded%s",
		                 iccid, note);
	if (!e)
		return ORSP_OK;
	/* the advice before the detail: the detail reaches the user cut */
	orsp_err_detail_copy(detail, sizeof(detail));
	return orsp_errf(e,
	                 "the profile %s is already installed on this eUICC, nothing was "
	                 "downloaded%s; its installation result has not reached the SM-DP+ and "
	                 "could not be delivered now (`openrsp lpa notification process` sends "
	                 "it): %s",
	                 iccid, note, detail);
}

orsp_err orsp_lpa_download(orsp_lpa_card *c, const orsp_lpa_download_opts *o,
                           char installed_iccid[21])
{
	static const uint8_t req_chal[] = {0xBF, 0x2E, 0x00};
	uint8_t chal_rsp[64], info1[512], tid[16], chal[16];
	size_t chal_len = 0, info1_len = 0, tid_len = 0, n;
	char tid_hex[33] = "";
	uint8_t *s1 = NULL, *sig1 = NULL, *pkid = NULL, *cert = NULL, *asr = NULL, *meta = NULL,
	        *s2 = NULL, *sig2 = NULL, *dpcert = NULL, *pdr = NULL, *bpp = NULL, *pir = NULL;
	size_t s1l = 0, sig1l = 0, pkidl = 0, certl = 0, asrl = 0, metal = 0, s2l = 0, sig2l = 0,
	       dpcertl = 0, pdrl = 0, bppl = 0, pirl = 0;
	bool cc_required = false, authenticated = false, has_owner = false, ppr_refused = false,
	     delivered = false, left = false;
	uint32_t consent = 0;
	orsp_lpa_profile mp;
	orsp_lpa_operator owner;
	orsp_tlv t, f, pd;
	es9 s = {0};
	json_t *req = NULL, *rsp = NULL;
	orsp_err e;

	if (!c || !o || !o->ac)
		return orsp_errf(ORSP_E_USAGE, "lpa download: bad arguments");
	if (installed_iccid)
		installed_iccid[0] = '\0';
	if (o->result_pending)
		*o->result_pending = false;
	if (o->result_lost)
		*o->result_lost = false;
	if (o->result_left)
		*o->result_left = false;
	if (o->already_installed)
		*o->already_installed = false;
	if (o->results_delivered)
		*o->results_delivered = 0;
	if (o->preconsented)
		*o->preconsented = 0;
	/* the server settings first: a usage error there must not touch the eUICC */
	if ((e = es9_open(&s, o->server, o->ac->fqdn,
	                  o->address_from ? o->address_from : "the activation code's", o->stop)))
		goto out;
	s.no_mid = !o->ac->matching_id[0];
	progress(o, ORSP_LPA_STEP_AUTHENTICATE, o->ac->fqdn);
	if ((e = orsp_lpa_es10(c, req_chal, sizeof(req_chal), chal_rsp, sizeof(chal_rsp),
	                       &chal_len)))
		goto out;
	if (orsp_der_parse_one(orsp_slice_make(chal_rsp, chal_len), &t) || t.tag != 0xBF2E ||
	    orsp_der_parse_one(t.value, &f) || f.tag != 0x80 || f.value.len != 16) {
		e = orsp_errf(ORSP_E_MALFORMED, "card: GetEUICCChallenge answer");
		goto out;
	}
	memcpy(chal, f.value.p, sizeof(chal));
	if (stopped_early(o, &e))
		goto out;
	/* the CIs it lists decide which SM-DP+ TLS certificates are taken */
	if ((e = read_info1(c, info1, sizeof(info1), &info1_len, &t)) ||
	    (e = info1_cis(&t, &s.peer.cis)))
		goto out;
	/* initiateAuthentication */
	req = json_object();
	/* e is the ES10 calls' ORSP_OK here: out of memory must set it (the download ended
	 * before its first request and was reported installed, no ICCID: review find) */
	if (!req)
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (e || (e = orsp_json_put_base64(req, "euiccChallenge", chal, sizeof(chal))) ||
	    (e = orsp_json_put_base64(req, "euiccInfo1", info1, info1_len)) ||
	    (e = orsp_json_put_string(req, "smdpAddress", o->ac->fqdn)) ||
	    (e = es9_call(&s, "initiateAuthentication", req, &rsp)))
		goto out;
	{
		const char *tx;
		size_t tl;
		if ((e = orsp_json_get_string(rsp, "transactionId", 32, &tx, &tl)) ||
		    (e = orsp_hex_decode(tx, tid, sizeof(tid), &tid_len))) {
			e = answer_error("initiateAuthentication", e);
			goto out;
		}
		/* TransactionId ::= OCTET STRING (SIZE(1..16)): an empty one would go to the
		 * eUICC in serverSigned1 and be the session's */
		if (!tid_len) {
			e = orsp_errf(ORSP_E_MALFORMED, "SM-DP+ initiateAuthentication: malformed "
			                                "answer: transactionId: empty");
			goto out;
		}
		if ((e = b64_field("initiateAuthentication", rsp, "serverSigned1", &s1, &s1l)) ||
		    (e = b64_field("initiateAuthentication", rsp, "serverSignature1", &sig1,
		                   &sig1l)) ||
		    (e = b64_field("initiateAuthentication", rsp, "euiccCiPKIdToBeUsed", &pkid,
		                   &pkidl)) ||
		    (e = b64_field("initiateAuthentication", rsp, "serverCertificate", &cert,
		                   &certl)) ||
		    (e = one_tlv("initiateAuthentication", "serverSignature1", sig1, sig1l, 0x5F37,
		                 "signature", NULL)) ||
		    (e = one_tlv("initiateAuthentication", "euiccCiPKIdToBeUsed", pkid, pkidl, 0x04,
		                 "SubjectKeyIdentifier", NULL)) ||
		    (e = one_tlv("initiateAuthentication", "serverCertificate", cert, certl, 0x30,
		                 "Certificate", NULL)))
			goto out;
		snprintf(tid_hex, sizeof(tid_hex), "%s", tx);
	}
	/* no cancelSession on a mismatch: the eUICC has no session to cancel and sign yet */
	if ((e = lpa_server_signed1_check(s1, s1l, tid, tid_len, chal, o->ac->fqdn, s.whose)) ||
	    (o->ac->oid[0] && (e = dpauth_oid_check(cert, certl, o->ac->oid))))
		goto out;
	json_decref(rsp);
	rsp = NULL;
	json_decref(req);
	req = NULL;
	/* stopped before the eUICC has a session: nothing to cancel (the SM-DP+'s lapses) */
	if (stopped_early(o, &e))
		goto out;
	/* ES10b AuthenticateServer (the eUICC checks the server) */
	{
		size_t mid_len = strlen(o->ac->matching_id),
		       cap = s1l + sig1l + pkidl + certl + 160;
		uint8_t *buf = malloc(cap);
		orsp_writer w;
		orsp_der_mark m, ctx, di;
		if (!buf) {
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		orsp_writer_init(&w, buf, cap);
		m = orsp_der_begin(&w, 0xBF38);
		orsp_write_bytes(&w, s1, s1l);
		orsp_write_bytes(&w, sig1, sig1l);
		orsp_write_bytes(&w, pkid, pkidl);
		orsp_write_bytes(&w, cert, certl);
		ctx = orsp_der_begin(&w, 0xA0); /* ctxParamsForCommonAuthentication */
		orsp_der_put_tlv(&w, 0x80, o->ac->matching_id, mid_len);
		di = orsp_der_begin(&w, 0xA1); /* deviceInfo: TAC, capabilities */
		orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
		{
			orsp_der_mark caps = orsp_der_begin(&w, 0xA1);
			orsp_der_put_tlv(&w, 0x80, "\x0F\x00\x00", 3); /* gsmSupportedRelease */
			orsp_der_put_tlv(&w, 0x81, "\x0F\x00\x00", 3); /* utranSupportedRelease */
			orsp_der_put_tlv(&w, 0x85, "\x0F\x00\x00", 3); /* eutranSupportedRelease */
			orsp_der_end(&w, caps);
		}
		orsp_der_end(&w, di);
		orsp_der_end(&w, ctx);
		orsp_der_end(&w, m);
		e = orsp_writer_status(&w);
		asr = malloc(8192);
		if (!e && !asr)
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		if (e) {
			free(buf);
			goto out;
		}
		/* an exchange that fails (a status word in place of the answer, a GET RESPONSE
		 * chain broken, an answer over 8 KiB) may come after the eUICC ran the command
		 * and opened its session: cancelled, as for an answer that does not read (an
		 * eUICC without a session answers the cancel invalidTransactionId) */
		e = orsp_lpa_es10(c, buf, w.len, asr, 8192, &asrl);
		free(buf);
		if (e)
			goto out_cancel;
	}
	/* AuthenticateServerResponse ::= [56] CHOICE { authenticateResponseOk [0],
	 * authenticateResponseError [1] } (SGP.22 §5.7.13): only [1] is the eUICC refusing; any
	 * other answer is one the LPA cannot read, and the eUICC may hold a session all the same */
	if (orsp_der_parse_one(orsp_slice_make(asr, asrl), &t) || t.tag != 0xBF38 ||
	    orsp_der_parse_one(t.value, &f) || (f.tag != 0xA0 && f.tag != 0xA1)) {
		orsp_err_clear();
		e = orsp_errf(ORSP_E_MALFORMED, "card: AuthenticateServer answer");
		goto out_cancel;
	}
	authenticated = f.tag == 0xA0;
	/* authenticateClient: also when the eUICC refused, so the SM-DP+ learns why */
	req = json_object();
	if (!req)
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
	else if (!(e = orsp_json_put_string(req, "transactionId", tid_hex)) &&
	         !(e = orsp_json_put_base64(req, "authenticateServerResponse", asr, asrl)))
		e = es9_call(&s, "authenticateClient", req, &rsp);
	if (!authenticated) {
		if (!e)
			json_decref(rsp);
		rsp = NULL;
		e = auth_error(&f, cert, certl);
		goto out;
	}
	/* no download left (8.8.5/6.4), or none available (8.2/1.2: the SM-DP+ took an earlier
	 * try's result, the profile is Installed there, and the eUICC lost the answer before it
	 * removed the result): when the eUICC holds an installation result for this SM-DP+ not
	 * delivered yet, an earlier try may have installed the profile, and asking the operator
	 * for a new order would leave the SM-DP+ and the eUICC disagreeing: deliver that first */
	if (e == ORSP_E_STATE && ((!strcmp(s.subject, "8.8.5") && !strcmp(s.reason, "6.4")) ||
	                          (!strcmp(s.subject, "8.2") && !strcmp(s.reason, "1.2")))) {
		orsp_lpa_notification no;
		char detail[ORSP_ERR_DETAIL_MAX];
		e = cancel_failed(c, &s, tid, tid_len, tid_hex, CANCEL_UNDEFINED, false, e);
		/* copied first: the eUICC's answer below clears it */
		orsp_err_detail_copy(detail, sizeof(detail));
		if (!install_pending(c, NULL, o->ac->fqdn, NULL, &no)) {
			e = orsp_errf(e, "%s", detail);
		} else {
			char hint[400];
			pending_hint(c, &no, hint, sizeof(hint));
			e = orsp_errf(e, "%s; %s", detail, hint);
		}
		goto out;
	}
	if (e)
		goto out_cancel;
	json_decref(req);
	req = NULL;
	if ((e = answer_tid("authenticateClient", rsp, tid, tid_len)) ||
	    (e = b64_field("authenticateClient", rsp, "profileMetadata", &meta, &metal)) ||
	    (e = b64_field("authenticateClient", rsp, "smdpSigned2", &s2, &s2l)) ||
	    (e = b64_field("authenticateClient", rsp, "smdpSignature2", &sig2, &sig2l)) ||
	    (e = b64_field("authenticateClient", rsp, "smdpCertificate", &dpcert, &dpcertl)) ||
	    (e = one_tlv("authenticateClient", "smdpSigned2", s2, s2l, 0x30, "SmdpSigned2", &t)) ||
	    (e = one_tlv("authenticateClient", "smdpSignature2", sig2, sig2l, 0x5F37, "signature",
	                 NULL)) ||
	    (e = one_tlv("authenticateClient", "smdpCertificate", dpcert, dpcertl, 0x30,
	                 "Certificate", NULL)) ||
	    (e = lpa_metadata_of(meta, metal, &mp, &owner, &has_owner)))
		goto out_cancel;
	/* SmdpSigned2 (t): for this session, and its ccRequiredFlag, read before anyone is asked
	 * anything */
	if ((e = lpa_smdp_signed2_check(t.value, tid, tid_len, &cc_required)))
		goto out_cancel;
	json_decref(rsp);
	rsp = NULL;
	if (interrupted(o, c, &s, tid, tid_len, tid_hex, &e))
		goto out;
	progress(o, ORSP_LPA_STEP_METADATA, mp.iccid);
	/* a profile the eUICC holds already: its earlier download's result undelivered, most
	 * likely; before anyone is asked and anything bound (already_installed) */
	/* (an error or an answer that does not read: the download goes on, and the eUICC's
	 * StoreMetadata refuses an ICCID it holds all the same, ErrorReason 9, after the
	 * SM-DP+ counted a download attempt) */
	if (lpa_profile_held(c, mp.iccid)) {
		if (!(e = already_installed(c, &s, o, tid, tid_len, tid_hex, mp.iccid)) &&
		    installed_iccid)
			snprintf(installed_iccid, 21, "%s", mp.iccid);
		goto out;
	}
	/* PPRs before anyone is asked: a rule the RAT does not allow ends the order
	 * (pprNotAllowed); one that needs a consent nobody here can give postpones it */
	if ((e = ppr_check(c, &mp, has_owner ? &owner : NULL, &consent, &ppr_refused))) {
		/* the RAT unread or unreadable: undefinedReason, the order stays */
		e = cancel_failed(c, &s, tid, tid_len, tid_hex,
		                  ppr_refused ? CANCEL_PPR_NOT_ALLOWED : CANCEL_UNDEFINED, false,
		                  e);
		goto out;
	}
	/* the rules consented to beforehand need nobody; the others someone to ask. Without
	 * that someone the device was not set up for this profile: nobody refused it, so it is
	 * postponed (the order stays), naming only the rules still without consent */
	if (o->preconsented)
		*o->preconsented = consent & o->preconsent;
	consent &= ~o->preconsent;
	if (consent && !o->consent) {
		char rules[120], note[300];
		orsp_lpa_ppr_str(consent, rules, sizeof(rules));
		cancel(c, &s, tid, tid_len, tid_hex, CANCEL_POSTPONED, false, note, sizeof(note));
		e = orsp_errf(
		    ORSP_E_USAGE,
		    "this profile's policy rules %s need the end user's consent: ask with "
		    "--ask, or pre-authorise them with --accept-ppr%s",
		    rules, note);
		goto out;
	}
	if (o->confirm && !o->confirm(o->arg, &mp)) {
		char note[300];
		/* a stop during the question (Ctrl-C) is no refusal */
		if (interrupted(o, c, &s, tid, tid_len, tid_hex, &e) ||
		    unanswered(o, c, &s, tid, tid_len, tid_hex, &e))
			goto out;
		cancel(c, &s, tid, tid_len, tid_hex, CANCEL_END_USER_REJECTION, false, note,
		       sizeof(note));
		e = orsp_errf(ORSP_E_POLICY, "download refused by the user%s", note);
		goto out;
	}
	/* the strong confirmation of SGP.22 §3.1.3 for the rules that need consent */
	if (consent && !o->consent(o->arg, &mp, consent)) {
		char rules[120], note[300];
		if (interrupted(o, c, &s, tid, tid_len, tid_hex, &e) ||
		    unanswered(o, c, &s, tid, tid_len, tid_hex, &e))
			goto out;
		orsp_lpa_ppr_str(consent, rules, sizeof(rules));
		cancel(c, &s, tid, tid_len, tid_hex, CANCEL_END_USER_REJECTION, false, note,
		       sizeof(note));
		e = orsp_errf(ORSP_E_POLICY, "the profile's policy rules %s were refused%s", rules,
		              note);
		goto out;
	}
	if (cc_required && !o->cc) {
		char note[300];
		cancel(c, &s, tid, tid_len, tid_hex, CANCEL_POSTPONED, false, note, sizeof(note));
		e = orsp_errf(ORSP_E_USAGE, "this profile needs a confirmation code (-c CODE)%s",
		              note);
		goto out;
	}
	if (interrupted(o, c, &s, tid, tid_len, tid_hex, &e))
		goto out;
	/* ES10b PrepareDownload */
	{
		size_t cap = s2l + sig2l + dpcertl + 64;
		uint8_t *buf = malloc(cap), hcc[32];
		orsp_writer w;
		orsp_der_mark m;
		if (!buf) {
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out_cancel;
		}
		orsp_writer_init(&w, buf, cap);
		m = orsp_der_begin(&w, 0xBF21);
		orsp_write_bytes(&w, s2, s2l);
		orsp_write_bytes(&w, sig2, sig2l);
		if (cc_required) {
			if ((e = orsp_lpa_hash_cc(o->cc, tid, tid_len, hcc))) {
				orsp_wipe(hcc, sizeof(hcc));
				free(buf);
				goto out_cancel;
			}
			orsp_der_put_tlv(&w, 0x04, hcc, 32);
			orsp_wipe(hcc, sizeof(hcc));
		}
		orsp_write_bytes(&w, dpcert, dpcertl);
		orsp_der_end(&w, m);
		e = orsp_writer_status(&w);
		pdr = malloc(1024);
		if (!e && !pdr)
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		if (!e)
			e = orsp_lpa_es10(c, buf, w.len, pdr, 1024, &pdrl);
		orsp_wipe_free(buf); /* hashCc, as the body above */
		if (e)
			goto out_cancel;
	}
	/* PrepareDownloadResponse ::= [33] CHOICE { downloadResponseOk [0],
	 * downloadResponseError [1] } (SGP.22 §5.7.5) */
	if (orsp_der_parse_one(orsp_slice_make(pdr, pdrl), &t) || t.tag != 0xBF21 ||
	    orsp_der_parse_one(t.value, &pd) || (pd.tag != 0xA0 && pd.tag != 0xA1)) {
		orsp_err_clear();
		e = orsp_errf(ORSP_E_MALFORMED, "card: PrepareDownload answer");
		goto out_cancel;
	}
	progress(o, ORSP_LPA_STEP_DOWNLOAD, mp.iccid);
	/* a stop asked while PrepareDownload ran: the package is not asked for (until session
	 * 66 it went unseen from here, the profile installed). The eUICC's refusal (A1) still
	 * goes to the SM-DP+, which ends its session so. */
	if (pd.tag == 0xA0 && interrupted(o, c, &s, tid, tid_len, tid_hex, &e))
		goto out;
	req = json_object();
	if (!req) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out_cancel;
	}
	/* the eUICC's error goes to the SM-DP+ too, which ends the session on its side */
	if (!(e = orsp_json_put_string(req, "transactionId", tid_hex)) &&
	    !(e = orsp_json_put_base64(req, "prepareDownloadResponse", pdr, pdrl)))
		e = es9_call(&s, "getBoundProfilePackage", req, &rsp);
	if (pd.tag == 0xA1) {
		/* the eUICC refused the session: nothing is loaded onto it, whatever the SM-DP+
		 * answered; a package sent all the same gets the session cancelled */
		char note[300] = "";
		if (!e)
			cancel(c, &s, tid, tid_len, tid_hex, CANCEL_UNDEFINED, true, note,
			       sizeof(note));
		/* it clears what the SM-DP+ call left */
		e = prepare_error(c, &pd, dpcert, dpcertl, !e, note);
		goto out;
	}
	if (e || (e = answer_tid("getBoundProfilePackage", rsp, tid, tid_len)) ||
	    (e = b64_field("getBoundProfilePackage", rsp, "boundProfilePackage", &bpp, &bppl)))
		goto out_cancel;
	json_decref(rsp);
	rsp = NULL;
	json_decref(req);
	req = NULL;
	/* The metadata the eUICC would store must be the metadata shown, whose PPRs were checked
	 * and consented to (SGP.22 §3.1.3), and the package must be for this session: both
	 * compared before any of the package is sent. */
	if ((e = check_bpp_metadata(bpp, bppl, meta, metal)) ||
	    (e = lpa_bpp_tid_check(bpp, bppl, tid, tid_len)))
		goto out_cancel_load;
	progress(o, ORSP_LPA_STEP_INSTALL, mp.iccid);
	pir = malloc(4096);
	if (!pir) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out_cancel_load;
	}
	/* No installation result (a malformed package, the card refused a piece or said
	 * nothing): the session is cancelled on both sides, undefinedReason (the project's
	 * SGP.22 v2.2 ASN.1 names no loadBppExecutionError), so the order stays downloadable.
	 * With a result, the SM-DP+ gets it instead (below). The same for a package whose
	 * metadata is not the one shown (above: no metadataMismatch in v2.2 either). */
	if ((e = orsp_lpa_load_bpp(c, bpp, bppl, pir, 4096, &pirl)))
		goto out_cancel_load;
	/* The PIR: success or the error the eUICC reports */
	{
		orsp_tlv data, res, choice;
		orsp_reader r;
		bool ok = false, has_seq = false, kept;
		uint64_t pir_seq = 0, reason = 0;
		char why[160] = "";
		if (orsp_der_parse_one(orsp_slice_make(pir, pirl), &t) || t.tag != 0xBF37) {
			e = orsp_errf(ORSP_E_MALFORMED, "card: not a ProfileInstallationResult");
			goto out_cancel_load;
		}
		orsp_reader_init(&r, t.value.p, t.value.len);
		if (!orsp_der_expect(&r, 0xBF27, &data)) {
			orsp_reader dr;
			orsp_reader_init(&dr, data.value.p, data.value.len);
			while (orsp_reader_remaining(&dr) && !orsp_der_read(&dr, &res))
				if (res.tag == 0xBF2F) {
					/* the seqNumber under which the eUICC keeps this result */
					orsp_reader mr;
					orsp_tlv sq;
					orsp_reader_init(&mr, res.value.p, res.value.len);
					has_seq = !orsp_der_expect(&mr, 0x80, &sq) &&
					          !orsp_der_uint(sq.value, &pir_seq);
				} else if (res.tag == 0xA2 &&
				           !orsp_der_parse_one(res.value, &choice)) {
					ok = choice.tag == 0xA0;
					if (choice.tag == 0xA1)
						reason = error_result_str(choice.value, why,
						                          sizeof(why));
				}
		}
		progress(o, ORSP_LPA_STEP_NOTIFY, o->ac->fqdn);
		/* handleNotification with the PIR (how the SM-DP+ learns the result, SGP.22
		 * §3.1.3); it is removed from the eUICC once accepted. Not delivered, it stays on
		 * the eUICC for `notification process`, and the caller is told. */
		req = json_object();
		delivered = req && !orsp_json_put_base64(req, "pendingNotification", pir, pirl) &&
		            es9_call(&s, "handleNotification", req, &rsp) == ORSP_OK;
		/* delivered but left on the eUICC: said (it holds a slot, and would be sent
		 * again), not dropped silently as until session 56. nothingToDelete
		 * (ORSP_E_NOT_FOUND) leaves nothing there: an eUICC that kept no result (its
		 * list full), as for `notification process` */
		if (delivered && has_seq &&
		    (e = orsp_lpa_notification_remove(c, pir_seq)) != ORSP_OK &&
		    e != ORSP_E_NOT_FOUND) {
			left = true;
			if (o->result_left)
				*o->result_left = true;
			if (o->result_left_seq)
				*o->result_left_seq = pir_seq;
		}
		orsp_err_clear();
		/* not delivered: on the eUICC for `notification process` only if it kept it,
		 * which it does only while its notification list has room */
		kept = !delivered && (!has_seq || pir_kept(c, pir_seq));
		if (kept && o->result_pending)
			*o->result_pending = true;
		if (!delivered && !kept && o->result_lost)
			*o->result_lost = true;
		if (!ok) {
			char left_note[160] = "";
			if (left)
				snprintf(left_note, sizeof(left_note),
				         "; the result reached the SM-DP+ but stays on the eUICC's "
				         "list: "
				         "`openrsp lpa notification remove %llu` removes it",
				         (unsigned long long)pir_seq);
			const char *pending =
			    delivered ? left_note
			    : kept ? "; the installation result did not reach the SM-DP+: it stays "
			             "on the eUICC, `openrsp lpa notification process` sends it"
			           : "; the installation result did not reach the SM-DP+, and the "
			             "eUICC did not keep it (its notification list is full)";
			char held[300] = "";
			/* installFailedDueToIccidAlreadyExistsOnEuicc: an earlier download
			 * installed it (lpa_profile_held did not see it); its result may be the one
			 * the SM-DP+ lacks */
			if (reason == 9) {
				orsp_lpa_notification no;
				bool unsent = install_pending(c, mp.iccid, NULL,
				                              has_seq ? &pir_seq : NULL, &no);
				if (unsent)
					snprintf(
					    held, sizeof(held),
					    "; the eUICC already holds the profile %s, and its "
					    "installation result (notification %llu) has not "
					    "reached "
					    "the SM-DP+: `openrsp lpa notification process` sends "
					    "it",
					    mp.iccid, (unsigned long long)no.seq);
				else
					snprintf(held, sizeof(held),
					         "; the eUICC already holds the profile %s "
					         "(`openrsp lpa "
					         "profile list`)",
					         mp.iccid);
			}
			e = why[0] ? orsp_errf(ORSP_E_STATE,
			                       "the eUICC could not install the profile: %s%s%s",
			                       why, held, pending)
			           : orsp_errf(ORSP_E_STATE,
			                       "the eUICC could not install the profile (see its "
			                       "ProfileInstallationResult)%s",
			                       pending);
			goto out;
		}
	}
	if (installed_iccid)
		snprintf(installed_iccid, 21, "%s", mp.iccid);
	e = ORSP_OK;
	goto out;
out_cancel: /* a fault, no postponing: undefinedReason; a stop (a request it ended) postpones */
	e = cancel_failed(c, &s, tid, tid_len, tid_hex,
	                  stop_asked(o) ? CANCEL_POSTPONED : CANCEL_UNDEFINED, false, e);
	goto out;
out_cancel_load:
	e = cancel_failed(c, &s, tid, tid_len, tid_hex, CANCEL_UNDEFINED, true, e);
out:
	(void)n;
	json_decref(req);
	json_decref(rsp);
	es9_close(&s);
	free(s1);
	free(sig1);
	free(pkid);
	free(cert);
	free(asr);
	free(meta);
	free(s2);
	free(sig2);
	free(dpcert);
	orsp_wipe_free(pdr); /* euiccSigned2 echoes hashCc */
	free(bpp);
	free(pir);
	return e;
}

/* ---------------------------------------------------------------- notifications --------- */

/* The seqNumber in a PendingNotification: in the NotificationMetadata of a
 * ProfileInstallationResult (BF37 { BF27 { transactionId 80, BF2F { 80 ... } } }) or of an
 * OtherSignedNotification (30 { BF2F { 80 ... }, ... }). */
static bool pending_seq(const orsp_tlv *pn, uint64_t *seq)
{
	orsp_reader r;
	orsp_tlv d, m, s;
	bool ok;

	orsp_reader_init(&r, pn->value.p, pn->value.len);
	if (pn->tag == 0xBF37) {
		ok = !orsp_der_expect(&r, 0xBF27, &d);
		if (ok) {
			orsp_reader_init(&r, d.value.p, d.value.len);
			ok = !orsp_der_expect(&r, 0x80, &s) && !orsp_der_expect(&r, 0xBF2F, &m);
		}
	} else {
		ok = pn->tag == 0x30 && !orsp_der_expect(&r, 0xBF2F, &m);
	}
	if (ok) {
		orsp_reader_init(&r, m.value.p, m.value.len);
		ok = !orsp_der_expect(&r, 0x80, &s) && !orsp_der_uint(s.value, seq);
	}
	if (!ok)
		orsp_err_clear();
	return ok;
}

/* One listed notification: retrieved from the eUICC (RetrieveNotificationsList by its
 * seqNumber), sent to its SM-DP+, removed from the eUICC once accepted. *gone when the eUICC
 * no longer has it (removed meanwhile): nothing sent, not a failure. Only the notification
 * carrying the listed seqNumber is sent, so the one removed is the one delivered. */
static orsp_err notification_send(orsp_lpa_card *c, const orsp_lpa_server *server, orsp_slice cis,
                                  const orsp_lpa_notification *no, bool *gone)
{
	uint8_t rsp[LPA_NOTIFICATION_MAX], req[24]; /* on the stack: one card per thread */
	orsp_writer w;
	orsp_der_mark m, sc;
	orsp_reader r;
	size_t rl = 0;
	orsp_tlv t, l, pn;
	uint64_t seq = 0, other = 0;
	bool found = false, other_seen = false, other_readable = false;
	es9 s;
	json_t *j = NULL, *jr = NULL;
	orsp_err e;

	*gone = false;
	/* RetrieveNotificationsList { searchCriteria seqNumber } */
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF2B);
	sc = orsp_der_begin(&w, 0xA0);
	orsp_der_put_uint(&w, 0x80, no->seq);
	orsp_der_end(&w, sc);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) ||
	    (e = orsp_lpa_es10(c, req, w.len, rsp, sizeof(rsp), &rl)))
		return e;
	if (orsp_der_parse_one(orsp_slice_make(rsp, rl), &t) || t.tag != 0xBF2B ||
	    orsp_der_parse_one(t.value, &l) || (l.tag != 0xA0 && l.tag != 0x81))
		return orsp_errf(ORSP_E_MALFORMED, "card: RetrieveNotificationsList answer");
	if (l.tag == 0x81) {
		/* notificationsListResultError: noResultAvailable (1) means it is gone */
		uint64_t code = 127;
		if (orsp_der_uint(l.value, &code))
			code = 127;
		orsp_err_clear();
		if (code == 1) {
			*gone = true;
			return ORSP_OK;
		}
		return orsp_errf(ORSP_E_STATE,
		                 "the eUICC did not give it (RetrieveNotificationsList error %llu)",
		                 (unsigned long long)code);
	}
	if (!l.value.len) { /* an empty list: it is gone */
		*gone = true;
		return ORSP_OK;
	}
	orsp_reader_init(&r, l.value.p, l.value.len);
	while (!found && orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &pn))
			return orsp_errf(ORSP_E_MALFORMED,
			                 "card: RetrieveNotificationsList answer");
		bool readable = pending_seq(&pn, &seq);
		if (readable && seq == no->seq) {
			found = true;
		} else if (!other_seen) {
			other_seen = true;
			other_readable = readable;
			other = seq;
		}
	}
	if (!found && other_readable)
		return orsp_errf(
		    ORSP_E_STATE,
		    "the eUICC answered with another notification (seqNumber %llu): not "
		    "sent, not removed",
		    (unsigned long long)other);
	if (!found)
		return orsp_errf(ORSP_E_STATE, "the eUICC answered with a notification without a "
		                               "readable seqNumber: not sent, not removed");
	/* the TLS certificate must name the notification's address, wherever it is sent (a
	 * --server-url too): one that is no host name names no server, and the HTTP client
	 * would refuse it as a bare usage error, the same at every run */
	if (!orsp_lpa_address_ok(no->address))
		return orsp_errf(
		    ORSP_E_MALFORMED,
		    "its SM-DP+ address \"%s\" is not a host name, so no server can be "
		    "authenticated for it (--server-url or not): it cannot be sent; "
		    "`openrsp lpa notification remove %llu` drops it",
		    no->address, (unsigned long long)no->seq);
	/* the SM-DP+ is checked against the CIs the eUICC lists (cis), as for a download */
	e = es9_open(&s, server, no->address, "the notification's", NULL);
	s.peer.cis = cis;
	for (int attempt = 0; !e && attempt < 3; attempt++) {
		j = json_object();
		if (!j) {
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			break;
		}
		e = orsp_json_put_base64(j, "pendingNotification", pn.raw.p, pn.raw.len);
		if (!e)
			e = es9_call(&s, "handleNotification", j, &jr);
		json_decref(j);
		json_decref(jr);
		jr = NULL;
		/* again only when the server was not reached or failed (5xx): an HTTP answer
		 * that refuses (4xx) or a malformed one would be the same the next time */
		if (e != ORSP_E_IO || (s.status && s.status < 500) || attempt == 2)
			break;
		/* back off and try again */
		{
			struct timespec ts = {0, (long)(200 * 1000 * 1000) << attempt};
			nanosleep(&ts, NULL);
		}
		e = ORSP_OK;
	}
	es9_close(&s);
	if (e)
		return e;
	e = orsp_lpa_notification_remove(c, no->seq);
	if (e == ORSP_E_NOT_FOUND) { /* delivered; removed meanwhile */
		orsp_err_clear();
		return ORSP_OK;
	}
	if (e) {
		char detail[300];
		orsp_err_detail_copy(detail, sizeof(detail));
		return orsp_errf(e, "delivered, but not removed from the eUICC: %s", detail);
	}
	return ORSP_OK;
}

orsp_err orsp_lpa_process_notifications(orsp_lpa_card *c, const orsp_lpa_server *server,
                                        size_t *sent)
{
	uint8_t info1[512];
	size_t info1_len = 0;
	orsp_slice cis = {0};
	orsp_tlv t;
	orsp_lpa_notification *list = NULL;
	size_t n = 0, tried = 0, failed = 0;
	orsp_err e, first = ORSP_OK;
	char first_detail[400] = "";

	if (sent)
		*sent = 0;
	/* the whole list, read once, each tried once a run: until session 74 it was read 32 at
	 * a time, again after each round, and 32 that could not be sent hid those behind them */
	if ((e = orsp_lpa_notifications_all(c, &list, &n)))
		return e;
	for (size_t i = 0; i < n; i++) {
		bool gone = false, again = false;
		for (size_t j = 0; j < i && !again; j++)
			again = list[j].seq == list[i].seq; /* listed twice: sent once */
		if (again)
			continue;
		tried++;
		/* the eUICC's CIs, once per run, before the first is sent */
		if (!cis.p && ((e = read_info1(c, info1, sizeof(info1), &info1_len, &t)) ||
		               (e = info1_cis(&t, &cis))))
			goto out;
		/* each on its own: one that fails does not keep the others from being sent */
		if ((e = notification_send(c, server, cis, &list[i], &gone))) {
			if (!failed++) {
				first = e;
				snprintf(first_detail, sizeof(first_detail),
				         "notification %llu: %s", (unsigned long long)list[i].seq,
				         orsp_err_detail());
			}
			orsp_err_clear();
			continue;
		}
		if (!gone && sent)
			(*sent)++;
	}
	e = failed ? orsp_errf(first,
	                       "%zu of %zu notifications failed (kept on the eUICC for the next "
	                       "run); %s",
	                       failed, tried, first_detail)
	           : ORSP_OK;
out:
	free(list);
	return e;
}
