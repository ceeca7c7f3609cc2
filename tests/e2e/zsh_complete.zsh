#!/usr/bin/zsh -f
# zsh_complete.zsh SCRIPT LINE - what zsh's own completion offers for a
# command line: an interactive zsh on a pseudo-terminal (zsh/zpty) with
# compinit and the completion SCRIPT loaded is typed LINE and a TAB, and
# prints the matches (as compadd filtered them against the word being
# completed), one a line, sorted.  Exits 3 without zsh/zpty; bounded: the
# answer is awaited at most 10 s.
# SPDX-License-Identifier: Apache-2.0
zmodload zsh/zpty || exit 3
cap=${TMPDIR:-/tmp}/zsh_complete.$$
: >$cap.out
zpty z zsh -f -i
zpty -w z "PROMPT= RPROMPT="
zpty -w z "autoload -U compinit && compinit -u -d $cap.dump"
zpty -w z "source ${(q)1}"
# Every match added is written down, then added as usual; -O, -A and -D
# only collect matches (helpers such as _path_files use them).
zpty -w z 'compadd () {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"; return $?
	fi
	local -a hits
	builtin compadd -A hits "$@"
	local r=$?
	(( $#hits )) && print -rl -- "<<"${^hits}">>" >>'"$cap.out"'
	builtin compadd "$@"
	return r
}'
zpty -w z "bindkey '^I' complete-word"
zpty -w z "done_capture () { print -r -- END >>$cap.out }"
zpty -w z "comppostfuncs=( done_capture )"
zpty -w -n z "$2"$'\t'
for i in {1..100}; do
	grep -qx END $cap.out 2>/dev/null && break
	sleep 0.1
done
zpty -d z
grep -qx END $cap.out || { print -u2 "zsh_complete: no answer within 10 s"; rm -f $cap.out $cap.dump; exit 1 }
grep -o '<<.*>>' $cap.out | sed 's/^<<//; s/>>$//' | sort -u
rm -f $cap.out $cap.dump
