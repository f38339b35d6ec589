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

    /usr/bin/python3 scripts/task_stats.py experiments/results/continual/bug_crippled/at_5M_meta_mlp/adapt_chain_tasks.csv --window 5 7
    /usr/bin/python3 scripts/task_stats.py experiments/results/maml/ant_vel/adapt_tasks.csv --gain 1

With --minus POLICY, each policy's per-task figure minus that policy's
(paired by task, e.g. adapted minus RUN:no_adaptation along the same chains):

    /usr/bin/python3 scripts/task_stats.py $d/adapt_chain_tasks.csv --window 5 7 --minus 'RUN:no_adaptation'

Several files (of one kind) may be given: their policies are pooled, so a
policy of one evaluation can be paired with another's, e.g. RL² against the
pretrained policy when each was evaluated on its own (the same --tasks and
--seed give the same chains in the same order):

    /usr/bin/python3 scripts/task_stats.py $d/at_5M_rl2_lstm/adapt_chain_tasks.csv \
        $d/at_5M_pretrained_mlp/adapt_chain_tasks.csv --window 5 7 --minus 'pretrained_mlp@steps_5000000:no_adaptation'

The interval is the one adapt.csv uses (experiments/stats.h): Student's t
with tasks − 1 degrees of freedom (0.975 quantile) × the sample standard
deviation over tasks / √tasks. Needs python3-scipy.
"""
import argparse
import csv
import math
import sys

from scipy.stats import t as students_t


def fail(message):
    sys.exit(f"task_stats: {message}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks_csv", nargs="+")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--window", type=int, nargs=2, metavar=("FIRST", "LAST"))
    how.add_argument("--gain", type=int, metavar="X")
    parser.add_argument("--minus", metavar="POLICY", help="subtract this policy's per-task figure, task by task")
    args = parser.parse_args()

    returns = {}  # policy -> x -> returns in task order
    x_name = None
    for path in args.tasks_csv:
        try:
            f = open(path, newline="")
        except OSError as e:
            fail(f"cannot read {path}: {e.strerror}")
        with f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or len(header) != 4 or header[:2] != ["policy", "task"] or header[3] != "return":
                fail(f"{path} is not an adapt_tasks.csv or adapt_chain_tasks.csv (header {header})")
            if x_name is not None and header[2] != x_name:
                fail(f"{path} counts {header[2]}, the files before it {x_name}: not the same kind")
            x_name = header[2]
            seen = set()
            for policy, _, x, value in reader:
                if policy not in seen and policy in returns:
                    fail(f"{path}: policy {policy} is also in an earlier file")
                seen.add(policy)
                returns.setdefault(policy, {}).setdefault(int(x), []).append(float(value))

    if args.window:
        first, last = args.window
        if first > last:
            fail(f"--window {first} {last}: FIRST is after LAST")

    def per_task_figures(policy):
        by_x = returns[policy]
        xs = list(range(first, last + 1)) if args.window else [min(by_x), args.gain]
        if any(x not in by_x for x in xs):
            fail(f"{policy} has no {x_name} {[x for x in xs if x not in by_x]}")
        columns = [by_x[x] for x in xs]
        tasks = len(columns[0])
        if tasks < 2 or any(len(c) != tasks for c in columns):
            fail(f"{policy} needs the same number (>= 2) of tasks at every {x_name}")
        if args.window:
            return [sum(c[t] for c in columns) / len(columns) for t in range(tasks)]
        return [columns[1][t] - columns[0][t] for t in range(tasks)]

    reference = None
    if args.minus is not None:
        if args.minus not in returns:
            fail(f"--minus {args.minus}: no such policy in {' '.join(args.tasks_csv)} (have {', '.join(returns)})")
        reference = per_task_figures(args.minus)
    figure = ("mean_return" if args.window else "mean_gain") + (f"_minus_{args.minus}" if reference else "")
    if args.window:
        print(f"policy,{x_name}_first,{x_name}_last,tasks,{figure},ci95")
    else:
        print(f"policy,{x_name},tasks,{figure},ci95")
    for policy in returns:
        if policy == args.minus:
            continue
        per_task = per_task_figures(policy)
        tasks = len(per_task)
        if reference is not None:
            if len(reference) != tasks:
                fail(f"{policy} has {tasks} tasks, {args.minus} {len(reference)}: not paired")
            per_task = [v - r for v, r in zip(per_task, reference)]
        mean = sum(per_task) / tasks
        standard_error = math.sqrt(sum((v - mean) ** 2 for v in per_task) / (tasks - 1)) / math.sqrt(tasks)
        ci95 = students_t.ppf(0.975, tasks - 1) * standard_error
        head = f"{policy},{first},{last}" if args.window else f"{policy},{args.gain}"
        print(f"{head},{tasks},{mean:.2f},{ci95:.2f}")


if __name__ == "__main__":
    main()
