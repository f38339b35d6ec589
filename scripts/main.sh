#!/usr/bin/env bash
# The main job: installs the dependencies, builds metarl, then
#  1. `metarl bench`: VectorEnv throughput against the raw MuJoCo loop on the
#     same model (HalfCheetah and Ant, 1 and 2 threads, 1 to 64 envs);
#  2. a short random-policy rollout report on each MAML task family.
# Everything goes to out/main/ (JSON lines, bench.png) as well as to the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
build_dir="${METARL_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build_dir" --parallel "$(nproc)" --target metarl
metarl="$build_dir/experiments/metarl"

out=out/main
mkdir -p "$out"
echo "== metarl bench (one JSON object per measurement) =="
"$metarl" bench | tee "$out/bench.jsonl.tmp"
mv "$out/bench.jsonl.tmp" "$out/bench.jsonl"
/usr/bin/python3 scripts/bench_table.py "$out/bench.jsonl"
/usr/bin/python3 scripts/plot_bench.py "$out/bench.jsonl" "$out/bench.png"

echo "== random-policy rollouts, one sampled task per env =="
: > "$out/rollouts.jsonl.tmp"
run_rollout() {
  "$metarl" rollout --num-envs 8 --threads 2 --episodes 2 --seed 0 "$@" | tail -n 1 | tee -a "$out/rollouts.jsonl.tmp"
}
run_rollout --env Navigation2D --family Navigation2D
run_rollout --env HalfCheetah --family HalfCheetahVel --env-options max_episode_steps=200
run_rollout --env HalfCheetah --family HalfCheetahDir --env-options max_episode_steps=200
run_rollout --env Ant --family AntVel --env-options max_episode_steps=200
run_rollout --env Ant --family AntDir --env-options max_episode_steps=200
run_rollout --env Ant --family AntGoal --env-options max_episode_steps=200
mv "$out/rollouts.jsonl.tmp" "$out/rollouts.jsonl"
echo "results in $out/"
