/* EC keys in a PKCS#11 token (src/crypto/pkcs11.c), against SoftHSM 2 (Debian softhsm2): a
 * throw-away token directory per run, tokens made and keys imported with softhsm2-util, odd
 * objects (a public key that is not the private key's, a key that may not sign) made through
 * the PKCS#11 API directly. Signatures of the token are checked with OpenSSL through our
 * verifier and against the public point of the key that was imported. */
#define CRYPTOKI_GNU 1
#include <stddef.h>

#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "../src/crypto/ec_internal.h" /* orsp__p11_reset_sessions: a token reset */
#include "../src/store/kek_internal.h" /* orsp__kek_test_hooks: a crash mid-write */
#include "openrsp/crypto.h"
#include "openrsp/store.h"

#define PIN "1234-pin"
#define BADPIN "badpin-5150"
#define SO_PIN "87654321"

static char dir[4096];
static const char *module;
static uint8_t point_p256[ORSP_EC_POINT_LEN], point_bp[ORSP_EC_POINT_LEN];
static unsigned long openrsp_slot;
static const char msg[] = "smdpSigned2 of a download";

/* Every URI src/crypto/pkcs11.c hands p11-kit (tests/CMakeLists.txt: --wrap): p11-kit frees
 * its copies of a PIN without wiping them, so it must never be given one, on any path: no
 * pin-value with a value, none of the tests' PINs. */
int __real_p11_kit_uri_parse(const char *string, P11KitUriType uri_type, P11KitUri *uri);
int __wrap_p11_kit_uri_parse(const char *string, P11KitUriType uri_type, P11KitUri *uri);
static unsigned uri_parses;

int __wrap_p11_kit_uri_parse(const char *string, P11KitUriType uri_type, P11KitUri *uri)
{
	uri_parses++;
	for (const char *p = string; (p = strstr(p, "pin-value=")) != NULL; p++)
		if (!strchr("&;?", p[10])) /* the terminating NUL included */
			fail_msg("p11-kit was given a pin-value with its value");
	if (strstr(string, PIN) || strstr(string, BADPIN))
		fail_msg("p11-kit was given a PIN");
	return __real_p11_kit_uri_parse(string, uri_type, uri);
}

/* A module that does not keep to PKCS#11: while lie_types is set, the next module loaded
 * (tests/CMakeLists.txt: --wrap of p11_kit_module_load and the calls given its list) is
 * SoftHSM behind a copy of its function list whose C_GetAttributeValue answers CKR_OK with
 * a length one byte over the caller's buffer for the attribute types in lie_types (it writes
 * no more than the buffer holds, as SoftHSM does). */
struct ck_function_list *__real_p11_kit_module_load(const char *path, int flags);
ck_rv_t __real_p11_kit_module_initialize(struct ck_function_list *m);
ck_rv_t __real_p11_kit_module_finalize(struct ck_function_list *m);
void __real_p11_kit_module_release(struct ck_function_list *m);
struct ck_function_list *__wrap_p11_kit_module_load(const char *path, int flags);
ck_rv_t __wrap_p11_kit_module_initialize(struct ck_function_list *m);
ck_rv_t __wrap_p11_kit_module_finalize(struct ck_function_list *m);
void __wrap_p11_kit_module_release(struct ck_function_list *m);

static const ck_attribute_type_t *lie_types; /* ended by (ck_attribute_type_t)-1 */
static struct ck_function_list lie_list, *lie_real;
static unsigned lies;
/* token flags the copy's C_GetTokenInfo adds (CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED:
 * SoftHSM sets neither) */
static _Atomic unsigned long lie_token_flags;

static ck_rv_t lying_get_token_info(ck_slot_id_t slot, struct ck_token_info *ti)
{
	ck_rv_t rv = lie_real->C_GetTokenInfo(slot, ti);
	if (rv == CKR_OK)
		ti->flags |= atomic_load(&lie_token_flags);
	return rv;
}

static ck_rv_t lying_get_attribute_value(ck_session_handle_t s, ck_object_handle_t o,
                                         struct ck_attribute *t, unsigned long n)
{
	unsigned long cap[8];
	ck_rv_t rv;

	assert_true(n <= 8);
	for (unsigned long i = 0; i < n; i++)
		cap[i] = t[i].value_len;
	rv = lie_real->C_GetAttributeValue(s, o, t, n);
	for (unsigned long i = 0; rv == CKR_OK && lie_types && i < n; i++)
		for (const ck_attribute_type_t *l = lie_types; *l != (ck_attribute_type_t)-1; l++)
			if (t[i].type == *l && t[i].value) {
				t[i].value_len = cap[i] + 1;
				lies++;
			}
	return rv;
}

static struct ck_function_list *real_list(struct ck_function_list *m)
{
	return m == &lie_list ? lie_real : m;
}

struct ck_function_list *__wrap_p11_kit_module_load(const char *path, int flags)
{
	struct ck_function_list *m = __real_p11_kit_module_load(path, flags);
	if (!m || !lie_types || lie_real)
		return m;
	lie_real = m;
	lie_list = *m;
	lie_list.C_GetAttributeValue = lying_get_attribute_value;
	lie_list.C_GetTokenInfo = lying_get_token_info;
	return &lie_list;
}

ck_rv_t __wrap_p11_kit_module_initialize(struct ck_function_list *m)
{
	return __real_p11_kit_module_initialize(real_list(m));
}

ck_rv_t __wrap_p11_kit_module_finalize(struct ck_function_list *m)
{
	return __real_p11_kit_module_finalize(real_list(m));
}

void __wrap_p11_kit_module_release(struct ck_function_list *m)
{
	__real_p11_kit_module_release(real_list(m));
	if (m == &lie_list)
		lie_real = NULL;
}

static const char *find_module(void)
{
	static const char *const paths[] = {"/usr/lib/softhsm/libsofthsm2.so",
	                                    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	                                    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* A fresh key of curve c written as PKCS#8 PEM to dir/name.pem; its point in pt. */
static void make_key(orsp_curve c, const char *name, uint8_t pt[ORSP_EC_POINT_LEN])
{
	char path[4200];
	orsp_ec_key *k = NULL;
	assert_int_equal(orsp_ec_generate(c, &k), ORSP_OK);
	snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
	assert_int_equal(orsp_ec_save_private_pem(k, path), ORSP_OK);
	if (pt)
		assert_int_equal(orsp_ec_public_point(k, pt), ORSP_OK);
	orsp_ec_free(k);
}

static void import(const char *token, const char *name, const char *label, const char *id)
{
	sh("softhsm2-util --import '%s/%s.pem' --token %s --label %s --id %s --pin %s >/dev/null",
	   dir, name, token, label, id, PIN);
}

/* A session on the token labelled `label`, logged in, through a module instance of the
 * test's own; *m to finalize. */
static ck_session_handle_t raw_session(const char *label, struct ck_function_list **m)
{
	ck_slot_id_t slots[16];
	unsigned long n = 16;
	struct ck_token_info ti;
	ck_session_handle_t s = 0;

	*m = p11_kit_module_load(module, 0);
	assert_non_null(*m);
	assert_int_equal(p11_kit_module_initialize(*m), CKR_OK);
	assert_int_equal((*m)->C_GetSlotList(1, slots, &n), CKR_OK);
	for (unsigned long i = 0; i < n; i++) {
		assert_int_equal((*m)->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		if (p11_kit_space_strlen(ti.label, 32) == strlen(label) &&
		    memcmp(ti.label, label, strlen(label)) == 0) {
			if (strcmp(label, "openrsp") == 0)
				openrsp_slot = slots[i];
			assert_int_equal((*m)->C_OpenSession(slots[i],
			                                     CKF_SERIAL_SESSION | CKF_RW_SESSION,
			                                     NULL, NULL, &s),
			                 CKR_OK);
			ck_rv_t rv = (*m)->C_Login(s, CKU_USER, (unsigned char *)PIN, strlen(PIN));
			assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
			return s;
		}
	}
	fail_msg("no token %s", label);
	return 0;
}

static void raw_close(struct ck_function_list *m, ck_session_handle_t s)
{
	m->C_CloseSession(s);
	p11_kit_module_finalize(m);
	p11_kit_module_release(m);
}

static ck_object_handle_t raw_find(struct ck_function_list *m, ck_session_handle_t s,
                                   ck_object_class_t cls, const char *label)
{
	char l[64];
	struct ck_attribute t[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, l, strlen(label)}};
	ck_object_handle_t h = 0;
	unsigned long n = 0;
	memcpy(l, label, strlen(label));
	assert_int_equal(m->C_FindObjectsInit(s, t, 2), CKR_OK);
	assert_int_equal(m->C_FindObjects(s, &h, 1, &n), CKR_OK);
	assert_int_equal(m->C_FindObjectsFinal(s), CKR_OK);
	assert_int_equal(n, 1);
	return h;
}

/* Replace the public key object labelled `label` by a P-256 one of the same label and id
 * whose CKA_EC_POINT is ecpt (n bytes: the point's DER OCTET STRING, as a token keeps it). */
static void raw_replace_public(struct ck_function_list *m, ck_session_handle_t s, const char *label,
                               unsigned char id, uint8_t *ecpt, size_t n)
{
	ck_object_class_t cls = CKO_PUBLIC_KEY;
	ck_key_type_t kt = CKK_EC;
	unsigned char yes = 1;
	uint8_t params[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	char l[64];
	struct ck_attribute t[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &yes, 1},
	    {CKA_VERIFY, &yes, 1},
	    {CKA_EC_PARAMS, params, sizeof(params)},
	    {CKA_EC_POINT, ecpt, n},
	    {CKA_ID, &id, 1},
	    {CKA_LABEL, l, strlen(label)},
	};
	ck_object_handle_t h;
	assert_true(strlen(label) <= sizeof(l));
	memcpy(l, label, strlen(label));
	assert_int_equal(m->C_DestroyObject(s, raw_find(m, s, CKO_PUBLIC_KEY, label)), CKR_OK);
	assert_int_equal(m->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h), CKR_OK);
}

static int setup(void **state)
{
	char conf[4200];
	FILE *f;
	(void)state;
	module = find_module();
	if (!module || system("command -v softhsm2-util >/dev/null") != 0) {
		fprintf(stderr, "test_pkcs11: SoftHSM 2 is missing (apt-get install softhsm2; "
		                "scripts/setup.sh installs it)\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", test_tmpdir("pkcs11"));
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	sh("mkdir '%s/tokens'", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f,
	        "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
	        "log.level = ERROR\nslots.removable = false\n",
	        dir);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
	sh("softhsm2-util --init-token --free --label openrsp --pin %s --so-pin %s >/dev/null", PIN,
	   SO_PIN);
	sh("softhsm2-util --init-token --free --label spare --pin %s --so-pin %s >/dev/null", PIN,
	   SO_PIN);
	make_key(ORSP_CURVE_P256, "dpauth", point_p256);
	make_key(ORSP_CURVE_BRAINPOOLP256R1, "dppb", point_bp);
	make_key(ORSP_CURVE_P256, "other", NULL);
	make_key(ORSP_CURVE_P256, "nosign", NULL);
	make_key(ORSP_CURVE_P256, "twin", NULL);
	import("openrsp", "dpauth", "dpauth", "01");
	import("openrsp", "dppb", "dppb", "02");
	import("openrsp", "other", "mismatch", "03");
	import("openrsp", "nosign", "nosign", "04");
	/* the same label twice, in two ids */
	import("openrsp", "twin", "twin", "05");
	import("openrsp", "other", "twin", "06");
	import("spare", "dpauth", "dpauth", "01");
	import("spare", "dppb", "dppb", "02");
	{
		/* a P-384 key */
		EVP_PKEY *pk = EVP_EC_gen("P-384");
		char path[4200];
		assert_non_null(pk);
		snprintf(path, sizeof(path), "%s/p384.pem", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
		fclose(f);
		EVP_PKEY_free(pk);
		import("openrsp", "p384", "p384", "07");
	}
	{
		/* "mismatch": its public object replaced by dpauth's public point; "nosign": may
		 * not sign */
		struct ck_function_list *m;
		ck_session_handle_t s = raw_session("openrsp", &m);
		unsigned char yes = 1, no = 0;
		uint8_t params[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
		uint8_t ecpt[2 + ORSP_EC_POINT_LEN] = {0x04, ORSP_EC_POINT_LEN};
		memcpy(ecpt + 2, point_p256, ORSP_EC_POINT_LEN);
		raw_replace_public(m, s, "mismatch", 0x03, ecpt, sizeof(ecpt));
		struct ck_attribute a = {CKA_SIGN, &no, 1};
		assert_int_equal(
		    m->C_SetAttributeValue(s, raw_find(m, s, CKO_PRIVATE_KEY, "nosign"), &a, 1),
		    CKR_OK);
		{
			/* "always": a pair made in the token that wants the PIN before each
			 * signature */
			struct ck_mechanism mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
			ck_object_class_t pc = CKO_PRIVATE_KEY;
			unsigned char aid = 0x08;
			char al[] = "always";
			struct ck_attribute pub_t[] = {
			    {CKA_TOKEN, &yes, 1},
			    {CKA_VERIFY, &yes, 1},
			    {CKA_EC_PARAMS, params, sizeof(params)},
			    {CKA_ID, &aid, 1},
			    {CKA_LABEL, al, strlen(al)},
			};
			struct ck_attribute priv_t[] = {
			    {CKA_CLASS, &pc, sizeof(pc)},
			    {CKA_TOKEN, &yes, 1},
			    {CKA_PRIVATE, &yes, 1},
			    {CKA_SIGN, &yes, 1},
			    {CKA_ALWAYS_AUTHENTICATE, &yes, 1},
			    {CKA_ID, &aid, 1},
			    {CKA_LABEL, al, strlen(al)},
			};
			ck_object_handle_t hp, hk;
			assert_int_equal(
			    m->C_GenerateKeyPair(s, &mech, pub_t, 5, priv_t, 7, &hp, &hk), CKR_OK);
		}
		/* "kek", "kek2": AES-256 secret keys made in the token, never extractable;
		 * "kek16": AES-128 */
		for (int i = 0; i < 3; i++) {
			struct ck_mechanism mech = {CKM_AES_KEY_GEN, NULL, 0};
			ck_object_class_t sc = CKO_SECRET_KEY;
			ck_key_type_t ak = CKK_AES;
			unsigned long vlen = i == 2 ? 16 : 32;
			char kl[8];
			snprintf(kl, sizeof(kl), "%s", i == 2 ? "kek16" : i ? "kek2" : "kek");
			struct ck_attribute at[] = {
			    {CKA_CLASS, &sc, sizeof(sc)},
			    {CKA_KEY_TYPE, &ak, sizeof(ak)},
			    {CKA_TOKEN, &yes, 1},
			    {CKA_PRIVATE, &yes, 1},
			    {CKA_SENSITIVE, &yes, 1},
			    {CKA_EXTRACTABLE, &no, 1},
			    {CKA_ENCRYPT, &yes, 1},
			    {CKA_DECRYPT, &yes, 1},
			    {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
			    {CKA_LABEL, kl, strlen(kl)},
			};
			ck_object_handle_t hk;
			assert_int_equal(
			    m->C_GenerateKey(s, &mech, at, sizeof(at) / sizeof(at[0]), &hk),
			    CKR_OK);
		}
		raw_close(m, s);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (dir[0])
		sh("rm -rf '%s'", dir);
	return 0;
}

/* pkcs11:URI-PATH?module-path=...&EXTRA */
static const char *uri(const char *path, const char *extra)
{
	static char u[8192];
	snprintf(u, sizeof(u), "pkcs11:%s?module-path=%s%s%s", path, module, extra[0] ? "&" : "",
	         extra);
	return u;
}

static orsp_ec_key *load_ok(const char *u)
{
	orsp_ec_key *k = NULL;
	orsp_err e = orsp_ec_load_pkcs11(u, &k);
	if (e)
		fail_msg("%s: %s", u, orsp_err_detail());
	assert_non_null(k);
	assert_true(orsp_ec_in_token(k));
	return k;
}

static void expect_refused(const char *u, orsp_err want, const char *words)
{
	orsp_ec_key *k = (orsp_ec_key *)1;
	orsp_err e = orsp_ec_load_pkcs11(u, &k);
	if (e != want || !strstr(orsp_err_detail(), words))
		fail_msg("%s: got %d (%s), want %d with \"%s\"", u, e, orsp_err_detail(), want,
		         words);
	assert_null(k);
	/* no PIN in what is said, right or wrong */
	assert_null(strstr(orsp_err_detail(), PIN));
	assert_null(strstr(orsp_err_detail(), BADPIN));
}

static void signs_and_verifies(orsp_ec_key *k, const uint8_t want_point[ORSP_EC_POINT_LEN],
                               orsp_curve c)
{
	uint8_t pt[ORSP_EC_POINT_LEN], s1[ORSP_EC_SIG_LEN], s2[ORSP_EC_SIG_LEN];
	orsp_ec_key *pub = NULL;

	assert_int_equal(orsp_ec_curve(k), c);
	assert_int_equal(orsp_ec_public_point(k, pt), ORSP_OK);
	assert_memory_equal(pt, want_point, sizeof(pt));
	assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), s1), ORSP_OK);
	assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), s2), ORSP_OK);
	assert_memory_not_equal(s1, s2, sizeof(s1)); /* a fresh k per signature */
	/* verified with a key made from the imported point, not the token's */
	assert_int_equal(orsp_ec_from_public_point(c, want_point, ORSP_EC_POINT_LEN, &pub),
	                 ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(pub, msg, sizeof(msg), s1), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(pub, msg, sizeof(msg), s2), ORSP_OK);
	s1[5] ^= 1;
	assert_int_equal(orsp_ecdsa_verify(pub, msg, sizeof(msg), s1), ORSP_E_VERIFY);
	orsp_err_clear();
	orsp_ec_free(pub);
}

static void test_sign_p256_by_label(void **state)
{
	(void)state;
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	signs_and_verifies(k, point_p256, ORSP_CURVE_P256);
	orsp_ec_free(k);
}

/* A module that answers CKR_OK with a CKA_ID or CKA_LABEL longer than the buffer it was
 * given: the length is not believed (it indexed past the buffers, a NUL written after the
 * label), the attribute counts as unreadable. */
static void test_attribute_longer_than_buffer(void **state)
{
	static const ck_attribute_type_t id_only[] = {CKA_ID, (ck_attribute_type_t)-1};
	static const ck_attribute_type_t id_label[] = {CKA_ID, CKA_LABEL, (ck_attribute_type_t)-1};
	orsp_ec_key *k;
	(void)state;

	/* no usable id: the public key is found by the label */
	lies = 0;
	lie_types = id_only;
	k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	lie_types = NULL;
	assert_true(lies > 0);
	signs_and_verifies(k, point_p256, ORSP_CURVE_P256);
	orsp_ec_free(k);
	assert_null(lie_real); /* the module was released through the copy */
	/* neither */
	lies = 0;
	lie_types = id_label;
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN), ORSP_E_NOT_FOUND,
	               "neither an id nor a label");
	lie_types = NULL;
	assert_true(lies >= 2);
	assert_null(lie_real);
}

/* A PIN with one try left, or locked, is not tried (a wrong one would lock the token, and a
 * supervisor restarting the server would spend the tries): at the load, said so; at a
 * signature's new login, said so too (it read CKR_PIN_LOCKED, a PIN that works). */
static void test_pin_final_try(void **state)
{
	static const ck_attribute_type_t none[] = {(ck_attribute_type_t)-1};
	uint8_t sig[ORSP_EC_SIG_LEN];
	orsp_ec_key *k;
	unsigned logins;
	(void)state;

	lie_types = none; /* the copy of the function list, telling no lies of attributes */
	atomic_store(&lie_token_flags, CKF_USER_PIN_FINAL_TRY);
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN), ORSP_E_VERIFY,
	               "one PIN try left");
	atomic_store(&lie_token_flags, CKF_USER_PIN_LOCKED);
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN), ORSP_E_VERIFY,
	               "locked");
	atomic_store(&lie_token_flags, 0);
	k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), sig), ORSP_OK);
	/* the token reset: the signature's new login finds one try left, and makes none */
	atomic_store(&lie_token_flags, CKF_USER_PIN_FINAL_TRY);
	orsp__p11_reset_sessions(orsp__ec_p11(k), 8);
	logins = orsp__p11_login_count(orsp__ec_p11(k));
	assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), sig), ORSP_E_CRYPTO);
	assert_non_null(strstr(orsp_err_detail(), "one try left"));
	assert_null(strstr(orsp_err_detail(), "CKR_PIN_LOCKED"));
	assert_int_equal(orsp__p11_login_count(orsp__ec_p11(k)), logins);
	/* the count reset by hand: it signs again */
	atomic_store(&lie_token_flags, 0);
	assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), sig), ORSP_OK);
	orsp_err_clear();
	orsp_ec_free(k);
	lie_types = NULL;
	assert_null(lie_real);
}

/* The token by its slot, the module by its library information */
static void test_select_slot_and_library(void **state)
{
	char path[128];
	(void)state;
	assert_true(openrsp_slot != 0);
	snprintf(path, sizeof(path), "slot-id=%lu;object=dpauth", openrsp_slot);
	orsp_ec_free(load_ok(uri(path, "pin-value=" PIN)));
	orsp_ec_free(load_ok(
	    uri("library-manufacturer=SoftHSM;token=openrsp;object=dpauth", "pin-value=" PIN)));
	/* SoftHSM 2.6's library version (Debian's softhsm2 2.6.1); p11-kit refused the
	 * attribute before */
	orsp_ec_free(
	    load_ok(uri("library-version=2.6;token=openrsp;object=dpauth", "pin-value=" PIN)));
	expect_refused(uri("library-version=99.1;token=openrsp;object=dpauth", "pin-value=" PIN),
	               ORSP_E_NOT_FOUND, "is not the library");
}

static void test_sign_brainpool_by_id(void **state)
{
	(void)state;
	orsp_ec_key *k = load_ok(uri("token=openrsp;id=%02;type=private", "pin-value=" PIN));
	signs_and_verifies(k, point_bp, ORSP_CURVE_BRAINPOOLP256R1);
	orsp_ec_free(k);
}

static void write_pin(const char *name, const char *text, mode_t mode, char *path, size_t cap)
{
	FILE *f;
	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_pin_source(void **state)
{
	char p[4200], extra[4300];
	orsp_ec_key *k;
	(void)state;
	write_pin("pin", PIN "\n", 0600, p, sizeof(p));
	snprintf(extra, sizeof(extra), "pin-source=%s", p);
	k = load_ok(uri("token=openrsp;object=dpauth", extra));
	signs_and_verifies(k, point_p256, ORSP_CURVE_P256);
	orsp_ec_free(k);
	snprintf(extra, sizeof(extra), "pin-source=file:%s", p);
	orsp_ec_free(load_ok(uri("token=openrsp;object=dpauth", extra)));

	write_pin("pin-open", PIN "\n", 0644, p, sizeof(p));
	snprintf(extra, sizeof(extra), "pin-source=%s", p);
	expect_refused(uri("token=openrsp;object=dpauth", extra), ORSP_E_POLICY, "chmod 600");
	write_pin("pin-empty", "\n", 0600, p, sizeof(p));
	snprintf(extra, sizeof(extra), "pin-source=%s", p);
	expect_refused(uri("token=openrsp;object=dpauth", extra), ORSP_E_MALFORMED, "no PIN");
	snprintf(extra, sizeof(extra), "pin-source=%s/absent", dir);
	expect_refused(uri("token=openrsp;object=dpauth", extra), ORSP_E_IO, "cannot open");
	expect_refused(uri("token=openrsp;object=dpauth", "pin-source=pin"), ORSP_E_USAGE,
	               "absolute");
	snprintf(extra, sizeof(extra), "pin-source=%s", dir);
	expect_refused(uri("token=openrsp;object=dpauth", extra), ORSP_E_USAGE, "not a file");
	/* a FIFO is refused at once, not waited on (the alarm ends a hang) */
	snprintf(p, sizeof(p), "%s/pin-fifo", dir);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(extra, sizeof(extra), "pin-source=%s", p);
	alarm(20);
	expect_refused(uri("token=openrsp;object=dpauth", extra), ORSP_E_USAGE, "not a file");
	alarm(0);
}

static void test_refusals(void **state)
{
	char u[8300];
	(void)state;
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" BADPIN), ORSP_E_VERIFY,
	               "refused the PIN");
	expect_refused(uri("token=openrsp;object=always", "pin-value=" PIN), ORSP_E_POLICY,
	               "CKA_ALWAYS_AUTHENTICATE");
	expect_refused(
	    uri("token=openrsp;object=dpauth;library-manufacturer=NOSUCH", "pin-value=" PIN),
	    ORSP_E_NOT_FOUND, "is not the library");
	expect_refused(uri("slot-id=1;token=openrsp;object=dpauth", "pin-value=" PIN),
	               ORSP_E_NOT_FOUND, "no initialised token");
	/* a slot-id p11-kit would read modulo 2^64 or as "none" (matching every slot), or not
	 * a number */
	expect_refused(
	    uri("slot-id=99999999999999999999999;token=openrsp;object=dpauth", "pin-value=" PIN),
	    ORSP_E_USAGE, "slot-id is a slot's number");
	expect_refused(
	    uri("slot-id=18446744073709551615;token=openrsp;object=dpauth", "pin-value=" PIN),
	    ORSP_E_USAGE, "slot-id is a slot's number");
	expect_refused(
	    uri("slot-id=18446744073709551616;token=openrsp;object=dpauth", "pin-value=" PIN),
	    ORSP_E_USAGE, "slot-id is a slot's number");
	expect_refused(uri("slot-id=1x;token=openrsp;object=dpauth", "pin-value=" PIN),
	               ORSP_E_USAGE, "slot-id is a slot's number");
	expect_refused(uri("slot-id=;token=openrsp;object=dpauth", "pin-value=" PIN), ORSP_E_USAGE,
	               "slot-id is a slot's number");
	/* a type p11-kit does not know was called an attribute it does not know */
	expect_refused(uri("token=openrsp;object=dpauth;type=privat", "pin-value=" PIN),
	               ORSP_E_USAGE, "type is one of");
	expect_refused(uri("slot-description=NOSUCH;token=openrsp;object=dpauth", "pin-value=" PIN),
	               ORSP_E_NOT_FOUND, "no initialised token");
	expect_refused(uri("token=openrsp;object=dpauth", ""), ORSP_E_USAGE, "asks for a PIN");
	expect_refused(uri("token=nosuch;object=dpauth", "pin-value=" PIN), ORSP_E_NOT_FOUND,
	               "no initialised token");
	expect_refused(uri("object=dpauth", "pin-value=" PIN), ORSP_E_USAGE, "2 tokens match");
	/* without a PIN too: which token comes before the PIN */
	expect_refused(uri("object=dpauth", ""), ORSP_E_USAGE, "2 tokens match");
	expect_refused(uri("token=openrsp;object=nosuch", "pin-value=" PIN), ORSP_E_NOT_FOUND,
	               "no EC private key");
	expect_refused(uri("token=openrsp;object=twin", "pin-value=" PIN), ORSP_E_USAGE,
	               "more than one");
	expect_refused(uri("token=openrsp;object=mismatch", "pin-value=" PIN), ORSP_E_VERIFY,
	               "does not verify");
	expect_refused(uri("token=openrsp;object=nosign", "pin-value=" PIN), ORSP_E_POLICY,
	               "may not sign");
	expect_refused(uri("token=openrsp;object=p384", "pin-value=" PIN), ORSP_E_POLICY,
	               "not on P-256");
	/* the URI itself */
	expect_refused("file:/etc/key.pem", ORSP_E_USAGE, "not a PKCS#11 URI");
	expect_refused(uri("token=openrsp;object=dp%zzauth", "pin-value=" PIN), ORSP_E_USAGE,
	               "RFC 7512");
	expect_refused(uri("token=openrsp;object=dpauth;colour=blue", "pin-value=" PIN),
	               ORSP_E_USAGE, "does not know");
	/* a query attribute p11-kit would keep silently (a misspelt pin-source) */
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN "&pin-sourc=/x"),
	               ORSP_E_USAGE, "a query attribute it does not know");
	/* an attribute twice in the path (RFC 7512 §2.3): p11-kit kept the last, the key
	 * "dpauth" and the token "openrsp" were loaded */
	expect_refused(uri("token=openrsp;object=dppb;object=dpauth", "pin-value=" PIN),
	               ORSP_E_USAGE, "given twice");
	expect_refused(uri("token=spare;object=dpauth;token=openrsp", "pin-value=" PIN),
	               ORSP_E_USAGE, "given twice");
	/* a label with a NUL: cut there, it named the key "dpauth" */
	expect_refused(uri("token=openrsp;object=dpauth%00zz", "pin-value=" PIN), ORSP_E_USAGE,
	               "NUL");
	expect_refused(uri("token=openrsp;type=cert;object=dpauth", "pin-value=" PIN), ORSP_E_USAGE,
	               "not a private key");
	expect_refused(uri("token=openrsp", "pin-value=" PIN), ORSP_E_USAGE, "name the key");
	snprintf(u, sizeof(u), "%s&pin-source=/x",
	         uri("token=openrsp;object=dpauth", "pin-value=1"));
	expect_refused(u, ORSP_E_USAGE, "both");
	expect_refused("pkcs11:token=openrsp;object=dpauth?pin-value=" PIN, ORSP_E_USAGE,
	               "module-path");
	expect_refused("pkcs11:token=openrsp;object=dpauth?module-path=libsofthsm2.so",
	               ORSP_E_USAGE, "absolute path");
	expect_refused("pkcs11:token=openrsp;object=dpauth?module-path=/etc/passwd", ORSP_E_IO,
	               "cannot load the module");
	snprintf(u, sizeof(u), "%s&module-name=softhsm2",
	         uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	expect_refused(u, ORSP_E_USAGE, "module-name");
	{
		char *big = malloc(5000);
		assert_non_null(big);
		memset(big, 'a', 4999);
		memcpy(big, "pkcs11:", 7);
		big[4999] = '\0';
		expect_refused(big, ORSP_E_USAGE, "at most");
		free(big);
	}
	/* a label of 256 bytes (255 the most), an id of 129 (128 the most): refused before the
	 * token is asked; one byte less is looked for, and not found */
	{
		char path[8 + 3 * 129 + 16];
		int n = snprintf(path, sizeof(path), "token=openrsp;object=");
		memset(path + n, 'a', 256);
		path[n + 256] = '\0';
		expect_refused(uri(path, "pin-value=" PIN), ORSP_E_USAGE,
		               "object= of 1 to 255 bytes");
		path[n + 255] = '\0';
		expect_refused(uri(path, "pin-value=" PIN), ORSP_E_NOT_FOUND, "no EC private key");
		n = snprintf(path, sizeof(path), "token=openrsp;id=");
		for (int i = 0; i < 129; i++)
			n += snprintf(path + n, sizeof(path) - (size_t)n, "%%01");
		expect_refused(uri(path, "pin-value=" PIN), ORSP_E_USAGE, "id= of 1 to 128 bytes");
		path[n - 3] = '\0';
		expect_refused(uri(path, "pin-value=" PIN), ORSP_E_NOT_FOUND, "no EC private key");
	}
	/* an empty path attribute (RFC 7512 has none; p11-kit skips it): refused as such, not
	 * as the unknown query attribute the rest of the path was read as, the PIN not shown */
	expect_refused(uri("token=openrsp;;object=dpauth", "pin-value=" PIN), ORSP_E_USAGE,
	               "an empty attribute in the path");
	expect_refused(uri(";token=openrsp;object=dpauth", "pin-value=" PIN), ORSP_E_USAGE,
	               "an empty attribute in the path");
	/* a pin-value without a value: refused, not taken for "no PIN" */
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value="), ORSP_E_USAGE,
	               "pin-value of 1 to 256 bytes");
}

/* orsp_ec_pkcs11_uri_check: what orsp_ec_load_pkcs11 says of the URI itself, in its words,
 * without opening the token or reading the pin-source (a token that does not exist, a PIN it
 * would refuse, a pin-source that is not there or that others can read: taken, as only
 * the load finds them). */
static void uri_check_refused(const char *u, const char *words)
{
	if (orsp_ec_pkcs11_uri_check(u) != ORSP_E_USAGE || !strstr(orsp_err_detail(), words))
		fail_msg("%s: %s, want \"%s\"", u, orsp_err_detail(), words);
	/* the load refuses it in the same words */
	expect_refused(u, ORSP_E_USAGE, words);
}

static void test_uri_check(void **state)
{
	char p[4200], extra[4300];
	(void)state;
	assert_int_equal(
	    orsp_ec_pkcs11_uri_check(uri("token=nosuch;object=dpauth", "pin-value=" BADPIN)),
	    ORSP_OK);
	write_pin("pin-check-open", PIN "\n", 0644, p, sizeof(p));
	snprintf(extra, sizeof(extra), "pin-source=%s", p);
	assert_int_equal(orsp_ec_pkcs11_uri_check(uri("token=openrsp;object=dpauth", extra)),
	                 ORSP_OK);
	assert_int_equal(
	    orsp_ec_pkcs11_uri_check("pkcs11:token=openrsp;object=dpauth?module-path=/nonexistent/"
	                             "x.so&pin-source=/nonexistent/pin"),
	    ORSP_OK);
	uri_check_refused("file:/etc/key.pem", "not a PKCS#11 URI");
	uri_check_refused(uri("token=openrsp;object=dp%zzauth", "pin-value=" PIN), "RFC 7512");
	uri_check_refused(uri("token=openrsp;object=dpauth;colour=blue", "pin-value=" PIN),
	                  "does not know");
	uri_check_refused(uri("token=openrsp", "pin-value=" PIN), "name the key");
	uri_check_refused(uri("token=openrsp;object=dpauth;type=secret-key", "pin-value=" PIN),
	                  "not a private key");
	uri_check_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN "&pin-source=/x"),
	                  "both given");
	uri_check_refused("pkcs11:token=openrsp;object=dpauth?pin-value=" PIN,
	                  "needs the module's absolute path");
	assert_null(strstr(orsp_err_detail(), PIN));
	assert_int_equal(orsp_ec_pkcs11_uri_check(NULL), ORSP_E_USAGE);
}

/* orsp_p11_secret_uri_check: the same checks for the AES key kek seal takes, its type
 * secret-key or none; nothing opened (a token that does not exist is taken). */
static void test_secret_uri_check(void **state)
{
	static const struct {
		const char *uri, *words;
	} bad[] = {
	    {"file:/etc/kek", "not a PKCS#11 URI"},
	    {"pkcs11:token=openrsp;object=kekwrap?pin-source=/x",
	     "needs the module's absolute path"},
	    {"pkcs11:token=openrsp;object=kekwrap?module-name=softhsm2&pin-source=/x",
	     "needs the module's absolute path"},
	    {"pkcs11:token=openrsp?module-path=/m.so&pin-source=/x", "name the key"},
	    {"pkcs11:token=openrsp;object=kekwrap;type=private?module-path=/m.so&pin-source=/x",
	     "not a secret key"},
	    {"pkcs11:token=openrsp;object=kekwrap;colour=blue?module-path=/m.so", "does not know"},
	};
	(void)state;
	assert_int_equal(orsp_p11_secret_uri_check("pkcs11:token=nosuch;object=kekwrap?module-path="
	                                           "/nonexistent/x.so&pin-source=/nonexistent/pin"),
	                 ORSP_OK);
	assert_int_equal(orsp_p11_secret_uri_check("pkcs11:token=t;object=k;type=secret-key?"
	                                           "module-path=/m.so&pin-source=/x"),
	                 ORSP_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (orsp_p11_secret_uri_check(bad[i].uri) != ORSP_E_USAGE ||
		    !strstr(orsp_err_detail(), bad[i].words))
			fail_msg("%s: %s, want \"%s\"", bad[i].uri, orsp_err_detail(),
			         bad[i].words);
	assert_int_equal(orsp_p11_secret_uri_check(NULL), ORSP_E_USAGE);
}

/* A pin-value in every form p11-kit reads (tests/CMakeLists.txt wraps its parser, which must
 * never see the PIN): percent-encoded, split by white space, in the path, given twice (the
 * last one counts, as in p11-kit); and refused when its encoding or the URI's syntax is bad,
 * or it is too long. A NUL in it is part of the PIN. */
/* orsp_ec_pkcs11_uri_has_pin: a pin-value however written (the URI parser drops white space
 * anywhere first), so that no check before a PIN is written to a file or shown in ps is
 * passed by a space; a pin-source is not one. */
static void test_uri_has_pin(void **state)
{
	(void)state;
	static const char *const with[] = {
	    "pkcs11:token=t;object=k?pin-value=1234",
	    "pkcs11:token=t;object=k;pin-value=1234",
	    "pkcs11:token=t;object=k?pin-value =1234",
	    "pkcs11:token=t;object=k?pin- value=1234",
	    "pkcs11:token=t;object=k?pin-\nvalue\t=1234",
	    "pkcs11:token=t;object=k?PIN-Value=1234",
	    "pkcs11:token=t;object=k?module-path=/m.so& pin-value=",
	};
	static const char *const without[] = {
	    "pkcs11:token=t;object=k?pin-source=/p",
	    "pkcs11:token=t;object=pin-valu?module-path=/m.so",
	    "pkcs11:token=t;object=k?pin-value",
	    "",
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(with); i++)
		if (!orsp_ec_pkcs11_uri_has_pin(with[i]))
			fail_msg("no PIN seen in %s", with[i]);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(without); i++)
		if (orsp_ec_pkcs11_uri_has_pin(without[i]))
			fail_msg("a PIN seen in %s", without[i]);
	assert_false(orsp_ec_pkcs11_uri_has_pin(NULL));
}

static void test_pin_value_not_given_to_p11kit(void **state)
{
	char u[8300], path[200], big[300];
	unsigned parses = uri_parses;
	(void)state;
	orsp_ec_free(load_ok(uri("token=openrsp;object=dpauth", "pin-value=%31%32%33%34%2dpin")));
	orsp_ec_free(load_ok(uri("token=openrsp;object=dpauth", "pin-\nval ue=12 34-p\r\vin")));
	orsp_ec_free(
	    load_ok(uri("token=openrsp;object=dpauth", "pin-value=" BADPIN "&pin-value=" PIN)));
	snprintf(u, sizeof(u), "pkcs11:token=openrsp;pin-value=%s;object=dpauth?module-path=%s",
	         PIN, module);
	orsp_ec_free(load_ok(u));
	assert_int_equal(uri_parses, parses + 4);
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN "%00x"), ORSP_E_VERIFY,
	               "refused the PIN");
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN "%3"), ORSP_E_USAGE,
	               "RFC 7512");
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN "%g0"), ORSP_E_USAGE,
	               "RFC 7512");
	expect_refused(uri("token=openrsp;object=dpauth", "pin-value=" PIN "&x"), ORSP_E_USAGE,
	               "RFC 7512");
	snprintf(path, sizeof(path), "token=openrsp;object;pin-value=%s", PIN);
	expect_refused(uri(path, ""), ORSP_E_USAGE, "RFC 7512");
	memcpy(big, "pin-value=", 10);
	memset(big + 10, 'a', 257);
	big[10 + 257] = '\0';
	snprintf(u, sizeof(u), "%s&%s", uri("token=openrsp;object=dpauth", ""), big);
	expect_refused(u, ORSP_E_USAGE, "1 to 256 bytes");
	orsp_err_clear();
}

static void test_only_signs(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	uint8_t z[ORSP_ECKA_LEN];
	orsp_secret d;
	char path[4200];
	(void)state;
	assert_int_equal(orsp_ecka(k, point_p256, ORSP_EC_POINT_LEN, z), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "PKCS#11 token"));
	assert_int_equal(orsp_ec_private_scalar(k, &d), ORSP_E_USAGE);
	snprintf(path, sizeof(path), "%s/exported.pem", dir);
	assert_int_equal(orsp_ec_save_private_pem(k, path), ORSP_E_USAGE);
	assert_int_equal(access(path, F_OK), -1);
	orsp_err_clear();
	orsp_ec_free(k);
}

/* A token that closed every session (reset, a network HSM reconnecting): the next signature
 * logs in again and succeeds. */
static void test_sessions_lost(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	uint8_t sig[ORSP_EC_SIG_LEN];
	orsp_ec_key *pub = NULL;
	(void)state;
	assert_int_equal(
	    orsp_ec_from_public_point(ORSP_CURVE_P256, point_p256, ORSP_EC_POINT_LEN, &pub),
	    ORSP_OK);
	/* idle sessions kept when the token resets: all dead, none must be used */
	for (size_t idle = 0; idle < 4; idle++) {
		orsp__p11_reset_sessions(orsp__ec_p11(k), idle);
		for (int i = 0; i < 3; i++) {
			if (orsp_ecdsa_sign(k, msg, sizeof(msg), sig) != ORSP_OK)
				fail_msg("%zu idle sessions at the reset, signature %d: %s", idle,
				         i, orsp_err_detail());
			assert_int_equal(orsp_ecdsa_verify(pub, msg, sizeof(msg), sig), ORSP_OK);
		}
	}
	orsp_ec_free(pub);
	orsp_ec_free(k);
}

/* One session ended alone (an HSM's idle timeout, an operator), its siblings in the pool
 * alive: the signature that finds it gone succeeds in a new session, and the siblings are
 * closed, not left open until the key is freed (a token has few sessions to give). */
static void test_session_ended_alone(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	orsp_ec_key *pub = NULL;
	uint8_t sig[ORSP_EC_SIG_LEN];
	unsigned long before[16], after[16];
	struct ck_session_info si;
	struct ck_function_list *m;
	size_t nb, na;
	(void)state;
	assert_int_equal(
	    orsp_ec_from_public_point(ORSP_CURVE_P256, point_p256, ORSP_EC_POINT_LEN, &pub),
	    ORSP_OK);
	m = p11_kit_module_load(module, 0); /* the test's own instance, to ask about sessions */
	assert_non_null(m);
	assert_int_equal(p11_kit_module_initialize(m), CKR_OK);
	orsp__p11_end_session(orsp__ec_p11(k), 4);
	nb = orsp__p11_pool(orsp__ec_p11(k), before, 16);
	assert_int_equal(nb, 4);
	/* the last is the one taken next, and ended; the others are alive */
	assert_int_equal(m->C_GetSessionInfo(before[3], &si), CKR_SESSION_HANDLE_INVALID);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(m->C_GetSessionInfo(before[i], &si), CKR_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), sig), ORSP_OK);
		assert_int_equal(orsp_ecdsa_verify(pub, msg, sizeof(msg), sig), ORSP_OK);
	}
	/* one session kept, the new one; none of the old ones open */
	na = orsp__p11_pool(orsp__ec_p11(k), after, 16);
	assert_int_equal(na, 1);
	for (size_t i = 0; i < 3; i++)
		if (before[i] != after[0] &&
		    m->C_GetSessionInfo(before[i], &si) != CKR_SESSION_HANDLE_INVALID)
			fail_msg("sibling session %zu (0x%lx) left open", i, before[i]);
	p11_kit_module_finalize(m);
	p11_kit_module_release(m);
	orsp_ec_free(pub);
	orsp_ec_free(k);
}

static pthread_barrier_t sign_together;

/* One signature after the others are ready; the token is expected to refuse it. */
static void *sign_refused(void *arg)
{
	uint8_t sig[ORSP_EC_SIG_LEN];
	pthread_barrier_wait(&sign_together);
	if (orsp_ecdsa_sign(arg, msg, sizeof(msg), sig) == ORSP_OK)
		fail_msg("a signature with the refused PIN");
	return NULL;
}

/* The PIN changed in the token after the start: a lost login fails, and the old PIN is not
 * sent again (each refused try counts towards the token's lock-out): not by the threads that
 * lost their sessions at once (logins one at a time), and not by another key of the token
 * with the same PIN (DPauth and DPpb of a server; the refusal was kept per key, and each
 * thread and key spent a try). */
static void test_pin_changed(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=spare;object=dpauth", "pin-value=" PIN));
	orsp_ec_key *k2 = load_ok(uri("token=spare;object=dppb", "pin-value=" PIN));
	uint8_t sig[ORSP_EC_SIG_LEN];
	struct ck_function_list *m;
	ck_session_handle_t s;
	pthread_t t[8];
	unsigned logins, logins2;
	(void)state;
	s = raw_session("spare", &m);
	assert_int_equal(
	    m->C_SetPIN(s, (unsigned char *)PIN, strlen(PIN), (unsigned char *)"new-pin-77", 10),
	    CKR_OK);
	raw_close(m, s); /* the test's login ends with its last session */
	orsp__p11_reset_sessions(orsp__ec_p11(k), 8);
	orsp__p11_reset_sessions(orsp__ec_p11(k2), 1);
	logins = orsp__p11_login_count(orsp__ec_p11(k));
	logins2 = orsp__p11_login_count(orsp__ec_p11(k2));
	assert_int_equal(pthread_barrier_init(&sign_together, NULL, 8), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sign_refused, k), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&sign_together);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(orsp_ecdsa_sign(k, msg, sizeof(msg), sig), ORSP_E_CRYPTO);
		assert_non_null(strstr(orsp_err_detail(), "refused the PIN"));
		assert_non_null(strstr(orsp_err_detail(), "not tried again"));
		assert_null(strstr(orsp_err_detail(), PIN));
		assert_int_equal(orsp_ecdsa_sign(k2, msg, sizeof(msg), sig), ORSP_E_CRYPTO);
		assert_non_null(strstr(orsp_err_detail(), "refused the PIN"));
	}
	/* one refused login in all, then none */
	assert_int_equal(orsp__p11_login_count(orsp__ec_p11(k)), logins + 1);
	assert_int_equal(orsp__p11_login_count(orsp__ec_p11(k2)), logins2);
	orsp_err_clear();
	orsp_ec_free(k);
	orsp_ec_free(k2);
	/* back as it was */
	{
		ck_slot_id_t slots[16];
		unsigned long n = 16;
		struct ck_token_info ti;
		m = p11_kit_module_load(module, 0);
		assert_non_null(m);
		assert_int_equal(p11_kit_module_initialize(m), CKR_OK);
		assert_int_equal(m->C_GetSlotList(1, slots, &n), CKR_OK);
		for (unsigned long i = 0; i < n; i++) {
			assert_int_equal(m->C_GetTokenInfo(slots[i], &ti), CKR_OK);
			if (memcmp(ti.label, "spare ", 6) != 0)
				continue;
			assert_int_equal(m->C_OpenSession(slots[i],
			                                  CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			                                  NULL, &s),
			                 CKR_OK);
			assert_int_equal(m->C_Login(s, CKU_USER, (unsigned char *)"new-pin-77", 10),
			                 CKR_OK);
			assert_int_equal(m->C_SetPIN(s, (unsigned char *)"new-pin-77", 10,
			                             (unsigned char *)PIN, strlen(PIN)),
			                 CKR_OK);
		}
		raw_close(m, s);
	}
}

/* A digest the caller computed (a TLS handshake's), signed by the token and by a key in
 * memory: both verify as signatures over the message. */
static void test_sign_digest(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	orsp_ec_key *mem = NULL, *pub = NULL;
	uint8_t dg[ORSP_SHA256_LEN], sig[ORSP_EC_SIG_LEN], pt[ORSP_EC_POINT_LEN];
	(void)state;
	assert_int_equal(orsp_sha256(msg, sizeof(msg), dg), ORSP_OK);
	assert_int_equal(orsp_ecdsa_sign_digest(k, dg, sizeof(dg), sig), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(k, msg, sizeof(msg), sig), ORSP_OK);
	assert_int_equal(orsp_ec_generate(ORSP_CURVE_P256, &mem), ORSP_OK);
	assert_int_equal(orsp_ecdsa_sign_digest(mem, dg, sizeof(dg), sig), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(mem, pt), ORSP_OK);
	assert_int_equal(orsp_ec_from_public_point(ORSP_CURVE_P256, pt, sizeof(pt), &pub), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(pub, msg, sizeof(msg), sig), ORSP_OK);
	/* a digest of another length, a public key */
	assert_int_equal(orsp_ecdsa_sign_digest(k, dg, 20, sig), ORSP_E_USAGE);
	assert_int_equal(orsp_ecdsa_sign_digest(pub, dg, sizeof(dg), sig), ORSP_E_USAGE);
	orsp_err_clear();
	orsp_ec_free(pub);
	orsp_ec_free(mem);
	orsp_ec_free(k);
}

/* AES-GCM with a secret key in the token (a KEK sealed at rest): round trip, and every way
 * the opening must fail. */
static void test_aes_gcm(void **state)
{
	char u[8300], u2[8300];
	static const uint8_t aad[] = "openrsp-kek-sealed 1";
	uint8_t iv[12], in[32], ct[48], back[32];
	(void)state;
	snprintf(u, sizeof(u), "%s", uri("token=openrsp;object=kek", "pin-value=" PIN));
	snprintf(u2, sizeof(u2), "%s", uri("token=openrsp;object=kek2", "pin-value=" PIN));
	assert_int_equal(orsp_random(iv, sizeof(iv)), ORSP_OK);
	assert_int_equal(orsp_random(in, sizeof(in)), ORSP_OK);
	assert_int_equal(orsp_p11_aes_gcm_seal(u, iv, aad, sizeof(aad), in, 32, ct, sizeof(ct)),
	                 ORSP_OK);
	assert_memory_not_equal(ct, in, 32);
	if (orsp_p11_aes_gcm_open(u, iv, aad, sizeof(aad), ct, 48, back, sizeof(back)) != ORSP_OK)
		fail_msg("open: %s", orsp_err_detail());
	assert_memory_equal(back, in, 32);
	/* another key, other additional data, another IV, a changed byte */
	assert_int_equal(
	    orsp_p11_aes_gcm_open(u2, iv, aad, sizeof(aad), ct, 48, back, sizeof(back)),
	    ORSP_E_VERIFY);
	assert_int_equal(
	    orsp_p11_aes_gcm_open(u, iv, aad, sizeof(aad) - 1, ct, 48, back, sizeof(back)),
	    ORSP_E_VERIFY);
	iv[0] ^= 1;
	assert_int_equal(orsp_p11_aes_gcm_open(u, iv, aad, sizeof(aad), ct, 48, back, sizeof(back)),
	                 ORSP_E_VERIFY);
	iv[0] ^= 1;
	ct[40] ^= 1;
	assert_int_equal(orsp_p11_aes_gcm_open(u, iv, aad, sizeof(aad), ct, 48, back, sizeof(back)),
	                 ORSP_E_VERIFY);
	ct[40] ^= 1;
	assert_int_equal(orsp_p11_aes_gcm_open(u, iv, aad, sizeof(aad), ct, 48, back, sizeof(back)),
	                 ORSP_OK);
	/* an AES-128 key: the sealed files say AES-256 */
	assert_int_equal(orsp_p11_aes_gcm_seal(uri("token=openrsp;object=kek16", "pin-value=" PIN),
	                                       iv, aad, sizeof(aad), in, 32, ct, sizeof(ct)),
	                 ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "128 bits, not 256"));
	/* not a secret key; a private key named as one; sizes */
	assert_int_equal(orsp_p11_aes_gcm_seal(uri("token=openrsp;object=dpauth", "pin-value=" PIN),
	                                       iv, aad, sizeof(aad), in, 32, ct, sizeof(ct)),
	                 ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "no AES secret key"));
	assert_int_equal(
	    orsp_p11_aes_gcm_seal(uri("token=openrsp;object=kek;type=private", "pin-value=" PIN),
	                          iv, aad, sizeof(aad), in, 32, ct, sizeof(ct)),
	    ORSP_E_USAGE);
	assert_int_equal(orsp_p11_aes_gcm_seal(u, iv, aad, sizeof(aad), in, 32, ct, 40),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_p11_aes_gcm_open(u, iv, aad, sizeof(aad), ct, 15, back, sizeof(back)),
	                 ORSP_E_USAGE);
	orsp_err_clear();
}

/* Token objects openrsp did not make, as another tool or an operator can leave them: an AES
 * key that may not encrypt or may not decrypt, a private key whose public object is missing,
 * doubled, or holds a compressed point. Each is refused with what is wrong, before a use. */
static void test_odd_token_objects(void **state)
{
	static const uint8_t aad[] = "openrsp-kek-sealed 1";
	uint8_t iv[12] = {1}, in[32] = {2}, ct[48] = {3}, back[32];
	struct ck_function_list *m;
	ck_session_handle_t s;
	ck_object_handle_t h;
	ck_object_class_t sc = CKO_SECRET_KEY;
	ck_key_type_t ak = CKK_AES;
	unsigned char yes = 1, no = 0;
	unsigned long vlen = 32;
	uint8_t ecpt[2 + 33] = {0x04, 33, 0x02};
	(void)state;

	import("openrsp", "dpauth", "nopub", "0a");
	import("openrsp", "dpauth", "twopub", "0b");
	import("openrsp", "dpauth", "badpt", "0c");
	s = raw_session("openrsp", &m);
	for (int i = 0; i < 2; i++) {
		char kl[8];
		snprintf(kl, sizeof(kl), "%s", i ? "nodec" : "noenc");
		struct ck_attribute at[] = {
		    {CKA_CLASS, &sc, sizeof(sc)},
		    {CKA_KEY_TYPE, &ak, sizeof(ak)},
		    {CKA_TOKEN, &yes, 1},
		    {CKA_PRIVATE, &yes, 1},
		    {CKA_SENSITIVE, &yes, 1},
		    {CKA_EXTRACTABLE, &no, 1},
		    {CKA_ENCRYPT, i ? &yes : &no, 1},
		    {CKA_DECRYPT, i ? &no : &yes, 1},
		    {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
		    {CKA_LABEL, kl, strlen(kl)},
		};
		struct ck_mechanism mech = {CKM_AES_KEY_GEN, NULL, 0};
		assert_int_equal(m->C_GenerateKey(s, &mech, at, sizeof(at) / sizeof(at[0]), &h),
		                 CKR_OK);
	}
	/* nopub: its public object gone */
	assert_int_equal(m->C_DestroyObject(s, raw_find(m, s, CKO_PUBLIC_KEY, "nopub")), CKR_OK);
	/* twopub: its public object twice, with the same id */
	{
		struct ck_attribute same = {CKA_TOKEN, &yes, 1};
		assert_int_equal(
		    m->C_CopyObject(s, raw_find(m, s, CKO_PUBLIC_KEY, "twopub"), &same, 1, &h),
		    CKR_OK);
	}
	/* badpt: its public object replaced by one with the point compressed (02||X) */
	memcpy(ecpt + 3, point_p256 + 1, 32);
	raw_replace_public(m, s, "badpt", 0x0c, ecpt, sizeof(ecpt));
	raw_close(m, s);

	/* an AES key with CKA_ENCRYPT false: no seal; with CKA_DECRYPT false: no open */
	assert_int_equal(orsp_p11_aes_gcm_seal(uri("token=openrsp;object=noenc", "pin-value=" PIN),
	                                       iv, aad, sizeof(aad), in, 32, ct, sizeof(ct)),
	                 ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "may not encrypt (CKA_ENCRYPT false)"));
	assert_int_equal(orsp_p11_aes_gcm_open(uri("token=openrsp;object=nodec", "pin-value=" PIN),
	                                       iv, aad, sizeof(aad), ct, 48, back, sizeof(back)),
	                 ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "may not decrypt (CKA_DECRYPT false)"));
	/* ... each does what it may */
	assert_int_equal(orsp_p11_aes_gcm_seal(uri("token=openrsp;object=nodec", "pin-value=" PIN),
	                                       iv, aad, sizeof(aad), in, 32, ct, sizeof(ct)),
	                 ORSP_OK);
	/* the private keys: no public object, two, a compressed point */
	expect_refused(uri("token=openrsp;object=nopub", "pin-value=" PIN), ORSP_E_NOT_FOUND,
	               "has no public key object with the same id");
	expect_refused(uri("token=openrsp;object=twopub", "pin-value=" PIN), ORSP_E_NOT_FOUND,
	               "has more than one public key object with the same id");
	expect_refused(uri("token=openrsp;object=badpt", "pin-value=" PIN), ORSP_E_MALFORMED,
	               "is not an uncompressed point of 65 bytes");
	orsp_err_clear();
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* The n bytes of text (a NUL among them, perhaps) as the sealed KEK file path: each load and
 * kek info (its URI buffer of 4096 characters and a NUL) refuse it as malformed (not a token
 * error), saying what a sealed file holds. */
static void sealed_refused(const char *path, const char *text, size_t n)
{
	orsp_secret got = {0};
	char uri[4097];
	bool sealed = true;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(),
	                       "begins as a sealed KEK (openrsp-kek-sealed 1) but is not one: "
	                       "expected the lines uri, iv (24 hex digits) and data (96 hex "
	                       "digits), nothing more"));
	assert_int_equal(orsp_kek_sealed_uri(path, uri, sizeof(uri), &sealed), ORSP_E_MALFORMED);
	assert_false(sealed);
	orsp_secret_wipe(&got);
}

/* KEK files sealed by the token (src/store/kek.c): made sealed, sealed in place, opened by
 * every load, unsealed; and each malformed file refused before the token is asked. */
static void test_sealed_kek_files(void **state)
{
	char pinf[4200], extra[4300], u[8300], path[4200], raw[4200], text[12000];
	orsp_secret made = {0}, got = {0};
	bool sealed = false;
	(void)state;
	write_pin("kek-pin", PIN "\n", 0600, pinf, sizeof(pinf));
	snprintf(extra, sizeof(extra), "pin-source=%s", pinf);
	snprintf(u, sizeof(u), "%s", uri("token=openrsp;object=kek", extra));
	snprintf(path, sizeof(path), "%s/sealed.kek", dir);
	assert_int_equal(orsp_kek_create_new_sealed(path, u, &made), ORSP_OK);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, made.v, ORSP_KEK_LEN);
	assert_int_equal(orsp_kek_sealed_uri(path, text, sizeof(text), &sealed), ORSP_OK);
	assert_true(sealed);
	assert_string_equal(text, u);
	/* sealed twice: refused; unseal gives the same KEK back in clear; seal again */
	assert_int_equal(orsp_kek_seal(path, u), ORSP_E_EXISTS);
	assert_int_equal(orsp_kek_unseal(path), ORSP_OK);
	assert_int_equal(orsp_kek_unseal(path), ORSP_E_STATE);
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, made.v, ORSP_KEK_LEN);
	assert_int_equal(orsp_kek_seal(path, uri("token=openrsp;object=kek", "pin-value=" PIN)),
	                 ORSP_E_USAGE); /* the file would hold the PIN */
	assert_int_equal(orsp_kek_seal(path, u), ORSP_OK);
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, made.v, ORSP_KEK_LEN);
	/* behind a symbolic link or another hard link the clear file would stay: refused, the
	 * file unchanged */
	{
		char lnk[4300], hard[4300], clear[4200];
		orsp_secret k2 = {0};
		snprintf(clear, sizeof(clear), "%s/clear.kek", dir);
		snprintf(lnk, sizeof(lnk), "%s/link.kek", dir);
		snprintf(hard, sizeof(hard), "%s/hard.kek", dir);
		assert_int_equal(orsp_kek_create_new(clear, &k2), ORSP_OK);
		assert_int_equal(symlink(clear, lnk), 0);
		assert_int_equal(orsp_kek_seal(lnk, u), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "symbolic link"));
		assert_int_equal(link(clear, hard), 0);
		assert_int_equal(orsp_kek_seal(clear, u), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "hard links"));
		assert_int_equal(orsp_kek_sealed_uri(clear, text, sizeof(text), &sealed), ORSP_OK);
		assert_false(sealed);
		orsp_secret_wipe(&k2);
		/* what is not a KEK file is not called one */
		assert_int_equal(orsp_kek_sealed_uri(dir, text, sizeof(text), &sealed),
		                 ORSP_E_MALFORMED);
		write_text(clear, "hello", 0600);
		assert_int_equal(orsp_kek_sealed_uri(clear, text, sizeof(text), &sealed),
		                 ORSP_E_MALFORMED);
	}
	/* malformed: each refused as such (never a token error) */
	{
		FILE *f = fopen(path, "r");
		size_t n;
		assert_non_null(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = 0;
	}
	snprintf(raw, sizeof(raw), "%s/bad.kek", dir);
	{
		char bad[12100];
		const char *cut = strstr(text, "\ndata ");
		assert_non_null(cut);
		/* a line more */
		snprintf(bad, sizeof(bad), "%sextra 1\n", text);
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_MALFORMED);
		/* no data line */
		snprintf(bad, sizeof(bad), "%.*s\n", (int)(cut - text), text);
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_MALFORMED);
		/* data not hex */
		snprintf(bad, sizeof(bad), "%s", text);
		bad[cut - text + 7] = 'g';
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_MALFORMED);
		/* the last newline missing */
		snprintf(bad, sizeof(bad), "%s", text);
		bad[strlen(bad) - 1] = 0;
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_MALFORMED);
		/* a PIN in the file */
		snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri %s\n%s",
		         uri("token=openrsp;object=kek", "pin-value=" PIN), strstr(text, "iv "));
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_POLICY);
		assert_null(strstr(orsp_err_detail(), PIN));
		/* readable by others: refused as any KEK file */
		write_text(raw, text, 0644);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_POLICY);
		/* the same file intact opens */
		write_text(raw, text, 0600);
		orsp_secret_wipe(&got);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_OK);
		assert_memory_equal(got.v, made.v, ORSP_KEK_LEN);
		/* too long */
		memset(bad, 'a', 9000);
		memcpy(bad, "openrsp-kek-sealed 1\n", 21);
		bad[9000] = 0;
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_MALFORMED);
	}
	/* each line of a sealed file wrong in turn, the others intact: refused as malformed */
	{
		char bad[12100], ivl[64];
		const char *iv = strstr(text, "\niv ") + 1, *data = strstr(text, "\ndata ") + 1;
		int n;
		assert_int_equal(data - iv, 28); /* "iv " and 24 hex digits and a newline */
		snprintf(ivl, sizeof(ivl), "%.*s", 27, iv);
		/* another first line that begins as the magic one */
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 10\n%s", strstr(text, "uri "));
		sealed_refused(raw, bad, (size_t)n);
		/* the uri line: another key, no value, a NUL in it, longer than 4096 */
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nURI %s\n%s", u, iv);
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri \n%s", iv);
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri %s\n%s", u, iv);
		bad[strlen("openrsp-kek-sealed 1\nuri pkcs11:")] = '\0';
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri pkcs11:%04090d\n%s", 0,
		             iv);
		sealed_refused(raw, bad, (size_t)n);
		/* one character less passes the file's checks, to p11-kit, which refuses it: the
		 * limit is 4096, not less */
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri pkcs11:%04089d\n%s", 0,
		             iv);
		write_text(raw, bad, 0600);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_E_USAGE);
		assert_non_null(strstr(orsp_err_detail(),
		                       "bad.kek (sealed): not a PKCS#11 URI (RFC "
		                       "7512): URI syntax is invalid"));
		/* a URI that is no PKCS#11 URI */
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri file:///etc/kek\n%s", iv);
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "openrsp-kek-sealed 1\nuri PKCS11:token=openrsp\n%s",
		             iv);
		sealed_refused(raw, bad, (size_t)n);
		/* the iv line: 23 or 25 hex digits, one not hex, another key */
		n = snprintf(bad, sizeof(bad), "%.*s%.26s\n%s", (int)(iv - text), text, iv, data);
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "%.*s%.27s0\n%s", (int)(iv - text), text, iv, data);
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "%.*s%.26sg\n%s", (int)(iv - text), text, iv, data);
		sealed_refused(raw, bad, (size_t)n);
		n = snprintf(bad, sizeof(bad), "%.*sIV %s\n%s", (int)(iv - text), text, ivl + 3,
		             data);
		sealed_refused(raw, bad, (size_t)n);
		/* put together again from its parts, it opens */
		n = snprintf(bad, sizeof(bad), "%.*s%s\n%s", (int)(iv - text), text, ivl, data);
		write_text(raw, bad, 0600);
		orsp_secret_wipe(&got);
		assert_int_equal(orsp_kek_load_existing(raw, &got), ORSP_OK);
		assert_memory_equal(got.v, made.v, ORSP_KEK_LEN);
	}
	/* a URI to seal under on more than one line, or longer than a sealed file keeps:
	 * refused before the token is asked, and nothing written */
	{
		char clear[4200], fresh[4200], bad[8400];
		orsp_secret k3 = {0};
		size_t n1 = 0, n2 = 0;
		uint8_t *b1, *b2;
		snprintf(clear, sizeof(clear), "%s/clear3.kek", dir);
		snprintf(fresh, sizeof(fresh), "%s/fresh.kek", dir);
		assert_int_equal(orsp_kek_create_new(clear, &k3), ORSP_OK);
		b1 = test_read_file(clear, &n1);
		for (int i = 0; i < 3; i++) {
			if (i < 2) {
				/* the token's own URI, a newline or a CR in it */
				snprintf(bad, sizeof(bad), "%s", u);
				bad[strchr(u, ';') - u] = i ? '\r' : '\n';
			} else {
				/* "pkcs11:" and 4090 more: 4097 characters */
				memset(bad, 'a', 4097);
				memcpy(bad, "pkcs11:", 7);
				bad[4097] = '\0';
			}
			assert_int_equal(orsp_kek_seal(clear, bad), ORSP_E_USAGE);
			assert_non_null(strstr(orsp_err_detail(),
			                       "not a PKCS#11 URI of at most 4096 "
			                       "characters on one line"));
			assert_int_equal(orsp_kek_create_new_sealed(fresh, bad, &got),
			                 ORSP_E_USAGE);
			assert_non_null(strstr(orsp_err_detail(),
			                       "not a PKCS#11 URI of at most 4096 "
			                       "characters on one line"));
			assert_int_equal(access(fresh, F_OK), -1);
		}
		/* the clear file as it was */
		b2 = test_read_file(clear, &n2);
		assert_non_null(b2);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		free(b1);
		free(b2);
		orsp_secret_wipe(&k3);
	}
	orsp_err_clear();
	orsp_secret_wipe(&made);
	orsp_secret_wipe(&got);
}

/* The names in directory d (. and .. not counted). */
static size_t names_in(const char *d)
{
	size_t n = 0;
	DIR *dh = opendir(d);
	assert_non_null(dh);
	for (struct dirent *e = readdir(dh); e; e = readdir(dh))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(dh);
	return n;
}

static void die_here(void)
{
	raise(SIGKILL);
}

enum kek_op { OP_SEAL, OP_UNSEAL, OP_NEW_SEALED };

/* op on the KEK file path (u: the token key) in a child process that is killed, as kill -9 or
 * a crash would end it, once the new file's content is written and flushed, before it has
 * its name. */
static void kek_op_killed(enum kek_op op, const char *path, const char *u)
{
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		orsp_secret k = {0};
		orsp_err e;
		orsp__kek_test_hooks(die_here, false);
		e = op == OP_SEAL     ? orsp_kek_seal(path, u)
		    : op == OP_UNSEAL ? orsp_kek_unseal(path)
		                      : orsp_kek_create_new_sealed(path, u, &k);
		_exit(e ? 3 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* killed at the hook, not ended otherwise */
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* The file at path is still `want` (n bytes). */
static void file_is(const char *path, const uint8_t *want, size_t n)
{
	size_t len = 0;
	uint8_t *now = test_read_file(path, &len);
	assert_non_null(now);
	assert_int_equal(len, n);
	assert_memory_equal(now, want, n);
	free(now);
}

/* A directory of its own (dir/name) holding the clear KEK file k.kek (*k: its KEK), the name
 * `fresh` beside it for another file, and u, the token key's URI with its PIN in the file
 * pin_name. */
typedef struct kek_dir {
	char u[8300], sub[4200], path[4300], fresh[4300];
} kek_dir;

static void kek_dir_make(kek_dir *d, const char *pin_name, const char *name, const char *fresh,
                         orsp_secret *k)
{
	char pinf[4200], extra[4300];
	write_pin(pin_name, PIN "\n", 0600, pinf, sizeof(pinf));
	snprintf(extra, sizeof(extra), "pin-source=%s", pinf);
	snprintf(d->u, sizeof(d->u), "%s", uri("token=openrsp;object=kek", extra));
	snprintf(d->sub, sizeof(d->sub), "%s/%s", dir, name);
	assert_int_equal(mkdir(d->sub, 0700), 0);
	snprintf(d->path, sizeof(d->path), "%s/k.kek", d->sub);
	snprintf(d->fresh, sizeof(d->fresh), "%s/%s", d->sub, fresh);
	assert_int_equal(orsp_kek_create_new(d->path, k), ORSP_OK);
}

/* kek seal, kek unseal and a new sealed KEK (a rekey's) killed once the new file is written
 * and flushed, before it has its name: the KEK file as it was (none for the new one), and no
 * other name in its directory. The new file was an unnamed one (O_TMPFILE): a named temporary
 * file would have stayed, for unseal holding the KEK in clear (test_store shows the named
 * way, where O_TMPFILE is refused, leaving it). */
static void test_sealed_kek_killed(void **state)
{
	static kek_dir d;
	const char *u = d.u, *sub = d.sub, *path = d.path, *fresh = d.fresh;
	orsp_secret k = {0}, got = {0};
	uint8_t *was;
	size_t n = 0;
	(void)state;
	kek_dir_make(&d, "kek-pin-killed", "killed", "new.kek", &k);

	was = test_read_file(path, &n);
	kek_op_killed(OP_SEAL, path, u);
	file_is(path, was, n);
	assert_int_equal(names_in(sub), 1);
	free(was);

	assert_int_equal(orsp_kek_seal(path, u), ORSP_OK);
	was = test_read_file(path, &n);
	kek_op_killed(OP_UNSEAL, path, u);
	file_is(path, was, n);
	assert_int_equal(names_in(sub), 1);
	free(was);

	kek_op_killed(OP_NEW_SEALED, fresh, u);
	assert_int_equal(names_in(sub), 1);

	/* the KEK opens as before; unseal, not killed, leaves nothing else either */
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
	assert_int_equal(orsp_kek_unseal(path), ORSP_OK);
	file_is(path, k.v, ORSP_KEK_LEN);
	assert_int_equal(names_in(sub), 1);
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&got);
}

/* kek seal overwrites the clear KEK file it replaces with zeros, for both clear forms (32
 * bytes; 64 hex digits and a newline): read through a descriptor opened before, the file
 * having no name after. A seal that fails (a key the token does not have) leaves the clear
 * file as it was. */
static void test_seal_overwrites_clear(void **state)
{
	static const char hex[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	char pinf[4200], extra[4300], u[8300], bad[8300], path[4200];
	orsp_secret k = {0}, got = {0};
	(void)state;
	write_pin("kek-pin-zero", PIN "\n", 0600, pinf, sizeof(pinf));
	snprintf(extra, sizeof(extra), "pin-source=%s", pinf);
	snprintf(u, sizeof(u), "%s", uri("token=openrsp;object=kek", extra));
	snprintf(bad, sizeof(bad), "%s", uri("token=openrsp;object=nosuchkey", extra));
	for (int form = 0; form < 2; form++) {
		uint8_t buf[80], zero[80] = {0}, *was;
		size_t n = 0;
		int fd;
		snprintf(path, sizeof(path), "%s/zeroed%d.kek", dir, form);
		if (form == 0)
			assert_int_equal(orsp_kek_create_new(path, &k), ORSP_OK);
		else
			write_text(path, hex, 0600);
		assert_int_equal(orsp_kek_load_existing(path, &k), ORSP_OK);
		was = test_read_file(path, &n);
		assert_int_equal(n, form ? 65 : ORSP_KEK_LEN);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);

		assert_int_not_equal(orsp_kek_seal(path, bad), ORSP_OK);
		file_is(path, was, n);
		assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t)n);
		assert_memory_equal(buf, was, n);

		assert_int_equal(orsp_kek_seal(path, u), ORSP_OK);
		assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t)n);
		assert_memory_equal(buf, zero, n);
		close(fd);
		assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
		assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
		free(was);
	}
	orsp_err_clear();
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&got);
}

/* The directory cannot be flushed after the sealed file was renamed over the clear one (a
 * failing disk): a crash could bring the clear file back under the name, so it is not
 * overwritten with zeros, and the seal fails. A new sealed KEK (a rekey's) whose directory
 * cannot be flushed is removed again. */
static void test_seal_dir_sync_failed(void **state)
{
	static kek_dir d;
	const char *u = d.u, *sub = d.sub, *path = d.path, *fresh = d.fresh;
	orsp_secret k = {0}, got = {0};
	uint8_t buf[64];
	int fd;
	(void)state;
	/* a long directory name: the message quotes the path twice and must still end whole
	 * (CI's longer build path once cut it) */
	kek_dir_make(&d, "kek-pin-dsync",
	             "dsync-a-directory-with-a-long-name-as-deployments-have-0123456789-"
	             "0123456789-0123456789-0123456789-0123456789-0123456789-0123456789",
	             "new.kek", &k);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);

	orsp__kek_test_dir_sync_failure(0);
	assert_int_equal(orsp_kek_seal(path, u), ORSP_E_IO);
	orsp__kek_test_dir_sync_failure(-1);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory of"));
	assert_non_null(strstr(orsp_err_detail(), "left as it was"));
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), ORSP_KEK_LEN);
	assert_memory_equal(buf, k.v, ORSP_KEK_LEN);
	close(fd);
	/* the sealed file is at the name (the rename was made), and opens */
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
	assert_int_equal(names_in(sub), 1);

	orsp__kek_test_dir_sync_failure(0);
	assert_int_equal(orsp_kek_create_new_sealed(fresh, u, &got), ORSP_E_IO);
	orsp__kek_test_dir_sync_failure(-1);
	assert_non_null(strstr(orsp_err_detail(), "is removed again"));
	assert_int_equal(got.len, 0);
	assert_int_equal(access(fresh, F_OK), -1);
	assert_int_equal(names_in(sub), 1);
	orsp_err_clear();
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&got);
}

/* A second seal of the file, run to its end from the hook called once a KEK file is opened
 * and before it is locked (at the seal's own open, or a read's), as another process could run
 * it there; then the written hook's moves, in the instant before the sealed file is renamed
 * over the clear one. */
static const char *race_path, *race_uri, *race_other;
static bool race_armed, race_at_seal;
static orsp_err race_err;

static void seal_meanwhile(bool sealing)
{
	if (!race_armed || sealing != race_at_seal)
		return;
	race_armed = false;
	race_err = orsp_kek_seal(race_path, race_uri);
}

static void move_away(void)
{
	assert_int_equal(rename(race_path, race_other), 0);
}

static void link_other(void)
{
	assert_int_equal(link(race_path, race_other), 0);
}

/* Two seals at once, and a read during a seal: the clear file was read after the other seal
 * had overwritten it with zeros, and those 32 zero bytes sealed over the real KEK. The KEK
 * survives each: the second seal is refused, the read opens the sealed file. A file moved
 * away just before the rename is not replaced; one given another name is not overwritten. */
static void test_seal_races(void **state)
{
	static kek_dir d;
	const char *u = d.u, *sub = d.sub, *path = d.path, *other = d.fresh;
	char text[8300];
	orsp_secret k = {0}, got = {0};
	bool sealed = false;
	uint8_t *was;
	size_t n = 0;
	(void)state;
	kek_dir_make(&d, "kek-pin-race", "race", "other.kek", &k);
	race_path = path;
	race_uri = u;
	race_other = other;
	orsp__kek_test_open_hook(seal_meanwhile);

	/* seal B between seal A's open and its read */
	race_armed = race_at_seal = true;
	assert_int_equal(orsp_kek_seal(path, u), ORSP_E_STATE);
	assert_false(race_armed);
	assert_int_equal(race_err, ORSP_OK);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);

	/* a seal between a read's open and its read */
	assert_int_equal(orsp_kek_unseal(path), ORSP_OK);
	race_armed = true;
	race_at_seal = false;
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_false(race_armed);
	assert_int_equal(race_err, ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
	assert_int_equal(orsp_kek_sealed_uri(path, text, sizeof(text), &sealed), ORSP_OK);
	assert_true(sealed);
	orsp__kek_test_open_hook(NULL);

	for (int refuse = 0; refuse < 2; refuse++) {
		/* moved away: nothing renamed to path, the clear file as it was */
		assert_int_equal(orsp_kek_unseal(path), ORSP_OK);
		was = test_read_file(path, &n);
		orsp__kek_test_hooks(move_away, refuse);
		assert_int_equal(orsp_kek_seal(path, u), ORSP_E_STATE);
		orsp__kek_test_hooks(NULL, false);
		assert_int_equal(access(path, F_OK), -1);
		file_is(other, was, n);
		assert_int_equal(names_in(sub), 1);
		assert_int_equal(rename(other, path), 0);

		/* another name: path sealed, the other name's clear KEK left alone */
		orsp__kek_test_hooks(link_other, refuse);
		assert_int_equal(orsp_kek_seal(path, u), ORSP_E_POLICY);
		orsp__kek_test_hooks(NULL, false);
		file_is(other, was, n);
		orsp_secret_wipe(&got);
		assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
		assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
		assert_int_equal(orsp_kek_sealed_uri(path, text, sizeof(text), &sealed), ORSP_OK);
		assert_true(sealed);
		assert_int_equal(unlink(other), 0);
		assert_int_equal(names_in(sub), 1);
		free(was);
	}
	orsp_err_clear();
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&got);
}

/* A seal of the file, run from the hook called once kek reseal has opened it and before it is
 * locked, as another process could: the file it opened is then no longer the file named. */
static void reseal_meanwhile(bool sealing)
{
	if (!race_armed || !sealing)
		return;
	race_armed = false;
	race_err = orsp_kek_reseal(race_path, race_uri, NULL, 0);
}

/* kek reseal (session 77): a sealed KEK file moved to another AES key in the token without
 * the KEK written in clear (before it, only unseal, then seal): the same KEK through the new
 * key, a new IV, the old URI given back; the same key named again allowed. Each refusal (a
 * clear file, the new key not there, a pin-value, a link, the file replaced meanwhile) leaves
 * the file byte for byte as it was. */
static void test_kek_reseal(void **state)
{
	static kek_dir d;
	const char *u = d.u, *path = d.path, *other = d.fresh;
	char u2[8300], gone[8300], was[8300], text[8300], iv1[40];
	orsp_secret k = {0}, got = {0};
	bool sealed = false;
	uint8_t *before;
	size_t n = 0;
	const char *at;
	(void)state;
	kek_dir_make(&d, "kek-pin-reseal", "reseal", "other.kek", &k);
	at = strstr(u, "object=kek?");
	assert_non_null(at);
	snprintf(u2, sizeof(u2), "%.*sobject=kek2%s", (int)(at - u), u, at + strlen("object=kek"));
	snprintf(gone, sizeof(gone), "%.*sobject=nosuch%s", (int)(at - u), u,
	         at + strlen("object=kek"));

	/* a clear file: kek seal's work */
	before = test_read_file(path, &n);
	assert_int_equal(orsp_kek_reseal(path, u2, was, sizeof(was)), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "is not sealed (it holds the KEK itself)"));
	file_is(path, before, n);
	free(before);

	assert_int_equal(orsp_kek_seal(path, u), ORSP_OK);
	before = test_read_file(path, &n);
	/* the new key not there; a pin-value; no PKCS#11 URI; a link; missing arguments */
	assert_int_equal(orsp_kek_reseal(path, gone, was, sizeof(was)), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "not resealed: the new token key"));
	assert_int_equal(orsp_kek_reseal(path, uri("token=openrsp;object=kek2", "pin-value=" PIN),
	                                 was, sizeof(was)),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_kek_reseal(path, "file:/x", was, sizeof(was)), ORSP_E_USAGE);
	assert_int_equal(link(path, other), 0);
	assert_int_equal(orsp_kek_reseal(path, u2, was, sizeof(was)), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "sealed under its old token key"));
	assert_int_equal(unlink(other), 0);
	assert_int_equal(orsp_kek_reseal(NULL, u2, NULL, 0), ORSP_E_USAGE);
	assert_int_equal(orsp_kek_reseal(path, NULL, NULL, 0), ORSP_E_USAGE);
	file_is(path, before, n);
	free(before);

	/* moved to kek2: the same KEK, the old URI said */
	assert_int_equal(orsp_kek_reseal(path, u2, was, sizeof(was)), ORSP_OK);
	assert_string_equal(was, u);
	assert_int_equal(orsp_kek_sealed_uri(path, text, sizeof(text), &sealed), ORSP_OK);
	assert_true(sealed);
	assert_string_equal(text, u2);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
	orsp_secret_wipe(&got);
	assert_int_equal(names_in(d.sub), 1);

	/* the same key again: a new IV, the same URI */
	before = test_read_file(path, &n);
	at = strstr((const char *)before, "\niv ");
	assert_non_null(at);
	snprintf(iv1, sizeof(iv1), "%.28s", at);
	free(before);
	assert_int_equal(orsp_kek_reseal(path, u2, was, sizeof(was)), ORSP_OK);
	assert_string_equal(was, u2);
	before = test_read_file(path, &n);
	assert_null(strstr((const char *)before, iv1));
	free(before);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
	orsp_secret_wipe(&got);

	/* another reseal (to kek) between this one's open and its lock: this one refused, the
	 * file the other wrote left as it is */
	race_path = path;
	race_uri = u;
	race_armed = true;
	orsp__kek_test_open_hook(reseal_meanwhile);
	assert_int_equal(orsp_kek_reseal(path, u2, was, sizeof(was)), ORSP_E_STATE);
	orsp__kek_test_open_hook(NULL);
	assert_false(race_armed);
	assert_int_equal(race_err, ORSP_OK);
	assert_non_null(strstr(orsp_err_detail(), "replaced or moved"));
	assert_int_equal(orsp_kek_sealed_uri(path, text, sizeof(text), &sealed), ORSP_OK);
	assert_string_equal(text, u);
	assert_int_equal(orsp_kek_load_existing(path, &got), ORSP_OK);
	assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
	assert_int_equal(names_in(d.sub), 1);
	orsp_err_clear();
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&got);
}

/* kek seal with the KEK file's directory moved, and a link (this user's own) to another
 * directory holding a clear KEK file of the same name put in its place, once the sealed
 * file's content is written and before it is named (the test hook), both ways of writing it.
 * Until session 75 the sealed file was named by its path: it went through the link (a
 * temporary name in the other directory), the check that path still named the file opened
 * found the other one, and the seal failed (ORSP_E_STATE). Every name is now reached from the
 * directory judged: the file opened, locked and read is the one sealed, in the directory the
 * rename took along, and the other directory is left as it was. */
static char smove_parent[4200], smove_moved[4300];
static const char *smove_to;
static bool smove_refuse;

static void seal_parent_moved(void)
{
	orsp__kek_test_hooks(NULL, smove_refuse);
	assert_int_equal(rename(smove_parent, smove_moved), 0);
	assert_int_equal(symlink(smove_to, smove_parent), 0);
}

static void test_seal_parent_moved(void **state)
{
	static kek_dir d, o;
	char moved[4400], text[8300];
	orsp_secret k = {0}, ko = {0}, got = {0};
	bool sealed = true;
	uint8_t *was;
	size_t n = 0;
	(void)state;
	kek_dir_make(&d, "kek-pin-moved", "moved", "unused.kek", &k);
	kek_dir_make(&o, "kek-pin-moved-o", "moved-other", "unused.kek", &ko);
	snprintf(smove_parent, sizeof(smove_parent), "%s", d.sub);
	snprintf(smove_moved, sizeof(smove_moved), "%s.cur", d.sub);
	snprintf(moved, sizeof(moved), "%s/k.kek", smove_moved);
	smove_to = o.sub;
	was = test_read_file(o.path, &n);
	for (int refuse = 0; refuse < 2; refuse++) {
		smove_refuse = refuse;
		orsp__kek_test_hooks(seal_parent_moved, refuse);
		assert_int_equal(orsp_kek_seal(d.path, d.u), ORSP_OK);
		orsp__kek_test_hooks(NULL, false);
		/* the file judged is sealed, where the rename took it */
		assert_int_equal(orsp_kek_sealed_uri(moved, text, sizeof(text), &sealed), ORSP_OK);
		assert_true(sealed);
		assert_int_equal(orsp_kek_load_existing(moved, &got), ORSP_OK);
		assert_memory_equal(got.v, k.v, ORSP_KEK_LEN);
		orsp_secret_wipe(&got);
		assert_int_equal(names_in(smove_moved), 1);
		/* the other directory's clear KEK untouched, nothing else put there */
		file_is(o.path, was, n);
		assert_int_equal(names_in(o.sub), 1);
		/* back as it was, in clear, for the other way */
		assert_int_equal(unlink(smove_parent), 0);
		assert_int_equal(rename(smove_moved, smove_parent), 0);
		assert_int_equal(orsp_kek_unseal(d.path), ORSP_OK);
	}
	free(was);
	orsp_err_clear();
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&ko);
}

/* A token key issues no certificate (X509_sign would need the scalar). */
static void test_no_issuing(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	orsp_cert_template t;
	orsp_cert *c = NULL;
	(void)state;
	time_t now = time(NULL);
	assert_int_equal(orsp_cert_template_init(&t, ORSP_ROLE_CI), ORSP_OK);
	t.common_name = "token CI";
	t.not_before = now - 60;
	t.not_after = now + 86400;
	assert_int_equal(orsp_cert_issue(&t, k, k, NULL, &c), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "PKCS#11 token"));
	assert_null(c);
	orsp_err_clear();
	orsp_ec_free(k);
}

struct worker {
	orsp_ec_key *k, *pub;
	int bad;
};

static void *sign_many(void *arg)
{
	struct worker *w = arg;
	uint8_t sig[ORSP_EC_SIG_LEN], m[40];
	for (int i = 0; i < 60; i++) {
		memset(m, i, sizeof(m));
		if (orsp_ecdsa_sign(w->k, m, sizeof(m), sig) != ORSP_OK ||
		    orsp_ecdsa_verify(w->pub, m, sizeof(m), sig) != ORSP_OK)
			w->bad++;
	}
	return NULL;
}

/* Threads sign with one key at once: each gets a session of its own. */
static void test_threads(void **state)
{
	orsp_ec_key *k = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	orsp_ec_key *pub = NULL;
	pthread_t t[6];
	struct worker w[6];
	(void)state;
	assert_int_equal(
	    orsp_ec_from_public_point(ORSP_CURVE_P256, point_p256, ORSP_EC_POINT_LEN, &pub),
	    ORSP_OK);
	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){k, pub, 0};
		assert_int_equal(pthread_create(&t[i], NULL, sign_many, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	orsp_ec_free(pub);
	orsp_ec_free(k);
}

/* Two keys of one token at once (DPauth and DPpb of a server): both log in, freeing one
 * leaves the other signing. */
static void test_two_keys(void **state)
{
	orsp_ec_key *a = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN));
	orsp_ec_key *b = load_ok(uri("token=openrsp;object=dppb", "pin-value=" PIN));
	(void)state;
	signs_and_verifies(a, point_p256, ORSP_CURVE_P256);
	signs_and_verifies(b, point_bp, ORSP_CURVE_BRAINPOOLP256R1);
	orsp_ec_free(a);
	signs_and_verifies(b, point_bp, ORSP_CURVE_BRAINPOOLP256R1);
	orsp_ec_free(b);
}

/* A wrong PIN while another key of the process holds the token's login: C_Login answers
 * CKR_USER_ALREADY_LOGGED_IN without checking it, and the key was loaded, to have its PIN
 * refused only at a login after a token reset. Refused at load; the other key, logged out by
 * the check, logs in again at its next signature, and the right PIN still loads beside it. */
static void test_wrong_pin_while_logged_in(void **state)
{
	orsp_ec_key *a = load_ok(uri("token=openrsp;object=dpauth", "pin-value=" PIN)), *b;
	(void)state;
	expect_refused(uri("token=openrsp;object=dppb", "pin-value=" BADPIN), ORSP_E_VERIFY,
	               "refused the PIN");
	signs_and_verifies(a, point_p256, ORSP_CURVE_P256);
	b = load_ok(uri("token=openrsp;object=dppb", "pin-value=" PIN));
	signs_and_verifies(a, point_p256, ORSP_CURVE_P256);
	signs_and_verifies(b, point_bp, ORSP_CURVE_BRAINPOOLP256R1);
	orsp_ec_free(b);
	orsp_ec_free(a);
	orsp_err_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_p256_by_label),
	    cmocka_unit_test(test_sign_brainpool_by_id),
	    cmocka_unit_test(test_select_slot_and_library),
	    cmocka_unit_test(test_pin_source),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_attribute_longer_than_buffer),
	    cmocka_unit_test(test_pin_final_try),
	    cmocka_unit_test(test_pin_value_not_given_to_p11kit),
	    cmocka_unit_test(test_uri_has_pin),
	    cmocka_unit_test(test_uri_check),
	    cmocka_unit_test(test_secret_uri_check),
	    cmocka_unit_test(test_only_signs),
	    cmocka_unit_test(test_sessions_lost),
	    cmocka_unit_test(test_session_ended_alone),
	    cmocka_unit_test(test_pin_changed),
	    cmocka_unit_test(test_no_issuing),
	    cmocka_unit_test(test_sign_digest),
	    cmocka_unit_test(test_aes_gcm),
	    cmocka_unit_test(test_odd_token_objects),
	    cmocka_unit_test(test_sealed_kek_files),
	    cmocka_unit_test(test_seal_parent_moved),
	    cmocka_unit_test(test_sealed_kek_killed),
	    cmocka_unit_test(test_seal_overwrites_clear),
	    cmocka_unit_test(test_seal_dir_sync_failed),
	    cmocka_unit_test(test_seal_races),
	    cmocka_unit_test(test_kek_reseal),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_two_keys),
	    cmocka_unit_test(test_wrong_pin_while_logged_in),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
