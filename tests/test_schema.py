import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthgen.errors import SchemaError
from synthgen.schema import KINDS, Schema, infer_schema, validate_schema_dict

ROOT = Path(__file__).resolve().parents[1]


def test_infers_every_kind():
    n = 50
    df = pd.DataFrame({
        "key": [f"k{i}" for i in range(n)],
        "cat": ["a", "b"] * (n // 2),
        "num": np.linspace(0, 1, n),
        "int": np.arange(n),
        "flag": [True, False] * (n // 2),
        "when": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
        "gappy": [1.0, None] * (n // 2),
    })
    kinds = {c.name: c.kind for c in infer_schema(df).columns}
    assert kinds == {"key": "id", "cat": "categorical", "num": "numeric", "int": "integer",
                     "flag": "boolean", "when": "datetime", "gappy": "integer"}
    assert infer_schema(df)["gappy"].nullable


def test_json_round_trip(tmp_path):
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
    s = infer_schema(df)
    path = tmp_path / "s.json"
    path.write_text(s.to_json())
    assert Schema.load(path).to_dict() == s.to_dict()


def test_validation_lists_every_problem_at_once():
    bad = {"format": "synthgen.schema", "version": 1, "columns": [
        {"name": "a", "kind": "float"}, {"name": "a", "kind": "numeric"}, {"kind": "integer"},
        {"name": "b", "kind": "integer", "nullable": "yes"}], "order": "zz"}
    problems = validate_schema_dict(bad)
    text = " | ".join(problems)
    assert "'float'" in text and "listed twice" in text and "name" in text
    assert "nullable" in text and "'zz'" in text
    assert len(problems) >= 5
    with pytest.raises(SchemaError) as exc:
        Schema.from_dict(bad)
    assert len(exc.value.problems) == len(problems)


def test_check_against_data_names_missing_columns():
    s = Schema.from_dict({"format": "synthgen.schema", "version": 1,
                          "columns": [{"name": "a", "kind": "integer"}, {"name": "ghost", "kind": "numeric"}]})
    with pytest.raises(SchemaError, match="ghost"):
        s.check_against(pd.DataFrame({"a": [1]}))


def test_json_schema_file_matches_the_code():
    doc = json.loads((ROOT / "schemas" / "schema.schema.json").read_text())
    kinds = doc["properties"]["columns"]["items"]["properties"]["kind"]["enum"]
    assert tuple(kinds) == KINDS
    example = json.loads((ROOT / "schemas" / "customers.json").read_text())
    assert validate_schema_dict(example) == []


def test_shipped_example_schema_matches_shipped_data():
    df = pd.read_csv(ROOT / "examples" / "customers.csv")
    assert infer_schema(df).to_dict() == Schema.load(ROOT / "schemas" / "customers.json").to_dict()
