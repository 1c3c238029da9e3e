/* Comma-separated name lists as bit sets (command-line and configuration options). */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "openrsp/core.h"

orsp_err orsp_name_set_parse(const char *list, const char *const *names, size_t n, uint32_t *out)
{
	const char *p = list;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_name_set_parse: NULL argument");
	*out = 0;
	if (!list || !names || n > 32)
		return orsp_errf(ORSP_E_USAGE, "orsp_name_set_parse: bad arguments");
	for (;;) {
		size_t len = strcspn(p, ",");
		uint32_t bit = 0;
		for (size_t i = 0; i < n; i++)
			if (len == strlen(names[i]) && !strncasecmp(p, names[i], len))
				bit = 1u << i;
		if (!bit || (*out & bit)) {
			*out = 0;
			return orsp_errf(ORSP_E_USAGE, "not a list of distinct names: \"%.64s\"",
			                 list);
		}
		*out |= bit;
		if (!p[len])
			return ORSP_OK;
		p += len + 1;
	}
}
