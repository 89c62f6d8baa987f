"""End to end: planted structure survives fit -> sample."""

import numpy as np
import pandas as pd


def test_linear_relationship_keeps_its_correlation(planted, fitted_sample):
    real = planted[["x", "y"]].corr().iloc[0, 1]
    synth = fitted_sample[["x", "y"]].corr().iloc[0, 1]
    assert real > 0.8
    assert abs(synth - real) < 0.1, (real, synth)


def test_category_shifts_numeric_mean(fitted_sample):
    means = fitted_sample.groupby("group")["z"].mean()
    assert 8.5 < means["a"] < 11.5, means
    assert 18.5 < means["b"] < 21.5, means


def test_missing_rate_comes_back(planted, fitted_sample):
    real = planted["w"].isna().mean()
    synth = fitted_sample["w"].isna().mean()
    assert abs(real - synth) < 0.04, (real, synth)


def test_rare_category_still_appears(fitted_sample):
    share = (fitted_sample["color"] == "violet").mean()
    assert 0.005 < share < 0.08, share


def test_output_keeps_columns_dtypes_and_labels(planted, fitted_sample):
    assert list(fitted_sample.columns) == list(planted.columns)
    assert dict(fitted_sample.dtypes) == dict(planted.dtypes)
    assert set(fitted_sample["color"]) <= set(planted["color"])
    assert (fitted_sample["count"] >= 0).all()


def test_values_stay_within_training_range(planted, fitted_sample):
    for col in ["x", "y", "z", "w"]:
        assert fitted_sample[col].min() >= planted[col].min() - 1e-9
        assert fitted_sample[col].max() <= planted[col].max() + 1e-9


def test_marginals_are_close(planted, fitted_sample):
    from scipy.stats import ks_2samp

    for col in ["x", "y", "z"]:
        assert ks_2samp(planted[col], fitted_sample[col]).statistic < 0.1, col


def test_no_row_copied_wholesale(planted, fitted_sample):
    real_rows = set(map(tuple, planted[["x", "y", "z"]].to_numpy()))
    copies = sum(tuple(r) in real_rows for r in fitted_sample[["x", "y", "z"]].to_numpy())
    assert copies / len(fitted_sample) < 0.02


def test_same_seed_same_bytes(fitted, tmp_path):
    a = fitted.sample(500, seed=123)
    b = fitted.sample(500, seed=123)
    c = fitted.sample(500, seed=124)
    assert a.to_csv(index=False) == b.to_csv(index=False)
    assert a.to_csv(index=False) != c.to_csv(index=False)


def test_batches_do_not_change_the_row_count(fitted):
    df = fitted.sample(1001, batch_size=300)
    assert len(df) == 1001
    assert isinstance(df, pd.DataFrame)
    assert not df.isna().all().any()
    assert np.isfinite(df["x"]).all()
