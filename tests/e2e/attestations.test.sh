#!/bin/bash
# attestations.test.sh - cosign attestations at the proxy: images attested
# by an independent DSSE signer (tests/e2e/dsse_attest.py, Python
# `cryptography`, cosign's .att layout) are admitted on ctr and podman pulls
# when a rule's "attestations" are met (SLSA provenance from the right
# builder and repository, an SBOM, both by the "ci" key), and refused, with
# the reason in both clients' stderr, for a missing SBOM, provenance from
# another repository, an SBOM for another digest and an SBOM by an
# untrusted signer.  The .att tags themselves stay pullable, and
# regwarden_attestation_verifications_total counts both outcomes.  An SBOM of
# 2.4 MB (16,000 packages) is read and admitted; attestations.memory_bytes
# bounds the envelopes held at once: one larger than it, or one that does
# not fit beside another pull's, gets 503 with the reason.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo podman containerd ctr curl openssl
rw_only || { pass "attestation tests need regwarden (E2E_DIRECT=1)"; finish; }

start_registry

KEYS=$E2E_TMP/keys
make_keys "$KEYS" ci stranger scanner

IMAGES="good nosbom fork other stranger cli vulncrit vulnclean bigsbom bigsbom2"
seed=41
for i in $IMAGES; do
	mkimage "$E2E_TMP/$i" --seed $seed --layers 1 --layer-size 20k --user 1000
	seed_image "$E2E_TMP/$i" "e2e/$i:1.0"
	seed=$((seed + 1))
done
top() { json_get "$E2E_TMP/$1.json" 'j["top"]'; }

cat >"$E2E_TMP/prov-acme.json" <<'EOF'
{ "buildDefinition": { "buildType": "https://actions.github.io/buildtypes/workflow/v1",
    "externalParameters": { "workflow": { "ref": "refs/heads/main",
      "repository": "https://github.com/acme/app", "path": ".github/workflows/build.yml" } } },
  "runDetails": { "builder": { "id": "https://github.com/actions/runner" } } }
EOF
sed 's#github.com/acme/app#github.com/mallory/app#' "$E2E_TMP/prov-acme.json" \
	>"$E2E_TMP/prov-fork.json"
cat >"$E2E_TMP/sbom.json" <<'EOF'
{ "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
  "name": "e2e", "packages": [ { "name": "busybox", "versionInfo": "1.36.1" } ] }
EOF

attest() {	# KEY IMAGE TYPE PREDICATE [SUBJECT_DIGEST]
	local out
	if out=$("$PY" "$E2E_DIR/dsse_attest.py" --registry "$REG_URL" \
		--repo "e2e/$2" --digest "$(top "$2")" ${5:+--subject "$5"} \
		--key "$KEYS/$1.key" --type "$3" --predicate "$E2E_TMP/$4" 2>&1); then
		pass "dsse_attest.py: $out"
	else
		fail "dsse_attest.py $*: $out"
	fi
}
PROV=https://slsa.dev/provenance/v1
SPDX=https://spdx.dev/Document
attest ci good $PROV prov-acme.json
attest ci good $SPDX sbom.json
attest ci nosbom $PROV prov-acme.json
attest ci fork $PROV prov-fork.json
attest ci fork $SPDX sbom.json
attest ci other $PROV prov-acme.json
attest ci other $SPDX sbom.json "$(top good)"
attest ci stranger $PROV prov-acme.json
attest stranger stranger $SPDX sbom.json

# An SBOM as big as real ones: 16,000 packages, a 1.5 MiB predicate and a
# 2 MiB envelope, far past the 64 KiB of a signature blob.
"$PY" -c 'import json,sys
json.dump({"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
           "name": "big", "packages": [{"name": "pkg-%05d" % i, "SPDXID": "SPDXRef-Package-%05d" % i,
                                        "versionInfo": "1.0.%d" % i, "downloadLocation": "NOASSERTION"}
                                       for i in range(16000)]}, open(sys.argv[1], "w"))' \
	"$E2E_TMP/sbom-big.json"
attest ci bigsbom $PROV prov-acme.json
attest ci bigsbom $SPDX sbom-big.json
attest ci bigsbom2 $PROV prov-acme.json
attest ci bigsbom2 $SPDX sbom-big.json
att_layer() {	# IMAGE FIELD: the SBOM layer's size or digest
	curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"$REG_URL/v2/e2e/$1/manifests/sha256-$(top "$1" | cut -d: -f2).att" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["layers"][1][sys.argv[1]])' "$2"
}
BIGSIZE=$(att_layer bigsbom size)
if [ "${BIGSIZE:-0}" -gt 1048576 ]; then
	pass "the big SBOM's envelope is $BIGSIZE bytes (over 1 MiB)"
else
	fail "the big SBOM's envelope is ${BIGSIZE:-?} bytes, not over 1 MiB"
fi

# cosign's vuln predicate, holding a Trivy report in scanner.result
vuln_predicate() {	# IMAGE OUT [--vuln ID SEV PKG INSTALLED FIXED]
	local img=$1 out=$2
	shift 2
	"$PY" "$E2E_DIR/mkreport.py" --repo "e2e/$img" --manifest "$(top "$img")" \
		--created 2025-06-01T00:00:00Z "$@" --out "$E2E_TMP/$img-trivy.json" ||
		die "mkreport.py failed for $img"
	"$PY" -c 'import json,sys
r = json.load(open(sys.argv[1]))
json.dump({"invocation": {"parameters": None, "uri": "", "event_id": "", "builder.id": ""},
           "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.50.1", "version": "0.50.1",
                       "db": {"uri": "", "version": ""}, "result": r},
           "metadata": {"scanStartedOn": "2025-06-01T00:00:00Z",
                        "scanFinishedOn": "2025-06-01T00:00:00Z"}}, open(sys.argv[2], "w"))' \
		"$E2E_TMP/$img-trivy.json" "$E2E_TMP/$out"
}
vuln_predicate vulncrit pred-vulncrit.json --vuln CVE-2024-0001 CRITICAL openssl 3.0.1 3.0.2
vuln_predicate vulnclean pred-vulnclean.json
VULN=https://cosign.sigstore.dev/attestation/vuln/v1
attest scanner vulncrit $VULN pred-vulncrit.json
attest scanner vulnclean $VULN pred-vulnclean.json

cat >"$E2E_TMP/policy.json" <<EOF
{
  "version": 1,
  "keys": { "ci": { "cosign_file": "$KEYS/ci.pub" },
            "scanner": { "cosign_file": "$KEYS/scanner.pub" } },
  "rules": [
    { "name": "scanned", "match": "docker.io/e2e/vuln*", "operations": ["pull"],
      "attestations": [ { "type": "vuln", "keys": ["scanner"], "as_scan": true } ],
      "scan": { "max_severity": "high", "unscanned": "deny" } },
    { "name": "attested", "match": "docker.io/e2e/**", "operations": ["pull"],
      "attestations": [
        { "type": "slsaprovenance1", "keys": ["ci"],
          "conditions": [
            { "path": "predicate.runDetails.builder.id", "equals": "https://github.com/actions/runner" },
            { "path": "predicate.buildDefinition.externalParameters.workflow.repository",
              "matches": "https://github.com/acme/.*" } ] },
        { "type": "sbom", "keys": ["ci"] } ] },
    { "name": "pushes", "match": "docker.io/e2e/**", "operations": ["push"] }
  ]
}
EOF
if out=$("$RW_BIN" check "$E2E_TMP/policy.json" 2>&1); then
	pass "regwarden check accepts the policy: $out"
else
	fail "regwarden check refuses the policy: $out"
fi
admin_section
start_regwarden_policy "$E2E_TMP/policy.json" "{\"admin\": $ADMIN_JSON}"
wait_until 10 code_is 200 "$ADMIN_URL/healthz" ||
	die "the admin listener did not answer $ADMIN_URL/healthz within 10 s"
# series SERIES FILE: its value in a scrape of /metrics ("missing" if absent).
series() { awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? "missing" : v) }' "$2"; }
scrape() { curl -s -H "Authorization: Bearer $ADMIN_TOKEN" -o "$1" "$ADMIN_URL/metrics"; }
scrape "$E2E_TMP/metrics.before"

# ---- regwarden attest: cosign's .att layout, checked before the push --------
rw_attest() {	# KEY IMAGE TYPE PREDICATE; sets out
	if out=$("$RW_BIN" attest -c "$RW_CONF" --key "$KEYS/$1.key" --type "$3" \
		--predicate "$E2E_TMP/$4" "docker.io/$2" 2>&1); then
		pass "regwarden attest --type $3 $2: $out"
	else
		fail "regwarden attest --type $3 $2 failed: $out"
	fi
}
rw_attest ci e2e/cli:1.0 slsaprovenance1 prov-acme.json
rw_attest ci e2e/cli:1.0 spdxjson sbom.json
expect_contains "regwarden attest names what it pushed" \
	"attested docker.io/e2e/cli@$(top cli) (https://spdx.dev/Document) with key sha256:" "$out"
if out=$("$RW_BIN" attest -c "$RW_CONF" --key "$KEYS/ci.key" --type sbom \
	--predicate "$E2E_TMP/sbom.json" docker.io/e2e/cli:1.0 2>&1); then
	fail "regwarden attest --type sbom succeeded: $out"
else
	expect_contains "regwarden attest refuses a family name as --type" \
		'regwarden: cannot attest docker.io/e2e/cli:1.0: --type "sbom" is neither a predicate type URI nor a cosign --type name' "$out"
fi

start_containerd
podman_init

if ctr_pull e2e/cli:1.0; then pass "ctr pull of the image attested by regwarden attest"; else
	fail "ctr pull of the regwarden-attested image failed: $CTR_OUT"; fi
if podman_pull e2e/cli:1.0; then pass "podman pull of the image attested by regwarden attest"; else
	fail "podman pull of the regwarden-attested image failed: $PODMAN_OUT"; fi
if ctr_pull e2e/good:1.0; then pass "ctr pull of the attested image"; else
	fail "ctr pull of the attested image failed: $CTR_OUT"; fi
if podman_pull e2e/good:1.0; then pass "podman pull of the attested image"; else
	fail "podman pull of the attested image failed: $PODMAN_OUT"; fi

refused() {	# LABEL IMAGE WANT
	if ctr_pull "$2"; then
		fail "ctr pull of $2 ($1) succeeded"
	else
		show_client_line ctr "$CTR_OUT"
		expect_contains "ctr shows why $2 is refused ($1)" "$3" "$CTR_OUT"
	fi
	if podman_pull "$2"; then
		fail "podman pull of $2 ($1) succeeded"
	else
		show_client_line podman "$PODMAN_OUT"
		expect_contains "podman shows why $2 is refused ($1)" "$3" "$PODMAN_OUT"
	fi
}
if ctr_pull e2e/bigsbom:1.0; then pass "ctr pull of the image with a $BIGSIZE-byte SBOM attestation"; else
	fail "ctr pull of the big-SBOM image failed: $CTR_OUT"; fi
if podman_pull e2e/bigsbom:1.0; then pass "podman pull of the image with a $BIGSIZE-byte SBOM attestation"; else
	fail "podman pull of the big-SBOM image failed: $PODMAN_OUT"; fi

refused "no SBOM" e2e/nosbom:1.0 \
	"no SBOM by a trusted signer (found: none)"
refused "provenance from another repository" e2e/fork:1.0 \
	"no SLSA provenance by a trusted signer (found: 1 provenance by ci, predicate.buildDefinition.externalParameters.workflow.repository https://github.com/mallory/app does not match https://github.com/acme/.*)"
refused "SBOM for another digest" e2e/other:1.0 \
	"no SBOM by a trusted signer (found: 1 SBOM by ci, for another image ($(top good)))"
refused "SBOM by an untrusted signer" e2e/stranger:1.0 \
	"no SBOM by a trusted signer (found: 1 SBOM by an untrusted signer)"

# ---- as_scan: a signed Trivy report judged like an imported one --------------
if ctr_pull e2e/vulnclean:1.0; then pass "ctr pull of an image whose attested scan is clean"; else
	fail "ctr pull of the clean attested scan failed: $CTR_OUT"; fi
refused "attested scan with a critical finding" e2e/vulncrit:1.0 \
	"1 finding above high: CVE-2024-0001 (critical, openssl 3.0.1 → 3.0.2); scanned 2025-06-01T00:00:00Z by trivy"
"$RW_BIN" scans -c "$RW_CONF" ls --json >"$E2E_TMP/scans.out" 2>&1
expect_contains "the attested scan is stored, marked with its signer" \
	'"artifact":"attested by scanner: e2e/vulncrit"' "$(cat "$E2E_TMP/scans.out")"

# ---- explain: each requirement, and how its conditions fared ------------------
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/good:1.0 >"$E2E_TMP/x.out" 2>&1
XOUT=$(cat "$E2E_TMP/x.out")
expect_contains "explain lists the provenance and its conditions" \
	"PASS attestations: SLSA provenance by ci: predicate.runDetails.builder.id https://github.com/actions/runner equals https://github.com/actions/runner; predicate.buildDefinition.externalParameters.workflow.repository https://github.com/acme/app matches https://github.com/acme/.*" "$XOUT"
expect_contains "explain lists the SBOM" "PASS attestations: SBOM by ci" "$XOUT"
"$RW_BIN" explain -c "$RW_CONF" docker.io/e2e/fork:1.0 >"$E2E_TMP/x.out" 2>&1
XOUT=$(cat "$E2E_TMP/x.out")
expect_contains "explain shows the condition that failed" \
	"FAIL attestations: no SLSA provenance by a trusted signer (found: 1 provenance by ci, predicate.buildDefinition.externalParameters.workflow.repository https://github.com/mallory/app does not match https://github.com/acme/.*)" "$XOUT"

# ---- the metric: attestation requirements by outcome, apart from signatures --
scrape "$E2E_TMP/metrics.after"
ATT='regwarden_attestation_verifications_total'
for o in verified failed; do
	b=$(series "$ATT{outcome=\"$o\"}" "$E2E_TMP/metrics.before")
	a=$(series "$ATT{outcome=\"$o\"}" "$E2E_TMP/metrics.after")
	if [ "$b" = 0 ] && [ "$a" != missing ] && [ "$a" -gt 0 ]; then
		pass "metrics: $ATT{outcome=\"$o\"} moved: $b -> $a"
	else
		fail "metrics: $ATT{outcome=\"$o\"} did not move: $b -> $a"
	fi
done
expect_eq "metrics: no rule checks signatures, so no signature verification was counted" \
	"0 0" "$(series 'regwarden_signature_verifications_total{outcome="verified"}' "$E2E_TMP/metrics.after") $(series 'regwarden_signature_verifications_total{outcome="failed"}' "$E2E_TMP/metrics.after")"

GOOD=$(top good)
req GET "$RW_URL/v2/e2e/good/manifests/sha256-${GOOD#sha256:}.att" \
	-H "Accept: application/vnd.oci.image.manifest.v1+json"
expect_code "the attestation manifest is pullable through regwarden" 200

stop_regwarden_checked

# ---- the memory budget of envelopes: exhausted, the decision fails closed ----
RW_INSTANCE=rw-budget start_regwarden_policy "$E2E_TMP/policy.json" \
	'{"attestations": {"memory_bytes": 1048576}}'
req GET "$RW_URL/v2/e2e/bigsbom/manifests/1.0" -H "Accept: application/vnd.oci.image.manifest.v1+json"
expect_code "with attestations.memory_bytes 1 MiB, the $BIGSIZE-byte envelope is not read: 503" 503
expect_contains "and the answer says why" \
	"regwarden: could not decide on docker.io/e2e/bigsbom:1.0: attestation layer 2 ($BIGSIZE bytes) is larger than attestations.memory_bytes (1048576 bytes); raise it to read this image's attestations" \
	"$(cat "$R_BODY")"
req GET "$RW_URL/v2/e2e/good/manifests/1.0" -H "Accept: application/vnd.oci.image.manifest.v1+json"
expect_code "small envelopes still fit the budget: e2e/good admitted" 200
stop_regwarden_checked

# Room for one big envelope (3 MiB), two pulls at once: the upstream is made
# slow for the first one's SBOM (slow_proxy.py), so it holds its envelope's
# bytes while the second asks for as many: the second gets 503, and once the
# first is done it is admitted.
SLOW_PORT=$(free_port)
bg_start "$E2E_TMP/slow_proxy.log" "$PY" "$E2E_DIR/slow_proxy.py" \
	--listen "$SLOW_PORT" --registry "$REG_URL" --slow "$(att_layer bigsbom digest)" --sleep 8
wait_until 10 code_is_any "200 401" "http://127.0.0.1:$SLOW_PORT/v2/" ||
	die "slow_proxy.py did not answer"
RW_INSTANCE=rw-busy start_regwarden "$(default_upstreams "http://127.0.0.1:$SLOW_PORT")" \
	"{\"policy\": \"$E2E_TMP/policy.json\", \"attestations\": {\"memory_bytes\": 3145728}}"
MT_ACCEPT="Accept: application/vnd.oci.image.manifest.v1+json"
curl -sk -o "$E2E_TMP/first.body" -w '%{http_code}' --max-time 60 -H "$MT_ACCEPT" \
	"$RW_URL/v2/e2e/bigsbom/manifests/1.0" >"$E2E_TMP/first.code" &
FIRST=$!
sleep 3
req GET "$RW_URL/v2/e2e/bigsbom2/manifests/1.0" -H "$MT_ACCEPT"
expect_code "a second big envelope while the first is held: 503" 503
BIG2=$(att_layer bigsbom2 size)
expect_contains "and the answer says why" \
	"regwarden: could not decide on docker.io/e2e/bigsbom2:1.0: attestation layer 2 ($BIG2 bytes) does not fit in attestations.memory_bytes (3145728 bytes) beside the envelopes other pulls hold; try again shortly" \
	"$(cat "$R_BODY")"
wait "$FIRST"
expect_eq "the first pull, its SBOM slow to come, is admitted" 200 "$(cat "$E2E_TMP/first.code")"
req GET "$RW_URL/v2/e2e/bigsbom2/manifests/1.0" -H "$MT_ACCEPT"
expect_code "once the first is done, the second fits: admitted" 200
stop_regwarden_checked
finish
