#!/usr/bin/env bash
# pg_run.sh BIN... - run db unit test binaries against PostgreSQL: start a
# cluster of its own (tests/pglib.sh), give each binary an empty database
# of its own in RW_TEST_PG_URL, stop the cluster at the end (-m immediate
# if anything went wrong).  Exit status: non-zero if any binary failed.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../pglib.sh"

tmp=$(mktemp -d /tmp/rwpgtestXXXXXX)
cleanup() {
	pg_kill
	rm -rf "$tmp"
}
trap cleanup EXIT
pg_start "$tmp"
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	pg_psql "CREATE DATABASE $name"
	echo "== $name against PostgreSQL"
	if ! RW_TEST_PG_URL="postgresql://regwarden@127.0.0.1:$PG_PORT/$name" "$bin"; then
		failed=$((failed + 1))
	fi
done
pg_down
echo "pg_run.sh: $# binaries, $failed failed"
[ "$failed" -eq 0 ]
