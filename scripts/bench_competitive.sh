#!/usr/bin/env bash
# Continual meta-training in competition against plain self-play PPO at equal
# batch (docs/PERFORMANCE.md, issue 23): time per env step of
# experiments/sumo/sumo2d_meta.yaml's meta-iterations over that of
# sumo2d.yaml's PPO iterations on as many env steps (steps_per_iteration set
# to the meta-iteration's 64 matches, its outer PPO's epochs and
# minibatches). The two run in adjacent pairs, the order alternating; each
# run's figure is the median over its iterations after the first, and the
# result the median of the pairs' ratios. Run it on an otherwise idle machine.
#   scripts/bench_competitive.sh [PAIRS] [OUT_DIR]     (default 3, /tmp/bench_competitive)
set -euo pipefail
cd "$(dirname "$0")/.."
metarl=${METARL:-build/experiments/metarl}
pairs=${1:-3}
out=${2:-/tmp/bench_competitive}
iterations=4
rm -rf "$out"
mkdir -p "$out"
meta() {
  "$metarl" run experiments/sumo/sumo2d_meta.yaml --max-iterations "$iterations" --out "$out/meta_$1" >/dev/null
}
ppo() {
  # The meta-iteration's batch: 4 tasks x 8 matches x 2 rounds = 64 matches
  # (32 envs, two rounds), about 64 x 280 steps early in training.
  "$metarl" run experiments/sumo/sumo2d.yaml --max-iterations "$iterations" --out "$out/ppo_$1" \
    --set env.num_envs=32 --set algorithm.steps_per_iteration=17920 --set algorithm.epochs=10 \
    --set algorithm.minibatches=4 >/dev/null
}
for ((p = 0; p < pairs; p++)); do
  if ((p % 2 == 0)); then meta "$p"; ppo "$p"; else ppo "$p"; meta "$p"; fi
done
/usr/bin/python3 - "$out" "$pairs" <<'PY'
import csv, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
def per_step(run):
    rows = list(csv.DictReader(open(f'{out}/{run}/metrics.csv')))
    steps = [int(rows[0]['env_steps'])] + [int(b['env_steps']) - int(a['env_steps']) for a, b in zip(rows, rows[1:])]
    later = list(zip(rows, steps))[1:]  # the first iteration warms up
    return (statistics.median(float(r['iter_seconds']) / s for r, s in later),
            statistics.median(s for _, s in later))
ratios = []
for p in range(pairs):
    (meta, meta_steps), (ppo, ppo_steps) = per_step(f'meta_{p}'), per_step(f'ppo_{p}')
    ratios.append(meta / ppo)
    print(f'pair {p}: meta {meta * 1e6:.1f} us/step ({meta_steps} steps/iteration), '
          f'ppo {ppo * 1e6:.1f} us/step ({ppo_steps} steps/iteration), ratio {meta / ppo:.2f}')
print(f'median ratio meta / ppo per env step: {statistics.median(ratios):.2f} over {pairs} pairs')
PY
