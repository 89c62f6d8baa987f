"""Column kinds: inference from a DataFrame, a versioned JSON file format, and validation
that reports every problem at once."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SchemaError

SCHEMA_FORMAT = "synthgen.schema"
SCHEMA_VERSION = 1
KINDS = ("categorical", "numeric", "integer", "boolean", "datetime", "id")

# Object columns whose values are all distinct are keys, not categories, once the table has
# enough rows for that to be telling.
_ID_MIN_ROWS = 20
_BOOL_STRINGS = {"true", "false"}


@dataclass
class ColumnSpec:
    name: str
    kind: str
    nullable: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Schema:
    columns: list[ColumnSpec]
    entity: str | None = None  # sequence key (time series), optional
    order: str | None = None  # sequence index (time series), optional
    context: list[str] = field(default_factory=list)  # columns constant within an entity

    # ----- access -------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    # ----- JSON ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {
            "format": SCHEMA_FORMAT,
            "version": SCHEMA_VERSION,
            "columns": [c.to_dict() for c in self.columns],
        }
        if self.entity is not None:
            out["entity"] = self.entity
        if self.order is not None:
            out["order"] = self.order
        if self.context:
            out["context"] = list(self.context)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: object, source: str = "schema") -> Schema:
        problems = validate_schema_dict(data)
        if problems:
            raise SchemaError([f"{source}: {p}" for p in problems])
        assert isinstance(data, dict)
        cols = [ColumnSpec(c["name"], c["kind"], bool(c.get("nullable", False))) for c in data["columns"]]
        return cls(cols, data.get("entity"), data.get("order"), list(data.get("context", [])))

    @classmethod
    def load(cls, path: str | Path) -> Schema:
        path = Path(path)
        if not path.is_file():
            raise SchemaError(f"schema file '{path}' does not exist; create one with `synthgen schema infer DATA -o {path}`")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SchemaError(f"schema file '{path}' is not valid JSON ({exc}); fix it or infer a new one") from None
        return cls.from_dict(data, source=str(path))

    # ----- checks against a table ---------------------------------------------------
    def check_against(self, df: pd.DataFrame, source: str = "the data") -> None:
        """Every schema column must exist in the data and every data column in the schema."""
        problems = []
        cols = set(df.columns)
        for c in self.columns:
            if c.name not in cols:
                problems.append(f"schema column '{c.name}' is not in {source}; remove it from the schema or fix its name")
        known = set(self.names)
        for name in df.columns:
            if name not in known:
                problems.append(f"column '{name}' of {source} is not in the schema; add it (or drop the column)")
        if problems:
            raise SchemaError(problems)

    def to_sdmetrics_metadata(self) -> dict:
        sdtype = {"categorical": "categorical", "boolean": "boolean", "numeric": "numerical",
                  "integer": "numerical", "datetime": "datetime", "id": "id"}
        cols = {c.name: {"sdtype": sdtype[c.kind]} for c in self.columns}
        meta: dict = {"columns": cols}
        if self.entity:
            meta["sequence_key"] = self.entity
        if self.order:
            meta["sequence_index"] = self.order
        return meta


def validate_schema_dict(data: object) -> list[str]:
    """All problems with a schema document, as readable sentences (empty list = valid)."""
    if not isinstance(data, dict):
        return ["the schema must be a JSON object"]
    problems = []
    if data.get("format") != SCHEMA_FORMAT:
        problems.append(f"'format' must be \"{SCHEMA_FORMAT}\"")
    version = data.get("version")
    if version != SCHEMA_VERSION:
        problems.append(f"'version' is {version!r}; this synthgen reads version {SCHEMA_VERSION}")
    unknown = set(data) - {"format", "version", "columns", "entity", "order", "context"}
    for key in sorted(unknown):
        problems.append(f"unknown key '{key}'")
    cols = data.get("columns")
    names: list[str] = []
    if not isinstance(cols, list) or not cols:
        problems.append("'columns' must be a non-empty list")
        cols = []
    for i, col in enumerate(cols):
        where = f"columns[{i}]"
        if not isinstance(col, dict):
            problems.append(f"{where} must be an object with 'name' and 'kind'")
            continue
        name = col.get("name")
        if not isinstance(name, str) or not name:
            problems.append(f"{where} needs a non-empty string 'name'")
        else:
            where = f"column '{name}'"
            if name in names:
                problems.append(f"{where} is listed twice")
            names.append(name)
        kind = col.get("kind")
        if kind not in KINDS:
            problems.append(f"{where} has kind {kind!r}; use one of {', '.join(KINDS)}")
        if "nullable" in col and not isinstance(col["nullable"], bool):
            problems.append(f"{where}: 'nullable' must be true or false")
        for key in sorted(set(col) - {"name", "kind", "nullable"}):
            problems.append(f"{where}: unknown key '{key}'")
    for key in ("entity", "order"):
        val = data.get(key)
        if val is not None and val not in names:
            problems.append(f"'{key}' names column {val!r}, which is not in 'columns'")
    context = data.get("context", [])
    if not isinstance(context, list):
        problems.append("'context' must be a list of column names")
    else:
        for val in context:
            if val not in names:
                problems.append(f"'context' names column {val!r}, which is not in 'columns'")
    return problems


# ----- inference -------------------------------------------------------------------------
def infer_kind(s: pd.Series) -> str:
    non_null = s.dropna()
    if pd.api.types.is_bool_dtype(s.dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if pd.api.types.is_numeric_dtype(s.dtype):
        vals = non_null.to_numpy(dtype=float)
        if len(vals) and np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)):
            return "integer"
        return "numeric"
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "categorical"
    # object / string columns
    strings = non_null.astype(str)
    if len(strings) and set(strings.str.lower().unique()) <= _BOOL_STRINGS:
        return "boolean"
    if len(strings) and pd.to_numeric(strings.head(5000), errors="coerce").notna().mean() >= 0.5:
        return "categorical"  # mostly numbers with some text: fit() reports it as mixed
    if len(strings) and _parses_as_datetime(strings):
        return "datetime"
    if len(strings) >= _ID_MIN_ROWS and strings.is_unique and _looks_like_key(strings):
        return "id"
    return "categorical"


def _looks_like_key(strings: pd.Series) -> bool:
    # Free text is unique too, but keys are short tokens without spaces.
    sample = strings.head(200)
    return bool((sample.str.len() <= 64).all() and not sample.str.contains(" ").any())


def _parses_as_datetime(strings: pd.Series) -> bool:
    from .encoders.datetime import guess_format

    sample = strings.head(200)
    if not sample.str.contains(r"\d", regex=True).all():
        return False
    return guess_format(sample) is not None


def infer_schema(df: pd.DataFrame, entity: str | None = None, order: str | None = None) -> Schema:
    cols = []
    for name in df.columns:
        kind = infer_kind(df[name])
        if name in (entity, order) and kind == "id":
            kind = "categorical" if name == entity else kind
        cols.append(ColumnSpec(str(name), kind, bool(df[name].isna().any())))
    return Schema(cols, entity=entity, order=order)
