#!/usr/bin/env bash
# pglib.sh - a throw-away PostgreSQL 15 (Debian's package) for tests:
# sourced by tests/db/pg_run.sh and e2e tests.
# SPDX-License-Identifier: Apache-2.0
#
# PostgreSQL refuses to run as root, so the cluster belongs to Debian's
# `postgres` user; it listens on 127.0.0.1 only, trusts every local
# connection (user regwarden, the cluster's superuser), and its socket and
# log live in the cluster's own directory.
#   pg_start DIR   initdb DIR/data and start it on a free port; sets PG_PORT,
#                  PG_DATA, PG_URL (postgresql://regwarden@127.0.0.1:PORT/postgres)
#   pg_up / pg_down   start again / stop (-m fast) the same cluster
#   pg_kill        stop -m immediate, for cleanup traps; never fails
#   pg_psql SQL    run SQL with psql, print the rows unaligned

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
	local dir=$1
	[ -x "$PG_BIN/initdb" ] || { echo "pglib: $PG_BIN/initdb missing (apt-get install postgresql)" >&2; return 1; }
	id postgres >/dev/null 2>&1 || { echo "pglib: no postgres user" >&2; return 1; }
	PG_DATA=$dir/pgdata
	PG_SOCK=$dir/pgsock
	mkdir -p "$PG_DATA" "$PG_SOCK"
	chmod 755 "$dir"
	chown postgres "$PG_DATA" "$PG_SOCK"
	chmod 700 "$PG_DATA"
	runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U regwarden \
		--auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_SOCK/initdb.log" 2>&1 ||
		{ cat "$PG_SOCK/initdb.log" >&2; return 1; }
	PG_PORT=$(pg_free_port)
	PG_URL="postgresql://regwarden@127.0.0.1:$PG_PORT/postgres"
	export PG_PORT PG_DATA PG_URL PG_SOCK
	pg_up
}

pg_up() {
	# fsync off: a test cluster need not survive a power cut.
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t 30 \
		-l "$PG_SOCK/pg.log" -o "-p $PG_PORT -k $PG_SOCK -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" \
		start >/dev/null || { tail -20 "$PG_SOCK/pg.log" >&2; return 1; }
}

pg_down() {
	runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
}

pg_kill() {
	[ -n "${PG_DATA:-}" ] && [ -f "$PG_DATA/postmaster.pid" ] &&
		runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
	return 0
}

pg_psql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$PG_URL" -c "$1"
}
