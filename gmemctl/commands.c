// SPDX-License-Identifier: GPL-2.0
/*
 * The subcommand table. Adding a command (say `trace`) is one entry here and
 * its run function in a file of its own (declared in gmemctl.h, listed in
 * gmemctl.mk by its wildcard). Order is the order of --help.
 */
#include "gmemctl.h"

const struct gmemctl_cmd gmemctl_cmds[] = {
	{
		.name = "load",
		.args = "<name|path.bpf.o> [--set key=value ...] [--cgroup PATH] [--pin] [--replace]",
		.summary = "load and attach a BPF memory policy",
		.help =
		"  --set key=value  set a tunable before loading (repeatable); integers take\n"
		"                   decimal, 0x hex or sizes (4K, 2M, 1G), bools take\n"
		"                   true/false/1/0/yes/no/on/off\n"
		"  --pin            pin the policy under the bpffs pin dir and return; it stays\n"
		"                   in charge until 'gmemctl unload'. Without --pin, gmemctl\n"
		"                   keeps the policy attached until SIGINT/SIGTERM, and exits 9\n"
		"                   with the kernel's reason if the policy is ejected.\n"
		"  --replace        swap the pinned policy for this one atomically (no moment\n"
		"                   where the built-in policy decides); the new policy is\n"
		"                   pinned under its own name. Fails, changing nothing, when\n"
		"                   no policy is pinned.\n"
		"  --cgroup PATH    attach to cgroup v2 directory PATH instead of system-wide:\n"
		"                   the policy decides for objects created in PATH or below\n"
		"                   (the nearest attachment wins), the system-wide policy or\n"
		"                   the built-in one for the rest. Pinned as NAME-cg<id>.\n"
		"                   With --replace: replace the policy pinned on PATH.\n",
		.run = cmd_load,
	},
	{
		.name = "unload",
		.args = "[name | --cgroup PATH]",
		.summary = "detach the pinned policy (the built-in policy takes over)",
		.run = cmd_unload,
	},
	{
		.name = "status",
		.args = "",
		.summary = "the policy in charge, every attachment, counters, last exit record",
		.run = cmd_status,
	},
	{
		.name = "policies",
		.args = "[-v] [name]",
		.summary = "list the shipped policies (with -v or a name: their tunables)",
		.run = cmd_policies,
	},
	{
		.name = "devices",
		.args = "",
		.summary = "registered accelerators: HBM use and counters",
		.run = cmd_devices,
	},
	{
		.name = "objects",
		.args = "",
		.summary = "live unified-memory objects and their counters",
		.run = cmd_objects,
	},
	{
		.name = "limit",
		.args = "DEV SIZE | --cgroup PATH --hbm SIZE [--weight W]",
		.summary = "cap a device's HBM, or a cgroup's HBM and share (root)",
		.help =
		"  DEV SIZE       use only SIZE of device DEV's HBM (0: all of it). Every\n"
		"                 capacity the core and policies see becomes SIZE (a block\n"
		"                 multiple): the device behaves like one with SIZE of HBM.\n"
		"                 Lowering it evicts down to it; below what is pinned on\n"
		"                 the device it is refused (EBUSY).\n"
		"  --cgroup PATH  a cgroup v2 directory: objects created in it or below it\n"
		"                 afterwards (the nearest directory with a limit wins)\n"
		"  --hbm SIZE     HBM they may hold on each device (64K, 512M, 2G; 0: no\n"
		"                 limit). At the limit they evict their own blocks; a pin\n"
		"                 beyond it fails (EDQUOT). Survives policy load/unload.\n"
		"  --weight W     1..10000 (default 100, kept when omitted): the share of the\n"
		"                 HBM the limits leave over; a full device takes room first\n"
		"                 from the cgroup most over its share (docs/multi-tenant.md)\n"
		"  Prints the cgroup's entry as 'stats --cgroup' does.\n",
		.run = cmd_limit,
	},
	{
		.name = "stats",
		.args = "[--watch S [--count N]] | --cgroup PATH",
		.summary = "global counters (every S seconds with --watch), or one cgroup's",
		.help =
		"  --watch S      print the counters every S seconds, with the change since the\n"
		"                 previous sample, until interrupted ('gmemctl top' shows rates\n"
		"                 per device, object and policy)\n"
		"  --count N      stop after N samples\n"
		"  --cgroup PATH  the HBM limit, weight, usage and counters of cgroup PATH\n"
		"                 (set by 'gmemctl limit')\n",
		.run = cmd_stats,
	},
	{
		.name = "top",
		.args = "[--interval S] [--iterations N]",
		.summary = "live rates per device, per object and for the policy in charge",
		.help =
		"  --interval S    seconds between samples (default 1, at most 3600)\n"
		"  --iterations N  stop after N intervals (default: until interrupted)\n"
		"  Rates are from the exact counters' change over each interval. On a\n"
		"  terminal the screen is redrawn; otherwise frames follow each other.\n"
		"  --json: one document per interval with the counters' deltas under\n"
		"  \"delta\" and the interval in \"interval_ns\".\n",
		.run = cmd_top,
	},
	{
		.name = "trace",
		.args = "record FILE [--dev N] [--seconds S] [--capacity N] | "
			"replay FILE [--sim N] [--policy P] [--hbm SIZE] [--no-hints] [--fault-batch N]",
		.summary = "record the device access trace to a file, or replay one on a device",
		.help =
		"  record: until Ctrl-C or --seconds S; --dev N names the device whose block\n"
		"          size and HBM size go in the header (default 0); --capacity N is\n"
		"          the kernel buffer in records (default 1M, drained every 100 ms)\n"
		"  replay: the recorded block accesses in order on /dev/gmem_simN (default\n"
		"          0) under the policy in charge, or policy P for the replay only,\n"
		"          one fresh mapping per recorded object, with the recorded hints\n"
		"          (not with --no-hints); --hbm SIZE limits the device to SIZE for\n"
		"          the replay (gmemctl limit); --len B bytes per access\n"
		"          (default 64); --fault-batch N: N accesses in flight, whose\n"
		"          faults come as one batch (default 1, as MIN assumes; at most\n"
		"          256). Prints counters beside Belady's MIN.\n"
		"  gmem-min FILE computes Belady's MIN (fewest possible migrations) of a trace.\n",
		.run = cmd_trace,
	},
	{
		.name = "help",
		.args = "[command]",
		.summary = "this list, or one command's options",
		.run = cmd_help,
	},
};

const unsigned int gmemctl_nr_cmds = sizeof(gmemctl_cmds) / sizeof(gmemctl_cmds[0]);
