#!/usr/bin/env bash
# Refuse functions that have no bound or no error report (curl/s2n habit). Exit 1 on a hit.
set -euo pipefail
cd "$(dirname "$0")/.."
banned='\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|atoll|strtok|tmpnam|mktemp|rand|srand|alloca)[[:space:]]*\('
hits=$(grep -nE "$banned" $(git ls-files 'src/*.c' 'src/*.h' 'cli/*.c' 'cli/*.h' 'bench/*.c' 'include/*.h' 2>/dev/null; ls src/*/*.c cli/*.c bench/*.c 2>/dev/null) 2>/dev/null | sort -u || true)
if [ -n "$hits" ]; then
	echo "banned functions used (use the bounded alternatives):" >&2
	echo "$hits" >&2
	exit 1
fi
