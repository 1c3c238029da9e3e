/* `openrsp bench inventory` (bench/bench_inventory.h): what batches of commits change for
 * `openrsp smdp profile generate`. Each run is the real command, this binary in a process of
 * its own (exec of /proc/self/exe), on new databases in a throw-away directory; its wall time
 * is measured here and its CPU time is the child's (wait4), so the figures are those an
 * operator sees, the flushes included. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_inventory.h"
#include "bench_util.h"
#include "cli.h"
#include "openrsp/auc.h"

enum { OPT_COUNT = CLI_OPT_CMD, OPT_ROUNDS, OPT_BATCH, OPT_TEMPLATE, OPT_DIR, OPT_JSON };

#define RUNS 4 /* without and with --auc, each with --batch 1 and with the batch given */
#define ROUNDS_MAX 15
#define ICCID_START "898824700000000000"
#define IMSI_START "001010000000001" /* MCC 001, MNC 01 (the TS.48 template's EF.AD) */

typedef struct inv_run {
	bool auc;
	uint64_t batch;
	double wall[ROUNDS_MAX], cpu[ROUNDS_MAX];
	double wall_med, cpu_med;
} inv_run;

/* The first line of file path into out (without its newline; "" if none). */
static void first_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");

	out[0] = '\0';
	if (f && fgets(out, (int)cap, f))
		out[strcspn(out, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* A new AuC at adb with its KEK file adb.kek (or ORSP_KEK's key), as `openrsp auc init`
 * makes it: generate --auc takes only an AuC that exists. Not timed. */
static int new_auc(const char *adb)
{
	char kp[1300];
	orsp_secret kek = {0};
	orsp_auc *a = NULL;
	orsp_err e;

	snprintf(kp, sizeof(kp), "%s.kek", adb);
	e = orsp_kek_load_for_db(adb, kp, &kek);
	if (!e)
		e = orsp_auc_open(adb, &kek, &a);
	orsp_secret_wipe(&kek);
	orsp_auc_close(a);
	return e ? cli_fail(adb, e) : CLI_OK;
}

/* One generate of n profiles as r says into the new directory base/run<k>, removed after:
 * its wall and CPU seconds. CLI_OK, or the failure said (the generate's own message). */
static int run_once(const char *base, unsigned k, const char *tpl, uint64_t n, const inv_run *r,
                    volatile sig_atomic_t *stop, double *wall, double *cpu)
{
	char dir[1100], db[1200], adb[1200], outf[1200], errf[1200], count[24], batch[24];
	char line[512], want[64];
	struct rusage ru;
	pid_t pid, parent = getpid();
	double t0;
	int st = 0, rc = CLI_OK;

	snprintf(dir, sizeof(dir), "%s/run%u", base, k);
	snprintf(db, sizeof(db), "%s/smdp.db", dir);
	snprintf(adb, sizeof(adb), "%s/auc.db", dir);
	snprintf(outf, sizeof(outf), "%s/out", dir);
	snprintf(errf, sizeof(errf), "%s/err", dir);
	snprintf(count, sizeof(count), "%llu", (unsigned long long)n);
	snprintf(batch, sizeof(batch), "%llu", (unsigned long long)r->batch);
	if (mkdir(dir, 0700) != 0)
		return cli_failf(dir, "cannot create: %s", strerror(errno));
	if (r->auc && (rc = new_auc(adb)))
		goto out;
	t0 = orsp_mono_s();
	pid = fork();
	if (pid == 0) {
		/* a bench that dies (SIGKILL) takes its generate with it */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(127);
		int o = open(outf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(127);
		/* without --auc the list ends at its NULL, after --no-auc */
		execl("/proc/self/exe", "openrsp", "smdp", "profile", "generate", "--db", db,
		      "--template", tpl, "--iccid-start", ICCID_START, "--imsi-start", IMSI_START,
		      "--count", count, "--batch", batch, "--json", r->auc ? "--auc" : "--no-auc",
		      r->auc ? adb : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		rc = cli_failf("bench inventory", "fork: %s", strerror(errno));
		goto out;
	}
	/* a signal to the bench alone (SIGTERM from a supervisor) goes on to the generate,
	 * which commits its batch and stops */
	if (orsp_stop_set(stop))
		kill(pid, SIGTERM);
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			rc = cli_failf("bench inventory", "wait: %s", strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			goto out;
		}
		if (orsp_stop_set(stop))
			kill(pid, SIGTERM);
	}
	*wall = orsp_mono_s() - t0;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
	if (orsp_stop_set(stop)) {
		rc = cli_failf("bench inventory", "stopped by a signal");
		goto out;
	}
	first_line(outf, line, sizeof(line));
	snprintf(want, sizeof(want), "{\"generated\":%llu,\"complete\":true}",
	         (unsigned long long)n);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || strcmp(line, want) != 0) {
		first_line(errf, line, sizeof(line));
		rc = cli_failf("bench inventory", "generate %s--auc, --batch %s: %s",
		               r->auc ? "" : "without ", batch,
		               line[0] ? line : "no output: it did not run");
	}
out:
	if (cli_rm_rf(dir) != 0 && rc == CLI_OK)
		rc = cli_failf(dir, "could not remove");
	return rc;
}

static void print_run(const inv_run *r, uint64_t n)
{
	char name[48];

	snprintf(name, sizeof(name), "%s --auc, --batch %llu", r->auc ? "with" : "without",
	         (unsigned long long)r->batch);
	printf("  %-28s %8.1f profiles/s %7.2f CPU s per 1000 %8.2f s wall\n", name,
	       (double)n / r->wall_med, r->cpu_med * 1000 / (double)n, r->wall_med);
}

int bench_inventory(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"rounds", required_argument, NULL, OPT_ROUNDS},
	    {"batch", required_argument, NULL, OPT_BATCH},
	    {"template", required_argument, NULL, OPT_TEMPLATE},
	    {"dir", required_argument, NULL, OPT_DIR},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	uint64_t n = 2000, rounds = 3, batch = 256;
	const char *tpl = NULL, *where = getenv("TMPDIR");
	char def_tpl[4096], base[1024] = "";
	inv_run runs[RUNS];
	volatile sig_atomic_t *stop;
	struct stat st;
	bool json = false;
	int c, rc;

	while ((c = cli_getopt(argc, argv, opts)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_COUNT)
			rc = cli_uint("--count", optarg, 1, 1000000, &n);
		else if (c == OPT_ROUNDS)
			rc = cli_uint("--rounds", optarg, 1, ROUNDS_MAX, &rounds);
		else if (c == OPT_BATCH)
			rc = cli_uint("--batch", optarg, 2, 10000, &batch);
		else if (c == OPT_TEMPLATE)
			rc = optarg[0] ? CLI_OK : cli_usage("--template", "empty path");
		else if (c == OPT_DIR)
			rc = optarg[0] ? CLI_OK : cli_usage("--dir", "empty path");
		else if (c == OPT_JSON)
			rc = CLI_OK;
		else
			return cli_usage(argv[optind - 1], "unexpected option");
		if (rc)
			return rc;
		if (c == OPT_TEMPLATE)
			tpl = optarg;
		else if (c == OPT_DIR)
			where = optarg;
		else if (c == OPT_JSON)
			json = true;
	}
	if ((rc = cli_positional(argc, argv, 0, "")))
		return rc;
	if (!where || !where[0])
		where = "/tmp";
	if (!tpl) {
		snprintf(def_tpl, sizeof(def_tpl), "%s/profiles/ts48-v7-saip2.3-nobertlv.der",
		         cli_data_dir());
		tpl = def_tpl;
	}
	/* the generate runs elsewhere: the template by a name that does not depend on the
	 * current directory, and refused here if it is no file */
	if (stat(tpl, &st) != 0) {
		/* why (it said "not a regular file" of a name that does not exist) */
		if (tpl != def_tpl)
			return cli_failf(tpl, "%s", strerror(errno));
		cli_missing_data("bench inventory");
		return CLI_FAIL;
	}
	if (!S_ISREG(st.st_mode))
		return cli_failf(tpl, "not a regular file");
	char *abs_tpl = realpath(tpl, NULL);
	if (!abs_tpl)
		return cli_failf(tpl, "cannot resolve: %s", strerror(errno));
	/* SIGINT, SIGTERM, SIGHUP: the run stops after the generate it is in and removes its
	 * directory */
	stop = cli_stop_on_signals();
	snprintf(base, sizeof(base), "%.900s/openrsp-bench-inventory.XXXXXX", where);
	if (!mkdtemp(base)) {
		rc = cli_failf(base, "cannot create: %s", strerror(errno));
		base[0] = '\0';
		goto out;
	}
	for (int m = 0; m < RUNS; m++)
		runs[m] = (inv_run){.auc = m >= 2, .batch = m % 2 ? batch : 1};
	for (unsigned r = 0; r < rounds; r++)
		for (int i = 0; i < RUNS; i++) {
			/* rotate the order each round so no run always goes first */
			int m = (int)((i + r) % RUNS);
			if ((rc = run_once(base, r * RUNS + (unsigned)m, abs_tpl, n, &runs[m], stop,
			                   &runs[m].wall[r], &runs[m].cpu[r])))
				goto out;
		}
	for (int m = 0; m < RUNS; m++) {
		runs[m].wall_med = bench_median(runs[m].wall, (int)rounds);
		runs[m].cpu_med = bench_median(runs[m].cpu, (int)rounds);
	}
	double gain_plain = runs[0].wall_med / runs[1].wall_med;
	double gain_auc = runs[2].wall_med / runs[3].wall_med;
	if (json) {
		cli_json j = {0};
		cj_obj_begin(&j, NULL);
		cj_u64(&j, "count", n);
		cj_u64(&j, "rounds", rounds);
		cj_u64(&j, "batch", batch);
		cj_str(&j, "dir", where);
		cj_arr_begin(&j, "runs");
		for (int m = 0; m < RUNS; m++) {
			cj_obj_begin(&j, NULL);
			cj_bool(&j, "auc", runs[m].auc);
			cj_u64(&j, "batch", runs[m].batch);
			cj_double(&j, "profiles_per_s", (double)n / runs[m].wall_med);
			cj_double(&j, "cpu_s_per_1000", runs[m].cpu_med * 1000 / (double)n);
			cj_double(&j, "wall_s", runs[m].wall_med);
			cj_obj_end(&j);
		}
		cj_arr_end(&j);
		cj_double(&j, "speedup", gain_plain);
		cj_double(&j, "speedup_auc", gain_auc);
		cj_obj_end(&j);
		cj_done(&j);
	} else {
		printf("bench inventory: %llu profiles per run, %llu interleaved round%s (median), "
		       "new databases under %s\n",
		       (unsigned long long)n, (unsigned long long)rounds, rounds == 1 ? "" : "s",
		       where);
		for (int m = 0; m < RUNS; m++)
			print_run(&runs[m], n);
		printf("--batch %llu against --batch 1: %.2fx the profiles/s without --auc, %.2fx "
		       "with --auc\n",
		       (unsigned long long)batch, gain_plain, gain_auc);
	}
	rc = CLI_OK;
out:
	free(abs_tpl);
	if (base[0] && strstr(base, "openrsp-bench-inventory.") && cli_rm_rf(base) != 0)
		fprintf(stderr, "bench inventory: could not remove %s\n", base);
	return rc;
}
