#!/bin/bash
# content.test.sh - "content" rules: regwarden reads the layers of an image
# at its first pull (off the worker threads, while the pull waits) and
# judges what they hold.  Images written by mkcontent.py: a private key in
# /root/.ssh, an AWS credentials file deleted by the top layer (still
# shipped in the layer below), /bin/sh, a setuid /usr/bin/su, openssh-server
# in dpkg's status, openssh-server in rpm's sqlite database (made by rpm
# itself, tests/content/mkrpmdb.sh), and a clean distroless-style image.
# Pulls through ctr
# and podman are refused with the layer and paths named, the clean one is
# admitted; a second decision on the same layers (another repository, a
# restarted regwarden) uses the stored index: no layer is fetched again
# from the registry.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl rpm rpmbuild
rw_only || { pass "content tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

bash "$RW_SOURCE_DIR/tests/content/mkrpmdb.sh" "$E2E_TMP/rpmdb" ||
	die "mkrpmdb.sh failed"
"$PY" "$E2E_DIR/mkcontent.py" --out "$E2E_TMP/rpm" --kind rpm \
	--rpmdb "$E2E_TMP/rpmdb/rpmdb.sqlite" >"$E2E_TMP/rpm.json" ||
	die "mkcontent.py rpm failed"
seed_image "$E2E_TMP/rpm" e2e/rpm:1.0

for kind in clean sshkey awsdeleted shell setuid openssh crowd slow private; do
	"$PY" "$E2E_DIR/mkcontent.py" --out "$E2E_TMP/$kind" --kind "$kind" \
		>"$E2E_TMP/$kind.json" || die "mkcontent.py $kind failed"
	[ "$kind" = private ] || seed_image "$E2E_TMP/$kind" "e2e/$kind:1.0"
done
seed_image "$E2E_TMP/clean" "e2e/clean-copy:1.0"
CLEAN_TOP=$(json_get "$E2E_TMP/clean.json" 'j["top"]')
CLEAN_L0=$(json_get "$E2E_TMP/clean.json" 'j["layers"][0]')
CROWD_TOP=$(json_get "$E2E_TMP/crowd.json" 'j["top"]')
CROWD_L1=$(json_get "$E2E_TMP/crowd.json" 'j["layers"][1]')
SLOW_TOP=$(json_get "$E2E_TMP/slow.json" 'j["top"]')
SLOW_L1=$(json_get "$E2E_TMP/slow.json" 'j["layers"][1]')

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF2'
// content.test.sh: what the layers hold decides.
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "docker.io/e2e/*",
      "content": { "no_secrets": true, "no_shell": true, "no_setuid": true,
                   "deny_packages": ["openssh-server"] } }
  ]
}
EOF2
L=$(grep -n '"name": "apps"' "$POLICY" | cut -d: -f1)
EXTRA='{"content": {"hold_seconds": 30, "max_running": 2}}'
start_regwarden_policy "$POLICY" "$EXTRA"
start_containerd
podman_init

# blob_gets DIGEST: how often the registry served blob DIGEST.
blob_gets() {
	grep 'msg="response completed"' "$REG_LOG" |
		grep 'http.request.method=GET ' |
		grep -c "http.request.uri=\"/v2/[^\"]*/blobs/$1\""
}

R="refused by rule \"apps\" (policy.json:$L): "
T_SSH="${R}layer 2 of 2 holds a private key: /root/.ssh/id_rsa (PEM RSA PRIVATE KEY); remove it from the image and mount secrets at run time."
T_AWS="${R}layer 2 of 3 holds a credential: /root/.aws/credentials (AWS access key id; deleted by a later layer, its bytes still ship)"
T_SH="${R}the image has a shell: /bin/dash, /bin/sh; build from a distroless or scratch base, or delete it in the final stage."
T_SUID="${R}the image has setuid or setgid files: /usr/bin/su (mode 4755); remove them or clear the bits (chmod u-s,g-s)."
T_SSHD="${R}the image has denied packages: openssh-server 1:9.2p1-2+deb12u3 (openssh-server); remove it from the image."
T_RPM="${R}the image has denied packages: openssh-server 1:8.7p1-34.el9 (openssh-server); remove it from the image."

# ---- ctr --------------------------------------------------------------------

if ctr_pull e2e/clean:1.0; then
	pass "ctr pull e2e/clean:1.0 (distroless-style) is admitted"
else
	fail "ctr pull e2e/clean:1.0 failed: $CTR_OUT"
fi
for x in sshkey:T_SSH awsdeleted:T_AWS shell:T_SH rpm:T_RPM; do
	kind=${x%%:*} var=${x##*:}
	if ctr_pull "e2e/$kind:1.0"; then
		fail "ctr pull e2e/$kind:1.0 succeeded"
	else
		expect_contains "ctr pull e2e/$kind:1.0 refused, paths named" \
			"${!var}" "$CTR_OUT"
	fi
	show_client_line ctr "$CTR_OUT"
done

# ---- podman -----------------------------------------------------------------

for x in setuid:T_SUID openssh:T_SSHD sshkey:T_SSH rpm:T_RPM; do
	kind=${x%%:*} var=${x##*:}
	if podman_pull "e2e/$kind:1.0"; then
		fail "podman pull e2e/$kind:1.0 succeeded"
	else
		expect_contains "podman pull e2e/$kind:1.0 refused, paths named" \
			"${!var}" "$PODMAN_OUT"
	fi
	show_client_line podman "$PODMAN_OUT"
done
if podman_pull e2e/clean:1.0; then
	pass "podman pull e2e/clean:1.0 is admitted"
else
	fail "podman pull e2e/clean:1.0 failed: $PODMAN_OUT"
fi
expect_lacks "no secret's bytes in regwarden's log" "wJalrXUtnFEMI" \
	"$(cat "$RW_LOG")"
expect_lacks "...nor the key's" "MIIEowIBAAKCAQEAtest" "$(cat "$RW_LOG")"

# ---- the index is kept ------------------------------------------------------

# The base layer, shared by all six images, was read once by regwarden for
# the first of them and then from its index; ctr and podman fetched it for
# the clean image they were admitted.
before=$(blob_gets "$CLEAN_L0")
expect_eq "the shared base layer was fetched 3 times (regwarden once, ctr, podman)" \
	3 "$before"
get_manifest e2e/clean-copy 1.0
expect_code "e2e/clean-copy (the same layers, another repository) admitted" 200
expect_eq "...from the stored index: no layer fetched again" "$before" \
	"$(blob_gets "$CLEAN_L0")"
stop_regwarden_checked
start_regwarden_policy "$POLICY" "$EXTRA"
get_manifest e2e/clean 1.0
expect_code "after a restart, e2e/clean admitted" 200
expect_eq "...from the index in the state database: no layer fetched" \
	"$before" "$(blob_gets "$CLEAN_L0")"
expect_eq "...and the manifest served is the real one" "$CLEAN_TOP" \
	"$(body_digest)"

# ---- twenty pulls, one inspection -------------------------------------------

pids=()
for i in $(seq 20); do
	curl -sk -o "$E2E_TMP/crowd.$i.body" -w '%{http_code}' --max-time 60 \
		-H "Accept: $CTR_ACCEPT" "$RW_URL/v2/e2e/crowd/manifests/1.0" \
		>"$E2E_TMP/crowd.$i.code" 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
codes=$(for i in $(seq 20); do cat "$E2E_TMP/crowd.$i.code"; echo; done |
	sort | uniq -c | awk '{printf "%s x %s; ", $2, $1}')
expect_eq "twenty concurrent first pulls of e2e/crowd:1.0 all admitted" \
	"200 x 20; " "$codes"
bodies=$(for i in $(seq 20); do sha256sum "$E2E_TMP/crowd.$i.body" |
	awk '{print "sha256:" $1}'; done | sort -u)
expect_eq "...all with the real manifest" "$CROWD_TOP" "$bodies"
expect_eq "...and its new layer fetched once from the registry" 1 \
	"$(blob_gets "$CROWD_L1")"

# ---- explain and `regwarden content` ----------------------------------------

OUT=$("$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/setuid:1.0 2>&1)
expect_eq "explain e2e/setuid:1.0 exits 3 (refused)" 3 "$?"
expect_contains "...and shows the content evidence that failed" \
	"the image has setuid or setgid files: /usr/bin/su (mode 4755)" "$OUT"
expect_contains "...and what passed" "no private keys or credentials in the 2 layers" "$OUT"
OUT=$("$RW_BIN" content -c "$RW_CONF" docker.io/e2e/awsdeleted:1.0 2>&1)
expect_eq "content e2e/awsdeleted:1.0 exits 0" 0 "$?"
expect_contains "...lists the finding of the deleted file" \
	"layer 2: /root/.aws/credentials (AWS credentials file), deleted by a later layer" "$OUT"
expect_contains "...and the files of the final filesystem" \
	"file     0755     0:0             26 layer 1 /app/server" "$OUT"
expect_lacks "...never the secret" "wJalrXUtnFEMI" "$OUT"
printf '%s\n' "$OUT" | sed 's/^/#   content: /' | head -n 12
OUT=$("$RW_BIN" content -c "$RW_CONF" --json docker.io/e2e/openssh:1.0 2>&1)
expect_eq "content --json e2e/openssh:1.0 lists its packages" \
	'libc6 2.36-9,openssh-server 1:9.2p1-2+deb12u3' \
	"$("$PY" -c 'import json,sys
print(",".join(p["name"] + " " + p["version"] for p in json.loads(sys.argv[1])["packages"]))' "$OUT")"
OUT=$("$RW_BIN" content -c "$RW_CONF" --json docker.io/e2e/rpm:1.0 2>&1)
expect_eq "content --json e2e/rpm:1.0 lists the packages of rpm's database" \
	'openssh-server 1:8.7p1-34.el9,gcc-c++ 11.4.1-3.el9,bash 5.1.8-6.el9' \
	"$("$PY" -c 'import json,sys
print(",".join(p["name"] + " " + p["version"] for p in json.loads(sys.argv[1])["packages"]))' "$OUT")"
RPM_L1=$(json_get "$E2E_TMP/rpm.json" 'j["layers"][1]')
OUT=$("$RW_BIN" content --layer "$E2E_TMP/rpm/blobs/sha256/${RPM_L1#sha256:}" 2>&1)
expect_contains "content --layer reads rpm's database offline" \
	"4 entries, 0 findings, 3 packages" "$OUT"
SSH_L1=$(json_get "$E2E_TMP/sshkey.json" 'j["layers"][1]')
OUT=$("$RW_BIN" content --layer "$E2E_TMP/sshkey/blobs/sha256/${SSH_L1#sha256:}" 2>&1)
expect_contains "content --layer reads a layer file offline" \
	"3 entries, 1 findings, 0 packages" "$OUT"
expect_contains "...and names its finding" \
	"  /root/.ssh/id_rsa (PEM RSA PRIVATE KEY)" "$OUT"
OUT=$("$RW_BIN" content -c "$RW_CONF" docker.io/e2e/slow:1.0 2>&1)
expect_eq "content of an image never pulled exits 4" 4 "$?"
expect_contains "...saying its layers have not been read" \
	"1 of its 2 layers have not been read yet: pull it through regwarden once" "$OUT"

# ---- pushes: judged at the manifest PUT --------------------------------------

# rw_push LAYOUT REPO:TAG: skopeo copy through regwarden; output in PUSH_OUT.
rw_push() {
	PUSH_OUT=$(timeout 120 skopeo copy --dest-tls-verify=false \
		"oci:$1" "docker://$RW_HOST/$2" 2>&1)
}
reg_has_tag() {
	req HEAD "$REG_URL/v2/$1/manifests/$2" \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json'
	echo "$R_CODE"
}
if rw_push "$E2E_TMP/shell" e2e/pushed-shell:1.0; then
	fail "skopeo push of an image with a shell succeeded"
else
	expect_contains "skopeo push of e2e/pushed-shell:1.0 refused, shell named" \
		"push of docker.io/e2e/pushed-shell:1.0 refused by rule \"apps\" (policy.json:$L): the image has a shell: /bin/dash, /bin/sh" \
		"$(logrus_text "$PUSH_OUT")"
fi
show_client_line skopeo "$(logrus_text "$PUSH_OUT")"
expect_eq "...the registry has no such manifest" 404 \
	"$(reg_has_tag e2e/pushed-shell 1.0)"
if rw_push "$E2E_TMP/clean" e2e/pushed-clean:1.0; then
	pass "skopeo push of the clean image is admitted"
else
	fail "skopeo push of the clean image failed: $PUSH_OUT"
fi
expect_eq "...and the registry has it" 200 "$(reg_has_tag e2e/pushed-clean 1.0)"

# ---- an upstream slower than hold_seconds -----------------------------------

stop_regwarden_checked
SLOW_PORT=$(free_port)
bg_start "$E2E_TMP/slow_proxy.log" "$PY" "$E2E_DIR/slow_proxy.py" \
	--listen "$SLOW_PORT" --registry "$REG_URL" --slow "$SLOW_L1" --sleep 6
wait_until 10 code_is_any "200 401" "http://127.0.0.1:$SLOW_PORT/v2/" ||
	die "slow_proxy.py did not answer"
start_regwarden "$(default_upstreams "http://127.0.0.1:$SLOW_PORT")" \
	"{\"policy\": \"$POLICY\", \"content\": {\"hold_seconds\": 2}}"
T_HELD="regwarden: the layers of docker.io/e2e/slow@$SLOW_TOP are being inspected; retry in 2 s"
get_manifest e2e/slow 1.0
expect_oci_error "a layer slower than hold_seconds: 503" 503
expect_eq "...with Retry-After" 2 "$(hdr Retry-After)"
expect_contains "...saying the layers are being inspected" "$T_HELD" \
	"$(cat "$R_BODY")"
expect_lacks "...never the manifest" '"schemaVersion"' "$(cat "$R_BODY")"
wait_until 20 eval '[ "$(blob_gets "$SLOW_L1")" -ge 1 ]' ||
	fail "the slow layer never reached regwarden"
sleep 1
get_manifest e2e/slow 1.0
expect_code "once its layers are read, e2e/slow is admitted" 200
expect_eq "...the slow layer was fetched once" 1 "$(blob_gets "$SLOW_L1")"

# ---- a pass-through upstream that wants the client's credentials ------------

stop_regwarden_checked
write_htpasswd "$E2E_TMP/registry.htpasswd" bot bot-pw || die "cannot write htpasswd"
start_registry --name basicreg --htpasswd "$E2E_TMP/registry.htpasswd"
skopeo copy --dest-creds bot:bot-pw --dest-tls-verify=false \
	"oci:$E2E_TMP/private" "docker://$REG_HOST/e2e/private:1.0" \
	>"$E2E_TMP/seed.log" 2>&1 || die "seeding e2e/private failed"
PRIV_L1=$(json_get "$E2E_TMP/private.json" 'j["layers"][1]')
start_regwarden_policy "$POLICY" "$EXTRA"
get_manifest e2e/private 1.0 -u bot:bot-pw
expect_code "pass-through upstream with Basic auth: admitted, its layers read with the client's credentials" 200
expect_eq "...its new layer fetched once" 1 "$(blob_gets "$PRIV_L1")"

finish
