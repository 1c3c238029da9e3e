/* Test helpers: vector files (TSV) and file reading. Include after <cmocka.h> deps. */
#ifndef ORSP_TESTUTIL_H
#define ORSP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* pid_t */
#include <time.h>
/* cmocka needs the headers above first. */
#include <cmocka.h>

#include "openrsp/core.h"

/* A tab-separated vector file with one header row (tests/vectors/README.md). */
typedef struct tsv tsv;

/* Load $ORSP_VECTORS/<rel>; fails the test if missing or empty. */
tsv *tsv_load(const char *rel);
void tsv_free(tsv *t);
size_t tsv_rows(const tsv *t);
/* Cell of a row by column name; fails the test if the column does not exist. */
const char *tsv_get(const tsv *t, size_t row, const char *col);
/* True if the cell is "-" (not given by the source) or empty. */
int tsv_absent(const tsv *t, size_t row, const char *col);
/* Decode a hex cell; fails the test if it is not valid hex; returns the length. */
size_t tsv_hex(const tsv *t, size_t row, const char *col, uint8_t *out, size_t cap);

/* Read a whole file ($ORSP_VECTORS/<rel> when rel is relative and vectors is true). Fails the
 * test if missing. Caller frees. */
uint8_t *test_read_file(const char *path, size_t *len);
uint8_t *test_read_vector(const char *rel, size_t *len);
/* Full path of a vector file (static buffer, overwritten by the next call). */
const char *test_vector_path(const char *rel);
/* A private key (PEM or DER) / a certificate (DER or PEM) from a vector file; fails the test
 * with the library's reason if it does not load. The key file's bytes are wiped. */
struct orsp_ec_key *test_load_key(const char *rel);
struct orsp_cert *test_load_cert(const char *rel);

/* OpenSSL's allocations made to fail: test_ossl_alloc_install() in main, before OpenSSL's
 * first allocation (false when too late), then test_ossl_fail_at(n): the nth allocation of
 * OpenSSL's from then on fails, and every later one, until test_ossl_fail_at(0). Each
 * failure is counted in the failing thread's orsp_wipe_alloc_failures, as the openrsp
 * program's OpenSSL allocator (the wiping one) counts its own. */
bool test_ossl_alloc_install(void);
void test_ossl_fail_at(unsigned n);
/* The nth allocation of OpenSSL's from then on fails, and none other (a shortage that
 * passes, as under a limit other threads' frees relieve); test_ossl_fail_at(0) cancels it.
 * test_ossl_failures: how many allocations were made to fail since the process began,
 * test_ossl_allocs how many OpenSSL asked for (the failed ones too): the allocations of a
 * step, to fail each in turn. */
void test_ossl_fail_only(unsigned n);
unsigned test_ossl_failures(void);
unsigned test_ossl_allocs(void);

/* A fresh empty directory under $ORSP_TEST_TMP (or /tmp) for this test; static buffer. */
const char *test_tmpdir(const char *name);
/* Standard error into a file of its own (path in logpath: stderr in test_tmpdir(name)) while
 * a test reads the lines logged: the descriptor to put back with test_stderr_back. */
int test_stderr_to(const char *name, char *logpath, size_t cap);
void test_stderr_back(int saved);

/* A TCP socket listening on a port of its own on 127.0.0.1 (backlog 4), its port in *port:
 * for the tests' own servers. Fails the test when it cannot. */
int test_listen_loopback(uint16_t *port);

/* A child process holding something that one process at a time may hold (a card, a sealed
 * store): take(arg) gets it (NULL: it could not, the child exits 1, and the test fails reading
 * the pipe), the child holds it hold_ms, then give(held) and exits 0. Returns once the child
 * holds it, with its pid for waitpid. */
pid_t test_hold_in_child(void *(*take)(void *arg), void (*give)(void *held), void *arg,
                         unsigned hold_ms);

/* Milliseconds of CLOCK_MONOTONIC since *t0. */
long test_ms_since(const struct timespec *t0);

/* Opens the FIFO `path` for writing and closes it again until `done`, on a thread of its own
 * (pthread_create(..., test_fifo_write_main, &w)): a reader blocked in its open of the FIFO
 * then reads the end of the file instead of waiting for ever, so a test of "a FIFO is
 * refused" fails rather than hangs when the refusal is missing. */
typedef struct test_fifo_writer {
	const char *path;
	atomic_bool done;
} test_fifo_writer;
void *test_fifo_write_main(void *arg);

/* Compare bytes with a readable hex diff on mismatch. */
#define assert_bytes_equal(a, b, n) assert_bytes_equal_((a), (b), (n), __FILE__, __LINE__)
void assert_bytes_equal_(const void *a, const void *b, size_t n, const char *file, int line);

/* Replace the one occurrence of the bytes from_hex in der by to_hex (as long); fails the
 * test unless there is exactly one. */
void test_patch_der(uint8_t *der, size_t len, const char *from_hex, const char *to_hex);

/* Another program's database: an SQLite file made with the SQLite API itself, in
 * rollback-journal mode (journal_mode=DELETE), with one table `t` holding one row. Returns
 * the file's bytes (caller frees) for test_foreign_db_check. */
uint8_t *test_foreign_db_create(const char *path, size_t *len);
/* Fails the test unless the file is as test_foreign_db_create left it: still in
 * rollback-journal mode (header bytes 18 and 19 are 1, WAL would be 2), no -wal, -shm or
 * -journal file beside it, the one table `t` with its row and nothing else in its schema,
 * and every byte the same. */
void test_foreign_db_check(const char *path, const uint8_t *bytes, size_t len);
/* Fails the test unless the file at path holds exactly the len bytes (len may be 0: an
 * empty file) and has no -wal, -shm or -journal file beside it: a database file that an open
 * was to leave as it was. */
void test_file_check(const char *path, const uint8_t *bytes, size_t len);

/* Secrets left on the stack, in the dead frames of code that returned. test_stack_clear()
 * zeroes TEST_STACK_SCAN bytes of the stack below the caller's frame; the caller then calls the
 * code under test and at once, from the same function, test_stack_find(), which looks through
 * those bytes (all but the top few its own frame takes) for the n bytes of needle: true when
 * they are there. The needle must be kept outside that range (in the caller's frame, a static,
 * the heap). test_stack_scan_works is false under AddressSanitizer (fake stacks, poisoned
 * redzones), where the tests skip the check. */
#define TEST_STACK_SCAN (256 * 1024)
extern const bool test_stack_scan_works;
void test_stack_clear(void);
bool test_stack_find(const void *needle, size_t n);

#endif
