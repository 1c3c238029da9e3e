/* openrsp bsp: the SGP.22 BPP protection protocol (BSP, called SCP03t before v3) and the
 * Bound Profile Package (BPP, tag BF36).
 *
 * Three layers, each usable on its own:
 *  1. Session keys (SGP.22 §2.6.4.2): ECKA shared secret -> X9.63 KDF -> initial MAC chaining
 *     value, S-ENC, S-MAC (orsp_bsp_derive_keys).
 *  2. Segments (§2.6.4.3 - §2.6.4.5): one protected TLV at a time, '86'/'87' encrypted and
 *     MACed, '88' MACed only, through an orsp_bsp_ctx holding the keys, the MAC chaining
 *     value and the block counter (orsp_bsp_protect / orsp_bsp_unprotect).
 *  3. The BPP (§2.5.4, ES8+ §5.5): built in one call on the SM-DP+ side (orsp_bsp_bpp_build),
 *     and unwrapped on the eUICC side by a streaming state machine that takes the BPP in
 *     chunks of any size and hands out only verified plaintext (orsp_bsp_unwrap_*).
 *
 * Wire format: every element of firstSequenceOf87 / sequenceOf88 / secondSequenceOf87 /
 * sequenceOf86 is `[7]/[8]/[6] IMPLICIT OCTET STRING`, i.e. the protected TLV itself
 * ('87' L data C-MAC); the tag and length that the C-MAC covers are the element's own.
 * docs/bsp.md explains this and a non-conforming double-wrapped variant.
 *
 * Secrets: session keys and PPKs live in orsp_bsp_keys (orsp_secret fields; wipe with
 * orsp_bsp_keys_wipe) and inside the opaque contexts, which wipe themselves when freed.
 * Decrypted profile data (it carries K/OPc) is wiped from internal buffers after use.
 */
#ifndef OPENRSP_BSP_H
#define OPENRSP_BSP_H

#include "openrsp/core.h"
#include "openrsp/crypto.h"

#define ORSP_BSP_KEY_LEN 16        /* AES-128: S-ENC, S-MAC, PPK-ENC, PPK-MAC, MCV */
#define ORSP_BSP_MAC_LEN 8         /* C-MAC on the wire (§2.6.4.5) */
#define ORSP_BSP_KEY_TYPE_AES 0x88 /* CRT keyType (GlobalPlatform Table 11-16) */
#define ORSP_BSP_EID_LEN 16
#define ORSP_BSP_HOST_ID_MAX 16 /* OctetTo16 */
#define ORSP_BSP_TID_MAX 16     /* TransactionId ::= OCTET STRING (SIZE(1..16)) */

/* §2.5.3: a segment is at most 1020 bytes including tag, length and MAC. With a 1-byte tag,
 * a 3-byte length and the 8-byte MAC that leaves 1008 data bytes: 1008 plaintext bytes in
 * a MAC-only '88' segment, 1007 in an encrypted one (padding adds at least one byte and the
 * result is a multiple of 16). */
#define ORSP_BSP_MAX_SEGMENT 1020
#define ORSP_BSP_MAX_MAC_PAYLOAD 1008
#define ORSP_BSP_MAX_ENC_PAYLOAD 1007

/* The 1020 above is what we send. What the unwrap (the eUICC) accepts is one padding block
 * more, 1036 bytes: a sender that counts 1008 plaintext bytes instead of the padded
 * ciphertext (osmo-smdpp, pySim's BspInstance.max_payload_size) makes 1036-byte '86'
 * segments, and eUICCs in the field install them. 1037 and above are refused. A segment
 * this size carries at most 1024 plaintext bytes (a '88'; 1023 in an '86' or '87'). */
#define ORSP_BSP_MAX_RECV_SEGMENT (ORSP_BSP_MAX_SEGMENT + 16)
#define ORSP_BSP_MAX_RECV_PAYLOAD 1024

/* The largest ConfigureISDP, StoreMetadata or profile (UPP or PPP) the builder takes, and
 * the largest UPP orsp_bsp_ppp_build takes (ORSP_E_USAGE above it): 1 GiB. With it every
 * size the builder computes, the whole BPP included, stays below 2^32: it cannot wrap where
 * size_t is 32 bits, and BF36's length fits the four length octets DER readers accept. */
#define ORSP_BSP_MAX_BUILD_PART ((size_t)1 << 30)

/* Segment tags. */
#define ORSP_BSP_TAG_PPP 0x86      /* profile data, encrypted + MAC */
#define ORSP_BSP_TAG_ENC_MAC 0x87  /* ConfigureISDP / ReplaceSessionKeys, encrypted + MAC */
#define ORSP_BSP_TAG_MAC_ONLY 0x88 /* StoreMetadata, MAC only */

/* ---------------------------------------------------------------- session keys ---------- */

/* One key set: session keys (S-ENC, S-MAC, initial MCV) or profile protection keys
 * (PPK-ENC, PPK-MAC, initial MCV of ReplaceSessionKeys). Each field holds 16 bytes. */
typedef struct orsp_bsp_keys {
	orsp_secret enc;
	orsp_secret mac;
	orsp_secret mcv;
} orsp_bsp_keys;

static inline void orsp_bsp_keys_wipe(orsp_bsp_keys *k)
{
	orsp_wipe(k, sizeof(*k));
}

/* Fill k from three 16-byte values. */
ORSP_MUST_CHECK orsp_err orsp_bsp_keys_set(orsp_bsp_keys *k, const uint8_t enc[ORSP_BSP_KEY_LEN],
                                           const uint8_t mac[ORSP_BSP_KEY_LEN],
                                           const uint8_t mcv[ORSP_BSP_KEY_LEN]);

/* SGP.22 §2.6.4.2: X9.63 KDF with SHA-256 over the ECKA shared secret with
 * SharedInfo = key_type || key_len || len(host_id) || host_id || len(eid) || eid; the 48
 * output bytes are the initial MCV, S-ENC and S-MAC, in that order.
 * key_type must be ORSP_BSP_KEY_TYPE_AES and key_len 16 (anything else: ORSP_E_POLICY, the
 * eUICC's unsupportedCrtValues); host_id 1..16 bytes; shared secret 1..64 bytes (32 for
 * the supported curves). On failure out is wiped. */
ORSP_MUST_CHECK orsp_err orsp_bsp_derive_keys(const uint8_t *shared_secret, size_t ss_len,
                                              uint8_t key_type, uint8_t key_len,
                                              const uint8_t *host_id, size_t host_id_len,
                                              const uint8_t eid[ORSP_BSP_EID_LEN],
                                              orsp_bsp_keys *out);

/* ---------------------------------------------------------------- segments -------------- */

/* The state of one BSP key set: S-ENC/S-MAC, the MAC chaining value and the block counter
 * (starts at 1, +1 per segment of any tag, '88' included: §2.5.4). ReplaceSessionKeys
 * means a new context from the PPKs. Not thread-safe. */
typedef struct orsp_bsp_ctx orsp_bsp_ctx;

/* New context from keys (copied; the caller may wipe keys afterwards). max_segment is the
 * largest protected TLV (tag + length + data + MAC) the context produces or accepts: 0
 * means ORSP_BSP_MAX_SEGMENT, the SGP.22 limit, which orsp_bsp_bpp_build always uses;
 * larger values (up to 65535) exist to read non-conforming producers: the unwrap reads
 * with ORSP_BSP_MAX_RECV_SEGMENT. */
ORSP_MUST_CHECK orsp_err orsp_bsp_ctx_new(const orsp_bsp_keys *keys, size_t max_segment,
                                          orsp_bsp_ctx **out);
/* Wipes keys and buffers. NULL-safe. */
void orsp_bsp_ctx_free(orsp_bsp_ctx *c);
/* The block counter the next segment will use (1 for a fresh context). */
uint64_t orsp_bsp_ctx_counter(const orsp_bsp_ctx *c);

/* Size of the protected TLV for n plaintext bytes under tag (no segment limit applied);
 * SIZE_MAX when it would not fit a size_t. */
size_t orsp_bsp_segment_len(uint8_t tag, size_t n);

/* Protect n (>= 1) plaintext bytes as one segment and append it to w:
 * tag 0x86/0x87: pad with 80 00.. (§2.6.4.4), AES-CBC under S-ENC with
 *   ICV = AES-ECB(S-ENC, counter as 16-byte big-endian);
 * tag 0x88: plaintext as is;
 * then C-MAC = first 8 bytes of AES-CMAC(S-MAC, MCV || tag || length || data), where length
 * already counts the MAC (§2.6.4.5); MCV := the full CMAC; counter += 1.
 * ORSP_E_USAGE if the segment would exceed the context's max_segment; ORSP_E_RESOURCE if
 * w has no room (then the context is unchanged). */
ORSP_MUST_CHECK orsp_err orsp_bsp_protect(orsp_bsp_ctx *c, uint8_t tag, const uint8_t *in, size_t n,
                                          orsp_writer *w);

/* Verify one protected TLV `seg` (exactly one DER TLV whose tag must be expected_tag) and
 * write its plaintext (padding removed for 0x86/0x87) to out. On success the MCV and the
 * counter advance; on any failure the context is unchanged and nothing is written.
 * Errors: ORSP_E_MALFORMED (not one TLV, wrong tag, length not possible for the tag,
 * segment longer than the context's max_segment, bad padding after a good MAC),
 * ORSP_E_VERIFY (C-MAC, compared in constant time), ORSP_E_RESOURCE (cap too small).
 * The C-MAC covers the ciphertext, not the ICV: a segment encrypted under a wrong counter
 * verifies and decrypts with a garbled first block (docs/bsp.md). */
ORSP_MUST_CHECK orsp_err orsp_bsp_unprotect(orsp_bsp_ctx *c, uint8_t expected_tag, orsp_slice seg,
                                            uint8_t *out, size_t cap, size_t *out_len);

/* ---------------------------------------------------------------- BPP: SM-DP+ side ------ */

/* Inputs of one BoundProfilePackage (SGP.22 §2.5.4, ES8+ §5.5). All borrowed. */
typedef struct orsp_bsp_bpp_params {
	const orsp_ec_key *dppb;      /* SK.DPpb.ECDSA: signs smdpSign */
	const orsp_ec_key *smdp_otsk; /* otSK.DP.ECKA, on the curve of euicc_otpk; its public
	                               * point is sent as smdpOtpk */
	orsp_slice euicc_otpk;        /* otPK.EUICC.ECKA from PrepareDownloadResponse (65 B) */
	orsp_slice transaction_id;    /* 1..16 bytes */
	orsp_slice host_id;           /* 1..16 bytes, CRT hostId */
	const uint8_t *eid;           /* 16 bytes */
	orsp_slice configure_isdp;    /* one DER TLV, ConfigureISDPRequest (BF24) */
	orsp_slice store_metadata;    /* one DER TLV, StoreMetadataRequest (BF25) */
	/* ppk == NULL: profile is the Unprotected Profile Package (the PE sequence), protected
	 * here with the session keys.
	 * ppk != NULL: profile is a Protected Profile Package from orsp_bsp_ppp_build under
	 * these PPKs; the BPP then carries ReplaceSessionKeys (secondSequenceOf87) and the
	 * '86' segments are copied as they are (§2.5.3). */
	orsp_slice profile;
	const orsp_bsp_keys *ppk;
	/* Optional. smdp_sign: the smdpSign (r||s) of an earlier build with the same keys and
	 * transactionId, used instead of a new signature, so that a rebuild gives the same bytes
	 * (a getBoundProfilePackage retry); it is not checked here. smdp_sign_out: receives the
	 * smdpSign the BPP carries. */
	const uint8_t *smdp_sign;
	uint8_t *smdp_sign_out;
} orsp_bsp_bpp_params;

/* Exact size of the BPP that orsp_bsp_bpp_build writes for p. */
ORSP_MUST_CHECK orsp_err orsp_bsp_bpp_size(const orsp_bsp_bpp_params *p, size_t *out);

/* Build the BoundProfilePackage: ECKA(smdp_otsk, euicc_otpk) -> session keys;
 * InitialiseSecureChannelRequest (BF23) signed with dppb; A0 (ConfigureISDP in '87'),
 * A1 (StoreMetadata in '88'), optional A2 (ReplaceSessionKeys in '87'), A3 ('86').
 * Segments are filled to the §2.5.3 maximum. Appends to w (ORSP_E_RESOURCE if it does not
 * fit: size it with orsp_bsp_bpp_size). Errors: ORSP_E_USAGE/ORSP_E_MALFORMED for bad
 * parameters, ORSP_E_MALFORMED for an off-curve euicc_otpk, ORSP_E_CRYPTO. */
ORSP_MUST_CHECK orsp_err orsp_bsp_bpp_build(const orsp_bsp_bpp_params *p, orsp_writer *w);

/* A Protected Profile Package (§2.5.3): upp cut into '86' segments under a fresh context
 * of ppk (counter 1, MCV = ppk->mcv), appended to w (ORSP_E_RESOURCE if it does not fit).
 * On any error w is left as it was (the partial output wiped). orsp_bsp_ppp_len is exact
 * for upp_len up to ORSP_BSP_MAX_BUILD_PART. */
size_t orsp_bsp_ppp_len(size_t upp_len);
ORSP_MUST_CHECK orsp_err orsp_bsp_ppp_build(const orsp_bsp_keys *ppk, orsp_slice upp,
                                            orsp_writer *w);

/* ---------------------------------------------------------------- BPP: eUICC side ------- */

/* Verified output of the unwrap. Every callback gets bytes only after their C-MAC (and,
 * before anything, smdpSign) verified; the slices are valid during the call only. A
 * callback returning an error stops the unwrap with that error. NULL callbacks drop data.
 * profile_data is called once per '86' segment, in order, while the BPP is still arriving
 * (SGP.22 §2.5.5 segment-wise processing): the eUICC must undo a partial installation if
 * the unwrap fails later or orsp_bsp_unwrap_finish() does not return ORSP_OK. */
typedef struct orsp_bsp_unwrap_cbs {
	void *arg;
	/* The whole ConfigureISDPRequest TLV (BF24), after the last '87' of A0. */
	orsp_err (*configure_isdp)(void *arg, orsp_slice der);
	/* The whole StoreMetadataRequest TLV (BF25), after the last '88' of A1. */
	orsp_err (*store_metadata)(void *arg, orsp_slice der);
	/* Called once the session keys were replaced by the PPKs of ReplaceSessionKeys. */
	orsp_err (*replace_session_keys)(void *arg);
	/* The plaintext of one '86' segment: the next bytes of the Profile Package. */
	orsp_err (*profile_data)(void *arg, orsp_slice data);
} orsp_bsp_unwrap_cbs;

typedef struct orsp_bsp_unwrap_params {
	const orsp_ec_key *euicc_otsk; /* otSK.EUICC.ECKA of this session (borrowed; must
	                                * outlive the unwrap context) */
	const orsp_ec_key *dppb;       /* PK.DPpb.ECDSA, from a CERT.DPpb the caller verified
	                                * (borrowed; must outlive the unwrap context) */
	const uint8_t *eid;            /* 16 bytes (copied) */
	orsp_slice transaction_id;     /* of the current session, 1..16 bytes (copied) */
	orsp_bsp_unwrap_cbs cb;
} orsp_bsp_unwrap_params;

/* Where an unwrap failed: the SGP.22 BppCommandId of the part being processed. */
typedef enum orsp_bsp_step {
	ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL = 0,
	ORSP_BSP_STEP_CONFIGURE_ISDP = 1,
	ORSP_BSP_STEP_STORE_METADATA = 2,
	ORSP_BSP_STEP_REPLACE_SESSION_KEYS = 4,
	ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS = 5,
} orsp_bsp_step;

/* Why an unwrap failed. The eUICC maps these to SGP.22 ErrorReason in its one table
 * (docs/bsp.md lists the intended mapping). */
typedef enum orsp_bsp_reason {
	ORSP_BSP_OK = 0,
	ORSP_BSP_R_STRUCTURE,      /* tag, order, length, missing/extra/truncated data, padding,
	                            * over-long segment, bad ConfigureISDP/StoreMetadata/RSK TLV */
	ORSP_BSP_R_MAC,            /* a C-MAC did not verify */
	ORSP_BSP_R_SIGNATURE,      /* smdpSign did not verify under PK.DPpb */
	ORSP_BSP_R_TRANSACTION_ID, /* not the session's transactionId */
	ORSP_BSP_R_CRT,            /* keyType/keyLen other than AES-128 */
	ORSP_BSP_R_REMOTE_OP,      /* remoteOpId other than installBoundProfilePackage(1) */
	ORSP_BSP_R_KEY_AGREEMENT,  /* smdpOtpk is not a point on the curve */
	ORSP_BSP_R_LIMIT,          /* a part is larger than this implementation accepts */
	ORSP_BSP_R_REFUSED,        /* a callback returned an error */
	ORSP_BSP_R_INTERNAL,       /* the crypto library failed */
} orsp_bsp_reason;

/* Limits of the unwrap (ORSP_BSP_R_LIMIT beyond them). */
#define ORSP_BSP_MAX_ISCR 512            /* the whole BF23 TLV */
#define ORSP_BSP_MAX_CONFIGURE_ISDP 1024 /* dpProprietaryData is at most 128 bytes */
#define ORSP_BSP_MAX_STORE_METADATA 8192 /* icon alone may take 1024 */

typedef struct orsp_bsp_unwrap orsp_bsp_unwrap;

/* Start unwrapping one BPP. ORSP_E_USAGE for missing keys, EID or a transactionId outside
 * 1..16 bytes. */
ORSP_MUST_CHECK orsp_err orsp_bsp_unwrap_new(const orsp_bsp_unwrap_params *p,
                                             orsp_bsp_unwrap **out);

/* Feed the next n bytes of the BPP (any split: one byte, one TLV, the whole BPP). Each
 * complete part is checked as soon as it is in: InitialiseSecureChannelRequest (structure,
 * remoteOpId, transactionId, CRT, smdpSign, ECKA, key derivation), then every segment (tag,
 * place, size <= ORSP_BSP_MAX_RECV_SEGMENT, C-MAC chain, counter, padding). A failure is
 * final: it returns the error (ORSP_E_MALFORMED, ORSP_E_VERIFY, ORSP_E_POLICY,
 * ORSP_E_RESOURCE, ORSP_E_CRYPTO or the callback's), wipes the keys, and every later call
 * returns ORSP_E_STATE. */
ORSP_MUST_CHECK orsp_err orsp_bsp_unwrap_feed(orsp_bsp_unwrap *u, const void *data, size_t n);

/* The BPP is complete: ORSP_OK only if every part arrived, up to the end of BF36, and
 * nothing failed. Otherwise ORSP_E_MALFORMED (truncated) or ORSP_E_STATE (after a failure). */
ORSP_MUST_CHECK orsp_err orsp_bsp_unwrap_finish(orsp_bsp_unwrap *u);

/* After a failure: the part and the reason (ORSP_BSP_OK while nothing failed). */
orsp_bsp_reason orsp_bsp_unwrap_reason(const orsp_bsp_unwrap *u, orsp_bsp_step *step);

/* Short fixed text for a reason. Never NULL. */
const char *orsp_bsp_reason_str(orsp_bsp_reason r);

/* Wipes keys and buffers. NULL-safe. */
void orsp_bsp_unwrap_free(orsp_bsp_unwrap *u);

#endif
