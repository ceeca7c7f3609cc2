#!/bin/bash
# hostile.test.sh - requests and connections from an attacker (issue #9):
# a manifest PUT smuggled inside an upload (Content-Length beside
# Transfer-Encoding) never reaches the registry; ambiguous framing and a
# missing Host are refused 400 with the OCI envelope and the connection
# closed; 80 slow-header connections from 127.0.0.1 do not keep a client
# from 127.0.0.2 out; a header that does not arrive within timeouts.header
# gets its connection closed; TLS 1.0 and 1.1 are refused, 1.2 and 1.3
# accepted.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl openssl
rw_only || { pass "hostile tests need regwarden (E2E_DIRECT=1)"; finish; }

H() { "$PY" "$E2E_DIR/hostile.py" "$@"; }

# expect_raw NAME STATUS OUT [MESSAGE]: OUT of `hostile.py raw` is STATUS
# with an OCI error envelope (saying MESSAGE, when given), and the server
# closed the connection.
expect_raw() {
	local name=$1 want=$2 out=$3 msg=${4:-}
	local st body
	st=$(sed -n 's/^status //p' <<<"$out")
	body=$(sed -n 's/^body //p' <<<"$out")
	if [ "$st" != "$want" ]; then
		fail "$name: expected HTTP $want, got: $out"
	elif ! "$PY" -c 'import json,sys; assert json.loads(sys.argv[1])["errors"][0]["code"]' "$body" 2>/dev/null; then
		fail "$name: no OCI error envelope: $out"
	elif [ -n "$msg" ] && [[ $body != *"\"message\":\"$msg\""* ]]; then
		fail "$name: expected the message \"$msg\", got: $body"
	elif ! grep -qx closed <<<"$out"; then
		fail "$name: the connection stayed open: $out"
	else
		pass "$name"
	fi
}

start_registry
mkimage "$E2E_TMP/root" --seed 91 --layers 1 --layer-size 20k
ROOT_TOP=$(json_get "$E2E_TMP/root.json" 'j["top"]')
MANIFEST=$E2E_TMP/root/blobs/sha256/${ROOT_TOP#sha256:}
seed_image "$E2E_TMP/root" ci/app:seed

POLICY=$E2E_TMP/policy.json
cat >"$POLICY" <<'EOF'
{
  "version": 1,
  "default": "deny",
  "rules": [
    { "name": "ci-push", "match": "docker.io/ci/**", "operations": ["push"],
      "image": { "non_root": true } },
    { "name": "ci-pull", "match": "docker.io/ci/**", "operations": ["pull"] }
  ]
}
EOF
start_regwarden_policy "$POLICY"
P=$RW_PORT

# ---- 4: request smuggling ------------------------------------------------
req PUT "$RW_URL/v2/ci/app/manifests/direct" --data-binary "@$MANIFEST" \
	-H "Content-Type: application/vnd.oci.image.manifest.v1+json"
expect_oci_error "the root image pushed directly is refused" 403 DENIED

out=$(H smuggle "$P" "$RW_HOST" ci/app smuggled "$MANIFEST")
expect_raw "POST with Content-Length: 5 and Transfer-Encoding: chunked -> 400" 400 "$out" \
	"regwarden: a request may not carry both Content-Length and Transfer-Encoding"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	-H "Accept: application/vnd.oci.image.manifest.v1+json" "$REG_URL/v2/ci/app/manifests/smuggled")
expect_eq "the registry itself has no tag \"smuggled\"" 404 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	-H "Accept: application/vnd.oci.image.manifest.v1+json" "$REG_URL/v2/ci/app/manifests/direct")
expect_eq "nor a tag \"direct\"" 404 "$code"

UP="POST /v2/ci/app/blobs/uploads/ HTTP/1.1\r\nHost: $RW_HOST\r\n"
out=$(H raw "$P" "${UP}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
expect_raw "plain Content-Length + chunked -> 400 at once" 400 "$out" \
	"regwarden: a request may not carry both Content-Length and Transfer-Encoding"
out=$(H raw "$P" "${UP}Transfer-Encoding: xchunked\r\n\r\nhello")
expect_raw "Transfer-Encoding: xchunked -> 400 at once" 400 "$out" \
	"regwarden: Transfer-Encoding other than a single \\\"chunked\\\" is not supported"
out=$(H raw "$P" "${UP}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
expect_raw "Transfer-Encoding: gzip, chunked -> 400" 400 "$out"
out=$(H raw "$P" "${UP}Content-Length: 5\r\nContent-Length: 7\r\n\r\nhello12")
expect_raw "two Content-Length headers -> 400" 400 "$out" \
	"regwarden: more than one Content-Length header"
out=$(H raw "$P" "${UP}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")
expect_raw "two equal Content-Length headers -> 400" 400 "$out"
# libmicrohttpd answers a Content-Length it cannot parse itself (its own
# 400 page, before regwarden sees the request): status and close only.
out=$(H raw "$P" "${UP}Content-Length: 5, 5\r\n\r\nhello")
if grep -qx 'status 400' <<<"$out" && grep -qx closed <<<"$out"; then
	pass "Content-Length: 5, 5 -> 400 and closed (libmicrohttpd)"
else
	fail "Content-Length: 5, 5: $out"
fi
# A well-framed chunked upload still works.
out=$(H raw "$P" "${UP}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
if grep -qx 'status 202' <<<"$out"; then
	pass "a chunked POST alone is still served (202)"
else
	fail "a chunked POST alone: $out"
fi

# ---- 8: Host ---------------------------------------------------------------
out=$(H raw "$P" "GET /v2/ HTTP/1.1\r\n\r\n")
expect_raw "HTTP/1.1 without Host -> 400" 400 "$out" \
	"regwarden: an HTTP/1.1 request must carry a Host header"
out=$(H raw "$P" "GET /v2/ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
expect_raw "two Host headers -> 400" 400 "$out" "regwarden: more than one Host header"
out=$(H raw "$P" "GET /v2/ HTTP/1.0\r\n\r\n")
if grep -qx 'status 200' <<<"$out"; then
	pass "HTTP/1.0 without Host is served (200)"
else
	fail "HTTP/1.0 without Host: $out"
fi

stop_regwarden_checked

# ---- 6: slowloris ------------------------------------------------------------
# A small server: 64 connections, 32 from one address at most; a header
# deadline long enough that only the per-address cap is at work here.
start_regwarden "$(default_upstreams)" \
	'{"threads": 2, "limits": {"max_connections": 64, "max_connections_per_ip": 32},
	  "timeouts": {"header": 30, "idle": 30}}'
P=$RW_PORT
SLOW=$E2E_TMP/slow.out
H slow "$P" 80 8 --src 127.0.0.1 >"$SLOW" 2>&1 &
SLOW_PID=$!
wait_until 20 grep -q '^opened' "$SLOW" || fail "the slow connections did not open: $(cat "$SLOW")"
expect_eq "80 slow connections from 127.0.0.1: 32 get in (limits.max_connections_per_ip)" \
	"opened 32" "$(grep '^opened' "$SLOW")"
t0=$(date +%s%N)
code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 --interface 127.0.0.2 "$RW_URL/v2/")
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "meanwhile a client from 127.0.0.2 is answered within 2 s (${ms} ms)" 200 "$code"
code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 --interface 127.0.0.1 "$RW_URL/v2/")
expect_eq "while 127.0.0.1 itself gets no further connection" 000 "$code"
wait "$SLOW_PID"
expect_eq "the 32 slow connections were held open all along (header deadline 30 s)" \
	"alive 32" "$(grep '^alive' "$SLOW")"
stop_regwarden_checked

# ---- 6: header deadline ------------------------------------------------------
# timeouts.header 2 s; the idle timeout (30 s) would never fire on a
# header that comes a byte a second: every byte resets it.
start_regwarden "$(default_upstreams)" '{"timeouts": {"header": 2, "idle": 30}}'
P=$RW_PORT

out=$(H deadline "$P" --tls)
s=$(sed -n 's/^closed_after //p' <<<"$out")
if [ -n "$s" ] && "$PY" -c 'import sys; assert 1.5 <= float(sys.argv[1]) <= 5' "$s"; then
	pass "a header sent a byte a second is cut off after timeouts.header (${s} s)"
else
	fail "a slow header with timeouts.header 2: $out"
fi
out=$(H deadline "$P")
s=$(sed -n 's/^closed_after //p' <<<"$out")
if [ -n "$s" ] && "$PY" -c 'import sys; assert 1.5 <= float(sys.argv[1]) <= 5' "$s"; then
	pass "a connection that never starts TLS is closed after timeouts.header (${s} s)"
else
	fail "a silent TCP connection with timeouts.header 2: $out"
fi
out=$(H deadline "$P" --keepalive)
s=$(sed -n 's/^closed_after //p' <<<"$out")
if [ -n "$s" ] && "$PY" -c 'import sys; assert 1.5 <= float(sys.argv[1]) <= 5' "$s"; then
	pass "on a kept-alive connection, a slow second header is cut off too (${s} s)"
else
	fail "a slow second header on a kept-alive connection: $out"
fi
out=$(curl -sk -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
	--max-time 10 "$RW_URL/v2/" "$RW_URL/v2/")
expect_eq "two requests on one kept-alive connection still work" "200 1 200 0" "$(echo $out)"

# ---- 7: TLS versions -----------------------------------------------------------
# The client allows every version and cipher (SECLEVEL 0), so a refusal
# is the server's.
tls_try() {
	openssl s_client -connect "$RW_HOST" "$1" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1
}
# s_client prints "New, <version>, Cipher is <suite>" for a handshake
# that completed, "New, (NONE), Cipher is (NONE)" for one that did not.
for v in tls1:TLSv1 tls1_1:TLSv1.1 tls1_2:TLSv1.2 tls1_3:TLSv1.3; do
	out=$(tls_try -${v%%:*})
	got=$(grep -m1 '^New, ' <<<"$out")
	case ${v#*:}:$got in
	TLSv1:"New, (NONE), Cipher is (NONE)" | TLSv1.1:"New, (NONE), Cipher is (NONE)")
		pass "openssl s_client -${v%%:*} is refused" ;;
	TLSv1.2:"New, TLSv1.2, Cipher is "* | TLSv1.3:"New, TLSv1.3, Cipher is "*)
		pass "openssl s_client -${v%%:*} is accepted ($got)" ;;
	*) fail "openssl s_client -${v%%:*}: $got $(grep -m3 -E 'alert|error' <<<"$out")" ;;
	esac
done

stop_regwarden_checked
finish
