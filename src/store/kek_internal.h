/* PRIVATE to src/store (kek.c) and its tests: not installed, not for other modules. */
#ifndef ORSP_STORE_KEK_INTERNAL_H
#define ORSP_STORE_KEK_INTERNAL_H

#include <stdbool.h>

/* For the tests: `written` (NULL: none, as in every program) is called by every write of a KEK
 * file once the new file's content is written and flushed, before it has its name (or, where
 * O_TMPFILE is refused, before its temporary name is linked or renamed to it): a test kills
 * the process there, as a crash would. `refuse_tmpfile`: act as a file system that refuses
 * O_TMPFILE, so the named temporary file is used. Process-wide; not thread-safe. */
void orsp__kek_test_hooks(void (*written)(void), bool refuse_tmpfile);

#endif
