/* EC keys, ECDSA with raw r||s signatures (BSI TR-03111 §4.2.1, used throughout SGP.22) and
 * ECKA-DH (BSI TR-03111 §4.3.1) on NIST P-256 and brainpoolP256r1, through the OpenSSL 3
 * EVP_PKEY API (no deprecated EC_KEY calls). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "ec_internal.h"

#define SCALAR_LEN 32
/* Largest key file accepted by orsp_ec_load_private and read by orsp_ec_read_private_file
 * (PEM of a P-256 key is ~300 bytes). */
#define KEY_FILE_MAX ORSP_EC_KEY_FILE_MAX

struct orsp_ec_key {
	EVP_PKEY *pkey; /* with a token's key: its public half */
	orsp_curve curve;
	bool has_private;
	bool shared;               /* pkey is in a cache: its reference dropped under shared_mu */
	struct orsp__p11_key *p11; /* the private half in a PKCS#11 token (pkcs11.c), or NULL */
};

/* Curve parameters we need outside OpenSSL: the group order n, for the range check of r and
 * s (SEC 1 §4.1.4 step 1). Values from FIPS 186-4 D.1.2.3 and RFC 5639 §3.4; the test
 * suite compares them with OpenSSL's own EC_GROUP_get0_order(). */
/* clang-format off */
static const struct curve_info {
	orsp_curve curve;
	const char *name;  /* orsp_curve_name() */
	const char *group; /* OpenSSL group name */
	int nid;
	uint8_t order[SCALAR_LEN];
} curves[] = {
	{ORSP_CURVE_P256, "P-256", "prime256v1", NID_X9_62_prime256v1,
	 {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	  0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51}},
	{ORSP_CURVE_BRAINPOOLP256R1, "brainpoolP256r1", "brainpoolP256r1", NID_brainpoolP256r1,
	 {0xA9, 0xFB, 0x57, 0xDB, 0xA1, 0xEE, 0xA9, 0xBC, 0x3E, 0x66, 0x0A, 0x90, 0x9D, 0x83, 0x8D, 0x71,
	  0x8C, 0x39, 0x7A, 0xA3, 0xB5, 0x61, 0xA6, 0xF7, 0x90, 0x1E, 0x0E, 0x82, 0x97, 0x48, 0x56, 0xA7}},
};
/* clang-format on */

static const struct curve_info *curve_info(orsp_curve c)
{
	for (size_t i = 0; i < ORSP_ARRAY_LEN(curves); i++)
		if (curves[i].curve == c)
			return &curves[i];
	return NULL;
}

/* Report an OpenSSL failure: the error queue is emptied so it cannot leak into a later,
 * unrelated check. */
/* Whether OpenSSL's error queue holds an allocation failure; the queue cleared. */
static bool queue_oom(void)
{
	bool oom = false;
	unsigned long why;

	while ((why = ERR_get_error()) != 0)
		oom |= ERR_GET_REASON(why) == ERR_R_MALLOC_FAILURE;
	return oom;
}

orsp_err orsp__ossl_fail(orsp_err e, const char *what)
{
	/* a call that failed for want of memory says nothing of its input: "not a readable
	 * private key" of a good key was bad input (until session 70) */
	if (queue_oom() && e != ORSP_E_RESOURCE)
		return orsp_errf(ORSP_E_RESOURCE,
		                 "out of memory in OpenSSL (the step that failed: %s)", what);
	return orsp_errf(e, "%s", what);
}

orsp_err orsp__oom_since(unsigned long since, orsp_err e, const char *what)
{
	char said[ORSP_ERR_DETAIL_MAX];

	if (orsp_wipe_alloc_failures() == since)
		return e;
	/* what OpenSSL left on the thread's queue of the failure, a step that went on or gave
	 * ORSP_E_RESOURCE too (the certificate's digest of X509_get_extension_flags in
	 * orsp_cert_parse): a later call read it as its own, a good PEM key "out of memory while
	 * reading the key's curve", a bad signature out of memory (until session 75) */
	ERR_clear_error();
	if (e == ORSP_OK || e == ORSP_E_RESOURCE)
		return e;
	orsp_err_detail_copy(said, sizeof(said));
	return orsp_errf(ORSP_E_RESOURCE, "out of memory in OpenSSL while %s (it said: %s)", what,
	                 said);
}

const char *orsp_curve_name(orsp_curve c)
{
	const struct curve_info *ci = curve_info(c);
	return ci ? ci->name : "unknown curve";
}

/* A query of OpenSSL's that failed: out of memory when its error queue says so, else a
 * failure of the library (never the key's curve: it is not known). Queue cleared. */
static orsp_err query_fail(void)
{
	bool oom = queue_oom();

	return orsp_errf(oom ? ORSP_E_RESOURCE : ORSP_E_CRYPTO,
	                 oom ? "out of memory while reading the key's curve"
	                     : "OpenSSL cannot read the key's curve");
}

orsp_err orsp__ec_curve_query(const EVP_PKEY *pk, orsp_curve *out)
{
	char name[80];
	size_t len = 0;
	int nid;

	*out = ORSP_CURVE_NONE;
	/* EVP_PKEY_is_a answers "no" when it cannot copy the name it looks up (out of memory,
	 * nothing on the error queue): the base id, read without allocating, is asked first */
	if (!pk || (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC && !EVP_PKEY_is_a(pk, "EC")))
		return ORSP_OK;
	/* OpenSSL 3 also names the group of a key with explicit parameters when they match a
	 * built-in curve; only the named-curve encoding is accepted. Either query failing says
	 * nothing of the curve (the provider's answer needs memory, a BN_CTX among it). */
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_ENCODING, name, sizeof(name),
	                                   &len) != 1)
		return query_fail();
	if (strcmp(name, OSSL_PKEY_EC_ENCODING_GROUP) != 0)
		return ORSP_OK;
	if (EVP_PKEY_get_group_name(pk, name, sizeof(name), &len) != 1)
		return query_fail();
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	*out = orsp__ec_curve_of_nid(nid);
	return ORSP_OK;
}

orsp_curve orsp__ec_curve_of_nid(int nid)
{
	for (size_t i = 0; i < ORSP_ARRAY_LEN(curves); i++)
		if (curves[i].nid == nid)
			return curves[i].curve;
	return ORSP_CURVE_NONE;
}

orsp_err orsp__ec_point_on_curve(orsp_curve c, const uint8_t *point, size_t n, bool *on)
{
	const struct curve_info *ci = curve_info(c);
	EC_GROUP *g = NULL;
	EC_POINT *q = NULL;
	orsp_err e = ORSP_OK;

	*on = false;
	if (!ci || !point)
		return orsp_errf(ORSP_E_USAGE, "orsp__ec_point_on_curve: no curve or point");
	g = EC_GROUP_new_by_curve_name(ci->nid);
	q = g ? EC_POINT_new(g) : NULL;
	if (!q) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO,
		                    "the curve's group or a point of it is not made");
		goto out;
	}
	/* refuses a point off the curve and a coordinate >= p; what else fails is memory */
	*on = EC_POINT_oct2point(g, q, point, n, NULL) == 1;
	if (!*on && queue_oom())
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory while decoding a point of %s",
		              ci->name);
out:
	ERR_clear_error();
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return e;
}

orsp_curve orsp__ec_curve_of_pkey(const EVP_PKEY *pk)
{
	orsp_curve cv;

	if (orsp__ec_curve_query(pk, &cv))
		return ORSP_CURVE_NONE;
	return cv;
}

EVP_PKEY *orsp__ec_pkey(const orsp_ec_key *k)
{
	return k ? k->pkey : NULL;
}

orsp_err orsp__ec_attach_p11(orsp_ec_key *k, struct orsp__p11_key *p11)
{
	if (!k || !p11 || k->has_private || k->p11)
		return orsp_errf(ORSP_E_USAGE, "orsp__ec_attach_p11: not a bare public key");
	k->p11 = p11;
	return ORSP_OK;
}

struct orsp__p11_key *orsp__ec_p11(const orsp_ec_key *k)
{
	return k ? k->p11 : NULL;
}

bool orsp_ec_in_token(const orsp_ec_key *k)
{
	return k && k->p11;
}

/* The refusal of an operation that needs the private scalar, for a key without one. */
static orsp_err no_private(const orsp_ec_key *k, const char *what)
{
	if (k->p11)
		return orsp_errf(ORSP_E_USAGE,
		                 "%s: the key is in a PKCS#11 token, which only signs", what);
	return orsp_errf(ORSP_E_USAGE, "%s needs a private key", what);
}

orsp_err orsp__ec_pkey_has_private(const EVP_PKEY *pk, bool *has)
{
	BIGNUM *d = NULL;

	ERR_clear_error(); /* what the queue says below is this query's */
	*has = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 && d != NULL;
	BN_clear_free(d);
	/* a public key answers 0 too, with nothing of memory on the queue */
	if (!*has && queue_oom())
		return orsp_errf(ORSP_E_RESOURCE, "out of memory while reading the private key");
	ERR_clear_error();
	return ORSP_OK;
}

/* A key on `curve`: takes ownership of pk (freed on failure). ORSP_E_POLICY for a curve
 * other than the two supported (ORSP_CURVE_NONE: orsp__ec_curve_of_pkey found none). */
static orsp_err wrap_as(EVP_PKEY *pk, orsp_curve curve, bool priv, orsp_ec_key **out)
{
	orsp_ec_key *k;

	if (!curve_info(curve)) {
		EVP_PKEY_free(pk);
		return orsp_errf(ORSP_E_POLICY,
		                 "EC key is not on P-256 or brainpoolP256r1 (named curves only)");
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pk);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	k->pkey = pk;
	k->curve = curve;
	k->has_private = priv;
	*out = k;
	return ORSP_OK;
}

/* Takes ownership of pk (freed on failure); the curve is read from the key. */
static orsp_err wrap(EVP_PKEY *pk, bool priv, orsp_ec_key **out)
{
	orsp_curve cv;
	orsp_err e = orsp__ec_curve_query(pk, &cv);

	if (e) {
		EVP_PKEY_free(pk);
		return e;
	}
	return wrap_as(pk, cv, priv, out);
}

orsp_err orsp__ec_wrap_public(EVP_PKEY *pk, orsp_ec_key **out)
{
	orsp_curve cv;
	orsp_err e;

	if (!pk || !out)
		return orsp_errf(ORSP_E_USAGE, "NULL key");
	*out = NULL;
	if ((e = orsp__ec_curve_query(pk, &cv)))
		return e;
	return orsp__ec_wrap_public_as(pk, cv, out);
}

orsp_err orsp__ec_wrap_public_as(EVP_PKEY *pk, orsp_curve curve, orsp_ec_key **out)
{
	if (!pk || !out)
		return orsp_errf(ORSP_E_USAGE, "NULL key");
	*out = NULL;
	if (EVP_PKEY_up_ref(pk) != 1)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "EVP_PKEY_up_ref failed");
	return wrap_as(pk, curve, false, out);
}

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;

void orsp__ec_pkey_free_shared(EVP_PKEY *pk)
{
	if (!pk)
		return;
	pthread_mutex_lock(&shared_mu);
	EVP_PKEY_free(pk);
	pthread_mutex_unlock(&shared_mu);
}

void orsp__ec_mark_shared(orsp_ec_key *k)
{
	if (k)
		k->shared = true;
}

void orsp_ec_free(orsp_ec_key *k)
{
	if (!k)
		return;
	/* EVP_PKEY_free clears the private scalar (BN_clear_free inside the EC key). */
	if (k->shared)
		orsp__ec_pkey_free_shared(k->pkey);
	else
		EVP_PKEY_free(k->pkey);
	orsp__p11_free(k->p11);
	free(k);
}

orsp_curve orsp_ec_curve(const orsp_ec_key *k)
{
	return k ? k->curve : ORSP_CURVE_NONE;
}

/* Key generation through a context kept per thread and curve: setting one up (a provider
 * fetch and the group by name) cost OpenSSL about as much as generating the key. Freed
 * when the thread ends. */
static pthread_key_t keygen_key;
static pthread_once_t keygen_once = PTHREAD_ONCE_INIT;
static bool keygen_key_ok;

static void keygen_ctxs_free(void *p)
{
	EVP_PKEY_CTX **ctxs = p;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(curves); i++)
		EVP_PKEY_CTX_free(ctxs[i]);
	free(ctxs);
}

static void keygen_key_init(void)
{
	keygen_key_ok = pthread_key_create(&keygen_key, keygen_ctxs_free) == 0;
}

/* This thread's key generation context for ci, or NULL (then the caller makes its own). */
static EVP_PKEY_CTX *keygen_ctx(const struct curve_info *ci)
{
	EVP_PKEY_CTX **ctxs;
	size_t i = (size_t)(ci - curves);

	pthread_once(&keygen_once, keygen_key_init);
	if (!keygen_key_ok)
		return NULL;
	ctxs = pthread_getspecific(keygen_key);
	if (!ctxs) {
		ctxs = calloc(ORSP_ARRAY_LEN(curves), sizeof(*ctxs));
		if (!ctxs || pthread_setspecific(keygen_key, ctxs) != 0) {
			free(ctxs);
			return NULL;
		}
	}
	if (!ctxs[i]) {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (!c || EVP_PKEY_keygen_init(c) != 1 ||
		    EVP_PKEY_CTX_set_group_name(c, ci->group) != 1) {
			EVP_PKEY_CTX_free(c);
			ERR_clear_error();
			return NULL;
		}
		ctxs[i] = c;
	}
	return ctxs[i];
}

static orsp_err ec_generate_run(orsp_curve curve, orsp_ec_key **out)
{
	const struct curve_info *ci = curve_info(curve);
	EVP_PKEY_CTX *ctx = NULL, *own = NULL;
	EVP_PKEY *pk = NULL;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_generate: NULL output");
	*out = NULL;
	if (!ci)
		return orsp_errf(ORSP_E_USAGE, "unsupported curve %d", (int)curve);
	ctx = keygen_ctx(ci);
	if (!ctx) {
		ctx = own = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_group_name(ctx, ci->group) != 1)
			ctx = NULL;
	}
	if (!ctx || EVP_PKEY_generate(ctx, &pk) != 1) {
		EVP_PKEY_CTX_free(own);
		return orsp__ossl_fail(ORSP_E_CRYPTO, "EC key generation failed");
	}
	EVP_PKEY_CTX_free(own);
	return wrap_as(pk, curve, true, out);
}

orsp_err orsp_ec_generate(orsp_curve curve, orsp_ec_key **out)
{
	uint64_t t0 = orsp__crypto_acct_begin();
	unsigned long failed = orsp_wipe_alloc_failures();
	/* OpenSSL's point multiplication goes on past some failed allocations (its precomputed
	 * table): their errors are not left for the thread's next call */
	orsp_err e = orsp__oom_since(failed, ec_generate_run(curve, out), "generating an EC key");
	orsp__crypto_acct_end(t0);
	return e;
}

/* Never prompt on a terminal for the pass phrase of an encrypted PEM key. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

static bool looks_like_pem(const uint8_t *p, size_t n)
{
	static const char marker[] = "-----BEGIN ";
	const size_t m = sizeof(marker) - 1;

	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(p + i, marker, m) == 0)
			return true;
	return false;
}

orsp_err orsp_ec_load_private(const void *data, size_t n, orsp_ec_key **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *cctx = NULL;
	orsp_curve curve;
	bool priv;
	orsp_err e;

	if (!out || (!data && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_load_private: NULL argument");
	*out = NULL;
	if (n == 0 || n > KEY_FILE_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "private key data of %zu bytes (1..%d accepted)",
		                 n, KEY_FILE_MAX);
	if (looks_like_pem(data, n)) {
		/* Skips other PEM blocks such as the "EC PARAMETERS" that precede SEC1 keys. */
		bio = BIO_new_mem_buf(data, (int)n);
		if (!bio) {
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	} else {
		const unsigned char *p = data;
		pk = d2i_AutoPrivateKey(NULL, &p, (long)n);
		if (pk && p != (const unsigned char *)data + n) {
			e = orsp_errf(ORSP_E_MALFORMED, "trailing bytes after the DER private key");
			goto out;
		}
	}
	if (!pk) {
		e = orsp__ossl_fail(
		    ORSP_E_MALFORMED,
		    "not a readable private key (PEM or DER SEC1/PKCS#8, unencrypted)");
		goto out;
	}
	if ((e = orsp__ec_curve_query(pk, &curve)))
		goto out;
	if (curve == ORSP_CURVE_NONE) {
		e = orsp_errf(ORSP_E_POLICY, "private key is not EC on P-256 or brainpoolP256r1");
		goto out;
	}
	if ((e = orsp__ec_pkey_has_private(pk, &priv)))
		goto out;
	if (!priv) {
		e = orsp_errf(ORSP_E_MALFORMED, "the key has no private part");
		goto out;
	}
	/* A SEC1 file carries the public point too: it must belong to the scalar. */
	cctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (!cctx) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	if (EVP_PKEY_pairwise_check(cctx) != 1) {
		e = orsp__ossl_fail(ORSP_E_MALFORMED,
		                    "private key and its public point do not match");
		goto out;
	}
	e = wrap_as(pk, curve, true, out);
	pk = NULL;
out:
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return e;
}

orsp_err orsp_ec_read_private_file(const char *path, uint8_t buf[ORSP_EC_KEY_FILE_MAX], size_t *len)
{
	size_t got = 0;
	bool more = false;
	orsp_err e;
	int fd;

	if (!len)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_read_private_file: NULL argument");
	*len = 0;
	if (!buf)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_read_private_file: NULL argument");
	/* a regular file: a FIFO blocked the open for ever, waiting for a writer */
	if ((e = orsp_file_open_regular(path, &fd)) != ORSP_OK)
		return e;
	/* a larger file is refused, not cut */
	e = orsp_file_read_upto(fd, path, buf, KEY_FILE_MAX, &got, &more);
	if (!e && more)
		e = orsp_errf(ORSP_E_RESOURCE, "%s is larger than %d bytes", path, KEY_FILE_MAX);
	close(fd);
	if (e) {
		orsp_wipe(buf, got);
		return e;
	}
	*len = got;
	return ORSP_OK;
}

orsp_err orsp_ec_load_private_file(const char *path, orsp_ec_key **out)
{
	uint8_t *buf;
	size_t n;
	orsp_err e;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_load_private_file: NULL argument");
	*out = NULL;
	if (!(buf = malloc(KEY_FILE_MAX)))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (!(e = orsp_ec_read_private_file(path, buf, &n))) {
		e = orsp_ec_load_private(buf, n, out);
		orsp_wipe(buf, n);
	}
	free(buf);
	return e;
}

static bool is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* a < b for big-endian numbers of n bytes, in constant time: the borrow of a - b, from the
 * last byte to the first. (memcmp would stop at the first byte that differs, and v may be a
 * private scalar.) */
static bool ct_less(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint32_t borrow = 0;
	for (size_t i = n; i-- > 0;)
		borrow = (((uint32_t)a[i] - b[i] - borrow) >> 8) & 1;
	return borrow != 0;
}

/* 1 <= v < n, big-endian 32 bytes, in constant time. */
static bool in_scalar_range(const struct curve_info *ci, const uint8_t v[SCALAR_LEN])
{
	bool nonzero = !is_zero(v, SCALAR_LEN), below = ct_less(v, ci->order, SCALAR_LEN);
	return nonzero & below;
}

/* Build an EVP_PKEY from OSSL_PARAMs (group + public point [+ private scalar]). */
static orsp_err pkey_fromdata(const struct curve_info *ci, const uint8_t point[ORSP_EC_POINT_LEN],
                              const BIGNUM *d, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	orsp_err e = ORSP_OK;

	*out = NULL;
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ci->group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
	                                     ORSP_EC_POINT_LEN) != 1 ||
	    (d && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1)) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory building key parameters");
		goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "EC key import setup failed");
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, out, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
		*out = NULL;
		e = orsp__ossl_fail(ORSP_E_MALFORMED, "EC key import rejected the point");
		goto out;
	}
out:
	/* Secure-heap parameters (the scalar) are cleared by OSSL_PARAM_free. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return e;
}

orsp_err orsp_ec_from_private_scalar(orsp_curve curve, const uint8_t d[32], orsp_ec_key **out)
{
	const struct curve_info *ci = curve_info(curve);
	EC_GROUP *group = NULL;
	EC_POINT *q = NULL;
	BIGNUM *bn = NULL;
	BN_CTX *bctx = NULL;
	EVP_PKEY *pk = NULL;
	uint8_t point[ORSP_EC_POINT_LEN];
	orsp_err e;

	if (!out || !d)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_from_private_scalar: NULL argument");
	*out = NULL;
	if (!ci)
		return orsp_errf(ORSP_E_USAGE, "unsupported curve %d", (int)curve);
	/* SEC 1 §3.2.1: the private key is an integer in [1, n-1]. */
	if (!in_scalar_range(ci, d))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "private scalar is 0 or not below the %s group order", ci->name);
	bn = BN_secure_new();
	bctx = BN_CTX_secure_new();
	group = EC_GROUP_new_by_curve_name(ci->nid);
	q = group ? EC_POINT_new(group) : NULL;
	if (!bn || !bctx || !q || !BN_bin2bn(d, SCALAR_LEN, bn)) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	/* The public point Q = d * G. */
	if (EC_POINT_mul(group, q, bn, NULL, NULL, bctx) != 1 ||
	    EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED, point, sizeof(point),
	                       bctx) != sizeof(point)) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "computing the public point failed");
		goto out;
	}
	e = pkey_fromdata(ci, point, bn, &pk);
	if (e != ORSP_OK)
		goto out;
	e = wrap(pk, true, out);
	pk = NULL;
out:
	EVP_PKEY_free(pk);
	EC_POINT_free(q);
	EC_GROUP_free(group);
	BN_CTX_free(bctx);
	BN_clear_free(bn);
	return e;
}

orsp_err orsp_ec_private_scalar(const orsp_ec_key *k, orsp_secret *out)
{
	BIGNUM *d = NULL;
	orsp_err e = ORSP_OK;

	if (!k || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_private_scalar: NULL argument");
	orsp_secret_wipe(out);
	if (!k->has_private)
		return no_private(k, "the private scalar");
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1 ||
	    BN_bn2binpad(d, out->v, SCALAR_LEN) != SCALAR_LEN) {
		orsp_secret_wipe(out);
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "cannot read the private scalar");
	} else {
		out->len = SCALAR_LEN;
	}
	BN_clear_free(d);
	return e;
}

/* One public key per curve (its generator), imported once: a public key is then a copy of
 * it with the point replaced, which skips looking up and building the group (EVP_PKEY_dup
 * shares OpenSSL's precomputation) and costs a fifth of an import by name. */
static void *_Atomic pub_template[ORSP_ARRAY_LEN(curves)]; /* EVP_PKEY */
static pthread_mutex_t pub_template_mu = PTHREAD_MUTEX_INITIALIZER;

/* The template of curve ci (a struct curve_info), or NULL (out of memory: orsp__lazy tries
 * again at the next call). */
static void *pub_template_make(const void *arg)
{
	const struct curve_info *ci = arg;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(ci->nid);
	uint8_t gpt[ORSP_EC_POINT_LEN];
	EVP_PKEY *pk = NULL;

	if (g &&
	    EC_POINT_point2oct(g, EC_GROUP_get0_generator(g), POINT_CONVERSION_UNCOMPRESSED, gpt,
	                       sizeof(gpt), NULL) == sizeof(gpt) &&
	    pkey_fromdata(ci, gpt, NULL, &pk) != ORSP_OK)
		pk = NULL;
	EC_GROUP_free(g);
	orsp_err_clear();
	ERR_clear_error();
	return pk;
}

orsp_err orsp_ec_from_public_point(orsp_curve curve, const uint8_t *point, size_t n,
                                   orsp_ec_key **out)
{
	const struct curve_info *ci = curve_info(curve);
	EVP_PKEY *pk = NULL, *tmpl;

	if (!out || (!point && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_from_public_point: NULL argument");
	*out = NULL;
	if (!ci)
		return orsp_errf(ORSP_E_USAGE, "unsupported curve %d", (int)curve);
	/* SGP.22 carries public keys as uncompressed points 04||X||Y (tag 5F49). */
	if (n != ORSP_EC_POINT_LEN)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "EC point of %zu bytes; expected %d (uncompressed 04||X||Y)", n,
		                 ORSP_EC_POINT_LEN);
	if (point[0] != 0x04)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "EC point starts with %02x; only uncompressed (04) is accepted",
		                 point[0]);
	tmpl = orsp__lazy(&pub_template[ci - curves], &pub_template_mu, pub_template_make, ci);
	if (!tmpl)
		return orsp__ossl_fail(ORSP_E_RESOURCE,
		                       "EC public key template unavailable (out of memory?)");
	pk = EVP_PKEY_dup(tmpl);
	if (!pk)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	/* The point decoder (EC_POINT_oct2point) refuses coordinates >= p and points that are
	 * not on the curve; 04||X||Y cannot encode the point at infinity. Both supported curves
	 * have cofactor 1, so every point on the curve is in the prime-order group and this
	 * partial check of SP 800-56A §5.6.2.3.4 is as strong as the full one (which costs an
	 * extra scalar multiplication by the order). A refused point leaves the template's
	 * point in pk, which is freed. */
	if (EVP_PKEY_set1_encoded_public_key(pk, point, n) != 1) {
		EVP_PKEY_free(pk);
		ERR_clear_error();
		return orsp_errf(ORSP_E_MALFORMED,
		                 "EC point is not on %s (or a coordinate is not below p)",
		                 ci->name);
	}
	return wrap_as(pk, curve, false, out);
}

orsp_err orsp_ec_public_point(const orsp_ec_key *k, uint8_t out[ORSP_EC_POINT_LEN])
{
	BIGNUM *x = NULL, *y = NULL;
	orsp_err e = ORSP_OK;

	if (!k || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_public_point: NULL argument");
	/* The encoded point when the key keeps it uncompressed (generated and imported keys:
	 * a copy, no arithmetic) ... */
	{
		size_t len = 0;
		if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
		                                    ORSP_EC_POINT_LEN, &len) == 1 &&
		    len == ORSP_EC_POINT_LEN && out[0] == 0x04)
			return ORSP_OK;
		ERR_clear_error();
	}
	/* ... else the affine coordinates: a key read from a certificate may be stored
	 * compressed, the caller always gets 04||X||Y. */
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "cannot read the public point");
		goto out;
	}
	out[0] = 0x04;
	if (BN_bn2binpad(x, out + 1, SCALAR_LEN) != SCALAR_LEN ||
	    BN_bn2binpad(y, out + 1 + SCALAR_LEN, SCALAR_LEN) != SCALAR_LEN) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "public point coordinate too large");
		goto out;
	}
out:
	BN_free(x);
	BN_free(y);
	return e;
}

orsp_err orsp_ec_save_private_pem(const orsp_ec_key *k, const char *path)
{
	BIO *bio = NULL;
	char *pem = NULL;
	long pem_len = 0;
	orsp_err e;

	if (!k || !path)
		return orsp_errf(ORSP_E_USAGE, "orsp_ec_save_private_pem: NULL argument");
	if (!k->has_private)
		return no_private(k, "saving the private key");
	/* Secure-heap BIO: the PEM text is cleared when the BIO grows and when it is freed. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio || PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "encoding the private key as PKCS#8 PEM failed");
		goto out;
	}
	pem_len = BIO_get_mem_data(bio, &pem);
	if (pem_len <= 0 || !pem) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "encoding the private key as PKCS#8 PEM failed");
		goto out;
	}
	/* never over an existing file (or a planted link), 0600 from the start */
	e = orsp_file_create(path, pem, (size_t)pem_len, 0600);
out:
	if (pem && pem_len > 0)
		orsp_wipe(pem, (size_t)pem_len);
	BIO_free(bio);
	return e;
}

/* ----- raw r||s <-> DER Ecdsa-Sig-Value (RFC 5480 §2.2 / X9.62) ----- */

/* Contents length of the minimal DER INTEGER for a 32-byte unsigned big-endian value. */
static size_t der_uint_len(const uint8_t v[SCALAR_LEN], size_t *skip)
{
	size_t i = 0;
	while (i < SCALAR_LEN - 1 && v[i] == 0)
		i++;
	*skip = i;
	return SCALAR_LEN - i + ((v[i] & 0x80) ? 1 : 0);
}

static void der_put_uint(orsp_writer *w, const uint8_t v[SCALAR_LEN])
{
	size_t skip;
	size_t len = der_uint_len(v, &skip);

	orsp_write_u8(w, 0x02);
	orsp_write_u8(w, (uint8_t)len);
	if (len > SCALAR_LEN - skip)
		orsp_write_u8(w, 0x00); /* keep the INTEGER positive */
	orsp_write_bytes(w, v + skip, SCALAR_LEN - skip);
}

orsp_err orsp_ecdsa_sig_to_der(const uint8_t sig[ORSP_EC_SIG_LEN], uint8_t *der, size_t cap,
                               size_t *der_len)
{
	orsp_writer w;
	size_t skip, rlen, slen, body;
	orsp_err e;

	if (!sig || !der_len || (!der && cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_ecdsa_sig_to_der: NULL argument");
	rlen = der_uint_len(sig, &skip);
	slen = der_uint_len(sig + SCALAR_LEN, &skip);
	body = 2 + rlen + 2 + slen; /* at most 70: the short length form always fits */
	orsp_writer_init(&w, der, cap);
	orsp_write_u8(&w, 0x30);
	orsp_write_u8(&w, (uint8_t)body);
	der_put_uint(&w, sig);
	der_put_uint(&w, sig + SCALAR_LEN);
	e = orsp_writer_status(&w);
	if (e != ORSP_OK)
		return orsp_errf(ORSP_E_RESOURCE, "DER signature needs %zu bytes, buffer has %zu",
		                 body + 2, cap);
	*der_len = w.len;
	return ORSP_OK;
}

/* One strict DER INTEGER (X.690 §8.3: minimal, non-negative here) into 32 bytes. */
static orsp_err der_get_uint(orsp_reader *r, const char *which, uint8_t out[SCALAR_LEN])
{
	uint8_t tag, len;
	orsp_slice v;

	if (orsp_read_u8(r, &tag) != ORSP_OK || orsp_read_u8(r, &len) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s truncated", which);
	if (tag != 0x02)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s has tag %02x, not INTEGER",
		                 which, tag);
	if (len & 0x80)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s has a long-form length",
		                 which);
	if (len == 0 || orsp_read_slice(r, len, &v) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s has a bad length %u", which,
		                 len);
	if (v.p[0] & 0x80)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s is negative", which);
	if (v.len > 1 && v.p[0] == 0x00 && !(v.p[1] & 0x80))
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s is not minimally encoded",
		                 which);
	if (v.len > 1 && v.p[0] == 0x00) {
		v.p++;
		v.len--;
	}
	if (v.len > SCALAR_LEN)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %s is longer than 256 bits",
		                 which);
	memset(out, 0, SCALAR_LEN - v.len);
	memcpy(out + SCALAR_LEN - v.len, v.p, v.len);
	return ORSP_OK;
}

orsp_err orsp_ecdsa_sig_from_der(const uint8_t *der, size_t n, uint8_t sig[ORSP_EC_SIG_LEN])
{
	orsp_reader r;
	uint8_t tag, len;
	orsp_err e;

	if (!sig || (!der && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_ecdsa_sig_from_der: NULL argument");
	orsp_reader_init(&r, der, n);
	if (orsp_read_u8(&r, &tag) != ORSP_OK || orsp_read_u8(&r, &len) != ORSP_OK)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: truncated (%zu bytes)", n);
	if (tag != 0x30)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: tag %02x, not SEQUENCE", tag);
	/* Two INTEGERs of at most 33 bytes each: a long-form length is never minimal here. */
	if (len & 0x80)
		return orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: long-form SEQUENCE length");
	if ((size_t)len != orsp_reader_remaining(&r))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "ECDSA signature: SEQUENCE length %u but %zu bytes follow", len,
		                 orsp_reader_remaining(&r));
	e = der_get_uint(&r, "r", sig);
	if (e == ORSP_OK)
		e = der_get_uint(&r, "s", sig + SCALAR_LEN);
	if (e == ORSP_OK && orsp_reader_remaining(&r) != 0)
		e = orsp_errf(ORSP_E_MALFORMED, "ECDSA signature: %zu bytes after s",
		              orsp_reader_remaining(&r));
	if (e != ORSP_OK)
		memset(sig, 0, ORSP_EC_SIG_LEN);
	return e;
}

/* ----- ECDSA ----- */

#define DER_SIG_MAX 72

static orsp_err ecdsa_sign_digest_run(const orsp_ec_key *k, const uint8_t *dg, size_t n,
                                      uint8_t sig[ORSP_EC_SIG_LEN])
{
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t der[DER_SIG_MAX + 8];
	size_t der_len = sizeof(der);
	orsp_err e;

	if (!k || !dg || !sig)
		return orsp_errf(ORSP_E_USAGE, "orsp_ecdsa_sign_digest: NULL argument");
	if (n != ORSP_SHA256_LEN)
		return orsp_errf(ORSP_E_USAGE,
		                 "orsp_ecdsa_sign_digest: %zu bytes, not a SHA-256 "
		                 "digest",
		                 n);
	if (k->p11)
		return orsp__p11_sign_digest(k->p11, dg, sig);
	if (!k->has_private)
		return orsp_errf(ORSP_E_USAGE, "cannot sign with a public key");
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_sign(ctx, der, &der_len, dg, n) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "ECDSA signing failed");
		goto out;
	}
	e = orsp_ecdsa_sig_from_der(der, der_len, sig);
	if (e != ORSP_OK)
		e = orsp_errf(ORSP_E_CRYPTO, "OpenSSL produced an unexpected signature encoding");
out:
	EVP_PKEY_CTX_free(ctx);
	return e;
}

/* SHA-256 here, then the digest signed by the one path of orsp_ecdsa_sign_digest (a key in
 * memory, or in a token), which refuses a public key. */
static orsp_err ecdsa_sign_run(const orsp_ec_key *k, const void *msg, size_t n,
                               uint8_t sig[ORSP_EC_SIG_LEN])
{
	uint8_t dg[ORSP_SHA256_LEN];
	orsp_err e;

	if (!k || !sig || (!msg && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_ecdsa_sign: NULL argument");
	if ((e = orsp_sha256(msg, n, dg)))
		return e;
	return ecdsa_sign_digest_run(k, dg, sizeof(dg), sig);
}

orsp_err orsp_ecdsa_sign(const orsp_ec_key *k, const void *msg, size_t n,
                         uint8_t sig[ORSP_EC_SIG_LEN])
{
	uint64_t t0 = orsp__crypto_acct_begin();
	unsigned long failed = orsp_wipe_alloc_failures();
	/* OpenSSL's ECDSA_size that lost an allocation fails quietly, the signature made all the
	 * same: its error is not left for the thread's next call */
	orsp_err e = orsp__oom_since(failed, ecdsa_sign_run(k, msg, n, sig), "signing with ECDSA");
	orsp__crypto_acct_end(t0);
	return e;
}

orsp_err orsp_ecdsa_sign_digest(const orsp_ec_key *k, const uint8_t *dg, size_t n,
                                uint8_t sig[ORSP_EC_SIG_LEN])
{
	uint64_t t0 = orsp__crypto_acct_begin();
	unsigned long failed = orsp_wipe_alloc_failures();
	orsp_err e =
	    orsp__oom_since(failed, ecdsa_sign_digest_run(k, dg, n, sig), "signing with ECDSA");
	orsp__crypto_acct_end(t0);
	return e;
}

static orsp_err ecdsa_verify_run(const orsp_ec_key *pub, const void *msg, size_t n,
                                 const uint8_t sig[ORSP_EC_SIG_LEN])
{
	const struct curve_info *ci;
	EVP_MD_CTX *mctx = NULL;
	uint8_t der[DER_SIG_MAX];
	size_t der_len = 0;
	orsp_err e;
	int rc;

	if (!pub || !sig || (!msg && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_ecdsa_verify: NULL argument");
	ci = curve_info(pub->curve);
	if (!ci)
		return orsp_errf(ORSP_E_USAGE, "key on an unsupported curve");
	/* SEC 1 §4.1.4 step 1 / TR-03111 §4.2.1.2: r and s must lie in [1, n-1]. */
	if (!in_scalar_range(ci, sig))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "ECDSA signature: r is 0 or not below the %s order", ci->name);
	if (!in_scalar_range(ci, sig + SCALAR_LEN))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "ECDSA signature: s is 0 or not below the %s order", ci->name);
	e = orsp_ecdsa_sig_to_der(sig, der, sizeof(der), &der_len);
	if (e != ORSP_OK)
		return e;
	mctx = EVP_MD_CTX_new();
	if (!mctx ||
	    EVP_DigestVerifyInit_ex(mctx, NULL, "SHA256", NULL, NULL, pub->pkey, NULL) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "ECDSA verification setup failed");
		goto out;
	}
	rc = EVP_DigestVerify(mctx, der, der_len, msg, n);
	if (rc == 1)
		e = ORSP_OK;
	else if (rc == 0)
		e = orsp__ossl_fail(ORSP_E_VERIFY, "ECDSA signature does not verify");
	else
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "ECDSA verification failed internally");
out:
	EVP_MD_CTX_free(mctx);
	return e;
}

orsp_err orsp_ecdsa_verify(const orsp_ec_key *pub, const void *msg, size_t n,
                           const uint8_t sig[ORSP_EC_SIG_LEN])
{
	uint64_t t0 = orsp__crypto_acct_begin();
	unsigned long failed = orsp_wipe_alloc_failures();
	orsp_err e = ecdsa_verify_run(pub, msg, n, sig);
	orsp__crypto_acct_end(t0);
	/* EVP_DigestVerify answers 0, "does not verify", for some failed allocations */
	return orsp__oom_since(failed, e, "verifying an ECDSA signature");
}

/* ----- ECKA-DH ----- */

static orsp_err ecka_run(const orsp_ec_key *priv, const uint8_t *peer_point, size_t n,
                         uint8_t out[ORSP_ECKA_LEN])
{
	orsp_ec_key *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t z[ORSP_ECKA_LEN + 8];
	size_t z_len = sizeof(z);
	orsp_err e;

	if (!priv || !out || (!peer_point && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_ecka: NULL argument");
	if (!priv->has_private)
		return no_private(priv, "ECKA");
	/* TR-03111 §4.3.1 / SGP.22 §2.6.4: the peer's one-time key must be a valid point of the
	 * same curve (an invalid-curve point would leak bits of our scalar). */
	e = orsp_ec_from_public_point(priv->curve, peer_point, n, &peer);
	if (e != ORSP_OK)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    /* The peer point was validated just above; no second check. */
	    EVP_PKEY_derive_set_peer_ex(ctx, peer->pkey, 0) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "ECKA setup failed");
		goto out;
	}
	/* OpenSSL's ECDH output is the X coordinate of d*Q, left-padded to the field size. */
	if (EVP_PKEY_derive(ctx, z, &z_len) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "ECKA failed");
		goto out;
	}
	if (z_len != ORSP_ECKA_LEN) {
		e = orsp_errf(ORSP_E_CRYPTO, "ECKA produced %zu bytes, expected %d", z_len,
		              ORSP_ECKA_LEN);
		goto out;
	}
	memcpy(out, z, ORSP_ECKA_LEN);
	e = ORSP_OK;
out:
	orsp_wipe(z, sizeof(z));
	orsp_ec_free(peer);
	EVP_PKEY_CTX_free(ctx);
	return e;
}

orsp_err orsp_ecka(const orsp_ec_key *priv, const uint8_t *peer_point, size_t n,
                   uint8_t out[ORSP_ECKA_LEN])
{
	uint64_t t0 = orsp__crypto_acct_begin();
	orsp_err e = ecka_run(priv, peer_point, n, out);
	orsp__crypto_acct_end(t0);
	return e;
}
