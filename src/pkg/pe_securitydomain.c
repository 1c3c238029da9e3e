/* PE-SecurityDomain (SAIP §8.6): the keys of a security domain's keyList (§8.6.3), whose
 * keyType is coded as GlobalPlatform Card Specification v2.3 Table 11-16 (Key Type Coding)
 * codes it. Key values are never exposed here except through orsp_pkg_get_sd_key_data. */
#include <stdio.h>
#include <string.h>

#include "pkg_internal.h"

/* GPCS Table 11-16: '80' DES (mode implicitly known), '82' Triple DES CBC, '83' DES ECB,
 * '84' DES CBC, '85' TLS pre-shared key, '88' AES, '90' HMAC-SHA1, '91' HMAC-SHA1-160;
 * 'A2'..'A8' the parts of an RSA private key, 'B1' an ECC private key. Every other type is
 * public (RSA 'A0'/'A1', ECC 'B0', curve parameters 'B2'..'B7', 'F0') or reserved. */
orsp_pkg_sd_key_kind sd_key_kind_of(const OCTET_STRING_t *type)
{
	uint8_t t;

	if (!type || type->size != 1 || !type->buf)
		return ORSP_PKG_SD_KEY_OTHER; /* 'FF' extended format and the like: not a key we
		                                 draw */
	t = type->buf[0];
	if (t == 0x80 || (t >= 0x82 && t <= 0x84))
		return ORSP_PKG_SD_KEY_DES;
	if (t == 0x85)
		return ORSP_PKG_SD_KEY_PSK;
	if (t == 0x88)
		return ORSP_PKG_SD_KEY_AES;
	if (t == 0x90 || t == 0x91)
		return ORSP_PKG_SD_KEY_HMAC;
	if ((t >= 0xA2 && t <= 0xA8) || t == 0xB1)
		return ORSP_PKG_SD_KEY_PRIVATE;
	return ORSP_PKG_SD_KEY_OTHER;
}

/* NULL if a key of this kind may be len bytes long, else the rule it breaks. */
static const char *sd_key_length_rule(orsp_pkg_sd_key_kind kind, size_t len)
{
	switch (kind) {
	case ORSP_PKG_SD_KEY_DES: /* single DES, two- and three-key Triple DES (TS 102 225 §5.1.2)
	                           */
		return len == 8 || len == 16 || len == 24 ? NULL : "DES needs 8, 16 or 24 bytes";
	case ORSP_PKG_SD_KEY_AES: /* FIPS 197 */
		return len == 16 || len == 24 || len == 32 ? NULL : "AES needs 16, 24 or 32 bytes";
	case ORSP_PKG_SD_KEY_PSK:
	case ORSP_PKG_SD_KEY_HMAC: /* at least 128 bits; at most what an orsp_secret holds */
		return len >= 16 && len <= ORSP_SECRET_MAX
		           ? NULL
		           : "TLS PSK and HMAC keys need 16 to 64 bytes";
	default:
		return NULL;
	}
}

/* Does a symmetric component before (j, m) in the keyList share the KVN and KID of key j?
 * GlobalPlatform identifies a key of a security domain by the pair (GPCS §11.1.8). */
static bool sd_key_clash(const PE_SecurityDomain_t *s, int j, int m)
{
	const KeyObject_t *ko = s->keyList->list.array[j];

	for (int jj = 0; jj <= j; jj++) {
		const KeyObject_t *o = s->keyList->list.array[jj];
		if (!o || o->keyVersionNumber.buf[0] != ko->keyVersionNumber.buf[0] ||
		    o->keyIdentifier.buf[0] != ko->keyIdentifier.buf[0])
			continue;
		for (int mm = 0; mm < (jj == j ? m : o->keyComponents.list.count); mm++)
			if (o->keyComponents.list.array[mm] &&
			    ORSP_PKG_SD_KEY_SYMMETRIC(
			        sd_key_kind_of(&o->keyComponents.list.array[mm]->keyType)))
				return true;
	}
	return false;
}

bool sd_key_refused(const PE_SecurityDomain_t *s, int j, int m, char *msg, size_t cap)
{
	const KeyObject_t *ko = s->keyList->list.array[j];
	const struct KeyObject__keyComponents__Member *kc = ko->keyComponents.list.array[m];
	/* keyVersionNumber and keyIdentifier are SIZE (1): the decoder checked */
	unsigned kvn = ko->keyVersionNumber.buf[0], kid = ko->keyIdentifier.buf[0];
	orsp_pkg_sd_key_kind kind = sd_key_kind_of(&kc->keyType);
	size_t len = (size_t)kc->keyData.size;
	const char *rule;

	if (!ORSP_PKG_SD_KEY_SYMMETRIC(kind))
		return false;
	if ((rule = sd_key_length_rule(kind, len)) != NULL)
		snprintf(msg, cap,
		         "key KVN %02X KID %02X: keyType %02X with %zu bytes of keyData: %s", kvn,
		         kid, (unsigned)kc->keyType.buf[0], len, rule);
	else if (sd_key_clash(s, j, m))
		snprintf(msg, cap, "two symmetric keys with KVN %02X KID %02X", kvn, kid);
	else
		return false;
	return true;
}

const char *orsp_pkg_sd_key_type_name(int type)
{
	/* GPCS v2.3 Table 11-16 */
	static const struct {
		uint8_t type;
		const char *name;
	} names[] = {
	    {0x80, "DES"},          {0x82, "3DES-CBC"},       {0x83, "DES-ECB"},
	    {0x84, "DES-CBC"},      {0x85, "TLS-PSK"},        {0x88, "AES"},
	    {0x90, "HMAC-SHA1"},    {0x91, "HMAC-SHA1-160"},  {0xA0, "RSA-public-e"},
	    {0xA1, "RSA-public-N"}, {0xA2, "RSA-private-N"},  {0xA3, "RSA-private-d"},
	    {0xA4, "RSA-CRT-P"},    {0xA5, "RSA-CRT-Q"},      {0xA6, "RSA-CRT-PQ"},
	    {0xA7, "RSA-CRT-DP1"},  {0xA8, "RSA-CRT-DQ1"},    {0xB0, "ECC-public"},
	    {0xB1, "ECC-private"},  {0xB2, "ECC-field-P"},    {0xB3, "ECC-field-A"},
	    {0xB4, "ECC-field-B"},  {0xB5, "ECC-field-G"},    {0xB6, "ECC-field-N"},
	    {0xB7, "ECC-field-k"},  {0xF0, "ECC-parameters"},
	};

	if (type < 0)
		return "extended";
	for (size_t i = 0; i < ORSP_ARRAY_LEN(names); i++)
		if (names[i].type == type)
			return names[i].name;
	return "reserved";
}

orsp_err orsp_pkg_get_sd(const orsp_pkg *pkg, size_t n, orsp_pkg_sd *out)
{
	const ApplicationInstance_t *in;
	const PE_SecurityDomain_t *s;
	long i;

	if (!pkg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_sd: NULL argument");
	memset(out, 0, sizeof(*out));
	i = pkg_find(pkg, ORSP_PE_SECURITY_DOMAIN, n);
	if (i < 0 || !pkg->pe[i].asn)
		return orsp_errf(ORSP_E_NOT_FOUND, "no PE-SecurityDomain #%zu", n);
	s = &pkg->pe[i].asn->choice.securityDomain;
	in = &s->instance;
	out->pe_index = (size_t)i;
	out->sd = (unsigned)n + 1;
	if (in->instanceAID.buf && in->instanceAID.size >= 5 &&
	    (size_t)in->instanceAID.size <= sizeof(out->aid)) {
		out->aid_len = (size_t)in->instanceAID.size;
		memcpy(out->aid, in->instanceAID.buf, out->aid_len);
	}
	if (in->applicationPrivileges.buf && in->applicationPrivileges.size >= 1 &&
	    (size_t)in->applicationPrivileges.size <= sizeof(out->privileges)) {
		out->privileges_len = (size_t)in->applicationPrivileges.size;
		memcpy(out->privileges, in->applicationPrivileges.buf, out->privileges_len);
	}
	out->n_keys = s->keyList ? (size_t)s->keyList->list.count : 0;
	return ORSP_OK;
}

/* A one-byte OCTET STRING's value, else -1. */
static int byte_of(const OCTET_STRING_t *os)
{
	return os && os->buf && os->size == 1 ? os->buf[0] : -1;
}

orsp_err orsp_pkg_get_sd_keys(const orsp_pkg *pkg, orsp_pkg_sd_key *out, size_t cap, size_t *n)
{
	size_t k = 0;
	unsigned sd = 0;

	if (!pkg || !n || (!out && cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_sd_keys: NULL argument");
	for (size_t i = 0; i < pkg->n; i++) {
		const PE_SecurityDomain_t *s;
		if (pkg->pe[i].type != ORSP_PE_SECURITY_DOMAIN || !pkg->pe[i].asn)
			continue;
		sd++;
		s = &pkg->pe[i].asn->choice.securityDomain;
		for (int j = 0; s->keyList && j < s->keyList->list.count; j++) {
			const KeyObject_t *ko = s->keyList->list.array[j];
			for (int c = 0; ko && c < ko->keyComponents.list.count; c++, k++) {
				const struct KeyObject__keyComponents__Member *m =
				    ko->keyComponents.list.array[c];
				orsp_pkg_sd_key *o = k < cap ? &out[k] : NULL;
				if (!o || !m)
					continue;
				memset(o, 0, sizeof(*o));
				o->pe_index = i;
				o->sd = sd;
				o->key = (size_t)j;
				o->component = (size_t)c;
				/* SIZE (1) in the module: the decoder checked it */
				o->kvn = (uint8_t)byte_of(&ko->keyVersionNumber);
				o->kid = (uint8_t)byte_of(&ko->keyIdentifier);
				o->type = byte_of(&m->keyType);
				o->len = (size_t)m->keyData.size;
				o->kind = sd_key_kind_of(&m->keyType);
				if (ko->keyUsageQualifier.buf && ko->keyUsageQualifier.size >= 1 &&
				    ko->keyUsageQualifier.size <= 2) {
					o->usage_len = (size_t)ko->keyUsageQualifier.size;
					memcpy(o->usage, ko->keyUsageQualifier.buf, o->usage_len);
				}
			}
		}
	}
	*n = k;
	return ORSP_OK;
}

orsp_err orsp_pkg_get_sd_key_data(const orsp_pkg *pkg, const orsp_pkg_sd_key *key, orsp_secret *out)
{
	const PE_SecurityDomain_t *s;
	const KeyObject_t *ko;
	const struct KeyObject__keyComponents__Member *m;

	if (!pkg || !key || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_sd_key_data: NULL argument");
	memset(out, 0, sizeof(*out));
	if (key->pe_index >= pkg->n || pkg->pe[key->pe_index].type != ORSP_PE_SECURITY_DOMAIN ||
	    !pkg->pe[key->pe_index].asn)
		return orsp_errf(ORSP_E_USAGE, "PE #%zu is not a securityDomain", key->pe_index);
	s = &pkg->pe[key->pe_index].asn->choice.securityDomain;
	if (!s->keyList || key->key >= (size_t)s->keyList->list.count ||
	    !(ko = s->keyList->list.array[key->key]) ||
	    key->component >= (size_t)ko->keyComponents.list.count ||
	    !(m = ko->keyComponents.list.array[key->component]))
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "PE #%zu (securityDomain): no key %zu component %zu",
		                 key->pe_index, key->key, key->component);
	if (m->keyData.size < 0 || (size_t)m->keyData.size > ORSP_SECRET_MAX)
		return pe_errf(key->pe_index, ORSP_PE_SECURITY_DOMAIN, ORSP_E_MALFORMED,
		               "key KVN %02X KID %02X: keyData of %d bytes, more than %d", key->kvn,
		               key->kid, m->keyData.size, ORSP_SECRET_MAX);
	return orsp_secret_set(out, m->keyData.buf, (size_t)m->keyData.size);
}
