/* The in-memory databases (SQLite's memdb) of the SM-DP+ fuzz targets: the live one the
 * SM-DP+ works on and a template copy taken once the setup is done; each input starts from
 * the template. Both are held open by the target (a memdb lives while a connection does). */
#ifndef ORSP_FUZZ_MEMDB_H
#define ORSP_FUZZ_MEMDB_H

#include <stdlib.h>

#include <sqlite3.h>

/* Open the database of uri (a memdb URI), creating it; aborts on failure. */
static inline sqlite3 *memdb_open(const char *uri)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
	                    NULL) != SQLITE_OK)
		abort();
	return db;
}

/* Copy the whole database from into to; aborts on failure. */
static inline void memdb_copy(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(b) != SQLITE_OK)
		abort();
}

#endif
