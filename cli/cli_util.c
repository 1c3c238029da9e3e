/* Shared helpers of the openrsp command line: error lines, option parsing, hex arguments,
 * aligned text output and a small JSON writer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "openrsp/pkg.h"

#ifndef ORSP_DATA_DIR
#define ORSP_DATA_DIR "data"
#endif
#ifndef ORSP_BUILD_DIR
#define ORSP_BUILD_DIR "."
#endif
#ifndef ORSP_BIN_TO_DATA
#define ORSP_BIN_TO_DATA "../share/openrsp"
#endif

/* ----- errors ----- */

/* The secret options whose values a usage error overwrites first (cli_secret_guard). */
static struct {
	int argc;
	char **argv;
	const struct option *longopts;
	const int *vals;    /* ended by 0 */
	const char *shorts; /* NULL: none */
} guard;

int cli_usage(const char *arg, const char *fmt, ...)
{
	va_list ap;
	/* before anything is said (a write to stderr may wait): the options cannot all be read,
	 * and a secret not read yet would stay in the command line until the exit */
	cli_secret_guard_wipe();
	fprintf(stderr, "openrsp: %s: ", arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

static char fail_detail[1024]; /* cli_fail_detail: stderr has it whole */

int cli_fail(const char *what, orsp_err e)
{
	const char *d = orsp_err_detail();
	d = d && d[0] ? d : orsp_err_str(e);
	snprintf(fail_detail, sizeof(fail_detail), "%s", d);
	fprintf(stderr, "openrsp: %s: %s\n", what, d);
	return CLI_FAIL;
}

int cli_failf(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fail_detail, sizeof(fail_detail), fmt, ap);
	va_end(ap);
	fprintf(stderr, "openrsp: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

const char *cli_fail_detail(void)
{
	return fail_detail;
}

orsp_err cli_cdma_keys_check(orsp_pkg *tpkg, bool keep, size_t *n_secrets, size_t *csims)
{
	orsp_pkg_perso tp;
	orsp_pkg_cdma c;
	orsp_err e;

	*n_secrets = *csims = 0;
	for (size_t i = 0; orsp_pkg_get_cdma(tpkg, i, &c) == ORSP_OK; i++)
		*n_secrets += c.n_secrets;
	orsp_err_clear();
	for (size_t i = 0; i < orsp_pkg_count(tpkg); i++) {
		orsp_pe_info in;
		if (orsp_pkg_pe(tpkg, i, &in) == ORSP_OK && in.type == ORSP_PE_CSIM)
			(*csims)++;
	}
	if (keep || *n_secrets == 0)
		return ORSP_OK;
	orsp_pkg_perso_init(&tp);
	tp.cdma_keys = true;
	e = orsp_pkg_personalise(tpkg, &tp);
	if (e) {
		char detail[256];
		orsp_err_detail_copy(detail, sizeof(detail));
		e = orsp_errf(e, "%s (--keep-cdma-keys keeps the template's CDMA keys)", detail);
	}
	orsp_pkg_perso_wipe(&tp);
	return e;
}

/* ----- options ----- */

/* The option as written, without an "=value" part. */
static void option_name(const char *arg, char *out, size_t cap)
{
	size_t n = strcspn(arg, "=");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, arg, n);
	out[n] = '\0';
}

/* name (--NAME, no value, as typed) as the option of longopts with value val getopt_long took
 * it for, a unique start of its name (--o for --older-than): "--" and its full name into
 * name[cap], so that a message names what the command read (the one named exactly among
 * aliases sharing val, else the first it starts); unchanged when none is found or name is not a
 * long option. From the table, never from argv: the secret guard may have wiped argv. */
static void resolved_name(char *name, size_t cap, const struct option *longopts, int val)
{
	const struct option *hit = NULL;
	size_t k = strlen(name);

	if (strncmp(name, "--", 2) != 0 || k == 2)
		return;
	for (const struct option *o = longopts; o && o->name; o++) {
		if (o->val != val || strncmp(name + 2, o->name, k - 2) != 0)
			continue;
		if (!hit || strlen(o->name) == k - 2)
			hit = o;
	}
	if (hit)
		snprintf(name, cap, "--%s", hit->name);
}

/* name (--NAME, no value) the start of two or more of longopts' names, which getopt_long
 * takes for none of them (a unique start it takes for its option: docs/cli.md): a usage error
 * naming them all, true. */
static bool ambiguous(const char *name, const struct option *longopts)
{
	char list[512] = "";
	size_t n = 0, at = 0, k = strlen(name) - 2;
	bool cut = false;

	if (strncmp(name, "--", 2) != 0 || k == 0)
		return false;
	for (const struct option *o = longopts; o && o->name; o++) {
		if (strncmp(name + 2, o->name, k) != 0)
			continue;
		int w =
		    cut ? 0
		        : snprintf(list + at, sizeof(list) - at, "%s--%s", n ? ", " : "", o->name);
		n++;
		if (w < 0 || (size_t)w >= sizeof(list) - at) {
			list[at] = '\0'; /* those that fit, then "..." */
			cut = true;
		} else
			at += (size_t)w;
	}
	if (n < 2)
		return false;
	cli_usage(name, "ambiguous option (%s%s)", list, cut ? ", ..." : "");
	return true;
}

bool cli_help_requested;

/* getopt_long with no short option but those of shorts (NULL: none), each `-X VALUE` returned
 * as the long option whose val shorts gives (given twice with it, or with itself, is refused
 * the same way). */
static int getopt_with(int argc, char **argv, const struct option *longopts,
                       const cli_short *shorts)
{
	static char **last_argv;
	/* the options taken so far from this argv (aliases, --mnc-len and --mnc-length, share
	 * one value c) and their values */
	static struct {
		int c;
		char *val;
	} seen[64];
	static size_t n_seen;
	char name[64], optstring[2 * CLI_SHORTS_MAX + 2] = ":";
	const cli_short *sh = NULL;
	int c, idx = -1;

	if (argv != last_argv) {
		optind = 0; /* GNU getopt: full re-initialisation */
		last_argv = argv;
		n_seen = 0;
	}
	for (size_t i = 0; shorts && i < CLI_SHORTS_MAX && shorts[i].ch; i++) {
		size_t at = strlen(optstring);
		optstring[at] = shorts[i].ch;
		optstring[at + 1] = ':';
		optstring[at + 2] = '\0';
	}
	opterr = 0;
	c = getopt_long(argc, argv, optstring, longopts, &idx);
	for (size_t i = 0; shorts && i < CLI_SHORTS_MAX && shorts[i].ch; i++)
		if (c == shorts[i].ch)
			sh = &shorts[i];
	if (sh) {
		/* -XVALUE: not a form taken (its text is not echoed: it may hold the value of an
		 * option before it whose name was left out, or be a secret itself) */
		if (optarg != argv[optind - 1]) {
			snprintf(name, sizeof(name), "-%c", sh->ch);
			cli_usage(name, "expected %s VALUE, the value a separate argument", name);
			return '?';
		}
		c = sh->val;
		for (idx = 0; longopts[idx].name && longopts[idx].val != sh->val; idx++)
			;
		if (!longopts[idx].name)
			idx = -1;
	}
	if (c != '?' && c != ':' && c != -1 && idx >= 0 && longopts[idx].has_arg != no_argument &&
	    longopts[idx].val < CLI_OPT_ADDS) {
		/* given twice, the last value would be taken silently: an --iccid, --imsi or
		 * --amf typed twice is more likely a slip than a correction. Named, never its
		 * values, which leave argv (a --k, a PIN in a --pkcs11 URI). */
		for (size_t i = 0; i < n_seen; i++) {
			if (seen[i].c != c)
				continue;
			option_name(argv[optind - 1 - (optarg == argv[optind - 1])], name,
			            sizeof(name));
			resolved_name(name, sizeof(name), longopts, c);
			if (seen[i].val)
				cli_wipe_arg(seen[i].val);
			if (optarg)
				cli_wipe_arg(optarg);
			cli_usage(name, "given twice");
			return '?';
		}
		if (n_seen < ORSP_ARRAY_LEN(seen)) {
			seen[n_seen].c = c;
			seen[n_seen++].val = optarg;
		}
	}
	if (c == '?' || c == ':') {
		const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
		/* -h or --help where an option stands (not as an option's value, which getopt
		 * has consumed): main prints the verb's help once the verb returns */
		if (c == '?' && ((optopt == 'h' && strcmp(arg, "-h") == 0) ||
		                 (optopt == 0 && strcmp(arg, "--help") == 0))) {
			cli_help_requested = true;
			return '?';
		}
		/* No short option is known (optstring ":") and every long option's value is 0x100
		 * or more, so an optopt below 0x100 but 0 is a short option (a byte from 0x80 is
		 * negative: glibc's char is signed). It is named by optopt alone: inside a cluster
		 * or with text attached (-jv, -oOUT) getopt has not moved optind past it, and
		 * argv[optind - 1] is the argument before, maybe an option's value: a key */
		if (c == '?' && optopt != 0 && optopt < 0x100) {
			unsigned char ch = (unsigned char)optopt;
			if (ch > ' ' && ch < 0x7f)
				snprintf(name, sizeof(name), "-%c", ch);
			else
				snprintf(name, sizeof(name), "-\\x%02x", ch);
			cli_usage(name, "unknown option");
			return '?';
		}
		option_name(arg, name, sizeof(name));
		/* a known long option with its value missing or not wanted: optopt is its val
		 * (glibc sets no longindex then) */
		if (c == ':' || optopt >= 0x100)
			resolved_name(name, sizeof(name), longopts, optopt);
		if (c == ':')
			cli_usage(name, "requires a value");
		else if (optopt >= 0x100)
			cli_usage(name, "does not take a value");
		else if (ambiguous(name, longopts))
			; /* said */
		else {
			/* a value glued to an option's name (--cc1234, --k00112233...) is not
			 * echoed: the known option it starts with is named instead (a rest of
			 * lower-case letters and hyphens, --cafile, is a misspelt name: echoed) */
			size_t best = 0;
			for (const struct option *o = longopts; o && o->name; o++) {
				size_t k = strlen(o->name);
				if (o->has_arg != no_argument && k > best &&
				    strncmp(arg, "--", 2) == 0 &&
				    strncmp(arg + 2, o->name, k) == 0 &&
				    arg[2 + k + strspn(arg + 2 + k, "abcdefghijklmnopqrstuvwxyz-")])
					best = k;
			}
			if (best) {
				snprintf(name, sizeof(name), "--%.*s...", (int)best, arg + 2);
				cli_usage(name,
				          "unknown option (a value glued to --%.*s? give it as"
				          " --%.*s VALUE)",
				          (int)best, arg + 2, (int)best, arg + 2);
			} else
				cli_usage(name, "unknown option");
		}
		return '?';
	}
	return c;
}

int cli_getopt(int argc, char **argv, const struct option *longopts)
{
	return getopt_with(argc, argv, longopts, NULL);
}

int cli_getopt_short(int argc, char **argv, const struct option *longopts, const cli_short *shorts)
{
	return getopt_with(argc, argv, longopts, shorts);
}

int cli_hex(const char *opt, const char *val, uint8_t *out, size_t n)
{
	size_t len = 0;
	return cli_hex2(opt, val, out, n, 0, &len);
}

int cli_hex2(const char *opt, const char *val, uint8_t *out, size_t n1, size_t n2, size_t *len)
{
	size_t digits = strlen(val);
	char want[48];

	if (n2)
		snprintf(want, sizeof(want), "%zu or %zu hex digits", 2 * n1, 2 * n2);
	else
		snprintf(want, sizeof(want), "%zu hex digits", 2 * n1);
	if (digits != 2 * n1 && !(n2 && digits == 2 * n2))
		return cli_usage(opt, "expected %s, got %zu", want, digits);
	/* The value itself is never echoed: it may be a key. */
	if (orsp_hex_decode(val, out, digits / 2, len) != ORSP_OK)
		return cli_usage(opt, "expected %s: %s", want, orsp_err_detail());
	return CLI_OK;
}

/* The first line of stdin or of a file (mode 600), without its line end. Read with read(2),
 * one byte at a time: no stdio buffer keeps a copy of the secret (stdin's would for the life
 * of the process, a file's would be freed unwiped), and stdin is read no further than the
 * line, so a second "-" gets the next one. */
static int secret_line_read(const char *opt, const char *val, char *buf, size_t cap)
{
	const char *from = val[0] == '@' ? val + 1 : "standard input";
	int fd = STDIN_FILENO;
	size_t n = 0;
	bool eol = false;
	char c;

	buf[0] = '\0';
	if (val[0] == '@') {
		struct stat st;
		fd = open(val + 1, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return cli_usage(opt, "cannot open %s: %s", val + 1, strerror(errno));
		if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
			close(fd);
			return cli_usage(
			    opt, "%s can be read or written by group or others (chmod 600 it)",
			    val + 1);
		}
	}
	while (!eol) {
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			if (fd != STDIN_FILENO)
				close(fd);
			orsp_wipe(buf, cap);
			return cli_usage(opt, "cannot read %s: %s", from, strerror(err));
		}
		if (r == 0 || c == '\n')
			eol = true;
		else if (n + 1 < cap)
			buf[n++] = c;
		else {
			if (fd != STDIN_FILENO)
				close(fd);
			orsp_wipe(buf, cap);
			c = 0;
			return cli_usage(opt, "the line in %s is too long", from);
		}
		if (r == 0 && n == 0) {
			if (fd != STDIN_FILENO)
				close(fd);
			return cli_usage(opt, "nothing to read from %s", from);
		}
	}
	c = 0;
	if (fd != STDIN_FILENO)
		close(fd);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	return CLI_OK;
}

/* A terminal's echo, off while a secret is typed on it: the settings to put back, also from
 * the handler of a signal that ends the process meanwhile (tcsetattr is async-signal-safe). */
static struct termios tty_saved;
static volatile sig_atomic_t tty_off;

static void tty_restore(void)
{
	if (tty_off) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
		tty_off = 0;
	}
}

static void tty_restore_and_die(int sig)
{
	tty_restore();
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
}

/* secret_line_read, with the terminal's echo off when the secret comes from a terminal on
 * standard input ("-"): it was shown as typed. A prompt naming the option goes to stderr then,
 * and the line end after the input, which the terminal no longer shows. */
static int secret_line(const char *opt, const char *val, char *buf, size_t cap)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction old[ORSP_ARRAY_LEN(sigs)], sa;
	struct termios t;
	int rc;

	if (strcmp(val, "-") != 0 || !isatty(STDIN_FILENO) ||
	    tcgetattr(STDIN_FILENO, &tty_saved) != 0 || !(tty_saved.c_lflag & ECHO))
		return secret_line_read(opt, val, buf, cap);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore_and_die;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(sigs); i++)
		(void)sigaction(sigs[i], &sa, &old[i]);
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	t.c_lflag |= ECHONL;
	tty_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
		tty_off = 0;
	fprintf(stderr, "openrsp: %s (not shown): ", opt);
	fflush(stderr);
	rc = secret_line_read(opt, val, buf, cap);
	tty_restore();
	for (size_t i = 0; i < ORSP_ARRAY_LEN(sigs); i++)
		(void)sigaction(sigs[i], &old[i], NULL);
	return rc;
}

int cli_secret_hex(const char *opt, char *val, uint8_t *out, size_t n1, size_t n2, size_t *len)
{
	char buf[160];
	int rc;

	if (strcmp(val, "-") != 0 && val[0] != '@') {
		rc = cli_hex2(opt, val, out, n1, n2, len);
		/* argv's own storage, writable (C11 5.1.2.2.1): the key leaves the process's
		 * command line as soon as it is read */
		memset(val, 'x', strlen(val));
		return rc;
	}
	rc = secret_line(opt, val, buf, sizeof(buf));
	if (!rc)
		rc = cli_hex2(opt, buf, out, n1, n2, len);
	orsp_wipe(buf, sizeof(buf));
	return rc;
}

int cli_secret_str(const char *opt, char *val, char *out, size_t cap, const char **dst)
{
	size_t n;
	int rc;

	if (*dst) {
		cli_wipe_arg(val);
		return cli_usage(opt, "given twice");
	}
	if (strcmp(val, "-") == 0 || val[0] == '@') {
		if ((rc = secret_line(opt, val, out, cap)) == CLI_OK)
			*dst = out;
		return rc;
	}
	n = strlen(val);
	if (n >= cap) {
		cli_wipe_arg(val);
		out[0] = '\0';
		return cli_usage(opt, "longer than %zu characters", cap - 1);
	}
	memcpy(out, val, n + 1);
	cli_wipe_arg(val); /* as cli_secret_hex: off the command line once copied */
	*dst = out;
	return CLI_OK;
}

void cli_wipe_arg(char *val)
{
	if (val)
		memset(val, 'x', strlen(val));
}

/* Whether v is one of the guarded option values. */
static bool guarded_val(int v)
{
	for (const int *g = guard.vals; g && *g; g++)
		if (*g == v)
			return true;
	return false;
}

/* Whether arg, "--NAME" or "--NAME=VALUE", names a guarded option of longopts as getopt_long
 * takes it: by its full name or a prefix only guarded options' names have; *eq: VALUE or
 * NULL. */
static bool names_guarded(char *arg, char **eq)
{
	char *body = arg + 2;
	size_t n = strcspn(body, "=");
	bool ours = false, other = false;

	*eq = body[n] == '=' ? body + n + 1 : NULL;
	if (n == 0)
		return false;
	for (const struct option *o = guard.longopts; o && o->name; o++) {
		if (strncmp(o->name, body, n) != 0)
			continue;
		if (strlen(o->name) == n)
			return guarded_val(o->val);
		if (guarded_val(o->val))
			ours = true;
		else
			other = true;
	}
	return ours && !other;
}

void cli_secret_guard(int argc, char **argv, const struct option *longopts, const int *vals,
                      const char *shorts)
{
	guard.argc = argc;
	guard.argv = argv;
	guard.longopts = longopts;
	guard.vals = vals;
	guard.shorts = shorts;
}

void cli_secret_guard_wipe(void)
{
	char **argv = guard.argv;

	/* every argument that may be a value of theirs, "--" and other options' values
	 * included: the command stops, none of them is read any more */
	for (int i = 1; argv && i < guard.argc; i++) {
		char *a = argv[i], *eq = NULL, *v = NULL;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] == '-' && a[2] && names_guarded(a, &eq))
			v = eq ? eq : i + 1 < guard.argc ? argv[++i] : NULL;
		else if (a[1] != '-' && guard.shorts && strchr(guard.shorts, a[1]))
			v = a[2] ? a + 2 : i + 1 < guard.argc ? argv[++i] : NULL;
		/* "-" and "@FILE" say where a secret is, not the secret (the message may name
		 * the file) */
		if (v && strcmp(v, "-") != 0 && v[0] != '@')
			cli_wipe_arg(v);
	}
}

static char kept[CLI_KEPT_SLOTS][CLI_KEPT_LEN];

char *cli_kept(size_t i)
{
	return i < CLI_KEPT_SLOTS ? kept[i] : NULL;
}

void cli_kept_wipe(void)
{
	orsp_wipe(kept, sizeof(kept));
}

int cli_secret_guard_end(int rc)
{
	cli_kept_wipe();
	if (rc != CLI_OK || cli_help_requested)
		cli_secret_guard_wipe();
	memset(&guard, 0, sizeof(guard));
	return rc;
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	sig_atomic_t n = __atomic_load_n(&stop_requested, __ATOMIC_RELAXED);

	(void)sig;
	/* atomic, as orsp_stop_set reads it: another thread may be polling the flag. Counted up
	 * to 2, so that a server draining after the first signal stops at the second
	 * (orsp_stop_count); a signal on another thread at the same moment retries. */
	while (n < 2 && !__atomic_compare_exchange_n(&stop_requested, &n, n + 1, false,
	                                             __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

volatile sig_atomic_t *cli_stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a hangup (the terminal closed) stops the server gracefully too: the default action
	 * killed it with requests in flight. Nothing to reload: the log is stderr, and the
	 * configuration is read at start only. Unless it is ignored (nohup, a supervisor): then
	 * it stays ignored. */
	{
		struct sigaction old;
		if (sigaction(SIGHUP, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(SIGHUP, &sa, NULL);
	}
	return &stop_requested; /* SIGPIPE is ignored by every verb (main) */
}

int cli_seconds(const char *opt, const char *val, double min, double max, double *out)
{
	char *end = NULL;
	double v = strtod(val, &end);

	if (!end || end == val || *end || !(v >= min && v <= max))
		return cli_usage(opt, "expected a number of seconds from %g to %g", min, max);
	*out = v;
	return CLI_OK;
}

int cli_uint(const char *opt, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *p = val;
	int base = 10;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return cli_usage(opt, "expected a number");
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return cli_usage(opt, "expected a number, not '%s'", val);
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return cli_usage(opt, "number too large");
		v = v * (uint64_t)base + d;
	}
	if (v < min || v > max)
		return cli_usage(opt, "expected a number from %llu to %llu",
		                 (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return CLI_OK;
}

int cli_missing(const char *opt)
{
	return cli_usage(opt, "required");
}

int cli_unknown_verb(const char *word, const char *cmd)
{
	/* an empty word was `openrsp: : unknown command` */
	const char *w = word[0] ? word : "\"\"";

	if (!cmd)
		return cli_usage(w, "unknown command (see openrsp help)");
	return cli_usage(w, "unknown verb of %s (see openrsp help %s)", cmd, cmd);
}

int cli_missing_verb(const char *name, const char *cmd)
{
	return cli_usage(name, "expected a verb (see openrsp help %s)", cmd);
}

int cli_not_stdout(const char *opt, const char *path, const char *kind)
{
	if (strcmp(path, "-") != 0)
		return CLI_OK;
	return cli_usage(opt, "\"-\" (standard output) is not taken here: give a %s name", kind);
}

enum { CLI_ECHO_MAX = 64 }; /* the longest stray argument echoed in a usage error */

/* Whether a stray argument may be a secret whose option name was left out (`--k K OPC`): 16
 * or more hex digits in a row, or a long word that is no path. Others are echoed, so that a
 * typo shows. */
static bool maybe_secret(const char *s)
{
	size_t run = 0;

	if (strlen(s) > CLI_ECHO_MAX && !strchr(s, '/'))
		return true;
	for (; *s; s++) {
		run = orsp_hex_digit(*s) >= 0 ? run + 1 : 0;
		if (run >= 16)
			return true;
	}
	return false;
}

int cli_positional(int argc, char **argv, int want, const char *names)
{
	int have = argc - optind;
	char what[32];

	if (have < want)
		return cli_usage(names, "required");
	if (have > want) {
		if (!maybe_secret(argv[optind + want]))
			return cli_usage(argv[optind + want], "unexpected argument");
		snprintf(what, sizeof(what), "argument %d", want + 1);
		return cli_usage(what, "unexpected, not shown (it may be a key: is an option name "
		                       "missing before it?)");
	}
	return CLI_OK;
}

/* ----- databases ----- */

int cli_db_persistent(const char *opt, const char *db)
{
	if (orsp_db_uri_in_memory(db))
		return cli_usage(opt,
		                 "an in-memory database: everything written to it would be lost "
		                 "when the command ends (give a file's path)");
	return CLI_OK;
}

int cli_db_file(const char *opt, const char *db, char *out, size_t cap)
{
	if (orsp_db_uri_file(db, out, cap))
		return cli_usage(opt, "%s", orsp_err_detail());
	return CLI_OK;
}

int cli_read_schema(const char *verb, const char *db, const char *module, orsp_err e, int have,
                    int latest, const char *migrates)
{
	if (e)
		return cli_fail(verb, e);
	if (have >= latest)
		return CLI_OK;
	return cli_failf(verb,
	                 "%s holds the %s schema at version %d, older than this program's %d, "
	                 "and is left as it is: a verb that only reads neither migrates a "
	                 "database nor reads an older schema. %s migrates it. Read a backup of "
	                 "an older version with the openrsp that made it, or check a copy of it "
	                 "(with its KEK) that a verb that writes has migrated, never the backup "
	                 "itself",
	                 strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db, module, have, latest,
	                 migrates);
}

int cli_kek_path(const char *kek_file, const char *db_opt, const char *db, char *out, size_t cap)
{
	char file[PATH_MAX];
	int rc = cli_db_file(db_opt, db, file, sizeof(file));

	if (rc)
		return rc;
	if (!kek_file) {
		if (snprintf(out, cap, "%s.kek", file) >= (int)cap)
			return cli_usage(db_opt, "path too long");
		return CLI_OK;
	}
	if (snprintf(out, cap, "%s", kek_file) >= (int)cap)
		return cli_usage("--kek-file", "path too long");
	/* SQLite would delete or take over such a file, and the KEK with it */
	if (orsp_db_uri_not_own_file(db, out, "KEK file"))
		return cli_usage("--kek-file", "%s", orsp_err_detail());
	return CLI_OK;
}

int cli_made_before(cli_made *m, const char *opt, const char *db, const char *kek_path,
                    const char *rows_sql)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->rows_sql = rows_sql;
	if ((rc = cli_db_file(opt, db, m->db_file, sizeof(m->db_file))))
		return rc;
	if (snprintf(m->kek_path, sizeof(m->kek_path), "%s", kek_path) >= (int)sizeof(m->kek_path))
		return cli_usage(opt, "path too long");
	m->db_was = access(m->db_file, F_OK) == 0;
	m->kek_was = access(m->kek_path, F_OK) == 0;
	return CLI_OK;
}

void cli_made_after(cli_made *m)
{
	if (m->db_was)
		return;
	m->db = access(m->db_file, F_OK) == 0;
	m->kek = !m->kek_was && access(m->kek_path, F_OK) == 0;
}

/* The rows of the module's tables in m's database (m->rows_sql; under a guard: no other
 * process has it open): 0 without any table, -1 when the database cannot be read (it does
 * not open, is no database, or the count fails: until session 57 a count that failed was 0,
 * "nobody wrote", and the file was removed). */
static int64_t made_rows(const cli_made *m)
{
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	bool row = false, tables = false;
	int64_t n = -1;

	if (orsp_db_open_ex(m->db_file, ORSP_DB_OPEN_EXISTING, &db) == ORSP_OK &&
	    orsp_db_has_tables(db, &tables) == ORSP_OK) {
		/* without any table (a file the open left empty) nobody wrote: 0 */
		if (!tables)
			n = 0;
		else if (orsp_db_prepare(db, m->rows_sql, &st) == ORSP_OK &&
		         orsp_stmt_step(st, &row) == ORSP_OK && row)
			n = orsp_stmt_column_int64(st, 0);
	}
	orsp_stmt_finalize(st);
	orsp_db_close(db);
	orsp_err_clear();
	return n;
}

/* A database another process has opened meanwhile (a server started on the same new path)
 * is left, with its KEK file, and said so; so is one that holds rows (profiles, audit rows),
 * which another process wrote and closed meanwhile: until session 55 a failed import removed
 * another's successful one (then also an AuC's, with the only copy of its K/OPc). */
void cli_unmake(const cli_made *m)
{
	static const char *const ext[] = {"-wal", "-shm", "-journal", ""};
	orsp_db_guard *g = NULL;
	bool gone = false, kek_gone = true;
	orsp_err e;

	if (!m->db)
		goto kek;
	e = orsp_db_guard_open(m->db_file, &g);
	if (e && e != ORSP_E_NOT_FOUND) {
		fprintf(stderr, "openrsp: left the new database %s%s%s: %s\n", m->db_file,
		        m->kek ? " and its KEK file " : "", m->kek ? m->kek_path : "",
		        orsp_err_detail());
		return;
	}
	/* rows written since it was made: by another process, or audit rows of this one (the
	 * audit log is append-only): kept, and said without guessing whose (it blamed another
	 * process, until session 56) */
	int64_t rows = made_rows(m);
	if (rows < 0) {
		fprintf(stderr,
		        "openrsp: left the new database %s%s%s: it cannot be read to see whether "
		        "another process wrote to it since it was made\n",
		        m->db_file, m->kek ? " and its KEK file " : "", m->kek ? m->kek_path : "");
		orsp_db_guard_close(g);
		return;
	}
	if (rows != 0) {
		fprintf(stderr,
		        "openrsp: left the new database %s%s%s: it holds %lld row(s) written since "
		        "it was made (audit rows, which are never deleted, included)\n",
		        m->db_file, m->kek ? " and its KEK file " : "", m->kek ? m->kek_path : "",
		        (long long)rows);
		orsp_db_guard_close(g);
		return;
	}
	/* the database file last: while it is there, its name still says what the others are */
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		char f[4096 + 16];
		snprintf(f, sizeof(f), "%s%s", m->db_file, ext[i]);
		if (unlink(f) == 0)
			gone |= !ext[i][0];
		else if (errno != ENOENT)
			fprintf(stderr, "openrsp: cannot remove %s: %s\n", f, strerror(errno));
	}
	orsp_db_guard_close(g);
kek:
	if (m->kek && unlink(m->kek_path) != 0 && errno != ENOENT) {
		fprintf(stderr, "openrsp: cannot remove %s: %s\n", m->kek_path, strerror(errno));
		kek_gone = false;
	}
	/* said: the error before may have called a transaction committed (the schema's, whose
	 * flush failed), and the database is not there any more (it went without a word until
	 * session 75) */
	if (gone) {
		char also[4096 + 32] = "";
		if (m->kek && kek_gone)
			snprintf(also, sizeof(also), " (and its KEK file %s)", m->kek_path);
		fprintf(stderr,
		        "openrsp: the new database %s%s was removed again: nothing was kept\n",
		        m->db_file, also);
	}
}

/* ----- text output ----- */

void cli_kv_str(const char *name, const char *v)
{
	char label[24];
	snprintf(label, sizeof(label), "%s:", name);
	printf("%-10s%s\n", label, v);
}

void cli_kv_hex(const char *name, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];
	if (n > 64 || orsp_hex_encode(p, n, hex, sizeof(hex)) != ORSP_OK)
		return;
	cli_kv_str(name, hex);
	orsp_wipe(hex, sizeof(hex)); /* may be key material */
}

const char *cli_text(const char *s, char *out, size_t cap)
{
	/* the LPA's rule for text from other parties */
	if (!cap)
		return "";
	orsp_utf8_printable((const uint8_t *)s, strlen(s), out, cap);
	return out;
}

const char *cli_data_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("ORSP_DATA_DIR"), *rel = ORSP_BIN_TO_DATA;
	char exe[PATH_MAX], build[PATH_MAX];
	char *slash;
	ssize_t n;
	int k;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return ORSP_DATA_DIR;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return ORSP_DATA_DIR;
	*slash = '\0'; /* the binary's directory */
	/* the binary of this build directory: the source tree's data */
	if (realpath(ORSP_BUILD_DIR, build) && strcmp(build, exe) == 0)
		return ORSP_DATA_DIR;
	/* installed: BINDIR/openrsp, the data in DATADIR/openrsp, "../share/openrsp" from there
	 * by default; each leading ".." taken off the binary's directory, so that messages name
	 * PREFIX/share/openrsp */
	while (strncmp(rel, "../", 3) == 0 && (slash = strrchr(exe, '/'))) {
		*slash = '\0';
		rel += 3;
	}
	k = snprintf(dir, sizeof(dir), "%s/%s", exe, rel);
	if (k <= 0 || (size_t)k >= sizeof(dir))
		return ORSP_DATA_DIR;
	return dir;
}

void cli_missing_data(const char *verb)
{
	const char *env = getenv("ORSP_DATA_DIR"), *dir = cli_data_dir();

	if (env && *env)
		fprintf(stderr,
		        "openrsp: %s: no default template in %s, the data directory "
		        "ORSP_DATA_DIR names: point it at the sources' data/, or give --template "
		        "FILE\n",
		        verb, dir);
	else if (strcmp(dir, ORSP_DATA_DIR) == 0)
		fprintf(stderr,
		        "openrsp: %s: no default template in %s, the source tree's data: give "
		        "--template FILE, or set ORSP_DATA_DIR to a data directory that has it\n",
		        verb, dir);
	else
		fprintf(
		    stderr,
		    "openrsp: %s: no default template in %s, the installed data directory "
		    "as found from where this binary is (a binary copied out of the build "
		    "directory counts as installed): set ORSP_DATA_DIR to the sources' data/, or "
		    "give --template FILE\n",
		    verb, dir);
}

/* ----- JSON ----- */

/* The length of the well-formed UTF-8 sequence at p (RFC 3629 §4: no overlong form, no
 * surrogate, nothing above U+10FFFF), or 0. Stops at the first byte that does not fit, so
 * never reads past a terminating NUL. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* A JSON string (RFC 8259 §7). JSON text is UTF-8 (§8.1): a byte that is not part of a
 * well-formed UTF-8 sequence (a file name in another encoding) is written as U+FFFD, one
 * per byte; control characters, C1 ones (U+0080..U+009F: a terminal reads U+009B as CSI)
 * included, are \u escapes. */
static void cj_string(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80) {
			size_t n = utf8_len(p);
			if (n == 0)
				fputs("\\ufffd", stdout);
			else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
				printf("\\u%04x", p[1]);
			else
				fwrite(p, 1, n, stdout);
			p += n ? n - 1 : 0;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p);
		}
	}
	putchar('"');
}

static void cj_key(cli_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		putchar(',');
	j->need_comma[j->depth] = true;
	if (key) {
		cj_string(key);
		putchar(':');
	}
}

static void cj_open(cli_json *j, const char *key, char c)
{
	cj_key(j, key);
	putchar(c);
	if (j->depth + 1 < (int)ORSP_ARRAY_LEN(j->need_comma))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void cj_close(cli_json *j, char c)
{
	putchar(c);
	if (j->depth > 0)
		j->depth--;
}

void cj_obj_begin(cli_json *j, const char *key)
{
	cj_open(j, key, '{');
}

void cj_obj_end(cli_json *j)
{
	cj_close(j, '}');
}

void cj_arr_begin(cli_json *j, const char *key)
{
	cj_open(j, key, '[');
}

void cj_arr_end(cli_json *j)
{
	cj_close(j, ']');
}

void cj_str(cli_json *j, const char *key, const char *v)
{
	cj_key(j, key);
	cj_string(v);
}

void cj_hex(cli_json *j, const char *key, const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];
	if (n > 64 || orsp_hex_encode(p, n, hex, sizeof(hex)) != ORSP_OK)
		hex[0] = '\0';
	cj_str(j, key, hex);
	orsp_wipe(hex, sizeof(hex));
}

void cj_u64(cli_json *j, const char *key, uint64_t v)
{
	cj_key(j, key);
	printf("%llu", (unsigned long long)v);
}

void cj_i64(cli_json *j, const char *key, int64_t v)
{
	cj_key(j, key);
	printf("%lld", (long long)v);
}

void cj_double(cli_json *j, const char *key, double v)
{
	cj_key(j, key);
	if (v != v || v > 1e300 || v < -1e300)
		fputs("null", stdout); /* JSON has no NaN or infinity */
	else
		printf("%.6g", v);
}

void cj_null(cli_json *j, const char *key)
{
	cj_key(j, key);
	fputs("null", stdout);
}

void cj_bool(cli_json *j, const char *key, bool v)
{
	cj_key(j, key);
	fputs(v ? "true" : "false", stdout);
}

int cli_stdout_errno;

void cj_done(cli_json *j)
{
	(void)j;
	putchar('\n');
	/* the error stays set on stdout and main reports it (exit 1); its cause is kept here,
	 * as errno will have changed by then */
	if (fflush(stdout) != 0 && !cli_stdout_errno)
		cli_stdout_errno = errno;
}

int cli_read_package(const char *path, uint8_t **out, size_t *len)
{
	struct stat st = {0};
	uint8_t *b = NULL;
	size_t got = 0;
	/* O_NONBLOCK: a FIFO without a writer would block the open; a regular file's reads
	 * are not changed by it, and anything else is refused below */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int rc = CLI_OK;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return cli_failf(path, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = cli_failf(path, "not a regular file");
		goto out;
	}
	if (st.st_size > (off_t)ORSP_PKG_MAX_SIZE) {
		rc = cli_failf(path, "%lld bytes exceeds the %u-byte limit of a profile package",
		               (long long)st.st_size, ORSP_PKG_MAX_SIZE);
		goto out;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		rc = cli_failf(path, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = cli_failf(path, "read failed: %s",
			               n < 0 ? strerror(errno) : "short file");
			goto out;
		}
		got += (size_t)n;
	}
	*out = b;
	*len = got;
	b = NULL;
out:
	orsp_pkg_buf_free(b, (size_t)st.st_size);
	close(fd);
	return rc;
}

/* Remove name (in the directory dfd) and, for a directory, everything below it, never
 * following a symbolic link (O_NOFOLLOW: a link is removed, not what it names). depth bounds
 * the recursion. */
static int remove_at(int dfd, const char *name, int depth)
{
	DIR *d;
	struct dirent *ent;
	int fd, rc = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if ((errno != EISDIR && errno != EPERM) || depth > 64)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	/* POSIX leaves open whether readdir still returns every entry while they are removed:
	 * a directory found not empty after one pass gets a second */
	for (int pass = 0; rc == 0 && pass < 2; pass++) {
		if (pass)
			rewinddir(d);
		while (rc == 0 && (errno = 0, ent = readdir(d)) != NULL)
			if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0)
				rc = remove_at(dirfd(d), ent->d_name, depth + 1);
		if (rc == 0 && errno != 0)
			rc = -1; /* readdir failed */
		if (rc == 0 && unlinkat(dfd, name, AT_REMOVEDIR) == 0)
			break;
		if (rc == 0 && errno == ENOENT)
			break;
		if (rc == 0 && ((errno != ENOTEMPTY && errno != EEXIST) || pass == 1))
			rc = -1;
	}
	closedir(d);
	return rc;
}

int cli_rm_rf(const char *dir)
{
	/* in this process: a child (rm) would inherit the environment, ORSP_KEK with it */
	return dir && dir[0] ? remove_at(AT_FDCWD, dir, 0) : -1;
}

const char *cli_shell_word(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	if (!s || !out || cap == 0)
		return NULL;
	if (s[0] && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	                      "_./+-:,@%=") == strlen(s))
		return snprintf(out, cap, "%s", s) < (int)cap ? out : NULL;
	if (cap < 3)
		return NULL;
	out[n++] = '\'';
	for (const char *p = s; *p; p++) {
		const char *piece = *p == '\'' ? "'\\''" : NULL;
		size_t len = piece ? strlen(piece) : 1;
		if (n + len + 2 > cap)
			return NULL;
		if (piece)
			memcpy(out + n, piece, len);
		else
			out[n] = *p;
		n += len;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return out;
}

void cli_rekey_done(size_t n, const char *file, const char *next, const char *kek_path,
                    const char *kek_option)
{
	char word[4 * PATH_MAX + 3]; /* NEW as a shell word: each ' is four */
	char abs[PATH_MAX];

	/* NEW by its absolute name, as the audit row names it: a configuration's kek_file is
	 * taken relative to the configuration's directory, and NEW as typed was relative to the
	 * working directory (`kek_file = new.kek` then named another file; review find) */
	if (realpath(next, abs))
		next = abs;
	printf("KEK rotated: %zu values of %s re-wrapped under the new KEK in %s.\n"
	       "The database now opens only with %s. Next:\n",
	       n, file, next, next);
	if (getenv("ORSP_KEK"))
		/* NEW holds the 32 raw bytes kek.c writes; ORSP_KEK takes 64 hex digits. `--`:
		 * a relative name may start with '-' (read as od's options until session 66);
		 * -v: od folds a line equal to the one before into '*' */
		printf("  - point %s at %s and unset ORSP_KEK, or set ORSP_KEK to its\n"
		       "    64 hex digits: export ORSP_KEK=$(od -An -tx1 -v -- %s | tr -d ' \\n')\n"
		       "  - keep the old KEK only as long as backups made before the rotation\n"
		       "    must stay readable (they need it), then destroy it.\n",
		       kek_option, next, cli_shell_word(next, word, sizeof(word)) ? word : next);
	else {
		/* the old key copied aside first: moved over, it is gone, and the backups made
		 * before the rotation with it (review find); its name a shell word in the
		 * command, as NEW's above (a space split it until session 65), after `--` */
		const char *old = cli_shell_word(kek_path, word, sizeof(word)) ? word : kek_path;
		printf("  - copy %s aside first (cp -p -- %s %s.pre-rotation): backups made\n"
		       "    before the rotation need the old KEK; keep that copy only as long as\n"
		       "    they must stay readable, then destroy it;\n"
		       "  - then move %s in place of %s, or point %s at it.\n",
		       kek_path, old, old, next, kek_path, kek_option);
	}
}

int cli_rekey_new_is_old(const char *next, const char *kek_path, const char *db)
{
	char word[4 * PATH_MAX + 3]; /* the old KEK file as a shell word: each ' is four */
	struct stat a, b;

	/* the rotation's own check (orsp_kek_rekey_check) says the same, as a failure: an
	 * argument wrong before anything is done is a usage error here */
	if (orsp_db_uri_not_own_file(db, next, "new KEK file"))
		return cli_usage("--new-kek-file", "%s", orsp_err_detail());
	if (getenv("ORSP_KEK") || stat(next, &a) != 0 || stat(kek_path, &b) != 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return CLI_OK;
	return cli_usage("--new-kek-file",
	                 "%s is the KEK file in use itself (%s): the rotation writes the new KEK "
	                 "to a new file and leaves the old one as it is (backups made before "
	                 "need it); name a file that does not exist, e.g. --new-kek-file %s.new, "
	                 "and move it in place of the old one afterwards",
	                 next, kek_path,
	                 cli_shell_word(kek_path, word, sizeof(word)) ? word : kek_path);
}

int cli_rekey_left(const char *verb, const char *db, const char *kek_path, const char *next,
                   orsp_kek_opens_fn opens)
{
	orsp_err e = orsp_kek_rekey_left(db, kek_path, next, opens);

	if (e == ORSP_E_USAGE && getenv("ORSP_KEK")) {
		fprintf(stderr, "openrsp: %s\n", orsp_err_detail());
		return CLI_USAGE;
	}
	return cli_fail(verb, e);
}

/* ----- backups ----- */

/* "name: value", as cli_kv_str but wide enough for "subscribers:" */
void cli_backup_kv(const char *name, const char *v)
{
	char label[24];
	snprintf(label, sizeof(label), "%s:", name);
	printf("%-13s%s\n", label, v);
}

/* "MODULE version V", and when V is older than this program's: why it is still V */
static void schema_words(char *out, size_t cap, const char *module, int version, int latest)
{
	/* the backup is the database as it was: one taken before an upgrade opens with the
	 * program that made the database */
	if (version < latest)
		snprintf(out, cap,
		         "%s version %d (older than this program's %d: copied as it is, not "
		         "migrated)",
		         module, version, latest);
	else
		snprintf(out, cap, "%s version %d", module, version);
}

void cli_backup_head(cli_json *j, bool json, const orsp_db_backup_result *f, const char *module,
                     int version, int latest, int es9p, int es9p_latest)
{
	char num[128], es9p_num[128];

	if (json) {
		cj_obj_begin(j, NULL);
		cj_str(j, "path", f->path);
		cj_u64(j, "size", f->size);
		cj_str(j, "module", module);
		cj_i64(j, "schema_version", version);
		cj_i64(j, "schema_latest", latest);
		if (es9p_latest) {
			cj_i64(j, "es9p_schema_version", es9p);
			cj_i64(j, "es9p_schema_latest", es9p_latest);
		}
		return;
	}
	cli_backup_kv("backup", f->path);
	snprintf(num, sizeof(num), "%" PRIu64 " bytes", f->size);
	cli_backup_kv("size", num);
	schema_words(num, sizeof(num), module, version, latest);
	if (!es9p_latest || !es9p) {
		cli_backup_kv("schema", num);
		return;
	}
	/* the ES9+ handler's tables (those of a database a server used) are in the copy too,
	 * at their own version (until session 76 only the inventory's was said) */
	schema_words(es9p_num, sizeof(es9p_num), "smdp_es9p", es9p, es9p_latest);
	printf("%-13s%s, %s\n", "schema:", num, es9p_num);
}

void cli_backup_tail(cli_json *j, bool json, const char *kek_path)
{
	char abs[PATH_MAX];
	bool env = getenv("ORSP_KEK") != NULL; /* orsp_kek_load takes it first */
	const char *file = realpath(kek_path, abs) ? abs : kek_path;

	if (json) {
		if (env)
			cj_null(j, "kek_file");
		else
			cj_str(j, "kek_file", file);
		if (env)
			cj_str(j, "kek_env", "ORSP_KEK");
		else
			cj_null(j, "kek_env");
		cj_bool(j, "kek_in_backup", false);
		cj_obj_end(j);
		cj_done(j);
		return;
	}
	cli_backup_kv("KEK", env ? "the ORSP_KEK key" : file);
	printf("The KEK is NOT in the backup: restoring it needs %s. Back the KEK up\n"
	       "separately, and keep it apart from the backup.\n",
	       env ? "the key ORSP_KEK holds now" : "that KEK file");
}

int cli_replace_secret_file(const char *path, const void *data, size_t len)
{
	sigset_t stop, old;
	orsp_err e;

	orsp_file_remove_leftovers(path);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	e = orsp_file_replace(path, data, len, 0600);
	pthread_sigmask(SIG_SETMASK, &old, NULL); /* a signal held back is taken now */
	return e ? cli_fail(path, e) : CLI_OK;
}
