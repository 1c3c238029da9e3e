/* Constant-time checks of the code that handles secrets, run under valgrind's memcheck
 * (ctest ct_secrets, tests/ct_secrets.sh). The secret bytes are marked undefined
 * (orsp_ct_secret), so that memcheck reports every branch taken on them and every memory
 * address computed from them; the code under test declares public, with orsp_ct_public, only
 * the one decision its caller branches on. Any report fails the run (--error-exitcode).
 *
 *   ct_secrets          the checks; exit 0 when every result is right
 *   ct_secrets canary   a branch on a secret byte, which memcheck must report: proof that
 *                       the client requests reach it (built with valgrind's header)
 *
 * The KEK file's bytes are marked as they are read: orsp_file_read_upto is wrapped
 * (-Wl,--wrap, the test links the static libraries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openrsp/aka.h"
#include "openrsp/core.h"
#include "openrsp/crypto.h"
#include "openrsp/store.h"

static int failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "FAIL: " __VA_ARGS__);                                     \
			fputc('\n', stderr);                                                       \
			failed++;                                                                  \
		}                                                                                  \
	} while (0)

orsp_err __real_orsp_file_read_upto(int fd, const char *path, void *buf, size_t cap, size_t *n,
                                    bool *more);
orsp_err __wrap_orsp_file_read_upto(int fd, const char *path, void *buf, size_t cap, size_t *n,
                                    bool *more);
orsp_err __wrap_orsp_file_read_upto(int fd, const char *path, void *buf, size_t cap, size_t *n,
                                    bool *more)
{
	orsp_err e = __real_orsp_file_read_upto(fd, path, buf, cap, n, more);
	if (!e)
		orsp_ct_secret(buf, *n);
	return e;
}

/* the n bytes at p, a result computed from secrets, compared with want: declared public
 * first, as the test itself branches on them */
static int same(const void *p, const void *want, size_t n)
{
	orsp_ct_public(p, n);
	return memcmp(p, want, n) == 0;
}

static void hex_digits(void)
{
	for (int c = 0; c < 256; c++) {
		char ch = (char)c;
		int want = c >= '0' && c <= '9'   ? c - '0'
		           : c >= 'a' && c <= 'f' ? c - 'a' + 10
		           : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                                  : -1;
		orsp_ct_secret(&ch, 1);
		int d = orsp_hex_digit(ch);
		CHECK(same(&d, &want, sizeof(d)), "orsp_hex_digit(0x%02x)", (unsigned)c);
	}
}

static void hex_codec(const uint8_t key[32])
{
	char hex[65], again[65];
	uint8_t out[32];
	orsp_secret s = {0};

	CHECK(!orsp_hex_encode(key, 32, hex, sizeof(hex)), "orsp_hex_encode");
	memcpy(out, key, 32);
	orsp_ct_secret(out, 32);
	CHECK(!orsp_hex_encode(out, 32, again, sizeof(again)) && same(again, hex, 65),
	      "orsp_hex_encode of a secret");
	orsp_ct_secret(hex, 64);
	CHECK(!orsp_hex_decode_exact(hex, out, 32) && same(out, key, 32), "orsp_hex_decode_exact");
	orsp_ct_secret(hex, 64);
	CHECK(!orsp_secret_from_hex(&s, hex) && same(s.v, key, 32), "orsp_secret_from_hex");
	/* a bad digit: refused, with the first one's position (the decision is public) */
	hex[40] = 'g';
	orsp_ct_secret(hex, 64);
	CHECK(orsp_hex_decode_exact(hex, out, 32) == ORSP_E_MALFORMED &&
	          strstr(orsp_err_detail(), "position 40"),
	      "orsp_hex_decode_exact of a bad digit: %s", orsp_err_detail());
	orsp_err_clear();
	orsp_secret_wipe(&s);
}

static void compare(const uint8_t key[32])
{
	uint8_t a[32], b[32];
	memcpy(a, key, 32);
	memcpy(b, key, 32);
	orsp_ct_secret(a, 32);
	orsp_ct_secret(b, 32);
	CHECK(orsp_ct_eq(a, b, 32) == 1, "orsp_ct_eq of equal secrets");
	b[31] ^= 1;
	CHECK(orsp_ct_eq(a, b, 32) == 0, "orsp_ct_eq of different secrets");
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f;
	unlink(path);
	f = fopen(path, "wb");
	CHECK(f && fwrite(p, 1, n, f) == n && fclose(f) == 0, "writing %s", path);
	CHECK(chmod(path, 0600) == 0, "chmod %s", path);
}

static void kek_files(const char *dir, const uint8_t key[32])
{
	char path[512], hex[66], bad[66];
	orsp_secret k = {0};

	snprintf(path, sizeof(path), "%s/kek", dir);
	CHECK(!orsp_hex_encode(key, 32, hex, sizeof(hex)), "hex of the KEK");
	write_file(path, key, 32);
	CHECK(!orsp_kek_load_existing(path, &k) && same(k.v, key, 32), "a raw KEK file: %s",
	      orsp_err_detail());
	orsp_secret_wipe(&k);
	write_file(path, hex, 64);
	CHECK(!orsp_kek_load_existing(path, &k) && same(k.v, key, 32), "a hex KEK file: %s",
	      orsp_err_detail());
	orsp_secret_wipe(&k);
	hex[64] = '\n';
	write_file(path, hex, 65);
	CHECK(!orsp_kek_load_existing(path, &k) && same(k.v, key, 32),
	      "a hex KEK file with its newline: %s", orsp_err_detail());
	orsp_secret_wipe(&k);
	/* refused forms decide on their public summary only */
	write_file(path, hex, 32);
	CHECK(orsp_kek_load_existing(path, &k) == ORSP_E_MALFORMED, "32 hex digits refused");
	memcpy(bad, hex, sizeof(bad));
	bad[10] = 'x';
	write_file(path, bad, 64);
	CHECK(orsp_kek_load_existing(path, &k) == ORSP_E_MALFORMED, "a bad digit refused");
	orsp_err_clear();
	unlink(path);
	/* ORSP_KEK: the environment's copy is the secret */
	hex[64] = 0;
	CHECK(setenv("ORSP_KEK", hex, 1) == 0, "setenv");
	orsp_ct_secret(getenv("ORSP_KEK"), 64);
	CHECK(!orsp_kek_load(path, &k) && same(k.v, key, 32), "ORSP_KEK: %s", orsp_err_detail());
	unsetenv("ORSP_KEK");
	orsp_secret_wipe(&k);
}

/* Milenage (OpenSSL's AES under it) and the KEK's wrap and unwrap (AES-GCM) with secret keys */
static void aes_users(const uint8_t key[32])
{
	static const uint8_t rnd[16] = {0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d,
	                                0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf, 0x35};
	static const uint8_t sqn[6] = {0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07}, amf[2] = {0xb9, 0xb9};
	uint8_t k[16], opc[16], blob[128];
	orsp_milenage_out o1, o2;
	orsp_milenage *m;
	orsp_secret kek = {0}, plain = {0}, back = {0};
	size_t n = 0;

	memcpy(k, key, 16);
	memcpy(opc, key + 16, 16);
	m = orsp_milenage_new(k, opc, NULL);
	CHECK(m && !orsp_milenage_compute(m, rnd, sqn, amf, &o1), "milenage (public keys)");
	orsp_milenage_free(m);
	orsp_ct_secret(k, 16);
	orsp_ct_secret(opc, 16);
	m = orsp_milenage_new(k, opc, NULL);
	CHECK(m && !orsp_milenage_compute(m, rnd, sqn, amf, &o2) && same(&o2, &o1, sizeof(o1)),
	      "milenage (secret keys)");
	orsp_milenage_free(m);

	CHECK(!orsp_secret_set(&kek, key, 32) && !orsp_secret_set(&plain, k, 16), "secrets");
	orsp_ct_secret(kek.v, 32);
	orsp_ct_secret(plain.v, 16);
	CHECK(!orsp_kek_wrap(&kek, "auc:k:001010000000001", &plain, blob, sizeof(blob), &n),
	      "orsp_kek_wrap");
	orsp_ct_public(blob, n); /* stored in the database: public */
	CHECK(!orsp_kek_unwrap(&kek, "auc:k:001010000000001", blob, n, &back) &&
	          same(back.v, key, 16),
	      "orsp_kek_unwrap");
	orsp_secret_wipe(&kek);
	orsp_secret_wipe(&plain);
	orsp_secret_wipe(&back);
}

int main(int argc, char **argv)
{
	uint8_t key[32];
	char dir[] = "/tmp/ct_secrets.XXXXXX";

	if (orsp_random(key, sizeof(key)))
		return 2;
	key[0] |= 0x80; /* never all hex digits, never all zeros */
	if (argc > 1 && strcmp(argv[1], "canary") == 0) {
		orsp_ct_secret(key, sizeof(key));
		if (key[1] == 0x42) /* memcheck: "Conditional jump ... uninitialised value" */
			puts("0x42");
		return 0;
	}
	if (!mkdtemp(dir))
		return 2;
	hex_digits();
	hex_codec(key);
	compare(key);
	kek_files(dir, key);
	aes_users(key);
	rmdir(dir);
	orsp_wipe(key, sizeof(key));
	if (failed)
		fprintf(stderr, "ct_secrets: %d check(s) failed\n", failed);
	return failed ? 1 : 0;
}
