/* `openrsp bench sign`: what a key in a PKCS#11 token costs the SM-DP+ per signature.
 *
 * One run, two keys of the same curve: the token's (orsp_ec_load_pkcs11) and one generated in
 * memory. Single-threaded, interleaved like `bench bpp` (7 rounds, each running both for a
 * slice; the median reported), with wall and thread CPU time per signature. Then T threads
 * signing at once with each key for a slice each: the token's session pool lets threads
 * sign in parallel, and the figure shows what the token allows a multi-threaded server.
 * Each key's signature is verified once before measuring; nothing is verified while timed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_sign.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/crypto.h"

#define ROUNDS 7
#define TBS_LEN 180 /* about the signed data of InitialiseSecureChannelRequest */

enum { K_TOKEN, K_MEMORY, K__COUNT };
static const char *const k_names[K__COUNT] = {"PKCS#11 token", "in memory"};

typedef struct slice_result {
	double per_s, cpu_us;
	uint64_t ops;
	double t0, t1; /* the slice's start and end (orsp_mono_s) */
	bool failed;
} slice_result;

/* Sign with k for `slice` seconds (at least once): rate and thread CPU per signature. */
static slice_result run_slice(const orsp_ec_key *k, double slice, uint8_t seed)
{
	uint8_t tbs[TBS_LEN], sig[ORSP_EC_SIG_LEN];
	slice_result r = {0};
	uint64_t ops = 0;
	double t0 = orsp_mono_s(), c0 = bench_thread_cpu_s(), t;

	memset(tbs, seed, sizeof(tbs));
	do {
		tbs[ops % TBS_LEN] ^= (uint8_t)ops;
		if (orsp_ecdsa_sign(k, tbs, sizeof(tbs), sig) != ORSP_OK) {
			r.failed = true;
			return r;
		}
		ops++;
		t = orsp_mono_s();
	} while (t - t0 < slice);
	r.per_s = (double)ops / (t - t0);
	r.cpu_us = 1e6 * (bench_thread_cpu_s() - c0) / (double)ops;
	r.ops = ops;
	r.t0 = t0;
	r.t1 = t;
	return r;
}

/* The start line of the threads of one concurrent run: none signs before all exist. */
typedef struct start_line {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool go;
} start_line;

typedef struct worker {
	const orsp_ec_key *k;
	double slice;
	uint8_t seed;
	start_line *start;
	slice_result r;
	char why[256]; /* the failure's detail (orsp_err_detail is the thread's own) */
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	pthread_mutex_lock(&w->start->mu);
	while (!w->start->go)
		pthread_cond_wait(&w->start->cv, &w->start->mu);
	pthread_mutex_unlock(&w->start->mu);
	w->r = run_slice(w->k, w->slice, w->seed);
	if (w->r.failed)
		orsp_err_detail_copy(w->why, sizeof(w->why));
	return NULL;
}

/* T threads signing with k at once: signatures per second of all of them, their signatures
 * over the span from the first start to the last end. The threads start together; until
 * session 55 each timed its own slice and the rates were added up, which with more threads
 * than cores counted slices that did not overlap (64 threads on 2 cores: 126,532/s reported
 * for 59,079/s made). */
static int concurrent(const orsp_ec_key *k, unsigned threads, double slice, double *per_s)
{
	pthread_t t[64];
	worker w[64];
	start_line start = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	unsigned started = 0;
	uint64_t ops = 0;
	double first = 0, last = 0;
	int rc = CLI_OK;

	*per_s = 0;
	for (unsigned i = 0; i < threads; i++) {
		w[i] = (worker){.k = k, .slice = slice, .seed = (uint8_t)i, .start = &start};
		if (pthread_create(&t[i], NULL, work, &w[i]) != 0) {
			rc = cli_failf("bench sign", "cannot start thread %u", i);
			break;
		}
		started++;
	}
	pthread_mutex_lock(&start.mu);
	start.go = true;
	pthread_cond_broadcast(&start.cv);
	pthread_mutex_unlock(&start.mu);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		if (w[i].r.failed && rc == CLI_OK)
			rc =
			    cli_failf("bench sign", "signing failed in thread %u: %s", i, w[i].why);
		if (w[i].r.failed)
			continue;
		ops += w[i].r.ops;
		if (first == 0 || w[i].r.t0 < first)
			first = w[i].r.t0;
		if (w[i].r.t1 > last)
			last = w[i].r.t1;
	}
	if (last > first)
		*per_s = (double)ops / (last - first);
	return rc;
}

/* The token's signatures verify with its public key (once, before measuring). */
static int check_pair(const orsp_ec_key *k)
{
	static const uint8_t m[] = "bench sign";
	uint8_t sig[ORSP_EC_SIG_LEN];
	if (orsp_ecdsa_sign(k, m, sizeof(m), sig) != ORSP_OK)
		return cli_failf("bench sign", "signing failed: %s", orsp_err_detail());
	if (orsp_ecdsa_verify(k, m, sizeof(m), sig) != ORSP_OK)
		return cli_failf("bench sign", "a signature does not verify: %s",
		                 orsp_err_detail());
	return CLI_OK;
}

enum { OPT_SECONDS = CLI_OPT_CMD, OPT_JSON, OPT_PKCS11, OPT_THREADS };

int bench_sign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, OPT_SECONDS},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"pkcs11", required_argument, NULL, OPT_PKCS11},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {NULL, 0, NULL, 0},
	};
	double seconds = 3.0, rate[K__COUNT][ROUNDS], cpu[K__COUNT][ROUNDS];
	double med[K__COUNT], med_cpu[K__COUNT], par[K__COUNT];
	/* a URI with a pin-value is refused, and with any usage error overwritten in argv
	 * before the message is said: it would show in ps meanwhile, or for as long as a full
	 * stderr blocks the write */
	static const int secret[] = {OPT_PKCS11, 0};
	char *uri = NULL;
	uint64_t threads = 4;
	orsp_ec_key *key[K__COUNT] = {NULL, NULL};
	bool json = false;
	int rc, c;

	cli_secret_guard(argc, argv, opts, secret, NULL);
	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_SECONDS) {
			if ((rc = cli_seconds("--seconds", optarg, 0.1, 3600, &seconds)))
				return rc;
		} else if (c == OPT_JSON) {
			json = true;
		} else if (c == OPT_PKCS11) {
			if (uri)
				return cli_usage("--pkcs11", "given twice");
			uri = optarg;
		} else if (c == OPT_THREADS) {
			if ((rc = cli_uint("--threads", optarg, 1, 64, &threads)))
				return rc;
		} else {
			return cli_usage(argv[optind - 1], "unexpected option");
		}
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if (!uri)
		return cli_missing("--pkcs11");
	if (!orsp_ec_pkcs11_uri(uri))
		return cli_usage("--pkcs11", "expected a PKCS#11 URI (pkcs11:...)");
	if (orsp_ec_pkcs11_uri_has_pin(uri)) {
		cli_wipe_arg(uri); /* the guard's too: not left to it */
		return cli_usage("--pkcs11", "a PIN on the command line shows in ps: give "
		                             "pin-source=FILE in the URI");
	}

	if (orsp_ec_load_pkcs11(uri, &key[K_TOKEN]) != ORSP_OK) {
		rc = cli_failf("bench sign", "%s", orsp_err_detail());
		goto out;
	}
	if (orsp_ec_generate(orsp_ec_curve(key[K_TOKEN]), &key[K_MEMORY]) != ORSP_OK) {
		rc = cli_fail("bench sign", ORSP_E_CRYPTO);
		goto out;
	}
	for (int k = 0; k < K__COUNT; k++)
		if ((rc = check_pair(key[k])))
			goto out;

	/* two thirds single-threaded, one third concurrent */
	double slice = 2 * seconds / 3 / (ROUNDS * K__COUNT);
	double pslice = seconds / 3 / K__COUNT;
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < K__COUNT; i++) {
			int k = (i + r) % K__COUNT;
			slice_result s = run_slice(key[k], slice, (uint8_t)r);
			if (s.failed) {
				rc = cli_failf("bench sign", "signing with the key %s failed: %s",
				               k_names[k], orsp_err_detail());
				goto out;
			}
			rate[k][r] = s.per_s;
			cpu[k][r] = s.cpu_us;
		}
	}
	for (int k = 0; k < K__COUNT; k++) {
		med[k] = bench_median(rate[k], ROUNDS);
		med_cpu[k] = bench_median(cpu[k], ROUNDS);
		if ((rc = concurrent(key[k], (unsigned)threads, pslice, &par[k])))
			goto out;
	}

	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_str(&j, "curve", orsp_curve_name(orsp_ec_curve(key[K_TOKEN])));
		cj_double(&j, "seconds", seconds);
		cj_u64(&j, "rounds", ROUNDS);
		cj_u64(&j, "threads", threads);
		cj_double(&j, "token_per_s", med[K_TOKEN]);
		cj_double(&j, "token_us", 1e6 / med[K_TOKEN]);
		cj_double(&j, "token_cpu_us", med_cpu[K_TOKEN]);
		cj_double(&j, "memory_per_s", med[K_MEMORY]);
		cj_double(&j, "memory_us", 1e6 / med[K_MEMORY]);
		cj_double(&j, "memory_cpu_us", med_cpu[K_MEMORY]);
		cj_double(&j, "token_threads_per_s", par[K_TOKEN]);
		cj_double(&j, "memory_threads_per_s", par[K_MEMORY]);
		cj_obj_end(&j);
		cj_done(&j);
		goto out;
	}
	printf("bench sign: ECDSA %s over %d bytes, %d interleaved rounds of %.3f s, median\n",
	       orsp_curve_name(orsp_ec_curve(key[K_TOKEN])), TBS_LEN, ROUNDS, slice);
	for (int k = 0; k < K__COUNT; k++)
		printf("  %-16s %9.1f /s %9.1f us each, %9.1f us of CPU\n", k_names[k], med[k],
		       1e6 / med[k], med_cpu[k]);
	printf("  a signature by the token takes %.2fx the time of one in memory\n",
	       med[K_MEMORY] / med[K_TOKEN]);
	printf("%u threads at once, %.3f s each:\n", (unsigned)threads, pslice);
	for (int k = 0; k < K__COUNT; k++)
		printf("  %-16s %9.1f /s\n", k_names[k], par[k]);
	printf("a download takes 3 signatures: the token alone allows %.0f downloads/s "
	       "(%u threads)\n",
	       par[K_TOKEN] / 3, (unsigned)threads);
out:
	for (int k = 0; k < K__COUNT; k++)
		orsp_ec_free(key[k]);
	return rc;
}
