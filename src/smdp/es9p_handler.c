/* openrsp smdp: ES9+ (SGP.22 v2.2 §5.6, JSON binding §6.5) — the SM-DP+ side of the
 * common mutual authentication and of the profile download.
 *
 * Every request is answered from the database alone: the session (keyed by transactionId)
 * holds the challenges, the chosen key set, the eUICC certificate, the signatures the next
 * step must chain to, and the bound profile package once built. Any process sharing the
 * database can serve any step, and a restart loses nothing. Signed structures are verified
 * over the exact bytes received. docs/smdp-es9p.md describes the checks and the codes.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "es9p_internal.h"
#include "openrsp/bsp.h"
#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/pkg.h"
#include "smdp_internal.h"

#define TID_LEN 16
#define MAX_CERT 2048
#define MAX_B64_FIELD (64 * 1024)
#define DEFAULT_TTL 600
#define DEFAULT_MAX_BODY (256 * 1024)
#define HOST_ID "openrsp-smdp"

/* A session's step. S_RETRIED: it delivered, then the eUICC retried the download in a newer
 * session (authenticateClient for the profile Downloaded to it): finished for every request
 * but its installation result, which the eUICC may have kept from before the retry. */
enum { S_INIT = 1, S_AUTH = 2, S_BPP = 3, S_DONE = 4, S_RETRIED = 5 };

/* es9p migration 14's statements (below): the count of unverified notifications, and the
 * triggers that keep it */
#define UNV_ROW ES9P_UNVERIFIED_RESULT("result")
#define UNV_NEW ES9P_UNVERIFIED_RESULT("new.result")
#define UNV_OLD ES9P_UNVERIFIED_RESULT("old.result")
#define ES9P_V14_SQL                                                                               \
	"CREATE TABLE es9p_unverified_count (n INTEGER NOT NULL);"                                 \
	"INSERT INTO es9p_unverified_count SELECT count(*) FROM es9p_notification WHERE " UNV_ROW  \
	";"                                                                                        \
	"CREATE TRIGGER es9p_unverified_added AFTER INSERT ON es9p_notification WHEN " UNV_NEW     \
	" BEGIN UPDATE es9p_unverified_count SET n = n + 1; END;"                                  \
	"CREATE TRIGGER es9p_unverified_deleted AFTER DELETE ON es9p_notification WHEN " UNV_OLD   \
	" BEGIN UPDATE es9p_unverified_count SET n = n - 1; END;"                                  \
	"CREATE TRIGGER es9p_unverified_changed AFTER UPDATE OF result ON es9p_notification"       \
	" WHEN " UNV_OLD " <> " UNV_NEW " BEGIN UPDATE es9p_unverified_count SET n = n + " UNV_NEW \
	" - " UNV_OLD "; END;"

/* es9p migration 15's statements (below): the sessions the sweep examined past the TTL and
 * kept (sweep_kept = 1), left out of the index its search goes through, and the triggers that
 * put one back when something it was kept for changes: its own step, end, superseded failure
 * or order, or its profile's state, EID, matching ID or row (what SWEEP_DELETABLE reads). A
 * session is kept only while its profile is Downloaded, Released or Unavailable (the names
 * orsp_smdp_state_name gives) under its order and EID, so only a profile leaving that is
 * looked at: the steps of an order before its delivery fire nothing. The profile's triggers
 * live on smdp_profile: a migration that builds that table anew must make them again (a kept
 * session would otherwise wait for delivered_session_days). */
#define ES9P_V15_SQL                                                                               \
	"ALTER TABLE es9p_session ADD COLUMN sweep_kept INTEGER;"                                  \
	"CREATE INDEX es9p_session_unkept ON es9p_session (created_at) WHERE sweep_kept IS NULL;"  \
	"CREATE TRIGGER es9p_session_kept_changed AFTER UPDATE OF step, end_reason, pir, iccid,"   \
	" eid, matching_id ON es9p_session WHEN new.sweep_kept IS NOT NULL"                        \
	" BEGIN UPDATE es9p_session SET sweep_kept = NULL WHERE rowid = new.rowid; END;"           \
	"CREATE TRIGGER es9p_session_profile_changed AFTER UPDATE OF state, eid, matching_id,"     \
	" iccid ON smdp_profile WHEN old.state IN ('downloaded', 'released', 'unavailable')"       \
	" AND (old.state IS NOT new.state OR old.eid IS NOT new.eid"                               \
	" OR old.matching_id IS NOT new.matching_id OR old.iccid IS NOT new.iccid)"                \
	" BEGIN UPDATE es9p_session SET sweep_kept = NULL WHERE iccid = old.iccid"                 \
	" AND sweep_kept IS NOT NULL; END;"                                                        \
	"CREATE TRIGGER es9p_session_profile_deleted AFTER DELETE ON smdp_profile"                 \
	" BEGIN UPDATE es9p_session SET sweep_kept = NULL WHERE iccid = old.iccid"                 \
	" AND sweep_kept IS NOT NULL; END;"

static const orsp_migration es9p_migrations[] = {
    {
        .version = 1,
        .description = "ES9+ sessions and notifications",
        .sql = "CREATE TABLE es9p_session ("
               " tid TEXT PRIMARY KEY,"
               " step INTEGER NOT NULL,"
               " keyset INTEGER NOT NULL,"
               " euicc_challenge BLOB NOT NULL,"
               " server_challenge BLOB NOT NULL,"
               " eid TEXT NOT NULL DEFAULT '',"
               " iccid TEXT NOT NULL DEFAULT '',"
               " matching_id TEXT NOT NULL DEFAULT '',"
               " euicc_cert BLOB,"
               " euicc_sig1 BLOB,"
               " smdp_sig2 BLOB,"
               " cc_required INTEGER NOT NULL DEFAULT 0,"
               " euicc_otpk BLOB,"
               " bpp BLOB,"
               " attempts INTEGER NOT NULL DEFAULT 0,"
               " end_reason TEXT NOT NULL DEFAULT '',"
               " created_at INTEGER NOT NULL,"
               " updated_at INTEGER NOT NULL);"
               "CREATE TABLE es9p_notification ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " received_at INTEGER NOT NULL,"
               " eid TEXT NOT NULL,"
               " iccid TEXT NOT NULL,"
               " event TEXT NOT NULL,"
               " seq INTEGER NOT NULL,"
               " tid TEXT NOT NULL DEFAULT '',"
               " result TEXT NOT NULL,"
               " UNIQUE (eid, seq, event));",
    },
    {
        .version = 2,
        .description = "profile metadata cache",
        .sql = "CREATE TABLE es9p_metadata ("
               " iccid TEXT NOT NULL,"
               " fqdn TEXT NOT NULL,"
               " metadata BLOB NOT NULL,"
               " PRIMARY KEY (iccid, fqdn));",
    },
    {
        .version = 3,
        .description = "one-time key instead of the bound profile package",
        /* The BPP (13 KiB and more per session) was written with the session and cleared
         * at its end. The session now keeps otSK.DP.ECKA wrapped under the KEK and the
         * smdpSign, from which a retry rebuilds the same BPP; the key is dropped when the
         * session ends or expires (the partial index finds expired ones). A session that
         * was past getBoundProfilePackage during the upgrade binds anew on a retry. */
        .sql = "ALTER TABLE es9p_session DROP COLUMN bpp;"
               "ALTER TABLE es9p_session ADD COLUMN otsk_wrapped BLOB;"
               "ALTER TABLE es9p_session ADD COLUMN smdp_sign BLOB;"
               "CREATE INDEX es9p_session_otsk ON es9p_session (created_at)"
               " WHERE otsk_wrapped IS NOT NULL;",
    },
    {
        .version = 4,
        .description = "notifications without AUTOINCREMENT",
        /* AUTOINCREMENT rewrote sqlite_sequence with every notification; nothing is ever
         * deleted from the table, so a plain rowid keeps growing the same way. */
        .sql = "CREATE TABLE es9p_notification_v4 ("
               " id INTEGER PRIMARY KEY,"
               " received_at INTEGER NOT NULL,"
               " eid TEXT NOT NULL,"
               " iccid TEXT NOT NULL,"
               " event TEXT NOT NULL,"
               " seq INTEGER NOT NULL,"
               " tid TEXT NOT NULL DEFAULT '',"
               " result TEXT NOT NULL,"
               " UNIQUE (eid, seq, event));"
               "INSERT INTO es9p_notification_v4 SELECT id, received_at, eid, iccid, event, seq,"
               " tid, result FROM es9p_notification;"
               "DROP TABLE es9p_notification;"
               "ALTER TABLE es9p_notification_v4 RENAME TO es9p_notification;"
               "DELETE FROM sqlite_sequence WHERE name = 'es9p_notification';",
    },
    {
        .version = 5,
        .description = "what a profile asks of the eUICC, with its metadata",
        /* The SAIP version and eUICC-Mandatory-services of the package's ProfileHeader,
         * for the eligibility check of authenticateClient. Rows cached before have NULL
         * there and are built again from the package when next needed. */
        .sql = "ALTER TABLE es9p_metadata ADD COLUMN saip_major INTEGER;"
               "ALTER TABLE es9p_metadata ADD COLUMN saip_minor INTEGER;"
               "ALTER TABLE es9p_metadata ADD COLUMN services INTEGER;",
    },
    {
        .version = 6,
        .description = "unverified notifications kept in a bounded number",
        /* Anyone can send a notification that fails verification, each with a new
         * seqNumber: the newest `max_unverified_notifications` of them are kept, the older
         * ones deleted. The partial index finds them without a scan of the verified ones. */
        .sql = "CREATE INDEX es9p_notification_unverified ON es9p_notification (id)"
               " WHERE result IN ('bad signature', 'certificate refused', 'unknown session',"
               " 'wrong smdpOid');",
    },
    {
        .version = 7,
        .description = "sessions found by age, for their deletion",
        /* orsp_es9p_sweep deletes the sessions nobody needs any more, oldest first. */
        .sql = "CREATE INDEX es9p_session_created ON es9p_session (created_at);",
    },
    {
        .version = 8,
        .description = "sessions found by profile",
        /* A download the eUICC retries in a new session ends the order's older sessions,
         * found by ICCID among all kept (delivered ones up to delivered_session_days). One
         * index entry more per authenticateClient; a session's later steps do not move it. */
        .sql = "CREATE INDEX es9p_session_iccid ON es9p_session (iccid);",
    },
    {
        .version = 9,
        .description = "one-time keys forgotten by the sweep",
        /* getBoundProfilePackage dropped the one-time keys of the sessions past the TTL in its
         * own commit, through this partial index of the sessions holding a key; the key's
         * coming and going took a page of every delivery's commit and another of every
         * installation result's. The sweep forgets them now (sweep_keys), through the index
         * on created_at. */
        .sql = "DROP INDEX IF EXISTS es9p_session_otsk;",
    },
    {
        .version = 10,
        .description = "unverified notifications found without an IN list",
        /* Migration 6's partial index named the four results in an IN list, which SQLite
         * evaluated by building a temporary index of them at every notification recorded;
         * the same results compared one by one (ES9P_UNVERIFIED_RESULT) index the same rows. */
        .sql = "DROP INDEX IF EXISTS es9p_notification_unverified;"
               "CREATE INDEX es9p_notification_unverified ON es9p_notification (id) "
               "WHERE " ES9P_UNVERIFIED_RESULT("result") ";",
    },
    {
        .version = 11,
        .description = "sessions without an attempts column",
        /* Written when a session's package was bound anew; the attempts have been counted
         * on the profile since, and nothing read or wrote the column. Dropped, not left for
         * a reader to take as a count (SQLite 3.35 and later drop a column, as migration 3
         * did; the table is rewritten once). */
        .sql = "ALTER TABLE es9p_session DROP COLUMN attempts;",
    },
    {
        .version = 12,
        .description = "a superseded session's failure kept for the decision",
        /* The installation result (as received) of a session a retry superseded, when it
         * failed while the retry was live (`retried`): the retry decides, and when it ends
         * without deciding (past its TTL without a package, cancelled or refused before its
         * delivery) this failure does (retried_failure_decides). NULL otherwise. */
        .sql = "ALTER TABLE es9p_session ADD COLUMN pir BLOB;"
               "CREATE INDEX es9p_session_pir ON es9p_session (iccid) WHERE pir IS NOT NULL;",
    },
    {
        .version = 13,
        .description = "a session's key set by its certificates",
        /* The identities of the key set's CERT.DPauth and CERT.DPpb (keyset_ident), written
         * by authenticateClient: the later steps find the key set by them in any process's
         * configuration and after a KEK rotation. The index in `keyset` is the order of the
         * process that began the session, which another may list otherwise; a row from before
         * has NULL here and goes by its transactionId's tag, then that index (sess_load). */
        .sql = "ALTER TABLE es9p_session ADD COLUMN keyset_id BLOB;",
    },
    {
        .version = 14,
        .description = "unverified notifications counted",
        /* The prune of unverified notifications (prune_unverified) found the newest one to
         * keep by walking `max_unverified_notifications` entries of the partial index, every
         * 32nd such notification and in a write transaction: 40-45 ms at a million, and the
         * setting allows 100 million. Their number is kept by these triggers now, so the
         * prune deletes the oldest of them beyond the limit, walking only those. An upsert
         * that puts a verified record in the place of an unverified one counts down. */
        .sql = ES9P_V14_SQL,
    },
    {
        .version = 15,
        .description = "sessions the sweep kept",
        /* The sweep read again, in each batch, every session past the TTL it kept for its
         * installation result (a delivered one whose profile stays Downloaded, for up to
         * delivered_session_days): 12 ms a batch with 5,000 of them. It marks the ones it
         * keeps now, and searches the others through this partial index; a kept session is
         * searched again once something it was kept for changes (the triggers), and goes
         * after delivered_session_days by its age. */
        .sql = ES9P_V15_SQL,
    },
};

orsp_err smdp_es9p_schema_check(orsp_db *db)
{
	return orsp_db_schema_check(db, "smdp_es9p", ORSP_ARRAY_LEN(es9p_migrations));
}

orsp_err smdp_es9p_migrate_check(orsp_db *db)
{
	return orsp_db_migrate_check(db, "smdp_es9p", ORSP_ARRAY_LEN(es9p_migrations));
}

int smdp_es9p_schema_latest(void)
{
	return (int)ORSP_ARRAY_LEN(es9p_migrations);
}

orsp_err orsp_es9p_prepare(orsp_smdp *s)
{
	if (!s)
		return orsp_errf(ORSP_E_USAGE, "es9p: no SM-DP+");
	return orsp_db_migrate(orsp_smdp_db(s), "smdp_es9p", es9p_migrations,
	                       ORSP_ARRAY_LEN(es9p_migrations));
}

/* ---------------------------------------------------------------- replies --------------- */

typedef struct ctx {
	const orsp_smdp_service *svc;
	orsp_smdp *s;
	orsp_db *db;
	json_t *req;
	orsp_smdp_reply *out;
} ctx;

/* The session lifetime (session_ttl, DEFAULT_TTL when not set). */
static int64_t ttl_of(const orsp_smdp_service *svc)
{
	return svc->session_ttl_s > 0 ? svc->session_ttl_s : DEFAULT_TTL;
}

static orsp_err reply_json(ctx *c, json_t *obj)
{
	return smdp_reply_ok(c->out, obj);
}

/* A Failed answer from the one table; detail (never secret) is appended to the message. */
static orsp_err fail(ctx *c, es9p_code code, const char *detail)
{
	return smdp_reply_fail(c->out, code, detail);
}

/* e from reading or verifying the eUICC's certificates: refused with code (the device's
 * fault), or passed on when the server could not judge them (out of memory, OpenSSL
 * failing): a 500, never 8.1.2 or 8.1.3 for a certificate that may be good (the limits
 * review: an EUM whose key OpenSSL had not decoded for want of memory was "not on P-256"). */
static orsp_err cert_refused(ctx *c, orsp_err e, es9p_code code)
{
	if (smdp_internal_error(e))
		return e;
	return fail(c, code, orsp_err_detail());
}

static int64_t now_s(const ctx *c)
{
	return orsp_smdp_now(c->s);
}

/* The trusted CI that issued eum (by its authorityKeyIdentifier); NULL if none. */
static const orsp_cert *ci_of(const ctx *c, const orsp_cert *eum)
{
	uint8_t aki[64];
	size_t n = 0;

	if (orsp_cert_aki(eum, aki, sizeof(aki), &n))
		return NULL;
	return orsp_ci_store_find(c->svc->cis, aki, n);
}

/* Whether the CRLs held revoke CERT.EUM (its CI's) or CERT.EUICC (its EUM's), whose chain was
 * verified: ES9P_OK, or the code to refuse with, orsp_err_detail() then the reason for the
 * eUICC (the serial number, the reason and date of a revocation; never the CRL's file). A
 * CRL past its nextUpdate, or one that does not verify with its issuer's key, leaves the
 * status unknown: refused as the SM-DP+'s own failure (1.2/4.2) unless crl_stale = accept
 * takes a stale one. */
/* The eUICC's signature sig over msg with pub, key_e the result of reading pub from its
 * certificate (ORSP_OK when the caller has it): *good, or an error when the server could not
 * judge it (ORSP_E_RESOURCE, ORSP_E_CRYPTO: out of memory, OpenSSL failing), the SM-DP+'s own
 * failure, a 500, not the eUICC's bad signature (a failed fetch made every later signature
 * "invalid" until session 69: fault-injection review find). */
static orsp_err euicc_sig(orsp_err key_e, orsp_ec_key *const *pub, const uint8_t *msg, size_t n,
                          const uint8_t *sig, bool *good)
{
	/* *pub read here, after key_e's call set it (an argument's order is unspecified) */
	orsp_err e = key_e ? key_e : orsp_ecdsa_verify(*pub, msg, n, sig);

	*good = e == ORSP_OK;
	if (e == ORSP_E_RESOURCE || e == ORSP_E_CRYPTO)
		return e;
	orsp_err_clear();
	return ORSP_OK;
}

static es9p_code revocation(ctx *c, const orsp_cert *ci, const orsp_cert *eum, orsp_slice eum_der,
                            orsp_slice euicc_der)
{
	const orsp_crl_store *crls = c->svc->crls;
	static const char *const whom[2] = {"EUM", "eUICC"};

	if (!crls)
		return ES9P_OK;
	for (int i = 0; i < 2; i++) {
		orsp_crl_status st = ORSP_CRL_GOOD;
		orsp_slice d = i ? euicc_der : eum_der;
		const orsp_cert *issuer = i ? eum : ci;
		orsp_crl_why why;
		orsp_err e =
		    issuer ? orsp_crl_check_why(crls, issuer, d.p, d.len, 0, &st, &why) : ORSP_OK;
		if (!e || (st == ORSP_CRL_STALE && c->svc->crl_accept_stale))
			continue;
		/* not why.crl: the CRL's name is a path on this server, not for the device */
		if (st == ORSP_CRL_REVOKED) {
			(void)orsp_errf(ORSP_E_POLICY,
			                "%s certificate serial %s is revoked (%s, since %s)",
			                whom[i], why.serial, why.reason, why.when);
			return i ? ES9P_EUICC_INVALID : ES9P_EUM_INVALID;
		}
		(void)orsp_errf(
		    ORSP_E_STATE, "the revocation status of the %s certificate is unknown: %s",
		    whom[i],
		    st == ORSP_CRL_STALE && why.ahead
		        ? "the CRL of its issuer is not yet valid (its thisUpdate is ahead)"
		    : st == ORSP_CRL_STALE ? "the CRL of its issuer is past its nextUpdate"
		    : st == ORSP_CRL_UNVERIFIED
		        ? "the CRL of its issuer does not verify with its key"
		        : "its serial number does not read");
		return st == ORSP_CRL_GOOD ? ES9P_MALFORMED : ES9P_INTERNAL;
	}
	return ES9P_OK;
}

/* ---------------------------------------------------------------- small codecs ---------- */

/* The tags of the fields of the eUICC's signed answers (AuthenticateResponseOk,
 * PrepareDownloadResponseOk, CancelSessionResponseOk: the signed SEQUENCE, a 5F37 signature,
 * certificates): what follows the last of them is a later version's (the rsp module is
 * EXTENSIBILITY IMPLIED), skipped when it is none of these. */
static const uint32_t ok_fields[] = {0x30, 0x5F37};

/* An AuthenticateResponseError or PrepareDownloadResponseError's contents (SGP.22 §5.7.13,
 * §5.7.5: transactionId [0], then the error code, an INTEGER): ES9P_OK when it is one for the
 * transactionId tid; else what to answer (it is not signed, but the eUICC's own answers name
 * the session, and one for another session, or not one at all, must not end this one). */
static es9p_code eu_error_of(orsp_slice v, const uint8_t *tid, size_t tid_len)
{
	static const uint32_t known[] = {0x80, 0x02};
	orsp_reader r;
	orsp_tlv t, code;

	orsp_reader_init(&r, v.p, v.len);
	if (orsp_der_read(&r, &t) || t.tag != 0x80 || orsp_der_read(&r, &code) ||
	    code.tag != 0x02 || code.value.len == 0 ||
	    orsp_der_skip_extensions(&r, known, ORSP_ARRAY_LEN(known), 8)) {
		orsp_err_clear();
		return ES9P_MALFORMED;
	}
	return t.value.len == tid_len && memcmp(t.value.p, tid, tid_len) == 0
	           ? ES9P_OK
	           : ES9P_SERVER_CHALLENGE;
}

/* EID digits -> 16 bytes (as used in the BSP key derivation, SGP.22 §2.6.4.3). */
static orsp_err eid_bytes(const char *eid, uint8_t out[16])
{
	return orsp_hex_decode_exact(eid, out, 16);
}

/* The raw 64-byte signature inside a 5F37 TLV. */
static orsp_err sig_of(const orsp_tlv *t, uint8_t sig[ORSP_EC_SIG_LEN])
{
	if (t->tag != 0x5F37 || t->value.len != ORSP_EC_SIG_LEN)
		return orsp_errf(ORSP_E_MALFORMED, "signature: expected 5F37 with 64 bytes");
	memcpy(sig, t->value.p, ORSP_EC_SIG_LEN);
	return ORSP_OK;
}

static void put_sig(orsp_writer *w, const uint8_t sig[ORSP_EC_SIG_LEN])
{
	orsp_der_put_tlv(w, 0x5F37, sig, ORSP_EC_SIG_LEN);
}

/* The transactionId of a request: hex, 1..16 bytes. */
static es9p_code get_tid(ctx *c, uint8_t tid[TID_LEN], size_t *tid_len, char hex[2 * TID_LEN + 1])
{
	const char *str;
	size_t n;

	if (orsp_json_get_string(c->req, "transactionId", 2 * TID_LEN, &str, &n) != ORSP_OK)
		return ES9P_MALFORMED;
	if (orsp_hex_decode(str, tid, TID_LEN, tid_len) != ORSP_OK) {
		/* the decoder's detail (it quotes no input), named by the member it is about */
		char why[ORSP_ERR_DETAIL_MAX];
		orsp_err_detail_copy(why, sizeof(why));
		(void)orsp_errf(ORSP_E_MALFORMED, "transactionId: %s", why);
		return ES9P_MALFORMED;
	}
	/* the caller answers with the detail: this one's, not one an earlier error left */
	if (*tid_len == 0) {
		(void)orsp_errf(ORSP_E_MALFORMED, "transactionId: empty");
		return ES9P_MALFORMED;
	}
	if (orsp_hex_encode(tid, *tid_len, hex, 2 * TID_LEN + 1) != ORSP_OK)
		return ES9P_MALFORMED;
	for (char *p = hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(c->out->transaction_id, sizeof(c->out->transaction_id), "%s", hex);
	return ES9P_OK;
}

/* ---------------------------------------------------------------- sessions -------------- */

typedef struct sess {
	char tid[2 * TID_LEN + 1];
	int step, keyset;
	uint8_t echal[16], schal[16];
	char eid[33], iccid[21], mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	uint8_t cert[MAX_CERT];
	size_t cert_len;
	uint8_t sig1[ORSP_EC_SIG_LEN], sig2[ORSP_EC_SIG_LEN];
	bool has_sig1, has_sig2;
	bool cc_required;
	uint8_t otpk[ORSP_EC_POINT_LEN];
	size_t otpk_len;
	uint8_t otsk_w[ORSP_WRAP_MAX]; /* otSK.DP.ECKA under the KEK, once bound */
	size_t otsk_w_len;
	uint8_t bsig[ORSP_EC_SIG_LEN]; /* the smdpSign of that binding */
	bool has_bsig;
	int64_t created_at;
} sess;

/* ---------------------------------------------------------------- transactionIds -------- */

/* initiateAuthentication writes nothing: the transactionId carries, authenticated, what the
 * next step needs, and the serverChallenge is derived from it.
 *   transactionId   = random (6) || hint (1) || created_at (4, big-endian seconds modulo
 *                     2^32: tid_age) || CIs (1) || tag (4)
 *   hint            = the first byte of the key set's CERT.DPauth identity
 *   CIs             = the key set (low 3 bits: its CERT.DPauth and CERT.DPpb, chaining to a CI
 *                     of euiccCiPKIdListForVerification) | the CI the eUICC's chain must end at
 *                     (euiccCiPKIdToBeUsed, one of ...ForSigning) << 3: 0 the key set's own,
 *                     else 1 + its index among the trusted CIs (orsp_ci_store_at)
 *   tag             = HMAC-SHA256(K, "tid2" || its first 12 bytes || the identities of the
 *                     key set's CERT.DPauth and CERT.DPpb || that of the trusted CI's
 *                     certificate, none for the key set's own), first 4 bytes; a
 *                     certificate's identity is the first 16 bytes of its DER's SHA-256
 *   serverChallenge = HMAC-SHA256(K, "challenge" || transactionId), first 16 bytes
 * K = HMAC-SHA256(KEK, TID_KEY_LABEL) (orsp_smdp_label_mac keeps the keyed MAC with the
 * handle): every process sharing the database and its KEK agrees, and a restart loses
 * nothing. The indexes are the making process's order of its key sets and CIs: another
 * process that lists them otherwise (one removed or moved in a rolling change) finds them by
 * what the tag covers (tid_find), where it used to take the indexes as its own and sign with
 * another key set. A transactionId of the form before (7 random bytes, the tag of "tid" and
 * the 12 bytes alone), made by an older process in a rolling upgrade, is still taken by its
 * indexes. An older process does not take one of this form: a session begun on a newer
 * process and sent on to an older one in a rolling upgrade is 8.10.1/3.9 there
 * (docs/deploy.md). The session row is written by authenticateClient, whose INSERT also
 * refuses a second use of a transactionId; it keeps the key set's identity, by which the
 * later steps find the key set (sess_keyset). Without K nobody predicts a serverChallenge or
 * makes up a transactionId that passes the tag, and an unauthenticated client cannot make
 * the server write anything. (SGP.22 §5.6.1 leaves the form of both to the SM-DP+: a unique
 * transactionId, an unpredictable challenge.) */
#define TID_KEY_LABEL "openrsp es9p transactions v1"
#define TID_CLOCK_SKEW 60 /* seconds another server process's clock may be ahead */
#define TID_HINT 6        /* the hint's byte */
#define TID_ID_LEN 16     /* a certificate's identity in the tag (cert_id) */

static orsp_err tid_mac(const ctx *c, const char *what, const uint8_t *data, size_t n,
                        uint8_t out[32])
{
	uint8_t buf[16 + TID_LEN];
	size_t wl = strlen(what);

	if (wl + n > sizeof(buf))
		return orsp_errf(ORSP_E_USAGE, "tid_mac: input too long");
	memcpy(buf, what, wl);
	memcpy(buf + wl, data, n);
	return orsp_smdp_label_mac(c->s, TID_KEY_LABEL, buf, wl + n, out);
}

#define TID_KEYSET_BITS 3
#define TID_CI_MAX ((0xFF >> TID_KEYSET_BITS) - 1) /* CI indexes 0..30 fit the byte */
_Static_assert(ORSP_SMDP_MAX_CIS == TID_CI_MAX + 1, "every CI the configuration takes fits");
_Static_assert(ORSP_SMDP_MAX_KEYSETS <= 1 << TID_KEYSET_BITS, "a key set index fits 3 bits");

/* A certificate's identity in a tag: the first TID_ID_LEN bytes of the SHA-256 of its DER
 * (any certificate has one, of one length; zeros for none). */
static void cert_id(const orsp_cert *cert, uint8_t id[TID_ID_LEN])
{
	uint8_t h[ORSP_SHA256_LEN];
	orsp_slice der = cert ? orsp_cert_der(cert) : orsp_slice_make(NULL, 0);

	memset(id, 0, TID_ID_LEN);
	if (der.len && orsp_sha256(der.p, der.len, h) == ORSP_OK)
		memcpy(id, h, TID_ID_LEN);
	orsp_err_clear();
}

/* A key set's identity: those of its CERT.DPauth and CERT.DPpb, one after the other (its
 * first byte is a transactionId's hint). */
#define KEYSET_ID_LEN (2 * TID_ID_LEN)
static void keyset_ident(const orsp_smdp_keyset *ks, uint8_t id[KEYSET_ID_LEN])
{
	cert_id(ks->dpauth_cert, id);
	cert_id(ks->dppb_cert, id + TID_ID_LEN);
}

/* The MAC whose first 4 bytes are tid's tag for the key set of identity ident and CI sci (-1:
 * the key set's own, else an index of c->svc->cis), into mac. */
static orsp_err tid_tag(const ctx *c, const uint8_t tid[TID_LEN],
                        const uint8_t ident[KEYSET_ID_LEN], int sci, uint8_t mac[32])
{
	uint8_t in[4 + 12 + KEYSET_ID_LEN + TID_ID_LEN];
	size_t n = 16 + KEYSET_ID_LEN;

	memcpy(in, "tid2", 4);
	memcpy(in + 4, tid, 12);
	memcpy(in + 16, ident, KEYSET_ID_LEN);
	if (sci >= 0) {
		cert_id(orsp_ci_store_at(c->svc->cis, (size_t)sci), in + n);
		n += TID_ID_LEN;
	}
	return orsp_smdp_label_mac(c->s, TID_KEY_LABEL, in, n, mac);
}

/* Whether key set ks and CI sci (-1: the key set's own) are configured here. */
static bool tid_known(const ctx *c, int ks, int sci)
{
	return ks >= 0 && (size_t)ks < c->svc->n_sets &&
	       (sci < 0 || orsp_ci_store_at(c->svc->cis, (size_t)sci));
}

/* Whether tid's tag is the one of the key set of identity ident and CI sci (-1: the key set's
 * own; a configured one: tid_known) here. */
static bool tid_is(const ctx *c, const uint8_t tid[TID_LEN], const uint8_t ident[KEYSET_ID_LEN],
                   int sci)
{
	uint8_t mac[32];
	bool ok;

	ok = tid_tag(c, tid, ident, sci, mac) == ORSP_OK && orsp_ct_eq(mac, tid + 12, 4);
	orsp_err_clear();
	return ok;
}

/* sci: the index of the CI for the eUICC's chain among c->svc->cis, or -1 for the key set's
 * own CI. */
static orsp_err tid_make(const ctx *c, int keyset, int sci, uint8_t tid[TID_LEN], uint8_t schal[16])
{
	uint8_t mac[32], ident[KEYSET_ID_LEN];
	uint32_t t = (uint32_t)now_s(c);
	orsp_err e = orsp_random(tid, TID_HINT);

	keyset_ident(&c->svc->sets[keyset], ident);
	tid[TID_HINT] = ident[0];
	tid[7] = (uint8_t)(t >> 24);
	tid[8] = (uint8_t)(t >> 16);
	tid[9] = (uint8_t)(t >> 8);
	tid[10] = (uint8_t)t;
	tid[11] = (uint8_t)(keyset | (sci + 1) << TID_KEYSET_BITS);
	if (!e)
		e = tid_tag(c, tid, ident, sci, mac);
	if (!e) {
		memcpy(tid + 12, mac, 4);
		e = tid_mac(c, "challenge", tid, TID_LEN, mac);
	}
	if (!e)
		memcpy(schal, mac, 16);
	return e;
}

/* The key set and CI (*sci, -1 the key set's own) whose tag tid carries: its indexes first,
 * then every key set whose CERT.DPauth identity begins with the hint, with each CI; then a
 * transactionId of the form before, by its indexes. */
static bool tid_find(const ctx *c, const uint8_t tid[TID_LEN], int *keyset, int *sci)
{
	int hks = tid[11] & ((1 << TID_KEYSET_BITS) - 1), hci = (tid[11] >> TID_KEYSET_BITS) - 1;
	int n_cis = (int)orsp_ci_store_count(c->svc->cis), ks = hks, ci = hci;
	uint8_t mac[32], ident[KEYSET_ID_LEN];

	if (tid_known(c, ks, ci)) {
		keyset_ident(&c->svc->sets[ks], ident);
		if (tid_is(c, tid, ident, ci))
			goto found;
	}
	for (ks = 0; (size_t)ks < c->svc->n_sets; ks++) {
		keyset_ident(&c->svc->sets[ks], ident);
		if (ident[0] != tid[TID_HINT])
			continue;
		for (ci = -1; ci < n_cis; ci++)
			if ((ks != hks || ci != hci) && tid_is(c, tid, ident, ci))
				goto found;
	}
	ks = hks;
	ci = hci;
	if (tid_mac(c, "tid", tid, 12, mac) || !orsp_ct_eq(mac, tid + 12, 4) ||
	    !tid_known(c, ks, ci)) {
		orsp_err_clear();
		return false;
	}
found:
	*keyset = ks;
	*sci = ci;
	return true;
}

/* The age at `now` of a transactionId whose 4-byte creation time is `made` (tid_make: the
 * time modulo 2^32): now - made modulo 2^32, read as a signed 32-bit number (negative: made
 * ahead of now). The 4 bytes wrap on 2106-02-07 06:28:16 UTC; an age within 68 years either
 * way reads the same across the wrap. Until session 73 made was taken for the time itself, and
 * from the wrap on every transactionId was too old. */
static int64_t tid_age(int64_t now, uint32_t made)
{
	uint32_t d = (uint32_t)now - made;
	return d <= INT32_MAX ? (int64_t)d : (int64_t)d - ((int64_t)1 << 32);
}

/* One of our transactionIds, within the session lifetime: its key set, the CI the eUICC's
 * chain must end at (*ci), creation time and serverChallenge. false for anything else, with
 * *ahead the seconds by which one of ours (its tag checked) was made ahead of this clock
 * past the skew allowed, else 0. */
static bool tid_open(const ctx *c, const uint8_t *tid, size_t len, int *keyset,
                     const orsp_cert **ci, int64_t *created, uint8_t schal[16], int64_t *ahead)
{
	int64_t ttl = ttl_of(c->svc);
	int64_t now = now_s(c), age;
	uint8_t mac[32];
	int sci;

	*ahead = 0;
	if (len != TID_LEN || !tid_find(c, tid, keyset, &sci))
		return false;
	age = tid_age(now, ((uint32_t)tid[7] << 24) | ((uint32_t)tid[8] << 16) |
	                       ((uint32_t)tid[9] << 8) | tid[10]);
	if (age < -TID_CLOCK_SKEW)
		*ahead = -age;
	if (age < -TID_CLOCK_SKEW || age > ttl)
		return false;
	*created = now - age;
	*ci = sci >= 0 ? orsp_ci_store_at(c->svc->cis, (size_t)sci) : c->svc->sets[*keyset].ci;
	if (!*ci)
		return false;
	if (tid_mac(c, "challenge", tid, TID_LEN, mac)) {
		orsp_err_clear();
		return false;
	}
	memcpy(schal, mac, 16);
	return true;
}

static void sess_free(sess *se)
{
	se->otsk_w_len = 0;
	se->has_bsig = false;
}

static void copy_blob(orsp_slice b, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = b.len <= cap ? b.len : 0;
	if (n)
		memcpy(out, b.p, n);
	if (len)
		*len = n;
}

/* t cut to cap - 1 bytes, as snprintf("%s") would, without formatting (sessions are read
 * several times per request) */
static void copy_text(const char *t, char *out, size_t cap)
{
	size_t n = t ? strnlen(t, cap - 1) : 0;
	if (n)
		memcpy(out, t, n);
	out[n] = '\0';
}

/* How old a session sess_load takes: within the TTL, or, once it has delivered a package, at
 * any age. A delivered profile waits in Downloaded for the eUICC's installation result or its
 * cancelSession, which an LPA may send days later (or for the eUICC's retry, or the
 * operator's cancelOrder). AGE_RESULT: as AGE_ANY_ONCE_DELIVERED, and also a session whose
 * delivery a retry superseded (S_RETRIED), for its installation result, and one that has
 * ended (S_DONE: delivered when its order was cancelled, END_CANCELLED_DELIVERED, or ended by
 * its own installation result or cancel), whose result is verified, recorded and changes
 * nothing: an installation result sent again (its 204 lost) is then the same eUICC's word,
 * recorded once, not an `unknown session` with no EID. */
typedef enum { AGE_TTL, AGE_ANY_ONCE_DELIVERED, AGE_RESULT } sess_age;

/* end_reason of a session that had delivered a package when its order was cancelled: its
 * installation result is still verified, recorded and, while the profile stays Unavailable
 * under that order, audited and reported to the operator (result_after_cancel), the session's
 * end_reason then END_CANCELLED_INSTALLED or END_CANCELLED_FAILED, so that the same result
 * sent again is `session ended`. */
#define END_CANCELLED_DELIVERED "order cancelled after delivery"
#define END_CANCELLED_INSTALLED "order cancelled after delivery, installed"
#define END_CANCELLED_FAILED "order cancelled after delivery, installation failed"

/* end_reason of the finished session row that marks an order's retry refused for want of
 * downloads left (8.8.5/6.4) as told to the operator (retries_refused): kept while its
 * profile stays Downloaded under that order and EID, so that later refusals write nothing. */
#define END_RETRIES_REFUSED "download retries exceeded, operator told"

/* The key set of the session row of transactionId tid (hex): the configured one whose
 * identity the row keeps (id, keyset_ident), whatever this process's order of its key sets and
 * after a KEK rotation; -1 when none here has it (removed from the configuration: a new
 * binding is then 8.10.1/3.9; the installation result and cancelSession need no key set). A
 * row from before ES9+ migration 13 keeps none: the key set whose identity the
 * transactionId's tag covers here (tid_find), else the row's index (the order of the process
 * that began the session; the tag is under another key when the KEK rotated since). */
static int sess_keyset(const ctx *c, const char *tid, orsp_slice id, int index)
{
	uint8_t b[TID_LEN], mine[KEYSET_ID_LEN];
	int ks, sci;

	if (id.len == KEYSET_ID_LEN) {
		for (ks = 0; (size_t)ks < c->svc->n_sets; ks++) {
			keyset_ident(&c->svc->sets[ks], mine);
			if (memcmp(mine, id.p, KEYSET_ID_LEN) == 0)
				return ks;
		}
		return -1;
	}
	if (orsp_hex_decode_exact(tid, b, TID_LEN) || !tid_find(c, b, &ks, &sci))
		ks = index;
	orsp_err_clear();
	return ks;
}

/* Load a live session: ORSP_E_NOT_FOUND if unknown, finished or too old for `age`. */
static orsp_err sess_load(ctx *c, const char *tid, sess *se, sess_age age)
{
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t ttl = ttl_of(c->svc);
	orsp_err e;

	memset(se, 0, sizeof(*se));
	e = orsp_db_prepare(c->db,
	                    "SELECT step, keyset, euicc_challenge, server_challenge, eid, iccid,"
	                    " matching_id, euicc_cert, euicc_sig1, smdp_sig2, cc_required,"
	                    " euicc_otpk, otsk_wrapped, smdp_sign, created_at, keyset_id"
	                    " FROM es9p_session WHERE tid = ?1",
	                    &st);
	if (!e)
		e = orsp_stmt_bind_text(st, 1, tid);
	if (!e)
		e = orsp_stmt_step(st, &row);
	if (!e && !row)
		e = orsp_errf(ORSP_E_NOT_FOUND, "no session %s", tid);
	if (!e) {
		size_t l;
		copy_text(tid, se->tid, sizeof(se->tid));
		se->step = (int)orsp_stmt_column_int64(st, 0);
		se->keyset = sess_keyset(c, tid, orsp_stmt_column_blob(st, 15),
		                         (int)orsp_stmt_column_int64(st, 1));
		copy_blob(orsp_stmt_column_blob(st, 2), se->echal, 16, NULL);
		copy_blob(orsp_stmt_column_blob(st, 3), se->schal, 16, NULL);
		copy_text(orsp_stmt_column_text(st, 4), se->eid, sizeof(se->eid));
		copy_text(orsp_stmt_column_text(st, 5), se->iccid, sizeof(se->iccid));
		copy_text(orsp_stmt_column_text(st, 6), se->mid, sizeof(se->mid));
		copy_blob(orsp_stmt_column_blob(st, 7), se->cert, sizeof(se->cert), &se->cert_len);
		copy_blob(orsp_stmt_column_blob(st, 8), se->sig1, ORSP_EC_SIG_LEN, &l);
		se->has_sig1 = l == ORSP_EC_SIG_LEN;
		copy_blob(orsp_stmt_column_blob(st, 9), se->sig2, ORSP_EC_SIG_LEN, &l);
		se->has_sig2 = l == ORSP_EC_SIG_LEN;
		se->cc_required = orsp_stmt_column_int64(st, 10) != 0;
		copy_blob(orsp_stmt_column_blob(st, 11), se->otpk, sizeof(se->otpk), &se->otpk_len);
		copy_blob(orsp_stmt_column_blob(st, 12), se->otsk_w, sizeof(se->otsk_w),
		          &se->otsk_w_len);
		copy_blob(orsp_stmt_column_blob(st, 13), se->bsig, ORSP_EC_SIG_LEN, &l);
		se->has_bsig = l == ORSP_EC_SIG_LEN;
		se->created_at = orsp_stmt_column_int64(st, 14);
	}
	orsp_stmt_finalize(st);
	if (e)
		return e;
	bool retried = age == AGE_RESULT && (se->step == S_RETRIED || se->step == S_DONE);
	if ((se->step >= S_DONE && !retried) ||
	    (now_s(c) - se->created_at > ttl &&
	     !(age != AGE_TTL && (se->step == S_BPP || retried)))) {
		sess_free(se);
		return orsp_errf(ORSP_E_NOT_FOUND, "session %s is finished or expired", tid);
	}
	return ORSP_OK;
}

static orsp_err sess_exists(ctx *c, const char *tid, bool *exists)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(c->db, "SELECT 1 FROM es9p_session WHERE tid = ?1", &st);
	*exists = false;
	if (!e)
		e = orsp_stmt_bind_text(st, 1, tid);
	if (!e)
		e = orsp_stmt_step(st, exists);
	orsp_stmt_finalize(st);
	return e;
}

/* The session row, written once by authenticateClient (step S_AUTH, or S_DONE when the
 * eUICC refused us). ORSP_E_EXISTS if the transactionId was used before. */
static orsp_err sess_insert(ctx *c, const sess *se, int step, const char *reason)
{
	orsp_stmt *st = NULL;
	uint8_t id[KEYSET_ID_LEN];
	orsp_err e = orsp_db_prepare(
	    c->db,
	    "INSERT INTO es9p_session (tid, step, keyset, euicc_challenge, server_challenge, eid,"
	    " iccid, matching_id, euicc_cert, euicc_sig1, smdp_sig2, cc_required, end_reason,"
	    " created_at, updated_at, keyset_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	    &st);
	if (!e)
		e = orsp_stmt_bind_text(st, 1, se->tid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, step);
	if (!e)
		e = orsp_stmt_bind_int64(st, 3, se->keyset);
	if (!e)
		e = orsp_stmt_bind_blob(st, 4, NULL, 0); /* not kept: signed over in step 1 only */
	if (!e)
		e = orsp_stmt_bind_blob(st, 5, se->schal, sizeof(se->schal));
	if (!e)
		e = orsp_stmt_bind_text(st, 6, se->eid);
	if (!e)
		e = orsp_stmt_bind_text(st, 7, se->iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 8, se->mid);
	if (!e && se->cert_len)
		e = orsp_stmt_bind_blob(st, 9, se->cert, se->cert_len);
	if (!e && se->has_sig1)
		e = orsp_stmt_bind_blob(st, 10, se->sig1, sizeof(se->sig1));
	if (!e && se->has_sig2)
		e = orsp_stmt_bind_blob(st, 11, se->sig2, sizeof(se->sig2));
	if (!e)
		e = orsp_stmt_bind_int64(st, 12, se->cc_required);
	if (!e)
		e = orsp_stmt_bind_text(st, 13, reason ? reason : "");
	if (!e)
		e = orsp_stmt_bind_int64(st, 14, se->created_at);
	if (!e)
		e = orsp_stmt_bind_int64(st, 15, now_s(c));
	if (!e) {
		keyset_ident(&c->svc->sets[se->keyset], id);
		e = orsp_stmt_bind_blob(st, 16, id, sizeof(id));
	}
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

/* Whether profile p is still the order session se authenticated for, open to its eUICC: the
 * same matching ID (an order cancelled and placed again has a new one, or none), and an EID,
 * once bound (by the order, or by the first delivery of an order placed without one), that
 * is the session's. A Downloaded profile is open only to the eUICC it was delivered to. */
static bool order_of_session(const orsp_smdp_profile *p, const sess *se)
{
	if (strcmp(p->matching_id, se->mid) != 0)
		return false;
	if (p->state == ORSP_SMDP_RELEASED)
		return !p->eid[0] || strcmp(p->eid, se->eid) == 0;
	return p->state == ORSP_SMDP_DOWNLOADED && strcmp(p->eid, se->eid) == 0;
}

/* Whether the order authenticateClient read before its session's transaction (p) is still
 * the one, read again inside that transaction. ES2+ cancelOrder ends the sessions that exist
 * (smdp_es9p_end_order_sessions); one written after it must not bind the order placed again
 * under the same matching ID: a new expiry, or another confirmation code requirement, tells
 * it apart (one placed again within the same second on the same terms is the same order in
 * all but name, and its code is checked from the profile). Nor may a retry, its download
 * limit checked on p, supersede a delivered session whose new binding used up the last
 * download meanwhile (its getBoundProfilePackage put the profile in Error, the newest
 * package perhaps installed; test_auth_retry_racing_rebind). ORSP_E_STATE when it changed. */
static orsp_err order_still(ctx *c, const orsp_smdp_profile *p)
{
	orsp_smdp_profile cur;
	orsp_err e = orsp_smdp_get(c->s, p->iccid, &cur);

	if (e && e != ORSP_E_NOT_FOUND)
		return e;
	if (e || cur.state != p->state || strcmp(cur.matching_id, p->matching_id) != 0 ||
	    strcmp(cur.eid, p->eid) != 0 || cur.cc_required != p->cc_required ||
	    cur.expires_at != p->expires_at || cur.download_attempts != p->download_attempts)
		return orsp_errf(ORSP_E_STATE, "the order changed while authenticateClient ran "
		                               "(cancelled, placed again, or delivered)");
	return ORSP_OK;
}

/* Whether the order of profile p (as read) is one its expiry ended: past its validity and
 * moved to Unavailable by the expiry, not cancelled (orsp_smdp_ended_by_expiry, which goes by
 * the times the expiry wrote, not by this process's clock: one behind the expiring process's,
 * or set back since, answered 8.2.6/3.8 or 8.2/3.7 for such an order until session 77, where
 * ES2+ answered 4.10). */
static orsp_err ended_by_expiry(ctx *c, const orsp_smdp_profile *p, bool *expired)
{
	*expired = false;
	if (p->state != ORSP_SMDP_UNAVAILABLE || !p->expires_at)
		return ORSP_OK;
	return orsp_smdp_ended_by_expiry(c->s, p, expired);
}

/* Whether another session of se's order and eUICC is at `step`. S_BPP: it holds a package
 * delivered and not yet judged: sessions authenticated in parallel that both bound (the
 * second binding a new download of the Downloaded profile). One of them cancelled
 * (postponed) does not reopen the order while the other's package may still be installed:
 * that one's result or cancel decides. S_RETRIED: a retry superseded it after it delivered,
 * its result still to come. */
static orsp_err session_at(orsp_db *db, const char *iccid, const char *eid, const char *mid,
                           const char *tid, int step, int64_t since, bool *found)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(db,
	                             "SELECT 1 FROM es9p_session WHERE iccid = ?1 AND eid = ?2 AND"
	                             " matching_id = ?3 AND step = ?4 AND tid <> ?5"
	                             " AND created_at >= ?6 LIMIT 1",
	                             &st);

	*found = false;
	if (!e)
		e = orsp_stmt_bind_text(st, 1, iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, eid);
	if (!e)
		e = orsp_stmt_bind_text(st, 3, mid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 4, step);
	if (!e)
		e = orsp_stmt_bind_text(st, 5, tid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 6, since);
	if (!e)
		e = orsp_stmt_step(st, found);
	orsp_stmt_finalize(st);
	return e;
}

/* Whether a session of the order (iccid, eid, mid) other than tid may still decide it: one
 * authenticated since auth_since (the TTL's start: it may still bind or cancel), or one with
 * its package out (S_BPP, or S_RETRIED awaiting its result) at any age
 * (smdp_es9p_package_waiting). */
static orsp_err order_undecided(orsp_db *db, const char *iccid, const char *eid, const char *mid,
                                const char *tid, int64_t auth_since, bool *live)
{
	orsp_err e = session_at(db, iccid, eid, mid, tid, S_AUTH, auth_since, live);

	if (!e && !*live)
		e = smdp_es9p_package_waiting(db, iccid, eid, mid, tid, live);
	return e;
}

/* S_AUTH: only a session within the TTL, which may still bind or cancel (one past it is
 * refused both, sess_load, and only waits for the sweep); a delivered one at any age. */
static orsp_err other_at(ctx *c, const sess *se, int step, bool *found)
{
	return session_at(c->db, se->iccid, se->eid, se->mid, se->tid, step,
	                  step == S_AUTH ? now_s(c) - ttl_of(c->svc) : INT64_MIN, found);
}

/* Forget the failures kept for a retry of profile iccid's order (`pir`). */
static orsp_err drop_pir(orsp_db *db, const char *iccid)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(
	    db, "UPDATE es9p_session SET pir = NULL WHERE iccid = ?1 AND pir IS NOT NULL", &st);

	if (!e)
		e = orsp_stmt_bind_text(st, 1, iccid);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

/* A session of the order (iccid, eid, mid) other than tid ended without deciding it: past
 * its TTL without a package (found by the sweep), or cancelled or refused by its eUICC before
 * its delivery. If an earlier session a retry superseded reported a failure while a retry
 * was live (`retried`, its result kept in `pir`), and the order is still Downloaded to that
 * eUICC with no session of it left that may still decide (none authenticated within the TTL,
 * none with its package out: S_BPP, or S_RETRIED awaiting its result), that failure decides
 * now, as it would had it come then: Error, audited and reported by orsp_smdp_mark_pir (the
 * newest such failure). In the caller's transaction: a retry authenticating meanwhile is
 * either seen here (live: nothing changes) or reads the profile after it in its own
 * transaction (Error: refused, order_still). */
static orsp_err retried_failure_decides(orsp_smdp *s, int64_t ttl, const char *iccid,
                                        const char *eid, const char *mid, const char *tid)
{
	orsp_db *db = orsp_smdp_db(s);
	orsp_stmt *st = NULL;
	orsp_smdp_profile p;
	uint8_t *pir = NULL;
	size_t pir_len = 0;
	bool row = false, live = false;
	orsp_err e = orsp_db_prepare(db,
	                             "SELECT pir FROM es9p_session WHERE iccid = ?1 AND eid = ?2"
	                             " AND matching_id = ?3 AND pir IS NOT NULL"
	                             " ORDER BY updated_at DESC, rowid DESC LIMIT 1",
	                             &st);

	if (!e)
		e = orsp_stmt_bind_text(st, 1, iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, eid);
	if (!e)
		e = orsp_stmt_bind_text(st, 3, mid);
	if (!e)
		e = orsp_stmt_step(st, &row);
	if (!e && row) {
		orsp_slice b = orsp_stmt_column_blob(st, 0);
		if (b.len && !(pir = malloc(b.len)))
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		else if (b.len) {
			memcpy(pir, b.p, b.len);
			pir_len = b.len;
		}
	}
	orsp_stmt_finalize(st);
	st = NULL;
	if (e || !pir)
		goto out;
	e = orsp_smdp_get(s, iccid, &p);
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		e = ORSP_OK;
		goto out;
	}
	if (e || p.state != ORSP_SMDP_DOWNLOADED || strcmp(p.matching_id, mid) != 0 ||
	    strcmp(p.eid, eid) != 0)
		goto out;
	e = order_undecided(db, iccid, eid, mid, tid, orsp_smdp_now(s) - ttl, &live);
	if (e || live)
		goto out;
	e = orsp_smdp_mark_pir(s, iccid, mid, eid, false, pir, pir_len);
	if (!e)
		e = drop_pir(db, iccid);
out:
	free(pir);
	return e;
}

/* Move the session from step `from` to `to` (fails if another request moved it first). */
static orsp_err sess_advance(ctx *c, const char *tid, int from, int to, const char *reason)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(c->db,
	                             "UPDATE es9p_session SET step = ?1, updated_at = ?2,"
	                             " end_reason = ?3,"
	                             " otsk_wrapped = CASE WHEN ?1 >= 4 THEN NULL ELSE otsk_wrapped END"
	                             " WHERE tid = ?4 AND step = ?5",
	                             &st);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, to);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, now_s(c));
	if (!e)
		e = orsp_stmt_bind_text(st, 3, reason ? reason : "");
	if (!e)
		e = orsp_stmt_bind_text(st, 4, tid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 5, from);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (!e && orsp_db_changes(c->db) != 1)
		e = orsp_errf(ORSP_E_STATE, "session %s moved meanwhile", tid);
	return e;
}

/* The common start of getBoundProfilePackage and cancelSession: the transactionId, the
 * base64 member `field`, and the live session (as old as `age` allows), which must have
 * reached min_step. On a failure the Failed answer is written and *answered set; the caller
 * then returns the orsp_err (ORSP_OK unless the answer itself could not be written). */
static orsp_err step_begin(ctx *c, const char *field, int min_step, sess_age age,
                           uint8_t tid[TID_LEN], size_t *tid_len, char tid_hex[2 * TID_LEN + 1],
                           uint8_t **blob, size_t *blob_len, sess *se, bool *answered)
{
	es9p_code code;
	orsp_err e;

	*answered = true;
	if ((code = get_tid(c, tid, tid_len, tid_hex)) != ES9P_OK)
		return fail(c, code, orsp_err_detail());
	if (orsp_json_get_base64_alloc(c->req, field, MAX_B64_FIELD, blob, blob_len))
		return fail(c, ES9P_MALFORMED, orsp_err_detail());
	e = sess_load(c, tid_hex, se, age);
	if (e && e != ORSP_E_NOT_FOUND)
		return e; /* the store failed: a 500, not an unknown session */
	if (e || se->step < min_step)
		return fail(c, ES9P_UNKNOWN_TID, NULL);
	snprintf(c->out->eid, sizeof(c->out->eid), "%s", se->eid);
	*answered = false;
	return ORSP_OK;
}

/* ---------------------------------------------------------------- the package ----------- */

/* StoreMetadataRequest (BF25) for a profile package, SGP.22 §5.5.3 / §2.4.4, and what the
 * profile asks of the eUICC; prof gives the class, PPRs and owner the operator set at
 * import. */
static orsp_err build_metadata(const orsp_smdp_service *svc, const orsp_smdp_profile *prof,
                               const uint8_t *upp, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len, char iccid[21], es9p_needs *needs)
{
	orsp_pkg *pkg = NULL;
	orsp_pkg_header h;
	orsp_writer w;
	char spn[64] = "";
	uint8_t efspn[32], ef_iccid[10];
	size_t n;
	orsp_err e;

	e = orsp_pkg_decode(upp, len, &pkg);
	if (!e)
		e = orsp_pkg_get_header(pkg, &h);
	if (e)
		goto out;
	for (size_t i = 0; i < orsp_pkg_count(pkg) && !spn[0]; i++) {
		orsp_pe_info pe;
		uint8_t disp;
		if (orsp_pkg_pe(pkg, i, &pe) == ORSP_OK && pe.type == ORSP_PE_USIM &&
		    orsp_pkg_file_read(pkg, i, "ef-spn", efspn, sizeof(efspn), &n) == ORSP_OK &&
		    orsp_spn_decode_ef(efspn, n, &disp, spn, sizeof(spn)) != ORSP_OK)
			spn[0] = '\0';
	}
	memcpy(iccid, h.iccid, 21);
	needs->saip_major = h.major;
	needs->saip_minor = h.minor;
	needs->services = h.services;
	orsp_writer_init(&w, out, cap);
	{
		orsp_der_mark m = orsp_der_begin(&w, 0xBF25);
		orsp_der_mark nci;
		/* Iccid: as coded in EF.ICCID (nibble-swapped), not as in the ProfileHeader */
		if (orsp_iccid_encode_ef(h.iccid, ef_iccid)) {
			e = orsp_errf(ORSP_E_MALFORMED, "profile package: ICCID %s", h.iccid);
			goto out;
		}
		orsp_der_put_tlv(&w, 0x5A, ef_iccid, 10);
		/* serviceProviderName (UTF8String SIZE(0..32)) from EF.SPN, whose GSM
		 * characters take up to 2 bytes each: cut to 32 bytes on a UTF-8 boundary (a cut
		 * inside a character made a metadata the eUICC refuses) */
		orsp_der_put_tlv(&w, 0x91, spn, orsp_utf8_cut(spn, strlen(spn), 32));
		/* profileName: the package's profileType, cut to 64 bytes on a UTF-8 boundary */
		orsp_der_put_tlv(&w, 0x92, h.profile_type,
		                 orsp_utf8_cut(h.profile_type, strlen(h.profile_type), 64));
		/* profileClass [21]: the class the operator set at import (a TCA package has
		 * none), 0 test, 1 provisioning; left out when not given and for operational,
		 * its DEFAULT, which DER does not encode (X.690 §11.5) */
		if (prof->profile_class == ORSP_PKG_CLASS_TEST ||
		    prof->profile_class == ORSP_PKG_CLASS_PROVISIONING)
			orsp_der_put_uint(&w, 0x95, prof->profile_class - ORSP_PKG_CLASS_TEST);
		/* notificationConfigurationInfo: this SM-DP+ for install, enable, disable, delete
		 * (NotificationEvent bits 0..3: '03 02 04 F0'). */
		nci = orsp_der_begin(&w, 0xB6);
		{
			orsp_der_mark one = orsp_der_begin(&w, 0x30);
			static const uint8_t bits[] = {0x04, 0xF0};
			orsp_der_put_tlv(&w, 0x80, bits, sizeof(bits));
			orsp_der_put_tlv(&w, 0x81, svc->fqdn, strlen(svc->fqdn));
			orsp_der_end(&w, one);
		}
		orsp_der_end(&w, nci);
		/* profileOwner and profilePolicyRules, for a profile with PPRs only: without
		 * them the metadata stays as it was before openrsp set PPRs */
		if ((e = smdp_put_policy(&w, prof)))
			goto out;
		orsp_der_end(&w, m);
	}
	e = orsp_writer_status(&w);
	if (!e)
		*out_len = w.len;
out:
	orsp_pkg_free(pkg);
	return e;
}

/* The StoreMetadataRequest of a profile, from the cache table or built once from the package
 * (decoding a package is the most expensive step of a download after the cryptography) and
 * kept: it depends only on the package, the class, PPRs and owner fixed at the profile's import,
 * and this SM-DP+'s address. */
static orsp_err profile_metadata(const orsp_smdp_service *svc, orsp_smdp *s, const char *iccid,
                                 uint8_t *out, size_t cap, size_t *len, es9p_needs *needs)
{
	orsp_db *db = orsp_smdp_db(s);
	orsp_stmt *st = NULL;
	orsp_smdp_profile prof;
	uint8_t *upp = NULL;
	size_t upp_len = 0;
	char got_iccid[21];
	bool row = false;
	orsp_err e;

	e = orsp_db_prepare(db,
	                    "SELECT metadata, saip_major, saip_minor, services FROM es9p_metadata"
	                    " WHERE iccid = ?1 AND fqdn = ?2",
	                    &st);
	if (!e)
		e = orsp_stmt_bind_text(st, 1, iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, svc->fqdn);
	if (!e)
		e = orsp_stmt_step(st, &row);
	if (!e && row && orsp_stmt_column_is_null(st, 1))
		row = false; /* cached before migration 5: built again below */
	if (!e && row) {
		needs->saip_major = (unsigned)orsp_stmt_column_int64(st, 1);
		needs->saip_minor = (unsigned)orsp_stmt_column_int64(st, 2);
		needs->services = (uint64_t)orsp_stmt_column_int64(st, 3);
		orsp_slice b = orsp_stmt_column_blob(st, 0);
		if (b.len > cap)
			e = orsp_errf(ORSP_E_RESOURCE, "metadata of %s too large", iccid);
		else {
			memcpy(out, b.p, b.len);
			*len = b.len;
		}
	}
	orsp_stmt_finalize(st);
	if (e || row)
		return e;
	if ((e = orsp_smdp_get(s, iccid, &prof)) ||
	    (e = orsp_smdp_get_upp(s, iccid, &upp, &upp_len)))
		return e;
	e = build_metadata(svc, &prof, upp, upp_len, out, cap, len, got_iccid, needs);
	orsp_pkg_buf_free(upp, upp_len);
	if (e)
		return e;
	st = NULL;
	e = orsp_db_prepare(
	    db,
	    "INSERT OR REPLACE INTO es9p_metadata (iccid, fqdn, metadata, saip_major,"
	    " saip_minor, services) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    &st);
	if (!e)
		e = orsp_stmt_bind_text(st, 1, iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, svc->fqdn);
	if (!e)
		e = orsp_stmt_bind_blob(st, 3, out, *len);
	if (!e)
		e = orsp_stmt_bind_int64(st, 4, needs->saip_major);
	if (!e)
		e = orsp_stmt_bind_int64(st, 5, needs->saip_minor);
	if (!e)
		e = orsp_stmt_bind_int64(st, 6, (int64_t)needs->services);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

orsp_err orsp_es9p_warm(const orsp_smdp_service *svc, orsp_smdp *s, const char *iccid)
{
	uint8_t meta[4096];
	size_t n = 0;
	es9p_needs needs;

	if (!svc || !s || !iccid)
		return orsp_errf(ORSP_E_USAGE, "es9p: bad arguments");
	return profile_metadata(svc, s, iccid, meta, sizeof(meta), &n, &needs);
}

/* ---------------------------------------------------------------- initiateAuthentication */

static bool ski_listed(orsp_slice list, const uint8_t *ski, size_t ski_len)
{
	orsp_reader r;
	orsp_tlv t;

	orsp_reader_init(&r, list.p, list.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &t) != ORSP_OK)
			return false;
		if (t.tag == 0x04 && t.value.len == ski_len && memcmp(t.value.p, ski, ski_len) == 0)
			return true;
	}
	return false;
}

/* The CIs of a session (SGP.22 §5.6.1, §5.7.13): the eUICC verifies CERT.DPauth (and later
 * CERT.DPpb) with a CI of euiccCiPKIdListForVerification, so the key set is one whose CI is
 * listed there; it signs with the CERT.EUICC it holds under the CI named by
 * euiccCiPKIdToBeUsed, which must be one of euiccCiPKIdListForSigning, and authenticateClient
 * verifies that chain with it, so that CI is one we trust (a key set's or a trusted_ci). A key
 * set whose CI is in both lists is taken first (*sci -1: its own CI); otherwise the first key
 * set with its CI in ...ForVerification and the first trusted CI in ...ForSigning (*sci its
 * index among c->svc->cis). *chosen -1 and *sci -2: no trusted CI is in ...ForSigning
 * (8.8.2/3.1, checked first, as SGP.22 lists it); *chosen -1 otherwise: none of our key sets
 * chains to a CI of ...ForVerification (8.8.4/3.7). ski receives euiccCiPKIdToBeUsed. */
static void choose_cis(const ctx *c, orsp_slice verif, orsp_slice signing, int *chosen, int *sci,
                       uint8_t *ski, size_t cap, size_t *ski_len)
{
	const orsp_smdp_service *svc = c->svc;
	int first_verif = -1;

	*chosen = -1;
	*sci = -2;
	for (size_t i = 0; i < svc->n_sets; i++) {
		if (orsp_cert_ski(svc->sets[i].ci, ski, cap, ski_len)) {
			orsp_err_clear();
			continue;
		}
		if (!ski_listed(verif, ski, *ski_len))
			continue;
		if (ski_listed(signing, ski, *ski_len)) {
			*chosen = (int)i;
			*sci = -1;
			return;
		}
		if (first_verif < 0)
			first_verif = (int)i;
	}
	for (size_t i = 0; i < orsp_ci_store_count(svc->cis) && i <= TID_CI_MAX; i++) {
		if (orsp_cert_ski(orsp_ci_store_at(svc->cis, i), ski, cap, ski_len)) {
			orsp_err_clear();
			continue;
		}
		if (ski_listed(signing, ski, *ski_len)) {
			*sci = (int)i;
			break;
		}
	}
	if (*sci >= 0)
		*chosen = first_verif;
}

static orsp_err initiate_authentication(ctx *c)
{
	uint8_t echal[16], info1[1024], tid[TID_LEN], schal[16], signed1[512], sig[ORSP_EC_SIG_LEN];
	uint8_t sigtlv[80], ski[32], pkid[40];
	char tid_hex[2 * TID_LEN + 1];
	size_t n_echal = 0, n_info1 = 0, ski_len = 0, addr_len;
	const char *addr;
	orsp_tlv t, verif = {0}, signing = {0};
	orsp_reader r;
	orsp_writer w;
	int chosen = -1, sci = -1;
	bool svn = false;
	json_t *obj = NULL;
	orsp_err e;

	if (orsp_json_get_base64(c->req, "euiccChallenge", echal, sizeof(echal), &n_echal) ||
	    orsp_json_get_base64(c->req, "euiccInfo1", info1, sizeof(info1), &n_info1) ||
	    orsp_json_get_string(c->req, "smdpAddress", 255, &addr, &addr_len))
		return fail(c, ES9P_MALFORMED, orsp_err_detail());
	if (n_echal != 16)
		return fail(c, ES9P_MALFORMED, "euiccChallenge: not 16 bytes");
	if (strlen(addr) != strlen(c->svc->fqdn) || strcasecmp(addr, c->svc->fqdn) != 0)
		return fail(c, ES9P_BAD_ADDRESS, NULL);
	/* EUICCInfo1 ::= [32] SEQUENCE { svn [2], ...ForVerification [9], ...ForSigning [10] } */
	if (orsp_der_parse_one(orsp_slice_make(info1, n_info1), &t) || t.tag != 0xBF20 ||
	    orsp_der_validate(t.raw, 8))
		return fail(c, ES9P_MALFORMED, "euiccInfo1");
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		orsp_tlv f;
		if (orsp_der_read(&r, &f))
			return fail(c, ES9P_MALFORMED, "euiccInfo1");
		if (f.tag == 0x82 && (f.value.len != 3 || f.value.p[0] != 2))
			return fail(c, ES9P_SVN, NULL);
		if (f.tag == 0x82)
			svn = true;
		else if (f.tag == 0xA9)
			verif = f;
		else if (f.tag == 0xAA)
			signing = f;
	}
	/* svn is mandatory: an eUICC that does not say it speaks SGP.22 v2 is not taken for one */
	if (!svn)
		return fail(c, ES9P_MALFORMED, "euiccInfo1: svn missing");
	if (!verif.raw.p || !signing.raw.p)
		return fail(c, ES9P_MALFORMED, "euiccInfo1: CI lists missing");
	choose_cis(c, verif.value, signing.value, &chosen, &sci, ski, sizeof(ski), &ski_len);
	if (chosen < 0)
		return fail(c, sci == -2 ? ES9P_NO_CI : ES9P_NO_DPAUTH, NULL);
	if ((e = tid_make(c, chosen, sci, tid, schal)))
		return e;
	if ((e = orsp_hex_encode(tid, sizeof(tid), tid_hex, sizeof(tid_hex))))
		return e;
	for (char *p = tid_hex; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(c->out->transaction_id, sizeof(c->out->transaction_id), "%s", tid_hex);
	/* ServerSigned1 (§5.6.1) */
	orsp_writer_init(&w, signed1, sizeof(signed1));
	{
		orsp_der_mark m = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, tid, sizeof(tid));
		orsp_der_put_tlv(&w, 0x81, echal, 16);
		orsp_der_put_tlv(&w, 0x83, c->svc->fqdn, strlen(c->svc->fqdn));
		orsp_der_put_tlv(&w, 0x84, schal, 16);
		orsp_der_end(&w, m);
	}
	if ((e = orsp_writer_status(&w)))
		return e;
	e = orsp_ecdsa_sign(c->svc->sets[chosen].dpauth_key, signed1, w.len, sig);
	if (e)
		return e;
	obj = json_object();
	if (!obj)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	{
		orsp_writer sw, pw;
		orsp_slice cert = orsp_cert_der(c->svc->sets[chosen].dpauth_cert);
		orsp_writer_init(&sw, sigtlv, sizeof(sigtlv));
		put_sig(&sw, sig);
		orsp_writer_init(&pw, pkid, sizeof(pkid));
		orsp_der_put_tlv(&pw, 0x04, ski, ski_len);
		e = orsp_writer_status(&sw);
		if (!e)
			e = orsp_writer_status(&pw);
		if (!e)
			e = orsp_json_put_string(obj, "transactionId", tid_hex);
		if (!e)
			e = orsp_json_put_base64(obj, "serverSigned1", signed1, w.len);
		if (!e)
			e = orsp_json_put_base64(obj, "serverSignature1", sigtlv, sw.len);
		if (!e)
			e = orsp_json_put_base64(obj, "euiccCiPKIdToBeUsed", pkid, pw.len);
		if (!e)
			e = orsp_json_put_base64(obj, "serverCertificate", cert.p, cert.len);
	}
	if (!e)
		e = reply_json(c, obj);
	json_decref(obj);
	return e;
}

/* ---------------------------------------------------------------- authenticateClient ---- */

/* authenticateClient refuses the eUICC's verified answer for the order prof with code and
 * why. A verdict on the eUICC (not eligible, too little memory) uses up the transactionId (a
 * finished session row), so a replay of the same bytes is refused as a used transaction and
 * not reported again, and the operator hears of it (audit row and progress report); the
 * answer does not depend on those writes. A malformed answer only gets its refusal.
 * policy: the platform policy item that refused (for the request's log line), or NULL. */
static orsp_err refuse(ctx *c, sess *se, const char *eid, const orsp_smdp_profile *prof,
                       es9p_code code, const char *why, const char *policy)
{
	if (code == ES9P_NOT_ELIGIBLE || code == ES9P_INSUFFICIENT_MEMORY) {
		orsp_err ie;
		snprintf(se->eid, sizeof(se->eid), "%s", eid);
		snprintf(se->iccid, sizeof(se->iccid), "%s", prof->iccid);
		snprintf(se->mid, sizeof(se->mid), "%s", prof->matching_id);
		ie = sess_insert(c, se, S_DONE, "not eligible");
		if (ie == ORSP_E_EXISTS)
			return fail(c, ES9P_UNKNOWN_TID, "authenticateClient was done already");
		if (ie)
			orsp_err_clear();
		if (smdp_report_refused(c->s, prof->iccid, eid, code == ES9P_INSUFFICIENT_MEMORY,
		                        why) != ORSP_OK)
			orsp_err_clear();
		if (policy)
			snprintf(c->out->policy, sizeof(c->out->policy), "%s", policy);
	}
	return fail(c, code, why);
}

/* A download the eUICC retries (authenticateClient for the profile Downloaded to it; session
 * se, not written yet): the order's older live sessions of this eUICC end, in the transaction
 * that writes se, so that only the new one can deliver or cancel; the eUICC, authenticated
 * anew, has left them. One that delivered still takes its installation result (S_RETRIED):
 * the eUICC may have installed its package before the retry. Their one-time keys go. */
static orsp_err sess_end_retried(ctx *c, const sess *se)
{
	char why[64];
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(
	    c->db,
	    "UPDATE es9p_session SET step = CASE step WHEN ?1 THEN ?2 ELSE ?3 END, end_reason = ?4,"
	    " otsk_wrapped = NULL, updated_at = ?5"
	    " WHERE iccid = ?6 AND eid = ?7 AND matching_id = ?8 AND step IN (?9, ?1)",
	    &st);

	snprintf(why, sizeof(why), "retried in session %s", se->tid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, S_BPP);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, S_RETRIED);
	if (!e)
		e = orsp_stmt_bind_int64(st, 3, S_DONE);
	if (!e)
		e = orsp_stmt_bind_text(st, 4, why);
	if (!e)
		e = orsp_stmt_bind_int64(st, 5, now_s(c));
	if (!e)
		e = orsp_stmt_bind_text(st, 6, se->iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 7, se->eid);
	if (!e)
		e = orsp_stmt_bind_text(st, 8, se->mid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 9, S_AUTH);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

orsp_err smdp_es9p_end_order_sessions(orsp_db *db, const char *iccid, int64_t now)
{
	orsp_stmt *st = NULL;
	int v = 0;
	orsp_err e = orsp_db_schema_version(db, "smdp_es9p", &v);

	if (e || v < 1)
		return e;
	e = orsp_db_prepare(
	    db,
	    "UPDATE es9p_session SET step = ?1, otsk_wrapped = NULL, updated_at = ?2,"
	    " end_reason = CASE step WHEN ?3 THEN 'order cancelled'"
	    " ELSE '" END_CANCELLED_DELIVERED "' END"
	    " WHERE iccid = ?4 AND step IN (?3, ?5, ?6)",
	    &st);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, S_DONE);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, now);
	if (!e)
		e = orsp_stmt_bind_int64(st, 3, S_AUTH);
	if (!e)
		e = orsp_stmt_bind_text(st, 4, iccid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 5, S_BPP);
	if (!e)
		e = orsp_stmt_bind_int64(st, 6, S_RETRIED);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

orsp_err smdp_es9p_session_open(orsp_db *db, const char *tid_hex, bool *open)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(
	    db, "SELECT 1 FROM es9p_session WHERE tid = ?1 AND step IN (?2, ?3)", &st);

	*open = false;
	if (!e)
		e = orsp_stmt_bind_text(st, 1, tid_hex);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, S_AUTH);
	if (!e)
		e = orsp_stmt_bind_int64(st, 3, S_BPP);
	if (!e)
		e = orsp_stmt_step(st, open);
	orsp_stmt_finalize(st);
	return e;
}

orsp_err smdp_es9p_package_waiting(orsp_db *db, const char *iccid, const char *eid, const char *mid,
                                   const char *tid_hex, bool *found)
{
	orsp_err e = session_at(db, iccid, eid, mid, tid_hex, S_BPP, INT64_MIN, found);

	if (!e && !*found)
		e = session_at(db, iccid, eid, mid, tid_hex, S_RETRIED, INT64_MIN, found);
	return e;
}

/* The order of profile iccid (matching ID mid) has no download left, in the caller's
 * transaction: it ends in Error, reported, unless another session of the eUICC than tid_hex
 * has its package out with no result (one authenticated in parallel, or one a retry
 * superseded): the eUICC may hold the profile from it, whose result decides; a Released
 * (reopened) order is made Downloaded again for it (smdp_keep_for_earlier), so that
 * package's failure is then the order's Error. */
static orsp_err limit_reached(ctx *c, const char *iccid, const char *eid, const char *mid,
                              const char *tid_hex)
{
	bool waits = false;
	orsp_err e = smdp_es9p_package_waiting(c->db, iccid, eid, mid, tid_hex, &waits);

	if (!e && !waits)
		e = orsp_smdp_mark_error(c->s, iccid, ORSP_SMDP_FAIL_RETRIES,
		                         "download retries exceeded");
	else if (!e)
		e = smdp_keep_for_earlier(c->s, iccid,
		                          "download retries exceeded: kept for an earlier "
		                          "session's package");
	return e;
}

/* A Released order with no download left (reopened at its limit), at authenticateClient:
 * limit_reached, as getBoundProfilePackage ends one. Checked again in the transaction that
 * writes. */
static orsp_err released_at_limit(ctx *c, const char *iccid, const char *eid)
{
	orsp_smdp_profile p;
	orsp_err e = orsp_db_begin(c->db);

	if (e)
		return e;
	e = orsp_smdp_get(c->s, iccid, &p);
	if (!e && p.state == ORSP_SMDP_RELEASED && p.download_attempts >= p.download_limit)
		e = limit_reached(c, p.iccid, eid, p.matching_id, "");
	if (e) {
		orsp_db_rollback(c->db);
		return e;
	}
	return orsp_db_commit(c->db);
}

/* Whether a finished session of the order (iccid, eid, mid) ended with end_reason `why`, other
 * than the session except_tid (NULL: any), through the sessions' index by ICCID: the marker
 * of a retry refused and told (retries_refused, END_RETRIES_REFUSED), or another session of
 * the order ended by cancelOrder (result_after_cancel: END_CANCELLED_DELIVERED, its package
 * still out with no result; END_CANCELLED_INSTALLED, its success reported). */
static orsp_err session_ended(ctx *c, const char *iccid, const char *eid, const char *mid,
                              const char *why, const char *except_tid, bool *found)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(c->db,
	                             "SELECT 1 FROM es9p_session WHERE iccid = ?1 AND eid = ?2 AND"
	                             " matching_id = ?3 AND step = ?4 AND (?5 IS NULL OR tid <> ?5)"
	                             " AND end_reason = ?6 LIMIT 1",
	                             &st);

	*found = false;
	if (!e)
		e = orsp_stmt_bind_text(st, 1, iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, eid);
	if (!e)
		e = orsp_stmt_bind_text(st, 3, mid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 4, S_DONE);
	if (!e)
		e = except_tid ? orsp_stmt_bind_text(st, 5, except_tid)
		               : orsp_stmt_bind_null(st, 5);
	if (!e)
		e = orsp_stmt_bind_text(st, 6, why);
	if (!e)
		e = orsp_stmt_step(st, found);
	orsp_stmt_finalize(st);
	return e;
}

/* authenticateClient refuses a retry of the order of profile prof, Downloaded to eUICC eid,
 * for want of downloads left (8.8.5/6.4, SGP.22 §5.6.3). The first such refusal of the order
 * is told to the operator (audit row and progress report, smdp_report_retries_refused), or
 * the order, whose package may have been lost before its installation began (the LPA killed
 * then), would wait unnoticed for delivered_session_days or a cancelOrder; a finished session
 * row (se's transactionId, END_RETRIES_REFUSED) marks it told, in the same transaction. Later
 * refusals only read (session_ended), so that whoever holds the matching ID cannot make the
 * server write again and again. The answer does not depend on those writes. */
static orsp_err retries_refused(ctx *c, sess *se, const char *eid, const orsp_smdp_profile *prof)
{
	char detail[160];
	orsp_smdp_profile p;
	bool told = false;
	orsp_err e =
	    session_ended(c, prof->iccid, eid, prof->matching_id, END_RETRIES_REFUSED, NULL, &told);

	if (!e && !told) {
		snprintf(se->eid, sizeof(se->eid), "%s", eid);
		snprintf(se->iccid, sizeof(se->iccid), "%s", prof->iccid);
		snprintf(se->mid, sizeof(se->mid), "%s", prof->matching_id);
		snprintf(detail, sizeof(detail),
		         "download retries exceeded on EID %s: %d of %d downloads used; the order "
		         "stays Downloaded until its installation result or cancelOrder",
		         eid, prof->download_attempts, prof->download_limit);
		e = orsp_db_begin(c->db);
		if (!e) {
			/* again in the transaction: another process may have told it meanwhile */
			e = session_ended(c, prof->iccid, eid, prof->matching_id,
			                  END_RETRIES_REFUSED, NULL, &told);
			if (!e && !told)
				e = orsp_smdp_get(c->s, prof->iccid, &p);
			if (!e && !told && p.state == ORSP_SMDP_DOWNLOADED &&
			    strcmp(p.eid, eid) == 0 &&
			    strcmp(p.matching_id, prof->matching_id) == 0 &&
			    p.download_attempts >= p.download_limit) {
				e = sess_insert(c, se, S_DONE, END_RETRIES_REFUSED);
				if (!e)
					e = smdp_report_retries_refused(c->s, p.iccid, eid, detail);
			}
			if (e)
				orsp_db_rollback(c->db);
			else
				e = orsp_db_commit(c->db);
		}
	}
	if (e == ORSP_E_EXISTS)
		return fail(c, ES9P_UNKNOWN_TID, "authenticateClient was done already");
	if (e)
		orsp_err_clear();
	return fail(c, ES9P_DL_EXHAUSTED, "download retries exceeded");
}

static orsp_err authenticate_client(ctx *c)
{
	uint8_t tid[TID_LEN], *asr = NULL, sig1[ORSP_EC_SIG_LEN], meta[4096], signed2[256];
	uint8_t sig2[ORSP_EC_SIG_LEN], sigtlv[80], *upp = NULL, msg[512];
	char tid_hex[2 * TID_LEN + 1], eid[33] = "", mid[ORSP_SMDP_MATCHING_ID_MAX + 1] = "";
	size_t tid_len = 0, asr_len = 0, meta_len = 0, upp_len = 0;
	orsp_tlv top, ok, s1, f_sig, f_cert, f_eum;
	orsp_reader r;
	orsp_cert *euicc = NULL, *eum = NULL;
	orsp_ec_key *pub = NULL;
	orsp_smdp_profile prof;
	es9p_needs needs = {0};
	const orsp_smdp_keyset *ks;
	const orsp_cert *sess_ci = NULL;
	bool order_expired = false;
	sess se = {0};
	json_t *obj = NULL;
	bool retry = false;
	int64_t ahead = 0;
	unsigned long failed;
	orsp_err e = ORSP_OK;

	/* The session starts here (initiateAuthentication stored nothing): the transactionId
	 * must be ours, alive, and not used before. */
	{
		es9p_code code = get_tid(c, tid, &tid_len, tid_hex);
		if (code != ES9P_OK) {
			e = fail(c, code, orsp_err_detail());
			goto out;
		}
	}
	if (orsp_json_get_base64_alloc(c->req, "authenticateServerResponse", MAX_B64_FIELD, &asr,
	                               &asr_len)) {
		e = fail(c, ES9P_MALFORMED, orsp_err_detail());
		goto out;
	}
	failed = orsp_wipe_alloc_failures();
	if (!tid_open(c, tid, tid_len, &se.keyset, &sess_ci, &se.created_at, se.schal, &ahead)) {
		/* its tag's HMAC lost an allocation inside OpenSSL: a 500, not a transaction
		 * unknown, which makes the LPA give the session up */
		if (orsp_wipe_alloc_failures() != failed) {
			e = orsp_errf(ORSP_E_RESOURCE,
			              "out of memory in OpenSSL while checking the transactionId");
			goto out;
		}
		/* one of ours (its tag checked), made by a process whose clock is ahead: the
		 * log line says so, where 8.10.1/3.9 alone pointed nowhere (the clock review's
		 * exp5); the eUICC's answer is the same */
		if (ahead)
			snprintf(c->out->note, sizeof(c->out->note),
			         "the transactionId was made %lld s ahead of this process's clock "
			         "(clocks of the server processes not synchronised?)",
			         (long long)ahead);
		e = fail(c, ES9P_UNKNOWN_TID, NULL);
		goto out;
	}
	{
		bool exists = false;
		if ((e = sess_exists(c, tid_hex, &exists)))
			goto out;
		if (exists) {
			e = fail(c, ES9P_UNKNOWN_TID, "authenticateClient was done already");
			goto out;
		}
	}
	se.step = S_INIT;
	snprintf(se.tid, sizeof(se.tid), "%s", tid_hex);
	ks = &c->svc->sets[se.keyset];
	if (orsp_der_parse_one(orsp_slice_make(asr, asr_len), &top) || top.tag != 0xBF38 ||
	    orsp_der_validate(top.raw, 16) || orsp_der_parse_one(top.value, &ok)) {
		e = fail(c, ES9P_MALFORMED, "authenticateServerResponse");
		goto out;
	}
	if (ok.tag == 0xA1) {
		/* AuthenticateResponseError: the eUICC refused us. It is not signed, so nothing
		 * is written for it (no session row: the transactionId simply ages out). */
		es9p_code ec = eu_error_of(ok.value, tid, tid_len);
		e = ec ? fail(c, ec, "authenticateResponseError")
		       : fail(c, ES9P_DOWNLOAD_ERROR,
		              "the eUICC answered AuthenticateResponseError");
		goto out;
	}
	/* what a later version adds after eumCertificate (v3's otherCertsInChain [0]) is
	 * skipped: EXTENSIBILITY IMPLIED */
	orsp_reader_init(&r, ok.value.p, ok.value.len);
	if (ok.tag != 0xA0 || orsp_der_expect(&r, 0x30, &s1) || orsp_der_read(&r, &f_sig) ||
	    sig_of(&f_sig, sig1) || orsp_der_expect(&r, 0x30, &f_cert) ||
	    orsp_der_expect(&r, 0x30, &f_eum) ||
	    orsp_der_skip_extensions(&r, ok_fields, ORSP_ARRAY_LEN(ok_fields), 16)) {
		e = fail(c, ES9P_MALFORMED, "authenticateResponseOk");
		goto out;
	}
	/* CERT.EUM and CERT.EUICC chain to a trusted CI, EID inside the EUM's range (§5.6.3).
	 * The EUM is parsed by OpenSSL (once per process: the parse cache); CERT.EUICC takes
	 * the fast path when it has the usual shape, else the full one with its errors. */
	if ((e = orsp_cert_parse(f_eum.raw.p, f_eum.raw.len, &eum))) {
		e = cert_refused(c, e, ES9P_EUM_INVALID);
		goto out;
	}
	if (orsp_rsp_euicc_fast_accept(c->svc->cis, eum, f_cert.raw.p, f_cert.raw.len, 0, eid,
	                               &pub) != ORSP_OK) {
		if ((e = orsp_cert_parse(f_cert.raw.p, f_cert.raw.len, &euicc))) {
			e = cert_refused(c, e, ES9P_EUICC_INVALID);
			goto out;
		}
		orsp_chain_fault why;
		e = orsp_rsp_verify_euicc_chain_fault(c->svc->cis, eum, euicc, 0, eid, &why);
		if (e) {
			e = cert_refused(c, e, es9p_chain_code(&why));
			goto out;
		}
		if ((e = orsp_cert_public_key(euicc, &pub))) {
			e = cert_refused(c, e, ES9P_EUICC_INVALID);
			goto out;
		}
	}
	snprintf(c->out->eid, sizeof(c->out->eid), "%s", eid);
	/* An EID whose check digits fail (ISO 7064 MOD 97-10, SGP.29) is not one an EUM issues:
	 * the certificate is refused as one whose EID is outside the EUM's range is (no order
	 * could be delivered to it: orsp_smdp_deliver refuses it) */
	if (orsp_eid_check(eid)) {
		e = fail(c, ES9P_EUICC_INVALID, orsp_err_detail());
		goto out;
	}
	/* the chain must end at the CI this session chose (euiccCiPKIdToBeUsed) */
	{
		uint8_t aki[32], ski[32];
		size_t al = 0, sl = 0;
		if (orsp_cert_aki(eum, aki, sizeof(aki), &al) ||
		    orsp_cert_ski(sess_ci, ski, sizeof(ski), &sl) || al != sl ||
		    memcmp(aki, ski, sl)) {
			e = fail(c, ES9P_CI_UNKNOWN, "the EUM is not under the CI of this session");
			goto out;
		}
	}
	/* neither certificate revoked by its issuer's CRL */
	{
		es9p_code code = revocation(c, sess_ci, eum, f_eum.raw, f_cert.raw);
		if (code != ES9P_OK) {
			e = fail(c, code, orsp_err_detail());
			goto out;
		}
	}
	{
		bool good = false;
		if ((e = euicc_sig(ORSP_OK, &pub, s1.raw.p, s1.raw.len, sig1, &good)))
			goto out;
		if (!good) {
			e = fail(c, ES9P_EUICC_SIGNATURE, NULL);
			goto out;
		}
	}
	/* EuiccSigned1 { transactionId [0], serverAddress [3], serverChallenge [4], euiccInfo2
	 * [34], ctxParams1 } must repeat this session. */
	{
		orsp_tlv f, ctxp, common;
		orsp_slice info2 = {0};
		bool t_ok = false, a_ok = false, c_ok = false, have_ctx = false;
		orsp_reader_init(&r, s1.value.p, s1.value.len);
		while (orsp_reader_remaining(&r)) {
			if (orsp_der_read(&r, &f)) {
				e = fail(c, ES9P_MALFORMED, "euiccSigned1");
				goto out;
			}
			if (f.tag == 0x80)
				t_ok = f.value.len == tid_len && memcmp(f.value.p, tid, tid_len) == 0;
			else if (f.tag == 0x83)
				a_ok = f.value.len == strlen(c->svc->fqdn) &&
				       strncasecmp((const char *)f.value.p, c->svc->fqdn, f.value.len) == 0;
			else if (f.tag == 0x84)
				c_ok = f.value.len == 16 && orsp_ct_eq(f.value.p, se.schal, 16);
			else if (f.tag == 0xBF22)
				info2 = f.value;
			else if (f.tag == 0xA0) {
				ctxp = f;
				have_ctx = true;
			}
		}
		if (!t_ok || !a_ok || !c_ok) {
			e = fail(c, ES9P_SERVER_CHALLENGE, !t_ok ? "transactionId" :
			                                   !a_ok ? "serverAddress" : "serverChallenge");
			goto out;
		}
		{
			const char *missing = es9p_info2_missing(info2);
			if (missing) {
				e = fail(c, ES9P_MALFORMED, missing);
				goto out;
			}
		}
		/* ctxParams1 is the CHOICE CtxParams1: its alternative ctxParamsForCommonAuthentication
		 * is [0] IMPLICIT SEQUENCE (automatic tags), so A0 { matchingId 80, deviceInfo A1 }. */
		if (!have_ctx) {
			e = fail(c, ES9P_MALFORMED, "ctxParams1");
			goto out;
		}
		common = ctxp;
		orsp_reader_init(&r, common.value.p, common.value.len);
		bool have_device = false;
		while (orsp_reader_remaining(&r)) {
			if (orsp_der_read(&r, &f)) {
				e = fail(c, ES9P_MALFORMED, "ctxParams1");
				goto out;
			}
			if (f.tag == 0xA1) {
				const char *bad = es9p_device_info_bad(f.value);
				if (bad) {
					e = fail(c, ES9P_MALFORMED, bad);
					goto out;
				}
				have_device = true;
			} else if (f.tag == 0x80) {
				if (f.value.len > ORSP_SMDP_MATCHING_ID_MAX) {
					e = fail(c, ES9P_MATCHING_ID, "too long");
					goto out;
				}
				/* cut at a NUL it would name another order, or none (the
				 * default SM-DP+ case) */
				if (memchr(f.value.p, 0, f.value.len)) {
					e = fail(c, ES9P_MATCHING_ID, "contains NUL");
					goto out;
				}
				memcpy(mid, f.value.p, f.value.len);
				mid[f.value.len] = '\0';
			}
		}
		if (!have_device) {
			e = fail(c, ES9P_MALFORMED, "ctxParams1: no deviceInfo");
			goto out;
		}
		/* The order: by matching ID, or the default SM-DP+ case (a profile released for
		 * this EID) when the matching ID is absent or empty (§3.1.3). Only a search that
		 * found nothing refuses: the matching ID (8.2.6/3.8) or, in the default SM-DP+
		 * case, which names no matching ID, the EID (8.1.1/3.8, as SGP.23's "un-matched
		 * EID for default SM-DP+ address" case has it; 8.2.6/3.8 until session 57), but
		 * an order of this EID that expired is refused as expired (8.8.5/4.10, SGP.22
		 * §5.6.3), as by matching ID below (it was 8.1.1/3.8); a failed search is a 500,
		 * after which the LPA may try again. */
		memset(&prof, 0, sizeof(prof));
		if (mid[0] && orsp_smdp_matching_id_check(mid)) {
			e = fail(c, ES9P_MATCHING_ID, NULL);
			goto out;
		}
		e = mid[0] ? orsp_smdp_lookup(c->s, mid, &prof)
		           : orsp_smdp_find_order(c->s, eid, &prof);
		if (!mid[0] && e == ORSP_E_NOT_FOUND) {
			orsp_err_clear();
			e = orsp_smdp_find_expired_order(c->s, eid, &prof);
			if (!e) {
				e = fail(c, ES9P_ORDER_EXPIRED, NULL);
				goto out;
			}
			if (e != ORSP_E_NOT_FOUND)
				goto out;
		}
		if (e == ORSP_E_NOT_FOUND || (!mid[0] && e == ORSP_E_USAGE)) {
			orsp_err_clear();
			e = mid[0] ? fail(c, ES9P_MATCHING_ID, NULL)
			           : fail(c, ES9P_EID_MISMATCH, "no profile released for this EID");
			goto out;
		}
		if (e)
			goto out;
		/* SGP.22 §5.6.3: 8.1.1/3.8 "EID doesn't match the expected value" */
		if (prof.eid[0] && strcmp(prof.eid, eid) != 0) {
			e = fail(c, ES9P_EID_MISMATCH, NULL);
			goto out;
		}
		/* An order its expiry ended is refused as expired (8.8.5/4.10) after the
		 * background expiry too, as it was before it (below), not as one that ended */
		if ((e = ended_by_expiry(c, &prof, &order_expired)))
			goto out;
		if (order_expired) {
			e = fail(c, ES9P_ORDER_EXPIRED, NULL);
			goto out;
		}
		/* 8.2/1.2 "Profile has not yet been released" for an order still waiting for
		 * its confirmation or release, as for one installed; an order that ended
		 * (Error, Unavailable) refuses its matching ID. One Downloaded to this eUICC
		 * (its EID was compared above) is a download the eUICC retries: the package
		 * was lost (the getBoundProfilePackage answer, the LPA with it) */
		retry = prof.state == ORSP_SMDP_DOWNLOADED && strcmp(prof.eid, eid) == 0;
		if (prof.state != ORSP_SMDP_RELEASED && !retry) {
			bool waiting = prof.state == ORSP_SMDP_ALLOCATED ||
			               prof.state == ORSP_SMDP_LINKED ||
			               prof.state == ORSP_SMDP_CONFIRMED;
			e = fail(c,
			         waiting || prof.state == ORSP_SMDP_DOWNLOADED ||
			                 prof.state == ORSP_SMDP_INSTALLED
			             ? ES9P_PROFILE_STATE
			             : ES9P_MATCHING_ID,
			         waiting ? "not released yet" : orsp_smdp_state_name(prof.state));
			goto out;
		}
		if (!retry && prof.expires_at && now_s(c) > prof.expires_at) {
			e = fail(c, ES9P_ORDER_EXPIRED, NULL);
			goto out;
		}
		/* A retry is one more download of the order, counted on the profile when it
		 * binds anew (not for the expiry: delivered in time, as getBoundProfilePackage
		 * judges a new binding); with none left it is refused now, 8.8.5/6.4 (SGP.22
		 * §5.6.3, maximum number of retries exceeded), and the profile is not touched:
		 * nothing was bound in this session, and the package already delivered may be
		 * installed, so the profile stays Downloaded and the delivered session's
		 * installation result decides (getBoundProfilePackage, which would bind, puts
		 * the profile in Error at its limit). Only the first refusal of the order writes:
		 * the operator is told (retries_refused) */
		if (retry && prof.download_attempts >= prof.download_limit) {
			e = retries_refused(c, &se, eid, &prof);
			goto out;
		}
		/* So is a new session for an order reopened at its limit (a delivery the eUICC
		 * postponed keeps its count), before the end user confirms anything: it let the
		 * session through, and getBoundProfilePackage put the profile in Error, while
		 * the package of a session the postponed retry superseded may be installed */
		if (prof.state == ORSP_SMDP_RELEASED &&
		    prof.download_attempts >= prof.download_limit) {
			e = released_at_limit(c, prof.iccid, eid);
			if (!e)
				e = fail(c, ES9P_DL_EXHAUSTED, "download retries exceeded");
			goto out;
		}
		/* The operator's platform policy (TR 33.812's platform validation) on the
		 * facts euiccSignature1 has just been verified over, and on the EUM of the
		 * verified chain; before the profile's metadata is read or anything bound. */
		{
			char why[256];
			const char *item = NULL;
			uint8_t ski[32];
			size_t ski_len = 0;
			es9p_code code;
			if (c->svc->platform.n_eum &&
			    orsp_cert_ski(eum, ski, sizeof(ski), &ski_len)) {
				orsp_err_clear(); /* an EUM without one is not in the list */
				ski_len = 0;
			}
			code = es9p_platform_refused(&c->svc->platform, info2, ski, ski_len, &item,
			                             why, sizeof(why));
			if (code != ES9P_OK) {
				e = refuse(c, &se, eid, &prof, code, why, item);
				goto out;
			}
		}
		if ((e = profile_metadata(c->svc, c->s, prof.iccid, meta, sizeof(meta), &meta_len,
		                          &needs)))
			goto out;
		needs.ppr = prof.ppr;
		needs.test_profile = prof.profile_class == ORSP_PKG_CLASS_TEST;
		{
			char why[160];
			es9p_code code =
			    es9p_ineligible(info2, prof.upp_len, &needs,
			                    c->svc->eligibility_all_services, why, sizeof(why));
			if (code != ES9P_OK) {
				e = refuse(c, &se, eid, &prof, code, why, NULL);
				goto out;
			}
		}
	}
	/* SmdpSigned2 { transactionId [0], ccRequiredFlag }, signed with DPpb over it,
	 * 5F37 40 and euiccSignature1 (§5.6.3). */
	{
		orsp_writer w;
		orsp_der_mark m;
		uint8_t flag = prof.cc_required ? 0xFF : 0x00;
		orsp_writer_init(&w, signed2, sizeof(signed2));
		m = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, tid, tid_len);
		orsp_der_put_tlv(&w, 0x01, &flag, 1);
		orsp_der_end(&w, m);
		if ((e = orsp_writer_status(&w)))
			goto out;
		memcpy(msg, signed2, w.len);
		msg[w.len] = 0x5F;
		msg[w.len + 1] = 0x37;
		msg[w.len + 2] = 0x40;
		memcpy(msg + w.len + 3, sig1, sizeof(sig1));
		if ((e = orsp_ecdsa_sign(ks->dppb_key, msg, w.len + 3 + sizeof(sig1), sig2)))
			goto out;
		/* Persist the session before answering: its row appears now. */
		snprintf(se.eid, sizeof(se.eid), "%s", eid);
		snprintf(se.iccid, sizeof(se.iccid), "%s", prof.iccid);
		snprintf(se.mid, sizeof(se.mid), "%s", prof.matching_id);
		if (f_cert.raw.len > sizeof(se.cert)) {
			e = fail(c, ES9P_EUICC_INVALID, "certificate too long");
			goto out;
		}
		memcpy(se.cert, f_cert.raw.p, f_cert.raw.len);
		se.cert_len = f_cert.raw.len;
		memcpy(se.sig1, sig1, sizeof(sig1));
		memcpy(se.sig2, sig2, sizeof(sig2));
		se.has_sig1 = se.has_sig2 = true;
		se.cc_required = prof.cc_required;
		/* Not waiting for the flush: a session lost to a power cut only makes the eUICC's
		 * getBoundProfilePackage fail as unknown, and the LPA starts over (a retry's end
		 * of the older sessions is lost with it). The profile is not touched here; what
		 * is delivered later is committed durably. */
		e = orsp_db_begin(c->db);
		if (!e) {
			e = order_still(c, &prof);
			if (!e && retry)
				e = sess_end_retried(c, &se);
			if (!e)
				e = sess_insert(c, &se, S_AUTH, NULL);
			if (e)
				orsp_db_rollback(c->db);
			else
				e = orsp_db_commit_lazy(c->db);
		}
		if (e == ORSP_E_EXISTS) {
			e = fail(c, ES9P_UNKNOWN_TID, "authenticateClient was done already");
			goto out;
		}
		if (e == ORSP_E_STATE) {
			/* the LPA starts over, and meets the order as it is now */
			char why[ORSP_ERR_DETAIL_MAX];
			orsp_err_detail_copy(why, sizeof(why));
			e = fail(c, ES9P_UNKNOWN_TID, why);
			goto out;
		}
		if (e)
			goto out;
		obj = json_object();
		if (!obj) {
			e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		{
			orsp_writer sw;
			orsp_slice cert = orsp_cert_der(ks->dppb_cert);
			orsp_writer_init(&sw, sigtlv, sizeof(sigtlv));
			put_sig(&sw, sig2);
			e = orsp_writer_status(&sw);
			if (!e)
				e = orsp_json_put_string(obj, "transactionId", tid_hex);
			if (!e)
				e = orsp_json_put_base64(obj, "profileMetadata", meta, meta_len);
			if (!e)
				e = orsp_json_put_base64(obj, "smdpSigned2", signed2, w.len);
			if (!e)
				e = orsp_json_put_base64(obj, "smdpSignature2", sigtlv, sw.len);
			if (!e)
				e = orsp_json_put_base64(obj, "smdpCertificate", cert.p, cert.len);
		}
		if (!e)
			e = reply_json(c, obj);
	}
out:
	json_decref(obj);
	if (upp)
		orsp_pkg_buf_free(upp, upp_len);
	orsp_ec_free(pub);
	orsp_cert_free(euicc);
	orsp_cert_free(eum);
	free(asr);
	sess_free(&se);
	return e;
}

/* ---------------------------------------------------------------- getBoundProfilePackage */

static orsp_err send_bpp(ctx *c, const char *tid_hex, const uint8_t *bpp, size_t len)
{
	json_t *obj = json_object();
	orsp_err e;

	if (!obj)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = orsp_json_put_string(obj, "transactionId", tid_hex);
	if (!e)
		e = orsp_json_put_base64(obj, "boundProfilePackage", bpp, len);
	if (!e)
		e = reply_json(c, obj);
	json_decref(obj);
	return e;
}

/* The AAD that binds a wrapped one-time key to its session. */
void smdp_otsk_aad(char *aad, size_t cap, const char *tid_hex)
{
	snprintf(aad, cap, "es9p:otsk:%s", tid_hex);
}

/* The BoundProfilePackage of session se for otPK.EUICC otpk under the one-time key otsk:
 * ECKA, session keys, BPP signed by DPpb (sign_in: the smdpSign of an earlier build with the
 * same key, to give the same bytes again; sign_out: receives the smdpSign used). A failure
 * is reported as it is: a fresh binding's caller then judges otPK.EUICC (1.2/2.1 when it is
 * not a point of the curve, else the SM-DP+'s own failure: memory, the crypto library, a
 * stored package or metadata that does not build, a 500); for send_bound_again the key
 * built before, so a failure is the SM-DP+'s own. */
static orsp_err build_bpp(ctx *c, const sess *se, const uint8_t *tid, size_t tid_len,
                          const uint8_t *otpk, size_t otpk_len, const orsp_ec_key *otsk,
                          const uint8_t *sign_in, uint8_t *sign_out, uint8_t **bpp_out,
                          size_t *bpp_len_out)
{
	const orsp_smdp_keyset *ks = &c->svc->sets[se->keyset];
	uint8_t meta[4096], eidb[16], *upp = NULL, *bpp = NULL;
	es9p_needs needs;
	static const uint8_t cisdp[] = {0xBF, 0x24, 0x00};
	size_t meta_len = 0, upp_len = 0, bpp_len = 0;
	orsp_writer w;
	orsp_err e;

	if ((e = orsp_smdp_get_upp(c->s, se->iccid, &upp, &upp_len)) ||
	    (e = profile_metadata(c->svc, c->s, se->iccid, meta, sizeof(meta), &meta_len,
	                          &needs)) ||
	    (e = eid_bytes(se->eid, eidb)))
		goto out;
	orsp_bsp_bpp_params p = {
	    .dppb = ks->dppb_key,
	    .smdp_otsk = otsk,
	    .euicc_otpk = orsp_slice_make(otpk, otpk_len),
	    .transaction_id = orsp_slice_make(tid, tid_len),
	    .host_id = orsp_slice_make(HOST_ID, strlen(HOST_ID)),
	    .eid = eidb,
	    .configure_isdp = orsp_slice_make(cisdp, sizeof(cisdp)),
	    .store_metadata = orsp_slice_make(meta, meta_len),
	    .profile = orsp_slice_make(upp, upp_len),
	    .ppk = NULL,
	    .smdp_sign = sign_in,
	    .smdp_sign_out = sign_out,
	};
	if ((e = orsp_bsp_bpp_size(&p, &bpp_len)))
		goto out;
	bpp = malloc(bpp_len);
	if (!bpp) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	orsp_writer_init(&w, bpp, bpp_len);
	if ((e = orsp_bsp_bpp_build(&p, &w)))
		goto out;
	*bpp_out = bpp;
	*bpp_len_out = w.len;
	bpp = NULL;
out:
	free(bpp);
	if (upp)
		orsp_pkg_buf_free(upp, upp_len);
	return e;
}

/* Whether session se has already bound otPK.EUICC otpk (a package was delivered for it) and
 * kept what rebuilding that package needs. */
static bool bound_to(const sess *se, const uint8_t *otpk, size_t otpk_len)
{
	return se->step == S_BPP && se->otsk_w_len && se->has_bsig && se->otpk_len == otpk_len &&
	       memcmp(se->otpk, otpk, otpk_len) == 0;
}

/* The package session se delivered for its bound otPK.EUICC, again: rebuilt from the kept
 * otSK.DP.ECKA and smdpSign, so the same bytes (SGP.22 §3.1.3.3). The binding it was read
 * from may be committed and not flushed yet (the first request's flush under way, or another
 * process's): the log is flushed before the package goes out, as for the first delivery, so
 * that a power cut cannot lose the binding of a package the eUICC holds (the power-loss
 * review of session 77 made it: the retry's answer sent 3 ms after the first request's, its
 * binding durable only after both; a 500 when the flush fails). */
static orsp_err send_bound_again(ctx *c, const sess *se, const uint8_t *tid, size_t tid_len,
                                 const char *tid_hex)
{
	const orsp_smdp_keyset *ks = &c->svc->sets[se->keyset];
	orsp_secret d = {0};
	orsp_ec_key *otsk = NULL;
	uint8_t *bpp = NULL;
	size_t bpp_len = 0;
	char aad[64];
	orsp_err e;

	smdp_otsk_aad(aad, sizeof(aad), tid_hex);
	if ((e = orsp_db_sync(c->db)) ||
	    (e = orsp_smdp_unwrap(c->s, aad, se->otsk_w, se->otsk_w_len, &d)) ||
	    (d.len != 32 && (e = orsp_errf(ORSP_E_MALFORMED, "stored one-time key"))) ||
	    (e = orsp_ec_from_private_scalar(orsp_ec_curve(ks->dppb_key), d.v, &otsk)))
		goto out;
	e = build_bpp(c, se, tid, tid_len, se->otpk, se->otpk_len, otsk, se->bsig, NULL, &bpp,
	              &bpp_len);
	if (!e)
		e = send_bpp(c, tid_hex, bpp, bpp_len);
out:
	orsp_secret_wipe(&d);
	free(bpp);
	orsp_ec_free(otsk);
	return e;
}

/* getBoundProfilePackage for session se whose order is no longer open to it (profile p as
 * read, order_of_session false): the session ends, and the answer is 8.8.5/4.10 for the same
 * order ended by its expiry (as before the background expiry reached it), otherwise 8.2/3.7
 * "BPP is not available for a new binding", SGP.22 §5.6.2's code for this function (lpac's
 * table gives the same text; 8.2/1.2 "Profile has not yet been released" is
 * authenticateClient's): cancelled, placed again, ended in Error, or delivered to another
 * eUICC. */
static orsp_err order_gone(ctx *c, const orsp_smdp_profile *p, const sess *se, const char *tid_hex)
{
	bool expired = false;
	orsp_err e = ORSP_OK;

	if (strcmp(p->matching_id, se->mid) == 0 && (e = ended_by_expiry(c, p, &expired)))
		return e;
	if (sess_advance(c, tid_hex, se->step, S_DONE,
	                 expired ? "order expired" : "order no longer available"))
		orsp_err_clear();
	if (expired)
		return fail(c, ES9P_ORDER_EXPIRED, NULL);
	return fail(c, ES9P_BPP_UNAVAILABLE,
	            p->state == ORSP_SMDP_DOWNLOADED && strcmp(p->matching_id, se->mid) == 0
	                ? "the profile was delivered to another eUICC"
	                : "the order of this session has ended");
}

static orsp_err get_bound_profile_package(ctx *c)
{
	uint8_t tid[TID_LEN], *pdr = NULL, sig2[ORSP_EC_SIG_LEN], msg[512];
	uint8_t otpk[ORSP_EC_POINT_LEN], hash_cc[32], *bpp = NULL, bsig[ORSP_EC_SIG_LEN];
	uint8_t otsk_w[ORSP_WRAP_MAX];
	char tid_hex[2 * TID_LEN + 1], aad[64];
	size_t tid_len = 0, pdr_len = 0, otpk_len = 0, bpp_len = 0, otsk_w_len = 0;
	orsp_secret d = {0};
	bool has_cc = false, over = false;
	orsp_tlv top, ok, s2, fsig;
	orsp_reader r;
	orsp_cert *cert = NULL;
	orsp_ec_key *pub = NULL, *otsk = NULL;
	const orsp_smdp_keyset *ks;
	sess se = {0};
	orsp_smdp_profile prof;
	bool answered = false;
	orsp_err e = ORSP_OK;

	if ((e = step_begin(c, "prepareDownloadResponse", S_AUTH, AGE_TTL, tid, &tid_len, tid_hex,
	                    &pdr, &pdr_len, &se, &answered)) ||
	    answered)
		goto out;
	/* the only step that signs with the session's key set (its later reads of the session
	 * read the same key set); the installation result and cancelSession need none */
	if (se.keyset < 0 || (size_t)se.keyset >= c->svc->n_sets) {
		e = fail(c, ES9P_UNKNOWN_TID, NULL);
		goto out;
	}
	ks = &c->svc->sets[se.keyset];
	if (orsp_der_parse_one(orsp_slice_make(pdr, pdr_len), &top) || top.tag != 0xBF21 ||
	    orsp_der_validate(top.raw, 8) || orsp_der_parse_one(top.value, &ok)) {
		e = fail(c, ES9P_MALFORMED, "prepareDownloadResponse");
		goto out;
	}
	if (ok.tag == 0xA1) {
		/* Unsigned: it ends a session only before a package was delivered. After that,
		 * only the eUICC's signed installation result or cancelSession decides (an
		 * error on a retry must not strand the delivered profile in Downloaded). One
		 * that is not this session's, or not an error of the eUICC's form, ends
		 * nothing. */
		es9p_code ec = eu_error_of(ok.value, tid, tid_len);
		if (ec) {
			e = fail(c, ec, "prepareDownloadResponseError");
			goto out;
		}
		/* a retry that ends so has decided nothing: the failure of the session it
		 * superseded, kept for it, decides in the same transaction */
		if (se.step == S_AUTH) {
			if ((e = orsp_db_begin(c->db)))
				goto out;
			e = sess_advance(c, tid_hex, se.step, S_DONE,
			                 "prepareDownloadResponseError");
			if (e == ORSP_E_STATE) { /* ended or delivered meanwhile */
				orsp_db_rollback(c->db);
				orsp_err_clear();
			} else {
				if (!e)
					e = retried_failure_decides(c->s, ttl_of(c->svc), se.iccid,
					                            se.eid, se.mid, se.tid);
				if (e)
					orsp_db_rollback(c->db);
				else
					e = orsp_db_commit(c->db);
				if (e)
					goto out;
			}
		}
		e = fail(c, ES9P_DOWNLOAD_ERROR, "the eUICC answered PrepareDownloadResponseError");
		goto out;
	}
	orsp_reader_init(&r, ok.value.p, ok.value.len);
	if (ok.tag != 0xA0 || orsp_der_expect(&r, 0x30, &s2) || orsp_der_read(&r, &fsig) ||
	    sig_of(&fsig, sig2) ||
	    orsp_der_skip_extensions(&r, ok_fields, ORSP_ARRAY_LEN(ok_fields), 8) || !se.has_sig2) {
		e = fail(c, ES9P_MALFORMED, "downloadResponseOk");
		goto out;
	}
	/* euiccSignature2 over EUICCSigned2 || 5F37 40 || smdpSignature2 (§5.6.2) */
	if (s2.raw.len + 3 + ORSP_EC_SIG_LEN > sizeof(msg)) {
		e = fail(c, ES9P_MALFORMED, "euiccSigned2 too long");
		goto out;
	}
	memcpy(msg, s2.raw.p, s2.raw.len);
	msg[s2.raw.len] = 0x5F;
	msg[s2.raw.len + 1] = 0x37;
	msg[s2.raw.len + 2] = 0x40;
	memcpy(msg + s2.raw.len + 3, se.sig2, ORSP_EC_SIG_LEN);
	{
		bool good = false;
		if ((e = euicc_sig(orsp_cert_der_public_key(se.cert, se.cert_len, &pub), &pub, msg,
		                   s2.raw.len + 3 + ORSP_EC_SIG_LEN, sig2, &good)))
			goto out;
		if (!good) {
			e = fail(c, ES9P_EUICC_SIGNATURE, NULL);
			goto out;
		}
	}
	{
		orsp_tlv f;
		bool t_ok = false;
		orsp_reader_init(&r, s2.value.p, s2.value.len);
		while (orsp_reader_remaining(&r)) {
			if (orsp_der_read(&r, &f)) {
				e = fail(c, ES9P_MALFORMED, "euiccSigned2");
				goto out;
			}
			if (f.tag == 0x80)
				t_ok = f.value.len == tid_len && memcmp(f.value.p, tid, tid_len) == 0;
			else if (f.tag == 0x5F49 && f.value.len == ORSP_EC_POINT_LEN) {
				memcpy(otpk, f.value.p, f.value.len);
				otpk_len = f.value.len;
			} else if (f.tag == 0x04) {
				/* hashCc, Octet32: another length is no code at all, not a
				 * missing one (8.2.7/2.2) nor one ignored */
				if (f.value.len != 32) {
					e = fail(c, ES9P_MALFORMED, "hashCc");
					goto out;
				}
				memcpy(hash_cc, f.value.p, 32);
				has_cc = true;
			}
		}
		if (!t_ok) {
			e = fail(c, ES9P_SERVER_CHALLENGE, "transactionId");
			goto out;
		}
		if (!otpk_len) {
			e = fail(c, ES9P_MALFORMED, "euiccOtpk");
			goto out;
		}
	}
	smdp_otsk_aad(aad, sizeof(aad), tid_hex);
	/* The profile, then the session again: another request of this session (the same
	 * request sent again by an LPA that timed out, or one with a new otPK.EUICC) may have
	 * bound and delivered since step_begin read it, so the checks below go by the session
	 * as it is after the profile was read, never by an older one against a newer profile
	 * (which took the delivery of the same request for a new download attempt over the
	 * limit, or asked the confirmation code of an order already delivered). A confirmation
	 * code check that finds the order moved on meanwhile reads both again, once.
	 * The common case, a session not delivered yet (S_AUTH) whose profile is still Released
	 * and needs no confirmation code, skips the second read: nothing below counts or
	 * writes for it, and the binding's transaction reads the session again, so a delivery
	 * meanwhile (then Downloaded) or an end of the session (a delivery then a cancelSession
	 * with postponed puts the profile back to Released) is found there (the same package
	 * again, or 8.10.1/3.9 with nothing counted). With a confirmation code the session is
	 * read again first: the check counts attempts, which an ended session must not. */
	for (int pass = 0;; pass++) {
		if ((e = orsp_smdp_get(c->s, se.iccid, &prof)))
			goto out;
		if (pass > 0 || se.step != S_AUTH || prof.state != ORSP_SMDP_RELEASED ||
		    prof.cc_required) {
			sess_free(&se);
			e = sess_load(c, tid_hex, &se, AGE_ANY_ONCE_DELIVERED);
		}
		if (e == ORSP_E_NOT_FOUND) {
			/* ended meanwhile (installation result, cancelSession, an error) */
			e = fail(c, ES9P_UNKNOWN_TID, NULL);
			goto out;
		}
		if (e)
			goto out;
		/* A retry with the same one-time key gets the same binding (SGP.22 §3.1.3.3):
		 * the same BPP, rebuilt from the kept otSK.DP.ECKA and smdpSign. It is not a
		 * new download attempt (the bytes are those already delivered), so it is not
		 * counted; a new one-time key is, below. Only while the order is still this
		 * session's and Downloaded: once a result installed the profile (another
		 * session's of the eUICC), or the order ended, it is not sent again, as a new
		 * key's binding is not (until session 56 it was, for the session's TTL). */
		if (bound_to(&se, otpk, otpk_len) && prof.state == ORSP_SMDP_DOWNLOADED &&
		    order_of_session(&prof, &se)) {
			e = send_bound_again(c, &se, tid, tid_len, tid_hex);
			goto out;
		}
		/* The order this session authenticated for, still open to it: not cancelled
		 * (and perhaps ordered again) meanwhile, and not delivered to another eUICC.
		 * Checked before the confirmation code, whose attempts another eUICC must not
		 * use up. */
		if (!order_of_session(&prof, &se)) {
			e = order_gone(c, &prof, &se, tid_hex);
			goto out;
		}
		/* An order that expired since authenticateClient is not delivered (the
		 * background expiry ends it within 30 s; until then it is still Released). A
		 * new binding after delivery is a retry of a download already made, not a new
		 * one. */
		if (prof.state == ORSP_SMDP_RELEASED && prof.expires_at &&
		    now_s(c) > prof.expires_at) {
			if (sess_advance(c, tid_hex, se.step, S_DONE, "order expired"))
				orsp_err_clear();
			e = fail(c, ES9P_ORDER_EXPIRED, NULL);
			goto out;
		}
		/* Confirmation code (§3.1.3): checked with its retry limit, as the order now
		 * asks (one cancelled and placed again under the same matching ID may have
		 * gained one), also for a session authenticated before another session of the
		 * eUICC delivered the order; not again for a new binding in a session that
		 * passed it before its delivery. */
		if (!prof.cc_required || se.step == S_BPP)
			break;
		if (!has_cc) {
			e = fail(c, ES9P_CC_MISSING, NULL);
			goto out;
		}
		e = smdp_check_cc(c->s, tid_hex, se.eid, se.mid, &prof, hash_cc, tid, tid_len);
		if (e && e != ORSP_E_VERIFY && e != ORSP_E_POLICY && e != ORSP_E_STATE &&
		    e != ORSP_E_NOT_FOUND)
			goto out; /* the store failed (a busy database, a stored code that does
			           * not decrypt): a 500, the LPA may try again */
		if (e == ORSP_E_VERIFY) {
			e = fail(c, ES9P_CC_REFUSED, NULL);
			goto out;
		}
		if (e == ORSP_E_POLICY) {
			if (sess_advance(c, tid_hex, se.step, S_DONE, "cc retries exceeded"))
				orsp_err_clear();
			e = fail(c, ES9P_CC_EXHAUSTED, NULL);
			goto out;
		}
		if (!e)
			break;
		/* The order is no longer as read (another state, one more package counted)
		 * or has no code: changed since it was read, perhaps delivered by another
		 * request of this session (then the session read again says so) */
		if (pass == 0) {
			orsp_err_clear();
			continue;
		}
		e = fail(c, ES9P_BPP_UNAVAILABLE, "the order of this session has changed");
		goto out;
	}
	/* A new binding after delivery (the LPA lost the BPP; another session of the same
	 * eUICC, authenticated while the profile was Released, delivered first; or the session
	 * is the eUICC's retry, authenticated for the Downloaded profile) counts on the
	 * profile's download counter, as the first delivery did: the counter outlives the
	 * session, which a cancelSession postponed ends while it reopens the profile, and is
	 * shared by the eUICC's sessions. One over the limit is not built: the transaction
	 * below reads the session and the profile again and refuses it there (the profile to
	 * Error), so that a request of this session that ended or bound meanwhile (a
	 * cancelSession, the same request sent again) is not taken for it. */
	over = prof.state == ORSP_SMDP_DOWNLOADED && prof.download_attempts >= prof.download_limit;
	/* Bind: one-time key pair, ECKA with otPK.EUICC, session keys, BPP signed by DPpb. The
	 * one-time key is kept wrapped under the KEK for a retry with the same otPK.EUICC. */
	if (!over) {
		if ((e = orsp_ec_generate(orsp_ec_curve(ks->dppb_key), &otsk)))
			goto out;
		e = build_bpp(c, &se, tid, tid_len, otpk, otpk_len, otsk, NULL, bsig, &bpp,
		              &bpp_len);
		/* otPK.EUICC.ECKA, the only part of the package the client gives, judged when the
		 * build fails (a point of the key set's curve, SGP.22 §2.6.4): not one, the
		 * client's fault (1.2/2.1); one, the failure is the SM-DP+'s own (500). Judged
		 * only then, as ECKA decodes it anyway on the way that succeeds. */
		if (e) {
			orsp_ec_key *k = NULL;
			char why[256];
			orsp_err pe;
			orsp_err_detail_copy(why, sizeof(why));
			pe = orsp_ec_from_public_point(orsp_ec_curve(ks->dppb_key), otpk, otpk_len,
			                               &k);
			orsp_ec_free(k);
			if (pe == ORSP_E_MALFORMED)
				e = fail(c, ES9P_MALFORMED, orsp_err_detail());
			else /* the build's own failure, logged with its detail */
				e = orsp_errf(e, "%s", why);
			goto out;
		}
		if ((e = orsp_ec_private_scalar(otsk, &d)) ||
		    (e = orsp_smdp_wrap(c->s, aad, &d, otsk_w, sizeof(otsk_w), &otsk_w_len)))
			goto out;
		orsp_secret_wipe(&d);
	}
	/* One transaction (one commit): count the attempt on the profile's counter (with its
	 * move to Downloaded, or alone for a new binding), keep the wrapped one-time key and
	 * smdpSign with the session and mark the profile Downloaded (the one-time keys of sessions
	 * that expired before they ended are dropped by the sweep). An attempt over the limit
	 * (found before the binding, or here: another session delivered meanwhile, or the Released
	 * counter ran out) marks the profile Error and commits that. */
	{
		orsp_smdp_profile p;
		orsp_stmt *st = NULL;
		bool limit = false, expired = false;
		sess cur;
		if ((e = orsp_db_begin(c->db)))
			goto out;
		/* Another request of this session with the same otPK.EUICC (the LPA sent it
		 * again while the first was served; both read the session before either bound)
		 * bound it meanwhile: that is the same-key retry above, answered with the package
		 * it delivered, not a second binding counted as a new attempt. */
		e = sess_load(c, tid_hex, &cur, AGE_ANY_ONCE_DELIVERED);
		if (e == ORSP_E_NOT_FOUND) {
			/* ended meanwhile (cancelSession, installation result): nothing is
			 * delivered, counted or marked */
			orsp_db_rollback(c->db);
			e = fail(c, ES9P_UNKNOWN_TID, NULL);
			goto out;
		}
		/* the session's step as it is now (bound with another otPK.EUICC meanwhile:
		 * this binding is a new attempt after that delivery) */
		if (!e)
			se.step = cur.step;
		if (!e)
			e = orsp_smdp_get(c->s, se.iccid, &p);
		/* as above, only while the order is still the session's and Downloaded (an
		 * installation result of another session may have come since) */
		if (!e && bound_to(&cur, otpk, otpk_len) && p.state == ORSP_SMDP_DOWNLOADED &&
		    order_of_session(&p, &se)) {
			orsp_db_rollback(c->db);
			e = send_bound_again(c, &cur, tid, tid_len, tid_hex);
			sess_free(&cur);
			goto out;
		}
		sess_free(&cur);
		if (!e && !order_of_session(&p, &se))
			e = orsp_errf(ORSP_E_STATE,
			              "profile %s: the order of this session has ended or"
			              " was delivered to another eUICC meanwhile",
			              p.iccid);
		else if (!e && p.state == ORSP_SMDP_RELEASED && p.expires_at &&
		         now_s(c) > p.expires_at) {
			/* expired since the check above (the build, a wait for the write lock):
			 * not delivered after its expiry either */
			expired = true;
			e = orsp_errf(ORSP_E_POLICY, "the order of profile %s has expired",
			              p.iccid);
		} else if (!e &&
		           (p.state == ORSP_SMDP_DOWNLOADED || p.state == ORSP_SMDP_RELEASED) &&
		           p.download_attempts >= p.download_limit) {
			/* refused (a Released one was reopened at its limit after this session
			 * authenticated); the profile to Error, but not while another session
			 * of the eUICC has its package out with no result (one authenticated in
			 * parallel, or one a retry superseded): the eUICC may hold the profile
			 * from it, whose result decides, as for the confirmation code (until
			 * session 66 the profile went to Error, and that success was `profile
			 * not downloaded`; until session 68 when Released) */
			limit = true;
			e = limit_reached(c, se.iccid, se.eid, se.mid, tid_hex);
		} else if (!e && p.state == ORSP_SMDP_DOWNLOADED) {
			if (!bpp)
				e = orsp_errf(ORSP_E_STATE, "profile %s changed meanwhile",
				              p.iccid);
			else /* counted with the count the limit was checked with: a binding
			      * of another request committed meanwhile is ORSP_E_STATE */
				e = orsp_smdp_rebind(c->s, &p, se.eid);
		} else if (!e && !bpp) {
			/* Released again since the limit was found reached (no package built) */
			e = orsp_errf(ORSP_E_STATE, "profile %s changed meanwhile", p.iccid);
		} else if (!e) {
			/* Released: delivered (the attempt counted); over the limit
			 * orsp_smdp_deliver writes the counter and Error and answers ORSP_E_POLICY,
			 * kept below */
			e = orsp_smdp_deliver(c->s, &p, se.eid);
			if (e == ORSP_E_POLICY) {
				limit = true;
				e = ORSP_OK;
			}
		}
		if (!e && !limit) {
			e = orsp_db_prepare(c->db,
			                    "UPDATE es9p_session SET step = ?1, euicc_otpk = ?2,"
			                    " otsk_wrapped = ?3, smdp_sign = ?7, updated_at = ?4"
			                    " WHERE tid = ?5 AND step IN (?6, ?1)",
			                    &st);
			if (!e)
				e = orsp_stmt_bind_int64(st, 1, S_BPP);
			if (!e)
				e = orsp_stmt_bind_blob(st, 2, otpk, otpk_len);
			/* no key for a session past the TTL by now (a request slow between its
			 * age check and here): nothing may bind with it again, and the sweep
			 * searches keys only among sessions that came of age since its last
			 * search (sweep_keys) */
			if (!e && now_s(c) - se.created_at > ttl_of(c->svc))
				e = orsp_stmt_bind_null(st, 3);
			else if (!e)
				e = orsp_stmt_bind_blob(st, 3, otsk_w, otsk_w_len);
			if (!e)
				e = orsp_stmt_bind_int64(st, 4, now_s(c));
			if (!e)
				e = orsp_stmt_bind_text(st, 5, tid_hex);
			if (!e)
				e = orsp_stmt_bind_int64(st, 6, S_AUTH);
			if (!e)
				e = orsp_stmt_bind_blob(st, 7, bsig, sizeof(bsig));
			if (!e)
				e = orsp_stmt_run(st);
			orsp_stmt_finalize(st);
			if (!e && orsp_db_changes(c->db) != 1)
				e = orsp_errf(ORSP_E_STATE, "session %s moved meanwhile", tid_hex);
		}
		if (e)
			orsp_db_rollback(c->db);
		else
			e = orsp_db_commit(c->db);
		if (expired) {
			/* nothing counted or delivered; the background expiry ends the order */
			orsp_err_clear();
			if (sess_advance(c, tid_hex, se.step, S_DONE, "order expired"))
				orsp_err_clear();
			e = fail(c, ES9P_ORDER_EXPIRED, NULL);
			goto out;
		}
		if (limit) {
			/* refused; but a refusal whose writes failed (the Error state, its audit
			 * row and report, the commit) is a 500 that leaves the session as it is, so
			 * that the LPA's next try is refused with them written (it was answered
			 * 8.8.5/6.4 with the session ended and nothing written, the profile left
			 * Downloaded with no report, until session 66). Another outcome (the
			 * profile changed meanwhile, a commit whose flush alone failed) is the
			 * refusal, as before. */
			if ((e == ORSP_E_STORAGE || e == ORSP_E_RESOURCE) &&
			    !orsp_db_unflushed(c->db, e))
				goto out;
			if (e)
				orsp_err_clear();
			if (sess_advance(c, tid_hex, se.step, S_DONE, "download retries exceeded"))
				orsp_err_clear();
			e = fail(c, ES9P_DL_EXHAUSTED, NULL);
			goto out;
		}
		if (e == ORSP_E_STATE) {
			/* the order ended or went to another eUICC since it was read (then as
			 * above), or changed otherwise */
			char why[256];
			orsp_err_detail_copy(why, sizeof(why));
			orsp_err_clear();
			if ((e = orsp_smdp_get(c->s, se.iccid, &prof)))
				goto out;
			e = order_of_session(&prof, &se) ? fail(c, ES9P_BPP_UNAVAILABLE, why)
			                                 : order_gone(c, &prof, &se, tid_hex);
			goto out;
		}
		if (e)
			goto out;
	}
	e = send_bpp(c, tid_hex, bpp, bpp_len);
out:
	orsp_secret_wipe(&d);
	free(bpp);
	orsp_ec_free(otsk);
	orsp_ec_free(pub);
	orsp_cert_free(cert);
	/* euiccSigned2 holds hashCc: with the transactionId, a short code is found (so in the
	 * decoded request, the message its signature covers, and the copy checked) */
	orsp_wipe_free(pdr);
	orsp_wipe(msg, sizeof(msg));
	orsp_wipe(hash_cc, sizeof(hash_cc));
	sess_free(&se);
	return e;
}

/* ---------------------------------------------------------------- notifications --------- */

/* The judgments of notifications whose signature was not verified, as SQL terms on the
 * stored row, the row in place (an upsert) and the one arriving: ES9P_UNVERIFIED_RESULT, also
 * the partial index's term (es9p migration 10); unverified() below lists the same. */
#define UNVERIFIED_ROW ES9P_UNVERIFIED_RESULT("result")
#define UNVERIFIED_KEPT ES9P_UNVERIFIED_RESULT("es9p_notification.result")
#define UNVERIFIED_NEW ES9P_UNVERIFIED_RESULT("excluded.result")
#define DEFAULT_MAX_UNVERIFIED 10000
/* Unverified records are pruned to the limit every PRUNE_EVERY-th one a process records, so
 * at most limit + PRUNE_EVERY - 1 per process exist between two prunings. */
#define PRUNE_EVERY 32
static atomic_uint unverified_recorded;

static bool unverified(const char *result)
{
	static const char *const u[] = {"bad signature", "certificate refused", "unknown session",
	                                "wrong smdpOid"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(u); i++)
		if (strcmp(result, u[i]) == 0)
			return true;
	return false;
}

/* Deletes all but the newest `keep` unverified records: the oldest beyond the number kept
 * (es9p migration 14's count), through the partial index, which is walked for those only. */
static orsp_err prune_unverified(ctx *c, size_t keep)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(c->db, ES9P_SQL_PRUNE_UNVERIFIED, &st);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, (int64_t)keep);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

/* A verified notification recorded before under the same EID and seqNumber (seq_reused). */
typedef struct seq_prior {
	char event[16], iccid[21], result[64];
} seq_prior;

/* Whether eUICC eid signed, before this verified notification (seqNumber seq, event, iccid),
 * another one with the same seqNumber and another event or ICCID, recorded verified: *reused
 * and that one in *prior. The eUICC numbers its notifications with one counter of its own
 * (NotificationMetadata.seqNumber; openrsp's eUICC: next_seq in es10_isdr.c), which only goes
 * up, so two notifications it signed under one number are proof that its state was put back
 * (a copy of its storage restored) or that another eUICC holds its key. A number below the
 * highest seen is no such proof: notifications held back reach the SM-DP+ later, and each
 * SM-DP+ gets only those of its own profiles. The same notification sent again (its 204
 * lost) finds its own row first, and is no reuse. Only verified rows count: anyone can send
 * a notification that fails verification, under any number. The search goes through the
 * table's UNIQUE (eid, seq, event) index. */
static orsp_err seq_reused(ctx *c, const char *eid, const char *iccid, const char *event,
                           uint64_t seq, bool *reused, seq_prior *prior)
{
	orsp_stmt *st = NULL;
	bool row = false;
	orsp_err e;

	*reused = false;
	e = orsp_db_prepare(c->db,
	                    "SELECT event, iccid, result FROM es9p_notification WHERE eid = ?1 AND"
	                    " seq = ?2 AND NOT " UNVERIFIED_ROW " ORDER BY event = ?3 AND"
	                    " iccid = ?4 DESC, id LIMIT 1",
	                    &st);
	if (!e)
		e = orsp_stmt_bind_text(st, 1, eid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, (int64_t)seq);
	if (!e)
		e = orsp_stmt_bind_text(st, 3, event);
	if (!e)
		e = orsp_stmt_bind_text(st, 4, iccid);
	if (!e)
		e = orsp_stmt_step(st, &row);
	if (!e && row) {
		snprintf(prior->event, sizeof(prior->event), "%s", orsp_stmt_column_text(st, 0));
		snprintf(prior->iccid, sizeof(prior->iccid), "%s", orsp_stmt_column_text(st, 1));
		snprintf(prior->result, sizeof(prior->result), "%s", orsp_stmt_column_text(st, 2));
		*reused = strcmp(prior->event, event) != 0 || strcmp(prior->iccid, iccid) != 0;
	}
	orsp_stmt_finalize(st);
	return e;
}

/* The seqNumber reuse found by seq_reused, for the operator: the audit row, and the reply's
 * flag and note (the server's warning line and counter). */
static orsp_err report_seq_reused(ctx *c, const char *eid, const char *iccid, const char *event,
                                  uint64_t seq, const char *result, const seq_prior *prior)
{
	char detail[512];

	snprintf(detail, sizeof(detail),
	         "eUICC %s signed seqNumber %llu twice: %s of %s (recorded %s), now %s of %s"
	         " (recorded %s); its state was rolled back, or it was cloned",
	         eid, (unsigned long long)seq, prior->event,
	         prior->iccid[0] ? prior->iccid : "no ICCID", prior->result, event,
	         iccid[0] ? iccid : "no ICCID", result);
	c->out->sequence_reused = true;
	snprintf(c->out->note, sizeof(c->out->note),
	         "seqNumber %llu reused: %s of %s, then %s of %s", (unsigned long long)seq,
	         prior->event, prior->iccid[0] ? prior->iccid : "-", event, iccid[0] ? iccid : "-");
	return smdp_audit_seq_reused(c->s, iccid[0] ? iccid : prior->iccid, detail);
}

static orsp_err record_notification(ctx *c, const char *eid, const char *iccid,
                                    const char *event, uint64_t seq, const char *tid,
                                    const char *result)
{
	orsp_stmt *st = NULL;
	size_t keep = c->svc->max_unverified_notifications;
	bool unv = unverified(result), reused = false;
	seq_prior prior;
	orsp_err e = ORSP_OK;

	if (unv && keep == ORSP_SMDP_KEEP_NO_UNVERIFIED)
		return ORSP_OK;
	if (keep == 0)
		keep = DEFAULT_MAX_UNVERIFIED;
	if (!unv && eid[0] && (e = seq_reused(c, eid, iccid, event, seq, &reused, &prior)))
		return e;
	if (reused) {
		/* recorded and reported, the notification answered as any other (204): an
		 * otherSignedNotification that would be accepted is not, as its eUICC's word on
		 * its state is worth nothing now (`sequence reused`, which
		 * orsp_es9p_notification_count leaves out). An installation result is applied as
		 * judged: its transactionId binds it to the session that delivered the package,
		 * which this eUICC (or its copy) holds. The audit row and the record are one
		 * transaction (a nested one in the installation result's). */
		if (!tid && strcmp(result, "accepted") == 0)
			result = "sequence reused";
		if ((e = orsp_db_begin(c->db)))
			return e;
		e = report_seq_reused(c, eid, iccid, event, seq, result, &prior);
	}
	/* Once per (EID, seqNumber, event): a resent notification is not recorded twice. A
	 * record that failed verification gives way to a verified one, so an unverified copy
	 * sent first cannot take the place of the genuine notification. A verified one of the
	 * same EID, number and event but another ICCID (seq_reused) is not recorded: its audit
	 * row names it. */
	if (!e)
		e = orsp_db_prepare(c->db,
		                    "INSERT INTO es9p_notification (received_at, eid, iccid,"
		                    " event, seq, tid, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		                    " ON CONFLICT (eid, seq, event) DO UPDATE SET"
		                    " received_at = excluded.received_at, iccid = excluded.iccid,"
		                    " tid = excluded.tid, result = excluded.result"
		                    " WHERE " UNVERIFIED_KEPT " AND NOT " UNVERIFIED_NEW,
		                    &st);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, now_s(c));
	if (!e)
		e = orsp_stmt_bind_text(st, 2, eid);
	if (!e)
		e = orsp_stmt_bind_text(st, 3, iccid);
	if (!e)
		e = orsp_stmt_bind_text(st, 4, event);
	if (!e)
		e = orsp_stmt_bind_int64(st, 5, (int64_t)seq);
	if (!e)
		e = orsp_stmt_bind_text(st, 6, tid ? tid : "");
	if (!e)
		e = orsp_stmt_bind_text(st, 7, result);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (reused) {
		if (e)
			orsp_db_rollback(c->db);
		else
			e = orsp_db_commit(c->db);
	}
	if (!e && unv && atomic_fetch_add(&unverified_recorded, 1) % PRUNE_EVERY == PRUNE_EVERY - 1)
		e = prune_unverified(c, keep);
	return e;
}

/* NotificationMetadata (BF2F): seqNumber [0], profileManagementOperation [1], address, iccid */
static orsp_err parse_meta(orsp_slice v, uint64_t *seq, const char **event, char iccid[21],
                           orsp_slice *address)
{
	orsp_reader r;
	orsp_tlv f;
	bool have_seq = false, have_op = false;

	iccid[0] = '\0';
	if (address)
		*address = (orsp_slice){0};
	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f))
			return ORSP_E_MALFORMED;
		if (f.tag == 0x80) {
			/* kept as SQLite's signed 64-bit integer, part of the key that tells a
			 * repeated notification: a number past INT64_MAX (no eUICC counts so far)
			 * would be stored as another */
			if (orsp_der_uint(f.value, seq) || *seq > INT64_MAX) {
				orsp_err_clear();
				return ORSP_E_MALFORMED;
			}
			have_seq = true;
		} else if (f.tag == 0x81 && f.value.len == 2) {
			/* profileManagementOperation: DER, its unused bits zero */
			uint8_t b = 0;
			size_t nbits;
			if (orsp_der_bits_octet(f.value, &b, &nbits)) {
				orsp_err_clear();
				return ORSP_E_MALFORMED;
			}
			*event = b & 0x80 ? "install" : b & 0x40 ? "enable" : b & 0x20 ? "disable"
			                                        : b & 0x10 ? "delete" : "unknown";
			have_op = true;
		} else if (f.tag == 0x5A && f.value.len == 10) {
			if (orsp_iccid_decode_ef(f.value.p, iccid))
				iccid[0] = '\0';
		} else if (f.tag == 0x0C && address)
			*address = f.value; /* notificationAddress */
	}
	return have_seq && have_op ? ORSP_OK : ORSP_E_MALFORMED;
}

/* ErrorReason (SGP.22 §5.5.1, ProfileInstallationResult) */
#define PIR_INVALID_TRANSACTION_ID 3
#define PIR_ICCID_ALREADY_EXISTS 9

/* Keep the failed installation result pir with session tid, for retried_failure_decides. */
static orsp_err sess_keep_pir(ctx *c, const char *tid, orsp_slice pir)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(c->db, "UPDATE es9p_session SET pir = ?1 WHERE tid = ?2", &st);

	if (!e)
		e = orsp_stmt_bind_blob(st, 1, pir.p, pir.len);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, tid);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

/* Whether session tid ended by ES2+ cancelOrder with its package out, no result since. */
static orsp_err cancelled_delivered(ctx *c, const char *tid, bool *yes)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(c->db,
	                             "SELECT 1 FROM es9p_session WHERE tid = ?1 AND step = ?2"
	                             " AND end_reason = '" END_CANCELLED_DELIVERED "'",
	                             &st);

	*yes = false;
	if (!e)
		e = orsp_stmt_bind_text(st, 1, tid);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, S_DONE);
	if (!e)
		e = orsp_stmt_step(st, yes);
	orsp_stmt_finalize(st);
	return e;
}

/* The verified installation result of session se (tid), which had delivered its package
 * when ES2+ cancelOrder made the profile Unavailable (END_CANCELLED_DELIVERED), in
 * handle_pir's transaction. The profile stays Unavailable (the order is ended), but the
 * operator, told it was cancelled, may be billing for or answering to a subscription live
 * on that eUICC: the result is audited and reported (point 4, as it would have been of the
 * Downloaded profile: smdp_report_pir_after_cancel) and the server warns (reply flag
 * result_after_cancel). Once per result: the session's end_reason records it, and the same
 * result sent again is `session ended`. As for a Downloaded profile, an eUICC's "no session
 * of this transactionId" says nothing of the package (`no session on the eUICC`, the session
 * waits on); of two packages of the order out, a failure while the other has not reported
 * is `installation failed, another package still out`, and after the other's success any
 * result is `profile not downloaded`, unreported. A profile no longer Unavailable under that
 * order to that eUICC: `session ended`, as before (until session 75 every such result was
 * `session ended`, not audited nor reported). */
static orsp_err result_after_cancel(ctx *c, const sess *se, const char *event, uint64_t seq,
                                    bool success, uint64_t err_cmd, uint64_t err_why,
                                    orsp_slice pir)
{
	orsp_smdp_profile p;
	bool other_ok = false, other_out = false;
	const char *judged;
	orsp_err e;

	if (!success && err_cmd == 0 && err_why == PIR_INVALID_TRANSACTION_ID)
		return record_notification(c, se->eid, se->iccid, event, seq, se->tid,
		                           "no session on the eUICC");
	e = orsp_smdp_get(c->s, se->iccid, &p);
	if (e && e != ORSP_E_NOT_FOUND)
		return e;
	if (e || p.state != ORSP_SMDP_UNAVAILABLE || strcmp(p.matching_id, se->mid) != 0 ||
	    strcmp(p.eid, se->eid) != 0) {
		orsp_err_clear();
		return record_notification(c, se->eid, se->iccid, event, seq, se->tid,
		                           "session ended");
	}
	e = session_ended(c, se->iccid, se->eid, se->mid, END_CANCELLED_INSTALLED, se->tid,
	                  &other_ok);
	if (!e && !success && !other_ok)
		e = session_ended(c, se->iccid, se->eid, se->mid, END_CANCELLED_DELIVERED, se->tid,
		                  &other_out);
	if (!e)
		e = sess_advance(c, se->tid, S_DONE, S_DONE,
		                 success ? END_CANCELLED_INSTALLED : END_CANCELLED_FAILED);
	if (e)
		return e;
	if (other_ok)
		judged = "profile not downloaded";
	else if (other_out)
		judged = "installation failed, another package still out";
	else {
		if ((e = smdp_report_pir_after_cancel(c->s, se->iccid, se->mid, se->eid, success,
		                                      pir.p, pir.len)))
			return e;
		judged =
		    success ? "installed, order cancelled" : "installation failed, order cancelled";
		c->out->result_after_cancel = true;
		snprintf(c->out->note, sizeof(c->out->note),
		         "profile %s %s on eUICC %s after cancelOrder made it unavailable",
		         se->iccid, success ? "installed" : "failed to install", se->eid);
	}
	return record_notification(c, se->eid, se->iccid, event, seq, se->tid, judged);
}

static orsp_err handle_pir(ctx *c, const orsp_tlv *pir)
{
	orsp_tlv data, fsig, f, meta = {0}, result = {0};
	orsp_reader r;
	uint8_t sig[ORSP_EC_SIG_LEN], oid[64];
	char tid_hex[2 * TID_LEN + 1] = "", iccid[21];
	const char *event = "install";
	uint64_t seq = 0;
	bool oid_ok = true, success = false;
	uint64_t err_cmd = UINT64_MAX, err_why = UINT64_MAX;
	size_t oid_len = 0;
	orsp_cert *cert = NULL;
	orsp_ec_key *pub = NULL;
	sess se = {0};
	orsp_err e = ORSP_OK;

	orsp_reader_init(&r, pir->value.p, pir->value.len);
	if (orsp_der_expect(&r, 0xBF27, &data) || orsp_der_read(&r, &fsig) || sig_of(&fsig, sig))
		return ORSP_E_MALFORMED;
	orsp_reader_init(&r, data.value.p, data.value.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f))
			return ORSP_E_MALFORMED;
		if (f.tag == 0x80 && f.value.len >= 1 && f.value.len <= TID_LEN) {
			if (orsp_hex_encode(f.value.p, f.value.len, tid_hex, sizeof(tid_hex)))
				return ORSP_E_MALFORMED;
			for (char *p = tid_hex; *p; p++)
				if (*p >= 'a' && *p <= 'f')
					*p = (char)(*p - 'a' + 'A');
		} else if (f.tag == 0xBF2F)
			meta = f;
		else if (f.tag == 0x06) {
			if (smdp_oid_der(c->svc->oid, oid, sizeof(oid), &oid_len) == ORSP_OK)
				oid_ok = f.value.len == oid_len && memcmp(f.value.p, oid, oid_len) == 0;
		} else if (f.tag == 0xA2)
			result = f;
	}
	if (!tid_hex[0] || !meta.raw.p || !result.raw.p ||
	    parse_meta(meta.value, &seq, &event, iccid, NULL))
		return ORSP_E_MALFORMED;
	snprintf(c->out->transaction_id, sizeof(c->out->transaction_id), "%s", tid_hex);
	/* An installation result may come late (the LPA keeps it until it can send it): a
	 * session that delivered a package takes it at any age, also once a retry of the eUICC
	 * superseded it (the eUICC may have loaded its package before the retry). A session that
	 * could not be read is not an unknown one: a 500, so the LPA keeps the result and sends it
	 * again (a 204 would make it delete it). */
	e = sess_load(c, tid_hex, &se, AGE_RESULT);
	if (e && e != ORSP_E_NOT_FOUND)
		goto out;
	if (e || (se.step != S_BPP && se.step != S_RETRIED && se.step != S_DONE)) {
		orsp_err_clear();
		e = record_notification(c, "", iccid, event, seq, tid_hex, "unknown session");
		goto out;
	}
	snprintf(c->out->eid, sizeof(c->out->eid), "%s", se.eid);
	{
		bool good = false;
		if ((e = euicc_sig(orsp_cert_der_public_key(se.cert, se.cert_len, &pub), &pub,
		                   data.raw.p, data.raw.len, sig, &good)))
			goto out;
		if (!good || !oid_ok) {
			e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
			                        oid_ok ? "bad signature" : "wrong smdpOid");
			goto out;
		}
	}
	{
		orsp_tlv choice;
		success = orsp_der_parse_one(result.value, &choice) == ORSP_OK && choice.tag == 0xA0;
	}
	/* "no session of this transactionId" at initialiseSecureChannel: an eUICC signs that for
	 * any transactionId an LPA names while it has no download session (its reset between
	 * PrepareDownload and the load; or an LPA asking it after the package installed, whose
	 * success result it then holds back). No word on the package's fate: recorded, and the
	 * session keeps its package out, so that its success, a retry of the eUICC or the
	 * operator's cancelOrder decides; a session a retry superseded stays so too. It moved
	 * the profile to Error, which is final, for a profile the eUICC may hold
	 * (test_pir_no_session, test_pir_no_session_retried). */
	if (!success)
		(void)smdp_pir_error(result.value, &err_cmd, &err_why);
	if (!success && (se.step == S_BPP || se.step == S_RETRIED) && err_cmd == 0 &&
	    err_why == PIR_INVALID_TRANSACTION_ID) {
		e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
		                        "no session on the eUICC");
		goto out;
	}
	/* ended (its own result, sent again; its cancelSession): the eUICC's word is recorded,
	 * for no order. One whose order was cancelled after its delivery is judged in the
	 * transaction below (result_after_cancel). */
	if (se.step == S_DONE) {
		bool late = false;
		if ((e = cancelled_delivered(c, tid_hex, &late)))
			goto out;
		if (!late) {
			e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
			                        "session ended");
			goto out;
		}
	}
	/* the session's end, the profile's state and the record: one transaction, given up
	 * whole if a part fails (so the state change needs no savepoint of its own). The
	 * session ends first, from its step as it is now: one that another request ended since
	 * it was read (its cancelSession, the same result sent again) changes no profile, which
	 * may have been reopened and delivered again meanwhile; one that a retry superseded
	 * meanwhile is judged as such. A superseded session's success is the eUICC's word that
	 * it holds the profile: Installed, as from the retry's own result (whose package the
	 * eUICC then refuses, and whose result comes second). Its failure changes nothing: the
	 * retry, still under way, decides; nor does the failure of one of two parallel sessions
	 * while the other's package is out. */
	if ((e = orsp_db_begin_flat(c->db)))
		goto out;
	{
		sess cur;
		e = sess_load(c, tid_hex, &cur, AGE_RESULT);
		se.step = cur.step;
		sess_free(&cur);
	}
	if (e == ORSP_E_NOT_FOUND || (!e && se.step == S_DONE)) /* cancelled meanwhile */
		e = ORSP_E_STATE;
	if (!e)
		e = sess_advance(c, tid_hex, se.step, S_DONE,
		                 success            ? "installed"
		                 : se.step == S_BPP ? "installation failed"
		                                    : "installation failed, retried since");
	if (e == ORSP_E_STATE) {
		/* ended since it was read, or before: by cancelOrder after its delivery (also
		 * while this result waited for the write lock), or otherwise */
		bool late = false;
		orsp_err_clear();
		e = cancelled_delivered(c, tid_hex, &late);
		if (!e && late)
			e = result_after_cancel(c, &se, event, seq, success, err_cmd, err_why,
			                        pir->raw);
		else if (!e)
			e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
			                        "session ended");
		goto done;
	}
	/* the failure of a session a retry superseded: the retry decides, while it is live (it
	 * may still deliver). One that ended without deciding (its confirmation code used up,
	 * or rejected by the end user, while this session's package was out) left the decision
	 * to this result: applied below (the profile stayed Downloaded for good, until session
	 * 56). While a retry is live, the result is kept with this session: should the retry
	 * end without deciding after all (past its TTL without a package, cancelled or refused
	 * before its delivery), it decides then (retried_failure_decides) */
	if (!e && se.step == S_RETRIED && !success) {
		bool live = false, waits = false;
		orsp_smdp_profile now;
		e = orsp_smdp_get(c->s, se.iccid, &now);
		if (e == ORSP_E_NOT_FOUND) {
			orsp_err_clear();
			e = ORSP_OK;
			live = true;
		} else if (!e && now.state != ORSP_SMDP_DOWNLOADED) {
			/* the profile has left Downloaded: the retry's result came first
			 * (Installed, Error), the order was cancelled, or a retry postponed after
			 * its delivery reopened it (Released: downloadable again). Nothing to
			 * decide: `profile not downloaded`, as for any session's result then (it
			 * was `retried` until session 66, which docs/smdp-es9p.md says of a result
			 * while the retry is live) */
			e = ORSP_E_STATE;
			goto not_downloaded;
		}
		waits = !e && !live && order_of_session(&now, &se);
		/* another superseded session with its package out (a retry that delivered and
		 * was retried in turn) counts too: its result may still be the success (until
		 * session 65 this failure put the profile in Error, and that success was `profile
		 * not downloaded`) */
		if (!e && !live)
			e = order_undecided(c->db, se.iccid, se.eid, se.mid, se.tid,
			                    now_s(c) - ttl_of(c->svc), &live);
		if (!e && live) {
			e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
			                        "retried");
			if (!e && waits)
				e = sess_keep_pir(c, tid_hex, pir->raw);
			goto done;
		}
	}
	/* installFailedDueToIccidAlreadyExistsOnEuicc from a retry, while the session it
	 * superseded has delivered its package and not reported: the eUICC holds this ICCID,
	 * from that package (its success result held back, then the retry). The retry's session
	 * ends; the profile stays Downloaded for the earlier session's result (it went to
	 * Error, and that success was `profile not downloaded`; test_pir_iccid_exists).
	 * Without such a session it is a failure as the others. */
	if (!e && !success && err_why == PIR_ICCID_ALREADY_EXISTS) {
		bool earlier = false;
		e = other_at(c, &se, S_RETRIED, &earlier);
		if (!e && earlier) {
			e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
			                        "ICCID already on the eUICC");
			goto done;
		}
	}
	if (!e && !success) {
		/* a failure while another session of this eUICC and order still has its package
		 * out (parallel sessions, both delivered): that one's result or cancel decides,
		 * as for a cancelSession after delivery */
		bool other = false;
		e = other_at(c, &se, S_BPP, &other);
		if (!e && other) {
			e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
			                        "installation failed, another package still out");
			goto done;
		}
	}
	if (!e)
		e = orsp_smdp_mark_pir(c->s, se.iccid, se.mid, se.eid, success, pir->raw.p,
		                       pir->raw.len);
not_downloaded:
	if (e == ORSP_E_STATE) {
		/* the profile has left Downloaded meanwhile (a result of another session of
		 * this eUICC came first), or is no longer this session's order (cancelled and
		 * placed again, delivered to another eUICC): recorded, and the session ends;
		 * still 204 */
		orsp_db_rollback(c->db);
		orsp_err_clear();
		if ((e = orsp_db_begin_flat(c->db)))
			goto out;
		if (sess_advance(c, tid_hex, se.step, S_DONE, "profile not downloaded"))
			orsp_err_clear();
		e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
		                        "profile not downloaded");
	} else if (!e)
		e = record_notification(c, se.eid, se.iccid, event, seq, tid_hex,
		                        success ? "installed" : "installation failed");
done:
	if (e)
		orsp_db_rollback(c->db);
	else
		e = orsp_db_commit(c->db);
out:
	orsp_ec_free(pub);
	orsp_cert_free(cert);
	sess_free(&se);
	return e;
}

static orsp_err handle_other(ctx *c, const orsp_tlv *n)
{
	orsp_tlv meta, fsig, fcert, feum;
	orsp_reader r;
	uint8_t sig[ORSP_EC_SIG_LEN];
	char eid[33] = "", iccid[21];
	const char *event = "unknown";
	uint64_t seq = 0;
	orsp_cert *euicc = NULL, *eum = NULL;
	orsp_ec_key *pub = NULL;
	orsp_slice addr;
	const char *result = "accepted";
	es9p_code rev;
	bool good = false;
	orsp_err e;

	orsp_reader_init(&r, n->value.p, n->value.len);
	if (orsp_der_expect(&r, 0xBF2F, &meta) || orsp_der_read(&r, &fsig) || sig_of(&fsig, sig) ||
	    orsp_der_expect(&r, 0x30, &fcert) || orsp_der_expect(&r, 0x30, &feum) ||
	    parse_meta(meta.value, &seq, &event, iccid, &addr))
		return ORSP_E_MALFORMED;
	if ((e = orsp_cert_parse(fcert.raw.p, fcert.raw.len, &euicc)) == ORSP_OK &&
	    (e = orsp_cert_parse(feum.raw.p, feum.raw.len, &eum)) == ORSP_OK)
		e = orsp_rsp_verify_euicc_chain(c->svc->cis, eum, euicc, 0, eid);
	if (smdp_internal_error(e))
		goto out; /* not judged (out of memory): a 500, the LPA sends it again */
	if (e)
		result = "certificate refused";
	else if ((rev = revocation(c, ci_of(c, eum), eum, feum.raw, fcert.raw)) == ES9P_INTERNAL) {
		/* its status unknown (a CRL past its nextUpdate, not yet valid or not verifying):
		 * the SM-DP+'s own failure, a 500 after which the LPA keeps the notification and
		 * sends it again, as authenticateClient answers 1.2/4.2 (it was recorded
		 * "certificate refused" and answered 204, and the LPA removed a genuine
		 * notification for good) */
		e = ORSP_E_STATE;
		goto out;
	} else if (rev != ES9P_OK)
		/* revoked: one of the results pruned as unverified */
		result = "certificate refused";
	else if ((e = euicc_sig(orsp_cert_public_key(euicc, &pub), &pub, meta.raw.p, meta.raw.len,
	                        sig, &good)))
		goto out; /* not judged: a 500, the LPA sends it again */
	else if (!good)
		result = "bad signature";
	else if (addr.len != strlen(c->svc->fqdn) ||
	         strncasecmp((const char *)addr.p, c->svc->fqdn, addr.len) != 0)
		/* genuine, but addressed to another SM-DP+ (the notificationAddress the profile's
		 * metadata gave, compared as initiateAuthentication compares smdpAddress): not
		 * this SM-DP+'s to accept */
		result = "other SM-DP+";
	else if (!iccid[0])
		/* without an ICCID it is not shown to be about a profile of this SM-DP+ */
		result = "unknown profile";
	else {
		/* a genuine eUICC, but is the profile its own? One this SM-DP+ delivered to
		 * another EID is not (a copy, or an eUICC speaking of what it does not hold),
		 * nor one it delivered to no eUICC */
		orsp_smdp_profile p;
		e = orsp_smdp_get(c->s, iccid, &p);
		if (e == ORSP_E_STORAGE || e == ORSP_E_RESOURCE)
			goto out;
		if (e)
			result = "unknown profile";
		else if (!p.eid[0])
			result = "profile not delivered";
		else if (strcmp(p.eid, eid) != 0)
			result = "profile of another eUICC";
		else if (p.download_attempts == 0)
			/* ordered for this eUICC, but no package was ever delivered: it does not
			 * hold the profile (it was `accepted`) */
			result = "profile not delivered";
	}
	snprintf(c->out->eid, sizeof(c->out->eid), "%s", eid);
	e = record_notification(c, eid, iccid, event, seq, NULL, result);
out:
	orsp_ec_free(pub);
	orsp_cert_free(euicc);
	orsp_cert_free(eum);
	return e;
}

/* handleNotification answers 204 to every notification that parses, verified or not
 * (§5.6.4): the eUICC has nothing to do with an answer; what was received and how it was
 * judged is recorded. One that does not parse is answered 1.2/2.1, as any malformed request,
 * and not recorded. A storage failure, or a certificate whose revocation status is unknown,
 * is a 500, after which the LPA keeps the notification and sends it again. */
static orsp_err handle_notification(ctx *c)
{
	uint8_t *pn = NULL;
	size_t len = 0;
	orsp_tlv t;
	orsp_err e;

	if (orsp_json_get_base64_alloc(c->req, "pendingNotification", MAX_B64_FIELD, &pn, &len))
		return fail(c, ES9P_MALFORMED, orsp_err_detail());
	if (orsp_der_parse_one(orsp_slice_make(pn, len), &t) || orsp_der_validate(t.raw, 16) ||
	    (t.tag != 0xBF37 && t.tag != 0x30)) {
		free(pn);
		return fail(c, ES9P_MALFORMED, "pendingNotification");
	}
	e = t.tag == 0xBF37 ? handle_pir(c, &t) : handle_other(c, &t);
	free(pn);
	if (e == ORSP_E_MALFORMED)
		return fail(c, ES9P_MALFORMED, "pendingNotification");
	if (e)
		return e;
	c->out->http_status = 204;
	return ORSP_OK;
}

orsp_err orsp_es9p_notification_count(orsp_smdp *s, const char *iccid, const char *event,
                                      size_t *n)
{
	orsp_stmt *st = NULL;
	bool row = false;
	orsp_err e;

	if (!s || !n)
		return orsp_errf(ORSP_E_USAGE, "es9p: bad arguments");
	e = orsp_db_prepare(orsp_smdp_db(s),
	                    "SELECT count(*) FROM es9p_notification WHERE result IN"
	                    " ('accepted', 'installed', 'installation failed')"
	                    " AND (?1 IS NULL OR iccid = ?1) AND (?2 IS NULL OR event = ?2)",
	                    &st);
	if (!e)
		e = iccid ? orsp_stmt_bind_text(st, 1, iccid) : orsp_stmt_bind_null(st, 1);
	if (!e)
		e = event ? orsp_stmt_bind_text(st, 2, event) : orsp_stmt_bind_null(st, 2);
	if (!e)
		e = orsp_stmt_step(st, &row);
	if (!e)
		*n = row ? (size_t)orsp_stmt_column_int64(st, 0) : 0;
	orsp_stmt_finalize(st);
	return e;
}

/* ---------------------------------------------------------------- cancelSession --------- */

static orsp_err cancel_session(ctx *c)
{
	uint8_t tid[TID_LEN], *csr = NULL, sig[ORSP_EC_SIG_LEN], oid[64];
	char tid_hex[2 * TID_LEN + 1];
	size_t tid_len = 0, csr_len = 0, oid_len = 0;
	orsp_tlv top, ok, sd, fsig, f;
	orsp_reader r;
	orsp_cert *cert = NULL;
	orsp_ec_key *pub = NULL;
	uint64_t reason = 0;
	bool t_ok = false, o_ok = false, r_ok = false;
	sess se = {0};
	json_t *obj = NULL;
	bool answered = false;
	orsp_err e = ORSP_OK;

	/* Before delivery within the TTL, after it at any age, as for the installation result:
	 * the cancel of a delivered package (postponed, timeout) is what makes its profile
	 * downloadable again. */
	if ((e = step_begin(c, "cancelSessionResponse", S_AUTH, AGE_ANY_ONCE_DELIVERED, tid,
	                    &tid_len, tid_hex, &csr, &csr_len, &se, &answered)) ||
	    answered)
		goto out;
	/* CancelSessionResponse ::= [65] CHOICE { ok [0] { euiccCancelSessionSigned,
	 * signature 5F37 }, error [1] INTEGER } */
	if (orsp_der_parse_one(orsp_slice_make(csr, csr_len), &top) || top.tag != 0xBF41 ||
	    orsp_der_validate(top.raw, 8) || orsp_der_parse_one(top.value, &ok) ||
	    (ok.tag != 0xA0 && ok.tag != 0x81)) {
		e = fail(c, ES9P_MALFORMED, "cancelSessionResponse");
		goto out;
	}
	/* the eUICC's own error answer (invalidTransactionId, undefinedError): well formed, and
	 * answered as its other error answers are; unsigned, so it ends nothing */
	if (ok.tag == 0x81) {
		e = fail(c, ES9P_DOWNLOAD_ERROR, "cancelSessionResponseError");
		goto out;
	}
	orsp_reader_init(&r, ok.value.p, ok.value.len);
	if (orsp_der_expect(&r, 0x30, &sd) || orsp_der_read(&r, &fsig) || sig_of(&fsig, sig) ||
	    orsp_der_skip_extensions(&r, ok_fields, ORSP_ARRAY_LEN(ok_fields), 8)) {
		e = fail(c, ES9P_MALFORMED, "cancelSessionResponseOk");
		goto out;
	}
	{
		bool good = false;
		if ((e = euicc_sig(orsp_cert_der_public_key(se.cert, se.cert_len, &pub), &pub,
		                   sd.raw.p, sd.raw.len, sig, &good)))
			goto out;
		if (!good) {
			e = fail(c, ES9P_EUICC_SIGNATURE, NULL);
			goto out;
		}
	}
	if ((e = smdp_oid_der(c->svc->oid, oid, sizeof(oid), &oid_len)))
		goto out;
	orsp_reader_init(&r, sd.value.p, sd.value.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f)) {
			e = fail(c, ES9P_MALFORMED, "euiccCancelSessionSigned");
			goto out;
		}
		if (f.tag == 0x80)
			t_ok = f.value.len == tid_len && memcmp(f.value.p, tid, tid_len) == 0;
		else if (f.tag == 0x81)
			o_ok = f.value.len == oid_len && memcmp(f.value.p, oid, oid_len) == 0;
		else if (f.tag == 0x82)
			r_ok = orsp_der_uint(f.value, &reason) == ORSP_OK;
	}
	if (!t_ok) {
		e = fail(c, ES9P_SERVER_CHALLENGE, "transactionId");
		goto out;
	}
	if (!o_ok) {
		e = fail(c, ES9P_BAD_OID, NULL);
		goto out;
	}
	/* reason is mandatory (SGP.22 §5.6.5 EuiccCancelSessionSigned): one missing or not a
	 * non-negative INTEGER is not taken for some reason that reopens or ends the order */
	if (!r_ok) {
		e = fail(c, ES9P_MALFORMED, "euiccCancelSessionSigned: reason");
		goto out;
	}
	/* The session's end and the order's: one transaction, so a failure leaves both as they
	 * were and the LPA's retry finds the session still open. endUserRejection (0) and
	 * pprNotAllowed (3) end the order (the profile goes to Error, the operator is told by
	 * the state change); postponed (1), timeout (2) and any other reason leave it downloadable
	 * with the same activation code, the operator told by a report of its own
	 * (smdp_report_cancel). Only the order of this session, and only while it is open to
	 * this eUICC, as read inside the transaction: not one placed again since, nor a profile
	 * another eUICC has been given. */
	if ((e = orsp_db_begin(c->db)))
		goto out;
	/* The session as it is now, under the write lock: a getBoundProfilePackage of this
	 * session may have delivered (step 2 -> 3, profile Released -> Downloaded) since
	 * step_begin read it. The end and the reopen below go by the step read here, or the
	 * end would match no row and leave the delivered profile in Downloaded. */
	sess_free(&se);
	if ((e = sess_load(c, tid_hex, &se, AGE_ANY_ONCE_DELIVERED))) {
		orsp_db_rollback(c->db);
		if (e == ORSP_E_NOT_FOUND) /* ended meanwhile by another request */
			e = fail(c, ES9P_UNKNOWN_TID, NULL);
		goto out;
	}
	if ((e = sess_advance(c, tid_hex, se.step, S_DONE, "cancelled"))) {
		orsp_db_rollback(c->db);
		if (e == ORSP_E_STATE) /* ended meanwhile by another request */
			e = fail(c, ES9P_UNKNOWN_TID, NULL);
		goto out;
	}
	{
		orsp_smdp_profile p;
		e = orsp_smdp_get(c->s, se.iccid, &p);
		if (!e && order_of_session(&p, &se)) {
			/* SGP.22 §5.6.5's reasons 0-3 by name, the others by number: the audit's
			 * and the operator's words */
			static const char *const named[] = {"end user rejection", "postponed",
			                                    "timeout", "PPR not allowed"};
			bool ends = reason == 0 || reason == 3, other = false;
			char why[64];
			if (reason < ORSP_ARRAY_LEN(named))
				snprintf(why, sizeof(why), "cancelled: %s", named[reason]);
			else
				snprintf(why, sizeof(why), "cancelled: reason %llu",
				         (unsigned long long)reason);
			/* Another session of this order and eUICC with its package out (two
			 * authenticated in parallel, the other delivered): that one's result or
			 * cancel decides, as for a failed installation result. A rejection put the
			 * profile in Error, and the other's success after it was judged "profile
			 * not downloaded" while the eUICC held the profile. */
			/* A package went out while the profile is Downloaded, or Released again
			 * after a delivery the eUICC postponed (a counted attempt). */
			bool out = p.state == ORSP_SMDP_DOWNLOADED ||
			           (p.state == ORSP_SMDP_RELEASED && p.download_attempts > 0);
			if (out && (ends || se.step == S_BPP))
				e = other_at(c, &se, S_BPP, &other);
			/* so does the session a retry superseded after it delivered (also once
			 * the retry was postponed, the order reopened): the eUICC may hold the
			 * profile from it, whose result was then judged "profile not downloaded"
			 * in Error (until session 56; until session 68 once reopened) */
			if (!e && !other && ends && out)
				e = other_at(c, &se, S_RETRIED, &other);
			if (!e && ends && !other)
				e = smdp_mark_error_eid(c->s, se.iccid,
				                        reason == 0 ? ORSP_SMDP_FAIL_REJECTED
				                                    : ORSP_SMDP_FAIL_PPR,
				                        why, se.eid);
			/* a reopened order kept for the other's package is Downloaded again: that
			 * package's failure is then the order's Error (it stayed Released, and the
			 * rejection decided nothing, until session 68) */
			else if (!e && ends && p.state == ORSP_SMDP_RELEASED)
				e = smdp_keep_for_earlier(
				    c->s, se.iccid,
				    "cancelled: kept for an earlier session's "
				    "package");
			/* postponed after this session's delivery: the eUICC dropped the
			 * package; downloadable again, as before the delivery */
			else if (!e && !ends && !other && p.state == ORSP_SMDP_DOWNLOADED &&
			         se.step == S_BPP) {
				/* but past the order's expiry (a retry, which the expiry does
				 * not refuse) the order reopened would expire at the next sweep,
				 * final: while a session this one superseded has its package out,
				 * the profile stays Downloaded for that one's result (its success
				 * was `profile not downloaded` in Unavailable until session 66) */
				bool waits = false;
				if (p.expires_at && now_s(c) > p.expires_at)
					e = other_at(c, &se, S_RETRIED, &waits);
				if (!e && !waits)
					e = orsp_smdp_reopen(c->s, se.iccid,
					                     "cancelled after delivery");
				/* downloadable again: a failure an earlier session reported
				 * while this one was live decides nothing any more */
				if (!e && !waits)
					e = drop_pir(c->db, se.iccid);
			}
			/* the operator hears of every cancel (SGP.22 §5.6.5), not only of
			 * those that end the order */
			if (!e && (!ends || other))
				e = smdp_report_cancel(c->s, se.iccid, se.eid, why);
			/* a retry cancelled before its delivery has decided nothing: the
			 * failure of the session it superseded, kept for it, decides now */
			if (!e && !ends && se.step == S_AUTH && p.state == ORSP_SMDP_DOWNLOADED)
				e = retried_failure_decides(c->s, ttl_of(c->svc), se.iccid, se.eid,
				                            se.mid, se.tid);
		} else if (e == ORSP_E_NOT_FOUND) {
			orsp_err_clear();
			e = ORSP_OK;
		}
	}
	if (e) {
		orsp_db_rollback(c->db);
		goto out;
	}
	if ((e = orsp_db_commit(c->db)))
		goto out;
	obj = json_object();
	if (!obj) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	e = reply_json(c, obj);
out:
	json_decref(obj);
	orsp_ec_free(pub);
	orsp_cert_free(cert);
	free(csr);
	sess_free(&se);
	return e;
}

/* ---------------------------------------------------------------- the sweep ------------- */

#define DEFAULT_DELIVERED_DAYS 90
#define DEFAULT_SWEEP_BATCH 1000

/* Forget the one-time keys of sessions past the TTL (delivered, and the eUICC never reported,
 * or kept for their result): no request can use them any more (getBoundProfilePackage's
 * steps refuse a session past it, and its binding stores no key for one). At most `max`,
 * oldest first. `done`: the cutoff of this handle's last complete search (0: none yet). A
 * key is stored only while its session is within the TTL on the storing process's clock, so
 * after a complete search up to `done`, a key of an older session can only come from a
 * process whose clock is behind this one's: the next search starts TID_CLOCK_SKEW before
 * `done`, and none is made until the cutoff has moved (the sweep is called several times a
 * round). A cutoff behind `done` (the clock was set back) searches everything again.
 * *next_done: the cutoff, once no more than `max` keys were found (the caller keeps it once
 * its transaction is committed), else `done`. */
static orsp_err sweep_keys(orsp_db *db, int64_t done, int64_t cutoff, int64_t max,
                           int64_t *next_done)
{
	orsp_stmt *st = NULL;
	int64_t from = done > TID_CLOCK_SKEW && done <= cutoff ? done - TID_CLOCK_SKEW : 0;
	orsp_err e;

	*next_done = done;
	if (done && done == cutoff)
		return ORSP_OK;
	e = orsp_db_prepare(db,
	                    "UPDATE es9p_session SET otsk_wrapped = NULL WHERE rowid IN"
	                    " (SELECT rowid FROM es9p_session WHERE created_at >= ?1 AND"
	                    " created_at < ?2 AND otsk_wrapped IS NOT NULL"
	                    " ORDER BY created_at LIMIT ?3)",
	                    &st);
	if (!e)
		e = orsp_stmt_bind_int64(st, 1, from);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, cutoff);
	if (!e)
		e = orsp_stmt_bind_int64(st, 3, max);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (!e && orsp_db_changes(db) < max)
		*next_done = cutoff;
	return e;
}

/* The orders that keep a failure reported while a retry was live (`pir`, found through the
 * partial index of migration 12: few rows, each an eUICC's signed result) and that have a
 * session the sweep deletes now without its delivery (S_AUTH older than cutoff: past the
 * TTL, which no process lets bind or cancel any more): it ended without deciding, so that
 * failure may decide now (retried_failure_decides). In the sweep's transaction. */
static orsp_err sweep_lapsed_retries(orsp_smdp *s, int64_t ttl, int64_t cutoff)
{
	orsp_db *db = orsp_smdp_db(s);
	orsp_stmt *st = NULL;
	struct order {
		char iccid[21], eid[33], mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	} *found = NULL;
	size_t n = 0, cap = 0;
	bool row = false;
	orsp_err e = orsp_db_prepare(
	    db,
	    "SELECT DISTINCT iccid, eid, matching_id FROM es9p_session AS k WHERE pir IS NOT NULL"
	    " AND EXISTS (SELECT 1 FROM es9p_session AS se WHERE se.iccid = k.iccid"
	    " AND se.eid = k.eid AND se.matching_id = k.matching_id AND se.step = ?2"
	    " AND se.created_at < ?1)",
	    &st);

	if (!e)
		e = orsp_stmt_bind_int64(st, 1, cutoff);
	if (!e)
		e = orsp_stmt_bind_int64(st, 2, S_AUTH);
	while (!e && (e = orsp_stmt_step(st, &row)) == ORSP_OK && row) {
		if (n == cap) {
			struct order *more = realloc(found, (cap ? 2 * cap : 4) * sizeof(*found));
			if (!more) {
				e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
				break;
			}
			found = more;
			cap = cap ? 2 * cap : 4;
		}
		copy_text(orsp_stmt_column_text(st, 0), found[n].iccid, sizeof(found[n].iccid));
		copy_text(orsp_stmt_column_text(st, 1), found[n].eid, sizeof(found[n].eid));
		copy_text(orsp_stmt_column_text(st, 2), found[n].mid, sizeof(found[n].mid));
		n++;
	}
	orsp_stmt_finalize(st);
	for (size_t i = 0; !e && i < n; i++)
		e = retried_failure_decides(s, ttl, found[i].iccid, found[i].eid, found[i].mid, "");
	free(found);
	return e;
}

/* Whether the session `se`, past the TTL plus the clock skew, may go before
 * delivered_session_days (orsp_es9p_sweep says which may): ?3 Downloaded, ?4 Released, ?5
 * Unavailable, ?6 S_BPP, ?7 S_RETRIED (sweep_bind). It reads only what migration 15's
 * triggers watch, so a session found to stay, marked so, stays until one of them puts it
 * back among those to search. */
#define SWEEP_DELETABLE                                                                            \
	"(CASE WHEN se.end_reason = '" END_CANCELLED_DELIVERED "' THEN NOT EXISTS (SELECT 1 FROM"  \
	" smdp_profile AS p WHERE p.iccid = se.iccid AND p.state = ?5 AND p.eid = se.eid"          \
	" AND p.matching_id = se.matching_id)"                                                     \
	" WHEN se.end_reason = '" END_RETRIES_REFUSED "' THEN NOT EXISTS (SELECT 1 FROM"           \
	" smdp_profile AS p WHERE p.iccid = se.iccid AND p.state = ?3 AND p.eid = se.eid"          \
	" AND p.matching_id = se.matching_id)"                                                     \
	" ELSE (se.step NOT IN (?6, ?7) AND se.pir IS NULL) OR NOT EXISTS (SELECT 1 FROM"          \
	" smdp_profile AS p WHERE p.iccid = se.iccid AND p.state IN (?3, ?4)"                      \
	" AND p.eid = se.eid AND p.matching_id = se.matching_id) END)"

/* The sweep's statements, each its own numbering: ?1 a bound on created_at, ?2 a count, ?3-?7
 * as SWEEP_DELETABLE's. */
/* the oldest ?2 sessions older than ?1 (the TTL's or delivered_session_days' cutoff, the
 * earlier): all go, kept or not */
#define SWEEP_SQL_AGED                                                                             \
	"DELETE FROM es9p_session WHERE rowid IN (SELECT rowid FROM es9p_session"                  \
	" WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)"
/* the created_at of the ?2+1-th oldest session not kept that goes (older than ?1) */
#define SWEEP_SQL_REACH                                                                            \
	"SELECT se.created_at FROM es9p_session AS se WHERE se.sweep_kept IS NULL"                 \
	" AND se.created_at < ?1 AND " SWEEP_DELETABLE " ORDER BY se.created_at LIMIT 1 OFFSET ?2"
/* the oldest ?2 sessions not kept yet, older than ?1, that stay: kept */
#define SWEEP_SQL_KEEP                                                                             \
	"UPDATE es9p_session SET sweep_kept = 1 WHERE rowid IN (SELECT se.rowid FROM"              \
	" es9p_session AS se WHERE se.sweep_kept IS NULL AND se.created_at < ?1"                   \
	" AND NOT " SWEEP_DELETABLE " ORDER BY se.created_at LIMIT ?2)"
/* the oldest ?2 sessions not kept, older than ?1, that go */
#define SWEEP_SQL_GO                                                                               \
	"DELETE FROM es9p_session WHERE rowid IN (SELECT se.rowid FROM es9p_session AS se"         \
	" WHERE se.sweep_kept IS NULL AND se.created_at < ?1 AND " SWEEP_DELETABLE                 \
	" ORDER BY se.created_at LIMIT ?2)"

/* sql prepared with ?1 before, ?2 n and, when it judges (it has SWEEP_DELETABLE), ?3-?7. */
static orsp_err sweep_prepare(orsp_db *db, const char *sql, bool judges, int64_t before, int64_t n,
                              orsp_stmt **st)
{
	orsp_err e = orsp_db_prepare(db, sql, st);

	if (!e)
		e = orsp_stmt_bind_int64(*st, 1, before);
	if (!e)
		e = orsp_stmt_bind_int64(*st, 2, n);
	if (!e && judges) {
		e = orsp_stmt_bind_text(*st, 3, orsp_smdp_state_name(ORSP_SMDP_DOWNLOADED));
		if (!e)
			e = orsp_stmt_bind_text(*st, 4, orsp_smdp_state_name(ORSP_SMDP_RELEASED));
		if (!e)
			e = orsp_stmt_bind_text(*st, 5,
			                        orsp_smdp_state_name(ORSP_SMDP_UNAVAILABLE));
		if (!e)
			e = orsp_stmt_bind_int64(*st, 6, S_BPP);
		if (!e)
			e = orsp_stmt_bind_int64(*st, 7, S_RETRIED);
	}
	return e;
}

/* Run sql (sweep_prepare's arguments); *changed: the rows it deleted or changed. */
static orsp_err sweep_run(orsp_db *db, const char *sql, bool judges, int64_t before, int64_t n,
                          int64_t *changed)
{
	orsp_stmt *st = NULL;
	orsp_err e = sweep_prepare(db, sql, judges, before, n, &st);

	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (!e && changed)
		*changed = orsp_db_changes(db);
	return e;
}

/* Every authenticateClient writes a session row (CERT.EUICC, signatures, EID: some 0.8 KiB),
 * and anyone with one valid activation code can start sessions without end; so the rows no
 * request can use any more are deleted:
 *   - a session not delivered or finished, once older than the TTL plus the clock skew
 *     allowed between server processes: its row is what refuses a second authenticateClient
 *     with its transactionId, and by then every process refuses that transactionId by its
 *     age (tid_open; its creation time is authenticated by the tag);
 *   - a delivered one (S_BPP, or S_RETRIED: a retry superseded it), past the same age, once
 *     its profile is neither Downloaded nor Released to this session's order and eUICC
 *     (installed, failed, cancelled by the operator, delivered to another eUICC, ordered
 *     again: its installation result and cancel would change nothing; Released under the
 *     same order and EID is the order reopened by a later session's cancel, postponed,
 *     and this session's success still makes it Installed, orsp_smdp_mark_pir), or after
 *     `delivered_session_days` whatever the profile's state (the eUICC never reported; a
 *     later result is then recorded as for an unknown session);
 *   - one that had delivered when ES2+ cancelOrder ended it (END_CANCELLED_DELIVERED, no
 *     result since), kept as a delivered one is while its profile stays Unavailable under
 *     that order and EID, for its result, which the operator hears of (result_after_cancel);
 *     until session 75 it went as a finished one, past the TTL, its result then an unknown
 *     session's.
 * Nothing else reads the rows: notifications keep their own transactionId, the audit log and
 * the progress reports are tables of their own. At most `max` rows, oldest first, in one
 * short write transaction, which also forgets the one-time keys of sessions past the TTL
 * (sweep_keys; not counted in *deleted).
 *
 * A session past the TTL found to stay is marked kept (sweep_kept) and not read again until
 * something it stays for changes (migration 15's triggers take the mark off) or it is older
 * than delivered_session_days: until session 79 every batch read every such session again
 * (12 ms a batch with 5,000). So: first the sessions past delivered_session_days (the oldest,
 * kept or not: all go); then among the others not kept, the oldest that stay, up to the
 * last of those the batch deletes (SWEEP_SQL_REACH; at most `max` marked a batch), are
 * marked, and the ones that go are deleted. A batch reads the sessions it deletes, those it
 * marks, and those not kept on the second of the last it deletes. */
orsp_err orsp_es9p_sweep(const orsp_smdp_service *svc, orsp_smdp *s, size_t max, size_t *deleted)
{
	int64_t ttl, keep_s, now, cutoff, reach, gone = 0, more = 0, keys_done = 0;
	int64_t batch = max ? (int64_t)max : DEFAULT_SWEEP_BATCH;
	orsp_db *db;
	orsp_stmt *st = NULL;
	bool row = false;
	orsp_err e;

	if (deleted)
		*deleted = 0;
	if (!svc || !s || !deleted)
		return orsp_errf(ORSP_E_USAGE, "es9p sweep: bad arguments");
	db = orsp_smdp_db(s);
	ttl = ttl_of(svc);
	keep_s = (int64_t)(svc->delivered_session_days ? svc->delivered_session_days
	                                               : DEFAULT_DELIVERED_DAYS) *
	         86400;
	now = orsp_smdp_now(s);
	cutoff = now - ttl - TID_CLOCK_SKEW;
	if ((e = orsp_db_begin(db)))
		return e;
	e = sweep_keys(db, smdp_es9p_keys_done(s), now - ttl, batch, &keys_done);
	if (!e)
		e = sweep_lapsed_retries(s, ttl, cutoff);
	if (!e)
		e = sweep_run(db, SWEEP_SQL_AGED, false,
		              cutoff < now - keep_s ? cutoff : now - keep_s, batch, &gone);
	if (!e && gone < batch) {
		reach = cutoff;
		e = sweep_prepare(db, SWEEP_SQL_REACH, true, cutoff, batch - gone - 1, &st);
		if (!e)
			e = orsp_stmt_step(st, &row);
		if (!e && row)
			reach = orsp_stmt_column_int64(st, 0) + 1;
		orsp_stmt_finalize(st);
		if (!e)
			e = sweep_run(db, SWEEP_SQL_KEEP, true, reach, batch, NULL);
		if (!e)
			e = sweep_run(db, SWEEP_SQL_GO, true, cutoff, batch - gone, &more);
	}
	if (e) {
		orsp_db_rollback(db);
		return e;
	}
	*deleted = (size_t)(gone + more);
	/* a deletion lost to a power cut is made again by the next sweep, and so is the search
	 * for keys of a process that starts again */
	if ((e = orsp_db_commit_lazy(db)) == ORSP_OK)
		smdp_set_es9p_keys_done(s, keys_done);
	return e;
}

/* ---------------------------------------------------------------- dispatch -------------- */

static const struct {
	const char *name;
	orsp_err (*fn)(ctx *c);
} functions[] = {
    {"initiateAuthentication", initiate_authentication},
    {"authenticateClient", authenticate_client},
    {"getBoundProfilePackage", get_bound_profile_package},
    {"handleNotification", handle_notification},
    {"cancelSession", cancel_session},
};

orsp_err orsp_es9p_handle(const orsp_smdp_service *svc, orsp_smdp *s, const char *function,
                          const uint8_t *body, size_t len, orsp_smdp_reply *out)
{
	size_t max = svc && svc->max_body ? svc->max_body : DEFAULT_MAX_BODY;
	ctx c = {svc, s, s ? orsp_smdp_db(s) : NULL, NULL, out};
	orsp_err e;

	if (!svc || !s || !function || !out || (!body && len))
		return orsp_errf(ORSP_E_USAGE, "es9p: bad arguments");
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(functions); i++) {
		if (strcmp(function, functions[i].name) != 0)
			continue;
		snprintf(out->function, sizeof(out->function), "%s", function);
		if (len > max)
			return fail(&c, ES9P_MALFORMED, "request body too large");
		if (orsp_json_parse(body, len, max, &c.req) != ORSP_OK)
			return fail(&c, ES9P_MALFORMED, orsp_err_detail());
		e = functions[i].fn(&c);
		json_decref(c.req);
		/* A refusal (8.x) may describe what another request committed and has not
		 * flushed yet (another process's: authenticateClient refused 8.2.6/3.8 for an
		 * order whose cancelOrder another server had committed, 3 s before that cancel
		 * was durable, the race review of session 78): flushed before it is said, as
		 * ES2+ does its refusals (es2p_handler.c). Not 1.x (the request itself), nor
		 * anything once a flush of the file failed, nor initiateAuthentication's, which
		 * judge the request and the configuration only (its address, its CIs): anyone
		 * can send those, and each flush waits on the one the commits share (the diff
		 * review of session 78: 50 refused requests, 50 fdatasync calls). */
		if (!e && strncmp(out->subject_code, "8.", 2) == 0 &&
		    functions[i].fn != initiate_authentication && !orsp_db_flush_failed(c.db))
			e = orsp_db_sync(c.db);
		if (e) {
			/* internal failure: no half answer */
			orsp_smdp_reply_free(out);
			out->http_status = 500;
		}
		return e;
	}
	snprintf(out->function, sizeof(out->function), "unknown");
	out->http_status = 404;
	return ORSP_OK;
}
