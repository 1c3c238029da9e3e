/* PRIVATE to src/core (secret.c) and its tests: not installed, not for other modules. */
#ifndef ORSP_CORE_SECRET_INTERNAL_H
#define ORSP_CORE_SECRET_INTERNAL_H

/* A shortage of memory for the wiping allocator (orsp_wipe_malloc, orsp_wipe_calloc,
 * orsp_wipe_realloc), in every thread: n >= 0, n more of its allocations succeed and every one
 * after them fails (NULL, counted in orsp_wipe_alloc_failures as a real failure is); n < 0,
 * none fails (the default). Returns how many were left before (-1: no limit), so that a test
 * counts the allocations of a step: LONG_MAX before it, LONG_MAX - the return after. */
long orsp__wipe_alloc_test_limit(long n);

#endif
