/* libFuzzer target for the LPA's checks of the SM-DP+'s ES9+ answers in the download
 * (src/lpa/download.c, lpa_internal.h), which read the fields after base64 and before
 * anything of them goes to the eUICC.
 *
 * The first input byte picks the field (modulo 4), the rest is its bytes:
 *  0 serverSigned1 of initiateAuthentication (lpa_server_signed1_check);
 *  1 profileMetadata of authenticateClient, a StoreMetadataRequest (lpa_metadata_of);
 *  2 smdpSigned2 of authenticateClient, one TLV tagged 30 as the download takes it, then its
 *    contents (lpa_smdp_signed2_check);
 *  3 boundProfilePackage of getBoundProfilePackage (lpa_bpp_tid_check).
 * The session is fixed: transactionId D0..DF (the one of fuzz/corpus/bsp_bpp_unwrap's
 * packages), eUICC challenge 8BCF..03, SM-DP+ address smdp.example.com. Properties:
 *  - a check fails only with ORSP_E_MALFORMED or ORSP_E_VERIFY (the metadata only with
 *    ORSP_E_MALFORMED), with a one-line printable detail (the SM-DP+'s text goes to the user's
 *    terminal: no control character);
 *  - what a check accepts is read again here independently: serverSigned1 is 30 { 80 the
 *    transactionId, 81 the challenge, 83 the address (any case), ... }, smdpSigned2's first
 *    field is 80 the transactionId and a ccRequiredFlag read TRUE is there as 01 01 FF, the
 *    package is BF36 { BF23 { 82 .., 80 the transactionId, ... }, ... };
 *  - accepted metadata has an ICCID of 19 or 20 digits, a profile class 0..2, names that are
 *    NUL-terminated UTF-8 within their fields without control characters, GIDs within their
 *    arrays; the same bytes compare equal to themselves
 *    (orsp_lpa_metadata_compare, as the package's metadata is compared later);
 *  - each check gives the same answer twice.
 * A violated property calls abort(). Deterministic, no global state.
 *
 * Seeds (fuzz/corpus/lpa_es9p/): fields for the fixed session, the metadata of
 * tests/test_lpa_download.c (META, META_PPR12_GID1, META_CONTROLS) and fuzz/corpus/
 * bsp_bpp_unwrap/p256_session_keys.der.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/lpa/lpa_internal.h"
#include "openrsp/der.h"
#include "openrsp/lpa.h"
#include "shown_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t tid[16] = {0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
                                0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf};
static const uint8_t chal[16] = {0x8b, 0xcf, 0x1b, 0xe4, 0xad, 0xa9, 0xc9, 0x8a,
                                 0xf0, 0x62, 0x98, 0x73, 0x30, 0x05, 0x61, 0x03};
static const char fqdn[] = "smdp.example.com";

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void refusal(orsp_err e, bool verify_too)
{
	const char *d = orsp_err_detail();

	check(e == ORSP_E_MALFORMED || (verify_too && e == ORSP_E_VERIFY));
	check(d[0] && shown_text(d, strlen(d) + 1));
	orsp_err_clear();
}

static bool field_is(orsp_reader *r, uint32_t tag, const uint8_t *v, size_t n)
{
	orsp_tlv t;
	bool ok = !orsp_der_read(r, &t) && t.tag == tag && t.value.len == n &&
	          (!n || !memcmp(t.value.p, v, n));
	orsp_err_clear();
	return ok;
}

static void server_signed1(const uint8_t *p, size_t n)
{
	orsp_err e = lpa_server_signed1_check(p, n, tid, sizeof(tid), chal, fqdn, "the test's");
	orsp_tlv t, a;
	orsp_reader r;

	check(lpa_server_signed1_check(p, n, tid, sizeof(tid), chal, fqdn, "the test's") == e);
	if (e) {
		refusal(e, true);
		return;
	}
	check(!orsp_der_parse_one(orsp_slice_make(p, n), &t) && t.tag == 0x30);
	orsp_reader_init(&r, t.value.p, t.value.len);
	check(field_is(&r, 0x80, tid, sizeof(tid)) && field_is(&r, 0x81, chal, sizeof(chal)));
	check(!orsp_der_read(&r, &a) && a.tag == 0x83 && a.value.len == strlen(fqdn) &&
	      !strncasecmp((const char *)a.value.p, fqdn, a.value.len));
}

static void metadata(const uint8_t *p, size_t n)
{
	orsp_lpa_profile m, m2;
	orsp_lpa_operator owner, owner2;
	bool has_owner = true, has_owner2 = true;
	char diff[136];
	orsp_err e = lpa_metadata_of(p, n, &m, &owner, &has_owner);
	orsp_err e2 = lpa_metadata_of(p, n, &m2, &owner2, &has_owner2);

	check(e == e2 && has_owner == has_owner2);
	if (e) {
		refusal(e, false);
		return;
	}
	check(!memcmp(&m, &m2, sizeof(m)) &&
	      (!has_owner || !memcmp(&owner, &owner2, sizeof(owner))));
	check(memchr(m.iccid, 0, sizeof(m.iccid)) &&
	      (strlen(m.iccid) == 19 || strlen(m.iccid) == 20) &&
	      strspn(m.iccid, "0123456789") == strlen(m.iccid));
	check(m.profile_class >= 0 && m.profile_class <= 2);
	check(shown_text(m.name, sizeof(m.name)) && shown_text(m.spn, sizeof(m.spn)));
	if (has_owner)
		check(owner.gid1_len <= ORSP_LPA_GID_MAX && owner.gid2_len <= ORSP_LPA_GID_MAX &&
		      (owner.has_gid1 || !owner.gid1_len) && (owner.has_gid2 || !owner.gid2_len));
	e = orsp_lpa_metadata_compare(p, n, p, n, diff, sizeof(diff));
	check(e == ORSP_OK);
}

static void smdp_signed2(const uint8_t *p, size_t n)
{
	orsp_tlv t, f;
	orsp_reader r;
	bool cc = true, cc2 = true, seen_true = false;
	orsp_err e;

	/* as the download takes the field: one TLV tagged 30 (one_tlv) */
	if (orsp_der_parse_one(orsp_slice_make(p, n), &t) || t.tag != 0x30) {
		orsp_err_clear();
		return;
	}
	e = lpa_smdp_signed2_check(t.value, tid, sizeof(tid), &cc);
	check(lpa_smdp_signed2_check(t.value, tid, sizeof(tid), &cc2) == e && cc == cc2);
	if (e) {
		refusal(e, true);
		return;
	}
	/* accepted: the transactionId, then the one ccRequiredFlag, a DER BOOLEAN, which cc is */
	orsp_reader_init(&r, t.value.p, t.value.len);
	check(field_is(&r, 0x80, tid, sizeof(tid)));
	check(!orsp_der_read(&r, &f) && f.tag == 0x01 && f.value.len == 1 &&
	      (f.value.p[0] == 0x00 || f.value.p[0] == 0xFF));
	seen_true = f.value.p[0] == 0xFF;
	while (orsp_reader_remaining(&r))
		check(!orsp_der_read(&r, &f) && f.tag != 0x01);
	check(cc == seen_true);
}

static void bpp_tid(const uint8_t *p, size_t n)
{
	orsp_err e = lpa_bpp_tid_check(p, n, tid, sizeof(tid));
	orsp_tlv top, isc, f;
	orsp_reader r;

	check(lpa_bpp_tid_check(p, n, tid, sizeof(tid)) == e);
	if (e) {
		refusal(e, true);
		return;
	}
	check(!orsp_der_parse_one(orsp_slice_make(p, n), &top) && top.tag == 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	check(!orsp_der_read(&r, &isc) && isc.tag == 0xBF23);
	orsp_reader_init(&r, isc.value.p, isc.value.len);
	check(!orsp_der_read(&r, &f) && f.tag == 0x82);
	check(field_is(&r, 0x80, tid, sizeof(tid)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		server_signed1(data + 1, size - 1);
		break;
	case 1:
		metadata(data + 1, size - 1);
		break;
	case 2:
		smdp_signed2(data + 1, size - 1);
		break;
	default:
		bpp_tid(data + 1, size - 1);
		break;
	}
	orsp_err_clear();
	return 0;
}
