#!/usr/bin/env bash
# Refuse functions that have no bound or no error report (curl/s2n habit). Exit 1 on a hit,
# 2 when the search itself fails (a file that cannot be read must not pass unseen).
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|tmpnam|mktemp|rand|srand|alloca)[[:space:]]*\('
mapfile -t files < <({
	git ls-files 'src/*.c' 'src/*.h' 'cli/*.c' 'cli/*.h' 'bench/*.c' 'include/*.h' 2>/dev/null || true
	ls src/*/*.c cli/*.c bench/*.c 2>/dev/null || true
} | sort -u)
if ((${#files[@]} == 0)); then
	echo "check-banned: no source file found" >&2
	exit 2
fi
# grep: 0 hits, 1 none, 2 an error (an unreadable file)
st=0
hits=$(grep -nE "$banned" "${files[@]}") || st=$?
if ((st > 1)); then
	echo "check-banned: grep failed (status $st)" >&2
	exit 2
fi
if [ -n "$hits" ]; then
	echo "banned functions used (use the bounded alternatives):" >&2
	echo "$hits" >&2
	exit 1
fi
