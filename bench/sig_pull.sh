#!/usr/bin/env bash
# sig_pull.sh - signature checks at the proxy: cold verification time per
# image (signature discovery, fetch and verify, with the manifest fetch) and
# the cached verdict, side by side with the same pulls under no policy.
# SPDX-License-Identifier: Apache-2.0
#
# Starts a docker-registry on 127.0.0.1, pushes IMAGES small images (built by
# tests/e2e/mkimage.py), signs each twice: with `regwarden sign` and a fresh
# P-256 key (cosign's sha256-<hex>.sig layout), and as cosign v3 does, with a
# keyless Sigstore bundle attached as an OCI referrer (tests/e2e/
# fake_sigstore.py: the tests' own CA and Rekor key in a trusted_root.json;
# DSSE statement, SET, inclusion proof and checkpoint all verified).  Three
# regwardens: no policy, a rule requiring the key, a rule requiring the
# keyless identity.  Cold: the first GET of each image's manifest by tag
# (curl's time_total, median over the images).  Cached: wrk GETs one
# manifest by digest for DURATION seconds after its verdict is cached.
# Loopback only; every run is bounded in time.
#
# Usage: bash bench/sig_pull.sh [--images N] [--duration S] [--conns N]
# Environment: RW_BIN (default build/regwarden; use a build without
# sanitizers for figures worth comparing).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${RW_BIN:-$here/build/regwarden}
. "$here/scripts/lib.sh"
RW_PROG=sig_pull.sh
py=$RW_PY
images=20
duration=10
conns=32
while [ $# -gt 0 ]; do
	case $1 in
	--images) images=$2; shift 2 ;;
	--duration) duration=$2; shift 2 ;;
	--conns) conns=$2; shift 2 ;;
	*) echo "usage: $0 [--images N] [--duration S] [--conns N]" >&2; exit 2 ;;
	esac
done
for t in docker-registry skopeo wrk curl openssl python3 "$bin"; do
	command -v "$t" >/dev/null || { echo "sig_pull.sh: $t is missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rwbench-sigpull.XXXXXX)
cleanup() { rw_stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
say() { rw_say "$@" >&2; }

reg_port=$(rw_free_port)
rw_start_registry "$tmp/registry" "$reg_port"

# start_rw NAME EXTRA-JSON: a regwarden on a free port; sets URL_<NAME>.
start_rw() { rw_start_proxy "$bin" "$tmp/$1" "$reg_port" "$2" "URL_$1"; }

accept='application/vnd.oci.image.manifest.v1+json'
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/release.key" 2>/dev/null
chmod 600 "$tmp/release.key"
openssl pkey -in "$tmp/release.key" -pubout -out "$tmp/release.pub" 2>/dev/null
printf '%s\n' '{ "version": 1, "default": "deny",' \
	"  \"keys\": { \"release\": { \"cosign_file\": \"$tmp/release.pub\" } }," \
	'  "rules": [ { "name": "signed", "match": "docker.io/bench/**", "operations": ["pull"],' \
	'      "signatures": { "keys": ["release"] } } ] }' >"$tmp/policy.json"
"$py" "$here/tests/e2e/fake_sigstore.py" init "$tmp/sigstore" >/dev/null
printf '%s\n' '{ "version": 1, "default": "deny",' \
	"  \"keys\": { \"ci\": { \"keyless\": { \"trusted_root\": \"$tmp/sigstore/trusted_root.json\"," \
	'    "issuer": "https://issuer.example", "subject": "dev@example.com" } } },' \
	'  "rules": [ { "name": "keyless", "match": "docker.io/bench/**", "operations": ["pull"],' \
	'      "signatures": { "keys": ["ci"] } } ] }' >"$tmp/bundle-policy.json"
start_rw plain '{}'
start_rw signed "{\"policy\": \"$tmp/policy.json\"}"
start_rw bundle "{\"policy\": \"$tmp/bundle-policy.json\"}"

say "building, pushing and signing $images images"
for i in $(seq 1 "$images"); do
	"$py" "$here/tests/e2e/mkimage.py" --out "$tmp/img$i" --tag 1.0 --seed "$((100 + i))" \
		--layer-size 16k --user 1000 >/dev/null
	skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/img$i:1.0" \
		"docker://127.0.0.1:$reg_port/bench/img$i:1.0" >/dev/null
	"$bin" sign -c "$tmp/signed/config.json" --key "$tmp/release.key" \
		"docker.io/bench/img$i:1.0" >/dev/null
	d=sha256:$(curl -s -H "Accept: $accept" \
		"http://127.0.0.1:$reg_port/v2/bench/img$i/manifests/1.0" | sha256sum | cut -d' ' -f1)
	"$py" "$here/tests/e2e/fake_sigstore.py" bundle "$tmp/sigstore" \
		--registry "127.0.0.1:$reg_port" --repo "bench/img$i" --digest "$d" \
		--subject dev@example.com --issuer https://issuer.example >/dev/null
done

cold() {	# NAME: median seconds of the first pull of every image
	local i t url="${!1}"
	for i in $(seq 1 "$images"); do
		t=$(curl -sk -o /dev/null -w '%{http_code} %{time_total}' -H "Accept: $accept" \
			"$url/v2/bench/img$i/manifests/1.0")
		[ "${t%% *}" = 200 ] || { say "$1: pull of bench/img$i answered ${t%% *}"; exit 1; }
		echo "${t#* }"
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
say "cold pulls, no policy"
p_cold=$(cold URL_plain)
say "cold pulls, signature rule (cosign .sig)"
s_cold=$(cold URL_signed)
say "cold pulls, signature rule (Sigstore bundle referrer)"
b_cold=$(cold URL_bundle)

digest=sha256:$(curl -s -H "Accept: $accept" \
	"http://127.0.0.1:$reg_port/v2/bench/img1/manifests/1.0" | sha256sum | cut -d' ' -f1)
printf 'wrk.headers["Accept"] = "%s"\n' "$accept" >"$tmp/accept.lua"
rps() {	# NAME: req/s of cached by-digest pulls
	local url="${!1}/v2/bench/img1/manifests/$digest"
	curl -sk -o /dev/null -H "Accept: $accept" "$url"
	timeout $((duration + 30)) wrk -t2 -c"$conns" -d"${duration}s" -s "$tmp/accept.lua" "$url" |
		awk '/Requests\/sec/ {print $2}'
}
say "cached verdicts: wrk -c$conns -d${duration}s by digest"
p_rps=$(rps URL_plain)
s_rps=$(rps URL_signed)
b_rps=$(rps URL_bundle)
printf '%-46s %12s %12s %12s\n' "" "no policy" "cosign .sig" "bundle"
printf '%-46s %12s %12s %12s\n' "cold pull by tag, median s ($images images)" "$p_cold" "$s_cold" "$b_cold"
printf '%-46s %12s %12s %12s\n' "cached verdict, by digest, req/s" "$p_rps" "$s_rps" "$b_rps"
printf 'BENCH sig_pull images=%s cold_plain_s=%s cold_signed_s=%s cold_bundle_s=%s cached_plain_rps=%s cached_signed_rps=%s cached_bundle_rps=%s\n' \
	"$images" "$p_cold" "$s_cold" "$b_cold" "$p_rps" "$s_rps" "$b_rps"
