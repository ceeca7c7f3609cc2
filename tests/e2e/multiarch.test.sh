#!/bin/bash
# multiarch.test.sh - a multi-arch OCI index pushed and pulled whole through
# regwarden, then each platform on its own.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum
MT_OCI=application/vnd.oci.image.manifest.v1+json
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json

start_registry
start_regwarden

mkimage "$E2E_TMP/img" --index --layers 2 --layer-size 200k --user 1000
INDEX=$(json_get "$E2E_TMP/img.json" 'j["top"]')
AMD64=$(json_get "$E2E_TMP/img.json" '[m["digest"] for m in j["manifests"] if m["arch"] == "amd64"][0]')
ARM64=$(json_get "$E2E_TMP/img.json" '[m["digest"] for m in j["manifests"] if m["arch"] == "arm64"][0]')
REF=$RW_HOST/e2e/multi:1.0

if out=$(skopeo copy --all --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$REF" 2>&1); then
	pass "skopeo copy --all oci:img -> $REF"
else
	die "skopeo copy --all through regwarden failed: $out"
fi
req HEAD "$REG_URL/v2/e2e/multi/manifests/1.0" -H "Accept: $MT_OCI_INDEX"
expect_eq "registry holds the index under the tag" "200|$INDEX" "$R_CODE|$(hdr Docker-Content-Digest)"

# Whole index back out, into a new layout: the same set of blobs.
if out=$(skopeo copy --all --src-tls-verify=false "docker://$REF" "oci:$E2E_TMP/back:1.0" 2>&1); then
	pass "skopeo copy --all $REF -> oci:"
	expect_eq "all blobs (index, manifests, configs, layers) came back" \
		"$(layout_blob_digests "$E2E_TMP/img")" "$(layout_blob_digests "$E2E_TMP/back")"
	expect_eq "the pulled layout's top is the index" "$INDEX" \
		"$(json_get "$E2E_TMP/back/index.json" 'j["manifests"][0]["digest"]')"
else
	fail "skopeo copy --all out of regwarden failed: $out"
fi

# The index itself, by tag and by digest.
req GET "$RW_URL/v2/e2e/multi/manifests/1.0" -H "Accept: $MT_OCI_INDEX, $MT_OCI"
expect_eq "GET index by tag: status|Content-Type|Docker-Content-Digest|body" \
	"200|$MT_OCI_INDEX|$INDEX|$INDEX" \
	"$R_CODE|$(hdr Content-Type)|$(hdr Docker-Content-Digest)|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
req HEAD "$RW_URL/v2/e2e/multi/manifests/$INDEX" -H "Accept: $MT_OCI_INDEX"
expect_eq "HEAD index by digest" "200|$INDEX" "$R_CODE|$(hdr Docker-Content-Digest)"
# Accept without index types: whatever the registry says (distribution:
# 404 MANIFEST_UNKNOWN), regwarden says too; Accept is forwarded verbatim.
req GET "$REG_URL/v2/e2e/multi/manifests/1.0" -H "Accept: $MT_OCI"
want=$R_CODE
req GET "$RW_URL/v2/e2e/multi/manifests/1.0" -H "Accept: $MT_OCI"
expect_eq "Accept without the index type: same status as the registry" "$want" "$R_CODE"

# Each platform on its own: the right child manifest and its layers.
for arch in amd64 arm64; do
	want_digest=$AMD64
	[ $arch = arm64 ] && want_digest=$ARM64
	want_blobs=$(json_get "$E2E_TMP/img.json" \
		"sorted([[m['config']] + m['layers'] for m in j['manifests'] if m['arch'] == '$arch'][0])")
	if out=$(skopeo copy --override-arch $arch --override-os linux --src-tls-verify=false \
		"docker://$REF" "dir:$E2E_TMP/$arch" 2>&1); then
		pass "skopeo pull --override-arch $arch"
		expect_eq "$arch: the platform manifest was chosen" "$want_digest" \
			"sha256:$(sha256sum <"$E2E_TMP/$arch/manifest.json" | awk '{print $1}')"
		expect_eq "$arch: config and layers" "$want_blobs" "$(dir_blob_digests "$E2E_TMP/$arch")"
	else
		fail "skopeo pull --override-arch $arch through regwarden failed: $out"
	fi
	req GET "$RW_URL/v2/e2e/multi/manifests/$want_digest" -H "Accept: $MT_OCI"
	expect_eq "$arch: child manifest by digest" "200|$want_digest" \
		"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
done

# A pull by the child's digest directly (as kubelet does with a pinned ref).
if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/e2e/multi@$ARM64" "dir:$E2E_TMP/bydigest" 2>&1); then
	expect_eq "pull by child digest" "$ARM64" \
		"sha256:$(sha256sum <"$E2E_TMP/bydigest/manifest.json" | awk '{print $1}')"
else
	fail "skopeo pull e2e/multi@$ARM64 through regwarden failed: $out"
fi

stop_regwarden_checked
finish
