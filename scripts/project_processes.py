#!/usr/bin/env python3
"""Projects an iteration's time on W processes (docs/PERFORMANCE.md): a
MAML-TRPO meta-iteration, split by task, or a PPO iteration, split by env.

Model: every phase of the iteration is split over the processes, so one
process's compute is the one-process iteration's divided by W (W at most
the units shared: the tasks of a meta-batch, or PPO's envs); on top, each exchange (an all-reduce) costs a
ring's 2 (W - 1) latencies plus 2 (W - 1) / W of its bytes over the link:

  T(W) = T1 / W + calls * 2 (W - 1) * latency + bytes * 2 (W - 1) / W / bandwidth

T1 is a measured iteration of one process with one thread; calls and bytes
are what one process exchanged in one iteration (metrics.csv's exchanges and
exchanged_bytes of a run over several). It ignores the load imbalance when
the tasks do not divide evenly and the contention of processes sharing a
host's memory (on this 2-core host the measured 2-process iteration is
slower than the model by that).

  scripts/project_processes.py --t1 18.53 --calls 44 --bytes 620000 \
      --tasks 40 --gbit 1 --latency-us 50 [--measured 2=10.53]
"""
import argparse

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument('--t1', type=float, required=True, help='one process, one thread: seconds per iteration')
parser.add_argument('--calls', type=float, required=True, help='exchanges per iteration and process')
parser.add_argument('--bytes', type=float, required=True, help='bytes exchanged per iteration and process')
parser.add_argument('--tasks', type=int, required=True,
                    help='the units shared, the most processes: tasks per meta-batch, or PPO envs')
parser.add_argument('--gbit', type=float, default=1.0, help='link bandwidth, Gbit/s')
parser.add_argument('--latency-us', type=float, default=50.0, help='one message latency, microseconds')
parser.add_argument('--measured', action='append', default=[], help='W=SECONDS measured, shown beside')
args = parser.parse_args()

measured = {int(w): float(s) for w, s in (m.split('=') for m in args.measured)}
bandwidth = args.gbit * 1e9 / 8
latency = args.latency_us * 1e-6
print(f'| processes W | compute T1/W (s) | exchange (s) | iteration (s) | speed-up | measured (s) |')
print('|---|---|---|---|---|---|')
for w in sorted({1, 2, 4, 8, 16, args.tasks} | set(measured)):
    if w > args.tasks:
        continue
    compute = args.t1 / w
    exchange = 0.0 if w == 1 else args.calls * 2 * (w - 1) * latency + args.bytes * 2 * (w - 1) / w / bandwidth
    total = compute + exchange
    print(f'| {w} | {compute:.2f} | {exchange:.3f} | {total:.2f} | {args.t1 / total:.1f}x | '
          f'{measured[w]:.2f} |' if w in measured else
          f'| {w} | {compute:.2f} | {exchange:.3f} | {total:.2f} | {args.t1 / total:.1f}x | |')
