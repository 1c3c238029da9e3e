#!/usr/bin/env bash
# K and OPc never left in freed memory: every command below runs with tests/heapscan.c
# preloaded, which looks at each block the process frees (and at the old block of every
# realloc, which it always moves) for 8 bytes in a row of one subscriber's K or OPc, and ends a
# process that freed one with status 97. Building the package, checking it (also as BER with K
# a constructed string, which asn1c's decoder assembles by realloc), importing it, ordering, the
# SM-DP+ serving the download, the LPA with its software eUICC downloading, installing,
# enabling and deleting it, the AuC adding the subscriber and computing vectors. Skipped in a
# sanitizer build (the library replaces free and realloc, as the sanitizer does).
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
L=${ORSP_HEAPSCAN_LIB-}
if [[ -z "$L" ]]; then
	echo "heapscan: skipped (a sanitizer build: tests/heapscan.c is not built)"
	exit 77
fi
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_heapscan.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"
trap 'smdp_stop; rm -rf "$T"' EXIT

V7=$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der
K=3a7f19c2d45e8b06f1a2c3d4e5f60718
OPC=9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3
CC=31415926535897 # a confirmation code, and its bytes in hex for the library
CCHEX=$(printf %s "$CC" | od -An -tx1 | tr -d ' \n')
ICCID=89000123456789012341
IMSI=001010123456789
# KEYS: the private scalars of the SM-DP+'s DPauth and DPpb and of the eUICC, once
# served_device made them (OpenSSL's decoders copy a key into blocks they free unwiped: 11 per
# key read, until session 57, when openrsp gave OpenSSL its wiping allocator)
KEYS=""
# hs ARGS...: as run, with the library preloaded looking for K and OPc (and KEYS)
hs() {
	rc=0
	out=$(LD_PRELOAD=$L ORSP_HEAPSCAN=$K,$OPC${KEYS:+,$KEYS} "$B" "$@" 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
}
# clean WHAT WANT_RC: the last hs ended with WANT_RC, and the library found nothing
clean() {
	if [[ $rc -eq $2 && "$err" != *heapscan:* ]]; then
		ok
	else
		bad "$1: rc=$rc (want $2): $err"
	fi
}

# The library is loaded and looks: it frees a copy of K itself.
rc=0
ORSP_HEAPSCAN_SELFTEST=1 LD_PRELOAD=$L ORSP_HEAPSCAN=$K,$OPC "$B" --version >/dev/null \
	2>"$T/err" || rc=$?
expect "self-test: status" 97 "$rc"
has "self-test: said" "heapscan: 1 freed block held a secret" "$(cat "$T/err")"
rc=0
LD_PRELOAD=$L ORSP_HEAPSCAN=abcd "$B" --version >/dev/null 2>"$T/err" || rc=$?
expect "a secret shorter than 8 bytes: status" 96 "$rc"

hs profile build --template "$V7" --iccid "$ICCID" --imsi "$IMSI" --k "$K" --opc "$OPC" \
	-o "$T/p.der"
clean "profile build" 0
hs profile check "$T/p.der"
clean "profile check" 0
hs profile inspect "$T/p.der"
clean "profile inspect" 0
# K as a constructed OCTET STRING of two 8-byte segments (BER, not DER): the decoder grows its
# buffer by realloc; refused, and nothing of K left behind
python3 "$(dirname "$0")/lib/constructed_key.py" "$T/p.der" "$T/ber.der" "$K"
hs profile check "$T/ber.der"
clean "profile check of a BER package" 1
has "BER: refused" "not DER" "$err"

# The SM-DP+ and the device: import, order, serve; download, enable, delete.
served_device smdp.db
# scalar PEM: the private scalar of an EC key file, 64 hex digits
scalar() {
	local h
	h=$(openssl pkey -in "$1" -text -noout | sed -n '/^priv:/,/^pub:/p' | grep -v '^priv:\|^pub:' | tr -d ' :\n' | tail -c 64)
	printf '%64s' "$h" | tr ' ' 0
}
KEYS=$(scalar "$T/pki/smdp/dpauth_key.pem"),$(scalar "$T/pki/smdp/dppb_key.pem"),$(scalar "$T/pki/euicc/euicc_key.pem")
[[ $KEYS =~ ^[0-9a-f]{64},[0-9a-f]{64},[0-9a-f]{64}$ ]] && ok || bad "the private scalars: $KEYS"
hs smdp serve --config "$T/smdp.conf" --check
clean "smdp serve --check (the keys read)" 0
hs euicc info --state "$T/dev"
clean "euicc info (the eUICC's key read)" 0
hs smdp profile import "$T/p.der" --config "$T/smdp.conf"
clean "smdp profile import" 0
hs smdp order --config "$T/smdp.conf" --iccid "$ICCID" --release
clean "smdp order" 0
AC=$out
LD_PRELOAD=$L ORSP_HEAPSCAN=$K,$OPC,$CCHEX,$KEYS smdp_start "$T/smdp.conf"
URL=http://127.0.0.1:$PORT
hs lpa profile download -a "$AC" --server-url "$URL" --insecure --euicc "local:$T/dev"
clean "lpa profile download" 0
hs lpa profile enable "$ICCID" --euicc "local:$T/dev"
clean "lpa profile enable" 0
hs lpa profile disable "$ICCID" --euicc "local:$T/dev"
clean "lpa profile disable" 0
hs lpa profile delete "$ICCID" --euicc "local:$T/dev"
clean "lpa profile delete" 0
hs lpa notification process --server-url "$URL" --insecure --euicc "local:$T/dev"
clean "lpa notification process" 0
# an order with a confirmation code: the code (and K, OPc) in no freed block of the order,
# the LPA (which sends hashCc, from which a short code is found by trying them all) or the
# server
ICCID2=$(luhn 8900012345678901235)
# another_profile NAME ICCID IMSI: a package of K and OPc built and imported, as the library
# looks on
another_profile() {
	hs profile build --template "$V7" --iccid "$2" --imsi "$3" --k "$K" --opc "$OPC" \
		-o "$T/$1.der"
	clean "profile build ($1)" 0
	hs smdp profile import "$T/$1.der" --config "$T/smdp.conf"
	clean "smdp profile import ($1)" 0
}
another_profile p2 "$ICCID2" 001010123456790
rc=0
AC2=$(LD_PRELOAD=$L ORSP_HEAPSCAN=$K,$OPC,$CCHEX "$B" smdp order --config "$T/smdp.conf" \
	--iccid "$ICCID2" --cc "$CC" --release 2>"$T/err") || rc=$?
err=$(cat "$T/err")
clean "smdp order --cc" 0
rc=0
LD_PRELOAD=$L ORSP_HEAPSCAN=$K,$OPC,$CCHEX "$B" lpa profile download -a "$AC2" -c "$CC" \
	--server-url "$URL" --insecure --euicc "local:$T/dev" >/dev/null 2>"$T/err" || rc=$?
err=$(cat "$T/err")
clean "lpa profile download -c" 0
# the server's status at its stop is the library's verdict on it (97: a block held K or OPc)
smdp_stop
hs smdp profile purge --config "$T/smdp.conf"
clean "smdp profile purge" 0
has "purged" "purged the packages of 2 profiles" "$out"

# ES2+ over plain HTTP: requests refused or failed, each with the operator's token and a
# confirmation code, then a downloadOrder and a confirmOrder that succeed, each on a connection
# of its own; then the refused ones over HTTPS. Neither the token nor the code in a block the
# server freed: libmicrohttpd's memory pool of a connection (the request as sent, headers and
# body) was a heap block it freed unwiped when the connection ended with its answer, after a
# 404 or a 405 (a review of live processes, session 73).
TOKEN=Zq7Wx3Kv9Rm2Pn5Lj8Bt4Yc6Hd
TOKHEX=$(printf %s "$TOKEN" | od -An -tx1 | tr -d ' \n')
ECC=27182818284590
ECCHEX=$(printf %s "$ECC" | od -An -tx1 | tr -d ' \n')
ICCID3=$(luhn 8900012345678901243)
another_profile p3 "$ICCID3" 001010123456791
(umask 077 && printf 'Authorization: Bearer %s\n' "$TOKEN" >"$T/auth")
CO=/gsma/rsp2/es2plus/confirmOrder
H='"header":{"functionRequesterIdentifier":"op","functionCallIdentifier":"c'
JH=(-H 'Content-Type: application/json' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0')
# es2 WHAT WANT_STATUS PATH BODY [curl options]: one request to $URL on a connection of its
# own, with the token; the HTTP status WANT_STATUS
es2() {
	local what=$1 want=$2 path=$3 body=$4 code
	shift 4
	code=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 30 "${CURL[@]}" -X POST \
		-H @"$T/auth" "$@" -d "$body" "$URL$path") || true
	expect "$URL $what: status ($(head -c 200 "$T/body" 2>/dev/null))" "$want" "$code"
}
# es2_refused: confirmOrders refused or failed, with the code, and requests answered before
# any handler
es2_refused() {
	es2 "a duplicate key" 200 $CO "{${H}1\"},\"iccid\":\"$ICCID\",\"confirmationCode\":\"$ECC\",\"confirmationCode\":\"x\"}" "${JH[@]}"
	es2 "JSON cut short" 200 $CO "{${H}2\"},\"iccid\":\"$ICCID\",\"confirmationCode\":\"$ECC\"" "${JH[@]}"
	es2 "an unknown ICCID" 200 $CO "{${H}3\"},\"iccid\":\"89000000000000000000\",\"confirmationCode\":\"$ECC\",\"releaseFlag\":true}" "${JH[@]}"
	es2 "a profile in another state" 200 $CO "{${H}4\"},\"iccid\":\"$ICCID\",\"confirmationCode\":\"$ECC\",\"releaseFlag\":true}" "${JH[@]}"
	es2 "no X-Admin-Protocol" 400 $CO "{${H}5\"},\"iccid\":\"$ICCID\",\"confirmationCode\":\"$ECC\"}" \
		-H 'Content-Type: application/json'
	es2 "text/plain" 415 $CO "{${H}6\"},\"iccid\":\"$ICCID\",\"confirmationCode\":\"$ECC\"}" \
		-H 'Content-Type: text/plain' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0'
	es2 "an unknown path" 404 /gsma/rsp2/es2plus/nothere "{\"confirmationCode\":\"$ECC\"}" "${JH[@]}"
	es2 "GET" 405 $CO "" -X GET -H "X-Code: $ECC"
}
{
	echo "es2_token = $TOKEN"
	cat "$T/smdp.conf"
} >"$T/es2.conf"
chmod 600 "$T/es2.conf"
LD_PRELOAD=$L ORSP_HEAPSCAN=$TOKHEX,$ECCHEX smdp_start "$T/es2.conf"
URL=http://127.0.0.1:$PORT
CURL=()
es2_refused
# the third profile ordered, and confirmed with the code
es2 "downloadOrder" 200 /gsma/rsp2/es2plus/downloadOrder "{${H}7\"},\"iccid\":\"$ICCID3\"}" "${JH[@]}"
has "downloadOrder executed" "Executed-Success" "$(cat "$T/body")"
es2 "confirmOrder" 200 $CO "{${H}8\"},\"iccid\":\"$ICCID3\",\"confirmationCode\":\"$ECC\",\"releaseFlag\":true}" "${JH[@]}"
has "confirmOrder executed" "Executed-Success" "$(cat "$T/body")"
smdp_stop
lacks "ES2+ over HTTP: what the library said of the server" "heapscan:" "$(cat "$T/serve.log")"
# The same refused requests over HTTPS: GnuTLS decrypts each record into a block of its own
# (some 16 KiB) and freed it unwiped once libmicrohttpd had read it (session 73)
{
	echo "es2_token = $TOKEN"
	echo "tls_cert = pki/smdp/dptls.pem"
	echo "tls_key = pki/smdp/dptls_key.pem"
	grep -v '^plain_http' "$T/smdp.conf"
} >"$T/es2.conf"
LD_PRELOAD=$L ORSP_HEAPSCAN=$TOKHEX,$ECCHEX smdp_start "$T/es2.conf"
URL=https://smdp.example.org:$PORT
CURL=(--cacert "$T/pki/ci/ci.pem" --resolve "smdp.example.org:$PORT:127.0.0.1")
es2_refused
smdp_stop
lacks "ES2+ over HTTPS: what the library said of the server" "heapscan:" "$(cat "$T/serve.log")"

# The AuC: the subscriber added, vectors computed from its K and OPc.
hs auc add --imsi "$IMSI" --k "$K" --opc "$OPC" --db "$T/auc.db"
clean "auc add" 0
hs auc vector "$IMSI" --count 3 --db "$T/auc.db"
clean "auc vector" 0

finish
