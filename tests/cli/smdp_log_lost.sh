#!/usr/bin/env bash
# `smdp serve` whose stderr cannot be written: /dev/full (ENOSPC on every write, as a file on a
# full disk) and a pipe whose reader is gone (EPIPE; SIGPIPE is ignored). The server must go
# on serving, and count the lines it could not write in /metrics,
# openrsp_log_lines_dropped_total. Until session 75 each such line was dropped without a
# trace. And a log file that takes no more lines (its size at the process's RLIMIT_FSIZE, as a
# full disk: EFBIG; SIGXFSZ left at its default, which openrsp ignores itself), then takes them
# again (the limit lifted by prlimit): the first line written says how many were lost. tests/test_core.c has the cut line (test_log_cut_line).
# docs/smdp-server.md, after the request log's example.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_log_lost.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"

cleanup() {
	if [[ -n "$server" ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

command -v curl >/dev/null || {
	echo "curl is not installed (scripts/setup.sh installs it)" >&2
	exit 1
}
"$B" pki init "$T/pki" --smdp-fqdn smdp.example.org >/dev/null
{
	printf '%s\n' "fqdn = smdp.example.org" "oid = 2.999.10" "port = 0" "plain_http = yes" \
		"database = smdp.db" "threads = 2"
	smdp_keyset_conf
} >"$T/smdp.conf"

# requests N: N GET /health, each answered 200
requests() {
	local i code
	for ((i = 0; i < $1; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:$PORT/health" || true)
		[[ $code == 200 ]] || {
			bad "request $i answered $code"
			return
		}
	done
	ok
}
# counted WHAT: the drops grew with 5 more requests (one line each), and the server lives
counted() {
	local before after
	before=$(metric openrsp_log_lines_dropped_total)
	[[ -n $before ]] || before=missing
	requests 5
	after=$(metric openrsp_log_lines_dropped_total)
	[[ -n $after ]] || after=missing
	# the scrape's own line is lost too: at least the five
	if [[ $before != missing && $after != missing ]] && ((after >= before + 5)); then
		ok
	else
		bad "$1: openrsp_log_lines_dropped_total $before before 5 requests, $after after"
	fi
	if kill -0 "$server" 2>/dev/null; then ok; else bad "$1: the server died"; fi
}

# ----- stderr on /dev/full: every write ENOSPC -----
smdp_start "$T/smdp.conf" /dev/full
counted "/dev/full"
# the start's own lines (its CRLs, ...) and the requests' are all lost: never zero
d=$(metric openrsp_log_lines_dropped_total)
if [[ -n $d ]] && ((d > 0)); then ok; else bad "nothing counted on /dev/full: '$d'"; fi
smdp_stop

# ----- stderr a pipe whose reader is gone: EPIPE, never a death by SIGPIPE -----
mkfifo "$T/fifo"
cat "$T/fifo" >/dev/null &
reader=$!
smdp_start "$T/smdp.conf" "$T/fifo"
kill "$reader"
wait "$reader" 2>/dev/null || true
counted "closed pipe"
smdp_stop

# ----- a log file that takes no line (EFBIG), then takes them again -----
if command -v prlimit >/dev/null; then
	# 8 MiB, sparse (not named *.log: wait_for shows the end of those): the limit stops the
	# log, never the database. SIGXFSZ at its default (death) when the server starts, as a
	# shell or a service manager leaves it: openrsp ignores it itself, so the write fails
	# (EFBIG) and the server goes on (until session 75 the first line past the limit killed
	# it, without a word)
	truncate -s 8M "$T/full.err"
	: >"$T/port"
	prlimit --fsize=$((8 * 1024 * 1024)): env --default-signal=XFSZ \
		"$B" smdp serve --config "$T/smdp.conf" >"$T/port" 2>>"$T/full.err" &
	server=$!
	up_or_gone() { [[ -s "$T/port" ]] || ! kill -0 "$server" 2>/dev/null; }
	wait_for 60 "smdp serve to print its port" up_or_gone
	if ! kill -0 "$server" 2>/dev/null; then
		st=0
		wait "$server" || st=$?
		server=""
		bad "smdp serve with its log at RLIMIT_FSIZE ended with status $st ($(kill -l $((st - 128)) 2>/dev/null || echo exit))"
		finish
		exit 1
	fi
	PORT=$(head -1 "$T/port")
	requests 5
	d=$(metric openrsp_log_lines_dropped_total)
	if [[ -n $d ]] && ((d >= 5)); then ok; else bad "EFBIG: '$d' lines counted"; fi
	if prlimit --pid "$server" --fsize=unlimited; then
		requests 1
		# the start's lines, the five requests', the scrape's: the rest of the file
		log=$(tail -c +$((8 * 1024 * 1024 + 1)) "$T/full.err")
		expect "the loss said first, then the line" "openrsp smdp: warning: $((d + 1)) log lines were lost (writing to stderr: File too large)" "$(head -1 <<<"$log")"
		has "the request after it" "openrsp smdp: health function=health" "$(sed -n 2p <<<"$log")"
		expect "two lines" 2 "$(wc -l <<<"$log")"
	else
		echo "prlimit could not lift this server's RLIMIT_FSIZE: its return is not tried"
	fi
	smdp_stop
else
	echo "prlimit is not installed: a log file full, then not, is not tried"
fi

finish
