#!/usr/bin/env bash
# Build the debug guest kernel for `make test-debug`: Debian's linux-source-6.12,
# configured small (defconfig + kvm_guest.config, minus vmtest/debug-kernel-trim.config)
# plus vmtest/debug-kernel.config (BPF, BTF, lockdep, KASAN, ...), under build/debug-kernel/.
#
#   scripts/debug-kernel.sh          build if the cache key changed, else do nothing
#   scripts/debug-kernel.sh --config configure and verify only (no compile)
#
# Result: build/debug-kernel/vmlinuz, KVER, and build/debug-kernel/linux (the
# built tree, a KDIR for out-of-tree modules, with vmlinux for module BTF).
# The cache key is the fragment, the source package version and this script:
# a second run with the same key returns in seconds.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
dk=$build/debug-kernel
frag=$top/vmtest/debug-kernel.config
trim=$top/vmtest/debug-kernel-trim.config
tarball=/usr/src/linux-source-6.12.tar.xz
src=$dk/linux
mode=build
[ "${1:-}" != --config ] || mode=config

say() { printf 'debug-kernel: %s\n' "$*"; }
die() { printf 'debug-kernel: error: %s\n' "$*" >&2; exit 1; }

# linux-source-6.12, flex, bison...: only this target pays for them.
bash "$top/scripts/deps.sh" --debug-kernel

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$(cat "$frag" "$trim" "$0" | sha256sum | cut -c1-16)-$srcver
stamp=$dk/.built-$key
if [ $mode = build ] && [ -f "$stamp" ] && [ -f "$dk/vmlinuz" ]; then
	say "cached ($(cat "$dk/KVER"), built in $(cat "$dk/BUILD_TIME" 2>/dev/null || echo '?'))"
	exit 0
fi

# Unpack once per source package version.
unpack() {
	[ "$(cat "$dk/SRCVER" 2>/dev/null)" = "$srcver" ] && [ -f "$src/Makefile" ] && return 0
	say "unpacking $tarball ($srcver)"
	rm -rf "$dk/linux-source-6.12" "$src" "$dk"/.built-*
	mkdir -p "$dk"
	nice -n 15 tar -xaf "$tarball" -C "$dk"
	mv "$dk/linux-source-6.12" "$src"
	echo "$srcver" >"$dk/SRCVER"
}

kmake() { nice -n 15 make -C "$src" -j"${JOBS:-2}" "$@"; }

# Lines "CONFIG_X=v" of fragment $1 as scripts/config arguments.
apply_fragment() {
	local line name val
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		name=${line%%=*} val=${line#*=}
		case "$val" in
		y) "$src/scripts/config" --file "$src/.config" --enable "$name" ;;
		m) "$src/scripts/config" --file "$src/.config" --module "$name" ;;
		n) "$src/scripts/config" --file "$src/.config" --disable "$name" ;;
		\"*) "$src/scripts/config" --file "$src/.config" --set-str "$name" "$(eval echo "$val")" ;;
		*) "$src/scripts/config" --file "$src/.config" --set-val "$name" "$val" ;;
		esac
	done <"$1"
}

# olddefconfig silently drops what an unmet dependency forbids: check each line.
verify_config() {
	local line name val got bad=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		name=${line%%=*} val=${line#*=}
		got=$(grep -E "^$name=|^# $name is not set" "$src/.config" || true)
		case "$val" in
		n) [ -z "$got" ] || [ "$got" = "# $name is not set" ] || { say "$name: wanted n, got '$got'"; bad=1; } ;;
		*) [ "$got" = "$name=$val" ] || { say "$name: wanted $val, got '${got:-unset}'"; bad=1; } ;;
		esac
	done <"$frag"
	[ $bad = 0 ] || die "olddefconfig dropped options from $frag (see above)"
	say "config verified: every option of ${frag#"$top"/} is set; PAHOLE_VERSION=$(sed -n 's/^CONFIG_PAHOLE_VERSION=//p' "$src/.config")"
}

configure() {
	# defconfig + kvm_guest.config is a few hundred objects where Debian's config
	# is thousands: the difference is hours with KASAN on 2 shared cores.
	kmake -s defconfig
	kmake -s kvm_guest.config
	# Trims first: where the two disagree, the wanted options win.
	apply_fragment "$trim"
	apply_fragment "$frag"
	kmake -s olddefconfig
	verify_config
}

unpack
configure
[ $mode = build ] || exit 0

say "building bzImage, vmlinux, modules (log: $dk/build.log); this takes a while"
start=$(date +%s)
# `all` = vmlinux (BTF) + bzImage + modules; modules also writes Module.symvers,
# which modpost needs to resolve the exports our out-of-tree modules use.
if ! kmake all >"$dk/build.log" 2>&1; then
	tail -n 30 "$dk/build.log" >&2
	die "kernel build failed (full log: $dk/build.log)"
fi
secs=$(($(date +%s) - start))
cp "$src/arch/x86/boot/bzImage" "$dk/vmlinuz"
kmake -s kernelrelease >"$dk/KVER"
printf '%dm%02ds\n' $((secs / 60)) $((secs % 60)) >"$dk/BUILD_TIME"
rm -f "$dk"/.built-* && touch "$stamp"
say "built $(cat "$dk/KVER") in $(cat "$dk/BUILD_TIME")"
