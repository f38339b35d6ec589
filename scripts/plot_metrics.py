#!/usr/bin/python3
"""Learning curve from a run's metrics.csv.

    plot_metrics.py METRICS.csv OUT.png [--x env_steps] [--y mean_return ...] [--title T]

One panel: the --x column on the horizontal axis, one line per --y column
(default: every column whose name contains "return"). Empty and NaN values
are skipped. The image is written to a temporary file and renamed over OUT.png.
Run with /usr/bin/python3 (it has matplotlib).
"""

import argparse
import csv
import math
import os
import sys
import tempfile


def fail(message):
    sys.exit(f"plot_metrics.py: {message}")


def read_columns(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    if not rows:
        fail(f"{path}: empty file, expected a header row")
    header = rows[0]
    columns = {name: [] for name in header}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            fail(f"{path}: line {line} has {len(row)} fields, expected {len(header)}")
        for name, text in zip(header, row):
            columns[name].append(text.strip())
    return header, columns


def number(path, column, text):
    """The value of one field, or None when it is empty or NaN."""
    if text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        fail(f"{path}: column '{column}' has a value that is not a number: '{text}'")
    return None if math.isnan(value) else value


def main():
    parser = argparse.ArgumentParser(description="Plot a learning curve from metrics.csv.")
    parser.add_argument("metrics", help="metrics.csv of a run")
    parser.add_argument("out", help="the PNG file to write")
    parser.add_argument("--x", default="env_steps", help="column on the horizontal axis (default: env_steps)")
    parser.add_argument("--y", nargs="+", help="columns to plot (default: every column containing 'return')")
    parser.add_argument("--title", help="title (default: the run directory's name)")
    args = parser.parse_args()

    header, columns = read_columns(args.metrics)
    y_names = args.y or [name for name in header if "return" in name]
    if not y_names:
        fail(f"{args.metrics}: no column containing 'return'; choose columns with --y (columns: {', '.join(header)})")
    for name in [args.x] + y_names:
        if name not in columns:
            fail(f"{args.metrics}: no column '{name}' (columns: {', '.join(header)})")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    xs = [number(args.metrics, args.x, text) for text in columns[args.x]]
    for name in y_names:
        ys = [number(args.metrics, name, text) for text in columns[name]]
        points = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
        if points:
            marker = "o" if len(points) < 20 else None  # a lone point is still visible
            ax.plot([p[0] for p in points], [p[1] for p in points], label=name, linewidth=1.5, marker=marker, markersize=3)
    ax.set_xlabel(args.x)
    ax.set_ylabel(y_names[0] if len(y_names) == 1 else "value")
    title = args.title
    if title is None:
        title = os.path.basename(os.path.dirname(os.path.abspath(args.metrics)))
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.get_lines():
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no data yet", transform=ax.transAxes, ha="center", va="center")
    fig.tight_layout()

    out_dir = os.path.dirname(os.path.abspath(args.out))
    try:
        fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(args.out) + ".", suffix=".tmp", dir=out_dir)
    except OSError as e:
        fail(f"{args.out}: cannot write: {e.strerror or e}")
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=120)
        os.chmod(temp, 0o644)
        os.replace(temp, args.out)
    except BaseException as e:
        try:
            os.unlink(temp)
        except OSError:
            pass
        if isinstance(e, OSError):
            fail(f"{args.out}: cannot write: {e.strerror or e}")
        raise
    finally:
        plt.close(fig)


if __name__ == "__main__":
    main()
