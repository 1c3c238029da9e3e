# The clean-up on exit that scripts/interop-lpac.sh and scripts/interop-proxy.sh share. Sourced.

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
