#!/bin/bash
# check_host.sh - the host-side hardening files, through the tools that read
# them: deploy/systemd/regwarden.service through `systemd-analyze verify` and
# `systemd-analyze security --offline=true` (exposure must be <= 2.0, "OK"),
# docker/apparmor/regwarden through `apparmor_parser` (parse only: -Q -K;
# loading needs a kernel with AppArmor, which a test machine may lack).
# Each check is also shown to fail on a broken copy, so a pass means
# something.  Prints ok/FAIL lines and "check_host: N passed, M failed".
# SPDX-License-Identifier: Apache-2.0
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/build/regwarden}
UNIT=$ROOT/deploy/systemd/regwarden.service
PROFILE=$ROOT/docker/apparmor/regwarden
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
tmp=$(mktemp -d /tmp/rw-check-host.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A root holding the unit, the programs it runs and the system's units
# (verify resolves After=/WantedBy= targets and checks every Exec path).
mkroot() {
	local r=$1
	mkdir -p "$r/usr/bin" "$r/bin" "$r/etc/systemd/system" "$r/usr/lib/systemd"
	cp -r /usr/lib/systemd/system "$r/usr/lib/systemd/"
	cp "$BIN" "$r/usr/bin/regwarden"
	cp /bin/kill "$r/bin/kill"
	cp "$2" "$r/etc/systemd/system/regwarden.service"
}

if command -v systemd-analyze >/dev/null; then
	mkroot "$tmp/root" "$UNIT"
	# verify exits 0 after an unknown key ("ignoring"): its output must be empty.
	if out=$(systemd-analyze verify --root="$tmp/root" /etc/systemd/system/regwarden.service 2>&1) &&
		[[ -z $out ]]; then
		ok "systemd-analyze verify: exit 0, nothing printed"
	else
		bad "systemd-analyze verify: $out"
	fi
	out=$(systemd-analyze security --offline=true --threshold=20 --root="$tmp/root" regwarden.service 2>&1)
	rc=$?
	line=$(grep -o 'Overall exposure level for regwarden.service: [0-9.]* [A-Z]*' <<<"$out")
	echo "# $line"
	score=$(awk '{print $(NF-1)}' <<<"$line")
	if ((rc == 0)) && [[ -n $score ]] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' &&
		[[ $line == *" OK" ]]; then
		ok "systemd-analyze security --offline=true: exposure $score <= 2.0, OK"
	else
		bad "systemd-analyze security --offline=true: exit $rc, '$line'"
	fi
	# A typo and a missing binary must fail verify; an open unit the threshold.
	mkroot "$tmp/typo" <(sed 's/^ProtectSystem=strict/ProtectSytem=strict/' "$UNIT")
	if systemd-analyze verify --root="$tmp/typo" /etc/systemd/system/regwarden.service 2>&1 |
		grep -q "Unknown key 'ProtectSytem' in section \[Service\], ignoring"; then
		ok "systemd-analyze verify names a misspelt key"
	else
		bad "systemd-analyze verify did not name a misspelt key"
	fi
	rm "$tmp/typo/usr/bin/regwarden"
	if ! systemd-analyze verify --root="$tmp/typo" /etc/systemd/system/regwarden.service >/dev/null 2>&1; then
		ok "systemd-analyze verify fails without /usr/bin/regwarden"
	else
		bad "systemd-analyze verify passed without /usr/bin/regwarden"
	fi
	mkroot "$tmp/open" <(sed -e '/^\[Service\]/,/^\[Install\]/{/^[A-Z][A-Za-z]*=/{/^\(Type\|Exec[A-Za-z]*\|Kill[A-Za-z]*\|Timeout[A-Za-z]*\|Restart[A-Za-z]*\)=/!d}}' "$UNIT")
	if ! systemd-analyze security --offline=true --threshold=20 --root="$tmp/open" regwarden.service >/dev/null 2>&1; then
		ok "systemd-analyze security fails the same unit without its sandboxing"
	else
		bad "systemd-analyze security passed the unit without its sandboxing"
	fi
else
	bad "systemd-analyze is not installed (apt-get install systemd)"
fi

if command -v apparmor_parser >/dev/null; then
	if out=$(apparmor_parser -Q -K "$PROFILE" 2>&1); then
		ok "apparmor_parser -Q -K: the profile parses"
	else
		bad "apparmor_parser: $out"
	fi
	sed 's/network inet stream,/network inet stram,/' "$PROFILE" >"$tmp/broken"
	if ! apparmor_parser -Q -K "$tmp/broken" >/dev/null 2>&1; then
		ok "apparmor_parser refuses a broken copy"
	else
		bad "apparmor_parser accepted a broken copy"
	fi
else
	bad "apparmor_parser is not installed (apt-get install apparmor)"
fi

echo "check_host: $pass passed, $fail failed"
((fail == 0))
