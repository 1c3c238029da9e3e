#!/usr/bin/env bash
# Every help page fits in 80 columns: `openrsp --help`, `openrsp help`, `openrsp help CMD` for
# each command of the `commands:` list and `openrsp CMD VERB --help` for each verb of the
# `verbs:` list of `openrsp help CMD` (a new command or verb is walked without a change here).
# Each exits 0 with its page on stdout, a line starting with `usage:` among it, and no line
# longer than 80 characters (counted as characters: § or Δ is one). At least 40 verb pages are
# walked, so that lists the walk no longer finds (a renamed heading) cannot pass it vacuously.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_help.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

# Bytes, not the environment's locale: a character is its bytes less its UTF-8 continuation
# bytes (0x80-0xbf).
export LC_ALL=C
MAX=80
MIN_VERB_PAGES=40

# page ARGS...: run openrsp ARGS and check the page it prints; the page is left in $out.
page() {
	local what="openrsp $*" line stripped n=0 long=0 rc=0 err
	out=$("$B" "$@" 2>"$T/err") || rc=$?
	err=$(<"$T/err")
	if [[ $rc -eq 0 ]]; then ok; else bad "$what: exit status $rc: $err"; fi
	if [[ -n $out ]]; then ok; else bad "$what: nothing on stdout"; fi
	if grep -q '^usage:' <<<"$out"; then ok; else bad "$what: no line starting with 'usage:'"; fi
	while IFS= read -r line; do
		n=$((n + 1))
		stripped=${line//[$'\x80'-$'\xbf']/}
		if ((${#stripped} > MAX)); then
			long=$((long + 1))
			bad "$what: line $n has ${#stripped} characters (over $MAX): $line"
		fi
	done <<<"$out"
	if ((long == 0)); then ok; fi
}

# section HEADING: the first word of each indented line under HEADING (a line "HEADING:") in
# $out, up to the next empty line, one a line.
section() {
	awk -v h="$1:" '$0 == h { f = 1; next } f && /^$/ { exit } f && /^  [a-z]/ { print $1 }' <<<"$out"
}

page --help
page help
mapfile -t commands < <(section commands)
verb_pages=0
for c in "${commands[@]}"; do
	page help "$c"
	mapfile -t verbs < <(section verbs)
	for v in "${verbs[@]}"; do
		page "$c" "$v" --help
		verb_pages=$((verb_pages + 1))
	done
done
if ((${#commands[@]} > 0)); then ok; else bad "no command found under 'commands:' of openrsp help"; fi
if ((verb_pages >= MIN_VERB_PAGES)); then
	ok
else
	bad "only $verb_pages verb pages found under 'verbs:' of ${#commands[@]} commands (want at least $MIN_VERB_PAGES)"
fi
echo "walked: 2 top pages, ${#commands[@]} command pages, $verb_pages verb pages"

rm -rf "$T"
finish
