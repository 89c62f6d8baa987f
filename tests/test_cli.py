"""The CLI through Typer's CliRunner: the happy path and every bad input from the issue."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from synthgen.cli import app

from .conftest import planted_table

runner = CliRunner()


def run(*args, cwd=None):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    planted_table(400).to_csv(d / "data.csv", index=False)
    return d


@pytest.fixture(scope="module")
def model(workdir):
    out = workdir / "model.safetensors"
    res = run("fit", workdir / "data.csv", "-o", out, "--epochs", 2, "--seed", 3)
    assert res.exit_code == 0, res.output
    assert out.exists()
    return out


def test_fit_then_sample_with_default_paths(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    res = run("fit", "data.csv", "--epochs", 1)
    assert res.exit_code == 0, res.output
    assert "synthgen_model.safetensors" in res.output
    res = run("sample", "-n", 120)
    assert res.exit_code == 0, res.output
    assert "synthetic.csv" in res.output
    out = pd.read_csv(workdir / "synthetic.csv")
    real = pd.read_csv(workdir / "data.csv")
    assert len(out) == 120 and list(out.columns) == list(real.columns)
    assert dict(out.dtypes) == dict(real.dtypes)


def test_sample_is_byte_identical_for_a_seed(model, workdir):
    a, b = workdir / "a.csv", workdir / "b.csv"
    assert run("sample", "-m", model, "-n", 300, "-o", a, "--seed", 9).exit_code == 0
    assert run("sample", "-m", model, "-n", 300, "-o", b, "--seed", 9).exit_code == 0
    assert a.read_bytes() == b.read_bytes()


def test_sample_to_stdout_and_parquet(model, workdir):
    res = run("sample", "-m", model, "-n", 5, "-o", "-")
    assert res.exit_code == 0
    lines = res.stdout.strip().splitlines()
    assert lines[0] == "x,y,group,z,w,color,count" and len(lines) == 6
    pq = workdir / "out.parquet"
    assert run("sample", "-m", model, "-n", 40, "-o", pq).exit_code == 0
    assert len(pd.read_parquet(pq)) == 40


def test_integer_column_with_gaps_is_written_without_decimals(workdir):
    df = pd.DataFrame({"age": [20, 30, None, 40, 50] * 6, "c": list("abcde") * 6})
    df.to_csv(workdir / "gaps.csv", index=False)
    m = workdir / "gaps.safetensors"
    assert run("fit", workdir / "gaps.csv", "-o", m, "--epochs", 1).exit_code == 0
    res = run("sample", "-m", m, "-n", 50, "-o", "-")
    ages = [line.split(",")[0] for line in res.stdout.strip().splitlines()[1:]]
    assert all("." not in a for a in ages)


def test_schema_infer_and_use(workdir):
    s = workdir / "schema.json"
    assert run("schema", "infer", workdir / "data.csv", "-o", s).exit_code == 0
    doc = json.loads(s.read_text())
    assert doc["version"] == 1
    for col in doc["columns"]:
        if col["name"] == "count":
            col["kind"] = "categorical"
    s.write_text(json.dumps(doc))
    m = workdir / "m2.safetensors"
    res = run("fit", workdir / "data.csv", "--schema", s, "-o", m, "--epochs", 1)
    assert res.exit_code == 0, res.output
    assert run("schema", "check", s, workdir / "data.csv").exit_code == 0


# ---- bad input: one line naming the culprit, exit code 2, no traceback, nothing written ----
def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _table_with(col_values, n=30):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["x", "y"], n)})
    for k, v in col_values.items():
        df[k] = v
    return df


BAD_FILES = {
    "empty": ("", "empty"),
    "header_only": ("a,b\n", "no data rows"),
    "single_row": ("a,b\n1,x\n", "only 1 data row"),
    "duplicate_names": ("a,a,b\n" + "1,2,x\n" * 20, "duplicate column names"),
    "all_missing": (_table_with({"gone": [None] * 30}).to_csv(index=False), "'gone'"),
    "constant": (_table_with({"k": ["same"] * 30}).to_csv(index=False), "'k' is constant"),
    "mixed": (_table_with({"m": [str(i) for i in range(29)] + ["oops"]}).to_csv(index=False), "'m' mixes numbers and text"),
    "inf": (_table_with({"f": [1.5] * 29 + [float("inf")]}).to_csv(index=False), "'f' has an infinite value"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_data_files(case, tmp_path):
    text, expected = BAD_FILES[case]
    data = _write(tmp_path / f"{case}.csv", text)
    out = tmp_path / "model.safetensors"
    res = run("fit", data, "-o", out, "--epochs", 1)
    _assert_clean_error(res, expected)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{case}.csv"]


def test_not_utf8(tmp_path):
    data = _write(tmp_path / "latin.csv", "name,v\n" + "Zürich,1\nGenève,2\n" * 10, encoding="latin-1")
    _assert_clean_error(run("fit", data), "not UTF-8")


def test_missing_data_file(tmp_path):
    _assert_clean_error(run("fit", tmp_path / "nope.csv"), "nope.csv")


def test_schema_naming_a_missing_column(tmp_path):
    data = tmp_path / "d.csv"
    _table_with({}).to_csv(data, index=False)
    schema = {"format": "synthgen.schema", "version": 1, "columns": [
        {"name": "a", "kind": "numeric"}, {"name": "b", "kind": "categorical"}, {"name": "ghost", "kind": "integer"}]}
    s = _write(tmp_path / "s.json", json.dumps(schema))
    _assert_clean_error(run("fit", data, "--schema", s, "-o", tmp_path / "m.safetensors"), "'ghost'")
    assert not (tmp_path / "m.safetensors").exists()


@pytest.mark.parametrize("n", ["0", "-3"])
def test_bad_n(model, n):
    _assert_clean_error(run("sample", "-m", model, "-n", n), "-n")


def test_model_path_missing_or_not_a_model(tmp_path):
    _assert_clean_error(run("sample", "-m", tmp_path / "none.safetensors", "-n", 5), "does not exist")
    junk = _write(tmp_path / "junk.safetensors", "this is not a model")
    _assert_clean_error(run("sample", "-m", junk, "-n", 5), "not a synthgen model")
    csv = _write(tmp_path / "data.csv", "a,b\n1,2\n")
    _assert_clean_error(run("sample", "-m", csv, "-n", 5), "not a synthgen model")


def test_bad_output_extension(model, tmp_path):
    _assert_clean_error(run("sample", "-m", model, "-n", 5, "-o", tmp_path / "out.xlsx"), ".xlsx")
    assert not list(tmp_path.iterdir())


def _assert_clean_error(res, expected):
    assert res.exit_code == 2, res.output
    text = res.output.strip()
    assert "Traceback" not in text
    err_lines = [line for line in text.splitlines() if line.startswith("error:")]
    assert len(err_lines) == 1, text
    assert expected in err_lines[0], text


def test_console_script_exits_with_its_code_and_complete_output(model, workdir):
    """main() ends the process with os._exit: the exit code and everything written must survive."""
    import subprocess
    import sys

    def console(*args):
        code = f"import sys; sys.argv = ['synthgen', *{[str(a) for a in args]!r}]; from synthgen.cli import main; main()"
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)

    done = console("sample", "-m", model, "-n", 2500, "-o", "-", "--seed", 4)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 2501  # header + every row, flushed before the exit
    bad = console("sample", "-m", workdir / "missing.safetensors", "-n", 5)
    assert bad.returncode == 2 and "missing.safetensors" in bad.stderr
