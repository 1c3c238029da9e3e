#!/usr/bin/env bash
# `openrsp bench aka`: runs, reports every measurement as a positive rate, ratios consistent
# with the rates, and usage errors exit 2. (Speed goals are reported, not asserted: a test
# machine's load must not fail the build.)
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_bench.XXXXXX")
. "$(dirname "$0")/lib/common.bash"


run bench aka --seconds 0.3 --json
if [[ $rc -eq 0 ]]; then ok; else bad "bench aka --json exit $rc: $err"; fi
if python3 - "$out" <<'EOF'; then ok; else bad "bench JSON fields"; fi
import json, sys
d = json.loads(sys.argv[1])
for k in ("aes_blocks_per_s_6", "aes_blocks_per_s_1", "bound_vectors_per_s", "milenage_ctx_per_s",
          "milenage_generic_per_s", "tuak_per_s", "milenage_vs_bound"):
    assert d[k] > 0, k
assert abs(d["bound_vectors_per_s"] - d["aes_blocks_per_s_6"] / 5) <= 1e-4 * d["bound_vectors_per_s"]
assert abs(d["milenage_vs_bound"] - d["milenage_ctx_per_s"] / d["bound_vectors_per_s"]) < 1e-3
assert d["goal_within_3x_bound"] == (d["milenage_vs_bound"] >= 1 / 3)
if d["libosmocore_per_s"] is not None:
    assert d["libosmocore_per_s"] > 0
    assert abs(d["milenage_vs_libosmocore"] - d["milenage_ctx_per_s"] / d["libosmocore_per_s"]) < 1e-2 * d["milenage_vs_libosmocore"]
    assert d["goal_4x_libosmocore"] == (d["milenage_vs_libosmocore"] >= 4)
EOF
run bench aka --seconds 0.2
if [[ $rc -eq 0 && "$out" == *"Milenage, keyed context"* && "$out" == *"of the AES bound"* ]]; then ok; else bad "bench text"; fi

usage --seconds bench aka --seconds 0
usage --seconds bench aka --seconds x
usage --seconds bench aka --seconds 1s
usage --seconds bench aka --seconds
usage --fast bench aka --fast
usage extra bench aka extra
usage frob bench frob

# bench smdp: a real SM-DP+ process and simulated eUICCs; a few downloads, both transports
run bench smdp --downloads 6 --clients 2 --json
if [[ $rc -eq 0 && "$out" == *'"transport":"https","downloads":6'* && "$out" == *'"server_cpu_ms_per_download":'* && "$out" == *'"servers":1,"sticky":false,"reconnect":false,"connections":2,"connections_per_download":0.33,"crl_entries":-1}' ]]; then ok; else bad "bench smdp https: rc=$rc $out $err"; fi
# the crypto reference warm and with cold caches: both positive, each ratio its quotient, the
# curve named
if python3 - "$out" <<'EOF'; then ok; else bad "bench smdp reference fields: $out"; fi
import json, sys
d = json.loads(sys.argv[1])
cpu = d["server_cpu_ms_per_download"]
for c, r in (("crypto_ms_per_download", "ratio"), ("crypto_cold_ms_per_download", "ratio_cold")):
    assert d[c] > 0, c
    assert abs(d[r] - cpu / d[c]) <= 0.01 + 0.01 * d[r], r
# on the curve of the bench's own PKI (`pki init`'s default)
assert d["curve"] == "P-256", d.get("curve")
assert d["external"] is False
# the refused requests (HTTPS here) were all refused and cost the server some CPU
assert d["refused_request_us"] > 0, "refused_request_us"
assert 0 <= d["refused_request_sys_us"] <= d["refused_request_us"], "refused_request_sys_us"
EOF
# latency percentiles by nearest rank: of two downloads over one connection, p50 is the faster
# (the second: no TLS handshake), p90 and p99 the slower (v[n p / 100] made all three the
# slower one)
run bench smdp --downloads 2 --clients 1 --refused-requests 0 --json
if [[ $rc -eq 0 ]] && python3 - "$out" <<'EOF'; then ok; else bad "bench smdp percentiles: rc=$rc $out $err"; fi
import json, sys
d = json.loads(sys.argv[1])
assert d["p50_ms"] < d["p90_ms"] == d["p99_ms"], d
EOF
run bench smdp --downloads 4 --clients 1 --plain-http
if [[ $rc -eq 0 && "$out" == *"4 complete downloads (plain HTTP"* && "$out" == *"(2 signs, 4 verifies, keygen, BPP; P-256): "* && "$out" == *"ratio server CPU / crypto"* && "$out" == *"a request refused at once (initiateAuthentication, bad euiccChallenge), one client: "*" us of SM-DP+ CPU"* ]]; then ok; else bad "bench smdp text: rc=$rc $out $err"; fi
run bench smdp --downloads 4 --clients 2 --server-threads 1 --plain-http --refused-requests 0 --json
if [[ $rc -eq 0 && "$out" == *'"downloads":4'* && "$out" =~ \"server_crypto_ms_per_download\":(0\.[0-9]*[1-9]|[1-9]) && "$out" == *'"refused_request_us":-1.0,'* ]]; then ok; else bad "bench smdp one server thread, no refused requests: rc=$rc $out $err"; fi
# --servers: two processes on the one database. Spread (the default), each download's steps
# alternate between them, so each transactionId is in both servers' logs; --sticky keeps a
# client on one server, so each is in one log, and both servers served downloads.
srv_tids() { sed -n 's/.*function=\(initiateAuthentication\|authenticateClient\|getBoundProfilePackage\|handleNotification\) tid=\([0-9A-F]*\) .* result=ok .*/\2/p' "$1" | sort -u; }
for mode in spread sticky; do
	rm -f "$T/srv.log".*
	extra=()
	[[ $mode == sticky ]] && extra=(--sticky)
	out=$(ORSP_BENCH_SERVER_LOG="$T/srv.log" "$B" bench smdp --downloads 6 --clients 2 --servers 2 \
		"${extra[@]}" --plain-http --refused-requests 0 --json 2>"$T/srv.err") && rc=0 || rc=$?
	# keep-alive: each client's connection to each server it uses, and no other
	want='"servers":2,"sticky":false,"reconnect":false,"connections":4,'
	[[ $mode == sticky ]] && want='"servers":2,"sticky":true,"reconnect":false,"connections":2,'
	if [[ $rc -eq 0 && "$out" == *'"downloads":6,'* && "$out" == *"$want"* && -s "$T/srv.log.1" && -s "$T/srv.log.2" && ! -e "$T/srv.log" ]]; then ok; else bad "bench smdp --servers 2 ($mode): rc=$rc $out $(cat "$T/srv.err")"; fi
	both=$(comm -12 <(srv_tids "$T/srv.log.1") <(srv_tids "$T/srv.log.2") | wc -l)
	all=$(sort -u <(srv_tids "$T/srv.log.1") <(srv_tids "$T/srv.log.2") | wc -l)
	one=$(srv_tids "$T/srv.log.1" | wc -l)
	if [[ $mode == spread && $all -eq 6 && $both -eq 6 ]] ||
		[[ $mode == sticky && $all -eq 6 && $both -eq 0 && $one -ge 1 && $one -le 5 ]]; then ok; else bad "bench smdp --servers 2 ($mode): $all transactions, $both on both servers, $one on the first"; fi
	for f in initiateAuthentication authenticateClient getBoundProfilePackage handleNotification; do
		n=$(cat "$T/srv.log.1" "$T/srv.log.2" | grep -c "function=$f tid=.* result=ok") || true
		if [[ $n -eq 6 ]]; then ok; else bad "bench smdp --servers 2 ($mode): $n $f answered, want 6"; fi
	done
done
run bench smdp --downloads 2 --clients 1 --servers 2 --plain-http --refused-requests 0
if [[ $rc -eq 0 && "$out" == *"2 complete downloads (plain HTTP, 1 clients, 2 servers on one database, a download's steps spread over them, keep-alive)"* && "$out" == *"SM-DP+ processes' CPU: "* ]]; then ok; else bad "bench smdp --servers text: rc=$rc $out $err"; fi
# --reconnect: every request on a connection of its own (the servers' count), over TLS too
run bench smdp --downloads 3 --clients 2 --reconnect --refused-requests 0 --json
if [[ $rc -eq 0 && "$out" == *'"transport":"https","downloads":3,'* && "$out" == *'"reconnect":true,"connections":12,"connections_per_download":4.00,"crl_entries":-1}' ]]; then ok; else bad "bench smdp --reconnect: rc=$rc $out $err"; fi
run bench smdp --downloads 4 --clients 2 --servers 2 --reconnect --plain-http --refused-requests 0
if [[ $rc -eq 0 && "$out" == *"4 complete downloads (plain HTTP, 2 clients, 2 servers on one database, a download's steps spread over them, a new connection per request)"* && "$out" == *"connections the SM-DP+ accepted during the load: 16 (4.00 per download)"* ]]; then ok; else bad "bench smdp --reconnect text: rc=$rc $out $err"; fi
# --crl: the server loads the CI's and the EUM's CRLs (its log names both) and every download
# passes the check (none of the bench's eUICCs is listed)
out=$(ORSP_BENCH_SERVER_LOG="$T/crl.log" "$B" bench smdp --downloads 3 --clients 2 --plain-http \
	--refused-requests 0 --crl 50 --json 2>"$T/err") && rc=0 || rc=$?
if [[ $rc -eq 0 && "$out" == *'"transport":"http","downloads":3,'* && "$out" == *'"crl_entries":50}' ]] &&
	grep -q 'crl .*/ci.crl: "openrsp Test CI" (a CI'"'"'s), 1 revoked, next update ' "$T/crl.log" &&
	grep -q 'crl .*/eum.crl: ".*" (an EUM'"'"'s), 50 revoked, next update ' "$T/crl.log"; then ok; else bad "bench smdp --crl: rc=$rc $out $(cat "$T/err") $(head -c 2000 "$T/crl.log")"; fi
usage --crl bench smdp --crl -1
usage --crl bench smdp --crl 10000001
usage --servers bench smdp --servers 0
usage --servers bench smdp --servers 9
usage --sticky bench smdp --sticky
usage --sticky bench smdp --servers 1 --sticky
run bench e2e --cycles 2 --json
if [[ $rc -eq 0 && "$out" == *'"cycles":2,'* && "$out" == *'"cycles_per_s":'* ]]; then ok; else bad "bench e2e: rc=$rc $out $err"; fi
usage --cycles bench e2e --cycles 0
usage --clients bench smdp --clients 0
usage --server-threads bench smdp --server-threads 0
usage --downloads bench smdp --downloads x
usage --refused-requests bench smdp --refused-requests -1
usage --refused-requests bench smdp --refused-requests 1000001
# bench smdp --url (another server): its companions, all checked before anything runs
X=(--server-pid 1 --pki "$T" --smdp-address smdp.example.org --matching-id 'AB-{n}')
usage --url bench smdp --url ftp://127.0.0.1:8000 "${X[@]}"
usage --url bench smdp --url "http://127.0.0.1:8000/?x" "${X[@]}"
# no host: not taken for "http://gsma/rsp2/..." once N eUICCs are issued
usage --url bench smdp --url http:// "${X[@]}"
usage --url bench smdp --url https:///gsma "${X[@]}"
usage --url bench smdp --url http://127.0.0.1:8000
usage --url bench smdp --url http://127.0.0.1:8000 --server-pid 1 --pki "$T" --smdp-address a.b
usage --pki bench smdp --pki "$T"
usage --server-pid bench smdp --server-pid 1 --plain-http
usage --server-pid bench smdp --url http://127.0.0.1:8000 --server-pid 0 --pki "$T"
usage --plain-http bench smdp --url http://127.0.0.1:8000 "${X[@]}" --plain-http
usage --server-threads bench smdp --url http://127.0.0.1:8000 "${X[@]}" --server-threads 2
usage --servers bench smdp --url http://127.0.0.1:8000 "${X[@]}" --servers 2
usage --crl bench smdp --url http://127.0.0.1:8000 "${X[@]}" --crl 5
usage --smdp-address bench smdp --url http://127.0.0.1:8000 --server-pid 1 --pki "$T" --smdp-address bad_name --matching-id A
usage --matching-id bench smdp --url http://127.0.0.1:8000 --server-pid 1 --pki "$T" --smdp-address a.b --matching-id "A B"
usage --matching-id bench smdp --url http://127.0.0.1:8000 --server-pid 1 --pki "$T" --smdp-address a.b --matching-id "$(printf 'A%.0s' {1..65})"
# a process that is not there: exit 1, nothing run
run bench smdp --url http://127.0.0.1:8000 --server-pid 2147483647 --pki "$T" --smdp-address a.b --matching-id A
if [[ $rc -eq 1 && "$err" == *"no process 2147483647"* ]]; then ok; else bad "bench smdp gone pid: rc=$rc $err"; fi
# a PKI directory without the EUM: exit 1 naming the file
run bench smdp --url http://127.0.0.1:8000 --server-pid $$ --pki "$T" --smdp-address a.b --matching-id A
if [[ $rc -eq 1 && "$err" == *"$T/eum/eum_key.pem"* ]]; then ok; else bad "bench smdp no EUM: rc=$rc $err"; fi

# bench smdp checks what the server sends as the eUICC does (serverSignature1, smdpSignature2,
# the bound profile package unwrapped whole): a proxy (lib/bench_mitm.py) in front of a real
# SM-DP+ changes one field of one answer, and the download fails naming it; through the same
# proxy changing nothing it passes (until session 57 nothing was checked, and a broken
# package counted as a complete download)
V7=${ORSP_VECTORS:?set ORSP_VECTORS}/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
served_device smdp.db
"$B" smdp profile generate --no-auc --config "$T/smdp.conf" --template "$V7" --iccid-start 898824700000090000 \
	--imsi-start 001019000009000 --count 4 >/dev/null 2>&1
n=0
for f in none serverSignature1 smdpSignature2 boundProfilePackage; do
	"$B" smdp order --config "$T/smdp.conf" --iccid "$(luhn 89882470000009000$n)" \
		--matching-id "${f^^}-0" --release >/dev/null
	n=$((n + 1))
done
smdp_start "$T/smdp.conf"
mitm=""
trap '[[ -n $mitm ]] && kill "$mitm" 2>/dev/null; smdp_stop' EXIT
for f in none serverSignature1 smdpSignature2 boundProfilePackage; do
	rm -f "$T/mitm.port"
	"$PY" "$(dirname "$0")/lib/bench_mitm.py" "http://127.0.0.1:$PORT" "$f" "$T/mitm.port" &
	mitm=$!
	wait_for 60 "the proxy to print its port" nonempty "$T/mitm.port"
	run bench smdp --url "http://127.0.0.1:$(cat "$T/mitm.port")" --server-pid "$server" \
		--pki "$T/pki" --smdp-address smdp.example.org --matching-id "${f^^}-{n}" --downloads 1 \
		--clients 1 --refused-requests 0
	kill "$mitm"
	wait "$mitm" 2>/dev/null || true
	mitm=""
	case $f in
	none) want="1 complete downloads" ;;
	boundProfilePackage) want="boundProfilePackage: BSP: C-MAC of segment 86" ;;
	*) want="$f does not verify" ;;
	esac
	if [[ ($f == none && $rc -eq 0 && "$out" == *"$want"*) || ($f != none && $rc -eq 1 && "$err" == *"client 0: $want"*) ]]; then ok; else bad "bench smdp through a proxy changing $f: rc=$rc $out $err"; fi
	# the server holds its /metrics figures 5 s (metrics_cache's default): the Installed
	# count is scraped again until it moves, no warning (until session 74 "do not show 1 more
	# profiles Installed (0 before, 0 after)")
	if [[ $f == none ]]; then lacks "bench smdp --url, metrics_cache 5: no warning" "warning" "$err"; fi
done
# a --server-pid process that ends during the load: its CPU time cannot be read at the end,
# which is said, exit 1 (until session 78 the server's CPU figures came out negative, exit 0)
"$B" smdp profile generate --no-auc --config "$T/smdp.conf" --template "$V7" --iccid-start 898824700000091000 \
	--imsi-start 001019000009100 --count 40 >/dev/null 2>&1
for ((k = 0; k < 40; k++)); do
	"$B" smdp order --config "$T/smdp.conf" --iccid "$(luhn "8988247000000910$(printf %02d $k)")" \
		--matching-id "GONE-$k" --release >/dev/null
done
seen=$(grep -c 'function=getBoundProfilePackage' "$T/serve.log" || true)
# the process named as the server's: gone after the load's first delivery, 39 downloads
# before its end (or after 60 s, when the test fails)
(for ((w = 0; w < 6000; w++)); do
	[[ $(grep -c 'function=getBoundProfilePackage' "$T/serve.log") -le $seen ]] || break
	sleep 0.01
done) &
gone=$!
run bench smdp --url "http://127.0.0.1:$PORT" --server-pid "$gone" \
	--pki "$T/pki" --smdp-address smdp.example.org --matching-id "GONE-{n}" --downloads 40 \
	--clients 1 --refused-requests 0
wait "$gone" 2>/dev/null || true
if [[ $rc -eq 1 && "$err" == *"process $gone ended during the load"* && "$out" != *"-0."* && "$out" != *" -"[1-9]* ]]; then ok; else bad "bench smdp, a server process gone during the load: rc=$rc $out $err"; fi
smdp_stop
trap - EXIT

# bench smdp --url on a brainpool PKI (pki init --curve brainpool) against a server on it: the
# eUICC keys on the EUM's curve and the one-time key on the DPpb's, as an eUICC makes them
# (until session 75 both on P-256: "subject and issuer keys on different curves (P-256,
# brainpoolP256r1)" before the first download). The crypto reference the ratios are taken to
# is on the PKI's curve too, which "curve" names (until session 76 always P-256, some 6 times
# cheaper, without the field); its figure is not checked against P-256's: timing is not tested
"$B" pki init "$T/bp" --curve brainpool --smdp-fqdn smdp.example.org >/dev/null
{
	printf '%s\n' "fqdn = smdp.example.org" "oid = 2.999.10" "port = 0" "plain_http = yes" \
		"database = bp.db"
	sed 's|pki/|bp/|' <(smdp_keyset_conf)
} >"$T/bp.conf"
"$B" smdp profile generate --no-auc --config "$T/bp.conf" --template "$V7" --iccid-start 898824700000080000 \
	--imsi-start 001019000008000 --count 20 >/dev/null 2>&1
for n in $(seq 0 19); do
	"$B" smdp order --config "$T/bp.conf" --iccid "$(luhn "$(printf '8988247000000800%02d' "$n")")" \
		--matching-id "BP-$n" --release >/dev/null
done
smdp_start "$T/bp.conf"
trap 'smdp_stop' EXIT
run bench smdp --url "http://127.0.0.1:$PORT" --server-pid "$server" --pki "$T/bp" \
	--smdp-address smdp.example.org --matching-id "BP-{n}" --downloads 20 --clients 1 --refused-requests 0 --json
if [[ $rc -eq 0 ]] && python3 - "$out" <<'EOF'; then ok; else bad "bench smdp --url on a brainpool PKI: rc=$rc $out $err"; fi
import json, sys
d = json.loads(sys.argv[1])
assert d["downloads"] == 20 and d["external"] is True, d
assert d["curve"] == "brainpoolP256r1", d
cpu = d["server_cpu_ms_per_download"]
for c, r in (("crypto_ms_per_download", "ratio"), ("crypto_cold_ms_per_download", "ratio_cold")):
    assert d[c] > 0, c
    assert abs(d[r] - cpu / d[c]) <= 0.01 + 0.01 * d[r], r
EOF
smdp_stop
trap - EXIT

# bench inventory: each of its four generate runs made and checked (the generate's own
# count), the figures positive, its directory removed (no timing asserted)
mkdir -p "$T/inv"
run bench inventory --count 3 --rounds 1 --dir "$T/inv" --json
if [[ $rc -eq 0 ]] && python3 - "$out" <<'EOF'; then ok; else bad "bench inventory --json: rc=$rc $out $err"; fi
import json, sys
d = json.loads(sys.argv[1])
assert d["count"] == 3 and d["rounds"] == 1 and d["batch"] == 256, d
runs = [(r["auc"], r["batch"]) for r in d["runs"]]
assert runs == [(False, 1), (False, 256), (True, 1), (True, 256)], runs
for r in d["runs"]:
    assert r["profiles_per_s"] > 0 and r["cpu_s_per_1000"] > 0 and r["wall_s"] > 0, r
    assert abs(r["profiles_per_s"] * r["wall_s"] - 3) < 1e-3, r
w = [r["wall_s"] for r in d["runs"]]
assert abs(d["speedup"] - w[0] / w[1]) < 1e-3 * d["speedup"], d
assert abs(d["speedup_auc"] - w[2] / w[3]) < 1e-3 * d["speedup_auc"], d
EOF
if [[ -z "$(ls -A "$T/inv")" ]]; then ok; else bad "bench inventory left: $(ls -A "$T/inv")"; fi
run bench inventory --count 2 --rounds 2 --batch 2 --dir "$T/inv"
if [[ $rc -eq 0 && "$out" == *"2 profiles per run, 2 interleaved rounds"* && "$out" == *"with --auc, --batch 2 "* &&
	"$out" == *"--batch 2 against --batch 1: "* ]]; then ok; else bad "bench inventory text: rc=$rc $out $err"; fi
usage --count bench inventory --count 0
usage --rounds bench inventory --rounds 16
usage --batch bench inventory --batch 1
usage --dir bench inventory --dir ''
# the default template not there: which data directory, and the ways out, as the demo says
ORSP_DATA_DIR=$T/nowhere failure "bench inventory: no default template in $T/nowhere, the data directory ORSP_DATA_DIR names: point it at the sources' data/, or give --template FILE" \
	bench inventory --dir "$T/inv"
usage --template bench inventory --template ''
usage extra bench inventory extra
run bench inventory --count 2 --template "$T/nosuch.der" --dir "$T/inv"
# why (until session 76 "not a regular file")
if [[ $rc -eq 1 && "$err" == "openrsp: $T/nosuch.der: No such file or directory" && -z "$(ls -A "$T/inv")" ]]; then ok; else bad "bench inventory, no template: rc=$rc $err"; fi
# a template generate refuses: its message, nothing left
run bench inventory --count 2 --template "$0" --dir "$T/inv"
if [[ $rc -eq 1 && "$err" == "openrsp: bench inventory: generate without --auc, --batch 1: openrsp: "* && -z "$(ls -A "$T/inv")" ]]; then ok; else bad "bench inventory, bad template: rc=$rc $err"; fi
# SIGTERM to the bench alone: its generate is stopped too, exit 1, nothing left
"$B" bench inventory --count 1000000 --dir "$T/inv" >/dev/null 2>"$T/inv.err" &
pid=$!
inv_db() { compgen -G "$T/inv/openrsp-bench-inventory.*/run*/smdp.db" >/dev/null; }
wait_for 120 "bench inventory's first database" inv_db
kill -TERM $pid
rc=0
wait $pid || rc=$?
if [[ $rc -eq 1 && "$(cat "$T/inv.err")" == *"stopped by a signal"* && -z "$(ls -A "$T/inv")" ]] &&
	! pgrep -f "generate --db $T/inv/" >/dev/null; then ok; else
	bad "bench inventory SIGTERM: rc=$rc $(cat "$T/inv.err"); left: $(ls -A "$T/inv")"
fi

# Its throw-away directory is removed under a TMPDIR holding a quote and a space too
odd="$T/it's x"
mkdir -p "$odd"
for cmd in "smdp --downloads 2 --clients 1 --refused-requests 0 --json" "e2e --cycles 1 --json"; do
	rc=0
	# shellcheck disable=SC2086 # the words of $cmd are the arguments
	TMPDIR=$odd "$B" bench $cmd >/dev/null 2>"$T/err" || rc=$?
	if [[ $rc -eq 0 && -z "$(ls -A "$odd")" && "$(cat "$T/err")" != *"could not remove"* ]]; then
		ok
	else
		bad "bench $cmd under TMPDIR=$odd: rc=$rc $(cat "$T/err"); left: $(ls -A "$odd")"
	fi
done

# A server that ends with an error at its stop (a sanitizer's report after the last request,
# as under `make test-tsan`; here tests/failexit.c preloaded) fails a run that went well
# otherwise: the bench gave its servers' exit status no look, and passed
if [[ -n "${ORSP_FAILEXIT_LIB:-}" ]]; then
	rc=0
	LD_PRELOAD=$ORSP_FAILEXIT_LIB ORSP_FAILEXIT=66 "$B" bench smdp --downloads 2 --clients 1 \
		--plain-http --refused-requests 0 >/dev/null 2>"$T/err" || rc=$?
	expect "a server ending with 66: rc" 1 "$rc"
	has "a server ending with 66: said" "exited with status 66 at its stop" "$(cat "$T/err")"
fi

# A signal stops a run and leaves nothing behind: SIGTERM while it runs (here: its refused
# requests, a million of them, long after the load) ends it with exit 1 saying so, its server
# stopped and its throw-away directory removed; and a bench killed outright (SIGKILL) takes
# its server with it (the directory it cannot remove then).
srv_of() { srv=$(pgrep -P "$1" -f "smdp serve" || true); [[ -n $srv ]]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
mkdir -p "$T/sig"
TMPDIR="$T/sig" "$B" bench smdp --downloads 4 --clients 1 --plain-http \
	--refused-requests 1000000 >/dev/null 2>"$T/sig.err" &
pid=$!
wait_for 120 "the bench's server" srv_of $pid
sleep 1
kill -TERM $pid
rc=0
wait $pid || rc=$?
if [[ $rc -eq 1 && "$(cat "$T/sig.err")" == *"stopped by a signal"* ]] && gone "$srv" &&
	[[ -z "$(ls -A "$T/sig")" ]]; then ok; else
	bad "bench smdp SIGTERM: rc=$rc $(cat "$T/sig.err"); left: $(ls -A "$T/sig")"
	kill "$srv" 2>/dev/null || true
fi
rm -rf "$T/sig"/*
TMPDIR="$T/sig" "$B" bench smdp --downloads 4 --clients 1 --plain-http \
	--refused-requests 1000000 >/dev/null 2>&1 &
pid=$!
wait_for 120 "the bench's server" srv_of $pid
kill -KILL $pid
wait $pid || true
end=$((SECONDS + 60))
until gone "$srv" || ((SECONDS >= end)); do sleep 0.05; done
if gone "$srv"; then ok; else
	bad "bench smdp SIGKILL left its server $srv running"
	kill "$srv" 2>/dev/null || true
fi
# bench e2e the same: SIGTERM while it prepares or runs its cycles, exit 1, nothing left
rm -rf "$T/sig"/*
e2e_dir() { compgen -G "$T/sig/openrsp-bench-e2e.*/euicc" >/dev/null; }
TMPDIR="$T/sig" "$B" bench e2e --cycles 2000 >/dev/null 2>"$T/sig.err" &
pid=$!
wait_for 120 "bench e2e's eUICC" e2e_dir
sleep 1
kill -TERM $pid
rc=0
wait $pid || rc=$?
if [[ $rc -eq 1 && "$(cat "$T/sig.err")" == *"stopped by a signal"* && -z "$(ls -A "$T/sig")" ]]; then
	ok
else
	bad "bench e2e SIGTERM: rc=$rc $(cat "$T/sig.err"); left: $(ls -A "$T/sig")"
fi

# bench bpp: --curve names the curves as pki and euicc do (nist, brainpool), p256 too
for c in nist p256 brainpool; do
	run bench bpp --curve "$c" --seconds 0.1 --json
	want=P-256
	[[ $c == brainpool ]] && want=brainpoolP256r1
	if [[ $rc -eq 0 ]] && python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["curve"] == sys.argv[2] and d["bpp_per_s"] > 0, d' "$out" "$want"; then ok; else bad "bench bpp --curve $c: rc=$rc $out $err"; fi
done
usage --curve bench bpp --curve ed25519 --seconds 0.1

# bench crl: each size's CRL issued, read and every verdict checked by the bench itself (a
# wrong one fails it); the figures positive, the sizes as asked, nothing left in TMPDIR
mkdir -p "$T/crl"
TMPDIR="$T/crl" run bench crl --entries 0,50 --seconds 0.05 --json
if [[ $rc -eq 0 ]] && python3 - "$out" <<'EOF'; then ok; else bad "bench crl --json: rc=$rc $out $err"; fi
import json, sys
d = json.loads(sys.argv[1])
assert d["rounds"] == 7 and d["seconds"] == 0.05, d
assert [s["entries"] for s in d["sizes"]] == [1, 51], d
for s in d["sizes"]:
    for k in ("file_bytes", "issue_s", "load_s", "first_check_s", "listed_per_s",
              "unlisted_per_s", "no_crl_per_s"):
        assert s[k] > 0, (k, s)
    assert s["bind_s"] >= 0 and isinstance(s["heap_bytes"], int), s
    # -1 only where /proc/self/clear_refs may not be written
    assert isinstance(s["load_peak_bytes"], int) and s["load_peak_bytes"] >= -1, s
# 50 entries of 16-octet serials more: at least 50 * 35 bytes more of DER
assert d["sizes"][1]["file_bytes"] - d["sizes"][0]["file_bytes"] >= 50 * 35, d
EOF
if [[ -z "$(ls -A "$T/crl")" ]]; then ok; else bad "bench crl left: $(ls -A "$T/crl")"; fi
TMPDIR="$T/crl" run bench crl --entries 3 --seconds 0.05
if [[ $rc -eq 0 && "$out" == *"N = 3: file "* && "$out" == *"resident size added at the load's peak "* &&
	"$out" == *"listed eUICC (revoked)"* &&
	"$out" == *"eUICC not listed"* && "$out" == *"no CRL held (baseline)"* ]]; then ok; else bad "bench crl text: rc=$rc $out $err"; fi
for v in '' 1,,2 ',' 1500001 -1 x 1,2,3,4,5,6,7,8,9; do
	usage --entries bench crl --entries "$v"
done
usage --seconds bench crl --seconds 0
usage extra bench crl extra
TMPDIR=$T/nosuch run bench crl --entries 1 --seconds 0.05
if [[ $rc -eq 1 && "$err" == *"$T/nosuch/openrsp-bench-crl."*"No such file or directory"* ]]; then ok; else bad "bench crl, no TMPDIR: rc=$rc $err"; fi

rm -rf "$T"
finish
