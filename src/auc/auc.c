/* The SHO authentication centre: subscriber table, vectors, resynchronisation, audit.
 *
 * Every change is one write transaction (BEGIN IMMEDIATE on SQLite) that also appends its
 * audit row, so the audit table and the subscriber table never disagree. Rows read from
 * the database are checked like outside input: a corrupt row is an error, not a crash.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auc_internal.h"
#include "openrsp/auc.h"
#include "openrsp/crypto.h"

struct orsp_auc {
	orsp_db *db;
	orsp_secret kek;
};

/* ----- schema ----- */

static const orsp_migration auc_migrations[] = {
    {
        .version = 1,
        .description = "subscribers, audit, KEK check",
        .sql = "CREATE TABLE auc_subscriber ("
               " imsi TEXT PRIMARY KEY CHECK (length(imsi) BETWEEN 5 AND 15),"
               " alg TEXT NOT NULL CHECK (alg IN ('milenage', 'tuak')),"
               " k_len INTEGER NOT NULL CHECK (k_len IN (16, 32)),"
               " k_wrapped BLOB NOT NULL,"
               " opc_wrapped BLOB NOT NULL,"
               " amf INTEGER NOT NULL CHECK (amf BETWEEN 0 AND 65535),"
               " sqn INTEGER NOT NULL CHECK (sqn BETWEEN 0 AND 281474976710655),"
               " ind_bits INTEGER NOT NULL CHECK (ind_bits BETWEEN 0 AND 8),"
               " milenage_r1 INTEGER, milenage_r2 INTEGER, milenage_r3 INTEGER,"
               " milenage_r4 INTEGER, milenage_r5 INTEGER,"
               " milenage_c1 BLOB, milenage_c2 BLOB, milenage_c3 BLOB,"
               " milenage_c4 BLOB, milenage_c5 BLOB,"
               " tuak_keccak INTEGER, tuak_mac_bits INTEGER, tuak_res_bits INTEGER,"
               " tuak_ck_bits INTEGER, tuak_ik_bits INTEGER,"
               " created_at INTEGER NOT NULL,"
               " updated_at INTEGER NOT NULL);"
               "CREATE TABLE auc_audit ("
               " id INTEGER PRIMARY KEY AUTOINCREMENT,"
               " at INTEGER NOT NULL,"
               " action TEXT NOT NULL,"
               " imsi TEXT NOT NULL,"
               " result TEXT NOT NULL,"
               " detail TEXT NOT NULL DEFAULT '');"
               "CREATE TRIGGER auc_audit_no_update BEFORE UPDATE ON auc_audit"
               " BEGIN SELECT RAISE(ABORT, 'auc_audit is append-only'); END;"
               "CREATE TRIGGER auc_audit_no_delete BEFORE DELETE ON auc_audit"
               " BEGIN SELECT RAISE(ABORT, 'auc_audit is append-only'); END;"
               "CREATE TABLE auc_kek_check ("
               " id INTEGER PRIMARY KEY CHECK (id = 1),"
               " wrapped BLOB NOT NULL);",
    },
    {
        .version = 2,
        .description = "per-subscriber SQN range delta",
        /* The USIM's delta (TS 33.102 C.2.1, PE-AKAParameter sqnDelta) in SEQ units; rows
         * from before keep 2^28, the delta the resync decision always assumed. */
        .sql = "ALTER TABLE auc_subscriber ADD COLUMN sqn_delta INTEGER NOT NULL"
               " DEFAULT 268435456 CHECK (sqn_delta BETWEEN 0 AND 281474976710655);",
    },
    {
        .version = 3,
        .description = "card secrets (PUKs, ADM keys) wrapped per subscriber",
        .sql = "CREATE TABLE auc_card_secret ("
               " imsi TEXT NOT NULL,"
               " name TEXT NOT NULL CHECK (name IN ('puk1', 'puk2', 'adm1', 'adm2')),"
               " wrapped BLOB NOT NULL,"
               " PRIMARY KEY (imsi, name));",
    },
    {
        .version = 4,
        .description = "audit rows cannot be replaced",
        /* INSERT OR REPLACE over an existing id deletes the old row without firing the
         * DELETE trigger (SQLite fires it only with recursive_triggers on, a setting of
         * the connection, not of the file): refuse an insert whose id is taken. */
        .sql = "CREATE TRIGGER auc_audit_no_replace BEFORE INSERT ON auc_audit"
               " WHEN EXISTS (SELECT 1 FROM auc_audit WHERE id = NEW.id)"
               " BEGIN SELECT RAISE(ABORT, 'auc_audit is append-only'); END;",
    },
    {
        .version = 5,
        .description = "card secrets: security-domain keys",
        /* SQLite cannot change a CHECK: the table is rebuilt, its rows kept. The names of
         * the security domains' keys (orsp_auc_sd_key_name) join the PUKs and ADM keys;
         * orsp_auc_secret_name_parse is the exact rule, the CHECK a coarse guard. */
        .sql = "CREATE TABLE auc_card_secret_v5 ("
               " imsi TEXT NOT NULL,"
               " name TEXT NOT NULL CHECK (name IN ('puk1', 'puk2', 'adm1', 'adm2')"
               " OR (length(name) BETWEEN 15 AND 17"
               " AND name GLOB 'sd[1-9]*-kvn[0-9a-f][0-9a-f]-kid[0-9a-f][0-9a-f]')),"
               " wrapped BLOB NOT NULL,"
               " PRIMARY KEY (imsi, name));"
               "INSERT INTO auc_card_secret_v5 (imsi, name, wrapped)"
               " SELECT imsi, name, wrapped FROM auc_card_secret;"
               "DROP TABLE auc_card_secret;"
               "ALTER TABLE auc_card_secret_v5 RENAME TO auc_card_secret;",
    },
};

#define SUB_COLUMNS                                                                                \
	"imsi, alg, k_len, k_wrapped, opc_wrapped, amf, sqn, ind_bits,"                            \
	" milenage_r1, milenage_r2, milenage_r3, milenage_r4, milenage_r5,"                        \
	" milenage_c1, milenage_c2, milenage_c3, milenage_c4, milenage_c5,"                        \
	" tuak_keccak, tuak_mac_bits, tuak_res_bits, tuak_ck_bits, tuak_ik_bits,"                  \
	" created_at, updated_at, sqn_delta"

enum {
	COL_IMSI,
	COL_ALG,
	COL_K_LEN,
	COL_K_WRAPPED,
	COL_OPC_WRAPPED,
	COL_AMF,
	COL_SQN,
	COL_IND_BITS,
	COL_R1,
	COL_C1 = COL_R1 + 5,
	COL_TUAK_KECCAK = COL_C1 + 5,
	COL_TUAK_MAC,
	COL_TUAK_RES,
	COL_TUAK_CK,
	COL_TUAK_IK,
	COL_CREATED,
	COL_UPDATED,
	COL_SQN_DELTA,
	COL__COUNT
};

/* A fixed plaintext wrapped under the KEK at first open, to recognise a wrong KEK early. */
static const uint8_t kek_check_plain[16] = {'o', 'p', 'e', 'n', 'r', 's', 'p', '-',
                                            'k', 'e', 'k', '-', 'c', 'h', 'k', '1'};
#define KEK_CHECK_AAD "auc:kek-check"

/* ----- small helpers ----- */

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

bool orsp_imsi_valid(const char *imsi)
{
	size_t n;
	if (!imsi)
		return false;
	n = strlen(imsi);
	if (n < ORSP_IMSI_MIN_DIGITS || n > ORSP_IMSI_MAX_DIGITS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (imsi[i] < '0' || imsi[i] > '9')
			return false;
	return true;
}

static orsp_err check_imsi(const char *imsi)
{
	if (!orsp_imsi_valid(imsi))
		return orsp_errf(ORSP_E_USAGE, "IMSI must be %d to %d decimal digits",
		                 ORSP_IMSI_MIN_DIGITS, ORSP_IMSI_MAX_DIGITS);
	return ORSP_OK;
}

static const char *alg_name(orsp_aka_alg alg)
{
	return alg == ORSP_AKA_TUAK ? "tuak" : "milenage";
}

/* The record names bound into the wrapped blobs: a blob only unwraps in its own row and
 * column (k, opc, or a card secret's name: room for the longest, sd<N>-kvn<XX>-kid<YY>). */
#define AAD_MAX 48
static void aad_name(char *out, size_t cap, const char *column, const char *imsi)
{
	snprintf(out, cap, "auc:%s:%s", column, imsi);
}

void orsp_auc_new_init(orsp_auc_new *n)
{
	memset(n, 0, sizeof(*n));
	n->amf[0] = 0x80;
	n->amf[1] = 0x00;
	n->ind_bits = ORSP_AUC_DEFAULT_IND_BITS;
	n->sqn_delta = ORSP_SQN_DEFAULT_DELTA;
}

void orsp_auc_new_wipe(orsp_auc_new *n)
{
	if (n)
		orsp_aka_subscriber_wipe(&n->sub);
}

static orsp_err audit(orsp_auc *a, const char *action, const char *imsi, const char *result,
                      const char *detail)
{
	orsp_err err;
	orsp_stmt *st = NULL;

	err = orsp_db_prepare(a->db,
	                      "INSERT INTO auc_audit (at, action, imsi, result, detail)"
	                      " VALUES (?1, ?2, ?3, ?4, ?5)",
	                      &st);
	if (err)
		goto out;
	err = orsp_stmt_bind_int64(st, 1, now_s());
	if (!err)
		err = orsp_stmt_bind_text(st, 2, action);
	if (!err)
		err = orsp_stmt_bind_text(st, 3, imsi);
	if (!err)
		err = orsp_stmt_bind_text(st, 4, result);
	if (!err)
		err = orsp_stmt_bind_text(st, 5, detail ? detail : "");
	if (!err)
		err = orsp_stmt_run(st);
out:
	orsp_stmt_finalize(st);
	return err;
}

/* End the transaction level this function opened: commit it, or roll it back on `err`.
 * A failed commit has ended the level already (orsp_db_commit rolls it back): rolling back
 * again would undo the caller's enclosing level, which a nested rollback must leave alone.
 * A function whose orsp_db_begin failed opened no level and must not come here. */
static orsp_err finish(orsp_auc *a, orsp_err err)
{
	if (err) {
		orsp_db_rollback(a->db);
		return err;
	}
	return orsp_db_commit(a->db);
}

/* What vectors, a resync, a card secret's read and an export hand out is only sound once
 * their transaction is committed: the SQN stored and the audit row appended. Inside a
 * caller's transaction their commit is a savepoint's release, and a rollback of the
 * caller's would undo the SQN and the audit row after the vectors or keys had left (the
 * same SQN handed out twice, a read not audited). They refuse to run inside one. */
static orsp_err refuse_nested(orsp_auc *a, const char *what)
{
	if (!orsp_db_in_transaction(a->db))
		return ORSP_OK;
	return orsp_errf(ORSP_E_STATE,
	                 "auc %s: a transaction is open on the AuC's database: what it hands "
	                 "out must be committed with its SQN and audit row first, so it is "
	                 "called outside any transaction",
	                 what);
}

/* ----- reading rows ----- */

static orsp_err corrupt(const char *imsi, const char *what)
{
	return orsp_errf(ORSP_E_MALFORMED, "subscriber %s: corrupt row (%s)", imsi, what);
}

/* The non-secret part of a row, checked. */
static orsp_err row_to_info(orsp_stmt *st, orsp_auc_info *info)
{
	const char *imsi = orsp_stmt_column_text(st, COL_IMSI);
	const char *alg = orsp_stmt_column_text(st, COL_ALG);
	int64_t v;

	memset(info, 0, sizeof(*info));
	if (!orsp_imsi_valid(imsi))
		return orsp_errf(ORSP_E_MALFORMED, "corrupt subscriber row (IMSI)");
	memcpy(info->imsi, imsi, strlen(imsi) + 1);

	if (strcmp(alg, "milenage") == 0)
		info->alg = ORSP_AKA_MILENAGE;
	else if (strcmp(alg, "tuak") == 0)
		info->alg = ORSP_AKA_TUAK;
	else
		return corrupt(imsi, "algorithm");

	v = orsp_stmt_column_int64(st, COL_K_LEN);
	if (v != 16 && !(v == 32 && info->alg == ORSP_AKA_TUAK))
		return corrupt(imsi, "key length");
	info->k_len = (size_t)v;

	v = orsp_stmt_column_int64(st, COL_AMF);
	if (v < 0 || v > 0xffff)
		return corrupt(imsi, "AMF");
	info->amf[0] = (uint8_t)(v >> 8);
	info->amf[1] = (uint8_t)v;

	v = orsp_stmt_column_int64(st, COL_SQN);
	if (v < 0 || (uint64_t)v > ORSP_AKA_SQN_MAX)
		return corrupt(imsi, "SQN");
	info->sqn = (uint64_t)v;

	v = orsp_stmt_column_int64(st, COL_IND_BITS);
	if (v < 0 || v > ORSP_SQN_MAX_IND_BITS)
		return corrupt(imsi, "IND length");
	info->ind_bits = (unsigned)v;

	v = orsp_stmt_column_int64(st, COL_SQN_DELTA);
	if (v < 0 || (uint64_t)v > ORSP_AKA_SQN_MAX)
		return corrupt(imsi, "SQN delta");
	info->sqn_delta = (uint64_t)v;

	if (info->alg == ORSP_AKA_MILENAGE) {
		for (int i = 0; i < 5; i++) {
			orsp_slice c = orsp_stmt_column_blob(st, COL_C1 + i);
			v = orsp_stmt_column_int64(st, COL_R1 + i);
			/* a NULL would read as 0, a valid rotation (the columns are NULL in TUAK
			 * rows) */
			if (orsp_stmt_column_is_null(st, COL_R1 + i) || v < 0 || v > 127 ||
			    c.len != 16)
				return corrupt(imsi, "Milenage constants");
			info->milenage.r[i] = (uint8_t)v;
			memcpy(info->milenage.c[i], c.p, 16);
		}
	} else {
		int64_t t[5];
		for (int i = 0; i < 5; i++) {
			t[i] = orsp_stmt_column_int64(st, COL_TUAK_KECCAK + i);
			if (t[i] < 1 || t[i] > 65536)
				return corrupt(imsi, "TUAK parameters");
		}
		/* a count add refuses (versions before the limit took up to 65536) would hold the
		 * write transaction of vectors for seconds */
		if (t[0] > ORSP_TUAK_MAX_KECCAK)
			return corrupt(imsi, "TUAK Keccak iterations above 255");
		info->tuak.keccak_iterations = (unsigned)t[0];
		info->tuak.mac_bits = (unsigned)t[1];
		info->tuak.res_bits = (unsigned)t[2];
		info->tuak.ck_bits = (unsigned)t[3];
		info->tuak.ik_bits = (unsigned)t[4];
		if (orsp_tuak_check_params(&info->tuak) != ORSP_OK)
			return corrupt(imsi, "TUAK parameters");
	}
	info->created = orsp_stmt_column_int64(st, COL_CREATED);
	info->updated = orsp_stmt_column_int64(st, COL_UPDATED);
	return ORSP_OK;
}

/* Unwrap K and OPc/TOPc of the current row into sub. sub is wiped on failure. */
static orsp_err row_unwrap(orsp_auc *a, orsp_stmt *st, const orsp_auc_info *info,
                           orsp_aka_subscriber *sub)
{
	orsp_err err;
	char aad[AAD_MAX];
	orsp_slice kw = orsp_stmt_column_blob(st, COL_K_WRAPPED);
	orsp_slice ow = orsp_stmt_column_blob(st, COL_OPC_WRAPPED);
	size_t opc_len = info->alg == ORSP_AKA_TUAK ? 32 : 16;

	memset(sub, 0, sizeof(*sub));
	sub->alg = info->alg;
	sub->milenage = info->milenage;
	sub->tuak = info->tuak;
	aad_name(aad, sizeof(aad), "k", info->imsi);
	err = orsp_kek_unwrap(&a->kek, aad, kw.p, kw.len, &sub->k);
	if (err)
		goto out;
	aad_name(aad, sizeof(aad), "opc", info->imsi);
	err = orsp_kek_unwrap(&a->kek, aad, ow.p, ow.len, &sub->opc);
	if (err)
		goto out;
	if (sub->k.len != info->k_len || sub->opc.len != opc_len)
		err = corrupt(info->imsi, "key length");
out:
	if (err)
		orsp_aka_subscriber_wipe(sub);
	return err;
}

/* Read one subscriber; with sub != NULL also unwrap its keys. */
static orsp_err load(orsp_auc *a, const char *imsi, orsp_auc_info *info, orsp_aka_subscriber *sub)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false;

	err = orsp_db_prepare(a->db, "SELECT " SUB_COLUMNS " FROM auc_subscriber WHERE imsi = ?1",
	                      &st);
	if (err)
		goto out;
	err = orsp_stmt_bind_text(st, 1, imsi);
	if (err)
		goto out;
	err = orsp_stmt_step(st, &row);
	if (err)
		goto out;
	if (!row) {
		err = orsp_errf(ORSP_E_NOT_FOUND, "no subscriber with IMSI %s", imsi);
		goto out;
	}
	err = row_to_info(st, info);
	if (err)
		goto out;
	if (sub)
		err = row_unwrap(a, st, info, sub);
out:
	orsp_stmt_finalize(st);
	return err;
}

/* ----- open / close ----- */

/* First open: store a wrapped check value. Later opens: it must unwrap with this KEK. */
static orsp_err kek_check(orsp_auc *a, bool store)
{
	return orsp_kek_check_ex(
	    a->db, &a->kek, "auc_kek_check", KEK_CHECK_AAD, kek_check_plain,
	    sizeof(kek_check_plain),
	    "SELECT 1 FROM auc_subscriber UNION ALL SELECT 1 FROM auc_audit LIMIT 1", store);
}

/* Whether the database may hold the AuC: one with the auc module's schema, or one that does
 * not hold an AuC yet and nothing else either (new, or empty) when the mode allows creating
 * it. The AuC keeps a database of its own: in another module's (an SM-DP+'s) its K/OPc
 * would travel with that database's copies and backups, and an ORSP_DB_OPEN_EXISTING open
 * of the wrong file would quietly add AuC tables to it. An AuC a newer program migrated is
 * refused (ORSP_E_STATE). Looked at before any migration. */
static orsp_err own_database(orsp_db *db, const char *db_uri, orsp_db_open_mode mode)
{
	const char *name = strncmp(db_uri, "sqlite:", 7) == 0 ? db_uri + 7 : db_uri;
	orsp_err err;
	int v = 0;
	bool other = false;

	err = orsp_db_module_state(db, "auc", &v, &other);
	if (!err && v > 0) /* one a newer program migrated: said before anything else is opened */
		err = orsp_db_schema_check(db, "auc", ORSP_ARRAY_LEN(auc_migrations));
	if (err || v > 0)
		return err;
	if (mode != ORSP_DB_OPEN_CREATE)
		return orsp_errf(ORSP_E_NOT_FOUND, "%s holds no AuC", name);
	if (other)
		err = orsp_errf(ORSP_E_POLICY,
		                "%s holds no AuC but other tables (an SM-DP+ database?): the AuC "
		                "needs a database of its own",
		                name);
	return err;
}

orsp_err orsp_auc_probe(const char *db_uri, orsp_db_open_mode mode)
{
	return orsp_db_probe("auc probe", db_uri, mode, own_database);
}

orsp_err orsp_auc_kek_opens(const char *db_uri, const orsp_secret *kek)
{
	return orsp_kek_opens(db_uri, own_database, kek, "auc_kek_check", KEK_CHECK_AAD,
	                      kek_check_plain, sizeof(kek_check_plain));
}

orsp_err orsp_auc_open(const char *db_uri, const orsp_secret *kek, orsp_auc **out)
{
	return orsp_auc_open_ex(db_uri, ORSP_DB_OPEN_CREATE, kek, out);
}

orsp_err orsp_auc_open_ex(const char *db_uri, orsp_db_open_mode mode, const orsp_secret *kek,
                          orsp_auc **out)
{
	orsp_err err;
	orsp_auc *a = NULL;

	if (!out || !kek)
		return orsp_errf(ORSP_E_USAGE, "auc open: missing arguments");
	*out = NULL;
	if (kek->len != ORSP_KEK_LEN)
		return orsp_errf(ORSP_E_USAGE, "KEK must be %d bytes", ORSP_KEK_LEN);
	a = calloc(1, sizeof(*a));
	if (!a)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	a->kek = *kek;
	err = orsp_db_open_ex(db_uri, mode, &a->db);
	if (err)
		goto out;
	err = own_database(a->db, db_uri, mode);
	if (err)
		goto out;
	/* a wrong KEK is refused before the migration writes to an older AuC */
	err = orsp_kek_precheck(a->db, "auc", ORSP_ARRAY_LEN(auc_migrations), &a->kek,
	                        "auc_kek_check", KEK_CHECK_AAD, kek_check_plain,
	                        sizeof(kek_check_plain));
	if (err)
		goto out;
	/* unmigrated (a backup) and read-only (the verbs that only read): an older schema left
	 * at its version, a newer one refused by own_database above */
	if (mode == ORSP_DB_OPEN_UNMIGRATED || mode == ORSP_DB_OPEN_READONLY)
		err = orsp_db_schema_check(a->db, "auc", ORSP_ARRAY_LEN(auc_migrations));
	else
		err = orsp_db_migrate(a->db, "auc", auc_migrations, ORSP_ARRAY_LEN(auc_migrations));
	if (err)
		goto out;
	/* read-only: nothing stored (the write would fail), but a database that holds data and
	 * no check value is refused as by the other verbs (until the session 73 review any KEK
	 * read it) */
	err = kek_check(a, mode != ORSP_DB_OPEN_READONLY);
	if (err)
		goto out;
	*out = a;
	a = NULL;
out:
	orsp_auc_close(a);
	return err;
}

void orsp_auc_close(orsp_auc *a)
{
	if (!a)
		return;
	orsp_db_close(a->db);
	orsp_secret_wipe(&a->kek);
	free(a);
}

orsp_db *orsp_auc_db(orsp_auc *a)
{
	return a->db;
}

orsp_err orsp_auc_schema(orsp_auc *a, int *version, int *latest)
{
	if (!a || !version || !latest)
		return orsp_errf(ORSP_E_USAGE, "auc schema: missing arguments");
	*latest = (int)ORSP_ARRAY_LEN(auc_migrations);
	return orsp_db_schema_version(a->db, "auc", version);
}

/* ----- add / get / list / delete ----- */

static orsp_err check_new(const orsp_auc_new *n)
{
	const orsp_aka_subscriber *s = &n->sub;

	if (!n->imsi || !orsp_imsi_valid(n->imsi))
		return check_imsi(n->imsi);
	if (s->alg == ORSP_AKA_MILENAGE) {
		if (s->k.len != 16)
			return orsp_errf(ORSP_E_USAGE, "Milenage K must be 16 bytes");
		if (s->opc.len != 16)
			return orsp_errf(ORSP_E_USAGE, "Milenage %s must be 16 bytes",
			                 n->op_given ? "OP" : "OPc");
		for (int i = 0; i < 5; i++)
			if (s->milenage.r[i] > 127)
				return orsp_errf(ORSP_E_USAGE, "Milenage r%d must be 0..127",
				                 i + 1);
	} else if (s->alg == ORSP_AKA_TUAK) {
		if (s->k.len != 16 && s->k.len != 32)
			return orsp_errf(ORSP_E_USAGE, "TUAK K must be 16 or 32 bytes");
		if (s->opc.len != 32)
			return orsp_errf(ORSP_E_USAGE, "TUAK %s must be 32 bytes",
			                 n->op_given ? "TOP" : "TOPc");
		/* the detail names the parameter; at most ORSP_TUAK_MAX_KECCAK iterations */
		if (orsp_tuak_check_params(&s->tuak) != ORSP_OK)
			return ORSP_E_USAGE;
	} else {
		return orsp_errf(ORSP_E_USAGE, "unknown algorithm %d", (int)s->alg);
	}
	if (n->sqn > ORSP_AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "SQN must fit in 48 bits");
	if (n->ind_bits > ORSP_SQN_MAX_IND_BITS)
		return orsp_errf(ORSP_E_USAGE, "IND length must be 0..%d bits",
		                 ORSP_SQN_MAX_IND_BITS);
	if (n->sqn_delta > ORSP_AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "SQN delta must fit in 48 bits");
	return ORSP_OK;
}

static orsp_err insert_row(orsp_auc *a, const orsp_auc_new *n, const uint8_t *kw, size_t kw_len,
                           const uint8_t *ow, size_t ow_len)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	const orsp_aka_subscriber *s = &n->sub;
	int64_t t = now_s();
	int idx = 1;

	err = orsp_db_prepare(a->db,
	                      "INSERT INTO auc_subscriber (" SUB_COLUMNS ") VALUES (?1, ?2, ?3, ?4,"
	                      " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
	                      " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
	                      &st);
	if (err)
		goto out;
	err = orsp_stmt_bind_text(st, idx++, n->imsi);
	if (!err)
		err = orsp_stmt_bind_text(st, idx++, alg_name(s->alg));
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, (int64_t)s->k.len);
	if (!err)
		err = orsp_stmt_bind_blob(st, idx++, kw, kw_len);
	if (!err)
		err = orsp_stmt_bind_blob(st, idx++, ow, ow_len);
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, (int64_t)((n->amf[0] << 8) | n->amf[1]));
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, (int64_t)n->sqn);
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, (int64_t)n->ind_bits);
	for (int i = 0; i < 5 && !err; i++) {
		if (s->alg == ORSP_AKA_MILENAGE)
			err = orsp_stmt_bind_int64(st, idx, s->milenage.r[i]);
		else
			err = orsp_stmt_bind_null(st, idx);
		idx++;
	}
	for (int i = 0; i < 5 && !err; i++) {
		if (s->alg == ORSP_AKA_MILENAGE)
			err = orsp_stmt_bind_blob(st, idx, s->milenage.c[i], 16);
		else
			err = orsp_stmt_bind_null(st, idx);
		idx++;
	}
	const unsigned tuak[5] = {s->tuak.keccak_iterations, s->tuak.mac_bits, s->tuak.res_bits,
	                          s->tuak.ck_bits, s->tuak.ik_bits};
	for (int i = 0; i < 5 && !err; i++) {
		if (s->alg == ORSP_AKA_TUAK)
			err = orsp_stmt_bind_int64(st, idx, tuak[i]);
		else
			err = orsp_stmt_bind_null(st, idx);
		idx++;
	}
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, t);
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, t);
	if (!err)
		err = orsp_stmt_bind_int64(st, idx++, (int64_t)n->sqn_delta);
	if (err)
		goto out;
	err = orsp_stmt_run(st);
	if (err == ORSP_E_EXISTS)
		err = orsp_errf(ORSP_E_EXISTS, "subscriber %s already exists", n->imsi);
out:
	orsp_stmt_finalize(st);
	return err;
}

orsp_err orsp_auc_add(orsp_auc *a, const orsp_auc_new *n)
{
	orsp_err err;
	orsp_secret opc = {0};
	uint8_t kw[ORSP_WRAP_MAX], ow[ORSP_WRAP_MAX];
	size_t kw_len = 0, ow_len = 0;
	char aad[AAD_MAX];

	if (!a || !n)
		return orsp_errf(ORSP_E_USAGE, "auc add: missing arguments");
	err = check_new(n);
	if (err)
		return err;

	/* Only OPc/TOPc is stored: an OP never reaches the database. */
	if (!n->op_given) {
		opc = n->sub.opc;
	} else if (n->sub.alg == ORSP_AKA_MILENAGE) {
		opc.len = 16;
		err = orsp_milenage_opc(n->sub.k.v, n->sub.opc.v, opc.v);
	} else {
		opc.len = 32;
		err = orsp_tuak_topc(n->sub.k.v, n->sub.k.len, n->sub.opc.v,
		                     n->sub.tuak.keccak_iterations, opc.v);
	}
	if (err)
		goto out;
	aad_name(aad, sizeof(aad), "k", n->imsi);
	err = orsp_kek_wrap(&a->kek, aad, &n->sub.k, kw, sizeof(kw), &kw_len);
	if (err)
		goto out;
	aad_name(aad, sizeof(aad), "opc", n->imsi);
	err = orsp_kek_wrap(&a->kek, aad, &opc, ow, sizeof(ow), &ow_len);
	if (err)
		goto out;

	err = orsp_db_begin(a->db);
	if (err)
		goto out;
	err = insert_row(a, n, kw, kw_len, ow, ow_len);
	if (!err)
		err = audit(a, "add", n->imsi, "ok", alg_name(n->sub.alg));
	err = finish(a, err);
out:
	orsp_secret_wipe(&opc);
	return err;
}

orsp_err orsp_auc_get(orsp_auc *a, const char *imsi, orsp_auc_info *out)
{
	orsp_err err = check_imsi(imsi);
	if (err)
		return err;
	return load(a, imsi, out, NULL);
}

orsp_err orsp_auc_list(orsp_auc *a, orsp_auc_list_fn fn, void *arg)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_auc_info info;
	bool row = false;

	if (!a || !fn)
		return orsp_errf(ORSP_E_USAGE, "auc list: missing arguments");
	err =
	    orsp_db_prepare(a->db, "SELECT " SUB_COLUMNS " FROM auc_subscriber ORDER BY imsi", &st);
	if (err)
		goto out;
	for (;;) {
		err = orsp_stmt_step(st, &row);
		if (err || !row)
			break;
		err = row_to_info(st, &info);
		if (err)
			break;
		if (fn(&info, arg))
			break;
	}
out:
	orsp_stmt_finalize(st);
	return err;
}

orsp_err orsp_auc_delete(orsp_auc *a, const char *imsi)
{
	return orsp_auc_delete_why(a, imsi, "");
}

orsp_err orsp_auc_delete_why(orsp_auc *a, const char *imsi, const char *why)
{
	orsp_err err;
	orsp_stmt *st = NULL;

	err = check_imsi(imsi);
	if (err)
		return err;
	err = orsp_db_begin(a->db);
	if (err)
		return err;
	err = orsp_db_prepare(a->db, "DELETE FROM auc_subscriber WHERE imsi = ?1", &st);
	if (err)
		goto out;
	err = orsp_stmt_bind_text(st, 1, imsi);
	if (!err)
		err = orsp_stmt_run(st);
	if (err)
		goto out;
	if (orsp_db_changes(a->db) != 1) {
		err = orsp_errf(ORSP_E_NOT_FOUND, "no subscriber with IMSI %s", imsi);
		goto out;
	}
	orsp_stmt_finalize(st);
	st = NULL;
	err = orsp_db_prepare(a->db, "DELETE FROM auc_card_secret WHERE imsi = ?1", &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, imsi);
	if (!err)
		err = orsp_stmt_run(st);
	if (err)
		goto out;
	err = audit(a, "delete", imsi, "ok", why ? why : "");
out:
	orsp_stmt_finalize(st);
	return finish(a, err);
}

/* ----- card secrets ----- */

static const char *const card_secret_names[] = {"puk1", "puk2", "adm1", "adm2"};

const char *orsp_auc_card_secret_name(orsp_auc_card_secret which)
{
	return (unsigned)which < ORSP_ARRAY_LEN(card_secret_names) ? card_secret_names[which] : "?";
}

orsp_err orsp_auc_sd_key_name(unsigned sd, uint8_t kvn, uint8_t kid,
                              char out[ORSP_AUC_SECRET_NAME_MAX])
{
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_auc_sd_key_name: NULL argument");
	out[0] = '\0';
	if (sd < 1 || sd > ORSP_AUC_SD_MAX)
		return orsp_errf(ORSP_E_USAGE, "security domain %u: must be 1 to %d", sd,
		                 ORSP_AUC_SD_MAX);
	snprintf(out, ORSP_AUC_SECRET_NAME_MAX, "sd%u-kvn%02x-kid%02x", sd, kvn, kid);
	return ORSP_OK;
}

/* Two hex digits, either case, into *v. */
static bool hex2(const char *p, uint8_t *v)
{
	int hi = orsp_hex_digit(p[0]), lo = hi < 0 ? -1 : orsp_hex_digit(p[1]);

	if (lo < 0)
		return false;
	*v = (uint8_t)(hi << 4 | lo);
	return true;
}

/* "sd<N>-kvn<XX>-kid<YY>" with N 1..ORSP_AUC_SD_MAX without leading zeros. */
static bool parse_sd_key_name(const char *t, unsigned *sd, uint8_t *kvn, uint8_t *kid)
{
	size_t i = 2;
	unsigned n = 0;

	if (strncmp(t, "sd", 2) != 0 || t[2] < '1' || t[2] > '9')
		return false;
	while (t[i] >= '0' && t[i] <= '9' && i < 5)
		n = n * 10 + (unsigned)(t[i++] - '0');
	if (n > ORSP_AUC_SD_MAX || strncmp(t + i, "-kvn", 4) != 0 || !hex2(t + i + 4, kvn) ||
	    strncmp(t + i + 6, "-kid", 4) != 0 || !hex2(t + i + 10, kid) || t[i + 12] != '\0')
		return false;
	*sd = n;
	return true;
}

orsp_err orsp_auc_secret_name_parse(const char *text, char out[ORSP_AUC_SECRET_NAME_MAX])
{
	char low[ORSP_AUC_SECRET_NAME_MAX];
	size_t n;
	unsigned sd;
	uint8_t kvn, kid;

	if (!text || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_auc_secret_name_parse: NULL argument");
	out[0] = '\0';
	n = strlen(text);
	for (size_t i = 0; i < n && i < sizeof(low); i++)
		low[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
	if (n < sizeof(low)) {
		low[n] = '\0';
		for (size_t i = 0; i < ORSP_ARRAY_LEN(card_secret_names); i++)
			if (strcmp(low, card_secret_names[i]) == 0) {
				memcpy(out, low, n + 1);
				return ORSP_OK;
			}
		if (parse_sd_key_name(low, &sd, &kvn, &kid))
			return orsp_auc_sd_key_name(sd, kvn, kid, out);
	}
	return orsp_errf(ORSP_E_USAGE,
	                 "unknown card secret \"%.40s\": expected puk1, puk2, adm1, adm2 or "
	                 "sd<N>-kvn<XX>-kid<YY> (a security domain's key)",
	                 text);
}

/* A name in its canonical form (what the table holds), and whether it is a PUK/ADM. */
static orsp_err check_secret_name(const char *imsi, const char *name, bool *pin_like)
{
	char canon[ORSP_AUC_SECRET_NAME_MAX];
	orsp_err err = check_imsi(imsi);

	if (err)
		return err;
	if (!name)
		return orsp_errf(ORSP_E_USAGE, "auc card secret: no name");
	err = orsp_auc_secret_name_parse(name, canon);
	if (err)
		return err;
	if (strcmp(canon, name) != 0)
		return orsp_errf(ORSP_E_USAGE, "card secret \"%s\": written %s here", name, canon);
	*pin_like = strncmp(name, "sd", 2) != 0;
	return ORSP_OK;
}

/* A PUK (8) or ADM (4..8) value: that many ASCII digits (TS 102 221 §9.5.1 codes PINs as
 * digits), nothing else, so that what `auc secret` prints is digits and never a terminal's
 * control sequence. */
static bool pin_value_ok(const char *name, const orsp_secret *v)
{
	bool puk = strncmp(name, "puk", 3) == 0;

	if (v->len < (puk ? 8 : 4) || v->len > 8)
		return false;
	for (size_t i = 0; i < v->len; i++)
		if (v->v[i] < '0' || v->v[i] > '9')
			return false;
	return true;
}

orsp_err orsp_auc_set_secret(orsp_auc *a, const char *imsi, const char *name,
                             const orsp_secret *value)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_auc_info info;
	uint8_t w[ORSP_WRAP_MAX];
	size_t w_len = 0;
	char aad[AAD_MAX];
	bool pin_like = false;

	if (!a || !value)
		return orsp_errf(ORSP_E_USAGE, "auc card secret: missing arguments");
	err = check_secret_name(imsi, name, &pin_like);
	if (err)
		return err;
	/* PUK: 8 digits, ADM: 4..8 (TS 102 221 §9.5.1, coded like PINs); a security domain's
	 * key: single DES (8 bytes) up to the longest orsp_secret */
	if (pin_like && !pin_value_ok(name, value))
		return orsp_errf(ORSP_E_USAGE, "%s must be %s ASCII digits", name,
		                 strncmp(name, "puk", 3) == 0 ? "8" : "4 to 8");
	if (!pin_like && (value->len < 8 || value->len > ORSP_SECRET_MAX))
		return orsp_errf(ORSP_E_USAGE, "%s must be 8 to %d bytes", name, ORSP_SECRET_MAX);
	aad_name(aad, sizeof(aad), name, imsi);
	err = orsp_kek_wrap(&a->kek, aad, value, w, sizeof(w), &w_len);
	if (err)
		return err;
	err = orsp_db_begin(a->db);
	if (err)
		return err;
	err = load(a, imsi, &info, NULL);
	if (!err)
		err = orsp_db_prepare(a->db,
		                      "INSERT OR REPLACE INTO auc_card_secret (imsi, name, wrapped)"
		                      " VALUES (?1, ?2, ?3)",
		                      &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, imsi);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, name);
	if (!err)
		err = orsp_stmt_bind_blob(st, 3, w, w_len);
	if (!err)
		err = orsp_stmt_run(st);
	if (!err)
		err = audit(a, "card secret set", imsi, "ok", name);
	orsp_stmt_finalize(st);
	return finish(a, err);
}

orsp_err orsp_auc_get_secret(orsp_auc *a, const char *imsi, const char *name, orsp_secret *out)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	bool row = false, pin_like = false;
	char aad[AAD_MAX];

	if (!a || !out)
		return orsp_errf(ORSP_E_USAGE, "auc card secret: missing arguments");
	memset(out, 0, sizeof(*out));
	err = check_secret_name(imsi, name, &pin_like);
	if (err)
		return err;
	err = refuse_nested(a, "card secret read");
	if (err)
		return err;
	/* A write transaction: reading a secret out is audited. */
	err = orsp_db_begin(a->db);
	if (err)
		return err;
	err = orsp_db_prepare(
	    a->db, "SELECT wrapped FROM auc_card_secret WHERE imsi = ?1 AND name = ?2", &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, imsi);
	if (!err)
		err = orsp_stmt_bind_text(st, 2, name);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && !row) {
		/* a mistyped IMSI is said as such, as every other verb says it, not taken for a
		 * subscriber without that secret */
		orsp_stmt *q = NULL;
		bool sub = false;
		err = orsp_db_prepare(a->db, "SELECT 1 FROM auc_subscriber WHERE imsi = ?1", &q);
		if (!err)
			err = orsp_stmt_bind_text(q, 1, imsi);
		if (!err)
			err = orsp_stmt_step(q, &sub);
		orsp_stmt_finalize(q);
		if (!err)
			err = sub ? orsp_errf(ORSP_E_NOT_FOUND, "no %s stored for IMSI %s", name,
			                      imsi)
			          : orsp_errf(ORSP_E_NOT_FOUND, "no subscriber with IMSI %s", imsi);
	}
	if (!err) {
		orsp_slice w = orsp_stmt_column_blob(st, 0);
		aad_name(aad, sizeof(aad), name, imsi);
		err = orsp_kek_unwrap(&a->kek, aad, w.p, w.len, out);
		/* written before the digits were checked: not handed out to be printed */
		if (!err && pin_like && !pin_value_ok(name, out))
			err = orsp_errf(ORSP_E_MALFORMED, "%s stored for IMSI %s is not digits",
			                name, imsi);
	}
	orsp_stmt_finalize(st);
	if (!err)
		err = audit(a, "card secret read", imsi, "ok", name);
	err = finish(a, err);
	if (err)
		orsp_secret_wipe(out);
	return err;
}

orsp_err orsp_auc_set_card_secret(orsp_auc *a, const char *imsi, orsp_auc_card_secret which,
                                  const orsp_secret *value)
{
	if ((unsigned)which >= ORSP_ARRAY_LEN(card_secret_names))
		return orsp_errf(ORSP_E_USAGE, "unknown card secret %d", (int)which);
	return orsp_auc_set_secret(a, imsi, card_secret_names[which], value);
}

orsp_err orsp_auc_get_card_secret(orsp_auc *a, const char *imsi, orsp_auc_card_secret which,
                                  orsp_secret *out)
{
	if (out)
		memset(out, 0, sizeof(*out));
	if ((unsigned)which >= ORSP_ARRAY_LEN(card_secret_names))
		return orsp_errf(ORSP_E_USAGE, "unknown card secret %d", (int)which);
	return orsp_auc_get_secret(a, imsi, card_secret_names[which], out);
}

orsp_err orsp_auc_list_secrets(orsp_auc *a, const char *imsi, orsp_auc_secret_fn fn, void *arg)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_auc_info info;
	bool row = false;

	if (!a || !fn)
		return orsp_errf(ORSP_E_USAGE, "auc card secrets: missing arguments");
	err = orsp_auc_get(a, imsi, &info);
	if (!err)
		err = orsp_db_prepare(
		    a->db, "SELECT name FROM auc_card_secret WHERE imsi = ?1 ORDER BY name", &st);
	if (!err)
		err = orsp_stmt_bind_text(st, 1, imsi);
	while (!err && !(err = orsp_stmt_step(st, &row)) && row) {
		const char *name = orsp_stmt_column_text(st, 0);
		char canon[ORSP_AUC_SECRET_NAME_MAX];
		/* a row read back is outside input */
		if (orsp_auc_secret_name_parse(name, canon) != ORSP_OK || strcmp(canon, name) != 0)
			err = orsp_errf(ORSP_E_MALFORMED, "subscriber %s: corrupt card secret name",
			                imsi);
		else if (fn(name, arg) != 0)
			break;
	}
	orsp_stmt_finalize(st);
	return err;
}

/* ----- SQN ----- */

/* Store the new last-used SQN; `old` guards against a concurrent change (which the write
 * lock already excludes: a mismatch means the database is not behaving). */
static orsp_err store_sqn(orsp_auc *a, const char *imsi, uint64_t old, uint64_t sqn)
{
	orsp_err err;
	orsp_stmt *st = NULL;

	err = orsp_db_prepare(a->db,
	                      "UPDATE auc_subscriber SET sqn = ?1, updated_at = ?2"
	                      " WHERE imsi = ?3 AND sqn = ?4",
	                      &st);
	if (err)
		goto out;
	err = orsp_stmt_bind_int64(st, 1, (int64_t)sqn);
	if (!err)
		err = orsp_stmt_bind_int64(st, 2, now_s());
	if (!err)
		err = orsp_stmt_bind_text(st, 3, imsi);
	if (!err)
		err = orsp_stmt_bind_int64(st, 4, (int64_t)old);
	if (!err)
		err = orsp_stmt_run(st);
	if (!err && orsp_db_changes(a->db) != 1)
		err = orsp_errf(ORSP_E_STATE, "SQN of %s changed during the transaction", imsi);
out:
	orsp_stmt_finalize(st);
	return err;
}

orsp_err orsp_auc_vectors(orsp_auc *a, const char *imsi, unsigned ind, size_t n,
                          orsp_aka_vector *out)
{
	return orsp_auc_vectors_for(a, imsi, ORSP_AUC_FOR_UMTS, ind, n, out);
}

orsp_err orsp_auc_vectors_for(orsp_auc *a, const char *imsi, orsp_auc_vector_use use, unsigned ind,
                              size_t n, orsp_aka_vector *out)
{
	orsp_err err;
	orsp_auc_info info;
	orsp_aka_subscriber sub = {0};
	uint64_t sqn = 0;
	uint8_t sqn_b[ORSP_AKA_SQN_LEN], amf[ORSP_AKA_AMF_LEN];
	char detail[96];

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "auc vectors: missing arguments");
	if (n < 1 || n > ORSP_AUC_MAX_VECTORS)
		return orsp_errf(ORSP_E_USAGE, "vector count must be 1..%d", ORSP_AUC_MAX_VECTORS);
	/* out[] is wiped on every failure (auc.h), a refused argument's included: it may hold
	 * an earlier call's vectors */
	memset(out, 0, n * sizeof(*out));
	if (!a)
		return orsp_errf(ORSP_E_USAGE, "auc vectors: missing arguments");
	if (use != ORSP_AUC_FOR_UMTS && use != ORSP_AUC_FOR_EPS_5G)
		return orsp_errf(ORSP_E_USAGE, "auc vectors: unknown use %d", (int)use);
	err = check_imsi(imsi);
	if (err)
		return err;
	err = refuse_nested(a, "vectors");
	if (err)
		return err;

	/* TS 33.102 C.3: read SEQ, hand out SEQ+1.., store the last: one write transaction,
	 * so no two callers (threads or processes) can see the same SEQ. */
	err = orsp_db_begin(a->db);
	if (err)
		return err;
	err = load(a, imsi, &info, &sub);
	if (err)
		goto out;
	if ((ind >> info.ind_bits) != 0) {
		err = orsp_errf(ORSP_E_USAGE, "IND %u does not fit in the subscriber's %u IND bits",
		                ind, info.ind_bits);
		goto out;
	}
	memcpy(amf, info.amf, sizeof(amf));
	/* TS 33.401 §6.1.2, TS 33.501 §6.1.3.2: the HSS/ARPF sets the separation bit in every
	 * vector for E-UTRAN or 5G, whatever AMF the subscriber has (osmo-hlr does the same). */
	if (use == ORSP_AUC_FOR_EPS_5G)
		amf[0] |= ORSP_AKA_AMF_SEPARATION;
	sqn = info.sqn;
	for (size_t i = 0; i < n; i++) {
		err = orsp_auc_next_sqn(sqn, info.ind_bits, ind, &sqn);
		if (err)
			goto out;
		orsp_put_be48(sqn_b, sqn);
		err = orsp_random(out[i].rand, sizeof(out[i].rand));
		if (err)
			goto out;
		uint8_t rand[ORSP_AKA_RAND_LEN];
		memcpy(rand, out[i].rand, sizeof(rand));
		err = orsp_aka_generate(&sub, rand, sqn_b, amf, &out[i]);
		if (err)
			goto out;
	}
	err = store_sqn(a, imsi, info.sqn, sqn);
	if (err)
		goto out;
	if (use == ORSP_AUC_FOR_EPS_5G)
		snprintf(detail, sizeof(detail),
		         "%zu vector(s), IND %u, last SQN %012" PRIx64 ", for EPS/5G, AMF %02x%02x",
		         n, ind, sqn, amf[0], amf[1]);
	else
		snprintf(detail, sizeof(detail), "%zu vector(s), IND %u, last SQN %012" PRIx64, n,
		         ind, sqn);
	err = audit(a, "vectors", imsi, "ok", detail);
out:
	err = finish(a, err);
	orsp_aka_subscriber_wipe(&sub);
	if (err) {
		for (size_t i = 0; i < n; i++)
			orsp_aka_vector_wipe(&out[i]);
	}
	return err;
}

/* TS 33.102 §6.3.5 with Annex C.2.1: would the USIM whose highest accepted SQN is SQN_MS
 * accept the next SQN the AuC generates (SEQ_HE + 1, any IND)? It would iff
 * SEQ_HE + 1 > SEQ_MS and SEQ_HE + 1 - SEQ_MS <= Δ, with the USIM's Δ (its PE-AKAParameter
 * sqnDelta) as the subscriber records it; Δ = 0 means no limit, as in orsp_usim_sqn_check.
 * The age limit L (C.2.2) only concerns SEQ below SEQ_MS, never the case here. */
static bool sqn_he_in_range(uint64_t sqn_he, uint64_t sqn_ms, unsigned ind_bits, uint64_t delta)
{
	const uint64_t next = (sqn_he >> ind_bits) + 1, seq_ms = sqn_ms >> ind_bits;
	return next > seq_ms && (delta == 0 || next - seq_ms <= delta);
}

orsp_err orsp_auc_resync(orsp_auc *a, const char *imsi, const uint8_t rand[16],
                         const uint8_t auts[14], uint64_t *sqn_ms_out, bool *reset_out)
{
	orsp_err err;
	orsp_auc_info info;
	orsp_aka_subscriber sub = {0};
	uint64_t sqn_ms = 0;
	bool reset = false, bad_mac = false;
	char detail[96];

	if (!a || !rand || !auts)
		return orsp_errf(ORSP_E_USAGE, "auc resync: missing arguments");
	err = check_imsi(imsi);
	if (err)
		return err;
	/* also its refusals: a MAC-S failure's audit row must not be undone */
	err = refuse_nested(a, "resync");
	if (err)
		return err;
	err = orsp_db_begin(a->db);
	if (err)
		return err;
	err = load(a, imsi, &info, &sub);
	if (err)
		goto out;
	/* Verify MAC-S before looking at SQN_MS at all: a forged AUTS is refused whatever its
	 * SQN_MS. */
	err = orsp_aka_auts_verify(&sub, rand, auts, &sqn_ms);
	if (err == ORSP_E_VERIFY) {
		/* Record the failed attempt (committed); the SQN stays as it is. */
		bad_mac = true;
		err = audit(a, "resync", imsi, "verify failed", "MAC-S mismatch");
		goto out;
	}
	if (err)
		goto out;
	/* §6.3.5: if the next SQN the AuC generates would be accepted, SQN_HE stays: new
	 * vectors are all the USIM needs. The AuC keeps no RANDs, so an old AUTS can be
	 * replayed; resetting to a lower SQN_MS would hand out SQNs already used. */
	if (sqn_he_in_range(info.sqn, sqn_ms, info.ind_bits, info.sqn_delta)) {
		snprintf(detail, sizeof(detail),
		         "SQN %012" PRIx64 " in range of SQN_MS %012" PRIx64 ", kept", info.sqn,
		         sqn_ms);
	} else {
		/* C.3.4: continue from SEQ_MS; the next vector gets SEQ_MS + 1. */
		err = store_sqn(a, imsi, info.sqn, sqn_ms);
		if (err)
			goto out;
		reset = true;
		snprintf(detail, sizeof(detail), "SQN %012" PRIx64 " -> %012" PRIx64, info.sqn,
		         sqn_ms);
	}
	err = audit(a, "resync", imsi, "ok", detail);
out:
	err = finish(a, err);
	if (!err && bad_mac)
		err = orsp_errf(ORSP_E_VERIFY, "MAC-S verification failed for %s (SQN unchanged)",
		                imsi);
	if (!err && sqn_ms_out)
		*sqn_ms_out = sqn_ms;
	if (!err && reset_out)
		*reset_out = reset;
	orsp_aka_subscriber_wipe(&sub);
	return err;
}

/* ----- the audit log ----- */

/* A text column into out, cut to fit. What a terminal or a JSON reader would not take as
 * text becomes '?': control characters (C0, DEL and the C1 range U+0080-U+009F, which
 * terminals obey as escapes, and those that reorder or hide text: orsp_utf8_is_control)
 * and every byte of a sequence that is not valid UTF-8 (the
 * detail of an export holds an operator-chosen path, arbitrary bytes). A character that
 * does not fit whole is given as '?' too, so the text cut never ends inside one. */
static void audit_text(orsp_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *t = (const unsigned char *)orsp_stmt_column_text(st, col);
	size_t i = 0, o = 0, n;
	uint32_t cp = 0;

	while (t && t[i] && o + 1 < cap) {
		n = orsp_utf8_seq(t + i, strnlen((const char *)t + i, 4), &cp);
		if (n == 0 || orsp_utf8_is_control(cp) || o + n + 1 > cap) {
			out[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		memcpy(out + o, t + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

orsp_err orsp_auc_audit_walk(orsp_auc *a, const char *imsi, size_t limit, orsp_auc_audit_fn fn,
                             void *arg)
{
	orsp_err err;
	orsp_stmt *st = NULL;
	orsp_auc_audit_row r;
	bool row = false;

	if (!a || !fn)
		return orsp_errf(ORSP_E_USAGE, "auc audit: missing arguments");
	if (imsi && (err = check_imsi(imsi)))
		return err;
	if (limit > INT64_MAX)
		limit = 0;
		/* the newest `limit` rows (all when it is 0: LIMIT -1), given oldest first */
#define AUDIT_SELECT(where)                                                                        \
	"SELECT id, at, action, imsi, result, detail FROM (SELECT * FROM auc_audit" where          \
	" ORDER BY id DESC LIMIT ?1) AS newest ORDER BY id"
	err =
	    orsp_db_prepare(a->db, imsi ? AUDIT_SELECT(" WHERE imsi = ?2") : AUDIT_SELECT(""), &st);
#undef AUDIT_SELECT
	if (!err)
		err = orsp_stmt_bind_int64(st, 1, limit ? (int64_t)limit : -1);
	if (!err && imsi)
		err = orsp_stmt_bind_text(st, 2, imsi);
	while (!err && !(err = orsp_stmt_step(st, &row)) && row) {
		r.id = orsp_stmt_column_int64(st, 0);
		r.at = orsp_stmt_column_int64(st, 1);
		audit_text(st, 2, r.action, sizeof(r.action));
		audit_text(st, 3, r.imsi, sizeof(r.imsi));
		audit_text(st, 4, r.result, sizeof(r.result));
		audit_text(st, 5, r.detail, sizeof(r.detail));
		if (fn(&r, arg) != 0)
			break;
	}
	orsp_stmt_finalize(st);
	return err;
}

/* ----- export ----- */

/* Read and audit one subscriber's keys in a transaction level of its own: the caller makes
 * sure no key leaves before the outermost commit. */
static orsp_err export_keys(orsp_auc *a, const char *imsi, const char *purpose,
                            orsp_auc_info *info_out, orsp_secret *k, orsp_secret *opc)
{
	orsp_err err;
	orsp_auc_info info;
	orsp_aka_subscriber sub = {0};

	/* A write transaction: the audit row is committed before the keys leave this function,
	 * in the same transaction as the read. */
	err = orsp_db_begin(a->db);
	if (err)
		return err;
	err = load(a, imsi, &info, &sub);
	if (!err)
		err = audit(a, "export", imsi, "ok", purpose);
	err = finish(a, err);
	if (!err) {
		/* whole structures: the copies take the same time whatever the keys hold */
		*k = sub.k;
		*opc = sub.opc;
		if (info_out)
			*info_out = info;
	}
	orsp_aka_subscriber_wipe(&sub);
	return err;
}

/* Checks the arguments; `nested`: whether a transaction may be open (the caller's own). */
static orsp_err export_keys_checked(orsp_auc *a, const char *imsi, const char *purpose,
                                    orsp_auc_info *info_out, orsp_secret *k, orsp_secret *opc,
                                    bool nested)
{
	orsp_err err;

	if (!a || !purpose || !k || !opc)
		return orsp_errf(ORSP_E_USAGE, "auc export: missing arguments");
	orsp_secret_wipe(k);
	orsp_secret_wipe(opc);
	err = check_imsi(imsi);
	if (!err && !nested)
		err = refuse_nested(a, "export");
	if (!err)
		err = export_keys(a, imsi, purpose, info_out, k, opc);
	return err;
}

orsp_err orsp_auc_export_keys(orsp_auc *a, const char *imsi, const char *purpose,
                              orsp_auc_info *info_out, orsp_secret *k, orsp_secret *opc)
{
	return export_keys_checked(a, imsi, purpose, info_out, k, opc, false);
}

orsp_err orsp__auc_export_keys_in(orsp_auc *a, const char *imsi, const char *purpose,
                                  orsp_auc_info *info_out, orsp_secret *k, orsp_secret *opc)
{
	return export_keys_checked(a, imsi, purpose, info_out, k, opc, true);
}

orsp_err orsp__auc_refuse_nested(orsp_auc *a, const char *what)
{
	return refuse_nested(a, what);
}

orsp_err orsp__auc_audit(orsp_auc *a, const char *action, const char *imsi, const char *result,
                         const char *detail)
{
	orsp_err err = orsp_db_begin(a->db);
	if (err)
		return err;
	return finish(a, audit(a, action, imsi, result, detail));
}

/* ----- KEK rotation ----- */

static void aad_k(orsp_stmt *row, char *out, size_t cap)
{
	aad_name(out, cap, "k", orsp_stmt_column_text(row, 0));
}

static void aad_opc(orsp_stmt *row, char *out, size_t cap)
{
	aad_name(out, cap, "opc", orsp_stmt_column_text(row, 0));
}

static void aad_card_secret(orsp_stmt *row, char *out, size_t cap)
{
	aad_name(out, cap, orsp_stmt_column_text(row, 1), orsp_stmt_column_text(row, 0));
}

static void aad_kek_check(orsp_stmt *row, char *out, size_t cap)
{
	(void)row;
	snprintf(out, cap, "%s", KEK_CHECK_AAD);
}

/* Every column of the schema that holds a value wrapped under the KEK (docs/auc.md lists
 * them; test_auc compares them with the schema). The Milenage constants (milenage_c1..c5)
 * are BLOBs in the clear: public values, not secrets. */
static const orsp_kek_column auc_kek_columns[] = {
    {"auc_subscriber", "k_wrapped", "auc", 1, "SELECT imsi, k_wrapped FROM auc_subscriber",
     "UPDATE auc_subscriber SET k_wrapped = ?1 WHERE imsi = ?2", "t", aad_k},
    {"auc_subscriber", "opc_wrapped", "auc", 1, "SELECT imsi, opc_wrapped FROM auc_subscriber",
     "UPDATE auc_subscriber SET opc_wrapped = ?1 WHERE imsi = ?2", "t", aad_opc},
    {"auc_card_secret", "wrapped", "auc", 3, "SELECT imsi, name, wrapped FROM auc_card_secret",
     "UPDATE auc_card_secret SET wrapped = ?1 WHERE imsi = ?2 AND name = ?3", "tt",
     aad_card_secret},
    {"auc_kek_check", "wrapped", "auc", 1, "SELECT id, wrapped FROM auc_kek_check",
     "UPDATE auc_kek_check SET wrapped = ?1 WHERE id = ?2", "i", aad_kek_check},
};

const orsp_kek_column *orsp_auc_kek_columns(size_t *n)
{
	*n = ORSP_ARRAY_LEN(auc_kek_columns);
	return auc_kek_columns;
}

static orsp_err rekey_audit(void *arg, const char *new_path)
{
	char detail[ORSP_AUC_AUDIT_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "new KEK file %s", new_path);
	return audit(arg, "kek rotated", "", "ok", detail);
}

orsp_err orsp_auc_rekey(orsp_auc *a, orsp_db_guard *g, const char *new_kek_path,
                        const char *seal_uri, size_t *count)
{
	orsp_err err;
	orsp_secret next = {0};

	if (!a || !g || !new_kek_path)
		return orsp_errf(ORSP_E_USAGE, "auc rekey: missing arguments");
	err = orsp_kek_rekey(a->db, g, &a->kek, new_kek_path, seal_uri, auc_kek_columns,
	                     ORSP_ARRAY_LEN(auc_kek_columns), rekey_audit, a, &next, count);
	/* also after a commit whose flush alone failed: the database is under the new KEK */
	if (err && next.len == 0)
		return err;
	/* the handle goes on with the KEK its database is wrapped under now */
	orsp_secret_wipe(&a->kek);
	a->kek = next;
	orsp_secret_wipe(&next);
	return err; /* ORSP_OK, or the flush's failure */
}

/* ----- backup ----- */

typedef struct backup_ctx {
	orsp_auc *a;
	int version; /* the source's auc schema version */
	orsp_auc_backup_info *info;
} backup_ctx;

static orsp_err backup_verify(void *arg, orsp_db *copy)
{
	backup_ctx *c = arg;
	orsp_stmt *st = NULL;
	bool row = false;
	int v = 0;
	orsp_err err = orsp_db_schema_version(copy, "auc", &v);

	if (!err && v != c->version)
		err = orsp_errf(ORSP_E_STORAGE,
		                "the copy holds the AuC schema at version %d, the database at %d",
		                v, c->version);
	if (!err)
		err = orsp_kek_check_existing(copy, &c->a->kek, "auc_kek_check", KEK_CHECK_AAD,
		                              kek_check_plain, sizeof(kek_check_plain));
	if (!err)
		err = orsp_db_prepare(copy, "SELECT COUNT(*) FROM auc_subscriber", &st);
	if (!err)
		err = orsp_stmt_step(st, &row);
	if (!err && row)
		c->info->subscribers = (uint64_t)orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return err;
}

/* The "backup" row, committed durably (a "not written" one after a failure:
 * orsp_db_backup asks for it). */
static orsp_err backup_audit(void *arg, const char *path, bool written)
{
	orsp_auc *a = ((backup_ctx *)arg)->a;
	orsp_err err = orsp_db_begin(a->db);

	if (err)
		return err;
	err = audit(a, "backup", "", written ? "ok" : "not written", path);
	if (err) {
		orsp_db_rollback(a->db);
		return err;
	}
	return orsp_db_commit(a->db);
}

orsp_err orsp_auc_backup(orsp_auc *a, const char *out, const volatile sig_atomic_t *stop,
                         orsp_auc_backup_info *info)
{
	backup_ctx c = {a, 0, info};
	orsp_db_backup_hooks h = {backup_verify, backup_audit, &c};
	orsp_err err;

	if (!a || !out || !info)
		return orsp_errf(ORSP_E_USAGE, "auc backup: missing arguments");
	memset(info, 0, sizeof(*info));
	err = orsp_db_schema_version(a->db, "auc", &c.version);
	if (!err)
		err = orsp_db_backup(a->db, out, &h, stop, &info->file);
	if (!err) {
		info->schema_version = c.version;
		info->schema_latest = (int)ORSP_ARRAY_LEN(auc_migrations);
	} else {
		memset(info, 0, sizeof(*info));
	}
	return err;
}
