# What scripts/interop-lpac.sh, interop-pysim-shell.sh and interop-proxy.sh share: the clean-up
# on exit, and the card stack of the first two. Sourced.

# shellcheck source=SCRIPTDIR/ports.bash
. "$(dirname "${BASH_SOURCE[0]}")/ports.bash"

# interop_cleanup RC NAME FQDN DIR, from the EXIT trap with RC its $?: stop the processes the
# script started (the array pids: SIGTERM each, then wait for each), remove the /etc/hosts line
# the script added ("127.0.0.1 FQDN # NAME") if it added one, and remove DIR (test PKI with its
# keys, the SM-DP+'s database and KEK, the logs) after a pass (RC 0), or keep it for its logs
# after a failure, said on stderr.
interop_cleanup() {
	local rc=$1 name=$2 fqdn=$3 dir=$4 p
	# shellcheck disable=SC2154 # pids is the sourcing script's
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if grep -q " $fqdn # $name\$" /etc/hosts; then # (none added: interop-proxy.sh --ctest)
		sed -i "/ $fqdn # $name\$/d" /etc/hosts
	fi
	cd /
	if [ "$rc" -eq 0 ]; then
		rm -rf "$dir"
	else
		echo "$name: logs and state kept in $dir" >&2
	fi
}

# interop_card_stack NAME GENERATE_ARGS...: in $work (the shell then stays there) start pcscd
# with the vpcd driver ($driver) on port $port (ORSP_VPCD_PORT; empty: vpcd_free_port), add "127.0.0.1 $FQDN # NAME" to /etc/hosts, make
# a test PKI, an SM-DP+ configuration (smdp.conf, ES2+ token $tok, port 443), one profile from
# the TS.48 template in $data (`smdp profile generate` with GENERATE_ARGS), and serve the
# SM-DP+ and the software eUICC (state in euicc, on the vpcd port); their pids go to pids. The
# sourcing script defines B, FQDN, tok, port, driver, sock, data, work, pids and fail.
# shellcheck disable=SC2154,SC2153 # the sourcing script's variables
interop_card_stack() {
	local name=$1
	shift
	[ -n "$port" ] || port=$(vpcd_free_port)
	mkdir -p "$work/conf"
	printf 'FRIENDLYNAME "openrsp vpcd"\nDEVICENAME   /dev/null:%s\nLIBPATH      %s\nCHANNELID    %s\n' \
		"$port" "$driver" "$port" >"$work/conf/vpcd"
	pcscd --foreground --config "$work/conf" >"$work/pcscd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	[ -S "$sock" ] || fail "pcscd did not start"
	echo "127.0.0.1 $FQDN # $name" >>/etc/hosts
	cd "$work" || fail "cannot enter $work"

	"$B" pki init pki --smdp-fqdn "$FQDN" >/dev/null
	printf '%s\n' "fqdn = $FQDN" "oid = 2.999.10" "port = 443" "database = smdp.db" \
		"tls_cert = pki/smdp/dptls.pem" "tls_key = pki/smdp/dptls_key.pem" "es2_token = $tok" \
		"[keyset]" "ci = pki/ci/ci.der" "dpauth_cert = pki/smdp/dpauth.der" \
		"dpauth_key = pki/smdp/dpauth_key.pem" "dppb_cert = pki/smdp/dppb.der" \
		"dppb_key = pki/smdp/dppb_key.pem" >smdp.conf
	chmod 600 smdp.conf # it holds the ES2+ token
	"$B" smdp profile generate --db smdp.db \
		--template "$data/profiles/ts48-v7-saip2.3-nobertlv.der" --count 1 "$@" >/dev/null ||
		fail "smdp profile generate"
	"$B" smdp serve --config smdp.conf >port.txt 2>smdp.log &
	pids+=($!)
	for _ in $(seq 1 50); do
		[ -s port.txt ] && break
		sleep 0.1
	done
	[ -s port.txt ] || fail "the SM-DP+ did not start: $(cat smdp.log)"
	"$B" euicc init --state euicc --pki pki >/dev/null
	"$B" euicc serve --state euicc --vpcd "127.0.0.1:$port" >euicc.log 2>&1 &
	pids+=($!)
}
