/* Must compile: the control for log_secret.c, with the same shape but no secret. */
#include "openrsp/core.h"

void f(const uint8_t *k);
void f(const uint8_t *k)
{
	orsp_log(ORSP_LOG_INFO, "key %p %p", (const void *)0, (const void *)k);
}
