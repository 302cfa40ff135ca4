#!/usr/bin/env python3
"""Turns the bench binaries' CSV files into the PNG plots shown in docs/BENCHMARKS.md.

Usage: plot.py <throughput.csv> <latency.csv> <out dir>
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def throughput(path, out):
    series = {}
    for row in csv.DictReader(open(path)):
        series.setdefault(row["scenario"], []).append((float(row["seconds"]), int(row["deliveries"])))
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, points in series.items():
        # Deliveries per second over each 0.25 s sampling interval.
        xs, rates, last = [], [], (0.0, 0)
        for t, n in points:
            if t > last[0]:
                xs.append(t)
                rates.append((n - last[1]) / (t - last[0]))
            last = (t, n)
        ax.plot(xs, rates, label=name)
    ax.set_xlabel("seconds since the first event")
    ax.set_ylabel("deliveries / s")
    ax.set_title("P1: local stack throughput (2 cores)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def latency(path, out):
    rows = list(csv.DictReader(open(path)))
    labels = [f"{r['rate']}/s, fan-out {r.get('fanout', '1')}" for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    for p in ("p50_ms", "p95_ms", "p99_ms"):
        ax.plot(labels, [float(r[p]) for r in rows], marker="o", label=p.replace("_ms", ""))
    ax.axhline(5, color="grey", linestyle=":", label="p99 target at fan-out 1 (5 ms)")
    ax.axhline(20, color="grey", linestyle="--", label="p99 target at fan-out 5 (20 ms)")
    ax.set_xlabel("events / s (open loop), fan-out")
    ax.set_ylabel("ingest → receipt latency (ms)")
    ax.set_title("P2: latency percentiles")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    tp, lat, out_dir = sys.argv[1:4]
    throughput(tp, f"{out_dir}/bench-throughput.png")
    latency(lat, f"{out_dir}/bench-latency.png")
    print(f"plots written to {out_dir}")
