# Sourced by the bench/run-bench*.sh wrappers: every BENCH_* variable of the
# caller's environment as NAME=VALUE words in the array bench_envs, for
# `env "${bench_envs[@]}" gmem-bench-...` inside the guest.
bench_envs=()
for v in $(compgen -v BENCH_ || true); do
	bench_envs+=("$v=${!v}")
done
