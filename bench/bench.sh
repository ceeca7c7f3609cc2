#!/usr/bin/env bash
# bench.sh - regwarden against nginx and against the registry itself.
# SPDX-License-Identifier: Apache-2.0
#
# Everything runs on 127.0.0.1 and stops by itself:
#   docker-registry  plain HTTP, port 15000: "direct", and the upstream of both
#   regwarden        build/regwarden, TLS, port 15443
#   nginx            TLS front tuned as bench/nginx.conf.in says, port 15444
# both proxies using one self-signed certificate made here with openssl.
# Content: repository bench/big, tag v1, an OCI manifest whose one layer is
# a 256 MiB blob of random bytes (uploaded with curl).
#
# Per target, phase by phase (all targets' manifest runs first, the memory
# runs last):
#   manifest GET by digest and by tag: wrk -t2 -c32 -d10s with the Accept
#     header containerd sends (bench/accept.lua): requests/s, p50, p99
#   blob: 5 sequential downloads of the 256 MiB blob with curl, median MiB/s
#   memory: 200 concurrent downloads of the blob (curl, each stopped after
#     20 s), sampling the server's VmRSS every 0.25 s; VmHWM after
# and then a table with the ratios regwarden/nginx and regwarden/direct and
# the targets (PASS/MISS, informational): by digest >= 1.5x nginx, by tag
# >= 0.9x nginx, blob >= 0.9x nginx, regwarden VmHWM < 100 MiB.
# The clients share the machine's cores with the servers: compare columns,
# not absolute numbers between machines.
#
# Exit status 0 when every measurement ran, 1 when a target failed to start,
# answered wrongly or errored under load (a MISS is not a failure).
#
# Usage: sudo bash bench/bench.sh [options]
#   --targets LIST   comma-separated subset of regwarden,nginx,direct
#   --duration S     seconds per wrk run (10)
#   --conns N        wrk connections (32)
#   --blob-mib N     blob size in MiB (256)
#   --blob-runs N    sequential blob downloads per target (5)
#   --clients N      concurrent downloads in the memory run (200)
#   --client-secs S  time limit of each of those downloads (20)
#   --no-setup       do not run scripts/setup.sh first
#   --keep           keep the temp dir (logs, configs) and say where
# Environment: RW_BIN (default build/regwarden); BENCH_RW_CONFIG_EXTRA, a
# JSON object merged into the generated regwarden config (e.g. a policy
# that admits bench/big); BENCH_REG_PORT, BENCH_RW_PORT, BENCH_NGINX_PORT.
set -Eeuo pipefail

RW_PROG=bench.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

targets=regwarden,nginx,direct
duration=10
conns=32
blob_mib=256
blob_runs=5
clients=200
client_secs=20
setup=1
keep=0
while (($# > 0)); do
	case $1 in
	--targets) targets=$2; shift ;;
	--duration) duration=$2; shift ;;
	--conns) conns=$2; shift ;;
	--blob-mib) blob_mib=$2; shift ;;
	--blob-runs) blob_runs=$2; shift ;;
	--clients) clients=$2; shift ;;
	--client-secs) client_secs=$2; shift ;;
	--no-setup) setup=0 ;;
	--keep) keep=1 ;;
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) rw_die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
for v in duration conns blob_mib blob_runs clients client_secs; do
	[[ ${!v} =~ ^[1-9][0-9]{0,5}$ ]] || rw_die "--${v//_/-} wants a positive integer, not '${!v}'"
done
((duration <= 120 && client_secs <= 300 && clients <= 1000 && blob_runs <= 50)) ||
	rw_die "limits: --duration <= 120, --client-secs <= 300, --clients <= 1000, --blob-runs <= 50"
IFS=, read -r -a tlist <<<"$targets"
for t in "${tlist[@]}"; do
	case $t in regwarden | nginx | direct) ;; *) rw_die "unknown target '$t'" ;; esac
done

REG_PORT=${BENCH_REG_PORT:-15000}
RW_PORT=${BENCH_RW_PORT:-15443}
NGINX_PORT=${BENCH_NGINX_PORT:-15444}
BIN=${RW_BIN:-$RW_ROOT/build/regwarden}
REPO=bench/big
TAG=v1
REG=http://127.0.0.1:$REG_PORT

declare -A R          # R[target.metric] = value
declare -A PIDS_OF    # target -> server PIDs whose memory is measured
declare -A BASE       # target -> base URL
problems=()
CLIENT_PIDS=()

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench.XXXXXX")
# nginx's workers run as nobody and must reach their temp dirs.
chmod 0755 "$tmp"
cleanup() {
	trap - EXIT INT TERM
	local p
	for p in "${CLIENT_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	rw_stop_all
	if ((keep)); then
		rw_say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'rw_say "interrupted"; exit 130' INT TERM

problem() {
	problems+=("$*")
	rw_say "PROBLEM: $*"
}

# ---------------------------------------------------------------- content

# upload_blob FILE DIGEST: monolithic upload (POST, then PUT ?digest=).
upload_blob() {
	local file=$1 digest=$2 loc sep
	loc=$(curl -sSf -X POST -D - -o /dev/null "$REG/v2/$REPO/blobs/uploads/" |
		tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	[[ -n $loc ]] || rw_die "the registry gave no upload Location"
	[[ $loc == http* ]] || loc=$REG$loc
	sep='?'
	[[ $loc == *\?* ]] && sep='&'
	curl -sSf -o /dev/null -T "$file" -H 'Content-Type: application/octet-stream' \
		"$loc${sep}digest=$digest" || rw_die "upload of $digest failed"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

make_content() {
	rw_say "content: ${blob_mib} MiB random blob, config, manifest -> $REG/v2/$REPO"
	head -c $((blob_mib << 20)) /dev/urandom >"$tmp/blob"
	BLOB_SIZE=$(stat -c %s "$tmp/blob")
	BLOB=sha256:$(sha "$tmp/blob")
	printf '{"architecture":"amd64","os":"linux","config":{"User":"65532"},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$BLOB" >"$tmp/config.json"
	local cfg
	cfg=sha256:$(sha "$tmp/config.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
		"$cfg" "$(stat -c %s "$tmp/config.json")" "$BLOB" "$BLOB_SIZE" >"$tmp/manifest.json"
	MANIFEST=sha256:$(sha "$tmp/manifest.json")
	upload_blob "$tmp/config.json" "$cfg"
	upload_blob "$tmp/blob" "$BLOB"
	curl -sSf -o /dev/null -X PUT --data-binary "@$tmp/manifest.json" \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		"$REG/v2/$REPO/manifests/$TAG" || rw_die "manifest upload failed"
	rm -f "$tmp/blob"
	rw_say "content: manifest $MANIFEST, blob $BLOB ($BLOB_SIZE bytes)"
}

# ---------------------------------------------------------------- servers

make_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost >"$tmp/openssl.log" 2>&1 ||
		rw_die "openssl could not make a certificate: $(cat "$tmp/openssl.log")"
}

start_nginx() {
	local dir=$tmp/nginx master
	mkdir -p "$dir"
	rw_port_free "$NGINX_PORT" || { problem "nginx: 127.0.0.1:$NGINX_PORT is in use"; return 1; }
	sed -e "s|@DIR@|$dir|g" -e "s|@WORKERS@|$(nproc)|" -e "s|@PORT@|$NGINX_PORT|" \
		-e "s|@UPSTREAM@|127.0.0.1:$REG_PORT|" -e "s|@CERT@|$tmp/cert.pem|" \
		-e "s|@KEY@|$tmp/key.pem|" "$RW_ROOT/bench/nginx.conf.in" >"$dir/nginx.conf"
	nginx -p "$dir/" -c "$dir/nginx.conf" >"$dir/stderr.log" 2>&1 &
	master=$!
	RW_PIDS+=("$master")
	if ! rw_wait_http "https://127.0.0.1:$NGINX_PORT/v2/" 50 "$master"; then
		cat "$dir/stderr.log" "$dir/error.log" 2>/dev/null | tail -n 10 >&2
		problem "nginx did not start"
		return 1
	fi
	# The workers are the master's children; they are what serves.
	PIDS_OF[nginx]="$master $(pgrep -P "$master" | tr '\n' ' ')"
	BASE[nginx]=https://127.0.0.1:$NGINX_PORT
}

start_regwarden() {
	local dir=$tmp/regwarden pid
	mkdir -p "$dir"
	[[ -x $BIN ]] || { problem "regwarden: $BIN not built"; return 1; }
	rw_port_free "$RW_PORT" || { problem "regwarden: 127.0.0.1:$RW_PORT is in use"; return 1; }
	"$RW_PY" - "$dir/config.json" "127.0.0.1:$RW_PORT" "$dir/state" "$tmp" "$REG" \
		"${BENCH_RW_CONFIG_EXTRA:-}" <<'PY' || { problem "regwarden: bad BENCH_RW_CONFIG_EXTRA"; return 1; }
import json, sys
path, listen, state, tmp, reg, extra = sys.argv[1:7]
cfg = {"listen": listen, "state_dir": state,
       "log": {"format": "text", "level": "warn"},
       "admin": {"listen": ""},
       "tls": {"cert": tmp + "/cert.pem", "key": tmp + "/key.pem"},
       "upstreams": [{"name": "local", "url": reg, "insecure": True,
                      "default": True, "auth": "passthrough"}]}
cfg.update(json.loads(extra) if extra else {})
if "policy" not in cfg:
    cfg["plain_proxy"] = True  # the baseline: a proxy without admission
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
PY
	"$BIN" serve -c "$dir/config.json" >"$dir/regwarden.log" 2>&1 &
	pid=$!
	RW_PIDS+=("$pid")
	if ! rw_wait_http "https://127.0.0.1:$RW_PORT/v2/" 50 "$pid"; then
		tail -n 10 "$dir/regwarden.log" >&2
		problem "regwarden did not start (config $dir/config.json)"
		return 1
	fi
	PIDS_OF[regwarden]=$pid
	BASE[regwarden]=https://127.0.0.1:$RW_PORT
}

# ---------------------------------------------------------------- measures

ACCEPT='application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'

# check_target T: the manifest by tag and by digest comes back as the bytes
# pushed (this is also what lets regwarden's blob gate open for the blob).
check_target() {
	local t=$1 ref code
	for ref in "$TAG" "$MANIFEST"; do
		code=$(curl -ks -o "$tmp/check" -w '%{http_code}' --max-time 10 \
			-H "Accept: $ACCEPT" "${BASE[$t]}/v2/$REPO/manifests/$ref" || true)
		if [[ $code != 200 || sha256:$(sha "$tmp/check") != "$MANIFEST" ]]; then
			problem "$t: GET manifest $ref answered HTTP $code, not the pushed manifest: $(head -c 200 "$tmp/check")"
			return 1
		fi
	done
}

# run_wrk T KIND URL: manifest GETs under load; fills R[T.KIND_rps|p50|p99].
run_wrk() {
	local t=$1 kind=$2 url=$3 line errs
	rw_say "$t: wrk $kind, -c$conns -d${duration}s"
	timeout $((duration + 30)) wrk -t2 -c"$conns" -d"${duration}s" --timeout 5s \
		-s "$RW_ROOT/bench/accept.lua" "$url" >"$tmp/wrk-$t-$kind.log" 2>&1 || true
	line=$(grep '^BENCH ' "$tmp/wrk-$t-$kind.log" || true)
	if [[ -z $line ]]; then
		problem "$t: wrk $kind did not finish: $(tail -n 3 "$tmp/wrk-$t-$kind.log")"
		return 1
	fi
	field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$line"; }
	errs=$(($(field connect) + $(field status) + $(field timeout)))
	R[$t.${kind}_rps]=$(field rps)
	R[$t.${kind}_p50]=$(awk -v u="$(field p50_us)" 'BEGIN{printf "%.2f", u/1000}')
	R[$t.${kind}_p99]=$(awk -v u="$(field p99_us)" 'BEGIN{printf "%.2f", u/1000}')
	if ((errs > 0 || $(field requests) == 0)); then
		problem "$t: wrk $kind: $line"
		R[$t.${kind}_rps]="${R[$t.${kind}_rps]}!"
	fi
}

# run_blob T: BLOB_RUNS sequential downloads; R[T.blob] = median MiB/s.
run_blob() {
	local t=$1 i out code size speed speeds=()
	rw_say "$t: $blob_runs sequential downloads of the blob"
	for ((i = 0; i < blob_runs; i++)); do
		out=$(curl -ks -o /dev/null --max-time 120 -w '%{http_code} %{size_download} %{speed_download}' \
			"${BASE[$t]}/v2/$REPO/blobs/$BLOB" || true)
		read -r code size speed <<<"$out"
		if [[ $code != 200 || $size != "$BLOB_SIZE" ]]; then
			problem "$t: blob download answered HTTP $code with $size of $BLOB_SIZE bytes"
			return 1
		fi
		speeds+=("$speed")
	done
	R[$t.blob]=$(printf '%s\n' "${speeds[@]}" | sort -g |
		awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.0f", m/1048576}')
}

# kb_of FIELD PID...: sum of FIELD (VmRSS, VmHWM) over the PIDs, in KiB.
kb_of() {
	local field=$1 p sum=0 v
	shift
	for p in "$@"; do
		v=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || true)
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# run_rss T: CLIENTS concurrent downloads of the blob, each limited to
# CLIENT_SECS; samples the server's RSS until they have all ended.
run_rss() {
	local t=$1
	local dir=$tmp/rss-$1 i p alive cur peak=0 deadline ok bytes t0 secs starved bad
	local pids
	read -r -a pids <<<"${PIDS_OF[$t]}"
	mkdir -p "$dir"
	rw_say "$t: $clients concurrent blob downloads, ${client_secs}s each at most"
	CLIENT_PIDS=()
	t0=$EPOCHREALTIME
	for ((i = 0; i < clients; i++)); do
		curl -ks -o /dev/null --max-time "$client_secs" \
			-w '%{http_code} %{size_download} %{exitcode}\n' \
			"${BASE[$t]}/v2/$REPO/blobs/$BLOB" >"$dir/$i" 2>/dev/null &
		CLIENT_PIDS+=("$!")
	done
	deadline=$((SECONDS + client_secs + 15))
	while ((SECONDS < deadline)); do
		cur=$(kb_of VmRSS "${pids[@]}")
		((cur > peak)) && peak=$cur
		alive=0
		for p in "${CLIENT_PIDS[@]}"; do
			if kill -0 "$p" 2>/dev/null; then
				alive=1
				break
			fi
		done
		((alive)) || break
		sleep 0.25
	done
	for p in "${CLIENT_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	wait "${CLIENT_PIDS[@]}" 2>/dev/null || true
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b - a}')
	CLIENT_PIDS=()
	ok=$(cat "$dir"/* | awk -v s="$BLOB_SIZE" '$1 == 200 && $2 == s' | wc -l)
	bytes=$(cat "$dir"/* | awk '{b += $2} END{printf "%.0f", b}')
	R[$t.rss_peak]=$(awk -v k="$peak" 'BEGIN{printf "%.1f", k/1024}')
	R[$t.rss_hwm]=$(awk -v k="$(kb_of VmHWM "${pids[@]}")" 'BEGIN{printf "%.1f", k/1024}')
	# A download cut off by --max-time (curl exit 28) is expected; one
	# that got no answer at all in that time is reported, not failed.
	starved=$(cat "$dir"/* | awk '$1 == "000" && $3 == 28' | wc -l)
	R[$t.rss_done]="$ok/$clients"
	R[$t.rss_starved]="$starved/$clients"
	R[$t.rss_mibs]=$(awk -v b="$bytes" -v s="$secs" 'BEGIN{printf "%.0f", b/1048576/s}')
	bad=$(cat "$dir"/* | awk '!($1 == 200 && ($3 == 0 || $3 == 28)) && !($1 == "000" && $3 == 28)')
	if [[ -n $bad ]]; then
		problem "$t: $(wc -l <<<"$bad") of $clients concurrent downloads failed (HTTP code, bytes, curl exit: $(sort <<<"$bad" | uniq -c | head -n 3 | tr -s ' \n' ' '))"
	fi
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || problem "$t: server process $p died during the memory run"
	done
}

# ---------------------------------------------------------------- report

ratio() { awk -v a="${1%!}" -v b="${2%!}" 'BEGIN{ if (a == "" || b == "" || b == 0) print "-"; else printf "%.2fx", a/b }'; }
val() { local v=${R[$1]:-}; echo "${v:--}"; }

# verdict NAME OK-EXPR: PASS/MISS when regwarden (and nginx) were measured.
verdict() {
	if [[ -z ${R[regwarden.$2]:-} || -z ${R[nginx.$2]:-} ]]; then
		echo n/a
	else
		awk -v a="${R[regwarden.$2]%!}" -v b="${R[nginx.$2]%!}" -v m="$1" \
			'BEGIN{ print (a >= m * b) ? "PASS" : "MISS" }'
	fi
}

report() {
	local row fmt='%-34s %13s %13s %13s %9s %9s  %s\n'
	printf '\n'
	rw_say "results, $(date -u +%FT%TZ): $(nproc) cores shared by clients and servers," \
		"load average at start $LOAD0 (other work on the machine skews every column)"
	printf "$fmt" metric regwarden nginx direct rw/nginx rw/direct target
	for row in "dig_rps|manifest by digest, req/s|>= 1.5x nginx: $(verdict 1.5 dig_rps)" \
		"dig_p50|  p50 ms|" "dig_p99|  p99 ms|" \
		"tag_rps|manifest by tag, req/s|>= 0.9x nginx: $(verdict 0.9 tag_rps)" \
		"tag_p50|  p50 ms|" "tag_p99|  p99 ms|" \
		"blob|blob ${blob_mib} MiB, MiB/s (median)|>= 0.9x nginx: $(verdict 0.9 blob)" \
		"rss_hwm|$clients downloads: VmHWM MiB|$(rss_verdict)" \
		"rss_peak|  VmRSS peak sampled, MiB|" \
		"rss_mibs|  aggregate MiB/s|" \
		"rss_done|  finished within ${client_secs}s|" \
		"rss_starved|  no answer within ${client_secs}s|"; do
		IFS='|' read -r key label goal <<<"$row"
		if [[ $key == rss_done || $key == rss_starved ]]; then
			printf "$fmt" "$label" "$(val regwarden.$key)" "$(val nginx.$key)" \
				"$(val direct.$key)" - - ""
			continue
		fi
		printf "$fmt" "$label" "$(val regwarden.$key)" "$(val nginx.$key)" "$(val direct.$key)" \
			"$(ratio "${R[regwarden.$key]:-}" "${R[nginx.$key]:-}")" \
			"$(ratio "${R[regwarden.$key]:-}" "${R[direct.$key]:-}")" "$goal"
	done
	printf '(nginx memory is master + workers; "!" marks a run with errors; MISS is informational)\n'
}

rss_verdict() {
	if [[ -z ${R[regwarden.rss_hwm]:-} ]]; then
		echo "regwarden < 100 MiB: n/a"
	else
		awk -v a="${R[regwarden.rss_hwm]}" 'BEGIN{ print "regwarden < 100 MiB: " ((a < 100) ? "PASS" : "MISS") }'
	fi
}

# ---------------------------------------------------------------- main

((EUID == 0)) || rw_die "run as root (nginx, ports, /proc of the servers): sudo bash $0"
if ((setup)); then
	bash "$RW_ROOT/scripts/setup.sh" --no-asan >"$tmp/setup.log" 2>&1 || {
		tail -n 30 "$tmp/setup.log" >&2
		rw_die "scripts/setup.sh failed"
	}
	rw_say "setup: packages present, build/ up to date"
fi
for tool in docker-registry nginx wrk curl openssl ss; do
	command -v "$tool" >/dev/null || rw_die "$tool not found: run scripts/setup.sh"
done

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
rw_start_registry "$tmp/registry" "$REG_PORT"
PIDS_OF[direct]=$RW_REGISTRY_PID
BASE[direct]=$REG
make_content
make_cert

run=()
for t in "${tlist[@]}"; do
	case $t in
	regwarden) start_regwarden && run+=(regwarden) ;;
	nginx) start_nginx && run+=(nginx) ;;
	direct) run+=(direct) ;;
	esac
done
ok=()
for t in "${run[@]}"; do
	check_target "$t" && ok+=("$t")
done
# Phase by phase rather than target by target, so that the memory run
# (the heaviest) leaves no after-effects on another target's latencies.
for t in "${ok[@]}"; do
	run_wrk "$t" dig "${BASE[$t]}/v2/$REPO/manifests/$MANIFEST" || true
	run_wrk "$t" tag "${BASE[$t]}/v2/$REPO/manifests/$TAG" || true
done
for t in "${ok[@]}"; do
	run_blob "$t" || true
done
for t in "${ok[@]}"; do
	run_rss "$t"
done
report
if ((${#problems[@]} > 0)); then
	rw_say "${#problems[@]} problem(s):"
	printf '  - %s\n' "${problems[@]}"
	exit 1
fi
