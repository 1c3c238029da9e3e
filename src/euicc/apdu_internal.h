/* PRIVATE to src/euicc: the pieces of the APDU layer, and of the USIM behind it, that its
 * files share. */
#ifndef ORSP_EUICC_APDU_INTERNAL_H
#define ORSP_EUICC_APDU_INTERNAL_H

#include "openrsp/euicc.h"

/* Instructions the layer handles itself. */
#define INS_MANAGE_CHANNEL 0x70
#define INS_SELECT 0xA4
#define INS_GET_RESPONSE 0xC0
#define INS_TERMINAL_CAPABILITY 0xAA
#define INS_STORE_DATA 0xE2

/* Highest channel number CLA can carry (TS 102 221 §10.1.1). */
#define CHANNEL_NUMBER_MAX 19

/* Response data of the current command: the caller's rapdu, ORSP_EUICC_CHUNK bytes. */
typedef struct euicc_out {
	uint8_t *p;
	size_t len;
} euicc_out;

/* Record why a command is refused (orsp_err_detail(), for traces) and return sw. The
 * detail never carries command data. */
uint16_t euicc_fail(uint16_t sw, const char *fmt, ...) ORSP_PRINTF(2, 3);

/* Drop the pending response / the STORE DATA chain, wiping the buffer. */
void euicc_drop_rsp(orsp_euicc_apdu_ctx *ctx);
void euicc_drop_chain(orsp_euicc_apdu_ctx *ctx);
/* Deselect whatever application is selected on ch (calling its deselect) and drop a STORE
 * DATA chain running on ch: for a channel that gets another application next. */
void euicc_leave_app(orsp_euicc_apdu_ctx *ctx, uint8_t ch);
/* euicc_leave_app, then the MF handler's deselect: the channel is left with no application
 * (terminated, closed, reset, unregistered), at the MF with no current EF. */
void euicc_unselect(orsp_euicc_apdu_ctx *ctx, uint8_t ch);

/* Take the response buffer for the current command (dropping any pending response, of
 * whichever channel) and return a writer over it. */
void euicc_claim_rsp(orsp_euicc_apdu_ctx *ctx, orsp_writer *w);
/* The current command ended with sw and w's contents as response data: check both, keep
 * the data as the pending response of cmd's channel, and deliver the first chunk when Le is
 * present (61xx without Le). Returns the status word to send. */
uint16_t euicc_respond(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *cmd, uint16_t sw,
                       const orsp_writer *w, euicc_out *out);
/* True for a status word an application may return (see orsp_euicc_app_ops). */
bool euicc_sw_valid(uint16_t sw);

/* One handler per command (select.c, store_data.c). */
uint16_t euicc_select_aid(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *cmd, euicc_out *out);
uint16_t euicc_store_data(orsp_euicc_apdu_ctx *ctx, const orsp_apdu *cmd, euicc_out *out);

/* The PIN (puk false) or PUK entry of key reference ref in scope (ORSP_USIM_PIN_GLOBAL,
 * ORSP_USIM_DF_ADF or _ISIM) among u's, or -1 (usim_fs.c). */
int orsp__usim_pin_find(const orsp_usim *u, bool puk, uint8_t scope, long ref);

#endif
