#!/usr/bin/env bash
# Benchmark: `dnsacme webhook` on the loopback harness, as kube-apiserver's
# aggregator calls it (front-proxy client certificate, the Kubernetes API fake
# for its ConfigMap and Secrets). Prints its idle RSS beside the floor of a
# program that only initialises libcurl, Present + CleanUp latency through
# rfc2136 to the local BIND (median, p99, and the server's own share without
# the provider call), and 1,000 concurrent discovery GETs with RSS meanwhile.
# Needs root. Not part of the test suite: timings vary with the machine.
#   tests/bench/webhook.sh [--presents N]
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/build.sh"
exec /usr/bin/python3 "$root/tests/bench/webhook.py" "$@"
