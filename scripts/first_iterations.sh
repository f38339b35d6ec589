#!/usr/bin/env bash
# The first iterations of every committed experiment file, for checking that a
# refactoring changes no behaviour: each file runs ITERATIONS iterations (default 2)
# at its own seed with --threads 2, and its metrics.csv, without the wall-time
# columns (*_seconds), is printed under a header line naming the file.
#
#   scripts/first_iterations.sh > before.txt          # on the old tree
#   scripts/first_iterations.sh > after.txt           # on the new tree
#   diff before.txt after.txt && echo bit-identical
#
# Floating-point results depend on the CPU, so compare outputs made on the same
# machine. METARL picks the binary (default build/experiments/metarl); extra
# arguments go to every `metarl run`.
set -euo pipefail
cd "$(dirname "$0")/.."
metarl=${METARL:-build/experiments/metarl}
iterations=${ITERATIONS:-2}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for file in $(find experiments -name '*.yaml' -not -path 'experiments/results/*' | sort); do
  out="$scratch/$(echo "$file" | tr '/' '_')"
  "$metarl" run "$file" --out "$out" --threads 2 --max-iterations "$iterations" "$@" > "$out.log" 2>&1 ||
      { echo "$file: metarl run failed:" >&2; tail -3 "$out.log" >&2; exit 1; }
  echo "== $file"
  python3 - "$out/metrics.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
keep = [i for i, name in enumerate(rows[0]) if not name.endswith("_seconds")]
for row in rows:
    print(",".join(row[i] for i in keep))
EOF
done
