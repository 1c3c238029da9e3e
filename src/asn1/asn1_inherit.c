/* Compiled into every asn1c module set (src/asn1/asn1.cmake), once per set, and prefixed with
 * it: settles the set's derived descriptors before main, so that no codec call writes one.
 *
 * asn1c 0.9.28 gives a type defined from another (UInt8 ::= INTEGER (0..255)) codec functions
 * that first copy the base type's functions, elements and specifics into the type's global
 * descriptor (<T>_1_inherit_TYPE_descriptor), at every call. Two threads decoding at once
 * wrote and read those fields together: a thread could see the new decoder with the old
 * specifics (a BIT STRING decoded with OCTET STRING specifics), and ThreadSanitizer reported
 * the SM-DP+'s first decodes of packages on its request threads. After one call the
 * descriptor holds the base's functions, so <T>_free and the other wrappers are never called
 * again: one call per type, here, in a constructor (it runs before main, on the one thread
 * there is then, in every program that links the set; no caller can forget it). The call is
 * free_struct on NULL, which every base's free function ignores after the copy. A type
 * defined from a derived type is settled too: its wrapper calls the base's wrapper on its own
 * descriptor, whose copy is then the last one. asn1gen.cmake writes the list, orsp_derived.inc,
 * and rewrites the other lazy stores of the generated code (docs/asn1.md, "Threads"). */
#include <stddef.h>

#include "asn_application.h"

#define ORSP_ASN1_DERIVED(T) extern asn_TYPE_descriptor_t asn_DEF_##T;
#include "orsp_derived.inc"
#undef ORSP_ASN1_DERIVED

static asn_TYPE_descriptor_t *const derived[] = {
#define ORSP_ASN1_DERIVED(T) &asn_DEF_##T,
#include "orsp_derived.inc"
#undef ORSP_ASN1_DERIVED
    NULL};

__attribute__((constructor)) static void inherit_all(void)
{
	for (size_t i = 0; derived[i]; i++)
		derived[i]->free_struct(derived[i], NULL, 0);
}
