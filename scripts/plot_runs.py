#!/usr/bin/python3
"""Overlays the learning curves of several runs (e.g. seeds) and their mean.

usage: plot_runs.py OUT.png RUN_DIR [RUN_DIR ...] [--y mean_return] [--title T] [--no-mean]
Each RUN_DIR holds a metrics.csv; the x axis is env_steps.
"""
import argparse
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(run, column):
    path = os.path.join(run, "metrics.csv")
    try:
        rows = list(csv.DictReader(open(path)))
    except OSError as e:
        sys.exit(f"plot_runs: cannot read {path}: {e.strerror}")
    if rows and column not in rows[0]:
        sys.exit(f"plot_runs: {path} has no column '{column}'")
    xs, ys = [], []
    for r in rows:
        if r[column] not in ("", "nan"):
            xs.append(float(r["env_steps"]))
            ys.append(float(r[column]))
    return xs, ys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--y", default="mean_return")
    parser.add_argument("--title", default="")
    parser.add_argument("--no-mean", action="store_true", help="runs of different configurations: no mean line")
    args = parser.parse_args()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    curves = [read(run, args.y) for run in args.runs]
    for run, (xs, ys) in zip(args.runs, curves):
        ax.plot(xs, ys, alpha=0.5, linewidth=1, label=os.path.basename(os.path.normpath(run)))
    # Mean over runs at the x values of the shortest run (runs share their schedule).
    n = min(len(ys) for _, ys in curves)
    if n and not args.no_mean:
        xs = curves[0][0][:n]
        mean = [sum(c[1][i] for c in curves) / len(curves) for i in range(n)]
        ax.plot(xs, mean, color="black", linewidth=2, label=f"mean of {len(curves)}")
    ax.set_xlabel("env steps")
    ax.set_ylabel(args.y)
    ax.set_title(args.title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = args.out + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
