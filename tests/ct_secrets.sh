#!/usr/bin/env bash
# Constant-time checks under valgrind's memcheck (tests/ct_secrets.c): the canary's branch on
# a secret must be reported (else the checks would pass blind), then the checks must run
# without a report.
set -euo pipefail
BIN=${1:?usage: ct_secrets.sh CT_SECRETS_BINARY}
command -v valgrind >/dev/null || {
	echo "FAIL: valgrind is not installed (scripts/setup.sh installs it)" >&2
	exit 1
}
vg() { valgrind -q --tool=memcheck --error-exitcode=99 --leak-check=no \
	--suppressions="$(dirname "$0")/ct_secrets.supp" "$@"; }
rc=0
out=$(vg "$BIN" canary 2>&1) || rc=$?
if [[ $rc -ne 99 ]]; then
	echo "FAIL: memcheck did not report the canary's branch on a secret (exit $rc): a build" \
		"without valgrind's header (ORSP_HAVE_MEMCHECK), or debug information valgrind" \
		"cannot read (DWARF 5 for valgrind 3.19: CMakeLists.txt asks clang for DWARF 4)." \
		"valgrind said:" >&2
	tail -5 <<<"$out" >&2
	exit 1
fi
vg "$BIN"
echo "ct_secrets: no branch or address on a secret"
