#!/usr/bin/env bash
# Times MAML meta-iterations of the committed experiment files and prints the
# median of each metrics.csv timing column over the iterations after the
# first (docs/PERFORMANCE.md). Run it on an otherwise idle machine.
#   scripts/bench_maml.sh [OUT_DIR]        (default /tmp/bench_maml)
set -euo pipefail
cd "$(dirname "$0")/.."
metarl=${METARL:-build/experiments/metarl}
out=${1:-/tmp/bench_maml}
rm -rf "$out/halfcheetah_vel" "$out/nav2d"
"$metarl" run experiments/maml/halfcheetah_vel.yaml --max-iterations 4 --out "$out/halfcheetah_vel" >/dev/null
"$metarl" run experiments/maml/nav2d_port.yaml --max-iterations 6 --out "$out/nav2d" >/dev/null
/usr/bin/python3 - "$out" <<'PY'
import csv, statistics, sys
columns = ['iter_seconds', 'sample_seconds', 'env_seconds', 'policy_seconds', 'inner_seconds', 'outer_seconds',
           'outer_gradient_seconds', 'outer_direction_seconds', 'outer_line_search_seconds', 'backtracks']
for task in ['halfcheetah_vel', 'nav2d']:
    rows = list(csv.DictReader(open(f'{sys.argv[1]}/{task}/metrics.csv')))[1:]
    median = {c: statistics.median(float(r[c]) for r in rows) for c in columns}
    print(task, ' '.join(f'{c}={v:.3f}' for c, v in median.items()),
          f"ratio={median['iter_seconds'] / median['env_seconds']:.2f}")
PY
