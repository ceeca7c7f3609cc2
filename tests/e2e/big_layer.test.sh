#!/bin/bash
# big_layer.test.sh - a 200 MiB layer pushed and pulled through regwarden;
# regwarden's peak resident memory (VmHWM) must stay under 96 MiB, i.e. it
# must stream blobs, not hold them.  A memory bound, not a timing one.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools docker-registry skopeo curl sha256sum
LIMIT_KB=$((96 * 1024))
SIZE=${E2E_BIG_LAYER:-200m}

avail_kb=$(df -Pk "$E2E_TMP" | awk 'NR == 2 {print $4}')
[ "$avail_kb" -gt $((1100 * 1024)) ] ||
	die "need about 1.1 GiB free in $E2E_TMP for the 200 MiB layer copies, have $((avail_kb / 1024)) MiB"

# An ASan build keeps freed memory in a quarantine (256 MiB by default),
# which would measure the sanitizer, not regwarden; keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

start_registry
start_regwarden

mkimage "$E2E_TMP/img" --layers 1 --layer-size "$SIZE"
LAYER=$(json_get "$E2E_TMP/img.json" 'j["manifests"][0]["layers"][0]')
log "layer $LAYER, $(stat -c %s "$E2E_TMP/img/blobs/sha256/${LAYER#sha256:}") bytes gzip'd"

# Sample VmHWM (the kernel's high-water mark of resident memory, so a peak
# between samples is not missed) and VmRSS while the transfers run.
WATCH_PID=${RW_PID:-$REG_PID}
WATCH_WHAT=regwarden
rw_only || WATCH_WHAT=registry
sample() {
	while kill -0 "$WATCH_PID" 2>/dev/null; do
		awk '/^(VmHWM|VmRSS):/ {printf "%s %s ", $1, $2} END {print ""}' \
			"/proc/$WATCH_PID/status" 2>/dev/null
		sleep 0.2
	done
}
sample >"$E2E_TMP/mem.samples" &
E2E_PIDS+=($!)

if out=$(skopeo copy --dest-tls-verify=false "oci:$E2E_TMP/img:1.0" \
	"docker://$RW_HOST/e2e/big:1.0" 2>&1); then
	pass "push of a $SIZE layer through $WATCH_WHAT"
else
	fail "push of the big layer failed: $out"
fi
req HEAD "$REG_URL/v2/e2e/big/blobs/$LAYER"
expect_eq "registry has the whole layer" \
	"200|$(stat -c %s "$E2E_TMP/img/blobs/sha256/${LAYER#sha256:}")" "$R_CODE|$(hdr Content-Length)"
hwm_push=$(awk '/^VmHWM:/ {print $2}' "/proc/$WATCH_PID/status" 2>/dev/null)

if out=$(skopeo copy --src-tls-verify=false "docker://$RW_HOST/e2e/big:1.0" \
	"dir:$E2E_TMP/pulled" 2>&1); then
	pass "pull of the $SIZE layer through $WATCH_WHAT"
	expect_eq "pulled layer digest" "$LAYER" \
		"sha256:$(sha256sum <"$E2E_TMP/pulled/${LAYER#sha256:}" | awk '{print $1}')"
else
	fail "pull of the big layer failed: $out"
fi
rm -rf "$E2E_TMP/pulled"

# One more plain GET of the blob, read slowly at first so regwarden has to
# hold back the upstream rather than buffer it.
got=$(curl -sk --max-time 300 --limit-rate 20M "$RW_URL/v2/e2e/big/blobs/$LAYER" | sha256sum | awk '{print $1}')
expect_eq "rate-limited GET of the layer" "$LAYER" "sha256:$got"

hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$WATCH_PID/status" 2>/dev/null)
peak_rss=$(awk '{for (i = 1; i < NF; i++) if ($i == "VmRSS:" && $(i + 1) > m) m = $(i + 1)} END {print m + 0}' "$E2E_TMP/mem.samples")
echo "# $WATCH_WHAT memory: VmHWM after push ${hwm_push:-?} kB, at end ${hwm:-?} kB ($(( ${hwm:-0} / 1024 )) MiB), highest sampled VmRSS $peak_rss kB, $(wc -l <"$E2E_TMP/mem.samples") samples"
if rw_only; then
	if [ -z "$hwm" ]; then
		fail "could not read VmHWM of regwarden (pid $RW_PID): it is gone"
	elif [ "$hwm" -le "$LIMIT_KB" ]; then
		pass "regwarden peak memory $((hwm / 1024)) MiB <= 96 MiB while moving a $SIZE layer"
	else
		fail "regwarden peak memory (VmHWM) $((hwm / 1024)) MiB exceeds 96 MiB while moving a $SIZE layer: memory grows with blob size"
	fi
fi

stop_regwarden_checked
finish
