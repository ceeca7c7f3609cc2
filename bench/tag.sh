#!/usr/bin/env bash
# tag.sh - manifest GETs by tag (the decision cached: a cluster's steady
# state) through regwarden, against nginx proxying and the registry direct.
# SPDX-License-Identifier: Apache-2.0
#
# Everything on 127.0.0.1, stopped at the end:
#   docker-registry   plain HTTP: the upstream; one small image by tag
#   regwarden         build/regwarden (RW_BIN) with a policy admitting it
#   --before BIN      another regwarden (e.g. the commit before a change)
#   nginx             TLS, proxying without a cache (bench/nginx.conf.in)
#   registry direct   wrk against the registry itself (plain HTTP)
# Each target gets wrk -t2 -c32 for WRK_SECS with bench/accept.lua, RUNS
# rounds interleaved.  Beside each wrk run the CPU time (user + system,
# /proc) of the proxy and of the registry is divided by the requests served:
# "us/req".  The upstream connections regwarden left in TIME_WAIT after a
# run are counted (ss): with keep-alive to the registry that stays near 0.
# Prints every figure, the medians and the ratios regwarden / nginx and
# regwarden / registry direct, with the load averages: the machine may be
# shared, so compare the figures of one run, and the us/req, which the load
# moves less than req/s.
#
# Usage: sudo bash bench/tag.sh [--runs N (3)] [--wrk-secs S (5)]
#        [--before BIN] [--keep]
# Environment: RW_BIN (default build/regwarden).
set -Eeuo pipefail

RW_PROG=tag.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

runs=3
wrk_secs=5
before=
keep=0
while (($# > 0)); do
	case $1 in
	--runs) runs=$2; shift ;;
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
for v in runs wrk_secs; do
	[[ ${!v} =~ ^[1-9][0-9]{0,2}$ ]] || rw_die "--${v//_/-} wants a positive integer"
done
((runs <= 20 && wrk_secs <= 60)) || rw_die "limits: --runs <= 20, --wrk-secs <= 60"
((EUID == 0)) || rw_die "run as root (nginx runs its workers as nobody)"
for tool in docker-registry nginx curl openssl ss wrk; do
	command -v "$tool" >/dev/null || rw_die "$tool not found: run scripts/setup.sh"
done
BIN=${RW_BIN:-$RW_ROOT/build/regwarden}
[[ -x $BIN ]] || rw_die "$BIN not built (scripts/setup.sh)"
[[ -z $before || -x $before ]] || rw_die "--before $before is not an executable"
REPO=bench/tag
TAG=v1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-tag-bench.XXXXXX")
chmod 0755 "$tmp"
cleanup() {
	trap - EXIT INT TERM
	rw_stop_all
	if ((keep)); then rw_say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'rw_say "interrupted"; exit 130' INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }
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

# make_content: a config, one 4 KiB layer and an OCI manifest tagged $TAG.
make_content() {
	local cfg layer
	head -c 4096 /dev/urandom >"$tmp/layer"
	layer=sha256:$(sha "$tmp/layer")
	printf '{"architecture":"amd64","os":"linux","config":{"User":"65532"},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$layer" >"$tmp/config.json"
	cfg=sha256:$(sha "$tmp/config.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":4096}]}' \
		"$cfg" "$(stat -c %s "$tmp/config.json")" "$layer" >"$tmp/manifest.json"
	upload_blob "$tmp/config.json" "$cfg"
	upload_blob "$tmp/layer" "$layer"
	curl -sSf -o /dev/null -X PUT --data-binary "@$tmp/manifest.json" \
		-H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		"$REG/v2/$REPO/manifests/$TAG" || rw_die "manifest upload failed"
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

# measure URL PID...: wrk against URL; prints "rps proxy_us reg_us" where
# proxy_us is the CPU time of PID... per request (0 without PIDs) and reg_us
# the registry's.
measure() {
	local url=$1 line a b ra rb n
	shift
	a=$(cpu_ticks "$@")
	ra=$(cpu_ticks "$RW_REGISTRY_PID")
	line=$(timeout $((wrk_secs + 30)) wrk -t2 -c32 -d"${wrk_secs}s" --timeout 5s \
		-s "$RW_ROOT/bench/accept.lua" "$url" 2>&1 | grep '^BENCH ' || true)
	b=$(cpu_ticks "$@")
	rb=$(cpu_ticks "$RW_REGISTRY_PID")
	[[ -n $line ]] || rw_die "wrk against $url did not finish"
	[[ $line == *" connect=0 read=0 write=0 status=0 timeout=0"* ]] ||
		rw_die "wrk against $url saw errors: $line"
	n=$(sed -E 's/.*requests=([0-9]+) .*/\1/' <<<"$line")
	awk -v r="$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")" -v n="$n" \
		-v p=$((b - a)) -v g=$((rb - ra)) -v t="$TCK" \
		'BEGIN{printf "%.0f %.0f %.0f", r, p * 1e6 / t / n, g * 1e6 / t / n}'
}

# timewait: sockets to the registry left in TIME_WAIT (new connections).
timewait() { ss -Htan state time-wait "( dport = :$REG_PORT )" | wc -l; }

col() { awk -v c="$1" '{print $c}'; }
median() { sort -g | awk '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.0f", m}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "-"; else printf "%.2f", a/b }'; }

start_plain_nginx() {
	local dir=$tmp/nginx
	mkdir -p "$dir"
	NGINX_PORT=$(rw_free_port)
	sed -e "s|@DIR@|$dir|g" -e "s|@WORKERS@|$(nproc)|" -e "s|@PORT@|$NGINX_PORT|" \
		-e "s|@UPSTREAM@|127.0.0.1:$REG_PORT|" -e "s|@CERT@|$tmp/cert.pem|" \
		-e "s|@KEY@|$tmp/key.pem|" "$RW_ROOT/bench/nginx.conf.in" >"$dir/nginx.conf"
	nginx -p "$dir/" -c "$dir/nginx.conf" >"$dir/stderr.log" 2>&1 &
	RW_PIDS+=("$!")
	rw_wait_http "https://127.0.0.1:$NGINX_PORT/v2/" 50 "$!" || {
		cat "$dir/stderr.log" "$dir/error.log" 2>/dev/null | tail -n 10 >&2
		rw_die "nginx did not start"
	}
	NGINX=https://127.0.0.1:$NGINX_PORT
	NGINX_WORKERS=$(pgrep -P "$!" | tr '\n' ' ')
}

# warm BASE: one GET by tag, so the decision is cached before wrk starts.
warm() {
	curl -ksf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"$1/v2/$REPO/manifests/$TAG" || rw_die "$1: the manifest was not served"
}

rw_say "load before: $(load)"
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
rw_start_proxy "$BIN" "$tmp/rw" "$REG_PORT" "{\"policy\": \"$tmp/policy.json\"}" RW
RW_PID=${RW_PIDS[-1]}
warm "$RW"
if [[ -n $before ]]; then
	rw_start_proxy "$before" "$tmp/rw-before" "$REG_PORT" \
		"{\"policy\": \"$tmp/policy.json\"}" RWB
	RWB_PID=${RW_PIDS[-1]}
	warm "$RWB"
fi
start_plain_nginx
warm "$NGINX"

U=/v2/$REPO/manifests/$TAG
r_rw=() r_b=() r_ng=() r_reg=() tw_rw=() tw_b=()
for ((i = 1; i <= runs; i++)); do
	rw_say "round $i of $runs (load $(load))"
	t0=$(timewait)
	r_rw+=("$(measure "$RW$U" "$RW_PID")")
	tw_rw+=($(($(timewait) - t0)))
	if [[ -n $before ]]; then
		t0=$(timewait)
		r_b+=("$(measure "$RWB$U" "$RWB_PID")")
		tw_b+=($(($(timewait) - t0)))
	fi
	# shellcheck disable=SC2086
	r_ng+=("$(measure "$NGINX$U" $NGINX_WORKERS)")
	r_reg+=("$(measure "$REG$U")")
done

# show LABEL LINES...: each run's "req/s proxy_us reg_us", then the medians.
show() {
	local label=$1
	shift
	printf '%-22s %-40s %8s %8s %8s\n' "$label" "$(printf '%s; ' "$@")" \
		"$(printf '%s\n' "$@" | col 1 | median)" "$(printf '%s\n' "$@" | col 2 | median)" \
		"$(printf '%s\n' "$@" | col 3 | median)"
}
printf '\n%-22s %-40s %8s %8s %8s\n' target "runs: req/s proxy-us/req registry-us/req" \
	"req/s" "us/req" "reg us"
show "regwarden" "${r_rw[@]}"
[[ -z $before ]] || show "regwarden --before" "${r_b[@]}"
show "nginx (no cache)" "${r_ng[@]}"
show "registry direct" "${r_reg[@]}"
RW_RPS=$(printf '%s\n' "${r_rw[@]}" | col 1 | median)
NG_RPS=$(printf '%s\n' "${r_ng[@]}" | col 1 | median)
REG_RPS=$(printf '%s\n' "${r_reg[@]}" | col 1 | median)
printf '\nupstream connections left in TIME_WAIT per run: regwarden %s%s\n' "${tw_rw[*]}" \
	"${before:+; --before ${tw_b[*]}}"
printf '%-34s %8s %s\n' "regwarden / nginx (req/s)" "$(ratio "$RW_RPS" "$NG_RPS")" "(target >= 1.00)"
printf '%-34s %8s\n' "regwarden / registry direct" "$(ratio "$RW_RPS" "$REG_RPS")"
if [[ -n $before ]]; then
	B_RPS=$(printf '%s\n' "${r_b[@]}" | col 1 | median)
	printf '%-34s %8s\n' "--before / nginx (req/s)" "$(ratio "$B_RPS" "$NG_RPS")"
	printf '%-34s %8s\n' "regwarden / --before (req/s)" "$(ratio "$RW_RPS" "$B_RPS")"
fi
rw_say "load after: $(load)"
