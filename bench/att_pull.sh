#!/usr/bin/env bash
# att_pull.sh - attestation checks at the proxy: the cold decision per image
# (discovery of the sha256-<hex>.att tag, fetch of each DSSE envelope,
# verification and conditions, with the manifest fetch) next to the same
# pulls under a signature rule and under no policy, in one run.
# SPDX-License-Identifier: Apache-2.0
#
# Starts a docker-registry on 127.0.0.1, pushes IMAGES small images (built by
# tests/e2e/mkimage.py), signs each with `regwarden sign` and attests it
# twice with `regwarden attest` (SLSA provenance v1, SPDX SBOM) with one
# fresh P-256 key.  Three regwardens: no policy; a rule requiring the
# signature; a rule requiring the provenance (two conditions) and the SBOM.
# Cold: the first GET of each image's manifest by tag (curl's time_total,
# median over the images).  Loopback only; every step is bounded in time.
#
# Usage: bash bench/att_pull.sh [--images N]
# Environment: RW_BIN (default build/regwarden; use a build without
# sanitizers for figures worth comparing).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${RW_BIN:-$here/build/regwarden}
. "$here/scripts/lib.sh"
RW_PROG=att_pull.sh
py=$RW_PY
images=20
while [ $# -gt 0 ]; do
	case $1 in
	--images) images=$2; shift 2 ;;
	*) echo "usage: $0 [--images N]" >&2; exit 2 ;;
	esac
done
for t in docker-registry skopeo curl openssl python3 "$bin"; do
	command -v "$t" >/dev/null || { echo "att_pull.sh: $t is missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rwbench-attpull.XXXXXX)
cleanup() { rw_stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
say() { rw_say "$@" >&2; }

reg_port=$(rw_free_port)
rw_start_registry "$tmp/registry" "$reg_port"
start_rw() { rw_start_proxy "$bin" "$tmp/$1" "$reg_port" "$2" "URL_$1"; }

accept='application/vnd.oci.image.manifest.v1+json'
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ci.key" 2>/dev/null
chmod 600 "$tmp/ci.key"
openssl pkey -in "$tmp/ci.key" -pubout -out "$tmp/ci.pub" 2>/dev/null
keys="\"keys\": { \"ci\": { \"cosign_file\": \"$tmp/ci.pub\" } },"
printf '%s\n' '{ "version": 1, "default": "deny",' "  $keys" \
	'  "rules": [ { "name": "signed", "match": "docker.io/bench/**", "operations": ["pull"],' \
	'      "signatures": { "keys": ["ci"] } } ] }' >"$tmp/sig-policy.json"
printf '%s\n' '{ "version": 1, "default": "deny",' "  $keys" \
	'  "rules": [ { "name": "attested", "match": "docker.io/bench/**", "operations": ["pull"],' \
	'      "attestations": [ { "type": "slsaprovenance1", "keys": ["ci"], "conditions": [' \
	'        { "path": "predicate.runDetails.builder.id", "equals": "https://github.com/actions/runner" },' \
	'        { "path": "predicate.buildDefinition.externalParameters.workflow.repository",' \
	'          "matches": "https://github.com/acme/.*" } ] },' \
	'        { "type": "sbom", "keys": ["ci"] } ] } ] }' >"$tmp/att-policy.json"
printf '%s\n' '{ "buildDefinition": { "externalParameters": { "workflow":' \
	'  { "repository": "https://github.com/acme/app" } } },' \
	'  "runDetails": { "builder": { "id": "https://github.com/actions/runner" } } }' \
	>"$tmp/prov.json"
printf '%s\n' '{ "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "bench",' \
	'  "packages": [ { "name": "busybox", "versionInfo": "1.36.1" } ] }' >"$tmp/sbom.json"
start_rw plain '{}'
start_rw signed "{\"policy\": \"$tmp/sig-policy.json\"}"
start_rw attested "{\"policy\": \"$tmp/att-policy.json\"}"

say "building, pushing, signing and attesting $images images"
for i in $(seq 1 "$images"); do
	"$py" "$here/tests/e2e/mkimage.py" --out "$tmp/img$i" --tag 1.0 --seed "$((200 + i))" \
		--layer-size 16k --user 1000 >/dev/null
	skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/img$i:1.0" \
		"docker://127.0.0.1:$reg_port/bench/img$i:1.0" >/dev/null
	"$bin" sign -c "$tmp/signed/config.json" --key "$tmp/ci.key" \
		"docker.io/bench/img$i:1.0" >/dev/null
	"$bin" attest -c "$tmp/signed/config.json" --key "$tmp/ci.key" --type slsaprovenance1 \
		--predicate "$tmp/prov.json" "docker.io/bench/img$i:1.0" >/dev/null
	"$bin" attest -c "$tmp/signed/config.json" --key "$tmp/ci.key" --type spdxjson \
		--predicate "$tmp/sbom.json" "docker.io/bench/img$i:1.0" >/dev/null
done

cold() {	# NAME: median seconds of the first pull of every image
	local i t url="${!1}"
	for i in $(seq 1 "$images"); do
		t=$(curl -sk -m 30 -o /dev/null -w '%{http_code} %{time_total}' -H "Accept: $accept" \
			"$url/v2/bench/img$i/manifests/1.0")
		[ "${t%% *}" = 200 ] || { say "$1: pull of bench/img$i answered ${t%% *}"; exit 1; }
		echo "${t#* }"
	done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
say "cold pulls, no policy"
p_cold=$(cold URL_plain)
say "cold pulls, signature rule (cosign .sig)"
s_cold=$(cold URL_signed)
say "cold pulls, attestation rule (provenance with 2 conditions, SBOM)"
a_cold=$(cold URL_attested)
printf '%-46s %12s %12s %12s\n' "" "no policy" "signature" "attestations"
printf '%-46s %12s %12s %12s\n' "cold pull by tag, median s ($images images)" "$p_cold" "$s_cold" "$a_cold"
printf 'BENCH att_pull images=%s cold_plain_s=%s cold_signed_s=%s cold_attested_s=%s\n' \
	"$images" "$p_cold" "$s_cold" "$a_cold"
