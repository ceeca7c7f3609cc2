#!/usr/bin/env bash
# content.sh - layer inspection: throughput on a 256 MiB gzip layer against
# `gzip -dc | tar -t` on the same file in the same run, peak RSS while
# inspecting, and what a stored index adds to a cold decision.
# SPDX-License-Identifier: Apache-2.0
#
# The layer: a gzip'd tar of random binaries (3 MiB each, under the 8 MiB
# scan limit, so every byte goes through the secret scanner too) and text
# files (32 KiB each), written once by python.  Throughput: the median of
# RUNS timings of each command (wall seconds, on this machine, the two
# sharing nothing but the page cache).  RSS: VmHWM (GNU time's %M) of
# `regwarden content --layer FILE` minus that of the same command on an
# empty layer.  Cold decision: the first GET by tag of IMAGES tags of one
# image (one decision each: the decision cache is keyed by tag), through a
# regwarden whose rule has a "content" section (the index already stored)
# and one whose rule has none; median of curl's time_total.
#
# Usage: bash bench/content.sh [--runs N] [--images N] [--size MIB]
# Environment: RW_BIN (default build/regwarden, a build without sanitizers).
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${RW_BIN:-$here/build/regwarden}
. "$here/scripts/lib.sh"
RW_PROG=content.sh
py=$RW_PY
runs=3
images=20
size=256
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--images) images=$2; shift 2 ;;
	--size) size=$2; shift 2 ;;
	*) echo "usage: $0 [--runs N] [--images N] [--size MIB]" >&2; exit 2 ;;
	esac
done
for t in docker-registry skopeo curl gzip tar python3 /usr/bin/time "$bin"; do
	command -v "$t" >/dev/null || { echo "content.sh: $t is missing" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/rwbench-content.XXXXXX)
cleanup() { rw_stop_all; rm -rf "$tmp"; }
trap cleanup EXIT
say() { rw_say "$@" >&2; }

say "writing a ${size} MiB gzip layer"
"$py" - "$tmp/layer.tar.gz" "$size" <<'PY'
import gzip, io, random, sys, tarfile
path, mib = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
words = [("w%d" % i).encode() for i in range(5000)]
with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb",
        compresslevel=1, mtime=0) as z, tarfile.open(fileobj=z, mode="w|") as t:
    i = 0
    while raw.tell() < mib << 20:
        if i % 8 == 0:
            data = rng.randbytes(3 << 20)
        else:
            data = b" ".join(rng.choice(words) for _ in range(6000))[:32768]
        ti = tarfile.TarInfo("usr/share/bench/f%06d" % i)
        ti.size, ti.mtime = len(data), 0
        t.addfile(ti, io.BytesIO(data))
        i += 1
PY
"$py" -c 'import gzip,tarfile,io,sys
b=io.BytesIO(); t=tarfile.open(fileobj=b,mode="w"); t.close()
open(sys.argv[1],"wb").write(gzip.compress(b.getvalue()))' "$tmp/empty.tar.gz"
layer_mib=$(( $(stat -c %s "$tmp/layer.tar.gz") >> 20 ))

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed CMD...: "seconds maxrss_kib" of one run.
timed() { /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >/dev/null 2>&1; cat "$tmp/time"; }

say "throughput: $runs runs each"
for r in $(seq 1 "$runs"); do
	timed bash -c "gzip -dc '$tmp/layer.tar.gz' | tar -t" >>"$tmp/base"
	timed "$bin" content --layer "$tmp/layer.tar.gz" >>"$tmp/rw"
	timed "$bin" content --layer "$tmp/empty.tar.gz" >>"$tmp/idle"
done
"$bin" content --layer "$tmp/layer.tar.gz" | head -n 1 >&2
base_s=$(awk '{print $1}' "$tmp/base" | median)
rw_s=$(awk '{print $1}' "$tmp/rw" | median)
rw_kib=$(awk '{print $2}' "$tmp/rw" | median)
idle_kib=$(awk '{print $2}' "$tmp/idle" | median)
extra_mib=$(awk -v a="$rw_kib" -v b="$idle_kib" 'BEGIN {printf "%.1f", (a - b) / 1024}')
ratio=$(awk -v a="$base_s" -v b="$rw_s" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')

say "cold decisions: $images tags, with and without a content rule"
reg_port=$(rw_free_port)
rw_start_registry "$tmp/registry" "$reg_port"
"$py" "$here/tests/e2e/mkcontent.py" --out "$tmp/img" --kind clean >/dev/null
for i in $(seq 1 "$images"); do
	skopeo copy --quiet --dest-tls-verify=false "oci:$tmp/img" \
		"docker://127.0.0.1:$reg_port/bench/img:t$i" >/dev/null
done
printf '{"version": 1, "default": "deny", "rules": [{"name": "c", "match": "docker.io/bench/**", %s}]}\n' \
	'"content": {"no_secrets": true, "no_shell": true, "no_setuid": true}' >"$tmp/content.json"
printf '{"version": 1, "default": "deny", "rules": [{"name": "c", "match": "docker.io/bench/**"}]}\n' \
	>"$tmp/none.json"
rw_start_proxy "$bin" "$tmp/rwc" "$reg_port" "{\"policy\": \"$tmp/content.json\"}" URL_c
rw_start_proxy "$bin" "$tmp/rwn" "$reg_port" "{\"policy\": \"$tmp/none.json\"}" URL_n
accept='application/vnd.oci.image.manifest.v1+json'
cold() {	# URL [FIRST]: median time_total of the first GET of each tag
	local i t
	for i in $(seq "${2:-1}" "$images"); do
		t=$(curl -sk -o /dev/null -w '%{http_code} %{time_total}' -H "Accept: $accept" \
			"$1/v2/bench/img/manifests/t$i")
		[ "${t%% *}" = 200 ] || { say "bench/img:t$i answered ${t%% *}"; exit 1; }
		echo "${t#* }"
	done | median
}
# The first tag reads the layers (its cost is the inspection, not the index).
first=$(curl -sk -o /dev/null -w '%{time_total}' -H "Accept: $accept" "$URL_c/v2/bench/img/manifests/t1")
c_cold=$(cold "$URL_c" 2)
n_cold=$(cold "$URL_n" 2)

printf '%-52s %12s %12s\n' "" "regwarden" "gzip|tar -t"
printf '%-52s %12s %12s\n' "inspect ${layer_mib} MiB gzip layer, median s" "$rw_s" "$base_s"
printf '%-52s %12s\n' "throughput ratio (goal >= 0.8x of gzip|tar -t)" "${ratio}x"
printf '%-52s %12s\n' "peak RSS extra while inspecting, MiB (goal < 32)" "$extra_mib"
printf '%-52s %12s %12s\n' "VmHWM, KiB: this layer, an empty one" "$rw_kib" "$idle_kib"
printf '%-52s %12s %12s\n' "" "content rule" "no content"
printf '%-52s %12s %12s\n' "cold decision by tag, stored index, median s" "$c_cold" "$n_cold"
printf '%-52s %12s\n' "first decision (layers read), s" "$first"
printf 'BENCH content layer_mib=%s rw_s=%s base_s=%s ratio=%s extra_rss_mib=%s hwm_kib=%s idle_hwm_kib=%s cold_content_s=%s cold_none_s=%s first_s=%s\n' \
	"$layer_mib" "$rw_s" "$base_s" "$ratio" "$extra_mib" "$rw_kib" "$idle_kib" "$c_cold" "$n_cold" "$first"
