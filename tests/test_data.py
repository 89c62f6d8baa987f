"""train_val_split: the validation share, its bounds and its seed."""

import numpy as np
import pytest

from synthgen.data import train_val_split


@pytest.mark.parametrize("n, fraction, max_val, expected", [
    (1000, 0.1, 20000, 100),  # the share
    (1000, 0.1, 30, 30),  # capped: a series validates at most VAL_STEPS // window windows
    (5, 0.01, 20000, 1),  # at least one row
    (2, 0.9, 20000, 1),  # and at least one left to train on
])
def test_split_covers_every_row_once_with_a_bounded_validation_share(n, fraction, max_val, expected):
    train, val = train_val_split(n, fraction, seed=3, max_val=max_val)
    assert len(val) == expected
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(n))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)  # sorted, no repeats


def test_split_depends_on_the_seed_only():
    a, b = train_val_split(500, 0.2, seed=1), train_val_split(500, 0.2, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], train_val_split(500, 0.2, seed=2)[1])
