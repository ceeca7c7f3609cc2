#!/usr/bin/env bash
# test_check_includes.sh - check_includes.sh on two fixture trees: it
# passes on a clean one and fails, naming each line, on one where lower
# folders include upper ones.
# SPDX-License-Identifier: Apache-2.0
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail=0

# expect NAME TREE STATUS TEXT: the checker on TREE exits STATUS and
# prints TEXT exactly.
expect() {
	local out rc=0
	out=$(bash "$here/check_includes.sh" "$here/fixture/$2" 2>&1) || rc=$?
	if [[ $rc != "$3" || $out != "$4" ]]; then
		printf 'FAIL %s: exit %s (want %s), output:\n%s\nwanted:\n%s\n' \
		    "$1" "$rc" "$3" "$out" "$4"
		fail=$((fail + 1))
	else
		echo "ok $1"
	fi
}

expect clean clean 0 'check_includes: 9 files, 12 includes, all one-way'
expect upward upward 1 'db/db.c:3: db must not include server/server.h
policy/sig/cosign.c:3: policy/sig must not include policy/policy.h
util/log.c:3: util must not include tests/testutil.h
check_includes: 3 forbidden includes in 12 files'

echo "test_check_includes: $((2 - fail)) passed, $fail failed"
((fail == 0))
