#!/usr/bin/env bash
# Run every libFuzzer target of a build, each with its seeds
# (tests/fuzz/corpus/NAME) and dictionary (tests/fuzz/dict/NAME.dict), and
# print per target: executions, edges covered, features, corpus entries.
# A crash fails the run; its input is kept and named.
#
#   scripts/fuzz.sh [--seconds N] [--keep DIR] [BUILD_DIR]
#
#   --seconds N  time per target (default 600; scripts/test.sh runs 10)
#   --keep DIR   keep what each target learnt in DIR/NAME (default: thrown
#                away; copy new entries worth keeping into tests/fuzz/corpus)
#   BUILD_DIR    a build with -DDNSACME_FUZZ=ON (clang); default build-fuzz,
#                configured with ASan/UBSan and built when missing
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=600
keep=
build=
while (($#)); do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	-h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
	*) build=$1; shift ;;
	esac
done
if [[ -z $build ]]; then
	build=$root/build-fuzz
	if [[ ! -f $build/CMakeCache.txt ]]; then
		cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
			-DDNSACME_FUZZ=ON -DDNSACME_SANITIZE=ON >&2
	fi
	cmake --build "$build" -j "${JOBS:-2}" >&2
fi

work=$(mktemp -d)
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
[[ -z $keep ]] || work=$keep
status=0 found=0
printf '%-12s %10s %8s %8s %8s  %s\n' target execs edges features corpus result
for target in "$build"/tests/fuzz_*; do
	[[ -x $target ]] || continue
	found=1
	name=${target##*/fuzz_}
	seeds=$root/tests/fuzz/corpus/$name
	dict=$root/tests/fuzz/dict/$name.dict
	mkdir -p "$work/$name"
	args=(-max_total_time="$seconds" -artifact_prefix="$work/$name/" -print_final_stats=1)
	[[ -f $dict ]] && args+=(-dict="$dict")
	[[ -d $seeds ]] || seeds=
	log=$work/$name.log
	if "$target" "${args[@]}" "$work/$name" ${seeds:+"$seeds"} >"$log" 2>&1; then
		result=ok
	else
		result="CRASH: $(ls "$work/$name"/crash-* "$work/$name"/leak-* "$work/$name"/timeout-* 2>/dev/null | head -1)"
		tail -n 40 "$log" >&2
		status=1
		trap - EXIT # keep the input
	fi
	# The last status line: "#N DONE cov: C ft: F corp: K/..." (or the last pulse).
	stats=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$stats")
	edges=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$stats")
	features=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$stats")
	corpus=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$stats")
	printf '%-12s %10s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${edges:-?}" \
		"${features:-?}" "${corpus:-?}" "$result"
done
if [[ $found == 0 ]]; then
	echo "fuzz.sh: no fuzz targets in $build/tests (configure with -DDNSACME_FUZZ=ON)" >&2
	exit 1
fi
exit "$status"
