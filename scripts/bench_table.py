#!/usr/bin/python3
"""Turns `metarl bench` JSON lines (stdin or a file) into the markdown table of docs/PERFORMANCE.md."""
import json
import sys

lines = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
rows = [json.loads(line) for line in lines if line.strip().startswith("{")]
for r in rows:
    if "check" in r:
        print(f"BLAS check: {r['microseconds']} µs per [800×64]·[64×64] matmul (ok: {r['ok']})\n")
print("| env | threads | envs | VectorEnv steps/s | raw steps/s | ratio (median) | ratio range |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    if "env" in r:
        print(f"| {r['env']} | {r['threads']} | {r['num_envs']} | {r['vector_steps_per_s']:.0f} | "
              f"{r['raw_steps_per_s']:.0f} | {r['ratio']:.3f} | {r['ratio_min']:.3f}–{r['ratio_max']:.3f} |")
