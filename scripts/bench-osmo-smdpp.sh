#!/usr/bin/env bash
# Side-by-side CPU cost of a complete download: pySim's osmo-smdpp against openrsp's SM-DP+,
# measured alternately in one run by the same load generator (`openrsp bench smdp`, real
# signatures, one eUICC certificate per download).
#
#   PYSIM=/path/to/pysim [PYTHONPATH=...] scripts/bench-osmo-smdpp.sh [OPENRSP_BINARY]
#
# osmo-smdpp is not part of this project and not a Debian package. PYSIM is a pySim checkout
# of your own; its Python dependencies must be importable by /usr/bin/python3 (Debian 12
# lacks asn1tools, klein, gsm0338, jsonpath-ng and smpp.pdu: put checkouts of them on
# PYTHONPATH). Checkouts from September 2024 on import pyosmocom as well. Debian 12's
# python3-cryptography (38) lacks Certificate.signature_algorithm_parameters (41), so
# osmo-smdpp runs through scripts/osmo-smdpp-compat.py, which replaces pySim's check_signed
# with the same ECDSA check written for version 38. Not run by `make test` or CI.
#
# osmo-smdpp listens on http://localhost:8000 (port 8000 must be free), answers to
# testsmdpplus1.example.com with the SGP.26 test certificates and serves one profile file
# per matching ID, any number of times. Its session store (PYSIM/smdpp-data/sm-dp-sessions*)
# is removed before it starts: osmo-smdpp (a437d11 of September 2024, and its 2026 code
# alike) never finds the session when the installation result arrives (it looks it up by
# lower-case hex, having stored it under upper-case), so it neither verifies that result nor
# deletes the session, and the store grows from run to run. The eUICCs are issued under the SGP.26 test EUM
# (tests/vectors/sgp26). openrsp runs its own `bench smdp --plain-http` (a fresh server,
# database and PKI each round). Rounds (R, default 3) alternate the two; D_OSMO (default
# 200) and D_OWN (default 2000) downloads each, C (default 4) clients.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
B=$(realpath "${1:-$here/../build/openrsp}")
PYSIM=${PYSIM:-}
R=${R:-3}
D_OSMO=${D_OSMO:-200}
D_OWN=${D_OWN:-2000}
C=${C:-4}
MID=${MID:-TS48V2-SAIP2-3-NOBERTLV-UNIQUE}
V=$here/../tests/vectors/sgp26

fail() {
	echo "bench-osmo-smdpp: FAIL: $*" >&2
	exit 1
}
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
[ -n "$PYSIM" ] && [ -f "$PYSIM/osmo-smdpp.py" ] || fail "set PYSIM to a pySim checkout"
[ -f "$PYSIM/smdpp-data/upp/$MID.der" ] || fail "no profile $MID in $PYSIM/smdpp-data/upp"
if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then fail "port 8000 is in use"; fi

T=$(mktemp -d /tmp/bench-osmo-smdpp.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the SGP.26 NIST chain in the layout `bench smdp --pki` reads
mkdir -p "$T/pki/ci" "$T/pki/eum" "$T/pki/euicc"
cp "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der" "$T/pki/ci/ci.der"
cp "$V/EUM/CERT_EUM_ECDSA_NIST.der" "$T/pki/eum/eum.der"
cp "$V/EUM/SK_EUM_ECDSA_NIST.pem" "$T/pki/eum/eum_key.pem"
cp "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" "$T/pki/euicc/euicc.der"

rm -f "$PYSIM"/smdpp-data/sm-dp-sessions*
(cd "$PYSIM" && exec /usr/bin/python3 "$here/osmo-smdpp-compat.py" >"$T/osmo.log" 2>&1) &
pid=$!
for _ in $(seq 1 100); do
	(exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || {
		tail -20 "$T/osmo.log" >&2
		fail "osmo-smdpp did not start"
	}
	sleep 0.2
done
# the python process itself (the subshell execs it)
kill -0 "$pid" 2>/dev/null || fail "osmo-smdpp is not running"

row() { # row LABEL JSON
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
print("%-10s %8.1f %9.1f %11.3f %9.3f %8.1f %6.2f" % (sys.argv[1], d["downloads_per_s"],
      d["p50_ms"], d["server_cpu_ms_per_download"], d["crypto_ms_per_download"], d["ratio"],
      d["server_cores_used"]))' "$1" "$2"
	echo "$1 $2" >>"$T/all.jsonl"
}
echo "server        dl/s   p50 ms  CPU ms/dl  crypto ms  CPU/crypto  cores"
for r in $(seq 1 "$R"); do
	o=$("$B" bench smdp --url http://127.0.0.1:8000 --server-pid "$pid" --pki "$T/pki" \
		--smdp-address testsmdpplus1.example.com --matching-id "$MID" \
		--downloads "$D_OSMO" --clients "$C" --json) || fail "bench against osmo-smdpp (log: $T/osmo.log)"
	row osmo-smdpp "$o"
	o=$("$B" bench smdp --plain-http --downloads "$D_OWN" --clients "$C" --json) ||
		fail "bench against openrsp"
	row openrsp "$o"
done
python3 - "$T/all.jsonl" <<'EOF'
import json, statistics, sys
rows = [l.split(" ", 1) for l in open(sys.argv[1])]
cpu = {"osmo-smdpp": [], "openrsp": []}
for name, j in rows:
    cpu[name].append(json.loads(j)["server_cpu_ms_per_download"])
o, m = statistics.median(cpu["osmo-smdpp"]), statistics.median(cpu["openrsp"])
print("median CPU per download: osmo-smdpp %.1f ms, openrsp %.2f ms: %.0fx less" % (o, m, o / m))
EOF
