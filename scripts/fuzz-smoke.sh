#!/usr/bin/env bash
# Short libFuzzer runs of every fuzz/fuzz_*.c target.
#
#   scripts/fuzz-smoke.sh [BUILD_DIR] [SECONDS]
#
# Configures a clang build with -DORSP_FUZZ=ON in BUILD_DIR (default build-fuzz), builds the
# fuzz targets and the openrsp program (not the tests), and runs each target for SECONDS
# (default 30, or $FUZZ_SECONDS) on a scratch copy of its seed corpus fuzz/corpus/<name>/ (so
# the tree's corpus is not grown), $JOBS (default 2) targets at a time. Exit status is non-zero
# if anything fails to build, or a target crashes, leaks, times out or finds a sanitizer error;
# the reproducer is kept under BUILD_DIR/fuzz-artifacts/<target>/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-fuzz}
seconds=${2:-${FUZZ_SECONDS:-30}}
jobs=${JOBS:-2}

case $seconds in
'' | *[!0-9]*)
	echo "fuzz-smoke: SECONDS must be a whole number, got '$seconds'" >&2
	exit 2
	;;
esac
command -v clang >/dev/null || {
	echo "fuzz-smoke: clang is required (libFuzzer)" >&2
	exit 2
}

targets=()
for src in "$root"/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
	echo "fuzz-smoke: no fuzz/fuzz_*.c targets" >&2
	exit 2
fi

CC=clang cmake -S "$root" -B "$build" -DORSP_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# openrsp too: this instrumented clang -O2 build with -Werror is also CI's clang compile of every
# shipped source (the CLI and benchmarks included), which no fuzz target links.
cmake --build "$build" -j"$jobs" --target "${targets[@]}" openrsp

scratch=$(mktemp -d "${TMPDIR:-/tmp}/orsp-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# One target's run; its report goes to $scratch/$name.out, printed when it ends.
run_target() {
	local name=$1 corpus_src="$root/fuzz/corpus/${1#fuzz_}" corpus="$scratch/$1"
	local artifacts="$build/fuzz-artifacts/$1"
	mkdir -p "$corpus" "$artifacts"
	if [ -d "$corpus_src" ]; then
		cp -R "$corpus_src"/. "$corpus"/
	else
		echo "fuzz-smoke: warning: $name has no seed corpus in ${corpus_src#"$root"/}"
	fi
	echo "== $name: ${seconds}s on $(find "$corpus" -type f | wc -l) seed files"
	# -timeout: seconds per input; -rss_limit_mb: memory cap; leaks fail the run (ASan).
	if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/fuzz/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" \
		>"$artifacts/log.txt" 2>&1; then
		echo "== $name: FAILED (log and reproducer in $artifacts)"
		tail -n 40 "$artifacts/log.txt"
		return 1
	fi
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$artifacts/log.txt" || true
	echo "== $name: ok"
}

# $jobs targets at a time (each libFuzzer run uses one core), reports in the order they end.
failed=()
declare -A running=() # pid -> target
finish_one() {
	local pid name
	if wait -n -p pid; then
		name=${running[$pid]}
	else
		name=${running[$pid]}
		failed+=("$name")
	fi
	unset "running[$pid]"
	cat "$scratch/$name.out"
}
for name in "${targets[@]}"; do
	while [ ${#running[@]} -ge "$jobs" ]; do
		finish_one
	done
	run_target "$name" >"$scratch/$name.out" 2>&1 &
	running[$!]=$name
done
while [ ${#running[@]} -gt 0 ]; do
	finish_one
done

if [ ${#failed[@]} -ne 0 ]; then
	echo "fuzz-smoke: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz-smoke: all ${#targets[@]} target(s) ran ${seconds}s without a crash"
