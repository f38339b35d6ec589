#!/usr/bin/env python3
"""Per-chain mean return over a window of episodes, then mean ± 95% over chains.

Reads the adapt_chain_tasks.csv that `metarl adapt --chain` writes (policy,
task,episode,return; the k-th row of a policy within an episode is its k-th
chain) and prints one row per policy, in the file's order:

    scripts/chain_window.py experiments/results/continual/bug_crippled/at_5M/adapt_chain_tasks.csv --first 5 --last 7

The interval is the one adapt.csv uses: 1.96 × the sample standard deviation
over chains / √chains.
"""
import argparse
import csv
import math
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks_csv")
    parser.add_argument("--first", type=int, default=5, help="first episode of the window (1-based)")
    parser.add_argument("--last", type=int, default=7, help="last episode of the window")
    args = parser.parse_args()
    if not 1 <= args.first <= args.last:
        sys.exit(f"chain_window: need 1 <= --first <= --last, got {args.first} and {args.last}")

    # policy -> episode -> returns in chain order
    returns = {}
    with open(args.tasks_csv, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["policy", "task", "episode", "return"]:
            sys.exit(f"chain_window: {args.tasks_csv} is not an adapt_chain_tasks.csv (header {reader.fieldnames})")
        for row in reader:
            returns.setdefault(row["policy"], {}).setdefault(int(row["episode"]), []).append(float(row["return"]))

    print("policy,first,last,chains,mean_return,ci95")
    for policy, episodes in returns.items():
        window = [episodes.get(e) for e in range(args.first, args.last + 1)]
        if any(w is None for w in window):
            sys.exit(f"chain_window: {policy} has no episode in {args.first}..{args.last} for every chain")
        chains = len(window[0])
        if chains < 2 or any(len(w) != chains for w in window):
            sys.exit(f"chain_window: {policy} needs the same number (>= 2) of chains in every episode")
        per_chain = [sum(w[c] for w in window) / len(window) for c in range(chains)]
        mean = sum(per_chain) / chains
        std = math.sqrt(sum((x - mean) ** 2 for x in per_chain) / (chains - 1))
        print(f"{policy},{args.first},{args.last},{chains},{mean:.2f},{1.96 * std / math.sqrt(chains):.2f}")


if __name__ == "__main__":
    main()
