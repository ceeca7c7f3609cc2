#!/bin/bash
# container.test.sh - the shipped image, built and run as a user would run it.
#
# The image is built FROM scratch with buildah from a root filesystem that
# docker/mkrootfs.sh makes of the release build (build/regwarden: the ASan
# one would need its runtime's extra system calls), through
# docker/Containerfile, from a directory whose files all belong to someone
# else, as a plain copy would leave them.  Then it runs under podman as uid
# 65532 with --read-only, --cap-drop ALL, no-new-privileges and the
# project's own seccomp profile (docker/seccomp.json), with the shipped
# docker/regwarden.json:
#  1. as shipped (the example default-deny policy inside the image, the
#     state in the image's VOLUME): it starts, the probes answer without a
#     token, `regwarden health` and the image's HEALTHCHECK pass, and a pull
#     is refused with 403 and the policy's message;
#  2. with a policy of the test's mounted over the example, and the
#     upstream's name resolved over DNS (fake_dns.py) instead of /etc/hosts:
#     ctr (hosts.toml naming regwarden, its certificate as CA) and podman
#     pull an image through it, a root image is refused in both, and it
#     stops cleanly;
#  3. with the profile missing one system call regwarden makes: it fails,
#     so a profile that lacks one fails this test.
# Everything runs in a network namespace of its own with only a loopback
# interface (the shipped config's fixed ports and its upstream
# "registry:5000" then collide with nothing); podman's --network host is
# that namespace.
# SPDX-License-Identifier: Apache-2.0

# Re-run inside a private network namespace, before lib.sh makes its temp dir.
if [ -z "${RW_CONTAINER_NETNS:-}" ]; then
	ns=rw-e2e-container-$$
	ip netns add "$ns" || { echo "container: cannot create a network namespace" >&2; exit 1; }
	ip netns exec "$ns" ip link set lo up
	# nsenter, not ip netns exec: that remounts /sys, and runc then finds
	# no cgroup mount.
	RW_CONTAINER_NETNS=$ns nsenter --net="/run/netns/$ns" bash "$0" "$@"
	rc=$?
	ip netns delete "$ns"
	exit $rc
fi

. "$(dirname "$0")/lib.sh"

need_tools buildah podman docker-registry skopeo containerd ctr curl sha256sum
[ "$E2E_DIRECT" = 1 ] && { echo "# container: nothing to run without regwarden"; finish; }

REL_BIN=${RW_RELEASE_BIN:-$RW_SOURCE_DIR/build/regwarden}
[ -x "$REL_BIN" ] || die "the release build $REL_BIN is missing (scripts/setup.sh builds it)"
PROFILE=$RW_SOURCE_DIR/docker/seccomp.json
IMAGE=localhost/regwarden:e2e

podman_init
BUILDAH=(buildah --storage-driver vfs --root "$E2E_TMP/proot" --runroot "$E2E_TMP/prun")
# The sandbox refuses podman's default rlimits (test-environment.md).
printf '[containers]\ndefault_ulimits = []\n' >"$E2E_TMP/containers.conf"
export CONTAINERS_CONF=$E2E_TMP/containers.conf
export TMPDIR=$E2E_TMP/ptmp

# ---- the image -----------------------------------------------------------

CTX=$E2E_TMP/ctx
sh "$RW_SOURCE_DIR/docker/mkrootfs.sh" "$REL_BIN" "$CTX/rootfs" \
	"$RW_SOURCE_DIR/docker/regwarden.json" >"$E2E_TMP/mkrootfs.log" 2>&1 ||
	die "mkrootfs.sh failed: $(cat "$E2E_TMP/mkrootfs.log")"
# As a copy made by an ordinary user leaves it: nothing belongs to 65532.
chown -R 1000:1000 "$CTX/rootfs"
"${BUILDAH[@]}" bud --isolation chroot --format docker -f "$RW_SOURCE_DIR/docker/Containerfile" \
	-t "$IMAGE" "$CTX" >"$E2E_TMP/build.log" 2>&1 ||
	die "buildah bud failed: $(tail -20 "$E2E_TMP/build.log")"
pass "buildah builds the image FROM scratch from the rootfs directory"

MNT_C=$("${BUILDAH[@]}" from "$IMAGE" 2>/dev/null)
MNT=$("${BUILDAH[@]}" mount "$MNT_C" 2>/dev/null)
expect_eq "image: /var/lib/regwarden is 65532's, mode 700" "65532:65532 700" \
	"$(stat -c '%u:%g %a' "$MNT/var/lib/regwarden")"
expect_eq "image: the binary and config are root's, not writable by others" \
	"0:0 755|0:0 644|0:0 644" \
	"$(stat -c '%u:%g %a' "$MNT/usr/bin/regwarden" "$MNT/etc/regwarden/regwarden.json" \
		"$MNT/etc/regwarden/policy.json" | paste -sd '|')"
if [ -e "$MNT/bin/sh" ] || [ -e "$MNT/usr/bin/sh" ]; then
	fail "image: has a shell"
else
	pass "image: no shell"
fi
expect_eq "image: only regwarden is executable" "/usr/bin/regwarden" \
	"$(cd "$MNT" && find . -type f -perm /111 ! -name '*.so*' | sed 's/^\.//')"
"${BUILDAH[@]}" umount "$MNT_C" >/dev/null 2>&1
"${BUILDAH[@]}" rm "$MNT_C" >/dev/null 2>&1
expect_eq "image: runs as 65532:65532" "65532:65532" \
	"$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")"
expect_eq "image: HEALTHCHECK is regwarden health --ready" \
	"[CMD /usr/bin/regwarden health --ready -c /etc/regwarden/regwarden.json]" \
	"$("${PODMAN[@]}" image inspect --format '{{.HealthCheck.Test}}' "$IMAGE")"

# ---- the registry the shipped config names ("registry:5000") ------------

start_registry --port 5000
mkimage "$E2E_TMP/app" --seed 41 --layers 1 --layer-size 20k --user 1000
mkimage "$E2E_TMP/root" --seed 42 --layers 1 --layer-size 20k
seed_image "$E2E_TMP/app" e2e/app:1.0.0
seed_image "$E2E_TMP/root" e2e/root:1.0.0

# run_rw NAME [podman run options]: the hardened container, detached, with
# the shipped config; waits 15 s for /healthz.  Sets RW_CID.
run_rw() {
	local name=$1
	shift
	RW_CID=$("${PODMAN[@]}" run -d --name "$name" --network host \
		--user 65532:65532 --read-only --cap-drop ALL \
		--security-opt no-new-privileges --security-opt "seccomp=$PROFILE" \
		--tmpfs /tmp:size=16m "$@" "$IMAGE" 2>"$E2E_TMP/$name.run") ||
		die "podman run $name failed: $(cat "$E2E_TMP/$name.run")"
	E2E_CLEANUPS+=("${PODMAN[*]} rm -f $name")
	wait_until 15 code_is 200 http://127.0.0.1:5444/healthz
}

# logs NAME: the container's output so far.
logs() { "${PODMAN[@]}" logs "$1" 2>&1; }

# ---- 1. as shipped --------------------------------------------------------

run_rw shipped --add-host registry:127.0.0.1 || fail "shipped: /healthz did not answer within 15 s: $(logs shipped | tail -5)"
expect_contains "shipped: the example policy is loaded" \
	'"msg":"policy /etc/regwarden/policy.json loaded' "$(logs shipped)"
expect_contains "shipped: the certificate's names, path and fingerprint are logged" \
	'"msg":"created a self-signed TLS certificate /var/lib/regwarden/tls/cert.pem (SHA-256 ' "$(logs shipped)"
expect_contains "shipped: ... for the names tls.self_signed_names lists" \
	'names DNS:localhost,IP:127.0.0.1,IP:::1,DNS:regwarden,DNS:registry.local)' "$(logs shipped)"

PID=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' shipped)
st=$(cat "/proc/$PID/status" 2>/dev/null)
expect_eq "shipped: the process runs as uid 65532" "65532" "$(awk '/^Uid:/ {print $2}' <<<"$st")"
expect_eq "shipped: no effective or bounding capabilities" "0000000000000000 0000000000000000" \
	"$(awk '/^CapEff:/ {e=$2} /^CapBnd:/ {b=$2} END {print e, b}' <<<"$st")"
expect_eq "shipped: no_new_privs, seccomp filter mode" "1 2" \
	"$(awk '/^NoNewPrivs:/ {n=$2} /^Seccomp:/ {s=$2} END {print n, s}' <<<"$st")"

req GET http://127.0.0.1:5444/healthz
expect_code "shipped: /healthz without a token" 200
req GET http://127.0.0.1:5444/readyz
expect_code "shipped: /readyz without a token" 200
out=$("${PODMAN[@]}" exec shipped /usr/bin/regwarden health -c /etc/regwarden/regwarden.json 2>&1)
expect_eq "shipped: regwarden health exits 0 in the container" "0" "$?"
expect_eq "shipped: ... and says so" "http://127.0.0.1:5444/healthz: 200 ok" "$out"
out=$("${PODMAN[@]}" exec shipped /usr/bin/regwarden health --ready -c /etc/regwarden/regwarden.json 2>&1)
expect_eq "shipped: regwarden health --ready exits 0 in the container" "0" "$?"
expect_eq "shipped: ... and says so" "http://127.0.0.1:5444/readyz: 200 ready" "$out"
"${PODMAN[@]}" exec shipped /usr/bin/regwarden health --nonsense >/dev/null 2>&1
expect_eq "shipped: regwarden health exits 2 on a usage error" "2" "$?"
"${PODMAN[@]}" healthcheck run shipped >/dev/null 2>&1
expect_eq "shipped: the image's HEALTHCHECK passes (podman healthcheck run)" "0" "$?"
expect_eq "shipped: ... and podman records it healthy" "healthy" \
	"$("${PODMAN[@]}" inspect --format '{{.State.Health.Status}}' shipped)"

# A pull the example policy does not allow: registry.local is not among
# its rules, so the default denies it.
podman_rc=0
PODMAN_OUT=$(timeout 60 "${PODMAN[@]}" pull --tls-verify=false 127.0.0.1:5443/e2e/app:1.0.0 2>&1) || podman_rc=$?
expect_eq "shipped: podman pull refused (podman's exit 125)" "125" "$podman_rc"
expect_contains "shipped: podman shows regwarden's message" \
	"denied: regwarden: registry.local/e2e/app:1.0.0 refused: no rule in policy.json matches registry.local/e2e/app (default: deny). Ask #platform in chat to add a registry." \
	"$PODMAN_OUT"
req GET https://127.0.0.1:5443/v2/e2e/app/manifests/1.0.0 -k \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json'
expect_code "shipped: GET of the manifest answers 403" 403
expect_contains "shipped: ... DENIED with the policy's default_message" \
	'"code":"DENIED","message":"regwarden: registry.local/e2e/app:1.0.0 refused: no rule in policy.json matches' \
	"$(cat "$R_BODY")"
"${PODMAN[@]}" stop -t 20 shipped >/dev/null 2>&1
expect_eq "shipped: stops cleanly on SIGTERM (exit 0)" "0" \
	"$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' shipped)"

# ---- 2. the admin's policy, pulls through it --------------------------------

cat >"$E2E_TMP/policy.json" <<'EOF'
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "apps", "match": "registry.local/e2e/*", "image": { "non_root": true } }
  ]
}
EOF
chmod 644 "$E2E_TMP/policy.json"
# This time "registry" is found through DNS, over UDP, under the profile.
bg_start "$E2E_TMP/dns.log.err" "$PY" "$E2E_DIR/fake_dns.py" 127.0.0.1 53 "$E2E_TMP/dns.log"
printf 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n' >"$E2E_TMP/resolv.conf"
chmod 644 "$E2E_TMP/resolv.conf"
run_rw mine -v "$E2E_TMP/policy.json:/etc/regwarden/policy.json:ro,Z" \
	-v "$E2E_TMP/resolv.conf:/etc/resolv.conf:ro" ||
	fail "mine: /healthz did not answer within 15 s: $(logs mine | tail -5)"
"${PODMAN[@]}" cp mine:/var/lib/regwarden/tls/cert.pem "$E2E_TMP/rw-cert.pem" 2>/dev/null ||
	die "cannot copy the certificate out of the container"

CD=$E2E_TMP/containerd
CTR_HOSTS=$E2E_TMP/certs.d
mkdir -p "$CD" "$CTR_HOSTS/registry.local"
cat >"$CD/config.toml" <<EOT
version = 2
root = "$CD/root"
state = "$CD/state"
[grpc]
  address = "$CD/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
EOT
cat >"$CTR_HOSTS/registry.local/hosts.toml" <<EOT
server = "https://127.0.0.1:5443"
[host."https://127.0.0.1:5443"]
  capabilities = ["pull", "resolve"]
  ca = "$E2E_TMP/rw-cert.pem"
EOT
bg_start "$CD/containerd.log" containerd --config "$CD/config.toml"
CTR=(ctr --address "$CD/containerd.sock")
wait_until 15 "${CTR[@]}" version || die "containerd did not come up within 15 s"

out=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$CTR_HOSTS" registry.local/e2e/app:1.0.0 2>&1)
expect_eq "mine: ctr pulls an admitted image (certificate verified by its names)" "0" "$?"
expect_contains "mine: ... and unpacks it" "done" "$out"
out=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$CTR_HOSTS" registry.local/e2e/root:1.0.0 2>&1)
expect_eq "mine: ctr refuses the root image" "1" "$?"
expect_contains "mine: ctr shows why" \
	'refused by rule "apps" (policy.json:5): image runs as root (User is empty)' "$out"
PODMAN_OUT=$(timeout 120 "${PODMAN[@]}" pull --tls-verify=false 127.0.0.1:5443/e2e/app:1.0.0 2>&1)
expect_eq "mine: podman pulls an admitted image" "0" "$?"
PODMAN_OUT=$(timeout 120 "${PODMAN[@]}" pull --tls-verify=false 127.0.0.1:5443/e2e/root:1.0.0 2>&1)
expect_eq "mine: podman refuses the root image (exit 125)" "125" "$?"
expect_contains "mine: podman shows why" "image runs as root (User is empty)" "$PODMAN_OUT"
expect_match "mine: the upstream's name was resolved over DNS (fake_dns.py saw the A query)" \
	'^registry 1$' "$(cat "$E2E_TMP/dns.log" 2>/dev/null)"
expect_lacks "mine: no call refused by the profile (no EPERM/EACCES in the log)" \
	"Operation not permitted" "$(logs mine)"
"${PODMAN[@]}" stop -t 20 mine >/dev/null 2>&1
expect_eq "mine: drains and exits 0 on SIGTERM" "0" \
	"$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' mine)"

# ---- 3. a profile short of one call fails ----------------------------------

"$PY" - "$PROFILE" "$E2E_TMP/short.json" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
for s in p["syscalls"]:
    s["names"] = [n for n in s["names"] if n != "listen"]
json.dump(p, open(sys.argv[2], "w"))
EOF
"${PODMAN[@]}" run --name short --network host --user 65532:65532 --read-only --cap-drop ALL \
	--security-opt no-new-privileges --security-opt "seccomp=$E2E_TMP/short.json" \
	--tmpfs /tmp:size=16m "$IMAGE" >"$E2E_TMP/short.log" 2>&1
rc=$?
E2E_CLEANUPS+=("${PODMAN[*]} rm -f short")
expect_eq "short profile: regwarden cannot start without listen(2)" "1" "$rc"
expect_contains "short profile: ... and says why" "Operation not permitted" "$(cat "$E2E_TMP/short.log")"

finish
