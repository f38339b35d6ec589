#!/usr/bin/python3
"""Plots adapt.csv (policy,steps,mean_return,ci95): mean return against the
number of adaptation steps, one line per policy, with 95% intervals; or
adapt_chain.csv (policy,episode,mean_return,ci95): mean return in each
episode of the chains.

usage: plot_adapt.py ADAPT.csv OUT.png [--title T] [--also MORE.csv ...] [--policy NAME ...]

--also adds the rows of further files of the same kind (e.g. the
evaluations of several runs, each made by its own `metarl adapt`); --policy
keeps only the named curves, in the order given (default: every curve).
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("out")
    parser.add_argument("--title", default="")
    parser.add_argument("--also", action="append", default=[], metavar="CSV")
    parser.add_argument("--policy", action="append", default=[], metavar="NAME")
    args = parser.parse_args()
    rows, x = [], None
    for path in [args.csv] + args.also:
        try:
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                file_rows = list(reader)
                columns = reader.fieldnames or []
        except OSError as e:
            sys.exit(f"plot_adapt: cannot read {path}: {e.strerror}")
        file_x = "episode" if "episode" in columns else "steps"
        if x is not None and file_x != x:
            sys.exit(f"plot_adapt: {path} counts {file_x}, the files before it {x}: not the same kind")
        x = file_x
        for column in ("policy", x, "mean_return", "ci95"):
            if column not in columns:
                sys.exit(f"plot_adapt: {path} has no column '{column}'")
        rows += file_rows
    if args.policy:
        known = set(r.get("policy") for r in rows)
        for name in args.policy:
            if name not in known:
                sys.exit(f"plot_adapt: no curve '{name}' in the files given (they have: {', '.join(sorted(known))})")
        rows = sorted((r for r in rows if r["policy"] in args.policy), key=lambda r: args.policy.index(r["policy"]))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    # One colour per run; its variants (run:no_adaptation, run:tracking) in
    # the same colour, other line styles; curves nudged apart so that their
    # intervals do not hide each other.
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    runs = list(dict.fromkeys(p.split(":")[0] for p in policies))
    styles = {"": "-", "no_adaptation": "--", "tracking": ":"}
    for i, policy in enumerate(policies):
        run, _, variant = policy.partition(":")
        sel = [r for r in rows if r["policy"] == policy]
        shift = 0.06 * (i - (len(policies) - 1) / 2) if len(policies) > 1 else 0.0
        ax.errorbar([int(r[x]) + shift for r in sel], [float(r["mean_return"]) for r in sel],
                    yerr=[float(r["ci95"]) for r in sel], marker="o", markersize=4, capsize=3, label=policy,
                    color=f"C{runs.index(run) % 10}", linestyle=styles.get(variant, "-."))
    ax.set_xlabel("episode of the chain" if x == "episode" else "adaptation steps")
    ax.set_ylabel("mean return (95% CI over " + ("chains)" if x == "episode" else "tasks)"))
    ax.set_xticks(sorted({int(r[x]) for r in rows}))
    ax.set_title(args.title or os.path.basename(os.path.dirname(os.path.abspath(args.csv))))
    ax.grid(alpha=0.3)
    ax.legend(loc='upper left', bbox_to_anchor=(1.02, 1.0), fontsize='small')  # beside the curves, not over them
    fig.tight_layout()
    tmp = args.out + ".tmp.png"
    fig.savefig(tmp, dpi=110)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
