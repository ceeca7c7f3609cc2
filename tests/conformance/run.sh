#!/usr/bin/env bash
# The Sigstore conformance suite's bundle-verify cases, through
# `regwarden verify-bundle` as the suite's own harness drives a client:
# every case whose name ends in _fail must be refused (exit 1, a reason on
# stderr), every other case must verify (exit 0).  The cases, unchanged
# from sigstore/sigstore-conformance, are in tests/fixtures/sigstore-conformance.
#
# usage: run.sh REGWARDEN_BINARY [CASE_GLOB]
set -uo pipefail
bin=${1:?usage: run.sh REGWARDEN_BINARY [CASE_GLOB]}
glob=${2:-*}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/sigstore-conformance" && pwd)
identity='https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main'
issuer='https://token.actions.githubusercontent.com'
pass=0 fail=0
for dir in "$here"/bundle-verify/$glob/; do
	case=$(basename "$dir")
	root="$here/trusted_root.public-good.json"
	[ -f "$dir/trusted_root.json" ] && root="$dir/trusted_root.json"
	artifact="$here/a.txt"
	[ -f "$dir/artifact" ] && artifact="$dir/artifact"
	args=(verify-bundle --bundle "$dir/bundle.sigstore.json" --trusted-root "$root")
	if [ -f "$dir/key.pub" ]; then
		args+=(--key "$dir/key.pub")
	else
		id=$identity iss=$issuer
		[ -f "$dir/identity" ] && id=$(cat "$dir/identity")
		[ -f "$dir/issuer" ] && iss=$(cat "$dir/issuer")
		args+=(--certificate-identity "$id" --certificate-oidc-issuer "$iss")
	fi
	out=$("$bin" "${args[@]}" "$artifact" 2>&1)
	rc=$?
	want=0
	case "$case" in *_fail) want=1 ;; esac
	if [ "$rc" -eq "$want" ]; then
		pass=$((pass + 1))
		echo "ok - $case: $out"
	else
		fail=$((fail + 1))
		echo "FAIL - $case (exit $rc, want $want): $out"
	fi
done
echo "conformance: $pass passed, $fail failed"

# Beyond the suite: the digest form of the artifact argument, and the
# identity and issuer really being compared (verbatim messages).
own_pass=0
check() { # NAME WANT-EXIT WANT-OUTPUT-SUBSTRING ARGS...
	local name=$1 want=$2 text=$3 out rc
	shift 3
	out=$("$bin" verify-bundle "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && [[ $out == *"$text"* ]]; then
		own_pass=$((own_pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "FAIL - $name (exit $rc, want $want; want \"$text\"): $out"
	fi
}
if [ "$glob" = "*" ]; then
	hp=$here/bundle-verify/happy-path-v0.3
	base=(--bundle "$hp/bundle.sigstore.json" --trusted-root "$here/trusted_root.public-good.json")
	digest=sha256:$(sha256sum "$here/a.txt" | cut -d' ' -f1)
	check "digest argument" 0 "logged in rekor.sigstore.dev at index 79571823, signed at 2024-03-19T17:26:26Z" \
		"${base[@]}" --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" "$digest"
	check "another digest" 1 "wrong digest: the bundle's message digest is not the artifact's" \
		"${base[@]}" --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" \
		sha256:0000000000000000000000000000000000000000000000000000000000000000
	check "another identity" 1 "bad signature: certificate identity" \
		"${base[@]}" --certificate-identity "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main" \
		--certificate-oidc-issuer "$issuer" "$here/a.txt"
	check "identity regex anchored" 0 "verified: signed by $identity" \
		"${base[@]}" --certificate-identity-regexp "https://github\.com/sigstore-conformance/.*" \
		--certificate-oidc-issuer "$issuer" "$here/a.txt"
	check "another issuer" 1 "bad signature: certificate OIDC issuer" \
		"${base[@]}" --certificate-identity "$identity" --certificate-oidc-issuer https://accounts.google.com "$here/a.txt"
	check "no trusted root" 2 "--trusted-root is required" \
		--bundle "$hp/bundle.sigstore.json" --certificate-identity "$identity" --certificate-oidc-issuer "$issuer" "$here/a.txt"
	echo "own checks: $own_pass passed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
