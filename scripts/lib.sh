# lib.sh - shell helpers shared by scripts/*.sh and bench/*.sh.
# SPDX-License-Identifier: Apache-2.0
#
# Source it; it defines functions only and changes no shell option.  Every
# wait here is bounded in tries and in time, and every process it starts is
# remembered by PID so that the caller's cleanup can stop exactly those.

RW_ROOT=${RW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# Debian's own interpreter: it has python3-cryptography and python3-nacl,
# which a python3 earlier on PATH (pyenv and the like) may lack.
RW_PY=${RW_PY:-/usr/bin/python3}

rw_say() { printf '%s: %s\n' "${RW_PROG:-$(basename "$0")}" "$*"; }
rw_die() { printf '%s: error: %s\n' "${RW_PROG:-$(basename "$0")}" "$*" >&2; exit 1; }

# PIDs of the processes this script started, stopped by rw_stop_all.
RW_PIDS=()

# rw_port_free PORT: succeed if nothing listens on 127.0.0.1:PORT (TCP).
rw_port_free() {
	! ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# rw_wait_http URL [TRIES] [PID]: poll URL (any HTTP answer counts, TLS not
# verified) every 0.2 s, at most TRIES times (default 100, i.e. 20 s).  Gives
# up early when PID is given and that process has exited.
rw_wait_http() {
	local url=$1 tries=${2:-100} pid=${3:-} i
	for ((i = 0; i < tries; i++)); do
		if curl -ks -o /dev/null --max-time 2 "$url"; then
			return 0
		fi
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}

# rw_free_port: a TCP port on 127.0.0.1 that the kernel just handed out.
rw_free_port() {
	"$RW_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# rw_start_registry DIR PORT: run docker-registry on 127.0.0.1:PORT with its
# storage and log under DIR; sets RW_REGISTRY_PID.  Quiet logging keeps the
# registry's own log formatting out of benchmark numbers.
rw_start_registry() {
	local dir=$1 port=$2
	rw_port_free "$port" || rw_die "127.0.0.1:$port is already in use (docker-registry wanted it)"
	mkdir -p "$dir/data"
	cat >"$dir/registry.yml" <<YML
version: 0.1
log:
  level: ${RW_REGISTRY_LOGLEVEL:-warn}
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YML
	docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
	RW_REGISTRY_PID=$!
	RW_PIDS+=("$RW_REGISTRY_PID")
	if ! rw_wait_http "http://127.0.0.1:$port/v2/" 100 "$RW_REGISTRY_PID"; then
		tail -n 20 "$dir/registry.log" >&2 || true
		rw_die "docker-registry did not answer on 127.0.0.1:$port within 20 s"
	fi
}

# rw_stop_all: TERM every process in RW_PIDS, wait up to 5 s, then KILL the
# ones still there.  Only our own PIDs, never a process found by name.
rw_stop_all() {
	local pid i alive
	for pid in "${RW_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for ((i = 0; i < 25; i++)); do
		alive=0
		for pid in "${RW_PIDS[@]}"; do
			if kill -0 "$pid" 2>/dev/null; then
				alive=1
			fi
		done
		((alive)) || break
		sleep 0.2
	done
	for pid in "${RW_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	RW_PIDS=()
}

# rw_start_proxy BIN DIR REG_PORT EXTRA-JSON VAR: a regwarden (BIN) on a free
# port of 127.0.0.1 in front of the registry on REG_PORT, its config, state
# and log under DIR; EXTRA-JSON is merged into the config's top level.  Sets
# VAR to its base URL.
rw_start_proxy() {
	local bin=$1 dir=$2 reg=$3 extra=$4 var=$5 port pid
	port=$(rw_free_port)
	mkdir -p "$dir"
	"$RW_PY" - "$dir/config.json" "$port" "$dir/state" "$reg" "$extra" <<'PY'
import json, sys
path, port, state, reg, extra = sys.argv[1:6]
cfg = {"listen": "127.0.0.1:" + port, "state_dir": state,
       "log": {"format": "text", "level": "warn"}, "admin": {"listen": ""},
       "upstreams": [{"name": "local", "url": "http://127.0.0.1:" + reg,
                      "insecure": True, "hosts": ["docker.io"], "default": True}]}
cfg.update(json.loads(extra))
if "policy" not in cfg:
    cfg["plain_proxy"] = True  # the baseline: a proxy without admission
json.dump(cfg, open(path, "w"))
PY
	"$bin" serve -c "$dir/config.json" >"$dir/log" 2>&1 &
	pid=$!
	RW_PIDS+=("$pid")
	if ! rw_wait_http "https://127.0.0.1:$port/v2/" 100 "$pid"; then
		tail -n 20 "$dir/log" >&2 || true
		rw_die "regwarden ($dir) did not answer on 127.0.0.1:$port within 20 s"
	fi
	printf -v "$var" 'https://127.0.0.1:%s' "$port"
}
