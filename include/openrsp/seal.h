/* openrsp seal: the TRE's sealed storage (being written; see docs/seal.md when it lands). */
#ifndef OPENRSP_SEAL_H
#define OPENRSP_SEAL_H

#include "openrsp/core.h"

#endif
