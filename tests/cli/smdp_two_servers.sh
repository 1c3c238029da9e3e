#!/usr/bin/env bash
# Two `openrsp smdp serve` processes on one database file: downloads by the LPA and its
# software eUICC whose ES9+ steps alternate between the two processes (tests/cli/lib/
# two_servers.py relays them), both processes sending the ES2+ progress reports from the one
# outbox to an operator endpoint of this test, and one process killed with SIGKILL in the
# middle of a session that the other one then finishes. Checked: every download completes and
# its profile ends Installed on the SM-DP+ and on the eUICC; every step ran on the process the
# relay chose (the servers' own request logs); the operator accepted each expected report
# exactly once, in order per profile, although two were in flight at once, one was refused
# twice, both processes were sending, and both had read that report as due when they raced to
# claim it (a third writer holding the write lock made them); the outbox ends empty.
# docs/smdp-server.md ("Several processes on one database").
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_two_servers.XXXXXX")
unset ORSP_KEK ORSP_LPA_EUICC ORSP_LPA_CA
# shellcheck source=SCRIPTDIR/lib/common.bash
. "$(dirname "$0")/lib/common.bash"
HELPER=$(dirname "$0")/lib/two_servers.py
declare -A pid=() # A, B (the servers), relay, operator
cleanup() {
	local p
	for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pid[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

FQDN=smdp.example.org
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
# one configuration for both: port 0 lets each process take a free port and print it
{
	echo "fqdn = $FQDN"
	echo "oid = 2.999.10"
	echo "port = 0"
	echo "plain_http = yes"
	echo "threads = 2"
	echo "database = smdp.db"
	echo "callback_url = http://127.0.0.1:9" # the operator's port goes in below
	# the operator holds a report up to 3.4 s (lib/two_servers.py): room on a loaded machine
	echo "callback_timeout = 20"
	# one sender per process (4 by default): two reports in flight then come from two processes
	echo "callback_senders = 1"
	smdp_keyset_conf
} >"$T/smdp.conf"
"$B" smdp profile generate --no-auc --db "$T/smdp.db" \
	--template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000001000 --imsi-start 001019000000000 --count 6 >/dev/null
mapfile -t ICCIDS < <("$B" smdp profile list --db "$T/smdp.db" --json |
	"$PY" -c 'import json,sys; [print(p["iccid"]) for p in json.load(sys.stdin)]')
[[ ${#ICCIDS[@]} -eq 6 ]] || {
	echo "FAIL: generated ${#ICCIDS[@]} profiles, want 6" >&2
	exit 1
}
declare -A AC=()
for i in "${ICCIDS[@]}"; do
	AC[$i]=$("$B" smdp order --config "$T/smdp.conf" --iccid "$i" --release)
done

# the operator's endpoint first (its port goes into the configuration), then the servers
"$PY" "$HELPER" operator "$T/operator.port" "$T/reports.jsonl" --refuse "${ICCIDS[5]}:4:2" \
	2>"$T/operator.log" &
pid[operator]=$!
wait_for 30 "the operator endpoint's port" nonempty "$T/operator.port"
sed -i "s|^callback_url = .*|callback_url = http://127.0.0.1:$(cat "$T/operator.port")|" "$T/smdp.conf"
start_server() { # start_server NAME: one more `smdp serve` process on the database
	: >"$T/$1.port"
	"$B" smdp serve --config "$T/smdp.conf" >"$T/$1.port" 2>"$T/$1.log" &
	pid[$1]=$!
	wait_for 30 "server $1's port" nonempty "$T/$1.port"
}
start_server A
start_server B
backends() { # the relay's two servers, written whole
	echo "$(cat "$T/A.port") $(cat "$T/B.port")" >"$T/backends.tmp"
	mv "$T/backends.tmp" "$T/backends"
}
backends
"$PY" "$HELPER" relay "$T/relay.port" "$T/backends" "$T/relay.txt" --pair 4 \
	--hold getBoundProfilePackage:5 2>"$T/relay.log" &
pid[relay]=$!
wait_for 30 "the relay's port" nonempty "$T/relay.port"
RELAY=http://127.0.0.1:$(cat "$T/relay.port")

for e in 1 2; do "$B" euicc init --state "$T/euicc$e" --pki "$T/pki" >/dev/null; done
download() { # download EUICC ICCID: one whole download through the relay; output in $T/dl.ICCID
	local rc=0
	"$B" lpa profile download -a "${AC[$2]}" --server-url "$RELAY" --insecure \
		--euicc "local:$T/euicc$1" >"$T/dl.$2" 2>&1 || rc=$?
	echo "rc=$rc" >>"$T/dl.$2"
}
installed() { # installed ICCID WHEN: the download of ICCID ended installed
	if grep -q "^installed $1" "$T/dl.$1" && grep -q '^rc=0$' "$T/dl.$1"; then
		ok
	else
		bad "download $1 $2: $(cat "$T/dl.$1")"
	fi
}

# ----- sessions 1-4: two eUICCs at once, two downloads each; every session alternates
# A/B/A/B or B/A/B/A; the relay lets their getBoundProfilePackage go on in pairs, so two
# reports are queued together and both processes' senders have one to send -----
(
	download 1 "${ICCIDS[0]}"
	download 1 "${ICCIDS[1]}"
) &
l1=$!
(
	download 2 "${ICCIDS[2]}"
	download 2 "${ICCIDS[3]}"
) &
l2=$!
wait "$l1" "$l2"
for i in "${ICCIDS[@]:0:4}"; do installed "$i" "(sessions 1-4)"; done

# reports accepted by the operator (answer 200), one "ICCID:point" line each
accepted() { "$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["answer"] == 200:
        print("%s:%s" % (r["iccid"], r["point"]))' "$T/reports.jsonl" 2>/dev/null | sort; }
n_accepted() { [[ $(accepted | wc -l) -ge $1 ]]; }
# nothing left in the outbox: every report delivered, none pending or given up
outbox_done() {
	"$B" smdp reports --db "$T/smdp.db" --json 2>/dev/null | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
done = len(r) == int(sys.argv[1]) and all(x["delivery"] == "delivered" for x in r)
sys.exit(0 if done else 1)' "$1"
}

# ----- session 5: the relay holds its getBoundProfilePackage, meant for the process that
# served its initiateAuthentication; that process is killed with SIGKILL, and the other one
# serves the rest of the session. Killed only once the outbox is empty: a process killed
# while it holds a report's lease leaves that report to the other after the 60 s lease -----
download 1 "${ICCIDS[4]}" &
l1=$!
wait_for 30 "the relay holding session 5's getBoundProfilePackage" nonempty "$T/relay.txt.held"
victim=$(cat "$T/relay.txt.held")
wait_for 40 "the 8 reports of sessions 1-4" n_accepted 8
wait_for 30 "an empty outbox before the kill" outbox_done 8
kill -KILL "${pid[$victim]}"
rc=0
wait "${pid[$victim]}" 2>/dev/null || rc=$?
unset "pid[$victim]"
if [[ $rc -eq 137 ]]; then ok; else bad "server $victim killed: exit status $rc"; fi
: >"$T/relay.txt.go"
wait "$l1"
installed "${ICCIDS[4]}" "after the kill"
# the killed process restarted (another port), back in the relay's rotation
mv "$T/$victim.log" "$T/$victim-killed.log"
start_server "$victim"
backends

# ----- session 6: alternating between the survivor and the restarted process. The operator
# refuses its installation report twice; while it waits for its third attempt, a third
# writer holds the database's write lock until both processes' senders have read it as due
# and wait to claim it: only the conditional claim keeps them from both sending it -----
"$PY" "$HELPER" race "$T/smdp.db" "${ICCIDS[5]}" 4 2 2>"$T/race.log" &
pid[race]=$!
download 2 "${ICCIDS[5]}"
installed "${ICCIDS[5]}" "after the restart"
rc=0
wait "${pid[race]}" || rc=$?
unset "pid[race]"
if [[ $rc -eq 0 ]]; then ok; else bad "the claim race was not set up: $(cat "$T/race.log")"; fi

# ----- the SM-DP+ and the eUICCs: six profiles Installed, each on one eUICC once -----
states=$("$B" smdp profile list --db "$T/smdp.db" --json | "$PY" -c '
import json, sys
print(" ".join(sorted("%s:%s" % (p["iccid"], p["state"]) for p in json.load(sys.stdin))))')
want=$(for i in "${ICCIDS[@]}"; do echo "$i:installed"; done | sort | tr '\n' ' ')
expect "profiles on the SM-DP+" "${want% }" "$states"
on_euicc=$(for e in 1 2; do
	"$B" lpa profile list --euicc "local:$T/euicc$e" --json | "$PY" -c '
import json, sys
[print(p["iccid"]) for p in json.load(sys.stdin)["payload"]["data"]]'
done | sort | tr '\n' ' ')
expect "profiles on the eUICCs" "$(printf '%s\n' "${ICCIDS[@]}" | sort | tr '\n' ' ')" "$on_euicc"

# ----- each step on the process the relay chose, by the servers' own logs -----
# "function tid server" from the request log lines of every process (A-killed is the first A)
served() {
	local f
	for f in "$T"/[AB].log "$T"/[AB]-killed.log; do
		[[ -e "$f" ]] || continue
		local who=${f##*/}
		who=${who%.log}
		sed -n "s/^openrsp smdp: es9+ function=\([A-Za-z]*\) tid=\([0-9A-F]*\) .*/\1 \2 $who/p" "$f"
	done
}
served >"$T/served"
# relay.txt: "session step function server(s) status tid"; initiateAuthentication's tid is in
# its answer, so it is read from the server that gave it
bad_steps=$("$PY" -c '
import sys
served = {}
for l in open(sys.argv[1]):
    f, tid, who = l.split()
    served.setdefault((f, tid), []).append(who)
tids = {}
for l in open(sys.argv[2]):
    n, k, f, via, st, tid = l.split()
    if f != "initiateAuthentication":
        tids[n] = tid
errors, starts = [], set()
for l in open(sys.argv[2]):
    n, k, f, via, st, tid = l.split()
    tid = tids.get(n, "-")
    want = via[-1]
    got = served.get((f, tid), [])
    # a killed-and-restarted process is still itself
    if [g[0] for g in got] != [want] or st not in ("200", "204"):
        errors.append("session %s %s: relay sent it to %s (%s), served by %s"
                      % (n, f, via, st, got))
    if k == "0":
        starts.add(want)
print("; ".join(errors) if errors else "ok", "starts=" + "".join(sorted(starts)))
' "$T/served" "$T/relay.txt")
expect "every step served where the relay sent it, sessions starting on both" "ok starts=AB" \
	"$bad_steps"
steps=$(awk '{ print $1 ":" $3 ":" $4 }' "$T/relay.txt" | sort -t: -k1,1n -k2 | tr '\n' ' ')
for n in 1 2 3 4 6; do
	first=$([[ $((n % 2)) -eq 1 ]] && echo B || echo A)
	second=$([[ $first == A ]] && echo B || echo A)
	for f in initiateAuthentication:$first authenticateClient:$second \
		getBoundProfilePackage:$first handleNotification:$second; do
		has "session $n alternates" " $n:$f " " $steps"
	done
done
# session 5: initiateAuthentication on the victim, the rest on the survivor (the held
# getBoundProfilePackage switched over when the victim refused the connection)
survivor=$([[ $victim == A ]] && echo B || echo A)
for f in "initiateAuthentication:$victim" "authenticateClient:$survivor" \
	"getBoundProfilePackage:$victim>$survivor" "handleNotification:$survivor"; do
	has "session 5 after the kill" " 5:$f " " $steps"
done

# ----- the operator: each report accepted exactly once, both processes sending -----
wait_for 40 "all 12 reports" n_accepted 12
wait_for 30 "an empty outbox" outbox_done 12
for i in "${ICCIDS[@]}"; do printf '%s:3\n%s:4\n' "$i" "$i"; done | sort >"$T/want"
accepted >"$T/accepted"
expect "reports accepted twice or more" "" "$(uniq -d "$T/accepted" | tr '\n' ' ')"
expect "reports never accepted" "" "$(comm -23 "$T/want" "$T/accepted" | tr '\n' ' ')"
expect "reports accepted that no download made" "" \
	"$(comm -13 "$T/want" <(sort -u "$T/accepted") | tr '\n' ' ')"
# the reports of one profile in order: the BPP download (3) before its installation (4)
expect "reports of one profile out of order" "" "$("$PY" -c '
import json, sys
seen = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["answer"] == 200:
        seen.setdefault(r["iccid"], []).append(r["point"])
print(" ".join(i for i, p in seen.items() if p != sorted(p)))' "$T/reports.jsonl")"
# the refused report came again (from either process) and was then accepted once
refused=$(grep -c '"answer": 500' "$T/reports.jsonl" || true)
expect "the report refused twice" 2 "$refused"
logs=("$T"/[AB].log "$T"/[AB]-killed.log)
expect "refusals logged" 2 "$(cat "${logs[@]}" | grep -c "(ICCID ${ICCIDS[5]}, point 4) not delivered")"
if grep -q '"concurrent": true' "$T/reports.jsonl"; then ok; else bad "never two reports in flight"; fi
# every delivery logged by exactly one process, each outbox row once; both processes sent
delivered=$(cat "${logs[@]}" | sed -n 's/^openrsp smdp: progress report \([0-9]*\) .* delivered$/\1/p' | sort)
expect "deliveries logged, each row once" 12 "$(sort -u <<<"$delivered" | wc -l)"
expect "deliveries logged in all" 12 "$(wc -l <<<"$delivered")"
senders=0
for f in "$T"/A*.log "$T"/B*.log; do grep -q ' delivered$' "$f" && senders=$((senders + 1)); done
if ((senders >= 2)); then ok; else bad "only $senders process(es) delivered reports"; fi
# SIGTERM: both stop cleanly
for s in A B; do
	kill -TERM "${pid[$s]}"
	rc=0
	wait "${pid[$s]}" || rc=$?
	unset "pid[$s]"
	if [[ $rc -eq 0 ]]; then ok; else bad "server $s after SIGTERM: exit status $rc"; fi
done

finish
