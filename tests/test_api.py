import numpy as np
import pandas as pd
import polars as pl
import pytest

import synthgen
from synthgen import Synthesizer
from synthgen.errors import DataError, ModelFileError, NotFittedError, SynthgenError, UsageError

from .conftest import TINY, planted_table


def test_polars_in_polars_out(planted):
    pdf = pl.from_pandas(planted.head(300))
    synth = Synthesizer(epochs=1, **TINY).fit(pdf)
    out = synth.sample(50)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == pdf.columns
    assert out.schema == pdf.schema


def test_save_load_round_trip(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.safetensors")
    loaded = synthgen.load(path)
    assert loaded.sample(200, seed=5).equals(fitted.sample(200, seed=5))
    assert loaded.history_ == fitted.history_
    assert len(loaded.history_) >= 1 and "val_loss" in loaded.history_[0]


def test_not_fitted():
    with pytest.raises(NotFittedError):
        Synthesizer().sample(10)


@pytest.mark.parametrize("n", [0, -5, 2.5])
def test_bad_n(fitted, n):
    with pytest.raises(UsageError):
        fitted.sample(n)


def test_errors_are_catchable_as_one_base_class():
    assert issubclass(DataError, SynthgenError)
    assert issubclass(ModelFileError, SynthgenError)


def test_rejects_non_frames():
    with pytest.raises(DataError, match="pandas or polars"):
        Synthesizer().fit([[1, 2], [3, 4]])


def test_schema_override_makes_integer_codes_categorical(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"code": rng.choice([10, 20, 30], 200), "v": rng.normal(size=200)})
    schema = synthgen.infer_schema(df)
    assert schema["code"].kind == "integer"
    schema["code"].kind = "categorical"
    synth = Synthesizer(schema=schema, epochs=1, **TINY).fit(df)
    assert synth.encoders_[0].kind == "categorical"
    out = synth.sample(100)
    assert set(out["code"]) <= {10, 20, 30}
    assert out["code"].dtype == df["code"].dtype


def test_time_budget_stops_training(planted):
    synth = Synthesizer(max_minutes=0.02, **TINY).fit(planted)
    assert synth.stopped_by_ in ("time-budget", "early-stopping")
    assert synth.history_[-1]["seconds"] < 20


def test_early_stopping_keeps_best_epoch(planted):
    synth = Synthesizer(**TINY).fit(planted.head(200))
    vals = [h["val_loss"] for h in synth.history_]
    assert synth.stopped_by_ == "early-stopping"
    assert vals[synth.best_epoch_ - 1] == min(vals)


def test_ctrl_c_keeps_the_best_model_so_far(planted, tmp_path):
    def interrupt_at_epoch_3(progress):
        if progress.epoch == 3 and not progress.done:
            raise KeyboardInterrupt

    synth = Synthesizer(epochs=50, callback=interrupt_at_epoch_3, **TINY).fit(planted.head(300))
    assert synth.stopped_by_ == "interrupted"
    assert len(synth.history_) == 3
    out = synthgen.load(synth.save(tmp_path / "m.safetensors")).sample(20)
    assert len(out) == 20


def test_a_column_equal_to_another_is_written_as_its_copy(planted, tmp_path):
    df = planted.iloc[:400].copy()
    df.insert(2, "x_again", df["x"])  # an exact duplicate, as some exports carry
    df["color_again"] = df["color"]
    synth = Synthesizer(epochs=2, seed=0, **TINY).fit(df)
    assert synth.copies_ == {"x_again": "x", "color_again": "color"}
    assert synth.model_.n_columns == len(planted.columns)  # the copies are not learned
    path = synth.save(tmp_path / "m.safetensors")
    out = synthgen.load(path).sample(300, seed=0)
    assert list(out.columns) == list(df.columns)
    assert dict(out.dtypes) == dict(df.dtypes)
    assert out["x_again"].equals(out["x"]) and out["color_again"].equals(out["color"])


def test_columns_that_differ_in_one_row_are_both_learned(planted):
    df = planted.iloc[:400].copy()
    df["y_almost"] = df["y"].where(df.index != 7, 0.0)
    assert Synthesizer(epochs=1, seed=0, **TINY).fit(df).copies_ == {}


def test_openmp_threads_sleep_while_waiting_unless_the_user_says_otherwise():
    # spinning OpenMP threads make torch many times slower on a machine with other work
    import os
    import subprocess
    import sys

    code = "import os, synthgen; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "PASSIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env | {"OMP_WAIT_POLICY": "ACTIVE"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ACTIVE"


def test_default_depth_is_two_blocks_for_a_table_and_three_for_a_series():
    table = Synthesizer(epochs=1, d_model=16, n_heads=2).fit(planted_table(200))
    assert len(table.model_.blocks) == 2
    assert len(Synthesizer(epochs=1, d_model=16, n_heads=2, n_layers=1).fit(planted_table(200)).model_.blocks) == 1
    steps = pd.DataFrame({"t": range(120), "v": np.sin(np.arange(120) / 5)})
    series = Synthesizer(epochs=1, d_model=16, n_heads=2, order="t", window=16).fit(steps)
    assert len(series.series_.model.rows.blocks) == 3
