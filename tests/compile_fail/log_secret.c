/* Must NOT compile: the logging API refuses secret types (see tests/CMakeLists.txt). */
#include "openrsp/core.h"

void f(const orsp_secret *k);
void f(const orsp_secret *k)
{
	orsp_log(ORSP_LOG_INFO, "key %p %p", (const void *)0, k);
}
