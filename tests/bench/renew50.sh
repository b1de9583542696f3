#!/usr/bin/env bash
# Benchmark: `dnsacme renew` over 50 certificates of 2 names each against a
# shell loop of `lego renew` over the same 50, and `dnsacme renew` over 1,000
# recorded certificates none of which is due (wall time, requests to the CA).
# Needs root. Not part of the test suite: timings vary with the machine.
#   tests/bench/renew50.sh [--without-lego]
# DNSACME_BIN may name a built binary; otherwise one is built in build-bench/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
"$root/scripts/setup.sh" bench
if [[ -z ${DNSACME_BIN:-} ]]; then
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDNSACME_TESTS=OFF >&2
	cmake --build build-bench -j "${JOBS:-2}" --target dnsacme dnsacme-rfc2136 >&2
	export DNSACME_BIN=$root/build-bench/bin/dnsacme
fi
exec /usr/bin/python3 "$root/tests/bench/renew50.py" "$@"
