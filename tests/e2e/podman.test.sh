#!/bin/bash
# podman.test.sh - podman pulls an image through regwarden (containers/image
# client: /v2/ ping, GET manifest, blobs) into a private vfs store.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman

start_registry
start_regwarden

mkimage "$E2E_TMP/img" --layers 2 --layer-size 100k --user 1000 --env E2E=1 --label e2e=podman
TOP=$(json_get "$E2E_TMP/img.json" 'j["top"]')
CONFIG=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["config"]')
# The registry gets the image directly: this test is about pulling.
skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" "docker://$REG_HOST/e2e/app:1.0" \
	>"$E2E_TMP/seed.log" 2>&1 || die "seeding the registry failed: $(cat "$E2E_TMP/seed.log")"

# A private store; events to a file so nothing needs journald.
PODMAN=(podman --storage-driver vfs --root "$E2E_TMP/root" --runroot "$E2E_TMP/run"
	--tmpdir "$E2E_TMP/ptmp" --events-backend file --cgroup-manager cgroupfs)
E2E_CLEANUPS+=("${PODMAN[*]} rmi -a -f")

if out=$("${PODMAN[@]}" pull --tls-verify=false "$RW_HOST/e2e/app:1.0" 2>&1); then
	pass "podman pull $RW_HOST/e2e/app:1.0"
	echo "$out" | sed 's/^/#   /' | tail -3
else
	die "podman pull through regwarden failed: $out"
fi

expect_eq "podman images: repository, tag, digest" "$RW_HOST/e2e/app 1.0 $TOP" \
	"$("${PODMAN[@]}" images --format '{{.Repository}} {{.Tag}} {{.Digest}}' 2>&1)"
expect_eq "podman image inspect: digest, user, env, label, arch" \
	"$TOP|1000|[E2E=1]|podman|amd64" \
	"$("${PODMAN[@]}" image inspect --format '{{.Digest}}|{{.Config.User}}|{{.Config.Env}}|{{index .Labels "e2e"}}|{{.Architecture}}' "$RW_HOST/e2e/app:1.0" 2>&1)"
expect_eq "podman image id is the config digest" "${CONFIG#sha256:}" \
	"$("${PODMAN[@]}" image inspect --format '{{.Id}}' "$RW_HOST/e2e/app:1.0" 2>&1)"

# A pull by digest too (what a pinned deployment does).
if out=$("${PODMAN[@]}" pull --tls-verify=false "$RW_HOST/e2e/app@$TOP" 2>&1); then
	pass "podman pull by digest"
else
	fail "podman pull $RW_HOST/e2e/app@$TOP failed: $out"
fi

if rw_only; then
	grep -Eq 'e2e/app/manifests' "$RW_LOG" &&
		pass "regwarden logged the manifest request" ||
		fail "regwarden's log does not mention e2e/app/manifests"
fi

check "podman rmi" "${PODMAN[@]}" rmi -a -f
expect_eq "no images left" "" "$("${PODMAN[@]}" images -q 2>&1)"

stop_regwarden_checked
finish
