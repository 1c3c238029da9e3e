# Starting pySim's osmo-smdpp for scripts/bench-osmo-smdpp.sh and scripts/interop-osmo-smdpp.sh
# (sourced). osmo-smdpp is not part of this project: PYSIM names a pySim checkout of your own
# whose Python dependencies /usr/bin/python3 can import (Debian 12 lacks asn1tools, klein,
# gsm0338, jsonpath-ng and smpp.pdu: put checkouts of them on PYTHONPATH; checkouts from
# September 2024 on import pyosmocom too). It runs through scripts/osmo-smdpp-compat.py,
# which makes pySim's certificate check work with Debian 12's python3-cryptography 38.
#
# osmo-smdpp listens on http://localhost:8000, answers to testsmdpplus1.example.com with the
# SGP.26 test certificates (tests/vectors/sgp26 holds the same) and serves the profile file
# PYSIM/smdpp-data/upp/<matching ID>.der for a matching ID, any number of times.
#
# Its session store (PYSIM/smdpp-data/sm-dp-sessions*) is removed before it starts:
# osmo-smdpp (a437d11 of September 2024, and its 2026 code alike) never finds the session when
# the installation result arrives (it looks it up by lower-case hex, having stored it under
# upper-case), so it neither verifies that result nor deletes the session, and the store
# would grow from run to run.

OSMO_FQDN=testsmdpplus1.example.com
OSMO_URL=http://127.0.0.1:8000
osmo_pid=""

osmo_fail() {
	echo "$(basename "$0"): FAIL: $*" >&2
	exit 1
}

# osmo_start SCRIPTS_DIR LOG: start osmo-smdpp, wait until it listens; sets osmo_pid
osmo_start() {
	local here=$1 log=$2
	[ -n "${PYSIM:-}" ] && [ -f "$PYSIM/osmo-smdpp.py" ] || osmo_fail "set PYSIM to a pySim checkout"
	if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then osmo_fail "port 8000 is in use"; fi
	rm -f "$PYSIM"/smdpp-data/sm-dp-sessions*
	# the subshell execs python: $! is osmo-smdpp itself
	(cd "$PYSIM" && exec /usr/bin/python3 "$here/osmo-smdpp-compat.py" >"$log" 2>&1) &
	osmo_pid=$!
	for _ in $(seq 1 150); do
		(exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && return 0
		kill -0 "$osmo_pid" 2>/dev/null || {
			tail -20 "$log" >&2
			osmo_fail "osmo-smdpp did not start (log above)"
		}
		sleep 0.2
	done
	osmo_fail "osmo-smdpp did not listen on port 8000 within 30 s"
}

osmo_stop() {
	if [ -n "$osmo_pid" ]; then
		kill "$osmo_pid" 2>/dev/null && wait "$osmo_pid" 2>/dev/null
		osmo_pid=""
	fi
	return 0
}
