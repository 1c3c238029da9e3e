#!/usr/bin/env bash
# The SM-DP+ with its DPauth and DPpb keys in a PKCS#11 token (SoftHSM 2, a throw-away token
# directory): the key files of `pki init` imported into the token and deleted, the
# configuration naming the keys by RFC 7512 URIs, then a whole download by the LPA and its
# software eUICC (which checks serverSignature1, smdpSignature2 and the BPP's smdpSign, all
# made in the token). Refused at start, one line each, no PIN in what is said: a wrong PIN,
# a PIN file others can read, a PIN in a configuration file others can read, a key the token
# does not hold, a token key that is not the certificate's. GET /health while DPauth's key is
# deleted from the token, the token hangs, and the key is back. docs/crypto.md, docs/deploy.md.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_pkcs11.XXXXXX")
unset ORSP_KEK ORSP_LPA_EUICC ORSP_LPA_CA
# shellcheck source=SCRIPTDIR/lib/common.bash
. "$(dirname "$0")/lib/common.bash"
server=
cleanup() {
	[[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

MOD=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
	/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so; do
	[[ -r "$m" ]] && MOD=$m && break
done
if [[ -z "$MOD" ]] || ! command -v softhsm2-util >/dev/null; then
	echo "FAIL: SoftHSM 2 is missing (apt-get install softhsm2; scripts/setup.sh installs it)" >&2
	exit 1
fi
PIN=tok-9731-pin
mkdir "$T/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
softhsm2-util --init-token --free --label openrsp-smdp --pin "$PIN" --so-pin 55443322 >/dev/null

FQDN=smdp.example.org
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
softhsm2-util --import "$T/pki/smdp/dpauth_key.pem" --token openrsp-smdp --label dpauth --id 01 \
	--pin "$PIN" >/dev/null
softhsm2-util --import "$T/pki/smdp/dppb_key.pem" --token openrsp-smdp --label dppb --id 02 \
	--pin "$PIN" >/dev/null
# the keys now live in the token only (a copy of DPauth's kept aside: /health below deletes it
# from the token and imports it again)
cp "$T/pki/smdp/dpauth_key.pem" "$T/dpauth_key.keep"
rm "$T/pki/smdp/dpauth_key.pem" "$T/pki/smdp/dppb_key.pem"
printf '%s\n' "$PIN" >"$T/pin"
chmod 600 "$T/pin"

# conf FILE DPAUTH_URI DPPB_URI
conf() {
	{
		echo "fqdn = $FQDN"
		echo "oid = 2.999.10"
		echo "port = 0"
		echo "plain_http = yes"
		echo "database = smdp.db"
		echo "[keyset]"
		echo "ci = pki/ci/ci.der"
		echo "dpauth_cert = pki/smdp/dpauth.der"
		echo "dpauth_key = $2"
		echo "dppb_cert = pki/smdp/dppb.der"
		echo "dppb_key = $3"
	} >"$1"
	chmod 600 "$1"
}
key() { # key LABEL [QUERY]: the URI of a key in the token
	echo "pkcs11:token=openrsp-smdp;object=$1?module-path=$MOD&${2:-pin-source=$T/pin}"
}
conf "$T/smdp.conf" "$(key dpauth)" "$(key dppb)"

# one_order NAME N: one profile generated into $T/NAME.db (ICCIDs and IMSIs from block N),
# ordered through $T/NAME.conf and released: its ICCID in $ICCID, the activation code in $AC
one_order() {
	"$B" smdp profile generate --no-auc --db "$T/$1.db" \
		--template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
		--iccid-start "89882470000000${2}000" --imsi-start "00101900000${2}000" --count 1 \
		>/dev/null 2>&1
	ICCID=$("$B" smdp profile list --db "$T/$1.db" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["iccid"])')
	run smdp order --config "$T/$1.conf" --iccid "$ICCID" --release
	expect "order through $1.conf, token keys in it ($err)" 0 "$rc"
	AC=$out
}
one_order smdp 1

# serve CONF LOG: start `smdp serve` (its pid in $server), its port in $PORT; a server that
# does not start ends the test
serve() {
	: >"$T/port"
	"$B" smdp serve --config "$1" >"$T/port" 2>"$2" &
	server=$!
	for _ in $(seq 2400); do
		[[ -s "$T/port" ]] && break
		kill -0 "$server" 2>/dev/null || break
		sleep 0.05
	done
	PORT=$(head -1 "$T/port")
	if [[ ! "$PORT" =~ ^[0-9]+$ ]]; then
		bad "the server did not start: $(cat "$2")"
		finish
	fi
	ok
}
serve "$T/smdp.conf" "$T/serve.log"

"$B" euicc init --state "$T/dev" --pki "$T/pki" >/dev/null
run lpa profile download -a "$AC" --server-url "http://127.0.0.1:$PORT" --insecure \
	--euicc "local:$T/dev"
expect "download signed by the token: rc ($err)" 0 "$rc"
has "installed" "installed $ICCID" "$out"
run smdp profile list --db "$T/smdp.db" --json
expect "the SM-DP+ has it installed" installed \
	"$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])' <<<"$out")"
# /health probes the keys in the token (a test signature each, at most once per 5 s): DPauth's
# key deleted from the token while serving (every download a 500), it answers 503 naming the
# key, and 200 again once the key is imported again (session 77: it answered 200 throughout)
command -v pkcs11-tool >/dev/null || {
	bad "pkcs11-tool is missing (apt-get install opensc; scripts/setup.sh installs it)"
	finish
}
health() { # health: /health's status; its body in $T/health.body
	curl -sS -o "$T/health.body" -w '%{http_code}' "http://127.0.0.1:$PORT/health" 2>&1 || true
}
health_until() { # health_until STATUS: /health polled until it answers STATUS (10 s at most)
	local code
	for _ in $(seq 100); do
		code=$(health)
		[[ "$code" == "$1" ]] && break
		sleep 0.1
	done
	echo "$code"
}
expect "/health, the keys in the token" 200 "$(health)"
for t in privkey pubkey; do
	pkcs11-tool --module "$MOD" --token-label openrsp-smdp --login --pin "$PIN" --delete-object \
		--type $t --id 01 >/dev/null 2>&1
done
expect "/health, DPauth's key deleted from the token" 503 "$(health_until 503)"
expect "/health says which key" "signing key unavailable: dpauth_key" "$(cat "$T/health.body")"
has "the log line of /health says what the token said" "CKR_" \
	"$(grep 'function=health.*signing key unavailable' "$T/serve.log" | tail -1)"
softhsm2-util --import "$T/dpauth_key.keep" --token openrsp-smdp --label dpauth --id 01 \
	--pin "$PIN" >/dev/null
# the key back, but the token hanging: SoftHSM waits for the lock of its files, held here by
# another process, so the next probe's signature waits; /health answers 503 after 2 s, not
# when the token answers, and 200 once it does
"$PY" - "$T/tokens" >"$T/locked" <<'PYEOF' &
import fcntl, glob, os, sys, time
fds = [os.open(f, os.O_RDWR) for f in glob.glob(sys.argv[1] + '/*/*')]
for fd in fds:
	fcntl.lockf(fd, fcntl.LOCK_EX)
print(len(fds), flush=True)
time.sleep(60)
PYEOF
locker=$!
for _ in $(seq 100); do [[ -s "$T/locked" ]] && break; sleep 0.05; done
# the last probe's result (the key deleted) is reused up to 5 s: polled until a check waits
for _ in $(seq 50); do
	t0=$(date +%s%N)
	code=$(health)
	ms=$((($(date +%s%N) - t0) / 1000000))
	((ms >= 1500)) && break
	sleep 0.2
done
expect "/health, the token hanging" 503 "$code"
expect "/health says which key (hanging)" "signing key unavailable: dpauth_key" "$(cat "$T/health.body")"
if ((ms >= 1900 && ms < 4000)); then ok; else bad "/health waited ${ms} ms for a token that hangs"; fi
for _ in $(seq 20); do
	grep -q 'error=dpauth_key: no test signature from the token within 2000 ms' "$T/serve.log" && break
	sleep 0.05
done
has "the log line of /health says the token did not answer" "no test signature from the token" \
	"$(grep 'function=health' "$T/serve.log" | tail -1)"
kill "$locker"
wait "$locker" 2>/dev/null || true
expect "/health, DPauth's key imported again and the token answering" 200 "$(health_until 200)"
expect "/health: ok" ok "$(cat "$T/health.body")"
"$B" smdp profile generate --no-auc --db "$T/smdp.db" \
	--template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000005000 --imsi-start 001019000005000 --count 1 >/dev/null 2>&1
ICCID=$("$B" smdp profile list --db "$T/smdp.db" --state available --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["iccid"])')
run smdp order --config "$T/smdp.conf" --iccid "$ICCID" --release
expect "a second order ($err)" 0 "$rc"
run lpa profile download -a "$out" --server-url "http://127.0.0.1:$PORT" --insecure \
	--euicc "local:$T/dev"
expect "a download once the key is back: rc ($err)" 0 "$rc"
has "installed, once the key is back" "installed $ICCID" "$out"
stop_checked "$server" "smdp serve" "$T/serve.log"
server=
lacks "no PIN in the server's log" "$PIN" "$(cat "$T/serve.log")"

# a URI's scheme has no case: PKCS11: is a token key too (it was taken for a file's name, and
# the error that it is missing echoed it, pin-value and all); a value with a pin-value that is
# no URI is refused without being echoed
conf "$T/upper.conf" "$(key dpauth | sed 's/^pkcs11:/PKCS11:/')" "$(key dppb)"
run smdp serve --config "$T/upper.conf" --check
expect "PKCS11: in capitals, a token key ($err)" 0 "$rc"
conf "$T/typo.conf" "pkcs#11:token=openrsp-smdp;object=dpauth?pin-value=TYPO-S3CRET" "$(key dppb)"
run smdp serve --config "$T/typo.conf" --check
expect "a mistyped URI with a PIN: rc" 1 "$rc"
has "a mistyped URI with a PIN: why" 'dpauth_key: holds "pin-value=", so it is not echoed' "$err"
lacks "a mistyped URI with a PIN: not echoed" "TYPO-S3CRET" "$err$out"

# keys made in the token (here: imported from files deleted at once), certificates issued
# for them by `pki smdp --dpauth-key/--dppb-key` (no key file written), then a second SM-DP+
# with them: the same eUICC downloads from it, so the certificates are those of the keys
id=20
for l in dpauth2 dppb2; do
	id=$((id + 1))
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$l.pem" 2>/dev/null
	softhsm2-util --import "$T/$l.pem" --token openrsp-smdp --label $l --id $id --pin "$PIN" >/dev/null
	rm "$T/$l.pem"
done
run pki smdp "$T/pki2" --ci "$T/pki" --smdp-fqdn smdp2.example.org --smdp-oid 2.999.11 \
	--dpauth-key "$(key dpauth2)" --dppb-key "$(key dppb2)"
expect "pki smdp with token keys ($err)" 0 "$rc"
has "pki smdp says where DPauth's key is" "dpauth.pem (its key in the PKCS#11 token)" "$out"
if [[ -e "$T/pki2/smdp/dpauth_key.pem" || -e "$T/pki2/smdp/dppb_key.pem" || ! -e "$T/pki2/smdp/dptls_key.pem" ]]; then
	bad "pki smdp wrote a key file for a token key (or none for DPtls): $(ls "$T/pki2/smdp")"
else ok; fi
usage --dpauth-key pki smdp "$T/pki3" --ci "$T/pki" --smdp-fqdn a.example.org --smdp-oid 2.999.12 \
	--dpauth-key "$T/pki/smdp/dpauth_key.pem"
usage --dppb-key pki smdp "$T/pki3" --ci "$T/pki" --smdp-fqdn a.example.org --smdp-oid 2.999.12 \
	--dppb-key "$(key dppb2 "pin-value=$PIN")"
lacks "pki smdp: a PIN on the command line not said" "$PIN" "$err"
# and not left in the command line while it is refused (a full stderr blocks the message: ps
# showed the PIN meanwhile), nor when the options stop before it
hidden_while_said "pki smdp --dppb-key with a pin-value" "$PIN" pki smdp "$T/pki3" --ci "$T/pki" \
	--smdp-fqdn a.example.org --smdp-oid 2.999.12 --dppb-key "$(key dppb2 "pin-value=$PIN")"
hidden_while_said "pki smdp --dpauth-key= with a spaced pin-value" "$PIN" pki smdp "$T/pki3" \
	--ci "$T/pki" --dpauth-key="$(key dpauth2 "pin-value =$PIN")"
hidden_while_said "pki smdp, a usage error before --dpauth-key" "$PIN" pki smdp "$T/pki3" --frob \
	--dpauth-key "$(key dpauth2 "pin-value=$PIN")"
# one token key for both roles: refused, nothing left
failure "the two roles need two keys" pki smdp "$T/pki3" --ci "$T/pki" --smdp-fqdn a.example.org \
	--smdp-oid 2.999.12 --dpauth-key "$(key dpauth2)" --dppb-key "$(key dpauth2)"
if [[ -e "$T/pki3/smdp/dpauth.der" ]]; then bad "a refused pki smdp (one key, two roles) left a certificate"; else ok; fi
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 -out "$T/bp.pem" 2>/dev/null
softhsm2-util --import "$T/bp.pem" --token openrsp-smdp --label bp --id 0b0b --pin "$PIN" >/dev/null
rm "$T/bp.pem"
failure "the token's key is on brainpoolP256r1, the CI on P-256" pki smdp "$T/pki3" --ci "$T/pki" \
	--smdp-fqdn a.example.org --smdp-oid 2.999.12 --dpauth-key "$(key bp)"
if [[ -e "$T/pki3/smdp/dpauth.der" ]]; then bad "a refused pki smdp left a certificate"; else ok; fi
{
	echo "fqdn = smdp2.example.org"
	echo "oid = 2.999.11"
	echo "port = 0"
	echo "plain_http = yes"
	echo "database = smdp2.db"
	echo "[keyset]"
	echo "ci = pki/ci/ci.der"
	echo "dpauth_cert = pki2/smdp/dpauth.der"
	echo "dpauth_key = $(key dpauth2)"
	echo "dppb_cert = pki2/smdp/dppb.der"
	echo "dppb_key = $(key dppb2)"
} >"$T/smdp2.conf"
chmod 600 "$T/smdp2.conf"
one_order smdp2 2
ICCID2=$ICCID AC2=$AC
serve "$T/smdp2.conf" "$T/serve2.log"
run lpa profile download -a "$AC2" --server-url "http://127.0.0.1:$PORT" --insecure \
	--euicc "local:$T/dev"
expect "download from the SM-DP+ whose certificates pki smdp issued for token keys ($err)" 0 "$rc"
has "installed (second SM-DP+)" "installed $ICCID2" "$out"
stop_checked "$server" "smdp serve" "$T/serve2.log"
server=

# HTTPS with the DPtls key in the token too: a download by the LPA over TLS (which checks
# the DPtls certificate against the CI), and TLS 1.2 and 1.3 handshakes by curl
softhsm2-util --import "$T/pki/smdp/dptls_key.pem" --token openrsp-smdp --label dptls --id 03 \
	--pin "$PIN" >/dev/null
rm "$T/pki/smdp/dptls_key.pem"
tls_conf() { # tls_conf FILE TLS_KEY_URI
	{
		echo "fqdn = $FQDN"
		echo "oid = 2.999.10"
		echo "port = 0"
		echo "database = smdp3.db"
		echo "tls_cert = pki/smdp/dptls.pem"
		echo "tls_key = $2"
		echo "[keyset]"
		echo "ci = pki/ci/ci.der"
		echo "dpauth_cert = pki/smdp/dpauth.der"
		echo "dpauth_key = $(key dpauth)"
		echo "dppb_cert = pki/smdp/dppb.der"
		echo "dppb_key = $(key dppb)"
	} >"$1"
	chmod 600 "$1"
}
tls_conf "$T/smdp3.conf" "$(key dptls)"
one_order smdp3 3
ICCID3=$ICCID AC3=$AC
serve "$T/smdp3.conf" "$T/serve3.log"
run lpa profile download -a "$AC3" --server-url "https://127.0.0.1:$PORT" --ca "$T/pki/ci/ci.pem" \
	--euicc "local:$T/dev"
expect "download over HTTPS, every SM-DP+ key in the token ($err)" 0 "$rc"
has "installed (HTTPS)" "installed $ICCID3" "$out"
for v in 1.2 1.3; do
	code=$(curl -sS -o /dev/null -w '%{http_code}' --tlsv$v --tls-max $v --cacert "$T/pki/ci/ci.pem" \
		--resolve "$FQDN:$PORT:127.0.0.1" "https://$FQDN:$PORT/metrics" 2>"$T/curl.err") || code="curl failed: $(cat "$T/curl.err")"
	expect "TLS $v handshake signed by the token, /metrics" 200 "$code"
done
stop_checked "$server" "smdp serve" "$T/serve3.log"
server=
lacks "no PIN in the HTTPS server's log" "$PIN" "$(cat "$T/serve3.log")"
tls_conf "$T/bad.conf" "$(key bp)"
run smdp serve --config "$T/bad.conf"
if [[ $rc -eq 1 && "$err" == *"tls_key: a DPtls key in a PKCS#11 token must be on P-256"* ]]; then ok; else bad "a brainpool DPtls key in a token: rc=$rc $err"; fi
tls_conf "$T/bad.conf" "$(key dpauth)"
run smdp serve --config "$T/bad.conf"
if [[ $rc -eq 1 && "$err" == *"tls_key: does not belong to tls_cert"* ]]; then ok; else bad "another key as DPtls: rc=$rc $err"; fi

# ----- KEK files sealed by an AES key made in the token (pkcs11-tool), for the SM-DP+ and the
# AuC: kek seal / info / unseal, every verb opening the sealed file through the token, rekey
# sealing the new KEK under the same key, a changed file and a refused token refused -----
command -v pkcs11-tool >/dev/null || {
	bad "pkcs11-tool is missing (apt-get install opensc; scripts/setup.sh installs it)"
	finish
}
pkcs11-tool --module "$MOD" --token-label openrsp-smdp --login --pin "$PIN" --keygen \
	--key-type AES:32 --label kekwrap --id 30 >/dev/null 2>&1
KURI=$(key kekwrap)
K1=$T/smdp.db.kek
cp "$K1" "$T/kek.clear"
run kek info --kek-file "$K1"
has "kek info: not sealed" "not sealed" "$out"
usage --pkcs11 kek seal --kek-file "$K1"
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "$(key kekwrap "pin-value=$PIN")"
# white space the URI's parser drops does not hide a PIN
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "$(key kekwrap "pin-value =$PIN")"
lacks "kek seal, a spaced pin-value: the value not said" "$PIN" "$err"
usage --kek-file kek seal --pkcs11 "$KURI"
# an option given twice or where it does not belong is named, never its value
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "$KURI" --pkcs11 "$(key kekwrap "pin-value=$PIN")"
lacks "kek seal --pkcs11 twice: the value not said" "$PIN" "$err"
usage --pkcs11 kek unseal --kek-file "$K1" --pkcs11 "$(key kekwrap "pin-value=$PIN")"
lacks "kek unseal --pkcs11: the value not said" "$PIN" "$err"
# and not left in the command line while it is refused (a full stderr blocks the message: ps
# showed the PIN meanwhile), nor when the options stop before it or it does not belong
hidden_while_said "kek seal --pkcs11 with a pin-value" "$PIN" kek seal --kek-file "$K1" \
	--pkcs11 "$(key kekwrap "pin-value=$PIN")"
hidden_while_said "kek seal --pkcs11= with a spaced pin-value" "$PIN" kek seal --kek-file "$K1" \
	--pkcs11="$(key kekwrap "pin-value =$PIN")"
hidden_while_said "kek seal, a usage error before --pkcs11" "$PIN" kek seal --frob \
	--pkcs11 "$(key kekwrap "pin-value=$PIN")"
hidden_while_said "kek unseal --pkcs11" "$PIN" kek unseal --kek-file "$K1" \
	--pkcs11 "$(key kekwrap "pin-value=$PIN")"
usage --kek-file kek info --kek-file "$K1" --kek-file "$K1"
# an empty --kek-file (a script's unset variable), a --pkcs11 that is no PKCS#11 URI
usage --kek-file kek info --kek-file ""
expect "kek info --kek-file '': said" "openrsp: --kek-file: empty path" "$err"
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "file:$T/kek.clear"
expect "kek seal --pkcs11 file:: said" "openrsp: --pkcs11: expected a PKCS#11 URI (pkcs11:...)" "$err"
# what the URI shows without the token is a usage error too, as in a configuration (it was
# exit 1 after a look for the module until session 77): no module-path, a private key's type,
# no key named
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "pkcs11:token=openrsp-smdp;object=kekwrap?pin-source=$T/pin"
has "kek seal without module-path: said" "needs the module's absolute path" "$err"
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "$(key "kekwrap;type=private")"
has "kek seal type=private: said" "not a secret key (type=secret-key, or no type)" "$err"
usage --pkcs11 kek seal --kek-file "$K1" --pkcs11 "pkcs11:token=openrsp-smdp?module-path=$MOD&pin-source=$T/pin"
has "kek seal, no key named: said" "name the key (object=LABEL or id=ID)" "$err"
ORSP_KEK=$(od -An -tx1 "$T/kek.clear" | tr -d ' \n') run kek seal --kek-file "$K1" --pkcs11 "$KURI"
expect "kek seal with ORSP_KEK set: usage" 2 "$rc"
failure "no AES secret key" kek seal --kek-file "$K1" --pkcs11 "$(key dpauth)"
if cmp -s "$K1" "$T/kek.clear"; then ok; else bad "a refused seal changed the KEK file"; fi
exec 3<"$K1" # the clear file, read again once the sealed one has replaced it
# the scheme in capitals (a URI's scheme has no case): written "pkcs11:", which the file's
# reader takes (it was written as given, and the sealed file read by nothing)
run kek seal --kek-file "$K1" --pkcs11 "PKCS11:${KURI#pkcs11:}"
expect "kek seal ($err)" 0 "$rc"
if [[ "$(od -An -v -tx1 <&3 | tr -d ' \n')" == "$(printf '0%.0s' {1..64})" ]]; then ok; else
	bad "kek seal: the old clear file is not 32 zero bytes now" # its bytes not shown: the KEK
fi
exec 3<&-
expect "kek seal: no temporary file left" "" "$(find "$T" -maxdepth 1 -name '*.kek*.tmp*')"
if [[ "$(head -1 "$K1")" == "openrsp-kek-sealed 1" && "$(stat -c %a "$K1")" == 600 ]]; then ok; else
	bad "the sealed KEK file: $(head -c 200 "$K1")"
fi
if "$PY" - "$K1" "$T/kek.clear" <<'PYEOF'; then ok; else bad "the KEK is in the sealed file in clear"; fi
import sys
sealed, clear = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
sys.exit(1 if clear in sealed or clear.hex().encode() in sealed.lower() else 0)
PYEOF
run kek info --kek-file "$K1" --json
expect "kek info: sealed, by which key" "True pkcs11:token=openrsp-smdp;object=kekwrap" \
	"$("$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["sealed"], j["pkcs11"].split("?")[0])' <<<"$out")"
failure "sealed already" kek seal --kek-file "$K1" --pkcs11 "$KURI"
# unseal with ORSP_KEK set: refused (the KEK in the environment is not the file's), the file
# left sealed
ORSP_KEK=$(od -An -tx1 "$T/kek.clear" | tr -d ' \n') usage ORSP_KEK kek unseal --kek-file "$K1"
expect "kek unseal with ORSP_KEK set: said" "openrsp: ORSP_KEK: is set: kek unseal works on a KEK file only" "$err"
expect "kek unseal with ORSP_KEK set: still sealed" "openrsp-kek-sealed 1" "$(head -1 "$K1")"
# kek info: a control character in a file's URI is not sent to the terminal; what is not a
# KEK file is not called one
sed "2s|object=kekwrap|object=kek$(printf '\033')]0;X$(printf '\007')wrap|" "$K1" >"$T/esc.kek"
chmod 600 "$T/esc.kek"
run kek info --kek-file "$T/esc.kek"
if [[ $rc -eq 0 && "$out" == *"sealed by the PKCS#11 key"* && "$out" != *$'\033'* && "$out" != *$'\007'* ]]; then ok; else bad "kek info with an escape in the URI: rc=$rc $(od -c <<<"$out" | head -3)"; fi
failure "not a KEK file" kek info --kek-file "$T"
printf 'hello' >"$T/hello"
failure "not a KEK file" kek info --kek-file "$T/hello"
run smdp profile list --db "$T/smdp.db" --json
expect "smdp profile list through the sealed KEK ($err)" installed \
	"$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])' <<<"$out")"
# a changed byte of the sealed data: refused, as the token says
cp "$K1" "$T/kek.sealed"
"$PY" - "$K1" <<'PYEOF'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
d = lines[3]
lines[3] = d[:10] + ('0' if d[10] != '0' else '1') + d[11:]
open(p, 'w').write('\n'.join(lines))
PYEOF
failure "does not open this sealed data" smdp profile list --db "$T/smdp.db"
cp "$T/kek.sealed" "$K1"
chmod 600 "$K1"
# the token refusing the PIN (a wrong pin-source in the file): the load fails, says why
printf 'badpin-5150\n' >"$T/badpin"
chmod 600 "$T/badpin"
sed "s|pin-source=$T/pin|pin-source=$T/badpin|" "$T/kek.sealed" >"$K1"
failure "refused the PIN" smdp profile list --db "$T/smdp.db"
# and serve exits 78, as for a key's PIN: the systemd unit does not start it again, sending
# the wrong PIN every 2 s until the token locks (exit 1 until session 66)
rc=0
timeout 60 "$B" smdp serve --config "$T/smdp.conf" >/dev/null 2>"$T/err" || rc=$?
expect "serve with a sealed KEK whose PIN the token refuses: exit 78 ($(cat "$T/err"))" 78 "$rc"
has "serve says the token refused the PIN" "refused the PIN" "$(cat "$T/err")"
cp "$T/kek.sealed" "$K1"
chmod 600 "$K1"
# a token or a key the URI names that is not there (an HSM incident) is said as the token
# says it, not "no KEK file" (the file is there), for the verbs and serve alike (session 77)
sed "2s|object=kekwrap|object=kekgone|" "$T/kek.sealed" >"$K1"
failure "no AES secret key matches" smdp profile list --db "$T/smdp.db"
lacks "a sealed KEK's key not in the token: not called a missing file" "no KEK file" "$err"
rc=0
timeout 60 "$B" smdp serve --config "$T/smdp.conf" >/dev/null 2>"$T/err" || rc=$?
expect "serve with a sealed KEK whose key is not in the token: exit 1 ($(cat "$T/err"))" 1 "$rc"
has "serve: the key not in the token said" "no AES secret key matches" "$(cat "$T/err")"
sed "2s|token=openrsp-smdp|token=nosuch|" "$T/kek.sealed" >"$K1"
failure "matches the URI" smdp profile list --db "$T/smdp.db"
lacks "a sealed KEK's token not there: not called a missing file" "no KEK file" "$err"
cp "$T/kek.sealed" "$K1"
chmod 600 "$K1"
# rekey: the new KEK is sealed under the same key from the start
run smdp rekey --db "$T/smdp.db" --new-kek-file "$T/smdp.kek2"
expect "smdp rekey with a sealed KEK ($err)" 0 "$rc"
if [[ "$(head -1 "$T/smdp.kek2")" == "openrsp-kek-sealed 1" ]]; then ok; else bad "smdp rekey wrote the new KEK in clear"; fi
run smdp profile list --db "$T/smdp.db" --kek-file "$T/smdp.kek2"
expect "list under the new sealed KEK ($err)" 0 "$rc"
run kek unseal --kek-file "$T/smdp.kek2"
expect "kek unseal ($err)" 0 "$rc"
expect "unsealed: 32 bytes" 32 "$(stat -c %s "$T/smdp.kek2")"
run smdp profile list --db "$T/smdp.db" --kek-file "$T/smdp.kek2"
expect "list under the unsealed KEK ($err)" 0 "$rc"
failure "is not sealed" kek unseal --kek-file "$T/smdp.kek2"
cp "$T/smdp.kek2" "$K1" # the database's KEK now, where the rest of this test looks for it
# the AuC: the same for its KEK file
run auc add --db "$T/auc.db" --imsi 001010000000001 --k 000102030405060708090a0b0c0d0e0f \
	--opc 0f0e0d0c0b0a09080706050403020100
expect "auc add ($err)" 0 "$rc"
run kek seal --kek-file "$T/auc.db.kek" --pkcs11 "$KURI"
expect "kek seal (AuC) ($err)" 0 "$rc"
run auc vector 001010000000001 --db "$T/auc.db" --json
expect "auc vector through the sealed KEK ($err)" 0 "$rc"
run auc rekey --db "$T/auc.db" --new-kek-file "$T/auc.kek2"
expect "auc rekey with a sealed KEK ($err)" 0 "$rc"
if [[ "$(head -1 "$T/auc.kek2")" == "openrsp-kek-sealed 1" ]]; then ok; else bad "auc rekey wrote the new KEK in clear"; fi
run auc vector 001010000000001 --db "$T/auc.db" --kek-file "$T/auc.kek2" --json
expect "auc vector under the new sealed KEK ($err)" 0 "$rc"

# ----- kek reseal: a sealed KEK file moved to another AES key in the token (the same for
# another token or a replaced HSM) without the KEK on the disk in clear (session 77: only
# unseal, then seal, which wrote it); each refusal leaves the file as it was -----
pkcs11-tool --module "$MOD" --token-label openrsp-smdp --login --pin "$PIN" --keygen \
	--key-type AES:32 --label kekwrap2 --id 31 >/dev/null 2>&1
KURI2=$(key kekwrap2)
A2=$T/auc.kek2 # the AuC database's KEK, sealed under kekwrap by its rekey above
cp "$A2" "$T/auc.kek2.was"
unchanged() { # unchanged DESC [FILE COPY]: FILE (A2) byte for byte its copy
	if cmp -s "${2:-$A2}" "${3:-$T/auc.kek2.was}"; then ok; else bad "$1: the KEK file changed"; fi
}
usage --pkcs11 kek reseal --kek-file "$A2"
usage --kek-file kek reseal --pkcs11 "$KURI2"
usage --pkcs11 kek reseal --kek-file "$A2" --pkcs11 "$(key kekwrap2 "pin-value=$PIN")"
lacks "kek reseal, a pin-value: the value not said" "$PIN" "$err"
hidden_while_said "kek reseal --pkcs11 with a pin-value" "$PIN" kek reseal --kek-file "$A2" \
	--pkcs11 "$(key kekwrap2 "pin-value=$PIN")"
usage --pkcs11 kek reseal --kek-file "$A2" --pkcs11 "file:$T/kek.clear"
expect "kek reseal --pkcs11 file:: said" "openrsp: --pkcs11: expected a PKCS#11 URI (pkcs11:...)" "$err"
usage --pkcs11 kek reseal --kek-file "$A2" --pkcs11 "pkcs11:token=openrsp-smdp;object=kekwrap2?pin-source=$T/pin"
has "kek reseal without module-path: said" "needs the module's absolute path" "$err"
ORSP_KEK=$(od -An -tx1 "$T/kek.clear" | tr -d ' \n') usage ORSP_KEK kek reseal --kek-file "$A2" \
	--pkcs11 "$KURI2"
unchanged "kek reseal, usage errors"
# a clear KEK file: kek seal's work, its KEK not read
cp "$K1" "$T/k1.was"
failure "is not sealed (it holds the KEK itself): kek seal seals it" kek reseal --kek-file "$K1" \
	--pkcs11 "$KURI2"
unchanged "kek reseal of a clear file" "$K1" "$T/k1.was"
# the new key, or its token, not there; no AES key
failure "the new token key: PKCS#11: no AES secret key matches" kek reseal --kek-file "$A2" \
	--pkcs11 "$(key kekgone)"
failure "the new token key" kek reseal --kek-file "$A2" \
	--pkcs11 "pkcs11:token=nosuch;object=kekwrap2?module-path=$MOD&pin-source=$T/pin"
has "kek reseal, the new token not there: said" "matches the URI" "$err"
failure "the new token key: PKCS#11: no AES secret key" kek reseal --kek-file "$A2" --pkcs11 "$(key dpauth)"
unchanged "kek reseal, the new key not there"
# the file's own key not there (deleted in an HSM incident): it cannot be opened, nothing done
sed "2s|object=kekwrap|object=kekgone|" "$A2" >"$T/gone.kek"
chmod 600 "$T/gone.kek"
cp "$T/gone.kek" "$T/gone.was"
failure "(sealed): PKCS#11: no AES secret key matches" kek reseal --kek-file "$T/gone.kek" --pkcs11 "$KURI2"
unchanged "kek reseal, the old key not there" "$T/gone.kek" "$T/gone.was"
# behind a symbolic link: refused (the file it points to would stay, under the old key)
ln -s "$A2" "$T/link.kek"
failure "symbolic link" kek reseal --kek-file "$T/link.kek" --pkcs11 "$KURI2"
rm "$T/link.kek"
unchanged "kek reseal through a link"
# replaced while the reseal waits for its lock (another seal or reseal holds it): refused, the
# file put there left as it is. The shared lock below stands for a reader; the reseal's
# exclusive one waits behind it (/proc/locks shows it waiting) while the file is replaced.
exec 8<"$A2"
flock -s 8
"$B" kek reseal --kek-file "$A2" --pkcs11 "$KURI2" >"$T/out" 2>"$T/err" 8<&- &
p=$!
ino=$(stat -c %i "$A2")
for _ in $(seq 1200); do
	grep -q -- "-> FLOCK .* $p [0-9a-f]*:[0-9a-f]*:$ino " /proc/locks && break
	kill -0 "$p" 2>/dev/null || break
	sleep 0.05
done
cp "$A2" "$T/put.kek"
mv "$T/put.kek" "$A2"
cp "$A2" "$T/put.was"
exec 8<&-
rc=0
wait "$p" || rc=$?
if [[ $rc -eq 1 && "$(cat "$T/err")" == *"was replaced or moved while it was being sealed"* ]]; then ok; else
	bad "kek reseal, the file replaced meanwhile: rc=$rc $(cat "$T/err")"
fi
unchanged "kek reseal, the file replaced meanwhile" "$A2" "$T/put.was"
expect "kek reseal refusals: no temporary file left" "" "$(find "$T" -maxdepth 1 -name '*.kek*.tmp*')"
# resealed: kek info names the new key, the KEK is not in the file in clear, the IV is new,
# and the AuC opens its database through the new key
run kek reseal --kek-file "$A2" --pkcs11 "$KURI2"
expect "kek reseal ($err)" 0 "$rc"
has "kek reseal: says the new key" "object=kekwrap2" "$out"
has "kek reseal: says the old one" "no longer through pkcs11:token=openrsp-smdp;object=kekwrap?" "$out"
expect "kek reseal: no temporary file left" "" "$(find "$T" -maxdepth 1 -name '*.kek*.tmp*')"
expect "kek reseal: mode" 600 "$(stat -c %a "$A2")"
run kek info --kek-file "$A2" --json
expect "kek info after reseal: the new key" "True pkcs11:token=openrsp-smdp;object=kekwrap2" \
	"$("$PY" -c 'import json,sys; j=json.load(sys.stdin); print(j["sealed"], j["pkcs11"].split("?")[0])' <<<"$out")"
if [[ "$(sed -n 3p "$A2")" != "$(sed -n 3p "$T/auc.kek2.was")" ]]; then ok; else bad "kek reseal: the same IV"; fi
run auc vector 001010000000001 --db "$T/auc.db" --kek-file "$A2" --json
expect "auc vector through the resealed KEK ($err)" 0 "$rc"
# the SM-DP+'s: sealed under kekwrap, resealed under kekwrap2, then under kekwrap2 again
# (allowed: the same key, a new IV)
run kek seal --kek-file "$K1" --pkcs11 "$KURI"
expect "kek seal (SM-DP+, again) ($err)" 0 "$rc"
run kek reseal --kek-file "$K1" --pkcs11 "$KURI2"
expect "kek reseal (SM-DP+) ($err)" 0 "$rc"
run smdp profile list --db "$T/smdp.db" --json
expect "smdp profile list through the resealed KEK ($err)" installed \
	"$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])' <<<"$out")"
cp "$K1" "$T/k1.sealed"
run kek reseal --kek-file "$K1" --pkcs11 "$KURI2"
expect "kek reseal to the same key ($err)" 0 "$rc"
has "kek reseal to the same key: said" "only the IV is new" "$out"
if [[ "$(sed -n 2p "$K1")" == "$(sed -n 2p "$T/k1.sealed")" && "$(sed -n 3p "$K1")" != "$(sed -n 3p "$T/k1.sealed")" ]]; then ok; else
	bad "kek reseal to the same key: not the same URI and a new IV"
fi
# the old key deleted from the token: both files still open; a copy sealed by it does not
pkcs11-tool --module "$MOD" --token-label openrsp-smdp --login --pin "$PIN" --delete-object \
	--type secrkey --label kekwrap >/dev/null 2>&1
failure "no AES secret key matches" auc vector 001010000000001 --db "$T/auc.db" \
	--kek-file "$T/auc.kek2.was" --json
run auc vector 001010000000001 --db "$T/auc.db" --kek-file "$A2" --json
expect "auc vector, the old key deleted ($err)" 0 "$rc"
run smdp profile list --db "$T/smdp.db" --json
expect "smdp profile list, the old key deleted ($err)" installed \
	"$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])' <<<"$out")"

# bench sign: the token's key against one in memory (figures not judged, only their presence)
run bench sign --pkcs11 "$(key dppb)" --seconds 0.2 --threads 2 --json
expect "bench sign rc ($err)" 0 "$rc"
expect "bench sign figures" "P-256 2 True" "$(python3 -c 'import json,sys; j=json.load(sys.stdin)
print(j["curve"], j["threads"], all(j[k] > 0 for k in ("token_per_s", "token_cpu_us", "memory_per_s", "token_threads_per_s", "memory_threads_per_s")))' <<<"$out")"
usage --pkcs11 bench sign
usage --pkcs11 bench sign --pkcs11 "$T/pki/smdp/dppb.der"
usage --threads bench sign --pkcs11 "$(key dppb)" --threads 0
failure "refused the PIN" bench sign --pkcs11 "$(key dppb "pin-source=$T/badpin")" --seconds 0.1
lacks "bench sign: the wrong PIN not said" "badpin-5150" "$err"
# a PIN on the command line would show in ps: refused before anything is loaded
usage --pkcs11 bench sign --pkcs11 "$(key dppb pin-value=badpin-5150)"
lacks "bench sign: the PIN of a refused URI not said" "badpin-5150" "$err"
# and not left in the command line while it is refused, nor when the options stop before it
hidden_while_said "bench sign --pkcs11 with a pin-value" "badpin-5150" bench sign \
	--pkcs11 "$(key dppb pin-value=badpin-5150)"
hidden_while_said "bench sign, a usage error before --pkcs11" "badpin-5150" bench sign --frob \
	--pkcs11 "$(key dppb pin-value=badpin-5150)"

# refused at start: exit 1, one line naming the key and what is wrong, never the PIN
refused() { # refused WORDS DPAUTH_URI [DPPB_URI]: exit 1, or 78 for a PIN the token refused
	# (the systemd unit does not start it again: the PIN is not sent every 2 s)
	local want=1
	[[ $1 == *"refused the PIN"* ]] && want=78
	conf "$T/bad.conf" "$2" "${3:-$(key dppb)}"
	run smdp serve --config "$T/bad.conf"
	if [[ $rc -eq $want && "$err" == "openrsp: "*"$1"* && $(wc -l <"$T/err") -eq 1 ]]; then
		ok
	else
		bad "refused '$1': rc=$rc stderr='$err'"
	fi
	lacks "no PIN said ($1)" "$PIN" "$err"
}
refused "dpauth_key: PKCS#11: the token openrsp-smdp refused the PIN" "$(key dpauth pin-value=badpin-5150)"
lacks "the wrong PIN not said either" "badpin-5150" "$err"
refused "dpauth_key: PKCS#11: no EC private key matches" "$(key nosuch)"
refused "dpauth_key: PKCS#11: the token openrsp-smdp asks for a PIN" \
	"pkcs11:token=openrsp-smdp;object=dpauth?module-path=$MOD"
refused "dpauth_key" "$(key dppb)" # DPpb's key is not DPauth's certificate's
has "a token key not of its certificate" "does not belong to dpauth_cert" "$err"
refused "dppb_key: PKCS#11 URI: needs the module's absolute path" "$(key dpauth)" \
	"pkcs11:token=openrsp-smdp;object=dppb?pin-source=$T/pin"
chmod 644 "$T/pin"
refused "dpauth_key: PKCS#11 URI: the pin-source $T/pin can be read" "$(key dpauth)"
chmod 600 "$T/pin"
# a long URI (the module path padded with /./, 3,000 characters) is read whole; a line
# longer than the configuration's limit is refused, not cut in two (with a PIN in it)
pad=$(printf '/.%.0s' $(seq 1500))
conf "$T/long.conf" "pkcs11:token=openrsp-smdp;object=dpauth?module-path=${pad}$MOD&pin-source=$T/pin" "$(key dppb)"
run smdp order --config "$T/long.conf" --profile-type nosuch
if [[ "$err" != *"dpauth_key"* && "$err" == *"profile"* ]]; then ok; else bad "a 3,000-character URI: rc=$rc $err"; fi
pad=$(printf '/.%.0s' $(seq 4200))
conf "$T/long.conf" "pkcs11:token=openrsp-smdp;object=dpauth?module-path=${pad}$MOD&pin-value=$PIN" "$(key dppb)"
run smdp serve --config "$T/long.conf"
if [[ $rc -eq 1 && "$err" == *"long.conf:9: line: longer than 8190 characters"* ]]; then ok; else bad "an 8,400-character line: rc=$rc $err"; fi
lacks "no PIN said (long line)" "$PIN" "$err"
# a URI on a key that takes a file: refused, not echoed (it may hold a PIN)
{
	echo "fqdn = $FQDN"
	echo "oid = 2.999.10"
	echo "callback_key = $(key cb "pin-value=$PIN")"
} >"$T/cb.conf"
chmod 600 "$T/cb.conf"
run smdp serve --config "$T/cb.conf"
if [[ $rc -eq 1 && "$err" == *"callback_key: takes a file, not a PKCS#11 URI"* ]]; then ok; else bad "a URI as callback_key: rc=$rc $err"; fi
lacks "a URI as callback_key: not echoed" "$PIN" "$err"
# tls_key twice, in either order: refused
for pair in "$(key dptls)|pki2/smdp/dptls_key.pem" "pki2/smdp/dptls_key.pem|$(key dptls)"; do
	tls_conf "$T/bad.conf" "${pair%%|*}"
	sed -i "/^tls_key = /a tls_key = ${pair#*|}" "$T/bad.conf"
	run smdp serve --config "$T/bad.conf"
	if [[ $rc -eq 1 && "$err" == *"tls_key: given twice"* ]]; then ok; else bad "tls_key twice: rc=$rc $err"; fi
done
# the --config verbs that do not sign (order, audit, reports, ...) do not open the token: with
# a pin-source whose PIN the token refuses, or a module that is not there (the HSM out of
# reach), they work, and send no PIN (each is a try against the token's lock-out; every
# order logged in to the token until session 71); `serve --check` and `serve` still load the
# keys, and refuse. Every key in the token here, DPtls's too.
sed -e "s|pin-source=$T/pin|pin-source=$T/badpin|g" -e "s|^database = .*|database = nopin.db|" \
	"$T/smdp3.conf" >"$T/nopin.conf"
chmod 600 "$T/nopin.conf"
one_order nopin 4
run smdp audit --config "$T/nopin.conf" --json
expect "smdp audit --config, the token refusing the PIN ($err)" 0 "$rc"
has "smdp audit --config: the order is in it" "$ICCID" "$out"
run smdp reports --config "$T/nopin.conf"
expect "smdp reports --config, the token refusing the PIN ($err)" 0 "$rc"
run smdp serve --config "$T/nopin.conf" --check
if [[ $rc -ne 0 && "$err" == *"refused the PIN"* ]]; then ok; else bad "serve --check with the wrong PIN: rc=$rc $err"; fi
rc=0
timeout 60 "$B" smdp serve --config "$T/nopin.conf" >/dev/null 2>"$T/err" || rc=$?
expect "serve with the wrong PIN: exit 78 ($(cat "$T/err"))" 78 "$rc"
sed "s|module-path=$MOD|module-path=/nonexistent/libno-hsm.so|g" "$T/nopin.conf" >"$T/nohsm.conf"
chmod 600 "$T/nohsm.conf"
run smdp cancel --config "$T/nohsm.conf" --iccid "$ICCID" --final available
expect "smdp cancel --config, the HSM's module not there ($err)" 0 "$rc"
run smdp serve --config "$T/nohsm.conf" --check
if [[ $rc -ne 0 && "$err" == *"cannot load the module"* ]]; then ok; else bad "serve --check without the module: rc=$rc $err"; fi
# what is checked without the token still is: the URI, a PIN in a file others can read
sed "s|object=dpauth?module-path=[^&]*&|object=dpauth?|" "$T/nopin.conf" >"$T/bad.conf"
chmod 600 "$T/bad.conf"
run smdp audit --config "$T/bad.conf"
if [[ $rc -eq 1 && "$err" == *"dpauth_key: PKCS#11 URI: needs the module's absolute path"* ]]; then ok; else bad "smdp audit --config, a URI without module-path: rc=$rc $err"; fi
sed "s|pin-source=$T/badpin|pin-value=$PIN|" "$T/nopin.conf" >"$T/bad.conf"
chmod 644 "$T/bad.conf"
run smdp order --config "$T/bad.conf" --iccid "$ICCID"
if [[ $rc -eq 1 && "$err" == *"tls_key: $T/bad.conf holds a PIN (pin-value)"* ]]; then ok; else bad "smdp order --config, a pin-value in a 0644 file: rc=$rc $err"; fi
lacks "smdp order --config: no PIN said" "$PIN" "$err"

# a PIN in the configuration makes it a secret file
conf "$T/bad.conf" "$(key dpauth "pin-value=$PIN")" "$(key dppb)"
chmod 644 "$T/bad.conf"
run smdp serve --config "$T/bad.conf"
if [[ $rc -eq 1 && "$err" == *"dpauth_key: $T/bad.conf holds a PIN (pin-value)"* ]]; then ok; else bad "pin-value in a 0644 file: rc=$rc $err"; fi
lacks "no PIN said (pin-value)" "$PIN" "$err"
conf "$T/bad.conf" "$(key dpauth "pin- value=$PIN")" "$(key dppb)"
chmod 644 "$T/bad.conf"
run smdp serve --config "$T/bad.conf"
if [[ $rc -eq 1 && "$err" == *"dpauth_key: $T/bad.conf holds a PIN (pin-value)"* ]]; then ok; else bad "a spaced pin-value in a 0644 file: rc=$rc $err"; fi
lacks "no PIN said (spaced pin-value)" "$PIN" "$err"
finish
