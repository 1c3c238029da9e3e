/* libFuzzer target for the KEK file reader (orsp_kek_load_existing, src/store/kek.c; the
 * forms in include/openrsp/store.h and docs/crypto.md).
 *
 * The input is the KEK file: written once per input, mode 0600, to a directory made at
 * start-up, then loaded (ORSP_KEK unset). A sealed KEK file (first line "openrsp-kek-sealed
 * 1") names a PKCS#11 module to load: inputs of that form whose text, white space left out,
 * holds "module-path" are skipped. Properties, against a model written here from the
 * documented forms:
 *  - a file that begins with the sealed form's first line is refused here (no module)
 *    with ORSP_E_MALFORMED, ORSP_E_POLICY, ORSP_E_USAGE, ORSP_E_IO or ORSP_E_NOT_FOUND, 32
 *    bytes of it (a sealed file cut short) included;
 *  - else 32 bytes are the KEK itself, refused (ORSP_E_MALFORMED) when all zero or all hex
 *    digits (a hex KEK cut short);
 *  - else 64 hex digits, with one newline after them or none, are the KEK they spell,
 *    refused (ORSP_E_MALFORMED) when all zero;
 *  - anything else is ORSP_E_MALFORMED;
 *  - an accepted KEK is the model's, 32 bytes; a refused one leaves the output all zero.
 * A violated property calls abort(). Deterministic.
 *
 * Seeds (fuzz/corpus/store_kek/): a raw and a hex KEK, the sealed form of docs/crypto.md
 * (without its module path), a cut hex KEK, an all-zero one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrsp/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAGIC "openrsp-kek-sealed 1"

static char dir[256], path[300];

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

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/orsp-fuzz-kek.XXXXXX", t && t[0] ? t : "/tmp");
	check(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/kek", dir);
	unsetenv("ORSP_KEK");
	atexit(cleanup);
}

static int hexval(uint8_t c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* Whether s (n bytes), white space p11-kit's URI parsing drops left out, holds word. */
static bool holds_squeezed(const uint8_t *s, size_t n, const char *word)
{
	size_t k = strlen(word), m = 0;
	for (size_t i = 0; i < n; i++) {
		if (strchr(" \n\r\v", s[i]) && s[i])
			continue;
		m = s[i] == (uint8_t)word[m] ? m + 1 : s[i] == (uint8_t)word[0] ? 1 : 0;
		if (m == k)
			return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static const orsp_secret zero;
	enum { REFUSED, ACCEPTED, SEALED } want = REFUSED;
	uint8_t key[32];
	orsp_secret kek;
	orsp_err e;
	FILE *f;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size > 9000)
		return 0;
	if (size > strlen(MAGIC) && !memcmp(data, MAGIC, strlen(MAGIC))) {
		if (holds_squeezed(data, size, "module-path"))
			return 0;
		want = SEALED;
	} else if (size == 32) {
		bool any = false, all_hex = true;
		for (size_t i = 0; i < 32; i++) {
			any |= data[i] != 0;
			all_hex &= hexval(data[i]) >= 0;
		}
		memcpy(key, data, 32);
		want = any && !all_hex ? ACCEPTED : REFUSED;
	} else if (size == 64 || (size == 65 && data[64] == '\n')) {
		bool ok = true, any = false;
		for (size_t i = 0; i < 64 && ok; i += 2) {
			int hi = hexval(data[i]), lo = hexval(data[i + 1]);
			ok = hi >= 0 && lo >= 0;
			if (ok)
				key[i / 2] = (uint8_t)(hi << 4 | lo);
			any |= ok && key[i / 2] != 0;
		}
		want = ok && any ? ACCEPTED : REFUSED;
	}

	f = fopen(path, "w");
	check(f != NULL);
	check(fwrite(data, 1, size, f) == size);
	check(fclose(f) == 0);
	check(chmod(path, 0600) == 0);
	memset(&kek, 0xA5, sizeof(kek));
	e = orsp_kek_load_existing(path, &kek);
	orsp_err_clear();
	switch (want) {
	case ACCEPTED:
		check(e == ORSP_OK && kek.len == 32 && !memcmp(kek.v, key, 32));
		break;
	case SEALED:
		check(e == ORSP_E_MALFORMED || e == ORSP_E_POLICY || e == ORSP_E_USAGE ||
		      e == ORSP_E_IO || e == ORSP_E_NOT_FOUND);
		break;
	case REFUSED:
		check(e == ORSP_E_MALFORMED);
		break;
	}
	if (e)
		check(!memcmp(&kek, &zero, sizeof(kek)));
	orsp_secret_wipe(&kek);
	return 0;
}
