#!/bin/bash
# content_push.test.sh - pushes under a "content": {"no_secrets"} rule: the
# layers are read as they are uploaded, and a layer holding a secret is
# refused at its upload's final PUT, before the registry commits it (the
# upload cancelled upstream).  skopeo pushes of an image with
# /root/.ssh/id_rsa and of one whose AWS credentials file is deleted by a
# later layer are refused with the layer and path named; the registry is
# then asked directly: no such blob, no manifest, no blob file on its disk.
# A clean image pushes; a client lying about the digest, an out-of-order
# chunk and a monolithic POST ?digest= carrying a key (curl) are refused;
# a cross-repository mount is answered with an ordinary upload; the
# refused layer's index serves a later pull without reading it again.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl
rw_only || { pass "content push tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

for kind in clean sshkey awsdeleted; do
	"$PY" "$E2E_DIR/mkcontent.py" --out "$E2E_TMP/$kind" --kind "$kind" \
		>"$E2E_TMP/$kind.json" || die "mkcontent.py $kind failed"
done
SSH_L1=$(json_get "$E2E_TMP/sshkey.json" 'j["layers"][1]')
AWS_L1=$(json_get "$E2E_TMP/awsdeleted.json" 'j["layers"][1]')
CLEAN_L0=$(json_get "$E2E_TMP/clean.json" 'j["layers"][0]')
blob_file() { echo "$E2E_TMP/$1/blobs/sha256/${2#sha256:}"; }

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF2'
// content_push.test.sh: no secrets in what is pushed.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*",
      "content": { "no_secrets": true, "no_shell": true } }
  ]
}
EOF2
L=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)
start_regwarden_policy "$POLICY" '{"content": {"upload_max_sessions": 8}}'
SPOOL=$E2E_TMP/rw/state/uploads

# rw_push LAYOUT REPO:TAG: skopeo copy through regwarden; output in PUSH_OUT.
rw_push() {
	PUSH_OUT=$(timeout 120 skopeo copy --dest-tls-verify=false \
		"oci:$1" "docker://$RW_HOST/$2" 2>&1)
}
# reg_code METHOD PATH: the registry's own answer, asked directly.
reg_code() {
	req "$1" "$REG_URL$2" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json'
	echo "$R_CODE"
}
# on_disk DIGEST: whether the registry's storage holds the blob's bytes.
on_disk() {
	local h=${1#sha256:}
	if [ -e "$REG_DIR/data/docker/registry/v2/blobs/sha256/${h:0:2}/$h/data" ]; then
		echo yes
	else
		echo no
	fi
}
oci_message() {
	"$PY" -c 'import json,sys
try:
    print(json.load(open(sys.argv[1]))["errors"][0]["message"])
except Exception:
    print("")' "$R_BODY"
}
# refusal REPO: the message a refused upload of the key layer to REPO gets.
refusal() {
	echo "regwarden: push of docker.io/$1 refused by rule \"apps\" (policy.json:$L): layer $SSH_L1 holds a private key: /root/.ssh/id_rsa (PEM RSA PRIVATE KEY); remove it from the image and mount secrets at run time. (request $(hdr X-Request-Id))"
}
blob_gets() {
	grep 'msg="response completed"' "$REG_LOG" |
		grep 'http.request.method=GET ' |
		grep -c "http.request.uri=\"/v2/[^\"]*/blobs/$1\""
}

R="regwarden: push of docker.io/e2e/pushed-sshkey refused by rule \"apps\" (policy.json:$L): "
T_SSH="${R}layer $SSH_L1 holds a private key: /root/.ssh/id_rsa (PEM RSA PRIVATE KEY); remove it from the image and mount secrets at run time. (request "
R="regwarden: push of docker.io/e2e/pushed-aws refused by rule \"apps\" (policy.json:$L): "
T_AWS="${R}layer $AWS_L1 holds a credential: /root/.aws/credentials (AWS access key id), /root/.aws/credentials (AWS credentials file); remove them from the image and mount secrets at run time. (request "

# ---- skopeo: refused at the layer's upload -----------------------------------

if rw_push "$E2E_TMP/sshkey" e2e/pushed-sshkey:1.0; then
	fail "skopeo push of an image with /root/.ssh/id_rsa succeeded"
else
	expect_contains "skopeo push of e2e/pushed-sshkey:1.0 refused, layer and path named" \
		"$T_SSH" "$(logrus_text "$PUSH_OUT")"
fi
show_client_line skopeo "$(logrus_text "$PUSH_OUT")"
expect_eq "the registry has no blob $SSH_L1 (HEAD on the registry)" 404 \
	"$(reg_code HEAD "/v2/e2e/pushed-sshkey/blobs/$SSH_L1")"
expect_eq "...nor its bytes on its disk" no "$(on_disk "$SSH_L1")"
# (distribution's cancel leaves an empty hash state behind, never bytes)
expect_eq "...and the upload was cancelled there: no bytes in its upload area" 0 \
	"$(find "$REG_DIR/data/docker/registry/v2/repositories/e2e/pushed-sshkey/_uploads" \
		-name data 2>/dev/null | wc -l)"
expect_eq "...nor the manifest" 404 \
	"$(reg_code HEAD /v2/e2e/pushed-sshkey/manifests/1.0)"
expect_eq "...while the clean base layer it shares was committed" 200 \
	"$(reg_code HEAD "/v2/e2e/pushed-sshkey/blobs/$CLEAN_L0")"

if rw_push "$E2E_TMP/awsdeleted" e2e/pushed-aws:1.0; then
	fail "skopeo push of an image with a deleted AWS credentials file succeeded"
else
	expect_contains "skopeo push of e2e/pushed-aws:1.0 refused: the file deleted by a later layer still ships" \
		"$T_AWS" "$(logrus_text "$PUSH_OUT")"
fi
show_client_line skopeo "$(logrus_text "$PUSH_OUT")"
expect_eq "the registry has no blob $AWS_L1" 404 \
	"$(reg_code HEAD "/v2/e2e/pushed-aws/blobs/$AWS_L1")"
expect_eq "...nor its bytes on its disk" no "$(on_disk "$AWS_L1")"
expect_eq "...nor the manifest" 404 \
	"$(reg_code HEAD /v2/e2e/pushed-aws/manifests/1.0)"

OUT=$("$RW_BIN" audit -c "$RW_CONF" --denied --repo 'e2e/pushed-*' 2>&1)
expect_contains "an audit row for the refused upload (push, the layer's digest)" \
	"$SSH_L1" "$OUT"
expect_contains "...and one for the other" "$AWS_L1" "$OUT"

if rw_push "$E2E_TMP/clean" e2e/pushed-clean:1.0; then
	pass "skopeo push of the clean image is admitted"
else
	fail "skopeo push of the clean image failed: $PUSH_OUT"
fi
expect_eq "...and the registry has it" 200 \
	"$(reg_code HEAD /v2/e2e/pushed-clean/manifests/1.0)"
expect_eq "...its layer judged at the manifest PUT from the index kept at its upload: not read back from the registry" \
	0 "$(blob_gets "$CLEAN_L0")"

# A policy reload does not resize the spool: said in the log.
"$PY" - "$RW_CONF" <<'EOF3' || die "cannot edit $RW_CONF"
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("content", {})["upload_max_sessions"] = 9
json.dump(c, open(sys.argv[1], "w"))
EOF3
kill -HUP "$RW_PID"
wait_until 10 grep -q 'max_running and upload limits apply after a restart' "$RW_LOG" &&
	pass "a reload that changes content.upload_* says they apply after a restart" ||
	fail "no reload warning for content.upload_max_sessions"

# ---- the OCI API by hand -------------------------------------------------------

# start_upload REPO: POST through regwarden; sets LOC (absolute).
start_upload() {
	req POST "$RW_URL/v2/$1/blobs/uploads/" "${@:2}"
	LOC=$(hdr Location)
	case $LOC in /*) LOC=$RW_URL$LOC ;; esac
}
with_digest() {
	case $1 in *\?*) echo "$1&digest=$2" ;; *) echo "$1?digest=$2" ;; esac
}
SSH_FILE=$(blob_file sshkey "$SSH_L1")
SSH_LEN=$(stat -c %s "$SSH_FILE")

# A client lying about the digest: the key's bytes under the clean
# layer's name are refused, and neither name is committed.
LIE=sha256:$(printf 'not the bytes' | sha256sum | awk '{print $1}')
start_upload e2e/liar
expect_code "POST starts an upload" 202
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$SSH_FILE"
expect_code "PATCH with the key's layer is taken (it is not committed)" 202
LOC=$(hdr Location); case $LOC in /*) LOC=$RW_URL$LOC ;; esac
req PUT "$(with_digest "$LOC" "$LIE")"
expect_oci_error "final PUT naming another digest: 400" 400 DIGEST_INVALID
expect_eq "...saying what the bytes hash to" \
	"regwarden: the uploaded bytes hash to $SSH_L1, not $LIE" "$(oci_message)"
expect_eq "...the registry has neither blob" "404 404" \
	"$(reg_code HEAD "/v2/e2e/liar/blobs/$LIE") $(reg_code HEAD "/v2/e2e/liar/blobs/$SSH_L1")"

# Chunks out of order are refused before they reach the registry.
start_upload e2e/chunks
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: 100-$((SSH_LEN + 99))" --data-binary "@$SSH_FILE"
expect_oci_error "a chunk that does not continue the upload: 416" 416 BLOB_UPLOAD_INVALID
expect_eq "...saying where the upload stands" \
	"regwarden: chunk 100-$((SSH_LEN + 99)) does not continue the upload, which holds 0 bytes" \
	"$(oci_message)"
req DELETE "$LOC"
expect_code "...and the client cancels that upload" 204

# Chunked by hand: two PATCHes with Content-Range, then the PUT.
start_upload e2e/chunks
head -c 100 "$SSH_FILE" >"$E2E_TMP/part1"
tail -c +101 "$SSH_FILE" >"$E2E_TMP/part2"
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: 0-99" --data-binary "@$E2E_TMP/part1"
expect_code "first chunk 0-99 taken" 202
LOC=$(hdr Location); case $LOC in /*) LOC=$RW_URL$LOC ;; esac
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	-H "Content-Range: 100-$((SSH_LEN - 1))" --data-binary "@$E2E_TMP/part2"
expect_code "second chunk taken" 202
LOC=$(hdr Location); case $LOC in /*) LOC=$RW_URL$LOC ;; esac
req PUT "$(with_digest "$LOC" "$SSH_L1")"
expect_oci_error "final PUT of the chunked key layer: 403" 403 DENIED
expect_eq "...with the same message" "$(refusal e2e/chunks)" "$(oci_message)"
expect_eq "...the registry has no such blob" 404 \
	"$(reg_code HEAD "/v2/e2e/chunks/blobs/$SSH_L1")"
req GET "$LOC"
expect_code "...and the upload was cancelled upstream (its status: 404)" 404

# Monolithic: POST ?digest= with the whole blob is read before it is sent.
# (distribution 2.8 does not take a blob in one POST: it starts an upload,
# so the clean one gets 202 and is committed by nobody.)
req POST "$RW_URL/v2/e2e/mono/blobs/uploads/?digest=$SSH_L1" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$SSH_FILE"
expect_oci_error "monolithic POST ?digest= of the key layer: 403" 403 DENIED
expect_eq "...with the same message" "$(refusal e2e/mono)" "$(oci_message)"
expect_eq "...the registry has no such blob" 404 \
	"$(reg_code HEAD "/v2/e2e/mono/blobs/$SSH_L1")"
CLEAN_FILE=$(blob_file clean "$CLEAN_L0")
req POST "$RW_URL/v2/e2e/mono/blobs/uploads/?digest=$CLEAN_L0" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$CLEAN_FILE"
expect_code "monolithic POST ?digest= of a clean layer: the registry's own answer" 202
LOC=$(hdr Location); case $LOC in /*) LOC=$RW_URL$LOC ;; esac
req DELETE "$LOC"

# Monolithic PUT: an upload's only bytes in its final PUT.
start_upload e2e/mono
req PUT "$(with_digest "$LOC" "$SSH_L1")" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$SSH_FILE"
expect_oci_error "POST, then PUT ?digest= carrying the key layer: 403" 403 DENIED
expect_eq "...with the same message" "$(refusal e2e/mono)" "$(oci_message)"
expect_eq "...the registry has no such blob" 404 \
	"$(reg_code HEAD "/v2/e2e/mono/blobs/$SSH_L1")"
start_upload e2e/mono
req PUT "$(with_digest "$LOC" "$CLEAN_L0")" \
	-H 'Content-Type: application/octet-stream' --data-binary "@$CLEAN_FILE"
expect_code "POST, then PUT ?digest= carrying a clean layer: 201" 201
expect_eq "...and the registry has it" 200 \
	"$(reg_code HEAD "/v2/e2e/mono/blobs/$CLEAN_L0")"

# A mount is not forwarded: the registry starts an ordinary upload.
start_upload e2e/mounted "-G" --data-urlencode "mount=$CLEAN_L0" \
	--data-urlencode "from=e2e/pushed-clean"
expect_code "POST ?mount=&from= answers 202 (an upload), not 201" 202
expect_eq "...the blob is not in e2e/mounted" 404 \
	"$(reg_code HEAD "/v2/e2e/mounted/blobs/$CLEAN_L0")"
req DELETE "$LOC"
expect_code "...and the client may cancel it" 204

# A full disk while keeping an upload: refused, nothing of it forwarded.
mount -t tmpfs -o size=64k tmpfs "$SPOOL" || die "cannot mount a small tmpfs on $SPOOL"
head -c 300000 /dev/urandom >"$E2E_TMP/big"
start_upload e2e/full
FULL_UUID=${LOC##*/uploads/}; FULL_UUID=${FULL_UUID%%\?*}
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$E2E_TMP/big"
expect_oci_error "an upload that does not fit the spool's disk: 507" 507
expect_eq "...saying so" \
	"regwarden: cannot keep the upload for inspection: No space left on device" \
	"$(oci_message)"
expect_eq "...and the registry's upload holds none of it" 0 \
	"$(stat -c %s "$REG_DIR/data/docker/registry/v2/repositories/e2e/full/_uploads/$FULL_UUID/data" 2>/dev/null || echo 0)"
umount "$SPOOL" || umount -l "$SPOOL"

# ---- the index kept at the upload --------------------------------------------

# The key image reaches the registry another way; its pull through
# regwarden is judged from the index taken when the push was refused.
seed_image "$E2E_TMP/sshkey" e2e/seeded-sshkey:1.0
before=$(blob_gets "$SSH_L1")
get_manifest e2e/seeded-sshkey 1.0
expect_oci_error "a pull of the same layers is refused" 403 DENIED
expect_contains "...naming the layer's place now that a manifest gives it" \
	"layer 2 of 2 holds a private key: /root/.ssh/id_rsa" "$(cat "$R_BODY")"
expect_eq "...from the index kept at the upload: the layer not fetched" \
	"$before" "$(blob_gets "$SSH_L1")"

# ---- the spool ----------------------------------------------------------------

expect_eq "no spool file left once the uploads ended" 0 \
	"$(find "$SPOOL" -name '*.spool' | wc -l)"
expect_lacks "no secret's bytes in regwarden's log" "MIIEowIBAAKCAQEAtest" \
	"$(cat "$RW_LOG")"
touch "$SPOOL/1-1.spool"
stop_regwarden_checked
start_regwarden_policy "$POLICY" '{"content": {"upload_max_bytes": 1048576}}'
expect_eq "a spool file of a previous run is removed at start" 0 \
	"$(find "$SPOOL" -name '*.spool' | wc -l)"

# An upload past content.upload_max_bytes is refused, never forwarded.
head -c 1200000 /dev/urandom >"$E2E_TMP/big"
start_upload e2e/big
BIG_UUID=${LOC##*/uploads/}; BIG_UUID=${BIG_UUID%%\?*}
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$E2E_TMP/big"
expect_oci_error "an upload over content.upload_max_bytes: 413" 413 SIZE_INVALID
expect_eq "...saying so" \
	"regwarden: the upload is over the limit of 1048576 bytes a layer may have to be inspected (content.upload_max_bytes)" \
	"$(oci_message)"
expect_eq "...and the registry's upload holds none of it" 0 \
	"$(stat -c %s "$REG_DIR/data/docker/registry/v2/repositories/e2e/big/_uploads/$BIG_UUID/data" 2>/dev/null || echo 0)"
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' --data-binary x
expect_oci_error "...and the upload takes nothing more" 400 BLOB_UPLOAD_INVALID
expect_eq "...saying why" \
	"regwarden: the upload is over the limit; start the upload again" \
	"$(oci_message)"

# ---- a rule in warn mode -------------------------------------------------------

# The key layer is forwarded, never silently: one log line (info, verdict
# warn) and one audit row, as for a warned pull.
stop_regwarden_checked
cat >"$POLICY" <<'EOF2'
// content_push.test.sh: secrets warned about while the rule rolls out.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "warned", "match": "docker.io/e2e/*", "mode": "warn",
      "content": { "no_secrets": true } }
  ]
}
EOF2
LW=$(grep -n '"name": "warned"' "$POLICY" | cut -d: -f1)
start_regwarden_policy "$POLICY" '{"content": {"upload_idle_seconds": 2}}'
if rw_push "$E2E_TMP/sshkey" e2e/warned:1.0; then
	pass "skopeo push of the key image under a rule in warn mode is forwarded"
else
	fail "skopeo push under a warn rule failed: $PUSH_OUT"
fi
expect_eq "...the registry has the key layer and the manifest" "200 200" \
	"$(reg_code HEAD "/v2/e2e/warned/blobs/$SSH_L1") $(reg_code HEAD /v2/e2e/warned/manifests/1.0)"
T_WARN="regwarden: warning: push of docker.io/e2e/warned would be refused by rule \\\"warned\\\" (policy.json:$LW, warn mode): layer $SSH_L1 holds a private key: /root/.ssh/id_rsa (PEM RSA PRIVATE KEY); remove it from the image and mount secrets at run time."
line=$(grep " decision .* op=push .* reference=$SSH_L1 " "$RW_LOG")
expect_contains "...logged at info as a decision on the layer, verdict warn" \
	" info  req=" "$line"
expect_contains "...verdict warn, the rule named" "verdict=warn rule=warned" "$line"
expect_contains "...with the message, verbatim" "message=\"$T_WARN\"" "$line"
OUT=$("$RW_BIN" audit -c "$RW_CONF" --json --repo e2e/warned 2>&1)
expect_eq "...and one audit row for the layer: push, warn, warn mode" \
	"push warn warn warned" \
	"$("$PY" -c 'import json,sys
rows = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
rows = rows or json.loads(sys.argv[1])
r = [x for x in rows if x.get("digest") == sys.argv[2]]
print(" ".join(str(r[0].get(k)) for k in ("operation", "verdict", "mode", "rule")) if len(r) == 1 else "%d rows" % len(r))' "$OUT" "$SSH_L1")"

# ---- abandoned uploads ------------------------------------------------------------

# An upload nobody finishes loses its spool file after
# content.upload_idle_seconds (2 here), though no other upload starts.
start_upload e2e/idle
req PATCH "$LOC" -H 'Content-Type: application/octet-stream' \
	--data-binary "@$CLEAN_FILE"
expect_code "an upload takes a chunk" 202
expect_eq "...kept in a spool file" 1 "$(find "$SPOOL" -name '*.spool' | wc -l)"
t0=$(date +%s)
if wait_until 15 eval '[ "$(find "$SPOOL" -name "*.spool" | wc -l)" = 0 ]'; then
	pass "left idle, its spool file is removed without another upload ($(( $(date +%s) - t0 )) s after the chunk; idle time 2 s)"
else
	fail "the idle upload's spool file is still there after 15 s"
fi
IDLE_LOC=$(hdr Location); case $IDLE_LOC in /*) IDLE_LOC=$RW_URL$IDLE_LOC ;; esac
req PUT "$(with_digest "$IDLE_LOC" "$CLEAN_L0")"
expect_oci_error "...and its final PUT is refused: 404" 404 BLOB_UPLOAD_UNKNOWN
expect_eq "...saying why" \
	"regwarden: the upload was left idle longer than 2 s (content.upload_idle_seconds) and its bytes were dropped; start the upload again" \
	"$(oci_message)"
expect_eq "...the registry has no such blob" 404 \
	"$(reg_code HEAD "/v2/e2e/idle/blobs/$CLEAN_L0")"

# ---- layer index retention ----------------------------------------------------

# The indexes of layers no manifest references (the AWS layer, refused at
# its upload, never placed) go after content.index_retention_days, in the
# server's background batches; referenced ones (the key layer, placed by
# e2e/seeded-sshkey and e2e/warned; the shared base) stay however old.
stop_regwarden_checked
DB=$E2E_TMP/rw/state/regwarden.db
# sql QUERY: one statement on the state database (Python's sqlite3).
sql() {
	"$PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]):
    print(*r)
c.commit()' "$DB" "$1"
}
sql "UPDATE layer_index SET indexed_at = indexed_at - 40 * 86400" ||
	die "cannot age the layer indexes"
UNREF=$(sql "SELECT count(*) FROM layer_index l WHERE NOT EXISTS
	(SELECT 1 FROM manifest_blobs b WHERE b.blob_digest = l.digest)")
ALL=$(sql "SELECT count(*) FROM layer_index")
has_index() {
	sql "SELECT count(*) FROM layer_index WHERE digest = '$1'"
}
expect_eq "before: the AWS layer's index is kept, unreferenced" 1 "$(has_index "$AWS_L1")"
start_regwarden_policy "$POLICY" '{"content": {"index_retention_days": 30}}'
T_RET="layer index retention: $UNREF indexes of layers no manifest references, read more than 30 days ago, deleted"
if wait_until 10 grep -qF "$T_RET" "$RW_LOG"; then
	pass "with index_retention_days 30, the server deletes the $UNREF unreferenced indexes of $ALL and says so once"
else
	fail "no \"$T_RET\" in the log"
fi
expect_eq "...in one log line" 1 "$(grep -c 'layer index retention: ' "$RW_LOG")"
expect_eq "...the AWS layer's among them" 0 "$(has_index "$AWS_L1")"
expect_eq "...the key layer's (referenced) and the base's stay" "1 1" \
	"$(has_index "$SSH_L1") $(has_index "$CLEAN_L0")"
expect_eq "...$((ALL - UNREF)) rows left" "$((ALL - UNREF))" \
	"$(sql "SELECT count(*) FROM layer_index")"

finish
