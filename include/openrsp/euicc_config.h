/* openrsp euicc: compile-time limits of the software eUICC, in one place.
 *
 * The eUICC core allocates nothing: every table below is a fixed array inside a context the
 * caller allocates, and the two large buffers (STORE DATA reassembly, pending response) are
 * memory the caller hands in. Define any of these before including euicc.h (or with -D) to
 * fit a microcontroller or a TEE; the static assertions below reject impossible values.
 */
#ifndef OPENRSP_EUICC_CONFIG_H
#define OPENRSP_EUICC_CONFIG_H

/* Logical channels, the basic channel 0 included. ETSI TS 102 221 §10.1.1 (CLA coding) can
 * address channels 0..19: 0-3 in CLA '0X'/'8X' b2b1, 4-19 in CLA '4X'/'6X'/'CX'/'EX' b4..b1.
 * 8 by default: one for the modem's telephony applications (basic channel), one for the LPA's
 * ISD-R session, and room for OMAPI clients, a USIM and an ISIM session side by side, while
 * still exercising the '4X'/'CX' encoding (channels 4-7). It is also the largest number the
 * ATR can state exactly (ISO/IEC 7816-4 §12.1.1.3 card capabilities, third byte b3..b1 = 7
 * means "8 or more"). Each channel costs two bytes of context. */
#ifndef ORSP_EUICC_MAX_CHANNELS
#define ORSP_EUICC_MAX_CHANNELS 8
#endif

/* Applications that can be registered (ISD-R, ECASD, USIM, ISIM, test applications). */
#ifndef ORSP_EUICC_MAX_APPS
#define ORSP_EUICC_MAX_APPS 8
#endif

/* Recommended size of the STORE DATA reassembly buffer (one complete ES10 command).
 * SGP.22 §5.7.2: each ES10 function is one BER-TLV sent as STORE DATA blocks of at most 255
 * bytes; the LPA splits LoadBoundProfilePackage per TLV (BF36 header + BF23, A0, A1 header,
 * each 88, A2, A3 header, each 86: docs/euicc-apdu.md), and a BPP segment is at most 1036
 * bytes (SGP.22 §2.5.3's 1020 plus one padding block, ORSP_BSP_MAX_RECV_SEGMENT), BF23 at
 * most ORSP_BSP_MAX_ISCR (512), the whole A0 a ConfigureISDP of at most 1024 bytes plus
 * MACs. The largest other requests are AuthenticateServer (BF38) and PrepareDownload
 * (BF21), which carry the SM-DP+ certificate (and, from v3, further chain certificates):
 * about 2-3 KiB. 8 KiB leaves a wide margin. */
#ifndef ORSP_EUICC_MAX_COMMAND
#define ORSP_EUICC_MAX_COMMAND 8192
#endif

/* Recommended size of the response buffer (one complete response, delivered in chunks).
 * RetrieveNotificationsList without search criteria dominates: every pending notification
 * (ORSP_EUICC_MAX_NOTIFICATIONS, 16) in one answer, each OtherSignedNotification carrying
 * CERT.EUICC and CERT.EUM, at most 2820 bytes each with euicc.h's limits (about 1.3 KB with
 * the SGP.26 certificates); euicc.h asserts that they fit. 48 KiB also holds about forty
 * profiles with full icons (up to 1024 bytes each, SGP.22 §5.7.15) in GetProfilesInfo. */
#ifndef ORSP_EUICC_MAX_RESPONSE
#define ORSP_EUICC_MAX_RESPONSE (48 * 1024)
#endif

/* Smallest buffers orsp_euicc_apdu_init() accepts: one whole short STORE DATA block, one
 * whole response chunk. */
#define ORSP_EUICC_MIN_COMMAND 255
#define ORSP_EUICC_MIN_RESPONSE 256

/* Response data bytes per R-APDU. ISO/IEC 7816-4 short Le allows up to 256; we never send
 * more, even to an extended Le, so a response APDU always fits 256 + SW1 SW2. */
#define ORSP_EUICC_CHUNK 256
#define ORSP_EUICC_RAPDU_MAX (ORSP_EUICC_CHUNK + 2)

/* An application identifier is 5..16 bytes (ISO/IEC 7816-5: RID 5 bytes + PIX up to 11). */
#define ORSP_EUICC_AID_MIN 5
#define ORSP_EUICC_AID_MAX 16

_Static_assert(ORSP_EUICC_MAX_CHANNELS >= 1 && ORSP_EUICC_MAX_CHANNELS <= 20,
               "TS 102 221 addresses logical channels 0..19");
_Static_assert(ORSP_EUICC_MAX_APPS >= 1 && ORSP_EUICC_MAX_APPS <= 127,
               "application index must fit an int8_t");
_Static_assert(ORSP_EUICC_MAX_COMMAND >= ORSP_EUICC_MIN_COMMAND,
               "the reassembly buffer must hold one whole STORE DATA block");
_Static_assert(ORSP_EUICC_MAX_RESPONSE >= ORSP_EUICC_MIN_RESPONSE,
               "the response buffer must hold one whole chunk");

#endif
