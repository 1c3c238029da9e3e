/* HTTP(S) client over libcurl (OpenSSL backend inside libcurl; we never call OpenSSL).
 *
 * Verification is on unless insecure_for_tests: the trust anchors are only the ones given
 * (never the system store), TLS 1.2 at least (SGP.22 requires TLS 1.2 for ES9+/ES11/ES2+)
 * with ECDHE suites only (TLS12_SUITES) and no renegotiation, http/https only, no redirects, no
 * content decoding, a bounded response body. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "openrsp/http.h"
#include "http_internal.h"

struct pem_copy {
	char *file;
	char *pem;
	size_t len;
};

/* The first certificate OpenSSL refused in a handshake: X509_V_ERR_*, 0 for none, and for an
 * unsuitable purpose what of the certificate made it so (purpose_note). */
struct verify_note {
	long error;
	char purpose[112];
	bool watched; /* on_verify was on the handshake's context */
	bool seen;    /* on_verify saw a certificate of the server's */
};

struct orsp_http_client {
	/* The connections kept alive (and TLS sessions, DNS answers) live in share; each request
	 * has an easy handle of its own, curl, NULL between requests. libcurl 7.88 kept, in an
	 * easy handle reused for another transfer, a pointer to the previous transfer's last
	 * response header after freeing it (curl #11101, fixed in 8.1.0, not in Debian 12's
	 * 7.88.1): an answer whose first header line starts with whitespace (a fold) was
	 * appended to freed memory, a use after free and a double free. */
	CURLSH *share;
	CURL *curl;
	struct pem_copy ca, cert, key; /* key.pem is wiped on free */
	char *expected_host;
	unsigned connect_timeout_ms, timeout_ms;
	size_t max_response;
	bool insecure;
	/* opts.peer_check, and what it said of the last handshake it failed */
	orsp_err (*peer_check)(void *, const orsp_slice *, size_t);
	void *peer_arg;
	bool peer_failed;
	orsp_err peer_err; /* peer_check's category when it failed */
	char peer_detail[512];
	const volatile sig_atomic_t *stop; /* opts.stop */
	struct verify_note verify; /* the last transfer's first refusal by OpenSSL (on_verify) */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* The groups (curves) offered in supported_groups. SGP.22 §2.6.6 has the TLS client support
 * secp256r1 and brainpoolP256r1; OpenSSL's default list (X25519, P-256, X448, P-521, P-384)
 * has no brainpool curve, and a TLS 1.2 server may only use an ECDSA certificate on a curve
 * the client offers (RFC 8422 §5.1): a server with a brainpoolP256r1 DPtls certificate (the
 * SGP.26 brainpool set) found no shared cipher suite. This is that default with
 * brainpoolP256r1 after P-256, set when libcurl's TLS backend is an OpenSSL that takes it. */
#define TLS_GROUPS "X25519:P-256:brainpoolP256r1:X448:P-521:P-384"

/* The TLS 1.2 cipher suites offered (TLS 1.3's are OpenSSL's default, all AEAD). SGP.22
 * §2.6.6 has the LPA support TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (c02b) and
 * TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (c023); later versions allow their AES-256 twins
 * (c02c, c024). OpenSSL's default list offered those among suites with an HMAC-SHA1 (c009,
 * c00a, ...), static RSA key exchange and DHE: now ECDHE only, AES-GCM or AES-CBC with
 * HMAC-SHA256/384, as the HTTP server takes (docs/http.md), the ECDHE-RSA ones last for the
 * servers with an RSA certificate that the SM-DP+'s progress reports (ES2+) and `pki crl
 * fetch` may reach; an SM-DP+'s DPtls is ECDSA. */
#define TLS12_SUITES                                                                               \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                             \
	"ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:"                                     \
	"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"                                 \
	"ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384"
static bool tls_groups_ok;
static bool tls_openssl; /* libcurl's TLS backend is OpenSSL */

static void curl_init(void)
{
	const curl_version_info_data *v;
	SSL_CTX *ctx;

	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	v = curl_version_info(CURLVERSION_NOW);
	if (curl_init_rc != CURLE_OK || !v || !v->ssl_version ||
	    strncmp(v->ssl_version, "OpenSSL", 7) != 0)
		return;
	tls_openssl = true;
	ctx = SSL_CTX_new(TLS_client_method());
	tls_groups_ok = ctx && SSL_CTX_set1_groups_list(ctx, TLS_GROUPS) == 1;
	SSL_CTX_free(ctx);
	ERR_clear_error();
}

static orsp_err copy_pem(struct pem_copy *dst, const char *pem, const char *file, size_t max,
                         const char *what)
{
	if (pem && file)
		return orsp_errf(ORSP_E_USAGE, "%s: give PEM text or a file, not both", what);
	if (pem) {
		dst->len = strnlen(pem, max + 1);
		if (dst->len > max || dst->len == 0)
			return orsp_errf(ORSP_E_USAGE, "%s: PEM of 1..%zu bytes expected", what,
			                 max);
		dst->pem = malloc(dst->len + 1);
		if (!dst->pem)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		memcpy(dst->pem, pem, dst->len + 1);
	} else if (file) {
		dst->file = strdup(file);
		if (!dst->file)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	return ORSP_OK;
}

static bool pem_given(const struct pem_copy *p)
{
	return p->pem || p->file;
}

static void pem_free(struct pem_copy *p, bool secret)
{
	if (secret && p->pem)
		orsp_wipe(p->pem, p->len);
	free(p->pem);
	free(p->file);
	memset(p, 0, sizeof(*p));
}

void orsp_http_client_free(orsp_http_client *c)
{
	if (!c)
		return;
	if (c->share)
		curl_share_cleanup(c->share);
	pem_free(&c->ca, false);
	pem_free(&c->cert, false);
	pem_free(&c->key, true);
	free(c->expected_host);
	free(c);
}

orsp_err orsp_http_client_new(const orsp_http_client_opts *opts, orsp_http_client **out)
{
	orsp_err err;
	orsp_http_client *c = NULL;

	if (!opts || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_http_client_new: bad arguments");
	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return orsp_errf(ORSP_E_RESOURCE, "libcurl initialisation failed: %s",
		                 curl_easy_strerror(curl_init_rc));
	c = calloc(1, sizeof(*c));
	if (!c)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	/* a CA bundle or a certificate chain as large as a file of them may be */
	err = copy_pem(&c->ca, opts->ca_pem, opts->ca_file, ORSP_HTTP_CLIENT_MAX_PEM, "CA");
	if (!err)
		err = copy_pem(&c->cert, opts->client_cert_pem, opts->client_cert_file,
		               ORSP_HTTP_CLIENT_MAX_PEM, "client certificate");
	if (!err)
		err = copy_pem(&c->key, opts->client_key_pem, opts->client_key_file,
		               ORSP_HTTP_MAX_PEM, "client key");
	if (err)
		goto out;
	if (pem_given(&c->cert) != pem_given(&c->key)) {
		err = orsp_errf(ORSP_E_USAGE, "client certificate and key must be given together");
		goto out;
	}
	if (opts->expected_host) {
		/* the name the certificate must carry, so an FQDN as the SM-DP+ and the LPA
		 * take one (an IP address would be matched as iPAddress, not dNSName) */
		if (orsp_fqdn_check(opts->expected_host,
		                    strnlen(opts->expected_host, ORSP_FQDN_MAX + 1))) {
			err = orsp_errf(ORSP_E_USAGE, "expected_host is not a DNS name: %s",
			                orsp_err_detail());
			goto out;
		}
		c->expected_host = strdup(opts->expected_host);
		if (!c->expected_host) {
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
	}
	c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms
	                                                 : ORSP_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : ORSP_HTTP_DEFAULT_CLIENT_TIMEOUT_MS;
	c->max_response = opts->max_response ? opts->max_response : ORSP_HTTP_DEFAULT_MAX_RESPONSE;
	if (c->max_response > SIZE_MAX / 4) {
		err = orsp_errf(ORSP_E_USAGE, "max_response too large");
		goto out;
	}
	c->insecure = opts->insecure_for_tests;
	c->peer_check = opts->peer_check;
	c->peer_arg = opts->peer_check_arg;
	c->stop = opts->stop;
	if (c->insecure && !opts->insecure_warned)
		orsp_log(ORSP_LOG_WARN,
		         "http client: TLS verification DISABLED (insecure_for_tests)");
	c->share = curl_share_init();
	if (!c->share ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) !=
	        CURLSHE_OK ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK) {
		err = orsp_errf(ORSP_E_RESOURCE, "curl_share_init failed");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	orsp_http_client_free(c);
	return err;
}

void orsp_http_result_free(orsp_http_result *r)
{
	if (!r)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

struct sink {
	uint8_t *p;
	size_t len, cap, max;
	bool too_large;
	bool oom;
};

void orsp_http_client_set_stop(orsp_http_client *c, const volatile sig_atomic_t *stop)
{
	if (c)
		c->stop = stop;
}

/* CURLOPT_XFERINFOFUNCTION: non-zero (the transfer aborted) once a stop is asked. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	const orsp_http_client *c = arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return orsp_stop_set(c->stop) ? 1 : 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb; /* libcurl guarantees size == 1 */

	if (n > s->max - s->len) {
		s->too_large = true;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		if (cap > s->max + 1)
			cap = s->max + 1;
		uint8_t *p = realloc(s->p, cap);
		if (!p) {
			s->oom = true;
			return 0;
		}
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->len, data, n);
	s->len += n;
	s->p[s->len] = 0;
	return n;
}

/* The status lines of an answer (the interim 1xx ones and the final one), as libcurl hands
 * them to the header callback: each must be HTTP/1.0 or HTTP/1.1, a space, a status code of
 * 100..599 (RFC 9110 §15) and a space or the line's end (RFC 9112 §4). libcurl 7.88 reads
 * any line starting "HTTP/" and not a version as "200 OK" (an "HTTP/ength: 5" or a broken
 * middlebox's "HTTP/HTTP/1.1 503" passed as a success), takes "HTTP/2 200" on an HTTP/1.1
 * connection, "http/1.1", "200OK" and 600..999. */
struct status_lines {
	bool expect; /* the next header line starts an answer */
	bool bad;    /* one was not a status line as above */
	long code;   /* the last one's status code */
};

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct status_lines *st = userdata;
	size_t n = size * nmemb;
	const char *d = data;

	if ((n == 2 && d[0] == '\r' && d[1] == '\n') || (n == 1 && d[0] == '\n')) {
		/* the end of a header section: another answer follows an interim one */
		st->expect = st->code >= 100 && st->code <= 199;
		return n;
	}
	if (!st->expect) /* a header field, or a trailer field of a chunked body */
		return n;
	st->expect = false;
	st->code = 0;
	if (n < 12 || memcmp(d, "HTTP/1.", 7) != 0 || (d[7] != '0' && d[7] != '1') || d[8] != ' ' ||
	    d[9] < '1' || d[9] > '5' || d[10] < '0' || d[10] > '9' || d[11] < '0' || d[11] > '9' ||
	    (n > 12 && d[12] != ' ' && d[12] != '\r' && d[12] != '\n')) {
		st->bad = true;
		return n;
	}
	st->code = (d[9] - '0') * 100 + (d[10] - '0') * 10 + (d[11] - '0');
	return n;
}

/* Rewrite url so that its host is c->expected_host, and pin the connection to the original
 * host and port: TLS then checks the certificate against expected_host (and sends it as SNI)
 * while the TCP connection goes where the URL pointed. */
static orsp_err pin_host(orsp_http_client *c, const char *url, char **new_url,
                         struct curl_slist **connect_to)
{
	orsp_err err = ORSP_OK;
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *out = NULL;
	char entry[600];
	struct curl_slist *l;

	if (!u)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		err = orsp_errf(ORSP_E_USAGE, "http client: cannot parse URL");
		goto out;
	}
	if (snprintf(entry, sizeof(entry), "%s:%s:%s:%s", c->expected_host, port, host, port) >=
	    (int)sizeof(entry)) {
		err = orsp_errf(ORSP_E_USAGE, "http client: URL host too long");
		goto out;
	}
	if (curl_url_set(u, CURLUPART_HOST, c->expected_host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
		err = orsp_errf(ORSP_E_USAGE, "http client: cannot rewrite URL host");
		goto out;
	}
	l = curl_slist_append(NULL, entry);
	if (!l) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	*new_url = strdup(out);
	if (!*new_url) {
		curl_slist_free_all(l);
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	*connect_to = l;
out:
	curl_free(out);
	curl_free(port);
	curl_free(host);
	curl_url_cleanup(u);
	return err;
}

/* The first value of a response header, copied; "" if absent. A value with a control
 * character other than HTAB (RFC 9110 §5.5: invalid; libcurl 7.88 keeps any but CR and
 * LF) is PROTOCOL, never handed on: it went to the LPA's JSON check and its messages. */
static orsp_err get_header(CURL *curl, const char *name, char *dst, size_t cap)
{
	struct curl_header *h = NULL;

	dst[0] = '\0';
	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
		return ORSP_OK;
	/* a field of one value (RFC 9110 §5.3, §8.3): given twice, which one the sender meant
	 * is unknown (the first was taken) */
	if (h->amount > 1)
		return orsp_errf(ORSP_E_MALFORMED, "response header %s given %zu times", name,
		                 h->amount);
	size_t n = strlen(h->value);
	if (n >= cap)
		return orsp_errf(ORSP_E_MALFORMED, "response header %s longer than %zu", name,
		                 cap - 1);
	if (!orsp__http_field_value_ok(h->value))
		return orsp_errf(ORSP_E_MALFORMED, "response header %s holds a control character",
		                 name);
	memcpy(dst, h->value, n + 1);
	return ORSP_OK;
}

/* Whether a failed peer verification was the host name's, the chain having verified:
 * libcurl (OpenSSL backend) checks the name itself once OpenSSL verified the chain, and then
 * reports X509_V_ERR_UNSPECIFIED (libcurl 7.88) or X509_V_OK as the verify result; OpenSSL's
 * own host check says X509_V_ERR_HOSTNAME_MISMATCH or _IP_ADDRESS_MISMATCH. A chain that does
 * not verify has its own code (X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, ...).
 * test_https_verification pins this against the libcurl in use. libcurl starts the result
 * at X509_V_ERR_UNSPECIFIED: a peer verification failing after the chain verified for
 * another reason (the server's alert about our own client certificate) reads as the name's
 * too; only a client that presents a certificate (the SM-DP+'s reports to the operator)
 * meets that, and the category only chooses advice. The verify result means X509_V_* with
 * the OpenSSL backend only (the build does not require it: with GnuTLS it is a status bitmask
 * in which GNUTLS_CERT_SIGNER_NOT_FOUND, 64, is X509_V_ERR_IP_ADDRESS_MISMATCH), so with any
 * other the answer is false: TLS, never a name told apart on a guess. ssl_version names the
 * backend (a libcurl built with several puts those not in use in parentheses, so "OpenSSL"
 * at its start is the one in use); curl_version_info returns a static structure, cheap
 * enough per failure. */
static bool name_mismatch(CURL *curl, CURLcode rc)
{
	const curl_version_info_data *v;
	long vr = -1;

	if (rc != CURLE_PEER_FAILED_VERIFICATION ||
	    curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &vr) != CURLE_OK)
		return false;
	v = curl_version_info(CURLVERSION_NOW);
	if (!v || !v->ssl_version || strncmp(v->ssl_version, "OpenSSL", 7) != 0)
		return false;
	return vr == X509_V_OK || vr == X509_V_ERR_UNSPECIFIED ||
	       vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH;
}

/* Whether the failed transfer got as far as a connection to the server (its address known). */
static bool connected(CURL *curl)
{
	char *ip = NULL;
	return curl_easy_getinfo(curl, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && ip[0];
}

/* ---- the peer check (opts.peer_check) ----
 * libcurl calls CURLOPT_PREREQFUNCTION once a connection is made (or reused), its TLS
 * handshake done and the server's certificate verified, chain and name, before the request
 * goes out: there the verified chain OpenSSL kept (the server's certificate, its issuer, and
 * so on up to the trust anchor) goes to peer_check, and a refusal aborts the transfer. TLS
 * session resumption is off for such a client (a resumed session has no verified chain to
 * show). */
static orsp_err peer_chain_check(orsp_http_client *c)
{
	struct curl_tlssessioninfo *ti = NULL;
	STACK_OF(X509) * chain;
	orsp_slice *der = NULL;
	unsigned char **raw = NULL; /* der's bytes, OpenSSL's to free */
	int n;
	orsp_err e = ORSP_OK;

	if (curl_easy_getinfo(c->curl, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || !ti ||
	    ti->backend != CURLSSLBACKEND_OPENSSL || !ti->internals)
		return orsp_errf(ORSP_E_VERIFY, "no TLS connection (with OpenSSL) to check");
	chain = SSL_get0_verified_chain((SSL *)ti->internals);
	/* OpenSSL's verify depth (100 by default) bounds n */
	if (!chain || (n = sk_X509_num(chain)) < 1)
		return orsp_errf(ORSP_E_VERIFY, "no verified certificate chain");
	der = calloc((size_t)n, sizeof(*der));
	raw = calloc((size_t)n, sizeof(*raw));
	if (!der || !raw)
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
	for (int i = 0; i < n && !e; i++) {
		int len = i2d_X509(sk_X509_value(chain, i), &raw[i]);
		if (len <= 0)
			e = orsp_errf(ORSP_E_RESOURCE, /* a certificate OpenSSL verified */
			              "out of memory encoding the server's certificate chain");
		else
			der[i] = orsp_slice_make(raw[i], (size_t)len);
	}
	if (!e)
		e = c->peer_check(c->peer_arg, der, (size_t)n);
	for (int i = 0; raw && i < n; i++)
		OPENSSL_free(raw[i]);
	free(raw);
	free(der);
	return e;
}

static int peer_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port,
                       int local_port)
{
	orsp_http_client *c = arg;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if ((c->peer_err = peer_chain_check(c)) == ORSP_OK)
		return CURL_PREREQFUNC_OK;
	c->peer_failed = true;
	snprintf(c->peer_detail, sizeof(c->peer_detail), "%s", orsp_err_detail());
	return CURL_PREREQFUNC_ABORT;
}

/* Why OpenSSL found certificate x, at depth in the server's chain, unsuitable for a TLS
 * server (X509_V_ERR_INVALID_PURPOSE), as OpenSSL 3's check_purpose_ssl_server judges: an
 * extendedKeyUsage without serverAuth (any certificate of the chain), a keyUsage with none of
 * digitalSignature, keyEncipherment and keyAgreement (the server's own), else "" (a CA
 * certificate that is no CA, a Netscape certificate type). */
static void purpose_note(X509 *x, int depth, char *out, size_t cap)
{
	uint32_t flags = x ? X509_get_extension_flags(x) : 0;
	const char *whose =
	    depth == 0 ? "the server's certificate" : "a CA certificate of its chain";

	out[0] = '\0';
	if (!x)
		return;
	if ((flags & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SGC)))
		snprintf(out, cap, "%s: its extendedKeyUsage leaves out serverAuth", whose);
	else if (depth == 0 && (flags & EXFLAG_KUSAGE) &&
	         !(X509_get_key_usage(x) &
	           (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT)))
		snprintf(out, cap,
		         "%s: its keyUsage has none of digitalSignature, keyEncipherment, "
		         "keyAgreement",
		         whose);
}

/* The note of the transfer running on this thread (exchange sets it around
 * curl_easy_perform, which runs the handshake and so on_verify on this thread). */
static _Thread_local struct verify_note *verifying;

/* OpenSSL's verify callback on libcurl's context: notes the first refusal, and changes
 * nothing (preverify_ok is the answer). libcurl reports some refusals by the error OpenSSL
 * queued on the way rather than the verification's: a certificate signed by another key than
 * its issuer's came as "error:06880006:asn1 encoding routines::EVP lib", with no verify
 * result (session 75 TLS review). */
static int on_verify(int preverify_ok, X509_STORE_CTX *x)
{
	struct verify_note *v = verifying;

	if (v)
		v->seen = true;
	if (preverify_ok || !v || v->error)
		return preverify_ok;
	v->error = X509_STORE_CTX_get_error(x);
	if (v->error == X509_V_ERR_INVALID_PURPOSE)
		purpose_note(X509_STORE_CTX_get_current_cert(x), X509_STORE_CTX_get_error_depth(x),
		             v->purpose, sizeof(v->purpose));
	return preverify_ok;
}

/* libcurl's TLS setup: no key log. libcurl (7.58 to 8.11 with OpenSSL) writes every TLS
 * secret to the file SSLKEYLOGFILE names in the environment, read once at its global
 * initialisation; the callback it set on the context is taken off again here (libcurl calls
 * this after setting it), as http_proxy and the like are ignored. No renegotiation: a
 * server's HelloRequest (TLS 1.2) is answered with a no_renegotiation alert, a warning: the
 * exchange goes on unless the server ends it (OpenSSL renegotiates by default; nothing of RSP
 * needs it, and a second handshake would present a certificate that peer_check never saw). A
 * verification libcurl asked for (SSL_VERIFY_PEER, its mode kept) gets on_verify, which notes why
 * it failed. */
static CURLcode tls_setup(CURL *curl, void *ssl_ctx, void *arg)
{
	SSL_CTX *ctx = ssl_ctx;

	(void)curl;
	(void)arg;
	SSL_CTX_set_keylog_callback(ctx, NULL);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	if (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER) {
		SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on_verify);
		if (verifying)
			verifying->watched = true;
	}
	return CURLE_OK;
}

/* libcurl's words d for a handshake that OpenSSL's verification of the server's chain ended
 * (v->error): as libcurl says it when it reads the verify result ("SSL certificate problem:
 * ..."), with the purpose note, and libcurl's words after them when they said something else.
 * Into buf; d itself when there is nothing to add. */
static const char *verify_words(const struct verify_note *v, const char *d, char *buf, size_t cap)
{
	const char *what;
	bool said;

	if (!v->error)
		return d;
	what = X509_verify_cert_error_string(v->error);
	said = strstr(d, "SSL certificate problem") != NULL;
	if (said && !v->purpose[0])
		return d;
	if (said)
		snprintf(buf, cap, "%s (%s)", d, v->purpose);
	else
		snprintf(buf, cap, "SSL certificate problem: %s%s%s%s (%s)", what,
		         v->purpose[0] ? " (" : "", v->purpose, v->purpose[0] ? ")" : "", d);
	orsp_ascii_printable(buf);
	return buf;
}

/* One Content-Length field's value (RFC 9110 §8.6): a decimal number, or a list of the same
 * number (a recipient may take `2, 2` as 2); *n its value. False for anything else: a sign,
 * digits followed by other text, numbers that differ. */
static bool content_length_value(const char *v, uint64_t *n)
{
	bool first = true;

	for (;;) {
		uint64_t x = 0;
		size_t digits = 0;
		while (*v == ' ' || *v == '\t')
			v++;
		for (; *v >= '0' && *v <= '9'; v++, digits++) {
			if (x > (UINT64_MAX - 9) / 10)
				return false;
			x = x * 10 + (uint64_t)(*v - '0');
		}
		while (*v == ' ' || *v == '\t')
			v++;
		if (digits == 0 || (!first && x != *n))
			return false;
		*n = x;
		first = false;
		if (*v == '\0')
			return true;
		if (*v++ != ',')
			return false;
	}
}

/* The answer's framing as libcurl read it (RFC 9112 §6.3): NULL when sound, else why not. A
 * Content-Length that is not a number, fields (or a list) of numbers that differ, or one next
 * to Transfer-Encoding make it invalid, the response to be discarded: libcurl reads the
 * leading digits of the last field and serves what they frame (`2, 3` and `2abc` served
 * 2 bytes of a 3-byte body until session 68), or the chunks. */
static const char *content_length_check(CURL *curl)
{
	struct curl_header *h = NULL;
	uint64_t n = 0, first = 0;
	size_t amount;

	if (curl_easy_header(curl, "Content-Length", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h)
		return NULL;
	amount = h->amount; /* copied: the next call may reuse *h */
	for (size_t i = 0; i < amount; i++) {
		if (i && (curl_easy_header(curl, "Content-Length", i, CURLH_HEADER, -1, &h) !=
		              CURLHE_OK ||
		          !h))
			return "Content-Length fields unreadable";
		if (strlen(h->value) >= 64)
			return "Content-Length too long";
		if (!content_length_value(h->value, &n))
			return "Content-Length is not a number (or a list of one number)";
		if (i && n != first)
			return "Content-Length fields disagree";
		first = n;
	}
	if (curl_easy_header(curl, "Transfer-Encoding", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		return "both Content-Length and Transfer-Encoding";
	return NULL;
}

/* Whether a TLS handshake that failed (CURLE_SSL_CONNECT_ERROR, libcurl's words d) lost its
 * connection rather than refused anything: the server reset it or closed it before the
 * handshake ended (a server killed with connections in its backlog, a restart, a balancer
 * dropping it). libcurl gives no code of its own for that: its socket layer's words ("Recv
 * failure: Connection reset by peer", "Send failure: Broken pipe"), or OpenSSL's for the
 * socket error or the EOF it met (SSL_ERROR_SYSCALL, "unexpected eof while reading"). A
 * certificate OpenSSL refused is never this: its verify result is set then. */
static bool handshake_cut(CURL *curl, const char *d)
{
	static const char *const lost[] = {
	    "Connection reset",  "Recv failure",   "Send failure",    "Broken pipe",
	    "SSL_ERROR_SYSCALL", "unexpected eof", "connection abort"};
	long vr = X509_V_OK;

	/* a verification's own result, X509_V_ERR_* from 2 on (libcurl maps a refused chain
	 * to CURLE_PEER_FAILED_VERIFICATION as a rule); a handshake that ended before any
	 * verification leaves X509_V_ERR_UNSPECIFIED (1) there, or X509_V_OK */
	if (curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &vr) == CURLE_OK &&
	    vr > X509_V_ERR_UNSPECIFIED)
		return false;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(lost); i++)
		if (strstr(d, lost[i]))
			return true;
	return false;
}

/* Whether libcurl's words d for a failed handshake are OpenSSL's for an alert a server sends
 * when the ClientHello offers nothing it takes: handshake_failure (no cipher suite or curve
 * in common), protocol_version, insufficient_security. */
static bool hello_refused(const char *d)
{
	return strstr(d, "alert handshake failure") || strstr(d, "alert protocol version") ||
	       strstr(d, "alert insufficient security");
}

/* An answer that is not HTTP: PROTOCOL, ORSP_E_MALFORMED with libcurl's words d. */
static orsp_err malformed_response(orsp_http_fail *fail, const char *d)
{
	*fail = ORSP_HTTP_FAIL_PROTOCOL;
	return orsp_errf(ORSP_E_MALFORMED, "http: malformed response: %s", d);
}

static orsp_err map_curl_error(CURL *curl, CURLcode rc, const struct sink *s, const char *errbuf,
                               const struct verify_note *v, orsp_http_fail *fail)
{
	char words[CURL_ERROR_SIZE], verified[CURL_ERROR_SIZE + 192];
	const char *d = words;

	/* libcurl's words may quote the server: a certificate's subject name (any bytes),
	 * which goes to logs and terminals as printable ASCII only */
	snprintf(words, sizeof(words), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	orsp_ascii_printable(words);
	/* a chain OpenSSL refused: what it refused, whatever libcurl made of it */
	if (v->error && v->error != X509_V_ERR_HOSTNAME_MISMATCH &&
	    v->error != X509_V_ERR_IP_ADDRESS_MISMATCH &&
	    (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION)) {
		*fail = ORSP_HTTP_FAIL_TLS;
		return orsp_errf(ORSP_E_VERIFY, "http: TLS failure: %s",
		                 verify_words(v, d, verified, sizeof(verified)));
	}

	if (s->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		*fail = ORSP_HTTP_FAIL_TOO_LARGE;
		return orsp_errf(ORSP_E_RESOURCE, "http: response larger than %zu bytes", s->max);
	}
	if (s->oom) {
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_RESOURCE, "http: out of memory for the response");
	}
	/* the server refused the handshake before its certificate came (a ServerHello was
	 * never agreed): no version, suite or curve in common, not the trust anchors' fault */
	if (rc == CURLE_SSL_CONNECT_ERROR && v->watched && !v->seen && hello_refused(d)) {
		*fail = ORSP_HTTP_FAIL_TLS;
		return orsp_errf(ORSP_E_VERIFY,
		                 "http: TLS failure: the server accepted none of the TLS versions "
		                 "and cipher suites offered (TLS 1.3; 1.2 with ECDHE, AES-GCM or "
		                 "AES-CBC-SHA256/384) or curves: %s",
		                 d);
	}
	/* the connection lost during the handshake: the network's or the server's, no TLS
	 * failure, whose advice (the trust anchors, the certificate) would mislead */
	if (rc == CURLE_SSL_CONNECT_ERROR && handshake_cut(curl, d)) {
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(
		    ORSP_E_IO,
		    "http: the connection was closed or reset during the TLS handshake: "
		    "%s",
		    d);
	}
	switch (rc) {
	case CURLE_ABORTED_BY_CALLBACK:
		/* on_progress: a stop asked */
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_STATE, "http: interrupted");
	case CURLE_COULDNT_RESOLVE_HOST:
		*fail = ORSP_HTTP_FAIL_RESOLVE;
		return orsp_errf(ORSP_E_IO, "http: cannot resolve host: %s", d);
	case CURLE_COULDNT_CONNECT:
		*fail = ORSP_HTTP_FAIL_CONNECT;
		return orsp_errf(ORSP_E_IO, "http: connection refused or unreachable: %s", d);
	case CURLE_OPERATION_TIMEDOUT:
		*fail = ORSP_HTTP_FAIL_TIMEOUT;
		return orsp_errf(ORSP_E_IO, "http: timeout: %s", d);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		*fail = name_mismatch(curl, rc) ? ORSP_HTTP_FAIL_TLS_NAME : ORSP_HTTP_FAIL_TLS;
		return orsp_errf(ORSP_E_VERIFY, "http: TLS failure: %s", d);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
		return malformed_response(fail, d);
	case CURLE_UNSUPPORTED_PROTOCOL:
		/* also an answer that is not HTTP/1.x (no status line: HTTP/0.9; "HTTP/1.1 abc"),
		 * once connected; a URL's scheme is refused before any connection */
		if (connected(curl))
			return malformed_response(fail, d);
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_USAGE, "http: bad URL: %s", d);
	case CURLE_BAD_FUNCTION_ARGUMENT:
		/* libcurl's header store refusing a header line it was handed (7.88): a fold
		 * with no field before it, a trailer field without a colon; every option was
		 * set before the transfer */
		if (connected(curl))
			return malformed_response(fail, d);
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_IO, "http: %s", d);
	case CURLE_URL_MALFORMAT:
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_USAGE, "http: bad URL: %s", d);
	case CURLE_RECV_ERROR:
		/* a broken chunked coding comes as a receive error, told by its message; so
		 * does a header section over libcurl's total limit (300 KiB, also summed over
		 * 1xx answers) */
		if (strstr(d, "chunk") || strstr(d, "Too large response headers"))
			return malformed_response(fail, d);
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_IO, "http: %s", d);
	case CURLE_OUT_OF_MEMORY:
		/* libcurl's answer to a header line over its limit (100 KiB), too */
		if (connected(curl)) {
			*fail = ORSP_HTTP_FAIL_PROTOCOL;
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "http: malformed response: a header over libcurl's limit, or "
			    "out of memory (%s)",
			    d);
		}
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_RESOURCE, "http: %s", d);
	default:
		*fail = ORSP_HTTP_FAIL_OTHER;
		return orsp_errf(ORSP_E_IO, "http: %s", d);
	}
}

#define SETOPT(opt, val)                                                                           \
	do {                                                                                       \
		if (curl_easy_setopt(curl, (opt), (val)) != CURLE_OK)                              \
			goto setopt_failed;                                                        \
	} while (0)

static bool header_line_ok(const char *h)
{
	const char *colon = strchr(h, ':');
	if (!colon || colon == h)
		return false;
	for (; *h; h++)
		if (*h == '\r' || *h == '\n')
			return false;
	return true;
}

/* orsp_http_client_request's exchange; out is zeroed and the arguments are not NULL. A
 * failure sets out->fail where it knows the category; the caller makes any other OTHER. */
static orsp_err exchange(orsp_http_client *c, const char *method, const char *url,
                         const char *const *headers, const void *body, size_t body_len,
                         orsp_http_result *out)
{
	orsp_err err = ORSP_OK;
	CURL *curl;
	CURLcode rc;
	struct curl_slist *hdrs = NULL, *connect_to = NULL;
	char *pinned_url = NULL;
	char errbuf[CURL_ERROR_SIZE];
	struct sink s = {0};
	struct status_lines sl = {.expect = true};
	struct curl_blob ca_blob, cert_blob, key_blob;
	long status = 0;

	for (const char *m = method; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return orsp_errf(ORSP_E_USAGE, "http: bad method");
	if (strncasecmp(url, "https://", 8) == 0 && !pem_given(&c->ca) && !c->insecure)
		return orsp_errf(ORSP_E_USAGE,
		                 "http: no trust anchor (ca_file/ca_pem) to verify %s", "https");
	/* a regular file: OpenSSL's read of a FIFO there (the LPA's --ca) waited for a writer
	 * for ever, whatever the timeouts */
	if (c->ca.file && strncasecmp(url, "https://", 8) == 0) {
		int fd;
		if (orsp_file_open_regular(c->ca.file, &fd) != ORSP_OK) {
			char why[ORSP_ERR_DETAIL_MAX];
			orsp_err_detail_copy(why, sizeof(why));
			return orsp_errf(ORSP_E_USAGE, "http: the CA file: %s", why);
		}
		close(fd);
	}
	curl = c->curl = curl_easy_init(); /* a new handle, see struct orsp_http_client */
	if (!curl)
		return orsp_errf(ORSP_E_RESOURCE, "curl_easy_init failed");
	errbuf[0] = '\0';
	s.max = c->max_response;

	for (size_t i = 0; headers && headers[i]; i++) {
		if (!header_line_ok(headers[i])) {
			err = orsp_errf(ORSP_E_USAGE, "http: request header %zu malformed", i);
			goto out;
		}
		struct curl_slist *l = curl_slist_append(hdrs, headers[i]);
		if (!l) {
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		hdrs = l;
	}
	/* never Expect: 100-continue (libcurl adds it to a body over 1 MiB): a server that
	 * answers it 417 has libcurl send the request again within this call, after a final
	 * status that on_header takes for the answer's */
	if (body_len > 0) {
		struct curl_slist *l = curl_slist_append(hdrs, "Expect:");
		if (!l) {
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		hdrs = l;
	}
	if (c->expected_host) {
		err = pin_host(c, url, &pinned_url, &connect_to);
		if (err)
			goto out;
		url = pinned_url;
	}

	SETOPT(CURLOPT_SHARE, c->share); /* the connections kept alive */
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	/* HTTP/1.1, as SGP.22's HTTPS bindings are; libcurl with nghttp2 would offer h2 by ALPN
	 * over TLS, and on_header takes HTTP/1.x status lines only */
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* No proxy: libcurl would take one from http_proxy, https_proxy, ALL_PROXY ... in the
	 * environment, and a plain http exchange (the SM-DP+'s ES2+ reports, to loopback only)
	 * would go to it, EIDs and ICCIDs included, its answer taken as the server's. "" turns
	 * the environment off. */
	SETOPT(CURLOPT_PROXY, "");
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075700
	/* A name lookup that runs out of time is left to its resolver thread, which frees its
	 * own data when getaddrinfo returns: libcurl would otherwise wait for it, and a DNS
	 * outage (resolv.conf's timeouts times its attempts, servers and search domains) held a
	 * request past its timeout, a progress report's send past callback_timeout and the
	 * server's stop with it (review find; test_client_timeout_bounds_lookup). Unchecked: a
	 * libcurl that refuses it loses only this. */
	(void)curl_easy_setopt(curl, CURLOPT_QUICK_EXIT, 1L);
#endif
	if (c->stop) {
		/* called about once a second whatever the transfer does (a lookup, a connect, a
		 * wait for the answer), and more often while bytes move: a stop ends it there */
		SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
		SETOPT(CURLOPT_XFERINFODATA, c);
		SETOPT(CURLOPT_NOPROGRESS, 0L);
	}
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response);
	SETOPT(CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(CURLOPT_WRITEDATA, &s);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, &sl);
	if (hdrs)
		SETOPT(CURLOPT_HTTPHEADER, hdrs);
	if (connect_to)
		SETOPT(CURLOPT_CONNECT_TO, connect_to);

	/* TLS. The system trust store is switched off: only the given anchors count. */
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (tls_openssl) {
		SETOPT(CURLOPT_SSL_CTX_FUNCTION, tls_setup);
		SETOPT(CURLOPT_SSL_CIPHER_LIST, TLS12_SUITES);
	}
	if (tls_groups_ok)
		SETOPT(CURLOPT_SSL_EC_CURVES, TLS_GROUPS);
	SETOPT(CURLOPT_CAPATH, NULL);
	SETOPT(CURLOPT_CAINFO, c->ca.file);
	if (c->ca.pem) {
		ca_blob = (struct curl_blob){c->ca.pem, c->ca.len, CURL_BLOB_NOCOPY};
		SETOPT(CURLOPT_CAINFO_BLOB, &ca_blob);
	}
	if (c->insecure) {
		SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
		SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
		if (c->peer_check) {
			/* the chain OpenSSL verifies ends at a self-signed anchor of the CA file:
			 * libcurl's partial chains ended it at any certificate there, so a bundle
			 * holding a sub-CA beside its CI gave a chain that stopped at the sub-CA,
			 * and peer_check found no CI at its top (review find, session 71) */
			SETOPT(CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_PARTIALCHAIN);
			SETOPT(CURLOPT_SSL_SESSIONID_CACHE, 0L);
			SETOPT(CURLOPT_PREREQFUNCTION, peer_prereq);
			SETOPT(CURLOPT_PREREQDATA, c);
		}
	}
	if (c->cert.file)
		SETOPT(CURLOPT_SSLCERT, c->cert.file);
	if (c->cert.pem) {
		cert_blob = (struct curl_blob){c->cert.pem, c->cert.len, CURL_BLOB_NOCOPY};
		SETOPT(CURLOPT_SSLCERT_BLOB, &cert_blob);
	}
	if (c->key.file)
		SETOPT(CURLOPT_SSLKEY, c->key.file);
	if (c->key.pem) {
		key_blob = (struct curl_blob){c->key.pem, c->key.len, CURL_BLOB_NOCOPY};
		SETOPT(CURLOPT_SSLKEY_BLOB, &key_blob);
	}

	if (strcmp(method, "GET") == 0 && !body_len) {
		SETOPT(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0 && !body_len) {
		SETOPT(CURLOPT_NOBODY, 1L);
	} else {
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		SETOPT(CURLOPT_POSTFIELDS, body_len ? body : "");
		if (strcmp(method, "POST") != 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, method);
	}

	c->peer_failed = false;
	memset(&c->verify, 0, sizeof(c->verify));
	verifying = &c->verify;
	rc = curl_easy_perform(curl);
	verifying = NULL;
	/* the check out of memory is no refusal of the server's certificate (until session 76
	 * it was one, and the LPA advised checking --ca and the server) */
	if (rc != CURLE_OK && c->peer_failed && c->peer_err == ORSP_E_RESOURCE) {
		out->fail = ORSP_HTTP_FAIL_OTHER;
		err = orsp_errf(ORSP_E_RESOURCE, "http: checking the server's certificate: %s",
		                c->peer_detail);
		goto out;
	}
	if (rc != CURLE_OK && c->peer_failed) {
		out->fail = ORSP_HTTP_FAIL_TLS;
		err = orsp_errf(ORSP_E_VERIFY, "http: TLS failure: the server's certificate: %s",
		                c->peer_detail);
		goto out;
	}
	if (rc != CURLE_OK) {
		err = map_curl_error(curl, rc, &s, errbuf, &c->verify, &out->fail);
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (sl.bad || sl.code != status) {
		err = malformed_response(&out->fail, "not an HTTP/1.x status line of 100..599");
		goto out;
	}
	{
		const char *why = content_length_check(curl);
		if (why) {
			err = malformed_response(&out->fail, why);
			goto out;
		}
	}
	err = get_header(curl, "Content-Type", out->content_type, sizeof(out->content_type));
	if (!err)
		err = get_header(curl, "X-Admin-Protocol", out->x_admin_protocol,
		                 sizeof(out->x_admin_protocol));
	if (err) {
		out->fail = ORSP_HTTP_FAIL_PROTOCOL;
		goto out;
	}
	out->status = status;
	if (!s.p) {
		s.p = malloc(1);
		if (!s.p) {
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		s.p[0] = 0;
	}
	out->body = s.p;
	out->body_len = s.len;
	s.p = NULL;
	goto out;

setopt_failed:
	err = orsp_errf(ORSP_E_USAGE, "http: libcurl refused an option (too old a libcurl?)");
out:
	/* the connection stays in the share */
	curl_easy_cleanup(curl);
	c->curl = NULL;
	free(s.p);
	free(pinned_url);
	curl_slist_free_all(connect_to);
	curl_slist_free_all(hdrs);
	return err;
}

orsp_err orsp_http_client_request(orsp_http_client *c, const char *method, const char *url,
                                  const char *const *headers, const void *body, size_t body_len,
                                  orsp_http_result *out)
{
	orsp_err err;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!c || !method || !method[0] || !url || !out || (!body && body_len))
		err = orsp_errf(ORSP_E_USAGE, "orsp_http_client_request: bad arguments");
	else
		err = exchange(c, method, url, headers, body, body_len, out);
	/* a failure says why in fail and leaves no field of an answer half read (a header
	 * check that failed after Content-Type was read, say) */
	if (err && out) {
		orsp_http_fail fail = out->fail ? out->fail : ORSP_HTTP_FAIL_OTHER;
		free(out->body);
		memset(out, 0, sizeof(*out));
		out->fail = fail;
	}
	return err;
}

orsp_err orsp_http_client_post_json(orsp_http_client *c, const char *url, const char *json,
                                    size_t json_len, const char *const *extra_headers,
                                    orsp_http_result *out)
{
	const char *hdrs[16];
	size_t n = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	hdrs[n++] = "Content-Type: " ORSP_HTTP_JSON_CONTENT_TYPE;
	hdrs[n++] = "X-Admin-Protocol: " ORSP_HTTP_ADMIN_PROTOCOL;
	for (size_t i = 0; extra_headers && extra_headers[i]; i++) {
		if (n + 1 >= ORSP_ARRAY_LEN(hdrs)) {
			if (out)
				out->fail = ORSP_HTTP_FAIL_OTHER;
			return orsp_errf(ORSP_E_USAGE, "http: too many extra headers");
		}
		hdrs[n++] = extra_headers[i];
	}
	hdrs[n] = NULL;
	return orsp_http_client_request(c, "POST", url, hdrs, json, json_len, out);
}
