/* Private to src/auc: what auc_export.c needs of auc.c beyond the public header. */
#ifndef ORSP_AUC_INTERNAL_H
#define ORSP_AUC_INTERNAL_H

#include "openrsp/auc.h"

/* Append one audit row in a transaction of its own (a savepoint inside the caller's). */
ORSP_MUST_CHECK orsp_err orsp__auc_audit(orsp_auc *a, const char *action, const char *imsi,
                                         const char *result, const char *detail);

/* orsp_auc_export_keys inside a transaction: only for orsp_auc_export, whose own transaction
 * holds every read and commits before the text leaves (it refuses a caller's with
 * orsp__auc_refuse_nested first). */
ORSP_MUST_CHECK orsp_err orsp__auc_export_keys_in(orsp_auc *a, const char *imsi,
                                                  const char *purpose, orsp_auc_info *info_out,
                                                  orsp_secret *k, orsp_secret *opc);
/* ORSP_E_STATE, naming `what`, if a transaction is open on a's database: a function whose
 * output must not leave before its transaction is committed runs outside any. */
ORSP_MUST_CHECK orsp_err orsp__auc_refuse_nested(orsp_auc *a, const char *what);

#endif
