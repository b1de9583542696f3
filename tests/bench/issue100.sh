#!/usr/bin/env bash
# Benchmark: one 100-name order (apex, wildcard, 98 hosts) through RFC 2136 on
# the loopback harness, by dnsacme and by certbot + certbot-dns-rfc2136.
# Prints UPDATE messages, wall time, CPU time and peak RSS, and the ratios.
# Needs root. Not part of the test suite: timings vary with the machine.
#   tests/bench/issue100.sh [--runs N]
# DNSACME_BIN may name a built binary; otherwise one is built in build-bench/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
"$root/scripts/setup.sh" bench
if [[ -z ${DNSACME_BIN:-} ]]; then
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDNSACME_TESTS=OFF >&2
	if cmake --build build-bench -j "${JOBS:-2}" --target dnsacme dnsacme-rfc2136 >&2; then
		export DNSACME_BIN=$root/build-bench/bin/dnsacme
	else
		echo "issue100: dnsacme does not build; measuring certbot only" >&2
	fi
fi
exec /usr/bin/python3 "$root/tests/bench/issue100.py" "$@"
