/* asn1: the generated RSPDefinitions codec (module set "rsp", symbols prefixed orsp_rsp_) on
 * outside data, linked into the same program as the PEDefinitions set (orsp_pe_): both sets
 * carry their own asn1c runtime, and neither clashes with the other (docs/asn1.md).
 *
 * Vectors: pySim's Bound Profile Package (sgp22/bpp/bpp.der) and the serverSigned1 of a real
 * ES9+ exchange (sgp22/README.md), decoded and re-encoded byte for byte. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "orsp_asn1_rsp.h"

#include "openrsp/pkg.h"

/* The PE set's copy of a runtime type, by its prefixed name (the RSP names header maps the
 * unprefixed name to orsp_rsp_). */
extern asn_TYPE_descriptor_t orsp_pe_asn_DEF_INTEGER;

/* Derived types of this set, as they are before anything decodes (test_settled_before_main)
 * and must stay (test_descriptors_unchanged): asn1c 0.9.28 copied the base's functions,
 * elements and specifics into such a descriptor at each codec call, and a type without a
 * constraint of its own (OrspTagged8OctetString) stored its base's check in it, from any
 * thread (docs/asn1.md, "Threads"; tests/test_asn1_threads.c for the pe set). */
static asn_TYPE_descriptor_t *const derived[] = {
    &asn_DEF_TransactionId, &asn_DEF_Octet16, &asn_DEF_OrspTagged8OctetString,
    &asn_DEF_OrspTagged6OctetString, &asn_DEF_SubjectAltName};
#define N_DERIVED (sizeof(derived) / sizeof(derived[0]))
static asn_TYPE_descriptor_t derived_was[N_DERIVED];

static void test_settled_before_main(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_DERIVED; i++) /* padding too: compared with memcmp */
		memcpy(&derived_was[i], derived[i], sizeof(derived_was[i]));
	assert_ptr_equal(asn_DEF_TransactionId.ber_decoder, OCTET_STRING_decode_ber);
	assert_ptr_equal(asn_DEF_TransactionId.specifics, asn_DEF_OCTET_STRING.specifics);
	assert_ptr_equal(asn_DEF_TransactionId.check_constraints, TransactionId_constraint);
	assert_ptr_equal(asn_DEF_Octet16.der_encoder, OCTET_STRING_encode_der);
	assert_ptr_equal(asn_DEF_OrspTagged8OctetString.free_struct, OCTET_STRING_free);
	assert_ptr_equal(asn_DEF_OrspTagged8OctetString.check_constraints,
	                 OrspTagged8OctetString_constraint);
	assert_ptr_equal(asn_DEF_SubjectAltName.ber_decoder, asn_DEF_GeneralNames.ber_decoder);
	assert_ptr_equal(asn_DEF_SubjectAltName.elements, asn_DEF_GeneralNames.elements);
	assert_ptr_equal(asn_DEF_SubjectAltName.specifics, asn_DEF_GeneralNames.specifics);
}

static void test_descriptors_unchanged(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_DERIVED; i++)
		if (memcmp(derived[i], &derived_was[i], sizeof(derived_was[i])) != 0)
			fail_msg("descriptor %s changed by the codec", derived_was[i].name);
}

static uint8_t *reencode(asn_TYPE_descriptor_t *td, void *v, size_t *len)
{
	asn_enc_rval_t e = der_encode(td, v, NULL, NULL);
	uint8_t *b;
	assert_true(e.encoded > 0);
	b = malloc((size_t)e.encoded);
	assert_non_null(b);
	e = der_encode_to_buffer(td, v, b, (size_t)e.encoded);
	assert_true(e.encoded > 0);
	*len = (size_t)e.encoded;
	return b;
}

static void test_bpp_roundtrip(void **state)
{
	size_t n = 0, m = 0;
	uint8_t *der = test_read_vector("sgp22/bpp/bpp.der", &n), *again;
	BoundProfilePackage_t *bpp = NULL;
	asn_dec_rval_t r;
	char err[128];
	size_t err_len = sizeof(err);
	(void)state;

	r = ber_decode(NULL, &asn_DEF_BoundProfilePackage, (void **)&bpp, der, n);
	assert_int_equal(r.code, RC_OK);
	assert_int_equal(r.consumed, n);
	assert_int_equal(asn_check_constraints(&asn_DEF_BoundProfilePackage, bpp, err, &err_len),
	                 0);
	/* README: one ConfigureISDP (87), one StoreMetadata (88), the UPP in 86 segments whose
	 * values start again with the 86 tag. */
	assert_int_equal(bpp->firstSequenceOf87.list.count, 1);
	assert_int_equal(bpp->sequenceOf88.list.count, 1);
	assert_true(bpp->sequenceOf86.list.count > 1);
	for (int i = 0; i < bpp->sequenceOf86.list.count; i++)
		assert_int_equal(bpp->sequenceOf86.list.array[i]->buf[0], 0x86);
	again = reencode(&asn_DEF_BoundProfilePackage, bpp, &m);
	assert_int_equal(m, n);
	assert_bytes_equal(again, der, n);
	ASN_STRUCT_FREE(asn_DEF_BoundProfilePackage, bpp);
	free(again);
	free(der);
}

static void test_server_signed1(void **state)
{
	/* sgp22/README.md: decoded serverSigned1 (91 octets) of a production ES9+ exchange. */
	static const char hex[] =
	    "30598010e4f6996d64a543fc8a7f6f8f97f9428d81108bcf1be4ada9c98af06298733005610383217762"
	    "672e70726f642e6f6e64656d616e64636f6e6e65637469766974792e636f6d84100982f87937a6c56b"
	    "25569c568e4c4d68";
	uint8_t der[91], tid[16], *again;
	size_t n = 0, m = 0, err_len = 0;
	char err[128];
	ServerSigned1_t *s = NULL;
	(void)state;

	assert_int_equal(orsp_hex_decode(hex, der, sizeof(der), &n), ORSP_OK);
	assert_int_equal(n, 91);
	assert_int_equal(ber_decode(NULL, &asn_DEF_ServerSigned1, (void **)&s, der, n).code, RC_OK);
	assert_int_equal(orsp_hex_decode("e4f6996d64a543fc8a7f6f8f97f9428d", tid, sizeof(tid), &m),
	                 ORSP_OK);
	assert_int_equal(s->transactionId.size, 16);
	assert_bytes_equal(s->transactionId.buf, tid, 16);
	assert_int_equal(s->serverAddress.size, (int)strlen("wbg.prod.ondemandconnectivity.com"));
	assert_memory_equal(s->serverAddress.buf, "wbg.prod.ondemandconnectivity.com",
	                    (size_t)s->serverAddress.size);
	again = reencode(&asn_DEF_ServerSigned1, s, &m);
	assert_int_equal(m, n);
	assert_bytes_equal(again, der, n);
	/* The named types' constraints still hold once the codec has run on them (asn1c 0.9.28
	 * replaced their checks by the base type's then; src/asn1/asn1gen.cmake). */
	err_len = sizeof(err);
	assert_int_equal(asn_check_constraints(&asn_DEF_ServerSigned1, s, err, &err_len), 0);
	s->euiccChallenge.size = 15;
	err_len = sizeof(err);
	assert_int_not_equal(asn_check_constraints(&asn_DEF_ServerSigned1, s, err, &err_len), 0);
	assert_non_null(strstr(err, "Octet16: constraint failed"));
	s->euiccChallenge.size = 16;
	s->transactionId.size = 0;
	err_len = sizeof(err);
	assert_int_not_equal(asn_check_constraints(&asn_DEF_ServerSigned1, s, err, &err_len), 0);
	assert_non_null(strstr(err, "TransactionId: constraint failed"));
	s->transactionId.size = 16;
	ASN_STRUCT_FREE(asn_DEF_ServerSigned1, s);
	free(again);
}

/* A SIZE on a type defined from a SEQUENCE OF (SubjectAltName ::= GeneralNames, SIZE (1..MAX)
 * in asn1c's reading) checks the elements through the base's descriptor, without calling
 * itself (before asn1gen.cmake's rewrite, it did so until the codec first ran on it). */
static void test_sequence_of_size(void **state)
{
	SubjectAltName_t *san = calloc(1, sizeof(*san));
	GeneralName_t *gn = calloc(1, sizeof(*gn));
	char err[128];
	size_t err_len = sizeof(err), n = 0;
	uint8_t *der;
	(void)state;

	assert_non_null(san);
	assert_non_null(gn);
	assert_int_not_equal(asn_check_constraints(&asn_DEF_SubjectAltName, san, err, &err_len), 0);
	assert_non_null(strstr(err, "SubjectAltName: constraint failed"));
	gn->present = GeneralName_PR_dNSName;
	assert_int_equal(OCTET_STRING_fromString(&gn->choice.dNSName, "smdp.example"), 0);
	assert_int_equal(ASN_SEQUENCE_ADD(&san->list, gn), 0);
	err_len = sizeof(err);
	assert_int_equal(asn_check_constraints(&asn_DEF_SubjectAltName, san, err, &err_len), 0);
	der = reencode(&asn_DEF_SubjectAltName, san, &n);
	err_len = sizeof(err);
	assert_int_equal(asn_check_constraints(&asn_DEF_SubjectAltName, san, err, &err_len), 0);
	/* an element's own constraint: IA5String holds 7-bit characters */
	gn->choice.dNSName.buf[0] = 0xC3;
	err_len = sizeof(err);
	assert_int_not_equal(asn_check_constraints(&asn_DEF_SubjectAltName, san, err, &err_len), 0);
	ASN_STRUCT_FREE(asn_DEF_SubjectAltName, san);
	free(der);
}

/* Both module sets in one program: each has its own runtime under its own prefix, and the
 * PE set keeps working next to the RSP set. */
static void test_two_sets(void **state)
{
	size_t n = 0;
	uint8_t *upp = test_read_vector("sgp22/bpp/expected_upp.der", &n);
	orsp_pkg *pkg = NULL;
	(void)state;

	assert_ptr_not_equal(&orsp_pe_asn_DEF_INTEGER, &asn_DEF_INTEGER);
	assert_string_equal(orsp_pe_asn_DEF_INTEGER.name, asn_DEF_INTEGER.name);
	assert_int_equal(orsp_pkg_decode(upp, n, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_OK);
	orsp_pkg_free(pkg);
	free(upp);
}

int main(void)
{
	/* test_settled_before_main first, before anything decodes; test_descriptors_unchanged
	 * last */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settled_before_main),
	    cmocka_unit_test(test_bpp_roundtrip),
	    cmocka_unit_test(test_server_signed1),
	    cmocka_unit_test(test_sequence_of_size),
	    cmocka_unit_test(test_two_sets),
	    cmocka_unit_test(test_descriptors_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
