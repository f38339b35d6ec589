#!/usr/bin/env python3
"""A run's training return at given env-step budgets, from its metrics.csv.

For each run directory and each budget (--at): the mean of a column
(default mean_return) over the ROWS rows (default 10) centred on the row
whose env_steps is nearest the budget (fewer at the ends of the file); "-"
where the run has no row within about an iteration's steps of it. With
--last N: the mean over the run's last N rows instead; with --iterations
A:B ...: the mean over the rows of iterations A to B (both included), one
column per range. Training returns are
noisy from one iteration to the next; the window is what smooths them.
--decimals sets the printed precision (default 1 with --at, 2 with --last),
e.g. 5 for the learned step sizes (--column step_size_0 --rows 1: the row
itself).

    /usr/bin/python3 scripts/training_return.py experiments/results/continual/bug_crippled/{meta_mlp,pretrained_mlp} \\
        --at 0.5e6 1e6 2e6 4e6 5e6
    /usr/bin/python3 scripts/training_return.py $d/meta_mlp_lvc --last 50 --column return_before_adaptation
    /usr/bin/python3 scripts/training_return.py $s/sumo2d_meta_lvc --column win_rate --iterations 1:40 41:80
"""
import argparse
import csv
import sys
from pathlib import Path


def fail(message):
    sys.exit(f"training_return: {message}")


def read_rows(run, column):
    path = Path(run) / "metrics.csv"
    if not path.is_file():
        fail(f"{path}: no such file")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "env_steps" not in rows[0] or column not in rows[0]:
        fail(f"{path}: needs rows with the columns env_steps and {column}")
    return rows


def mean(rows, column):
    return sum(float(r[column]) for r in rows) / len(rows)


def at_budget(rows, budget, column, count, decimals):
    steps = [float(r["env_steps"]) for r in rows]
    i = min(range(len(rows)), key=lambda j: abs(steps[j] - budget))
    # An iteration's steps there (they grow as episodes get longer).
    here = steps[min(i + 1, len(steps) - 1)] - steps[max(i - 1, 0)] if len(steps) > 1 else steps[0]
    if abs(steps[i] - budget) > here / 2 + 1:
        return "-"
    return f"{mean(rows[max(0, i - count // 2): i + (count + 1) // 2], column):.{decimals}f}"


def iteration_range(text):
    first, _, last = text.partition(":")
    try:
        a, b = int(first), int(last)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not FIRST:LAST (iterations)")
    if a < 1 or b < a:
        raise argparse.ArgumentTypeError(f"'{text}': needs 1 <= FIRST <= LAST")
    return a, b


def over_iterations(rows, first, last, column, decimals):
    chosen = [r for r in rows if first <= int(r["iteration"]) <= last]
    return f"{mean(chosen, column):.{decimals}f}" if chosen else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", type=float, nargs="+", metavar="ENV_STEPS")
    where.add_argument("--last", type=int, metavar="N")
    where.add_argument("--iterations", type=iteration_range, nargs="+", metavar="FIRST:LAST")
    parser.add_argument("--column", default="mean_return")
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--decimals", type=int)
    args = parser.parse_args()
    if args.rows < 1 or (args.last is not None and args.last < 1):
        fail("--rows and --last must be >= 1")
    if args.decimals is not None and args.decimals < 0:
        fail("--decimals must be >= 0")

    runs = {run: read_rows(run, args.column) for run in args.runs}  # all checked before any output
    if args.iterations is not None:
        for run, rows in runs.items():
            if "iteration" not in rows[0]:
                fail(f"{run}/metrics.csv: needs the column iteration")
        print("run," + ",".join(f"{a}:{b}" for a, b in args.iterations))
        decimals = 3 if args.decimals is None else args.decimals
        for run, rows in runs.items():
            print(f"{run}," + ",".join(over_iterations(rows, a, b, args.column, decimals) for a, b in args.iterations))
        return
    if args.last is not None:
        print(f"run,last_rows,env_steps_from,{args.column}")
        for run, rows in runs.items():
            tail = rows[-args.last:]
            decimals = 2 if args.decimals is None else args.decimals
            print(f"{run},{len(tail)},{float(tail[0]['env_steps']):.0f},{mean(tail, args.column):.{decimals}f}")
        return
    print("run," + ",".join(f"{b:.0f}" for b in args.at))
    for run, rows in runs.items():
        decimals = 1 if args.decimals is None else args.decimals
        print(f"{run}," + ",".join(at_budget(rows, b, args.column, args.rows, decimals) for b in args.at))


if __name__ == "__main__":
    main()
