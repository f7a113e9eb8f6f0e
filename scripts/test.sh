#!/usr/bin/env bash
# `make test`: host unit tests, the vmtest harness self-checks, then the
# in-guest suite. Prints every failure by name and ends with one line
# "N passed, N failed"; exits non-zero if anything failed.
#   --harness-only  only the vmtest harness self-checks
#   --debug-kernel  harness checks + in-guest suite on the debug kernel
#                   (make test-debug); host tests do not depend on the kernel.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
pass=0 fail=0 failed=()
# Extra run.sh arguments and timeouts; --debug-kernel changes them.
vm_args=() harness_timeout=300 suite_args=()

record() { # name status(0=pass)
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS: $1"
	else fail=$((fail + 1)); failed+=("$1"); echo "FAIL: $1"; fi
}

host_tests() {
	local t out p f c
	for t in build/tests/host/*; do
		[ -x "$t" ] && [ -f "$t" ] || continue
		echo "== host: ${t##*/}"
		out=$("$t" --jobs 2 2>&1); local rc=$?
		echo "$out" | tail -n 15
		# Criterion: "[====] Synthesis: Tested: N | Passing: P | Failing: F | Crashing: C"
		p=$(echo "$out" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p' | tail -n1)
		f=$(echo "$out" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p' | tail -n1)
		c=$(echo "$out" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' | tail -n1)
		if [ -z "$p" ]; then record "host:${t##*/} (no Criterion summary)" 1; continue; fi
		pass=$((pass + p)); fail=$((fail + f + c))
		[ "$rc" = 0 ] && [ $((f + c)) = 0 ] || failed+=("host:${t##*/}")
	done
}

harness_checks() {
	echo "== vmtest harness self-checks"
	local out rc
	out=$(bash vmtest/run.sh --no-build "${vm_args[@]}" --timeout $harness_timeout -- uname -r 2>/dev/null)
	[ $? = 0 ] && echo "$out" | grep -q '^6\.12\.'
	record "harness: 'run.sh -- uname -r' prints the 6.12 release ($out)" $?
	bash vmtest/run.sh --no-build "${vm_args[@]}" --timeout $harness_timeout -- false >/dev/null 2>&1
	[ $? != 0 ]
	record "harness: 'run.sh -- false' exits non-zero" $?
	# An argument holding newlines reaches the guest whole: the failing last
	# line must fail the run, and the text after a newline (and a trailing
	# newline) must arrive.
	bash vmtest/run.sh --no-build "${vm_args[@]}" --timeout $harness_timeout -- sh -c 'echo first
echo second; false' >/dev/null 2>&1
	[ $? = 1 ]
	record "harness: an argument with a newline is passed whole (its failing tail fails the run)" $?
	# (The serial console may add CRs and other lines; look for the bytes.)
	out=$(bash vmtest/run.sh --no-build "${vm_args[@]}" --timeout $harness_timeout -- printf '<%s>' 'a
b
' 2>/dev/null | tr -d '\r')
	case "$out" in *"<a"$'\n'"b"$'\n'">"*) true ;; *) false ;; esac; rc=$?
	record "harness: newlines inside and at the end of an argument survive" $rc
	[ $rc = 0 ] || printf "  got: %q\n" "$out"
	bash vmtest/run.sh --no-build "${vm_args[@]}" --timeout $harness_timeout --expect-splat -- \
		insmod /gmem/modules/gmem_warn_test.ko >/dev/null 2>&1
	record "harness: a module WARNING fails the run (log scanner)" $?
}

# One line from the reliability programs' "# reliability: key=N ..." lines, summed per key.
reliability_summary() {
	local line
	line=$(sed -n 's/^# reliability: //p' "$1" | tr ' ' '\n' | grep '=' | awk -F= '
		!($1 in sum) { order[n++] = $1 } { sum[$1] += $2 }
		END { for (i = 0; i < n; i++) printf "%s%s=%.0f", i ? " " : "", order[i], sum[order[i]] }')
	[ -z "$line" ] || echo "reliability summary: $line"
}

guest_suite() {
	echo "== in-guest suite"
	local log=build/vmtest/suite.out rc line p f
	mkdir -p build/vmtest
	bash vmtest/run.sh --no-build "${vm_args[@]}" "${suite_args[@]}" \
		${GMEM_SUITE_FILTER:+--filter "$GMEM_SUITE_FILTER"} | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep '^GMEM-SUITE: ' "$log" | tail -n1)
	p=$(echo "$line" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	if [ -z "$p" ]; then
		record "guest suite (no summary: guest crashed or timed out)" 1
		return
	fi
	pass=$((pass + p)); fail=$((fail + f))
	reliability_summary "$log"
	grep '^not ok ' "$log" | sed 's/^/  guest: /'
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		record "guest suite: kernel log clean and guest exit 0" 1
	fi
	[ "$f" = 0 ] || failed+=("guest suite")
}

case "${1:-}" in
--harness-only) harness_checks ;;
--debug-kernel)
	# KASAN + lockdep under TCG run the suite several times slower: raise the
	# boot, per-program and whole-suite timeouts for this target only.
	# no5lvl: under TCG's -cpu max the guest runs 5-level paging, and
	# identify_cpu() clears boot_cpu_data's capabilities, LA57 included,
	# before it reads them again; an interrupt in that window makes KASAN
	# see the 57-bit direct map as outside its shadow ("wild-memory-access
	# in do_raw_spin_lock" from handle_edge_irq at boot, before any gmem
	# code runs). 4-level paging has no such window; gmem does not need 57
	# bits.
	vm_args=(--kernel build/debug-kernel/vmlinuz --modules build/debug-kmod --append no5lvl)
	harness_timeout=900
	suite_args=(--timeout "${GMEM_DEBUG_VM_TIMEOUT:-7200}" --test-timeout "${GMEM_DEBUG_TEST_TIMEOUT:-1500}")
	harness_checks
	guest_suite
	;;
*)
	host_tests
	harness_checks
	guest_suite
	;;
esac
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed:"; printf '  %s\n' "${failed[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
