/* openrsp lpa: the profile metadata a Bound Profile Package carries — the StoreMetadataRequest
 * (SGP.22 §5.5.3) in its sequenceOf88 (§2.5.5), which is what the eUICC stores — read before
 * any of the package goes to the eUICC, and compared with the profileMetadata of
 * authenticateClient, which is what the end user was shown and the PPRs were checked on
 * (§3.1.3: the metadata in the package shall be the one given before). */
#include <stdio.h>
#include <string.h>

#include "lpa_internal.h"
#include "openrsp/der.h"
#include "openrsp/lpa.h"
#include "openrsp/pkg.h"

/* An '88' segment is protected with a MAC only (§2.6.4.3): its contents are the plaintext,
 * then the first 8 bytes of its C-MAC. The LPA has no key to check the MAC; the eUICC does,
 * so the plaintext read here is the one the eUICC would store or refuse. */
#define SEG_MAC_LEN 8

/* More top-level fields than this (v2.2 defines 9) are not compared one by one. */
#define FIELDS_MAX 64

orsp_err orsp_lpa_bpp_metadata(const uint8_t *bpp, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	orsp_tlv top, part, seg, t;
	orsp_reader r, sr;
	orsp_writer w;
	orsp_err e;

	if (!bpp || !out || !len)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	*len = 0;
	/* the package's structure first, as LoadBoundProfilePackage checks it */
	if ((e = lpa_bpp_check(bpp, n)))
		return e;
	if ((e = orsp_der_parse_one(orsp_slice_make(bpp, n), &top)))
		return e;
	/* BoundProfilePackage ::= { BF23, A0 firstSequenceOf87, A1 sequenceOf88, ... }: that
	 * order, and sequenceOf88 holding 88 segments only, lpa_bpp_check made sure of */
	orsp_reader_init(&r, top.value.p, top.value.len);
	if ((e = orsp_der_expect(&r, 0xBF23, &part)) || (e = orsp_der_expect(&r, 0xA0, &part)) ||
	    (e = orsp_der_expect(&r, 0xA1, &part)))
		return e;
	orsp_writer_init(&w, out, cap);
	orsp_reader_init(&sr, part.value.p, part.value.len);
	while (orsp_reader_remaining(&sr)) {
		if ((e = orsp_der_read(&sr, &seg)))
			return e;
		if (seg.value.len <= SEG_MAC_LEN)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "bound profile package: a sequenceOf88 segment of %zu bytes "
			    "(no data before its 8-byte MAC)",
			    seg.value.len);
		orsp_write_bytes(&w, seg.value.p, seg.value.len - SEG_MAC_LEN);
	}
	if (orsp_writer_status(&w)) {
		orsp_err_clear();
		return orsp_errf(
		    ORSP_E_RESOURCE,
		    "bound profile package: its StoreMetadataRequest exceeds %zu bytes", cap);
	}
	if (orsp_der_parse_one(orsp_slice_make(out, w.len), &t) || t.tag != 0xBF25 ||
	    orsp_der_validate(orsp_slice_make(out, w.len), ORSP_DER_MAX_DEPTH)) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "bound profile package: sequenceOf88 does not "
		                                   "carry a StoreMetadataRequest (one BF25, DER)");
	}
	*len = w.len;
	return ORSP_OK;
}

/* The contents of a StoreMetadataRequest: one BF25 TLV whose contents are TLVs, at most
 * FIELDS_MAX of them (*many when there are more). */
static orsp_err fields_of(const uint8_t *meta, size_t n, orsp_slice *v, bool *many)
{
	orsp_tlv t, f;
	orsp_reader r;
	size_t count = 0;

	*many = false;
	if (!meta || orsp_der_parse_one(orsp_slice_make(meta, n), &t) || t.tag != 0xBF25)
		goto bad;
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f))
			goto bad;
		count++;
	}
	*v = t.value;
	*many = count > FIELDS_MAX;
	return ORSP_OK;
bad:
	orsp_err_clear();
	return orsp_errf(ORSP_E_MALFORMED, "profile metadata: not a StoreMetadataRequest");
}

/* The k-th field (from 0) tagged tag in v, a sequence of well-formed TLVs. */
static bool field(orsp_slice v, uint32_t tag, size_t k, orsp_tlv *out)
{
	orsp_reader r;

	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, out))
		if (out->tag == tag && k-- == 0)
			return true;
	return false;
}

/* Whether the fields tagged tag are the same in a and b: as many, the same bytes, in order. */
static bool same_fields(orsp_slice a, orsp_slice b, uint32_t tag)
{
	orsp_tlv fa, fb;

	for (size_t k = 0;; k++) {
		bool ha = field(a, tag, k, &fa), hb = field(b, tag, k, &fb);
		if (ha != hb)
			return false;
		if (!ha)
			return true;
		if (fa.value.len != fb.value.len ||
		    memcmp(fa.value.p, fb.value.p, fa.value.len) != 0)
			return false;
	}
}

/* A field's value for a message: ICCID digits, the PPRs, the profile class; "none" when
 * absent (a profile class: operational, SGP.22's default). */
static void value_str(orsp_slice v, uint32_t tag, char *out, size_t cap)
{
	static const char *const classes[] = {"test", "provisioning", "operational"};
	orsp_tlv f;
	uint32_t ppr = 0;
	uint64_t c = 0;
	char iccid[21];

	if (!field(v, tag, 0, &f)) {
		snprintf(out, cap, "%s", tag == 0x95 ? "operational (by default)" : "none");
	} else if (tag == 0x5A && f.value.len == 10 && !orsp_iccid_decode_ef(f.value.p, iccid)) {
		snprintf(out, cap, "%s", iccid);
	} else if (tag == 0x99 && !lpa_ppr_bits(f.value, &ppr)) {
		orsp_lpa_ppr_str(ppr, out, cap);
	} else if (tag == 0x95 && !orsp_der_uint(f.value, &c) && c < ORSP_ARRAY_LEN(classes)) {
		snprintf(out, cap, "%s", classes[c]);
	} else {
		snprintf(out, cap, "unreadable");
	}
	orsp_err_clear();
}

/* Appends entry to the list in out ("; " between entries); when it does not fit, "..." ends
 * the list and *full stops it. */
static void add(char *out, size_t cap, bool *full, const char *entry)
{
	size_t len = strlen(out), need = strlen(entry) + (len ? 2 : 0);

	if (*full)
		return;
	if (len + need + 5 < cap) { /* room left for a later "; ..." */
		snprintf(out + len, cap - len, "%s%s", len ? "; " : "", entry);
		return;
	}
	*full = true;
	snprintf(out + len, cap - len, "%s...", len ? "; " : "");
}

orsp_err orsp_lpa_metadata_compare(const uint8_t *shown, size_t n, const uint8_t *pkg, size_t m,
                                   char *diff, size_t cap)
{
	/* most telling first: what the eUICC enforces, then what identifies the profile */
	static const struct {
		uint32_t tag;
		const char *name;
		bool value;
	} known[] = {
	    {0x99, "profilePolicyRules", true},
	    {0x5A, "ICCID", true},
	    {0xB7, "profileOwner", false},
	    {0x95, "profileClass", true},
	    {0x92, "profileName", false},
	    {0x91, "serviceProviderName", false},
	    {0xB6, "notificationConfigurationInfo", false},
	    {0x93, "iconType", false},
	    {0x94, "icon", false},
	};
	orsp_slice a, b;
	bool many_a, many_b, full = false;
	orsp_err e;

	if (!diff || !cap)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	diff[0] = '\0';
	if ((e = fields_of(shown, n, &a, &many_a)) || (e = fields_of(pkg, m, &b, &many_b)))
		return e;
	if (n == m && memcmp(shown, pkg, n) == 0)
		return ORSP_OK;
	if (many_a || many_b) {
		add(diff, cap, &full, "more fields than the LPA compares one by one");
	} else {
		orsp_reader r;
		orsp_tlv f, g;
		char entry[200], va[80], vb[80];

		for (size_t i = 0; i < ORSP_ARRAY_LEN(known); i++) {
			if (same_fields(a, b, known[i].tag))
				continue;
			va[0] = vb[0] = '\0';
			if (known[i].value) {
				value_str(b, known[i].tag, vb, sizeof(vb));
				value_str(a, known[i].tag, va, sizeof(va));
			}
			/* the values when they tell the difference, else the field's name */
			if (strcmp(va, vb) != 0) {
				snprintf(entry, sizeof(entry), "%s %s instead of %s", known[i].name,
				         vb, va);
				add(diff, cap, &full, entry);
			} else {
				add(diff, cap, &full, known[i].name);
			}
		}
		/* fields SGP.22 v2.2 does not define (later versions add some): each tag once,
		 * from the shown metadata, then those only in the package */
		for (int side = 0; side < 2; side++) {
			orsp_slice v = side ? b : a, other = side ? a : b;
			orsp_reader_init(&r, v.p, v.len);
			while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &f)) {
				orsp_slice before = orsp_slice_make(v.p, (size_t)(f.raw.p - v.p));
				bool skip = false;
				for (size_t i = 0; i < ORSP_ARRAY_LEN(known); i++)
					skip = skip || known[i].tag == f.tag;
				/* met before: earlier on this side, or anywhere on the first */
				skip = skip || field(before, f.tag, 0, &g) ||
				       (side && field(other, f.tag, 0, &g));
				if (skip || same_fields(a, b, f.tag))
					continue;
				snprintf(entry, sizeof(entry), "field %X", (unsigned)f.tag);
				add(diff, cap, &full, entry);
			}
		}
		if (!diff[0])
			add(diff, cap, &full, "the order or encoding of its fields");
	}
	orsp_err_clear();
	return orsp_errf(ORSP_E_VERIFY, "the metadata differ: %s", diff);
}
