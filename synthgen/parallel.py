"""Independent batches generated side by side, one single-threaded batch per CPU core.

Generating a batch is a long chain of small operations (one trunk token per column, a dozen or
more denoiser calls per number); torch's own threads split each operation and gain little on
them, while whole batches side by side keep every core busy. Torch releases the GIL inside its
operations, so threads work; but each of a batch's tens of thousands of operations hands
Python's lock back and forth between the threads, which cost a fifth of two cores' throughput
on a 24-column table. Where the platform can fork (Linux), batches run in forked worker
processes instead, which share the loaded model copy-on-write and hand nothing back and forth."""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import signal
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import numpy as np
import torch

from .errors import WorkerError

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


def ordered_map(fn: Callable[[int], T], count: int, workers: int, processes: bool = False) -> Iterator[T]:
    """fn(0), ..., fn(count - 1), yielded in order while up to ``workers`` of them run at once,
    each with one torch thread; torch's thread count is set back afterwards.

    ``processes``: run them in forked worker processes where the platform can fork (else in
    threads, as without it); fn's results must then be picklable (e.g. numpy arrays)."""
    if workers <= 1 or count <= 1:
        for i in range(count):
            yield fn(i)
        return
    if processes and can_fork():
        yield from _forked_map(fn, count, workers)
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield from _in_flight(ThreadPoolExecutor(workers, thread_name_prefix="synthgen"), fn, count, workers)
    finally:
        torch.set_num_threads(previous)


def can_fork() -> bool:
    """Forking is Linux's own way of starting a process that has the model already loaded;
    macOS's system libraries are not safe to fork, and Windows cannot. A daemonic process (a
    worker of a multiprocessing.Pool, say) may not start processes of its own."""
    return (sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon)


# The functions that forked workers run, by a key the parent passes: a fork copies this table, so
# nothing (closures, models) needs to be pickled on the way in.
_FORKED_TASKS: dict[int, Callable] = {}
_task_keys = itertools.count()


def _run_forked(key: int, i: int):
    return _FORKED_TASKS[key](i)


def _forked_worker_init() -> None:
    torch.set_num_threads(1)
    # Ctrl-C reaches the whole process group: the parent stops the work and reports it once
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _forked_map(fn: Callable[[int], T], count: int, workers: int) -> Iterator[T]:
    key = next(_task_keys)
    _FORKED_TASKS[key] = fn
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns about forking a process that has threads (torch's own pool):
            # the workers only run torch with one thread each, which does not touch that pool.
            warnings.simplefilter("ignore", DeprecationWarning)
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_forked_worker_init)
            try:
                pool.submit(int).result()  # a fork-based pool starts every worker at its first call
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
        # two calls per worker in flight: a worker need not wait while the caller handles a result
        yield from _in_flight(pool, functools.partial(_run_forked, key), count, 2 * workers)
    except BrokenProcessPool as exc:
        raise WorkerError("a worker process generating rows stopped abruptly (killed, or out of memory?); "
                          "try again, or with a smaller batch_size") from exc
    finally:
        del _FORKED_TASKS[key]


def _in_flight(pool: Executor, fn: Callable[[int], T], count: int, ahead: int) -> Iterator[T]:
    """Keep up to ``ahead`` calls of fn in flight on ``pool`` and yield their results in order;
    the pool is shut down at the end, on an error or when the caller stops early."""
    pending = deque()
    try:
        pending.extend(pool.submit(fn, i) for i in range(min(ahead, count)))
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
