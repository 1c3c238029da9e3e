/* libFuzzer target for the ES10 response parsing of the device agent (src/lpa/card.c,
 * src/lpa/es10.c, GetRAT in src/lpa/ppr.c): a fake ISD-R on a real APDU layer answers every
 * STORE DATA with the fuzz input (after the first byte, which picks the function), so each
 * answer goes through STORE DATA framing, GET RESPONSE and the strict parser of that
 * function. First byte 10: the input is instead a Bound Profile Package from the SM-DP+
 * (src/lpa/metadata.c): its StoreMetadataRequest read from its sequenceOf88 and compared with
 * fixed shown metadata, then the package loaded onto a card that answers nothing.
 *
 * Properties: no crash or sanitizer report; a function fails only with MALFORMED, STATE,
 * NOT_FOUND, POLICY or RESOURCE (never USAGE: the driver's own requests are well formed); on
 * success the counts stay within the caller's capacity and every string is NUL-terminated
 * within its field, the card's text (names, addresses) without control characters; a RAT
 * within the limits (empty on failure), and its check of a profile's PPRs never refuses and
 * asks consent for the same rule, nor names one it was not asked about. A BPP's metadata is
 * refused only as MALFORMED, read within the package's size as one BF25 TLV, and equal to the
 * shown metadata exactly when the comparison says so, either way round; its list of
 * differences is printable text within its buffer, empty exactly when they are equal.
 * Deterministic, no global state carried between inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "openrsp/euicc_config.h"
#include "openrsp/lpa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

typedef struct answer {
	const uint8_t *p;
	size_t n;
} answer;

static uint16_t fake_store_data(void *user, uint8_t channel, orsp_slice d, orsp_writer *rsp)
{
	answer *a = user;
	(void)channel;
	(void)d;
	orsp_write_bytes(rsp, a->p, a->n);
	return 0x9000;
}

static const orsp_euicc_app_ops fake_ops = {.store_data = fake_store_data};

static void check_err(orsp_err e)
{
	check(e == ORSP_OK || e == ORSP_E_MALFORMED || e == ORSP_E_STATE || e == ORSP_E_NOT_FOUND ||
	      e == ORSP_E_POLICY || e == ORSP_E_RESOURCE);
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

/* Text safe to print: NUL-terminated within cap, no C0 control character or DEL. */
static bool printable(const char *s, size_t cap)
{
	if (!terminated(s, cap))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cbuf[ORSP_EUICC_MAX_COMMAND], rbuf[ORSP_EUICC_MAX_RESPONSE];
	orsp_euicc_apdu_ctx ctx;
	orsp_lpa_transport t;
	orsp_lpa_card c;
	answer a;
	uint8_t aid[16];
	orsp_err e;

	if (size < 1 || size > ORSP_EUICC_MAX_RESPONSE)
		return 0;
	a.p = data + 1;
	a.n = size - 1;
	check(orsp_euicc_apdu_init(&ctx, cbuf, sizeof(cbuf), rbuf, sizeof(rbuf)) == ORSP_OK);
	check(orsp_hex_decode_exact(ORSP_LPA_ISDR_AID, aid, 16) == ORSP_OK);
	check(orsp_euicc_apdu_register(&ctx, aid, 16, &fake_ops, &a) == ORSP_OK);
	check(orsp_lpa_transport_apdu(&ctx, &t) == ORSP_OK);
	check(orsp_lpa_card_open(&c, &t) == ORSP_OK);
	switch (data[0] % 11) {
	case 0: {
		char eid[33];
		e = orsp_lpa_get_eid(&c, eid);
		check_err(e);
		check(e || strlen(eid) == 32);
		break;
	}
	case 1: {
		orsp_lpa_profile p[4];
		size_t n = 99;
		e = orsp_lpa_profiles(&c, p, 4, &n);
		check_err(e);
		check(n <= 4);
		for (size_t i = 0; !e && i < n; i++)
			check(terminated(p[i].iccid, sizeof(p[i].iccid)) &&
			      printable(p[i].name, sizeof(p[i].name)) &&
			      printable(p[i].spn, sizeof(p[i].spn)) &&
			      printable(p[i].nickname, sizeof(p[i].nickname)) &&
			      p[i].aid_len <= 16);
		break;
	}
	case 2: {
		orsp_lpa_notification no[4];
		size_t n = 99;
		e = orsp_lpa_notifications(&c, no, 4, &n);
		check_err(e);
		check(n <= 4);
		for (size_t i = 0; !e && i < n; i++)
			check(printable(no[i].address, sizeof(no[i].address)) &&
			      terminated(no[i].iccid, sizeof(no[i].iccid)) &&
			      terminated(no[i].event, sizeof(no[i].event)));
		break;
	}
	case 3: {
		orsp_lpa_info2 i;
		e = orsp_lpa_euicc_info2(&c, &i);
		check_err(e);
		check(i.n_ci_verify <= ORSP_LPA_MAX_CI && i.n_ci_sign <= ORSP_LPA_MAX_CI &&
		      terminated(i.sas, sizeof(i.sas)) && terminated(i.svn, sizeof(i.svn)));
		break;
	}
	case 4: {
		char dp[256], ds[256];
		e = orsp_lpa_addresses(&c, dp, ds);
		check_err(e);
		check(terminated(dp, 256) && terminated(ds, 256));
		break;
	}
	case 5:
		check_err(orsp_lpa_enable(&c, "89000123456789012341"));
		break;
	case 6:
		check_err(orsp_lpa_notification_remove(&c, 1));
		break;
	case 7:
		check_err(orsp_lpa_memory_reset(&c, 7));
		break;
	case 9: {
		/* GetRAT, then the check of a profile's PPRs for two owners: nothing beyond the
		 * limits, no rule bit both refused and needing consent, only bits asked about */
		static orsp_lpa_rat rat;
		orsp_lpa_operator owner = {
		    .mcc_mnc = {0x02, 0xF8, 0x10}, .has_gid1 = true, .gid1_len = 1, .gid1 = {0xAB}};
		/* the PPRs asked about: from the input too (its last four bytes) */
		uint32_t na = 0, co = 0,
		         ppr = size >= 5 ? (uint32_t)data[size - 4] << 24 |
		                               (uint32_t)data[size - 3] << 16 |
		                               (uint32_t)data[size - 2] << 8 | data[size - 1]
		                         : 0x06u;
		e = orsp_lpa_get_rat(&c, &rat);
		check_err(e);
		check(rat.n_rules <= ORSP_LPA_RAT_MAX_RULES);
		check(!e || rat.n_rules == 0);
		for (size_t i = 0; i < rat.n_rules; i++) {
			check(rat.rules[i].n_ops <= ORSP_LPA_RAT_MAX_OPERATORS);
			for (size_t k = 0; k < rat.rules[i].n_ops; k++)
				check(rat.rules[i].ops[k].gid1_len <= ORSP_LPA_GID_MAX &&
				      rat.rules[i].ops[k].gid2_len <= ORSP_LPA_GID_MAX);
		}
		for (int k = 0; k < 2; k++) {
			orsp_lpa_rat_check(&rat, ppr, k ? &owner : NULL, &na, &co);
			check(!(na & co) && !((na | co) & ~ORSP_LPA_PPR_RULES));
			check(((na | co) & ~ppr) == 0);
		}
		break;
	}
	case 10: {
		/* the metadata shown: ICCID 89000123456789012341, provider, name, owner MCC 208
		 * MNC 01, PPR1 and PPR2 */
		static const uint8_t shown[] = {
		    0xBF, 0x25, 0x2B, 0x5A, 0x0A, 0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98,
		    0x10, 0x32, 0x14, 0x91, 0x07, 0x4F, 0x70, 0x65, 0x6E, 0x52, 0x53, 0x50,
		    0x92, 0x09, 0x54, 0x53, 0x34, 0x38, 0x20, 0x74, 0x65, 0x73, 0x74, 0xB7,
		    0x05, 0x80, 0x03, 0x02, 0xF8, 0x10, 0x99, 0x02, 0x05, 0x60};
		static uint8_t meta[ORSP_EUICC_MAX_RESPONSE];
		uint8_t pir[512];
		size_t ml = 0, pl = 0;
		char diff[136];
		orsp_err c1, c2;
		e = orsp_lpa_bpp_metadata(a.p, a.n, meta, sizeof(meta), &ml);
		check(e == ORSP_OK || e == ORSP_E_MALFORMED);
		check(!e || ml == 0);
		check(e || (ml >= 3 && ml <= a.n && meta[0] == 0xBF && meta[1] == 0x25));
		if (!e) {
			bool same = ml == sizeof(shown) && !memcmp(meta, shown, ml);
			c1 = orsp_lpa_metadata_compare(shown, sizeof(shown), meta, ml, diff,
			                               sizeof(diff));
			check(c1 == ORSP_OK || c1 == ORSP_E_VERIFY);
			check((c1 == ORSP_OK) == same && (diff[0] == '\0') == same);
			check(printable(diff, sizeof(diff)));
			c2 = orsp_lpa_metadata_compare(meta, ml, shown, sizeof(shown), diff,
			                               sizeof(diff));
			check(c2 == c1 && printable(diff, sizeof(diff)));
			check(orsp_lpa_metadata_compare(meta, ml, meta, ml, diff, sizeof(diff)) ==
			      ORSP_OK);
		}
		a.n = 0; /* the card answers every piece with nothing */
		e = orsp_lpa_load_bpp(&c, data + 1, size - 1, pir, sizeof(pir), &pl);
		check_err(e);
		check(e || pl <= sizeof(pir));
		break;
	}
	default: {
		/* LoadBoundProfilePackage of a small valid BPP: every piece answered with the input
		 */
		static const uint8_t bpp[] = {0xBF, 0x36, 0x0F, 0xBF, 0x23, 0x00, 0xA0,
		                              0x03, 0x87, 0x01, 0x00, 0xA3, 0x06, 0x86,
		                              0x01, 0x01, 0x86, 0x01, 0x02};
		uint8_t pir[512];
		size_t pl = 0;
		e = orsp_lpa_load_bpp(&c, bpp, sizeof(bpp), pir, sizeof(pir), &pl);
		check_err(e);
		check(pl <= sizeof(pir));
		break;
	}
	}
	orsp_lpa_card_close(&c);
	return 0;
}
