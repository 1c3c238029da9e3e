/* seal: sealed record store — round trips, atomic commits under a crash at every write step,
 * tampering, rollback, key file checks, a custom key/counter provider. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "openrsp/crypto.h"
#include "openrsp/seal.h"

#include "../src/core/file_internal.h" /* orsp__path_test_hook: a swap after the check */

static char dir[1024];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%.1000s/s", test_tmpdir("seal"));
	return 0;
}

static const char *in(const char *name)
{
	static char p[4200];
	snprintf(p, sizeof(p), "%s/%.255s", dir, name);
	return p;
}

static void put(orsp_seal *s, const char *name, const char *value)
{
	orsp_seal_record r = {name, (const uint8_t *)value, strlen(value)};
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_OK);
}

/* The value of a record as a string, "" if absent. */
static const char *get(orsp_seal *s, const char *name)
{
	static char buf[256];
	size_t n = 0;
	orsp_err e = orsp_seal_read(s, name, (uint8_t *)buf, sizeof(buf) - 1, &n);
	if (e == ORSP_E_NOT_FOUND)
		return "";
	assert_int_equal(e, ORSP_OK);
	buf[n] = '\0';
	return buf;
}

/* A new store in dir holding one record. */
static void create_with(const char *name, const char *value)
{
	orsp_seal *s = NULL;
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, name, value);
	orsp_seal_close(s);
}

static size_t count_files(const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name), sl = strlen(suffix);
		n += l > sl && strcmp(de->d_name + l - sl, suffix) == 0;
	}
	closedir(d);
	return n;
}

static void copy_file(const char *from, const char *to)
{
	size_t n;
	uint8_t *p = test_read_file(from, &n);
	FILE *f = fopen(to, "wb");
	assert_non_null(p);
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
	free(p);
	assert_int_equal(chmod(to, 0600), 0); /* as the store writes it, whatever the umask */
}

/* the file name of path */
static const char *base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void flip_byte(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	assert_true(fd >= 0);
	if (off < 0)
		off += lseek(fd, 0, SEEK_END);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

static void test_round_trip(void **state)
{
	orsp_seal *s = NULL;
	uint8_t big[3000], out[3000];
	size_t n = 0;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	struct stat st;
	assert_int_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_count(s), 0);
	put(s, "isdr", "hello");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	orsp_seal_record r[2] = {{"upp.a0", big, sizeof(big)}, {"ecasd", (const uint8_t *)"id", 2}};
	assert_int_equal(orsp_seal_commit(s, r, 2), ORSP_OK);
	assert_int_equal(orsp_seal_counter(s), 2);
	orsp_seal_close(s);

	/* Nothing readable in the files. */
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "isdr"), "hello");
	assert_int_equal(orsp_seal_read(s, "upp.a0", out, sizeof(out), &n), ORSP_OK);
	assert_int_equal(n, sizeof(big));
	assert_bytes_equal(out, big, sizeof(big));
	assert_int_equal(orsp_seal_read(s, "upp.a0", out, 10, &n), ORSP_E_RESOURCE);
	assert_int_equal(n, sizeof(big));
	assert_int_equal(orsp_seal_count(s), 3);
	assert_non_null(orsp_seal_name(s, 2));
	assert_null(orsp_seal_name(s, 3));
	/* replace and delete in one commit; the replaced file is gone */
	orsp_seal_record r2[2] = {{"isdr", (const uint8_t *)"world", 5}, {"upp.a0", NULL, 0}};
	assert_int_equal(orsp_seal_commit(s, r2, 2), ORSP_OK);
	assert_string_equal(get(s, "isdr"), "world");
	assert_string_equal(get(s, "upp.a0"), "");
	assert_int_equal(count_files(".rec"), 2);
	/* deleting an absent record is fine */
	orsp_seal_record r3 = {"nothing", NULL, 0};
	assert_int_equal(orsp_seal_commit(s, &r3, 1), ORSP_OK);
	orsp_seal_close(s);
	(void)big;
}

static void test_bad_arguments(void **state)
{
	orsp_seal *s = NULL;
	uint8_t b[4];
	size_t n;
	(void)state;

	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	const char *bad[] = {"",           "UPPER", "a/b",
	                     "with space", "../x",  "a23456789012345678901234567890123"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		orsp_seal_record r = {bad[i], (const uint8_t *)"x", 1};
		assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_USAGE);
		assert_int_equal(orsp_seal_read(s, bad[i], b, sizeof(b), &n), ORSP_E_USAGE);
	}
	orsp_seal_record dup[2] = {{"a", (const uint8_t *)"x", 1}, {"a", (const uint8_t *)"y", 1}};
	assert_int_equal(orsp_seal_commit(s, dup, 2), ORSP_E_USAGE);
	assert_string_equal(get(s, "a"), "");
	assert_int_equal(orsp_seal_counter(s), 0);
	orsp_seal_close(s);
}

/* ORSP_SEAL_MAX_RECORDS: a commit that would go past it is refused before it writes a file
 * (no unlisted record file stays behind) and leaves the handle usable; at the limit,
 * replacing and deleting still work, and a delete makes room in the same commit. */
static void test_record_limit(void **state)
{
	orsp_seal_record recs[ORSP_SEAL_MAX_RECORDS];
	char names[ORSP_SEAL_MAX_RECORDS][16];
	orsp_seal *s = NULL;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	for (size_t i = 0; i < ORSP_SEAL_MAX_RECORDS; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu", i);
		recs[i] = (orsp_seal_record){names[i], (const uint8_t *)"v", 1};
	}
	assert_int_equal(orsp_seal_commit(s, recs, ORSP_SEAL_MAX_RECORDS - 1), ORSP_OK);
	assert_int_equal(orsp_seal_count(s), ORSP_SEAL_MAX_RECORDS - 1);

	/* one too many, the first of them fitting: nothing written, nothing listed */
	orsp_seal_record two[2] = {{"new1", (const uint8_t *)"a", 1},
	                           {"new2", (const uint8_t *)"b", 1}};
	assert_int_equal(orsp_seal_commit(s, two, 2), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "more than"));
	assert_int_equal(orsp_seal_count(s), ORSP_SEAL_MAX_RECORDS - 1);
	assert_int_equal(count_files(".rec"), orsp_seal_count(s));
	assert_int_equal(count_files(".tmp"), 0);
	assert_int_equal(orsp_seal_counter(s), 1);

	/* the handle still works: up to the limit, then replace + delete + add at it */
	assert_int_equal(orsp_seal_commit(s, two, 1), ORSP_OK);
	assert_int_equal(orsp_seal_count(s), ORSP_SEAL_MAX_RECORDS);
	orsp_seal_record one = {"new3", (const uint8_t *)"c", 1};
	assert_int_equal(orsp_seal_commit(s, &one, 1), ORSP_E_USAGE);
	assert_int_equal(count_files(".rec"), ORSP_SEAL_MAX_RECORDS);
	orsp_seal_record swap[3] = {
	    {"r0", (const uint8_t *)"w", 1}, {"r1", NULL, 0}, {"new3", (const uint8_t *)"c", 1}};
	assert_int_equal(orsp_seal_commit(s, swap, 3), ORSP_OK);
	assert_int_equal(orsp_seal_count(s), ORSP_SEAL_MAX_RECORDS);
	assert_int_equal(count_files(".rec"), ORSP_SEAL_MAX_RECORDS);
	orsp_seal_close(s);

	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_count(s), ORSP_SEAL_MAX_RECORDS);
	assert_string_equal(get(s, "r0"), "w");
	assert_string_equal(get(s, "r1"), "");
	assert_string_equal(get(s, "new3"), "c");
	orsp_seal_close(s);
}

/* A crash before every single write step of a commit: reopening gives exactly the old or
 * the new set, and no stray files stay behind. */
static void test_crash_every_step(void **state)
{
	int saw_old = 0, saw_new = 0;
	char steps[512] = "";
	(void)state;

	for (unsigned k = 1;; k++) {
		orsp_seal *s = NULL;
		orsp_err e;
		char sub[64];
		snprintf(sub, sizeof(sub), "crash%u", k);
		snprintf(dir, sizeof(dir), "%.900s/%s", test_tmpdir("seal"), sub);
		assert_int_equal(orsp_seal_create(dir), ORSP_OK);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		put(s, "isdr", "old-isdr");
		put(s, "upp.1", "old-profile");
		put(s, "keep", "kept");
		orsp_seal_record r[3] = {{"isdr", (const uint8_t *)"new-isdr", 8},
		                         {"upp.1", NULL, 0},
		                         {"upp.2", (const uint8_t *)"new-profile", 11}};
		orsp_seal_inject_crash(s, k);
		e = orsp_seal_commit(s, r, 3);
		if (e == ORSP_OK) {
			orsp_seal_close(s);
			assert_true(k > 5);
			break;
		}
		assert_int_equal(e, ORSP_E_STORAGE);
		const char *what = strstr(orsp_err_detail(), "simulated crash before ");
		assert_non_null(what);
		snprintf(steps + strlen(steps), sizeof(steps) - strlen(steps), "%s%s",
		         steps[0] ? ", " : "", what + strlen("simulated crash before "));
		/* a dead handle refuses everything */
		assert_int_equal(orsp_seal_commit(s, r, 1), ORSP_E_STORAGE);
		orsp_seal_close(s);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		assert_string_equal(get(s, "keep"), "kept");
		if (strcmp(get(s, "isdr"), "old-isdr") == 0) {
			assert_string_equal(get(s, "upp.1"), "old-profile");
			assert_string_equal(get(s, "upp.2"), "");
			assert_int_equal(orsp_seal_counter(s), 3);
			saw_old++;
		} else {
			assert_string_equal(get(s, "isdr"), "new-isdr");
			assert_string_equal(get(s, "upp.1"), "");
			assert_string_equal(get(s, "upp.2"), "new-profile");
			assert_int_equal(orsp_seal_counter(s), 4);
			saw_new++;
		}
		/* orphans of the unfinished commit are gone */
		assert_int_equal(count_files(".rec"), orsp_seal_count(s));
		assert_int_equal(count_files(".tmp"), 0);
		/* and the store goes on working */
		put(s, "after", "ok");
		orsp_seal_close(s);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		assert_string_equal(get(s, "after"), "ok");
		orsp_seal_close(s);
	}
	assert_true(saw_old >= 4); /* two record writes + fsyncs, manifest write... */
	assert_true(saw_new >= 2); /* directory fsync, counter advance, unlink */
	/* The order of the write steps: the new records' directory entries are made durable
	 * before the manifest that names them is written (a power cut cannot be simulated
	 * here; this pins the order of the calls). */
	assert_string_equal(steps, "write, fsync, write, fsync, directory fsync of the records, "
	                           "write, fsync, rename, directory fsync, counter advance, "
	                           "unlink, unlink");
}

/* A record that does not authenticate is named, with its file, as the other refusals of a
 * record are: until session 78 the message said "sealed record" alone, and the operator could
 * not tell which of the store's files was damaged. */
static void test_tamper_named(void **state)
{
	orsp_seal *s = NULL;
	uint8_t b[64];
	size_t n = 0;
	char f[4200] = "", want[80];
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "keep", "kept");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "isdr", "the state");
	orsp_seal_close(s);
	/* the newest record file is isdr's (the higher generation) */
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".rec") && strcmp(de->d_name, base(f)) > 0)
			snprintf(f, sizeof(f), "%s", in(de->d_name));
	closedir(d);
	assert_true(f[0]);
	flip_byte(f, 30);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "keep"), "kept");
	assert_int_equal(orsp_seal_read(s, "isdr", b, sizeof(b), &n), ORSP_E_VERIFY);
	snprintf(want, sizeof(want), "sealed store: record 'isdr' (%s): does not authenticate",
	         base(f));
	assert_non_null(strstr(orsp_err_detail(), want));
	orsp_seal_close(s);
}

static void test_tamper(void **state)
{
	orsp_seal *s = NULL;
	uint8_t b[64];
	size_t n;
	char f1[4200] = "", f2[4200] = "";
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "a", "alpha");
	put(s, "b", "bravo");
	orsp_seal_close(s);
	/* find the two record files */
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".rec"))
			snprintf(f1[0] ? f2 : f1, 4200, "%s", in(de->d_name));
	closedir(d);
	assert_true(f1[0] && f2[0]);

	/* swap the two record files: both fail (name/generation bound in the AAD) */
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.x", f1);
	assert_int_equal(rename(f1, tmp), 0);
	assert_int_equal(rename(f2, f1), 0);
	assert_int_equal(rename(tmp, f2), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_read(s, "a", b, sizeof(b), &n), ORSP_E_VERIFY);
	assert_int_equal(orsp_seal_read(s, "b", b, sizeof(b), &n), ORSP_E_VERIFY);
	orsp_seal_close(s);
	assert_int_equal(rename(f1, tmp), 0);
	assert_int_equal(rename(f2, f1), 0);
	assert_int_equal(rename(tmp, f2), 0);

	/* a flipped byte in a record (ciphertext, tag) */
	for (long off = 8; off < 40; off += 12) {
		flip_byte(f1, off);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		orsp_err e1 = orsp_seal_read(s, "a", b, sizeof(b), &n);
		orsp_err e2 = orsp_seal_read(s, "b", b, sizeof(b), &n);
		assert_true(e1 == ORSP_E_VERIFY || e2 == ORSP_E_VERIFY);
		orsp_seal_close(s);
		flip_byte(f1, off);
	}
	/* a record file deleted */
	copy_file(f1, tmp);
	unlink(f1);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_true(orsp_seal_read(s, "a", b, sizeof(b), &n) == ORSP_E_VERIFY ||
	            orsp_seal_read(s, "b", b, sizeof(b), &n) == ORSP_E_VERIFY);
	orsp_seal_close(s);
	copy_file(tmp, f1);
	/* a flipped byte in the manifest, anywhere */
	for (long off = 0; off < 60; off += 7) {
		flip_byte(in("manifest"), off);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
		flip_byte(in("manifest"), off);
	}
	flip_byte(in("manifest"), -1);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	flip_byte(in("manifest"), -1);
	/* intact again */
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	assert_string_equal(get(s, "b"), "bravo");
	orsp_seal_close(s);
}

static void test_rollback(void **state)
{
	orsp_seal *s = NULL;
	char saved[1100], rec_saved[4200];
	(void)state;

	create_with("isdr", "state-1");

	/* keep a copy of state 1 (manifest + its record) */
	snprintf(saved, sizeof(saved), "%.1020s.old", dir);
	assert_int_equal(mkdir(saved, 0700), 0);
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "manifest") == 0 || strstr(de->d_name, ".rec")) {
			snprintf(rec_saved, sizeof(rec_saved), "%s/%.255s", saved, de->d_name);
			copy_file(in(de->d_name), rec_saved);
		}
	}
	closedir(d);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "isdr", "state-2");
	orsp_seal_close(s);
	/* put state 1 back (without the counter): refused as a rollback */
	d = opendir(saved);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(rec_saved, sizeof(rec_saved), "%s/%.255s", saved, de->d_name);
		copy_file(rec_saved, in(de->d_name));
	}
	closedir(d);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	/* a counter that lags by one (crash between manifest and counter) is repaired */
	assert_int_equal(orsp_seal_create(in("lag")), ORSP_OK);
	char lag[1024];
	snprintf(lag, sizeof(lag), "%.1000s/lag", dir);
	snprintf(dir, sizeof(dir), "%s", lag);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "x", "1");
	put(s, "x", "2");
	orsp_seal_close(s);
	uint8_t c1[8] = {0, 0, 0, 0, 0, 0, 0, 1}, c0[8] = {0};
	FILE *f = fopen(in("counter"), "wb");
	fwrite(c1, 1, 8, f);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "x"), "2");
	orsp_seal_close(s);
	/* a counter further behind is refused */
	f = fopen(in("counter"), "wb");
	fwrite(c0, 1, 8, f);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	/* a damaged counter file */
	f = fopen(in("counter"), "wb");
	fwrite(c0, 1, 3, f);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	/* no counter beside a manifest and records: a store tampered with or partly removed,
	 * not "no store" (ORSP_E_NOT_FOUND), and create does not take it for an empty place */
	assert_int_equal(unlink(in("counter")), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "monotonic counter is missing"));
	assert_null(s);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
}

static void test_key_file(void **state)
{
	orsp_seal *s = NULL;
	uint8_t other[32];
	char key[1100], saved[1100];
	(void)state;

	snprintf(key, sizeof(key), "%s/device.key", dir);
	snprintf(saved, sizeof(saved), "%s/key.saved", dir);

	create_with("a", "alpha");
	/* readable by others */
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "chmod 600"));
	assert_int_equal(chmod(key, 0600), 0);
	/* another device's key */
	copy_file(key, saved);
	memset(other, 0x5a, sizeof(other));
	FILE *f = fopen(key, "wb");
	fwrite(other, 1, sizeof(other), f);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	/* a short key */
	f = fopen(key, "wb");
	fwrite(other, 1, 16, f);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "a device key has 32 bytes, this file 16"));
	/* no key beside a manifest: a damaged store, not "no store" */
	unlink(key);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "device key is missing"));
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	/* a symlink is not accepted */
	assert_int_equal(symlink(saved, key), 0);
	assert_int_not_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	unlink(key);
	copy_file(saved, key);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
}

/* What stands where the store keeps a file of its own: a FIFO (open() of one blocks until a
 * writer comes; the alarm ends such a hang), a directory or a symbolic link (to the file
 * itself, or dangling: a manifest so is tampering, not "no store") is refused at once, the device
 * key's with ORSP_E_POLICY, the manifest's, the counter's and a record's with ORSP_E_VERIFY; with
 * the file back, the store is intact. */
static void test_not_regular(void **state)
{
	const char *files[] = {"device.key", "manifest", "counter", NULL};
	static const char *const kinds[] = {"fifo", "directory", "symlink", "dangling symlink"};
	char rec[256] = "", saved[4200];
	orsp_seal *s = NULL;
	struct dirent *de;
	DIR *d;
	(void)state;

	create_with("a", "alpha");
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".rec"))
			snprintf(rec, sizeof(rec), "%.200s", de->d_name);
	closedir(d);
	assert_true(rec[0]);
	files[3] = rec;
	snprintf(saved, sizeof(saved), "%s", in("saved"));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(files); i++) {
		for (size_t k = 0; k < ORSP_ARRAY_LEN(kinds); k++) {
			char path[4200];
			orsp_err e;
			snprintf(path, sizeof(path), "%s", in(files[i]));
			assert_int_equal(rename(path, saved), 0);
			if (k == 0)
				assert_int_equal(mkfifo(path, 0600), 0);
			else if (k == 1)
				assert_int_equal(mkdir(path, 0700), 0);
			else if (k == 2)
				assert_int_equal(symlink(saved, path), 0);
			else
				assert_int_equal(symlink(in("nowhere"), path), 0);
			alarm(20);
			e = orsp_seal_open(dir, NULL, &s);
			if (files[i] == rec) {
				uint8_t b[64];
				size_t n;
				assert_int_equal(e, ORSP_OK);
				e = orsp_seal_read(s, "a", b, sizeof(b), &n);
				orsp_seal_close(s);
			}
			alarm(0);
			if (e != (i == 0 ? ORSP_E_POLICY : ORSP_E_VERIFY) ||
			    !strstr(orsp_err_detail(), "not a regular file"))
				fail_msg("%s as a %s: %s (%s)", files[i], kinds[k], orsp_err_str(e),
				         orsp_err_detail());
			/* and create does not take it for a creation that did not finish */
			if (i == 1 && (orsp_seal_create(dir) != ORSP_E_EXISTS ||
			               !strstr(orsp_err_detail(), "holds a sealed store already")))
				fail_msg("create, manifest as a %s: %s", kinds[k],
				         orsp_err_detail());
			assert_int_equal(k == 1 ? rmdir(path) : unlink(path), 0);
			assert_int_equal(rename(saved, path), 0);
		}
	}
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
}

/* The one record file in dir, its name into out. */
static void find_rec(char out[256])
{
	DIR *d = opendir(dir);
	struct dirent *de;
	out[0] = '\0';
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".rec"))
			snprintf(out, 256, "%.200s", de->d_name);
	closedir(d);
	assert_true(out[0]);
}

/* Writes n bytes of b to path (0600), replacing it. */
static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
}

/* Files of the store cut short or grown: a record one byte short or one byte long, a
 * counter of 9 bytes, a manifest larger than any the store writes, a device key of 33 or 0
 * bytes: each refused (ORSP_E_VERIFY) for its size, before its bytes are trusted; put back,
 * the store is intact. */
static void test_file_sizes(void **state)
{
	orsp_seal *s = NULL;
	char rec[256], saved[4200], path[4200];
	uint8_t b[64], *big;
	size_t n = 0, len = 0;
	(void)state;

	create_with("a", "alpha");
	find_rec(rec);
	snprintf(path, sizeof(path), "%s", in(rec));
	snprintf(saved, sizeof(saved), "%s", in("saved"));
	copy_file(path, saved);
	uint8_t *r = test_read_file(path, &len);
	assert_non_null(r);
	/* a record one byte short: its size is not the manifest's */
	write_bytes(path, r, len - 1);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_read(s, "a", b, sizeof(b), &n), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(), "sealed store: record 'a' has the wrong size");
	orsp_seal_close(s);
	/* a record one byte long: refused as larger than expected */
	big = calloc(1, len + 1);
	assert_non_null(big);
	memcpy(big, r, len);
	write_bytes(path, big, len + 1);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_read(s, "a", b, sizeof(b), &n), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), ": larger than expected"));
	orsp_seal_close(s);
	free(big);
	free(r);
	copy_file(saved, path);
	/* a counter of 9 bytes: not an 8-byte counter, and not read as one */
	{
		uint8_t c[9] = {0, 0, 0, 0, 0, 0, 0, 1, 0};
		copy_file(in("counter"), saved);
		write_bytes(in("counter"), c, sizeof(c));
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
		assert_non_null(strstr(orsp_err_detail(), "counter: larger than expected"));
		assert_null(s);
		copy_file(saved, in("counter"));
	}
	/* a manifest of 1 MiB: larger than the largest the store writes */
	big = calloc(1, 1 << 20);
	assert_non_null(big);
	copy_file(in("manifest"), saved);
	write_bytes(in("manifest"), big, 1 << 20);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "manifest: larger than expected"));
	assert_null(s);
	copy_file(saved, in("manifest"));
	/* a device key of 33 bytes: no key of this store */
	copy_file(in("device.key"), saved);
	write_bytes(in("device.key"), big, 33);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "device.key: larger than expected"));
	assert_null(s);
	/* an empty device key: refused alike, for its size (16 bytes: test_key_file) */
	write_bytes(in("device.key"), big, 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(
	    strstr(orsp_err_detail(), "device.key: a device key has 32 bytes, this file 0"));
	assert_null(s);
	copy_file(saved, in("device.key"));
	free(big);
	/* intact again */
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
}

/* A record file of a commit that died before its manifest (the crash injected before the
 * records' directory fsync) shares its generation with the next commit's record of that
 * name: sealed under the same key, name and generation, it opens. Put back in place of the
 * committed one it is refused by the manifest's digest, not read as the record. */
static void test_record_replayed(void **state)
{
	orsp_seal *s = NULL;
	char rec[256], early[256], saved[4200];
	uint8_t b[64];
	size_t n = 0;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	orsp_seal_record r1 = {"a", (const uint8_t *)"one", 3};
	orsp_seal_inject_crash(s, 3); /* write, fsync, then the records' directory fsync */
	assert_int_equal(orsp_seal_commit(s, &r1, 1), ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), "before directory fsync of the records"));
	find_rec(early);
	snprintf(saved, sizeof(saved), "%s", in("saved"));
	copy_file(in(early), saved);
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK); /* removes the orphan */
	assert_int_equal(orsp_seal_count(s), 0);
	put(s, "a", "two");
	orsp_seal_close(s);
	find_rec(rec);
	assert_string_equal(rec, early); /* the same generation */
	copy_file(saved, in(rec));
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	memset(b, 0x55, sizeof(b));
	assert_int_equal(orsp_seal_read(s, "a", b, sizeof(b), &n), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "sealed store: record 'a' does not match the manifest");
	for (size_t i = 0; i < 3; i++) /* the decrypted bytes are not left to the caller */
		assert_int_equal(b[i], 0);
	orsp_seal_close(s);
}

static void assert_regular(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

/* A symbolic link (to a file outside the store) or a FIFO where the store is about to write
 * one of its files (the temporary counter and manifest, the next record files, the counter
 * of a store being created) is removed and the file made anew: nothing is written through
 * the link, nothing waits on the FIFO (the alarm ends such a hang), and the commit and the
 * create succeed. */
static void test_planted(void **state)
{
	char victim[1100], rec[64];
	orsp_seal *s = NULL;
	FILE *f;
	(void)state;

	snprintf(victim, sizeof(victim), "%.1000s.victim", dir);
	f = fopen(victim, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite("precious data\n", 1, 14, f), 14);
	fclose(f);

	/* create, in a directory that holds a link at the counter and the manifest's temp */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(symlink(victim, in("counter")), 0);
	assert_int_equal(symlink(victim, in("manifest.tmp")), 0);
	alarm(20);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	alarm(0);
	test_file_check(victim, (const uint8_t *)"precious data\n", 14);
	assert_regular(in("counter"));
	assert_regular(in("manifest"));

	/* a commit: links and FIFOs at the temporary files and at the next two record files
	 * (generations 1 and 2: the store has none yet) */
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(symlink(victim, in("counter.tmp")), 0);
	assert_int_equal(mkfifo(in("manifest.tmp"), 0600), 0);
	snprintf(rec, sizeof(rec), "r%016llx.rec", 1ull);
	assert_int_equal(symlink(victim, in(rec)), 0);
	snprintf(rec, sizeof(rec), "r%016llx.rec", 2ull);
	assert_int_equal(mkfifo(in(rec), 0600), 0);
	orsp_seal_record r[2] = {{"a", (const uint8_t *)"alpha", 5},
	                         {"b", (const uint8_t *)"bravo", 5}};
	alarm(20);
	orsp_err e = orsp_seal_commit(s, r, 2);
	alarm(0);
	if (e != ORSP_OK)
		fail_msg("commit: %s (%s)", orsp_err_str(e), orsp_err_detail());
	orsp_seal_close(s);
	test_file_check(victim, (const uint8_t *)"precious data\n", 14);
	assert_regular(in("counter"));
	assert_regular(in(rec));
	snprintf(rec, sizeof(rec), "r%016llx.rec", 1ull);
	assert_regular(in(rec));
	assert_int_equal(count_files(".tmp"), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	assert_string_equal(get(s, "b"), "bravo");
	assert_int_equal(orsp_seal_counter(s), 1);
	orsp_seal_close(s);
}

/* A store's directory that group or others may write in is refused by create (which then
 * writes nothing in it and leaves it there) and by open, saying how to fix it; one that they
 * may only read is taken. */
static void test_dir_mode(void **state)
{
	static const mode_t refused[] = {0777, 0770, 0730, 0702, 01777};
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
		assert_int_equal(chmod(dir, refused[i]), 0);
		assert_int_equal(orsp_seal_create(dir), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "chmod go-w"));
		assert_int_equal(stat(dir, &st), 0);
		assert_int_equal(count_files(""), 2); /* . and .. */
	}
	assert_int_equal(chmod(dir, 0755), 0);
	create_with("a", "alpha");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
		assert_int_equal(chmod(dir, refused[i]), 0);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "chmod go-w"));
		assert_null(s);
	}
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
}

/* A store made at path, holding "a" = value. */
static void store_made(const char *path, const char *value)
{
	orsp_seal *s = NULL;

	assert_int_equal(orsp_seal_create(path), ORSP_OK);
	assert_int_equal(orsp_seal_open(path, NULL, &s), ORSP_OK);
	put(s, "a", value);
	orsp_seal_close(s);
}

/* The directories above the store count as much as its own (docs/seal.md, "The directory and
 * its path"): whoever may rename the store's directory, or repoint a link on its path, puts an
 * older copy of the whole store in its place (a storage review: a 0777 parent, `mv dev dev.cur
 * && mv dev.bak dev`, and the old state was opened without a word). Create, open and destroy
 * refuse such a path, saying which directory and what to do; a sticky directory (as /tmp) is
 * taken when the store's own directory is the user's; a link of the user's own higher on the
 * path is followed, its target's directories judged. */
static void test_parent_dirs(void **state)
{
	char base[1024], parent[1100], d[1200], ln[1200], pl[1200], via[1300];
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	snprintf(base, sizeof(base), "%.1000s", test_tmpdir("sealpath"));
	snprintf(parent, sizeof(parent), "%s/pw", base);
	snprintf(d, sizeof(d), "%s/dev", parent);
	assert_int_equal(mkdir(parent, 0755), 0);
	/* others (or the group) may write in the parent: refused, nothing made */
	static const mode_t refused[] = {0777, 0775, 0757};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
		assert_int_equal(chmod(parent, refused[i]), 0);
		assert_int_equal(orsp_seal_create(d), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "chmod go-w"));
		assert_non_null(strstr(orsp_err_detail(), parent));
		assert_int_not_equal(stat(d, &st), 0);
	}
	assert_int_equal(chmod(parent, 0755), 0);
	store_made(d, "one");
	/* made writable afterwards: open refused, and destroy */
	assert_int_equal(chmod(parent, 0777), 0);
	assert_int_equal(orsp_seal_open(d, NULL, &s), ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "group or others may write in the directory"));
	assert_int_equal(orsp_seal_destroy(d), ORSP_E_POLICY);
	/* sticky, as /tmp: the store's directory is this user's own, taken */
	assert_int_equal(chmod(parent, 01777), 0);
	assert_int_equal(orsp_seal_open(d, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "one");
	orsp_seal_close(s);
	s = NULL;
	assert_int_equal(chmod(parent, 0755), 0);

	/* the store's path a symbolic link: refused by each, the store untouched */
	snprintf(ln, sizeof(ln), "%s/ln", base);
	assert_int_equal(symlink(d, ln), 0);
	assert_int_equal(orsp_seal_open(ln, NULL, &s), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "symbolic link"));
	assert_int_equal(orsp_seal_create(ln), ORSP_E_POLICY);
	assert_int_equal(orsp_seal_destroy(ln), ORSP_E_POLICY);
	assert_int_equal(lstat(ln, &st), 0);
	/* and followed only by "." (the link the last name all the same: opened until the
	 * review of session 74) */
	static const char *dots[] = {"/.", "/./", "//.//./"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(dots); i++) {
		snprintf(via, sizeof(via), "%s%s", ln, dots[i]);
		assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_E_POLICY);
		assert_null(s);
		assert_non_null(strstr(orsp_err_detail(), "a symbolic link; name the directory"));
		assert_int_equal(orsp_seal_create(via), ORSP_E_POLICY);
		assert_int_equal(orsp_seal_destroy(via), ORSP_E_POLICY);
	}
	/* the directory itself followed by "." is the directory */
	snprintf(via, sizeof(via), "%s/.", d);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
	s = NULL;
	/* a link higher on the path, the user's own: followed, its target's directories judged */
	snprintf(pl, sizeof(pl), "%s/pl", base);
	assert_int_equal(symlink(parent, pl), 0);
	snprintf(via, sizeof(via), "%s/dev", pl);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
	s = NULL;
	assert_int_equal(chmod(parent, 0777), 0);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), parent));
	assert_int_equal(chmod(parent, 0755), 0);
	/* "." and ".." on the path */
	snprintf(via, sizeof(via), "%s/../pw/./dev", pl);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "one");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_destroy(d), ORSP_OK);
}

/* Another user's directory or link on the store's path (run as root: chown makes them; skipped
 * otherwise): in a sticky directory such as /tmp that user may rename what is theirs, so a link
 * of theirs there (the review's `ln -s .../A sh/dev`, repointed later to A.bak) or a directory
 * of theirs anywhere on the path is refused; the same link made the user's own is taken. */
static void test_path_other_user(void **state)
{
	char base[1024], sh[1100], other[1200], od[1300], lnk[1200], via[1300], a[1100];
	orsp_seal *s = NULL;
	(void)state;

	if (geteuid() != 0)
		skip();
	snprintf(base, sizeof(base), "%.1000s", test_tmpdir("sealuser"));
	snprintf(sh, sizeof(sh), "%s/sh", base);
	assert_int_equal(mkdir(sh, 0755), 0);
	assert_int_equal(chmod(sh, 01777), 0);
	/* a directory of another user's in the sticky directory */
	snprintf(other, sizeof(other), "%s/other", sh);
	snprintf(od, sizeof(od), "%s/dev", other);
	assert_int_equal(mkdir(other, 0755), 0);
	assert_int_equal(chown(other, 65534, 65534), 0);
	assert_int_equal(orsp_seal_create(od), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "uid 65534"));
	/* the store in A, reached through another user's link in the sticky directory */
	snprintf(a, sizeof(a), "%s/A", base);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(orsp_seal_create(a), ORSP_OK);
	snprintf(lnk, sizeof(lnk), "%s/lnk", sh);
	assert_int_equal(symlink(base, lnk), 0);
	assert_int_equal(lchown(lnk, 65534, 65534), 0);
	snprintf(via, sizeof(via), "%s/A", lnk);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "uid 65534"));
	assert_non_null(strstr(orsp_err_detail(), lnk));
	/* the link this user's own: taken */
	assert_int_equal(lchown(lnk, 0, 0), 0);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
	s = NULL;
	/* a directory of another user's higher on the path, not writable by others */
	assert_int_equal(chmod(sh, 0755), 0);
	assert_int_equal(chown(sh, 65534, 65534), 0);
	assert_int_equal(orsp_seal_open(via, NULL, &s), ORSP_E_POLICY);
	/* what to do: not "chown it", which would take another user's directory (a home) from
	 * them (so the message said until session 74, with "in its place") */
	assert_non_null(strstr(orsp_err_detail(), "that user may put anything in it; choose a "
	                                          "path of your own (or run as that user)"));
	assert_null(strstr(orsp_err_detail(), "chown"));
	assert_int_equal(orsp_seal_destroy(a), ORSP_OK);
}

/* The store's parent swapped for a link between the walk that judged the path and the open
 * (the test hook, at the last name): the link, this user's own, points to a directory others
 * may write in, holding another store. Until session 74 the path was judged, then opened
 * again by name (links followed): that other store was opened. Now each step is opened from
 * the one before, and the store judged is the one opened. */
static char pswap_parent[1100], pswap_moved[1100], pswap_to[1100];

static void swap_parent_for_link(const char *path)
{
	(void)path;
	orsp__path_test_hook(NULL);
	assert_int_equal(rename(pswap_parent, pswap_moved), 0);
	assert_int_equal(symlink(pswap_to, pswap_parent), 0);
}

/* A new directory named name with p (the store's parent, pswap_parent), w (pswap_to, where
 * the link goes) in it, and the names of dev in both: d in p, w in w. */
static void pswap_dirs(const char *name, char d[static 1200], char w[static 1200])
{
	char base[1024];

	snprintf(base, sizeof(base), "%.1000s", test_tmpdir(name));
	snprintf(pswap_parent, sizeof(pswap_parent), "%s/p", base);
	snprintf(pswap_moved, sizeof(pswap_moved), "%s/p.cur", base);
	snprintf(pswap_to, sizeof(pswap_to), "%s/w", base);
	assert_int_equal(mkdir(pswap_parent, 0755), 0);
	assert_int_equal(mkdir(pswap_to, 0755), 0);
	snprintf(d, 1200, "%s/dev", pswap_parent);
	snprintf(w, 1200, "%s/dev", pswap_to);
}

static void test_path_swapped_after_check(void **state)
{
	char d[1200], w[1200];
	orsp_seal *s = NULL;
	(void)state;

	pswap_dirs("sealswap", d, w);
	store_made(d, "judged");
	store_made(w, "other");
	assert_int_equal(chmod(pswap_to, 0777), 0);
	assert_int_equal(orsp_seal_open(w, NULL, &s), ORSP_E_POLICY);

	orsp__path_test_hook(swap_parent_for_link);
	assert_int_equal(orsp_seal_open(d, NULL, &s), ORSP_OK);
	orsp__path_test_hook(NULL);
	assert_string_equal(get(s, "a"), "judged");
	orsp_seal_close(s);
}

/* The store's parent swapped for a link (this user's own, to another directory of theirs)
 * right before create makes the store's directory, through the wrapped mkdir and mkdirat
 * (tests/CMakeLists.txt). Until session 75 create judged the path, then made the directory by
 * its path (mkdir): it was made, and the store created, in the link's target. It is now made
 * by its name in the parent judged (mkdirat), which the rename took along; open_dir, judging
 * the path again, finds no directory at it, and create fails with nothing made anywhere. */
int __real_mkdir(const char *path, mode_t mode);
int __wrap_mkdir(const char *path, mode_t mode);
int __real_mkdirat(int fd, const char *path, mode_t mode);
int __wrap_mkdirat(int fd, const char *path, mode_t mode);
static bool mkdir_swaps; /* the next mkdir or mkdirat first swaps pswap_parent for a link */

static void swap_before_mkdir(void)
{
	if (mkdir_swaps) {
		mkdir_swaps = false;
		swap_parent_for_link(NULL);
	}
}

int __wrap_mkdir(const char *path, mode_t mode)
{
	swap_before_mkdir();
	return __real_mkdir(path, mode);
}

int __wrap_mkdirat(int fd, const char *path, mode_t mode)
{
	swap_before_mkdir();
	return __real_mkdirat(fd, path, mode);
}

static void test_create_parent_swapped(void **state)
{
	char d[1200], moved[1200], w[1200];
	struct stat st;
	(void)state;

	pswap_dirs("sealmkdir", d, w);
	snprintf(moved, sizeof(moved), "%s/dev", pswap_moved);

	mkdir_swaps = true;
	assert_int_not_equal(orsp_seal_create(d), ORSP_OK);
	assert_false(mkdir_swaps);
	assert_int_not_equal(lstat(w, &st), 0);     /* nothing made through the link */
	assert_int_not_equal(lstat(moved, &st), 0); /* the directory made is removed again */
	/* nothing swapped: made where the path says */
	assert_int_equal(unlink(pswap_parent), 0);
	assert_int_equal(rename(pswap_moved, pswap_parent), 0);
	assert_int_equal(orsp_seal_create(d), ORSP_OK);
	assert_int_equal(orsp_seal_destroy(d), ORSP_OK);
	orsp_err_clear();
}

/* A relative path whose working directory's path is longer than PATH_MAX cannot be judged
 * (getcwd fails): refused saying to give an absolute path (until session 74: "cannot read the
 * working directory: Numerical result out of range"). */
static int cwd_home = -1; /* the working directory before test_relative_long_cwd */

static int cwd_back(void **state)
{
	(void)state;
	if (cwd_home >= 0 && fchdir(cwd_home) != 0)
		return -1;
	if (cwd_home >= 0)
		close(cwd_home);
	cwd_home = -1;
	return 0;
}

static void test_relative_long_cwd(void **state)
{
	char name[201];
	orsp_seal *s = NULL;
	int depth = 0;
	(void)state;

	memset(name, 'd', 200);
	name[200] = '\0';
	cwd_home = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(cwd_home >= 0);
	assert_int_equal(chdir(test_tmpdir("sealcwd")), 0);
	while (depth * 201 <= PATH_MAX) {
		assert_int_equal(mkdir(name, 0700), 0);
		assert_int_equal(chdir(name), 0);
		depth++;
	}
	assert_int_equal(orsp_seal_open("st", NULL, &s), ORSP_E_USAGE);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "st: the working directory's path is too long "
	                                          "to check"));
	assert_non_null(strstr(orsp_err_detail(), "give an absolute path"));
	assert_int_equal(orsp_seal_create("st"), ORSP_E_USAGE);
	assert_int_not_equal(access("st", F_OK), 0);
	while (depth-- > 0) {
		assert_int_equal(chdir(".."), 0);
		assert_int_equal(rmdir(name), 0);
	}
}

/* All the store's files copied to the directory side (made). */
static void store_copy(const char *side)
{
	char from[4200], to[4200];
	struct dirent *de;
	DIR *d;

	assert_int_equal(mkdir(side, 0700), 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%.2000s/%.255s", dir, de->d_name);
		snprintf(to, sizeof(to), "%.2000s/%.255s", side, de->d_name);
		copy_file(from, to);
	}
	closedir(d);
}

/* A handle reaches every file of its store through the directory it opened, for its whole life:
 * the directory renamed and another (an older copy) put at its path meanwhile takes none of its
 * commits and is not read (its files were reached by their path, each time, until session 74:
 * the commit below went into the copy). */
static void test_handle_keeps_dir(void **state)
{
	char side[1100], cur[1100];
	orsp_seal *s = NULL;
	(void)state;

	snprintf(side, sizeof(side), "%.1000s.bak", dir);
	snprintf(cur, sizeof(cur), "%.1000s.cur", dir);
	create_with("a", "one");
	store_copy(side);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(rename(dir, cur), 0);
	assert_int_equal(rename(side, dir), 0);
	put(s, "a", "two");
	put(s, "b", "three");
	assert_string_equal(get(s, "a"), "two");
	orsp_seal_close(s);
	s = NULL;
	assert_int_equal(orsp_seal_open(cur, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "two");
	assert_string_equal(get(s, "b"), "three");
	orsp_seal_close(s);
	s = NULL;
	/* the copy is as it was */
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "one");
	assert_string_equal(get(s, "b"), "");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_destroy(cur), ORSP_OK);
}

/* The store's files that group or others may write (they could put an older counter back, or
 * other bytes in the manifest or a record) and a directory or file another user owns are
 * refused (ORSP_E_POLICY), as ssh refuses such key files; with the mode or owner back, the
 * store opens. The owner cases need root (chown). */
static void test_file_owner_mode(void **state)
{
	static const char *const files[] = {"counter", "manifest", "r0000000000000001.rec"};
	static const mode_t refused[] = {0620, 0602, 0666};
	orsp_seal *s = NULL;
	uint8_t buf[16];
	size_t n;
	(void)state;

	create_with("a", "alpha");
	for (size_t f = 0; f < ORSP_ARRAY_LEN(files); f++) {
		for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
			orsp_err e;
			assert_int_equal(chmod(in(files[f]), refused[i]), 0);
			e = orsp_seal_open(dir, NULL, &s);
			if (f == 2) { /* a record: when it is read */
				assert_int_equal(e, ORSP_OK);
				e = orsp_seal_read(s, "a", buf, sizeof(buf), &n);
				orsp_seal_close(s);
				s = NULL;
			}
			assert_int_equal(e, ORSP_E_POLICY);
			assert_non_null(strstr(orsp_err_detail(), "chmod go-w"));
			assert_null(s);
		}
		assert_int_equal(chmod(in(files[f]), 0644), 0); /* readable only: taken */
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		assert_string_equal(get(s, "a"), "alpha");
		orsp_seal_close(s);
		assert_int_equal(chmod(in(files[f]), 0600), 0);
	}
	if (geteuid() != 0) {
		print_message("not root: the owner cases are skipped\n");
		return;
	}
	static const char *const owned[] = {"", "counter", "manifest", "device.key"};
	for (size_t f = 0; f < ORSP_ARRAY_LEN(owned); f++) {
		const char *p = owned[f][0] ? in(owned[f]) : dir;
		assert_int_equal(chown(p, 65534, (gid_t)-1), 0);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "owned by uid 65534"));
		assert_null(s);
		assert_int_equal(chown(p, 0, (gid_t)-1), 0);
	}
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
	/* create in a directory another user owns */
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, 65534, (gid_t)-1), 0);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_POLICY);
	assert_int_equal(count_files(""), 2); /* . and .. */
}

/* Between the key file's checks and the read: device.key becomes a symlink to a file that
 * others may read, holding another key. */
static char swap_to[4200];

static orsp_err swap_key(const char *point, void *arg)
{
	(void)arg;
	if (strcmp(point, "open: device key checked") == 0) {
		char key[4200];
		snprintf(key, sizeof(key), "%s", in("device.key"));
		assert_int_equal(rename(key, in("key.checked")), 0);
		assert_int_equal(symlink(swap_to, key), 0);
	}
	return ORSP_OK;
}

/* The key is read from the file that was checked, not from the path opened again. */
static void test_key_file_swapped(void **state)
{
	orsp_seal *s = NULL;
	uint8_t other[32];
	(void)state;

	create_with("a", "alpha");
	snprintf(swap_to, sizeof(swap_to), "%s/other.key", dir);
	memset(other, 0x5a, sizeof(other));
	FILE *f = fopen(swap_to, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(other, 1, sizeof(other), f), sizeof(other));
	fclose(f);
	assert_int_equal(chmod(swap_to, 0644), 0);

	orsp_seal_set_test_hook(swap_key, NULL);
	orsp_err e = orsp_seal_open(dir, NULL, &s);
	orsp_seal_set_test_hook(NULL, NULL);
	if (e != ORSP_OK)
		fail_msg("open: %s (%s)", orsp_err_str(e), orsp_err_detail());
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
	/* what the path names now is refused on the next open */
	assert_int_not_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_null(s);
}

/* A provider standing in for a TPM or TEE: a key of its own, never written to the store's
 * directory, and a counter that need not start at 0. fail: the callback named fails. */
typedef struct mem_prov {
	uint8_t key[32];
	uint64_t counter;
	int keys, reads, advances, closes;
	const char *fail;
} mem_prov;

static orsp_err mp_key(void *u, uint8_t key[32])
{
	mem_prov *m = u;
	m->keys++;
	if (m->fail && strcmp(m->fail, "key") == 0)
		return orsp_errf(ORSP_E_STORAGE, "test provider: no key");
	memcpy(key, m->key, 32);
	return ORSP_OK;
}

static orsp_err mp_read(void *u, uint64_t *v)
{
	mem_prov *m = u;
	m->reads++;
	*v = m->counter;
	return ORSP_OK;
}

static orsp_err mp_adv(void *u, uint64_t v)
{
	mem_prov *m = u;
	if (v <= m->counter || v != m->counter + 1) /* seal.h: the next value only */
		return ORSP_E_STATE;
	if (m->fail && strcmp(m->fail, "advance") == 0)
		return orsp_errf(ORSP_E_STORAGE, "test provider: advance failed");
	m->counter = v;
	m->advances++;
	return ORSP_OK;
}

static void mp_close(void *u)
{
	((mem_prov *)u)->closes++;
}

/* A provider with a random key of its own and its counter at start. */
static orsp_seal_provider mem_provider(mem_prov *m, uint64_t start)
{
	memset(m, 0, sizeof(*m));
	assert_int_equal(orsp_random(m->key, sizeof(m->key)), ORSP_OK);
	m->counter = start;
	return (orsp_seal_provider){m, mp_key, mp_read, mp_adv, mp_close};
}

/* Whether dir holds one of the file provider's files. */
static bool file_prov_files(void)
{
	struct stat st;
	return lstat(in("device.key"), &st) == 0 || lstat(in("counter"), &st) == 0 ||
	       lstat(in("counter.tmp"), &st) == 0;
}

/* The store's manifest and record files copied to (or back from, removing the store's own
 * first) the directory side. */
static void files_copy(const char *side, bool back)
{
	char from[4200], to[4200];
	const char *src = back ? side : dir;
	struct dirent *de;
	DIR *d;

	assert_true(mkdir(side, 0700) == 0 || errno == EEXIST);
	if (back) {
		d = opendir(dir);
		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, "manifest") == 0 || strstr(de->d_name, ".rec"))
				assert_int_equal(unlink(in(de->d_name)), 0);
		closedir(d);
	}
	d = opendir(src);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "manifest") != 0 && !strstr(de->d_name, ".rec"))
			continue;
		snprintf(from, sizeof(from), "%.2000s/%.255s", src, de->d_name);
		snprintf(to, sizeof(to), "%.2000s/%.255s", back ? dir : side, de->d_name);
		copy_file(from, to);
	}
	closedir(d);
}

static void test_provider(void **state)
{
	orsp_seal *s = NULL;
	mem_prov m, other;
	orsp_seal_provider p = mem_provider(&m, 1000), po;
	orsp_seal_record del = {"b", NULL, 0};
	(void)state;

	/* created on the provider: its key, its counter read (not taken for 0), nothing of the
	 * file provider's written; the first manifest at the counter + 1, the counter advanced */
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
	assert_false(file_prov_files());
	assert_true(m.counter == 1001);
	assert_int_equal(m.advances, 1);
	assert_int_equal(m.closes, 0); /* create keeps no provider */
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_EXISTS);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	assert_true(orsp_seal_counter(s) == 1001);
	assert_int_equal(orsp_seal_count(s), 0);
	put(s, "a", "alpha");
	put(s, "b", "beta");
	put(s, "a", "again");
	assert_false(file_prov_files());
	orsp_seal_close(s);
	assert_true(m.counter == 1004);
	assert_int_equal(m.advances, 4);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	assert_true(orsp_seal_counter(s) == 1004);
	assert_string_equal(get(s, "a"), "again");
	assert_string_equal(get(s, "b"), "beta");
	assert_int_equal(orsp_seal_commit(s, &del, 1), ORSP_OK);
	orsp_seal_close(s);
	assert_int_equal(m.closes, 2); /* by orsp_seal_close */
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "again");
	assert_string_equal(get(s, "b"), "");
	orsp_seal_close(s);
	assert_false(file_prov_files());
	assert_int_equal(m.closes, 3);
	/* another key: refused */
	other = m;
	other.key[0] ^= 1;
	po = p;
	po.user = &other;
	assert_int_equal(orsp_seal_open(dir, &po, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "does not authenticate"));
	/* the provider's counter moved on (another state was written): rollback detected */
	m.counter = 1010;
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	/* one set back below the manifest: refused too */
	m.counter = 5;
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "counter was rolled back"));
	assert_true(m.counter == 5);
	/* a failed open, early or late, leaves the provider to the caller: no close() (it ran
	 * for the failures after the handle was made, until session 56) */
	char longdir[PATH_MAX + 16];
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(orsp_seal_open(longdir, &p, &s), ORSP_E_USAGE);
	assert_int_equal(orsp_seal_open(in("nothing-here"), &p, &s), ORSP_E_NOT_FOUND);
	assert_int_equal(m.closes, 3);
	assert_null(s);
}

/* A store created on p holding "a" = value, its files copied to side. */
static void provider_store_copied(const orsp_seal_provider *p, const char *value, const char *side)
{
	orsp_seal *s = NULL;

	assert_int_equal(orsp_seal_create_with(dir, p), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, p, &s), ORSP_OK);
	put(s, "a", value);
	orsp_seal_close(s);
	files_copy(side, false);
}

/* The provider's counter is out of the directory's reach: the store's files put back as they
 * were (the whole store: a provider's has no counter file to put back with them) are refused,
 * and so is a destroyed store's, put back over the one created after it on the same
 * provider. */
static void test_provider_rollback(void **state)
{
	char side[1100], gone[1100];
	orsp_seal *s = NULL;
	mem_prov m;
	orsp_seal_provider p = mem_provider(&m, 1000);
	(void)state;

	snprintf(side, sizeof(side), "%.1000s.old", dir);
	snprintf(gone, sizeof(gone), "%.1000s.gone", dir);
	provider_store_copied(&p, "old", side);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	put(s, "a", "new");
	put(s, "b", "more");
	orsp_seal_close(s);
	assert_true(m.counter == 1004);
	files_copy(side, true);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	assert_null(s);
	assert_true(m.counter == 1004); /* not set back to the manifest's */
	assert_int_equal(m.advances, 4);
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);

	/* a store destroyed, another created on the same provider: the first one's last
	 * manifest is older than the new one's first */
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	put(s, "a", "destroyed");
	orsp_seal_close(s);
	files_copy(gone, false);
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
	files_copy(gone, true);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
}

/* A destroyed store's copy put back before any other store is created on its provider: destroy
 * advanced the provider's counter past it (twice: a copy may be one ahead), so it is a rollback
 * (it opened until session 70). A failed advance removes nothing; the store's kind and the
 * provider's must match, as for open. orsp_seal_destroy_empty advances it too. */
static void test_provider_destroy_rollback(void **state)
{
	char side[1100];
	orsp_seal *s = NULL;
	mem_prov m;
	orsp_seal_provider p = mem_provider(&m, 1000);
	struct stat st;
	(void)state;

	snprintf(side, sizeof(side), "%.1000s.copy", dir);
	provider_store_copied(&p, "kept", side);
	/* without the provider, or with it for a store of the file provider: refused */
	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_USAGE);
	assert_int_equal(orsp_seal_destroy_keep_dir(dir), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "orsp_seal_destroy_with"));
	/* the advance fails: reported, nothing removed, the store opens as before */
	m.fail = "advance";
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_E_STORAGE);
	m.fail = NULL;
	assert_true(m.counter == 1002);
	assert_int_equal(stat(in("manifest"), &st), 0);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "kept");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);
	assert_true(m.counter == 1004);
	assert_int_not_equal(stat(dir, &st), 0);
	/* the copy put back: behind the counter */
	assert_true(mkdir(dir, 0700) == 0);
	files_copy(side, true);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	assert_null(s);
	/* destroyed with its manifest one ahead of the counter (a commit cut before its
	 * advance): one advance would leave the copy at the counter; it is behind it */
	m.counter = 1001;
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);
	assert_true(m.counter == 1003);
	assert_true(mkdir(dir, 0700) == 0);
	files_copy(side, true);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);

	/* orsp_seal_destroy_empty on a provider's store */
	snprintf(side, sizeof(side), "%.1000s.empty", dir);
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
	files_copy(side, false);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	uint64_t before = m.counter;
	assert_int_equal(orsp_seal_destroy_empty(s, false), ORSP_OK);
	assert_true(m.counter == before + 2);
	assert_true(mkdir(dir, 0700) == 0);
	files_copy(side, true);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);

	/* a store of the file provider is not destroyed with a provider */
	create_with("a", "alpha");
	before = m.counter;
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_E_USAGE);
	assert_true(m.counter == before);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
}

static orsp_err fail_at(const char *point, void *arg);
static orsp_err die_at(const char *point, void *arg);

/* A crash at every write step of a commit on a provider, and in create between the manifest
 * and the counter advance: the manifest one ahead of the counter is completed on open, as the
 * file provider's is; a failed advance at create leaves no store. */
static void test_provider_crash(void **state)
{
	static const char *const points[] = {"create: manifest", "create: counter advance"};
	bool saw_ahead = false;
	orsp_seal *s = NULL;
	mem_prov m;
	orsp_seal_provider p = mem_provider(&m, 1000);
	const char *at;
	struct stat st;
	(void)state;

	for (unsigned k = 1;; k++) {
		orsp_seal_record r[2] = {{"a", (const uint8_t *)"new", 3}, {"b", NULL, 0}};
		uint64_t before;
		orsp_err e;
		snprintf(dir, sizeof(dir), "%.900s/pcrash%u", test_tmpdir("seal"), k);
		assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
		assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
		put(s, "a", "old");
		put(s, "b", "bee");
		before = m.counter;
		orsp_seal_inject_crash(s, k);
		e = orsp_seal_commit(s, r, 2);
		orsp_seal_close(s);
		if (e == ORSP_OK)
			break;
		saw_ahead |= m.counter == before && strstr(orsp_err_detail(), "counter advance");
		assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
		assert_true(orsp_seal_counter(s) == m.counter);
		if (strcmp(get(s, "a"), "old") == 0) {
			assert_string_equal(get(s, "b"), "bee");
			assert_true(m.counter == before);
		} else {
			assert_string_equal(get(s, "a"), "new");
			assert_string_equal(get(s, "b"), "");
			assert_true(m.counter == before + 1);
		}
		put(s, "c", "goes on");
		orsp_seal_close(s);
		assert_false(file_prov_files());
	}
	assert_true(saw_ahead);

	/* create: the process dies before the manifest (no store; the next create works) and
	 * before the counter advance (the manifest one ahead, completed by open) */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(points); i++) {
		uint64_t start = m.counter;
		int status = 0;
		pid_t pid;
		snprintf(dir, sizeof(dir), "%.900s/pkilled%zu", test_tmpdir("seal"), i);
		at = points[i];
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			orsp_seal_set_test_hook(die_at, &at);
			if (orsp_seal_create_with(dir, &p) != ORSP_OK)
				_exit(2);
			_exit(1); /* not reached: the hook ends the process */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_true(m.counter == start); /* the child's provider was a copy */
		if (i == 0) {
			assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_NOT_FOUND);
			assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
		}
		assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
		assert_true(m.counter == start + 1 && orsp_seal_counter(s) == start + 1);
		put(s, "a", "alpha");
		orsp_seal_close(s);
		assert_false(file_prov_files());
	}

	/* create: the advance, or the key, fails: no store left, the counter where it was */
	snprintf(dir, sizeof(dir), "%.900s/pfail", test_tmpdir("seal"));
	at = "create: counter advance";
	orsp_seal_set_test_hook(fail_at, &at);
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_STORAGE);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_int_not_equal(stat(dir, &st), 0);
	for (int i = 0; i < 2; i++) {
		uint64_t start = m.counter;
		m.fail = i ? "advance" : "key";
		assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_STORAGE);
		assert_non_null(strstr(orsp_err_detail(), "test provider"));
		assert_int_not_equal(stat(dir, &st), 0);
		assert_true(m.counter == start);
	}
	m.fail = NULL;
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_OK);
	orsp_seal_close(s);
}

/* A store is opened with the kind of provider it was created with; the other kind, or the
 * file provider's files beside a provider's store, are refused with a message naming it, and
 * no provider is asked for a key first. */
static void test_provider_kind(void **state)
{
	static const char *const strays[] = {"device.key", "counter", "counter.tmp"};
	uint8_t b[8] = {0, 0, 0, 0, 0, 0, 0x03, 0xe9}; /* 1001 */
	orsp_seal *s = NULL;
	mem_prov m;
	orsp_seal_provider p = mem_provider(&m, 1000), bad;
	FILE *f;
	int fd;
	(void)state;

	/* a store of the file provider, opened with a provider, created over */
	create_with("a", "alpha");
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "open it without one"));
	assert_int_equal(m.keys + m.reads + m.advances + m.closes, 0);
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_EXISTS);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	/* a provider's store opened with the file provider */
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "open it with that provider"));
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	/* a file provider's file beside it: refused, not used, whatever it holds (here the
	 * provider's own key and counter) */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(strays); i++) {
		int keys = m.keys;
		fd = open(in(strays[i]), O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(i ? write(fd, b, 8) : write(fd, m.key, 32), i ? 8 : 32);
		close(fd);
		assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
		assert_non_null(strstr(orsp_err_detail(), strays[i]));
		assert_int_equal(m.keys, keys);
		assert_int_equal(unlink(in(strays[i])), 0);
	}
	/* its magic changed to the file provider's, the provider's key and counter put beside
	 * it in the file provider's files: the manifest does not authenticate as one of the file
	 * provider's (its own AAD) */
	fd = open(in("device.key"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0 && write(fd, m.key, 32) == 32);
	close(fd);
	fd = open(in("counter"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0 && write(fd, b, 8) == 8);
	close(fd);
	f = fopen(in("manifest"), "r+b");
	assert_non_null(f);
	assert_int_equal(fwrite("OSEALMF1", 1, 8, f), 8);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "does not authenticate"));
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	/* create on a provider refuses the file provider's leftovers, and either create a
	 * directory of record files without a manifest */
	assert_true(mkdir(dir, 0700) == 0);
	fd = open(in("device.key"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0 && write(fd, m.key, 32) == 32);
	close(fd);
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "device.key"));
	assert_int_equal(unlink(in("device.key")), 0);
	fd = open(in("r0000000000000001.rec"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0 && write(fd, b, 8) == 8);
	close(fd);
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "lost its manifest"));
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "lost its manifest"));
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	/* a provider without one of its callbacks */
	bad = p;
	bad.counter_read = NULL;
	assert_int_equal(orsp_seal_create_with(dir, &bad), ORSP_E_USAGE);
	assert_int_equal(orsp_seal_open(dir, &bad, &s), ORSP_E_USAGE);
}

/* A monotonic counter at 2^64 - 1 and a manifest at 0: not "one ahead" (counter + 1 wraps to
 * 0), but a rollback. Open took it for the crash between a commit's manifest and its counter
 * advance and asked the provider to set the counter back to 0 (the file provider did so,
 * accepting the state; seal.h allows only values above the current one). A store on a
 * provider starts at the provider's counter + 1, so it has no manifest at 0: its counter at
 * 2^64 - 1 below a manifest at 1 is a rollback too, and no store is created on it. */
static void test_counter_wrap(void **state)
{
	static const uint8_t top[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	orsp_seal *s = NULL;
	mem_prov m;
	orsp_seal_provider p = mem_provider(&m, 0);
	uint8_t *b;
	size_t n;
	FILE *f;
	(void)state;

	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_OK); /* manifest at counter 1 */
	m.counter = UINT64_MAX;
	assert_int_equal(orsp_seal_open(dir, &p, &s), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "rollback"));
	assert_int_equal(m.advances, 1);
	assert_true(m.counter == UINT64_MAX);
	/* nor is it destroyed: its counter cannot be advanced past it; nothing removed */
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "at its end"));
	assert_int_equal(m.advances, 1);
	m.counter = UINT64_MAX - 2;
	assert_int_equal(orsp_seal_destroy_with(dir, &p), ORSP_OK);
	assert_true(m.counter == UINT64_MAX);
	/* no store is created on a counter at its end (its first manifest would be at 0) */
	assert_int_equal(orsp_seal_create_with(dir, &p), ORSP_E_STATE);
	assert_int_equal(m.advances, 3);
	/* the file provider: refused, the counter file left as it was */
	assert_int_equal(orsp_seal_create(dir), ORSP_OK); /* manifest at counter 0 */
	f = fopen(in("counter"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(top, 1, 8, f), 8);
	fclose(f);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_VERIFY);
	assert_null(s);
	b = test_read_file(in("counter"), &n);
	assert_int_equal(n, 8);
	assert_memory_equal(b, top, 8);
	free(b);
}

/* ----- manifest parsing: bodies sealed with the store's own key, so that they pass the tag
 * and reach the parser ----- */

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Install body as the manifest, sealed under dir's device key; open the store (into *out,
 * left open, when out is not NULL) and return what open says. */
static orsp_err install_body(const uint8_t *body, size_t n, orsp_seal **out)
{
	static const char magic[] = "OSEALMF1", aad[] = "openrsp-seal manifest";
	uint8_t key[32], blob[8 + 12 + 1024 + 16], iv[12] = {1, 2, 3};
	size_t kn = 0;
	uint8_t *k = test_read_file(in("device.key"), &kn);
	orsp_seal *s = NULL;
	orsp_err e;
	FILE *f;

	assert_non_null(k);
	assert_int_equal(kn, 32);
	memcpy(key, k, 32);
	free(k);
	assert_true(n <= 1024);
	memcpy(blob, magic, 8);
	memcpy(blob + 8, iv, 12);
	assert_int_equal(
	    orsp_aes_gcm_seal(key, 32, iv, aad, sizeof(aad) - 1, body, n, blob + 20, blob + 20 + n),
	    ORSP_OK);
	f = fopen(in("manifest"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(blob, 1, n + 36, f), n + 36);
	fclose(f);
	e = orsp_seal_open(dir, NULL, out ? out : &s);
	if (!out)
		orsp_seal_close(s);
	return e;
}

/* install_body, the store closed again: what open says. */
static orsp_err open_with_body(const uint8_t *body, size_t n)
{
	return install_body(body, n, NULL);
}

/* A body: counter 0, next_gen, entries (names[i], gens[i]) of 5 bytes each. */
static size_t body(uint8_t *b, uint64_t next_gen, const char *const *names, const uint64_t *gens,
                   size_t cnt)
{
	size_t o = 20;
	be(b, 0, 8);
	be(b + 8, next_gen, 8);
	be(b + 16, cnt, 4);
	for (size_t i = 0; i < cnt; i++) {
		size_t l = strlen(names[i]);
		b[o++] = (uint8_t)l;
		memcpy(b + o, names[i], l);
		o += l;
		be(b + o, gens[i], 8);
		be(b + o + 8, 5, 4);
		memset(b + o + 12, 0x11, 32);
		o += 44;
	}
	return o;
}

static void test_manifest_parse(void **state)
{
	static const char *const names[] = {"a", "bb"}, *const dup[] = {"a", "a"};
	static const uint64_t gens[] = {1, 2}, dupgen[] = {1, 1};
	uint8_t good[512], b[512];
	size_t n;
	uint32_t rng = 12345;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	n = body(good, 3, names, gens, 2);
	assert_int_equal(open_with_body(good, n), ORSP_OK); /* the baseline parses */
	/* every truncation, and one trailing byte */
	for (size_t l = 0; l < n; l++)
		assert_int_equal(open_with_body(good, l), ORSP_E_VERIFY);
	memcpy(b, good, n);
	b[n] = 0;
	assert_int_equal(open_with_body(b, n + 1), ORSP_E_VERIFY);
	/* a duplicate name, a duplicate generation, a generation not below next_gen */
	assert_int_equal(open_with_body(b, body(b, 3, dup, gens, 2)), ORSP_E_VERIFY);
	assert_int_equal(open_with_body(b, body(b, 3, names, dupgen, 2)), ORSP_E_VERIFY);
	assert_int_equal(open_with_body(b, body(b, 2, names, gens, 2)), ORSP_E_VERIFY);
	/* field by field: count (3, 200, 2^24 + 2), name length 0 and 33, bad name characters,
	 * a huge generation, an over-long record (entry 0 starts at offset 20), a NUL in entry
	 * 1's name ("b" and NUL: not the name "b"; entry 1 starts at offset 66) */
	struct {
		size_t off;
		uint8_t val;
	} muts[] = {
	    {19, 3},   {19, 200}, {16, 1}, {20, 0},    {20, 33},
	    {21, 'A'}, {21, '/'}, {22, 1}, {30, 0x7f}, {68, 0},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(muts); i++) {
		memcpy(b, good, n);
		b[muts[i].off] = muts[i].val;
		assert_int_equal(open_with_body(b, n), ORSP_E_VERIFY);
	}
	/* a counter ahead by 2: refused as a counter rollback */
	memcpy(b, good, n);
	b[7] = 2;
	assert_int_equal(open_with_body(b, n), ORSP_E_VERIFY);
	/* random bit flips: never a crash, only OK or VERIFY */
	for (int i = 0; i < 400; i++) {
		orsp_err e;
		memcpy(b, good, n);
		for (int k = 0; k < 3; k++) {
			rng = rng * 1103515245u + 12345u;
			b[(rng >> 8) % n] ^= (uint8_t)(1u << ((rng >> 4) & 7));
		}
		e = open_with_body(b, n);
		assert_true(e == ORSP_OK || e == ORSP_E_VERIFY);
	}
	assert_int_equal(open_with_body(good, n), ORSP_OK);
}

/* At the end of its counter or of its record generations (2^64 - 1) a store takes no commit:
 * the next value would wrap to 0, a manifest open refuses and a counter that cannot be set
 * back (until session 58 the commit went on). Refused before anything is written. */
static void test_commit_exhausted(void **state)
{
	static const uint8_t top[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const orsp_seal_record rec = {"a", (const uint8_t *)"hello", 5};
	static const orsp_seal_record del = {"a", NULL, 0};
	uint8_t b[64], *before, *after;
	size_t n, bn, an;
	orsp_seal *s = NULL;
	FILE *f;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	/* the generations at their end: a new record refused, a deletion taken */
	n = body(b, UINT64_MAX, NULL, NULL, 0);
	assert_int_equal(install_body(b, n, &s), ORSP_OK);
	before = test_read_file(in("manifest"), &bn);
	assert_int_equal(orsp_seal_commit(s, &rec, 1), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "at their end"));
	after = test_read_file(in("manifest"), &an);
	assert_int_equal(an, bn);
	assert_memory_equal(after, before, bn);
	free(after);
	free(before);
	assert_int_equal(orsp_seal_commit(s, &del, 1), ORSP_OK);
	orsp_seal_close(s);
	s = NULL;
	/* the counter at its end (the counter file too, so that open takes the manifest) */
	n = body(b, 1, NULL, NULL, 0);
	memcpy(b, top, 8);
	f = fopen(in("counter"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(top, 1, 8, f), 8);
	fclose(f);
	assert_int_equal(install_body(b, n, &s), ORSP_OK);
	assert_int_equal(orsp_seal_commit(s, &rec, 1), ORSP_E_STATE);
	orsp_seal_close(s);
	before = test_read_file(in("counter"), &bn);
	assert_int_equal(bn, 8);
	assert_memory_equal(before, top, 8);
	free(before);
}

static void test_destroy(void **state)
{
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "a", "alpha");
	put(s, "b", "beta");
	/* not while it is open: refused, nothing removed */
	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_STATE);
	char want[96];
	snprintf(want, sizeof(want), "in use by another process (pid %ld)", (long)getpid());
	assert_non_null(strstr(orsp_err_detail(), want));
	assert_int_equal(orsp_seal_busy_pid(), (long)getpid());
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_busy_pid(), 0); /* that open was not refused */
	assert_string_equal(get(s, "a"), "alpha");
	assert_string_equal(get(s, "b"), "beta");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_not_equal(stat(dir, &st), 0); /* nothing else was in it: gone */
	/* a foreign file keeps the directory (and survives) */
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	FILE *f = fopen(in("notes.txt"), "w");
	assert_non_null(f);
	fclose(f);
	/* and so do files of names like a record's the store never gives (r + 16 lower-case
	 * hex digits + .rec), at open (orphans) and at destroy: they were removed */
	static const char *const foreign[] = {"r1.rec", "r 0x2a.rec", "r000000000000000A.rec",
	                                      "r+000000000000001.rec", "r0000000000000001.recx"};
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		f = fopen(in(foreign[i]), "w");
		assert_non_null(f);
		fclose(f);
	}
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		assert_int_equal(stat(in(foreign[i]), &st), 0);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		assert_int_equal(stat(in(foreign[i]), &st), 0);
	assert_int_equal(stat(in("notes.txt"), &st), 0);
	assert_int_not_equal(stat(in("manifest"), &st), 0);
	assert_int_not_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
	assert_null(s);
	/* and a new store can be created there */
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
}

static void test_lock(void **state)
{
	orsp_seal *a = NULL, *b = NULL;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &a), ORSP_OK);
	/* a second opener (same process or another) is refused while the first holds it */
	assert_int_equal(orsp_seal_open(dir, NULL, &b), ORSP_E_STATE);
	assert_null(b);
	/* the holder named by its pid (/proc/locks), this process's here */
	char want[96];
	snprintf(want, sizeof(want), "in use by another process (pid %ld)", (long)getpid());
	assert_non_null(strstr(orsp_err_detail(), want));
	assert_int_equal(orsp_seal_lock_holder(dir), (long)getpid());
	assert_int_equal(orsp_seal_busy_pid(), (long)getpid()); /* what that open found */
	put(a, "a", "alpha");
	orsp_seal_close(a);
	/* nobody holds it now; nor a lock of a store that is not there, nor no directory */
	assert_int_equal(orsp_seal_lock_holder(dir), 0);
	assert_int_equal(orsp_seal_lock_holder(in("nowhere")), 0);
	assert_int_equal(orsp_seal_lock_holder(NULL), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &b), ORSP_OK);
	assert_string_equal(get(b, "a"), "alpha");
	orsp_seal_close(b);
}

static void *seal_take(void *d)
{
	orsp_seal *s = NULL;
	return orsp_seal_open(d, NULL, &s) == ORSP_OK ? s : NULL;
}

static void seal_give(void *s)
{
	orsp_seal_close(s);
}

/* A child holding the store for hold_ms (from when it has it: when this returns), then
 * closing it. */
static pid_t hold_in_child(unsigned hold_ms)
{
	return test_hold_in_child(seal_take, seal_give, dir, hold_ms);
}

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* orsp_seal_open_wait: a holder that lets go within the wait is waited for; one that does
 * not is refused after it, naming it; a stop asked meanwhile ends the wait at once. */
static void test_lock_wait(void **state)
{
	orsp_seal *s = NULL;
	struct timespec t0;
	int st;
	(void)state;

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	/* 300 ms against a wait of 3 s: opened once the child closed it */
	pid_t pid = hold_in_child(300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(orsp_seal_open_wait(dir, NULL, 3000, NULL, &s), ORSP_OK);
	assert_true(test_ms_since(&t0) >= 150);
	assert_int_equal(orsp_seal_busy_pid(), 0);
	orsp_seal_close(s);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* 1.5 s against a wait of 300 ms: refused after the wait, the child named */
	pid = hold_in_child(1500);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(orsp_seal_open_wait(dir, NULL, 300, NULL, &s), ORSP_E_STATE);
	long spent = test_ms_since(&t0);
	assert_true(spent >= 300 && spent < 1200);
	assert_null(s);
	char want[96];
	snprintf(want, sizeof(want), "in use by another process (pid %ld", (long)pid);
	assert_non_null(strstr(orsp_err_detail(), want));
	assert_int_equal(orsp_seal_busy_pid(), (long)pid);

	/* a signal caught (a handler setting a flag, as the CLI's stop handlers) ends the wait
	 * of 5 s: through the flag, or the sleep's EINTR */
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	struct itimerval it = {{0, 0}, {0, 100 * 1000}};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(orsp_seal_open_wait(dir, NULL, 5000, &alarmed, &s), ORSP_E_STATE);
	assert_true(test_ms_since(&t0) < 1000); /* the child still holds it */
	assert_int_equal(sigaction(SIGALRM, &old, NULL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(orsp_seal_open_wait(dir, NULL, 0, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
}

/* Another handle's commit while an open is between reading the manifest and using it. */
typedef struct racer {
	bool complete;   /* the commit finishes; else it dies before the counter advance */
	orsp_err opened; /* what the racing open said */
} racer;

static orsp_err race_commit(const char *point, void *arg)
{
	racer *r = arg;
	orsp_seal *o = NULL;

	if (strcmp(point, "open: manifest read") != 0)
		return ORSP_OK;
	orsp_seal_set_test_hook(NULL, NULL); /* not again inside the racing open */
	r->opened = orsp_seal_open(dir, NULL, &o);
	if (r->opened == ORSP_OK) {
		orsp_seal_record rec[2] = {{"a", (const uint8_t *)"alpha-2", 7},
		                           {"b", (const uint8_t *)"bravo", 5}};
		/* steps: two record writes and fsyncs, manifest write and fsync, rename,
		 * directory fsync, counter advance (the 9th) */
		if (!r->complete)
			orsp_seal_inject_crash(o, 9);
		orsp_err e = orsp_seal_commit(o, rec, 2);
		assert_int_equal(e, r->complete ? ORSP_OK : ORSP_E_STORAGE);
		orsp_seal_close(o);
	}
	return ORSP_OK;
}

/* An open reads the manifest only once it holds the lock: a commit of another handle that
 * finished (or died after installing its manifest) cannot make it take the new records for
 * orphans, or the new counter for a rollback. */
static void test_open_race(void **state)
{
	(void)state;
	for (int complete = 0; complete <= 1; complete++) {
		orsp_seal *s = NULL;
		racer r = {complete == 1, ORSP_OK};
		char sub[64];
		snprintf(sub, sizeof(sub), "race%d", complete);
		snprintf(dir, sizeof(dir), "%.900s/%s", test_tmpdir("seal"), sub);
		create_with("a", "alpha");
		orsp_seal_set_test_hook(race_commit, &r);
		orsp_err e = orsp_seal_open(dir, NULL, &s);
		orsp_seal_set_test_hook(NULL, NULL);
		if (e != ORSP_OK)
			fail_msg("open during the race: %s (%s)", orsp_err_str(e),
			         orsp_err_detail());
		orsp_seal_close(s);
		/* every record listed reads back */
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		for (size_t i = 0; i < orsp_seal_count(s); i++) {
			uint8_t b[64];
			size_t n;
			e = orsp_seal_read(s, orsp_seal_name(s, i), b, sizeof(b), &n);
			if (e != ORSP_OK)
				fail_msg("record %s: %s", orsp_seal_name(s, i), orsp_err_detail());
		}
		assert_string_equal(get(s, "a"), "alpha");
		orsp_seal_close(s);
		/* the racing open found the store locked */
		assert_int_equal(r.opened, ORSP_E_STATE);
	}
}

/* Between opening the lock file and locking it: the store is destroyed, created again and
 * opened by another handle (which makes and holds a new lock file). The first open's lock on
 * the removed file would succeed; it must not count: two handles on one store. */
static orsp_err recreate_store(const char *point, void *arg)
{
	orsp_seal **other = arg;
	if (strcmp(point, "open: lock file opened") != 0)
		return ORSP_OK;
	orsp_seal_set_test_hook(NULL, NULL);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, other), ORSP_OK);
	return ORSP_OK;
}

static void test_open_lock_replaced(void **state)
{
	(void)state;
	orsp_seal *s = NULL, *other = NULL;

	snprintf(dir, sizeof(dir), "%.900s/relock", test_tmpdir("seal"));
	create_with("a", "alpha");
	orsp_seal_set_test_hook(recreate_store, &other);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_STATE);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_null(s);
	assert_non_null(other);
	assert_int_equal(orsp_seal_count(other), 0);
	orsp_seal_close(other);
}

/* The same between a destroy's (or create's) opening of the lock file and its lock: the
 * lock on the removed file kept nobody out, and the destroy removed the store another handle
 * had open meanwhile, its device key and counter with it (until session 56). */
static orsp_err recreate_for_destroy(const char *point, void *arg)
{
	orsp_seal **other = arg;
	orsp_seal_record r = {"a", (const uint8_t *)"kept", 4};
	if (strcmp(point, "lock: lock file opened") != 0)
		return ORSP_OK;
	orsp_seal_set_test_hook(NULL, NULL);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, other), ORSP_OK);
	assert_int_equal(orsp_seal_commit(*other, &r, 1), ORSP_OK);
	return ORSP_OK;
}

static void test_destroy_lock_replaced(void **state)
{
	(void)state;
	orsp_seal *other = NULL;

	snprintf(dir, sizeof(dir), "%.900s/relock-destroy", test_tmpdir("seal"));
	create_with("a", "alpha");
	orsp_seal_set_test_hook(recreate_for_destroy, &other);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_STATE);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_non_null(strstr(orsp_err_detail(), "lock file was replaced"));
	assert_non_null(other);
	orsp_seal_close(other);
	/* the store the other handle wrote is whole */
	orsp_seal *s = NULL;
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "kept");
	orsp_seal_close(s);
}

/* orsp_seal_destroy_empty removes the store its handle has open only while it holds no
 * record: one with a record (another process provisioned it meanwhile) stays whole, the
 * handle closed either way; an empty one goes, with its directory unless keep_dir. */
static void test_destroy_empty(void **state)
{
	(void)state;
	orsp_seal *s = NULL;
	struct stat st;

	snprintf(dir, sizeof(dir), "%.900s/destroy-empty", test_tmpdir("seal"));
	create_with("a", "alpha");
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_destroy_empty(s, false), ORSP_E_STATE);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_destroy_empty(s, true), ORSP_OK);
	assert_int_equal(stat(dir, &st), 0); /* kept */
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_destroy_empty(s, false), ORSP_OK);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(orsp_seal_destroy_empty(NULL, false), ORSP_E_USAGE);
}

static orsp_err fail_at(const char *point, void *arg)
{
	return strcmp(point, *(const char *const *)arg) == 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* Appends each create point it sees to the string arg. */
static orsp_err note_point(const char *point, void *arg)
{
	char *seen = arg;
	if (strncmp(point, "create: ", 8) == 0)
		snprintf(seen + strlen(seen), 256 - strlen(seen), "%s%s", seen[0] ? ", " : "",
		         point + 8);
	return ORSP_OK;
}

/* A directory that create makes has its entry made durable (its parent fsynced) before
 * anything is written in it; one that was there is left alone. A power cut cannot be
 * simulated here: this pins the calls and what a failure there does. */
static void test_create_parent_fsync(void **state)
{
	const char *at = "create: parent directory fsync";
	char seen[256] = "";
	struct stat st;
	(void)state;

	orsp_seal_set_test_hook(note_point, seen);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_string_equal(seen, "parent directory fsync, counter, manifest");
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	/* a failure there: nothing left, the directory made is gone */
	orsp_seal_set_test_hook(fail_at, &at);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_STORAGE);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_int_not_equal(stat(dir, &st), 0);

	/* an existing directory: no parent fsync */
	assert_int_equal(mkdir(dir, 0700), 0);
	seen[0] = '\0';
	orsp_seal_set_test_hook(note_point, seen);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_string_equal(seen, "counter, manifest");
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	/* a trailing slash and a relative name reach the right parent */
	char slash[1100];
	snprintf(slash, sizeof(slash), "%.1000s/", dir);
	assert_int_equal(orsp_seal_create(slash), ORSP_OK);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	char cwd[1024];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(test_tmpdir("seal")), 0);
	assert_int_equal(orsp_seal_create("rel"), ORSP_OK);
	assert_int_equal(orsp_seal_destroy("rel"), ORSP_OK);
	assert_int_equal(chdir(cwd), 0);
}

/* A create that fails removes what it wrote, so that the next one succeeds; a store that
 * lost its manifest is named by open and create and removed by orsp_seal_destroy. */
static void test_create_fails(void **state)
{
	static const char *const points[] = {"create: counter", "create: manifest"};
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(points); i++) {
		const char *at = points[i];
		/* a directory the call made goes too */
		orsp_seal_set_test_hook(fail_at, &at);
		orsp_err e = orsp_seal_create(dir);
		orsp_seal_set_test_hook(NULL, NULL);
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_not_equal(stat(dir, &st), 0);
		/* one that was there stays, with what else it held */
		assert_int_equal(mkdir(dir, 0700), 0);
		FILE *f = fopen(in("notes.txt"), "w");
		assert_non_null(f);
		fclose(f);
		orsp_seal_set_test_hook(fail_at, &at);
		e = orsp_seal_create(dir);
		orsp_seal_set_test_hook(NULL, NULL);
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(stat(in("notes.txt"), &st), 0);
		assert_int_not_equal(stat(in("device.key"), &st), 0);
		assert_int_not_equal(stat(in("counter"), &st), 0);
		assert_int_not_equal(stat(in("manifest"), &st), 0);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
		/* and the next create works */
		assert_int_equal(orsp_seal_create(dir), ORSP_OK);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		put(s, "a", "alpha");
		orsp_seal_close(s);
		assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
		assert_int_equal(unlink(in("notes.txt")), 0);
		assert_int_equal(rmdir(dir), 0);
	}
	/* a store that lost its manifest (a record, a counter past 0): named, never created over */
	create_with("a", "alpha");
	assert_int_equal(unlink(in("manifest")), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "lost its manifest"));
	/* in words for whoever runs the program: no C function, no "no sealed store here" (a
	 * review: the message began so, and pointed at orsp_seal_destroy) */
	assert_non_null(strstr(orsp_err_detail(), "restore it from a backup"));
	assert_non_null(strstr(orsp_err_detail(), "rm -r"));
	assert_null(strstr(orsp_err_detail(), "orsp_seal_destroy"));
	assert_null(strstr(orsp_err_detail(), "no sealed store here"));
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "lost its manifest"));
	assert_non_null(strstr(orsp_err_detail(), "restore it from a backup"));
	assert_null(strstr(orsp_err_detail(), "orsp_seal_destroy"));
	assert_int_equal(stat(in("device.key"), &st), 0); /* a key it did not write stays */
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
}

/* The order of the store's directory flushes, renames and removals, seen through the wrapped
 * orsp_fsync_dirfd, renameat and unlinkat (tests/CMakeLists.txt) while `order` is set: "fsync dir",
 * "rename FROM TO" and "unlink NAME" (only those that removed a file), and the create points
 * of the test hook. A flush or an unlink may be made to fail (EIO). */
static char *order;
static int fsync_fail_in = -1;   /* directory flushes left before one fails; -1: none */
static int fsync_fails_more;     /* ... and how many after that one fail too */
static const char *unlink_fails; /* a file name whose unlink fails */
static const char *rename_fails; /* a target file name whose rename fails (ENOSPC) */

orsp_err __real_orsp_fsync_dirfd(int fd, const char *d);
orsp_err __wrap_orsp_fsync_dirfd(int fd, const char *d);
int __real_renameat(int fromfd, const char *from, int tofd, const char *to);
int __wrap_renameat(int fromfd, const char *from, int tofd, const char *to);
int __real_unlinkat(int fd, const char *path, int flags);
int __wrap_unlinkat(int fd, const char *path, int flags);
orsp_err __real_orsp_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[12],
                                  const void *aad, size_t aad_len, const uint8_t *in, size_t n,
                                  const uint8_t tag[16], uint8_t *out);
orsp_err __wrap_orsp_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[12],
                                  const void *aad, size_t aad_len, const uint8_t *in, size_t n,
                                  const uint8_t tag[16], uint8_t *out);
static bool gcm_fails; /* the cipher fails as OpenSSL out of memory would */

orsp_err __wrap_orsp_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[12],
                                  const void *aad, size_t aad_len, const uint8_t *in, size_t n,
                                  const uint8_t tag[16], uint8_t *out)
{
	if (gcm_fails)
		return orsp_errf(ORSP_E_CRYPTO, "AES-GCM operation failed: malloc failure");
	return __real_orsp_aes_gcm_open(key, key_len, iv, aad, aad_len, in, n, tag, out);
}

static void note(const char *what, const char *a, const char *b)
{
	if (order)
		snprintf(order + strlen(order), 512 - strlen(order), "%s%s%s%s%s%s",
		         order[0] ? ", " : "", what, a ? " " : "", a ? a : "", b ? " " : "",
		         b ? b : "");
}

orsp_err __wrap_orsp_fsync_dirfd(int fd, const char *d)
{
	if (fsync_fail_in == 0) {
		if (fsync_fails_more > 0)
			fsync_fails_more--;
		else
			fsync_fail_in = -1;
		return orsp_errf(ORSP_E_IO, "cannot flush the directory %s: %s", d, strerror(EIO));
	}
	if (fsync_fail_in > 0)
		fsync_fail_in--;
	note("fsync dir", NULL, NULL);
	return __real_orsp_fsync_dirfd(fd, d);
}

int __wrap_renameat(int fromfd, const char *from, int tofd, const char *to)
{
	if (rename_fails && strcmp(base(to), rename_fails) == 0) {
		errno = ENOSPC;
		return -1;
	}
	int r = __real_renameat(fromfd, from, tofd, to);
	if (r == 0)
		note("rename", base(from), base(to));
	return r;
}

int __wrap_unlinkat(int fd, const char *path, int flags)
{
	int r;
	if (unlink_fails && strcmp(base(path), unlink_fails) == 0) {
		errno = EIO;
		return -1;
	}
	r = __real_unlinkat(fd, path, flags);
	if (r == 0)
		note("unlink", base(path), NULL);
	return r;
}

static orsp_err note_order(const char *point, void *arg)
{
	(void)arg;
	if (strncmp(point, "create: ", 8) == 0)
		note(point + 8, NULL, NULL);
	return ORSP_OK;
}

/* Create flushes the directory after the device key and the counter and before the manifest
 * that makes it a store: a power cut could otherwise keep the manifest and lose them, which
 * open takes for tampering ("its monotonic counter is missing") and create refuses. A power
 * cut cannot be simulated here: this pins the calls, and what a failed flush does. */
static void test_create_order(void **state)
{
	char log[512] = "";
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	assert_int_equal(mkdir(dir, 0700), 0);
	order = log;
	orsp_seal_set_test_hook(note_order, NULL);
	orsp_err e = orsp_seal_create(dir);
	orsp_seal_set_test_hook(NULL, NULL);
	order = NULL;
	assert_int_equal(e, ORSP_OK);
	assert_string_equal(log, "counter, fsync dir, manifest, rename manifest.tmp manifest, "
	                         "fsync dir");
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	/* that flush failing: nothing is left, and the next create works */
	fsync_fail_in = 0;
	assert_int_equal(orsp_seal_create(dir), ORSP_E_STORAGE);
	fsync_fail_in = -1;
	assert_int_not_equal(stat(dir, &st), 0);
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	orsp_seal_close(s);
}

/* A create that fails once the manifest is in place (its directory flush) removes it as
 * destroy does: the manifest first, that removal flushed, then the rest. When the manifest
 * cannot be removed, the key and the counter stay with it: a whole store, which open takes
 * (until session 67 they went, and the manifest left alone looked tampered with). */
static void test_create_fails_after_manifest(void **state)
{
	char log[512] = "";
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	order = log;
	fsync_fail_in = 1; /* the one after the manifest's rename */
	assert_int_equal(orsp_seal_create(dir), ORSP_E_STORAGE);
	order = NULL;
	assert_int_equal(fsync_fail_in, -1);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory"));
	assert_non_null(strstr(log, "rename manifest.tmp manifest, unlink manifest, fsync dir, "
	                            "unlink counter, unlink device.key"));
	assert_int_not_equal(stat(dir, &st), 0);

	/* the manifest removed, but that removal's flush failing too: the key and the counter
	 * stay, and the message says what is left, as open does (it said "the store was left
	 * whole: its manifest cannot be removed" until session 79); the next create starts
	 * afresh */
	fsync_fail_in = 1;
	fsync_fails_more = 1;
	assert_int_equal(orsp_seal_create(dir), ORSP_E_STORAGE);
	assert_int_equal(fsync_fail_in, -1);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory"));
	assert_non_null(strstr(orsp_err_detail(),
	                       " (its manifest was removed, but the directory's flush after that "
	                       "failed, so the rest was kept: a creation that did not finish "
	                       "(create it again: that starts afresh))"));
	assert_null(strstr(orsp_err_detail(), "left whole"));
	assert_int_not_equal(stat(in("manifest"), &st), 0);
	assert_int_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "a creation that did not finish"));
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);

	fsync_fail_in = 1;
	unlink_fails = "manifest";
	assert_int_equal(orsp_seal_create(dir), ORSP_E_STORAGE);
	unlink_fails = NULL;
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory"));
	assert_non_null(strstr(orsp_err_detail(), "the store was left whole"));
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_int_equal(orsp_seal_count(s), 0);
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
}

/* Destroy removes the manifest, flushes the directory, and only then the rest: a manifest
 * brought back by a power cut without the counter and the key, or left by a removal that
 * failed, would be a store that looks tampered with. */
static void test_destroy_order(void **state)
{
	char log[512] = "";
	orsp_seal *s = NULL;
	struct stat st;
	(void)state;

	create_with("a", "alpha");
	order = log;
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	order = NULL;
	assert_string_equal(log, "unlink manifest, fsync dir, unlink counter, unlink device.key, "
	                         "unlink r0000000000000001.rec, fsync dir, unlink lock");

	/* the manifest cannot be removed: nothing else is, the store stays whole */
	create_with("a", "alpha");
	unlink_fails = "manifest";
	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_STORAGE);
	unlink_fails = NULL;
	assert_non_null(strstr(orsp_err_detail(), "manifest: cannot remove"));
	assert_int_equal(stat(in("counter"), &st), 0);
	assert_int_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);

	/* its removal cannot be flushed: the counter and the key stay (a directory without
	 * a manifest, which the next destroy clears) */
	fsync_fail_in = 0;
	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_STORAGE);
	fsync_fail_in = -1;
	assert_int_equal(stat(in("counter"), &st), 0);
	assert_int_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_not_equal(stat(dir, &st), 0);

	/* the removals cannot be flushed at the end: said, the directory is kept, and the
	 * next destroy finishes */
	create_with("a", "alpha");
	fsync_fail_in = 1;
	assert_int_equal(orsp_seal_destroy(dir), ORSP_E_STORAGE);
	assert_int_equal(fsync_fail_in, -1);
	assert_non_null(strstr(orsp_err_detail(), "cannot flush the directory"));
	assert_int_not_equal(stat(in("device.key"), &st), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	assert_int_not_equal(stat(dir, &st), 0);
}

/* The process dies where the hook runs: nothing of create's clean-up happens. */
static orsp_err die_at(const char *point, void *arg)
{
	if (strcmp(point, *(const char *const *)arg) == 0)
		_exit(0);
	return ORSP_OK;
}

/* A create killed after the device key (before the counter, before the manifest: the key, a
 * counter at 0, a manifest.tmp perhaps, no manifest) leaves nothing of value: open names it,
 * and the next create starts afresh, with a new key, instead of refusing the directory until
 * its files are removed by hand. A counter past 0 without a manifest is not taken for one. */
static void test_create_killed(void **state)
{
	static const char *const points[] = {"create: counter", "create: manifest"};
	orsp_seal *s = NULL;
	uint8_t *old_key, *new_key;
	size_t n;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(points); i++) {
		const char *at = points[i];
		int status = 0;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			orsp_seal_set_test_hook(die_at, &at);
			if (orsp_seal_create(dir) != ORSP_OK)
				_exit(2);
			_exit(1); /* not reached: the hook ends the process */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		old_key = test_read_file(in("device.key"), &n);
		assert_non_null(old_key);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_NOT_FOUND);
		assert_non_null(strstr(orsp_err_detail(), "did not finish"));
		assert_int_equal(orsp_seal_create(dir), ORSP_OK);
		new_key = test_read_file(in("device.key"), &n);
		assert_non_null(new_key);
		assert_int_equal(n, 32);
		assert_memory_not_equal(old_key, new_key, 32);
		free(old_key);
		free(new_key);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		put(s, "a", "alpha");
		orsp_seal_close(s);
		assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
	}
	/* a counter past 0 beside the key: a store's, refused */
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	put(s, "a", "alpha");
	put(s, "a", "beta");
	orsp_seal_close(s);
	assert_int_equal(unlink(in("manifest")), 0);
	assert_int_equal(count_files(".rec"), 1);
	assert_int_equal(unlink(in("r0000000000000002.rec")), 0);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "lost its manifest"));
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
}

/* A write the file system refuses (here the file size limit, EFBIG) fails the create with its
 * reason and leaves nothing: with no byte allowed the device key's own write fails, with 32
 * its 32 bytes pass and a later file's write fails. */
static void test_create_write_fails(void **state)
{
	static const struct {
		rlim_t limit;
		const char *what;
	} cases[] = {{0, "device.key: write failed: "}, {32, ": write failed: "}};
	struct stat st;
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		int status = 0;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct rlimit rl;
			char want[128];
			signal(SIGXFSZ, SIG_IGN);
			if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
				_exit(5);
			rl.rlim_cur = cases[i].limit;
			if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
				_exit(5);
			if (orsp_seal_create(dir) != ORSP_E_STORAGE)
				_exit(3);
			snprintf(want, sizeof(want), "%s%s", cases[i].what, strerror(EFBIG));
			if (!strstr(orsp_err_detail(), want)) {
				fprintf(stderr, "detail: %s\n", orsp_err_detail());
				_exit(4);
			}
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_not_equal(stat(dir, &st), 0); /* the directory it made went too */
	}
	assert_int_equal(orsp_seal_create(dir), ORSP_OK);
	assert_int_equal(orsp_seal_destroy(dir), ORSP_OK);
}

/* A cipher that fails (OpenSSL out of memory) while a manifest or a record is decrypted is
 * that failure, ORSP_E_CRYPTO, not tampering (ORSP_E_VERIFY, until session 67); the store is
 * untouched and opens once the cipher works. */
static void test_cipher_failure(void **state)
{
	orsp_seal *s = NULL;
	size_t n = 0;
	uint8_t buf[16];
	(void)state;

	create_with("a", "alpha");
	gcm_fails = true;
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_CRYPTO);
	gcm_fails = false;
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "cannot be decrypted"));
	assert_null(strstr(orsp_err_detail(), "tampered"));
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	gcm_fails = true;
	assert_int_equal(orsp_seal_read(s, "a", buf, sizeof(buf), &n), ORSP_E_CRYPTO);
	gcm_fails = false;
	assert_null(strstr(orsp_err_detail(), "tampered"));
	assert_string_equal(get(s, "a"), "alpha");
	orsp_seal_close(s);
}

/* Create takes no path longer than open and destroy take (it made stores that neither could
 * use or remove, until session 67), and a lock file it could not lock does not keep a
 * directory it made. */
static void test_create_long_path(void **state)
{
	static char d[4200];
	const char *at = "lock: lock file opened";
	size_t len;
	struct stat st;
	(void)state;

	len = (size_t)snprintf(d, sizeof(d), "%.1000s/long", test_tmpdir("seal"));
	assert_true(mkdir(d, 0700) == 0 || errno == EEXIST);
	while (len < 3800) {
		len += (size_t)snprintf(d + len, sizeof(d) - len, "/%0200d", 0);
		assert_true(mkdir(d, 0700) == 0 || errno == EEXIST);
	}
	/* 4070 bytes: manifest.tmp (the longest name create writes) still fits PATH_MAX */
	memset(d + len, 'x', 4070 - len);
	d[len] = '/';
	d[4070] = '\0';
	assert_int_equal(orsp_seal_create(d), ORSP_E_USAGE);
	assert_int_not_equal(stat(d, &st), 0);

	orsp_seal_set_test_hook(fail_at, &at);
	assert_int_equal(orsp_seal_create(dir), ORSP_E_STORAGE);
	orsp_seal_set_test_hook(NULL, NULL);
	assert_int_not_equal(stat(dir, &st), 0);
}

/* The hook fails the n-th "commit: " point it sees (*arg counts down; 0 after). */
static orsp_err fail_nth_commit_step(const char *point, void *arg)
{
	unsigned *left = arg;
	if (strncmp(point, "commit: ", 8) != 0 || *left == 0)
		return ORSP_OK;
	return --*left == 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* A test hook failing every step of an unfinished commit's completion. */
static orsp_err fail_completion(const char *point, void *arg)
{
	(void)arg;
	return strncmp(point, "commit: completion: ", 20) == 0 ? ORSP_E_STORAGE : ORSP_OK;
}

/* The counter file's value. */
static uint64_t counter_file(void)
{
	size_t n = 0;
	uint8_t *p = test_read_file(in("counter"), &n);
	uint64_t v = 0;
	assert_non_null(p);
	assert_int_equal(n, 8);
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | p[i];
	free(p);
	return v;
}

/* The store at the state a failed commit of test_commit_outcomes left, by what the commit
 * said: the old set (not applied) or the new one. */
static void expect_set(orsp_seal *s, bool applied)
{
	assert_string_equal(get(s, "keep"), "kept");
	assert_string_equal(get(s, "isdr"), applied ? "new-isdr" : "old-isdr");
	assert_string_equal(get(s, "upp.1"), applied ? "" : "old-profile");
	assert_string_equal(get(s, "upp.2"), applied ? "new-profile" : "");
	assert_int_equal(orsp_seal_counter(s), applied ? 4 : 3);
}

/* A commit that fails at each of its write steps in turn (the test hook's "commit: " points)
 * says truthfully whether it took effect (orsp_seal_committed): before the manifest's rename
 * nothing changed, the files it wrote are gone and the next commit works; after it (the
 * directory's flush, the counter's advance) the new set is the one open loads, the counter is
 * completed by that open. After a failed counter advance the handle reads the new set and its
 * next commit completes the counter; after a failed flush it refuses every read and commit
 * until the store is opened again (orsp_seal_unflushed: until session 78 it went on as after
 * a failed advance, and a caller acted on a set a power cut could still lose). A failed
 * removal of an old record is no failure. Until session 69 every failure made the handle
 * refuse everything, and one after the rename was reported as any other (ORSP_E_STORAGE):
 * callers took a committed change for one not made. */
static void test_commit_outcomes(void **state)
{
	static const char *const want[] = {
	    "write",  "fsync", "write",  "fsync",           "directory fsync of the records",
	    "write",  "fsync", "rename", "directory fsync", "counter advance",
	    "unlink", "unlink"};
	(void)state;

	for (unsigned k = 1;; k++) {
		orsp_seal_record r[3] = {{"isdr", (const uint8_t *)"new-isdr", 8},
		                         {"upp.1", NULL, 0},
		                         {"upp.2", (const uint8_t *)"new-profile", 11}};
		orsp_seal *s = NULL;
		unsigned left = k;
		const char *at = k <= ORSP_ARRAY_LEN(want) ? want[k - 1] : NULL;
		bool applied;
		orsp_err e;
		char sub[64], why[ORSP_ERR_DETAIL_MAX];

		snprintf(sub, sizeof(sub), "fail%u", k);
		snprintf(dir, sizeof(dir), "%.900s/%s", test_tmpdir("seal"), sub);
		assert_int_equal(orsp_seal_create(dir), ORSP_OK);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		put(s, "isdr", "old-isdr");
		put(s, "upp.1", "old-profile");
		put(s, "keep", "kept");
		assert_false(orsp_seal_committed(NULL));
		orsp_seal_set_test_hook(fail_nth_commit_step, &left);
		e = orsp_seal_commit(s, r, 3);
		orsp_seal_set_test_hook(NULL, NULL);
		orsp_err_detail_copy(why, sizeof(why));
		if (!at) { /* every step passed */
			assert_int_equal(e, ORSP_OK);
			assert_true(orsp_seal_committed(s));
			orsp_seal_close(s);
			break;
		}
		if (strcmp(at, "unlink") == 0) {
			/* done and durable: the old record's file is left to the next open */
			assert_int_equal(e, ORSP_OK);
			assert_true(orsp_seal_committed(s));
			expect_set(s, true);
			put(s, "after", "ok");
			orsp_seal_close(s);
			assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
			assert_string_equal(get(s, "after"), "ok");
			assert_int_equal(count_files(".rec"), orsp_seal_count(s));
			orsp_seal_close(s);
			continue;
		}
		assert_int_equal(e, ORSP_E_STORAGE);
		applied = orsp_seal_committed(s);
		/* the rename is the commit point */
		assert_int_equal(applied, strcmp(at, "directory fsync") == 0 ||
		                              strcmp(at, "counter advance") == 0);
		assert_int_equal(orsp_seal_unflushed(s), strcmp(at, "directory fsync") == 0);
		if (orsp_seal_unflushed(s)) {
			uint8_t b[16];
			size_t n = 0;
			orsp_seal_record a = {"after", (const uint8_t *)"no", 2};
			assert_non_null(strstr(why, "may not survive a power cut"));
			/* stopped: nothing read, nothing committed, the counter left behind */
			assert_int_equal(orsp_seal_read(s, "keep", b, sizeof(b), &n),
			                 ORSP_E_STORAGE);
			assert_non_null(strstr(orsp_err_detail(), "until"));
			assert_non_null(strstr(orsp_err_detail(), "is opened again"));
			assert_int_equal(orsp_seal_commit(s, &a, 1), ORSP_E_STORAGE);
			assert_false(orsp_seal_committed(s));
			assert_int_equal(counter_file(), 3);
			orsp_seal_close(s);
			/* opened again: the new set, the counter completed */
			assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
			assert_false(orsp_seal_unflushed(s));
			assert_int_equal(counter_file(), 4);
			expect_set(s, true);
			assert_string_equal(get(s, "after"), "");
			put(s, "after", "ok");
			assert_int_equal(count_files(".rec"), orsp_seal_count(s));
			orsp_seal_close(s);
			continue;
		}
		expect_set(s, applied); /* the handle still reads, its state the truth */
		if (!applied) {
			char path[64];
			snprintf(path, sizeof(path), "commit: %s", at);
			assert_non_null(strstr(why, path));
			/* the files it wrote are gone, and the handle goes on */
			assert_int_equal(count_files(".rec"), 3);
			assert_int_equal(count_files(".tmp"), 0);
			assert_int_equal(counter_file(), 3);
			put(s, "after", "ok");
			assert_int_equal(orsp_seal_counter(s), 4);
			orsp_seal_close(s);
			assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
			assert_string_equal(get(s, "isdr"), "old-isdr");
			assert_string_equal(get(s, "after"), "ok");
			orsp_seal_close(s);
			continue;
		}
		assert_non_null(strstr(why, "counter's advance failed"));
		/* the counter is one behind; the next commit completes it first, and is refused,
		 * nothing of it applied, while that fails */
		assert_int_equal(counter_file(), 3);
		orsp_seal_record a = {"after", (const uint8_t *)"no", 2};
		orsp_seal_set_test_hook(fail_completion, NULL);
		assert_int_equal(orsp_seal_commit(s, &a, 1), ORSP_E_STORAGE);
		orsp_seal_set_test_hook(NULL, NULL);
		assert_false(orsp_seal_committed(s));
		assert_non_null(strstr(orsp_err_detail(), "completing it failed again"));
		assert_int_equal(counter_file(), 3);
		expect_set(s, true);
		assert_string_equal(get(s, "after"), "");
		/* the cause gone, the next commit completes the counter and is made, on the
		 * same handle (until session 72 only an open completed it) */
		assert_int_equal(orsp_seal_commit(s, &a, 1), ORSP_OK);
		assert_true(orsp_seal_committed(s));
		assert_int_equal(counter_file(), 5);
		assert_int_equal(orsp_seal_counter(s), 5);
		assert_string_equal(get(s, "after"), "no");
		/* the old records the unfinished commit left are gone with its completion */
		assert_int_equal(count_files(".rec"), orsp_seal_count(s));
		orsp_seal_close(s);
		assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
		assert_int_equal(counter_file(), 5);
		assert_string_equal(get(s, "isdr"), "new-isdr");
		assert_string_equal(get(s, "upp.2"), "new-profile");
		assert_string_equal(get(s, "after"), "no");
		put(s, "after", "ok");
		orsp_seal_close(s);
	}
}

/* The same outcomes from the system calls themselves (ENOSPC, EIO): the manifest's rename
 * (not applied), the directory's flush after it and the counter file's rename (applied). */
static void test_commit_outcomes_syscalls(void **state)
{
	orsp_seal_record r = {"a", (const uint8_t *)"two", 3};
	orsp_seal *s = NULL;
	(void)state;

	create_with("a", "one");
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	rename_fails = "manifest";
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_STORAGE);
	rename_fails = NULL;
	assert_false(orsp_seal_committed(s));
	assert_non_null(strstr(orsp_err_detail(), "No space left on device"));
	assert_string_equal(get(s, "a"), "one");
	assert_int_equal(count_files(".rec"), 1);
	assert_int_equal(count_files(".tmp"), 0);

	/* the flush after the rename (EIO): the records' flush is the commit's first. The
	 * handle stops: no read, no commit, no flush tried again (on Linux a second fsync may
	 * answer success after an EIO with nothing written), until it is opened again, which
	 * flushes the directory before it completes the counter */
	fsync_fail_in = 1;
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_STORAGE);
	fsync_fail_in = -1;
	assert_true(orsp_seal_committed(s));
	assert_true(orsp_seal_unflushed(s));
	assert_non_null(strstr(orsp_err_detail(), "may not survive a power cut"));
	assert_non_null(strstr(orsp_err_detail(), "Input/output error"));
	uint8_t b[8];
	size_t n = 0;
	assert_int_equal(orsp_seal_read(s, "a", b, sizeof(b), &n), ORSP_E_STORAGE);
	r.data = (const uint8_t *)"ten";
	fsync_fail_in = 0;
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_STORAGE);
	assert_int_equal(fsync_fail_in, 0); /* refused before any flush */
	fsync_fail_in = -1;
	assert_false(orsp_seal_committed(s));
	assert_int_equal(counter_file(), 1);
	orsp_seal_close(s);
	/* the open's flush failing: refused, said so, nothing changed (the counter left behind,
	 * the superseded record file kept) */
	assert_int_equal(count_files(".rec"), 2);
	fsync_fail_in = 0;
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_E_STORAGE);
	fsync_fail_in = -1;
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "sealed store not opened: its last commit "
	                                          "(counter 2) cannot be made durable"));
	assert_non_null(strstr(orsp_err_detail(), "Input/output error"));
	assert_non_null(strstr(orsp_err_detail(), "nothing was changed"));
	assert_int_equal(counter_file(), 1);
	assert_int_equal(count_files(".rec"), 2);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "two");
	assert_int_equal(counter_file(), 2);
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_OK);
	assert_int_equal(counter_file(), 3);
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "ten");
	assert_int_equal(counter_file(), 3);

	r.data = (const uint8_t *)"six";
	rename_fails = "counter";
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_STORAGE);
	rename_fails = NULL;
	assert_true(orsp_seal_committed(s));
	assert_non_null(strstr(orsp_err_detail(), "counter's advance failed"));
	assert_non_null(strstr(orsp_err_detail(), "No space left on device"));
	assert_string_equal(get(s, "a"), "six");
	assert_int_equal(counter_file(), 3);
	orsp_seal_close(s);
	assert_int_equal(orsp_seal_open(dir, NULL, &s), ORSP_OK);
	assert_string_equal(get(s, "a"), "six");
	assert_int_equal(orsp_seal_counter(s), 4);
	assert_int_equal(counter_file(), 4);
	/* applied, not completed, then the counter's rename failing again at the next
	 * commit's completion: refused, nothing of it applied; then made */
	r.data = (const uint8_t *)"one";
	rename_fails = "counter";
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_STORAGE);
	assert_true(orsp_seal_committed(s));
	r.data = (const uint8_t *)"eleven";
	r.len = 6;
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_E_STORAGE);
	rename_fails = NULL;
	assert_false(orsp_seal_committed(s));
	assert_non_null(strstr(orsp_err_detail(), "completing it failed again"));
	assert_non_null(strstr(orsp_err_detail(), "No space left on device"));
	assert_string_equal(get(s, "a"), "one");
	assert_int_equal(counter_file(), 4);
	assert_int_equal(orsp_seal_commit(s, &r, 1), ORSP_OK);
	assert_string_equal(get(s, "a"), "eleven");
	assert_int_equal(counter_file(), 6);
	assert_int_equal(count_files(".rec"), 1);
	orsp_seal_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_round_trip, setup),
	    cmocka_unit_test_setup(test_bad_arguments, setup),
	    cmocka_unit_test_setup(test_record_limit, setup),
	    cmocka_unit_test_setup(test_crash_every_step, setup),
	    cmocka_unit_test_setup(test_tamper, setup),
	    cmocka_unit_test_setup(test_tamper_named, setup),
	    cmocka_unit_test_setup(test_rollback, setup),
	    cmocka_unit_test_setup(test_key_file, setup),
	    cmocka_unit_test_setup(test_key_file_swapped, setup),
	    cmocka_unit_test_setup(test_not_regular, setup),
	    cmocka_unit_test_setup(test_file_sizes, setup),
	    cmocka_unit_test_setup(test_record_replayed, setup),
	    cmocka_unit_test_setup(test_planted, setup),
	    cmocka_unit_test_setup(test_dir_mode, setup),
	    cmocka_unit_test_setup(test_parent_dirs, setup),
	    cmocka_unit_test_setup(test_path_other_user, setup),
	    cmocka_unit_test_setup(test_path_swapped_after_check, setup),
	    cmocka_unit_test_setup(test_create_parent_swapped, setup),
	    cmocka_unit_test_setup_teardown(test_relative_long_cwd, setup, cwd_back),
	    cmocka_unit_test_setup(test_handle_keeps_dir, setup),
	    cmocka_unit_test_setup(test_file_owner_mode, setup),
	    cmocka_unit_test_setup(test_provider, setup),
	    cmocka_unit_test_setup(test_provider_rollback, setup),
	    cmocka_unit_test_setup(test_provider_destroy_rollback, setup),
	    cmocka_unit_test_setup(test_provider_crash, setup),
	    cmocka_unit_test_setup(test_provider_kind, setup),
	    cmocka_unit_test_setup(test_counter_wrap, setup),
	    cmocka_unit_test_setup(test_manifest_parse, setup),
	    cmocka_unit_test_setup(test_commit_exhausted, setup),
	    cmocka_unit_test_setup(test_destroy, setup),
	    cmocka_unit_test_setup(test_lock, setup),
	    cmocka_unit_test_setup(test_lock_wait, setup),
	    cmocka_unit_test_setup(test_open_race, setup),
	    cmocka_unit_test_setup(test_destroy_lock_replaced, setup),
	    cmocka_unit_test_setup(test_destroy_empty, setup),
	    cmocka_unit_test_setup(test_open_lock_replaced, setup),
	    cmocka_unit_test_setup(test_create_fails, setup),
	    cmocka_unit_test_setup(test_create_killed, setup),
	    cmocka_unit_test_setup(test_create_write_fails, setup),
	    cmocka_unit_test_setup(test_create_parent_fsync, setup),
	    cmocka_unit_test_setup(test_create_order, setup),
	    cmocka_unit_test_setup(test_destroy_order, setup),
	    cmocka_unit_test_setup(test_create_fails_after_manifest, setup),
	    cmocka_unit_test_setup(test_cipher_failure, setup),
	    cmocka_unit_test_setup(test_create_long_path, setup),
	    cmocka_unit_test_setup(test_commit_outcomes, setup),
	    cmocka_unit_test_setup(test_commit_outcomes_syscalls, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
