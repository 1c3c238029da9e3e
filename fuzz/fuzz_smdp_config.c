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
 * tokens, the platform policy lists and the key sets.
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

/* A secret of the file (the value of a token line) must not be quoted in detail d. */
static void secrets_kept(const char *text, const char *d)
{
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n'), *end = nl ? nl : l + strlen(l), *k, *s, *e;
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
				if (strstr(text, v) == s && !strstr(s + 1, v))
					check(!strstr(d, v));
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
	static char text[IN_MAX + 1], detail[4096];
	static const orsp_smdp_config zero;
	orsp_err e, e2;
	FILE *f;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size > IN_MAX || has(data, size, "pkcs11:") || has(data, size, "/dev") ||
	    has(data, size, "/proc") || has(data, size, "/sys"))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	f = fopen(path, "w");
	check(f != NULL);
	check(fwrite(data, 1, size, f) == size);
	check(fclose(f) == 0);
	check(chmod(path, 0600) == 0);

	e = orsp_smdp_config_load(path, &cfg);
	orsp_err_detail_copy(detail, sizeof(detail));
	if (!e)
		orsp_smdp_config_free(&cfg);
	orsp_err_clear();
	e2 = orsp_smdp_config_load(path, &cfg);
	if (!e2)
		orsp_smdp_config_free(&cfg);
	check(e == e2 && !strcmp(detail, orsp_err_detail()));
	orsp_err_clear();
	if (!e)
		return 0;
	check(e == ORSP_E_USAGE || e == ORSP_E_MALFORMED || e == ORSP_E_IO || e == ORSP_E_POLICY ||
	      e == ORSP_E_VERIFY || e == ORSP_E_NOT_FOUND);
	check(!memcmp(&cfg, &zero, sizeof(cfg)));
	check(strstr(detail, path) != NULL);
	/* the text before a NUL is what a reader of the file sees */
	secrets_kept(text, detail);
	return 0;
}
