/* Host names (FQDNs): the one rule for every SM-DP+ address openrsp takes or gives out. */
#include <stdbool.h>
#include <stddef.h>

#include "openrsp/core.h"

#define LABEL_MAX 63 /* RFC 1035 §2.3.4 */

static bool ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* RFC 1123 §2.1 (LDH labels, a digit may start one), RFC 3696 §2 (at least two labels, the
 * last not all digits: a dotted quad is an address, not a name). One rule for the SM-DP+'s
 * fqdn, the activation codes it gives out and the LPA takes, and the DPtls dNSName, so that
 * no part accepts a name another refuses. */
orsp_err orsp_fqdn_check(const char *s, size_t n)
{
	size_t start = 0, labels = 0;
	bool digits = true;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "no host name");
	if (n == 0)
		return orsp_errf(ORSP_E_MALFORMED, "empty");
	if (n > ORSP_FQDN_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "%zu characters, more than %d", n,
		                 ORSP_FQDN_MAX);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!ldh(s[i]))
				return orsp_errf(ORSP_E_MALFORMED,
				                 "character %zu is not a letter, digit, '-' or '.'",
				                 i + 1);
			if (s[i] < '0' || s[i] > '9')
				digits = false;
			continue;
		}
		/* s[start..i) is a whole label */
		labels++;
		if (i == start)
			return i == n ? orsp_errf(ORSP_E_MALFORMED, "ends with a dot")
			              : orsp_errf(ORSP_E_MALFORMED, "empty label at character %zu",
			                          i + 1);
		if (i - start > LABEL_MAX)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "label %zu has %zu characters, more than %d", labels,
			                 i - start, LABEL_MAX);
		if (s[start] == '-')
			return orsp_errf(ORSP_E_MALFORMED, "label %zu starts with '-'", labels);
		if (s[i - 1] == '-')
			return orsp_errf(ORSP_E_MALFORMED, "label %zu ends with '-'", labels);
		if (i < n) {
			start = i + 1;
			digits = true;
		}
	}
	if (labels < 2)
		return orsp_errf(ORSP_E_MALFORMED, "one label only, at least two are needed");
	if (digits)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "the last label is all digits (an IPv4 address?)");
	return ORSP_OK;
}
