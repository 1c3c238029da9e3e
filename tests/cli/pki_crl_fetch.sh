#!/usr/bin/env bash
# `openrsp pki crl-fetch`: CRLs of a `pki init` hierarchy (issued by `pki crl`) served over
# HTTP by Python's http.server on loopback. A new CRL replaces the file, the same one leaves it
# alone; an older one, another issuer's, one whose signature does not verify, one that reuses
# a cRLNumber, bytes that are no CRL, an HTTP error and a refused connection each fail and
# leave the file as it was; a file that holds no CRL is mended; PEM is kept as served; usage
# errors.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_pki_crl_fetch.XXXXXX")
. "$(dirname "$0")/lib/common.bash"

web=
tls=
cleanup() {
	[[ -n $web ]] && kill "$web" 2>/dev/null
	[[ -n $tls ]] && kill "$tls" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

P=$T/pki
W=$T/www
mkdir -p "$W"
"$B" pki init "$P" >/dev/null
crl() { # crl ISSUER(ci|eum) OUT NUMBER THIS_UPDATE [ARGS...]
	local who=$1 out=$2 number=$3 at=$4
	shift 4
	"$B" pki crl --issuer-cert "$P/$who/$who.der" --issuer-key "$P/$who/${who}_key.pem" \
		--out "$W/$out" --number "$number" --this-update "$at" --days 36500 "$@" >/dev/null
}
now=$(date +%s)
crl ci ci1.crl 1 $((now - 200))
crl ci ci2.crl 2 $((now - 100)) --revoke "$P/eum/eum.der"
crl ci same2.crl 2 $((now - 50))
crl ci ci4.pem 4 $((now - 10))
crl eum eum.crl 1 $((now - 100)) --revoke "$P/euicc/euicc.der"
# ci2 with the last byte of its signature changed
python3 - "$W/ci2.crl" "$W/forged.crl" <<'EOF'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[-1] ^= 1
open(sys.argv[2], "wb").write(d)
EOF
echo "no CRL here" >"$W/bad.crl"

# the web server (Python itself, not the python3 function: $! must be its process) on a
# port of its own, written to $T/port once it listens; U its URL
start_web() {
	rm -f "$T/port"
	"$PY" - "$W" "$T/port" <<'EOF' &
import http.server, os, sys
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
EOF
	web=$!
	for _ in $(seq 600); do
		[[ -s $T/port ]] && break
		sleep 0.1
	done
	[[ -s $T/port ]] || {
		echo "FAIL: the web server did not start" >&2
		exit 1
	}
	U=http://127.0.0.1:$(cat "$T/port")
}
start_web
F=$T/ci.crl
fetch() { run pki crl-fetch "$U/$1" --issuer-cert "$P/$2/$2.der" --out "${3:-$F}"; }
same_as() { # same_as DESC FILE: $F holds FILE's bytes
	if cmp -s "$F" "$2"; then ok; else bad "$1: $F is not $2"; fi
}

fetch ci1.crl ci
expect "a first CRL: exit" 0 "$rc"
has "a first CRL: updated" "$F: updated: CRL of \"openrsp Test CI\", 0 revoked, cRLNumber 01" "$out"
same_as "a first CRL" "$W/ci1.crl"
expect "a first CRL: mode" 644 "$(stat -c %a "$F")"
fetch ci1.crl ci
expect "the same CRL: exit" 0 "$rc"
has "the same CRL" "$F: unchanged:" "$out"
fetch ci2.crl ci
expect "a newer CRL: exit" 0 "$rc"
has "a newer CRL" "updated: CRL of \"openrsp Test CI\", 1 revoked, cRLNumber 02" "$out"
same_as "a newer CRL" "$W/ci2.crl"
left=("$T"/ci.crl.tmp-*)
if [[ ! -e ${left[0]} ]]; then ok; else bad "a temporary file was left: ${left[*]}"; fi

# refused, the file left as it was (the CI's ci2.crl)
refused() { # refused WORD SERVED-FILE: one line naming WORD, $F unchanged
	failure "$1" pki crl-fetch "$U/$2" --issuer-cert "$P/ci/ci.der" --out "$F"
	same_as "$2 refused" "$W/ci2.crl"
}
refused "older than the CRL in $F" ci1.crl
refused "is not a CRL of \"openrsp Test CI\"" eum.crl
refused "does not verify with the key of" forged.crl
refused "cRLNumber 02 is that of the CRL in" same2.crl
refused "no DER CRL" bad.crl
refused "answered HTTP 404" missing.crl
# --out a link: refused before anything is fetched, the link and its file as they were (the
# link was read through, then replaced by a file, until session 70)
ln -s "$F" "$T/link.crl"
failure "is a symbolic link: name the file itself" pki crl-fetch "$U/ci2.crl" \
	--issuer-cert "$P/ci/ci.der" --out "$T/link.crl"
[[ -L "$T/link.crl" ]] && ok || bad "the link at --out was replaced"
same_as "--out a link" "$W/ci2.crl"
# a port nobody listens on: the web server's own, once it is gone
kill "$web"
wait "$web" 2>/dev/null || true
web=
failure "connect" pki crl-fetch "$U/ci2.crl" --issuer-cert "$P/ci/ci.der" --out "$F" --timeout 5
same_as "no server" "$W/ci2.crl"
start_web

# PEM as served; then a file that holds no CRL is mended
fetch ci4.pem ci
expect "PEM: exit" 0 "$rc"
same_as "PEM" "$W/ci4.pem"
has "PEM: a PEM file" "-----BEGIN X509 CRL-----" "$(cat "$F")"
echo "damaged" >"$F"
fetch ci2.crl ci
expect "a damaged file: exit" 0 "$rc"
has "a damaged file: said" "holds no CRL that reads and verifies" "$err"
same_as "a damaged file" "$W/ci2.crl"
# a CRL the issuer's key does not verify is no reference for what is newer: replaced too
cp "$W/forged.crl" "$F"
fetch ci1.crl ci
expect "a forged file: exit" 0 "$rc"
has "a forged file: said" "does not verify" "$err"
same_as "a forged file" "$W/ci1.crl"
# several CRLs in the file: not the fetch's to replace
openssl crl -inform DER -in "$W/ci1.crl" -outform PEM -out "$T/ci1.pem"
cat "$W/ci4.pem" "$T/ci1.pem" >"$F"
cp "$F" "$T/two.pem"
failure "holds 2 CRLs, not one" pki crl-fetch "$U/ci2.crl" --issuer-cert "$P/ci/ci.der" --out "$F"
if cmp -s "$F" "$T/two.pem"; then ok; else bad "two CRLs: the file changed"; fi
# the EUM's CRL into a file of its own, created
fetch eum.crl eum "$T/eum.crl"
expect "the EUM's CRL: exit" 0 "$rc"
has "the EUM's CRL" "1 revoked" "$out"
if cmp -s "$T/eum.crl" "$W/eum.crl"; then ok; else bad "the EUM's CRL: not written"; fi

# --for CERT: the URLs of CERT's distribution points, in order until one gives the CRL.
# A hierarchy naming this web server: the CI's CRL at two points, the first missing.
Q=$T/pki2
"$B" pki init "$Q" --crl-url "$U/gone.crl" --crl-url "$U/q-ci.crl" \
	--eum-crl-url "$U/q-eum.crl" >/dev/null
"$B" pki crl --issuer-cert "$Q/ci/ci.der" --issuer-key "$Q/ci/ci_key.pem" --out "$W/q-ci.crl" \
	--revoke "$Q/smdp/dpauth.der" >/dev/null
G=$T/q-ci.crl
run pki crl-fetch --for "$Q/eum/eum.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
expect "--for: exit" 0 "$rc"
has "--for: the first point fails" "answered HTTP 404" "$err"
has "--for: the next one tried" "trying the next distribution point, $U/q-ci.crl" "$err"
has "--for: taken from the second" "$G: updated: CRL of \"openrsp Test CI\", 1 revoked" "$out"
has "--for: names the point" "from $U/q-ci.crl" "$out"
if cmp -s "$G" "$W/q-ci.crl"; then ok; else bad "--for: $G is not q-ci.crl"; fi
run pki crl-fetch --for "$Q/smdp/dpauth.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
expect "--for DPauth: exit" 0 "$rc"
has "--for DPauth: the same CRL" "$G: unchanged:" "$out"
# a first point that lags (a genuine CRL older than FILE's) is that point's failure: the
# second, with the newer CRL, is tried (the run stopped at the first until session 57)
L=$T/pki-lag
"$B" pki init "$L" --crl-url "$U/lag1.crl" --crl-url "$U/lag2.crl" >/dev/null
lag_crl() { # lag_crl OUT NUMBER THIS_UPDATE [ARGS...]
	local out=$1 number=$2 at=$3
	shift 3
	"$B" pki crl --issuer-cert "$L/ci/ci.der" --issuer-key "$L/ci/ci_key.pem" --out "$out" \
		--number "$number" --this-update "$at" --days 36500 "$@" >/dev/null
}
lag_crl "$W/lag1.crl" 4 $((now - 300))
lag_crl "$T/lag.crl" 5 $((now - 200))
lag_crl "$W/lag2.crl" 6 $((now - 100)) --revoke "$L/smdp/dpauth.der"
run pki crl-fetch --for "$L/eum/eum.der" --issuer-cert "$L/ci/ci.der" --out "$T/lag.crl"
expect "--for, a lagging first point: exit" 0 "$rc"
has "--for, a lagging first point: said" "older than the CRL in $T/lag.crl" "$err"
has "--for, a lagging first point: the next tried" "trying the next distribution point, $U/lag2.crl" "$err"
has "--for, a lagging first point: the newer taken" "cRLNumber 06" "$out"
if cmp -s "$T/lag.crl" "$W/lag2.crl"; then ok; else bad "--for, a lagging first point: not lag2.crl"; fi
# the scheme in any case, as --crl-url writes it and --for takes it
run pki crl-fetch "HTTP://127.0.0.1:${U##*:}/lag2.crl" --issuer-cert "$L/ci/ci.der" --out "$T/lag.crl"
expect "an upper-case scheme: exit" 0 "$rc"
has "an upper-case scheme: the same CRL" "$T/lag.crl: unchanged:" "$out"
# two CRLs issued back to back with the default number: the second's is larger (both were
# the same second's thisUpdate until session 57, and the second was refused as a reuse); also
# with the same --this-update, the later one's
"$B" pki crl --issuer-cert "$L/ci/ci.der" --issuer-key "$L/ci/ci_key.pem" --out "$W/b1.crl" \
	--this-update $((now - 5)) >/dev/null
"$B" pki crl --issuer-cert "$L/ci/ci.der" --issuer-key "$L/ci/ci_key.pem" --out "$W/b2.crl" \
	--this-update $((now - 5)) --revoke "$L/smdp/dppb.der" >/dev/null
n1=$(openssl crl -inform DER -in "$W/b1.crl" -noout -crlnumber | sed 's/^crlNumber=0x//')
n2=$(openssl crl -inform DER -in "$W/b2.crl" -noout -crlnumber | sed 's/^crlNumber=0x//')
if [[ -n $n1 && -n $n2 ]] && python3 -c "import sys; sys.exit(0 if int('$n2', 16) > int('$n1', 16) else 1)"; then ok; else bad "two CRLs back to back: cRLNumber $n1 then $n2"; fi
run pki crl-fetch "$U/b1.crl" --issuer-cert "$L/ci/ci.der" --out "$T/b.crl"
run pki crl-fetch "$U/b2.crl" --issuer-cert "$L/ci/ci.der" --out "$T/b.crl"
expect "the second of two CRLs back to back: exit" 0 "$rc"
has "the second of two CRLs back to back: taken" "1 revoked" "$out"
# the EUM's CRL is not served yet: every point fails, nothing written
failure "answered HTTP 404" pki crl-fetch --for "$Q/euicc/euicc.der" --issuer-cert "$Q/eum/eum.der" \
	--out "$T/q-eum.crl"
if [[ ! -e $T/q-eum.crl ]]; then ok; else bad "--for, no CRL: $T/q-eum.crl written"; fi
"$B" pki crl --issuer-cert "$Q/eum/eum.der" --issuer-key "$Q/eum/eum_key.pem" --out "$W/q-eum.crl" >/dev/null
run pki crl-fetch --for "$Q/euicc/euicc.der" --issuer-cert "$Q/eum/eum.der" --out "$T/q-eum.crl"
expect "--for eUICC: exit" 0 "$rc"
if cmp -s "$T/q-eum.crl" "$W/q-eum.crl"; then ok; else bad "--for eUICC: not written"; fi
# CERT not issued by --issuer-cert (another CI of the same name, another issuer, the issuer
# itself); CERT without distribution points; an https point and no
# --ca-file (pki smdp names one)
cp "$G" "$T/g.before"
failure "not issued by $Q/ci/ci.der: its authorityKeyIdentifier" pki crl-fetch --for "$P/eum/eum.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
failure "not issued by $Q/ci/ci.der: its issuer name" pki crl-fetch --for "$Q/euicc/euicc.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
failure "is the issuer's own certificate" pki crl-fetch --for "$Q/eum/eum.der" --issuer-cert "$Q/eum/eum.der" --out "$G"
failure "no cRLDistributionPoints" pki crl-fetch --for "$P/eum/eum.der" --issuer-cert "$P/ci/ci.der" --out "$G"
"$B" pki smdp "$T/dp3" --ci "$Q" --smdp-fqdn three.test.example --smdp-oid 2.999.13 \
	--crl-url "https://127.0.0.1:1/ci.crl" >/dev/null
failure "needs --ca-file" pki crl-fetch --for "$T/dp3/smdp/dpauth.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
failure "$T/none.der" pki crl-fetch --for "$T/none.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
if cmp -s "$G" "$T/g.before"; then ok; else bad "--for refused: $G changed"; fi
# OpenSSL reads the distribution point pki init wrote and the CRL pki crl issued: it downloads
# the CRL from the URL in the certificate (-crl_download) and finds DPpb revoked, DPauth not
R=$T/pki3
"$B" pki init "$R" --crl-url "$U/r-ci.crl" >/dev/null
"$B" pki crl --issuer-cert "$R/ci/ci.der" --issuer-key "$R/ci/ci_key.pem" --out "$W/r-ci.crl" \
	--revoke "$R/smdp/dppb.der" >/dev/null
if openssl verify -crl_download -crl_check -CAfile "$R/ci/ci.pem" "$R/smdp/dpauth.pem" >/dev/null 2>&1; then
	ok
else
	bad "openssl verify -crl_download: DPauth not verified"
fi
v=$(openssl verify -crl_download -crl_check -CAfile "$R/ci/ci.pem" "$R/smdp/dppb.pem" 2>&1) && rc=0 || rc=$?
if [[ $rc -ne 0 && $v == *"certificate revoked"* ]]; then ok; else bad "openssl verify -crl_download: DPpb not revoked: $rc $v"; fi
usage URL pki crl-fetch "$U/q-ci.crl" --for "$Q/eum/eum.der" --issuer-cert "$Q/ci/ci.der" --out "$G"
usage --for pki crl-fetch --for "" --issuer-cert "$Q/ci/ci.der" --out "$G"
not_stdout --out pki crl-fetch "$U/q-ci.crl" --issuer-cert "$Q/ci/ci.der" --out -

# HTTP/1.1 over TLS, never h2 (SGP.22's bindings are HTTP/1.1, and the client checks HTTP/1.x
# status lines): against a server that prefers h2 by ALPN (openssl s_server, whose -www page
# is HTML, no CRL) the HTML is read and refused as no CRL; libcurl with nghttp2 offered h2
# until session 58, and spoke HTTP/2 to a server that took it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/h2_key.pem" \
	-out "$T/h2.pem" -subj /CN=localhost -days 2 -addext subjectAltName=DNS:localhost 2>/dev/null
# s_server ARGS...: openssl s_server with h2.pem on a loopback port of its own, its pid in tls
# (any earlier one stopped) and its port in sport
s_server() {
	if [[ -n $tls ]]; then
		kill "$tls" 2>/dev/null
		wait "$tls" 2>/dev/null || true
	fi
	openssl s_server -accept 127.0.0.1:0 -cert "$T/h2.pem" -key "$T/h2_key.pem" -www "$@" \
		>"$T/s_server.log" 2>&1 &
	tls=$!
	for _ in $(seq 1 1200); do
		grep -q '^ACCEPT' "$T/s_server.log" && break
		sleep 0.05
	done
	sport=$(sed -n 's/^ACCEPT 127.0.0.1://p' "$T/s_server.log")
}
s_server -alpn h2,http/1.1
run pki crl-fetch "https://localhost:$sport/x.crl" --issuer-cert "$P/ci/ci.der" --out "$T/h2.crl" --ca-file "$T/h2.pem"
if [[ $rc -eq 1 && $err == *"no DER CRL and no PEM"* ]]; then ok; else bad "h2 offered by ALPN: rc=$rc $err"; fi

# TLS 1.2 cipher suites (SGP.22 2.6.6): a server taking only a suite with an HMAC-SHA1, which
# OpenSSL's default list offered until session 76, is refused saying so; one taking only
# SGP.22's GCM or CBC-SHA256 suite gets past the handshake (its -www page is no CRL)
for case in ECDHE-ECDSA-AES128-SHA:refused ECDHE-ECDSA-AES128-GCM-SHA256:ok ECDHE-ECDSA-AES128-SHA256:ok; do
	suite=${case%%:*}
	s_server -tls1_2 -cipher "$suite"
	run pki crl-fetch "https://localhost:$sport/x.crl" --issuer-cert "$P/ci/ci.der" --out "$T/suite.crl" --ca-file "$T/h2.pem"
	if [[ ${case#*:} == refused ]]; then
		if [[ $rc -eq 1 && $err == *"the server accepted none of the TLS versions and cipher suites offered"* ]]; then ok; else bad "server with $suite only: rc=$rc $err"; fi
	else
		if [[ $rc -eq 1 && $err == *"no DER CRL and no PEM"* ]]; then ok; else bad "server with $suite only: rc=$rc $err"; fi
	fi
done

usage URL pki crl-fetch --issuer-cert "$P/ci/ci.der" --out "$F"
usage URL pki crl-fetch ftp://127.0.0.1/x --issuer-cert "$P/ci/ci.der" --out "$F"
usage --issuer-cert pki crl-fetch "$U/ci2.crl" --out "$F"
usage --out pki crl-fetch "$U/ci2.crl" --issuer-cert "$P/ci/ci.der"
usage --ca-file pki crl-fetch "https://127.0.0.1:1/x" --issuer-cert "$P/ci/ci.der" --out "$F"
usage --timeout pki crl-fetch "$U/ci2.crl" --issuer-cert "$P/ci/ci.der" --out "$F" --timeout 0
usage --out pki crl-fetch "$U/ci2.crl" --issuer-cert "$P/ci/ci.der" --out ""
failure "$T/none.der" pki crl-fetch "$U/ci2.crl" --issuer-cert "$T/none.der" --out "$F"

finish
