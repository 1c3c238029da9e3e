#include "openrsp/core.h"

const char *orsp_version(void)
{
	return ORSP_VERSION_STRING;
}
