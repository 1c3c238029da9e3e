/* `openrsp bench crl`: what an EUM's CRL of N entries costs the SM-DP+ (docs/bench.md).
 *
 * A CI, an EUM and two eUICCs are made in memory (orsp_cert_issue, P-256). For each size N
 * the EUM issues a CRL of N random 16-octet serial numbers plus the first eUICC's, saved to a
 * temporary file; then, as `smdp serve` does at start, a store reads it (add_file) and binds
 * it to the CI. The heap it holds afterwards is malloc's count of bytes in use (mallinfo2)
 * before and after, and the resident size it added at its peak (the kernel's high-water mark,
 * reset just before: /proc/self/clear_refs). The issuing's freed heap is consolidated first
 * (malloc_trim), so that the load does not pay for it. The first check of an eUICC under the EUM
 * verifies the CRL's signature; after it, checks of the listed eUICC (REVOKED) and of the other
 * (GOOD) are timed in interleaved rounds together with a check against a store holding no CRL, the
 * cost an SM-DP+ without `crl` pays. Every verdict is checked, in every round. The CRL files go to
 * a directory of their own under $TMPDIR (else /tmp), each removed once read. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_crl.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/crypto.h"

#define ROUNDS 7
#define MAX_SIZES 8
#define MAX_ENTRIES 1500000u /* its DER stays under add_file's 64 MiB */
#define SERIAL_LEN 16

enum { L_LISTED, L_UNLISTED, L_NO_CRL, L__COUNT };
static const char *const l_names[L__COUNT] = {"listed eUICC (revoked)", "eUICC not listed",
                                              "no CRL held (baseline)"};

typedef struct bench_pki {
	orsp_ec_key *ci_key, *eum_key, *euicc_key;
	orsp_cert *ci, *eum, *listed, *unlisted;
	orsp_ci_store *cis;
} bench_pki;

typedef struct size_result {
	size_t entries, file_bytes;
	double issue_s, load_s, bind_s, first_check_s;
	long long heap_bytes, load_peak_bytes; /* -1: not measured */
	double per_s[L__COUNT];
} size_result;

/* malloc's bytes in use (the arenas' and the mmap'ed chunks'). */
static long long heap_in_use(void)
{
	struct mallinfo2 m = mallinfo2();
	return (long long)(m.uordblks + m.hblkhd);
}

/* A field of /proc/self/status in bytes (-1 when it cannot be read). */
static long long status_kb(const char *field)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, 10) * 1024;
			break;
		}
	if (f)
		fclose(f);
	return v;
}

/* Reset the resident high-water mark (VmHWM) to the present size; false when not allowed. */
static bool hwm_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	bool ok = f && fputs("5", f) >= 0;

	if (f && fclose(f) != 0)
		ok = false;
	return ok;
}

static orsp_err issue(orsp_rsp_role role, const char *cn, const char *eid, const orsp_ec_key *key,
                      const orsp_ec_key *issuer_key, const orsp_cert *issuer, orsp_cert **out)
{
	orsp_cert_template t;
	time_t now = time(NULL);
	orsp_err e = orsp_cert_template_init(&t, role);

	if (e)
		return e;
	t.org = "openrsp bench";
	t.common_name = cn;
	t.serial_number = eid;
	t.not_before = now - 3600;
	t.not_after = now + 30 * 86400;
	if (role == ORSP_ROLE_EUM)
		t.eid_prefix = "89049032";
	return orsp_cert_issue(&t, key, issuer_key, issuer, out);
}

static orsp_err pki_make(bench_pki *p)
{
	char eid[2][33];
	orsp_err e = orsp_ec_generate(ORSP_CURVE_P256, &p->ci_key);

	if (!e)
		e = orsp_ec_generate(ORSP_CURVE_P256, &p->eum_key);
	if (!e)
		e = orsp_ec_generate(ORSP_CURVE_P256, &p->euicc_key);
	if (!e)
		e = orsp_eid_generate("89049032", eid[0]);
	if (!e)
		e = orsp_eid_generate("89049032", eid[1]);
	if (!e)
		e = issue(ORSP_ROLE_CI, "bench CI", NULL, p->ci_key, p->ci_key, NULL, &p->ci);
	if (!e)
		e = issue(ORSP_ROLE_EUM, "bench EUM", NULL, p->eum_key, p->ci_key, p->ci, &p->eum);
	/* two certificates of one key: only their serial numbers matter here */
	if (!e)
		e = issue(ORSP_ROLE_EUICC, "bench eUICC", eid[0], p->euicc_key, p->eum_key, p->eum,
		          &p->listed);
	if (!e)
		e = issue(ORSP_ROLE_EUICC, "bench eUICC", eid[1], p->euicc_key, p->eum_key, p->eum,
		          &p->unlisted);
	if (!e)
		e = orsp_ci_store_new(&p->cis);
	if (!e)
		e = orsp_ci_store_add(p->cis, p->ci);
	return e;
}

static void pki_free(bench_pki *p)
{
	orsp_ci_store_free(p->cis);
	orsp_cert_free(p->unlisted);
	orsp_cert_free(p->listed);
	orsp_cert_free(p->eum);
	orsp_cert_free(p->ci);
	orsp_ec_free(p->euicc_key);
	orsp_ec_free(p->eum_key);
	orsp_ec_free(p->ci_key);
}

/* One check of cert under the EUM: ORSP_OK when the verdict is `want`. */
static orsp_err check_one(const orsp_crl_store *s, const bench_pki *p, const orsp_cert *cert,
                          orsp_crl_status want)
{
	orsp_slice der = orsp_cert_der(cert);
	orsp_crl_status st = ORSP_CRL_GOOD;
	orsp_err e = orsp_crl_check(s, p->eum, der.p, der.len, 0, &st);

	if (e && e != ORSP_E_POLICY)
		return e;
	orsp_err_clear();
	if (st != want)
		return orsp_errf(ORSP_E_STATE, "status %d where %d was expected", (int)st,
		                 (int)want);
	return ORSP_OK;
}

/* Checks of one kind for `slice` seconds (at least one): checks per second. */
static orsp_err run_slice(const orsp_crl_store *s, const orsp_crl_store *none, const bench_pki *p,
                          int kind, double slice, double *per_s)
{
	uint64_t ops = 0;
	double t0 = orsp_mono_s(), t;
	orsp_err e;

	do {
		switch (kind) {
		case L_LISTED:
			e = check_one(s, p, p->listed, ORSP_CRL_REVOKED);
			break;
		case L_UNLISTED:
			e = check_one(s, p, p->unlisted, ORSP_CRL_GOOD);
			break;
		default:
			e = check_one(none, p, p->listed, ORSP_CRL_GOOD);
			break;
		}
		if (e)
			return e;
		ops++;
		t = orsp_mono_s();
	} while (t - t0 < slice);
	*per_s = (double)ops / (t - t0);
	return ORSP_OK;
}

/* The EUM's CRL of n random serial numbers and the listed eUICC's, into path. */
static orsp_err make_crl(const bench_pki *p, size_t n, const char *path, size_result *r)
{
	orsp_crl_revoked *rev = calloc(n + 1, sizeof(*rev));
	uint8_t *serials = malloc(SERIAL_LEN * (n + 1)), *der = NULL;
	time_t now = time(NULL);
	orsp_slice mine;
	size_t len = 0;
	double t0;
	orsp_err e = rev && serials ? orsp_random(serials, SERIAL_LEN * (n + 1))
	                            : orsp_errf(ORSP_E_RESOURCE, "out of memory");

	for (size_t i = 0; !e && i < n; i++) {
		/* positive, no leading zero octet: a 16-octet INTEGER as orsp_cert_issue makes */
		serials[SERIAL_LEN * i] = (uint8_t)((serials[SERIAL_LEN * i] & 0x7F) | 0x01);
		rev[i] = (orsp_crl_revoked){serials + SERIAL_LEN * i, SERIAL_LEN, now - 60, 0};
	}
	if (!e)
		e = orsp_cert_der_serial(orsp_cert_der(p->listed).p, orsp_cert_der(p->listed).len,
		                         &mine);
	if (!e) {
		rev[n] = (orsp_crl_revoked){mine.p, mine.len, now - 60, 1};
		t0 = orsp_mono_s();
		e = orsp_crl_issue(p->eum, p->eum_key, rev, n + 1, now - 60, now + 7 * 86400, 1,
		                   &der, &len);
		r->issue_s = orsp_mono_s() - t0;
	}
	if (!e)
		e = orsp_crl_save(der, len, path);
	r->file_bytes = len;
	free(der);
	free(serials);
	free(rev);
	return e;
}

/* Load the CRL of path as `smdp serve` does, time it and its heap, then the lookups. */
static orsp_err measure(const bench_pki *p, const char *path, double seconds, size_result *r)
{
	orsp_crl_store *s = NULL, *none = NULL;
	double res[L__COUNT][ROUNDS], slice = seconds / (ROUNDS * L__COUNT), t0;
	long long h0, rss0, hwm_kb = -1;
	bool hwm;
	orsp_err e = orsp_crl_store_new(&s);

	malloc_trim(0);
	h0 = heap_in_use();
	rss0 = status_kb("VmRSS");
	hwm = rss0 >= 0 && hwm_reset();
	t0 = orsp_mono_s();
	if (!e)
		e = orsp_crl_store_add_file(s, path);
	r->load_s = orsp_mono_s() - t0;
	unlink(path); /* read: a signal from here on leaves no file behind */
	t0 = orsp_mono_s();
	if (!e)
		e = orsp_crl_store_bind(s, p->cis, NULL);
	r->bind_s = orsp_mono_s() - t0;
	r->heap_bytes = heap_in_use() - h0;
	if (hwm)
		hwm_kb = status_kb("VmHWM");
	r->load_peak_bytes = hwm_kb >= rss0 ? hwm_kb - rss0 : -1;
	t0 = orsp_mono_s();
	if (!e)
		e = check_one(s, p, p->listed, ORSP_CRL_REVOKED);
	r->first_check_s = orsp_mono_s() - t0;
	if (!e)
		e = orsp_crl_store_new(&none);
	/* warm up, then interleave, the order rotated each round */
	for (int k = 0; !e && k < L__COUNT; k++)
		e = run_slice(s, none, p, k, slice / 4, &res[k][0]);
	for (int round = 0; !e && round < ROUNDS; round++)
		for (int i = 0; !e && i < L__COUNT; i++) {
			int k = (i + round) % L__COUNT;
			e = run_slice(s, none, p, k, slice, &res[k][round]);
		}
	for (int k = 0; !e && k < L__COUNT; k++)
		r->per_s[k] = bench_median(res[k], ROUNDS);
	orsp_crl_store_free(none);
	orsp_crl_store_free(s);
	return e;
}

static int parse_sizes(const char *v, size_t *sizes, int *n)
{
	const char *p = v;
	char num[16];
	uint64_t x;
	int rc;

	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (*n == MAX_SIZES)
			return cli_usage("--entries", "at most %d sizes", MAX_SIZES);
		if (len == 0 || len >= sizeof(num))
			return cli_usage("--entries", "expected numbers separated by commas");
		memcpy(num, p, len);
		num[len] = '\0';
		if ((rc = cli_uint("--entries", num, 0, MAX_ENTRIES, &x)) != CLI_OK)
			return rc;
		sizes[(*n)++] = (size_t)x;
		if (!p[len])
			return CLI_OK;
		p += len + 1;
	}
}

static void print_text(const size_result *r, int n, double seconds)
{
	printf("bench crl: an EUM's CRL of N + 1 entries (16-octet serials), P-256; lookups in "
	       "%d interleaved rounds of %.3f s, median\n",
	       ROUNDS, seconds / (ROUNDS * L__COUNT));
	for (int i = 0; i < n; i++) {
		char peak[48] = "not measured";
		if (r[i].load_peak_bytes >= 0)
			snprintf(peak, sizeof(peak), "%.1f MB", (double)r[i].load_peak_bytes / 1e6);
		printf("N = %zu: file %.1f MB, issued in %.3f s, loaded in %.3f s (bind %.3f s), "
		       "heap %.1f MB (%.0f bytes an entry), resident size added at the load's peak "
		       "%s, first check %.2f ms\n",
		       r[i].entries, (double)r[i].file_bytes / 1e6, r[i].issue_s, r[i].load_s,
		       r[i].bind_s, (double)r[i].heap_bytes / 1e6,
		       (double)r[i].heap_bytes / (double)(r[i].entries + 1), peak,
		       1e3 * r[i].first_check_s);
		for (int k = 0; k < L__COUNT; k++)
			printf("  %-26s %10.0f checks/s (%.2f us each)\n", l_names[k],
			       r[i].per_s[k], 1e6 / r[i].per_s[k]);
	}
}

static void print_json(const size_result *r, int n, double seconds)
{
	static const char *const keys[L__COUNT] = {"listed_per_s", "unlisted_per_s",
	                                           "no_crl_per_s"};
	cli_json j = {0};

	cj_obj_begin(&j, NULL);
	cj_double(&j, "seconds", seconds);
	cj_u64(&j, "rounds", ROUNDS);
	cj_arr_begin(&j, "sizes");
	for (int i = 0; i < n; i++) {
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "entries", r[i].entries + 1);
		cj_u64(&j, "file_bytes", r[i].file_bytes);
		cj_double(&j, "issue_s", r[i].issue_s);
		cj_double(&j, "load_s", r[i].load_s);
		cj_double(&j, "bind_s", r[i].bind_s);
		cj_i64(&j, "heap_bytes", r[i].heap_bytes);
		cj_i64(&j, "load_peak_bytes", r[i].load_peak_bytes);
		cj_double(&j, "first_check_s", r[i].first_check_s);
		for (int k = 0; k < L__COUNT; k++)
			cj_double(&j, keys[k], r[i].per_s[k]);
		cj_obj_end(&j);
	}
	cj_arr_end(&j);
	cj_obj_end(&j);
	cj_done(&j);
}

enum { OPT_ENTRIES = CLI_OPT_CMD, OPT_SECONDS, OPT_JSON };

int bench_crl(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"entries", required_argument, NULL, OPT_ENTRIES},
	    {"seconds", required_argument, NULL, OPT_SECONDS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	size_t sizes[MAX_SIZES] = {1000, 100000, 1000000};
	size_result r[MAX_SIZES];
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4096 + 16];
	double seconds = 2.0;
	bench_pki p = {0};
	bool json = false, made = false;
	int n = 3, rc, c;
	orsp_err e;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_ENTRIES) {
			if ((rc = parse_sizes(optarg, sizes, &n)) != CLI_OK)
				return rc;
		} else if (c == OPT_SECONDS) {
			if ((rc = cli_seconds("--seconds", optarg, 0.01, 3600, &seconds)) != CLI_OK)
				return rc;
		} else if (c == OPT_JSON) {
			json = true;
		} else {
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")) != CLI_OK)
		return rc;
	memset(r, 0, sizeof(r));
	if (!tmp || !tmp[0] || strlen(tmp) > 4000)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/openrsp-bench-crl.XXXXXX", tmp);
	e = pki_make(&p);
	if (!e && !mkdtemp(dir))
		e = orsp_errf(ORSP_E_IO, "cannot make a directory %s: %s", dir, strerror(errno));
	made = !e;
	for (int i = 0; !e && i < n; i++) {
		snprintf(path, sizeof(path), "%s/eum-%d.crl", dir, i);
		r[i].entries = sizes[i];
		e = make_crl(&p, sizes[i], path, &r[i]);
		if (!e)
			e = measure(&p, path, seconds, &r[i]);
		unlink(path);
	}
	if (made)
		rmdir(dir);
	pki_free(&p);
	if (e)
		return cli_fail("bench crl", e);
	if (json)
		print_json(r, n, seconds);
	else
		print_text(r, n, seconds);
	return CLI_OK;
}
