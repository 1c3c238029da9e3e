/* SELECT by AID (ISO/IEC 7816-4 §11.2.2, ETSI TS 102 221 §11.1.1) against the application
 * registry, per logical channel, with the FCI or FCP as response. */
#include <string.h>

#include "apdu_internal.h"
#include "openrsp/der.h"

/* P2 (TS 102 221 §11.1.1.2, ISO/IEC 7816-4 Table 40) */
#define P2_OCCURRENCE 0x03 /* b2b1: 00 first or only, 10 next (01 last, 11 previous: no) */
#define P2_NEXT 0x02
#define P2_RESPONSE 0x0C /* b4b3: 00 FCI, 01 FCP, 10 FMD (no), 11 no data */
#define P2_FCI 0x00
#define P2_FCP 0x04
#define P2_FMD 0x08
#define P2_NO_DATA 0x0C
#define P2_TERMINATE 0x40 /* b7: termination of the application session */

#define TAG_FCI 0x6F
#define TAG_FCP 0x62
#define TAG_FILE_DESCRIPTOR 0x82
#define TAG_DF_NAME 0x84
#define TAG_PROPRIETARY 0xA5
#define TAG_LCSI 0x8A

/* A registered AID matches the given one when equal, or when the given one is a right-
 * truncated (partial) form of it (ISO/IEC 7816-4 §11.2.2 "partial DF name"). */
static bool aid_matches(const orsp_euicc_app *app, orsp_slice aid)
{
	return aid.len <= app->aid_len && memcmp(app->aid, aid.p, aid.len) == 0;
}

/* The FCI ('6F': DF name, proprietary template) or the FCP ('62': file descriptor "DF or
 * ADF" 78 21 as TS 102 221 §11.1.1.4.3 codes it, DF name, proprietary template, life cycle
 * status "operational, activated" 05), with the application filling the proprietary part. */
static uint16_t build_fci(const orsp_euicc_app *app, uint8_t ch, uint8_t response, orsp_writer *w)
{
	static const uint8_t file_descriptor[] = {0x78, 0x21};
	static const uint8_t lcsi = 0x05;
	uint16_t sw = ORSP_SW_OK;

	if (app->ops->fci_only)
		response = P2_FCI;
	orsp_der_mark outer = orsp_der_begin(w, response == P2_FCP ? TAG_FCP : TAG_FCI);
	if (response == P2_FCP)
		orsp_der_put_tlv(w, TAG_FILE_DESCRIPTOR, file_descriptor, sizeof(file_descriptor));
	orsp_der_put_tlv(w, TAG_DF_NAME, app->aid, app->aid_len);
	orsp_der_mark prop = orsp_der_begin(w, TAG_PROPRIETARY);
	size_t before = w->len;
	if (app->ops->select)
		sw = app->ops->select(app->user, ch, w);
	if (sw != ORSP_SW_OK)
		return sw;
	if (w->len == before && !w->overflow)
		w->len = prop.start; /* nothing proprietary: no empty 'A5' */
	else
		orsp_der_end(w, prop);
	if (response == P2_FCP) {
		orsp_der_put_tlv(w, TAG_LCSI, &lcsi, 1);
		if (app->ops->fcp)
			app->ops->fcp(app->user, ch, w);
	}
	orsp_der_end(w, outer);
	return ORSP_SW_OK;
}

uint16_t euicc_select_aid(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a, euicc_out *out)
{
	uint8_t ch = a->channel;
	uint8_t response = a->p2 & P2_RESPONSE;
	uint8_t occurrence = a->p2 & P2_OCCURRENCE;

	if (a->p2 & ~(P2_OCCURRENCE | P2_RESPONSE | P2_TERMINATE))
		return euicc_fail(ORSP_SW_INCORRECT_P1P2, "SELECT P2 %02X: unknown bits set",
		                  a->p2);
	if (occurrence != 0 && occurrence != P2_NEXT)
		return euicc_fail(ORSP_SW_INCORRECT_P1P2,
		                  "SELECT P2 %02X: only first (00) and next (02) occurrence",
		                  a->p2);
	if (response == P2_FMD)
		return euicc_fail(ORSP_SW_INCORRECT_P1P2, "SELECT P2 %02X: no FMD on this card",
		                  a->p2);
	if (a->data.len < 1 || a->data.len > ORSP_EUICC_AID_MAX)
		return euicc_fail(ORSP_SW_WRONG_LENGTH,
		                  "SELECT by AID with %zu bytes of AID: 1 to %d expected",
		                  a->data.len, ORSP_EUICC_AID_MAX);

	int8_t cur = ctx->selected[ch];
	if (a->p2 & P2_TERMINATE) {
		/* TS 102 221 §11.1.1.2: end the session of the application selected here. */
		if (response != P2_NO_DATA || occurrence != 0)
			return euicc_fail(ORSP_SW_INCORRECT_P1P2,
			                  "SELECT P2 %02X: termination takes P2 4C", a->p2);
		if (cur < 0 || !aid_matches(&ctx->apps[cur], a->data))
			return euicc_fail(ORSP_SW_NOT_FOUND,
			                  "SELECT termination: that application is not selected on "
			                  "channel %u",
			                  ch);
		euicc_unselect(ctx, ch);
		return ORSP_SW_OK;
	}

	size_t start = 0;
	if (occurrence == P2_NEXT && cur >= 0 && aid_matches(&ctx->apps[cur], a->data))
		start = (size_t)cur + 1;
	size_t idx = ctx->n_apps;
	for (size_t i = start; i < ctx->n_apps; i++) {
		if (aid_matches(&ctx->apps[i], a->data)) {
			idx = i;
			break;
		}
	}
	if (idx == ctx->n_apps)
		return euicc_fail(ORSP_SW_NOT_FOUND, "no %sapplication matches the %zu-byte AID",
		                  start ? "further " : "", a->data.len);

	const orsp_euicc_app *app = &ctx->apps[idx];
	orsp_writer w;
	uint16_t sw = ORSP_SW_OK;
	if (response == P2_NO_DATA) {
		/* No response data: the application's select writes into a writer that keeps
		 * nothing, and another channel's pending response stays (docs/euicc-apdu.md,
		 * "Ownership"). */
		orsp_writer_init(&w, NULL, 0);
		if (app->ops->select)
			sw = app->ops->select(app->user, ch, &w);
	} else {
		euicc_claim_rsp(ctx, &w);
		sw = build_fci(app, ch, response, &w);
	}
	if (sw != ORSP_SW_OK) {
		/* Refused: the channel keeps its application (ISO/IEC 7816-4 §5.3.3). */
		if (response != P2_NO_DATA) {
			ctx->rsp_len = w.overflow ? ctx->rsp_cap : w.len;
			euicc_drop_rsp(ctx);
		}
		if (!euicc_sw_valid(sw))
			return euicc_fail(ORSP_SW_TECHNICAL_PROBLEM,
			                  "application select returned status word %04X", sw);
		return sw;
	}
	if (w.overflow && response != P2_NO_DATA) {
		/* The application filled more than the response buffer: undo its selection
		 * (ISO/IEC 7816-4: the current file stays). With select_undo the application
		 * puts the channel back itself, the current EF of an application it shares the
		 * channel's state with included. Else its deselect, which may end state the
		 * channel's application shares with it, and the application still selected here
		 * is selected again, into a writer that keeps nothing; if that refuses, the
		 * channel is left with no application rather than one whose state is gone. */
		if (app->ops->select_undo) {
			app->ops->select_undo(app->user, ch);
		} else if (cur < 0 || (size_t)cur != idx) {
			if (app->ops->deselect)
				app->ops->deselect(app->user, ch);
			const orsp_euicc_app *old = cur >= 0 ? &ctx->apps[cur] : NULL;
			orsp_writer none;
			orsp_writer_init(&none, NULL, 0);
			if (old && old->ops->select &&
			    old->ops->select(old->user, ch, &none) != ORSP_SW_OK)
				euicc_unselect(ctx, ch);
		}
		return euicc_respond(ctx, a, ORSP_SW_OK, &w, out); /* 6F00 */
	}
	if (cur >= 0 && (size_t)cur != idx)
		euicc_leave_app(ctx, ch); /* the new application's select ran already */
	else if (ctx->chain_channel == (int8_t)ch)
		euicc_drop_chain(ctx); /* reselected: a half-sent STORE DATA is void */
	ctx->selected[ch] = (int8_t)idx;
	if (response == P2_NO_DATA)
		return ORSP_SW_OK;
	return euicc_respond(ctx, a, ORSP_SW_OK, &w, out);
}
