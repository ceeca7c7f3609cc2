#!/bin/bash
# cache.test.sh - the blob cache on disk (issue #15), with a real registry
# behind a counting proxy (fake_upstream.py --mode proxy logs every request
# it forwards) and real clients:
#  - ten concurrent skopeo pulls of an image nobody pulled before cost the
#    upstream one GET per blob; every pull gets the right bytes;
#  - a refused image's blobs are never fetched or cached;
#  - with the registry stopped, the admitted image pulls by digest through
#    ctr and podman from the cache; the refused one still does not; a Range
#    request (a resumed download) is answered 206 from the cache with the
#    right bytes; the log says the upstream is down;
#  - by tag with the registry stopped: served only where a fresh tag
#    verdict (ctr, podman) or a pin (`regwarden pins add`) names the digest;
#    a tag nothing names answers 502.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl sha256sum
rw_only || { pass "cache tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry
mkimage "$E2E_TMP/app" --seed 151 --layers 2 --layer-size 3m --user 1000
mkimage "$E2E_TMP/bad" --seed 152 --layers 1 --layer-size 200k --user 1000
APP=$(json_get "$E2E_TMP/app.json" 'j["top"]')
BAD=$(json_get "$E2E_TMP/bad.json" 'j["top"]')
mapfile -t APP_BLOBS < <(json_get "$E2E_TMP/app.json" '[j["manifests"][0]["config"]] + j["manifests"][0]["layers"]')
mapfile -t BAD_BLOBS < <(json_get "$E2E_TMP/bad.json" '[j["manifests"][0]["config"]] + j["manifests"][0]["layers"]')
seed_image "$E2E_TMP/app" e2e/app:1.0.0
seed_image "$E2E_TMP/bad" e2e/bad:1.0.0
# The same image under a second name shares every blob with e2e/app; solo
# shares none.
seed_image "$E2E_TMP/app" e2e/twin:1.0.0
mkimage "$E2E_TMP/solo" --seed 153 --layers 1 --layer-size 300k --user 1000
mapfile -t SOLO_BLOBS < <(json_get "$E2E_TMP/solo.json" '[j["manifests"][0]["config"]] + j["manifests"][0]["layers"]')
seed_image "$E2E_TMP/solo" e2e/solo:1.0.0

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "bad", "match": "docker.io/e2e/bad", "allow": false,
      "message": "refused for the cache test" },
    { "name": "apps", "match": "docker.io/e2e/*" }
  ]
}
EOF
start_fake count proxy --upstream "$REG_URL"
CACHE=$E2E_TMP/cache
start_regwarden "$(default_upstreams "$FAKE_URL")" \
	"{\"policy\": \"$POLICY\", \"cache\": {\"dir\": \"$CACHE\", \"max_bytes\": 1073741824, \"min_free_bytes\": 0}}"
add_log "$RW_LOG"

# upstream_gets DIGEST: GETs of that blob the upstream saw.
upstream_gets() {
	grep -c "\"method\": \"GET\", \"path\": \"/v2/e2e/[a-z]*/blobs/$1\"" "$FAKE_REQS"
}

# ---- ten clients at once ---------------------------------------------------

pids=()
for i in $(seq 10); do
	timeout 120 skopeo copy --src-tls-verify=false \
		"docker://$RW_HOST/e2e/app:1.0.0" "dir:$E2E_TMP/pull$i" \
		>"$E2E_TMP/pull$i.log" 2>&1 &
	pids+=($!)
done
ok=0
for i in $(seq 10); do
	wait "${pids[$((i - 1))]}" && ok=$((ok + 1))
done
expect_eq "ten concurrent skopeo pulls of e2e/app:1.0.0 succeed" 10 "$ok"
want=$(printf '%s\n' "${APP_BLOBS[@]}" | sort)
same=0
for i in $(seq 10); do
	[ "$(dir_blob_digests "$E2E_TMP/pull$i")" = "$want" ] && same=$((same + 1))
done
expect_eq "every pull holds the image's blobs, hashed" 10 "$same"
for d in "${APP_BLOBS[@]}"; do
	expect_eq "the upstream saw one GET of blob $d" 1 "$(upstream_gets "$d")"
	if [ -f "$CACHE/blobs/sha256/${d#sha256:}" ] &&
		[ "sha256:$(sha256sum "$CACHE/blobs/sha256/${d#sha256:}" | awk '{print $1}')" = "$d" ]; then
		pass "blob $d is in the cache, its bytes hashing to its name"
	else
		fail "blob $d is not in the cache (or is corrupt): $(ls -l "$CACHE/blobs/sha256" 2>&1 | head -5)"
	fi
done
expect_eq "nothing left in the cache's tmp folder" "" "$(ls "$CACHE/tmp")"
log "$(grep -c 'cache: following the fetch' "$RW_LOG") requests followed a fetch, $(grep -c 'cache hit' "$RW_LOG") were hits"

# A pull after: every blob from the cache, no new upstream GET.
if skopeo_pull "e2e/app:1.0.0"; then
	pass "a later pull succeeds"
else
	fail "a later pull failed: $SKOPEO_OUT"
fi
for d in "${APP_BLOBS[@]}"; do
	expect_eq "still one upstream GET of $d after a later pull" 1 "$(upstream_gets "$d")"
done

# ---- purge --repo while the server runs -------------------------------------

skopeo_pull "e2e/twin:1.0.0" || fail "skopeo pull e2e/twin:1.0.0 failed: $SKOPEO_OUT"
skopeo_pull "e2e/solo:1.0.0" || fail "skopeo pull e2e/solo:1.0.0 failed: $SKOPEO_OUT"
solo_bytes=0
for d in "${SOLO_BLOBS[@]}"; do
	solo_bytes=$((solo_bytes + $(stat -c %s "$E2E_TMP/solo/blobs/sha256/${d#sha256:}")))
done
OUT=$(rw_admin cache purge --repo 'docker.io/e2e/solo' --dry-run 2>&1)
expect_contains "purge --repo --dry-run names what would go" \
	"would purge 2 blobs, $solo_bytes bytes freed" "$OUT"
for d in "${SOLO_BLOBS[@]}"; do
	check "the dry run left $d in the cache" test -e "$CACHE/blobs/sha256/${d#sha256:}"
done
OUT=$(rw_admin cache purge --repo 'docker.io/e2e/solo' 2>&1)
for d in "${SOLO_BLOBS[@]}"; do
	expect_contains "purge --repo docker.io/e2e/solo names $d" \
		"purged $d ($(stat -c %s "$E2E_TMP/solo/blobs/sha256/${d#sha256:}") bytes)" "$OUT"
	check "purge --repo removed $d" test ! -e "$CACHE/blobs/sha256/${d#sha256:}"
done
expect_contains "purge --repo says the bytes freed" "purged 2 blobs, $solo_bytes bytes freed" "$(printf '%s\n' "$OUT" | tail -1)"
# e2e/app's blobs are e2e/twin's too: kept without --force.
OUT=$(rw_admin cache purge --repo 'docker.io/e2e/app' 2>&1)
for d in "${APP_BLOBS[@]}"; do
	expect_contains "purge --repo keeps $d, shared with e2e/twin" \
		"kept $d: also used by docker.io/e2e/twin" "$OUT"
	check "the shared blob $d is still cached" test -e "$CACHE/blobs/sha256/${d#sha256:}"
done
expect_eq "purge --repo of a shared image frees nothing and says why" \
	"purged 0 blobs, 0 bytes freed; kept 3 shared with other repositories (--force purges them too)" \
	"$(printf '%s\n' "$OUT" | tail -1)"
OUT=$(rw_admin cache purge --repo 'docker.io/e2e/app' --force 2>&1)
expect_contains "purge --repo --force removes the shared blobs" "purged 3 blobs, " "$OUT"
declare -A BEFORE
for d in "${APP_BLOBS[@]}"; do
	check "purge --force removed $d" test ! -e "$CACHE/blobs/sha256/${d#sha256:}"
	BEFORE[$d]=$(upstream_gets "$d")
done
# The server ran through it: the next pull fetches the blobs again.
if skopeo_pull "e2e/app:1.0.0"; then
	pass "a pull after the purge, the server still running, succeeds"
else
	fail "a pull after the purge failed: $SKOPEO_OUT"
fi
for d in "${APP_BLOBS[@]}"; do
	expect_eq "after the purge $d went upstream once more" $((BEFORE[$d] + 1)) "$(upstream_gets "$d")"
	check "after the purge $d is cached again" test -e "$CACHE/blobs/sha256/${d#sha256:}"
done

# ---- the refused image -----------------------------------------------------

if skopeo_pull "e2e/bad@$BAD"; then
	fail "the refused image pulled: $SKOPEO_OUT"
else
	expect_contains "the refused image is refused with the rule's message" \
		"denied: regwarden: docker.io/e2e/bad@$BAD refused by rule \"bad\" (policy.json:5): source docker.io/e2e/bad is not allowed (pattern \"docker.io/e2e/bad\"); use an image from an approved registry. Refused for the cache test." \
		"$SKOPEO_TEXT"
fi
for d in "${BAD_BLOBS[@]}"; do
	expect_eq "the refused image's blob $d never went upstream" 0 "$(upstream_gets "$d")"
	check "the refused image's blob $d is not cached" test ! -e "$CACHE/blobs/sha256/${d#sha256:}"
done

# ---- the upstream down -----------------------------------------------------

kill -TERM "$REG_PID"
wait_until 10 eval '! kill -0 '"$REG_PID" || die "the registry did not stop"
pass "registry stopped"

start_containerd
podman_init
if ctr_pull "e2e/app@$APP"; then
	pass "upstream down: ctr pulls e2e/app@$APP from the cache"
else
	fail "upstream down: ctr pull e2e/app@$APP failed: $CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"
if podman_pull "e2e/app@$APP"; then
	pass "upstream down: podman pulls e2e/app@$APP from the cache"
else
	fail "upstream down: podman pull e2e/app@$APP failed: $PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
if ctr_pull "e2e/bad@$BAD"; then
	fail "upstream down: ctr pulled the refused image: $CTR_OUT"
else
	expect_contains "upstream down: ctr pull of the refused image fails with 403" "403 Forbidden" "$CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"
if podman_pull "e2e/bad@$BAD"; then
	fail "upstream down: podman pulled the refused image: $PODMAN_OUT"
else
	expect_contains "upstream down: podman pull of the refused image fails with the message" \
		"denied: regwarden: docker.io/e2e/bad@$BAD refused by rule \"bad\"" "$PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"

# By tag: only where a pin or a fresh tag verdict says which digest.
if ctr_pull "e2e/app:1.0.0"; then
	pass "upstream down: ctr pulls e2e/app:1.0.0 (admitted as $APP a moment ago)"
else
	fail "upstream down: ctr pull e2e/app:1.0.0 failed: $CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"
if podman_pull "e2e/app:1.0.0"; then
	pass "upstream down: podman pulls e2e/app:1.0.0"
else
	fail "upstream down: podman pull e2e/app:1.0.0 failed: $PODMAN_OUT"
fi
show_client_line podman "$PODMAN_OUT"
expect_match "the log names the digest a tag was served as" \
	"upstream local is down: e2e/app:1.0.0 served as $APP \(tag verdict\)" \
	"$(grep -m1 'e2e/app:1.0.0 served as' "$RW_LOG")"
if ctr_pull "e2e/app:never-pulled"; then
	fail "upstream down: ctr pulled a tag nothing says the digest of: $CTR_OUT"
else
	expect_contains "upstream down: a tag no pin or verdict names is not served" "502 Bad Gateway" "$CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"
rw_admin pins add docker.io/e2e/app:pinned "$APP" >/dev/null 2>&1 ||
	fail "regwarden pins add docker.io/e2e/app:pinned $APP failed"
if ctr_pull "e2e/app:pinned"; then
	pass "upstream down: ctr pulls e2e/app:pinned, a tag never pulled but pinned to $APP"
else
	fail "upstream down: ctr pull e2e/app:pinned failed: $CTR_OUT"
fi
show_client_line ctr "$CTR_OUT"
expect_match "the log says the pin chose the digest" \
	"upstream local is down: e2e/app:pinned served as $APP \(pin\)" \
	"$(grep -m1 'e2e/app:pinned served as' "$RW_LOG")"

# A resumed download: the rest of a layer from byte 1000000 on.
L=${APP_BLOBS[1]}
req GET "$RW_URL/v2/e2e/app/blobs/$L" -H "Range: bytes=1000000-"
expect_code "upstream down: Range bytes=1000000- of $L answers 206" 206
expect_eq "its Content-Range" "bytes 1000000-$(($(stat -c %s "$E2E_TMP/app/blobs/sha256/${L#sha256:}") - 1))/$(stat -c %s "$E2E_TMP/app/blobs/sha256/${L#sha256:}")" "$(hdr Content-Range)"
if cmp -s "$R_BODY" <(tail -c +1000001 "$E2E_TMP/app/blobs/sha256/${L#sha256:}"); then
	pass "the 206 body is the layer's bytes from 1000000 on"
else
	fail "the 206 body differs from the layer's bytes from 1000000 on ($(stat -c %s "$R_BODY") bytes)"
fi
req GET "$RW_URL/v2/e2e/app/blobs/$L" -H "Range: bytes=999999999-"
expect_code "a Range past the end answers 416" 416
expect_eq "its Content-Range" "bytes */$(stat -c %s "$E2E_TMP/app/blobs/sha256/${L#sha256:}")" "$(hdr Content-Range)"

expect_match "the log says the upstream is down" "upstream local is down: " "$(grep -m1 'upstream local is down' "$RW_LOG")"

stop_regwarden_checked

# The index is rebuilt from the folder: the CLI reads it as a restart would.
CLI_LS=$(rw_admin cache ls 2>&1)
for d in "${APP_BLOBS[@]}"; do
	expect_contains "regwarden cache ls lists $d" "$d" "$CLI_LS"
done
expect_eq "regwarden cache ls lists three blobs under its header" 4 "$(printf '%s\n' "$CLI_LS" | wc -l)"
log "$(rw_admin cache stats 2>&1 | tr '\n' ' ')"

# ---- a restart while the upstream is down ----------------------------------
# Verified manifests by digest are kept on disk in the state database (their
# exact bytes, keyed by upstream, repository and digest), the blobs in the
# cache folder.  In pass-through mode a new process cannot serve them while
# the upstream is down: no client has been accepted by the upstream since
# the restart, and that is the rule for a cache hit.
CACHE_CFG="{\"policy\": \"$POLICY\", \"cache\": {\"dir\": \"$CACHE\", \"max_bytes\": 1073741824, \"min_free_bytes\": 0}}"
start_regwarden "$(default_upstreams "$FAKE_URL")" "$CACHE_CFG"
req GET "$RW_URL/v2/e2e/app/manifests/$APP" -H "Accept: $(json_get "$E2E_TMP/app.json" 'j["top_media_type"]')"
expect_code "after a restart, pass-through, upstream down: the manifest by digest is not served to an unchecked client" 502
stop_regwarden_checked
# With regwarden's own (here anonymous) credentials upstream there is no
# client to check: the new process serves the admitted image by digest from
# disk, and still refuses the other.
start_regwarden "[{\"name\":\"local\",\"url\":\"$FAKE_URL\",\"insecure\":true,\"hosts\":[\"docker.io\",\"registry-1.docker.io\"],\"default\":true,\"auth\":\"credentials\"}]" "$CACHE_CFG"
if skopeo_pull "e2e/app@$APP"; then
	pass "after a restart, upstream down: skopeo pulls e2e/app@$APP"
else
	fail "after a restart, upstream down: skopeo pull e2e/app@$APP failed: $SKOPEO_OUT"
fi
expect_eq "after a restart the pull holds the image's blobs, hashed" "$want" "$(dir_blob_digests "$E2E_TMP/skopeo-pull")"
req GET "$RW_URL/v2/e2e/app/manifests/$APP" -H "Accept: $(json_get "$E2E_TMP/app.json" 'j["top_media_type"]')"
expect_code "after a restart, upstream down: GET of the manifest by digest answers 200" 200
expect_eq "its bytes hash to the digest" "$APP" "sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"
if skopeo_pull "e2e/bad@$BAD"; then
	fail "after a restart, upstream down: the refused image pulled: $SKOPEO_OUT"
else
	expect_contains "after a restart, upstream down: the refused image is still refused" \
		"denied: regwarden: docker.io/e2e/bad@$BAD refused by rule \"bad\"" "$SKOPEO_TEXT"
fi
stop_regwarden_checked
finish
