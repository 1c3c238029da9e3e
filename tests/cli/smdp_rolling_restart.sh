#!/usr/bin/env bash
# A rolling restart of `openrsp smdp serve` with `reuse_port = yes`: a second process started
# on the port of a running one shares it (the kernel deals new connections to both), the
# first is stopped with SIGTERM and exits 0, and the port never stops answering: a download
# before, one while both serve and one after the first stopped all end Installed, the last
# one's steps all on the second process (its own request log). A process without
# reuse_port cannot take the port meanwhile, and `reuse_port` takes only yes or no.
# docs/deploy.md ("A rolling restart").
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_rolling_restart.XXXXXX")
unset ORSP_KEK ORSP_LPA_EUICC ORSP_LPA_CA
# shellcheck source=SCRIPTDIR/lib/common.bash
. "$(dirname "$0")/lib/common.bash"
declare -A pid=()
cleanup() {
	local p
	for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pid[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

FQDN=smdp.example.org
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
conf() { # conf PORT [REUSE]: the configuration, on PORT, reuse_port REUSE (yes)
	echo "fqdn = $FQDN"
	echo "oid = 2.999.10"
	echo "port = $1"
	echo "reuse_port = ${2:-yes}"
	echo "plain_http = yes"
	echo "threads = 2"
	echo "database = smdp.db"
	smdp_keyset_conf
}
conf 0 >"$T/first.conf"
"$B" smdp profile generate --no-auc --db "$T/smdp.db" \
	--template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000002000 --imsi-start 001019000000100 --count 3 >/dev/null 2>"$T/generate.log"
mapfile -t ICCIDS < <("$B" smdp profile list --db "$T/smdp.db" --json |
	python3 -c 'import json,sys; [print(p["iccid"]) for p in json.load(sys.stdin)]')
[[ ${#ICCIDS[@]} -eq 3 ]] || {
	echo "FAIL: generated ${#ICCIDS[@]} profiles, want 3" >&2
	exit 1
}
declare -A AC=()
for i in "${ICCIDS[@]}"; do
	AC[$i]=$("$B" smdp order --config "$T/first.conf" --iccid "$i" --release)
done
"$B" euicc init --state "$T/euicc" --pki "$T/pki" >/dev/null

start_server() { # start_server NAME CONF: one more `smdp serve` process on the database
	: >"$T/$1.port"
	"$B" smdp serve --config "$2" >"$T/$1.port" 2>"$T/$1.log" &
	pid[$1]=$!
	wait_for 30 "server $1's port" nonempty "$T/$1.port"
}
download() { # download ICCID WHEN: one whole download through the shared port
	local rc=0 o
	o=$("$B" lpa profile download -a "${AC[$1]}" --server-url "http://127.0.0.1:$PORT" \
		--insecure --euicc "local:$T/euicc" 2>&1) || rc=$?
	if [[ $rc -eq 0 ]] && grep -q "^installed $1" <<<"$o"; then
		ok
	else
		bad "download $1 $2: rc=$rc $o"
	fi
}

start_server A "$T/first.conf"
PORT=$(cat "$T/A.port")
conf "$PORT" >"$T/second.conf"
download "${ICCIDS[0]}" "(A alone)"

# without reuse_port the port is refused at start, with the port named; A goes on
conf "$PORT" no >"$T/plain.conf"
rc=0
"$B" smdp serve --config "$T/plain.conf" >"$T/plain.out" 2>"$T/plain.log" || rc=$?
expect "a server without reuse_port on a shared port: exit" 1 "$rc"
has "the refusal names the port" "port $PORT" "$(cat "$T/plain.log")"
has "the refusal says why" "in use" "$(cat "$T/plain.log")"
expect "nothing on stdout" "" "$(cat "$T/plain.out")"

# --check binds the port as serve would: with reuse_port beside A (which has it too) it is
# free, without it in use (a warning, exit 0)
run smdp serve --config "$T/second.conf" --check
if [[ $rc -eq 0 && "$err" != *"in use"* ]]; then ok; else bad "--check with reuse_port beside A: rc=$rc $err"; fi
run smdp serve --config "$T/plain.conf" --check
if [[ $rc -eq 0 && "$err" == *"warning: 127.0.0.1:$PORT is in use now (by the running server?)"* ]]; then ok; else bad "--check without reuse_port beside A: rc=$rc $err"; fi

# a second server on A's port with another database (a typo in `database`): the kernel would
# deal devices and ES2+ calls between two inventories. Refused, by serve and by --check in
# the same words, exit 1: a database that does not exist is not created (nor its KEK file),
# and one that exists but no other process has open is not served there (until session 73
# the first was created, and both served)
refused_beside_a() { # refused_beside_a CONF WORDS: serve and --check refuse CONF, saying WORDS
	local src=0
	timeout 120 "$B" smdp serve --config "$1" >"$T/typo.out" 2>"$T/typo.log" || src=$?
	run smdp serve --config "$1" --check
	if [[ $src -eq 1 && $rc -eq 1 && ! -s "$T/typo.out" && -z "$out" && "$err" == "$(cat "$T/typo.log")" &&
		"$err" == *"another process serves 127.0.0.1:$PORT already (reuse_port = yes shares the port), $2"* ]]; then
		ok
	else
		bad "a server beside A on $1: rc=$src/$rc $(cat "$T/typo.out" "$T/typo.log") --check: $out $err"
	fi
}
sed "s|^database = .*|database = smpd.db|" "$T/second.conf" >"$T/typo.conf"
refused_beside_a "$T/typo.conf" "and the database $T/smpd.db does not exist: this start would create a new, empty inventory"
has "... and says how to create one" "to create a new inventory, stop the other server first or give this one another port" "$err"
if compgen -G "$T/smpd.db*" >/dev/null; then bad "a refused start made $(ls "$T"/smpd.db*)"; else ok; fi
"$B" smdp backup --db "$T/smdp.db" --out "$T/other.db" >/dev/null
cp "$T/smdp.db.kek" "$T/other.db.kek"
sed "s|^database = .*|database = other.db|" "$T/second.conf" >"$T/other.conf"
refused_beside_a "$T/other.conf" "but no other process has the database $T/other.db open: that process serves another database"
# the same on another port, or without the server on A's: served as before
sed "s|^port = .*|port = 0|" "$T/typo.conf" >"$T/typo0.conf"
run smdp serve --config "$T/typo0.conf" --check
if [[ $rc -eq 0 && "$err" == *"database $T/smpd.db: does not exist, \`serve\` would create the inventory"* ]]; then ok; else bad "--check, a new database on another port: rc=$rc $err"; fi

start_server B "$T/second.conf"
expect "B took A's port" "$PORT" "$(cat "$T/B.port")"
download "${ICCIDS[1]}" "(A and B)"

# the old process stops: SIGTERM, exit 0, the port still answers through B
kill -TERM "${pid[A]}"
rc=0
wait "${pid[A]}" || rc=$?
unset 'pid[A]'
expect "A's exit status after SIGTERM" 0 "$rc"
a_lines=$(wc -l <"$T/A.log")
b_before=$(grep -c "getBoundProfilePackage" "$T/B.log" || true)
download "${ICCIDS[2]}" "(B alone)"
b_after=$(grep -c "getBoundProfilePackage" "$T/B.log" || true)
expect "B served the last download's getBoundProfilePackage" $((b_before + 1)) "$b_after"
expect "A logged nothing more" "$a_lines" "$(wc -l <"$T/A.log")"
for i in "${ICCIDS[@]}"; do
	has "profile $i installed on the SM-DP+" " installed " \
		"$("$B" smdp profile list --db "$T/smdp.db" --iccid "$i")"
done

# reuse_port takes yes or no only, refused at its line
conf 0 maybe >"$T/bad.conf"
failure "reuse_port" smdp serve --config "$T/bad.conf"
has "the refusal names the line" "bad.conf:4" "$err"
has "the refusal says what is expected" "yes or no" "$err"

kill -TERM "${pid[B]}"
rc=0
wait "${pid[B]}" || rc=$?
unset 'pid[B]'
expect "B's exit status after SIGTERM" 0 "$rc"
finish
