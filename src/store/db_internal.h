/* PRIVATE to src/store (db.c, migrate.c) and its tests: not installed, not for other modules. */
#ifndef ORSP_STORE_DB_INTERNAL_H
#define ORSP_STORE_DB_INTERNAL_H

#include "openrsp/store.h"

/* For the tests: `between` (NULL: none, as in every program) is called by
 * orsp_db_module_state between its read of the module's version (found 0) and its look for
 * other tables, with `arg`: a test commits another connection's first migration there, as
 * another process starting on the same new database could. Process-wide; not thread-safe. */
void orsp__db_test_state_hook(void (*between)(void *arg), void *arg);

/* For the tests: the handles waiting in the line of db's write queue (0 without a queue). */
unsigned orsp__db_test_queue_waiting(orsp_db *db);
/* For the tests: whether db holds its file's write queue (in a transaction, or a write). */
bool orsp__db_test_queue_held(const orsp_db *db);

/* For the tests: with `steps` not NULL, every statement of every handle adds to *steps the
 * virtual machine instructions it ran (SQLite's SQLITE_STMTSTATUS_VM_STEP) when it is
 * finalized or given back to its handle's cache: the work of a call, which the machine's
 * speed and load do not change. NULL (as in every program): nothing counted. Process-wide;
 * not thread-safe. */
void orsp__db_test_count_steps(int64_t *steps);

#endif
