# Sourced by the benchmark scripts: the packages (scripts/setup.sh bench) and
# a Release build of dnsacme and its rfc2136 plugin in build-bench/, unless
# DNSACME_BIN names a binary already. Sets root and exports DNSACME_BIN.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
"$root/scripts/setup.sh" bench
if [[ -z ${DNSACME_BIN:-} ]]; then
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DDNSACME_TESTS=OFF >&2
	cmake --build build-bench -j "${JOBS:-2}" --target dnsacme dnsacme-rfc2136 >&2
	export DNSACME_BIN=$root/build-bench/bin/dnsacme
fi
