#!/usr/bin/env bash
# setup.sh - install what regwarden needs on Debian 12 and build it.
# SPDX-License-Identifier: Apache-2.0
#
# Idempotent: asks dpkg which packages are missing, runs apt-get (update,
# then install --no-install-recommends) only for those, then configures and
# builds two trees:
#   build/       RelWithDebInfo, the binary the demo and the bench run
#   build-asan/  the same with -DRW_SANITIZE=ON (ASan+UBSan), the one tested
# Installing needs root; with every package present it does not.
#
# Usage: scripts/setup.sh [--no-build] [--no-asan]
# Environment: RW_BUILD_DIR, RW_ASAN_DIR override the two build directories;
# RW_JOBS the build parallelism (default: number of cores); RW_CMAKE_ARGS
# extra cmake arguments for both trees (e.g. "-DRW_WERROR=OFF").
set -Eeuo pipefail

RW_PROG=setup.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'rw_die "failed at line $LINENO: $BASH_COMMAND"' ERR

PKG_BUILD=(cmake gcc make pkg-config libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libpq-dev
	libssl-dev libjansson-dev libsqlite3-dev libcmocka-dev libarchive-dev)
PKG_TEST=(docker-registry postgresql skopeo podman containerd runc curl
	python3-cryptography python3-nacl apache2-utils ca-certificates openssl
	iproute2 procps python3-grpcio python3-grpc-tools buildah apparmor strace systemd
	nodejs python3-yaml prometheus python3-prometheus-client gdb zsh
	rpm)
PKG_BENCH=(nginx-light wrk hey)
# The libFuzzer harnesses (tests/fuzz/run.sh): clang and its runtime.
PKG_FUZZ=(clang libclang-rt-14-dev)

build=1
asan=1
for arg in "$@"; do
	case $arg in
	--no-build) build=0 ;;
	--no-asan) asan=0 ;;
	-h | --help)
		sed -n '2,/^set -Eeuo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) rw_die "unknown argument: $arg (see --help)" ;;
	esac
done

# installed PKG: dpkg knows PKG as fully installed.
installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

install_missing() {
	local missing=() p
	for p in "${PKG_BUILD[@]}" "${PKG_TEST[@]}" "${PKG_BENCH[@]}" "${PKG_FUZZ[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		rw_say "packages: all $((${#PKG_BUILD[@]} + ${#PKG_TEST[@]} + ${#PKG_BENCH[@]} + ${#PKG_FUZZ[@]})) present"
		return 0
	fi
	rw_say "packages: missing ${missing[*]}"
	((EUID == 0)) || rw_die "installing packages needs root: sudo bash $0"
	command -v apt-get >/dev/null || rw_die "apt-get not found: this script expects Debian 12"
	export DEBIAN_FRONTEND=noninteractive
	rw_say "apt-get update"
	apt-get update -q
	rw_say "apt-get install ${missing[*]}"
	apt-get install -y -q --no-install-recommends "${missing[@]}"
	for p in "${missing[@]}"; do
		installed "$p" || rw_die "package $p is still not installed after apt-get install"
	done
	rw_say "packages: installed ${#missing[@]}"
}

# The Kubernetes schemas the manifest test validates against (npm packages
# pinned by tests/deploy/package-lock.json), installed when the lock changed.
install_npm() {
	local dir=$RW_ROOT/tests/deploy
	if ! command -v npm >/dev/null; then
		((EUID == 0)) || rw_die "installing npm needs root: sudo bash $0"
		apt-get install -y -q --no-install-recommends npm
	fi
	if cmp -s "$dir/package-lock.json" "$dir/node_modules/.rw-installed-lock"; then
		rw_say "npm: tests/deploy/node_modules up to date"
		return 0
	fi
	rw_say "npm ci in tests/deploy"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
		rw_die "npm ci in $dir failed"
	cp "$dir/package-lock.json" "$dir/node_modules/.rw-installed-lock"
}

# build_tree DIR CMAKE-ARGS...: configure (again each time: with an existing
# cache it takes a second and picks up new source files) and build.
build_tree() {
	local dir=$1
	shift
	local extra=()
	read -r -a extra <<<"${RW_CMAKE_ARGS:-}"
	rw_say "configure $dir ($* ${extra[*]})"
	cmake -S "$RW_ROOT" -B "$dir" "$@" "${extra[@]}" || rw_die "cmake configure of $dir failed"
	rw_say "build $dir (-j$jobs)"
	cmake --build "$dir" -j"$jobs" || rw_die "build of $dir failed (see the compiler output above)"
	[[ -x $dir/regwarden ]] || rw_die "$dir/regwarden was not built"
	rw_say "built $dir/regwarden"
}

install_missing
install_npm
if ((build)); then
	jobs=${RW_JOBS:-$(nproc)}
	bdir=${RW_BUILD_DIR:-$RW_ROOT/build}
	adir=${RW_ASAN_DIR:-$RW_ROOT/build-asan}
	build_tree "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRW_SANITIZE=OFF
	if ((asan)); then
		build_tree "$adir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRW_SANITIZE=ON
	fi
fi
rw_say "done"
