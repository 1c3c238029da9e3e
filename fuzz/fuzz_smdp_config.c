/* libFuzzer target for the SM-DP+ configuration file parser (orsp_smdp_config_load,
 * src/smdp/smdp_config.c; docs/smdp-server.md).
 *
 * The input is the file: written once per input, mode 0600, to a directory made at start-up
 * (relative paths in it are relative to that directory, where nothing else is), then loaded.
 * Inputs naming a PKCS#11 URI ("pkcs11:", which would load a module) or a path under /dev,
 * /proc or /sys (which may block) are skipped. Properties:
 *  - the loader fails only with ORSP_E_USAGE, ORSP_E_MALFORMED, ORSP_E_IO, ORSP_E_POLICY,
 *    ORSP_E_VERIFY or ORSP_E_NOT_FOUND (a named file missing or unreadable, refused), never a
 *    crash or a leak; its detail names the file;
 *  - a refused file leaves the configuration all zero (orsp_smdp_config_free wiped it);
 *  - the value of an es2_token or metrics_token line (a secret) never appears in the detail,
 *    unless the same text is elsewhere in the file too;
 *  - the same file gives the same answer twice.
 * A violated property calls abort(). Deterministic: no clock, no randomness.
 *
 * Seeds (fuzz/corpus/smdp_config/): docs/smdp.conf.example, and variants with errors in the
 * tokens, the platform policy lists and the key sets, and with idle_reset_ms and drain at
 * their bounds and past them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrsp/smdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX 65536

static char dir[256], path[300];
static orsp_smdp_config cfg;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static bool has(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (!memcmp(p + i, s, k))
			return true;
	return false;
}

/* Write n bytes of t to the configuration file and load it: its result, the detail in d. */
static orsp_err load(const char *t, size_t n, char *d, size_t cap)
{
	FILE *f = fopen(path, "w");
	orsp_err e;

	check(f != NULL);
	check(fwrite(t, 1, n, f) == n);
	check(fclose(f) == 0);
	check(chmod(path, 0600) == 0);
	e = orsp_smdp_config_load(path, &cfg);
	orsp_err_detail_copy(d, cap);
	if (!e)
		orsp_smdp_config_free(&cfg);
	orsp_err_clear();
	return e;
}

/* d with every v replaced by as many 'Q's, into out (cap bytes); false if it does not fit. */
static bool masked(const char *d, const char *v, char *out, size_t cap)
{
	size_t vn = strlen(v), o = 0;

	for (const char *p = d; *p;) {
		size_t k = strncmp(p, v, vn) == 0 ? vn : 1;
		if (o + k >= cap)
			return false;
		if (k == vn && k > 1)
			memset(out + o, 'Q', k);
		else
			out[o] = *p;
		o += k;
		p += k;
	}
	out[o] = '\0';
	return true;
}

/* A secret of the file (the value of a token line, text being n bytes) must not be quoted in
 * detail d. The value may be text the message holds anyway (an example in it: "e.g.
 * 2.999.10"): it is the secret's only if the same file with the value made 'Q's gives the
 * same message with 'Q's in its place. */
static void secrets_kept(char *text, size_t n, const char *d)
{
	static char d2[4096], dm[4096];

	for (char *l = text; *l;) {
		char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l), *k, *s, *e;
		size_t kn;
		char v[8192];
		k = l + strspn(l, " \t");
		kn = strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_");
		s = k + kn + strspn(k + kn, " \t");
		if (s < end && *s == '=' &&
		    ((kn == 9 && !strncmp(k, "es2_token", 9)) ||
		     (kn == 13 && !strncmp(k, "metrics_token", 13)))) {
			s++;
			s += strspn(s, " \t");
			e = end;
			while (e > s && strchr(" \t\r", e[-1]))
				e--;
			if (e - s >= 8 && (size_t)(e - s) < sizeof(v)) {
				memcpy(v, s, (size_t)(e - s));
				v[e - s] = '\0';
				/* the same text elsewhere may be echoed from there */
				if (strstr(text, v) == s && !strstr(s + 1, v) && strstr(d, v)) {
					memset(s, 'Q', (size_t)(e - s));
					(void)load(text, n, d2, sizeof(d2));
					memcpy(s, v, (size_t)(e - s));
					check(strstr(d2, v) || !masked(d, v, dm, sizeof(dm)) ||
					      strcmp(d2, dm) != 0);
				}
			}
		}
		if (!nl)
			break;
		l = nl + 1;
	}
}

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/orsp-fuzz-config.XXXXXX", t && t[0] ? t : "/tmp");
	check(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/smdp.conf", dir);
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static char text[IN_MAX + 1], detail[4096], detail2[4096];
	static const orsp_smdp_config zero;
	orsp_err e, e2;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size > IN_MAX || has(data, size, "pkcs11:") || has(data, size, "/dev") ||
	    has(data, size, "/proc") || has(data, size, "/sys"))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e = load(text, size, detail, sizeof(detail));
	e2 = load(text, size, detail2, sizeof(detail2));
	check(e == e2 && !strcmp(detail, detail2));
	if (!e)
		return 0;
	check(e == ORSP_E_USAGE || e == ORSP_E_MALFORMED || e == ORSP_E_IO || e == ORSP_E_POLICY ||
	      e == ORSP_E_VERIFY || e == ORSP_E_NOT_FOUND);
	check(!memcmp(&cfg, &zero, sizeof(cfg)));
	check(strstr(detail, path) != NULL);
	/* the text before a NUL is what a reader of the file sees */
	secrets_kept(text, size, detail);
	return 0;
}
