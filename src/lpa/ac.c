/* openrsp lpa: activation codes (SGP.22 §4.1) and the confirmation code hash (§3.1.3). */
#include <string.h>
#include <strings.h>

#include "openrsp/crypto.h"
#include "openrsp/lpa.h"

#include "lpa_internal.h"

bool orsp_lpa_address_ok(const char *fqdn)
{
	return fqdn && orsp_fqdn_check(fqdn, strnlen(fqdn, ORSP_FQDN_MAX + 1)) == ORSP_OK;
}

/* SGP.22 §4.1: the matching ID is made of 0-9, A-Z, a-z and '-'. */
static bool matching_id_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	return true;
}

/* The SM-DP+ OID field (n < 64 characters): a dotted OID as the SM-DP+'s configuration and
 * its certificates' registeredID take it (orsp_cert_oid_ok: first arc 0..2, under 0 and 1 a
 * second arc below 40, X.660 §A.2). */
static bool oid_ok(const char *s, size_t n)
{
	char oid[sizeof(((orsp_lpa_ac *)0)->oid)];

	if (n >= sizeof(oid))
		return false;
	memcpy(oid, s, n);
	oid[n] = '\0';
	return orsp_cert_oid_ok(oid);
}

/* Fields after the fifth, the Confirmation Code Required Flag: later versions of SGP.22 add
 * some (the CI Public Key indicator and the Delete Notification for Device Change of
 * SGP.22 v3, in sysmocom's SGP.32 IPA parser too), whose syntax this LPA (v2.2) does not
 * know; they are accepted, printable like every field, and ignored, up to this many fields
 * in all. */
#define AC_FIELDS_MAX 16

orsp_err orsp_lpa_ac_parse(const char *ac, orsp_lpa_ac *out)
{
	const char *f[AC_FIELDS_MAX];
	size_t len[AC_FIELDS_MAX], nf = 0;
	const char *p;
	size_t n;

	if (!ac || !out)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(out, 0, sizeof(*out));
	n = strlen(ac);
	if (n > 1024)
		return orsp_errf(ORSP_E_MALFORMED, "activation code: longer than 1024 characters");
	/* The "LPA:" scheme of the QR code (SGP.22 §4.1.1) is optional here; a URI scheme is
	 * case-insensitive (RFC 3986 §3.1), so "lpa:" is the same prefix. */
	if (n >= 4 && strncasecmp(ac, "LPA:", 4) == 0)
		ac += 4;
	p = ac;
	for (;;) {
		const char *d = strchr(p, '$');
		if (nf == AC_FIELDS_MAX)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "activation code: more than %d '$'-separated fields",
			                 AC_FIELDS_MAX);
		f[nf] = p;
		len[nf] = d ? (size_t)(d - p) : strlen(p);
		nf++;
		if (!d)
			break;
		p = d + 1;
	}
	for (size_t i = 0; i < nf; i++)
		for (size_t k = 0; k < len[i]; k++)
			if ((unsigned char)f[i][k] < 0x21 || (unsigned char)f[i][k] > 0x7E)
				return orsp_errf(
				    ORSP_E_MALFORMED,
				    "activation code: field %zu has a space or a non-ASCII "
				    "character",
				    i + 1);
	if (nf < 3)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "activation code: expected 1$<SM-DP+ address>$<matching ID>");
	if (len[0] != 1 || f[0][0] != '1')
		return orsp_errf(ORSP_E_MALFORMED,
		                 "activation code: AC_Format must be 1 (got \"%.*s\")",
		                 (int)(len[0] > 8 ? 8 : len[0]), f[0]);
	if (orsp_fqdn_check(f[1], len[1]))
		return orsp_errf(
		    ORSP_E_MALFORMED,
		    "activation code: the SM-DP+ address is not a host name (FQDN): %s",
		    orsp_err_detail());
	if (len[2] >= sizeof(out->matching_id) || !matching_id_ok(f[2], len[2]))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "activation code: the matching ID must be at most 64 characters "
		                 "of 0-9, A-Z, a-z and '-'");
	if (nf >= 4 && len[3] > 0 && !oid_ok(f[3], len[3]))
		return orsp_errf(
		    ORSP_E_MALFORMED,
		    "activation code: the SM-DP+ OID is not a dotted object identifier (at "
		    "least two arcs, the first 0, 1 or 2, the second below 40 under 0 and 1)");
	if (nf >= 5 && !(len[4] == 0 || (len[4] == 1 && f[4][0] == '1')))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "activation code: the confirmation code flag must be 1 or empty");
	memcpy(out->fqdn, f[1], len[1]);
	memcpy(out->matching_id, f[2], len[2]);
	if (nf >= 4)
		memcpy(out->oid, f[3], len[3]);
	out->cc_required = nf >= 5 && len[4] == 1;
	out->ignored_fields = nf > 5 ? nf - 5 : 0;
	return ORSP_OK;
}

orsp_err orsp_lpa_hash_cc(const char *cc, const uint8_t *tid, size_t tid_len, uint8_t out[32])
{
	uint8_t buf[32 + 16];
	orsp_err e;

	if (!cc || !tid || !out || tid_len == 0 || tid_len > 16)
		return orsp_errf(ORSP_E_USAGE, "hashCc: bad arguments");
	/* SGP.22 §3.1.3.4 / §5.7.5: hashCc = SHA-256(SHA-256(CC) | TransactionID) */
	if ((e = orsp_sha256(cc, strlen(cc), buf)))
		goto out;
	memcpy(buf + 32, tid, tid_len);
	e = orsp_sha256(buf, 32 + tid_len, out);
out:
	orsp_wipe(buf, sizeof(buf));
	return e;
}
