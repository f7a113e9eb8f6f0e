#!/usr/bin/env bash
# plot-serve.sh SERVE.TXT OUT.SVG: the figure of `make bench-serve` from
# gmem-bench-serve's lines, with gnuplot (SVG terminal: gnuplot-nox has it).
#   left:  worst and mean tenant time relative to alone against tenants at
#          once, static partitioning and the shared pool, the bound dashed
#   right: each tenant's time relative to alone in the largest shared run
#          within the bound and in the first one over it
set -euo pipefail
in=$1 svg=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

serve=$(grep '^SERVE ' "$in" | tail -1)
get() { echo "$serve" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ -n "$serve" ] || { echo "plot-serve: no SERVE line in $in" >&2; exit 1; }
shared=$(get shared_tenants) over=$(get first_over) bound=$(get bound)

# mode tenants at_once worst mean
awk '/^SERVE_RUN / && !/mode=alone/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	print v["mode"], v["tenants"], v["at_once"], v["worst_slowdown"], v["mean_slowdown"] > (dir "/" v["mode"] ".dat")
}' dir="$tmp" "$in"
# tenant slowdown, for the shared runs with $shared and $over tenants
for n in "$shared" "$over"; do
	awk -v n="$n" '/^SERVE_TENANT mode=shared / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		if (v["tenants"] == n) print v["tenant"], v["slowdown"]
	}' "$in" >"$tmp/t$n.dat"
done

{
	echo "set terminal svg size 1000,420 font 'sans,12' background rgb 'white'"
	echo "set output '$svg'"
	echo "set multiplot layout 1,2 title 'make bench-serve: $(get hbm_blocks) HBM blocks, tenants of peak $(get peak_blocks) / decode $(get decode_blocks) blocks (device clock)'"
	echo "set key top left; set grid ytics"
	echo "set xlabel 'tenants at once'; set ylabel 'device time / time alone'"
	echo "set yrange [0.9:*]; set xtics 1; set xrange [$(get static_tenants) - 0.5:${over:-$shared} + 0.5]"
	echo "plot $bound dt 2 lc rgb 'gray40' title 'bound $bound', \\"
	echo "  '$tmp/static.dat' using 3:4 with points pt 5 ps 1.5 lc rgb '#c0504d' title 'static (reserve the peak): worst', \\"
	echo "  '$tmp/shared.dat' using 3:4 with linespoints pt 7 lc rgb '#1f77b4' title 'shared pool: worst', \\"
	echo "  '$tmp/shared.dat' using 3:5 with linespoints pt 6 dt 3 lc rgb '#1f77b4' title 'shared pool: mean'"
	echo "set xlabel 'tenant (arrival order)'; set xrange [-0.6:${over:-$shared} - 0.4]"
	echo "set style fill solid 0.8; set boxwidth 0.4"
	echo "plot $bound dt 2 lc rgb 'gray40' title 'bound', \\"
	bars="'$tmp/t$shared.dat' using (\$1-0.2):2 with boxes lc rgb '#1f77b4' title '$shared tenants (shared, within)'"
	if [ -s "$tmp/t$over.dat" ]; then
		bars="$bars, '$tmp/t$over.dat' using (\$1+0.2):2 with boxes lc rgb '#ff7f0e' title '$over tenants (first over the bound)'"
	fi
	echo "  $bars"
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
