# lib.sh - shared helpers for the end-to-end tests (sourced by *.test.sh).
# SPDX-License-Identifier: Apache-2.0
#
# Every test file sources this, then calls the helpers below and finally
# `finish`.  Contract:
#  - E2E_TMP is a fresh temp dir; an EXIT trap kills every process started
#    through `bg_start` (by PID, never by name) and removes E2E_TMP.
#  - `pass NAME` / `fail MSG` count results; `fail` prints the last 40 lines
#    of every log registered with `add_log`.  `finish` prints
#    "<file>: N passed, M failed" and exits 1 if anything failed.
#  - `die MSG` is for setup failures: it fails and finishes at once.
#  - All waits are bounded; nothing here depends on timing for a verdict.
#  - E2E_DIRECT=1 (developer aid, never set in CI) runs the same client
#    commands straight against the registry, skipping regwarden and the
#    checks that only make sense through it (`rw_only` returns 1).

set -u
set -o pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RW_SOURCE_DIR:=$(cd "$E2E_DIR/../.." && pwd)}"
: "${RW_BIN:=$RW_SOURCE_DIR/build/regwarden}"
: "${E2E_DIRECT:=0}"
# Debian's interpreter: it has python3-cryptography; the first python3 on
# PATH may be a separate build without Debian's modules.
PY=/usr/bin/python3
E2E_NAME=$(basename "$0" .test.sh)

E2E_PASSED=0
E2E_FAILED=0
E2E_PIDS=()
E2E_LOGS=()
E2E_CLEANUPS=()

E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rw-e2e-$E2E_NAME.XXXXXX") || exit 1

e2e_cleanup() {
	local i pid
	trap - EXIT
	# Extra cleanup commands first (e.g. podman rmi), newest first.
	for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${E2E_CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${E2E_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${E2E_PIDS[@]}"; do
		# Bounded: give each process 5 s, then SIGKILL it.
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# kept $E2E_TMP"
	else
		rm -rf "$E2E_TMP"
	fi
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

# If this shell is killed outright (SIGKILL from a harness timeout), the
# EXIT trap never runs: a watchdog then kills what bg_start recorded in
# $E2E_TMP/.pids (each PID with its command name, so a reused PID is left
# alone) and removes E2E_TMP.
e2e_watchdog() {
	local main=$1 pid comm
	trap '' INT
	trap 'exit 0' TERM
	while kill -0 "$main" 2>/dev/null; do sleep 1; done
	[ -f "$E2E_TMP/.pids" ] || exit 0
	while read -r pid comm; do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] && kill -KILL "$pid"
	done <"$E2E_TMP/.pids"
	rm -rf "$E2E_TMP"
}
e2e_watchdog $$ >/dev/null 2>&1 </dev/null &
E2E_PIDS+=($!)

# ---- results -------------------------------------------------------------

log() { printf '# %s\n' "$*"; }

add_log() { E2E_LOGS+=("$1"); }

dump_logs() {
	local f
	for f in "${E2E_LOGS[@]}"; do
		[ -f "$f" ] || continue
		echo "---- last 40 lines of $f"
		tail -n 40 "$f"
	done
	echo "----"
}

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	echo "ok - $*"
}

fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "FAIL - $*"
	dump_logs
}

finish() {
	echo "$E2E_NAME: $E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ] && [ "$E2E_PASSED" -gt 0 ] && exit 0
	exit 1
}

die() {
	fail "$*"
	finish
}

# check NAME COMMAND...: pass if the command succeeds, else fail with its
# output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name: command failed: $*"$'\n'"$out"
	fi
}

# expect_eq NAME EXPECTED GOT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# expect_match NAME REGEX GOT  (extended regex, grep -E)
expect_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1: expected to match /$2/, got '$3'"
	fi
}

need_tools() {
	local t missing=()
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ -x "$PY" ] || missing+=("$PY")
	if [ ${#missing[@]} -gt 0 ]; then
		die "required tools missing: ${missing[*]} (install the Debian packages from the test environment notes)"
	fi
	"$PY" -c 'import cryptography' 2>/dev/null ||
		die "$PY lacks the cryptography module (Debian package python3-cryptography)"
}

rw_only() { [ "$E2E_DIRECT" != 1 ]; }

# ---- processes and waits -------------------------------------------------

# free_port [ADDR]: print a port that was free a moment ago and that this
# test has not handed out before: the kernel gives a just-released port back
# readily, so two calls in a row (listen, then admin.listen) could collide
# before either program binds (seen in CI: "admin.listen": same address as
# "listen").
free_port() {
	local used=$E2E_TMP/.ports port i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		port=$("$PY" -c 'import socket,sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1]); s.close()' \
			"${1:-127.0.0.1}") || return 1
		if ! grep -qx "$port" "$used" 2>/dev/null; then
			echo "$port" >>"$used"
			echo "$port"
			return 0
		fi
	done
	die "free_port: no unused port after 10 tries"
}

# bg_start LOGFILE COMMAND...: start in the background, record the PID in
# BG_PID and in the cleanup list, register the log.
bg_start() {
	local logf=$1
	shift
	"$@" >"$logf" 2>&1 </dev/null &
	BG_PID=$!
	E2E_PIDS+=("$BG_PID")
	sleep 0.05	# let exec happen so /proc/PID/comm names the program
	echo "$BG_PID $(cat "/proc/$BG_PID/comm" 2>/dev/null)" >>"$E2E_TMP/.pids"
	add_log "$logf"
}

# wait_until SECONDS COMMAND...: poll every 0.1 s; 0 once COMMAND succeeds,
# 1 after SECONDS.
wait_until() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# http_code URL [CURL ARGS...]: the status code of a GET (000 on error).
http_code() {
	local url=$1
	shift
	curl -sk -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" 2>/dev/null
}

# code_is EXPECTED URL [CURL ARGS...]
code_is() {
	local want=$1
	shift
	[ "$(http_code "$@")" = "$want" ]
}

# code_is_any "200 401" URL ...
code_is_any() {
	local want=$1 got
	shift
	got=$(http_code "$@")
	case " $want " in *" $got "*) return 0 ;; esac
	return 1
}

# ---- password files ------------------------------------------------------

# bcrypt_line USER PASS: one htpasswd line with a bcrypt hash (htpasswd from
# apache2-utils, else Python's crypt module, which Debian 12's 3.11 has).
bcrypt_line() {
	if command -v htpasswd >/dev/null 2>&1; then
		htpasswd -nbB -C 5 "$1" "$2" | head -n 1
		return
	fi
	"$PY" -W ignore -c 'import crypt,sys
print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5)))' \
		"$1" "$2"
}

# write_htpasswd FILE USER PASS [USER PASS ...]
write_htpasswd() {
	local f=$1
	shift
	: >"$f"
	while [ $# -ge 2 ]; do
		bcrypt_line "$1" "$2" >>"$f" || return 1
		shift 2
	done
	chmod 600 "$f"
}

# ---- the registry --------------------------------------------------------

# start_registry [--htpasswd FILE] [--token REALM SERVICE ISSUER BUNDLE]
#                [--name NAME] [--port PORT (default: a free one)]
# Sets REG_PORT, REG_URL (http://127.0.0.1:port), REG_HOST, REG_PID, REG_LOG,
# REG_DIR.  Waits (10 s) until /v2/ answers (200, or 401 with auth).
start_registry() {
	local name=reg auth="" port=""
	while [ $# -gt 0 ]; do
		case $1 in
		--htpasswd)
			auth="auth:
  htpasswd:
    realm: e2e-registry
    path: $2"
			shift 2 ;;
		--token)
			auth="auth:
  token:
    realm: $2
    service: $3
    issuer: $4
    rootcertbundle: $5"
			shift 5 ;;
		--name) name=$2; shift 2 ;;
		--port) port=$2; shift 2 ;;
		*) die "start_registry: unknown option $1" ;;
		esac
	done
	REG_DIR=$E2E_TMP/$name
	mkdir -p "$REG_DIR/data"
	REG_PORT=${port:-$(free_port)}
	cat >"$REG_DIR/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REG_PORT
  secret: e2e-secret-$name
$auth
EOF
	REG_LOG=$REG_DIR/registry.log
	bg_start "$REG_LOG" docker-registry serve "$REG_DIR/config.yml"
	REG_PID=$BG_PID
	REG_HOST=127.0.0.1:$REG_PORT
	REG_URL=http://$REG_HOST
	wait_until 10 code_is_any "200 401" "$REG_URL/v2/" ||
		die "docker-registry did not answer $REG_URL/v2/ within 10 s"
}

# ---- regwarden -----------------------------------------------------------

# default_upstreams [URL]: the brief's single pass-through upstream "local"
# that answers for docker.io.
default_upstreams() {
	printf '[{"name":"local","url":"%s","insecure":true,"hosts":["docker.io","registry-1.docker.io"],"default":true,"auth":"passthrough"}]' \
		"${1:-$REG_URL}"
}

# start_regwarden [UPSTREAMS_JSON [EXTRA_TOPLEVEL_JSON]]
# Writes $E2E_TMP/rw/config.json, starts "$RW_BIN serve -c" in the
# background and waits (10 s) for GET /v2/ over TLS.  Sets RW_PORT, RW_HOST
# (127.0.0.1:port), RW_URL (https://...), RW_PID, RW_LOG, RW_CERT (the
# self-signed certificate regwarden writes into its state dir), RW_CONF.
# With E2E_DIRECT=1 it starts nothing and points RW_* at the registry.
# RW_INSTANCE (default "rw") names the directory, for a second regwarden.
start_regwarden() {
	local ups=${1:-$(default_upstreams)} extra=${2:-"{}"}
	local dir=$E2E_TMP/${RW_INSTANCE:-rw}
	if [ "$E2E_DIRECT" = 1 ]; then
		RW_PORT=$REG_PORT RW_HOST=$REG_HOST RW_URL=$REG_URL
		RW_PID="" RW_LOG=$REG_LOG RW_CERT="" RW_CONF=""
		return 0
	fi
	[ -x "$RW_BIN" ] || die "regwarden binary not found or not executable: $RW_BIN"
	mkdir -p "$dir"
	RW_PORT=$(free_port)
	RW_HOST=127.0.0.1:$RW_PORT
	RW_URL=https://$RW_HOST
	RW_CONF=$dir/config.json
	RW_LOG=$dir/regwarden.log
	RW_CERT=$dir/state/tls/cert.pem
	"$PY" - "$RW_CONF" "$RW_HOST" "$dir/state" "$ups" "$extra" <<'EOF' ||
import json, sys
path, listen, state, ups, extra = sys.argv[1:6]
cfg = {"listen": listen, "state_dir": state,
       "log": {"format": "text", "level": "debug"},
       "admin": {"listen": ""},
       "upstreams": json.loads(ups)}
cfg.update(json.loads(extra))
# A config without a policy must say it runs as a plain proxy on purpose.
if "policy" not in cfg and "plain_proxy" not in cfg:
    cfg["plain_proxy"] = True
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
EOF
		die "could not write the regwarden config"
	bg_start "$RW_LOG" "$RW_BIN" serve -c "$RW_CONF"
	RW_PID=$BG_PID
	# Any HTTP answer from /v2/ means it is serving; 200 is what the
	# anonymous ping gets, 401 what a setup requiring client auth gets.
	if ! wait_until 10 code_is_any "200 401" "$RW_URL/v2/"; then
		kill -0 "$RW_PID" 2>/dev/null ||
			die "regwarden exited during startup (config $RW_CONF)"
		die "regwarden did not answer $RW_URL/v2/ within 10 s"
	fi
	[ -s "$RW_CERT" ] || die "regwarden did not write its certificate to $RW_CERT"
}

# rw_alive: regwarden (if any) is still running.
rw_alive() {
	[ -z "${RW_PID:-}" ] && return 0
	kill -0 "$RW_PID" 2>/dev/null
}

# stop_regwarden_checked: results saying that regwarden survived the test,
# exits by itself on SIGTERM (bounded: 20 s), and that its log holds no
# sanitizer report (ASan, LeakSanitizer, UBSan "runtime error:").  Call it
# once at the end of a test, before `finish`.
stop_regwarden_checked() {
	local rc
	rw_only || return 0
	[ -n "${RW_PID:-}" ] || return 0
	if ! rw_alive; then
		fail "regwarden died during the test"
	else
		pass "regwarden still running at the end"
		kill -TERM "$RW_PID" 2>/dev/null
		if wait_until 20 eval '! kill -0 '"$RW_PID"; then
			wait "$RW_PID" 2>/dev/null
			rc=$?
			log "regwarden exited with status $rc after SIGTERM"
		else
			fail "regwarden did not exit within 20 s of SIGTERM"
		fi
	fi
	if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$RW_LOG"; then
		fail "sanitizer report in regwarden's log: $(grep -Em3 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|^    #[0-3] ' "$RW_LOG")"
	else
		pass "no sanitizer report in regwarden's log"
	fi
}

# Client flags for a TLS endpoint with a self-signed cert (or plain HTTP
# in direct mode).
SKOPEO_TLS=(--dest-tls-verify=false)
SKOPEO_SRC_TLS=(--src-tls-verify=false)

# ---- images --------------------------------------------------------------

# mkimage DIR [mkimage.py options]: OCI layout in DIR, summary JSON in
# DIR.json.
mkimage() {
	local dir=$1
	shift
	"$PY" "$E2E_DIR/mkimage.py" --out "$dir" "$@" >"$dir.json" ||
		die "mkimage.py failed for $dir"
}

# json_get FILE EXPR: evaluate a Python expression over the JSON in FILE
# (bound to `j`); lists print one item a line.
json_get() {
	"$PY" -c 'import json,sys
j = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
if isinstance(v, list):
    print("\n".join(str(x) for x in v))
elif isinstance(v, (dict,)):
    print(json.dumps(v, sort_keys=True))
else:
    print(v)' "$1" "$2"
}

# blob_digests_of_layout DIR: sorted digests of all blobs in an OCI layout
# (sha256 recomputed from the bytes, so a corrupt file shows).
layout_blob_digests() {
	(cd "$1/blobs/sha256" && sha256sum -- * | awk '{print "sha256:" $1}' | sort)
}

# dir_blob_digests DIR: the same for a skopeo dir: destination.
dir_blob_digests() {
	(cd "$1" && for f in *; do
		case $f in manifest.json | version | signature-*) continue ;; esac
		echo "sha256:$(sha256sum -- "$f" | awk '{print $1}')"
	done | sort)
}

# ---- HTTP with headers ---------------------------------------------------

# req METHOD URL [CURL ARGS...]: performs a request; sets R_CODE, R_HDRS
# (file with the response headers), R_BODY (file with the body).
R_N=0
req() {
	local method=$1 url=$2
	shift 2
	R_N=$((R_N + 1))
	R_HDRS=$E2E_TMP/resp.$R_N.h
	R_BODY=$E2E_TMP/resp.$R_N.b
	if [ "$method" = HEAD ]; then
		R_CODE=$(curl -sk -I -o /dev/null -D "$R_HDRS" -w '%{http_code}' \
			--max-time 60 "$@" "$url" 2>/dev/null)
		: >"$R_BODY"
	else
		R_CODE=$(curl -sk -X "$method" -o "$R_BODY" -D "$R_HDRS" \
			-w '%{http_code}' --max-time 60 "$@" "$url" 2>/dev/null)
	fi
	[ -n "$R_CODE" ] || R_CODE=000
}

# hdr NAME: value of response header NAME from the last req (last one if
# repeated, CR stripped, case-insensitive).
hdr() {
	tr -d '\r' <"$R_HDRS" | awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); out = v } }
		END { print out }'
}

# describe_resp: one line summing up the last req for failure messages.
describe_resp() {
	printf 'HTTP %s; headers: %s; body: %s' "$R_CODE" \
		"$(tr -d '\r' <"$R_HDRS" | tr '\n' '|' | head -c 600)" \
		"$(head -c 400 "$R_BODY")"
}

# expect_code NAME EXPECTED: check the last req's status.
expect_code() {
	if [ "$R_CODE" = "$2" ]; then
		pass "$1"
	else
		fail "$1: expected HTTP $2, got $(describe_resp)"
	fi
}

# is_oci_error [CODE]: the last body is {"errors":[{"code":...}]} (with the
# given code if one is named).
is_oci_error() {
	"$PY" -c 'import json,sys
j = json.load(open(sys.argv[1]))
e = j["errors"]
assert isinstance(e, list) and e and all(isinstance(x.get("code"), str) for x in e)
if len(sys.argv) > 2 and sys.argv[2]:
    assert any(x["code"] == sys.argv[2] for x in e), e' "$R_BODY" "${1:-}" 2>/dev/null
}

# expect_oci_error NAME STATUS [CODE]
expect_oci_error() {
	if [ "$R_CODE" = "$2" ] && is_oci_error "${3:-}"; then
		pass "$1"
	else
		fail "$1: expected HTTP $2 with an OCI error envelope${3:+ ($3)}, got $(describe_resp)"
	fi
}

# ---- helper servers ------------------------------------------------------

# start_fake NAME MODE [fake_upstream.py options]: sets FAKE_PORT, FAKE_URL,
# FAKE_REQS (its JSON-lines request log).  Waits (10 s) for /v2/.
start_fake() {
	local name=$1 mode=$2
	shift 2
	FAKE_PORT=$(free_port)
	FAKE_URL=http://127.0.0.1:$FAKE_PORT
	FAKE_REQS=$E2E_TMP/$name.requests
	bg_start "$E2E_TMP/$name.log" "$PY" "$E2E_DIR/fake_upstream.py" --mode "$mode" \
		--port "$FAKE_PORT" --log "$FAKE_REQS" "$@"
	add_log "$FAKE_REQS"
	wait_until 10 code_is_any "200 401" "$FAKE_URL/v2/" ||
		die "fake_upstream.py ($mode) did not answer on $FAKE_URL within 10 s"
}

# ---- policy tests --------------------------------------------------------

# expect_contains NAME NEEDLE HAYSTACK: fixed-string match (messages carry
# regex metacharacters such as ^\d+$).
expect_contains() {
	if printf '%s' "$3" | grep -Fq -- "$2"; then
		pass "$1"
	else
		fail "$1: expected to contain '$2', got '$3'"
	fi
}

# expect_lacks NAME NEEDLE HAYSTACK: the fixed string does not occur.
expect_lacks() {
	if printf '%s' "$3" | grep -Fq -- "$2"; then
		fail "$1: '$2' must not appear, got '$3'"
	else
		pass "$1"
	fi
}

# show_client_line LABEL OUTPUT: print the client's lines that carry
# "regwarden:" (or its last line) into the test log, so a reader can quote
# exactly what the developer saw.
show_client_line() {
	local lines
	lines=$(printf '%s\n' "$2" | grep -F 'regwarden:' | head -n 3)
	[ -n "$lines" ] || lines=$(printf '%s\n' "$2" | tail -n 1)
	printf '%s\n' "$lines" | sed "s|^|#   $1: |"
}

# make_keys DIR NAME...: a fresh P-256 signing key per NAME, DIR/NAME.key
# (mode 600, as regwarden sign wants) and its public half DIR/NAME.pub.
make_keys() {
	local dir=$1 k
	shift
	mkdir -p "$dir"
	for k in "$@"; do
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out "$dir/$k.key" 2>/dev/null || die "cannot make the $k key"
		chmod 600 "$dir/$k.key"
		openssl pkey -in "$dir/$k.key" -pubout -out "$dir/$k.pub" 2>/dev/null ||
			die "cannot write the $k public key"
	done
}

# seed_image LAYOUT REPO:TAG: copy the single image (or index) of an OCI
# layout straight into the registry, bypassing regwarden.
seed_image() {
	skopeo copy --all --dest-tls-verify=false "oci:$1" "docker://$REG_HOST/$2" \
		>"$E2E_TMP/seed.log" 2>&1 ||
		die "seeding $2 into the registry failed: $(cat "$E2E_TMP/seed.log")"
}

# start_regwarden_policy POLICY_FILE [EXTRA_TOPLEVEL_JSON]: start_regwarden
# with the default upstream and "policy" set (merged into EXTRA).
start_regwarden_policy() {
	local extra
	extra=$("$PY" -c 'import json,sys
e = json.loads(sys.argv[2]); e["policy"] = sys.argv[1]; print(json.dumps(e))' \
		"$1" "${2:-"{}"}") || die "bad extra config for start_regwarden_policy"
	start_regwarden "$(default_upstreams)" "$extra"
}

# podman_init: sets PODMAN (array) to a podman with a private vfs store in
# E2E_TMP; images are removed at exit.
podman_init() {
	PODMAN=(podman --storage-driver vfs --root "$E2E_TMP/proot" --runroot "$E2E_TMP/prun"
		--tmpdir "$E2E_TMP/ptmp" --events-backend file --cgroup-manager cgroupfs)
	mkdir -p "$E2E_TMP/ptmp"
	E2E_CLEANUPS+=("${PODMAN[*]} rmi -a -f")
}

# start_containerd: a private containerd (CRI off) whose docker.io mirror is
# regwarden (hosts.toml `server` + `ca`).  Sets CTR (array: ctr with the
# socket) and CTR_HOSTS (the --hosts-dir).  Waits 15 s for it.
start_containerd() {
	local cd=$E2E_TMP/containerd
	CTR_HOSTS=$E2E_TMP/certs.d
	mkdir -p "$cd" "$CTR_HOSTS/docker.io"
	cat >"$cd/config.toml" <<EOT
version = 2
root = "$cd/root"
state = "$cd/state"
[grpc]
  address = "$cd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
EOT
	cat >"$CTR_HOSTS/docker.io/hosts.toml" <<EOT
server = "https://$RW_HOST"
[host."https://$RW_HOST"]
  capabilities = ["pull", "resolve"]
  ca = "$RW_CERT"
EOT
	bg_start "$cd/containerd.log" containerd --config "$cd/config.toml"
	CTR=(ctr --address "$cd/containerd.sock")
	wait_until 15 "${CTR[@]}" version ||
		die "containerd did not come up on $cd/containerd.sock within 15 s"
}

# ctr_pull REF: pull docker.io/REF through regwarden (bounded: 120 s);
# output (stdout and stderr) in CTR_OUT, status as the return value.  The
# image and its content are removed afterwards so a later pull starts cold.
ctr_pull() {
	local rc
	CTR_OUT=$(timeout 120 "${CTR[@]}" images pull --hosts-dir "$CTR_HOSTS" \
		"docker.io/$1" 2>&1)
	rc=$?
	"${CTR[@]}" images rm "docker.io/$1" >/dev/null 2>&1
	"${CTR[@]}" content prune references >/dev/null 2>&1
	return $rc
}

# podman_pull REF: podman pull RW_HOST/REF; output in PODMAN_OUT.  The
# image is removed afterwards.
podman_pull() {
	local rc
	PODMAN_OUT=$(timeout 120 "${PODMAN[@]}" pull --tls-verify=false "$RW_HOST/$1" 2>&1)
	rc=$?
	"${PODMAN[@]}" rmi -f "$RW_HOST/$1" >/dev/null 2>&1
	return $rc
}

# skopeo_pull REF: skopeo copy docker://RW_HOST/REF to a fresh dir:
# ($E2E_TMP/skopeo-pull); output in SKOPEO_OUT, and in SKOPEO_TEXT with
# logrus quoting undone (logrus_text, defined below).
skopeo_pull() {
	local dst=$E2E_TMP/skopeo-pull rc
	rm -rf "$dst"
	SKOPEO_OUT=$(timeout 120 skopeo copy --src-tls-verify=false \
		"docker://$RW_HOST/$1" "dir:$dst" 2>&1)
	rc=$?
	SKOPEO_TEXT=$(logrus_text "$SKOPEO_OUT")
	return $rc
}

# rw_admin ARGS...: run a regwarden subcommand (audit, pins) against the
# running regwarden's config.
rw_admin() {
	"$RW_BIN" "$1" -c "$RW_CONF" "${@:2}"
}

# reg_put_blob REPO FILE: upload FILE as a blob straight into the registry
# (POST, then PUT with the digest); prints the digest.
reg_put_blob() {
	local d loc
	d="sha256:$(sha256sum "$2" | awk '{print $1}')"
	loc=$(curl -s -o /dev/null -D - -X POST --max-time 10 \
		"$REG_URL/v2/$1/blobs/uploads/" | tr -d '\r' |
		awk 'tolower($1) == "location:" {print $2}')
	[ -n "$loc" ] || return 1
	case $loc in /*) loc=$REG_URL$loc ;; esac
	case $loc in *\?*) loc="$loc&digest=$d" ;; *) loc="$loc?digest=$d" ;; esac
	curl -sf -o /dev/null -X PUT --max-time 10 --data-binary "@$2" \
		-H 'Content-Type: application/octet-stream' "$loc" || return 1
	echo "$d"
}

# logrus_text TEXT: TEXT with each logrus line (skopeo's `level=fatal
# msg="..."`) replaced by its decoded msg, so a message with quotes and
# backslashes can be compared with what regwarden sent.
LOGRUS_PY=$(cat <<'EOT'
import json, re, sys
for line in sys.stdin:
    m = re.search(r'\bmsg=("(?:[^"\\]|\\.)*")', line)
    if m:
        try:
            line = json.loads(m.group(1)) + "\n"
        except ValueError:
            pass
    sys.stdout.write(line)
EOT
)
logrus_text() {
	printf '%s\n' "$1" | "$PY" -c "$LOGRUS_PY"
}

# expect_contains_any NAME HAYSTACK NEEDLE...: one of the fixed strings
# occurs.
expect_contains_any() {
	local name=$1 hay=$2 n
	shift 2
	for n in "$@"; do
		if printf '%s' "$hay" | grep -Fq -- "$n"; then
			pass "$name"
			return
		fi
	done
	fail "$name: expected one of: $(printf "'%s' " "$@"), got '$hay'"
}

# ---- scan verdicts (scans_*.test.sh) -------------------------------------

# Real scanner reports in tests/fixtures (as the unit tests use them).
: "${SCAN_FIXTURES:=$RW_SOURCE_DIR/tests/fixtures/scan-reports}"

# The Accept header containerd sends when it resolves a tag.
CTR_ACCEPT='application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*'

# image_report LAYOUT REPO [mkreport.py options]: a report on the single
# image of LAYOUT (digests from mkimage's LAYOUT.json) naming its manifest
# as REPO@digest and its config as the image ID.  Written to
# LAYOUT.report.json; REPORT is set to that path.
image_report() {
	local lay=$1 repo=$2 man cfg
	shift 2
	man=$(json_get "$lay.json" 'j["manifests"][0]["digest"]') || return 1
	cfg=$(json_get "$lay.json" 'j["manifests"][0]["config"]') || return 1
	REPORT=$lay.report.json
	"$PY" "$E2E_DIR/mkreport.py" --repo "$repo" --manifest "$man" \
		--config "$cfg" --out "$REPORT" "$@" ||
		die "mkreport.py failed for $repo"
}

# admin_section: sets ADMIN_PORT, ADMIN_URL, ADMIN_TOKEN (written to
# ADMIN_TOKEN_FILE, mode 600) and ADMIN_JSON, the "admin" section to put in
# start_regwarden's extra config (a loopback listener with that token).
admin_section() {
	ADMIN_PORT=$(free_port)
	ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
	ADMIN_TOKEN=e2e-admin-$RANDOM$RANDOM
	ADMIN_TOKEN_FILE=$E2E_TMP/admin.token
	echo "$ADMIN_TOKEN" >"$ADMIN_TOKEN_FILE"
	chmod 600 "$ADMIN_TOKEN_FILE"
	ADMIN_JSON="{\"listen\": \"127.0.0.1:$ADMIN_PORT\", \"token_file\": \"$ADMIN_TOKEN_FILE\"}"
}

# post_scans FILE [CURL ARGS...]: POST FILE to the admin listener's /scans
# with the bearer token (req's R_CODE, R_BODY, R_HDRS).
post_scans() {
	local f=$1
	shift
	req POST "$ADMIN_URL/scans" -H "Authorization: Bearer $ADMIN_TOKEN" \
		-H 'Content-Type: application/json' --data-binary "@$f" "$@"
}

# get_manifest REPO REF [CURL ARGS...]: GET a manifest through regwarden
# with containerd's Accept header (req's R_CODE, R_BODY, R_HDRS).
get_manifest() {
	req GET "$RW_URL/v2/$1/manifests/$2" -H "Accept: $CTR_ACCEPT" "${@:3}"
}

# body_digest: the sha256 digest of the last req's body.
body_digest() {
	echo "sha256:$(sha256sum "$R_BODY" | awk '{print $1}')"
}
