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
/* For the tests: `opened` (NULL: none) is called once a KEK file is opened, before it is
 * locked: by kek seal and kek reseal for the file they are to read and replace (sealing
 * true), by every read of a KEK file otherwise. A test runs another seal there, as another
 * process could. */
void orsp__kek_test_open_hook(void (*opened)(bool sealing));
/* For the tests: the flush (fsync) of a KEK file's directory after n more of them fails once
 * with EIO, as a failing disk would (0: the next one; -1: none, as in every program). */
void orsp__kek_test_dir_sync_failure(int n);

#endif
