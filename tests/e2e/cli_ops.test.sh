#!/bin/bash
# cli_ops.test.sh - the command line an operator uses every day (issue #17):
# `--help` on every command and subcommand prints its usage to stdout and
# exits 0 without opening any file but the program's own (checked with
# strace), long options, and `check-config` refusing each thing `serve`
# refuses before it listens, with the same message, so "configuration OK"
# means serve starts.  The completion scripts made from the command table,
# with what bash and zsh (on a pseudo-terminal, zsh_complete.zsh) offer.
# SPDX-License-Identifier: Apache-2.0
. "$(dirname "$0")/lib.sh"

need_tools strace setpriv openssl curl zsh
rw_only || { pass "the CLI needs regwarden (E2E_DIRECT=1)"; finish; }

# ---- --help ---------------------------------------------------------------

# A config that must never be opened: strace shows every open attempt.
NEVER=$E2E_TMP/never-open.json
# help_ok FIRSTLINE ARGS...: stdout starts with FIRSTLINE, stderr empty,
# exit 0, and no open of NEVER nor of the default config.
help_ok() {
	local first=$1 rc
	shift
	# LeakSanitizer does not run under ptrace.
	(cd "$E2E_TMP" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=open,openat,stat,newfstatat,access \
		-o "$E2E_TMP/trace" "$RW_BIN" "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err")
	rc=$?
	expect_eq "regwarden $* exits 0" 0 "$rc"
	expect_eq "regwarden $*: usage on stdout" "$first" "$(head -n1 "$E2E_TMP/out")"
	expect_eq "regwarden $*: nothing on stderr" "" "$(cat "$E2E_TMP/err")"
	if grep -E 'never-open\.json|regwarden\.json' "$E2E_TMP/trace" >/dev/null; then
		fail "regwarden $* touched a config: $(grep -E 'never-open|regwarden\.json' "$E2E_TMP/trace" | head -3)"
	else
		pass "regwarden $*: no config opened"
	fi
}
U_PINS="usage: regwarden pins [-c config.json] add <host/repo:tag> <sha256:digest>"
U_SCANS="usage: regwarden scans [-c config.json] import <report.json|->..."
U_EXC="usage: regwarden exceptions [-c config.json] add <CVE-id|pkg:NAME> --repo GLOB --expires <TIME|DURATION> --reason TEXT"
U_AUDIT="usage: regwarden audit [-c config.json] [--denied] [--since DURATION] [--repo GLOB] [--json] [--limit N]"
U_CHECK="usage: regwarden check [-c config.json] [policy.json]"
U_CC="usage: regwarden check-config [-c|--config config.json]"
U_TOP="usage: regwarden COMMAND [options]   (regwarden COMMAND --help for more)"
help_ok "$U_TOP" --help
help_ok "$U_TOP" -h
help_ok "$U_TOP" help
help_ok "$U_PINS" help pins
help_ok "usage: regwarden serve [-c|--config config.json]" serve --help
help_ok "usage: regwarden serve [-c|--config config.json]" serve -c "$NEVER" --help
help_ok "$U_CC" check-config --help
help_ok "$U_CC" check-config -c "$NEVER" --help
help_ok "$U_CHECK" check --help
help_ok "$U_CHECK" check -c "$NEVER" --help
help_ok "$U_CHECK" explain --help
help_ok "$U_CHECK" explain --config "$NEVER" nginx:1 -h
help_ok "usage: regwarden sign [-c config.json] --key KEY.pem [-a key=value]... <image-ref>" sign --help
help_ok "usage: regwarden verify-bundle --bundle FILE" verify-bundle --help
for sub in "" add rm ls; do
	help_ok "$U_PINS" pins $sub --help
done
help_ok "$U_PINS" pins -c "$NEVER" add --help
help_ok "$U_PINS" pins --config "$NEVER" help
for sub in "" import ls; do
	help_ok "$U_SCANS" scans $sub --help
done
help_ok "$U_SCANS" scans import report.json --help
for sub in "" add ls rm; do
	help_ok "$U_EXC" exceptions $sub --help
done
help_ok "$U_EXC" exceptions -c "$NEVER" add CVE-2024-1 --repo 'x/*' --help
help_ok "$U_AUDIT" audit --help
help_ok "$U_AUDIT" audit -c "$NEVER" --since 2h -h
help_ok "usage: regwarden completion bash|zsh" completion --help
help_ok "usage: regwarden version" version --help
help_ok "usage: regwarden health [--ready] [-c config.json]" health --help
help_ok "usage: regwarden health [--ready] [-c config.json]" health --ready -c "$NEVER" -h

# "--help" as the value of an option is a value, not a request for help.
"$RW_BIN" exceptions -c "$NEVER" add CVE-2024-1 --repo 'x/*' --expires 2d --reason --help \
	>"$E2E_TMP/out" 2>"$E2E_TMP/err"
expect_eq "exceptions add --reason --help: the reason is \"--help\" (the config is read)" \
	"1|$NEVER: cannot open: No such file or directory|" "$?|$(cat "$E2E_TMP/err")|$(cat "$E2E_TMP/out")"

# ---- long options -----------------------------------------------------------

start_registry_min() {
	REG_URL=http://127.0.0.1:1
}
start_registry_min
mkdir -p "$E2E_TMP/cc"
chmod 711 "$E2E_TMP"
chmod 755 "$E2E_TMP/cc"
CC=$E2E_TMP/cc
cat >"$CC/policy.json" <<'EOF'
{ "version": 1, "default": "allow", "rules": [] }
EOF
# conf NAME [EXTRA_JSON]: a config CC/NAME.json with its own state_dir.
conf() {
	"$PY" - "$CC/$1.json" "$CC/state-$1" "${2:-{\}}" "$(free_port)" <<'EOF'
import json, sys
path, state, extra, port = sys.argv[1:5]
cfg = {"listen": "127.0.0.1:" + port, "state_dir": state,
       "log": {"format": "text"}, "admin": {"listen": ""},
       "policy": "policy.json",
       "upstreams": [{"name": "local", "url": "http://127.0.0.1:1",
                      "default": True, "auth": "passthrough",
                      "insecure": True}]}
cfg.update(json.loads(extra))
with open(path, "w") as f:
    json.dump(cfg, f, indent=1)
EOF
	chmod 644 "$CC/$1.json"
}
conf good
for form in "-c $CC/good.json" "--config $CC/good.json" "--config=$CC/good.json" "$CC/good.json"; do
	# shellcheck disable=SC2086
	out=$("$RW_BIN" check-config $form 2>&1)
	expect_eq "check-config $form" "0|$CC/good.json: configuration OK" "$?|$out"
done
out=$("$RW_BIN" check --config="$CC/good.json" 2>&1)
expect_match "check --config=FILE reads the config's policy" "policy OK" "$out"
mkdir -m 700 "$CC/state-good"
out=$("$RW_BIN" pins --config="$CC/good.json" ls 2>&1)
expect_eq "pins --config=FILE ls" "0|no pins" "$?|$out"

# ---- check-config refuses what serve refuses --------------------------------

# parity NAME EXPECTED [RUNAS...]: check-config and serve on CC/NAME.json
# both exit 1 and print EXPECTED (serve before it listens: bounded 20 s).
parity() {
	local name=$1 want=$2 rc out
	shift 2
	out=$("$@" "$RW_BIN" check-config -c "$CC/$name.json" 2>&1)
	rc=$?
	expect_eq "check-config refuses $name" "1|$want" "$rc|$out"
	out=$(timeout 20 "$@" "$RW_BIN" serve -c "$CC/$name.json" 2>&1)
	rc=$?
	expect_eq "serve refuses $name the same way" "1|$want" "$rc|$out"
}
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# state_dir owned by root, mode 0755, serve running as nobody.
conf statedir
mkdir -p "$CC/state-statedir"
chmod 755 "$CC/state-statedir"
parity statedir "$CC/statedir.json: state_dir $CC/state-statedir is not writable by user nobody (uid 65534) (mode 0755, owner root): chown or chmod it" "${NOBODY[@]}"
out=$("$RW_BIN" check-config -c "$CC/statedir.json" 2>&1)
expect_eq "the same config as root: OK" "0|$CC/statedir.json: configuration OK" "$?|$out"

# The log file's folder does not exist.
conf logdir '{"log": {"file": "/nonexistent-rw/log/x.log"}}'
parity logdir "$CC/logdir.json: the folder of log file /nonexistent-rw/log: No such file or directory"

# A TLS key readable by others.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=localhost -keyout "$CC/key.pem" -out "$CC/cert.pem" >/dev/null 2>&1
chmod 644 "$CC/key.pem"
conf tlskey "{\"tls\": {\"cert\": \"cert.pem\", \"key\": \"key.pem\"}}"
parity tlskey "$CC/tlskey.json: $CC/key.pem: mode 0644 is too open: it must not be accessible by group or others (chmod 600)"

# An upstream CA file that holds no certificate (serve used to start and
# fail every pull).
echo "not a certificate" >"$CC/ca.pem"
conf upca "{\"upstreams\": [{\"name\": \"local\", \"url\": \"https://127.0.0.1:1\", \"default\": true, \"auth\": \"passthrough\", \"ca_file\": \"ca.pem\"}]}"
parity upca "$(
	"$RW_BIN" check-config -c "$CC/upca.json" 2>&1 | grep -F "upstream local: ca_file: " | grep -F "$CC/ca.pem")"
out=$("$RW_BIN" check-config -c "$CC/upca.json" 2>&1)
expect_match "the upstream CA message names the upstream and the file" "^$CC/upca.json: upstream local: ca_file: .*$CC/ca.pem" "$out"

# A broken policy: file:line:col.
printf '{ "version": 1,\n  "default": "maybe" }\n' >"$CC/bad-policy.json"
conf badpolicy '{"policy": "bad-policy.json"}'
out=$("$RW_BIN" check-config -c "$CC/badpolicy.json" 2>&1)
expect_match "check-config: the policy error with file:line:col" "^$CC/bad-policy.json:2:[0-9]+: " "$out"
parity badpolicy "$out"

# No policy at all.
conf nopolicy '{"policy": null}'
"$PY" - "$CC/nopolicy.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); del c["policy"]; json.dump(c, open(sys.argv[1], "w"))
EOF
parity nopolicy "$CC/nopolicy.json: no \"policy\": regwarden does not start without one, since every image would be admitted; name a policy file (config/policy.json is an example), or set \"plain_proxy\": true to run as a plain proxy on purpose"

# A missing htpasswd file, a scanner that is not executable.
conf htpasswd '{"htpasswd": "missing.htpasswd"}'
out=$("$RW_BIN" check-config -c "$CC/htpasswd.json" 2>&1)
expect_match "check-config: the htpasswd file" "^$CC/htpasswd.json: htpasswd: .*missing.htpasswd" "$out"
parity htpasswd "$out"
mkdir -m 700 "$CC/private"
printf '#!/bin/sh\n' >"$CC/private/scanner.sh"
chmod 755 "$CC/private/scanner.sh"
conf scanner "{\"scanner\": {\"command\": [\"$CC/private/scanner.sh\", \"{ref}\"]}}"
out=$("${NOBODY[@]}" "$RW_BIN" check-config -c "$CC/scanner.json" 2>&1)
expect_match "check-config: a scanner nobody may run" "scanner.sh" "$out"
parity scanner "$out" "${NOBODY[@]}"

# A secret file readable by others (config_load's own check).
echo secret >"$CC/token"
chmod 644 "$CC/token"
conf token "{\"admin\": {\"listen\": \"127.0.0.1:$(free_port)\", \"token_file\": \"token\"}}"
out=$("$RW_BIN" check-config -c "$CC/token.json" 2>&1)
expect_match "check-config: an admin token readable by others" "accessible by group or others \\(mode 0644\\)" "$out"
parity token "$out"

# Every problem at once, one line each.
conf many '{"log": {"file": "/nonexistent-rw/log/x.log"}, "htpasswd": "missing.htpasswd"}'
out=$("$RW_BIN" check-config -c "$CC/many.json" 2>&1)
expect_eq "check-config lists every problem" 2 "$(printf '%s\n' "$out" | wc -l)"

# And "configuration OK" means serve starts.
PORT=$(json_get "$CC/good.json" 'j["listen"].split(":")[1]')
bg_start "$CC/good.log" "$RW_BIN" serve -c "$CC/good.json"
GOOD_PID=$BG_PID
if wait_until 10 code_is_any "200 401 502" "https://127.0.0.1:$PORT/v2/"; then
	pass "serve with the config check-config passed answers on its port"
else
	fail "serve with the good config did not answer within 10 s"
fi
kill -TERM "$GOOD_PID" 2>/dev/null

# ---- exception limits -------------------------------------------------------

cat >"$CC/limits-policy.json" <<'EOF'
{ "version": 1, "default": "allow", "rules": [],
  "exception_limits": { "max_days": 90, "repo_scope": "single" } }
EOF
conf limits '{"policy": "limits-policy.json"}'
mkdir -m 700 "$CC/state-limits"
exc() { "$RW_BIN" exceptions -c "$CC/$1.json" add "${@:2}" --reason "e2e" 2>&1; }
out=$(exc limits CVE-2024-0001 --repo 'docker.io/**' --expires 4000d)
expect_match "exception limits: 4000 days refused with the reason" \
	'^1\|regwarden: exceptions add: refused by the exception_limits of limits-policy.json: an exception lasts at most 90 days \("max_days": 90\), and --expires [0-9T:Z-]+ is 4000 days away$' "$?|$out"
out=$(exc limits CVE-2024-0001 --repo 'docker.io/**' --expires 30d)
expect_eq "exception limits: a repository pattern refused with the reason" \
	"1|regwarden: exceptions add: refused by the exception_limits of limits-policy.json: an exception names one repository (\"repo_scope\": \"single\"), and --repo \"docker.io/**\" is a pattern; name the repository, e.g. docker.io/library/nginx" "$?|$out"
out=$(exc limits CVE-2024-0001 --repo 'docker.io/e2e/app' --expires 91d)
expect_match "exception limits: 91 days refused" "is 91 days away$" "$out"
out=$("$RW_BIN" exceptions -c "$CC/limits.json" ls 2>&1)
expect_eq "exception limits: nothing was written" "0|no exceptions" "$?|$out"
out=$(exc limits CVE-2024-0001 --repo 'docker.io/e2e/app' --expires 90d)
expect_match "exception limits: one repository for 90 days is accepted" "^0\|added exception" "$?|$out"
out=$(exc good CVE-2024-0001 --repo 'docker.io/**' --expires 4000d)
expect_match "no exception_limits in the policy: no limit" "^0\|added exception" "$?|$out"
printf '{ "version": 1, "rules": [], "exception_limits": { "max_days": 0, "repo_scope": "one" } }\n' >"$CC/badlim-policy.json"
out=$("$RW_BIN" check "$CC/badlim-policy.json" 2>&1)
expect_match "check: bad exception_limits.max_days" "badlim-policy.json:1:[0-9]+: .*max_days.*expected a whole number of days from 1 to 36500" "$out"
expect_match "check: bad exception_limits.repo_scope" "badlim-policy.json:1:[0-9]+: .*repo_scope.*unknown value \"one\"" "$out"
conf badlim '{"policy": "badlim-policy.json"}'
mkdir -m 700 "$CC/state-badlim"
out=$(exc badlim CVE-2024-0001 --repo 'docker.io/e2e/app' --expires 1d)
expect_match "a policy that does not load: exceptions add refused" \
	"regwarden: exceptions add: the policy does not load, so its exception_limits cannot be checked; fix it first$" "$out"

# ---- completion -------------------------------------------------------------

"$RW_BIN" completion bash >"$E2E_TMP/rw.bash"
expect_eq "completion bash exits 0" 0 "$?"
# complete_words LINE: what bash offers for the last word of LINE.
complete_words() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_regwarden; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$E2E_TMP/rw.bash" "$@"
}
expect_eq "bash: commands" "check check-config " "$(complete_words regwarden check)"
expect_eq "bash: pins subcommands" "add ls rm " "$(complete_words regwarden pins '')"
expect_eq "bash: exceptions options starting --ex" "--expires " \
	"$(complete_words regwarden exceptions add --ex)"
expect_eq "bash: audit options starting --l" "--limit " "$(complete_words regwarden audit --l)"
expect_eq "bash: scans ls --f" "--failing --findings " "$(complete_words regwarden scans ls --f)"
mkdir -p "$E2E_TMP/cmp" && touch "$E2E_TMP/cmp/conf.json"
expect_eq "bash: a file after -c" "$E2E_TMP/cmp/conf.json " \
	"$(complete_words regwarden pins -c "$E2E_TMP/cmp/co")"
"$RW_BIN" completion zsh >"$E2E_TMP/rw.zsh"
expect_eq "completion zsh exits 0" 0 "$?"
check "zsh parses the zsh script" zsh -n "$E2E_TMP/rw.zsh"
# zsh_complete LINE: what zsh itself offers (compinit, the script loaded,
# LINE typed and a TAB on a pseudo-terminal), space-separated.
zsh_complete() {
	zsh -f "$E2E_DIR/zsh_complete.zsh" "$E2E_TMP/rw.zsh" "$1" | tr '\n' ' '
}
expect_eq "zsh: commands" "check check-config " "$(zsh_complete 'regwarden che')"
expect_eq "zsh: pins subcommands" "add ls rm " "$(zsh_complete 'regwarden pins ')"
expect_eq "zsh: exceptions options starting --ex" "--expires " \
	"$(zsh_complete 'regwarden exceptions add --ex')"
expect_eq "zsh: audit options starting --l" "--limit " "$(zsh_complete 'regwarden audit --l')"
expect_eq "zsh: scans ls --f" "--failing --findings " "$(zsh_complete 'regwarden scans ls --f')"
touch "$E2E_TMP/cmp/core.txt"
expect_eq "zsh: files after -c" "conf.json core.txt " \
	"$(zsh_complete "regwarden pins -c $E2E_TMP/cmp/co")"
expect_eq "zsh: nothing for an unknown command" "" "$(zsh_complete 'regwarden nosuch --')"
out=$("$RW_BIN" completion fish 2>&1)
expect_eq "completion fish: usage error" "2|regwarden: completion: expected \"bash\" or \"zsh\"
usage: regwarden completion bash|zsh" "$?|$out"

finish
