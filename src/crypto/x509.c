/* X.509 for the GSMA RSP hierarchy (SGP.22 §4.5.2, RFC 5280 profile).
 *
 * Path validation is done here step by step instead of by X509_verify_cert(): the EUM's
 * nameConstraints carry the GSMA EID-prefix rule ("the eUICC's serialNumber starts with the
 * permitted serialNumber", SGP.22 §4.5.2.1.0.2), which generic RFC 5280 directoryName
 * matching rejects as a "permitted subtree violation". The chains are at most three
 * certificates long and their profile is fixed, so each check is explicit: signature
 * (X509_verify), validity, AKI/SKI and issuer-name linkage, basicConstraints, keyUsage,
 * the RSP role policy, critical extensions, and the EID range. OpenSSL only parses and
 * verifies signatures.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ec_internal.h"
#include "openrsp/der.h"

#define CERT_MAX 65536 /* RSP certificates are well under 2 KiB */
#define EID_LEN 32

struct orsp_cert {
	X509 *x;
	uint8_t *der; /* the bytes as parsed */
	size_t der_len;
	int refs;    /* the caller's, and the parse cache's */
	uint64_t fp; /* FNV-1a of der: the cache slot */
	/* The DER of the issuer certificate whose key verified this one's signature, once it
	 * did (under sig_memo_mu): a shared certificate such as an EUM is then not verified
	 * again under the same CI. Allocated with the certificate (orsp_cert_parse fails
	 * without it); the rest of the object never changes once it is shared. */
	struct sig_memo {
		uint8_t *der;
		size_t len;
		/* Facts read from the certificate, kept once they were read successfully (a
		 * failure is read again, for its message): an EUM is checked at every download,
		 * and decoding its policies, name constraints and key group costs OpenSSL more
		 * than the checks themselves. 0 = not read yet. */
		_Atomic int role;  /* orsp_rsp_role + 1 */
		_Atomic int curve; /* orsp_curve of the public key */
		_Atomic int nc;    /* 1: no nameConstraints; 2: nc_decoded holds them */
		NAME_CONSTRAINTS *_Atomic nc_decoded;
	} * memo;
};

static pthread_mutex_t sig_memo_mu = PTHREAD_MUTEX_INITIALIZER;

/* Parse cache. OpenSSL 3.0 spends ~0.2 ms in d2i_X509 (its key decoders), and the same
 * certificates come back again and again: the EUM and CI of every eUICC, CERT.EUICC in
 * each step of a session. A parsed certificate is immutable (its extension cache is filled
 * by orsp_cert_parse before it is shared), so equal bytes get the same object with one
 * more reference. Hits compare the whole DER; the slot is a hash of it. */
#define CERT_CACHE 256
static orsp_cert *cert_cache[CERT_CACHE];
static pthread_mutex_t cert_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static orsp_cert *cert_cache_get(const uint8_t *der, size_t n, uint64_t fp)
{
	orsp_cert *c;

	pthread_mutex_lock(&cert_cache_mu);
	c = cert_cache[fp % CERT_CACHE];
	if (c && (c->fp != fp || c->der_len != n || memcmp(c->der, der, n) != 0))
		c = NULL;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&cert_cache_mu);
	return c;
}

static void cert_cache_put(orsp_cert *c)
{
	orsp_cert *old;

	pthread_mutex_lock(&cert_cache_mu);
	old = cert_cache[c->fp % CERT_CACHE];
	c->refs++;
	cert_cache[c->fp % CERT_CACHE] = c;
	pthread_mutex_unlock(&cert_cache_mu);
	orsp_cert_free(old);
}

struct orsp_ci_store {
	orsp_cert **cis;
	size_t n, cap;
};

/* id-rspRole = 2.23.146.1.2.1 (SGP.22 §4.5.2.1.0.1): content octets of the OID without
 * the final arc. */
static const uint8_t rsp_role_arc[] = {0x67, 0x81, 0x12, 0x01, 0x02, 0x01};
/* 2.23.146.1.2.2.0, the SGP.22 v3 EUM extension permittedEins ::= SEQUENCE OF
 * PrintableString (EID prefixes); SGP.26 v3 test EUMs carry it. */
static const uint8_t permitted_eins_oid[] = {0x67, 0x81, 0x12, 0x01, 0x02, 0x02, 0x00};

static const char *const role_names[] = {
    [ORSP_ROLE_CI] = "CI",        [ORSP_ROLE_EUICC] = "eUICC",    [ORSP_ROLE_EUM] = "EUM",
    [ORSP_ROLE_DP_TLS] = "DPtls", [ORSP_ROLE_DP_AUTH] = "DPauth", [ORSP_ROLE_DP_PB] = "DPpb",
    [ORSP_ROLE_DS_TLS] = "DStls", [ORSP_ROLE_DS_AUTH] = "DSauth",
};

static const char *role_name(orsp_rsp_role r)
{
	return (unsigned)r < ORSP_ARRAY_LEN(role_names) ? role_names[r] : "unknown role";
}

/* The current detail, copied: orsp_errf() must not read the buffer it is writing. */
static const char *saved_detail(char *buf, size_t cap)
{
	orsp_err_detail_copy(buf, cap);
	return buf;
}

/* ---------------------------------------------------------------- parsing ------------ */

void orsp_cert_free(orsp_cert *c)
{
	bool last;

	if (!c)
		return;
	pthread_mutex_lock(&cert_cache_mu);
	last = --c->refs <= 0;
	pthread_mutex_unlock(&cert_cache_mu);
	if (!last)
		return;
	X509_free(c->x);
	free(c->der);
	if (c->memo) {
		NAME_CONSTRAINTS_free(atomic_load(&c->memo->nc_decoded));
		free(c->memo->der);
	}
	free(c->memo);
	free(c);
}

/* Whether issuer's key verified child's signature before (the signature, the TBS bytes and
 * the key are all fixed by the two DER encodings). */
static bool sig_memo_has(const orsp_cert *child, const orsp_cert *issuer)
{
	bool hit;

	if (!child->memo || !issuer->der)
		return false;
	pthread_mutex_lock(&sig_memo_mu);
	hit = child->memo->der && child->memo->len == issuer->der_len &&
	      memcmp(child->memo->der, issuer->der, issuer->der_len) == 0;
	pthread_mutex_unlock(&sig_memo_mu);
	return hit;
}

static void sig_memo_set(const orsp_cert *child, const orsp_cert *issuer)
{
	uint8_t *copy, *old;

	if (!child->memo || !issuer->der || !(copy = malloc(issuer->der_len)))
		return; /* no memo: verified again next time */
	memcpy(copy, issuer->der, issuer->der_len);
	pthread_mutex_lock(&sig_memo_mu);
	old = child->memo->der;
	child->memo->der = copy;
	child->memo->len = issuer->der_len;
	pthread_mutex_unlock(&sig_memo_mu);
	free(old);
}

/* One Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET
 * STRING } from r, read as DER: the flag, when there, is TRUE as FF (FALSE, the DEFAULT, is
 * left out: X.690 11.1, 11.5). *value is the OCTET STRING. Shared by orsp_cert_parse, the
 * eUICC fast path and the CRL entries (crl.c), so that all read an extension the same way. */
ext_read orsp__read_extension(orsp_reader *r, orsp_tlv *oid, bool *critical, orsp_tlv *value)
{
	orsp_reader e;
	orsp_tlv ext, f;

	if (orsp_der_expect(r, 0x30, &ext))
		return EXT_UNREADABLE;
	orsp_reader_init(&e, ext.value.p, ext.value.len);
	if (orsp_der_expect(&e, 0x06, oid) || orsp_der_read(&e, &f))
		return EXT_UNREADABLE;
	*critical = f.tag == 0x01;
	if (*critical) {
		if (f.value.len != 1 || f.value.p[0] != 0xFF)
			return EXT_BAD_FLAG;
		if (orsp_der_read(&e, &f))
			return EXT_UNREADABLE;
	}
	if (f.tag != 0x04 || orsp_reader_remaining(&e))
		return EXT_UNREADABLE;
	*value = f;
	return EXT_OK;
}

static orsp_err exts_unreadable(void)
{
	/* the structure d2i_X509 read and src/der not: not expected */
	return orsp_errf(ORSP_E_MALFORMED, "certificate: its extensions cannot be read as DER");
}

static int oid_order(const void *a, const void *b)
{
	const orsp_slice *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/* RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
 * extension." OpenSSL flags a repeated extension only among those it caches (keyUsage,
 * basicConstraints, SKI, AKI, ...), so the n extensions' OIDs are sorted and compared here:
 * any extension twice is refused. r reads the extensions, already read once as DER. */
static orsp_err extensions_unique(orsp_reader r, unsigned n)
{
	orsp_slice *oids;
	orsp_tlv oid, f;
	bool critical;
	orsp_err e = ORSP_OK;

	if (n < 2)
		return ORSP_OK;
	oids = calloc(n, sizeof(*oids));
	if (!oids)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		if (orsp__read_extension(&r, &oid, &critical, &f) != EXT_OK) {
			e = exts_unreadable();
			goto out;
		}
		oids[i] = oid.value;
	}
	qsort(oids, n, sizeof(*oids), oid_order);
	for (unsigned i = 1; i < n; i++)
		if (oid_order(&oids[i - 1], &oids[i]) == 0) {
			e = orsp_errf(ORSP_E_MALFORMED,
			              "certificate has an extension twice (RFC 5280 §4.2)");
			goto out;
		}
out:
	free(oids);
	return e;
}

/* The extensions of a certificate whose TLVs are DER (`der`), as read from its bytes: each
 * one's critical flag is DER (orsp__read_extension), and so is its value, the DER encoding of the
 * extension's type inside the OCTET STRING; and no extension appears twice
 * (extensions_unique). OpenSSL takes critical as 01 or an explicit FALSE, and keeps the
 * value's bytes as they came. */
static orsp_err extensions_are_der(orsp_slice der)
{
	orsp_reader r, all;
	orsp_tlv t, exts, oid, f;
	bool critical;
	unsigned i = 0;

	/* Certificate { TBSCertificate { ..., [3] EXPLICIT Extensions }, ... } */
	if (orsp_der_parse_one(der, &t))
		return exts_unreadable();
	orsp_reader_init(&r, t.value.p, t.value.len);
	if (orsp_der_expect(&r, 0x30, &t))
		return exts_unreadable();
	orsp_reader_init(&r, t.value.p, t.value.len);
	do {
		if (!orsp_reader_remaining(&r))
			return ORSP_OK; /* no extensions */
		if (orsp_der_read(&r, &t))
			return exts_unreadable();
	} while (t.tag != 0xA3);
	if (orsp_der_parse_one(t.value, &exts) || exts.tag != 0x30)
		return exts_unreadable();
	orsp_reader_init(&r, exts.value.p, exts.value.len);
	all = r;
	while (orsp_reader_remaining(&r)) {
		i++;
		switch (orsp__read_extension(&r, &oid, &critical, &f)) {
		case EXT_OK:
			break;
		case EXT_BAD_FLAG:
			return orsp_errf(ORSP_E_MALFORMED,
			                 "certificate is not DER encoded: the critical flag of "
			                 "extension %u (TRUE is FF, FALSE is left out)",
			                 i);
		default:
			return exts_unreadable();
		}
		/* orsp_errf takes the detail it replaces as an argument */
		if (orsp_der_validate(f.value, ORSP_DER_MAX_DEPTH))
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "certificate is not DER encoded: the value of extension %u: %s", i,
			    orsp_err_detail());
	}
	return extensions_unique(all, i);
}

/* The envelope's DER check leaves the TBS to this: d2i_X509 takes BER in it (a Name tagged as
 * a primitive SEQUENCE, a length in the long form where the short one fits) and keeps those
 * bytes, which the signature covers, so such a certificate would verify. X.509 certificates
 * are DER (RFC 5280 §4.1, SGP.22 §4.5.2), and the eUICC fast path refuses anything else; so
 * every TLV of the certificate must be DER (src/der's strict reader), and so must the
 * extensions (extensions_are_der). What DER asks of other values is left to OpenSSL's
 * decoders (docs/crypto.md). */
static orsp_err tbs_is_der(const void *der, size_t n)
{
	orsp_slice all = orsp_slice_make(der, n);
	orsp_err e = orsp_der_validate(all, ORSP_DER_MAX_DEPTH);

	if (e == ORSP_E_MALFORMED)
		return orsp_errf(ORSP_E_MALFORMED, "certificate is not DER encoded: %s",
		                 orsp_err_detail());
	return e ? e : extensions_are_der(all);
}

/* OpenSSL decodes the subjectPublicKeyInfo into a key while it parses the certificate, and
 * when that fails it keeps the certificate without a key and drops its errors: an
 * allocation that failed there read as a key on no supported curve ("key is not on P-256 or
 * brainpoolP256r1", a good EUM refused 8.1.2/6.1 under a memory limit, and kept so in the
 * parse cache: the limits review). A key that names a supported curve, in a form taken, is
 * decoded again here: a point on the curve means the first decode failed for want of memory
 * (or of something else in OpenSSL, never the certificate's fault), and the certificate is
 * refused ORSP_E_RESOURCE. A point off the curve, another curve, another algorithm: left
 * without a key, refused as such by the checks that need one. */
static orsp_err key_decoded(const orsp_cert *c)
{
	X509_PUBKEY *xpk = X509_get_X509_PUBKEY(c->x);
	ASN1_OBJECT *alg = NULL;
	const ASN1_OBJECT *params = NULL;
	const unsigned char *pt = NULL;
	const void *pval = NULL;
	X509_ALGOR *palg = NULL;
	int ptlen = 0, ptype = V_ASN1_UNDEF;
	orsp_curve cv;
	bool on = false;
	orsp_err e;

	ERR_set_mark(); /* X509_get0_pubkey puts "decode error" on the queue for no key */
	if (X509_get0_pubkey(c->x) || !xpk ||
	    X509_PUBKEY_get0_param(&alg, &pt, &ptlen, &palg, xpk) != 1 ||
	    OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey || !palg) {
		ERR_pop_to_mark();
		return ORSP_OK;
	}
	ERR_pop_to_mark();
	X509_ALGOR_get0(NULL, &ptype, &pval, palg);
	params = ptype == V_ASN1_OBJECT ? pval : NULL;
	cv = params ? orsp__ec_curve_of_nid(OBJ_obj2nid(params)) : ORSP_CURVE_NONE;
	if (cv == ORSP_CURVE_NONE || !orsp__cert_point_ok(c))
		return ORSP_OK;
	if ((e = orsp__ec_point_on_curve(cv, pt, (size_t)ptlen, &on)) != ORSP_OK)
		return e;
	if (!on)
		return ORSP_OK;
	return orsp_errf(ORSP_E_RESOURCE,
	                 "OpenSSL did not decode the certificate's key, a point of %s (out of "
	                 "memory?)",
	                 orsp_curve_name(cv));
}

orsp_err orsp_cert_parse(const void *der, size_t n, orsp_cert **out)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	orsp_cert *c = NULL;
	uint64_t fp;
	int re_len;
	unsigned long failed = orsp_wipe_alloc_failures();
	orsp_err e;

	if (!out || (!der && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_parse: NULL argument");
	*out = NULL;
	if (n == 0 || n > CERT_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "certificate of %zu bytes (1..%d accepted)", n,
		                 CERT_MAX);
	fp = fnv1a(der, n);
	if ((*out = cert_cache_get(der, n, fp)) != NULL)
		return ORSP_OK;
	c = calloc(1, sizeof(*c));
	if (!c)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	c->refs = 1;
	c->fp = fp;
	c->memo = calloc(1, sizeof(*c->memo));
	if (!c->memo) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	c->x = d2i_X509(NULL, &p, (long)n);
	if (!c->x) {
		e = orsp__ossl_fail(ORSP_E_MALFORMED, "not a DER X.509 certificate");
		goto out;
	}
	if (p != (const unsigned char *)der + n) {
		e = orsp_errf(ORSP_E_MALFORMED, "%zu bytes after the certificate",
		              n - (size_t)(p - (const unsigned char *)der));
		goto out;
	}
	/* The outer envelope must be DER (the TBS part is kept byte for byte by OpenSSL and is
	 * covered by the signature). */
	re_len = i2d_X509(c->x, &re);
	if (re_len < 0 || (size_t)re_len != n || memcmp(re, der, n) != 0) {
		e = orsp__ossl_fail(ORSP_E_MALFORMED, "certificate is not DER encoded");
		goto out;
	}
	if ((e = tbs_is_der(der, n)) != ORSP_OK)
		goto out;
	/* Extensions that fail to decode make OpenSSL flag the certificate (and those it caches
	 * when they appear twice; any extension twice is tbs_is_der's). */
	if (X509_get_extension_flags(c->x) & EXFLAG_INVALID) {
		e = orsp__ossl_fail(ORSP_E_MALFORMED,
		                    "certificate has invalid or duplicate extensions");
		goto out;
	}
	if ((e = key_decoded(c)) != ORSP_OK)
		goto out;
	/* OpenSSL goes on past some failed allocations and keeps the certificate without what
	 * it could not make (its key: key_decoded); one parsed while an allocation failed is
	 * not trusted whole, nor kept in the cache that every later request reads */
	if (orsp_wipe_alloc_failures() != failed) {
		e = orsp_errf(ORSP_E_RESOURCE,
		              "out of memory in OpenSSL while parsing a certificate");
		goto out;
	}
	c->der = malloc(n);
	if (!c->der) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	memcpy(c->der, der, n);
	c->der_len = n;
	cert_cache_put(c);
	*out = c;
	c = NULL;
	e = ORSP_OK;
out:
	OPENSSL_free(re);
	orsp_cert_free(c);
	/* a failed allocation read as "not a DER X.509 certificate", "invalid extensions" */
	return orsp__oom_since(failed, e, "parsing a certificate");
}

static orsp_err read_small_file(const char *path, uint8_t **buf, size_t *len)
{
	uint8_t *b = NULL;
	size_t n = 0;
	bool more = false;
	orsp_err e = ORSP_OK;
	int fd;

	*buf = NULL;
	/* a regular file: a FIFO blocked the open for ever, waiting for a writer */
	if ((e = orsp_file_open_regular(path, &fd)) != ORSP_OK)
		return e;
	b = malloc(CERT_MAX * 2 + 1);
	if (!b) {
		e = orsp_errf(ORSP_E_RESOURCE, "%s: out of memory", path);
		goto out;
	}
	/* an over-long file is refused, not cut */
	e = orsp_file_read_upto(fd, path, b, CERT_MAX * 2, &n, &more);
	if (!e && more)
		e = orsp_errf(ORSP_E_MALFORMED, "%s is too large for a certificate", path);
	if (e)
		goto out;
	b[n] = 0;
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return e;
}

/* A PEM file as a TLS library reads it, whole: at most 64 MiB (a system CA bundle is well
 * under 1 MiB). */
#define PEM_BUNDLE_MAX ((size_t)64 << 20)

orsp_err orsp_cert_pem_bundle_read(const char *path, uint8_t **pem, size_t *len)
{
	uint8_t *b = NULL;
	size_t got = 0, cap;
	bool more = false;
	struct stat st;
	orsp_err e = ORSP_OK;
	int fd = -1;

	if (!path || !pem || !len)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_pem_bundle_read: NULL argument");
	*pem = NULL;
	*len = 0;
	/* a regular file: a FIFO blocked the open for ever, waiting for a writer */
	if ((e = orsp_file_open_regular(path, &fd)) != ORSP_OK)
		return e;
	if (fstat(fd, &st) != 0) {
		e = orsp_errf(ORSP_E_IO, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > PEM_BUNDLE_MAX) {
		e = orsp_errf(ORSP_E_MALFORMED, "%s is larger than %zu bytes (64 MiB)", path,
		              PEM_BUNDLE_MAX);
		goto out;
	}
	cap = (size_t)st.st_size;
	if (!(b = malloc(cap + 1))) {
		e = orsp_errf(ORSP_E_RESOURCE, "%s: out of memory", path);
		goto out;
	}
	/* the size fstat gave, then one byte more: a file that grew meanwhile is refused, not
	 * cut */
	e = orsp_file_read_upto(fd, path, b, cap, &got, &more);
	if (!e && more)
		e = orsp_errf(ORSP_E_IO, "%s changed while it was read", path);
	if (e)
		goto out;
	b[got] = 0;
	*pem = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return e;
}

#define VALIDITY "certificate validity dates"

/* What a walk of a bundle's certificates counts: with now set, how many are within their
 * validity then and the earliest notAfter of those. */
struct bundle_count {
	size_t n, current;
	time_t now, soonest;
	bool dates;
	/* with collect: the certificates orsp_cert_parse takes, kept[0..n_kept) (cap of them
	 * room), and the first failure to keep one that is not the certificate's fault */
	bool collect;
	orsp_cert **kept;
	size_t n_kept, cap_kept;
	orsp_err keep_err;
};

/* x into c->kept, as orsp_cert_parse takes it: one it refuses (not DER, say) is skipped, as
 * no check of ours could use it; out of memory is c->keep_err. */
static void bundle_keep(struct bundle_count *c, const X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	orsp_cert *cert = NULL;
	orsp_err e;

	if (n <= 0) {
		OPENSSL_free(der);
		c->keep_err = orsp__ossl_fail(ORSP_E_RESOURCE, "cannot encode a certificate");
		return;
	}
	e = orsp_cert_parse(der, (size_t)n, &cert);
	OPENSSL_free(der);
	if (e == ORSP_E_RESOURCE) {
		c->keep_err = e;
		return;
	}
	if (e) {
		orsp_err_clear();
		return;
	}
	if (c->n_kept == c->cap_kept) {
		size_t cap = c->cap_kept ? 2 * c->cap_kept : 4;
		orsp_cert **grown = realloc(c->kept, cap * sizeof(*grown));
		if (!grown) {
			orsp_cert_free(cert);
			c->keep_err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			return;
		}
		c->kept = grown;
		c->cap_kept = cap;
	}
	c->kept[c->n_kept++] = cert;
}

static void bundle_count_one(struct bundle_count *c, const X509 *x)
{
	time_t nb = 0, na = 0;

	c->n++;
	if (c->collect && !c->keep_err)
		bundle_keep(c, x);
	if (!c->dates)
		return;
	/* a date that does not decode is no validity the TLS library would accept */
	if (orsp__asn1_time(X509_get0_notBefore(x), VALIDITY, &nb) ||
	    orsp__asn1_time(X509_get0_notAfter(x), VALIDITY, &na)) {
		orsp_err_clear();
		return;
	}
	if (c->now < nb || c->now > na)
		return;
	if (!c->current++ || na < c->soonest)
		c->soonest = na;
}

/* Every certificate block of pem (len bytes) as a TLS library reads a CA bundle, counted
 * into *c. */
static orsp_err bundle_walk(const void *pem, size_t len, struct bundle_count *c)
{
	BIO *bio;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long data_len = 0;
	orsp_err e = ORSP_OK;

	if (len > PEM_BUNDLE_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "larger than 64 MiB");
	bio = BIO_new_mem_buf(len ? pem : "", (int)len);
	if (!bio)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	/* every block; certificates (also OpenSSL's "TRUSTED CERTIFICATE") must parse */
	while (PEM_read_bio(bio, &name, &header, &data, &data_len) == 1) {
		const unsigned char *p = data;
		bool trusted = strcmp(name, PEM_STRING_X509_TRUSTED) == 0;
		if (trusted || strcmp(name, PEM_STRING_X509) == 0 ||
		    strcmp(name, PEM_STRING_X509_OLD) == 0) {
			X509 *x = trusted ? d2i_X509_AUX(NULL, &p, data_len)
			                  : d2i_X509(NULL, &p, data_len);
			if (!x) {
				e = orsp__ossl_fail(ORSP_E_MALFORMED,
				                    "a certificate block does not parse");
				break;
			}
			bundle_count_one(c, x);
			X509_free(x);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	/* the end of the text is reported as an error too: "no start line"; anything else (a
	 * block cut short, bad base64) is a file the TLS library refuses as a whole */
	if (e == ORSP_OK && ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		e = orsp__ossl_fail(ORSP_E_MALFORMED, "a PEM block is cut short or not base64");
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	if (e == ORSP_OK && c->n == 0)
		e = orsp_errf(ORSP_E_MALFORMED, "no PEM certificate in it");
	return e;
}

orsp_err orsp_cert_pem_bundle_check_mem(const void *pem, size_t len, size_t *n)
{
	struct bundle_count c = {0};
	orsp_err e;

	if ((!pem && len) || !n)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_pem_bundle_check_mem: NULL argument");
	e = bundle_walk(pem, len, &c);
	*n = c.n;
	return e;
}

orsp_err orsp_cert_pem_bundle_validity(const void *pem, size_t len, time_t now, size_t *n,
                                       size_t *current, time_t *soonest)
{
	struct bundle_count c = {.now = now, .dates = true};
	orsp_err e;

	if ((!pem && len) || !n || !current || !soonest)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_pem_bundle_validity: NULL argument");
	e = bundle_walk(pem, len, &c);
	*n = c.n;
	*current = e ? 0 : c.current;
	*soonest = e ? 0 : c.soonest;
	return e;
}

orsp_err orsp_cert_pem_bundle_certs(const void *pem, size_t len, orsp_cert ***certs, size_t *n)
{
	struct bundle_count c = {.collect = true};
	orsp_err e;

	if ((!pem && len) || !certs || !n)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_pem_bundle_certs: NULL argument");
	*certs = NULL;
	*n = 0;
	e = bundle_walk(pem, len, &c);
	if (!e && c.keep_err)
		e = c.keep_err;
	if (e) {
		orsp_cert_list_free(c.kept, c.n_kept);
		return e;
	}
	*certs = c.kept;
	*n = c.n_kept;
	return ORSP_OK;
}

void orsp_cert_list_free(orsp_cert **certs, size_t n)
{
	for (size_t i = 0; certs && i < n; i++)
		orsp_cert_free(certs[i]);
	free(certs);
}

orsp_err orsp_cert_pem_bundle_check(const char *path, size_t *n)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	orsp_err e;

	if (!path || !n)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_pem_bundle_check: NULL argument");
	*n = 0;
	e = orsp_cert_pem_bundle_read(path, &pem, &len);
	if (e == ORSP_E_NOT_FOUND) {
		char why[ORSP_ERR_DETAIL_MAX];
		e = orsp_errf(ORSP_E_IO, "%s", saved_detail(why, sizeof(why)));
	}
	if (e != ORSP_OK)
		return e;
	if ((e = orsp_cert_pem_bundle_check_mem(pem, len, n)) != ORSP_OK) {
		char why[ORSP_ERR_DETAIL_MAX];
		e = orsp_errf(e, "%s: %s", path, saved_detail(why, sizeof(why)));
	}
	free(pem);
	return e;
}

orsp_err orsp_cert_load_mem(const void *data_in, size_t len, orsp_cert **out)
{
	const uint8_t *buf = data_in;
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long data_len = 0;
	orsp_err e;

	if ((!buf && len) || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_load_mem: NULL argument");
	*out = NULL;
	if (len > 0 && buf[0] == 0x30)
		return orsp_cert_parse(buf, len, out);
	if (len > INT_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "no DER or PEM certificate found");
	/* PEM: the first CERTIFICATE block (other blocks and text around it are skipped). */
	bio = BIO_new_mem_buf(len ? buf : (const void *)"", (int)len);
	if (!bio)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	for (;;) {
		if (PEM_read_bio(bio, &name, &header, &data, &data_len) != 1) {
			e = orsp__ossl_fail(ORSP_E_MALFORMED, "no DER or PEM certificate found");
			goto out;
		}
		if (strcmp(name, PEM_STRING_X509) == 0)
			break;
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	if (header && header[0]) {
		e = orsp_errf(ORSP_E_MALFORMED, "PEM certificate with headers is not accepted");
		goto out;
	}
	e = orsp_cert_parse(data, (size_t)data_len, out);
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return e;
}

orsp_err orsp_cert_load_file(const char *path, orsp_cert **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	orsp_err e;

	if (!path || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_load_file: NULL argument");
	*out = NULL;
	e = read_small_file(path, &buf, &len);
	if (e != ORSP_OK)
		return e;
	if ((e = orsp_cert_load_mem(buf, len, out)) != ORSP_OK) {
		char why[ORSP_ERR_DETAIL_MAX];
		e = orsp_errf(e, "%s: %s", path, saved_detail(why, sizeof(why)));
	}
	free(buf);
	return e;
}

X509 *orsp__cert_x509(const orsp_cert *c)
{
	return c->x;
}

orsp_slice orsp_cert_der(const orsp_cert *c)
{
	return c ? orsp_slice_make(c->der, c->der_len) : orsp_slice_make(NULL, 0);
}

/* A value of the certificate longer than cap, which is what the caller takes of it (a key id
 * of a session, an SM-DP+ OID, an EID), is the certificate's fault: ORSP_E_MALFORMED, the
 * category of a wrong length, here and in the accessors below. Not ORSP_E_RESOURCE, which
 * callers checking a peer's certificate read as their own shortage of memory (the eUICC's
 * AuthenticateServer and PrepareDownload; until session 76 it was ORSP_E_RESOURCE, and they
 * had to keep these results from that reading). */
static orsp_err copy_octets(const ASN1_OCTET_STRING *s, const char *what, uint8_t *out, size_t cap,
                            size_t *len)
{
	if (!s)
		return orsp_errf(ORSP_E_NOT_FOUND, "certificate has no %s", what);
	if ((size_t)ASN1_STRING_length(s) > cap)
		return orsp_errf(ORSP_E_MALFORMED, "%s of %d bytes does not fit in %zu", what,
		                 ASN1_STRING_length(s), cap);
	if (ASN1_STRING_length(s) > 0) /* an empty one may have no data, and out may be NULL */
		memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
	*len = (size_t)ASN1_STRING_length(s);
	return ORSP_OK;
}

orsp_err orsp_cert_ski(const orsp_cert *c, uint8_t *out, size_t cap, size_t *len)
{
	if (!c || !len || (!out && cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_ski: NULL argument");
	return copy_octets(X509_get0_subject_key_id(c->x), "subjectKeyIdentifier", out, cap, len);
}

orsp_err orsp_cert_aki(const orsp_cert *c, uint8_t *out, size_t cap, size_t *len)
{
	if (!c || !len || (!out && cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_aki: NULL argument");
	return copy_octets(X509_get0_authority_key_id(c->x), "authorityKeyIdentifier keyIdentifier",
	                   out, cap, len);
}

orsp_err orsp__asn1_time(const ASN1_TIME *a, const char *what, time_t *out)
{
	struct tm tm;
	time_t t;

	if (!a || ASN1_TIME_to_tm(a, &tm) != 1) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_MALFORMED, "%s do not decode", what);
	}
	t = timegm(&tm);
	if (t == (time_t)-1)
		return orsp_errf(ORSP_E_MALFORMED, "%s out of range", what);
	*out = t;
	return ORSP_OK;
}

orsp_err orsp_cert_validity(const orsp_cert *c, time_t *not_before, time_t *not_after)
{
	orsp_err e;

	if (!c)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_validity: NULL argument");
	if (not_before && (e = orsp__asn1_time(X509_get0_notBefore(c->x), VALIDITY, not_before)))
		return e;
	if (not_after && (e = orsp__asn1_time(X509_get0_notAfter(c->x), VALIDITY, not_after)))
		return e;
	return ORSP_OK;
}

#define POINT_FORM "public key is not a point in compressed or uncompressed form (RFC 5480)"

/* RFC 5480 §2.2: the key's point is compressed (02 or 03, then X) or uncompressed (04, X, Y),
 * X and Y of 32 octets on both curves; any other form is refused. OpenSSL also reads the
 * single octet 00 as the point at infinity, under which a signature (r, s) = (x(G), H(m))
 * verifies for every message, and the hybrid forms (06, 07); a point it reads from X and Y
 * it checks against the curve. */
bool orsp__cert_point_ok(const orsp_cert *c)
{
	const ASN1_BIT_STRING *bs = c ? X509_get0_pubkey_bitstr(c->x) : NULL;
	const unsigned char *p = bs ? ASN1_STRING_get0_data(bs) : NULL;
	int n = bs ? ASN1_STRING_length(bs) : 0;

	return p && ((n == 65 && p[0] == 0x04) || (n == 33 && (p[0] == 0x02 || p[0] == 0x03)));
}

/* The curve of the certificate's key (ORSP_CURVE_NONE: not a supported EC key, or its point
 * not in a form orsp__cert_point_ok takes). */
static orsp_curve cert_curve(const orsp_cert *c)
{
	orsp_curve cv = (orsp_curve)atomic_load(&c->memo->curve);

	if (cv != ORSP_CURVE_NONE)
		return cv;
	if (!orsp__cert_point_ok(c))
		return ORSP_CURVE_NONE;
	cv = orsp__ec_curve_of_pkey(X509_get0_pubkey(c->x));
	if (cv != ORSP_CURVE_NONE)
		atomic_store(&c->memo->curve, (int)cv);
	return cv;
}

orsp_err orsp_cert_public_key(const orsp_cert *c, orsp_ec_key **out)
{
	EVP_PKEY *pk;
	unsigned long failed = orsp_wipe_alloc_failures();

	if (!c || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_public_key: NULL argument");
	*out = NULL;
	pk = X509_get0_pubkey(c->x);
	if (!pk)
		return orsp__oom_since(
		    failed,
		    orsp__ossl_fail(ORSP_E_MALFORMED, "certificate public key does not decode"),
		    "decoding a certificate's key");
	if (!orsp__cert_point_ok(c))
		return orsp_errf(ORSP_E_POLICY, POINT_FORM);
	return orsp__oom_since(failed, orsp__ec_wrap_public_as(pk, cert_curve(c), out),
	                       "reading a certificate's key");
}

/* Bit of rsp_role_mask for a policy under id-rspRole that is none of the roles above (a
 * later role, an SGP.22 v3 Variant O arc such as 2.23.146.1.2.1.0.0.1.1): what it makes the
 * certificate is not known here, so it is never read as having one role only. */
#define ROLE_OTHER (1u << 31)

static int policy_order(const void *a, const void *b)
{
	return OBJ_cmp(*(const ASN1_OBJECT *const *)a, *(const ASN1_OBJECT *const *)b);
}

/* RFC 5280 §4.2.1.4: "A certificate policy OID MUST NOT appear more than once in a
 * certificate policies extension." Sorted, so that a certificate of thousands of policies
 * costs no quadratic time. */
static orsp_err policies_unique(const CERTIFICATEPOLICIES *pols)
{
	int n = sk_POLICYINFO_num(pols);
	const ASN1_OBJECT **ids;
	orsp_err e = ORSP_OK;

	if (n < 2)
		return ORSP_OK;
	ids = calloc((size_t)n, sizeof(*ids));
	if (!ids)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	for (int i = 0; i < n; i++)
		ids[i] = sk_POLICYINFO_value(pols, i)->policyid;
	qsort(ids, (size_t)n, sizeof(*ids), policy_order);
	for (int i = 1; i < n && !e; i++)
		if (OBJ_cmp(ids[i - 1], ids[i]) == 0) {
			char txt[64];
			OBJ_obj2txt(txt, sizeof(txt), ids[i], 1);
			e = orsp_errf(ORSP_E_MALFORMED,
			              "certificatePolicies lists %s twice (RFC 5280 §4.2.1.4)",
			              txt);
		}
	free(ids);
	return e;
}

/* The RSP role policies of a certificate as a bit mask (bit r for id-rspRole r, ROLE_OTHER
 * for any other policy under id-rspRole, whose dotted OID goes to other, cap bytes); a
 * policy listed twice is refused (policies_unique). */
static orsp_err rsp_role_mask(X509 *x, unsigned *mask, char *other, size_t cap)
{
	CERTIFICATEPOLICIES *pols;
	int crit = -1;
	orsp_err e = ORSP_OK;

	*mask = 0;
	other[0] = '\0';
	pols = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	if (!pols) {
		ERR_clear_error();
		if (crit == -1)
			return ORSP_OK;
		return orsp_errf(ORSP_E_MALFORMED, crit == -2
		                                       ? "certificatePolicies appears twice"
		                                       : "certificatePolicies does not decode");
	}
	e = policies_unique(pols);
	for (int i = 0; i < sk_POLICYINFO_num(pols) && !e; i++) {
		const POLICYINFO *pi = sk_POLICYINFO_value(pols, i);
		const unsigned char *oid = OBJ_get0_data(pi->policyid);
		size_t len = OBJ_length(pi->policyid);
		if (len <= sizeof(rsp_role_arc) ||
		    memcmp(oid, rsp_role_arc, sizeof(rsp_role_arc)) != 0)
			continue; /* not an RSP role */
		if (len == sizeof(rsp_role_arc) + 1 && oid[len - 1] < ORSP_ARRAY_LEN(role_names)) {
			*mask |= 1u << oid[len - 1];
		} else {
			*mask |= ROLE_OTHER;
			OBJ_obj2txt(other, (int)cap, pi->policyid, 1);
		}
	}
	CERTIFICATEPOLICIES_free(pols);
	return e;
}

orsp_err orsp_cert_rsp_role(const orsp_cert *c, orsp_rsp_role *out)
{
	unsigned mask;
	int memo;
	char other[64];
	orsp_err e;

	if (!c || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_rsp_role: NULL argument");
	if ((memo = atomic_load(&c->memo->role)) > 0) {
		*out = (orsp_rsp_role)(memo - 1);
		return ORSP_OK;
	}
	e = rsp_role_mask(c->x, &mask, other, sizeof(other));
	if (e != ORSP_OK)
		return e;
	if (mask & ROLE_OTHER)
		return orsp_errf(
		    ORSP_E_POLICY,
		    "RSP role policy %s is none of SGP.22 v2's (2.23.146.1.2.1.0 to .7)", other);
	if (mask == 0)
		return orsp_errf(ORSP_E_POLICY, "no RSP role policy (2.23.146.1.2.1.x)");
	if (mask & (mask - 1))
		return orsp_errf(ORSP_E_POLICY, "several RSP role policies (mask %#x)", mask);
	for (unsigned r = 0; r < ORSP_ARRAY_LEN(role_names); r++)
		if (mask == 1u << r) {
			*out = (orsp_rsp_role)r;
			atomic_store(&c->memo->role, (int)r + 1);
		}
	return ORSP_OK;
}

/* Copy a name attribute string as printable ASCII (anything else is refused); *too_long
 * (may be NULL) tells a string that does not fit from the other refusals. */
static orsp_err copy_name_string(const ASN1_STRING *s, const char *what, char *out, size_t cap,
                                 bool *too_long)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s);

	if (too_long)
		*too_long = len < 0 || (size_t)len >= cap;
	if (len < 0 || (size_t)len >= cap)
		return orsp_errf(ORSP_E_MALFORMED, "%s of %d characters does not fit in %zu", what,
		                 len, cap);
	for (int i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return orsp_errf(ORSP_E_MALFORMED, "%s has a non-printable character",
			                 what);
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	return ORSP_OK;
}

/* The subject's one attribute of type nid (what: its name in errors) as printable text;
 * too_long as copy_name_string's. */
static orsp_err subject_attr(const orsp_cert *c, int nid, const char *what, char *out, size_t cap,
                             bool *too_long)
{
	const X509_NAME *name;
	char where[48];
	int idx;

	out[0] = '\0';
	if (too_long)
		*too_long = false;
	name = X509_get_subject_name(c->x);
	idx = X509_NAME_get_index_by_NID(name, nid, -1);
	if (idx < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "subject has no %s", what);
	if (X509_NAME_get_index_by_NID(name, nid, idx) >= 0)
		return orsp_errf(ORSP_E_MALFORMED, "subject has several %s attributes", what);
	snprintf(where, sizeof(where), "subject %s", what);
	return copy_name_string(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)), where,
	                        out, cap, too_long);
}

orsp_err orsp_cert_subject_serial(const orsp_cert *c, char *out, size_t cap)
{
	if (!c || !out || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_subject_serial: NULL argument");
	return subject_attr(c, NID_serialNumber, "serialNumber", out, cap, NULL);
}

orsp_err orsp_cert_subject_org(const orsp_cert *c, char *out, size_t cap)
{
	if (!c || !out || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_subject_org: NULL argument");
	return subject_attr(c, NID_organizationName, "O", out, cap, NULL);
}

/* A name of c (its subject, or its issuer: what, for the messages) as one line for people */
static orsp_err name_text(const orsp_cert *c, bool issuer, char *out, size_t cap)
{
	const char *what = issuer ? "issuer" : "subject";
	BIO *b;
	char *p = NULL;
	long n;
	orsp_err err = ORSP_OK;

	if (!c || !out || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_%s_text: NULL argument", what);
	out[0] = '\0';
	b = BIO_new(BIO_s_mem());
	if (!b)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	/* as `openssl x509 -subject` prints it: control characters and bytes above 0x7e
	 * escaped (\XX), so that a name from a file cannot drive a terminal */
	if (X509_NAME_print_ex(b, issuer ? X509_get_issuer_name(c->x) : X509_get_subject_name(c->x),
	                       0, XN_FLAG_ONELINE) < 0)
		err = orsp_errf(ORSP_E_MALFORMED, "the %s does not print", what);
	n = BIO_get_mem_data(b, &p);
	if (!err && (n < 0 || (size_t)n >= cap))
		err = orsp_errf(ORSP_E_MALFORMED, "a %s of %ld characters does not fit in %zu",
		                what, n, cap);
	/* an empty subject (RFC 5280 §4.1.2.6: a subjectAltName names the holder) prints
	 * nothing, and the BIO's data is NULL then: no memcpy from it */
	if (!err && n > 0)
		memcpy(out, p, (size_t)n);
	if (!err)
		out[n] = '\0';
	BIO_free(b);
	return err;
}

orsp_err orsp_cert_subject_text(const orsp_cert *c, char *out, size_t cap)
{
	return name_text(c, false, out, cap);
}

orsp_err orsp_cert_issuer_text(const orsp_cert *c, char *out, size_t cap)
{
	return name_text(c, true, out, cap);
}

bool orsp_cert_issuer_is(const orsp_cert *c, const orsp_cert *ca)
{
	return c && ca &&
	       X509_NAME_cmp(X509_get_issuer_name(c->x), X509_get_subject_name(ca->x)) == 0;
}

/* ---------------------------------------------------------------- checks ------------- */

/* How a certificate is named in error details: its role in the path and its CN. */
typedef struct cert_ref {
	const orsp_cert *c;
	const char *what; /* "EUM", "eUICC", "CI", "DPauth", ... */
	char cn[48];
} cert_ref;

void orsp__name_cn(const X509_NAME *name, char *out, size_t cap)
{
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	size_t j = 0;

	if (idx >= 0) {
		const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
		const unsigned char *p = ASN1_STRING_get0_data(s);
		for (int i = 0; i < ASN1_STRING_length(s) && j + 1 < cap; i++)
			out[j++] = p[i] >= 0x20 && p[i] <= 0x7e ? (char)p[i] : '?';
	}
	out[j] = '\0';
}

static void cert_ref_init(cert_ref *r, const orsp_cert *c, const char *what)
{
	r->c = c;
	r->what = what;
	orsp__name_cn(X509_get_subject_name(c->x), r->cn, sizeof(r->cn));
	/* the CN stands in quotes in the error details (REF_FMT) */
	for (char *q = r->cn; *q; q++)
		if (*q == '"')
			*q = '?';
}

#define REF_FMT "%s certificate \"%s\": "
#define REF_ARGS(r) (r)->what, (r)->cn

static void fmt_time(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		ERR_clear_error();
		snprintf(out, cap, "(unreadable)");
		return;
	}
	snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* RFC 5280 §4.1.2.5 / §6.1.3 (a)(2): notBefore <= now <= notAfter. *why (may be NULL) gets
 * the reason of a refusal. */
static orsp_err check_validity(const cert_ref *r, time_t now, orsp_chain_why *why)
{
	const ASN1_TIME *nb = X509_get0_notBefore(r->c->x);
	const ASN1_TIME *na = X509_get0_notAfter(r->c->x);
	char when[96]; /* sized for any int fields (-Wformat-truncation) */
	int c1 = ASN1_TIME_cmp_time_t(nb, now);
	int c2 = ASN1_TIME_cmp_time_t(na, now);

	if (c1 == -2 || c2 == -2) {
		if (why)
			*why = ORSP_CHAIN_INVALID;
		return orsp__ossl_fail(ORSP_E_MALFORMED,
		                       "certificate validity dates do not decode");
	}
	if (c1 > 0) {
		if (why)
			*why = ORSP_CHAIN_NOT_YET_VALID;
		fmt_time(nb, when, sizeof(when));
		return orsp_errf(ORSP_E_POLICY, REF_FMT "not valid before %s", REF_ARGS(r), when);
	}
	if (c2 < 0) {
		if (why)
			*why = ORSP_CHAIN_EXPIRED;
		fmt_time(na, when, sizeof(when));
		return orsp_errf(ORSP_E_POLICY, REF_FMT "expired on %s", REF_ARGS(r), when);
	}
	return ORSP_OK;
}

static bool ext_is(X509_EXTENSION *ext, const uint8_t *oid, size_t len)
{
	const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
	return (size_t)OBJ_length(obj) == len && memcmp(OBJ_get0_data(obj), oid, len) == 0;
}

/* RFC 5280 §4.2: a critical extension that is not processed must make the path fail.
 * Processed here: the ones below; nameConstraints and permittedEins only on an EUM,
 * extendedKeyUsage only on a TLS certificate (the only role whose purpose it is checked for:
 * a critical one elsewhere restricts the certificate to purposes nobody here evaluates). */
static orsp_err check_critical(const cert_ref *r, bool is_eum, bool is_tls)
{
	X509 *x = r->c->x;

	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		char oid[64];

		if (!X509_EXTENSION_get_critical(ext))
			continue;
		switch (nid) {
		case NID_key_usage:
		case NID_basic_constraints:
		case NID_certificate_policies:
		case NID_subject_alt_name:
		case NID_subject_key_identifier:
		case NID_authority_key_identifier:
			continue;
		case NID_name_constraints:
			if (is_eum)
				continue;
			break;
		case NID_ext_key_usage:
			if (is_tls)
				continue;
			break;
		default:
			if (is_eum && ext_is(ext, permitted_eins_oid, sizeof(permitted_eins_oid)))
				continue;
			break;
		}
		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(ext), 1);
		return orsp_errf(ORSP_E_POLICY, REF_FMT "unhandled critical extension %s",
		                 REF_ARGS(r), oid);
	}
	return ORSP_OK;
}

/* Why a certificate's key has no curve cert_curve takes: its point's form, another curve,
 * or OpenSSL's query of the curve failing (out of memory: the curve is not known). */
static orsp_err curve_refusal(const cert_ref *r)
{
	orsp_curve cv;
	orsp_err e = orsp__ec_curve_query(X509_get0_pubkey(r->c->x), &cv);
	char why[96];

	ERR_clear_error();
	if (e) {
		orsp_err_detail_copy(why, sizeof(why));
		return orsp_errf(e, REF_FMT "%s", REF_ARGS(r), why);
	}
	if (cv != ORSP_CURVE_NONE) /* then its point's form was refused */
		return orsp_errf(ORSP_E_POLICY, REF_FMT "%s", REF_ARGS(r), POINT_FORM);
	return orsp_errf(ORSP_E_POLICY, REF_FMT "key is not on P-256 or brainpoolP256r1",
	                 REF_ARGS(r));
}

/* Profile checks shared by every certificate in an RSP path. */
static orsp_err check_profile(const cert_ref *r, bool is_eum, bool is_tls)
{
	X509 *x = r->c->x;

	if (X509_get_version(x) != X509_VERSION_3)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "not an X.509 v3 certificate", REF_ARGS(r));
	/* SGP.22 §4.5.2.1: every RSP certificate is signed with ecdsa-with-SHA256. */
	if (X509_get_signature_nid(x) != NID_ecdsa_with_SHA256)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "signature algorithm is not ecdsa-with-SHA256",
		                 REF_ARGS(r));
	if (cert_curve(r->c) == ORSP_CURVE_NONE)
		return curve_refusal(r);
	return check_critical(r, is_eum, is_tls);
}

static orsp_err check_role(const cert_ref *r, orsp_rsp_role want)
{
	orsp_rsp_role got;
	orsp_err e = orsp_cert_rsp_role(r->c, &got);
	char why[ORSP_ERR_DETAIL_MAX];

	if (e != ORSP_OK)
		return orsp_errf(e, REF_FMT "%s; expected %s (2.23.146.1.2.1.%d)", REF_ARGS(r),
		                 saved_detail(why, sizeof(why)), role_name(want), (int)want);
	if (got != want)
		return orsp_errf(
		    ORSP_E_POLICY,
		    REF_FMT "policy is %s (2.23.146.1.2.1.%d), expected %s (2.23.146.1.2.1.%d)",
		    REF_ARGS(r), role_name(got), (int)got, role_name(want), (int)want);
	return ORSP_OK;
}

/* A certificate that issues others: basicConstraints cA, keyUsage keyCertSign
 * (RFC 5280 §4.2.1.3, §4.2.1.9; SGP.22 §4.5.2.1.0.1 CI, §4.5.2.1.0.2 EUM). */
static orsp_err check_ca(const cert_ref *r, bool need_pathlen0)
{
	uint32_t flags = X509_get_extension_flags(r->c->x);

	if (!(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA))
		return orsp_errf(ORSP_E_POLICY, REF_FMT "basicConstraints cA is not set",
		                 REF_ARGS(r));
	if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(r->c->x) & KU_KEY_CERT_SIGN))
		return orsp_errf(ORSP_E_POLICY, REF_FMT "keyUsage lacks keyCertSign", REF_ARGS(r));
	if (need_pathlen0 && X509_get_pathlen(r->c->x) != 0)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "basicConstraints pathLenConstraint is not 0",
		                 REF_ARGS(r));
	return ORSP_OK;
}

/* An end-entity signing certificate: not a CA, keyUsage digitalSignature and not
 * keyCertSign (RFC 5280 §4.2.1.3, §4.2.1.9: keyCertSign only with basicConstraints cA). */
static orsp_err check_end_entity(const cert_ref *r)
{
	uint32_t flags = X509_get_extension_flags(r->c->x);

	if (flags & EXFLAG_CA)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "is a CA certificate, expected an end entity",
		                 REF_ARGS(r));
	if ((flags & EXFLAG_KUSAGE) && (X509_get_key_usage(r->c->x) & KU_KEY_CERT_SIGN))
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "keyUsage asserts keyCertSign without basicConstraints cA",
		                 REF_ARGS(r));
	if (!(flags & EXFLAG_KUSAGE) || !(X509_get_key_usage(r->c->x) & KU_DIGITAL_SIGNATURE))
		return orsp_errf(ORSP_E_POLICY, REF_FMT "keyUsage lacks digitalSignature",
		                 REF_ARGS(r));
	return ORSP_OK;
}

/* child was issued by issuer: AKI = SKI, issuer name = subject name, and the signature. */
static orsp_err check_issued(const cert_ref *child, const cert_ref *issuer)
{
	X509 *cx = child->c->x, *ix = issuer->c->x;
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(cx);
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ix);

	if (!aki)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "no authorityKeyIdentifier",
		                 REF_ARGS(child));
	if (!ski || ASN1_OCTET_STRING_cmp(aki, ski) != 0)
		return orsp_errf(
		    ORSP_E_POLICY,
		    REF_FMT "authorityKeyIdentifier does not match the %s subjectKeyIdentifier",
		    REF_ARGS(child), issuer->what);
	if (X509_NAME_cmp(X509_get_issuer_name(cx), X509_get_subject_name(ix)) != 0)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "issuer name is not the %s subject name",
		                 REF_ARGS(child), issuer->what);
	/* One RSP hierarchy is on one curve (SGP.26's NIST and brainpool sets, orsp_cert_issue):
	 * a key on the other curve is refused (an unsupported one is check_profile's). */
	if (cert_curve(child->c) != ORSP_CURVE_NONE &&
	    cert_curve(child->c) != cert_curve(issuer->c)) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_POLICY, REF_FMT "key is on %s, the %s key on %s",
		                 REF_ARGS(child), orsp_curve_name(cert_curve(child->c)),
		                 issuer->what, orsp_curve_name(cert_curve(issuer->c)));
	}
	if (sig_memo_has(child->c, issuer->c))
		return ORSP_OK;
	if (X509_verify(cx, X509_get0_pubkey(ix)) != 1) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_VERIFY, REF_FMT "signature does not verify with the %s key",
		                 REF_ARGS(child), issuer->what);
	}
	sig_memo_set(child->c, issuer->c);
	return ORSP_OK;
}

bool orsp_cert_signed_by(const orsp_cert *c, const orsp_cert *issuer)
{
	const ASN1_OCTET_STRING *aki, *ski;
	bool ok;

	if (!c || !issuer)
		return false;
	aki = X509_get0_authority_key_id(c->x);
	ski = X509_get0_subject_key_id(issuer->x);
	if (!orsp_cert_issuer_is(c, issuer) || (aki && ski && ASN1_OCTET_STRING_cmp(aki, ski) != 0))
		return false;
	if (sig_memo_has(c, issuer))
		return true;
	ok = X509_verify(c->x, X509_get0_pubkey(issuer->x)) == 1;
	ERR_clear_error();
	if (ok)
		sig_memo_set(c, issuer);
	return ok;
}

/* The CI named by child's authorityKeyIdentifier, or an ORSP_E_POLICY "unknown CI". */
static orsp_err find_ci(const orsp_ci_store *cis, const cert_ref *child, const orsp_cert **ci)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(child->c->x);
	char hex[2 * 32 + 1] = "";

	*ci = NULL;
	if (!aki)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "no authorityKeyIdentifier to select the CI",
		                 REF_ARGS(child));
	*ci = orsp_ci_store_find(cis, ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki));
	if (*ci)
		return ORSP_OK;
	if (ASN1_STRING_length(aki) <= 32 &&
	    orsp_hex_encode(ASN1_STRING_get0_data(aki), (size_t)ASN1_STRING_length(aki), hex,
	                    sizeof(hex)) != ORSP_OK)
		hex[0] = '\0';
	return orsp_errf(ORSP_E_POLICY, REF_FMT "issued by an unknown CI (key id %s)",
	                 REF_ARGS(child), hex);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* An EID prefix: 1..32 decimal digits (the EIN/IIN part of SGP.29 EIDs). */
static bool prefix_ok(const unsigned char *p, size_t n)
{
	return n >= 1 && n <= EID_LEN && all_digits((const char *)p, n);
}

static bool eid_has_prefix(const char *eid, const unsigned char *p, size_t n)
{
	return n <= EID_LEN && memcmp(eid, p, n) == 0;
}

/* The eUICC subject as the EUM's name constraints see it: each attribute's type (the DER
 * content of its OID) and value (UTF-8). An attribute whose value is no directory string
 * (utf8_of) equals nothing. The fast path keeps at most SUBJ_FAST_MAX of them on the stack and
 * leaves a longer subject to the full path, which takes any number. */
#define SUBJ_FAST_MAX 16
typedef struct subj_attr {
	const uint8_t *oid, *v;
	size_t oid_len, len;
	bool str;             /* v holds the value; false: not a directory string */
	unsigned char *owned; /* ASN1_STRING_to_UTF8's copy of v (full path), or NULL */
} subj_attr;
typedef struct subj_attrs {
	size_t n;
	subj_attr *a; /* malloc'd by subj_from_name; the fast path's is on its stack */
} subj_attrs;

/* After subj_from_name only: the fast path's attributes borrow from the DER and its stack. */
static void subj_done(subj_attrs *s)
{
	for (size_t i = 0; i < s->n; i++)
		OPENSSL_free(s->a[i].owned);
	free(s->a);
	s->a = NULL;
	s->n = 0;
}

/* The value of a directory string in UTF-8: the bytes themselves for UTF8String and the
 * ASCII types, otherwise a copy in *owned (to OPENSSL_free). False if it does not convert. */
static bool utf8_of(const ASN1_STRING *s, const uint8_t **v, size_t *len, unsigned char **owned)
{
	int t = ASN1_STRING_type(s), n;

	*owned = NULL;
	if (t == V_ASN1_UTF8STRING || t == V_ASN1_PRINTABLESTRING || t == V_ASN1_IA5STRING) {
		*v = ASN1_STRING_get0_data(s);
		*len = (size_t)ASN1_STRING_length(s);
		return true;
	}
	n = ASN1_STRING_to_UTF8(owned, s);
	if (n < 0) {
		ERR_clear_error();
		*owned = NULL;
		return false;
	}
	*v = *owned;
	*len = (size_t)n;
	return true;
}

/* The subject of an eUICC certificate parsed by OpenSSL, into *s (subj_done after): every
 * attribute, whatever their number. ORSP_E_RESOURCE only. */
static orsp_err subj_from_name(const X509_NAME *name, subj_attrs *s)
{
	int count = X509_NAME_entry_count(name);

	s->n = 0;
	s->a = calloc(count > 0 ? (size_t)count : 1, sizeof(*s->a));
	if (!s->a)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	for (int i = 0; i < count; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
		subj_attr *at = &s->a[s->n++];
		at->str = utf8_of(X509_NAME_ENTRY_get_data(e), &at->v, &at->len, &at->owned);
		at->oid = OBJ_get0_data(o);
		at->oid_len = OBJ_length(o);
	}
	return ORSP_OK;
}

/* caseIgnoreMatch as name constraints compare directory strings (RFC 5280 §7.1 with
 * RFC 4518's insignificant space handling), simplified as OpenSSL's canonical names are:
 * ASCII letters without case, ASCII white space (space, tab, CR, LF, VT, FF) as a space,
 * leading and trailing spaces not counting and a run of them counting as one. No Unicode
 * mapping or normalisation (RFC 4518 maps NBSP to a space and applies NFKC). */
static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool dir_string_equal(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && is_ws(a[i]))
		i++;
	while (an > i && is_ws(a[an - 1]))
		an--;
	while (j < bn && is_ws(b[j]))
		j++;
	while (bn > j && is_ws(b[bn - 1]))
		bn--;
	while (i < an && j < bn) {
		if (is_ws(a[i]) || is_ws(b[j])) {
			if (!is_ws(a[i]) || !is_ws(b[j]))
				return false;
			while (is_ws(a[i])) /* a run ends before an: the end is no space */
				i++;
			while (is_ws(b[j]))
				j++;
			continue;
		}
		if (ascii_lower(a[i]) != ascii_lower(b[j]))
			return false;
		i++;
		j++;
	}
	return i == an && j == bn;
}

/* Does the subject carry an attribute of this type with this value? */
static bool subj_has(const subj_attrs *s, const ASN1_OBJECT *type, const uint8_t *v, size_t len)
{
	const uint8_t *oid = OBJ_get0_data(type);
	size_t oid_len = OBJ_length(type);

	for (size_t i = 0; i < s->n; i++)
		if (s->a[i].str && s->a[i].oid_len == oid_len &&
		    memcmp(s->a[i].oid, oid, oid_len) == 0 &&
		    dir_string_equal(s->a[i].v, s->a[i].len, v, len))
			return true;
	return false;
}

/* Is the eUICC within one of the directoryName subtrees? A permitted subtree holds it when a
 * serialNumber of the subtree prefixes the EID and the subject carries every other attribute
 * of the subtree with the same value (SGP.22 §4.5.2.1.0.2: O and the EID prefix). An excluded
 * subtree (excluded) holds it on the prefix alone: the subject's other attributes are the
 * constrained EUM's to write, so they must not take an EID out of an excluded range (fail
 * closed); one without a serialNumber holds it on its other attributes. *count gets the number of
 * serialNumber prefixes seen, *other whether a subtree admitted the EID but not the rest of the
 * subject. */
static orsp_err subtrees_match(const cert_ref *eum, STACK_OF(GENERAL_SUBTREE) * subtrees,
                               bool excluded, const char *eid, const subj_attrs *subj, bool *match,
                               int *count, bool *other)
{
	*match = false;
	*count = 0;
	*other = false;
	for (int i = 0; i < sk_GENERAL_SUBTREE_num(subtrees); i++) {
		const GENERAL_SUBTREE *st = sk_GENERAL_SUBTREE_value(subtrees, i);
		const X509_NAME *dn;
		bool prefix = false, rest = true, serial = false;
		if (!st->base || st->base->type != GEN_DIRNAME)
			continue;
		dn = st->base->d.directoryName;
		for (int idx = 0; idx < X509_NAME_entry_count(dn); idx++) {
			const X509_NAME_ENTRY *ent = X509_NAME_get_entry(dn, idx);
			const ASN1_STRING *s = X509_NAME_ENTRY_get_data(ent);
			const uint8_t *p;
			size_t n;
			unsigned char *owned;
			if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(ent)) != NID_serialNumber) {
				if (!utf8_of(s, &p, &n, &owned))
					return orsp_errf(ORSP_E_MALFORMED,
					                 REF_FMT
					                 "nameConstraints hold an attribute "
					                 "that is not a directory string",
					                 REF_ARGS(eum));
				if (!subj_has(subj, X509_NAME_ENTRY_get_object(ent), p, n))
					rest = false;
				OPENSSL_free(owned);
				continue;
			}
			p = ASN1_STRING_get0_data(s);
			n = (size_t)ASN1_STRING_length(s);
			if (!prefix_ok(p, n))
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    REF_FMT "nameConstraints serialNumber is not an EID prefix",
				    REF_ARGS(eum));
			(*count)++;
			serial = true;
			if (eid_has_prefix(eid, p, n))
				prefix = true;
		}
		/* an excluded subtree without an EID prefix holds every subject that carries its
		 * attributes (RFC 5280 §4.2.1.10; the empty name, every subject): until session 70
		 * it held none */
		if ((prefix && (rest || excluded)) || (excluded && !serial && rest))
			*match = true;
		else if (prefix)
			*other = true;
	}
	return ORSP_OK;
}

/* SGP.22 v2 §4.5.2.1.0.2: the EUM's nameConstraints permittedSubtrees directoryName holds
 * O = the EUM's organisation and serialNumber = the EID prefix granted to the EUM; the eUICC's
 * EID must start with it and its subject carry the same O.
 * *outside is set when the range is readable and the eUICC is not in it. */
static orsp_err check_eid_name_constraints(const cert_ref *eum, NAME_CONSTRAINTS *nc,
                                           const char *eid, const subj_attrs *subj, bool *outside)
{
	bool match, other;
	int count;
	orsp_err e;

	e = subtrees_match(eum, nc->excludedSubtrees, true, eid, subj, &match, &count, &other);
	if (e != ORSP_OK)
		return e;
	if (match) {
		*outside = true;
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "EID %s is in an excluded nameConstraints range",
		                 REF_ARGS(eum), eid);
	}
	e = subtrees_match(eum, nc->permittedSubtrees, false, eid, subj, &match, &count, &other);
	if (e != ORSP_OK)
		return e;
	if (count == 0)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "nameConstraints permit no EID prefix",
		                 REF_ARGS(eum));
	if (!match) {
		*outside = true;
		if (other)
			return orsp_errf(ORSP_E_POLICY,
			                 REF_FMT "nameConstraints admit EID %s but not the eUICC "
			                         "subject's other attributes (O)",
			                 REF_ARGS(eum), eid);
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "EID %s is outside the permitted nameConstraints range",
		                 REF_ARGS(eum), eid);
	}
	return ORSP_OK;
}

/* DER length octets (X.690 §8.1.3, minimal; at most 2 length bytes needed here). */
static orsp_err der_len(orsp_reader *r, size_t *len)
{
	uint8_t b, b2;

	if (orsp_read_u8(r, &b) != ORSP_OK)
		return ORSP_E_MALFORMED;
	if (b < 0x80) {
		*len = b;
		return ORSP_OK;
	}
	if (b == 0x81) {
		if (orsp_read_u8(r, &b2) != ORSP_OK || b2 < 0x80)
			return ORSP_E_MALFORMED;
		*len = b2;
		return ORSP_OK;
	}
	if (b == 0x82) {
		uint16_t v;
		if (orsp_read_be16(r, &v) != ORSP_OK || v < 0x100)
			return ORSP_E_MALFORMED;
		*len = v;
		return ORSP_OK;
	}
	return ORSP_E_MALFORMED;
}

/* SGP.22 v3: permittedEins ::= SEQUENCE OF PrintableString, each an EID prefix. *outside as
 * for check_eid_name_constraints. */
static orsp_err check_eid_permitted_eins(const cert_ref *eum, X509_EXTENSION *ext, const char *eid,
                                         bool *outside)
{
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	orsp_reader r, seq;
	orsp_slice body, item;
	uint8_t tag;
	size_t len;
	int count = 0;
	bool match = false;

	orsp_reader_init(&r, ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v));
	if (orsp_read_u8(&r, &tag) != ORSP_OK || tag != 0x30 || der_len(&r, &len) != ORSP_OK ||
	    orsp_read_slice(&r, len, &body) != ORSP_OK || orsp_reader_remaining(&r) != 0)
		goto malformed;
	orsp_reader_init(&seq, body.p, body.len);
	while (orsp_reader_remaining(&seq)) {
		if (orsp_read_u8(&seq, &tag) != ORSP_OK || tag != 0x13 /* PrintableString */ ||
		    der_len(&seq, &len) != ORSP_OK ||
		    orsp_read_slice(&seq, len, &item) != ORSP_OK || !prefix_ok(item.p, item.len))
			goto malformed;
		count++;
		if (eid_has_prefix(eid, item.p, item.len))
			match = true;
	}
	if (count == 0)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "permittedEins is empty", REF_ARGS(eum));
	if (!match) {
		*outside = true;
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "EID %s is not under any permittedEins prefix",
		                 REF_ARGS(eum), eid);
	}
	return ORSP_OK;
malformed:
	return orsp_errf(ORSP_E_MALFORMED,
	                 REF_FMT
	                 "permittedEins is not a DER SEQUENCE OF PrintableString EID prefixes",
	                 REF_ARGS(eum));
}

/* The EUM's nameConstraints, decoded once and kept with the certificate (*nc borrowed;
 * NULL when it has none). */
static orsp_err eum_name_constraints(const cert_ref *eum, NAME_CONSTRAINTS **nc)
{
	struct sig_memo *m = eum->c->memo; /* every parsed certificate has one */
	NAME_CONSTRAINTS *got, *none = NULL;
	int crit = -1;

	*nc = NULL;
	switch (atomic_load(&m->nc)) {
	case 1:
		return ORSP_OK;
	case 2:
		*nc = atomic_load(&m->nc_decoded);
		return ORSP_OK;
	}
	got = X509_get_ext_d2i(eum->c->x, NID_name_constraints, &crit, NULL);
	if (!got && crit != -1) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_MALFORMED, REF_FMT "nameConstraints %s", REF_ARGS(eum),
		                 crit == -2 ? "appears twice" : "does not decode");
	}
	/* Two threads may decode at once: the first to store keeps its copy. */
	if (got && !atomic_compare_exchange_strong(&m->nc_decoded, &none, got)) {
		NAME_CONSTRAINTS_free(got);
		got = none;
	}
	atomic_store(&m->nc, got ? 2 : 1);
	*nc = got;
	return ORSP_OK;
}

/* RFC 5280 §4.2.1.10: a critical nameConstraints that constrains a name form must be
 * processed for the names of that form below it, or the certificate rejected. Only
 * directoryName subtrees are processed, and only against the subject (check_eid_range), so an
 * eUICC certificate whose subjectAltName holds a name of a form the EUM's nameConstraints
 * constrain, directoryName included, is refused (until session 70 it was taken unchecked).
 * SGP.22 §4.5.2.1.0.3 gives the eUICC certificate no subjectAltName. */
static orsp_err check_san_unconstrained(const cert_ref *eum, const cert_ref *euicc)
{
	NAME_CONSTRAINTS *nc = NULL;
	GENERAL_NAMES *sans;
	orsp_err e = eum_name_constraints(eum, &nc);
	int crit = -1;

	if (e != ORSP_OK || !nc)
		return e;
	sans = X509_get_ext_d2i(euicc->c->x, NID_subject_alt_name, &crit, NULL);
	if (!sans && crit == -1)
		return ORSP_OK;
	if (!sans) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_MALFORMED, REF_FMT "subjectAltName does not decode",
		                 REF_ARGS(euicc));
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(sans) && !e; i++) {
		int type = sk_GENERAL_NAME_value(sans, i)->type;
		STACK_OF(GENERAL_SUBTREE) * lists[] = {nc->permittedSubtrees, nc->excludedSubtrees};
		for (size_t l = 0; l < ORSP_ARRAY_LEN(lists) && !e; l++)
			for (int k = 0; k < sk_GENERAL_SUBTREE_num(lists[l]) && !e; k++) {
				const GENERAL_NAME *base =
				    sk_GENERAL_SUBTREE_value(lists[l], k)->base;
				if (base && base->type == type)
					e = orsp_errf(ORSP_E_POLICY,
					              REF_FMT
					              "subjectAltName holds a name of a form "
					              "(GeneralName [%d]) the EUM's "
					              "nameConstraints constrain, which is not "
					              "processed",
					              REF_ARGS(euicc), type);
			}
	}
	GENERAL_NAMES_free(sans);
	return e;
}

/* The EID range of SGP.22 §4.5.2.1.0.2: every range the EUM carries (v2 nameConstraints,
 * v3 permittedEins) must admit the EID; an EUM with neither is refused (fail closed).
 * *outside (may be NULL): set when the refusal is of the EID (a range it is not in), left
 * false when it is of the EUM (no range, or one that does not decode or admits nothing). */
static orsp_err check_eid_range(const cert_ref *eum, const char *eid, const subj_attrs *subj,
                                bool *outside)
{
	X509 *x = eum->c->x;
	NAME_CONSTRAINTS *nc = NULL;
	X509_EXTENSION *eins = NULL;
	orsp_err e = ORSP_OK;
	bool out = false;

	if (!outside)
		outside = &out;
	*outside = false;
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		if (!ext_is(ext, permitted_eins_oid, sizeof(permitted_eins_oid)))
			continue;
		if (eins)
			return orsp_errf(ORSP_E_MALFORMED, REF_FMT "permittedEins appears twice",
			                 REF_ARGS(eum));
		eins = ext;
	}
	e = eum_name_constraints(eum, &nc);
	if (e != ORSP_OK)
		return e;
	if (!nc && !eins)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "carries no EID range (nameConstraints or permittedEins)",
		                 REF_ARGS(eum));
	if (nc)
		e = check_eid_name_constraints(eum, nc, eid, subj, outside);
	if (e == ORSP_OK && eins)
		e = check_eid_permitted_eins(eum, eins, eid, outside);
	return e;
}

/* ---------------------------------------------------------------- CI store ----------- */

orsp_err orsp_ci_store_new(orsp_ci_store **out)
{
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_ci_store_new: NULL argument");
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	return ORSP_OK;
}

void orsp_ci_store_free(orsp_ci_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		orsp_cert_free(s->cis[i]);
	free(s->cis);
	free(s);
}

size_t orsp_ci_store_count(const orsp_ci_store *s)
{
	return s ? s->n : 0;
}

const orsp_cert *orsp_ci_store_at(const orsp_ci_store *s, size_t i)
{
	return s && i < s->n ? s->cis[i] : NULL;
}

const orsp_cert *orsp_ci_store_find(const orsp_ci_store *s, const uint8_t *ski, size_t ski_len)
{
	/* an empty key identifier names no CI, even one whose subjectKeyIdentifier is empty */
	if (!s || !ski || ski_len == 0)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		const ASN1_OCTET_STRING *k = X509_get0_subject_key_id(s->cis[i]->x);
		if (k && (size_t)ASN1_STRING_length(k) == ski_len &&
		    memcmp(ASN1_STRING_get0_data(k), ski, ski_len) == 0)
			return s->cis[i];
	}
	return NULL;
}

orsp_err orsp_ci_store_add(orsp_ci_store *s, const orsp_cert *ci)
{
	orsp_cert *copy = NULL;
	orsp_cert **grown;
	const ASN1_OCTET_STRING *ski, *aki;
	cert_ref r;
	orsp_err e;

	if (!s || !ci)
		return orsp_errf(ORSP_E_USAGE, "orsp_ci_store_add: NULL argument");
	cert_ref_init(&r, ci, "CI");
	e = check_role(&r, ORSP_ROLE_CI);
	if (e != ORSP_OK)
		return e;
	e = check_profile(&r, false, false);
	if (e != ORSP_OK)
		return e;
	e = check_ca(&r, false);
	if (e != ORSP_OK)
		return e;
	ski = X509_get0_subject_key_id(ci->x);
	aki = X509_get0_authority_key_id(ci->x);
	if (!ski || ASN1_STRING_length(ski) == 0)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "no subjectKeyIdentifier", REF_ARGS(&r));
	/* SGP.22 §4.5.2.1.0.1: the CI certificate is self-signed. */
	if (aki && ASN1_OCTET_STRING_cmp(aki, ski) != 0)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "not self-signed (AKI differs from SKI)",
		                 REF_ARGS(&r));
	if (X509_NAME_cmp(X509_get_issuer_name(ci->x), X509_get_subject_name(ci->x)) != 0)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "not self-issued", REF_ARGS(&r));
	if (X509_verify(ci->x, X509_get0_pubkey(ci->x)) != 1) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_VERIFY, REF_FMT "self-signature does not verify",
		                 REF_ARGS(&r));
	}
	if (orsp_ci_store_find(s, ASN1_STRING_get0_data(ski), (size_t)ASN1_STRING_length(ski)))
		return orsp_errf(ORSP_E_EXISTS, REF_FMT "a CI with this key id is already trusted",
		                 REF_ARGS(&r));
	e = orsp_cert_parse(ci->der, ci->der_len, &copy);
	if (e != ORSP_OK)
		return e;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		grown = realloc(s->cis, cap * sizeof(*grown));
		if (!grown) {
			orsp_cert_free(copy);
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		}
		s->cis = grown;
		s->cap = cap;
	}
	s->cis[s->n++] = copy;
	return ORSP_OK;
}

/* ---------------------------------------------------------------- paths -------------- */

/* Everything about a CI at verification time (its structure was checked when added). */
static orsp_err check_ci_now(const cert_ref *ci, time_t now, orsp_chain_why *why)
{
	return check_validity(ci, now, why);
}

/* The validity period of a certificate of CI -> EUM -> eUICC: check_validity at *now, or,
 * with now NULL (orsp_rsp_verify_euicc_chain_untimed), only that both dates decode, as
 * check_validity requires of them before it compares. */
static orsp_err chain_validity(const cert_ref *r, const time_t *now, orsp_chain_why *why)
{
	struct tm tm;

	if (now)
		return check_validity(r, *now, why);
	if (ASN1_TIME_to_tm(X509_get0_notBefore(r->c->x), &tm) != 1 ||
	    ASN1_TIME_to_tm(X509_get0_notAfter(r->c->x), &tm) != 1) {
		if (why)
			*why = ORSP_CHAIN_INVALID;
		return orsp__ossl_fail(ORSP_E_MALFORMED,
		                       "certificate validity dates do not decode");
	}
	return ORSP_OK;
}

/* A CI above an EUM has a CA below it: its pathLenConstraint, if any, must allow one
 * (RFC 5280 §4.2.1.9, §6.1.4 (l)). */
static orsp_err check_ci_above_eum(const cert_ref *ci)
{
	if (X509_get_pathlen(ci->c->x) == 0)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT
		                 "basicConstraints pathLenConstraint 0 allows no EUM below it",
		                 REF_ARGS(ci));
	return ORSP_OK;
}

/* Record in *f which certificate failed and why when e is an error; e passed on. */
static orsp_err chain_fault(orsp_chain_fault *f, orsp_chain_cert cert, orsp_chain_why why,
                            orsp_err e)
{
	if (e != ORSP_OK) {
		f->cert = cert;
		f->why = why;
	}
	return e;
}

/* orsp_rsp_verify_euicc_chain_fault at *now, or with now NULL without the validity periods
 * (chain_validity). */
static orsp_err verify_euicc_chain(const orsp_ci_store *cis, const orsp_cert *eum,
                                   const orsp_cert *euicc, const time_t *now, char eid_out[33],
                                   orsp_chain_fault *fault)
{
	const orsp_cert *ci_cert = NULL;
	cert_ref ci, m, u;
	char eid[EID_LEN + 8];
	orsp_chain_fault ignored;
	orsp_chain_why why = ORSP_CHAIN_INVALID;
	bool outside = false, too_long = false;
	subj_attrs subj = {0, NULL};
	orsp_err e;

	if (!fault)
		fault = &ignored;
	fault->cert = ORSP_CHAIN_CERT_NONE;
	fault->why = ORSP_CHAIN_OK;
	if (!cis || !eum || !euicc)
		return orsp_errf(ORSP_E_USAGE, "orsp_rsp_verify_euicc_chain: NULL argument");
	if (eid_out)
		eid_out[0] = '\0';
	cert_ref_init(&m, eum, "EUM");
	cert_ref_init(&u, euicc, "eUICC");

	/* CI -> EUM (SGP.22 §4.5.2.1.0.2). An EUM without an authorityKeyIdentifier is its own
	 * fault; one that names no CI we trust, the CI's. */
	e = find_ci(cis, &m, &ci_cert);
	if (e != ORSP_OK)
		return X509_get0_authority_key_id(eum->x)
		           ? chain_fault(fault, ORSP_CHAIN_CERT_CI, ORSP_CHAIN_UNKNOWN_CI, e)
		           : chain_fault(fault, ORSP_CHAIN_CERT_EUM, ORSP_CHAIN_INVALID, e);
	cert_ref_init(&ci, ci_cert, "CI");
	if ((e = chain_validity(&ci, now, &why)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_CI, why, e);
	if ((e = check_ci_above_eum(&ci)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_CI, ORSP_CHAIN_INVALID, e);
	if ((e = check_issued(&m, &ci)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUM,
		                   e == ORSP_E_VERIFY ? ORSP_CHAIN_SIGNATURE : ORSP_CHAIN_INVALID,
		                   e);
	if ((e = chain_validity(&m, now, &why)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUM, why, e);
	if ((e = check_role(&m, ORSP_ROLE_EUM)) != ORSP_OK ||
	    (e = check_profile(&m, true, false)) != ORSP_OK || (e = check_ca(&m, true)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUM, ORSP_CHAIN_INVALID, e);
	if (!X509_get0_subject_key_id(eum->x))
		return chain_fault(
		    fault, ORSP_CHAIN_CERT_EUM, ORSP_CHAIN_INVALID,
		    orsp_errf(ORSP_E_POLICY, REF_FMT "no subjectKeyIdentifier", REF_ARGS(&m)));

	/* EUM -> eUICC (SGP.22 §4.5.2.1.0.3). */
	if ((e = check_issued(&u, &m)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUICC,
		                   e == ORSP_E_VERIFY ? ORSP_CHAIN_SIGNATURE : ORSP_CHAIN_INVALID,
		                   e);
	if ((e = chain_validity(&u, now, &why)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUICC, why, e);
	if ((e = check_role(&u, ORSP_ROLE_EUICC)) != ORSP_OK ||
	    (e = check_profile(&u, false, false)) != ORSP_OK ||
	    (e = check_end_entity(&u)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID, e);

	/* The EID is the eUICC subject serialNumber: 32 digits (SGP.22 §4.5.2.1.0.3); one
	 * longer than eid is not one either. */
	e = subject_attr(euicc, NID_serialNumber, "serialNumber", eid, sizeof(eid), &too_long);
	if (e == ORSP_E_NOT_FOUND || too_long ||
	    (e == ORSP_OK && (strlen(eid) != EID_LEN || !all_digits(eid, EID_LEN))))
		return chain_fault(fault, ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID,
		                   orsp_errf(ORSP_E_POLICY,
		                             REF_FMT "subject serialNumber is not a 32-digit EID",
		                             REF_ARGS(&u)));
	if (e != ORSP_OK) {
		char detail[ORSP_ERR_DETAIL_MAX];
		return chain_fault(
		    fault, ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID,
		    orsp_errf(e, REF_FMT "%s", REF_ARGS(&u), saved_detail(detail, sizeof(detail))));
	}
	/* An EID the EUM's range does not admit is the eUICC certificate's fault (RFC 5280
	 * applies name constraints to the certificates below the one that carries them); a
	 * range the EUM lacks or that does not decode, the EUM's. */
	if ((e = subj_from_name(X509_get_subject_name(euicc->x), &subj)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID, e);
	e = check_eid_range(&m, eid, &subj, &outside);
	subj_done(&subj);
	if (e != ORSP_OK)
		return outside
		           ? chain_fault(fault, ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_EID_OUTSIDE, e)
		           : chain_fault(fault, ORSP_CHAIN_CERT_EUM, ORSP_CHAIN_INVALID, e);
	/* the fast path takes no subjectAltName (fast_extensions) */
	if ((e = check_san_unconstrained(&m, &u)) != ORSP_OK)
		return chain_fault(fault, ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID, e);
	if (eid_out)
		memcpy(eid_out, eid, EID_LEN + 1);
	return ORSP_OK;
}

/* verify_euicc_chain, an allocation that failed inside OpenSSL meanwhile (a signature that
 * "does not verify", a name constraint that "does not decode") ORSP_E_RESOURCE and no
 * certificate's fault: *fault ORSP_CHAIN_CERT_NONE. */
static orsp_err verify_euicc_chain_counted(const orsp_ci_store *cis, const orsp_cert *eum,
                                           const orsp_cert *euicc, const time_t *now,
                                           char eid_out[33], orsp_chain_fault *fault)
{
	unsigned long failed = orsp_wipe_alloc_failures();
	orsp_err e = verify_euicc_chain(cis, eum, euicc, now, eid_out, fault);
	orsp_err why = orsp__oom_since(failed, e, "verifying the eUICC's certificate chain");

	if (why != e && fault) {
		fault->cert = ORSP_CHAIN_CERT_NONE;
		fault->why = ORSP_CHAIN_OK;
	}
	return why;
}

orsp_err orsp_rsp_verify_euicc_chain_fault(const orsp_ci_store *cis, const orsp_cert *eum,
                                           const orsp_cert *euicc, time_t now, char eid_out[33],
                                           orsp_chain_fault *fault)
{
	if (now == 0)
		now = time(NULL);
	return verify_euicc_chain_counted(cis, eum, euicc, &now, eid_out, fault);
}

orsp_err orsp_rsp_verify_euicc_chain(const orsp_ci_store *cis, const orsp_cert *eum,
                                     const orsp_cert *euicc, time_t now, char eid_out[33])
{
	return orsp_rsp_verify_euicc_chain_fault(cis, eum, euicc, now, eid_out, NULL);
}

orsp_err orsp_rsp_verify_euicc_chain_untimed(const orsp_ci_store *cis, const orsp_cert *eum,
                                             const orsp_cert *euicc, char eid_out[33])
{
	return verify_euicc_chain_counted(cis, eum, euicc, NULL, eid_out, NULL);
}

static bool is_server_role(orsp_rsp_role role)
{
	return role == ORSP_ROLE_DP_TLS || role == ORSP_ROLE_DP_AUTH || role == ORSP_ROLE_DP_PB ||
	       role == ORSP_ROLE_DS_TLS || role == ORSP_ROLE_DS_AUTH;
}

/* SGP.22 §4.5.2.0.x: the TLS certificate names the server FQDN as a DNS subjectAltName.
 * Exact, case-insensitive match (no wildcards: RSP TLS certificates carry the FQDN). */
static orsp_err check_dns_san(const cert_ref *r, const char *fqdn)
{
	GENERAL_NAMES *sans;
	int crit = -1;
	size_t flen = strlen(fqdn);
	bool found = false;

	sans = X509_get_ext_d2i(r->c->x, NID_subject_alt_name, &crit, NULL);
	if (!sans) {
		ERR_clear_error();
		if (crit == -1)
			return orsp_errf(ORSP_E_POLICY,
			                 REF_FMT "no subjectAltName, expected DNS:%s", REF_ARGS(r),
			                 fqdn);
		return orsp_errf(ORSP_E_MALFORMED, REF_FMT "subjectAltName %s", REF_ARGS(r),
		                 crit == -2 ? "appears twice" : "does not decode");
	}
	for (int i = 0; i < sk_GENERAL_NAME_num(sans) && !found; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *p;
		if (gn->type != GEN_DNS)
			continue;
		p = ASN1_STRING_get0_data(gn->d.dNSName);
		if ((size_t)ASN1_STRING_length(gn->d.dNSName) == flen && flen > 0 &&
		    memchr(p, 0, flen) == NULL && strncasecmp((const char *)p, fqdn, flen) == 0)
			found = true;
	}
	GENERAL_NAMES_free(sans);
	if (!found)
		return orsp_errf(ORSP_E_POLICY, REF_FMT "no DNS subjectAltName matches %s",
		                 REF_ARGS(r), fqdn);
	return ORSP_OK;
}

/* A CA's basicConstraints pathLenConstraint allows below it the `below` CAs between it and
 * the end entity (RFC 5280 §4.2.1.9, §6.1.4 (l), (m)). */
static orsp_err check_pathlen(const cert_ref *ca, size_t below)
{
	long pathlen = X509_get_pathlen(ca->c->x); /* -1: no limit */

	if (pathlen >= 0 && (size_t)pathlen < below)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT "basicConstraints pathLenConstraint %ld allows fewer than "
		                         "the %zu sub-CA(s) below it",
		                 REF_ARGS(ca), pathlen, below);
	return ORSP_OK;
}

/* A sub-CA of a server certificate's chain carries no SGP.22 v2 role but the CI's: v3's
 * sub-CA policies are not known here, and one without a policy is taken, but a CA of another
 * role is refused, the EUM's above all: an EUM (cA, pathLenConstraint 0) would otherwise
 * issue a DPtls certificate for any SM-DP+ address that the LPA took (review find, session
 * 71; one without nameConstraints passed). */
static orsp_err check_subca_role(const cert_ref *r)
{
	orsp_rsp_role role;

	if (orsp_cert_rsp_role(r->c, &role) != ORSP_OK) {
		orsp_err_clear(); /* no v2 role: a v3 sub-CA's policy, or none */
		return ORSP_OK;
	}
	if (role != ORSP_ROLE_CI)
		return orsp_errf(ORSP_E_POLICY,
		                 REF_FMT
		                 "policy is %s (2.23.146.1.2.1.%d): a CA of that role issues "
		                 "no server certificate",
		                 REF_ARGS(r), role_name(role), (int)role);
	return ORSP_OK;
}

static orsp_err verify_server_path(const orsp_ci_store *cis, const orsp_cert *const *subcas,
                                   size_t n_subcas, const orsp_cert *cert, orsp_rsp_role role,
                                   const char *fqdn, time_t now)
{
	const orsp_cert *ci_cert = NULL;
	cert_ref above, s;
	orsp_err e;
	bool tls = role == ORSP_ROLE_DP_TLS || role == ORSP_ROLE_DS_TLS;

	if (!cis || !cert || (n_subcas && !subcas))
		return orsp_errf(ORSP_E_USAGE, "orsp_rsp_verify_server_path: NULL argument");
	for (size_t i = 0; i < n_subcas; i++)
		if (!subcas[i])
			return orsp_errf(ORSP_E_USAGE, "orsp_rsp_verify_server_path: NULL sub-CA");
	if (!is_server_role(role))
		return orsp_errf(ORSP_E_USAGE, "%s is not a server certificate role",
		                 role_name(role));
	if (now == 0)
		now = time(NULL);
	cert_ref_init(&s, cert, role_name(role));
	/* the CI is the one the topmost certificate's authorityKeyIdentifier names */
	cert_ref_init(&above, n_subcas ? subcas[n_subcas - 1] : cert,
	              n_subcas ? "sub-CA" : role_name(role));
	e = find_ci(cis, &above, &ci_cert);
	if (e != ORSP_OK)
		return e;
	cert_ref_init(&above, ci_cert, "CI");
	if ((e = check_ci_now(&above, now, NULL)) != ORSP_OK ||
	    (e = check_pathlen(&above, n_subcas)) != ORSP_OK)
		return e;
	/* down from the CI: each sub-CA issued by the certificate above it */
	for (size_t i = n_subcas; i-- > 0;) {
		cert_ref sub;
		cert_ref_init(&sub, subcas[i], "sub-CA");
		if ((e = check_issued(&sub, &above)) != ORSP_OK ||
		    (e = check_validity(&sub, now, NULL)) != ORSP_OK ||
		    (e = check_profile(&sub, false, false)) != ORSP_OK ||
		    (e = check_ca(&sub, false)) != ORSP_OK ||
		    (e = check_pathlen(&sub, i)) != ORSP_OK ||
		    (e = check_subca_role(&sub)) != ORSP_OK)
			return e;
		above = sub;
	}
	if ((e = check_issued(&s, &above)) != ORSP_OK ||
	    (e = check_validity(&s, now, NULL)) != ORSP_OK ||
	    (e = check_role(&s, role)) != ORSP_OK ||
	    (e = check_profile(&s, false, tls)) != ORSP_OK || (e = check_end_entity(&s)) != ORSP_OK)
		return e;
	if (tls) {
		/* RFC 5280 §4.2.1.12: if extendedKeyUsage is present it must allow serverAuth. */
		uint32_t flags = X509_get_extension_flags(cert->x);
		if ((flags & EXFLAG_XKUSAGE) &&
		    !(X509_get_extended_key_usage(cert->x) & XKU_SSL_SERVER))
			return orsp_errf(ORSP_E_POLICY, REF_FMT "extendedKeyUsage lacks serverAuth",
			                 REF_ARGS(&s));
		if (fqdn)
			return check_dns_san(&s, fqdn);
	}
	return ORSP_OK;
}

orsp_err orsp_rsp_verify_server_path(const orsp_ci_store *cis, const orsp_cert *const *subcas,
                                     size_t n_subcas, const orsp_cert *cert, orsp_rsp_role role,
                                     const char *fqdn, time_t now)
{
	unsigned long failed = orsp_wipe_alloc_failures();

	return orsp__oom_since(failed,
	                       verify_server_path(cis, subcas, n_subcas, cert, role, fqdn, now),
	                       "verifying a server's certificate chain");
}

orsp_err orsp_rsp_verify_server_cert(const orsp_ci_store *cis, const orsp_cert *cert,
                                     orsp_rsp_role role, const char *fqdn, time_t now)
{
	if (!cis || !cert)
		return orsp_errf(ORSP_E_USAGE, "orsp_rsp_verify_server_cert: NULL argument");
	return orsp_rsp_verify_server_path(cis, NULL, 0, cert, role, fqdn, now);
}

/* The registeredID number i (0: the first) of c's subjectAltName, or NULL if there are not
 * i + 1; it lives in *names, which the caller frees (GENERAL_NAMES_free, NULL-safe). */
static const ASN1_OBJECT *rid_at(const orsp_cert *c, size_t i, GENERAL_NAMES **names)
{
	size_t seen = 0;

	*names = X509_get_ext_d2i(c->x, NID_subject_alt_name, NULL, NULL);
	for (int k = 0; *names && k < sk_GENERAL_NAME_num(*names); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(*names, k);
		if (g->type == GEN_RID && seen++ == i)
			return g->d.registeredID;
	}
	return NULL;
}

orsp_err orsp_cert_rid(const orsp_cert *c, uint8_t *out, size_t cap, size_t *len)
{
	GENERAL_NAMES *names;
	const ASN1_OBJECT *rid;
	orsp_err e = ORSP_E_NOT_FOUND; /* its detail only when none is found: not left on success */
	unsigned long failed = orsp_wipe_alloc_failures();

	if (!c || !out || !len)
		return orsp_errf(ORSP_E_USAGE, "cert rid: bad arguments");
	rid = rid_at(c, 0, &names);
	if (rid) {
		size_t n = (size_t)OBJ_length(rid);
		const unsigned char *p = OBJ_get0_data(rid);
		if (!p || n == 0 || n > cap)
			e = orsp_errf(ORSP_E_MALFORMED, "registeredID too long");
		else {
			memcpy(out, p, n);
			*len = n;
			e = ORSP_OK;
		}
	}
	GENERAL_NAMES_free(names);
	if (e == ORSP_E_NOT_FOUND)
		e = orsp_errf(ORSP_E_NOT_FOUND, "certificate has no registeredID");
	/* the subjectAltName's decode (rid_at) that lost an allocation was "no registeredID" */
	return orsp__oom_since(failed, e, "reading the certificate's registeredID");
}

orsp_err orsp_cert_rid_text(const orsp_cert *c, size_t i, char *out, size_t cap)
{
	GENERAL_NAMES *names;
	const ASN1_OBJECT *rid;
	orsp_err e = ORSP_E_NOT_FOUND;
	unsigned long failed = orsp_wipe_alloc_failures();

	if (!c || !out || !cap)
		return orsp_errf(ORSP_E_USAGE, "cert rid text: bad arguments");
	out[0] = '\0';
	rid = rid_at(c, i, &names);
	if (rid) {
		/* no_name = 1: the numbers, never a name OpenSSL knows the OID by */
		int n = OBJ_obj2txt(out, (int)(cap > INT_MAX ? INT_MAX : cap), rid, 1);
		if (n <= 0 || (size_t)n >= cap) {
			out[0] = '\0';
			e = orsp_errf(ORSP_E_MALFORMED, n <= 0
			                                    ? "registeredID does not read as an OID"
			                                    : "registeredID too long");
		} else
			e = ORSP_OK;
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	if (e == ORSP_E_NOT_FOUND && i == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "certificate has no registeredID");
	else if (e == ORSP_E_NOT_FOUND)
		e = orsp_errf(ORSP_E_NOT_FOUND, "certificate has no registeredID number %zu",
		              i + 1);
	return orsp__oom_since(failed, e, "reading the certificate's registeredID");
}

orsp_err orsp_cert_crl_urls(const orsp_cert *c, char (*urls)[ORSP_CERT_URL_MAX + 1], size_t max,
                            size_t *n)
{
	CRL_DIST_POINTS *dps;
	int crit = 0;

	if (!c || !n || (max && !urls))
		return orsp_errf(ORSP_E_USAGE, "cert crl urls: bad arguments");
	*n = 0;
	dps = X509_get_ext_d2i(c->x, NID_crl_distribution_points, &crit, NULL);
	if (!dps) {
		ERR_clear_error();
		if (crit == -1)
			return orsp_errf(ORSP_E_NOT_FOUND,
			                 "the certificate has no cRLDistributionPoints");
		return orsp_errf(ORSP_E_MALFORMED,
		                 crit == -2 ? "the certificate has cRLDistributionPoints twice"
		                            : "the cRLDistributionPoints do not decode");
	}
	for (int i = 0; i < sk_DIST_POINT_num(dps) && *n < max; i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		const GENERAL_NAMES *names;

		/* a CRL of some reasons only, or one another issuer signs: not the complete CRL
		 * of the certificate's issuer, which is what a caller fetches */
		if (dp->reasons || dp->CRLissuer || !dp->distpoint || dp->distpoint->type != 0)
			continue;
		names = dp->distpoint->name.fullname;
		for (int k = 0; k < sk_GENERAL_NAME_num(names) && *n < max; k++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, k);
			const unsigned char *p;
			int len;

			if (g->type != GEN_URI)
				continue;
			len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
			p = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
			if (len <= 0 || len > ORSP_CERT_URL_MAX || memchr(p, 0, (size_t)len))
				continue;
			memcpy(urls[*n], p, (size_t)len);
			urls[*n][len] = '\0';
			if (orsp_cert_crl_url_ok(urls[*n]))
				(*n)++;
		}
	}
	CRL_DIST_POINTS_free(dps);
	if (*n == 0)
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "the certificate's cRLDistributionPoints name no http(s) URL of a "
		                 "complete CRL");
	orsp_err_clear(); /* the detail of a URL skipped */
	return ORSP_OK;
}

/* ---------------------------------------------------------------- eUICC fast path -------- */

/* d2i_X509 costs OpenSSL 3.0 about 0.2 ms (0.4 ms with threads contending), nearly all of it
 * in the provider decoders for the public key, and an SM-DP+ meets each CERT.EUICC once.
 * For the one shape an eUICC certificate has (SGP.22 §4.5.2.1.0.3, as SGP.26 and `openrsp
 * pki` issue it) the certificate is read here with the strict DER reader instead, while
 * the EUM and the CI keep the OpenSSL path (parsed once, cached). The fast path only ever
 * ACCEPTS: whatever it does not recognise exactly, or any check that fails, is left to
 * orsp_cert_parse + orsp_rsp_verify_euicc_chain, which give the precise error. Its accept
 * set is a subset of theirs (tests/test_x509.c and fuzz/fuzz_crypto_euicc_cert.c check
 * that). */

static const uint8_t oid_ecdsa_sha256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
static const uint8_t oid_ec_public_key[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_bp256[] = {0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
static const uint8_t oid_key_usage[] = {0x55, 0x1D, 0x0F};
static const uint8_t oid_policies[] = {0x55, 0x1D, 0x20};
static const uint8_t oid_ski[] = {0x55, 0x1D, 0x0E};
static const uint8_t oid_aki[] = {0x55, 0x1D, 0x23};
static const uint8_t oid_serial_number[] = {0x55, 0x04, 0x05};
/* keyUsage BIT STRING with digitalSignature only; certificatePolicies with the one eUICC
 * role policy 2.23.146.1.2.1.1 and no qualifiers */
static const uint8_t ku_digital_signature[] = {0x03, 0x02, 0x07, 0x80};
static const uint8_t policies_euicc[] = {0x30, 0x0B, 0x30, 0x09, 0x06, 0x07, 0x67,
                                         0x81, 0x12, 0x01, 0x02, 0x01, 0x01};

static bool slice_is(orsp_slice s, const uint8_t *p, size_t n)
{
	return s.len == n && memcmp(s.p, p, n) == 0;
}

/* SubjectPublicKeyInfo contents: id-ecPublicKey on P-256 or brainpoolP256r1 (named) and
 * the encoded point, *n bytes that *point borrows from spki: its form (uncompressed,
 * compressed, which RFC 5480 §2.2 allows, or the hybrid form OpenSSL also reads) is the
 * caller's to check, as is its being on the curve. */
static orsp_err spki_point(orsp_slice spki, orsp_curve *cv, const uint8_t **point, size_t *n)
{
	orsp_reader k, ka;
	orsp_tlv kalg, kbits, koid, curve;

	orsp_reader_init(&k, spki.p, spki.len);
	if (orsp_der_expect(&k, 0x30, &kalg) || orsp_der_expect(&k, 0x03, &kbits) ||
	    orsp_reader_remaining(&k))
		return orsp_errf(ORSP_E_MALFORMED, "subjectPublicKeyInfo");
	orsp_reader_init(&ka, kalg.value.p, kalg.value.len);
	if (orsp_der_expect(&ka, 0x06, &koid) || orsp_der_expect(&ka, 0x06, &curve) ||
	    orsp_reader_remaining(&ka) ||
	    !slice_is(koid.value, oid_ec_public_key, sizeof(oid_ec_public_key)))
		return orsp_errf(ORSP_E_POLICY, "not an EC public key with a named curve");
	if (slice_is(curve.value, oid_p256, sizeof(oid_p256)))
		*cv = ORSP_CURVE_P256;
	else if (slice_is(curve.value, oid_bp256, sizeof(oid_bp256)))
		*cv = ORSP_CURVE_BRAINPOOLP256R1;
	else
		return orsp_errf(ORSP_E_POLICY, "key is not on P-256 or brainpoolP256r1");
	if (kbits.value.len < 2 || kbits.value.p[0] != 0)
		return orsp_errf(ORSP_E_MALFORMED, "public key is not an EC point");
	*point = kbits.value.p + 1;
	*n = kbits.value.len - 1;
	return ORSP_OK;
}

/* A minimal positive INTEGER of at most `max` significant bytes, right-aligned into out. */
static bool int_to_fixed(orsp_slice v, uint8_t *out, size_t max)
{
	if (v.len == 0 || (v.p[0] & 0x80) || (v.len > 1 && v.p[0] == 0 && !(v.p[1] & 0x80)))
		return false;
	if (v.p[0] == 0) {
		v.p++;
		v.len--;
	}
	if (v.len > max)
		return false;
	memset(out, 0, max);
	memcpy(out + max - v.len, v.p, v.len);
	return true;
}

static bool digits(const uint8_t *p, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/* UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: 50..99 -> 19xx) or GeneralizedTime
 * YYYYMMDDHHMMSSZ, exactly these forms (the eUICC fast path; crl.c's entries). */
bool orsp__der_time(const orsp_tlv *t, time_t *out)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const uint8_t *p = t->value.p;
	int y, mo, d, h, mi, s;
	struct tm tm = {0};
	size_t yl;

	if (t->tag == 0x17 && t->value.len == 13)
		yl = 2;
	else if (t->tag == 0x18 && t->value.len == 15)
		yl = 4;
	else
		return false;
	if (p[t->value.len - 1] != 'Z' || !digits(p, yl, &y) || !digits(p + yl, 2, &mo) ||
	    !digits(p + yl + 2, 2, &d) || !digits(p + yl + 4, 2, &h) ||
	    !digits(p + yl + 6, 2, &mi) || !digits(p + yl + 8, 2, &s))
		return false;
	if (yl == 2)
		y += y >= 50 ? 1900 : 2000;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 59)
		return false;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = timegm(&tm);
	return true;
}

/* An attribute value d2i_X509 reads back: a PrintableString of its X.680 characters or a
 * well-formed UTF8String (OpenSSL refuses a name whose UTF8String is not UTF-8). */
static bool fast_string(const orsp_tlv *v)
{
	static const char printable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                                "0123456789 '()+,-./:=?";
	const uint8_t *p = v->value.p;
	size_t n = v->value.len;

	if (v->tag == 0x13) {
		for (size_t i = 0; i < n; i++)
			if (p[i] == 0 || !strchr(printable, p[i]))
				return false;
		return true;
	}
	if (v->tag != 0x0C)
		return false;
	for (size_t i = 0, k; i < n; i += k) {
		uint32_t cp;
		if ((k = orsp_utf8_seq(p + i, n - i, &cp)) == 0)
			return false;
	}
	return true;
}

/* The subject: RDNs of one attribute each, of type id-at-* (2.5.4.x, x < 128: an OID
 * well-formed by construction; OpenSSL refuses a malformed one) with a value fast_string
 * takes; the serialNumber (once, 32 digits) is the EID. */
static bool fast_subject(orsp_slice name, char eid[EID_LEN + 1], subj_attrs *subj)
{
	orsp_reader r;
	orsp_tlv rdn, atv, oid, val;
	bool found = false;

	subj->n = 0;
	orsp_reader_init(&r, name.p, name.len);
	while (orsp_reader_remaining(&r)) {
		orsp_reader s, a;
		if (subj->n == SUBJ_FAST_MAX || orsp_der_expect(&r, 0x31, &rdn))
			return false;
		orsp_reader_init(&s, rdn.value.p, rdn.value.len);
		if (orsp_der_expect(&s, 0x30, &atv) || orsp_reader_remaining(&s))
			return false;
		orsp_reader_init(&a, atv.value.p, atv.value.len);
		if (orsp_der_expect(&a, 0x06, &oid) || orsp_der_read(&a, &val) ||
		    orsp_reader_remaining(&a))
			return false;
		if (oid.value.len != 3 || oid.value.p[0] != 0x55 || oid.value.p[1] != 0x04 ||
		    (oid.value.p[2] & 0x80) || !fast_string(&val))
			return false;
		if (slice_is(oid.value, oid_serial_number, sizeof(oid_serial_number))) {
			if (found || val.tag != 0x13 || val.value.len != EID_LEN ||
			    !all_digits((const char *)val.value.p, EID_LEN))
				return false;
			memcpy(eid, val.value.p, EID_LEN);
			eid[EID_LEN] = '\0';
			found = true;
		}
		/* PrintableString and UTF8String (fast_string): the bytes are UTF-8 */
		subj->a[subj->n] = (subj_attr){.oid = oid.value.p,
		                               .oid_len = oid.value.len,
		                               .v = val.value.p,
		                               .len = val.value.len,
		                               .str = true};
		subj->n++;
	}
	return found;
}

/* The eUICC extensions: keyUsage (critical, digitalSignature), certificatePolicies (the
 * eUICC role), subjectKeyIdentifier, authorityKeyIdentifier (keyIdentifier only, which
 * must be the EUM's SKI); each once, nothing else. */
static bool fast_extensions(orsp_slice exts, const ASN1_OCTET_STRING *eum_ski)
{
	orsp_reader r;
	orsp_tlv oid, val;
	bool have_ku = false, have_pol = false, have_ski = false, have_aki = false;

	orsp_reader_init(&r, exts.p, exts.len);
	while (orsp_reader_remaining(&r)) {
		bool critical;
		if (orsp__read_extension(&r, &oid, &critical, &val) != EXT_OK)
			return false;
		if (slice_is(oid.value, oid_key_usage, sizeof(oid_key_usage))) {
			if (have_ku || !critical ||
			    !slice_is(val.value, ku_digital_signature,
			              sizeof(ku_digital_signature)))
				return false;
			have_ku = true;
		} else if (slice_is(oid.value, oid_policies, sizeof(oid_policies))) {
			if (have_pol ||
			    !slice_is(val.value, policies_euicc, sizeof(policies_euicc)))
				return false;
			have_pol = true;
		} else if (slice_is(oid.value, oid_ski, sizeof(oid_ski))) {
			orsp_tlv k;
			if (have_ski || critical || orsp_der_parse_one(val.value, &k) ||
			    k.tag != 0x04 || k.value.len == 0)
				return false;
			have_ski = true;
		} else if (slice_is(oid.value, oid_aki, sizeof(oid_aki))) {
			orsp_tlv seq, kid;
			orsp_reader a;
			if (have_aki || critical || orsp_der_parse_one(val.value, &seq) ||
			    seq.tag != 0x30)
				return false;
			orsp_reader_init(&a, seq.value.p, seq.value.len);
			if (orsp_der_expect(&a, 0x80, &kid) || orsp_reader_remaining(&a) ||
			    !eum_ski || kid.value.len != (size_t)ASN1_STRING_length(eum_ski) ||
			    memcmp(kid.value.p, ASN1_STRING_get0_data(eum_ski), kid.value.len) != 0)
				return false;
			have_aki = true;
		} else {
			return false;
		}
	}
	return have_ku && have_pol && have_ski && have_aki;
}

/* Public keys by their point: an SM-DP+ builds CERT.EUICC's key in authenticateClient and
 * needs it again in getBoundProfilePackage and for the installation result; importing a
 * point (with its on-curve check) costs OpenSSL tens of microseconds each time. */
#define KEY_CACHE 128
static struct key_slot {
	orsp_curve curve;
	uint8_t point[ORSP_EC_POINT_LEN];
	EVP_PKEY *pk;
} key_cache[KEY_CACHE];
static pthread_mutex_t key_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static orsp_err key_from_point_cached(orsp_curve cv, const uint8_t *point, orsp_ec_key **out)
{
	struct key_slot *k = &key_cache[fnv1a(point, ORSP_EC_POINT_LEN) % KEY_CACHE];
	EVP_PKEY *pk = NULL, *old = NULL;
	orsp_err e;

	pthread_mutex_lock(&key_cache_mu);
	if (k->pk && k->curve == cv && memcmp(k->point, point, ORSP_EC_POINT_LEN) == 0 &&
	    EVP_PKEY_up_ref(k->pk) == 1)
		pk = k->pk;
	pthread_mutex_unlock(&key_cache_mu);
	if (pk) {
		e = orsp__ec_wrap_public_as(pk, cv, out);
		orsp__ec_mark_shared(*out);
		orsp__ec_pkey_free_shared(pk);
		return e;
	}
	e = orsp_ec_from_public_point(cv, point, ORSP_EC_POINT_LEN, out);
	if (e || EVP_PKEY_up_ref(orsp__ec_pkey(*out)) != 1)
		return e;
	orsp__ec_mark_shared(*out);
	pthread_mutex_lock(&key_cache_mu);
	old = k->pk;
	k->pk = orsp__ec_pkey(*out);
	k->curve = cv;
	memcpy(k->point, point, ORSP_EC_POINT_LEN);
	pthread_mutex_unlock(&key_cache_mu);
	orsp__ec_pkey_free_shared(old);
	return ORSP_OK;
}

orsp_err orsp_rsp_euicc_fast_accept(const orsp_ci_store *cis, const orsp_cert *eum, const void *der,
                                    size_t len, time_t now, char eid_out[EID_LEN + 1],
                                    orsp_ec_key **pub_out)
{
	orsp_reader r, t, s;
	orsp_tlv cert, tbs, alg, sigbits, f, issuer, validity, nb, na, subject, spki, exts, extseq,
	    sigseq, ri, si;
	const uint8_t *point = NULL;
	size_t point_len = 0;
	orsp_curve cv = ORSP_CURVE_NONE;
	uint8_t sig[ORSP_EC_SIG_LEN];
	unsigned char *eum_subject = NULL;
	int eum_subject_len;
	subj_attr fast_attrs[SUBJ_FAST_MAX];
	subj_attrs subj = {0, fast_attrs}; /* borrows from der: no subj_done */
	char eid[EID_LEN + 1];
	time_t tb, ta;
	orsp_ec_key *pub = NULL, *eum_pub = NULL;
	const orsp_cert *ci_cert = NULL;
	cert_ref ci, m;
	bool ok = false;

	if (pub_out)
		*pub_out = NULL;
	if (!cis || !eum || !der || !eid_out || !pub_out || len > CERT_MAX)
		return ORSP_E_NOT_FOUND;
	if (now == 0)
		now = time(NULL);
	/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } */
	if (orsp_der_parse_one(orsp_slice_make(der, len), &cert) || cert.tag != 0x30 ||
	    cert.raw.len != len)
		return ORSP_E_NOT_FOUND;
	orsp_reader_init(&r, cert.value.p, cert.value.len);
	if (orsp_der_expect(&r, 0x30, &tbs) || orsp_der_expect(&r, 0x30, &alg) ||
	    orsp_der_expect(&r, 0x03, &sigbits) || orsp_reader_remaining(&r))
		return ORSP_E_NOT_FOUND;
	{
		orsp_reader a;
		orsp_tlv o;
		orsp_reader_init(&a, alg.value.p, alg.value.len);
		if (orsp_der_expect(&a, 0x06, &o) || orsp_reader_remaining(&a) ||
		    !slice_is(o.value, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256)))
			return ORSP_E_NOT_FOUND;
	}
	/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in a BIT STRING */
	if (sigbits.value.len < 1 || sigbits.value.p[0] != 0 ||
	    orsp_der_parse_one(orsp_slice_make(sigbits.value.p + 1, sigbits.value.len - 1),
	                       &sigseq) ||
	    sigseq.tag != 0x30 || sigseq.raw.len != sigbits.value.len - 1)
		return ORSP_E_NOT_FOUND;
	orsp_reader_init(&s, sigseq.value.p, sigseq.value.len);
	if (orsp_der_expect(&s, 0x02, &ri) || orsp_der_expect(&s, 0x02, &si) ||
	    orsp_reader_remaining(&s) || !int_to_fixed(ri.value, sig, ORSP_EC_SIG_LEN / 2) ||
	    !int_to_fixed(si.value, sig + ORSP_EC_SIG_LEN / 2, ORSP_EC_SIG_LEN / 2))
		return ORSP_E_NOT_FOUND;
	/* TBSCertificate: [0] v3, serial, signature (= the outer algorithm), issuer, validity,
	 * subject, subjectPublicKeyInfo, [3] extensions; no unique identifiers */
	orsp_reader_init(&t, tbs.value.p, tbs.value.len);
	if (orsp_der_expect(&t, 0xA0, &f) ||
	    !slice_is(f.value, (const uint8_t *)"\x02\x01\x02", 3) ||
	    orsp_der_expect(&t, 0x02, &f) || f.value.len > 20 || f.value.len == 0 ||
	    (f.value.p[0] & 0x80) ||
	    (f.value.len > 1 && f.value.p[0] == 0 && !(f.value.p[1] & 0x80)) ||
	    orsp_der_expect(&t, 0x30, &f) || !slice_is(f.raw, alg.raw.p, alg.raw.len) ||
	    orsp_der_expect(&t, 0x30, &issuer) || orsp_der_expect(&t, 0x30, &validity) ||
	    orsp_der_expect(&t, 0x30, &subject) || orsp_der_expect(&t, 0x30, &spki) ||
	    orsp_der_expect(&t, 0xA3, &exts) || orsp_reader_remaining(&t))
		return ORSP_E_NOT_FOUND;
	{
		orsp_reader v;
		orsp_reader_init(&v, validity.value.p, validity.value.len);
		if (orsp_der_read(&v, &nb) || orsp_der_read(&v, &na) || orsp_reader_remaining(&v) ||
		    !orsp__der_time(&nb, &tb) || !orsp__der_time(&na, &ta) || now < tb || now > ta)
			return ORSP_E_NOT_FOUND;
	}
	/* a point in another form is left to the full path */
	if (spki_point(spki.value, &cv, &point, &point_len) != ORSP_OK ||
	    point_len != ORSP_EC_POINT_LEN || point[0] != 0x04)
		return ORSP_E_NOT_FOUND;
	{
		orsp_reader x;
		orsp_reader_init(&x, exts.value.p, exts.value.len);
		if (orsp_der_expect(&x, 0x30, &extseq) || orsp_reader_remaining(&x) ||
		    !fast_extensions(extseq.value, X509_get0_subject_key_id(eum->x)))
			return ORSP_E_NOT_FOUND;
	}
	if (!fast_subject(subject.value, eid, &subj))
		return ORSP_E_NOT_FOUND;
	/* The issuer is the EUM's subject, byte for byte. */
	eum_subject_len = i2d_X509_NAME(X509_get_subject_name(eum->x), &eum_subject);
	if (eum_subject_len <= 0) {
		ERR_clear_error();
		return ORSP_E_NOT_FOUND;
	}
	ok = slice_is(issuer.raw, eum_subject, (size_t)eum_subject_len);
	OPENSSL_free(eum_subject);
	if (!ok)
		return ORSP_E_NOT_FOUND;
	ok = false;
	/* CI -> EUM exactly as orsp_rsp_verify_euicc_chain does it. */
	cert_ref_init(&m, eum, "EUM");
	if (find_ci(cis, &m, &ci_cert) != ORSP_OK)
		goto out;
	cert_ref_init(&ci, ci_cert, "CI");
	if (check_ci_now(&ci, now, NULL) || check_ci_above_eum(&ci) || check_issued(&m, &ci) ||
	    check_validity(&m, now, NULL) || check_role(&m, ORSP_ROLE_EUM) ||
	    check_profile(&m, true, false) || check_ca(&m, true) ||
	    !X509_get0_subject_key_id(eum->x) || check_eid_range(&m, eid, &subj, NULL))
		goto out;
	/* EUM -> eUICC: on the EUM's curve, the signature over the TBS bytes; then the key (on
	 * the curve). */
	if (cv != cert_curve(eum) || orsp_cert_public_key(eum, &eum_pub) ||
	    orsp_ecdsa_verify(eum_pub, tbs.raw.p, tbs.raw.len, sig) != ORSP_OK ||
	    key_from_point_cached(cv, point, &pub))
		goto out;
	memcpy(eid_out, eid, sizeof(eid));
	*pub_out = pub;
	pub = NULL;
	ok = true;
out:
	orsp_ec_free(eum_pub);
	orsp_ec_free(pub);
	orsp_err_clear();
	return ok ? ORSP_OK : ORSP_E_NOT_FOUND;
}

/* The subjectPublicKeyInfo of a DER certificate, read with the strict DER reader: [0]
 * version, serialNumber, signature, issuer, validity, subject, then the key. */
static bool der_spki(const void *der, size_t len, orsp_tlv *spki)
{
	orsp_reader r, t;
	orsp_tlv cert, tbs, f;

	if (orsp_der_parse_one(orsp_slice_make(der, len), &cert) || cert.tag != 0x30 ||
	    cert.raw.len != len)
		return false;
	orsp_reader_init(&r, cert.value.p, cert.value.len);
	if (orsp_der_expect(&r, 0x30, &tbs))
		return false;
	orsp_reader_init(&t, tbs.value.p, tbs.value.len);
	if (orsp_der_expect(&t, 0xA0, &f) || orsp_der_expect(&t, 0x02, &f))
		return false;
	for (int i = 0; i < 4; i++)
		if (orsp_der_expect(&t, 0x30, &f))
			return false;
	return orsp_der_expect(&t, 0x30, spki) == ORSP_OK;
}

orsp_err orsp_cert_der_public_key(const void *der, size_t len, orsp_ec_key **out)
{
	orsp_tlv spki;
	orsp_curve cv = ORSP_CURVE_NONE;
	const uint8_t *point = NULL;
	size_t point_len = 0;
	orsp_cert *c = NULL;
	unsigned long failed = orsp_wipe_alloc_failures();
	orsp_err e;

	if (!out || !der)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_der_public_key: NULL argument");
	*out = NULL;
	if (der_spki(der, len, &spki)) {
		e = spki_point(spki.value, &cv, &point, &point_len);
		/* another key type or curve: the full path refuses it too */
		if (e == ORSP_E_POLICY)
			return e;
		if (e == ORSP_OK && point_len == ORSP_EC_POINT_LEN && point[0] == 0x04)
			return orsp__oom_since(failed, key_from_point_cached(cv, point, out),
			                       "reading a certificate's key");
	}
	orsp_err_clear();
	/* Anything else is read as the full path read it when it accepted the certificate
	 * (orsp_cert_parse, cached, and orsp_cert_public_key), so that the two never disagree:
	 * a compressed or hybrid point (RFC 5480 §2.2 allows the first, OpenSSL reads both).
	 * Rare enough to go without the key cache. */
	if ((e = orsp_cert_parse(der, len, &c)) != ORSP_OK)
		return e;
	e = orsp_cert_public_key(c, out);
	orsp_cert_free(c);
	return e;
}
