/* STORE DATA (GlobalPlatform Card Specification §11.11, SGP.22 §5.7.2): an ES10 function is
 * one BER-TLV sent in blocks of at most 255 bytes, P1 '11' for every block but the last and
 * '91' for the last, P2 the block number from 00 (lpac euicc/es10x.c, pySim). The blocks are
 * reassembled into the caller's buffer and handed to the selected application as one
 * command; its response waits for GET RESPONSE. */
#include <string.h>

#include "apdu_internal.h"

/* P1: b8 last block, b5b4 '10' BER-TLV data, b1 as SGP.22 Table 47 sets it. */
#define P1_MORE_BLOCKS 0x11
#define P1_LAST_BLOCK 0x91

/* End the chain on ch (if there is one) because of an error, and return sw. */
static uint16_t abort_chain(orsp_euicc_apdu_ctx *ctx, uint8_t ch, uint16_t sw)
{
	if (ctx->chain_channel == (int8_t)ch)
		euicc_drop_chain(ctx);
	return sw;
}

uint16_t euicc_store_data(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *a, euicc_out *out)
{
	uint8_t ch = a->channel;
	int8_t idx = ctx->selected[ch];

	if (idx < 0)
		return abort_chain(ctx, ch,
		                   euicc_fail(ORSP_SW_CONDITIONS_NOT_SATISFIED,
		                              "STORE DATA on channel %u: no application selected",
		                              ch));
	const orsp_euicc_app *app = &ctx->apps[idx];
	if (!app->ops->store_data)
		return euicc_fail(ORSP_SW_INS_NOT_SUPPORTED,
		                  "STORE DATA: the application selected on channel %u takes none",
		                  ch);
	if (a->p1 != P1_MORE_BLOCKS && a->p1 != P1_LAST_BLOCK)
		return abort_chain(
		    ctx, ch,
		    euicc_fail(ORSP_SW_INCORRECT_P1P2,
		               "STORE DATA P1 %02X: 11 (more blocks) or 91 (last block)", a->p1));
	if (a->data.len == 0)
		return abort_chain(
		    ctx, ch, euicc_fail(ORSP_SW_WRONG_LENGTH, "STORE DATA block without data"));

	if (a->p2 == 0) {
		/* Block 00 starts a command. One buffer serves every channel: a chain left
		 * unfinished here or on another channel is dropped (its next block then fails
		 * below). */
		euicc_drop_chain(ctx);
		ctx->chain_channel = (int8_t)ch;
	} else if (ctx->chain_channel != (int8_t)ch || a->p2 != ctx->chain_next) {
		if (ctx->chain_channel != (int8_t)ch)
			return euicc_fail(
			    ORSP_SW_INCORRECT_P1P2,
			    "STORE DATA block %u: no command in progress on channel %u", a->p2, ch);
		uint16_t want = ctx->chain_next;
		euicc_drop_chain(ctx);
		return euicc_fail(
		    ORSP_SW_INCORRECT_P1P2,
		    "STORE DATA block %u out of sequence: expected %u; command dropped", a->p2,
		    want);
	}
	/* Too long for the reassembly buffer: every block was well formed, the command as a
	 * whole is not one this card can take, so "incorrect values in command data" (6A80,
	 * the ISD-R's word for bad ES10 data) rather than "wrong length" (6700, which tells the
	 * LPA that this APDU's own Lc/Le encoding is wrong, and it is not). */
	if (a->data.len > ctx->cmd_cap - ctx->cmd_len) {
		size_t had = ctx->cmd_len;
		euicc_drop_chain(ctx);
		return euicc_fail(
		    ORSP_SW_INCORRECT_DATA,
		    "STORE DATA: %zu + %zu bytes exceed the %zu-byte reassembly buffer", had,
		    a->data.len, ctx->cmd_cap);
	}
	memcpy(ctx->cmd + ctx->cmd_len, a->data.p, a->data.len);
	ctx->cmd_len += a->data.len;

	if (a->p1 == P1_MORE_BLOCKS) {
		if (a->p2 == 0xFF) {
			euicc_drop_chain(ctx);
			return euicc_fail(ORSP_SW_INCORRECT_P1P2,
			                  "STORE DATA: more blocks announced after block FF");
		}
		ctx->chain_next = (uint16_t)(a->p2 + 1);
		return ORSP_SW_OK;
	}

	orsp_writer w;
	euicc_claim_rsp(ctx, &w);
	uint16_t sw =
	    app->ops->store_data(app->user, ch, orsp_slice_make(ctx->cmd, ctx->cmd_len), &w);
	euicc_drop_chain(ctx);
	return euicc_respond(ctx, a, sw, &w, out);
}
