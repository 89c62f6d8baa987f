import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synthgen.encoders import encoder_from_dict, fit_encoder
from synthgen.schema import ColumnSpec


def round_trip(kind, s):
    enc = fit_encoder(ColumnSpec(s.name, kind, bool(s.isna().any())), s)
    enc = encoder_from_dict(enc.to_dict())  # stats survive JSON
    e = enc.encode(s)
    assert e.codes.min() >= 0 and e.codes.max() < enc.n_codes
    return enc, enc.decode(e.codes, e.values)


def test_categorical_round_trip_with_missing():
    s = pd.Series(["a", "b", None, "a", "c"], name="c")
    enc, back = round_trip("categorical", s)
    assert back.tolist() == ["a", "b", None, "a", "c"]
    assert enc.n_codes == 4  # three labels + missing


def test_categorical_many_values_are_codes_not_one_hot():
    s = pd.Series([f"v{i % 100000}" for i in range(200000)], name="big")
    enc, back = round_trip("categorical", s)
    assert enc.n_codes == 100000
    assert back.equals(s.astype(object))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-10**6, 10**6), min_size=40, max_size=200))
def test_integer_round_trip_is_exact(values):
    s = pd.Series(values, name="i")
    _, back = round_trip("integer", s)
    assert back.tolist() == values
    assert back.dtype == s.dtype


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)), min_size=40, max_size=200))
def test_numeric_round_trip_is_exact(values):
    s = pd.Series(values, name="f")
    _, back = round_trip("numeric", s)
    np.testing.assert_allclose(back.to_numpy(), s.to_numpy(), rtol=1e-9, atol=1e-9)


def test_point_mass_and_missing_get_their_own_codes():
    rng = np.random.default_rng(0)
    x = np.where(rng.random(1000) < 0.8, 0.0, rng.exponential(1000, 1000).round())
    x[:50] = np.nan
    s = pd.Series(x, name="gain")
    enc, back = round_trip("integer", s)
    assert 0.0 in enc.atoms and enc.has_continuous and enc.nullable
    e = enc.encode(s)
    assert (e.codes == enc.missing_code).sum() == 50
    assert (e.codes == enc.atoms.index(0.0)).sum() == (x == 0).sum()
    pd.testing.assert_series_equal(back, s)


def test_continuous_part_is_standard_normal():
    s = pd.Series(np.random.default_rng(1).lognormal(3, 1, 5000), name="v")
    enc = fit_encoder(ColumnSpec("v", "numeric"), s)
    z = enc.encode(s).values
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05


def test_decoded_values_stay_in_range():
    s = pd.Series(np.random.default_rng(2).normal(50, 10, 3000).round(1), name="v")
    enc = fit_encoder(ColumnSpec("v", "numeric"), s)
    out = enc.decode(np.full(5, enc.cont_code), np.array([-50.0, -5, 0, 5, 50]))
    assert out.min() >= s.min() and out.max() <= s.max()
    assert (out.round(1) == out).all()


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"])
def test_datetime_written_back_in_input_format(fmt):
    ts = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(0, 500) * 7, unit="h")
    if fmt == "%Y-%m-%d":
        ts = ts.normalize()
    s = pd.Series(ts.strftime(fmt), name="when")
    enc, back = round_trip("datetime", s)
    assert back.tolist() == s.tolist()
    assert enc.fmt == fmt


def test_datetime_dtype_round_trip():
    s = pd.Series(pd.date_range("2021-01-01", periods=300, freq="D"), name="d")
    _, back = round_trip("datetime", s)
    assert back.dtype == s.dtype and back.equals(s)


def test_boolean_round_trip():
    s = pd.Series([True, False, True, True], name="b")
    _, back = round_trip("boolean", s)
    assert back.dtype == bool and back.tolist() == s.tolist()


def test_id_generated_fresh_in_same_style():
    s = pd.Series([f"C{i:05d}" for i in range(100)], name="k")
    enc = fit_encoder(ColumnSpec("k", "id"), s)
    out = enc.generate(3)
    assert out.tolist() == ["C00100", "C00101", "C00102"]  # above every real key: no collision
    ints = fit_encoder(ColumnSpec("n", "id"), pd.Series(range(1, 51), name="n")).generate(2)
    assert ints.tolist() == [51, 52]
