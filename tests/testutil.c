#include "testutil.h"

#include "openrsp/crypto.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tsv {
	char *buf;
	char **cells; /* rows * cols, row 0 = header */
	size_t rows, cols;
};

const char *test_vector_path(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("ORSP_VECTORS");
	if (!dir)
		dir = "tests/vectors";
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

uint8_t *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read on %s", path);
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

uint8_t *test_read_vector(const char *rel, size_t *len)
{
	return test_read_file(test_vector_path(rel), len);
}

tsv *tsv_load(const char *rel)
{
	size_t len;
	tsv *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->buf = (char *)test_read_vector(rel, &len);
	/* Count lines and columns. */
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		if (t->buf[i] == '\n')
			lines++;
	if (len && t->buf[len - 1] != '\n')
		lines++;
	char *save = NULL;
	char **line_starts = calloc(lines + 1, sizeof(char *));
	assert_non_null(line_starts);
	size_t nl = 0;
	for (char *l = strtok_r(t->buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		size_t ll = strlen(l);
		if (ll && l[ll - 1] == '\r')
			l[ll - 1] = 0;
		if (l[0] == '\0' || l[0] == '#')
			continue;
		line_starts[nl++] = l;
	}
	assert_true(nl >= 2);
	t->cols = 1;
	for (char *c = line_starts[0]; *c; c++)
		if (*c == '\t')
			t->cols++;
	t->rows = nl;
	t->cells = calloc(nl * t->cols, sizeof(char *));
	assert_non_null(t->cells);
	for (size_t r = 0; r < nl; r++) {
		char *p = line_starts[r];
		for (size_t c = 0; c < t->cols; c++) {
			t->cells[r * t->cols + c] = p ? p : (char *)"";
			if (p) {
				char *tab = strchr(p, '\t');
				if (tab) {
					*tab = 0;
					p = tab + 1;
				} else {
					p = NULL;
				}
			}
		}
	}
	free(line_starts);
	return t;
}

void tsv_free(tsv *t)
{
	if (!t)
		return;
	free(t->buf);
	free(t->cells);
	free(t);
}

size_t tsv_rows(const tsv *t)
{
	return t->rows - 1;
}

const char *tsv_get(const tsv *t, size_t row, const char *col)
{
	assert_true(row < t->rows - 1);
	for (size_t c = 0; c < t->cols; c++)
		if (strcmp(t->cells[c], col) == 0)
			return t->cells[(row + 1) * t->cols + c];
	fail_msg("no column '%s'", col);
	return NULL;
}

int tsv_absent(const tsv *t, size_t row, const char *col)
{
	const char *v = tsv_get(t, row, col);
	return v[0] == 0 || strcmp(v, "-") == 0;
}

size_t tsv_hex(const tsv *t, size_t row, const char *col, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const char *v = tsv_get(t, row, col);
	if (orsp_hex_decode(v, out, cap, &n) != ORSP_OK)
		fail_msg("row %zu column %s: bad hex '%s': %s", row, col, v, orsp_err_detail());
	return n;
}

const char *test_tmpdir(const char *name)
{
	static char path[4096];
	const char *base = getenv("ORSP_TEST_TMP");
	if (!base)
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(path, sizeof(path), "%s/%s.XXXXXX", base, name);
	if (!mkdtemp(path))
		fail_msg("mkdtemp %s: %s", path, strerror(errno));
	return path;
}

void *test_fifo_write_main(void *arg)
{
	test_fifo_writer *w = arg;

	while (!atomic_load(&w->done)) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		int fd = open(w->path, O_WRONLY | O_NONBLOCK);
		if (fd >= 0)
			close(fd);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void assert_bytes_equal_(const void *a, const void *b, size_t n, const char *file, int line)
{
	if (memcmp(a, b, n) == 0)
		return;
	char ha[1025], hb[1025];
	size_t m = n > 512 ? 512 : n;
	if (orsp_hex_encode(a, m, ha, sizeof(ha)) != ORSP_OK ||
	    orsp_hex_encode(b, m, hb, sizeof(hb)) != ORSP_OK)
		ha[0] = hb[0] = 0;
	fail_msg("%s:%d: bytes differ\n  got      %s\n  expected %s", file, line, ha, hb);
}

orsp_ec_key *test_load_key(const char *rel)
{
	size_t n = 0;
	uint8_t *p = test_read_vector(rel, &n);
	orsp_ec_key *k = NULL;
	orsp_err e = orsp_ec_load_private(p, n, &k);
	orsp_wipe(p, n);
	free(p);
	if (e != ORSP_OK)
		fail_msg("%s: %s", rel, orsp_err_detail());
	return k;
}

orsp_cert *test_load_cert(const char *rel)
{
	orsp_cert *c = NULL;
	if (orsp_cert_load_file(test_vector_path(rel), &c) != ORSP_OK)
		fail_msg("%s: %s", rel, orsp_err_detail());
	return c;
}

/* Replace the one occurrence of the bytes from_hex in der by to_hex (as long). */
void test_patch_der(uint8_t *der, size_t len, const char *from_hex, const char *to_hex)
{
	uint8_t from[64], to[64];
	size_t fl = 0, tl = 0, hits = 0, at = 0;
	assert_int_equal(orsp_hex_decode(from_hex, from, sizeof(from), &fl), ORSP_OK);
	assert_int_equal(orsp_hex_decode(to_hex, to, sizeof(to), &tl), ORSP_OK);
	assert_int_equal(fl, tl);
	for (size_t i = 0; i + fl <= len; i++)
		if (memcmp(der + i, from, fl) == 0) {
			hits++;
			at = i;
		}
	assert_int_equal(hits, 1);
	memcpy(der + at, to, tl);
}

static void foreign_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

uint8_t *test_foreign_db_create(const char *path, size_t *len)
{
	sqlite3 *db = NULL;

	unlink(path);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	foreign_exec(db, "PRAGMA journal_mode=DELETE");
	foreign_exec(db, "CREATE TABLE t (a INTEGER, b TEXT)");
	foreign_exec(db, "INSERT INTO t VALUES (42, 'theirs')");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return test_read_file(path, len);
}

static void absent(const char *path, const char *suffix)
{
	char p[4200];
	struct stat sb;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	if (stat(p, &sb) == 0)
		fail_msg("%s was left behind", p);
}

void test_file_check(const char *path, const uint8_t *bytes, size_t len)
{
	size_t n = 0;
	uint8_t *now = test_read_file(path, &n);

	if (n != len)
		fail_msg("%s: %zu bytes, was %zu", path, n, len);
	assert_bytes_equal(now, bytes, n);
	free(now);
	absent(path, "-wal");
	absent(path, "-shm");
	absent(path, "-journal");
}

void test_foreign_db_check(const char *path, const uint8_t *bytes, size_t len)
{
	size_t n = 0;
	uint8_t *now = test_read_file(path, &n);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char names[256] = "";

	assert_true(n >= 100);
	/* the file format's read and write versions: 1 rollback journal, 2 WAL */
	if (now[18] != 1 || now[19] != 1)
		fail_msg("%s: journal mode bytes %u/%u, was 1/1 (rollback journal)", path, now[18],
		         now[19]);
	absent(path, "-wal");
	absent(path, "-shm");
	absent(path, "-journal");
	/* read-only: no journal, nothing written */
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT group_concat(type || ' ' || name, ', ') FROM"
	                                    " (SELECT type, name FROM sqlite_master ORDER BY name)",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(names, sizeof(names), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_string_equal(names, "table t");
	assert_int_equal(
	    sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(a), MAX(b) FROM t", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 42);
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "theirs");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	absent(path, "-journal");
	assert_int_equal(n, len);
	assert_bytes_equal(now, bytes, n);
	free(now);
}

#if defined(__SANITIZE_ADDRESS__)
#define STACK_SCAN_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STACK_SCAN_OFF 1
#endif
#endif
#ifdef STACK_SCAN_OFF
const bool test_stack_scan_works = false;
#else
const bool test_stack_scan_works = true;
#endif

/* GCC's noclone keeps a specialised copy from sharing another frame layout; clang has no
 * such attribute (nor clones these) */
#if defined(__clang__)
#define STACK_FN __attribute__((noinline))
#else
#define STACK_FN __attribute__((noinline, noclone))
#endif

STACK_FN void test_stack_clear(void)
{
	uint8_t buf[TEST_STACK_SCAN];

	explicit_bzero(buf, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

/* No call inside: a callee's frame would overwrite the dead frames looked at. */
STACK_FN bool test_stack_find(const void *needle, size_t n)
{
	const volatile uint8_t *top = __builtin_frame_address(0);
	const uint8_t *x = needle;

	if (!test_stack_scan_works || n == 0)
		return false;
	for (size_t off = TEST_STACK_SCAN; off >= n; off--) {
		const volatile uint8_t *p = top - off;
		size_t k = 0;
		while (k < n && p[k] == x[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

int test_stderr_to(const char *name, char *logpath, size_t cap)
{
	int saved, fd;
	snprintf(logpath, cap, "%s/stderr", test_tmpdir(name));
	fflush(stderr);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	return saved;
}

void test_stderr_back(int saved)
{
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
}

/* n: the allocation that fails next (1), 0 for none; once at 1 it stays, unless
 * ossl_fail_one (then 0 after that one). ossl_failures: how many failed; ossl_allocs: how
 * many were asked for. */
static _Atomic unsigned ossl_fail_at, ossl_failures, ossl_allocs;
static _Atomic bool ossl_fail_one;

static bool ossl_fails(void)
{
	unsigned n = atomic_load(&ossl_fail_at);
	atomic_fetch_add(&ossl_allocs, 1);
	if (n == 0)
		return false;
	if (n > 1 || atomic_load(&ossl_fail_one))
		atomic_store(&ossl_fail_at, n - 1);
	if (n != 1)
		return false;
	atomic_fetch_add(&ossl_failures, 1);
	/* counted as the program's OpenSSL allocator (orsp_wipe_malloc, cli/main.c) counts a
	 * failure, which src/crypto reads */
	orsp_wipe_alloc_refused();
	return true;
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return ossl_fails() ? NULL : malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return ossl_fails() ? NULL : realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

bool test_ossl_alloc_install(void)
{
	return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) == 1;
}

void test_ossl_fail_at(unsigned n)
{
	atomic_store(&ossl_fail_one, false);
	atomic_store(&ossl_fail_at, n);
}

void test_ossl_fail_only(unsigned n)
{
	atomic_store(&ossl_fail_at, 0);
	atomic_store(&ossl_fail_one, true);
	atomic_store(&ossl_fail_at, n);
}

unsigned test_ossl_failures(void)
{
	return atomic_load(&ossl_failures);
}

unsigned test_ossl_allocs(void)
{
	return atomic_load(&ossl_allocs);
}

int test_listen_loopback(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

pid_t test_hold_in_child(void *(*take)(void *arg), void (*give)(void *held), void *arg,
                         unsigned hold_ms)
{
	int p[2];
	char c;

	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *held;
		close(p[0]);
		if (!(held = take(arg)) || write(p[1], "x", 1) != 1)
			_exit(1);
		usleep(hold_ms * 1000);
		give(held);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1); /* the child holds it now */
	close(p[0]);
	return pid;
}

long test_ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}
