"""`synthgen report` through Typer: files, terminal summary, --fail-under gates, bad input
(one-line errors and no partial report files)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from synthgen.errors import DataError, SynthgenError, UsageError
from synthgen.report import evaluate
from synthgen.report.cli import parse_thresholds, report_command

from .conftest import make_table, shuffle_columns

app = typer.Typer()
app.command("report")(report_command)


@app.command("other")
def _other() -> None:  # a second command keeps "report" as a named subcommand
    pass


def run(args: list[str]):
    """Invoke like synthgen's main(): a SynthgenError becomes exit code 2 and one line."""
    result = CliRunner().invoke(app, ["report", *map(str, args)])
    if isinstance(result.exception, SynthgenError):
        return 2, str(result.exception), result
    return result.exit_code, result.output, result


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tables")
    real, holdout = make_table(300, seed=1), make_table(150, seed=2)
    paths = {"real": d / "real.csv", "syn": d / "syn.csv", "hold": d / "hold.parquet"}
    real.to_csv(paths["real"], index=False)
    shuffle_columns(real, seed=3).to_csv(paths["syn"], index=False)
    holdout.to_parquet(paths["hold"], index=False)
    return paths


@pytest.fixture(scope="module")
def good_run(files, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    html, js = out / "r.html", out / "r.json"
    code, output, _ = run([files["real"], files["syn"], "--holdout", files["hold"],
                           "--target", "label", "-o", html, "--json", js])
    return code, output, html, js


def test_report_writes_html_json_and_summary(good_run):
    code, output, html, js = good_run
    assert code == 0, output
    doc = json.loads(js.read_text())
    assert doc["inputs"] == {"real": {"rows": 300, "columns": 9}, "synthetic": {"rows": 300, "columns": 9},
                             "holdout": {"rows": 150, "columns": 9}, "target": "label",
                             "task": "classification"}
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text
    for label in ("Overall quality", "GBT detection", "DCR privacy", "Verdict"):
        assert label in output  # the rich table and verdict on the terminal


def test_fail_under_exits_1_exactly_when_a_threshold_is_missed(good_run, files, tmp_path):
    quality = json.loads(good_run[3].read_text())["scores"]["quality"]["synthetic"]
    base = [files["real"], files["syn"], "--holdout", files["hold"], "-o", tmp_path / "a.html"]
    code, output, _ = run([*base, "--fail-under", f"quality={quality - 1e-4:.6f}",
                           "--fail-under", "data_validity=90%"])
    assert code == 0, output
    code, output, _ = run([*base, "--fail-under", f"quality={quality + 1e-4:.6f}"])
    assert code == 1 and "quality" in output
    assert (tmp_path / "a.html").exists()  # the report is still written for inspection


def test_failures_compare_each_score_with_its_threshold(real):
    report = evaluate(real, real.copy())
    assert report.failures({"quality": 0.99, "exact_copy": 0.0}) == []
    missed = report.failures({"quality": 0.99, "exact_copy": 0.5, "dcr": 0.1})
    assert len(missed) == 2  # exact copies fail; dcr fails because it was not measured
    assert missed[0].startswith("exact_copy") and "not measured" in missed[1]


@pytest.mark.parametrize("item, message", [
    ("quality", "METRIC=VALUE"), ("qualty=0.8", "unknown score"), ("quality=high", "not a number"),
    ("quality=80", "from 0 to 1")])
def test_bad_thresholds(item, message):
    with pytest.raises(UsageError, match=message):
        parse_thresholds([item])
    assert parse_thresholds(["dcr=90%", "quality=0.5"]) == {"dcr": 0.9, "quality": 0.5}


def test_threshold_that_needs_a_missing_input_fails_before_work(files, tmp_path):
    code, message, _ = run([files["real"], files["syn"], "-o", tmp_path / "r.html",
                            "--fail-under", "dcr=0.5"])
    assert code == 2 and "--holdout" in message
    assert not (tmp_path / "r.html").exists()


def _write(tmp_path, name, df):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("case, error, needle", [
    ("other columns", DataError, "'k'"),
    ("other dtype", DataError, "column 'x'"),
    ("empty", DataError, "no rows"),
    ("missing target", UsageError, "--target 'income'"),
    ("holdout columns", DataError, "holdout"),
])
def test_bad_input_one_line_error_and_no_files(tmp_path, case, error, needle):
    real = make_table(60, seed=1)
    syn, hold, extra = real.copy(), None, []
    if case == "other columns":
        syn = syn.drop(columns=["k"])
    elif case == "other dtype":
        syn["x"] = "text"
    elif case == "empty":
        syn = syn.iloc[:0]
    elif case == "missing target":
        extra = ["--target", "income"]
    elif case == "holdout columns":
        hold = real.rename(columns={"grp": "group"})
    args = [_write(tmp_path, "real.csv", real), _write(tmp_path, "syn.csv", syn),
            "-o", tmp_path / "r.html", "--json", tmp_path / "r.json", *extra]
    if hold is not None:
        args += ["--holdout", _write(tmp_path, "hold.csv", hold)]
    code, message, result = run(args)
    assert code == 2 and isinstance(result.exception, error)
    assert needle in message and "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["real.csv", "syn.csv"] + (["hold.csv"] if hold is not None else []))


def test_model_option_samples_from_the_model(files, tmp_path, monkeypatch):
    import synthgen

    calls = []

    class FakeModel:
        def sample(self, n, seed=0):
            calls.append((n, seed))
            return shuffle_columns(pd.read_csv(files["real"]), seed=seed)

    monkeypatch.setattr(synthgen, "load", lambda path: FakeModel(), raising=False)
    code, output, _ = run([files["real"], "--model", tmp_path / "m.safetensors",
                           "-o", tmp_path / "r.html"])
    assert code == 0, output
    assert calls == [(300, 0)]
    code, message, _ = run([files["real"], files["syn"], "--model", "m", "-o", tmp_path / "r.html"])
    assert code == 2 and "exactly one" in message
