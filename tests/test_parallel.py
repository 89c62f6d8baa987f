"""Batches generated side by side: order, torch threads, errors, seeds."""

import multiprocessing
import os
import random
import time

import pandas as pd
import pytest
import torch

from synthgen.errors import WorkerError
from synthgen.parallel import BATCH_GROUP, batch_seed, can_fork, ordered_map, split_rows

needs_fork = pytest.mark.skipif(not can_fork(), reason="worker processes are forked on Linux only")


def test_results_come_in_order_with_one_torch_thread_each():
    previous = torch.get_num_threads()
    delays = [random.Random(0).random() / 50 for _ in range(7)]

    def work(i):
        time.sleep(delays[i])  # later items often finish first
        return i, torch.get_num_threads()

    out = list(ordered_map(work, 7, workers=3))
    assert [i for i, _ in out] == list(range(7))
    assert {threads for _, threads in out} == {1}
    assert torch.get_num_threads() == previous


def test_an_error_reaches_the_caller_and_threads_are_set_back():
    previous = torch.get_num_threads()

    def work(i):
        if i == 2:
            raise ValueError("batch 2 failed")
        return i

    with pytest.raises(ValueError, match="batch 2"):
        list(ordered_map(work, 5, workers=2))
    assert torch.get_num_threads() == previous


@needs_fork
def test_forked_workers_run_a_closure_in_order_with_one_torch_thread_each():
    previous = torch.get_num_threads()
    offset = 10  # a closure over local state: nothing is pickled on the way in
    out = list(ordered_map(lambda i: (i + offset, os.getpid(), torch.get_num_threads()), 9, workers=2, processes=True))
    assert [i for i, _, _ in out] == list(range(10, 19))
    assert os.getpid() not in {pid for _, pid, _ in out}
    assert {threads for _, _, threads in out} == {1}
    assert torch.get_num_threads() == previous
    assert not multiprocessing.active_children()


@needs_fork
def test_an_error_in_a_forked_worker_reaches_the_caller_and_the_workers_end():
    def work(i):
        if i == 3:
            raise ValueError("batch 3 failed")
        return i

    with pytest.raises(ValueError, match="batch 3"):
        list(ordered_map(work, 6, workers=2, processes=True))
    assert not multiprocessing.active_children()


@needs_fork
def test_a_worker_that_dies_gives_a_clear_error():
    def work(i):
        if i == 1:
            os._exit(1)  # as if the kernel killed it for memory
        return i

    with pytest.raises(WorkerError, match="worker process"):
        list(ordered_map(work, 4, workers=2, processes=True))
    assert not multiprocessing.active_children()


def _sample_in_a_pool_worker(_):
    return list(ordered_map(lambda i: i * i, 5, workers=2, processes=True))


@needs_fork
def test_a_daemonic_process_falls_back_to_threads():
    """A multiprocessing.Pool worker may not start processes: batches run in its threads."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map(_sample_in_a_pool_worker, [0]) == [[0, 1, 4, 9, 16]]


@needs_fork
def test_stopping_early_ends_the_forked_workers():
    results = ordered_map(lambda i: i, 50, workers=2, processes=True)
    assert next(results) == 0
    results.close()
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("n", [1, 100, 4096, 4097, 20_000, 24_000, 1_000_001])
def test_rows_are_split_into_even_batches(n):
    sizes = split_rows(n, 4096)
    assert sum(sizes) == n and max(sizes) <= 4096 and max(sizes) - min(sizes) <= 1
    if n >= 4096:  # enough rows: every core of a 1-, 2- or 4-core machine gets as many batches
        assert len(sizes) % BATCH_GROUP == 0


def test_batch_seeds_depend_on_the_seed_and_the_index_only():
    assert batch_seed(7, 3) == batch_seed(7, 3)
    assert len({batch_seed(s, i) for s in range(4) for i in range(4)}) == 16


def test_sample_is_the_same_whatever_the_number_of_threads(fitted):
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = fitted.sample(900, seed=5, batch_size=128)
        torch.set_num_threads(2)
        two = fitted.sample(900, seed=5, batch_size=128)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)
    pd.testing.assert_frame_equal(one, two)
    assert not one.iloc[:128].reset_index(drop=True).equals(one.iloc[128:256].reset_index(drop=True))
