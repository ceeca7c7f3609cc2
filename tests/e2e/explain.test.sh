#!/bin/bash
# explain.test.sh - `regwarden check` and `regwarden explain` against a real
# docker-registry: every decision kind, the deciding rule, PASS/FAIL lines,
# evidence, pins read but never written, token and Basic upstreams,
# signatures (cosign keys, a Sigstore bundle referrer, an index signed as a
# whole) gathered as the proxy gathers them, and the exit statuses (0
# served, 3 refused, 4 could not decide).
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum openssl
rw_only || { pass "explain needs regwarden (E2E_DIRECT=1: nothing to do)"; finish; }
[ -x "$RW_BIN" ] || die "regwarden binary not found or not executable: $RW_BIN"

BOT=regwarden-bot BOT_PW=bot-s3cret-pw
BOT2=basic-bot BOT2_PW=basic-s3cret-pw

# ---- registries ----------------------------------------------------------
start_registry
TOK_PORT=$(free_port)
TOK_CERT=$E2E_TMP/token-cert.pem
TOK_REQS=$E2E_TMP/token.requests
bg_start "$E2E_TMP/token.log" "$PY" "$E2E_DIR/token_issuer.py" --port "$TOK_PORT" \
	--cert-out "$TOK_CERT" --log "$TOK_REQS" --user "$BOT" --password "$BOT_PW" \
	--issuer e2e-issuer --service e2e-registry
add_log "$TOK_REQS"
wait_until 10 test -s "$TOK_CERT" || die "token_issuer.py did not write $TOK_CERT within 10 s"
PLAIN_URL=$REG_URL PLAIN_HOST=$REG_HOST
start_registry --name tokreg --token "http://127.0.0.1:$TOK_PORT/token" e2e-registry e2e-issuer "$TOK_CERT"
TREG_URL=$REG_URL TREG_HOST=$REG_HOST
write_htpasswd "$E2E_TMP/registry.htpasswd" "$BOT2" "$BOT2_PW" || die "cannot write htpasswd"
start_registry --name basicreg --htpasswd "$E2E_TMP/registry.htpasswd"
BREG_URL=$REG_URL BREG_HOST=$REG_HOST
# Misbehaving upstreams in front of the plain registry (fake_upstream.py).
start_fake liar liar
LIAR_URL=$FAKE_URL
start_fake redirect redirect --upstream "$PLAIN_URL" --target-addr 127.0.0.2 \
	--target-port "$(free_port 127.0.0.2)"
REDIR_URL=$FAKE_URL REDIR_REQS=$FAKE_REQS
start_fake corrupt redirect --upstream "$PLAIN_URL" --target-addr 127.0.0.2 \
	--target-port "$(free_port 127.0.0.2)" --corrupt
CORRUPT_URL=$FAKE_URL
# An upstream whose signature tags fail with 500 (storage trouble): a proxy
# in front of the plain registry, otherwise faithful.
SIGFAIL_PORT=$(free_port)
SIGFAIL_URL=http://127.0.0.1:$SIGFAIL_PORT
bg_start "$E2E_TMP/sigfail.log" "$PY" -c '
import re, sys, urllib.error, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
UP = sys.argv[2]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, code, body, hdrs):
        self.send_response(code)
        for k in ("Content-Type", "Docker-Content-Digest"):
            if hdrs.get(k):
                self.send_header(k, hdrs[k])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if re.search(r"/manifests/sha256-[0-9a-f]{64}[.]sig$", self.path):
            return self.answer(500, b"{\"errors\":[{\"code\":\"UNKNOWN\","
                b"\"message\":\"storage down\"}]}", {"Content-Type": "application/json"})
        q = urllib.request.Request(UP + self.path,
            headers={"Accept": self.headers.get("Accept", "*/*")})
        try:
            r = urllib.request.urlopen(q)
            self.answer(r.status, r.read(), r.headers)
        except urllib.error.HTTPError as e:
            self.answer(e.code, e.read(), e.headers)
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$SIGFAIL_PORT" "$PLAIN_URL"
wait_until 10 code_is_any 200 "$SIGFAIL_URL/v2/" || die "the sigfail proxy did not start"

# ---- images ----------------------------------------------------------------
mkimage "$E2E_TMP/app" --layers 1 --layer-size 16k --user 1000 \
	--label org.opencontainers.image.source=https://example.com/app
mkimage "$E2E_TMP/root" --layers 1 --layer-size 16k --seed 2 \
	--env DB_PASSWORD=hunter2 --env PATH=/usr/bin
mkimage "$E2E_TMP/multi" --index --layers 1 --layer-size 16k --seed 3 --user 1000
APP=$(json_get "$E2E_TMP/app.json" 'j["top"]')
APP_CFG=$(json_get "$E2E_TMP/app.json" 'j["manifests"][0]["config"]')
ROOT=$(json_get "$E2E_TMP/root.json" 'j["top"]')
ROOT_CFG=$(json_get "$E2E_TMP/root.json" 'j["manifests"][0]["config"]')
MULTI=$(json_get "$E2E_TMP/multi.json" 'j["top"]')
AMD64=$(json_get "$E2E_TMP/multi.json" '[m["digest"] for m in j["manifests"] if m["arch"] == "amd64"][0]')
AMD64_CFG=$(json_get "$E2E_TMP/multi.json" '[m["config"] for m in j["manifests"] if m["arch"] == "amd64"][0]')
ARM64=$(json_get "$E2E_TMP/multi.json" '[m["digest"] for m in j["manifests"] if m["arch"] == "arm64"][0]')

# push IMAGE HOST/REPO:TAG [CREDS]
push() {
	local out
	if out=$(skopeo copy --all --dest-tls-verify=false ${3:+--dest-creds "$3"} \
		"oci:$E2E_TMP/$1:1.0" "docker://$2" 2>&1); then
		return 0
	fi
	die "skopeo copy $1 -> $2 failed: $out"
}
for x in "app e2e/app:1.0" "app e2e/app:latest" "root e2e/root:1.0" \
	"app evil/miner:1.0" "multi e2e/multi:1.0" "app pinned/app:1.0" \
	"app pinned/app:2.0" "app tofu/app:1.0" "root warn/root:1.0" "app other/app:1.0" \
	"app sig/signed:1.0" "app sig/unsigned:1.0" "app sig/stranger:1.0" \
	"multi sig/multi:1.0" "app sigb/app:1.0"; do
	set -- $x
	push "$1" "$PLAIN_HOST/$2"
done
push app "$TREG_HOST/e2e/app:1.0" "$BOT:$BOT_PW"
push app "$BREG_HOST/e2e/app:1.0" "$BOT2:$BOT2_PW"
pass "images pushed to the registries"

# ---- signing keys and a private Sigstore deployment ------------------------
KEYS=$E2E_TMP/keys
make_keys "$KEYS" release stranger
SIGSTORE=$E2E_TMP/sigstore
"$PY" "$E2E_DIR/fake_sigstore.py" init "$SIGSTORE" >"$E2E_TMP/sigstore.json" \
	2>"$E2E_TMP/sigstore.err" || die "fake_sigstore.py init failed: $(cat "$E2E_TMP/sigstore.err")"

# ---- policy and config -----------------------------------------------------
POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<EOF
// explain.test.sh policy
{
  "version": 1,
  "default": "deny",
  "default_message": "ask #platform",
  "pins": [ { "image": "docker.io/pinned/app:1.0", "digest": "$ROOT" } ],
  "rules": [
    { "name": "blocked", "match": "docker.io/evil/**", "allow": false,
      "message": "blocked after INC-1" },
    { "name": "pinned", "match": "docker.io/pinned/**", "pins": {} },
    { "name": "tofu", "match": "docker.io/tofu/**",
      "pins": { "pin_on_first_pull": true } },
    { "name": "warned", "match": "docker.io/warn/**", "mode": "warn",
      "image": { "non_root": true } },
    { "name": "apps", "match": "docker.io/e2e/**",
      "tags": { "deny": ["latest"] },
      "image": { "non_root": true, "no_secrets": true,
                 "platforms": ["linux/amd64", "linux/arm64"] } },
    { "name": "remote", "match": ["tok.example/**", "basic.example/**",
        "liar.example/**", "redir.example/**", "corrupt.example/**"],
      "image": { "non_root": true } }
  ]
}
EOF
STATE=$E2E_TMP/state
mkdir -p "$STATE"
printf '{"username":"%s","password":"%s"}\n' "$BOT" "$BOT_PW" >"$E2E_TMP/tok.creds"
printf '{"username":"%s","password":"%s"}\n' "$BOT2" "$BOT2_PW" >"$E2E_TMP/basic.creds"
chmod 600 "$E2E_TMP/tok.creds" "$E2E_TMP/basic.creds"
write_htpasswd "$E2E_TMP/clients.htpasswd" dev dev-pw || die "cannot write htpasswd"
CONF=$E2E_TMP/config.json
cat >"$CONF" <<EOF
{ "listen": "127.0.0.1:5443", "state_dir": "$STATE", "policy": "policy.json",
  "htpasswd": "$E2E_TMP/clients.htpasswd",
  "upstreams": [
    { "name": "local", "url": "$PLAIN_URL", "insecure": true,
      "hosts": ["docker.io"], "default": true },
    { "name": "tok", "url": "$TREG_URL", "insecure": true, "hosts": ["tok.example"],
      "auth": "credentials", "credentials_file": "$E2E_TMP/tok.creds" },
    { "name": "basic", "url": "$BREG_URL", "insecure": true, "hosts": ["basic.example"],
      "auth": "credentials", "credentials_file": "$E2E_TMP/basic.creds" },
    { "name": "nocreds", "url": "$BREG_URL", "insecure": true, "hosts": ["anon.example"] },
    { "name": "liar", "url": "$LIAR_URL", "insecure": true, "hosts": ["liar.example"] },
    { "name": "redir", "url": "$REDIR_URL", "insecure": true, "hosts": ["redir.example"] },
    { "name": "corrupt", "url": "$CORRUPT_URL", "insecure": true, "hosts": ["corrupt.example"] },
    { "name": "sigfail", "url": "$SIGFAIL_URL", "insecure": true, "hosts": ["sigfail.example"] }
  ] }
EOF

# explain ARGS...: runs regwarden explain (config X_CONF, default CONF);
# sets X_RC, X_OUT, X_ERR.
explain() {
	"$RW_BIN" explain -c "${X_CONF:-$CONF}" "$@" >"$E2E_TMP/x.out" 2>"$E2E_TMP/x.err"
	X_RC=$?
	X_OUT=$(cat "$E2E_TMP/x.out")
	X_ERR=$(cat "$E2E_TMP/x.err")
}

# section FIRST LAST: the lines of X_OUT from the one starting with FIRST up
# to (not including) the one starting with LAST.
section() {
	printf '%s\n' "$X_OUT" | awk -v a="$1" -v b="$2" \
		'index($0, b) == 1 && on { exit } index($0, a) == 1 { on = 1 } on'
}

# line PREFIX: the first line of X_OUT starting with PREFIX.
line() {
	printf '%s\n' "$X_OUT" | awk -v a="$1" 'index($0, a) == 1 { print; exit }'
}

# ---- check -----------------------------------------------------------------
REV=sha256:$(sha256sum <"$POLICY" | awk '{print $1}')
out=$("$RW_BIN" check "$POLICY" 2>&1)
expect_eq "check: a good policy (exit|output)" "0|$POLICY: policy OK (revision $REV, 6 rules)" "$?|$out"
out=$("$RW_BIN" check -c "$CONF" 2>&1)
expect_eq "check -c: the config's policy (exit|output)" "0|$POLICY: policy OK (revision $REV, 6 rules)" "$?|$out"
BAD=$E2E_TMP/bad.json
cat >"$BAD" <<'EOF'
{ "version": 1,
  "rules": [ { "name": "a", "match": "docker.io/**", "alow": true,
               "mode": "enforced" },
             { "name": "a", "match": "ghcr.io/**" } ] }
EOF
"$RW_BIN" check "$BAD" >"$E2E_TMP/c.out" 2>"$E2E_TMP/c.err"
rc=$?
expect_eq "check: a bad policy exits 1 and prints nothing on stdout" "1|" "$rc|$(cat "$E2E_TMP/c.out")"
expect_eq "check: every error as file:line:col: message" \
"$BAD:2:54: \"rules[0]\": unknown key \"alow\" (did you mean \"allow\"?)
$BAD:3:24: \"rules[0].mode\": unknown mode \"enforced\" (did you mean \"enforce\"?)
$BAD:4:24: duplicate rule name \"a\" (first defined at bad.json:2)" "$(cat "$E2E_TMP/c.err")"

# ---- an allowed image ------------------------------------------------------
explain docker.io/e2e/app:1.0
expect_eq "allowed: exit 0, nothing on stderr" "0|" "$X_RC|$X_ERR"
expect_eq "allowed: header" \
"image:      docker.io/e2e/app:1.0
upstream:   local ($PLAIN_URL)
operation:  pull
digest:     $APP
media type: application/vnd.oci.image.manifest.v1+json
platforms:  linux/amd64
decision:   allow (would be served)
rule:       \"apps\" ($POLICY:15, enforce mode)" "$(section 'image:' 'checks:')"
expect_eq "allowed: every check PASS" \
"checks:
  PASS sources: docker.io/e2e/app is an allowed source (pattern \"docker.io/e2e/**\")
  PASS tags.deny: tag \"1.0\" is not on the deny list (latest)
  PASS image.non_root: image runs as user \"1000\"
  PASS image.no_secrets: no secret-looking environment variables (0 checked)
  PASS image.platforms: platform linux/amd64 is allowed" "$(section 'checks:' 'evidence:')"
expect_eq "allowed: evidence" \
"evidence:
  config:   $APP_CFG
  user:     1000
  env:      (none)
  labels:   org.opencontainers.image.source=https://example.com/app
  created:  1970-01-01T00:00:00Z
  pin:      not read (the deciding rule checks no pin here)" "$(section 'evidence:' 'message:')"
expect_eq "allowed: the message a client would log" \
	"message:    regwarden: docker.io/e2e/app:1.0 admitted by rule \"apps\" (policy.json:15)." \
	"$(line 'message:')"
# Short names normalise as docker does; by digest works too.
explain "e2e/app@$APP"
expect_eq "by digest: exit 0, image named by digest" "0|image:      docker.io/e2e/app@$APP" \
	"$X_RC|$(line 'image:')"
explain --op push docker.io/e2e/app:1.0
expect_eq "--op push: exit 0, operation push" "0|operation:  push" "$X_RC|$(line 'operation:')"

# ---- a root image with a secret-looking variable ---------------------------
explain docker.io/e2e/root:1.0
expect_eq "root user: exit 3" "3" "$X_RC"
expect_eq "root user: decision" "decision:   deny (would be refused)" "$(line 'decision:')"
expect_eq "root user: the FAIL image.non_root line" \
	"  FAIL image.non_root: image runs as root (User is empty); rebuild with USER set to a non-root user, e.g. USER 65532" \
	"$(line '  FAIL image.non_root')"
expect_eq "root user: the FAIL image.no_secrets line" \
	"  FAIL image.no_secrets: image sets a secret-looking environment variable: DB_PASSWORD; remove it from the image and pass secrets at run time" \
	"$(line '  FAIL image.no_secrets')"
expect_eq "root user: evidence names variables, not values" \
"  config:   $ROOT_CFG
  user:     (empty)
  env:      DB_PASSWORD, PATH" "$(section '  config:' '  labels:')"
case "$X_OUT" in
*hunter2* | */usr/bin*) fail "an environment value reached the report: $X_OUT" ;;
*) pass "no environment value in the report" ;;
esac
explain --json docker.io/e2e/root:1.0
expect_eq "--json: exit 3 and one line" "3|1" "$X_RC|$(printf '%s\n' "$X_OUT" | wc -l)"
expect_eq "--json: decision, rule, failed checks, env names" \
	"deny|apps|15|image.non_root,image.no_secrets|DB_PASSWORD,PATH|False" \
	"$(printf '%s' "$X_OUT" | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
print("|".join([j["decision"], j["rule"]["name"], str(j["rule"]["line"]),
    ",".join(c["check"] for c in j["checks"] if not c["passed"]),
    ",".join(j["images"][0]["env"]), str(j["served"])]))' 2>&1)"

# ---- a blocked source ------------------------------------------------------
explain docker.io/evil/miner:1.0
expect_eq "blocked: exit 3" "3" "$X_RC"
expect_eq "blocked: rule and the only check" \
"rule:       \"blocked\" ($POLICY:8, enforce mode)
checks:
  FAIL sources: source docker.io/evil/miner is not allowed (pattern \"docker.io/evil/**\"); use an image from an approved registry
evidence:
  config:   not fetched (the deciding rule does not read it)
  pin:      not read (the deciding rule checks no pin here)
message:    regwarden: docker.io/evil/miner:1.0 refused by rule \"blocked\" (policy.json:8): source docker.io/evil/miner is not allowed (pattern \"docker.io/evil/**\"); use an image from an approved registry. Blocked after INC-1." \
	"$(section 'rule:' 'no such line')"

# ---- latest ----------------------------------------------------------------
explain docker.io/e2e/app
expect_eq "latest (implied): exit 3, named :latest" "3|image:      docker.io/e2e/app:latest" \
	"$X_RC|$(line 'image:')"
expect_eq "latest: the FAIL tags.deny line" \
	"  FAIL tags.deny: tag \"latest\" is not allowed; pin the digest: docker.io/e2e/app@$APP or use a version tag" \
	"$(line '  FAIL tags.deny')"

# ---- no rule: the default --------------------------------------------------
explain docker.io/other/app:1.0
expect_eq "default deny: exit 3, rule line, FAIL default" \
"3|rule:       no rule matched: default deny
checks:
  FAIL default: no rule in policy.json matches docker.io/other/app (default: deny)" \
	"$X_RC|$(section 'rule:' 'evidence:')"

# ---- warn mode -------------------------------------------------------------
explain docker.io/warn/root:1.0
expect_eq "warn mode: exit 0, served with a warning" \
	"0|decision:   warn (would be served with a warning)|rule:       \"warned\" ($POLICY:13, warn mode)" \
	"$X_RC|$(line 'decision:')|$(line 'rule:')"

# ---- a multi-arch index ----------------------------------------------------
explain docker.io/e2e/multi:1.0
expect_eq "index: exit 0" "0" "$X_RC"
expect_eq "index: digest, media type, platforms" \
"digest:     $MULTI
media type: application/vnd.oci.image.index.v1+json
platforms:  linux/amd64, linux/arm64" "$(section 'digest:' 'decision:')"
expect_eq "index: checks over every platform" \
"  PASS image.non_root: image runs as a non-root user on every platform
  PASS image.no_secrets: no secret-looking environment variables (0 checked)
  PASS image.platforms: index offers allowed platforms: linux/amd64, linux/arm64" \
	"$(section '  PASS image.non_root' 'evidence:')"
expect_eq "index: evidence per platform" \
"  linux/amd64: manifest $AMD64
    config:   $AMD64_CFG
    user:     1000" "$(section '  linux/amd64:' '    env:')"
expect_eq "index: the arm64 child is there too" "  linux/arm64: manifest $ARM64" \
	"$(line '  linux/arm64:')"

# ---- a missing tag ---------------------------------------------------------
explain docker.io/e2e/app:nope
expect_eq "missing tag: exit 4, nothing on stdout" "4|" "$X_RC|$X_OUT"
expect_eq "missing tag: the upstream's 404 named" \
	"regwarden: could not decide on docker.io/e2e/app:nope: upstream local answered 404 for manifest e2e/app:nope (MANIFEST_UNKNOWN: manifest unknown)" \
	"$X_ERR"
explain --json docker.io/e2e/app:nope
expect_eq "missing tag --json: an error object" \
	'{"image":"docker.io/e2e/app:nope","decision":"error","error":"upstream local answered 404 for manifest e2e/app:nope (MANIFEST_UNKNOWN: manifest unknown)"}' \
	"$X_OUT"

# ---- pins: read, never written --------------------------------------------
explain docker.io/tofu/app:1.0
expect_eq "pin_on_first_pull: exit 0, explain would pin but does not" \
	"0|  pin:      none; a pull through regwarden would pin the tag to $APP (pin_on_first_pull), explain pins nothing" \
	"$X_RC|$(line '  pin:')"
[ -e "$STATE/regwarden.db" ] && fail "explain created the state db" ||
	pass "explain created no state db"
explain docker.io/pinned/app:1.0
expect_eq "policy pin moved: exit 3, pin from the policy file" \
	"3|  pin:      $ROOT (policy file)" "$X_RC|$(line '  pin:')"
expect_eq "policy pin moved: the FAIL pins line names both digests" \
	"  FAIL pins: tag \"1.0\" moved: pinned to $ROOT, now $APP" \
	"$(line '  FAIL pins' | cut -d';' -f1)"
check "pins add (creates the db)" "$RW_BIN" pins -c "$CONF" add docker.io/pinned/app:2.0 "$APP"
explain docker.io/pinned/app:2.0
expect_eq "db pin: exit 0, pin from the state db" "0|  pin:      $APP (state db)" \
	"$X_RC|$(line '  pin:')"
explain docker.io/tofu/app:1.0
expect_eq "pin_on_first_pull with a db: still only would pin" "0" "$X_RC"
expect_eq "explain wrote no pin" "docker.io/pinned/app:2.0" \
	"$("$RW_BIN" pins -c "$CONF" ls --json | "$PY" -c 'import json,sys
print(",".join(p["host"] + "/" + p["repo"] + ":" + p["tag"] for p in map(json.loads, sys.stdin)))' 2>&1)"

# ---- upstreams with auth ---------------------------------------------------
explain tok.example/e2e/app:1.0
expect_eq "token upstream: exit 0, admitted" \
	"0|decision:   allow (would be served)|upstream:   tok ($TREG_URL)" \
	"$X_RC|$(line 'decision:')|$(line 'upstream:')"
grep -q "\"user\": \"$BOT\", \"status\": 200" "$TOK_REQS" &&
	pass "token upstream: the token came with the configured credentials" ||
	fail "token issuer never saw $BOT: $(cat "$TOK_REQS")"
explain basic.example/e2e/app:1.0
expect_eq "basic upstream: exit 0, admitted" "0|decision:   allow (would be served)" \
	"$X_RC|$(line 'decision:')"
explain anon.example/e2e/app:1.0
expect_eq "basic upstream without credentials: exit 4, said why" \
	"4|regwarden: could not decide on anon.example/e2e/app:1.0: upstream nocreds asks for Basic credentials and none are configured (credentials_file)" \
	"$X_RC|$X_ERR"

# ---- upstreams that lie ------------------------------------------------------
explain liar.example/e2e/app:1.0
expect_eq "liar by tag: exit 4, nothing on stdout" "4|" "$X_RC|$X_OUT"
expect_match "liar by tag: Docker-Content-Digest does not match the bytes" \
	"^regwarden: could not decide on liar.example/e2e/app:1.0: manifest e2e/app:1.0 from upstream liar hashes to sha256:[0-9a-f]{64}, not to its Docker-Content-Digest sha256:[0-9a-f]{64}\$" \
	"$X_ERR"
explain "liar.example/e2e/app@$APP"
expect_match "liar by digest: exit 4, the asked digest named" \
	"^4\|regwarden: could not decide on liar.example/e2e/app@$APP: manifest e2e/app@$APP from upstream liar hashes to sha256:[0-9a-f]{64}\$" \
	"$X_RC|$X_ERR"
explain redir.example/e2e/app:1.0
expect_eq "config blob behind a redirect: exit 0, verified config" "0|  config:   $APP_CFG" \
	"$X_RC|$(line '  config:')"
grep -q "\"listener\": \"target\", \"method\": \"GET\", \"path\": \"/storage/e2e/app/blobs/$APP_CFG\"" "$REDIR_REQS" &&
	pass "the config came from the redirect target" ||
	fail "the redirect target never served the config: $(cat "$REDIR_REQS")"
explain corrupt.example/e2e/app:1.0
expect_match "corrupted config blob: exit 4, its digest and the bytes' named" \
	"^4\|regwarden: could not decide on corrupt.example/e2e/app:1.0: the image config $APP_CFG from upstream corrupt hashes to sha256:[0-9a-f]{64}\$" \
	"$X_RC|$X_ERR"

# ---- signatures --------------------------------------------------------------
# Gathered as the proxy gathers them: the .sig tag's layers with their
# payloads, and the Notation / Sigstore bundle referrers.  A policy of its
# own, so that the one above keeps its revision (key files count in it).
SIGPOLICY=$E2E_TMP/sigpolicy.json
cat >"$SIGPOLICY" <<EOF
{ "version": 1,
  "rules": [
    { "name": "signed", "match": ["docker.io/sig/**", "corrupt.example/sig/**",
        "sigfail.example/sig/**"],
      "signatures": { "keys": ["release"] } },
    { "name": "bundled", "match": "docker.io/sigb/**",
      "signatures": { "keys": ["ci"] } }
  ],
  "keys": {
    "release": { "cosign_file": "$KEYS/release.pub" },
    "ci": { "keyless": { "trusted_root": "$SIGSTORE/trusted_root.json",
        "issuer": "https://issuer.example", "subject": "dev@example.com" } }
  }
}
EOF
sed 's|"policy": "policy.json"|"policy": "sigpolicy.json"|' "$CONF" >"$E2E_TMP/sigconfig.json"
X_CONF=$E2E_TMP/sigconfig.json
sign() {	# KEY IMAGE
	local out
	out=$("$RW_BIN" sign -c "$CONF" --key "$KEYS/$1.key" "$2" 2>&1) ||
		die "regwarden sign --key $1 $2 failed: $out"
}
sign release docker.io/sig/signed:1.0
sign stranger docker.io/sig/stranger:1.0
sign release docker.io/sig/multi:1.0
KID=sha256:$(openssl pkey -in "$KEYS/release.key" -pubout -outform DER 2>/dev/null |
	sha256sum | awk '{print $1}')
out=$("$PY" "$E2E_DIR/fake_sigstore.py" bundle "$SIGSTORE" --registry "$PLAIN_HOST" \
	--repo sigb/app --digest "$APP" --subject dev@example.com \
	--issuer https://issuer.example 2>&1) || die "fake_sigstore.py bundle failed: $out"
BUNDLE_REF=$(printf '%s' "$out" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["referrer"])')
SIGMT=application/vnd.dev.cosign.simplesigning.v1+json

explain docker.io/sig/signed:1.0
expect_eq "signed: exit 0, nothing on stderr, admitted by the rule" \
	"0||decision:   allow (would be served)|rule:       \"signed\" ($SIGPOLICY:3, enforce mode)" \
	"$X_RC|$X_ERR|$(line 'decision:')|$(line 'rule:')"
expect_eq "signed: the signature checks, signatures.key naming key and signature" \
"checks:
  PASS sources: docker.io/sig/signed is an allowed source (pattern \"docker.io/sig/**\")
  PASS signatures: signed by a key trusted for docker.io/sig/** (release); found 1 signature: 1 by a trusted key
  PASS signatures.key: signed by key release ($KID), signature signature layer 1" \
	"$(section 'checks:' 'evidence:')"
expect_eq "signed: the signature in the evidence" \
"  signatures: 1 found
    signature layer 1: $SIGMT" "$(section '  signatures:' 'message:')"
explain --json docker.io/sig/signed:1.0
expect_eq "signed --json: the signatures array" \
	"0|allow|[{\"origin\": \"signature layer 1\", \"media_type\": \"$SIGMT\"}]" \
	"$X_RC|$(printf '%s' "$X_OUT" | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
print(j["decision"] + "|" + json.dumps(j["signatures"]))' 2>&1)"

explain docker.io/sig/unsigned:1.0
expect_eq "unsigned: exit 3 (refused, not undecided), nothing on stderr" "3|" "$X_RC|$X_ERR"
expect_eq "unsigned: the FAIL signatures line" \
	"  FAIL signatures: no signature by any key trusted for docker.io/sig/** (trusted: release); the image has no cosign signature (no sha256-${APP#sha256:}.sig tag nor Sigstore bundle referrer in the repository). Sign it: regwarden sign --key <release key> docker.io/sig/unsigned@$APP" \
	"$(line '  FAIL signatures:')"
expect_eq "unsigned: signatures.key says the key did not sign, no signature found" \
"  FAIL signatures.key: no signature by key release ($KID)
evidence:
  config:   not fetched (the deciding rule does not read it)
  pin:      not read (the deciding rule checks no pin here)
  signatures: none found (no cosign .sig tag, no Notation or Sigstore bundle referrer)" \
	"$(section '  FAIL signatures.key' 'message:')"
explain --json docker.io/sig/unsigned:1.0
expect_eq "unsigned --json: deny and an empty signatures array" "3|deny|[]" \
	"$X_RC|$(printf '%s' "$X_OUT" | "$PY" -c 'import json,sys
j = json.load(sys.stdin)
print(j["decision"] + "|" + json.dumps(j["signatures"]))' 2>&1)"
X_CONF=$CONF explain docker.io/e2e/app:1.0 --json
expect_eq "a rule without signatures: signatures null" "None" \
	"$(printf '%s' "$X_OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["signatures"])' 2>&1)"

explain docker.io/sig/stranger:1.0
expect_eq "untrusted key: exit 3, the signature counted as by an unknown key" \
	"3|found 1 signature: 1 by an unknown key" \
	"$X_RC|$(line '  FAIL signatures:' | grep -o 'found 1 signature: 1 by an unknown key')"

explain docker.io/sigb/app:1.0
expect_eq "Sigstore bundle referrer: exit 0, admitted keyless" \
	"0|  PASS signatures.key: signed by key ci (keyless dev@example.com via https://issuer.example), signature Sigstore bundle ${BUNDLE_REF:7:12}" \
	"$X_RC|$(line '  PASS signatures.key' | cut -d';' -f1)"
expect_eq "Sigstore bundle referrer: the evidence line" \
"  signatures: 1 found
    Sigstore bundle ${BUNDLE_REF:7:12}: application/vnd.dev.sigstore.bundle.v0.3+json" \
	"$(section '  signatures:' 'message:')"

# A platform manifest has no .sig of its own: the index signed as a whole
# admits it once the proxy has served it through that index, as explain
# reads from the state db.  Before that, explain knows no index.
explain "docker.io/sig/multi@$AMD64"
expect_eq "platform manifest, no index known: exit 3" "3" "$X_RC"
start_regwarden "$(default_upstreams "$PLAIN_URL")" "{\"policy\": \"$SIGPOLICY\"}"
req GET "$RW_URL/v2/sig/multi/manifests/1.0" -H "Accept: application/vnd.oci.image.index.v1+json"
expect_code "the signed index is served by the proxy" 200
"$RW_BIN" explain -c "$RW_CONF" "docker.io/sig/multi@$AMD64" >"$E2E_TMP/x.out" 2>"$E2E_TMP/x.err"
X_RC=$?
X_OUT=$(cat "$E2E_TMP/x.out")
expect_eq "platform manifest of a signed index: exit 0, the index's signature" \
"0|  PASS signatures.key: signed by key release ($KID), signature signature layer 1
  signatures: 1 found (the .sig tag of index $MULTI, which lists this manifest)
    signature layer 1: $SIGMT" \
	"$X_RC|$(line '  PASS signatures.key')
$(section '  signatures:' 'message:')"
stop_regwarden_checked

# A payload that does not hash to its digest is left out, as at the proxy:
# the signature is then counted malformed.  A signature tag the upstream
# cannot serve leaves explain undecided.
explain corrupt.example/sig/signed:1.0
expect_eq "corrupted payload blob: exit 3, the signature counted malformed" \
	"3|found 1 signature: 1 malformed|    signature layer 1: $SIGMT" \
	"$X_RC|$(line '  FAIL signatures:' | grep -o 'found 1 signature: 1 malformed')|$(line '    signature layer 1')"
explain sigfail.example/sig/signed:1.0
expect_eq "signature tag answering 500: exit 4, nothing on stdout, the status named" \
	"4||regwarden: could not decide on sigfail.example/sig/signed:1.0: upstream sigfail answered 500 for the signature tag of $APP (UNKNOWN: storage down)" \
	"$X_RC|$X_OUT|$X_ERR"
X_CONF=

# ---- no policy configured --------------------------------------------------
NOPOL=$E2E_TMP/nopolicy.json
printf '{ "listen": "127.0.0.1:5443", "state_dir": "%s",\n  "upstreams": [ { "name": "local", "url": "%s", "insecure": true } ] }\n' \
	"$STATE" "$PLAIN_URL" >"$NOPOL"
"$RW_BIN" explain -c "$NOPOL" docker.io/e2e/root:1.0 >"$E2E_TMP/x.out" 2>&1
rc=$?
X_OUT=$(cat "$E2E_TMP/x.out")
expect_eq "no policy: exit 0, everything served, nothing checked" \
"0|decision:   allow (no policy configured: every image is served)
rule:       none (no policy configured)
checks:
  (none)" "$rc|$(section 'decision:' 'evidence:')"
out=$("$RW_BIN" check -c "$NOPOL" 2>&1)
expect_eq "check: a config without a policy (exit|output)" \
	"1|regwarden: $NOPOL has no \"policy\" key; name the file to check: regwarden check policy.json" "$?|$out"

# ---- usage -----------------------------------------------------------------
explain --op delete docker.io/e2e/app:1.0
expect_eq "usage: exit 2, the problem first" \
	'2|regwarden: --op must be "pull" or "push", not "delete"' "$X_RC|$(printf '%s\n' "$X_ERR" | head -n 1)"

finish
