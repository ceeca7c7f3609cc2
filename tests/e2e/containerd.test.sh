#!/bin/bash
# containerd.test.sh - a private containerd pulls docker.io/e2e/app:1.0 with
# regwarden as the docker.io mirror (hosts.toml `server`), the way a cluster
# node would: HEAD by tag with ?ns=docker.io, GET by digest, blobs, unpack.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo containerd ctr sha256sum

start_registry
start_regwarden

mkimage "$E2E_TMP/img" --layers 2 --layer-size 100k --user 1000
TOP=$(json_get "$E2E_TMP/img.json" 'j["top"]')
LAYER1=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"][1]')
skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$REG_HOST/e2e/app:1.0" \
	>"$E2E_TMP/seed.log" 2>&1 || die "seeding the registry failed: $(cat "$E2E_TMP/seed.log")"
mkimage "$E2E_TMP/multi" --index --layers 1 --layer-size 50k
MINDEX=$(json_get "$E2E_TMP/multi.json" 'j["top"]')
MAMD64=$(json_get "$E2E_TMP/multi.json" '[m["digest"] for m in j["manifests"] if m["arch"] == "amd64"][0]')
MARM64=$(json_get "$E2E_TMP/multi.json" '[m["digest"] for m in j["manifests"] if m["arch"] == "arm64"][0]')
skopeo copy --all --dest-tls-verify=false "oci:$E2E_TMP/multi:1.0" "docker://$REG_HOST/e2e/multi:1.0" \
	>"$E2E_TMP/seed.log" 2>&1 || die "seeding the registry failed: $(cat "$E2E_TMP/seed.log")"

CD=$E2E_TMP/containerd
SOCK=$CD/containerd.sock
mkdir -p "$CD" "$E2E_TMP/certs.d/docker.io"
cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
[grpc]
  address = "$SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
EOF
if rw_only; then
	cat >"$E2E_TMP/certs.d/docker.io/hosts.toml" <<EOF
server = "https://$RW_HOST"
[host."https://$RW_HOST"]
  capabilities = ["pull", "resolve"]
  ca = "$RW_CERT"
EOF
else
	cat >"$E2E_TMP/certs.d/docker.io/hosts.toml" <<EOF
server = "http://$REG_HOST"
[host."http://$REG_HOST"]
  capabilities = ["pull", "resolve"]
EOF
fi
bg_start "$CD/containerd.log" containerd --config "$CD/config.toml"
CTR=(ctr --address "$SOCK")
wait_until 15 "${CTR[@]}" version || die "containerd did not come up on $SOCK within 15 s"

# The ca line matters: without it (and without skip_verify) containerd
# must refuse regwarden's self-signed certificate.
if rw_only; then
	mkdir -p "$E2E_TMP/noca.d/docker.io"
	printf 'server = "https://%s"\n[host."https://%s"]\n  capabilities = ["pull", "resolve"]\n' \
		"$RW_HOST" "$RW_HOST" >"$E2E_TMP/noca.d/docker.io/hosts.toml"
	if out=$(timeout 60 "${CTR[@]}" images pull --hosts-dir "$E2E_TMP/noca.d" docker.io/e2e/app:1.0 2>&1); then
		fail "pull without the CA succeeded; is regwarden's certificate really verified? $out"
	else
		expect_match "pull without the CA fails on the certificate" "x509|certificate" "$out"
	fi
fi

if out=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$E2E_TMP/certs.d" docker.io/e2e/app:1.0 2>&1); then
	pass "ctr images pull docker.io/e2e/app:1.0 via hosts.toml"
else
	die "ctr pull through regwarden failed: $out"
fi

expect_eq "ctr images ls: the tag resolved to the pushed digest" "$TOP" \
	"$("${CTR[@]}" images ls "name==docker.io/e2e/app:1.0" | awk 'NR == 2 {print $3}')"
expect_eq "ctr content get of a layer matches its digest" "$LAYER1" \
	"sha256:$("${CTR[@]}" content get "$LAYER1" | sha256sum | awk '{print $1}')"
expect_eq "ctr content get of the manifest matches" "$TOP" \
	"sha256:$("${CTR[@]}" content get "$TOP" | sha256sum | awk '{print $1}')"
# Unpacked: the snapshotter holds a committed layer chain for the image.
expect_match "image was unpacked (snapshot exists)" "sha256:" \
	"$("${CTR[@]}" snapshots ls 2>&1 | awk 'NR > 1 {print $1}' | head -1)"

if rw_only; then
	# containerd adds ?ns=docker.io because it talks to a mirror; regwarden
	# sees it and does not pass it on to the upstream.
	grep -q 'ns=docker.io' "$RW_LOG" &&
		pass "regwarden's log shows ns=docker.io" ||
		fail "regwarden's log ($RW_LOG) has no ns=docker.io"
	if grep -q 'ns=docker.io' "$REG_LOG"; then
		fail "ns=docker.io reached the registry: $(grep -m1 'ns=docker.io' "$REG_LOG" | cut -c1-300)"
	else
		pass "ns is not forwarded upstream"
	fi
else
	grep -q 'ns=docker.io' "$REG_LOG" &&
		pass "the registry saw ns=docker.io (direct mode)" ||
		fail "no ns=docker.io in $REG_LOG"
fi

# A multi-arch index, the usual case on a cluster: containerd resolves the
# index, then fetches only the amd64 child and its blobs.
if out=$(timeout 120 "${CTR[@]}" images pull --platform linux/amd64 --hosts-dir "$E2E_TMP/certs.d" docker.io/e2e/multi:1.0 2>&1); then
	pass "ctr images pull of a multi-arch index"
	expect_eq "index: the tag resolved to the index digest" "$MINDEX" \
		"$("${CTR[@]}" images ls "name==docker.io/e2e/multi:1.0" | awk 'NR == 2 {print $3}')"
	expect_eq "index: the amd64 child manifest was fetched" "$MAMD64" \
		"sha256:$("${CTR[@]}" content get "$MAMD64" | sha256sum | awk '{print $1}')"
	"${CTR[@]}" content get "$MARM64" >/dev/null 2>&1 &&
		fail "index: the arm64 child was fetched although only linux/amd64 was asked for" ||
		pass "index: the arm64 child was not fetched"
else
	fail "ctr pull of docker.io/e2e/multi:1.0 failed: $out"
fi

# Pull again by digest after removing the image and its content.
"${CTR[@]}" images rm docker.io/e2e/app:1.0 >/dev/null 2>&1
"${CTR[@]}" content prune references >/dev/null 2>&1
if out=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$E2E_TMP/certs.d" "docker.io/e2e/app@$TOP" 2>&1); then
	pass "ctr images pull by digest"
	expect_eq "content by digest" "$LAYER1" \
		"sha256:$("${CTR[@]}" content get "$LAYER1" | sha256sum | awk '{print $1}')"
else
	fail "ctr pull docker.io/e2e/app@$TOP failed: $out"
fi

stop_regwarden_checked
finish
