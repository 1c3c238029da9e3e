/* libFuzzer target for the activation code parser (orsp_lpa_ac_parse, SGP.22 §4.1).
 *
 * For any input (cut at the first NUL):
 *  - the parser fails only with ORSP_E_MALFORMED;
 *  - an accepted code has a non-empty FQDN of at most 253 characters made of letters, digits,
 *    '-' and '.', a matching ID of at most 64 characters of [0-9A-Za-z-], an OID of digits and
 *    dots whose first arc is 0, 1 or 2 and, under 0 and 1, whose second is at most 39 (X.660
 *    §A.2), all NUL-terminated within their fields;
 *  - an accepted code, written back as "1$FQDN$MatchingID$OID$flag", parses to the same
 *    fields (the parser is a function of the fields, not of their spelling).
 * A violated property calls abort(). Deterministic, no global state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/lpa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool only(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

#define ALNUM "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[2048], again[2048];
	orsp_lpa_ac a, b;
	orsp_err e;
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;

	memcpy(in, data, n);
	in[n] = '\0';
	e = orsp_lpa_ac_parse(in, &a);
	if (e) {
		check(e == ORSP_E_MALFORMED);
		return 0;
	}
	check(memchr(a.fqdn, 0, sizeof(a.fqdn)) &&
	      memchr(a.matching_id, 0, sizeof(a.matching_id)) && memchr(a.oid, 0, sizeof(a.oid)));
	check(a.fqdn[0] && strlen(a.fqdn) <= 253 && only(a.fqdn, ALNUM "-."));
	check(strlen(a.matching_id) <= 64 && only(a.matching_id, ALNUM "-"));
	check(only(a.oid, "0123456789."));
	if (a.oid[0]) {
		char *end;
		unsigned long second;
		check(a.oid[0] >= '0' && a.oid[0] <= '2' && a.oid[1] == '.');
		second = strtoul(a.oid + 2, &end, 10);
		check(end > a.oid + 2 && (*end == '.' || *end == '\0'));
		check(a.oid[0] == '2' || second <= 39);
	}
	snprintf(again, sizeof(again), "1$%s$%s$%s$%s", a.fqdn, a.matching_id, a.oid,
	         a.cc_required ? "1" : "");
	check(orsp_lpa_ac_parse(again, &b) == ORSP_OK);
	check(!strcmp(a.fqdn, b.fqdn) && !strcmp(a.matching_id, b.matching_id) &&
	      !strcmp(a.oid, b.oid) && a.cc_required == b.cc_required);
	return 0;
}
