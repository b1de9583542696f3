#!/usr/bin/env bash
# Benchmark: one 100-name order (apex, wildcard, 98 hosts) through RFC 2136 on
# the loopback harness, by dnsacme and by certbot + certbot-dns-rfc2136.
# Prints UPDATE messages, wall time, CPU time and peak RSS, and the ratios.
# Needs root. Not part of the test suite: timings vary with the machine.
#   tests/bench/issue100.sh [--runs N]
# DNSACME_BIN may name a built binary; otherwise one is built in build-bench/.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
exec /usr/bin/python3 "$root/tests/bench/issue100.py" "$@"
