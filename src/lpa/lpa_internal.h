/* openrsp lpa: internals shared by the sources of src/lpa. */
#ifndef ORSP_LPA_INTERNAL_H
#define ORSP_LPA_INTERNAL_H

#include <stddef.h>

#include "openrsp/core.h"

/* Text from the eUICC or the SM-DP+ (names, addresses, messages) made safe for a terminal,
 * into out (cap bytes, NUL-terminated): well-formed UTF-8 is kept, except control characters
 * (C0 with CR, LF and ESC, DEL, C1), which become '?', as does each byte that is not part of
 * well-formed UTF-8. Cut at a character boundary when out is too small. */
void lpa_text_copy(orsp_slice v, char *out, size_t cap);

/* Room for the eUICC's answer to RetrieveNotificationsList by seqNumber: one
 * PendingNotification. */
#define LPA_NOTIFICATION_MAX 8192

#endif
