#!/usr/bin/env bash
# The binary is linked with full RELRO and immediate binding (CMakeLists.txt, docs/crypto.md):
# a GNU_RELRO segment, and BIND_NOW with the NOW flag in its dynamic section. Bound lazily, the
# first call of each library function went through the dynamic linker's resolver, which saves
# every vector register on the stack: a key that had just passed through them (the eUICC's
# device key, OPc, a KEK unwrapped by a PKCS#11 token, an ES2+ confirmation code) stayed in a
# stack frame nothing wipes, for the life of the process (a review of live processes, session
# 73). binutils' readelf reads the binary (scripts/setup.sh installs build-essential).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_linking.XXXXXX")
. "$(dirname "$0")/lib/common.bash"
trap 'rm -rf "$T"' EXIT

command -v readelf >/dev/null || {
	echo "readelf is not installed (scripts/setup.sh installs binutils with build-essential)" >&2
	exit 1
}

dyn=$(readelf -d "$B")
# BIND_NOW (DT_BIND_NOW, or DF_BIND_NOW in DT_FLAGS) and NOW in DT_FLAGS_1
if grep -qE '\(BIND_NOW\)|\(FLAGS\) +.*BIND_NOW' <<<"$dyn"; then ok; else bad "no BIND_NOW: $(grep -E "FLAGS|BIND" <<<"$dyn" || echo "no flags")"; fi
if grep -qE '\(FLAGS_1\) +Flags:.* NOW( |$)' <<<"$dyn"; then ok; else bad "no FLAGS_1 NOW: $(grep -E "FLAGS|BIND" <<<"$dyn" || echo "no flags")"; fi
seg=$(readelf -lW "$B")
has "a GNU_RELRO segment" "GNU_RELRO" "$seg"

finish
