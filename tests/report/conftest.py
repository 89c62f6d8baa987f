"""Small generated tables with planted relationships, so the report's scores can be checked
for moving the right way. Tests never read ../shared/data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_table(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    grp = rng.choice(["red", "green", "blue"], n, p=[0.5, 0.3, 0.2]).astype(object)
    grp[rng.random(n) < 0.1] = None  # 10% missing
    return pd.DataFrame({
        "id": [f"row{seed}-{i:05d}" for i in range(n)],  # a key column
        "x": x,
        "y": 2 * x + rng.normal(0, 0.3, n),  # strongly tied to x
        "size": np.where(x + rng.normal(0, 0.5, n) > 0, "big", "small"),  # depends on x
        "grp": grp,
        "k": rng.integers(0, 6, n),
        "flag": rng.random(n) < 0.3,
        "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
        "label": np.where(x + (grp == "red") + rng.normal(0, 0.5, n) > 0.5, "yes", "no"),
    })


def shuffle_columns(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each column permuted on its own: the same marginals, no relationships."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: df[c].to_numpy()[rng.permutation(len(df))] for c in df.columns})


def noise_like(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Values of the right types but nothing like the real data."""
    rng = np.random.default_rng(seed)
    n = len(df)
    return pd.DataFrame({
        "id": [f"noise-{i}" for i in range(n)],
        "x": rng.uniform(-50, 50, n),
        "y": rng.uniform(-500, 500, n),
        "size": rng.choice(["big", "small", "huge", "tiny"], n),
        "grp": rng.choice(["purple", "red", "cyan"], n),
        "k": rng.integers(-100, 100, n),
        "flag": rng.random(n) < 0.95,
        "when": pd.Timestamp("1990-01-01") + pd.to_timedelta(rng.integers(0, 20000, n), unit="D"),
        "label": rng.choice(["yes", "no"], n),
    })


@pytest.fixture(scope="session")
def real() -> pd.DataFrame:
    return make_table(600, seed=1)


@pytest.fixture(scope="session")
def holdout() -> pd.DataFrame:
    return make_table(300, seed=2)
