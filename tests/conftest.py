"""Shared fixtures: small generated tables (tests never read ../shared) and one tiny model
fitted once per session, so the learning tests stay fast."""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as synthgen sets it; torch is imported first here

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from synthgen import Synthesizer  # noqa: E402

# two threads suit CI's quiet 2-core machine; on a busy one, SYNTHGEN_TEST_THREADS=1 avoids
# the slowdown that oversubscribed OpenMP threads cause
torch.set_num_threads(int(os.environ.get("SYNTHGEN_TEST_THREADS", "2")))

TINY = dict(d_model=32, n_layers=2, n_heads=2, sampling_steps=16)


def planted_table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """x -> y linear (corr ~0.9); group shifts z's mean; 10 % missing in w; a rare category."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    y = 2 * x + rng.normal(0, 0.9, n)
    group = rng.choice(["a", "b"], size=n)
    z = np.where(group == "a", 10.0, 20.0) + rng.normal(0, 1.5, n)
    w = rng.normal(5, 1, n).round(2)
    w[rng.random(n) < 0.10] = np.nan
    color = rng.choice(["red", "green", "blue", "violet"], size=n, p=[0.5, 0.3, 0.17, 0.03])
    return pd.DataFrame({"x": x.round(4), "y": y.round(4), "group": group, "z": z.round(3),
                         "w": w, "color": color, "count": rng.poisson(3, n)})


@pytest.fixture(scope="session")
def planted() -> pd.DataFrame:
    return planted_table()


@pytest.fixture(scope="session")
def fitted(planted) -> Synthesizer:
    return Synthesizer(epochs=40, seed=0, **TINY).fit(planted)


@pytest.fixture(scope="session")
def fitted_sample(fitted) -> pd.DataFrame:
    return fitted.sample(3000, seed=1)
