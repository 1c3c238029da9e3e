/* openrsp lpa: the remaining ES10a/c functions of the device agent — EUICCInfo2 (chip info),
 * the configured addresses, SetDefaultDpAddress and eUICCMemoryReset (SGP.22 §5.7.3, §5.7.4,
 * §5.7.19, §5.7.20). Responses are parsed strictly. */
#include <stdio.h>
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/lpa.h"

#include "lpa_internal.h"

/* One ES10 call; the answer must be exactly one valid TLV with the request's tag. */
static orsp_err es10_call(orsp_lpa_card *c, const uint8_t *req, size_t n, uint8_t *rsp, size_t cap,
                          orsp_tlv *out)
{
	size_t rl = 0;
	uint32_t tag = (uint32_t)(req[0] << 8 | req[1]);
	orsp_err e = orsp_lpa_es10(c, req, n, rsp, cap, &rl);

	if (e)
		return e;
	if (orsp_der_parse_one(orsp_slice_make(rsp, rl), out) || out->tag != tag ||
	    orsp_der_validate(out->raw, 16))
		return orsp_errf(ORSP_E_MALFORMED, "card: malformed answer to %04X", (unsigned)tag);
	return ORSP_OK;
}

static orsp_err version_str(orsp_slice v, char out[12])
{
	if (v.len != 3)
		return orsp_errf(ORSP_E_MALFORMED, "card: EUICCInfo2: a version is not 3 bytes");
	snprintf(out, 12, "%u.%u.%u", v.p[0], v.p[1], v.p[2]);
	return ORSP_OK;
}

/* A UTF8String the LPA shows as it is: well-formed UTF-8 (X.690 §8.23.10: anything else is
 * not DER of a UTF8String) without a control character, C0, DEL or C1 (0x9B alone, or as
 * U+009B, is CSI to many terminals), or one that reorders or hides text (U+202E, U+200B:
 * orsp_utf8_is_control), and shorter than cap. What lpa_text_copy would show
 * as '?' is refused here, as control characters always were: an address with a byte
 * replaced would be another address. */
static bool text_ok(orsp_slice v, size_t cap)
{
	return v.len < cap && orsp_utf8_text_chars(v.p, v.len) >= 0;
}

orsp_err orsp_lpa_euicc_info2(orsp_lpa_card *c, orsp_lpa_info2 *out)
{
	static const uint8_t req[] = {0xBF, 0x22, 0x00};
	uint8_t rsp[2048];
	orsp_tlv t, f;
	orsp_reader r;
	unsigned seen = 0;
	orsp_err e;

	if (!c || !out)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(out, 0, sizeof(*out));
	if ((e = es10_call(c, req, sizeof(req), rsp, sizeof(rsp), &t)))
		return e;
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		/* each field once (the mandatory four first: bits 0-3) */
		static const uint32_t once[] = {0x81, 0x82, 0x83, 0x84, 0x85,
		                                0xA9, 0xAA, 0x8B, 0x0C};
		if (orsp_der_read(&r, &f))
			return orsp_errf(ORSP_E_MALFORMED, "card: EUICCInfo2");
		if ((e = lpa_field_once(&seen, f.tag, once, ORSP_ARRAY_LEN(once), "EUICCInfo2")))
			return e;
		switch (f.tag) {
		case 0x81:
			e = version_str(f.value, out->profile_version);
			break;
		case 0x82:
			e = version_str(f.value, out->svn);
			break;
		case 0x83:
			e = version_str(f.value, out->firmware);
			break;
		case 0x84: {
			/* ETSI TS 102 226 §8.2.1.7.2: 81 installed applications, 82 free
			 * non-volatile memory, 83 free volatile memory; a TLV of another tag
			 * (that TS has added some) is skipped, whatever its form or size */
			orsp_reader rr;
			orsp_tlv x;
			uint64_t v;
			orsp_reader_init(&rr, f.value.p, f.value.len);
			while (!e && orsp_reader_remaining(&rr)) {
				/* unsigned big-endian numbers (free memory may have its top bit
				 * set) */
				if (orsp_der_read(&rr, &x) ||
				    (x.tag >= 0x81 && x.tag <= 0x83 && x.value.len > 8)) {
					e = orsp_errf(ORSP_E_MALFORMED,
					              "card: EUICCInfo2: extCardResource");
					break;
				}
				v = 0;
				for (size_t k = 0; k < x.value.len; k++)
					v = v << 8 | x.value.p[k];
				if (x.tag == 0x81)
					out->installed_apps = v;
				else if (x.tag == 0x82)
					out->free_nvm = v;
				else if (x.tag == 0x83)
					out->free_ram = v;
			}
			out->has_resources = true;
			break;
		}
		case 0xA9:
		case 0xAA: {
			orsp_reader rr;
			orsp_tlv k;
			size_t *n = f.tag == 0xA9 ? &out->n_ci_verify : &out->n_ci_sign;
			size_t *more = f.tag == 0xA9 ? &out->more_ci_verify : &out->more_ci_sign;
			uint8_t(*dst)[20] = f.tag == 0xA9 ? out->ci_verify : out->ci_sign;
			orsp_reader_init(&rr, f.value.p, f.value.len);
			while (!e && orsp_reader_remaining(&rr)) {
				if (orsp_der_read(&rr, &k) || k.tag != 0x04 || k.value.len != 20)
					e = orsp_errf(ORSP_E_MALFORMED,
					              "card: EUICCInfo2: a CI key identifier");
				else if (*n < ORSP_LPA_MAX_CI)
					memcpy(dst[(*n)++], k.value.p, 20);
				else /* counted, not dropped unsaid (until session 68 past 4) */
					(*more)++;
			}
			break;
		}
		case 0x85: {
			size_t nbits = 0;
			if (orsp_der_bits(f.value, &out->uicc_caps, &nbits) != ORSP_OK ||
			    nbits > 64) {
				e = orsp_errf(ORSP_E_MALFORMED, "card: EUICCInfo2: uiccCapability");
				break;
			}
			out->uicc_cap_bits = (unsigned)nbits;
			break;
		}
		case 0x8B:
			/* an INTEGER whose named numbers (0..3) do not constrain it: a later
			 * category is kept as its number */
			if (orsp_der_uint(f.value, &out->category))
				e = orsp_errf(ORSP_E_MALFORMED, "card: EUICCInfo2: euiccCategory");
			break;
		case 0x0C:
			if (!text_ok(f.value, sizeof(out->sas)))
				e = orsp_errf(ORSP_E_MALFORMED,
				              "card: EUICCInfo2: sasAcreditationNumber");
			else
				memcpy(out->sas, f.value.p, f.value.len);
			break;
		default:
			break; /* rspCapability, ppVersion, ...: not shown */
		}
		if (e)
			return e;
	}
	if ((seen & 15) != 15)
		return orsp_errf(ORSP_E_MALFORMED, "card: EUICCInfo2 without a mandatory field");
	return ORSP_OK;
}

orsp_err orsp_lpa_addresses(orsp_lpa_card *c, char default_dp[256], char root_ds[256])
{
	static const uint8_t req[] = {0xBF, 0x3C, 0x00};
	uint8_t rsp[600];
	orsp_tlv t, f[2];
	orsp_reader r;
	size_t n = 0;
	orsp_err e;

	if (!c || !default_dp || !root_ds)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	default_dp[0] = root_ds[0] = '\0';
	if ((e = es10_call(c, req, sizeof(req), rsp, sizeof(rsp), &t)))
		return e;
	/* EuiccConfiguredAddressesResponse: defaultDpAddress [0] OPTIONAL, rootDsAddress [1],
	 * then what a later version adds (EXTENSIBILITY IMPLIED: SGP.22 v3 has more there),
	 * skipped, each a well-formed TLV of another tag (one of these two again, or out of
	 * order, is no extension) */
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r) && n < 2 && (n == 0 || f[n - 1].tag != 0x81))
		if (orsp_der_read(&r, &f[n++]))
			return orsp_errf(ORSP_E_MALFORMED, "card: EuiccConfiguredAddresses");
	if (orsp_der_skip_extensions(&r, (const uint32_t[]){0x80, 0x81}, 2, ORSP_DER_MAX_DEPTH))
		return orsp_errf(ORSP_E_MALFORMED, "card: EuiccConfiguredAddresses");
	if (!((n == 1 && f[0].tag == 0x81) || (n == 2 && f[0].tag == 0x80 && f[1].tag == 0x81)) ||
	    !text_ok(f[0].value, 256) || (n == 2 && !text_ok(f[1].value, 256)))
		return orsp_errf(ORSP_E_MALFORMED, "card: EuiccConfiguredAddresses");
	if (n == 2) {
		memcpy(default_dp, f[0].value.p, f[0].value.len);
		default_dp[f[0].value.len] = '\0';
	}
	memcpy(root_ds, f[n - 1].value.p, f[n - 1].value.len);
	root_ds[f[n - 1].value.len] = '\0';
	return ORSP_OK;
}

static orsp_err result_code(const char *what, const orsp_tlv *t, uint64_t *v)
{
	orsp_tlv f;
	if (lpa_first_field(t->value, &f) || f.tag != 0x80 || orsp_der_uint(f.value, v))
		return orsp_errf(ORSP_E_MALFORMED, "card: %s answer", what);
	return ORSP_OK;
}

orsp_err orsp_lpa_set_default_dp(orsp_lpa_card *c, const char *fqdn)
{
	uint8_t req[300], rsp[32];
	size_t n = fqdn ? strlen(fqdn) : 0;
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv t;
	uint64_t v = 0;
	orsp_err e;

	if (!c || !fqdn)
		return orsp_errf(ORSP_E_USAGE, "default SM-DP+ address: bad arguments");
	if (n && orsp_fqdn_check(fqdn, n))
		return orsp_errf(ORSP_E_USAGE,
		                 "default SM-DP+ address: %s; expected " ORSP_LPA_ADDRESS_RULE,
		                 orsp_err_detail());
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF3F);
	orsp_der_put_tlv(&w, 0x80, fqdn, n);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) || (e = es10_call(c, req, w.len, rsp, sizeof(rsp), &t)) ||
	    (e = result_code("SetDefaultDpAddress", &t, &v)))
		return e;
	if (v != 0)
		return orsp_errf(ORSP_E_STATE,
		                 "the eUICC refused the default SM-DP+ address (error %llu)",
		                 (unsigned long long)v);
	return ORSP_OK;
}

orsp_err orsp_lpa_memory_reset(orsp_lpa_card *c, unsigned options)
{
	uint8_t req[16], rsp[32], bits = 0, unused = 7;
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv t;
	uint64_t v = 0;
	orsp_err e;

	if (!c || !options || (options & ~7u))
		return orsp_errf(ORSP_E_USAGE, "memory reset: choose what to reset");
	/* resetOptions [2] BIT STRING: bit 0 = 0x80; DER drops trailing zero bits */
	for (unsigned b = 0; b < 3; b++)
		if (options & (1u << b)) {
			bits |= (uint8_t)(0x80 >> b);
			unused = (uint8_t)(7 - b);
		}
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF34);
	orsp_der_put_tlv(&w, 0x82, (uint8_t[]){unused, bits}, 2);
	orsp_der_end(&w, m);
	if ((e = orsp_writer_status(&w)) || (e = es10_call(c, req, w.len, rsp, sizeof(rsp), &t)) ||
	    (e = result_code("eUICCMemoryReset", &t, &v)))
		return e;
	/* eUICCMemoryResetResponse (SGP.22 §5.7.19): ok(0), nothingToDelete(1), catBusy(5),
	 * undefinedError(127); the caller's label names the operation */
	if (v == 1)
		return orsp_errf(ORSP_E_NOT_FOUND, "nothing to delete (nothingToDelete)");
	if (v == 5)
		return orsp_errf(ORSP_E_STATE, "the card is busy (catBusy)");
	if (v == 127) /* the delete notifications may not fit (see card.c) */
		return lpa_undefined_error(c);
	if (v != 0)
		return orsp_errf(ORSP_E_STATE, "the eUICC refused the memory reset (error %llu)",
		                 (unsigned long long)v);
	return ORSP_OK;
}
