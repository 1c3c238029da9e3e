#!/usr/bin/env bash
# Install every Debian package openrsp needs to build, test and benchmark. Idempotent: does
# nothing when all packages are present. Run as root, or with sudo available.
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang libclang-rt-dev python3
	libssl-dev libsqlite3-dev sqlite3 libcmocka-dev
	asn1c # ASN.1 codecs generated at build time (src/asn1/, docs/asn1.md)
	libosmocore-dev # only for the side-by-side AKA benchmark against osmo_auth_gen_vec
	libosmocore-utils # osmo-auc-gen: tests/cli/osmo_auc_gen.sh compares vectors with it
	osmo-hlr # Osmocom's HLR: tests/cli/osmo_hlr.sh checks AKA and resynchronisation over GSUP
	pcscd vsmartcard-vpcd libpcsclite-dev pcsc-tools # PC/SC test of the soft eUICC (tests/pcsc/run.sh)
	libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libgnutls28-dev # http module (docs/http.md)
	procps # pgrep: tests/cli/bench.sh, scripts/lib/bench-server.bash
	curl xxd # tests/cli/smdp_serve.sh talks HTTPS to the SM-DP+ with an independent client
	openssl # the openssl command: tests/cli/pki.sh, euicc.sh, smdp_serve.sh, smdp_pkcs11.sh read and make certificates and keys with it
	libp11-kit-dev # PKCS#11 keys (URI parsing, module loading; docs/crypto.md)
	softhsm2 # a software PKCS#11 token for tests/test_pkcs11.c and tests/cli/smdp_pkcs11.sh
	haproxy nginx # TLS-terminating proxies in front of the SM-DP+ (scripts/interop-proxy.sh, ctest proxy_interop); their system services are not used
	opensc # pkcs11-tool: keys made inside that token (tests/cli/smdp_pkcs11.sh)
	strace # tests/cli/rekey.sh kills a key rotation at a chosen system call (fault injection)
	gdb # tests/cli/smdp_batch.sh holds one import at a breakpoint while another runs
	valgrind # memcheck runs tests/ct_secrets.c (ctest ct_secrets): no branch or address on a secret; its header makes orsp_ct_secret and orsp_ct_public work
	python3-cryptography # tests/cli/lib/unseal_upp.py reads a stored package (AES-GCM) independently of openrsp
	prometheus python3-prometheus-client # promtool and Prometheus' Python parser read /metrics (tests/cli/smdp_serve.sh, smdp_revocation.sh); the prometheus service is not used
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then
		sudo="sudo"
	else
		echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
