#!/usr/bin/env bash
# Interop check with pySim-shell, Osmocom's card tool (pySim), which nobody here wrote: it
# drives openrsp's software eUICC through pcscd + vsmartcard-vpcd (PC/SC). lpac downloads the
# profile from `openrsp smdp serve` (as scripts/interop-lpac.sh does); pySim-shell then does
# the ES10 functions it has, browses the UICC file system and runs USIM AUTHENTICATE.
#
#   PYSIM=/path/to/pySim-shell.py LPAC=/path/to/lpac scripts/interop-pysim-shell.sh [OPENRSP_BINARY]
#
# pySim and lpac are not Debian packages and not part of this project. pySim-shell runs with
# PYSIM_PYTHON (default /usr/bin/python3; Debian's python3-pyscard, python3-cmd2,
# python3-construct, python3-yaml, python3-termcolor, python3-colorlog, python3-bidict,
# python3-serial ...) and whatever PYTHONPATH you give it for the modules Debian lacks
# (pytlv, gsm0338, asn1tools, ...). Checked with pySim a437d11 (2024-09-03). Not run by
# `make test` or CI.
#
# Needs root, as interop-lpac.sh: its own pcscd (none may be running), the SM-DP+ on port 443
# of loopback, the test FQDN in /etc/hosts for the run (removed on exit).
#
# Checks:
#  - no profile enabled: pySim-shell starts but finds no UICC file system (SELECT MF 6A86),
#    so it is "not equipped"; its raw `apdu` still selects the ISD-R (FCI '6F' with '9F65')
#    and GetEID
#    answers the EID lpac reads.
#  - with a profile downloaded and enabled by lpac: pySim-shell detects a UICC, reads EF.DIR
#    (USIM, ISIM), selects the ISD-R (asking for the FCP, P2 04: the ISD-R answers its FCI
#    '6F', as a GlobalPlatform security domain does and pySim reads it; until session 53 it
#    answered an FCP and pySim-shell stopped at its start) and reads the EID.
#  - ES10 through pySim-shell, compared with lpac: get_eid, get_euicc_info1/2,
#    get_euicc_configured_addresses, get_euicc_challenge, get_profiles_info,
#    list_notification, set_default_dp_address, set_nickname, remove_notification_from_list,
#    enable_profile of the enabled profile (2) and of an unknown ICCID (1), disable_profile,
#    delete_profile, get_profiles_info empty afterwards.
#  - files: EF.ICCID, EF.DIR, EF.IMSI, EF.AD, EF.SPN, EF.UST, EF.IMPI, EF.DOMAIN, EF.IMPU
#    against the order's ICCID and IMSI and the IMS identity derived from it.
#  - AUTHENTICATE (3G) with a vector of the AuC the profile's K/OPc went to: RES = XRES, CK,
#    IK; the same vector again: synchronisation failure (AUTS); a changed MAC: 9862.
#  - the disable and delete notifications pySim-shell caused are delivered by lpac and
#    accepted by the SM-DP+.
# Exit 0 when all hold.
set -euo pipefail

B=${1:-$(dirname "$0")/../build/openrsp}
PYSIM=${PYSIM:-}
LPAC=${LPAC:-}
PY=${PYSIM_PYTHON:-/usr/bin/python3}
FQDN=smdp.example.org
tok=interop-operator-token-0001
port=${ORSP_VPCD_PORT:-} # empty: interop_card_stack picks a free one
sock=/run/pcscd/pcscd.comm
pids=()

fail() {
	echo "interop-pysim-shell: FAIL: $*" >&2
	exit 1
}
ok() { echo "interop-pysim-shell: ok: $*"; }
if [ -z "$PYSIM" ] || [ ! -r "$PYSIM" ]; then fail "set PYSIM to pySim-shell.py"; fi
if [ -z "$LPAC" ] || [ ! -x "$LPAC" ]; then fail "set LPAC to an lpac binary"; fi
[ -x "$B" ] || fail "$B is not the openrsp binary (build first, or give its path)"
[ "$(id -u)" = 0 ] || fail "needs root (pcscd, port 443, /etc/hosts)"
[ ! -S "$sock" ] || fail "a pcscd is running ($sock); stop it first"
"$PY" -c 'import smartcard, cmd2' 2>/dev/null || fail "$PY cannot import pyscard and cmd2"
driver=""
for d in /usr/lib/*/pcsc/drivers/serial/libifdvpcd.so /usr/lib/pcsc/drivers/serial/libifdvpcd.so; do
	if [ -e "$d" ]; then
		driver=$d
		break
	fi
done
[ -n "$driver" ] || fail "vsmartcard-vpcd is not installed"
B=$(realpath "$B")
PYSIM=$(realpath "$PYSIM")
data=$(realpath "$(dirname "$0")/../data")
work=$(mktemp -d /tmp/interop-pysim-shell.XXXXXX)

# shellcheck source=SCRIPTDIR/lib/interop.bash
. "$(dirname "$0")/lib/interop.bash"
trap 'interop_cleanup $? interop-pysim-shell "$FQDN" "$work"' EXIT

# --auc: the profile's random K/OPc also go to an AuC, which hands out vectors for AKA below
# (made first: --auc takes only an AuC that exists)
"$B" auc init --db "$work/auc.db" >/dev/null || fail "auc init"
interop_card_stack interop-pysim-shell --auc auc.db --iccid-start 898824700000005000 \
	--imsi-start 001019000005000

export LPAC_APDU=pcsc LPAC_HTTP=curl
lpac() { # lpac <what> <args...>: run lpac, require its final "code":0, output in LAST
	local what=$1 out
	shift
	out=$("$LPAC" "$@" 2>&1) || true
	grep -q '"type":"lpa","payload":{"code":0' <<<"$out" || fail "lpac $what: $out"
	LAST=$out
}
for _ in $(seq 1 50); do
	"$LPAC" chip info >chip.json 2>/dev/null && grep -q eidValue chip.json && break
	sleep 0.2
done
# the first "KEY": "value" of stdin's JSON, or nothing (never a failure: set -e)
jget() { { grep -o "\"$1\": *\"[^\"]*\"" || true; } | head -1 | sed 's/.*: *"\([^"]*\)"$/\1/'; }
eid=$(jget eidValue <chip.json)
[ -n "$eid" ] || fail "no EID from lpac chip info: $(cat chip.json)"
ciid=$(grep -o '"euiccCiPKIdListForVerification":\["[0-9a-f]*"' chip.json | cut -d'"' -f4 || true)

# pySim-shell: pys <name> <commands...>: one run with the commands as its script, output in
# <name>.out. Standard input is empty, so the shell ends after the script.
pys() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$name.pss"
	timeout 300 "$PY" "$PYSIM" -p 0 --script "$name.pss" </dev/null >"$name.out" 2>&1 || true
}
has() { grep -q -- "$2" "$1.out" || fail "pySim-shell $1: no '$2' in its output: $(tail -40 "$1.out")"; }
val() { jget "$2" <"$1.out"; }

# ---------------------------------------------------------------- no profile
pys empty "apdu 00a4040010a0000005591010ffffffff8900000100" "apdu 80e2910006bf3e035c015a" \
	"apdu 00a40004023f00"
has empty "Unsupported card type"
has empty "SW: 9000, RESP: 6f188410a0000005591010ffffffff8900000100a5049f6501ff"
has empty "SW: 9000, RESP: bf3e125a10$eid"
has empty "SW: 6a86"
ok "no profile: pySim-shell finds no UICC file system (SELECT MF 6A86, not equipped); raw APDUs: ISD-R FCI, GetEID $eid"

# ---------------------------------------------------------------- download, enable (lpac)
C=(curl -s --max-time 10 --cacert pki/ci/ci.pem)
hdr='"header":{"functionRequesterIdentifier":"op","functionCallIdentifier":"1"}'
es2() {
	"${C[@]}" -X POST -H 'Content-Type: application/json' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0' \
		-H "Authorization: Bearer $tok" \
		-d "$2" "https://$FQDN/gsma/rsp2/es2plus/$1"
}
"$B" smdp profile list --db smdp.db --json >inv.json
iccid=$(jget iccid <inv.json)
imsi=$(jget imsi <inv.json)
es2 downloadOrder "{$hdr,\"iccid\":\"$iccid\",\"eid\":\"$eid\"}" >/dev/null
mid=$(es2 confirmOrder "{$hdr,\"iccid\":\"$iccid\",\"releaseFlag\":true}" |
	grep -o '"matchingId":"[^"]*"' | cut -d'"' -f4 || true)
[ -n "$mid" ] || fail "ES2+ order"
lpac download profile download -a "LPA:1\$$FQDN\$$mid"
lpac enable profile enable "$iccid"
lpac "notification list" notification list
seqs=$(grep -o '"seqNumber":[0-9]*' <<<"$LAST" | cut -d: -f2 | paste -sd' ' || true)
ok "lpac downloaded and enabled $iccid (IMSI $imsi); pending notifications: $seqs"
# pySim a437d11 writes an ICCID of 19 digits in 9 bytes (the last digit lost; its
# BcdAdapter, fixed upstream in e80f316): give it the F-padded 20 digits
piccid=$iccid
[ ${#piccid} = 19 ] && piccid=${iccid}f

# ---------------------------------------------------------------- start-up, ISD-R SELECT
# pySim-shell selects the ISD-R asking for the FCP (00 A4 04 04) and reads the answer as an
# FCI: openrsp answered the FCP '62' until session 53, and pySim-shell stopped at its start
pys start "select ADF.ISD-R" "get_eid"
has start "Card is of type: UICC"
! grep -q "Encountered tag 98 doesn't match our supported tag 111" start.out ||
	fail "the ISD-R answered pySim-shell's SELECT with an FCP ('62'), not its FCI ('6F')"
has start "ADF.ISD-R: a0000005591010ffffffff8900000100"
has start "USIM: a0000000871002"
has start "ISIM: a0000000871004"
[ "$(val start eid_value)" = "$eid" ] || fail "get_eid: $(val start eid_value), lpac: $eid"
ok "pySim-shell starts: UICC, EF.DIR (USIM, ISIM), ADF.ISD-R found, EID $eid as lpac's"

# ---------------------------------------------------------------- ES10
pys info "select ADF.ISD-R" get_euicc_info1 get_euicc_info2 get_euicc_configured_addresses \
	get_euicc_challenge get_profiles_info list_notification
[ "$(val info subject_key_identifier)" = "$ciid" ] || fail "EUICCInfo1 CI key id, lpac: $ciid"
[ "$(val info profile_version)" = "$(jget profileVersion <chip.json)" ] || fail "EUICCInfo2 profileVersion"
[ "$(val info svn)" = "$(jget svn <chip.json)" ] || fail "EUICCInfo2 svn"
[ "$(val info ss_acreditation_number)" = "$(jget sasAcreditationNumber <chip.json)" ] ||
	fail "EUICCInfo2 SAS accreditation number"
[ "$(val info root_ds_address)" = "$(jget rootDsAddress <chip.json)" ] || fail "root SM-DS address"
ch=$(val info euicc_challenge)
[[ $ch =~ ^[0-9a-f]{32}$ ]] || fail "GetEUICCChallenge: '$ch'"
[ "$(val info iccid)" = "$piccid" ] || fail "get_profiles_info: ICCID $(val info iccid)"
has info '"profile_state": "enabled"'
has info '"profile_name": "GSMA Generic eUICC Test Profile"'
for s in $seqs; do
	has info "\"seq_number\": $s,"
done
has info '"install": true'
ok "EUICCInfo1/2, configured addresses, challenge, profiles (enabled), notifications ($seqs) as lpac reads them"

first=${seqs%% *}
pys set "select ADF.ISD-R" "set_default_dp_address $FQDN" \
	"set_nickname --profile-nickname pysim-nick $piccid" \
	"remove_notification_from_list $first" "remove_notification_from_list $first" \
	"enable_profile --iccid $piccid" "enable_profile --iccid 89882470000000399990"
has set '"set_default_dp_addr_res": "ok"'
has set '"set_nickname_result": "ok"'
has set '"delete_notification_status": "ok"'
has set '"delete_notification_status": "nothingToDelete"'
has set '"enable_result": "profileNotInDisabledState"'
has set '"enable_result": "iccidOrAidNotFound"'
lpac "chip info" chip info
[ "$(jget defaultDpAddress <<<"$LAST")" = "$FQDN" ] || fail "lpac does not see pySim's default SM-DP+: $LAST"
lpac "profile list" profile list
[ "$(jget profileNickname <<<"$LAST")" = pysim-nick ] || fail "lpac does not see pySim's nickname: $LAST"
lpac "notification list" notification list
! grep -q "\"seqNumber\":$first," <<<"$LAST" || fail "notification $first still listed: $LAST"
ok "set_default_dp_address, set_nickname (lpac reads both), remove_notification_from_list" \
	"(ok, then nothingToDelete), enable_profile: enabled 2, unknown 1"

# ---------------------------------------------------------------- files
impi="$imsi@ims.mnc0${imsi:3:2}.mcc${imsi:0:3}.3gppnetwork.org"
pys fs "select MF" "select EF.ICCID" read_binary_decoded "select EF.DIR" read_records_decoded \
	"select ADF.USIM" "select EF.IMSI" read_binary_decoded "select EF.AD" read_binary_decoded \
	"select EF.SPN" read_binary_decoded "select EF.UST" read_binary_decoded \
	"select ADF.ISIM" "select EF.IMPI" read_binary_decoded "select EF.DOMAIN" \
	read_binary_decoded "select EF.IMPU" read_records_decoded
! grep -q EXCEPTION fs.out || fail "pySim-shell fs: $(grep -A2 EXCEPTION fs.out)"
[ "$(val fs iccid)" = "$iccid" ] || fail "EF.ICCID $(val fs iccid), the order's $iccid"
[ "$(val fs imsi)" = "$imsi" ] || fail "EF.IMSI $(val fs imsi), the order's $imsi"
has fs '"mnc_len": 2'
[ "$(val fs spn)" = GSMA_TEST ] || fail "EF.SPN $(val fs spn)"
has fs '"description": "Fixed Dialling Numbers (FDN)"'
has fs '"application_label": "USIM"'
has fs '"application_label": "ISIM"'
[ "$(val fs nai)" = "$impi" ] || fail "EF.IMPI $(val fs nai), expected $impi"
[ "$(val fs domain)" = "ims.mnc0${imsi:3:2}.mcc${imsi:0:3}.3gppnetwork.org" ] || fail "EF.DOMAIN $(val fs domain)"
[ "$(val fs impu)" = "sip:$impi" ] || fail "EF.IMPU $(val fs impu)"
ok "files: EF.ICCID $iccid, EF.DIR, EF.IMSI $imsi, EF.AD (MNC 2), EF.SPN, EF.UST, EF.IMPI," \
	"EF.DOMAIN, EF.IMPU sip:$impi"

# ---------------------------------------------------------------- AKA
v=$("$B" auc vector "$imsi" --db auc.db --json)
rand=$(jget rand <<<"$v")
autn=$(jget autn <<<"$v")
badmac=${autn:0:31}$(printf '%x' $(((16#${autn:31:1} + 1) % 16)))
pys aka "select ADF.USIM" "authenticate $rand $autn" "authenticate $rand $autn" \
	"authenticate $rand $badmac"
[ "$(val aka res)" = "$(jget xres <<<"$v")" ] || fail "RES $(val aka res), XRES $(jget xres <<<"$v")"
[ "$(val aka ck)" = "$(jget ck <<<"$v")" ] || fail "CK"
[ "$(val aka ik)" = "$(jget ik <<<"$v")" ] || fail "IK"
auts=$(val aka auts)
[ ${#auts} = 28 ] || fail "the replayed vector: no AUTS: $(tail -20 aka.out)"
"$B" auc resync "$imsi" --db auc.db --rand "$rand" --auts "$auts" >resync.txt ||
	fail "the AuC refuses pySim's AUTS: $(cat resync.txt)"
has aka "got 9862"
ok "AUTHENTICATE: RES = XRES, CK, IK of the AuC's vector; replayed: AUTS (the AuC reads it);" \
	"changed MAC: 9862"

# ---------------------------------------------------------------- disable, delete
pys life "select ADF.ISD-R" "disable_profile --iccid $piccid" get_profiles_info \
	"delete_profile --iccid $piccid" get_profiles_info list_notification
has life '"disable_result": "ok"'
has life '"profile_state": "disabled"'
has life '"delete_result": "ok"'
has life '"profile_info_seq": null'
has life '"disable": true'
has life '"delete": true'
lpac "profile list" profile list
grep -q '"data":\[\]' <<<"$LAST" || fail "profile still listed: $LAST"
lpac "notifications delivered" notification process -a -r
lpac "notification list" notification list
grep -q '"data":\[\]' <<<"$LAST" || fail "notifications left: $LAST"
n=$(grep -c "function=handleNotification .*http=204 result=ok" smdp.log || true)
[ "$n" -ge 3 ] || fail "the SM-DP+ logged $n accepted notifications, expected 3 or more"
ok "disable_profile, delete_profile (get_profiles_info: disabled, then none);" \
	"their notifications delivered by lpac, $n accepted by the SM-DP+"
echo "interop-pysim-shell: PASS (pySim-shell $PYSIM)"
