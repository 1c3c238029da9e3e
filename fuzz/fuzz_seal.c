/* libFuzzer target for the sealed store's manifest and record parsing (orsp_seal_open,
 * orsp_seal_read, src/seal/seal.c; the format in docs/seal.md, "On disk").
 *
 * The manifest and the records are AES-256-GCM under the device key, so the harness seals
 * what the fuzzer gives with a fixed key of its own, in the store's format, and writes a
 * whole store per input into one directory made at start-up (mode 0700, files 0600, removed
 * at exit). The first input byte chooses:
 *  - bits 0-1, the mode: 0 and 1: the rest is the manifest BODY, sealed; 2: the rest is the
 *    manifest file as it is; 3: a valid manifest of three records (one empty) and the record
 *    named by the second byte replaced by the rest, as its file (second byte even) or as its
 *    plaintext, sealed under its own name and generation (odd);
 *  - bit 2: the provider: the file provider over device.key (the fixed key) and counter, or
 *    one in memory holding the fixed key and the counter (its store's manifest sealed as one
 *    created with a provider: "OSEALMP1", its own AAD; no device.key nor counter file);
 *  - bits 3-4, the monotonic counter against the manifest's: equal, one behind (the crash
 *    between a commit's manifest and its counter advance), one ahead (rollback), two behind;
 *  - bit 5, with a body: each entry's SHA-256 set to its record's, so that reads succeed;
 *  - bit 6: plant an unfinished commit's files (the next generation's record file,
 *    manifest.tmp) and two files that are not the store's (r1.rec, r000000000000000G.rec);
 *  - bit 7: after a successful open, commit (add "fz.new", delete the first record), reopen.
 * Record files are written for every entry the harness can parse, at most 4 KiB each.
 * Properties, against a model of the documented format written here (body: counter(8)
 * next_gen(8) count(4), per entry name_len(1) name gen(8) len(4) sha256(32), big-endian; at
 * most 128 entries, names of 1..32 of [a-z0-9._-], distinct names and generations, each
 * below next_gen, lengths up to 1 MiB, no trailing bytes):
 *  - open is ORSP_OK exactly when the manifest authenticates, the model accepts its body and
 *    its counter equals the provider's or is one ahead; otherwise ORSP_E_VERIFY, no other code,
 *    but ORSP_E_USAGE for a raw manifest of the other kind's magic than the provider's;
 *  - a failed open leaves every file of the directory byte-identical and never calls the
 *    provider's close() nor moves its counter;
 *  - a successful open lists the model's names in order, each passing the name rules, reports
 *    the manifest's counter and brings the provider's counter to it; it removes exactly the
 *    record files no entry names (as docs/seal.md names record files) and manifest.tmp,
 *    writes nothing else but a repaired counter, and adds no file;
 *  - every listed record reads back ORSP_OK with the plaintext exactly when its file has the
 *    entry's size, authenticates under its name and generation and matches the entry's
 *    SHA-256, else ORSP_E_VERIFY; a buffer one byte short is ORSP_E_RESOURCE with the size;
 *    an unlisted name is ORSP_E_NOT_FOUND, a bad one ORSP_E_USAGE;
 *  - a commit is ORSP_OK (ORSP_E_USAGE past 128 records, the handle keeping its records),
 *    reads back, and the store reopens at the next counter with the same names in order.
 * A violated property calls abort(). Deterministic.
 *
 * Seeds (fuzz/corpus/seal/): empty and populated bodies, fixed-up or not, with each counter
 * relation, a lagging counter with planted files and a commit, raw manifests (valid under
 * the fixed key, cut, bad magic), record files fuzzed as files and as plaintexts.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrsp/crypto.h"
#include "openrsp/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OVERHEAD (8 + 12 + 16)
#define REC_FILE_MAX 4096      /* largest record the harness writes a file for */
#define REC_BUDGET (64 * 1024) /* record bytes written per input */
#define BODY_CAP 16384         /* larger than any manifest the store writes */
#define MAX_FILES 512

static const char mf_aad[] = "openrsp-seal manifest", rc_aad[] = "openrsp-seal record";
/* the manifest of a store created with a provider of the caller's (orsp_seal_create_with) */
static const char mp_aad[] = "openrsp-seal provider manifest";
static uint8_t key[ORSP_SEAL_KEY_LEN];
static char dir[256];
static uint8_t *rbuf; /* ORSP_SEAL_MAX_RECORD bytes, for the reads */

/* A violated property: name it, then abort. */
static void fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_seal.c:%d: property violated: %s\n", line, what);
	abort();
}
#define check(x) ((x) ? (void)0 : fail(#x, __LINE__))

static const char *in(const char *name)
{
	static char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void rec_name(char out[32], uint64_t gen)
{
	snprintf(out, 32, "r%016llx.rec", (unsigned long long)gen);
}

/* ----- the directory ----- */

static void write_bytes(const char *name, const void *p, size_t n)
{
	const char *path = in(name);
	int fd;

	check(unlink(path) == 0 || access(path, F_OK) != 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	check(fd >= 0);
	check(fchmod(fd, 0600) == 0);
	check(n == 0 || write(fd, p, n) == (ssize_t)n);
	check(close(fd) == 0);
}

/* The names of the directory's files, through one stream kept open (opendir allocates
 * 32 KiB each time, which under ASan was a third of an input's cost). */
static DIR *dirp;
static char names[MAX_FILES][256];

static size_t list_dir(void)
{
	struct dirent *de;
	size_t n = 0;

	rewinddir(dirp);
	while ((de = readdir(dirp)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		check(n < MAX_FILES && strlen(de->d_name) < sizeof(names[0]));
		snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	}
	return n;
}

/* Remove every file of the directory; the lock file too when all. */
static void clear_dir(bool all)
{
	size_t n = list_dir();

	for (size_t i = 0; i < n; i++)
		if (all || strcmp(names[i], "lock") != 0)
			check(unlink(in(names[i])) == 0);
}

static void cleanup(void)
{
	clear_dir(true);
	closedir(dirp);
	rmdir(dir);
	free(rbuf);
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	struct stat st;

	/* a commit fsyncs: tmpfs keeps that cheap */
	if (!t || !t[0])
		t = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
		            access("/dev/shm", W_OK) == 0
		        ? "/dev/shm"
		        : "/tmp";
	snprintf(dir, sizeof(dir), "%s/orsp-fuzz-seal.XXXXXX", t);
	check(mkdtemp(dir) != NULL);
	check(chmod(dir, 0700) == 0);
	dirp = opendir(dir);
	check(dirp != NULL);
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x5a ^ (i * 29));
	rbuf = malloc(ORSP_SEAL_MAX_RECORD);
	check(rbuf != NULL);
	atexit(cleanup);
}

/* Every file of the directory and its bytes (all of them: well below SNAP_BYTES). */
#define SNAP_BYTES (1024 * 1024)
typedef struct snap {
	size_t n, used;
	struct {
		char name[256];
		size_t off, len;
	} f[MAX_FILES];
	uint8_t b[SNAP_BYTES];
} snap;

static void snap_take(snap *s)
{
	size_t n = list_dir();

	s->used = 0;
	for (s->n = 0; s->n < n; s->n++) {
		int fd = open(in(names[s->n]), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		ssize_t r;
		check(fd >= 0);
		r = read(fd, s->b + s->used, SNAP_BYTES - s->used);
		check(r >= 0 && (size_t)r < SNAP_BYTES - s->used);
		close(fd);
		memcpy(s->f[s->n].name, names[s->n], sizeof(names[0]));
		s->f[s->n].off = s->used;
		s->f[s->n].len = (size_t)r;
		s->used += (size_t)r;
	}
}

static int snap_find(const snap *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].name, name))
			return (int)i;
	return -1;
}

static const uint8_t *snap_bytes(const snap *s, size_t i)
{
	return s->b + s->f[i].off;
}

static bool snap_same(const snap *a, size_t i, const snap *b, int j)
{
	return j >= 0 && a->f[i].len == b->f[j].len &&
	       !memcmp(snap_bytes(a, i), snap_bytes(b, (size_t)j), a->f[i].len);
}

/* ----- sealing, the store's format ----- */

static size_t seal(uint8_t *out, const char *magic, const void *aad, size_t aad_len,
                   const uint8_t *p, size_t n)
{
	memcpy(out, magic, 8);
	memset(out + 8, 0, 12);
	put_be(out + 8, n, 8); /* any IV will do: the key is the harness's */
	check(orsp_aes_gcm_seal(key, sizeof(key), out + 8, aad, aad_len, p, n, out + 20,
	                        out + 20 + n) == ORSP_OK);
	return n + OVERHEAD;
}

/* Open a sealed file of n bytes into out (n - OVERHEAD bytes); whether it authenticates. */
static bool unseal(const uint8_t *f, size_t n, const char *magic, const void *aad, size_t aad_len,
                   uint8_t *out)
{
	return n >= OVERHEAD && !memcmp(f, magic, 8) &&
	       orsp_aes_gcm_open(key, sizeof(key), f + 8, aad, aad_len, f + 20, n - OVERHEAD,
	                         f + n - 16, out) == ORSP_OK;
}

static size_t rec_aad(uint8_t *aad, const uint8_t *name, size_t l, uint64_t gen)
{
	size_t o = sizeof(rc_aad) - 1;
	memcpy(aad, rc_aad, o);
	aad[o++] = 0;
	memcpy(aad + o, name, l);
	o += l;
	aad[o++] = 0;
	put_be(aad + o, gen, 8);
	return o + 8;
}

/* ----- the model of a manifest body ----- */

typedef struct m_entry {
	uint8_t name[256];
	size_t l, sha_off;
	uint64_t gen;
	uint32_t len;
	const uint8_t *sha;
} m_entry;

typedef struct model {
	uint64_t counter, next_gen;
	size_t n; /* entries parsed (as far as the bytes go) */
	m_entry e[ORSP_SEAL_MAX_RECORDS];
	bool ok; /* what the documented format accepts */
} model;

static bool name_chars(const uint8_t *p, size_t l)
{
	if (l < 1 || l > ORSP_SEAL_NAME_MAX)
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		      p[i] == '_' || p[i] == '-'))
			return false;
	return true;
}

static void model_parse(model *m, const uint8_t *p, size_t n)
{
	size_t o = 20;
	uint64_t cnt;

	memset(m, 0, sizeof(*m));
	if (n < 20)
		return;
	m->counter = get_be(p, 8);
	m->next_gen = get_be(p + 8, 8);
	cnt = get_be(p + 16, 4);
	m->ok = cnt <= ORSP_SEAL_MAX_RECORDS;
	for (size_t i = 0; i < cnt && i < ORSP_SEAL_MAX_RECORDS; i++) {
		m_entry *e = &m->e[i];
		if (o >= n || p[o] == 0 || n - o - 1 < (size_t)p[o] + 44) {
			m->ok = false;
			return;
		}
		e->l = p[o];
		memcpy(e->name, p + o + 1, e->l);
		o += 1 + e->l;
		e->gen = get_be(p + o, 8);
		e->len = (uint32_t)get_be(p + o + 8, 4);
		e->sha_off = o + 12;
		e->sha = p + o + 12;
		o += 44;
		m->n++;
		m->ok &= name_chars(e->name, e->l) && e->gen < m->next_gen &&
		         e->len <= ORSP_SEAL_MAX_RECORD;
		for (size_t j = 0; j < i; j++)
			m->ok &= !(m->e[j].l == e->l && !memcmp(m->e[j].name, e->name, e->l)) &&
			         m->e[j].gen != e->gen;
	}
	m->ok &= o == n;
}

/* ----- the provider in memory ----- */

static struct {
	uint64_t counter;
	unsigned closes;
} mp;

static orsp_err mp_key(void *u, uint8_t k[ORSP_SEAL_KEY_LEN])
{
	(void)u;
	memcpy(k, key, sizeof(key));
	return ORSP_OK;
}

static orsp_err mp_read(void *u, uint64_t *v)
{
	(void)u;
	*v = mp.counter;
	return ORSP_OK;
}

static orsp_err mp_advance(void *u, uint64_t v)
{
	(void)u;
	check(v > mp.counter); /* seal.h: only forward */
	mp.counter = v;
	return ORSP_OK;
}

static void mp_close(void *u)
{
	(void)u;
	mp.closes++;
}

static const orsp_seal_provider mem_provider = {NULL, mp_key, mp_read, mp_advance, mp_close};

static uint64_t counter_now(bool file_prov)
{
	FILE *f;
	uint8_t b[9];

	if (!file_prov)
		return mp.counter;
	f = fopen(in("counter"), "rb");
	check(f != NULL && fread(b, 1, 9, f) == 8);
	fclose(f);
	return get_be(b, 8);
}

static void set_counter(bool file_prov, uint64_t v)
{
	uint8_t b[8];

	mp.counter = v;
	if (file_prov) {
		put_be(b, v, 8);
		write_bytes("counter", b, 8);
	}
}

/* ----- records ----- */

/* What a read of entry e should give: whether ORSP_OK, the plaintext then in pt. */
static bool read_model(const m_entry *e, uint8_t *pt)
{
	static uint8_t f[REC_FILE_MAX + OVERHEAD + 1];
	uint8_t aad[sizeof(rc_aad) + 256 + 10], sha[32];
	char file[32];
	size_t n;
	FILE *fp;

	rec_name(file, e->gen);
	fp = fopen(in(file), "rb");
	if (!fp)
		return false;
	n = fread(f, 1, sizeof(f), fp);
	fclose(fp);
	if (n != (size_t)e->len + OVERHEAD ||
	    !unseal(f, n, "OSEALRC1", aad, rec_aad(aad, e->name, e->l, e->gen), pt))
		return false;
	check(orsp_sha256(pt, e->len, sha) == ORSP_OK);
	return !memcmp(sha, e->sha, 32);
}

static void content(uint8_t *p, size_t len, uint64_t gen)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(gen * 131 + i * 7 + (i >> 8));
}

/* Write entry e's record file: content, sealed under its name and generation. */
static void write_record(const m_entry *e, const uint8_t *pt)
{
	static uint8_t f[REC_FILE_MAX + OVERHEAD];
	uint8_t aad[sizeof(rc_aad) + 256 + 10];
	char file[32];

	rec_name(file, e->gen);
	write_bytes(file, f,
	            seal(f, "OSEALRC1", aad, rec_aad(aad, e->name, e->l, e->gen), pt, e->len));
}

/* Read every record of the open store s and check it against the model. */
static void read_all(orsp_seal *s, const model *m)
{
	static uint8_t want[REC_FILE_MAX];
	unsigned big = 0;

	for (size_t i = 0; i < m->n; i++) {
		const m_entry *e = &m->e[i];
		size_t len = 0;
		bool ok;
		orsp_err r;

		/* A record without a file (over 4 KiB) is read in full once per input: each such
		 * read allocates and wipes up to 1 MiB, and they all take the same path. */
		if (e->len <= REC_FILE_MAX || big++ == 0) {
			ok = e->len <= REC_FILE_MAX && read_model(e, want);
			r = orsp_seal_read(s, orsp_seal_name(s, i), rbuf, e->len, &len);
			orsp_err_clear();
			check(ok ? r == ORSP_OK && len == e->len && !memcmp(rbuf, want, len)
			         : r == ORSP_E_VERIFY);
		}
		if (e->len > 0) {
			r = orsp_seal_read(s, orsp_seal_name(s, i), rbuf, e->len - 1, &len);
			orsp_err_clear();
			check(r == ORSP_E_RESOURCE && len == e->len);
		}
	}
}

static bool listed(const model *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].l == strlen(name) && !memcmp(m->e[i].name, name, m->e[i].l))
			return true;
	return false;
}

/* Whether name is a record file as docs/seal.md names them, of a generation m lists. */
static bool rec_file_of(const char *name, bool *is_rec, const model *m)
{
	*is_rec = strlen(name) == 21 && name[0] == 'r' &&
	          strspn(name + 1, "0123456789abcdef") == 16 && !strcmp(name + 17, ".rec");
	if (!*is_rec)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		char f[32];
		rec_name(f, m->e[i].gen);
		if (!strcmp(f, name))
			return true;
	}
	return false;
}

/* After a successful open: what is gone, changed and kept. */
static void check_after_open(const snap *before, const model *m, bool file_prov)
{
	static snap after_open;
	snap *after = &after_open;

	snap_take(after);
	for (size_t i = 0; i < after->n; i++)
		check(snap_find(before, after->f[i].name) >= 0);
	for (size_t i = 0; i < before->n; i++) {
		const char *name = before->f[i].name;
		int j = snap_find(after, name);
		bool is_rec, kept = rec_file_of(name, &is_rec, m);
		if ((is_rec && !kept) || !strcmp(name, "manifest.tmp"))
			check(j < 0);
		else if (file_prov && !strcmp(name, "counter"))
			check(j >= 0 && after->f[j].len == 8 &&
			      get_be(snap_bytes(after, (size_t)j), 8) == m->counter);
		else
			check(snap_same(before, i, after, j));
	}
}

/* Commit "fz.new" (and delete the first record), read it back, reopen: the same names in the
 * same order (names[] holds them across the reopen). */
static void commit_and_reopen(orsp_seal **sp, const model *m, const orsp_seal_provider *prov,
                              const uint8_t *data, size_t size)
{
	orsp_seal_record recs[2] = {{"fz.new", data, size < 40 ? size : 40}, {NULL, NULL, 0}};
	size_t n = 1, kept = m->n, len = 0;
	const char *del = m->n ? orsp_seal_name(*sp, 0) : NULL;
	char del_name[ORSP_SEAL_NAME_MAX + 1] = "";
	orsp_seal *s = *sp;
	orsp_err e;

	/* 2^64 commits away: the counter and the generations would wrap (not modelled) */
	if (m->counter == UINT64_MAX || m->next_gen == UINT64_MAX)
		return;
	if (listed(m, "fz.new"))
		kept--;
	if (del && strcmp(del, "fz.new") != 0) {
		snprintf(del_name, sizeof(del_name), "%s", del);
		recs[n++] = (orsp_seal_record){del_name, NULL, 0};
		kept--;
	}
	e = orsp_seal_commit(s, recs, n);
	orsp_err_clear();
	if (kept + 1 > ORSP_SEAL_MAX_RECORDS) {
		check(e == ORSP_E_USAGE && orsp_seal_count(s) == m->n);
		return;
	}
	check(e == ORSP_OK && orsp_seal_count(s) == kept + 1 &&
	      orsp_seal_counter(s) == m->counter + 1);
	check(orsp_seal_read(s, "fz.new", rbuf, recs[0].len, &len) == ORSP_OK &&
	      len == recs[0].len && !memcmp(rbuf, data, len));
	if (del_name[0])
		check(orsp_seal_read(s, del_name, rbuf, 0, &len) == ORSP_E_NOT_FOUND);
	orsp_err_clear();
	for (size_t i = 0; i <= kept; i++)
		snprintf(names[i], sizeof(names[0]), "%s", orsp_seal_name(s, i));
	orsp_seal_close(s);
	check(!prov || mp.closes == 1);
	mp.closes = 0;
	*sp = NULL;
	e = orsp_seal_open(dir, prov, sp);
	orsp_err_clear();
	check(e == ORSP_OK && orsp_seal_counter(*sp) == m->counter + 1 &&
	      orsp_seal_count(*sp) == kept + 1 && counter_now(prov == NULL) == m->counter + 1);
	check(orsp_seal_read(*sp, "fz.new", rbuf, recs[0].len, &len) == ORSP_OK &&
	      len == recs[0].len && !memcmp(rbuf, data, len));
	orsp_err_clear();
	for (size_t i = 0; i <= kept; i++)
		check(!strcmp(names[i], orsp_seal_name(*sp, i)));
}

/* ----- one input ----- */

enum { M_BODY0, M_BODY1, M_RAW, M_RECORD };

/* Mode M_RECORD's store: three records, the one named by sel replaced by rest. */
static size_t record_mode(uint8_t *body, uint8_t sel, const uint8_t *rest, size_t n)
{
	static const char *const names[] = {"a", "profile.1", "x_y-z"};
	static const uint64_t gens[] = {3, 5, 9};
	static const uint32_t lens[] = {5, 300, 0};
	uint8_t pt[300];
	size_t o = 20;
	model m;

	put_be(body, 7, 8);
	put_be(body + 8, 10, 8);
	put_be(body + 16, 3, 4);
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(names[i]);
		body[o++] = (uint8_t)l;
		memcpy(body + o, names[i], l);
		put_be(body + o + l, gens[i], 8);
		put_be(body + o + l + 8, lens[i], 4);
		content(pt, lens[i], gens[i]);
		check(orsp_sha256(pt, lens[i], body + o + l + 12) == ORSP_OK);
		o += l + 44;
	}
	model_parse(&m, body, o);
	check(m.ok);
	for (size_t i = 0; i < 3; i++) {
		uint8_t aad[sizeof(rc_aad) + 256 + 10];
		char file[32];
		rec_name(file, gens[i]);
		if (i != sel % 3u) {
			content(pt, lens[i], gens[i]);
			write_record(&m.e[i], pt);
		} else if (sel & 1) {
			uint8_t *f = malloc(n + OVERHEAD);
			check(f != NULL);
			write_bytes(file, f,
			            seal(f, "OSEALRC1", aad,
			                 rec_aad(aad, m.e[i].name, m.e[i].l, m.e[i].gen), rest, n));
			free(f);
		} else {
			write_bytes(file, rest, n);
		}
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static uint8_t body[BODY_CAP], mf[BODY_CAP + OVERHEAD], plain[BODY_CAP];
	static uint8_t pt[REC_FILE_MAX];
	static snap before;
	orsp_seal *s = NULL;
	uint8_t flags, mode;
	bool file_prov, auth, other_kind = false;
	size_t n, mf_len, budget = REC_BUDGET;
	uint64_t c0, stored;
	model m;
	orsp_err e;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1 || size > BODY_CAP)
		return 0;
	flags = data[0];
	mode = flags & 3;
	file_prov = flags & 4;
	data++;
	size--;
	clear_dir(false);
	memset(&mp, 0, sizeof(mp));

	/* the manifest file */
	if (mode == M_RAW) {
		memcpy(mf, data, size);
		mf_len = size;
	} else {
		if (mode == M_RECORD) {
			if (size < 1)
				return 0;
			n = record_mode(body, data[0], data + 1, size - 1);
		} else {
			memcpy(body, data, size);
			n = size;
		}
		model_parse(&m, body, n);
		for (size_t i = 0; i < m.n && mode != M_RECORD; i++) {
			const m_entry *en = &m.e[i];
			if (en->len > REC_FILE_MAX || en->len > budget)
				continue;
			budget -= en->len;
			content(pt, en->len, en->gen);
			if (flags & 0x20)
				check(orsp_sha256(pt, en->len, body + en->sha_off) == ORSP_OK);
			write_record(en, pt);
		}
		mf_len = file_prov ? seal(mf, "OSEALMF1", mf_aad, sizeof(mf_aad) - 1, body, n)
		                   : seal(mf, "OSEALMP1", mp_aad, sizeof(mp_aad) - 1, body, n);
	}
	write_bytes("manifest", mf, mf_len);
	/* what the store should find in it */
	auth = file_prov ? unseal(mf, mf_len, "OSEALMF1", mf_aad, sizeof(mf_aad) - 1, plain)
	                 : unseal(mf, mf_len, "OSEALMP1", mp_aad, sizeof(mp_aad) - 1, plain);
	if (mf_len >= 8)
		other_kind = !memcmp(mf, file_prov ? "OSEALMP1" : "OSEALMF1", 8);
	model_parse(&m, plain, auth ? mf_len - OVERHEAD : 0);
	m.ok &= auth;

	c0 = m.counter;
	switch ((flags >> 3) & 3) {
	case 0:
		stored = c0;
		break;
	case 1:
		stored = c0 - 1;
		break;
	case 2:
		stored = c0 + 1;
		break;
	default:
		stored = c0 - 2;
		break;
	}
	set_counter(file_prov, stored);
	if (file_prov)
		write_bytes("device.key", key, sizeof(key));
	if (flags & 0x40) {
		char f[32];
		rec_name(f, m.next_gen);
		write_bytes(f, "left", 4);
		write_bytes("manifest.tmp", "left", 4);
		write_bytes("r1.rec", "foreign", 7);
		write_bytes("r000000000000000G.rec", "foreign", 7);
	}
	/* the lock file is the store's (open makes it); it stays between inputs */
	if (access(in("lock"), F_OK) != 0)
		write_bytes("lock", NULL, 0);

	snap_take(&before);
	e = orsp_seal_open(dir, file_prov ? NULL : &mem_provider, &s);
	orsp_err_clear();
	m.ok &= stored == c0 || (stored != UINT64_MAX && c0 == stored + 1);
	if (!m.ok) {
		static snap after;
		check(e == (other_kind ? ORSP_E_USAGE : ORSP_E_VERIFY) && s == NULL);
		check(mp.closes == 0 && mp.counter == stored);
		snap_take(&after);
		check(after.n == before.n);
		for (size_t i = 0; i < before.n; i++)
			check(snap_same(&before, i, &after, snap_find(&after, before.f[i].name)));
		return 0;
	}
	check(e == ORSP_OK && s != NULL);
	check(orsp_seal_counter(s) == c0 && counter_now(file_prov) == c0);
	check(orsp_seal_count(s) == m.n && orsp_seal_name(s, m.n) == NULL);
	for (size_t i = 0; i < m.n; i++) {
		const char *name = orsp_seal_name(s, i);
		check(name && strlen(name) == m.e[i].l && !memcmp(name, m.e[i].name, m.e[i].l) &&
		      name_chars((const uint8_t *)name, strlen(name)));
	}
	check_after_open(&before, &m, file_prov);
	read_all(s, &m);
	{
		size_t len = 0;
		orsp_err r = orsp_seal_read(s, "not.listed-", rbuf, 0, &len);
		check(listed(&m, "not.listed-") || r == ORSP_E_NOT_FOUND);
		check(orsp_seal_read(s, "Not/a/name", rbuf, 0, &len) == ORSP_E_USAGE);
		orsp_err_clear();
	}
	if (flags & 0x80)
		commit_and_reopen(&s, &m, file_prov ? NULL : &mem_provider, data, size);
	check(mp.closes == 0);
	orsp_seal_close(s);
	check(file_prov || mp.closes == 1);
	return 0;
}
