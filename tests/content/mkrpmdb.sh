#!/bin/bash
# mkrpmdb.sh OUT - a real rpm sqlite database made by Debian's rpm tools
# (rpmbuild, rpm --initdb, rpm -i --justdb), for the tests that read rpm
# databases: OUT/rpmdb.sqlite holds three empty noarch packages,
#   openssh-server 1:8.7p1-34.el9   (with an epoch)
#   bash           5.1.8-6.el9
#   gcc-c++        11.4.1-3.el9
# checkpointed (its -wal empty) and closed, as an image build leaves it.
# Exits non-zero with the tool's output when a step fails.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail

out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/top" "$work/db"

spec() {	# NAME EPOCH VERSION RELEASE
	{
		echo "Name: $1"
		[ -n "$2" ] && echo "Epoch: $2"
		echo "Version: $3"
		echo "Release: $4"
		echo "Summary: regwarden test package"
		echo "License: MIT"
		echo "BuildArch: noarch"
		printf '%%description\nregwarden test package\n%%files\n'
	} >"$work/$1.spec"
	rpmbuild -bb --quiet --define "_topdir $work/top" "$work/$1.spec" \
		>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
}

spec openssh-server 1 8.7p1 34.el9
spec bash "" 5.1.8 6.el9
spec gcc-c++ "" 11.4.1 3.el9
rpm --initdb --dbpath "$work/db" --define '_db_backend sqlite'
# Debian's rpm warns that it is not the system's package manager.
rpm -i --dbpath "$work/db" --define '_db_backend sqlite' --justdb --nodeps \
	--noscripts "$work"/top/RPMS/noarch/*.rpm >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log" >&2; exit 1; }
n=$(rpm -qa --dbpath "$work/db" | wc -l)
[ "$n" = 3 ] || { echo "mkrpmdb.sh: rpm -qa lists $n packages, not 3" >&2; exit 1; }
cp "$work/db/rpmdb.sqlite" "$out/rpmdb.sqlite"
