"""Rows per second of `Synthesizer.sample` with the model already loaded (issue 2's target:
10,000), on any model files, e.g. those `bench_tabular.py --keep DIR` kept.

    python benchmarks/bench_sample_rate.py DIR/adult-*/synthgen.safetensors --threads 2

To compare two versions of the code on this noisy machine, run both alternately on the same
model files, each from its own checkout: `PYTHONPATH=OLD_CHECKOUT python .../bench_sample_rate.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path, help="synthgen model files")
    ap.add_argument("--rows", type=int, default=20_000, help="rows per timed call (20,000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed calls per model; the median counts (3)")
    ap.add_argument("--threads", type=int, help="torch threads (default: torch's own, all cores)")
    ap.add_argument("--baseline", action="store_true",
                    help="also time each model one batch at a time, torch's threads splitting each "
                         "operation (as tables sampled before batches ran side by side), alternating, for a ratio")
    ap.add_argument("--threads-baseline", action="store_true",
                    help="also time each model with its batches side by side in threads of this process "
                         "(as before they ran in forked worker processes), alternating, for a ratio")
    args = ap.parse_args()

    import torch

    import synthgen

    if args.threads:
        torch.set_num_threads(args.threads)
    for path in args.models:
        synth = synthgen.load(path)
        synth.sample(min(args.rows, 2000), seed=1)  # warm-up: first-call costs are not the rate
        ways = ["side by side"] + ["baseline"] * args.baseline + ["threads"] * args.threads_baseline
        times = {way: [] for way in ways}
        for seed in range(args.repeat):
            for way in ways:
                with BASELINES.get(way, contextlib.nullcontext)():
                    start = time.perf_counter()
                    synth.sample(args.rows, seed=seed)
                    times[way].append(time.perf_counter() - start)
        rates = {way: args.rows / statistics.median(t) for way, t in times.items()}
        ratios = "".join(f", {rates[ways[0]] / rates[way]:.2f}x the {way} rate {rates[way]:,.0f}" for way in ways[1:])
        print(f"{path}: {len(synth.columns_)} columns, {rates[ways[0]]:,.0f} rows/s{ratios} "
              f"(median of {args.repeat} x {args.rows:,} rows, {torch.get_num_threads()} threads, "
              f"synthgen from {Path(synthgen.__file__).parent})", flush=True)


@contextlib.contextmanager
def _ordered_map_replaced(replacement):
    """synthgen.api.ordered_map(fn, count, workers, ...) is ``replacement(original, fn, count, workers)``
    within the block."""
    import synthgen.api

    original = synthgen.api.ordered_map
    synthgen.api.ordered_map = lambda fn, count, workers, **_: replacement(original, fn, count, workers)
    try:
        yield
    finally:
        synthgen.api.ordered_map = original


def one_batch_at_a_time():
    """Sample one batch at a time, as tables did before batches ran side by side."""
    return _ordered_map_replaced(lambda original, fn, count, workers: (fn(i) for i in range(count)))


def in_threads():
    """Batches side by side in threads of this process, as before they ran in worker processes."""
    return _ordered_map_replaced(lambda original, fn, count, workers: original(fn, count, workers, processes=False))


BASELINES = {"baseline": one_batch_at_a_time, "threads": in_threads}


if __name__ == "__main__":
    main()
