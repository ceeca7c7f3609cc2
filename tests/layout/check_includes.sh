#!/usr/bin/env bash
# check_includes.sh - fail when a source file includes a header from a
# folder it must not depend on.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: check_includes.sh [ROOT]   (default: the source tree this is in)
#
# Every *.c and *.h under the module folders of ROOT is read; each
# `#include "FOLDER/..."` must name a folder that the including file's
# module may use, by the table below (a subfolder such as policy/sig is a
# module of its own: the longest folder that matches wins).  The table is
# the link order of CMakeLists.txt's rw_module() calls, written out:
#   cli -> server -> scanreport -> policy, db -> util; policy -> policy/sig;
#   server -> cache -> util
# A new module (content/, cache/) is one row here and one rw_module().
# Prints one line per forbidden include, "FILE:LINE: MODULE must not
# include HEADER", and exits 1; else prints a count and exits 0.
set -euo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# module: the modules it may include (itself first).
declare -A allow=(
	[util]="util"
	[policy/sig]="policy/sig util"
	[policy]="policy policy/sig util"
	[db]="db util"
	[cache]="cache util"
	[content]="content util"
	[scanreport]="scanreport db util"
	[server]="server cache scanreport policy policy/sig content db util"
	[cli]="cli server cache scanreport policy policy/sig content db util"
)

# module_of PATH: the longest module folder PATH lies in, or "".
module_of() {
	local m best=""
	for m in "${!allow[@]}"; do
		if [[ $1 == "$m"/* && ${#m} -gt ${#best} ]]; then
			best=$m
		fi
	done
	printf '%s' "$best"
}

files=0
includes=0
bad=0
cd "$root"
while IFS= read -r f; do
	from=$(module_of "$f")
	[[ -n $from ]] || continue
	files=$((files + 1))
	while IFS=: read -r line hdr; do
		includes=$((includes + 1))
		to=$(module_of "$hdr")
		if [[ -z $to || " ${allow[$from]} " != *" $to "* ]]; then
			echo "$f:$line: $from must not include $hdr"
			bad=$((bad + 1))
		fi
	done < <(awk '/^[ \t]*#[ \t]*include[ \t]*"/ {
		h = $0; sub(/^[^"]*"/, "", h); sub(/".*/, "", h)
		print FNR ":" h }' "$f")
done < <(find "${!allow[@]}" -name '*.[ch]' 2>/dev/null | LC_ALL=C sort -u)

if ((bad > 0)); then
	echo "check_includes: $bad forbidden includes in $files files"
	exit 1
fi
echo "check_includes: $files files, $includes includes, all one-way"
