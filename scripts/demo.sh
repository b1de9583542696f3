#!/usr/bin/env bash
# The main job, on loopback: Pebble + BIND9 come up, dnsacme issues one
# certificate for example.test and *.example.test through RFC 2136, the
# certificate is printed, checked and kept in out/demo/, everything else is
# torn down. Needs root.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
cmake -S . -B build
cmake --build build -j "${JOBS:-2}" --target dnsacme dnsacme-rfc2136
exec /usr/bin/python3 tests/integration/harness.py demo --bin build/bin/dnsacme --out out/demo
