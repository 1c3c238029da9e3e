/* The APDU layer: context, dispatch, responses (61xx + GET RESPONSE), MANAGE CHANNEL and
 * TERMINAL CAPABILITY. SELECT is in select.c, STORE DATA in store_data.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "apdu_internal.h"
#include "openrsp/der.h"

/* ---------------------------------------------------------------- helpers --------------- */

uint16_t euicc_fail(uint16_t sw, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)orsp_errf(ORSP_E_MALFORMED, "%04X: %s", sw, msg);
	return sw;
}

uint16_t orsp_euicc_sw_from_err(orsp_err e)
{
	switch (e) {
	case ORSP_OK:
		return ORSP_SW_OK;
	case ORSP_E_MALFORMED:
		return ORSP_SW_INCORRECT_DATA;
	case ORSP_E_VERIFY:
		return ORSP_SW_SECURITY_STATUS;
	case ORSP_E_POLICY:
	case ORSP_E_STATE:
		return ORSP_SW_CONDITIONS_NOT_SATISFIED;
	case ORSP_E_STORAGE:
		return ORSP_SW_MEMORY_PROBLEM;
	case ORSP_E_RESOURCE:
		return ORSP_SW_NOT_ENOUGH_MEMORY;
	case ORSP_E_NOT_FOUND:
		return ORSP_SW_REFERENCED_DATA_NOT_FOUND;
	case ORSP_E_EXISTS:
		return ORSP_SW_ALREADY_EXISTS;
	default:
		return ORSP_SW_TECHNICAL_PROBLEM;
	}
}

bool euicc_sw_valid(uint16_t sw)
{
	uint8_t sw1 = (uint8_t)(sw >> 8);

	if (sw == ORSP_SW_OK)
		return true;
	/* TS 102 221 §10.2.1: 91xx proactive command pending, 92xx data transfer, 93xx toolkit
	 * busy, 98xx application errors; ISO/IEC 7816-4: 62xx-6Fxx warnings and errors. 61xx
	 * and 6Cxx are the layer's own. */
	if (sw1 == 0x91 || sw1 == 0x92 || sw1 == 0x93 || sw1 == 0x98)
		return true;
	return sw1 >= 0x62 && sw1 <= 0x6F && sw1 != ORSP_SW1_WRONG_LE;
}

void euicc_drop_rsp(orsp_euicc_apdu_ctx *ctx)
{
	orsp_wipe(ctx->rsp, ctx->rsp_len);
	ctx->rsp_len = 0;
	ctx->rsp_off = 0;
	ctx->rsp_channel = -1;
}

void euicc_drop_chain(orsp_euicc_apdu_ctx *ctx)
{
	orsp_wipe(ctx->cmd, ctx->cmd_len);
	ctx->cmd_len = 0;
	ctx->chain_channel = -1;
	ctx->chain_next = 0;
}

void euicc_leave_app(orsp_euicc_apdu_ctx *ctx, uint8_t ch)
{
	int8_t idx = ctx->selected[ch];

	ctx->selected[ch] = -1;
	if (ctx->chain_channel == (int8_t)ch)
		euicc_drop_chain(ctx);
	if (idx >= 0 && ctx->apps[idx].ops->deselect)
		ctx->apps[idx].ops->deselect(ctx->apps[idx].user, ch);
}

void euicc_unselect(orsp_euicc_apdu_ctx *ctx, uint8_t ch)
{
	euicc_leave_app(ctx, ch);
	/* Back at the MF with no current EF (TS 102 221 §11.1.17): the file the MF handler had
	 * current before an application was selected is not current again. */
	if (ctx->mf.ops && ctx->mf.ops->deselect)
		ctx->mf.ops->deselect(ctx->mf.user, ch);
}

void euicc_claim_rsp(orsp_euicc_apdu_ctx *ctx, orsp_writer *w)
{
	euicc_drop_rsp(ctx);
	orsp_writer_init(w, ctx->rsp, ctx->rsp_cap);
}

/* Copy the next chunk of the pending response: at most ne, at most ORSP_EUICC_CHUNK bytes.
 * ISO/IEC 7816-4 §5.3.4: 61xx while more is left (xx = 00 for 256 or more), 9000 with the
 * last chunk, after which the response is gone. */
static uint16_t deliver(orsp_euicc_apdu_ctx *ctx, uint32_t ne, euicc_out *out)
{
	size_t left = ctx->rsp_len - ctx->rsp_off;
	size_t n = left;

	if (n > ne)
		n = ne;
	if (n > ORSP_EUICC_CHUNK)
		n = ORSP_EUICC_CHUNK;
	memcpy(out->p, ctx->rsp + ctx->rsp_off, n);
	out->len = n;
	ctx->rsp_off += n;
	left -= n;
	if (left == 0) {
		euicc_drop_rsp(ctx);
		return ORSP_SW_OK;
	}
	return (uint16_t)((ORSP_SW1_BYTES_AVAILABLE << 8) | (left >= 256 ? 0 : left));
}

uint16_t euicc_respond(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *cmd, uint16_t sw,
                       const orsp_writer *w, euicc_out *out)
{
	/* Whatever was written must be wiped if it is dropped. */
	ctx->rsp_len = w->overflow ? ctx->rsp_cap : w->len;
	if (w->overflow) {
		euicc_drop_rsp(ctx);
		return euicc_fail(ORSP_SW_TECHNICAL_PROBLEM,
		                  "response longer than the %zu-byte response buffer",
		                  ctx->rsp_cap);
	}
	if (!euicc_sw_valid(sw)) {
		euicc_drop_rsp(ctx);
		return euicc_fail(ORSP_SW_TECHNICAL_PROBLEM,
		                  "application returned status word %04X", sw);
	}
	if (sw != ORSP_SW_OK || ctx->rsp_len == 0) {
		euicc_drop_rsp(ctx);
		return sw;
	}
	ctx->rsp_off = 0;
	ctx->rsp_channel = (int8_t)cmd->channel;
	/* Without Le (case 1 or 3, as T=0 terminals send case 4 commands) the data waits for
	 * GET RESPONSE (TS 102 221 §7.3.1.1.4); with Le the first chunk goes out now. */
	if (!cmd->le_present) {
		size_t n = ctx->rsp_len;
		return (uint16_t)((ORSP_SW1_BYTES_AVAILABLE << 8) | (n >= 256 ? 0 : n));
	}
	return deliver(ctx, cmd->ne, out);
}

/* ---------------------------------------------------------------- context -------------- */

orsp_err orsp_euicc_apdu_init(orsp_euicc_apdu_ctx *ctx, uint8_t *cmd, size_t cmd_cap, uint8_t *rsp,
                              size_t rsp_cap)
{
	if (!ctx || !cmd || !rsp)
		return orsp_errf(ORSP_E_USAGE, "euicc_apdu_init: NULL argument");
	if (cmd_cap < ORSP_EUICC_MIN_COMMAND || rsp_cap < ORSP_EUICC_MIN_RESPONSE)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "euicc_apdu_init: buffers of %zu and %zu bytes, need at least %d and %d",
		    cmd_cap, rsp_cap, ORSP_EUICC_MIN_COMMAND, ORSP_EUICC_MIN_RESPONSE);
	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	ctx->cmd_cap = cmd_cap;
	ctx->rsp = rsp;
	ctx->rsp_cap = rsp_cap;
	for (size_t i = 0; i < ORSP_EUICC_MAX_CHANNELS; i++)
		ctx->selected[i] = -1;
	ctx->chain_channel = -1;
	ctx->rsp_channel = -1;
	ctx->open[0] = true;
	ctx->ready = true;
	return ORSP_OK;
}

orsp_err orsp_euicc_apdu_register(orsp_euicc_apdu_ctx *ctx, const uint8_t *aid, size_t aid_len,
                                  const orsp_euicc_app_ops *ops, void *user)
{
	if (!ctx || !ctx->ready || !aid || !ops)
		return orsp_errf(ORSP_E_USAGE, "euicc_apdu_register: NULL argument");
	if (aid_len < ORSP_EUICC_AID_MIN || aid_len > ORSP_EUICC_AID_MAX)
		return orsp_errf(ORSP_E_USAGE, "AID of %zu bytes: ISO/IEC 7816-5 allows %d to %d",
		                 aid_len, ORSP_EUICC_AID_MIN, ORSP_EUICC_AID_MAX);
	for (size_t i = 0; i < ctx->n_apps; i++) {
		const orsp_euicc_app *a = &ctx->apps[i];
		if (a->aid_len == aid_len && memcmp(a->aid, aid, aid_len) == 0)
			return orsp_errf(ORSP_E_EXISTS, "AID registered already");
	}
	if (ctx->n_apps >= ORSP_EUICC_MAX_APPS)
		return orsp_errf(ORSP_E_RESOURCE, "all %d application slots are taken",
		                 ORSP_EUICC_MAX_APPS);
	orsp_euicc_app *a = &ctx->apps[ctx->n_apps++];
	memset(a, 0, sizeof(*a));
	memcpy(a->aid, aid, aid_len);
	a->aid_len = (uint8_t)aid_len;
	a->ops = ops;
	a->user = user;
	return ORSP_OK;
}

orsp_err orsp_euicc_apdu_unregister(orsp_euicc_apdu_ctx *ctx, const uint8_t *aid, size_t aid_len)
{
	size_t idx;

	if (!ctx || !ctx->ready || !aid)
		return orsp_errf(ORSP_E_USAGE, "euicc_apdu_unregister: NULL argument");
	for (idx = 0; idx < ctx->n_apps; idx++) {
		const orsp_euicc_app *a = &ctx->apps[idx];
		if (a->aid_len == aid_len && memcmp(a->aid, aid, aid_len) == 0)
			break;
	}
	if (idx == ctx->n_apps)
		return orsp_errf(ORSP_E_NOT_FOUND, "AID not registered");
	/* Deselect it everywhere first; what it left pending goes with it. */
	for (uint8_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		if (ctx->selected[ch] != (int8_t)idx)
			continue;
		euicc_unselect(ctx, ch);
		if (ctx->rsp_channel == (int8_t)ch)
			euicc_drop_rsp(ctx);
	}
	for (size_t i = idx + 1; i < ctx->n_apps; i++)
		ctx->apps[i - 1] = ctx->apps[i];
	ctx->n_apps--;
	memset(&ctx->apps[ctx->n_apps], 0, sizeof(ctx->apps[0]));
	for (uint8_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++)
		if (ctx->selected[ch] > (int8_t)idx)
			ctx->selected[ch]--;
	return ORSP_OK;
}

void orsp_euicc_apdu_set_mf(orsp_euicc_apdu_ctx *ctx, const orsp_euicc_app_ops *ops, void *user)
{
	if (!ctx)
		return;
	memset(&ctx->mf, 0, sizeof(ctx->mf));
	ctx->mf.ops = ops;
	ctx->mf.user = ops ? user : NULL;
}

void orsp_euicc_apdu_reset(orsp_euicc_apdu_ctx *ctx)
{
	if (!ctx || !ctx->ready)
		return;
	for (uint8_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		euicc_unselect(ctx, ch);
		ctx->open[ch] = ch == 0;
	}
	euicc_drop_chain(ctx);
	euicc_drop_rsp(ctx);
	ctx->terminal_capability = false;
	/* n_apps read each time: a callback may unregister an application (the ISD-R does
	 * with the USIM when its storage fails) */
	for (size_t i = 0; i < ctx->n_apps; i++)
		if (ctx->apps[i].ops->reset)
			ctx->apps[i].ops->reset(ctx->apps[i].user);
}

bool orsp_euicc_apdu_terminal_capability(const orsp_euicc_apdu_ctx *ctx)
{
	return ctx && ctx->terminal_capability;
}

/* ---------------------------------------------------------------- commands ------------- */

/* GET RESPONSE (ISO/IEC 7816-4 §11.7.1, TS 102 221 §11.1.13): P1 = P2 = 00, no data, Le.
 * Accepted in either class: lpac and pySim repeat the CLA of the command whose response
 * they fetch, '8X' for STORE DATA. */
static uint16_t get_response(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a, euicc_out *out)
{
	if (a->p1 != 0 || a->p2 != 0)
		return euicc_fail(ORSP_SW_INCORRECT_P1P2,
		                  "GET RESPONSE with P1 P2 %02X%02X, not 0000", a->p1, a->p2);
	if (a->data.len != 0 || !a->le_present)
		return euicc_fail(ORSP_SW_WRONG_LENGTH, "GET RESPONSE is case 2: Le and no data");
	/* TS 102 221 §12.1.1.1: out of sequence (nothing pending, or lost to a command in
	 * between) is 6F00, technical problem (6985 until session 68) */
	if (ctx->rsp_channel != (int8_t)a->channel)
		return euicc_fail(ORSP_SW_TECHNICAL_PROBLEM,
		                  "no response data pending on channel %u", a->channel);
	size_t left = ctx->rsp_len - ctx->rsp_off;
	/* A short Le of 01..FF asks for exactly that many bytes (T=0, TS 102 221 §7.2.2.3.1):
	 * more than are left is answered 6Cxx with the right number. Le 00 (or an extended Le)
	 * means "up to the maximum" (ISO/IEC 7816-4 §5.1) and takes what is left. */
	if (!a->extended && a->ne < 256 && a->ne > left)
		return euicc_fail((uint16_t)((ORSP_SW1_WRONG_LE << 8) | left),
		                  "GET RESPONSE Le %u but %zu bytes are left", (unsigned)a->ne,
		                  left);
	return deliver(ctx, a->ne, out);
}

/* Open the lowest free channel or the one P2 names (ISO/IEC 7816-4 §11.1.2, TS 102 221
 * §11.1.17). */
static uint16_t channel_open(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a, euicc_out *out)
{
	uint8_t n = 0;

	if (a->p2 == 0) {
		for (uint8_t i = 1; i < ORSP_EUICC_MAX_CHANNELS; i++) {
			if (!ctx->open[i]) {
				n = i;
				break;
			}
		}
		if (n == 0)
			return euicc_fail(ORSP_SW_FUNCTION_NOT_SUPPORTED,
			                  "all %d logical channels are open",
			                  ORSP_EUICC_MAX_CHANNELS);
	} else {
		if (a->p2 > CHANNEL_NUMBER_MAX)
			return euicc_fail(ORSP_SW_INCORRECT_P1P2,
			                  "MANAGE CHANNEL open %u: channels are numbered 1 to 19",
			                  a->p2);
		if (a->p2 >= ORSP_EUICC_MAX_CHANNELS)
			return euicc_fail(ORSP_SW_FUNCTION_NOT_SUPPORTED,
			                  "MANAGE CHANNEL open %u: this card has channels 0 to %d",
			                  a->p2, ORSP_EUICC_MAX_CHANNELS - 1);
		if (ctx->open[a->p2])
			return euicc_fail(ORSP_SW_CONDITIONS_NOT_SATISFIED,
			                  "MANAGE CHANNEL open %u: the channel is open already",
			                  a->p2);
		n = a->p2;
	}
	ctx->open[n] = true;
	ctx->selected[n] = -1;
	/* Opened from a channel other than the basic one, the new channel starts with that
	 * channel's application selected and its current DF (ISO/IEC 7816-4 §5.4.2); from the
	 * basic channel, with none (the MF). The application may refuse; the channel then has
	 * none. */
	int8_t from = ctx->selected[a->channel];
	if (a->channel != 0 && from >= 0) {
		const orsp_euicc_app *app = &ctx->apps[from];
		orsp_writer none;
		orsp_writer_init(&none, NULL, 0);
		if (!app->ops->select || app->ops->select(app->user, n, &none) == ORSP_SW_OK) {
			ctx->selected[n] = from;
			if (app->ops->opened_from)
				app->ops->opened_from(app->user, a->channel, n);
		}
	}
	if (a->p2 != 0)
		return ORSP_SW_OK;

	orsp_writer w;
	euicc_claim_rsp(ctx, &w);
	orsp_write_u8(&w, n);
	return euicc_respond(ctx, a, ORSP_SW_OK, &w, out);
}

static uint16_t channel_close(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a)
{
	uint8_t n = a->p2;

	if (n == 0)
		return euicc_fail(ORSP_SW_INCORRECT_P1P2,
		                  "MANAGE CHANNEL close: the basic channel cannot be closed");
	if (n > CHANNEL_NUMBER_MAX)
		return euicc_fail(ORSP_SW_INCORRECT_P1P2,
		                  "MANAGE CHANNEL close %u: channels are numbered 1 to 19", n);
	if (n >= ORSP_EUICC_MAX_CHANNELS || !ctx->open[n])
		return euicc_fail(ORSP_SW_CHANNEL_NOT_SUPPORTED,
		                  "MANAGE CHANNEL close %u: the channel is not open", n);
	euicc_unselect(ctx, n);
	if (ctx->rsp_channel == (int8_t)n)
		euicc_drop_rsp(ctx);
	ctx->open[n] = false;
	return ORSP_SW_OK;
}

/* MANAGE CHANNEL: P1 00 open, 80 close. Case 1 or 2 (the Le of an open returns the channel
 * number; an Le on a close, as lpac sends `00 70 80 0n 00`, is the T=0 form of case 1 and
 * is accepted). */
static uint16_t manage_channel(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a, euicc_out *out)
{
	if (a->data.len != 0)
		return euicc_fail(ORSP_SW_WRONG_LENGTH, "MANAGE CHANNEL carries no command data");
	if (a->p1 == 0x00)
		return channel_open(ctx, a, out);
	if (a->p1 == 0x80)
		return channel_close(ctx, a);
	return euicc_fail(ORSP_SW_INCORRECT_P1P2,
	                  "MANAGE CHANNEL P1 %02X: neither open (00) nor close (80)", a->p1);
}

/* TERMINAL CAPABILITY (TS 102 221 §11.1.19): P1 = P2 = 00, data = one terminal capability
 * template 'A9'. Recorded, nothing returned. */
static uint16_t terminal_capability(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a)
{
	orsp_tlv t;

	if (a->p1 != 0 || a->p2 != 0)
		return euicc_fail(ORSP_SW_INCORRECT_P1P2,
		                  "TERMINAL CAPABILITY with P1 P2 %02X%02X, not 0000", a->p1,
		                  a->p2);
	if (a->data.len == 0)
		return euicc_fail(ORSP_SW_WRONG_LENGTH, "TERMINAL CAPABILITY without data");
	if (orsp_der_parse_one(a->data, &t) != ORSP_OK || t.tag != 0xA9 ||
	    orsp_der_validate(a->data, 4) != ORSP_OK)
		return euicc_fail(
		    ORSP_SW_INCORRECT_DATA,
		    "TERMINAL CAPABILITY data is not one terminal capability template "
		    "(A9)");
	ctx->terminal_capability = true;
	return ORSP_SW_OK;
}

/* Anything else goes to the application selected on the channel, or to the MF handler. */
static uint16_t forward(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a, euicc_out *out)
{
	int8_t idx = ctx->selected[a->channel];
	const orsp_euicc_app *app = idx >= 0 ? &ctx->apps[idx] : &ctx->mf;

	if (!app->ops || !app->ops->process) {
		if (a->ins == INS_SELECT)
			return euicc_fail(ORSP_SW_INCORRECT_P1P2,
			                  "SELECT P1 %02X: only selection by AID (04) here", a->p1);
		return euicc_fail(ORSP_SW_INS_NOT_SUPPORTED, "INS %02X not supported on channel %u",
		                  a->ins, a->channel);
	}
	orsp_writer w;
	euicc_claim_rsp(ctx, &w);
	uint16_t sw = app->ops->process(app->user, a->channel, a, &w);
	return euicc_respond(ctx, a, sw, &w, out);
}

static uint16_t dispatch(orsp_euicc_apdu_ctx *ctx, const uint8_t *buf, size_t len, euicc_out *out)
{
	orsp_apdu a;
	uint8_t ch = 0;
	bool prop = false;

	/* A response is there for the GET RESPONSE that follows it at once on its channel (TS
	 * 102 221 §12.1.1.1): any other command, on any channel and whatever it is answered
	 * (one refused for its length or class too), loses it. Until session 68 one on another
	 * channel that returned no data (TERMINAL CAPABILITY, an intermediate STORE DATA block,
	 * SELECT with P2 0C, a refusal) left it for a later GET RESPONSE, which no UICC serves. */
	uint16_t sw = len >= 4 ? orsp_apdu_decode_cla(buf[0], &ch, &prop) : ORSP_SW_WRONG_LENGTH;
	bool fetch =
	    sw == ORSP_SW_OK && buf[1] == INS_GET_RESPONSE && ctx->rsp_channel == (int8_t)ch;
	if (ctx->rsp_channel >= 0 && !fetch)
		euicc_drop_rsp(ctx);
	if (len < 4)
		return euicc_fail(ORSP_SW_WRONG_LENGTH,
		                  "APDU of %zu bytes: shorter than its header", len);
	if (sw != ORSP_SW_OK)
		return euicc_fail(sw, "CLA %02X not supported", buf[0]);
	if (orsp_apdu_parse(buf, len, &a) != ORSP_OK)
		return euicc_fail(ORSP_SW_WRONG_LENGTH, "%s", orsp_err_detail());
	a.channel = ch;
	if (ch >= ORSP_EUICC_MAX_CHANNELS || !ctx->open[ch])
		return euicc_fail(ORSP_SW_CHANNEL_NOT_SUPPORTED, "logical channel %u is not open",
		                  ch);

	switch (a.ins) {
	case INS_MANAGE_CHANNEL:
		if (prop)
			break;
		return manage_channel(ctx, &a, out);
	case INS_SELECT:
		if (a.p1 != 0x04)
			break; /* by FID or path: the application's or the MF's business */
		if (prop)
			return euicc_fail(ORSP_SW_CLA_NOT_SUPPORTED,
			                  "SELECT is a '0X' class command");
		return euicc_select_aid(ctx, &a, out);
	case INS_GET_RESPONSE:
		return get_response(ctx, &a, out);
	case INS_TERMINAL_CAPABILITY:
		if (!prop)
			return euicc_fail(ORSP_SW_CLA_NOT_SUPPORTED,
			                  "TERMINAL CAPABILITY is a '8X' class command");
		return terminal_capability(ctx, &a);
	case INS_STORE_DATA:
		if (!prop)
			return euicc_fail(ORSP_SW_CLA_NOT_SUPPORTED,
			                  "STORE DATA is a '8X' class command");
		return euicc_store_data(ctx, &a, out);
	default:
		break;
	}
	if (a.ins == INS_MANAGE_CHANNEL)
		return euicc_fail(ORSP_SW_CLA_NOT_SUPPORTED,
		                  "MANAGE CHANNEL is a '0X' class command");
	return forward(ctx, &a, out);
}

orsp_err orsp_euicc_apdu_process(orsp_euicc_apdu_ctx *ctx, const uint8_t *capdu, size_t capdu_len,
                                 uint8_t *rapdu, size_t rapdu_cap, size_t *rapdu_len)
{
	if (!ctx || !ctx->ready || (!capdu && capdu_len) || !rapdu || !rapdu_len)
		return orsp_errf(ORSP_E_USAGE, "euicc_apdu_process: NULL argument or context not "
		                               "initialised");
	if (rapdu_cap < ORSP_EUICC_RAPDU_MAX)
		return orsp_errf(ORSP_E_USAGE,
		                 "euicc_apdu_process: response buffer of %zu bytes, "
		                 "need %d",
		                 rapdu_cap, ORSP_EUICC_RAPDU_MAX);
	orsp_err_clear();
	euicc_out out = {rapdu, 0};
	uint16_t sw = dispatch(ctx, capdu, capdu_len, &out);
	rapdu[out.len] = (uint8_t)(sw >> 8);
	rapdu[out.len + 1] = (uint8_t)sw;
	*rapdu_len = out.len + 2;
	return ORSP_OK;
}
