/* `openrsp pki crl-fetch`: keep a CRL file current from its issuer's distribution point
 * (docs/pki.md). The CRL fetched must be the issuer's and verify with its key, and must not be
 * older than the one in the file; only then is the file replaced, at once (orsp_file_replace),
 * so that an SM-DP+ reading it (`crl_reload`) finds the old CRL or the new one, never part of
 * either, a forged one or an older one. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "openrsp/crypto.h"
#include "openrsp/http.h"

#define FETCH_MAX (64u << 20) /* as orsp_crl_store_add_file reads a file */
#define FETCH_TIMEOUT_S 60

enum { OPT_ISSUER_CERT = CLI_OPT_CMD, OPT_OUT, OPT_CA_FILE, OPT_TIMEOUT, OPT_FOR };

typedef struct fetch_opts {
	const char *url, *cert, *out, *ca_file;
	const char *for_cert; /* --for: the URLs are this certificate's distribution points */
	unsigned timeout_s;
} fetch_opts;

static int parse_fetch(int argc, char **argv, fetch_opts *o)
{
	static const struct option opts[] = {
	    {"issuer-cert", required_argument, NULL, OPT_ISSUER_CERT},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"ca-file", required_argument, NULL, OPT_CA_FILE},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"for", required_argument, NULL, OPT_FOR},
	    {NULL, 0, NULL, 0},
	};
	const char *timeout = NULL;
	uint64_t v;
	int c, rc;

	o->timeout_s = FETCH_TIMEOUT_S;
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case '?':
			return CLI_USAGE;
		case OPT_ISSUER_CERT:
			o->cert = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_CA_FILE:
			o->ca_file = optarg;
			break;
		case OPT_TIMEOUT:
			timeout = optarg;
			break;
		case OPT_FOR:
			o->for_cert = optarg;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if (o->for_cert) {
		/* the URLs come from the certificate */
		if (optind < argc)
			return cli_usage("URL", "not with --for, which takes the URLs from CERT");
		if (!o->for_cert[0])
			return cli_usage("--for", "empty path");
	} else {
		if ((rc = cli_positional(argc, argv, 1, "URL")) != CLI_OK)
			return rc;
		o->url = argv[optind];
		if (strncasecmp(o->url, "http://", 7) != 0 &&
		    strncasecmp(o->url, "https://", 8) != 0)
			return cli_usage("URL", "expected an http:// or https:// URL");
		if (strlen(o->url) > 2048)
			return cli_usage("URL", "longer than 2048 characters");
	}
	if (!o->cert)
		return cli_missing("--issuer-cert");
	if (!o->out)
		return cli_missing("--out");
	if (!o->cert[0] || !o->out[0] || (o->ca_file && !o->ca_file[0]))
		return cli_usage(!o->cert[0]  ? "--issuer-cert"
		                 : !o->out[0] ? "--out"
		                              : "--ca-file",
		                 "empty path");
	if ((rc = cli_not_stdout("--out", o->out, "file")) != CLI_OK)
		return rc;
	/* what orsp_file_replace will refuse, refused before anything is fetched: a link was
	 * read through as the old CRL, then replaced by a file, so the SM-DP+'s `crl` naming
	 * its target kept the old CRL (until session 70) */
	if (orsp_file_check_replaceable(o->out) != ORSP_OK)
		return cli_fail("--out", ORSP_E_USAGE);
	if (o->url && strncasecmp(o->url, "https://", 8) == 0 && !o->ca_file)
		return cli_usage("--ca-file",
		                 "an https:// URL needs the trust anchors of its server (no system "
		                 "store is used)");
	if (timeout) {
		if ((rc = cli_uint("--timeout", timeout, 1, 3600, &v)) != CLI_OK)
			return rc;
		o->timeout_s = (unsigned)v;
	}
	return CLI_OK;
}

/* GET url into *r (status 200 only). */
static int fetch(const fetch_opts *o, orsp_http_result *r)
{
	orsp_http_client_opts co = {0};
	orsp_http_client *c = NULL;
	orsp_err e;

	co.ca_file = o->ca_file;
	co.max_response = FETCH_MAX;
	co.timeout_ms = o->timeout_s * 1000u;
	co.connect_timeout_ms = o->timeout_s < 10 ? o->timeout_s * 1000u : 10000u;
	memset(r, 0, sizeof(*r));
	if ((e = orsp_http_client_new(&co, &c)) != ORSP_OK)
		return cli_fail(o->url, e);
	e = orsp_http_client_request(c, "GET", o->url, NULL, NULL, 0, r);
	orsp_http_client_free(c);
	if (e)
		return cli_fail(o->url, e);
	if (r->status != 200)
		return cli_failf(o->url, "answered HTTP %ld, not 200", r->status);
	return CLI_OK;
}

/* The single CRL in data (name for messages) into a new store *s, with its info; the issuer's
 * and verified by its key. */
static orsp_err one_crl(const void *data, size_t len, const char *name, const orsp_cert *issuer,
                        orsp_crl_store **s, orsp_crl_info *info)
{
	orsp_err e = orsp_crl_store_new(s);

	if (!e)
		e = orsp_crl_store_add_mem(*s, data, len, name);
	if (!e && orsp_crl_store_count(*s) != 1)
		e = orsp_errf(ORSP_E_POLICY, "%s holds %zu CRLs, not one", name,
		              orsp_crl_store_count(*s));
	if (!e)
		e = orsp_crl_store_issued_by(*s, 0, issuer);
	if (!e)
		e = orsp_crl_store_info(*s, 0, info);
	return e;
}

/* Whether the CRL fetched (fresh) may replace the one of the file (the file's bytes old,
 * old_len): CLI_OK with *same when they are the same bytes; a failure when the file holds
 * another issuer's CRLs, several, or one newer than fresh. A file that holds no CRL, or one
 * the issuer's key does not verify, is replaced. */
static int may_replace(const fetch_opts *o, const orsp_cert *issuer, const orsp_crl_info *fresh,
                       const uint8_t *body, size_t body_len, bool *same)
{
	uint8_t *old = NULL;
	size_t old_len = 0;
	orsp_crl_store *s = NULL;
	orsp_crl_info held;
	char a[32], b[32];
	int rc = CLI_OK, by_number;
	orsp_err e;

	*same = false;
	e = orsp_cert_pem_bundle_read(o->out, &old, &old_len);
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear(); /* no file yet: nothing to compare with */
		return CLI_OK;
	}
	if (e)
		return cli_fail(o->out, e);
	if (old_len == body_len && memcmp(old, body, body_len) == 0) {
		*same = true;
		goto out;
	}
	e = one_crl(old, old_len, o->out, issuer, &s, &held);
	if (e == ORSP_E_MALFORMED || e == ORSP_E_VERIFY) {
		/* not a CRL at all (cut short, emptied), or the issuer's key does not verify it
		 * (damaged, forged): nothing to compare with, and the CRL fetched mends it */
		fprintf(stderr,
		        "openrsp: %s: holds no CRL that reads and verifies (%s): replaced\n",
		        o->out, orsp_err_detail());
		orsp_err_clear();
		goto out;
	}
	if (e) {
		rc = cli_failf(o->out, "not replaced: %s", orsp_err_detail());
		goto out;
	}
	/* the cRLNumbers compared when both have one */
	by_number = fresh->number[0] && held.number[0]
	                ? orsp_crl_number_cmp(fresh->number, held.number)
	                : 1;
	if (fresh->this_update < held.this_update || by_number < 0) {
		orsp_utc_text(fresh->this_update, 'T', a);
		orsp_utc_text(held.this_update, 'T', b);
		rc = cli_failf(o->url,
		               "older than the CRL in %s (thisUpdate %s, cRLNumber %s; there %s, "
		               "%s): not replaced",
		               o->out, a, fresh->number[0] ? fresh->number : "none", b,
		               held.number[0] ? held.number : "none");
		goto out;
	}
	if (by_number == 0) {
		rc = cli_failf(o->url,
		               "cRLNumber %s is that of the CRL in %s, but the two differ (RFC "
		               "5280 §5.2.3: a number names one CRL): not replaced",
		               fresh->number, o->out);
		goto out;
	}
out:
	orsp_crl_store_free(s);
	free(old);
	return rc;
}

/* --for CERT: the http(s) URLs of CERT's cRLDistributionPoints, which must name issuer's CRL
 * (CERT issued by issuer, cli_pki_issued_by: else the CRL that would list it is another's). */
static int urls_of(const fetch_opts *o, const orsp_cert *issuer,
                   char (*urls)[ORSP_CERT_URL_MAX + 1], size_t *n)
{
	orsp_cert *c = NULL;
	orsp_ec_key *pub = NULL;
	int rc;
	orsp_err e;

	if ((e = orsp_cert_load_file(o->for_cert, &c)) != ORSP_OK)
		return cli_fail(o->for_cert, e);
	if ((e = orsp_cert_public_key(issuer, &pub)) != ORSP_OK)
		rc = cli_fail(o->cert, e);
	else if ((rc = cli_pki_issued_by(c, o->for_cert, issuer, o->cert, pub)) == CLI_OK &&
	         (e = orsp_cert_crl_urls(c, urls, ORSP_CERT_MAX_CRL_URLS, n)) != ORSP_OK)
		rc = cli_fail(o->for_cert, e);
	orsp_ec_free(pub);
	orsp_cert_free(c);
	return rc;
}

static int pki_crl_fetch_run(const fetch_opts *o)
{
	orsp_cert *issuer = NULL;
	orsp_crl_store *s = NULL;
	orsp_http_result r = {0};
	orsp_crl_info info;
	char next[32], this[32];
	char urls[ORSP_CERT_MAX_CRL_URLS][ORSP_CERT_URL_MAX + 1];
	size_t n_urls = 1;
	fetch_opts cur = *o;
	bool same = false;
	int rc;
	orsp_err e;

	if ((e = orsp_cert_load_file(o->cert, &issuer)) != ORSP_OK) {
		rc = cli_fail(o->cert, e);
		goto out;
	}
	if (o->for_cert && (rc = urls_of(o, issuer, urls, &n_urls)) != CLI_OK)
		goto out;
	/* the distribution points in turn: the first that gives the issuer's CRL is taken */
	rc = CLI_FAIL;
	for (size_t i = 0; i < n_urls && rc != CLI_OK; i++) {
		if (o->for_cert)
			cur.url = urls[i];
		orsp_http_result_free(&r);
		memset(&r, 0, sizeof(r));
		orsp_crl_store_free(s);
		s = NULL;
		if (strncasecmp(cur.url, "https://", 8) == 0 && !o->ca_file)
			rc =
			    cli_failf(cur.url, "an https:// URL needs --ca-file (the trust anchors "
			                       "of its server; no system store is used)");
		else if ((rc = fetch(&cur, &r)) == CLI_OK &&
		         (e = one_crl(r.body, r.body_len, cur.url, issuer, &s, &info)) != ORSP_OK)
			rc = cli_failf("pki crl-fetch", "not taken: %s", orsp_err_detail());
		/* a point that lags (an older CRL than FILE's) is that point's failure: the next
		 * may have the newer one */
		else if (rc == CLI_OK)
			rc = may_replace(&cur, issuer, &info, r.body, r.body_len, &same);
		if (rc != CLI_OK && i + 1 < n_urls)
			fprintf(stderr, "openrsp: %s: trying the next distribution point, %s\n",
			        o->for_cert, urls[i + 1]);
	}
	if (rc != CLI_OK)
		goto out;
	orsp_utc_text(info.this_update, 'T', this);
	orsp_utc_text(info.next_update, 'T', next);
	if (!same && (e = orsp_file_replace(o->out, r.body, r.body_len, 0644)) != ORSP_OK) {
		rc = cli_fail(o->out, e);
		goto out;
	}
	printf("%s: %s: CRL of \"%s\", %zu revoked, cRLNumber %s, this update %s, next update "
	       "%s%s%s\n",
	       o->out, same ? "unchanged" : "updated", info.issuer_cn, info.revoked,
	       info.number[0] ? info.number : "none", this, next, o->for_cert ? ", from " : "",
	       o->for_cert ? cur.url : "");
	fflush(stdout);
	if (info.next_update < time(NULL))
		fprintf(stderr,
		        "openrsp: %s: warning: the CRL is past its nextUpdate (%s): an SM-DP+ "
		        "holding it refuses what its issuer issued (1.2/4.2) unless crl_stale = "
		        "accept\n",
		        cur.url, next);
out:
	orsp_http_result_free(&r);
	orsp_crl_store_free(s);
	orsp_cert_free(issuer);
	return rc;
}

int cli_pki_crl_fetch(int argc, char **argv)
{
	fetch_opts o = {0};
	int rc = parse_fetch(argc, argv, &o);

	return rc ? rc : pki_crl_fetch_run(&o);
}
