/* Private to src/bsp: tags and helpers shared by the segment layer, the BPP builder and the
 * unwrap state machine. */
#ifndef ORSP_BSP_INTERNAL_H
#define ORSP_BSP_INTERNAL_H

#include "openrsp/bsp.h"
#include "openrsp/der.h"

/* BoundProfilePackage and its parts (SGP.22 §2.5.4, RSPDefinitions). */
#define BSP_TAG_BPP 0xBF36
#define BSP_TAG_ISCR 0xBF23 /* InitialiseSecureChannelRequest */
#define BSP_TAG_SEQ87_FIRST 0xA0
#define BSP_TAG_SEQ88 0xA1
#define BSP_TAG_SEQ87_SECOND 0xA2
#define BSP_TAG_SEQ86 0xA3
#define BSP_TAG_CONFIGURE_ISDP 0xBF24
#define BSP_TAG_STORE_METADATA 0xBF25
#define BSP_TAG_REPLACE_SESSION_KEYS 0xBF26

/* InitialiseSecureChannelRequest fields. */
#define BSP_TAG_REMOTE_OP_ID 0x82 /* RemoteOpId ::= [2] INTEGER */
#define BSP_TAG_TRANSACTION_ID 0x80
#define BSP_TAG_CRT 0xA6 /* controlRefTemplate [6] IMPLICIT ControlRefTemplate */
#define BSP_TAG_CRT_KEY_TYPE 0x80
#define BSP_TAG_CRT_KEY_LEN 0x81
#define BSP_TAG_CRT_HOST_ID 0x84
#define BSP_TAG_OTPK 0x5F49 /* smdpOtpk, and euiccOtpk in the signed data */
#define BSP_TAG_SIGN 0x5F37 /* smdpSign */
#define BSP_REMOTE_OP_INSTALL_BPP 1

/* Depth allowed when checking ConfigureISDP / StoreMetadata plaintext as DER. */
#define BSP_MSG_MAX_DEPTH 8

/* The data an SM-DP+ signs as smdpSign (SGP.22 §5.5.1, ES8+.InitialiseSecureChannel):
 * the InitialiseSecureChannelRequest data objects remoteOpId, transactionId,
 * controlRefTemplate and smdpOtpk as encoded (`fields`, contiguous), followed by the
 * euiccOtpk data object 5F49 41 <otPK.EUICC.ECKA>. Writes to w. */
void bsp_put_signed_data(orsp_writer *w, orsp_slice fields, const uint8_t *euicc_otpk,
                         size_t otpk_len);

/* Bytes of plaintext carried by the segments for a given payload length: helpers used to
 * size sequences. */
size_t bsp_seq_content_len(uint8_t tag, size_t n);

#endif
