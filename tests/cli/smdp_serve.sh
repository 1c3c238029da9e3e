#!/usr/bin/env bash
# `openrsp smdp serve`: the SM-DP+ over real HTTPS, driven by curl (an independent client):
# configuration errors at start-up (and by --check, which also gives a summary), ES2+ with
# and without the operator token, ES9+ initiateAuthentication, the X-Admin-Protocol check,
# /metrics, /health, a clean stop on SIGTERM and on SIGHUP, and a drain before it.
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_serve.XXXXXX")
unset ORSP_KEK
. "$(dirname "$0")/lib/common.bash"
pid=""
pid2=""
pid3=""
hpid=""
R=""
cleanup() {
	# twice: a server with a drain (drain = N) stops at the second signal
	[[ -n "$pid" ]] && kill "$pid" 2>/dev/null && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	[[ -n "$pid2" ]] && kill "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null
	[[ -n "$pid3" ]] && kill "$pid3" 2>/dev/null && wait "$pid3" 2>/dev/null
	[[ -n "$hpid" ]] && kill "$hpid" 2>/dev/null && wait "$hpid" 2>/dev/null
	[[ -n "$R" ]] && rm -rf "$R"
	rm -rf "$T"
}
trap cleanup EXIT

command -v curl >/dev/null || {
	echo "curl is not installed (scripts/setup.sh installs it)" >&2
	exit 1
}

FQDN=smdp.example.org
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
TOKEN=test-operator-token-0123456789
conf() { # conf FILE [extra lines...]: a valid configuration plus extra lines
	local f=$1
	shift
	{
		echo "fqdn = $FQDN"
		echo "oid = 2.999.10"
		echo "port = 0"
		echo "database = smdp.db"
		echo "tls_cert = pki/smdp/dptls.pem"
		echo "tls_key = pki/smdp/dptls_key.pem"
		echo "es2_token = $TOKEN"
		for l in "$@"; do echo "$l"; done
		smdp_keyset_conf
	} >"$f"
	chmod 600 "$f" # it holds the ES2+ token
}

# ----- configuration errors: exit 1, one line naming the key -----
bad_conf() { # bad_conf WORD FILE: refused by serve, and by serve --check in the same words
	local rc=0
	"$B" smdp serve --config "$2" >/dev/null 2>"$T/err" || rc=$?
	if [[ $rc -eq 1 && "$(cat "$T/err")" == *"$1"* && $(wc -l <"$T/err") -eq 1 ]]; then ok; else bad "config '$1': rc=$rc $(cat "$T/err")"; fi
	rc=0
	"$B" smdp serve --config "$2" --check >"$T/cout" 2>"$T/cerr" || rc=$?
	if [[ $rc -eq 1 && ! -s "$T/cout" ]] && cmp -s "$T/err" "$T/cerr"; then ok; else bad "--check of config '$1': rc=$rc $(cat "$T/cout" "$T/cerr")"; fi
}
conf "$T/c1.conf" "colour = blue"
bad_conf "colour: unknown key" "$T/c1.conf"
conf "$T/c2.conf"
sed -i 's|^port = .*|port = 70000|' "$T/c2.conf"
bad_conf "port: expected a number" "$T/c2.conf"
# a key given twice would silently take the last value
conf "$T/c2b.conf" "port = 8443"
bad_conf "port: given twice (first on line 3)" "$T/c2b.conf"
conf "$T/c2d.conf" "drain = 601"
bad_conf "c2d.conf:8: drain: expected a number up to 600" "$T/c2d.conf"
conf "$T/c2r.conf" "es2_call_replay = maybe"
bad_conf "c2r.conf:8: es2_call_replay: expected yes or no" "$T/c2r.conf"
conf "$T/c2e.conf" "trusted_proxies = 127.0.0.1, 10.0.0.0/33"
bad_conf "c2e.conf:8: trusted_proxies: '10.0.0.0/33': bad prefix length: after '/', 0 to 32 for an IPv4 address" "$T/c2e.conf"
conf "$T/c3.conf"
sed -i 's|^dpauth_cert = .*|dpauth_cert = pki/smdp/dppb.der|' "$T/c3.conf"
bad_conf "dpauth_cert" "$T/c3.conf"
conf "$T/c4.conf"
sed -i 's|^dppb_key = .*|dppb_key = pki/smdp/dpauth_key.pem|' "$T/c4.conf"
bad_conf "c4.conf:13: dppb_key: does not belong" "$T/c4.conf"
# the same mistake with the DPtls key: refused at start-up, not by GnuTLS as a port problem
conf "$T/c4t.conf"
sed -i 's|^tls_key = .*|tls_key = pki/smdp/dppb_key.pem|' "$T/c4t.conf"
bad_conf "c4t.conf:6: tls_key: does not belong to tls_cert" "$T/c4t.conf"
# a listen address the HTTP server cannot take, and a brainpoolP256r1 DPtls (GnuTLS has no
# brainpool curves): refused at their lines, before any database or KEK file is created (they
# were found only when the server started, after the database, in words naming neither)
conf "$T/cl.conf" "listen = localhost"
sed -i 's|^database = .*|database = never.db|' "$T/cl.conf"
bad_conf "cl.conf:8: listen: expected a numeric IPv4 or IPv6 address" "$T/cl.conf"
# an address not this host's (TEST-NET-1): serve's bind fails before the database; --check
# binds the address too (and releases it at once), and refuses it in the same words (it
# found it only at the start)
conf "$T/cn.conf" "listen = 192.0.2.1"
sed -i 's|^port = .*|port = 8443|; s|^database = .*|database = never.db|' "$T/cn.conf"
bad_conf "openrsp: server: http server: cannot start on 192.0.2.1 port 8443: Cannot assign requested address" "$T/cn.conf"
"$B" pki init "$T/pkib" --curve brainpool --smdp-fqdn $FQDN >/dev/null
conf "$T/cb.conf"
sed -i 's|^database = .*|database = never.db|; s|pki/smdp/dptls|pkib/smdp/dptls|' "$T/cb.conf"
sed 's|pki/|pkib/|' <(smdp_keyset_conf) >>"$T/cb.conf"
bad_conf "cb.conf:6: tls_key: the DPtls key must be on P-256: the HTTPS server (GnuTLS) cannot use brainpoolP256r1" "$T/cb.conf"
if compgen -G "$T/never.db*" >/dev/null; then bad "a refused configuration created $(ls "$T"/never.db*)"; else ok; fi
# DPtls files the configuration's checks took but the HTTPS server does not (a DER certificate
# or key, text before the PEM block, as a PKCS#12 export writes it; an es2_client_ca with a
# comment): refused at their lines, before any database or KEK file is created (they were
# found only when the server started, after the database and its KEK were made)
openssl ec -in "$T/pki/smdp/dptls_key.pem" -outform DER -out "$T/dptls_key.der" 2>/dev/null
chmod 600 "$T/dptls_key.der"
{
	echo "Bag Attributes"
	echo "    localKeyID: 01"
	cat "$T/pki/smdp/dptls.pem"
} >"$T/dptls_bag.pem"
{
	echo "# the operator's CA"
	cat "$T/pki/ci/ci.pem"
} >"$T/opca.pem"
conf "$T/cd1.conf"
sed -i 's|^database = .*|database = never.db|; s|^tls_cert = .*|tls_cert = pki/smdp/dptls.der|' "$T/cd1.conf"
bad_conf "cd1.conf:5: tls_cert: $T/pki/smdp/dptls.der: $T/pki/smdp/dptls.der is not PEM text" "$T/cd1.conf"
conf "$T/cd2.conf"
sed -i 's|^database = .*|database = never.db|; s|^tls_cert = .*|tls_cert = dptls_bag.pem|' "$T/cd2.conf"
bad_conf "cd2.conf:5: tls_cert: $T/dptls_bag.pem: expected -----BEGIN CERTIFICATE-----" "$T/cd2.conf"
conf "$T/cd3.conf"
sed -i 's|^database = .*|database = never.db|; s|^tls_key = .*|tls_key = dptls_key.der|' "$T/cd3.conf"
bad_conf "cd3.conf:6: tls_key: $T/dptls_key.der: $T/dptls_key.der is not PEM text" "$T/cd3.conf"
conf "$T/cd4.conf" "es2_client_ca = opca.pem"
sed -i 's|^database = .*|database = never.db|' "$T/cd4.conf"
bad_conf "cd4.conf:8: es2_client_ca: $T/opca.pem: expected -----BEGIN CERTIFICATE-----" "$T/cd4.conf"
# a key file that is not there says why, as a certificate's does (until session 73 only
# "cannot open PATH")
conf "$T/cd5.conf"
sed -i 's|^database = .*|database = never.db|; s|^tls_key = .*|tls_key = no-such-key.pem|' "$T/cd5.conf"
bad_conf "cd5.conf:6: tls_key: cannot open $T/no-such-key.pem: No such file or directory" "$T/cd5.conf"
if compgen -G "$T/never.db*" >/dev/null; then bad "a refused DPtls or client CA file created $(ls "$T"/never.db*)"; else ok; fi
# a key of the global part appended after [keyset]: says where it goes
conf "$T/c4g.conf"
echo "metrics_cache = 0" >>"$T/c4g.conf"
bad_conf "c4g.conf:14: metrics_cache: not a key of [keyset]: the keys outside key sets go before the first [keyset]" "$T/c4g.conf"
conf "$T/c5.conf"
sed -i "s|^fqdn = .*|fqdn = other.example.org|" "$T/c5.conf"
bad_conf "c5.conf:5: tls_cert: not a valid DPtls certificate" "$T/c5.conf"
# one label is no FQDN: its activation codes would be refused by openrsp's LPA
conf "$T/c5s.conf"
sed -i "s|^fqdn = .*|fqdn = smdp|" "$T/c5s.conf"
bad_conf "c5s.conf:1: fqdn: not a DNS name: one label only, at least two are needed" "$T/c5s.conf"
conf "$T/c6.conf"
sed -i '/^tls_key/d' "$T/c6.conf"
bad_conf "tls_cert: HTTPS needs" "$T/c6.conf"
conf "$T/c7.conf"
sed -i 's|^ci = .*|ci = pki/no-such.der|' "$T/c7.conf"
bad_conf "ci: cannot load" "$T/c7.conf"
conf "$T/cu.conf" "max_unverified_notifications = 100000001"
bad_conf "max_unverified_notifications: expected a number up to 100000000" "$T/cu.conf"
# the database of an AuC (the subscriber keys): refused before an SM-DP+ table is added
"$B" auc add --db "$T/auc.db" --imsi 001010000000001 --k 000102030405060708090a0b0c0d0e0f \
	--opc 0f0e0d0c0b0a09080706050403020100 >/dev/null
conf "$T/ca.conf"
sed -i 's|^database = .*|database = auc.db|' "$T/ca.conf"
# (bounded: a server that took the database would serve until stopped)
rc=0
timeout 120 "$B" smdp serve --config "$T/ca.conf" >/dev/null 2>"$T/err" || rc=$?
expect "AuC database refused" "1 openrsp: server: $T/auc.db holds no SM-DP+ inventory but other tables (an AuC database?): the SM-DP+ needs a database of its own" "$rc $(cat "$T/err")"
rc=0
"$B" smdp serve --config "$T/ca.conf" --check >/dev/null 2>"$T/cerr" || rc=$?
expect "AuC database refused by --check" "1 $(cat "$T/err")" "$rc $(cat "$T/cerr")"
if grep -qs smdp_ "$T/auc.db" "$T/auc.db-wal"; then bad "smdp serve added tables to the AuC's database"; else ok; fi
if "$B" auc list --db "$T/auc.db" >/dev/null; then ok; else bad "the AuC's database no longer opens"; fi
# the platform policy: a version is three numbers, a list item is checked one by one
conf "$T/cp.conf" "min_euicc_firmware = 1.2"
bad_conf "cp.conf:8: min_euicc_firmware: expected a version major.minor.revision, each 0 to 255 (e.g. 1.2.0)" "$T/cp.conf"
conf "$T/cp2.conf" "eum_allowed = 0A0B, xyz"
bad_conf "cp2.conf:8: eum_allowed: 'xyz': expected the hex subjectKeyIdentifier of CERT.EUM" "$T/cp2.conf"
conf "$T/ct.conf"
chmod 644 "$T/ct.conf"
bad_conf "es2_token: $T/ct.conf holds the token and can be read or written by group or others" "$T/ct.conf"
# the SGP.26 DPtls certificate of July 2025 has expired (2026-08-02): refused with the date
# (its private keys copied with mode 600: a key file others can read is refused)
mkdir -p "$T/sgp26"
for k in DPtls/SK_S_SM_DP_TLS_NIST.pem DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem; do
	install -m 600 "$V/sgp26/$k" "$T/sgp26/${k#*/}"
done
if [[ $(date +%s) -gt $(date -d 2026-08-03 +%s) ]]; then
	conf "$T/c8.conf"
	sed -i "s|^fqdn = .*|fqdn = testsmdpplus1.example.com|; s|^tls_cert = .*|tls_cert = $V/sgp26/DPtls/CERT_S_SM_DP_TLS_NIST.pem|; s|^tls_key = .*|tls_key = $T/sgp26/SK_S_SM_DP_TLS_NIST.pem|; s|^ci = .*|ci = $V/sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der|; s|^dpauth_cert = .*|dpauth_cert = $V/sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der|; s|^dpauth_key = .*|dpauth_key = $T/sgp26/SK_S_SM_DPauth_ECDSA_NIST.pem|; s|^dppb_cert = .*|dppb_cert = $V/sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der|; s|^dppb_key = .*|dppb_key = $T/sgp26/SK_S_SM_DPpb_ECDSA_NIST.pem|" "$T/c8.conf"
	bad_conf "expired on 2026-08-02" "$T/c8.conf"
fi
# a signing key that others can read is refused, naming the key and the remedy
conf "$T/c9.conf"
chmod 644 "$T/pki/smdp/dppb_key.pem"
bad_conf "dppb_key.pem can be read or written by group or others (chmod 600 it)" "$T/c9.conf"
chmod 600 "$T/pki/smdp/dppb_key.pem"
rc=0
"$B" smdp serve --config "$T/none.conf" 2>/dev/null || rc=$?
if [[ $rc -eq 1 ]]; then ok; else bad "missing config file: rc=$rc"; fi
rc=0
"$B" smdp serve 2>/dev/null || rc=$?
if [[ $rc -eq 2 ]]; then ok; else bad "no --config: rc=$rc"; fi

# ----- serve --check on a good configuration: exit 0 and a summary; the port bound and
# released at once, no database or KEK file made -----
# a port free now, from the kernel's ephemeral range (a fixed one could be another program's,
# and --check would warn that it is in use)
CHKPORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
conf "$T/chk.conf"
sed -i "s|^port = .*|port = $CHKPORT|; s|^database = .*|database = fresh.db|" "$T/chk.conf"
SKI=$(openssl x509 -in "$T/pki/ci/ci.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :')
TLS_SUBJ=$(openssl x509 -in "$T/pki/smdp/dptls.pem" -noout -subject -nameopt oneline | sed 's/^subject=//')
TLS_END=$(date -u -d "$(openssl x509 -in "$T/pki/smdp/dptls.pem" -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
run smdp serve --config "$T/chk.conf" --check
if [[ $rc -eq 0 && "$out" == *"fqdn       $FQDN"* && "$out" == *"listen     https://127.0.0.1:$CHKPORT (HTTPS)"* &&
	"$out" == *"DPtls      $TLS_SUBJ, notAfter $TLS_END"* && "$out" == *"keyset 1: CI ${SKI,,}"* &&
	"$out" == *"  DPauth     "*"  DPpb       "* && "$out" == *"database   $T/fresh.db: does not exist yet"* &&
	"$out" == *"configuration $T/chk.conf: ok" && "$out" != *proxies* ]]; then ok; else bad "--check, good configuration: rc=$rc $out $err"; fi
if [[ "$err" == *"KEK file $T/fresh.db.kek: does not exist, \`serve\` would create it"* &&
	"$err" == *"database $T/fresh.db: does not exist, \`serve\` would create the inventory and the file"* &&
	"$err" != *warning* ]]; then ok; else bad "--check, new database: $err"; fi
if compgen -G "$T/fresh.db*" >/dev/null; then bad "--check made $(ls "$T"/fresh.db*)"; else ok; fi
# a database in a directory that does not exist: serve could not create it (nor its KEK
# file), so --check fails saying so (it said "serve would create it", exit 0: session 56)
sed "s|^database = .*|database = nodir/fresh.db|" "$T/chk.conf" >"$T/chk-nodir.conf"
chmod 600 "$T/chk-nodir.conf"
run smdp serve --config "$T/chk-nodir.conf" --check
if [[ $rc -ne 0 && "$err" == *"cannot create KEK file $T/nodir/fresh.db.kek: $T/nodir: No such file or directory"* ]]; then ok; else bad "--check, database in no directory: rc=$rc $out $err"; fi
# a further CI of trusted_ci is listed after the key sets, the key set's CI not again
cp "$T/chk.conf" "$T/chk-ci.conf"
sed -i "1i trusted_ci = $T/pkib/ci/ci.pem" "$T/chk-ci.conf"
SKIB=$(openssl x509 -in "$T/pkib/ci/ci.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :')
run smdp serve --config "$T/chk-ci.conf" --check
if [[ $rc -eq 0 && "$out" == *"keyset 1: CI ${SKI,,}"* && "$out" == *"trusted_ci ${SKIB,,}"* &&
	"$out" != *"trusted_ci ${SKI,,}"* ]]; then ok; else bad "--check, trusted_ci: rc=$rc $out $err"; fi
# the expiry warning: a PKI valid for 10 days; still exit 0 (serve starts with it)
"$B" pki init "$T/pki10" --smdp-fqdn $FQDN --days 10 >/dev/null
sed 's|pki/|pki10/|; s|^database = .*|database = fresh.db|' "$T/chk.conf" >"$T/chk10.conf"
chmod 600 "$T/chk10.conf"
run smdp serve --config "$T/chk10.conf" --check
if [[ $rc -eq 0 && "$out" == *"configuration $T/chk10.conf: ok" && $(grep -c 'expires on .*, in less than 30 days: renew it$' <<<"$err") -eq 3 &&
	"$err" == *"warning: the DPtls certificate"* && "$err" == *"warning: the DPauth certificate"* && "$err" == *"warning: the DPpb certificate"* ]]; then ok; else bad "--check, short-lived certificates: rc=$rc $out $err"; fi
# has_line WHAT LINE TEXT: LINE is a whole line of TEXT (a series' value, not its prefix)
has_line() { if grep -qxF -- "$2" <<<"$3"; then ok; else bad "$1: '$2' not a line of '$3'"; fi; }
# not_after FILE [DER]: a certificate's notAfter in seconds since the epoch, as openssl reads it
not_after() { date -u -d "$(openssl x509 -in "$1" -inform "${2:-PEM}" -noout -enddate | sed 's/^notAfter=//')" +%s; }
# serve says the same at its start, once, and a long-running one has each own certificate's
# notAfter in /metrics for an alert (until session 71 only --check said it, and /metrics had
# none): the callback certificate too, without a keyset, as DPtls
conf "$T/st10.conf" "callback_url = https://127.0.0.1:9" "callback_ca = pki/ci/ci.pem" \
	"callback_cert = pki/smdp/dptls.pem" "callback_key = pki/smdp/dptls_key.pem" "metrics_cache = 0"
sed -i 's|pki/|pki10/|; s|^database = .*|database = st10.db|' "$T/st10.conf"
"$B" smdp serve --config "$T/st10.conf" >"$T/port10" 2>"$T/serve10.log" &
pid3=$!
for _ in $(seq 1 1200); do [[ -s "$T/port10" ]] && break; kill -0 "$pid3" 2>/dev/null || break; sleep 0.1; done
PORT10=$(head -1 "$T/port10")
err10=$(cat "$T/serve10.log")
for w in DPtls DPauth DPpb callback; do
	has "serve's start: $w expires soon" "openrsp smdp: warning: the $w certificate expires on " "$err10"
done
if [[ $(grep -c '^openrsp smdp: warning: the [A-Za-z]* certificate expires on [0-9T:-]*Z, in less than 30 days: renew it$' <<<"$err10") -eq 4 ]]; then ok; else bad "serve's start: not one warning each: $err10"; fi
# its callback_ca, the 10-day CI, too (until session 71 --check alone said it)
has "serve's start: callback_ca expires soon" "openrsp smdp: warning: callback_ca $T/pki10/ci/ci.pem: a certificate expires on " "$err10"
DPTLS10_END=$(date -u -d "@$(not_after "$T/pki10/smdp/dptls.pem")" +%Y-%m-%dT%H:%M:%SZ)
has "serve's start: the date" "the DPtls certificate expires on $DPTLS10_END, in less than 30 days: renew it" "$err10"
m10=$(curl -s --max-time 10 --cacert "$T/pki10/ci/ci.pem" --resolve "$FQDN:$PORT10:127.0.0.1" "https://$FQDN:$PORT10/metrics" || true)
has_line "metrics, 10 days: DPtls notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"DPtls\"} $(not_after "$T/pki10/smdp/dptls.pem")" "$m10"
has_line "metrics, 10 days: DPauth notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"DPauth\",keyset=\"1\"} $(not_after "$T/pki10/smdp/dpauth.der" DER)" "$m10"
has_line "metrics, 10 days: DPpb notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"DPpb\",keyset=\"1\"} $(not_after "$T/pki10/smdp/dppb.der" DER)" "$m10"
has_line "metrics, 10 days: callback notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"callback\"} $(not_after "$T/pki10/smdp/dptls.pem")" "$m10"
if [[ $(grep -c '^openrsp_smdp_own_certificate_not_after_seconds{' <<<"$m10") -eq 4 ]]; then ok; else bad "metrics: not one notAfter series each: $(grep not_after <<<"$m10")"; fi
kill "$pid3" 2>/dev/null || true
wait "$pid3" || true
pid3=""
# callback_cert has a line of its own after the key sets, and the same warning (session 57)
conf "$T/chk-cb.conf" "callback_url = https://127.0.0.1:9" "callback_ca = pki/ci/ci.pem" \
	"callback_cert = pki10/smdp/dptls.pem" "callback_key = pki10/smdp/dptls_key.pem"
sed -i "s|^port = .*|port = $CHKPORT|; s|^database = .*|database = fresh.db|" "$T/chk-cb.conf"
CB_SUBJ=$(openssl x509 -in "$T/pki10/smdp/dptls.pem" -noout -subject -nameopt oneline | sed 's/^subject=//')
run smdp serve --config "$T/chk-cb.conf" --check
if [[ $rc -eq 0 && "$out" == *"  DPpb       "*"
callback   $CB_SUBJ, notAfter "* && $(grep -c 'renew it$' <<<"$err") -eq 1 &&
	"$err" == *"warning: the callback certificate expires on "* ]]; then ok; else bad "--check, callback_cert: rc=$rc $out $err"; fi
# callback_ca has a line of its own: how many certificates, how many within validity, when
# the first of those ends; warnings for one out of validity and one ending within 30 days
# (session 58; one with none within validity is refused at its line: test_smdp_server)
cat "$T/pki/ci/ci.pem" "$T/pki10/ci/ci.pem" >"$T/cbca2.pem"
dated_ci "$T/future" 20900101000000Z 20910101000000Z
cat "$T/future/ci.pem" >>"$T/cbca2.pem"
sed "s|^callback_ca = .*|callback_ca = cbca2.pem|" "$T/chk-cb.conf" >"$T/chk-cb2.conf"
chmod 600 "$T/chk-cb2.conf"
CA10_END=$(date -u -d "$(openssl x509 -in "$T/pki10/ci/ci.pem" -noout -enddate | sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
run smdp serve --config "$T/chk-cb2.conf" --check
if [[ $rc -eq 0 && "$out" == *"callback_ca $T/cbca2.pem: 3 certificates, 2 within validity, the first of them ends $CA10_END"* &&
	"$err" == *"warning: callback_ca $T/cbca2.pem: a certificate expires on $CA10_END, in less than 30 days: renew it"* ]]; then ok; else bad "--check, callback_ca: rc=$rc $out $err"; fi
if [[ "$err" == *"warning: callback_ca $T/cbca2.pem: 1 of its 3 certificates is out of validity (expired or not valid yet)"* ]]; then ok; else bad "--check, callback_ca out of validity: $err"; fi
# with plain_http the listen line says so and there is no DPtls line, trusted_proxies its own
# line (without, none: the HTTPS case above has none); an empty database file:
# the inventory would be made in it, and the file stays empty, nothing made beside it
conf "$T/chkp.conf" "plain_http = yes" "trusted_proxies = 127.0.0.1 2001:DB8::/32"
sed -i "/^tls_/d; s|^port = .*|port = $CHKPORT|; s|^database = .*|database = empty.db|" "$T/chkp.conf"
: >"$T/empty.db"
run smdp serve --config "$T/chkp.conf" --check
if [[ $rc -eq 0 && "$out" == *"listen     http://127.0.0.1:$CHKPORT (plain HTTP, for a TLS-terminating proxy in front)"* &&
	"$out" == *"proxies    127.0.0.1/32 2001:db8::/32 (X-Forwarded-For from these names the client)"* &&
	"$out" != *DPtls* && "$out" == *"database   $T/empty.db: holds no table yet"* &&
	"$err" == *"database $T/empty.db: holds no table, \`serve\` would create the inventory in it"* ]]; then ok; else bad "--check, plain HTTP, empty database: rc=$rc $out $err"; fi
if [[ ! -s "$T/empty.db" ]] && ! compgen -G "$T/empty.db?*" >/dev/null; then ok; else bad "--check wrote to or beside an empty database: $(ls -l "$T"/empty.db*)"; fi
if [[ "$err" != *"takes every"* ]]; then ok; else bad "--check warned of trusted_proxies without a /0: $err"; fi
if [[ "$err" != *"in clear"* ]]; then ok; else bad "--check warned of a token on a loopback plain listen: $err"; fi
# plain HTTP on an address other hosts reach, with a bearer token: said, still exit 0 (the
# proxy may be another host on a protected path); until session 78 nothing was said
sed '1i listen = 0.0.0.0' "$T/chkp.conf" >"$T/chkpa.conf"
chmod 600 "$T/chkpa.conf"
run smdp serve --config "$T/chkpa.conf" --check
if [[ $rc -eq 0 && $(grep -c "in clear" <<<"$err") -eq 1 &&
	"$err" == *"openrsp smdp: warning: plain_http on 0.0.0.0: the ES2+ bearer token crosses the network in clear, to be read by whoever sees the traffic, unless the proxy in front is on this host (listen = 127.0.0.1) or the path to it is protected otherwise"* ]]; then ok; else bad "--check, plain HTTP on 0.0.0.0 with a token: rc=$rc $out $err"; fi
# a /0 prefix trusts every peer: taken, with a warning for it alone (exit 0)
sed 's|^trusted_proxies = .*|trusted_proxies = 0.0.0.0/0, ::1|' "$T/chkp.conf" >"$T/chk0.conf"
chmod 600 "$T/chk0.conf"
run smdp serve --config "$T/chk0.conf" --check
if [[ $rc -eq 0 && "$out" == *"proxies    0.0.0.0/0 ::1/128 "* && $(grep -c "takes every" <<<"$err") -eq 1 &&
	"$err" == *"openrsp smdp: warning: trusted_proxies 0.0.0.0/0 takes every IPv4 peer for a proxy: any such client chooses the address logged for it (X-Forwarded-For)"* ]]; then ok; else bad "--check, trusted_proxies /0: rc=$rc $out $err"; fi

# the two-CI setup of docs/pki.md (pki init --curve both: the NIST DPtls, a key set of each
# hierarchy): an eUICC that trusts only the brainpool CI refuses the DPtls (SGP.22: the LPA
# checks it against the eUICC's CIs), and GnuTLS holds no brainpool DPtls: a warning for
# that key set alone, exit 0 (nothing was said until session 75); none with plain_http
"$B" pki init "$T/pkin" --curve both --smdp-fqdn $FQDN >/dev/null
sed "s|pki/smdp/dptls|pkin/nist/smdp/dptls|; s|^database = .*|database = fresh.db|; /^\[keyset\]/,\$d" "$T/chk.conf" >"$T/chk2.conf"
{
	sed 's|pki/|pkin/nist/|' <(smdp_keyset_conf)
	sed 's|pki/|pkin/brainpool/|' <(smdp_keyset_conf)
} >>"$T/chk2.conf"
chmod 600 "$T/chk2.conf"
SKIN=$(openssl x509 -in "$T/pkin/nist/ci/ci.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :')
SKIP=$(openssl x509 -in "$T/pkin/brainpool/ci/ci.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :')
run smdp serve --config "$T/chk2.conf" --check
if [[ $rc -eq 0 && "$out" == *"configuration $T/chk2.conf: ok" && $(grep -c warning <<<"$err") -eq 1 &&
	"$err" == *"openrsp smdp: warning: key set 2 (CI ${SKIP,,}): an eUICC that trusts only that CI refuses this server's DPtls, issued under CI ${SKIN,,} (SGP.22: the LPA checks it against the eUICC's CIs); serve such eUICCs through a TLS proxy holding a DPtls of that CI, or over plain_http behind one"* ]]; then ok; else bad "--check, a key set of another CI than the DPtls's: rc=$rc $out $err"; fi
sed "/^tls_/d; 1i plain_http = yes" "$T/chk2.conf" >"$T/chk2p.conf"
chmod 600 "$T/chk2p.conf"
run smdp serve --config "$T/chk2p.conf" --check
if [[ $rc -eq 0 && "$err" != *warning* ]]; then ok; else bad "--check, two CIs over plain_http: rc=$rc $out $err"; fi

# ----- a running server -----
"$B" smdp profile import "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --db "$T/smdp.db" >/dev/null
# serve --check on the database: its schema and profiles; the ES9+ tables, not there
# before the first start, are said to come
sed -i 's|^database = .*|database = smdp.db|' "$T/chk.conf"
run smdp serve --config "$T/chk.conf" --check
if [[ $rc -eq 0 && "$out" == *"database   $T/smdp.db: schema version "*", ES9+ schema version 0; profiles: available 1, 1 in all"$'\n'"configuration $T/chk.conf: ok" &&
	"$err" == "openrsp smdp: database $T/smdp.db: ES9+ schema version 0, \`serve\` would migrate it to "[1-9]* ]]; then ok; else bad "--check, database: rc=$rc $out $err"; fi
# (a WAL database no process has open: SQLite would make -wal and -shm to read it)
if compgen -G "$T/smdp.db-*" >/dev/null; then bad "--check made $(ls "$T"/smdp.db-*)"; else ok; fi
# the operator's endpoint is a closed port: progress reports stay pending (retried)
# (/metrics reads the database at every scrape: the checks below follow each change)
# (curl, on 127.0.0.1, stands for a trusted proxy: its X-Forwarded-For names the client logged)
# (SSLKEYLOGFILE names a file for the TLS secrets: GnuTLS, the server's TLS, wrote every
# connection's there, readable by all, until session 56; now ignored with a warning)
# (es2_call_replay: a downloadOrder sent again is answered as a replay, below)
conf "$T/good.conf" "callback_url = http://127.0.0.1:9" "metrics_cache = 0" "trusted_proxies = 127.0.0.1 ::1" \
	"es2_call_replay = yes"
SSLKEYLOGFILE="$T/tls-keys.log" GNUTLS_KEYLOGFILE="$T/tls-keys2.log" "$B" smdp serve --config "$T/good.conf" >"$T/port" 2>"$T/serve.log" &
pid=$!
for _ in $(seq 1 1200); do [[ -s "$T/port" ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
PORT=$(head -1 "$T/port")
[[ -n "$PORT" ]] || {
	cat "$T/serve.log" >&2
	exit 1
}
C=(curl -s --max-time 10 --cacert "$T/pki/ci/ci.pem" --resolve "$FQDN:$PORT:127.0.0.1")
URL=https://$FQDN:$PORT
post() { # post PATH BODY [extra curl args]: prints "<http code> <body>"
	local p=$1 b=$2
	shift 2
	"${C[@]}" -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H 'X-Admin-Protocol: gsma/rsp/v2.2.0' "$@" -d "$b" "$URL$p"
	echo " $(cat "$T/body")"
}
HDR='"header":{"functionRequesterIdentifier":"operator-a","functionCallIdentifier":"1"}'

# ES2+ without / with a wrong token: 401
r=$(post /gsma/rsp2/es2plus/downloadOrder "{$HDR,\"iccid\":\"89000123456789012341\"}")
[[ "$r" == 401* ]] && ok || bad "ES2+ without token: $r"
r=$(post /gsma/rsp2/es2plus/downloadOrder "{$HDR,\"iccid\":\"89000123456789012341\"}" -H "Authorization: Bearer wrong-token-wrong-token")
[[ "$r" == 401* ]] && ok || bad "ES2+ wrong token: $r"
# downloadOrder + confirmOrder with release
r=$(post /gsma/rsp2/es2plus/downloadOrder "{$HDR,\"iccid\":\"89000123456789012341\",\"eid\":\"89049032123451234512345678901235\"}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == '200 '*'"iccid":"89000123456789012341"'*'Executed-Success'* ]] && ok || bad "downloadOrder: $r"
# the same call again (its answer lost): the same order, none placed; the call's identifier
# for another request is refused (docs/smdp-server.md, "A repeated downloadOrder is a replay")
r=$(post /gsma/rsp2/es2plus/downloadOrder "{$HDR,\"iccid\":\"89000123456789012341\",\"eid\":\"89049032123451234512345678901235\"}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == '200 '*'"iccid":"89000123456789012341"'*'Executed-Success'* ]] && ok || bad "downloadOrder replayed: $r"
r=$(post /gsma/rsp2/es2plus/downloadOrder "{$HDR,\"iccid\":\"89000123456789012341\"}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == '200 '*'"subjectCode":"1.2","reasonCode":"2.1"'* && "$r" == *'functionCallIdentifier 1 was used for another request'* ]] && ok || bad "downloadOrder's call identifier for another request: $r"
r=$(post /gsma/rsp2/es2plus/confirmOrder "{$HDR,\"iccid\":\"89000123456789012341\",\"releaseFlag\":true}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == '200 '*'"matchingId":"'*'"smdpAddress":"'$FQDN'"'* ]] && ok || bad "confirmOrder: $r"
# the same call again: answered as it was (since session 79, "A repeated confirmOrder,
# cancelOrder or releaseProfile is a replay too"); another call is executed, and refused
r2=$(post /gsma/rsp2/es2plus/confirmOrder "{$HDR,\"iccid\":\"89000123456789012341\",\"releaseFlag\":true}" -H "Authorization: Bearer $TOKEN")
expect "confirmOrder replayed" "$r" "$r2"
HDR2='"header":{"functionRequesterIdentifier":"operator-a","functionCallIdentifier":"confirm-2"}'
r=$(post /gsma/rsp2/es2plus/confirmOrder "{$HDR2,\"iccid\":\"89000123456789012341\",\"releaseFlag\":true}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == *'"subjectCode":"8.2.1","reasonCode":"3.3"'* ]] && ok || bad "confirmOrder twice: $r"
r=$(post /gsma/rsp2/es2plus/releaseProfile "{$HDR,\"iccid\":\"89000000000000000000\"}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == *'"status":"Failed"'* ]] && ok || bad "releaseProfile unknown: $r"
# the scheme's name is case-insensitive (RFC 9110 §11.1): "bearer" is Bearer
r=$(post /gsma/rsp2/es2plus/releaseProfile "{$HDR,\"iccid\":\"89000000000000000000\"}" -H "Authorization: bearer $TOKEN")
if [[ "$r" == '200 '*'"status":"Failed"'* ]]; then ok; else bad "ES2+ with 'bearer': $r"; fi
r=$(post /gsma/rsp2/es2plus/downloadOrder "{\"iccid\":\"1\"}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == *'"subjectCode":"1.2","reasonCode":"2.1"'* ]] && ok || bad "ES2+ without header: $r"

# ES9+: initiateAuthentication with this PKI's CI ($SKI, above)
L=$((${#SKI} / 2))
INNER=$(printf '8203020202a9%02x04%02x%saa%02x04%02x%s' $((L + 2)) $L "$SKI" $((L + 2)) $L "$SKI")
INFO1=$(printf 'bf20%02x%s' $((${#INNER} / 2)) "$INNER" | xxd -r -p | base64 -w0)
r=$(post /gsma/rsp2/es9plus/initiateAuthentication "{\"euiccChallenge\":\"i88b5K2pyYrwYphzMAVhAw==\",\"euiccInfo1\":\"$INFO1\",\"smdpAddress\":\"$FQDN\"}")
[[ "$r" == '200 '*'"transactionId":"'*'"serverSignature1":"'*'Executed-Success'* ]] && ok || bad "initiateAuthentication: $r"
r=$(post /gsma/rsp2/es9plus/initiateAuthentication "{\"euiccChallenge\":\"i88b5K2pyYrwYphzMAVhAw==\",\"euiccInfo1\":\"$INFO1\",\"smdpAddress\":\"evil.example.org\"}")
[[ "$r" == *'"subjectCode":"8.8.1","reasonCode":"3.8"'* ]] && ok || bad "wrong address: $r"
# no X-Admin-Protocol: 400; unknown function: 404; garbage: Failed
code=$("${C[@]}" -o /dev/null -w '%{http_code}' -X POST -d '{}' "$URL/gsma/rsp2/es9plus/initiateAuthentication")
[[ "$code" == 400 ]] && ok || bad "no X-Admin-Protocol: $code"
r=$(post /gsma/rsp2/es9plus/frobnicate '{}')
[[ "$r" == 404* ]] && ok || bad "unknown function: $r"
r=$(post /gsma/rsp2/es9plus/authenticateClient '{"transactionId":')
[[ "$r" == *'"subjectCode":"1.2"'* ]] && ok || bad "malformed JSON: $r"
# a body over the limit: 413 every time (the server reads and drops it first; answered
# before the body, curl often got a reset instead of the answer)
head -c 300000 /dev/zero | tr '\0' 'a' >"$T/big"
codes=""
for _ in 1 2 3 4 5; do
	codes+=$("${C[@]}" -o /dev/null -w '%{http_code}' -X POST -H 'X-Admin-Protocol: gsma/rsp/v2.2.0' --data-binary @"$T/big" "$URL/gsma/rsp2/es9plus/initiateAuthentication" || true)" "
done
[[ "$codes" == "413 413 413 413 413 " ]] && ok || bad "oversized body: $codes"
# a client that leaves before its request is whole gets no answer: still one log line and a
# count, "aborted" (else a slow or vanishing client would leave no trace)
python3 -c 'import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
s.sendall(b"POST /gsma/rsp2/es9plus/initiateAuthentication HTTP/1.1\r\nHost: x\r\n"
          b"Content-Length: 100\r\n\r\n{\"a\"")
time.sleep(0.3)
s.close()' "$PORT"
# the server certificate is checked by the client against the FQDN: wrong name fails
if "${C[@]}" -o /dev/null "https://127.0.0.1:$PORT/metrics" 2>/dev/null; then bad "TLS name check passed for 127.0.0.1"; else ok; fi
# /health for load balancers, on the same HTTPS port (its 503s: test_health, test_health_stopping)
h=$("${C[@]}" "$URL/health") && [[ "$h" == "ok" ]] && ok || bad "health: $h"
# /metrics (the HTTP server's hook counts a request once its answer is out, maybe after curl
# has it: /health's just before, the last 413 and the request left unfinished may be a moment
# late, more so beside a sanitizer's server on a loaded machine)
m=$("${C[@]}" "$URL/metrics")
for _ in $(seq 1 600); do
	[[ "$m" == *'openrsp_smdp_requests_total{function="health",result="200"} 1'* &&
		"$m" == *'openrsp_smdp_requests_total{function="other",result="413"} 5'* &&
		"$m" == *'openrsp_smdp_requests_total{function="other",result="aborted"} 1'* ]] && break
	sleep 0.1
	m=$("${C[@]}" "$URL/metrics")
done
[[ "$m" == *'openrsp_smdp_requests_total{function="health",result="200"} 1'* ]] && ok || bad "metrics: health: $(grep function=.health <<<"$m")"
[[ "$m" == *'openrsp_smdp_requests_total{function="initiateAuthentication",result="200"} 1'* ]] && ok || bad "metrics: initiateAuthentication"
[[ "$m" == *'result="8.8.1/3.8"} 1'* ]] && ok || bad "metrics: failures by code"
# requests refused before their handler are counted too: 401 and 400 under their function,
# what the HTTP server answered itself (404, 413) under "other", never under the path
[[ "$m" == *'openrsp_smdp_requests_total{function="downloadOrder",result="401"} 2'* ]] && ok || bad "metrics: 401: $(grep result=.401 <<<"$m")"
[[ "$m" == *'openrsp_smdp_requests_total{function="initiateAuthentication",result="400"} 1'* ]] && ok || bad "metrics: 400: $(grep result=.400 <<<"$m")"
[[ "$m" == *'openrsp_smdp_requests_total{function="other",result="404"} 1'* && "$m" == *'openrsp_smdp_requests_total{function="other",result="413"} 5'* ]] && ok || bad "metrics: 404/413: $(grep function=.other <<<"$m")"
if grep -q frobnicate <<<"$m"; then bad "metrics: a path as a label"; else ok; fi
[[ "$m" == *'openrsp_smdp_requests_total{function="other",result="aborted"} 1'* ]] && ok || bad "metrics: a request left unfinished: $(grep function=.other <<<"$m")"
[[ "$m" == *'openrsp_smdp_profiles{state="released"} 1'* ]] && ok || bad "metrics: profiles by state"
# the crypto CPU time: serverSignature1 was made, so more than nothing, and less than all
cs=$(sed -n 's/^openrsp_smdp_crypto_cpu_seconds_total //p' <<<"$m")
ps=$(sed -n 's/^process_cpu_seconds_total //p' <<<"$m")
awk -v c="$cs" -v p="$ps" 'BEGIN { exit !(c > 0 && p > 0 && c < p) }' && ok || bad "metrics: crypto CPU $cs of $ps"
# connections: each curl call above had its own (more than 20), this scrape's is open, none
# was refused or reset by the server (max_connections_per_ip 0, no request left overdue)
acc=$(sed -n 's/^openrsp_http_connections_accepted_total //p' <<<"$m")
opn=$(sed -n 's/^openrsp_http_connections_open //p' <<<"$m")
[[ "$acc" =~ ^[0-9]+$ && $acc -gt 20 && "$opn" =~ ^[0-9]+$ && $opn -ge 1 && "$m" == *$'\nopenrsp_http_connections_refused_total 0\n'* &&
	"$m" == *$'\nopenrsp_http_connections_reset_total{reason="idle"} 0\n'* && "$m" == *$'\nopenrsp_http_connections_reset_total{reason="deadline"} 0\n'* ]] && ok || bad "metrics: connections: $(grep connections <<<"$m")"
[[ "$m" == *'openrsp_smdp_request_duration_seconds_bucket{function="confirmOrder",le="+Inf"} 3'* && "$m" == *'openrsp_smdp_request_duration_seconds_sum{function="confirmOrder"} '* ]] && ok || bad "metrics: histogram"
# in seconds (Prometheus' base unit), the buckets past the 5 s busy timeout
les=$(sed -n 's/^openrsp_smdp_request_duration_seconds_bucket{function="confirmOrder",le="\([^"]*\)"}.*/\1/p' <<<"$m" | tr '\n' ' ')
[[ "$les" == "0.001 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf " ]] && ok || bad "metrics: histogram buckets: $les"
if grep -q '_ms' <<<"$m"; then bad "metrics: a name in milliseconds"; else ok; fi
# Prometheus' own readers: promtool's lint (names, units, types) and prometheus_client's parser,
# which reads the same samples
parsed=""
metrics_parse "$m" parsed
has "metrics as prometheus_client reads them: the histogram" 'openrsp_smdp_request_duration_seconds_bucket{function="confirmOrder",le="+Inf"} 3.0' "$parsed"
has "metrics as prometheus_client reads them: a failure by code" 'result="8.8.1/3.8"} 1.0' "$parsed"
# the own certificates' notAfter (long ones here: no warning at the start)
has_line "metrics: DPtls notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"DPtls\"} $(not_after "$T/pki/smdp/dptls.pem")" "$m"
has_line "metrics: DPauth notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"DPauth\",keyset=\"1\"} $(not_after "$T/pki/smdp/dpauth.der" DER)" "$m"
has_line "metrics as prometheus_client reads them: DPpb notAfter" "openrsp_smdp_own_certificate_not_after_seconds{cert=\"DPpb\",keyset=\"1\"} $(not_after "$T/pki/smdp/dppb.der" DER).0" "$parsed"
lacks "no callback notAfter without callback_cert" 'cert="callback"' "$m"
lacks "serve's start: no expiry warning for certificates of years" "expires on" "$(cat "$T/serve.log")"
# one log line per request, no secret, naming the client (only refused requests did until
# session 57)
grep -q 'function=initiateAuthentication tid=[0-9A-F]\{32\} eid=- http=200 result=ok ms=[0-9.]* client=127.0.0.1$' "$T/serve.log" && ok || bad "request log line: $(grep 'function=initiateAuthentication tid=[0-9A-F]' "$T/serve.log")"
# ... in the same format for requests refused before a handler, or that reached none
grep -q '^openrsp smdp: es2+ function=downloadOrder tid=- eid=- http=401 result=refused ms=[0-9.]* client=127.0.0.1$' "$T/serve.log" && ok || bad "log line of a 401: $(grep 'http=401' "$T/serve.log")"
grep -q '^openrsp smdp: es9+ function=initiateAuthentication tid=- eid=- http=400 result=refused ms=[0-9.]* client=127.0.0.1$' "$T/serve.log" && ok || bad "log line of a 400: $(grep 'http=400' "$T/serve.log")"
grep -q '^openrsp smdp: http function=other tid=- eid=- http=404 result=refused ms=[0-9.]* client=127.0.0.1 method=POST path=/gsma/rsp2/es9plus/frobnicate$' "$T/serve.log" && ok || bad "log line of a 404: $(grep 'http=404' "$T/serve.log")"
# behind a trusted proxy: the client it forwarded, and the proxy (via); an entry that is no
# address keeps the proxy's own
post /gsma/rsp2/es2plus/downloadOrder '{}' -H 'X-Forwarded-For: 198.51.100.7, ::1' >/dev/null
post /gsma/rsp2/es9plus/frobnicate2 '{}' -H 'X-Forwarded-For: 2001:DB8::9' >/dev/null
post /gsma/rsp2/es9plus/frobnicate3 '{}' -H 'X-Forwarded-For: unknown' >/dev/null
post /gsma/rsp2/es9plus/cancelSession '{"transactionId":"00"}' -H 'X-Forwarded-For: 203.0.113.5' >/dev/null
# (the 404s are logged by the HTTP server's hook, once their answers are out: maybe later)
logged_404s() { [[ $(grep -c 'http=404 .* path=/gsma/rsp2/es9plus/frobnicate[23]$' "$T/serve.log") -ge 2 ]]; }
wait_for 60 "the log lines of the 404s through a proxy" logged_404s
grep -q '^openrsp smdp: es9+ function=cancelSession tid=[0-9A-F-]* eid=- http=200 result=[0-9./]* ms=[0-9.]* client=203.0.113.5 via=127.0.0.1$' "$T/serve.log" && ok || bad "log line of an answered request through a proxy: $(grep 'function=cancelSession' "$T/serve.log")"
grep -q '^openrsp smdp: es2+ function=downloadOrder tid=- eid=- http=401 result=refused ms=[0-9.]* client=198.51.100.7 via=127.0.0.1$' "$T/serve.log" && ok || bad "log line of a 401 through a proxy: $(grep 'http=401' "$T/serve.log")"
grep -q '^openrsp smdp: http function=other tid=- eid=- http=404 result=refused ms=[0-9.]* client=2001:db8::9 via=127.0.0.1 method=POST path=/gsma/rsp2/es9plus/frobnicate2$' "$T/serve.log" && ok || bad "log line of a 404 through a proxy: $(grep 'frobnicate2' "$T/serve.log")"
grep -q '^openrsp smdp: http function=other tid=- eid=- http=404 result=refused ms=[0-9.]* client=127.0.0.1 method=POST path=/gsma/rsp2/es9plus/frobnicate3$' "$T/serve.log" && ok || bad "log line of a 404, no address forwarded: $(grep 'frobnicate3' "$T/serve.log")"
[[ $(grep -c 'http=413' "$T/serve.log") -eq 5 ]] && ok || bad "log lines of 413s: $(grep 'http=413' "$T/serve.log")"
grep -q '^openrsp smdp: http function=other tid=- eid=- http=0 result=aborted ms=[0-9.]* client=127.0.0.1 method=POST path=/gsma/rsp2/es9plus/initiateAuthentication$' "$T/serve.log" && ok || bad "log line of a request left unfinished: $(grep 'result=aborted' "$T/serve.log")"
if grep -q "$TOKEN" "$T/serve.log"; then bad "token in the log"; else ok; fi
# no TLS secret written anywhere, after all those HTTPS requests
if [[ ! -e "$T/tls-keys.log" && ! -e "$T/tls-keys2.log" ]] &&
	grep -q '^openrsp: warning: SSLKEYLOGFILE ignored: openrsp writes no TLS secrets to a file$' "$T/serve.log" &&
	grep -q '^openrsp: warning: GNUTLS_KEYLOGFILE ignored' "$T/serve.log"; then ok; else bad "TLS key log: $(ls -l "$T"/tls-keys* 2>&1) $(grep KEYLOG "$T/serve.log")"; fi
# a scrape of /metrics too: logged and counted like the others
if grep -q '^openrsp smdp: metrics function=metrics tid=- eid=- http=200 result=ok ms=[0-9.]*$' "$T/serve.log"; then ok; else bad "log line of a scrape: $(grep 'function=metrics' "$T/serve.log")"; fi
m=$("${C[@]}" "$URL/metrics")
if [[ "$m" == *'openrsp_smdp_requests_total{function="metrics",result="200"} '[1-9]* ]]; then ok; else bad "metrics: scrapes not counted: $(grep function=.metrics <<<"$m")"; fi
# a database another process keeps locked past the busy timeout (5 s): a bare 500, and the
# request's log line says it failed, and why. The lock is held until the answer came (at
# most 120 s): held for a fixed 7 s, a request that reached the database more than 2 s
# after the lock (a slow start of curl, a sanitizer's server on a loaded machine) got it
# and was served.
python3 -c 'import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
end = time.monotonic() + 120
while not os.path.exists(sys.argv[3]) and time.monotonic() < end:
    time.sleep(0.05)
c.execute("ROLLBACK")' "$T/smdp.db" "$T/locked" "$T/unlock" &
locker=$!
wait_for 60 "the write lock on $T/smdp.db" test -e "$T/locked"
r=$(post /gsma/rsp2/es2plus/downloadOrder "{$HDR,\"iccid\":\"89000123456789012341\"}" -H "Authorization: Bearer $TOKEN" --max-time 60)
touch "$T/unlock"
[[ "$r" == '500 ' ]] && ok || bad "downloadOrder on a locked database: $r"
wait "$locker"
grep -q 'function=downloadOrder tid=- eid=- http=500 result=error ms=[0-9.]* client=127.0.0.1 error=.' "$T/serve.log" && ok || bad "log line of a 500: $(grep 'http=500' "$T/serve.log")"
# ... after the busy timeout, not much later: the 500 does not wait for the lock to go (which
# it did not before the answer) nor come before the 5 s (the server's own measure)
ms=$(sed -n 's/.*function=downloadOrder tid=- eid=- http=500 result=error ms=\([0-9.]*\) .*/\1/p' "$T/serve.log")
if awk -v ms="$ms" 'BEGIN { exit !(ms != "" && ms >= 5000 && ms < 20000) }'; then ok; else bad "a 500 after $ms ms, not after the busy timeout of 5 s"; fi
# ... and only that line: the HTTP module's hook does not log it again
[[ $(grep -c 'http=500' "$T/serve.log") -eq 1 ]] && ok || bad "a 500 logged more than once: $(grep 'http=500' "$T/serve.log")"
# cancelOrder back to Available, then the operator CLI orders with the server's configuration
r=$(post /gsma/rsp2/es2plus/cancelOrder "{$HDR,\"iccid\":\"89000123456789012341\",\"finalProfileStatusIndicator\":\"Available\"}" -H "Authorization: Bearer $TOKEN")
[[ "$r" == '200 '*'Executed-Success'* ]] && ok || bad "cancelOrder: $r"
# the audit's columns stay aligned for the longest actions (cancelOrder(available) ...)
run smdp audit --db "$T/smdp.db" --iccid 89000123456789012341
cols=$(awk '{ print index($0, NR == 1 ? "ICCID" : "89000123456789012341") }' <<<"$out" | sort -u | wc -l)
if [[ $rc -eq 0 && "$out" == *"cancelOrder(available)"* && $cols -eq 1 ]]; then ok; else bad "audit columns: $out"; fi
out=$("$B" smdp order --config "$T/good.conf" --iccid 89000123456789012341 --matching-id CLI-ORDER-0 --release 2>&1) && rc=0 || rc=$?
[[ $rc -eq 0 && "$out" == "LPA:1\$$FQDN\$CLI-ORDER-0" ]] && ok || bad "smdp order --config: rc=$rc $out"
rc=0
"$B" smdp order --config "$T/good.conf" --profile-type nothing-like-this >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] && ok || bad "smdp order --config without a profile: rc=$rc"
rc=0
"$B" smdp order --config "$T/good.conf" --db "$T/x.db" --iccid 1 >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] && ok || bad "--config with --db: rc=$rc"
# every command that takes --db takes the server's configuration instead
run smdp audit --config "$T/good.conf" --iccid 89000123456789012341
if [[ $rc -eq 0 && "$out" == *"CLI-ORDER-0"* ]]; then ok; else bad "smdp audit --config: rc=$rc $out $err"; fi
run smdp profile list --config "$T/good.conf" --json
if [[ $rc -eq 0 && "$out" == *'"matchingId":"CLI-ORDER-0"'* ]]; then ok; else bad "smdp profile list --config: rc=$rc $out $err"; fi
run smdp reports --config "$T/good.conf"
if [[ $rc -eq 0 ]]; then ok; else bad "smdp reports --config: rc=$rc $err"; fi
run smdp audit --config "$T/good.conf" --kek-file "$T/x.kek"
if [[ $rc -eq 2 && "$err" == *"--config: give either --config or --db/--kek-file"* ]]; then ok; else bad "audit --config with --kek-file: rc=$rc $err"; fi
m=$("${C[@]}" "$URL/metrics")
[[ "$m" == *'openrsp_smdp_profiles{state="released"} 1'* ]] && ok || bad "metrics after the CLI order"
# bench smdp --url drives this server as it would another: one complete download of the
# order, then the order is used up and the server's refusal is the bench's error (the order,
# placed without an EID, was bound to the first download's eUICC; the bench's next eUICC is
# another one)
bench_url() {
	rc=0
	out=$("$B" bench smdp --url "https://127.0.0.1:$PORT" --server-pid "$pid" --pki "$T/pki" \
		--smdp-address $FQDN --matching-id CLI-ORDER-{n} --downloads 1 --clients 1 "$@" 2>"$T/err") || rc=$?
}
bench_url --json
[[ $rc -eq 0 && "$out" == '{"transport":"https","downloads":1,'*'"server_crypto_ms_per_download":'[0-9]*'"external":true,"crypto_cold_ms_per_download":'[0-9]* ]] && ok || bad "bench --url: rc=$rc $out $(cat "$T/err")"
m=$("${C[@]}" "$URL/metrics")
[[ "$m" == *'openrsp_smdp_profiles{state="installed"} 1'* ]] && ok || bad "metrics after bench --url"
# the download's two reports (BPP download, installation) wait for the operator's endpoint
[[ "$m" == *'openrsp_smdp_progress_reports{delivery="pending"} 2'* && "$m" == *'openrsp_smdp_progress_reports{delivery="given_up"} 0'* ]] && ok || bad "metrics: undelivered reports: $(grep progress_reports <<<"$m")"
out=$("$B" smdp reports --db "$T/smdp.db" --json 2>&1) && rc=0 || rc=$?
expect_reports=$(python3 -c 'import json,sys; print(" ".join("%d:%s:%s" % (r["notificationPointId"], r["status"], r["delivery"]) for r in json.load(sys.stdin)))' <<<"$out" 2>&1)
[[ $rc -eq 0 && "$expect_reports" == "3:Executed-Success:pending 4:Executed-Success:pending" ]] && ok || bad "smdp reports: rc=$rc $expect_reports"
bench_url
[[ $rc -eq 1 && "$(cat "$T/err")" == *"authenticateClient: 8.1.1/3.8"*"EID does not match the order"* ]] && ok || bad "bench --url, order used up: rc=$rc $(cat "$T/err")"
# the port already in use (by this server): start-up fails with one line, before the
# database is opened: a new one is not created (nor its KEK file), an older one is not
# migrated (the port is bound first; it was found only after the migrations)
conf "$T/busy.conf"
sed -i "s|^port = .*|port = $PORT|; s|^database = .*|database = busy.db|" "$T/busy.conf"
rc=0
"$B" smdp serve --config "$T/busy.conf" >/dev/null 2>"$T/err" || rc=$?
[[ $rc -eq 1 && $(grep -c '^openrsp: ' "$T/err") -eq 1 ]] && ok || bad "busy port: rc=$rc $(cat "$T/err")"
[[ ! -e "$T/busy.db" && ! -e "$T/busy.db.kek" ]] && ok || bad "busy port: a database or KEK file made"
# a copy of the served database one ES9+ migration behind, in rollback-journal mode
python3 -c 'import sqlite3, sys
s = sqlite3.connect(sys.argv[1])
d = sqlite3.connect(sys.argv[2])
s.backup(d)
s.close()
d.execute("PRAGMA journal_mode=DELETE")
d.executescript("DROP TRIGGER es9p_session_kept_changed; DROP TRIGGER es9p_session_profile_changed;"
                " DROP TRIGGER es9p_session_profile_deleted; DROP INDEX es9p_session_unkept;"
                " ALTER TABLE es9p_session DROP COLUMN sweep_kept;")
d.execute("DELETE FROM schema_migrations WHERE module = ? AND version = 15", ("smdp_es9p",))
d.commit()
d.close()' "$T/smdp.db" "$T/older.db"
cp "$T/smdp.db.kek" "$T/older.db.kek"
cp "$T/older.db" "$T/older.orig"
sed -i "s|^database = .*|database = older.db|" "$T/busy.conf"
rc=0
"$B" smdp serve --config "$T/busy.conf" >/dev/null 2>"$T/err" || rc=$?
[[ $rc -eq 1 && "$(cat "$T/err")" == *"Address already in use"* ]] && ok || bad "busy port, older database: rc=$rc $(cat "$T/err")"
cmp -s "$T/older.db" "$T/older.orig" && [[ ! -e "$T/older.db-wal" ]] && ok || bad "busy port: the older database was changed"
# serve --check on that configuration: the port in use (by the running server) is a warning,
# still exit 0 (before, nothing was bound and it went unsaid); the migration is said, not made
run smdp serve --config "$T/busy.conf" --check
if [[ $rc -eq 0 && "$out" == *"configuration $T/busy.conf: ok" && "$err" == "openrsp smdp: warning: 127.0.0.1:$PORT is in use now (by the running server?); \`serve\` would fail to listen until it is free"$'\n'"openrsp smdp: database $T/older.db: ES9+ schema version 14, \`serve\` would migrate it to 15" ]]; then ok; else bad "--check, port in use, older database: rc=$rc $out $err"; fi
if cmp -s "$T/older.db" "$T/older.orig" && [[ ! -e "$T/older.db-wal" ]]; then ok; else bad "--check changed the older database"; fi
# ... and while another process (an older server) has such a database open: serve refuses to
# migrate it, and --check refuses in the same words, exit 1 (until session 73 it said only
# that serve would migrate it, exit 0); once that process is gone, --check passes again
cp "$T/older.orig" "$T/held.db"
cp "$T/smdp.db.kek" "$T/held.db.kek"
sed "s|^port = .*|port = 0|; s|^database = .*|database = held.db|" "$T/busy.conf" >"$T/held.conf"
chmod 600 "$T/held.conf"
hold_db "$T/held.db"
src=0
timeout 120 "$B" smdp serve --config "$T/held.conf" >/dev/null 2>"$T/serr" || src=$?
run smdp serve --config "$T/held.conf" --check
if [[ $src -eq 1 && $rc -eq 1 && "$err" == "$(cat "$T/serr")" && -z "$out" &&
	"$err" == *"the smdp_es9p schema of $(realpath "$T/held.db") is at version 14 and this program's at 15, but another process (pid $hpid) has the database open"* ]]; then ok; else bad "--check, older database held by another process: rc=$rc $out $err (serve: $src $(cat "$T/serr"))"; fi
release_db
run smdp serve --config "$T/held.conf" --check
if [[ $rc -eq 0 && "$err" == *"ES9+ schema version 14, \`serve\` would migrate it to 15"* ]]; then ok; else bad "--check, older database no longer held: rc=$rc $err"; fi
# ... and a database of a newer program: refused as serve refuses it
cp "$T/older.orig" "$T/newer.db"
cp "$T/smdp.db.kek" "$T/newer.db.kek"
python3 -c 'import sqlite3, sys
d = sqlite3.connect(sys.argv[1])
d.execute("INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (?, 99, ?, 0)", ("smdp", "future"))
d.commit()
d.close()' "$T/newer.db"
cp "$T/newer.db" "$T/newer.orig"
sed "s|^port = .*|port = 0|; s|^database = .*|database = newer.db|" "$T/busy.conf" >"$T/newer.conf"
chmod 600 "$T/newer.conf"
src=0
timeout 120 "$B" smdp serve --config "$T/newer.conf" >/dev/null 2>"$T/serr" || src=$?
run smdp serve --config "$T/newer.conf" --check
if [[ $src -eq 1 && $rc -eq 1 && "$err" == "$(cat "$T/serr")" && "$err" == *"smdp schema version 99 is newer than this program"* && -z "$out" ]]; then ok; else bad "--check, newer database: rc=$rc $out $err (serve: $src $(cat "$T/serr"))"; fi
if cmp -s "$T/newer.db" "$T/newer.orig"; then ok; else bad "--check changed the newer database"; fi
# an inventory without its KEK file: serve and --check say where the key comes from (until
# session 73 only "KEK file PATH does not exist")
cp "$T/older.orig" "$T/nokek.db"
sed "s|^port = .*|port = 0|; s|^database = .*|database = nokek.db|" "$T/busy.conf" >"$T/nokek.conf"
chmod 600 "$T/nokek.conf"
bad_conf "openrsp: server: no KEK file at $T/nokek.db.kek for $T/nokek.db (kek_file in the configuration names it, the database's path and .kek when not given, or ORSP_KEK holds the key)" "$T/nokek.conf"
# a new database path on a free port: served, and the new (empty) database is announced
sed -i "s|^port = .*|port = 0|; s|^database = .*|database = new.db|" "$T/busy.conf"
serve_briefly() { # serve_briefly CONF: start a second server, stop it once it has its port
	# (its port in $T/port2, its stderr in $T/err; a new file: the redirection comes a moment
	# after the start)
	rm -f "$T/port2"
	"$B" smdp serve --config "$1" >"$T/port2" 2>"$T/err" &
	pid2=$!
	for _ in $(seq 1 1200); do [[ -s "$T/port2" ]] && break; kill -0 "$pid2" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$pid2" 2>/dev/null || true
	wait "$pid2" || true
	pid2=""
}
serve_briefly "$T/busy.conf"
grep -q "^openrsp smdp: created a new, empty database $T/new.db and its KEK file $T/new.db.kek$" "$T/err" && ok || bad "new database not announced: $(cat "$T/err")"
if grep -q "created a new" "$T/serve.log"; then bad "an existing database announced as new"; else ok; fi
# two servers starting at once on one new path: only the one that made the database says
# so (both did, each having found no file before its open)
cp "$T/busy.conf" "$T/twin.conf"
sed -i "s|^database = .*|database = twin.db|" "$T/twin.conf"
for round in 1 2 3 4 5 6; do
	rm -f "$T"/twin.db* "$T/tport"*
	"$B" smdp serve --config "$T/twin.conf" >"$T/tport1" 2>"$T/terr1" &
	pid2=$!
	"$B" smdp serve --config "$T/twin.conf" >"$T/tport2" 2>"$T/terr2" &
	pid3=$!
	for _ in $(seq 1 1200); do
		[[ -s "$T/tport1" && -s "$T/tport2" ]] && break
		kill -0 "$pid2" 2>/dev/null && kill -0 "$pid3" 2>/dev/null || break
		sleep 0.1
	done
	kill -TERM "$pid2" "$pid3" 2>/dev/null || true
	wait "$pid2" || true
	wait "$pid3" || true
	pid2=""
	pid3=""
	n=$(cat "$T/terr1" "$T/terr2" | grep -c "created a new" || true)
	[[ $n -eq 1 && -s "$T/tport1" && -s "$T/tport2" ]] && ok || bad "two starts on a new database, round $round: $n announcements: $(cat "$T/terr1" "$T/terr2")"
done
# the platform policy is logged at start, and only when there is one
if grep -q "platform policy" "$T/serve.log"; then bad "a platform policy logged without one"; else ok; fi
conf "$T/pol.conf" "min_svn = 2.2.0" "euicc_firmware_denied = 1.3.1, 1.3.2" \
	"sas_accreditation = ACME-01" "eum_allowed = 0A:0B"
sed -i "s|^database = .*|database = new.db|" "$T/pol.conf"
serve_briefly "$T/pol.conf"
if grep -q "^openrsp smdp: platform policy: min_svn 2.2.0; euicc_firmware_denied 1.3.1, 1.3.2; sas_accreditation ACME-01; eum_allowed 0a0b$" "$T/err"; then ok; else bad "platform policy start-up line: $(cat "$T/err")"; fi
# listening on IPv6: the start-up line's URL has the address in brackets
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	conf "$T/v6.conf" "listen = ::1"
	serve_briefly "$T/v6.conf"
	grep -q "serving $FQDN on https://\[::1\]:$(head -1 "$T/port2") " "$T/err" && ok || bad "IPv6 start-up line: $(cat "$T/err")"
else
	echo "no IPv6 loopback: the IPv6 start-up line is not checked" >&2
fi
# SIGTERM while the configuration is read (keys loaded, a token's login): a stop, exit 0,
# nothing served and no database made; it was the signal's default action (exit 143). Sent
# once the process catches it (SigCgt), which the server did only after the configuration;
# a server that has read it by then stops as after its start, exit 0 too.
# The process must be openrsp already: a script with an EXIT trap catches SIGTERM, and the
# forked child shows the shell's handlers until it execs, which then drop the signal (the
# server never saw it and served on; CI hung on it once).
B_REAL=$(readlink -f "$B")
sigterm_caught() {
	local m
	[[ $(readlink "/proc/$pid2/exe" 2>/dev/null) == "$B_REAL" ]] &&
		m=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid2/status" 2>/dev/null) && [[ -n "$m" ]] &&
		((16#$m >> 14 & 1))
}
if [[ -r /proc/self/status ]]; then
	cp "$T/busy.conf" "$T/early.conf"
	sed -i "s|^database = .*|database = early.db|" "$T/early.conf"
	"$B" smdp serve --config "$T/early.conf" >"$T/eport" 2>"$T/eerr" &
	pid2=$!
	end=$((SECONDS + 120))
	until sigterm_caught || ! kill -0 "$pid2" 2>/dev/null || ((SECONDS >= end)); do :; done
	kill -TERM "$pid2"
	rc=0
	wait "$pid2" || rc=$?
	pid2=""
	# the configuration may be read by the time the signal lands (a loaded machine): then
	# the server has started and stops as it does later, also with exit 0
	if grep -q "^openrsp smdp: stopped by a signal before serving$" "$T/eerr"; then
		[[ $rc -eq 0 && ! -s "$T/eport" && ! -e "$T/early.db" ]]
	else
		[[ $rc -eq 0 ]] && grep -q "stopping (finishing requests in flight)" "$T/eerr"
	fi && ok || bad "SIGTERM during start-up: rc=$rc port=$(cat "$T/eport") $(cat "$T/eerr")"
else
	echo "no /proc: SIGTERM during start-up is not checked" >&2
fi
# SIGTERM: clean exit 0
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc -eq 0 ]] && ok || bad "exit after SIGTERM: $rc"
# SIGHUP (the terminal closed): the same graceful stop, not the default action's kill (129)
rm -f "$T/port" # (not the last server's port: the redirection below comes a moment late)
# (started without LD_BIND_NOW: the server executes itself again with LD_BIND_NOW=1 before
# anything else, the same PID, so that every library is bound at start, docs/crypto.md
# "Immediate binding"; until session 76 only the systemd unit set it)
env -u LD_BIND_NOW "$B" smdp serve --config "$T/good.conf" >"$T/port" 2>"$T/serve.log" &
pid=$!
for _ in $(seq 1 1200); do [[ -s "$T/port" ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
[[ -s "$T/port" ]] || bad "restart: $(cat "$T/serve.log")"
expect "serve started without LD_BIND_NOW runs with it" 1 \
	"$(tr '\0' '\n' <"/proc/$pid/environ" | grep -c '^LD_BIND_NOW=1$' || true)"
expect "serve's name after its exec" openrsp "$(cat "/proc/$pid/comm")"
lacks "serve's exec: no warning" "LD_BIND_NOW" "$(cat "$T/serve.log")"
# ... but not when started through the dynamic loader itself, whose /proc/self/exe is the
# loader (it took the verb for the program: "smdp: cannot open shared object file", exit
# 127, until session 76's fix), nor under valgrind, which does not follow an exec (the run
# went on unchecked, without its summary)
ldso=$(readelf -l "$B" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
if [[ -x "$ldso" ]]; then
	rc=0
	env -u LD_BIND_NOW "$ldso" "$B" smdp serve --config "$T/good.conf" --check >"$T/cout" 2>"$T/cerr" || rc=$?
	expect "serve --check through the loader: exit" 0 "$rc"
	has "serve --check through the loader: checked" "configuration $T/good.conf: ok" "$(cat "$T/cout")"
	has "serve through the loader: said" "started through the dynamic loader, not executed again" "$(cat "$T/cerr")"
else
	echo "no program interpreter found: serve through the loader not checked" >&2
fi
if command -v valgrind >/dev/null && ! LC_ALL=C grep -qaF -e __asan_init -e __tsan_init "$B"; then
	env -u LD_BIND_NOW valgrind --log-file="$T/vg.log" "$B" smdp serve --config "$T/good.conf" --check >"$T/cout" 2>"$T/cerr" || true
	has "serve --check under valgrind: checked" "configuration $T/good.conf: ok" "$(cat "$T/cout")"
	has "serve --check under valgrind: still under it at the end" "ERROR SUMMARY" "$(cat "$T/vg.log")"
else
	echo "no valgrind, or a sanitizer build: serve under valgrind not checked" >&2
fi
kill -HUP "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc -eq 0 ]] && grep -q 'stopping (finishing requests in flight)' "$T/serve.log" && ok || bad "exit after SIGHUP: $rc $(cat "$T/serve.log")"

# drain = 3: SIGTERM starts a drain of 3 s, /health answering 503 "draining" on new
# connections while the other requests are still served; then the stop as without a drain,
# exit 0. A drain of 600 s: a second SIGTERM stops at once. (A drain of 1 s was too short a
# window for a 503 and then a /metrics, each a curl and a TLS handshake, beside a sanitizer's
# server on a loaded machine.)
serve_drain() { # serve_drain SECONDS: a server with that drain in $pid, its port in $PORT
	conf "$T/drain.conf" "drain = $1" "callback_url = http://127.0.0.1:9" "metrics_cache = 0"
	rm -f "$T/port"
	"$B" smdp serve --config "$T/drain.conf" >"$T/port" 2>"$T/drain.log" &
	pid=$!
	for _ in $(seq 1 1200); do [[ -s "$T/port" ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	PORT=$(head -1 "$T/port")
	C=(curl -s --max-time 10 --cacert "$T/pki/ci/ci.pem" --resolve "$FQDN:$PORT:127.0.0.1")
	URL=https://$FQDN:$PORT
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
serve_drain 3
h=$("${C[@]}" "$URL/health") && [[ "$h" == "ok" ]] && ok || bad "drain: health before: $h"
t0=$(now_ms)
kill -TERM "$pid"
draining=0 served=0 last=0
while kill -0 "$pid" 2>/dev/null && (($(now_ms) - t0 < 60000)); do
	code=$("${C[@]}" -o "$T/hbody" -w '%{http_code}' "$URL/health") || true
	if [[ "$code" == 503 && "$(cat "$T/hbody")" == draining ]]; then
		draining=$((draining + 1))
		last=$(($(now_ms) - t0))
		code=$("${C[@]}" -o /dev/null -w '%{http_code}' "$URL/metrics") || true
		[[ "$code" == 200 ]] && served=$((served + 1))
	fi
done
rc=0
wait "$pid" || rc=$?
took=$(($(now_ms) - t0))
pid=""
[[ $rc -eq 0 && $draining -ge 1 && $served -ge 1 && $took -ge 3000 && $took -lt 60000 ]] && ok ||
	bad "drain = 3: rc=$rc, $draining answer(s) draining, the last at $last ms, $served /metrics served, exit after $took ms"
# (the drain's own measure: 3 s at least, and not much more; its main thread looks every 50 ms)
drained_after=$(sed -n 's/^openrsp smdp: drain over after \([0-9]*\.[0-9]\) s$/\1/p' "$T/drain.log")
grep -q '^openrsp smdp: draining for 3 s (/health answers 503 "draining", requests are still served); a second signal stops at once$' "$T/drain.log" &&
	awk -v s="$drained_after" 'BEGIN { exit !(s != "" && s >= 3 && s < 30) }' &&
	grep -q 'stopping (finishing requests in flight)' "$T/drain.log" && ok || bad "drain = 3: log: $(cat "$T/drain.log")"
serve_drain 600
kill -TERM "$pid"
draining600() { grep -q 'draining for 600 s' "$T/drain.log"; }
wait_for 120 "the drain of 600 s to begin" draining600
code=$("${C[@]}" -o "$T/hbody" -w '%{http_code}' "$URL/health") || true
[[ "$code" == 503 && "$(cat "$T/hbody")" == draining ]] && ok || bad "drain = 600: health: $code $(cat "$T/hbody")"
t0=$(now_ms)
kill -TERM "$pid"
for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
	bad "drain = 600: still running 120 s after a second SIGTERM"
	kill -KILL "$pid"
fi
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc -eq 0 && $(($(now_ms) - t0)) -lt 120000 ]] && grep -q '^openrsp smdp: drain cut short by a second signal after [0-9.]* s$' "$T/drain.log" && ok ||
	bad "drain = 600, second SIGTERM: rc=$rc $(cat "$T/drain.log")"

# ----- a database this user may not read and write (made by root for a service that runs as
# another user, `sudo -u` forgotten): serve and --check refuse it in the same words, naming
# its owner and mode against this user, or those of its -wal file or of its directory when
# that is the cause. Until session 73: "cannot open PATH: unable to open database file",
# "open: attempt to write a readonly database" for the directory, a database the user may
# only read was served with every write failing, and --check passed all of them. As the user
# nobody when this one is root; else with modes this user's own files deny it. -----
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	as_user() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
	me=$(id -u nobody)
else
	as_user() { "$@"; }
	me=$(id -u)
fi
# a directory the user reaches (the tests' is this one's only)
R=$(mktemp -d /tmp/cli_smdp_serve_own.XXXXXX)
chmod 0755 "$R"
cp -r "$T/pki" "$R/pki"
conf "$R/own.conf"
"$B" smdp profile import "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" --db "$R/own.db" >/dev/null
sed -i 's|^database = .*|database = own.db|' "$R/own.conf"
[[ $me -eq $(id -u) ]] || chown -R "$me" "$R"
refused_as_user() { # refused_as_user WHAT WHY: serve and --check as the user refuse, saying WHY
	local src=0
	as_user timeout 120 "$B" smdp serve --config "$R/own.conf" >"$T/own.out" 2>"$T/own.err" || src=$?
	rc=0
	out=$(as_user "$B" smdp serve --config "$R/own.conf" --check 2>"$T/err") || rc=$?
	err=$(cat "$T/err")
	if [[ $src -eq 1 && $rc -eq 1 && ! -s "$T/own.out" && -z "$out" && "$err" == "$(cat "$T/own.err")" &&
		"$err" == "openrsp: server: cannot open the database $R/own.db: $2" ]]; then
		ok
	else
		bad "$1: rc=$src/$rc $(cat "$T/own.out" "$T/own.err") --check: $out $err"
	fi
}
if [[ $me -ne $(id -u) ]]; then
	chown 0 "$R/own.db" "$R/own.db.kek"
	refused_as_user "root's database" "$R/own.db is owned by uid 0 (mode 0600), not by this user (uid $me), who may not read and write it: run as its owner, or chown it if it is this user's"
	# another verb's open that SQLite refuses says the same after SQLite's words
	err=$(as_user "$B" smdp profile list --db "$R/own.db" 2>&1) || true
	has "root's database, profile list" "unable to open database file: $R/own.db is owned by uid 0 (mode 0600), not by this user (uid $me)" "$err"
	chmod 0644 "$R/own.db"
	refused_as_user "root's database, readable" "$R/own.db is owned by uid 0 (mode 0644), not by this user (uid $me), who may not write it: run as its owner, or chown it if it is this user's"
	chown "$me" "$R/own.db" "$R/own.db.kek"
	chmod 0600 "$R/own.db"
	install -o 0 -m 0600 /dev/null "$R/own.db-wal"
	install -o 0 -m 0600 /dev/null "$R/own.db-shm"
	refused_as_user "root's -wal" "$R/own.db-wal is owned by uid 0 (mode 0600), not by this user (uid $me), who may not read and write it: run as its owner, or chown it if it is this user's"
	rm -f "$R/own.db-wal" "$R/own.db-shm"
	chown 0 "$R"
	refused_as_user "root's directory" "this user (uid $me) may not create files in the directory $R (owned by uid 0, mode 0755), where SQLite makes the database's -wal and -shm files: run as its owner, or make it this user's"
	chown "$me" "$R"
else
	chmod 0000 "$R/own.db"
	refused_as_user "a database of mode 0000" "$R/own.db (mode 0000) is this user's (uid $me), who may not read and write it: chmod u+rw it"
	err=$(as_user "$B" smdp profile list --db "$R/own.db" 2>&1) || true
	has "a database of mode 0000, profile list" "unable to open database file: $R/own.db (mode 0000) is this user's (uid $me)" "$err"
	chmod 0400 "$R/own.db"
	refused_as_user "a database of mode 0400" "$R/own.db (mode 0400) is this user's (uid $me), who may not write it: chmod u+rw it"
	chmod 0600 "$R/own.db"
	chmod 0555 "$R"
	refused_as_user "a directory of mode 0555" "this user (uid $me) may not create files in the directory $R (owned by uid $me, mode 0555), where SQLite makes the database's -wal and -shm files: run as its owner, or make it this user's"
	chmod 0755 "$R"
fi
# the user's own files: judged as before
rc=0
out=$(as_user "$B" smdp serve --config "$R/own.conf" --check 2>"$T/err") || rc=$?
if [[ $rc -eq 0 && "$out" == *"configuration $R/own.conf: ok" ]]; then ok; else bad "the user's own database: rc=$rc $out $(cat "$T/err")"; fi
rm -rf "$R"
R=""

finish
