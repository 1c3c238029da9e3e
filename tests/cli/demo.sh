#!/usr/bin/env bash
# `make demo` must keep working: run scripts/demo.sh against the built binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
if TMPDIR=${ORSP_TEST_TMP:-/tmp} bash "$here/../../scripts/demo.sh" "${ORSP_BIN:?}"; then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
	exit 1
fi
