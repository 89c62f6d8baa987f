"""Independent batches generated side by side, one single-threaded batch per CPU core.

Generating a batch is a long chain of small operations (one trunk token per column, a dozen or
more denoiser calls per number); torch's own threads split each operation and gain little on
them, while whole batches side by side keep every core busy. Torch releases the GIL inside its
operations, so plain threads suffice."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")


# Rows are split into a multiple of this many batches of equal size (when there are at least
# MIN_BATCH rows for each), so that 1, 2 or 4 cores finish together rather than one core
# generating a last, lone batch. The split never depends on the number of cores: nor does the output.
BATCH_GROUP = 4
MIN_BATCH = 512


def split_rows(n: int, batch_size: int) -> list[int]:
    """Batch sizes for ``n`` rows: at most ``batch_size`` each, differing by at most one row."""
    count = -(-n // batch_size)
    if n >= BATCH_GROUP * MIN_BATCH:
        count = -(-count // BATCH_GROUP) * BATCH_GROUP
    base, extra = divmod(n, count)
    return [base + (i < extra) for i in range(count)]


def batch_seed(seed: int, index: int) -> int:
    """The seed of batch ``index``: it depends on nothing but the run's seed and the index, so the
    output is the same however many batches run at once."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)[0])


def ordered_map(fn: Callable[[int], T], count: int, workers: int) -> Iterator[T]:
    """fn(0), ..., fn(count - 1), yielded in order while up to ``workers`` of them run at once in
    threads with one torch thread each. Torch's thread count is set back afterwards."""
    if workers <= 1 or count <= 1:
        for i in range(count):
            yield fn(i)
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="synthgen")
    pending = deque()
    try:
        pending.extend(pool.submit(fn, i) for i in range(min(workers, count)))
        submitted = len(pending)
        while pending:
            result = pending.popleft().result()
            if submitted < count:  # the next batch runs while the caller handles this one
                pending.append(pool.submit(fn, submitted))
                submitted += 1
            yield result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        torch.set_num_threads(previous)
