/* placeholder, replaced by the lpa implementation */
#include "openrsp/lpa.h"
int orsp_lpa_placeholder_(void);
int orsp_lpa_placeholder_(void) { return 0; }
