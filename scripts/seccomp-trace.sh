#!/usr/bin/env bash
# seccomp-trace.sh - list the system calls regwarden makes under the e2e tests,
# to derive (and later re-check) docker/seccomp.json.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: scripts/seccomp-trace.sh [BINARY] [TEST...]
#   BINARY  the release build (default build/regwarden): the image ships it,
#           and ASan's runtime makes calls of its own
#   TEST    e2e test names (default: the ones that exercise serve, the
#           admin listener, health, TLS, upstream auth, signatures, scans)
# Each test runs with RW_BIN pointing at a wrapper that starts the binary
# under `strace -f` (every thread and child), one trace file per process.
# Prints the sorted set of system call names, then how it differs from the
# profile: "missing" (made but not allowed: the profile must grow) and
# "unused" (allowed but not seen: review, keep only with a reason).
set -Eeuo pipefail

RW_PROG=seccomp-trace.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin=$(readlink -f "${1:-$RW_ROOT/build/regwarden}")
shift || true
tests=("$@")
((${#tests[@]})) || tests=(push_pull podman containerd admin policy_messages
	policy_reload token_auth mtls signatures scans_gate scans_hold integrity)
command -v strace >/dev/null || rw_die "strace is not installed (apt-get install strace)"
[[ -x $bin ]] || rw_die "$bin is not an executable"

out=$(mktemp -d /tmp/rw-seccomp-trace.XXXXXX)
# strace stays the parent so that every thread is followed; SIGTERM (the
# tests' way to stop regwarden) is passed on to regwarden itself, so that
# its draining and exit are traced too.
cat >"$out/regwarden" <<EOT
#!/bin/bash
strace -f -qq -e signal=none -o "$out/trace.\$\$" -- "$bin" "\$@" &
s=\$!
trap 'pkill -TERM -P \$s' TERM INT
wait \$s
rc=\$?
((rc > 128)) && wait \$s
exit \$rc
EOT
chmod 755 "$out/regwarden"

for t in "${tests[@]}"; do
	rw_say "e2e $t under strace"
	RW_BIN=$out/regwarden RW_SOURCE_DIR=$RW_ROOT \
		bash "$RW_ROOT/tests/e2e/$t.test.sh" >"$out/$t.log" 2>&1 ||
		rw_say "$t failed under strace (see $out/$t.log); its calls still count"
done

# "1234  name(args" and "1234  <... name resumed>": the name either way.
cat "$out"/trace.* | sed -n -E 's/^[0-9]+ +(<\.\.\. )?([a-z0-9_]+)(\(| resumed).*/\2/p' |
	sort -u >"$out/syscalls.txt"
rw_say "$(wc -l <"$out/syscalls.txt") system calls seen; list in $out/syscalls.txt"
cat "$out/syscalls.txt"

profile=$RW_ROOT/docker/seccomp.json
if [[ -f $profile ]]; then
	/usr/bin/python3 - "$profile" "$out/syscalls.txt" <<'EOT'
import json, sys
prof = json.load(open(sys.argv[1]))
allowed = {n for s in prof["syscalls"] if s["action"] == "SCMP_ACT_ALLOW" for n in s["names"]}
seen = set(open(sys.argv[2]).read().split())
print("missing from the profile:", " ".join(sorted(seen - allowed)) or "none")
print("allowed but not seen:", " ".join(sorted(allowed - seen)) or "none")
EOT
fi
