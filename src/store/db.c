/* The backend-independent half of the store interface: URI dispatch, transaction state
 * and failure injection. Every call goes through the backend's vtable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

struct orsp_db {
	const struct orsp_db_ops *ops;
	void *conn;
	bool in_tx;
	int fail_in; /* operations left before an injected failure; -1 = disarmed */
};

struct orsp_stmt {
	orsp_db *db;
	void *impl;
};

/* Failure injection: counts operations and fails the chosen one. */
static orsp_err injected(orsp_db *db, const char *what)
{
	if (db->fail_in < 0)
		return ORSP_OK;
	if (db->fail_in > 0) {
		db->fail_in--;
		return ORSP_OK;
	}
	db->fail_in = -1;
	return orsp_errf(ORSP_E_STORAGE, "injected failure at %s", what);
}

void orsp_db_inject_failure(orsp_db *db, int n)
{
	if (db)
		db->fail_in = n < 0 ? -1 : n;
}

orsp_err orsp_db_open(const char *uri, orsp_db **out)
{
	orsp_err err;
	const struct orsp_db_ops *ops = NULL;
	const char *target = uri;
	orsp_db *db = NULL;

	if (!uri || !out || !uri[0])
		return orsp_errf(ORSP_E_USAGE, "no database given");
	*out = NULL;
	if (strncmp(uri, "sqlite:", 7) == 0) {
		ops = &orsp_db_sqlite_ops;
		target = uri + 7;
	} else if (strncmp(uri, "postgresql:", 11) == 0 || strncmp(uri, "postgres:", 9) == 0) {
		return orsp_errf(ORSP_E_USAGE, "PostgreSQL is not supported by this build");
	} else {
		ops = &orsp_db_sqlite_ops;
	}
	if (!target[0])
		return orsp_errf(ORSP_E_USAGE, "empty database path");

	db = calloc(1, sizeof(*db));
	if (!db)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	db->ops = ops;
	db->fail_in = -1;
	err = ops->open(target, &db->conn);
	if (err)
		goto out;
	*out = db;
	db = NULL;
out:
	free(db);
	return err;
}

void orsp_db_close(orsp_db *db)
{
	if (!db)
		return;
	if (db->in_tx)
		orsp_db_rollback(db);
	db->ops->close(db->conn);
	free(db);
}

orsp_db_backend orsp_db_backend_of(const orsp_db *db)
{
	return db->ops->backend;
}

orsp_err orsp_db_set_busy_timeout(orsp_db *db, unsigned ms)
{
	return db->ops->set_busy_timeout(db->conn, ms);
}

orsp_err orsp_db_exec(orsp_db *db, const char *sql)
{
	orsp_err err = injected(db, "exec");
	if (err)
		return err;
	return db->ops->exec(db->conn, sql);
}

orsp_err orsp_db_begin(orsp_db *db)
{
	orsp_err err;
	if (db->in_tx)
		return orsp_errf(ORSP_E_STATE, "a transaction is already open");
	err = injected(db, "begin");
	if (err)
		return err;
	err = db->ops->begin(db->conn);
	if (err)
		return err;
	db->in_tx = true;
	return ORSP_OK;
}

orsp_err orsp_db_commit(orsp_db *db)
{
	orsp_err err;
	if (!db->in_tx)
		return orsp_errf(ORSP_E_STATE, "no transaction is open");
	err = injected(db, "commit");
	if (!err)
		err = db->ops->commit(db->conn);
	if (err) {
		/* A failed COMMIT may leave the transaction open (SQLITE_BUSY); end it so
		 * that nothing of it survives and the handle is usable again. */
		orsp_db_rollback(db);
		return err;
	}
	db->in_tx = false;
	return ORSP_OK;
}

void orsp_db_rollback(orsp_db *db)
{
	if (!db || !db->in_tx)
		return;
	/* Keep the caller's error detail: the rollback is a consequence, not the cause. */
	char detail[256];
	snprintf(detail, sizeof(detail), "%s", orsp_err_detail());
	(void)db->ops->rollback(db->conn);
	db->in_tx = false;
	(void)orsp_errf(ORSP_OK, "%s", detail);
}

bool orsp_db_in_transaction(const orsp_db *db)
{
	return db->in_tx;
}

int64_t orsp_db_changes(orsp_db *db)
{
	return db->ops->changes(db->conn);
}

orsp_err orsp_db_prepare(orsp_db *db, const char *sql, orsp_stmt **out)
{
	orsp_err err;
	orsp_stmt *st = NULL;

	if (!sql || !out)
		return orsp_errf(ORSP_E_USAGE, "no statement");
	*out = NULL;
	err = injected(db, "prepare");
	if (err)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	st->db = db;
	err = db->ops->prepare(db->conn, sql, &st->impl);
	if (err)
		goto out;
	*out = st;
	st = NULL;
out:
	free(st);
	return err;
}

void orsp_stmt_finalize(orsp_stmt *st)
{
	if (!st)
		return;
	st->db->ops->finalize(st->impl);
	free(st);
}

orsp_err orsp_stmt_reset(orsp_stmt *st)
{
	return st->db->ops->reset(st->impl);
}

orsp_err orsp_stmt_bind_int64(orsp_stmt *st, int idx, int64_t v)
{
	return st->db->ops->bind_int64(st->impl, idx, v);
}

orsp_err orsp_stmt_bind_text(orsp_stmt *st, int idx, const char *v)
{
	if (!v)
		return orsp_stmt_bind_null(st, idx);
	return st->db->ops->bind_text(st->impl, idx, v);
}

orsp_err orsp_stmt_bind_blob(orsp_stmt *st, int idx, const void *p, size_t n)
{
	return st->db->ops->bind_blob(st->impl, idx, p, n);
}

orsp_err orsp_stmt_bind_null(orsp_stmt *st, int idx)
{
	return st->db->ops->bind_null(st->impl, idx);
}

orsp_err orsp_stmt_step(orsp_stmt *st, bool *row)
{
	orsp_err err = injected(st->db, "step");
	if (err) {
		*row = false;
		return err;
	}
	return st->db->ops->step(st->impl, row);
}

orsp_err orsp_stmt_run(orsp_stmt *st)
{
	bool row = false;
	orsp_err err = orsp_stmt_step(st, &row);
	if (err)
		return err;
	if (row)
		return orsp_errf(ORSP_E_USAGE, "statement returned rows where none were expected");
	return ORSP_OK;
}

bool orsp_stmt_column_is_null(orsp_stmt *st, int col)
{
	return st->db->ops->column_is_null(st->impl, col);
}

int64_t orsp_stmt_column_int64(orsp_stmt *st, int col)
{
	return st->db->ops->column_int64(st->impl, col);
}

const char *orsp_stmt_column_text(orsp_stmt *st, int col)
{
	return st->db->ops->column_text(st->impl, col);
}

orsp_slice orsp_stmt_column_blob(orsp_stmt *st, int col)
{
	return st->db->ops->column_blob(st->impl, col);
}
