#!/usr/bin/env bash
# Install gmem's packages into a fresh Debian bookworm root with apt, check
# what they put there, then purge them and check that nothing of gmem is
# left. `make deb-check` (opt-in: it debootstraps a minbase root, ~5 minutes
# and ~300 MB on first use, kept under build/pkgtest/root).
#
# The root gets bookworm-backports (libbpf 1.4, as on the build host). DKMS
# runs at install; with no kernel headers in the root it skips the build,
# as it does for any kernel without headers. The systemd unit is checked
# with systemd-analyze verify; loading a policy through it needs a booted
# systemd with the gmem module, which this root is not.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$top/build/pkgtest/root}
debs=$top/build/deb
fail=0

say() { printf 'deb-check: %s\n' "$*"; }
check() { # NAME CMD...: run CMD in the root
	local name=$1; shift
	if chroot "$root" sh -c "$*" >/tmp/deb-check.out 2>&1; then
		say "ok   $name"
	else
		say "FAIL $name"; sed 's/^/    /' /tmp/deb-check.out; fail=1
	fi
}

if [ ! -x "$root/usr/bin/apt-get" ]; then
	say "debootstrap bookworm minbase into $root"
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
cat >"$root/etc/apt/sources.list" <<SRC
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-backports main
SRC
cp /etc/resolv.conf "$root/etc/resolv.conf"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
rm -rf "$root/tmp/debs" && mkdir -p "$root/tmp/debs" && cp "$debs"/*.deb "$root/tmp/debs/"

pkgs="gmem-dkms libgmempolicy0 libgmempolicy-dev gmem-tools gmem-policies"
chroot "$root" apt-get update -q >/dev/null
# libbpf-dev and bpftool must come from backports, as for the build.
check "install with apt" "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-t bookworm-backports /tmp/debs/*.deb pkg-config systemd >/tmp/apt.log 2>&1 || { tail -20 /tmp/apt.log; exit 1; }"
check "gmemctl runs, from sbin" "/usr/sbin/gmemctl -j --version | grep -q '\"version\":\"0.1.0\"'"
check "gmemctl finds the installed policies by name" \
	"gmemctl policies | grep -q lru_cold && gmemctl policies lru_cold | grep -q scan_max"
check "gmem-min runs" "gmem-min --help | grep -q Belady"
check "man pages" "test -f /usr/share/man/man8/gmemctl.8.gz && test -f /usr/share/man/man1/gmem-min.1.gz"
check "bash completion" "test -f /usr/share/bash-completion/completions/gmemctl"
check "pkg-config names the BPF include dir" \
	"test \"\$(pkg-config --variable=bpfincludedir gmempolicy)\" = /usr/include/gmem/bpf && \
	 test -f /usr/include/gmem/bpf/common.bpf.h && test -f /usr/include/gmem/bpf/gmem_vmlinux.h"
check "library in the multiarch dir" "test -f /usr/lib/x86_64-linux-gnu/libgmempolicy.so.0 && ldconfig -p | grep -q libgmempolicy.so.0"
check "DKMS knows the module" "dkms status | grep -q '^gmem/0.1.0'"
check "modules-load.d entry" "grep -qx gmem /usr/lib/modules-load.d/gmem.conf"
# verify loads the template as an instance and checks that ExecStart's
# binary exists; --man=no because minbase has no man to check Documentation=.
check "systemd unit verifies" "systemd-analyze verify --man=no /lib/systemd/system/gmem-policy@.service"

check "purge" "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $pkgs >/tmp/purge.log 2>&1 || { tail -20 /tmp/purge.log; exit 1; }"
check "nothing of gmem left" "! ls -d /usr/src/gmem-* /var/lib/dkms/gmem /usr/share/gmem /usr/include/gmem \
	/usr/include/gmempolicy.h /usr/sbin/gmemctl /usr/bin/gmem-min /lib/systemd/system/gmem-policy@.service \
	/usr/lib/modules-load.d/gmem.conf /usr/lib/x86_64-linux-gnu/libgmempolicy* 2>/dev/null | grep . && \
	! dpkg -l | grep -E '^(ii|rc) +(gmem|libgmempolicy)'"
[ $fail = 0 ] && say "all passed" || say "FAILED"
exit $fail
