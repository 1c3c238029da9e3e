/* The ES10 driver (src/lpa/card.c) against a fake ISD-R registered on a real APDU layer:
 * channel and selection, STORE DATA framing (block size, P1 11/91, block numbers), 61xx /
 * GET RESPONSE, the LoadBoundProfilePackage chunking (on the real osmo-smdpp BPP), strict
 * parsing of canned responses and the mapping of eUICC result codes. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "openrsp/der.h"
#include "openrsp/euicc_config.h"
#include "openrsp/lpa.h"
#include "testutil.h"

#define MAX_CMDS 512

/* ---------------------------------------------------------------- the fake ISD-R ------- */

typedef struct fake {
	/* ES10 commands received (reassembled by the APDU layer) */
	uint8_t *cmd[MAX_CMDS];
	size_t cmd_len[MAX_CMDS], n_cmd;
	/* canned answers, one per command; past the end: 9000 without data */
	const uint8_t *ans[MAX_CMDS];
	size_t ans_len[MAX_CMDS], n_ans;
	uint16_t sw; /* not 0: every STORE DATA is answered with this word */
	/* C-APDUs seen by the transport */
	uint8_t apdu[MAX_CMDS * 2][261];
	size_t apdu_len[MAX_CMDS * 2], n_apdu;
	orsp_lpa_transport inner;
} fake;

static uint16_t fake_store_data(void *user, uint8_t channel, orsp_slice data, orsp_writer *rsp)
{
	fake *f = user;
	size_t i = f->n_cmd;
	(void)channel;
	if (i < MAX_CMDS) {
		f->cmd[i] = malloc(data.len ? data.len : 1);
		memcpy(f->cmd[i], data.p, data.len);
		f->cmd_len[i] = data.len;
		f->n_cmd++;
	}
	if (f->sw)
		return f->sw;
	if (i < f->n_ans && f->ans_len[i])
		orsp_write_bytes(rsp, f->ans[i], f->ans_len[i]);
	return 0x9000;
}

static const orsp_euicc_app_ops fake_ops = {.store_data = fake_store_data};

static orsp_err rec_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu, size_t cap,
                             size_t *rlen)
{
	fake *f = user;
	if (f->n_apdu < MAX_CMDS * 2 && n <= 261) {
		memcpy(f->apdu[f->n_apdu], capdu, n);
		f->apdu_len[f->n_apdu++] = n;
	}
	return f->inner.transmit(f->inner.user, capdu, n, rapdu, cap, rlen);
}

typedef struct fixture {
	orsp_euicc_apdu_ctx ctx;
	uint8_t cbuf[ORSP_EUICC_MAX_COMMAND * 4], rbuf[ORSP_EUICC_MAX_RESPONSE];
	fake f;
	orsp_lpa_card card;
} fixture;

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	uint8_t aid[16];
	orsp_lpa_transport t;

	assert_non_null(x);
	assert_int_equal(
	    orsp_euicc_apdu_init(&x->ctx, x->cbuf, sizeof(x->cbuf), x->rbuf, sizeof(x->rbuf)),
	    ORSP_OK);
	assert_int_equal(orsp_hex_decode_exact(ORSP_LPA_ISDR_AID, aid, 16), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&x->ctx, aid, 16, &fake_ops, &x->f), ORSP_OK);
	assert_int_equal(orsp_lpa_transport_apdu(&x->ctx, &x->f.inner), ORSP_OK);
	t = (orsp_lpa_transport){.user = &x->f, .transmit = rec_transmit};
	assert_int_equal(orsp_lpa_card_open(&x->card, &t), ORSP_OK);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;
	orsp_lpa_card_close(&x->card);
	for (size_t i = 0; i < x->f.n_cmd; i++)
		free(x->f.cmd[i]);
	free(x);
	return 0;
}

static void reset_log(fixture *x)
{
	for (size_t i = 0; i < x->f.n_cmd; i++)
		free(x->f.cmd[i]);
	x->f.n_cmd = x->f.n_apdu = x->f.n_ans = 0;
	x->f.sw = 0;
}

static void answer(fixture *x, const char *hex)
{
	static uint8_t pool[64][4096];
	size_t i = x->f.n_ans, n = 0;
	assert_true(i < 64);
	assert_int_equal(orsp_hex_decode(hex, pool[i], sizeof(pool[i]), &n), ORSP_OK);
	x->f.ans[i] = pool[i];
	x->f.ans_len[i] = n;
	x->f.n_ans++;
}

static void assert_cmd_hex(fixture *x, size_t i, const char *hex)
{
	uint8_t want[512];
	size_t n = 0;
	assert_true(i < x->f.n_cmd);
	assert_int_equal(orsp_hex_decode(hex, want, sizeof(want), &n), ORSP_OK);
	assert_int_equal(x->f.cmd_len[i], n);
	assert_bytes_equal(x->f.cmd[i], want, n);
}

/* ---------------------------------------------------------------- framing -------------- */

static void test_open(void **state)
{
	fixture *x = *state;
	static const uint8_t manage[] = {0x00, 0x70, 0x00, 0x00, 0x01};
	uint8_t sel[22] = {0x01, 0xA4, 0x04, 0x00, 0x10};

	assert_true(x->card.open);
	assert_int_equal(x->card.channel, 1);
	assert_int_equal(x->f.n_apdu, 3);
	/* TERMINAL CAPABILITY first (SGP.22 §5.7 / ETSI TS 102 221 §11.1.19) */
	assert_int_equal(x->f.apdu[0][0], 0x80);
	assert_int_equal(x->f.apdu[0][1], 0xAA);
	assert_true(orsp_euicc_apdu_terminal_capability(&x->ctx));
	assert_int_equal(x->f.apdu_len[1], sizeof(manage));
	assert_bytes_equal(x->f.apdu[1], manage, sizeof(manage));
	assert_int_equal(orsp_hex_decode_exact(ORSP_LPA_ISDR_AID, sel + 5, 16), ORSP_OK);
	assert_int_equal(x->f.apdu_len[2], sizeof(sel));
	assert_bytes_equal(x->f.apdu[2], sel, sizeof(sel));
}

static void test_store_data_chain(void **state)
{
	fixture *x = *state;
	uint8_t req[300], rsp[1000], out[2000];
	size_t rl = 0;

	reset_log(x);
	/* a 300-byte request TLV and a 700-byte answer */
	req[0] = 0xBF;
	req[1] = 0x22;
	req[2] = 0x82;
	req[3] = 0x01;
	req[4] = 0x28; /* 296 */
	for (size_t i = 5; i < sizeof(req); i++)
		req[i] = (uint8_t)i;
	rsp[0] = 0xBF;
	rsp[1] = 0x22;
	rsp[2] = 0x82;
	rsp[3] = 0x02;
	rsp[4] = 0xB7; /* 695 */
	for (size_t i = 5; i < 700; i++)
		rsp[i] = (uint8_t)(i * 7);
	x->f.ans[0] = rsp;
	x->f.ans_len[0] = 700;
	x->f.n_ans = 1;
	assert_int_equal(orsp_lpa_es10(&x->card, req, sizeof(req), out, sizeof(out), &rl), ORSP_OK);
	assert_int_equal(rl, 700);
	assert_bytes_equal(out, rsp, 700);
	assert_int_equal(x->f.n_cmd, 1);
	assert_int_equal(x->f.cmd_len[0], 300);
	assert_bytes_equal(x->f.cmd[0], req, 300);
	/* STORE DATA blocks of 120 bytes (lpac's default), P1 11 then 91, P2 block number, Le on
	 * the last; then GET RESPONSE on the logical channel until the answer is complete */
	assert_true(x->f.n_apdu >= 3 + 2); /* 700 bytes: at least two GET RESPONSE */
	for (size_t b = 0; b < 3; b++) {
		const uint8_t *a = x->f.apdu[b];
		size_t k = b < 2 ? 120 : 60;
		assert_int_equal(a[0], 0x81);
		assert_int_equal(a[1], 0xE2);
		assert_int_equal(a[2], b < 2 ? 0x11 : 0x91);
		assert_int_equal(a[3], b);
		assert_int_equal(a[4], k);
		assert_bytes_equal(a + 5, req + b * 120, k);
		assert_int_equal(x->f.apdu_len[b], 5 + k + (b == 2 ? 1 : 0));
	}
	for (size_t g = 3; g < x->f.n_apdu; g++) {
		assert_int_equal(x->f.apdu_len[g], 5);
		assert_int_equal(x->f.apdu[g][0], 0x01);
		assert_int_equal(x->f.apdu[g][1], 0xC0);
	}
	/* a smaller block size */
	reset_log(x);
	x->card.mss = 16;
	assert_int_equal(orsp_lpa_es10(&x->card, req, sizeof(req), out, sizeof(out), &rl), ORSP_OK);
	assert_int_equal(x->f.n_apdu, 19); /* ceil(300 / 16) */
	assert_int_equal(x->f.apdu[18][2], 0x91);
	assert_int_equal(x->f.apdu[18][3], 18);
	assert_int_equal(x->f.apdu[17][2], 0x11);
	assert_int_equal(x->f.cmd_len[0], 300);
	x->card.mss = 0;
	/* the answer does not fit */
	reset_log(x);
	x->f.ans[0] = rsp;
	x->f.ans_len[0] = 700;
	x->f.n_ans = 1;
	assert_int_equal(orsp_lpa_es10(&x->card, req, sizeof(req), out, 100, &rl), ORSP_E_RESOURCE);
	assert_string_equal(orsp_err_detail(),
	                    "card: the answer to BF22 is larger than the 100 bytes the LPA takes");
}

static void test_card_error(void **state)
{
	fixture *x = *state;
	static const uint8_t req[] = {0xBF, 0x2E, 0x00};
	uint8_t out[64];
	size_t rl = 0;
	char eid[33];

	reset_log(x);
	x->f.sw = 0x6A80;
	assert_int_equal(orsp_lpa_es10(&x->card, req, sizeof(req), out, sizeof(out), &rl),
	                 ORSP_E_STATE);
	assert_int_equal(x->card.last_sw, 0x6A80);
	assert_non_null(strstr(orsp_err_detail(), "6A80"));
	assert_int_equal(orsp_lpa_get_eid(&x->card, eid), ORSP_E_STATE);
	x->f.sw = 0;
}

static void test_no_isdr(void **state)
{
	orsp_euicc_apdu_ctx ctx;
	static uint8_t cbuf[ORSP_EUICC_MAX_COMMAND], rbuf[ORSP_EUICC_MAX_RESPONSE];
	orsp_lpa_transport t;
	orsp_lpa_card c;
	(void)state;
	assert_int_equal(orsp_euicc_apdu_init(&ctx, cbuf, sizeof(cbuf), rbuf, sizeof(rbuf)),
	                 ORSP_OK);
	assert_int_equal(orsp_lpa_transport_apdu(&ctx, &t), ORSP_OK);
	assert_int_equal(orsp_lpa_card_open(&c, &t), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "ISD-R"));
}

/* ---------------------------------------------------------------- functions ------------ */

static void test_eid(void **state)
{
	fixture *x = *state;
	char eid[33];

	reset_log(x);
	/* the SGP.26 test eUICC */
	answer(x, "BF3E125A1089049032123451234512345678901235");
	assert_int_equal(orsp_lpa_get_eid(&x->card, eid), ORSP_OK);
	assert_string_equal(eid, "89049032123451234512345678901235");
	assert_cmd_hex(x, 0, "BF3E035C015A"); /* GetEuiccDataRequest, tagList 5A */
	/* negatives: short EID, wrong tag, trailing bytes, nothing */
	static const char *const bad[] = {
	    "BF3E115A0F890490321234512345123456789012",
	    "BF3E125B1089049032123451234512345678901235",
	    "BF3F125A1089049032123451234512345678901235",
	    "BF3E125A108904903212345123451234567890123500",
	    "BF3E135A1089049032123451234512345678901235",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_log(x);
		answer(x, bad[i]);
		if (orsp_lpa_get_eid(&x->card, eid) != ORSP_E_MALFORMED)
			fail_msg("bad EID answer %zu accepted", i);
	}
}

#define ICCID1 "89000123456789012341"
#define ICCID1_EF "98001032547698103214"
#define ICCID2 "8949449999999990023"
#define ICCID2_EF "989444999999990920F3"

static void test_profiles(void **state)
{
	fixture *x = *state;
	orsp_lpa_profile p[4];
	size_t n = 0;

	reset_log(x);
	answer(x, /* enabled operational profile with names; disabled test profile */
	       "BF2D6EA06C"
	       "E33C5A0A" ICCID1_EF "4F10A0000005591010FFFFFFFF89000010009F7001019004776F726B"
	       "91064F5045524154920754532E34382031950102"
	       "E32C5A0A" ICCID2_EF "4F10A0000005591010FFFFFFFF89000011009F70010091009203616263"
	       "950100");
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
	assert_cmd_hex(x, 0, "BF2D00");
	assert_int_equal(n, 2);
	assert_string_equal(p[0].iccid, ICCID1);
	assert_true(p[0].enabled);
	assert_int_equal(p[0].aid_len, 16);
	assert_string_equal(p[0].nickname, "work");
	assert_string_equal(p[0].spn, "OPERAT");
	assert_string_equal(p[0].name, "TS.48 1");
	assert_int_equal(p[0].profile_class, 2);
	assert_string_equal(p[1].iccid, ICCID2);
	assert_false(p[1].enabled);
	assert_int_equal(p[1].profile_class, 0);
	assert_string_equal(p[1].name, "abc");
	assert_false(p[0].state_unknown);
	assert_false(p[1].state_unknown);
	/* no profileState, or one v2.2 does not define (2): unknown, not disabled (until
	 * session 68) */
	reset_log(x);
	answer(x, "BF2D22A020E30C5A0A" ICCID1_EF "E3105A0A" ICCID2_EF "9F700102");
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
	assert_int_equal(n, 2);
	assert_true(p[0].state_unknown);
	assert_true(p[1].state_unknown);
	assert_false(p[0].enabled || p[1].enabled);
	/* a field twice in one ProfileInfo (two states, two ICCIDs): refused, never the last
	 * of two (until session 57) */
	reset_log(x);
	answer(x, "BF2D24A022E3205A0A" ICCID1_EF "9F7001019F700100"
	          "5A0A" ICCID2_EF);
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(), "card: ProfileInfo: field 9F70 twice");
	/* names made safe to print: control characters (ESC, DEL, a C1 CSI, CR, LF) become
	 * '?'; UTF-8 is kept whole within SGP.22's size in characters (provider: "A" and 16
	 * e-acute, 17 characters in 33 bytes, which a buffer of 32 bytes cut before) */
	reset_log(x);
	answer(x, "BF2D40A03EE33C5A0A" ICCID1_EF "912141"
	          "C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9C3A9"
	          "920B781B5B324B7FC29B790D0A");
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "x?[2K??y??");
	assert_string_equal(p[0].spn,
	                    "A\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
	                    "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
	/* a card's name longer than its buffer (33 four-byte characters, more than SGP.22's 32)
	 * is cut at a character boundary: 32 of them */
	{
		char hex[2 * 33 * 4 + 1] = "", want[4 * 32 + 1] = "", rsp[400];
		for (int i = 0; i < 33; i++)
			strcat(hex, "F09F9880");
		for (int i = 0; i < 32; i++)
			strcat(want, "\xF0\x9F\x98\x80");
		/* 5A 0A ICCID (12 bytes) + 91 81 84 and 132 bytes: E3 of 147, A0 of 150, BF2D of
		 * 153 */
		snprintf(rsp, sizeof(rsp), "BF2D8199A08196E381935A0A%s918184%s", ICCID1_EF, hex);
		reset_log(x);
		answer(x, rsp);
		assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
		assert_int_equal(n, 1);
		assert_string_equal(p[0].spn, want);
	}
	/* empty list */
	reset_log(x);
	answer(x, "BF2D02A000");
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
	assert_int_equal(n, 0);
	/* error answer */
	reset_log(x);
	answer(x, "BF2D03810101");
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_E_STATE);
	/* malformed: wrong outer tag, trailing, not E3, truncated */
	static const char *const bad[] = {"BF2E02A000",     "BF2D02A00000", "BF2D04A002E400",
	                                  "BF2D04A003E300", "BF2D",         "BF2D02A100"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_log(x);
		answer(x, bad[i]);
		if (orsp_lpa_profiles(&x->card, p, 4, &n) != ORSP_E_MALFORMED)
			fail_msg("bad ProfileInfoList %zu accepted", i);
	}
	/* more profiles than room: the first ones, the others counted */
	reset_log(x);
	answer(x, "BF2D1EA01CE30C5A0A" ICCID1_EF "E30C5A0A" ICCID2_EF);
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 1, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].iccid, ICCID1);
	assert_int_equal(p[0].profile_class, 2); /* no 95: DEFAULT operational */
	/* a profileClass v2.2 does not define (7, a negative one, not an INTEGER) is none of
	 * its classes, not the DEFAULT */
	static const char *const odd_class[] = {"950107", "9501FF", "9500"};
	for (size_t i = 0; i < sizeof(odd_class) / sizeof(odd_class[0]); i++) {
		char rsp[64];
		snprintf(rsp, sizeof(rsp), "BF2D%02XA0%02XE3%02X5A0A%s%s",
		         (unsigned)(14 + strlen(odd_class[i]) / 2 + 2),
		         (unsigned)(14 + strlen(odd_class[i]) / 2),
		         (unsigned)(12 + strlen(odd_class[i]) / 2), ICCID1_EF, odd_class[i]);
		reset_log(x);
		answer(x, rsp);
		assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
		assert_int_equal(n, 1);
		if (p[0].profile_class != -1)
			fail_msg("profileClass %s read as %d", odd_class[i], p[0].profile_class);
	}
	/* profilePolicyRules: read, or when malformed (no bits octet, 8 unused bits, a set
	 * padding bit, a bit beyond 31) or given twice, unreadable: never taken for no rules */
	static const struct {
		const char *ppr;
		uint32_t bits;
		bool unreadable;
	} pprs[] = {
	    {"99020560", ORSP_LPA_PPR1 | ORSP_LPA_PPR2, false},
	    {"990100", 0, false},
	    {"9900", 0, true},
	    {"99020800", 0, true},
	    {"99020561", 0, true},
	    {"9906000000000080", 0, true},
	    {"9902064099020640", 0, true}, /* twice */
	};
	for (size_t i = 0; i < sizeof(pprs) / sizeof(pprs[0]); i++) {
		char rsp[96];
		size_t fl = strlen(pprs[i].ppr) / 2;
		snprintf(rsp, sizeof(rsp), "BF2D%02XA0%02XE3%02X5A0A%s%s", (unsigned)(14 + fl + 2),
		         (unsigned)(14 + fl), (unsigned)(12 + fl), ICCID1_EF, pprs[i].ppr);
		reset_log(x);
		answer(x, rsp);
		assert_int_equal(orsp_lpa_profiles(&x->card, p, 4, &n), ORSP_OK);
		assert_int_equal(n, 1);
		if (p[0].ppr != pprs[i].bits || p[0].ppr_unreadable != pprs[i].unreadable)
			fail_msg("profilePolicyRules %s read as %x%s", pprs[i].ppr,
			         (unsigned)p[0].ppr, p[0].ppr_unreadable ? " (unreadable)" : "");
		assert_string_equal(p[0].iccid, ICCID1);
	}
	reset_log(x);
	answer(x, "BF2D1EA01CE30C5A0A" ICCID1_EF "E30C5A0A" ICCID2_EF);
	assert_int_equal(orsp_lpa_profile_count(&x->card, &n), ORSP_OK);
	assert_cmd_hex(x, 0, "BF2D00");
	assert_int_equal(n, 2);
	/* counting reads them all: a malformed one is an error, and no count */
	reset_log(x);
	answer(x, "BF2D06A004E300E400");
	assert_int_equal(orsp_lpa_profile_count(&x->card, &n), ORSP_E_MALFORMED);
	assert_int_equal(n, 0);
}

/* The list begun with marks m and l in w, ended, as the one answer of the card. */
static void answer_list(fixture *x, orsp_writer *w, orsp_der_mark l, orsp_der_mark m)
{
	orsp_der_end(w, l);
	orsp_der_end(w, m);
	assert_int_equal(orsp_writer_status(w), ORSP_OK);
	reset_log(x);
	x->f.ans[0] = w->p;
	x->f.ans_len[0] = w->len;
	x->f.n_ans = 1;
}

/* The largest answers a card may legitimately give: ORSP_LPA_MAX_PROFILES profiles and one
 * more with every ProfileInfo field at its SGP.22 maximum (names, a 1024-byte icon), the
 * first ORSP_LPA_MAX_PROFILES listed and every one counted, and ORSP_LPA_MAX_NOTIFICATIONS
 * notifications with 255-byte addresses. */
static void test_large_answers(void **state)
{
	fixture *x = *state;
	static uint8_t buf[40 * 1024];
	static orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	static orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	uint8_t iccid[10], icon[1024], text[255];
	orsp_writer w;
	orsp_der_mark m, l, e;
	size_t n = 0;

	assert_int_equal(orsp_hex_decode_exact(ICCID1_EF, iccid, 10), ORSP_OK);
	memset(icon, 0xA5, sizeof(icon));
	memset(text, 'n', sizeof(text));
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF2D);
	l = orsp_der_begin(&w, 0xA0);
	for (int i = 0; i < ORSP_LPA_MAX_PROFILES + 1; i++) {
		e = orsp_der_begin(&w, 0xE3);
		orsp_der_put_tlv(&w, 0x5A, iccid, 10);
		orsp_der_put_tlv(&w, 0x4F,
		                 "\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x10\x00",
		                 16);
		orsp_der_put_uint(&w, 0x9F70, 0);
		orsp_der_put_tlv(&w, 0x90, text, 64);
		orsp_der_put_tlv(&w, 0x91, text, 32);
		orsp_der_put_tlv(&w, 0x92, text, 64);
		orsp_der_put_uint(&w, 0x93, 1);
		orsp_der_put_tlv(&w, 0x94, icon, sizeof(icon));
		orsp_der_put_uint(&w, 0x95, 2);
		orsp_der_end(&w, e);
	}
	answer_list(x, &w, l, m);
	assert_int_equal(orsp_lpa_profiles(&x->card, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, ORSP_LPA_MAX_PROFILES);
	assert_int_equal(strlen(p[15].name), 64);
	reset_log(x); /* the same answer again */
	x->f.ans[0] = w.p;
	x->f.ans_len[0] = w.len;
	x->f.n_ans = 1;
	assert_int_equal(orsp_lpa_profile_count(&x->card, &n), ORSP_OK);
	assert_int_equal(n, ORSP_LPA_MAX_PROFILES + 1);

	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF28);
	l = orsp_der_begin(&w, 0xA0);
	for (int i = 0; i < ORSP_LPA_MAX_NOTIFICATIONS; i++) {
		e = orsp_der_begin(&w, 0xBF2F);
		orsp_der_put_uint(&w, 0x80, (uint64_t)i + 1000);
		orsp_der_put_tlv(&w, 0x81, "\x07\x80", 2);
		orsp_der_put_tlv(&w, 0x0C, text, sizeof(text));
		orsp_der_put_tlv(&w, 0x5A, iccid, 10);
		orsp_der_end(&w, e);
	}
	answer_list(x, &w, l, m);
	assert_int_equal(orsp_lpa_notifications(&x->card, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	assert_int_equal(n, ORSP_LPA_MAX_NOTIFICATIONS);
	assert_int_equal(no[31].seq, 1031);
	assert_int_equal(strlen(no[31].address), 255);
}

/* The whole list (orsp_lpa_notifications_all): 40 with 255-byte addresses, each copied, from
 * one ListNotification; none is NULL; more than ORSP_LPA_NOTIFICATIONS_MAX is refused naming
 * how many, and a malformed one anywhere is an error with nothing returned. */
static void test_notifications_all(void **state)
{
	fixture *x = *state;
	static uint8_t buf[40 * 1024];
	orsp_lpa_notification *no = NULL;
	uint8_t text[255];
	orsp_writer w;
	orsp_der_mark m, l, e;
	size_t n = 9;

	memset(text, 'n', sizeof(text));
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF28);
	l = orsp_der_begin(&w, 0xA0);
	for (int i = 0; i < 40; i++) {
		e = orsp_der_begin(&w, 0xBF2F);
		orsp_der_put_uint(&w, 0x80, (uint64_t)i + 1000);
		orsp_der_put_tlv(&w, 0x81, "\x07\x80", 2);
		orsp_der_put_tlv(&w, 0x0C, text, sizeof(text));
		orsp_der_end(&w, e);
	}
	answer_list(x, &w, l, m);
	assert_int_equal(orsp_lpa_notifications_all(&x->card, &no, &n), ORSP_OK);
	assert_int_equal(n, 40);
	assert_non_null(no);
	assert_int_equal(no[39].seq, 1039);
	assert_string_equal(no[39].event, "install");
	assert_int_equal(strlen(no[39].address), 255);
	assert_int_equal(x->f.n_cmd, 1);
	assert_cmd_hex(x, 0, "BF2800");
	free(no);

	reset_log(x);
	answer(x, "BF2802A000");
	assert_int_equal(orsp_lpa_notifications_all(&x->card, &no, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_null(no);

	/* one past the limit, each as short as SGP.22 allows (13 bytes) */
	orsp_writer_init(&w, buf, sizeof(buf));
	m = orsp_der_begin(&w, 0xBF28);
	l = orsp_der_begin(&w, 0xA0);
	for (int i = 0; i <= ORSP_LPA_NOTIFICATIONS_MAX; i++) {
		e = orsp_der_begin(&w, 0xBF2F);
		orsp_der_put_uint(&w, 0x80, (uint64_t)i % 100);
		orsp_der_put_tlv(&w, 0x81, "\x07\x80", 2);
		orsp_der_put_tlv(&w, 0x0C, "a", 1);
		orsp_der_end(&w, e);
	}
	answer_list(x, &w, l, m);
	n = 9;
	assert_int_equal(orsp_lpa_notifications_all(&x->card, &no, &n), ORSP_E_RESOURCE);
	assert_int_equal(n, 0);
	assert_null(no);
	assert_string_equal(orsp_err_detail(), "card: ListNotification lists 1025 notifications, "
	                                       "more than the 1024 the LPA takes");

	/* a malformed one last: nothing */
	reset_log(x);
	answer(x, "BF2822A020"
	          "BF2F0A800101810207800C0161"
	          "BF2F0A800102810207800C0162"
	          "BF2F03800103");
	assert_int_equal(orsp_lpa_notifications_all(&x->card, &no, &n), ORSP_E_MALFORMED);
	assert_int_equal(n, 0);
	assert_null(no);
}

static void test_state_changes(void **state)
{
	fixture *x = *state;
	static const struct {
		const char *code;
		orsp_err want;
	} codes[] = {{"00", ORSP_OK},       {"01", ORSP_E_NOT_FOUND}, {"02", ORSP_E_STATE},
	             {"03", ORSP_E_POLICY}, {"05", ORSP_E_STATE},     {"7F", ORSP_E_STATE}};
	char hex[32];

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		reset_log(x);
		snprintf(hex, sizeof(hex), "BF31038001%s", codes[i].code);
		answer(x, hex);
		assert_int_equal(orsp_lpa_enable(&x->card, ICCID1), codes[i].want);
		/* EnableProfileRequest: profileIdentifier [0] { iccid 5A }, refreshFlag [1] TRUE */
		assert_cmd_hex(x, 0, "BF3111A00C5A0A" ICCID1_EF "8101FF");
	}
	reset_log(x);
	answer(x, "BF3203800100");
	assert_int_equal(orsp_lpa_disable(&x->card, "A0000005591010FFFFFFFF8900001000"), ORSP_OK);
	assert_cmd_hex(x, 0, "BF3217A0124F10A0000005591010FFFFFFFF89000010008101FF");
	reset_log(x);
	answer(x, "BF3303800102");
	assert_int_equal(orsp_lpa_delete(&x->card, ICCID2), ORSP_E_STATE);
	assert_cmd_hex(x, 0, "BF330C5A0A" ICCID2_EF);
	/* disallowedByPolicy (3): the rule that refused, and the one way past it the end user
	 * has, a memory reset of the operational profiles (it said "disallowed by the profile
	 * policy rules" alone until session 72) */
	reset_log(x);
	answer(x, "BF3103800103");
	assert_int_equal(orsp_lpa_enable(&x->card, ICCID1), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "the enabled profile's policy rules forbid disabling it, as enabling "
	                    "another profile would (PPR1, disallowedByPolicy): only a memory reset "
	                    "of the eUICC's operational profiles removes it (`openrsp lpa chip "
	                    "reset --operational --yes`), and that deletes every operational "
	                    "profile on the eUICC");
	reset_log(x);
	answer(x, "BF3203800103");
	assert_int_equal(orsp_lpa_disable(&x->card, ICCID1), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "the profile's policy rules forbid disabling it (PPR1, "
	                    "disallowedByPolicy): only a memory reset of the eUICC's operational "
	                    "profiles removes it (`openrsp lpa chip reset --operational --yes`), "
	                    "and that deletes every operational profile on the eUICC");
	reset_log(x);
	answer(x, "BF3303800103");
	assert_int_equal(orsp_lpa_delete(&x->card, ICCID2), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "the profile's policy rules forbid deleting it "
	                                          "(PPR2, disallowedByPolicy): only a memory "
	                                          "reset of the eUICC's operational profiles"));
	reset_log(x);
	answer(x, "BF2903800100");
	assert_int_equal(orsp_lpa_set_nickname(&x->card, ICCID1, "home"), ORSP_OK);
	assert_cmd_hex(x, 0, "BF29125A0A" ICCID1_EF "9004686F6D65");
	/* a field a later version adds after the result: skipped, the card has acted (it was
	 * "malformed" until session 67) */
	reset_log(x);
	answer(x, "BF3106800100830100");
	assert_int_equal(orsp_lpa_enable(&x->card, ICCID1), ORSP_OK);
	/* malformed results, an extension that does not read among them, the result again
	 * after one (of two the first was taken until session 69) */
	static const char *const bad[] = {"BF31028100",
	                                  "BF3100",
	                                  "BF3204800100",
	                                  "BF310380010000",
	                                  "BF3105800100A205",
	                                  "BF3106800100800101",
	                                  "BF3108800100830100800101"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_log(x);
		answer(x, bad[i]);
		if (orsp_lpa_enable(&x->card, ICCID1) != ORSP_E_MALFORMED)
			fail_msg("bad enable answer %zu accepted", i);
	}
	/* bad identifiers never reach the card, nor a nickname that would show reordered */
	reset_log(x);
	assert_int_equal(orsp_lpa_set_nickname(&x->card, ICCID1, "home\u202Ekrow"), ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(), "control character U+202E at byte 5");
	assert_int_equal(orsp_lpa_enable(&x->card, "12345"), ORSP_E_USAGE);
	assert_int_equal(orsp_lpa_enable(&x->card, "A00000055910ZZ"), ORSP_E_USAGE);
	assert_int_equal(orsp_lpa_set_nickname(&x->card, ICCID1,
	                                       "0123456789012345678901234567890123456789"
	                                       "0123456789012345678901234"),
	                 ORSP_E_USAGE);
	assert_int_equal(x->f.n_cmd, 0);
}

/* An ICCID whose last digit is not its Luhn check digit (SGP.22 Iccid is OCTET STRING
 * (SIZE(10)): profiles with one exist) is listed as it is and can be named: enabled,
 * disabled, deleted, renamed; a 19-digit one too. When the eUICC has no such profile, the
 * message says the digit is not a check digit. */
#define ICCID_NO_LUHN "89000123456789012301"
#define ICCID_NO_LUHN_EF "98001032547698103210"
static void test_iccid_without_check_digit(void **state)
{
	fixture *x = *state;
	orsp_lpa_profile p[2];
	size_t n = 0;

	reset_log(x);
	answer(x, "BF2D10A00EE30C5A0A" ICCID_NO_LUHN_EF);
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 2, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].iccid, ICCID_NO_LUHN);
	assert_int_equal(orsp_lpa_profile_id_check(p[0].iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_iccid_check(p[0].iccid), ORSP_OK);

	reset_log(x);
	answer(x, "BF3103800100");
	assert_int_equal(orsp_lpa_enable(&x->card, p[0].iccid), ORSP_OK);
	assert_cmd_hex(x, 0, "BF3111A00C5A0A" ICCID_NO_LUHN_EF "8101FF");
	reset_log(x);
	answer(x, "BF3203800100");
	assert_int_equal(orsp_lpa_disable(&x->card, p[0].iccid), ORSP_OK);
	assert_cmd_hex(x, 0, "BF3211A00C5A0A" ICCID_NO_LUHN_EF "8101FF");
	reset_log(x);
	answer(x, "BF2903800100");
	assert_int_equal(orsp_lpa_set_nickname(&x->card, p[0].iccid, "home"), ORSP_OK);
	assert_cmd_hex(x, 0, "BF29125A0A" ICCID_NO_LUHN_EF "9004686F6D65");
	reset_log(x);
	answer(x, "BF3303800100");
	assert_int_equal(orsp_lpa_delete(&x->card, "8900012345678901230"), ORSP_OK);
	assert_cmd_hex(x, 0,
	               "BF330C5A0A"
	               "980010325476981032F0");

	/* not on the eUICC: the last digit named as a likely typo, only when it is one */
	reset_log(x);
	answer(x, "BF3103800101");
	assert_int_equal(orsp_lpa_enable(&x->card, ICCID_NO_LUHN), ORSP_E_NOT_FOUND);
	assert_string_equal(orsp_err_detail(),
	                    "no such profile on the eUICC (the ICCID's last digit is not its "
	                    "Luhn check digit, 9: mistyped?)");
	reset_log(x);
	answer(x, "BF2903800101");
	assert_int_equal(orsp_lpa_set_nickname(&x->card, ICCID_NO_LUHN, "home"), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "Luhn check digit, 9: mistyped?"));
	reset_log(x);
	answer(x, "BF3103800101");
	assert_int_equal(orsp_lpa_enable(&x->card, ICCID1), ORSP_E_NOT_FOUND);
	assert_string_equal(orsp_err_detail(), "no such profile on the eUICC");

	/* still refused without asking the card: not digits, too short (17 digits: no AID either)
	 * or long */
	reset_log(x);
	assert_int_equal(orsp_lpa_profile_id_check("89000123456789012"), ORSP_E_USAGE);
	/* 18 digits are even hex: they went out as an ISD-P AID until session 57, and the
	 * answer was "no such profile"; an ICCID of 18 digits now, said so */
	assert_int_equal(orsp_lpa_enable(&x->card, "890001234567890020"), ORSP_E_USAGE);
	assert_string_equal(
	    orsp_err_detail(),
	    "890001234567890020: an ICCID of 18 digits: give one of 19-20 digits, or "
	    "the profile's ISD-P AID (hex: isdpAid in profile list --json)");
	assert_int_equal(orsp_lpa_profile_id_check("A0000005591010FFFFFFFF8900001000"), ORSP_OK);
	assert_int_equal(orsp_lpa_iccid_check("890001234567890123"), ORSP_E_USAGE);
	assert_int_equal(orsp_lpa_iccid_check("890001234567890123010"), ORSP_E_USAGE);
	assert_int_equal(orsp_lpa_iccid_check("8900012345678901230F"), ORSP_E_USAGE);
	assert_int_equal(orsp_lpa_set_nickname(&x->card, "8900012345678901230F", "home"),
	                 ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(),
	                    "8900012345678901230F: give an ICCID (19-20 digits)");
	assert_int_equal(x->f.n_cmd, 0);
}

static void test_notifications(void **state)
{
	fixture *x = *state;
	orsp_lpa_notification no[4];
	size_t n = 0;

	reset_log(x);
	/* NotificationMetadata: seqNumber 80, profileManagementOperation 81 (BIT STRING, install
	 * = bit 0), notificationAddress 0C, iccid 5A */
	answer(x, "BF283BA039"
	          "BF2F1F800101810207800C0A736D64702E612E636F6D5A0A" ICCID1_EF
	          "BF2F1480020100810204100C0A736D64702E622E636F6D");
	assert_int_equal(orsp_lpa_notifications(&x->card, no, 4, &n), ORSP_OK);
	assert_cmd_hex(x, 0, "BF2800");
	assert_int_equal(n, 2);
	assert_int_equal(no[0].seq, 1);
	assert_string_equal(no[0].event, "install");
	assert_string_equal(no[0].address, "smdp.a.com");
	assert_string_equal(no[0].iccid, ICCID1);
	assert_int_equal(no[1].seq, 256);
	assert_string_equal(no[1].event, "delete");
	assert_string_equal(no[1].address, "smdp.b.com");
	/* counted, none copied; a cap smaller than the list leaves the rest out of the copy */
	reset_log(x);
	answer(x, "BF283BA039"
	          "BF2F1F800101810207800C0A736D64702E612E636F6D5A0A" ICCID1_EF
	          "BF2F1480020100810204100C0A736D64702E622E636F6D");
	assert_int_equal(orsp_lpa_notification_count(&x->card, &n), ORSP_OK);
	assert_cmd_hex(x, 0, "BF2800");
	assert_int_equal(n, 2);
	reset_log(x);
	answer(x, "BF283BA039"
	          "BF2F1F800101810207800C0A736D64702E612E636F6D5A0A" ICCID1_EF
	          "BF2F1480020100810204100C0A736D64702E622E636F6D");
	assert_int_equal(orsp_lpa_notifications(&x->card, no, 1, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(no[0].seq, 1);
	reset_log(x);
	answer(x, "BF3003800100");
	assert_int_equal(orsp_lpa_notification_remove(&x->card, 256), ORSP_OK);
	assert_cmd_hex(x, 0,
	               "BF3004800201"
	               "00");
	reset_log(x);
	answer(x, "BF3003800101");
	assert_int_equal(orsp_lpa_notification_remove(&x->card, 9), ORSP_E_NOT_FOUND);
	/* malformed lists: an error, no list, no entry that is not a NotificationMetadata, a
	 * NotificationMetadata without its fields, and a profileManagementOperation that is not a
	 * DER BIT STRING ({07 C0}: install, enable in a set unused bit; empty); then a mandatory
	 * field missing: all of them, seqNumber, profileManagementOperation, notificationAddress
	 * (listed as seqNumber 0, an empty event or address); then a field given twice */
	static const char *const bad[] = {
	    "BF2802A100", "BF2804A002BF2F", "BF2804A0023000", "BF2807A005BF2F02800100",
	    "BF280CA00ABF2F07800101810207C0", "BF280AA008BF2F058001018100", "BF2805A003BF2F00",
	    "BF2810A00EBF2F0B810207800C0561612E6262", "BF280FA00DBF2F0A8001010C0561612E6262",
	    "BF280CA00ABF2F0780010181020780",
	    /* a field twice: two seqNumbers, two events, two
	     * addresses, two ICCIDs (the last of two was
	     * listed, and sent to or removed by) */
	    "BF2816A014BF2F11800101800102810207800C0561612E6262",
	    "BF2817A015BF2F1280010181020780810204100C0561612E6262",
	    "BF281AA018BF2F15800101810207800C0561612E62620C0563632E"
	    "6464",
	    "BF282BA029BF2F26800101810207800C0561612E62625A0A" ICCID1_EF "5A0A" ICCID1_EF};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_log(x);
		answer(x, bad[i]);
		if (orsp_lpa_notifications(&x->card, no, 4, &n) != ORSP_E_MALFORMED)
			fail_msg("bad notification list %zu accepted", i);
		reset_log(x);
		answer(x, bad[i]);
		if (orsp_lpa_notification_count(&x->card, &n) != ORSP_E_MALFORMED || n)
			fail_msg("bad notification list %zu counted", i);
	}
}

/* ---------------------------------------------------------------- BPP chunking --------- */

/* The pieces SGP.22 / lpac send, computed here with the DER reader from the BPP's structure:
 * BF36 header + BF23; A0 whole; A1 header, each 88; A2 whole; A3 header, each 86. */
static size_t expected_pieces(const uint8_t *bpp, size_t n, orsp_slice *out, size_t cap)
{
	orsp_tlv top, t, s;
	orsp_reader r, sr;
	size_t k = 0;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, n), &top), ORSP_OK);
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
	out[k++] = orsp_slice_make(bpp, (size_t)(t.raw.p + t.raw.len - bpp));
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
		if (t.tag == 0xA0 || t.tag == 0xA2) {
			out[k++] = t.raw;
			continue;
		}
		out[k++] = orsp_slice_make(t.raw.p, t.raw.len - t.value.len);
		orsp_reader_init(&sr, t.value.p, t.value.len);
		while (orsp_reader_remaining(&sr)) {
			assert_int_equal(orsp_der_read(&sr, &s), ORSP_OK);
			assert_true(k < cap);
			out[k++] = s.raw;
		}
	}
	return k;
}

#define PIR_HEX "BF3706BF2703800101"

static void check_bpp(fixture *x, const uint8_t *bpp, size_t n)
{
	orsp_slice want[MAX_CMDS];
	size_t k = expected_pieces(bpp, n, want, MAX_CMDS), pl = 0;
	uint8_t pir[512];

	reset_log(x);
	for (size_t i = 0; i + 1 < k; i++)
		answer(x, "");
	answer(x, PIR_HEX);
	assert_int_equal(orsp_lpa_load_bpp(&x->card, bpp, n, pir, sizeof(pir), &pl), ORSP_OK);
	assert_int_equal(x->f.n_cmd, k);
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(x->f.cmd_len[i], want[i].len);
		assert_bytes_equal(x->f.cmd[i], want[i].p, want[i].len);
	}
	assert_int_equal(pl, 9);
	assert_int_equal(pir[0], 0xBF);
	assert_int_equal(pir[1], 0x37);
}

static void test_bpp_real(void **state)
{
	fixture *x = *state;
	size_t n = 0;
	uint8_t *bpp = test_read_vector("sgp22/bpp/bpp.der", &n);

	assert_non_null(bpp);
	check_bpp(x, bpp, n);
	/* spot checks against the structure SGP.22 §2.5.5 describes */
	assert_int_equal(x->f.cmd[0][0], 0xBF);
	assert_int_equal(x->f.cmd[0][1], 0x36);
	assert_int_equal(x->f.cmd[1][0], 0xA0);
	assert_int_equal(x->f.cmd[2][0], 0xA1);
	assert_true(x->f.cmd_len[2] <= 4); /* header alone */
	assert_int_equal(x->f.cmd[3][0], 0x88);
	assert_int_equal(x->f.cmd[x->f.n_cmd - 1][0], 0x86);
	/* an early PIR (the eUICC stopped at the first 88): nothing more is sent */
	reset_log(x);
	answer(x, "");
	answer(x, "");
	answer(x, "");
	answer(x, PIR_HEX);
	{
		uint8_t pir[64];
		size_t pl = 0;
		assert_int_equal(orsp_lpa_load_bpp(&x->card, bpp, n, pir, sizeof(pir), &pl),
		                 ORSP_OK);
		assert_int_equal(x->f.n_cmd, 4);
		assert_int_equal(pl, 9);
	}
	/* the eUICC refuses a segment with a status word */
	reset_log(x);
	x->f.sw = 0x6A80;
	{
		uint8_t pir[64];
		size_t pl = 0;
		assert_int_equal(orsp_lpa_load_bpp(&x->card, bpp, n, pir, sizeof(pir), &pl),
		                 ORSP_E_STATE);
		assert_int_equal(x->f.n_cmd, 1);
	}
	x->f.sw = 0;
	free(bpp);
}

static void test_bpp_synthetic(void **state)
{
	fixture *x = *state;
	uint8_t bpp[64];
	size_t n = 0;

	/* with an A2 (replaceSessionKeys) and two 88 and three 86 */
	assert_int_equal(orsp_hex_decode("BF3623"
	                                 "BF2303800101"
	                                 "A003870100"
	                                 "A106880101880102"
	                                 "A203870103"
	                                 "A309860104860105860106",
	                                 bpp, sizeof(bpp), &n),
	                 ORSP_OK);
	check_bpp(x, bpp, n);
	assert_int_equal(x->f.n_cmd, 10);
	assert_cmd_hex(x, 0, "BF3623BF2303800101");
	assert_cmd_hex(x, 2, "A106");
	assert_cmd_hex(x, 5, "A203870103");
	assert_cmd_hex(x, 6, "A309");
	/* no PIR at all */
	reset_log(x);
	{
		uint8_t pir[64];
		size_t pl = 0;
		assert_int_equal(orsp_lpa_load_bpp(&x->card, bpp, n, pir, sizeof(pir), &pl),
		                 ORSP_E_MALFORMED);
	}
	/* malformed packages are refused before anything is sent */
	static const char *const bad[] = {
	    "BF3703BF2300",           /* not BF36 */
	    "BF3605A003870100",       /* no BF23 */
	    "BF3607BF2300A403870100", /* unknown part */
	    "BF3605BF2300A0",         /* truncated */
	    "BF3605BF2300A00500",     /* length beyond */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[64], pir[64];
		size_t bl = 0, pl = 0;
		reset_log(x);
		assert_int_equal(orsp_hex_decode(bad[i], b, sizeof(b), &bl), ORSP_OK);
		if (orsp_lpa_load_bpp(&x->card, b, bl, pir, sizeof(pir), &pl) != ORSP_E_MALFORMED)
			fail_msg("bad BPP %zu accepted", i);
	}
}

/* ---------------------------------------------------------------- chip (es10.c) ------- */

#define SKI "81370F5125D0B1D408D4C3B232E6D25E795BEBFB"

static void test_info2(void **state)
{
	fixture *x = *state;
	orsp_lpa_info2 i;
	uint8_t ski[20];

	reset_log(x);
	answer(x, "BF2264810302030082030202028303040100840C810103820300A000830200FF8502050088020780"
	          "A9160414" SKI "AA160414" SKI "8B010204030000010C055341532D31");
	assert_int_equal(orsp_lpa_euicc_info2(&x->card, &i), ORSP_OK);
	assert_cmd_hex(x, 0, "BF2200");
	assert_string_equal(i.profile_version, "2.3.0");
	assert_string_equal(i.svn, "2.2.2");
	assert_string_equal(i.firmware, "4.1.0");
	assert_true(i.has_resources);
	assert_int_equal(i.installed_apps, 3);
	assert_int_equal(i.free_nvm, 0xA000);
	assert_int_equal(i.free_ram, 0xFF);
	assert_int_equal(i.n_ci_verify, 1);
	assert_int_equal(i.n_ci_sign, 1);
	assert_int_equal(orsp_hex_decode_exact(SKI, ski, 20), ORSP_OK);
	assert_bytes_equal(i.ci_verify[0], ski, 20);
	assert_int_equal(i.category, 2);
	assert_string_equal(i.sas, "SAS-1");
	assert_int_equal(i.uicc_cap_bits, 3); /* 85 02 05 00: three bits, none set */
	assert_int_equal(i.uicc_caps, 0);
	/* more CI key identifiers than ORSP_LPA_MAX_CI: the first ones, and how many more (they
	 * were dropped unsaid past 4) */
	{
		uint8_t b[1200], pre[64], suf[64];
		char hex[2 * sizeof(b) + 1];
		size_t np = 0, ns = 0;
		orsp_writer w;
		orsp_writer_init(&w, b, sizeof(b));
		assert_int_equal(
		    orsp_hex_decode("810302030082030202028303040100840C810103820300A000"
		                    "830200FF8502050088020780",
		                    pre, sizeof(pre), &np),
		    ORSP_OK);
		assert_int_equal(orsp_hex_decode("AA160414" SKI "04030000010C055341532D31", suf,
		                                 sizeof(suf), &ns),
		                 ORSP_OK);
		orsp_der_mark top = orsp_der_begin(&w, 0xBF22);
		orsp_write_bytes(&w, pre, np);
		orsp_der_mark l = orsp_der_begin(&w, 0xA9);
		for (int k = 0; k < ORSP_LPA_MAX_CI + 3; k++) {
			ski[19] = (uint8_t)k;
			orsp_der_put_tlv(&w, 0x04, ski, 20);
		}
		orsp_der_end(&w, l);
		orsp_write_bytes(&w, suf, ns);
		orsp_der_end(&w, top);
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_int_equal(orsp_hex_encode(b, w.len, hex, sizeof(hex)), ORSP_OK);
		answer(x, hex);
		assert_int_equal(orsp_lpa_euicc_info2(&x->card, &i), ORSP_OK);
		assert_int_equal(i.n_ci_verify, ORSP_LPA_MAX_CI);
		assert_int_equal(i.more_ci_verify, 3);
		assert_int_equal(i.ci_verify[ORSP_LPA_MAX_CI - 1][19], ORSP_LPA_MAX_CI - 1);
		assert_int_equal(i.n_ci_sign, 1);
		assert_int_equal(i.more_ci_sign, 0);
	}
	static const char *const bad[] = {
	    /* uiccCapability with 8 unused bits, a set unused bit ({07 C0}: contactlessSupport
	     * only, usimSupport in the padding), and one longer than 64 bits */
	    "BF221B8103020300820302020283030401008403810103850108A900AA00",
	    "BF221C8103020300820302020283030401008403810103850207C0A900AA00",
	    "BF22248103020300820302020283030401008403810103850A00FFFFFFFFFFFFFFFFFFA900AA00",
	    "BF2213810302030083030401008403810103A900AA00",               /* no svn */
	    "BF221781030203008202020283030401008403810103A900AA00",       /* 2-byte svn */
	    "BF221A8103020300820302020283030401008403810103A9020400AA00", /* short SKI */
	    "BF22038103020300",                                           /* bad length */
	    /* extCardResource with a broken TLV inside (found by fuzz_lpa_es10: it looped) */
	    "BF2264810302030082030202028303040100840C810103820300A00081FC00FF8502050088020780A91604"
	    "1481370F5125D0B1D408D4C3B232E6D25E795BEBFBAA16041481370F5125D0B1D408D4C3B232E6D25E795B"
	    "EBFB8B010204030000010C055341532D31",
	    /* sasAcreditationNumber (a UTF8String) that is not text: a C1 control (8-bit CSI
	     * as a raw byte, and U+009B in UTF-8), a byte that is not UTF-8, DEL, LF */
	    "BF221B8103020300820302020283030401008403810103A900AA000C019B",
	    "BF221C8103020300820302020283030401008403810103A900AA000C02C29B",
	    "BF221D8103020300820302020283030401008403810103A900AA000C0353FF31",
	    "BF221B8103020300820302020283030401008403810103A900AA000C017F",
	    "BF221B8103020300820302020283030401008403810103A900AA000C010A",
	    /* a field twice: shown mixed (a shorter second sas over the first's tail, a second
	     * extCardResource over some of the first's values, two lists joined) until session
	     * 57 */
	    "BF222681030203008203020202830304010084038101030C084C4F4E47534153310C024142A900AA00",
	    "BF221D81030203008203020202830304010084038101038403810105A900AA00",
	    "BF221A8103020300820302020283030401008403810103A900A900AA00",
	    "BF221D81030203008103020300820302020283030401008403810103A900AA00",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		reset_log(x);
		answer(x, bad[k]);
		if (orsp_lpa_euicc_info2(&x->card, &i) != ORSP_E_MALFORMED)
			fail_msg("bad EUICCInfo2 %zu accepted", k);
	}
	/* euiccCategory is an INTEGER its named numbers (0..3) do not constrain: 9, a later
	 * version's, is kept as a number (it made the answer malformed until session 69); an
	 * extCardResource TLV of another tag than 81..83, constructed or of more than 8 bytes,
	 * is skipped (TS 102 226 adds some), the three read as without it */
	reset_log(x);
	answer(x, "BF221B8103020300820302020283030401008403810103A900AA008B0109");
	assert_int_equal(orsp_lpa_euicc_info2(&x->card, &i), ORSP_OK);
	assert_int_equal(i.category, 9);
	reset_log(x);
	answer(x, "BF222D810302030082030202028303040100"
	          "8418810103A5030401008A0A00112233445566778899820200A0A900AA00");
	assert_int_equal(orsp_lpa_euicc_info2(&x->card, &i), ORSP_OK);
	assert_int_equal(i.installed_apps, 3);
	assert_int_equal(i.free_nvm, 0xA0);
	reset_log(x);
	/* ... but one of 81..83 of more than 8 bytes is not a number */
	answer(x, "BF2220810302030082030202028303040100840B8209001122334455667788A900AA00");
	assert_int_not_equal(orsp_lpa_euicc_info2(&x->card, &i), ORSP_OK);
	/* text beyond ASCII is text */
	reset_log(x);
	answer(x, "BF221C8103020300820302020283030401008403810103A900AA000C02C3A9");
	assert_int_equal(orsp_lpa_euicc_info2(&x->card, &i), ORSP_OK);
	assert_string_equal(i.sas, "\xC3\xA9");
}

static void test_addresses(void **state)
{
	fixture *x = *state;
	char dp[256], ds[256];

	reset_log(x);
	answer(x, "BF3C238010736D64702E6578616D706C652E636F6D810F6C70612E64732E67736D612E636F6D");
	assert_int_equal(orsp_lpa_addresses(&x->card, dp, ds), ORSP_OK);
	assert_cmd_hex(x, 0, "BF3C00");
	assert_string_equal(dp, "smdp.example.com");
	assert_string_equal(ds, "lpa.ds.gsma.com");
	reset_log(x);
	answer(x, "BF3C11810F6C70612E64732E67736D612E636F6D");
	assert_int_equal(orsp_lpa_addresses(&x->card, dp, ds), ORSP_OK);
	assert_string_equal(dp, "");
	assert_string_equal(ds, "lpa.ds.gsma.com");
	/* UTF8String: text beyond ASCII is shown as it is (not a host name: a download from
	 * the default address refuses it then) */
	reset_log(x);
	answer(x, "BF3C0A8003C3A9618103C3A962");
	assert_int_equal(orsp_lpa_addresses(&x->card, dp, ds), ORSP_OK);
	assert_string_equal(dp, "\xC3\xA9"
	                        "a");
	assert_string_equal(ds, "\xC3\xA9"
	                        "b");
	/* fields a later version adds after rootDsAddress are skipped (EXTENSIBILITY IMPLIED;
	 * until session 67 the whole answer was refused, `chip info` with it) */
	reset_log(x);
	answer(x, "BF3C118003612E62810363"
	          "2E64A203820100"
	          "8300");
	assert_int_equal(orsp_lpa_addresses(&x->card, dp, ds), ORSP_OK);
	assert_string_equal(dp, "a.b");
	assert_string_equal(ds, "c.d");
	static const char *const bad[] = {
	    "BF3C00", "BF3C0380017A", "BF3C06810161800161", "BF3C06810161810162", "BF3C0381010A",
	    /* an extension that does not read */
	    "BF3C05810161A205",
	    /* not UTF-8 text: 8-bit CSI (0x9B) and 0xFF in defaultDpAddress, U+009B (a C1
	     * control) in UTF-8, DEL, a UTF-8 sequence cut short, in rootDsAddress */
	    "BF3C1C800A65769B324AFF2E636F6D810E64732E6578616D706C652E636F6D", "BF3C0681046162C29B",
	    "BF3C0381017F", "BF3C04810261C3",
	    /* a right-to-left override (U+202E), which would show another address */
	    "BF3C07810561E280AE62"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		reset_log(x);
		answer(x, bad[k]);
		if (orsp_lpa_addresses(&x->card, dp, ds) != ORSP_E_MALFORMED)
			fail_msg("bad addresses %zu accepted", k);
	}
	reset_log(x);
	answer(x, "BF3F03800100");
	assert_int_equal(orsp_lpa_set_default_dp(&x->card, "smdp.example.com"), ORSP_OK);
	assert_cmd_hex(x, 0, "BF3F128010736D64702E6578616D706C652E636F6D");
	reset_log(x);
	answer(x, "BF3F0380017F");
	assert_int_equal(orsp_lpa_set_default_dp(&x->card, ""), ORSP_E_STATE);
	assert_cmd_hex(x, 0, "BF3F028000");
	/* not a host name: refused before the eUICC sees it */
	reset_log(x);
	static const char *const bad_dp[] = {"smdp",
	                                     "smdp..example.com",
	                                     "-smdp.example.com",
	                                     "smdp-.example.com",
	                                     "smdp.example.com.",
	                                     "smdp example.com",
	                                     "smdp.example.com:443",
	                                     "1.2.3.4",
	                                     "smdp.example.123"};
	for (size_t k = 0; k < sizeof(bad_dp) / sizeof(bad_dp[0]); k++)
		if (orsp_lpa_set_default_dp(&x->card, bad_dp[k]) != ORSP_E_USAGE ||
		    !strstr(orsp_err_detail(), "at least two labels"))
			fail_msg("default SM-DP+ address %s accepted", bad_dp[k]);
	char longest[255];
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = 0;
	for (size_t i = 63; i < sizeof(longest) - 1; i += 64)
		longest[i] = '.';
	assert_int_equal(orsp_lpa_set_default_dp(&x->card, longest), ORSP_E_USAGE); /* 254 */
	assert_int_equal(x->f.n_cmd, 0);
	longest[253] = 0;
	answer(x, "BF3F03800100");
	assert_int_equal(orsp_lpa_set_default_dp(&x->card, longest), ORSP_OK); /* 253 */
}

static void test_memory_reset(void **state)
{
	fixture *x = *state;

	reset_log(x);
	answer(x, "BF3403800100");
	assert_int_equal(orsp_lpa_memory_reset(&x->card, 7), ORSP_OK);
	assert_cmd_hex(x, 0, "BF3404820205E0"); /* as lpac sends it */
	reset_log(x);
	answer(x, "BF3403800101");
	assert_int_equal(orsp_lpa_memory_reset(&x->card, ORSP_LPA_RESET_OPERATIONAL),
	                 ORSP_E_NOT_FOUND);
	assert_cmd_hex(x, 0,
	               "BF34048202"
	               "0780");
	assert_string_equal(orsp_err_detail(), "nothing to delete (nothingToDelete)");
	/* catBusy (5) is a result SGP.22 defines: named as for the other profile operations */
	reset_log(x);
	answer(x, "BF3403800105");
	assert_int_equal(orsp_lpa_memory_reset(&x->card, ORSP_LPA_RESET_OPERATIONAL), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "the card is busy (catBusy)");
	reset_log(x);
	answer(x, "BF3403800106");
	assert_int_equal(orsp_lpa_memory_reset(&x->card, ORSP_LPA_RESET_OPERATIONAL), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "the eUICC refused the memory reset (error 6)");
	reset_log(x);
	answer(x, "BF3403800100");
	assert_int_equal(orsp_lpa_memory_reset(&x->card, ORSP_LPA_RESET_TEST), ORSP_OK);
	assert_cmd_hex(x, 0,
	               "BF34048202"
	               "0640");
	reset_log(x);
	assert_int_equal(orsp_lpa_memory_reset(&x->card, 0), ORSP_E_USAGE);
	assert_int_equal(orsp_lpa_memory_reset(&x->card, 8), ORSP_E_USAGE);
	assert_int_equal(x->f.n_cmd, 0);
}

/* ---------------------------------------------------------------- status words -------- */

/* A scripted card without the APDU layer: what real cards do that ours does not (6Cxx). */
typedef struct script {
	uint8_t sent[16][261];
	size_t sent_len[16], n;
	int mode;
} script;

static orsp_err script_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                                size_t cap, size_t *rlen)
{
	script *s = user;
	size_t k = s->n;
	(void)cap;
	if (k < 16) {
		memcpy(s->sent[k], capdu, n);
		s->sent_len[k] = n;
		s->n++;
	}
	*rlen = 2;
	rapdu[0] = 0x90;
	rapdu[1] = 0x00;
	if (capdu[1] == 0x70 && n == 5) { /* MANAGE CHANNEL open: channel 2 */
		rapdu[0] = 0x02;
		rapdu[1] = 0x90;
		rapdu[2] = 0x00;
		*rlen = 3;
	} else if (capdu[1] == 0xE2 && s->mode == 0) {
		/* STORE DATA with a wrong Le: 6C05, then the 5-byte answer */
		if (capdu[n - 1] != 0x05) {
			rapdu[0] = 0x6C;
			rapdu[1] = 0x05;
		} else {
			memcpy(rapdu, "\xBF\x2E\x02\x80\x00\x90\x00", 7);
			*rlen = 7;
		}
	} else if (capdu[1] == 0xE2 && s->mode == 1) {
		*rlen = 1; /* no status word */
	} else if ((capdu[1] == 0xE2 || capdu[1] == 0xC0) && s->mode == 2) {
		rapdu[0] = 0x61; /* endless GET RESPONSE chain */
		rapdu[1] = 0x01;
	} else if (capdu[1] == 0xE2 && s->mode == 4) {
		/* EnableProfile ok, with a proactive command (REFRESH) pending: 9110 */
		memcpy(rapdu, "\xBF\x31\x03\x80\x01\x00\x91\x10", 8);
		*rlen = 8;
	} else if (capdu[1] == 0xE2 && s->mode == 5) {
		rapdu[0] = 0x61; /* the same through GET RESPONSE, which ends with 9110 */
		rapdu[1] = 0x06;
	} else if (capdu[1] == 0xC0 && s->mode == 5) {
		memcpy(rapdu, "\xBF\x31\x03\x80\x01\x00\x91\x10", 8);
		*rlen = 8;
	} else if (capdu[1] == 0xE2 && s->mode == 6) {
		rapdu[0] = 0x92; /* not a normal ending */
		rapdu[1] = 0x40;
	} else if (capdu[1] == 0xE2 && s->mode == 8) {
		rapdu[0] = 0x61; /* ran; its answer then lost: GET RESPONSE refused */
		rapdu[1] = 0x06;
	} else if (capdu[1] == 0xC0 && s->mode == 8) {
		rapdu[0] = 0x69;
		rapdu[1] = 0x85;
	}
	return ORSP_OK;
}

/* A card that answers each STORE DATA with PrepareDownloadResponse-like bytes holding hashCc
 * (echo_hcc: euiccSigned2 echoes it), through GET RESPONSE (61xx) first, or refuses it (6A80):
 * it copies nothing onto its own stack. */
static uint8_t echo_hcc[32];
static bool echo_refuse;

static orsp_err echo_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                              size_t cap, size_t *rlen)
{
	(void)user;
	(void)cap;
	if (echo_refuse && capdu[1] == 0xE2) {
		rapdu[0] = 0x6A;
		rapdu[1] = 0x80;
		*rlen = 2;
	} else if (capdu[1] == 0xE2 && capdu[2] == 0x91) {
		rapdu[0] = 0x61;
		rapdu[1] = 36;
		*rlen = 2;
	} else if (capdu[1] == 0xE2 || n != 5) {
		rapdu[0] = 0x90;
		rapdu[1] = 0x00;
		*rlen = 2;
	} else { /* GET RESPONSE */
		memcpy(rapdu, "\xBF\x21\x22\x04\x20", 5);
		memcpy(rapdu + 5, echo_hcc, 32);
		rapdu[37] = 0x90;
		rapdu[38] = 0x00;
		*rlen = 39;
	}
	return ORSP_OK;
}

/* hashCc goes to the card in PrepareDownload and comes back in its answer: neither the
 * STORE DATA blocks nor the answer's APDUs leave a copy of it in the driver's dead frames, on
 * success and when the card refuses (both did before). */
static void test_hash_cc_not_left_on_stack(void **state)
{
	static uint8_t req[2 + 1 + 2 + 32 + 300], out[64];
	orsp_lpa_transport t = {.user = NULL, .transmit = echo_transmit};
	orsp_lpa_card c = {.t = t, .channel = 1, .open = true, .mss = 120};
	size_t rl = 0;
	orsp_err e;
	bool found;
	(void)state;

	if (!test_stack_scan_works)
		skip();
	for (size_t i = 0; i < 32; i++)
		echo_hcc[i] = (uint8_t)(0xA5 ^ (i * 7));
	/* BF21 82 len: hashCc across the first two blocks of 120, then filler */
	req[0] = 0xBF;
	req[1] = 0x21;
	req[2] = 0x82;
	req[3] = (uint8_t)((sizeof(req) - 5) >> 8);
	req[4] = (uint8_t)(sizeof(req) - 5);
	memcpy(req + 100, echo_hcc, 32);
	for (int refuse = 0; refuse < 2; refuse++) {
		echo_refuse = refuse;
		test_stack_clear();
		e = orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl);
		found = test_stack_find(echo_hcc, sizeof(echo_hcc));
		if (refuse) {
			assert_int_equal(e, ORSP_E_STATE);
		} else {
			assert_int_equal(e, ORSP_OK);
			assert_int_equal(rl, 37);
			assert_memory_equal(out + 5, echo_hcc, 32);
		}
		if (found)
			fail_msg("hashCc left on the stack (%s)", refuse ? "refused" : "answered");
	}
	echo_refuse = false;
}

/* The card held for each ES10 function (the transport's begin and end, PC/SC's transaction):
 * begun before its first block, ended after its last answer, also when the card refuses it;
 * a begin that fails sends nothing (until session 67 another client of the reader could send
 * commands between the blocks). */
typedef struct held {
	script s;
	int begun, ended, open; /* open: begun and not ended when a command went */
	bool refuse_begin;
	bool outside; /* a command sent while not held */
} held;

static orsp_err held_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                              size_t cap, size_t *rlen)
{
	held *h = user;
	if (!h->open && capdu[1] == 0xE2)
		h->outside = true;
	return script_transmit(&h->s, capdu, n, rapdu, cap, rlen);
}

static orsp_err held_begin(void *user)
{
	held *h = user;
	if (h->refuse_begin)
		return orsp_errf(ORSP_E_STATE, "PC/SC begin transaction: refused by the test");
	h->begun++;
	h->open = 1;
	return ORSP_OK;
}

static void held_end(void *user)
{
	held *h = user;
	h->ended++;
	h->open = 0;
}

static void test_transaction(void **state)
{
	static const uint8_t req[] = {0xBF, 0x2E, 0x00};
	static held h;
	orsp_lpa_transport t = {
	    .user = &h, .transmit = held_transmit, .begin = held_begin, .end = held_end};
	orsp_lpa_card c;
	uint8_t out[64];
	size_t rl = 0;
	(void)state;

	memset(&h, 0, sizeof(h));
	h.s.mode = 7; /* every block answered 9000 */
	assert_int_equal(orsp_lpa_card_open(&c, &t), ORSP_OK);
	assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl), ORSP_OK);
	assert_int_equal(h.begun, 1);
	assert_int_equal(h.ended, 1);
	/* many blocks, one transaction */
	{
		static uint8_t big[400];
		big[0] = 0xBF;
		big[1] = 0x22;
		assert_int_equal(orsp_lpa_es10(&c, big, sizeof(big), out, sizeof(out), &rl),
		                 ORSP_OK);
		assert_int_equal(h.begun, 2);
		assert_int_equal(h.ended, 2);
	}
	/* refused by the card: ended all the same */
	h.s.mode = 6;
	assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl), ORSP_E_STATE);
	assert_int_equal(h.ended, 3);
	assert_false(h.outside);
	/* a begin refused: nothing sent, nothing to end */
	h.refuse_begin = true;
	h.s.n = 0;
	assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl), ORSP_E_STATE);
	assert_int_equal(h.s.n, 0);
	assert_int_equal(h.ended, 3);
	h.refuse_begin = false;
	orsp_lpa_card_close(&c);
}

static void test_status_words(void **state)
{
	static const uint8_t req[] = {0xBF, 0x2E, 0x00};
	script s = {0};
	orsp_lpa_transport t = {.user = &s, .transmit = script_transmit};
	orsp_lpa_card c;
	uint8_t out[64];
	size_t rl = 0;
	(void)state;

	assert_int_equal(orsp_lpa_card_open(&c, &t), ORSP_OK);
	assert_int_equal(c.channel, 2);
	assert_int_equal(s.sent[2][0], 0x02); /* SELECT on channel 2 */
	s.n = 0;
	assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl), ORSP_OK);
	assert_int_equal(rl, 5);
	assert_int_equal(s.n, 2);
	/* the same STORE DATA again, only Le changed */
	assert_int_equal(s.sent_len[1], s.sent_len[0]);
	assert_bytes_equal(s.sent[1], s.sent[0], s.sent_len[0] - 1);
	assert_int_equal(s.sent[0][0], 0x82);
	assert_int_equal(s.sent[1][s.sent_len[1] - 1], 0x05);
	s.mode = 1;
	assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl),
	                 ORSP_E_MALFORMED);
	s.mode = 2;
	assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl),
	                 ORSP_E_MALFORMED);
	/* 91XX ends an ES10 function normally (ETSI TS 102 221 §10.2.1.1): the pending
	 * proactive command is not fetched */
	s.mode = 4;
	s.n = 0;
	assert_int_equal(orsp_lpa_enable(&c, ICCID1), ORSP_OK);
	assert_int_equal(c.last_sw, 0x9110);
	assert_int_equal(s.n, 1);
	s.mode = 5;
	s.n = 0;
	assert_int_equal(orsp_lpa_enable(&c, ICCID1), ORSP_OK);
	assert_int_equal(c.last_sw, 0x9110);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.sent[1][1], 0xC0);
	s.mode = 6;
	assert_int_equal(orsp_lpa_enable(&c, ICCID1), ORSP_E_STATE);
	assert_int_equal(c.last_sw, 0x9240);
	/* 61xx, then GET RESPONSE refused: the command ran, its answer is lost (until session 67
	 * "card refused STORE DATA block 0", though the profile may be enabled) */
	s.mode = 8;
	assert_int_equal(orsp_lpa_enable(&c, ICCID1), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "the eUICC ran the command, but its answer was "
	                                          "lost (GET RESPONSE: SW 6985)"));
	/* STORE DATA numbers its blocks in P2, one byte: 256 blocks go (the last numbered FF), a
	 * request that needs more is refused before any block is sent */
	{
		static uint8_t big[257];
		big[0] = 0xBF;
		big[1] = 0x22;
		s.mode = 7; /* every block answered 9000 */
		c.mss = 1;
		s.n = 0;
		assert_int_equal(orsp_lpa_es10(&c, big, 256, out, sizeof(out), &rl), ORSP_OK);
		assert_int_equal(s.n, 16); /* the log keeps 16 */
		s.n = 0;
		assert_int_equal(orsp_lpa_es10(&c, big, 257, out, sizeof(out), &rl),
		                 ORSP_E_RESOURCE);
		assert_int_equal(s.n, 0);
		assert_non_null(strstr(orsp_err_detail(), "needs more than 256 STORE DATA blocks"));
		c.mss = 0;
	}
	s.mode = 3;
	s.n = 0;
	orsp_lpa_card_close(&c);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.sent[0][1], 0x70); /* MANAGE CHANNEL close of channel 2 */
	assert_int_equal(s.sent[0][2], 0x80);
	assert_int_equal(s.sent[0][3], 0x02);
}

/* A card whose MANAGE CHANNEL answer is canned (hex, with its status word); every other
 * command is answered 9000. What the LPA sent is kept. */
typedef struct chan_card {
	const char *manage;
	uint8_t sent[8][261];
	size_t n;
} chan_card;

static orsp_err chan_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                              size_t cap, size_t *rlen)
{
	chan_card *cc = user;
	if (cc->n < 8 && n <= 261)
		memcpy(cc->sent[cc->n++], capdu, n);
	if (capdu[1] == 0x70 && n == 5)
		return orsp_hex_decode(cc->manage, rapdu, cap, rlen);
	rapdu[0] = 0x90;
	rapdu[1] = 0x00;
	*rlen = 2;
	return ORSP_OK;
}

/* MANAGE CHANNEL: a refusal, channel 0 (the basic one), channel 20 (beyond TS 102 221's 19)
 * or an answer of two bytes opens nothing, and nothing more is sent; channels 4 to 19 are
 * addressed with the further-interindustry CLA (TS 102 221 §10.1.1: '4X' / 'CX'). */
static void test_manage_channel(void **state)
{
	static const uint8_t req[] = {0xBF, 0x2E, 0x00};
	static const char *const bad[] = {"6A81", "009000", "149000", "01029000"};
	static const char *const bad_sw[] = {"6A81", "9000", "9000", "9000"};
	orsp_lpa_card c;
	uint8_t out[16];
	size_t rl = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		chan_card cc = {.manage = bad[i]};
		orsp_lpa_transport t = {.user = &cc, .transmit = chan_transmit};
		char want[64];
		assert_int_equal(orsp_lpa_card_open(&c, &t), ORSP_E_STATE);
		snprintf(want, sizeof(want), "card: MANAGE CHANNEL refused (SW %s)", bad_sw[i]);
		assert_string_equal(orsp_err_detail(), want);
		assert_false(c.open);
		assert_int_equal(cc.n, 2); /* TERMINAL CAPABILITY, MANAGE CHANNEL: no SELECT */
	}
	static const struct {
		const char *manage;
		uint8_t channel, select_cla, store_cla;
	} ok[] = {{"049000", 4, 0x40, 0xC0}, {"139000", 19, 0x4F, 0xCF}, {"039000", 3, 0x03, 0x83}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		chan_card cc = {.manage = ok[i].manage};
		orsp_lpa_transport t = {.user = &cc, .transmit = chan_transmit};
		assert_int_equal(orsp_lpa_card_open(&c, &t), ORSP_OK);
		assert_int_equal(c.channel, ok[i].channel);
		assert_int_equal(cc.sent[2][0], ok[i].select_cla);
		assert_int_equal(cc.sent[2][1], 0xA4);
		assert_int_equal(orsp_lpa_es10(&c, req, sizeof(req), out, sizeof(out), &rl),
		                 ORSP_OK);
		assert_int_equal(cc.sent[3][0], ok[i].store_cla);
		assert_int_equal(cc.sent[3][1], 0xE2);
		orsp_lpa_card_close(&c);
	}
}

/* Answers of the eUICC that are well-formed DER but not what SGP.22 defines, or results the
 * other tests do not send: each refused with its own message, none taken for success. */
static void test_odd_answers(void **state)
{
	fixture *x = *state;
	orsp_lpa_profile p[2];
	orsp_lpa_notification no[2];
	size_t n = 7;

	/* GetProfilesInfo whose BF2D is empty, or holds two lists: MALFORMED, nothing listed */
	static const char *const bad_profiles[] = {"BF2D00", "BF2D04A000A000"};
	for (size_t i = 0; i < sizeof(bad_profiles) / sizeof(bad_profiles[0]); i++) {
		reset_log(x);
		answer(x, bad_profiles[i]);
		n = 7;
		assert_int_equal(orsp_lpa_profiles(&x->card, p, 2, &n), ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(), "card: GetProfilesInfo answer");
		assert_int_equal(n, 0);
	}
	/* a ProfileInfo whose ICCID is not BCD digits: listed, its ICCID shown as "?" */
	reset_log(x);
	answer(x, "BF2D10A00EE30C5A0AAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(orsp_lpa_profiles(&x->card, p, 2, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].iccid, "?");

	/* results of a profile operation the other tests do not send: wrong profile
	 * re-enabling (4), a code SGP.22 does not define (6); for a nickname (no notification
	 * recorded) undefinedError (127) without asking for the notifications, and a state
	 * error (2) named without an operation */
	static const struct {
		const char *answer;
		int op; /* 0 enable, 1 nickname */
		orsp_err want;
		const char *detail;
	} results[] = {
	    {"BF3103800104", 0, ORSP_E_STATE, "wrong profile re-enabling"},
	    {"BF3103800106", 0, ORSP_E_STATE, "the eUICC answered error 6"},
	    {"BF290380017F", 1, ORSP_E_STATE, "the eUICC answered undefinedError (127)"},
	    {"BF2903800102", 1, ORSP_E_STATE, "the profile is not in the required state"},
	};
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		orsp_err e;
		reset_log(x);
		answer(x, results[i].answer);
		e = results[i].op ? orsp_lpa_set_nickname(&x->card, ICCID1, "home")
		                  : orsp_lpa_enable(&x->card, ICCID1);
		assert_int_equal(e, results[i].want);
		assert_string_equal(orsp_err_detail(), results[i].detail);
		assert_int_equal(x->f.n_cmd, 1); /* no ListNotification asked */
	}

	/* undefinedError from an enable with notifications pending: the message names their
	 * SM-DP+ addresses (case-insensitively the same counted once, three named, the others
	 * counted) and the command that removes those of one; with several addresses, or one
	 * that is no host name (nothing a shell would act on goes into a command to paste),
	 * ADDRESS stands for it. Until session 74 it named none. */
#define LIST_7                                                                                     \
	"BF288195A08192BF2F12800101810207800C09612E6578616D706C65BF2F12800102810207800C09412E45"   \
	"58414D504C45BF2F12800103810207800C09622E6578616D706C65BF2F11800104810207800C0862616420"   \
	"61646472BF2F12800105810207800C09632E6578616D706C65BF2F12800106810207800C09642E657861"     \
	"6D706C65BF2F12800107810207800C09612E6578616D706C65"
	static const struct {
		const char *list, *detail;
	} full[] = {
	    {LIST_7, "7 notifications pending (3 for a.example, 1 for b.example, 1 for bad addr, "
	             "and for 2 other addresses)"},
	    {"BF2816A014BF2F11800101810207800C086261642061646472",
	     "1 notification pending (1 for bad addr)"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(full); i++) {
		char want[600];
		reset_log(x);
		answer(x, "BF310380017F");
		answer(x, full[i].list);
		answer(x, full[i].list);
		assert_int_equal(orsp_lpa_enable(&x->card, ICCID1), ORSP_E_STATE);
		snprintf(
		    want, sizeof(want),
		    "the eUICC answered undefinedError (127) with %s: its notification list "
		    "likely has no room for this change's notifications (an eUICC refuses a "
		    "change it could not record): deliver %s (`openrsp lpa notification "
		    "process`) or remove %s, then try again; those of an SM-DP+ that keeps "
		    "refusing them: `openrsp lpa notification remove --address ADDRESS` removes "
		    "them unsent",
		    full[i].detail, i ? "it" : "them", i ? "it" : "some");
		assert_string_equal(orsp_err_detail(), want);
	}
#undef LIST_7

	/* ListNotification answering its error choice [1]: a state error, nothing listed */
	reset_log(x);
	answer(x, "BF2803810101");
	n = 7;
	assert_int_equal(orsp_lpa_notifications(&x->card, no, 2, &n), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(), "card: ListNotification error");
	assert_int_equal(n, 0);
	/* a seqNumber that is no DER INTEGER (empty, non-minimal): MALFORMED, nothing listed */
	static const char *const bad_seq[] = {"BF2811A00FBF2F0C8000810207800C0461612E62",
	                                      "BF2813A011BF2F0E80020001810207800C0461612E62"};
	for (size_t i = 0; i < sizeof(bad_seq) / sizeof(bad_seq[0]); i++) {
		reset_log(x);
		answer(x, bad_seq[i]);
		n = 7;
		assert_int_equal(orsp_lpa_notifications(&x->card, no, 2, &n), ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(), "card: seqNumber");
		assert_int_equal(n, 0);
	}
	/* a notification's ICCID that is not BCD digits: listed without one */
	reset_log(x);
	answer(x, "BF281EA01CBF2F19800101810207800C0461612E625A0AAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(orsp_lpa_notifications(&x->card, no, 2, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(no[0].seq, 1);
	assert_string_equal(no[0].iccid, "");
	/* NotificationSent answered with another tag than [0] deleteNotificationStatus, or
	 * a non-minimal INTEGER: MALFORMED, not taken for "removed" */
	static const char *const bad_sent[] = {"BF3003810100", "BF300480020000"};
	for (size_t i = 0; i < sizeof(bad_sent) / sizeof(bad_sent[0]); i++) {
		reset_log(x);
		answer(x, bad_sent[i]);
		assert_int_equal(orsp_lpa_notification_remove(&x->card, 1), ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(), "card: NotificationSent answer");
	}

	/* SetDefaultDpAddress and eUICCMemoryReset answered with another tag than [0], or a
	 * non-minimal INTEGER: MALFORMED, not taken for ok */
	static const char *const bad_dp[] = {"BF3F03810100", "BF3F0480020000"};
	for (size_t i = 0; i < sizeof(bad_dp) / sizeof(bad_dp[0]); i++) {
		reset_log(x);
		answer(x, bad_dp[i]);
		assert_int_equal(orsp_lpa_set_default_dp(&x->card, "smdp.example.com"),
		                 ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(), "card: SetDefaultDpAddress answer");
	}
	static const char *const bad_reset[] = {"BF3403810100", "BF340480020000"};
	for (size_t i = 0; i < sizeof(bad_reset) / sizeof(bad_reset[0]); i++) {
		reset_log(x);
		answer(x, bad_reset[i]);
		assert_int_equal(orsp_lpa_memory_reset(&x->card, ORSP_LPA_RESET_TEST),
		                 ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(), "card: eUICCMemoryReset answer");
	}
}

/* Two cards, each driven by its own thread: the calls that read large answers (GetProfilesInfo,
 * ListNotification) keep them in the call's own buffer, so neither sees the other's card.
 * Run under ThreadSanitizer (-DORSP_TSAN=ON) a shared buffer is reported as a race; without
 * it, the answers would get mixed now and then. */
typedef struct card_thread {
	const char *profiles, *notifications; /* the card's answers (hex) */
	const char *iccid;
	uint64_t seq;
	int failures;
} card_thread;

static orsp_err thread_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                                size_t cap, size_t *rlen)
{
	const card_thread *ct = user;
	size_t k = 0;
	(void)cap;
	if (capdu[1] == 0x70 && n == 5) { /* MANAGE CHANNEL open: channel 1 */
		rapdu[k++] = 0x01;
	} else if (capdu[1] == 0xE2 && n > 6) {
		const char *hex = capdu[6] == 0x2D ? ct->profiles : ct->notifications;
		if (orsp_hex_decode(hex, rapdu, 64, &k))
			return ORSP_E_MALFORMED;
	}
	rapdu[k++] = 0x90;
	rapdu[k++] = 0x00;
	*rlen = k;
	return ORSP_OK;
}

static void *card_thread_run(void *arg)
{
	card_thread *ct = arg;
	orsp_lpa_transport t = {.user = ct, .transmit = thread_transmit};
	orsp_lpa_card c;
	orsp_lpa_profile p[2];
	orsp_lpa_notification no[2];
	size_t n = 0;

	if (orsp_lpa_card_open(&c, &t)) {
		ct->failures++;
		return NULL;
	}
	for (int i = 0; i < 300; i++) {
		if (orsp_lpa_profiles(&c, p, 2, &n) || n != 1 || strcmp(p[0].iccid, ct->iccid))
			ct->failures++;
		if (orsp_lpa_notifications(&c, no, 2, &n) || n != 1 || no[0].seq != ct->seq)
			ct->failures++;
	}
	orsp_lpa_card_close(&c);
	return NULL;
}

static void test_two_cards_two_threads(void **state)
{
	card_thread ct[2] = {
	    {"BF2D10A00EE30C5A0A" ICCID1_EF, "BF2811A00FBF2F0C800105810207800C03612E62", ICCID1, 5,
	     0},
	    {"BF2D10A00EE30C5A0A" ICCID2_EF, "BF2811A00FBF2F0C800106810207800C03612E62", ICCID2, 6,
	     0},
	};
	pthread_t th[2];
	(void)state;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, card_thread_run, &ct[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(ct[0].failures, 0);
	assert_int_equal(ct[1].failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_data_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_card_error, setup, teardown),
	    cmocka_unit_test(test_no_isdr),
	    cmocka_unit_test(test_status_words),
	    cmocka_unit_test(test_transaction),
	    cmocka_unit_test(test_hash_cc_not_left_on_stack),
	    cmocka_unit_test(test_manage_channel),
	    cmocka_unit_test(test_two_cards_two_threads),
	    cmocka_unit_test_setup_teardown(test_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_profiles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_large_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notifications_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iccid_without_check_digit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notifications, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bpp_real, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bpp_synthetic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_info2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memory_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_odd_answers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
