/* The USIM application on the APDU layer: GSMA TS.48 profiles loaded, driven with real
 * command APDUs (docs/usim.md). Expected file contents come from GSMA's own value-notation
 * dumps of the profiles (the .txt files under tests/vectors/saip/gsma-ts48); AUTHENTICATE from the
 * Milenage (TS 35.207/35.208), TUAK and AUTS vector files. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "openrsp/aka.h"
#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"

#define V7 "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
/* From GSMA's TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.txt */
#define TS48_AID "A0000000871002FF49FF0589"
#define TS48_EF_ICCID "98001032547698103214"
#define TS48_EF_IMSI "080910101032547698"
#define TS48_EF_AD "80000002"
#define TS48_EF_UST "9EFFBF1DFF3E0083410310010400003E11"
/* as the card serves it: services n°122 on cleared (PEDefinitions: those the eUICC does not
 * support; TS.48 v7 sets 122-126, 129 and 133, 5G ones, which need DF.5GS or GET IDENTITY) */
#define TS48_EF_UST_SERVED "9EFFBF1DFF3E0083410310010400000000"
#define TS48_EF_SPN "0147534D411154455354FF" /* fill pattern: last byte repeated */
#define TS48_DIR_REC1 "61144F0CA0000000871002FF49FF058950045553494D"

typedef struct card {
	orsp_euicc_apdu_ctx ctx;
	uint8_t cmd[ORSP_EUICC_MAX_COMMAND];
	uint8_t rsp[ORSP_EUICC_MAX_RESPONSE];
	orsp_usim u;
} card;

static struct {
	int calls;
	bool fail;
	uint8_t state[ORSP_USIM_SQN_STATE_MAX];
	size_t len;
} persisted;

static orsp_err persist_cb(void *user, const uint8_t *st, size_t len)
{
	(void)user;
	persisted.calls++;
	if (persisted.fail)
		return orsp_errf(ORSP_E_STORAGE, "injected");
	assert_true(len <= sizeof(persisted.state));
	memcpy(persisted.state, st, len);
	persisted.len = len;
	return ORSP_OK;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	assert_int_equal(orsp_hex_decode(hex, out, cap, &n), ORSP_OK);
	return n;
}

/* Send one APDU (hex), follow 61xx with GET RESPONSE on the same channel, return the final
 * SW; the data of all parts goes to data/len. */
static uint16_t xfer(card *c, const char *hex, uint8_t *data, size_t *len)
{
	uint8_t capdu[300], rapdu[ORSP_EUICC_RAPDU_MAX];
	size_t n = unhex(hex, capdu, sizeof(capdu)), rn = 0, total = 0;
	uint16_t sw;

	for (;;) {
		assert_int_equal(
		    orsp_euicc_apdu_process(&c->ctx, capdu, n, rapdu, sizeof(rapdu), &rn), ORSP_OK);
		assert_true(rn >= 2);
		if (data) {
			memcpy(data + total, rapdu, rn - 2);
		}
		total += rn - 2;
		sw = (uint16_t)(rapdu[rn - 2] << 8 | rapdu[rn - 1]);
		if ((sw >> 8) != 0x61)
			break;
		uint8_t cla = capdu[0] & 0x83 ? (uint8_t)(capdu[0] & 0x03) : 0x00;
		if (capdu[0] & 0x40)
			cla = capdu[0] & 0x4F;
		capdu[0] = cla;
		capdu[1] = 0xC0;
		capdu[2] = capdu[3] = 0;
		capdu[4] = (uint8_t)sw;
		n = 5;
	}
	if (len)
		*len = total;
	return sw;
}

static void expect(card *c, const char *apdu, uint16_t sw, const char *data_hex)
{
	uint8_t got[4096], want[512];
	size_t n = 0;
	uint16_t s = xfer(c, apdu, got, &n);
	if (s != sw)
		fail_msg("%s: SW %04X, expected %04X (%s)", apdu, s, sw, orsp_err_detail());
	if (data_hex) {
		size_t wn = unhex(data_hex, want, sizeof(want));
		assert_int_equal(n, wn);
		assert_bytes_equal(got, want, wn);
	}
}

static card *card_new(const uint8_t *upp, size_t len, const uint8_t *sqn, size_t sqn_len)
{
	card *c = calloc(1, sizeof(*c));
	uint8_t aid[16];
	size_t aid_len = 0;

	assert_non_null(c);
	assert_int_equal(
	    orsp_euicc_apdu_init(&c->ctx, c->cmd, sizeof(c->cmd), c->rsp, sizeof(c->rsp)), ORSP_OK);
	if (orsp_usim_load(&c->u, upp, len, sqn, sqn_len, persist_cb, NULL) != ORSP_OK)
		fail_msg("usim_load: %s", orsp_err_detail());
	assert_int_equal(orsp_usim_aid(&c->u, aid, &aid_len), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, aid, aid_len, &orsp_usim_app_ops, &c->u),
	                 ORSP_OK);
	orsp_euicc_apdu_set_mf(&c->ctx, &orsp_usim_mf_ops, &c->u);
	memset(&persisted, 0, sizeof(persisted));
	return c;
}

static void card_free(card *c)
{
	orsp_usim_unload(&c->u);
	free(c);
}

static card *card_v7(void)
{
	size_t len;
	uint8_t *upp = test_read_vector(V7, &len);
	card *c = card_new(upp, len, NULL, 0);
	free(upp);
	return c;
}

/* A TLV inside an FCP (one level), or NULL. */
static const uint8_t *fcp_find(const uint8_t *fcp, size_t n, uint8_t tag, size_t *vlen)
{
	assert_true(n >= 2 && fcp[0] == 0x62 && fcp[1] == n - 2);
	for (size_t i = 2; i + 2 <= n;) {
		size_t l = fcp[i + 1];
		if (fcp[i] == tag) {
			*vlen = l;
			return fcp + i + 2;
		}
		i += 2 + l;
	}
	return NULL;
}

/* ---------------------------------------------------------------- loading -------------- */

/* Every GSMA TS.48 profile (v1..v7) and pySim's unique-ICCID copies load, and EF.ICCID
 * read over APDUs is the header's ICCID in EF coding. */
static void check_one_profile(const char *rel)
{
	size_t len;
	uint8_t *upp = test_read_vector(rel, &len);
	orsp_pkg *pkg = NULL;
	orsp_pkg_header h;
	uint8_t ef[10], got[64];
	char hex[64];
	size_t n;

	assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_get_header(pkg, &h), ORSP_OK);
	assert_int_equal(orsp_iccid_encode_ef(h.iccid, ef), ORSP_OK);
	orsp_pkg_free(pkg);
	card *c = card_new(upp, len, NULL, 0);
	assert_int_equal(xfer(c, "00A4000C023F00", NULL, NULL), 0x9000);
	assert_int_equal(xfer(c, "00A4000C022FE2", NULL, NULL), 0x9000);
	assert_int_equal(xfer(c, "00B000000A", got, &n), 0x9000);
	assert_int_equal(n, 10);
	assert_bytes_equal(got, ef, 10);
	assert_int_equal(orsp_hex_encode(c->u.aid, c->u.aid_len, hex, sizeof(hex)), ORSP_OK);
	assert_string_equal(hex, "a0000000871002ff49ff0589");
	/* every TS.48 profile has an ISIM too (docs/isim.md) */
	uint8_t aid[16];
	size_t al = 0;
	assert_int_equal(orsp_usim_isim_aid(&c->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_hex_encode(aid, al, hex, sizeof(hex)), ORSP_OK);
	assert_string_equal(hex, "a0000000871004ff49ff0589");
	card_free(c);
	free(upp);
}

static void test_load_all_ts48(void **state)
{
	static const char *dirs[] = {"saip/gsma-ts48/v1", "saip/gsma-ts48/v2", "saip/gsma-ts48/v3",
	                             "saip/gsma-ts48/v4", "saip/gsma-ts48/v5", "saip/gsma-ts48/v6",
	                             "saip/gsma-ts48/v7", "saip/pysim-unique"};
	size_t count = 0;
	(void)state;
	for (size_t d = 0; d < ORSP_ARRAY_LEN(dirs); d++) {
		DIR *dir = opendir(test_vector_path(dirs[d]));
		struct dirent *e;
		assert_non_null(dir);
		while ((e = readdir(dir)) != NULL) {
			size_t l = strlen(e->d_name);
			char rel[512];
			if (l < 5 || strcmp(e->d_name + l - 4, ".der") != 0)
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[d], e->d_name);
			check_one_profile(rel);
			count++;
		}
		closedir(dir);
	}
	assert_true(count >= 25);
}

static void test_load_rejects(void **state)
{
	size_t len;
	uint8_t *upp = test_read_vector(V7, &len);
	orsp_usim *u = calloc(1, sizeof(*u));
	uint8_t bad[4] = {0x30, 0x02, 0x01, 0x00};
	(void)state;
	assert_non_null(u);
	assert_int_equal(orsp_usim_load(NULL, upp, len, NULL, 0, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_usim_load(u, NULL, len, NULL, 0, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 5, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_usim_load(u, bad, sizeof(bad), NULL, 0, NULL, NULL),
	                 ORSP_E_MALFORMED);
	for (size_t cut = 1; cut < len; cut += len / 13)
		assert_int_not_equal(orsp_usim_load(u, upp, cut, NULL, 0, NULL, NULL), ORSP_OK);
	/* a bad SQN state is refused, and u is left wiped */
	assert_int_equal(orsp_usim_load(u, upp, len, bad, sizeof(bad), NULL, NULL),
	                 ORSP_E_MALFORMED);
	assert_false(u->loaded);
	uint8_t aid[16];
	size_t aid_len;
	assert_int_equal(orsp_usim_aid(u, aid, &aid_len), ORSP_E_STATE);
	/* the profile without its PE-USIM: only PE-MF and friends remain */
	orsp_pkg *pkg = NULL;
	uint8_t *noui = malloc(len);
	size_t nl = 0;
	assert_non_null(noui);
	assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info info;
		assert_int_equal(orsp_pkg_pe(pkg, i, &info), ORSP_OK);
		if (info.type == ORSP_PE_USIM)
			continue;
		memcpy(noui + nl, info.raw.p, info.raw.len);
		nl += info.raw.len;
	}
	orsp_pkg_free(pkg);
	assert_int_equal(orsp_usim_load(u, noui, nl, NULL, 0, NULL, NULL), ORSP_E_NOT_FOUND);
	free(noui);
	/* one byte of the package changed (lengths intact), each refused by a check of the
	 * loader: the ADF's dfName is not a USIM AID; EF.DIR's record length does not divide
	 * its size, or is zero */
	static const struct {
		const char *find; /* hex, occurs once in the package */
		size_t at;
		uint8_t to;
	} edits[] = {
	    {"840C" TS48_AID, 2, 0xA1},
	    {"82044221002183022F00", 5, 0x22},
	    {"82044221002183022F00", 5, 0x00},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(edits); i++) {
		uint8_t pat[32], *bad_upp = malloc(len);
		size_t pl = unhex(edits[i].find, pat, sizeof(pat)), hits = 0, where = 0;
		assert_non_null(bad_upp);
		memcpy(bad_upp, upp, len);
		for (size_t o = 0; o + pl <= len; o++) {
			if (memcmp(upp + o, pat, pl) == 0) {
				hits++;
				where = o;
			}
		}
		assert_int_equal(hits, 1);
		bad_upp[where + edits[i].at] = edits[i].to;
		assert_int_equal(orsp_usim_load(u, bad_upp, len, NULL, 0, NULL, NULL),
		                 ORSP_E_MALFORMED);
		assert_false(u->loaded);
		free(bad_upp);
	}
	orsp_usim_unload(u);
	orsp_usim_unload(NULL);
	free(u);
	free(upp);
}

/* An AID shorter than the USIM's or ISIM's 7-byte prefix (RID + application code) has not
 * got it, whatever bytes follow it: TS.48 v7 with the ADF dfNames' tag changed (so the AIDs
 * come from EF.DIR) and EF.DIR's '4F' AIDs cut to 5 bytes (A000000087) by their length byte,
 * each followed in the record by the rest of the old AID (1002..., 1004...). Comparing the
 * 7-byte prefix past the 5-byte value took them as the USIM's and ISIM's AIDs. */
static void test_short_dir_aid(void **state)
{
	static const struct {
		const char *find;
		size_t at;
		uint8_t to;
	} edits[] = {
	    {"840C" TS48_AID, 0, 0x87},
	    {"840CA0000000871004FF49FF0589", 0, 0x87},
	    {"4F0C" TS48_AID, 1, 0x05},
	    {"4F0CA0000000871004FF49FF0589", 1, 0x05},
	};
	size_t len;
	uint8_t *upp = test_read_vector(V7, &len), aid[16];
	orsp_usim *u = calloc(1, sizeof(*u));
	size_t al = 0;
	(void)state;

	assert_non_null(u);
	/* the ISIM alone (its dfName gone, its EF.DIR AID cut): no ISIM, the USIM loads */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(edits); i++) {
		uint8_t pat[32];
		size_t pl = unhex(edits[i].find, pat, sizeof(pat)), hits = 0, where = 0;
		for (size_t o = 0; o + pl <= len; o++) {
			if (memcmp(upp + o, pat, pl) == 0) {
				hits++;
				where = o;
			}
		}
		assert_int_equal(hits, 1);
		upp[where + edits[i].at] = edits[i].to;
		if (i == 1) {
			assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
			assert_int_equal(orsp_usim_isim_aid(u, aid, &al), ORSP_OK); /* EF.DIR's */
			assert_int_equal(al, 12);
			orsp_usim_unload(u);
		}
		if (i == 3) { /* both cut: no ISIM, and then no USIM AID */
			assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL),
			                 ORSP_E_NOT_FOUND);
			assert_non_null(strstr(orsp_err_detail(), "no ADF.USIM AID"));
			orsp_err_clear();
			assert_false(u->loaded);
		}
	}
	/* the USIM's AID whole again: the USIM loads, the cut ISIM AID is none */
	static const uint8_t cut[] = {0x4F, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
	for (size_t o = 0; o + sizeof(cut) <= len; o++)
		if (memcmp(upp + o, cut, sizeof(cut)) == 0)
			upp[o + 1] = 0x0C;
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_int_equal(orsp_usim_aid(u, aid, &al), ORSP_OK);
	assert_int_equal(al, 12);
	assert_int_equal(orsp_usim_isim_aid(u, aid, &al), ORSP_E_NOT_FOUND);
	orsp_err_clear();
	orsp_usim_unload(u);
	free(u);
	free(upp);
}

/* ---------------------------------------------------------------- file system ---------- */

static void test_select_mf_iccid(void **state)
{
	card *c = card_v7();
	uint8_t fcp[256];
	size_t n, vl;
	const uint8_t *v;
	(void)state;

	assert_int_equal(xfer(c, "00A40004023F00", fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0x82, &vl));
	assert_int_equal(vl, 2);
	assert_int_equal(v[0], 0x78);
	assert_non_null(v = fcp_find(fcp, n, 0x83, &vl));
	assert_int_equal(v[0] << 8 | v[1], 0x3F00);
	assert_non_null(fcp_find(fcp, n, 0xC6, &vl));
	/* EF.ICCID: transparent, 10 bytes (TS 102 221 §13.2) */
	assert_int_equal(xfer(c, "00A40004022FE2", fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0x82, &vl));
	assert_int_equal(v[0] & 0x07, 1);
	assert_non_null(v = fcp_find(fcp, n, 0x80, &vl));
	assert_int_equal(v[0] << 8 | v[1], 10);
	/* the EF's security attributes: the profile's EF.ARR reference, 2F06 record 3 */
	assert_non_null(v = fcp_find(fcp, n, 0x8B, &vl));
	assert_int_equal(vl, 3);
	assert_bytes_equal(v, "\x2F\x06\x03", 3);
	expect(c, "00B000000A", 0x9000, TS48_EF_ICCID);
	/* offsets */
	expect(c, "00B0000504", 0x9000, "76981032");
	expect(c, "00B0000900", 0x9000, "14");
	expect(c, "00B0000A01", 0x6B00, NULL);
	expect(c, "00B07FFF01", 0x6B00, NULL);
	/* extended Le (case 2E) */
	expect(c, "00B0000000000A", 0x9000, TS48_EF_ICCID);
	expect(c, "00B00002000000", 0x9000, "1032547698103214");
	/* without Le: the rest of the file */
	expect(c, "00B00008", 0x9000, "3214");
	card_free(c);
}

static void test_usim_files(void **state)
{
	card *c = card_v7();
	uint8_t fcp[256], rec[256]; /* EF.SMS records are 176 bytes */
	size_t n, vl;
	const uint8_t *v;
	(void)state;

	/* SELECT ADF.USIM by AID, FCP */
	assert_int_equal(xfer(c, "00A4040C0C" TS48_AID, NULL, NULL), 0x9000);
	assert_int_equal(xfer(c,
	                      "00A4040410"
	                      "A0000000871002FF49FF058900000000",
	                      NULL, NULL),
	                 0x6A82);
	assert_int_equal(xfer(c, "00A404040C" TS48_AID, fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0x84, &vl));
	assert_int_equal(vl, 12);
	assert_non_null(v = fcp_find(fcp, n, 0x82, &vl));
	assert_int_equal(v[0], 0x78);
	assert_non_null(fcp_find(fcp, n, 0x8A, &vl));
	/* security attributes: the adf-usim's EF.ARR reference (test_fcp_df_security) */
	assert_non_null(v = fcp_find(fcp, n, 0x8B, &vl));
	assert_int_equal(vl, 3);
	assert_bytes_equal(v, "\x2F\x06\x01", 3);
	assert_non_null(v = fcp_find(fcp, n, 0xC6, &vl));
	assert_int_equal(v[0], 0x90); /* PS_DO */
	/* the FCI form (P2 00) carries no FCP-only parts */
	assert_int_equal(xfer(c, "00A404000C" TS48_AID, fcp, &n), 0x9000);
	assert_int_equal(fcp[0], 0x6F);
	for (size_t i = 0; i + 1 < n; i++)
		assert_false(fcp[i] == 0xC6 && fcp[i + 1] == 0x06);
	/* EF.IMSI, EF.AD, EF.UST, EF.SPN */
	expect(c, "00A4000C026F07", 0x9000, NULL);
	expect(c, "00B0000009", 0x9000, TS48_EF_IMSI);
	expect(c, "00A4000C026FAD", 0x9000, NULL);
	expect(c, "00B0000000", 0x9000, TS48_EF_AD);
	expect(c, "00A4000C026F38", 0x9000, NULL);
	expect(c, "00B0000011", 0x9000, TS48_EF_UST_SERVED);
	expect(c, "00A4000C026F46", 0x9000, NULL);
	expect(c, "00B0000011", 0x9000, TS48_EF_SPN "FFFFFFFFFFFF");
	/* EF.KEYS: fill pattern 07FF over the template size (33); EF.LOCI: content */
	expect(c, "00A4000C026F08", 0x9000, NULL);
	expect(c, "00B0000000", 0x9000,
	       "07FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF");
	expect(c, "00A4000C026F7E", 0x9000, NULL);
	expect(c, "00B0000000", 0x9000, "FFFFFFFF42F618FFFEFF01");
	/* EF.ECC: linear fixed, records of 0x0E, by its template SFI 01 */
	expect(c, "00B2020C00", 0x9000, "19F1FF456D657267656E6379FF00");
	/* absolute mode leaves the record pointer (unset here) alone (TS 102 221 §11.1.5) */
	expect(c, "00B2000400", 0x6A83, NULL);
	expect(c, "00B2000300", 0x9000, "19F1FF456D657267656E6379FF00"); /* previous: last */
	expect(c, "00B2000300", 0x9000, "11F2FF4575726F20456D6572FF00");
	expect(c, "00B2000300", 0x6A83, NULL);
	/* EF.SMS freshly selected: absolute 3 sets no pointer, previous is the last (10) */
	expect(c, "00A4000C026F3C", 0x9000, NULL);
	assert_int_equal(xfer(c, "00B2030400", rec, &n), 0x9000);
	assert_int_equal(n, 176);
	expect(c, "00B2000400", 0x6A83, NULL);
	assert_int_equal(xfer(c, "00B2000300", rec, &n), 0x9000);
	assert_int_equal(n, 176);
	assert_int_equal(c->u.ch[0].rec, 10);
	/* READ BINARY by SFI (EF.IMSI SFI 07, EF.AD 03): the EF becomes current */
	expect(c, "00B0870009", 0x9000, TS48_EF_IMSI);
	expect(c, "00B0830102", 0x9000, "0000");
	expect(c, "00B0000001", 0x9000, "80");
	/* SELECT by path: from the MF through 7FFF, from the current DF */
	expect(c, "00A4080C047FFF6F07", 0x9000, NULL);
	expect(c, "00B0000001", 0x9000, "08");
	expect(c, "00A4090C026FAD", 0x9000, NULL);
	expect(c, "00B0000001", 0x9000, "80");
	expect(c, "00A4000C027FFF", 0x9000, NULL);
	assert_int_equal(xfer(c, "00A40004027FFF", fcp, &n), 0x9000);
	assert_non_null(fcp_find(fcp, n, 0x84, &vl));
	/* the MF's files are not children of the ADF */
	expect(c, "00A4000C022FE2", 0x6A82, NULL);
	expect(c, "00A4080C022FE2", 0x9000, NULL);
	expect(c, "00B000000A", 0x9000, TS48_EF_ICCID);
	/* STATUS: FCP of the current DF, its AID, nothing */
	expect(c, "00A4000C027FFF", 0x9000, NULL);
	assert_int_equal(xfer(c, "80F2000000", fcp, &n), 0x9000);
	assert_non_null(fcp_find(fcp, n, 0x84, &vl));
	expect(c, "80F2000100", 0x9000, "840C" TS48_AID);
	expect(c, "80F2000C00", 0x9000, "");
	/* at the MF, the USIM is still the current application: P2 01 gives its DF name, P2
	 * 00 the MF's FCP */
	expect(c, "00A4000C023F00", 0x9000, NULL);
	expect(c, "80F2000100", 0x9000, "840C" TS48_AID);
	assert_int_equal(xfer(c, "80F2000000", fcp, &n), 0x9000);
	assert_null(fcp_find(fcp, n, 0x84, &vl));
	assert_non_null(v = fcp_find(fcp, n, 0x83, &vl));
	assert_int_equal(v[0] << 8 | v[1], 0x3F00);
	/* EF.DIR (linear fixed, records of 0x21): READ RECORD absolute, next, previous */
	expect(c, "00A4080C022F00", 0x9000, NULL);
	assert_int_equal(xfer(c, "00A40004022F00", fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0x82, &vl));
	assert_int_equal(vl, 5);
	assert_int_equal(v[0], 0x42);
	assert_int_equal(v[3], 0x21);
	assert_int_equal(v[4], 4); /* 0x84 bytes */
	assert_int_equal(xfer(c, "00B2010421", rec, &n), 0x9000);
	assert_int_equal(n, 0x21);
	uint8_t want[64];
	size_t wl = unhex(TS48_DIR_REC1, want, sizeof(want));
	assert_bytes_equal(rec, want, wl);
	for (size_t i = wl; i < n; i++)
		assert_int_equal(rec[i], 0xFF);
	expect(c, "00B2000400", 0x6A83, NULL); /* absolute mode set no current record */
	assert_int_equal(xfer(c, "00B2000200", rec, &n), 0x9000); /* next: 1 */
	assert_bytes_equal(rec, want, wl);
	assert_int_equal(xfer(c, "00B2000400", rec, &n), 0x9000); /* current: 1 */
	assert_bytes_equal(rec, want, wl);
	assert_int_equal(xfer(c, "00B2000200", rec, &n), 0x9000); /* next: 2 (ISIM) */
	assert_int_equal(rec[10], 0x04);
	expect(c, "00B2040400", 0x9000, NULL); /* absolute 4: the pointer stays on 2 */
	assert_int_equal(xfer(c, "00B2000400", rec, &n), 0x9000);
	assert_int_equal(rec[10], 0x04);
	expect(c, "00B2000200", 0x9000, NULL); /* 3 */
	expect(c, "00B2000200", 0x9000, NULL); /* 4 */
	expect(c, "00B2000200", 0x6A83, NULL); /* beyond the last of a linear file */
	assert_int_equal(xfer(c, "00B2000300", rec, &n), 0x9000); /* previous: 3 (CSIM) */
	assert_int_equal(rec[3], 0x10);
	expect(c, "00B2050400", 0x6A83, NULL);
	expect(c, "00B2010420", 0x6700, NULL); /* Le shorter than the record */
	/* READ RECORD by SFI (EF.DIR SFI 1E), from the ADF's EF.ECC (SFI 01) */
	expect(c, "00A4000C023F00", 0x9000, NULL);
	expect(c, "00B201F400", 0x9000, NULL);
	card_free(c);
}

/* Every refusal of the file commands. */
/* TS.48 v7 with its first PE of type `want` rebuilt: member `tag` replaced by a File whose
 * members are the DER in file_hex, or left out when file_hex is NULL. */
static uint8_t *v7_pe_member(orsp_pe_type want, uint32_t tag, const char *file_hex, size_t *len)
{
	bool done = false;
	size_t n, fl = 0;
	uint8_t *upp = test_read_vector(V7, &n), *out = malloc(n + 512), file[256];
	orsp_pkg *pkg = NULL;
	orsp_writer w;
	assert_non_null(out);
	if (file_hex)
		fl = unhex(file_hex, file, sizeof(file));
	assert_int_equal(orsp_pkg_decode(upp, n, &pkg), ORSP_OK);
	orsp_writer_init(&w, out, n + 512);
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info info;
		assert_int_equal(orsp_pkg_pe(pkg, i, &info), ORSP_OK);
		if (done || info.type != want) {
			orsp_write_bytes(&w, info.raw.p, info.raw.len);
			continue;
		}
		done = true;
		orsp_tlv pe, m;
		orsp_reader r;
		assert_int_equal(orsp_der_parse_one(info.raw, &pe), ORSP_OK);
		orsp_der_mark mk = orsp_der_begin(&w, pe.tag);
		orsp_reader_init(&r, pe.value.p, pe.value.len);
		while (orsp_reader_remaining(&r) > 0) {
			assert_int_equal(orsp_der_read(&r, &m), ORSP_OK);
			if (m.tag != tag)
				orsp_der_put_tlv(&w, m.tag, m.value.p, m.value.len);
			else if (file_hex)
				orsp_der_put_tlv(&w, tag, file, fl);
		}
		orsp_der_end(&w, mk);
	}
	assert_true(done);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	*len = w.len;
	orsp_pkg_free(pkg);
	free(upp);
	return out;
}

/* The same in the PE-USIM (TS.48 v7's PE #7). */
static uint8_t *v7_usim_member(uint32_t tag, const char *file_hex, size_t *len)
{
	return v7_pe_member(ORSP_PE_USIM, tag, file_hex, len);
}

/* EF.SMSP as a PE-USIM member: file descriptor fd (42 linear fixed, 46 cyclic), 3 records
 * of 4, fillPattern AA BB, content 01 02 03 at offset 5 (record 2, byte 2). */
#define SMSP_FILE(fd)                                                                              \
	"A113"                                                                                     \
	"8204" fd "210004"                                                                         \
	"83026F42"                                                                                 \
	"80010C"                                                                                   \
	"A504C102AABB"                                                                             \
	"820105"                                                                                   \
	"8303010203"

/* TS 102 222 §6.3.2.2: in a linear fixed or cyclic EF the fill or repeat pattern starts
 * again in each record, and fillFileContent goes on top (at its offset in the file). */
static void test_record_patterns(void **state)
{
	char want[2 * 176 + 1], apdu[16];
	size_t len;
	uint8_t *upp;
	card *c;
	(void)state;
	/* PE-USIM without ef-sms ([10]): the template's 10 records of 176, each 00 FF..FF */
	upp = v7_usim_member(0xAA, NULL, &len);
	c = card_new(upp, len, NULL, 0);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F3C", 0x9000, NULL);
	memset(want, 'F', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	want[0] = want[1] = '0';
	for (int rec = 1; rec <= 10; rec++) {
		snprintf(apdu, sizeof(apdu), "00B2%02X04B0", rec);
		expect(c, apdu, 0x9000, want);
	}
	expect(c, "00B20B04B0", 0x6A83, NULL);
	card_free(c);
	free(upp);

	/* ef-smsp ([11]): 3 records of 4, fillPattern AA BB, content 01 02 03 at offset 5
	 * (record 2, byte 2); ef-fdn ([9]): 2 records of 5, repeatPattern 01 02, content
	 * 09 at offset 0 */
	upp = v7_usim_member(0xAB, SMSP_FILE("42"), &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F42", 0x9000, NULL);
	expect(c, "00B2010404", 0x9000, "AABBBBBB");
	expect(c, "00B2020404", 0x9000, "AA010203");
	expect(c, "00B2030404", 0x9000, "AABBBBBB");
	card_free(c);
	upp = v7_usim_member(0xA9,
	                     "A113"
	                     "820442210005"
	                     "83026F3B"
	                     "80010A"
	                     "A504C2020102"
	                     "830109",
	                     &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F3B", 0x9000, NULL);
	expect(c, "00B2010405", 0x9000, "0902010201");
	expect(c, "00B2020405", 0x9000, "0102010201");
	card_free(c);
}

/* INCREASE on a cyclic EF (EF.SMSP made cyclic: 3 records of 4): '8X' reaches the command,
 * which is refused as any write (6982), the records unchanged; '0X' is the wrong class
 * (6E00, TS 102 221 Table 10.5); a logical channel's '8X' class reaches it too. READ RECORD
 * wraps in a cyclic EF. */
static void test_increase_cyclic(void **state)
{
	size_t len;
	uint8_t *upp = v7_usim_member(0xAB, SMSP_FILE("46"), &len);
	card *c = card_new(upp, len, NULL, 0);
	(void)state;
	free(upp);

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F42", 0x9000, NULL);
	expect(c, "8032000003000001", 0x6982, NULL);
	expect(c, "0032000003000001", 0x6E00, NULL);
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "01A4000C026F42", 0x9000, NULL);
	expect(c, "8132000003000001", 0x6982, NULL);
	expect(c, "0132000003000001", 0x6E00, NULL);
	expect(c, "00B2000300", 0x9000, "AABBBBBB"); /* previous: the last, 3 */
	expect(c, "00B2000200", 0x9000, "AABBBBBB"); /* next from the last: 1 */
	expect(c, "00B2000200", 0x9000, "AA010203");
	card_free(c);
}

static void test_file_errors(void **state)
{
	card *c = card_v7();
	(void)state;

	expect(c, "00B0000001", 0x6986, NULL); /* no EF selected */
	expect(c, "00B2010400", 0x6986, NULL);
	expect(c, "00A4000C021234", 0x6A82, NULL); /* no such file */
	expect(c, "00A4000C027FFF", 0x6A82, NULL); /* no ADF active on this channel */
	expect(c, "00A4080C047FFF6F07", 0x6A82, NULL);
	expect(c, "00A4080C043F002FE2", 0x6A82, NULL); /* the MF is not part of a path */
	expect(c, "00A4080C042FE26F07", 0x6A82, NULL); /* nothing below an EF */
	expect(c, "00A4000C033F0000", 0x6700, NULL);
	expect(c, "00A4000C013F", 0x6700, NULL);
	expect(c, "00A4080C033F0000", 0x6700, NULL);
	expect(c, "00A40000023F00", 0x6A86, NULL); /* P2 00 (FCI) not offered */
	expect(c, "00A40008023F00", 0x6A86, NULL);
	expect(c, "00A40204023F00", 0x6A86, NULL); /* P1 02 (EF under the DF): not in TS 102 221 */
	expect(c, "00A40104023F00", 0x6A82, NULL); /* the MF is no child DF */
	expect(c, "00A40304023F00", 0x6A87, NULL); /* P1 03 takes no data */
	expect(c, "00A40300", 0x6A86, NULL);
	/* a failed SELECT keeps the current file */
	expect(c, "00A4000C022FE2", 0x9000, NULL);
	expect(c, "00A4000C029999", 0x6A82, NULL);
	expect(c, "00B0000001", 0x9000, "98");
	expect(c, "00B2010400", 0x6981, NULL);   /* record read of a transparent EF */
	expect(c, "00B000000101", 0x6700, NULL); /* READ BINARY with data */
	expect(c, "00B0A00001", 0x6A86, NULL);   /* P1 b7b6 set with b8 */
	expect(c, "00B0800001", 0x6A86, NULL);   /* SFI 0 */
	expect(c, "00B09F0001", 0x6A86, NULL);   /* SFI 1F */
	expect(c, "00B0990001", 0x6A82, NULL);   /* SFI without a file */
	expect(c, "00A4000C022F00", 0x9000, NULL);
	expect(c, "00B0000001", 0x6981, NULL); /* binary read of a record EF */
	expect(c, "00B2010000", 0x6A86, NULL); /* mode 000 */
	expect(c, "00B201FC00", 0x6A86, NULL); /* SFI 1F */
	expect(c, "00B2010200", 0x6A86, NULL); /* next with a record number */
	expect(c, "00B2FF0400", 0x6A86, NULL);
	expect(c, "00B2000400", 0x6A83, NULL); /* no current record yet */
	expect(c, "00B2010401AA00", 0x6700, NULL);
	expect(c, "00B2019400", 0x6A82, NULL); /* SFI 12 not under the MF */
	/* writes are refused: structure first, then security */
	expect(c, "00DC010401FF", 0x6982, NULL);
	expect(c, "00A201040161", 0x6982, NULL); /* SEARCH RECORD: not granted either */
	/* INCREASE is '8X' (TS 102 221 Table 10.5) and needs a cyclic EF (§11.1.8) */
	expect(c, "8032000003000001", 0x6981, NULL);
	expect(c, "0032000003000001", 0x6E00, NULL);
	expect(c, "00D6000001FF", 0x6981, NULL);
	expect(c, "00A4000C022FE2", 0x9000, NULL);
	expect(c, "00D6000001FF", 0x6982, NULL);
	expect(c, "00DC010401FF", 0x6981, NULL);
	expect(c, "00A201040161", 0x6981, NULL);
	expect(c, "8032000003000001", 0x6981, NULL);
	/* UPDATE BINARY's P1 is READ BINARY's: b7b6 set with b8, SFI 0 and 1F are wrong
	 * parameters, an SFI without a file not found; the other writes' SFI 1F too */
	expect(c, "00D6E20001FF", 0x6A86, NULL); /* b7b6 set: not SFI 02 (EF.ICCID) */
	expect(c, "00D6A20001FF", 0x6A86, NULL);
	expect(c, "00D6800001FF", 0x6A86, NULL); /* SFI 0: not the current EF */
	expect(c, "00D69F0001FF", 0x6A86, NULL);
	expect(c, "00D6990001FF", 0x6A82, NULL);
	expect(c, "00D6820001FF", 0x6982, NULL); /* SFI 02: EF.ICCID */
	expect(c, "00DC01FC01FF", 0x6A86, NULL);
	expect(c, "00DC019C01FF", 0x6A82, NULL); /* SFI 13: none under the MF */
	expect(c, "00A201FC0161", 0x6A86, NULL);
	expect(c, "00A2019C0161", 0x6A82, NULL);
	expect(c, "803200F803000001", 0x6A86, NULL);
	expect(c, "8032009803000001", 0x6A82, NULL);
	/* the other P1 P2 bits too: UPDATE RECORD's mode and record number as READ RECORD's,
	 * SEARCH RECORD's mode, INCREASE's P1 and P2 b3..b1 (TS 102 221 §11.1.6-§11.1.8) */
	expect(c, "00A4000C022F00", 0x9000, NULL);
	expect(c, "00DC010001FF", 0x6A86, NULL); /* mode 000 */
	expect(c, "00DC010501FF", 0x6A86, NULL); /* mode 101 */
	expect(c, "00DC010201FF", 0x6A86, NULL); /* next with a record number */
	expect(c, "00DC010301FF", 0x6A86, NULL); /* previous with a record number */
	expect(c, "00DCFF0401FF", 0x6A86, NULL);
	expect(c, "00DC000201FF", 0x6982, NULL);
	expect(c, "00A2010001FF", 0x6A86, NULL);
	expect(c, "00A2010301FF", 0x6A86, NULL);
	expect(c, "00A2010501FF", 0x6982, NULL); /* simple search backward */
	expect(c, "8032010003000001", 0x6A86, NULL);
	expect(c, "8032000103000001", 0x6A86, NULL);
	expect(c, "8032000003000001", 0x6981, NULL);
	/* each write carries data: without it a wrong length (READ BINARY's 6700 the other way) */
	expect(c, "00DC0104", 0x6700, NULL);
	expect(c, "00DC010400", 0x6700, NULL);
	expect(c, "00A20104", 0x6700, NULL);
	expect(c, "80320000", 0x6700, NULL);
	expect(c, "00A4000C022FE2", 0x9000, NULL);
	expect(c, "00D60000", 0x6700, NULL);
	expect(c, "00D6000000", 0x6700, NULL);
	expect(c, "00B000000A", 0x9000, TS48_EF_ICCID); /* unchanged */
	/* STATUS */
	expect(c, "80F2030000", 0x6A86, NULL);
	expect(c, "80F2000200", 0x6A86, NULL);
	expect(c,
	       "80F20001"
	       "00",
	       0x6A88, NULL); /* no application selected, no DF name */
	expect(c, "80F2000001AA", 0x6700, NULL);
	expect(c, "00F2000000", 0x6E00, NULL); /* STATUS is '8X' */
	expect(c, "80B000000A", 0x6E00, NULL); /* READ BINARY is '0X' */
	expect(c, "0012000000", 0x6D00, NULL); /* unknown INS */
	/* '8X' instructions of TS 102 221 Table 10.5 this card has not (CAT): 6D00, not a
	 * wrong class (6E00 until session 54) */
	expect(c, "801000000AFFFFFFFFFFFFFFFFFFFF", 0x6D00, NULL); /* TERMINAL PROFILE */
	expect(c, "8012000010", 0x6D00, NULL);                     /* FETCH */
	expect(c, "80C20000021122", 0x6D00, NULL);                 /* ENVELOPE */
	expect(c, "8076000000", 0x6D00, NULL);                     /* SUSPEND UICC */
	/* VERIFY: PIN1 disabled (TS.48: pinAttributes 6), a value for it 6984; ADM1 enabled, 10
	 * tries; PIN2 is the USIM's, a local PIN: none without an application (6A88) */
	expect(c, "0020000100", 0x9000, NULL);
	expect(c, "0020008100", 0x6A88, NULL);
	expect(c, "002000010831323334FFFFFFFF", 0x6984, NULL);
	expect(c, "00200001033132FF", 0x6700, NULL);
	expect(c, "0020000A00", 0x63CA, NULL);
	/* other key references of TS 102 221 Table 9.3 (PIN Appl 2-8, ADM2-10, universal PIN,
	 * second PIN Appl 2-8): no such PIN here, 6A88, with or without a value; a P2 that is
	 * no key reference: 6A86 (TS.48 has ADM1 and ADM2) */
	static const uint8_t absent[] = {0x02, 0x03, 0x08, 0x0C, 0x0E,
	                                 0x11, 0x82, 0x88, 0x8A, 0x8E};
	static const uint8_t no_ref[] = {0x00, 0x09, 0x0F, 0x10, 0x12,
	                                 0x80, 0x89, 0x8F, 0x91, 0xFF};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(absent); i++) {
		char apdu[40];
		snprintf(apdu, sizeof(apdu), "002000%02X00", absent[i]);
		expect(c, apdu, 0x6A88, NULL);
		snprintf(apdu, sizeof(apdu), "002000%02X0831323334FFFFFFFF", absent[i]);
		expect(c, apdu, 0x6A88, NULL);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(no_ref); i++) {
		char apdu[40];
		snprintf(apdu, sizeof(apdu), "002000%02X00", no_ref[i]);
		expect(c, apdu, 0x6A86, NULL);
		snprintf(apdu, sizeof(apdu), "002000%02X0831323334FFFFFFFF", no_ref[i]);
		expect(c, apdu, 0x6A86, NULL);
	}
	expect(c, "0020010100", 0x6A86, NULL);
	/* AUTHENTICATE needs the USIM selected on the channel; that before the context (P2
	 * 80-87 all 6985 here, 82-87 are 9864 with the USIM: test_auth_errors) */
	for (unsigned p2 = 0x80; p2 <= 0x87; p2++) {
		char apdu[100];
		snprintf(apdu, sizeof(apdu), "008800%02X2210%032u10%032u", p2, 0u, 0u);
		expect(c, apdu, 0x6985, NULL);
	}
	card_free(c);
}

/* A READ or UPDATE by SFI that fails leaves the current EF and its record pointer where they
 * were (TS 102 221 §11.1.5.1: an unsuccessful READ RECORD does not change the record
 * pointer); one that succeeds makes the EF current. Each failure below is followed by a READ
 * RECORD of the current record, which must still be record 1 of the EF read before. */
#define TS48_ECC_REC1 "11F2FF4575726F20456D6572FF00"
#define TS48_ECC_REC2 "19F1FF456D657267656E6379FF00"
static void test_sfi_failure_keeps_ef(void **state)
{
	static const struct {
		const char *apdu;
		uint16_t sw;
	} fails[] = {
	    {"00B2013C00", 0x6981},   /* READ RECORD, SFI 07: EF.IMSI is transparent */
	    {"00B205C400", 0x6A83},   /* SFI 18 (EF.EPSNSC): it has one record */
	    {"00B201C401", 0x6700},   /* its record 1 with an Le of 1 */
	    {"00B0872001", 0x6B00},   /* READ BINARY, SFI 07, offset 32 of 9 bytes */
	    {"00B0980001", 0x6981},   /* SFI 18: not transparent */
	    {"00DC013C01FF", 0x6981}, /* UPDATE RECORD, SFI 07 */
	    {"00DC01C401FF", 0x6982}, /* SFI 18: refused as any write */
	    {"00D6870001FF", 0x6982}, /* UPDATE BINARY, SFI 07 */
	};
	card *c = card_v7();
	(void)state;

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026FB7", 0x9000, NULL);      /* EF.ECC, 2 records */
	expect(c, "00B2000200", 0x9000, TS48_ECC_REC1); /* next: record 1 */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(fails); i++) {
		expect(c, fails[i].apdu, fails[i].sw, NULL);
		expect(c, "00B2000400", 0x9000, TS48_ECC_REC1);
	}
	expect(c, "00B2000200", 0x9000, TS48_ECC_REC2); /* the pointer was on 1 */
	/* a READ RECORD by SFI that succeeds: EF.EPSNSC current at its record 1; a next past its
	 * end fails there, and so does an absolute read of EF.ECC's current record (EF.ECC is no
	 * longer current: it has none) */
	assert_int_equal(xfer(c, "00B200C200", NULL, NULL), 0x9000);
	expect(c, "00B200C200", 0x6A83, NULL);
	expect(c, "00B2000C00", 0x6A83, NULL);
	assert_int_equal(xfer(c, "00B2000400", NULL, NULL), 0x9000);
	expect(c, "00B0000001", 0x6981, NULL); /* EF.EPSNSC is the current EF */
	/* the reviewer's case: EF.DIR at record 1, READ RECORD of EF.ICCID by SFI 02 */
	expect(c, "00A4000C023F00", 0x9000, NULL);
	expect(c, "00A4000C022F00", 0x9000, NULL);
	expect(c, "00B2000200", 0x9000, TS48_DIR_REC1 "FFFFFFFFFFFFFFFFFFFFFF");
	expect(c, "00B2011400", 0x6981, NULL);
	expect(c, "00B2000400", 0x9000, TS48_DIR_REC1 "FFFFFFFFFFFFFFFFFFFFFF");
	card_free(c);
}

/* SELECT P1 03, the parent DF of the current DF, and P1 01, a child DF of the current DF by
 * FID (TS 102 221 §11.1.1.2, Table 11.1): the ADF's parent is the MF, and from the MF the
 * current application's ADF is the child DF 7FFF; the MF has no parent, and there are no
 * other DFs. pySim's select_parent_df sends 00 A4 03 04 without Le (the FCP then comes with
 * GET RESPONSE) or with Le 00. Each selects the DF with no current EF; a failed one keeps
 * the current file. */
static void test_select_parent_child(void **state)
{
	uint8_t fcp[256], aid[16];
	size_t n, vl, al = 0;
	const uint8_t *v;
	card *c = card_v7();
	(void)state;

	/* no application: the MF has no parent, 7FFF is no child */
	expect(c, "00A40304", 0x6A82, NULL);
	expect(c, "00A4030C", 0x6A82, NULL);
	expect(c, "00A4010C027FFF", 0x6A82, NULL);
	/* the USIM, EF.IMSI current: parent of ADF.USIM is the MF */
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F07", 0x9000, NULL);
	/* what no DF is, or not a child of the ADF: 6A82, the current EF stays */
	expect(c, "00A4010C027FFF", 0x6A82, NULL);
	expect(c, "00A4010C026F07", 0x6A82, NULL); /* an EF, not a DF */
	expect(c, "00A4010C023F00", 0x6A82, NULL);
	expect(c, "00A4010C017F", 0x6700, NULL);
	expect(c, "00A4010C", 0x6700, NULL);
	expect(c, "00A4030C027FFF", 0x6A87, NULL);
	expect(c, "00A40100027FFF", 0x6A86, NULL); /* P2 00 (FCI) */
	expect(c, "00B0000009", 0x9000, TS48_EF_IMSI);
	assert_int_equal(xfer(c, "00A40304", fcp, &n), 0x9000); /* 61xx, GET RESPONSE */
	assert_non_null(v = fcp_find(fcp, n, 0x83, &vl));
	assert_int_equal(v[0] << 8 | v[1], 0x3F00);
	expect(c, "00B0000001", 0x6986, NULL);     /* no current EF */
	expect(c, "00A4000C022FE2", 0x9000, NULL); /* the MF is the current DF */
	expect(c, "00A4030C", 0x6A82, NULL);
	expect(c, "00B0000001", 0x9000, "98");
	/* the ADF as the MF's child DF: its FCP, then no current EF */
	assert_int_equal(xfer(c, "00A40104027FFF00", fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0x84, &vl));
	assert_int_equal(vl, 12);
	expect(c, "00B0000001", 0x6986, NULL);
	expect(c, "00A4000C026F07", 0x9000, NULL);
	assert_int_equal(xfer(c, "00A4030400", fcp, &n), 0x9000); /* with Le: at once */
	assert_null(fcp_find(fcp, n, 0x84, &vl));
	expect(c, "00A4010C027FFF", 0x9000, NULL);
	expect(c, "80F2000C00", 0x9000, "");
	/* the ISIM on channel 1: its ADF's parent is the MF too, and it is the child 7FFF */
	assert_int_equal(orsp_usim_isim_aid(&c->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, aid, al, &orsp_isim_app_ops, &c->u),
	                 ORSP_OK);
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4040C0CA0000000871004FF49FF0589", 0x9000, NULL);
	expect(c, "01A4030C", 0x9000, NULL);
	expect(c, "01A4000C022FE2", 0x9000, NULL);
	expect(c, "01A4010C027FFF", 0x9000, NULL);
	assert_int_equal(xfer(c, "81F2000000", fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0x84, &vl));
	assert_bytes_equal(v, aid, al);
	expect(c, "00A4000C026F07", 0x9000, NULL); /* channel 0 is still in ADF.USIM */
	card_free(c);
}

/* Channels keep their own selection; a channel opened from one with the USIM inherits it. */
static void test_channels(void **state)
{
	card *c = card_v7();
	(void)state;

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F07", 0x9000, NULL);
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4000C022FE2", 0x9000, NULL); /* channel 1: MF handler */
	expect(c, "01B0000001", 0x9000, "98");
	expect(c, "00B0000001", 0x9000, "08"); /* channel 0 still on EF.IMSI */
	expect(c, "01A4000C027FFF", 0x6A82, NULL);
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "01A4000C027FFF", 0x9000, NULL);
	expect(c, "0070800100", 0x9000, NULL);
	/* a channel closed with an EF current under the MF handler is back at the MF when
	 * reopened */
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4000C022FE2", 0x9000, NULL);
	expect(c, "01B0000001", 0x9000, "98");
	expect(c, "0070800100", 0x9000, NULL);
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01B0000001", 0x6986, NULL);
	expect(c, "01A4000C026F07", 0x6A82, NULL); /* not in the ADF either */
	/* reset: the ADF is no longer active, and no EF is current on the MF handler */
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00A4000C027FFF", 0x6A82, NULL);
	expect(c, "00A4000C022FE2", 0x9000, NULL);
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00B0000001", 0x6986, NULL);
	card_free(c);
}

/* A channel opened from a non-basic channel has that channel's application and current DF
 * (ISO/IEC 7816-4 §5.4.2, TS 102 221 §11.1.17), no current EF: from channel 1 with the USIM
 * selected and the MF as current DF, channel 2 is on the MF (EF.ICCID, a child of the MF,
 * selectable by FID; STATUS gives the MF's FCP); with the ADF current, on the ADF. */
static void test_open_from_channel_keeps_df(void **state)
{
	card *c = card_v7();
	uint8_t d[512];
	size_t n = 0;
	orsp_tlv fcp, f;
	orsp_reader r;
	(void)state;

	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "01A4000C023F00", 0x9000, NULL);
	expect(c, "01A4000C022FE2", 0x9000, NULL);
	expect(c, "0170000001", 0x9000, "02");
	assert_int_equal(xfer(c, "82F2000000", d, &n), 0x9000);
	orsp_reader_init(&r, d, n);
	assert_int_equal(orsp_der_expect(&r, 0x62, &fcp), ORSP_OK);
	orsp_reader_init(&r, fcp.value.p, fcp.value.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &f) && f.tag != 0x83)
		;
	assert_int_equal(f.tag, 0x83);
	assert_int_equal(f.value.len, 2);
	assert_memory_equal(f.value.p, "\x3F\x00", 2);
	expect(c, "02B0000001", 0x6986, NULL);     /* no current EF */
	expect(c, "02A4000C022FE2", 0x9000, NULL); /* a child of the MF */
	expect(c, "02B0000001", 0x9000, "98");
	expect(c, "02A4000C027FFF", 0x9000, NULL); /* the USIM is its application */
	/* from the ADF: the ADF */
	expect(c, "0270000001", 0x9000, "03");
	expect(c, "03A4000C026F07", 0x9000, NULL);
	expect(c, "03B0000001", 0x9000, "08");
	expect(c, "01B0000001", 0x9000, "98"); /* channel 1 kept its EF */
	card_free(c);
}

/* An application selected by AID over the MF handler's file state (ISD-R-like: no process
 * of its own) and then left, by termination (P2 4C), by closing the channel or by being
 * unregistered, puts the channel back at the MF with no current EF: the EF selected before
 * the application is not current again. */
static void test_app_end_back_at_mf(void **state)
{
	static const orsp_euicc_app_ops none = {0};
	static const uint8_t other[] = {0xF0, 0x01, 0x02, 0x03, 0x04};
	card *c = card_v7();
	(void)state;

	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, other, sizeof(other), &none, NULL),
	                 ORSP_OK);
	/* termination */
	expect(c, "00A4000C022FE2", 0x9000, NULL);
	expect(c, "00A4040C05F001020304", 0x9000, NULL);
	expect(c, "00A4044C05F001020304", 0x9000, NULL);
	expect(c, "00B000000A", 0x6986, NULL);
	expect(c, "00A4000C022FE2", 0x9000, NULL); /* the MF is the current DF */
	expect(c, "00B0000001", 0x9000, "98");
	/* closing the channel, then reopening it */
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4000C022FE2", 0x9000, NULL);
	expect(c, "01A4040C05F001020304", 0x9000, NULL);
	expect(c, "0070800100", 0x9000, NULL);
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01B000000A", 0x6986, NULL);
	/* unregistering the application */
	expect(c, "01A4000C022FE2", 0x9000, NULL);
	expect(c, "01A4040C05F001020304", 0x9000, NULL);
	assert_int_equal(orsp_euicc_apdu_unregister(&c->ctx, other, sizeof(other)), ORSP_OK);
	expect(c, "01B000000A", 0x6986, NULL);
	/* a refused SELECT by AID keeps the current EF (ISO/IEC 7816-4 §7.1.1) */
	expect(c, "01A4000C022FE2", 0x9000, NULL);
	expect(c, "01A4040C05F001020304", 0x6A82, NULL);
	expect(c, "01B0000001", 0x9000, "98");
	/* switching from the USIM to another application and back: the USIM starts afresh */
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, other, sizeof(other), &none, NULL),
	                 ORSP_OK);
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "01A4000C026F07", 0x9000, NULL);
	expect(c, "01A4040C05F001020304", 0x9000, NULL);
	expect(c, "01A4044C05F001020304", 0x9000, NULL);
	expect(c, "01B0000001", 0x6986, NULL);
	expect(c, "01A4000C027FFF", 0x6A82, NULL);
	card_free(c);
}

/* orsp_euicc_apdu_unregister deselects on every channel. */
static void test_unregister(void **state)
{
	card *c = card_v7();
	(void)state;

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	assert_true(c->u.ch[0].adf_active && c->u.ch[1].adf_active);
	assert_int_equal(orsp_euicc_apdu_unregister(&c->ctx, c->u.aid, c->u.aid_len), ORSP_OK);
	assert_false(c->u.ch[0].adf_active);
	assert_false(c->u.ch[1].adf_active);
	assert_int_equal(c->ctx.selected[0], -1);
	assert_int_equal(c->ctx.selected[1], -1);
	expect(c, "00A4040C0C" TS48_AID, 0x6A82, NULL);
	assert_int_equal(orsp_euicc_apdu_unregister(&c->ctx, c->u.aid, c->u.aid_len),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_euicc_apdu_unregister(NULL, c->u.aid, c->u.aid_len), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_unregister(&c->ctx, NULL, 5), ORSP_E_USAGE);
	/* register two, unregister the first: the second keeps its channel */
	static const uint8_t other[] = {0xF0, 0x01, 0x02, 0x03, 0x04};
	assert_int_equal(
	    orsp_euicc_apdu_register(&c->ctx, c->u.aid, c->u.aid_len, &orsp_usim_app_ops, &c->u),
	    ORSP_OK);
	assert_int_equal(
	    orsp_euicc_apdu_register(&c->ctx, other, sizeof(other), &orsp_usim_app_ops, &c->u),
	    ORSP_OK);
	expect(c, "01A4040C05F001020304", 0x9000, NULL);
	assert_int_equal(orsp_euicc_apdu_unregister(&c->ctx, c->u.aid, c->u.aid_len), ORSP_OK);
	assert_int_equal(c->ctx.selected[1], 0);
	expect(c, "01A4000C027FFF", 0x9000, NULL);
	card_free(c);
}

/* ---------------------------------------------------------------- AUTHENTICATE --------- */

/* Personalise the TS.48 v7 profile with the given AKA parameters and re-encode it. */
static uint8_t *personalise(const orsp_pkg_perso *p, size_t *len)
{
	size_t n;
	uint8_t *upp = test_read_vector(V7, &n), *out = NULL;
	orsp_pkg *pkg = NULL;

	assert_int_equal(orsp_pkg_decode(upp, n, &pkg), ORSP_OK);
	if (orsp_pkg_personalise(pkg, p) != ORSP_OK)
		fail_msg("personalise: %s", orsp_err_detail());
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, len), ORSP_OK);
	orsp_pkg_free(pkg);
	free(upp);
	return out;
}

/* A sqnInit value above 43 bits (PEDefinitions: at most '07FFFFFFFFFF') is refused at load:
 * accepted, the first AUTHENTICATE would persist a state no later load takes. The TS.48
 * package gets an explicit sqnInit with a marker in [31] (personalisation refuses values
 * above 43 bits), which is then overwritten in the DER. */
static void test_load_rejects_sqn_init(void **state)
{
	static const uint8_t marker[6] = {0x06, 0xC3, 0xA5, 0xE1, 0xB2, 0xD4};
	static const struct {
		const char *seq;
		orsp_err want;
	} cases[] = {
	    {"07FFFFFFFFFF", ORSP_OK}, /* the largest SEQ with 5 IND bits */
	    {"080000000000", ORSP_E_MALFORMED},
	    {"FFFFFFFFFFFF", ORSP_E_MALFORMED},
	};
	orsp_usim *u = calloc(1, sizeof(*u));
	orsp_pkg_perso p;
	size_t len;
	(void)state;

	assert_non_null(u);
	orsp_pkg_perso_init(&p);
	p.set_sqn_init = true;
	p.sqn_init[31] = UINT64_C(0x06C3A5E1B2D4);
	uint8_t *upp = personalise(&p, &len);
	orsp_pkg_perso_wipe(&p);
	size_t at[4], hits = 0;
	for (size_t o = 0; o + sizeof(marker) <= len; o++)
		if (memcmp(upp + o, marker, sizeof(marker)) == 0 && hits < ORSP_ARRAY_LEN(at))
			at[hits++] = o;
	assert_int_equal(hits, 2); /* the USIM's and the ISIM's PE-AKAParameter */
	assert_int_equal(orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL), ORSP_OK);
	assert_true(u->sqn.seq[31] == UINT64_C(0x06C3A5E1B2D4));
	orsp_usim_unload(u);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		for (size_t h = 0; h < hits; h++)
			unhex(cases[i].seq, upp + at[h], 6);
		orsp_err e = orsp_usim_load(u, upp, len, NULL, 0, NULL, NULL);
		if (e != cases[i].want)
			fail_msg("sqnInit[31] %s: %s (%s)", cases[i].seq, orsp_err_str(e),
			         orsp_err_detail());
		if (e == ORSP_OK) {
			assert_true(u->sqn.seq[31] == UINT64_C(0x07FFFFFFFFFF));
			orsp_usim_unload(u);
			continue;
		}
		assert_non_null(strstr(orsp_err_detail(), "sqnInit[31]"));
		assert_false(u->loaded);
		/* the package check the ISD-R runs before installing refuses it too */
		orsp_pkg *pkg = NULL;
		assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
		assert_int_equal(orsp_pkg_validate(pkg, NULL), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "sqnInit[31]"));
		orsp_pkg_free(pkg);
	}
	free(u);
	orsp_pkg_buf_free(upp, len);
}

/* An SQN state with no delta limit, so that any vector's SQN is fresh. */
static size_t open_sqn_state(uint8_t *out)
{
	orsp_usim_sqn st;
	size_t len = 0;
	orsp_usim_sqn_init(&st, 5);
	st.delta = 0;
	st.age_limit = 0;
	assert_int_equal(orsp_usim_sqn_save(&st, out, ORSP_USIM_SQN_STATE_MAX, &len), ORSP_OK);
	return len;
}

static card *milenage_card(const uint8_t *k, const uint8_t *opc, const orsp_milenage_consts *consts)
{
	orsp_pkg_perso p;
	uint8_t st[ORSP_USIM_SQN_STATE_MAX];
	size_t len, sl = open_sqn_state(st);

	orsp_pkg_perso_init(&p);
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	assert_int_equal(orsp_secret_set(&p.k, k, 16), ORSP_OK);
	assert_int_equal(orsp_secret_set(&p.opc, opc, 16), ORSP_OK);
	if (consts) {
		p.custom_consts = true;
		p.consts = *consts;
	}
	uint8_t *upp = personalise(&p, &len);
	orsp_pkg_perso_wipe(&p);
	card *c = card_new(upp, len, st, sl);
	orsp_pkg_buf_free(upp, len);
	return c;
}

static void hexcat(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t l = strlen(dst);
	assert_int_equal(orsp_hex_encode(p, n, dst + l, cap - l), ORSP_OK);
}

static uint16_t authenticate(card *c, const uint8_t rand[16], const uint8_t autn[16], uint8_t *rsp,
                             size_t *n)
{
	char apdu[128] = "008800812210";
	hexcat(apdu, sizeof(apdu), rand, 16);
	strcat(apdu, "10");
	hexcat(apdu, sizeof(apdu), autn, 16);
	return xfer(c, apdu, rsp, n);
}

/* The TS.48 v7 profile with every algoParameter set to Milenage with k/opc. */
static uint8_t *milenage_upp(const uint8_t *k, const uint8_t *opc, size_t *len)
{
	orsp_pkg_perso p;
	orsp_pkg_perso_init(&p);
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	assert_int_equal(orsp_secret_set(&p.k, k, 16), ORSP_OK);
	assert_int_equal(orsp_secret_set(&p.opc, opc, 16), ORSP_OK);
	uint8_t *upp = personalise(&p, len);
	orsp_pkg_perso_wipe(&p);
	return upp;
}

/* A package made of PE runs: src[i] (a package) PEs from[i]..to[i] (inclusive); a NULL
 * src[i] stands for the raw DER in extra. */
static uint8_t *splice(const uint8_t *const *src, const size_t *src_len, const size_t *from,
                       const size_t *to, size_t runs, const uint8_t *extra, size_t extra_len,
                       size_t *len)
{
	uint8_t *out = malloc(2 * 16384);
	*len = 0;
	assert_non_null(out);
	for (size_t r = 0; r < runs; r++) {
		if (!src[r]) {
			memcpy(out + *len, extra, extra_len);
			*len += extra_len;
			continue;
		}
		orsp_pkg *pkg = NULL;
		assert_int_equal(orsp_pkg_decode(src[r], src_len[r], &pkg), ORSP_OK);
		for (size_t i = from[r]; i <= to[r]; i++) {
			orsp_pe_info info;
			assert_int_equal(orsp_pkg_pe(pkg, i, &info), ORSP_OK);
			assert_true(*len + info.raw.len <= 2 * 16384);
			memcpy(out + *len, info.raw.p, info.raw.len);
			*len += info.raw.len;
		}
		orsp_pkg_free(pkg);
	}
	return out;
}

/* A PE-AKAParameter (identification 11, as the USIM's in TS.48 v7) with a mappingParameter
 * onto the NAA with AID aid (PEDefinitions, automatic tags). */
static size_t mapping_pe(const char *aid_hex, uint8_t *out)
{
	uint8_t aid[16];
	size_t al = unhex(aid_hex, aid, sizeof(aid)), n = 0;
	static const uint8_t hdr[] = {0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x0B};
	out[n++] = 0xA4;
	out[n++] = (uint8_t)(sizeof(hdr) + 2 + 2 + 3 + 2 + al);
	memcpy(out + n, hdr, sizeof(hdr));
	n += sizeof(hdr);
	out[n++] = 0xA1; /* algoConfiguration */
	out[n++] = (uint8_t)(2 + 3 + 2 + al);
	out[n++] = 0xA0; /* mappingParameter */
	out[n++] = (uint8_t)(3 + 2 + al);
	out[n++] = 0x80; /* mappingOptions */
	out[n++] = 0x01;
	out[n++] = 0x01;
	out[n++] = 0x81; /* mappingSource */
	out[n++] = (uint8_t)al;
	memcpy(out + n, aid, al);
	return n + al;
}

/* TCA SAIP: a PE-AKAParameter belongs to the NAA whose PEs it is among. TS.48 v7: PE #7
 * usim, #8 opt-usim, #10 its akaParameter; #18..#21 the ISIM with its akaParameter. The
 * ISIM's run moved before the USIM's (with another K): the USIM still authenticates with
 * its own K. Its akaParameter replaced by a mappingParameter onto the ISIM's AID: the
 * ISIM's K; onto an AID no NAA has: no AKA parameters (AUTHENTICATE refused). */
/* Whether the package at der passes orsp_pkg_validate; if not and why is given, the refusal
 * names it. */
static bool validates(const uint8_t *der, size_t len, const char *why)
{
	orsp_pkg *pkg = NULL;
	orsp_err e;
	assert_int_equal(orsp_pkg_decode(der, len, &pkg), ORSP_OK);
	e = orsp_pkg_validate(pkg, NULL);
	if (e && why)
		assert_non_null(strstr(orsp_err_detail(), why));
	orsp_pkg_free(pkg);
	orsp_err_clear();
	return e == ORSP_OK;
}

static void test_auth_own_naa(void **state)
{
	tsv *t = tsv_load("milenage.tsv");
	uint8_t k[2][16], opc[2][16], rand[2][16], autn[2][16], res[2][8], rsp[128], map[64];
	uint8_t st[ORSP_USIM_SQN_STATE_MAX];
	size_t sl = open_sqn_state(st), n, ml;
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint8_t sqn[6], amf[2], ak[6];
		tsv_hex(t, i, "k", k[i], 16);
		tsv_hex(t, i, "opc", opc[i], 16);
		tsv_hex(t, i, "rand", rand[i], 16);
		tsv_hex(t, i, "sqn", sqn, 6);
		tsv_hex(t, i, "amf", amf, 2);
		tsv_hex(t, i, "f1_mac_a", autn[i] + 8, 8);
		tsv_hex(t, i, "f2_res", res[i], 8);
		tsv_hex(t, i, "f5_ak", ak, 6);
		for (int j = 0; j < 6; j++)
			autn[i][j] = sqn[j] ^ ak[j];
		memcpy(autn[i] + 6, amf, 2);
	}
	assert_memory_not_equal(k[0], k[1], 16);
	size_t la, lb, lr;
	uint8_t *a = milenage_upp(k[0], opc[0], &la), *b = milenage_upp(k[1], opc[1], &lb);
	const uint8_t *src[] = {a, b, a, a};
	size_t lens[] = {la, lb, la, la}, from[] = {0, 18, 7, 22}, to[] = {6, 21, 17, 29};
	uint8_t *r = splice(src, lens, from, to, 4, NULL, 0, &lr);
	card *c = card_new(r, lr, st, sl);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand[0], autn[0], rsp, &n), 0x9000);
	assert_int_equal(rsp[0], 0xDB);
	assert_bytes_equal(rsp + 2, res[0], 8);
	card_free(c);
	free(r);

	const uint8_t *msrc[] = {a, b, a, NULL, a, a};
	size_t mlens[] = {la, lb, la, 0, la, la}, mfrom[] = {0, 18, 7, 0, 11, 22},
	       mto[] = {6, 21, 9, 0, 17, 29};
	ml = mapping_pe("A0000000871004FF49FF0589", map); /* adf-isim's dfName */
	r = splice(msrc, mlens, mfrom, mto, 6, map, ml, &lr);
	c = card_new(r, lr, st, sl);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand[1], autn[1], rsp, &n), 0x9000);
	assert_int_equal(rsp[0], 0xDB);
	assert_bytes_equal(rsp + 2, res[1], 8);
	card_free(c);
	assert_true(validates(r, lr, NULL)); /* a mapping that resolves is valid */
	free(r);

	/* A mapping onto an AID no NAA has: the USIM answers 6A81, and the validator (so the
	 * SM-DP+'s import) refuses the package. */
	ml = mapping_pe("A0000000871004FF49FF0599", map);
	r = splice(msrc, mlens, mfrom, mto, 6, map, ml, &lr);
	c = card_new(r, lr, st, sl);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand[1], autn[1], rsp, &n), 0x6A81);
	card_free(c);
	assert_false(validates(r, lr, "the USIM has no AKA parameters"));
	free(r);

	orsp_pkg_buf_free(a, la);
	orsp_pkg_buf_free(b, lb);
	tsv_free(t);
}

/* A PE-OPT-USIM that follows a second PE-USIM is that USIM's, not the served one's: TS.48
 * v7 with its PE-OPT-USIM (#8, EF.GID1 among its files) moved behind a copy of the PE-USIM
 * placed after the ISIM. */
static void test_opt_usim_of_second_usim(void **state)
{
	size_t len, lr;
	uint8_t *upp = test_read_vector(V7, &len);
	const uint8_t *src[] = {upp, upp, upp, upp};
	size_t lens[] = {len, len, len, len}, from[] = {0, 9, 7, 22}, to[] = {7, 21, 8, 29};
	uint8_t *r = splice(src, lens, from, to, 4, NULL, 0, &lr);
	(void)state;
	card *c = card_new(r, lr, NULL, 0);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F07", 0x9000, NULL); /* EF.IMSI, PE-USIM */
	expect(c, "00A4000C026F3E", 0x6A82, NULL); /* EF.GID1, the second USIM's */
	card_free(c);
	free(r);
	/* as packaged, EF.GID1 is there */
	c = card_new(upp, len, NULL, 0);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F3E", 0x9000, NULL);
	card_free(c);
	free(upp);
}

/* TS 35.208 test sets (milenage.tsv): RES = f2, CK = f3, IK = f4, Kc = c3 (EF.UST of TS.48
 * has service 27); a replay gives AUTS that the AuC side accepts; persist sees the new SQN
 * before RES. */
static void test_auth_milenage_vectors(void **state)
{
	tsv *t = tsv_load("milenage.tsv");
	(void)state;
	for (size_t i = 0; i < tsv_rows(t); i++) {
		uint8_t k[16], opc[16], rand[16], sqn[6], amf[2], mac[8], res[8], ck[16], ik[16],
		    ak[6], autn[16], rsp[128], kc[8];
		size_t n;
		tsv_hex(t, i, "k", k, 16);
		tsv_hex(t, i, "opc", opc, 16);
		tsv_hex(t, i, "rand", rand, 16);
		tsv_hex(t, i, "sqn", sqn, 6);
		tsv_hex(t, i, "amf", amf, 2);
		tsv_hex(t, i, "f1_mac_a", mac, 8);
		tsv_hex(t, i, "f2_res", res, 8);
		tsv_hex(t, i, "f3_ck", ck, 16);
		tsv_hex(t, i, "f4_ik", ik, 16);
		tsv_hex(t, i, "f5_ak", ak, 6);
		for (int j = 0; j < 6; j++)
			autn[j] = sqn[j] ^ ak[j];
		memcpy(autn + 6, amf, 2);
		memcpy(autn + 8, mac, 8);
		card *c = milenage_card(k, opc, NULL);
		expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
		assert_int_equal(authenticate(c, rand, autn, rsp, &n), 0x9000);
		assert_int_equal(n, 1 + 1 + 8 + 1 + 16 + 1 + 16 + 1 + 8);
		assert_int_equal(rsp[0], 0xDB);
		assert_int_equal(rsp[1], 8);
		assert_bytes_equal(rsp + 2, res, 8);
		assert_int_equal(rsp[10], 16);
		assert_bytes_equal(rsp + 11, ck, 16);
		assert_int_equal(rsp[27], 16);
		assert_bytes_equal(rsp + 28, ik, 16);
		assert_int_equal(rsp[44], 8);
		orsp_gsm_kc_c3(ck, ik, kc);
		assert_bytes_equal(rsp + 45, kc, 8);
		/* persisted: the SEQ of this SQN under its IND */
		assert_int_equal(persisted.calls, 1);
		orsp_usim_sqn st;
		assert_int_equal(orsp_usim_sqn_parse(persisted.state, persisted.len, &st), ORSP_OK);
		uint64_t s = 0;
		for (int j = 0; j < 6; j++)
			s = s << 8 | sqn[j];
		assert_true(st.seq[s & 31] == s >> 5);
		/* replay: synchronisation failure with AUTS that the AuC verifies */
		assert_int_equal(authenticate(c, rand, autn, rsp, &n), 0x9000);
		assert_int_equal(n, 16);
		assert_int_equal(rsp[0], 0xDC);
		assert_int_equal(rsp[1], 14);
		orsp_aka_subscriber sub;
		uint64_t sqn_ms = 0;
		assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
		                 ORSP_OK);
		assert_int_equal(orsp_aka_auts_verify(&sub, rand, rsp + 2, &sqn_ms), ORSP_OK);
		assert_true(sqn_ms == s);
		orsp_aka_subscriber_wipe(&sub);
		assert_int_equal(persisted.calls, 1);
		/* a bad MAC */
		autn[15] ^= 0x01;
		assert_int_equal(authenticate(c, rand, autn, rsp, &n), 0x9862);
		assert_int_equal(n, 0);
		card_free(c);
	}
	tsv_free(t);
}

/* GSM context (TS 31.102 §7.1.2.1, P2 80): SRES = c2(RES), Kc = c3(CK, IK), checked against
 * TS 55.205's GSM-Milenage table (milenage_gsm.tsv: SRES#1 is c2, Kc is c3). */
static void test_auth_gsm(void **state)
{
	tsv *t = tsv_load("milenage_gsm.tsv");
	(void)state;
	for (size_t i = 0; i < tsv_rows(t); i++) {
		uint8_t k[16], opc[16], rand[16], sres[4], kc[8];
		char apdu[64] = "008800801110";
		char want[64] = "04";
		tsv_hex(t, i, "k", k, 16);
		tsv_hex(t, i, "opc", opc, 16);
		tsv_hex(t, i, "rand", rand, 16);
		tsv_hex(t, i, "sres1", sres, 4);
		tsv_hex(t, i, "kc", kc, 8);
		card *c = milenage_card(k, opc, NULL);
		expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
		hexcat(apdu, sizeof(apdu), rand, 16);
		hexcat(want, sizeof(want), sres, 4);
		strcat(want, "08");
		hexcat(want, sizeof(want), kc, 8);
		expect(c, apdu, 0x9000, want);
		expect(c, "00880080101000000000000000000000000000000000", 0x6700, NULL);
		expect(c, "0088008011110000000000000000000000000000000000", 0x6A80, NULL);
		assert_int_equal(persisted.calls, 0);
		card_free(c);
	}
	tsv_free(t);
}

/* The TS.48 v7 profile with Milenage k/opc and service n cleared in its EF.UST (the file's
 * content in the package, found once; lengths intact), with an open SQN state. */
static card *ust_card(const uint8_t *k, const uint8_t *opc, unsigned n)
{
	uint8_t pat[17], st[ORSP_USIM_SQN_STATE_MAX];
	size_t len, sl = open_sqn_state(st), pl = unhex(TS48_EF_UST, pat, sizeof(pat));
	size_t hits = 0, where = 0;
	uint8_t *upp = milenage_upp(k, opc, &len);

	for (size_t o = 0; o + pl <= len; o++) {
		if (memcmp(upp + o, pat, pl) == 0) {
			hits++;
			where = o;
		}
	}
	assert_int_equal(hits, 1);
	assert_true(upp[where + (n - 1) / 8] & (1u << ((n - 1) % 8))); /* TS.48 has it */
	upp[where + (n - 1) / 8] &= (uint8_t) ~(1u << ((n - 1) % 8));
	card *c = card_new(upp, len, st, sl);
	orsp_pkg_buf_free(upp, len);
	return c;
}

/* EF.UST decides two things apart (TS 31.102 §4.2.8, §7.1.2): service n°38 (GSM security
 * context) whether AUTHENTICATE P2 80 is supported at all, else 9864 as for the USIM's other
 * missing contexts; service n°27 (GSM Access) whether the 3G context's answer carries Kc.
 * TS 35.208 set 1 (milenage.tsv) is TS 55.205 set 1 (milenage_gsm.tsv): SRES and Kc of the
 * GSM context, and Kc = c3(CK, IK) of the 3G one. */
static void check_ust_auth(unsigned cleared)
{
	tsv *t = tsv_load("milenage.tsv"), *g = tsv_load("milenage_gsm.tsv");
	uint8_t k[16], opc[16], rand[16], sqn[6], amf[2], mac[8], ak[6], autn[16], res[8], ck[16],
	    ik[16], sres[4], kc[8], rsp[128];
	char gsm[64] = "008800801110", want[64] = "04";
	size_t n;

	assert_string_equal(tsv_get(g, 0, "ts35208_set"), tsv_get(t, 0, "set"));
	tsv_hex(t, 0, "k", k, 16);
	tsv_hex(t, 0, "opc", opc, 16);
	tsv_hex(t, 0, "rand", rand, 16);
	tsv_hex(t, 0, "sqn", sqn, 6);
	tsv_hex(t, 0, "amf", amf, 2);
	tsv_hex(t, 0, "f1_mac_a", mac, 8);
	tsv_hex(t, 0, "f5_ak", ak, 6);
	tsv_hex(t, 0, "f2_res", res, 8);
	tsv_hex(t, 0, "f3_ck", ck, 16);
	tsv_hex(t, 0, "f4_ik", ik, 16);
	tsv_hex(g, 0, "sres1", sres, 4);
	tsv_hex(g, 0, "kc", kc, 8);
	for (int j = 0; j < 6; j++)
		autn[j] = sqn[j] ^ ak[j];
	memcpy(autn + 6, amf, 2);
	memcpy(autn + 8, mac, 8);
	hexcat(gsm, sizeof(gsm), rand, 16);
	hexcat(want, sizeof(want), sres, 4);
	strcat(want, "08");
	hexcat(want, sizeof(want), kc, 8);

	card *c = ust_card(k, opc, cleared);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	if (cleared == 38) {
		expect(c, gsm, 0x9864, NULL);
		/* refused like P2 82-87, before the command data is looked at */
		expect(c, "00880080101000000000000000000000000000000000", 0x9864, NULL);
	} else {
		expect(c, gsm, 0x9000, want);
	}
	assert_int_equal(authenticate(c, rand, autn, rsp, &n), 0x9000);
	assert_int_equal(n, cleared == 27 ? 44u : 44u + 9u); /* DB L RES L CK L IK [08 Kc] */
	assert_int_equal(rsp[0], 0xDB);
	assert_int_equal(rsp[1], 8);
	assert_bytes_equal(rsp + 2, res, 8);
	assert_bytes_equal(rsp + 11, ck, 16);
	assert_bytes_equal(rsp + 28, ik, 16);
	if (cleared != 27) {
		assert_int_equal(rsp[44], 8);
		assert_bytes_equal(rsp + 45, kc, 8);
	}
	card_free(c);
	tsv_free(g);
	tsv_free(t);
}

/* Service 38 cleared, 27 set: no GSM context (9864), the 3G context still gives Kc. */
static void test_auth_ust_no_gsm_context(void **state)
{
	(void)state;
	check_ust_auth(38);
}

/* Service 27 cleared, 38 set: the GSM context answers SRES and Kc, the 3G one has no Kc. */
static void test_auth_ust_no_gsm_access(void **state)
{
	(void)state;
	check_ust_auth(27);
}

/* Persist failure: 6581, no RES, and the SQN is not consumed. */
static void test_auth_persist_failure(void **state)
{
	tsv *t = tsv_load("milenage.tsv");
	uint8_t k[16], opc[16], rand[16], autn[16], rsp[128];
	size_t n;
	orsp_aka_subscriber sub;
	orsp_aka_vector v;
	static const uint8_t sqn[6] = {0, 0, 0, 0, 0, 0x21}, amf[2] = {0x80, 0x00};
	(void)state;

	tsv_hex(t, 0, "k", k, 16);
	tsv_hex(t, 0, "opc", opc, 16);
	tsv_hex(t, 0, "rand", rand, 16);
	tsv_free(t);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn, amf, &v), ORSP_OK);
	memcpy(autn, v.autn, 16);
	card *c = milenage_card(k, opc, NULL);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	persisted.fail = true;
	assert_int_equal(authenticate(c, rand, autn, rsp, &n), 0x6581);
	assert_int_equal(n, 0);
	assert_int_equal(persisted.calls, 1);
	persisted.fail = false;
	assert_int_equal(authenticate(c, rand, autn, rsp, &n), 0x9000);
	assert_int_equal(rsp[0], 0xDB);
	assert_bytes_equal(rsp + 2, v.xres, v.xres_len);
	/* no persist callback at all: 6581 too */
	c->u.persist = NULL;
	assert_int_equal(
	    orsp_aka_generate(&sub, rand, (const uint8_t[6]){0, 0, 0, 0, 0, 0x41}, amf, &v),
	    ORSP_OK);
	assert_int_equal(authenticate(c, rand, v.autn, rsp, &n), 0x6581);
	/* a state saved by persist reloads: the accepted SQN is now a replay */
	c->u.persist = persist_cb;
	uint8_t saved[ORSP_USIM_SQN_STATE_MAX];
	size_t sl = persisted.len;
	memcpy(saved, persisted.state, sl);
	orsp_usim_sqn st;
	assert_int_equal(orsp_usim_sqn_parse(saved, sl, &st), ORSP_OK);
	assert_true(st.seq[1] == 1);
	orsp_aka_vector_wipe(&v);
	orsp_aka_subscriber_wipe(&sub);
	card_free(c);
}

/* A card reloaded from the state persist received refuses the challenge it accepted
 * (synchronisation failure, AUTS verified by the AuC side) and accepts a newer one; the
 * same card reloaded from the state before that AUTHENTICATE accepts it (so the refusal
 * comes from the persisted bytes). */
static void test_auth_reload(void **state)
{
	tsv *t = tsv_load("milenage.tsv");
	uint8_t k[16], opc[16], rand[16], rsp[128], before[ORSP_USIM_SQN_STATE_MAX],
	    after[ORSP_USIM_SQN_STATE_MAX];
	static const uint8_t sqn1[6] = {0, 0, 0, 0, 0x10, 0x23}, sqn2[6] = {0, 0, 0, 0, 0x10, 0x43},
	                     amf[2] = {0x80, 0x00};
	orsp_aka_subscriber sub;
	orsp_aka_vector v1, v2;
	orsp_pkg_perso p;
	size_t n, len, bl = open_sqn_state(before), al;
	uint64_t sqn_ms = 0;
	(void)state;

	tsv_hex(t, 1, "k", k, 16);
	tsv_hex(t, 1, "opc", opc, 16);
	tsv_hex(t, 1, "rand", rand, 16);
	tsv_free(t);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn1, amf, &v1), ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn2, amf, &v2), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.set_aka = true;
	p.alg = ORSP_AKA_MILENAGE;
	assert_int_equal(orsp_secret_set(&p.k, k, 16), ORSP_OK);
	assert_int_equal(orsp_secret_set(&p.opc, opc, 16), ORSP_OK);
	uint8_t *upp = personalise(&p, &len);
	orsp_pkg_perso_wipe(&p);

	card *c = card_new(upp, len, before, bl);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand, v1.autn, rsp, &n), 0x9000);
	assert_bytes_equal(rsp + 2, v1.xres, v1.xres_len);
	assert_int_equal(persisted.calls, 1);
	al = persisted.len;
	memcpy(after, persisted.state, al);
	card_free(c);

	c = card_new(upp, len, after, al);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand, v1.autn, rsp, &n), 0x9000);
	assert_int_equal(n, 16);
	assert_int_equal(rsp[0], 0xDC);
	assert_int_equal(orsp_aka_auts_verify(&sub, rand, rsp + 2, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == 0x1023);
	assert_int_equal(persisted.calls, 0);
	assert_int_equal(authenticate(c, rand, v2.autn, rsp, &n), 0x9000);
	assert_int_equal(rsp[0], 0xDB);
	assert_bytes_equal(rsp + 2, v2.xres, v2.xres_len);
	assert_int_equal(persisted.calls, 1);
	card_free(c);

	c = card_new(upp, len, before, bl);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand, v1.autn, rsp, &n), 0x9000);
	assert_int_equal(rsp[0], 0xDB);
	card_free(c);

	orsp_pkg_buf_free(upp, len);
	orsp_aka_vector_wipe(&v1);
	orsp_aka_vector_wipe(&v2);
	orsp_aka_subscriber_wipe(&sub);
}

/* Malformed AUTHENTICATE commands. */
static void test_auth_errors(void **state)
{
	static const uint8_t k[16] = {1}, opc[16] = {2};
	card *c = milenage_card(k, opc, NULL);
	const char *z16 = "00000000000000000000000000000000";
	char apdu[160];
	(void)state;

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	snprintf(apdu, sizeof(apdu), "008800812210%s10%s", z16, z16);
	assert_int_equal(xfer(c, apdu, NULL, NULL), 0x9862); /* all-zero AUTN: MAC wrong */
	snprintf(apdu, sizeof(apdu), "008800812210%s0F%s", z16, z16);
	assert_int_equal(xfer(c, apdu, NULL, NULL), 0x6A80);
	snprintf(apdu, sizeof(apdu), "008800812211%s10%s", z16, z16);
	assert_int_equal(xfer(c, apdu, NULL, NULL), 0x6A80);
	snprintf(apdu, sizeof(apdu), "008800812110%s10%.30s", z16, z16);
	assert_int_equal(xfer(c, apdu, NULL, NULL), 0x6700);
	snprintf(apdu, sizeof(apdu), "008801812210%s10%s", z16, z16);
	assert_int_equal(xfer(c, apdu, NULL, NULL), 0x6A86);
	/* 82 VGCS/VBS, 84 GBA, 85 MBMS, 86 Local Key Establishment: not supported (TS 31.102
	 * §7.3.1), nor 83 and 87 (no context); P2 outside '80'..'87': wrong parameter */
	for (const char *const *p2 =
	         (const char *const[]){"82", "83", "84", "85", "86", "87", NULL};
	     *p2; p2++) {
		snprintf(apdu, sizeof(apdu), "008800%s2210%s10%s", *p2, z16, z16);
		assert_int_equal(xfer(c, apdu, NULL, NULL), 0x9864);
	}
	for (const char *const *p2 = (const char *const[]){"00", "01", "88", "C1", NULL}; *p2;
	     p2++) {
		snprintf(apdu, sizeof(apdu), "008800%s2210%s10%s", *p2, z16, z16);
		assert_int_equal(xfer(c, apdu, NULL, NULL), 0x6A86);
	}
	snprintf(apdu, sizeof(apdu), "808800812210%s10%s", z16, z16);
	assert_int_equal(xfer(c, apdu, NULL, NULL), 0x6E00);
	assert_int_equal(persisted.calls, 0);
	card_free(c);
}

/* Custom Milenage constants (TS 35.206 §4.1 allows operator r1..r5, c1..c5): the USIM uses
 * the profile's; a vector made with the defaults fails. */
static void test_auth_custom_consts(void **state)
{
	static const uint8_t k[16] = {0x11, 0x22}, opc[16] = {0x33, 0x44};
	static const uint8_t rand[16] = {0xA5}, sqn[6] = {0, 0, 0, 0, 0, 0x40}, amf[2] = {0x80, 0};
	orsp_milenage_consts mc;
	orsp_aka_subscriber sub;
	orsp_aka_vector v, vd;
	uint8_t rsp[128];
	size_t n;
	(void)state;

	orsp_milenage_default_consts(&mc);
	mc.r[0] = 8;
	mc.r[2] = 40;
	mc.c[1][0] = 0x5A;
	mc.c[4][15] = 0x77;
	card *c = milenage_card(k, opc, &mc);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn, amf, &vd), ORSP_OK);
	sub.milenage = mc;
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn, amf, &v), ORSP_OK);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	assert_int_equal(authenticate(c, rand, vd.autn, rsp, &n), 0x9862);
	assert_int_equal(authenticate(c, rand, v.autn, rsp, &n), 0x9000);
	assert_bytes_equal(rsp + 2, v.xres, 8);
	assert_bytes_equal(rsp + 11, v.ck, 16);
	assert_bytes_equal(rsp + 28, v.ik, 16);
	orsp_aka_vector_wipe(&v);
	orsp_aka_vector_wipe(&vd);
	orsp_aka_subscriber_wipe(&sub);
	card_free(c);
}

/* TUAK profiles (K and TOPc of TS 35.233 test sets 1 and 6, with their Keccak iteration
 * counts): RES/CK/IK agree with the AuC; a vector with another iteration count fails. */
static void test_auth_tuak(void **state)
{
	tsv *t = tsv_load("tuak.tsv");
	(void)state;
	for (size_t i = 0; i < tsv_rows(t); i++) {
		uint8_t k[32], topc[32], rand[16], sqn[6], amf[2], rsp[160];
		size_t kl = tsv_hex(t, i, "k", k, sizeof(k)), n, len;
		unsigned iters = (unsigned)atoi(tsv_get(t, i, "keccak_iterations"));
		orsp_pkg_perso p;
		orsp_aka_subscriber sub;
		orsp_aka_vector v, other;
		uint8_t st[ORSP_USIM_SQN_STATE_MAX];
		size_t sl = open_sqn_state(st);

		tsv_hex(t, i, "topc", topc, 32);
		tsv_hex(t, i, "rand", rand, 16);
		tsv_hex(t, i, "sqn", sqn, 6);
		tsv_hex(t, i, "amf", amf, 2);
		orsp_pkg_perso_init(&p);
		p.set_aka = true;
		p.alg = ORSP_AKA_TUAK;
		p.keccak = iters;
		assert_int_equal(orsp_secret_set(&p.k, k, kl), ORSP_OK);
		assert_int_equal(orsp_secret_set(&p.opc, topc, 32), ORSP_OK);
		uint8_t *upp = personalise(&p, &len);
		orsp_pkg_perso_wipe(&p);
		card *c = card_new(upp, len, st, sl);
		orsp_pkg_buf_free(upp, len);
		assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_TUAK, k, kl, topc, 32),
		                 ORSP_OK);
		sub.tuak.keccak_iterations = iters + 1;
		assert_int_equal(orsp_aka_generate(&sub, rand, sqn, amf, &other), ORSP_OK);
		sub.tuak.keccak_iterations = iters;
		assert_int_equal(orsp_aka_generate(&sub, rand, sqn, amf, &v), ORSP_OK);
		expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
		assert_int_equal(authenticate(c, rand, other.autn, rsp, &n), 0x9862);
		assert_int_equal(authenticate(c, rand, v.autn, rsp, &n), 0x9000);
		assert_int_equal(rsp[1], v.xres_len);
		assert_bytes_equal(rsp + 2, v.xres, v.xres_len);
		size_t o = 2 + v.xres_len;
		assert_int_equal(rsp[o], v.ck_len);
		assert_bytes_equal(rsp + o + 1, v.ck, v.ck_len);
		o += 1 + v.ck_len;
		assert_int_equal(rsp[o], v.ik_len);
		assert_bytes_equal(rsp + o + 1, v.ik, v.ik_len);
		orsp_aka_vector_wipe(&v);
		orsp_aka_vector_wipe(&other);
		orsp_aka_subscriber_wipe(&sub);
		card_free(c);
	}
	tsv_free(t);
}

/* TS.48 as published uses the usim-test-algorithm: files work, AUTHENTICATE is refused, the
 * USIM's and the ISIM's (IMS AKA) alike. */
static void test_auth_test_algorithm(void **state)
{
	uint8_t aid[16];
	size_t al = 0;
	card *c = card_v7();
	(void)state;
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "008800812210000000000000000000000000000000001000000000000000000000000000000000",
	       0x6A81, NULL);
	assert_int_equal(orsp_usim_isim_aid(&c->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, aid, al, &orsp_isim_app_ops, &c->u),
	                 ORSP_OK);
	assert_true(c->u.isim.loaded);
	assert_false(c->u.isim.aka_ok);
	expect(c, "00A4040C0CA0000000871004FF49FF0589", 0x9000, NULL);
	expect(c, "008800812210000000000000000000000000000000001000000000000000000000000000000000",
	       0x6A81, NULL);
	expect(c, "00880084021000", 0x9864, NULL); /* the context is looked at first */
	card_free(c);
}

/* An EF.UST shorter than a service's byte has not got the service (TS 31.102 §4.2.8): four
 * bytes (services 1-32, 27 GSM Access among them) and no n°38, so no GSM context (9864),
 * whatever the bytes after the file in the card's memory say. */
static void test_auth_ust_short(void **state)
{
	size_t len;
	uint8_t *upp = v7_usim_member(0xA8,
	                              "A10B"
	                              "82024121"
	                              "83026F38"
	                              "800104"
	                              "83049EFFBF1D",
	                              &len);
	card *c = card_new(upp, len, NULL, 0);
	(void)state;
	free(upp);

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F38", 0x9000, NULL);
	expect(c, "00B0000000", 0x9000, "9EFFBF1D");
	/* the byte after it would say service 38 is there */
	const orsp_usim_file *f = &c->u.files[c->u.ch[0].ef];
	assert_int_equal(f->size, 4);
	assert_true(c->u.data[f->off + 4] & (1u << 5));
	expect(c, "00880080111000000000000000000000000000000000", 0x9864, NULL);
	card_free(c);
}

/* An EF.UST whose Fcp gives no size has the size of its template (TCA Annex A): 14 bytes in
 * the first ADF.USIM template, every TS.48 package's (2.23.143.1.2.4), 17 in the second.
 * It was 17 whatever the template, the three bytes after the package's 14 'FF': services
 * 113-136 available, SUCI calculation by the USIM (n°124) among them, which it does not do. */
static void test_ust_template_size(void **state)
{
	size_t len;
	uint8_t *upp = v7_usim_member(0xA8,
	                              "A108"
	                              "82024121"
	                              "83026F38"
	                              "830E9EFFBF1DFF3E0083410310010400",
	                              &len);
	card *c = card_new(upp, len, NULL, 0);
	const orsp_pkg_tpl_file *t = orsp_pkg_tpl_find(ORSP_PE_USIM, "ef-ust");
	(void)state;
	free(upp);

	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F38", 0x9000, NULL);
	expect(c, "00B0000000", 0x9000, "9EFFBF1DFF3E0083410310010400");
	assert_int_equal(c->u.files[c->u.ch[0].ef].size, 14);
	card_free(c);
	assert_non_null(t);
	assert_int_equal(orsp_pkg_tpl_size(t, "2.23.143.1.2.4"), 14);
	assert_int_equal(orsp_pkg_tpl_size(t, NULL), 14);
	assert_int_equal(orsp_pkg_tpl_size(t, ORSP_PKG_TPL_USIM_V2), 17);
	t = orsp_pkg_tpl_find(ORSP_PE_USIM, "ef-imsi");
	assert_int_equal(orsp_pkg_tpl_size(t, ORSP_PKG_TPL_USIM_V2), 9);
}

/* A package whose PE-USIM has EF.AD member `ad` (hex) of content 01: 01 00 00 02 as the
 * package side reads it (orsp_pkg_get_usim, orsp_pkg_file_read) and as the eUICC serves it. */
static void ad_01_on_template(const char *ad)
{
	size_t len, n = 0;
	uint8_t *upp = v7_usim_member(0xB5, ad, &len), buf[64];
	orsp_pkg *pkg = NULL;
	orsp_pkg_usim u;
	card *c;

	assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_get_usim(pkg, 0, &u), ORSP_OK);
	assert_true(u.has_ad);
	assert_int_equal(u.ad_len, 4);
	assert_memory_equal(u.ad, "\x01\x00\x00\x02", 4);
	assert_int_equal(u.mnc_len, 2);
	assert_int_equal(orsp_pkg_file_read(pkg, u.pe_index, "ef-ad", buf, sizeof(buf), &n),
	                 ORSP_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "\x01\x00\x00\x02", 4);
	orsp_pkg_free(pkg);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026FAD", 0x9000, NULL);
	expect(c, "00B0000004", 0x9000, "01000002");
	card_free(c);
}

/* Content the package gives for part of a template file goes on the template's default
 * content (TCA Annex A), as the package's own fill or repeat pattern would be under it: an
 * EF.AD of 4 bytes with content '01' is 01 00 00 02 (a 2-digit MNC), where the eUICC served
 * 01 FF FF FF and orsp_pkg_get_usim read no MNC length. EF.KEYS ('07FF', 33 bytes) with
 * content at offset 2 keeps its key set identifier 07. */
static void test_partial_content_on_template(void **state)
{
	size_t len;
	uint8_t *upp;
	card *c;
	(void)state;

	/* a size of 4 given */
	ad_01_on_template("A10B"
	                  "82024121"
	                  "83026FAD"
	                  "800104"
	                  "830101");
	/* the same EF.AD without a size (as TS.48 gives it): the template's 4 bytes, read so
	 * by the package side too (it read the content alone, 1 byte, no MNC length: until
	 * session 68) */
	ad_01_on_template("A108"
	                  "82024121"
	                  "83026FAD"
	                  "830101");

	upp = v7_usim_member(0xA5,
	                     "A10B"
	                     "82024121"
	                     "83026F08"
	                     "800121"
	                     "820102"
	                     "8302AABB",
	                     &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4000C026F08", 0x9000, NULL);
	expect(c, "00B0000005", 0x9000, "07FFAABBFF");
	card_free(c);
}

/* An EF.IMPU whose file descriptor has no record length (2 bytes) has one record of its
 * size, as the TCA ISIM template makes it (Annex A; orsp_pkg_get_isim reads it so): the
 * ISIM was not served, "a record file without a record length", and orsp_pkg_validate
 * refused the package. */
static void test_impu_one_record(void **state)
{
	size_t len, n;
	uint8_t aid[16], rec[80];
	size_t al;
	orsp_pkg *pkg = NULL;
	static orsp_pkg_report rep;
	uint8_t *upp = v7_pe_member(ORSP_PE_ISIM, 0xA4,
	                            "A10B"
	                            "82024221"
	                            "83026F04"
	                            "800140"
	                            "831E801C7369703A30303130313031323334353637383940"
	                            "696D732E74657374",
	                            &len);
	(void)state;

	assert_int_equal(orsp_pkg_decode(upp, len, &pkg), ORSP_OK);
	if (orsp_pkg_validate(pkg, &rep) != ORSP_OK)
		fail_msg("validator: %s", orsp_err_detail());
	for (size_t i = 0; i < rep.n; i++)
		if (strstr(rep.issue[i].msg, "ef-impu"))
			fail_msg("validator: %s", rep.issue[i].msg);
	orsp_pkg_free(pkg);
	card *c = card_new(upp, len, NULL, 0);
	free(upp);
	assert_true(c->u.isim.loaded);
	assert_int_equal(orsp_usim_isim_aid(&c->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, aid, al, &orsp_isim_app_ops, &c->u),
	                 ORSP_OK);
	expect(c, "00A4040C0CA0000000871004FF49FF0589", 0x9000, NULL);
	expect(c, "00A4000C026F04", 0x9000, NULL);
	assert_int_equal(xfer(c, "00B2010400", rec, &n), 0x9000);
	assert_int_equal(n, 64);
	assert_memory_equal(rec,
	                    "\x80\x1C"
	                    "sip:001010123456789@ims.test",
	                    30);
	expect(c, "00B2020400", 0x6A83, NULL);
	card_free(c);
}

/* The SQN state format round-trips and refuses anything else. */
static void test_sqn_state(void **state)
{
	orsp_usim_sqn a, b;
	uint8_t buf[ORSP_USIM_SQN_STATE_MAX];
	size_t len;
	(void)state;

	for (unsigned bits = 0; bits <= ORSP_SQN_MAX_IND_BITS; bits++) {
		orsp_usim_sqn_init(&a, bits);
		a.delta = 12345;
		a.age_limit = 77;
		for (size_t i = 0; i < (1u << bits); i++)
			a.seq[i] = i * 3 + 1;
		assert_int_equal(orsp_usim_sqn_save(&a, buf, sizeof(buf), &len), ORSP_OK);
		assert_int_equal(len, 16 + 6 * (1u << bits));
		assert_int_equal(orsp_usim_sqn_parse(buf, len, &b), ORSP_OK);
		assert_int_equal(b.ind_bits, bits);
		assert_true(b.delta == 12345 && b.age_limit == 77);
		for (size_t i = 0; i < (1u << bits); i++)
			assert_true(b.seq[i] == i * 3 + 1);
		assert_int_equal(orsp_usim_sqn_parse(buf, len - 1, &b), ORSP_E_MALFORMED);
	}
	orsp_usim_sqn_init(&a, 5);
	assert_int_equal(orsp_usim_sqn_save(&a, buf, 20, &len), ORSP_E_RESOURCE);
	assert_int_equal(orsp_usim_sqn_save(&a, buf, sizeof(buf), &len), ORSP_OK);
	buf[0] = 'X';
	assert_int_equal(orsp_usim_sqn_parse(buf, len, &b), ORSP_E_MALFORMED);
	buf[0] = 'S';
	buf[2] = 2;
	assert_int_equal(orsp_usim_sqn_parse(buf, len, &b), ORSP_E_MALFORMED);
	buf[2] = 1;
	buf[3] = 9;
	assert_int_equal(orsp_usim_sqn_parse(buf, len, &b), ORSP_E_MALFORMED);
	buf[3] = 5;
	buf[16] = 0xFF; /* SEQ 0 above 43 bits */
	assert_int_equal(orsp_usim_sqn_parse(buf, len, &b), ORSP_E_MALFORMED);
	assert_int_equal(orsp_usim_sqn_parse(NULL, len, &b), ORSP_E_USAGE);
	assert_int_equal(orsp_usim_sqn_parse(buf, 3, &b), ORSP_E_MALFORMED);
	/* save never writes what parse refuses: SEQ above 48 - IND bits, delta or L above 48 */
	for (unsigned bits = 0; bits <= ORSP_SQN_MAX_IND_BITS; bits++) {
		size_t last = (1u << bits) - 1;
		orsp_usim_sqn_init(&a, bits);
		a.seq[last] = (UINT64_C(1) << (48 - bits)) - 1;
		assert_int_equal(orsp_usim_sqn_save(&a, buf, sizeof(buf), &len), ORSP_OK);
		assert_int_equal(orsp_usim_sqn_parse(buf, len, &b), ORSP_OK);
		a.seq[last]++;
		assert_int_equal(orsp_usim_sqn_save(&a, buf, sizeof(buf), &len), ORSP_E_USAGE);
	}
	orsp_usim_sqn_init(&a, 5);
	a.delta = ORSP_AKA_SQN_MAX + 1;
	assert_int_equal(orsp_usim_sqn_save(&a, buf, sizeof(buf), &len), ORSP_E_USAGE);
	a.delta = 0;
	a.age_limit = ORSP_AKA_SQN_MAX + 1;
	assert_int_equal(orsp_usim_sqn_save(&a, buf, sizeof(buf), &len), ORSP_E_USAGE);
}

/* No file, FCP or response carries K or OPc: read every byte of every file. */
static void test_no_key_leaks(void **state)
{
	static const uint8_t k[16] = {0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8,
	                              0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xD0};
	static const uint8_t opc[16] = {0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8,
	                                0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0xEE, 0xEF, 0xF0};
	card *c = milenage_card(k, opc, NULL);
	(void)state;
	for (size_t i = 0; i < c->u.data_len; i++) {
		if (i + 4 <= c->u.data_len) {
			assert_false(memcmp(c->u.data + i, k, 4) == 0);
			assert_false(memcmp(c->u.data + i, opc, 4) == 0);
		}
	}
	assert_true(c->u.aka_ok);
	orsp_usim_unload(&c->u);
	for (size_t i = 0; i < sizeof(c->u.sub.k.v); i++)
		assert_int_equal(c->u.sub.k.v[i], 0);
	assert_false(c->u.loaded);
	free(c);
}

/* ---------------------------------------------------------------- PINs ----------------- */

/* GSMA TS.48 v7 (the .txt dump): PIN1 '30303030FFFFFFFF' ("0000") pinAttributes 6 (disabled,
 * may be disabled), PUK1 '3131313131313131'; the USIM's PIN2 (81) '39393939FFFFFFFF' ("9999")
 * pinAttributes 3 (enabled, may not be disabled), PUK2 '3232323232323232'; ADM1
 * '3535353535353535' and ADM2 '3636363636363636' pinAttributes 3; PINs 3 tries, PUKs and ADMs
 * 10. The ISIM has a PIN2 of its own. In the PIN state: PUK1, PUK2, PIN1, ADM1, ADM2, the
 * USIM's PIN2, the ISIM's. */
#define PIN1 "30303030FFFFFFFF"
#define PUK1 "3131313131313131"
#define PIN2 "39393939FFFFFFFF"
#define PUK2 "3232323232323232"
#define ADM1 "3535353535353535"
#define WRONG "31323334FFFFFFFF"

static struct {
	int calls;
	bool fail;
	uint8_t state[ORSP_USIM_PIN_STATE_MAX];
	size_t len;
} pinstore;

static orsp_err pin_persist_cb(void *user, const uint8_t *st, size_t len)
{
	(void)user;
	pinstore.calls++;
	if (pinstore.fail)
		return orsp_errf(ORSP_E_STORAGE, "injected");
	assert_true(len <= sizeof(pinstore.state));
	memcpy(pinstore.state, st, len);
	pinstore.len = len;
	return ORSP_OK;
}

/* TS.48 v7 with its PIN state (len 0: the package's), the USIM selected on channel 0. */
static card *card_pins(const uint8_t *st, size_t len)
{
	size_t ul;
	uint8_t *upp = test_read_vector(V7, &ul);
	card *c = card_new(upp, ul, NULL, 0);
	free(upp);
	if (!len)
		memset(&pinstore, 0, sizeof(pinstore));
	pinstore.fail = false;
	if (orsp_usim_pin_state(&c->u, st, len, pin_persist_cb, NULL) != ORSP_OK)
		fail_msg("pin_state: %s", orsp_err_detail());
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	return c;
}

/* The PIN status template of the ADF (FCP of SELECT by AID): '90' PS_DO then the key
 * references PIN1, PIN2, ADM1, ADM2. */
static void expect_ps(card *c, uint8_t ps_do)
{
	uint8_t fcp[256];
	size_t n, vl;
	const uint8_t *v;
	const uint8_t want[] = {0x90, 0x01, ps_do, 0x83, 0x01, 0x01, 0x83, 0x01,
	                        0x81, 0x83, 0x01,  0x0A, 0x83, 0x01, 0x0B};

	assert_int_equal(xfer(c, "00A404040C" TS48_AID, fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0xC6, &vl));
	assert_int_equal(vl, sizeof(want));
	assert_bytes_equal(v, want, sizeof(want));
	/* STATUS of the ADF: the same */
	assert_int_equal(xfer(c, "80F2000000", fcp, &n), 0x9000);
	assert_non_null(v = fcp_find(fcp, n, 0xC6, &vl));
	assert_int_equal(vl, sizeof(want));
	assert_bytes_equal(v, want, sizeof(want));
}

/* VERIFY PIN (TS 102 221 §11.1.9): 63Cx down to 6983, a right value resets the counter and
 * verifies until a reset; every wrong value stored before 63Cx. */
static void test_pin_verify(void **state)
{
	card *c = card_pins(NULL, 0);
	(void)state;

	expect(c, "0020000100", 0x9000, NULL);      /* PIN1 disabled */
	expect(c, "0020000108" PIN1, 0x6984, NULL); /* a value for it: not usable */
	expect(c, "0020008100", 0x63C3, NULL);      /* PIN2 enabled, 3 tries */
	expect(c, "0020008108" WRONG, 0x63C2, NULL);
	assert_int_equal(pinstore.calls, 1); /* stored before the answer */
	expect(c, "0020008100", 0x63C2, NULL);
	expect(c, "0020008108" PIN2, 0x9000, NULL); /* counter back at 3, verified */
	expect(c, "0020008100", 0x9000, NULL);
	/* a reset ends the verification, not the counter */
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0020008100", 0x63C3, NULL);
	/* a wrong value ends the verification too */
	expect(c, "0020008108" PIN2, 0x9000, NULL);
	expect(c, "0020008108" WRONG, 0x63C2, NULL);
	expect(c, "0020008100", 0x63C2, NULL);
	expect(c, "0020008108" WRONG, 0x63C1, NULL);
	expect(c, "0020008108" WRONG, 0x63C0, NULL);
	expect(c, "0020008100", 0x6983, NULL);
	expect(c, "0020008108" PIN2, 0x6983, NULL); /* blocked: even the right value */
	/* the state stored says so */
	assert_int_equal(pinstore.len, 4 + 12 * 7);
	/* lengths, parameters, PINs the profile lacks */
	expect(c, "00200081033132FF", 0x6700, NULL);
	expect(c, "00200081093132333435363738FF", 0x6700, NULL);
	expect(c, "0020018100", 0x6A86, NULL);
	expect(c, "0020008200", 0x6A88, NULL);
	/* ADM1: a value checked as a PIN's */
	expect(c, "0020000A08" WRONG, 0x63C9, NULL);
	expect(c, "0020000A08" ADM1, 0x9000, NULL);
	expect(c, "0020000A00", 0x9000, NULL);
	card_free(c);
}

/* A local PIN's verification ends when its application is left on its last channel (TS 102
 * 221 §9.4.1: the application termination procedure resets the status of the PINs that
 * belong to it); while the application is still selected on another channel it holds there
 * (§11.1.9.1.1: valid regardless of the channel). Global PINs (ADM1 here) are untouched. The
 * ISIM's PIN2 is its own, ended when the ISIM is left, not when the USIM is. */
static void test_pin_local_deselect(void **state)
{
	card *c = card_pins(NULL, 0);
	uint8_t aid[16];
	size_t al = 0;
	(void)state;

	expect(c, "0020008108" PIN2, 0x9000, NULL);
	expect(c, "0020000A08" ADM1, 0x9000, NULL);
	/* the USIM on channel 1 too, terminated on channel 0: still verified on channel 1 */
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4044C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0120008100", 0x9000, NULL);
	/* channel 1 closed: the USIM is selected nowhere, its PIN2 verification is over */
	expect(c, "0070800100", 0x9000, NULL);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0020008100", 0x63C3, NULL);
	expect(c, "0020000A00", 0x9000, NULL); /* ADM1: global, still verified */
	/* terminated on its only channel */
	expect(c, "0020008108" PIN2, 0x9000, NULL);
	expect(c, "00A4044C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0020008100", 0x63C3, NULL);
	/* the ISIM selected in its place on the channel: the USIM is left there */
	assert_int_equal(orsp_usim_isim_aid(&c->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, aid, al, &orsp_isim_app_ops, &c->u),
	                 ORSP_OK);
	expect(c, "0020008108" PIN2, 0x9000, NULL);
	expect(c, "00A4040C0CA0000000871004FF49FF0589", 0x9000, NULL);
	expect(c, "0020008100", 0x63C3, NULL);      /* the ISIM's PIN2, not verified */
	expect(c, "0020008108" PIN2, 0x9000, NULL); /* now it is */
	expect(c, "0070000001", 0x9000, "01");
	expect(c, "01A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0120008100", 0x63C3, NULL); /* the USIM's: ended when it was left */
	expect(c, "0020008100", 0x9000, NULL); /* the ISIM's: still selected on channel 0 */
	/* the USIM's PIN2 verified, the ISIM left: only the ISIM's ends */
	expect(c, "0120008108" PIN2, 0x9000, NULL);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0120008100", 0x9000, NULL);
	expect(c, "0070000002", 0x9000, "02");
	expect(c, "02A4040C0CA0000000871004FF49FF0589", 0x9000, NULL);
	expect(c, "0220008100", 0x63C3, NULL);
	/* the USIM unregistered (its profile disabled): deselected everywhere, ended */
	assert_int_equal(orsp_euicc_apdu_unregister(&c->ctx, c->u.aid, c->u.aid_len), ORSP_OK);
	assert_int_equal(
	    orsp_euicc_apdu_register(&c->ctx, c->u.aid, c->u.aid_len, &orsp_usim_app_ops, &c->u),
	    ORSP_OK);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0020008100", 0x63C3, NULL);
	expect(c, "0020000A00", 0x9000, NULL);
	card_free(c);
}

/* UNBLOCK PIN (§11.1.13): the PUK's tries, a right PUK sets a new PIN; a PUK blocks after its
 * tries, and then nothing unblocks the PIN. */
static void test_pin_unblock(void **state)
{
	card *c = card_pins(NULL, 0);
	(void)state;

	for (int i = 2; i >= 0; i--) {
		char apdu[64];
		snprintf(apdu, sizeof(apdu), "0020008108" WRONG);
		expect(c, apdu, (uint16_t)(0x63C0 | i), NULL);
	}
	expect(c, "002C008100", 0x63CA, NULL);                         /* PUK2: 10 tries */
	expect(c, "002C008110" PUK1 "31323334FFFFFFFF", 0x63C9, NULL); /* PUK1 is not PIN2's */
	expect(c, "002C008100", 0x63C9, NULL);
	expect(c, "002C008108" PUK2, 0x6700, NULL);
	expect(c, "002C018100", 0x6A86, NULL);
	/* the new PIN in the §9.5.1 format, checked before the PUK (no try spent) */
	expect(c, "002C008110" PUK2 "313233FFFFFFFFFF", 0x6A80, NULL);
	expect(c, "002C008110" PUK2 "3132333441FFFFFF", 0x6A80, NULL);
	expect(c, "002C008110" PUK2 "31323334FF35FFFF", 0x6A80, NULL);
	expect(c, "002C008100", 0x63C9, NULL);
	expect(c, "002C008110" PUK2 "31323334FFFFFFFF", 0x9000, NULL);
	expect(c, "002C008100", 0x63CA, NULL); /* the PUK's counter reset */
	expect(c, "0020008100", 0x9000, NULL); /* PIN2 verified */
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0020008108" PIN2, 0x63C2, NULL); /* the old value is gone */
	expect(c,
	       "0020008108"
	       "31323334FFFFFFFF",
	       0x9000, NULL);
	/* PIN1 has PUK1; ADM1 has no PUK */
	expect(c, "002C000100", 0x63CA, NULL);
	expect(c, "002C000A00", 0x6A88, NULL);
	/* PUK2 blocked after 10 wrong ones: then 6983, the right PUK too */
	for (int i = 9; i >= 0; i--) {
		expect(c, "002C008110" PUK1 "35353535FFFFFFFF", (uint16_t)(0x63C0 | i), NULL);
	}
	expect(c, "002C008100", 0x6983, NULL);
	expect(c, "002C008110" PUK2 "35353535FFFFFFFF", 0x6983, NULL);
	expect(c,
	       "0020008108"
	       "31323334FFFFFFFF",
	       0x9000, NULL); /* PIN2 itself still works */
	card_free(c);
}

#define NEW_PIN1 "31323334FFFFFFFF"

/* UNBLOCK PIN of a disabled PIN (TS 102 221 §11.1.13.1.1: "After a successful unblocking
 * attempt the PIN is enabled and the relevant access condition level is satisfied"): TS.48's
 * PIN1, shipped disabled, is enabled and verified by it, and stays enabled after a reset and
 * a reload; a failed store leaves it disabled. Until session 70 it stayed disabled. */
static void test_pin_unblock_enables(void **state)
{
	uint8_t st[ORSP_USIM_PIN_STATE_MAX];
	size_t len;
	card *c = card_pins(NULL, 0);
	(void)state;

	expect_ps(c, 0x70);
	pinstore.fail = true;
	expect(c, "002C000110" PUK1 NEW_PIN1, 0x6581, NULL);
	pinstore.fail = false;
	expect_ps(c, 0x70);
	expect(c, "0020000100", 0x9000, NULL); /* still disabled */
	expect(c, "002C000110" PUK1 NEW_PIN1, 0x9000, NULL);
	expect_ps(c, 0xF0);
	expect(c, "0020000100", 0x9000, NULL); /* verified */
	expect(c, "00B0870009", 0x9000, TS48_EF_IMSI);
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0020000100", 0x63C3, NULL); /* enabled, not verified */
	expect(c, "00B0870009", 0x6982, NULL);
	len = pinstore.len;
	memcpy(st, pinstore.state, len);
	card_free(c);

	c = card_pins(st, len);
	expect_ps(c, 0xF0);
	expect(c, "0020000108" PIN1, 0x63C2, NULL); /* the old value is gone */
	expect(c, "0020000108" NEW_PIN1, 0x9000, NULL);
	expect(c, "00B0870009", 0x9000, TS48_EF_IMSI);
	card_free(c);
}

/* CHANGE PIN (§11.1.10). */
static void test_pin_change(void **state)
{
	card *c = card_pins(NULL, 0);
	(void)state;

	expect(c, "0024008110" WRONG "31313131FFFFFFFF", 0x63C2, NULL);
	expect(c, "0024008110" PIN2 "3131FFFFFFFFFFFF", 0x6A80, NULL);
	expect(c, "0024008108" PIN2, 0x6700, NULL);
	expect(c, "0024018110" PIN2 "31313131FFFFFFFF", 0x6A86, NULL);
	expect(c, "0024008210" PIN2 "31313131FFFFFFFF", 0x6A88, NULL);
	expect(c, "0024000110" PIN1 "31313131FFFFFFFF", 0x6984, NULL); /* PIN1 disabled */
	expect(c, "0024008110" PIN2 "31313131FFFFFFFF", 0x9000, NULL);
	expect(c, "0020008100", 0x9000, NULL);
	expect(c, "0020008108" PIN2, 0x63C2, NULL);
	expect(c,
	       "0020008108"
	       "31313131FFFFFFFF",
	       0x9000, NULL);
	/* blocked: 6983 */
	for (int i = 2; i >= 0; i--)
		expect(c, "0020008108" WRONG, (uint16_t)(0x63C0 | i), NULL);
	expect(c,
	       "0024008110"
	       "31313131FFFFFFFF"
	       "32323232FFFFFFFF",
	       0x6983, NULL);
	card_free(c);
}

/* DISABLE PIN (§11.1.11) and ENABLE PIN (§11.1.12), the PIN status template, and the access
 * condition PIN1 of EF.IMSI (TS.48: EF.ARR 6F06 record 0A, READ under PIN Appl 1). */
static void test_pin_enable_disable(void **state)
{
	card *c = card_pins(NULL, 0);
	(void)state;

	expect_ps(c, 0x70); /* PIN1 disabled, PIN2, ADM1, ADM2 enabled */
	expect(c, "00B0870009", 0x9000, TS48_EF_IMSI);
	/* not allowed by pinAttributes (PIN2: 3), ADM never; replacement by the universal PIN
	 * not supported; already so: 6984 */
	expect(c, "0026008108" PIN2, 0x6985, NULL);
	expect(c, "0026000A08" ADM1, 0x6985, NULL);
	expect(c, "0028000A08" ADM1, 0x6985, NULL);
	expect(c, "0026910108" PIN1, 0x6A86, NULL);
	expect(c, "0026000108" PIN1, 0x6984, NULL);
	expect(c, "0028008108" PIN2, 0x6984, NULL);
	expect(c, "0028000100", 0x6700, NULL);
	expect(c, "0028010108" PIN1, 0x6A86, NULL);
	expect(c, "0028000208" PIN1, 0x6A88, NULL);
	assert_int_equal(pinstore.calls, 0); /* none of that spent a try */
	/* ENABLE with a wrong value: a try spent */
	expect(c, "0028000108" WRONG, 0x63C2, NULL);
	expect(c, "0020000100", 0x9000, NULL); /* still disabled */
	expect(c, "0028000108" PIN1, 0x9000, NULL);
	expect_ps(c, 0xF0);
	expect(c, "0020000100", 0x9000, NULL); /* verified by the ENABLE */
	expect(c, "00B0870009", 0x9000, TS48_EF_IMSI);
	/* after a reset EF.IMSI needs PIN1; EF.ICCID (MF, read always) does not */
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "0020000100", 0x63C3, NULL);
	expect(c, "00A4000C022FE2", 0x9000, NULL);
	expect(c, "00B000000A", 0x9000, TS48_EF_ICCID);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00B0870009", 0x6982, NULL);
	expect(c, "00A4000C026F07", 0x9000, NULL);
	expect(c, "00B0000009", 0x6982, NULL);
	expect(c, "0020000108" WRONG, 0x63C2, NULL);
	expect(c, "00B0000009", 0x6982, NULL);
	expect(c, "0020000108" PIN1, 0x9000, NULL);
	expect(c, "00B0000009", 0x9000, TS48_EF_IMSI);
	/* DISABLE: wrong value spends a try; right, disabled again */
	expect(c, "0026000108" WRONG, 0x63C2, NULL);
	expect(c, "0026000108" PIN1, 0x9000, NULL);
	expect_ps(c, 0x70);
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "00B0870009", 0x9000, TS48_EF_IMSI);
	card_free(c);
}

/* FCP of an EF (P2 04) and the tag of its security attributes: '8B' (*v its value) or 'AB'. */
static uint8_t ef_security(card *c, const char *select, uint8_t *v, size_t *vl)
{
	uint8_t fcp[256];
	const uint8_t *p;
	size_t n;

	assert_int_equal(xfer(c, select, fcp, &n), 0x9000);
	if ((p = fcp_find(fcp, n, 0x8B, vl)) != NULL) {
		assert_null(fcp_find(fcp, n, 0xAB, &n));
		memcpy(v, p, *vl);
		return 0x8B;
	}
	assert_non_null(p = fcp_find(fcp, n, 0xAB, vl));
	memcpy(v, p, *vl);
	return 0xAB;
}

/* TS.48 whose PE-USIM ef-imsi member ([3]) has the Fcp 82 4121, 83 6F07 and arr_tlv (hex:
 * a securityAttributesReferenced TLV, or ""), and its content: the USIM selected, PIN1 enabled
 * (READ of EF.IMSI is under PIN1 in EF.ARR 6F06 record 0A) and not verified. */
static card *card_imsi_arr(const char *arr_tlv)
{
	char member[128];
	size_t len;

	snprintf(member, sizeof(member), "A1%02zX8202412183026F07%s8309080910101032547698",
	         8 + strlen(arr_tlv) / 2, arr_tlv);
	uint8_t *upp = v7_usim_member(0xA3, member, &len);
	card *c = card_new(upp, len, NULL, 0);
	free(upp);
	memset(&pinstore, 0, sizeof(pinstore));
	assert_int_equal(orsp_usim_pin_state(&c->u, NULL, 0, pin_persist_cb, NULL), ORSP_OK);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	expect(c, "0028000108" PIN1, 0x9000, NULL);
	orsp_euicc_apdu_reset(&c->ctx);
	expect(c, "00A4040C0C" TS48_AID, 0x9000, NULL);
	return c;
}

/* An EF's FCP carries the EF.ARR reference the profile gives it ('8B' 03, TS 102 221
 * §11.1.1.4.7.3): TS.48's EF.IMSI 6F06 record 0A (READ under PIN1), EF.ICCID its 2F06 one; a
 * record number alone (SAIP Fcp) names 6F06 under an ADF, and READ follows that rule too.
 * Only a file without a reference (or with 2 bytes, neither form) keeps the expanded 'AB'
 * READ always, which is what this card does with it. Until session 70 every EF's FCP said
 * READ always, EF.IMSI's too. */
static void test_fcp_security_attributes(void **state)
{
	static const uint8_t always[] = {0x84, 0x01, 0xB0, 0x90, 0x00,
	                                 0x84, 0x01, 0xB2, 0x90, 0x00};
	uint8_t v[64];
	size_t vl;
	card *c = card_pins(NULL, 0);
	(void)state;

	assert_int_equal(ef_security(c, "00A40004026F07", v, &vl), 0x8B);
	assert_int_equal(vl, 3);
	assert_bytes_equal(v, "\x6F\x06\x0A", 3);
	assert_int_equal(ef_security(c, "00A40804022FE2", v, &vl), 0x8B);
	const orsp_usim_file *f = &c->u.files[c->u.ch[0].ef];
	assert_int_equal(f->fid, 0x2FE2);
	assert_int_equal(vl, 3);
	assert_bytes_equal(v, f->arr, 3);
	assert_int_equal(v[0] << 8 | v[1], 0x2F06);
	card_free(c);

	/* the record number alone: 6F06 record 0A, enforced */
	c = card_imsi_arr("8B010A");
	assert_int_equal(ef_security(c, "00A40004026F07", v, &vl), 0x8B);
	assert_int_equal(vl, 3);
	assert_bytes_equal(v, "\x6F\x06\x0A", 3);
	expect(c, "00B0000009", 0x6982, NULL);
	expect(c, "0020000108" PIN1, 0x9000, NULL);
	expect(c, "00B0000009", 0x9000, TS48_EF_IMSI);
	card_free(c);

	/* none, and 2 bytes: READ always, in the FCP and in fact */
	c = card_imsi_arr("");
	assert_int_equal(ef_security(c, "00A40004026F07", v, &vl), 0xAB);
	assert_int_equal(vl, sizeof(always));
	assert_bytes_equal(v, always, sizeof(always));
	expect(c, "00B0000009", 0x9000, TS48_EF_IMSI);
	card_free(c);
	c = card_imsi_arr("8B026F06");
	assert_int_equal(ef_security(c, "00A40004026F07", v, &vl), 0xAB);
	expect(c, "00B0000009", 0x9000, TS48_EF_IMSI);
	card_free(c);
}

/* The DF's security attributes in an FCP: exactly one of '8B', '8C', 'AB' (TS 102 221
 * §11.1.1.4.7). */
static uint8_t df_security(card *c, const char *apdu, uint8_t *v, size_t *vl)
{
	uint8_t fcp[256];
	size_t n, k;

	assert_int_equal(xfer(c, apdu, fcp, &n), 0x9000);
	assert_null(fcp_find(fcp, n, 0x8C, &k));
	return ef_security(c, apdu, v, vl);
}

/* The MF's and the ADFs' FCP carry the EF.ARR reference the profile gives them ('8B' 03 FID
 * record): TS.48's mf, adf-usim and adf-isim all '2F0601', in SELECT by AID, SELECT 3F00 and
 * 7FFF and STATUS. A DF the profile gives none keeps 'AB' READ always, and so does an ADF
 * with the record number alone (which EF.ARR it completes to, the SAIP rule does not say).
 * Until session 72 the MF and ADFs always said 'AB'. */
static void test_fcp_df_security(void **state)
{
	static const uint8_t always[] = {0x84, 0x01, 0xB0, 0x90, 0x00,
	                                 0x84, 0x01, 0xB2, 0x90, 0x00};
	/* the AID's literal parenthesised: clang's -Wstring-concatenation (CI's ASan build) */
	static const char *const adf_apdus[] = {("00A404040C" TS48_AID), "00A40004027FFF",
	                                        "80F2000000"};
	uint8_t v[64], aid[16];
	size_t vl, al = 0, len;
	card *c = card_v7();
	(void)state;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(df_security(c, adf_apdus[i], v, &vl), 0x8B);
		assert_int_equal(vl, 3);
		assert_bytes_equal(v, "\x2F\x06\x01", 3);
	}
	assert_int_equal(df_security(c, "00A40004023F00", v, &vl), 0x8B);
	assert_int_equal(vl, 3);
	assert_bytes_equal(v, "\x2F\x06\x01", 3);
	assert_int_equal(df_security(c, "80F2000000", v, &vl), 0x8B); /* STATUS at the MF */
	assert_int_equal(orsp_usim_isim_aid(&c->u, aid, &al), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c->ctx, aid, al, &orsp_isim_app_ops, &c->u),
	                 ORSP_OK);
	assert_int_equal(df_security(c, "00A404040CA0000000871004FF49FF0589", v, &vl), 0x8B);
	assert_bytes_equal(v, "\x2F\x06\x01", 3);
	assert_int_equal(df_security(c, "00A40004027FFF", v, &vl), 0x8B);
	card_free(c);

	/* an mf and an adf-usim without a reference: 'AB' */
	uint8_t *upp = v7_pe_member(ORSP_PE_MF, 0xA2, "A1038A0105", &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	assert_int_equal(df_security(c, "00A40004023F00", v, &vl), 0xAB);
	assert_int_equal(vl, sizeof(always));
	assert_bytes_equal(v, always, sizeof(always));
	assert_int_equal(df_security(c, "00A404040C" TS48_AID, v, &vl), 0x8B); /* adf-usim's */
	card_free(c);
	upp = v7_usim_member(0xA2, "A11583027FD08A0105840C" TS48_AID, &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	assert_int_equal(df_security(c, "00A404040C" TS48_AID, v, &vl), 0xAB);
	assert_bytes_equal(v, always, sizeof(always));
	assert_int_equal(df_security(c, "00A40004023F00", v, &vl), 0x8B); /* mf's */
	card_free(c);
	/* another reference given: that one; the record number alone: 'AB' */
	upp = v7_usim_member(0xA2, "A11A83027FD08A0105840C" TS48_AID "8B032F0603", &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	assert_int_equal(df_security(c, "00A404040C" TS48_AID, v, &vl), 0x8B);
	assert_bytes_equal(v, "\x2F\x06\x03", 3);
	card_free(c);
	upp = v7_usim_member(0xA2, "A11883027FD08A0105840C" TS48_AID "8B0103", &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	assert_int_equal(df_security(c, "00A404040C" TS48_AID, v, &vl), 0xAB);
	card_free(c);
	upp = v7_pe_member(ORSP_PE_MF, 0xA2, "A1068A01058B0103", &len);
	c = card_new(upp, len, NULL, 0);
	free(upp);
	assert_int_equal(df_security(c, "00A40004023F00", v, &vl), 0x8B); /* the MF's: 2F06 */
	assert_bytes_equal(v, "\x2F\x06\x03", 3);
	card_free(c);
}

/* The PIN state survives a reload from what persist stored; a failed persist changes nothing
 * (the try is not spent, and nothing is compared); a state that does not match the profile
 * is refused. */
static void test_pin_persist(void **state)
{
	uint8_t st[ORSP_USIM_PIN_STATE_MAX];
	size_t len;
	card *c = card_pins(NULL, 0);
	(void)state;

	expect(c, "0020008108" WRONG, 0x63C2, NULL);
	expect(c, "0028000108" PIN1, 0x9000, NULL);
	expect(c, "0024000110" PIN1 "31323334FFFFFFFF", 0x9000, NULL);
	expect(c, "002C008110" WRONG WRONG, 0x63C9, NULL);
	len = pinstore.len;
	memcpy(st, pinstore.state, len);
	card_free(c);

	c = card_pins(st, len);
	expect(c, "0020008100", 0x63C2, NULL);
	expect(c, "002C008100", 0x63C9, NULL);
	expect(c, "0020000100", 0x63C3, NULL); /* enabled, not verified */
	expect_ps(c, 0xF0);
	expect(c, "0020000108" PIN1, 0x63C2, NULL);
	expect(c,
	       "0020000108"
	       "31323334FFFFFFFF",
	       0x9000, NULL);
	/* storage fails: 6581, nothing changes (no try spent, the right value not taken) */
	pinstore.fail = true;
	expect(c, "0020008108" WRONG, 0x6581, NULL);
	expect(c, "0020008108" PIN2, 0x6581, NULL);
	expect(c, "0024008110" PIN2 "31313131FFFFFFFF", 0x6581, NULL);
	expect(c, "002C008110" PUK2 "31313131FFFFFFFF", 0x6581, NULL);
	expect(c,
	       "0026000108"
	       "31323334FFFFFFFF",
	       0x6581, NULL);
	pinstore.fail = false;
	expect(c, "0020008100", 0x63C2, NULL);
	expect(c, "002C008100", 0x63C9, NULL);
	expect(c, "0020000100", 0x9000, NULL);
	expect(c, "0020008108" PIN2, 0x9000, NULL);
	/* without a persist callback: 6581 */
	assert_int_equal(orsp_usim_pin_state(&c->u, NULL, 0, NULL, NULL), ORSP_OK);
	expect(c, "0020008108" WRONG, 0x6581, NULL);
	expect(c, "0020008100", 0x9000, NULL);
	/* states that do not match: refused, nothing changed */
	st[3]++;
	assert_int_equal(orsp_usim_pin_state(&c->u, st, len, pin_persist_cb, NULL),
	                 ORSP_E_MALFORMED);
	st[3]--;
	assert_int_equal(orsp_usim_pin_state(&c->u, st, len - 1, pin_persist_cb, NULL),
	                 ORSP_E_MALFORMED);
	st[4 + 12 * 5 + 3] = 11; /* PIN2's tries above its maximum */
	assert_int_equal(orsp_usim_pin_state(&c->u, st, len, pin_persist_cb, NULL),
	                 ORSP_E_MALFORMED);
	st[4 + 12 * 5 + 3] = 2;
	st[4] ^= 1; /* another key reference */
	assert_int_equal(orsp_usim_pin_state(&c->u, st, len, pin_persist_cb, NULL),
	                 ORSP_E_MALFORMED);
	expect(c, "0020008100", 0x9000, NULL);
	card_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_all_ts48),
	    cmocka_unit_test(test_load_rejects),
	    cmocka_unit_test(test_short_dir_aid),
	    cmocka_unit_test(test_load_rejects_sqn_init),
	    cmocka_unit_test(test_select_mf_iccid),
	    cmocka_unit_test(test_usim_files),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_select_parent_child),
	    cmocka_unit_test(test_record_patterns),
	    cmocka_unit_test(test_sfi_failure_keeps_ef),
	    cmocka_unit_test(test_increase_cyclic),
	    cmocka_unit_test(test_channels),
	    cmocka_unit_test(test_open_from_channel_keeps_df),
	    cmocka_unit_test(test_unregister),
	    cmocka_unit_test(test_app_end_back_at_mf),
	    cmocka_unit_test(test_auth_milenage_vectors),
	    cmocka_unit_test(test_auth_gsm),
	    cmocka_unit_test(test_auth_ust_no_gsm_context),
	    cmocka_unit_test(test_auth_ust_no_gsm_access),
	    cmocka_unit_test(test_auth_ust_short),
	    cmocka_unit_test(test_ust_template_size),
	    cmocka_unit_test(test_partial_content_on_template),
	    cmocka_unit_test(test_impu_one_record),
	    cmocka_unit_test(test_auth_own_naa),
	    cmocka_unit_test(test_opt_usim_of_second_usim),
	    cmocka_unit_test(test_auth_persist_failure),
	    cmocka_unit_test(test_auth_reload),
	    cmocka_unit_test(test_auth_errors),
	    cmocka_unit_test(test_auth_custom_consts),
	    cmocka_unit_test(test_auth_tuak),
	    cmocka_unit_test(test_auth_test_algorithm),
	    cmocka_unit_test(test_sqn_state),
	    cmocka_unit_test(test_pin_verify),
	    cmocka_unit_test(test_pin_local_deselect),
	    cmocka_unit_test(test_pin_unblock),
	    cmocka_unit_test(test_pin_unblock_enables),
	    cmocka_unit_test(test_pin_change),
	    cmocka_unit_test(test_pin_enable_disable),
	    cmocka_unit_test(test_pin_persist),
	    cmocka_unit_test(test_fcp_security_attributes),
	    cmocka_unit_test(test_fcp_df_security),
	    cmocka_unit_test(test_no_key_leaks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
