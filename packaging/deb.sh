#!/usr/bin/env bash
# Build gmem's Debian packages from a staged `make install` (PREFIX=/usr,
# Debian's multiarch LIBDIR), with dpkg-deb: no debian/ folder or
# debhelper run, because the split is small and fixed:
#
#   gmem-dkms            the module sources under /usr/src, rebuilt by DKMS for
#                        every installed kernel; modules-load.d entry
#   libgmempolicy0       the shared library
#   libgmempolicy-dev    headers (C and BPF: <includedir>/gmem/bpf), .a, .so, .pc
#   gmem-tools           gmemctl, gmem-min, man pages, bash completion,
#                        the systemd unit gmem-policy@.service
#   gmem-policies        the shipped BPF policies
#
# Usage: packaging/deb.sh STAGE OUTDIR VERSION (run by `make deb`).
set -euo pipefail
stage=$1 out=$2 version=$3
top=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
work=$out/pkgroot
maint="gmem developers <gmem@localhost>"
rm -rf "$work" && mkdir -p "$work" "$out"

# pkg NAME: an empty package root
pkg() { rm -rf "${work:?}/$1"; mkdir -p "$work/$1/DEBIAN"; }
# take NAME PATH...: move staged paths (relative to the stage) into package NAME
take() {
	local p=$1 f; shift
	for f in "$@"; do
		mkdir -p "$work/$p/$(dirname "$f")"
		cp -a "$stage/$f" "$work/$p/$f"
	done
}
# control NAME ARCH DEPENDS DESCRIPTION...
control() {
	local p=$1 a=$2 dep=$3; shift 3
	{
		echo "Package: $p"
		echo "Version: $version"
		echo "Architecture: $a"
		echo "Maintainer: $maint"
		echo "Installed-Size: $(du -sk --exclude=DEBIAN "$work/$p" | cut -f1)"
		[ -z "$dep" ] || echo "Depends: $dep"
		echo "Section: admin"
		echo "Priority: optional"
		echo "Homepage: https://example.invalid/gmem"
		printf 'Description: %s\n' "$1"; shift
		for l in "$@"; do printf ' %s\n' "$l"; done
	} >"$work/$p/DEBIAN/control"
}

# ---- gmem-dkms
pkg gmem-dkms
src=$work/gmem-dkms/usr/src/gmem-$version
mkdir -p "$src"
(cd "$top/kernel" && find . -name '*.[ch]' -o -name Kbuild | cpio -pdm --quiet "$src")
sed "s/@VERSION@/$version/" "$top/packaging/dkms.conf.in" >"$src/dkms.conf"
install -D -m 644 "$top/packaging/gmem.modules-load.conf" \
	"$work/gmem-dkms/usr/lib/modules-load.d/gmem.conf"
cat >"$work/gmem-dkms/DEBIAN/postinst" <<POST
#!/bin/sh
set -e
# Debian's DKMS helper: add, build and install for the running kernel and
# every kernel with headers; a kernel without headers is skipped, not fatal.
if [ "\$1" = configure ]; then
	/usr/lib/dkms/common.postinst gmem $version "" "" "\$2"
fi
POST
cat >"$work/gmem-dkms/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
if [ "\$1" = remove ] || [ "\$1" = upgrade ] || [ "\$1" = deconfigure ]; then
	dkms remove -m gmem -v $version --all >/dev/null 2>&1 || true
fi
PRERM
chmod 755 "$work/gmem-dkms/DEBIAN/postinst" "$work/gmem-dkms/DEBIAN/prerm"
control gmem-dkms all "dkms (>= 3), dwarves" \
	"gmem unified memory core for accelerators (DKMS module sources)" \
	"gmem.ko gives CPUs and accelerators one address space and lets a BPF" \
	"struct_ops policy decide migration, eviction and prefetch. DKMS builds it" \
	"(and gmem_sim.ko, a simulated accelerator) for each installed kernel;" \
	"module BTF needs pahole (dwarves) and the kernel headers' vmlinux."

# ---- libgmempolicy0 / -dev
lib=usr/lib/$multiarch
pkg libgmempolicy0
take libgmempolicy0 "$lib/libgmempolicy.so.0" "$lib/libgmempolicy.so.$version"
control libgmempolicy0 "$arch" "libbpf1 (>= 1:1.4), libelf1, zlib1g, libc6" \
	"gmem memory-policy library" \
	"Allocates gmem unified memory, sends hints, queries devices and objects," \
	"and loads, attaches and pins BPF memory policies."
pkg libgmempolicy-dev
take libgmempolicy-dev "$lib/libgmempolicy.so" "$lib/libgmempolicy.a" \
	"$lib/pkgconfig/gmempolicy.pc" usr/include/gmempolicy.h usr/include/gmem
control libgmempolicy-dev "$arch" "libgmempolicy0 (= $version), libbpf-dev (>= 1:1.4)" \
	"gmem memory-policy library: headers, and headers for BPF policies" \
	"C headers and the static library, plus <includedir>/gmem/bpf (gmem.bpf.h," \
	"gmem_vmlinux.h, common.bpf.h) for building policies with clang;" \
	"pkg-config --variable=bpfincludedir gmempolicy names that folder."

# ---- gmem-tools
pkg gmem-tools
take gmem-tools usr/sbin/gmemctl usr/bin/gmem-min usr/share/man/man8/gmemctl.8 \
	usr/share/man/man1/gmem-min.1
gzip -9n "$work/gmem-tools/usr/share/man/man8/gmemctl.8" "$work/gmem-tools/usr/share/man/man1/gmem-min.1"
install -D -m 644 "$top/packaging/gmemctl.bash-completion" \
	"$work/gmem-tools/usr/share/bash-completion/completions/gmemctl"
install -D -m 644 "$top/packaging/gmem-policy@.service" \
	"$work/gmem-tools/lib/systemd/system/gmem-policy@.service"
control gmem-tools "$arch" "libbpf1 (>= 1:1.4), libelf1, zlib1g, libc6" \
	"gmem tools: gmemctl, gmem-min, and the gmem-policy@ systemd unit" \
	"gmemctl loads and unloads gmem BPF memory policies and shows devices," \
	"objects, counters and live rates; gmem-min computes Belady's MIN of a" \
	"recorded trace. gmem-policy@NAME.service keeps policy NAME in charge."

# ---- gmem-policies
pkg gmem-policies
take gmem-policies usr/share/gmem/policies
control gmem-policies all "" \
	"gmem BPF memory policies" \
	"The shipped policies (LRU-cold, S3-FIFO, UVM-like, LLM layers, stride" \
	"prefetch, FIFO example), loaded by name with gmemctl."

for p in gmem-dkms libgmempolicy0 libgmempolicy-dev gmem-tools gmem-policies; do
	dpkg-deb --root-owner-group -Zxz --build "$work/$p" "$out" >/dev/null
done
ls "$out"/*.deb
