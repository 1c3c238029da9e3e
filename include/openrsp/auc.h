/* openrsp auc: the authentication centre of the Selected Home Operator (TR 33.812 §5.1).
 *
 * A subscriber table (IMSI, algorithm and its parameters, AMF, K and OPc/TOPc wrapped under
 * a KEK, the last SQN handed out, the IND length, the USIM's SQN delta) in an orsp_db, and
 * the AuC procedures of TS 33.102: authentication vectors with SQNs generated per Annex C.3
 * (SQN = SEQ || IND), and resynchronisation from AUTS (§6.3.5).
 *
 * Atomicity: handing out vectors is one write transaction (read SQN, compute, store the new
 * SQN, append to the audit table, commit); if anything fails, nothing is stored and no vector
 * is returned, so an SQN is never handed out twice, also across processes sharing one
 * database. Add, delete and setting a card secret nest in a caller's transaction (as a
 * savepoint); what hands something out (vectors, resync, reading a card secret, export) is
 * refused with ORSP_E_STATE inside one, since a rollback of the caller's transaction would
 * undo its SQN or audit row after the output had left. K and OPc are unwrapped into
 * orsp_aka_subscriber for the duration of one call and wiped before it returns.
 */
#ifndef OPENRSP_AUC_H
#define OPENRSP_AUC_H

#include "openrsp/aka.h"
#include "openrsp/core.h"
#include "openrsp/store.h"

#define ORSP_IMSI_MIN_DIGITS 5
#define ORSP_IMSI_MAX_DIGITS 15
#define ORSP_AUC_DEFAULT_IND_BITS 5 /* TS 33.102 C.3.2 suggests a 5-bit IND */
#define ORSP_AUC_MAX_VECTORS 32     /* per call */

typedef struct orsp_auc orsp_auc;

/* What the AuC knows about a subscriber, without its secrets. */
typedef struct orsp_auc_info {
	char imsi[ORSP_IMSI_MAX_DIGITS + 1];
	orsp_aka_alg alg;
	size_t k_len;                  /* 16, or 32 (TUAK only) */
	orsp_milenage_consts milenage; /* Milenage rotations and constants (not secret) */
	orsp_tuak_params tuak;         /* TUAK parameters */
	uint8_t amf[2];
	uint64_t sqn;             /* the last SQN handed out, or SQN_MS after a resync */
	unsigned ind_bits;        /* IND length in bits, 0..ORSP_SQN_MAX_IND_BITS */
	uint64_t sqn_delta;       /* the USIM's delta (TS 33.102 C.2.1) in SEQ units; 0 = none */
	int64_t created, updated; /* Unix time, seconds */
} orsp_auc_info;

/* A subscriber to add. Fill `sub` with orsp_aka_subscriber_init() (then adjust its Milenage
 * constants or TUAK parameters); when `op_given` is true, sub.opc holds OP (Milenage, 16
 * bytes) or TOP (TUAK, 32 bytes) and the AuC stores only the derived OPc/TOPc. */
typedef struct orsp_auc_new {
	const char *imsi;
	orsp_aka_subscriber sub;
	bool op_given;
	uint8_t amf[2];
	uint64_t sqn;      /* initial "last used" SQN, 48 bits; 0 = none used */
	unsigned ind_bits; /* 0..ORSP_SQN_MAX_IND_BITS */
	/* The delta of the subscriber's USIM (TS 33.102 C.2.1; the profile's PE-AKAParameter
	 * sqnDelta), in SEQ units, at most 48 bits; 0 = the USIM checks no upper bound.
	 * Resynchronisation decides with it whether the USIM accepts the next SQN. */
	uint64_t sqn_delta;
} orsp_auc_new;

/* Defaults: no IMSI, empty subscriber, op_given false, AMF 8000 (the E-UTRAN separation
 * bit, TS 33.401 §6.1.1, so even UMTS vectors would serve EPS and 5G; vectors asked for EPS or
 * 5G get the bit whatever the stored AMF, orsp_auc_vectors_for), SQN 0, IND 5 bits, SQN delta
 * ORSP_SQN_DEFAULT_DELTA (2^28, the PE-AKAParameter default). */
void orsp_auc_new_init(orsp_auc_new *n);
/* Wipes the secrets in n->sub. */
void orsp_auc_new_wipe(orsp_auc_new *n);

/* True if imsi is 5 to 15 decimal digits. */
bool orsp_imsi_valid(const char *imsi);

/* Open the AuC on a database (orsp_db_open URI), creating it if needed, applying the `auc`
 * migrations (an older database is upgraded on open, whatever the caller goes on to do),
 * with the KEK that wraps K and OPc (copied; the copy is wiped on close). The first open
 * records a KEK check value; a later open with another KEK fails with ORSP_E_VERIFY ("wrong
 * KEK"). The AuC keeps a database of its own: a database without it that holds other
 * tables (another module's, an SM-DP+'s) is refused with ORSP_E_POLICY before any AuC table
 * is added to it (its K/OPc would go wherever that database's copies go).
 * Errors: ORSP_E_USAGE (see orsp_db_open), ORSP_E_STORAGE, ORSP_E_VERIFY, ORSP_E_STATE
 * (schema newer than this program), ORSP_E_POLICY. */
ORSP_MUST_CHECK orsp_err orsp_auc_open(const char *db_uri, const orsp_secret *kek, orsp_auc **out);
/* orsp_auc_open with an orsp_db_open_ex mode: ORSP_DB_OPEN_EXISTING creates nothing, and a
 * database that does not exist, or that holds no AuC (no 'auc' schema_migrations row), is
 * ORSP_E_NOT_FOUND ("PATH holds no AuC"), and no AuC table is added to it.
 * ORSP_DB_OPEN_UNMIGRATED: as EXISTING, but an AuC of an older schema is left at its version
 * and in its journal mode (a newer one refused): `auc backup`, which copies it as it is; only
 * what every schema version has may be used on it (orsp_auc_backup). ORSP_DB_OPEN_READONLY:
 * as EXISTING, but nothing is written at all (the verbs that only read: `auc list`, `show`,
 * `audit`): an older schema is left at its version (orsp_auc_schema says which), a newer one
 * refused, the KEK checked against the stored check value without storing one; every
 * function that writes (an audited read of a secret included) fails with ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_auc_open_ex(const char *db_uri, orsp_db_open_mode mode,
                                          const orsp_secret *kek, orsp_auc **out);
/* Whether the existing database `db_uri` may be opened as the AuC with `mode`, looked at
 * without a KEK and without creating or writing anything: ORSP_OK, or what orsp_auc_open_ex
 * refuses before it reads the KEK check (the same errors and messages: ORSP_E_NOT_FOUND
 * "PATH holds no AuC", ORSP_E_POLICY "... but other tables"). For a caller that says what is
 * wrong with the database before it reads a KEK file for it. */
ORSP_MUST_CHECK orsp_err orsp_auc_probe(const char *db_uri, orsp_db_open_mode mode);
/* NULL-safe. */
void orsp_auc_close(orsp_auc *a);
/* The underlying database (for tools and failure-injection tests). */
orsp_db *orsp_auc_db(orsp_auc *a);
/* The auc schema version of a's database in *version, and the one this program migrates it
 * to in *latest. Only reads. Errors: ORSP_E_USAGE, ORSP_E_STORAGE. */
ORSP_MUST_CHECK orsp_err orsp_auc_schema(orsp_auc *a, int *version, int *latest);

/* Add a subscriber. ORSP_E_USAGE for an invalid IMSI, key length or parameter,
 * ORSP_E_EXISTS if the IMSI is already present. Audited. */
ORSP_MUST_CHECK orsp_err orsp_auc_add(orsp_auc *a, const orsp_auc_new *n);
/* ORSP_E_NOT_FOUND if absent. */
ORSP_MUST_CHECK orsp_err orsp_auc_get(orsp_auc *a, const char *imsi, orsp_auc_info *out);
/* Call fn for every subscriber in IMSI order; a non-zero return from fn stops the walk. */
typedef int (*orsp_auc_list_fn)(const orsp_auc_info *info, void *arg);
ORSP_MUST_CHECK orsp_err orsp_auc_list(orsp_auc *a, orsp_auc_list_fn fn, void *arg);
/* ORSP_E_NOT_FOUND if absent. Audited. */
ORSP_MUST_CHECK orsp_err orsp_auc_delete(orsp_auc *a, const char *imsi);
/* orsp_auc_delete, its audit row's detail saying why (e.g. that a subscriber without a
 * profile is replaced); "" or NULL: none. */
ORSP_MUST_CHECK orsp_err orsp_auc_delete_why(orsp_auc *a, const char *imsi, const char *why);

/* Card secrets of a subscriber's profile that the operator must be able to look up but no
 * one else should know: the PUKs and ADM keys (TS 102 221 §9) that `smdp profile generate`
 * draws at random per profile, and its security domains' keys (below). Stored wrapped under the KEK
 * like K and OPc, bound to the IMSI and name; deleted with the subscriber. */
typedef enum orsp_auc_card_secret {
	ORSP_AUC_PUK1,
	ORSP_AUC_PUK2,
	ORSP_AUC_ADM1,
	ORSP_AUC_ADM2,
} orsp_auc_card_secret;
/* "puk1", "puk2", "adm1", "adm2", or "?" */
const char *orsp_auc_card_secret_name(orsp_auc_card_secret which);
/* Store (or replace) one card secret of an existing subscriber: ASCII digits, 8 for a PUK, 4
 * to 8 for an ADM. One transaction, audited without the value. ORSP_E_NOT_FOUND for an
 * unknown IMSI, ORSP_E_USAGE for a bad IMSI, name, length or a byte that is not a digit (a
 * stored value that is not, read back: ORSP_E_MALFORMED). */
ORSP_MUST_CHECK orsp_err orsp_auc_set_card_secret(orsp_auc *a, const char *imsi,
                                                  orsp_auc_card_secret which,
                                                  const orsp_secret *value);
/* Read one card secret into out (the caller wipes it). Every read is audited (a write
 * transaction, committed before the value is returned). ORSP_E_NOT_FOUND if none is stored,
 * ORSP_E_VERIFY if it does not unwrap, ORSP_E_STATE inside an open transaction (nothing
 * read). */
ORSP_MUST_CHECK orsp_err orsp_auc_get_card_secret(orsp_auc *a, const char *imsi,
                                                  orsp_auc_card_secret which, orsp_secret *out);

/* Card secrets by name: "puk1", "puk2", "adm1", "adm2" as above, and the keys of the
 * profile's security domains that `smdp profile generate` draws (orsp_pkg_perso.sd_keys),
 * named "sd<N>-kvn<XX>-kid<YY>": N the security domain's position among the profile's
 * securityDomain PEs (1 for the first, the MNO-SD in GSMA's TS.48; 1..ORSP_AUC_SD_MAX, no
 * leading zero), XX and YY its keyVersionNumber and keyIdentifier (GlobalPlatform's name of
 * a key within a security domain) as two lower-case hex digits: "sd1-kvn01-kid02". */
#define ORSP_AUC_SECRET_NAME_MAX 18 /* "sd999-kvnff-kidff" and its NUL */
#define ORSP_AUC_SD_MAX 999
/* The name of key (kvn, kid) of security domain sd. ORSP_E_USAGE if sd is out of range. */
ORSP_MUST_CHECK orsp_err orsp_auc_sd_key_name(unsigned sd, uint8_t kvn, uint8_t kid,
                                              char out[ORSP_AUC_SECRET_NAME_MAX]);
/* A name as a user typed it (in any case: "SD1-KVN0A-KID01") in the form the functions below
 * take (lower case: "sd1-kvn0a-kid01"). ORSP_E_USAGE, quoting the text, for anything else. */
ORSP_MUST_CHECK orsp_err orsp_auc_secret_name_parse(const char *text,
                                                    char out[ORSP_AUC_SECRET_NAME_MAX]);
/* orsp_auc_set_card_secret / orsp_auc_get_card_secret by name, which must be in its parsed
 * form (else ORSP_E_USAGE). A security domain's key is 8 to ORSP_SECRET_MAX bytes; wrapped
 * with the additional data auc:<name>:<imsi>. Stored, read (audited) and deleted as above. */
ORSP_MUST_CHECK orsp_err orsp_auc_set_secret(orsp_auc *a, const char *imsi, const char *name,
                                             const orsp_secret *value);
ORSP_MUST_CHECK orsp_err orsp_auc_get_secret(orsp_auc *a, const char *imsi, const char *name,
                                             orsp_secret *out);
/* Call fn with the name of every card secret stored for the subscriber, in name order;
 * never a value, and not audited. A non-zero return from fn stops the walk.
 * ORSP_E_NOT_FOUND for an unknown IMSI, ORSP_E_MALFORMED for a corrupt name. */
typedef int (*orsp_auc_secret_fn)(const char *name, void *arg);
ORSP_MUST_CHECK orsp_err orsp_auc_list_secrets(orsp_auc *a, const char *imsi, orsp_auc_secret_fn fn,
                                               void *arg);

/* Hand out n (1..ORSP_AUC_MAX_VECTORS) vectors with fresh random RANDs and the next SQNs for
 * IND value `ind` (< 2^ind_bits): each SQN is orsp_auc_next_sqn() of the previous one, so
 * SEQ increases by one per vector (TS 33.102 C.3.2). One write transaction: on success the
 * last SQN is stored and audited; on any failure nothing changes and out[0..n-1] is wiped
 * (a refused IMSI or use included; not for an n out of range).
 * Errors: ORSP_E_NOT_FOUND, ORSP_E_USAGE (bad n or ind), ORSP_E_RESOURCE (SEQ exhausted),
 * ORSP_E_VERIFY (K/OPc do not unwrap: wrong KEK or altered record), ORSP_E_STORAGE,
 * ORSP_E_STATE when a transaction is open on the AuC's database (the caller's: its rollback
 * would undo the stored SQN after the vectors had left). */
ORSP_MUST_CHECK orsp_err orsp_auc_vectors(orsp_auc *a, const char *imsi, unsigned ind, size_t n,
                                          orsp_aka_vector *out);

/* What the vectors are for. */
typedef enum orsp_auc_vector_use {
	ORSP_AUC_FOR_UMTS,   /* UTRAN/GERAN: the subscriber's AMF as stored */
	ORSP_AUC_FOR_EPS_5G, /* E-UTRAN or 5G (KASME, XRES*, KAUSF...): the AMF separation bit
	                      * set, as the HSS/ARPF must (TS 33.401 §6.1.2, TS 33.501 §6.1.3.2;
	                      * the UE refuses an AUTN without it, TS 33.401 §6.1.1) */
} orsp_auc_vector_use;
/* orsp_auc_vectors for a use: with ORSP_AUC_FOR_EPS_5G, MAC-A and AUTN (and out[].amf) take
 * the stored AMF with ORSP_AKA_AMF_SEPARATION set, as osmo-hlr does for E-UTRAN requests; the
 * stored AMF is unchanged, and the audit row's detail adds "for EPS/5G, AMF XXXX".
 * orsp_auc_vectors is ORSP_AUC_FOR_UMTS. An unknown use is ORSP_E_USAGE. */
ORSP_MUST_CHECK orsp_err orsp_auc_vectors_for(orsp_auc *a, const char *imsi,
                                              orsp_auc_vector_use use, unsigned ind, size_t n,
                                              orsp_aka_vector *out);

/* Resynchronisation (TS 33.102 §6.3.5, C.3.4), one transaction. MAC-S of AUTS for RAND is
 * verified first: ORSP_E_VERIFY if it does not match, the SQN is unchanged (the failure is
 * audited). Then, if the next SQN the AuC would generate is in the USIM's range
 * (SEQ_HE + 1 > SEQ_MS and SEQ_HE + 1 - SEQ_MS <= the subscriber's sqn_delta, no upper bound
 * when it is 0), the stored SQN is kept ("in range, kept" in the audit): an AUTS never lowers it
 * when the USIM would accept new vectors anyway, so an old (RAND, AUTS) replayed cannot make SQNs
 * repeat. Otherwise SQN_MS is stored as the last used SQN, so the next vector has SEQ_MS + 1. On
 * success *sqn_ms (may be NULL) gets SQN_MS and *reset (may be NULL) whether the SQN was reset to
 * it (false: kept). ORSP_E_STATE, nothing verified or audited, when a transaction is open on the
 * AuC's database: its outcome, a MAC-S failure's audit row too, is committed before it returns. */
ORSP_MUST_CHECK orsp_err orsp_auc_resync(orsp_auc *a, const char *imsi, const uint8_t rand[16],
                                         const uint8_t auts[14], uint64_t *sqn_ms, bool *reset);

/* ----- the audit log ----- */

/* The longest audit detail: an export's format, " to " and an absolute file name (PATH_MAX
 * 4096, its NUL included; checked at compile time in auc_export.c). */
#define ORSP_AUC_AUDIT_DETAIL_MAX 4160
/* One row of the append-only audit table (auc_audit): what was done to or read from a
 * subscriber. Never a key: the table holds none. Text fields are valid UTF-8, cut to fit
 * between characters: a control character (C0, DEL, C1 U+0080-U+009F, and those that reorder
 * or hide text: orsp_utf8_is_control), each byte of an invalid UTF-8 sequence and a
 * character cut by the end of the field are given as '?'. */
typedef struct orsp_auc_audit_row {
	int64_t id, at;  /* at: seconds since the epoch */
	char action[32]; /* add, delete, vectors, resync, card secret set, card secret read,
	                  * export, kek rotated (IMSI ""), backup (IMSI "") */
	char imsi[ORSP_IMSI_MAX_DIGITS + 1];
	char result[16]; /* ok, verify failed, not written */
	char detail[ORSP_AUC_AUDIT_DETAIL_MAX];
} orsp_auc_audit_row;
/* Call fn for the audit rows of subscriber imsi (NULL: every subscriber), oldest first;
 * with limit > 0 only the newest `limit` of them (still oldest first). A read that writes
 * nothing. A non-zero return from fn stops the walk. ORSP_E_USAGE for a bad IMSI. */
typedef int (*orsp_auc_audit_fn)(const orsp_auc_audit_row *r, void *arg);
ORSP_MUST_CHECK orsp_err orsp_auc_audit_walk(orsp_auc *a, const char *imsi, size_t limit,
                                             orsp_auc_audit_fn fn, void *arg);

/* ----- export: subscribers with their keys in the clear, for another core network element ----- */

/* Unwrap one subscriber's K and OPc (TOPc) into k and opc, for handing the subscriber to
 * an HLR/AuC that needs them in the clear. One write transaction that reads the row and
 * appends an "export" audit row with detail `purpose` (never a key), committed before the keys
 * are returned: a read that is not audited returns nothing. So it is refused (ORSP_E_STATE)
 * when a transaction is open on the AuC's database, whose rollback would undo the audit row.
 * info (may be NULL) gets the non-secret part. The caller wipes k and opc (orsp_secret_wipe)
 * as soon as it is done; on failure both are wiped. Errors: ORSP_E_USAGE, ORSP_E_NOT_FOUND,
 * ORSP_E_VERIFY (does not unwrap), ORSP_E_MALFORMED (corrupt row), ORSP_E_STORAGE,
 * ORSP_E_STATE. */
ORSP_MUST_CHECK orsp_err orsp_auc_export_keys(orsp_auc *a, const char *imsi, const char *purpose,
                                              orsp_auc_info *info, orsp_secret *k,
                                              orsp_secret *opc);

typedef enum orsp_auc_export_format {
	/* osmo-hlr's VTY (enable mode): per subscriber `subscriber imsi IMSI create` and
	 * `subscriber imsi IMSI update aud3g milenage k K opc OPC ind-bitlen N` */
	ORSP_AUC_EXPORT_OSMO_HLR_VTY,
} orsp_auc_export_format;

/* "osmo-hlr-vty", or "?" */
const char *orsp_auc_export_format_name(orsp_auc_export_format fmt);
/* ORSP_OK, or ORSP_E_USAGE naming the text. */
ORSP_MUST_CHECK orsp_err orsp_auc_export_format_parse(const char *name,
                                                      orsp_auc_export_format *out);

/* ORSP_OK if the format can carry the subscriber, else ORSP_E_POLICY with a message naming
 * the IMSI and why (osmo-hlr-vty: an IMSI of 6 to 15 digits, Milenage only, with the TS
 * 35.206 rotations and constants, AMF 0000 or 8000, as osmo-hlr has no other). */
ORSP_MUST_CHECK orsp_err orsp_auc_export_check(orsp_auc_export_format fmt,
                                               const orsp_auc_info *info);

/* Export subscribers with their K and OPc IN THE CLEAR: imsis[0..n-1] (n >= 1, no IMSI
 * twice), or every subscriber when imsis is NULL. Nothing is written unless every one of
 * them exists and passes orsp_auc_export_check. The text is made in memory (wiped and freed
 * after), then written to:
 * - path != NULL: a new file of mode 0600 (an existing name is ORSP_E_EXISTS, before
 *   anything is read, and left untouched), written completely and flushed before it has its
 *   name (O_TMPFILE, then linked: one made at the name meanwhile is ORSP_E_EXISTS; without
 *   O_TMPFILE, created with O_EXCL first), removed on any error;
 * - path == NULL: the descriptor fd (standard output, a pipe), not closed.
 * The keys are read with orsp_auc_export_keys in one transaction, committed before the text
 * is written: every subscriber in the text has its "export" audit row (detail: the format
 * and destination: "standard output", "a descriptor", or the file's absolute name, resolved
 * from its directory's real path; longer than PATH_MAX: ORSP_E_USAGE "path too long",
 * the file removed, nothing read); should the write then fail, a row with
 * result "not written" follows. A reader gone (EPIPE) is such a failure, ORSP_E_IO: SIGPIPE is
 * blocked in the calling thread for the write and the one it raised taken off, so the process is
 * not killed whatever its SIGPIPE disposition (the mask is restored). *count (may be NULL) gets the
 * number of subscribers written. ORSP_E_STATE, before any file is created, when a transaction is
 * open on the AuC's database. *stop (may be NULL; set by a signal handler, the CLI's for SIGINT,
 * SIGTERM and SIGHUP) seen before the write begins ends the export with ORSP_E_STATE "interrupted":
 * nothing written, the file removed, no audit row (or, seen after the keys' transaction committed,
 * its "not written" rows); a write that has begun is completed. */
ORSP_MUST_CHECK orsp_err orsp_auc_export(orsp_auc *a, orsp_auc_export_format fmt,
                                         const char *const *imsis, size_t n, const char *path,
                                         int fd, const volatile sig_atomic_t *stop, size_t *count);

/* ----- KEK rotation ----- */

/* Rotate the KEK: every value wrapped under the KEK a was opened with (K, OPc/TOPc, the card
 * secrets, the KEK check value; orsp_auc_kek_columns) is re-wrapped under a new KEK, created
 * in the file new_kek_path, in one durable write transaction with a "kek rotated" audit row
 * (IMSI "", detail "new KEK file " and NEW's absolute name): orsp_kek_rekey, whose errors it
 * returns. `g` is the guard opened on the database before a was (orsp_db_guard_open), closed after
 * a. On success a goes on with the new KEK; the database no longer opens with the old one. So it
 * does after a commit whose flush alone failed (the error returned); after any other failure of the
 * commit close a (which KEK the database needs is not known). */
ORSP_MUST_CHECK orsp_err orsp_auc_rekey(orsp_auc *a, orsp_db_guard *g, const char *new_kek_path,
                                        const char *seal_uri, size_t *count);
/* The columns orsp_auc_rekey re-wraps, *n of them. */
const orsp_kek_column *orsp_auc_kek_columns(size_t *n);
/* Whether the existing database db_uri opens with kek (its KEK check value unwraps with it),
 * an orsp_kek_opens_fn for orsp_kek_rekey_left: ORSP_E_VERIFY "wrong KEK", or the refusal of a
 * database that holds no AuC. Nothing migrated, nothing written beyond what an open does. */
ORSP_MUST_CHECK orsp_err orsp_auc_kek_opens(const char *db_uri, const orsp_secret *kek);

/* ----- backup ----- */

typedef struct orsp_auc_backup_info {
	orsp_db_backup_result file; /* the backup's absolute name and size */
	int schema_version;         /* the auc schema version of the database and of the copy */
	int schema_latest;    /* this program's: more than schema_version for an older database,
	                         which a backup copies as it is (ORSP_DB_OPEN_UNMIGRATED) */
	uint64_t subscribers; /* subscribers in the copy */
} orsp_auc_backup_info;

/* Back the AuC's database up into the new file `out` while other processes (servers) use
 * it: orsp_db_backup, whose steps and errors it has. The copy is checked to hold the auc
 * schema at the database's version and a KEK check value that unwraps with a's KEK (so the
 * KEK that opens a opens the backup; the KEK is not in it), and its subscribers are counted;
 * nothing else is unwrapped. Audited before the file appears: a "backup" row (IMSI "",
 * result ok, detail the backup's absolute name) in a durable commit; if that fails, the
 * backup is not made. Should the file then not appear (or a commit's flush alone fail), a
 * "backup" row with result "not written" follows. */
ORSP_MUST_CHECK orsp_err orsp_auc_backup(orsp_auc *a, const char *out,
                                         const volatile sig_atomic_t *stop,
                                         orsp_auc_backup_info *info);

#endif
