/* The eUICC's APDU layer (src/euicc): APDU cases, CLA coding, ATR, logical channels, SELECT,
 * STORE DATA chaining, GET RESPONSE chunking, TERMINAL CAPABILITY and every status word.
 *
 * Outside data: the APDUs lpac and pySim send (apdu/lpac_session.tsv), the TS 102 221 status
 * word table as pySim has it (apdu/ts102221_sw.tsv), and pySim's bound profile package
 * (sgp22/bpp/bpp.der), segmented the way lpac's es10b.c does and sent in lpac's 120-byte
 * STORE DATA blocks. Expected answers elsewhere follow from ISO/IEC 7816-4 and TS 102 221;
 * the ATR is checked by an ISO/IEC 7816-3 parser written here. The applications are test
 * doubles that record what reaches them.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/euicc.h"

/* ---------------------------------------------------------------- fixtures -------------- */

/* A test application: records calls, echoes STORE DATA or answers with a pattern. */
typedef struct test_app {
	int selects[ORSP_EUICC_MAX_CHANNELS];
	int deselects[ORSP_EUICC_MAX_CHANNELS];
	uint16_t select_sw;  /* what select answers (9000 by default) */
	const uint8_t *prop; /* proprietary FCI data written at select */
	size_t prop_len;
	uint16_t sw;        /* what store_data / process answer */
	size_t pattern_len; /* > 0: answer that many pattern bytes instead of the echo */
	int calls;          /* store_data + process calls */
	uint8_t last_channel;
	uint8_t last_ins;
	uint8_t last[ORSP_EUICC_MAX_COMMAND];
	size_t last_len;
	int resets;          /* reset calls */
	int deselects_reset; /* deselects (all channels) when reset was last called */
} test_app;

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 1);
}

static uint16_t app_select(void *user, uint8_t ch, orsp_writer *prop)
{
	test_app *a = user;
	a->selects[ch]++;
	if (a->prop_len)
		orsp_write_bytes(prop, a->prop, a->prop_len);
	return a->select_sw;
}

static void app_deselect(void *user, uint8_t ch)
{
	test_app *a = user;
	a->deselects[ch]++;
}

static void app_card_reset(void *user)
{
	test_app *a = user;
	a->resets++;
	a->deselects_reset = 0;
	for (size_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++)
		a->deselects_reset += a->deselects[ch];
}

static uint16_t app_answer(test_app *a, uint8_t ch, orsp_slice data, orsp_writer *rsp)
{
	a->calls++;
	a->last_channel = ch;
	assert_true(data.len <= sizeof(a->last));
	if (data.len)
		memcpy(a->last, data.p, data.len);
	a->last_len = data.len;
	if (a->pattern_len) {
		for (size_t i = 0; i < a->pattern_len; i++)
			orsp_write_u8(rsp, pattern(i));
	} else {
		orsp_write_bytes(rsp, data.p, data.len);
	}
	return a->sw;
}

static uint16_t app_store_data(void *user, uint8_t ch, orsp_slice data, orsp_writer *rsp)
{
	test_app *a = user;
	a->last_ins = 0xE2;
	return app_answer(a, ch, data, rsp);
}

static uint16_t app_process(void *user, uint8_t ch, const orsp_apdu *cmd, orsp_writer *rsp)
{
	test_app *a = user;
	a->last_ins = cmd->ins;
	return app_answer(a, ch, cmd->data, rsp);
}

static const orsp_euicc_app_ops full_ops = {
    .select = app_select,
    .deselect = app_deselect,
    .store_data = app_store_data,
    .process = app_process,
    .reset = app_card_reset,
};
static const orsp_euicc_app_ops select_only_ops = {
    .select = app_select,
    .deselect = app_deselect,
};

/* Test AIDs: 'F' (proprietary, not registered) + ASCII. A2 extends A: "F0 testA" selects A
 * exactly and A2 partially. */
static const uint8_t AID_A[] = {0xF0, 't', 'e', 's', 't', 'A'};
static const uint8_t AID_A2[] = {0xF0, 't', 'e', 's', 't', 'A', '2'};
static const uint8_t AID_B[] = {0xF0, 't', 'e', 's', 't', 'B'};
static const uint8_t AID_ISDR[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

static orsp_euicc_apdu_ctx ctx;
static uint8_t cmd_buf[ORSP_EUICC_MAX_COMMAND];
static uint8_t rsp_buf[ORSP_EUICC_MAX_RESPONSE];
static test_app app_a, app_a2, app_b, app_isdr;

static void app_reset(test_app *a)
{
	memset(a, 0, sizeof(*a));
	a->select_sw = ORSP_SW_OK;
	a->sw = ORSP_SW_OK;
}

/* A fresh card with A, A2 (select only), B and an echo under the ISD-R AID. */
static void card(size_t cmd_cap, size_t rsp_cap)
{
	app_reset(&app_a);
	app_reset(&app_a2);
	app_reset(&app_b);
	app_reset(&app_isdr);
	memset(cmd_buf, 0, sizeof(cmd_buf));
	memset(rsp_buf, 0, sizeof(rsp_buf));
	assert_int_equal(orsp_euicc_apdu_init(&ctx, cmd_buf, cmd_cap, rsp_buf, rsp_cap), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&ctx, AID_A, sizeof(AID_A), &full_ops, &app_a),
	                 ORSP_OK);
	assert_int_equal(
	    orsp_euicc_apdu_register(&ctx, AID_A2, sizeof(AID_A2), &select_only_ops, &app_a2),
	    ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&ctx, AID_B, sizeof(AID_B), &full_ops, &app_b),
	                 ORSP_OK);
	assert_int_equal(
	    orsp_euicc_apdu_register(&ctx, AID_ISDR, sizeof(AID_ISDR), &full_ops, &app_isdr),
	    ORSP_OK);
}

static void default_card(void)
{
	card(sizeof(cmd_buf), sizeof(rsp_buf));
}

/* Hex with optional spaces. */
static size_t hexb(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		if (*s == ' ')
			continue;
		int v = (*s >= '0' && *s <= '9')   ? *s - '0'
		        : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
		        : (*s >= 'A' && *s <= 'F') ? *s - 'A' + 10
		                                   : -1;
		assert_true(v >= 0);
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_true(hi < 0);
	return n;
}

static size_t xfer_bytes(const uint8_t *c, size_t n, uint8_t *r)
{
	size_t rlen = 0;
	assert_int_equal(orsp_euicc_apdu_process(&ctx, c, n, r, ORSP_EUICC_RAPDU_MAX, &rlen),
	                 ORSP_OK);
	assert_true(rlen >= 2 && rlen <= ORSP_EUICC_RAPDU_MAX);
	return rlen;
}

static size_t xfer(const char *hex, uint8_t *r)
{
	uint8_t c[70000];
	size_t n = hexb(hex, c, sizeof(c));
	return xfer_bytes(c, n, r);
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
	return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

/* The status word of a command that must return no data. */
static uint16_t sw(const char *hex)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	size_t n = xfer(hex, r);
	if (n != 2)
		fail_msg("%s: %zu data bytes where none were expected (detail: %s)", hex, n - 2,
		         orsp_err_detail());
	return sw_of(r, n);
}

#define assert_sw(hex, want)                                                                       \
	do {                                                                                       \
		uint16_t got_ = sw(hex);                                                           \
		if (got_ != (want))                                                                \
			fail_msg("%s: SW %04X, expected %04X (%s)", (hex), got_, (unsigned)(want), \
			         orsp_err_detail());                                               \
	} while (0)

static void expect(const char *capdu, const char *rapdu)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX], want[ORSP_EUICC_RAPDU_MAX];
	size_t n = xfer(capdu, r);
	size_t wn = hexb(rapdu, want, sizeof(want));
	if (n != wn || memcmp(r, want, n) != 0) {
		char got[2 * ORSP_EUICC_RAPDU_MAX + 1];
		assert_int_equal(orsp_hex_encode(r, n, got, sizeof(got)), ORSP_OK);
		fail_msg("%s: got %s, expected %s (%s)", capdu, got, rapdu, orsp_err_detail());
	}
}

/* Build a short APDU from parts. */
static size_t apdu(uint8_t *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                   const uint8_t *data, size_t n)
{
	assert_true(n <= 255);
	out[0] = cla;
	out[1] = ins;
	out[2] = p1;
	out[3] = p2;
	if (n == 0)
		return 4;
	out[4] = (uint8_t)n;
	memcpy(out + 5, data, n);
	return 5 + n;
}

static uint16_t select_aid(uint8_t cla, const uint8_t *aid, size_t len, uint8_t p2)
{
	uint8_t c[32], r[ORSP_EUICC_RAPDU_MAX];
	size_t n = xfer_bytes(c, apdu(c, cla, 0xA4, 0x04, p2, aid, len), r);
	return sw_of(r, n);
}

/* Send data as one STORE DATA command in blocks of `block` bytes (lpac es10x.c: P1 11 for
 * every block but the last, 91 for the last, P2 counting from 00), checking 9000 on every
 * intermediate block; returns the last block's status word. */
static uint16_t store_data(uint8_t cla, const uint8_t *data, size_t len, size_t block)
{
	uint8_t c[300], r[ORSP_EUICC_RAPDU_MAX];
	size_t off = 0, n = 0;
	unsigned seq = 0;
	for (;;) {
		size_t k = len - off > block ? block : len - off;
		bool last = off + k == len;
		n = xfer_bytes(
		    c, apdu(c, cla, 0xE2, last ? 0x91 : 0x11, (uint8_t)seq, data + off, k), r);
		if (last)
			break;
		if (n != 2 || sw_of(r, n) != ORSP_SW_OK)
			fail_msg("block %u: SW %04X (%s)", seq, sw_of(r, n), orsp_err_detail());
		off += k;
		seq++;
	}
	assert_int_equal(n, 2);
	return sw_of(r, n);
}

/* Collect a pending response with GET RESPONSE (CLA cla) and Le = le (0: use SW2 each time);
 * first_sw is the status word that announced it. Returns the length; counts the calls. */
static size_t collect(uint8_t cla, uint16_t first_sw, int le, uint8_t *out, size_t cap, int *calls)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	uint16_t s = first_sw;
	size_t len = 0;
	*calls = 0;
	while ((s >> 8) == 0x61) {
		uint8_t c[5] = {cla, 0xC0, 0x00, 0x00, (uint8_t)(le >= 0 ? le : (s & 0xFF))};
		size_t n = xfer_bytes(c, 5, r);
		(*calls)++;
		s = sw_of(r, n);
		if ((s >> 8) == 0x6C) {
			/* TS 102 221: resend with the Le the card names */
			c[4] = (uint8_t)s;
			n = xfer_bytes(c, 5, r);
			(*calls)++;
			s = sw_of(r, n);
		}
		assert_true(len + n - 2 <= cap);
		memcpy(out + len, r, n - 2);
		len += n - 2;
		assert_true(*calls < 10000);
	}
	assert_int_equal(s, ORSP_SW_OK);
	return len;
}

/* ---------------------------------------------------------------- parsing -------------- */

typedef struct parse_case {
	const char *hex;
	bool ok;
	size_t nc;
	uint32_t ne;
	bool le, ext;
} parse_case;

/* ISO/IEC 7816-4 §5.1: the seven encodings, and what is none of them. */
static const parse_case parse_cases[] = {
    {"00A40400", true, 0, 0, false, false},                  /* case 1 */
    {"00C0000010", true, 0, 16, true, false},                /* 2S */
    {"00C0000000", true, 0, 256, true, false},               /* 2S, Le 00 = 256 */
    {"00A4040001AA", true, 1, 0, false, false},              /* 3S, Lc 1 */
    {"00A4040002AABB", true, 2, 0, false, false},            /* 3S */
    {"00A4040002AABB00", true, 2, 256, true, false},         /* 4S, Le 00 */
    {"00A4040001AA7F", true, 1, 127, true, false},           /* 4S */
    {"00C00000000000", true, 0, 65536, true, true},          /* 2E, Le 0000 = 65536 */
    {"00C00000000100", true, 0, 256, true, true},            /* 2E */
    {"00E2910000000201 02", true, 2, 0, false, true},        /* 3E */
    {"00E291000000020102 0000", true, 2, 65536, true, true}, /* 4E */
    {"00E291000000020102 0005", true, 2, 5, true, true},     /* 4E */
    {"", false, 0, 0, false, false},
    {"00", false, 0, 0, false, false},
    {"00A404", false, 0, 0, false, false},
    {"00A4040002AA", false, 0, 0, false, false},              /* Lc 2, one byte */
    {"00A4040001AABBCC", false, 0, 0, false, false},          /* Lc 1, three bytes */
    {"00A404000000", false, 0, 0, false, false},              /* 00 then one byte */
    {"00A4040000000000", false, 0, 0, false, false},          /* extended Lc 0000 + 1 byte */
    {"00A404000000000000", false, 0, 0, false, false},        /* extended Lc 0000 + 2 bytes */
    {"00E291000000020102 00", false, 0, 0, false, false},     /* extended Lc 2, 3 bytes */
    {"00E291000000030102", false, 0, 0, false, false},        /* extended Lc 3, 2 bytes */
    {"00E29100000002010200 0000", false, 0, 0, false, false}, /* trailing byte */
    {"00E2910000FFFF", true, 0, 65535, true, true},           /* 2E, Le FFFF */
    {"00E2910000FFFF01", false, 0, 0, false, false},          /* extended Lc FFFF, 1 byte */
};

static void test_parse_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(parse_cases); i++) {
		const parse_case *pc = &parse_cases[i];
		uint8_t b[64];
		size_t n = hexb(pc->hex, b, sizeof(b));
		orsp_apdu a;
		orsp_err e = orsp_apdu_parse(b, n, &a);
		if (!pc->ok) {
			if (e != ORSP_E_MALFORMED)
				fail_msg("case %zu '%s' accepted", i, pc->hex);
			continue;
		}
		if (e != ORSP_OK)
			fail_msg("case %zu '%s': %s", i, pc->hex, orsp_err_detail());
		assert_int_equal(a.cla, b[0]);
		assert_int_equal(a.ins, b[1]);
		assert_int_equal(a.p1, b[2]);
		assert_int_equal(a.p2, b[3]);
		assert_int_equal(a.data.len, pc->nc);
		assert_int_equal(a.ne, pc->ne);
		assert_int_equal(a.le_present, pc->le);
		assert_int_equal(a.extended, pc->ext);
		if (pc->nc)
			assert_ptr_equal(a.data.p, b + (pc->ext ? 7 : 5));
	}
	/* the largest extended case 4 */
	size_t big = 4 + 3 + 65535 + 2;
	uint8_t *b = calloc(1, big);
	assert_non_null(b);
	b[5] = 0xFF;
	b[6] = 0xFF;
	orsp_apdu a;
	assert_int_equal(orsp_apdu_parse(b, big, &a), ORSP_OK);
	assert_int_equal(a.data.len, 65535);
	assert_int_equal(a.ne, 65536);
	assert_int_equal(orsp_apdu_parse(b, big - 1, &a), ORSP_E_MALFORMED);
	free(b);
	uint8_t h[4] = {0};
	assert_int_equal(orsp_apdu_parse(NULL, 4, &a), ORSP_E_USAGE);
	assert_int_equal(orsp_apdu_parse(h, 4, NULL), ORSP_E_USAGE);
}

/* TS 102 221 §10.1.1 CLA coding, rebuilt here from (channel, class) for every byte. */
static void test_cla_coding(void **state)
{
	(void)state;
	static const struct {
		uint8_t cla;
		uint16_t sw;
		uint8_t ch;
		bool prop;
	} cases[] = {
	    {0x00, ORSP_SW_OK, 0, false},
	    {0x03, ORSP_SW_OK, 3, false},
	    {0x80, ORSP_SW_OK, 0, true},
	    {0x81, ORSP_SW_OK, 1, true},
	    {0x40, ORSP_SW_OK, 4, false},
	    {0x4F, ORSP_SW_OK, 19, false},
	    {0xC0, ORSP_SW_OK, 4, true},
	    {0xCF, ORSP_SW_OK, 19, true},
	    {0x04, ORSP_SW_SM_NOT_SUPPORTED, 0, false},
	    {0x0C, ORSP_SW_SM_NOT_SUPPORTED, 0, false},
	    {0x84, ORSP_SW_SM_NOT_SUPPORTED, 0, false},
	    {0x60, ORSP_SW_SM_NOT_SUPPORTED, 0, false},
	    {0xE1, ORSP_SW_SM_NOT_SUPPORTED, 0, false},
	    {0x10, ORSP_SW_CHAINING_NOT_SUPPORTED, 0, false},
	    {0x13, ORSP_SW_CHAINING_NOT_SUPPORTED, 0, false},
	    {0x50, ORSP_SW_CHAINING_NOT_SUPPORTED, 0, false},
	    {0x20, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0x3F, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0x90, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0xA0, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0xB3, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0xD0, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0xF0, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	    {0xFF, ORSP_SW_CLA_NOT_SUPPORTED, 0, false},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		uint8_t ch = 0xEE;
		bool prop = false;
		uint16_t s = orsp_apdu_decode_cla(cases[i].cla, &ch, &prop);
		if (s != cases[i].sw)
			fail_msg("CLA %02X: %04X, expected %04X", cases[i].cla, s, cases[i].sw);
		if (s == ORSP_SW_OK) {
			assert_int_equal(ch, cases[i].ch);
			assert_int_equal(prop, cases[i].prop);
		}
	}
	/* Every accepted CLA is the plain encoding of its channel in its class. */
	unsigned accepted = 0;
	for (unsigned c = 0; c < 256; c++) {
		uint8_t ch = 0;
		bool prop = false;
		if (orsp_apdu_decode_cla((uint8_t)c, &ch, &prop) != ORSP_SW_OK)
			continue;
		accepted++;
		assert_true(ch <= 19);
		uint8_t want = ch < 4 ? ch : (uint8_t)(0x40 | (ch - 4));
		if (prop)
			want |= 0x80;
		assert_int_equal(c, want);
	}
	assert_int_equal(accepted, 40); /* 20 channels in two classes */
}

/* ---------------------------------------------------------------- ATR ------------------ */

/* ISO/IEC 7816-3 §8.2, parsed independently: protocols offered, TCK, historical bytes. */
static void test_atr(void **state)
{
	(void)state;
	orsp_slice atr = orsp_euicc_atr();
	const uint8_t *p = atr.p;
	size_t n = atr.len, i = 2;
	bool t0 = false, t1 = false, t15 = false, class_seen = false;

	assert_true(n >= 2 && n <= 33);
	assert_int_equal(p[0], 0x3B); /* direct convention */
	unsigned k = p[1] & 0x0F;
	uint8_t y = p[1] >> 4;
	int level = 1, last_t = -1;
	for (;;) {
		uint8_t ta = 0;
		bool has_ta = y & 1;
		if (has_ta)
			ta = p[i++];
		if (y & 2)
			i++;
		if (y & 4)
			i++;
		if (has_ta && level > 2 && last_t == 15) {
			class_seen = true;
			assert_int_equal(ta & 0x3F,
			                 0x07); /* classes A, B and C (TS 102 221 §6.2.1) */
		}
		if (!(y & 8))
			break;
		uint8_t td = p[i++];
		last_t = td & 0x0F;
		t0 |= last_t == 0;
		t1 |= last_t == 1;
		t15 |= last_t == 15;
		y = td >> 4;
		level++;
		assert_true(i < n);
	}
	assert_true(t0 && t1 && t15 && class_seen);
	/* k historical bytes, then TCK (due since T=1 is offered): XOR of T0..TCK is 0 */
	assert_int_equal(n, i + k + 1);
	uint8_t x = 0;
	for (size_t j = 1; j < n; j++)
		x ^= p[j];
	assert_int_equal(x, 0);

	/* Historical bytes: category 80, then compact-TLV objects (ISO/IEC 7816-4 §12.1.1). */
	const uint8_t *h = p + i;
	assert_int_equal(h[0], 0x80);
	bool caps = false, status = false, service = false;
	for (size_t j = 1; j < k;) {
		uint8_t tag = h[j] >> 4, len = h[j] & 0x0F;
		assert_true(j + 1 + len <= k);
		if (tag == 3) {
			/* card service data: selection by full and partial DF name, DOs in
			 * EF.DIR read by READ RECORD, card with an MF */
			assert_int_equal(len, 1);
			assert_int_equal(h[j + 1], 0xE0);
			service = true;
		}
		if (tag == 7) {
			assert_int_equal(len, 3);
			/* DF selection by full DF name, partial DF name, path and file
			 * identifier (SELECT P1 04, 08/09, 00: test_usim_app); short EF
			 * identifier and record number (READ BINARY/RECORD) */
			assert_int_equal(h[j + 1], 0x80 | 0x40 | 0x20 | 0x10 | 0x04 | 0x02);
			uint8_t third = h[j + 3];
			assert_true(third & 0x40); /* extended Lc and Le */
			unsigned channels =
			    ORSP_EUICC_MAX_CHANNELS >= 8 ? 8 : ORSP_EUICC_MAX_CHANNELS;
			assert_int_equal(third & 0x07, channels - 1);
			caps = true;
		}
		if (tag == 8) {
			assert_int_equal(len, 2);
			assert_int_equal(h[j + 1] << 8 | h[j + 2], 0x9000);
			status = true;
		}
		j += 1 + (size_t)len;
	}
	assert_true(caps && status && service);

	/* The bytes docs/euicc-apdu.md documents (default configuration). */
	if (ORSP_EUICC_MAX_CHANNELS == 8) {
		uint8_t doc[33];
		size_t dn = hexb("3B 9A 96 80 91 FE 1F C7 80 31 E0 73 F6 21 5F 82 90 00 83", doc,
		                 sizeof(doc));
		assert_int_equal(dn, n);
		assert_bytes_equal(p, doc, n);
	}
}

/* ---------------------------------------------------------------- outside vectors ------ */

static void test_lpac_pysim_session(void **state)
{
	(void)state;
	default_card();
	tsv *t = tsv_load("apdu/lpac_session.tsv");
	for (size_t row = 0; row < tsv_rows(t); row++)
		expect(tsv_get(t, row, "capdu"), tsv_get(t, row, "rapdu"));
	tsv_free(t);
	assert_true(orsp_euicc_apdu_terminal_capability(&ctx));
	assert_int_equal(app_isdr.calls, 2);
	assert_int_equal(app_isdr.selects[1], 1);
	assert_int_equal(app_isdr.deselects[1], 1);
	assert_int_equal(app_isdr.selects[0], 1);
}

/* Our status word names against the TS 102 221 table. */
static void test_sw_names(void **state)
{
	(void)state;
	static const struct {
		uint16_t sw;
		const char *meaning;
	} ours[] = {
	    {ORSP_SW_OK, "Normal ending of the command"},
	    {ORSP_SW_MEMORY_PROBLEM, "Memory problem"},
	    {ORSP_SW_WRONG_LENGTH, "Wrong length"},
	    {ORSP_SW_CHANNEL_NOT_SUPPORTED, "Logical channel not supported"},
	    {ORSP_SW_SM_NOT_SUPPORTED, "Secure messaging not supported"},
	    {ORSP_SW_SECURITY_STATUS, "Security status not satisfied"},
	    {ORSP_SW_CONDITIONS_NOT_SATISFIED, "Conditions of use not satisfied"},
	    {ORSP_SW_INCORRECT_DATA, "Incorrect parameters in the data field"},
	    {ORSP_SW_FUNCTION_NOT_SUPPORTED, "Function not supported"},
	    {ORSP_SW_NOT_FOUND, "File not found"},
	    {ORSP_SW_NOT_ENOUGH_MEMORY, "Not enough memory space"},
	    {ORSP_SW_INCORRECT_P1P2, "Incorrect parameters P1 to P2"},
	    {ORSP_SW_REFERENCED_DATA_NOT_FOUND, "Referenced data not found"},
	    {ORSP_SW_INS_NOT_SUPPORTED, "Instruction code not supported or invalid"},
	    {ORSP_SW_CLA_NOT_SUPPORTED, "Class not supported"},
	    {ORSP_SW_TECHNICAL_PROBLEM, "Technical problem, no precise diagnosis"},
	};
	tsv *t = tsv_load("apdu/ts102221_sw.tsv");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(ours); i++) {
		bool found = false;
		for (size_t row = 0; row < tsv_rows(t) && !found; row++) {
			uint8_t b[2];
			assert_int_equal(tsv_hex(t, row, "sw", b, 2), 2);
			if ((b[0] << 8 | b[1]) != ours[i].sw)
				continue;
			found = true;
			assert_string_equal(tsv_get(t, row, "meaning"), ours[i].meaning);
		}
		if (!found)
			fail_msg("%04X is not in the TS 102 221 table", ours[i].sw);
	}
	tsv_free(t);
}

/* pySim's BPP, split as lpac's es10b.c splits it (BF36 header + BF23; A0; A1 header; each
 * 88; A2; A3 header; each 86), each piece sent in lpac's 120-byte STORE DATA blocks: every
 * piece must reach the application whole, and all of them together are the BPP. */
static void test_bpp_segments(void **state)
{
	(void)state;
	size_t len = 0;
	uint8_t *bpp = test_read_vector("sgp22/bpp/bpp.der", &len);
	orsp_tlv top, t;
	orsp_reader r, inner;
	size_t pieces[64][2], np = 0; /* offset, length */

	default_card();
	assert_int_equal(select_aid(0x00, AID_ISDR, sizeof(AID_ISDR), 0x0C), ORSP_SW_OK);
	app_isdr.sw = ORSP_SW_OK;
	app_isdr.pattern_len = 0;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, len), &top), ORSP_OK);
	assert_int_equal(top.tag, 0xBF36);
	orsp_reader_init(&r, top.value.p, top.value.len);
	size_t hdr = (size_t)(top.value.p - bpp);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &t), ORSP_OK);
	pieces[np][0] = 0;
	pieces[np++][1] = hdr + t.raw.len;
	while (orsp_reader_remaining(&r) > 0) {
		assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
		assert_true(np + 1 < ORSP_ARRAY_LEN(pieces));
		size_t off = (size_t)(t.raw.p - bpp);
		if (t.tag == 0xA0 || t.tag == 0xA2) {
			pieces[np][0] = off;
			pieces[np++][1] = t.raw.len;
			continue;
		}
		assert_true(t.tag == 0xA1 || t.tag == 0xA3);
		pieces[np][0] = off;
		pieces[np++][1] = (size_t)(t.value.p - t.raw.p);
		orsp_reader_init(&inner, t.value.p, t.value.len);
		while (orsp_reader_remaining(&inner) > 0) {
			orsp_tlv s;
			assert_int_equal(orsp_der_read(&inner, &s), ORSP_OK);
			assert_true(np < ORSP_ARRAY_LEN(pieces));
			pieces[np][0] = (size_t)(s.raw.p - bpp);
			pieces[np++][1] = s.raw.len;
		}
	}
	size_t total = 0;
	for (size_t i = 0; i < np; i++) {
		const uint8_t *piece = bpp + pieces[i][0];
		assert_int_equal(pieces[i][0], total); /* contiguous */
		uint16_t s = store_data(0x80, piece, pieces[i][1], 120);
		/* the echo comes back through GET RESPONSE */
		uint8_t back[ORSP_EUICC_MAX_COMMAND];
		int calls = 0;
		size_t bl = collect(0x80, s, -1, back, sizeof(back), &calls);
		assert_int_equal(app_isdr.last_len, pieces[i][1]);
		assert_bytes_equal(app_isdr.last, piece, pieces[i][1]);
		assert_int_equal(bl, pieces[i][1]);
		assert_bytes_equal(back, piece, bl);
		total += pieces[i][1];
	}
	assert_int_equal(total, len);
	assert_int_equal(app_isdr.calls, (int)np);
	assert_true(np > 6);
	free(bpp);
}

/* ---------------------------------------------------------------- status words --------- */

static uint16_t app_bad_sw(void *user, uint8_t ch, const orsp_apdu *cmd, orsp_writer *rsp)
{
	(void)ch;
	(void)cmd;
	orsp_write_u8(rsp, 0x42);
	return *(uint16_t *)user;
}

static void test_status_words(void **state)
{
	(void)state;
	default_card();
	/* length */
	assert_sw("", ORSP_SW_WRONG_LENGTH);
	assert_sw("00", ORSP_SW_WRONG_LENGTH);
	assert_sw("00A404", ORSP_SW_WRONG_LENGTH);
	assert_sw("00A4040C03F074", ORSP_SW_WRONG_LENGTH);
	assert_sw("00A4040C01F07465", ORSP_SW_WRONG_LENGTH);
	/* class */
	assert_sw("A0A40000023F00", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("FFA4040C06F07465737441", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("20A4040C06F07465737441", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("90E2910001AA", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("04A4040C06F07465737441", ORSP_SW_SM_NOT_SUPPORTED);
	assert_sw("60A4040C06F07465737441", ORSP_SW_SM_NOT_SUPPORTED);
	assert_sw("10A4040C06F07465737441", ORSP_SW_CHAINING_NOT_SUPPORTED);
	/* channels not open, out of range */
	assert_sw("01A4040C06F07465737441", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("41A4040C06F07465737441", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("4FA4040C06F07465737441", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("83C0000000", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	/* instructions nobody takes */
	assert_sw("00B0000000", ORSP_SW_INS_NOT_SUPPORTED);
	assert_sw("80F2000000", ORSP_SW_INS_NOT_SUPPORTED);
	assert_sw("0088008010", ORSP_SW_INS_NOT_SUPPORTED);
	/* SELECT */
	assert_sw("00A4000C023F00", ORSP_SW_INCORRECT_P1P2); /* by FID, no MF handler */
	assert_sw("80A4040C06F07465737441", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("00A4041006F07465737441", ORSP_SW_INCORRECT_P1P2); /* unknown P2 bit */
	assert_sw("00A4040106F07465737441", ORSP_SW_INCORRECT_P1P2); /* last occurrence */
	assert_sw("00A4040306F07465737441", ORSP_SW_INCORRECT_P1P2); /* previous */
	assert_sw("00A4040806F07465737441", ORSP_SW_INCORRECT_P1P2); /* FMD */
	assert_sw("00A4048C06F07465737441", ORSP_SW_INCORRECT_P1P2); /* b8 */
	assert_sw("00A4044006F07465737441", ORSP_SW_INCORRECT_P1P2); /* terminate + FCI */
	assert_sw("00A4044C06F07465737441", ORSP_SW_NOT_FOUND);      /* terminate, not selected */
	assert_sw("00A4040C", ORSP_SW_WRONG_LENGTH);                 /* no AID */
	assert_sw("00A4040C00", ORSP_SW_WRONG_LENGTH);               /* no AID, Le */
	assert_sw("00A4040C11F074657374410000000000000000000000", ORSP_SW_WRONG_LENGTH);
	assert_sw("00A4040C06F07465737443", ORSP_SW_NOT_FOUND);
	assert_sw("00A4040C08F0746573744132FF", ORSP_SW_NOT_FOUND); /* longer than any AID */
	/* MANAGE CHANNEL */
	assert_sw("0070400000", ORSP_SW_INCORRECT_P1P2);
	assert_sw("00700000010100", ORSP_SW_WRONG_LENGTH); /* data */
	assert_sw("8070000001", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("0070800000", ORSP_SW_INCORRECT_P1P2); /* the basic channel */
	assert_sw("0070801400", ORSP_SW_INCORRECT_P1P2); /* channel 20 */
	assert_sw("0070800200", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("0070001400", ORSP_SW_INCORRECT_P1P2);
	if (ORSP_EUICC_MAX_CHANNELS < 20)
		assert_sw("0070001300", ORSP_SW_FUNCTION_NOT_SUPPORTED); /* 19: beyond this card */
	assert_sw("0070000200", ORSP_SW_OK);
	assert_sw("0070000200", ORSP_SW_CONDITIONS_NOT_SATISFIED); /* open already */
	assert_sw("0070800200", ORSP_SW_OK);
	/* GET RESPONSE */
	assert_sw("00C0000000", ORSP_SW_TECHNICAL_PROBLEM);
	assert_sw("00C0010000", ORSP_SW_INCORRECT_P1P2);
	assert_sw("00C0000001AA", ORSP_SW_WRONG_LENGTH);
	assert_sw("00C00000", ORSP_SW_WRONG_LENGTH);
	/* TERMINAL CAPABILITY */
	assert_sw("00AA00000AA9088100820101830107", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("80AA01000AA9088100820101830107", ORSP_SW_INCORRECT_P1P2);
	assert_sw("80AA000000", ORSP_SW_WRONG_LENGTH);
	assert_sw("80AA0000", ORSP_SW_WRONG_LENGTH);
	assert_sw("80AA000002A800", ORSP_SW_INCORRECT_DATA);
	assert_sw("80AA000003A90581", ORSP_SW_INCORRECT_DATA);   /* truncated template */
	assert_sw("80AA000004A9008100", ORSP_SW_INCORRECT_DATA); /* trailing TLV */
	assert_sw("80AA000004A9028101", ORSP_SW_INCORRECT_DATA); /* inner TLV truncated */
	assert_false(orsp_euicc_apdu_terminal_capability(&ctx));
	assert_sw("80AA000002A900", ORSP_SW_OK);
	assert_true(orsp_euicc_apdu_terminal_capability(&ctx));
	/* STORE DATA */
	assert_sw("80E2910001AA", ORSP_SW_CONDITIONS_NOT_SATISFIED); /* nothing selected */
	assert_int_equal(select_aid(0x00, AID_A2, sizeof(AID_A2), 0x0C), ORSP_SW_OK);
	assert_sw("80E2910001AA", ORSP_SW_INS_NOT_SUPPORTED); /* A2 takes no STORE DATA */
	assert_sw("00B0000000", ORSP_SW_INS_NOT_SUPPORTED);   /* nor anything else */
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	assert_sw("00E2910001AA", ORSP_SW_CLA_NOT_SUPPORTED);
	assert_sw("80E2010001AA", ORSP_SW_INCORRECT_P1P2);
	assert_sw("80E2810001AA", ORSP_SW_INCORRECT_P1P2);
	assert_sw("80E2100001AA", ORSP_SW_INCORRECT_P1P2);
	assert_sw("80E29100", ORSP_SW_WRONG_LENGTH);
	assert_sw("80E2910000", ORSP_SW_WRONG_LENGTH);
	/* application status words pass through; its data only with 9000 */
	app_a.sw = ORSP_SW_REFERENCED_DATA_NOT_FOUND;
	assert_sw("80E2910003BF2D00", ORSP_SW_REFERENCED_DATA_NOT_FOUND);
	app_a.sw = 0x9862;
	assert_sw("80E2910003BF2D00", 0x9862);
	app_a.sw = 0x6283;
	assert_sw("80E2910003BF2D00", 0x6283);
	app_a.sw = ORSP_SW_OK;
	assert_sw("80E2910003BF2D00", 0x6103);
}

/* An application that answers with a status word it may not use gets 6F00, never the
 * word: 61xx/6Cxx would make the terminal fetch data that is not there. */
static void test_bad_app_status(void **state)
{
	(void)state;
	static const uint16_t bad[] = {0x6100, 0x6110, 0x6C05, 0x9001, 0x1234,
	                               0x0000, 0x6000, 0x7000, 0x9F10, 0xFFFF};
	static const uint16_t good[] = {0x9000, 0x6A80, 0x6F00, 0x6200, 0x9110, 0x9300, 0x9862};
	static uint16_t answer;
	static const orsp_euicc_app_ops ops = {.process = app_bad_sw};
	default_card();
	orsp_euicc_apdu_set_mf(&ctx, &ops, &answer);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		answer = bad[i];
		assert_sw("00B0000000", ORSP_SW_TECHNICAL_PROBLEM);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(good); i++) {
		answer = good[i];
		uint8_t r[ORSP_EUICC_RAPDU_MAX];
		size_t n = xfer("00B0000001", r);
		if (good[i] == 0x9000) {
			assert_int_equal(n, 3);
			assert_int_equal(r[0], 0x42);
		} else {
			assert_int_equal(n, 2);
			assert_int_equal(sw_of(r, n), good[i]);
		}
	}
	/* the response buffer wiped when data is dropped */
	answer = 0x6A80;
	assert_sw("00B0000001", 0x6A80);
	for (size_t i = 0; i < sizeof(rsp_buf); i++)
		assert_int_equal(rsp_buf[i], 0);
	orsp_euicc_apdu_set_mf(&ctx, NULL, NULL);
	assert_sw("00B0000001", ORSP_SW_INS_NOT_SUPPORTED);
}

static void test_sw_from_err(void **state)
{
	(void)state;
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_OK), 0x9000);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_MALFORMED), 0x6A80);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_VERIFY), 0x6982);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_POLICY), 0x6985);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_STATE), 0x6985);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_STORAGE), 0x6581);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_RESOURCE), 0x6A84);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_NOT_FOUND), 0x6A88);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_EXISTS), 0x6A89);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_USAGE), 0x6F00);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_CRYPTO), 0x6F00);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E_IO), 0x6F00);
	assert_int_equal(orsp_euicc_sw_from_err(ORSP_E__COUNT), 0x6F00);
	for (int e = 0; e < ORSP_E__COUNT; e++) {
		uint16_t s = orsp_euicc_sw_from_err((orsp_err)e);
		assert_true(s == 0x9000 || ((s >> 8) >= 0x62 && (s >> 8) <= 0x6F));
	}
}

/* ---------------------------------------------------------------- channels ------------- */

static void test_channels(void **state)
{
	(void)state;
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	default_card();

	/* the card assigns 1, 2, ... in order until none is left */
	for (unsigned ch = 1; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		size_t n = xfer("0070000001", r);
		assert_int_equal(n, 3);
		assert_int_equal(r[0], ch);
		assert_int_equal(sw_of(r, n), 0x9000);
	}
	assert_sw("0070000001", ORSP_SW_FUNCTION_NOT_SUPPORTED);
	/* a freed number is reused; without Le the number comes by GET RESPONSE */
	assert_sw("0070800200", ORSP_SW_OK);
	assert_sw("0070800200", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("00700000", 0x6101);
	expect("00C0000001", "029000");

	/* every channel reachable through its CLA, both classes */
	for (unsigned ch = 1; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		uint8_t cla = ch < 4 ? (uint8_t)ch : (uint8_t)(0x40 | (ch - 4));
		const uint8_t *aid = ch % 2 ? AID_A : AID_B;
		test_app *app = ch % 2 ? &app_a : &app_b;
		assert_int_equal(select_aid(cla, aid, 6, 0x0C), ORSP_SW_OK);
		assert_int_equal(app->selects[ch], 1);
		uint8_t data[3] = {0xBF, 0x2E, (uint8_t)ch};
		assert_int_equal(store_data((uint8_t)(cla | 0x80), data, 3, 255), 0x6103);
		assert_int_equal(app->last_channel, ch);
		uint8_t gr[5] = {(uint8_t)(cla | 0x80), 0xC0, 0, 0, 3};
		size_t n = xfer_bytes(gr, 5, r);
		assert_int_equal(n, 5);
		assert_bytes_equal(r, data, 3);
	}
	/* close: the application hears of it, the channel is gone */
	int before = app_a.deselects[1];
	assert_sw("0070800100", ORSP_SW_OK);
	assert_int_equal(app_a.deselects[1], before + 1);
	assert_sw("81E2910001AA", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	/* a channel may close itself */
	assert_sw("0270800200", ORSP_SW_OK);
	assert_sw("02C0000000", ORSP_SW_CHANNEL_NOT_SUPPORTED);

	/* reset: back to the basic channel only, every application deselected; then every
	 * registered application hears of the reset, selected or not (B), after its deselects;
	 * one without the callback (A2) is left alone */
	int a3 = app_a.deselects[3], a_all = 0;
	orsp_euicc_apdu_reset(&ctx);
	assert_int_equal(app_a.deselects[3], a3 + 1);
	for (size_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++)
		a_all += app_a.deselects[ch];
	assert_int_equal(app_a.resets, 1);
	assert_int_equal(app_a.deselects_reset, a_all);
	assert_int_equal(app_b.resets, 1);
	assert_int_equal(app_a2.resets, 0);
	assert_sw("83E2910001AA", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("80E2910001AA", ORSP_SW_CONDITIONS_NOT_SATISFIED);
	expect("0070000001", "019000");
}

/* A channel opened from another channel starts with that channel's application; from the
 * basic channel with none. */
static void test_channel_inherits(void **state)
{
	(void)state;
	default_card();
	expect("0070000001", "019000");
	assert_int_equal(select_aid(0x01, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	expect("0170000001", "029000"); /* opened from channel 1 */
	assert_int_equal(app_b.selects[2], 1);
	assert_sw("82E2910002BF20", 0x6102);
	assert_int_equal(app_b.last_channel, 2);
	expect("0070000001", "039000"); /* from the basic channel */
	assert_sw("83E2910002BF20", ORSP_SW_CONDITIONS_NOT_SATISFIED);
	/* an application may refuse the inheritance */
	assert_sw("0070800300", ORSP_SW_OK);
	app_b.select_sw = ORSP_SW_CONDITIONS_NOT_SATISFIED;
	expect("0170000001", "039000");
	assert_sw("83E2910002BF20", ORSP_SW_CONDITIONS_NOT_SATISFIED);
}

/* ---------------------------------------------------------------- SELECT --------------- */

static void test_select(void **state)
{
	(void)state;
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	default_card();

	/* FCI (P2 00) without Le: 61xx, then the template */
	assert_sw("00A4040006F07465737441", 0x610A);
	expect("00C000000A", "6F 08 84 06 F07465737441 9000");
	/* with Le: at once */
	expect("00A4040006F0746573744100", "6F 08 84 06 F07465737441 9000");
	assert_int_equal(app_a.selects[0], 2);
	assert_int_equal(app_a.deselects[0], 0);
	/* FCP (P2 04): file descriptor 78 21, DF name, life cycle 05 */
	expect("00A4040406F0746573744200", "62 0F 8202 7821 8406 F07465737442 8A01 05 9000");
	assert_int_equal(app_a.deselects[0], 1);
	/* proprietary data from the application, inside A5 */
	static const uint8_t prop[] = {0x82, 0x03, 0x02, 0x02, 0x00};
	app_a.prop = prop;
	app_a.prop_len = sizeof(prop);
	expect("00A4040006F0746573744100", "6F 0F 84 06 F07465737441 A5 05 8203020200 9000");
	expect("00A4040406F0746573744100",
	       "62 16 8202 7821 8406 F07465737441 A505 8203020200 8A01 05 9000");
	/* no data (P2 0C), even with Le */
	assert_sw("00A4040C06F0746573744100", ORSP_SW_OK);
	/* partial AID: the first application whose AID starts so; next occurrence (P2 02) */
	assert_sw("00A4040C04F0746573", ORSP_SW_OK);
	assert_sw("82E2910001AA", ORSP_SW_CHANNEL_NOT_SUPPORTED);
	assert_sw("80E2910001AA", 0x6101);
	assert_int_equal(app_a.calls, 1);
	assert_sw("00A4040E04F0746573", ORSP_SW_OK); /* next: A2 */
	assert_int_equal(app_a2.selects[0], 1);
	assert_sw("00A4040E04F0746573", ORSP_SW_OK); /* next: B */
	assert_int_equal(app_b.selects[0], 2);
	int bd = app_b.deselects[0];
	assert_sw("00A4040E04F0746573", ORSP_SW_NOT_FOUND); /* none after B */
	assert_int_equal(app_b.deselects[0], bd);           /* B still selected */
	assert_sw("80E2910001BB", 0x6101);
	assert_int_equal(app_b.calls, 1);
	/* a refused selection keeps what was selected */
	app_a.select_sw = ORSP_SW_CONDITIONS_NOT_SATISFIED;
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x00),
	                 ORSP_SW_CONDITIONS_NOT_SATISFIED);
	assert_int_equal(app_b.deselects[0], bd);
	assert_sw("80E2910001CC", 0x6101);
	assert_int_equal(app_b.calls, 2);
	/* an invalid word from select is 6F00 */
	app_a.select_sw = 0x6110;
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x00), ORSP_SW_TECHNICAL_PROBLEM);
	app_a.select_sw = ORSP_SW_OK;
	/* termination (P2 4C) of the selected application */
	assert_sw("00A4044C06F07465737442", ORSP_SW_OK);
	assert_int_equal(app_b.deselects[0], bd + 1);
	assert_sw("80E2910001CC", ORSP_SW_CONDITIONS_NOT_SATISFIED);
	/* the FCI is not larger than the chunk here, so one GET RESPONSE of exactly its size */
	size_t n = xfer("00A4040006F07465737441", r);
	assert_int_equal(n, 2);
	assert_int_equal(sw_of(r, n), 0x6111);
}

/* An application whose proprietary FCI does not fit the response buffer: 6F00, and the
 * selection does not happen. */
static void test_select_overflow(void **state)
{
	(void)state;
	static uint8_t big[400];
	card(sizeof(cmd_buf), ORSP_EUICC_MIN_RESPONSE);
	assert_int_equal(select_aid(0x00, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	app_a.prop = big;
	app_a.prop_len = sizeof(big);
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x00), ORSP_SW_TECHNICAL_PROBLEM);
	assert_int_equal(app_a.selects[0], 1);
	assert_int_equal(app_a.deselects[0], 1);
	assert_int_equal(app_b.deselects[0], 0);
	assert_sw("80E2910001AA", 0x6101); /* B is still there */
	assert_int_equal(app_b.calls, 1);
	/* with P2 0C nothing is returned, so nothing can overflow: A is selected */
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	assert_int_equal(app_a.selects[0], 2);
	assert_int_equal(app_b.deselects[0], 1);
	assert_sw("80E2910001AA", 0x6101);
	assert_int_equal(app_a.calls, 1);
}

/* The same overflow, and the application selected before refuses to be selected again
 * (the layer's fallback without select_undo): the channel is left with no application
 * rather than one whose state the new one's deselect may have ended. */
static void test_select_overflow_reselect_refused(void **state)
{
	(void)state;
	static uint8_t big[400];
	card(sizeof(cmd_buf), ORSP_EUICC_MIN_RESPONSE);
	assert_int_equal(select_aid(0x00, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	app_b.select_sw = ORSP_SW_CONDITIONS_NOT_SATISFIED;
	app_a.prop = big;
	app_a.prop_len = sizeof(big);
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x00), ORSP_SW_TECHNICAL_PROBLEM);
	assert_int_equal(app_a.deselects[0], 1);
	assert_int_equal(app_b.selects[0], 2); /* asked again, and refused */
	assert_int_equal(app_b.deselects[0], 1);
	assert_int_equal(ctx.selected[0], -1);
	assert_sw("80E2910001AA", ORSP_SW_CONDITIONS_NOT_SATISFIED); /* no application */
	assert_int_equal(app_a.calls + app_b.calls, 0);
}

/* ---------------------------------------------------------------- STORE DATA ----------- */

static void test_store_data_chaining(void **state)
{
	(void)state;
	uint8_t data[3 * 255 + 10];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5A);
	default_card();
	expect("0070000001", "019000");
	assert_int_equal(select_aid(0x01, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);

	/* 4 blocks, reassembled */
	app_a.pattern_len = 3;
	assert_int_equal(store_data(0x81, data, sizeof(data), 255), 0x6103);
	assert_int_equal(app_a.last_len, sizeof(data));
	assert_bytes_equal(app_a.last, data, sizeof(data));
	expect("81C0000003", "01080F 9000");
	/* the reassembly buffer is wiped once the application has it */
	for (size_t i = 0; i < sizeof(cmd_buf); i++)
		assert_int_equal(cmd_buf[i], 0);
	/* single blocks of 1 byte, 200 of them */
	assert_int_equal(store_data(0x81, data, 200, 1), 0x6103);
	assert_int_equal(app_a.last_len, 200);
	assert_bytes_equal(app_a.last, data, 200);
	expect("81C0000000", "01080F 9000"); /* Le 00: whatever is there */
}

static void test_store_data_sequence(void **state)
{
	(void)state;
	default_card();
	expect("0070000001", "019000");
	assert_int_equal(select_aid(0x01, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);

	/* a skipped block: refused, and the command is void */
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_sw("81E2110202BBBB", ORSP_SW_INCORRECT_P1P2);
	assert_sw("81E2910102BBBB", ORSP_SW_INCORRECT_P1P2);
	assert_int_equal(app_a.calls, 0);
	/* a repeated block */
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_sw("81E2110102BBBB", ORSP_SW_OK);
	assert_sw("81E2110102BBBB", ORSP_SW_INCORRECT_P1P2);
	assert_sw("81E2910202CCCC", ORSP_SW_INCORRECT_P1P2);
	/* a continuation without a start */
	assert_sw("81E2910102BBBB", ORSP_SW_INCORRECT_P1P2);
	/* block 00 starts afresh, dropping what was there */
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_sw("81E2110002DDDD", ORSP_SW_OK);
	assert_sw("81E2910102EEEE", 0x6104);
	assert_int_equal(app_a.calls, 1);
	assert_int_equal(app_a.last_len, 4);
	assert_bytes_equal(app_a.last, ((const uint8_t[]){0xDD, 0xDD, 0xEE, 0xEE}), 4);
	/* a bad P1 or an empty block in the middle ends the command */
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_sw("81E2010102BBBB", ORSP_SW_INCORRECT_P1P2);
	assert_sw("81E2910202CCCC", ORSP_SW_INCORRECT_P1P2);
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_sw("81E21101", ORSP_SW_WRONG_LENGTH);
	assert_sw("81E2910102BBBB", ORSP_SW_INCORRECT_P1P2);
	/* another application selected on the channel mid-command voids it */
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_int_equal(select_aid(0x01, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	assert_sw("81E2910102BBBB", ORSP_SW_INCORRECT_P1P2);
	/* ... and so does reselecting the same one */
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_int_equal(select_aid(0x01, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	assert_sw("81E2910102BBBB", ORSP_SW_INCORRECT_P1P2);
	/* one buffer for all channels: a command started on channel 2 ends channel 1's */
	expect("0070000001", "029000");
	assert_int_equal(select_aid(0x02, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	assert_sw("81E2110002AAAA", ORSP_SW_OK);
	assert_sw("82E2110002CCCC", ORSP_SW_OK);
	assert_sw("81E2910102BBBB", ORSP_SW_INCORRECT_P1P2);
	assert_sw("82E2910102DDDD", 0x6104);
	assert_int_equal(app_a.last_channel, 2);
	/* closing the channel drops its command */
	assert_sw("82E2110002CCCC", ORSP_SW_OK);
	assert_sw("0070800200", ORSP_SW_OK);
	expect("0070000001", "029000");
	assert_int_equal(select_aid(0x02, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	assert_sw("82E2910102DDDD", ORSP_SW_INCORRECT_P1P2);
	/* 256 blocks at most: P2 counts 00..FF, nothing can follow FF */
	for (unsigned b = 0; b < 255; b++) {
		char hex[32];
		snprintf(hex, sizeof(hex), "82E211%02X01%02X", b, b);
		assert_sw(hex, ORSP_SW_OK);
	}
	assert_sw("82E211FF01FF", ORSP_SW_INCORRECT_P1P2);
	for (unsigned b = 0; b < 255; b++) {
		char hex[32];
		snprintf(hex, sizeof(hex), "82E211%02X01%02X", b, b);
		assert_sw(hex, ORSP_SW_OK);
	}
	app_a.pattern_len = 1;
	assert_sw("82E291FF01FF", 0x6101);
	assert_int_equal(app_a.last_len, 256);
	for (unsigned b = 0; b < 256; b++)
		assert_int_equal(app_a.last[b], b);
}

/* A command longer than the reassembly buffer: 6A80 (see store_data.c for why not 6700),
 * the command dropped and the buffer wiped; one that fills it exactly passes. */
static void test_store_data_overflow(void **state)
{
	(void)state;
	uint8_t data[ORSP_EUICC_MIN_COMMAND + 1];
	memset(data, 0xA5, sizeof(data));
	card(ORSP_EUICC_MIN_COMMAND, sizeof(rsp_buf));
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	app_a.pattern_len = 1;

	assert_int_equal(store_data(0x80, data, ORSP_EUICC_MIN_COMMAND, 200), 0x6101);
	assert_int_equal(app_a.last_len, ORSP_EUICC_MIN_COMMAND);
	assert_int_equal(store_data(0x80, data, ORSP_EUICC_MIN_COMMAND, 255), 0x6101);

	uint8_t c[300], r[ORSP_EUICC_RAPDU_MAX];
	size_t n = xfer_bytes(c, apdu(c, 0x80, 0xE2, 0x11, 0x00, data, 100), r);
	assert_int_equal(n, 2);
	assert_int_equal(sw_of(r, n), ORSP_SW_OK);
	n = xfer_bytes(c, apdu(c, 0x80, 0xE2, 0x91, 0x01, data, 156), r);
	assert_int_equal(n, 2);
	assert_int_equal(sw_of(r, n), ORSP_SW_INCORRECT_DATA);
	for (size_t i = 0; i < ORSP_EUICC_MIN_COMMAND; i++)
		assert_int_equal(cmd_buf[i], 0);
	assert_sw("80E2910201AA", ORSP_SW_INCORRECT_P1P2); /* the command is gone */
	assert_int_equal(app_a.calls, 2);
	/* extended length: one block of 256 does not fit either */
	uint8_t e[4 + 3 + 256];
	memcpy(e, "\x80\xE2\x91\x00\x00\x01\x00", 7);
	memset(e + 7, 0x11, 256);
	n = xfer_bytes(e, sizeof(e), r);
	assert_int_equal(sw_of(r, n), ORSP_SW_INCORRECT_DATA);
}

/* ---------------------------------------------------------------- GET RESPONSE --------- */

/* A 1000-byte response, fetched with every kind of Le. */
static void test_get_response_chunks(void **state)
{
	(void)state;
	static const int les[] = {-1, 0x00, 0x01, 0x07, 0x10, 0x80, 0xE8, 0xFF};
	uint8_t out[1100], r[ORSP_EUICC_RAPDU_MAX];
	default_card();
	expect("0070000001", "019000");
	assert_int_equal(select_aid(0x01, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	app_a.pattern_len = 1000;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(les); i++) {
		assert_sw("81E2910003BF2D00", 0x6100); /* 1000 >= 256: 61 00 */
		int calls = 0;
		size_t n = collect(0x81, 0x6100, les[i], out, sizeof(out), &calls);
		assert_int_equal(n, 1000);
		for (size_t j = 0; j < n; j++)
			assert_int_equal(out[j], pattern(j));
		if (les[i] == -1 || les[i] == 0x00)
			assert_int_equal(calls, 4); /* 256 + 256 + 256 + 232 */
		for (size_t j = 0; j < sizeof(rsp_buf); j++)
			assert_int_equal(rsp_buf[j], 0); /* wiped once delivered */
	}

	/* the exact sequence with Le = SW2, as lpac fetches */
	assert_sw("81E2910003BF2D00", 0x6100);
	size_t n = xfer("81C0000000", r);
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x6100);
	n = xfer("81C0000000", r);
	assert_int_equal(sw_of(r, n), 0x6100);
	n = xfer("81C0000000", r);
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x61E8);
	assert_int_equal(r[0], pattern(768));
	/* Le larger than what is left: 6Cxx names the right one, nothing is lost */
	assert_sw("81C00000F0", 0x6CE8);
	n = xfer("81C00000E8", r);
	assert_int_equal(n, 0xE8 + 2);
	assert_int_equal(sw_of(r, n), 0x9000);
	assert_int_equal(r[0xE7], pattern(999));
	assert_sw("81C0000000", ORSP_SW_TECHNICAL_PROBLEM); /* gone */

	/* case 4 (Le in the command): the first chunk comes at once */
	n = xfer("81E2910003BF2D0000", r);
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x6100);
	assert_int_equal(r[0], pattern(0));
	n = xfer("81E2910003BF2D0010", r); /* Le 16: a new command drops the old response */
	assert_int_equal(n, 18);
	assert_int_equal(sw_of(r, n), 0x6100); /* 984 left */
	n = xfer("81C0000010", r);
	assert_int_equal(n, 18);
	assert_int_equal(r[0], pattern(16));
	/* extended Le: still at most 256 per response */
	n = xfer("81E29100000003BF2D000000", r);
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x6100);
	n = xfer("81C00000000000", r); /* case 2E GET RESPONSE, Le 65536 */
	assert_int_equal(n, 258);
	n = xfer("81C00000000300", r); /* Le 768 > 488 left: extended Le is a maximum */
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x61E8);
	n = xfer("81C000000000E8", r);
	assert_int_equal(n, 0xE8 + 2);
	assert_int_equal(sw_of(r, n), 0x9000);

	/* a response shorter than 256 with Le 00: all of it, 9000 */
	app_a.pattern_len = 100;
	assert_sw("81E2910003BF2D00", 0x6164);
	n = xfer("81C0000000", r);
	assert_int_equal(n, 102);
	assert_int_equal(sw_of(r, n), 0x9000);
	/* exactly 256 */
	app_a.pattern_len = 256;
	assert_sw("81E2910003BF2D00", 0x6100);
	n = xfer("81C0000000", r);
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x9000);
	/* 257 */
	app_a.pattern_len = 257;
	assert_sw("81E2910003BF2D00", 0x6100);
	n = xfer("81C0000000", r);
	assert_int_equal(sw_of(r, n), 0x6101);
	expect("81C0000001", "01 9000"); /* pattern(256) = 256*7+1 mod 256 = 01 */
}

/* A fresh card with A on channel 1 answering 10 pattern bytes, B on channel 2 answering 20. */
static void two_channel_card(void)
{
	default_card();
	expect("0070000001", "019000");
	expect("0070000001", "029000");
	assert_int_equal(select_aid(0x01, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	assert_int_equal(select_aid(0x02, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	app_a.pattern_len = 10;
	app_b.pattern_len = 20;
}

/* Whose response is it: the GET RESPONSE that follows at once on the channel that asked (TS
 * 102 221 §12.1.1.1); any other command in between, on any channel, loses it, and a GET
 * RESPONSE out of sequence is 6F00. */
static void test_get_response_ownership(void **state)
{
	(void)state;
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	/* commands on other channels that return no data, and a GET RESPONSE on another
	 * channel: each loses it (each was kept until session 68) */
	static const char *const between[] = {
	    "80AA000002A900", /* TERMINAL CAPABILITY on channel 0 */
	    "82E2110001AA",   /* an intermediate STORE DATA block on channel 2 */
	    "0070000300",     /* open channel 3 by number */
	    "82C000000A",     /* GET RESPONSE on channel 2 */
	    "82B0000000",     /* a command channel 2's application refuses */
	    "81E2910003AA",   /* one refused for its length (Lc 3, one byte of data) */
	    "FFE2910001AA",   /* one refused for its class */
	    "81E2",           /* shorter than a header */
	};
	two_channel_card();

	for (size_t i = 0; i < ORSP_ARRAY_LEN(between); i++) {
		assert_sw("81E2910001AA", 0x610A);
		(void)xfer(between[i], r);
		assert_sw("81C000000A", ORSP_SW_TECHNICAL_PROBLEM);
		if (i == 2)
			assert_sw("0070800300", ORSP_SW_OK);
	}
	assert_sw("81E2910001AA", 0x610A);
	size_t n = xfer("01C000000A", r); /* either class fetches it */
	assert_int_equal(n, 12);
	assert_int_equal(sw_of(r, n), 0x9000);

	/* any other command on the same channel loses it */
	assert_sw("81E2910001AA", 0x610A);
	assert_sw("81E2110001AA", ORSP_SW_OK);
	assert_sw("81C000000A", ORSP_SW_TECHNICAL_PROBLEM);
	/* a response produced on another channel replaces it */
	assert_sw("81E2910001AA", 0x610A);
	assert_sw("82E2910001AA", 0x6114);
	n = xfer("82C0000014", r);
	assert_int_equal(n, 22);
	/* closing the owner's channel drops it */
	assert_sw("82E2910001AA", 0x6114);
	assert_sw("0070800200", ORSP_SW_OK);
	assert_sw("0070000200", ORSP_SW_OK);
	assert_sw("82C0000014", ORSP_SW_TECHNICAL_PROBLEM);
	/* as does a reset */
	assert_sw("81E2910001AA", 0x610A);
	orsp_euicc_apdu_reset(&ctx);
	expect("0070000001", "019000");
	assert_sw("81C000000A", ORSP_SW_TECHNICAL_PROBLEM);
}

/* Unregistering an application drops the response it left pending on its channel, wiped
 * (an AUTHENTICATE's RES, CK and IK wait there for GET RESPONSE), and leaves another
 * application's pending response alone. */
static void test_unregister_drops_response(void **state)
{
	(void)state;
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	two_channel_card();
	assert_sw("81E2910001AA", 0x610A);
	assert_int_equal(rsp_buf[0], pattern(0));
	assert_int_equal(orsp_euicc_apdu_unregister(&ctx, AID_A, sizeof(AID_A)), ORSP_OK);
	assert_sw("81C000000A", ORSP_SW_TECHNICAL_PROBLEM);
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(rsp_buf[i], 0);
	/* B's, pending while A is unregistered, stays */
	assert_sw("82E2910001AA", 0x6114);
	assert_int_equal(orsp_euicc_apdu_register(&ctx, AID_A, sizeof(AID_A), &full_ops, &app_a),
	                 ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_unregister(&ctx, AID_A, sizeof(AID_A)), ORSP_OK);
	size_t n = xfer("82C0000014", r);
	assert_int_equal(n, 22);
	assert_int_equal(sw_of(r, n), ORSP_SW_OK);
	assert_int_equal(r[0], pattern(0));
}

/* A response larger than the response buffer is 6F00, never a truncated answer. */
static void test_response_overflow(void **state)
{
	(void)state;
	card(sizeof(cmd_buf), 1000);
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	app_a.pattern_len = 1000;
	assert_sw("80E2910001AA", 0x6100);
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	size_t n = xfer("80C0000000", r);
	assert_int_equal(n, 258);
	assert_int_equal(sw_of(r, n), 0x6100);
	app_a.pattern_len = 1001;
	assert_sw("80E2910001AA", ORSP_SW_TECHNICAL_PROBLEM);
	assert_sw("80C0000000", ORSP_SW_TECHNICAL_PROBLEM);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(rsp_buf[i], 0);
}

/* ---------------------------------------------------------------- the rest ------------- */

static void test_extended_length(void **state)
{
	(void)state;
	uint8_t c[4 + 3 + 1000 + 2], r[ORSP_EUICC_RAPDU_MAX];
	default_card();
	/* SELECT in extended form */
	expect("00A40400000006F07465737441 0000", "6F 08 84 06 F07465737441 9000");
	/* one STORE DATA block of 1000 bytes (case 3E) */
	memcpy(c, "\x80\xE2\x91\x00\x00\x03\xE8", 7);
	for (size_t i = 0; i < 1000; i++)
		c[7 + i] = (uint8_t)(i * 3);
	size_t n = xfer_bytes(c, 7 + 1000, r);
	assert_int_equal(sw_of(r, n), 0x6100);
	assert_int_equal(app_a.last_len, 1000);
	assert_bytes_equal(app_a.last, c + 7, 1000);
	/* case 4E */
	c[7 + 1000] = 0x01;
	c[7 + 1001] = 0x00;
	n = xfer_bytes(c, sizeof(c), r);
	assert_int_equal(n, 258);
	assert_bytes_equal(r, c + 7, 256);
	assert_int_equal(sw_of(r, n), 0x6100);
	/* extended with a bad Lc */
	c[5] = 0x03;
	c[6] = 0xE9;
	n = xfer_bytes(c, 7 + 1000, r);
	assert_int_equal(n, 2);
	assert_int_equal(sw_of(r, n), ORSP_SW_WRONG_LENGTH);
}

static uint16_t mf_process(void *user, uint8_t ch, const orsp_apdu *cmd, orsp_writer *rsp)
{
	test_app *a = user;
	a->last_ins = cmd->ins;
	a->last_channel = ch;
	a->calls++;
	if (cmd->ins == 0xA4 && cmd->p1 == 0x00) {
		orsp_write_u8(rsp, 0x62);
		orsp_write_u8(rsp, 0x00);
		return ORSP_SW_OK;
	}
	return ORSP_SW_INS_NOT_SUPPORTED;
}

/* The MF handler gets what no application takes, on channels without one. */
static void test_mf_handler(void **state)
{
	(void)state;
	static test_app mf;
	static const orsp_euicc_app_ops mf_ops = {.process = mf_process};
	default_card();
	app_reset(&mf);
	orsp_euicc_apdu_set_mf(&ctx, &mf_ops, &mf);
	assert_sw("00A40004023F00", 0x6102);
	expect("00C0000002", "6200 9000");
	assert_int_equal(mf.last_ins, 0xA4);
	assert_sw("00B0000000", ORSP_SW_INS_NOT_SUPPORTED);
	assert_int_equal(mf.calls, 2);
	/* with an application selected, the application gets them */
	assert_int_equal(select_aid(0x00, AID_A, sizeof(AID_A), 0x0C), ORSP_SW_OK);
	assert_sw("00B0000002AABB", 0x6102);
	assert_int_equal(app_a.last_ins, 0xB0);
	assert_int_equal(mf.calls, 2);
	/* the layer's own instructions never reach either */
	assert_sw("0070000100", ORSP_SW_OK);
	assert_sw("80AA000002A900", ORSP_SW_OK);
	assert_int_equal(mf.calls, 2);
}

static void test_api_misuse(void **state)
{
	(void)state;
	orsp_euicc_apdu_ctx c;
	uint8_t small[ORSP_EUICC_MIN_COMMAND - 1], r[ORSP_EUICC_RAPDU_MAX];
	size_t n = 0;
	static const uint8_t aid17[17] = {0xF0};

	assert_int_equal(orsp_euicc_apdu_init(NULL, cmd_buf, 300, rsp_buf, 300), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_init(&c, NULL, 300, rsp_buf, 300), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_init(&c, small, sizeof(small), rsp_buf, 300),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_init(&c, cmd_buf, 300, rsp_buf, 255), ORSP_E_USAGE);
	memset(&c, 0, sizeof(c));
	assert_int_equal(
	    orsp_euicc_apdu_process(&c, (const uint8_t *)"\0\0\0\0", 4, r, sizeof(r), &n),
	    ORSP_E_USAGE); /* not initialised */
	assert_int_equal(orsp_euicc_apdu_init(&c, cmd_buf, 300, rsp_buf, 300), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_process(&c, NULL, 4, r, sizeof(r), &n), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_process(&c, r, 4, r, ORSP_EUICC_RAPDU_MAX - 1, &n),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_process(&c, NULL, 0, r, sizeof(r), &n), ORSP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(sw_of(r, n), ORSP_SW_WRONG_LENGTH);

	assert_int_equal(orsp_euicc_apdu_register(&c, AID_A, 4, &full_ops, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_register(&c, aid17, 17, &full_ops, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_register(&c, AID_A, 6, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_euicc_apdu_register(&c, AID_A, 6, &full_ops, NULL), ORSP_OK);
	assert_int_equal(orsp_euicc_apdu_register(&c, AID_A, 6, &full_ops, NULL), ORSP_E_EXISTS);
	assert_int_equal(orsp_euicc_apdu_register(&c, AID_A2, 7, &full_ops, NULL), ORSP_OK);
	for (int i = 2; i < ORSP_EUICC_MAX_APPS; i++) {
		uint8_t aid[6] = {0xF0, 1, 2, 3, 4, (uint8_t)i};
		assert_int_equal(orsp_euicc_apdu_register(&c, aid, 6, &full_ops, NULL), ORSP_OK);
	}
	assert_int_equal(orsp_euicc_apdu_register(&c, AID_B, 6, &full_ops, NULL), ORSP_E_RESOURCE);
}

/* xorshift32: a fixed sequence, no clock. */
static uint32_t rnd_state = 0x12345678;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Garbage, truncations and near-misses: always a status word, never a crash (ASan/UBSan
 * watch the memory). The card keeps working afterwards. */
static void test_garbage(void **state)
{
	(void)state;
	static const uint8_t heads[][2] = {{0x00, 0xA4}, {0x80, 0xE2}, {0x81, 0xE2}, {0x00, 0x70},
	                                   {0x01, 0xC0}, {0x80, 0xAA}, {0x41, 0xE2}, {0x00, 0xC0}};
	uint8_t c[600], r[ORSP_EUICC_RAPDU_MAX];
	card(300, 300);
	app_a.pattern_len = 700; /* more than the response buffer */
	app_b.pattern_len = 280;

	for (int i = 0; i < 100000; i++) {
		size_t n = rnd() % 300;
		for (size_t j = 0; j < n; j++)
			c[j] = (uint8_t)rnd();
		if (n >= 2 && rnd() % 2) {
			memcpy(c, heads[rnd() % ORSP_ARRAY_LEN(heads)], 2);
			if (n >= 5 && rnd() % 2)
				c[4] = (uint8_t)(n - 5 - rnd() % 3); /* Lc near the truth */
			if (n >= 4 && rnd() % 4 == 0)
				c[2] = rnd() % 2 ? 0x11 : 0x91;
		}
		if (rnd() % 50 == 0)
			(void)select_aid((uint8_t)(rnd() % 4), rnd() % 2 ? AID_A : AID_B, 6,
			                 rnd() % 2 ? 0x0C : 0x00);
		size_t rn = xfer_bytes(c, n, r);
		uint8_t sw1 = r[rn - 2];
		assert_true(sw1 == 0x90 || sw1 == 0x61 || sw1 == 0x6C ||
		            (sw1 >= 0x62 && sw1 <= 0x6F));
		if (rn > 2)
			assert_true(sw1 == 0x90 || sw1 == 0x61);
	}
	/* every prefix of the session vectors */
	tsv *t = tsv_load("apdu/lpac_session.tsv");
	for (size_t row = 0; row < tsv_rows(t); row++) {
		size_t n = tsv_hex(t, row, "capdu", c, sizeof(c));
		for (size_t k = 0; k < n; k++)
			(void)xfer_bytes(c, k, r);
	}
	tsv_free(t);
	/* still a working card */
	orsp_euicc_apdu_reset(&ctx);
	expect("0070000001", "019000");
	assert_int_equal(select_aid(0x01, AID_B, sizeof(AID_B), 0x0C), ORSP_SW_OK);
	app_b.pattern_len = 2;
	assert_sw("81E2910001AA", 0x6102);
	expect("81C0000002", "0108 9000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cases),
	    cmocka_unit_test(test_cla_coding),
	    cmocka_unit_test(test_atr),
	    cmocka_unit_test(test_lpac_pysim_session),
	    cmocka_unit_test(test_sw_names),
	    cmocka_unit_test(test_bpp_segments),
	    cmocka_unit_test(test_status_words),
	    cmocka_unit_test(test_bad_app_status),
	    cmocka_unit_test(test_sw_from_err),
	    cmocka_unit_test(test_channels),
	    cmocka_unit_test(test_channel_inherits),
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_select_overflow),
	    cmocka_unit_test(test_select_overflow_reselect_refused),
	    cmocka_unit_test(test_store_data_chaining),
	    cmocka_unit_test(test_store_data_sequence),
	    cmocka_unit_test(test_store_data_overflow),
	    cmocka_unit_test(test_get_response_chunks),
	    cmocka_unit_test(test_get_response_ownership),
	    cmocka_unit_test(test_unregister_drops_response),
	    cmocka_unit_test(test_response_overflow),
	    cmocka_unit_test(test_extended_length),
	    cmocka_unit_test(test_mf_handler),
	    cmocka_unit_test(test_api_misuse),
	    cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
