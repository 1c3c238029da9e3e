/* openrsp: one multi-call program, `openrsp <noun> <verb> [options]`, like git.
 *
 * The table below lists the nouns; each noun's file (cli/cmd_<noun>.c) lists its verbs with
 * their help. Adding a noun is one row here and one file there.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "openrsp/crypto.h"
#include "openrsp/http.h"

static const cli_noun *const nouns[] = {
    &cli_noun_aka, &cli_noun_auc, &cli_noun_bench, &cli_noun_demo,    &cli_noun_euicc,
    &cli_noun_kek, &cli_noun_lpa, &cli_noun_pki,   &cli_noun_profile, &cli_noun_smdp,
};

static const cli_noun *find_noun(const char *name)
{
	for (size_t i = 0; i < ORSP_ARRAY_LEN(nouns); i++)
		if (strcmp(nouns[i]->name, name) == 0)
			return nouns[i];
	return NULL;
}

static const cli_cmd *find_cmd(const cli_noun *n, const char *verb)
{
	for (const cli_cmd *c = n->cmds; c->verb; c++)
		if (strcmp(c->verb, verb) == 0)
			return c;
	return NULL;
}

static void help_all(FILE *f)
{
	fprintf(f, "usage: openrsp <command> <verb> [options]\n"
	           "       openrsp help [<command> [<verb>]]\n"
	           "       openrsp --version\n\n"
	           "Remote subscription provisioning (3GPP TR 33.812, GSMA SGP.22 compatible).\n\n"
	           "commands:\n");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(nouns); i++)
		fprintf(f, "  %-8s %s\n", nouns[i]->name, nouns[i]->summary);
	fprintf(f,
	        "\n`openrsp help <command>` lists its verbs; `openrsp <command> <verb> --help`\n"
	        "describes one. Exit status: 0 success, 1 the operation failed, 2 usage error.\n");
}

/* A noun with a single verb runs it without naming it (`openrsp demo`). */
static bool single_verb(const cli_noun *n)
{
	return n->cmds[0].verb && !n->cmds[1].verb;
}

static void help_cmd(const cli_noun *n, const cli_cmd *c)
{
	if (single_verb(n))
		printf("usage: openrsp %s %s\n       openrsp %s %s %s\n\n%s.\n", n->name,
		       c->synopsis, n->name, c->verb, c->synopsis, c->summary);
	else
		printf("usage: openrsp %s %s %s\n\n%s.\n", n->name, c->verb, c->synopsis,
		       c->summary);
	if (c->help && c->help[0])
		printf("\n%s", c->help);
}

/* The verbs of a noun; for a single-verb noun, the options of that verb, which is what
 * `openrsp <noun>` runs. */
static void help_noun(const cli_noun *n)
{
	if (single_verb(n)) {
		help_cmd(n, &n->cmds[0]);
		return;
	}
	printf("usage: openrsp %s <verb> [options]\n\n%s\n\nverbs:\n", n->name, n->summary);
	for (const cli_cmd *c = n->cmds; c->verb; c++)
		printf("  %-12s %s\n", c->verb, c->summary);
	printf("\nRun `openrsp %s <verb> --help` for the options of a verb.\n", n->name);
}

/* Overwrite argv[from] on: the command stops before a verb reads them (main prints a help
 * or a usage error instead), and any may be a secret option's value, which no verb's guard
 * (cli_secret_guard) covers here: it would stay in the command line, shown by ps, until the
 * exit (or while the message waits on a full pipe). */
static void unread(int from, int argc, char **argv)
{
	for (int i = from; i < argc; i++)
		cli_wipe_arg(argv[i]);
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* A word of the command line as a usage error names it: "" for an empty one, which was
 * `openrsp: : unknown command` */
static const char *word(const char *arg)
{
	return arg[0] ? arg : "\"\"";
}

/* A verb's run: -h or --help among its options (cli_getopt tells them from an option's
 * value, so `--profile-name -h` names a profile) prints its help instead. */
static int run_cmd(const cli_noun *n, const cli_cmd *c, int argc, char **argv)
{
	int rc;

	cli_help_requested = false;
	/* a secret option the verb guards (cli_secret_guard) but has not read, the options
	 * stopped before it, leaves the command line before the help is printed */
	rc = cli_secret_guard_end(c->run(argc, argv));
	if (cli_help_requested) {
		help_cmd(n, c);
		return CLI_OK;
	}
	return rc;
}

/* Whether word is a verb of c's own: a lower-case word where the synopsis names one, at its
 * start (`import` in "import DIR|FILE ..."), after "| " (`enable` in "| enable ICCID|AID") or
 * after the verb itself ("profile list ..."); not an option's value it lists ("tuak") */
static bool sub_verb_of(const cli_cmd *c, const char *word)
{
	size_t n = strlen(word), vn = strlen(c->verb);
	const char *syn = c->synopsis, *p = syn;

	if (!n || strspn(word, "abcdefghijklmnopqrstuvwxyz-") != n || word[0] == '-' || !syn)
		return false;
	for (; (p = strstr(p, word)) != NULL; p += n) {
		char after = p[n];
		bool start = p == syn || (p - syn >= 2 && p[-1] == ' ' && p[-2] == '|') ||
		             ((size_t)(p - syn) > vn && p[-1] == ' ' &&
		              strncmp(p - 1 - vn, c->verb, vn) == 0 &&
		              (p - 1 - vn == syn || p[-2 - (long)vn] == ' '));
		if (start && (after == ' ' || after == '\n' || after == '\0'))
			return true;
	}
	return false;
}

static int cmd_help(int argc, char **argv)
{
	const cli_noun *n;
	const cli_cmd *c;

	if (argc == 0) {
		help_all(stdout);
		return CLI_OK;
	}
	/* `help help`, `help --help`, `help -h`: the help's help is this page */
	if (strcmp(argv[0], "help") == 0 || is_help(argv[0])) {
		if (argc > 1) {
			unread(2, argc, argv);
			return cli_usage(word(argv[1]), "unexpected argument");
		}
		help_all(stdout);
		return CLI_OK;
	}
	n = find_noun(argv[0]);
	if (!n) {
		unread(1, argc, argv);
		return cli_unknown_verb(argv[0], NULL);
	}
	if (argc == 1) {
		help_noun(n);
		return CLI_OK;
	}
	c = find_cmd(n, argv[1]);
	if (!c) {
		unread(2, argc, argv);
		return cli_unknown_verb(argv[1], n->name);
	}
	/* a verb's own verb (`help smdp profile list`, as `smdp profile list --help` takes it):
	 * its page is the verb's */
	if (argc > 2 && !sub_verb_of(c, argv[2])) {
		unread(3, argc, argv);
		return cli_usage(word(argv[2]), "unexpected argument");
	}
	if (argc > 3) {
		unread(4, argc, argv);
		return cli_usage(word(argv[3]), "unexpected argument");
	}
	help_cmd(n, c);
	return CLI_OK;
}

/* A standard descriptor closed at start (`>&-`) is held by /dev/null, standard output's
 * read-only so that writing to it still fails: no file the command opens can become
 * descriptor 1 and get its output. */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		got = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY); /* the lowest free: fd */
		if (got >= 0 && got != fd)
			close(got);
	}
}

/* Standard output's writes: each whole, and the errno of the first that fails is kept in
 * cli_stdout_errno. stdio drops what it could not write, so after a write that failed inside
 * a printf (the buffer flushed mid-way) or a verb's own fflush, main's last fflush has nothing
 * left to write and errno no longer tells why. */
static ssize_t stdout_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	(void)cookie;
	while (done < n) {
		ssize_t w = write(STDOUT_FILENO, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!cli_stdout_errno)
				cli_stdout_errno = w < 0 ? errno : EIO;
			break;
		}
		done += (size_t)w;
	}
	return (ssize_t)done; /* less than n: stdio sets the error flag */
}

/* stdout becomes a stream through stdout_write, buffered as stdio buffers descriptor 1 (by
 * line on a terminal). glibc lets stdout be assigned; elsewhere only cj_done keeps the errno. */
static void stdout_keep_errno(void)
{
#ifdef __GLIBC__
	static const cookie_io_functions_t io = {.write = stdout_write};
	FILE *f = fopencookie(NULL, "w", io);

	if (!f)
		return;
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, BUFSIZ);
	stdout = f;
#else
	(void)stdout_write;
#endif
}

/* Output lost (a full disk, a closed or read-only standard output) is a failure, exit 1, also
 * after a verb's change that cannot be undone (an SQN spent, an order made): the change stays
 * made, and the message says the output is missing. A verb that failed already keeps its
 * status and its one line. */
static int stdout_done(int rc)
{
	int err;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	err = errno ? errno : cli_stdout_errno;
	if (rc != CLI_OK)
		return rc;
	if (err)
		return cli_failf("standard output", "write failed: %s", strerror(err));
	return cli_failf("standard output", "write failed");
}

static int run_main(int argc, char **argv)
{
	const cli_noun *n;
	const cli_cmd *c;

	if (argc < 2) {
		help_all(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		char http[ORSP_HTTP_VERSIONS_MAX];

		if (argc > 2) { /* as every verb: an argument it does not take is not ignored */
			unread(3, argc, argv);
			return cli_usage(word(argv[2]), "unexpected argument");
		}
		/* then the libraries in use, as a bug report needs them */
		printf("openrsp %s\n%s\nSQLite %s\n%s", orsp_version(),
		       orsp_crypto_library_version(), orsp_db_sqlite_version(),
		       orsp_http_library_versions(http, sizeof(http)));
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return cmd_help(argc - 2, argv + 2);
	if (is_help(argv[1])) {
		unread(2, argc, argv);
		return cmd_help(0, NULL);
	}
	if (argv[1][0] == '-') {
		unread(2, argc, argv);
		return cli_usage(word(argv[1]), "unknown option (see openrsp help)");
	}

	n = find_noun(argv[1]);
	if (!n) {
		unread(2, argc, argv);
		return cli_unknown_verb(argv[1], NULL);
	}
	if (single_verb(n) && (argc < 3 || (argv[2][0] == '-' && !is_help(argv[2])))) {
		return run_cmd(n, &n->cmds[0], argc - 1, argv + 1);
	}
	if (argc < 3)
		return cli_missing_verb(n->name, n->name);
	if (is_help(argv[2]) || strcmp(argv[2], "help") == 0) {
		unread(3, argc, argv);
		help_noun(n);
		return CLI_OK;
	}
	c = find_cmd(n, argv[2]);
	if (!c) {
		unread(3, argc, argv);
		return cli_unknown_verb(argv[2], n->name);
	}
	if (argc > 3 && is_help(argv[3])) {
		unread(4, argc, argv);
		help_cmd(n, c);
		return CLI_OK;
	}
	return run_cmd(n, c, argc - 2, argv + 2);
}

/* ORSP_KEK's value out of the block /proc/PID/environ shows (readable by the same user, for
 * the life of the process): the variable now points at a copy on the heap, which getenv and
 * the processes this one starts still see, and the original bytes are zeroed. */
static void hide_kek_env(void)
{
	char *v = getenv("ORSP_KEK");
	if (!v || !*v)
		return;
	size_t n = strlen(v);
	char *copy = strdup(v);
	if (!copy)
		return;
	if (setenv("ORSP_KEK", copy, 1) == 0)
		explicit_bzero(v, n);
	explicit_bzero(copy, n);
	free(copy);
}

/* No TLS key log: libcurl (with OpenSSL) and GnuTLS (libmicrohttpd's TLS, the SM-DP+'s HTTPS)
 * write every TLS secret of every connection to the file SSLKEYLOGFILE (GnuTLS also
 * GNUTLS_KEYLOGFILE) names, made readable by all: the variables are taken out of the
 * environment before any TLS is set up, with a warning. */
static void no_tls_keylog(int argc, char **argv)
{
	static const char *const vars[] = {"SSLKEYLOGFILE", "GNUTLS_KEYLOGFILE"};
	/* said only by the commands that speak TLS (a warning on every command broke the
	 * scripts and tests that read stderr, in a shell that exports the variable) */
	const char *c1 = argc > 1 ? argv[1] : "", *c2 = argc > 2 ? argv[2] : "";
	bool tls = !strcmp(c1, "lpa") || !strcmp(c1, "bench") || !strcmp(c1, "demo") ||
	           (!strcmp(c1, "smdp") && !strcmp(c2, "serve")) ||
	           (!strcmp(c1, "pki") && !strcmp(c2, "crl"));
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (!v)
			continue;
		if (tls && v[0])
			fprintf(stderr,
			        "openrsp: warning: %s ignored: openrsp writes no TLS secrets to a "
			        "file\n",
			        vars[i]);
		if (unsetenv(vars[i]) != 0)
			fprintf(stderr, "openrsp: warning: cannot unset %s: %s\n", vars[i],
			        strerror(errno));
	}
}

/* OpenSSL's own heap blocks wiped before they are freed: its decoders and encoders copy a
 * private key's scalar into ordinary ASN.1 objects (d2i_ECPrivateKey's privateKey OCTET
 * STRING, the PEM-to-DER buffer, i2d_ECPrivateKey's) and free them uncleansed, 11 blocks per
 * PEM key loaded. Set before OpenSSL allocates anything. */
static void *ossl_malloc(size_t n, const char *f, int l)
{
	(void)f;
	(void)l;
	return orsp_wipe_malloc(n);
}
static void *ossl_realloc(void *p, size_t n, const char *f, int l)
{
	(void)f;
	(void)l;
	return orsp_wipe_realloc(p, n);
}
static void ossl_free(void *p, const char *f, int l)
{
	(void)f;
	(void)l;
	orsp_wipe_free(p);
}

/* The servers (`smdp serve`, `euicc serve`) run with every shared library bound at start: a
 * library linked without `-z now` (jansson) binds its calls lazily, and glibc's resolver
 * saves the vector registers on a stack that nothing wipes, which left a confirmation code on
 * an HTTP thread's stack (docs/crypto.md, "Immediate binding"). Without LD_BIND_NOW in the
 * environment the process executes itself again with LD_BIND_NOW=1 (same PID, same
 * arguments), first thing, before any secret is read; set before the exec, so it is done
 * once. An exec that fails leaves the process running as it is, with a warning. */
static void bind_now(int argc, char **argv)
{
	char self[PATH_MAX];
	const char *v = getenv("LD_BIND_NOW");
	ssize_t n;

	if (argc < 3 || strcmp(argv[2], "serve") != 0 ||
	    (strcmp(argv[1], "smdp") != 0 && strcmp(argv[1], "euicc") != 0))
		return;
	if (v && *v) /* the dynamic linker's test: any value but the empty one */
		return;
	/* under valgrind, which does not follow an exec unless told to: the run would go on
	 * unchecked, and its summary and --error-exitcode be lost */
	if (orsp_on_valgrind())
		return;
	/* started through the dynamic loader itself (`ld-linux-x86-64.so.2 openrsp smdp
	 * serve`: no interpreter, AT_BASE 0): /proc/self/exe is the loader, which would take
	 * the verb for the program to load */
	if (getauxval(AT_BASE) == 0) {
		fprintf(stderr,
		        "openrsp: warning: started through the dynamic loader, not executed "
		        "again with LD_BIND_NOW=1: set it in the environment (docs/crypto.md, "
		        "\"Immediate binding\")\n");
		return;
	}
	if (setenv("LD_BIND_NOW", "1", 1) != 0) {
		fprintf(stderr, "openrsp: warning: cannot set LD_BIND_NOW: %s\n", strerror(errno));
		return;
	}
	/* the binary's own path, so that the process keeps its name (/proc/PID/comm: "exe"
	 * through /proc/self/exe), else /proc/self/exe (a binary replaced since the start) */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		execv(self, argv);
	}
	execv("/proc/self/exe", argv);
	fprintf(stderr,
	        "openrsp: warning: cannot execute itself again with LD_BIND_NOW=1 (%s): shared "
	        "libraries bind lazily (docs/crypto.md, \"Immediate binding\")\n",
	        strerror(errno));
}

int main(int argc, char **argv)
{
	bind_now(argc, argv);
	if (!CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free))
		fprintf(stderr, "openrsp: warning: OpenSSL allocated before main\n");
	hide_kek_env();
	no_tls_keylog(argc, argv);
	/* No core file: it would hold what the process held (K and OPc, private keys, the KEK,
	 * tokens). The soft and hard limit 0, inherited by what this process starts; a core
	 * handler behind a pipe (systemd-coredump, apport) honours the limit too. Debuggers,
	 * perf and /proc are left as they are (docs/deploy.md). EPERM is a system call filter's
	 * answer (systemd's ~@resources): the unit sets LimitCORE=0 itself. */
	struct rlimit no_core = {0, 0};
	if (setrlimit(RLIMIT_CORE, &no_core) != 0 && errno != EPERM)
		fprintf(stderr, "openrsp: warning: cannot turn core files off: %s\n",
		        strerror(errno));
	hold_std_fds();
	/* A closed standard output is a write that fails (EPIPE), said as such, exit 1
	 * (docs/cli.md), never a death by SIGPIPE: `smdp rekey` and the `kek` verbs, which did
	 * not ignore it, were killed silently after their work was committed (session 65). */
	signal(SIGPIPE, SIG_IGN);
	/* Likewise a file at RLIMIT_FSIZE (ulimit -f, systemd's LimitFSIZE=): a write past it
	 * fails with EFBIG and is reported as any failed write (the server's log lines counted
	 * as lost, a database's "disk I/O error (File too large)", exit 1), never a death by
	 * SIGXFSZ without a word (until session 75: `smdp serve` with its stderr on a file at
	 * the limit died at its first line past it). */
	signal(SIGXFSZ, SIG_IGN);
	stdout_keep_errno();
	return stdout_done(run_main(argc, argv));
}
