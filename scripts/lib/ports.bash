# TCP port helpers for the scripts that start pcscd with the vpcd driver (tests/pcsc/run.sh,
# scripts/interop-lpac.sh and interop-pysim-shell.sh through lib/interop.bash). Sourced.

# The inodes of the TCP sockets (IPv4 or IPv6) with local port $1, in any state (listening,
# connected, TIME_WAIT), or only listening ones with $2 = 0A. From /proc/net/tcp*, so no ss
# or netstat is needed.
port_inodes() {
	local hex
	hex=$(printf ':%04X' "$1")
	awk -v p="$hex" -v st="${2:-}" 'FNR > 1 && substr($2, length($2) - 4) == p && (st == "" || $4 == st) { print $10 }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port_used() { [ -n "$(port_inodes "$1")" ]; }

# A port for vpcd: below the ephemeral range, and one no socket uses now (up to 50 random
# tries, then a failure with a message rather than a port in use). vpcd's default port 35963
# lies in Linux's ephemeral range (32768-60999): a TIME_WAIT socket of any earlier loopback
# connection can hold it, and vpcd, which binds without SO_REUSEADDR, then fails with
# "Address already in use" and pcscd runs without the reader.
vpcd_free_port() {
	local lo p
	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$lo" -gt 21000 ] 2>/dev/null || lo=32768 # an odd range: below 32768 anyway
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % (lo - 20000)))
		if ! port_used "$p"; then
			echo "$p"
			return 0
		fi
	done
	echo "vpcd_free_port: 50 random ports from 20000 to $((lo - 1)) were all in use" >&2
	return 1
}
