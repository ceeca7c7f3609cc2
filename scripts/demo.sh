#!/usr/bin/env bash
# demo.sh - see regwarden work in a minute, on this machine only.
# SPDX-License-Identifier: Apache-2.0
#
# 1. scripts/setup.sh (packages, build/regwarden)
# 2. a throw-away docker-registry on 127.0.0.1:5000
# 3. a tiny test image (tests/e2e/mkimage.py), pushed there with skopeo
# 4. build/regwarden serve -c config/regwarden.json (https://127.0.0.1:5443,
#    upstream "local" = that registry)
# 5. pulls through regwarden with curl, skopeo and podman, saying what
#    happened, then the lines regwarden logged
# 6. keeps regwarden in the foreground, its log following, until Ctrl-C;
#    everything the demo started is then stopped and its temp dir removed.
# Needs root (packages, /var/lib/regwarden, podman's storage).
#
# Usage: sudo bash scripts/demo.sh [--once] [--direct]
#   --once    exit after step 5 (exit status 1 if a step failed); this is
#             how the script itself is tested
#   --direct  skip regwarden and pull straight from the registry (checks the
#             registry, the image and the clients when regwarden is not
#             built yet)
# Environment: RW_CONFIG (default config/regwarden.json), RW_BIN (default
# build/regwarden), RW_DEMO_REGISTRY_PORT (default 5000; must match the
# config's upstream), RW_DEMO_KEEP=1 keeps the temp dir.
set -Eeuo pipefail

RW_PROG=demo.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

once=0
direct=0
for arg in "$@"; do
	case $arg in
	--once) once=1 ;;
	--direct) direct=1 ;;
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) rw_die "unknown argument: $arg (see --help)" ;;
	esac
done

REG_PORT=${RW_DEMO_REGISTRY_PORT:-5000}
REPO=library/hello
CONFIG=${RW_CONFIG:-$RW_ROOT/config/regwarden.json}
BIN=${RW_BIN:-$RW_ROOT/build/regwarden}
ok=0
bad=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rw-demo.XXXXXX")
chmod 0755 "$tmp"
cleanup() {
	trap - EXIT INT TERM
	rw_stop_all
	if [[ ${RW_DEMO_KEEP:-0} == 1 ]]; then
		rw_say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'echo; rw_say "stopping"; exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
good() { ok=$((ok + 1)); printf '   ok: %s\n' "$*"; }
oops() { bad=$((bad + 1)); printf '   FAILED: %s\n' "$*"; }
# show FILE: the command's output, indented, at most 15 lines.
show() { sed -n '1,15s/^/   | /p' "$1"; }

# make_image DIR TAG: an OCI layout with one small layer, run as a non-root
# user.  Prefers the e2e tests' generator; the fallback writes the same
# shape (gzip'd tar layer, config with diff_ids, manifest) in a few lines.
make_image() {
	local dir=$1 tag=$2
	if [[ -f $RW_ROOT/tests/e2e/mkimage.py ]]; then
		"$RW_PY" "$RW_ROOT/tests/e2e/mkimage.py" --out "$dir" --tag "$tag" \
			--layers 1 --layer-size 64k --user 65532 \
			--env PATH=/usr/bin --label org.opencontainers.image.title=hello \
			>"$dir.json"
		return
	fi
	"$RW_PY" - "$dir" "$tag" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root, tag = sys.argv[1:3]
os.makedirs(os.path.join(root, "blobs", "sha256"))
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(os.path.join(root, "blobs", "sha256", d), "wb").write(b)
    return {"digest": "sha256:" + d, "size": len(b)}
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as t:
    data = b"hello from regwarden's demo\n"
    ti = tarfile.TarInfo("hello.txt"); ti.size = len(data); ti.mtime = 0
    t.addfile(ti, io.BytesIO(data))
tar = raw.getvalue()
layer = put(gzip.compress(tar, mtime=0))
cfg = put(json.dumps({"architecture": "amd64", "os": "linux",
    "config": {"User": "65532", "Env": ["PATH=/usr/bin"]},
    "rootfs": {"type": "layers",
               "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
man = put(json.dumps({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(cfg, mediaType="application/vnd.oci.image.config.v1+json"),
    "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+gzip")]}).encode())
open(os.path.join(root, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(man,
    mediaType="application/vnd.oci.image.manifest.v1+json",
    annotations={"org.opencontainers.image.ref.name": tag})]},
    open(os.path.join(root, "index.json"), "w"))
PY
}

# config_get KEY: a top-level string from the regwarden config.
config_get() {
	"$RW_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$CONFIG" "$1"
}

# ---------------------------------------------------------------- setup
step "setup: packages and build/regwarden"
((EUID == 0)) || rw_die "run as root: sudo bash $0"
bash "$RW_ROOT/scripts/setup.sh" --no-asan

step "a registry on 127.0.0.1:$REG_PORT (temp storage in $tmp/registry)"
rw_start_registry "$tmp/registry" "$REG_PORT"
good "docker-registry answers http://127.0.0.1:$REG_PORT/v2/"

step "a tiny test image, pushed with skopeo as $REPO:1.0 and $REPO:latest"
make_image "$tmp/image" 1.0
for tag in 1.0 latest; do
	skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/image:1.0" \
		"docker://127.0.0.1:$REG_PORT/$REPO:$tag" >"$tmp/push.log" 2>&1 || {
		show "$tmp/push.log"
		rw_die "skopeo could not push to the registry"
	}
done
digest=sha256:$(sha256sum "$tmp/image/blobs/sha256/$("$RW_PY" -c \
	'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' \
	"$tmp/image/index.json")" | cut -d' ' -f1)
good "pushed $REPO:1.0 = $digest"

# ---------------------------------------------------------------- regwarden
if ((direct)); then
	step "--direct: no regwarden, the clients talk to the registry"
	front=127.0.0.1:$REG_PORT
	scheme=http
else
	step "regwarden serve -c $CONFIG"
	[[ -f $CONFIG ]] || rw_die "$CONFIG not found (set RW_CONFIG to another file)"
	[[ -x $BIN ]] || rw_die "$BIN not built"
	listen=$(config_get listen)
	state=$(config_get state_dir)
	mkdir -p -m 0700 "$state"
	front=$listen
	scheme=https
	rw_port_free "${listen##*:}" || rw_die "$listen is already in use"
	"$BIN" serve -c "$CONFIG" >"$tmp/regwarden.log" 2>&1 &
	rw_pid=$!
	RW_PIDS+=("$rw_pid")
	if ! rw_wait_http "https://$listen/v2/" 50 "$rw_pid"; then
		show "$tmp/regwarden.log"
		rw_die "regwarden did not answer https://$listen/v2/ within 10 s"
	fi
	good "regwarden (pid $rw_pid) answers https://$listen/v2/, state in $state"
fi

# ---------------------------------------------------------------- pulls
step "curl: GET /v2/$REPO/manifests/1.0 through $front"
accept='application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'
code=$(curl -ks -D "$tmp/hdr" -o "$tmp/body" -w '%{http_code}' -H "Accept: $accept" \
	"$scheme://$front/v2/$REPO/manifests/1.0" || true)
served=$(tr -d '\r' <"$tmp/hdr" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
if [[ $code == 200 && $(sha256sum <"$tmp/body" | cut -d' ' -f1) == "${digest#sha256:}" ]]; then
	good "HTTP $code, body hashes to $digest (Docker-Content-Digest: ${served:-none})"
else
	oops "HTTP $code, Docker-Content-Digest: ${served:-none}"
	show "$tmp/body"
fi

step "skopeo inspect docker://$front/$REPO:1.0"
if skopeo inspect --tls-verify=false "docker://$front/$REPO:1.0" >"$tmp/inspect" 2>&1; then
	good "$("$RW_PY" -c 'import json,sys; j=json.load(open(sys.argv[1]))
print("digest %s, %d layer(s), os/arch %s/%s" % (j["Digest"], len(j["Layers"]), j["Os"], j["Architecture"]))' "$tmp/inspect")"
else
	oops "skopeo inspect"
	show "$tmp/inspect"
fi

step "skopeo copy docker://$front/$REPO:1.0 to an OCI layout"
if skopeo copy --quiet --src-tls-verify=false "docker://$front/$REPO:1.0" \
	"oci:$tmp/pulled:1.0" >"$tmp/copy.log" 2>&1; then
	good "copied: $(du -sh "$tmp/pulled" | cut -f1) in $tmp/pulled"
else
	oops "skopeo copy"
	show "$tmp/copy.log"
fi

step "podman pull $front/$REPO:1.0 (vfs storage in $tmp/podman)"
podman_args=(--root "$tmp/podman/root" --runroot "$tmp/podman/run" --storage-driver vfs)
if podman "${podman_args[@]}" pull --tls-verify=false "$front/$REPO:1.0" >"$tmp/podman.log" 2>&1; then
	good "podman has image $(tail -n 1 "$tmp/podman.log" | cut -c1-12)"
else
	oops "podman pull"
	show "$tmp/podman.log"
fi

# Not counted: whether :latest is refused depends on the policy loaded.
# When it is, this is what a developer sees.
step "podman pull $front/$REPO:latest (refused if the policy forbids :latest)"
if podman "${podman_args[@]}" pull --tls-verify=false "$front/$REPO:latest" >"$tmp/latest.log" 2>&1; then
	printf '   allowed by the current policy\n'
else
	printf '   refused; podman said:\n'
	grep -m 3 '^Error' "$tmp/latest.log" | sed 's/^/   | /' || show "$tmp/latest.log"
fi

if ((!direct)); then
	step "what regwarden logged"
	tail -n 20 "$tmp/regwarden.log" | sed 's/^/   | /'
fi

printf '\n'
rw_say "$ok steps worked, $bad failed"
if ((once || direct)); then
	exit $((bad > 0))
fi
if ! kill -0 "$rw_pid" 2>/dev/null; then
	rw_die "regwarden has exited; see its log above"
fi

step "regwarden keeps running on https://$front (upstream 127.0.0.1:$REG_PORT); Ctrl-C stops both"
cat <<EOF
   try:  skopeo inspect --tls-verify=false docker://$front/$REPO:1.0
         podman pull --tls-verify=false $front/$REPO:1.0
EOF
tail -n 0 -f --pid="$rw_pid" "$tmp/regwarden.log" &
RW_PIDS+=("$!")
set +e
wait "$rw_pid"
rc=$?
set -e
rw_say "regwarden exited with status $rc"
exit "$rc"
