#!/bin/bash
# content.test.sh - "content" rules: regwarden reads the layers of an image
# at its first pull (off the worker threads, while the pull waits) and
# judges what they hold.  Images written by mkcontent.py: a private key in
# /root/.ssh, an AWS credentials file deleted by the top layer (still
# shipped in the layer below), /bin/sh, a setuid /usr/bin/su, openssh-server
# in dpkg's status, and a clean distroless-style image.  Pulls through ctr
# and podman are refused with the layer and paths named, the clean one is
# admitted; a second decision on the same layers (another repository, a
# restarted regwarden) uses the stored index: no layer is fetched again
# from the registry.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl
rw_only || { pass "content tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

for kind in clean sshkey awsdeleted shell setuid openssh; do
	"$PY" "$E2E_DIR/mkcontent.py" --out "$E2E_TMP/$kind" --kind "$kind" \
		>"$E2E_TMP/$kind.json" || die "mkcontent.py $kind failed"
	seed_image "$E2E_TMP/$kind" "e2e/$kind:1.0"
done
seed_image "$E2E_TMP/clean" "e2e/clean-copy:1.0"
CLEAN_TOP=$(json_get "$E2E_TMP/clean.json" 'j["top"]')
CLEAN_L0=$(json_get "$E2E_TMP/clean.json" 'j["layers"][0]')

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

# ---- ctr --------------------------------------------------------------------

if ctr_pull e2e/clean:1.0; then
	pass "ctr pull e2e/clean:1.0 (distroless-style) is admitted"
else
	fail "ctr pull e2e/clean:1.0 failed: $CTR_OUT"
fi
for x in sshkey:T_SSH awsdeleted:T_AWS shell:T_SH; do
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

for x in setuid:T_SUID openssh:T_SSHD sshkey:T_SSH; do
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

finish
