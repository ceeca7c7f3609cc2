#!/bin/bash
# push_pull.test.sh - the OCI Distribution API through regwarden: skopeo push
# and pull, uploads by hand (monolithic, chunked), manifest and blob reads,
# tag paging, mounts, refusals and path-prefix routing.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum
MT_OCI=application/vnd.oci.image.manifest.v1+json
MT_OCI_INDEX=application/vnd.oci.image.index.v1+json
MT_D2=application/vnd.docker.distribution.manifest.v2+json
MT_D2_LIST=application/vnd.docker.distribution.manifest.list.v2+json

start_registry
# A second upstream "other": the same registry behind a small proxy that
# pages tags/list (distribution 2.8 does not) and so sends Link headers.  A
# mount whose `from` names "other" must be dropped, not mapped.
start_fake pager proxy --upstream "$REG_URL"
PAGER_URL=$FAKE_URL
start_regwarden "[$(default_upstreams | sed 's/^\[//; s/\]$//'),
 {\"name\":\"other\",\"url\":\"$PAGER_URL\",\"insecure\":true,\"hosts\":[\"other.example\"],\"auth\":\"passthrough\"}]"
# Base URL of the "other" upstream as a client sees it.
OTHER_BASE=$RW_URL/v2/other
rw_only || OTHER_BASE=$PAGER_URL/v2

mkimage "$E2E_TMP/img" --layers 2 --layer-size 300k --user 1000 --env A=1 --label e2e=yes
TOP=$(json_get "$E2E_TMP/img.json" 'j["top"]')
MSIZE=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["size"]')
CONFIG=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["config"]')
LAYER0=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"][0]')
LAYER0_FILE=$E2E_TMP/img/blobs/sha256/${LAYER0#sha256:}
LAYER0_SIZE=$(stat -c %s "$LAYER0_FILE")

abs_url() {
	case $1 in
	http://* | https://*) printf '%s' "$1" ;;
	*) printf '%s%s' "${2:-$RW_URL}" "$1" ;;
	esac
}

# The Location of an upload must lead back to regwarden, never straight to
# the registry.
check_location() {
	local name=$1 loc=$2 want_path=$3
	case $loc in
	"$RW_URL$want_path"* | "$want_path"*) pass "$name: Location $loc" ;;
	*) fail "$name: expected Location on $RW_URL (or path-only) starting with $want_path, got '$loc'" ;;
	esac
}

# ---- 1. skopeo push (POST + streamed PATCH + PUT) and pull back ----------
if out=$(skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" \
	"docker://$RW_HOST/e2e/app:1.0" 2>&1); then
	pass "skopeo push oci:img -> $RW_HOST/e2e/app:1.0"
else
	die "skopeo push through regwarden failed: $out"
fi

req HEAD "$REG_URL/v2/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
expect_eq "registry holds the pushed manifest bytes" "$TOP" "$(hdr Docker-Content-Digest)"

if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/e2e/app:1.0" \
	"dir:$E2E_TMP/pulled" 2>&1); then
	pass "skopeo pull $RW_HOST/e2e/app:1.0 -> dir:"
	expect_eq "pulled blobs have the pushed digests" \
		"$( (json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"]'; echo "$CONFIG") | sort)" \
		"$(dir_blob_digests "$E2E_TMP/pulled")"
	expect_eq "pulled manifest is byte-identical" "$TOP" \
		"sha256:$(sha256sum <"$E2E_TMP/pulled/manifest.json" | awk '{print $1}')"
else
	fail "skopeo pull through regwarden failed: $out"
fi

# Docker schema2 too (most images in the wild): skopeo converts on push.
if out=$(skopeo copy --format v2s2 --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" \
	"docker://$RW_HOST/e2e/d2:1.0" 2>&1); then
	pass "skopeo push --format v2s2"
	req HEAD "$REG_URL/v2/e2e/d2/manifests/1.0" -H "Accept: $MT_D2"
	D2=$(hdr Docker-Content-Digest)
	req GET "$RW_URL/v2/e2e/d2/manifests/1.0" -H "Accept: $MT_D2"
	expect_eq "schema2 manifest by tag: status|Content-Type|digest" "200|$MT_D2|$D2|$D2" \
		"$R_CODE|$(hdr Content-Type)|$(hdr Docker-Content-Digest)|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
	if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/e2e/d2:1.0" "dir:$E2E_TMP/d2" 2>&1); then
		expect_eq "schema2 pull: manifest bytes" "$D2" \
			"sha256:$(sha256sum <"$E2E_TMP/d2/manifest.json" | awk '{print $1}')"
	else
		fail "skopeo pull of e2e/d2:1.0 failed: $out"
	fi
else
	fail "skopeo push --format v2s2 through regwarden failed: $out"
fi

# ---- 2. manifest HEAD/GET, same answer as the registry gives -----------
# compare_manifest LABEL REF [ACCEPT]: regwarden's answer must match the
# registry's: status, Docker-Content-Digest, Content-Type, Content-Length,
# body bytes.  ACCEPT may hold several header lines separated by '|'.
compare_manifest() {
	local label=$1 ref=$2 accept=${3:-} method a=() line
	if [ -n "$accept" ]; then
		IFS='|' read -ra lines <<<"$accept"
		for line in "${lines[@]}"; do a+=(-H "Accept: $line"); done
	fi
	for method in HEAD GET; do
		req "$method" "$REG_URL/v2/e2e/app/manifests/$ref" "${a[@]}"
		local rc=$R_CODE rd rt rl rb
		rd=$(hdr Docker-Content-Digest) rt=$(hdr Content-Type) rl=$(hdr Content-Length)
		rb=$(sha256sum <"$R_BODY" | awk '{print $1}')
		req "$method" "$RW_URL/v2/e2e/app/manifests/$ref" "${a[@]}"
		local got want
		if [ "$rc" = 200 ]; then
			want="200|$rd|$rt|$rl|$rb"
			got="$R_CODE|$(hdr Docker-Content-Digest)|$(hdr Content-Type)|$(hdr Content-Length)|$(sha256sum <"$R_BODY" | awk '{print $1}')"
		else
			# An error: same status; the body is an OCI envelope.
			want="$rc|envelope"
			got="$R_CODE|$([ "$method" = HEAD ] || is_oci_error && echo envelope)"
		fi
		if [ "$got" = "$want" ]; then
			pass "$method manifest $label: $want"
		else
			fail "$method /v2/e2e/app/manifests/$ref ($label): expected status|digest|type|length|sha256 '$want' (what the registry answers), got '$got'; $(describe_resp)"
		fi
	done
}
compare_manifest "by tag, Accept OCI" 1.0 "$MT_OCI"
compare_manifest "by tag, Accept OCI+index+docker" 1.0 "$MT_OCI, $MT_OCI_INDEX, $MT_D2"
compare_manifest "by digest, Accept OCI" "$TOP" "$MT_OCI"
# containers/image sends one Accept line per type: all must reach the
# registry (only the middle one matches this image).
compare_manifest "by tag, three Accept lines" 1.0 "$MT_D2_LIST|$MT_OCI|$MT_OCI_INDEX"
compare_manifest "by tag, no Accept" 1.0
compare_manifest "by digest, no Accept" "$TOP"
compare_manifest "unknown tag" nosuchtag "$MT_OCI"

req HEAD "$RW_URL/v2/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
expect_eq "HEAD by tag: Docker-Content-Digest|Content-Length|Content-Type" \
	"$TOP|$MSIZE|$MT_OCI" \
	"$(hdr Docker-Content-Digest)|$(hdr Content-Length)|$(hdr Content-Type)"
req GET "$RW_URL/v2/e2e/app/manifests/$TOP" -H "Accept: $MT_OCI"
expect_eq "GET by digest: status|body digest|Content-Length" "200|$TOP|$MSIZE" \
	"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')|$(hdr Content-Length)"

# ---- 3. blobs: full GET, HEAD, Range ------------------------------------
req GET "$RW_URL/v2/e2e/app/blobs/$LAYER0"
expect_eq "blob GET: status|sha256" "200|$LAYER0" \
	"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
req HEAD "$RW_URL/v2/e2e/app/blobs/$LAYER0"
expect_eq "blob HEAD: status|Content-Length|Docker-Content-Digest" \
	"200|$LAYER0_SIZE|$LAYER0" \
	"$R_CODE|$(hdr Content-Length)|$(hdr Docker-Content-Digest)"
req GET "$RW_URL/v2/e2e/app/blobs/$LAYER0" -H "Range: bytes=1000-1999"
want=$(tail -c +1001 "$LAYER0_FILE" | head -c 1000 | sha256sum | awk '{print $1}')
expect_eq "blob Range GET: status|Content-Range|bytes" \
	"206|bytes 1000-1999/$LAYER0_SIZE|$want" \
	"$R_CODE|$(hdr Content-Range)|$(sha256sum <"$R_BODY" | awk '{print $1}')"
req GET "$RW_URL/v2/e2e/app/blobs/sha256:$(printf '%064d' 0)"
expect_oci_error "unknown blob: 404 envelope" 404 BLOB_UNKNOWN

# ---- 4. uploads by hand --------------------------------------------------
head -c 300000 /dev/urandom >"$E2E_TMP/mono.bin"
MONO=sha256:$(sha256sum <"$E2E_TMP/mono.bin" | awk '{print $1}')

# 4a. POST, then PUT ?digest= with the whole body.
req POST "$RW_URL/v2/e2e/mono/blobs/uploads/" -H "Content-Length: 0"
expect_code "monolithic: POST uploads/ -> 202" 202
LOC=$(hdr Location)
check_location "monolithic POST" "$LOC" /v2/e2e/mono/blobs/uploads/
sep='?'; case $LOC in *\?*) sep='&' ;; esac
req PUT "$(abs_url "$LOC")${sep}digest=$MONO" \
	-H "Content-Type: application/octet-stream" --data-binary "@$E2E_TMP/mono.bin"
expect_eq "monolithic: PUT ?digest= -> 201 with Docker-Content-Digest" \
	"201|$MONO" "$R_CODE|$(hdr Docker-Content-Digest)"
req HEAD "$REG_URL/v2/e2e/mono/blobs/$MONO"
expect_eq "monolithic: the registry has the blob" "200|300000" "$R_CODE|$(hdr Content-Length)"

# 4b. POST ?digest= with the body: 201 if the registry supports single-POST
# uploads, else a normal 202 session; never an error.
head -c 1000 /dev/urandom >"$E2E_TMP/post.bin"
PD=sha256:$(sha256sum <"$E2E_TMP/post.bin" | awk '{print $1}')
req POST "$REG_URL/v2/e2e/probe/blobs/uploads/?digest=$PD" \
	-H "Content-Type: application/octet-stream" --data-binary "@$E2E_TMP/post.bin"
REG_POST=$R_CODE
req POST "$RW_URL/v2/e2e/post/blobs/uploads/?digest=$PD" \
	-H "Content-Type: application/octet-stream" --data-binary "@$E2E_TMP/post.bin"
expect_eq "POST ?digest= with body: same status as the registry ($REG_POST)" "$REG_POST" "$R_CODE"

# 4c. chunked: two PATCHes with Content-Range, status GET, closing PUT.
head -c 250000 /dev/urandom >"$E2E_TMP/chunk.bin"
CH=sha256:$(sha256sum <"$E2E_TMP/chunk.bin" | awk '{print $1}')
head -c 100000 "$E2E_TMP/chunk.bin" >"$E2E_TMP/chunk1"
tail -c +100001 "$E2E_TMP/chunk.bin" >"$E2E_TMP/chunk2"
req POST "$RW_URL/v2/e2e/chunked/blobs/uploads/" -H "Content-Length: 0"
expect_code "chunked: POST -> 202" 202
LOC=$(hdr Location)
check_location "chunked POST" "$LOC" /v2/e2e/chunked/blobs/uploads/
req PATCH "$(abs_url "$LOC")" -H "Content-Type: application/octet-stream" \
	-H "Content-Range: 0-99999" --data-binary "@$E2E_TMP/chunk1"
expect_eq "chunked: PATCH 0-99999 -> 202 Range 0-99999" "202|0-99999" "$R_CODE|$(hdr Range)"
LOC=$(hdr Location)
check_location "chunked PATCH 1" "$LOC" /v2/e2e/chunked/blobs/uploads/
req GET "$(abs_url "$LOC")"
expect_eq "chunked: upload status GET -> 204 Range 0-99999" "204|0-99999" "$R_CODE|$(hdr Range)"
req PATCH "$(abs_url "$LOC")" -H "Content-Type: application/octet-stream" \
	-H "Content-Range: 100000-249999" --data-binary "@$E2E_TMP/chunk2"
expect_eq "chunked: PATCH 100000-249999 -> 202 Range 0-249999" "202|0-249999" "$R_CODE|$(hdr Range)"
LOC=$(hdr Location)
sep='?'; case $LOC in *\?*) sep='&' ;; esac
req PUT "$(abs_url "$LOC")${sep}digest=$CH" -H "Content-Length: 0"
expect_eq "chunked: closing PUT -> 201" "201|$CH" "$R_CODE|$(hdr Docker-Content-Digest)"
req HEAD "$REG_URL/v2/e2e/chunked/blobs/$CH"
expect_eq "chunked: the registry has the whole blob" "200|250000" "$R_CODE|$(hdr Content-Length)"

# 4d. a wrong digest on the closing PUT is refused by the registry.
req POST "$RW_URL/v2/e2e/chunked/blobs/uploads/" -H "Content-Length: 0"
LOC=$(hdr Location)
sep='?'; case $LOC in *\?*) sep='&' ;; esac
req PUT "$(abs_url "$LOC")${sep}digest=$CH" \
	-H "Content-Type: application/octet-stream" --data-binary "@$E2E_TMP/chunk1"
expect_oci_error "PUT with a digest that does not match the body -> 400" 400 DIGEST_INVALID

# 4e. cancelling an upload session (DELETE <location>).
req POST "$RW_URL/v2/e2e/cancel/blobs/uploads/" -H "Content-Length: 0"
LOC=$(hdr Location)
req PATCH "$(abs_url "$LOC")" -H "Content-Type: application/octet-stream" \
	-H "Content-Range: 0-99999" --data-binary "@$E2E_TMP/chunk1"
LOC=$(hdr Location)
req DELETE "$(abs_url "$LOC")"
expect_code "DELETE of an upload session -> 204" 204
req GET "$(abs_url "$LOC")"
expect_oci_error "cancelled upload is gone -> 404" 404 BLOB_UPLOAD_UNKNOWN

# ---- 5. more tags, tags/list paging and Link ----------------------------
for t in 1.1 2.0; do
	req PUT "$RW_URL/v2/e2e/app/manifests/$t" -H "Content-Type: $MT_OCI" \
		--data-binary "@$E2E_TMP/img/blobs/sha256/${TOP#sha256:}"
	expect_eq "manifest PUT tag $t -> 201 with digest" "201|$TOP" \
		"$R_CODE|$(hdr Docker-Content-Digest)"
done
req GET "$RW_URL/v2/e2e/app/tags/list"
expect_eq "tags/list" '200|e2e/app|1.0 1.1 2.0' \
	"$R_CODE|$(json_get "$R_BODY" 'j["name"] + "|" + " ".join(sorted(j["tags"]))' 2>/dev/null)"

# follow_tags LABEL URL: walk the Link chain from URL with n=1; each page
# must hold one tag, each Link must lead back through the client's view of
# the upstream (checked by the caller's regex in LINK_RE).
follow_tags() {
	local label=$1 url=$2 got="" link next i
	for i in 1 2 3 4; do
		req GET "$url"
		if [ "$R_CODE" != 200 ]; then
			fail "$label: page $i: expected 200, got $(describe_resp)"
			return
		fi
		got="$got $(json_get "$R_BODY" '" ".join(j["tags"])' 2>/dev/null)"
		link=$(hdr Link)
		[ -z "$link" ] && break
		if ! printf '%s' "$link" | grep -Eq -- "$LINK_RE"; then
			fail "$label: page $i: Link expected to match /$LINK_RE/, got '$link'"
			return
		fi
		next=$(printf '%s' "$link" | sed -n 's/^<\([^>]*\)>.*/\1/p')
		url=$(abs_url "$next" "$LINK_BASE")
	done
	expect_eq "$label: pages via Link" " 1.0 1.1 2.0" "$got"
}
LINK_BASE=$RW_URL
rw_only || LINK_BASE=$PAGER_URL
if rw_only; then
	LINK_RE="^<(https://$RW_HOST)?/v2/other/e2e/app/tags/list\?[^>]*last=[^>]*>; *rel=\"next\""
else
	LINK_RE="^</v2/e2e/app/tags/list\?[^>]*last=[^>]*>; *rel=\"next\""
fi
follow_tags "tags/list?n=1 by path prefix" "$OTHER_BASE/e2e/app/tags/list?n=1"
if rw_only; then
	# Mirror mode: the Link must lead back to the same upstream even
	# though the follow-up request carries no ns.
	follow_tags "tags/list?n=1 by ns=other.example" "$RW_URL/v2/e2e/app/tags/list?n=1&ns=other.example"
fi

# ---- 6. cross-repository mount ------------------------------------------
req POST "$RW_URL/v2/e2e/mounted/blobs/uploads/?mount=$LAYER0&from=e2e/app" -H "Content-Length: 0"
expect_eq "mount from the same upstream -> 201" "201|$LAYER0" \
	"$R_CODE|$(hdr Docker-Content-Digest)"
req HEAD "$REG_URL/v2/e2e/mounted/blobs/$LAYER0"
expect_code "mounted blob is in the registry" 200
if rw_only; then
	# The registry also has other/e2e/app, so forwarding `from` verbatim
	# would mount (201); regwarden must drop mount/from for another
	# upstream and the registry then opens a normal session (202).
	skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" \
		"docker://$REG_HOST/other/e2e/app:1.0" >/dev/null 2>&1 ||
		fail "setup: direct push of other/e2e/app failed"
	req POST "$RW_URL/v2/e2e/mount2/blobs/uploads/?mount=$LAYER0&from=other/e2e/app" -H "Content-Length: 0"
	expect_eq "mount from another upstream's name -> 202 (mount dropped)" 202 "$R_CODE"
	req HEAD "$REG_URL/v2/e2e/mount2/blobs/$LAYER0"
	expect_eq "no blob was mounted into e2e/mount2" 404 "$R_CODE"
	# Path-prefix form: from=local/e2e/app maps to e2e/app upstream.
	req POST "$RW_URL/v2/local/e2e/mount3/blobs/uploads/?mount=$LAYER0&from=local/e2e/app" -H "Content-Length: 0"
	expect_eq "prefixed mount: from=local/e2e/app mapped to e2e/app -> 201" 201 "$R_CODE"
fi

# ---- 7. refusals ---------------------------------------------------------
if rw_only; then
	req GET "$RW_URL/v2/_catalog"
	expect_oci_error "catalog refused: 403 envelope" 403
	req GET "$RW_URL/v2/E2E/App/manifests/1.0"
	expect_oci_error "upper-case name -> 400 NAME_INVALID" 400 NAME_INVALID
	req GET "$RW_URL/v2/e2e/../app/manifests/1.0" --path-as-is
	expect_oci_error "name with .. -> 400 NAME_INVALID" 400 NAME_INVALID
	req GET "$RW_URL/v2/e2e%2fapp/manifests/1.0"
	expect_oci_error "percent-encoded name -> 400 NAME_INVALID" 400 NAME_INVALID
	req GET "$RW_URL/v2/e2e/app/blobs/sha256:xyz"
	expect_oci_error "malformed blob digest -> 400 DIGEST_INVALID" 400 DIGEST_INVALID
	req GET "$RW_URL/v2/e2e/app/manifests/sha256:$(printf 'A%.0s' $(seq 64))"
	expect_oci_error "upper-case hex digest -> 400 DIGEST_INVALID" 400 DIGEST_INVALID
	req GET "$RW_URL/v2/e2e/app/manifests/$(printf 't%.0s' $(seq 129))"
	expect_oci_error "129-character tag -> 400 envelope" 400
	grep -q "/v2/E2E/App" "$REG_LOG" &&
		fail "a malformed name reached the registry: $(grep /v2/E2E/App "$REG_LOG" | head -1)"
fi

# ---- 8. DELETE manifest passes through ----------------------------------
skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$RW_HOST/e2e/del:1.0" >/dev/null 2>&1 ||
	fail "setup: push e2e/del:1.0 failed"
req DELETE "$RW_URL/v2/e2e/del/manifests/$TOP"
expect_code "DELETE manifest by digest -> 202" 202
req GET "$REG_URL/v2/e2e/del/manifests/$TOP" -H "Accept: $MT_OCI"
expect_code "deleted manifest is gone from the registry" 404

# ---- 9. path-prefix routing /v2/local/... --------------------------------
if rw_only; then
	req GET "$RW_URL/v2/local/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
	expect_eq "prefix: GET /v2/local/e2e/app/manifests/1.0" "200|$TOP" \
		"$R_CODE|$(hdr Docker-Content-Digest)"
	req GET "$RW_URL/v2/local/e2e/app/blobs/$LAYER0"
	expect_eq "prefix: blob GET" "200|$LAYER0" \
		"$R_CODE|sha256:$(sha256sum <"$R_BODY" | awk '{print $1}')"
	req GET "$RW_URL/v2/local/e2e/app/tags/list"
	expect_eq "prefix: tags/list" '200|e2e/app' "$R_CODE|$(json_get "$R_BODY" 'j["name"]' 2>/dev/null)"
	# The default upstream: the Location may or may not keep "local/"
	# (both reach it); the upload must land in e2e/pfx.
	req POST "$RW_URL/v2/local/e2e/pfx/blobs/uploads/" -H "Content-Length: 0"
	expect_code "prefix: POST upload -> 202" 202
	LOC=$(hdr Location)
	case $LOC in
	*/v2/local/e2e/pfx/blobs/uploads/*) check_location "prefix upload" "$LOC" /v2/local/e2e/pfx/blobs/uploads/ ;;
	*) check_location "prefix upload (default upstream)" "$LOC" /v2/e2e/pfx/blobs/uploads/ ;;
	esac
	sep='?'; case $LOC in *\?*) sep='&' ;; esac
	req PUT "$(abs_url "$LOC")${sep}digest=$MONO" \
		-H "Content-Type: application/octet-stream" --data-binary "@$E2E_TMP/mono.bin"
	expect_code "prefix: PUT -> 201" 201
	req HEAD "$REG_URL/v2/e2e/pfx/blobs/$MONO"
	expect_code "prefix: blob landed in registry repo e2e/pfx" 200
	# A non-default upstream: the Location must keep "other/", or the next
	# request would go to the default upstream.
	req POST "$RW_URL/v2/other/e2e/pfx3/blobs/uploads/" -H "Content-Length: 0"
	expect_code "prefix other: POST upload -> 202" 202
	LOC=$(hdr Location)
	check_location "prefix other upload" "$LOC" /v2/other/e2e/pfx3/blobs/uploads/
	sep='?'; case $LOC in *\?*) sep='&' ;; esac
	req PUT "$(abs_url "$LOC")${sep}digest=$MONO" \
		-H "Content-Type: application/octet-stream" --data-binary "@$E2E_TMP/mono.bin"
	expect_code "prefix other: PUT -> 201" 201
	req HEAD "$REG_URL/v2/e2e/pfx3/blobs/$MONO"
	expect_code "prefix other: blob landed in registry repo e2e/pfx3" 200
	check "prefix: skopeo push docker://$RW_HOST/local/e2e/pfx2:1.0" \
		skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$RW_HOST/local/e2e/pfx2:1.0"
	req HEAD "$REG_URL/v2/e2e/pfx2/manifests/1.0" -H "Accept: $MT_OCI"
	expect_eq "prefix: registry has e2e/pfx2:1.0" "200|$TOP" "$R_CODE|$(hdr Docker-Content-Digest)"
	req GET "$RW_URL/v2/nosuchupstream/e2e/app/manifests/1.0" -H "Accept: $MT_OCI"
	# An unknown first segment is just part of the name on the default
	# upstream, which does not have it.
	expect_oci_error "unknown prefix is a name on the default upstream -> 404" 404
fi

stop_regwarden_checked
finish
