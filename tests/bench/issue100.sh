#!/usr/bin/env bash
# Benchmark: one order (default 100 names: apex, wildcard, 98 hosts) through RFC 2136 on
# the loopback harness, by dnsacme and by certbot + certbot-dns-rfc2136 (or lego).
# Prints UPDATE messages, wall time, CPU time and peak RSS, the ratios, and the
# phases of dnsacme's run as its --verbose log shows them.
# Needs root. Not part of the test suite: timings vary with the machine.
#   tests/bench/issue100.sh [--runs N] [--names N] [--against certbot|lego]
#   tests/bench/issue100.sh --runs 10 --nonce-reject 50   (dnsacme alone: each run must issue)
# DNSACME_BIN may name a built binary; otherwise one is built in build-bench/.
# DNSACME_CA_CONNECTIONS=1 runs dnsacme on one connection to the CA (default 4).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
exec /usr/bin/python3 "$root/tests/bench/issue100.py" "$@"
