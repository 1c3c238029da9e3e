/* openrsp tests: the fixture shared by tests/test_isdr.c and tests/test_isdr_download.c — a
 * software eUICC (the ISD-R core, SGP.22 v2.2 §5.7) provisioned with the SGP.26 test PKI
 * over an in-memory record store that can fail its Nth commit, driven the way lpac drives a
 * card (STORE DATA in 120-byte blocks, 61xx + GET RESPONSE, the bound profile package split
 * per TLV), with the test playing the SM-DP+ (AuthenticateServer, PrepareDownload and bound
 * profile packages built with orsp_bsp_bpp_build from TS.48 profiles).
 *
 * Every ES10 response read through rsp_value() is also decoded with the asn1c RSPDefinitions
 * codec, and every signature the card returns is verified with the key of its CERT.EUICC.
 */
#ifndef ORSP_TESTS_ISDR_FIXTURE_H
#define ORSP_TESTS_ISDR_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testutil.h"

#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/seal.h"

#define EID "89049032123451234512345678901235"
#define SMDP_ADDR "testsmdpplus1.example.com"
#define NOTIF_ADDR "notify.example.com"
/* StoreMetadataRequest serviceProviderName and profileName of every download */
#define PROFILE_SPN "GSMA Test"
#define PROFILE_NAME "TS.48 test profile"

/* Milenage K and OPc given to packages made with dl_opts.milenage (3GPP TS 35.208 set 1) */
extern const uint8_t isdr_mil_k[16], isdr_mil_opc[16];

/* ---------------------------------------------------------------- in-memory storage ----- */

#define MS_MAX 40
typedef struct mem_store {
	struct {
		char name[ORSP_EUICC_RECORD_NAME_MAX + 1];
		uint8_t *data;
		size_t len;
	} r[MS_MAX];
	int calls;       /* commit calls so far */
	int fail_at;     /* the commit call with this number fails (nothing changes); 0: never */
	bool fail_reads; /* every read fails (ORSP_E_STORAGE), as storage that is unreachable */
} mem_store;

extern const orsp_euicc_storage_ops ms_ops;
ORSP_MUST_CHECK orsp_err ms_commit(void *user, const orsp_euicc_record *recs, size_t n);
void ms_free(mem_store *s);
/* Number of records whose name starts with prefix. */
int ms_count_prefix(const mem_store *s, const char *prefix);

/* ---------------------------------------------------------------- the card -------------- */

typedef enum { PKI_NIST, PKI_BRP } pki;

typedef struct card {
	mem_store st;
	/* after card_seal: the sealed store the core runs on instead of st, as orsp_euicc_host
	 * runs it (orsp_euicc_host_storage), in seal_dir */
	orsp_seal *seal;
	char seal_dir[1024];
	orsp_euicc e;
	orsp_euicc_apdu_ctx apdu;
	uint8_t cmd[ORSP_EUICC_MAX_COMMAND], rsp[ORSP_EUICC_MAX_RESPONSE];
	uint8_t out[ORSP_EUICC_MAX_RESPONSE]; /* the last command's response data */
	size_t out_len;
	uint16_t sw; /* and its status word */
	bool is_open;
	pki which; /* its curve */
	uint8_t eid[16];
	/* the SM-DP+ */
	orsp_ec_key *auth_sk, *pb_sk, *euicc_pk;
	uint8_t *auth_cert, *pb_cert, *euicc_cert;
	size_t auth_cert_len, pb_cert_len, euicc_cert_len;
	uint8_t ci_ski[32];
	size_t ci_ski_len;
	const char *upp_vector;  /* the TS.48 package downloads start from (tests/vectors) */
	const char *upp_iccid;   /* the ICCID it is given when dl_opts names none; NULL: its own */
	const char *matching_id; /* ctxParams1 matchingId; NULL: empty */
	/* the current download */
	uint8_t tid[16], echal[16], schal[16], sig1[64], smdp_sig2[64], otpk[65];
	size_t tid_len; /* 16 except in the no-session case */
	uint8_t *upp;
	size_t upp_len;
	uint8_t iccid_ef[10]; /* the ICCID of the last BPP's metadata, as EF.ICCID codes it */
	bool pir_has_iccid;   /* check_pir: the PIR's NotificationMetadata carries an ICCID */
	uint8_t pir_iccid[10];
	bool bpp_all_sent;     /* the last load_bpp sent every piece (the answer came at the end) */
	uint32_t bpp_last_tag; /* the tag of the last piece it sent (BF36 for the first) */
	/* with dl_opts.send_rest: the pieces sent after the answer, and how many of them were
	 * refused (a status word other than 9000, no data) */
	size_t bpp_rest, bpp_rest_refused;
} card;

/* The logical channel the ISD-R is selected on: 0 (basic), or 2 as lpac does with a
 * channel it opens (MANAGE CHANNEL; channel 1 is left for the USIM checks). */
extern uint8_t isdr_channel;

/* A card provisioned with the SGP.26 eUICC, EUM and CI of that curve, opened, attached to
 * its APDU layer, the ISD-R selected; the SM-DP+ holds that curve's DPauth and DPpb.
 * Downloads start from TS.48 v2 with ICCID ISDR_V2_ICCID. */
card *card_new_pki(pki which);
card *card_new(void); /* NIST */
void card_free(card *c);
void card_attach(card *c);
/* A card reset (orsp_euicc_apdu_reset, as vpcd's power off/on or reset), then the ISD-R
 * selected again as an LPA does. */
void card_reset(card *c);
/* Power cycle: close the core and open it again from the store. */
void card_reopen(card *c);
/* Move the card's records into a new sealed store in test_tmpdir(name) (one commit) and
 * reopen the core on it, as orsp_euicc_host runs it; st is no longer used. */
void card_seal(card *c, const char *name);
/* Close the core and the sealed store, open both again (open completes a counter left
 * behind: orsp_seal_commit). */
void card_seal_reopen(card *c);

#define ISDR_V2_VECTOR "saip/gsma-ts48/v2/TS48_V2_eSIM_GTP_SAIP2.3_NoBERTLV.der"
#define ISDR_V7_VECTOR "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
#define ISDR_V2_ICCID "89000123456789012341" /* the TS.48 v2 template's own */

/* tests/vectors/sgp26/<rel> */
uint8_t *load_der(const char *rel, size_t *len);
orsp_ec_key *load_key(const char *rel);

/* ---------------------------------------------------------------- APDUs ----------------- */

/* Send one command APDU; the response data, through GET RESPONSE, in c->out, c->sw. */
void xfer(card *c, const uint8_t *capdu, size_t n);
void select_isdr(card *c);
/* One ES10 function as STORE DATA in 120-byte blocks (lpac); the last status word. */
uint16_t store_data(card *c, const uint8_t *d, size_t n);
/* When not 0: store_data makes OpenSSL's allocation with this number, counted from its first
 * block, fail and no other (test_ossl_fail_only; test_ossl_alloc_install in main): only the
 * card's allocations, never those of the test building the command. */
extern unsigned isdr_ossl_fail;
uint16_t es10_hex(card *c, const char *hex);
/* es10_hex, expecting 9000 and a response with this tag: its value (rsp_value). */
orsp_slice es10_value(card *c, const char *hex, uint32_t tag);

/* The response as one TLV with the given tag (also checked with the RSPDefinitions codec);
 * returns its value, which lives in c->out until the next command. */
orsp_slice rsp_value(card *c, uint32_t tag);
/* Find the first TLV with this tag at the top level of v. */
bool find_tlv(orsp_slice v, uint32_t tag, orsp_tlv *out);
/* A result code response: tag { 80 code } (SetNickname, Enable, ...). */
int rsp_code(card *c, uint32_t tag);
/* AuthenticateResponseError / PrepareDownload error: tag { A1 { 80 tid, 02 code } }. */
int rsp_error(card *c, uint32_t tag);

/* Enable (BF31), Disable (BF32) or Delete (BF33) the profile with this EF.ICCID coding or,
 * when aid is given, this ISD-P AID; the status word. */
uint16_t profile_cmd(card *c, uint32_t fn, const uint8_t *iccid_ef, const uint8_t *aid);
uint16_t by_iccid(card *c, uint32_t fn, const char *iccid);
uint16_t by_aid(card *c, uint32_t fn, const uint8_t aid[16]);
/* profile_cmd expecting 9000: the result code. */
int profile_op(card *c, uint32_t fn, const uint8_t *iccid_ef, const uint8_t *aid);

/* The TS.48 USIM selected on channel ch: 1 (opened with MANAGE CHANNEL first) by its full
 * ADF.USIM AID, or 0 (the basic channel, in place of the ISD-R) by the RID + application
 * code prefix A0000000871002; the status word. usim_leave closes channel 1, or selects the
 * ISD-R again on the basic channel. */
uint16_t usim_select(card *c, uint8_t ch);
void usim_leave(card *c, uint8_t ch);
/* usim_select and usim_leave on channel 1: the status word of the SELECT. */
uint16_t select_usim(card *c);
/* AUTHENTICATE (3G context) through the USIM of the enabled profile on channel ch (see
 * usim_select): 90DB (success), 90DC (synchronisation failure) or the status word. */
uint16_t usim_auth(card *c, uint8_t ch, const uint8_t rand[16], const uint8_t autn[16]);

/* ---------------------------------------------------------------- the SM-DP+ side ------- */

typedef struct dl_opts {
	const char *iccid;   /* NULL: card's upp_iccid */
	int iccid_no;        /* >0: ICCID 8900012345678901nnn + Luhn digit instead */
	const char *profile; /* the package vector; NULL: the card's upp_vector */
	const uint8_t *upp;  /* a package of the test's own in place of the vector */
	size_t upp_len;
	bool milenage;          /* the package gets Milenage with isdr_mil_k / isdr_mil_opc */
	const char *meta_iccid; /* metadata ICCID if different from the package's */
	uint8_t ppr;            /* PprIds bits (0x40 ppr1, 0x20 ppr2) */
	uint8_t ppr_unused;     /* the bit string's unused-bits octet; 0: the DER-minimal one */
	bool no_notif_config;
	uint32_t meta_omit;     /* this field (0x5A, 0x91 or 0x92) left out of the metadata */
	const char *meta_extra; /* hex: TLVs added at the end of the metadata */
	const char *spn, *name; /* serviceProviderName, profileName; NULL: PROFILE_SPN / _NAME */
	bool set_class;         /* the metadata's profileClass is profile_class, not 2 */
	unsigned profile_class; /* 0 test, 1 provisioning, 2 operational, more: unknown */
	/* notificationConfigurationInfo entries {NotificationEvent bits, address} in place of
	 * the one sending all four events to NOTIF_ADDR; up to the first without address */
	struct {
		uint8_t events;
		const char *addr;
	} notif[4];
	/* AuthenticateServer */
	bool bad_sig1, wrong_echal, unknown_ci, wrong_auth_cert, no_challenge;
	bool untrusted_auth_cert; /* CERT.DPauth under the other curve's CI (not trusted) */
	const char *server_addr;  /* serverAddress in serverSigned1; NULL: SMDP_ADDR */
	/* after ctxParams1: 1 v3's otherCertsInChain [1] and crlList [2] (a later version's
	 * fields), 2 CERT.DPauth again, 3 euiccCiPKIdToBeUsed again */
	int auth_trailing;
	/* serverSigned1 without this field (0x80, 0x81, 0x83, 0x84; 0: none), and with this one
	 * twice (the second a different value; the euiccChallenge a wrong one first) */
	uint32_t s1_omit, s1_twice;
	/* serverSigned1's fields in this order instead of [0], [1], [3], [4] (0-ended): the four
	 * known tags with their right values, any other tag with one octet (a constructed one with
	 * one field) */
	uint32_t s1_order[7];
	/* PrepareDownload */
	bool bad_sig2, wrong_tid2, cc_required, hash_cc, pb_cert_as_auth;
	uint8_t cc_flag; /* non-zero: ccRequiredFlag's contents octet, not 00 / FF */
	/* smdpSigned2's fields, validly signed, in another layout: 1 no ccRequiredFlag, 2
	 * transactionId twice (a wrong one first), 3 ccRequiredFlag twice (FF, then 00), 4
	 * ccRequiredFlag before transactionId, 5 bppEuiccOtpk after an unknown extension, 6
	 * bppEuiccOtpk twice, 7 an unknown extension after ccRequiredFlag (well-formed) */
	uint8_t s2_shape;
	size_t hash_cc_len; /* with hash_cc: its length; 0: 32 */
	/* after CERT.DPpb: 1 a later version's field [5], 2 CERT.DPpb again, 3 hashCc after it
	 * (with hash_cc, instead of before it) */
	int prep_trailing;
	bool big_signed2;   /* an unknown extension making smdpSigned2 large, bad signature */
	bool other_smdp_pb; /* CERT.DPpb of another SM-DP+ (SGP.26 DP2, OID 2.999.12) */
	/* CERT.DPpb and SK.DPpb of the same SM-DP+ (OID 2.999.10) under the other curve's CI
	 * than the card's (c->which) */
	bool other_ci_pb;
	const uint8_t *bpp_otpk; /* bppEuiccOtpk in smdpSigned2 (a retry), 65 bytes */
	/* LoadBoundProfilePackage */
	int tamper_mac; /* the C-MAC of this '86' segment (1-based; -1 the last) tampered */
	bool swap_86;   /* the last but one and last but two pieces ('86' segments) swapped */
	bool wrong_tid_bpp, truncate;
	bool bad_smdp_otpk; /* smdpOtpk in BF23 off the curve, smdpSign made over it all the same */
	bool drop_end_pe;   /* the package without its PE-End: decodes, breaks the rules */
	/* >0: the '86' segments cut from this many profile bytes each (1008: osmo-smdpp's
	 * 1036-byte segments, over what orsp_bsp_bpp_build sends), properly protected */
	size_t seg86_plain;
	const char *end_pe; /* hex: the PE-End put in place of the package's own */
	bool whole_bpp;     /* the BPP as one request to orsp_euicc_es10 (no APDU layer) */
	/* card_reset after this many pieces (<0: before the last -reset_after), then the
	 * others sent; 0: none */
	int reset_after;
	/* with reset_after: called there in place of card_reset (another ES10 command in the
	 * middle of the load) */
	void (*interject)(card *c);
	bool send_rest; /* the pieces after an answer sent too (an LPA that goes on) */
	/* the errors expected of AuthenticateServer / PrepareDownload (0: none) */
	int auth_code, prep_code;
} dl_opts;

void get_challenge(card *c);
/* AuthenticateServer with c->echal; the card's status word (response in c->out). */
uint16_t authenticate(card *c, const dl_opts *o);
/* Check an AuthenticateResponseOk and keep euiccSignature1. */
void check_auth_ok(card *c);
/* authenticate expecting 9000: 0 after check_auth_ok, else the AuthenticateErrorCode. */
int auth_step(card *c, const dl_opts *o);
uint16_t prepare(card *c, const dl_opts *o);
/* Check a PrepareDownloadResponseOk (euiccSignature2) and keep otPK.EUICC. */
void check_prepare_ok(card *c, bool hash_cc);
/* prepare expecting 9000: 0 after check_prepare_ok, else the DownloadErrorCode. */
int prepare_step(card *c, const dl_opts *o);
/* get_challenge, auth_step and prepare_step, each succeeding. */
void start_session(card *c, const dl_opts *o);
/* Build the BPP for the session and send it in lpac's pieces until one is answered with
 * data or an error; returns the last status word (the answer in c->out). */
uint16_t load_bpp(card *c, const dl_opts *o);
/* The PIR in c->out: verify euiccSignPIR; return the finalResult (A0 success / A1 error)
 * and, for an error, bppCommandId and errorReason; for success the ISD-P AID. */
uint32_t check_pir(card *c, int *cmd, int *reason, uint8_t aid[16]);
/* The whole download; returns the PIR's result tag (A0 / A1). */
uint32_t download(card *c, const dl_opts *o, int *cmd, int *reason, uint8_t aid[16]);
void install_ok(card *c, const char *iccid, uint8_t ppr, uint8_t aid[16]);
/* A download refused with this bppCommandId and errorReason; no profile added. */
void install_fails(card *c, const dl_opts *o, int want_cmd, int want_reason);

#endif
