#!/usr/bin/env python3
"""Per-task (or per-chain) statistics from `metarl adapt`'s *_tasks.csv, mean ± 95% over tasks.

Reads adapt_tasks.csv (policy,task,steps,return) or adapt_chain_tasks.csv
(policy,task,episode,return); the k-th row of a policy at one x is its k-th
task or chain. For each policy, in the file's order, one of:

  --window FIRST LAST   each task's mean return over x = FIRST .. LAST
                        (chains: episodes 5-7 are `--window 5 7`);
  --gain X              each task's return at x = X minus its return at the
                        policy's first x (adaptation steps: `--gain 1` is the
                        one-step gain, paired per task, so the spread between
                        tasks drops out).

    /usr/bin/python3 scripts/task_stats.py experiments/results/continual/bug_crippled/at_5M/adapt_chain_tasks.csv --window 5 7
    /usr/bin/python3 scripts/task_stats.py experiments/results/maml/ant_vel/adapt_tasks.csv --gain 1

The interval is the one adapt.csv uses: 1.96 × the sample standard deviation
over tasks / √tasks.
"""
import argparse
import csv
import math
import sys


def fail(message):
    sys.exit(f"task_stats: {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks_csv")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--window", type=int, nargs=2, metavar=("FIRST", "LAST"))
    how.add_argument("--gain", type=int, metavar="X")
    args = parser.parse_args()

    returns = {}  # policy -> x -> returns in task order
    with open(args.tasks_csv, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or len(header) != 4 or header[:2] != ["policy", "task"] or header[3] != "return":
            fail(f"{args.tasks_csv} is not an adapt_tasks.csv or adapt_chain_tasks.csv (header {header})")
        x_name = header[2]
        for policy, _, x, value in reader:
            returns.setdefault(policy, {}).setdefault(int(x), []).append(float(value))

    if args.window:
        first, last = args.window
        if first > last:
            fail(f"--window {first} {last}: FIRST is after LAST")
        print(f"policy,{x_name}_first,{x_name}_last,tasks,mean_return,ci95")
    else:
        print(f"policy,{x_name},tasks,mean_gain,ci95")
    for policy, by_x in returns.items():
        xs = list(range(first, last + 1)) if args.window else [min(by_x), args.gain]
        if any(x not in by_x for x in xs):
            fail(f"{policy} has no {x_name} {[x for x in xs if x not in by_x]}")
        columns = [by_x[x] for x in xs]
        tasks = len(columns[0])
        if tasks < 2 or any(len(c) != tasks for c in columns):
            fail(f"{policy} needs the same number (>= 2) of tasks at every {x_name}")
        if args.window:
            per_task = [sum(c[t] for c in columns) / len(columns) for t in range(tasks)]
        else:
            per_task = [columns[1][t] - columns[0][t] for t in range(tasks)]
        mean = sum(per_task) / tasks
        ci95 = 1.96 * math.sqrt(sum((v - mean) ** 2 for v in per_task) / (tasks - 1)) / math.sqrt(tasks)
        head = f"{policy},{first},{last}" if args.window else f"{policy},{args.gain}"
        print(f"{head},{tasks},{mean:.2f},{ci95:.2f}")


if __name__ == "__main__":
    main()
