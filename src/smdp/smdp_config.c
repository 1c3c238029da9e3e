/* openrsp smdp: the SM-DP+ configuration file (docs/smdp-server.md).
 *
 *   # comment
 *   key = value
 *   [keyset]          starts one more key set (CI, DPauth, DPpb); repeat for several CIs
 *
 * Every problem names the file, the line and the key. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "openrsp/http.h"
#include "openrsp/smdp.h"
#include "smdp_internal.h"

#define LINE_MAX_ 8192 /* a PKCS#11 URI may take 4096 */

typedef struct loader {
	const char *file;
	char dir[ORSP_SMDP_PATH_MAX];
	unsigned line;
	orsp_smdp_config *c;
	bool in_keyset;
	mode_t mode; /* the configuration file's */
	/* the keys outside [keyset] given so far, and their lines: each may be given once */
	struct {
		char key[32];
		unsigned line;
	} seen[64];
	size_t n_seen;
	/* the lines of each key set: its [keyset] line, then those of ks_keys[] */
	unsigned ks_line[ORSP_SMDP_MAX_KEYSETS][6];
	/* callback_cert's first certificate and callback_key's EC key, from the bytes their
	 * lines read (NULL when not given, or not one openrsp reads): check_all matches them */
	orsp_cert *callback_cert;
	orsp_ec_key *callback_key;
	/* ORSP_SMDP_CONFIG_NO_TOKEN_KEYS (and _MAINTENANCE): a token's keys are not loaded */
	bool no_token_keys;
	/* ORSP_SMDP_CONFIG_MAINTENANCE: the crl files are not read */
	bool no_crls;
	/* each key set's dpauth_key and dppb_key given as a PKCS#11 URI (and loaded unless
	 * no_token_keys): the key may be NULL, yet given */
	bool ks_in_token[ORSP_SMDP_MAX_KEYSETS][2];
} loader;

/* The keys of a key set, in the order of loader.ks_line[i][1..]. */
static const char *const ks_keys[] = {"ci", "dpauth_cert", "dpauth_key", "dppb_cert", "dppb_key"};

/* The keys outside [keyset] (set_key reads each of them): one met inside a key set was
 * meant for the part before the first [keyset]. */
static const char *const global_keys[] = {"fqdn",
                                          "oid",
                                          "listen",
                                          "port",
                                          "reuse_port",
                                          "database",
                                          "kek_file",
                                          "tls_cert",
                                          "tls_key",
                                          "plain_http",
                                          "log",
                                          "trusted_ci",
                                          "crl",
                                          "crl_stale",
                                          "crl_reload",
                                          "es2_token",
                                          "metrics_token",
                                          "es2_client_ca",
                                          "callback_url",
                                          "callback_ca",
                                          "callback_cert",
                                          "callback_key",
                                          "callback_timeout",
                                          "callback_senders",
                                          "max_body",
                                          "max_unverified_notifications",
                                          "delivered_session_days",
                                          "es2_call_days",
                                          "es2_call_replay",
                                          "session_ttl",
                                          "eligibility",
                                          "threads",
                                          "metrics_cache",
                                          "timeout",
                                          "request_timeout",
                                          "max_connections_per_ip",
                                          "trusted_proxies",
                                          "idle_reset_ms",
                                          "drain",
                                          "min_euicc_firmware",
                                          "min_pp_version",
                                          "min_svn",
                                          "min_gp_version",
                                          "euicc_firmware_denied",
                                          "sas_accreditation",
                                          "eum_allowed"};

/* What a key is spelt with. */
#define KEY_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_"

/* Whether the n bytes at w are a key of the file (outside or inside [keyset]). */
static bool known_key(const char *w, size_t n)
{
	for (size_t i = 0; i < ORSP_ARRAY_LEN(global_keys); i++)
		if (strlen(global_keys[i]) == n && strncmp(global_keys[i], w, n) == 0)
			return true;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(ks_keys); i++)
		if (strlen(ks_keys[i]) == n && strncmp(ks_keys[i], w, n) == 0)
			return true;
	return false;
}

/* Whether a word that is no key could be a token: 16 or more of a-z and 0-9 (hex, as
 * `openssl rand -hex` makes), with no '_' as every key that long has. Such a word before a
 * '=' or another word (`<token> # operator X`) is not named (until session 65 it was). */
static bool secret_like(const char *w)
{
	size_t n = strspn(w, KEY_CHARS);

	return n >= 16 && !memchr(w, '_', n) && !known_key(w, n);
}

static orsp_err vbad(const loader *l, unsigned line, const char *key, const char *fmt, va_list ap)
    ORSP_PRINTF(4, 0);

static orsp_err vbad(const loader *l, unsigned line, const char *key, const char *fmt, va_list ap)
{
	char raw[2048], msg[2048];

	if (secret_like(key))
		key = "a word not shown (it may be a secret)";
	/* values are quoted as they were read: a control character in one (an escape
	 * sequence) reaches no terminal or log as it is */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	orsp_utf8_printable((const uint8_t *)raw, strlen(raw), msg, sizeof(msg));
	if (line)
		return orsp_errf(ORSP_E_USAGE, "%s:%u: %s: %.1500s", l->file, line, key, msg);
	return orsp_errf(ORSP_E_USAGE, "%s: %s: %.1500s", l->file, key, msg);
}

/* A line that is not "key = value" (or a known section) is named by its first word only,
 * "..." when more follows, and only if that word is spelt as a key can be (a-z, 0-9, '_',
 * after a section's '['): the rest may be a secret with a typo before it (es2_token:
 * <token>), and a word of another kind may be one itself (a token pasted on a line of its
 * own); neither is echoed to a log. */
static const char *first_word(const char *s, char *out, size_t cap)
{
	size_t skip = s[0] == '[', n = strspn(s + skip, KEY_CHARS), k = skip + n;

	if (skip && s[k] == ']')
		k++; /* a section's closing bracket */
	/* a word alone on its line that is no key may be a token pasted there (hex: a-z, 0-9) */
	if (n == 0 || n > 32 || (s[k] && !strchr(" \t:=", s[k])) ||
	    (!skip && !s[k] && !known_key(s, n))) {
		snprintf(out, cap, "a line not shown (it may hold a secret)");
		return out;
	}
	snprintf(out, cap, "%.*s%s", (int)k, s, s[k] ? "..." : "");
	return out;
}

/* Whether k is spelt as a key can be: 1-32 of a-z, 0-9 and '_'. Anything else before the
 * '=' (a ':' or a space after a key, a token on a line of its own, whose base64 ends in '=')
 * is not named whole: it may hold a secret (first_word). */
static bool key_like(const char *k)
{
	size_t n = strspn(k, KEY_CHARS);

	return n > 0 && n <= 32 && k[n] == '\0';
}

/* A problem of the line being read. */
static orsp_err bad(loader *l, const char *key, const char *fmt, ...) ORSP_PRINTF(3, 4);

static orsp_err bad(loader *l, const char *key, const char *fmt, ...)
{
	va_list ap;
	orsp_err e;

	va_start(ap, fmt);
	e = vbad(l, l->line, key, fmt, ap);
	va_end(ap);
	return e;
}

/* The line a key outside [keyset] was given on; 0 if it was not given. */
static unsigned line_of(const loader *l, const char *key)
{
	for (size_t i = 0; i < l->n_seen; i++)
		if (strcmp(l->seen[i].key, key) == 0)
			return l->seen[i].line;
	return 0;
}

/* A problem found once the whole file is read, at the line of `at` (a key outside [keyset]),
 * or none when it was not given. */
static orsp_err bad_at(const loader *l, const char *at, const char *key, const char *fmt, ...)
    ORSP_PRINTF(4, 5);

static orsp_err bad_at(const loader *l, const char *at, const char *key, const char *fmt, ...)
{
	va_list ap;
	orsp_err e;

	va_start(ap, fmt);
	e = vbad(l, line_of(l, at), key, fmt, ap);
	va_end(ap);
	return e;
}

/* Whether cert is out of its validity now: then why[cap] says how ("expired on 2026-01-31",
 * "is not valid before ..."). Validity dates that do not decode are left to the later
 * checks (false). */
static bool out_of_validity(const orsp_cert *cert, char *why, size_t cap)
{
	time_t nb = 0, na = 0, now = time(NULL), t;
	char when[32];
	struct tm tm;

	if (orsp_cert_validity(cert, &nb, &na) != ORSP_OK) {
		orsp_err_clear();
		return false;
	}
	if (now >= nb && now <= na)
		return false;
	t = now < nb ? nb : na;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	snprintf(why, cap, "%s %s", now < nb ? "is not valid before" : "expired on", when);
	return true;
}

/* The same for key set i: at its line of ks_keys[k - 1], or its [keyset] line for k = 0. */
static orsp_err bad_ks(const loader *l, size_t i, size_t k, const char *key, const char *fmt, ...)
    ORSP_PRINTF(5, 6);

static orsp_err bad_ks(const loader *l, size_t i, size_t k, const char *key, const char *fmt, ...)
{
	va_list ap;
	orsp_err e;

	va_start(ap, fmt);
	e = vbad(l, l->ks_line[i][k], key, fmt, ap);
	va_end(ap);
	return e;
}

static orsp_err path_value(loader *l, const char *key, const char *v, char *out, size_t cap)
{
	/* it would name this file's directory: "./ is a directory" when the server started */
	if (!v[0])
		return bad(l, key, "no path given (the value is empty)");
	/* not echoed: it may hold a PIN (pin-value) */
	if (orsp_ec_pkcs11_uri(v))
		return bad(l, key,
		           "takes a file, not a PKCS#11 URI (only dpauth_key, dppb_key and tls_key "
		           "may be keys in a token)");
	/* nor a path with what reads as a PIN in it: a URI mistyped ("pkcs 11:", "pkcs#11:")
	 * would be named, PIN and all, by the error that the file is missing */
	if (orsp_ec_pkcs11_uri_has_pin(v))
		return bad(
		    l, key,
		    "holds \"pin-value=\", so it is not echoed: not a file's path, and not a "
		    "PKCS#11 URI (they begin pkcs11:)");
	int n = v[0] == '/' ? snprintf(out, cap, "%s", v) : snprintf(out, cap, "%s/%s", l->dir, v);
	if (n < 0 || (size_t)n >= cap)
		return bad(l, key, "path too long");
	return ORSP_OK;
}

/* The path of a file read at load (a certificate, a key, a CA file) or at start (the
 * database, the KEK file): a regular file, if it exists (a missing one is named by its
 * reader, or made). A FIFO blocked the start for ever in its
 * open, waiting for a writer; a directory read as an empty or unreadable file. */
static orsp_err file_value(loader *l, const char *key, const char *v, char *out, size_t cap)
{
	struct stat st;
	orsp_err e = path_value(l, key, v, out, cap);

	if (e)
		return e;
	if (stat(out, &st) == 0 && !S_ISREG(st.st_mode))
		return bad(l, key, "%s is not a regular file", out);
	return ORSP_OK;
}

/* The same for a file that says whom the server trusts (a CI certificate, an operator CA):
 * one any user may write is refused, as the configuration file is (load), since whoever
 * rewrites it chooses whose eUICCs or operator clients are taken at the next start. Group
 * write is the administrator's choice (a private user group has it by default). */
static orsp_err anchor_value(loader *l, const char *key, const char *v, char *out, size_t cap)
{
	struct stat st;
	orsp_err e = file_value(l, key, v, out, cap);

	if (e)
		return e;
	if (stat(out, &st) == 0 && (st.st_mode & S_IWOTH))
		return bad(l, key, "%s can be written by any user (chmod o-w it)", out);
	return ORSP_OK;
}

static orsp_err load_cert(loader *l, const char *key, const char *v, orsp_rsp_role role,
                          orsp_cert **out)
{
	char path[ORSP_SMDP_PATH_MAX];
	orsp_rsp_role got;
	orsp_err e = role == ORSP_ROLE_CI ? anchor_value(l, key, v, path, sizeof(path))
	                                  : file_value(l, key, v, path, sizeof(path));

	if (e)
		return e;
	if (*out)
		return bad(l, key, "given twice");
	/* the reason names the file; bad() formats it before it replaces the detail */
	if (orsp_cert_load_file(path, out) != ORSP_OK)
		return bad(l, key, "cannot load the certificate: %s", orsp_err_detail());
	if (orsp_cert_rsp_role(*out, &got) != ORSP_OK || got != role)
		return bad(l, key, "%s is not a certificate of the expected role (policy)", path);
	return ORSP_OK;
}

/* A private key file must be the owner's alone, as the KEK file must (a key readable by
 * group or others is refused: chmod 600). One that is not there says why, as a certificate's
 * reader does (until session 73 only "cannot open PATH"). */
static orsp_err key_file_private(loader *l, const char *key, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return bad(l, key, "cannot open %s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return bad(l, key, "%s can be read or written by group or others (chmod 600 it)",
		           path);
	return ORSP_OK;
}

/* A key in a PKCS#11 token (an HSM), named by its URI (docs/crypto.md). A PIN in the URI
 * (pin-value) makes the configuration file a secret, as a token in it does. With
 * no_token_keys only the URI is checked and *out left NULL: the token is not opened, nor is
 * the PIN sent (each login is a try against the token's lock-out) for a verb that does not
 * sign. */
static orsp_err load_token_key(loader *l, const char *key, const char *v, orsp_ec_key **out)
{
	orsp_err e, be;

	if (orsp_ec_pkcs11_uri_has_pin(v) && (l->mode & 077))
		return bad(l, key,
		           "%s holds a PIN (pin-value) and can be read or written by group or "
		           "others (chmod 600 it, or use pin-source)",
		           l->file);
	if (l->no_token_keys)
		return orsp_ec_pkcs11_uri_check(v) ? bad(l, key, "%s", orsp_err_detail()) : ORSP_OK;
	e = orsp_ec_load_pkcs11(v, out);
	if (!e)
		return ORSP_OK;
	/* ORSP_E_VERIFY kept: the token refused the PIN, or has one try left or none
	 * (smdp serve then exits 78, which its systemd unit does not restart: a start again
	 * would send the PIN again); every other refusal is ORSP_E_USAGE */
	be = bad(l, key, "%s", orsp_err_detail());
	return e == ORSP_E_VERIFY ? ORSP_E_VERIFY : be;
}

/* *in_token: the key was given as a PKCS#11 URI (its *out NULL with no_token_keys). */
static orsp_err load_key(loader *l, const char *key, const char *v, orsp_ec_key **out,
                         bool *in_token)
{
	char path[ORSP_SMDP_PATH_MAX];
	orsp_err e;

	if (*out || *in_token)
		return bad(l, key, "given twice");
	if (orsp_ec_pkcs11_uri(v)) {
		e = load_token_key(l, key, v, out);
		*in_token = !e;
		return e;
	}
	if ((e = file_value(l, key, v, path, sizeof(path))))
		return e;
	if ((e = key_file_private(l, key, path)))
		return e;
	/* what reading it says names the file: it cannot be opened or read, or is larger than
	 * ORSP_EC_KEY_FILE_MAX (cut, it was refused as no key) */
	e = orsp_ec_load_private_file(path, out);
	if (e == ORSP_E_IO || e == ORSP_E_NOT_FOUND || e == ORSP_E_RESOURCE)
		return bad(l, key, "%s", orsp_err_detail());
	if (e)
		return bad(l, key, "%s is not a private key", path);
	return ORSP_OK;
}

/* A certificate file for the HTTPS client (libcurl reads PEM only): a CA bundle (the
 * system's, say) or a certificate with its chain, read as OpenSSL will read it; without a
 * certificate in it every connection would fail, long after the start. server: also as the
 * HTTPS server reads it (certificates only, no text between them). The file is read once:
 * the bytes judged are those *first (when asked for) is taken from, and those *keep gets
 * (the text its user is given, without a NUL byte that would cut it), not a file put in its
 * place between two reads or after the load. */
static orsp_err pem_cert_file(loader *l, const char *key, const char *path, bool server,
                              orsp_cert **first, char **keep)
{
	uint8_t *pem = NULL;
	size_t len = 0, n = 0;
	orsp_err e = ORSP_OK;

	/* a regular file only: a FIFO put there after file_value's check must not block */
	if (orsp_cert_pem_bundle_read(path, &pem, &len))
		return bad(l, key, "%s", orsp_err_detail());
	if (server && len > ORSP_HTTP_MAX_PEM) {
		/* what the HTTPS server takes of a PEM file, less than a CA bundle may be */
		e = bad(l, key, "%s is larger than %zu bytes (1 MiB, what the HTTPS server reads)",
		        path, ORSP_HTTP_MAX_PEM);
	} else if (len && pem[0] == 0x30) {
		e = bad(l, key, "%s is DER; a PEM certificate file is needed", path);
	} else if (orsp_cert_pem_bundle_check_mem(pem, len, &n) != ORSP_OK) {
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		e = bad(l, key, "%s holds no PEM certificate (%s: %s)", path, path, why);
	} else if (memchr(pem, '\0', len)) {
		e = bad(l, key, "%s: %s is not PEM text (NUL byte)", path, path);
	} else if (server && orsp_http_server_pem_check_mem(pem, len, false, path) != ORSP_OK) {
		e = bad(l, key, "%s", orsp_err_detail());
	} else if (first && orsp_cert_load_mem(pem, len, first) != ORSP_OK) {
		orsp_err_clear(); /* a certificate OpenSSL reads and openrsp does not */
	}
	if (!e) {
		*keep = (char *)pem;
		pem = NULL;
	}
	free(pem);
	return e;
}

/* A CA bundle (pem, read from path by pem_cert_file) of which no certificate is within its
 * validity now verifies no peer: every operator client's handshake (es2_client_ca) or every
 * report's (callback_ca) would fail, so it is refused at its line. Some out of validity
 * beside current ones is what CA bundles hold; what is counted here goes to *v, for their
 * warnings (ca_warn) and `serve --check`'s line (check_ca in cli/cmd_smdp.c), which read
 * the bundle no more. */
static orsp_err ca_current(loader *l, const char *key, const char *path, const char *pem,
                           orsp_smdp_ca_validity *v)
{
	memset(v, 0, sizeof(*v));
	if (orsp_cert_pem_bundle_validity(pem, strlen(pem), time(NULL), &v->n, &v->current,
	                                  &v->soonest))
		return bad(l, key, "%s", orsp_err_detail());
	if (v->current == 0)
		return bad(l, key,
		           "%s: none of its %zu certificate%s is within its validity now (expired "
		           "or not valid yet): it would verify no %s",
		           path, v->n, v->n == 1 ? "" : "s",
		           strcmp(key, "callback_ca") == 0 ? "operator server's certificate"
		                                           : "operator client's certificate");
	return ORSP_OK;
}

/* A private key file for the HTTPS client: the owner's alone, and PEM (libcurl's default;
 * whether it belongs to its certificate is found at the first connection, or at start-up
 * for an EC key on a curve openrsp reads: *ec, from the same bytes, NULL for another). The
 * bytes read are those *keep gets, the text libcurl is given (wiped when the configuration
 * is freed), not the file read again. */
static orsp_err pem_key_file(loader *l, const char *key, const char *path, orsp_ec_key **ec,
                             char **keep)
{
	uint8_t *buf;
	size_t n = 0;
	orsp_err e = key_file_private(l, key, path);

	if (e)
		return e;
	if (!(buf = malloc(ORSP_EC_KEY_FILE_MAX + 1))) /* the file and a NUL */
		return bad(l, key, "out of memory");
	/* read whole, as the other key files (load_key): a regular file only, and one over
	 * the limit refused by its size, not cut and then called no PEM key (the key may be
	 * RSA, for libcurl: only read here, not parsed) */
	if (orsp_ec_read_private_file(path, buf, &n)) {
		free(buf); /* wiped by the reader */
		return bad(l, key, "%s", orsp_err_detail());
	}
	buf[n] = '\0';
	if (!strstr((char *)buf, "-----BEGIN ") || !strstr((char *)buf, "PRIVATE KEY-----"))
		e = bad(l, key, "%s is not a PEM private key", path);
	else if (strlen((char *)buf) != n) /* the text would end there */
		e = bad(l, key, "%s: %s is not PEM text (NUL byte)", path, path);
	else if (orsp_ec_load_private(buf, n, ec) != ORSP_OK)
		orsp_err_clear(); /* RSA, say: left to libcurl */
	if (e) {
		orsp_wipe(buf, n);
		free(buf);
		return e;
	}
	*keep = (char *)buf;
	return ORSP_OK;
}

static orsp_err parse_uint(loader *l, const char *key, const char *v, unsigned long max,
                           unsigned long *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	/* digits only: strtoul also takes leading blanks and a sign (+5 was 5) */
	if (!v[0] || *end || errno || x > max || v[0] < '0' || v[0] > '9')
		return bad(l, key, "expected a number up to %lu", max);
	*out = x;
	return ORSP_OK;
}

/* A VersionType (SGP.22: OCTET STRING (SIZE(3)), major, minor, revision) written
 * "major.minor.revision", each a number from 0 to 255, from s[0..n). */
static bool version_of(const char *s, size_t n, uint8_t out[3])
{
	size_t i = 0;

	for (int part = 0; part < 3; part++) {
		unsigned x = 0;
		size_t digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			x = x * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (!digits || x > 255)
			return false;
		out[part] = (uint8_t)x;
		if (part < 2 && (i >= n || s[i++] != '.'))
			return false;
	}
	return i == n;
}

/* A whole number of `unit` from 1 to max into *out, 0 refused: a count where none means
 * nothing sensible (a timeout, a number of senders, a retention). */
static orsp_err count_value(loader *l, const char *k, const char *v, unsigned max, const char *unit,
                            unsigned *out)
{
	unsigned long x = 0;
	orsp_err e = parse_uint(l, k, v, max, &x);

	if (e)
		return e;
	if (x == 0)
		return bad(l, k, "expected a number of %s from 1 to %u", unit, max);
	*out = (unsigned)x;
	return ORSP_OK;
}

/* A retention in days, 1 to ORSP_SMDP_CALL_DAYS_MAX (ten years): 0 would read as "never",
 * which is what a retention is there to end (delivered_session_days, es2_call_days). */
static orsp_err days_value(loader *l, const char *k, const char *v, unsigned *out)
{
	return count_value(l, k, v, ORSP_SMDP_CALL_DAYS_MAX, "days", out);
}

#define VERSION_HINT "expected a version major.minor.revision, each 0 to 255 (e.g. 1.2.0)"

static orsp_err version_value(loader *l, const char *k, const char *v, orsp_smdp_version *out)
{
	if (!version_of(v, strlen(v), out->v))
		return bad(l, k, VERSION_HINT);
	out->set = true;
	return ORSP_OK;
}

/* A list value: items separated by commas (with spaces_separate, by spaces and tabs too), each
 * without the spaces and tabs around it, to add(), which says what is wrong with one (NULL:
 * taken, *count one more). At most max items, none empty. */
static orsp_err list_value(loader *l, const char *k, const char *v, bool spaces_separate,
                           size_t max,
                           const char *(*add)(orsp_smdp_config *c, const char *item, size_t n),
                           const size_t *count)
{
	const char *p = v;

	for (;;) {
		const char *why;
		size_t span, n;
		p += strspn(p, " \t");
		span = n = strcspn(p, spaces_separate ? ", \t" : ",");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!n)
			return bad(l, k, "an empty item in the list");
		if (*count == max)
			return bad(l, k, "more than %zu items", max);
		if ((why = add(l->c, p, n)))
			return bad(l, k, "'%.*s': %s", (int)(n > 80 ? 80 : n), p, why);
		p += span;
		p += strspn(p, " \t");
		if (!*p)
			return ORSP_OK;
		if (*p == ',')
			p++;
	}
}

static const char *add_denied(orsp_smdp_config *c, const char *s, size_t n)
{
	orsp_smdp_platform_policy *pol = &c->svc.platform;
	if (!version_of(s, n, pol->firmware_denied[pol->n_firmware_denied]))
		return VERSION_HINT;
	pol->n_firmware_denied++;
	return NULL;
}

static const char *add_sas(orsp_smdp_config *c, const char *s, size_t n)
{
	orsp_smdp_platform_policy *pol = &c->svc.platform;
	if (n > ORSP_SMDP_SAS_MAX)
		return "longer than the 64 characters of sasAcreditationNumber";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "a control character";
	memcpy(pol->sas[pol->n_sas], s, n);
	pol->sas[pol->n_sas++][n] = '\0';
	return NULL;
}

/* A trusted_proxies item: an IPv4 or IPv6 address or prefix (orsp_http_prefix_parse). */
static const char *add_proxy(orsp_smdp_config *c, const char *s, size_t n)
{
	if (orsp_http_prefix_parse(s, n, &c->trusted_proxies[c->n_trusted_proxies]))
		return orsp_err_detail();
	c->n_trusted_proxies++;
	return NULL;
}

/* A subjectKeyIdentifier in hex, its bytes optionally separated by ':' as openssl x509
 * prints it. */
static const char *add_eum(orsp_smdp_config *c, const char *s, size_t n)
{
	orsp_smdp_platform_policy *pol = &c->svc.platform;
	char hex[2 * 32 + 1];
	size_t h = 0, len = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ':')
			continue;
		if (orsp_hex_digit(s[i]) < 0 || h == sizeof(hex) - 1)
			return "expected the hex subjectKeyIdentifier of CERT.EUM (1 to 32 bytes)";
		hex[h++] = s[i];
	}
	hex[h] = '\0';
	if (!h || orsp_hex_decode(hex, pol->eum_ski[pol->n_eum], 32, &len) != ORSP_OK) {
		orsp_err_clear();
		return "expected the hex subjectKeyIdentifier of CERT.EUM (1 to 32 bytes)";
	}
	pol->eum_ski_len[pol->n_eum++] = len;
	return NULL;
}

/* Whether the authority at the start of s (after "http://" or "https://", up to the first
 * '/', '?', '#' or the end, RFC 3986 §3.2) holds userinfo: libcurl takes what comes before
 * an '@' there as a user name and password, sends them, and goes to the host after it. */
static bool url_has_userinfo(const char *s)
{
	size_t n = strcspn(s, "/?#");

	return memchr(s, '@', n) != NULL;
}

/* Whether the authority at the start of s (after "http://", without userinfo:
 * url_has_userinfo) is a loopback host, with an optional port, followed by the end, '/' or
 * nothing else. */
static bool loopback_url(const char *s)
{
	static const char *const hosts[] = {"127.0.0.1", "[::1]", "localhost"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(hosts); i++) {
		size_t n = strlen(hosts[i]);
		if (strncasecmp(s, hosts[i], n) == 0 &&
		    (s[n] == '\0' || s[n] == ':' || s[n] == '/'))
			return true;
	}
	return false;
}

/* Whether the listen address (numeric, checked; "" the default 127.0.0.1) is a loopback one:
 * 127.0.0.0/8 or ::1. */
static bool loopback_listen(const char *v)
{
	struct in6_addr a6;
	uint8_t v4[4];

	if (!v[0])
		return true;
	if (inet_pton(AF_INET, v, v4) == 1)
		return v4[0] == 127;
	return inet_pton(AF_INET6, v, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* Whether the authority a[0..n) is host[:port]: a host name or IPv4 address (letters, digits,
 * '.', '-', '_'), or an IPv6 address in brackets, then nothing or ':' and a port of 1 to
 * 65535 in at most five digits. libcurl refuses the others only when a report is sent. */
static bool authority_ok(const char *a, size_t n)
{
	size_t h = 0;

	if (n && a[0] == '[') {
		for (h = 1; h < n && (isxdigit((unsigned char)a[h]) || a[h] == ':' || a[h] == '.');
		     h++)
			;
		if (h == 1 || h >= n || a[h] != ']')
			return false;
		h++;
	} else {
		while (h < n &&
		       (isalnum((unsigned char)a[h]) || a[h] == '.' || a[h] == '-' || a[h] == '_'))
			h++;
		if (h == 0)
			return false;
	}
	if (h == n)
		return true;
	if (a[h] != ':' || n - h - 1 < 1 || n - h - 1 > 5)
		return false;
	unsigned port = 0;
	for (size_t i = h + 1; i < n; i++) {
		if (!isdigit((unsigned char)a[i]))
			return false;
		port = port * 10 + (unsigned)(a[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* How many different characters s has. */
static size_t distinct_chars(const char *s)
{
	bool seen[256] = {false};
	size_t n = 0;

	for (; *s; s++)
		if (!seen[(unsigned char)*s]) {
			seen[(unsigned char)*s] = true;
			n++;
		}
	return n;
}

/* A bearer token (es2_token, metrics_token) into out: 16..cap-1 characters, no control
 * character but tab, not the example's placeholder nor guessable, and the file holding it the
 * owner's alone (the token grants what a key file would: ES2+ over every profile, or the
 * server's figures). */
static orsp_err token_value(loader *l, const char *k, const char *v, char *out, size_t cap)
{
	if (strlen(v) < 16 || strlen(v) >= cap)
		return bad(l, k, "a token needs 16 to %zu characters", cap - 1);
	/* A header field value holds none (RFC 9110 §5.5), and the HTTP server answers one with
	 * 400: a token with one was taken and ES2+ or /metrics could not be used. Tab may be
	 * in a field value and is sent and compared as it is (test_metrics_token). */
	for (const char *p = v; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7F)
			return bad(l, k, "a control character (no HTTP client can send it)");
	if (strstr(v, "change-me") || distinct_chars(v) < 6)
		return bad(l, k,
		           "the example's placeholder or a token anyone could guess "
		           "(make one: head -c 24 /dev/urandom | base64)");
	if (l->mode & 077)
		return bad(l, k,
		           "%s holds the token and can be read or written by group or others "
		           "(chmod 600 it)",
		           l->file);
	snprintf(out, cap, "%s", v);
	return ORSP_OK;
}

/* A key outside [keyset] given a second time would silently replace the first; trusted_ci
 * and crl are the ones that may be repeated (each adds a CI, a CRL file). Keys inside a key set are
 * checked as they are loaded. */
static orsp_err once(loader *l, const char *k)
{
	bool repeats = strcmp(k, "trusted_ci") == 0 || strcmp(k, "crl") == 0;

	if (strlen(k) >= sizeof(l->seen[0].key))
		return ORSP_OK; /* a key that long is unknown */
	/* a repeated key keeps its first line, which a problem of them all names (line_of;
	 * until session 65 such a problem named no line) */
	for (size_t i = 0; i < l->n_seen; i++)
		if (strcmp(l->seen[i].key, k) == 0)
			return repeats
			           ? ORSP_OK
			           : bad(l, k, "given twice (first on line %u)", l->seen[i].line);
	if (l->n_seen < ORSP_ARRAY_LEN(l->seen)) {
		snprintf(l->seen[l->n_seen].key, sizeof(l->seen[0].key), "%s", k);
		l->seen[l->n_seen++].line = l->line;
	}
	return ORSP_OK;
}

static orsp_err set_key(loader *l, const char *k, const char *v)
{
	orsp_smdp_config *c = l->c;
	unsigned long x = 0;
	size_t vn = strlen(v);
	orsp_err e;

	/* `database = "smdp.db"` made a file named with the quotes, and a quoted token kept
	 * them (an operator sending it without got 401): quoting is no part of the syntax */
	if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0])
		return bad(l, k,
		           "in quotes: quotes are no part of the syntax, give the value "
		           "without them");
	/* nor a quote at one end only, which a token, a path or a number never starts with,
	 * and no value ends with a double quote: it was kept in the value (a token refused
	 * with 401, a file named with it). An apostrophe may end a text. */
	if (v[0] == '"' || v[0] == '\'' || (vn && v[vn - 1] == '"'))
		return bad(l, k,
		           "a quote at one end: quotes are no part of the syntax, give the value "
		           "without them");
	if (l->in_keyset) {
		orsp_smdp_keyset *ks = &c->svc.sets[c->svc.n_sets - 1];
		for (size_t i = 0; i < ORSP_ARRAY_LEN(ks_keys); i++)
			if (strcmp(k, ks_keys[i]) == 0)
				l->ks_line[c->svc.n_sets - 1][i + 1] = l->line;
		if (strcmp(k, "ci") == 0)
			return load_cert(l, k, v, ORSP_ROLE_CI, &ks->ci);
		if (strcmp(k, "dpauth_cert") == 0)
			return load_cert(l, k, v, ORSP_ROLE_DP_AUTH, &ks->dpauth_cert);
		if (strcmp(k, "dpauth_key") == 0)
			return load_key(l, k, v, &ks->dpauth_key,
			                &l->ks_in_token[c->svc.n_sets - 1][0]);
		if (strcmp(k, "dppb_cert") == 0)
			return load_cert(l, k, v, ORSP_ROLE_DP_PB, &ks->dppb_cert);
		if (strcmp(k, "dppb_key") == 0)
			return load_key(l, k, v, &ks->dppb_key,
			                &l->ks_in_token[c->svc.n_sets - 1][1]);
		for (size_t i = 0; i < ORSP_ARRAY_LEN(global_keys); i++)
			if (strcmp(k, global_keys[i]) == 0)
				return bad(
				    l, k,
				    "not a key of [keyset]: the keys outside key sets go before "
				    "the first [keyset] line (move it up)");
		return bad(l, k, "unknown key in [keyset]");
	}
	if ((e = once(l, k)))
		return e;
	if (strcmp(k, "fqdn") == 0) {
		if (orsp_smdp_fqdn_check(v))
			return bad(l, k, "%s", orsp_err_detail());
		snprintf(c->svc.fqdn, sizeof(c->svc.fqdn), "%s", v);
	} else if (strcmp(k, "oid") == 0) {
		/* as pki init --smdp-oid takes it: the certificates' registeredID is compared with
		 * it below, and smdp_oid_der only reads such an OID (with arcs of up to 64 bits,
		 * which the ES9+ handlers encode: one it cannot is refused here, not at the first
		 * request that needs it) */
		if (orsp_smdp_oid_check(v))
			return bad(l, k, "%s", orsp_err_detail());
		snprintf(c->svc.oid, sizeof(c->svc.oid), "%s", v);
	} else if (strcmp(k, "listen") == 0) {
		struct in6_addr a6;
		uint32_t v4;
		if (strlen(v) >= sizeof(c->listen))
			return bad(l, k, "too long");
		/* as the HTTP server takes it: a numeric address, no name to resolve */
		if (inet_pton(AF_INET, v, &a6) != 1 && inet_pton(AF_INET6, v, &a6) != 1)
			return bad(l, k,
			           "expected a numeric IPv4 or IPv6 address (127.0.0.1, ::1, "
			           "0.0.0.0), not a name");
		/* addresses the server's IPv6-only socket can never bind (EINVAL), found only
		 * when the server started, after the database and its KEK were made */
		if (strchr(v, ':') && IN6_IS_ADDR_V4MAPPED(&a6))
			return bad(l, k,
			           "an IPv4-mapped IPv6 address: give the IPv4 address itself");
		/* nor a multicast or the broadcast address: bound, where no client connects */
		memcpy(&v4, &a6, sizeof(v4));
		v4 = ntohl(v4);
		if (strchr(v, ':') ? IN6_IS_ADDR_MULTICAST(&a6)
		                   : (IN_MULTICAST(v4) || v4 == INADDR_BROADCAST))
			return bad(l, k,
			           "a multicast or broadcast address, which no TCP client can "
			           "connect to: give a unicast address of this host");
		if (strchr(v, ':') && IN6_IS_ADDR_LINKLOCAL(&a6))
			return bad(l, k,
			           "a link-local IPv6 address, which needs an interface (a scope) "
			           "that listen cannot name: give another address");
		snprintf(c->listen, sizeof(c->listen), "%s", v);
	} else if (strcmp(k, "port") == 0) {
		if ((e = parse_uint(l, k, v, 65535, &x)))
			return e;
		c->port = (uint16_t)x;
	} else if (strcmp(k, "reuse_port") == 0) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad(l, k, "expected yes or no");
		c->reuse_port = strcmp(v, "yes") == 0;
	} else if (strcmp(k, "database") == 0) {
		/* one that does not exist is made at start; another kind of file was refused only
		 * then, without line or key. Kept in memory, the profiles and sessions would be
		 * lost at a restart, and no other server process could share it. */
		if (orsp_db_uri_in_memory(v))
			return bad(l, k,
			           "an in-memory database: everything in it would be lost at "
			           "a restart (give a file's path)");
		/* a path, relative to this file's directory: a URI was taken for one (a file
		 * named "sqlite:s.db" beside the configuration, a new empty inventory) until
		 * session 65 */
		if (strncmp(v, "sqlite:", 7) == 0 || strncmp(v, "file:", 5) == 0)
			return bad(l, k,
			           "an SQLite URI (sqlite:, file:): give the file's path (relative "
			           "to the configuration's directory, or absolute)");
		return file_value(l, k, v, c->database, sizeof(c->database));
	} else if (strcmp(k, "kek_file") == 0) {
		return file_value(l, k, v, c->kek_file, sizeof(c->kek_file));
	} else if (strcmp(k, "tls_cert") == 0) {
		return path_value(l, k, v, c->tls_cert, sizeof(c->tls_cert));
	} else if (strcmp(k, "tls_key") == 0) {
		if (c->tls_token_key || c->tls_key[0])
			return bad(l, k, "given twice");
		if (orsp_ec_pkcs11_uri(v)) {
			/* the URI itself (a PIN in it perhaps) is not kept */
			e = load_token_key(l, k, v, &c->tls_token_key);
			if (!e) /* what tls_in_token reads */
				snprintf(c->tls_key, sizeof(c->tls_key), "pkcs11:");
			return e;
		}
		e = path_value(l, k, v, c->tls_key, sizeof(c->tls_key));
		return e ? e : key_file_private(l, k, c->tls_key);
	} else if (strcmp(k, "plain_http") == 0) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad(l, k, "expected yes or no");
		c->plain_http = strcmp(v, "yes") == 0;
	} else if (strcmp(k, "log") == 0) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad(l, k, "expected yes or no");
		c->quiet = strcmp(v, "no") == 0;
	} else if (strcmp(k, "trusted_ci") == 0) {
		char path[ORSP_SMDP_PATH_MAX];
		orsp_cert *ci = NULL;
		if ((e = anchor_value(l, k, v, path, sizeof(path))))
			return e;
		if (orsp_cert_load_file(path, &ci))
			return bad(l, k, "cannot load the certificate: %s", orsp_err_detail());
		/* out of its validity, as a key set's CI is refused: every eUICC chain under it
		 * would fail (8.11.1/3.9), with nothing said at the start (until session 56) */
		{
			char why[64];
			if (out_of_validity(ci, why, sizeof(why))) {
				orsp_cert_free(ci);
				return bad(l, k, "%s: the CI certificate %s", path, why);
			}
		}
		if (orsp_ci_store_add(c->svc.cis, ci)) {
			orsp_cert_free(ci);
			return bad(l, k, "%s is not a usable CI certificate: %s", path,
			           orsp_err_detail());
		}
		orsp_cert_free(ci);
	} else if (strcmp(k, "crl") == 0) {
		/* its signature is checked once every CI is known (check_all) */
		char path[ORSP_SMDP_PATH_MAX];
		if (l->no_crls) /* a path, the file not looked at (ORSP_SMDP_CONFIG_MAINTENANCE) */
			return path_value(l, k, v, path, sizeof(path));
		if ((e = file_value(l, k, v, path, sizeof(path))))
			return e;
		orsp_smdp_crl_file *files;
		if (!c->svc.crls && orsp_crl_store_new(&c->svc.crls))
			return ORSP_E_RESOURCE;
		files = realloc(c->crl_files, (c->n_crl_files + 1) * sizeof(*files));
		if (!files)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		c->crl_files = files;
		files += c->n_crl_files;
		memset(files, 0, sizeof(*files));
		snprintf(files->path, sizeof(files->path), "%s", path);
		/* what the file is before it is read: one replaced after this is read again
		 * (crl_reload), even one replaced while it is read */
		orsp_smdp_crl_file_id(path, files);
		if (orsp_crl_store_add_file(c->svc.crls, path))
			return bad(l, k, "%s", orsp_err_detail());
		c->n_crl_files++;
	} else if (strcmp(k, "crl_reload") == 0) {
		if ((e = parse_uint(l, k, v, 86400, &x)))
			return e;
		c->crl_reload_s = (unsigned)x;
	} else if (strcmp(k, "crl_stale") == 0) {
		if (strcmp(v, "refuse") && strcmp(v, "accept"))
			return bad(l, k, "expected refuse or accept");
		c->svc.crl_accept_stale = strcmp(v, "accept") == 0;
	} else if (strcmp(k, "es2_token") == 0) {
		return token_value(l, k, v, c->es2_token, sizeof(c->es2_token));
	} else if (strcmp(k, "metrics_token") == 0) {
		return token_value(l, k, v, c->metrics_token, sizeof(c->metrics_token));
	} else if (strcmp(k, "es2_client_ca") == 0) {
		/* read now, as callback_ca: a missing or broken file named with its line, not
		 * found only when the server starts */
		e = anchor_value(l, k, v, c->es2_client_ca, sizeof(c->es2_client_ca));
		/* and as the HTTPS server reads it: certificates only, no text between them */
		if (!e)
			e = pem_cert_file(l, k, c->es2_client_ca, true, NULL,
			                  &c->es2_client_ca_pem);
		return e ? e
		         : ca_current(l, k, c->es2_client_ca, c->es2_client_ca_pem,
		                      &c->es2_client_ca_validity);
	} else if (strcmp(k, "callback_url") == 0) {
		const char *host;
		size_t n;
		if ((strncmp(v, "https://", 8) && strncmp(v, "http://", 7)) ||
		    strlen(v) >= sizeof(c->callback_url))
			return bad(l, k, "expected an http:// or https:// URL");
		host = v + (v[4] == 's' ? 8 : 7);
		n = strcspn(host, "/?#"); /* the authority: host and port */
		/* a user name or password in the URL would be sent (and logged), and the host is
		 * the one after them: http://localhost:1@192.0.2.1/ goes to 192.0.2.1 */
		if (url_has_userinfo(host))
			return bad(l, k,
			           "no user name or password ('@' before the host) in the URL: "
			           "libcurl would send them, to the host after the '@'");
		/* the reports carry EIDs and ICCIDs, and their answer decides whether they are
		 * sent again: plain HTTP only to a proxy or endpoint on this host */
		if (strncmp(v, "http://", 7) == 0 && !loopback_url(host))
			return bad(
			    l, k,
			    "plain http:// only to 127.0.0.1, [::1] or localhost; use https:// "
			    "(and callback_ca) for another host");
		if (n == 0)
			return bad(l, k, "no host in the URL");
		if (!authority_ok(host, n))
			return bad(
			    l, k,
			    "expected scheme://host[:port]: a host name or address, and a port "
			    "of 1 to 65535");
		/* the reports go to <callback_url>/gsma/rsp2/es2plus/handleDownloadProgressInfo,
		 * the path SGP.22's JSON binding gives every ES2+ function: the URL names the
		 * operator's server, scheme://host[:port]. A trailing '/' is dropped (it made the
		 * path //gsma/..., refused by the operator, so every report was given up); what
		 * else follows is refused, not echoed (a query may hold a key) */
		if (host[n + strspn(host + n, "/")] != '\0')
			return bad(
			    l, k,
			    "expected the operator's server only, scheme://host[:port], without "
			    "a path, query or fragment (the reports go to its "
			    "/gsma/rsp2/es2plus/handleDownloadProgressInfo)");
		snprintf(c->callback_url, sizeof(c->callback_url), "%.*s", (int)(host - v + n), v);
	} else if (strcmp(k, "callback_ca") == 0) {
		e = anchor_value(l, k, v, c->callback_ca, sizeof(c->callback_ca));
		if (!e)
			e = pem_cert_file(l, k, c->callback_ca, false, NULL, &c->callback_ca_pem);
		return e ? e
		         : ca_current(l, k, c->callback_ca, c->callback_ca_pem,
		                      &c->callback_ca_validity);
	} else if (strcmp(k, "callback_cert") == 0) {
		char why[64];
		e = file_value(l, k, v, c->callback_cert, sizeof(c->callback_cert));
		if (!e)
			e = pem_cert_file(l, k, c->callback_cert, false, &l->callback_cert,
			                  &c->callback_cert_pem);
		/* out of its validity the operator's server refuses every report's TLS
		 * handshake, and each report is given up after its retries (until session 57
		 * nothing was said at the start) */
		if (!e && l->callback_cert && out_of_validity(l->callback_cert, why, sizeof(why)))
			return bad(l, k, "%s: the certificate %s", c->callback_cert, why);
		return e;
	} else if (strcmp(k, "callback_key") == 0) {
		e = file_value(l, k, v, c->callback_key, sizeof(c->callback_key));
		return e ? e
		         : pem_key_file(l, k, c->callback_key, &l->callback_key,
		                        &c->callback_key_pem);
	} else if (strcmp(k, "max_body") == 0) {
		if ((e = parse_uint(l, k, v, 16u << 20, &x)))
			return e;
		/* below this even an ES9+ authenticateClient would be refused */
		if (x < 16384)
			return bad(l, k, "expected a number of bytes from 16384 to %u", 16u << 20);
		c->svc.max_body = x;
	} else if (strcmp(k, "max_unverified_notifications") == 0) {
		if ((e = parse_uint(l, k, v, 100000000, &x)))
			return e;
		c->svc.max_unverified_notifications = x ? x : ORSP_SMDP_KEEP_NO_UNVERIFIED;
	} else if (strcmp(k, "delivered_session_days") == 0) {
		return days_value(l, k, v, &c->svc.delivered_session_days);
	} else if (strcmp(k, "es2_call_days") == 0) {
		return days_value(l, k, v, &c->es2_call_days);
	} else if (strcmp(k, "es2_call_replay") == 0) {
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad(l, k, "expected yes or no");
		c->svc.es2_call_replay = strcmp(v, "yes") == 0;
	} else if (strcmp(k, "callback_timeout") == 0) {
		return count_value(l, k, v, ORSP_SMDP_CALLBACK_TIMEOUT_MAX, "seconds",
		                   &c->callback_timeout_s);
	} else if (strcmp(k, "callback_senders") == 0) {
		return count_value(l, k, v, ORSP_SMDP_CALLBACK_SENDERS_MAX, "senders",
		                   &c->callback_senders);
	} else if (strcmp(k, "session_ttl") == 0) {
		if ((e = parse_uint(l, k, v, 86400, &x)))
			return e;
		/* a download takes several exchanges with the eUICC in between */
		if (x < 60)
			return bad(l, k, "expected a number of seconds from 60 to 86400");
		c->svc.session_ttl_s = (int64_t)x;
	} else if (strcmp(k, "eligibility") == 0) {
		if (strcmp(v, "aka") && strcmp(v, "services"))
			return bad(l, k, "expected aka or services");
		c->svc.eligibility_all_services = strcmp(v, "services") == 0;
	} else if (strcmp(k, "min_euicc_firmware") == 0) {
		return version_value(l, k, v, &c->svc.platform.min_firmware);
	} else if (strcmp(k, "min_pp_version") == 0) {
		return version_value(l, k, v, &c->svc.platform.min_pp);
	} else if (strcmp(k, "min_svn") == 0) {
		return version_value(l, k, v, &c->svc.platform.min_svn);
	} else if (strcmp(k, "min_gp_version") == 0) {
		return version_value(l, k, v, &c->svc.platform.min_gp);
	} else if (strcmp(k, "euicc_firmware_denied") == 0) {
		return list_value(l, k, v, false, ORSP_SMDP_POLICY_LIST_MAX, add_denied,
		                  &c->svc.platform.n_firmware_denied);
	} else if (strcmp(k, "sas_accreditation") == 0) {
		return list_value(l, k, v, false, ORSP_SMDP_POLICY_LIST_MAX, add_sas,
		                  &c->svc.platform.n_sas);
	} else if (strcmp(k, "eum_allowed") == 0) {
		return list_value(l, k, v, false, ORSP_SMDP_POLICY_LIST_MAX, add_eum,
		                  &c->svc.platform.n_eum);
	} else if (strcmp(k, "threads") == 0) {
		if ((e = parse_uint(l, k, v, 64, &x)))
			return e;
		c->threads = (unsigned)x;
	} else if (strcmp(k, "metrics_cache") == 0) {
		if ((e = parse_uint(l, k, v, 3600, &x)))
			return e;
		c->metrics_cache_s = (unsigned)x;
	} else if (strcmp(k, "timeout") == 0) {
		/* 0 would read as "never", as for idle_reset_ms and the others, and the HTTP
		 * server takes it for its default, 30 s: refused */
		if ((e = parse_uint(l, k, v, 3600, &x)))
			return e;
		if (x == 0)
			return bad(l, k,
			           "expected 1 to 3600 seconds (an idle connection is always "
			           "closed in the end)");
		c->timeout_s = (unsigned)x;
	} else if (strcmp(k, "request_timeout") == 0) {
		if ((e = parse_uint(l, k, v, 7200, &x)))
			return e;
		c->request_timeout_s = (unsigned)x;
	} else if (strcmp(k, "max_connections_per_ip") == 0) {
		if ((e = parse_uint(l, k, v, 65536, &x)))
			return e;
		c->max_connections_per_ip = (unsigned)x;
	} else if (strcmp(k, "trusted_proxies") == 0) {
		/* addresses or prefixes separated by commas, whitespace or both */
		if (!v[0])
			return bad(l, k, "no address given (the value is empty)");
		return list_value(l, k, v, true, ORSP_SMDP_TRUSTED_PROXIES_MAX, add_proxy,
		                  &c->n_trusted_proxies);
	} else if (strcmp(k, "idle_reset_ms") == 0) {
		/* at most the largest timeout; check_all holds it to the one given */
		if ((e = parse_uint(l, k, v, 3600000, &x)))
			return e;
		c->idle_reset_ms = x ? (unsigned)x : ORSP_HTTP_IDLE_RESET_NEVER;
	} else if (strcmp(k, "drain") == 0) {
		/* a balancer's check interval times its fall count; a longer drain only delays a
		 * restart */
		if ((e = parse_uint(l, k, v, ORSP_SMDP_DRAIN_MAX, &x)))
			return e;
		c->drain_s = (unsigned)x;
	} else {
		for (size_t i = 0; i < ORSP_ARRAY_LEN(ks_keys); i++)
			if (strcmp(k, ks_keys[i]) == 0)
				return bad(l, k,
				           "a key of a key set: it goes after a [keyset] line (one "
				           "per CI)");
		return bad(l, k, "unknown key");
	}
	return ORSP_OK;
}

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static bool same_point(const orsp_ec_key *a, const orsp_cert *c)
{
	uint8_t pa[ORSP_EC_POINT_LEN], pb[ORSP_EC_POINT_LEN];
	orsp_ec_key *k = NULL;
	bool ok = orsp_cert_public_key(c, &k) == ORSP_OK &&
	          orsp_ec_public_point(a, pa) == ORSP_OK &&
	          orsp_ec_public_point(k, pb) == ORSP_OK && memcmp(pa, pb, sizeof(pa)) == 0;
	orsp_ec_free(k);
	return ok;
}

/* Whether two CI certificates have the same subjectKeyIdentifier, the CI's identifier in
 * euiccCiPKIdListForVerification. */
static bool same_ci(const orsp_cert *a, const orsp_cert *b)
{
	uint8_t sa[64], sb[64];
	size_t la = 0, lb = 0;

	if (orsp_cert_ski(a, sa, sizeof(sa), &la) || orsp_cert_ski(b, sb, sizeof(sb), &lb)) {
		orsp_err_clear();
		return false;
	}
	return la == lb && memcmp(sa, sb, la) == 0;
}

orsp_err smdp_oid_der(const char *dotted, uint8_t *out, size_t cap, size_t *len)
{
	uint64_t arcs[32];
	size_t n = 0, o = 0;
	const char *p = dotted;

	while (*p) {
		char *end;
		if (n == ORSP_ARRAY_LEN(arcs) || *p < '0' || *p > '9')
			return orsp_errf(ORSP_E_USAGE, "bad OID %s", dotted);
		errno = 0;
		arcs[n++] = strtoull(p, &end, 10);
		if (errno || (*end && *end != '.') || (*end == '.' && !end[1]))
			return orsp_errf(ORSP_E_USAGE, "bad OID %s", dotted);
		p = *end ? end + 1 : end;
	}
	if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) || arcs[1] > UINT64_MAX - 80)
		return orsp_errf(ORSP_E_USAGE, "bad OID %s", dotted);
	arcs[1] += arcs[0] * 40;
	for (size_t i = 1; i < n; i++) {
		uint8_t tmp[10];
		size_t t = 0;
		for (uint64_t v = arcs[i]; t == 0 || v; v >>= 7)
			tmp[t++] = (uint8_t)(v & 0x7F);
		if (o + t > cap)
			return orsp_errf(ORSP_E_RESOURCE, "OID too long");
		while (t--)
			out[o++] = (uint8_t)(tmp[t] | (t ? 0x80 : 0));
	}
	*len = o;
	return ORSP_OK;
}

/* DER contents of an OID as dotted text, for messages; "(not printable)" for one with an
 * arc over 2^56 or a cut subidentifier. src/pkg has its own (pkg_internal.h oid_text), on
 * asn1c's OBJECT_IDENTIFIER_t and not public, so this one stays. */
static void oid_text(const uint8_t *p, size_t n, char *out, size_t cap)
{
	uint64_t v = 0;
	size_t o = 0;
	int w;

	for (size_t i = 0; i < n; i++) {
		if (v >> 56)
			goto unprintable;
		v = v << 7 | (p[i] & 0x7F);
		if (p[i] & 0x80)
			continue;
		if (o == 0) {
			/* X.690 §8.19.4: the first subidentifier is 40 * arc1 + arc2 */
			unsigned a = v < 80 ? (unsigned)(v / 40) : 2;
			w = snprintf(out, cap, "%u.%llu", a, (unsigned long long)(v - 40u * a));
		} else {
			w = snprintf(out + o, cap - o, ".%llu", (unsigned long long)v);
		}
		if (w < 0 || (size_t)w >= cap - o)
			goto unprintable;
		o += (size_t)w;
		v = 0;
	}
	if (n > 0 && !(p[n - 1] & 0x80))
		return;
unprintable:
	snprintf(out, cap, "(not printable)");
}

/* CERT.DPauth and CERT.DPpb name the SM-DP+ by their registeredID: the eUICC takes smdpOid
 * from them and the ES9+ handler compares it with `oid`, so a key set whose certificate
 * names another OID (or none) would have every installation result refused ("wrong
 * smdpOid") and every cancelSession too. Key k of key set i (ks_keys[k - 1]). */
static orsp_err check_ks_oid(const loader *l, size_t i, size_t k, const orsp_cert *cert)
{
	const char *key = ks_keys[k - 1];
	uint8_t want[64], rid[64];
	size_t wl = 0, rl = 0;
	char text[96];

	if (orsp_cert_rid(cert, rid, sizeof(rid), &rl)) {
		orsp_err_clear();
		return bad_ks(l, i, k, key,
		              "key set %zu: the certificate has no registeredID (the SM-DP+ OID, "
		              "which must be oid = %s): eUICCs take smdpOid from it",
		              i + 1, l->c->svc.oid);
	}
	if (smdp_oid_der(l->c->svc.oid, want, sizeof(want), &wl) == ORSP_OK && wl == rl &&
	    memcmp(want, rid, rl) == 0)
		return ORSP_OK;
	orsp_err_clear();
	oid_text(rid, rl, text, sizeof(text));
	return bad_ks(l, i, k, key,
	              "key set %zu: the certificate's registeredID (SM-DP+ OID) is %s, not oid = "
	              "%s: eUICCs take smdpOid from it, so every installation result and "
	              "cancelSession would be refused",
	              i + 1, text, l->c->svc.oid);
}

/* tls_key was given as a PKCS#11 URI: its key is tls_token_key, NULL when not loaded
 * (no_token_keys). A file's path is never "pkcs11:": path_value puts the configuration's
 * directory before a relative one, and refuses a URI. */
static bool tls_in_token(const orsp_smdp_config *c)
{
	return strcmp(c->tls_key, "pkcs11:") == 0;
}

/* tls_cert a DPtls certificate for fqdn under a trusted CI, and tls_key its key: a key of
 * another certificate would only fail when the HTTPS server starts, in GnuTLS's words. */
static orsp_err check_tls(loader *l)
{
	orsp_smdp_config *c = l->c;
	orsp_cert *tls = NULL;
	orsp_ec_key *k = NULL;
	size_t cert_len = 0, key_len = 0;
	bool mine, in_token = tls_in_token(c);
	orsp_err e;

	/* read as the HTTPS server will read them (PEM only, the certificate file nothing but
	 * certificates): a DER file passed the checks below and was refused only when the server
	 * started, after the database and its KEK were made, naming neither line nor key. Read
	 * once: the checks below and the server take these bytes (the configuration keeps them,
	 * orsp_smdp_config_free wipes the key's), not the files again */
	if (orsp_http_server_pem_read(c->tls_cert, false, c->tls_cert, &c->tls_cert_pem, &cert_len))
		return bad_at(l, "tls_cert", "tls_cert", "%s", orsp_err_detail());
	if (!in_token &&
	    orsp_http_server_pem_read(c->tls_key, true, c->tls_key, &c->tls_key_pem, &key_len))
		return bad_at(l, "tls_key", "tls_key", "%s", orsp_err_detail());
	/* the detail named the file, as orsp_cert_load_file's does */
	if (orsp_cert_load_mem(c->tls_cert_pem, cert_len, &tls))
		return bad_at(l, "tls_cert", "tls_cert", "cannot load the certificate: %s: %s",
		              c->tls_cert, orsp_err_detail());
	e = orsp_rsp_verify_server_cert(c->svc.cis, tls, ORSP_ROLE_DP_TLS, c->svc.fqdn, 0);
	if (e) {
		orsp_cert_free(tls);
		return bad_at(l, "tls_cert", "tls_cert",
		              "not a valid DPtls certificate for this fqdn: %s", orsp_err_detail());
	}
	if (c->tls_token_key && orsp_ec_curve(c->tls_token_key) != ORSP_CURVE_P256) {
		/* GnuTLS's handshakes sign with ECDSA P-256 and SHA-256 only through a token */
		orsp_cert_free(tls);
		return bad_at(l, "tls_key", "tls_key",
		              "a DPtls key in a PKCS#11 token must be on P-256 (this one is on %s)",
		              orsp_curve_name(orsp_ec_curve(c->tls_token_key)));
	}
	/* the token's key is the configuration's (kept); a file's comes from the bytes read
	 * above, of at most ORSP_EC_KEY_FILE_MAX as orsp_ec_load_private_file reads them */
	if (!in_token && key_len > ORSP_EC_KEY_FILE_MAX) {
		orsp_cert_free(tls);
		return bad_at(l, "tls_key", "tls_key",
		              "%s is not a usable private key (%s is larger than %d bytes)",
		              c->tls_key, c->tls_key, ORSP_EC_KEY_FILE_MAX);
	}
	if (!in_token && orsp_ec_load_private(c->tls_key_pem, key_len, &k)) {
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		orsp_cert_free(tls);
		return bad_at(l, "tls_key", "tls_key", "%s is not a usable private key (%s)",
		              c->tls_key, why);
	}
	if (k && orsp_ec_curve(k) != ORSP_CURVE_P256) {
		/* GnuTLS, the HTTPS server's TLS, has no brainpool curves */
		orsp_curve c_k = orsp_ec_curve(k); /* read before k is freed */
		orsp_ec_free(k);
		orsp_cert_free(tls);
		return bad_at(
		    l, "tls_key", "tls_key",
		    "the DPtls key must be on P-256: the HTTPS server (GnuTLS) cannot use "
		    "%s (serve plain HTTP behind a TLS proxy that can, or use a P-256 DPtls)",
		    orsp_curve_name(c_k));
	}
	/* a token's key not loaded (no_token_keys): nothing to compare */
	mine = (in_token && !c->tls_token_key) || same_point(in_token ? c->tls_token_key : k, tls);
	orsp_ec_free(k);
	c->tls_cert_parsed = tls; /* kept: orsp_smdp_config_free frees it */
	if (!mine)
		return bad_at(l, "tls_key", "tls_key", "does not belong to tls_cert (%s)",
		              c->tls_cert);
	return ORSP_OK;
}

/* Whether callback_key belongs to callback_cert (its first certificate), when both are EC
 * keys on the curves openrsp reads; another kind of key (RSA, say) is left to the first
 * connection. Both as their lines read them: the files are not read again. */
static bool callback_pair_ok(const loader *l)
{
	orsp_ec_key *pub = NULL;
	bool ok = true;

	if (l->callback_cert && l->callback_key &&
	    orsp_cert_public_key(l->callback_cert, &pub) == ORSP_OK)
		ok = same_point(l->callback_key, l->callback_cert);
	orsp_err_clear();
	orsp_ec_free(pub);
	return ok;
}

/* Whole-file checks once every line is read; each problem at the line of the key it names
 * (none for a key not given). */
static orsp_err check_all(loader *l)
{
	orsp_smdp_config *c = l->c;

	l->line = 0; /* for the keys missing */
	if (!c->svc.fqdn[0])
		return bad(l, "fqdn", "missing");
	if (!c->svc.oid[0])
		return bad(l, "oid", "missing");
	if (!c->database[0])
		return bad(l, "database", "missing");
	if (!c->svc.n_sets)
		return bad(l, "[keyset]", "at least one key set is needed");
	for (size_t i = 0; i < c->svc.n_sets; i++) {
		orsp_smdp_keyset *ks = &c->svc.sets[i];
		orsp_ci_store *one = NULL;
		orsp_err e;
		/* a token's key not loaded (no_token_keys) is given, but not compared */
		if (!ks->ci || !ks->dpauth_cert || !(ks->dpauth_key || l->ks_in_token[i][0]) ||
		    !ks->dppb_cert || !(ks->dppb_key || l->ks_in_token[i][1]))
			return bad_ks(
			    l, i, 0, "[keyset]",
			    "each key set needs ci, dpauth_cert, dpauth_key, dppb_cert, dppb_key");
		if (ks->dpauth_key && !same_point(ks->dpauth_key, ks->dpauth_cert))
			return bad_ks(l, i, 3, "dpauth_key", "does not belong to dpauth_cert");
		if (ks->dppb_key && !same_point(ks->dppb_key, ks->dppb_cert))
			return bad_ks(l, i, 5, "dppb_key", "does not belong to dppb_cert");
		if (orsp_ci_store_new(&one))
			return ORSP_E_RESOURCE;
		e = orsp_ci_store_add(one, ks->ci);
		if (!e)
			e = orsp_rsp_verify_server_cert(one, ks->dpauth_cert, ORSP_ROLE_DP_AUTH,
			                                NULL, 0);
		if (!e)
			e = orsp_rsp_verify_server_cert(one, ks->dppb_cert, ORSP_ROLE_DP_PB, NULL,
			                                0);
		orsp_ci_store_free(one);
		if (e)
			return bad_ks(l, i, 0, "[keyset]",
			              "DPauth/DPpb do not verify under its CI: %s",
			              orsp_err_detail());
		if ((e = check_ks_oid(l, i, 2, ks->dpauth_cert)) ||
		    (e = check_ks_oid(l, i, 4, ks->dppb_cert)))
			return e;
		/* one key set per CI: a session takes the first whose CI (by its key identifier)
		 * the eUICC lists, so a second one for the same CI would never be used */
		for (size_t j = 0; j < i; j++)
			if (same_ci(c->svc.sets[j].ci, ks->ci))
				return bad_ks(
				    l, i, 1, "ci",
				    "key set %zu has the CI of key set %zu (line %u): one "
				    "key set per CI (a session takes the first whose CI the "
				    "eUICC lists, so this one would never be used)",
				    i + 1, j + 1, l->ks_line[j][1]);
		if (orsp_ci_store_add(c->svc.cis, ks->ci))
			orsp_err_clear(); /* listed twice */
	}
	/* a CI past the 31st could never be chosen for a session (its index is in the
	 * transactionId): an eUICC that lists only it would be told "no supported CI" */
	if (orsp_ci_store_count(c->svc.cis) > ORSP_SMDP_MAX_CIS)
		return bad_at(l, "trusted_ci", "trusted_ci",
		              "%zu CIs trusted (trusted_ci lines and the key sets' ci), at most "
		              "%d",
		              orsp_ci_store_count(c->svc.cis), ORSP_SMDP_MAX_CIS);
	/* a CI's or an operator CA's CRL must verify under that CA now; an EUM's is verified at
	 * its first use */
	if (c->svc.crls) {
		orsp_cert **cas = NULL;
		size_t n = 0;
		orsp_err e = orsp_smdp_es2_client_cas(c, &cas, &n);
		if (!e)
			e = orsp_smdp_crl_bind(c, c->svc.crls, cas, n);
		orsp_cert_list_free(cas, n);
		if (e)
			return bad_at(l, "crl", "crl", "%s", orsp_err_detail());
	}
	if (c->plain_http) {
		if (c->tls_cert[0] || c->tls_key[0])
			return bad_at(l, "plain_http", "plain_http",
			              "yes, but tls_cert/tls_key are given");
		/* mutual TLS needs the server's TLS: a proxy in front cannot pass the client's
		 * certificate on */
		if (c->es2_client_ca[0])
			return bad_at(l, "es2_client_ca", "es2_client_ca",
			              "mutual TLS for ES2+, but plain_http = yes (no TLS here)");
	} else {
		orsp_err e;
		if (!c->tls_cert[0] || !c->tls_key[0])
			return bad_at(
			    l, c->tls_cert[0] ? "tls_cert" : "tls_key", "tls_cert",
			    "HTTPS needs tls_cert and tls_key (or plain_http = yes behind a "
			    "TLS-terminating proxy)");
		if ((e = check_tls(l)))
			return e;
	}
	/* reports to another host go over HTTPS, verified against the operator's CA (the
	 * system store is never used): without it every report would fail and be given up */
	if (strncmp(c->callback_url, "https://", 8) == 0 && !c->callback_ca[0])
		return bad_at(l, "callback_url", "callback_ca",
		              "callback_url is https://, but no callback_ca (the PEM CA of the "
		              "operator's server certificate) is given");
	/* a scraper holding the operator's token would have its ES2+ rights */
	if (c->metrics_token[0] && strlen(c->metrics_token) == strlen(c->es2_token) &&
	    orsp_ct_eq(c->metrics_token, c->es2_token, strlen(c->es2_token)))
		return bad_at(l, "metrics_token", "metrics_token",
		              "the same as es2_token: give /metrics a token of its own");
	if (!c->callback_cert[0] != !c->callback_key[0])
		return bad_at(l, c->callback_cert[0] ? "callback_cert" : "callback_key",
		              c->callback_cert[0] ? "callback_key" : "callback_cert",
		              "callback_cert and callback_key go together");
	if (c->callback_cert[0] && strncmp(c->callback_url, "https://", 8) != 0)
		return bad_at(l, "callback_cert", "callback_cert",
		              "needs an https:// callback_url");
	if (c->callback_cert[0] && !callback_pair_ok(l))
		return bad_at(l, "callback_key", "callback_key",
		              "does not belong to callback_cert");
	/* the idle timeout closes a connection before a longer wait is up (the HTTP server
	 * refuses it too, at start, without naming the line) */
	{
		unsigned t = c->timeout_s ? c->timeout_s : ORSP_HTTP_DEFAULT_TIMEOUT_S;
		if (c->idle_reset_ms != ORSP_HTTP_IDLE_RESET_NEVER && c->idle_reset_ms > 1000u * t)
			return bad_at(l, "idle_reset_ms", "idle_reset_ms",
			              "%u ms is longer than the idle timeout (timeout = %u s): at "
			              "most %u, or 0 for never",
			              c->idle_reset_ms, t, 1000u * t);
	}
	if (!c->kek_file[0] && snprintf(c->kek_file, sizeof(c->kek_file), "%s.kek", c->database) >=
	                           (int)sizeof(c->kek_file))
		return bad_at(l, "database", "database", "path too long");
	/* SQLite would delete or take over such a file, and the KEK with it */
	if (orsp_db_uri_not_own_file(c->database, c->kek_file, "KEK file"))
		return bad_at(l, "kek_file", "kek_file", "%s", orsp_err_detail());
	return ORSP_OK;
}

orsp_err orsp_smdp_config_load(const char *path, orsp_smdp_config *c)
{
	return orsp_smdp_config_load_ex(path, ORSP_SMDP_CONFIG_ALL, c);
}

orsp_err orsp_smdp_config_load_ex(const char *path, orsp_smdp_config_mode mode, orsp_smdp_config *c)
{
	/* the lines, and the stdio buffer they are read through, hold the tokens (es2_token,
	 * metrics_token): both are ours, wiped once the file is read */
	char line[LINE_MAX_], fbuf[4096], tmp[ORSP_SMDP_PATH_MAX];
	loader l = {0};
	FILE *f = NULL;
	orsp_err e = ORSP_OK;
	int fd;

	if (!path || !c ||
	    (mode != ORSP_SMDP_CONFIG_ALL && mode != ORSP_SMDP_CONFIG_NO_TOKEN_KEYS &&
	     mode != ORSP_SMDP_CONFIG_MAINTENANCE))
		return orsp_errf(ORSP_E_USAGE, "config: bad arguments");
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
	c->mode = mode;
	c->port = 8443;
	c->metrics_cache_s = 5;
	c->crl_reload_s = 60;
	c->callback_timeout_s = ORSP_SMDP_CALLBACK_TIMEOUT_DEFAULT;
	c->callback_senders = ORSP_SMDP_CALLBACK_SENDERS_DEFAULT;
	if ((e = orsp_ci_store_new(&c->svc.cis)))
		return e;
	l.file = path;
	l.c = c;
	l.no_token_keys = mode != ORSP_SMDP_CONFIG_ALL;
	l.no_crls = mode == ORSP_SMDP_CONFIG_MAINTENANCE;
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		orsp_smdp_config_free(c);
		return orsp_errf(ORSP_E_USAGE, "%.200s...: path of the configuration too long",
		                 path);
	}
	snprintf(l.dir, sizeof(l.dir), "%s", dirname(tmp));
	/* a regular file: a FIFO blocked the start for ever, a directory read as an empty file */
	if ((e = orsp_file_open_regular(path, &fd)) == ORSP_OK && !(f = fdopen(fd, "r"))) {
		close(fd);
		e = orsp_errf(ORSP_E_RESOURCE, "%s: out of memory", path);
	}
	if (e) {
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		orsp_smdp_config_free(c);
		return orsp_errf(ORSP_E_USAGE, "%s", why);
	}
	setvbuf(f, fbuf, _IOFBF, sizeof(fbuf));
	{
		struct stat st;
		l.mode = fstat(fileno(f), &st) == 0 ? st.st_mode : 0777;
	}
	/* whoever may write it chooses the keys, the database and whom the server trusts */
	if (l.mode & S_IWOTH)
		e = orsp_errf(ORSP_E_USAGE, "%s can be written by any user (chmod o-w it)", path);
	for (;;) {
		char *s, *eq;
		size_t n;
		/* no NUL in the buffer but the one fgets ends the text with: the last one is it,
		 * and an earlier one came from the file */
		memset(line, 1, sizeof(line));
		if (e || !fgets(line, sizeof(line), f))
			break;
		for (n = sizeof(line) - 1; line[n]; n--)
			;
		l.line++;
		/* the text after it would be dropped unseen (or the line taken as too long) */
		if (strlen(line) != n) {
			e = bad(&l, "line", "holds a NUL byte (a binary file, or UTF-16 text?)");
			continue;
		}
		/* a longer line would be read as two, its value cut (a PIN too) */
		if (!strchr(line, '\n') && !feof(f)) {
			e = bad(&l, "line", "longer than %d characters", LINE_MAX_ - 2);
			continue;
		}
		/* a UTF-8 byte order mark, as some editors on Windows start a file with: it made
		 * the first line "a line not shown" */
		s = trim(l.line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0 ? line + 3 : line);
		if (!s[0] || s[0] == '#' || s[0] == ';')
			continue;
		/* a comment after a section, as after a value: "[keyset]  # brainpoolP256r1" */
		for (char *h = s; s[0] == '[' && *h; h++)
			if (*h == '#' && (h[-1] == ' ' || h[-1] == '\t')) {
				*h = '\0';
				s = trim(s);
				break;
			}
		if (strcmp(s, "[keyset]") == 0) {
			if (c->svc.n_sets == ORSP_SMDP_MAX_KEYSETS)
				e = bad(&l, "[keyset]", "too many key sets (at most %d)",
				        ORSP_SMDP_MAX_KEYSETS);
			else {
				l.ks_line[c->svc.n_sets][0] = l.line;
				c->svc.n_sets++;
				l.in_keyset = true;
			}
			continue;
		}
		if (s[0] == '[') {
			char word[48];
			e = bad(&l, first_word(s, word, sizeof(word)), "unknown section");
			continue;
		}
		eq = strchr(s, '=');
		if (eq)
			*eq = '\0';
		if (!eq || !key_like(trim(s))) {
			char word[48];
			e = bad(&l, first_word(s, word, sizeof(word)), "expected key = value");
			continue;
		}
		/* a comment after the value: whitespace then '#' */
		for (char *h = eq + 1; *h; h++)
			if (*h == '#' && (h[-1] == ' ' || h[-1] == '\t')) {
				*h = '\0';
				break;
			}
		e = set_key(&l, trim(s), trim(eq + 1));
	}
	fclose(f);
	orsp_wipe(line, sizeof(line));
	orsp_wipe(fbuf, sizeof(fbuf));
	if (!e)
		e = check_all(&l);
	/* kept for the expiry warning and /metrics; the text is used only while its path is
	 * set, and so is the certificate */
	if (!e && c->callback_cert[0]) {
		c->callback_cert_parsed = l.callback_cert;
		l.callback_cert = NULL;
	}
	orsp_cert_free(l.callback_cert);
	orsp_ec_free(l.callback_key);
	if (e)
		orsp_smdp_config_free(c);
	return e;
}

bool orsp_smdp_crl_warn_stale(const orsp_smdp_config *c)
{
	orsp_crl_info *v = NULL;
	size_t n = 0;
	time_t now = time(NULL);
	bool said = false;

	if (!c || orsp_crl_store_infos(c->svc.crls, &v, &n) != ORSP_OK) {
		orsp_err_clear();
		return false;
	}
	/* each one by its file (the first file of one two hold byte for byte), as /metrics'
	 * crl label: until session 73 the line named none, and with several crl files the
	 * operator had to find it */
	for (size_t i = 0; i < n; i++) {
		char when[ORSP_UTC_TEXT_CAP];
		if (v[i].superseded || v[i].next_update >= now)
			continue;
		orsp_utc_text(v[i].next_update, 'T', when);
		/* also said by the running server (crl_reload): through the log's counted writer */
		orsp_log_line(
		    "openrsp smdp: warning: the CRL %s (crl) is past its nextUpdate (%s): "
		    "the certificates of its issuer \"%s\" are %s until a newer one is "
		    "given",
		    v[i].name, when, v[i].issuer_cn,
		    c->svc.crl_accept_stale ? "accepted unless listed (crl_stale = accept)"
		                            : "refused");
		said = true;
	}
	free(v);
	return said;
}

bool orsp_smdp_own_revoked(const orsp_smdp_config *c, const orsp_cert *cert, orsp_crl_why *why)
{
	orsp_slice d;

	if (!c || !cert || !orsp_crl_store_count(c->svc.crls))
		return false;
	d = orsp_cert_der(cert);
	for (size_t i = 0; i < c->svc.n_sets; i++) {
		orsp_crl_status st = ORSP_CRL_GOOD;
		if (orsp_crl_check_why(c->svc.crls, c->svc.sets[i].ci, d.p, d.len, 0, &st, why) !=
		        ORSP_OK &&
		    st == ORSP_CRL_REVOKED) {
			orsp_err_clear();
			return true;
		}
	}
	orsp_err_clear();
	return false;
}

/* One warning line when the CRLs of c revoke cert (what: its role); true then. */
static bool own_revoked(const orsp_smdp_config *c, const orsp_cert *cert, const char *what)
{
	orsp_crl_why why;

	if (!orsp_smdp_own_revoked(c, cert, &why))
		return false;
	/* also said by the running server after a reading of the CRLs (crl_reload) */
	orsp_log_line("openrsp smdp: warning: this SM-DP+'s %s certificate (serial %s) is revoked "
	              "by the CRL %s (%s, since %s): an eUICC or LPA that checks revocation "
	              "refuses this server",
	              what, why.serial, why.crl, why.reason, why.when);
	return true;
}

bool orsp_smdp_own_cert(const orsp_smdp_config *c, size_t i, const orsp_cert **cert,
                        const char **what, size_t *keyset)
{
	if (!c)
		return false;
	if (i < 2 * c->svc.n_sets) {
		const orsp_smdp_keyset *k = &c->svc.sets[i / 2];
		*cert = i % 2 ? k->dppb_cert : k->dpauth_cert;
		*what = i % 2 ? "DPpb" : "DPauth";
		*keyset = i / 2 + 1;
		return true;
	}
	if (i == 2 * c->svc.n_sets && c->tls_cert_parsed) {
		*cert = c->tls_cert_parsed;
		*what = "DPtls";
		*keyset = 0;
		return true;
	}
	return false;
}

bool orsp_smdp_own_cert_all(const orsp_smdp_config *c, size_t i, const orsp_cert **cert,
                            const char **what, size_t *keyset)
{
	if (orsp_smdp_own_cert(c, i, cert, what, keyset))
		return true;
	/* as its text, used only while its path is set; right after orsp_smdp_own_cert's last
	 * (i the first index it has none for) */
	if (!c || !c->callback_cert_parsed || !c->callback_cert[0] ||
	    (i > 0 && !orsp_smdp_own_cert(c, i - 1, cert, what, keyset)))
		return false;
	*cert = c->callback_cert_parsed;
	*what = "callback";
	*keyset = 0;
	return true;
}

bool orsp_smdp_warn_expiry(const char *who, time_t not_after)
{
	char when[ORSP_UTC_TEXT_CAP];

	if (not_after - time(NULL) >= (time_t)ORSP_SMDP_EXPIRY_WARN_DAYS * 86400)
		return false;
	orsp_utc_text(not_after, 'T', when);
	fprintf(stderr, "openrsp smdp: warning: %s expires on %s, in less than %d days: renew it\n",
	        who, when, ORSP_SMDP_EXPIRY_WARN_DAYS);
	return true;
}

size_t orsp_smdp_own_warn_expiry(const orsp_smdp_config *c)
{
	const orsp_cert *cert;
	const char *what;
	size_t n = 0, keyset;

	for (size_t i = 0; orsp_smdp_own_cert_all(c, i, &cert, &what, &keyset); i++) {
		char who[64];
		time_t na = 0;

		if (orsp_cert_validity(cert, NULL, &na) != ORSP_OK) {
			orsp_err_clear(); /* the configuration parsed it: not seen */
			continue;
		}
		snprintf(who, sizeof(who), "the %s certificate", what);
		n += orsp_smdp_warn_expiry(who, na);
	}
	return n;
}

size_t orsp_smdp_crl_warn_own(const orsp_smdp_config *c)
{
	const orsp_cert *cert;
	const char *what;
	size_t n = 0, keyset;

	if (!c || !orsp_crl_store_count(c->svc.crls))
		return 0;
	for (size_t i = 0; orsp_smdp_own_cert(c, i, &cert, &what, &keyset); i++)
		n += own_revoked(c, cert, what);
	return n;
}

size_t orsp_smdp_crl_warn_missing_ci(const orsp_smdp_config *c)
{
	size_t n = 0, ncrl;
	const orsp_cert *ci;

	if (!c || !(ncrl = orsp_crl_store_count(c->svc.crls)))
		return 0;
	for (size_t i = 0; (ci = orsp_ci_store_at(c->svc.cis, i)) != NULL; i++) {
		char subject[256] = "";
		bool found = false;

		for (size_t k = 0; k < ncrl && !found; k++)
			found = orsp_crl_store_issued_by(c->svc.crls, k, ci) == ORSP_OK;
		orsp_err_clear();
		if (found)
			continue;
		if (orsp_cert_subject_text(ci, subject, sizeof(subject)) != ORSP_OK)
			orsp_err_clear();
		fprintf(
		    stderr,
		    "openrsp smdp: warning: no CRL of the CI \"%s\" among the crl files: an EUM "
		    "certificate it revoked is not refused\n",
		    subject);
		n++;
	}
	return n;
}

size_t orsp_smdp_crl_warn_es2_anchor(const orsp_smdp_config *c)
{
	size_t n = 0, ncrl, warned = 0;
	orsp_cert **cas = NULL;

	if (!c || !(ncrl = orsp_crl_store_count(c->svc.crls)))
		return 0;
	if (orsp_smdp_es2_client_cas(c, &cas, &n) != ORSP_OK) {
		orsp_err_clear(); /* the configuration read them: not seen */
		return 0;
	}
	for (size_t j = 0; j < n; j++) {
		/* a root (self-issued), or one whose issuer is listed too: judged as it should */
		bool judged = orsp_cert_issuer_is(cas[j], cas[j]);
		for (size_t k = 0; k < n && !judged; k++)
			judged = orsp_cert_issuer_is(cas[j], cas[k]);
		for (size_t i = 0; i < ncrl && !judged; i++) {
			char issuer[256] = "", subject[256] = "";
			orsp_crl_info info;
			if (!orsp_crl_store_of_issuer_of(c->svc.crls, i, cas[j]) ||
			    orsp_crl_store_info(c->svc.crls, i, &info) != ORSP_OK)
				continue;
			if (orsp_cert_issuer_text(cas[j], issuer, sizeof(issuer)) != ORSP_OK ||
			    orsp_cert_subject_text(cas[j], subject, sizeof(subject)) != ORSP_OK)
				orsp_err_clear(); /* a name too long to print: said without it */
			orsp_log_line(
			    "openrsp smdp: warning: crl %s is issued by \"%s\", the issuer "
			    "of es2_client_ca's CA \"%s\": es2_client_ca trusts that CA "
			    "directly, so this CRL cannot revoke it; list \"%s\"'s "
			    "certificate in es2_client_ca too (beside it, or instead of it) "
			    "to have it judged",
			    info.name, issuer, subject, issuer);
			warned++;
		}
	}
	orsp_err_clear(); /* the NOT_FOUND of a count passed meanwhile */
	orsp_cert_list_free(cas, n);
	return warned;
}

/* stderr: the server's log, whose lost lines are counted (orsp_log_line) */
static void crl_line(FILE *f, const char *prefix, const char *line)
{
	if (f == stderr)
		orsp_log_line("%s%s", prefix, line);
	else
		fprintf(f, "%s%s\n", prefix, line);
}

orsp_err orsp_smdp_es2_client_cas(const orsp_smdp_config *c, orsp_cert ***cas, size_t *n)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	orsp_err e;

	if (!c || !cas || !n)
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_es2_client_cas: NULL argument");
	*cas = NULL;
	*n = 0;
	if (!c->es2_client_ca[0])
		return ORSP_OK;
	if (c->es2_client_ca_pem)
		return orsp_cert_pem_bundle_certs(c->es2_client_ca_pem,
		                                  strlen(c->es2_client_ca_pem), cas, n);
	if ((e = orsp_cert_pem_bundle_read(c->es2_client_ca, &pem, &len)) == ORSP_OK &&
	    (e = orsp_cert_pem_bundle_certs(pem, len, cas, n)) != ORSP_OK) {
		char why[ORSP_ERR_DETAIL_MAX];
		snprintf(why, sizeof(why), "%s", orsp_err_detail());
		e = orsp_errf(e, "es2_client_ca: %s: %s", c->es2_client_ca, why);
	}
	free(pem);
	return e;
}

orsp_err orsp_smdp_crl_bind(const orsp_smdp_config *c, orsp_crl_store *s, orsp_cert *const *cas,
                            size_t n)
{
	orsp_err e;

	if (!c || !s)
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_crl_bind: NULL argument");
	if ((e = orsp_crl_store_bind(s, c->svc.cis, NULL)))
		return e;
	return orsp_crl_store_bind_client_cas(s, cas, n, NULL);
}

void orsp_smdp_crl_print(const orsp_smdp_config *c, FILE *f, const char *prefix)
{
	char line[ORSP_SMDP_PATH_MAX + 256];

	for (size_t i = 0;
	     c && orsp_crl_store_describe(c->svc.crls, i, 0, line, sizeof(line)) == ORSP_OK; i++)
		crl_line(f, prefix, line);
	/* and the files whose CRL is held from another: every `crl` file has its line */
	for (size_t i = 0;
	     c && orsp_crl_store_describe_copy(c->svc.crls, i, line, sizeof(line)) == ORSP_OK; i++)
		crl_line(f, prefix, line);
	orsp_err_clear(); /* the NOT_FOUND that ended the lists */
}

/* A CA bundle of the configuration (pem, read from path for the key what, counted v at
 * load) with certificates out of validity, or one ending within ORSP_SMDP_EXPIRY_WARN_DAYS:
 * said on stderr. Until session 71 only `serve --check` said it, not the start. */
static void ca_warn(const char *what, const char *path, const char *pem,
                    const orsp_smdp_ca_validity *v)
{
	if (!pem)
		return;
	if (v->current < v->n)
		fprintf(stderr,
		        "openrsp smdp: warning: %s %s: %zu of its %zu certificates %s out of "
		        "validity (expired or not valid yet)\n",
		        what, path, v->n - v->current, v->n, v->n - v->current == 1 ? "is" : "are");
	if (v->current) {
		char who[ORSP_SMDP_PATH_MAX + 64];
		snprintf(who, sizeof(who), "%s %s: a certificate", what, path);
		(void)orsp_smdp_warn_expiry(who, v->soonest);
	}
}

orsp_err orsp_smdp_config_kek_missing(const orsp_smdp_config *c, orsp_err e)
{
	if (e != ORSP_E_NOT_FOUND || !c)
		return e;
	/* until session 73 only "KEK file PATH does not exist" */
	return orsp_errf(ORSP_E_NOT_FOUND,
	                 "no KEK file at %s for %s (kek_file in the configuration names it, "
	                 "the database's path and .kek when not given, or ORSP_KEK holds the "
	                 "key)",
	                 c->kek_file, c->database);
}

/* The SKI of ci in hex into out, "?" when it has none. */
#define SKI_HEX_CAP 129
static void ski_hex(const orsp_cert *ci, char out[SKI_HEX_CAP])
{
	uint8_t ski[64];
	size_t n = 0;

	if (orsp_cert_ski(ci, ski, sizeof(ski), &n) || orsp_hex_encode(ski, n, out, SKI_HEX_CAP)) {
		orsp_err_clear();
		snprintf(out, SKI_HEX_CAP, "?");
	}
}

size_t orsp_smdp_warn_dptls_ci(const orsp_smdp_config *c)
{
	const orsp_cert *issuer = NULL, *ci;
	char issuer_hex[SKI_HEX_CAP];
	size_t n = 0;

	if (!c || c->plain_http || !c->tls_cert_parsed)
		return 0;
	/* the CI the DPtls verified under when the configuration was read (check_tls) */
	for (size_t i = 0; !issuer && (ci = orsp_ci_store_at(c->svc.cis, i)) != NULL; i++) {
		orsp_ci_store *one = NULL;
		if (orsp_ci_store_new(&one) == ORSP_OK && orsp_ci_store_add(one, ci) == ORSP_OK &&
		    orsp_rsp_verify_server_cert(one, c->tls_cert_parsed, ORSP_ROLE_DP_TLS,
		                                c->svc.fqdn, 0) == ORSP_OK)
			issuer = ci;
		orsp_err_clear();
		orsp_ci_store_free(one);
	}
	if (!issuer)
		return 0; /* expired since, say: the expiry warning speaks of it */
	ski_hex(issuer, issuer_hex);
	for (size_t i = 0; i < c->svc.n_sets; i++) {
		char ks_hex[SKI_HEX_CAP];
		if (same_ci(c->svc.sets[i].ci, issuer))
			continue;
		ski_hex(c->svc.sets[i].ci, ks_hex);
		orsp_log_line(
		    "openrsp smdp: warning: key set %zu (CI %s): an eUICC that trusts only "
		    "that CI refuses this server's DPtls, issued under CI %s (SGP.22: the "
		    "LPA checks it against the eUICC's CIs); serve such eUICCs through a "
		    "TLS proxy holding a DPtls of that CI, or over plain_http behind one",
		    i + 1, ks_hex, issuer_hex);
		n++;
	}
	return n;
}

void orsp_smdp_config_warn(const orsp_smdp_config *c)
{
	(void)orsp_smdp_crl_warn_stale(c);
	(void)orsp_smdp_crl_warn_own(c);
	(void)orsp_smdp_own_warn_expiry(c);
	if (c) {
		ca_warn("callback_ca", c->callback_ca, c->callback_ca_pem,
		        &c->callback_ca_validity);
		ca_warn("es2_client_ca", c->es2_client_ca, c->es2_client_ca_pem,
		        &c->es2_client_ca_validity);
	}
	(void)orsp_smdp_crl_warn_missing_ci(c);
	(void)orsp_smdp_crl_warn_es2_anchor(c);
	(void)orsp_smdp_warn_dptls_ci(c);
	if (c && c->plain_http && (c->es2_token[0] || c->metrics_token[0]) &&
	    !loopback_listen(c->listen))
		fprintf(stderr,
		        "openrsp smdp: warning: plain_http on %s: the %s bearer token%s crosses "
		        "the network in clear, to be read by whoever sees the traffic, unless the "
		        "proxy in front is on this host (listen = 127.0.0.1) or the path to it is "
		        "protected otherwise\n",
		        c->listen[0] ? c->listen : "127.0.0.1",
		        c->es2_token[0] && c->metrics_token[0] ? "ES2+ and /metrics"
		        : c->es2_token[0]                      ? "ES2+"
		                                               : "/metrics",
		        c->es2_token[0] && c->metrics_token[0] ? "s" : "");
	for (size_t i = 0; c && i < c->n_trusted_proxies; i++) {
		char text[ORSP_HTTP_PREFIX_TEXT_MAX];
		if (c->trusted_proxies[i].bits)
			continue;
		orsp_http_prefix_text(&c->trusted_proxies[i], text, sizeof(text));
		fprintf(stderr,
		        "openrsp smdp: warning: trusted_proxies %s takes every %s peer for a "
		        "proxy: any such client chooses the address logged for it "
		        "(X-Forwarded-For)\n",
		        text, c->trusted_proxies[i].v6 ? "IPv6" : "IPv4");
	}
}

void orsp_smdp_config_free(orsp_smdp_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ORSP_SMDP_MAX_KEYSETS; i++) {
		orsp_cert_free(c->svc.sets[i].ci);
		orsp_cert_free(c->svc.sets[i].dpauth_cert);
		orsp_ec_free(c->svc.sets[i].dpauth_key);
		orsp_cert_free(c->svc.sets[i].dppb_cert);
		orsp_ec_free(c->svc.sets[i].dppb_key);
	}
	orsp_ci_store_free(c->svc.cis);
	orsp_crl_store_free(c->svc.crls);
	free(c->crl_files);
	orsp_ec_free(c->tls_token_key);
	if (c->tls_key_pem)
		orsp_wipe(c->tls_key_pem, strlen(c->tls_key_pem));
	free(c->tls_key_pem);
	free(c->tls_cert_pem);
	orsp_cert_free(c->tls_cert_parsed);
	orsp_cert_free(c->callback_cert_parsed);
	if (c->callback_key_pem)
		orsp_wipe(c->callback_key_pem, strlen(c->callback_key_pem));
	free(c->callback_key_pem);
	free(c->callback_cert_pem);
	free(c->callback_ca_pem);
	free(c->es2_client_ca_pem);
	orsp_wipe(c, sizeof(*c));
}

void orsp_smdp_crl_file_id(const char *path, orsp_smdp_crl_file *f)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		f->stat_errno = errno ? errno : ENOENT;
		f->dev = f->ino = f->size = 0;
		f->mtime_ns = f->ctime_ns = 0;
		return;
	}
	f->stat_errno = 0;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->size = (uint64_t)st.st_size;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
}

bool orsp_smdp_crl_file_same(const orsp_smdp_crl_file *a, const orsp_smdp_crl_file *b)
{
	return a->stat_errno == b->stat_errno && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}
