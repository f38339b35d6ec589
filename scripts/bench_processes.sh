#!/usr/bin/env bash
# Threads or processes? Times the iterations of an experiment file (MAML-TRPO
# or PPO, the algorithms that run over several processes) three ways on this
# host, interleaved REPEATS times (docs/PERFORMANCE.md):
#   one process with 2 threads (the reference of every ratio),
#   one process with 1 thread,
#   two processes with 1 thread each (metarl launch -n 2).
# Prints the median of each timing column of metrics.csv over the iterations
# after each run's first, and each way's iteration time over the reference's.
# Run it on an otherwise idle machine.
#   scripts/bench_processes.sh [EXPERIMENT] [ITERATIONS] [REPEATS] [OUT_DIR] [RUN_FLAGS...]
#   (default experiments/maml/halfcheetah_vel.yaml 3 2 /tmp/bench_processes;
#   RUN_FLAGS, e.g. --set env.num_envs=16, go to every run)
set -euo pipefail
cd "$(dirname "$0")/.."
metarl=${METARL:-build/experiments/metarl}
experiment=${1:-experiments/maml/halfcheetah_vel.yaml}
iterations=${2:-3}
repeats=${3:-2}
out=${4:-/tmp/bench_processes}
flags=("${@:5}")
rm -rf "$out"
for r in $(seq 1 "$repeats"); do
  "$metarl" run "$experiment" --threads 2 --max-iterations "$iterations" "${flags[@]}" --out "$out/threads2_$r" >/dev/null 2>&1
  "$metarl" run "$experiment" --threads 1 --max-iterations "$iterations" "${flags[@]}" --out "$out/threads1_$r" >/dev/null 2>&1
  "$metarl" launch -n 2 run "$experiment" --threads 1 --max-iterations "$iterations" "${flags[@]}" --out "$out/processes2_$r" \
      >/dev/null 2>&1
done
/usr/bin/python3 - "$out" "$repeats" <<'PY'
import csv, statistics, sys
out, repeats = sys.argv[1], int(sys.argv[2])
# Every timing column the algorithm writes, iter_seconds first (a run over
# several processes adds exchange_seconds: its time in the all-reduces).
header = next(csv.reader(open(f'{out}/processes2_1/metrics.csv')))
columns = ['iter_seconds'] + [c for c in header if c.endswith('_seconds') and c != 'iter_seconds']
ways = [('threads2', '1 process, 2 threads'), ('threads1', '1 process, 1 thread'),
        ('processes2', '2 processes, 1 thread each')]
median = {}
for key, _ in ways:
    rows = [row for r in range(1, repeats + 1) for row in list(csv.DictReader(open(f'{out}/{key}_{r}/metrics.csv')))[1:]]
    median[key] = {c: statistics.median(float(row[c]) for row in rows) for c in columns if c in rows[0]}
print('| way | ' + ' | '.join(c.replace('_seconds', '') for c in columns) + ' | iteration / reference |')
print('|---' * (len(columns) + 2) + '|')
for key, name in ways:
    m = median[key]
    print(f'| {name} | ' + ' | '.join(f'{m[c]:.2f}' if c in m else '—' for c in columns) +
          f" | {m['iter_seconds'] / median['threads2']['iter_seconds']:.2f} |")
PY
