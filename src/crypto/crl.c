/* Certificate revocation lists for the RSP hierarchy (RFC 5280 §5, SGP.22 §4.5.2): a CI
 * lists the EUM (and server) certificates it revoked, an EUM the eUICC certificates.
 *
 * A CRL is parsed and checked once, when it is added: its revoked certificates here
 * (read_entries: OpenSSL's X509_CRL costs about 200 bytes an entry while it is read), the
 * rest by OpenSSL from a copy without them. The serial numbers are kept sorted in an array of
 * our own, so that a check is a binary search. Only complete, direct CRLs are taken: a
 * critical extension is refused when the CRL is added, as RFC 5280 §5.2 asks of an
 * extension not processed, and one that makes a CRL a delta, partitioned, SGP.22 partial or
 * indirect CRL (a delta CRL indicator, an issuing distribution point, a partial CRL number,
 * an entry's certificateIssuer) whatever its flag.
 *
 * The signature: a CI's CRL is verified by orsp_crl_store_bind against the trusted CI, an
 * operator CA's (the CA of an SM-DP+'s ES2+ client certificates) by
 * orsp_crl_store_bind_client_cas against that CA; an EUM's when the first eUICC certificate
 * under that EUM is checked, with the EUM's key (the caller verified the EUM up to a CI). The
 * certificate whose key verified it, or failed to, is remembered with the CRL (its DER, under the
 * CRL's lock), so a CRL is verified once per issuer certificate, not at every check. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ec_internal.h"
#include "openrsp/der.h"

#define SERIAL_MAX 32 /* RFC 5280 §4.1.2.2: at most 20 octets; a few more accepted */
#define AKI_MAX 64

typedef struct rev_entry {
	uint8_t len;
	uint8_t serial[SERIAL_MAX];
	int reason; /* CRLReason, -1 when the entry has none */
	time_t when;
} rev_entry;

/* What is kept of a CRL once read: OpenSSL's X509_CRL (about 200 bytes an entry) and the
 * DER are not, so that a CRL of a million entries holds about 50 MB, not 290. */
typedef struct crl_entry {
	char *name;
	X509_NAME *issuer;
	uint8_t aki[AKI_MAX];
	size_t aki_len;
	time_t this_update, next_update;
	char number[2 * 20 + 3];           /* the cRLNumber in hex, "" without one */
	uint8_t der_hash[ORSP_SHA256_LEN]; /* of the CRL as given: a duplicate, or a copy */
	uint8_t tbs_hash[ORSP_SHA256_LEN]; /* of the TBSCertList: what the issuer signed */
	uint8_t *sig;                      /* the signature (an ECDSA-Sig-Value, DER) */
	size_t sig_len;
	rev_entry *rev; /* sorted by (len, serial) */
	size_t n_rev;
	/* the DER of the issuer certificate whose key verified the signature, and of one whose
	 * key did not (under mu) */
	pthread_mutex_t mu;
	uint8_t *ok_der, *bad_der;
	size_t ok_len, bad_len;
	bool by_ci;        /* its issuer is a trusted CI (orsp_crl_store_bind) */
	bool by_client_ca; /* its issuer is an operator CA (orsp_crl_store_bind_client_cas) */
} crl_entry;

/* A file's CRL held already under another file's name, the very same bytes: not held twice,
 * but listed (orsp_crl_store_describe_copy), as `smdp serve --check` lists every file. */
typedef struct crl_copy {
	char *name, *of;
} crl_copy;

/* The CRLs, read under lock (shared by the checks, exclusive for adding, binding and
 * orsp_crl_store_swap, so that a server can put new CRLs in force while it serves). */
struct orsp_crl_store {
	pthread_rwlock_t *lock; /* apart, so that a const store's lock can be taken */
	crl_entry **v;
	size_t n, cap;
	crl_copy *copies;
	size_t n_copies;
};

static void rd_lock(const orsp_crl_store *s)
{
	pthread_rwlock_rdlock(s->lock);
}

static void wr_lock(orsp_crl_store *s)
{
	pthread_rwlock_wrlock(s->lock);
}

static void un_lock(const orsp_crl_store *s)
{
	pthread_rwlock_unlock(s->lock);
}

static const char *const reason_names[] = {
    [0] = "unspecified",        [1] = "keyCompromise", [2] = "cACompromise",
    [3] = "affiliationChanged", [4] = "superseded",    [5] = "cessationOfOperation",
    [6] = "certificateHold",    [8] = "removeFromCRL", [9] = "privilegeWithdrawn",
    [10] = "aACompromise",
};

static const char *reason_name(int r)
{
	if (r < 0)
		return "no reason given";
	if ((size_t)r < ORSP_ARRAY_LEN(reason_names) && reason_names[r])
		return reason_names[r];
	return "an unknown reason";
}

static void entry_free(crl_entry *e)
{
	if (!e)
		return;
	X509_NAME_free(e->issuer);
	free(e->name);
	free(e->sig);
	free(e->rev);
	free(e->ok_der);
	free(e->bad_der);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

orsp_err orsp_crl_store_new(orsp_crl_store **out)
{
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_new: NULL argument");
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	(*out)->lock = malloc(sizeof(*(*out)->lock));
	if (!(*out)->lock || pthread_rwlock_init((*out)->lock, NULL) != 0) {
		free((*out)->lock);
		free(*out);
		*out = NULL;
		return orsp_errf(ORSP_E_RESOURCE, "cannot make a lock");
	}
	return ORSP_OK;
}

/* Forget the copies listed from the n-th on. */
static void copies_cut(orsp_crl_store *s, size_t n)
{
	while (s->n_copies > n) {
		crl_copy *c = &s->copies[--s->n_copies];
		free(c->name);
		free(c->of);
	}
}

/* List name's CRL as a copy of the one held under `of`; false when out of memory. */
static bool copy_push(orsp_crl_store *s, const char *name, const char *of)
{
	crl_copy *grown = realloc(s->copies, (s->n_copies + 1) * sizeof(*grown));
	crl_copy c = {strdup(name), strdup(of)};

	if (grown)
		s->copies = grown;
	if (!grown || !c.name || !c.of) {
		free(c.name);
		free(c.of);
		return false;
	}
	s->copies[s->n_copies++] = c;
	return true;
}

void orsp_crl_store_free(orsp_crl_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_free(s->v[i]);
	free(s->v);
	copies_cut(s, 0);
	free(s->copies);
	pthread_rwlock_destroy(s->lock);
	free(s->lock);
	free(s);
}

orsp_err orsp_crl_store_swap(orsp_crl_store *live, orsp_crl_store *fresh)
{
	crl_entry **v;
	crl_copy *copies;
	size_t n, cap;

	if (!live || !fresh || live == fresh)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_swap: bad arguments");
	wr_lock(live);
	v = live->v;
	n = live->n;
	cap = live->cap;
	live->v = fresh->v;
	live->n = fresh->n;
	live->cap = fresh->cap;
	fresh->v = v;
	fresh->n = n;
	fresh->cap = cap;
	copies = live->copies;
	n = live->n_copies;
	live->copies = fresh->copies;
	live->n_copies = fresh->n_copies;
	fresh->copies = copies;
	fresh->n_copies = n;
	un_lock(live);
	return ORSP_OK;
}

size_t orsp_crl_store_count(const orsp_crl_store *s)
{
	size_t n;

	if (!s)
		return 0;
	rd_lock(s);
	n = s->n;
	un_lock(s);
	return n;
}

/* Whether a and b are CRLs of one issuer: the same issuer name and authorityKeyIdentifier. */
static bool same_issuer(const crl_entry *a, const crl_entry *b)
{
	return a->aki_len == b->aki_len && memcmp(a->aki, b->aki, a->aki_len) == 0 &&
	       X509_NAME_cmp(a->issuer, b->issuer) == 0;
}

int orsp_crl_number_cmp(const char *a, const char *b)
{
	size_t al, bl;

	while (a[0] == '0' && a[1] == '0' && a[2])
		a += 2;
	while (b[0] == '0' && b[1] == '0' && b[2])
		b += 2;
	al = strlen(a);
	bl = strlen(b);
	if (al != bl)
		return al < bl ? -1 : 1;
	return strcasecmp(a, b);
}

/* Whether a (of the same issuer as b, another CRL) replaces b: a strict order. RFC 5280
 * §5.2.3, a later CRL has a higher cRLNumber, and a CRL with one is taken over one without
 * (which is no conforming CRL); between two without, the later thisUpdate; the bytes' digest
 * last, so that the choice never depends on the order of the files (it did, with a mix). */
static bool newer(const crl_entry *a, const crl_entry *b)
{
	int c;

	if (!a->number[0] != !b->number[0])
		return a->number[0] != 0;
	if (a->number[0] && (c = orsp_crl_number_cmp(a->number, b->number)) != 0)
		return c > 0;
	if (a->this_update != b->this_update)
		return a->this_update > b->this_update;
	return memcmp(a->der_hash, b->der_hash, sizeof(a->der_hash)) > 0;
}

/* Whether e's signature is known to verify: a CI's or an operator CA's CRL (bound), or one
 * an issuer's key verified at a check. */
static bool known_good(crl_entry *e)
{
	bool ok;

	if (e->by_ci || e->by_client_ca)
		return true;
	pthread_mutex_lock(&e->mu);
	ok = e->ok_der != NULL;
	pthread_mutex_unlock(&e->mu);
	return ok;
}

/* Whether another CRL held for e's issuer replaces e: newer, in force (its thisUpdate not
 * ahead of now) and known to verify (a forged CRL with a high number must not hide a stale
 * genuine one from the warnings and /metrics). */
static bool superseded(const orsp_crl_store *s, const crl_entry *e, time_t now)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] != e && same_issuer(s->v[i], e) && newer(s->v[i], e) &&
		    s->v[i]->this_update <= now && known_good(s->v[i]))
			return true;
	return false;
}

time_t orsp_crl_store_next_update(const orsp_crl_store *s)
{
	time_t t = 0, now = time(NULL);

	if (!s)
		return 0;
	rd_lock(s);
	for (size_t i = 0; i < s->n; i++)
		if ((!t || s->v[i]->next_update < t) && !superseded(s, s->v[i], now))
			t = s->v[i]->next_update;
	un_lock(s);
	return t;
}

static void fmt_time(time_t t, char *out, size_t cap);

/* The fields of e, a CRL of s, into out (s's lock held). */
static void entry_info(const orsp_crl_store *s, const crl_entry *e, time_t now, orsp_crl_info *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", e->name);
	orsp__name_cn(e->issuer, out->issuer_cn, sizeof(out->issuer_cn));
	out->by_ci = e->by_ci;
	out->by_client_ca = e->by_client_ca;
	out->revoked = e->n_rev;
	out->this_update = e->this_update;
	out->next_update = e->next_update;
	snprintf(out->number, sizeof(out->number), "%s", e->number);
	out->superseded = superseded(s, e, now);
	if (orsp_hex_encode(e->aki, e->aki_len, out->key, sizeof(out->key)) ||
	    orsp_hex_encode(e->der_hash, 8, out->digest, sizeof(out->digest)))
		out->key[0] = out->digest[0] = '\0'; /* they fit: not reached */
}

orsp_err orsp_crl_store_info(const orsp_crl_store *s, size_t i, orsp_crl_info *out)
{
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_info: NULL argument");
	memset(out, 0, sizeof(*out));
	if (!s)
		return orsp_errf(ORSP_E_NOT_FOUND, "no CRL %zu", i);
	rd_lock(s);
	if (i >= s->n) {
		un_lock(s);
		return orsp_errf(ORSP_E_NOT_FOUND, "no CRL %zu", i);
	}
	entry_info(s, s->v[i], time(NULL), out);
	un_lock(s);
	return ORSP_OK;
}

orsp_err orsp_crl_store_infos(const orsp_crl_store *s, orsp_crl_info **out, size_t *n)
{
	time_t now = time(NULL);

	if (!out || !n)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_infos: NULL argument");
	*out = NULL;
	*n = 0;
	if (!s)
		return ORSP_OK;
	rd_lock(s);
	if (s->n && !(*out = calloc(s->n, sizeof(**out)))) {
		un_lock(s);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	for (size_t i = 0; i < s->n; i++)
		entry_info(s, s->v[i], now, &(*out)[i]);
	*n = s->n;
	un_lock(s);
	return ORSP_OK;
}

orsp_err orsp_crl_store_describe(const orsp_crl_store *s, size_t i, time_t now, char *out,
                                 size_t cap)
{
	orsp_crl_info info;
	char when[40];
	orsp_err e;

	if (!out || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_describe: no buffer");
	out[0] = '\0';
	if ((e = orsp_crl_store_info(s, i, &info)))
		return e;
	if (!now)
		now = time(NULL);
	fmt_time(info.next_update, when, sizeof(when));
	if (when[4] == '-')
		when[10] = 'T'; /* as the certificates' dates are written there */
	snprintf(out, cap, "%s: \"%s\" (%s), %zu revoked, next update %s%s", info.name,
	         info.issuer_cn,
	         info.by_ci          ? "a CI's"
	         : info.by_client_ca ? "an operator CA's"
	                             : "an EUM's",
	         info.revoked, when,
	         info.superseded          ? ", superseded by a newer CRL of its issuer"
	         : info.next_update < now ? ", STALE"
	         : info.this_update > now ? ", NOT YET VALID"
	                                  : "");
	return ORSP_OK;
}

orsp_err orsp_crl_store_describe_copy(const orsp_crl_store *s, size_t i, char *out, size_t cap)
{
	orsp_err e = ORSP_OK;

	if (!s || !out || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_describe_copy: bad arguments");
	out[0] = '\0';
	rd_lock(s);
	if (i < s->n_copies)
		snprintf(out, cap, "%s: the same CRL as %s (the same bytes), held once",
		         s->copies[i].name, s->copies[i].of);
	else
		e = orsp_errf(ORSP_E_NOT_FOUND, "no copy %zu", i);
	un_lock(s);
	return e;
}

static void fmt_time(time_t t, char *out, size_t cap)
{
	struct tm tm;
	int n = -1;

	/* every caller's buffer holds the longest date (27 characters, with a year of 11): one
	 * that did not fit would be said, not cut */
	if (gmtime_r(&t, &tm))
		n = snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02dZ", tm.tm_year + 1900,
		             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= cap)
		snprintf(out, cap, "(a date out of range)");
}

static void hex_of(const uint8_t *p, size_t n, char *out, size_t cap)
{
	if (orsp_hex_encode(p, n, out, cap) != ORSP_OK)
		snprintf(out, cap, "(%zu bytes)", n);
}

static int rev_cmp(const void *a, const void *b)
{
	const rev_entry *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->serial, y->serial, x->len);
}

/* The contents octets of an INTEGER as DER encodes them (two's complement, minimal). */
static bool integer_octets(const ASN1_INTEGER *a, uint8_t *out, size_t cap, size_t *len)
{
	unsigned char *der = NULL;
	orsp_tlv t;
	int n = i2d_ASN1_INTEGER(a, &der);
	bool ok = n > 0 && !orsp_der_parse_one(orsp_slice_make(der, (size_t)n), &t) &&
	          t.tag == 0x02 && t.value.len > 0 && t.value.len <= cap;

	if (ok) {
		memcpy(out, t.value.p, t.value.len);
		*len = t.value.len;
	}
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

/* An INTEGER of the given contents octets (at most 20). */
static ASN1_INTEGER *integer_of(const uint8_t *p, size_t n)
{
	uint8_t der[2 + 20];
	const unsigned char *q = der;

	if (n == 0 || n > 20)
		return NULL;
	der[0] = 0x02;
	der[1] = (uint8_t)n;
	memcpy(der + 2, p, n);
	return d2i_ASN1_INTEGER(NULL, &q, (long)(n + 2));
}

/* An INTEGER's (or ENUMERATED's) contents as OpenSSL's decoder takes them: not empty, minimal
 * two's complement (no leading 00 before a clear top bit, nor FF before a set one). */
static bool int_minimal(orsp_slice v)
{
	if (v.len == 0)
		return false;
	return v.len == 1 ||
	       !((v.p[0] == 0x00 && !(v.p[1] & 0x80)) || (v.p[0] == 0xFF && (v.p[1] & 0x80)));
}

/* An OBJECT IDENTIFIER's contents as OpenSSL's decoder takes them: not empty, the last octet
 * ending a subidentifier, none beginning with 0x80. */
static bool oid_ok(orsp_slice v)
{
	if (v.len == 0 || (v.p[v.len - 1] & 0x80))
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] == 0x80 && (i == 0 || !(v.p[i - 1] & 0x80)))
			return false;
	return true;
}

/* The CRLReason of a reasonCode extension's value (an OCTET STRING holding one ENUMERATED):
 * -1 when it does not decode, -2 when it is no CRLReason (0..10 but 7), with *shown the
 * value for the message. */
static int reason_of(orsp_slice v, long *shown)
{
	orsp_tlv t;
	long r = 0;

	if (orsp_der_parse_one(v, &t) || t.tag != 0x0A || !int_minimal(t.value))
		return -1;
	if (t.value.len > sizeof(long) - 1) {
		*shown = -1;
		return -2;
	}
	r = (t.value.p[0] & 0x80) ? -1 : 0;
	for (size_t i = 0; i < t.value.len; i++)
		r = (long)((unsigned long)r << 8 | t.value.p[i]);
	*shown = r;
	return r < 0 || r > 10 || r == 7 ? -2 : (int)r;
}

/* Entry i (1-based) of the revokedCertificates, t, into v: SEQUENCE { userCertificate
 * INTEGER, revocationDate Time, crlEntryExtensions Extensions OPTIONAL } read as DER, with
 * what OpenSSL's decoder asks of each value (a minimal INTEGER, a well-formed OBJECT
 * IDENTIFIER), so that nothing it would refuse is taken. */
static orsp_err read_entry(const crl_entry *e, size_t i, const orsp_tlv *t, rev_entry *v)
{
	orsp_reader r, x;
	orsp_tlv sn, when, exts, oid, val;
	bool critical, has_exts = false, have_reason = false;
	long shown = 0;

	orsp_reader_init(&r, t->value.p, t->value.len);
	if (t->tag != 0x30 || orsp_der_expect(&r, 0x02, &sn) || orsp_der_read(&r, &when) ||
	    ((has_exts = orsp_reader_remaining(&r) > 0) && orsp_der_expect(&r, 0x30, &exts)) ||
	    orsp_reader_remaining(&r))
		return orsp_errf(ORSP_E_MALFORMED, "%s: entry %zu is no revoked certificate",
		                 e->name, i);
	if (!int_minimal(sn.value) || sn.value.len > SERIAL_MAX)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: entry %zu: a serial number that is empty or longer than %d "
		                 "octets",
		                 e->name, i, SERIAL_MAX);
	memcpy(v->serial, sn.value.p, sn.value.len);
	v->len = (uint8_t)sn.value.len;
	if (!orsp__der_time(&when, &v->when))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: entry %zu: a revocationDate that does not decode", e->name,
		                 i);
	v->reason = -1;
	if (!has_exts)
		return ORSP_OK;
	orsp_reader_init(&x, exts.value.p, exts.value.len);
	while (orsp_reader_remaining(&x)) {
		ext_read k = orsp__read_extension(&x, &oid, &critical, &val);
		if (k != EXT_OK || !oid_ok(oid.value))
			return orsp_errf(
			    ORSP_E_MALFORMED, "%s: entry %zu: an extension that is not DER (%s)",
			    e->name, i,
			    k == EXT_BAD_FLAG ? "its critical flag is not FF" : "not an Extension");
		/* certificateIssuer, 2.5.29.29 (RFC 5280 §5.3.3): an entry of an indirect CRL,
		 * about another issuer's certificate; MUST be critical, refused either way */
		if (critical ||
		    (oid.value.len == 3 && memcmp(oid.value.p, "\x55\x1D\x1D", 3) == 0)) {
			char txt[80] = "?";
			const unsigned char *p = oid.raw.p;
			ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &p, (long)oid.raw.len);
			if (o)
				OBJ_obj2txt(txt, sizeof(txt), o, 1);
			ASN1_OBJECT_free(o);
			ERR_clear_error();
			return orsp_errf(ORSP_E_POLICY,
			                 "%s: entry %zu has the extension %s (an indirect CRL?), "
			                 "which openrsp does not process",
			                 e->name, i, txt);
		}
		/* reasonCode, 2.5.29.21 */
		if (oid.value.len != 3 || memcmp(oid.value.p, "\x55\x1D\x15", 3) != 0)
			continue;
		if (have_reason || (v->reason = reason_of(val.value, &shown)) == -1)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "%s: entry %zu: a reasonCode that does not decode or comes "
			    "twice",
			    e->name, i);
		if (v->reason == -2)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "%s: entry %zu: reasonCode %ld is no CRLReason", e->name,
			                 i, shown);
		/* RFC 5280 §5.3.1: only a delta CRL removes an entry (OpenSSL's lookup takes such
		 * an entry for one not revoked) */
		if (v->reason == 8)
			return orsp_errf(
			    ORSP_E_POLICY,
			    "%s: entry %zu: reasonCode removeFromCRL, which only a delta "
			    "CRL carries (RFC 5280 §5.3.1); openrsp takes complete CRLs only",
			    e->name, i);
		have_reason = true;
	}
	return ORSP_OK;
}

/* The fewest content bytes of a revoked certificate's SEQUENCE: an empty INTEGER (02 00,
 * which read_entry refuses by name) and a UTCTime (17 0D + 13). */
#define ENTRY_MIN 17

/* The revoked certificates (the contents of the revokedCertificates SEQUENCE, list) into
 * e->rev, sorted. Read here rather than by OpenSSL, whose X509_CRL takes about 200 bytes an
 * entry while it is read (300 MB at the peak for a million). */
static orsp_err read_entries(crl_entry *e, orsp_slice list)
{
	orsp_reader r;
	orsp_tlv t;
	size_t n = 0;
	bool sorted = true;

	/* counted first, each a SEQUENCE that can hold a serialNumber and a revocationDate
	 * (read_entry checks them), so that the array is never larger than about 2.5 bytes a
	 * byte of the list: a list of empty SEQUENCEs, 2 bytes each, had 48 bytes allocated
	 * for each before the first was read */
	orsp_reader_init(&r, list.p, list.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &t))
			return orsp_errf(ORSP_E_MALFORMED, "%s: not a CRL (CertificateList)",
			                 e->name);
		n++;
		if (t.tag != 0x30 || t.value.len < ENTRY_MIN)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "%s: entry %zu is no revoked certificate", e->name, n);
	}
	if (n == 0)
		return ORSP_OK;
	e->rev = calloc(n, sizeof(*e->rev));
	if (!e->rev)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	orsp_reader_init(&r, list.p, list.len);
	for (size_t i = 0; i < n; i++) {
		orsp_err err;
		if (orsp_der_read(&r, &t))
			return orsp_errf(ORSP_E_MALFORMED, "%s: not a CRL (CertificateList)",
			                 e->name);
		if ((err = read_entry(e, i + 1, &t, &e->rev[i])))
			return err;
		if (i > 0 && sorted && rev_cmp(&e->rev[i - 1], &e->rev[i]) > 0)
			sorted = false;
		e->n_rev++;
	}
	if (!sorted)
		qsort(e->rev, e->n_rev, sizeof(*e->rev), rev_cmp);
	return ORSP_OK;
}

/* The CRL der (n bytes, DER) without its revokedCertificates, for OpenSSL to read the rest
 * (into *copy, malloc'ed; NULL when it has none: der serves as it is), and that field in
 * *list (its contents; empty without one). TBSCertList ::= SEQUENCE { version OPTIONAL,
 * signature, issuer, thisUpdate, nextUpdate OPTIONAL, revokedCertificates OPTIONAL,
 * crlExtensions [0] OPTIONAL }. */
static orsp_err split_revoked(const uint8_t *der, size_t n, const char *name, uint8_t **copy,
                              size_t *copy_len, orsp_slice *list)
{
	orsp_tlv all, tbs, alg, sig, f = {0};
	orsp_reader r, t;
	orsp_writer w;
	size_t tbs_len, out_len;
	bool found = false;
	int k = 0;

	*copy = NULL;
	*list = orsp_slice_make(NULL, 0);
	if (orsp_der_parse_one(orsp_slice_make(der, n), &all) || all.tag != 0x30)
		goto bad;
	orsp_reader_init(&r, all.value.p, all.value.len);
	if (orsp_der_expect(&r, 0x30, &tbs) || orsp_der_read(&r, &alg) || orsp_der_read(&r, &sig) ||
	    orsp_reader_remaining(&r))
		goto bad;
	/* version?, signature, issuer, thisUpdate: then nextUpdate? and the list? */
	orsp_reader_init(&t, tbs.value.p, tbs.value.len);
	while (orsp_reader_remaining(&t)) {
		if (orsp_der_read(&t, &f))
			goto bad;
		if (k == 0 && f.tag == 0x02)
			continue; /* the version */
		k++;
		if (k <= 3)
			continue; /* signature, issuer, thisUpdate */
		if (k == 4 && (f.tag == 0x17 || f.tag == 0x18))
			continue; /* nextUpdate */
		found = f.tag == 0x30;
		break;
	}
	if (!found)
		return ORSP_OK;
	*list = f.value;
	tbs_len = tbs.value.len - f.raw.len;
	out_len = 1 + orsp_der_len_size(tbs_len) + tbs_len + alg.raw.len + sig.raw.len;
	*copy_len = 1 + orsp_der_len_size(out_len) + out_len;
	if (!(*copy = malloc(*copy_len)))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	orsp_writer_init(&w, *copy, *copy_len);
	orsp_der_put_header(&w, 0x30, out_len);
	orsp_der_put_header(&w, 0x30, tbs_len);
	orsp_write_bytes(&w, tbs.value.p, (size_t)(f.raw.p - tbs.value.p));
	orsp_write_bytes(&w, f.raw.p + f.raw.len,
	                 (size_t)(tbs.value.p + tbs.value.len - (f.raw.p + f.raw.len)));
	orsp_write_bytes(&w, alg.raw.p, alg.raw.len);
	orsp_write_bytes(&w, sig.raw.p, sig.raw.len);
	if (orsp_writer_status(&w) || w.len != *copy_len) {
		free(*copy);
		*copy = NULL;
		return orsp_errf(ORSP_E_RESOURCE, "%s: the CRL without its entries", name);
	}
	return ORSP_OK;
bad:
	return orsp_errf(ORSP_E_MALFORMED, "%s: not a CRL (CertificateList)", name);
}

/* What verifying e's signature later takes, from the DER CRL (der, n) that OpenSSL read as
 * crl: the hashes of the whole and of the TBSCertList, and the signature. As OpenSSL's
 * X509_CRL_verify would, refused: a signature algorithm inside the TBSCertList other than
 * the one outside, a signature BIT STRING with unused bits. */
static orsp_err signed_parts(crl_entry *e, const X509_CRL *crl, const uint8_t *der, size_t n)
{
	const ASN1_BIT_STRING *sig = NULL;
	orsp_tlv list, tbs, f, alg_in, alg_out;
	orsp_reader r, t;

	if (orsp_der_parse_one(orsp_slice_make(der, n), &list) || list.tag != 0x30)
		return orsp_errf(ORSP_E_MALFORMED, "%s: not a CRL (CertificateList)", e->name);
	orsp_reader_init(&r, list.value.p, list.value.len);
	if (orsp_der_expect(&r, 0x30, &tbs) || orsp_der_expect(&r, 0x30, &alg_out))
		return orsp_errf(ORSP_E_MALFORMED, "%s: not a CRL (CertificateList)", e->name);
	/* TBSCertList: version (an INTEGER, v2), signature, ... */
	orsp_reader_init(&t, tbs.value.p, tbs.value.len);
	if (orsp_der_read(&t, &f) || (f.tag == 0x02 && orsp_der_read(&t, &f)))
		return orsp_errf(ORSP_E_MALFORMED, "%s: not a CRL (CertificateList)", e->name);
	alg_in = f;
	if (alg_in.tag != 0x30 || alg_in.raw.len != alg_out.raw.len ||
	    memcmp(alg_in.raw.p, alg_out.raw.p, alg_in.raw.len) != 0)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: the signature algorithm inside the TBSCertList is not the "
		                 "one outside it",
		                 e->name);
	X509_CRL_get0_signature(crl, &sig, NULL);
	if (!sig || ASN1_STRING_length(sig) <= 0 || (sig->flags & 0x07))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: a signature BIT STRING that is empty or has unused bits",
		                 e->name);
	e->sig_len = (size_t)ASN1_STRING_length(sig);
	e->sig = malloc(e->sig_len);
	if (!e->sig)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	memcpy(e->sig, ASN1_STRING_get0_data(sig), e->sig_len);
	if (orsp_sha256(tbs.raw.p, tbs.raw.len, e->tbs_hash) || orsp_sha256(der, n, e->der_hash))
		return orsp_errf(ORSP_E_CRYPTO, "%s: SHA-256 failed", e->name);
	return ORSP_OK;
}

/* SGP.22 §4.5.2.2's partial CRLs: the extension id-rsp-totalPartialCrlNumber
 * (2.23.146.1.2.0.2) or id-rsp-partialCrlNumber (2.23.146.1.2.0.3) makes a CRL one part of
 * its issuer's list, the revocations of the others not in it: taken alone, it answered "not
 * revoked" for what another part listed (it was refused only when marked critical). The
 * extension's name and OID when o is one of them, else NULL. */
static const char *partial_crl(const ASN1_OBJECT *o)
{
	/* the contents octets of id-rspExt, 2.23.146.1.2.0 */
	static const uint8_t rsp_ext[] = {0x67, 0x81, 0x12, 0x01, 0x02, 0x00};
	const unsigned char *p = OBJ_get0_data(o);

	if (!p || OBJ_length(o) != sizeof(rsp_ext) + 1 || memcmp(p, rsp_ext, sizeof(rsp_ext)))
		return NULL;
	switch (p[sizeof(rsp_ext)]) {
	case 2:
		return "id-rsp-totalPartialCrlNumber, 2.23.146.1.2.0.2";
	case 3:
		return "id-rsp-partialCrlNumber, 2.23.146.1.2.0.3";
	default:
		return NULL;
	}
}

/* The checks of orsp_crl_store_add_mem on one DER CRL, into a new entry. */
static orsp_err parse_one(const uint8_t *der, size_t n, const char *name, crl_entry **out)
{
	const unsigned char *p, *in;
	uint8_t *rest = NULL;
	size_t rest_len = 0, in_len;
	orsp_slice list;
	X509_CRL *crl = NULL;
	crl_entry *e = NULL;
	AUTHORITY_KEYID *ak = NULL;
	ASN1_INTEGER *num = NULL;
	int crit = -1;
	orsp_err err;

	*out = NULL;
	if (n == 0 || n > LONG_MAX || orsp_der_validate(orsp_slice_make(der, n), 16))
		return orsp_errf(ORSP_E_MALFORMED, "%s: not a DER CRL", name);
	e = calloc(1, sizeof(*e));
	if (!e)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	pthread_mutex_init(&e->mu, NULL);
	e->name = strdup(name);
	if (!e->name) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	/* OpenSSL reads all but the entries (read_entries) */
	if ((err = split_revoked(der, n, name, &rest, &rest_len, &list)))
		goto out;
	in = p = rest ? rest : der;
	in_len = rest ? rest_len : n;
	crl = d2i_X509_CRL(NULL, &p, (long)in_len);
	if (!crl || p != in + in_len) {
		err = orsp__ossl_fail(ORSP_E_MALFORMED, "not a CRL");
		err = orsp_errf(err, "%s: not a CRL (CertificateList)", name);
		goto out;
	}
	if (X509_CRL_get_version(crl) != X509_CRL_VERSION_2) {
		err =
		    orsp_errf(ORSP_E_MALFORMED, "%s: a v1 CRL (RFC 5280 and SGP.22 want v2)", name);
		goto out;
	}
	if (X509_CRL_get_signature_nid(crl) != NID_ecdsa_with_SHA256) {
		err = orsp_errf(ORSP_E_MALFORMED, "%s: signed with %s, not ecdsa-with-SHA256", name,
		                OBJ_nid2sn(X509_CRL_get_signature_nid(crl)));
		goto out;
	}
	for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
		X509_EXTENSION *x = X509_CRL_get_ext(crl, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(x));
		const char *kind = NULL, *ext = NULL;
		/* RFC 5280 §5.2.4, §5.2.5: a delta CRL, or one whose scope is a part of the
		 * issuer's certificates (or other issuers' too), is not the complete list this
		 * store answers "not revoked" from; both extensions MUST be critical, and one
		 * that is not is refused all the same (it was taken for a complete CRL). So is
		 * a part of an SGP.22 partial CRL, whatever its flag (partial_crl) */
		if (nid == NID_delta_crl) {
			kind = "delta";
			ext = "deltaCRLIndicator, 2.5.29.27";
		} else if (nid == NID_issuing_distribution_point) {
			kind = "partitioned";
			ext = "issuingDistributionPoint, 2.5.29.28";
		} else if ((ext = partial_crl(X509_EXTENSION_get_object(x)))) {
			kind = "partial";
		}
		if (kind) {
			err = orsp_errf(ORSP_E_POLICY,
			                "%s: a %s CRL (%s), which openrsp does not process: it "
			                "takes complete CRLs only",
			                name, kind, ext);
			goto out;
		}
		if (X509_EXTENSION_get_critical(x)) {
			char oid[80];
			OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(x), 1);
			err = orsp_errf(ORSP_E_POLICY,
			                "%s: the critical extension %s (a delta or partitioned "
			                "CRL?), which openrsp does not process",
			                name, oid);
			goto out;
		}
	}
	ak = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	if (ak && ak->keyid && ak->keyid->length > AKI_MAX) {
		err = orsp_errf(ORSP_E_MALFORMED,
		                "%s: an authorityKeyIdentifier whose key identifier is over %d "
		                "octets (RFC 5280 §4.2.1.2's two methods make 20 or 8)",
		                name, AKI_MAX);
		goto out;
	}
	if (!ak || !ak->keyid || ak->keyid->length <= 0) {
		ERR_clear_error();
		err = orsp_errf(ORSP_E_MALFORMED,
		                "%s: no authorityKeyIdentifier with a key identifier (RFC 5280 "
		                "§5.2.1)",
		                name);
		goto out;
	}
	memcpy(e->aki, ak->keyid->data, (size_t)ak->keyid->length);
	e->aki_len = (size_t)ak->keyid->length;
	crit = -1;
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	if (!num && crit != -1) {
		ERR_clear_error();
		err = orsp_errf(ORSP_E_MALFORMED, "%s: a cRLNumber that does not decode", name);
		goto out;
	}
	if (num) {
		uint8_t b[21];
		size_t bl = 0;
		if (!integer_octets(num, b, sizeof(b), &bl)) {
			err = orsp_errf(ORSP_E_MALFORMED, "%s: a cRLNumber over 20 octets", name);
			goto out;
		}
		/* RFC 5280 §5.2.3: CRLNumber ::= INTEGER (0..MAX). A negative one, kept as its
		 * two's complement octets, compared as a large number (#-1 above #100) */
		if (b[0] & 0x80) {
			err = orsp_errf(ORSP_E_MALFORMED,
			                "%s: a negative cRLNumber (RFC 5280 §5.2.3: 0 or more)",
			                name);
			goto out;
		}
		hex_of(b, bl, e->number, sizeof(e->number));
	}
	if (orsp__asn1_time(X509_CRL_get0_lastUpdate(crl), "thisUpdate", &e->this_update)) {
		err = orsp_errf(ORSP_E_MALFORMED, "%s: a thisUpdate that does not decode", name);
		goto out;
	}
	if (!X509_CRL_get0_nextUpdate(crl) ||
	    orsp__asn1_time(X509_CRL_get0_nextUpdate(crl), "nextUpdate", &e->next_update)) {
		err =
		    orsp_errf(ORSP_E_MALFORMED,
		              "%s: no nextUpdate, or one that does not decode (RFC 5280 §5.1.2.5: "
		              "without it nobody can tell when it is stale)",
		              name);
		goto out;
	}
	if (e->next_update < e->this_update) {
		err = orsp_errf(ORSP_E_MALFORMED, "%s: its nextUpdate is before its thisUpdate",
		                name);
		goto out;
	}
	if (!(err = signed_parts(e, crl, der, n)))
		err = read_entries(e, list);
	if (!err && !(e->issuer = X509_NAME_dup(X509_CRL_get_issuer(crl))))
		err = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
out:
	free(rest);
	X509_CRL_free(crl);
	AUTHORITY_KEYID_free(ak);
	ASN1_INTEGER_free(num);
	if (err) {
		entry_free(e);
		return err;
	}
	*out = e;
	return ORSP_OK;
}

/* Whether a and b are the same CRL: the same issuer and key, and the same cRLNumber (or,
 * without one, the same bytes). */
static bool same_crl(const crl_entry *a, const crl_entry *b)
{
	return same_issuer(a, b) &&
	       (a->number[0] ? strcmp(a->number, b->number) == 0
	                     : !memcmp(a->der_hash, b->der_hash, sizeof(a->der_hash)));
}

/* Whether two of the n CRLs v are the same CRL. */
static bool twice(crl_entry *const *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (same_crl(v[j], v[i]))
				return true;
	return false;
}

/* The CRL held that is the same as e, NULL when there is none. */
static const crl_entry *held_as(const orsp_crl_store *s, const crl_entry *e)
{
	for (size_t i = 0; i < s->n; i++)
		if (same_crl(s->v[i], e))
			return s->v[i];
	return NULL;
}

static orsp_err store_push(orsp_crl_store *s, crl_entry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4;
		crl_entry **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = e;
	return ORSP_OK;
}

orsp_err orsp_crl_store_add_mem(orsp_crl_store *s, const void *data, size_t n, const char *name)
{
	const uint8_t *buf = data;
	crl_entry *got[64];
	size_t ng = 0, n0, c0;
	BIO *bio = NULL;
	orsp_err err = ORSP_OK;

	if (!s || (!data && n) || !name)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_add_mem: NULL argument");
	if (n > 0 && buf[0] == 0x30) {
		err = parse_one(buf, n, name, &got[ng]);
		if (!err)
			ng++;
	} else if (n > INT_MAX) {
		err = orsp_errf(ORSP_E_MALFORMED, "%s: too large", name);
	} else if (!(bio = BIO_new_mem_buf(n ? data : (const void *)"", (int)n))) {
		err = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	} else {
		/* PEM: every X509 CRL block (others skipped) */
		for (;;) {
			char *pname = NULL, *header = NULL;
			unsigned char *pdata = NULL;
			long plen = 0;
			if (PEM_read_bio(bio, &pname, &header, &pdata, &plen) != 1) {
				/* no further BEGIN line: the end. Anything else is a block that
				 * does not decode (cut short, its base64 broken), refused with the
				 * file: taken as the end, it dropped the CRLs in and after it, and
				 * their issuers' revocations were no longer checked (review find)
				 */
				unsigned long why = ERR_peek_last_error();
				if (ERR_GET_LIB(why) != ERR_LIB_PEM ||
				    ERR_GET_REASON(why) != PEM_R_NO_START_LINE)
					err = orsp_errf(ORSP_E_MALFORMED,
					                "%s: a PEM block that does not decode (cut "
					                "short, or its base64 broken)",
					                name);
				ERR_clear_error();
				break;
			}
			if (strcmp(pname, PEM_STRING_X509_CRL) == 0) {
				if (header && header[0])
					err = orsp_errf(ORSP_E_MALFORMED,
					                "%s: a PEM CRL with headers", name);
				else if (ng == ORSP_ARRAY_LEN(got))
					err = orsp_errf(ORSP_E_MALFORMED,
					                "%s: more than %zu CRLs in one file", name,
					                ORSP_ARRAY_LEN(got));
				else if (!(err = parse_one(pdata, (size_t)plen, name, &got[ng])))
					ng++;
			}
			OPENSSL_free(pname);
			OPENSSL_free(header);
			OPENSSL_free(pdata);
			if (err)
				break;
		}
		if (!err && ng == 0)
			err = orsp_errf(ORSP_E_MALFORMED,
			                "%s: no DER CRL and no PEM \"X509 CRL\" "
			                "block",
			                name);
	}
	BIO_free(bio);
	/* the same CRL twice in one file: not the file that was meant (one CRL pasted twice
	 * where two were to go) */
	if (!err && twice(got, ng))
		err = orsp_errf(ORSP_E_POLICY,
		                "%s: the same CRL (issuer, key and cRLNumber) twice in the file",
		                name);
	/* all of the file or nothing. A CRL held already is refused, but for the very same
	 * bytes from another file (two distribution points' copies of the current CRL): that
	 * copy is held once, under the first file's name (one series on /metrics) */
	wr_lock(s);
	n0 = s->n;
	c0 = s->n_copies;
	for (size_t i = 0; !err && i < ng; i++) {
		const crl_entry *o = held_as(s, got[i]);
		if (!o) {
			if (!(err = store_push(s, got[i])))
				got[i] = NULL;
		} else if (memcmp(o->der_hash, got[i]->der_hash, sizeof(o->der_hash)) ||
		           strcmp(o->name, got[i]->name) == 0) {
			err = orsp_errf(ORSP_E_POLICY,
			                "%s: the same CRL (issuer, key and cRLNumber) is held "
			                "already%s%s",
			                name, strcmp(o->name, name) ? ", from " : "",
			                strcmp(o->name, name) ? o->name : "");
		} else if (!copy_push(s, name, o->name)) {
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		}
	}
	/* on failure, take back what this call added */
	while (err && s->n > n0)
		entry_free(s->v[--s->n]);
	if (err)
		copies_cut(s, c0);
	un_lock(s);
	/* the CRLs not added: copies of one held, and all of them on failure */
	for (size_t i = 0; i < ng; i++)
		entry_free(got[i]);
	return err;
}

orsp_err orsp_crl_store_add_file(orsp_crl_store *s, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	orsp_err err;

	if (!s || !path)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_add_file: NULL argument");
	err = orsp_cert_pem_bundle_read(path, &buf, &len);
	if (!err)
		err = orsp_crl_store_add_mem(s, buf, len, path);
	free(buf);
	return err;
}

/* Whether e applies to certificates that issuer issued: e's issuer name is issuer's subject
 * and its authorityKeyIdentifier issuer's subjectKeyIdentifier. */
static bool issued_by(const crl_entry *e, X509 *issuer)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(issuer);

	return ski && (size_t)ASN1_STRING_length(ski) == e->aki_len &&
	       memcmp(ASN1_STRING_get0_data(ski), e->aki, e->aki_len) == 0 &&
	       X509_NAME_cmp(e->issuer, X509_get_subject_name(issuer)) == 0;
}

static bool same_der(const uint8_t *a, size_t al, orsp_slice b)
{
	return a && al == b.len && memcmp(a, b.p, al) == 0;
}

/* Whether key verifies e's signature over its TBSCertList (hashed when it was read). */
static bool verify_digest(const crl_entry *e, EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
	bool ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
	          EVP_PKEY_verify(ctx, e->sig, e->sig_len, e->tbs_hash, sizeof(e->tbs_hash)) == 1;

	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* Whether issuer's key verifies e's signature, remembered per issuer certificate. */
static bool verified_by(crl_entry *e, const orsp_cert *issuer)
{
	orsp_slice d = orsp_cert_der(issuer);
	bool ok;
	uint8_t *copy;

	pthread_mutex_lock(&e->mu);
	if (same_der(e->ok_der, e->ok_len, d) || same_der(e->bad_der, e->bad_len, d)) {
		ok = same_der(e->ok_der, e->ok_len, d);
		pthread_mutex_unlock(&e->mu);
		return ok;
	}
	ok = orsp__cert_point_ok(issuer) &&
	     verify_digest(e, X509_get0_pubkey(orsp__cert_x509(issuer)));
	copy = malloc(d.len ? d.len : 1);
	if (copy) {
		memcpy(copy, d.p, d.len);
		if (ok) {
			free(e->ok_der);
			e->ok_der = copy;
			e->ok_len = d.len;
		} else {
			free(e->bad_der);
			e->bad_der = copy;
			e->bad_len = d.len;
		}
	}
	pthread_mutex_unlock(&e->mu);
	return ok;
}

orsp_err orsp_crl_store_issued_by(const orsp_crl_store *s, size_t i, const orsp_cert *issuer)
{
	char cn[64];
	crl_entry *e;
	orsp_err err = ORSP_OK;

	if (!s || !issuer)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_issued_by: NULL argument");
	orsp__name_cn(X509_get_subject_name(orsp__cert_x509(issuer)), cn, sizeof(cn));
	rd_lock(s); /* verified_by takes the CRL's own lock for what it remembers */
	if (i >= s->n)
		err = orsp_errf(ORSP_E_NOT_FOUND, "no CRL %zu", i);
	else if (!issued_by((e = s->v[i]), orsp__cert_x509(issuer)))
		err = orsp_errf(ORSP_E_POLICY,
		                "%s is not a CRL of \"%s\" (its issuer name or key identifier is "
		                "another's)",
		                e->name, cn);
	else if (!verified_by(e, issuer))
		err = orsp_errf(ORSP_E_VERIFY,
		                "%s: the CRL's signature does not verify with the key of \"%s\"",
		                e->name, cn);
	un_lock(s);
	return err;
}

bool orsp_crl_store_of_issuer_of(const orsp_crl_store *s, size_t i, const orsp_cert *c)
{
	bool of = false;

	if (!s || !c)
		return false;
	rd_lock(s);
	if (i < s->n)
		of = X509_NAME_cmp(s->v[i]->issuer, X509_get_issuer_name(orsp__cert_x509(c))) == 0;
	un_lock(s);
	return of;
}

orsp_err orsp_crl_store_bind(orsp_crl_store *s, const orsp_ci_store *cis, size_t *by_ci)
{
	size_t n = 0;

	if (by_ci)
		*by_ci = 0;
	if (!s || !cis)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_bind: NULL argument");
	wr_lock(s);
	for (size_t i = 0; i < s->n; i++) {
		crl_entry *e = s->v[i];
		const orsp_cert *ci = orsp_ci_store_find(cis, e->aki, e->aki_len);
		if (!ci || !issued_by(e, orsp__cert_x509(ci)))
			continue;
		e->by_ci = true;
		if (!verified_by(e, ci)) {
			un_lock(s);
			return orsp_errf(ORSP_E_VERIFY,
			                 "%s: the CRL's signature does not verify with the key of "
			                 "the trusted CI that issued it",
			                 e->name);
		}
		n++;
	}
	un_lock(s);
	if (by_ci)
		*by_ci = n;
	return ORSP_OK;
}

orsp_err orsp_crl_store_bind_client_cas(orsp_crl_store *s, orsp_cert *const *cas, size_t n,
                                        size_t *bound)
{
	size_t k = 0;
	char cn[64];

	if (bound)
		*bound = 0;
	if (!s || (!cas && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_store_bind_client_cas: NULL argument");
	wr_lock(s);
	for (size_t i = 0; i < s->n; i++) {
		crl_entry *e = s->v[i];
		for (size_t j = 0; j < n; j++) {
			X509 *ca = orsp__cert_x509(cas[j]);
			/* A CA without a subjectKeyIdentifier (RFC 5280 §4.2.1.2 asks for one) is
			 * never found as its CRL's issuer (issued_by): the CRL, in its name, would
			 * be read, listed and never applied, its revocations ignored (the diff
			 * review of session 78). Refused, saying so. */
			if (!X509_get0_subject_key_id(ca) &&
			    X509_NAME_cmp(e->issuer, X509_get_subject_name(ca)) == 0) {
				orsp__name_cn(X509_get_subject_name(ca), cn, sizeof(cn));
				un_lock(s);
				return orsp_errf(
				    ORSP_E_VERIFY,
				    "%s: the operator CA \"%s\" that it names as its issuer "
				    "has no subjectKeyIdentifier, by which a CRL is matched "
				    "to its CA: the CRL would never apply (issue the CA again "
				    "with a subjectKeyIdentifier)",
				    e->name, cn);
			}
			if (!issued_by(e, ca))
				continue;
			if (!verified_by(e, cas[j])) {
				orsp__name_cn(X509_get_subject_name(ca), cn, sizeof(cn));
				un_lock(s);
				return orsp_errf(
				    ORSP_E_VERIFY,
				    "%s: the CRL's signature does not verify with the key "
				    "of the operator CA \"%s\" that issued it",
				    e->name, cn);
			}
			e->by_client_ca = true;
			k++;
			break;
		}
	}
	un_lock(s);
	if (bound)
		*bound = k;
	return ORSP_OK;
}

orsp_err orsp_cert_der_serial(const void *der, size_t len, orsp_slice *serial)
{
	orsp_tlv cert, tbs, f;
	orsp_reader r;

	if (!der || !serial)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_der_serial: NULL argument");
	if (orsp_der_parse_one(orsp_slice_make(der, len), &cert) || cert.tag != 0x30)
		return orsp_errf(ORSP_E_MALFORMED, "not a DER certificate");
	orsp_reader_init(&r, cert.value.p, cert.value.len);
	if (orsp_der_expect(&r, 0x30, &tbs))
		return orsp_errf(ORSP_E_MALFORMED, "a certificate without its tbsCertificate");
	orsp_reader_init(&r, tbs.value.p, tbs.value.len);
	if (orsp_der_read(&r, &f) || (f.tag == 0xA0 && orsp_der_read(&r, &f)) || f.tag != 0x02 ||
	    f.value.len == 0)
		return orsp_errf(ORSP_E_MALFORMED, "a certificate without its serialNumber");
	*serial = f.value;
	return ORSP_OK;
}

static orsp_err check_locked(const orsp_crl_store *s, const orsp_cert *issuer, const void *cert,
                             size_t len, time_t now, orsp_crl_status *st, orsp_crl_why *why);

orsp_err orsp_crl_check_why(const orsp_crl_store *s, const orsp_cert *issuer, const void *cert,
                            size_t len, time_t now, orsp_crl_status *st, orsp_crl_why *why)
{
	orsp_err err;

	if (!st || !issuer || !cert)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_check: NULL argument");
	*st = ORSP_CRL_GOOD;
	if (!s)
		return ORSP_OK;
	rd_lock(s);
	err = check_locked(s, issuer, cert, len, now, st, why);
	un_lock(s);
	return err;
}

orsp_err orsp_crl_check(const orsp_crl_store *s, const orsp_cert *issuer, const void *cert,
                        size_t len, time_t now, orsp_crl_status *st)
{
	return orsp_crl_check_why(s, issuer, cert, len, now, st, NULL);
}

/* orsp_crl_check_why under s's lock (shared). The verdict's fields go to *why (a local one
 * when the caller asks for none), the message is made of them. */
static orsp_err check_locked(const orsp_crl_store *s, const orsp_cert *issuer, const void *cert,
                             size_t len, time_t now, orsp_crl_status *st, orsp_crl_why *why)
{
	orsp_slice serial;
	const crl_entry *cur = NULL, *unverified = NULL;
	orsp_crl_why own;
	orsp_err err;

	if (s->n == 0)
		return ORSP_OK;
	if ((err = orsp_cert_der_serial(cert, len, &serial)))
		return err;
	if (!now)
		now = time(NULL);
	if (!why)
		why = &own;
	/* the issuer's current CRL: of those its key verifies, the newest (RFC 5280 §6.3.3
	 * checks against the current complete CRL; an older one held beside it, as a second
	 * distribution point's copy that lags, neither revokes what the newer one lifted, a
	 * certificateHold, nor makes the issuer's certificates stale) */
	for (size_t i = 0; i < s->n; i++) {
		crl_entry *e = s->v[i];
		if (!issued_by(e, orsp__cert_x509(issuer)))
			continue;
		if (!verified_by(e, issuer)) {
			unverified = e;
			continue;
		}
		/* one in force now before one issued for later (as OpenSSL scores them): a
		 * clock a little behind the issuer's must not lose the current CRL */
		if (!cur ||
		    ((e->this_update <= now) == (cur->this_update <= now) ? newer(e, cur)
		                                                          : e->this_update <= now))
			cur = e;
	}
	if (cur) {
		const crl_entry *e = cur;
		rev_entry key, *hit;
		if (serial.len <= SERIAL_MAX) {
			key.len = (uint8_t)serial.len;
			memcpy(key.serial, serial.p, serial.len);
			/* an empty CRL has no array (bsearch wants one even for 0 items) */
			hit = e->n_rev ? bsearch(&key, e->rev, e->n_rev, sizeof(*e->rev), rev_cmp)
			               : NULL;
			if (hit) {
				hex_of(serial.p, serial.len, why->serial, sizeof(why->serial));
				snprintf(why->reason, sizeof(why->reason), "%s",
				         reason_name(hit->reason));
				fmt_time(hit->when, why->when, sizeof(why->when));
				snprintf(why->crl, sizeof(why->crl), "%s", e->name);
				why->ahead = false;
				*st = ORSP_CRL_REVOKED;
				return orsp_errf(
				    ORSP_E_POLICY,
				    "certificate serial %s is revoked (%s, since %s) by "
				    "the CRL %s",
				    why->serial, why->reason, why->when, why->crl);
			}
		}
	}
	if (!unverified && (!cur || (cur->next_update >= now && cur->this_update <= now)))
		return ORSP_OK;
	/* the serial number only for a verdict that names it */
	hex_of(serial.p, serial.len <= SERIAL_MAX ? serial.len : SERIAL_MAX, why->serial,
	       sizeof(why->serial));
	why->reason[0] = '\0';
	why->ahead = false;
	if (unverified) {
		why->when[0] = '\0';
		snprintf(why->crl, sizeof(why->crl), "%s", unverified->name);
		*st = ORSP_CRL_UNVERIFIED;
		return orsp_errf(ORSP_E_POLICY,
		                 "certificate serial %s: the CRL %s of its issuer does not verify "
		                 "with the issuer's key",
		                 why->serial, why->crl);
	}
	snprintf(why->crl, sizeof(why->crl), "%s", cur->name);
	*st = ORSP_CRL_STALE;
	why->ahead = cur->this_update > now;
	if (why->ahead) {
		/* issued for later (or this clock is behind the issuer's): not yet in force, as
		 * OpenSSL's "CRL is not yet valid"; no CRL of the issuer is current */
		fmt_time(cur->this_update, why->when, sizeof(why->when));
		return orsp_errf(ORSP_E_POLICY,
		                 "certificate serial %s: the CRL %s of its issuer is not yet valid "
		                 "(its thisUpdate is %s)",
		                 why->serial, why->crl, why->when);
	}
	fmt_time(cur->next_update, why->when, sizeof(why->when));
	return orsp_errf(ORSP_E_POLICY,
	                 "certificate serial %s: the CRL %s of its issuer is stale (its nextUpdate "
	                 "was %s)",
	                 why->serial, why->crl, why->when);
}

/* ---------------------------------------------------------------- issuing ------------ */

static orsp_err add_ext(X509_CRL *crl, int nid, void *value)
{
	if (X509_CRL_add1_ext_i2d(crl, nid, value, 0, 0) != 1)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "cannot add a CRL extension");
	return ORSP_OK;
}

static orsp_err add_revoked(X509_CRL *crl, const orsp_crl_revoked *r)
{
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = NULL;
	ASN1_ENUMERATED *en = NULL;
	X509_REVOKED *rv = X509_REVOKED_new();
	orsp_err err = ORSP_E_CRYPTO;

	if (!rv || !(sn = integer_of(r->serial, r->serial_len)) ||
	    !(t = ASN1_TIME_set(NULL, r->when)) || X509_REVOKED_set_serialNumber(rv, sn) != 1 ||
	    X509_REVOKED_set_revocationDate(rv, t) != 1)
		goto out;
	if (r->reason > 0) {
		if (!(en = ASN1_ENUMERATED_new()) || ASN1_ENUMERATED_set(en, r->reason) != 1 ||
		    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, en, 0, 0) != 1)
			goto out;
	}
	if (X509_CRL_add0_revoked(crl, rv) != 1)
		goto out;
	rv = NULL;
	err = ORSP_OK;
out:
	if (err)
		err = orsp__ossl_fail(err, "cannot add a revoked certificate to the CRL");
	X509_REVOKED_free(rv);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(en);
	return err;
}

orsp_err orsp_crl_issue(const orsp_cert *issuer, const orsp_ec_key *issuer_key,
                        const orsp_crl_revoked *rev, size_t n, time_t this_update,
                        time_t next_update, uint64_t number, uint8_t **der, size_t *len)
{
	X509 *ix;
	EVP_PKEY *pk;
	X509_CRL *crl = NULL;
	AUTHORITY_KEYID *ak = NULL;
	ASN1_INTEGER *num = NULL;
	ASN1_TIME *t1 = NULL, *t2 = NULL;
	const ASN1_OCTET_STRING *ski;
	unsigned char *out = NULL;
	int out_len;
	orsp_err err = ORSP_OK;

	if (!issuer || !issuer_key || (!rev && n) || !der || !len)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_issue: NULL argument");
	*der = NULL;
	*len = 0;
	if (next_update <= this_update)
		return orsp_errf(ORSP_E_USAGE, "a CRL's nextUpdate must come after its thisUpdate");
	for (size_t i = 0; i < n; i++) {
		int r = rev[i].reason;
		if (!rev[i].serial || rev[i].serial_len == 0 || rev[i].serial_len > 20)
			return orsp_errf(ORSP_E_USAGE,
			                 "entry %zu: a serial number of 1 to 20 octets", i + 1);
		if (r < 0 || r > 10 || r == 7 || r == 8)
			return orsp_errf(ORSP_E_USAGE,
			                 "entry %zu: reason %d is no CRLReason of a complete CRL",
			                 i + 1, r);
	}
	ix = orsp__cert_x509(issuer);
	pk = orsp__ec_pkey(issuer_key);
	ski = X509_get0_subject_key_id(ix);
	if (!ski)
		return orsp_errf(ORSP_E_USAGE,
		                 "the issuer certificate has no subjectKeyIdentifier");
	if (!pk || X509_check_private_key(ix, pk) != 1) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_USAGE,
		                 "the key is not the issuer certificate's private key");
	}
	if (!(crl = X509_CRL_new()) || X509_CRL_set_version(crl, X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ix)) != 1 ||
	    !(t1 = ASN1_TIME_set(NULL, this_update)) || !(t2 = ASN1_TIME_set(NULL, next_update)) ||
	    X509_CRL_set1_lastUpdate(crl, t1) != 1 || X509_CRL_set1_nextUpdate(crl, t2) != 1 ||
	    !(ak = AUTHORITY_KEYID_new()) || !(ak->keyid = ASN1_OCTET_STRING_dup(ski)) ||
	    !(num = ASN1_INTEGER_new()) || ASN1_INTEGER_set_uint64(num, number) != 1) {
		err = orsp__ossl_fail(ORSP_E_CRYPTO, "cannot build the CRL");
		goto out;
	}
	if ((err = add_ext(crl, NID_authority_key_identifier, ak)) ||
	    (err = add_ext(crl, NID_crl_number, num)))
		goto out;
	for (size_t i = 0; i < n && !err; i++)
		err = add_revoked(crl, &rev[i]);
	if (err)
		goto out;
	if (X509_CRL_sort(crl) != 1 || X509_CRL_sign(crl, pk, EVP_sha256()) <= 0 ||
	    (out_len = i2d_X509_CRL(crl, &out)) <= 0) {
		err = orsp__ossl_fail(ORSP_E_CRYPTO, "signing the CRL failed");
		goto out;
	}
	*der = malloc((size_t)out_len);
	if (!*der) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	memcpy(*der, out, (size_t)out_len);
	*len = (size_t)out_len;
out:
	OPENSSL_free(out);
	X509_CRL_free(crl);
	AUTHORITY_KEYID_free(ak);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	return err;
}

orsp_err orsp_crl_save(const uint8_t *der, size_t len, const char *path)
{
	if (!der || !len || !path)
		return orsp_errf(ORSP_E_USAGE, "orsp_crl_save: NULL or empty argument");
	return orsp__der_save(der, len, path, PEM_STRING_X509_CRL);
}
