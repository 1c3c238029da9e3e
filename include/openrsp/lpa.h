/* openrsp lpa: the device agent (being written; see docs/lpa.md when it lands). */
#ifndef OPENRSP_LPA_H
#define OPENRSP_LPA_H

#include "openrsp/core.h"

#endif
