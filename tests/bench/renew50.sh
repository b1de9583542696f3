#!/usr/bin/env bash
# Benchmark: `dnsacme renew` over 50 certificates of 2 names each against a
# shell loop of `lego renew` over the same 50, and `dnsacme renew` over 1,000
# recorded certificates none of which is due (wall time, requests to the CA).
# Needs root. Not part of the test suite: timings vary with the machine.
#   tests/bench/renew50.sh [--without-lego]
# DNSACME_BIN may name a built binary; otherwise one is built in build-bench/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
exec /usr/bin/python3 "$root/tests/bench/renew50.py" "$@"
