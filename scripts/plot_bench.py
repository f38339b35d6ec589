#!/usr/bin/python3
"""Plots `metarl bench` JSON lines: env steps/s of the VectorEnv and of the raw
MuJoCo loop against the number of envs, one panel per environment.

usage: plot_bench.py BENCH.jsonl OUT.png
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path, out):
    rows = [json.loads(l) for l in open(path) if l.strip().startswith("{")]
    rows = [r for r in rows if "vector_steps_per_s" in r]
    if not rows:
        sys.exit(f"plot_bench: no measurements in {path}")
    envs = sorted({r["env"] for r in rows})
    fig, axes = plt.subplots(1, len(envs), figsize=(5.5 * len(envs), 4), squeeze=False)
    for ax, env in zip(axes[0], envs):
        for threads in sorted({r["threads"] for r in rows if r["env"] == env}):
            sel = sorted((r for r in rows if r["env"] == env and r["threads"] == threads), key=lambda r: r["num_envs"])
            n = [r["num_envs"] for r in sel]
            line, = ax.plot(n, [r["vector_steps_per_s"] for r in sel], "o-", label=f"VectorEnv, {threads} thread(s)")
            ax.plot(n, [r["raw_steps_per_s"] for r in sel], "--", color=line.get_color(),
                    label=f"raw mj_step loop, {threads} thread(s)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("number of envs")
        ax.set_ylabel("env steps / s")
        ax.set_title(env)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = out + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, out)  # never leave a half-written plot
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
