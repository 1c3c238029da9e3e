/* libFuzzer target for the read-only open's reading of a -wal left without its -shm
 * (wal_adds_nothing in src/store/sqlite.c; docs/auc.md, "Store interface").
 *
 * At start-up a WAL database of 512-byte pages (two tables, an index, a few rows) is made in
 * a directory of its own, checkpointed; its bytes F are kept. Each input is the -wal of a copy
 * of F: the database is written, the log (below) as DB-wal beside it, no DB-shm, and
 * orsp_db_open_ex(ORSP_DB_OPEN_READONLY) called. Properties:
 *  - the open succeeds or is ORSP_E_STATE (the log refused);
 *  - an open that succeeds reads F: SELECT COUNT(*) of the table is its row count;
 *  - nothing is made or changed: no DB-shm nor DB-journal after, DB-wal and DB as written;
 *  - against SQLite itself: a copy of DB and DB-wal is opened read-write by SQLite, which
 *    recovers the log, and checkpointed into the file (TRUNCATE). When the read-only open took
 *    the log as adding nothing, the checkpointed file is F, byte for byte; when it refused it
 *    as holding "a commit the database file has not", the checkpointed file is not F.
 * A violated property calls abort(). Deterministic.
 *
 * The input is the log, structured so that the fuzzer gets past its checksums: its first
 * byte holds options, its second a frame index K, the rest is the log (a 32-byte header,
 * then frames of 24 + 512 bytes, the last one possibly cut). Options:
 *  - HDR: the header's magic (its low bit, the checksums' byte order, kept), version and page
 *    size are made valid;
 *  - DELTA: each frame's page is XORed with that page of F (a page number within F), so a
 *    page of zeros is the file's page, whatever the SQLite version made F;
 *  - SALTS: frames before the K-th get the header's salts;
 *  - SUMS: the header's checksum is set, and the running checksum of frames before the K-th
 *    (the later frames keep the input's, which is then most likely wrong).
 * With no option set the bytes are the log as they are.
 *
 * Seeds (fuzz/corpus/store_wal/): written by this target when ORSP_FUZZ_WAL_SEEDS names a
 * directory (it writes them there and exits): logs SQLite wrote while F was made, in the
 * DELTA form with SALTS and SUMS, so they hold no SQLite version's bytes: the checkpointed
 * log, the log restarted by a commit after the checkpoint (a commit the file has not), each
 * cut in its last frame, the checkpointed log with its last commit frame's checksum wrong,
 * a header alone, and the checkpointed log raw (no option). With ORSP_FUZZ_WAL_VERBOSE set,
 * each open's answer is printed on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrsp/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PSZ 512
#define HDR 32
#define FRAME (24 + PSZ)
#define MAX_FRAMES 64
#define ROWS 5

enum { OPT_HDR = 1, OPT_DELTA = 2, OPT_SALTS = 4, OPT_SUMS = 8 };

static char dir[256], db[300], wal[300], shm[300], journal[300], odb[300], owal[300], oshm[300];
static uint8_t *file; /* F */
static size_t flen;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void cleanup(void)
{
	const char *f[] = {db, wal, shm, journal, odb, owal, oshm};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		unlink(f[i]);
	rmdir(dir);
	free(file);
}

static uint8_t *read_all(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	uint8_t *p;

	check(fd >= 0 && fstat(fd, &sb) == 0);
	p = malloc((size_t)sb.st_size + 1);
	check(p != NULL);
	check(read(fd, p, (size_t)sb.st_size) == (ssize_t)sb.st_size);
	check(close(fd) == 0);
	*n = (size_t)sb.st_size;
	return p;
}

static void write_all(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	check(fd >= 0);
	check(n == 0 || write(fd, p, n) == (ssize_t)n);
	check(close(fd) == 0);
}

static bool same_file(const char *path, const uint8_t *p, size_t n)
{
	size_t m;
	uint8_t *q = read_all(path, &m);
	bool same = m == n && (n == 0 || !memcmp(p, q, n));
	free(q);
	return same;
}

static bool there(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0 || errno != ENOENT;
}

static void sql(sqlite3 *h, const char *s)
{
	check(sqlite3_exec(h, s, NULL, NULL, NULL) == SQLITE_OK);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* SQLite's log checksum (fileformat2 4.1), written here from the format's text. */
static void cksum(bool big, const uint8_t *p, size_t n, uint32_t s[2])
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint32_t x0 = get32(p + i), x1 = get32(p + i + 4);
		if (!big) {
			x0 = __builtin_bswap32(x0);
			x1 = __builtin_bswap32(x1);
		}
		s[0] += x0 + s[1];
		s[1] += x1 + s[0];
	}
}

/* The log an input stands for (n bytes at log), made in place. */
static void apply(uint8_t opt, uint8_t k, uint8_t *log, size_t n)
{
	uint32_t s[2] = {0, 0};
	bool big;

	if (n < HDR)
		return;
	if (opt & OPT_HDR) {
		put32(log, 0x377f0682 | (log[3] & 1));
		put32(log + 4, 3007000);
		put32(log + 8, PSZ);
	}
	big = log[3] & 1;
	cksum(big, log, 24, s);
	if (opt & OPT_SUMS) {
		put32(log + 24, s[0]);
		put32(log + 28, s[1]);
	}
	for (size_t i = 0, off = HDR; off < n; i++, off += FRAME) {
		uint8_t *fr = log + off;
		size_t len = n - off < FRAME ? n - off : FRAME;
		uint32_t pgno = len >= 4 ? get32(fr) : 0;
		if ((opt & OPT_DELTA) && pgno >= 1 && pgno <= flen / PSZ) {
			for (size_t j = 24; j < len; j++)
				fr[j] ^= file[(size_t)(pgno - 1) * PSZ + j - 24];
		}
		if (len < FRAME || i >= k)
			continue;
		if (opt & OPT_SALTS)
			memcpy(fr + 8, log + 16, 8);
		cksum(big, fr, 8, s);
		cksum(big, fr + 24, PSZ, s);
		if (opt & OPT_SUMS) {
			put32(fr + 16, s[0]);
			put32(fr + 20, s[1]);
		}
	}
}

/* The DELTA form of a log SQLite wrote (n bytes), options opt, frames fixed up to k. */
static void write_seed(const char *sdir, const char *name, uint8_t opt, uint8_t k,
                       const uint8_t *log, size_t n)
{
	uint8_t *in = malloc(n + 2);
	char path[600];

	check(in != NULL);
	in[0] = opt;
	in[1] = k;
	memcpy(in + 2, log, n);
	for (size_t off = HDR; (opt & OPT_DELTA) && off + 4 <= n; off += FRAME) {
		uint32_t pgno = get32(log + off);
		size_t len = n - off < FRAME ? n - off : FRAME;
		if (pgno >= 1 && pgno <= flen / PSZ)
			for (size_t j = 24; j < len; j++)
				in[2 + off + j] ^= file[(size_t)(pgno - 1) * PSZ + j - 24];
	}
	snprintf(path, sizeof(path), "%s/%s", sdir, name);
	write_all(path, in, n + 2);
	free(in);
}

/* How many of the log's frames from the start carry its header's salts (those SQLite wrote
 * since it last restarted the log). */
static uint8_t fresh_frames(const uint8_t *log, size_t n)
{
	uint8_t k = 0;
	for (size_t off = HDR; off + FRAME <= n && !memcmp(log + off + 8, log + 16, 8);
	     off += FRAME)
		k++;
	return k;
}

static int64_t count(orsp_db *h)
{
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t v;

	check(orsp_db_prepare(h, "SELECT COUNT(*) FROM t", &st) == ORSP_OK);
	check(orsp_stmt_step(st, &row) == ORSP_OK && row);
	v = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return v;
}

/* F: a WAL database checkpointed; with ORSP_FUZZ_WAL_SEEDS set, the seeds too. */
static void setup(void)
{
	const char *t = getenv("TMPDIR"), *sdir = getenv("ORSP_FUZZ_WAL_SEEDS");
	uint8_t *l1, *l2, *w;
	size_t n1, n2;
	sqlite3 *h = NULL;
	char q[200];

	snprintf(dir, sizeof(dir), "%s/orsp-fuzz-wal.XXXXXX", t && t[0] ? t : "/tmp");
	check(mkdtemp(dir) != NULL);
	snprintf(db, sizeof(db), "%s/w.db", dir);
	snprintf(wal, sizeof(wal), "%s/w.db-wal", dir);
	snprintf(shm, sizeof(shm), "%s/w.db-shm", dir);
	snprintf(journal, sizeof(journal), "%s/w.db-journal", dir);
	snprintf(odb, sizeof(odb), "%s/o.db", dir);
	snprintf(owal, sizeof(owal), "%s/o.db-wal", dir);
	snprintf(oshm, sizeof(oshm), "%s/o.db-shm", dir);
	atexit(cleanup);

	check(sqlite3_open(db, &h) == SQLITE_OK);
	sql(h, "PRAGMA page_size=512");
	sql(h, "PRAGMA journal_mode=WAL");
	sql(h, "PRAGMA wal_autocheckpoint=0");
	sql(h, "CREATE TABLE t (x INTEGER PRIMARY KEY, y BLOB)");
	sql(h, "CREATE TABLE u (a TEXT)");
	sql(h, "CREATE INDEX t_y ON t (y)");
	for (int i = 1; i <= ROWS; i++) {
		snprintf(q, sizeof(q), "INSERT INTO t VALUES (%d, printf('%%060d', %d))", i,
		         i * 7919);
		sql(h, q);
	}
	sql(h, "INSERT INTO u VALUES ('one')");
	sql(h, "PRAGMA wal_checkpoint(FULL)");
	file = read_all(db, &flen);
	check(flen % PSZ == 0 && flen >= 4 * PSZ && file[18] == 2 && file[19] == 2);
	l1 = read_all(wal, &n1);
	check(n1 > HDR && (n1 - HDR) % FRAME == 0);
	/* a commit after the checkpoint: the log restarts, its first frames new */
	sql(h, "INSERT INTO u VALUES ('two')");
	l2 = read_all(wal, &n2);
	check(sqlite3_close(h) == SQLITE_OK);
	check(!there(wal) && !there(shm));
	unlink(db);

	if (sdir) {
		check(fresh_frames(l1, n1) == (n1 - HDR) / FRAME);
		w = malloc(n1);
		check(w != NULL);
		memcpy(w, l1, n1);
		w[n1 - 1] ^= 1;
		write_seed(sdir, "checkpointed", OPT_DELTA | OPT_SALTS | OPT_SUMS, 0xff, l1, n1);
		write_seed(sdir, "checkpointed_cut", OPT_DELTA | OPT_SALTS | OPT_SUMS, 0xff, l1,
		           n1 - 100);
		write_seed(sdir, "checkpointed_last_bad", OPT_DELTA | OPT_SALTS | OPT_SUMS,
		           (uint8_t)((n1 - HDR) / FRAME - 1), w, n1);
		write_seed(sdir, "checkpointed_raw", 0, 0xff, l1, n1);
		check(fresh_frames(l2, n2) > 0 && fresh_frames(l2, n2) < (n2 - HDR) / FRAME);
		write_seed(sdir, "commit_after", OPT_DELTA | OPT_SALTS | OPT_SUMS,
		           fresh_frames(l2, n2), l2, n2);
		write_seed(sdir, "commit_after_cut", OPT_DELTA | OPT_SALTS | OPT_SUMS, 0xff, l2,
		           HDR + FRAME * fresh_frames(l2, n2) - 7);
		write_seed(sdir, "header_only", OPT_HDR | OPT_SUMS, 0xff, l1, HDR);
		free(w);
		cleanup();
		_exit(0); /* not exit(): libFuzzer takes that for a crash */
	}
	free(l1);
	free(l2);
}

/* SQLite's own reading of the log: a copy recovered and checkpointed into its file, whose
 * bytes are returned (NULL when SQLite did not checkpoint it). */
static uint8_t *sqlite_checkpointed(const uint8_t *log, size_t n, size_t *len)
{
	sqlite3 *h = NULL;
	int rc;

	unlink(oshm);
	write_all(odb, file, flen);
	write_all(owal, log, n);
	rc = sqlite3_open_v2(odb, &h, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		(void)sqlite3_exec(h, "PRAGMA schema_version", NULL, NULL, NULL);
		rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	sqlite3_close(h);
	unlink(owal);
	unlink(oshm);
	return rc == SQLITE_OK ? read_all(odb, len) : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	uint8_t *log, *ck;
	size_t n, cklen;
	orsp_db *h = NULL;
	orsp_err e;
	bool has_commit;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 2 || size - 2 > HDR + (size_t)MAX_FRAMES * FRAME)
		return 0;
	n = size - 2;
	log = malloc(n + 1);
	check(log != NULL);
	memcpy(log, data + 2, n);
	apply(data[0], data[1], log, n);

	write_all(db, file, flen);
	write_all(wal, log, n);
	unlink(shm);
	e = orsp_db_open_ex(db, ORSP_DB_OPEN_READONLY, &h);
	check(e == ORSP_OK || e == ORSP_E_STATE);
	if (getenv("ORSP_FUZZ_WAL_VERBOSE"))
		fprintf(stderr, "fuzz_store_wal: open %d %s\n", (int)e, e ? orsp_err_detail() : "");
	has_commit = e == ORSP_E_STATE &&
	             strstr(orsp_err_detail(), "holds a commit the database file has not");
	orsp_err_clear();
	if (e == ORSP_OK) {
		check(count(h) == ROWS);
		orsp_db_close(h);
	} else {
		check(h == NULL);
	}
	check(!there(shm) && !there(journal));
	check(same_file(wal, log, n));
	check(same_file(db, file, flen));

	if (e == ORSP_OK || has_commit) {
		ck = sqlite_checkpointed(log, n, &cklen);
		if (ck)
			check((cklen == flen && !memcmp(ck, file, flen)) == (e == ORSP_OK));
		free(ck);
	}
	free(log);
	return 0;
}
