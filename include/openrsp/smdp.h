/* openrsp smdp: the SM-DP+ profile inventory and its lifecycle (SGP.22 ES2+ view).
 *
 * Profiles are imported as prepared Unprotected Profile Packages (pkg.h) or generated from
 * a template, kept in the store (store.h) with the UPP encrypted (it holds K/OPc), and moved
 * through the ES2+ states by a transition table (smdp_state.c). Every state change is one
 * write transaction that also appends an audit row. The same header declares the ES9+ and
 * ES2+ handlers and the server that calls this inventory (`openrsp smdp serve`). See
 * docs/smdp.md, docs/smdp-es9p.md and docs/smdp-server.md.
 */
#ifndef OPENRSP_SMDP_H
#define OPENRSP_SMDP_H

#include <stdio.h>

#include "openrsp/core.h"
#include "openrsp/crypto.h"
#include "openrsp/http.h"
#include "openrsp/pkg.h"
#include "openrsp/store.h"

/* ----- profile state machine ----- */

/* SGP.22 ES2+ profile states (rsp-notes §A.1 "Profile states on the SM-DP+"). */
typedef enum orsp_smdp_state {
	ORSP_SMDP_AVAILABLE = 0,
	ORSP_SMDP_ALLOCATED,   /* downloadOrder without EID */
	ORSP_SMDP_LINKED,      /* downloadOrder with EID */
	ORSP_SMDP_CONFIRMED,   /* confirmOrder, releaseFlag false */
	ORSP_SMDP_RELEASED,    /* downloadable */
	ORSP_SMDP_DOWNLOADED,  /* BPP delivered */
	ORSP_SMDP_INSTALLED,   /* successful Profile Installation Result */
	ORSP_SMDP_ERROR,       /* failed PIR, CC or download retries exhausted */
	ORSP_SMDP_UNAVAILABLE, /* cancelled for good, or the order expired */
	ORSP_SMDP_STATE__COUNT
} orsp_smdp_state;

/* The final states, bits 1u << state: nothing in the table of orsp_smdp_transition leads out
 * of them, so no step needs their package again (orsp_smdp_purge). */
#define ORSP_SMDP_FINAL_STATES                                                                     \
	(1u << ORSP_SMDP_INSTALLED | 1u << ORSP_SMDP_ERROR | 1u << ORSP_SMDP_UNAVAILABLE)

typedef enum orsp_smdp_event {
	ORSP_SMDP_EV_ORDER = 0,          /* downloadOrder, no EID */
	ORSP_SMDP_EV_ORDER_EID,          /* downloadOrder with EID */
	ORSP_SMDP_EV_CONFIRM,            /* confirmOrder, releaseFlag false */
	ORSP_SMDP_EV_CONFIRM_RELEASE,    /* confirmOrder, releaseFlag true */
	ORSP_SMDP_EV_RELEASE,            /* releaseProfile */
	ORSP_SMDP_EV_CANCEL_AVAILABLE,   /* cancelOrder, finalProfileStatusIndicator Available */
	ORSP_SMDP_EV_CANCEL_UNAVAILABLE, /* cancelOrder, finalProfileStatusIndicator Unavailable */
	ORSP_SMDP_EV_EXPIRE,             /* the order passed its expiry time */
	ORSP_SMDP_EV_DOWNLOADED,         /* the BPP was delivered */
	ORSP_SMDP_EV_PIR_OK,             /* Profile Installation Result: success */
	ORSP_SMDP_EV_PIR_FAIL,           /* Profile Installation Result: failure */
	ORSP_SMDP_EV_FAIL,               /* too many CC or download attempts, other error */
	ORSP_SMDP_EV_REOPEN,             /* the eUICC postponed after delivery (cancelSession) */
	ORSP_SMDP_EV_PIR_OK_REOPENED,    /* success of a package delivered before a reopen */
	ORSP_SMDP_EVENT__COUNT
} orsp_smdp_event;

/* "available", "allocated", ... (the names stored in the database); "?" if out of range. */
const char *orsp_smdp_state_name(orsp_smdp_state s);
/* The inverse. ORSP_E_MALFORMED for an unknown name. */
ORSP_MUST_CHECK orsp_err orsp_smdp_state_parse(const char *name, orsp_smdp_state *out);
/* "downloadOrder", "confirmOrder(release)", ...; "?" if out of range. */
const char *orsp_smdp_event_name(orsp_smdp_event e);
/* The next state for event e in state s. ORSP_E_STATE (detail names both) if the table
 * has no such transition, ORSP_E_USAGE for out-of-range arguments. */
ORSP_MUST_CHECK orsp_err orsp_smdp_transition(orsp_smdp_state s, orsp_smdp_event e,
                                              orsp_smdp_state *next);

/* ----- identifiers ----- */

#define ORSP_SMDP_MATCHING_ID_MAX 64     /* characters */
#define ORSP_SMDP_MATCHING_ID_GEN_LEN 23 /* generated: 4 groups of 5, '-' separated */
#define ORSP_SMDP_FQDN_MAX 253
#define ORSP_SMDP_AC_MAX (4 + 2 + ORSP_SMDP_FQDN_MAX + 1 + ORSP_SMDP_MATCHING_ID_MAX + 3 + 1)

/* A matching ID as this SM-DP+ accepts it: 1..64 characters of [0-9A-Z-] (the AC token
 * characters lpac accepts, upper case only). ORSP_E_USAGE otherwise. */
ORSP_MUST_CHECK orsp_err orsp_smdp_matching_id_check(const char *mid);
/* A fresh random matching ID (ORSP_SMDP_MATCHING_ID_GEN_LEN characters, 100 bits). */
ORSP_MUST_CHECK orsp_err orsp_smdp_matching_id_generate(char out[ORSP_SMDP_MATCHING_ID_MAX + 1]);
/* A host name by orsp_fqdn_check's rule (core.h: labels of 1..63 [A-Za-z0-9-] not starting or
 * ending with '-', separated by single dots, at least two, the last not all digits), at most
 * ORSP_SMDP_FQDN_MAX characters: what openrsp's LPA takes in an activation code.
 * ORSP_E_USAGE otherwise ("not a DNS name: " and the problem). */
ORSP_MUST_CHECK orsp_err orsp_smdp_fqdn_check(const char *fqdn);
/* The longest SM-DP+ OID taken, in characters (the configuration's `oid`). */
#define ORSP_SMDP_OID_MAX 63
/* An SM-DP+ OID the server takes as its `oid` and encodes in its answers: orsp_cert_oid_ok's
 * rule, at most ORSP_SMDP_OID_MAX characters, no arc over 64 bits; what `pki init` and `pki
 * smdp` take for --smdp-oid, so that a hierarchy they make can be served. ORSP_E_USAGE
 * otherwise, saying what is expected. */
ORSP_MUST_CHECK orsp_err orsp_smdp_oid_check(const char *oid);
/* The activation code "LPA:1$FQDN$MatchingID" (SGP.22 §4.1, the AC_Format 1 fields 1-3),
 * and with cc_required (an order with a confirmation code) "LPA:1$FQDN$MatchingID$$1": no
 * SM-DP+ OID, the Confirmation Code Required Flag set. ORSP_E_USAGE for a bad FQDN or
 * matching ID, ORSP_E_RESOURCE if cap is too small. */
ORSP_MUST_CHECK orsp_err orsp_smdp_activation_code(const char *fqdn, const char *matching_id,
                                                   bool cc_required, char *out, size_t cap);

/* ----- inventory ----- */

typedef struct orsp_smdp orsp_smdp;

#define ORSP_SMDP_DEFAULT_CC_LIMIT 5
#define ORSP_SMDP_DEFAULT_DOWNLOAD_LIMIT 3
#define ORSP_SMDP_DEFAULT_VALIDITY_S (30 * 86400)

/* Open the inventory in the database `db_uri` (store.h), migrating module "smdp". The KEK
 * (ORSP_KEK_LEN bytes) is copied; the first open stores a check value wrapped under it and
 * later opens with another KEK fail with ORSP_E_VERIFY. The SM-DP+ keeps a database of its
 * own: one without the smdp schema that holds other tables (an AuC's, another program's) is
 * refused with ORSP_E_POLICY before anything is written to it; a new or empty one is taken.
 * Errors: ORSP_E_USAGE, ORSP_E_STORAGE, ORSP_E_VERIFY, ORSP_E_STATE (its schema, or the ES9+
 * handler's, newer than this program; refused before anything is written), ORSP_E_POLICY,
 * ORSP_E_RESOURCE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_open(const char *db_uri, const orsp_secret *kek,
                                        orsp_smdp **out);
/* orsp_smdp_open with an orsp_db_open_ex mode, ORSP_DB_OPEN_CREATE (orsp_smdp_open) or
 * ORSP_DB_OPEN_EXISTING, for a caller that works on an inventory already there: it creates
 * nothing and migrates nothing into a database that holds no inventory, and leaves one it
 * refuses as it was. The open itself decides (no SQLite create flag), so a database that
 * does not exist, or went away since the caller looked, is ORSP_E_NOT_FOUND ("no database at
 * PATH"), and so is an existing one that holds no inventory and nothing else (a 0-byte
 * file): "PATH holds no SM-DP+ inventory"; other tables are ORSP_E_POLICY as for
 * orsp_smdp_open, a file that is not SQLite ORSP_E_STORAGE. An inventory of an older schema
 * is brought up to date, as by orsp_smdp_open. ORSP_DB_OPEN_READONLY: as EXISTING, but
 * nothing is written at all: an inventory of an older schema is left at its version
 * (orsp_smdp_schema says which; only reads that schema has work on it), one of a newer
 * schema is refused as orsp_smdp_open refuses it, and the KEK is checked against the stored
 * check value without storing one (`smdp serve --check`, the CLI's verbs that only read).
 * ORSP_DB_OPEN_UNMIGRATED: as
 * EXISTING, but an inventory of an older schema is left at its version and in its journal mode
 * (a newer one refused as by orsp_smdp_open): `smdp backup`, which copies it as it is; only
 * what every schema version has may be used on it (orsp_smdp_backup). Another mode is
 * ORSP_E_USAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_open_ex(const char *db_uri, orsp_db_open_mode mode,
                                           const orsp_secret *kek, orsp_smdp **out);
/* Whether `db_uri` holds an SM-DP+ inventory, looked at without a KEK and without creating
 * or writing anything: ORSP_OK, or what orsp_smdp_open_ex with ORSP_DB_OPEN_EXISTING refuses
 * before it reads the KEK check (the same errors and messages). For a caller that says what
 * is wrong with the database before it reads a KEK file for it. */
ORSP_MUST_CHECK orsp_err orsp_smdp_probe(const char *db_uri);
/* orsp_smdp_probe for an open with `mode`: ORSP_DB_OPEN_READONLY looks at the database with
 * a read-only open (no -wal/-shm file made, orsp_db_open_ex), for a caller that goes on to
 * open it so; another mode is orsp_smdp_probe. */
ORSP_MUST_CHECK orsp_err orsp_smdp_probe_ex(const char *db_uri, orsp_db_open_mode mode);
/* Whether the open of s made the inventory: applied the schema's first step to a new or empty
 * database (one with other tables is refused), not another process opening it at the same
 * moment. False for a view. */
bool orsp_smdp_created(const orsp_smdp *s);
/* The schema versions of the database s has open: the inventory's ("smdp") and the ES9+
 * handler's ("smdp_es9p"; 0 before orsp_es9p_prepare first ran on it), each with the version
 * this program migrates it to (orsp_smdp_open, orsp_es9p_prepare). Only reads. */
typedef struct orsp_smdp_schema_info {
	int smdp, smdp_latest;
	int es9p, es9p_latest;
} orsp_smdp_schema_info;
ORSP_MUST_CHECK orsp_err orsp_smdp_schema(orsp_smdp *s, orsp_smdp_schema_info *out);
/* What the migrations of orsp_smdp_open and orsp_es9p_prepare would refuse on s's database
 * (orsp_db_migrate_check of both schemas): a newer schema, or an older one while another
 * process has the database open (ORSP_E_STATE, in the migration's words). Only reads: `smdp
 * serve --check`, on a read-only handle. */
ORSP_MUST_CHECK orsp_err orsp_smdp_migrate_check(orsp_smdp *s);
/* Another handle on s's database connection (orsp_db_open_view: the handles take turns on
 * it), for another thread, with a copy of the clock and the progress setting, and s's KEK
 * itself, not a copy: the process holds one copy of it however many views it opens, wiped
 * when the last handle that holds it closes (a view may outlive s). A rekey through any of
 * them changes it for all. Errors: ORSP_E_USAGE, ORSP_E_STATE, ORSP_E_RESOURCE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_open_view(orsp_smdp *s, orsp_smdp **out);
/* Wipes the KEK when s is the last handle that holds it (orsp_smdp_open_view). NULL-safe. */
void orsp_smdp_close(orsp_smdp *s);
/* The underlying handle (for tests: failure injection). */
orsp_db *orsp_smdp_db(orsp_smdp *s);
/* Tests: use `now` (seconds since the epoch) as the clock; 0 returns to the real clock. */
void orsp_smdp_set_clock(orsp_smdp *s, int64_t now);
/* Whether state changes queue ES2+ HandleDownloadProgressInfo reports in smdp_progress (in
 * the same transaction). On by default; `smdp serve` turns it off when no callback_url is
 * configured, so that nothing accumulates that nobody will send. */
void orsp_smdp_set_progress(orsp_smdp *s, bool on);
/* Who the following state changes are made for, until set again (NULL or "": nobody named):
 * every audit row written meanwhile gets "by ACTOR" after its detail. ES2+ names the
 * request's functionRequesterIdentifier and functionCallIdentifier, so that each change an
 * operator made is traced to its request: `AUTH: requester "R" call "C"`, '"' and '\' in R and C
 * escaped by a '\'. Printable ASCII (others become '?'), cut at ORSP_SMDP_ACTOR_MAX - 1 bytes:
 * room for the authentication (ORSP_SMDP_AUTH_MAX) and the header's two identifiers (256 bytes
 * each, up to 514 quoted), whole (the actor was cut at 200 bytes until session 68, and a
 * certificate's subject left the call identifier cut or out). */
#define ORSP_SMDP_AUTH_MAX 200
#define ORSP_SMDP_ACTOR_MAX 1280
void orsp_smdp_set_actor(orsp_smdp *s, const char *actor);
/* How the ES2+ request about to be handled on s was authenticated (the server sets it: "client
 * certificate SUBJECT" or "token"; NULL or "": not said), which orsp_es2p_handle puts first
 * in the actor, so that an audit row names what vouched for the request, not only what the
 * request says of itself. Printable ASCII, cut at ORSP_SMDP_AUTH_MAX - 1 bytes. */
void orsp_smdp_set_auth(orsp_smdp *s, const char *auth);
/* That string ("" when none). */
const char *orsp_smdp_auth(const orsp_smdp *s);
/* The SM-DP+'s clock (orsp_smdp_set_clock, else the real one), seconds since the epoch. */
int64_t orsp_smdp_now(const orsp_smdp *s);
/* A 32-byte key for `label` derived from the KEK (HMAC-SHA256(KEK, label)): the same in
 * every process that shares the database and its KEK. The caller wipes it. */
ORSP_MUST_CHECK orsp_err orsp_smdp_derive_key(const orsp_smdp *s, const char *label,
                                              uint8_t out[32]);
/* HMAC-SHA256 of data under orsp_smdp_derive_key(label). The handle keeps the keyed MAC of
 * the last label (cleared by orsp_smdp_close), so repeated MACs under one label cost neither
 * the derivation nor OpenSSL's per-call setup. Like the handle, one thread at a time. */
ORSP_MUST_CHECK orsp_err orsp_smdp_label_mac(orsp_smdp *s, const char *label, const void *data,
                                             size_t n, uint8_t out[32]);

/* Wrap a secret under the KEK (orsp_kek_wrap) for a row of this database, bound to aad, and
 * unwrap it again (ORSP_E_VERIFY for a blob of another row or another KEK). */
ORSP_MUST_CHECK orsp_err orsp_smdp_wrap(const orsp_smdp *s, const char *aad,
                                        const orsp_secret *plain, uint8_t *out, size_t cap,
                                        size_t *out_len);
ORSP_MUST_CHECK orsp_err orsp_smdp_unwrap(const orsp_smdp *s, const char *aad, const uint8_t *blob,
                                          size_t n, orsp_secret *plain);

/* Rotate the KEK: every secret wrapped under the KEK s was opened with (the confirmation
 * codes' hashes, each package's data key, the KEK check value, and the one-time keys of the
 * ES9+ sessions; orsp_smdp_kek_columns) is re-wrapped under a new KEK, created in the file
 * new_kek_path, in one durable write transaction with a "kekRotated" audit row (ICCID "",
 * detail "new KEK file " and NEW's absolute name): orsp_kek_rekey, whose errors it returns. `g` is
 * the guard opened on the database before s was (orsp_db_guard_open), closed after s; no view of s
 * may be open (a view keeps its own copy of the KEK). On success s goes on with the new
 * KEK, and so it does after a commit whose flush alone failed (the error returned); after
 * any other failure of the commit close s. The ES9+ transactionIds are tagged under a key
 * derived from the KEK (orsp_smdp_derive_key): those handed out before the rotation no
 * longer verify, so a session not yet past authenticateClient starts over; one past it goes
 * on by its row (its one-time key re-wrapped here). */
ORSP_MUST_CHECK orsp_err orsp_smdp_rekey(orsp_smdp *s, orsp_db_guard *g, const char *new_kek_path,
                                         const char *seal_uri, size_t *count);
/* The columns orsp_smdp_rekey covers, *n of them, es9p_session's included (re-wrapped in a
 * database whose ES9+ tables exist); smdp_upp.upp_sealed is listed with no aad: sealed
 * under the data key of dek_wrapped. */
const orsp_kek_column *orsp_smdp_kek_columns(size_t *n);
/* Whether the existing database db_uri opens with kek (its KEK check value unwraps with it),
 * an orsp_kek_opens_fn for orsp_kek_rekey_left: ORSP_E_VERIFY "wrong KEK", or the refusal of a
 * database that holds no SM-DP+ inventory. Nothing migrated, nothing written beyond what an open
 * does. */
ORSP_MUST_CHECK orsp_err orsp_smdp_kek_opens(const char *db_uri, const orsp_secret *kek);

typedef struct orsp_smdp_backup_info {
	orsp_db_backup_result file; /* the backup's absolute name and size */
	int schema_version;         /* the smdp schema version of the database and of the copy */
	int schema_latest; /* this program's: more than schema_version for an older database,
	                      which a backup copies as it is (ORSP_DB_OPEN_UNMIGRATED) */
	size_t profiles[ORSP_SMDP_STATE__COUNT]; /* the copy's profiles by state */
} orsp_smdp_backup_info;

/* Back the inventory's database up into the new file `out` while servers use it:
 * orsp_db_backup, whose steps and errors it has. The copy is checked to hold the smdp schema
 * at the database's version and a KEK check value that unwraps with s's KEK (so the KEK that
 * opens s opens the backup; the KEK is not in it), and its profiles are counted by state;
 * nothing else is unwrapped. Audited before the file appears: a "backup" row (ICCID "",
 * detail the backup's absolute name) in a durable commit; if that fails, the backup is not
 * made. Should the file then not appear (or a commit's flush alone fail), a "backup" row
 * with detail "not written: " and the name follows. */
ORSP_MUST_CHECK orsp_err orsp_smdp_backup(orsp_smdp *s, const char *out,
                                          const volatile sig_atomic_t *stop,
                                          orsp_smdp_backup_info *info);

/* ----- Profile Policy Rules (SGP.22 §2.9) ----- */

/* The rules an operator sets on a profile, as the PprIds bits of the StoreMetadataRequest's
 * profilePolicyRules (bit b at 1 << b, as orsp_lpa_profile.ppr). The SM-DP+ sets PPR1 and
 * PPR2, the rules openrsp's eUICC allows (GetRAT) and enforces; pprUpdateControl governs
 * updates of the rules over ES6, which openrsp does not have, and PPR3 is in no rule of that
 * eUICC's table, so an LPA would refuse such a profile for it (pprNotAllowed). */
#define ORSP_SMDP_PPR1 0x02u /* PPR1: disabling the profile is not allowed */
#define ORSP_SMDP_PPR2 0x04u /* PPR2: deleting the profile is not allowed */
#define ORSP_SMDP_PPR_ALL (ORSP_SMDP_PPR1 | ORSP_SMDP_PPR2)

/* "ppr1", "ppr2" or both, comma-separated in any order, each once, case-insensitive, into
 * ORSP_SMDP_PPR* bits. ORSP_E_USAGE (the detail quotes the list) for anything else: an
 * empty list or item, an unknown or repeated rule, pprUpdateControl, ppr3. */
ORSP_MUST_CHECK orsp_err orsp_smdp_ppr_parse(const char *list, unsigned *out);
/* The bits of ppr as "ppr1,ppr2" ("" for none); the names that fit in cap. */
void orsp_smdp_ppr_str(unsigned ppr, char *out, size_t cap);

/* ----- profile class (SGP.22 §2.4.4 profileClass) ----- */

/* The class a profile's metadata declares is an orsp_pkg_class (openrsp/pkg.h), set by the
 * operator at import (a TCA package does not carry one; orsp_pkg_class_parse reads its name).
 * UNSET leaves profileClass out of the StoreMetadataRequest, which then means operational (its
 * DEFAULT). A test profile is what eUICCMemoryReset's deleteFieldLoadedTestProfiles deletes,
 * and only an eUICC announcing testProfileSupport takes one; a provisioning profile gives
 * connectivity for provisioning only. */

#define ORSP_SMDP_GID_MAX 32 /* bytes of a GID in a profile owner (openrsp's LPA takes 32) */

/* The operator that owns a profile (SGP.22 OperatorID), which the LPA checks a profile's
 * PPRs against the eUICC's Rules Authorisation Table for. */
typedef struct orsp_smdp_owner {
	char mcc_mnc[7]; /* MCC and MNC digits: "00101", "310410"; "" when the profile has none */
	uint8_t gid1[ORSP_SMDP_GID_MAX], gid2[ORSP_SMDP_GID_MAX];
	size_t gid1_len, gid2_len; /* 0: absent */
} orsp_smdp_owner;

/* One profile, without key material. */
typedef struct orsp_smdp_profile {
	char iccid[21];
	char imsi[16];
	char profile_type[401];
	orsp_smdp_state state;
	char eid[33];                                    /* "" when not bound */
	char matching_id[ORSP_SMDP_MATCHING_ID_MAX + 1]; /* "" when none */
	bool cc_required;
	unsigned cc_attempts, cc_limit;
	unsigned download_attempts, download_limit;
	int64_t expires_at; /* 0 when no order is open */
	size_t upp_len;     /* 0: the package was purged (orsp_smdp_purge; a final state only) */
	int64_t created_at, updated_at;
	unsigned ppr;                 /* ORSP_SMDP_PPR* set at import; 0: none */
	orsp_smdp_owner owner;        /* the profile owner, for a profile with PPRs only */
	orsp_pkg_class profile_class; /* set at import; UNSET: not given */
} orsp_smdp_profile;

/* Import one prepared UPP: decoded and validated (orsp_pkg_decode, orsp_pkg_validate),
 * ICCID from the ProfileHeader, IMSI from the first PE-USIM/PE-IoT, profile type from
 * ProfileHeader.profileType. The profile starts Available. out (may be NULL) gets its row.
 * Errors: those of pkg (ORSP_E_MALFORMED, ORSP_E_POLICY), ORSP_E_POLICY (no ICCID or no
 * IMSI), ORSP_E_EXISTS (ICCID or IMSI already imported), ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_import(orsp_smdp *s, const uint8_t *upp, size_t len,
                                          orsp_smdp_profile *out);

/* What an operator may set on a profile at its import. */
typedef struct orsp_smdp_import_opts {
	unsigned ppr; /* ORSP_SMDP_PPR*: the profile's PPRs (fixed once imported); 0: none */
	orsp_pkg_class profile_class; /* the metadata's profileClass; UNSET: left out */
	unsigned mnc_len; /* with PPRs: the MNC length (2 or 3) for a package whose EF.AD does
	                   * not give it; 0: EF.AD's */
} orsp_smdp_import_opts;

/* orsp_smdp_import with the options o (NULL: none). A profile with PPRs gets its owner from
 * the package: MCC and MNC from the IMSI of the first PE-USIM/PE-IoT, split after the MNC
 * length of its EF.AD (TS 31.102 §4.2.18, byte 4), or o->mnc_len when EF.AD does not give
 * one; GID1 and GID2 from EF.GID1 and EF.GID2 of the optional files that follow that USIM
 * (PE-OPT-USIM / PE-OPT-IoT), without trailing 'FF' bytes (unused, TS 31.102 §4.2.10),
 * absent when the package has no such file or nothing is left of it. Errors: those of
 * orsp_smdp_import; ORSP_E_USAGE for rules other than PPR1/PPR2, an MNC length other than
 * 2 or 3 or one without PPRs; ORSP_E_POLICY when the MNC length is not known (EF.AD does not
 * give it and o->mnc_len is 0) or o->mnc_len is not EF.AD's, or a GID is longer than
 * ORSP_SMDP_GID_MAX. */
ORSP_MUST_CHECK orsp_err orsp_smdp_import_with(orsp_smdp *s, const uint8_t *upp, size_t len,
                                               const orsp_smdp_import_opts *o,
                                               orsp_smdp_profile *out);

/* The checks of orsp_smdp_import_with on upp and o alone, without a store: whether the
 * package would be taken but for a duplicate ICCID or IMSI (and the storage). Lets a caller
 * refuse a file that is no package before it opens, and so creates or migrates, a database.
 * Errors: those of orsp_smdp_import_with but ORSP_E_EXISTS and ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_import_check(const uint8_t *upp, size_t len,
                                                const orsp_smdp_import_opts *o);

/* ES2+.DownloadOrder. Exactly one of iccid and profile_type. */
/* The ES2+ call a function executes (SGP.22 §6.5.1.2 header), so that the operator may
 * repeat it after a lost answer. What the call did is recorded with it, in the transaction
 * that does it (smdp_call, migration 17; a row per requester, call identifier and function):
 * a later call of that function with the same requester and call identifier does nothing:
 * with the same body_hash it is a replay (replayed), with another one ORSP_E_EXISTS and
 * conflict; once orsp_smdp_call_prune deleted the record, it is executed as a new call.
 * downloadOrder: the replay's out holds the recorded order's profile as it is now, audited as
 * downloadOrderReplay; one whose profile was ordered again since the call's order (or whose
 * call was recorded before migration 19, which keeps which order a call placed) is refused,
 * ORSP_E_STATE and ended, nothing written: that profile may be another call's order now.
 * confirmOrder, cancelOrder, releaseProfile (orsp_smdp_confirmation.call,
 * orsp_smdp_cancel_order_call, orsp_smdp_release_call; migration 21): the replay is answered
 * as the call was (success: only an executed call is recorded; a confirmOrder's matching ID
 * and EID as it answered them, in matching_id and eid), audited as confirmOrderReplay,
 * cancelOrderReplay, releaseProfileReplay on the profile, which it leaves as it is, whatever
 * order it holds now: a retry never acts on an order placed after its call. */
typedef struct orsp_smdp_call {
	const char *requester; /* functionRequesterIdentifier */
	const char *id;        /* functionCallIdentifier */
	uint8_t body_hash[32]; /* SHA-256 of the request's fields that the call depends on */
	bool replayed;         /* out: the recorded call was answered, nothing done */
	bool conflict;         /* out: the call identifier was used for another body */
	bool ended;            /* out: refused, the recorded order ended and the profile was
	                        * ordered again (or the record predates migration 19) */
	/* out, a replayed confirmOrder: the matching ID and EID ("": none) it answered */
	char matching_id[ORSP_SMDP_MATCHING_ID_MAX + 1];
	char eid[33];
} orsp_smdp_call;

typedef struct orsp_smdp_order {
	orsp_smdp_call *call;     /* NULL: not an ES2+ call, nothing recorded */
	const char *iccid;        /* that profile, which must be Available */
	const char *profile_type; /* or the first Available profile of this type */
	const char *eid;          /* NULL: Allocated; else 32 digits (orsp_eid_check): Linked */
	const char *matching_id;  /* NULL: generated */
	int64_t validity_s;       /* 0: ORSP_SMDP_DEFAULT_VALIDITY_S */
	unsigned cc_limit;        /* 0: ORSP_SMDP_DEFAULT_CC_LIMIT */
	unsigned download_limit;  /* 0: ORSP_SMDP_DEFAULT_DOWNLOAD_LIMIT */
} orsp_smdp_order;

/* Take one profile out of Available in one write transaction (BEGIN IMMEDIATE: concurrent
 * orders never get the same profile). out gets the ICCID and matching ID.
 * Errors: ORSP_E_USAGE, ORSP_E_NOT_FOUND (no such ICCID / no profile of that type at all),
 * ORSP_E_STATE (that ICCID is not Available / no profile of that type is Available),
 * ORSP_E_EXISTS (matching ID in use, or o->call's identifier used for another body),
 * ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_download_order(orsp_smdp *s, const orsp_smdp_order *o,
                                                  orsp_smdp_profile *out);

/* How long the executed ES2+ calls are kept for their replays (smdp_call;
 * configuration `es2_call_days`, docs/smdp-server.md): ORSP_SMDP_CALL_DAYS_DEFAULT days, at
 * most ORSP_SMDP_CALL_DAYS_MAX. */
#define ORSP_SMDP_CALL_DAYS_DEFAULT 30
#define ORSP_SMDP_CALL_DAYS_MAX 3650
/* Delete the recorded ES2+ calls (smdp_call) older than keep_s seconds on the store's clock,
 * of the first max rows (0: 1000) in the order they were written, in one write transaction;
 * *deleted gets how many (max: call again for more). A call deleted is no longer a replay:
 * sent again, it is executed as a new call. The server calls it from its background thread; a
 * program that serves ES2+ without it calls it every so often. Errors: ORSP_E_USAGE
 * (keep_s <= 0), ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_call_prune(orsp_smdp *s, int64_t keep_s, size_t max,
                                              size_t *deleted);

/* A confirmation code as this SM-DP+ accepts it: 1..64 printable ASCII characters without
 * spaces (0x21..0x7E). ORSP_E_USAGE otherwise. */
ORSP_MUST_CHECK orsp_err orsp_smdp_cc_check(const char *cc);

/* ES2+.ConfirmOrder for the order `matching_id`: stores SHA-256(cc) wrapped under the KEK
 * when cc is not NULL (1..64 printable ASCII characters), then Confirmed, or Released with
 * release_flag. An order past its expiry is not confirmed: it becomes Unavailable (as
 * orsp_smdp_expire would make it) and ORSP_E_POLICY is returned. Errors: ORSP_E_NOT_FOUND,
 * ORSP_E_STATE, ORSP_E_USAGE, ORSP_E_POLICY, ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_confirm_order(orsp_smdp *s, const char *matching_id,
                                                 const char *cc, bool release_flag);
/* ES2+.ConfirmOrder as the operator sends it: the order of profile `iccid`, with what the
 * operator may add at confirmation (SGP.22 §5.3.2). */
typedef struct orsp_smdp_confirmation {
	const char *eid;         /* NULL or "": none; else 32 digits (orsp_eid_check): binds an
	                          * order placed without an EID (audited as bindEid), and must be
	                          * the order's EID otherwise (ORSP_E_POLICY) */
	const char *matching_id; /* NULL or "": keep the order's; else replaces it
	                          * (orsp_smdp_matching_id_check; ORSP_E_EXISTS if another order
	                          * has it) */
	const char *cc;          /* as for orsp_smdp_confirm_order */
	bool release;            /* releaseFlag */
	bool need_eid;           /* ES2+'s empty matchingId, no activation code (SGP.22
	                          * §5.3.2): the eUICC comes through its default SM-DP+ address,
	                          * so the order must have an EID, its own or eid's; without one
	                          * ORSP_E_NOT_FOUND, after the state and expiry checks */
	orsp_smdp_call *call;    /* NULL: not an ES2+ call, nothing recorded; else the call,
	                          * recorded with the order's matching ID and EID, and a
	                          * replay (orsp_smdp_call) when recorded before: then out gets
	                          * the profile as it is now, changed in nothing */
} orsp_smdp_confirmation;

/* One write transaction; nothing of it stays when it fails, except that an expired order
 * becomes Unavailable (ORSP_E_POLICY; out then gets the profile in that state). out (may be
 * NULL) gets the profile as confirmed. Errors: those of orsp_smdp_confirm_order, ORSP_E_USAGE
 * for a malformed EID or matching ID, ORSP_E_POLICY (also for another EID than the order's:
 * out is then left alone), ORSP_E_EXISTS. */
ORSP_MUST_CHECK orsp_err orsp_smdp_confirm(orsp_smdp *s, const char *iccid,
                                           const orsp_smdp_confirmation *c, orsp_smdp_profile *out);
/* ES2+.ReleaseProfile: Confirmed -> Released. An order past its expiry becomes Unavailable
 * instead, and ORSP_E_POLICY is returned. */
ORSP_MUST_CHECK orsp_err orsp_smdp_release(orsp_smdp *s, const char *iccid);
/* orsp_smdp_release for an ES2+ call (orsp_smdp_call; NULL: as orsp_smdp_release): recorded
 * with the release, or answered as a replay, nothing done (call->replayed). Errors: those of
 * orsp_smdp_release, ORSP_E_EXISTS (call->conflict). */
ORSP_MUST_CHECK orsp_err orsp_smdp_release_call(orsp_smdp *s, const char *iccid,
                                                orsp_smdp_call *call);
/* ES2+.CancelOrder: to Available (EID, matching ID, CC and counters cleared) or Unavailable,
 * from an open order or a Downloaded one (delivered, no installation result yet: the audit
 * row names the EID it went to).
 * eid and matching_id, when not NULL, must be the order's, compared in the transaction that
 * cancels it: another EID (also for an order without one) is ORSP_E_POLICY, another
 * matching ID ORSP_E_NOT_FOUND, and the order is left as it is. */
ORSP_MUST_CHECK orsp_err orsp_smdp_cancel_order(orsp_smdp *s, const char *iccid, const char *eid,
                                                const char *matching_id, bool final_available);
/* Which of orsp_smdp_cancel_order_why's eid and matching_id was not the order's. */
typedef enum orsp_smdp_mismatch {
	ORSP_SMDP_MISMATCH_NONE,        /* neither was refused */
	ORSP_SMDP_MISMATCH_EID,         /* eid is not the order's EID (ORSP_E_POLICY) */
	ORSP_SMDP_MISMATCH_NO_EID,      /* eid given, the order names none (ORSP_E_POLICY) */
	ORSP_SMDP_MISMATCH_MATCHING_ID, /* not the order's matching ID (ORSP_E_NOT_FOUND) */
} orsp_smdp_mismatch;
/* orsp_smdp_cancel_order, *why (may be NULL) set to the refusal of eid or matching_id, if
 * any: ES2+ answers an EID for an order without one otherwise than another EID. */
ORSP_MUST_CHECK orsp_err orsp_smdp_cancel_order_why(orsp_smdp *s, const char *iccid,
                                                    const char *eid, const char *matching_id,
                                                    bool final_available, orsp_smdp_mismatch *why);
/* orsp_smdp_cancel_order_why for an ES2+ call (orsp_smdp_call; NULL: as
 * orsp_smdp_cancel_order_why): recorded with the cancellation, or answered as a replay,
 * nothing done (call->replayed), whatever order the profile holds now. Errors: those of
 * orsp_smdp_cancel_order, ORSP_E_EXISTS (call->conflict). */
ORSP_MUST_CHECK orsp_err orsp_smdp_cancel_order_call(orsp_smdp *s, const char *iccid,
                                                     const char *eid, const char *matching_id,
                                                     bool final_available, orsp_smdp_mismatch *why,
                                                     orsp_smdp_call *call);

/* ES9+ (later): the profile of an order. ORSP_E_NOT_FOUND if none. */
ORSP_MUST_CHECK orsp_err orsp_smdp_lookup(orsp_smdp *s, const char *matching_id,
                                          orsp_smdp_profile *out);
ORSP_MUST_CHECK orsp_err orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out);
/* ES9+, the default SM-DP+ case: the first (in import order) Released profile ordered for
 * `eid`, through an index. ORSP_E_NOT_FOUND if none, ORSP_E_USAGE if eid is not an EID. */
ORSP_MUST_CHECK orsp_err orsp_smdp_find_released(orsp_smdp *s, const char *eid,
                                                 orsp_smdp_profile *out);
/* ES9+, the default SM-DP+ case: the eUICC's order to download, its first Released one as
 * orsp_smdp_find_released finds it, else its first Downloaded one (in import order), a
 * download the eUICC retries. Errors as orsp_smdp_find_released. */
ORSP_MUST_CHECK orsp_err orsp_smdp_find_order(orsp_smdp *s, const char *eid,
                                              orsp_smdp_profile *out);
/* ES9+, the default SM-DP+ case once orsp_smdp_find_order found nothing: the eUICC's latest
 * order (in import order) that expired, Released past its validity or made Unavailable by its
 * expiry (as orsp_smdp_ended_by_expiry tells; not one cancelled), which authenticateClient
 * refuses as expired (8.8.5/4.10) as it does by matching ID. Errors as
 * orsp_smdp_find_released. */
ORSP_MUST_CHECK orsp_err orsp_smdp_find_expired_order(orsp_smdp *s, const char *eid,
                                                      orsp_smdp_profile *out);

/* ES9+: check hashCc = SHA-256(SHA-256(CC) || transactionId) (SGP.22 §3.1.3) for the order
 * `matching_id`, in constant time: Released, or with `seen` (the profile as the caller read
 * it) Released or Downloaded (the eUICC it was delivered to retries the download in a new
 * session, which must give the code too) and still as seen, in state and download count (a
 * delivery since is ORSP_E_STATE, nothing counted). A mismatch counts an attempt on the
 * order's counter (committed) and returns ORSP_E_VERIFY; the attempt that reaches the limit
 * moves the profile to Error and returns ORSP_E_POLICY. ORSP_E_STATE if not in such a state
 * or no CC was set, ORSP_E_NOT_FOUND for no such order, ORSP_E_STORAGE also when the stored
 * code does not decrypt. */
ORSP_MUST_CHECK orsp_err orsp_smdp_check_cc(orsp_smdp *s, const char *matching_id,
                                            const orsp_smdp_profile *seen,
                                            const uint8_t hash_cc[32], const uint8_t *tid,
                                            size_t tid_len);
/* ES9+ (later): count one download attempt of a Released profile; the attempt past the
 * limit moves it to Error and returns ORSP_E_POLICY. */
ORSP_MUST_CHECK orsp_err orsp_smdp_download_attempt(orsp_smdp *s, const char *iccid);
/* ES9+: the BPP of Released profile p is delivered to the eUICC `eid`. Inside the caller's
 * transaction, with p as read in it: an order without an EID is bound to `eid` (audited as
 * bindEid), so no other eUICC can get the profile; then counts the attempt and moves p to
 * Downloaded in one update (the audit rows of download_attempt and mark_downloaded); the
 * attempt past the limit moves it to Error and returns ORSP_E_POLICY. p follows.
 * ORSP_E_USAGE outside a transaction or for a malformed EID, ORSP_E_STATE if p is not
 * Released or is bound to another EID. */
ORSP_MUST_CHECK orsp_err orsp_smdp_deliver(orsp_smdp *s, orsp_smdp_profile *p, const char *eid);
/* ES9+: a new binding of Downloaded profile p for the eUICC it was delivered to (its LPA
 * lost the package), inside the caller's transaction, with p as read in it: one more download
 * attempt on the profile's counter (the one the first delivery raised, which a session's end
 * does not reset) and an audit row (downloadAttempt, "new binding for EID ..."). p follows.
 * ORSP_E_POLICY, writing nothing, when the counter is already at the limit (the caller moves
 * the profile to Error); ORSP_E_STATE if p is not Downloaded to `eid` or its counter changed
 * since it was read; ORSP_E_USAGE outside a transaction. */
ORSP_MUST_CHECK orsp_err orsp_smdp_rebind(orsp_smdp *s, orsp_smdp_profile *p, const char *eid);
/* The UPP of a profile (for binding). *out is malloc'd key material: release with
 * orsp_pkg_buf_free. ORSP_E_VERIFY if the stored blob does not authenticate; ORSP_E_NOT_FOUND
 * for no such profile, or one whose package orsp_smdp_purge dropped. */
ORSP_MUST_CHECK orsp_err orsp_smdp_get_upp(orsp_smdp *s, const char *iccid, uint8_t **out,
                                           size_t *len);
/* Why a download ends in Error, for the operator's progress report (SGP.22 §5.3.5; every
 * Failed report carries status codes). */
typedef enum orsp_smdp_failure {
	ORSP_SMDP_FAIL_REJECTED, /* cancelSession with endUserRejection: point 3, 8.1/3.8 */
	ORSP_SMDP_FAIL_RETRIES,  /* download retries exhausted: point 1, 8.8.5/6.4 */
	ORSP_SMDP_FAIL_INSTALL,  /* the eUICC reported a failed installation: point 4, 8.1/4.2 */
	ORSP_SMDP_FAIL_PPR,      /* cancelSession with pprNotAllowed: point 3, 8.2/3.8 */
} orsp_smdp_failure;

/* Released -> Downloaded; Downloaded -> Installed; Released/Downloaded -> Error (detail is
 * recorded in the audit row and the progress report; it must not contain secrets). */
ORSP_MUST_CHECK orsp_err orsp_smdp_mark_downloaded(orsp_smdp *s, const char *iccid);
ORSP_MUST_CHECK orsp_err orsp_smdp_mark_installed(orsp_smdp *s, const char *iccid);
ORSP_MUST_CHECK orsp_err orsp_smdp_mark_error(orsp_smdp *s, const char *iccid,
                                              orsp_smdp_failure why, const char *detail);
/* ES9+ cancelSession with postponed or timeout, signed by the eUICC the Downloaded profile
 * iccid was delivered to: Released again, downloadable with the same activation code (the
 * delivery stays counted against the download limit, the EID binding stays). */
ORSP_MUST_CHECK orsp_err orsp_smdp_reopen(orsp_smdp *s, const char *iccid, const char *detail);
/* ES9+ handleNotification: the eUICC's ProfileInstallationResult (pir: its DER as received)
 * for Downloaded profile iccid, delivered under the order `matching_id` to eUICC `eid` (the
 * session's; NULL: not checked). success: Installed, else Error. The operator's report (point
 * 4) carries it base64 as resultData (left out above 1 KiB); a failure's report has the status
 * code of the errorResult's errorReason (8.1/4.2 for most, and when pir gives none) and names
 * errorReason and bppCommandId in its message, as the audit row does. ORSP_E_STATE, changing
 * nothing, if the profile is not Downloaded or is no longer that order of that eUICC
 * (cancelled and placed again, delivered to another eUICC since). */
ORSP_MUST_CHECK orsp_err orsp_smdp_mark_pir(orsp_smdp *s, const char *iccid,
                                            const char *matching_id, const char *eid, bool success,
                                            const uint8_t *pir, size_t pir_len);
/* authenticateClient found eUICC `eid` not eligible for profile iccid: an audit row and a
 * Failed progress report (point 1, 8.2.5/4.3, detail as its message) in one transaction;
 * the order itself stays as it is (another eUICC, or this one with more free memory, may
 * take it). */
ORSP_MUST_CHECK orsp_err orsp_smdp_report_ineligible(orsp_smdp *s, const char *iccid,
                                                     const char *eid, const char *detail);
/* Every open order (Allocated, Linked, Confirmed, Released) whose expiry is before the
 * clock becomes Unavailable, each with its audit row and progress report, in batches of
 * `batch` orders (0: 1000) in rowid order, each batch its own write transaction, so other
 * writers can take the lock between batches. After each full batch is committed,
 * between(arg) runs (NULL: nothing): it may wait, to let them in, and false ends the call
 * there, the rest left for the next one. *n (may be NULL) gets how many orders ended, on an
 * error those of the batches committed before it (the failed batch changes nothing), and
 * those of a batch whose commit took place, its flush alone failing (orsp_db_committed). */
ORSP_MUST_CHECK orsp_err orsp_smdp_expire_with(orsp_smdp *s, size_t batch, bool (*between)(void *),
                                               void *arg, size_t *n);
/* orsp_smdp_expire_with in batches of 1000, nothing between them. */
ORSP_MUST_CHECK orsp_err orsp_smdp_expire(orsp_smdp *s, size_t *n);
/* *expired: whether profile p (as read) is an order that its expiry ended (Unavailable by
 * orsp_smdp_expire or by an ES2+ call that found it past its validity), as the audit log's
 * expiry row of the profile says (Unavailable has no way out, so the profile has at most
 * one); false for one cancelled to Unavailable. Only an Unavailable order last changed after
 * its expiry is looked up, through an index of the expiry's rows by ICCID (migration 13). */
ORSP_MUST_CHECK orsp_err orsp_smdp_ended_by_expiry(orsp_smdp *s, const orsp_smdp_profile *p,
                                                   bool *expired);

/* How many profiles are in each state (n is indexed by orsp_smdp_state), counted by the
 * database without reading the profiles one by one: orsp_smdp_count_where with no filter. */
ORSP_MUST_CHECK orsp_err orsp_smdp_count_states(orsp_smdp *s, size_t n[ORSP_SMDP_STATE__COUNT]);
/* The longest audit detail a row holds: a KEK file's or a backup's path (PATH_MAX 4096, its
 * NUL included) and the words before it, or a detail and "; by " and the request's actor
 * (ORSP_SMDP_ACTOR_MAX). A change whose detail has no room beside its actor fails with
 * ORSP_E_RESOURCE "audit detail of ACTION too long with the actor" rather than cut it. */
#define ORSP_SMDP_AUDIT_DETAIL_MAX 4224
/* One row of the append-only audit log (smdp_audit): every state change, CC check, download
 * attempt and eligibility refusal. The detail is whole (it was cut at 255 bytes until session
 * 66, the request's call identifier at its end with it); other text fields are cut to fit. */
typedef struct orsp_smdp_audit_row {
	int64_t id, at; /* at: seconds since the epoch */
	char action[40], iccid[21], from[16], to[16], detail[ORSP_SMDP_AUDIT_DETAIL_MAX];
} orsp_smdp_audit_row;
/* Call fn for every audit row of profile iccid (NULL: all), oldest first; a non-zero return
 * stops the walk and is returned in *stopped (may be NULL). */
ORSP_MUST_CHECK orsp_err orsp_smdp_audit_walk(orsp_smdp *s, const char *iccid,
                                              int (*fn)(const orsp_smdp_audit_row *r, void *arg),
                                              void *arg, int *stopped);
/* orsp_smdp_audit_walk of the newest `limit` rows only (of iccid, when given), still oldest
 * first; 0: every row (orsp_smdp_audit_walk), as orsp_auc_audit_walk's limit. */
ORSP_MUST_CHECK orsp_err orsp_smdp_audit_walk_ex(orsp_smdp *s, const char *iccid, size_t limit,
                                                 int (*fn)(const orsp_smdp_audit_row *r, void *arg),
                                                 void *arg, int *stopped);

/* One progress report of the outbox (smdp_progress, docs/smdp-server.md). next_at: when it is
 * due (on the clock of the process that wrote it), 0 while a server is sending it. */
typedef struct orsp_smdp_report_row {
	int64_t id, at, next_at;
	char iccid[21], eid[33], subject[16], reason[16], detail[256];
	int point;    /* notificationPointId */
	bool success; /* Executed-Success, else Failed */
	unsigned attempts;
	int done; /* 0 to send, 1 delivered, 2 given up after the last retry */
} orsp_smdp_report_row;
/* Call fn for every progress report of profile iccid (NULL: all), oldest first, as
 * orsp_smdp_audit_walk. */
ORSP_MUST_CHECK orsp_err orsp_smdp_report_walk(orsp_smdp *s, const char *iccid,
                                               int (*fn)(const orsp_smdp_report_row *r, void *arg),
                                               void *arg, int *stopped);

/* Queue the progress reports given up (after the last retry, or refused by the operator)
 * again, of profile iccid (NULL: all): due at once, their attempts from 0, one audit row
 * (reportsResent) with their number, all in one transaction; *n how many (0 after an
 * error). A running server sends them in its next round, each after the older pending
 * reports of its ICCID. */
ORSP_MUST_CHECK orsp_err orsp_smdp_report_resend(orsp_smdp *s, const char *iccid, size_t *n);

/* Progress reports not delivered: still to send (*pending) and given up after the last
 * retry (*given_up); two index lookups, for /metrics. */
ORSP_MUST_CHECK orsp_err orsp_smdp_count_undelivered(orsp_smdp *s, size_t *pending,
                                                     size_t *given_up);

/* Call fn for every profile in import order; a non-zero return stops the walk and is
 * returned in *stopped (may be NULL). */
ORSP_MUST_CHECK orsp_err orsp_smdp_list(orsp_smdp *s,
                                        int (*fn)(const orsp_smdp_profile *p, void *arg), void *arg,
                                        int *stopped);

/* Which profiles orsp_smdp_list_where and orsp_smdp_count_where take: each field is
 * optional, and the ones set all apply. Zeroed: every profile. */
typedef struct orsp_smdp_filter {
	unsigned states;        /* bits 1u << orsp_smdp_state; 0: any state */
	const char *iccid;      /* NULL or "": any; else this ICCID (1..20 digits) */
	const char *eid;        /* NULL or "": any; else profiles bound to this EID (32 digits,
	                         * orsp_eid_check) */
	int64_t changed_before; /* 0: any; else last state change (updated_at; the import for
	                         * a profile still Available) before this time, seconds since
	                         * the epoch */
	size_t limit;           /* list: at most this many profiles (0: no limit); count: 0 */
} orsp_smdp_filter;

/* orsp_smdp_list for the profiles f takes (NULL: all), in import order, by one query with
 * the values bound (an ICCID or EID goes through its index; states and times are read from
 * the table itself: no index follows the state, so that a state change writes one page
 * less). Never reads key material. *more (may be NULL) is set when f->limit stopped the
 * walk with more profiles matching. ORSP_E_USAGE for a state bit past the last state, an
 * ICCID that is not 1..20 digits, an EID that fails orsp_eid_check, a negative time. */
ORSP_MUST_CHECK orsp_err orsp_smdp_list_where(orsp_smdp *s, const orsp_smdp_filter *f,
                                              int (*fn)(const orsp_smdp_profile *p, void *arg),
                                              void *arg, int *stopped, bool *more);
/* How many profiles f takes (NULL: all) are in each state (n is indexed by orsp_smdp_state),
 * counted by the database. Errors as orsp_smdp_list_where, and ORSP_E_USAGE for a limit. */
ORSP_MUST_CHECK orsp_err orsp_smdp_count_where(orsp_smdp *s, const orsp_smdp_filter *f,
                                               size_t n[ORSP_SMDP_STATE__COUNT]);
/* orsp_smdp_count_states, and in age_s the age in seconds of the oldest last state change
 * (updated_at; the import for a profile never ordered) among the profiles of each state, -1
 * for a state without profiles, from the same scan: a Downloaded profile that old has sent
 * no installation result for that long (/metrics); in held (may be NULL) how many of each
 * state still hold their package (orsp_smdp_purge has not dropped it). ORSP_E_USAGE without
 * n or age_s. */
ORSP_MUST_CHECK orsp_err orsp_smdp_state_ages(orsp_smdp *s, size_t n[ORSP_SMDP_STATE__COUNT],
                                              int64_t age_s[ORSP_SMDP_STATE__COUNT],
                                              size_t held[ORSP_SMDP_STATE__COUNT]);

/* Drop the package (the sealed UPP, which holds the profile's K and OPc, and its wrapped
 * key) of each profile f takes that still holds one, in id order, so that a subscription
 * whose download has ended is no longer kept here. f->states must be set and name only final
 * states (Installed, Error, Unavailable: nothing leads out of them, so no step needs the
 * package again); f->limit, when set, caps the profiles purged. The profile's row stays (its
 * ICCID and IMSI still refuse a duplicate import, its state, EID and audit log are kept),
 * with upp_len 0 for "no package", and the audit log gets a `purge` row each; its state and
 * updated_at do not change. Batches of 100, each its own write transaction (`between`, may be
 * NULL, runs for each batch that found profiles, the first too, before it drops them; false
 * stops, that batch rolled back). With dry_run nothing is written: n
 * counts what would go. n (per state) counts the profiles purged by committed batches, also
 * when an error stops a later one (that batch is rolled back whole), and by a batch whose
 * commit took place, its flush alone failing (orsp_db_committed). ORSP_E_USAGE for no
 * state, a state that is not final, or a filter orsp_smdp_list_where refuses; ORSP_E_STATE when
 * a profile changed between its read and its drop (another purge). */
ORSP_MUST_CHECK orsp_err orsp_smdp_purge(orsp_smdp *s, const orsp_smdp_filter *f, bool dry_run,
                                         bool (*between)(void *), void *arg,
                                         size_t n[ORSP_SMDP_STATE__COUNT]);

/* ================================================================ the SM-DP+ service ===== */

/* What the ES9+ and ES2+ handlers need besides the database: the server's identity and
 * keys. Built once (from the configuration file, see orsp_smdp_config_load) and shared
 * read-only by every worker thread; each thread has its own orsp_smdp (database
 * connection). */
#define ORSP_SMDP_MAX_KEYSETS 8
/* trusted CIs, key sets' included: a session's transactionId names its CI's index in 5 bits */
#define ORSP_SMDP_MAX_CIS 31
#define ORSP_SMDP_KEEP_NO_UNVERIFIED SIZE_MAX

typedef struct orsp_smdp_keyset {
	orsp_cert *ci;          /* the CI this set chains to (its SKI is what the eUICC lists) */
	orsp_cert *dpauth_cert; /* CERT.DPauth.ECDSA */
	/* each key NULL when it is in a token and the configuration was loaded with
	 * ORSP_SMDP_CONFIG_NO_TOKEN_KEYS */
	orsp_ec_key *dpauth_key;
	orsp_cert *dppb_cert; /* CERT.DPpb.ECDSA */
	orsp_ec_key *dppb_key;
} orsp_smdp_keyset;

/* The operator's platform policy (TR 33.812's platform validation, realised on what SGP.22
 * lets the SM-DP+ verify): constraints on the platform facts the eUICC signs in euiccInfo2
 * (SGP.22 §5.7.8) and on its EUM, judged by authenticateClient once euiccSignature1 and the
 * certificate chain are verified (configuration keys min_euicc_firmware, min_pp_version,
 * min_svn, min_gp_version, euicc_firmware_denied, sas_accreditation, eum_allowed;
 * docs/smdp-es9p.md). All zero: no constraint. Global: the same for every profile. */
#define ORSP_SMDP_POLICY_LIST_MAX 16
#define ORSP_SMDP_SAS_MAX 64 /* sasAcreditationNumber: UTF8String (SIZE(0..64)) */

typedef struct orsp_smdp_version {
	bool set;     /* false: no constraint */
	uint8_t v[3]; /* VersionType: major, minor, revision */
} orsp_smdp_version;

typedef struct orsp_smdp_platform_policy {
	orsp_smdp_version min_firmware; /* euiccFirmwareVer at least this */
	orsp_smdp_version min_pp;       /* ppVersion (Protection Profile) at least this */
	orsp_smdp_version min_svn;      /* svn (SGP.22 version) at least this */
	orsp_smdp_version min_gp;       /* globalplatformVersion at least this (absent: refused) */
	uint8_t firmware_denied[ORSP_SMDP_POLICY_LIST_MAX][3]; /* euiccFirmwareVer refused */
	size_t n_firmware_denied;
	char sas[ORSP_SMDP_POLICY_LIST_MAX][ORSP_SMDP_SAS_MAX + 1]; /* sasAcreditationNumber one
	                                                             * of these (exact) */
	size_t n_sas;
	uint8_t eum_ski[ORSP_SMDP_POLICY_LIST_MAX][32]; /* CERT.EUM's subjectKeyIdentifier one
	                                                 * of these */
	size_t eum_ski_len[ORSP_SMDP_POLICY_LIST_MAX];
	size_t n_eum;
} orsp_smdp_platform_policy;

typedef struct orsp_smdp_service {
	char fqdn[ORSP_SMDP_FQDN_MAX + 1]; /* SM-DP+ address, compared case-insensitively */
	char oid[ORSP_SMDP_OID_MAX + 1];   /* SM-DP+ OID (RID from CERT.DPauth), dotted */
	orsp_smdp_keyset sets[ORSP_SMDP_MAX_KEYSETS];
	size_t n_sets;
	orsp_ci_store *cis; /* CIs trusted for eUICC/EUM certificates (all sets' CIs) */
	/* CRLs of the CIs (revoked EUMs) and of EUMs (revoked eUICCs), checked at
	 * authenticateClient and for a notification outside a session; NULL: none
	 * (configuration `crl`, docs/smdp-es9p.md "Revocation"). */
	orsp_crl_store *crls;
	/* A certificate whose issuer's CRL is past its nextUpdate is accepted (it is refused by
	 * default: its status is not known); configuration `crl_stale = accept`. */
	bool crl_accept_stale;
	/* an ES9+ session older than this is unknown, except to the installation result and
	 * cancelSession of one that delivered its package; 0: 600 */
	int64_t session_ttl_s;
	size_t max_body; /* request body limit in bytes; 0: 256 KiB */
	/* Notifications that fail verification (bad signature, refused certificate, unknown
	 * session, wrong OID) are recorded, the newest this many kept; 0: 10000;
	 * ORSP_SMDP_KEEP_NO_UNVERIFIED: none recorded. */
	size_t max_unverified_notifications;
	/* A session that delivered its package is kept this many days for its installation
	 * result or cancelSession while its profile stays Downloaded (orsp_es9p_sweep); 0: 90. */
	unsigned delivered_session_days;
	unsigned svn_major, svn_minor, svn_patch; /* SGP.22 version announced; 0.0.0: 2.2.2 */
	/* Eligibility: false compares only the profile's AKA algorithms with the eUICC's
	 * uiccCapability; true every eUICC-Mandatory-service that has a capability bit the eUICC
	 * knows (configuration `eligibility = aka | services`; docs/smdp-es9p.md). */
	bool eligibility_all_services;
	orsp_smdp_platform_policy platform; /* the operator's platform policy (none: all zero) */
	/* An ES2+ downloadOrder, confirmOrder, cancelOrder or releaseProfile whose
	 * functionRequesterIdentifier and functionCallIdentifier name one of that function
	 * executed before is answered as that one (a replay, table smdp_call; a downloadOrder's
	 * refused once its profile has been ordered again), not executed again; off by default,
	 * as clients that do not keep call identifiers unique per requester (pySim's es2p:
	 * "FCI-<second>-<counter from 1>" per client) would have two orders of the same body
	 * merged into one (configuration `es2_call_replay = yes`, docs/smdp-server.md). */
	bool es2_call_replay;
} orsp_smdp_service;

/* The answer to one ES9+ or ES2+ request, ready for HTTP. */
typedef struct orsp_smdp_reply {
	int http_status; /* 200 (JSON body, also for SGP.22 errors), 204 (no body), 4xx */
	char *body;      /* malloc'd, NUL-terminated JSON; NULL for 204 */
	size_t body_len;
	/* for the request log and /metrics (never secrets) */
	char function[40];       /* e.g. "initiateAuthentication" */
	char transaction_id[33]; /* hex, "" when none */
	char eid[33];            /* "" when unknown */
	char subject_code[16];   /* "" on success */
	char reason_code[16];
	/* the platform policy item that refused the eUICC (e.g. "min_euicc_firmware"), or "" */
	char policy[32];
	/* why a refusal came, for the operator where its codes do not tell (e.g. a transactionId
	 * made on a clock ahead of this process's), or "": the log line's reason="..." */
	char note[160];
	/* handleNotification: a verified notification whose seqNumber its eUICC had signed
	 * before for another notification (another event or ICCID): proof that the eUICC's state
	 * was rolled back or that it was cloned (docs/smdp-es9p.md, "seqNumber reused"), audited
	 * as eUICCSequenceReused; note names the two. The server logs a warning and counts it
	 * (openrsp_smdp_euicc_sequence_reused_total). */
	bool sequence_reused;
	/* handleNotification: the verified installation result of a session that had delivered
	 * its package when ES2+ cancelOrder made the profile Unavailable; the profile stays
	 * Unavailable, the result is audited (pir(success,cancelled), pir(failure,cancelled))
	 * and reported to the operator (docs/smdp-es9p.md); note names the profile and the
	 * eUICC. The server logs a warning. */
	bool result_after_cancel;
	/* the HTTP server had no memory for the request's body (orsp_http_log_entry's): result
	 * out_of_memory in the log and /metrics, whatever the status (503, or 0 unanswered) */
	bool out_of_memory;
} orsp_smdp_reply;

void orsp_smdp_reply_free(orsp_smdp_reply *r);

/* ES9+ (SGP.22 §5.6, JSON binding §6.5; docs/smdp-es9p.md). The session of a download lives
 * in the database (tables of the migration module "smdp_es9p"), keyed by transactionId, so
 * that any process sharing the database can serve any step and a restart loses nothing. */

/* Create or upgrade the ES9+ tables. Call once per database before orsp_es9p_handle. */
ORSP_MUST_CHECK orsp_err orsp_es9p_prepare(orsp_smdp *s);

/* Handle one ES9+ request: `function` is the last path segment of
 * /gsma/rsp2/es9plus/<function> (initiateAuthentication, authenticateClient,
 * getBoundProfilePackage, handleNotification, cancelSession). Returns ORSP_OK with *out filled
 * for every request: 200 with a JSON body (SGP.22 failures are 200 + "Failed" and the status
 * code of the one table in es9p_status.c), 204 for handleNotification, 404 for an unknown
 * function. Any other return is an internal failure (database, crypto library): out is then
 * 500 without a body. Release out with orsp_smdp_reply_free. */
ORSP_MUST_CHECK orsp_err orsp_es9p_handle(const orsp_smdp_service *svc, orsp_smdp *s,
                                          const char *function, const uint8_t *body, size_t len,
                                          orsp_smdp_reply *out);

/* Build and keep the profile metadata (StoreMetadataRequest) of a profile, so that the
 * download does not decode its package (ES2+ release does this; best effort). */
ORSP_MUST_CHECK orsp_err orsp_es9p_warm(const orsp_smdp_service *svc, orsp_smdp *s,
                                        const char *iccid);

/* Delete ES9+ sessions no request can use any more (docs/smdp-es9p.md): finished or never
 * delivered ones older than the session TTL plus the clock skew allowed between server
 * processes, delivered ones as old once their profile is no longer Downloaded for them, or
 * older than svc->delivered_session_days. At most max rows (0: 1000), oldest first, in one
 * write transaction; *deleted gets how many (max: call again for more). A session found to
 * stay is marked kept (at most max more a call) and not read again until what it stays for
 * changes (es9p migration 15's triggers) or it passes delivered_session_days. The same
 * transaction forgets the wrapped one-time keys of sessions past the TTL (not counted in
 * *deleted; getBoundProfilePackage no longer does): a program that serves ES9+ without the
 * server's background thread calls it every so often. The server calls it from its
 * background thread. Errors: ORSP_E_USAGE, ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_es9p_sweep(const orsp_smdp_service *svc, orsp_smdp *s, size_t max,
                                         size_t *deleted);

/* Notifications received and accepted (signature and certificates verified) for a profile
 * (iccid NULL: any) and event ("install", "enable", "disable", "delete"; NULL: any). */
ORSP_MUST_CHECK orsp_err orsp_es9p_notification_count(orsp_smdp *s, const char *iccid,
                                                      const char *event, size_t *n);

/* ES2+ (SGP.22 §5.3): downloadOrder, confirmOrder, cancelOrder, releaseProfile, as for
 * orsp_es9p_handle (the caller authenticates the operator first). confirmOrder may bind an
 * order placed without an EID to one and replace the generated matching ID (SGP.22 §5.3.2,
 * orsp_smdp_confirm), but never changes an EID downloadOrder set (8.1.1/3.10); it refuses an
 * smdsAddress (no SM-DS yet). */
ORSP_MUST_CHECK orsp_err orsp_es2p_handle(const orsp_smdp_service *svc, orsp_smdp *s,
                                          const char *function, const uint8_t *body, size_t len,
                                          orsp_smdp_reply *out);

/* ----- configuration file (docs/smdp-server.md, docs/smdp.conf.example) ----- */

#define ORSP_SMDP_PATH_MAX 1024
/* the longest drain (`drain` in the configuration file), seconds */
#define ORSP_SMDP_DRAIN_MAX 600
/* one progress report's send (`callback_timeout`), seconds: by default, and at most (half a
 * claim's lease, smdp_server.c's PROGRESS_LEASE_S) */
#define ORSP_SMDP_CALLBACK_TIMEOUT_DEFAULT 5u
#define ORSP_SMDP_CALLBACK_TIMEOUT_MAX 30u
/* progress reports one server process sends at once (`callback_senders`): by default, and at
 * most */
#define ORSP_SMDP_CALLBACK_SENDERS_DEFAULT 4u
#define ORSP_SMDP_CALLBACK_SENDERS_MAX 16u
/* the most addresses or prefixes trusted_proxies takes */
#define ORSP_SMDP_TRUSTED_PROXIES_MAX 32

/* A `crl` file of the configuration and what it was (stat(2)) when it was read: a file
 * replaced or changed since differs in one of these (crl_reload). */
typedef struct orsp_smdp_crl_file {
	char path[ORSP_SMDP_PATH_MAX];
	int stat_errno; /* the stat's failure, 0 when it succeeded */
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
} orsp_smdp_crl_file;

/* f's stat fields for the file at path now (its path field untouched). */
void orsp_smdp_crl_file_id(const char *path, orsp_smdp_crl_file *f);
/* Whether a and b say the same file, unchanged (the stat fields; not the paths). */
bool orsp_smdp_crl_file_same(const orsp_smdp_crl_file *a, const orsp_smdp_crl_file *b);

/* What orsp_smdp_config_load_ex loads of the keys. */
typedef enum orsp_smdp_config_mode {
	/* every key loaded and checked, a token's logged in to: for serving (as
	 * orsp_smdp_config_load) */
	ORSP_SMDP_CONFIG_ALL = 0,
	/* the keys given as PKCS#11 URIs (dpauth_key, dppb_key, tls_key) not loaded: for a
	 * program that only needs the database, the KEK file and the addresses (the CLI's
	 * maintenance verbs), which then needs neither the token nor its PIN. Such a key's URI
	 * is checked as far as it can be without the token (orsp_ec_pkcs11_uri_check), and a
	 * PIN in it still needs a configuration file of the owner's alone; what needs the key
	 * itself (it belongs to its certificate, the DPtls key's curve) is not checked. Its
	 * orsp_ec_key in the configuration is NULL (a key set's dpauth_key or dppb_key,
	 * tls_token_key with tls_key "pkcs11:"). Key files are loaded and checked as in
	 * ORSP_SMDP_CONFIG_ALL. orsp_smdp_server_start refuses such a configuration. */
	ORSP_SMDP_CONFIG_NO_TOKEN_KEYS = 1,
	/* as ORSP_SMDP_CONFIG_NO_TOKEN_KEYS, and the `crl` files not read: each line's path is
	 * checked as a path (given, not a PKCS#11 URI) but the file is neither opened nor
	 * verified, so a missing or damaged CRL (a fetch that failed, a file not in place yet) is
	 * no error; svc.crls stays NULL and crl_files empty. CRLs concern serving only: for the
	 * CLI's maintenance verbs (backup, order, purge, the reading verbs...), which a CRL file
	 * must not stop (until session 73 one did, the purge timer's included).
	 * orsp_smdp_server_start refuses such a configuration. */
	ORSP_SMDP_CONFIG_MAINTENANCE = 2,
} orsp_smdp_config_mode;

/* What orsp_smdp_config_load found of a CA bundle it read (orsp_cert_pem_bundle_validity at
 * load): its certificates, those within their validity then, and the end of the first of
 * those. */
typedef struct orsp_smdp_ca_validity {
	size_t n, current;
	time_t soonest;
} orsp_smdp_ca_validity;

typedef struct orsp_smdp_config {
	orsp_smdp_service svc;
	char listen[64]; /* numeric address; default 127.0.0.1 */
	uint16_t port;   /* default 8443; 0: ephemeral */
	bool reuse_port; /* SO_REUSEPORT: another server process may take the same port */
	char database[ORSP_SMDP_PATH_MAX]; /* SQLite file */
	char kek_file[ORSP_SMDP_PATH_MAX]; /* default <database>.kek */
	char tls_cert[ORSP_SMDP_PATH_MAX]; /* DPtls certificate (PEM), "" with plain_http */
	char tls_key[ORSP_SMDP_PATH_MAX];  /* "pkcs11:" when the key is tls_token_key */
	/* NULL, tls_key "pkcs11:" all the same, loaded with ORSP_SMDP_CONFIG_NO_TOKEN_KEYS */
	orsp_ec_key *tls_token_key;             /* tls_key given as a PKCS#11 URI: the key there */
	bool plain_http;                        /* explicit: behind a TLS-terminating proxy */
	char es2_token[128];                    /* ES2+ bearer token; "" = ES2+ needs mutual TLS */
	char es2_client_ca[ORSP_SMDP_PATH_MAX]; /* CA of operator client certificates, or "" */
	char metrics_token[128];                /* /metrics bearer token; "" = /metrics is open */
	/* ES2+ HandleDownloadProgressInfo to the operator: base URL ("" = none) and the CA
	 * file for its TLS certificate. Reports are queued in the database with the state
	 * change and sent with retries (exponential backoff, 10 attempts). */
	char callback_url[512];
	char callback_ca[ORSP_SMDP_PATH_MAX];
	/* the SM-DP+'s client certificate and key (PEM) for the operator's endpoint (mutual
	 * TLS), both or neither; the key file must be the owner's alone */
	char callback_cert[ORSP_SMDP_PATH_MAX];
	char callback_key[ORSP_SMDP_PATH_MAX];
	/* how long one report's send may take, connection and answer (`callback_timeout`,
	 * seconds, 1 to 30: a claim's lease is 60 s; 0: 5 s, the loader's default) */
	unsigned callback_timeout_s;
	/* how many reports the process sends at once (`callback_senders`, 1 to 16: the
	 * background thread and callback_senders - 1 threads that only send; 0: 4, the loader's
	 * default) */
	unsigned callback_senders;
	/* The PEM text of tls_cert, tls_key (not a token's), es2_client_ca, callback_ca,
	 * callback_cert and callback_key as orsp_smdp_config_load read and checked them, each
	 * file read once (malloc'ed, NUL-terminated, no NUL inside; NULL when not given): the
	 * HTTPS server and the progress reports use these bytes, not the files again, so a
	 * file replaced or removed after the load changes nothing until the next start. A text
	 * is used only while its path is set; a configuration filled in by other means leaves
	 * them NULL, and the files are read by path then. orsp_smdp_config_free frees them,
	 * the keys' wiped. */
	char *tls_cert_pem, *tls_key_pem;
	/* the first certificate of tls_cert_pem, as orsp_smdp_config_load checked it (NULL
	 * without tls_cert): the DPtls certificate for `serve --check`, the CRL checks of this
	 * SM-DP+'s own certificates and /metrics, parsed once. orsp_smdp_config_free frees it. */
	orsp_cert *tls_cert_parsed;
	char *es2_client_ca_pem, *callback_ca_pem, *callback_cert_pem, *callback_key_pem;
	/* es2_client_ca_pem's and callback_ca_pem's validity as orsp_smdp_config_load counted it
	 * (zero without the PEM): their warnings (orsp_smdp_config_warn) and `serve --check`'s
	 * line, from that one reading of the bundle. */
	orsp_smdp_ca_validity es2_client_ca_validity, callback_ca_validity;
	/* the first certificate of callback_cert_pem, as orsp_smdp_config_load checked it
	 * (NULL without callback_cert): for its expiry warning and /metrics, parsed once.
	 * orsp_smdp_config_free frees it. */
	orsp_cert *callback_cert_parsed;
	/* seconds between runs of order expiry, the ES9+ session sweep and the pruning of ES2+
	 * calls (0: 30); not a key of the file: tests shorten it */
	unsigned housekeeping_s;
	/* days the executed ES2+ calls are kept for their replays
	 * (`es2_call_days`, 1 to ORSP_SMDP_CALL_DAYS_MAX; 0: ORSP_SMDP_CALL_DAYS_DEFAULT),
	 * older ones deleted by the server's background thread (orsp_smdp_call_prune) */
	unsigned es2_call_days;
	unsigned threads, timeout_s;
	unsigned request_timeout_s; /* a request must arrive whole within it, and its answer be
	                             * taken whole within it; 0: 2 x timeout_s */
	/* open connections from one client address; 0 (the default): no limit, as devices
	 * behind a carrier's NAT share addresses, and behind a proxy every connection comes
	 * from its address */
	unsigned max_connections_per_ip;
	/* trusted_proxies: the proxies in front whose X-Forwarded-For names the client in the log
	 * lines (orsp_http_server_config.trusted_proxies); none by default, the header ignored */
	orsp_http_prefix trusted_proxies[ORSP_SMDP_TRUSTED_PROXIES_MAX];
	size_t n_trusted_proxies;
	/* how long a connection must have been idle before it is reset to make room for a new one
	 * with every connection slot taken (orsp_http_server_config.idle_reset_ms): 0, the
	 * default, 1000 ms; ORSP_HTTP_IDLE_RESET_NEVER (`idle_reset_ms = 0` in the file): never */
	unsigned idle_reset_ms;
	/* /metrics reads profiles by state and undelivered reports from the database at most
	 * once per this many seconds (the loader's default 5; 0: at every scrape) */
	unsigned metrics_cache_s;
	/* seconds of drain between the first stop signal and the stop, `smdp serve`'s (0: none,
	 * the default; at most ORSP_SMDP_DRAIN_MAX): orsp_smdp_server_drain */
	unsigned drain_s;
	bool quiet; /* `log = no`: no line per request (the demo) */
	/* the `crl` files, in the order read (svc.crls holds their CRLs), and how often the
	 * server looks whether one changed, to read them all again (`crl_reload`, seconds; 0:
	 * never; the loader's default 60) */
	orsp_smdp_crl_file *crl_files;
	size_t n_crl_files;
	unsigned crl_reload_s;
	/* how it was loaded: with ORSP_SMDP_CONFIG_NO_TOKEN_KEYS a token's keys are NULL */
	orsp_smdp_config_mode mode;
} orsp_smdp_config;

/* Read a configuration file. Relative paths are relative to the file's directory. Every
 * problem is ORSP_E_USAGE (or the loader's error) with a detail naming the file, the line
 * and the key: unknown key, bad value, missing file, a certificate of the wrong role, a key
 * that does not belong to its certificate, an FQDN missing from the DPtls certificate. */
ORSP_MUST_CHECK orsp_err orsp_smdp_config_load(const char *path, orsp_smdp_config *out);
/* orsp_smdp_config_load with a mode (above); ORSP_SMDP_CONFIG_ALL is orsp_smdp_config_load.
 * Another mode is ORSP_E_USAGE. */
ORSP_MUST_CHECK orsp_err orsp_smdp_config_load_ex(const char *path, orsp_smdp_config_mode mode,
                                                  orsp_smdp_config *out);
void orsp_smdp_config_free(orsp_smdp_config *c);
/* What a loaded configuration allows but an operator should know, one line each on stderr
 * ("openrsp smdp: warning: ..."): a CRL past its nextUpdate (orsp_smdp_crl_warn_stale), this
 * SM-DP+'s own certificates revoked (orsp_smdp_crl_warn_own) or expiring within
 * ORSP_SMDP_EXPIRY_WARN_DAYS (orsp_smdp_own_warn_expiry), a trusted CI without a CRL
 * among them (orsp_smdp_crl_warn_missing_ci), a key set whose CI did not issue the DPtls
 * (orsp_smdp_warn_dptls_ci), a trusted_proxies prefix of length 0, which takes every peer
 * for a proxy. `smdp serve` says it at start, `serve --check` too. */
void orsp_smdp_config_warn(const orsp_smdp_config *c);
/* For each key set whose CI is not the one that issued c's DPtls (HTTPS only), a warning
 * line through orsp_log_line: an eUICC that trusts only that CI refuses the server's TLS
 * (SGP.22: the LPA checks the DPtls against the eUICC's euiccCiPKIdListForVerification),
 * and the HTTPS server holds one DPtls, on P-256. How many lines. */
size_t orsp_smdp_warn_dptls_ci(const orsp_smdp_config *c);
/* e as it is, but for ORSP_E_NOT_FOUND from reading c's KEK file for a database that holds an
 * inventory (orsp_kek_load_for_db, orsp_kek_load_existing): then the refusal says where the key
 * comes from, "no KEK file at PATH for DATABASE (kek_file in the configuration names it,
 * the database's path and .kek when not given, or ORSP_KEK holds the key)", as the CLI's verbs say
 * it of --kek-file. `serve` and `serve --check` refuse in these words. */
ORSP_MUST_CHECK orsp_err orsp_smdp_config_kek_missing(const orsp_smdp_config *c, orsp_err e);
/* The first of those: for each CRL of c past its nextUpdate (none superseded by a newer one
 * of its issuer), a warning on stderr naming its file ("openrsp smdp: warning: the CRL FILE
 * (crl) is past its nextUpdate (TIME): ..."), and true; else false. The server says it again
 * when its CRLs go stale while it runs (crl_reload). */
bool orsp_smdp_crl_warn_stale(const orsp_smdp_config *c);
/* This SM-DP+'s own certificates (each key set's DPauth and DPpb, the DPtls certificate)
 * that a CRL of c revokes: a warning line each on stderr ("openrsp smdp: warning: this
 * SM-DP+'s DPauth certificate (serial ...) is revoked by the CRL ..."); how many. The server
 * serves on (the operator may be replacing them); it says so at start, in `serve --check`
 * and after each reading of the CRLs put in force. */
size_t orsp_smdp_crl_warn_own(const orsp_smdp_config *c);
/* With crl files configured: each trusted CI none of whose CRLs is among them, a warning line
 * on stderr ("openrsp smdp: warning: no CRL of the CI "CN" among the crl files: ..."), as an
 * EUM certificate it revoked is then not refused; how many. Said at start and in `serve
 * --check`. Without crl files revocation is not checked at all, and nothing is said. */
size_t orsp_smdp_crl_warn_missing_ci(const orsp_smdp_config *c);
/* Each CRL of c issued (by name) by the issuer of a CA of es2_client_ca that is neither a
 * root nor issued by another CA listed there: a warning line on stderr ("openrsp smdp:
 * warning: crl FILE is issued by "SUBJECT", the issuer of es2_client_ca's CA "X": ..."), as
 * es2_client_ca trusts X directly and the check of a client's chain stops there (RFC 5280
 * §6.1 does not judge the trust anchor): such a CRL revoking X is held and never applied.
 * How many. Said at start, in `serve --check` and after each reading of the CRLs put in
 * force. */
size_t orsp_smdp_crl_warn_es2_anchor(const orsp_smdp_config *c);
/* Whether a CRL of c, of the CI of one of its key sets, revokes cert (one of this SM-DP+'s
 * own); *why (not NULL) then says how. For orsp_smdp_crl_warn_own and /metrics. */
bool orsp_smdp_own_revoked(const orsp_smdp_config *c, const orsp_cert *cert, orsp_crl_why *why);
/* This SM-DP+'s i-th own certificate, i from 0: each key set's DPauth and DPpb, in key set
 * order, then the DPtls certificate when c serves TLS. *what gets "DPauth", "DPpb" or "DPtls",
 * *keyset the key set's number from 1 (0 for DPtls). False once i is past the last. For
 * orsp_smdp_crl_warn_own and /metrics, which go through the same list. */
bool orsp_smdp_own_cert(const orsp_smdp_config *c, size_t i, const orsp_cert **cert,
                        const char **what, size_t *keyset);
/* The same list, then the client certificate of the progress reports (callback_cert, *what
 * "callback", *keyset 0) when c has one (callback_cert_parsed, its path set): the certificates this
 * SM-DP+ presents, whose expiry the operator must watch. The CRLs of the CIs judge the first ones
 * only (an operator's CA issues the callback certificate), so the revocation checks go through
 * orsp_smdp_own_cert; the expiry warnings (orsp_smdp_own_warn_expiry) and /metrics' notAfter
 * series through this one. */
bool orsp_smdp_own_cert_all(const orsp_smdp_config *c, size_t i, const orsp_cert **cert,
                            const char **what, size_t *keyset);
/* a certificate whose notAfter comes within this many days is warned of */
#define ORSP_SMDP_EXPIRY_WARN_DAYS 30
/* When not_after comes within ORSP_SMDP_EXPIRY_WARN_DAYS of now, the warning on stderr
 * ("openrsp smdp: warning: WHO expires on 2026-12-22T08:28:37Z, in less than 30 days: renew
 * it"), and true; else false. who names the certificate ("the DPtls certificate"). */
bool orsp_smdp_warn_expiry(const char *who, time_t not_after);
/* Each certificate of orsp_smdp_own_cert_all that expires within ORSP_SMDP_EXPIRY_WARN_DAYS:
 * its warning ("the DPauth certificate expires on ..."); how many. One already expired the
 * configuration refused. Said once, at start and by `serve --check`
 * (orsp_smdp_config_warn); a server that runs on has /metrics'
 * openrsp_smdp_own_certificate_not_after_seconds for an alert. */
size_t orsp_smdp_own_warn_expiry(const orsp_smdp_config *c);
/* The certificates of c's es2_client_ca (the CAs of the operators' ES2+ client certificates)
 * as orsp_cert_pem_bundle_certs reads them: from es2_client_ca_pem, or the file when the
 * configuration was filled in by other means; *cas NULL and *n 0 without es2_client_ca.
 * Free with orsp_cert_list_free. */
ORSP_MUST_CHECK orsp_err orsp_smdp_es2_client_cas(const orsp_smdp_config *c, orsp_cert ***cas,
                                                  size_t *n);
/* Verify now the CRLs of s issued by c's trusted CIs (orsp_crl_store_bind) and by the n
 * operator CAs cas (orsp_crl_store_bind_client_cas, from orsp_smdp_es2_client_cas): for the
 * loader and for each reading of the `crl` files put in force. */
ORSP_MUST_CHECK orsp_err orsp_smdp_crl_bind(const orsp_smdp_config *c, orsp_crl_store *s,
                                            orsp_cert *const *cas, size_t n);
/* One line to f for each CRL of c: prefix, then orsp_crl_store_describe's text. For the
 * start-up lines, `serve --check` and the lines of a reading put in force. */
void orsp_smdp_crl_print(const orsp_smdp_config *c, FILE *f, const char *prefix);

/* ----- the server ----- */

typedef struct orsp_smdp_server orsp_smdp_server;

/* Serve ES9+ (/gsma/rsp2/es9plus/<function>), ES2+ (/gsma/rsp2/es2plus/<function>, with the
 * bearer token or a verified operator certificate) and GET /metrics (Prometheus text) over
 * HTTPS with the DPtls certificate (or plain HTTP when configured). The configuration must
 * outlive the server. One structured log line per request on stderr. */
ORSP_MUST_CHECK orsp_err orsp_smdp_server_start(const orsp_smdp_config *c, orsp_smdp_server **out);
/* With reuse_port = yes, whether another process already serving c's address and port
 * (orsp_http_port_served) serves another inventory than c's database: ORSP_E_STATE, saying
 * so, when c's database does not exist or holds no table (the start would create a new,
 * empty inventory and KEK beside the served one), or exists but no other process has it open
 * (orsp_db_file_user: the servers of an inventory hold it open for their life). The kernel
 * would deal the devices' connections and the ES2+ calls between the two inventories; a
 * rolling restart always takes the running server's database. A server of the same
 * inventory in another PID namespace, whose /proc does not list it, is not seen: such a start
 * is refused. ORSP_OK otherwise: without reuse_port (the bind refuses a port in use), nothing
 * served there, the database's other users not known (no /proc/locks), or a database the
 * start refuses for another reason (left to it). Only reads, creates no file.
 * orsp_smdp_server_start asks it once its own socket is bound but does not listen; `serve --check`
 * after its probe of the port. */
ORSP_MUST_CHECK orsp_err orsp_smdp_shared_port_check(const orsp_smdp_config *c);
uint16_t orsp_smdp_server_port(const orsp_smdp_server *srv);
/* Begin a drain of `seconds` ahead of a stop (docs/smdp-server.md, "Draining"): from now on
 * GET /health answers 503 "draining", so that a load balancer takes the server out, while
 * every other request is served as before and new connections are still accepted; every
 * answer carries Connection: close, so that a keep-alive client's next request comes on a new
 * connection, through the balancer. Returns at once: orsp_smdp_server_drained says when the
 * seconds have passed, and the caller then stops the server. A drain under way is not changed
 * by another call; 0 seconds and NULL are no-ops. */
void orsp_smdp_server_drain(orsp_smdp_server *srv, unsigned seconds);
/* Whether the drain's seconds have passed; true also when no drain was begun. */
bool orsp_smdp_server_drained(orsp_smdp_server *srv);
/* Graceful stop: the listening socket closes, the requests in flight finish. Also during a
 * drain, which it cuts short. NULL is a no-op. */
void orsp_smdp_server_stop(orsp_smdp_server *srv);

#endif
