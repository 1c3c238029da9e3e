#!/usr/bin/env bash
# Side-by-side CPU cost of a complete download: pySim's osmo-smdpp against openrsp's SM-DP+,
# measured alternately in one run by the same load generator (`openrsp bench smdp`, real
# signatures, one eUICC certificate per download).
#
#   PYSIM=/path/to/pysim [PYTHONPATH=...] scripts/bench-osmo-smdpp.sh [OPENRSP_BINARY]
#
# What PYSIM must hold and how osmo-smdpp is run: scripts/lib/osmo-smdpp.bash. The eUICCs
# are issued under the SGP.26 test EUM (tests/vectors/sgp26); every download asks for the
# profile MID (default TS48V2-SAIP2-3-NOBERTLV-UNIQUE). openrsp runs its own
# `bench smdp --plain-http` (a fresh server, database and PKI each round). Rounds (R,
# default 3) alternate the two; D_OSMO (default 200) and D_OWN (default 2000) downloads
# each, C (default 4) clients. PIN=1 gives each server one core of its own: the load
# generator runs on CPU 0, the server (every thread) on CPU 1, as osmo-smdpp, which has one
# thread, is measured either way. Not run by `make test` or CI.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/lib/osmo-smdpp.bash
. "$here/lib/osmo-smdpp.bash"
# shellcheck source=SCRIPTDIR/lib/bench-server.bash
. "$here/lib/bench-server.bash"
B=$(realpath "${1:-$here/../build/openrsp}")
R=${R:-3}
D_OSMO=${D_OSMO:-200}
D_OWN=${D_OWN:-2000}
C=${C:-4}
MID=${MID:-TS48V2-SAIP2-3-NOBERTLV-UNIQUE}
V=$here/../tests/vectors/sgp26

[ -x "$B" ] || osmo_fail "$B is not the openrsp binary (build first, or give its path)"
[ -f "${PYSIM:-}/smdpp-data/upp/$MID.der" ] || osmo_fail "no profile $MID in PYSIM/smdpp-data/upp"

T=$(mktemp -d /tmp/bench-osmo-smdpp.XXXXXX)
trap 'osmo_stop; rm -rf "$T"' EXIT

# the SGP.26 NIST chain in the layout `bench smdp --pki` reads
mkdir -p "$T/pki/ci" "$T/pki/eum" "$T/pki/euicc"
cp "$V/CertificateIssuer/CERT_CI_ECDSA_NIST.der" "$T/pki/ci/ci.der"
cp "$V/EUM/CERT_EUM_ECDSA_NIST.der" "$T/pki/eum/eum.der"
cp "$V/EUM/SK_EUM_ECDSA_NIST.pem" "$T/pki/eum/eum_key.pem"
cp "$V/eUICC/CERT_EUICC_ECDSA_NIST.der" "$T/pki/euicc/euicc.der"

osmo_start "$here" "$T/osmo.log"

LOADGEN=()
if [ "${PIN:-0}" = 1 ]; then
	[ "$(nproc)" -ge 2 ] || osmo_fail "PIN=1 needs two CPUs"
	LOADGEN=(taskset -c 0)
	taskset -a -pc 1 "$osmo_pid" >/dev/null
fi

# openrsp's own bench; with PIN=1 the server it starts is moved to CPU 1 once it is up
own_bench() {
	if [ "${PIN:-0}" != 1 ]; then
		"$B" bench smdp --plain-http --downloads "$D_OWN" --clients "$C" --json
		return
	fi
	"${LOADGEN[@]}" "$B" bench smdp --plain-http --downloads "$D_OWN" --clients "$C" \
		--json >"$T/own.json" &
	local bench=$! srv
	srv=$(bench_server_pid "$bench" 30)
	[ -n "$srv" ] && taskset -a -pc 1 "$srv" >/dev/null
	wait "$bench" || return 1
	[ -n "$srv" ] || osmo_fail "openrsp's server was not found to pin"
	cat "$T/own.json"
}

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
for _ in $(seq 1 "$R"); do
	o=$("${LOADGEN[@]}" "$B" bench smdp --url "$OSMO_URL" --server-pid "$osmo_pid" --pki "$T/pki" \
		--smdp-address "$OSMO_FQDN" --matching-id "$MID" \
		--downloads "$D_OSMO" --clients "$C" --json) || osmo_fail "bench against osmo-smdpp"
	row osmo-smdpp "$o"
	o=$(own_bench) || osmo_fail "bench against openrsp"
	row openrsp "$o"
done
python3 - "$T/all.jsonl" <<'PY'
import json, statistics, sys
cpu = {"osmo-smdpp": [], "openrsp": []}
for line in open(sys.argv[1]):
    name, j = line.split(" ", 1)
    cpu[name].append(json.loads(j)["server_cpu_ms_per_download"])
o, m = statistics.median(cpu["osmo-smdpp"]), statistics.median(cpu["openrsp"])
print("median CPU per download: osmo-smdpp %.1f ms, openrsp %.2f ms: %.0fx less" % (o, m, o / m))
PY
