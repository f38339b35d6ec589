#!/usr/bin/env bash
# The main job: installs the dependencies, builds metarl, then
#  1. trains PPO on HalfCheetah for 300k env steps (experiments/quickstart.yaml)
#     into out/quickstart/: config.yaml, metrics.csv, summary.json,
#     checkpoints/, plots/learning_curve.png. Re-running resumes/finishes it;
#  2. `metarl bench`: VectorEnv and rollout throughput against the raw MuJoCo
#     loop on the same model, in the same run (out/main/*.jsonl, bench.png);
#  3. a random-policy rollout report on each MAML task family (out/main/rollouts.jsonl);
#  4. matches: the MuJoCo sumo and Sumo2D against their raw loops, a short
#     Sumo2D self-play run (out/sumo2d_quick/, plots/match_outcomes.png) and
#     its matches against a random and a scripted player (out/main/matches.jsonl);
#  5. a tournament of that run, two reference snapshots and the built-in players
#     (out/tournament_quick/: TrueSkill, Elo, the win-rate matrix), and an
#     iterated game of the run against a reference run's snapshots, tracking
#     between rounds (out/game_quick/), and a replay of one match of the run
#     against the scripted pusher (out/replay_quick/replay.mp4).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install_deps.sh
build_dir="${METARL_BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build_dir" --parallel "$(nproc)" --target metarl
metarl="$build_dir/experiments/metarl"

echo "== 1. PPO on HalfCheetah, 300k env steps (experiments/quickstart.yaml) =="
"$metarl" run experiments/quickstart.yaml --out out/quickstart
cat out/quickstart/summary.json

out=out/main
mkdir -p "$out"
echo "== 2. metarl bench: VectorEnv and rollouts vs the raw MuJoCo loop =="
"$metarl" bench --num-envs 1 4 16 64 > "$out/bench.jsonl.tmp"
mv "$out/bench.jsonl.tmp" "$out/bench.jsonl"
/usr/bin/python3 scripts/bench_table.py "$out/bench.jsonl"
/usr/bin/python3 scripts/plot_bench.py "$out/bench.jsonl" "$out/bench.png"
"$metarl" bench --mode rollout --env Ant --threads 2 --num-envs 16 64 > "$out/rollout_bench.jsonl.tmp"
mv "$out/rollout_bench.jsonl.tmp" "$out/rollout_bench.jsonl"
/usr/bin/python3 scripts/bench_table.py "$out/rollout_bench.jsonl"

echo "== 3. random-policy rollouts, one sampled task per env =="
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

echo "== 4. matches: sumo benches, a short Sumo2D self-play run, its matches =="
"$metarl" bench --env SumoAnt Sumo2D --threads 2 --num-envs 16 > "$out/sumo_bench.jsonl.tmp"
mv "$out/sumo_bench.jsonl.tmp" "$out/sumo_bench.jsonl"
/usr/bin/python3 scripts/bench_table.py "$out/sumo_bench.jsonl"
"$metarl" run experiments/sumo/sumo2d.yaml --out out/sumo2d_quick --set training.total_env_steps=300000
: > "$out/matches.jsonl.tmp"
for opponent in random scripted; do
  "$metarl" match out/sumo2d_quick "$opponent" --episodes 64 | tee -a "$out/matches.jsonl.tmp"
done
mv "$out/matches.jsonl.tmp" "$out/matches.jsonl"

echo "== 5. a Sumo2D tournament, an iterated game and a replay =="
rm -rf out/tournament_quick out/game_quick out/replay_quick  # their players may have changed since the last time
"$metarl" tournament experiments/populations/sumo2d_quick.yaml --out out/tournament_quick
cat out/tournament_quick/trueskill.csv
"$metarl" game out/sumo2d_quick experiments/results/sumo/sumo2d/seed1 --rounds 10 --episodes 3 --repeats 4 \
    --last-rounds 5 --adapt tracking --out out/game_quick
"$metarl" replay out/sumo2d_quick scripted --out out/replay_quick --seed 1
echo "learning curve: out/quickstart/plots/learning_curve.png; self-play: out/sumo2d_quick/plots/; benchmarks: $out/"
echo "tournament: out/tournament_quick/ (win_rates.png, elo.png); iterated game: out/game_quick/game.png;" \
     "a match to watch: out/replay_quick/replay.mp4"
