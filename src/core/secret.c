/* Secret handling: one wipe function, one constant-time compare, and the wiping allocator
 * of the generated code that decodes secrets. */
#include <malloc.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/core.h"
#include "secret_internal.h"

#ifdef ORSP_HAVE_MEMCHECK
#include <valgrind/memcheck.h>
#endif

void orsp_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

/* Block p of malloc, and its whole usable size in *n (malloc_usable_size: glibc's, and every
 * sanitizer's): at least the size asked for, all of it the block's own memory, so a write
 * there touches nothing else. The whole of it, as the size asked for is not known here: these
 * functions are the free of asn1c's `pe` set, gnutls_free, OpenSSL's (cli/main.c) and, through
 * orsp_wipe_block, jansson's (json.c), handed blocks that other code allocated; a size header
 * of ours would not be in them.
 *
 * The empty asm hides where p came from. _FORTIFY_SOURCE=3 checks a write's length against
 * __builtin_dynamic_object_size of its destination, for a block of malloc the size asked for
 * when the compiler sees the call: once link-time optimisation had inlined the wipe into a
 * function that allocated the block (orsp_json_put_base64), the wipe of the usable size
 * aborted "buffer overflow detected", the SM-DP+ at each initiateAuthentication and the LPA at
 * each download. The pointer and the bytes written are the same; the compiler only no longer
 * knows a size smaller than the block's. */
static void *usable_block(void *p, size_t *n)
{
	*n = malloc_usable_size(p);
	__asm__ volatile("" : "+r"(p));
	return p;
}

void orsp_wipe_block(void *p)
{
	if (p) {
		size_t n;
		p = usable_block(p, &n);
		explicit_bzero(p, n);
	}
}

void orsp_wipe_free(void *p)
{
	orsp_wipe_block(p);
	free(p);
}

/* This thread's failed allocations: asn1c answers RC_FAIL for bad input and for a failed
 * calloc alike, and its caller tells them apart by this count. A size of 0 may be answered
 * NULL without a failure. */
static _Thread_local unsigned long wipe_alloc_failed;

static void *counted(void *p, size_t n)
{
	if (!p && n)
		wipe_alloc_failed++;
	return p;
}

unsigned long orsp_wipe_alloc_failures(void)
{
	return wipe_alloc_failed;
}

void orsp_wipe_alloc_refused(void)
{
	wipe_alloc_failed++;
}

/* The tests' shortage (secret_internal.h): how many more allocations succeed, -1 no limit. */
static _Atomic long test_left = -1;

long orsp__wipe_alloc_test_limit(long n)
{
	return atomic_exchange(&test_left, n < 0 ? -1 : n);
}

/* Whether the tests' shortage refuses this allocation */
static bool refused(void)
{
	long left = atomic_load_explicit(&test_left, memory_order_relaxed);
	while (left > 0)
		if (atomic_compare_exchange_weak(&test_left, &left, left - 1))
			return false;
	return left == 0;
}

static void *get(size_t n)
{
	return refused() ? NULL : malloc(n);
}

void *orsp_wipe_malloc(size_t n)
{
	return counted(get(n), n);
}

void *orsp_wipe_calloc(size_t nmemb, size_t size)
{
	return counted(refused() ? NULL : calloc(nmemb, size), nmemb && size);
}

void *orsp_wipe_realloc(void *p, size_t n)
{
	if (!p)
		return counted(get(n), n);
	/* never in place: realloc would free the old block, or its tail, unwiped. Size 0 gets a
	 * block of 1 (glibc's realloc would free p and return NULL, which a caller could take
	 * for a failure that left p alive). */
	void *q = counted(get(n ? n : 1), 1);
	if (!q)
		return NULL;
	size_t old;
	const void *from = usable_block(p, &old);
	memcpy(q, from, old < n ? old : n);
	orsp_wipe_free(p);
	return q;
}

int orsp_ct_eq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a;
	const volatile uint8_t *y = b;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= (uint8_t)(x[i] ^ y[i]);
	/* Map 0 -> 1 and 1..255 -> 0 without a data-dependent branch. */
	int eq = (int)(1 & (((unsigned)acc - 1u) >> 8));
	orsp_ct_public(&eq, sizeof(eq)); /* the answer is the caller's to branch on */
	return eq;
}

void orsp_ct_secret(const void *p, size_t n)
{
#ifdef ORSP_HAVE_MEMCHECK
	(void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#else
	(void)p;
	(void)n;
#endif
}

bool orsp_on_valgrind(void)
{
#ifdef ORSP_HAVE_MEMCHECK
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

void orsp_ct_public(const void *p, size_t n)
{
#ifdef ORSP_HAVE_MEMCHECK
	(void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
	(void)p;
	(void)n;
#endif
}

orsp_err orsp_secret_set(orsp_secret *s, const void *p, size_t len)
{
	if (len > ORSP_SECRET_MAX) {
		orsp_secret_wipe(s);
		return orsp_errf(ORSP_E_USAGE, "secret of %zu bytes exceeds %d", len, ORSP_SECRET_MAX);
	}
	/* p may lie in s->v itself (a secret set from a part of its own value): moved first,
	 * the rest wiped after */
	if (len)
		memmove(s->v, p, len);
	orsp_wipe(s->v + len, sizeof(s->v) - len);
	s->len = len;
	return ORSP_OK;
}

orsp_err orsp_secret_from_hex(orsp_secret *s, const char *hex)
{
	orsp_secret_wipe(s);
	orsp_err e = orsp_hex_decode(hex, s->v, sizeof(s->v), &s->len);
	if (e != ORSP_OK)
		orsp_secret_wipe(s);
	return e;
}
