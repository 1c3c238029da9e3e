#!/usr/bin/env bash
# What the SM-DP+'s SQL costs per download: runs `openrsp bench smdp` with scripts/sql-profile.c
# preloaded into the server (and the bench), then lists the server's statements by the CPU
# time their sqlite3_step() calls took (user and kernel, on the calling thread's clock: the
# statement, its page reads and, for COMMIT, the log's writes; not the durable flush, which
# runs after the commit, nor waits), per download, with the steps per download and the time
# per step. The clock reads and a hash of the text add about 0.5 us to each step.
# The bench makes no refused requests after the load here (--refused-requests 0).
#
#   scripts/bench-sql-profile.sh [OPENRSP_BINARY] [-- BENCH_OPTIONS...]
#
# N (default 2000) downloads and C (default 4) clients over plain HTTP; TOP (default 25)
# lines. Needs gcc and SQLite's header (libsqlite3-dev, which scripts/setup.sh installs). Not
# run by `make test` or CI.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib/bench-server.bash
. "$here/lib/bench-server.bash"
bench_args "$here/../build/openrsp" "$@"
B=$BENCH_BIN
set -- "${BENCH_ARGS[@]}"
N=${N:-2000}
C=${C:-4}
TOP=${TOP:-25}

fail() {
	echo "bench-sql-profile: $*" >&2
	exit 1
}
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -shared -fPIC -o "$work/sql-profile.so" "$here/sql-profile.c" -ldl ||
	fail "cannot build the preload library (gcc, libsqlite3-dev)"
rc=0
LD_PRELOAD="$work/sql-profile.so" ORSP_SQL_PROFILE="$work/prof" \
	"$B" bench smdp --downloads "$N" --clients "$C" --plain-http --refused-requests 0 "$@" \
	>"$work/bench" 2>&1 &
bench=$!
wait "$bench" || rc=$?
cat "$work/bench"
[ "$rc" -eq 0 ] || fail "the bench failed (exit $rc)"
# the server's file: every one but the bench process's own
files=()
for f in "$work"/prof.*; do
	[ "$f" = "$work/prof.$bench" ] || files+=("$f")
done
[ ${#files[@]} -eq 1 ] || fail "expected one server profile, found ${#files[@]}"
echo "server SQL per download ($N downloads), by sqlite3_step CPU time:"
awk -F'\t' -v n="$N" -v top="$TOP" '
	{ ns[$3] += $1; st[$3] += $2; all += $1; steps += $2 }
	END {
		printf "  %8.1f us in %5.1f steps in all\n", all / n / 1000, steps / n
		for (k in ns)
			printf "  %8.1f us %5.2f steps %7.1f us/step  %.110s\n", ns[k] / n / 1000, st[k] / n,
			       st[k] ? ns[k] / st[k] / 1000 : 0, k | "sort -rn | head -" top
	}' "${files[0]}"
