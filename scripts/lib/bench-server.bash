# The SM-DP+ that `openrsp bench smdp` starts, for the scripts that watch it from outside
# (scripts/bench-osmo-smdpp.sh pins it to a CPU, scripts/bench-breakdown.sh counts its system
# calls), and the command line those scripts share. Sourced.

# bench_server_pid BENCH_PID SECONDS: print the pid of the server the bench process started,
# once it is up; print nothing if it did not appear within SECONDS or the bench ended first.
bench_server_pid() {
	local bench=$1 seconds=$2 srv=""
	for _ in $(seq 1 $((seconds * 50))); do
		srv=$(pgrep -P "$bench" -f "smdp serve" || true)
		[ -n "$srv" ] && break
		kill -0 "$bench" 2>/dev/null || break
		sleep 0.02
	done
	echo "$srv"
}

# bench_args DEFAULT_BINARY ARGS...: the command line of the scripts that run the bench,
# `[OPENRSP_BINARY] [-- BENCH_OPTIONS...]`. Sets BENCH_BIN (the first argument unless it is
# "--", else DEFAULT_BINARY; made absolute) and the array BENCH_ARGS (what follows, without
# the "--").
bench_args() {
	BENCH_BIN=$1
	shift
	if [ $# -gt 0 ] && [ "$1" != "--" ]; then
		BENCH_BIN=$1
		shift
	fi
	[ "${1:-}" = "--" ] && shift
	BENCH_BIN=$(realpath "$BENCH_BIN")
	# shellcheck disable=SC2034 # read by the scripts that source this file
	BENCH_ARGS=("$@")
}
