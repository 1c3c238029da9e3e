/* Online backups (orsp_db_backup, orsp_auc_backup, orsp_smdp_backup): a copy taken while
 * another process writes is one committed state and opens with the KEK; every refusal and
 * every failure (injected at each operation, a verify that fails, an interruption, a file
 * appearing under the name) leaves no backup, no temporary file and no audit row claiming
 * one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "openrsp/auc.h"
#include "openrsp/smdp.h"
#include "openrsp/store.h"

#define TS48_V1A "saip/pysim-unique/TS48V1-A-UNIQUE.der"
#define WRITES 400

static char dir[4096];
static orsp_secret kek;
static const uint8_t K16[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t OPC[16] = {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};

static int setup(void **state)
{
	(void)state;
	unsetenv("ORSP_KEK");
	kek.len = 32;
	memset(kek.v, 0x5a, 32);
	return 0;
}

static const char *path_of(const char *name)
{
	static char p[2][4200];
	static int i;
	int n;
	i ^= 1;
	n = snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < sizeof(p[i]));
	return p[i];
}

static bool exists(const char *p)
{
	struct stat sb;
	return lstat(p, &sb) == 0;
}

/* Files of dir whose name holds ".tmp" (a temporary file left behind). */
static size_t tmp_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp"))
			n++;
	closedir(d);
	return n;
}

static void add_sub(orsp_auc *a, unsigned i)
{
	orsp_auc_new n;
	char imsi[16];

	snprintf(imsi, sizeof(imsi), "00101%010u", i);
	orsp_auc_new_init(&n);
	n.imsi = imsi;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, K16, 16, OPC, 16),
	                 ORSP_OK);
	if (orsp_auc_add(a, &n) != ORSP_OK)
		fail_msg("add %s: %s", imsi, orsp_err_detail());
	orsp_auc_new_wipe(&n);
}

typedef struct rows {
	size_t backup, not_written, add;
	char last_detail[ORSP_AUC_AUDIT_DETAIL_MAX];
} rows;

static int count_row(const orsp_auc_audit_row *r, void *arg)
{
	rows *c = arg;
	if (strcmp(r->action, "add") == 0)
		c->add++;
	if (strcmp(r->action, "backup") == 0 && strcmp(r->result, "ok") == 0) {
		c->backup++;
		snprintf(c->last_detail, sizeof(c->last_detail), "%s", r->detail);
	}
	if (strcmp(r->action, "backup") == 0 && strcmp(r->result, "not written") == 0)
		c->not_written++;
	return 0;
}

static rows auc_rows(orsp_auc *a)
{
	rows c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 0, count_row, &c), ORSP_OK);
	return c;
}

static int count_sub(const orsp_auc_info *info, void *arg)
{
	(void)info;
	(*(size_t *)arg)++;
	return 0;
}

static size_t auc_count(orsp_auc *a)
{
	size_t n = 0;
	assert_int_equal(orsp_auc_list(a, count_sub, &n), ORSP_OK);
	return n;
}

/* The file's SQLite header says rollback-journal mode (bytes 18 and 19: 1; WAL: 2). */
static int header_mode(const char *p)
{
	uint8_t h[20];
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, h, sizeof(h)), (ssize_t)sizeof(h));
	close(fd);
	assert_int_equal(h[18], h[19]);
	return h[18];
}

/* A backup taken while another process adds subscribers, each in a committed transaction
 * with its audit row: the copy holds exactly the first c of them and their c add rows (one
 * state the writer committed), passes its checks, opens with the KEK and gives K and OPc
 * back; the source has one backup row naming the copy by its absolute name. */
static void test_auc_concurrent(void **state)
{
	orsp_auc *a = NULL, *b = NULL;
	orsp_auc_backup_info info;
	orsp_auc_info ai;
	orsp_secret k = {0}, opc = {0};
	char real[PATH_MAX], imsi[32];
	size_t n = 0;
	pid_t pid;
	int status = 0;
	rows r;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_auc"));
	assert_int_equal(orsp_auc_open(path_of("a.db"), &kek, &a), ORSP_OK);
	add_sub(a, 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		orsp_auc *w = NULL;
		if (orsp_auc_open(path_of("a.db"), &kek, &w) != ORSP_OK)
			_exit(2);
		for (unsigned i = 1; i <= WRITES; i++)
			add_sub(w, i);
		orsp_auc_close(w);
		_exit(0);
	}
	while ((n = auc_count(a)) < 20)
		usleep(1000);
	assert_int_equal(orsp_auc_backup(a, path_of("b.db"), NULL, &info), ORSP_OK);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(auc_count(a), WRITES + 1);

	/* the copy: a prefix of the writer's commits, with their audit rows */
	assert_true(info.subscribers >= 20 && info.subscribers <= WRITES + 1);
	assert_int_equal(info.schema_version, 5);
	assert_non_null(realpath(path_of("b.db"), real));
	assert_string_equal(info.file.path, real);
	assert_int_equal(header_mode(path_of("b.db")), 1);
	{
		struct stat sb;
		assert_int_equal(stat(path_of("b.db"), &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		assert_int_equal((uint64_t)sb.st_size, info.file.size);
	}
	assert_int_equal(tmp_files(), 0);
	assert_false(exists(path_of("b.db-wal")));
	assert_int_equal(orsp_auc_open_ex(path_of("b.db"), ORSP_DB_OPEN_EXISTING, &kek, &b),
	                 ORSP_OK);
	assert_int_equal(auc_count(b), info.subscribers);
	r = auc_rows(b);
	assert_int_equal(r.add, info.subscribers);
	assert_int_equal(r.backup, 0); /* audited after the snapshot, in the source */
	for (size_t i = 0; i < info.subscribers; i++) {
		snprintf(imsi, sizeof(imsi), "00101%010u", (unsigned)i);
		assert_int_equal(orsp_auc_get(b, imsi, &ai), ORSP_OK);
	}
	snprintf(imsi, sizeof(imsi), "00101%010u", (unsigned)info.subscribers);
	assert_int_equal(orsp_auc_get(b, imsi, &ai), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_auc_export_keys(b, "001010000000000", "test", NULL, &k, &opc),
	                 ORSP_OK);
	assert_bytes_equal(k.v, K16, 16);
	assert_bytes_equal(opc.v, OPC, 16);
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&opc);
	orsp_auc_close(b);
	/* opened for writing, the restored copy is a WAL database like any other */
	assert_int_equal(header_mode(path_of("b.db")), 2);

	r = auc_rows(a);
	assert_int_equal(r.backup, 1);
	assert_int_equal(r.not_written, 0);
	assert_string_equal(r.last_detail, real);
	orsp_auc_close(a);
}

static int smdp_backup_row(const orsp_smdp_audit_row *r, void *arg)
{
	if (strcmp(r->action, "backup") == 0)
		(*(size_t *)arg)++;
	return 0;
}

static size_t smdp_backups(orsp_smdp *s)
{
	size_t n = 0;
	assert_int_equal(orsp_smdp_audit_walk(s, NULL, smdp_backup_row, &n, NULL), ORSP_OK);
	return n;
}

/* The SM-DP+: the copy's counts by state, the package unsealed from the copy with the KEK
 * equal to the source's, the backup row; a copy opened with another KEK is refused. */
static void test_smdp(void **state)
{
	orsp_smdp *s = NULL, *c = NULL;
	orsp_smdp_backup_info info;
	orsp_smdp_profile p;
	orsp_secret other = {0};
	uint8_t *der, *u1 = NULL, *u2 = NULL;
	size_t len = 0, l1 = 0, l2 = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_smdp"));
	der = test_read_vector(TS48_V1A, &len);
	assert_int_equal(orsp_smdp_open(path_of("s.db"), &kek, &s), ORSP_OK);
	assert_int_equal(orsp_smdp_import(s, der, len, &p), ORSP_OK);
	free(der);
	assert_int_equal(orsp_smdp_backup(s, path_of("b.db"), NULL, &info), ORSP_OK);
	assert_int_equal(info.profiles[ORSP_SMDP_AVAILABLE], 1);
	assert_true(info.schema_version >= 10);
	assert_int_equal(tmp_files(), 0);
	assert_int_equal(orsp_smdp_get_upp(s, p.iccid, &u1, &l1), ORSP_OK);
	assert_int_equal(orsp_smdp_open(path_of("b.db"), &kek, &c), ORSP_OK);
	assert_int_equal(orsp_smdp_get_upp(c, p.iccid, &u2, &l2), ORSP_OK);
	assert_int_equal(l1, l2);
	assert_bytes_equal(u1, u2, l1);
	free(u1);
	free(u2);
	orsp_smdp_close(c);
	other.len = 32;
	memset(other.v, 0x11, 32);
	assert_int_equal(orsp_smdp_open(path_of("b.db"), &other, &c), ORSP_E_VERIFY);
	assert_int_equal(smdp_backups(s), 1);
	orsp_smdp_close(s);
}

/* Refusals before any work: --out exists (left untouched), the database or one of SQLite's
 * files beside it, its directory missing, a name that is a directory, a transaction open, an
 * interruption already asked for. No file, no temporary file, no audit row. */
static void test_refusals(void **state)
{
	orsp_auc *a = NULL;
	orsp_auc_backup_info info;
	volatile sig_atomic_t stop = 1;
	char buf[16] = "";
	int fd;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_refusals"));
	assert_int_equal(orsp_auc_open(path_of("a.db"), &kek, &a), ORSP_OK);
	add_sub(a, 1);
	fd = open(path_of("taken"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(orsp_auc_backup(a, path_of("taken"), NULL, &info), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "already exists"));
	fd = open(path_of("taken"), O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_string_equal(buf, "keep");
	/* the database itself, or one of SQLite's files beside it (which SQLite deletes or takes
	 * over at the next open): refused, whatever the spelling */
	{
		static const char *const own[] = {"a.db", "a.db-journal", "a.db-wal", "a.db-shm",
		                                  "./a.db-journal"};
		char alt[4300];
		for (size_t i = 0; i < ORSP_ARRAY_LEN(own); i++) {
			snprintf(alt, sizeof(alt), "%s/%s", dir, own[i]);
			assert_int_equal(orsp_auc_backup(a, alt, NULL, &info), ORSP_E_USAGE);
			assert_non_null(strstr(orsp_err_detail(), "name another file"));
		}
		assert_false(exists(path_of("a.db-journal")));
	}
	assert_int_equal(orsp_auc_backup(a, path_of("none/b.db"), NULL, &info), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_auc_backup(a, path_of("x/"), NULL, &info), ORSP_E_USAGE);
	assert_int_equal(orsp_db_begin(orsp_auc_db(a)), ORSP_OK);
	assert_int_equal(orsp_auc_backup(a, path_of("b.db"), NULL, &info), ORSP_E_STATE);
	orsp_db_rollback(orsp_auc_db(a));
	assert_int_equal(orsp_auc_backup(a, path_of("b.db"), &stop, &info), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "interrupted"));
	assert_false(exists(path_of("b.db")));
	assert_int_equal(tmp_files(), 0);
	assert_int_equal(auc_rows(a).backup, 0);
	orsp_auc_close(a);
}

/* A failure injected at each operation of the backup in turn (the copy, the checks on the
 * copy's handle, the audit's on the source): each leaves no file, no temporary file and no
 * backup row, until the loop reaches past the last operation and the backup is made. A
 * flush failing after the audit's commit: no file, the row followed by a "not written"
 * one. Both modules. */
static void test_injected(void **state)
{
	orsp_auc *a = NULL;
	orsp_smdp *s = NULL;
	orsp_auc_backup_info info;
	orsp_smdp_backup_info sinfo;
	orsp_smdp_profile p;
	uint8_t *der;
	size_t len = 0;
	orsp_err e = ORSP_E_STORAGE;
	int n;
	rows r;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_inject"));
	assert_int_equal(orsp_auc_open(path_of("a.db"), &kek, &a), ORSP_OK);
	add_sub(a, 1);
	for (n = 0; n < 100; n++) {
		orsp_db_inject_failure(orsp_auc_db(a), n);
		e = orsp_auc_backup(a, path_of("b.db"), NULL, &info);
		orsp_db_inject_failure(orsp_auc_db(a), -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_false(exists(path_of("b.db")));
		assert_int_equal(tmp_files(), 0);
		assert_int_equal(auc_rows(a).backup, 0);
	}
	assert_int_equal(e, ORSP_OK);
	assert_true(n >= 8); /* the copy, integrity_check, verify's reads, the audit's writes */
	assert_int_equal(auc_rows(a).backup, 1);

	orsp_db_inject_sync_failure(orsp_auc_db(a));
	assert_int_equal(orsp_auc_backup(a, path_of("c.db"), NULL, &info), ORSP_E_STORAGE);
	assert_false(exists(path_of("c.db")));
	assert_int_equal(tmp_files(), 0);
	r = auc_rows(a);
	assert_int_equal(r.backup, 2);
	/* the row saying the copy was not written is refused too: no write begins on a file
	 * after a failed flush (test_store test_db_sync_failure_sticky) */
	assert_int_equal(r.not_written, 0);
	orsp_auc_close(a);

	der = test_read_vector(TS48_V1A, &len);
	assert_int_equal(orsp_smdp_open(path_of("s.db"), &kek, &s), ORSP_OK);
	assert_int_equal(orsp_smdp_import(s, der, len, &p), ORSP_OK);
	free(der);
	for (n = 0; n < 100; n++) {
		orsp_db_inject_failure(orsp_smdp_db(s), n);
		e = orsp_smdp_backup(s, path_of("sb.db"), NULL, &sinfo);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_false(exists(path_of("sb.db")));
		assert_int_equal(tmp_files(), 0);
		assert_int_equal(smdp_backups(s), 0);
	}
	assert_int_equal(e, ORSP_OK);
	assert_true(n >= 8);
	assert_int_equal(smdp_backups(s), 1);
	orsp_db_inject_sync_failure(orsp_smdp_db(s));
	assert_int_equal(orsp_smdp_backup(s, path_of("sc.db"), NULL, &sinfo), ORSP_E_STORAGE);
	assert_false(exists(path_of("sc.db")));
	assert_int_equal(tmp_files(), 0);
	/* its row; the "not written: " one is refused, as every write after a failed flush */
	assert_int_equal(smdp_backups(s), 2);
	orsp_smdp_close(s);
}

/* orsp_db_backup's own steps with hooks of the test's: a verify that fails, an interruption
 * asked for during the checks, an audit that fails, and a file appearing under the name
 * after the audit (published without replacing it: the audit told "not written"). */
typedef struct hooks_ctx {
	orsp_err verify_err;
	volatile sig_atomic_t *stop;
	orsp_err audit_err;
	const char *create; /* a file the audit creates, as another process could */
	size_t audits, not_written;
} hooks_ctx;

static orsp_err t_verify(void *arg, orsp_db *copy)
{
	hooks_ctx *c = arg;
	int v = 0;
	assert_int_equal(orsp_db_schema_version(copy, "auc", &v), ORSP_OK);
	assert_int_equal(v, 5);
	/* read-only */
	assert_int_equal(orsp_db_exec(copy, "DELETE FROM auc_subscriber"), ORSP_E_STORAGE);
	if (c->stop)
		*c->stop = 1;
	return c->verify_err ? orsp_errf(c->verify_err, "verify says no") : ORSP_OK;
}

static orsp_err t_audit(void *arg, const char *path, bool written)
{
	hooks_ctx *c = arg;
	assert_int_equal(path[0], '/');
	if (!written) {
		c->not_written++;
		return ORSP_OK;
	}
	c->audits++;
	if (c->create) {
		int fd = open(c->create, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "other", 5), 5);
		close(fd);
	}
	return c->audit_err ? orsp_errf(c->audit_err, "audit says no") : ORSP_OK;
}

static void test_hooks(void **state)
{
	orsp_auc *a = NULL;
	orsp_db_backup_result res;
	volatile sig_atomic_t stop = 0;
	hooks_ctx c;
	orsp_db_backup_hooks h = {t_verify, t_audit, &c};
	char buf[16] = "";
	int fd;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_hooks"));
	assert_int_equal(orsp_auc_open(path_of("a.db"), &kek, &a), ORSP_OK);
	add_sub(a, 1);

	memset(&c, 0, sizeof(c));
	c.verify_err = ORSP_E_VERIFY;
	assert_int_equal(orsp_db_backup(orsp_auc_db(a), path_of("b.db"), &h, NULL, &res),
	                 ORSP_E_VERIFY);
	assert_int_equal(c.audits + c.not_written, 0);
	assert_false(exists(path_of("b.db")));
	assert_int_equal(tmp_files(), 0);

	memset(&c, 0, sizeof(c));
	c.stop = &stop;
	assert_int_equal(orsp_db_backup(orsp_auc_db(a), path_of("b.db"), &h, &stop, &res),
	                 ORSP_E_STATE);
	assert_int_equal(c.audits + c.not_written, 0);
	assert_false(exists(path_of("b.db")));
	assert_int_equal(tmp_files(), 0);

	memset(&c, 0, sizeof(c));
	c.audit_err = ORSP_E_STORAGE;
	assert_int_equal(orsp_db_backup(orsp_auc_db(a), path_of("b.db"), &h, NULL, &res),
	                 ORSP_E_STORAGE);
	assert_int_equal(c.audits, 1);
	assert_int_equal(c.not_written, 0);
	assert_false(exists(path_of("b.db")));
	assert_int_equal(tmp_files(), 0);

	memset(&c, 0, sizeof(c));
	c.create = path_of("b.db");
	assert_int_equal(orsp_db_backup(orsp_auc_db(a), path_of("b.db"), &h, NULL, &res),
	                 ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "appeared meanwhile"));
	assert_int_equal(c.audits, 1);
	assert_int_equal(c.not_written, 1);
	fd = open(path_of("b.db"), O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	close(fd);
	assert_string_equal(buf, "other");
	assert_int_equal(tmp_files(), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(orsp_db_backup(orsp_auc_db(a), path_of("c.db"), &h, NULL, &res), ORSP_OK);
	assert_int_equal(c.audits, 1);
	assert_true(exists(path_of("c.db")));
	orsp_auc_close(a);
}

static volatile sig_atomic_t usr1_stop;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_stop = 1;
}

/* Whether dir holds a temporary file of a backup with bytes in it (the copy is running). */
static bool tmp_written(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat sb;
	bool yes = false;

	if (!d)
		return false;
	while (!yes && (e = readdir(d)) != NULL)
		yes = strstr(e->d_name, ".tmp") && fstatat(dirfd(d), e->d_name, &sb, 0) == 0 &&
		      sb.st_size > 0;
	closedir(d);
	return yes;
}

/* The copy's progress handler (sqlite.c's copy_progress, which reads the stop flag) with a
 * look before it, through a wrapped sqlite3_progress_handler: once the temporary file has
 * bytes in it, SIGUSR1 is raised, at once, there. (Another process sent it until now,
 * polling the directory: on a loaded machine under TSan it could come after the copy, 5
 * times, and the test failed by timing alone.) */
int __real_sqlite3_progress_handler(sqlite3 *db, int n, int (*fn)(void *), void *arg);
void __wrap_sqlite3_progress_handler(sqlite3 *db, int n, int (*fn)(void *), void *arg);
static int (*copy_handler)(void *);
static bool usr1_on_tmp; /* raise SIGUSR1 once the temporary file has bytes */

static int progress_probe(void *arg)
{
	if (usr1_on_tmp && tmp_written()) {
		usr1_on_tmp = false;
		raise(SIGUSR1);
	}
	return copy_handler(arg);
}

void __wrap_sqlite3_progress_handler(sqlite3 *db, int n, int (*fn)(void *), void *arg)
{
	copy_handler = fn;
	__real_sqlite3_progress_handler(db, n, fn ? progress_probe : NULL, arg);
}

/* A signal arriving while VACUUM INTO writes the copy (raised once the temporary file has
 * bytes in it, above; the handler sets the stop flag, as the CLI's does) stops the copy
 * itself, not only the steps after it: "interrupted during the copy", no file, no temporary
 * file, no audit row. The source is large enough (some 24 MB) for the copy to write the
 * temporary file long before its end. */
static void test_interrupt_copy(void **state)
{
	orsp_auc *a = NULL;
	orsp_auc_backup_info info;
	struct sigaction sa, old;
	orsp_err e;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_interrupt"));
	assert_int_equal(orsp_auc_open(path_of("a.db"), &kek, &a), ORSP_OK);
	add_sub(a, 1);
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "CREATE TABLE filler(x)"), ORSP_OK);
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "INSERT INTO filler SELECT randomblob(4000) FROM (WITH "
	                              "RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
	                              "WHERE i < 6000) SELECT i FROM c)"),
	                 ORSP_OK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	usr1_stop = 0;
	usr1_on_tmp = true;
	e = orsp_auc_backup(a, path_of("b0.db"), &usr1_stop, &info);
	usr1_on_tmp = false;
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(usr1_stop, 1); /* raised: the temporary file had bytes during the copy */
	assert_int_equal(e, ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "interrupted during the copy"));
	assert_false(exists(path_of("b0.db")));
	assert_int_equal(tmp_files(), 0);
	assert_int_equal(auc_rows(a).backup, 0);
	orsp_auc_close(a);
}

/* Long names: a file name of 250 bytes and one of NAME_MAX bytes ending in two-byte UTF-8
 * characters are backed up (the temporary file's name, and the "-journal" SQLite writes
 * beside it, cut to fit, never inside a character); a name over NAME_MAX is a usage error;
 * a failure's message gives its reason before the long path (the detail is capped). */
static void test_long_names(void **state)
{
	orsp_auc *a = NULL;
	orsp_auc_backup_info info;
	char name[NAME_MAX + 2], loop[256], sub[300], real[PATH_MAX];
	size_t i;
	rows r;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir("backup_long"));
	assert_int_equal(orsp_auc_open(path_of("a.db"), &kek, &a), ORSP_OK);
	add_sub(a, 1);

	memset(name, 'n', 250);
	name[250] = '\0';
	if (orsp_auc_backup(a, path_of(name), NULL, &info) != ORSP_OK)
		fail_msg("a 250-byte name: %s", orsp_err_detail());
	assert_non_null(realpath(path_of(name), real));
	assert_string_equal(info.file.path, real);
	assert_int_equal(tmp_files(), 0);
	r = auc_rows(a);
	assert_int_equal(r.backup, 1);
	assert_string_equal(r.last_detail, real);

	for (i = 0; i + 2 <= NAME_MAX; i += 2)
		memcpy(name + i, "\xc3\xa9", 2); /* U+00E9 */
	memset(name + i, 'x', NAME_MAX - i);
	name[NAME_MAX] = '\0';
	if (orsp_auc_backup(a, path_of(name), NULL, &info) != ORSP_OK)
		fail_msg("a NAME_MAX-byte name: %s", orsp_err_detail());
	assert_true(exists(path_of(name)));
	assert_int_equal(tmp_files(), 0);

	name[NAME_MAX] = 'x';
	name[NAME_MAX + 1] = '\0';
	assert_int_equal(orsp_auc_backup(a, path_of(name), NULL, &info), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "path too long"));

	/* a directory that cannot be opened (a symbolic link to itself) under a long name */
	memset(loop, 'l', 250);
	loop[250] = '\0';
	assert_int_equal(symlink(loop, path_of(loop)), 0);
	snprintf(sub, sizeof(sub), "%s/b.db", loop);
	assert_int_equal(orsp_auc_backup(a, path_of(sub), NULL, &info), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), strerror(ELOOP)));
	assert_int_equal(auc_rows(a).backup, 2);
	assert_int_equal(tmp_files(), 0);
	orsp_auc_close(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auc_concurrent), cmocka_unit_test(test_smdp),
	    cmocka_unit_test(test_refusals),       cmocka_unit_test(test_injected),
	    cmocka_unit_test(test_hooks),          cmocka_unit_test(test_long_names),
	    cmocka_unit_test(test_interrupt_copy),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
