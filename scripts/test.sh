#!/usr/bin/env bash
# test.sh - the whole test suite: setup, unit tests, end-to-end tests.
# SPDX-License-Identifier: Apache-2.0
#
# Runs scripts/setup.sh (packages and both builds), then under ASan+UBSan:
#   ctest --test-dir build-asan -L unit -j2     (cmocka, one process per test)
#   tests/fuzz/run.sh                           (builds build-fuzz/ with clang
#                                               and runs every libFuzzer
#                                               harness a few seconds on its
#                                               corpus; each harness counts
#                                               as one test)
#   ctest --test-dir build-asan -L e2e          (real docker-registry, skopeo,
#                                               podman, containerd; needs root;
#                                               RW_BIN is build-asan/regwarden)
# Every step runs under `timeout`, so the suite ends by itself; the default
# limits keep the tests under 20 minutes on 2 cores.  The last line is a
# summary ("test.sh: N passed, N failed"); the exit status is non-zero when
# anything failed, timed out or did not run.
#
# Usage: scripts/test.sh [--no-e2e] [--no-fuzz]
# Environment: RW_ASAN_DIR (default build-asan), RW_TIMEOUT_SETUP (1200 s,
# a fresh machine installs packages), RW_TIMEOUT_UNIT (240 s),
# RW_TIMEOUT_FUZZ (420 s: the build of build-fuzz/ and the runs of 23
# harnesses, about 2.5 min and 1 min at load 7-9),
# RW_FUZZ_SECONDS (4 per harness), RW_TIMEOUT_E2E (840 s).
set -Eeuo pipefail

RW_PROG=test.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

e2e=1
fuzz=1
for arg in "$@"; do
	case $arg in
	--no-e2e) e2e=0 ;;
	--no-fuzz) fuzz=0 ;;
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) rw_die "unknown argument: $arg (see --help)" ;;
	esac
done

adir=${RW_ASAN_DIR:-$RW_ROOT/build-asan}
export RW_ASAN_DIR=$adir
# Leaks fail a test; the first UBSan report stops the process with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

logdir=$(mktemp -d "${TMPDIR:-/tmp}/rw-test.XXXXXX")
trap 'rm -rf "$logdir"' EXIT
start=$SECONDS
passed=0
failed=0
problems=()

# count LOG: add ctest's "N tests failed out of M" to the totals.  Prints
# nothing and adds nothing when ctest found no test.
count() {
	local line f m
	line=$(grep -E 'tests? failed out of [0-9]+' "$1" | tail -n 1 || true)
	[[ -n $line ]] || return 0
	f=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
	m=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
	passed=$((passed + m - f))
	failed=$((failed + f))
}

# count_fuzz LOG: add run.sh's closing "fuzz: N passed, N failed".
count_fuzz() {
	local line
	line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1 || true)
	[[ -n $line ]] || return 0
	passed=$((passed + $(sed -E 's/^fuzz: ([0-9]+) passed.*/\1/' <<<"$line")))
	failed=$((failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")))
}

# step NAME SECONDS CMD...: run CMD under timeout, output to the terminal
# and to $logdir/NAME.log; record a problem when it fails or times out.
step() {
	local name=$1 secs=$2 rc=0
	shift 2
	rw_say "== $name (limit ${secs}s): $*"
	timeout --kill-after=30 "$secs" "$@" 2>&1 | tee "$logdir/$name.log" || rc=$?
	if ((rc == 124 || rc == 137)); then
		problems+=("$name timed out after ${secs}s")
	elif ((rc != 0)); then
		problems+=("$name failed (exit $rc)")
	fi
	return 0
}

step setup "${RW_TIMEOUT_SETUP:-1200}" bash "$RW_ROOT/scripts/setup.sh"
if ((${#problems[@]} == 0)); then
	step unit "${RW_TIMEOUT_UNIT:-240}" \
		ctest --test-dir "$adir" --output-on-failure -j2 -L unit
	count "$logdir/unit.log"
	if grep -q 'No tests were found' "$logdir/unit.log"; then
		problems+=("unit: ctest found no unit test")
	fi
	if ((fuzz)); then
		# Two harnesses at a time, a few seconds each: a smoke run
		# that every harness builds, loads its corpus (the regression
		# inputs among it) and survives; long runs: run.sh --minutes.
		step fuzz "${RW_TIMEOUT_FUZZ:-420}" bash "$RW_ROOT/tests/fuzz/run.sh" \
			--seconds "${RW_FUZZ_SECONDS:-4}" --jobs 2
		count_fuzz "$logdir/fuzz.log"
		if ! grep -qE '^fuzz: [0-9]+ passed' "$logdir/fuzz.log"; then
			problems+=("fuzz: run.sh ran no harness")
		fi
	fi
	if ((e2e)); then
		# Sequential: the e2e tests start registries and clients of
		# their own and are heavy enough for two cores one at a time.
		step e2e "${RW_TIMEOUT_E2E:-840}" \
			ctest --test-dir "$adir" --output-on-failure -L e2e
		count "$logdir/e2e.log"
	fi
fi

elapsed=$((SECONDS - start))
for p in "${problems[@]}"; do
	rw_say "PROBLEM: $p"
done
if ((${#problems[@]} > 0 || failed > 0)); then
	rw_say "FAILED after ${elapsed}s"
	echo "test.sh: $passed passed, $failed failed"
	exit 1
fi
rw_say "OK after ${elapsed}s"
echo "test.sh: $passed passed, $failed failed"
