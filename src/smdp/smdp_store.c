/* The SM-DP+ profile inventory on the store: schema, import, ES2+ orders, ES9+ hooks.
 *
 * Every state change is one write transaction (BEGIN IMMEDIATE) that checks the transition
 * against the table in smdp_state.c and appends its audit row, so the audit table and the
 * profile table never disagree. Rows read back are checked like outside input.
 *
 * Secrets at rest: the UPP holds K/OPc, so it is sealed (AES-256-GCM) under a random
 * per-profile data key, and that key is wrapped under the KEK (orsp_kek_wrap accepts at
 * most ORSP_SECRET_MAX bytes, a UPP is kilobytes). The confirmation code is kept as
 * SHA-256(CC), the value SGP.22 hashCc is computed from, wrapped under the KEK: whoever
 * holds SHA-256(CC) can answer hashCc, so it is as sensitive as the CC itself.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openrsp/crypto.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"
#include "smdp_internal.h"

/* The KEK of a handle and of its views (orsp_smdp_open_view): one copy in the process for
 * them all, wiped and freed with the last of them to close, so that a view may outlive the
 * handle it came from */
typedef struct smdp_kek {
	orsp_secret k;
	atomic_uint refs;
} smdp_kek;

struct orsp_smdp {
	orsp_db *db;
	smdp_kek *kek; /* NULL: none (smdp_drop_kek, or backup_verify's view of the copy) */
	/* 0: time(NULL); atomic: a test sets the clock of a running server's sender handle */
	_Atomic int64_t clock;
	bool no_progress; /* no progress reports queued (orsp_smdp_set_progress) */
	/* orsp_smdp_label_mac: the keyed MAC of the last label */
	orsp_hmac_key *mac_key;
	char mac_label[64];
	int64_t es9p_keys_done; /* smdp_es9p_keys_done */
	uint64_t progress_queued; /* smdp_progress_queued */
	bool created;           /* orsp_smdp_created */
	char actor[ORSP_SMDP_ACTOR_MAX]; /* orsp_smdp_set_actor: "" none */
	char auth[ORSP_SMDP_AUTH_MAX];   /* orsp_smdp_set_auth: "" none */
};

static const orsp_migration smdp_migrations[] = {
    {
        .version = 1,
        .description = "profiles, audit, KEK check",
        .sql = "CREATE TABLE smdp_profile ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " iccid TEXT NOT NULL UNIQUE CHECK (length(iccid) BETWEEN 18 AND 20),"
               " imsi TEXT NOT NULL UNIQUE CHECK (length(imsi) BETWEEN 6 AND 15),"
               " profile_type TEXT NOT NULL,"
               " state TEXT NOT NULL CHECK (state IN ('available', 'allocated', 'linked',"
               "  'confirmed', 'released', 'downloaded', 'installed', 'error', 'unavailable')),"
               " eid TEXT CHECK (eid IS NULL OR length(eid) = 32),"
               " matching_id TEXT UNIQUE,"
               " cc_wrapped BLOB,"
               " cc_attempts INTEGER NOT NULL DEFAULT 0,"
               " cc_limit INTEGER NOT NULL,"
               " download_attempts INTEGER NOT NULL DEFAULT 0,"
               " download_limit INTEGER NOT NULL,"
               " expires_at INTEGER,"
               " dek_wrapped BLOB NOT NULL,"
               " upp_sealed BLOB NOT NULL,"
               " upp_len INTEGER NOT NULL,"
               " created_at INTEGER NOT NULL,"
               " updated_at INTEGER NOT NULL);"
               "CREATE INDEX smdp_profile_type_state ON smdp_profile (profile_type, state);"
               "CREATE TABLE smdp_audit ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " at INTEGER NOT NULL,"
               " action TEXT NOT NULL,"
               " iccid TEXT NOT NULL,"
               " from_state TEXT NOT NULL,"
               " to_state TEXT NOT NULL,"
               " detail TEXT NOT NULL DEFAULT '');"
               "CREATE TRIGGER smdp_audit_no_update BEFORE UPDATE ON smdp_audit"
               " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;"
               "CREATE TRIGGER smdp_audit_no_delete BEFORE DELETE ON smdp_audit"
               " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;"
               "CREATE TABLE smdp_kek_check ("
               " id INTEGER PRIMARY KEY CHECK (id = 1),"
               " wrapped BLOB NOT NULL);",
    },
    {
        .version = 2,
        .description = "download progress outbox (ES2+ HandleDownloadProgressInfo)",
        .sql = "CREATE TABLE smdp_progress ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " at INTEGER NOT NULL,"
               " iccid TEXT NOT NULL,"
               " eid TEXT NOT NULL DEFAULT '',"
               " profile_type TEXT NOT NULL,"
               " point_id INTEGER NOT NULL,"
               " success INTEGER NOT NULL,"
               " detail TEXT NOT NULL DEFAULT '',"
               " attempts INTEGER NOT NULL DEFAULT 0,"
               " next_at INTEGER NOT NULL,"
               " done INTEGER NOT NULL DEFAULT 0);"
               "CREATE INDEX smdp_progress_due ON smdp_progress (done, next_at);",
    },
    {
        .version = 3,
        .description = "sealed packages in a table of their own",
        /* The sealed package (12 KiB and more) made every update of a profile's state or
         * counters rewrite its overflow pages: about 40 KiB of WAL per download. */
        .sql = "CREATE TABLE smdp_upp ("
               " profile_id INTEGER PRIMARY KEY REFERENCES smdp_profile (id),"
               " dek_wrapped BLOB NOT NULL,"
               " upp_sealed BLOB NOT NULL);"
               "INSERT INTO smdp_upp (profile_id, dek_wrapped, upp_sealed)"
               " SELECT id, dek_wrapped, upp_sealed FROM smdp_profile;"
               "ALTER TABLE smdp_profile DROP COLUMN dek_wrapped;"
               "ALTER TABLE smdp_profile DROP COLUMN upp_sealed;",
    },
    {
        .version = 4,
        .description = "fewer pages written per state change",
        /* AUTOINCREMENT made every audit and progress row also rewrite sqlite_sequence, and
         * the (profile_type, state) index moved with every state change; only the search
         * for an Available profile of a type uses it. Nothing is ever deleted from the two
         * tables, so a plain rowid keeps growing the same way. */
        .sql = "DROP INDEX smdp_profile_type_state;"
               "CREATE INDEX smdp_profile_available ON smdp_profile (profile_type, id)"
               " WHERE state = 'available';"
               "CREATE TABLE smdp_audit_v4 ("
               " id INTEGER PRIMARY KEY,"
               " at INTEGER NOT NULL,"
               " action TEXT NOT NULL,"
               " iccid TEXT NOT NULL,"
               " from_state TEXT NOT NULL,"
               " to_state TEXT NOT NULL,"
               " detail TEXT NOT NULL DEFAULT '');"
               "INSERT INTO smdp_audit_v4 (id, at, action, iccid, from_state, to_state, detail)"
               " SELECT id, at, action, iccid, from_state, to_state, detail FROM smdp_audit;"
               "DROP TABLE smdp_audit;"
               "ALTER TABLE smdp_audit_v4 RENAME TO smdp_audit;"
               "CREATE TRIGGER smdp_audit_no_update BEFORE UPDATE ON smdp_audit"
               " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;"
               "CREATE TRIGGER smdp_audit_no_delete BEFORE DELETE ON smdp_audit"
               " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;"
               "CREATE TABLE smdp_progress_v4 ("
               " id INTEGER PRIMARY KEY,"
               " at INTEGER NOT NULL,"
               " iccid TEXT NOT NULL,"
               " eid TEXT NOT NULL DEFAULT '',"
               " profile_type TEXT NOT NULL,"
               " point_id INTEGER NOT NULL,"
               " success INTEGER NOT NULL,"
               " detail TEXT NOT NULL DEFAULT '',"
               " attempts INTEGER NOT NULL DEFAULT 0,"
               " next_at INTEGER NOT NULL,"
               " done INTEGER NOT NULL DEFAULT 0);"
               "INSERT INTO smdp_progress_v4 SELECT id, at, iccid, eid, profile_type, point_id,"
               " success, detail, attempts, next_at, done FROM smdp_progress;"
               "DROP TABLE smdp_progress;"
               "ALTER TABLE smdp_progress_v4 RENAME TO smdp_progress;"
               "CREATE INDEX smdp_progress_due ON smdp_progress (done, next_at);"
               "DELETE FROM sqlite_sequence WHERE name IN ('smdp_audit', 'smdp_progress');",
    },
    {
        .version = 5,
        .description = "orders by EID",
        /* The default SM-DP+ case (no matching ID) looked for the eUICC's released order
         * by reading every profile. Only ordered profiles carry an EID, and the index moves
         * only when an order sets or clears it, not with each state change. */
        .sql = "CREATE INDEX smdp_profile_eid ON smdp_profile (eid) WHERE eid IS NOT NULL;",
    },
    {
        .version = 6,
        .description = "status codes of failed progress reports",
        /* The subjectCode and reasonCode a Failed report carries in its statusCodeData
         * ('' when there are none: reports queued before this migration). */
        .sql = "ALTER TABLE smdp_progress ADD COLUMN subject_code TEXT NOT NULL DEFAULT '';"
               "ALTER TABLE smdp_progress ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';",
    },
    {
        .version = 7,
        .description = "the installation result with its progress report",
        /* The eUICC's ProfileInstallationResult, base64, as the resultData of the BPP
         * installation report ('' for other reports and those queued before). */
        .sql = "ALTER TABLE smdp_progress ADD COLUMN result_data TEXT NOT NULL DEFAULT '';",
    },
    {
        .version = 8,
        .description = "Profile Policy Rules and the profile owner",
        /* The PPRs the operator set at import (PprIds bits: 2 PPR1, 4 PPR2) and, for a
         * profile with PPRs, its owner (SGP.22 OperatorID: MCC+MNC digits, GID1, GID2 as
         * found in the package; NULL when absent). Profiles imported before have none. */
        .sql = "ALTER TABLE smdp_profile ADD COLUMN ppr INTEGER NOT NULL DEFAULT 0"
               " CHECK (ppr IN (0, 2, 4, 6));"
               "ALTER TABLE smdp_profile ADD COLUMN owner_mcc_mnc TEXT"
               " CHECK (owner_mcc_mnc IS NULL OR length(owner_mcc_mnc) IN (5, 6));"
               "ALTER TABLE smdp_profile ADD COLUMN owner_gid1 BLOB;"
               "ALTER TABLE smdp_profile ADD COLUMN owner_gid2 BLOB;",
    },
    {
        .version = 9,
        .description = "audit rows cannot be replaced",
        /* INSERT OR REPLACE over an existing id deletes the old row without firing the
         * DELETE trigger (SQLite fires it only with recursive_triggers on, a setting of
         * the connection, not of the file): refuse an insert whose id is taken. */
        .sql = "CREATE TRIGGER smdp_audit_no_replace BEFORE INSERT ON smdp_audit"
               " WHEN EXISTS (SELECT 1 FROM smdp_audit WHERE id = NEW.id)"
               " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;",
    },
    {
        .version = 10,
        .description = "profile class",
        /* The profileClass of the profile's metadata as SGP.22 codes it (0 test, 1
         * provisioning, 2 operational), set at import; NULL: not given, so the metadata
         * leaves it out (operational by default). Profiles imported before have none. */
        .sql = "ALTER TABLE smdp_profile ADD COLUMN profile_class INTEGER"
               " CHECK (profile_class IS NULL OR profile_class IN (0, 1, 2));",
    },
    {
        .version = 11,
        .description = "status codes for the failed reports still to be sent",
        /* A Failed report is no longer sent without statusCodeData: the undelivered ones
         * queued without codes (a failed installation or a cancelled download, and any
         * report queued before migration 6) get the codes they are queued with now. */
        .sql = "UPDATE smdp_progress SET subject_code = CASE"
               " WHEN point_id = 1 AND detail = 'download attempts exhausted' THEN '8.8.5'"
               " WHEN point_id = 1 THEN '8.2.5' WHEN point_id = 2 THEN '8.2.7'"
               " WHEN point_id = 3 AND detail = 'cancelled: PPR not allowed' THEN '8.2'"
               " ELSE '8.1' END, reason_code = CASE"
               " WHEN point_id = 1 AND detail = 'download attempts exhausted' THEN '6.4'"
               " WHEN point_id = 1 THEN '4.3' WHEN point_id = 2 THEN '6.4'"
               " WHEN point_id = 3 THEN '3.8' ELSE '4.2' END"
               " WHERE done = 0 AND success = 0 AND subject_code = '';",
    },
    {
        .version = 12,
        .description = "open orders by expiry",
        /* The expiry round (every 30 s by default) asked whether any open order was due by
         * reading every profile: 0.2 s of CPU and the whole table through the page cache for
         * a million profiles. Only the open orders are in this index, so it moves when an
         * order opens or ends (one page of the download's delivery commit), not with every
         * later state change. The queries repeat its WHERE term word for word: SQLite uses
         * a partial index only then. */
        .sql = "CREATE INDEX smdp_profile_open_expiry ON smdp_profile (expires_at)"
               " WHERE " SMDP_OPEN_ORDER ";",
    },
    {
        .version = 13,
        .description = "expired orders by ICCID",
        /* Whether an Unavailable order ended by its expiry (authenticateClient and
         * getBoundProfilePackage then answer 8.8.5/4.10) was found by reading the audit log
         * backwards until the profile's last row: every row since, for an order that expired
         * long ago. Only the expiry's rows are in this index, so nothing of a download writes
         * to it. */
        .sql = "CREATE INDEX smdp_audit_expired ON smdp_audit (iccid) WHERE " SMDP_EXPIRE_ROW ";",
    },
    {
        .version = 14,
        .description = "orders by due time, left alone by their delivery",
        /* Migration 12's index of the open orders lost an order when it was delivered (it
         * left the open states): a page of every download's delivery commit. due_at holds
         * the expiry of every order until the expiry round has looked at it past that time
         * (SMDP_SQL_NEXT_DUE_WHERE); a delivery does not move it, and the round clears the
         * delivered orders' entries in its batches, many to a page. */
        .sql = "ALTER TABLE smdp_profile ADD COLUMN due_at INTEGER;"
               "UPDATE smdp_profile SET due_at = expires_at WHERE " SMDP_OPEN_ORDER
               " AND expires_at IS NOT NULL;"
               "DROP INDEX smdp_profile_open_expiry;"
               "CREATE INDEX smdp_profile_due ON smdp_profile (due_at) WHERE " SMDP_DUE ";",
    },
    {
        .version = 15,
        .description = "the state's CHECK without an IN list",
        /* SQLite checks `state IN (nine names)` by building a temporary index of the nine
         * names at every statement that changes a state: about 14 us of the 23 us of each
         * state change in a loaded server (scripts/bench-sql-profile.sh), two per download.
         * The same names compared one by one accept and refuse the same values. A CHECK
         * cannot be altered, and rebuilding the table would copy every profile, so the text
         * of the table's definition is changed in place, as SQLite's documentation describes
         * for changing a CHECK constraint (lang_altertable.html, "other kinds of table schema
         * changes"): writable_schema RESET reloads this connection's schema, and the table
         * made and dropped after it moves the schema cookie, so that other connections on the
         * file reload theirs. A definition without the old text is left as it is. */
        .sql = "PRAGMA writable_schema = ON;"
               "UPDATE sqlite_master SET sql = replace(sql, " SMDP_STATE_CHECK_V1
               ", " SMDP_STATE_CHECK_V15 ") WHERE type = 'table' AND name = 'smdp_profile';"
               "PRAGMA writable_schema = RESET;"
               "CREATE TABLE smdp_schema_reload (x);"
               "DROP TABLE smdp_schema_reload;",
    },
    {
        .version = 16,
        .description = "undelivered progress reports by ICCID",
        /* The sender's search for the next report (SMDP_SQL_NEXT_REPORT) asks, for each due
         * report, whether its ICCID has an earlier one still to send: without an index on the
         * ICCID that read every undelivered report, n * n rows for a backlog of n (1.8 s for
         * 2,300 reports, after an operator outage or under load, one report sent per search,
         * its read snapshot holding back the checkpoints meanwhile). Only the undelivered
         * reports are in it: a report leaves it once it is delivered or given up. */
        .sql = "CREATE INDEX smdp_progress_pending ON smdp_progress (iccid, id)"
               " WHERE " SMDP_PROGRESS_PENDING ";",
    },
    {
        .version = 17,
        .description = "executed ES2+ calls (downloadOrder replays)",
        /* One row per downloadOrder executed for an ES2+ call (orsp_smdp_call), written in
         * the transaction that places the order: the operator who lost the answer sends the
         * call again and gets the same order, not a second profile. body_hash is the SHA-256
         * of the request's fields the order depends on (es2p_handler.c). A rowid table as
         * the others (not WITHOUT ROWID): what reads every table by rowid, such as the
         * digest of tests/cli/rekey.sh, reads it too. */
        .sql = "CREATE TABLE smdp_call ("
               " requester TEXT NOT NULL,"
               " call_id TEXT NOT NULL,"
               " function TEXT NOT NULL,"
               " body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),"
               " iccid TEXT NOT NULL,"
               " at INTEGER NOT NULL,"
               " PRIMARY KEY (requester, call_id, function));",
    },
    {
        .version = 18,
        .description = "undelivered progress reports in order",
        /* The sender's search for the next report (SMDP_SQL_NEXT_REPORT) took every due
         * report from smdp_progress_due and sorted them by id, for each report it sent: 8 ms
         * of CPU per report with 19,000 waiting, so 200,000 orders expiring together took
         * hours to report, and every new download's report waited behind them. With many
         * due, the search walks this index from its first report and stops at the first it
         * can send. Only the undelivered reports are in it, by id alone: a claim or a retry
         * (next_at) does not move it, a report leaves it once delivered or given up. */
        .sql = "CREATE INDEX smdp_progress_queue ON smdp_progress (id)"
               " WHERE " SMDP_PROGRESS_PENDING ";",
    },
    {
        .version = 19,
        .description = "the order an ES2+ call placed",
        /* A replayed downloadOrder answered the ICCID its call had ordered, read from
         * smdp_call, even when that order had been cancelled to Available and the profile
         * ordered again by another call since: the operator then acted on the other call's
         * order. smdp_profile.order_seq counts the profile's downloadOrders (each adds 1 in
         * the transaction that places it), smdp_call.order_seq is the count the call's order
         * made, and a replay whose count is no longer the profile's is refused. The counts
         * start at 0 here: a call recorded before has none (NULL), and is refused as a replay
         * (call_replay), the order it placed not being known from a later one. */
        .sql = "ALTER TABLE smdp_profile ADD COLUMN order_seq INTEGER NOT NULL DEFAULT 0;"
               "ALTER TABLE smdp_call ADD COLUMN order_seq INTEGER;",
    },
    {
        .version = 20,
        .description = "progress report leases apart from retry times; profiles by type",
        /* A claim was written into next_at as a lease (the claimer's clock + 60 s) and a
         * failed attempt as its retry time, on the clock of each writer: a process whose
         * clock was more than the lease ahead took every report another process had just
         * claimed, and one more than SMDP_PROGRESS_AHEAD_MAX_S behind took the other's claims
         * and retries as written on a clock set back, so two such processes passed a report
         * back and forth (sent dozens of times, nothing recorded) or used its 10 attempts in
         * 2 s. A claimed report's next_at is now SMDP_PROGRESS_CLAIMED, never due on any
         * clock, and lease the claim's token (0: not claimed), which the sender's outcome
         * must still find; a lease is taken over only after the taker has seen it held for
         * SMDP_PROGRESS_LEASE_S on its own monotonic clock (smdp_server.c). next_by names the
         * clock next_at was written on ('': a new report's, or one written before): a
         * retry time far ahead of this clock is due at once only when written on it. A
         * lease taken before the upgrade becomes a retry time, due within its 60 s.
         * smdp_profile_type: a downloadOrder by profileType that found none Available
         * (type_known: an unknown type, or one ordered out) scanned the whole table to tell
         * the two apart, 50-70 ms a request with 265,000 profiles and over 100 ms with a
         * million, on a handle of the request pool (the scale review of session 77: four
         * operator clients retrying an exhausted type cut the downloads from 115 to 24 a
         * second). A profile's type never changes after its import: the index is written
         * once per profile, never by a state change. In the same migration as the leases,
         * both made in session 77 before either was released. */
        .sql = "ALTER TABLE smdp_progress ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;"
               "ALTER TABLE smdp_progress ADD COLUMN next_by TEXT NOT NULL DEFAULT '';"
               "CREATE INDEX smdp_profile_type ON smdp_profile (profile_type);",
    },
    {
        .version = 21,
        .description = "ES2+ confirmOrder, cancelOrder and releaseProfile calls",
        /* Only downloadOrder's calls were recorded: a cancelOrder, confirmOrder or
         * releaseProfile whose answer was lost, sent again byte for byte, was executed
         * again on whatever order the profile held then, another operator's placed since
         * (a cancelOrder retry cancelled it; the review of session 79). With
         * es2_call_replay they are recorded in smdp_call too (function names which), with
         * the profile's order_seq as the order they acted on, and a confirmOrder with the
         * matching ID and EID it answered (NULL for the others and for downloadOrder),
         * which its replay answers again. */
        .sql = "ALTER TABLE smdp_call ADD COLUMN matching_id TEXT;"
               "ALTER TABLE smdp_call ADD COLUMN eid TEXT;",
    },
};

/* What a progress report to the operator says (ES2+ HandleDownloadProgressInfo, SGP.22
 * §5.3.5): the notificationPointId (1 eligibility and retry limit check, 2 confirmation
 * failure, 3 BPP download, 4 BPP installation), whether it succeeded, and for a failure the
 * subjectCode / reasonCode of its statusCodeData (NULL: none). */
typedef struct progress_note {
	int point;
	bool ok;
	const char *subject, *reason;
	const uint8_t *result; /* resultData (the installation result), result_len bytes */
	size_t result_len;
	/* the eUICC of the event when the profile is bound to none yet (NULL: none known):
	 * SGP.22 §5.3.5 wants the EID whenever the SM-DP+ has it */
	const char *eid;
} progress_note;

/* The largest installation result a report carries (a PIR is about 200 bytes; SGP.22's
 * signed structure has no size bound, the ES9+ body limit is far above this). */
#define RESULT_DATA_MAX 1024

static const progress_note CC_EXHAUSTED = {.point = 2, .subject = "8.2.7", .reason = "6.4"};
static const progress_note RETRIES_EXHAUSTED = {.point = 1, .subject = "8.8.5", .reason = "6.4"};
static const progress_note NOT_ELIGIBLE = {.point = 1, .subject = "8.2.5", .reason = "4.3"};
/* not eligible for want of free memory: the code the eUICC is answered (SGP.22 §5.6.3) */
static const progress_note NO_MEMORY = {.point = 1, .subject = "8.1", .reason = "4.8"};
/* An open order passed its validity: what authenticateClient answers the eUICC for it
 * (8.8.5/4.10), at the point of the checks that refuse a download before it starts. */
static const progress_note EXPIRED = {.point = 1, .subject = "8.8.5", .reason = "4.10"};
/* A download given up by cancelSession, for which SGP.22 lists no code: endUserRejection as
 * eUICC (8.1) / Refused (3.8), pprNotAllowed as Profile (8.2) / Refused (3.8), the profile's
 * Policy Rules being what the device refused. */
static const progress_note USER_REJECTED = {.point = 3, .subject = "8.1", .reason = "3.8"};
static const progress_note PPR_REFUSED = {.point = 3, .subject = "8.2", .reason = "3.8"};
/* Any other reason (postponed, timeout, undefinedReason ...), which leaves the order
 * downloadable: eUICC (8.1) / Execution Error (4.2), the code of the eUICC's own error
 * answers; the message names the reason. */
static const progress_note CANCELLED = {.point = 3, .subject = "8.1", .reason = "4.2"};
/* A failed installation whose errorReason has no code of its own below (or that gives none):
 * eUICC (8.1) / Execution Error (4.2), what ES9+ answers the eUICC's own error answers with. */
static const progress_note INSTALL_FAILED = {.point = 4, .subject = "8.1", .reason = "4.2"};

/* The ErrorReason of a failed installation (SGP.22 §5.5.6 ErrorResult), by value: its name
 * for the report's message and, where SGP.22 has a code for the same fact, that code
 * (NULL: INSTALL_FAILED's). installFailedDueToUnknownError (127) is outside the table. */
static const struct {
	const char *name, *subject, *reason;
} install_errors[] = {
    [1] = {.name = "incorrectInputValues"},
    [2] = {.name = "invalidSignature"},
    [3] = {.name = "invalidTransactionId"},
    [4] = {.name = "unsupportedCrtValues"},
    [5] = {.name = "unsupportedRemoteOperationType"},
    [6] = {.name = "unsupportedProfileClass"},
    [7] = {.name = "scp03tStructureError"},
    [8] = {.name = "scp03tSecurityError"},
    /* Profile ICCID (8.2.1) / Already in Use (3.3), as downloadOrder answers it */
    [9] = {.name = "installFailedDueToIccidAlreadyExistsOnEuicc",
           .subject = "8.2.1",
           .reason = "3.3"},
    /* eUICC (8.1) / Insufficient Memory (4.8), as authenticateClient answers it */
    [10] = {.name = "installFailedDueToInsufficientMemoryForProfile",
            .subject = "8.1",
            .reason = "4.8"},
    [11] = {.name = "installFailedDueToInterruption"},
    [12] = {.name = "installFailedDueToPEProcessingError"},
    [13] = {.name = "installFailedDueToIccidMismatch"},
    [14] = {.name = "testProfileInstallFailedDueToInvalidNaaKey"},
    [15] = {.name = "pprNotAllowed"},
};

/* The report of a failed installation, from the ProfileInstallationResult pir (DER as
 * received, already verified; NULL or unreadable: INSTALL_FAILED with no reason named):
 * BF37 { BF27 { ..., finalResult A2 { errorResult A1 { 80 bppCommandId, 81 errorReason,
 * ... } } }, 5F37 }. Its message, into detail, names both. */
bool smdp_pir_error(orsp_slice result, uint64_t *cmd, uint64_t *why)
{
	orsp_tlv choice, c, w;
	orsp_reader r;
	bool ok;

	*cmd = *why = UINT64_MAX;
	if (orsp_der_parse_one(result, &choice) || choice.tag != 0xA1) {
		orsp_err_clear();
		return false;
	}
	orsp_reader_init(&r, choice.value.p, choice.value.len);
	ok = !orsp_der_expect(&r, 0x80, &c) && !orsp_der_expect(&r, 0x81, &w) &&
	     !orsp_der_uint(c.value, cmd) && !orsp_der_uint(w.value, why);
	orsp_err_clear();
	if (!ok)
		*cmd = *why = UINT64_MAX;
	return ok;
}

static progress_note install_failure(const uint8_t *pir, size_t len, char *detail, size_t cap)
{
	progress_note n = INSTALL_FAILED;
	orsp_tlv top, data, f, result = {0};
	orsp_reader r;
	uint64_t c = 0, reason = 0;
	const char *name = NULL;

	snprintf(detail, cap, "profile installation failed");
	if (!pir || orsp_der_parse_one(orsp_slice_make(pir, len), &top) || top.tag != 0xBF37)
		goto out;
	orsp_reader_init(&r, top.value.p, top.value.len);
	if (orsp_der_expect(&r, 0xBF27, &data))
		goto out;
	orsp_reader_init(&r, data.value.p, data.value.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &f))
			goto out;
		if (f.tag == 0xA2)
			result = f;
	}
	if (!result.raw.p || !smdp_pir_error(result.value, &c, &reason))
		goto out;
	if (reason < ORSP_ARRAY_LEN(install_errors) && install_errors[reason].name) {
		name = install_errors[reason].name;
		if (install_errors[reason].subject) {
			n.subject = install_errors[reason].subject;
			n.reason = install_errors[reason].reason;
		}
	} else if (reason == 127) {
		name = "installFailedDueToUnknownError";
	}
	snprintf(detail, cap,
	         "profile installation failed: errorReason %llu%s%s%s at bppCommandId %llu",
	         (unsigned long long)reason, name ? " (" : "", name ? name : "", name ? ")" : "",
	         (unsigned long long)c);
out:
	orsp_err_clear();
	return n;
}

/* The report of a state change, when the operator hears about it (point 0: no report). */
static progress_note progress_of(orsp_smdp_event ev)
{
	switch (ev) {
	case ORSP_SMDP_EV_DOWNLOADED:
		return (progress_note){.point = 3, .ok = true};
	case ORSP_SMDP_EV_PIR_OK:
	case ORSP_SMDP_EV_PIR_OK_REOPENED:
		return (progress_note){.point = 4, .ok = true};
	case ORSP_SMDP_EV_PIR_FAIL:
		return INSTALL_FAILED;
	case ORSP_SMDP_EV_FAIL:
		/* every caller names why (its note): a report without codes is refused */
		return (progress_note){.point = 3};
	case ORSP_SMDP_EV_EXPIRE:
		return EXPIRED;
	default:
		return (progress_note){.point = 0};
	}
}

#define COLS                                                                                       \
	"iccid, imsi, profile_type, state, eid, matching_id, cc_wrapped IS NOT NULL,"              \
	" cc_attempts, cc_limit, download_attempts, download_limit, expires_at, upp_len,"          \
	" created_at, updated_at, ppr, owner_mcc_mnc, owner_gid1, owner_gid2, profile_class"
#define COLS_N 20 /* the columns of COLS */

#define KEK_CHECK_AAD "smdp:kek-check"
static const uint8_t kek_check_plain[16] = "openrsp smdp kek";

static int64_t now_s(const orsp_smdp *s)
{
	int64_t t = atomic_load(&s->clock);
	return t ? t : (int64_t)time(NULL);
}

int64_t orsp_smdp_now(const orsp_smdp *s)
{
	return s ? now_s(s) : (int64_t)time(NULL);
}

/* The handle's KEK, or ORSP_E_STATE when it holds none (smdp_drop_kek): never an empty key */
static orsp_err kek_of(const orsp_smdp *s, const orsp_secret **out)
{
	*out = NULL;
	if (!s->kek || s->kek->k.len != ORSP_KEK_LEN)
		return orsp_errf(ORSP_E_STATE, "this SM-DP+ handle holds no KEK");
	*out = &s->kek->k;
	return ORSP_OK;
}

static void kek_release(smdp_kek *k)
{
	if (k && atomic_fetch_sub(&k->refs, 1) == 1) {
		orsp_secret_wipe(&k->k);
		free(k);
	}
}

void smdp_drop_kek(orsp_smdp *s)
{
	if (!s)
		return;
	kek_release(s->kek);
	s->kek = NULL;
	/* the keyed MAC derived from it goes with it */
	orsp_hmac_key_free(s->mac_key);
	s->mac_key = NULL;
	s->mac_label[0] = '\0';
}

const orsp_secret *smdp_kek_in(const orsp_smdp *s)
{
	return s && s->kek ? &s->kek->k : NULL;
}

orsp_err orsp_smdp_derive_key(const orsp_smdp *s, const char *label, uint8_t out[32])
{
	const orsp_secret *kek;
	orsp_err e;

	if (!s || !label || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_derive_key: NULL argument");
	if ((e = kek_of(s, &kek)))
		return e;
	return orsp_hmac_sha256(kek->v, kek->len, label, strlen(label), out);
}

orsp_err orsp_smdp_label_mac(orsp_smdp *s, const char *label, const void *data, size_t n,
                             uint8_t out[32])
{
	uint8_t k[32];
	orsp_err e;

	if (!s || !label || !out || (!data && n))
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_label_mac: NULL argument");
	if (strlen(label) >= sizeof(s->mac_label))
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_label_mac: label too long");
	if (!s->mac_key || strcmp(s->mac_label, label) != 0) {
		orsp_hmac_key_free(s->mac_key);
		s->mac_key = NULL;
		s->mac_label[0] = '\0';
		e = orsp_smdp_derive_key(s, label, k);
		if (!e && !(s->mac_key = orsp_hmac_key_new(k, sizeof(k))))
			e = orsp_errf(ORSP_E_CRYPTO, "cannot key HMAC-SHA-256");
		orsp_wipe(k, sizeof(k));
		if (e)
			return e;
		snprintf(s->mac_label, sizeof(s->mac_label), "%s", label);
	}
	return orsp_hmac_key_mac(s->mac_key, data, n, out);
}

orsp_err orsp_smdp_wrap(const orsp_smdp *s, const char *aad, const orsp_secret *plain,
                        uint8_t *out, size_t cap, size_t *out_len)
{
	const orsp_secret *kek;
	orsp_err e;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_wrap: no SM-DP+");
	if ((e = kek_of(s, &kek)))
		return e;
	return orsp_kek_wrap(kek, aad, plain, out, cap, out_len);
}

orsp_err orsp_smdp_unwrap(const orsp_smdp *s, const char *aad, const uint8_t *blob, size_t n,
                          orsp_secret *plain)
{
	const orsp_secret *kek;
	orsp_err e;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "orsp_smdp_unwrap: no SM-DP+");
	if ((e = kek_of(s, &kek)))
		return e;
	return orsp_kek_unwrap(kek, aad, blob, n, plain);
}

void orsp_smdp_set_actor(orsp_smdp *s, const char *actor)
{
	if (!s)
		return;
	snprintf(s->actor, sizeof(s->actor), "%s", actor ? actor : "");
	orsp_ascii_printable(s->actor);
}

void orsp_smdp_set_auth(orsp_smdp *s, const char *auth)
{
	if (!s)
		return;
	snprintf(s->auth, sizeof(s->auth), "%s", auth ? auth : "");
	orsp_ascii_printable(s->auth);
}

const char *orsp_smdp_auth(const orsp_smdp *s)
{
	return s ? s->auth : "";
}

void orsp_smdp_set_progress(orsp_smdp *s, bool on)
{
	if (s)
		s->no_progress = !on;
}

void orsp_smdp_set_clock(orsp_smdp *s, int64_t now)
{
	atomic_store(&s->clock, now);
}

orsp_db *orsp_smdp_db(orsp_smdp *s)
{
	return s->db;
}

static orsp_err copy_text(char *dst, size_t cap, const char *src, const char *what)
{
	size_t n = strlen(src);

	if (n >= cap)
		return orsp_errf(ORSP_E_MALFORMED, "stored %s is too long", what);
	memcpy(dst, src, n + 1);
	return ORSP_OK;
}

static orsp_err u32_col(orsp_stmt *st, int col, unsigned *out)
{
	int64_t v = orsp_stmt_column_int64(st, col);

	if (v < 0 || v > 1000000)
		return orsp_errf(ORSP_E_MALFORMED, "stored counter out of range");
	*out = (unsigned)v;
	return ORSP_OK;
}

/* A stored GID (NULL: absent) into gid, *len. */
static orsp_err gid_col(orsp_stmt *st, int col, uint8_t gid[ORSP_SMDP_GID_MAX], size_t *len)
{
	orsp_slice b = orsp_stmt_column_blob(st, col);

	if (b.len > ORSP_SMDP_GID_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "stored GID is too long");
	if (b.len)
		memcpy(gid, b.p, b.len);
	*len = b.len;
	return ORSP_OK;
}

/* The PPRs and owner columns of COLS from col on (ppr, owner_mcc_mnc, owner_gid1,
 * owner_gid2) into p: rules PPR1/PPR2 only, and an owner exactly when there are rules. */
static orsp_err read_policy(orsp_stmt *st, int col, orsp_smdp_profile *p)
{
	int64_t ppr = orsp_stmt_column_int64(st, col);
	orsp_err err;

	if (ppr < 0 || (ppr & ~(int64_t)ORSP_SMDP_PPR_ALL))
		return orsp_errf(ORSP_E_MALFORMED, "stored PPRs out of range");
	p->ppr = (unsigned)ppr;
	if (!p->ppr) {
		if (!orsp_stmt_column_is_null(st, col + 1))
			return orsp_errf(ORSP_E_MALFORMED, "stored profile owner without PPRs");
		return ORSP_OK;
	}
	if (orsp_stmt_column_is_null(st, col + 1))
		return orsp_errf(ORSP_E_MALFORMED, "stored PPRs without a profile owner");
	err = copy_text(p->owner.mcc_mnc, sizeof(p->owner.mcc_mnc),
	                orsp_stmt_column_text(st, col + 1), "profile owner");
	if (!err)
		err = gid_col(st, col + 2, p->owner.gid1, &p->owner.gid1_len);
	if (!err)
		err = gid_col(st, col + 3, p->owner.gid2, &p->owner.gid2_len);
	if (!err)
		err = smdp_owner_check(&p->owner);
	return err;
}

/* One row of COLS into p. */
static orsp_err read_row(orsp_stmt *st, orsp_smdp_profile *p)
{
	orsp_err err;
	int64_t len;

	memset(p, 0, sizeof(*p));
	err = copy_text(p->iccid, sizeof(p->iccid), orsp_stmt_column_text(st, 0), "ICCID");
	if (!err)
		err = copy_text(p->imsi, sizeof(p->imsi), orsp_stmt_column_text(st, 1), "IMSI");
	if (!err)
		err = copy_text(p->profile_type, sizeof(p->profile_type),
		                orsp_stmt_column_text(st, 2), "profile type");
	if (!err)
		err = orsp_smdp_state_parse(orsp_stmt_column_text(st, 3), &p->state);
	if (!err)
		err = copy_text(p->eid, sizeof(p->eid), orsp_stmt_column_text(st, 4), "EID");
	if (!err)
		err = copy_text(p->matching_id, sizeof(p->matching_id),
		                orsp_stmt_column_text(st, 5), "matching ID");
	if (err)
		return err;
	p->cc_required = orsp_stmt_column_int64(st, 6) != 0;
	err = u32_col(st, 7, &p->cc_attempts);
	if (!err)
		err = u32_col(st, 8, &p->cc_limit);
	if (!err)
		err = u32_col(st, 9, &p->download_attempts);
	if (!err)
		err = u32_col(st, 10, &p->download_limit);
	if (err)
		return err;
	p->expires_at = orsp_stmt_column_int64(st, 11);
	len = orsp_stmt_column_int64(st, 12);
	/* 0: the package was purged, which only a profile in a final state may be */
	if (len < 0 || len > (int64_t)ORSP_PKG_MAX_SIZE ||
	    (len == 0 && !(ORSP_SMDP_FINAL_STATES & (1u << p->state))))
		return orsp_errf(ORSP_E_MALFORMED, "stored UPP length out of range");
	p->upp_len = (size_t)len;
	p->created_at = orsp_stmt_column_int64(st, 13);
	p->updated_at = orsp_stmt_column_int64(st, 14);
	err = read_policy(st, 15, p);
	if (!err && !orsp_stmt_column_is_null(st, 19)) {
		/* SGP.22's coding (0 test, 1 provisioning, 2 operational) */
		int64_t cls = orsp_stmt_column_int64(st, 19);
		if (cls < 0 || cls > 2)
			return orsp_errf(ORSP_E_MALFORMED, "stored profile class out of range");
		p->profile_class = (orsp_pkg_class)(ORSP_PKG_CLASS_TEST + cls);
	}
	return err;
}

/* How load() finds a profile: by ICCID, by matching ID, or as the first Released order of an
 * EID, or its first Downloaded one, or its latest order that expired. */
typedef enum {
	BY_ICCID,
	BY_MATCHING_ID,
	BY_EID_RELEASED,
	BY_EID_DOWNLOADED,
	BY_EID_EXPIRED
} load_key;

static orsp_err load(orsp_smdp *s, load_key by, const char *key, orsp_smdp_profile *p)
{
	/* BY_EID_* (the default SM-DP+ case) go through the EID index */
	static const char *const sql[] = {
	    [BY_ICCID] = "SELECT " COLS " FROM smdp_profile WHERE iccid = ?1",
	    [BY_MATCHING_ID] = "SELECT " COLS " FROM smdp_profile WHERE matching_id = ?1",
	    [BY_EID_RELEASED] = "SELECT " COLS " FROM smdp_profile"
	                        " WHERE eid = ?1 AND state = 'released'"
	                        " AND (expires_at IS NULL OR expires_at >= ?2) ORDER BY id LIMIT 1",
	    [BY_EID_DOWNLOADED] = "SELECT " COLS " FROM smdp_profile"
	                          " WHERE eid = ?1 AND state = 'downloaded' ORDER BY id LIMIT 1",
	    /* Released past its validity (the background expiry has not reached it), or
	     * Unavailable by the expiry: last changed after its expiry and with the expiry's
	     * audit row (orsp_smdp_ended_by_expiry), not cancelled */
	    [BY_EID_EXPIRED] = "SELECT " COLS " FROM smdp_profile"
	                       " WHERE eid = ?1 AND expires_at IS NOT NULL"
	                       " AND ((state = 'released' AND expires_at < ?2)"
	                       " OR (state = 'unavailable' AND updated_at > expires_at"
	                       " AND EXISTS (SELECT 1 FROM smdp_audit"
	                       " WHERE smdp_audit.iccid = smdp_profile.iccid AND " SMDP_EXPIRE_ROW
	                       "))) ORDER BY id DESC LIMIT 1",
	};
	static const char *const name[] = {[BY_ICCID] = "ICCID",
	                                   [BY_MATCHING_ID] = "matching ID",
	                                   [BY_EID_RELEASED] = "EID",
	                                   [BY_EID_DOWNLOADED] = "EID",
	                                   [BY_EID_EXPIRED] = "EID"};
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false;

	if (!key || !*key)
		return orsp_errf(ORSP_E_USAGE, "%s missing", name[by]);
	err = orsp_db_prepare(s->db, sql[by], &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, key);
	/* BY_EID_RELEASED does not look for an expired order, BY_EID_EXPIRED only for one */
	if (!err && (by == BY_EID_RELEASED || by == BY_EID_EXPIRED))
		err = orsp_stmt_bind_int64(st, 2, now_s(s));
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && !row)
		err = orsp_errf(ORSP_E_NOT_FOUND, "no %s with %s %.64s",
		                by == BY_EID_RELEASED     ? "released order"
		                : by == BY_EID_DOWNLOADED ? "released or downloaded order"
		                : by == BY_EID_EXPIRED    ? "expired order"
		                                          : "profile",
		                name[by], key);
	if (!err)
		err = read_row(st, p);
	orsp_stmt_finalize(st);
	return err;
}

static orsp_err audit(orsp_smdp *s, const char *action, const char *iccid, const char *from,
                      const char *to, const char *detail)
{
	char with_actor[ORSP_SMDP_AUDIT_DETAIL_MAX];
	orsp_err err;
	orsp_stmt *st = NULL;

	/* the request the change was made for (orsp_smdp_set_actor) */
	if (s->actor[0]) {
		/* the detail is kept whole (orsp_smdp_audit_row): one that has no room beside the
		 * actor (a backup's path of thousands of bytes) fails the change, not cut */
		int n = snprintf(with_actor, sizeof(with_actor), "%s%sby %s", detail ? detail : "",
		                 detail && detail[0] ? "; " : "", s->actor);
		if (n < 0 || (size_t)n >= sizeof(with_actor))
			return orsp_errf(
			    ORSP_E_RESOURCE,
			    "audit detail of %s too long with the actor: %d bytes, at most %zu",
			    action, n, sizeof(with_actor) - 1);
		detail = with_actor;
	}

	err = orsp_db_prepare(s->db,
	                      "INSERT INTO smdp_audit (at, action, iccid, from_state, to_state,"
	                      " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                      &st);
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, now_s(s));
	if (!err)
		err = orsp_stmt_bind_text(st, 2, action);
	if (!err)
		err = orsp_stmt_bind_text(st, 3, iccid);
	if (!err)
		err = orsp_stmt_bind_text(st, 4, from);
	if (!err)
		err = orsp_stmt_bind_text(st, 5, to);
	if (!err)
		err = orsp_stmt_bind_text(st, 6, detail ? detail : "");
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return err;
}

/* Queue the operator's report n on profile p (eid: the eUICC when p has none), in the
 * caller's transaction: a crash cannot lose it; a background sender delivers it
 * (smdp_server.c). Nothing when reports are off or n has no point. */
static orsp_err queue_progress(orsp_smdp *s, const orsp_smdp_profile *p, const char *eid,
                               const progress_note *n, const char *detail)
{
	orsp_stmt *ps = NULL;
	char result[RESULT_DATA_MAX / 3 * 4 + 8] = "";
	orsp_err err;

	if (s->no_progress || !n->point)
		return ORSP_OK;
	/* SGP.22's FunctionExecutionStatus: a Failed status carries statusCodeData */
	if (!n->ok && (!n->subject || !n->reason))
		return orsp_errf(ORSP_E_USAGE,
		                 "a failed progress report (point %d) needs its codes", n->point);
	if (n->result && n->result_len <= RESULT_DATA_MAX &&
	    orsp_base64_encode(n->result, n->result_len, result, sizeof(result)) != ORSP_OK)
		return orsp_errf(ORSP_E_RESOURCE, "installation result too large to report");
	err = orsp_db_prepare(s->db,
	                      "INSERT INTO smdp_progress (at, iccid, eid, profile_type, point_id,"
	                      " success, detail, next_at, subject_code, reason_code, result_data)"
	                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1, ?8, ?9, ?10)",
	                      &ps);
	if (!err)
		err = orsp_stmt_bind_int64(ps, 1, now_s(s));
	if (!err)
		err = orsp_stmt_bind_text(ps, 2, p->iccid);
	if (!err)
		err = orsp_stmt_bind_text(ps, 3, p->eid[0] || !eid ? p->eid : eid);
	if (!err)
		err = orsp_stmt_bind_text(ps, 4, p->profile_type);
	if (!err)
		err = orsp_stmt_bind_int64(ps, 5, n->point);
	if (!err)
		err = orsp_stmt_bind_int64(ps, 6, n->ok);
	if (!err)
		err = orsp_stmt_bind_text(ps, 7, detail ? detail : "");
	if (!err)
		err = orsp_stmt_bind_text(ps, 8, n->subject ? n->subject : "");
	if (!err)
		err = orsp_stmt_bind_text(ps, 9, n->reason ? n->reason : "");
	if (!err)
		err = orsp_stmt_bind_text(ps, 10, result);
	if (!err)
		err = orsp_stmt_run(ps);
	orsp_stmt_finalize(ps);
	if (!err)
		s->progress_queued++;
	return err;
}

/* Inside a transaction: move p by event ev (checked against the table), applying the extra
 * constant SET clauses `extra` (starting with ", " or ""), append the audit row, and queue
 * the operator's report: *note, or for NULL the event's own (progress_of). */
static orsp_err set_state_note(orsp_smdp *s, orsp_smdp_profile *p, orsp_smdp_event ev,
                               const char *extra, const char *detail, const progress_note *note)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_smdp_state next;
	char sql[512];

	err = orsp_smdp_transition(p->state, ev, &next);
	if (err)
		return err;
	if (snprintf(sql, sizeof(sql),
	             "UPDATE smdp_profile SET state = ?1, updated_at = ?2%s"
	             " WHERE iccid = ?3 AND state = ?4",
	             extra) >= (int)sizeof(sql))
		return orsp_errf(ORSP_E_RESOURCE, "update statement too long");
	err = orsp_db_prepare(s->db, sql, &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, orsp_smdp_state_name(next));
	if (!err)
		err = orsp_stmt_bind_int64(st, 2, now_s(s));
	if (!err)
		err = orsp_stmt_bind_text(st, 3, p->iccid);
	if (!err)
		err = orsp_stmt_bind_text(st, 4, orsp_smdp_state_name(p->state));
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (err)
		return err;
	if (orsp_db_changes(s->db) != 1)
		return orsp_errf(ORSP_E_STATE, "profile %s changed state meanwhile", p->iccid);
	err = audit(s, orsp_smdp_event_name(ev), p->iccid, orsp_smdp_state_name(p->state),
	            orsp_smdp_state_name(next), detail);
	if (!err) {
		progress_note n = note ? *note : progress_of(ev);
		err = queue_progress(s, p, n.eid, &n, detail);
	}
	if (!err)
		p->state = next;
	return err;
}

static orsp_err set_state(orsp_smdp *s, orsp_smdp_profile *p, orsp_smdp_event ev, const char *extra,
                          const char *detail)
{
	return set_state_note(s, p, ev, extra, detail, NULL);
}

/* Run one UPDATE on the profile `iccid`: ?1 is `text`, or the integer v when text is NULL;
 * ?2 is the ICCID. */
static orsp_err update_one(orsp_smdp *s, const char *sql, const char *text, int64_t v,
                           const char *iccid)
{
	orsp_err err;
	orsp_stmt *st = NULL;

	err = orsp_db_prepare(s->db, sql, &st);
	if (!err)
		err = text ? orsp_stmt_bind_text(st, 1, text) : orsp_stmt_bind_int64(st, 1, v);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, iccid);
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return err;
}

static orsp_err finish(orsp_smdp *s, orsp_err err)
{
	if (err) {
		orsp_db_rollback(s->db);
		return err;
	}
	return orsp_db_commit(s->db);
}

/* ----- open / close ----- */

/* First open: store a wrapped check value. Later opens: it must unwrap with this KEK. */
static orsp_err kek_check(orsp_smdp *s, bool store)
{
	return orsp_kek_check_ex(
	    s->db, &s->kek->k, "smdp_kek_check", KEK_CHECK_AAD, kek_check_plain,
	    sizeof(kek_check_plain),
	    "SELECT 1 FROM smdp_profile UNION ALL SELECT 1 FROM smdp_audit LIMIT 1", store);
}

/* Whether the database may hold the inventory: one with the smdp module's schema, or, when
 * the mode allows creating it, one that holds no table at all (new, or empty). The SM-DP+
 * keeps a database of its own, as the AuC does (auc.c): `smdp serve --db` naming the AuC's
 * file would otherwise add the SM-DP+ tables to the subscriber keys' database, and a
 * mistyped path naming another program's file would be migrated and served from as an empty
 * inventory; a verb that reads the inventory would make one of a 0-byte file. Looked at
 * before any migration, so a refused database is left as it was. */
static orsp_err own_database(orsp_db *db, const char *db_uri, orsp_db_open_mode mode)
{
	const char *name = strncmp(db_uri, "sqlite:", 7) == 0 ? db_uri + 7 : db_uri;
	orsp_err err;
	int v = 0;
	bool other = false;

	err = orsp_db_module_state(db, "smdp", &v, &other);
	if (err || v > 0)
		return err;
	if (other)
		err = orsp_errf(ORSP_E_POLICY,
		                "%s holds no SM-DP+ inventory but other tables (an AuC database?): "
		                "the SM-DP+ needs a database of its own",
		                name);
	else if (!err && mode != ORSP_DB_OPEN_CREATE)
		err = orsp_errf(ORSP_E_NOT_FOUND, "%s holds no SM-DP+ inventory", name);
	return err;
}

orsp_err orsp_smdp_open(const char *db_uri, const orsp_secret *kek, orsp_smdp **out)
{
	return orsp_smdp_open_ex(db_uri, ORSP_DB_OPEN_CREATE, kek, out);
}

orsp_err orsp_smdp_open_ex(const char *db_uri, orsp_db_open_mode mode, const orsp_secret *kek,
                           orsp_smdp **out)
{
	orsp_err err;
	orsp_smdp *s = NULL;

	if (!out || !kek || !db_uri)
		return orsp_errf(ORSP_E_USAGE, "smdp open: missing arguments");
	*out = NULL;
	if (mode != ORSP_DB_OPEN_CREATE && mode != ORSP_DB_OPEN_EXISTING &&
	    mode != ORSP_DB_OPEN_READONLY && mode != ORSP_DB_OPEN_UNMIGRATED)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "smdp open: mode must be create, existing, read-only or unmigrated");
	if (kek->len != ORSP_KEK_LEN)
		return orsp_errf(ORSP_E_USAGE, "KEK must be %d bytes", ORSP_KEK_LEN);
	s = calloc(1, sizeof(*s));
	if (!s)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	s->kek = calloc(1, sizeof(*s->kek));
	if (!s->kek) {
		free(s);
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	s->kek->k = *kek;
	atomic_init(&s->kek->refs, 1);
	err = orsp_db_open_ex(db_uri, mode, &s->db);
	if (!err)
		err = own_database(s->db, db_uri, mode);
	/* the ES9+ tables share the database: one a newer program's ES9+ handler migrated is
	 * refused before the inventory's migration writes to it (orsp_es9p_prepare, after this
	 * open, would refuse it only then) */
	if (!err)
		err = smdp_es9p_schema_check(s->db);
	/* a wrong KEK is refused before the migration writes to an older inventory */
	if (!err)
		err = orsp_kek_precheck(s->db, "smdp", ORSP_ARRAY_LEN(smdp_migrations), &s->kek->k,
		                        "smdp_kek_check", KEK_CHECK_AAD, kek_check_plain,
		                        sizeof(kek_check_plain));
	/* read-only and unmigrated: judged as the migration judges it (a newer schema refused
	 * with the same words), but left at its version; the KEK was checked above against a
	 * stored check value, and one without any is judged by kek_check below */
	if (!err && (mode == ORSP_DB_OPEN_READONLY || mode == ORSP_DB_OPEN_UNMIGRATED))
		err = orsp_db_schema_check(s->db, "smdp", ORSP_ARRAY_LEN(smdp_migrations));
	else if (!err)
		err = orsp_db_migrate_ex(s->db, "smdp", smdp_migrations,
		                         ORSP_ARRAY_LEN(smdp_migrations), &s->created);
	/* read-only: nothing stored, but data without a check value refused (session 73) */
	if (!err)
		err = kek_check(s, mode != ORSP_DB_OPEN_READONLY);
	if (!err) {
		*out = s;
		s = NULL;
	}
	orsp_smdp_close(s);
	return err;
}

orsp_err orsp_smdp_kek_opens(const char *db_uri, const orsp_secret *kek)
{
	return orsp_kek_opens(db_uri, own_database, kek, "smdp_kek_check", KEK_CHECK_AAD,
	                      kek_check_plain, sizeof(kek_check_plain));
}

bool orsp_smdp_created(const orsp_smdp *s)
{
	return s && s->created;
}

orsp_err orsp_smdp_schema(orsp_smdp *s, orsp_smdp_schema_info *out)
{
	orsp_err err;

	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "smdp schema: missing arguments");
	memset(out, 0, sizeof(*out));
	out->smdp_latest = (int)ORSP_ARRAY_LEN(smdp_migrations);
	out->es9p_latest = smdp_es9p_schema_latest();
	err = orsp_db_schema_version(s->db, "smdp", &out->smdp);
	if (!err)
		err = orsp_db_schema_version(s->db, "smdp_es9p", &out->es9p);
	return err;
}

orsp_err orsp_smdp_migrate_check(orsp_smdp *s)
{
	orsp_err err;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "smdp migrate check: missing arguments");
	err = orsp_db_migrate_check(s->db, "smdp", ORSP_ARRAY_LEN(smdp_migrations));
	if (!err)
		err = smdp_es9p_migrate_check(s->db);
	return err;
}

orsp_err orsp_smdp_probe(const char *db_uri)
{
	return orsp_smdp_probe_ex(db_uri, ORSP_DB_OPEN_EXISTING);
}

orsp_err orsp_smdp_probe_ex(const char *db_uri, orsp_db_open_mode mode)
{
	return orsp_db_probe("smdp probe", db_uri, orsp_db_look_mode(mode), own_database);
}

orsp_err orsp_smdp_open_view(orsp_smdp *s, orsp_smdp **out)
{
	orsp_smdp *v;
	orsp_err err;

	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "smdp open view: missing arguments");
	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	err = orsp_db_open_view(s->db, &v->db);
	if (err) {
		free(v);
		return err;
	}
	/* the same copy of the KEK, not another (smdp_kek) */
	if (s->kek)
		atomic_fetch_add(&s->kek->refs, 1);
	v->kek = s->kek;
	atomic_store(&v->clock, atomic_load(&s->clock));
	v->no_progress = s->no_progress;
	*out = v;
	return ORSP_OK;
}

void orsp_smdp_close(orsp_smdp *s)
{
	if (!s)
		return;
	orsp_db_close(s->db);
	orsp_hmac_key_free(s->mac_key);
	kek_release(s->kek);
	free(s);
}

/* ----- import ----- */

static void aad_for(char *buf, size_t cap, const char *what, const char *iccid)
{
	snprintf(buf, cap, "smdp:%s:%s", what, iccid);
}

/* sealed = IV (12) || ciphertext || tag (16) under a fresh data key, itself KEK-wrapped. */
static orsp_err seal_upp(orsp_smdp *s, const char *iccid, const uint8_t *upp, size_t len,
                         uint8_t *sealed, uint8_t *dek_w, size_t *dek_w_len)
{
	orsp_err err;
	orsp_secret dek = {0};
	char aad[64];

	dek.len = 32;
	err = orsp_random(dek.v, dek.len);
	if (!err)
		err = orsp_random(sealed, 12);
	if (err)
		goto out;
	aad_for(aad, sizeof(aad), "upp", iccid);
	err = orsp_aes_gcm_seal(dek.v, dek.len, sealed, aad, strlen(aad), upp, len, sealed + 12,
	                        sealed + 12 + len);
	if (err)
		goto out;
	aad_for(aad, sizeof(aad), "dek", iccid);
	err = orsp_smdp_wrap(s, aad, &dek, dek_w, ORSP_WRAP_MAX, dek_w_len);
out:
	orsp_secret_wipe(&dek);
	return err;
}

static orsp_err check_duplicate(orsp_smdp *s, const char *iccid, const char *imsi)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false;

	err = orsp_db_prepare(
	    s->db, "SELECT iccid = ?1 FROM smdp_profile WHERE iccid = ?1 OR imsi = ?2", &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, iccid);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, imsi);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row)
		err = orsp_stmt_column_int64(st, 0)
		          ? orsp_errf(ORSP_E_EXISTS, "ICCID %s already imported", iccid)
		          : orsp_errf(ORSP_E_EXISTS, "IMSI %s already imported", imsi);
	orsp_stmt_finalize(st);
	return err;
}

/* The audit detail of an import: "" without PPRs, else the rules and the owner. */
static void import_detail(const orsp_smdp_profile *p, char *out, size_t cap)
{
	char rules[32];
	const char *mm = p->owner.mcc_mnc;

	out[0] = '\0';
	if (p->profile_class)
		snprintf(out, cap, "class %s%s", orsp_pkg_class_name(p->profile_class),
		         p->ppr ? ", " : "");
	if (!p->ppr)
		return;
	orsp_smdp_ppr_str(p->ppr, rules, sizeof(rules));
	snprintf(out + strlen(out), cap - strlen(out), "PPRs %s, owner MCC %.3s MNC %s%s%s", rules,
	         mm, mm + 3, p->owner.gid1_len ? " GID1" : "", p->owner.gid2_len ? " GID2" : "");
}

orsp_err orsp_smdp_import(orsp_smdp *s, const uint8_t *upp, size_t len, orsp_smdp_profile *out)
{
	return orsp_smdp_import_with(s, upp, len, NULL, out);
}

/* Every EF.ICCID of pkg (PE-MF's, PE-IoT's) defined: the eUICC serves the package's bytes,
 * and one left undefined ('FF' throughout, for a personalisation that will not come, or no
 * such file) says nothing of the ICCID the profile is delivered as. orsp_pkg_validate has
 * checked a defined one against the ProfileHeader. ORSP_E_POLICY naming the PE otherwise. */
static orsp_err ef_iccid_defined(const orsp_pkg *pkg)
{
	uint8_t ef[16];
	size_t len = 0, n = orsp_pkg_count(pkg), found = 0;
	orsp_pe_info pe;
	orsp_err err;

	for (size_t i = 0; i < n; i++) {
		bool defined = false;
		if ((err = orsp_pkg_pe(pkg, i, &pe)))
			return err;
		if (pe.type != ORSP_PE_MF && pe.type != ORSP_PE_IOT)
			continue;
		found++;
		err = orsp_pkg_file_read(pkg, i, "ef-iccid", ef, sizeof(ef), &len);
		if (err && err != ORSP_E_NOT_FOUND)
			return err;
		orsp_err_clear();
		for (size_t k = 0; !err && k < len; k++)
			defined |= ef[k] != 0xFF;
		if (!defined)
			return orsp_errf(ORSP_E_POLICY,
			                 "the package defines no EF.ICCID (PE #%zu, %s)", i,
			                 orsp_pe_type_name(pe.type));
	}
	return found ? ORSP_OK : orsp_errf(ORSP_E_POLICY, "the package defines no EF.ICCID");
}

/* What an import takes from the package upp and the options o, before the store is touched:
 * the decoded and validated package (*pkg, the caller frees it), its header, its first USIM
 * and the PPRs, class and owner (*policy). The checks of orsp_smdp_import_check. */
static orsp_err import_read(const uint8_t *upp, size_t len, const orsp_smdp_import_opts *o,
                            orsp_pkg **pkg, orsp_pkg_header *hdr, orsp_pkg_usim *usim,
                            orsp_smdp_profile *policy)
{
	static const orsp_smdp_import_opts none = {0};
	orsp_err err;

	if (!upp || len == 0)
		return orsp_errf(ORSP_E_USAGE, "import: missing arguments");
	if (!o)
		o = &none;
	if (o->ppr & ~ORSP_SMDP_PPR_ALL)
		return orsp_errf(ORSP_E_USAGE, "import: PPRs other than PPR1 and PPR2 (0x%x)",
		                 o->ppr);
	if (o->mnc_len && !o->ppr)
		return orsp_errf(
		    ORSP_E_USAGE,
		    "import: an MNC length is only for the owner of a profile with PPRs");
	if (o->mnc_len && o->mnc_len != 2 && o->mnc_len != 3)
		return orsp_errf(ORSP_E_USAGE, "import: MNC length %u, expected 2 or 3",
		                 o->mnc_len);
	if ((unsigned)o->profile_class > ORSP_PKG_CLASS_OPERATIONAL)
		return orsp_errf(ORSP_E_USAGE, "import: profile class %u unknown",
		                 (unsigned)o->profile_class);
	memset(policy, 0, sizeof(*policy));
	policy->ppr = o->ppr;
	policy->profile_class = o->profile_class;
	err = orsp_pkg_decode(upp, len, pkg);
	if (!err)
		err = orsp_pkg_validate(*pkg, NULL);
	if (!err)
		err = orsp_pkg_get_header(*pkg, hdr);
	if (err)
		return err;
	if (strlen(hdr->iccid) < 18)
		return orsp_errf(ORSP_E_POLICY, "the ProfileHeader carries no usable ICCID");
	if ((err = ef_iccid_defined(*pkg)))
		return err;
	err = orsp_pkg_get_usim(*pkg, 0, usim);
	if (err == ORSP_E_NOT_FOUND || (!err && !usim->has_imsi))
		return orsp_errf(ORSP_E_POLICY, "the package defines no EF.IMSI");
	if (!err && policy->ppr)
		err = smdp_owner_of(*pkg, usim, o->mnc_len, &policy->owner);
	return err;
}

orsp_err orsp_smdp_import_check(const uint8_t *upp, size_t len, const orsp_smdp_import_opts *o)
{
	orsp_pkg *pkg = NULL;
	orsp_pkg_header *hdr = malloc(sizeof(*hdr));
	orsp_pkg_usim usim;
	orsp_smdp_profile policy;
	orsp_err err;

	if (!hdr)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	err = import_read(upp, len, o, &pkg, hdr, &usim, &policy);
	free(hdr);
	orsp_pkg_free(pkg);
	return err;
}

orsp_err orsp_smdp_import_with(orsp_smdp *s, const uint8_t *upp, size_t len,
                               const orsp_smdp_import_opts *o, orsp_smdp_profile *out)
{
	orsp_err err;
	orsp_pkg *pkg = NULL;
	orsp_pkg_header *hdr = NULL;
	orsp_pkg_usim usim;
	orsp_smdp_profile policy; /* ppr and owner */
	orsp_stmt *st = NULL;
	uint8_t *sealed = NULL;
	uint8_t dek_w[ORSP_WRAP_MAX];
	size_t dek_w_len = 0;
	char detail[128];
	bool in_tx = false;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "import: missing arguments");
	hdr = malloc(sizeof(*hdr));
	if (!hdr)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	err = import_read(upp, len, o, &pkg, hdr, &usim, &policy);
	if (err)
		goto out;
	import_detail(&policy, detail, sizeof(detail));
	sealed = malloc(len + 28);
	if (!sealed) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	err = seal_upp(s, hdr->iccid, upp, len, sealed, dek_w, &dek_w_len);
	if (err)
		goto out;
	err = orsp_db_begin(s->db);
	if (err)
		goto out;
	in_tx = true;
	err = check_duplicate(s, hdr->iccid, usim.imsi);
	if (!err)
		err =
		    orsp_db_prepare(s->db,
		                    "INSERT INTO smdp_profile (iccid, imsi, profile_type, state,"
		                    " cc_limit, download_limit, upp_len, created_at, updated_at,"
		                    " ppr, owner_mcc_mnc, owner_gid1, owner_gid2, profile_class)"
		                    " VALUES (?1, ?2, ?3, 'available', ?4, ?5, ?6, ?7, ?7, ?8, ?9,"
		                    " ?10, ?11, ?12)",
		                    &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, hdr->iccid);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, usim.imsi);
	if (!err)
		err = orsp_stmt_bind_text(st, 3, hdr->has_profile_type ? hdr->profile_type : "");
	if (!err)
		err = orsp_stmt_bind_int64(st, 4, ORSP_SMDP_DEFAULT_CC_LIMIT);
	if (!err)
		err = orsp_stmt_bind_int64(st, 5, ORSP_SMDP_DEFAULT_DOWNLOAD_LIMIT);
	if (!err)
		err = orsp_stmt_bind_int64(st, 6, (int64_t)len);
	if (!err)
		err = orsp_stmt_bind_int64(st, 7, now_s(s));
	if (!err)
		err = orsp_stmt_bind_int64(st, 8, policy.ppr);
	/* no owner without PPRs; an absent GID is NULL */
	if (!err)
		err = policy.ppr ? orsp_stmt_bind_text(st, 9, policy.owner.mcc_mnc)
		                 : orsp_stmt_bind_null(st, 9);
	if (!err)
		err = policy.owner.gid1_len
		          ? orsp_stmt_bind_blob(st, 10, policy.owner.gid1, policy.owner.gid1_len)
		          : orsp_stmt_bind_null(st, 10);
	if (!err)
		err = policy.owner.gid2_len
		          ? orsp_stmt_bind_blob(st, 11, policy.owner.gid2, policy.owner.gid2_len)
		          : orsp_stmt_bind_null(st, 11);
	if (!err)
		err = policy.profile_class
		          ? orsp_stmt_bind_int64(st, 12, policy.profile_class - ORSP_PKG_CLASS_TEST)
		          : orsp_stmt_bind_null(st, 12);
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	st = NULL;
	if (!err)
		err = orsp_db_prepare(s->db,
		                      "INSERT INTO smdp_upp (profile_id, dek_wrapped, upp_sealed)"
		                      " VALUES (last_insert_rowid(), ?1, ?2)",
		                      &st);
	if (!err)
		err = orsp_stmt_bind_blob(st, 1, dek_w, dek_w_len);
	if (!err)
		err = orsp_stmt_bind_blob(st, 2, sealed, len + 28);
	if (!err)
		err = orsp_stmt_run(st);
	if (!err)
		err = audit(s, "import", hdr->iccid, "", "available", detail);
	/* read back before the commit: after it, a failed read would report a stored profile as
	 * not imported (and its second import as a duplicate) */
	if (!err && out)
		err = load(s, BY_ICCID, hdr->iccid, out);
	in_tx = false;
	err = finish(s, err);
out:
	if (in_tx)
		orsp_db_rollback(s->db);
	orsp_stmt_finalize(st);
	free(sealed); /* ciphertext only */
	free(hdr);
	orsp_pkg_free(pkg);
	return err;
}

orsp_err orsp_smdp_get_upp(orsp_smdp *s, const char *iccid, uint8_t **out, size_t *len)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_secret dek = {0};
	uint8_t *plain = NULL, *sealed = NULL, dw[ORSP_WRAP_MAX];
	size_t dw_len = 0, n = 0;
	char aad[64];
	bool row = false;

	if (!s || !iccid || !out || !len)
		return orsp_errf(ORSP_E_USAGE, "get UPP: missing arguments");
	*out = NULL;
	*len = 0;
	/* The row is copied out and the statement finalized before the key is unwrapped and
	 * the package decrypted: the connection is shared by the server's threads, and
	 * none of them waits for it while this one decrypts 12 KiB or more. */
	err = orsp_db_prepare(s->db,
	                      "SELECT u.dek_wrapped, u.upp_sealed, p.upp_len FROM smdp_profile p"
	                      " LEFT JOIN smdp_upp u ON u.profile_id = p.id WHERE p.iccid = ?1",
	                      &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, iccid);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && !row)
		err = orsp_errf(ORSP_E_NOT_FOUND, "no profile with ICCID %.24s", iccid);
	if (!err) {
		orsp_slice w = orsp_stmt_column_blob(st, 0);
		orsp_slice b = orsp_stmt_column_blob(st, 1);
		int64_t l = orsp_stmt_column_int64(st, 2);

		if (l == 0) /* orsp_smdp_purge */
			err = orsp_errf(ORSP_E_NOT_FOUND,
			                "profile %.24s holds no package: it was purged", iccid);
		else if (l < 0 || l > (int64_t)ORSP_PKG_MAX_SIZE || b.len != (size_t)l + 28)
			err = orsp_errf(ORSP_E_MALFORMED, "stored UPP has a bad length");
		else if (w.len > sizeof(dw))
			err = orsp_errf(ORSP_E_MALFORMED, "stored UPP key has a bad length");
		else if (!(sealed = malloc(b.len)))
			err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		else {
			n = (size_t)l;
			memcpy(dw, w.p, w.len);
			dw_len = w.len;
			memcpy(sealed, b.p, b.len);
		}
	}
	orsp_stmt_finalize(st);
	if (err)
		goto out;
	aad_for(aad, sizeof(aad), "dek", iccid);
	err = orsp_smdp_unwrap(s, aad, dw, dw_len, &dek);
	if (err)
		goto out;
	plain = malloc(n);
	if (!plain) {
		err = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	aad_for(aad, sizeof(aad), "upp", iccid);
	err = orsp_aes_gcm_open(dek.v, dek.len, sealed, aad, strlen(aad), sealed + 12, n,
	                        sealed + 12 + n, plain);
	if (err)
		goto out;
	*out = plain;
	*len = n;
	plain = NULL;
out:
	orsp_secret_wipe(&dek);
	orsp_wipe(dw, sizeof(dw));
	free(sealed); /* ciphertext: no secret */
	if (plain)
		orsp_pkg_buf_free(plain, n);
	return err;
}

/* ----- ES2+ ----- */

/* Whether the inventory has (or had) a profile of this type, in any state. Read only after a
 * downloadOrder found none Available, outside its write transaction, through
 * smdp_profile_type (migration 20; the partial index of Available profiles does not serve it,
 * and until session 77 an unknown or ordered-out type cost a scan of the table). */
static orsp_err type_known(orsp_smdp *s, const char *type, bool *known)
{
	orsp_stmt *st = NULL;
	orsp_err err = orsp_db_prepare(s->db, SMDP_SQL_TYPE_KNOWN, &st);

	*known = false;
	if (!err)
		err = orsp_stmt_bind_text(st, 1, type);
	if (!err)
		err = orsp_stmt_step(st, known);
	orsp_stmt_finalize(st);
	return err;
}

/* Whether the profile a recorded call ordered still holds the order the call placed. */
typedef enum call_order {
	CALL_ORDER_OURS,    /* the profile's order_seq is the call's */
	CALL_ORDER_AGAIN,   /* the profile was ordered again since */
	CALL_ORDER_UNKNOWN, /* the call was recorded before migration 19: no order_seq */
} call_order;

/* The call c of `function` recorded, if any: *iccid (else ""), *which whether that profile's
 * order is still the one the call acted on (order_seq, migration 19), c->matching_id and
 * c->eid as recorded (a confirmOrder's answer; "" else), and c->conflict when it was recorded
 * with another body (ORSP_E_EXISTS). In the call's write transaction. */
static orsp_err call_find(orsp_smdp *s, orsp_smdp_call *c, const char *function, char iccid[21],
                          call_order *which)
{
	orsp_stmt *st = NULL;
	bool row = false;
	orsp_slice h;
	orsp_err err =
	    orsp_db_prepare(s->db,
	                    "SELECT c.body_hash, c.iccid, c.order_seq IS NULL, c.order_seq IS"
	                    " (SELECT p.order_seq FROM smdp_profile AS p WHERE p.iccid ="
	                    " c.iccid), coalesce(c.matching_id, ''), coalesce(c.eid, '')"
	                    " FROM smdp_call AS c WHERE c.requester = ?1 AND c.call_id = ?2"
	                    " AND c.function = ?3",
	                    &st);

	iccid[0] = '\0';
	c->matching_id[0] = c->eid[0] = '\0';
	*which = CALL_ORDER_UNKNOWN;
	if (!err)
		err = orsp_stmt_bind_text(st, 1, c->requester);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, c->id);
	if (!err)
		err = orsp_stmt_bind_text(st, 3, function);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row) {
		h = orsp_stmt_column_blob(st, 0);
		c->conflict = h.len != sizeof(c->body_hash) ||
		              memcmp(h.p, c->body_hash, sizeof(c->body_hash)) != 0;
		err = copy_text(iccid, 21, orsp_stmt_column_text(st, 1), "recorded call's ICCID");
		*which = orsp_stmt_column_int64(st, 2)   ? CALL_ORDER_UNKNOWN
		         : orsp_stmt_column_int64(st, 3) ? CALL_ORDER_OURS
		                                         : CALL_ORDER_AGAIN;
		if (!err)
			err =
			    copy_text(c->matching_id, sizeof(c->matching_id),
			              orsp_stmt_column_text(st, 4), "recorded call's matching ID");
		if (!err)
			err = copy_text(c->eid, sizeof(c->eid), orsp_stmt_column_text(st, 5),
			                "recorded call's EID");
	}
	if (!err && c->conflict)
		err =
		    orsp_errf(ORSP_E_EXISTS,
		              "functionCallIdentifier %.256s was used for another request", c->id);
	orsp_stmt_finalize(st);
	return err;
}

/* Record call c of `function` on profile iccid, with the profile's order_seq (the order the
 * call placed or acted on) and, for a confirmOrder, the matching ID and EID it answers (NULL:
 * none), in the transaction that did what the call asked. */
static orsp_err call_record(orsp_smdp *s, const orsp_smdp_call *c, const char *function,
                            const char *iccid, const char *mid, const char *eid)
{
	orsp_stmt *st = NULL;
	orsp_err err = orsp_db_prepare(s->db,
	                               "INSERT INTO smdp_call (requester, call_id, function,"
	                               " body_hash, iccid, at, order_seq, matching_id, eid)"
	                               " VALUES (?1, ?2, ?6, ?3, ?4, ?5, (SELECT order_seq FROM"
	                               " smdp_profile WHERE iccid = ?4), ?7, ?8)",
	                               &st);

	if (!err)
		err = orsp_stmt_bind_text(st, 1, c->requester);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, c->id);
	if (!err)
		err = orsp_stmt_bind_blob(st, 3, c->body_hash, sizeof(c->body_hash));
	if (!err)
		err = orsp_stmt_bind_text(st, 4, iccid);
	if (!err)
		err = orsp_stmt_bind_int64(st, 5, now_s(s));
	if (!err)
		err = orsp_stmt_bind_text(st, 6, function);
	if (!err)
		err = mid && mid[0] ? orsp_stmt_bind_text(st, 7, mid) : orsp_stmt_bind_null(st, 7);
	if (!err)
		err = eid && eid[0] ? orsp_stmt_bind_text(st, 8, eid) : orsp_stmt_bind_null(st, 8);
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return err;
}

/* A call whose order was recorded: that profile as it is now into *out, and an audit row.
 * Refused (ORSP_E_STATE, c->ended, nothing written) when the profile's order may not be the
 * one the call placed: it was ordered again since, or the call was recorded before migration
 * 19, when that cannot be told (refused too: answering its ICCID could hand the operator
 * another call's order, as every replay did until session 74, which it would then confirm or
 * cancel as this call's). */
static orsp_err call_replay(orsp_smdp *s, orsp_smdp_call *c, const char *iccid, call_order which,
                            orsp_smdp_profile *out)
{
	orsp_smdp_profile p;
	orsp_err err;

	c->ended = which != CALL_ORDER_OURS;
	if (which == CALL_ORDER_AGAIN)
		return orsp_errf(ORSP_E_STATE,
		                 "the order this call placed (profile %s) has ended, and the"
		                 " profile was ordered again since",
		                 iccid);
	if (which == CALL_ORDER_UNKNOWN)
		return orsp_errf(ORSP_E_STATE,
		                 "the order this call placed (profile %s) may have ended: the call"
		                 " was recorded before the schema's migration 19",
		                 iccid);
	err = load(s, BY_ICCID, iccid, &p);
	if (!err)
		err = audit(s, "downloadOrderReplay", p.iccid, orsp_smdp_state_name(p.state),
		            orsp_smdp_state_name(p.state), "");
	if (!err && out)
		*out = p;
	c->replayed = !err;
	return err;
}

/* In the transaction of a confirmOrder, cancelOrder or releaseProfile (`function`) for ES2+
 * call c: when c was recorded, *replayed, the profile it was recorded on as it is now into *p
 * (may be NULL) and an audit row `<function>Replay` on it, its state unchanged (saying so when
 * the profile holds a later order than the call's): nothing else is done, the caller answers
 * as the call was first answered (recorded: it succeeded) and commits. ORSP_E_EXISTS
 * (c->conflict) for a call recorded with another body. */
static orsp_err call_replay_done(orsp_smdp *s, orsp_smdp_call *c, const char *function,
                                 orsp_smdp_profile *p, bool *replayed)
{
	char recorded[21], action[32];
	call_order which;
	orsp_smdp_profile now;
	orsp_err err;

	*replayed = false;
	if (!c)
		return ORSP_OK;
	err = call_find(s, c, function, recorded, &which);
	if (err || !recorded[0])
		return err;
	/* the ICCID is part of the body's hash: the request's, as the inventory keeps it */
	err = load(s, BY_ICCID, recorded, &now);
	snprintf(action, sizeof(action), "%sReplay", function);
	if (!err)
		err = audit(s, action, now.iccid, orsp_smdp_state_name(now.state),
		            orsp_smdp_state_name(now.state),
		            which == CALL_ORDER_OURS
		                ? ""
		                : "the profile holds a later order: left as it is");
	if (!err && p)
		*p = now;
	*replayed = c->replayed = !err;
	return err;
}

orsp_err orsp_smdp_call_prune(orsp_smdp *s, int64_t keep_s, size_t max, size_t *deleted)
{
	orsp_stmt *st = NULL;
	orsp_err err;

	if (deleted)
		*deleted = 0;
	if (!s || !deleted || keep_s <= 0)
		return orsp_errf(ORSP_E_USAGE, "call prune: bad arguments");
	if ((err = orsp_db_begin(s->db)))
		return err;
	/* The first `max` rows by rowid, the oldest written (a rowid table: each insert takes
	 * the largest rowid + 1, and the oldest go first), and of those the ones older than the
	 * retention: a batch reads at most `max` rows of the table's B-tree, where a search by
	 * `at` would need an index on it, one more B-tree written by every downloadOrder. A row
	 * whose `at` is later than that of rows after it (written by a process whose clock was
	 * ahead) stays until it is old itself, taking one place of a batch meanwhile. */
	err = orsp_db_prepare(s->db,
	                      "DELETE FROM smdp_call WHERE rowid IN (SELECT rowid FROM"
	                      " (SELECT rowid, at FROM smdp_call ORDER BY rowid LIMIT ?2)"
	                      " WHERE at < ?1)",
	                      &st);
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, now_s(s) - keep_s);
	if (!err)
		err = orsp_stmt_bind_int64(st, 2, max ? (int64_t)max : 1000);
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (err) {
		orsp_db_rollback(s->db);
		return err;
	}
	*deleted = (size_t)orsp_db_changes(s->db);
	/* a deletion lost to a power cut is made again by the next call */
	return orsp_db_commit_lazy(s->db);
}

orsp_err orsp_smdp_download_order(orsp_smdp *s, const orsp_smdp_order *o, orsp_smdp_profile *out)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_smdp_profile p;
	char mid[ORSP_SMDP_MATCHING_ID_MAX + 1], recorded[21];
	call_order which = CALL_ORDER_UNKNOWN;
	bool row = false;

	if (!s || !o || !!o->iccid == !!o->profile_type)
		return orsp_errf(ORSP_E_USAGE,
		                 "downloadOrder needs exactly one of ICCID and profile type");
	if (o->eid && orsp_eid_check(o->eid))
		return orsp_errf(ORSP_E_USAGE, "EID must be 32 digits with valid check digits");
	if (o->matching_id) {
		err = orsp_smdp_matching_id_check(o->matching_id);
		if (err)
			return err;
		snprintf(mid, sizeof(mid), "%s", o->matching_id);
	} else {
		err = orsp_smdp_matching_id_generate(mid);
		if (err)
			return err;
	}
	/* validity at most ten years: keeps now + validity far from overflow */
	if (o->validity_s < 0 || o->validity_s > 10 * 366 * 86400 || o->cc_limit > 100 ||
	    o->download_limit > 100)
		return orsp_errf(ORSP_E_USAGE, "downloadOrder: limits out of range");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	if (o->call) {
		err = call_find(s, o->call, "downloadOrder", recorded, &which);
		if (!err && recorded[0])
			err = call_replay(s, o->call, recorded, which, out);
		if (err || recorded[0])
			goto out;
	}
	if (o->iccid) {
		err = load(s, BY_ICCID, o->iccid, &p);
	} else {
		err = orsp_db_prepare(s->db, "SELECT " COLS SMDP_SQL_FIRST_AVAILABLE_FROM, &st);
		if (!err)
			err = orsp_stmt_bind_text(st, 1, o->profile_type);
		if (!err)
			err = orsp_stmt_step(st, &row);
		if (!err && !row)
			err = orsp_errf(ORSP_E_NOT_FOUND, "no available profile of type \"%.64s\"",
			                o->profile_type);
		if (!err)
			err = read_row(st, &p);
		orsp_stmt_finalize(st);
		st = NULL;
	}
	if (err)
		goto out;
	err = orsp_db_prepare(s->db,
	                      "UPDATE smdp_profile SET eid = ?1, matching_id = ?2, expires_at = ?3,"
	                      " due_at = ?3, cc_limit = ?4, download_limit = ?5, cc_attempts = 0,"
	                      " download_attempts = 0, cc_wrapped = NULL,"
	                      " order_seq = order_seq + 1 WHERE iccid = ?6",
	                      &st);
	if (!err)
		err = o->eid ? orsp_stmt_bind_text(st, 1, o->eid) : orsp_stmt_bind_null(st, 1);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, mid);
	if (!err)
		err = orsp_stmt_bind_int64(
		    st, 3,
		    now_s(s) + (o->validity_s ? o->validity_s : ORSP_SMDP_DEFAULT_VALIDITY_S));
	if (!err)
		err = orsp_stmt_bind_int64(st, 4,
		                           o->cc_limit ? o->cc_limit : ORSP_SMDP_DEFAULT_CC_LIMIT);
	if (!err)
		err = orsp_stmt_bind_int64(st, 5,
		                           o->download_limit ? o->download_limit
		                                             : ORSP_SMDP_DEFAULT_DOWNLOAD_LIMIT);
	if (!err)
		err = orsp_stmt_bind_text(st, 6, p.iccid);
	/* The state check comes first so that a non-Available profile reports ORSP_E_STATE. */
	if (!err) {
		orsp_smdp_state next;
		err = orsp_smdp_transition(
		    p.state, o->eid ? ORSP_SMDP_EV_ORDER_EID : ORSP_SMDP_EV_ORDER, &next);
	}
	if (!err)
		err = orsp_stmt_run(st);
	if (err == ORSP_E_EXISTS)
		err = orsp_errf(ORSP_E_EXISTS, "matching ID %s is already in use", mid);
	if (!err) {
		/* the EID too: a cancel to Available clears it from the profile */
		char detail[128];
		snprintf(detail, sizeof(detail), "%s%s%s", mid, o->eid ? ", EID " : "",
		         o->eid ? o->eid : "");
		err = set_state(s, &p, o->eid ? ORSP_SMDP_EV_ORDER_EID : ORSP_SMDP_EV_ORDER, "",
		                detail);
	}
	if (!err && o->call)
		err = call_record(s, o->call, "downloadOrder", p.iccid, NULL, NULL);
	/* read back inside the transaction: a read failing after the commit would report an
	 * order that was placed as failed, and the operator's retry would order another profile */
	if (!err && out) {
		orsp_stmt_finalize(st);
		st = NULL;
		err = load(s, BY_ICCID, p.iccid, out);
	}
out:
	orsp_stmt_finalize(st);
	err = finish(s, err);
	if (err == ORSP_E_NOT_FOUND && o->profile_type) {
		/* none Available: a type all of whose profiles are ordered or used, or one this
		 * SM-DP+ never had (SGP.22 §5.3.1 tells them apart: 3.7 and 3.9) */
		bool known = false;
		orsp_err e2 = type_known(s, o->profile_type, &known);
		if (e2)
			return e2;
		return known ? orsp_errf(ORSP_E_STATE,
		                         "no available profile of type \"%.64s\": all are ordered"
		                         " or used",
		                         o->profile_type)
		             : orsp_errf(ORSP_E_NOT_FOUND, "unknown profile type \"%.64s\"",
		                         o->profile_type);
	}
	return err;
}

/* Bind an order placed without an EID to one: at ES2+.ConfirmOrder when the operator names
 * it then, else at the first delivery. */
static orsp_err bind_eid(orsp_smdp *s, orsp_smdp_profile *p, const char *eid)
{
	char detail[48];
	orsp_err err =
	    update_one(s, "UPDATE smdp_profile SET eid = ?1 WHERE iccid = ?2 AND eid IS NULL", eid,
	               0, p->iccid);

	if (!err && orsp_db_changes(s->db) != 1)
		err =
		    orsp_errf(ORSP_E_STATE, "profile %s was bound to an eUICC meanwhile", p->iccid);
	snprintf(detail, sizeof(detail), "EID %s", eid);
	if (!err)
		err = audit(s, "bindEid", p->iccid, orsp_smdp_state_name(p->state),
		            orsp_smdp_state_name(p->state), detail);
	if (!err)
		snprintf(p->eid, sizeof(p->eid), "%s", eid);
	return err;
}

orsp_err orsp_smdp_cc_check(const char *cc)
{
	size_t n = cc ? strlen(cc) : 0;

	if (n == 0 || n > 64)
		return orsp_errf(ORSP_E_USAGE, "confirmation code must have 1..64 characters");
	for (size_t i = 0; i < n; i++)
		if (cc[i] < 0x21 || cc[i] > 0x7e)
			return orsp_errf(
			    ORSP_E_USAGE,
			    "confirmation code must be printable ASCII without spaces");
	return ORSP_OK;
}

int64_t smdp_es9p_keys_done(const orsp_smdp *s)
{
	return s->es9p_keys_done;
}

void smdp_set_es9p_keys_done(orsp_smdp *s, int64_t t)
{
	s->es9p_keys_done = t;
}

uint64_t smdp_progress_queued(const orsp_smdp *s)
{
	return s->progress_queued;
}

/* An order in one of the states it can expire from (SMDP_OPEN_ORDER). */
static bool order_open(orsp_smdp_state st)
{
	return st == ORSP_SMDP_ALLOCATED || st == ORSP_SMDP_LINKED || st == ORSP_SMDP_CONFIRMED ||
	       st == ORSP_SMDP_RELEASED;
}

/* p, an order reopened (Released again after a delivery its eUICC postponed), made Downloaded
 * again for the package of an earlier session, which may be installed: audited with detail,
 * no report (that package's result will make one), so that the result decides as for a
 * Downloaded profile. extra: more of the UPDATE's SET. */
static orsp_err keep_for_package(orsp_smdp *s, orsp_smdp_profile *p, const char *extra,
                                 const char *detail)
{
	static const progress_note none = {.point = 0};

	return set_state_note(s, p, ORSP_SMDP_EV_DOWNLOADED, extra, detail, &none);
}

static orsp_err es9p_present(orsp_db *db, bool *yes);

/* The open order p past its expiry, in the caller's transaction: Unavailable (*expired);
 * but one reopened (its eUICC postponed a retry after its delivery) while the session that
 * retry superseded has its package out is made Downloaded again, for that package's result
 * (it may be installed), without a report (the result will make one); ended Unavailable,
 * final, its success was `profile not downloaded` (until session 67 in the expiry round,
 * until session 68 in a confirmOrder, releaseProfile or cancelOrder past the expiry).
 * sessions: the ES9+ tables are there (es9p_present). */
static orsp_err expire_order(orsp_smdp *s, orsp_smdp_profile *p, bool sessions, bool *expired)
{
	bool waits = false;
	orsp_err err = ORSP_OK;

	*expired = false;
	if (sessions && p->state == ORSP_SMDP_RELEASED && p->eid[0])
		err =
		    smdp_es9p_package_waiting(s->db, p->iccid, p->eid, p->matching_id, "", &waits);
	if (!err && waits)
		return keep_for_package(s, p, ", due_at = NULL",
		                        "order expired: kept for an earlier session's package");
	if (!err)
		err = set_state(s, p, ORSP_SMDP_EV_EXPIRE, ", due_at = NULL", "order expired");
	if (!err)
		*expired = true;
	return err;
}

/* Inside a transaction: an open order (Allocated, Linked, Confirmed, Released) past its
 * expiry ends here (expire_order), as orsp_smdp_expire would have ended it (the background
 * sweep runs only every so often), and *expired is set: the caller commits that and refuses
 * what it was asked with expired_refusal. One kept for an earlier session's package is
 * Downloaded now, *expired false: the caller's request is judged in that state. */
static orsp_err expire_if_due(orsp_smdp *s, orsp_smdp_profile *p, bool *expired)
{
	bool sessions = false;
	orsp_err err;

	*expired = false;
	if (!order_open(p->state) || !p->expires_at || p->expires_at >= now_s(s))
		return ORSP_OK;
	err = es9p_present(s->db, &sessions);
	return err ? err : expire_order(s, p, sessions, expired);
}

/* finish() for a transaction that may have expired the order (expire_if_due): committed,
 * then ORSP_E_POLICY. */
static orsp_err finish_expired(orsp_smdp *s, orsp_err err, bool expired, const char *iccid)
{
	err = finish(s, err);
	if (!err && expired)
		err = orsp_errf(ORSP_E_POLICY, "the order of profile %s has expired", iccid);
	return err;
}

/* ConfirmOrder of the order found by `by`/`key`; c->eid and c->matching_id as in
 * orsp_smdp_confirm. */
static orsp_err confirm(orsp_smdp *s, load_key by, const char *key, const orsp_smdp_confirmation *c,
                        orsp_smdp_profile *out)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_smdp_profile p;
	orsp_secret h = {0};
	uint8_t blob[ORSP_WRAP_MAX];
	size_t blob_len = 0;
	char aad[64];
	const char *cc = c->cc;
	bool new_mid = c->matching_id && c->matching_id[0];
	orsp_smdp_event ev = c->release ? ORSP_SMDP_EV_CONFIRM_RELEASE : ORSP_SMDP_EV_CONFIRM;
	orsp_smdp_state next;
	bool expired = false, replayed = false;

	memset(&p, 0, sizeof(p));
	if (c->eid && c->eid[0] && orsp_eid_check(c->eid))
		return orsp_errf(ORSP_E_USAGE, "confirmOrder: %s", orsp_err_detail());
	if (new_mid && orsp_smdp_matching_id_check(c->matching_id))
		return orsp_errf(ORSP_E_USAGE, "confirmOrder: %s", orsp_err_detail());
	if (cc && orsp_smdp_cc_check(cc))
		return ORSP_E_USAGE;
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	/* an ES2+ call confirmed before is answered as it was, whatever order the profile
	 * holds now (a later one, which the retry must leave alone) */
	err = call_replay_done(s, c->call, "confirmOrder", &p, &replayed);
	if (err || replayed)
		goto out;
	err = load(s, by, key, &p);
	/* the state first: an order this request does not apply to is refused for its state,
	 * its expiry left to the round (a reopened Released one may be kept for an earlier
	 * session's package there) */
	if (!err)
		err = orsp_smdp_transition(p.state, ev, &next);
	if (!err)
		err = expire_if_due(s, &p, &expired);
	if (err || expired)
		goto out;
	if (c->need_eid && !p.eid[0] && !(c->eid && c->eid[0])) {
		err = orsp_errf(ORSP_E_NOT_FOUND,
		                "profile %s: no EID for an order without an activation code",
		                p.iccid);
		goto out;
	}
	if (c->eid && c->eid[0]) {
		if (p.eid[0] && strcmp(p.eid, c->eid) != 0) {
			err = orsp_errf(ORSP_E_POLICY, "profile %s is ordered for another EID",
			                p.iccid);
			goto out;
		}
		if (!p.eid[0] && (err = bind_eid(s, &p, c->eid)))
			goto out;
	}
	if (new_mid && strcmp(p.matching_id, c->matching_id) != 0) {
		/* UNIQUE: ORSP_E_EXISTS when another order has it */
		err = update_one(s, "UPDATE smdp_profile SET matching_id = ?1 WHERE iccid = ?2",
		                 c->matching_id, 0, p.iccid);
		if (err)
			goto out;
		snprintf(p.matching_id, sizeof(p.matching_id), "%s", c->matching_id);
	}
	if (cc) {
		h.len = ORSP_SHA256_LEN;
		err = orsp_sha256(cc, strlen(cc), h.v);
		if (err)
			goto out;
		aad_for(aad, sizeof(aad), "cc", p.iccid);
		err = orsp_smdp_wrap(s, aad, &h, blob, sizeof(blob), &blob_len);
		if (!err)
			err = orsp_db_prepare(
			    s->db, "UPDATE smdp_profile SET cc_wrapped = ?1 WHERE iccid = ?2", &st);
		if (!err)
			err = orsp_stmt_bind_blob(st, 1, blob, blob_len);
		if (!err)
			err = orsp_stmt_bind_text(st, 2, p.iccid);
		if (!err)
			err = orsp_stmt_run(st);
		if (err)
			goto out;
	}
	{
		/* the operator's matching ID named: the one its LPAs use from now on */
		char detail[160];
		snprintf(detail, sizeof(detail), "%s%s%s%s", cc ? "confirmation code set" : "",
		         cc && new_mid ? "; " : "",
		         new_mid ? "matching ID from the operator: " : "",
		         new_mid ? c->matching_id : "");
		err = set_state(s, &p, ev, "", detail);
	}
	/* the call with what it answers: the order's matching ID and EID now */
	if (!err && c->call)
		err = call_record(s, c->call, "confirmOrder", p.iccid, p.matching_id, p.eid);
out:
	orsp_stmt_finalize(st);
	orsp_secret_wipe(&h);
	err = finish_expired(s, err, expired, p.iccid);
	if ((!err || expired) && out)
		*out = p;
	return err;
}

orsp_err orsp_smdp_confirm_order(orsp_smdp *s, const char *matching_id, const char *cc,
                                 bool release_flag)
{
	orsp_smdp_confirmation c = {.cc = cc, .release = release_flag};

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "confirmOrder: missing arguments");
	return confirm(s, BY_MATCHING_ID, matching_id, &c, NULL);
}

orsp_err orsp_smdp_confirm(orsp_smdp *s, const char *iccid, const orsp_smdp_confirmation *c,
                           orsp_smdp_profile *out)
{
	if (!s || !iccid || !c)
		return orsp_errf(ORSP_E_USAGE, "confirmOrder: missing arguments");
	return confirm(s, BY_ICCID, iccid, c, out);
}

/* begin; load by ICCID; when given, eid and mid must be the order's (ORSP_E_POLICY,
 * ORSP_E_NOT_FOUND, *why (may be NULL) saying which), checked here in the transaction,
 * where nothing can change the order before the event; with `expiry`, an order past its
 * expiry ends instead (expire_if_due, ORSP_E_POLICY); event; commit. With ES2+ call c of
 * `function` (NULL: none), a call recorded before is answered as a replay
 * (call_replay_done), nothing else done, and one executed is recorded with the event
 * (call_record). */
static orsp_err event_call_tx(orsp_smdp *s, const char *iccid, const char *eid, const char *mid,
                              orsp_smdp_mismatch *why, orsp_smdp_event ev, const char *extra,
                              const char *detail, const progress_note *note, bool expiry,
                              orsp_smdp_call *c, const char *function)
{
	orsp_err err;
	orsp_smdp_profile p;
	orsp_smdp_state next;
	bool expired = false, applies = false, replayed = false;
	char delivered[96];

	if (why)
		*why = ORSP_SMDP_MISMATCH_NONE;
	if (!s)
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	/* a call done before: answered as it was, whatever order the profile holds now */
	err = call_replay_done(s, c, function, NULL, &replayed);
	if (err || replayed)
		return finish(s, err);
	err = load(s, BY_ICCID, iccid, &p);
	/* eid and mid are compared with an order the event applies to: a profile without one
	 * (Available) or whose order ended answers with its state (set_state_note), whatever
	 * eid or mid says, where it answered that they were not the order's */
	if (!err && (eid || mid)) {
		applies = orsp_smdp_transition(p.state, ev, &next) == ORSP_OK;
		orsp_err_clear();
	}
	if (!err && applies && eid && strcmp(eid, p.eid) != 0) {
		err = orsp_errf(ORSP_E_POLICY, "profile %s has no order for EID %.32s%s", p.iccid,
		                eid, p.eid[0] ? "" : " (its order names no EID)");
		if (why)
			*why = p.eid[0] ? ORSP_SMDP_MISMATCH_EID : ORSP_SMDP_MISMATCH_NO_EID;
	}
	if (!err && applies && mid && strcmp(mid, p.matching_id) != 0) {
		err = orsp_errf(ORSP_E_NOT_FOUND, "profile %s has no order with matching ID %.64s",
		                p.iccid, mid);
		if (why)
			*why = ORSP_SMDP_MISMATCH_MATCHING_ID;
	}
	/* an order past its expiry ends here only for an event that applies to it: another is
	 * refused for the state below, the expiry left to the round (a releaseProfile of a
	 * reopened order named the Downloaded state expire_if_due had kept it in, and rolled
	 * back, until session 68) */
	if (!err && expiry) {
		bool due_applies = orsp_smdp_transition(p.state, ev, &next) == ORSP_OK;
		orsp_err_clear();
		if (due_applies)
			err = expire_if_due(s, &p, &expired);
	}
	/* a package of this order went out (Downloaded, or Released again after a delivery the
	 * eUICC postponed; a counted download attempt): that eUICC may hold the profile, so it
	 * is never made Available to be handed to another */
	if (!err && ev == ORSP_SMDP_EV_CANCEL_AVAILABLE &&
	    (p.state == ORSP_SMDP_DOWNLOADED ||
	     (p.state == ORSP_SMDP_RELEASED && p.download_attempts > 0)))
		err = orsp_errf(ORSP_E_STATE,
		                "profile %s went out to EID %s (%u download attempt(s)): "
		                "cancelOrder may only make it Unavailable",
		                p.iccid, p.eid[0] ? p.eid : "-", p.download_attempts);
	/* an order cancelled after its delivery: the audit row keeps which eUICC got the
	 * package */
	if (!err && (p.state == ORSP_SMDP_DOWNLOADED || p.download_attempts > 0) &&
	    (ev == ORSP_SMDP_EV_CANCEL_AVAILABLE || ev == ORSP_SMDP_EV_CANCEL_UNAVAILABLE)) {
		snprintf(delivered, sizeof(delivered),
		         "delivered to EID %s, no installation result", p.eid);
		detail = delivered;
	}
	if (!err && !expired)
		err = set_state_note(s, &p, ev, extra, detail, note);
	/* no ES9+ session outlives the order it was made for */
	if (!err && !expired &&
	    (ev == ORSP_SMDP_EV_CANCEL_AVAILABLE || ev == ORSP_SMDP_EV_CANCEL_UNAVAILABLE))
		err = smdp_es9p_end_order_sessions(s->db, p.iccid, now_s(s));
	if (!err && !expired && c)
		err = call_record(s, c, function, p.iccid, NULL, NULL);
	return finish_expired(s, err, expired, p.iccid);
}

static orsp_err event_tx(orsp_smdp *s, const char *iccid, const char *eid, const char *mid,
                         orsp_smdp_mismatch *why, orsp_smdp_event ev, const char *extra,
                         const char *detail, const progress_note *note, bool expiry)
{
	return event_call_tx(s, iccid, eid, mid, why, ev, extra, detail, note, expiry, NULL, NULL);
}

static orsp_err simple_event_note(orsp_smdp *s, const char *iccid, orsp_smdp_event ev,
                                  const char *extra, const char *detail, const progress_note *note)
{
	return event_tx(s, iccid, NULL, NULL, NULL, ev, extra, detail, note, false);
}

static orsp_err simple_event(orsp_smdp *s, const char *iccid, orsp_smdp_event ev, const char *extra,
                             const char *detail)
{
	return simple_event_note(s, iccid, ev, extra, detail, NULL);
}

#define CLEAR_ORDER                                                                                \
	", eid = NULL, matching_id = NULL, cc_wrapped = NULL, cc_attempts = 0,"                    \
	" download_attempts = 0, expires_at = NULL, due_at = NULL"

orsp_err orsp_smdp_release(orsp_smdp *s, const char *iccid)
{
	return orsp_smdp_release_call(s, iccid, NULL);
}

orsp_err orsp_smdp_release_call(orsp_smdp *s, const char *iccid, orsp_smdp_call *call)
{
	return event_call_tx(s, iccid, NULL, NULL, NULL, ORSP_SMDP_EV_RELEASE, "", "", NULL, true,
	                     call, "releaseProfile");
}

orsp_err orsp_smdp_cancel_order(orsp_smdp *s, const char *iccid, const char *eid,
                                const char *matching_id, bool final_available)
{
	return orsp_smdp_cancel_order_why(s, iccid, eid, matching_id, final_available, NULL);
}

orsp_err orsp_smdp_cancel_order_why(orsp_smdp *s, const char *iccid, const char *eid,
                                    const char *matching_id, bool final_available,
                                    orsp_smdp_mismatch *why)
{
	return orsp_smdp_cancel_order_call(s, iccid, eid, matching_id, final_available, why, NULL);
}

orsp_err orsp_smdp_cancel_order_call(orsp_smdp *s, const char *iccid, const char *eid,
                                     const char *matching_id, bool final_available,
                                     orsp_smdp_mismatch *why, orsp_smdp_call *call)
{
	if (final_available)
		return event_call_tx(s, iccid, eid, matching_id, why, ORSP_SMDP_EV_CANCEL_AVAILABLE,
		                     CLEAR_ORDER, "", NULL, false, call, "cancelOrder");
	return event_call_tx(s, iccid, eid, matching_id, why, ORSP_SMDP_EV_CANCEL_UNAVAILABLE, "",
	                     "", NULL, false, call, "cancelOrder");
}

orsp_err orsp_smdp_mark_downloaded(orsp_smdp *s, const char *iccid)
{
	return simple_event(s, iccid, ORSP_SMDP_EV_DOWNLOADED, "", "");
}

orsp_err orsp_smdp_mark_installed(orsp_smdp *s, const char *iccid)
{
	return simple_event(s, iccid, ORSP_SMDP_EV_PIR_OK, "", "");
}

orsp_err orsp_smdp_reopen(orsp_smdp *s, const char *iccid, const char *detail)
{
	/* open again: due again at its expiry (the round may have cleared it meanwhile) */
	return simple_event(s, iccid, ORSP_SMDP_EV_REOPEN, ", due_at = expires_at",
	                    detail ? detail : "");
}

orsp_err orsp_smdp_mark_error(orsp_smdp *s, const char *iccid, orsp_smdp_failure why,
                              const char *detail)
{
	return smdp_mark_error_eid(s, iccid, why, detail, NULL);
}

orsp_err smdp_mark_error_eid(orsp_smdp *s, const char *iccid, orsp_smdp_failure why,
                             const char *detail, const char *eid)
{
	progress_note n;

	switch (why) {
	case ORSP_SMDP_FAIL_INSTALL:
		return simple_event(s, iccid, ORSP_SMDP_EV_PIR_FAIL, "", detail);
	case ORSP_SMDP_FAIL_RETRIES:
		n = RETRIES_EXHAUSTED;
		break;
	case ORSP_SMDP_FAIL_REJECTED:
		n = USER_REJECTED;
		break;
	case ORSP_SMDP_FAIL_PPR:
		n = PPR_REFUSED;
		break;
	default:
		return orsp_errf(ORSP_E_USAGE, "unknown failure %d", (int)why);
	}
	n.eid = eid;
	return simple_event_note(s, iccid, ORSP_SMDP_EV_FAIL, "", detail, &n);
}

orsp_err orsp_smdp_mark_pir(orsp_smdp *s, const char *iccid, const char *matching_id,
                            const char *eid, bool success, const uint8_t *pir, size_t pir_len)
{
	progress_note n = {.point = 4, .ok = true};
	char detail[256] = "";
	orsp_smdp_profile p;
	orsp_smdp_event ev = success ? ORSP_SMDP_EV_PIR_OK : ORSP_SMDP_EV_PIR_FAIL;
	orsp_err err;

	if (!s || (!pir && pir_len))
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	if (!success)
		n = install_failure(pir, pir_len, detail, sizeof(detail));
	n.result = pir;
	n.result_len = pir_len;
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	err = load(s, BY_ICCID, iccid, &p);
	/* the result of the order it was delivered under, from the eUICC it went to: not of an
	 * order cancelled and placed again since (another matching ID), nor of a profile
	 * delivered to another eUICC since */
	if (!err && ((matching_id && strcmp(matching_id, p.matching_id) != 0) ||
	             (eid && strcmp(eid, p.eid) != 0)))
		err =
		    orsp_errf(ORSP_E_STATE,
		              "profile %s is no longer the order delivered to that eUICC", p.iccid);
	/* Released under that order and EID: reopened since the delivery, by a later session of
	 * the eUICC (its retry) postponed after its own delivery; the eUICC had installed the
	 * first package. A failure leaves the reopened order as it is (ORSP_E_STATE). */
	if (!err && success && p.state == ORSP_SMDP_RELEASED)
		ev = ORSP_SMDP_EV_PIR_OK_REOPENED;
	if (!err)
		err = set_state_note(s, &p, ev,
		                     ev == ORSP_SMDP_EV_PIR_OK_REOPENED ? ", due_at = NULL" : "",
		                     detail, &n);
	return finish(s, err);
}

orsp_err smdp_report_pir_after_cancel(orsp_smdp *s, const char *iccid, const char *matching_id,
                                      const char *eid, bool success, const uint8_t *pir,
                                      size_t pir_len)
{
	progress_note n = {.point = 4, .ok = true};
	char failure[256] = "", detail[384];
	orsp_smdp_profile p;
	orsp_err err;

	if (!s || !iccid || !matching_id || !eid || (!pir && pir_len))
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	if (!success)
		n = install_failure(pir, pir_len, failure, sizeof(failure));
	n.result = pir;
	n.result_len = pir_len;
	snprintf(detail, sizeof(detail),
	         "%s on EID %s after cancelOrder; the profile stays unavailable",
	         success ? "profile installed" : failure, eid);
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	err = load(s, BY_ICCID, iccid, &p);
	if (!err && (p.state != ORSP_SMDP_UNAVAILABLE || strcmp(matching_id, p.matching_id) != 0 ||
	             strcmp(eid, p.eid) != 0))
		err = orsp_errf(
		    ORSP_E_STATE,
		    "profile %s is not the order cancelled after its delivery to that eUICC",
		    p.iccid);
	if (!err)
		err = audit(
		    s, success ? SMDP_AUDIT_PIR_OK_CANCELLED : SMDP_AUDIT_PIR_FAIL_CANCELLED,
		    p.iccid, orsp_smdp_state_name(p.state), orsp_smdp_state_name(p.state), detail);
	if (!err)
		err = queue_progress(s, &p, eid, &n, detail);
	return finish(s, err);
}

orsp_err orsp_smdp_report_ineligible(orsp_smdp *s, const char *iccid, const char *eid,
                                     const char *detail)
{
	return smdp_report_refused(s, iccid, eid, false, detail);
}

/* A refusal of eUICC eid's download of profile iccid that leaves the profile as it is: audit
 * row `action` (state unchanged, detail) and the operator's report n, in one transaction (the
 * caller's when one is open). */
static orsp_err report_unchanged(orsp_smdp *s, const char *iccid, const char *eid,
                                 const char *action, const progress_note *n, const char *detail)
{
	orsp_err err;
	orsp_smdp_profile p;

	if (!s || !iccid || !eid)
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	err = load(s, BY_ICCID, iccid, &p);
	if (!err) {
		const char *st = orsp_smdp_state_name(p.state);
		err = audit(s, action, p.iccid, st, st, detail);
	}
	if (!err)
		err = queue_progress(s, &p, eid, n, detail);
	return finish(s, err);
}

orsp_err smdp_report_refused(orsp_smdp *s, const char *iccid, const char *eid, bool no_memory,
                             const char *detail)
{
	return report_unchanged(s, iccid, eid, "ineligible", no_memory ? &NO_MEMORY : &NOT_ELIGIBLE,
	                        detail);
}

orsp_err smdp_report_retries_refused(orsp_smdp *s, const char *iccid, const char *eid,
                                     const char *detail)
{
	return report_unchanged(s, iccid, eid, SMDP_AUDIT_RETRIES_REFUSED, &RETRIES_EXHAUSTED,
	                        detail);
}

orsp_err smdp_report_cancel(orsp_smdp *s, const char *iccid, const char *eid, const char *detail)
{
	orsp_err err;
	orsp_smdp_profile p;

	if (!s || !iccid)
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	err = load(s, BY_ICCID, iccid, &p);
	if (!err)
		err = queue_progress(s, &p, eid, &CANCELLED, detail);
	return finish(s, err);
}

orsp_err smdp_audit_seq_reused(orsp_smdp *s, const char *iccid, const char *detail)
{
	orsp_err err;
	orsp_smdp_profile p;
	const char *st = "";

	if (!s || !iccid || !detail)
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	/* the profile's state, which the notification does not change; none for an ICCID
	 * that is not one of this SM-DP+'s */
	if (iccid[0]) {
		err = load(s, BY_ICCID, iccid, &p);
		if (!err)
			st = orsp_smdp_state_name(p.state);
		else if (err == ORSP_E_NOT_FOUND) {
			orsp_err_clear();
			err = ORSP_OK;
		}
	}
	if (!err)
		err = audit(s, SMDP_AUDIT_SEQ_REUSED, iccid, st, st, detail);
	return finish(s, err);
}

orsp_err smdp_keep_for_earlier(orsp_smdp *s, const char *iccid, const char *detail)
{
	orsp_err err;
	orsp_smdp_profile p;

	if (!s || !iccid)
		return orsp_errf(ORSP_E_USAGE, "missing arguments");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	err = load(s, BY_ICCID, iccid, &p);
	if (!err && p.state == ORSP_SMDP_RELEASED)
		err = keep_for_package(s, &p, "", detail);
	return finish(s, err);
}

orsp_err orsp_smdp_lookup(orsp_smdp *s, const char *matching_id, orsp_smdp_profile *out)
{
	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "lookup: missing arguments");
	return load(s, BY_MATCHING_ID, matching_id, out);
}

orsp_err orsp_smdp_find_released(orsp_smdp *s, const char *eid, orsp_smdp_profile *out)
{
	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "find released: missing arguments");
	if (eid && orsp_eid_check(eid))
		return orsp_errf(ORSP_E_USAGE, "find released: not an EID");
	return load(s, BY_EID_RELEASED, eid, out);
}

orsp_err orsp_smdp_find_order(orsp_smdp *s, const char *eid, orsp_smdp_profile *out)
{
	orsp_err err = orsp_smdp_find_released(s, eid, out);

	if (err != ORSP_E_NOT_FOUND)
		return err;
	orsp_err_clear();
	return load(s, BY_EID_DOWNLOADED, eid, out);
}

orsp_err orsp_smdp_find_expired_order(orsp_smdp *s, const char *eid, orsp_smdp_profile *out)
{
	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "find expired order: missing arguments");
	if (eid && orsp_eid_check(eid))
		return orsp_errf(ORSP_E_USAGE, "find expired order: not an EID");
	return load(s, BY_EID_EXPIRED, eid, out);
}

orsp_err orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out)
{
	if (!s || !out)
		return orsp_errf(ORSP_E_USAGE, "get: missing arguments");
	return load(s, BY_ICCID, iccid, out);
}

/* ----- ES9+ hooks ----- */

orsp_err orsp_smdp_check_cc(orsp_smdp *s, const char *matching_id, const orsp_smdp_profile *seen,
                            const uint8_t hash_cc[32], const uint8_t *tid, size_t tid_len)
{
	return smdp_check_cc(s, NULL, NULL, matching_id, seen, hash_cc, tid, tid_len);
}

/* The confirmation code's retries of p are used up (in the caller's transaction): p to Error,
 * reported; but not while another session of the eUICC (than tid_hex) has its package out and
 * no result, one a retry superseded or one authenticated in parallel: the eUICC may hold the
 * profile from that one, whose result then decides (a success was judged "profile not
 * downloaded" in Error, until session 56 after a retry, until session 66 after a parallel
 * session). *kept then, audited when note_kept. */
static orsp_err cc_exhausted(orsp_smdp *s, orsp_smdp_profile *p, const char *tid_hex,
                             const char *eid, bool note_kept, bool *kept)
{
	progress_note n = CC_EXHAUSTED;
	orsp_err err = ORSP_OK;

	n.eid = eid;
	*kept = false;
	/* Downloaded, or Released again after a delivery the eUICC postponed (until session
	 * 68 that one went to Error) */
	if (tid_hex && eid &&
	    (p->state == ORSP_SMDP_DOWNLOADED ||
	     (p->state == ORSP_SMDP_RELEASED && p->download_attempts > 0)))
		err =
		    smdp_es9p_package_waiting(s->db, p->iccid, eid, p->matching_id, tid_hex, kept);
	/* reopened: Downloaded again, so that the earlier package's result decides as for a
	 * Downloaded profile (its failure the order's Error; it stayed Released, and a failure
	 * decided nothing, until session 68) */
	if (!err && *kept && p->state == ORSP_SMDP_RELEASED)
		err = keep_for_package(s, p, "",
		                       "mismatch, retries exhausted: kept for an earlier session's "
		                       "package");
	else if (!err && *kept && note_kept)
		err = audit(s, "checkCc", p->iccid, orsp_smdp_state_name(p->state),
		            orsp_smdp_state_name(p->state),
		            "mismatch, retries exhausted: kept for an earlier session's package");
	else if (!err && !*kept)
		err = set_state_note(s, p, ORSP_SMDP_EV_FAIL, "",
		                     "confirmation code retries exhausted", &n);
	return err;
}

orsp_err smdp_check_cc(orsp_smdp *s, const char *tid_hex, const char *eid, const char *matching_id,
                       const orsp_smdp_profile *seen, const uint8_t hash_cc[32], const uint8_t *tid,
                       size_t tid_len)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_smdp_profile p;
	orsp_secret h = {0};
	uint8_t buf[ORSP_SHA256_LEN + 16];
	uint8_t expect[ORSP_SHA256_LEN];
	char aad[64];
	bool row = false, match = false, open = true, kept = false;
	orsp_err result = ORSP_OK;

	if (!s || !hash_cc || !tid || tid_len == 0 || tid_len > 16)
		return orsp_errf(ORSP_E_USAGE,
		                 "check CC: bad arguments (transactionId is 1..16 bytes)");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	if (tid_hex)
		err = smdp_es9p_session_open(s->db, tid_hex, &open);
	if (!err && !open)
		err = orsp_errf(ORSP_E_NOT_FOUND, "session %s has ended", tid_hex);
	if (!err)
		err = load(s, BY_MATCHING_ID, matching_id, &p);
	/* Released, or Downloaded: the eUICC it went to retries the download in a new session,
	 * which must give the code too. As the caller saw it: a delivery since (another state,
	 * or one more download counted) is not checked, the caller reads again. */
	if (!err &&
	    (seen ? p.state != seen->state || p.download_attempts != seen->download_attempts ||
	                (p.state != ORSP_SMDP_RELEASED && p.state != ORSP_SMDP_DOWNLOADED)
	          : p.state != ORSP_SMDP_RELEASED))
		err =
		    orsp_errf(ORSP_E_STATE, "profile %s is %s, not %s", p.iccid,
		              orsp_smdp_state_name(p.state), seen ? "as it was read" : "released");
	if (!err && !p.cc_required)
		err = orsp_errf(ORSP_E_STATE, "the order of profile %s has no confirmation code",
		                p.iccid);
	/* a Released order past its expiry takes no more attempts (nor goes to Error for
	 * them): the caller finds it expired when it reads again */
	if (!err && p.state == ORSP_SMDP_RELEASED && p.expires_at && p.expires_at < now_s(s))
		err = orsp_errf(ORSP_E_STATE, "the order of profile %s has expired", p.iccid);
	if (!err)
		err = orsp_db_prepare(s->db, "SELECT cc_wrapped FROM smdp_profile WHERE iccid = ?1",
		                      &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, p.iccid);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && !row)
		err = orsp_errf(ORSP_E_NOT_FOUND, "profile vanished");
	if (err)
		goto out;
	/* retries used up, the profile kept Downloaded for an earlier session's package (below):
	 * no more codes are compared, the right one included; once no earlier session waits any
	 * more, the profile goes to Error as it would have */
	if (p.cc_attempts >= p.cc_limit) {
		result = ORSP_E_POLICY;
		err = cc_exhausted(s, &p, tid_hex, eid, false, &kept);
		goto out;
	}
	aad_for(aad, sizeof(aad), "cc", p.iccid);
	{
		/* ORSP_E_VERIFY is kept for a wrong code: a stored hash that does not decrypt
		 * (damaged, or another database's row) is the store's failure */
		orsp_slice w = orsp_stmt_column_blob(st, 0);
		orsp_err u = orsp_smdp_unwrap(s, aad, w.p, w.len, &h);
		if (u == ORSP_E_STATE) /* a handle without a KEK (smdp_drop_kek) */
			err = u;
		else if (u)
			err = orsp_errf(
			    ORSP_E_STORAGE,
			    "the stored confirmation code of profile %s does not decrypt", p.iccid);
	}
	if (!err && h.len != ORSP_SHA256_LEN)
		err = orsp_errf(ORSP_E_MALFORMED, "stored CC hash has a bad length");
	if (err)
		goto out;
	/* SGP.22 §3.1.3: hashCc = SHA-256(SHA-256(CC) | TransactionID). */
	memcpy(buf, h.v, ORSP_SHA256_LEN);
	memcpy(buf + ORSP_SHA256_LEN, tid, tid_len);
	err = orsp_sha256(buf, ORSP_SHA256_LEN + tid_len, expect);
	if (err)
		goto out;
	match = orsp_ct_eq(expect, hash_cc, ORSP_SHA256_LEN) != 0;
	if (match) {
		err = audit(s, "checkCc", p.iccid, orsp_smdp_state_name(p.state),
		            orsp_smdp_state_name(p.state), "ok");
		goto out;
	}
	p.cc_attempts++;
	err = update_one(s, "UPDATE smdp_profile SET cc_attempts = ?1 WHERE iccid = ?2", NULL,
	                 p.cc_attempts, p.iccid);
	if (err)
		goto out;
	if (p.cc_attempts >= p.cc_limit) {
		err = cc_exhausted(s, &p, tid_hex, eid, true, &kept);
		result = ORSP_E_POLICY;
	} else {
		err = audit(s, "checkCc", p.iccid, orsp_smdp_state_name(p.state),
		            orsp_smdp_state_name(p.state), "mismatch");
		result = ORSP_E_VERIFY;
	}
out:
	orsp_stmt_finalize(st);
	orsp_secret_wipe(&h);
	orsp_wipe(buf, sizeof(buf));
	orsp_wipe(expect, sizeof(expect));
	err = finish(s, err);
	if (err)
		return err;
	if (result == ORSP_E_POLICY && kept)
		return orsp_errf(ORSP_E_POLICY,
		                 "confirmation code wrong %u times: no more tries; profile %s "
		                 "stays downloaded for an earlier session's package",
		                 p.cc_attempts, p.iccid);
	if (result == ORSP_E_POLICY)
		return orsp_errf(ORSP_E_POLICY,
		                 "confirmation code wrong %u times: profile %s is now "
		                 "in error",
		                 p.cc_attempts, p.iccid);
	if (result == ORSP_E_VERIFY)
		return orsp_errf(ORSP_E_VERIFY, "confirmation code mismatch (%u of %u attempts)",
		                 p.cc_attempts, p.cc_limit);
	return ORSP_OK;
}

/* Inside a transaction: one more download attempt of p, which must be Released. Past the
 * limit the attempt is counted and p moves to Error (*exhausted); otherwise it is audited and
 * counted, together with the move to Downloaded in one update when deliver. p follows. */
static orsp_err count_attempt(orsp_smdp *s, orsp_smdp_profile *p, bool deliver, bool *exhausted)
{
	orsp_err err;

	*exhausted = false;
	if (p->state != ORSP_SMDP_RELEASED)
		return orsp_errf(ORSP_E_STATE, "profile %s is %s, not released", p->iccid,
		                 orsp_smdp_state_name(p->state));
	if (deliver && p->download_attempts + 1 <= p->download_limit) {
		/* the rows download_attempt and mark_downloaded write, the counter with the state
		 */
		err = audit(s, "downloadAttempt", p->iccid, "released", "released", "");
		if (!err)
			err = set_state(s, p, ORSP_SMDP_EV_DOWNLOADED,
			                ", download_attempts = download_attempts + 1", "");
		if (!err)
			p->download_attempts++;
		return err;
	}
	err = update_one(s, "UPDATE smdp_profile SET download_attempts = ?1 WHERE iccid = ?2", NULL,
	                 p->download_attempts + 1, p->iccid);
	if (err)
		return err;
	p->download_attempts++;
	if (p->download_attempts > p->download_limit) {
		*exhausted = true;
		return set_state_note(s, p, ORSP_SMDP_EV_FAIL, "", "download attempts exhausted",
		                      &RETRIES_EXHAUSTED);
	}
	return audit(s, "downloadAttempt", p->iccid, "released", "released", "");
}

static orsp_err attempts_exhausted(const orsp_smdp_profile *p)
{
	return orsp_errf(ORSP_E_POLICY, "profile %s: more than %u download attempts", p->iccid,
	                 p->download_limit);
}

orsp_err orsp_smdp_download_attempt(orsp_smdp *s, const char *iccid)
{
	orsp_err err;
	orsp_smdp_profile p;
	bool exhausted = false;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "download attempt: missing arguments");
	err = orsp_db_begin(s->db);
	if (err)
		return err;
	err = load(s, BY_ICCID, iccid, &p);
	if (!err)
		err = count_attempt(s, &p, false, &exhausted);
	err = finish(s, err);
	if (!err && exhausted)
		return attempts_exhausted(&p);
	return err;
}

orsp_err orsp_smdp_deliver(orsp_smdp *s, orsp_smdp_profile *p, const char *eid)
{
	orsp_err err = ORSP_OK;
	bool exhausted = false;

	if (!s || !p || !eid)
		return orsp_errf(ORSP_E_USAGE, "deliver: missing arguments");
	if (!orsp_db_in_transaction(s->db))
		return orsp_errf(ORSP_E_USAGE, "deliver: not inside a transaction");
	if (orsp_eid_check(eid) != ORSP_OK)
		return orsp_errf(ORSP_E_USAGE, "deliver: %s", orsp_err_detail());
	if (p->eid[0] && strcmp(p->eid, eid) != 0)
		return orsp_errf(ORSP_E_STATE, "profile %s is bound to another eUICC", p->iccid);
	if (p->state != ORSP_SMDP_RELEASED)
		return orsp_errf(ORSP_E_STATE, "profile %s is %s, not released", p->iccid,
		                 orsp_smdp_state_name(p->state));
	if (!p->eid[0])
		err = bind_eid(s, p, eid);
	if (!err)
		err = count_attempt(s, p, true, &exhausted);
	if (!err && exhausted)
		return attempts_exhausted(p);
	return err;
}

orsp_err orsp_smdp_rebind(orsp_smdp *s, orsp_smdp_profile *p, const char *eid)
{
	char detail[64];
	orsp_err err;
	orsp_stmt *st = NULL;

	if (!s || !p || !eid)
		return orsp_errf(ORSP_E_USAGE, "rebind: missing arguments");
	if (!orsp_db_in_transaction(s->db))
		return orsp_errf(ORSP_E_USAGE, "rebind: not inside a transaction");
	if (p->state != ORSP_SMDP_DOWNLOADED || strcmp(p->eid, eid) != 0)
		return orsp_errf(ORSP_E_STATE, "profile %s is not downloaded to this eUICC",
		                 p->iccid);
	/* every delivery counts on the profile, which outlives the session (a cancelSession
	 * postponed reopens the profile and ends the session) */
	if (p->download_attempts >= p->download_limit)
		return attempts_exhausted(p);
	/* the count as read: another binding committed since (another session of this eUICC,
	 * another server process) changed it */
	err =
	    orsp_db_prepare(s->db,
	                    "UPDATE smdp_profile SET download_attempts = ?1"
	                    " WHERE iccid = ?2 AND state = 'downloaded' AND download_attempts = ?3",
	                    &st);
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, (int64_t)p->download_attempts + 1);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, p->iccid);
	if (!err)
		err = orsp_stmt_bind_int64(st, 3, p->download_attempts);
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (err)
		return err;
	if (orsp_db_changes(s->db) != 1)
		return orsp_errf(ORSP_E_STATE, "profile %s changed meanwhile", p->iccid);
	p->download_attempts++;
	snprintf(detail, sizeof(detail), "new binding for EID %s", eid);
	return audit(s, "downloadAttempt", p->iccid, "downloaded", "downloaded", detail);
}

/* Orders ended per write transaction by orsp_smdp_expire. In one transaction, 200,000 due
 * orders held the write lock for 3.8 s, and the other server processes, which wait 5 s at
 * most, answered 500; a batch of 1000 holds it for some 20 ms (3.8 s / 200). */
#define EXPIRE_BATCH 1000

/* Whether the ES9+ tables are there (made by the server's handler, es9p_handler.c): a store
 * only the CLI has opened has no sessions to look at. */
static orsp_err es9p_present(orsp_db *db, bool *yes)
{
	orsp_stmt *st = NULL;
	orsp_err err = orsp_db_prepare(db,
	                               "SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
	                               " name = 'es9p_session'",
	                               &st);

	*yes = false;
	if (!err)
		err = orsp_stmt_step(st, yes);
	orsp_stmt_finalize(st);
	return err;
}

orsp_err orsp_smdp_expire_with(orsp_smdp *s, size_t batch, bool (*between)(void *), void *arg,
                               size_t *n)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_smdp_profile p;
	size_t count = 0;
	int64_t last = 0;
	bool row = false, sessions = false;

	if (n)
		*n = 0;
	if (!s)
		return orsp_errf(ORSP_E_USAGE, "expire: missing arguments");
	if (!batch)
		batch = EXPIRE_BATCH;
	/* Nothing to do (the usual case): found without the write lock. */
	err = orsp_db_prepare(s->db, SMDP_SQL_ANY_DUE, &st);
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, now_s(s));
	if (!err)
		err = orsp_stmt_step(st, &row);
	orsp_stmt_finalize(st);
	st = NULL;
	if (!err && row)
		err = es9p_present(s->db, &sessions);
	if (err || !row)
		return err;
	/* The earliest due order first, through the index of due orders, in batches: each
	 * its own transaction (every order's state change, audit row and report in the same
	 * one), committed before `between` runs and the next batch begins. An order still open
	 * expires; one that moved on (delivered, installed, failed, cancelled) only leaves the
	 * index. Either way it leaves the index: each search finds the next one at the index's
	 * start (a cursor past the last one would rescan the orders that share its due time, as
	 * a bulk order's do, at every step). */
	for (;;) {
		size_t done = 0, expired = 0;
		/* the guard holds within a batch, one transaction; between two, another writer
		 * may make an order just looked at due again (a delivered one reopened) */
		last = 0;
		if ((err = orsp_db_begin(s->db)))
			break;
		while (!err && done < batch) {
			err = orsp_db_prepare(s->db, "SELECT " COLS ", id" SMDP_SQL_NEXT_DUE_WHERE,
			                      &st);
			if (!err)
				err = orsp_stmt_bind_int64(st, 1, now_s(s));
			if (!err)
				err = orsp_stmt_step(st, &row);
			if (!err && row) {
				int64_t id =
				    orsp_stmt_column_int64(st, COLS_N); /* id, after COLS */
				if (id == last)
					err = orsp_errf(ORSP_E_STATE,
					                "expire: profile %lld is still "
					                "due after the round looked at it",
					                (long long)id);
				last = id;
				if (!err)
					err = read_row(st, &p);
			}
			orsp_stmt_finalize(st);
			st = NULL;
			if (err || !row)
				break;
			if (order_open(p.state)) {
				bool was = false;
				err = expire_order(s, &p, sessions, &was);
				expired += was;
			} else { /* NULL (update_one binds ?1, here 0) */
				err = update_one(s,
				                 "UPDATE smdp_profile SET due_at = NULLIF(?1, 0)"
				                 " WHERE iccid = ?2",
				                 NULL, 0, p.iccid);
			}
			done++;
		}
		if ((err = finish(s, err))) {
			/* its orders expired all the same (not counted until session 65) */
			if (orsp_db_unflushed(s->db, err))
				count += expired;
			break;
		}
		count += expired;
		if (done < batch || (between && !between(arg)))
			break;
	}
	if (n)
		*n = count;
	return err;
}

orsp_err orsp_smdp_expire(orsp_smdp *s, size_t *n)
{
	return orsp_smdp_expire_with(s, 0, NULL, NULL, n);
}

orsp_err orsp_smdp_ended_by_expiry(orsp_smdp *s, const orsp_smdp_profile *p, bool *expired)
{
	orsp_stmt *st = NULL;
	bool row = false;
	orsp_err err;

	if (!s || !p || !expired)
		return orsp_errf(ORSP_E_USAGE, "ended_by_expiry: missing arguments");
	*expired = false;
	/* the expiry moves an order only once it is due (expires_at < now), and stamps
	 * updated_at with that now: an order that ended no later than its expiry was
	 * cancelled, without reading the audit log */
	if (p->state != ORSP_SMDP_UNAVAILABLE || !p->expires_at || p->updated_at <= p->expires_at)
		return ORSP_OK;
	err = orsp_db_prepare(s->db, SMDP_SQL_EXPIRED_ROW, &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, p->iccid);
	if (!err)
		err = orsp_stmt_step(st, &row);
	*expired = !err && row;
	orsp_stmt_finalize(st);
	return err;
}

orsp_err orsp_smdp_count_states(orsp_smdp *s, size_t n[ORSP_SMDP_STATE__COUNT])
{
	return orsp_smdp_count_where(s, NULL, n); /* every profile */
}

orsp_err orsp_smdp_count_undelivered(orsp_smdp *s, size_t *pending, size_t *given_up)
{
	orsp_stmt *st = NULL;
	bool row = false;
	orsp_err err;

	if (!s || !pending || !given_up)
		return orsp_errf(ORSP_E_USAGE, "count reports: missing arguments");
	*pending = *given_up = 0;
	/* done is 0 (to send), 1 (delivered) or 2 (given up); the index on (done, next_at)
	 * answers both counts without reading the delivered rows */
	err = orsp_db_prepare(s->db,
	                      "SELECT (SELECT count(*) FROM smdp_progress WHERE done = 0),"
	                      " (SELECT count(*) FROM smdp_progress WHERE done = 2)",
	                      &st);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row) {
		*pending = (size_t)orsp_stmt_column_int64(st, 0);
		*given_up = (size_t)orsp_stmt_column_int64(st, 1);
	}
	orsp_stmt_finalize(st);
	return err;
}

/* An ICCID as the inventory keeps it and its filters take one: 1..20 digits. */
static bool iccid_digits(const char *iccid)
{
	size_t n = strlen(iccid);
	return n >= 1 && n <= 20 && strspn(iccid, "0123456789") == n;
}

orsp_err orsp_smdp_report_resend(orsp_smdp *s, const char *iccid, size_t *n)
{
	orsp_stmt *st = NULL;
	char detail[96];
	orsp_err err;

	if (!s || !n)
		return orsp_errf(ORSP_E_USAGE, "resend reports: missing arguments");
	*n = 0;
	if (iccid && !iccid_digits(iccid))
		return orsp_errf(ORSP_E_USAGE, "resend reports: an ICCID is 1..20 digits");
	if ((err = orsp_db_begin(s->db)))
		return err;
	/* due at once, with the attempts of a new report: the sender takes them in id order,
	 * each ICCID's after its older pending ones */
	err = orsp_db_prepare(
	    s->db,
	    "UPDATE smdp_progress SET done = 0, attempts = 0, next_at = ?1,"
	    " lease = 0, next_by = '' WHERE done = 2 AND (?2 IS NULL OR iccid = ?2)",
	    &st);
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, now_s(s));
	if (!err)
		err = iccid ? orsp_stmt_bind_text(st, 2, iccid) : orsp_stmt_bind_null(st, 2);
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (!err)
		*n = (size_t)orsp_db_changes(s->db);
	if (!err && *n) {
		snprintf(detail, sizeof(detail), "%zu progress report%s given up queued again", *n,
		         *n == 1 ? "" : "s");
		err = audit(s, "reportsResent", iccid ? iccid : "", "", "", detail);
	}
	err = finish(s, err);
	if (err)
		*n = 0;
	return err;
}

/* ----- listing the inventory ----- */

/* The filter's parameter numbers, fixed whatever else is set (SQLite takes gaps): a state's
 * name is parameter P_STATE + its value. */
enum { P_ICCID = 1, P_EID, P_BEFORE, P_LIMIT, P_STATE };
_Static_assert(SMDP_P_AFTER == P_STATE + ORSP_SMDP_STATE__COUNT,
               "the purge's cursor follows the states' parameters, ?14 in smdp_filter_sql");

static orsp_err filter_check(const orsp_smdp_filter *f)
{
	if (f->states >> ORSP_SMDP_STATE__COUNT)
		return orsp_errf(ORSP_E_USAGE, "list: state bits 0x%x name no state", f->states);
	if (f->iccid && f->iccid[0] && !iccid_digits(f->iccid))
		return orsp_errf(ORSP_E_USAGE, "list: an ICCID is 1..20 digits");
	if (f->eid && f->eid[0] && orsp_eid_check(f->eid) != ORSP_OK)
		return orsp_errf(ORSP_E_USAGE, "list: not an EID (32 digits with check digits)");
	if (f->changed_before < 0)
		return orsp_errf(ORSP_E_USAGE, "list: time before the epoch");
	return ORSP_OK;
}

/* Append the constant text t to sql (length *len, capacity cap). */
static orsp_err sql_add(char *sql, size_t cap, size_t *len, const char *t)
{
	size_t n = strlen(t);

	if (n >= cap - *len)
		return orsp_errf(ORSP_E_RESOURCE, "list: query too long");
	memcpy(sql + *len, t, n + 1);
	*len += n;
	return ORSP_OK;
}

orsp_err smdp_filter_sql(const orsp_smdp_filter *f, smdp_filter_mode mode, char *sql, size_t cap)
{
	const bool count = mode == SMDP_FILTER_COUNT;
	static const orsp_smdp_filter all = {0};
	/* the parameter of each state, in the state's place (the text stays constant) */
	static const char *const state_param[ORSP_SMDP_STATE__COUNT] = {
	    "?5", "?6", "?7", "?8", "?9", "?10", "?11", "?12", "?13"};
	const char *join = " WHERE ";
	size_t len = 0;
	orsp_err err;

	_Static_assert(P_STATE == 5 && ORSP_SMDP_STATE__COUNT == 9, "state_param follows P_STATE");
	if (!f)
		f = &all;
	if (!sql || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "list: missing arguments");
	sql[0] = '\0';
	err = filter_check(f);
	if (!err && count && f->limit)
		err = orsp_errf(ORSP_E_USAGE, "count: no limit for a count");
	if (!err && mode == SMDP_FILTER_PURGE && f->limit)
		err = orsp_errf(ORSP_E_USAGE, "purge: the batch is the limit's parameter");
	if (!err)
		err = sql_add(sql, cap, &len,
		              count ? "SELECT state, count(*), min(updated_at), sum(upp_len > 0)"
		                      " FROM smdp_profile"
		              : mode == SMDP_FILTER_PURGE
		                  ? "SELECT " COLS ", id FROM smdp_profile WHERE upp_len > 0 AND"
		                    " id > ?14"
		                  : "SELECT " COLS " FROM smdp_profile");
	if (mode == SMDP_FILTER_PURGE)
		join = " AND ";
	if (!err && f->iccid && f->iccid[0]) {
		err = sql_add(sql, cap, &len, join);
		if (!err)
			err = sql_add(sql, cap, &len, "iccid = ?1");
		join = " AND ";
	}
	if (!err && f->eid && f->eid[0]) {
		err = sql_add(sql, cap, &len, join);
		if (!err)
			err = sql_add(sql, cap, &len, "eid = ?2");
		join = " AND ";
	}
	if (!err && f->changed_before) {
		err = sql_add(sql, cap, &len, join);
		if (!err)
			err = sql_add(sql, cap, &len, "updated_at < ?3");
		join = " AND ";
	}
	if (!err && f->states) {
		const char *sep = "state IN (";
		err = sql_add(sql, cap, &len, join);
		for (unsigned i = 0; !err && i < ORSP_SMDP_STATE__COUNT; i++) {
			if (!(f->states & (1u << i)))
				continue;
			err = sql_add(sql, cap, &len, sep);
			if (!err)
				err = sql_add(sql, cap, &len, state_param[i]);
			sep = ", ";
		}
		if (!err)
			err = sql_add(sql, cap, &len, ")");
	}
	if (!err)
		err = sql_add(sql, cap, &len,
		              count                                   ? " GROUP BY state"
		              : f->limit || mode == SMDP_FILTER_PURGE ? " ORDER BY id LIMIT ?4"
		                                                      : " ORDER BY id");
	if (err)
		sql[0] = '\0';
	return err;
}

/* Bind the values of f to the parameters smdp_filter_sql wrote. */
static orsp_err filter_bind(orsp_stmt *st, const orsp_smdp_filter *f)
{
	orsp_err err = ORSP_OK;

	if (!f)
		return ORSP_OK;
	if (f->iccid && f->iccid[0])
		err = orsp_stmt_bind_text(st, P_ICCID, f->iccid);
	if (!err && f->eid && f->eid[0])
		err = orsp_stmt_bind_text(st, P_EID, f->eid);
	if (!err && f->changed_before)
		err = orsp_stmt_bind_int64(st, P_BEFORE, f->changed_before);
	/* one row more than the limit: whether the limit cut the list */
	if (!err && f->limit)
		err = orsp_stmt_bind_int64(
		    st, P_LIMIT, f->limit < (size_t)INT64_MAX ? (int64_t)f->limit + 1 : INT64_MAX);
	for (unsigned i = 0; !err && i < ORSP_SMDP_STATE__COUNT; i++)
		if (f->states & (1u << i))
			err = orsp_stmt_bind_text(st, P_STATE + (int)i,
			                          orsp_smdp_state_name((orsp_smdp_state)i));
	return err;
}

orsp_err orsp_smdp_list_where(orsp_smdp *s, const orsp_smdp_filter *f,
                              int (*fn)(const orsp_smdp_profile *p, void *arg), void *arg,
                              int *stopped, bool *more)
{
	char sql[1024];
	orsp_stmt *st = NULL;
	orsp_smdp_profile p;
	size_t n = 0;
	bool row = true;
	int rc = 0;
	orsp_err err;

	if (stopped)
		*stopped = 0;
	if (more)
		*more = false;
	if (!s || !fn)
		return orsp_errf(ORSP_E_USAGE, "list: missing arguments");
	err = smdp_filter_sql(f, SMDP_FILTER_LIST, sql, sizeof(sql));
	if (!err)
		err = orsp_db_prepare(s->db, sql, &st);
	if (!err)
		err = filter_bind(st, f);
	while (!err && rc == 0) {
		err = orsp_stmt_step(st, &row);
		if (err || !row)
			break;
		if (f && f->limit && n == f->limit) {
			if (more)
				*more = true;
			break;
		}
		err = read_row(st, &p);
		if (!err) {
			n++;
			rc = fn(&p, arg);
		}
	}
	orsp_stmt_finalize(st);
	if (stopped)
		*stopped = rc;
	return err;
}

orsp_err orsp_smdp_list(orsp_smdp *s, int (*fn)(const orsp_smdp_profile *p, void *arg), void *arg,
                        int *stopped)
{
	return orsp_smdp_list_where(s, NULL, fn, arg, stopped, NULL);
}

/* orsp_smdp_count_where, and with age_s (may be NULL) the age of the oldest last state change
 * in each state (-1: no profile in it), with held (may be NULL) the profiles of each state
 * that still hold their package, from the same scan. */
static orsp_err count_query(orsp_smdp *s, const orsp_smdp_filter *f,
                            size_t n[ORSP_SMDP_STATE__COUNT], int64_t age_s[ORSP_SMDP_STATE__COUNT],
                            size_t held[ORSP_SMDP_STATE__COUNT])
{
	char sql[1024];
	orsp_stmt *st = NULL;
	bool row = true;
	int64_t now;
	orsp_err err;

	if (!s || !n)
		return orsp_errf(ORSP_E_USAGE, "count: missing arguments");
	memset(n, 0, sizeof(size_t) * ORSP_SMDP_STATE__COUNT);
	for (int i = 0; age_s && i < ORSP_SMDP_STATE__COUNT; i++)
		age_s[i] = -1;
	if (held)
		memset(held, 0, sizeof(size_t) * ORSP_SMDP_STATE__COUNT);
	now = now_s(s);
	err = smdp_filter_sql(f, SMDP_FILTER_COUNT, sql, sizeof(sql));
	if (!err)
		err = orsp_db_prepare(s->db, sql, &st);
	if (!err)
		err = filter_bind(st, f);
	while (!err) {
		orsp_smdp_state state;
		err = orsp_stmt_step(st, &row);
		if (err || !row)
			break;
		err = orsp_smdp_state_parse(orsp_stmt_column_text(st, 0), &state);
		if (err) {
			err = orsp_errf(ORSP_E_STORAGE, "count: %s", orsp_err_detail());
		} else {
			n[state] = (size_t)orsp_stmt_column_int64(st, 1);
			/* a clock set back makes no negative age */
			if (age_s)
				age_s[state] = now > orsp_stmt_column_int64(st, 2)
				                   ? now - orsp_stmt_column_int64(st, 2)
				                   : 0;
			if (held)
				held[state] = (size_t)orsp_stmt_column_int64(st, 3);
		}
	}
	orsp_stmt_finalize(st);
	if (err) {
		memset(n, 0, sizeof(size_t) * ORSP_SMDP_STATE__COUNT);
		for (int i = 0; age_s && i < ORSP_SMDP_STATE__COUNT; i++)
			age_s[i] = -1;
		if (held)
			memset(held, 0, sizeof(size_t) * ORSP_SMDP_STATE__COUNT);
	}
	return err;
}

orsp_err orsp_smdp_count_where(orsp_smdp *s, const orsp_smdp_filter *f,
                               size_t n[ORSP_SMDP_STATE__COUNT])
{
	return count_query(s, f, n, NULL, NULL);
}

orsp_err orsp_smdp_state_ages(orsp_smdp *s, size_t n[ORSP_SMDP_STATE__COUNT],
                              int64_t age_s[ORSP_SMDP_STATE__COUNT],
                              size_t held[ORSP_SMDP_STATE__COUNT])
{
	if (!age_s)
		return orsp_errf(ORSP_E_USAGE, "state ages: missing arguments");
	return count_query(s, NULL, n, age_s, held);
}

/* ----- purging the packages of ended profiles ----- */

/* Profiles whose package one write transaction of orsp_smdp_purge drops. Each drop frees the
 * package's pages, which SQLite's secure_delete overwrites with zeros: some 4 pages for the
 * 12 KiB of a TS.48 package, so a batch writes about 1.6 MB and holds the write lock for
 * a few milliseconds, between two of the servers' transactions. */
#define PURGE_BATCH 100

typedef struct purge_row {
	int64_t id;
	char iccid[21];
	orsp_smdp_state state;
	size_t upp_len;
} purge_row;

/* Drop row r's package and mark its profile as holding none, in the caller's transaction.
 * ORSP_E_STATE when the row changed since it was read (another purge took it). */
static orsp_err purge_one(orsp_smdp *s, const purge_row *r)
{
	orsp_stmt *st = NULL;
	char detail[64];
	orsp_err err;

	err = orsp_db_prepare(s->db,
	                      "UPDATE smdp_profile SET upp_len = 0 WHERE id = ?1 AND upp_len > 0"
	                      " AND state = ?2",
	                      &st);
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, r->id);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, orsp_smdp_state_name(r->state));
	if (!err)
		err = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	if (!err && orsp_db_changes(s->db) != 1)
		err = orsp_errf(ORSP_E_STATE, "profile %s changed meanwhile", r->iccid);
	if (!err)
		err = orsp_db_prepare(s->db, "DELETE FROM smdp_upp WHERE profile_id = ?1", &st);
	if (!err) {
		err = orsp_stmt_bind_int64(st, 1, r->id);
		if (!err)
			err = orsp_stmt_run(st);
		orsp_stmt_finalize(st);
	}
	if (!err && orsp_db_changes(s->db) != 1)
		err = orsp_errf(ORSP_E_STORAGE, "profile %s has no package to drop", r->iccid);
	snprintf(detail, sizeof(detail), "package deleted (%zu bytes)", r->upp_len);
	if (!err)
		err = audit(s, "purge", r->iccid, orsp_smdp_state_name(r->state),
		            orsp_smdp_state_name(r->state), detail);
	return err;
}

orsp_err orsp_smdp_purge(orsp_smdp *s, const orsp_smdp_filter *f, bool dry_run,
                         bool (*between)(void *), void *arg, size_t n[ORSP_SMDP_STATE__COUNT])
{
	orsp_smdp_filter q;
	purge_row rows[PURGE_BATCH];
	char sql[1024];
	size_t total = 0;
	int64_t last = 0;
	orsp_err err;

	if (!s || !f || !n)
		return orsp_errf(ORSP_E_USAGE, "purge: missing arguments");
	memset(n, 0, sizeof(size_t) * ORSP_SMDP_STATE__COUNT);
	if (!f->states)
		return orsp_errf(ORSP_E_USAGE, "purge: name the states (installed, error, "
		                               "unavailable)");
	for (unsigned i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
		if ((f->states & (1u << i)) && !(ORSP_SMDP_FINAL_STATES & (1u << i)))
			return orsp_errf(ORSP_E_USAGE,
			                 "purge: %s is not a final state: its package may still be "
			                 "delivered",
			                 orsp_smdp_state_name((orsp_smdp_state)i));
	q = *f;
	q.limit = 0; /* the batch is bound in its place */
	err = smdp_filter_sql(&q, SMDP_FILTER_PURGE, sql, sizeof(sql));
	while (!err) {
		size_t want = PURGE_BATCH, got = 0, done[ORSP_SMDP_STATE__COUNT] = {0};
		orsp_stmt *st = NULL;
		bool row = true;

		if (f->limit && f->limit - total < want)
			want = f->limit - total;
		if (want == 0)
			break;
		/* the batch is read in the transaction that drops it: the write lock keeps it */
		if (!dry_run && (err = orsp_db_begin(s->db)))
			break;
		err = orsp_db_prepare(s->db, sql, &st);
		if (!err)
			err = filter_bind(st, &q);
		if (!err)
			err = orsp_stmt_bind_int64(st, P_LIMIT, (int64_t)want);
		if (!err)
			err = orsp_stmt_bind_int64(st, SMDP_P_AFTER, last);
		while (!err && got < want) {
			orsp_smdp_profile p;
			err = orsp_stmt_step(st, &row);
			if (err || !row)
				break;
			err = read_row(st, &p);
			if (!err) {
				rows[got] = (purge_row){.id = orsp_stmt_column_int64(st, COLS_N),
				                        .state = p.state,
				                        .upp_len = p.upp_len};
				memcpy(rows[got].iccid, p.iccid, sizeof(p.iccid));
				got++;
			}
		}
		orsp_stmt_finalize(st);
		/* each batch that found profiles, the first too, before it drops anything: a stop
		 * asked while the open or this batch waited for the write lock purges nothing more;
		 * one after the last batch (none found) does not read as an unfinished purge */
		if (!err && got && between && !between(arg)) {
			if (!dry_run)
				orsp_db_rollback(s->db);
			break;
		}
		for (size_t i = 0; !err && i < got; i++) {
			if (!dry_run)
				err = purge_one(s, &rows[i]);
			done[rows[i].state]++;
		}
		if (!dry_run)
			err = finish(s, err);
		/* its profiles purged all the same (not counted until session 65) */
		if (err && !orsp_db_unflushed(s->db, err))
			break;
		for (unsigned i = 0; i < ORSP_SMDP_STATE__COUNT; i++)
			n[i] += done[i];
		if (err)
			break;
		total += got;
		if (got)
			last = rows[got - 1].id;
		if (got < want)
			break;
	}
	return err;
}

/* ----- reading the audit log and the progress outbox ----- */

/* Prepare sql (with " WHERE iccid = ?1" appended when iccid is given) and its ORDER BY; with
 * a limit (0: none), the newest `limit` rows only, still oldest first. */
static orsp_err walk_prepare(orsp_smdp *s, const char *select, const char *iccid, size_t limit,
                             orsp_stmt **st)
{
	const char *where = iccid ? " WHERE iccid = ?1" : "";
	char sql[640];
	int n;
	orsp_err err;

	if (limit)
		n = snprintf(sql, sizeof(sql),
		             "SELECT * FROM (%s%s ORDER BY id DESC LIMIT ?2) AS newest ORDER BY id",
		             select, where);
	else
		n = snprintf(sql, sizeof(sql), "%s%s ORDER BY id", select, where);
	if (n < 0 || n >= (int)sizeof(sql))
		return orsp_errf(ORSP_E_RESOURCE, "query too long");
	err = orsp_db_prepare(s->db, sql, st);
	if (!err && iccid)
		err = orsp_stmt_bind_text(*st, 1, iccid);
	if (!err && limit)
		err = orsp_stmt_bind_int64(*st, 2, limit < INT64_MAX ? (int64_t)limit : INT64_MAX);
	return err;
}

static void text_col(orsp_stmt *st, int col, char *out, size_t cap)
{
	const char *t = orsp_stmt_column_text(st, col);
	snprintf(out, cap, "%s", t ? t : "");
}

/* One walk: the rows of select (see walk_prepare), each read by `read` into row and given
 * to `each`, until one returns non-zero (in *stopped). */
static orsp_err walk_rows(orsp_smdp *s, const char *select, const char *iccid, size_t limit,
                          void (*read)(orsp_stmt *st, void *row), void *row,
                          int (*each)(const void *row, void *ctx), void *ctx, int *stopped)
{
	orsp_stmt *st = NULL;
	bool more = true;
	int rc = 0;
	orsp_err err = walk_prepare(s, select, iccid, limit, &st);

	while (!err && rc == 0) {
		err = orsp_stmt_step(st, &more);
		if (err || !more)
			break;
		read(st, row);
		rc = each(row, ctx);
	}
	orsp_stmt_finalize(st);
	if (stopped)
		*stopped = rc;
	return err;
}

typedef struct audit_cb {
	int (*fn)(const orsp_smdp_audit_row *r, void *arg);
	void *arg;
} audit_cb;

static void audit_read(orsp_stmt *st, void *row)
{
	orsp_smdp_audit_row *r = row;
	r->id = orsp_stmt_column_int64(st, 0);
	r->at = orsp_stmt_column_int64(st, 1);
	text_col(st, 2, r->action, sizeof(r->action));
	text_col(st, 3, r->iccid, sizeof(r->iccid));
	text_col(st, 4, r->from, sizeof(r->from));
	text_col(st, 5, r->to, sizeof(r->to));
	text_col(st, 6, r->detail, sizeof(r->detail));
}

static int audit_each(const void *row, void *ctx)
{
	const audit_cb *cb = ctx;
	return cb->fn(row, cb->arg);
}

orsp_err orsp_smdp_audit_walk(orsp_smdp *s, const char *iccid,
                              int (*fn)(const orsp_smdp_audit_row *r, void *arg), void *arg,
                              int *stopped)
{
	return orsp_smdp_audit_walk_ex(s, iccid, 0, fn, arg, stopped);
}

orsp_err orsp_smdp_audit_walk_ex(orsp_smdp *s, const char *iccid, size_t limit,
                                 int (*fn)(const orsp_smdp_audit_row *r, void *arg), void *arg,
                                 int *stopped)
{
	orsp_smdp_audit_row r;
	audit_cb cb = {fn, arg};

	if (stopped)
		*stopped = 0;
	if (!s || !fn)
		return orsp_errf(ORSP_E_USAGE, "audit: missing arguments");
	return walk_rows(s,
	                 "SELECT id, at, action, iccid, from_state, to_state, detail"
	                 " FROM smdp_audit",
	                 iccid, limit, audit_read, &r, audit_each, &cb, stopped);
}

typedef struct report_cb {
	int (*fn)(const orsp_smdp_report_row *r, void *arg);
	void *arg;
} report_cb;

static void report_read(orsp_stmt *st, void *row)
{
	orsp_smdp_report_row *r = row;
	r->id = orsp_stmt_column_int64(st, 0);
	r->at = orsp_stmt_column_int64(st, 1);
	r->next_at = orsp_stmt_column_int64(st, 2);
	text_col(st, 3, r->iccid, sizeof(r->iccid));
	text_col(st, 4, r->eid, sizeof(r->eid));
	text_col(st, 5, r->subject, sizeof(r->subject));
	text_col(st, 6, r->reason, sizeof(r->reason));
	text_col(st, 7, r->detail, sizeof(r->detail));
	r->point = (int)orsp_stmt_column_int64(st, 8);
	r->success = orsp_stmt_column_int64(st, 9) != 0;
	r->attempts = (unsigned)orsp_stmt_column_int64(st, 10);
	r->done = (int)orsp_stmt_column_int64(st, 11);
}

static int report_each(const void *row, void *ctx)
{
	const report_cb *cb = ctx;
	return cb->fn(row, cb->arg);
}

orsp_err orsp_smdp_report_walk(orsp_smdp *s, const char *iccid,
                               int (*fn)(const orsp_smdp_report_row *r, void *arg), void *arg,
                               int *stopped)
{
	orsp_smdp_report_row r;
	report_cb cb = {fn, arg};

	if (stopped)
		*stopped = 0;
	if (!s || !fn)
		return orsp_errf(ORSP_E_USAGE, "reports: missing arguments");
	return walk_rows(s,
	                 "SELECT id, at, CASE WHEN next_at = " SMDP_PROGRESS_CLAIMED_SQL
	                 " THEN 0 ELSE next_at END, iccid, eid, subject_code, reason_code, detail,"
	                 " point_id, success, attempts, done FROM smdp_progress",
	                 iccid, 0, report_read, &r, report_each, &cb, stopped);
}

/* ----- KEK rotation ----- */

static void aad_cc(orsp_stmt *row, char *out, size_t cap)
{
	aad_for(out, cap, "cc", orsp_stmt_column_text(row, 0));
}

static void aad_dek(orsp_stmt *row, char *out, size_t cap)
{
	aad_for(out, cap, "dek", orsp_stmt_column_text(row, 2));
}

static void aad_kek_check(orsp_stmt *row, char *out, size_t cap)
{
	(void)row;
	snprintf(out, cap, "%s", KEK_CHECK_AAD);
}

static void aad_otsk(orsp_stmt *row, char *out, size_t cap)
{
	smdp_otsk_aad(out, cap, orsp_stmt_column_text(row, 0));
}

/* Every column of the SM-DP+'s schemas (modules smdp and smdp_es9p) that holds a secret
 * (docs/smdp.md lists them; test_smdp_store compares them with the schema). A package is
 * sealed under its own data key, which dek_wrapped wraps: re-wrapping the key rotates it.
 * A package whose profile row is missing reads with an empty ICCID and so does not unwrap:
 * the rotation stops on it rather than leave it under the old KEK. */
static const orsp_kek_column smdp_kek_columns[] = {
    {"smdp_profile", "cc_wrapped", "smdp", 1,
     "SELECT iccid, cc_wrapped FROM smdp_profile WHERE cc_wrapped IS NOT NULL",
     "UPDATE smdp_profile SET cc_wrapped = ?1 WHERE iccid = ?2", "t", aad_cc},
    {"smdp_upp", "dek_wrapped", "smdp", 3,
     "SELECT u.profile_id, u.dek_wrapped, p.iccid FROM smdp_upp u"
     " LEFT JOIN smdp_profile p ON p.id = u.profile_id",
     "UPDATE smdp_upp SET dek_wrapped = ?1 WHERE profile_id = ?2", "i", aad_dek},
    {"smdp_upp", "upp_sealed", "smdp", 3, NULL, NULL, "", NULL},
    {"smdp_kek_check", "wrapped", "smdp", 1, "SELECT id, wrapped FROM smdp_kek_check",
     "UPDATE smdp_kek_check SET wrapped = ?1 WHERE id = ?2", "i", aad_kek_check},
    {"es9p_session", "otsk_wrapped", "smdp_es9p", 3,
     "SELECT tid, otsk_wrapped FROM es9p_session WHERE otsk_wrapped IS NOT NULL",
     "UPDATE es9p_session SET otsk_wrapped = ?1 WHERE tid = ?2", "t", aad_otsk},
};

const orsp_kek_column *orsp_smdp_kek_columns(size_t *n)
{
	*n = ORSP_ARRAY_LEN(smdp_kek_columns);
	return smdp_kek_columns;
}

static orsp_err rekey_audit(void *arg, const char *new_path)
{
	char detail[ORSP_SMDP_AUDIT_DETAIL_MAX]; /* "new KEK file " and a path of up to PATH_MAX */

	snprintf(detail, sizeof(detail), "new KEK file %s", new_path);
	return audit(arg, "kekRotated", "", "", "", detail);
}

orsp_err orsp_smdp_rekey(orsp_smdp *s, orsp_db_guard *g, const char *new_kek_path,
                         const char *seal_uri, size_t *count)
{
	orsp_err err;
	orsp_secret next = {0};
	const orsp_secret *kek;

	if (!s || !g || !new_kek_path)
		return orsp_errf(ORSP_E_USAGE, "smdp rekey: missing arguments");
	if ((err = kek_of(s, &kek)))
		return err;
	err = orsp_kek_rekey(s->db, g, kek, new_kek_path, seal_uri, smdp_kek_columns,
	                     ORSP_ARRAY_LEN(smdp_kek_columns), rekey_audit, s, &next, count);
	/* also after a commit whose flush alone failed: the database is under the new KEK */
	if (err && next.len == 0)
		return err;
	/* the handle goes on with the new KEK, and so with the keys derived from it (its views
	 * too: they share it, smdp_kek) */
	orsp_secret_wipe(&s->kek->k);
	s->kek->k = next;
	orsp_secret_wipe(&next);
	orsp_hmac_key_free(s->mac_key);
	s->mac_key = NULL;
	s->mac_label[0] = 0;
	return err; /* ORSP_OK, or the flush's failure */
}

/* ----- backup ----- */

typedef struct backup_ctx {
	orsp_smdp *s;
	int version; /* the source's smdp schema version */
	orsp_smdp_backup_info *info;
} backup_ctx;

static orsp_err backup_verify(void *arg, orsp_db *copy)
{
	backup_ctx *c = arg;
	orsp_smdp view = {.db = copy, .clock = c->s->clock};
	int v = 0;
	const orsp_secret *kek = NULL;
	orsp_err err = orsp_db_schema_version(copy, "smdp", &v);

	if (!err && v != c->version)
		err =
		    orsp_errf(ORSP_E_STORAGE,
		              "the copy holds the SM-DP+ schema at version %d, the database at %d",
		              v, c->version);
	if (!err)
		err = kek_of(c->s, &kek);
	if (!err)
		err = orsp_kek_check_existing(copy, kek, "smdp_kek_check", KEK_CHECK_AAD,
		                              kek_check_plain, sizeof(kek_check_plain));
	/* the copy's profiles by state, with the count query of the inventory (no KEK in view) */
	if (!err)
		err = count_query(&view, NULL, c->info->profiles, NULL, NULL);
	return err;
}

/* The "backup" row (detail the backup's name, after "not written: " when it did not
 * appear), committed durably (the "not written" one after a failure: orsp_db_backup asks
 * for it). */
static orsp_err backup_audit(void *arg, const char *path, bool written)
{
	orsp_smdp *s = ((backup_ctx *)arg)->s;
	char detail[ORSP_SMDP_AUDIT_DETAIL_MAX];
	orsp_err err = orsp_db_begin(s->db);

	if (err)
		return err;
	snprintf(detail, sizeof(detail), "%s%s", written ? "" : "not written: ", path);
	err = audit(s, "backup", "", "", "", detail);
	if (err) {
		orsp_db_rollback(s->db);
		return err;
	}
	return orsp_db_commit(s->db);
}

orsp_err orsp_smdp_backup(orsp_smdp *s, const char *out, const volatile sig_atomic_t *stop,
                          orsp_smdp_backup_info *info)
{
	backup_ctx c = {s, 0, info};
	orsp_db_backup_hooks h = {backup_verify, backup_audit, &c};
	orsp_err err;

	if (!s || !out || !info)
		return orsp_errf(ORSP_E_USAGE, "smdp backup: missing arguments");
	memset(info, 0, sizeof(*info));
	err = orsp_db_schema_version(s->db, "smdp", &c.version);
	if (!err)
		err = orsp_db_backup(s->db, out, &h, stop, &info->file);
	if (!err) {
		info->schema_version = c.version;
		info->schema_latest = (int)ORSP_ARRAY_LEN(smdp_migrations);
	} else {
		memset(info, 0, sizeof(*info));
	}
	return err;
}
