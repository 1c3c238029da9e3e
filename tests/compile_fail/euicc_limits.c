/* Compiled with -DORSP_EUICC_MAX_PROFILES=N (see tests/CMakeLists.txt): must NOT compile when
 * the isdr record of N profiles could outgrow ORSP_EUICC_RECORD_MAX (24), must compile when it
 * cannot (23): euicc.h's static assertions turn an override that would fail every state
 * change at run time into a build error. Nothing here but the header, so that the header
 * alone decides. */
#include "openrsp/euicc.h"

size_t card_size(void);
size_t card_size(void)
{
	return sizeof(orsp_euicc);
}
