/* PRIVATE to src/core (file.c) and its tests: not installed, not for other modules. */
#ifndef ORSP_CORE_FILE_INTERNAL_H
#define ORSP_CORE_FILE_INTERNAL_H

/* hook (NULL: none) is called with the path by orsp_path_open_trusted once the path's last
 * entry has been judged and before it is opened: a test puts something else there. */
void orsp__path_test_hook(void (*hook)(const char *path));

/* fn (NULL: unlink itself) stands for unlink(2) of the temporary name in orsp_file_create. */
void orsp__file_unlink_test_hook(int (*fn)(const char *path));

#endif
