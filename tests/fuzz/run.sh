#!/usr/bin/env bash
# run.sh - build the libFuzzer harnesses (tests/fuzz/fuzz_*.c) and run each
# on its corpus for a bounded time.
# SPDX-License-Identifier: Apache-2.0
#
# Builds with clang into RW_FUZZ_DIR (default build-fuzz/: -DRW_FUZZ=ON, every
# library instrumented, ASan+UBSan), then runs every harness, one after the
# other, for SECONDS each (default 5) on a working copy of its corpus
# (build-fuzz/corpus/<harness>/, seeded from tests/fuzz/corpus/<harness>/),
# with its dictionary from tests/fuzz/dict/ when there is one.  Prints one
# line per harness with libFuzzer's final stats (executions, coverage cov:
# edges, ft: features, corpus size), and a closing "fuzz: N passed, N
# failed" line.  Exits 1 when a harness crashed, leaked, hit a sanitizer or
# a model mismatch, or timed out on one input: the input that did it is
# copied to build-fuzz/crashes/ and its path printed, so it can become a
# regression input in tests/fuzz/corpus/<harness>/.
#
# Usage: tests/fuzz/run.sh [--seconds N | --minutes N] [--jobs N]
#                          [--only NAME[,NAME...]] [--no-build] [--merge]
#   --merge   keep what the run found: merge the working corpus back into
#             tests/fuzz/corpus/<harness>/ (minimised with -merge=1)
#   --jobs N  run N harnesses at once (default 1; CI has 2 cores to share)
# Environment: RW_FUZZ_DIR, RW_FUZZ_RSS (MB per harness, default 2048).
set -Eeuo pipefail

RW_PROG=fuzz
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

secs=5
only=
build=1
merge=0
jobs=1
while (($#)); do
	case $1 in
	--seconds) secs=$2; shift ;;
	--minutes) secs=$(($2 * 60)); shift ;;
	--only) only=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--no-build) build=0 ;;
	--merge) merge=1 ;;
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) rw_die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
[[ $secs =~ ^[0-9]+$ && $secs -gt 0 ]] || rw_die "--seconds/--minutes: a positive number, not $secs"
[[ $jobs =~ ^[0-9]+$ && $jobs -gt 0 ]] || rw_die "--jobs: a positive number, not $jobs"

src=$RW_ROOT/tests/fuzz
dir=${RW_FUZZ_DIR:-$RW_ROOT/build-fuzz}
command -v clang >/dev/null || rw_die "clang not found: run scripts/setup.sh"
if ((build)); then
	cmake -S "$RW_ROOT" -B "$dir" -DCMAKE_C_COMPILER=clang -DRW_FUZZ=ON \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir.cmake.log" 2>&1 ||
		{ cat "$dir.cmake.log"; rw_die "cmake configure of $dir failed"; }
	cmake --build "$dir" --target fuzzers -j"${RW_JOBS:-$(nproc)}" ||
		rw_die "build of the fuzz harnesses failed"
fi

names=()
for f in "$src"/fuzz_*.c; do
	n=$(basename "$f" .c)
	n=${n#fuzz_}
	if [[ -n $only && ",$only," != *",$n,"* ]]; then
		continue
	fi
	names+=("$n")
done
((${#names[@]} > 0)) || rw_die "no harness selected (--only $only)"

mkdir -p "$dir/corpus" "$dir/crashes" "$dir/logs"
export ASAN_OPTIONS=${RW_FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# one NAME: run harness NAME; its log is $dir/logs/NAME.log.
one() {
	local n=$1 bin=$dir/tests/fuzz/fuzz_$1 work=$dir/corpus/$1 seeds=$src/corpus/$1
	local log=$dir/logs/$1.log args=()
	rm -rf "$dir/crashes/$n"
	mkdir -p "$work" "$dir/crashes/$n"
	[[ -f $src/dict/$n.dict ]] && args+=("-dict=$src/dict/$n.dict")
	[[ -d $seeds ]] || mkdir -p "$seeds"
	# -timeout: one input slower than 10 s is a hang, reported as a crash.
	# Time is CPU shared with others: -max_total_time bounds wall time.
	timeout --kill-after=30 $((secs + 120)) "$bin" "${args[@]}" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb="${RW_FUZZ_RSS:-2048}" \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/$n/" \
		"$work" "$seeds" >"$log" 2>&1
}

pids=()
for n in "${names[@]}"; do
	one "$n" &
	pids+=($!)
	if ((${#pids[@]} >= jobs)); then
		wait "${pids[0]}" || true
		pids=("${pids[@]:1}")
	fi
done
wait || true

passed=0
failed=0
printf '%-16s %12s %8s %8s %8s  %s\n' harness execs 'cov:' 'ft:' corpus result
for n in "${names[@]}"; do
	log=$dir/logs/$n.log
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -n 1)
	# The last status line libFuzzer printed ("#123 DONE cov: 456 ft: 789 corp: 12/3Kb ...").
	status=$(grep -E '^#[0-9]+[[:space:]].*cov: ' "$log" | tail -n 1 || true)
	cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$status")
	ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$status")
	corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$status")
	crash=$(find "$dir/crashes/$n" -type f 2>/dev/null | head -n 1)
	result=ok
	if [[ -n $crash ]] || grep -qE '^==[0-9]+==ERROR|^SUMMARY: |deadly signal|fuzz: ' "$log" ||
		! grep -q '^Done [0-9]* runs' "$log"; then
		result="FAILED (log $log${crash:+, input $crash})"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
	printf '%-16s %12s %8s %8s %8s  %s\n' "$n" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
	if [[ $result != ok ]]; then
		grep -E 'fuzz: |ERROR: |SUMMARY: |#[0-9]+ 0x' "$log" | head -n 20 | sed 's/^/    /'
	fi
	if ((merge)) && [[ $result == ok ]]; then
		"$dir/tests/fuzz/fuzz_$n" -merge=1 "$src/corpus/$n" "$dir/corpus/$n" >/dev/null 2>&1 ||
			rw_say "merge of $n failed"
	fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
