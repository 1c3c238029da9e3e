/* Private to src/auc: what auc_export.c needs of auc.c beyond the public header. */
#ifndef ORSP_AUC_INTERNAL_H
#define ORSP_AUC_INTERNAL_H

#include "openrsp/auc.h"

/* Append one audit row in a transaction of its own (a savepoint inside the caller's). */
ORSP_MUST_CHECK orsp_err orsp__auc_audit(orsp_auc *a, const char *action, const char *imsi,
                                         const char *result, const char *detail);

#endif
