/* asn1: no codec call of the generated code writes shared data (docs/asn1.md, "Threads").
 *
 * asn1c 0.9.28 filled global descriptors lazily, from whichever thread came first: a derived
 * type's codec functions copied its base's functions, elements and specifics into its
 * descriptor at every call, a derived type's check stored its base's, and the checks of
 * constructed types cached each member's check in the member tables. The SM-DP+ decodes
 * packages on its request threads, and ThreadSanitizer reported its first decodes racing.
 *
 * This program's first decodes are those of its threads, all at once (a race report under
 * the ThreadSanitizer build, make test-tsan). Before them, every derived descriptor must
 * already hold its base's functions; after them, no descriptor reachable from ProfileElement
 * nor any of their member tables may have changed (both fail on the old code without a
 * sanitizer). Nothing before these tests decodes anything: keep it so. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "orsp_asn1_pe.h"

#include "openrsp/pkg.h"

#define V7 "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
#define THREADS 8
#define MAX_TYPES 4096

/* A descriptor as it was before anything decoded, with its member table. */
typedef struct {
	const asn_TYPE_descriptor_t *td;
	asn_TYPE_descriptor_t was;
	asn_TYPE_member_t *members; /* copy of td->elements[0 .. elements_count) */
} seen_type;

static seen_type *seen;
static size_t n_seen;

static bool was_seen(const asn_TYPE_descriptor_t *td)
{
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i].td == td)
			return true;
	return false;
}

static void snapshot(const asn_TYPE_descriptor_t *td)
{
	seen_type *s;

	if (!td || was_seen(td))
		return;
	assert_true(n_seen < MAX_TYPES);
	s = &seen[n_seen++];
	s->td = td;
	memcpy(&s->was, td, sizeof(s->was)); /* padding too: compared with memcmp */
	s->members = NULL;
	if (td->elements && td->elements_count > 0) {
		s->members = calloc((size_t)td->elements_count, sizeof(*s->members));
		assert_non_null(s->members);
		memcpy(s->members, td->elements, (size_t)td->elements_count * sizeof(*s->members));
	}
	for (int i = 0; td->elements && i < td->elements_count; i++)
		snapshot(td->elements[i].type);
}

/* Before any decode: the derived types already have their bases' codecs and data. */
static void test_settled_before_main(void **state)
{
	(void)state;
	seen = calloc(MAX_TYPES, sizeof(*seen));
	assert_non_null(seen);
	snapshot(&asn_DEF_ProfileElement);
	assert_true(n_seen > 50); /* 81 for PEDefinitions 3.3.1 */

	assert_ptr_equal(asn_DEF_UInt8.ber_decoder, NativeInteger_decode_ber);
	assert_ptr_equal(asn_DEF_UInt8.free_struct, NativeInteger_free);
	assert_ptr_equal(asn_DEF_UInt8.check_constraints, UInt8_constraint); /* its own */
	assert_ptr_equal(asn_DEF_UInt31.der_encoder, NativeInteger_encode_der);
	assert_ptr_equal(asn_DEF_ApplicationIdentifier.ber_decoder, OCTET_STRING_decode_ber);
	assert_ptr_equal(asn_DEF_ApplicationIdentifier.specifics, asn_DEF_OCTET_STRING.specifics);
	/* the reviewer's case: a BIT STRING type, decoded by OCTET STRING's decoder with BIT
	 * STRING's specifics (an OCTET STRING's specifics, before the copy, for the other
	 * threads) */
	assert_ptr_equal(asn_DEF_UICCCapability.ber_decoder, asn_DEF_BIT_STRING.ber_decoder);
	assert_ptr_equal(asn_DEF_UICCCapability.specifics, asn_DEF_BIT_STRING.specifics);
	assert_ptr_equal(asn_DEF_PINKeyReferenceValue.free_struct,
	                 asn_DEF_NativeInteger.free_struct);
	assert_ptr_equal(asn_DEF_PUKKeyReferenceValue.free_struct,
	                 asn_DEF_NativeInteger.free_struct);
}

typedef struct {
	pthread_barrier_t *go;
	const uint8_t *der;
	size_t len;
	orsp_err decoded, validated, encoded;
	bool same;
} decoder;

static void *decode_main(void *arg)
{
	decoder *d = arg;
	orsp_pkg *pkg = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0;

	pthread_barrier_wait(d->go);
	d->decoded = orsp_pkg_decode(d->der, d->len, &pkg);
	if (d->decoded)
		return NULL;
	d->validated = orsp_pkg_validate(pkg, NULL);
	d->encoded = orsp_pkg_encode(pkg, 0, &out, &out_len);
	d->same = !d->encoded && out_len == d->len && memcmp(out, d->der, d->len) == 0;
	if (!d->encoded)
		orsp_pkg_buf_free(out, out_len);
	orsp_pkg_free(pkg);
	return NULL;
}

/* THREADS first decodes at once, then every descriptor and member table as before. */
static void test_first_decodes_on_threads(void **state)
{
	size_t n = 0;
	uint8_t *der = test_read_vector(V7, &n);
	pthread_barrier_t go;
	pthread_t th[THREADS];
	decoder d[THREADS];
	(void)state;

	assert_non_null(seen);
	assert_int_equal(pthread_barrier_init(&go, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		d[i] = (decoder){.go = &go, .der = der, .len = n};
		assert_int_equal(pthread_create(&th[i], NULL, decode_main, &d[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(d[i].decoded, ORSP_OK);
		assert_int_equal(d[i].validated, ORSP_OK);
		assert_int_equal(d[i].encoded, ORSP_OK);
		assert_true(d[i].same);
	}

	for (size_t i = 0; i < n_seen; i++) {
		const seen_type *s = &seen[i];
		if (memcmp(s->td, &s->was, sizeof(s->was)) != 0)
			fail_msg("descriptor %s changed by a decode", s->was.name);
		for (int j = 0; s->members && j < s->was.elements_count; j++)
			if (memcmp(&s->td->elements[j], &s->members[j], sizeof(s->members[j])) != 0)
				fail_msg("member %s of %s changed by a decode", s->members[j].name,
				         s->was.name);
	}
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i].members);
	free(seen);
	seen = NULL;
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settled_before_main),
	    cmocka_unit_test(test_first_decodes_on_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
