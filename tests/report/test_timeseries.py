"""The time-series section: scores move the right way on planted data (an AR(1) process, an
independent draw of it, and the same draw shuffled in time), sequence lengths are compared,
one long series with several synthetic series works, the JSON follows its schema, the HTML
shows the section and the CLI passes the options through. Tiny tables, few GRU steps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthgen.errors import UsageError
from synthgen.report import evaluate
from synthgen.report import timeseries as tsmod
from synthgen.report.sequences import FeatureSpace, cut, sample_windows, split_sequences
from synthgen.report.tables import prepare

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json"
# Few, fast steps for the GRU models (a higher learning rate than the protocol's, so that
# 120 steps are enough to tell shuffled windows from real ones).
FAST = {"disc_iterations": 120, "pred_iterations": 30, "batch_size": 32, "learning_rate": 0.02}
TS = {"entity": "station", "order": "t", "context": ["region"], "window": 12}


def ar1(n: int, rng: np.random.Generator, phi: float = 0.9) -> np.ndarray:
    x = np.empty(n)
    x[0] = rng.normal()
    for t in range(1, n):
        x[t] = phi * x[t - 1] + np.sqrt(1 - phi ** 2) * rng.normal()
    return x


def make_panel(stations: int, steps: int | list[int], seed: int, prefix: str) -> pd.DataFrame:
    """One AR(1) sequence per station, a static region that shifts its level, y following
    the previous step of x, a state label from x. Rows come shuffled (not sorted by time)."""
    rng = np.random.default_rng(seed)
    parts = []
    for e in range(stations):
        n = steps if isinstance(steps, int) else steps[e]
        x = ar1(n, rng)
        region = ("north", "south")[e % 2]
        parts.append(pd.DataFrame({
            "station": f"{prefix}{e:03d}",
            "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),
            "region": region,
            "x": x + (3.0 if region == "north" else 0.0),
            "y": 0.8 * np.r_[0.0, x[:-1]] + 0.6 * rng.normal(size=n),
            "state": np.where(x > 0.3, "high", np.where(x < -0.3, "low", "mid")),
        }))
    df = pd.concat(parts, ignore_index=True)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def shuffle_in_time(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The same rows per station and the same values per column, in a random time order."""
    rng = np.random.default_rng(seed)
    out = df.sort_values(["station", "t"]).reset_index(drop=True)
    for col in ("x", "y", "state"):
        values = out[col].to_numpy().copy()
        for idx in out.groupby("station").indices.values():
            values[idx] = values[idx][rng.permutation(len(idx))]
        out[col] = values
    return out


@pytest.fixture(scope="module")
def panel_real():
    return make_panel(40, 30, seed=1, prefix="S")


@pytest.fixture(scope="module")
def panel_synthetic():
    return make_panel(40, 30, seed=2, prefix="G")  # the same process, fresh keys


@pytest.fixture(scope="module")
def copy_report(panel_real, panel_synthetic):
    holdout = make_panel(20, 30, seed=3, prefix="H")
    return evaluate(panel_real, panel_synthetic, holdout=holdout, target="y", ts_options=FAST,
                    **TS)


@pytest.fixture(scope="module")
def shuffled_report(panel_real, panel_synthetic):
    return evaluate(panel_real, shuffle_in_time(panel_synthetic, seed=4), ts_options=FAST, **TS)


@pytest.fixture(scope="module")
def single_report():
    """One long real series; three synthetic series numbered by a leading `series` column."""
    rng = np.random.default_rng(5)

    def series(n):
        x = ar1(n, rng)
        return pd.DataFrame({"x": x, "load": 0.7 * x + 0.5 * rng.normal(size=n),
                             "mode": np.where(x > 0, "up", "down")})

    real = series(600)
    syn = pd.concat([series(200).assign(series=k) for k in range(3)], ignore_index=True)
    syn = syn[["series", "x", "load", "mode"]]
    return evaluate(real, syn, holdout=series(200), sequential=True, window=12, ts_options=FAST)


def test_independent_draw_scores_well_and_time_shuffle_scores_badly(copy_report,
                                                                    shuffled_report):
    good, bad = copy_report.timeseries, shuffled_report.timeseries
    # Same values per station either way: the shapes cannot tell them apart.
    assert bad["step_shapes"]["synthetic"] == pytest.approx(good["step_shapes"]["synthetic"])
    assert bad["sequence_length"]["synthetic"] == 1.0
    # Consecutive rows: kept by the independent draw, lost by the shuffle.
    assert good["lag1_coherence"]["synthetic"] > 0.9
    assert bad["lag1_coherence"]["synthetic"] < good["lag1_coherence"]["synthetic"] - 0.1
    # Pooled over stations the lag-1 correlation of x keeps the between-station spread (the
    # region shifts the level), so it drops without vanishing; the ACF is per sequence.
    lag_x = {c["column"]: c for c in bad["lag1_coherence"]["columns"]}["x"]
    assert lag_x["real"] > 0.9 and lag_x["synthetic"] < lag_x["real"] - 0.1
    acf_x = {c["column"]: c for c in bad["autocorrelation"]["columns"]}["x"]
    assert acf_x["real"][0] > 0.6 and abs(acf_x["synthetic"][0]) < 0.2
    assert good["autocorrelation"]["synthetic"] > 0.95
    assert bad["autocorrelation"]["synthetic"] < good["autocorrelation"]["synthetic"] - 0.05
    # The GRU classifier is near chance on the draw and tells the shuffled windows apart.
    assert copy_report.discriminative_score < 0.15
    assert shuffled_report.discriminative_score > 0.25
    assert copy_report.scores["ts_discriminative"] > 0.7 > shuffled_report.scores["ts_discriminative"]
    # The holdout (other stations of the same process) is the ceiling, measured beside each.
    ceiling = copy_report.ceiling
    for name in ("ts_discriminative", "ts_lag1_coherence", "ts_autocorrelation",
                 "ts_sequence_length"):
        assert ceiling[name] is not None, name
    assert ceiling["ts_lag1_coherence"] > 0.9 and ceiling["ts_autocorrelation"] > 0.95
    for report in (copy_report, shuffled_report):
        for name in ("ts_discriminative", "ts_lag1_coherence", "ts_autocorrelation"):
            assert 0.0 <= report.scores[name] <= 1.0
            assert report.to_dict()["scores"][name]["reading"]


def test_predictive_score_and_its_reference(copy_report, shuffled_report):
    pred = copy_report.timeseries["predictive"]
    assert pred["target"] == "y" and pred["test_set"] == "holdout windows"
    assert 0.0 < pred["synthetic"] < 0.5 and 0.0 < pred["holdout"] < 0.5
    assert pred["protocol_mae"] is not None and copy_report.predictive_score == pred["synthetic"]
    assert pred["windows"]["test"] > 0 and pred["hidden"] == 4
    # Without a holdout the reference is trained and tested on disjoint real stations.
    other = shuffled_report.timeseries["predictive"]
    assert "no holdout given" in other["test_set"]
    assert any("predictive score is tested on" in n for n in shuffled_report.timeseries["notes"])


def test_entity_and_order_are_not_scored_as_ordinary_columns(copy_report):
    doc = copy_report.to_dict()
    assert {c["name"] for c in doc["columns"]} == {"station", "t", "region", "x", "y", "state"}
    tabular = {c["column"] for c in doc["fidelity"]["columns"]}
    assert tabular == {"region", "x", "y", "state"}
    assert "station" not in doc["associations"]["columns"]
    assert copy_report.detection_auc < 0.75  # fresh station keys would give the rows away
    ts = doc["timeseries"]
    assert ts["mode"] == "panel" and ts["entity"] == "station" and ts["order"] == "t"
    assert ts["columns"] == ["x", "y", "state"] and ts["context"] == ["region"]
    assert ts["sequences"]["real"] == {"count": 40, "mean_length": 30.0, "min_length": 30,
                                       "max_length": 30}
    assert ts["context_shapes"]["synthetic"] == pytest.approx(1.0)  # regions alternate in both
    assert ts["windows"]["used"] == 12 and ts["windows"]["available"]["real"] == 40 * 19
    assert ts["autocorrelation"]["max_lag"] == 12
    plots = ts["plots"]
    assert plots["columns"] == ["x", "y"] and len(plots["real"]) == len(plots["synthetic"]) == 3
    assert all(len(p["values"]["x"]) == len(p["steps"]) == 30 for p in plots["real"])


def test_sequence_length_similarity_drops_when_lengths_differ(panel_real):
    rng = np.random.default_rng(6)
    short = make_panel(40, list(rng.integers(8, 16, 40)), seed=7, prefix="G")
    same = make_panel(40, 30, seed=8, prefix="G")
    kinds = prepare(panel_real, same).kinds

    def section(syn):
        t = prepare(panel_real, syn)
        return tsmod.timeseries_section(t.real, t.synthetic, None, kinds, "station", "t",
                                        ["region"], window=12, disc_iterations=5,
                                        pred_iterations=5, batch_size=16)

    a, b = section(same), section(short)
    assert a["sequence_length"]["synthetic"] == 1.0
    assert b["sequence_length"]["synthetic"] < 0.1
    assert b["sequence_length"]["synthetic_mean"] < 16 <= 30 == b["sequence_length"]["real_mean"]
    # Synthetic stations shorter than the window give fewer windows, never an error.
    assert b["windows"]["available"]["synthetic"] < a["windows"]["available"]["synthetic"]
    # Seeded: the same inputs give the same section.
    again = section(same)
    for doc in (a, again):
        doc.pop("timings")
    assert a == again


def test_single_series_with_a_series_column(single_report):
    doc = single_report.to_dict()
    assert [c["name"] for c in doc["columns"]] == ["x", "load", "mode"]  # `series` left out
    assert doc["inputs"]["synthetic"] == {"rows": 600, "columns": 3}
    ts = doc["timeseries"]
    assert ts["mode"] == "single" and ts["synthetic_key"] == "series" and ts["order"] is None
    assert ts["sequences"]["real"]["count"] == 1 and ts["sequences"]["synthetic"]["count"] == 3
    assert ts["sequence_length"] is None and "ts_sequence_length" not in doc["scores"]
    assert ts["lag1_coherence"]["synthetic"] > 0.85
    assert ts["autocorrelation"]["synthetic"] > 0.9
    assert ts["predictive"]["target"] == "load"
    labels = [p["label"] for p in ts["plots"]["synthetic"]]
    assert len({label.split(",")[0] for label in labels}) == 3  # three different series
    assert single_report.sequence_length_similarity is None


def test_sequences_are_sorted_and_cut_into_windows():
    df = pd.DataFrame({"e": ["b", "a", "b", "a", "a", "b", "c"], "o": [2, 3, 1, 1, 2, 3, 1],
                       "v": [12.0, 23.0, 11.0, 21.0, 22.0, 13.0, 31.0],
                       "c": ["u", "w", None, "u", "u", "w", "u"]})
    seqs = split_sequences(df, "e", "o")
    assert seqs.keys == ["b", "a", "c"] and list(seqs.lengths) == [3, 3, 1]
    assert list(seqs.frame["v"]) == [11.0, 12.0, 13.0, 21.0, 22.0, 23.0, 31.0]
    assert list(seqs.position) == [0, 1, 2, 0, 1, 2, 0]
    kinds = {"v": "numeric", "c": "categorical"}
    space = FeatureSpace(["c", "v"], kinds, target="v").fit(seqs.frame)
    assert space.names == ["c=u", "c=w", "c missing", "v"]  # the target last
    m = space.transform(seqs.frame)
    assert m[:, -1].min() == 0.0 and m[:, -1].max() == 1.0
    assert list(m[0]) == [0.0, 0.0, 1.0, 0.0]  # b at step 1: c missing, v = minimum
    starts, total = sample_windows(seqs, 2, stride=1, max_windows=3, seed=0)
    assert total == 4 and len(starts) == 3
    w = cut(m, np.sort(starts), 2)
    assert w.shape == (3, 2, 4)
    # No window crosses from one sequence into the next.
    first = seqs.sequence_id[np.sort(starts)]
    assert (first == seqs.sequence_id[np.sort(starts) + 1]).all()


def test_json_follows_schema(copy_report, shuffled_report, single_report, panel_real):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    plain = evaluate(panel_real.drop(columns=["station", "t"]).head(120),
                     panel_real.drop(columns=["station", "t"]).tail(120))
    assert plain.to_dict()["timeseries"] is None and plain.timeseries is None
    assert "ts_discriminative" not in plain.scores
    assert plain.failures({"ts_lag1_coherence": 0.5}) == [
        "ts_lag1_coherence was not measured (threshold 0.5)"]
    for report in (copy_report, shuffled_report, single_report, plain):
        doc = json.loads(report.to_json())
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_html_has_the_time_series_section(copy_report):
    page = copy_report.to_html()
    assert '<section id="timeseries" data-section="timeseries">' in page
    assert '<a href="#timeseries">Time series</a>' in page
    assert page.index('id="privacy"') < page.index('id="timeseries"') < page.index('id="data"')
    for label in ("sequences of x: real", "sequences of x: synthetic", "sequences of y: real",
                  "autocorrelation of x"):
        assert f'aria-label="{label}"' in page
    section = page[page.index('id="timeseries"'):page.index('id="data"')]
    assert 'stroke="#2f6db5"' in section and 'stroke="#e8772e"' in section  # blue and orange
    assert "Discriminative score" in section and "Lag-1 coherence" in section
    assert "<script" not in page.lower()


def test_bad_time_series_options_fail_before_work(panel_real, panel_synthetic):
    with pytest.raises(UsageError, match="--entity 'site'"):
        evaluate(panel_real, panel_synthetic, entity="site")
    with pytest.raises(UsageError, match="--target 'station'"):
        evaluate(panel_real, panel_synthetic, entity="station", target="station")
    with pytest.raises(UsageError, match="ts_options has unknown key"):
        evaluate(panel_real, panel_synthetic, entity="station", ts_options={"epochs": 3})


def test_cli_reads_entity_and_order_from_the_schema_file(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from synthgen.schema import infer_schema

    from .test_cli import app

    monkeypatch.setattr(tsmod, "DISC_ITERATIONS", 20)
    monkeypatch.setattr(tsmod, "PRED_ITERATIONS", 10)
    real, syn = make_panel(12, 20, seed=9, prefix="S"), make_panel(12, 20, seed=10, prefix="G")
    real.to_csv(tmp_path / "real.csv", index=False)
    syn.to_csv(tmp_path / "syn.csv", index=False)
    (tmp_path / "schema.json").write_text(infer_schema(real, "station", "t").to_json())
    result = CliRunner().invoke(app, [
        "report", str(tmp_path / "real.csv"), str(tmp_path / "syn.csv"), "--schema",
        str(tmp_path / "schema.json"), "--window", "8", "-o", str(tmp_path / "r.html"),
        "--json", str(tmp_path / "r.json"), "--fail-under", "ts_lag1_coherence=0.5"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "r.json").read_text())
    ts = doc["timeseries"]
    assert ts["entity"] == "station" and ts["order"] == "t" and ts["windows"]["used"] == 8
    assert ts["discriminative"]["iterations"] == 20
    assert "Lag-1 coherence" in result.output and "Predictive score" in result.output
