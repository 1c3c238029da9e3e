/* openrsp lpa: the device agent (LPA, SGP.22 LPAd) — ES10 towards the eUICC over an APDU
 * transport (the in-process software eUICC or a card in a PC/SC reader), ES9+ towards the
 * SM-DP+ over HTTPS, and the procedures that tie them: profile download, notifications,
 * profile management. docs/lpa.md is the user guide of `openrsp lpa`.
 */
#ifndef OPENRSP_LPA_H
#define OPENRSP_LPA_H

#include "openrsp/core.h"
#include "openrsp/euicc.h"

/* ---------------------------------------------------------------- transports ------------ */

/* Sends one command APDU and receives the response APDU (data + SW1 SW2). Made with
 * designated initializers or zeroed first: a field left out (begin, end) is then NULL. */
typedef struct orsp_lpa_transport {
	void *user;
	orsp_err (*transmit)(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
	                     size_t cap, size_t *rlen);
	void (*close)(void *user); /* may be NULL */
	/* Hold the card for the APDUs of one ES10 function and let it go after them (PC/SC:
	 * SCardBeginTransaction, SCardEndTransaction), so that another client of the reader
	 * (another LPA, a card tool) cannot send a command between its STORE DATA blocks and
	 * GET RESPONSEs, which would end the function on the eUICC or take its answer. May be
	 * NULL, both (a transport that is the card's only client). */
	orsp_err (*begin)(void *user);
	void (*end)(void *user);
	/* Why the card answered the last APDU with an error status word, or an ES10 function
	 * with undefinedError, when the transport can tell ("" or NULL otherwise): the
	 * in-process eUICC's error (a full disk, say) or reason (orsp_euicc_refusal: a profile
	 * whose stored records do not authenticate), which the LPA's message then carries
	 * beside the status word or the code. May be NULL. */
	const char *(*detail)(void *user);
} orsp_lpa_transport;

/* In-process over an APDU context (borrowed; tests, demo, benchmarks). */
ORSP_MUST_CHECK orsp_err orsp_lpa_transport_apdu(orsp_euicc_apdu_ctx *ctx, orsp_lpa_transport *t);
/* A card in a PC/SC reader (pcsclite): reader NULL or "" = the first reader, a decimal index,
 * or (part of) a reader name. T=0 or T=1 as the card offers. ORSP_E_NOT_FOUND when no such
 * reader or no card, ORSP_E_IO when pcscd is not reachable. */
ORSP_MUST_CHECK orsp_err orsp_lpa_transport_pcsc(const char *reader, orsp_lpa_transport *t);
void orsp_lpa_transport_close(orsp_lpa_transport *t);

/* ---------------------------------------------------------------- ES10 (ISD-R) ---------- */

#define ORSP_LPA_ISDR_AID "A0000005591010FFFFFFFF8900000100"
#define ORSP_LPA_DEFAULT_MSS 120 /* STORE DATA block size, as lpac */

/* One card: the library keeps no state outside it and the call's arguments, so different
 * cards may be driven from different threads at once; one card is for one thread at a time
 * (its transport and channel are a conversation). */
typedef struct orsp_lpa_card {
	orsp_lpa_transport t;
	uint8_t channel; /* logical channel with the ISD-R selected */
	bool open;
	size_t mss;      /* STORE DATA block size, 1..255; 0: ORSP_LPA_DEFAULT_MSS */
	uint16_t last_sw;
} orsp_lpa_card;

/* TERMINAL CAPABILITY, MANAGE CHANNEL open, SELECT ISD-R on it. */
ORSP_MUST_CHECK orsp_err orsp_lpa_card_open(orsp_lpa_card *c, const orsp_lpa_transport *t);
/* MANAGE CHANNEL close (the transport stays open). */
void orsp_lpa_card_close(orsp_lpa_card *c);

/* One ES10 function: the request TLV sent with STORE DATA (blocks of c->mss bytes, P1 11 /
 * 91, block numbers), the response collected through 61xx / GET RESPONSE into rsp (cap
 * bytes). 9000 and 91XX (a proactive command pending, which the LPA does not fetch) end it
 * normally; another status word is ORSP_E_STATE. The last word is in c->last_sw. A request
 * that needs more than 256 blocks (P2 is one byte) is ORSP_E_RESOURCE, nothing sent. */
ORSP_MUST_CHECK orsp_err orsp_lpa_es10(orsp_lpa_card *c, const uint8_t *req, size_t n,
                                       uint8_t *rsp, size_t cap, size_t *rlen);

/* LoadBoundProfilePackage: the BPP cut exactly as deployed LPAs do (SGP.22 §2.5.5: BF36
 * header + BF23, A0, A1 header, each 88, A2, A3 header, each 86), each piece one ES10
 * command; the ProfileInstallationResult (BF37) into pir. The eUICC may answer any piece with
 * it (an error result as soon as one fails, e.g. BF23's smdpSign): nothing is sent after it.
 * A malformed package is ORSP_E_MALFORMED before any of it is sent. */
ORSP_MUST_CHECK orsp_err orsp_lpa_load_bpp(orsp_lpa_card *c, const uint8_t *bpp, size_t n,
                                           uint8_t *pir, size_t cap, size_t *pir_len);

/* The StoreMetadataRequest a BPP carries (SGP.22 §2.5.5), which the eUICC stores: the data of
 * each '88' segment of its sequenceOf88 (the contents less the 8-byte C-MAC, which only the
 * eUICC can check), joined, into out (cap bytes; a BPP's n bytes always suffice), *len its
 * length. ORSP_E_MALFORMED, nothing in *len, for a package LoadBoundProfilePackage would
 * refuse, no A1 right after BF23 and A0, an empty A1, a segment not tagged 88 or without data
 * before its MAC, or joined bytes that are not one DER StoreMetadataRequest (BF25);
 * ORSP_E_RESOURCE when it exceeds cap. */
ORSP_MUST_CHECK orsp_err orsp_lpa_bpp_metadata(const uint8_t *bpp, size_t n, uint8_t *out,
                                               size_t cap, size_t *len);

/* The metadata a BPP carries (pkg, m bytes) against the metadata shown before (shown, n
 * bytes: authenticateClient's profileMetadata). SGP.22 wants the same metadata; both are DER,
 * where one value has one encoding, so they must be the same bytes: ORSP_OK. Otherwise
 * ORSP_E_VERIFY, and diff (cap bytes, NUL-terminated, cut with "..." when too small) names the
 * fields that differ, "; " between them, most telling first: "profilePolicyRules PPR1 (no
 * disabling) instead of none", "ICCID <package's> instead of <shown>", "profileClass test
 * instead of operational", then by name profileOwner, profileName, serviceProviderName,
 * notificationConfigurationInfo, iconType, icon, "field <tag>" for one v2.2 does not define,
 * "the order or encoding of its fields" when no field differs. ORSP_E_MALFORMED when either
 * is not a StoreMetadataRequest (one BF25 TLV of TLVs). */
ORSP_MUST_CHECK orsp_err orsp_lpa_metadata_compare(const uint8_t *shown, size_t n,
                                                   const uint8_t *pkg, size_t m, char *diff,
                                                   size_t cap);

ORSP_MUST_CHECK orsp_err orsp_lpa_get_eid(orsp_lpa_card *c, char eid[33]);

/* Buffers for the profile's names, 4 bytes per character and the NUL (SGP.22: profileName,
 * profileNickname SIZE(0..64), serviceProviderName SIZE(0..32) characters). */
#define ORSP_LPA_NAME_CHARS 64
#define ORSP_LPA_NAME_BUF (4 * ORSP_LPA_NAME_CHARS + 1)
#define ORSP_LPA_SPN_CHARS 32
#define ORSP_LPA_SPN_BUF (4 * ORSP_LPA_SPN_CHARS + 1)

typedef struct orsp_lpa_profile {
	char iccid[21];
	uint8_t aid[16];
	size_t aid_len;
	bool enabled;
	/* the card gave no profileState, or none SGP.22 v2.2 defines (disabled 0, enabled 1):
	 * shown as unknown, enabled false */
	bool state_unknown;
	/* UTF-8 as shown (lpa_text_copy): SGP.22 sizes profileName and profileNickname at 64
	 * characters, serviceProviderName at 32, up to 4 bytes each */
	char name[ORSP_LPA_NAME_BUF], spn[ORSP_LPA_SPN_BUF], nickname[ORSP_LPA_NAME_BUF];
	/* 0 test, 1 provisioning, 2 operational, also when the card leaves it out (SGP.22
	 * ProfileInfo: profileClass DEFAULT operational); -1 a value v2.2 does not define */
	int profile_class;
	uint32_t ppr;      /* profilePolicyRules: PprIds bit b at 1 << b (ORSP_LPA_PPR*), 0 none */
	/* GetProfilesInfo: the card gave profilePolicyRules that are no PprIds bit string (or
	 * gave them twice): its rules are unknown (ppr 0), never "none" */
	bool ppr_unreadable;
} orsp_lpa_profile;

/* GetProfilesInfo: the first cap of the eUICC's profiles into out (more are left out), *n of
 * them; *n is 0 on an error. */
#define ORSP_LPA_MAX_PROFILES 16
ORSP_MUST_CHECK orsp_err orsp_lpa_profiles(orsp_lpa_card *c, orsp_lpa_profile *out, size_t cap,
                                           size_t *n);
/* *n = how many profiles the eUICC lists (GetProfilesInfo), none of them copied and with no
 * limit of ORSP_LPA_MAX_PROFILES; *n is 0 on an error. */
ORSP_MUST_CHECK orsp_err orsp_lpa_profile_count(orsp_lpa_card *c, size_t *n);

/* Enable / disable / delete by ICCID (19-20 digits) or ISD-P AID (hex). The eUICC's result
 * code (SGP.22 §5.7.16-18: 1 not found, 2 not in disabled/enabled state, 3 disallowed by
 * policy, 5 catBusy, ...) becomes ORSP_E_NOT_FOUND / ORSP_E_STATE / ORSP_E_POLICY with a
 * detail naming it in words, without the operation's name (e.g. "the profile is enabled:
 * disable it first (profileNotInDisabledState)" for a delete). */
ORSP_MUST_CHECK orsp_err orsp_lpa_enable(orsp_lpa_card *c, const char *id);
ORSP_MUST_CHECK orsp_err orsp_lpa_disable(orsp_lpa_card *c, const char *id);
ORSP_MUST_CHECK orsp_err orsp_lpa_delete(orsp_lpa_card *c, const char *id);
/* Whether id is a profile identifier those three take (an ICCID of 19-20 digits, or an
 * ISD-P AID of 10..32 hex digits, an even number): ORSP_OK, or ORSP_E_USAGE with a detail
 * naming id, which they return too; the card is not asked. The ICCID's last digit need not
 * be its Luhn check digit (SGP.22 Iccid is OCTET STRING (SIZE(10)), and such profiles
 * exist); when the eUICC has no profile of an ICCID without one, the ORSP_E_NOT_FOUND
 * detail says so, as a likely typo. */
ORSP_MUST_CHECK orsp_err orsp_lpa_profile_id_check(const char *id);
/* Whether iccid is an ICCID orsp_lpa_set_nickname takes: 19 or 20 decimal digits, the last
 * not checked (as above). ORSP_E_USAGE naming it otherwise. */
ORSP_MUST_CHECK orsp_err orsp_lpa_iccid_check(const char *iccid);
/* SetNickname: nickname is UTF-8 text of at most ORSP_LPA_NAME_CHARS characters (SGP.22
 * profileNickname SIZE(0..64), counted in characters), without control characters (C0, DEL,
 * C1, and those that reorder or hide text: orsp_utf8_is_control); anything else is
 * ORSP_E_USAGE before the card is asked (orsp_lpa_nickname_check, which the CLI calls
 * first). */
ORSP_MUST_CHECK orsp_err orsp_lpa_set_nickname(orsp_lpa_card *c, const char *iccid,
                                               const char *nickname);
ORSP_MUST_CHECK orsp_err orsp_lpa_nickname_check(const char *nickname);

typedef struct orsp_lpa_notification {
	uint64_t seq;
	char event[10]; /* install, enable, disable, delete */
	char address[256];
	char iccid[21];
} orsp_lpa_notification;

/* ListNotification: the first cap of the eUICC's notifications into out (more are left
 * out), *n of them. */
#define ORSP_LPA_MAX_NOTIFICATIONS 32
ORSP_MUST_CHECK orsp_err orsp_lpa_notifications(orsp_lpa_card *c, orsp_lpa_notification *out,
                                                size_t cap, size_t *n);
/* ListNotification whole: every notification the eUICC keeps into *out (malloc'd, free() it;
 * NULL when there are none), *n of them, from one answer. A list of more than
 * ORSP_LPA_NOTIFICATIONS_MAX (about 300 KiB copied) is refused with ORSP_E_RESOURCE naming
 * how many, as an answer larger than 32 KiB is. *out NULL and *n 0 on an error. */
#define ORSP_LPA_NOTIFICATIONS_MAX 1024
ORSP_MUST_CHECK orsp_err orsp_lpa_notifications_all(orsp_lpa_card *c, orsp_lpa_notification **out,
                                                    size_t *n);
/* *n = how many notifications the eUICC keeps (ListNotification), none of them copied and
 * with no limit of ORSP_LPA_MAX_NOTIFICATIONS; *n is 0 on an error. */
ORSP_MUST_CHECK orsp_err orsp_lpa_notification_count(orsp_lpa_card *c, size_t *n);
ORSP_MUST_CHECK orsp_err orsp_lpa_notification_remove(orsp_lpa_card *c, uint64_t seq);
/* Removes, unsent, every notification the eUICC keeps for the SM-DP+ address (compared
 * case-insensitively, as SGP.22 compares addresses): the way out when that SM-DP+ keeps
 * refusing them and they fill the eUICC's list, which then refuses every profile change and
 * download. The whole list is read (orsp_lpa_notifications_all), so its limit is this one's.
 * *n how many were removed, the first cap of them copied to removed (may be NULL with cap
 * 0). ORSP_E_NOT_FOUND when the eUICC keeps none for it; a removal that fails
 * stops there, its error naming the notification, *n those removed before it. */
ORSP_MUST_CHECK orsp_err orsp_lpa_notification_remove_address(orsp_lpa_card *c, const char *address,
                                                              orsp_lpa_notification *removed,
                                                              size_t cap, size_t *n);

/* ---------------------------------------------------------------- profile policy rules -- */

/* PprIds bits (SGP.22 §2.9.1), bit b at 1 << b. pprUpdateControl says how the operator may
 * update the rules (ES6); it binds nobody on the device, so no RAT rule or consent applies to
 * it. Every other bit is a rule the eUICC enforces and the RAT must allow. */
#define ORSP_LPA_PPR_UPDATE_CONTROL 0x01u
#define ORSP_LPA_PPR1 0x02u /* disabling the profile is not allowed */
#define ORSP_LPA_PPR2 0x04u /* deleting the profile is not allowed */
#define ORSP_LPA_PPR3 0x08u /* the profile is deleted once disabled */
#define ORSP_LPA_PPR_RULES (~ORSP_LPA_PPR_UPDATE_CONTROL)

#define ORSP_LPA_GID_MAX 32           /* bytes of a GID1 / GID2 the LPA takes */
#define ORSP_LPA_RAT_MAX_RULES 16     /* ProfilePolicyAuthorisationRules in a RAT */
#define ORSP_LPA_RAT_MAX_OPERATORS 16 /* allowedOperators of one rule */

/* OperatorID (SGP.22 §2.9.2, ASN.1 OperatorID): the profile's owner in its metadata, or an
 * allowed operator of a RAT rule, where a nibble 'E' of mcc_mnc matches any digit and an
 * absent GID any GID. */
typedef struct orsp_lpa_operator {
	uint8_t mcc_mnc[3]; /* 3GPP TS 24.008 coding: MCC2 MCC1, MNC3 MCC3, MNC2 MNC1 */
	bool has_gid1, has_gid2;
	uint8_t gid1_len, gid2_len;
	uint8_t gid1[ORSP_LPA_GID_MAX], gid2[ORSP_LPA_GID_MAX];
} orsp_lpa_operator;

/* ProfilePolicyAuthorisationRule: the PPRs it allows, for which operators, and whether the
 * end user must consent (pprFlags consentRequired). */
typedef struct orsp_lpa_rat_rule {
	uint32_t ppr;
	orsp_lpa_operator ops[ORSP_LPA_RAT_MAX_OPERATORS];
	size_t n_ops;
	bool consent_required;
} orsp_lpa_rat_rule;

/* The Rules Authorisation Table of the eUICC, in its order. */
typedef struct orsp_lpa_rat {
	orsp_lpa_rat_rule rules[ORSP_LPA_RAT_MAX_RULES];
	size_t n_rules;
} orsp_lpa_rat;

/* GetRatResponse (BF43 { rat [0] SEQUENCE OF ProfilePolicyAuthorisationRule }) parsed
 * strictly: DER, every field in its place, bit strings with zero padding bits and no bit
 * beyond 31, an mccMnc of 3 bytes. ORSP_E_MALFORMED naming the field otherwise, and
 * ORSP_E_RESOURCE beyond the limits above (more rules or operators, a longer GID). */
ORSP_MUST_CHECK orsp_err orsp_lpa_rat_parse(orsp_slice der, orsp_lpa_rat *out);

/* ES10b GetRAT, its answer through orsp_lpa_rat_parse. */
ORSP_MUST_CHECK orsp_err orsp_lpa_get_rat(orsp_lpa_card *c, orsp_lpa_rat *out);

/* Whether rule operator op admits owner (NULL: the profile names no owner, which only an
 * operator of every MCC/MNC and no GID admits). */
bool orsp_lpa_operator_matches(const orsp_lpa_operator *op, const orsp_lpa_operator *owner);

/* A profile's PPRs against the RAT (SGP.22 §2.9.2): for each rule bit of ppr
 * (pprUpdateControl left out), the first RAT rule that lists it and admits the owner
 * decides; none: the bit goes to *not_allowed, one with consentRequired: to *consent. */
void orsp_lpa_rat_check(const orsp_lpa_rat *rat, uint32_t ppr, const orsp_lpa_operator *owner,
                        uint32_t *not_allowed, uint32_t *consent);

/* The PPR bits of ppr as text, e.g. "PPR1 (no disabling), PPR2 (no deletion)", into out (cap
 * bytes, NUL-terminated; cut when too small); "none" when no bit is set. */
void orsp_lpa_ppr_str(uint32_t ppr, char *out, size_t cap);

/* ---------------------------------------------------------------- activation codes ------ */

typedef struct orsp_lpa_ac {
	char fqdn[254];
	char matching_id[65];
	char oid[64];            /* "" when absent */
	bool cc_required;        /* the fifth field is "1" */
	unsigned ignored_fields; /* how many fields followed the fifth (later SGP.22 versions) */
} orsp_lpa_ac;

/* "LPA:1$FQDN$MatchingID[$OID[$CCflag[$...]]]", the "LPA:" prefix optional and in any case
 * (SGP.22 §4.1). Strict: AC_Format 1, an FQDN, a matching ID of [0-9A-Za-z-] (may be empty), a
 * dotted OID, a flag "1" or empty. Fields after the flag, which later versions define (SGP.22
 * v3: the CI Public Key indicator, ...), are taken unread (printable ASCII, as every field),
 * up to 16 fields in all. ORSP_E_MALFORMED naming the field otherwise. */
ORSP_MUST_CHECK orsp_err orsp_lpa_ac_parse(const char *ac, orsp_lpa_ac *out);

/* hashCc = SHA-256(SHA-256(cc) || transactionId) (SGP.22 §3.1.3). */
ORSP_MUST_CHECK orsp_err orsp_lpa_hash_cc(const char *cc, const uint8_t *tid, size_t tid_len,
                                          uint8_t out[32]);

/* ---------------------------------------------------------------- ES9+ and procedures -- */

/* Where an SM-DP+ address is reached, when not at https://<fqdn> (labs, proxies). */
typedef struct orsp_lpa_route {
	const char *fqdn;
	const char *base_url; /* e.g. "https://127.0.0.1:8443" (TLS still checked against fqdn) */
} orsp_lpa_route;

/* The longest SM-DP+ base URL (base_url, a route's): a longer one is refused, never cut. */
#define ORSP_LPA_URL_MAX 511

typedef struct orsp_lpa_server {
	const char *base_url;   /* for every address not in routes; NULL: https://<fqdn> */
	const orsp_lpa_route *routes;
	size_t n_routes;
	const char *ca_file;    /* trust anchors for the SM-DP+ TLS certificate (the CI) */
	bool insecure;          /* skip TLS verification and allow http:// URLs (labs only) */
	bool insecure_warned;   /* the caller has warned of insecure: no http log line */
	unsigned timeout_ms;    /* 0: the http module's default */
} orsp_lpa_server;

typedef enum orsp_lpa_step {
	ORSP_LPA_STEP_AUTHENTICATE = 1,
	ORSP_LPA_STEP_METADATA,
	ORSP_LPA_STEP_DOWNLOAD,
	ORSP_LPA_STEP_INSTALL,
	ORSP_LPA_STEP_NOTIFY,
} orsp_lpa_step;

typedef struct orsp_lpa_download_opts {
	const orsp_lpa_ac *ac;
	/* Where ac's SM-DP+ address came from, for the messages about that address (a TLS
	 * certificate for another name: "check that address (...)", a serverSigned1 naming
	 * another, the SM-DP+ refusing it with 8.8.1/3.8); NULL: "the activation code's". */
	const char *address_from;
	const char *cc;                  /* confirmation code, NULL when none */
	const orsp_lpa_server *server;
	/* Called with the profile's metadata (ICCID, names, PPRs); return false to refuse the
	 * download (the session is then cancelled with endUserRejection; with timeout when
	 * unanswered, below, says nobody answered). NULL: accept. */
	bool (*confirm)(void *arg, const orsp_lpa_profile *meta);
	/* The PPR bits (ORSP_LPA_PPR*) consented to beforehand (by the device's owner, for
	 * devices nobody can ask): these need no consent callback. 0: none. */
	uint32_t preconsent;
	/* Out, may be NULL: set before confirm is called to the profile's PPRs whose RAT rule
	 * asks for consent and preconsent gave it (0: none; a rule preconsent names that needs
	 * no consent is not among them); 0 when the download stops before. */
	uint32_t *preconsented;
	/* The end user's consent to the profile's PPRs whose RAT rule asks for it (SGP.22
	 * §2.9.2, a strong confirmation) and which preconsent leaves out, called with those
	 * after confirm accepted the profile; true only if the user gave it. false: the session
	 * is cancelled with endUserRejection (timeout when unanswered says nobody answered). NULL:
	 * nobody here can consent, so a profile with such a rule is not installed; the session is
	 * cancelled with postponed (the order stays for a device that can ask) and the download
	 * fails with ORSP_E_USAGE naming those rules. */
	bool (*consent)(void *arg, const orsp_lpa_profile *meta, uint32_t ppr);
	/* May be NULL: true once confirm or consent returned false because nobody answered
	 * (the input ended, the terminal went away), not because the user refused: the session
	 * is then cancelled with timeout, which leaves the order downloadable, instead of
	 * endUserRejection, which ends it; the download fails with ORSP_E_USAGE. */
	const bool *unanswered;
	/* May be NULL: non-zero asks the download to stop (a signal's handler sets it). Looked
	 * at between its steps up to the package's request, never once the package goes to
	 * the eUICC (the load and the installation result go on). Before AuthenticateServer
	 * nothing is left anywhere; after it the session is cancelled on the eUICC and the
	 * SM-DP+ with postponed (the order stays downloadable), also when confirm or consent
	 * returned false with it set (a Ctrl-C at the question is no refusal). ORSP_E_STATE
	 * "interrupted". */
	const volatile sig_atomic_t *stop;
	void (*progress)(void *arg, orsp_lpa_step step, const char *what);
	void *arg;
	/* Out, may be NULL: set true when the eUICC gave its installation result but it did not
	 * reach the SM-DP+ (handleNotification failed) and the eUICC kept it, false otherwise.
	 * The result stays on the eUICC; orsp_lpa_process_notifications sends it. The download
	 * itself is not failed for it: the profile is installed. */
	bool *result_pending;
	/* Out, may be NULL: set true when the installation result did not reach the SM-DP+ and
	 * the eUICC did not keep it either (it keeps one only while its notification list has
	 * room), so nothing will send it; false otherwise. */
	bool *result_lost;
	/* Out, may be NULL: set true when the installation result reached the SM-DP+ but the
	 * eUICC did not take it off its list (RemoveNotificationFromList failed), with its
	 * seqNumber in *result_left_seq (may be NULL); false otherwise. It holds one of the
	 * eUICC's notification slots until removed (`openrsp lpa notification remove SEQ`), and
	 * orsp_lpa_process_notifications would send it again. */
	bool *result_left;
	uint64_t *result_left_seq;
	/* Out, may be NULL: set true when the eUICC already held the profile's ICCID (an
	 * earlier download installed it, and its installation result may not have reached the
	 * SM-DP+: the SM-DP+ crashed, the network dropped). Nothing is downloaded then: the
	 * session is cancelled before any package is bound (no download attempt counted), and
	 * the eUICC's pending notifications for that ICCID are delivered to their addresses
	 * (how many in *results_delivered, may be NULL). The download returns ORSP_OK with
	 * installed_iccid set when all of them were delivered, else the first delivery's
	 * error, saying that the profile is installed; with none pending ORSP_E_STATE, "the
	 * SM-DP+ offered ICCID X, which this eUICC already holds" (profileMetadata is not
	 * signed: the ordered profile may be another). */
	bool *already_installed;
	size_t *results_delivered;
} orsp_lpa_download_opts;

/* The whole download of SGP.22 §3.1.3: ES10 challenge and info, initiateAuthentication,
 * AuthenticateServer, authenticateClient, (GetRAT and the PPR check when the metadata has
 * PPRs), (confirm), (consent), PrepareDownload, getBoundProfilePackage,
 * LoadBoundProfilePackage, then the installation result sent to the SM-DP+ and removed from
 * the eUICC (kept there when it could not be sent and the eUICC has room: o->result_pending,
 * else o->result_lost). After AuthenticateServer,
 * a failure of the LPA, the SM-DP+ or the user (a refusal) cancels the session on the eUICC and
 * on the SM-DP+: a PPR the RAT does not allow for the profile's owner with pprNotAllowed
 * (ORSP_E_POLICY). When the eUICC itself refused (an AuthenticateServer or PrepareDownload
 * error), nothing is cancelled: its answer goes to the SM-DP+ (authenticateClient,
 * getBoundProfilePackage), which ends its session; a package the SM-DP+ sends all the same is
 * not loaded, and only CancelSession is tried on the eUICC (its signed answer, if any, then goes
 * to the SM-DP+). An installation result is never cancelled. A profile whose ICCID the eUICC
 * already holds (GetProfilesInfo, asked once authenticateClient has shown the metadata) is
 * not downloaded again: see o->already_installed. installed gets the new profile's ICCID. */
ORSP_MUST_CHECK orsp_err orsp_lpa_download(orsp_lpa_card *c, const orsp_lpa_download_opts *o,
                                           char installed_iccid[21]);

/* Send every pending notification to its address (or server->base_url when given) with
 * handleNotification, in at most 3 attempts with backoff (a second and third only when the
 * server could not be reached or answered HTTP 5xx; a 4xx, an SGP.22 refusal or a malformed
 * answer ends it at once), and remove it from the eUICC once the server accepted it. One
 * whose address is not orsp_lpa_address_ok is sent nowhere (the TLS certificate must name
 * it, base_url or not) and fails with ORSP_E_MALFORMED. The others are sent all the same.
 * The whole list is read once (orsp_lpa_notifications_all, whose limit is this one's) and
 * each notification in it tried once a run. *sent = how many were delivered. */
ORSP_MUST_CHECK orsp_err orsp_lpa_process_notifications(orsp_lpa_card *c,
                                                        const orsp_lpa_server *server,
                                                        size_t *sent);

/* ---------------------------------------------------------------- chip (stream F) ------- */

/* The local eUICC of `openrsp euicc` (a sealed directory, orsp_euicc_host_open), driven
 * in-process. ORSP_E_USAGE when this build has no eUICC host glue. */
ORSP_MUST_CHECK orsp_err orsp_lpa_transport_local(const char *dir, orsp_lpa_transport *t);

#define ORSP_LPA_MAX_CI 16

/* What `chip info` shows of EUICCInfo2 (SGP.22 §5.7.8). */
typedef struct orsp_lpa_info2 {
	char profile_version[12], svn[12], firmware[12]; /* "2.2.2" */
	bool has_resources;
	uint64_t installed_apps, free_nvm, free_ram; /* extCardResource (TS 102 226) */
	uint8_t ci_verify[ORSP_LPA_MAX_CI][20], ci_sign[ORSP_LPA_MAX_CI][20];
	size_t n_ci_verify, n_ci_sign;
	size_t more_ci_verify, more_ci_sign; /* identifiers past the first ORSP_LPA_MAX_CI */
	/* euiccCategory: 0 other (or absent), 1 basic, 2 medium, 3 contactless, another number
	 * a later version's category */
	uint64_t category;
	char sas[65];
	/* uiccCapability: bit b (SGP.22 numbering, orsp_uicc_capability_name) is set in
	 * uicc_caps >> b; uicc_cap_bits is how many bits the eUICC sent (0 when absent) */
	uint64_t uicc_caps;
	unsigned uicc_cap_bits;
} orsp_lpa_info2;

ORSP_MUST_CHECK orsp_err orsp_lpa_euicc_info2(orsp_lpa_card *c, orsp_lpa_info2 *out);
/* GetEuiccConfiguredAddresses: default SM-DP+ ("" when none) and root SM-DS. */
ORSP_MUST_CHECK orsp_err orsp_lpa_addresses(orsp_lpa_card *c, char default_dp[256],
                                            char root_ds[256]);
/* Whether fqdn is an SM-DP+ address as SGP.22 takes it: orsp_fqdn_check's rule (core.h), a
 * host name of labels of letters, digits and '-' (not at either end) separated by dots, at
 * least two, the last not all digits, at most 253 characters; no port, no scheme. What
 * SetDefaultDpAddress and activation codes accept, and what openrsp's SM-DP+ takes as its
 * fqdn. When false, orsp_err_detail() names the problem. ORSP_LPA_ADDRESS_RULE says it in
 * words for a message ("not " ORSP_LPA_ADDRESS_RULE). */
bool orsp_lpa_address_ok(const char *fqdn);
#define ORSP_LPA_ADDRESS_RULE                                                                      \
	"a host name (at least two labels of letters, digits and '-' separated by dots, the last " \
	"not all digits, at most 253 characters; no port, no scheme)"
/* SetDefaultDpAddress ("" clears it; another address not orsp_lpa_address_ok is
 * ORSP_E_USAGE, nothing sent). */
ORSP_MUST_CHECK orsp_err orsp_lpa_set_default_dp(orsp_lpa_card *c, const char *fqdn);

#define ORSP_LPA_RESET_OPERATIONAL 1u /* deleteOperationalProfiles */
#define ORSP_LPA_RESET_TEST 2u        /* deleteFieldLoadedTestProfiles */
#define ORSP_LPA_RESET_DEFAULT_DP 4u  /* resetDefaultSmdpAddress */
/* eUICCMemoryReset; ORSP_E_NOT_FOUND when there was nothing to delete (nothingToDelete: no
 * profile deleted; with ORSP_LPA_RESET_DEFAULT_DP the address was reset all the same, SGP.22
 * §5.7.19 making both answers success for it), ORSP_E_STATE for
 * catBusy ("the card is busy (catBusy)") and other refusals; the detail does not name the
 * operation (the caller's label does). */
ORSP_MUST_CHECK orsp_err orsp_lpa_memory_reset(orsp_lpa_card *c, unsigned options);

#endif
