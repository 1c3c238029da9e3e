/* Secrets left in freed memory, for the tests: loaded with LD_PRELOAD into a program, it looks
 * at every block the program gives back to the heap (free, and the old block of every realloc
 * or reallocarray, which here always moves the block) for any 8 consecutive bytes of the secrets in
 * $ORSP_HEAPSCAN (hex, comma-separated, each at least 8 bytes; unset or empty: nothing is looked
 * at). At exit, when any block held one, it says how many on standard error ("heapscan: ...", with
 * the call stack of the first three) and the process ends with status 97 instead of its own.
 *
 * With ORSP_HEAPSCAN_SELFTEST=1 it frees a copy of the first secret itself at the start, so
 * that the process must end with 97: the proof that the library is loaded and looks.
 *
 * It sees only the program's own calls of free and realloc (and those of the libraries it
 * loads), not the C library's internal ones, and only blocks freed before the exit. Not part of
 * openrsp: a test library only, never built with a sanitizer (which has its own malloc). */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void __libc_free(void *p);

#define WINDOW 8
#define MAX_SECRET_BYTES 512

static uint8_t secrets[MAX_SECRET_BYTES];
/* the secrets' boundaries: bytes [start[i], start[i + 1]) */
static size_t start[17];
static size_t nsecrets;
static int ready;
static unsigned long hits;
static __thread int inside;

static int nibble(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void __attribute__((constructor)) heapscan_init(void)
{
	const char *v = getenv("ORSP_HEAPSCAN");
	size_t n = 0;

	if (!v || !*v)
		return;
	start[0] = 0;
	for (const char *s = v;; s++) {
		if (*s == ',' || *s == '\0') {
			if (n - start[nsecrets] < WINDOW ||
			    nsecrets + 1 >= sizeof(start) / sizeof(*start))
				goto bad;
			start[++nsecrets] = n;
			if (*s == '\0')
				break;
			continue;
		}
		int hi = nibble(s[0]), lo = hi < 0 ? -1 : nibble(s[1]);
		if (lo < 0 || n >= sizeof(secrets))
			goto bad;
		secrets[n++] = (uint8_t)(hi << 4 | lo);
		s++;
	}
	ready = 1;
	v = getenv("ORSP_HEAPSCAN_SELFTEST");
	if (v && strcmp(v, "1") == 0) {
		uint8_t *copy = malloc(start[1]);
		if (copy) {
			memcpy(copy, secrets, start[1]);
			free(copy);
		}
	}
	return;
bad:
	fprintf(stderr, "heapscan: ORSP_HEAPSCAN must be hex secrets of 8 to 512 bytes, "
	                "comma-separated, at most 16\n");
	_exit(96);
}

static int holds_secret(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < nsecrets; i++)
		for (size_t o = start[i]; o + WINDOW <= start[i + 1]; o++)
			if (memmem(p, n, secrets + o, WINDOW))
				return 1;
	return 0;
}

static void scan(void *p)
{
	if (!ready || !p || inside)
		return;
	inside = 1;
	if (holds_secret(p, malloc_usable_size(p))) {
		unsigned long nth = __atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED);
		if (nth <= 3) {
			void *frames[32];
			int depth = backtrace(frames, 32);
			fprintf(stderr, "heapscan: a freed block held a secret, from:\n");
			backtrace_symbols_fd(frames, depth, 2);
		}
	}
	inside = 0;
}

void free(void *p)
{
	scan(p);
	__libc_free(p);
}

void *realloc(void *p, size_t n)
{
	/* Always a new block, the old one freed (and looked at): what a resize in a fragmented
	 * heap does, whatever glibc would do with this process's heap. */
	if (!p)
		return malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	void *q = malloc(n);
	if (!q)
		return NULL;
	size_t old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	free(p);
	return q;
}

void *reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;
	if (__builtin_mul_overflow(nmemb, size, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n);
}

/* priority 101: after the destructors of default priority, which may still free */
static void __attribute__((destructor(101))) heapscan_report(void)
{
	unsigned long n = __atomic_load_n(&hits, __ATOMIC_RELAXED);
	if (!n)
		return;
	fprintf(stderr, "heapscan: %lu freed block%s held a secret\n", n, n == 1 ? "" : "s");
	_exit(97);
}
