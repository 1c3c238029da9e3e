#!/usr/bin/env bash
# PC/SC integration test of the software eUICC's APDU layer (ctest: pcsc_vpcd).
#
#   tests/pcsc/run.sh ECHO_CARD PCSC_CLIENT
#
# Starts pcscd in the foreground with a private reader.conf.d holding only vsmartcard's vpcd
# driver (pcscd -c; vpcd then listens on $ORSP_VPCD_PORT, by default on a free port below the
# ephemeral range, for a virtual card),
# starts ECHO_CARD (tests/pcsc/echo_card.c: the APDU layer with a test echo application,
# served through orsp_vpcd_serve), and runs PCSC_CLIENT (tests/pcsc/pcsc_client.c), which
# lists the readers, connects, checks the ATR and sends TERMINAL CAPABILITY, MANAGE CHANNEL,
# SELECT, chained STORE DATA and GET RESPONSE as lpac does. If a pcscd is already serving
# /run/pcscd (a system one, socket-activated or not), that one is used with the system's
# /etc/reader.conf.d/vpcd instead, since two pcscd cannot share the socket.
#
# Every process started here is stopped on exit, whatever happens. Exit status: 0 pass,
# 1 fail, 77 skipped: pcscd, the vpcd driver or the PC/SC client is not installed
# (scripts/setup.sh installs pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools).
set -euo pipefail

card_bin=${1:-}
client_bin=${2:-}
openrsp_bin=${3:-} # optional: then also the end-to-end phase with the software eUICC
# The echo application's AID: 'F' = proprietary, not registered (ISO/IEC 7816-5), then
# "openrsp-echo" in ASCII. The ATR the card must present (docs/euicc-apdu.md).
aid=F06F70656E7273702D6563686F
atr=3B9A968091FE1FC78031E073F6215F82900083
sock=/run/pcscd/pcscd.comm
pidfile=/run/pcscd/pcscd.pid

skip() {
	echo "pcsc_vpcd: SKIPPED: $*" >&2
	exit 77
}
fail() {
	echo "pcsc_vpcd: FAIL: $*" >&2
	exit 1
}

# ---------------------------------------------------------------- prerequisites
pcscd_bin=$(command -v pcscd || true)
if [ -z "$pcscd_bin" ] && [ -x /usr/sbin/pcscd ]; then
	pcscd_bin=/usr/sbin/pcscd
fi
[ -n "$pcscd_bin" ] || skip "pcscd is not installed"
driver=""
for d in /usr/lib/pcsc/drivers/serial/libifdvpcd.so /usr/lib/*/pcsc/drivers/serial/libifdvpcd.so \
	/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so; do
	if [ -e "$d" ]; then
		driver=$d
		break
	fi
done
[ -n "$driver" ] || skip "vsmartcard-vpcd (libifdvpcd.so) is not installed"
if [ -z "$client_bin" ] || [ ! -x "$client_bin" ]; then
	skip "the PC/SC client was not built (libpcsclite-dev was missing when CMake ran)"
fi
[ -x "$card_bin" ] || fail "no echo card program at '$card_bin'"

# ---------------------------------------------------------------- cleanup
base=${ORSP_TEST_TMP:-${TMPDIR:-/tmp}}
mkdir -p "$base"
work=$(mktemp -d "$base/pcsc.XXXXXX")
pids=()
# stops every process in pids; status 1 if one had to be killed (after a minute: a
# sanitizer's process on a loaded machine may take seconds to stop)
stop_pids() {
	local pid i ok=0
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for i in $(seq 1 600); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "pcsc_vpcd: process $pid ignored SIGTERM; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
			ok=1
		fi
		wait "$pid" 2>/dev/null || true
	done
	return "$ok"
}
cleanup() {
	local rc=$?
	stop_pids || rc=1
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

show_logs() {
	local f
	for f in "$work"/*.log; do
		[ -e "$f" ] || continue
		echo "---- ${f##*/} (last 60 lines)" >&2
		tail -n 60 "$f" >&2
	done
}

# ---------------------------------------------------------------- pcscd + vpcd
# port_inodes, port_used, vpcd_free_port
# shellcheck source=SCRIPTDIR/../../scripts/lib/ports.bash
. "$(dirname "$0")/../../scripts/lib/ports.bash"
# Whether process $1 itself listens on port $2 (not just anyone).
listens() {
	local ino
	for ino in $(port_inodes "$2" 0A); do
		[ "$ino" != 0 ] && find "/proc/$1/fd" -lname "socket:\[$ino\]" 2>/dev/null | grep -q . && return 0
	done
	return 1
}
# Whether a pcscd serves $sock: a pcscd process is alive, or systemd's pcscd.socket listens
# (socket activation: no pcscd process until the first client connects).
pcscd_alive() {
	local d
	if command -v pgrep >/dev/null 2>&1; then
		pgrep -x pcscd >/dev/null 2>&1 && return 0
	else
		for d in /proc/[0-9]*; do
			[ "$(cat "$d/comm" 2>/dev/null)" = pcscd ] && return 0
		done
	fi
	command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet pcscd.socket 2>/dev/null
}
# A pcscd that was killed (SIGKILL, a crashed container) leaves its socket and pid file
# behind; nobody answers on that socket, so remove both and start our own pcscd below.
if [ -S "$sock" ] && ! pcscd_alive; then
	echo "pcsc_vpcd: $sock is stale (no pcscd is running); removing it and $pidfile"
	rm -f "$sock" "$pidfile" || fail "cannot remove the stale $sock (it needs root)"
fi
if [ -S "$sock" ]; then
	# Someone serves PC/SC already: use that pcscd and its vpcd reader.
	conf=/etc/reader.conf.d/vpcd
	[ -r "$conf" ] || fail "a pcscd is running without a vpcd reader ($conf); stop it or install vsmartcard-vpcd"
	chan=$(awk '$1 == "CHANNELID" { print $2 }' "$conf")
	port=$((chan))
	reader="Virtual PCD"
	echo "pcsc_vpcd: using the running pcscd, vpcd on port $port"
else
	# vpcd's default port 35963 lies in Linux's ephemeral range, where a TIME_WAIT socket of
	# any earlier loopback connection (this suite makes thousands) can hold it: the private
	# pcscd gets a port from vpcd_free_port (scripts/lib/ports.bash), and another one if vpcd
	# still cannot listen on it.
	reader="openrsp vpcd"
	mkdir -p "$work/conf"
	started=""
	for attempt in 1 2 3 4 5; do
		port=${ORSP_VPCD_PORT:-$(vpcd_free_port)}
		cat >"$work/conf/vpcd" <<EOF
FRIENDLYNAME "$reader"
DEVICENAME   /dev/null:$port
LIBPATH      $driver
CHANNELID    $port
EOF
		# --debug: its log names the protocol of each connection (the LPA's T=0, below)
		"$pcscd_bin" --foreground --debug --config "$work/conf" >"$work/pcscd.log" 2>&1 &
		pids+=($!)
		for _ in $(seq 1 100); do
			[ -S "$sock" ] && break
			kill -0 "${pids[0]}" 2>/dev/null || break
			sleep 0.1
		done
		if [ ! -S "$sock" ] || ! kill -0 "${pids[0]}" 2>/dev/null; then
			show_logs
			fail "pcscd could not be started (it needs root to create /run/pcscd)"
		fi
		# the reader is initialised at start: vpcd listens, or it logged why not
		for _ in $(seq 1 50); do
			listens "${pids[0]}" "$port" && started=yes && break
			grep -q "Could not initialize connection" "$work/pcscd.log" && break
			sleep 0.1
		done
		[ -n "$started" ] && break
		echo "pcsc_vpcd: vpcd could not listen on port $port (attempt $attempt):" >&2
		tail -n 5 "$work/pcscd.log" >&2
		[ -z "${ORSP_VPCD_PORT:-}" ] || break
		stop_pids || true
		pids=()
		for _ in $(seq 1 50); do
			[ -S "$sock" ] || break
			sleep 0.1
		done
	done
	[ -n "$started" ] || {
		show_logs
		fail "vpcd did not listen on any port tried"
	}
	echo "pcsc_vpcd: started pcscd (pid ${pids[0]}), vpcd on port $port"
fi

# ---------------------------------------------------------------- card and client
# The trace only ever carries this test's echo data.
"$card_bin" "$aid" "$port" 127.0.0.1 --trace >"$work/card.log" 2>&1 &
pids+=($!)
echo "pcsc_vpcd: started the echo card (pid ${pids[-1]})"

# T=0 only, as lpac connects; then T=1 only (the ATR offers both).
for proto in T0 T1; do
	echo "pcsc_vpcd: client over $proto"
	if ! "$client_bin" "$reader" "$aid" "$atr" "$proto" 120; then
		show_logs
		fail "the PC/SC client did not get the expected answers over $proto"
	fi
done
kill -0 "${pids[-1]}" 2>/dev/null || {
	show_logs
	fail "the echo card died"
}

# ---------------------------------------------------------------- the software eUICC
# Phase 2 (given the openrsp binary): the echo card leaves, `openrsp euicc serve` takes the
# reader, and the LPA drives it over PC/SC: EID, a download from `openrsp smdp serve` over
# HTTPS after an ES2+ order, enable, notifications delivered, disable, delete.
if [ -n "$openrsp_bin" ]; then
	B=$openrsp_bin
	kill -TERM "${pids[-1]}" 2>/dev/null || true
	wait "${pids[-1]}" 2>/dev/null || true
	unset 'pids[-1]'
	command -v curl >/dev/null || fail "curl is not installed"
	FQDN=smdp.example.org
	tok=pcsc-test-operator-token-01
	"$B" pki init "$work/pki" --smdp-fqdn $FQDN >/dev/null || fail "pki init"
	printf '%s\n' "fqdn = $FQDN" "oid = 2.999.10" "port = 0" "database = smdp.db" \
		"tls_cert = pki/smdp/dptls.pem" "tls_key = pki/smdp/dptls_key.pem" "es2_token = $tok" \
		"[keyset]" "ci = pki/ci/ci.der" "dpauth_cert = pki/smdp/dpauth.der" \
		"dpauth_key = pki/smdp/dpauth_key.pem" "dppb_cert = pki/smdp/dppb.der" \
		"dppb_key = pki/smdp/dppb_key.pem" >"$work/smdp.conf"
	chmod 600 "$work/smdp.conf" # it holds the ES2+ token
	tpl="$(dirname "$0")/../../data/profiles/ts48-v7-saip2.3-nobertlv.der"
	"$B" auc init --db "$work/auc.db" >/dev/null || fail "auc init"
	"$B" smdp profile generate --db "$work/smdp.db" --template "$tpl" --auc "$work/auc.db" \
		--iccid-start 898824700000002000 --imsi-start 001019000002000 --count 2 >/dev/null ||
		fail "profile generate"
	"$B" smdp serve --config "$work/smdp.conf" >"$work/port" 2>"$work/smdp.log" &
	pids+=($!)
	# (a sanitizer's server on a loaded machine starts in seconds: 2 minutes only bound a hang)
	for _ in $(seq 1 1200); do
		[ -s "$work/port" ] && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	sport=$(head -1 "$work/port")
	[ -n "$sport" ] || {
		show_logs
		fail "the SM-DP+ did not start"
	}
	"$B" euicc init --state "$work/euicc" --pki "$work/pki" >/dev/null || fail "euicc init"
	"$B" euicc serve --state "$work/euicc" --vpcd "127.0.0.1:$port" >"$work/euicc.log" 2>&1 &
	pids+=($!)
	lpa() { "$B" lpa "$@" --euicc "pcsc:$reader"; }
	# the private pcscd's log from here on: the LPA's connections only, until scriptor's
	mark=0
	[ "$reader" = "openrsp vpcd" ] && mark=$(wc -l <"$work/pcscd.log")
	eid=""
	end=$((SECONDS + 120))
	while ((SECONDS < end)); do
		eid=$(lpa chip info --json 2>"$work/lpa.log" | grep -o '"eidValue":"[0-9A-F]*"' | cut -d'"' -f4) || true
		[ -n "$eid" ] && break
		sleep 0.2
	done
	[ -n "$eid" ] || {
		show_logs
		fail "no EID over PC/SC"
	}
	echo "pcsc_vpcd: the software eUICC answers over PC/SC, EID $eid"
	C=(curl -s --max-time 10 --cacert "$work/pki/ci/ci.pem" --resolve "$FQDN:$sport:127.0.0.1")
	hdr='"header":{"functionRequesterIdentifier":"op","functionCallIdentifier":"1"}'
	es2() {
		"${C[@]}" -X POST -H 'Content-Type: application/json' -H 'X-Admin-Protocol: gsma/rsp/v2.2.0' \
			-H "Authorization: Bearer $tok" \
			-d "$2" "https://$FQDN:$sport/gsma/rsp2/es2plus/$1"
	}
	S=(--server-url "https://127.0.0.1:$sport" --ca "$work/pki/ci/ci.pem")
	# order the profile at line $1 of the inventory for the eUICC, download and enable it
	get_profile() {
		local n=$1 iccid mid
		iccid=$("$B" smdp profile list --db "$work/smdp.db" --json | grep -o '"iccid":"[0-9]*"' | sed -n "${n}p" | cut -d'"' -f4)
		# a call of its own: one call identifier is one order (a replay after it)
		es2 downloadOrder "{${hdr/\"1\"/\"order-$iccid\"},\"iccid\":\"$iccid\",\"eid\":\"$eid\"}" >/dev/null
		mid=$(es2 confirmOrder "{$hdr,\"iccid\":\"$iccid\",\"releaseFlag\":true}" | grep -o '"matchingId":"[^"]*"' | cut -d'"' -f4)
		[ -n "$mid" ] || fail "ES2+ order"
		lpa profile download -a "LPA:1\$$FQDN\$$mid" "${S[@]}" >"$work/dl.log" 2>&1 || {
			cat "$work/dl.log" >&2
			show_logs
			fail "download over PC/SC"
		}
		lpa profile enable "$iccid" >/dev/null || fail "enable over PC/SC"
		lpa notification process "${S[@]}" >/dev/null || fail "notifications over PC/SC"
		lpa profile list >"$work/list.txt" || fail "profile list over PC/SC"
		grep "$iccid" "$work/list.txt" | grep -q enabled || {
			cat "$work/list.txt" >&2
			fail "the profile is not enabled"
		}
		echo "$iccid"
	}
	# AKA through PC/SC with pcsc-tools' scriptor, as a modem does: EF.DIR for the USIM's
	# AID, SELECT it, AUTHENTICATE (3G context) with a vector of the operator's AuC. Every
	# scriptor asks for T=0: one that lets pcscd choose can, after pcscd has powered the idle card
	# down, leave it in T=1, and the next T=0 check fails ("Card protocol mismatch"; seen in
	# CI under load, session 58).
	# scriptor's answer to the command whose line starts with $2, as one hex string with SW
	answer() {
		awk -v c="$2" 'index($0, c) == 1 { on = 1; next } on && /^> / { exit } on { print }' <<<"$1" |
			tr -d '\n' | cut -d: -f1 | tr -d ' <' | tr 'a-f' 'A-F'
	}
	aka() { # aka IMSI -> prints ok / mac-failure
		local v rand autn xres ck ik out aid resp
		v=$("$B" auc vector "$1" --db "$work/auc.db" --json)
		rand=$(grep -o '"rand":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		autn=$(grep -o '"autn":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		xres=$(grep -o '"xres":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		ck=$(grep -o '"ck":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		ik=$(grep -o '"ik":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		# in T=0, which a client that speaks T=0 only (lpac, pySim) asks for: `openrsp lpa`,
		# which connected before, must leave the card in T=0 (pcscd keeps the protocol of the
		# first connection until a reset; in T=1 this is "Card protocol mismatch")
		out=$(printf '00 A4 00 04 02 3F 00\n00 A4 00 04 02 2F 00\n00 B2 01 04 00\n' | scriptor -p T=0 2>&1) || true
		if grep -qi 'mismatch' <<<"$out"; then
			echo "$out" >&2
			fail "a T=0 client after openrsp lpa: the card was left in T=1"
		fi
		aid=$(answer "$out" "> 00 B2 01 04" | sed -n 's/^61[0-9A-F][0-9A-F]4F\([0-9A-F][0-9A-F]\)\(.*\)$/\1 \2/p')
		[ -n "$aid" ] || { echo "$out" >&2; fail "no USIM AID in EF.DIR"; }
		local alen=$((16#${aid%% *}))
		aid=$(cut -c1-$((alen * 2)) <<<"${aid#* }")
		printf '%s %s\n' "$rand" "$autn" >"$work/usim_vector" # for ims_aka's replay check
		out=$(printf '00 A4 04 04 %02X %s\n00 88 00 81 22 10 %s 10 %s 00\n00 C0 00 00 00\n' "$alen" \
			"$(sed 's/../& /g; s/ $//' <<<"$aid")" "$(sed 's/../& /g; s/ $//' <<<"$rand")" "$(sed 's/../& /g; s/ $//' <<<"$autn")" |
			scriptor -p T=0 2>&1) || true
		resp=$(answer "$out" "> 00 88 00 81")
		if [ "$resp" = 9862 ]; then
			echo mac-failure
			return
		fi
		# T=1 readers may fetch the 61xx data themselves; else it is GET RESPONSE's answer
		case "$resp" in
		61*) resp=$(answer "$out" "> 00 C0 00 00") ;;
		esac
		case "$resp" in
		"DB08${xres^^}10${ck^^}10${ik^^}"*9000) echo ok ;;
		*)
			echo "$out" >&2
			echo bad
			;;
		esac
	}
	sp() { sed 's/../& /g; s/ $//' <<<"$1"; }
	# IMS AKA through PC/SC (docs/isim.md, "Trying it"): the ISIM selected by its partial AID
	# (RID + ISIM code), EF.IMPI read by SFI 02 and compared with the identity generate
	# derived from the IMSI (TS 23.003 §13.3, MNC of 2 digits padded to 3) and EF.IMPU's
	# first record (sip: and the same identity), the USIM's last
	# vector replayed (the generated profile gives the ISIM the USIM's K: one SQN state, so
	# synchronisation failure, DC), then AUTHENTICATE P2 81 with a fresh vector from the AuC:
	# DB RES CK IK and no Kc.
	ims_aka() { # ims_aka IMSI -> prints ok
		local imsi=$1 v rand autn xres ck ik out resp impi want old
		impi="$imsi@ims.mnc0${imsi:3:2}.mcc${imsi:0:3}.3gppnetwork.org"
		want=$(printf '80%02X' "${#impi}")$(printf '%s' "$impi" | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F')9000
		read -r -a old <"$work/usim_vector"
		v=$("$B" auc vector "$imsi" --db "$work/auc.db" --json)
		rand=$(grep -o '"rand":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		autn=$(grep -o '"autn":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		xres=$(grep -o '"xres":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		ck=$(grep -o '"ck":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		ik=$(grep -o '"ik":"[0-9a-f]*"' <<<"$v" | cut -d'"' -f4)
		out=$(printf '%s\n' "00 A4 04 0C 07 A0 00 00 00 87 10 04" "00 B0 82 00 00" "00 B2 01 24 00" \
			"00 88 00 81 22 10 $(sp "${old[0]}") 10 $(sp "${old[1]}") 00" "00 C0 00 00 00" |
			scriptor -p T=0 2>&1) || true
		resp=$(answer "$out" "> 00 A4 04 0C 07")
		[ "$resp" = 9000 ] || { echo "$out" >&2; fail "SELECT of the ISIM over PC/SC: $resp"; }
		resp=$(answer "$out" "> 00 B0 82 00 00")
		[ "$resp" = "$want" ] || { echo "$out" >&2; fail "EF.IMPI is $resp, expected $want ($impi)"; }
		# EF.IMPU record 1 by SFI 04: 80 L sip:IMPI, FF padding
		resp=$(answer "$out" "> 00 B2 01 24 00")
		case "$resp" in
		80??$(printf 'sip:%s' "$impi" | od -An -tx1 | tr -d ' \n' | tr 'a-f' 'A-F')*9000) ;;
		*)
			echo "$out" >&2
			fail "EF.IMPU record 1 is $resp, expected sip:$impi"
			;;
		esac
		resp=$(answer "$out" "> 00 88 00 81")
		case "$resp" in
		61*) resp=$(answer "$out" "> 00 C0 00 00") ;;
		esac
		case "$resp" in
		DC0E*9000) ;;
		*)
			echo "$out" >&2
			fail "the ISIM accepted the USIM's vector again: $resp"
			;;
		esac
		out=$(printf '%s\n' "00 A4 04 0C 07 A0 00 00 00 87 10 04" \
			"00 88 00 81 22 10 $(sp "$rand") 10 $(sp "$autn") 00" "00 C0 00 00 00" |
			scriptor -p T=0 2>&1) || true
		resp=$(answer "$out" "> 00 88 00 81")
		case "$resp" in
		61*) resp=$(answer "$out" "> 00 C0 00 00") ;;
		esac
		if [ "$resp" = "DB08${xres^^}10${ck^^}10${ik^^}9000" ]; then
			echo ok
		else
			echo "$out" >&2
			echo bad
		fi
	}
	iccid1=$(get_profile 1)
	# `openrsp lpa` connects in T=0 when the card has it (this one offers T=0 and T=1): in
	# T=1 a client that speaks T=0 only (lpac, pySim) was refused afterwards. Read from the
	# private pcscd's log (deterministic: scriptor's own T=0 check below may meet a card
	# that pcscd powered down meanwhile, whose protocol is open again)
	if [ "$reader" = "openrsp vpcd" ]; then
		protos=$(tail -n +$((mark + 1)) "$work/pcscd.log" | { grep -o 'Active Protocol: T=[01]' || true; } | sort | uniq -c | tr -s ' ')
		if [[ "$protos" != *"Active Protocol: T=0"* || "$protos" == *"T=1"* ]]; then
			fail "openrsp lpa's PC/SC connections: $protos (want T=0 only)"
		fi
		echo "pcsc_vpcd: openrsp lpa connected in T=0 ($protos)"
	fi
	[ "$(aka 001019000002000)" = ok ] || fail "AKA with the first operator over PC/SC"
	echo "pcsc_vpcd: profile $iccid1 downloaded, enabled, AKA over PC/SC: RES = XRES, CK/IK agree"
	[ "$(ims_aka 001019000002000)" = ok ] || fail "IMS AKA with the ISIM over PC/SC"
	echo "pcsc_vpcd: ISIM selected, EF.IMPI and EF.IMPU read, the USIM's vector refused (DC), IMS AKA: RES = XRES, CK/IK agree"
	# change of subscription: the second profile, enabled, AKA; the first refused, deleted
	iccid2=$(get_profile 2)
	[ "$(aka 001019000002001)" = ok ] || fail "AKA with the second subscription over PC/SC"
	[ "$(aka 001019000002000)" = mac-failure ] || fail "the old subscription still answers"
	lpa profile delete "$iccid1" >/dev/null || fail "delete over PC/SC"
	lpa profile disable "$iccid2" >/dev/null || fail "disable over PC/SC"
	lpa profile delete "$iccid2" >/dev/null || fail "delete over PC/SC"
	lpa notification process "${S[@]}" >/dev/null || fail "notifications over PC/SC"
	for i in "$iccid1" "$iccid2"; do
		state=$("$B" smdp profile list --db "$work/smdp.db" | grep "$i" | awk '{print $3}')
		[ "$state" = installed ] || fail "the SM-DP+ has $i $state, not installed"
	done
	left=$(lpa notification list | grep -c "^ *[0-9]" || true)
	[ "$left" = 0 ] || fail "$left notifications left on the eUICC"
	echo "pcsc_vpcd: change of subscription through pcscd (download, enable, AKA, delete, notifications): PASS"
fi
echo "pcsc_vpcd: PASS"
