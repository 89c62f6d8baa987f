"""Reading and writing tables and model files.

Model files are safetensors: the tensors, plus a JSON document (schema, encoder stats,
config, versions, loss history) stored in the file's string metadata. Loading parses JSON
and raw tensor bytes only, so a model file can never run code (no pickle anywhere).
Every file is written to a temporary name beside its target and renamed into place, so a
crash or a kill never leaves a half-written file under the final name.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .errors import DataError, ModelFileError, UsageError

MODEL_FORMAT = "synthgen.model"
MODEL_FORMAT_VERSION = 1
_META_KEY = "synthgen"


# ---- atomic writes --------------------------------------------------------------------
@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise UsageError(f"folder '{path.parent}' does not exist; create it or choose another output path")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


# ---- tables -----------------------------------------------------------------------------
def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file with one-line errors for the usual problems."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"file '{path}' does not exist; check the path")
    if path.is_dir():
        raise DataError(f"'{path}' is a folder, not a data file; give a .csv or .parquet file")
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types
            raise DataError(f"file '{path}' could not be read as Parquet ({_first_line(exc)}); check that it is a Parquet file") from None
    if path.stat().st_size == 0:
        raise DataError(f"file '{path}' is empty; give a CSV with a header row and data rows")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"file '{path}' is not UTF-8 text (bad byte at position {exc.start}); re-save it as UTF-8 CSV") from None
    header = next(csv.reader(io.StringIO(text)), [])
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise DataError(f"file '{path}' has duplicate column names {', '.join(map(repr, dup))}; rename them so every column is unique")
    try:
        return pd.read_csv(io.StringIO(text), low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"file '{path}' has no header or data; give a CSV with a header row and data rows") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"file '{path}' is not a well-formed CSV ({_first_line(exc)}); fix the rows it names") from None


def write_table(df: pd.DataFrame, path: str | Path, integer_columns: Sequence[str] = ()) -> None:
    write_table_batches([df], path, integer_columns)


def write_table_batches(batches: Iterable[pd.DataFrame], path: str | Path,
                        integer_columns: Sequence[str] = ()) -> None:
    """Stream frames to CSV or Parquet (by extension); '-' writes CSV to stdout.

    Whole-number columns that pandas holds as floats (because of missing values) are written
    as integers, so a CSV keeps '39' rather than '39.0'. Memory is bounded by one batch."""
    target = str(path)
    suffix = Path(target).suffix.lower()
    if target != "-" and suffix not in (".parquet", ".pq", ".csv", ".txt", ""):
        raise UsageError(f"output '{path}' has extension '{suffix}'; use .csv or .parquet (or '-' for CSV on stdout)")

    def fixed(df: pd.DataFrame) -> pd.DataFrame:
        for name in integer_columns:
            if pd.api.types.is_float_dtype(df[name].dtype):
                df[name] = df[name].astype("Int64")
        return df

    if target == "-":
        for i, df in enumerate(batches):
            fixed(df).to_csv(sys.stdout, index=False, header=i == 0)
        return
    with atomic_path(target) as tmp:
        if suffix in (".parquet", ".pq"):
            _write_parquet((fixed(df) for df in batches), tmp)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                for i, df in enumerate(batches):
                    fixed(df).to_csv(fh, index=False, header=i == 0)


def _write_parquet(batches: Iterable[pd.DataFrame], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    schema = None
    try:
        for df in batches:
            if schema is None:
                schema = pa.Schema.from_pandas(df, preserve_index=False)
                # a column that happens to be all-missing in the first batch must still hold text later
                schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in schema],
                                   metadata=schema.metadata)
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(pa.Table.from_pandas(df, schema=schema, preserve_index=False))
    finally:
        if writer is not None:
            writer.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# ---- model files ------------------------------------------------------------------------
def save_model_file(path: str | Path, tensors: dict, meta: dict) -> None:
    from safetensors.torch import save_file

    doc = dict(meta, format=MODEL_FORMAT, format_version=MODEL_FORMAT_VERSION)
    contiguous = {k: v.contiguous() for k, v in tensors.items()}
    with atomic_path(path) as tmp:
        save_file(contiguous, str(tmp), metadata={_META_KEY: json.dumps(doc)})


def load_model_file(path: str | Path) -> tuple[dict, dict]:
    """Tensors and the JSON document of a model file, or a ModelFileError saying why not."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file '{path}' does not exist; train one with `synthgen fit DATA -o {path}`")
    if path.is_dir():
        raise ModelFileError(f"'{path}' is a folder, not a model file")
    hint = "it is not a synthgen model file, or it is corrupted; train a new one with `synthgen fit`"
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError, UnicodeDecodeError):
        raise ModelFileError(f"'{path}': {hint}") from None
    try:
        doc = json.loads(metadata[_META_KEY])
    except (KeyError, json.JSONDecodeError, TypeError):
        raise ModelFileError(f"'{path}': {hint}") from None
    if not isinstance(doc, dict) or doc.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"'{path}': {hint}")
    version = doc.get("format_version")
    if version != MODEL_FORMAT_VERSION:
        raise ModelFileError(f"model file '{path}' has format version {version!r}, but this synthgen reads version {MODEL_FORMAT_VERSION}; refit the model with this version")
    return tensors, doc
