#!/usr/bin/env bash
# Revocation through the CLI: `openrsp pki crl` issues an EUM's CRL listing the eUICC of a
# `pki init` hierarchy and a CI's empty CRL; `smdp serve` with them (configuration `crl`)
# refuses that eUICC's download at authenticateClient (8.1.3/6.1, said by `lpa profile
# download`), the profile stays Released and the eUICC empty; a CI's CRL past its nextUpdate
# refuses it too (the SM-DP+'s own failure), unless `crl_stale = accept`; restarted with an
# EUM's CRL that lists nothing, the same activation code downloads and installs the profile.
# `smdp serve --check` lists the CRLs, warns of the stale one and of a CI's CRL that revokes
# the SM-DP+'s own DPauth and DPpb. With `crl_reload`, a
# revoking CRL file replaced by one that is no CRL changes nothing (said once), then by one
# listing nothing is put in force while the server serves; a CRL that passes its nextUpdate
# while the server runs is warned of once. docs/smdp-es9p.md ("Revocation").
set -euo pipefail

B=${ORSP_BIN:?set ORSP_BIN to the openrsp binary}
V=${ORSP_VECTORS:?set ORSP_VECTORS to tests/vectors}
mkdir -p "${ORSP_TEST_TMP:-/tmp}"
T=$(mktemp -d "${ORSP_TEST_TMP:-/tmp}/cli_smdp_revocation.XXXXXX")
unset ORSP_KEK ORSP_LPA_EUICC ORSP_LPA_CA
# shellcheck source=SCRIPTDIR/lib/common.bash
. "$(dirname "$0")/lib/common.bash"
trap 'smdp_stop; rm -rf "$T"' EXIT

FQDN=smdp.example.org
DB=$T/smdp.db
"$B" pki init "$T/pki" --smdp-fqdn $FQDN >/dev/null
"$B" euicc init --state "$T/dev" --pki "$T/pki" >/dev/null
CI=(--issuer-cert "$T/pki/ci/ci.der" --issuer-key "$T/pki/ci/ci_key.pem")
EUM=(--issuer-cert "$T/pki/eum/eum.der" --issuer-key "$T/pki/eum/eum_key.pem")
run pki crl "${CI[@]}" --out "$T/ci.crl"
expect "the CI's empty CRL" "0 $T/ci.crl: 0 revoked" "$rc ${out%%, next*}"
run pki crl "${EUM[@]}" --revoke "$T/pki/euicc/euicc.der" --reason keyCompromise --out "$T/eum-revoked.pem"
expect "the EUM's CRL revoking the eUICC" "0 $T/eum-revoked.pem: 1 revoked" "$rc ${out%%, next*}"
run pki crl "${EUM[@]}" --out "$T/eum-empty.crl"
expect "the EUM's empty CRL" 0 "$rc"
# a CI's CRL whose nextUpdate passed a day ago
run pki crl "${CI[@]}" --this-update $(($(date +%s) - 2 * 86400)) --days 1 --out "$T/ci-stale.crl"
expect "the CI's stale CRL" 0 "$rc"

# conf FILE CRL...: the SM-DP+'s configuration with these CRLs
conf() {
	local f=$1 c
	shift
	{
		echo "fqdn = $FQDN"
		echo "oid = 2.999.10"
		echo "port = 0"
		echo "plain_http = yes"
		echo "database = smdp.db"
		for c in "$@"; do echo "crl = $c"; done
		smdp_keyset_conf
	} >"$f"
}
conf "$T/revoked.conf" ci.crl eum-revoked.pem
conf "$T/stale.conf" ci-stale.crl eum-empty.crl
conf "$T/good.conf" ci.crl eum-empty.crl
sed '1i crl_stale = accept' "$T/stale.conf" >"$T/stale-accept.conf"

run smdp profile generate --no-auc --db "$DB" \
	--template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000007000 --imsi-start 001019000000700 --count 3
expect "generate rc" 0 "$rc"
mapfile -t ICCIDS < <("$B" smdp profile list --db "$DB" --json |
	python3 -c 'import json,sys; [print(p["iccid"]) for p in json.load(sys.stdin)]')
expect "three profiles" 3 "${#ICCIDS[@]}"
AC=$("$B" smdp order --config "$T/good.conf" --iccid "${ICCIDS[0]}" --release)
AC2=$("$B" smdp order --config "$T/good.conf" --iccid "${ICCIDS[1]}" --release)
AC3=$("$B" smdp order --config "$T/good.conf" --iccid "${ICCIDS[2]}" --release)
state() {
	"$B" smdp profile list --db "$DB" --iccid "$1" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])'
}
installed() { # the ICCIDs installed on the eUICC, one line
	"$B" lpa profile list --euicc "local:$T/dev" --json |
		python3 -c 'import json,sys; print(" ".join(p["iccid"] for p in json.load(sys.stdin)["payload"]["data"]))'
}

# --check lists each CRL: whose, how many entries
run smdp serve --config "$T/revoked.conf" --check
if [[ $rc -eq 0 && "$out" == *"crl        $T/ci.crl: \"openrsp Test CI\" (a CI's), 0 revoked, next update "* &&
	"$out" == *"crl        $T/eum-revoked.pem: \"openrsp EUM\" (an EUM's), 1 revoked, next update "* && "$err" != *warning* ]]; then ok; else bad "--check with CRLs: rc=$rc $out $err"; fi
# a second distribution point's copy of the same CRL (the same bytes) is held once, and
# --check has a line for it as for every crl file (it had none)
cp "$T/ci.crl" "$T/ci-dp2.crl"
conf "$T/copy.conf" ci.crl eum-revoked.pem ci-dp2.crl
run smdp serve --config "$T/copy.conf" --check
if [[ $rc -eq 0 && "$out" == *"crl        $T/ci.crl: \"openrsp Test CI\" (a CI's), 0 revoked, next update "* &&
	"$out" == *"crl        $T/ci-dp2.crl: the same CRL as $T/ci.crl (the same bytes), held once"* &&
	$(grep -c '^crl ' <<<"$out") -eq 3 && "$err" != *warning* ]]; then ok; else bad "--check, a copy of a CRL: rc=$rc $out $err"; fi
run smdp serve --config "$T/stale.conf" --check
# the warning names the file (it said "a CRL (crl)")
if [[ $rc -eq 0 && "$err" == *"openrsp smdp: warning: the CRL $T/ci-stale.crl (crl) is past its nextUpdate ("*"Z): the certificates of its issuer \"openrsp Test CI\" are refused"* ]]; then ok; else bad "--check, stale CRL: rc=$rc $out $err"; fi
# CRLs, but none of the trusted CI: its revoked EUMs would pass, said once
conf "$T/eum-only.conf" eum-empty.crl
run smdp serve --config "$T/eum-only.conf" --check
if [[ $rc -eq 0 && "$err" == *'openrsp smdp: warning: no CRL of the CI "C = XX, O = openrsp, OU = TESTCERT, CN = openrsp Test CI" among the crl files: an EUM certificate it revoked is not refused'* &&
	$(grep -c warning <<<"$err") -eq 1 ]]; then ok; else bad "--check, no CRL of the CI: rc=$rc $err"; fi
# the CI's CRL revoking this SM-DP+'s own DPauth and DPpb: said at start and by --check, one
# warning line each, and it serves on
run pki crl "${CI[@]}" --revoke "$T/pki/smdp/dpauth.der" --revoke "$T/pki/smdp/dppb.der" \
	--reason superseded --out "$T/ci-own.crl"
expect "the CI's CRL revoking DPauth and DPpb" 0 "$rc"
conf "$T/own.conf" ci-own.crl eum-empty.crl
run smdp serve --config "$T/own.conf" --check
if [[ $rc -eq 0 && "$err" == *"openrsp smdp: warning: this SM-DP+'s DPauth certificate (serial "*") is revoked by the CRL $T/ci-own.crl (superseded, since "* &&
	"$err" == *"this SM-DP+'s DPpb certificate (serial "* && $(grep -c "this SM-DP+'s" <<<"$err") -eq 2 ]]; then ok; else bad "--check, own certificates revoked: rc=$rc $err"; fi
# a CRL that is not one: refused at start, by --check in the same words
conf "$T/bad.conf" ci.crl smdp.conf
echo "not a CRL" >"$T/smdp.conf"
run smdp serve --config "$T/bad.conf" --check
if [[ $rc -eq 1 && "$err" == *"smdp.conf"* ]]; then ok; else bad "--check, not a CRL: rc=$rc $err"; fi

download() { # download AC: the LPA's download from the running server
	run lpa profile download -a "$1" --server-url "http://127.0.0.1:$PORT" --insecure \
		--euicc "local:$T/dev"
}

# the SM-DP+'s own DPauth and DPpb revoked by the CI: said at start and on /metrics
smdp_start "$T/own.conf"
has "own certificates: said at start" "this SM-DP+'s DPauth certificate (serial" "$(cat "$T/serve.log")"
m=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics")
has "metrics: DPauth revoked" 'openrsp_smdp_own_certificate_revoked{cert="DPauth",keyset="1"} 1' "$m"
has "metrics: DPpb revoked" 'openrsp_smdp_own_certificate_revoked{cert="DPpb",keyset="1"} 1' "$m"
lacks "metrics: no DPtls with plain_http" 'cert="DPtls"' "$m"
smdp_stop

# the eUICC revoked by its EUM: refused at authenticateClient, nothing changes
smdp_start "$T/revoked.conf"
download "$AC"
if [[ $rc -eq 1 && "$err" == *"authenticateClient"*" 8.1.3/6.1 "*"the SM-DP+ rejected the eUICC certificate"* ]]; then ok; else bad "revoked eUICC: rc=$rc $err"; fi
has "the server names the CRLs at start" "openrsp smdp: crl $T/eum-revoked.pem: " "$(cat "$T/serve.log")"
has "the server logs the refusal" "8.1.3/6.1" "$(cat "$T/serve.log")"
smdp_stop
expect "revoked: the profile stays released" released "$(state "${ICCIDS[0]}")"
expect "revoked: the eUICC has no profile" "" "$(installed)"

# the CI's CRL past its nextUpdate: the EUM's status is unknown, refused; accepted with
# crl_stale = accept
smdp_start "$T/stale.conf"
download "$AC"
if [[ $rc -eq 1 && "$err" == *"authenticateClient"* && "$err" != *"8.1."* ]]; then ok; else bad "stale CRL: rc=$rc $err"; fi
has "stale CRL: the server warned at start" "warning: the CRL $T/ci-stale.crl (crl) is past its nextUpdate" "$(cat "$T/serve.log")"
smdp_stop
expect "stale: the profile stays released" released "$(state "${ICCIDS[0]}")"
smdp_start "$T/stale-accept.conf"
download "$AC2"
expect "crl_stale = accept: download rc ($err)" 0 "$rc"
has "crl_stale = accept: installed" "installed ${ICCIDS[1]}" "$out"
smdp_stop

# restarted with an EUM's CRL listing nothing: the same activation code now downloads
smdp_start "$T/good.conf"
download "$AC"
expect "not revoked: download rc ($err)" 0 "$rc"
has "not revoked: installed" "installed ${ICCIDS[0]}" "$out"
smdp_stop
expect "the profile installed on the SM-DP+" installed "$(state "${ICCIDS[0]}")"
expect "both profiles on the eUICC" "${ICCIDS[1]} ${ICCIDS[0]}" "$(installed)"

# crl_reload: the files read again while the server serves. The eUICC revoked; then a file
# that is no CRL put in the EUM's CRL's place: said once, the CRLs in force stay (still
# refused); then the EUM's CRL listing nothing: in force without a restart
cp "$T/eum-revoked.pem" "$T/live-eum.pem"
# the CI's CRL under a name with a quote: /metrics escapes it in its label
cp "$T/ci.crl" "$T/ci\"q.crl"
# and a file with the CRLs of SGP.26's two EUMs, both CN "EUM Test" (no EUM of this PKI:
# read, used for no eUICC here): /metrics gives each its own series, told apart by key
for e in NIST BRP; do
	run pki crl --issuer-cert "$V/sgp26/EUM/CERT_EUM_ECDSA_$e.der" \
		--issuer-key "$V/sgp26/EUM/SK_EUM_ECDSA_$e.pem" --days 7 --out "$T/sgp26-$e.crl"
	expect "SGP.26 EUM $e CRL" 0 "$rc"
done
for e in NIST BRP; do openssl crl -inform DER -in "$T/sgp26-$e.crl" -outform PEM; done >"$T/sgp26-eums.pem"
# and two CRLs of this PKI's EUM without a cRLNumber (which RFC 5280 asks for, and `pki crl`
# always writes), a day apart, in one file: told apart by their DER's hash
"$PY" - "$T/pki/eum/eum.der" "$T/pki/eum/eum_key.pem" "$T/nonum"$'\xff'".pem" <<'PYEOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
cert = x509.load_der_x509_certificate(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
    cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
out = b""
for days in (2, 1):
    b = (x509.CertificateRevocationListBuilder().issuer_name(cert.subject)
         .last_update(now - datetime.timedelta(days=days))
         .next_update(now + datetime.timedelta(days=7 - days))
         .add_extension(aki, False))
    out += b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
open(sys.argv[3], "wb").write(out)
PYEOF
# (nonum\xff.pem: a file name that is no UTF-8, shown as nonum?.pem in the labels; as it
# was, it made Prometheus refuse the whole /metrics page until session 56)
conf "$T/live.conf" 'ci"q.crl' live-eum.pem sgp26-eums.pem "nonum"$'\xff'".pem"
sed -i '1i crl_reload = 1' "$T/live.conf"
smdp_start "$T/live.conf"
download "$AC3"
if [[ $rc -eq 1 && "$err" == *" 8.1.3/6.1 "* ]]; then ok; else bad "reload: revoked at first: rc=$rc $err"; fi
echo "not a CRL" >"$T/live-eum.tmp"
mv -f "$T/live-eum.tmp" "$T/live-eum.pem"
not_in_force() { grep -q "openrsp smdp: crl: the changed CRL files are not in force" "$T/serve.log"; }
wait_for 30 "the server to find the bad CRL file" not_in_force
download "$AC3"
if [[ $rc -eq 1 && "$err" == *" 8.1.3/6.1 "* ]]; then ok; else bad "reload: a bad file changes nothing: rc=$rc $err"; fi
has "reload: the bad file named" "$T/live-eum.pem: no DER CRL" "$(cat "$T/serve.log")"
sleep 2.5 # two more rounds with the bad file: not read again, not said again
cp "$T/eum-empty.crl" "$T/live-eum.tmp"
mv -f "$T/live-eum.tmp" "$T/live-eum.pem"
reloaded() { grep -q "openrsp smdp: crl reloaded: $T/live-eum.pem: \"openrsp EUM\" (an EUM's), 0 revoked" "$T/serve.log"; }
wait_for 30 "the server to put the new CRL in force" reloaded
has "reload: the CI's CRL read again too" "openrsp smdp: crl reloaded: $T/ci\"q.crl: " "$(cat "$T/serve.log")"
download "$AC3"
expect "reload: not revoked now, download rc ($err)" 0 "$rc"
has "reload: installed" "installed ${ICCIDS[2]}" "$out"
expect "reload: the bad file said once" 1 "$(grep -c "the changed CRL files are not in force" "$T/serve.log")"
# /metrics: each CRL in force, and the readings: one refused, one put in force
m=$(curl -s --max-time 10 "http://127.0.0.1:$PORT/metrics")
ci_next=$(openssl crl -inform DER -in "$T/ci.crl" -noout -nextupdate | sed 's/^nextUpdate=//')
# key: the CRL's authorityKeyIdentifier, number: its cRLNumber, as openssl reads them
labels() {
	local aki num
	aki=$(openssl crl -inform "$2" -in "$1" -noout -text | grep -A1 'Authority Key Identifier' |
		tail -1 | tr -d ' :' | sed 's/^keyid//' | tr 'A-F' 'a-f')
	num=$(openssl crl -inform "$2" -in "$1" -noout -crlnumber | sed 's/^crlNumber=0x//' | tr 'A-F' 'a-f')
	((${#num} % 2)) && num=0$num
	[[ $num == [89a-f]* ]] && num=00$num
	echo "key=\"$aki\",number=\"$num\""
}
has "metrics: the CI's CRL, its label escaped" "openrsp_smdp_crl_next_update_seconds{crl=\"${T}/ci\\\"q.crl\",issuer=\"openrsp Test CI\",$(labels "$T/ci.crl" DER)} $(date -u -d "$ci_next" +%s)" "$m"
has "metrics: the EUM's CRL lists none now" "openrsp_smdp_crl_revoked{crl=\"$T/live-eum.pem\",issuer=\"openrsp EUM\",$(labels "$T/live-eum.pem" DER)} 0" "$m"
# one file, two issuers of one common name: two series (one label set before session 54,
# and Prometheus kept the first of the two samples only)
for e in NIST BRP; do
	has "metrics: SGP.26's $e EUM's CRL, a series of its own" "openrsp_smdp_crl_next_update_seconds{crl=\"$T/sgp26-eums.pem\",issuer=\"EUM Test\",$(labels "$T/sgp26-$e.crl" DER)} " "$m"
done
expect "metrics: the CRLs without a number, a series each" 2 \
	"$(grep -c "^openrsp_smdp_crl_revoked{crl=\"$T/nonum?.pem\",issuer=\"openrsp EUM\",key=\"[0-9a-f]*\",number=\"sha256:[0-9a-f]\{16\}\"} " <<<"$m")"
# both older than live-eum.pem, the EUM's CRL of today: superseded, no nextUpdate to alert on
expect "metrics: superseded CRLs have no nextUpdate series" 0 \
	"$(grep -c "^openrsp_smdp_crl_next_update_seconds{crl=\"$T/nonum?.pem\"" <<<"$m")"
expect "metrics: no series twice" "" "$(grep -v '^#' <<<"$m" | sed 's/ [^ ]*$//' | sort | uniq -d)"
has "metrics: one reading put in force" 'openrsp_smdp_crl_reloads_total{result="ok"} 1' "$m"
has "metrics: one reading refused" 'openrsp_smdp_crl_reloads_total{result="failed"} 1' "$m"
has "metrics: DPauth not revoked" 'openrsp_smdp_own_certificate_revoked{cert="DPauth",keyset="1"} 0' "$m"
# the escaped label as Prometheus' own parser reads it back: the file's name, quote and all
parsed=""
metrics_parse "$m" parsed
has "metrics: the CI's CRL's label read back" "openrsp_smdp_crl_revoked{crl=\"${T}/ci\"q.crl\",issuer=\"openrsp Test CI\",$(labels "$T/ci.crl" DER)} " "$parsed"
smdp_stop
expect "three profiles on the eUICC" "${ICCIDS[1]} ${ICCIDS[0]} ${ICCIDS[2]}" "$(installed)"

# a CRL in force that passes its nextUpdate while the server runs: said once (crl_reload's
# round), not at start; its nextUpdate 5 s from now. The server must have started, and its
# log been read, before that second: a start slower than that (a sanitizer's server on a
# loaded machine) proves nothing, and is made again with twice the time.
margin=5
while :; do
	next=$(($(date +%s) + margin))
	rm -f "$T/ci-soon.crl"
	run pki crl "${CI[@]}" --this-update $((next - 86400)) --days 1 --out "$T/ci-soon.crl"
	expect "the CI's CRL that goes stale" 0 "$rc"
	conf "$T/soon.conf" ci-soon.crl eum-empty.crl
	sed -i '1i crl_reload = 1' "$T/soon.conf"
	smdp_start "$T/soon.conf"
	at_start=$(cat "$T/serve.log")
	(($(date +%s) < next)) && break
	smdp_stop
	if ((margin >= 160)); then
		bad "the server took more than $margin s to start, every time"
		break
	fi
	margin=$((margin * 2))
done
lacks "not stale at start" "past its nextUpdate" "$at_start"
# the running server's warning names the file (it said "a CRL (crl)")
went_stale() { grep -qF "openrsp smdp: warning: the CRL $T/ci-soon.crl (crl) is past its nextUpdate (" "$T/serve.log"; }
wait_for $((margin + 60)) "the server to say that its CRL went stale" went_stale
has "stale while running: its issuer refused" "the certificates of its issuer \"openrsp Test CI\" are refused until a newer one is given" "$(cat "$T/serve.log")"
sleep 2.5 # two more rounds: not said again
expect "stale while running: said once" 1 "$(grep -c "past its nextUpdate" "$T/serve.log")"
smdp_stop

# ----- CRLs concern serving only: the other verbs given --config load the configuration
# without reading its crl files, so a missing one (a fetch that failed, a file not in place
# yet) or one that is no CRL stops `serve` and `serve --check` only, not a backup, an order,
# the purge (its timer) or a reading verb. Until session 73 it stopped every --config verb
# ("configuration: FILE:N: crl: PATH does not exist") -----
run smdp profile generate --no-auc --db "$DB" \
	--template "$V/saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der" \
	--iccid-start 898824700000007100 --imsi-start 001019000000710 --count 2
expect "generate rc (for the orders)" 0 "$rc"
mapfile -t AVAIL < <("$B" smdp profile list --db "$DB" --state available --json |
	python3 -c 'import json,sys; [print(p["iccid"]) for p in json.load(sys.stdin)]')
expect "two profiles to order" 2 "${#AVAIL[@]}"
conf "$T/missing.conf" ci.crl missing.crl
conf "$T/junk.conf" ci.crl junk.crl
echo "not a CRL" >"$T/junk.crl"
n=0
for c in missing junk; do
	failure "crl: " smdp serve --config "$T/$c.conf" --check
	run smdp backup --config "$T/$c.conf" --out "$T/$c-backup.db"
	expect "$c CRL: backup (rc: $err)" 0 "$rc"
	[[ -s "$T/$c-backup.db" ]] && ok || bad "$c CRL: no backup"
	run smdp order --config "$T/$c.conf" --iccid "${AVAIL[$n]}"
	expect "$c CRL: order (rc: $err)" 0 "$rc"
	run smdp profile purge --config "$T/$c.conf" --state installed,error,unavailable
	expect "$c CRL: purge (rc: $err)" 0 "$rc"
	for v in "profile list --count" "profile purge --dry-run" audit reports; do
		read -ra args <<<"$v"
		run smdp "${args[@]}" --config "$T/$c.conf"
		expect "$c CRL: $v (rc: $err)" 0 "$rc"
	done
	n=$((n + 1))
done
# the configuration's other files are still loaded and checked
conf "$T/nokey.conf" ci.crl missing.crl
sed -i "s|^dpauth_key = .*|dpauth_key = $T/missing-key.pem|" "$T/nokey.conf"
failure "dpauth_key" smdp backup --config "$T/nokey.conf" --out "$T/nokey-backup.db"
[[ ! -e "$T/nokey-backup.db" ]] && ok || bad "a backup with a configuration refused"

finish
