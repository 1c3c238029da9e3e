#!/usr/bin/env bash
# `make demo` must keep working: `openrsp demo` runs the whole story, exits 0, prints every
# step of the timeline, leaves no work directory behind and no server listening; with
# --keep the work directory stays; a missing template is a clear failure.
set -euo pipefail
B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_demo.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

# its help is that of its single verb (what `openrsp demo` runs), not a list of verbs
for how in "demo --help" "help demo" "demo run --help"; do
	rc=0
	# shellcheck disable=SC2086 # the words of $how are the arguments
	out=$(TMPDIR=$T "$B" $how 2>&1) || rc=$?
	if [[ $rc -eq 0 && "$out" == "usage: openrsp demo [--keep] [--template FILE]"* &&
		"$out" == *"--template FILE  the profile package"* && "$out" != *"verbs:"* ]]; then
		ok
	else
		bad "openrsp $how: rc=$rc: $out"
	fi
done
rc=0
out=$(TMPDIR=$T "$B" demo 2>"$T/err") || rc=$?
[[ $rc -eq 0 ]] && ok || bad "demo exit $rc: $(cat "$T/err") $out"
for want in "operator-A orders a profile" "device downloads and installs operator-A" \
	"RES = XRES" "device enables operator-B" "refuses operator-A's challenge: MAC failure" \
	"deletes operator-A's profile" "install, enable, disable and delete notifications: one each, verified" \
	"every step verified" "15. checking what operator-A's SM-DP+ received" \
	"16. done: the device changed operator remotely; every step verified ("; do
	[[ "$out" == *"$want"* ]] && ok || bad "timeline lacks '$want'"
done
# nothing left behind
left=$(find "$T" -maxdepth 1 -name 'openrsp-demo.*' | wc -l)
[[ $left -eq 0 ]] && ok || bad "work directory left behind"
# no key material in the output
if grep -qiE "BEGIN (EC )?PRIVATE KEY" <<<"$out"; then bad "key in the output"; else ok; fi
# --keep keeps it; the kept eUICC state is sealed (no profile bytes in clear)
out=$(TMPDIR=$T "$B" demo --keep 2>/dev/null) && rc=0 || rc=$?
kept=$(find "$T" -maxdepth 1 -name 'openrsp-demo.*' | head -1)
[[ $rc -eq 0 && -n "$kept" && -f "$kept/device-euicc/manifest" ]] && ok || bad "--keep"
if [[ -n "$kept" ]] && grep -rqa "GSMA Generic eUICC Test Profile\|Operator B" "$kept/device-euicc"; then bad "eUICC state readable in clear"; else ok; fi
# a missing template
rc=0
TMPDIR=$T "$B" demo --template "$T/none.der" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] && ok || bad "missing template: rc=$rc"
rm -rf "$T"
finish
