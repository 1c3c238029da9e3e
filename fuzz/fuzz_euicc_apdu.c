/* libFuzzer target for the eUICC's APDU layer and its vpcd message handling.
 *
 * The input is a session: a sequence of vpcd messages, each a 2-byte big-endian length and
 * that many bytes (cut short at the end of the input), fed to one card through
 * orsp_vpcd_handle(). The card has small buffers (so that STORE DATA overflow and response
 * overflow are reachable), an echo application, one answering with a response whose length
 * the command chooses, one with proprietary FCI data and an MF handler. Properties:
 *  - orsp_vpcd_handle() fails only on empty messages and unknown controls, never on APDUs;
 *  - every reply to an APDU is 2..258 bytes, ends in a status word the layer or the
 *    applications may use, and carries data only with 9000 or 61xx;
 *  - get ATR returns the ATR;
 *  - after every message the context is consistent (pending response inside its buffer and
 *    owned by an open channel, the STORE DATA chain inside its buffer, the basic channel
 *    open, only open channels with an application);
 *  - orsp_apdu_parse() accepts exactly the canonical encodings: what it accepts re-encodes,
 *    from its fields alone, to the same bytes.
 * A violated property calls abort(). Deterministic: no clock, no randomness.
 */
#include <stdlib.h>
#include <string.h>

#include "openrsp/euicc.h"

#include "euicc_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t echo_store(void *user, uint8_t ch, orsp_slice d, orsp_writer *rsp)
{
	(void)user;
	(void)ch;
	orsp_write_bytes(rsp, d.p, d.len);
	return ORSP_SW_OK;
}

static uint16_t echo_process(void *user, uint8_t ch, const orsp_apdu *cmd, orsp_writer *rsp)
{
	(void)user;
	(void)ch;
	orsp_write_bytes(rsp, cmd->data.p, cmd->data.len);
	return cmd->p1 == 0x42 ? (uint16_t)(cmd->p2 << 8 | cmd->p1) : ORSP_SW_OK;
}

/* Answers 4 * first byte bytes (up to 1020) with the status word of bytes 1-2, if any. */
static uint16_t sized_store(void *user, uint8_t ch, orsp_slice d, orsp_writer *rsp)
{
	(void)user;
	(void)ch;
	size_t n = d.len ? 4u * d.p[0] : 0;
	for (size_t i = 0; i < n; i++)
		orsp_write_u8(rsp, (uint8_t)i);
	return d.len >= 3 && d.p[1] != 0x90 ? (uint16_t)(d.p[1] << 8 | d.p[2]) : ORSP_SW_OK;
}

static uint16_t prop_select(void *user, uint8_t ch, orsp_writer *prop)
{
	(void)user;
	static const uint8_t p[] = {0x82, 0x03, 0x02, 0x02, 0x00};
	orsp_write_bytes(prop, p, sizeof(p));
	return ch == 3 ? ORSP_SW_CONDITIONS_NOT_SATISFIED : ORSP_SW_OK;
}

static void noop_deselect(void *user, uint8_t ch)
{
	(void)user;
	(void)ch;
}

static const orsp_euicc_app_ops echo_ops = {
    .deselect = noop_deselect, .store_data = echo_store, .process = echo_process};
static const orsp_euicc_app_ops sized_ops = {.store_data = sized_store};
static const orsp_euicc_app_ops prop_ops = {.select = prop_select, .process = echo_process};
static const orsp_euicc_app_ops mf_ops = {.process = echo_process};

static const uint8_t AID_ECHO[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                   0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};
static const uint8_t AID_SIZED[] = {0xF0, 0x01, 0x02, 0x03, 0x04};
static const uint8_t AID_PROP[] = {0xF0, 0x01, 0x02, 0x03, 0x04, 0x05};

/* ISO/IEC 7816-4 §5.1 encoding of the parsed fields, written independently. */
static size_t encode(const orsp_apdu *a, uint8_t *out)
{
	size_t n = 0;
	out[n++] = a->cla;
	out[n++] = a->ins;
	out[n++] = a->p1;
	out[n++] = a->p2;
	if (a->extended) {
		out[n++] = 0x00;
		if (a->data.len) {
			out[n++] = (uint8_t)(a->data.len >> 8);
			out[n++] = (uint8_t)a->data.len;
			memcpy(out + n, a->data.p, a->data.len);
			n += a->data.len;
		}
		if (a->le_present) {
			uint32_t le = a->ne == 65536 ? 0 : a->ne;
			out[n++] = (uint8_t)(le >> 8);
			out[n++] = (uint8_t)le;
		}
	} else {
		if (a->data.len) {
			out[n++] = (uint8_t)a->data.len;
			memcpy(out + n, a->data.p, a->data.len);
			n += a->data.len;
		}
		if (a->le_present)
			out[n++] = (uint8_t)(a->ne == 256 ? 0 : a->ne);
	}
	return n;
}

static void check_apdu_parse(const uint8_t *m, size_t n, uint8_t *scratch)
{
	orsp_apdu a;
	orsp_err e = orsp_apdu_parse(m, n, &a);
	check(e == ORSP_OK || e == ORSP_E_MALFORMED);
	if (e != ORSP_OK)
		return;
	check(a.data.len == 0 || (a.data.p > m && a.data.p + a.data.len <= m + n));
	check(a.le_present ? a.ne >= 1 && a.ne <= (a.extended ? 65536u : 256u) : a.ne == 0);
	check(a.extended ? a.data.len <= 65535 : a.data.len <= 255);
	check(encode(&a, scratch) == n);
	check(memcmp(scratch, m, n) == 0);
}

static void check_ctx(const orsp_euicc_apdu_ctx *c)
{
	check(c->open[0]);
	check(c->rsp_off <= c->rsp_len && c->rsp_len <= c->rsp_cap);
	if (c->rsp_channel < 0)
		check(c->rsp_len == 0);
	else
		check(c->rsp_channel < ORSP_EUICC_MAX_CHANNELS && c->open[c->rsp_channel] &&
		      c->rsp_off < c->rsp_len);
	check(c->cmd_len <= c->cmd_cap);
	if (c->chain_channel < 0)
		check(c->cmd_len == 0);
	else
		check(c->chain_channel < ORSP_EUICC_MAX_CHANNELS && c->open[c->chain_channel] &&
		      c->selected[c->chain_channel] >= 0 && c->chain_next <= 256);
	for (int ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		check(c->selected[ch] >= -1 && c->selected[ch] < (int)c->n_apps);
		if (!c->open[ch])
			check(c->selected[ch] == -1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cmd[600], rsp[700];
	static orsp_euicc_apdu_ctx ctx;
	uint8_t out[ORSP_EUICC_RAPDU_MAX];
	uint8_t *scratch = malloc(size + 16);
	if (!scratch)
		return 0;

	check(orsp_euicc_apdu_init(&ctx, cmd, sizeof(cmd), rsp, sizeof(rsp)) == ORSP_OK);
	check(orsp_euicc_apdu_register(&ctx, AID_ECHO, sizeof(AID_ECHO), &echo_ops, NULL) ==
	      ORSP_OK);
	check(orsp_euicc_apdu_register(&ctx, AID_SIZED, sizeof(AID_SIZED), &sized_ops, NULL) ==
	      ORSP_OK);
	check(orsp_euicc_apdu_register(&ctx, AID_PROP, sizeof(AID_PROP), &prop_ops, NULL) ==
	      ORSP_OK);
	orsp_euicc_apdu_set_mf(&ctx, &mf_ops, NULL);
	orsp_slice atr = orsp_euicc_atr();

	size_t off = 0;
	while (off < size) {
		size_t n = data[off++];
		if (off < size)
			n = (n << 8) | data[off++];
		if (n > size - off)
			n = size - off;
		const uint8_t *m = data + off;
		off += n;

		size_t out_len = 12345;
		orsp_err e = orsp_vpcd_handle(&ctx, m, n, out, sizeof(out), &out_len);
		if (n <= 1) {
			bool known = n == 1 && (m[0] == 0 || m[0] == 1 || m[0] == 2 || m[0] == 4);
			check(e == (known ? ORSP_OK : ORSP_E_MALFORMED));
			if (known && m[0] == 4)
				check(out_len == atr.len && memcmp(out, atr.p, atr.len) == 0);
			else
				check(out_len == 0);
		} else {
			check(e == ORSP_OK);
			check(out_len >= 2 && out_len <= ORSP_EUICC_RAPDU_MAX);
			uint16_t sw = (uint16_t)(out[out_len - 2] << 8 | out[out_len - 1]);
			check(sw_allowed(sw));
			if (out_len > 2)
				check(sw == 0x9000 || (sw >> 8) == 0x61);
			check_apdu_parse(m, n, scratch);
		}
		check_ctx(&ctx);
	}
	free(scratch);
	return 0;
}
