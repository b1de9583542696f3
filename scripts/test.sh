#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run):
#  1. gcc, -Werror: build everything, run every test (unit + integration);
#  2. clang with ASan/UBSan: every test again (the integration tests run the
#     sanitized binary against Pebble and BIND; a leak or UB fails them);
#  3. every libFuzzer target with its seeds, 10 s each (scripts/fuzz.sh);
#  4. the image (docker/build.sh): it builds, runs, and is at most 40 MB.
# Exits non-zero if anything failed. Integration tests need root (they add
# loopback addresses and bind port 53). JOBS (default 2) sets the parallelism.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${JOBS:-2}
cd "$root"
"$root/scripts/setup.sh"

summary=()
failed=0

# stage NAME COMMAND...: run a step, remember how it went, go on either way.
stage() {
	local name=$1
	shift
	echo "=== $name" >&2
	if "$@"; then
		summary+=("ok      $name")
	else
		summary+=("FAILED  $name")
		failed=1
	fi
}

# build DIR CMAKE-ARGS...: -k, so one broken target does not keep the others
# (and the tests that need only them) from running.
build() {
	local dir=$1
	shift
	cmake -S . -B "$dir" "$@" && cmake --build "$dir" -j "$jobs" -- -k
}

stage "gcc -Werror build" build build-ci -DCMAKE_C_COMPILER=gcc -DDNSACME_WERROR=ON
stage "gcc: all tests" ctest --test-dir build-ci --output-on-failure -j "$jobs"

export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
stage "clang ASan/UBSan build" build build-ci-asan -DCMAKE_C_COMPILER=clang \
	-DDNSACME_SANITIZE=ON -DDNSACME_WERROR=ON -DDNSACME_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
stage "clang ASan/UBSan: all tests" ctest --test-dir build-ci-asan --output-on-failure -j "$jobs"

# Every libFuzzer target (parsers of untrusted input) with its seeds and
# dictionary for a few seconds each, so they keep building and the easy
# crashes are found here; scripts/fuzz.sh runs them long.
fuzz_smoke() {
	"$root/scripts/fuzz.sh" --seconds "${FUZZ_SECONDS:-10}" build-ci-asan
}
stage "libFuzzer smoke run" fuzz_smoke

# The image's size is a promise to its users (lego's is 70-80 MB).
image_check() {
	local log size
	log=$(mktemp)
	"$root/docker/build.sh" "localhost/dnsacme:ci" >"$log" 2>&1 || { tail -40 "$log"; return 1; }
	size=$(sed -n 's/^image .*(\([0-9]*\) bytes) uncompressed$/\1/p' "$log")
	tail -6 "$log" >&2
	rm -f "$log"
	((size > 0 && size <= 40 * 1000 * 1000))
}
stage "image: builds, runs, at most 40 MB" image_check

echo >&2
printf '%s\n' "${summary[@]}" >&2
exit "$failed"
