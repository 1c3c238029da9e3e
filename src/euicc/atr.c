/* The Answer To Reset (ISO/IEC 7816-3 §8.2, ETSI TS 102 221 §6.3), every byte explained in
 * docs/euicc-apdu.md. With the default ORSP_EUICC_MAX_CHANNELS (8):
 *   3B 9A 96 80 91 FE 1F C7 80 31 E0 73 F6 21 5F 82 90 00 83
 */
#include "apdu_internal.h"

#define ATR_TS 0x3B  /* direct convention */
#define ATR_T0 0x9A  /* TA1 and TD1 follow; 10 historical bytes */
#define ATR_TA1 0x96 /* Fi = 512, Di = 32, as UICCs offer (the reader may stay at 372/1) */
#define ATR_TD1 0x80 /* T=0 offered first; TD2 follows */
#define ATR_TD2 0x91 /* T=1 offered; TA3 and TD3 follow */
#define ATR_TA3 0xFE /* T=1 IFSC: 254 bytes */
#define ATR_TD3 0x1F /* T=15 (global); TA4 follows */
#define ATR_TA4 0xC7 /* TS 102 221 §6.3.3: clock stop allowed, no preference; classes A, B, C */

/* Historical bytes, ISO/IEC 7816-4 §12.1.1, compact-TLV after category indicator 80. */
#define H_CATEGORY 0x80
#define H_SERVICE_TAG 0x31 /* card service data, 1 byte */
/* Card service data (ISO/IEC 7816-4 §12.1.1, card service data byte): b8 application
 * selection by full DF name, b7 by partial DF name, b6 BER-TLV data objects in EF.DIR, b4..b2
 * 000 EF.DIR read by READ RECORD, b1 0 the card has an MF. */
#define H_SERVICE 0xE0
#define H_CAPS_TAG 0x73 /* card capabilities, 3 bytes */
/* First software function table (ISO/IEC 7816-4 §12.1.1, card capabilities): DF selection
 * by full DF name (b8), by partial DF name (b7), by path (b6), by file identifier (b5); short
 * EF identifier (b3) and record number (b2) supported. Not b4 (implicit DF selection) nor b1
 * (record identifier). The file system is the enabled profile's (docs/usim.md). */
#define H_CAPS1 0xF6
#define H_CAPS2 0x21       /* data coding byte: data unit of one byte */
#define H_STATUS_TAG 0x82  /* status indicator: SW1 SW2 */
#define H_SW1 0x90
#define H_SW2 0x00

/* Third capabilities byte: b7 extended Lc and Le fields; b5 channel numbers assigned by the
 * card, b4 by the terminal (only with more than the basic channel); b3..b1 the number of
 * logical channels minus one, 7 meaning "eight or more". */
#define H_CHANNELS (ORSP_EUICC_MAX_CHANNELS >= 8 ? 8 : ORSP_EUICC_MAX_CHANNELS)
#define H_CAPS3 (0x40 | (ORSP_EUICC_MAX_CHANNELS > 1 ? 0x18 : 0x00) | (H_CHANNELS - 1))

/* TCK: the exclusive-or of T0 to the last historical byte (ISO/IEC 7816-3 §8.2.5), due
 * because a protocol other than T=0 is offered. */
#define ATR_TCK                                                                                    \
	(ATR_T0 ^ ATR_TA1 ^ ATR_TD1 ^ ATR_TD2 ^ ATR_TA3 ^ ATR_TD3 ^ ATR_TA4 ^ H_CATEGORY ^         \
	 H_SERVICE_TAG ^ H_SERVICE ^ H_CAPS_TAG ^ H_CAPS1 ^ H_CAPS2 ^ H_CAPS3 ^ H_STATUS_TAG ^     \
	 H_SW1 ^ H_SW2)

static const uint8_t atr[] = {
    ATR_TS,  ATR_T0,       ATR_TA1,       ATR_TD1,   ATR_TD2,    ATR_TA3, ATR_TD3,
    ATR_TA4, H_CATEGORY,   H_SERVICE_TAG, H_SERVICE, H_CAPS_TAG, H_CAPS1, H_CAPS2,
    H_CAPS3, H_STATUS_TAG, H_SW1,         H_SW2,     ATR_TCK,
};

_Static_assert(sizeof(atr) <= ORSP_EUICC_ATR_MAX, "an ATR has at most 33 bytes");

orsp_slice orsp_euicc_atr(void)
{
	return orsp_slice_make(atr, sizeof(atr));
}
