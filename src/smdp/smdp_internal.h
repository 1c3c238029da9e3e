/* openrsp smdp: internals shared by the inventory (smdp_store.c) and the ES9+ handler.
 * Private header: not installed, not part of the API. */
#ifndef ORSP_SMDP_INTERNAL_H
#define ORSP_SMDP_INTERNAL_H

#include "openrsp/der.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"

/* The owner of a profile with PPRs, from its package (the rules of orsp_smdp_import_with):
 * u is the package's first USIM (orsp_pkg_get_usim), mnc_len the operator's MNC length (0:
 * none given). Errors: ORSP_E_POLICY naming what is missing or too long. */
ORSP_MUST_CHECK orsp_err smdp_owner_of(const orsp_pkg *pkg, const orsp_pkg_usim *u,
                                       unsigned mnc_len, orsp_smdp_owner *out);

/* A stored owner checked as outside input: 5 or 6 digits, GIDs within ORSP_SMDP_GID_MAX.
 * ORSP_E_MALFORMED otherwise. */
ORSP_MUST_CHECK orsp_err smdp_owner_check(const orsp_smdp_owner *o);

/* StoreMetadataRequest's profileOwner [23] and profilePolicyRules [25] of profile p, in
 * that order (SGP.22 §5.4.1: the SEQUENCE's field order); nothing for a profile without
 * PPRs. Errors are the writer's (orsp_writer_status), or ORSP_E_MALFORMED for an owner
 * that does not encode. */
ORSP_MUST_CHECK orsp_err smdp_put_policy(orsp_writer *w, const orsp_smdp_profile *p);

/* Which query smdp_filter_sql writes: orsp_smdp_list_where's, orsp_smdp_count_where's, or
 * orsp_smdp_purge's (COLS and the id of the profiles that still hold a package, in id order
 * after the id in parameter SMDP_P_AFTER, at most the number in the limit's parameter). */
typedef enum smdp_filter_mode {
	SMDP_FILTER_LIST,
	SMDP_FILTER_COUNT,
	SMDP_FILTER_PURGE,
} smdp_filter_mode;

/* The parameter of the purge's cursor (SMDP_FILTER_PURGE), after the filter's own. */
#define SMDP_P_AFTER 14

/* The query of mode for f, into sql[cap]: constant text only, every value a numbered
 * parameter that smdp_filter_bind binds. Tests read its plan. ORSP_E_USAGE for a filter
 * those refuse. */
ORSP_MUST_CHECK orsp_err smdp_filter_sql(const orsp_smdp_filter *f, smdp_filter_mode mode,
                                         char *sql, size_t cap);

/* The expiry round's queries (orsp_smdp_expire_with): whether any order is due, and the
 * earliest due one (after COLS, its id). due_at is an order's expiry time until the round
 * has looked at it past that time (set with the order, and again when a delivered order is
 * reopened; cleared by the round, or when the order ends in Available): the order may have
 * been delivered since, which the round finds and only clears. Each repeats the WHERE term of
 * the index smdp_profile_due word for word, so SQLite searches the index instead of reading
 * every profile; tests read their plans. ?1 is the current time. */
#define SMDP_OPEN_ORDER "state IN ('allocated', 'linked', 'confirmed', 'released')"
#define SMDP_DUE "due_at IS NOT NULL"
#define SMDP_SQL_ANY_DUE "SELECT 1 FROM smdp_profile WHERE " SMDP_DUE " AND due_at < ?1 LIMIT 1"
#define SMDP_SQL_NEXT_DUE_WHERE                                                                    \
	" FROM smdp_profile WHERE " SMDP_DUE " AND due_at < ?1 ORDER BY due_at LIMIT 1"

/* A progress report's next_at (sender_round): when it is due, on the wall clock of the
 * process that wrote it (next_by names that clock, '' for a new report's); a failed attempt
 * waits up to SMDP_PROGRESS_BACKOFF_MAX_S from its end. While a sender holds the report,
 * next_at is SMDP_PROGRESS_CLAIMED (due on no clock) and lease the claim's token: a lease is
 * never compared with a wall clock (migration 20 says why); the process that holds it never
 * takes it over, another only after seeing it held for SMDP_PROGRESS_LEASE_S on its own
 * monotonic clock. A next_at more than SMDP_PROGRESS_AHEAD_MAX_S ahead of the current time
 * (the longest back-off plus a margin) and written on this clock (next_by this process's or
 * ''): its clock has been set back since, and the report is due now. Taken as it stood, a
 * clock set back by X made the report wait X more, and every later report of its ICCID
 * behind it. One so far ahead written on another machine's clock is that clock's skew: it
 * waits for this clock to reach it, or for its writer to send it (until migration 20 it was
 * due at once, and two processes so far apart used a report's 10 attempts in 2 s). */
#define SMDP_PROGRESS_LEASE_S 60
#define SMDP_PROGRESS_BACKOFF_MAX_S 300
#define SMDP_PROGRESS_AHEAD_MAX_S (SMDP_PROGRESS_BACKOFF_MAX_S + SMDP_PROGRESS_LEASE_S + 60)
/* ... and one written on another clock is due anyway once more than this beyond that: no
 * two clocks that share a database are a day apart, but a clock's name can change under it
 * (a container recreated with another host name and no machine-id, a machine-id made anew),
 * and a retry time it wrote before it was set back would wait out the whole difference, as
 * every one did until session 73 (the diff review of session 77 made it with a container's
 * clock an hour ahead: its report waited the hour, the ICCID's next one behind it) */
#define SMDP_PROGRESS_FOREIGN_MAX_S 86400
/* 2^62: a claimed report's next_at, beyond every clock; SMDP_STR gives the SQL literal */
#define SMDP_PROGRESS_CLAIMED 4611686018427387904
/* the longest clock name next_by holds (smdp_server.c: the machine's) */
#define SMDP_CLOCK_ID_MAX 64

/* The progress sender's next report (sender_round): the first due one, by id, whose ICCID has
 * no earlier report still to send (the reports of a profile go out in order). ?1 is the
 * current time, ?2 that plus SMDP_PROGRESS_AHEAD_MAX_S (a next_at beyond it, but for a claim's,
 * is due when written on clock ?3 or on an unnamed one).
 *
 * Two searches find that one report, and the statement runs the cheaper for the outbox as it
 * is, by counting the due reports up to SMDP_PROGRESS_FEW_DUE through smdp_progress_due:
 * - fewer (the outbox of a server in normal running, or one whose reports all wait for their
 *   retries through an operator outage): the due ones are taken from smdp_progress_due and
 *   sorted by id, at most SMDP_PROGRESS_FEW_DUE - 1 of them;
 * - more (a backlog: orders expiring together, an operator back after an outage): the
 *   undelivered reports are walked by id through smdp_progress_queue (migration 18) up to
 *   the first due one with no earlier report of its ICCID, passing only those ahead of it
 *   that are not due (being sent by another process, or waiting for a retry). Sorting every
 *   due report, as every search did before, cost each report sent time in proportion to the
 *   backlog (8 ms of CPU with 19,000 waiting, hours for 200,000), and walking every
 *   undelivered report would cost as much to each round of a server whose reports all wait
 *   for their retries. SQLite without statistics prefers smdp_progress_due and a sort for the
 *   walk too, so it names its index (INDEXED BY: the statement fails to prepare without it,
 *   where a plan of its own would silently sort again).
 * The NOT EXISTS finds an earlier report through smdp_progress_pending (migration 16: the
 * undelivered reports by ICCID); before it, that read every undelivered report for each due
 * one. Both partial indexes are used only because each search repeats their WHERE term
 * (SMDP_PROGRESS_PENDING) word for word; tests count the statement's steps. */
#define SMDP_PROGRESS_PENDING "done = 0"
#define SMDP_PROGRESS_FEW_DUE 64
#define SMDP_STR_(x) #x
#define SMDP_STR(x) SMDP_STR_(x)
/* a retry time of table t ("p." or "") written on this clock since set back */
#define SMDP_PROGRESS_CLAIMED_SQL SMDP_STR(SMDP_PROGRESS_CLAIMED)
#define SMDP_PROGRESS_SET_BACK(t)                                                                  \
	t "next_at > ?2 AND " t "next_at < " SMDP_PROGRESS_CLAIMED_SQL " AND (" t                  \
	  "next_by IN ('', ?3) OR " t "next_at > ?2 + " SMDP_STR(SMDP_PROGRESS_FOREIGN_MAX_S) ")"
#define SMDP_PROGRESS_SET_BACK_P SMDP_PROGRESS_SET_BACK("p.")
#define SMDP_PROGRESS_SET_BACK_ANY SMDP_PROGRESS_SET_BACK("")
/* the due reports whose next_at meets `term`, counted up to SMDP_PROGRESS_FEW_DUE */
#define SMDP_PROGRESS_DUE_UPTO(term)                                                               \
	"(SELECT count(*) FROM (SELECT 1 FROM smdp_progress WHERE " SMDP_PROGRESS_PENDING          \
	" AND " term " LIMIT " SMDP_STR(SMDP_PROGRESS_FEW_DUE) "))"
/* the id of the next report, searched through the index `indexed` names ("" for SQLite's
 * choice) */
#define SMDP_PROGRESS_NEXT_ID(indexed)                                                             \
	"(SELECT p.id FROM smdp_progress p " indexed "WHERE " SMDP_PROGRESS_PENDING                \
	" AND (p.next_at <= ?1 OR (" SMDP_PROGRESS_SET_BACK_P "))"                                 \
	" AND NOT EXISTS (SELECT 1 FROM smdp_progress q"                                           \
	" WHERE q.iccid = p.iccid AND q." SMDP_PROGRESS_PENDING " AND q.id < p.id)"                \
	" ORDER BY p.id LIMIT 1)"
/* fewer than SMDP_PROGRESS_FEW_DUE reports are due */
#define SMDP_PROGRESS_FEW_DUE_SQL SMDP_STR(SMDP_PROGRESS_FEW_DUE)
#define SMDP_PROGRESS_FEW                                                                          \
	SMDP_PROGRESS_DUE_UPTO("next_at <= ?1")                                                    \
	" + " SMDP_PROGRESS_DUE_UPTO(SMDP_PROGRESS_SET_BACK_ANY) " < " SMDP_PROGRESS_FEW_DUE_SQL
/* the first report by sorting the due ones; by walking the undelivered ones in order */
#define SMDP_PROGRESS_SORTED SMDP_PROGRESS_NEXT_ID("")
#define SMDP_PROGRESS_WALKED SMDP_PROGRESS_NEXT_ID("INDEXED BY smdp_progress_queue ")
/* a report's columns, as the sender reads them (smdp_server.c progress_read) */
#define SMDP_PROGRESS_COLS                                                                         \
	"SELECT id, iccid, eid, profile_type, point_id, success, at,"                              \
	" attempts, next_at, subject_code, reason_code, detail, result_data FROM smdp_progress"
#define SMDP_SQL_NEXT_REPORT                                                                       \
	SMDP_PROGRESS_COLS " WHERE id = CASE WHEN " SMDP_PROGRESS_FEW                              \
	                   " THEN " SMDP_PROGRESS_SORTED " ELSE " SMDP_PROGRESS_WALKED " END"

/* A WHERE term: the result in column x is one of a notification that failed verification.
 * Compared one by one, not `IN (...)`: SQLite evaluates an IN list of constants by building a
 * temporary index of it at every statement, and the partial index es9p_notification_unverified
 * is evaluated at every notification recorded (es9p migration 10). The prune (es9p_handler.c)
 * repeats the index's term word for word, as SQLite uses a partial index only then, and
 * es9p_handler.c's unverified() lists the same four. */
#define ES9P_UNVERIFIED_RESULT(x)                                                                  \
	"(" x " = 'bad signature' OR " x " = 'certificate refused' OR " x                          \
	" = 'unknown session' OR " x " = 'wrong smdpOid')"

/* The prune of unverified notifications (es9p_handler.c), ?1 the number kept: the oldest of
 * them beyond it, by the count es9p migration 14 keeps. Also read by test_unverified_bounded,
 * for its plan. */
#define ES9P_SQL_PRUNE_UNVERIFIED                                                                  \
	"DELETE FROM es9p_notification WHERE id IN (SELECT id FROM es9p_notification "             \
	"WHERE " ES9P_UNVERIFIED_RESULT("result") " ORDER BY id LIMIT max(0, (SELECT n FROM"       \
	                                          " es9p_unverified_count) - ?1))"

/* The CHECK of smdp_profile.state as migration 1 wrote it, and as migration 15 rewrites it
 * (SQL string literals of the two texts, for replace()). */
#define SMDP_STATE_CHECK_V1                                                                        \
	"'CHECK (state IN (''available'', ''allocated'', ''linked'',  ''confirmed'',"              \
	" ''released'', ''downloaded'', ''installed'', ''error'', ''unavailable''))'"
#define SMDP_STATE_CHECK_V15                                                                       \
	"'CHECK (state = ''available'' OR state = ''allocated'' OR state = ''linked'' OR"          \
	" state = ''confirmed'' OR state = ''released'' OR state = ''downloaded'' OR"              \
	" state = ''installed'' OR state = ''error'' OR state = ''unavailable'')'"

/* The cutoff of the last complete search of the ES9+ sweep of this handle for one-time keys
 * past the TTL (es9p_handler.c sweep_keys), 0 before its first. */
int64_t smdp_es9p_keys_done(const orsp_smdp *s);
void smdp_set_es9p_keys_done(orsp_smdp *s, int64_t t);

/* Lets go of this handle's KEK: wiped, unless a view of it, or the handle it is a view of,
 * still holds it (they share one, orsp_smdp_open_view): for a handle that never needs it
 * after its open checked it (smdp_server.c: /metrics' connection, the progress report
 * sender's). Every later use of the KEK through the handle (orsp_smdp_wrap, _unwrap,
 * _derive_key, _label_mac, an import, a UPP read, a confirmation code, a rekey) fails with
 * ORSP_E_STATE "this SM-DP+ handle holds no KEK". Views opened after it hold none either.
 * NULL-safe. */
void smdp_drop_kek(orsp_smdp *s);
/* For tests: the KEK the handle uses (a view: the same one as its handle's), NULL when it
 * holds none (smdp_drop_kek). */
const orsp_secret *smdp_kek_in(const orsp_smdp *s);

/* For tests: the server's database handles: which "pool" (pool[i], NULL past the pool),
 * "metrics" (/metrics' connection, NULL when it did not open), "sender" (the progress report
 * sender's) or "senders" (the other senders' views of it, senders[i]). */
orsp_smdp *smdp_server_db(const orsp_smdp_server *srv, const char *which, size_t i);

/* For tests: the wall clock of the server's progress report senders (orsp_smdp_set_clock of
 * the sender's handle and its views: 0 the real one), the name of that clock (next_by; NULL:
 * unchanged) and ms added to the monotonic clock on which the claims of other processes are
 * watched (lease_run_out): two servers on one database stand for two processes whose clocks
 * differ, or one whose clock steps. */
void smdp_server_set_clock(orsp_smdp_server *srv, int64_t now, const char *clock_id,
                           double lease_ms_add);

/* For tests: ms added to the duration of /metrics' last reading of the database's figures
 * and to their age, where the server judges whether they are still good (FIGURES_COST_FACTOR,
 * metrics_cache; smdp_server.c) and in the gauges it gives: a slow reading, old figures, at
 * once. */
void smdp_server_set_figures_clock(orsp_smdp_server *srv, double read_ms_add, double age_ms_add);

/* For tests: the window of the refused requests' log lines (REFUSED_LOG_WINDOW_MS, 1000 ms:
 * REFUSED_LOG_MAX lines of a kind per window; smdp_server.c), applied from the next line on. */
void smdp_server_set_refused_window(orsp_smdp_server *srv, double window_ms);

/* What the audit rows of an ES2+ request authenticated by this verified client certificate
 * (DER) say authenticated it (orsp_smdp_set_auth): "certificate SUBJECT" (one-line, as
 * `openssl x509 -subject` prints it) when that fits in ORSP_SMDP_AUTH_MAX - 1 bytes; else
 * "certificate sha256:FP SUBJECT...", FP the first 8 bytes of the certificate's SHA-256 in
 * hex, which tell two certificates apart, then as much of the subject as fits. */
void smdp_cert_auth_name(const uint8_t *der, size_t len, char out[ORSP_SMDP_AUTH_MAX]);

/* How many progress reports this handle has queued since it was opened (a transaction that
 * rolled back included): smdp_server.c wakes its idle report senders when a request's count
 * moved. */
uint64_t smdp_progress_queued(const orsp_smdp *s);

/* Whether the audit log has the expiry's row for the profile of ICCID ?1: Unavailable has no
 * way out, so a profile in it with such a row ended by its expiry. The term repeats the WHERE
 * of the index smdp_audit_expired (orsp_smdp_event_name(ORSP_SMDP_EV_EXPIRE), a test checks
 * they agree); tests read its plan. */
#define SMDP_EXPIRE_ROW "action = 'expire'"
#define SMDP_SQL_EXPIRED_ROW                                                                       \
	"SELECT 1 FROM smdp_audit WHERE iccid = ?1 AND " SMDP_EXPIRE_ROW " LIMIT 1"
/* Whether the inventory has a profile of type ?1 (type_known), through smdp_profile_type;
 * tests read its plan. */
#define SMDP_SQL_TYPE_KNOWN "SELECT 1 FROM smdp_profile WHERE profile_type = ?1 LIMIT 1"
/* The first Available profile of type ?1, for a downloadOrder by profileType, named through
 * smdp_profile_available: SQLite, without statistics, takes smdp_profile_type (migration 20)
 * for the equality on the type and would walk every profile of the type, most of them
 * ordered long ago, for the first Available one (the reread of session 77 caught the plan
 * before it was released): the statement after its SELECT list. Tests read its plan. */
#define SMDP_SQL_FIRST_AVAILABLE_FROM                                                              \
	" FROM smdp_profile INDEXED BY smdp_profile_available"                                     \
	" WHERE profile_type = ?1 AND state = 'available' ORDER BY id LIMIT 1"

/* The DER contents (X.690 §8.19) of a dotted OID such as the configuration's `oid`
 * (orsp_cert_oid_ok), into out[cap], *len bytes: the form certificates (registeredID) and
 * the eUICC's results and cancelSession carry smdpOid in. ORSP_E_USAGE "bad OID" for text
 * that is not one (fewer than two arcs, a first arc over 2, a second over 39 under 0 or 1,
 * an arc past 64 bits, an empty arc), ORSP_E_RESOURCE when it does not fit. */
ORSP_MUST_CHECK orsp_err smdp_oid_der(const char *dotted, uint8_t *out, size_t cap, size_t *len);

/* The record name otSK.DP.ECKA of the ES9+ session tid_hex (es9p_session.tid) is wrapped
 * with: the ES9+ handler wraps and unwraps it, the KEK rotation re-wraps it. */
void smdp_otsk_aad(char *aad, size_t cap, const char *tid_hex);

/* ORSP_E_STATE if a newer program's ES9+ handler migrated db (orsp_db_schema_check): the
 * inventory's open refuses such a database before its own migration writes to it, as it
 * refuses one whose inventory a newer program migrated. Only reads. */
ORSP_MUST_CHECK orsp_err smdp_es9p_schema_check(orsp_db *db);
/* orsp_db_migrate_check of the ES9+ schema (orsp_smdp_migrate_check). */
ORSP_MUST_CHECK orsp_err smdp_es9p_migrate_check(orsp_db *db);
/* The version of the ES9+ handler's schema this program migrates a database to. */
int smdp_es9p_schema_latest(void);

/* The end of an order (ES2+ cancelOrder, in its transaction on db): every live ES9+ session
 * of profile iccid ends and loses its one-time key, so that none outlives the order it was
 * authenticated for (a new order may take the same matching ID and EID). One that delivered
 * a package still has its installation result recorded (`session ended`), which changes
 * nothing. Nothing to do in a database the ES9+ handler never prepared. */
ORSP_MUST_CHECK orsp_err smdp_es9p_end_order_sessions(orsp_db *db, const char *iccid, int64_t now);

/* Whether ES9+ session tid_hex is still open to getBoundProfilePackage (authenticated, or
 * delivered; not ended, superseded or deleted), read in the caller's transaction on db. */
ORSP_MUST_CHECK orsp_err smdp_es9p_session_open(orsp_db *db, const char *tid_hex, bool *open);

/* Whether a session of profile iccid's order (matching ID mid) and eUICC eid other than
 * tid_hex has delivered its package and still waits for its installation result (the eUICC
 * may hold the profile from it): one authenticated in parallel (S_BPP), or one a retry of the
 * eUICC superseded (S_RETRIED); read in the caller's transaction on db. */
ORSP_MUST_CHECK orsp_err smdp_es9p_package_waiting(orsp_db *db, const char *iccid, const char *eid,
                                                   const char *mid, const char *tid_hex,
                                                   bool *found);

/* orsp_smdp_mark_error for the request of an ES9+ session of eUICC eid (NULL: none known):
 * the operator's report names that eUICC also when the profile is bound to none yet. */
ORSP_MUST_CHECK orsp_err smdp_mark_error_eid(orsp_smdp *s, const char *iccid, orsp_smdp_failure why,
                                             const char *detail, const char *eid);

/* A Released order (reopened after a delivery the eUICC postponed) kept for an earlier
 * session's package, which may be installed: Downloaded again, audited with detail, no
 * report, so that the package's result decides as for a Downloaded profile (its failure the
 * order's Error). Another state is left as it is. */
ORSP_MUST_CHECK orsp_err smdp_keep_for_earlier(orsp_smdp *s, const char *iccid, const char *detail);

/* ES9+ cancelSession of the order of profile iccid by eUICC eid with a reason that leaves
 * the order downloadable (postponed, timeout, ...): the operator's report (point 3, Failed,
 * 8.1/4.2, detail naming the reason; SGP.22 §5.6.5 has the SM-DP+ notify the operator of
 * every cancelled session), in the caller's transaction when one is open. */
/* orsp_smdp_report_ineligible; no_memory: the eUICC lacks free memory, reported as it is
 * answered, 8.1/4.8, not 8.2.5/4.3 */
ORSP_MUST_CHECK orsp_err smdp_report_refused(orsp_smdp *s, const char *iccid, const char *eid,
                                             bool no_memory, const char *detail);
ORSP_MUST_CHECK orsp_err smdp_report_cancel(orsp_smdp *s, const char *iccid, const char *eid,
                                            const char *detail);

/* authenticateClient's first refusal of a retry of the Downloaded order of profile iccid by
 * eUICC eid for want of downloads left (8.8.5/6.4; es9p_handler.c retries_refused, which
 * writes this once per order): the audit row (action SMDP_AUDIT_RETRIES_REFUSED, state
 * unchanged, detail naming the EID and the attempts) and the operator's report (point 1,
 * Failed, 8.8.5/6.4), so that the operator learns the order is stuck; the profile stays
 * Downloaded. In the caller's transaction when one is open. */
#define SMDP_AUDIT_RETRIES_REFUSED "downloadRetriesExceeded"
ORSP_MUST_CHECK orsp_err smdp_report_retries_refused(orsp_smdp *s, const char *iccid,
                                                     const char *eid, const char *detail);

/* The installation result (pir, DER as received, verified; success or not) of a session that
 * had delivered its package when ES2+ cancelOrder made the profile Unavailable (es9p_handler.c
 * result_after_cancel): the profile stays Unavailable, but the operator, told the order is
 * cancelled, learns that eUICC eid installed it (or failed to): the audit row (action
 * SMDP_AUDIT_PIR_OK_CANCELLED or SMDP_AUDIT_PIR_FAIL_CANCELLED, state unchanged, detail naming
 * the result and the EID) and the report of point 4 that the result would have made of a
 * Downloaded profile (Executed-Success, or Failed with the failure's codes). ORSP_E_STATE,
 * nothing written, unless the profile is Unavailable under order matching_id to eid. In the
 * caller's transaction when one is open. */
#define SMDP_AUDIT_PIR_OK_CANCELLED "pir(success,cancelled)"
#define SMDP_AUDIT_PIR_FAIL_CANCELLED "pir(failure,cancelled)"
ORSP_MUST_CHECK orsp_err smdp_report_pir_after_cancel(orsp_smdp *s, const char *iccid,
                                                      const char *matching_id, const char *eid,
                                                      bool success, const uint8_t *pir,
                                                      size_t pir_len);

/* The audit row of a verified notification whose seqNumber its eUICC had signed before for
 * another notification (es9p_handler.c seq_reused): action SMDP_AUDIT_SEQ_REUSED, profile
 * iccid ("" or one not in the inventory: no states), its state unchanged, detail naming the
 * two. In the caller's transaction when one is open. */
#define SMDP_AUDIT_SEQ_REUSED "eUICCSequenceReused"
ORSP_MUST_CHECK orsp_err smdp_audit_seq_reused(orsp_smdp *s, const char *iccid, const char *detail);

/* orsp_smdp_check_cc for the request of ES9+ session tid_hex (NULL: none) of eUICC eid (NULL:
 * none known; named in the operator's report when the retries run out), which must still
 * be open (smdp_es9p_session_open) in the check's transaction: ORSP_E_NOT_FOUND if it has
 * ended, nothing counted. ES2+ cancelOrder ends the sessions of its order, and an order
 * placed again under the same matching ID is Released with no package counted, as the
 * ended session saw its own: without this read such a session's wrong code would count
 * on the new order. */
ORSP_MUST_CHECK orsp_err smdp_check_cc(orsp_smdp *s, const char *tid_hex, const char *eid,
                                       const char *matching_id, const orsp_smdp_profile *seen,
                                       const uint8_t hash_cc[32], const uint8_t *tid,
                                       size_t tid_len);

/* finalResult's content (what A2 holds, SGP.22 §5.5.1 ProfileInstallationResultData) read as
 * an errorResult A1 { 80 bppCommandId, 81 errorReason, ... }: true with both; false for a
 * successResult or anything else, *cmd and *why then UINT64_MAX. */
bool smdp_pir_error(orsp_slice result, uint64_t *cmd, uint64_t *why);

#endif
