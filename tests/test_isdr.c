/* openrsp tests: the eUICC ISD-R core (ES10a/b/c, SGP.22 v2.2 §5.7) driven the way an LPA
 * drives a card — STORE DATA in 120-byte blocks through the APDU layer, the bound profile
 * package split as lpac splits it — with the test playing the SM-DP+ (SGP.26 test PKI,
 * bound profile packages from TS.48 profiles built with orsp_bsp_bpp_build). Every signature
 * the card returns is verified here with the public key of the SGP.26 CERT.EUICC.
 *
 * Every response is also decoded with the asn1c RSPDefinitions codec. Persistence goes to an
 * in-memory record store that can fail its Nth commit (crash injection). The card, the
 * store and the SM-DP+ side are the fixture in tests/isdr_fixture.c, shared with tests/
 * test_isdr_download.c, an independent second test of the same core.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "certmint.h"
#include "isdr_fixture.h"

#include "openrsp/aka.h"
#include "openrsp/pkg.h"

#define ICCID_A ISDR_V2_ICCID /* the TS.48 template's own */
#define ICCID_B "89000123456789012358"
#define ICCID_C "89000123456789012366"

/* ---------------------------------------------------------------- ES10 helpers ---------- */

static int enable(card *c, const char *iccid)
{
	assert_int_equal(by_iccid(c, 0xBF31, iccid), 0x9000);
	return rsp_code(c, 0xBF31);
}

static int disable(card *c, const char *iccid)
{
	assert_int_equal(by_iccid(c, 0xBF32, iccid), 0x9000);
	return rsp_code(c, 0xBF32);
}

static int delete (card *c, const char *iccid)
{
	assert_int_equal(by_iccid(c, 0xBF33, iccid), 0x9000);
	return rsp_code(c, 0xBF33);
}

/* The enabled profile's ICCID per orsp_euicc_profile_get, "" when none. */
static const char *enabled_iccid(card *c)
{
	static orsp_euicc_profile_info pi;
	for (size_t i = 0; i < orsp_euicc_profile_count(&c->e); i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		if (pi.enabled)
			return pi.iccid;
	}
	return "";
}

static bool has_profile(card *c, const char *iccid)
{
	orsp_euicc_profile_info pi;
	for (size_t i = 0; i < orsp_euicc_profile_count(&c->e); i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		if (!strcmp(pi.iccid, iccid))
			return true;
	}
	return false;
}

/* Number of E3 entries of GetProfilesInfo. */
static size_t profiles_info_count(card *c, const char *req_hex)
{
	orsp_tlv a0, e3;
	orsp_reader r;
	size_t n = 0;
	assert_int_equal(es10_hex(c, req_hex), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_expect(&r, 0xE3, &e3), ORSP_OK);
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------- tests ----------------- */

static void test_info(void **state)
{
	card *c = card_new();
	orsp_tlv f, a9;
	(void)state;

	/* GetEID: the EID of the identity */
	assert_int_equal(es10_hex(c, "BF3E035C015A"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3E), 0x5A, &f));
	uint8_t eid[16];
	assert_int_equal(orsp_hex_decode_exact(EID, eid, 16), ORSP_OK);
	assert_int_equal(f.value.len, 16);
	assert_bytes_equal(f.value.p, eid, 16);
	assert_string_equal(orsp_euicc_eid(&c->e), EID);

	/* GetEUICCInfo1: the CI's SKI in both lists */
	assert_int_equal(es10_hex(c, "BF2000"), 0x9000);
	orsp_slice v = rsp_value(c, 0xBF20);
	assert_true(find_tlv(v, 0x82, &f));
	assert_true(find_tlv(v, 0xA9, &a9));
	assert_true(find_tlv(a9.value, 0x04, &f));
	assert_int_equal(f.value.len, c->ci_ski_len);
	assert_bytes_equal(f.value.p, c->ci_ski, c->ci_ski_len);
	assert_true(find_tlv(v, 0xAA, &a9));
	assert_true(find_tlv(a9.value, 0x04, &f));
	assert_bytes_equal(f.value.p, c->ci_ski, c->ci_ski_len);

	/* GetEUICCInfo2 */
	assert_int_equal(es10_hex(c, "BF2200"), 0x9000);
	v = rsp_value(c, 0xBF22);
	assert_true(find_tlv(v, 0x81, &f)); /* profileVersion */
	assert_true(find_tlv(v, 0x82, &f)); /* svn */
	/* uiccCapability, a DER BIT STRING: usimSupport (1), isimSupport (2), akaMilenage (4),
	 * akaTuak128 (6), akaTuak256 (7), no trailing zero bits */
	assert_true(find_tlv(v, 0x85, &f));
	assert_int_equal(f.value.len, 2);
	assert_memory_equal(f.value.p, "\x00\x6B", 2);
	assert_true(find_tlv(v, 0xA9, &f));
	assert_true(find_tlv(v, 0xAA, &f));

	/* GetEUICCChallenge: 16 bytes, fresh each time */
	get_challenge(c);
	uint8_t first[16];
	memcpy(first, c->echal, 16);
	get_challenge(c);
	assert_memory_not_equal(first, c->echal, 16);

	/* GetEuiccConfiguredAddresses: the default SM-DP+; SetDefaultDpAddress changes it */
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_memory_equal(f.value.p, SMDP_ADDR, f.value.len);
	assert_int_equal(es10_hex(c, "BF3F0780056E65772E6E"), 0x9000); /* "new.n" */
	assert_int_equal(rsp_code(c, 0xBF3F), 0);
	card_reopen(c);
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, 5);
	assert_memory_equal(f.value.p, "new.n", 5);

	/* GetRAT answers (its content: test_ppr) */
	assert_int_equal(es10_hex(c, "BF4300"), 0x9000);
	(void)rsp_value(c, 0xBF43);

	/* an unknown function, malformed TLVs: refused with a status word, never a crash */
	assert_int_equal(es10_hex(c, "BF7F00"), 0x6A81);
	assert_int_not_equal(es10_hex(c, "BF2E05"), 0x9000);     /* length beyond the data */
	assert_int_not_equal(es10_hex(c, "BF2E000000"), 0x9000); /* trailing bytes */
	assert_int_not_equal(es10_hex(c, "BF2E8100"), 0x9000);   /* non-minimal length */
	card_free(c);
}

/* SetDefaultDpAddress with these bytes as defaultDpAddress: the result code. */
static int set_default_dp(card *c, const void *addr, size_t len)
{
	uint8_t req[300];
	orsp_writer w;
	orsp_der_mark m;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF3F);
	orsp_der_put_tlv(&w, 0x80, addr, len);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(store_data(c, req, w.len), 0x9000);
	return rsp_code(c, 0xBF3F);
}

/* GetEuiccConfiguredAddresses' defaultDpAddress is want ("": absent). */
static void check_default_dp(card *c, const char *want)
{
	orsp_tlv f;

	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	if (!want[0]) {
		assert_false(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
		return;
	}
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, strlen(want));
	assert_memory_equal(f.value.p, want, f.value.len);
}

/* SetDefaultDpAddress takes what provisioning takes, a host name by orsp_fqdn_check's rule,
 * or nothing (the default address removed); anything else is undefinedError, never cut or
 * kept as received: the address is unchanged and nothing is committed. */
static void test_default_dp(void **state)
{
	static const struct {
		const char *v;
		size_t len;
	} bad[] = {
	    {"a.com\0x.yy", 10},          /* a NUL: was cut to "a.com" */
	    {"\xFF\xFE", 2},              /* not UTF-8: was kept and answered */
	    {"sm\303\251dp.example", 15}, /* UTF-8, but not a host name */
	    {"smdp", 4},                  /* one label */
	    {"192.0.2.1", 9},             /* an address */
	    {"smdp.example.", 13},        /* a trailing dot */
	    {"smdp.example:443", 16},     /* a port */
	    {"https://smdp.example", 20},
	};
	char longest[ORSP_FQDN_MAX + 2];
	card *c = card_new();
	int calls;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		calls = c->st.calls;
		assert_int_equal(set_default_dp(c, bad[i].v, bad[i].len), 127);
		assert_int_equal(c->st.calls, calls);
		check_default_dp(c, SMDP_ADDR);
	}
	/* 253 characters, the longest host name, and one more */
	memset(longest, 'a', sizeof(longest));
	longest[63] = longest[127] = longest[191] = '.';
	longest[ORSP_FQDN_MAX] = '\0';
	assert_int_equal(set_default_dp(c, longest, ORSP_FQDN_MAX), 0);
	card_reopen(c);
	check_default_dp(c, longest);
	longest[ORSP_FQDN_MAX] = 'a';
	assert_int_equal(set_default_dp(c, longest, ORSP_FQDN_MAX + 1), 127);
	longest[ORSP_FQDN_MAX] = '\0';
	check_default_dp(c, longest);
	/* empty: no default address any more */
	assert_int_equal(set_default_dp(c, "", 0), 0);
	card_reopen(c);
	check_default_dp(c, "");
	assert_int_equal(set_default_dp(c, "SMDP.Example-1.com", 18), 0);
	check_default_dp(c, "SMDP.Example-1.com");
	card_free(c);
}

static void run_download(pki which)
{
	card *c = card_new_pki(which);
	uint8_t aid[16];
	int calls = c->st.calls;

	install_ok(c, ICCID_A, 0, aid);
	/* the load record at ConfigureISDP, StoreMetadata and the first '86' (docs/euicc.md),
	 * then one commit of upp + isdr */
	assert_int_equal(c->st.calls, calls + 4);
	/* the ISD-P AID A0000005591010FFFFFFFF89000010nn */
	static const uint8_t base[14] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10,
	                                 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00};
	assert_memory_equal(aid, base, 14);
	assert_int_equal(aid[14], 0x10);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_true(has_profile(c, ICCID_A));
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 1);

	/* survives a power cycle */
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	orsp_euicc_profile_info pi;
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.iccid, ICCID_A);
	assert_string_equal(pi.name, PROFILE_NAME);
	assert_string_equal(pi.spn, PROFILE_SPN);
	assert_int_equal(pi.profile_class, 2);
	assert_memory_equal(pi.aid, aid, 16);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 1, &pi), ORSP_E_NOT_FOUND);
	orsp_err_clear();

	/* GetProfilesInfo: all, by ICCID, by AID, with a tagList */
	assert_int_equal(profiles_info_count(c, "BF2D00"), 1);
	assert_int_equal(profiles_info_count(c, "BF2D0EA00C5A0A98001032547698103214"), 1);
	assert_int_equal(profiles_info_count(c, "BF2D0EA00C5A0A98001032547698103285"), 0);
	char hex[80];
	snprintf(hex, sizeof(hex), "BF2D14A0124F10");
	assert_int_equal(orsp_hex_encode(aid, 16, hex + strlen(hex), sizeof(hex) - strlen(hex)),
	                 ORSP_OK);
	assert_int_equal(profiles_info_count(c, hex), 1);
	assert_int_equal(profiles_info_count(c, "BF2D05A003950102"), 1); /* operational */
	assert_int_equal(profiles_info_count(c, "BF2D05A003950100"), 0); /* test */
	assert_int_equal(es10_hex(c, "BF2D035C015A"), 0x9000);
	{
		orsp_tlv a0, e3, f;
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_int_equal(orsp_der_parse_one(e3.value, &f), ORSP_OK);
		assert_int_equal(f.tag, 0x5A); /* only what the tagList asked for */
		assert_int_equal(f.raw.len, e3.value.len);
	}
	/* notificationConfigurationInfo (B6) when asked for: each address with its events, as
	 * the metadata gave them (install at least: the PIR's address); never without a tagList */
	assert_int_equal(es10_hex(c, "BF2D045C025AB6"), 0x9000);
	{
		orsp_tlv a0, e3, b6, entry, bits, addr;
		orsp_reader r;
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_true(find_tlv(e3.value, 0xB6, &b6));
		assert_false(find_tlv(e3.value, 0x92, &addr));
		orsp_reader_init(&r, b6.value.p, b6.value.len);
		assert_int_equal(orsp_der_read(&r, &entry), ORSP_OK);
		assert_int_equal(entry.tag, 0x30);
		assert_true(find_tlv(entry.value, 0x80, &bits));
		assert_true(bits.value.len == 2 && (bits.value.p[1] & 0x80)); /* install */
		assert_true(find_tlv(entry.value, 0x81, &addr));
		assert_true(addr.value.len > 0);
	}
	assert_int_equal(es10_hex(c, "BF2D00"), 0x9000);
	{
		orsp_tlv a0, e3, b6;
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_false(find_tlv(e3.value, 0xB6, &b6));
	}

	/* enable: state 1, the USIM appears */
	assert_int_equal(select_usim(c), 0x6A82);
	calls = c->st.calls;
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(c->st.calls, calls + 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_not_equal(select_usim(c), 0x6A82);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_not_equal(select_usim(c), 0x6A82);
	/* enabling it again, deleting it while enabled */
	assert_int_equal(enable(c, ICCID_A), 2);
	assert_int_equal(delete (c, ICCID_A), 2);
	/* disable: the USIM goes */
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(disable(c, ICCID_A), 2);
	/* SetNickname */
	assert_int_equal(es10_hex(c, "BF2914"
	                             "5A0A98001032547698103214"
	                             "9006"
	                             "4D7950686F6E"),
	                 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.nickname, "MyPhon");
	assert_int_equal(es10_hex(c, "BF2914"
	                             "5A0A98001032547698103285"
	                             "9006"
	                             "4D7950686F6E"),
	                 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 1);
	/* delete by AID */
	calls = c->st.calls;
	assert_int_equal(by_aid(c, 0xBF33, aid), 0x9000);
	assert_int_equal(c->st.calls, calls + 1); /* isdr + upp + sqn removal together */
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	/* unknown ICCID / AID */
	assert_int_equal(enable(c, ICCID_A), 1);
	assert_int_equal(disable(c, ICCID_B), 1);
	assert_int_equal(delete (c, ICCID_A), 1);
	assert_int_equal(by_aid(c, 0xBF31, aid), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF31), 1);
	card_free(c);
}

/* A list answer (ListNotification, GetProfilesInfo): -1 for the list [0], else its error
 * code [1]. */
static int list_code(card *c, uint32_t tag)
{
	orsp_tlv f;
	uint64_t v;
	orsp_slice a = rsp_value(c, tag);
	if (find_tlv(a, 0xA0, &f))
		return -1;
	assert_true(find_tlv(a, 0x81, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	return (int)v;
}

/* The rsp module is EXTENSIBILITY IMPLIED (X.680 §52): a request with fields a later version
 * adds after the known ones (here [5] NULL) is done as without them; a known field again or
 * after them is still undefinedError (127), and bytes that do not read are no command. */
static void test_request_extensions(void **state)
{
	card *c = card_new();
	uint8_t aid[16];
	dl_opts ok = {0};
	orsp_euicc_profile_info pi;
	orsp_tlv f;
	(void)state;

	install_ok(c, ICCID_A, 0, aid);
	/* EnableProfile, DisableProfile { profileIdentifier [0], refreshFlag [1] } */
	assert_int_equal(es10_hex(c, "BF3113A00C5A0A980010325476981032148101FF8500"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF31), 0);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(es10_hex(c, "BF3214A00C5A0A980010325476981032148101FF8101FF"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF32), 127); /* refreshFlag again */
	assert_int_equal(es10_hex(c, "BF3213A00C5A0A980010325476981032148101FF8500"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF32), 0);
	assert_string_equal(enabled_iccid(c), "");
	/* bytes after the request's SEQUENCE do not read: no command */
	assert_int_not_equal(es10_hex(c, "BF3214A00C5A0A980010325476981032148101FF850285"), 0x9000);
	/* SetNickname { iccid, profileNickname [16] } */
	assert_int_equal(es10_hex(c, "BF29125A0A98001032547698103214900268698500"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 0);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.nickname, "hi");
	assert_int_equal(es10_hex(c, "BF29165A0A980010325476981032149002686985009002686F"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 127); /* the nickname again, after one */
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.nickname, "hi");
	/* GetProfilesInfo { searchCriteria [0] OPTIONAL, tagList 5C OPTIONAL } */
	assert_int_equal(profiles_info_count(c, "BF2D055C015A8500"), 1);
	assert_int_equal(profiles_info_count(c, "BF2D028500"), 1);
	assert_int_equal(profiles_info_count(c, "BF2D10A00C5A0A980010325476981032148500"), 1);
	assert_int_equal(es10_hex(c, "BF2D065C015A5C015A"), 0x9000); /* tagList twice */
	assert_int_equal(list_code(c, 0xBF2D), 127);
	assert_int_equal(es10_hex(c, "BF2D115C015AA00C5A0A98001032547698103214"), 0x9000);
	assert_int_equal(list_code(c, 0xBF2D), 127); /* searchCriteria after tagList */
	assert_int_equal(es10_hex(c, "BF2D075C015A85005C00"), 0x9000); /* after a [5] */
	assert_int_equal(list_code(c, 0xBF2D), 127);
	/* ListNotification { profileManagementOperation [1] OPTIONAL } */
	assert_int_equal(es10_hex(c, "BF2806810204F08500"), 0x9000);
	assert_int_equal(list_code(c, 0xBF28), -1);
	assert_int_equal(es10_hex(c, "BF28028500"), 0x9000);
	assert_int_equal(list_code(c, 0xBF28), -1);
	assert_int_equal(es10_hex(c, "BF2808810204F0810204F0"), 0x9000); /* the filter twice */
	assert_int_equal(list_code(c, 0xBF28), 127);
	assert_int_equal(es10_hex(c, "BF28068500810204F0"), 0x9000); /* the filter after a [5] */
	assert_int_equal(list_code(c, 0xBF28), 127);
	/* NotificationSent { seqNumber [0] }: no such notification */
	assert_int_equal(es10_hex(c, "BF30058001638500"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF30), 1);
	assert_int_equal(es10_hex(c, "BF3006800163800163"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF30), 127);
	/* CancelSession { transactionId [0], reason [1] }: the signed answer */
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 0);
	{
		uint8_t req[40];
		orsp_writer w;
		orsp_der_mark m;
		for (int again = 1; again >= 0; again--) {
			orsp_writer_init(&w, req, sizeof(req));
			m = orsp_der_begin(&w, 0xBF41);
			orsp_der_put_tlv(&w, 0x80, c->tid, c->tid_len);
			orsp_der_put_tlv(&w, 0x81, "\x00", 1);
			orsp_der_put_tlv(&w, 0x85, "", 0);
			if (again)
				orsp_der_put_tlv(&w, 0x81, "\x00", 1);
			orsp_der_end(&w, m);
			assert_int_equal(orsp_writer_status(&w), ORSP_OK);
			assert_int_equal(store_data(c, req, w.len), 0x9000);
			assert_int_equal(find_tlv(rsp_value(c, 0xBF41), 0xA0, &f), !again);
		}
	}
	/* eUICCMemoryReset { resetOptions [2] }: the operational profile deleted */
	assert_int_equal(es10_hex(c, "BF34088202078082020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127); /* resetOptions twice */
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_int_equal(es10_hex(c, "BF3406820207808500"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	card_free(c);
}

static void test_download_nist(void **state)
{
	(void)state;
	run_download(PKI_NIST);
}

static void test_download_brainpool(void **state)
{
	(void)state;
	isdr_channel = 2; /* and on a logical channel */
	run_download(PKI_BRP);
	isdr_channel = 0;
}

/* Notifications: install (the PIR), enable, disable, delete, with sequence numbers. */
/* The seqNumbers of the notifications a ListNotification (0xBF28) or RetrieveNotificationsList
 * (0xBF2B) answer holds, in its order; how many. */
static size_t listed_seqs(card *c, uint32_t tag, uint64_t *seqs, size_t cap)
{
	orsp_tlv a0, n, md, f;
	orsp_reader r;
	size_t k = 0;

	assert_true(find_tlv(rsp_value(c, tag), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	while (orsp_reader_remaining(&r) && k < cap) {
		assert_int_equal(orsp_der_read(&r, &n), ORSP_OK);
		/* BF2F itself (a list entry), or the PIR's BF27 / the other's BF2F inside */
		md = n;
		if (n.tag != 0xBF2F) {
			orsp_reader nr;
			orsp_reader_init(&nr, n.value.p, n.value.len);
			assert_int_equal(orsp_der_read(&nr, &md), ORSP_OK);
			if (md.tag == 0xBF27)
				assert_true(find_tlv(md.value, 0xBF2F, &md));
		}
		assert_true(find_tlv(md.value, 0x80, &f));
		assert_int_equal(orsp_der_uint(f.value, &seqs[k++]), ORSP_OK);
	}
	return k;
}

/* The rsp module is EXTENSIBILITY IMPLIED: RetrieveNotificationsList and SetDefaultDpAddress
 * take a later version's fields after their own (skipped, a constructed one too) and answer
 * as without them (until session 70 both were undefinedError). Their known fields repeated or
 * out of order are refused: test_malformed. */
static void test_notifications_extensions_skipped(void **state)
{
	card *c = card_new();
	uint64_t all[8], got[8];
	size_t n;
	char hex[96];
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	n = listed_seqs(c, 0xBF2B, all, 8);
	assert_int_equal(n, 2);
	/* no searchCriteria, one extension: every notification. So too a [1] outside
	 * searchCriteria (a filter sent without its [0]: a later version's field by its tag;
	 * until session 70 undefinedError, as ListNotification's [0] was until session 69) */
	static const char *const no_crit[] = {"BF2B028500", "BF2B03810101"};
	for (size_t i = 0; i < sizeof(no_crit) / sizeof(no_crit[0]); i++) {
		assert_int_equal(es10_hex(c, no_crit[i]), 0x9000);
		assert_int_equal(listed_seqs(c, 0xBF2B, got, 8), n);
		assert_memory_equal(got, all, n * sizeof(all[0]));
	}
	/* by event (install: the PIR), then a primitive and a constructed extension */
	assert_int_equal(es10_hex(c, "BF2B10A0048102078085010AA505800101A000"), 0x9000);
	assert_int_equal(listed_seqs(c, 0xBF2B, got, 8), 1);
	assert_true(got[0] == all[0]);
	/* by seqNumber, then an extension */
	snprintf(hex, sizeof(hex), "BF2B07A00380010%X8500", (unsigned)all[1]);
	assert_true(all[1] < 16);
	assert_int_equal(es10_hex(c, hex), 0x9000);
	assert_int_equal(listed_seqs(c, 0xBF2B, got, 8), 1);
	assert_true(got[0] == all[1]);
	card_free(c);
}

/* SetDefaultDpAddress "new.n", then a later version's field: taken and stored. */
static void test_default_dp_extension_skipped(void **state)
{
	card *c = card_new();
	(void)state;

	assert_int_equal(es10_hex(c, "BF3F0D80056E65772E6EA504800201FF"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF3F), 0);
	card_reopen(c);
	check_default_dp(c, "new.n");
	card_free(c);
}

/* Notifications are listed oldest first, by seqNumber, not by the slot they took: after the
 * PIR's was removed, the disable one takes its slot, and was listed before the enable one
 * that came first (the LPA sends them as listed). */
static void test_notifications_in_order(void **state)
{
	card *c = card_new();
	uint64_t seqs[8];
	char hex[64];
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	/* the PIR's removed: its slot, the first, is free */
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	assert_int_equal(listed_seqs(c, 0xBF2B, seqs, 8), 2);
	snprintf(hex, sizeof(hex), "BF3003800%d%02X", 1, (unsigned)seqs[0]);
	assert_int_equal(es10_hex(c, hex), 0x9000);
	assert_int_equal(disable(c, ICCID_A), 0);
	for (int t = 0; t < 2; t++) {
		uint32_t tag = t ? 0xBF2B : 0xBF28;
		assert_int_equal(es10_hex(c, t ? "BF2B00" : "BF2800"), 0x9000);
		assert_int_equal(listed_seqs(c, tag, seqs, 8), 2);
		if (seqs[0] >= seqs[1])
			fail_msg("%s: seqNumber %llu listed before %llu", t ? "BF2B" : "BF28",
			         (unsigned long long)seqs[0], (unsigned long long)seqs[1]);
	}
	card_free(c);
}

static void test_notifications(void **state)
{
	card *c = card_new();
	orsp_tlv a0, n, f;
	orsp_reader r;
	uint64_t seqs[8];
	uint8_t events[8];
	size_t k = 0;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(delete (c, ICCID_A), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 4);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 4);

	/* ListNotification: four NotificationMetadata, increasing sequence numbers */
	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_expect(&r, 0xBF2F, &n), ORSP_OK);
		assert_true(find_tlv(n.value, 0x80, &f));
		assert_int_equal(orsp_der_uint(f.value, &seqs[k]), ORSP_OK);
		assert_true(find_tlv(n.value, 0x81, &f));
		assert_int_equal(f.value.len, 2);
		events[k] = f.value.p[1];
		assert_true(find_tlv(n.value, 0x0C, &f));
		assert_int_equal(f.value.len, strlen(NOTIF_ADDR));
		assert_memory_equal(f.value.p, NOTIF_ADDR, f.value.len);
		if (k)
			assert_true(seqs[k] > seqs[k - 1]);
		k++;
	}
	assert_int_equal(k, 4);
	assert_int_equal(events[0], 0x80);
	assert_int_equal(events[1], 0x40);
	assert_int_equal(events[2], 0x20);
	assert_int_equal(events[3], 0x10);
	/* with a filter: only the enable one */
	assert_int_equal(es10_hex(c, "BF280481020640"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	assert_int_equal(orsp_der_parse_one(a0.value, &n), ORSP_OK);
	assert_int_equal(n.raw.len, a0.value.len);

	/* RetrieveNotificationsList: the PIR and three signed other notifications */
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	k = 0;
	while (orsp_reader_remaining(&r)) {
		orsp_tlv md, sig, ce, eu;
		orsp_reader nr;
		assert_int_equal(orsp_der_read(&r, &n), ORSP_OK);
		orsp_reader_init(&nr, n.value.p, n.value.len);
		if (k == 0) {
			assert_int_equal(n.tag, 0xBF37);
			assert_int_equal(orsp_der_expect(&nr, 0xBF27, &md), ORSP_OK);
		} else {
			assert_int_equal(n.tag, 0x30);
			assert_int_equal(orsp_der_expect(&nr, 0xBF2F, &md), ORSP_OK);
		}
		assert_int_equal(orsp_der_expect(&nr, 0x5F37, &sig), ORSP_OK);
		assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, md.raw.p, md.raw.len, sig.value.p),
		                 ORSP_OK);
		if (k) {
			assert_int_equal(orsp_der_expect(&nr, 0x30, &ce), ORSP_OK);
			assert_int_equal(orsp_der_expect(&nr, 0x30, &eu), ORSP_OK);
			assert_int_equal(ce.raw.len, c->euicc_cert_len);
		}
		assert_int_equal(orsp_reader_remaining(&nr), 0);
		k++;
	}
	assert_int_equal(k, 4);
	/* by sequence number */
	char hex[64];
	snprintf(hex, sizeof(hex), "BF2B05A003800%d%02X", 1, (unsigned)seqs[2]);
	assert_int_equal(es10_hex(c, hex), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0xA0, &a0));
	assert_int_equal(orsp_der_parse_one(a0.value, &n), ORSP_OK);
	assert_int_equal(n.raw.len, a0.value.len);

	/* RemoveNotificationFromList: each once, then nothingToDelete */
	for (size_t i = 0; i < 4; i++) {
		snprintf(hex, sizeof(hex), "BF3003800%d%02X", 1, (unsigned)seqs[i]);
		assert_int_equal(es10_hex(c, hex), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF30), 0);
		assert_int_equal(es10_hex(c, hex), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF30), 1);
	}
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	/* nothing left: noResultAvailable */
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0x81, &f));

	/* a profile without notificationConfigurationInfo: the PIR goes to the SM-DP+ of the
	 * session, enable and disable make no notification */
	dl_opts quiet = {.iccid = ICCID_B, .no_notif_config = true};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &quiet, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(enable(c, ICCID_B), 0);
	assert_int_equal(disable(c, ICCID_B), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 1);
	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	assert_int_equal(orsp_der_parse_one(a0.value, &n), ORSP_OK);
	assert_true(find_tlv(n.value, 0x0C, &f));
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_memory_equal(f.value.p, SMDP_ADDR, f.value.len);
	card_free(c);
}

/* Whether the UTF8String field v is s. */
static bool slice_is(orsp_slice v, const char *s)
{
	return v.len == strlen(s) && !memcmp(v.p, s, v.len);
}

/* Every pending notification, in ListNotification and (signed) in RetrieveNotificationsList,
 * goes to `install` for the PIR and to `other` for enable, disable and delete; n of them. */
static void check_notif_addrs(card *c, const char *install, const char *other, size_t n)
{
	orsp_tlv a0, it, md, f;
	orsp_reader r;
	size_t k = 0;

	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	for (; orsp_reader_remaining(&r); k++) {
		assert_int_equal(orsp_der_expect(&r, 0xBF2F, &md), ORSP_OK);
		assert_true(find_tlv(md.value, 0x81, &f));
		assert_int_equal(f.value.len, 2);
		bool pir = f.value.p[1] == 0x80;
		assert_true(find_tlv(md.value, 0x0C, &f));
		assert_true(slice_is(f.value, pir ? install : other));
	}
	assert_int_equal(k, n);
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	for (k = 0; orsp_reader_remaining(&r); k++) {
		assert_int_equal(orsp_der_read(&r, &it), ORSP_OK);
		if (it.tag == 0xBF37) { /* PIR { BF27 { 80 tid, BF2F ... } } */
			assert_true(find_tlv(it.value, 0xBF27, &f));
			assert_true(find_tlv(f.value, 0xBF2F, &md));
		} else {
			assert_true(find_tlv(it.value, 0xBF2F, &md));
		}
		assert_true(find_tlv(md.value, 0x0C, &f));
		assert_true(slice_is(f.value, it.tag == 0xBF37 ? install : other));
	}
	assert_int_equal(k, n);
}

/* Several notificationConfigurationInfo entries: each event goes to the address of the
 * entry that lists it (install to the SM-DP+, the others to the operator), in either order
 * of the entries, through a power cycle. A profile stored before the per-event addresses
 * (one address, NotificationEvent bits 84) still loads and sends its events there. */
static void test_notification_addresses(void **state)
{
	static const char dp[] = "dp.example", mno[] = "mno.example";
	dl_opts fwd = {.iccid = ICCID_A, .notif = {{0x80, dp}, {0x70, mno}}};
	dl_opts rev = {.iccid = ICCID_B, .notif = {{0x70, mno}, {0x80, dp}}};
	const dl_opts *order[] = {&fwd, &rev};
	orsp_euicc_profile_info pi;
	int cmd = -1, reason = -1;
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		card *c = card_new();
		const char *iccid = order[i]->iccid;
		assert_int_equal(download(c, order[i], &cmd, &reason, NULL), 0xA0);
		check_notif_addrs(c, dp, mno, 1);
		assert_int_equal(enable(c, iccid), 0);
		card_reopen(c); /* the addresses are stored with the profile */
		assert_int_equal(disable(c, iccid), 0);
		check_notif_addrs(c, dp, mno, 3);
		assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
		assert_string_equal(pi.smdp_address, dp);
		assert_int_equal(delete (c, iccid), 0);
		check_notif_addrs(c, dp, mno, 4);
		card_free(c);
	}

	/* the isdr record as the code before per-event addresses wrote it: 84 (the events) and
	 * one address 0C for all of them */
	card *c = card_new();
	uint8_t aid[16], iccid[10], rec[512];
	orsp_writer w;
	orsp_der_mark m, l, p;
	install_ok(c, ICCID_A, 0, aid);
	memcpy(iccid, c->iccid_ef, 10);
	orsp_writer_init(&w, rec, sizeof(rec));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_uint(&w, 0x80, 10);
	orsp_der_put_uint(&w, 0x81, 1);
	orsp_der_put_tlv(&w, 0x82, "", 0);
	l = orsp_der_begin(&w, 0xA3);
	p = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x4F, aid, 16);
	orsp_der_put_tlv(&w, 0x5A, iccid, 10);
	orsp_der_put_tlv(&w, 0x81, "\x00", 1);
	orsp_der_put_tlv(&w, 0x95, "\x02", 1);
	orsp_der_put_tlv(&w, 0x84, "\x60", 1); /* enable, disable */
	orsp_der_put_tlv(&w, 0x0C, mno, strlen(mno));
	orsp_der_end(&w, p);
	orsp_der_end(&w, l);
	orsp_der_put_tlv(&w, 0xA4, "", 0);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_euicc_record r = {"isdr", rec, w.len};
	assert_int_equal(ms_commit(&c->st, &r, 1), ORSP_OK);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(delete (c, ICCID_A), 0); /* not listed: no notification */
	check_notif_addrs(c, "", mno, 2);
	card_free(c);
}

/* The notification list is full: an enable, disable or delete that must record a
 * notification is refused (undefinedError) and changes nothing, rather than done without
 * its notification; after the LPA removes one it goes through. RetrieveNotificationsList
 * without search criteria answers all of them at once (each OtherSignedNotification carries
 * CERT.EUICC and CERT.EUM, about 1.3 KB with the SGP.26 certificates), on both curves. */
static void test_notifications_full(void **state)
{
	(void)state;

	for (pki which = PKI_NIST; which <= PKI_BRP; which++) {
		card *c = card_new_pki(which);
		orsp_tlv a0, n, md, sig, f;
		orsp_reader r;
		uint64_t seq, last = 0;
		size_t k = 0;
		bool on = false;

		install_ok(c, ICCID_A, 0, NULL);
		while (orsp_euicc_notification_count(&c->e) < ORSP_EUICC_MAX_NOTIFICATIONS) {
			assert_int_equal(on ? disable(c, ICCID_A) : enable(c, ICCID_A), 0);
			on = !on;
		}
		int calls = c->st.calls;
		assert_int_equal(on ? disable(c, ICCID_A) : enable(c, ICCID_A), 127);
		assert_int_equal(c->st.calls, calls);
		assert_true(on ? enabled_iccid(c) != NULL : enabled_iccid(c) == NULL);
		assert_int_equal(orsp_euicc_notification_count(&c->e),
		                 ORSP_EUICC_MAX_NOTIFICATIONS);
		card_reopen(c);
		assert_int_equal(orsp_euicc_notification_count(&c->e),
		                 ORSP_EUICC_MAX_NOTIFICATIONS);
		assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
		(void)rsp_value(c, 0xBF28);
		assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
		assert_true(find_tlv(rsp_value(c, 0xBF2B), 0xA0, &a0));
		orsp_reader_init(&r, a0.value.p, a0.value.len);
		while (orsp_reader_remaining(&r)) {
			orsp_reader nr;
			assert_int_equal(orsp_der_read(&r, &n), ORSP_OK);
			orsp_reader_init(&nr, n.value.p, n.value.len);
			assert_int_equal(orsp_der_expect(&nr, k ? 0xBF2F : 0xBF27, &md), ORSP_OK);
			assert_int_equal(orsp_der_expect(&nr, 0x5F37, &sig), ORSP_OK);
			assert_int_equal(
			    orsp_ecdsa_verify(c->euicc_pk, md.raw.p, md.raw.len, sig.value.p),
			    ORSP_OK);
			if (!k)
				assert_true(find_tlv(md.value, 0xBF2F, &md));
			assert_true(find_tlv(md.value, 0x80, &f));
			assert_int_equal(orsp_der_uint(f.value, &seq), ORSP_OK);
			assert_true(seq > last);
			last = seq;
			k++;
		}
		assert_int_equal(k, ORSP_EUICC_MAX_NOTIFICATIONS);
		/* one removed: the refused change goes through, and fills the list again; a
		 * delete then waits for room the same way */
		assert_int_equal(es10_hex(c, "BF3003800101"), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF30), 0);
		if (on)
			assert_int_equal(disable(c, ICCID_A), 0);
		else {
			assert_int_equal(enable(c, ICCID_A), 0);
			assert_int_equal(es10_hex(c, "BF3003800102"), 0x9000);
			assert_int_equal(rsp_code(c, 0xBF30), 0);
			assert_int_equal(disable(c, ICCID_A), 0);
		}
		assert_int_equal(orsp_euicc_notification_count(&c->e),
		                 ORSP_EUICC_MAX_NOTIFICATIONS);
		assert_int_equal(delete (c, ICCID_A), 127);
		assert_true(has_profile(c, ICCID_A));
		assert_int_equal(es10_hex(c, "BF3003800103"), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF30), 0);
		assert_int_equal(delete (c, ICCID_A), 0);
		assert_false(has_profile(c, ICCID_A));
		card_free(c);
	}
}

/* The newest entry of ListNotification: its event bits and ICCID (below). */
static void last_notification(card *c, uint8_t *event, orsp_tlv *iccid);

/* A download needs a place in the notification list for its installation result (PIR), as
 * enable, disable and delete need one for theirs: with the list full PrepareDownload is
 * refused (undefinedError), nothing is committed, the session ends and no profile is
 * installed, rather than a profile installed whose result the SM-DP+ never learns. With one
 * place left the download holds it from PrepareDownload on: an enable or disable in between
 * that would record a notification is refused, and the PIR takes the 16th place; so does the
 * PIR of an installation that a card reset interrupts. */
static void test_download_needs_room(void **state)
{
	card *c = card_new();
	dl_opts b = {.iccid = ICCID_B}, cc = {.iccid = ICCID_C, .reset_after = -1};
	uint8_t event = 0, iccid_b[10];
	orsp_tlv f;
	bool on = false;
	int calls, cmd = -1, reason = -1;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL); /* its PIR: seqNumber 1 */
	while (orsp_euicc_notification_count(&c->e) < ORSP_EUICC_MAX_NOTIFICATIONS) {
		assert_int_equal(on ? disable(c, ICCID_A) : enable(c, ICCID_A), 0);
		on = !on;
	}
	get_challenge(c);
	assert_int_equal(auth_step(c, &b), 0);
	calls = c->st.calls;
	assert_int_equal(prepare_step(c, &b), 127);
	assert_int_equal(c->st.calls, calls);
	assert_int_equal(prepare_step(c, &b), 4); /* the session is over: noSessionContext */
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_false(has_profile(c, ICCID_B));

	/* one removed: the download takes the place, which nothing else gets meanwhile */
	assert_int_equal(es10_hex(c, "BF3003800101"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF30), 0);
	start_session(c, &b);
	calls = c->st.calls;
	assert_int_equal(on ? disable(c, ICCID_A) : enable(c, ICCID_A), 127);
	assert_int_equal(c->st.calls, calls);
	assert_int_equal(load_bpp(c, &b), 0x9000);
	assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA0);
	memcpy(iccid_b, c->iccid_ef, 10);
	assert_true(has_profile(c, ICCID_B));
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	last_notification(c, &event, &f);
	assert_int_equal(event, 0x80);
	assert_memory_equal(f.value.p, iccid_b, 10);

	/* an interrupted installation's PIR the same */
	assert_int_equal(es10_hex(c, "BF3003800102"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF30), 0);
	start_session(c, &cc);
	(void)load_bpp(c, &cc);
	assert_false(has_profile(c, ICCID_C));
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	card_reopen(c);
	last_notification(c, &event, &f);
	assert_int_equal(event, 0x80);
	assert_memory_equal(f.value.p, c->iccid_ef, 10);
	/* and the list full again: refused */
	get_challenge(c);
	assert_int_equal(auth_step(c, &b), 0);
	assert_int_equal(prepare_step(c, &b), 127);
	card_free(c);
}

/* The seqNumber of the PIR in c->out. */
static uint64_t pir_seq(card *c)
{
	orsp_tlv d, m, f;
	uint64_t seq = 0;
	assert_true(find_tlv(rsp_value(c, 0xBF37), 0xBF27, &d));
	assert_true(find_tlv(d.value, 0xBF2F, &m));
	assert_true(find_tlv(m.value, 0x80, &f));
	assert_int_equal(orsp_der_uint(f.value, &seq), ORSP_OK);
	return seq;
}

/* A seqNumber is handed out once: the counter is committed with the PIR before the PIR
 * leaves the card (a failing commit fails the command, no PIR), so a power cycle does not
 * hand the number out again. (A full list no longer drops a PIR: PrepareDownload is refused,
 * test_download_needs_room.) */
static void test_seq_not_reused(void **state)
{
	card *c = card_new();
	dl_opts again = {.iccid = ICCID_A};
	(void)state;

	install_ok(c, ICCID_A, 0, NULL); /* its PIR: seqNumber 1 */
	install_fails(c, &again, 2, 9);  /* ICCID already there */
	uint64_t s1 = pir_seq(c);
	card_reopen(c);
	install_fails(c, &again, 2, 9);
	uint64_t s2 = pir_seq(c);
	assert_true(s2 > s1);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 3);
	/* the commit fails: no PIR leaves the card */
	start_session(c, &again);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(load_bpp(c, &again), 0x6581);
	assert_int_equal(c->out_len, 0);
	card_reopen(c);
	install_fails(c, &again, 2, 9);
	assert_true(pir_seq(c) > s2);
	card_free(c);
}

/* LoadBoundProfilePackage without a PrepareDownload before it: the error PIR (BF23's
 * transactionId, initialiseSecureChannel(0), invalidTransactionId(3)) is answered with
 * seqNumber 0, but neither kept as a notification nor committed: any number of them leave
 * the list empty and write nothing, and a real download's PIR is kept afterwards. In the
 * middle of a session it ends the session. */
static void test_bpp_without_session(void **state)
{
	card *c = card_new();
	dl_opts ok = {0};
	(void)state;

	int calls = c->st.calls;
	for (int i = 0; i < ORSP_EUICC_MAX_NOTIFICATIONS + 1; i++) {
		int cmd = -1, reason = -1;
		assert_int_equal(es10_hex(c, "BF360A"
		                             "BF2307"
		                             "820101"
		                             "800142"
		                             "A600"),
		                 0x9000);
		c->tid[0] = 0x42; /* the PIR names BF23's transactionId */
		c->tid_len = 1;
		assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA1);
		assert_int_equal(cmd, 0);
		assert_int_equal(reason, 3);
		assert_int_equal(pir_seq(c), 0);
	}
	assert_int_equal(c->st.calls, calls);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	/* after AuthenticateServer (no PrepareDownload): refused the same way, session gone */
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 0);
	assert_int_equal(es10_hex(c, "BF3607BF230480020102"), 0x9000);
	(void)rsp_value(c, 0xBF37);
	assert_int_equal(prepare_step(c, &ok), 4);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 1);
	assert_int_equal(pir_seq(c), 1);
	card_free(c);
}

/* c's server certificate made from spec, for the SGP.26 DPauth key (the card signs with it)
 * by the SGP.26 NIST CI. */
static void mint_auth_cert(card *c, const certmint_spec *spec)
{
	EVP_PKEY *ci_sk = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	EVP_PKEY *auth_sk = certmint_key_load("sgp26/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	X509 *ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	X509 *x = certmint_issue(spec, auth_sk, ci, ci_sk);

	free(c->auth_cert);
	c->auth_cert = certmint_der(x, &c->auth_cert_len);
	X509_free(x);
	X509_free(ci);
	EVP_PKEY_free(auth_sk);
	EVP_PKEY_free(ci_sk);
}

/* CERT.DPauth names the SM-DP+ by its OID (subjectAltName registeredID), which the session
 * signs in CancelSession's smdpOid: a DPauth issued by a trusted CI without one is refused
 * with invalidCertificate, never a session whose CancelSession signs an empty OID (81 00). */
static void test_authenticate_dpauth_without_oid(void **state)
{
	card *c = card_new();
	dl_opts ok = {0};
	certmint_spec spec = {.subject = "/C=ES/O=ACME/CN=TEST SM-DP+ without OID",
	                      .policy = "2.23.146.1.2.1.4", /* id-rspRole-dp-auth */
	                      .key_usage = "critical,digitalSignature"};
	(void)state;

	mint_auth_cert(c, &spec);
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 1); /* invalidCertificate */
	/* no session: a CancelSession naming its transactionId is invalidTransactionId */
	uint8_t req[32];
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv f;
	uint64_t v = 0;
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, c->tid, c->tid_len);
	orsp_der_put_tlv(&w, 0x81, "\x00", 1);
	orsp_der_end(&w, m);
	assert_int_equal(store_data(c, req, w.len), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	assert_int_equal(v, 5);
	card_free(c);
}

/* A registeredID longer than the eUICC keeps (32 bytes; 38 here): two arcs and twelve of
 * three bytes each. */
#define LONG_RID                                                                                   \
	"RID:2.999.1000000.1000000.1000000.1000000.1000000.1000000.1000000.1000000.1000000."       \
	"1000000.1000000.1000000"

/* AuthenticateServer or PrepareDownload's status word, its log lines into *log (the caller
 * frees). */
static uint16_t logged_step(card *c, bool prepare_too, char **log)
{
	const dl_opts ok = {0};
	char logpath[512];
	size_t n = 0;
	int saved = test_stderr_to("isdr_oid_too_long", logpath, sizeof(logpath));
	uint16_t sw = prepare_too ? prepare(c, &ok) : authenticate(c, &ok);

	test_stderr_back(saved);
	*log = (char *)test_read_file(logpath, &n);
	assert_non_null(*log);
	return sw;
}

/* CERT.DPauth, then CERT.DPpb, issued by a trusted CI with a registeredID longer than the
 * eUICC keeps: the SM-DP+'s bad certificate, invalidCertificate, and no line saying that the
 * eUICC ran out of memory. x509's "registeredID too long" was ORSP_E_RESOURCE, which the
 * commands' check of their own shortage (failed_inside) reads as out of memory: until session
 * 76 the commands kept orsp_cert_rid's result from that check, a caller's care where the
 * error's category now says it. */
static void test_server_cert_oid_too_long(void **state)
{
	card *c = card_new();
	const dl_opts ok = {0};
	certmint_spec spec = {.subject = "/C=ES/O=ACME/CN=TEST SM-DP+ long OID",
	                      .policy = "2.23.146.1.2.1.4", /* id-rspRole-dp-auth */
	                      .key_usage = "critical,digitalSignature",
	                      .san = LONG_RID};
	EVP_PKEY *ci_sk = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	EVP_PKEY *pb_sk = certmint_key_load("sgp26/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem");
	X509 *ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	char *log = NULL;
	uint16_t sw;
	(void)state;

	mint_auth_cert(c, &spec);
	get_challenge(c);
	sw = logged_step(c, false, &log);
	if (sw != 0x9000 || rsp_error(c, 0xBF38) != 1 || strstr(log, "out of memory"))
		fail_msg("AuthenticateServer answered %04X, error %d, logged: %s", sw,
		         sw == 0x9000 ? rsp_error(c, 0xBF38) : -1, log);
	free(log);

	/* a session with the SM-DP+'s own CERT.DPauth, then its CERT.DPpb with the long OID */
	free(c->auth_cert);
	c->auth_cert = load_der("DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", &c->auth_cert_len);
	spec.policy = "2.23.146.1.2.1.5"; /* id-rspRole-dp-pb */
	X509 *x = certmint_issue(&spec, pb_sk, ci, ci_sk);
	free(c->pb_cert);
	c->pb_cert = certmint_der(x, &c->pb_cert_len);
	X509_free(x);
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 0);
	sw = logged_step(c, true, &log);
	if (sw != 0x9000 || rsp_error(c, 0xBF21) != 1 || strstr(log, "out of memory"))
		fail_msg("PrepareDownload answered %04X, error %d, logged: %s", sw,
		         sw == 0x9000 ? rsp_error(c, 0xBF21) : -1, log);
	free(log);
	X509_free(ci);
	EVP_PKEY_free(pb_sk);
	EVP_PKEY_free(ci_sk);
	card_free(c);
}

/* An SM-DS's CERT.DSauth (SGP.22 §5.7.13: serverCertificate is CERT.XXauth; an LPA's event
 * retrieval) is taken by AuthenticateServer (it was invalidCertificate until session 68); that
 * session prepares no profile, even with a CERT.DPpb naming the same OID: invalidCertificate.
 * A CERT.DPtls is no CERT.XXauth: refused. */
static void test_authenticate_dsauth(void **state)
{
	card *c = card_new();
	dl_opts ok = {0};
	certmint_spec spec = {.subject = "/C=ES/O=ACME/CN=TEST SM-DS",
	                      .policy = "2.23.146.1.2.1.7", /* id-rspRole-ds-auth */
	                      .key_usage = "critical,digitalSignature",
	                      .san = "RID:2.999.10"};
	(void)state;

	mint_auth_cert(c, &spec);
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 0);
	assert_int_equal(prepare_step(c, &ok), 1); /* invalidCertificate */
	/* a DPtls certificate in its place: no CERT.XXauth */
	spec.policy = "2.23.146.1.2.1.3";
	mint_auth_cert(c, &spec);
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 1);
	/* the SM-DP+'s CERT.DPauth again: a session that prepares */
	free(c->auth_cert);
	c->auth_cert = load_der("DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", &c->auth_cert_len);
	get_challenge(c);
	assert_int_equal(auth_step(c, &ok), 0);
	assert_int_equal(prepare_step(c, &ok), 0);
	card_free(c);
}

/* 254 characters: one more than ORSP_EUICC_ADDR_MAX keeps (an FQDN has at most 253) */
#define LONG_ADDR                                                                                  \
	"a123456789.b123456789.c123456789.d123456789.e123456789.f123456789.g123456789."            \
	"h123456789.i123456789.j123456789.k123456789.l123456789.m123456789.n123456789."            \
	"o123456789.p123456789.q123456789.r123456789.s123456789.t123456789.u123456789."            \
	"v123456789.w12345678900"
_Static_assert(sizeof(LONG_ADDR) == ORSP_EUICC_ADDR_MAX + 1, "254 characters");

static uint16_t auth_raw_addr(card *c, const uint8_t *addr, size_t addr_len, size_t schal_len);

/* serverSigned1 with a later version's fields after serverChallenge (SGP.22 v3's
 * sessionContext [5], constructed, and a primitive [6]): skipped, the server authenticated,
 * as every request's extensions are. */
static void test_authenticate_s1_extension(void **state)
{
	card *c = card_new();
	dl_opts o = {.s1_order = {0x80, 0x81, 0x83, 0x84, 0xA5, 0x86}};
	(void)state;

	get_challenge(c);
	assert_int_equal(auth_step(c, &o), 0);
	assert_int_equal(prepare_step(c, &(dl_opts){0}), 0);
	card_free(c);
}

/* AuthenticateServer: one failing check at a time, with its AuthenticateErrorCode. */
static void test_authenticate_errors(void **state)
{
	static const struct {
		dl_opts o;
		int code;
	} cases[] = {
	    {{.bad_sig1 = true}, 2},            /* invalidSignature */
	    {{.unknown_ci = true}, 7},          /* ciPKUnknown */
	    {{.wrong_echal = true}, 6},         /* euiccChallengeMismatch */
	    {{.wrong_auth_cert = true}, 1},     /* invalidCertificate: DPpb is not DPauth */
	    {{.no_challenge = true}, 4},        /* noSessionContext */
	    {{.untrusted_auth_cert = true}, 1}, /* invalidCertificate: another CI's DPauth */
	    /* after ctxParams1 a known field again (not a later version's): CERT.DPauth,
	     * euiccCiPKIdToBeUsed */
	    {{.auth_trailing = 2}, 127},
	    {{.auth_trailing = 3}, 127},
	    {{.server_addr = LONG_ADDR}, 127}, /* serverAddress of 254 bytes: not cut, refused */
	    /* serverSigned1 (signed by the SM-DP+) without a mandatory field, or with one twice:
	     * malformed, never signed with an empty address or a zero challenge, nor the last
	     * of two taken */
	    {{.s1_omit = 0x80}, 127},
	    {{.s1_omit = 0x83}, 127},
	    {{.s1_omit = 0x84}, 127},
	    {{.s1_twice = 0x80}, 127},
	    {{.s1_twice = 0x81}, 127},
	    {{.s1_twice = 0x83}, 127},
	    {{.s1_twice = 0x84}, 127},
	    {{.s1_omit = 0x81}, 6}, /* no euiccChallenge: not the one given */
	    /* out of ASN.1's order (each once, validly signed): malformed, as smdpSigned2's */
	    {{.s1_order = {0x81, 0x80, 0x83, 0x84}}, 127},
	    {{.s1_order = {0x80, 0x81, 0x84, 0x83}}, 127},
	    {{.s1_order = {0x83, 0x80, 0x81, 0x84}}, 127},
	    /* a field this version does not know before serverChallenge: not an extension */
	    {{.s1_order = {0x80, 0x81, 0x82, 0x83, 0x84}}, 127},
	    {{.s1_order = {0x80, 0x81, 0x83, 0x85, 0x84}}, 127},
	};
	card *c = card_new();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].o.no_challenge)
			get_challenge(c);
		else
			memset(c->echal, 0, 16);
		assert_int_equal(authenticate(c, &cases[i].o), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF38), cases[i].code);
		/* the session is gone: PrepareDownload finds no context */
		dl_opts ok = {0};
		assert_int_equal(prepare(c, &ok), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	/* a challenge is used once: AuthenticateServer only right after GetEUICCChallenge, a
	 * second one (also after PrepareDownload) is noSessionContext and ends the session */
	dl_opts ok = {0};
	for (int after_prepare = 0; after_prepare < 2; after_prepare++) {
		get_challenge(c);
		assert_int_equal(auth_step(c, &ok), 0);
		if (after_prepare)
			assert_int_equal(prepare_step(c, &ok), 0);
		assert_int_equal(authenticate(c, &ok), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF38), 4);
		assert_int_equal(prepare(c, &ok), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	/* v3's otherCertsInChain [1] and crlList [2] after ctxParams1 are skipped (the rsp
	 * module is EXTENSIBILITY IMPLIED): the session is open and prepares */
	{
		dl_opts ext = {.auth_trailing = 1};
		get_challenge(c);
		assert_int_equal(auth_step(c, &ext), 0);
		assert_int_equal(prepare_step(c, &ok), 0);
	}
	/* ctxParams1 is bounded (512 bytes): a matchingId of an activation code's 255
	 * characters is signed; one of 1000 is refused with undefinedError, and the challenge
	 * is used up (the same one again is noSessionContext) */
	{
		static char mid[1001];
		memset(mid, 'A', 255);
		c->matching_id = mid;
		get_challenge(c);
		assert_int_equal(auth_step(c, &ok), 0);
		memset(mid, 'A', 1000);
		get_challenge(c);
		assert_int_equal(auth_step(c, &ok), 127);
		c->matching_id = NULL;
		assert_int_equal(auth_step(c, &ok), 4);
		assert_int_equal(prepare(c, &ok), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	/* serverSigned1 validly signed, with a serverChallenge of 0, 15, 17 or 32 bytes (it is
	 * an Octet16): undefinedError, no session afterwards; 16 bytes on the same path pass */
	static const size_t schal_lens[] = {0, 15, 17, 32, 16};
	for (size_t i = 0; i < sizeof(schal_lens) / sizeof(schal_lens[0]); i++) {
		get_challenge(c);
		assert_int_equal(
		    auth_raw_addr(c, (const uint8_t *)SMDP_ADDR, strlen(SMDP_ADDR), schal_lens[i]),
		    0x9000);
		if (schal_lens[i] == 16) {
			check_auth_ok(c);
			continue;
		}
		assert_int_equal(rsp_error(c, 0xBF38), 127);
		dl_opts ok2 = {0};
		assert_int_equal(prepare(c, &ok2), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	/* malformed AuthenticateServer requests: no session afterwards either */
	static const char *const bad[] = {"BF3800", "BF380430020500", "BF38053003800101",
	                                  "BF380A3003800101"
	                                  "5F370100"
	                                  "0400"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		get_challenge(c);
		uint16_t sw = es10_hex(c, bad[i]);
		if (sw == 0x9000)
			assert_int_equal(rsp_error(c, 0xBF38), 127); /* undefinedError */
		else
			assert_int_equal(sw, 0x6A80);
		dl_opts ok2 = {0};
		assert_int_equal(prepare(c, &ok2), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	card_free(c);
}

/* A card with the NIST eUICC chain that trusts the NIST and the brainpool CIs (both in
 * euiccCiPKIdListForVerification, the NIST one alone in ...ForSigning); the fixture's
 * SM-DP+ holds the NIST DPauth and DPpb, and ci_ski (euiccCiPKIdToBeUsed) is the NIST CI's. */
static card *card_two_cis(void)
{
	card *c = card_new();
	size_t sk_len, eum_len, n1, n2;

	orsp_euicc_close(&c->e);
	c->is_open = false;
	ms_free(&c->st);
	memset(&c->st, 0, sizeof(c->st));
	uint8_t *sk = load_der("eUICC/SK_EUICC_ECDSA_NIST.pem", &sk_len);
	uint8_t *eum = load_der("EUM/CERT_EUM_ECDSA_NIST.der", &eum_len);
	uint8_t *ci1 = load_der("CertificateIssuer/CERT_CI_ECDSA_NIST.der", &n1);
	uint8_t *ci2 = load_der("CertificateIssuer/CERT_CI_ECDSA_BRP.der", &n2);
	orsp_euicc_identity id = {
	    .eid = EID,
	    .sk_euicc = orsp_slice_make(sk, sk_len),
	    .cert_euicc = orsp_slice_make(c->euicc_cert, c->euicc_cert_len),
	    .cert_eum = orsp_slice_make(eum, eum_len),
	    .ci_certs = {orsp_slice_make(ci1, n1), orsp_slice_make(ci2, n2)},
	    .n_ci = 2,
	};
	assert_int_equal(orsp_euicc_provision(&c->e, &ms_ops, &c->st, &id), ORSP_OK);
	card_attach(c);
	orsp_wipe(sk, sk_len);
	free(sk);
	free(eum);
	free(ci1);
	free(ci2);
	return c;
}

/* euiccCiPKIdToBeUsed is checked against euiccCiPKIdListForSigning (the CI of the card's
 * own EUM chain), not against every CI it trusts: a card trusting the NIST and brainpool CIs
 * with a NIST chain refuses "sign with the brainpool CI" with ciPKUnknown, and signs for the
 * NIST one. */
static void test_ci_signing_list(void **state)
{
	card *c = card_two_cis();
	size_t n2;
	orsp_cert *ci = NULL;
	dl_opts o = {0};
	(void)state;

	/* the fixture's ci_ski is the NIST CI's: accepted */
	get_challenge(c);
	assert_int_equal(auth_step(c, &o), 0);
	/* the brainpool CI, trusted for verification only */
	uint8_t *ci2 = load_der("CertificateIssuer/CERT_CI_ECDSA_BRP.der", &n2);
	assert_int_equal(orsp_cert_parse(ci2, n2, &ci), ORSP_OK);
	assert_int_equal(orsp_cert_ski(ci, c->ci_ski, sizeof(c->ci_ski), &c->ci_ski_len), ORSP_OK);
	orsp_cert_free(ci);
	get_challenge(c);
	assert_int_equal(auth_step(c, &o), 7); /* ciPKUnknown */
	assert_int_equal(prepare_step(c, &o), 4);
	free(ci2);
	card_free(c);
}

/* CERT.DPpb must come from the CI that certified the session's CERT.DPauth: on a card
 * trusting the NIST and the brainpool CIs, a session authenticated with the NIST DPauth
 * whose PrepareDownload carries the same SM-DP+'s (same OID) brainpool DPpb, validly
 * signed with it, is refused with invalidCertificate, and the other way round; the session
 * ends as with any refused PrepareDownload (noSessionContext after), nothing is installed,
 * and a new session with one CI's pair downloads. The brainpool pair is taken while the card
 * signs under the NIST CI (euiccCiPKIdToBeUsed is not what CERT.DPpb is held to). */
static void test_prepare_dppb_other_ci(void **state)
{
	card *c = card_two_cis();
	dl_opts o = {0}, other = {.other_ci_pb = true};
	int cmd = -1, reason = -1;
	(void)state;

	get_challenge(c);
	assert_int_equal(auth_step(c, &o), 0);
	assert_int_equal(prepare_step(c, &other), 1); /* invalidCertificate */
	assert_int_equal(prepare_step(c, &o), 4);     /* the session has ended */
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	/* a new session, with the NIST pair: downloads */
	assert_int_equal(download(c, &o, &cmd, &reason, NULL), 0xA0);

	/* the brainpool DPauth (verified under the brainpool CI; the card still signs under the
	 * NIST one) with the NIST DPpb: refused */
	orsp_ec_free(c->auth_sk);
	free(c->auth_cert);
	c->auth_sk = load_key("DPauth/SK_S_SM_DPauth_ECDSA_BRP.pem");
	c->auth_cert = load_der("DPauth/CERT_S_SM_DPauth_ECDSA_BRP.der", &c->auth_cert_len);
	get_challenge(c);
	assert_int_equal(auth_step(c, &o), 0);
	assert_int_equal(prepare_step(c, &o), 1);
	assert_int_equal(prepare_step(c, &o), 4);
	/* with the brainpool DPpb: taken */
	get_challenge(c);
	assert_int_equal(auth_step(c, &other), 0);
	assert_int_equal(prepare_step(c, &other), 0);
	card_free(c);
}

static orsp_log_level sweep_log_level;

/* a failed assertion returns before the sweep turns the failures off and its log back on */
static int ossl_alloc_back(void **state)
{
	(void)state;
	isdr_ossl_fail = 0;
	test_ossl_fail_at(0);
	orsp_log_set_level(sweep_log_level);
	return 0;
}

/* The SM-DP+'s CERT.DPauth (pb false) or CERT.DPpb (true) signed again by the CI (new bytes:
 * ECDSA's k is random), so that neither OpenSSL's parse nor its signature check of it is
 * cached. */
static void fresh_server_cert(card *c, EVP_PKEY *ci_key, bool pb)
{
	X509 *x = certmint_redate(pb ? "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der"
	                             : "sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der",
	                          0, 0, ci_key);
	uint8_t **der = pb ? &c->pb_cert : &c->auth_cert;
	size_t *len = pb ? &c->pb_cert_len : &c->auth_cert_len;
	free(*der);
	*der = certmint_der(x, len);
	X509_free(x);
}

/* AuthenticateServer (prepare false) or PrepareDownload (true) of a genuine SM-DP+, with the
 * card's Nth OpenSSL allocation failing and no other, for every N until the command runs
 * with none failing (some 1800 each, 2.3 s for both in a Debug build). Each answer is a
 * success or the card's own failure, undefinedError (127) or the status word of an internal
 * error, never invalidCertificate (1) or invalidSignature (2), which blame the SM-DP+ and
 * which the LPA reports to it; and nothing is left on OpenSSL's error queue (the next test's
 * provisioning failed on it: test_ec's test_oom_leaves_no_error). *ok and *internal count
 * them. */
static void oom_server_checks(card *c, EVP_PKEY *ci_key, bool prepare_too, unsigned *ok,
                              unsigned *internal)
{
	const dl_opts o = {0};
	const char *what = prepare_too ? "PrepareDownload" : "AuthenticateServer";
	uint32_t tag = prepare_too ? 0xBF21 : 0xBF38;
	bool failed = true;

	for (unsigned at = 1; failed; at++) {
		unsigned before;
		uint16_t sw;
		orsp_tlv a1;
		int code = 0;

		fresh_server_cert(c, ci_key, prepare_too);
		get_challenge(c);
		if (prepare_too)
			assert_int_equal(auth_step(c, &o), 0);
		before = test_ossl_failures();
		isdr_ossl_fail = at;
		sw = prepare_too ? prepare(c, &o) : authenticate(c, &o);
		isdr_ossl_fail = 0;
		failed = test_ossl_failures() != before;
		if (ERR_peek_error())
			fail_msg(
			    "%s with OpenSSL's allocation #%u failing: %s left on OpenSSL's error "
			    "queue",
			    what, at, ERR_error_string(ERR_peek_error(), NULL));
		if (sw == 0x9000 && find_tlv(rsp_value(c, tag), 0xA1, &a1))
			code = rsp_error(c, tag);
		if (sw == 0x9000 && !code) {
			if (prepare_too)
				check_prepare_ok(c, false);
			else
				check_auth_ok(c);
			(*ok)++;
		} else if ((sw == 0x9000 && code == 127) || sw == 0x6A84 || sw == 0x6F00) {
			(*internal)++;
		} else {
			fail_msg("%s with OpenSSL's allocation #%u failing: SW %04X, error %d",
			         what, at, sw, code);
		}
	}
}

/* Under memory pressure the card blamed the SM-DP+: OpenSSL drops some failed allocations
 * or reads them as bad input, and AuthenticateServer answered a genuine CERT.DPauth
 * invalidCertificate and its serverSignature1 invalidSignature, PrepareDownload CERT.DPpb and
 * smdpSignature2 likewise (until session 75). A failure with an allocation failed meanwhile
 * (ORSP_E_RESOURCE, orsp_wipe_alloc_failures) is now the card's own: undefinedError in
 * AuthenticateServer, as when its own signature fails, and in PrepareDownload the status
 * word of ORSP_E_RESOURCE, 6A84, the session kept for the LPA's CancelSession, as when its
 * one-time key or signature fails. */
static void test_server_checks_out_of_memory(void **state)
{
	(void)state;
	card *c = card_new();
	EVP_PKEY *ci_key = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	unsigned ok = 0, internal = 0;

	/* not a warning line for each of the thousands of commands the eUICC fails */
	sweep_log_level = orsp_log_get_level();
	orsp_log_set_level(ORSP_LOG_ERROR);
	oom_server_checks(c, ci_key, false, &ok, &internal);
	assert_true(ok > 0 && internal > 0);
	ok = internal = 0;
	oom_server_checks(c, ci_key, true, &ok, &internal);
	assert_true(ok > 0 && internal > 0);
	EVP_PKEY_free(ci_key);
	card_free(c);
}

static void test_prepare_errors(void **state)
{
	static const struct {
		dl_opts o;
		int code;
	} cases[] = {
	    {{.bad_sig2 = true}, 2},        /* invalidSignature */
	    {{.wrong_tid2 = true}, 5},      /* invalidTransactionId */
	    {{.pb_cert_as_auth = true}, 1}, /* invalidCertificate */
	    {{.other_smdp_pb = true}, 1},   /* CERT.DPpb of another SM-DP+ than CERT.DPauth's */
	    {{.cc_required = true}, 127},   /* hashCc missing although required */
	    {{.hash_cc = true}, 127},       /* hashCc given although not required */
	    {{.hash_cc = true, .hash_cc_len = 31}, 127}, /* not an Octet32, not required */
	    {{.cc_required = true, .hash_cc = true, .hash_cc_len = 33}, 127}, /* nor required */
	    /* after CERT.DPpb a known field again (not a later version's): CERT.DPpb, a
	     * hashCc after it instead of before */
	    {{.prep_trailing = 2}, 127},
	    {{.prep_trailing = 3, .hash_cc = true, .cc_required = true}, 127},
	    /* a ccRequiredFlag that is no DER BOOLEAN (X.690 §11.1: TRUE is FF), with and
	     * without hashCc: malformed, not read as TRUE */
	    {{.cc_flag = 0x01, .hash_cc = true}, 127},
	    {{.cc_flag = 0x80, .hash_cc = true}, 127},
	    {{.cc_flag = 0x01}, 127},
	    /* smdpSigned2 validly signed, its fields not as the ASN.1 has them: a field
	     * missing, twice or out of order is malformed, never the last of two values */
	    {{.s2_shape = 1}, 127},
	    {{.s2_shape = 2}, 127},
	    {{.s2_shape = 3}, 127},
	    {{.s2_shape = 4}, 127},
	    {{.s2_shape = 5}, 127},
	    {{.s2_shape = 6}, 127},
	};
	card *c = card_new();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get_challenge(c);
		assert_int_equal(authenticate(c, &cases[i].o), 0x9000);
		check_auth_ok(c);
		assert_int_equal(prepare(c, &cases[i].o), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), cases[i].code);
	}
	/* an extension after ccRequiredFlag is skipped, and so is one after CERT.DPpb (the rsp
	 * module is EXTENSIBILITY IMPLIED) */
	dl_opts ext = {.s2_shape = 7};
	get_challenge(c);
	assert_int_equal(authenticate(c, &ext), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &ext), 0x9000);
	check_prepare_ok(c, false);
	dl_opts ext_after = {.prep_trailing = 1};
	get_challenge(c);
	assert_int_equal(authenticate(c, &ext_after), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &ext_after), 0x9000);
	check_prepare_ok(c, false);
	card_free(c);
	c = card_new();
	/* with a confirmation code: hashCc comes back in EUICCSigned2 */
	dl_opts cc = {.cc_required = true, .hash_cc = true};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &cc, &cmd, &reason, NULL), 0xA0);
	card_free(c);
}

/* The serviceProviderName, profileName and profileNickname of the profile with this ICCID,
 * as GetProfilesInfo answers them (byte for byte) and as orsp_euicc_profile_get gives them:
 * both must equal what was sent. */
static void check_names(card *c, const char *iccid, const char *spn, const char *name,
                        const char *nick)
{
	uint8_t ef[10];
	char hex[64];
	orsp_tlv a0, e3, f;
	orsp_euicc_profile_info pi;
	bool found = false;

	assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
	snprintf(hex, sizeof(hex), "BF2D0EA00C5A0A");
	assert_int_equal(orsp_hex_encode(ef, 10, hex + strlen(hex), sizeof(hex) - strlen(hex)),
	                 ORSP_OK);
	assert_int_equal(es10_hex(c, hex), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
	assert_true(find_tlv(a0.value, 0xE3, &e3));
	assert_true(find_tlv(e3.value, 0x91, &f));
	assert_int_equal(f.value.len, strlen(spn));
	assert_memory_equal(f.value.p, spn, f.value.len);
	assert_true(find_tlv(e3.value, 0x92, &f));
	assert_int_equal(f.value.len, strlen(name));
	assert_memory_equal(f.value.p, name, f.value.len);
	if (nick[0]) {
		assert_true(find_tlv(e3.value, 0x90, &f));
		assert_int_equal(f.value.len, strlen(nick));
		assert_memory_equal(f.value.p, nick, f.value.len);
	}
	for (size_t i = 0; i < orsp_euicc_profile_count(&c->e); i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		if (strcmp(pi.iccid, iccid))
			continue;
		found = true;
		assert_string_equal(pi.spn, spn);
		assert_string_equal(pi.name, name);
		assert_string_equal(pi.nickname, nick);
	}
	assert_true(found);
}

/* SetNickname of the profile with this ICCID to the len bytes of nick: the result code. */
static int set_nickname(card *c, const char *iccid, const char *nick, size_t len)
{
	uint8_t req[512], ef[10];
	orsp_writer w;
	orsp_der_mark m;

	assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF29);
	orsp_der_put_tlv(&w, 0x5A, ef, 10);
	orsp_der_put_tlv(&w, 0x90, nick, len);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(store_data(c, req, w.len), 0x9000);
	return rsp_code(c, 0xBF29);
}

/* s: n copies of the UTF-8 character ch. */
static char *repeat(char *s, const char *ch, int n)
{
	s[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(s, ch);
	return s;
}

/* SGP.22 sizes serviceProviderName (SIZE(0..32)), profileName and profileNickname
 * (SIZE(0..64)) in characters: names of multi-byte characters up to those counts are kept
 * whole (through a power cycle); a longer one, or one that is not UTF-8, is refused, never
 * cut: StoreMetadata with incorrectInputValues (nothing installed), SetNickname with
 * undefinedError (the nickname unchanged). */
static void test_names_utf8(void **state)
{
	static char spn[4 * 40 + 1], name[4 * 70 + 1], nick[4 * 70 + 1];
	static const char euro[] = "\xE2\x82\xAC", e_acute[] = "\xC3\xA9",
	                  smile[] = "\xF0\x9F\x98\x80";
	card *c = card_new();
	uint8_t aid[16];
	int cmd = -1, reason = -1;
	dl_opts o = {.iccid = ICCID_A};

	(void)state;
	/* 32 x U+20AC (96 bytes), 64 x U+00E9 (128 bytes) */
	o.spn = repeat(spn, euro, 32);
	o.name = repeat(name, e_acute, 64);
	assert_int_equal(download(c, &o, &cmd, &reason, aid), 0xA0);
	check_names(c, ICCID_A, spn, name, "");
	/* the longest: 4-byte characters (128 and 256 bytes) */
	o.iccid = ICCID_B;
	o.spn = repeat(spn, smile, 32);
	o.name = repeat(name, smile, 64);
	assert_int_equal(download(c, &o, &cmd, &reason, aid), 0xA0);
	check_names(c, ICCID_B, spn, name, "");
	card_reopen(c);
	check_names(c, ICCID_B, spn, name, "");
	check_names(c, ICCID_A, repeat(spn, euro, 32), repeat(name, e_acute, 64), "");

	/* over the size in characters, a cut sequence, an overlong form: refused */
	o = (dl_opts){.iccid = ICCID_C, .spn = repeat(spn, euro, 33)};
	install_fails(c, &o, 2, 1);
	o = (dl_opts){.iccid = ICCID_C, .name = repeat(name, e_acute, 65)};
	install_fails(c, &o, 2, 1);
	o = (dl_opts){.iccid = ICCID_C, .spn = "Op\xC3"};
	install_fails(c, &o, 2, 1);
	o = (dl_opts){.iccid = ICCID_C, .name = "\xC0\xAF"};
	install_fails(c, &o, 2, 1);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 2);
	/* 32 ASCII characters still install */
	o = (dl_opts){.iccid = ICCID_C, .spn = repeat(spn, "s", 32), .name = repeat(name, "n", 64)};
	assert_int_equal(download(c, &o, &cmd, &reason, aid), 0xA0);
	check_names(c, ICCID_C, spn, name, "");

	/* SetNickname: 40 x U+00E9 (80 bytes), 64 x U+1F600 (256 bytes) */
	repeat(name, e_acute, 64);
	assert_int_equal(set_nickname(c, ICCID_A, repeat(nick, e_acute, 40), 80), 0);
	check_names(c, ICCID_A, repeat(spn, euro, 32), name, nick);
	assert_int_equal(set_nickname(c, ICCID_A, repeat(nick, smile, 64), 256), 0);
	check_names(c, ICCID_A, spn, name, nick);
	card_reopen(c);
	check_names(c, ICCID_A, spn, name, nick);
	/* 65 characters, not UTF-8, a NUL: 127, nothing committed */
	int calls = c->st.calls;
	assert_int_equal(set_nickname(c, ICCID_A, repeat(nick, "a", 65), 65), 127);
	assert_int_equal(set_nickname(c, ICCID_A, "\xFF", 1), 127);
	assert_int_equal(set_nickname(c, ICCID_A, "\xE2\x82", 2), 127);
	assert_int_equal(set_nickname(c, ICCID_A, "a\0b", 3), 127);
	assert_int_equal(c->st.calls, calls);
	check_names(c, ICCID_A, spn, name, repeat(nick, smile, 64));
	/* 64 ASCII characters, then none */
	assert_int_equal(set_nickname(c, ICCID_A, repeat(nick, "a", 64), 64), 0);
	check_names(c, ICCID_A, spn, name, nick);
	assert_int_equal(set_nickname(c, ICCID_A, "", 0), 0);
	check_names(c, ICCID_A, spn, name, "");
	card_free(c);
}

/* StoreMetadataRequest is taken only as it decodes: iccid, serviceProviderName and
 * profileName present, each field of the types the card keeps once and of its type, a
 * notificationAddress kept whole (at most an FQDN's 253 bytes, UTF-8 without NUL). Anything
 * else is incorrectInputValues under storeMetadata, nothing installed, never an empty name,
 * a cut address or the last of two values. */
static void test_metadata_checks(void **state)
{
	static const struct {
		uint32_t omit;
		const char *extra;
		bool no_notif;
	} bad[] = {
	    {0x5A, NULL, false},                     /* no iccid (was 5/13) */
	    {0x91, NULL, false},                     /* no serviceProviderName (was "") */
	    {0x92, NULL, false},                     /* no profileName (was "") */
	    {0x5A, "5A09980010325476981032", false}, /* an iccid of 9 bytes */
	    {0, "9103414243", false},                /* serviceProviderName twice */
	    {0, "950101", false},                    /* profileClass twice */
	    {0, "9900", false},                      /* profilePolicyRules: no bits octet */
	    {0, "99020800", false},                  /* 8 unused bits */
	    {0, "B600", false},                      /* notificationConfigurationInfo twice */
	    {0, "B6038001F0", true},                 /* an entry that is no SEQUENCE */
	    {0, "B6063004800204F0", true},           /* an entry without its address */
	    {0, "B6073005810361620A", true},         /* an entry without its events */
	    {0, "B60B3009800204F08103610062", true}, /* a NUL in the address (was cut) */
	    {0, "B60A3008800204F08102FFFE", true},   /* an address that is not UTF-8 */
	    {0, "B60730058001008100", true}, /* NotificationEvent without bits, no address: ok */
	};
	char addr[ORSP_FQDN_MAX + 2];
	orsp_euicc_profile_info pi;
	card *c = card_new();
	(void)state;

	/* the last entry is well-formed (no events, an empty address): installed */
	for (size_t i = 0; i + 1 < sizeof(bad) / sizeof(bad[0]); i++) {
		dl_opts o = {.meta_omit = bad[i].omit,
		             .meta_extra = bad[i].extra,
		             .no_notif_config = bad[i].no_notif};
		install_fails(c, &o, 2, 1);
	}
	{
		dl_opts o = {.meta_extra = bad[ORSP_ARRAY_LEN(bad) - 1].extra,
		             .no_notif_config = true};
		int cmd = -1, reason = -1;
		assert_int_equal(download(c, &o, &cmd, &reason, NULL), 0xA0);
		assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
		assert_string_equal(pi.smdp_address, "");
		assert_string_equal(pi.spn, PROFILE_SPN);
		assert_int_equal(delete (c, ISDR_V2_ICCID), 0);
	}
	/* a notificationAddress of 254 bytes: refused (was cut to 253) */
	memset(addr, 'a', sizeof(addr));
	addr[63] = addr[127] = addr[191] = '.';
	addr[ORSP_FQDN_MAX + 1] = '\0';
	{
		dl_opts o = {.notif = {{0xF0, addr}}};
		install_fails(c, &o, 2, 1);
	}
	/* 253 bytes: kept whole, through a power cycle, for each event (a new card: the error
	 * PIRs above fill the notification list) */
	card_free(c);
	c = card_new();
	addr[ORSP_FQDN_MAX] = '\0';
	{
		dl_opts o = {.notif = {{0xF0, addr}}};
		int cmd = -1, reason = -1;
		assert_int_equal(download(c, &o, &cmd, &reason, NULL), 0xA0);
		card_reopen(c);
		assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
		assert_string_equal(pi.smdp_address, addr);
		assert_int_equal(enable(c, ISDR_V2_ICCID), 0);
		check_notif_addrs(c, addr, addr, 2); /* the PIR and the enable */
	}
	card_free(c);
}

/* profileOwner (B7: OperatorID mccMnc, gid1, gid2) kept from the metadata through a power
 * cycle, and given by GetProfilesInfo when a tagList asks for it (as Android's LPA does); a
 * gid over ORSP_EUICC_GID_MAX bytes: installed, the owner not kept. */
static void test_profile_owner(void **state)
{
	static const char owner[] = "800302F8108101AA8202BBCC";
	card *c = card_new();
	int cmd = -1, reason = -1;
	uint8_t want[32];
	size_t want_len;
	(void)state;
	assert_int_equal(orsp_hex_decode(owner, want, sizeof(want), &want_len), ORSP_OK);
	/* what does not decode as an OperatorID: incorrectInputValues under storeMetadata, as
	 * test_metadata_checks's fields */
	static const char *const bad[] = {
	    "B700",                         /* without mccMnc */
	    "B703810101",                   /* gid1 without mccMnc */
	    "B704800202F8",                 /* mccMnc of 2 bytes */
	    "B7088101AA800302F810",         /* gid1 before mccMnc */
	    "B70B800302F8108101AA8101BB",   /* gid1 twice */
	    "B705800302F810B705800302F810", /* profileOwner twice */
	    "B7078300800302F810",           /* an unknown field before mccMnc */
	    "B70A800302F81083008101AA",     /* ... between the known ones */
	    /* nested a field deeper than the card's record check reads: was kept whole, and
	     * the card's state failed to load at the next power-on */
	    "B711A00AA008A006A004A002A000800302F810",
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		dl_opts o = {.meta_extra = bad[i]};
		install_fails(c, &o, 2, 1);
	}
	card_free(c);
	c = card_new();
	{
		/* a field of a later version after the known ones: skipped, not kept */
		dl_opts o = {.meta_extra = "B710800302F8108101AA8202BBCC83020102"};
		assert_int_equal(download(c, &o, &cmd, &reason, NULL), 0xA0);
	}
	for (int round = 0; round < 3; round++) {
		orsp_tlv a0, e3, b7;
		if (round)
			card_reopen(c);
		assert_int_equal(es10_hex(c, "BF2D045C025AB7"), 0x9000);
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_true(find_tlv(e3.value, 0xB7, &b7));
		assert_int_equal(b7.value.len, want_len);
		assert_memory_equal(b7.value.p, want, want_len);
		/* not in the default set */
		assert_int_equal(es10_hex(c, "BF2D00"), 0x9000);
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_false(find_tlv(e3.value, 0xB7, &b7));
	}
	assert_int_equal(delete (c, ISDR_V2_ICCID), 0);
	{
		/* gid1 of 17 bytes: installed without the owner */
		dl_opts o = {.meta_extra = "B718800302F8108111000102030405060708090A0B0C0D0E0F10"};
		orsp_tlv a0, e3, b7;
		assert_int_equal(download(c, &o, &cmd, &reason, NULL), 0xA0);
		assert_int_equal(es10_hex(c, "BF2D045C025AB7"), 0x9000);
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_false(find_tlv(e3.value, 0xB7, &b7));
	}
	card_free(c);
}

/* The BIT STRINGs of StoreMetadataRequest are taken as DER only (X.690 §11.2.1: every
 * unused bit zero): pprIds {07 60} holds one bit, clear, and its padding bits sit where ppr1
 * and ppr2 would be; a NotificationEvent {07 C0} holds install only, enable in its padding.
 * Each is incorrectInputValues under storeMetadata, nothing installed (pprIds {07 60} was
 * installed with ppr1 and ppr2, which the LPA had refused to read and shown no one). */
static void test_metadata_bit_padding(void **state)
{
	static const struct {
		uint8_t ppr, ppr_unused;
		const char *extra;
		bool no_notif;
	} bad[] = {
	    {0x60, 7, NULL, false},                         /* pprIds {07 60} */
	    {0x61, 5, NULL, false},                         /* pprIds {05 61}: bit 7 set */
	    {0, 0, "B60B3009800207C08103612E62", true},     /* events {07 C0} */
	    {0, 0, "B60D300B800204F1810561622E6578", true}, /* events {04 F1} */
	};
	card *c = card_new();
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		dl_opts o = {.ppr = bad[i].ppr,
		             .ppr_unused = bad[i].ppr_unused,
		             .meta_extra = bad[i].extra,
		             .no_notif_config = bad[i].no_notif};
		install_fails(c, &o, 2, 1);
	}
	/* the same bits with zero padding: installed, the rules those bits name kept */
	install_ok(c, ICCID_A, 0x60, NULL); /* {05 60}: ppr1, ppr2 */
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(disable(c, ICCID_A), 3); /* disallowedByPolicy */
	card_free(c);
}

/* SELECT of the ISD-R: its FCI ('6F': AID, 'A5' { '9F65' 255 }) whatever the response P2
 * asks for, the FCP (P2 04, what pySim sends) included, as a GlobalPlatform security domain
 * answers; P2 0C no data. pySim-shell failed to start on the FCP it got before (it reads the
 * ISD-R's answer as an FCI). */
static void test_isdr_select_fci(void **state)
{
	card *c = card_new();
	static const uint8_t fci[] = {0x6F, 0x18, 0x84, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59,
	                              0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00,
	                              0x01, 0x00, 0xA5, 0x04, 0x9F, 0x65, 0x01, 0xFF};
	uint8_t cmd[5 + 16 + 1] = {0x00, 0xA4, 0x04, 0x00, 0x10};
	(void)state;
	assert_int_equal(orsp_hex_decode_exact(ORSP_ISDR_AID_HEX, cmd + 5, 16), ORSP_OK);
	for (int i = 0; i < 3; i++) {
		cmd[3] = (uint8_t[]){0x00, 0x04, 0x0C}[i];
		xfer(c, cmd, sizeof(cmd));
		assert_int_equal(c->sw, 0x9000);
		if (cmd[3] == 0x0C) {
			assert_int_equal(c->out_len, 0);
			continue;
		}
		assert_int_equal(c->out_len, sizeof(fci));
		assert_memory_equal(c->out, fci, sizeof(fci));
	}
	/* the ISD-R still answers ES10 after it: GetEID */
	assert_int_equal(store_data(c, (const uint8_t[]){0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A}, 6),
	                 0x9000);
	assert_int_equal(c->out[0], 0xBF);
	assert_int_equal(c->out[1], 0x3E);
	card_free(c);
}

/* ISD-P numbers end at 0xEFFF (the AID's last two bytes are 0x10 + (n >> 8), n & 0xFF): the
 * next install after it takes the lowest number no installed ISD-P has, and the stale SQN
 * record of that number is removed with its commit; never an AID past the range, which
 * wraps onto the ISD-R's (…0100) or an installed ISD-P's with its records (n 0x10000 is
 * ISD-P 0). A counter stored beyond the range (as a wrapping version left it) does the same. */
static void test_isdp_numbers(void **state)
{
	card *c = card_new();
	uint8_t aid[4][16], isdr[16];
	int cmd = -1, reason = -1;
	orsp_euicc_record stale = {"sqn.1", (const uint8_t *)"stale", 5};
	dl_opts o = {.iccid_no = 7};

	(void)state;
	assert_int_equal(orsp_hex_decode_exact(ORSP_ISDR_AID_HEX, isdr, 16), ORSP_OK);
	install_ok(c, ICCID_A, 0, aid[0]); /* ISD-P 0 */
	assert_int_equal(aid[0][14], 0x10);
	assert_int_equal(aid[0][15], 0x00);
	/* the last number */
	c->e.next_isdp = 0xEFFF;
	install_ok(c, ICCID_B, 0, aid[1]);
	assert_int_equal(aid[1][14], 0xFF);
	assert_int_equal(aid[1][15], 0xFF);
	assert_int_equal(ms_count_prefix(&c->st, "upp.61439"), 1);
	/* used up: the lowest free number, 1, its stale SQN state gone */
	assert_int_equal(ms_commit(&c->st, &stale, 1), ORSP_OK);
	install_ok(c, ICCID_C, 0, aid[2]);
	assert_int_equal(aid[2][14], 0x10);
	assert_int_equal(aid[2][15], 0x01);
	assert_memory_not_equal(aid[2], isdr, 16);
	assert_int_equal(ms_count_prefix(&c->st, "upp.1"), 1);
	assert_int_equal(ms_count_prefix(&c->st, "sqn.1"), 0);
	card_reopen(c);
	assert_int_equal(c->e.next_isdp, 0xF000);
	/* a counter stored past the range: 0x10000 would be ISD-P 0's AID; 2 is free */
	c->e.next_isdp = 0x10000;
	assert_int_equal(download(c, &o, &cmd, &reason, aid[3]), 0xA0);
	assert_int_equal(aid[3][14], 0x10);
	assert_int_equal(aid[3][15], 0x02);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 4);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 4);
	/* each ISD-P its own package: every profile enables with its USIM */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(by_aid(c, 0xBF31, aid[i]), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF31), 0);
		assert_int_not_equal(select_usim(c), 0x6A82);
		assert_int_equal(by_aid(c, 0xBF32, aid[i]), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF32), 0);
	}
	/* deleting the reused ISD-P removes its own records only */
	assert_int_equal(by_aid(c, 0xBF33, aid[2]), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 3);
	assert_int_equal(ms_count_prefix(&c->st, "upp.1"), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp.61439"), 1);
	card_free(c);
}

static void test_install_errors(void **state)
{
	card *c = card_new();
	(void)state;

	/* a C-MAC of a profile segment tampered with: loadProfileElements(5), security (8) */
	dl_opts mac = {.tamper_mac = 2};
	install_fails(c, &mac, 5, 8);
	/* the BPP's transactionId is not the session's: initialiseSecureChannel(0) */
	dl_opts tid = {.wrong_tid_bpp = true};
	install_fails(c, &tid, 0, 3);
	/* a signed smdpOtpk that is no point of the curve: the key agreement of
	 * initialiseSecureChannel(0) fails on an input value, incorrectInputValues (1) */
	dl_opts ka = {.bad_smdp_otpk = true};
	install_fails(c, &ka, 0, 1);
	/* metadata for another ICCID than the package's: data mismatch */
	dl_opts mm = {.iccid = ICCID_A, .meta_iccid = ICCID_B};
	install_fails(c, &mm, 5, 13);
	/* the whole BPP in one request (an LPA that does not split it) installs too */
	dl_opts whole = {.iccid = ICCID_C, .whole_bpp = true};
	int wcmd = -1, wreason = -1;
	assert_int_equal(download(c, &whole, &wcmd, &wreason, NULL), 0xA0);
	assert_true(has_profile(c, ICCID_C));
	assert_int_equal(delete (c, ICCID_C), 0);
	/* '86' segments of 1036 bytes, as osmo-smdpp cuts the profile (1008 plaintext bytes
	 * each; SGP.22 has the sender stop at 1020): installed. The next size an '86' can
	 * have, 1052 bytes (1024 plaintext bytes), is over the 1036 accepted:
	 * loadProfileElements (5), scp03tStructureError (7) */
	dl_opts osmo = {.iccid = ICCID_C, .seg86_plain = 1008};
	assert_int_equal(download(c, &osmo, &wcmd, &wreason, NULL), 0xA0);
	assert_true(has_profile(c, ICCID_C));
	assert_int_equal(delete (c, ICCID_C), 0);
	dl_opts over = {.iccid = ICCID_C, .seg86_plain = 1024};
	install_fails(c, &over, 5, 7);
	/* a package that breaks the package rules (no PE-End): PE processing error */
	dl_opts noend = {.drop_end_pe = true};
	install_fails(c, &noend, 5, 12);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	/* TS.48 v7 with an element of a later PEDefinitions ([1]) in PE-End, which the decoder
	 * drops (TCA SAIP error handling): PE-End is mandated, so PE processing error; */
	dl_opts ext = {
	    .iccid = ICCID_C, .profile = ISDR_V7_VECTOR, .end_pe = "aa0aa005800081011f810100"};
	install_fails(c, &ext, 5, 12);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	/* the same PE-End without mandated: processed without the element, installed */
	ext.end_pe = "aa08a00381011f810100";
	assert_int_equal(download(c, &ext, &wcmd, &wreason, NULL), 0xA0);
	assert_true(has_profile(c, ICCID_C));
	assert_int_equal(delete (c, ICCID_C), 0);
	/* every failure left a PIR notification */
	assert_true(orsp_euicc_notification_count(&c->e) >= 3);

	/* an unfinished package (the last '86' never comes), then another command: nothing is
	 * installed, nothing answered before the end */
	dl_opts tr = {.truncate = true};
	start_session(c, &tr);
	assert_int_equal(load_bpp(c, &tr), 0x9000);
	assert_int_equal(c->out_len, 0);
	assert_false(c->bpp_all_sent);
	assert_int_equal(profiles_info_count(c, "BF2D00"), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);

	/* the ICCID exists already: storeMetadata(2), iccidAlreadyExists(9) */
	install_ok(c, ICCID_A, 0, NULL);
	dl_opts dup = {.iccid = ICCID_A};
	install_fails(c, &dup, 2, 9);
	/* LoadBoundProfilePackage without a session: test_bpp_without_session */
	card_free(c);
}

/* profileClass: the eUICC does not announce testProfileSupport in rspCapability, so a
 * test profile is refused, as is a class it does not know: storeMetadata(2),
 * unsupportedProfileClass(6), nothing installed. Provisioning and operational install. */
static void test_profile_class(void **state)
{
	card *c = card_new();
	orsp_tlv f;
	(void)state;

	assert_int_equal(es10_hex(c, "BF2200"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF22), 0x88, &f));  /* rspCapability */
	assert_true(f.value.len < 2 || !(f.value.p[1] & 0x10)); /* no testProfileSupport (3) */
	static const unsigned refused[] = {0, 3, 255};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		dl_opts o = {.iccid = ICCID_A, .set_class = true, .profile_class = refused[i]};
		install_fails(c, &o, 2, 6);
		assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	}
	dl_opts prov = {.iccid = ICCID_A, .set_class = true, .profile_class = 1};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &prov, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(profiles_info_count(c, "BF2D05A003950101"), 1); /* provisioning */
	card_reopen(c);
	orsp_euicc_profile_info pi;
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_int_equal(pi.profile_class, 1);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	card_free(c);
}

/* A retry of the same binding (SGP.22 §5.7.5): with bppEuiccOtpk the eUICC answers with
 * the one-time key it kept from the earlier session, and the BPP bound to it installs;
 * after an installation the key is gone. */
static void test_otpk_reuse(void **state)
{
	card *c = card_new();
	dl_opts o = {0};
	uint8_t first[65], other[65];
	int cmd = -1, reason = -1;
	(void)state;

	start_session(c, &o);
	memcpy(first, c->otpk, 65);
	/* the LPA lost the BPP: a new session, the SM-DP+ asks for the same key */
	dl_opts retry = {.bpp_otpk = first};
	start_session(c, &retry);
	assert_memory_equal(c->otpk, first, 65);
	/* an otPK the eUICC does not hold: a fresh key */
	memcpy(other, first, 65);
	other[40] ^= 1;
	dl_opts wrong = {.bpp_otpk = other};
	start_session(c, &wrong);
	assert_memory_not_equal(c->otpk, first, 65);
	memcpy(first, c->otpk, 65);
	/* retry with that one, and the BPP bound to it installs */
	start_session(c, &retry);
	assert_memory_equal(c->otpk, first, 65);
	assert_int_equal(load_bpp(c, &retry), 0x9000);
	assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA0);
	/* installed: asking for the same key again gets a new one */
	start_session(c, &retry);
	assert_memory_not_equal(c->otpk, first, 65);
	card_free(c);
}

/* The memory is full: installFailedDueToInsufficientMemoryForProfile (10). */
static void test_memory_full(void **state)
{
	static const char *iccids[] = {
	    "89000123456789012341", "89000123456789012358", "89000123456789012366",
	    "89000123456789012374", "89000123456789012382", "89000123456789012390",
	    "89000123456789012408", "89000123456789012416", "89000123456789012424",
	};
	card *c = card_new();
	(void)state;

	_Static_assert(ORSP_EUICC_MAX_PROFILES < sizeof(iccids) / sizeof(iccids[0]),
	               "enough ICCIDs");
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++)
		install_ok(c, iccids[i], 0, NULL);
	dl_opts full = {.iccid = iccids[ORSP_EUICC_MAX_PROFILES]};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &full, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(reason, 10);
	assert_int_equal(orsp_euicc_profile_count(&c->e), ORSP_EUICC_MAX_PROFILES);
	card_free(c);
}

/* PPR1: the enabled profile cannot be disabled; PPR2: the profile cannot be deleted. The
 * Rules Authorisation Table (GetRAT) allows both, for any operator, with end-user consent:
 * what the card accepts in StoreMetadata and enforces is what it announces. */
static void test_ppr(void **state)
{
	card *c = card_new();
	orsp_tlv a0, rule, f, op;
	orsp_reader r;
	(void)state;

	assert_int_equal(es10_hex(c, "BF4300"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF43), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &rule), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&r), 0); /* one rule */
	assert_true(find_tlv(rule.value, 0x80, &f));    /* pprIds */
	assert_int_equal(f.value.len, 2);
	assert_int_equal(f.value.p[1] & 0x60, 0x60); /* ppr1, ppr2 */
	assert_true(find_tlv(rule.value, 0xA1, &f)); /* allowedOperators */
	assert_true(find_tlv(f.value, 0x30, &op));
	assert_true(find_tlv(op.value, 0x80, &f)); /* mccMnc: the wildcard, no GIDs */
	assert_int_equal(f.value.len, 3);
	assert_memory_equal(f.value.p, "\xEE\xEE\xEE", 3);
	assert_int_equal(op.value.len, 5);
	assert_true(find_tlv(rule.value, 0x82, &f)); /* pprFlags: consentRequired */
	assert_int_equal(f.value.len, 2);
	assert_int_equal(f.value.p[1] & 0x80, 0x80);

	install_ok(c, ICCID_A, 0x40, NULL); /* ppr1 */
	install_ok(c, ICCID_B, 0x20, NULL); /* ppr2 */
	install_ok(c, ICCID_C, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(disable(c, ICCID_A), 3);
	assert_int_equal(enable(c, ICCID_C), 3); /* would disable A */
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(delete (c, ICCID_B), 3);
	assert_true(has_profile(c, ICCID_B));
	assert_int_equal(delete (c, ICCID_C), 0);
	/* at most one enabled profile */
	card_free(c);

	c = card_new();
	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(enable(c, ICCID_B), 0);
	assert_string_equal(enabled_iccid(c), ICCID_B);
	assert_int_equal(profiles_info_count(c, "BF2D00"), 2);
	size_t n_enabled = 0;
	orsp_euicc_profile_info pi;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		n_enabled += pi.enabled;
	}
	assert_int_equal(n_enabled, 1);
	card_free(c);
}

/* Crash injection: the Nth commit fails; reopening gives exactly the old state, and with
 * the commit succeeding exactly the new one. */
static void test_crash(void **state)
{
	card *c = card_new();
	(void)state;

	/* install */
	c->st.fail_at = c->st.calls + 1;
	dl_opts o = {.iccid = ICCID_A};
	start_session(c, &o);
	uint16_t sw = load_bpp(c, &o);
	assert_int_not_equal(sw, 0x9000);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	/* a failed installation whose error PIR cannot be recorded: no phantom notification */
	dl_opts mac = {.tamper_mac = 2};
	start_session(c, &mac);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(load_bpp(c, &mac), 0x6581);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);

	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	size_t notifs = orsp_euicc_notification_count(&c->e);

	/* enable */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF31, ICCID_A), 0x9000);
	assert_string_equal(enabled_iccid(c), "");
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(enable(c, ICCID_A), 0);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	notifs = orsp_euicc_notification_count(&c->e);

	/* enable another (disables A in the same commit) */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF31, ICCID_B), 0x9000);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);

	/* disable */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF32, ICCID_A), 0x9000);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(disable(c, ICCID_A), 0);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), "");

	/* delete: profile, upp and sqn records go together or not at all */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF33, ICCID_B), 0x9000);
	assert_true(has_profile(c, ICCID_B));
	card_reopen(c);
	assert_true(has_profile(c, ICCID_B));
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 2);
	assert_int_equal(delete (c, ICCID_B), 0);
	card_reopen(c);
	assert_false(has_profile(c, ICCID_B));
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 1);
	card_free(c);
}

/* The sealed store's test hook: the write step named *arg fails (orsp_seal_set_test_hook). */
static orsp_err fail_seal_step(const char *point, void *arg)
{
	return strcmp(point, *(const char *const *)arg) == 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* A seal test hook failing every step whose point begins with *arg. */
static orsp_err fail_seal_prefix(const char *point, void *arg)
{
	const char *prefix = *(const char *const *)arg;
	return strncmp(point, prefix, strlen(prefix)) == 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* Over a sealed store, as orsp_euicc_host runs the core: a DisableProfile whose commit was
 * applied (the manifest renamed into place) but whose counter advance failed answers ok (0),
 * since the profile is disabled, durably, and its notification pending, after a reopen too
 * (until session 69 it was 6581 and a repeat was refused, "profileNotInEnabledState"). The
 * card goes on serving; the next state change completes the stored commit first (6581,
 * nothing changed, while that fails). One whose directory flush after the rename failed is
 * not known to survive a power cut: 6581, and the card stops (6F00, the USIM gone) until it
 * is opened again, which finds what the directory holds (until session 78 it answered ok and
 * served on, the disable and its notification liable to be lost). A failure before the
 * rename is 6581 and changes nothing, and the card goes on too. */
static void test_sealed_commit_outcomes(void **state)
{
	static const char *after[] = {"commit: counter advance"};
	static const char *completion = "commit: completion: ";
	static const char *unflushed = "commit: directory fsync";
	const char *at = "commit: rename";
	card *c = card_new();
	size_t notifs;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	card_seal(c, "isdr_sealed");
	/* the flush after the rename failing: no answer of the disable, the card stopped */
	assert_int_equal(enable(c, ICCID_A), 0);
	notifs = orsp_euicc_notification_count(&c->e);
	{
		/* and said in the log: the answers do not say why (until the diff review of
		 * session 78 nothing was logged) */
		char logpath[1100], logged[4096] = "";
		int saved = test_stderr_to("isdr_unflushed_log", logpath, sizeof(logpath));
		FILE *lf;
		size_t got;
		orsp_seal_set_test_hook(fail_seal_step, &unflushed);
		assert_int_equal(by_iccid(c, 0xBF32, ICCID_A), 0x6581);
		orsp_seal_set_test_hook(NULL, NULL);
		test_stderr_back(saved);
		lf = fopen(logpath, "r");
		assert_non_null(lf);
		got = fread(logged, 1, sizeof(logged) - 1, lf);
		logged[got] = '\0';
		fclose(lf);
		if (!strstr(logged, "eUICC storage: ") ||
		    !strstr(logged, "may not survive a power cut") ||
		    !strstr(logged, "the card is stopped until its store is opened again"))
			fail_msg("log: '%s'", logged);
	}
	assert_non_null(strstr(orsp_err_detail(), "may not survive a power cut"));
	assert_true(orsp_seal_unflushed(c->seal));
	assert_int_equal(es10_hex(c, "BF2D00"), 0x6F00);
	assert_int_equal(by_iccid(c, 0xBF31, ICCID_A), 0x6F00);
	assert_int_equal(select_usim(c), 0x6A82);
	/* opened again: what the directory holds (here the rename did reach it) */
	card_seal_reopen(c);
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs + 1);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(after); i++) {
		assert_int_equal(enable(c, ICCID_A), 0);
		notifs = orsp_euicc_notification_count(&c->e);
		orsp_seal_set_test_hook(fail_seal_step, &after[i]);
		assert_int_equal(disable(c, ICCID_A), 0);
		orsp_seal_set_test_hook(NULL, NULL);
		assert_true(orsp_seal_committed(c->seal));
		assert_string_equal(enabled_iccid(c), "");
		assert_int_equal(orsp_euicc_notification_count(&c->e), notifs + 1);
		assert_int_equal(es10_hex(c, "BF2D00"), 0x9000);
		/* the next state change completes the stored one first: refused (6581, not made)
		 * while that fails, made once it works, with no restart (until session 72 every
		 * one was refused until the store was opened again) */
		orsp_seal_set_test_hook(fail_seal_prefix, &completion);
		assert_int_equal(by_iccid(c, 0xBF31, ICCID_A), 0x6581);
		orsp_seal_set_test_hook(NULL, NULL);
		assert_string_equal(enabled_iccid(c), "");
		assert_int_equal(orsp_euicc_notification_count(&c->e), notifs + 1);
		assert_int_equal(enable(c, ICCID_A), 0);
		assert_string_equal(enabled_iccid(c), ICCID_A);
		card_seal_reopen(c);
		assert_string_equal(enabled_iccid(c), ICCID_A);
		assert_int_equal(orsp_euicc_notification_count(&c->e), notifs + 2);
		assert_int_equal(disable(c, ICCID_A), 0);
	}
	/* before the rename: nothing changed, the card serves on and the next try works */
	assert_int_equal(enable(c, ICCID_A), 0);
	notifs = orsp_euicc_notification_count(&c->e);
	orsp_seal_set_test_hook(fail_seal_step, &at);
	assert_int_equal(by_iccid(c, 0xBF32, ICCID_A), 0x6581);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_false(orsp_seal_committed(c->seal));
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(select_usim(c), 0x9000);
	assert_int_equal(disable(c, ICCID_A), 0);
	card_seal_reopen(c);
	assert_string_equal(enabled_iccid(c), "");
	card_free(c);
}

/* A failed commit whose re-read of the stored state fails too: the card stops serving until
 * it is reopened, rather than going on with empty tables that the next commit would store
 * (profiles lost, upp records orphaned, sequence numbers reused). */
static void test_crash_unreadable(void **state)
{
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(select_usim(c), 0x9000);
	size_t notifs = orsp_euicc_notification_count(&c->e);
	c->st.fail_at = c->st.calls + 1;
	c->st.fail_reads = true;
	assert_int_equal(by_iccid(c, 0xBF32, ICCID_A), 0x6581);
	c->st.fail_reads = false;
	/* storage is back; the card still refuses every command, state-changing or not, and
	 * commits nothing; the USIM is gone too */
	int calls = c->st.calls;
	assert_int_equal(es10_hex(c, "BF3F058003616263"), 0x6F00); /* SetDefaultDpAddress */
	assert_int_equal(by_iccid(c, 0xBF32, ICCID_A), 0x6F00);
	assert_int_equal(es10_hex(c, "BF2D00"), 0x6F00);
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(c->st.calls, calls);
	/* a power cycle: exactly the old state */
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 1);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(select_usim(c), 0x9000);
	assert_int_equal(disable(c, ICCID_A), 0);
	card_free(c);
}

/* CancelSession {transactionId, reason}: the status word, the answer in c->out. */
static uint16_t cancel_session(card *c, const uint8_t *tid, size_t tid_len, uint64_t reason)
{
	uint8_t req[64];
	orsp_writer w;
	orsp_der_mark m;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, tid, tid_len);
	orsp_der_put_uint(&w, 0x81, reason);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return store_data(c, req, w.len);
}

/* The answer in c->out is a CancelSessionResponseOk for c's transactionId and this reason,
 * signed with SK.EUICC. */
static void check_cancel_ok(card *c, uint64_t reason)
{
	orsp_tlv a0, s, sig, f;
	orsp_reader r;
	uint64_t v = 0;

	assert_true(find_tlv(rsp_value(c, 0xBF41), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, s.raw.p, s.raw.len, sig.value.p), ORSP_OK);
	assert_true(find_tlv(s.value, 0x80, &f));
	assert_bytes_equal(f.value.p, c->tid, 16);
	assert_true(find_tlv(s.value, 0x81, &f)); /* smdpOid */
	assert_true(find_tlv(s.value, 0x82, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	assert_int_equal(v, reason);
}

/* CancelSession {transactionId, then these bytes (hex) in place of the reason}: the
 * CancelSessionResponse error code, -1 for an Ok answer. */
static int cancel_raw(card *c, const uint8_t *tid, size_t tid_len, const char *tail)
{
	uint8_t req[64], t[16];
	size_t tl = 0;
	orsp_writer w;
	orsp_der_mark m;
	orsp_tlv f, a0;
	uint64_t v;

	assert_int_equal(orsp_hex_decode(tail, t, sizeof(t), &tl), ORSP_OK);
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, tid, tid_len);
	orsp_write_bytes(&w, t, tl);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(store_data(c, req, w.len), 0x9000);
	if (find_tlv(rsp_value(c, 0xBF41), 0xA0, &a0))
		return -1;
	assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	return (int)v;
}

/* CancelSession: a signed EuiccCancelSessionSigned for the session's transactionId. */
static void test_cancel_session(void **state)
{
	card *c = card_new();
	dl_opts o = {0};
	orsp_tlv a0;
	(void)state;

	get_challenge(c);
	assert_int_equal(authenticate(c, &o), 0x9000);
	check_auth_ok(c);
	/* a wrong transactionId */
	assert_int_equal(cancel_session(c, (const uint8_t *)"\x01\x02", 2, 0), 0x9000);
	assert_false(find_tlv(rsp_value(c, 0xBF41), 0xA0, &a0));
	/* the session's transactionId with a reason that is no CancelSessionReason:
	 * undefinedError (not invalidTransactionId), the session goes on; with another
	 * transactionId it is that first */
	{
		static const char *const bad_reason[] = {
		    "",             /* none */
		    "8100",         /* empty */
		    "8101FF",       /* negative */
		    "81020001",     /* not minimal */
		    "820101",       /* another tag */
		    "810101810101", /* the reason again (a later version's field is skipped) */
		};
		for (size_t i = 0; i < sizeof(bad_reason) / sizeof(bad_reason[0]); i++) {
			assert_int_equal(cancel_raw(c, c->tid, 16, bad_reason[i]), 127);
			assert_int_equal(cancel_raw(c, (const uint8_t *)"\x01", 1, bad_reason[i]),
			                 5);
		}
	}
	/* the right one */
	assert_int_equal(cancel_session(c, c->tid, 16, 1), 0x9000); /* postponed */
	check_cancel_ok(c, 1);
	/* the session is over */
	assert_int_equal(prepare(c, &o), 0x9000);
	assert_int_equal(rsp_error(c, 0xBF21), 4);
	card_free(c);
}

/* CancelSession after the package started loading (SGP.22 allows it until the end of the
 * download: an LPA whose load failed cancels): the signed EuiccCancelSessionSigned, nothing
 * of the package kept, one commit that removes the load record, the session over, and the
 * next download works. A
 * CancelSession with another transactionId while loading is refused and drops the package
 * as any other command does. */
static void test_cancel_during_load(void **state)
{
	card *c = card_new();
	dl_opts tr = {.truncate = true};
	orsp_tlv f;
	int commits;
	(void)state;

	start_session(c, &tr);
	assert_int_equal(load_bpp(c, &tr), 0x9000);
	assert_int_equal(c->out_len, 0);
	assert_false(c->bpp_all_sent);
	commits = c->st.calls;
	assert_int_equal(cancel_session(c, c->tid, 16, 2), 0x9000); /* timeout */
	check_cancel_ok(c, 2);
	/* nothing of the package: the load record's removal committed, no profile, no record,
	 * no notification (also after a power cycle: no interruption PIR) */
	assert_int_equal(c->st.calls, commits + 1);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(profiles_info_count(c, "BF2D00"), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	/* the session is over: cancelling it again is invalidTransactionId */
	assert_int_equal(cancel_session(c, c->tid, 16, 2), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);

	/* another transactionId while loading: refused, and the package is dropped */
	start_session(c, &tr);
	assert_int_equal(load_bpp(c, &tr), 0x9000);
	assert_int_equal(cancel_session(c, (const uint8_t *)"\x01\x02", 2, 2), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
	assert_int_equal(cancel_session(c, c->tid, 16, 2), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	/* the session's transactionId with a malformed reason while loading: undefinedError,
	 * and the package is dropped too */
	start_session(c, &tr);
	assert_int_equal(load_bpp(c, &tr), 0x9000);
	assert_int_equal(cancel_raw(c, c->tid, 16, "8101FF"), 127);
	assert_int_equal(cancel_raw(c, c->tid, 16, "810102"), 5);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);

	/* a new download afterwards installs */
	install_ok(c, ICCID_A, 0, NULL);
	assert_true(has_profile(c, ICCID_A));
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 1);
	card_free(c);
}

/* The USIM of the enabled profile keeps its SQN state in "sqn.<isdp>" through the persist
 * callback: an AUTHENTICATE accepted once is a replay after a power cycle, and a failing
 * commit keeps RES from leaving the card (6581). */
static void test_usim_sqn(void **state)
{
	card *c = card_new();
	orsp_aka_subscriber sub;
	orsp_aka_vector v;
	uint8_t rand[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t sqn1[6] = {0, 0, 0, 0, 0, 0x40}, sqn2[6] = {0, 0, 0, 0, 0, 0x80};
	static const uint8_t amf[2] = {0x80, 0x00};
	(void)state;

	dl_opts mil = {.iccid = ICCID_A, .milenage = true};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &mil, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	assert_int_equal(
	    orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, isdr_mil_k, 16, isdr_mil_opc, 16),
	    ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn1, amf, &v), ORSP_OK);
	assert_int_equal(usim_auth(c, 1, rand, v.autn), 0x90DB);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 1);
	card_reopen(c);
	/* the same SQN again: synchronisation failure (the state came back from the store) */
	assert_int_equal(usim_auth(c, 1, rand, v.autn), 0x90DC);
	/* a fresh SQN, but the commit fails: no RES */
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn2, amf, &v), ORSP_OK);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(usim_auth(c, 1, rand, v.autn), 0x6581);
	assert_int_equal(usim_auth(c, 1, rand, v.autn), 0x90DB);
	/* disable: the USIM is gone; delete removes the sqn record with the profile */
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(delete (c, ICCID_A), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	orsp_aka_vector_wipe(&v);
	orsp_aka_subscriber_wipe(&sub);
	card_free(c);
}

/* AUTHENTICATE over a sealed store whose SQN commit was applied but whose directory flush
 * after the manifest failed: no RES (6581), since a power cut could still lose the SQN and a
 * replay of the challenge be answered again; the card takes no other challenge until it is
 * opened again, and then the first one's SQN is what the directory holds. Until session 78
 * the RES left the card with the commit not known to be durable. */
static void test_sealed_authenticate_unflushed(void **state)
{
	static const char *unflushed = "commit: directory fsync";
	static const uint8_t sqn1[6] = {0, 0, 0, 0, 0, 0x40}, sqn2[6] = {0, 0, 0, 0, 0, 0x80};
	static const uint8_t amf[2] = {0x80, 0x00};
	uint8_t rand[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	dl_opts mil = {.iccid = ICCID_A, .milenage = true};
	card *c = card_new();
	orsp_aka_subscriber sub;
	orsp_aka_vector v1, v2;
	int cmd = -1, reason = -1;
	(void)state;

	assert_int_equal(download(c, &mil, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(enable(c, ICCID_A), 0);
	card_seal(c, "isdr_auth_sealed");
	assert_int_equal(
	    orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, isdr_mil_k, 16, isdr_mil_opc, 16),
	    ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn1, amf, &v1), ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn2, amf, &v2), ORSP_OK);
	orsp_seal_set_test_hook(fail_seal_step, &unflushed);
	assert_int_equal(usim_auth(c, 1, rand, v1.autn), 0x6581);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_true(orsp_seal_unflushed(c->seal));
	/* the same challenge again, or a fresh one: no RES either */
	assert_int_equal(usim_auth(c, 1, rand, v1.autn), 0x6581);
	assert_int_equal(usim_auth(c, 1, rand, v2.autn), 0x6581);
	/* opened again: the first SQN was stored (the rename reached the directory here) */
	card_seal_reopen(c);
	assert_int_equal(usim_auth(c, 1, rand, v1.autn), 0x90DC);
	assert_int_equal(usim_auth(c, 1, rand, v2.autn), 0x90DB);
	assert_int_equal(usim_auth(c, 1, rand, v2.autn), 0x90DC);
	orsp_aka_vector_wipe(&v1);
	orsp_aka_vector_wipe(&v2);
	orsp_aka_subscriber_wipe(&sub);
	card_free(c);
}

/* eUICCMemoryReset: operational profiles and their records go, in one commit. */
static void test_memory_reset(void **state)
{
	card *c = card_new();
	orsp_tlv f;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	/* the commit fails: everything is still there, after a power cycle too */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 2);
	/* deleteOperationalProfiles */
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	assert_int_equal(select_usim(c), 0x6A82);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	/* again: nothingToDelete */
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	/* resetDefaultSmdpAddress: back to the provisioned address (SMDP_ADDR), not empty;
	 * again, or with the address never changed: nothingToDelete */
	assert_int_equal(es10_hex(c, "BF340482020520"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	assert_int_equal(es10_hex(c, "BF3F0C800A6F746865722E686F7374"), 0x9000); /* other.host */
	assert_int_equal(rsp_code(c, 0xBF3F), 0);
	/* resetOptions {07 20}: one bit, clear, and resetDefaultSmdpAddress's place a set
	 * padding bit: not DER, undefinedError, the address kept */
	assert_int_equal(es10_hex(c, "BF340482020720"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127);
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, strlen("other.host"));
	assert_memory_equal(f.value.p, "other.host", f.value.len);
	/* the address reset, no profile deleted: nothingToDelete, which for
	 * resetDefaultSmdpAddress is success too (SGP.22 §5.7.19: ok only when a profile was
	 * deleted); the new address stored */
	int calls = c->st.calls;
	assert_int_equal(es10_hex(c, "BF340482020520"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	assert_int_not_equal(c->st.calls, calls);
	card_reopen(c);
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_memory_equal(f.value.p, SMDP_ADDR, f.value.len);
	assert_int_equal(es10_hex(c, "BF340482020520"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	/* no resetOptions */
	assert_int_equal(es10_hex(c, "BF3400"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127);
	card_free(c);
}

/* eUICCMemoryReset with resetOptions of no bit set, {00}: the DER of the empty named BIT
 * STRING (X.690 §11.2.2 drops the trailing zero bits, all of them here) and a well-formed
 * request. Nothing is selected, so nothing is deleted: nothingToDelete (SGP.22 §5.7.19: ok
 * when at least one profile was deleted, else nothingToDelete), the profiles and the address
 * kept (it was undefinedError). An empty BIT STRING that claims unused bits
 * ({01}, X.690 §8.6.2.3) and one without its initial octet stay undefinedError. */
static void test_memory_reset_no_option(void **state)
{
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(es10_hex(c, "BF3F0C800A6F746865722E686F7374"), 0x9000); /* other.host */
	assert_int_equal(rsp_code(c, 0xBF3F), 0);
	int calls = c->st.calls;
	assert_int_equal(es10_hex(c, "BF3403820100"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(c->st.calls, calls); /* nothing stored */
	assert_int_equal(es10_hex(c, "BF3403820101"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127);
	assert_int_equal(es10_hex(c, "BF34028200"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	/* the address is still the one set: resetDefaultSmdpAddress was not asked */
	{
		orsp_tlv f;
		assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
		assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
		assert_int_equal(f.value.len, strlen("other.host"));
		assert_memory_equal(f.value.p, "other.host", f.value.len);
	}
	card_free(c);
}

/* EF.IMSI selected and read on channel 1 (the USIM selected there first): the status words. */
static void imsi_on_channel1(card *c, uint16_t *sel, uint16_t *read)
{
	static const uint8_t sel_imsi[] = {0x01, 0xA4, 0x00, 0x0C, 0x02, 0x6F, 0x07};
	static const uint8_t read_imsi[] = {0x01, 0xB0, 0x00, 0x00, 0x09};

	xfer(c, sel_imsi, sizeof(sel_imsi));
	*sel = c->sw;
	xfer(c, read_imsi, sizeof(read_imsi));
	*read = c->sw;
}

/* An eUICCMemoryReset that leaves the enabled profile leaves its USIM as the terminal uses
 * it: the application selected on its channel, the current EF (the modem's session goes on,
 * no REFRESH). Here after resetDefaultSmdpAddress alone, and after deleteOperationalProfiles
 * with a provisioning profile enabled, which it keeps. */
static void test_memory_reset_keeps_session(void **state)
{
	card *c = card_new();
	uint16_t sel, rd;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(usim_select(c, 1), 0x9000);
	imsi_on_channel1(c, &sel, &rd);
	assert_int_equal(sel, 0x9000);
	assert_int_equal(rd, 0x9000);
	assert_int_equal(es10_hex(c, "BF3F0C800A6F746865722E686F7374"), 0x9000); /* other.host */
	assert_int_equal(rsp_code(c, 0xBF3F), 0);
	assert_int_equal(es10_hex(c, "BF340482020520"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1); /* no profile deleted, the address reset */
	imsi_on_channel1(c, &sel, &rd);
	assert_int_equal(sel, 0x9000);
	assert_int_equal(rd, 0x9000);
	card_free(c);

	c = card_new();
	dl_opts prov = {.iccid = ICCID_A, .set_class = true, .profile_class = 1};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &prov, &cmd, &reason, NULL), 0xA0);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(usim_select(c, 1), 0x9000);
	static const uint8_t sel_imsi[] = {0x01, 0xA4, 0x00, 0x0C, 0x02, 0x6F, 0x07};
	xfer(c, sel_imsi, sizeof(sel_imsi));
	assert_int_equal(c->sw, 0x9000);
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000); /* deleteOperationalProfiles */
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	static const uint8_t read_imsi[] = {0x01, 0xB0, 0x00, 0x00, 0x09};
	xfer(c, read_imsi, sizeof(read_imsi)); /* the current EF is still EF.IMSI */
	assert_int_equal(c->sw, 0x9000);
	card_free(c);
}

/* eUICCMemoryReset that deletes profiles ends a download session in progress, as a
 * CancelSession would: the prepared package is refused (the PIR of no session,
 * bppCommandId 0, errorReason 3) and the one-time key kept for a retry of its binding is
 * gone, so that a retry with bppEuiccOtpk gets a fresh key. A reset that deletes nothing
 * leaves the session and the key as they are. */
static void test_memory_reset_ends_session(void **state)
{
	card *c = card_new();
	dl_opts o = {0};
	uint8_t first[65];
	int cmd = -1, reason = -1;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	start_session(c, &o);
	memcpy(first, c->otpk, 65);
	assert_int_equal(es10_hex(c, "BF340482020640"), 0x9000); /* test profiles: none */
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	assert_non_null(c->e.kept_otsk);
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000); /* deleteOperationalProfiles */
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_null(c->e.kept_otsk);
	assert_int_equal(load_bpp(c, &o), 0x9000);
	assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, 0);
	assert_int_equal(reason, 3);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	/* the SM-DP+ retries the same binding: a new key, not the one from before the reset */
	dl_opts retry = {.bpp_otpk = first};
	start_session(c, &retry);
	assert_memory_not_equal(c->otpk, first, 65);
	assert_int_equal(load_bpp(c, &retry), 0x9000);
	assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA0);
	card_free(c);
}

/* The newest entry of ListNotification (highest seqNumber): its event bits and ICCID
 * (EF.ICCID coding). */
static void last_notification(card *c, uint8_t *event, orsp_tlv *iccid)
{
	orsp_tlv a0, n, last = {0}, f;
	orsp_reader r;
	uint64_t seq, max = 0;

	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_expect(&r, 0xBF2F, &n), ORSP_OK);
		assert_true(find_tlv(n.value, 0x80, &f));
		assert_int_equal(orsp_der_uint(f.value, &seq), ORSP_OK);
		if (!last.raw.p || seq > max) {
			max = seq;
			last = n;
		}
	}
	assert_non_null(last.raw.p);
	n = last;
	assert_true(find_tlv(n.value, 0x81, &f));
	assert_int_equal(f.value.len, 2);
	*event = f.value.p[1];
	assert_true(find_tlv(n.value, 0x5A, iccid));
}

/* eUICCMemoryReset raises the delete notification of each profile it deletes that asks for
 * one (signed, as DeleteProfile's), none for a profile that does not; when they do not all
 * fit in the list, the reset changes nothing (undefinedError) until the LPA removes some. */
static void test_memory_reset_notifications(void **state)
{
	card *c = card_new();
	dl_opts quiet = {.iccid = ICCID_B, .no_notif_config = true};
	int cmd = -1, reason = -1, calls;
	size_t before;
	uint8_t event = 0, iccid_a[10];
	orsp_tlv f;
	bool on = false;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	memcpy(iccid_a, c->iccid_ef, 10);
	assert_int_equal(download(c, &quiet, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(enable(c, ICCID_A), 0);
	before = orsp_euicc_notification_count(&c->e);
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), before + 1); /* A's, not B's */
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), before + 1);
	last_notification(c, &event, &f);
	assert_int_equal(event, 0x10);
	assert_int_equal(f.value.len, 10);
	assert_memory_equal(f.value.p, iccid_a, 10);

	/* the list full: nothing deleted, nothing written */
	install_ok(c, ICCID_A, 0, NULL);
	while (orsp_euicc_notification_count(&c->e) < ORSP_EUICC_MAX_NOTIFICATIONS) {
		assert_int_equal(on ? disable(c, ICCID_A) : enable(c, ICCID_A), 0);
		on = !on;
	}
	calls = c->st.calls;
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127);
	assert_int_equal(c->st.calls, calls);
	assert_true(has_profile(c, ICCID_A));
	card_reopen(c);
	assert_true(has_profile(c, ICCID_A));
	/* resetDefaultSmdpAddress alone records nothing: it goes through (nothingToDelete:
	 * no profile deleted) */
	assert_int_equal(es10_hex(c, "BF3F0C800A6F746865722E686F7374"), 0x9000); /* other.host */
	assert_int_equal(es10_hex(c, "BF340482020520"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	/* one removed: the reset goes through and fills the list again */
	assert_int_equal(es10_hex(c, "BF3003800101"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF30), 0);
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_false(has_profile(c, ICCID_A));
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	last_notification(c, &event, &f);
	assert_int_equal(event, 0x10);
	card_free(c);
}

/* test_malformed: a serverSignature1 of 64 zero bytes */
#define Z16 "00000000000000000000000000000000"
#define SIG0 "5F3740" Z16 Z16 Z16 Z16

/* Malformed requests of every function: refused with a status word or an error code, and
 * the state is unchanged. */
static void test_malformed(void **state)
{
	/* request, the function's response tag and the code it must carry; code -1: the
	 * request is refused with 6A80 (not one well-formed TLV, or no such function 6A81) */
	static const struct {
		const char *hex;
		uint32_t tag;
		int code;
	} bad[] = {
	    {"BF3103A00100", 0, -1},                         /* A0 holding half a TLV */
	    {"BF3108A0035A0101810100", 0xBF31, 127},         /* ICCID of 1 byte: malformed */
	    {"BF31055A00810100", 0xBF31, 127},               /* no A0 */
	    {"BF3207A0024F00810100", 0xBF32, 127},           /* empty AID */
	    {"BF3208A0038001008101FF", 0xBF32, 127},         /* neither AID nor ICCID */
	    {"BF3208A000810100810100", 0xBF32, 127},         /* A0 empty, refreshFlag twice */
	    {"BF33035A0112", 0xBF33, 127},                   /* short ICCID */
	    {"BF33024F00", 0xBF33, 127},                     /* empty AID */
	    {"BF3303800100", 0xBF33, 127},                   /* neither AID nor ICCID */
	    {"BF330100", 0, -1},                             /* not a TLV inside */
	    {"BF2903800100", 0xBF29, 127},                   /* SetNickname without the ICCID */
	    {"BF290C5A0A98001032547698103214", 0xBF29, 127}, /* no nickname */
	    {"BF30028100", 0xBF30, 127},                     /* wrong tag */
	    {"BF3003800201", 0, -1},                         /* length beyond the data */
	    {"BF3F03810100", 0xBF3F, 127},                   /* SetDefaultDpAddress: wrong tag */
	    /* its address again (primitive or constructed), or after a later version's field */
	    {"BF3F0980056E65772E6E8000", 0xBF3F, 127},
	    {"BF3F0980056E65772E6EA000", 0xBF3F, 127},
	    {"BF3F09850080056E65772E6E", 0xBF3F, 127},
	    {"BF41028000", 0xBF41, 5},       /* CancelSession, no session */
	    {"BF4100", 0xBF41, 5},           /* no session, no transactionId */
	    {"BF41058000810100", 0xBF41, 5}, /* no session, reason given */
	    {"BF21023000", 0xBF21, 127},     /* PrepareDownload: not its structure */
	    /* AuthenticateServer cut short before, at and after euiccCiPKIdToBeUsed: 127, and
	     * nothing read of the fields that are not there (valgrind: no uninitialised read) */
	    {"BF3800", 0xBF38, 127},
	    {"BF38023000", 0xBF38, 127},
	    {"BF38453000" SIG0, 0xBF38, 127},            /* no euiccCiPKIdToBeUsed */
	    {"BF38473000" SIG0 "0400", 0xBF38, 127},     /* no CERT.DPauth */
	    {"BF38493000" SIG0 "04003000", 0xBF38, 127}, /* no ctxParams1 */
	    {"BF2D025C", 0, -1},                         /* truncated */
	    /* GetProfilesInfo, ListNotification, RetrieveNotificationsList: a filter that is
	     * not one is refused, not taken as "no filter" (their error is [1] code) */
	    {"BF2D04A0028000", 0xBF2D, 1},       /* unknown searchCriteria: incorrectInputValues */
	    {"BF2D04A0025A00", 0xBF2D, 1},       /* empty ICCID */
	    {"BF2D06A00495020002", 0xBF2D, 1},   /* profileClass of 2 bytes */
	    {"BF2D05A003950103", 0xBF2D, 1},     /* profileClass 3: none */
	    {"BF2D06A0025A00A000", 0xBF2D, 127}, /* searchCriteria twice */
	    {"BF2D028000", 0xBF2D, 127},         /* unknown field */
	    /* ListNotification: its [1] constructed (a [0] is a later version's field) */
	    {"BF2804A1028100", 0xBF28, 127},
	    {"BF2803810100", 0xBF28, 127},       /* an empty NotificationEvent */
	    {"BF280581030780FF", 0xBF28, 127},   /* two content octets */
	    {"BF2804810208FF", 0xBF28, 127},     /* 8 unused bits */
	    {"BF2804810207C0", 0xBF28, 127},     /* install, enable in a set unused bit */
	    {"BF2804810204F1", 0xBF28, 127},     /* four events, a set unused bit */
	    {"BF2B02A000", 0xBF2B, 127},         /* empty searchCriteria */
	    {"BF2B04A0028200", 0xBF2B, 127},     /* unknown criterion */
	    {"BF2B05A003810100", 0xBF2B, 127},   /* an empty NotificationEvent */
	    {"BF2B06A00281008000", 0xBF2B, 127}, /* an empty event, [0] again after it */
	    /* searchCriteria again after it (80: [0] in the primitive form), twice, or after a
	     * later version's field: no extension, undefinedError */
	    {"BF2B08A004810204F08000", 0xBF2B, 127},
	    {"BF2B0CA004810204F0A004810204F0", 0xBF2B, 127},
	    {"BF2B088500A004810204F0", 0xBF2B, 127},
	    {"BF2B08A004810204F08501", 0, -1},   /* an extension cut short */
	    {"BF2B06A004810207C0", 0xBF2B, 127}, /* a set unused bit */
	    /* eUICCMemoryReset: resetOptions {07 20} is bit 0 (clear) and a set unused bit
	     * where resetDefaultSmdpAddress would be; {07 C0}: deleteOperationalProfiles and
	     * deleteFieldLoadedTestProfiles in a set unused bit */
	    {"BF340482020720", 0xBF34, 127},
	    {"BF3404820207C0", 0xBF34, 127},
	    {"BF36", 0, -1},
	    {"BF3601", 0, -1},
	    {"BF2E", 0, -1},
	    {"BF", 0, -1},
	    {"00", 0, -1},
	};
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	size_t notifs = orsp_euicc_notification_count(&c->e);
	int calls = c->st.calls;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t sw = es10_hex(c, bad[i].hex);
		if (bad[i].code < 0) {
			assert_int_equal(sw, 0x6A80);
			continue;
		}
		assert_int_equal(sw, 0x9000);
		if (bad[i].tag == 0xBF41) {
			orsp_tlv f;
			uint64_t v;
			assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
			assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
			assert_int_equal((int)v, bad[i].code);
		} else if (bad[i].tag == 0xBF21 || bad[i].tag == 0xBF38) {
			assert_int_equal(rsp_error(c, bad[i].tag), bad[i].code);
		} else if (bad[i].tag == 0xBF2D || bad[i].tag == 0xBF28 || bad[i].tag == 0xBF2B) {
			orsp_tlv f;
			uint64_t v;
			orsp_slice rv = rsp_value(c, bad[i].tag);
			assert_true(find_tlv(rv, 0x81, &f));
			assert_int_equal(rv.len, f.raw.len); /* no list */
			assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
			assert_int_equal((int)v, bad[i].code);
		} else {
			assert_int_equal(rsp_code(c, bad[i].tag), bad[i].code);
		}
	}
	/* DisableProfile of the enabled profile, but without its mandatory refreshFlag, with a
	 * refreshFlag that is not a DER BOOLEAN, or with the refreshFlag or profileIdentifier
	 * again after a later version's field: not executed */
	{
		static const char *const tail[] = {"", "810101", "8101FF05008101FF",
		                                   "8101FF0500A000"};
		uint8_t ef[10];
		assert_int_equal(orsp_iccid_encode_ef(ICCID_A, ef), ORSP_OK);
		for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
			char hex[96];
			size_t tl = strlen(tail[i]) / 2;
			int n = snprintf(hex, sizeof(hex), "BF32%02zXA00C5A0A", 14 + tl);
			for (int k = 0; k < 10; k++)
				n += snprintf(hex + n, sizeof(hex) - (size_t)n, "%02X", ef[k]);
			snprintf(hex + n, sizeof(hex) - (size_t)n, "%s", tail[i]);
			assert_int_equal(es10_hex(c, hex), 0x9000);
			assert_int_equal(rsp_code(c, 0xBF32), 127);
		}
	}
	/* LoadBoundProfilePackage whose BF36 length is in the long form with no length
	 * octet (80), with four (84, more than a package can need) or with fewer octets than
	 * it names (82 and one octet): refused as malformed before anything is read, with the
	 * status word as above and the detail naming the length */
	{
		static const char *const hdr[] = {"BF368000", "BF36840000010030", "BF368201"};
		for (size_t i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
			uint8_t b[16], out[64];
			orsp_writer w;
			size_t n = strlen(hdr[i]) / 2;
			assert_int_equal(es10_hex(c, hdr[i]), 0x6A80);
			assert_int_equal(orsp_hex_decode_exact(hdr[i], b, n), ORSP_OK);
			orsp_writer_init(&w, out, sizeof(out));
			assert_int_equal(orsp_euicc_es10(&c->e, orsp_slice_make(b, n), &w),
			                 ORSP_E_MALFORMED);
			assert_non_null(
			    strstr(orsp_err_detail(), "LoadBoundProfilePackage length"));
			assert_int_equal(w.len, 0);
			orsp_err_clear();
		}
	}
	/* an unknown function is 6A81; a TLV that is not ES10 too */
	assert_int_equal(es10_hex(c, "30020500"), 0x6A81);
	/* nothing changed, nothing was written */
	assert_int_equal(c->st.calls, calls);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	/* GetProfilesInfo with an ICCID that matches nothing: an empty list; ListNotification
	 * and RetrieveNotificationsList with well-formed filters still answer */
	assert_int_equal(profiles_info_count(c, "BF2D0EA00C5A0A98001032547698103294"), 0);
	assert_int_equal(profiles_info_count(c, "BF2D05A003950102"), 1);
	assert_int_equal(es10_hex(c, "BF2804810204F0"), 0x9000);
	(void)rsp_value(c, 0xBF28);
	assert_int_equal(es10_hex(c, "BF2B06A004810204F0"), 0x9000);
	(void)rsp_value(c, 0xBF2B);
	card_free(c);
}

/* The enabled profile's package record is damaged: the card still opens, the ISD-R still
 * answers, the USIM is absent, and the profile can be disabled and deleted. */
static void test_damaged_upp(void **state)
{
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_not_equal(select_usim(c), 0x6A82);
	for (int i = 0; i < MS_MAX; i++)
		if (c->st.r[i].data && !strncmp(c->st.r[i].name, "upp.", 4))
			c->st.r[i].len /= 2;
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(delete (c, ICCID_A), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	card_free(c);
}

/* The ISD-P number of the profile with this ICCID (its records "upp.<n>", ...). */
static unsigned isdp_number(card *c, const char *iccid)
{
	orsp_euicc_profile_info pi;
	for (size_t i = 0; i < orsp_euicc_profile_count(&c->e); i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		if (!strcmp(pi.iccid, iccid))
			return (unsigned)(pi.aid[14] - 0x10) << 8 | pi.aid[15];
	}
	fail_msg("no profile %s", iccid);
	return 0;
}

/* The newest record file of a sealed store (the highest generation, r<gen>.rec): its path. */
static void newest_rec_file(const char *dir, char *out, size_t cap)
{
	char best[256] = "";
	struct dirent *d;
	DIR *dh = opendir(dir);

	assert_non_null(dh);
	while ((d = readdir(dh)))
		if (d->d_name[0] == 'r' && strstr(d->d_name, ".rec") &&
		    strlen(d->d_name) < sizeof(best) && strcmp(d->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", d->d_name);
	closedir(dh);
	assert_true(best[0]);
	assert_true(strlen(dir) + 1 + strlen(best) < cap);
	snprintf(out, cap, "%s/%s", dir, best);
}

/* EnableProfile of a disabled profile whose sealed package does not authenticate (a byte of
 * its record file flipped, as someone with write access to the directory may do): refused
 * with undefinedError before anything changes: nothing committed (the manifest file is the
 * same), no notification, the other profile still enabled with its USIM served, after a
 * reopen too. The reason is kept for the LPA (orsp_euicc_refusal), and the profile can still
 * be deleted. Until session 74 the enable was committed and answered ok, its notification
 * queued and the enabled profile disabled in favour of one with no USIM. */
static void test_enable_tampered(void **state)
{
	static uint8_t upp[ORSP_EUICC_MAX_UPP];
	card *c = card_new();
	char name[16], file[1200], mf[1200];
	uint8_t *rec, *mf_before, *mf_after;
	size_t len = 0, rl = 0, ml = 0, ml2 = 0, notifs;
	FILE *f;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	card_seal(c, "isdr_enable_tampered");
	/* B's package committed again, alone: the newest record file is its */
	snprintf(name, sizeof(name), "upp.%u", isdp_number(c, ICCID_B));
	assert_int_equal(orsp_seal_read(c->seal, name, upp, sizeof(upp), &len), ORSP_OK);
	assert_int_equal(orsp_seal_commit(c->seal, &(orsp_seal_record){name, upp, len}, 1),
	                 ORSP_OK);
	newest_rec_file(c->seal_dir, file, sizeof(file));
	rec = test_read_file(file, &rl);
	assert_true(rl > 100);
	rec[100] ^= 1;
	f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(rec, 1, rl, f), rl);
	assert_int_equal(fclose(f), 0);
	free(rec);
	card_seal_reopen(c);
	notifs = orsp_euicc_notification_count(&c->e);
	snprintf(mf, sizeof(mf), "%s/manifest", c->seal_dir);
	mf_before = test_read_file(mf, &ml);

	assert_int_equal(enable(c, ICCID_B), 127);
	assert_non_null(
	    strstr(orsp_euicc_refusal(&c->e), "profile " ICCID_B " does not authenticate"));
	assert_non_null(strstr(orsp_euicc_refusal(&c->e), name)); /* the record */
	assert_non_null(strstr(orsp_euicc_refusal(&c->e), "only deleted"));
	mf_after = test_read_file(mf, &ml2);
	assert_int_equal(ml, ml2);
	assert_bytes_equal(mf_before, mf_after, ml);
	free(mf_after);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(select_usim(c), 0x9000);
	/* the next request clears the reason */
	assert_int_equal(es10_hex(c, "BF2D00"), 0x9000);
	assert_string_equal(orsp_euicc_refusal(&c->e), "");
	card_seal_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	mf_after = test_read_file(mf, &ml2);
	assert_int_equal(ml, ml2);
	assert_bytes_equal(mf_before, mf_after, ml);
	free(mf_after);
	free(mf_before);
	/* deleted as it is (its records removed), with its delete notification */
	assert_int_equal(delete (c, ICCID_B), 0);
	assert_false(has_profile(c, ICCID_B));
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs + 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	card_seal_reopen(c);
	assert_false(has_profile(c, ICCID_B));
	assert_string_equal(enabled_iccid(c), ICCID_A);
	card_free(c);
}

/* The in-memory store with one record made to fail authentication, as a sealed store's
 * read of a record tampered with does (tampered_name; NULL none). */
static const char *tampered_name;

static orsp_err tampered_read(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	if (tampered_name && !strcmp(name, tampered_name))
		return orsp_errf(ORSP_E_VERIFY, "record '%s': does not authenticate (test)", name);
	return ms_ops.read(user, name, buf, cap, len);
}

/* EnableProfile checks the profile's state records too: its "pin" record failing
 * authentication is undefinedError, nothing committed, the enabled profile kept. A read that
 * fails for now (the storage unreachable) is no refusal: the command fails (6581), nothing
 * changed, and works once the storage is back. */
static void test_enable_damaged(void **state)
{
	static orsp_euicc_storage_ops ops;
	card *c = card_new();
	char name[16];
	int calls;
	size_t notifs;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	/* the core reopened on the store with B's "pin" record made to fail */
	ops = ms_ops;
	ops.read = tampered_read;
	snprintf(name, sizeof(name), "pin.%u", isdp_number(c, ICCID_B));
	tampered_name = name;
	orsp_euicc_close(&c->e);
	assert_int_equal(orsp_euicc_open(&c->e, &ops, &c->st), ORSP_OK);
	assert_int_equal(
	    orsp_euicc_apdu_init(&c->apdu, c->cmd, sizeof(c->cmd), c->rsp, sizeof(c->rsp)),
	    ORSP_OK);
	assert_int_equal(orsp_euicc_attach(&c->e, &c->apdu), ORSP_OK);
	select_isdr(c);
	notifs = orsp_euicc_notification_count(&c->e);
	calls = c->st.calls;
	assert_int_equal(enable(c, ICCID_B), 127);
	assert_non_null(
	    strstr(orsp_euicc_refusal(&c->e), "profile " ICCID_B " does not authenticate"));
	assert_non_null(strstr(orsp_euicc_refusal(&c->e), name));
	assert_int_equal(c->st.calls, calls);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(select_usim(c), 0x9000);
	tampered_name = NULL;
	/* storage unreachable: no answer, nothing changed */
	c->st.fail_reads = true;
	assert_int_equal(by_iccid(c, 0xBF31, ICCID_B), 0x6581);
	c->st.fail_reads = false;
	assert_int_equal(c->st.calls, calls);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(enable(c, ICCID_B), 0);
	assert_string_equal(enabled_iccid(c), ICCID_B);
	assert_int_equal(select_usim(c), 0x9000);
	card_free(c);
}

/* Whether the n bytes at p are all zero. */
static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* orsp_euicc_provision works in the caller's workspace (no card-sized frame or static of its
 * own) and leaves it all zero whatever the outcome: provisioned, refused because the store
 * holds an eUICC (the ecasd record read to find out, SK.EUICC in it), a commit that fails,
 * an identity that does not verify (the key is another one), a bad EID. */
static void test_provision_wipes(void **state)
{
	static orsp_euicc work;
	mem_store st = {0}, failing = {.fail_at = 1};
	size_t sk_len, other_len, cert_len, eum_len, ci_len;
	uint8_t *sk = load_der("eUICC/SK_EUICC_ECDSA_NIST.pem", &sk_len);
	uint8_t *other = load_der("eUICC/SK_EUICC_ECDSA_BRP.pem", &other_len);
	uint8_t *cert = load_der("eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
	uint8_t *eum = load_der("EUM/CERT_EUM_ECDSA_NIST.der", &eum_len);
	uint8_t *ci = load_der("CertificateIssuer/CERT_CI_ECDSA_NIST.der", &ci_len);
	orsp_euicc_identity id = {
	    .eid = EID,
	    .sk_euicc = orsp_slice_make(sk, sk_len),
	    .cert_euicc = orsp_slice_make(cert, cert_len),
	    .cert_eum = orsp_slice_make(eum, eum_len),
	    .ci_certs = {orsp_slice_make(ci, ci_len)},
	    .n_ci = 1,
	    .default_dp = SMDP_ADDR,
	};
	(void)state;

	memset(&work, 0xA5, sizeof(work));
	assert_int_equal(orsp_euicc_provision(&work, &ms_ops, &st, &id), ORSP_OK);
	assert_true(all_zero(&work, sizeof(work)));
	memset(&work, 0xA5, sizeof(work));
	assert_int_equal(orsp_euicc_provision(&work, &ms_ops, &st, &id), ORSP_E_EXISTS);
	orsp_err_clear();
	assert_true(all_zero(&work, sizeof(work)));
	assert_int_equal(st.calls, 1);

	memset(&work, 0xA5, sizeof(work));
	assert_int_equal(orsp_euicc_provision(&work, &ms_ops, &failing, &id), ORSP_E_STORAGE);
	orsp_err_clear();
	assert_true(all_zero(&work, sizeof(work)));
	assert_int_equal(ms_count_prefix(&failing, ""), 0);

	id.sk_euicc = orsp_slice_make(other, other_len);
	memset(&work, 0xA5, sizeof(work));
	assert_int_not_equal(orsp_euicc_provision(&work, &ms_ops, &failing, &id), ORSP_OK);
	orsp_err_clear();
	assert_true(all_zero(&work, sizeof(work)));
	id.sk_euicc = orsp_slice_make(sk, sk_len);
	id.eid = "89049032123451234512345678901234"; /* check digits wrong */
	memset(&work, 0xA5, sizeof(work));
	assert_int_equal(orsp_euicc_provision(&work, &ms_ops, &failing, &id), ORSP_E_USAGE);
	orsp_err_clear();
	assert_true(all_zero(&work, sizeof(work)));
	assert_int_equal(failing.calls, 1);
	assert_int_equal(ms_count_prefix(&failing, ""), 0);

	/* what was provisioned opens */
	assert_int_equal(orsp_euicc_open(&work, &ms_ops, &st), ORSP_OK);
	assert_string_equal(orsp_euicc_eid(&work), EID);
	orsp_euicc_close(&work);
	ms_free(&st);
	ms_free(&failing);
	orsp_wipe(sk, sk_len);
	orsp_wipe(other, other_len);
	free(sk);
	free(other);
	free(cert);
	free(eum);
	free(ci);
}

/* ---------------------------------------------------------------- the clock ------------- */

/* The SGP.26 NIST identity of card_new (its EID, its eUICC key) with its CI, EUM and eUICC
 * certificates dated again (0: the published date) and signed again, the EUM or the eUICC by
 * another key than its issuer's when rogue_eum / rogue_euicc. */
typedef struct redated_identity {
	time_t ci_nb, ci_na, eum_nb, eum_na, euicc_nb, euicc_na;
	bool rogue_eum, rogue_euicc;
} redated_identity;

/* c's store replaced by a new one provisioned with r's identity (c->euicc_cert becomes its
 * CERT.EUICC); orsp_euicc_identity_check judges it the same. The provisioning's result; after
 * ORSP_OK the card is open (card_attach: the EID is card_new's) and the ISD-R selected. */
static orsp_err card_redated(card *c, const redated_identity *r)
{
	static orsp_euicc work;
	EVP_PKEY *ci_sk = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	EVP_PKEY *eum_sk = certmint_key_load("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	EVP_PKEY *rogue = certmint_key_new("prime256v1");
	X509 *ci = certmint_redate("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der", r->ci_nb,
	                           r->ci_na, ci_sk);
	X509 *eum = certmint_redate("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", r->eum_nb, r->eum_na,
	                            r->rogue_eum ? rogue : ci_sk);
	X509 *euicc = certmint_redate("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", r->euicc_nb,
	                              r->euicc_na, r->rogue_euicc ? rogue : eum_sk);
	size_t sk_len, eum_len, ci_len;
	uint8_t *sk = load_der("eUICC/SK_EUICC_ECDSA_NIST.pem", &sk_len);
	uint8_t *eum_der = certmint_der(eum, &eum_len), *ci_der = certmint_der(ci, &ci_len);
	orsp_err checked, e;

	if (c->is_open)
		orsp_euicc_close(&c->e);
	c->is_open = false;
	ms_free(&c->st);
	memset(&c->st, 0, sizeof(c->st));
	free(c->euicc_cert);
	c->euicc_cert = certmint_der(euicc, &c->euicc_cert_len);
	orsp_euicc_identity id = {
	    .eid = EID,
	    .sk_euicc = orsp_slice_make(sk, sk_len),
	    .cert_euicc = orsp_slice_make(c->euicc_cert, c->euicc_cert_len),
	    .cert_eum = orsp_slice_make(eum_der, eum_len),
	    .ci_certs = {orsp_slice_make(ci_der, ci_len)},
	    .n_ci = 1,
	    .default_dp = SMDP_ADDR,
	};
	checked = orsp_euicc_identity_check(&work, &id);
	e = orsp_euicc_provision(&c->e, &ms_ops, &c->st, &id);
	assert_int_equal(checked, e);
	if (e == ORSP_OK)
		card_attach(c);
	orsp_wipe(sk, sk_len);
	free(sk);
	free(eum_der);
	free(ci_der);
	X509_free(euicc);
	X509_free(eum);
	X509_free(ci);
	EVP_PKEY_free(rogue);
	EVP_PKEY_free(eum_sk);
	EVP_PKEY_free(ci_sk);
	return e;
}

/* An eUICC has no trusted clock (SGP.22 §4.5.2.2): its own identity is checked without the
 * validity periods, when it is provisioned and each time it opens, so a host clock outside
 * them (a device that booted at 2000-01-01 before NTP, one behind a PKI just made, one after
 * CERT.EUICC expired) leaves it working: provisioned, opened again, answering, a profile
 * downloaded and enabled; whether CERT.EUICC and CERT.EUM are valid now is the SM-DP+'s to
 * judge. Until session 73 each of these identities was refused ("CI certificate ...: not
 * valid before ..."), and every LPA command with it. The SM-DP+'s certificates are still held
 * to the host's clock, their CI's period with them: with the card's CI outside it,
 * AuthenticateServer refuses the SGP.26 CERT.DPauth (invalidCertificate). The signatures are
 * still checked: an identity outside its period and badly signed is refused. */
static void test_identity_outside_validity(void **state)
{
	const time_t y2000 = certmint_time(2000, 1, 1), y2001 = certmint_time(2001, 1, 1);
	const time_t y2090 = certmint_time(2090, 1, 1), y2099 = certmint_time(2099, 1, 1);
	const struct {
		const char *what;
		redated_identity r;
		int auth; /* AuthenticateServer's answer to the SGP.26 CERT.DPauth */
	} cases[] = {
	    {"eUICC expired", {.euicc_nb = y2000, .euicc_na = y2001}, 0},
	    {"eUICC not yet valid", {.euicc_nb = y2090, .euicc_na = y2099}, 0},
	    {"EUM expired", {.eum_nb = y2000, .eum_na = y2001}, 0},
	    {"EUM not yet valid", {.eum_nb = y2090, .eum_na = y2099}, 0},
	    {"CI expired", {.ci_nb = y2000, .ci_na = y2001}, 1},
	    {"all not yet valid", {y2090, y2099, y2090, y2099, y2090, y2099, false, false}, 1},
	};
	card *c = card_new();
	uint8_t aid[16];
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		orsp_err e = card_redated(c, &cases[i].r);
		if (e != ORSP_OK)
			fail_msg("%s: provisioning refused: %s", cases[i].what, orsp_err_detail());
		card_reopen(c); /* opens again (card_attach asserts it, and the EID) */
		es10_value(c, "BF2000", 0xBF20);
		if (cases[i].auth == 0) {
			install_ok(c, ICCID_A, 0, aid);
			assert_int_equal(enable(c, ICCID_A), 0);
			card_reopen(c);
			assert_string_equal(enabled_iccid(c), ICCID_A);
		} else {
			dl_opts o = {0};
			get_challenge(c);
			if (auth_step(c, &o) != cases[i].auth)
				fail_msg("%s: AuthenticateServer", cases[i].what);
		}
	}
	/* badly signed, the period aside */
	redated_identity bad = {.euicc_nb = y2000, .euicc_na = y2001, .rogue_euicc = true};
	assert_int_equal(card_redated(c, &bad), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "eUICC certificate"));
	bad = (redated_identity){.eum_nb = y2090, .eum_na = y2099, .rogue_eum = true};
	assert_int_equal(card_redated(c, &bad), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "EUM certificate"));
	orsp_err_clear();
	card_free(c);
}

/* The SM-DP+'s certificates are held to the host's clock (docs/euicc.md: the software eUICC's
 * choice): CERT.DPauth expired or not yet valid is refused by AuthenticateServer, CERT.DPpb so
 * by PrepareDownload, both invalidCertificate (1); the published ones signed again within
 * their periods pass (the control). */
static void test_server_certs_host_clock(void **state)
{
	const time_t y2000 = certmint_time(2000, 1, 1), y2001 = certmint_time(2001, 1, 1);
	const time_t y2090 = certmint_time(2090, 1, 1), y2099 = certmint_time(2099, 1, 1);
	const struct {
		const char *what, *rel;
		time_t nb, na;
		int auth, prep;
	} cases[] = {
	    {"DPauth re-signed", "sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", 0, 0, 0, 0},
	    {"DPauth expired", "sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", y2000, y2001, 1, 0},
	    {"DPauth not yet valid", "sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", y2090, y2099,
	     1, 0},
	    {"DPpb re-signed", "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", 0, 0, 0, 0},
	    {"DPpb expired", "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", y2000, y2001, 0, 1},
	    {"DPpb not yet valid", "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", y2090, y2099, 0, 1},
	};
	EVP_PKEY *ci_sk = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		card *c = card_new();
		X509 *x = certmint_redate(cases[i].rel, cases[i].nb, cases[i].na, ci_sk);
		bool pb = strstr(cases[i].rel, "DPpb") != NULL;
		uint8_t **der = pb ? &c->pb_cert : &c->auth_cert;
		size_t *len = pb ? &c->pb_cert_len : &c->auth_cert_len;
		dl_opts o = {0};
		int got;

		free(*der);
		*der = certmint_der(x, len);
		X509_free(x);
		get_challenge(c);
		got = auth_step(c, &o);
		if (got != cases[i].auth)
			fail_msg("%s: AuthenticateServer answers %d", cases[i].what, got);
		if (got == 0 && (got = prepare_step(c, &o)) != cases[i].prep)
			fail_msg("%s: PrepareDownload answers %d", cases[i].what, got);
		card_free(c);
	}
	EVP_PKEY_free(ci_sk);
}

/* A damaged or missing store. */
static void test_open_errors(void **state)
{
	static orsp_euicc e;
	mem_store st = {0};
	(void)state;

	assert_int_equal(orsp_euicc_open(&e, &ms_ops, &st), ORSP_E_NOT_FOUND);
	orsp_err_clear();
	uint8_t junk[] = {0x30, 0x03, 0x5A, 0x01, 0x00};
	orsp_euicc_record r[2] = {{"ecasd", junk, sizeof(junk)}, {"isdr", junk, sizeof(junk)}};
	assert_int_equal(ms_commit(&st, r, 2), ORSP_OK);
	assert_int_not_equal(orsp_euicc_open(&e, &ms_ops, &st), ORSP_OK);
	orsp_err_clear();
	ms_free(&st);
}

/* AuthenticateServer with serverAddress given as raw bytes (may hold a NUL, or be empty)
 * and a serverChallenge of schal_len random bytes, correctly signed with CERT.DPauth's key
 * (reviewer's reproducer, session 28). */
static uint16_t auth_raw_addr(card *c, const uint8_t *addr, size_t addr_len, size_t schal_len)
{
	uint8_t s1[512], req[4096], sig[64], schal[32];
	orsp_writer w;
	orsp_der_mark m, ctx, di;

	assert_true(schal_len <= sizeof(schal));
	assert_int_equal(orsp_random(c->tid, 16), ORSP_OK);
	c->tid_len = 16;
	assert_int_equal(orsp_random(schal, sizeof(schal)), ORSP_OK);
	memcpy(c->schal, schal, 16);
	orsp_writer_init(&w, s1, sizeof(s1));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, c->tid, 16);
	orsp_der_put_tlv(&w, 0x81, c->echal, 16);
	orsp_der_put_tlv(&w, 0x83, addr, addr_len);
	orsp_der_put_tlv(&w, 0x84, schal, schal_len);
	orsp_der_end(&w, m);
	size_t s1_len = w.len;
	assert_int_equal(orsp_ecdsa_sign(c->auth_sk, s1, s1_len, sig), ORSP_OK);
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF38);
	orsp_write_bytes(&w, s1, s1_len);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	orsp_der_put_tlv(&w, 0x04, c->ci_ski, c->ci_ski_len);
	orsp_write_bytes(&w, c->auth_cert, c->auth_cert_len);
	ctx = orsp_der_begin(&w, 0xA0);
	orsp_der_put_tlv(&w, 0x80, "", 0);
	di = orsp_der_begin(&w, 0xA1);
	orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
	orsp_der_put_tlv(&w, 0xA1, "", 0);
	orsp_der_end(&w, di);
	orsp_der_end(&w, ctx);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return store_data(c, req, w.len);
}

/* The serverAddress the eUICC put in euiccSigned1 (and signed), or -1 if refused. */
static int signed_addr(card *c, char *out, size_t cap)
{
	orsp_tlv top, a0, s1, f;
	orsp_reader r;
	if (orsp_der_parse_one(orsp_slice_make(c->out, c->out_len), &top) || top.tag != 0xBF38)
		return -2;
	if (!find_tlv(top.value, 0xA0, &a0))
		return -1;
	assert_true(find_tlv(a0.value, 0x30, &s1));
	orsp_reader_init(&r, s1.value.p, s1.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &f), ORSP_OK);
		if (f.tag == 0x83) {
			snprintf(out, cap, "%.*s", (int)f.value.len, (const char *)f.value.p);
			return (int)f.value.len;
		}
	}
	return -3;
}

/* A serverAddress the SM-DP+ signed but that the eUICC cannot sign as it is: with a NUL
 * inside (copied as a C string it was cut at the NUL, and the eUICC signed "a"), empty (it
 * signed ""), or not UTF-8: 127, nothing signed, the session ended (docs/euicc.md). */
static void test_server_address_refused(void **state)
{
	(void)state;
	static const struct {
		const char *a;
		size_t n;
	} bad[] = {{"a\0evil.example.com", 18}, {"", 0}, {"smdp.\xff.example", 14}};
	char got[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		card *c = card_new();
		get_challenge(c);
		assert_int_equal(auth_raw_addr(c, (const uint8_t *)bad[i].a, bad[i].n, 16), 0x9000);
		assert_int_equal(signed_addr(c, got, sizeof(got)), -1);
		card_free(c);
	}
	{
		/* the same path signs a good address as it is */
		card *c = card_new();
		get_challenge(c);
		assert_int_equal(auth_raw_addr(c, (const uint8_t *)"smdp.example.com", 16, 16),
		                 0x9000);
		assert_int_equal(signed_addr(c, got, sizeof(got)), 16);
		assert_string_equal(got, "smdp.example.com");
		card_free(c);
	}
}

/* EUICCInfo2's rspCapability in DER (X.690 §11.2.2, no trailing zero bits): additionalProfile
 * alone is 07 80, not 06 80 (which an eUICC signs inside euiccSigned1). */
static void test_info2_rsp_capability_der(void **state)
{
	(void)state;
	card *c = card_new();
	orsp_slice v = es10_value(c, "BF2200", 0xBF22);
	orsp_tlv f;
	assert_true(find_tlv(v, 0x88, &f));
	assert_int_equal(f.value.len, 2);
	assert_int_equal(f.value.p[0], 0x07);
	assert_int_equal(f.value.p[1], 0x80);
	card_free(c);
}

/* SetNickname with the nickname again after it, or an ICCID that is not 10 bytes: 127 and
 * nothing stored (the first was taken and committed, the second answered iccidNotFound). A
 * later version's field after the nickname is skipped (test_request_extensions). */
static void test_nickname_strict(void **state)
{
	(void)state;
	card *c = card_new();
	uint8_t aid[16];
	orsp_euicc_profile_info pi;
	install_ok(c, ISDR_V2_ICCID, 0, aid);
	int before = c->st.calls;
	assert_int_equal(es10_hex(c, "BF29165A0A98001032547698103214900378797A900378797A"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 127);
	assert_int_equal(es10_hex(c, "BF290A5A03980010900378797A"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 127);
	assert_int_equal(c->st.calls, before);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_not_equal(pi.nickname, "xyz");
	/* without them it is taken */
	assert_int_equal(es10_hex(c, "BF29115A0A98001032547698103214900378797A"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 0);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.nickname, "xyz");
	card_free(c);
}

int main(void)
{
	/* before OpenSSL's first allocation, or it refuses (test_server_checks_out_of_memory) */
	if (!test_ossl_alloc_install())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_info),
	    cmocka_unit_test(test_default_dp),
	    cmocka_unit_test(test_download_nist),
	    cmocka_unit_test(test_request_extensions),
	    cmocka_unit_test(test_download_brainpool),
	    cmocka_unit_test(test_notifications),
	    cmocka_unit_test(test_notifications_in_order),
	    cmocka_unit_test(test_notifications_extensions_skipped),
	    cmocka_unit_test(test_default_dp_extension_skipped),
	    cmocka_unit_test(test_notifications_full),
	    cmocka_unit_test(test_download_needs_room),
	    cmocka_unit_test(test_notification_addresses),
	    cmocka_unit_test(test_seq_not_reused),
	    cmocka_unit_test(test_bpp_without_session),
	    cmocka_unit_test(test_authenticate_errors),
	    cmocka_unit_test(test_authenticate_s1_extension),
	    cmocka_unit_test(test_authenticate_dpauth_without_oid),
	    cmocka_unit_test(test_server_cert_oid_too_long),
	    cmocka_unit_test(test_authenticate_dsauth),
	    cmocka_unit_test(test_ci_signing_list),
	    cmocka_unit_test(test_prepare_dppb_other_ci),
	    cmocka_unit_test(test_prepare_errors),
	    cmocka_unit_test_teardown(test_server_checks_out_of_memory, ossl_alloc_back),
	    cmocka_unit_test(test_install_errors),
	    cmocka_unit_test(test_names_utf8),
	    cmocka_unit_test(test_metadata_checks),
	    cmocka_unit_test(test_profile_owner),
	    cmocka_unit_test(test_metadata_bit_padding),
	    cmocka_unit_test(test_isdr_select_fci),
	    cmocka_unit_test(test_isdp_numbers),
	    cmocka_unit_test(test_profile_class),
	    cmocka_unit_test(test_memory_full),
	    cmocka_unit_test(test_otpk_reuse),
	    cmocka_unit_test(test_ppr),
	    cmocka_unit_test(test_crash),
	    cmocka_unit_test(test_crash_unreadable),
	    cmocka_unit_test(test_sealed_commit_outcomes),
	    cmocka_unit_test(test_cancel_session),
	    cmocka_unit_test(test_cancel_during_load),
	    cmocka_unit_test(test_memory_reset),
	    cmocka_unit_test(test_memory_reset_no_option),
	    cmocka_unit_test(test_memory_reset_keeps_session),
	    cmocka_unit_test(test_memory_reset_ends_session),
	    cmocka_unit_test(test_server_address_refused),
	    cmocka_unit_test(test_info2_rsp_capability_der),
	    cmocka_unit_test(test_nickname_strict),
	    cmocka_unit_test(test_memory_reset_notifications),
	    cmocka_unit_test(test_usim_sqn),
	    cmocka_unit_test(test_sealed_authenticate_unflushed),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_identity_outside_validity),
	    cmocka_unit_test(test_server_certs_host_clock),
	    cmocka_unit_test(test_provision_wipes),
	    cmocka_unit_test(test_damaged_upp),
	    cmocka_unit_test(test_enable_tampered),
	    cmocka_unit_test(test_enable_damaged),
	    cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
