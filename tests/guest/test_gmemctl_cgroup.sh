#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest tests of gmemctl with policies per cgroup (KTAP): `load --cgroup`
# next to a system-wide policy, `status` listing every attachment (text and
# JSON), `load --cgroup --replace`, `unload --cgroup`, and bad input (not a
# cgroup, a busy cgroup, nothing pinned there, not root), each leaving the
# attachments as they were.
#
# Assets: policies in /gmem/bpf (example_fifo: ops name "fifo"; lru_cold).

PIN_DIR=/sys/fs/bpf/gmem
CG=/sys/fs/cgroup/gmemctl-cg.$$
. "${GMEM_KTAP_LIB:-/gmem/lib/ktap.sh}"

# attachments: the JSON status's attachment list.
attachments() {
	gmemctl --json status 2>/dev/null | sed -n 's/.*"attachments":\(\[.*\]\).*/\1/p'
}

mkdir "$CG" || { echo "not ok 1 cannot create $CG"; exit 1; }
# The cgroup's id is its directory's inode number on cgroup2.
cgid=$(stat -c %i "$CG")

run gmemctl load example_fifo --cgroup "$CG" --pin
expect "load_cgroup_pin" 0 "policy 'example_fifo' loaded and pinned"
check "cgroup_pin_named" test -e "$PIN_DIR/example_fifo-cg$cgid"
run gmemctl load lru_cold --pin
expect "system_wide_next_to_it" 0 "policy 'lru_cold' loaded and pinned at $PIN_DIR/lru_cold"

run gmemctl status
check "status_lists_both" eval 'echo "$out" | grep -q "^policy: *lru_cold (BPF)" &&
	echo "$out" | grep -q "^attachments: 2" &&
	echo "$out" | grep -q "^  fifo  *cgroup $cgid  *active" &&
	echo "$out" | grep -q "^  lru_cold  *system-wide  *active"'
att=$(attachments)
check "status_json_attachments" eval 'echo "$att" | grep -q "\"name\":\"fifo\",\"cgroup_id\":$cgid,\"active\":true" &&
	echo "$att" | grep -q "\"name\":\"lru_cold\",\"cgroup_id\":0,\"active\":true"'

# ---------------------------------------------------------------- bad input
before=$(attachments | sed 's/"hook_calls":[0-9]*,"hook_ns":[0-9]*,//g')
run gmemctl load lru_cold --cgroup "$CG" --pin
expect "cgroup_busy" 7 "another policy is already attached to that cgroup"
run gmemctl load example_fifo --cgroup /tmp --pin
expect "not_a_cgroup" 2 "not a cgroup v2 directory"
run gmemctl load example_fifo --cgroup /no/such/dir --pin
expect "missing_cgroup" 2 "not a cgroup v2 directory"
run gmemctl load example_fifo --cgroup
expect "cgroup_needs_path" 2 "--cgroup needs a cgroup v2 directory"
run gmemctl unload --cgroup /tmp
expect "unload_not_a_cgroup" 2 "not a cgroup v2 directory"
chmod 755 /
if su -s /bin/sh nobody -c "id -u" 2>/dev/null | grep -qx 65534; then
	run su -s /bin/sh nobody -c "PATH=$PATH GMEM_POLICY_DIR=/gmem/bpf gmemctl load example_fifo --cgroup $CG --replace"
	expect "non_root_cannot_replace" 4 "permission denied"
	run su -s /bin/sh nobody -c "PATH=$PATH gmemctl unload --cgroup $CG"
	check "non_root_cannot_unload" test "$rc" != 0
else
	skip "non_root_cannot_replace" "cannot switch to nobody"
	skip "non_root_cannot_unload" "cannot switch to nobody"
fi
after=$(attachments | sed 's/"hook_calls":[0-9]*,"hook_ns":[0-9]*,//g')
check "bad_input_changes_nothing" test "$before" = "$after"

# ---------------------------------------------------------------- replace, unload
run gmemctl load lru_cold --cgroup "$CG" --replace
expect "replace_on_cgroup" 0 "policy 'lru_cold' replaced 'example_fifo-cg$cgid'"
check "replace_renames_cgroup_pin" eval '[ -e "$PIN_DIR/lru_cold-cg$cgid" ] && [ ! -e "$PIN_DIR/example_fifo-cg$cgid" ] &&
	attachments | grep -q "\"name\":\"lru_cold\",\"cgroup_id\":$cgid,\"active\":true"'
run gmemctl unload --cgroup "$CG"
expect "unload_cgroup" 0 "unloaded 1 pinned policy"
check "system_wide_stays" eval 'attachments | grep -q "\"name\":\"lru_cold\",\"cgroup_id\":0,\"active\":true" &&
	! attachments | grep -q "\"cgroup_id\":$cgid"'
run gmemctl unload --cgroup "$CG"
expect "unload_cgroup_nothing_there" 1 "no policy is pinned on cgroup"

# A cgroup removed while its policy is attached: status and unload still work.
run gmemctl load example_fifo --cgroup "$CG" --pin
expect "load_cgroup_again" 0 "loaded and pinned"
rmdir "$CG"
run gmemctl status
check "status_after_rmdir" eval 'echo "$out" | grep -q "^  fifo  *cgroup $cgid  *active"'
run gmemctl unload "example_fifo-cg$cgid"
expect "unload_by_pin_name_after_rmdir" 0 "unloaded 1 pinned policy"
run gmemctl unload
expect "unload_rest" 0 "unloaded 1 pinned policy"

ktap_done
