#!/bin/sh
# mkrootfs.sh - lay out the runtime root filesystem of the regwarden image.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: mkrootfs.sh BINARY ROOTFS CONFIG
# Run in the build stage of docker/Dockerfile (Debian 12), or on a Debian 12
# host with a locally built binary (docker/Containerfile); the result is
# copied into an empty (FROM scratch) image: the binary, exactly the shared
# libraries ldd names, the CA bundle, a passwd/group with the 65532 user,
# the default config and example policy, and the state directory.  No
# shell, no package manager, no compiler: nothing to exec but regwarden.
# Ownership is set here when run as root, but an image builder's COPY from a
# directory makes everything root's whatever this does: the Dockerfile and
# Containerfile therefore give /var/lib/regwarden to 65532 with COPY
# --chown themselves.
set -eu

bin=$1
root=$2
config=$3

[ -x "$bin" ] || { echo "mkrootfs.sh: $bin is not an executable" >&2; exit 1; }
mkdir -p "$root/usr/bin" "$root/etc/regwarden" "$root/etc/ssl/certs" \
	"$root/tmp" "$root/var/lib/regwarden" "$root/usr/share/doc"

# The debug info stays in the build stage; the image gets a stripped copy.
install -m 0755 -s "$bin" "$root/usr/bin/regwarden"

# Every library the dynamic loader will map, and the loader itself, at the
# paths ldd reports (the loader finds them there without an ld.so.cache).
# Each one's copyright file goes along, as Debian's licences ask.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
	sort -u | while read -r lib; do
		cp -L --parents "$lib" "$root/"
		pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n 1 | cut -d: -f1) || pkg=
		if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
			mkdir -p "$root/usr/share/doc/$pkg"
			cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/"
		fi
	done

# libcurl verifies upstreams against Debian's bundle at its default path.
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"

# glibc 2.36 has the files and dns NSS modules built in; this file only
# fixes their order.  /etc/hosts and resolv.conf come from the runtime.
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf 'root:x:0:0:root:/nonexistent:/nonexistent\nregwarden:x:65532:65532:regwarden:/var/lib/regwarden:/nonexistent\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nregwarden:x:65532:\n' >"$root/etc/group"

install -m 0644 "$config" "$root/etc/regwarden/regwarden.json"
# The example policy (a config without one does not start): mount your own
# over it.
install -m 0644 "$(dirname "$0")/../config/policy.json" "$root/etc/regwarden/policy.json"
if [ "$(id -u)" = 0 ]; then
	chown -R 0:0 "$root"
	chown 65532:65532 "$root/var/lib/regwarden"
fi
chmod 0700 "$root/var/lib/regwarden"
chmod 1777 "$root/tmp"
echo "mkrootfs.sh: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1)"
