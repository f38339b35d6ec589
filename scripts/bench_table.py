#!/usr/bin/python3
"""Turns `metarl bench` JSON lines (stdin or a file) into the markdown table of docs/PERFORMANCE.md."""
import json
import sys

lines = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
rows = [json.loads(line) for line in lines if line.strip().startswith("{")]
for r in rows:
    if "check" in r:
        print(f"BLAS check: {r['microseconds']} µs per [800×64]·[64×64] matmul (ok: {r['ok']})\n")
measured = [r for r in rows if "ratio" in r]
kind = "rollout (VectorEnv + 64x64 policy)" if any("rollout_steps_per_s" in r for r in measured) else "VectorEnv"
print(f"| env | threads | envs | {kind} steps/s | raw steps/s | ratio (median) | ratio range |")
print("|---|---|---|---|---|---|---|")
for r in measured:
    steps = r.get("vector_steps_per_s", r.get("rollout_steps_per_s"))
    if True:
        print(f"| {r['env']} | {r['threads']} | {r['num_envs']} | {steps:.0f} | "
              f"{r['raw_steps_per_s']:.0f} | {r['ratio']:.3f} | {r['ratio_min']:.3f}–{r['ratio_max']:.3f} |")
