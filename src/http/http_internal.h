/* What the HTTP module's server and client share; not part of the API. */
#ifndef ORSP_HTTP_INTERNAL_H
#define ORSP_HTTP_INTERNAL_H

#include <stdbool.h>

/* RFC 9110 §5.5: whether v (NUL-terminated) is a valid field value as far as control
 * characters go: none below 0x20 but HTAB, and no DEL (visible characters, obs-text, SP and
 * HTAB pass). The server refuses a request header so, the client an answer's header. */
bool orsp__http_field_value_ok(const char *v);

#endif
