"""Scores move the right way: a copy is perfect fidelity and worst privacy, a column-shuffled
copy keeps shapes but loses trends, noise scores badly; and the JSON follows its schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synthgen.report import evaluate

from .conftest import noise_like, shuffle_columns

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "report.schema.json"


@pytest.fixture(scope="module")
def copy_report(real, holdout):
    return evaluate(real, real.copy(), holdout=holdout, target="label")


@pytest.fixture(scope="module")
def shuffled_report(real, holdout):
    return evaluate(real, shuffle_columns(real, seed=3), holdout=holdout)


@pytest.fixture(scope="module")
def noise_report(real, holdout):
    return evaluate(real, noise_like(real, seed=4), holdout=holdout, target="y")


def _pair(report, a, b):
    for p in report.to_dict()["fidelity"]["pairs"]:
        if {p["column_1"], p["column_2"]} == {a, b}:
            return p
    raise AssertionError(f"pair {a}/{b} missing")


def test_identical_copy_is_perfect_fidelity_and_worst_privacy(copy_report):
    r = copy_report
    assert r.column_shapes == pytest.approx(1.0)
    assert r.column_pair_trends == pytest.approx(1.0)
    assert r.quality == pytest.approx(1.0)
    assert r.shape_error == pytest.approx(0.0, abs=1e-9)
    assert r.trend_error == pytest.approx(0.0, abs=1e-9)
    assert r.detection_auc <= 0.6  # a detector cannot tell a row from itself
    assert r.ml_efficacy == pytest.approx(1.0)
    # Worst privacy: every row copied, every row nearest to its training twin.
    assert r.exact_copy_rate == 1.0
    assert r.dcr_share > 0.99
    assert r.nndr == pytest.approx(0.0, abs=1e-6)
    assert r.scores["dcr"] == pytest.approx(0.0, abs=0.02)
    doc = r.to_dict()
    assert doc["verdict"]["fidelity"] == "good" and doc["verdict"]["privacy"] == "poor"
    # The holdout (a fresh real sample) is the ceiling: it copies nothing, DCR share near 50%.
    assert doc["privacy"]["exact_copy_rate"]["holdout"] == 0.0
    assert 0.35 < doc["privacy"]["dcr_share"]["holdout"]["share"] < 0.65


def test_shuffled_columns_keep_shapes_but_lose_trends(shuffled_report, copy_report):
    r = shuffled_report
    assert r.column_shapes == pytest.approx(1.0)  # same values per column
    assert r.column_pair_trends < copy_report.column_pair_trends - 0.05
    assert r.column_pair_trends < 0.93
    # The planted x -> y relation is gone in the shuffled table but kept by the holdout.
    xy = _pair(r, "x", "y")
    assert xy["synthetic"] < 0.7 and xy["holdout"] > 0.95
    # Worst pairs come first.
    scores = [p["synthetic"] for p in r.to_dict()["fidelity"]["pairs"]]
    assert scores == sorted(scores)
    assert r.detection_auc > 0.75  # trees spot rows where y no longer follows x
    assert r.exact_copy_rate < 0.01


def test_noise_scores_badly(noise_report):
    r = noise_report
    assert r.quality < 0.6
    assert r.column_shapes < 0.6
    assert r.data_validity < 0.6  # values outside real ranges, unseen categories
    assert r.detection_auc > 0.95
    assert r.logistic_detection < 0.3
    assert r.ml_efficacy < 0.2  # regression on y: no skill left
    eff = r.to_dict()["efficacy"]
    assert eff["task"] == "regression" and eff["train_on_real"]["r2"] > 0.8
    assert r.to_dict()["verdict"]["level"] == "poor"


def test_missing_rates_and_distributions(shuffled_report, real):
    doc = shuffled_report.to_dict()
    grp = next(m for m in doc["missing"] if m["column"] == "grp")
    assert grp["real"] == pytest.approx(real["grp"].isna().mean())
    assert grp["synthetic"] == pytest.approx(grp["real"])  # shuffling keeps missing values
    dists = {d["column"]: d for d in doc["distributions"]}
    assert "id" not in dists  # keys are not plotted
    assert dists["x"]["type"] == "histogram" and len(dists["x"]["edges"]) == 21
    assert dists["grp"]["type"] == "bars" and dists["grp"]["missing"]["real"] > 0.05
    for d in dists.values():  # shares of all rows, missing included
        total = sum(d["real"]) + d["missing"]["real"]
        assert total == pytest.approx(1.0)
    m = np.array(doc["associations"]["real"])
    cols = doc["associations"]["columns"]
    assert m[cols.index("x"), cols.index("y")] > 0.9


def test_polars_input_and_same_seed_same_report(real):
    pl = pytest.importorskip("polars")
    syn = shuffle_columns(real, seed=5)
    a = evaluate(real, syn, target="label").to_dict()
    b = evaluate(pl.from_pandas(real), pl.from_pandas(syn), target="label").to_dict()
    for doc in (a, b):
        doc.pop("created"), doc.pop("timings")
    assert a == b
    assert a["inputs"]["holdout"] is None and a["privacy"]["dcr_share"] is None
    assert a["efficacy"]["test_set"].startswith("30%")


def test_row_caps_subsample_and_say_so(real, holdout):
    r = evaluate(real, real.copy(), holdout=holdout, max_rows={"detection": 200, "privacy": 150})
    doc = r.to_dict()
    assert doc["sampling"]["rows_used"]["detection"]["real"] == 200
    assert doc["sampling"]["rows_used"]["privacy"]["synthetic_queries"] == 150
    assert doc["sampling"]["subsampled"] and len(doc["sampling"]["notes"]) >= 2
    assert r.exact_copy_rate == 1.0  # exact copies always use every row


def test_json_follows_schema(copy_report, shuffled_report, noise_report, real):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    no_holdout = evaluate(real.head(100), real.tail(100))
    for report in (copy_report, shuffled_report, noise_report, no_holdout):
        doc = json.loads(report.to_json())
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
        assert doc["format_version"] == "1.0"
        assert "shape_error" in doc["fidelity"] and "trend_error" in doc["fidelity"]
