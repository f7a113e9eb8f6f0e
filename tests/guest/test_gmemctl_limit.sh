#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest tests of gmemctl's HBM limits per cgroup (KTAP): `limit` and
# `stats --cgroup` in text and JSON, the weight kept when omitted, a limit
# surviving a policy load and unload on that cgroup, bad input (no limit,
# bad weight, not a cgroup, a limit below one block, no entry, not root)
# with exit codes and JSON errors, and a removed cgroup.
#
# Assets: policies in /gmem/bpf (example_fifo).

CG=/sys/fs/cgroup/gmemctl-limit.$$
CG2=/sys/fs/cgroup/gmemctl-nolimit.$$
. "${GMEM_KTAP_LIB:-/gmem/lib/ktap.sh}"

mkdir "$CG" "$CG2" || { echo "not ok 1 cannot create $CG"; exit 1; }
cgid=$(stat -c %i "$CG")

# ---------------------------------------------------------------- set and read
run gmemctl -j limit --cgroup "$CG" --hbm 64M --weight 50
expect "limit_json" 0 "\"cgroup_id\":$cgid,\"hbm_limit\":67108864,\"weight\":50,\"hbm_used\":0"
run gmemctl stats --cgroup "$CG"
check "stats_cgroup_text" eval 'echo "$out" | grep -q "^cgroup: *$CG (id $cgid)" &&
	echo "$out" | grep -q "^hbm limit: *64 MiB per device" &&
	echo "$out" | grep -q "^weight: *50$" && echo "$out" | grep -q "^objects: *0$"'
run gmemctl -p stats --cgroup "$CG"
expect "stats_cgroup_pretty" 0 "^  \"hbm_limit\": 67108864,"
run gmemctl -j limit --cgroup "$CG" --hbm 0
expect "weight_kept_limit_cleared" 0 "\"hbm_limit\":0,\"weight\":50,"
run gmemctl -j limit --cgroup "$CG" --hbm 32M --weight 200
expect "limit_again" 0 "\"hbm_limit\":33554432,\"weight\":200,"

# ---------------------------------------------------------------- policy swap
run gmemctl load example_fifo --cgroup "$CG" --pin
expect "load_on_limited_cgroup" 0 "loaded and pinned"
run gmemctl unload --cgroup "$CG"
expect "unload_from_it" 0 "unloaded 1 pinned policy"
run gmemctl -j stats --cgroup "$CG"
expect "limit_survives_policy" 0 "\"hbm_limit\":33554432,\"weight\":200,"

# ---------------------------------------------------------------- bad input
run gmemctl limit --cgroup "$CG"
expect "hbm_required" 2 "--hbm SIZE is required"
run gmemctl limit --hbm 1M
expect "cgroup_required" 2 "--cgroup PATH is required"
run gmemctl limit --cgroup "$CG" --hbm 1M --weight 0
expect "weight_zero" 2 "--weight needs a number from 1 to 10000"
run gmemctl limit --cgroup "$CG" --hbm 1M --weight 10001
expect "weight_too_big" 2 "--weight needs a number from 1 to 10000"
run gmemctl limit --cgroup "$CG" --hbm lots
expect "hbm_not_a_size" 2 "--hbm needs a size"
run gmemctl limit --cgroup /tmp --hbm 64M
expect "not_a_cgroup" 2 "not a cgroup v2 directory"
run gmemctl limit --cgroup /no/such/dir --hbm 64M
expect "missing_cgroup" 2 "not a cgroup v2 directory"
run gmemctl limit --cgroup "$CG" --hbm 1
expect "below_one_block" 2 "below one block"
run gmemctl -j limit --cgroup /tmp --hbm 64M
expect "json_error" 2 "^{\"error\":\"cannot set the limit: /tmp is not a cgroup v2 directory.*\",\"exit\":2}$"
run gmemctl stats --cgroup "$CG2"
expect "no_entry" 1 "no HBM limit or weight is set on $CG2"
run gmemctl -j stats --cgroup "$CG2"
expect "no_entry_json" 1 "^{\"error\":\"cannot read the cgroup's entry: no HBM limit"
run gmemctl stats --cgroup "$CG" --watch 1
expect "cgroup_not_with_watch" 2 "--cgroup does not go with --watch"
chmod 755 /
if su -s /bin/sh nobody -c "id -u" 2>/dev/null | grep -qx 65534; then
	run su -s /bin/sh nobody -c "PATH=$PATH gmemctl limit --cgroup $CG --hbm 1G"
	expect "non_root_cannot_limit" 4 "permission denied"
	run su -s /bin/sh nobody -c "PATH=$PATH gmemctl -j stats --cgroup $CG"
	expect "non_root_can_read" 0 "\"hbm_limit\":33554432,"
else
	skip "non_root_cannot_limit" "cannot switch to nobody"
	skip "non_root_can_read" "cannot switch to nobody"
fi

# ---------------------------------------------------------------- removed cgroup
rmdir "$CG" "$CG2"
run gmemctl stats --cgroup "$CG"
expect "removed_cgroup" 2 "not a cgroup v2 directory"
run gmemctl limit --cgroup "$CG" --hbm 64M
expect "limit_on_removed_cgroup" 2 "not a cgroup v2 directory"

ktap_done
