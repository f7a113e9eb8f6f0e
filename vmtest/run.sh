#!/usr/bin/env bash
# Boot the recorded Debian 6.12 kernel in QEMU with gmem's modules, policies,
# tools and in-guest tests in an initramfs.
#
#   vmtest/run.sh                 run the whole in-guest suite
#   vmtest/run.sh -- CMD ARGS...  load the modules, run CMD, exit with its status
#   vmtest/run.sh --shell         interactive guest shell (make vm)
# Options: --tcg | --kvm (default: KVM only if a probe boot works), --timeout S,
#   --mem MB, --filter REGEX (suite programs to run), --no-build,
#   --expect-splat (succeed only if the kernel log shows a splat: harness self-test),
#   --kernel BZIMAGE (boot another kernel, e.g. build/debug-kernel/vmlinuz; the guest's
#   /sys/kernel/btf/vmlinux is that kernel's), --modules DIR (take every *.ko under DIR
#   instead of build/kmod + build/kmod-extra: modules built for --kernel),
#   --append ARGS (more kernel command-line arguments),
#   --test-timeout S (per suite program, default 300), --icount (add
#   "-icount shift=0,sleep=off": guest time counts executed instructions, so timing
#   ratios repeat to ~0.1% under TCG; slower, and distorts some instructions' cost).
# The guest kernel log is saved to build/vmtest/logs/<stamp>.dmesg and scanned
# for BUG:/WARNING:/Oops/...; any hit outside a deliberate test's markers fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
kdir=$build/kernel
vmdir=$build/vmtest
accel=auto timeout_s=${GMEM_VM_TIMEOUT:-900} mem=2048 mode=suite filter="" build_first=1
expect_splat=0
kernel_img=$kdir/vmlinuz moddir="" test_timeout="" icount=0 extra_append=""

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--tcg) accel=tcg ;;
	--kvm) accel=kvm ;;
	--timeout) timeout_s=$2; shift ;;
	--mem) mem=$2; shift ;;
	--filter) filter=$2; shift ;;
	--shell) mode=shell ;;
	--no-build) build_first=0 ;;
	--expect-splat) expect_splat=1 ;;
	--kernel) kernel_img=$2; shift ;;
	--modules) moddir=$2; shift ;;
	--append) extra_append=$2; shift ;;
	--test-timeout) test_timeout=$2; shift ;;
	--icount) icount=1 ;;
	-h|--help) usage 0 ;;
	--) shift; mode=cmd; break ;;
	*) echo "run.sh: unknown option $1" >&2; usage ;;
	esac
	shift
done
[ "$mode" != cmd ] || [ $# -gt 0 ] || { echo "run.sh: -- needs a command" >&2; exit 2; }

if [ $build_first = 1 ]; then
	make -s -C "$top" guest-payload >&2
fi
[ -f "$kernel_img" ] || { echo "run.sh: no guest kernel $kernel_img; run make deps" >&2; exit 2; }
# The release shown in the banner: KVER beside the image (build/kernel, build/debug-kernel).
kver=$(cat "$(dirname "$kernel_img")/KVER" 2>/dev/null || echo "${kernel_img##*/}")
if [ -n "$moddir" ]; then
	[ -f "$(find "$moddir" -name gmem.ko -print -quit 2>/dev/null)" ] ||
		{ echo "run.sh: no gmem.ko under $moddir" >&2; exit 2; }
fi

# ---------------------------------------------------------------- initramfs
# Per-run directories: several runs may share one build tree.
mkdir -p "$vmdir"
root=$(mktemp -d "$vmdir/root.XXXXXX")
initrd=$root.cpio.gz
qpid= watchdog=
cleanup() {
	[ -z "$qpid" ] || kill -9 "$qpid" 2>/dev/null || true
	[ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null || true
	rm -rf "$root" "$initrd"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,lib64,usr/lib}
mkdir -p "$root"/gmem/{bin,bpf,tests,modules,lib}
cp /bin/busybox "$root/bin/busybox"
cp "$top/vmtest/guest/init" "$root/init"
cp "$top/vmtest/guest/gmem-modules" "$top/vmtest/guest/gmem-suite" "$root/gmem/bin/"
if [ -n "$moddir" ]; then
	# Modules must match the booted kernel (vermagic, and BTF based on its vmlinux).
	find "$moddir" -name '*.ko' -exec cp {} "$root/gmem/modules/" \;
else
	cp "$build/kmod/gmem.ko" "$build/kmod/drivers/gmem_sim/gmem_sim.ko" "$root/gmem/modules/"
	[ ! -d "$build/kmod-extra" ] || cp "$build"/kmod-extra/*.ko "$root/gmem/modules/" 2>/dev/null || true
fi
[ ! -d "$build/bpf" ] || cp "$build"/bpf/*.bpf.o "$root/gmem/bpf/" 2>/dev/null || true
[ ! -d "$build/bin" ] || cp -r "$build"/bin/. "$root/gmem/bin/"
[ ! -d "$build/tests/guest" ] || cp -r "$build"/tests/guest/. "$root/gmem/tests/"
for t in "$top"/tests/guest/*.sh; do [ -e "$t" ] && cp "$t" "$root/gmem/tests/${t##*/}"; done
# Sourced by the shell tests, so outside /gmem/tests (the suite runs all there).
cp "$top"/tests/guest/lib/*.sh "$root/gmem/lib/"
chmod +x "$root"/gmem/tests/* 2>/dev/null || true
[ ! -d "$build/guest-extra" ] || cp -r "$build"/guest-extra/. "$root/"
cp "$(command -v bpftool)" "$root/gmem/bin/bpftool"
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# Shared libraries of every dynamic ELF, copied as real files.
copy_libs() {
	local f lib
	for f in "$@"; do
		[ -f "$f" ] || continue
		{ ldd "$f" 2>/dev/null || true; } | awk '/=>/ {print $3} /^\t\/lib/ {print $1}' |
		while read -r lib; do
			[ -n "$lib" ] && [ -e "$lib" ] || continue
			mkdir -p "$root$(dirname "$lib")"
			[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
		done
	done
}
copy_libs "$root"/gmem/bin/* "$root"/gmem/tests/*
# Debian's usrmerge: /lib -> usr/lib, /lib64 -> the loader's home.
if [ -d "$root/lib/x86_64-linux-gnu" ]; then
	mkdir -p "$root/usr/lib" && cp -a "$root/lib/." "$root/usr/lib/" && rm -rf "$root/lib"
	ln -s usr/lib "$root/lib"
fi

{
	echo "MODE=$mode"
	[ -z "$filter" ] || printf 'SUITE_FILTER=%q\n' "$filter"
	[ -z "$test_timeout" ] || printf 'export GMEM_TEST_TIMEOUT=%q\n' "$test_timeout"
} >"$root/gmem/job"
# One file per argument (cmd.d/0000, 0001, ...), written byte for byte: an
# argument may hold newlines or any other byte but NUL, which no argv can.
mkdir -p "$root/gmem/cmd.d"
[ $# -le 9999 ] || { echo "run.sh: more than 9999 arguments after --" >&2; exit 2; }
n=0
for a in "$@"; do printf "%s" "$a" >"$root/gmem/cmd.d/$(printf %04d $n)"; n=$((n + 1)); done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"

# ---------------------------------------------------------------- accel
kvm_works() {
	# Nested KVM on some hosts starts but dies on the first emulation failure:
	# only a real boot tells. A tiny initramfs that powers off at once is booted;
	# the verdict is cached per host boot.
	[ -w /dev/kvm ] || return 1
	local cache=$vmdir/kvm-probe boot out verdict=no p=$vmdir/probe
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo none)
	if [ -f "$cache" ] && [ "$(head -n1 "$cache")" = "$boot" ]; then
		[ "$(tail -n1 "$cache")" = yes ]; return
	fi
	rm -rf "$p" && mkdir -p "$p/bin"
	cp /bin/busybox "$p/bin/busybox"
	printf '#!/bin/busybox sh\n/bin/busybox echo KVM-PROBE-OK >/dev/ttyS0\n/bin/busybox poweroff -f\n' >"$p/init"
	chmod +x "$p/init"
	(cd "$p" && find . | cpio -o -H newc --quiet | gzip -1) >"$vmdir/probe.cpio.gz"
	out=$(timeout -k 5 60 qemu-system-x86_64 -accel kvm -cpu host -m 512 -smp 1 -nodefaults \
		-kernel "$kdir/vmlinuz" -initrd "$vmdir/probe.cpio.gz" -display none -no-reboot \
		-serial stdio -append "console=ttyS0 panic=-1 quiet" </dev/null 2>&1 || true)
	case "$out" in *KVM-PROBE-OK*) verdict=yes ;; esac
	printf '%s\n%s\n' "$boot" "$verdict" >"$cache"
	[ $verdict = yes ]
}
# -icount exists only under TCG.
[ "$accel" != auto ] || [ $icount = 0 ] || accel=tcg
if [ "$accel" = auto ]; then
	if kvm_works; then accel=kvm; else accel=tcg; fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg,thread=single -cpu max) ;;
esac
if [ $icount = 1 ]; then
	# Deterministic guest clock: 1 ns per instruction, no skipping while idle.
	[ "$accel" = tcg ] || { echo "run.sh: --icount needs TCG (use --tcg)" >&2; exit 2; }
	accel_args+=(-icount shift=0,sleep=off)
fi

# ---------------------------------------------------------------- boot
mkdir -p "$vmdir/logs"
stamp=$(date +%Y%m%d-%H%M%S)-$$
dmesg_log=$vmdir/logs/$stamp.dmesg
out_log=$vmdir/logs/$stamp.out
qemu=(qemu-system-x86_64 "${accel_args[@]}" -m "$mem" -smp 2 -nodefaults -no-reboot
	-display none -kernel "$kernel_img" -initrd "$initrd"
	-append "console=ttyS1 ignore_loglevel panic=-1 oops=panic no_timer_check rdinit=/init${extra_append:+ $extra_append}"
	-device virtio-rng-pci)
echo "vmtest: $kver accel=$accel$([ $icount = 0 ] || echo ' icount') mode=$mode kernel log: $dmesg_log" >&2

if [ "$mode" = shell ]; then
	"${qemu[@]}" -serial mon:stdio -serial "file:$dmesg_log"
	exit 0
fi

# QEMU runs in the background so that a timeout or a signal kills exactly it;
# its serial console goes to a file that is followed here.
: >"$out_log"
"${qemu[@]}" -serial "file:$out_log" -serial "file:$dmesg_log" </dev/null >"$out_log.qemu" 2>&1 &
qpid=$!
( t=0
  while kill -0 "$qpid" 2>/dev/null; do
	if [ $t -ge "$timeout_s" ]; then
		echo "vmtest: timeout after ${timeout_s}s, killing the guest" >&2
		kill -9 "$qpid" 2>/dev/null; break
	fi
	sleep 1; t=$((t + 1))
  done ) &
watchdog=$!
tail --pid="$qpid" -n +1 -f "$out_log" | grep --line-buffered -v '^GMEM-EXIT: ' || true
status=0
wait "$qpid" 2>/dev/null || status=$?
qpid=
kill "$watchdog" 2>/dev/null || true
wait "$watchdog" 2>/dev/null || true
watchdog=
[ "$status" = 0 ] || [ ! -s "$out_log.qemu" ] || sed 's/^/vmtest: qemu: /' "$out_log.qemu" >&2

guest_rc=$(sed -n 's/^GMEM-EXIT: \([0-9]*\).*/\1/p' "$out_log" | tail -n1)
if [ -z "$guest_rc" ]; then
	if [ "$status" = 137 ]; then
		echo "vmtest: guest timed out after ${timeout_s}s" >&2
	else
		echo "vmtest: guest died without reporting a status (qemu exit $status)" >&2
	fi
	guest_rc=124
fi

# ---------------------------------------------------------------- kernel log scan
# Lines between "gmem-vmtest: expect-splat begin" and "... end" are a
# deliberate test's and are not held against the run.
# What the debug kernel (make test-debug) adds, and which line catches it:
#   lockdep    "WARNING: possible circular locking dependency detected",
#              "WARNING: inconsistent lock state", "WARNING: possible recursive locking"
#              (not a bare "lockdep": a debug kernel's boot says "RCU lockdep
#              checking is enabled")
#   atomic     "BUG: sleeping function called from invalid context"
#   KASAN      "BUG: KASAN: slab-use-after-free in ..."
#   PROVE_RCU  "WARNING: suspicious RCU usage"
#   DEBUG_LIST "list_add corruption" then "kernel BUG at lib/list_debug.c"
#   hung task  "INFO: task X:N blocked for more than 60 seconds."
#   RCU        "rcu: INFO: rcu_preempt self-detected stall on CPU"
splats=$(awk '
	/gmem-vmtest: expect-splat begin/ { skip = 1; next }
	/gmem-vmtest: expect-splat end/ { skip = 0; next }
	!skip && /(BUG:|WARNING:|Oops|general protection|refcount_t|turning off the locking correctness validator|hung_task|blocked for more than|Call Trace:|Kernel panic|RCU stall|soft lockup)/ { print; next }
	!skip && /(kernel BUG at|BUG: KASAN|WARNING: possible|INFO: task .* blocked|detected stalls? on|list_(add|del) corruption|suspicious RCU usage|DEBUG_LOCKS_WARN_ON)/ { print }
' "$dmesg_log" | head -n 20)
if [ $expect_splat = 1 ]; then
	if [ -n "$splats" ]; then
		echo "vmtest: kernel log shows the expected splat:" >&2
		echo "$splats" | head -n 3 | sed 's/^/vmtest:   /' >&2
		exit 0
	fi
	echo "vmtest: expected a kernel splat, the log is clean: the scanner is broken" >&2
	exit 1
fi
if [ -n "$splats" ]; then
	echo "vmtest: FAIL: the guest kernel log shows a splat (full log: $dmesg_log):" >&2
	echo "$splats" | sed 's/^/vmtest:   /' >&2
	[ "$guest_rc" != 0 ] || guest_rc=3
fi
echo "vmtest: guest exit status $guest_rc; kernel log: $dmesg_log" >&2
exit "$guest_rc"
