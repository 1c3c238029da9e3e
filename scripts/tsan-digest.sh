#!/usr/bin/env bash
# The first ThreadSanitizer report in a log, shortened to what names the race: its headline,
# each access's or thread's first line and its top frames (BuildIds and addresses dropped).
# make test-tsan prints it last when the loaded run fails, so that the end of the output (all
# a CI summary may show) still says which two accesses raced.
#
#   scripts/tsan-digest.sh LOG [FRAMES]
#
# FRAMES (default 4) frames of each stack. Prints nothing when LOG holds no report.
set -euo pipefail

log=${1:?usage: tsan-digest.sh LOG [FRAMES]}
frames=${2:-4}
[ -r "$log" ] || { echo "tsan-digest.sh: cannot read $log" >&2; exit 2; }
awk -v frames="$frames" '
	/WARNING: ThreadSanitizer/ { on = 1; print; next }
	!on { next }
	/^SUMMARY: ThreadSanitizer/ { print; exit }
	/^ *#[0-9]+ / {
		n = $1; sub(/^#/, "", n)
		if (n + 0 < frames) {
			sub(/ \(BuildId: [0-9a-f]+\)/, "")
			sub(/ \([^ ()]*\+0x[0-9a-f]+\)$/, "")
			print
		}
		next
	}
	/[^ ]/ { print }
' "$log"
