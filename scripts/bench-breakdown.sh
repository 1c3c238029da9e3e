#!/usr/bin/env bash
# Where the SM-DP+'s kernel time goes: runs `openrsp bench smdp` and counts, with perf stat
# attached to the server the bench starts (every thread), its system calls by kind and its
# context switches, divided by the number of downloads. The counts do not depend on the
# machine's speed the way CPU times do, so they show what a server change did to the work
# per download even when the timings are too noisy to.
#
#   scripts/bench-breakdown.sh [OPENRSP_BINARY] [-- BENCH_OPTIONS...]
#
# N (default 3000) downloads and C (default 4) clients over plain HTTP; BENCH_OPTIONS go to
# the bench after these (say --server-threads 2; set the downloads with N, which the counts
# are divided by). The counts cover the server's whole life (start, load, the bench's /metrics
# reads; not the refused requests the bench otherwise makes after the load: --refused-requests 0),
# which adds a few hundred system calls in all. Needs perf (Debian: linux-perf) and
# permission to trace (root, or kernel.perf_event_paranoid <= 1). Not run by `make test`
# or CI.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib/bench-server.bash
. "$here/lib/bench-server.bash"
bench_args "$here/../build/openrsp" "$@"
B=$BENCH_BIN
set -- "${BENCH_ARGS[@]}"
N=${N:-3000}
C=${C:-4}
EVENTS=fdatasync,pwrite64,pread64,fcntl,futex,epoll_wait,recvfrom,sendto,sendmsg,write,clock_gettime,getpid

fail() {
	echo "bench-breakdown: $*" >&2
	exit 1
}
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
command -v perf >/dev/null || fail "perf is missing (apt-get install linux-perf)"
perf stat -e syscalls:sys_enter_getpid -- true >/dev/null 2>&1 ||
	fail "perf cannot count system calls here (run as root, or lower kernel.perf_event_paranoid)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$B" bench smdp --downloads "$N" --clients "$C" --plain-http --refused-requests 0 "$@" \
	>"$work/bench" 2>&1 &
bench=$!
server=$(bench_server_pid "$bench" 60)
[ -n "$server" ] || {
	cat "$work/bench" >&2
	fail "the bench started no server"
}
ev=context-switches
for e in ${EVENTS//,/ }; do
	ev="$ev,syscalls:sys_enter_$e"
done
# the counters follow the threads the server creates after this point
perf stat -x, -e "$ev" -p "$server" -o "$work/stat" &
perf=$!
rc=0
wait "$bench" || rc=$?
sleep 0.2
kill -INT "$perf" 2>/dev/null || true
wait "$perf" || true
cat "$work/bench"
[ "$rc" -eq 0 ] || fail "the bench failed (exit $rc)"
echo "server, per download ($N downloads):"
awk -F, -v n="$N" '
	/^#/ || NF < 3 || $1 !~ /^[0-9]+$/ { next }
	{ name = $3; sub(/^syscalls:sys_enter_/, "", name); printf "  %-18s %8.2f\n", name, $1 / n }
' "$work/stat"
