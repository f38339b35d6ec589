#!/usr/bin/python3
"""Plots of a `metarl tournament` directory.

    plot_tournament.py DIR

DIR/win_rates.csv -> DIR/win_rates.png: a heat map of the row agent's
episode score against the column agent (draws half; blank where the two
never played). DIR/elo.csv -> DIR/elo.png: the agents' Elo ratings, best
first, with their 95 % intervals. Each image is written to a temporary file
and renamed over the old one. Run with /usr/bin/python3 (it has matplotlib).
"""

import csv
import math
import os
import sys
import tempfile


def fail(message):
    sys.exit(f"plot_tournament.py: {message}")


def read_rows(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    if len(rows) < 2:
        fail(f"{path}: expected a header and at least one row")
    return rows


def save(fig, path):
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=120)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def main():
    if len(sys.argv) != 2:
        fail("usage: plot_tournament.py DIR")
    directory = sys.argv[1]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_rows(os.path.join(directory, "win_rates.csv"))
    names = rows[0][1:]
    matrix = [[float(cell) if cell else math.nan for cell in row[1:]] for row in rows[1:]]
    size = max(4.0, 0.55 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="RdBu")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
    ax.set_yticks(range(len(names)), names)
    if len(names) <= 16:
        for i, row in enumerate(matrix):
            for j, value in enumerate(row):
                if not math.isnan(value):
                    ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xlabel("opponent")
    ax.set_ylabel("agent")
    ax.set_title("episode score of the row agent (draws half)")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    save(fig, os.path.join(directory, "win_rates.png"))
    plt.close(fig)

    rows = read_rows(os.path.join(directory, "elo.csv"))
    header = rows[0]
    column = {name: header.index(name) for name in ("agent", "elo", "elo_low", "elo_high")}
    entries = sorted(((float(r[column["elo"]]), float(r[column["elo_low"]]), float(r[column["elo_high"]]),
                       r[column["agent"]]) for r in rows[1:]), reverse=True)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.5 * len(entries) + 2), 4.5))
    xs = range(len(entries))
    ax.bar(xs, [e[0] for e in entries], color="tab:blue")
    ax.errorbar(xs, [e[0] for e in entries],
                yerr=[[e[0] - e[1] for e in entries], [e[2] - e[0] for e in entries]],
                fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(list(xs), [e[3] for e in entries], rotation=60, ha="right")
    ax.set_ylabel("Elo (mean 0), 95% interval")
    ax.axhline(0, color="gray", linewidth=0.8)
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    save(fig, os.path.join(directory, "elo.png"))
    plt.close(fig)


if __name__ == "__main__":
    main()
