#!/usr/bin/env bash
# cache.sh - the blob cache (issue #15) against nginx's proxy_cache and the
# TLS limit, in one run.
# SPDX-License-Identifier: Apache-2.0
#
# Everything on 127.0.0.1, stopped at the end:
#   docker-registry   plain HTTP: the upstream; one 256 MiB random blob
#   regwarden cache   build/regwarden with "cache" (a fresh folder) and a
#                     policy admitting the image, so the blob gate opens
#   regwarden today   the same without "cache": every blob from upstream
#   nginx             TLS, proxy_cache (bench/nginx-cache.conf.in)
#   limit             bench/mhd_limit.c: libmicrohttpd with TLS sending the
#                     blob from memory, built here with cc
# Measures (curl, one download at a time, MiB/s):
#   today: median of RUNS downloads through regwarden without the cache
#   cold:  the first download through regwarden with the cache (one run:
#          the next would be warm); repeated RUNS times over fresh caches
#          (cache folder emptied, regwarden restarted), median
#   warm:  median of RUNS downloads from regwarden's cache
#   nginx warm: median of RUNS after one download filled its cache
#   limit: median of RUNS from mhd_limit
#   rss:   CLIENTS concurrent warm downloads (each stopped after
#          CLIENT_SECS); regwarden's VmHWM over the run, minus before
#   cpu:   beside each download, the CPU time (user + system) the server
#          spent on it, from /proc (nginx: its workers summed), median ms:
#          what a download costs the server whatever else the machine runs
#   tag:   manifest GETs by tag, wrk -t2 -c32 for WRK_SECS with
#          bench/accept.lua, RUNS times interleaved, median req/s: regwarden
#          with the cache, nginx proxying (bench/nginx.conf.in: the tag
#          asked upstream every time, as regwarden does) and, for
#          reference only, nginx proxy_cache (serves the tag from its cache
#          for a day: not the same service)
#   --before BIN: cold, warm and cpu also for another regwarden binary
#          (e.g. a build of the commit before a change), interleaved with
#          BIN's downloads in the same run
# and prints the ratios with the issue's targets: warm >= 0.8x limit,
# warm >= 1.2x nginx warm, cold >= 0.95x today, rss < 64 MiB, tag >= 1.0x
# nginx.  The machine may be shared: compare the ratios of one run, and the
# cpu figures, which the load does not move much.
#
# Usage: sudo bash bench/cache.sh [--runs N (5)] [--blob-mib N (256)]
#        [--clients N (200)] [--client-secs S (20)] [--wrk-secs S (5)]
#        [--before BIN] [--keep]
# Environment: RW_BIN (default build/regwarden).
set -Eeuo pipefail

RW_PROG=cache.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

runs=5
blob_mib=256
clients=200
client_secs=20
wrk_secs=5
before=
keep=0
while (($# > 0)); do
	case $1 in
	--runs) runs=$2; shift ;;
	--blob-mib) blob_mib=$2; shift ;;
	--clients) clients=$2; shift ;;
	--client-secs) client_secs=$2; shift ;;
	--wrk-secs) wrk_secs=$2; shift ;;
	--before) before=$2; shift ;;
	--keep) keep=1 ;;
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) rw_die "unknown argument: $1 (see --help)" ;;
	esac
	shift
done
for v in runs blob_mib clients client_secs wrk_secs; do
	[[ ${!v} =~ ^[1-9][0-9]{0,4}$ ]] || rw_die "--${v//_/-} wants a positive integer"
done
((runs <= 20 && clients <= 1000 && client_secs <= 120 && blob_mib <= 2048 && wrk_secs <= 60)) ||
	rw_die "limits: --runs <= 20, --clients <= 1000, --client-secs <= 120, --blob-mib <= 2048, --wrk-secs <= 60"
((EUID == 0)) || rw_die "run as root (nginx runs its workers as nobody)"
for tool in docker-registry nginx curl openssl cc pkg-config ss wrk /usr/bin/time; do
	command -v "$tool" >/dev/null || rw_die "$tool not found: run scripts/setup.sh"
done
BIN=${RW_BIN:-$RW_ROOT/build/regwarden}
[[ -x $BIN ]] || rw_die "$BIN not built (scripts/setup.sh)"
[[ -z $before || -x $before ]] || rw_die "--before $before is not an executable"
REPO=bench/big
TAG=v1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-cache-bench.XXXXXX")
chmod 0755 "$tmp"
CLIENT_PIDS=()
cleanup() {
	trap - EXIT INT TERM
	local p
	for p in "${CLIENT_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	rw_stop_all
	if ((keep)); then rw_say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'rw_say "interrupted"; exit 130' INT TERM

sha() { sha256sum "$1" | cut -d' ' -f1; }

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

make_content() {
	local cfg
	head -c $((blob_mib << 20)) /dev/urandom >"$tmp/blob"
	BLOB_SIZE=$(stat -c %s "$tmp/blob")
	BLOB=sha256:$(sha "$tmp/blob")
	printf '{"architecture":"amd64","os":"linux","config":{"User":"65532"},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$BLOB" >"$tmp/config.json"
	cfg=sha256:$(sha "$tmp/config.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
		"$cfg" "$(stat -c %s "$tmp/config.json")" "$BLOB" "$BLOB_SIZE" >"$tmp/manifest.json"
	upload_blob "$tmp/config.json" "$cfg"
	upload_blob "$tmp/blob" "$BLOB"
	curl -sSf -o /dev/null -X PUT --data-binary "@$tmp/manifest.json" \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		"$REG/v2/$REPO/manifests/$TAG" || rw_die "manifest upload failed"
	rm -f "$tmp/blob"
}

# speed URL: one download, MiB/s; dies on a wrong answer.
speed() {
	local out code size s
	# The client's own CPU time goes to $tmp/ctime (speed_cpu reads it).
	out=$(/usr/bin/time -f '%U %S' -o "$tmp/ctime" curl -ks -o /dev/null --max-time 300 \
		-w '%{http_code} %{size_download} %{speed_download}' "$1" || true)
	read -r code size s <<<"$out"
	[[ $code == 200 && $size == "$BLOB_SIZE" ]] ||
		rw_die "$1 answered HTTP $code with $size of $BLOB_SIZE bytes"
	awk -v s="$s" 'BEGIN{printf "%.1f", s/1048576}'
}
TCK=$(getconf CLK_TCK)
# cpu_ticks PID...: user + system time of the processes so far, in ticks.
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
# speed_cpu URL PID...: "MiB/s cpu_ms client_ms" of one download: the CPU
# time the servers PID... spent meanwhile, and curl's own.
speed_cpu() {
	local url=$1 a b v
	shift
	a=$(cpu_ticks "$@")
	v=$(speed "$url")
	b=$(cpu_ticks "$@")
	echo "$v $(((b - a) * 1000 / TCK)) $(awk '{printf "%d", ($1 + $2) * 1000}' "$tmp/ctime")"
}
col() { awk -v c="$1" '{print $c}'; }
median() { sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f", m}'; }
# runs_of URL: RUNS downloads, their median.
runs_of() {
	local i
	for ((i = 0; i < runs; i++)); do speed "$1"; echo; done | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "-"; else printf "%.2f", a/b }'; }

# open_gate BASE: the manifest through BASE, so the blob gate admits the blob.
open_gate() {
	curl -ksf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"$1/v2/$REPO/manifests/$TAG" || rw_die "$1: the manifest was not served"
}

# start_cached [BIN]: regwarden with a fresh cache, the gate open.
start_cached() {
	rm -rf "$tmp/cache" "$tmp/rw-cache"
	rw_start_proxy "${1:-$BIN}" "$tmp/rw-cache" "$REG_PORT" \
		"{\"policy\": \"$tmp/policy.json\", \"cache\": {\"dir\": \"$tmp/cache\", \"max_bytes\": $(((blob_mib + 64) << 20)), \"min_free_bytes\": 0}}" \
		RW_CACHE
	RW_CACHE_PID=${RW_PIDS[-1]}
	open_gate "$RW_CACHE"
}

stop_cached() {
	kill -TERM "$RW_CACHE_PID"
	wait "$RW_CACHE_PID" 2>/dev/null || true
}

# start_plain_nginx: bench/nginx.conf.in, a TLS proxy without a cache.
start_plain_nginx() {
	local dir=$tmp/nginx-plain
	mkdir -p "$dir"
	PLAIN_PORT=$(rw_free_port)
	sed -e "s|@DIR@|$dir|g" -e "s|@WORKERS@|$(nproc)|" -e "s|@PORT@|$PLAIN_PORT|" \
		-e "s|@UPSTREAM@|127.0.0.1:$REG_PORT|" -e "s|@CERT@|$tmp/cert.pem|" \
		-e "s|@KEY@|$tmp/key.pem|" "$RW_ROOT/bench/nginx.conf.in" >"$dir/nginx.conf"
	nginx -p "$dir/" -c "$dir/nginx.conf" >"$dir/stderr.log" 2>&1 &
	RW_PIDS+=("$!")
	rw_wait_http "https://127.0.0.1:$PLAIN_PORT/v2/" 50 "$!" || {
		cat "$dir/stderr.log" "$dir/error.log" 2>/dev/null | tail -n 10 >&2
		rw_die "nginx (no cache) did not start"
	}
	PLAIN=https://127.0.0.1:$PLAIN_PORT
}

# tag_rps URL: req/s of manifest GETs by tag (wrk, WRK_SECS).
tag_rps() {
	local line
	line=$(timeout $((wrk_secs + 30)) wrk -t2 -c32 -d"${wrk_secs}s" --timeout 5s \
		-s "$RW_ROOT/bench/accept.lua" "$1" 2>&1 | grep '^BENCH ' || true)
	[[ -n $line ]] || rw_die "wrk against $1 did not finish"
	[[ $line == *" connect=0 read=0 write=0 status=0 timeout=0"* ]] ||
		rw_die "wrk against $1 saw errors: $line"
	sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line"
}

start_nginx() {
	local dir=$tmp/nginx
	mkdir -p "$dir/cache"
	chown nobody "$dir/cache" 2>/dev/null || true
	NGINX_PORT=$(rw_free_port)
	sed -e "s|@DIR@|$dir|g" -e "s|@WORKERS@|$(nproc)|" -e "s|@PORT@|$NGINX_PORT|" \
		-e "s|@UPSTREAM@|127.0.0.1:$REG_PORT|" -e "s|@CERT@|$tmp/cert.pem|" \
		-e "s|@KEY@|$tmp/key.pem|" "$RW_ROOT/bench/nginx-cache.conf.in" >"$dir/nginx.conf"
	nginx -p "$dir/" -c "$dir/nginx.conf" >"$dir/stderr.log" 2>&1 &
	RW_PIDS+=("$!")
	rw_wait_http "https://127.0.0.1:$NGINX_PORT/v2/" 50 "$!" || {
		cat "$dir/stderr.log" "$dir/error.log" 2>/dev/null | tail -n 10 >&2
		rw_die "nginx did not start"
	}
	NGINX=https://127.0.0.1:$NGINX_PORT
	NGINX_WORKERS=$(pgrep -P "$!" | tr '\n' ' ')
}

start_limit() {
	# shellcheck disable=SC2046
	cc -O2 -o "$tmp/mhd_limit" "$RW_ROOT/bench/mhd_limit.c" \
		$(pkg-config --cflags --libs libmicrohttpd) 2>"$tmp/cc.log" ||
		rw_die "mhd_limit.c did not build: $(cat "$tmp/cc.log")"
	LIMIT_PORT=$(rw_free_port)
	"$tmp/mhd_limit" "$LIMIT_PORT" "$tmp/cert.pem" "$tmp/key.pem" "$blob_mib" &
	RW_PIDS+=("$!")
	rw_wait_http "https://127.0.0.1:$LIMIT_PORT/" 50 "$!" || rw_die "mhd_limit did not start"
	LIMIT=https://127.0.0.1:$LIMIT_PORT
}

kb() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status"; }

# rss_run: CLIENTS concurrent warm downloads from the cache; VmHWM growth.
rss_run() {
	local i before peak ok=0
	before=$(kb VmRSS "$RW_CACHE_PID")
	for ((i = 0; i < clients; i++)); do
		curl -ks -o /dev/null --max-time "$client_secs" -w '%{size_download}\n' \
			"$RW_CACHE/v2/$REPO/blobs/$BLOB" >"$tmp/rss.$i" 2>/dev/null &
		CLIENT_PIDS+=("$!")
	done
	for i in "${CLIENT_PIDS[@]}"; do wait "$i" 2>/dev/null || true; done
	CLIENT_PIDS=()
	for ((i = 0; i < clients; i++)); do
		[[ $(cat "$tmp/rss.$i") -gt 0 ]] && ok=$((ok + 1))
	done
	peak=$(kb VmHWM "$RW_CACHE_PID")
	RSS_CLIENTS_OK=$ok
	RSS_BEFORE=$((before / 1024))
	RSS_PEAK=$((peak / 1024))
}

rw_say "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
REG_PORT=$(rw_free_port)
REG=http://127.0.0.1:$REG_PORT
rw_start_registry "$tmp/registry" "$REG_PORT"
make_content
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >"$tmp/openssl.log" 2>&1 || rw_die "openssl failed"
cat >"$tmp/policy.json" <<'EOF'
{ "version": 1, "default": "deny",
  "rules": [ { "name": "bench", "match": "docker.io/bench/*" } ] }
EOF
rw_say "content: blob $BLOB ($BLOB_SIZE bytes)"

rw_start_proxy "$BIN" "$tmp/rw-today" "$REG_PORT" "{\"policy\": \"$tmp/policy.json\"}" RW_TODAY
TODAY_PID=${RW_PIDS[-1]}
open_gate "$RW_TODAY"
start_limit
start_nginx

load() { cut -d' ' -f1-3 /proc/loadavg; }
rw_say "regwarden without the cache (today): $runs downloads (load $(load))"
todays=()
for ((i = 0; i < runs; i++)); do
	todays+=("$(speed_cpu "$RW_TODAY/v2/$REPO/blobs/$BLOB" "$TODAY_PID")")
done
TODAY=$(printf '%s\n' "${todays[@]}" | col 1 | median)
rw_say "regwarden today MiB/s, server and curl cpu ms: $(printf '%s; ' "${todays[@]}")"
# cold [BIN]: RUNS cold downloads over fresh caches, "MiB/s cpu_ms" lines.
colds=() colds_b=()
rw_say "regwarden cold: $runs fresh caches${before:+, each also with --before} (load $(load))"
for ((i = 0; i < runs; i++)); do
	if [[ -n $before ]]; then
		start_cached "$before"
		colds_b+=("$(speed_cpu "$RW_CACHE/v2/$REPO/blobs/$BLOB" "$RW_CACHE_PID")")
		stop_cached
	fi
	start_cached
	colds+=("$(speed_cpu "$RW_CACHE/v2/$REPO/blobs/$BLOB" "$RW_CACHE_PID")")
	((i == runs - 1)) || stop_cached
done
COLD=$(printf '%s\n' "${colds[@]}" | col 1 | median)
COLD_CPU=$(printf '%s\n' "${colds[@]}" | col 2 | median)
rw_say "regwarden cold MiB/s, server and curl cpu ms: $(printf '%s; ' "${colds[@]}")"
rw_say "regwarden warm: $runs downloads (load $(load))"
warms=()
for ((i = 0; i < runs; i++)); do
	warms+=("$(speed_cpu "$RW_CACHE/v2/$REPO/blobs/$BLOB" "$RW_CACHE_PID")")
done
WARM=$(printf '%s\n' "${warms[@]}" | col 1 | median)
WARM_CPU=$(printf '%s\n' "${warms[@]}" | col 2 | median)
rw_say "regwarden warm MiB/s, server and curl cpu ms: $(printf '%s; ' "${warms[@]}")"
if [[ -n $before ]]; then
	# The after binary's cache stays for the RSS run; the before binary
	# gets a cache of its own, warmed once.
	AFTER_PID=$RW_CACHE_PID AFTER_URL=$RW_CACHE
	rm -rf "$tmp/cache-b"
	rw_start_proxy "$before" "$tmp/rw-cache-b" "$REG_PORT" \
		"{\"policy\": \"$tmp/policy.json\", \"cache\": {\"dir\": \"$tmp/cache-b\", \"max_bytes\": $(((blob_mib + 64) << 20)), \"min_free_bytes\": 0}}" \
		RW_BEFORE
	BEFORE_PID=${RW_PIDS[-1]}
	open_gate "$RW_BEFORE"
	speed "$RW_BEFORE/v2/$REPO/blobs/$BLOB" >/dev/null
	rw_say "warm, before and after interleaved: $runs each (load $(load))"
	warms_b=() warms_a=()
	for ((i = 0; i < runs; i++)); do
		warms_b+=("$(speed_cpu "$RW_BEFORE/v2/$REPO/blobs/$BLOB" "$BEFORE_PID")")
		warms_a+=("$(speed_cpu "$AFTER_URL/v2/$REPO/blobs/$BLOB" "$AFTER_PID")")
	done
	rw_say "before warm: $(printf '%s; ' "${warms_b[@]}")"
	rw_say "after warm:  $(printf '%s; ' "${warms_a[@]}")"
	rw_say "before cold: $(printf '%s; ' "${colds_b[@]}")"
fi
rw_say "nginx proxy_cache warm: 1 fill, $runs downloads (load $(load))"
speed "$NGINX/v2/$REPO/blobs/$BLOB" >/dev/null
nwarms=()
for ((i = 0; i < runs; i++)); do
	# shellcheck disable=SC2086
	nwarms+=("$(speed_cpu "$NGINX/v2/$REPO/blobs/$BLOB" $NGINX_WORKERS)")
done
NGINX_WARM=$(printf '%s\n' "${nwarms[@]}" | col 1 | median)
NGINX_CPU=$(printf '%s\n' "${nwarms[@]}" | col 2 | median)
rw_say "nginx warm MiB/s, worker and curl cpu ms: $(printf '%s; ' "${nwarms[@]}")"
rw_say "TLS limit (libmicrohttpd from memory): $runs downloads"
LIM=$(runs_of "$LIMIT/")
rw_say "manifest by tag: wrk ${wrk_secs}s x $runs each, interleaved (load $(load))"
start_plain_nginx
open_gate "$PLAIN"
tr_rw=() tr_ng=() tr_ngc=()
for ((i = 0; i < runs; i++)); do
	tr_rw+=("$(tag_rps "$RW_CACHE/v2/$REPO/manifests/$TAG")")
	tr_ng+=("$(tag_rps "$PLAIN/v2/$REPO/manifests/$TAG")")
	tr_ngc+=("$(tag_rps "$NGINX/v2/$REPO/manifests/$TAG")")
done
rw_say "tag req/s regwarden: ${tr_rw[*]}; nginx: ${tr_ng[*]}; nginx proxy_cache: ${tr_ngc[*]}"
TAG_RW=$(printf '%s\n' "${tr_rw[@]}" | median)
TAG_NG=$(printf '%s\n' "${tr_ng[@]}" | median)
TAG_NGC=$(printf '%s\n' "${tr_ngc[@]}" | median)
rw_say "regwarden: $clients concurrent warm downloads, ${client_secs}s each at most (load $(load))"
rss_run

verdict() { awk -v a="$1" -v b="$2" 'BEGIN{print (a >= b) ? "PASS" : "MISS"}'; }
# row LABEL LINES...: the medians of "MiB/s cpu_ms client_ms" lines.
row() {
	local label=$1
	shift
	printf '%-34s %10s %12s %12s\n' "$label" "$(printf '%s\n' "$@" | col 1 | median)" \
		"$(printf '%s\n' "$@" | col 2 | median)" "$(printf '%s\n' "$@" | col 3 | median)"
}
printf '\n%-34s %10s %12s %12s\n' "measure (median)" "MiB/s" "server cpu ms" "curl cpu ms"
printf '%-34s %10s\n' "TLS limit (MHD from memory)" "$LIM"
row "nginx proxy_cache warm" "${nwarms[@]}"
row "regwarden today (no cache)" "${todays[@]}"
row "regwarden cold (cache filling)" "${colds[@]}"
row "regwarden warm (from cache)" "${warms[@]}"
if [[ -n $before ]]; then
	row "--before cold (interleaved)" "${colds_b[@]}"
	row "--before warm (interleaved)" "${warms_b[@]}"
	row "after warm (interleaved)" "${warms_a[@]}"
fi
printf '%-34s %10s\n' "manifest by tag, req/s: regwarden" "$TAG_RW" \
	"  nginx proxying (no cache)" "$TAG_NG" "  nginx proxy_cache (reference)" "$TAG_NGC"
printf '\n%-34s %8s %8s %s\n' ratio value target verdict
r=$(ratio "$WARM" "$LIM");        printf '%-34s %8s %8s %s\n' "warm / TLS limit" "$r" ">=0.80" "$(verdict "$r" 0.8)"
r=$(ratio "$WARM" "$NGINX_WARM"); printf '%-34s %8s %8s %s\n' "warm / nginx warm" "$r" ">=1.20" "$(verdict "$r" 1.2)"
r=$(ratio "$NGINX_CPU" "$WARM_CPU"); printf '%-34s %8s %8s %s\n' "nginx cpu / warm cpu per blob" "$r" "" "(above 1: regwarden spends less)"
r=$(ratio "$COLD" "$TODAY");      printf '%-34s %8s %8s %s\n' "cold / today" "$r" ">=0.95" "$(verdict "$r" 0.95)"
r=$(ratio "$TODAY" "$LIM");       printf '%-34s %8s %8s %s\n' "today / TLS limit" "$r" "" "(issue: ~0.55)"
r=$(ratio "$TAG_RW" "$TAG_NG");   printf '%-34s %8s %8s %s\n' "tag / nginx proxying" "$r" ">=1.00" "$(verdict "$r" 1.0)"
printf '%-34s %8s %8s %s\n' "RSS peak, $clients warm clients" "${RSS_PEAK}MiB" "<64MiB" \
	"$( ((RSS_PEAK < 64)) && echo PASS || echo MISS) (before: ${RSS_BEFORE} MiB; $RSS_CLIENTS_OK clients got bytes)"
rw_say "load after: $(load)"
