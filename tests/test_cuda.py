"""The GPU path: fit and sample on CUDA, tables and time series. Skipped where torch sees no
CUDA GPU (CI has none); run on a GPU machine with `python -m pytest -q tests/test_cuda.py`."""

import numpy as np
import pandas as pd
import pytest
import torch

from synthgen import Synthesizer, load

from .conftest import TINY
from .test_series import planted_panel

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA GPU")


@pytest.fixture(scope="module")
def gpu_fit(planted) -> tuple[Synthesizer, int]:
    """The model and the GPU memory its training took at its peak."""
    torch.cuda.reset_peak_memory_stats()
    model = Synthesizer(epochs=40, seed=0, device="cuda", **TINY).fit(planted)
    return model, torch.cuda.max_memory_allocated()


@pytest.fixture(scope="module")
def cuda_model(gpu_fit) -> Synthesizer:
    return gpu_fit[0]


def test_fit_on_cuda_trains_on_the_gpu_and_learns(gpu_fit, cuda_model, planted):
    assert gpu_fit[1] > 0  # the weights return to the CPU after fit; training ran on the GPU
    out = cuda_model.sample(3000, seed=1, device="cuda")
    assert list(out.columns) == list(planted.columns)
    assert out.dtypes.equals(planted.dtypes)
    assert np.corrcoef(out["x"], out["y"])[0, 1] > 0.8
    shift = out.groupby("group")["z"].mean()
    assert 7 < shift["b"] - shift["a"] < 13


def test_same_seed_on_cuda_gives_identical_bytes(cuda_model):
    a = cuda_model.sample(2000, seed=7, device="cuda").to_csv(index=False)
    b = cuda_model.sample(2000, seed=7, device="cuda").to_csv(index=False)
    assert a == b


def test_a_model_fitted_on_cuda_loads_and_samples_on_cpu(cuda_model, planted, tmp_path):
    path = tmp_path / "gpu.safetensors"
    cuda_model.save(path)
    loaded = load(path)
    out = loaded.sample(1500, seed=2)  # sampling defaults to the CPU
    assert next(loaded.model_.parameters()).device.type == "cpu"
    assert out.dtypes.equals(planted.dtypes)
    assert np.corrcoef(out["x"], out["y"])[0, 1] > 0.8


def test_time_series_fit_and_sample_on_cuda():
    panel = planted_panel()
    synth = Synthesizer(entity="sensor", order="time", window=16, epochs=6, seed=0, device="cuda",
                        **TINY).fit(panel)
    out = synth.sample(20, seed=1, device="cuda")
    assert list(out.columns) == list(panel.columns)
    assert out["sensor"].nunique() == 20
    assert (out.groupby("sensor")["tier"].nunique() == 1).all()  # context stays constant
    times = pd.to_datetime(out["time"])
    assert (times.groupby(out["sensor"]).diff().dropna() > pd.Timedelta(0)).all()
