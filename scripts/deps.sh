#!/usr/bin/env bash
# Install what gmem needs on a Debian 12 (bookworm) host, and fetch the guest
# kernel into build/kernel without installing a kernel on the host.
#
# Idempotent: with everything present it touches no network and takes seconds.
# Only bookworm (+updates, +security) and bookworm-backports are used.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
kdir=$build/kernel

# Packages from plain bookworm, then the ones that must come from backports
# (libbpf 1.1 / bpftool 7.1 cannot load a struct_ops type that lives in a module).
BOOKWORM_PKGS="gcc-12 make clang llvm dwarves libcriterion-dev qemu-system-x86
busybox-static cpio zstd pkg-config gnuplot-nox zlib1g-dev kmod xz-utils"
BACKPORTS_PKGS="libbpf-dev libelf-dev bpftool"
# The default guest kernel; overridable with GMEM_KVER, and replaced by the newest
# 6.12.x+deb12 the mirror offers when this one has been superseded.
DEFAULT_KVER=${GMEM_KVER:-6.12.95+deb12-amd64}

say() { printf 'deps: %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing_pkgs() {
	local p
	for p in $BOOKWORM_PKGS $BACKPORTS_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			printf '%s ' "$p"
	done
}

backports_ok() {
	# libbpf >= 1.4 and bpftool >= 7.5 are what module struct_ops need.
	dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libbpf-dev 2>/dev/null || echo 0)" ge 1:1.4 &&
		dpkg --compare-versions "$(dpkg-query -W -f='${Version}' bpftool 2>/dev/null || echo 0)" ge 7.5
}

add_backports() {
	local f=/etc/apt/sources.list.d/bookworm-backports.sources
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	say "adding bookworm-backports ($f)"
	as_root tee "$f" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	APT_UPDATED=
}

APT_UPDATED=
apt_update() { [ -n "$APT_UPDATED" ] || { as_root apt-get update -q >/dev/null; APT_UPDATED=1; }; }

install_packages() {
	local miss
	miss=$(missing_pkgs)
	if [ -z "$miss" ] && backports_ok; then
		return 0
	fi
	add_backports
	apt_update
	say "installing: $BOOKWORM_PKGS"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		$BOOKWORM_PKGS >/dev/null
	say "installing from bookworm-backports: $BACKPORTS_PKGS"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-t bookworm-backports $BACKPORTS_PKGS >/dev/null
}

# Echo the package name that provides the image for $1, or nothing.
image_pkg_for() {
	local k=$1 p
	for p in "linux-image-$k" "linux-image-$k-unsigned"; do
		if apt-cache show "$p" >/dev/null 2>&1; then echo "$p"; return 0; fi
	done
	return 1
}

resolve_kver() {
	if image_pkg_for "$DEFAULT_KVER" >/dev/null; then
		echo "$DEFAULT_KVER"; return 0
	fi
	# Superseded: take the newest 6.12.x+deb12-amd64 offered.
	apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64(-unsigned)?$' |
		awk '{print $1}' | sed -e 's/^linux-image-//' -e 's/-unsigned$//' |
		sort -V | tail -n 1
}

fetch_kernel() {
	if [ -f "$kdir/KVER" ] && [ -f "$kdir/vmlinuz" ] && [ -f "$kdir/headers/vmlinux" ]; then
		return 0
	fi
	add_backports
	apt_update
	local kver kbase img tmp
	kver=$(resolve_kver)
	[ -n "$kver" ] || { say "no 6.12 kernel found on the mirror"; exit 1; }
	kbase=${kver%-amd64}
	img=$(image_pkg_for "$kver")
	say "guest kernel $kver ($img)"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"	# apt downloads as _apt
	trap 'rm -rf "$tmp"' RETURN
	(cd "$tmp" && apt-get download -q "$img" "linux-headers-$kver" \
		"linux-headers-$kbase-common" "linux-kbuild-$kbase" >/dev/null)
	rm -rf "$kdir" && mkdir -p "$kdir/root"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$kdir/root"; done
	local hdr=$kdir/root/usr/src/linux-headers-$kver
	# The arch headers include the common tree by absolute path; point it at ours.
	sed -i "s|^include /usr/src/linux-headers-$kbase-common/Makefile|include $kdir/root/usr/src/linux-headers-$kbase-common/Makefile|" \
		"$hdr/Makefile"
	# The scripts/ and tools/ symlinks point into /usr/lib/linux-kbuild-*: repoint them.
	local l t
	for l in $(find "$kdir/root/usr/src" -maxdepth 3 -type l); do
		t=$(readlink "$l")
		case "$t" in
		/usr/*) ln -sfn "$kdir/root$t" "$l" ;;
		../../lib/*|../../../lib/*) ;;
		esac
	done
	ln -sfn "$hdr" "$kdir/headers"
	cp "$kdir/root/boot/vmlinuz-$kver" "$kdir/vmlinuz"
	echo "$kver" >"$kdir/KVER"
	say "kernel $kver recorded in $kdir/KVER"
}

# --check: change nothing; report what is missing and fail, for plain `make`
# (only `make deps` installs packages or adds apt sources).
check_only() {
	local miss ok=1
	miss=$(missing_pkgs)
	[ -z "$miss" ] || { say "missing packages: $miss"; ok=0; }
	[ -z "$miss" ] && ! backports_ok && { say "libbpf-dev >= 1.4 and bpftool >= 7.5 (bookworm-backports) are needed"; ok=0; }
	[ -f "$kdir/KVER" ] || { say "no guest kernel in $kdir"; ok=0; }
	[ $ok = 1 ] || { say "run 'make deps' (installs them; needs root or sudo)"; exit 1; }
	exit 0
}

# Only `make test-debug` (scripts/debug-kernel.sh) needs these: Debian's kernel
# source (~150 MB, bookworm-security) and the kernel build tools. Plain
# `make deps` / `make test` never install them, so CI does not pay for them.
DEBUG_KERNEL_PKGS="linux-source-6.12 flex bison bc libssl-dev libelf-dev dwarves"
debug_kernel_deps() {
	local p miss=
	for p in $DEBUG_KERNEL_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			miss="$miss $p"
	done
	[ -n "$miss" ] || return 0
	apt_update
	say "installing for the debug kernel:$miss"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		$miss >/dev/null
}

case "${1:-}" in
--check) check_only ;;
--debug-kernel) debug_kernel_deps ;;
"") install_packages; fetch_kernel ;;
*) say "unknown option $1 (--check or --debug-kernel)"; exit 2 ;;
esac
