#!/bin/bash
# tls_clients.test.sh - which TLS clients the libmicrohttpd/GnuTLS front
# end serves, and the one known to fail: a client that sends its
# "host:port" as the TLS server name (SNI).  GnuTLS 3.7 refuses such a
# ClientHello ("Server name is not acceptable", logged by libmicrohttpd as
# "received handshake message out of context") under TLS 1.2 and 1.3
# alike; RFC 6066 §3 says a HostName is a DNS name without a port.
# hey 0.1.4 (Debian's) sets tls.Config.ServerName to the request's Host,
# port included, so every request fails with EOF; `hey -host <name>` sends
# a valid SNI and works.  curl, openssl with a valid name, containerd and
# podman (e2e containerd/podman) send none or a valid one.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry curl openssl hey
rw_only || { pass "TLS client checks need regwarden (E2E_DIRECT=1)"; finish; }
start_registry
start_regwarden

# s_client NAME [OPTS]: the protocol negotiated with SNI NAME, from
# openssl's "New, TLSv1.3, Cipher is ..." line; "" when no cipher was.
s_client() {
	local name=$1
	shift
	echo | timeout 10 openssl s_client -connect "$RW_HOST" -servername "$name" "$@" 2>/dev/null |
		awk '/^New, / && !/\(NONE\)/ {sub(",", "", $2); print $2}' | head -n 1
}
for v in 1.2 1.3; do
	expect_eq "curl, TLS $v at most: /v2/ answers" 200 \
		"$(http_code "$RW_URL/v2/" --tls-max "$v" ${v:+--tlsv$v})"
done
expect_eq "openssl, SNI localhost: TLS 1.3" TLSv1.3 "$(s_client localhost)"
expect_eq "openssl, SNI 127.0.0.1: TLS 1.3" TLSv1.3 "$(s_client 127.0.0.1)"
expect_eq "openssl, TLS 1.2, SNI localhost" TLSv1.2 "$(s_client localhost -tls1_2)"
expect_eq "openssl, SNI with a port: no handshake (TLS 1.3)" "" "$(s_client "$RW_HOST")"
expect_eq "openssl, SNI with a port: no handshake (TLS 1.2)" "" "$(s_client "$RW_HOST" -tls1_2)"

# hey: its status code distribution ("[200] 4 responses") or its errors.
OUT=$(timeout 60 hey -n 4 -c 2 "$RW_URL/v2/" 2>&1)
expect_contains "hey with the port in its SNI: every request fails" "[4]	Get \"$RW_URL/v2/\": EOF" "$OUT"
OUT=$(timeout 60 hey -n 4 -c 2 -host 127.0.0.1 "$RW_URL/v2/" 2>&1)
expect_contains "hey -host 127.0.0.1 (SNI without the port): all answered" "[200]	4 responses" "$OUT"
expect_contains "regwarden's log names the refused handshake" \
	"received handshake message out of context" "$(cat "$RW_LOG")"

stop_regwarden_checked
finish
