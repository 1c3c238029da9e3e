/* `openrsp bench smdp`: complete profile downloads per second against a running SM-DP+.
 *
 * The SM-DP+ runs as its own process (`openrsp smdp serve`, the same binary) on a
 * throw-away private PKI and database with N generated, ordered and released profiles, so
 * that its CPU time can be read from /proc and compared with the cost of the cryptography
 * one download needs on the server side, measured in the same run. C client threads play
 * eUICCs with real signatures (the eUICC key of the PKI: CERT.EUICC and CERT.EUM chain to
 * the CI like a card's) and run the four ES9+ calls of a download — initiateAuthentication,
 * authenticateClient, getBoundProfilePackage, handleNotification with a signed
 * ProfileInstallationResult — over one HTTP(S) keep-alive connection each. With --servers S,
 * S such processes share the one database and each client keeps a connection to each.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_smdp.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/bsp.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"

#define FQDN "smdp-bench.openrsp.test"
#define OID "2.999.10"
#define P 4096
#define MID_MAX 64    /* a matching ID pattern, in bytes */
#define SERVERS_MAX 8 /* --servers */
/* with --url: how long the Installed count may lag (openrsp's metrics_cache is 5 s) */
#define METRICS_WAIT_S 6

/* Set by SIGINT, SIGTERM or SIGHUP (cli_stop_on_signals): every phase of a run stops at its
 * next step, and the run ends as any failed one does, its server stopped and its throw-away
 * directory removed. */
static volatile sig_atomic_t *stopped;

static orsp_err stop_error(void)
{
	return orsp_errf(ORSP_E_STATE, "stopped by a signal");
}

enum {
	OPT_DOWNLOADS = CLI_OPT_CMD,
	OPT_CLIENTS,
	OPT_THREADS,
	OPT_PLAIN,
	OPT_JSON,
	OPT_URL,
	OPT_PID,
	OPT_PKI,
	OPT_ADDRESS,
	OPT_MID,
	OPT_REFUSED,
	OPT_SERVERS,
	OPT_STICKY,
	OPT_RECONNECT,
	OPT_CRL
};

/* ---------------------------------------------------------------- a simulated eUICC ----- */

/* One eUICC per download, as in the field: its own key pair, EID and certificate under
 * the PKI's EUM (a server that caches per-eUICC work gains nothing from repeats). */
typedef struct sim_id {
	orsp_ec_key *sk;
	uint8_t *cert;
	size_t cert_len;
	uint8_t eid[16]; /* its EID as the BPP's key derivation takes it */
} sim_id;

typedef struct sim {
	sim_id *ids; /* one per download */
	size_t n_ids;
	uint8_t eum[1024];
	size_t eum_len;
	uint8_t ski[32];
	size_t ski_len;
	orsp_curve curve; /* the EUM key's: the PKI's one curve (as x509_issue.c keeps it) */
} sim;

typedef struct client {
	const sim *s;
	const char *const *bases; /* the servers' base URLs, nserv of them */
	size_t nserv, home;       /* home: the client's server with sticky */
	bool sticky;
	bool reconnect; /* a new connection per request */
	const char *ca;
	const char *fqdn; /* the SM-DP+ address */
	const char *mid;  /* matching ID, "{n}" standing for the download's number */
	bool tls;
	size_t first, count; /* orders BENCH-<first> .. */
	double *lat;         /* seconds per download */
	size_t done;
	orsp_err err;
	char detail[256];
} client;

static orsp_err post(orsp_http_client *h, const char *base, const char *fn, json_t *req,
                     json_t **rsp)
{
	static const char *const hdr[] = {"User-Agent: gsma-rsp-lpad", NULL};
	char url[300], *body = NULL;
	size_t bl = 0;
	orsp_http_result r;
	orsp_json_status st;
	orsp_err e;

	*rsp = NULL;
	snprintf(url, sizeof(url), "%s/gsma/rsp2/es9plus/%s", base, fn);
	if ((e = orsp_json_dump(req, &body, &bl)))
		return e;
	json_decref(req);
	e = orsp_http_client_post_json(h, url, body, bl, hdr, &r);
	free(body);
	if (!e && r.status == 200)
		e = orsp_json_parse(r.body, r.body_len, 1 << 20, rsp);
	else if (!e && r.status != 204)
		e = orsp_errf(ORSP_E_IO, "%s: HTTP %ld", fn, r.status);
	orsp_http_result_free(&r);
	if (!e && *rsp && (e = orsp_json_header_get(*rsp, &st)) == ORSP_OK &&
	    st.status != ORSP_FES_SUCCESS)
		e = orsp_errf(ORSP_E_STATE, "%s: %s/%s %s", fn, st.subject_code, st.reason_code,
		              st.message);
	return e;
}

static void sig_tlv(const orsp_ec_key *k, const uint8_t *m, size_t n, uint8_t out[67], orsp_err *e)
{
	out[0] = 0x5F;
	out[1] = 0x37;
	out[2] = 0x40;
	if (!*e)
		*e = orsp_ecdsa_sign(k, m, n, out + 3);
}

/* The matching ID of download i: pattern with each "{n}" replaced by i. */
static void matching_id(const char *pattern, size_t i, char *out, size_t cap)
{
	size_t o = 0;

	for (const char *p = pattern; *p && o + 1 < cap; p++) {
		if (strncmp(p, "{n}", 3) == 0) {
			int k = snprintf(out + o, cap - o, "%zu", i);
			o = k < 0 || (size_t)k >= cap - o ? cap - 1 : o + (size_t)k;
			p += 2;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
}

/* euiccCiPKIdListForVerification and ...ForSigning (EUICCInfo1 and EUICCInfo2 alike): the
 * one CI of the PKI. */
static void put_ci_lists(orsp_writer *w, const sim *s)
{
	for (uint32_t tag = 0xA9; tag <= 0xAA; tag++) {
		orsp_der_mark l = orsp_der_begin(w, tag);
		orsp_der_put_tlv(w, 0x04, s->ski, s->ski_len);
		orsp_der_end(w, l);
	}
}

/* The server that step j (0..3) of download i goes to: the client's own one with --sticky,
 * else the next one at each step, as a balancer without session affinity spreads them (any
 * process serves any step: the session lives in the database they share). */
static size_t step_server(const client *c, size_t i, size_t j)
{
	if (c->nserv < 2)
		return 0;
	return c->sticky ? c->home : (i + j) % c->nserv;
}

/* An HTTP client for the SM-DP+ (one keep-alive connection at a time): with TLS, its
 * certificate checked against the CI ca and the address fqdn. */
static orsp_err bench_http(const char *ca, const char *fqdn, bool tls, orsp_http_client **h)
{
	orsp_http_client_opts o = {0};

	o.ca_file = tls ? ca : NULL;
	o.expected_host = tls ? fqdn : NULL;
	o.timeout_ms = 30000;
	return orsp_http_client_new(&o, h);
}

/* An HTTP client for c's requests. */
static orsp_err client_http(const client *c, orsp_http_client **h)
{
	return bench_http(c->ca, c->fqdn, c->tls, h);
}

/* POST fn to server k over the client's keep-alive connection to it, or with --reconnect over
 * a new one: a new HTTP client, so a new TCP connection and with TLS a full handshake, no
 * session resumed, as lpac makes each request (a curl handle of its own). */
static orsp_err step_post(const client *c, orsp_http_client **hs, size_t k, const char *fn,
                          json_t *q, json_t **r)
{
	if (c->reconnect) {
		orsp_err e;
		orsp_http_client_free(hs[k]);
		hs[k] = NULL;
		if ((e = client_http(c, &hs[k]))) {
			json_decref(q);
			*r = NULL;
			return e;
		}
	}
	return post(hs[k], c->bases[k], fn, q, r);
}

/* The public key of a certificate an SM-DP+ sent (CERT.DPauth, CERT.DPpb), kept by a client
 * while the server sends the same bytes: parsed once, not per download. */
typedef struct peer_key {
	uint8_t der[2048];
	size_t len;
	orsp_ec_key *key;
} peer_key;

static orsp_err peer_key_of(peer_key *pk, const json_t *r, const char *field, orsp_ec_key **out)
{
	uint8_t der[sizeof(pk->der)];
	size_t n = 0;
	orsp_cert *cert = NULL;
	orsp_err e = orsp_json_get_base64(r, field, der, sizeof(der), &n);

	if (e)
		return e;
	if (!pk->key || n != pk->len || memcmp(der, pk->der, n) != 0) {
		orsp_ec_free(pk->key);
		pk->key = NULL;
		pk->len = 0;
		if ((e = orsp_cert_load_mem(der, n, &cert)) ||
		    (e = orsp_cert_public_key(cert, &pk->key))) {
			orsp_cert_free(cert);
			return orsp_errf(e, "%s: %s", field, orsp_err_detail());
		}
		orsp_cert_free(cert);
		memcpy(pk->der, der, n);
		pk->len = n;
	}
	*out = pk->key;
	return ORSP_OK;
}

/* The signature field (5F37 40 || r || s) of r verifies over msg[n] with key. */
static orsp_err sig_ok(const orsp_ec_key *key, const json_t *r, const char *field,
                       const uint8_t *msg, size_t n)
{
	uint8_t sig[67];
	size_t sl = 0;
	orsp_err e = orsp_json_get_base64(r, field, sig, sizeof(sig), &sl);

	if (e)
		return e;
	if (sl != 67 || memcmp(sig, "\x5F\x37\x40", 3) != 0)
		return orsp_errf(ORSP_E_MALFORMED, "%s: not 5F37 40 and 64 bytes", field);
	if ((e = orsp_ecdsa_verify(key, msg, n, sig + 3)))
		return orsp_errf(e, "%s does not verify", field);
	return ORSP_OK;
}

/* The bound profile package as the eUICC takes it: smdpSign with PK.DPpb, the session keys
 * from otSK.EUICC, every C-MAC, to its end (the plaintext dropped). */
static orsp_err bpp_ok(const uint8_t *bpp, size_t n, const orsp_ec_key *otk,
                       const orsp_ec_key *dppb, const uint8_t eid[16], const uint8_t *tid,
                       size_t tl)
{
	orsp_bsp_unwrap_params p = {.euicc_otsk = otk,
	                            .dppb = dppb,
	                            .eid = eid,
	                            .transaction_id = orsp_slice_make(tid, tl)};
	orsp_bsp_unwrap *u = NULL;
	orsp_err e = orsp_bsp_unwrap_new(&p, &u);

	if (!e)
		e = orsp_bsp_unwrap_feed(u, bpp, n);
	if (!e)
		e = orsp_bsp_unwrap_finish(u);
	if (e)
		e = orsp_errf(e, "boundProfilePackage: %s (%s)", orsp_err_detail(),
		              orsp_bsp_reason_str(orsp_bsp_unwrap_reason(u, NULL)));
	orsp_bsp_unwrap_free(u);
	return e;
}

/* One complete download as an eUICC and its LPA do it; hs[k] is the client's connection to
 * server k. What the server sends is checked as the eUICC checks it (serverSignature1 with
 * CERT.DPauth's key, smdpSignature2 and the bound profile package with CERT.DPpb's: the keys
 * of the certificates it sent; their chain is not followed): a download counts only when its
 * package unwraps whole (until session 57 nothing the server sent was checked). keys[0] and
 * keys[1]: the client's DPauth and DPpb keys. */
static orsp_err download(const client *c, orsp_http_client **hs, size_t i, peer_key keys[2])
{
	const sim *s = c->s;
	const sim_id *id = &s->ids[i % s->n_ids];
	uint8_t buf[4096], chal[16], tid[16], schal[16] = {0}, sig1[67], sig2[67], sigp[67];
	uint8_t s2[256], tmp[400], otpk[65], *meta = NULL;
	size_t tl = 0, n, s2l = 0;
	char mid[MID_MAX + 24], tidhex[33];
	const char *tx;
	orsp_writer w;
	orsp_der_mark m, x, y;
	orsp_ec_key *otk = NULL, *dpauth = NULL, *dppb = NULL;
	json_t *q, *r = NULL;
	orsp_tlv t, f;
	orsp_reader rd;
	const size_t k0 = step_server(c, i, 0), k1 = step_server(c, i, 1),
	             k2 = step_server(c, i, 2), k3 = step_server(c, i, 3);
	orsp_err e = orsp_random(chal, 16);

	matching_id(c->mid, i, mid, sizeof(mid));
	/* initiateAuthentication with EUICCInfo1 */
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF20);
	orsp_der_put_tlv(&w, 0x82, "\x02\x02\x02", 3);
	put_ci_lists(&w, s);
	orsp_der_end(&w, m);
	q = json_object();
	if (e || !q || orsp_json_put_base64(q, "euiccChallenge", chal, 16) ||
	    orsp_json_put_base64(q, "euiccInfo1", buf, w.len) ||
	    orsp_json_put_string(q, "smdpAddress", c->fqdn))
		return e ? e : ORSP_E_RESOURCE;
	if ((e = step_post(c, hs, k0, "initiateAuthentication", q, &r)))
		return e;
	if ((e = orsp_json_get_string(r, "transactionId", 32, &tx, &n)) ||
	    (e = orsp_hex_decode(tx, tid, 16, &tl)) ||
	    (e = orsp_json_get_base64(r, "serverSigned1", tmp, sizeof(tmp), &n)))
		goto out;
	snprintf(tidhex, sizeof(tidhex), "%s", tx);
	if ((e = peer_key_of(&keys[0], r, "serverCertificate", &dpauth)) ||
	    (e = sig_ok(dpauth, r, "serverSignature1", tmp, n)))
		goto out;
	if (!orsp_der_parse_one(orsp_slice_make(tmp, n), &t)) {
		orsp_reader_init(&rd, t.value.p, t.value.len);
		while (orsp_reader_remaining(&rd) && !orsp_der_read(&rd, &f))
			if (f.tag == 0x84 && f.value.len == 16)
				memcpy(schal, f.value.p, 16);
	}
	json_decref(r);
	r = NULL;
	/* authenticateClient: euiccSigned1 signed by SK.EUICC, then the certificates */
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF38);
	x = orsp_der_begin(&w, 0xA0);
	{
		size_t start = w.len;
		y = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, tid, tl);
		orsp_der_put_tlv(&w, 0x83, c->fqdn, strlen(c->fqdn));
		orsp_der_put_tlv(&w, 0x84, schal, 16);
		{
			orsp_der_mark i2 = orsp_der_begin(&w, 0xBF22), cr;
			orsp_der_put_tlv(&w, 0x81, "\x02\x03\x01", 3);
			orsp_der_put_tlv(&w, 0x82, "\x02\x02\x02", 3);
			orsp_der_put_tlv(&w, 0x83, "\x01\x00\x00", 3);
			cr = orsp_der_begin(&w, 0x84);
			orsp_der_put_uint(&w, 0x82, 1u << 20);
			orsp_der_end(&w, cr);
			/* the mandatory rest, as a card sends it (osmo-smdpp decodes them all) */
			orsp_der_put_tlv(&w, 0x85, "\x00\x4B", 2); /* usim, Milenage, TUAK */
			orsp_der_put_tlv(&w, 0x88, "\x06\x80", 2);
			put_ci_lists(&w, s);
			orsp_der_put_tlv(&w, 0x04, "\x00\x01\x00", 3);
			orsp_der_put_tlv(&w, 0x0C, "openrsp-bench", 13);
			orsp_der_end(&w, i2);
		}
		{
			orsp_der_mark ctx = orsp_der_begin(&w, 0xA0), di;
			orsp_der_put_tlv(&w, 0x80, mid, strlen(mid));
			di = orsp_der_begin(&w, 0xA1);
			orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
			orsp_der_put_tlv(&w, 0xA1, NULL, 0);
			orsp_der_end(&w, di);
			orsp_der_end(&w, ctx);
		}
		orsp_der_end(&w, y);
		sig_tlv(id->sk, buf + start, w.len - start, sig1, &e);
	}
	orsp_write_bytes(&w, sig1, 67);
	orsp_write_bytes(&w, id->cert, id->cert_len);
	orsp_write_bytes(&w, s->eum, s->eum_len);
	orsp_der_end(&w, x);
	orsp_der_end(&w, m);
	q = json_object();
	if (e || (e = orsp_writer_status(&w)) || !q ||
	    orsp_json_put_string(q, "transactionId", tidhex) ||
	    orsp_json_put_base64(q, "authenticateServerResponse", buf, w.len)) {
		json_decref(q);
		return e ? e : ORSP_E_RESOURCE;
	}
	if ((e = step_post(c, hs, k1, "authenticateClient", q, &r)) ||
	    (e = orsp_json_get_base64(r, "smdpSigned2", s2, sizeof(s2), &s2l)) ||
	    (e = orsp_json_get_base64(r, "smdpSignature2", sig2, sizeof(sig2), &n)))
		goto out;
	/* smdpSignature2 over smdpSigned2 || euiccSignature1 (with its tag) */
	if (s2l + 67 > sizeof(tmp)) {
		e = orsp_errf(ORSP_E_MALFORMED, "smdpSigned2 of %zu bytes", s2l);
		goto out;
	}
	memcpy(tmp, s2, s2l);
	memcpy(tmp + s2l, sig1, 67);
	if ((e = peer_key_of(&keys[1], r, "smdpCertificate", &dppb)) ||
	    (e = sig_ok(dppb, r, "smdpSignature2", tmp, s2l + 67)))
		goto out;
	json_decref(r);
	r = NULL;
	/* getBoundProfilePackage: a one-time key pair, euiccSigned2; on the DPpb's curve, as an
	 * eUICC makes otPK.EUICC.ECKA (src/euicc): the server's otPK.DP is on it */
	if ((e = orsp_ec_generate(orsp_ec_curve(dppb), &otk)) ||
	    (e = orsp_ec_public_point(otk, otpk)))
		goto out;
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF21);
	x = orsp_der_begin(&w, 0xA0);
	{
		size_t start = w.len;
		y = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, tid, tl);
		orsp_der_put_tlv(&w, 0x5F49, otpk, 65);
		orsp_der_end(&w, y);
		memcpy(tmp, buf + start, w.len - start);
		memcpy(tmp + (w.len - start), sig2, 67);
		sig_tlv(id->sk, tmp, w.len - start + 67, sigp, &e);
	}
	orsp_write_bytes(&w, sigp, 67);
	orsp_der_end(&w, x);
	orsp_der_end(&w, m);
	q = json_object();
	if (e || !q || orsp_json_put_string(q, "transactionId", tidhex) ||
	    orsp_json_put_base64(q, "prepareDownloadResponse", buf, w.len)) {
		json_decref(q);
		e = e ? e : ORSP_E_RESOURCE;
		goto out;
	}
	if ((e = step_post(c, hs, k2, "getBoundProfilePackage", q, &r)))
		goto out;
	if ((e = orsp_json_get_base64_alloc(r, "boundProfilePackage", 1 << 20, &meta, &n)) ||
	    (e = bpp_ok(meta, n, otk, dppb, id->eid, tid, tl)))
		goto out;
	json_decref(r);
	r = NULL;
	/* handleNotification: the signed ProfileInstallationResult */
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF37);
	{
		size_t start = w.len;
		orsp_der_mark pd = orsp_der_begin(&w, 0xBF27), md, res, ch;
		orsp_der_put_tlv(&w, 0x80, tid, tl);
		md = orsp_der_begin(&w, 0xBF2F);
		orsp_der_put_uint(&w, 0x80, i);
		orsp_der_put_tlv(&w, 0x81, "\x07\x80", 2);
		orsp_der_put_tlv(&w, 0x0C, c->fqdn, strlen(c->fqdn));
		orsp_der_end(&w, md);
		orsp_der_put_tlv(&w, 0x06, "\x88\x37\x0A", 3);
		res = orsp_der_begin(&w, 0xA2);
		ch = orsp_der_begin(&w, 0xA0);
		orsp_der_put_tlv(&w, 0x4F,
		                 "\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x10\x00",
		                 16);
		orsp_der_put_tlv(&w, 0x04, "\x30\x07\xA0\x05\x30\x03\x80\x01\x00", 9);
		orsp_der_end(&w, ch);
		orsp_der_end(&w, res);
		orsp_der_end(&w, pd);
		sig_tlv(id->sk, buf + start, w.len - start, sigp, &e);
	}
	orsp_write_bytes(&w, sigp, 67);
	orsp_der_end(&w, m);
	q = json_object();
	if (e || !q || orsp_json_put_base64(q, "pendingNotification", buf, w.len)) {
		json_decref(q);
		e = e ? e : ORSP_E_RESOURCE;
		goto out;
	}
	e = step_post(c, hs, k3, "handleNotification", q, &r);
out:
	json_decref(r);
	free(meta);
	orsp_ec_free(otk);
	return e;
}

static void *client_main(void *arg)
{
	client *c = arg;
	orsp_http_client *hs[SERVERS_MAX] = {NULL};
	peer_key *keys = calloc(2, sizeof(*keys));

	if (!keys)
		c->err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
	for (size_t k = 0; k < c->nserv && !c->err; k++)
		c->err = client_http(c, &hs[k]);
	for (size_t i = 0; i < c->count && !c->err; i++) {
		double t = orsp_mono_s();
		c->err =
		    orsp_stop_set(stopped) ? stop_error() : download(c, hs, c->first + i, keys);
		if (!c->err)
			c->lat[c->done++] = orsp_mono_s() - t;
	}
	if (c->err)
		orsp_err_detail_copy(c->detail, sizeof(c->detail));
	for (size_t k = 0; k < c->nserv; k++)
		orsp_http_client_free(hs[k]);
	for (size_t k = 0; keys && k < 2; k++)
		orsp_ec_free(keys[k].key);
	free(keys);
	return NULL;
}

/* ---------------------------------------------------------------- the server process ---- */

/* CPU seconds of pid (user + system); *sys_s gets the system part. */
static double proc_cpu_s(pid_t pid, double *sys_s)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* fields after ")": state(3) ... utime(14) stime(15) */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	*sys_s = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of this process (the load generator: its client threads). */
static double self_cpu_s(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* Seconds the machine's CPUs spent idle (or waiting for I/O) since boot, summed over all
 * CPUs, from the first line of /proc/stat; -1 if unreadable. */
static double machine_idle_s(void)
{
	unsigned long long v[5] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	/* cpu  user nice system idle iowait ... */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]);
	fclose(f);
	if (n != 5)
		return -1;
	return (double)(v[3] + v[4]) / (double)sysconf(_SC_CLK_TCK);
}

/* Server k of n (0-based) on conf; *port gets the port it took. */
static pid_t start_server(const char *conf, size_t k, size_t n, uint16_t *port)
{
	int fd[2];
	pid_t pid;
	char line[32] = "";
	FILE *f;

	if (pipe(fd) != 0)
		return -1;
	pid_t parent = getpid();
	pid = fork();
	if (pid == 0) {
		/* a bench that dies (SIGKILL) takes its server with it */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(127);
		/* The server's log (one line per request) goes nowhere, as writing it would weigh
		 * on the figures; ORSP_BENCH_SERVER_LOG=1 leaves it on the bench's stderr, and a
		 * path (holding a '/') writes it to that file (make test-tsan: a race report of the
		 * server is then seen when the run fails), of several servers each to its own,
		 * the path with ".1", ".2" ... added. */
		const char *lg = getenv("ORSP_BENCH_SERVER_LOG");
		int null = open("/dev/null", O_WRONLY), l = -1;
		dup2(fd[1], 1);
		if (lg && strchr(lg, '/')) {
			char path[P + 8];
			int pn = n > 1 ? snprintf(path, sizeof(path), "%s.%zu", lg, k + 1)
			               : snprintf(path, sizeof(path), "%s", lg);
			if (pn > 0 && (size_t)pn < sizeof(path))
				l = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		}
		if (l >= 0)
			dup2(l, 2);
		else if (null >= 0 && !lg)
			dup2(null, 2);
		close(fd[0]);
		execl("/proc/self/exe", "openrsp", "smdp", "serve", "--config", conf, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return -1;
	}
	fclose(f);
	{
		char *end;
		unsigned long v = strtoul(line, &end, 10);
		if (end == line || v == 0 || v > 65535) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
			return -1;
		}
		*port = (uint16_t)v;
	}
	return pid;
}

/* What the server's /metrics say at one moment: its own account of its crypto CPU time, in
 * seconds, the connections it has accepted (this scrape's own included) and the profiles in
 * the database that are Installed; -1 if unread. */
typedef struct scrape {
	double crypto_s, accepted, installed;
} scrape;

static double metric_value(const char *body, const char *key)
{
	const char *p = strstr(body, key);
	char *end = NULL;
	double v;

	if (!p)
		return -1;
	v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) ? -1 : v;
}

static scrape server_scrape(const char *base, const char *ca, const char *fqdn, bool tls)
{
	orsp_http_client *h = NULL;
	orsp_http_result r = {0};
	char url[300];
	scrape v = {-1, -1, -1};

	snprintf(url, sizeof(url), "%s/metrics", base);
	if (bench_http(ca, fqdn, tls, &h) == ORSP_OK &&
	    orsp_http_client_request(h, "GET", url, NULL, NULL, 0, &r) == ORSP_OK &&
	    r.status == 200) {
		v.crypto_s =
		    metric_value((const char *)r.body, "\nopenrsp_smdp_crypto_cpu_seconds_total ");
		v.accepted = metric_value((const char *)r.body,
		                          "\nopenrsp_http_connections_accepted_total ");
		v.installed = metric_value((const char *)r.body,
		                           "\nopenrsp_smdp_profiles{state=\"installed\"} ");
	}
	orsp_http_result_free(&r);
	orsp_http_client_free(h);
	orsp_err_clear();
	return v;
}

/* The CPU seconds of n processes together (*sys_s: in the kernel); -1 if one is unreadable. */
static double servers_cpu_s(const pid_t *pid, size_t n, double *sys_s)
{
	double all = 0, sys = 0;

	*sys_s = 0;
	for (size_t k = 0; k < n; k++) {
		double s1 = 0, v = proc_cpu_s(pid[k], &s1);
		if (v < 0)
			return -1;
		all += v;
		sys += s1;
	}
	*sys_s = sys;
	return all;
}

/* The scrapes of n servers added up; a figure is -1 if a server's is unread. The profiles
 * Installed are the first server's figure: the servers share one database. */
static scrape servers_scrape(const char *const *bases, size_t n, const char *ca, const char *fqdn,
                             bool tls)
{
	scrape all = {0, 0, -1};

	for (size_t k = 0; k < n; k++) {
		scrape v = server_scrape(bases[k], ca, fqdn, tls);
		all.crypto_s = all.crypto_s < 0 || v.crypto_s < 0 ? -1 : all.crypto_s + v.crypto_s;
		all.accepted = all.accepted < 0 || v.accepted < 0 ? -1 : all.accepted + v.accepted;
		if (k == 0)
			all.installed = v.installed;
	}
	return all;
}

/* One initiateAuthentication whose euiccChallenge is not base64, answered as refused. */
static bool refused_once(orsp_http_client *h, const char *url)
{
	static const char body[] = "{\"euiccChallenge\":\"@\"}";
	static const char *const hdr[] = {"User-Agent: gsma-rsp-lpad", NULL};
	orsp_http_result r = {0};
	bool refused =
	    orsp_http_client_post_json(h, url, body, sizeof(body) - 1, hdr, &r) == ORSP_OK &&
	    r.status == 200 && strstr((const char *)r.body, "\"Failed\"");
	orsp_http_result_free(&r);
	return refused;
}

/* The server's CPU per request for requests it refuses at once (SGP.22 1.2/2.1 after the HTTP
 * exchange, the JSON parse, the answer and the log line; no crypto, no database): what the
 * request path itself costs, each request waking the server and the client once as each of
 * a download's four does. n requests over one keep-alive connection, made
 * (and its TLS set up) by a first request before the count starts, the server otherwise
 * idle. Seconds per request (*sys_s: in the kernel); -1 if n is 0, a request was not
 * answered with that refusal, or the CPU time could not be read. */
static double refused_request_s(const char *base, const char *ca, const char *fqdn, bool tls,
                                pid_t srv, uint64_t n, double *sys_s)
{
	orsp_http_client *h = NULL;
	char url[300];
	double cpu0, cpu1, sys0 = 0, sys1 = 0, v = -1;
	uint64_t i;

	*sys_s = -1;
	if (n == 0)
		return -1;
	snprintf(url, sizeof(url), "%s/gsma/rsp2/es9plus/initiateAuthentication", base);
	if (bench_http(ca, fqdn, tls, &h) != ORSP_OK || !refused_once(h, url))
		goto out;
	cpu0 = proc_cpu_s(srv, &sys0);
	for (i = 0; i < n && !orsp_stop_set(stopped) && refused_once(h, url); i++)
		;
	cpu1 = proc_cpu_s(srv, &sys1);
	if (i == n && cpu0 >= 0 && cpu1 >= cpu0) {
		v = (cpu1 - cpu0) / (double)n;
		*sys_s = (sys1 - sys0) / (double)n;
	}
out:
	orsp_http_client_free(h);
	orsp_err_clear();
	return v;
}

/* ---------------------------------------------------------------- crypto reference ------ */

/* Touch every cache line of buf: what a server's other work (the database, JSON, HTTP, the
 * kernel, other threads and processes) does to the caches between two crypto operations. */
static void evict_caches(uint8_t *buf, size_t n)
{
	volatile uint8_t *v = buf; /* not a dead store to memory freed unread */
	for (size_t i = 0; i < n; i += 64)
		v[i] = (uint8_t)(v[i] + 1);
}

#define EVICT_BYTES (4u << 20) /* twice this machine's L2 per core */

/* The server-side cryptography of one download on curve (the PKI's: its server keys, the
 * eUICCs' and the one-time keys all on it), timed in this run: 2 ECDSA signs
 * (serverSignature1, smdpSignature2), 4 verifications (CERT.EUICC, euiccSignature1,
 * euiccSignature2, the PIR), one key generation and the BPP (ECKA, KDF, smdpSign, AES over the
 * profile): what the server does per download, counted in its OpenSSL calls. CERT.EUM's
 * signature is not among them: the server checks it once per EUM and process (x509.c's
 * check_issued), and the bench's eUICCs share one EUM; until session 55 it was, a fifth
 * verification the server does not make (about 0.065 ms, so the ratios looked some 15 %
 * better than they were). The best of 20 rounds in this thread's CPU time, which like the server's
 * /proc figures leaves out time the machine gave to others (the wall clock of one round on this
 * virtual machine varied by a factor of three). With cold set, EVICT_BYTES are touched
 * before each operation and only the operations are timed: the caches as a busy server
 * leaves them (OpenSSL's tables and code for the curve no longer in L1/L2). */
static double crypto_per_download(orsp_curve curve, const uint8_t *upp, size_t upp_len, bool cold)
{
	orsp_ec_key *k = NULL, *o = NULL, *ot = NULL;
	uint8_t sig[64], pt[65], msg[200] = {1}, eid[16] = {0}, tid[16] = {2};
	static uint8_t out[1 << 17];
	uint8_t *ev = cold ? calloc(1, EVICT_BYTES) : NULL;
	double t, best = 1e9, rc = -1;
	static const uint8_t cfg[] = {0xBF, 0x24, 0x00};
	static const uint8_t md[] = {0xBF, 0x25, 0x0C, 0x5A, 0x0A, 0x98, 0x00, 0x10,
	                             0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14};

	if ((cold && !ev) || orsp_ec_generate(curve, &k) || orsp_ec_generate(curve, &o) ||
	    orsp_ec_public_point(o, pt))
		goto out;
/* one operation, timed alone after the eviction */
#define TIMED(expr)                                                                                \
	do {                                                                                       \
		double t0_;                                                                        \
		if (ev)                                                                            \
			evict_caches(ev, EVICT_BYTES);                                             \
		t0_ = bench_thread_cpu_s();                                                        \
		if (expr)                                                                          \
			goto out;                                                                  \
		t += bench_thread_cpu_s() - t0_;                                                   \
	} while (0)
	for (int round = 0; round < 20; round++) {
		orsp_writer w;
		orsp_bsp_bpp_params p = {.dppb = k,
		                         .euicc_otpk = orsp_slice_make(pt, 65),
		                         .transaction_id = orsp_slice_make(tid, 16),
		                         .host_id = orsp_slice_make("bench", 5),
		                         .eid = eid,
		                         .configure_isdp = orsp_slice_make(cfg, sizeof(cfg)),
		                         .store_metadata = orsp_slice_make(md, sizeof(md)),
		                         .profile = orsp_slice_make(upp, upp_len)};
		t = 0;
		for (int i = 0; i < 2; i++)
			TIMED(orsp_ecdsa_sign(k, msg, sizeof(msg), sig));
		for (int i = 0; i < 4; i++)
			TIMED(orsp_ecdsa_verify(k, msg, sizeof(msg), sig));
		TIMED(orsp_ec_generate(curve, &ot));
		p.smdp_otsk = ot;
		orsp_writer_init(&w, out, sizeof(out));
		TIMED(orsp_bsp_bpp_build(&p, &w));
		orsp_ec_free(ot);
		ot = NULL;
		if (t < best)
			best = t;
	}
#undef TIMED
	rc = best;
out:
	orsp_ec_free(ot);
	orsp_ec_free(k);
	orsp_ec_free(o);
	free(ev);
	return rc;
}

/* ---------------------------------------------------------------- the run --------------- */

/* The lower of two reference figures, -1 standing for one that could not be measured. */
static double lower_ref(double a, double b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The p-th percentile of the n (at least 1) sorted values v, by nearest rank: the smallest
 * value that p % of them do not exceed (the ceil(n p / 100)-th). */
static double percentile(const double *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

/* The profile the inventory is made of (also the reference crypto's BPP): *tpl malloc'd. */
static orsp_err read_template(uint8_t **tpl, size_t *len)
{
	char path[P];
	FILE *f;

	snprintf(path, sizeof(path), "%s/profiles/ts48-v7-saip2.3-nobertlv.der", cli_data_dir());
	f = fopen(path, "rb");
	if (!f)
		return orsp_errf(ORSP_E_NOT_FOUND, "%s: %s (set ORSP_DATA_DIR)", path,
		                 strerror(errno));
	*tpl = malloc(1 << 20);
	*len = *tpl ? fread(*tpl, 1, 1 << 20, f) : 0;
	fclose(f);
	if (!*tpl || !*len) {
		free(*tpl);
		*tpl = NULL;
		return orsp_errf(ORSP_E_IO, "%s: cannot read", path);
	}
	return ORSP_OK;
}

orsp_err bench_smdp_inventory(const orsp_smdp_service *svc, const char *db, const char *const *eids,
                              size_t n_eids, size_t n, uint8_t **upp_out, size_t *upp_len,
                              const volatile sig_atomic_t *stop)
{
	char kp[P + 32];
	uint8_t *tpl = NULL;
	size_t tl = 0;
	orsp_secret kek = {0};
	orsp_smdp *s = NULL;
	orsp_err e = read_template(&tpl, &tl);

	if (e)
		return e;
	snprintf(kp, sizeof(kp), "%s.kek", db);
	e = orsp_kek_load(kp, &kek);
	if (!e)
		e = orsp_smdp_open(db, &kek, &s);
	if (!e)
		e = orsp_es9p_prepare(s);
	for (size_t i = 0; !e && i < n; i++) {
		orsp_pkg *pkg = NULL;
		orsp_pkg_perso pp;
		orsp_smdp_profile prof;
		orsp_smdp_order o = {0};
		uint8_t *upp = NULL;
		size_t ul = 0;
		char body[40], iccid[48], imsi[40], mid[32];
		unsigned u = (unsigned)(i % 100000000u);
		if (orsp_stop_set(stop)) {
			e = stop_error();
			break;
		}
		snprintf(body, sizeof(body), "8988247090%08u", u);
		snprintf(iccid, sizeof(iccid), "%s%d", body, orsp_luhn_digit(body, 18));
		snprintf(imsi, sizeof(imsi), "0010900%08u", u);
		snprintf(mid, sizeof(mid), "BENCH-%zu", i);
		orsp_pkg_perso_init(&pp);
		pp.iccid = iccid;
		pp.imsi = imsi;
		e = orsp_pkg_decode(tpl, tl, &pkg);
		if (!e)
			e = orsp_pkg_personalise(pkg, &pp);
		if (!e)
			e = orsp_pkg_encode(pkg, 0, &upp, &ul);
		if (!e)
			e = orsp_smdp_import(s, upp, ul, &prof);
		o.iccid = prof.iccid;
		o.eid = eids[i % n_eids];
		o.matching_id = mid;
		if (!e)
			e = orsp_smdp_download_order(s, &o, &prof);
		if (!e)
			e = orsp_smdp_confirm_order(s, mid, NULL, true);
		/* what ES2+ confirmOrder with releaseFlag does besides the state change */
		if (!e && svc)
			e = orsp_es9p_warm(svc, s, prof.iccid);
		if (!e && i == 0 && upp_out) {
			*upp_out = malloc(ul);
			if (*upp_out) {
				memcpy(*upp_out, upp, ul);
				*upp_len = ul;
			}
		}
		orsp_pkg_perso_wipe(&pp);
		if (upp)
			orsp_pkg_buf_free(upp, ul);
		orsp_pkg_free(pkg);
	}
	orsp_smdp_close(s);
	orsp_secret_wipe(&kek);
	free(tpl);
	return e;
}

static orsp_err read_file_all(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return orsp_errf(ORSP_E_IO, "%s: %s", path, strerror(errno));
	*len = fread(buf, 1, cap, f);
	fclose(f);
	return *len ? ORSP_OK : orsp_errf(ORSP_E_IO, "%s: empty", path);
}

static void sims_free(sim *s, char **eids)
{
	for (size_t i = 0; s->ids && i < s->n_ids; i++) {
		orsp_ec_free(s->ids[i].sk);
		free(s->ids[i].cert);
		if (eids)
			free(eids[i]);
	}
	free(s->ids);
	free(eids);
	s->ids = NULL;
}

/* n eUICCs (key pair, EID with the PKI eUICC's 8-digit prefix, certificate signed by the
 * EUM); *eids_out[i] is the EID of s->ids[i]. */
static orsp_err make_euiccs(const char *pki, size_t n, sim *s, char ***eids_out)
{
	char p1[P + 64], prefix[9] = "", org[65] = "";
	uint8_t kb[4096];
	size_t kl = 0;
	orsp_ec_key *eum_key = NULL;
	orsp_cert *eum = NULL, *ci = NULL, *any = NULL;
	char **eids = calloc(n, sizeof(*eids));
	time_t now = time(NULL);
	orsp_err e;

	s->ids = calloc(n, sizeof(*s->ids));
	s->n_ids = n;
	if (!eids || !s->ids) {
		free(eids);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	*eids_out = eids;
	snprintf(p1, sizeof(p1), "%s/eum/eum_key.pem", pki);
	e = read_file_all(p1, kb, sizeof(kb), &kl);
	if (!e)
		e = orsp_ec_load_private(kb, kl, &eum_key);
	orsp_wipe(kb, sizeof(kb));
	if (!e)
		s->curve = orsp_ec_curve(eum_key);
	snprintf(p1, sizeof(p1), "%s/eum/eum.der", pki);
	if (!e && !(e = orsp_cert_load_file(p1, &eum))) {
		orsp_slice d = orsp_cert_der(eum);
		if (d.len > sizeof(s->eum))
			e = orsp_errf(ORSP_E_MALFORMED, "%s: too long", p1);
		else {
			memcpy(s->eum, d.p, d.len);
			s->eum_len = d.len;
		}
	}
	snprintf(p1, sizeof(p1), "%s/ci/ci.der", pki);
	if (!e && !(e = orsp_cert_load_file(p1, &ci)))
		e = orsp_cert_ski(ci, s->ski, sizeof(s->ski), &s->ski_len);
	/* the EID range and the EUM's organisation (its nameConstraints hold both): the prefix
	 * and the O of the eUICC that `pki init` made */
	snprintf(p1, sizeof(p1), "%s/euicc/euicc.der", pki);
	if (!e && !(e = orsp_cert_load_file(p1, &any))) {
		char eid[33];
		if (!(e = orsp_cert_subject_serial(any, eid, sizeof(eid))) &&
		    !(e = orsp_cert_subject_org(any, org, sizeof(org))))
			memcpy(prefix, eid, 8);
	}
	for (size_t i = 0; !e && i < n; i++) {
		orsp_cert_template t;
		orsp_cert *c = NULL;
		char eid[33];
		if (orsp_stop_set(stopped)) {
			e = stop_error();
			break;
		}
		/* on the EUM's curve: its certificate is issued by the EUM's key */
		if ((e = orsp_ec_generate(orsp_ec_curve(eum_key), &s->ids[i].sk)) ||
		    (e = orsp_eid_generate(prefix, eid)) ||
		    (e = orsp_cert_template_init(&t, ORSP_ROLE_EUICC)))
			break;
		t.country = "XX";
		t.org = org;
		t.serial_number = eid;
		t.common_name = "bench eUICC";
		t.not_before = now - 3600;
		t.not_after = now + 86400;
		if ((e = orsp_cert_issue(&t, s->ids[i].sk, eum_key, eum, &c)))
			break;
		{
			orsp_slice d = orsp_cert_der(c);
			s->ids[i].cert = malloc(d.len);
			eids[i] = strdup(eid);
			if (!s->ids[i].cert || !eids[i])
				e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			else {
				memcpy(s->ids[i].cert, d.p, d.len);
				s->ids[i].cert_len = d.len;
				e = orsp_hex_decode_exact(eid, s->ids[i].eid, 16);
			}
		}
		orsp_cert_free(c);
	}
	orsp_cert_free(any);
	orsp_cert_free(ci);
	orsp_cert_free(eum);
	orsp_ec_free(eum_key);
	return e;
}

/* For --crl: dir/eum.crl, the PKI's EUM revoking n random serial numbers (16 octets, as
 * orsp_cert_issue gives them: none is a bench eUICC's but by a 2^-128 chance), and
 * dir/ci.crl, its CI revoking one; a week from now. */
static orsp_err bench_crls(const char *pki, const char *dir, size_t n)
{
	static const char *const who[2] = {"ci", "eum"};
	orsp_crl_revoked *rev = calloc(n ? n : 1, sizeof(*rev));
	uint8_t *serials = malloc(16 * (n ? n : 1)), *der = NULL;
	time_t now = time(NULL);
	orsp_err e = rev && serials ? orsp_random(serials, 16 * (n ? n : 1))
	                            : orsp_errf(ORSP_E_RESOURCE, "out of memory");

	for (size_t i = 0; !e && i < (n ? n : 1); i++) {
		serials[16 * i] = (uint8_t)((serials[16 * i] & 0x7F) | 0x01);
		rev[i] = (orsp_crl_revoked){serials + 16 * i, 16, now, 0};
	}
	for (int k = 0; !e && k < 2; k++) {
		char p1[P + 64];
		uint8_t kb[4096];
		size_t kl = 0, len = 0;
		orsp_ec_key *key = NULL;
		orsp_cert *cert = NULL;
		snprintf(p1, sizeof(p1), "%s/%s/%s_key.pem", pki, who[k], who[k]);
		e = read_file_all(p1, kb, sizeof(kb), &kl);
		if (!e)
			e = orsp_ec_load_private(kb, kl, &key);
		orsp_wipe(kb, sizeof(kb));
		snprintf(p1, sizeof(p1), "%s/%s/%s.der", pki, who[k], who[k]);
		if (!e)
			e = orsp_cert_load_file(p1, &cert);
		if (!e)
			e = orsp_crl_issue(cert, key, rev, k ? n : 1, now - 60, now + 7 * 86400, 1,
			                   &der, &len);
		snprintf(p1, sizeof(p1), "%s/%s.crl", dir, who[k]);
		if (!e)
			e = orsp_crl_save(der, len, p1);
		free(der);
		der = NULL;
		orsp_ec_free(key);
		orsp_cert_free(cert);
	}
	free(rev);
	free(serials);
	return e;
}

int bench_smdp_conf(const char *path, const char *fqdn, const char *pki, const char *db, bool plain,
                    const char *extra)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "fqdn = %s\noid = " OID "\nport = 0\ndatabase = %s\n%s", fqdn, db, extra);
	if (plain)
		fprintf(f, "plain_http = yes\n");
	else
		fprintf(f, "tls_cert = %s/smdp/dptls.pem\ntls_key = %s/smdp/dptls_key.pem\n", pki,
		        pki);
	fprintf(f,
	        "[keyset]\nci = %s/ci/ci.der\ndpauth_cert = %s/smdp/dpauth.der\n"
	        "dpauth_key = %s/smdp/dpauth_key.pem\ndppb_cert = %s/smdp/dppb.der\n"
	        "dppb_key = %s/smdp/dppb_key.pem\n",
	        pki, pki, pki, pki, pki);
	return fclose(f) == 0 ? 0 : -1;
}

/* What --url and its companions name: a server this run did not start. */
typedef struct external {
	const char *url, *pki, *fqdn, *mid;
	uint64_t pid;
} external;

static int check_external(const external *x, uint64_t nt, bool plain, uint64_t ns, bool sticky)
{
	if (sticky && ns < 2)
		return cli_usage("--sticky", "only with --servers 2 or more");
	if (!x->url) {
		if (x->pki || x->fqdn || x->mid || x->pid)
			return cli_usage(x->pki    ? "--pki"
			                 : x->fqdn ? "--smdp-address"
			                 : x->mid  ? "--matching-id"
			                           : "--server-pid",
			                 "only with --url");
		return CLI_OK;
	}
	const char *host = strstr(x->url, "://");
	if ((strncmp(x->url, "http://", 7) != 0 && strncmp(x->url, "https://", 8) != 0) ||
	    strlen(x->url) > 200 || strchr(x->url, '?') || strchr(x->url, '#') || !host[3] ||
	    host[3] == '/')
		return cli_usage("--url",
		                 "an http:// or https:// base URL of at most 200 characters");
	if (nt || plain || ns)
		return cli_usage(nt      ? "--server-threads"
		                 : plain ? "--plain-http"
		                         : "--servers",
		                 "applies to the bench's own server, not with --url");
	if (!x->pki || !x->fqdn || !x->mid || !x->pid)
		return cli_usage("--url",
		                 "needs --pki, --smdp-address, --matching-id and --server-pid");
	if (orsp_smdp_fqdn_check(x->fqdn) != ORSP_OK)
		return cli_usage("--smdp-address", "not a valid FQDN");
	if (strlen(x->mid) > MID_MAX || !*x->mid)
		return cli_usage("--matching-id", "1 to %d characters", MID_MAX);
	for (const char *p = x->mid; *p; p++)
		if (*p < 0x21 || *p > 0x7E)
			return cli_usage("--matching-id", "printable ASCII without spaces");
	return CLI_OK;
}

int bench_smdp(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"downloads", required_argument, NULL, OPT_DOWNLOADS},
	    {"clients", required_argument, NULL, OPT_CLIENTS},
	    {"server-threads", required_argument, NULL, OPT_THREADS},
	    {"plain-http", no_argument, NULL, OPT_PLAIN},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"url", required_argument, NULL, OPT_URL},
	    {"server-pid", required_argument, NULL, OPT_PID},
	    {"pki", required_argument, NULL, OPT_PKI},
	    {"smdp-address", required_argument, NULL, OPT_ADDRESS},
	    {"matching-id", required_argument, NULL, OPT_MID},
	    {"refused-requests", required_argument, NULL, OPT_REFUSED},
	    {"servers", required_argument, NULL, OPT_SERVERS},
	    {"sticky", no_argument, NULL, OPT_STICKY},
	    {"reconnect", no_argument, NULL, OPT_RECONNECT},
	    {"crl", required_argument, NULL, OPT_CRL},
	    {NULL, 0, NULL, 0},
	};
	uint64_t nd = 400, nc = 4, nt = 0, nr = 5000, ns = 0, ncrl = 0;
	bool crl = false;
	bool plain = false, json = false, sticky = false, reconnect = false;
	external x = {0};
	char base[P] = "", pki[P + 8], conf[P + 16], db[P + 16], ca[P + 32], url[256];
	const char *fqdn = FQDN, *mid = "BENCH-{n}";
	char **eids = NULL;
	sim s = {0};
	client *cl = NULL;
	pthread_t *th = NULL;
	uint8_t *upp = NULL;
	size_t upp_len = 0;
	/* the servers: their processes and base URLs; n_srv of them are running */
	pid_t srv[SERVERS_MAX];
	char urls[SERVERS_MAX][64];
	const char *bases[SERVERS_MAX];
	size_t n_srv = 0;
	double cpu0, cpu1, sys0 = 0, sys1 = 0, t0, wall, crypto, crypto_cold, *lat = NULL;
	double gen0, gen1, idle0, idle1;
	scrape sc0, sc1;
	double refused, refused_sys;
	size_t total = 0;
	int c, rc = CLI_FAIL;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		switch (c) {
		case '?':
			return CLI_USAGE;
		case OPT_DOWNLOADS:
			if ((rc = cli_uint("--downloads", optarg, 1, 100000, &nd)))
				return rc;
			break;
		case OPT_CLIENTS:
			if ((rc = cli_uint("--clients", optarg, 1, 64, &nc)))
				return rc;
			break;
		case OPT_THREADS:
			if ((rc = cli_uint("--server-threads", optarg, 1, 64, &nt)))
				return rc;
			break;
		case OPT_PLAIN:
			plain = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_URL:
			x.url = optarg;
			break;
		case OPT_PID:
			if ((rc = cli_uint("--server-pid", optarg, 1, 0x7FFFFFFF, &x.pid)))
				return rc;
			break;
		case OPT_PKI:
			x.pki = optarg;
			break;
		case OPT_ADDRESS:
			x.fqdn = optarg;
			break;
		case OPT_MID:
			x.mid = optarg;
			break;
		case OPT_REFUSED:
			if ((rc = cli_uint("--refused-requests", optarg, 0, 1000000, &nr)))
				return rc;
			break;
		case OPT_SERVERS:
			if ((rc = cli_uint("--servers", optarg, 1, SERVERS_MAX, &ns)))
				return rc;
			break;
		case OPT_STICKY:
			sticky = true;
			break;
		case OPT_RECONNECT:
			reconnect = true;
			break;
		case OPT_CRL:
			if ((rc = cli_uint("--crl", optarg, 0, 10000000, &ncrl)))
				return rc;
			crl = true;
			break;
		default:
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if ((rc = check_external(&x, nt, plain, ns, sticky)))
		return rc;
	if (x.url && crl)
		return cli_usage("--crl", "applies to the bench's own server, not with --url");
	rc = CLI_FAIL;
	stopped = cli_stop_on_signals();
	if (x.url) {
		/* someone else's server: its PKI's EUM issues the eUICCs, its profile is ordered */
		double unused;
		srv[0] = (pid_t)x.pid;
		if (proc_cpu_s(srv[0], &unused) < 0)
			return cli_failf("--server-pid", "no process %d to read the CPU time of",
			                 (int)srv[0]);
		n_srv = 1;
		plain = strncmp(x.url, "http://", 7) == 0;
		snprintf(url, sizeof(url), "%s", x.url);
		if (url[strlen(url) - 1] == '/')
			url[strlen(url) - 1] = '\0';
		bases[0] = url;
		snprintf(pki, sizeof(pki), "%s", x.pki);
		snprintf(ca, sizeof(ca), "%s/ci/ci.pem", pki);
		fqdn = x.fqdn;
		mid = x.mid;
		if ((e = make_euiccs(pki, nd, &s, &eids)) || (e = read_template(&upp, &upp_len))) {
			cli_fail(x.pki, e);
			goto out;
		}
	} else {
		snprintf(base, sizeof(base), "%s/openrsp-bench.XXXXXX",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(base))
			return cli_failf(base, "cannot create: %s", strerror(errno));
		snprintf(pki, sizeof(pki), "%s/pki", base);
		snprintf(conf, sizeof(conf), "%s/smdp.conf", base);
		snprintf(db, sizeof(db), "%s/smdp.db", base);
		snprintf(ca, sizeof(ca), "%s/ci/ci.pem", pki);
		if (cli_pki_create(pki, FQDN, OID) != CLI_OK)
			goto out;
		/* one eUICC per download under the PKI's EUM, EIDs in its range */
		if (!json)
			fprintf(stderr, "bench smdp: issuing %llu eUICC certificates...\n",
			        (unsigned long long)nd);
		if ((e = make_euiccs(pki, nd, &s, &eids))) {
			cli_fail("eUICC identities", e);
			goto out;
		}
		{
			char extra[2 * P + 128];
			/* metrics_cache = 0: the profiles Installed after the load are read
			 * then, not a few seconds before */
			int n = snprintf(extra, sizeof(extra), "threads = %u\nmetrics_cache = 0\n",
			                 (unsigned)(nt       ? nt
			                            : nc < 8 ? nc
			                                     : 8));
			if (crl) {
				if ((e = bench_crls(pki, base, ncrl))) {
					cli_fail("--crl", e);
					goto out;
				}
				snprintf(extra + n, sizeof(extra) - (size_t)n,
				         "crl = %s/ci.crl\ncrl = %s/eum.crl\n", base, base);
			}
			if (bench_smdp_conf(conf, FQDN, pki, db, plain, extra) != 0) {
				cli_failf(conf, "cannot write: %s", strerror(errno));
				goto out;
			}
		}
		if (!json)
			fprintf(stderr, "bench smdp: preparing %llu released profiles...\n",
			        (unsigned long long)nd);
		{
			static orsp_smdp_config cfg;
			e = orsp_smdp_config_load(conf, &cfg);
			if (!e) {
				e = bench_smdp_inventory(&cfg.svc, db, (const char *const *)eids,
				                         nd, nd, &upp, &upp_len, stopped);
				orsp_smdp_config_free(&cfg);
			}
		}
		if (e) {
			cli_fail("inventory", e);
			goto out;
		}
		/* --servers N: N processes on the one database, each on a port of its own */
		for (size_t k = 0; k < (ns ? ns : 1); k++) {
			uint16_t port = 0;
			pid_t p = start_server(conf, k, ns ? ns : 1, &port);
			if (p < 0) {
				cli_failf("server", "openrsp smdp serve %s",
				          orsp_stop_set(stopped) ? "stopped by a signal"
				                                 : "did not start");
				goto out;
			}
			srv[n_srv] = p;
			snprintf(urls[n_srv], sizeof(urls[n_srv]), "%s://127.0.0.1:%u",
			         plain ? "http" : "https", port);
			bases[n_srv] = urls[n_srv];
			n_srv++;
		}
	}
	cl = calloc(nc, sizeof(*cl));
	th = calloc(nc, sizeof(*th));
	lat = calloc(nd, sizeof(*lat));
	if (!cl || !th || !lat)
		goto out;
	crypto = crypto_per_download(s.curve, upp, upp_len, false);
	crypto_cold = crypto_per_download(s.curve, upp, upp_len, true);
	sc0 = servers_scrape(bases, n_srv, ca, fqdn, !plain);
	cpu0 = servers_cpu_s(srv, n_srv, &sys0);
	gen0 = self_cpu_s();
	idle0 = machine_idle_s();
	t0 = orsp_mono_s();
	for (size_t i = 0, first = 0; i < nc; i++) {
		size_t cnt = nd / nc + (i < nd % nc ? 1 : 0);
		cl[i] = (client){.s = &s,
		                 .bases = bases,
		                 .nserv = n_srv,
		                 .home = i % n_srv,
		                 .sticky = sticky,
		                 .reconnect = reconnect,
		                 .ca = ca,
		                 .fqdn = fqdn,
		                 .mid = mid,
		                 .tls = !plain,
		                 .first = first,
		                 .count = cnt,
		                 .lat = lat + first};
		first += cnt;
		pthread_create(&th[i], NULL, client_main, &cl[i]);
	}
	for (size_t i = 0; i < nc; i++)
		pthread_join(th[i], NULL);
	wall = orsp_mono_s() - t0;
	cpu1 = servers_cpu_s(srv, n_srv, &sys1);
	/* a server process gone meanwhile (a rolling restart's SIGHUP): its CPU time is lost with
	 * it, and the figures would be negative (until session 78 they were printed so) */
	for (size_t k = 0; cpu1 < 0 && k < n_srv; k++) {
		double unused;
		if (proc_cpu_s(srv[k], &unused) < 0) {
			cli_failf(
			    "bench smdp",
			    "--server-pid process %ld ended during the load: its CPU time is not "
			    "known, and no server figure can be given",
			    (long)srv[k]);
			goto out;
		}
	}
	gen1 = self_cpu_s();
	idle1 = machine_idle_s();
	sc1 = servers_scrape(bases, n_srv, ca, fqdn, !plain);
	if (orsp_stop_set(
	        stopped)) { /* not what a client saw of it: a server stopped by the same signal */
		cli_fail("bench smdp", stop_error());
		goto out;
	}
	for (size_t i = 0; i < nc; i++) {
		if (cl[i].err) {
			cli_failf("download", "client %zu: %s", i, cl[i].detail);
			goto out;
		}
		total += cl[i].done;
	}
	/* every download a complete one: its installation result verified and the profile
	 * Installed in the database (the server answers handleNotification 204 whatever it made
	 * of the result, so the clients cannot tell) */
	if (x.url && sc0.installed >= 0 && sc1.installed - sc0.installed != (double)total) {
		/* another server may hold its figures a while (openrsp's metrics_cache, 5 s by
		 * default): "0 before, 0 after" of a run that Installed them all (the limits
		 * review). Scraped again once a second for up to METRICS_WAIT_S. */
		if (!json)
			fprintf(
			    stderr,
			    "bench smdp: the server's /metrics do not show the %zu downloads yet "
			    "(it may hold its figures a while: metrics_cache); scraping again "
			    "for up to %d s\n",
			    total, METRICS_WAIT_S);
		for (int w = 0; w < METRICS_WAIT_S && !orsp_stop_set(stopped) &&
		                sc1.installed - sc0.installed != (double)total;
		     w++) {
			nanosleep(&(struct timespec){1, 0}, NULL);
			sc1.installed = servers_scrape(bases, n_srv, ca, fqdn, !plain).installed;
		}
	}
	if (sc0.installed < 0 || sc1.installed < 0 ||
	    sc1.installed - sc0.installed != (double)total) {
		if (!x.url) {
			cli_failf(
			    "bench smdp",
			    "%zu downloads made, but the server's profiles Installed went from "
			    "%.0f to %.0f",
			    total, sc0.installed, sc1.installed);
			goto out;
		}
		if (!json)
			fprintf(stderr,
			        "bench smdp: warning: the server's /metrics do not show %zu more "
			        "profiles Installed (%.0f before, %.0f after)\n",
			        total, sc0.installed, sc1.installed);
	}
	refused = refused_request_s(bases[0], ca, fqdn, !plain, srv[0], nr, &refused_sys);
	if (orsp_stop_set(stopped)) {
		cli_fail("bench smdp", stop_error());
		goto out;
	}
	/* measured after the load as well as before it, the lower figure counts */
	crypto = lower_ref(crypto, crypto_per_download(s.curve, upp, upp_len, false));
	crypto_cold = lower_ref(crypto_cold, crypto_per_download(s.curve, upp, upp_len, true));
	{
		double *v = lat;
		double srv_cpu = cpu1 - cpu0, per = total ? srv_cpu / (double)total : 0;
		/* the server's crypto during the load, by its own account (-1: not available) */
		double in_run = sc0.crypto_s >= 0 && sc1.crypto_s >= sc0.crypto_s && total
		                    ? (sc1.crypto_s - sc0.crypto_s) / (double)total
		                    : -1;
		/* the connections the servers accepted during the load: between the two scrapes,
		 * less the second scrape's own (one per server); -1: not available (a server
		 * without the counter) */
		double conns = sc0.accepted >= 0 && sc1.accepted >= sc0.accepted + (double)n_srv
		                   ? sc1.accepted - sc0.accepted - (double)n_srv
		                   : -1;
		/* where the machine's cores went: the server, this process (the simulated eUICCs
		 * and their HTTP clients), idle; the rest is other processes */
		double gen_cores = gen0 >= 0 && gen1 >= gen0 ? (gen1 - gen0) / wall : -1;
		double idle_cores = idle0 >= 0 && idle1 >= idle0 ? (idle1 - idle0) / wall : -1;
		/* the figures both outputs give, in ms per download and cores */
		double p50, p90, p99;
		double sys_ms = total ? (sys1 - sys0) * 1e3 / (double)total : 0;
		double ratio = crypto > 0 ? per / crypto : 0, srv_cores = srv_cpu / wall;
		double ratio_cold = crypto_cold > 0 ? per / crypto_cold : 0;
		double in_run_ms = in_run > 0 ? in_run * 1e3 : -1;
		double ratio2 = in_run > 0 ? per / in_run : 0;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		char layout[96] = "";

		if (n_srv > 1)
			snprintf(layout, sizeof(layout), ", %zu servers on one database, %s", n_srv,
			         sticky ? "each client kept to one"
			                : "a download's steps spread over them");

		qsort(v, total, sizeof(double), cmp_d);
		p50 = percentile(v, total, 50) * 1e3;
		p90 = percentile(v, total, 90) * 1e3;
		p99 = percentile(v, total, 99) * 1e3;
		if (json)
			printf("{\"transport\":\"%s\",\"downloads\":%zu,\"clients\":%llu,"
			       "\"seconds\":%.3f,\"downloads_per_s\":%.1f,"
			       "\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,"
			       "\"server_cpu_ms_per_download\":%.3f,"
			       "\"curve\":\"%s\",\"crypto_ms_per_download\":%.3f,\"ratio\":%.2f,"
			       "\"server_cores_used\":%.2f,\"server_sys_ms_per_download\":%.3f,"
			       "\"server_crypto_ms_per_download\":%.3f,"
			       "\"ratio_to_server_crypto\":%.2f,\"loadgen_cores_used\":%.2f,"
			       "\"idle_cores\":%.2f,\"cores\":%ld,\"external\":%s,"
			       "\"crypto_cold_ms_per_download\":%.3f,\"ratio_cold\":%.2f,"
			       "\"refused_request_us\":%.1f,\"refused_request_sys_us\":%.1f,"
			       "\"servers\":%zu,\"sticky\":%s,\"reconnect\":%s,"
			       "\"connections\":%.0f,\"connections_per_download\":%.2f,"
			       "\"crl_entries\":%lld}\n",
			       plain ? "http" : "https", total, (unsigned long long)nc, wall,
			       (double)total / wall, p50, p90, p99, per * 1e3,
			       orsp_curve_name(s.curve), crypto * 1e3, ratio, srv_cores, sys_ms,
			       in_run_ms, ratio2, gen_cores, idle_cores, ncpu,
			       x.url ? "true" : "false", crypto_cold * 1e3, ratio_cold,
			       refused >= 0 ? refused * 1e6 : -1.0,
			       refused >= 0 ? refused_sys * 1e6 : -1.0, n_srv,
			       sticky ? "true" : "false", reconnect ? "true" : "false", conns,
			       conns >= 0 && total ? conns / (double)total : -1.0,
			       crl ? (long long)ncrl : -1LL);
		else
			printf("bench smdp: %zu complete downloads (%s, %llu clients%s, %s)"
			       " in %.2f s\n"
			       "  %.1f downloads/s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n"
			       "  SM-DP+ %s CPU: %.3f ms per download (%.3f of it in the"
			       " kernel; %.2f cores busy)\n"
			       "  its cryptography alone (2 signs, 4 verifies, keygen, BPP; %s): "
			       "%.3f ms\n"
			       "  ratio server CPU / crypto: %.2f\n"
			       "  the same with cold caches (4 MiB touched before each operation): "
			       "%.3f ms,"
			       " ratio %.2f\n"
			       "  the server's own crypto during the load (/metrics): %.3f ms,"
			       " ratio %.2f\n"
			       "  cores (of %ld): SM-DP+ %.2f, load generator %.2f, idle %.2f\n",
			       total, plain ? "plain HTTP" : "HTTPS", (unsigned long long)nc,
			       layout, reconnect ? "a new connection per request" : "keep-alive",
			       wall, (double)total / wall, p50, p90, p99,
			       n_srv > 1 ? "processes'" : "process", per * 1e3, sys_ms, srv_cores,
			       orsp_curve_name(s.curve), crypto * 1e3, ratio, crypto_cold * 1e3,
			       ratio_cold, in_run_ms, ratio2, ncpu, srv_cores, gen_cores,
			       idle_cores);
		if (!json && crl)
			printf("  revocation checked: the EUM's CRL lists %llu serial numbers\n",
			       (unsigned long long)ncrl);
		if (!json && conns >= 0)
			printf("  connections the SM-DP+ accepted during the load: %.0f (%.2f per "
			       "download)\n",
			       conns, total ? conns / (double)total : 0);
		if (!json && refused >= 0)
			printf("  a request refused at once (initiateAuthentication, bad "
			       "euiccChallenge),"
			       " one client: %.1f us of SM-DP+ CPU (%.1f in the kernel); four "
			       "such: %.0f %%"
			       " of a download's\n",
			       refused * 1e6, refused_sys * 1e6, per > 0 ? 400 * refused / per : 0);
		else if (!json && nr)
			printf("  a request refused at once: not measured (a request failed)\n");
		if (!json && x.url)
			printf("  SM-DP+: %s (process %d)\n", url, (int)srv[0]);
	}
	rc = CLI_OK;
out:
	for (size_t k = 0; k < n_srv && !x.url; k++)
		kill(srv[k], SIGTERM);
	for (size_t k = 0; k < n_srv && !x.url; k++) {
		/* a server stops with 0 on SIGTERM; anything else (a sanitizer's report at the
		 * stop or after the last request, a crash) fails a run that went well so far:
		 * `make test-tsan` counts on it */
		int st = 0;
		if (waitpid(srv[k], &st, 0) == srv[k] && rc == CLI_OK &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			if (WIFEXITED(st))
				fprintf(stderr,
				        "bench smdp: the SM-DP+ (process %d) exited with status "
				        "%d at its stop\n",
				        (int)srv[k], WEXITSTATUS(st));
			else
				fprintf(stderr,
				        "bench smdp: the SM-DP+ (process %d) ended by signal %d "
				        "at its stop\n",
				        (int)srv[k], WIFSIGNALED(st) ? WTERMSIG(st) : 0);
			rc = CLI_FAIL;
		}
	}
	sims_free(&s, eids);
	free(cl);
	free(th);
	free(lat);
	free(upp);
	if (strstr(base, "openrsp-bench.") && cli_rm_rf(base) != 0)
		fprintf(stderr, "bench smdp: could not remove %s\n", base);
	return rc;
}
