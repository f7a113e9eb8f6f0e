#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test of the commands in packaging/gmem-policy@.service (KTAP).
#
# This exercises the unit's COMMANDS, not systemd itself: the guest has no
# systemd, and the host kernel cannot load modules, so no booted systemd can
# run the unit here. The test reads the unit file the package installs
# (copied to /gmem/packaging by vmtest/vmtest.mk), takes its Type=,
# EnvironmentFile=, ExecStartPre=, ExecStart=, ExecStop= and KillSignal=
# lines, substitutes %i/%I with a shipped policy, and runs them the way
# systemd would for Type=simple: the pre-commands in order, ExecStart in the
# background as the main process, then ExecStop (with $MAINPID) if there is
# one and KillSignal to the main process. `gmemctl status` must show the
# policy in charge while the "service" runs and the built-in policy after it
# stops. What systemd adds (dependencies, cgroups, restart, the journal) is
# not tested.
#
# Approximations, in the guest's busybox sh: the unit's absolute paths of
# the packaged binaries (/usr/sbin/gmemctl, /sbin/modprobe) are run by name
# from PATH when the guest has no file there (gmemctl is in /gmem/bin);
# $VAR in a command line is split on whitespace as systemd splits it (via
# eval); the EnvironmentFile is read with `.`. For ExecStartPre's
# `modprobe gmem` the test installs the modules where DKMS puts them
# (/lib/modules/$(uname -r)/updates/dkms) and runs depmod; the suite has
# already loaded them, so modprobe finds them loaded.

UNIT=/gmem/packaging/gmem-policy@.service
POLICY=lru_cold
. "${GMEM_KTAP_LIB:-/gmem/lib/ktap.sh}"

# check_rc NAME STATUS: ok when STATUS is 0, else not_ok with the last output.
check_rc() {
	rc=$2
	if [ "$2" = 0 ]; then ok "$1"; else diag "$1"; not_ok "$1"; fi
}

active_policy() {
	gmemctl --json status 2>/dev/null | grep -q "\"active\":true,\"name\":\"$1\""
}

no_policy() {
	gmemctl --json status 2>/dev/null | grep -q '"active":false'
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s.
wait_until() {
	t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# key KEY: the unit's KEY= values, one a line, %i/%I replaced by $POLICY.
key() {
	sed -n "s/^$1=//p" "$UNIT" | sed "s/%[iI]/$POLICY/g"
}

# run_line LINE [bg]: a command line as systemd runs it. A leading '-'
# means "failure is ignored" (reported in $ignore); other prefixes are not
# used by the unit and are refused. bg: in the background, pid in $pid.
run_line() {
	line=$1 ignore=0
	case $line in
	-*) ignore=1; line=${line#-} ;;
	[@+!:]*) out="unsupported prefix in: $line"; rc=99; return ;;
	esac
	exe=${line%% *}
	args=${line#"$exe"}
	case $exe in
	/*) [ -x "$exe" ] || exe=${exe##*/} ;;
	esac
	if [ "$2" = bg ]; then
		( set -a; [ -z "$envfile" ] || [ ! -r "$envfile" ] || . "$envfile"; set +a
		  eval "exec $exe $args" ) >/tmp/unit-main.out 2>&1 &
		pid=$!
	else
		out=$( set -a; [ -z "$envfile" ] || [ ! -r "$envfile" ] || . "$envfile"; set +a
		       eval "$exe $args" 2>&1 )
		rc=$?
	fi
}

# ---------------------------------------------------------------- the unit
if [ ! -r "$UNIT" ]; then
	rc=1 out="no $UNIT in the guest payload"
	diag "unit_file_in_payload"
	not_ok "unit_file_in_payload"
	echo "1..$n"
	exit 1
fi
ok "unit_file_in_payload"
type=$(key Type)
start=$(key ExecStart)
stop=$(key ExecStop)
kill_sig=$(key KillSignal)
kill_sig=${kill_sig:-SIGTERM}
envfile=$(key EnvironmentFile)
envfile=${envfile#-}
out="Type=$type ExecStart=$start ExecStop=$stop KillSignal=$kill_sig EnvironmentFile=$envfile"
rc=0
# The steps below run a Type=simple service with one ExecStart.
[ "$type" = simple ] && [ "$(key ExecStart | wc -l)" = 1 ] &&
	echo "$start" | grep -q "gmemctl load $POLICY"
check_rc "unit_is_simple_with_one_execstart_loading_the_instance" $?
echo "# $out"

# The packaged modules where DKMS installs them, so modprobe finds them.
kver=$(uname -r)
mkdir -p "/lib/modules/$kver/updates/dkms"
cp /gmem/modules/gmem.ko /gmem/modules/gmem_sim.ko "/lib/modules/$kver/updates/dkms/"
depmod "$kver" 2>/dev/null

# ---------------------------------------------------------------- start
no_policy
check_rc "builtin_policy_before_start" $?

pre_ok=0
key ExecStartPre >/tmp/unit-pre
while IFS= read -r l; do
	run_line "$l"
	echo "# ExecStartPre=$l: exit $rc"
	[ $rc = 0 ] || [ $ignore = 1 ] || { pre_ok=1; diag "ExecStartPre=$l"; }
done </tmp/unit-pre
[ $pre_ok = 0 ]
check_rc "execstartpre_succeeds" $?

run_line "$start" bg
main=$pid
wait_until 10 active_policy "$POLICY"
rc=$? out=$(cat /tmp/unit-main.out; gmemctl status 2>&1)
check_rc "policy_attached_while_running" $rc
kill -0 "$main" 2>/dev/null
rc=$?
check_rc "main_process_stays_running" $rc

# ---------------------------------------------------------------- stop
if [ -n "$stop" ]; then
	MAINPID=$main
	export MAINPID
	run_line "$stop"
	check_rc "execstop_succeeds" $rc
fi
kill -s "${kill_sig#SIG}" "$main" 2>/dev/null
wait "$main"
rc=$?
out=$(cat /tmp/unit-main.out)
# systemd counts exit 0 and death by SIGTERM/SIGINT/SIGHUP/SIGPIPE as success.
case $rc in 0 | 129 | 130 | 141 | 143) rc=0 ;; esac
check_rc "main_process_exits_cleanly_on_stop" $rc
wait_until 10 no_policy
rc=$? out=$(gmemctl status 2>&1)
check_rc "policy_detached_after_stop" $rc

# ---------------------------------------------------------------- environment
# EnvironmentFile: GMEM_POLICY_ARGS reaches gmemctl, split into words. A
# tunable that does not exist makes the load fail and list the real ones.
if [ -n "$envfile" ] && echo "$start" | grep -q '\$GMEM_POLICY_ARGS'; then
	mkdir -p "${envfile%/*}"
	echo 'GMEM_POLICY_ARGS="--set scan_max=4096 --set demote_max=32"' >"$envfile"
	run_line "$start" bg
	main=$pid
	wait_until 10 active_policy "$POLICY"
	rc=$? out=$(cat /tmp/unit-main.out)
	kill -s "${kill_sig#SIG}" "$main" 2>/dev/null
	wait "$main"
	wait_until 10 no_policy
	check_rc "environment_file_tunables_accepted" $rc
	echo 'GMEM_POLICY_ARGS="--set no_such_tunable=1"' >"$envfile"
	run_line "$start"
	if [ $rc != 0 ] && echo "$out" | grep -q "tunables of '$POLICY':.*scan_max"; then
		ok "environment_file_args_reach_gmemctl"
	else
		diag "environment_file_args_reach_gmemctl"
		not_ok "environment_file_args_reach_gmemctl"
	fi
	rm -f "$envfile"
	no_policy
	check_rc "no_policy_after_failed_start" $?
else
	n=$((n + 1))
	echo "ok $n environment_file # SKIP the unit has no EnvironmentFile with \$GMEM_POLICY_ARGS"
fi

rm -rf "/lib/modules/$kver/updates"
ktap_done
