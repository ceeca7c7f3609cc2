#!/bin/bash
# gate_cached.test.sh - the gate holds for clients that already hold the
# image (issue #9).  containerd resolves a tag with HEAD and fetches the
# manifest by digest only when its content store lacks it, so a refusal
# that rides on that GET never reaches a node that pulled the image before.
# With content stores kept between pulls (no `ctr images rm`, no prune):
#  - an image admitted and pulled, then refused by a policy edit (SIGHUP),
#    a moved pin (`regwarden pins add`) or a new scan report (`regwarden
#    scans import`): the next pull of the same tag fails in ctr with the
#    regwarden message, by digest with a 403; podman (its own store) and
#    containerd's CRI plugin (ImageService.PullImage, the kubelet's path,
#    tests/e2e/cri_pull.py) fail with the message too;
#  - an image pulled by digest, then by a refused tag (`latest`): refused
#    with the message, and the by-digest pull the message advises still
#    works right after (regwarden keeps no per-client memory of the tag);
#  - the same digest under a name no rule admits (a second upstream routed
#    by containerd's ?ns=): refused by tag and by digest;
#  - with curl: HEAD of a refused tag never returns the real digest, the
#    digest it returns answers 403 with the message, and HEAD by digest of a
#    refused image is not 200.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum
rw_only || { pass "gate tests need regwarden (E2E_DIRECT=1)"; finish; }
"$PY" -c 'import grpc, grpc_tools' 2>/dev/null ||
	die "$PY lacks grpc or grpc_tools (Debian packages python3-grpcio, python3-grpc-tools)"
FIXTURE=$SCAN_FIXTURES/trivy-alpine-39-high-critical.json
[ -f "$FIXTURE" ] || die "scan report fixture missing: $FIXTURE"

start_registry

# Distinct seeds: no layer is shared between the images.
mkimage "$E2E_TMP/frozen" --seed 61 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/pin1" --seed 62 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/pin2" --seed 63 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/scanned" --seed 64 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/lat" --seed 65 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/shared" --seed 66 --layers 1 --layer-size 20k --user 1000
FROZEN=$(json_get "$E2E_TMP/frozen.json" 'j["top"]')
G1=$(json_get "$E2E_TMP/pin1.json" 'j["top"]')
G2=$(json_get "$E2E_TMP/pin2.json" 'j["top"]')
SCANNED=$(json_get "$E2E_TMP/scanned.json" 'j["top"]')
LAT=$(json_get "$E2E_TMP/lat.json" 'j["top"]')
SHARED=$(json_get "$E2E_TMP/shared.json" 'j["top"]')
seed_image "$E2E_TMP/frozen" e2e/frozen:1.0.0
seed_image "$E2E_TMP/pin1" e2e/pinned:1.0.0
seed_image "$E2E_TMP/pin2" e2e/pinned:2.0.0
seed_image "$E2E_TMP/scanned" e2e/scanned:1.0.0
seed_image "$E2E_TMP/lat" e2e/lat:latest
seed_image "$E2E_TMP/shared" e2e/shared:1.0.0
# The fixture's two critical findings, on the scanned image's digests.
image_report "$E2E_TMP/scanned" docker.io/e2e/scanned --from "$FIXTURE"
CRIT_REPORT=$REPORT

POLICY=$E2E_TMP/policy.json
# put_policy: stdin becomes the policy file in one rename.
put_policy() {
	cat >"$POLICY.tmp" && mv -f "$POLICY.tmp" "$POLICY"
}
# policy_text [FROZEN_RULE]: the policy, with the "frozen" rule when asked.
policy_text() {
	local frozen=""
	[ "${1:-}" = frozen ] && frozen='
    {
      "name": "frozen",
      "match": "docker.io/e2e/frozen",
      "allow": false,
      "message": "frozen after incident INC-9"
    },'
	cat <<EOF
// gate_cached.test.sh${frozen:+ (frozen)}
{
  "version": 1,
  "default": "deny",
  "rules": [
    {
      "name": "elsewhere",
      "match": "other.example/**",
      "allow": false,
      "message": "only docker.io images run here"
    },$frozen
    {
      "name": "pinned",
      "match": "docker.io/e2e/pinned",
      "operations": ["pull"],
      "pins": { "enforce": true }
    },
    {
      "name": "scanned",
      "match": "docker.io/e2e/scanned",
      "operations": ["pull"],
      "scan": { "max_severity": "high", "unscanned": "allow" }
    },
    {
      "name": "apps",
      "match": "docker.io/e2e/*",
      "tags": { "deny": ["latest"], "pattern": "^\\\\d+\\\\.\\\\d+\\\\.\\\\d+\$" },
      "image": { "non_root": true }
    }
  ]
}
EOF
}
policy_text | put_policy
L_ELSEWHERE=$(grep -n '"name": "elsewhere"' "$POLICY" | cut -d: -f1)
L_PINNED=$(grep -n '"name": "pinned"' "$POLICY" | cut -d: -f1)
L_APPS=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)

# A second upstream for the same registry under another host name: the same
# digests, a name no rule admits.  containerd routes to it with ?ns=.
UPS=$("$PY" -c 'import json,sys
u = json.loads(sys.argv[1])
u.append({"name": "other", "url": sys.argv[2], "insecure": True,
          "hosts": ["other.example"], "auth": "passthrough"})
print(json.dumps(u))' "$(default_upstreams)" "$REG_URL") || die "cannot write the upstreams"
start_regwarden "$UPS" "{\"policy\": \"$POLICY\"}"
start_containerd
cp -r "$CTR_HOSTS/docker.io" "$CTR_HOSTS/other.example"
podman_init

# Pinned before the first pull: the rule refuses a tag that is not pinned.
rw_admin pins add docker.io/e2e/pinned:1.0.0 "$G1" >/dev/null 2>&1 ||
	die "regwarden pins add docker.io/e2e/pinned:1.0.0 $G1 failed"

# ---- helpers ---------------------------------------------------------------

# cpull REF: ctr pull of the full REF (host/repo:tag or @digest) into the
# private containerd, keeping the image and its content; output in CTR_OUT.
cpull() {
	CTR_OUT=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$CTR_HOSTS" "$1" 2>&1)
}

# in_store CTR_ARRAY_NAME DIGEST: the content store of that containerd has
# the blob.
in_store() {
	local -n c=$1
	"${c[@]}" content ls 2>/dev/null | awk 'NR > 1 {print $1}' | grep -qx -- "$2"
}

# rw_requests PATTERN: regwarden's log lines for requests whose path has
# PATTERN (what the client sent and how it was answered), for the test log.
rw_requests() {
	grep -F -- "$1" "$RW_LOG" | grep -E 'method=|"(GET|HEAD) ' | tail -n 8 |
		cut -c1-400 | sed 's/^/#   rw: /'
}

# admitted LABEL REF: a ctr pull of REF succeeds.
admitted() {
	if cpull "$2"; then
		pass "$1: ctr pull $2"
	else
		fail "$1: ctr pull $2 failed: $CTR_OUT"
	fi
}

# refused_tag LABEL REF DIGEST MSG_TAIL: with DIGEST in the content store,
# a ctr pull of REF fails and shows "Server message: denied: regwarden:
# NAME MSG_TAIL", NAME being REF or its name@DIGEST.
refused_tag() {
	local label=$1 ref=$2 digest=$3 tail=$4
	if in_store CTR "$digest"; then
		pass "$label: $digest is in the content store before the pull"
	else
		fail "$label: $digest is not in the content store; the test would not show the cached case"
	fi
	if cpull "$ref"; then
		fail "$label: ctr pull $ref succeeded with the content cached: $(printf '%s' "$CTR_OUT" | tail -n 2)"
		rw_requests "/v2/$(printf '%s' "${ref#*/}" | sed 's/:[^:/]*$//')/manifests/"
	else
		expect_contains_any "$label: ctr pull $ref fails with the message" "$CTR_OUT" \
			"Server message: denied: regwarden: $ref $tail" \
			"Server message: denied: regwarden: ${ref%:*}@$digest $tail"
	fi
	show_client_line ctr "$CTR_OUT"
}

# refused_digest LABEL NAME DIGEST: with DIGEST in the content store, a ctr
# pull of NAME@DIGEST fails with a 403.
refused_digest() {
	local label=$1 ref=$2@$3
	if cpull "$ref"; then
		fail "$label: ctr pull $ref succeeded with the content cached: $(printf '%s' "$CTR_OUT" | tail -n 2)"
		rw_requests "$3"
	else
		expect_contains "$label: ctr pull $ref fails with 403" "403 Forbidden" "$CTR_OUT"
	fi
	show_client_line ctr "$CTR_OUT"
}

# reg_digest REPO TAG: the registry's own Docker-Content-Digest for the tag.
reg_digest() {
	curl -s -I --max-time 10 -H "Accept: $CTR_ACCEPT" "$REG_URL/v2/$1/manifests/$2" |
		tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}'
}

# head_tag_refused LABEL HOST REPO TAG TAIL: HEAD of REPO:TAG with
# ?ns=HOST (as containerd sends it) does not name the registry's digest, and
# a GET of the digest it does name answers 403 DENIED with the message
# "regwarden: HOST/REPO:TAG TAIL" (or naming HOST/REPO@<real digest>).
head_tag_refused() {
	local label=$1 host=$2 repo=$3 tag=$4 tail=$5 real got msg
	real=$(reg_digest "$repo" "$tag")
	[ -n "$real" ] || fail "$label: the registry gave no digest for $repo:$tag"
	req HEAD "$RW_URL/v2/$repo/manifests/$tag?ns=$host" -H "Accept: $CTR_ACCEPT"
	got=$(hdr Docker-Content-Digest)
	log "HEAD $repo:$tag?ns=$host: HTTP $R_CODE, Docker-Content-Digest '$got' (registry: $real)"
	if [ "$got" = "$real" ]; then
		fail "$label: HEAD of the refused tag answers with the real digest $real: $(describe_resp)"
	else
		pass "$label: HEAD of the refused tag does not answer with the real digest"
	fi
	# 200 with a digest: containerd then GETs that digest, and the 403 of
	# that GET is what carries the message to the node.
	if [ "$R_CODE" = 200 ] && printf '%s' "$got" | grep -Eq '^sha256:[0-9a-f]{64}$'; then
		pass "$label: HEAD of the refused tag answers 200 with a digest"
		req GET "$RW_URL/v2/$repo/manifests/$got?ns=$host" -H "Accept: $CTR_ACCEPT"
		expect_oci_error "$label: GET of the digest the HEAD named is 403 DENIED" 403 DENIED
		msg=$(json_get "$R_BODY" 'j["errors"][0]["message"]' 2>/dev/null)
		log "GET $repo@$got: HTTP $R_CODE, message: $msg"
		expect_contains_any "$label: ... with the message" "$msg" \
			"regwarden: $host/$repo:$tag $tail" "regwarden: $host/$repo@$real $tail"
	else
		fail "$label: HEAD of the refused tag should answer 200 with a digest for the GET to carry the message: $(describe_resp)"
	fi
}

# head_digest_refused LABEL REPO DIGEST NS: HEAD by digest is not 200.
head_digest_refused() {
	req HEAD "$RW_URL/v2/$2/manifests/$3?ns=$4" -H "Accept: $CTR_ACCEPT"
	if [ "$R_CODE" = 200 ]; then
		fail "$1: HEAD $2@$3?ns=$4 answers 200 for a refused image: $(describe_resp)"
	else
		pass "$1: HEAD by digest of a refused image answers $R_CODE"
	fi
}

# The messages (what follows "regwarden: <name> "), as POLICY.md words them.
PAT='^\d+\.\d+\.\d+$'
T_LATEST="refused by rule \"apps\" (policy.json:$L_APPS): tag \"latest\" is not allowed; pin the digest: docker.io/e2e/lat@$LAT or use a tag matching $PAT."
T_ELSEWHERE="refused by rule \"elsewhere\" (policy.json:$L_ELSEWHERE): source other.example/e2e/shared is not allowed (pattern \"other.example/**\"); use an image from an approved registry. Only docker.io images run here."
T_MOVED="refused by rule \"pinned\" (policy.json:$L_PINNED): tag \"1.0.0\" moved: pinned to $G2, now $G1; pull the pinned image docker.io/e2e/pinned@$G2 or update the pin with \"regwarden pins add docker.io/e2e/pinned:1.0.0 $G1\"."

# ---- the CRI plugin: a second containerd, the kubelet's path ---------------

CRI_DIR=$E2E_TMP/cri
mkdir -p "$CRI_DIR/pb"
cat >"$CRI_DIR/config.toml" <<EOT
version = 2
root = "$CRI_DIR/root"
state = "$CRI_DIR/state"
[grpc]
  address = "$CRI_DIR/containerd.sock"
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$CTR_HOSTS"
EOT
bg_start "$CRI_DIR/containerd.log" containerd --config "$CRI_DIR/config.toml"
CRI_CTR=(ctr --address "$CRI_DIR/containerd.sock" --namespace k8s.io)
wait_until 15 "${CRI_CTR[@]}" version ||
	die "the CRI containerd did not come up within 15 s"
# The proto, compiled here (grpc-tools 1.14 knows neither go_package's use
# nor debug_redact).
sed -e '/option go_package/d' -e 's/ \[debug_redact = true\]//g' \
	"$RW_SOURCE_DIR/tests/fixtures/cri/api.proto" >"$CRI_DIR/pb/cri.proto" &&
	(cd "$CRI_DIR/pb" && "$PY" -m grpc_tools.protoc -I. --python_out=. \
		--grpc_python_out=. cri.proto) >"$CRI_DIR/protoc.log" 2>&1 ||
	die "compiling the CRI proto failed: $(cat "$CRI_DIR/protoc.log")"

# cri_pull IMAGE: PullImage over the CRI socket; output in CRI_OUT.
cri_pull() {
	CRI_OUT=$(timeout 130 "$PY" "$E2E_DIR/cri_pull.py" --socket "$CRI_DIR/containerd.sock" \
		--proto-dir "$CRI_DIR/pb" --timeout 120 "$1" 2>&1)
}

# ---- first pulls, all admitted ---------------------------------------------

admitted "admitted" docker.io/e2e/frozen:1.0.0
admitted "pinned to its digest" docker.io/e2e/pinned:1.0.0
admitted "unscanned, allowed" docker.io/e2e/scanned:1.0.0
admitted "admitted" docker.io/e2e/shared:1.0.0
admitted "by digest" "docker.io/e2e/lat@$LAT"
P_FROZEN=$RW_HOST/e2e/frozen:1.0.0
if PODMAN_OUT=$(timeout 120 "${PODMAN[@]}" pull --tls-verify=false "$P_FROZEN" 2>&1); then
	pass "admitted: podman pull $P_FROZEN"
else
	fail "admitted: podman pull $P_FROZEN failed: $PODMAN_OUT"
fi
if cri_pull docker.io/e2e/frozen:1.0.0; then
	pass "CRI: PullImage docker.io/e2e/frozen:1.0.0 admitted"
else
	fail "CRI: PullImage docker.io/e2e/frozen:1.0.0 failed: $CRI_OUT"
fi
log "CRI: $CRI_OUT"
# A refused image through CRI: the text kubelet puts in the pod's events.
if cri_pull docker.io/e2e/lat:latest; then
	fail "CRI: PullImage docker.io/e2e/lat:latest succeeded: $CRI_OUT"
else
	expect_contains_any "CRI: PullImage of a refused tag shows the message" "$CRI_OUT" \
		"Server message: denied: regwarden: docker.io/e2e/lat:latest $T_LATEST" \
		"Server message: denied: regwarden: docker.io/e2e/lat@$LAT $T_LATEST"
fi
show_client_line CRI "$CRI_OUT"

# ---- reproduction 2: by digest, then the refused tag ---------------------

refused_tag "latest after the digest" docker.io/e2e/lat:latest "$LAT" "$T_LATEST"
# Right after the refusal, from the same address, the pull the message
# advises: podman GETs the manifest by digest (ctr has it cached and would
# not ask), so any memory of the refused tag would show here.
P_LAT=$RW_HOST/e2e/lat@$LAT
if PODMAN_OUT=$(timeout 120 "${PODMAN[@]}" pull --tls-verify=false "$P_LAT" 2>&1); then
	pass "right after the refused :latest, podman pull $P_LAT (the advised pin) works"
else
	fail "right after the refused :latest, podman pull $P_LAT failed: $(printf '%s' "$PODMAN_OUT" | tail -n 1)"
	rw_requests "$LAT"
fi
admitted "right after the refused :latest, the advised pin" "docker.io/e2e/lat@$LAT"
# The same at the HTTP level: HEAD of the tag, then GET by digest.
head_tag_refused "latest" docker.io e2e/lat latest "$T_LATEST"
get_manifest e2e/lat "$LAT?ns=docker.io"
if [ "$R_CODE" = 200 ] && [ "$(body_digest)" = "$LAT" ]; then
	pass "GET by digest right after HEAD of the refused tag: 200 with the manifest"
else
	fail "GET by digest right after HEAD of the refused tag: $(describe_resp)"
fi

# ---- reproduction 3: the same digest under a name no rule admits ---------

refused_tag "another registry name" other.example/e2e/shared:1.0.0 "$SHARED" "$T_ELSEWHERE"
refused_digest "another registry name" other.example/e2e/shared "$SHARED"
head_tag_refused "another registry name" other.example e2e/shared 1.0.0 "$T_ELSEWHERE"
head_digest_refused "another registry name" e2e/shared "$SHARED" other.example
# The refusal is by name: under docker.io the same cached digest still pulls.
admitted "the same digest under docker.io, still admitted" docker.io/e2e/shared:1.0.0
req HEAD "$RW_URL/v2/e2e/shared/manifests/1.0.0?ns=docker.io" -H "Accept: $CTR_ACCEPT"
expect_eq "HEAD of an admitted tag answers 200 with the real digest" "200 $SHARED" \
	"$R_CODE $(hdr Docker-Content-Digest)"

# ---- reproduction 1: admitted, then refused --------------------------------

# A moved pin.
rw_admin pins add docker.io/e2e/pinned:1.0.0 "$G2" >/dev/null 2>&1 ||
	fail "regwarden pins add docker.io/e2e/pinned:1.0.0 $G2 failed"
refused_tag "moved pin" docker.io/e2e/pinned:1.0.0 "$G1" "$T_MOVED"

# A new scan report with two critical findings.
if OUT=$(rw_admin scans import "$CRIT_REPORT" 2>&1); then
	pass "regwarden scans import of a report with critical findings"
else
	fail "regwarden scans import failed: $OUT"
fi
T_SCAN="refused by rule \"scanned\" (policy.json:$(grep -n '"name": "scanned"' "$POLICY" | cut -d: -f1)): 2 findings above high: CVE-2019-14697 (critical, musl 1.1.20-r4 → 1.1.20-r5), CVE-2019-14697 (critical, musl-utils 1.1.20-r4 → 1.1.20-r5); scanned 2021-08-25T12:20:30Z by trivy dev; upgrade the packages, or ask for an exception: regwarden exceptions add CVE-2019-14697 --repo docker.io/e2e/scanned --expires 30d --reason \"<why>\"."
refused_tag "new scan report" docker.io/e2e/scanned:1.0.0 "$SCANNED" "$T_SCAN"
refused_digest "new scan report" docker.io/e2e/scanned "$SCANNED"

# A policy edit, reloaded with SIGHUP.
LOADED="policy $POLICY loaded (revision"
n_loaded=$(grep -cF -- "$LOADED" "$RW_LOG")
policy_text frozen | put_policy
kill -HUP "$RW_PID"
wait_until 15 eval '[ "$(grep -cF -- "$LOADED" "$RW_LOG")" -gt '"$n_loaded"' ]' ||
	die "the edited policy was not loaded within 15 s of SIGHUP"
pass "policy edit: reloaded on SIGHUP"
L_FROZEN=$(grep -n '"name": "frozen"' "$POLICY" | cut -d: -f1)
T_FROZEN="refused by rule \"frozen\" (policy.json:$L_FROZEN): source docker.io/e2e/frozen is not allowed (pattern \"docker.io/e2e/frozen\"); use an image from an approved registry. Frozen after incident INC-9."
refused_tag "policy edit" docker.io/e2e/frozen:1.0.0 "$FROZEN" "$T_FROZEN"
refused_digest "policy edit" docker.io/e2e/frozen "$FROZEN"
head_tag_refused "policy edit" docker.io e2e/frozen 1.0.0 "$T_FROZEN"
head_digest_refused "policy edit" e2e/frozen "$FROZEN" docker.io

# podman, with the image in its store.
if "${PODMAN[@]}" image exists "$P_FROZEN"; then
	pass "podman: $P_FROZEN is in the store before the pull"
else
	fail "podman: $P_FROZEN is not in the store; the test would not show the cached case"
fi
if PODMAN_OUT=$(timeout 120 "${PODMAN[@]}" pull --tls-verify=false "$P_FROZEN" 2>&1); then
	fail "podman pull $P_FROZEN succeeded after the policy edit: $(printf '%s' "$PODMAN_OUT" | tail -n 1)"
else
	expect_contains "podman pull $P_FROZEN fails with the message" \
		"denied: regwarden: docker.io/e2e/frozen:1.0.0 $T_FROZEN" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

# CRI, with the image in its store.
if in_store CRI_CTR "$FROZEN"; then
	pass "CRI: $FROZEN is in the content store before the pull"
else
	fail "CRI: $FROZEN is not in the content store; the test would not show the cached case"
fi
if cri_pull docker.io/e2e/frozen:1.0.0; then
	fail "CRI: PullImage docker.io/e2e/frozen:1.0.0 succeeded after the policy edit: $CRI_OUT"
	rw_requests /v2/e2e/frozen/
else
	expect_contains_any "CRI: PullImage after the policy edit shows the message" "$CRI_OUT" \
		"Server message: denied: regwarden: docker.io/e2e/frozen:1.0.0 $T_FROZEN" \
		"Server message: denied: regwarden: docker.io/e2e/frozen@$FROZEN $T_FROZEN"
fi
show_client_line CRI "$CRI_OUT"

stop_regwarden_checked
finish
