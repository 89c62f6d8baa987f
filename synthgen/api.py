"""The public Python API: Synthesizer(...).fit(df).sample(n), save and load."""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import __version__
from .data import (
    check_table,
    decode_table,
    encode_table,
    find_copies,
    fit_encoders,
    to_pandas,
    train_val_split,
    without_columns,
)
from .encoders import ColumnEncoder, IdEncoder, encoder_from_dict
from .errors import DataError, ModelFileError, NotFittedError, UsageError
from .io import load_model_file, save_model_file
from .memory import keep_freed_memory
from .model import ModelConfig, TabularTransformer
from .parallel import batch_seed, ordered_map, split_rows
from .sampler import generate_batch
from .schema import Schema, infer_schema
from .trainer import Progress, TrainConfig, train

log = logging.getLogger("synthgen")
SAMPLE_BATCH = 4096  # rows per generation batch: big enough for fast matmuls, small enough for the CPU caches
# A GPU runs a batch's thousands of small operations at launch cost: 16 times the rows per
# batch sampled 4 times as fast on an H200 (benchmarks/bench_cuda.py). Wide tables get fewer
# rows, so that a batch's attention caches stay near 1 GB, whatever the table.
GPU_SAMPLE_BATCH = 65536
GPU_SAMPLE_CELLS = 1_000_000  # rows x columns per GPU batch
# Transformer blocks in a table's trunk when n_layers is not given. On the tabular benchmark, 2
# against 3: the tree detector's AUC lower on all five tables, shape and trend error lower on two
# and higher on three, sampling about a quarter faster (benchmarks/README.md). Time series have
# their own default (series/backend.py).
TABLE_LAYERS = 2
# Time series: noise on the history's continuous values while training (standard-normal units),
# so that the model corrects small errors in a generated history instead of drifting with them.
# 0.05 against 0 on energy: 0.227 and 0.224 (two fits) against 0.225-0.254 for fits without it,
# within the fit-to-fit spread; the 128-step batches were measured with it (benchmarks/README.md).
HISTORY_NOISE = 0.05


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise UsageError(f"--device {device!r} is not known; use auto, cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for, but torch sees no CUDA GPU here; use --device cpu or auto")
    return torch.device(device)


class Synthesizer:
    """Learns a table and generates new rows with the same statistics.

    Parameters are only stored here (scikit-learn style); ``fit`` does the work.
    """

    def __init__(self, schema: Schema | dict | str | Path | None = None, *, epochs: int | None = None,
                 max_minutes: float | None = None, seed: int = 0, device: str = "auto",
                 d_model: int = 64, n_layers: int | None = None, n_heads: int = 4,
                 d_denoiser: int = 64, batch_size: int | None = None, val_fraction: float = 0.1,
                 sampling_steps: int = 16, entity: str | None = None, order: str | None = None,
                 sequential: bool = False, window: int = 32, history_noise: float = HISTORY_NOISE,
                 callback: Callable[[Progress], None] | None = None):
        self.schema = schema
        self.epochs = epochs
        self.max_minutes = max_minutes
        self.seed = seed
        self.device = device
        self.d_model = d_model
        self.n_layers = n_layers  # None: TABLE_LAYERS for a table, series_layers() for time series
        self.n_heads = n_heads
        self.d_denoiser = d_denoiser
        self.batch_size = batch_size
        self.val_fraction = val_fraction
        self.sampling_steps = sampling_steps
        self.entity = entity  # time series: the column naming each sequence
        self.order = order  # time series: the column ordering the steps (a time or a number)
        self.sequential = sequential  # one long series in row order (no entity, no order column)
        self.window = window  # time series: steps per training window (the history seen)
        self.history_noise = history_noise  # time series: noise on the history while training
        self.callback = callback

    # ---- fitting ------------------------------------------------------------------------
    def fit(self, df) -> Synthesizer:
        frame, self.frame_type_ = to_pandas(df)
        self.polars_dtypes_ = _polars_dtypes(df) if self.frame_type_ == "polars" else {}
        schema = self._resolve_schema(frame)
        check_table(frame, schema)
        self.schema_ = schema
        self.columns_ = list(frame.columns)
        self.n_rows_ = len(frame)
        self.copies_ = find_copies(frame, schema)
        for copy, original in self.copies_.items():
            log.info("column '%s' equals column '%s' in every row: it is written as a copy", copy, original)
        if self.copies_:
            frame = frame.drop(columns=list(self.copies_))
            schema = without_columns(schema, list(self.copies_))
        if schema.entity or schema.order or self.sequential:
            return self._fit_series(frame, schema)
        self.series_ = None
        self.encoders_ = fit_encoders(frame, schema, seed=self.seed)
        modelled = self._modelled()
        if not modelled:
            raise DataError("every column is an id column; there is nothing to learn (declare some columns with another kind)")
        codes, values = encode_table(frame, self.encoders_)
        train_idx, val_idx = train_val_split(len(frame), self.val_fraction, self.seed)
        cfg = ModelConfig(
            n_codes=[max(e.n_codes, 1) for e in modelled],
            cont_codes=[e.cont_code for e in modelled],
            d_model=self.d_model, n_layers=TABLE_LAYERS if self.n_layers is None else self.n_layers,
            n_heads=self.n_heads, d_denoiser=self.d_denoiser,
        )
        cfg.edm.steps = self.sampling_steps
        torch.manual_seed(self.seed)
        self.model_ = TabularTransformer(cfg)
        self.train_config_ = TrainConfig(epochs=self.epochs, max_minutes=self.max_minutes,
                                         batch_size=self.batch_size)
        device = resolve_device(self.device)
        as_t = lambda idx: (torch.from_numpy(codes[idx]), torch.from_numpy(values[idx]))  # noqa: E731
        result = train(self.model_, as_t(train_idx), as_t(val_idx), self.train_config_, seed=self.seed,
                       device=device, callback=self.callback)
        self.model_.load_state_dict(result.state_dict)
        self.model_.to("cpu").eval()
        self.history_ = result.history
        self.best_epoch_ = result.best_epoch
        self.stopped_by_ = result.stopped_by
        log.info("fitted %d rows in %d epochs (%s); best epoch %d", len(frame), len(self.history_),
                 self.stopped_by_, self.best_epoch_)
        return self

    def _fit_series(self, frame: pd.DataFrame, schema: Schema) -> Synthesizer:
        from .series.backend import SeriesBackend

        if not isinstance(self.window, (int, np.integer)) or self.window < 2:
            raise UsageError(f"window must be a whole number of steps, at least 2; got {self.window!r}")
        self.series_ = SeriesBackend.fit(frame, schema, self, self.callback, resolve_device(self.device))
        self.encoders_ = []  # the step table's encoders live in series_
        self.model_ = self.series_.model
        self.train_config_ = self.series_.train_config
        result = self.series_.result
        self.history_, self.best_epoch_, self.stopped_by_ = result.history, result.best_epoch, result.stopped_by
        return self

    @property
    def is_series(self) -> bool:
        return getattr(self, "series_", None) is not None

    def _resolve_schema(self, frame: pd.DataFrame) -> Schema:
        if self.schema is None:
            return self._with_roles(infer_schema(frame, entity=self.entity, order=self.order), frame)
        if isinstance(self.schema, Schema):
            schema = self.schema
        elif isinstance(self.schema, dict):
            schema = Schema.from_dict(self.schema)
        else:
            schema = Schema.load(self.schema)
        schema.check_against(frame)
        # keep the data's column order; the schema only says what each column is
        return self._with_roles(Schema([schema[c] for c in frame.columns], schema.entity, schema.order,
                                       schema.context), frame)

    def _with_roles(self, schema: Schema, frame: pd.DataFrame) -> Schema:
        """Entity and order given to the Synthesizer override the schema's."""
        for role in ("entity", "order"):
            col = getattr(self, role)
            if col is None:
                continue
            if col not in frame.columns:
                raise DataError(f"the {role} column '{col}' is not in the data; columns are {', '.join(map(str, frame.columns[:12]))}")
            setattr(schema, role, col)
            if role == "entity" and schema[col].kind == "id":
                schema[col].kind = "categorical"
        return schema

    def _modelled(self) -> list[ColumnEncoder]:
        return [e for e in self.encoders_ if not isinstance(e, IdEncoder)]

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError("this Synthesizer is not fitted yet; call fit(df) or synthgen.load(path) first")

    # ---- sampling -----------------------------------------------------------------------
    def sample_batches(self, n: int | None = None, seed: int | None = None, batch_size: int | None = None,
                       device: str = "cpu", length: int | None = None,
                       on_step: Callable[[int], None] | None = None) -> Iterator[pd.DataFrame]:
        """Yield pandas frames of at most ``batch_size`` rows (default: SAMPLE_BATCH on the CPU,
        up to GPU_SAMPLE_BATCH on a GPU), ``n`` rows in all.
        Memory stays bounded by a few batches (one per core at work), whatever ``n`` is.

        Time series: ``n`` sequences (default: as many entities as the data had, or one series),
        each of ``length`` steps (default: lengths learned from the data), in batches of whole
        sequences; ``on_step(t)`` is called after each generated step."""
        self._check_fitted()
        if n is None and self.is_series:
            n = self.series_.default_count()
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            what = "sequences" if self.is_series else "rows"
            raise UsageError(f"the number of {what} must be a positive whole number, got {n!r}")
        if length is not None and not self.is_series:
            raise UsageError("length applies to time-series models only; this model learned a table")
        dev = resolve_device(device)
        seed = self.seed if seed is None else seed
        if self.is_series:
            batches = self.series_.sample_batches(int(n), length, int(seed), dev, on_step)
        else:
            if batch_size is None:
                batch_size = SAMPLE_BATCH if dev.type == "cpu" else max(
                    SAMPLE_BATCH, min(GPU_SAMPLE_BATCH, GPU_SAMPLE_CELLS // self.model_.n_columns))
            batches = self._sample_rows(int(n), int(seed), batch_size, dev)
        with keep_freed_memory():
            for df in batches:
                for copy, original in self.copies_.items():
                    df[copy] = df[original]
                yield df[self.output_columns(df)]

    def _sample_rows(self, n: int, seed: int, batch_size: int, dev: torch.device) -> Iterator[pd.DataFrame]:
        model = self.model_.to(dev).eval()
        order = list(range(model.n_columns))
        sizes = split_rows(n, batch_size)
        starts = np.cumsum([0] + sizes[:-1]).tolist()

        def batch(i: int) -> tuple[np.ndarray, np.ndarray]:
            gen = torch.Generator(device=dev).manual_seed(batch_seed(seed, i))
            codes, values = generate_batch(model, sizes[i], order, gen, device=dev)
            return codes.cpu().numpy(), values.cpu().numpy()

        workers = torch.get_num_threads() if dev.type == "cpu" else 1
        for i, (codes, values) in enumerate(ordered_map(batch, len(starts), workers, processes=True)):
            yield decode_table(codes, values, self.encoders_, id_start=starts[i])

    def sample(self, n: int | None = None, seed: int | None = None, batch_size: int | None = None,
               device: str = "cpu", length: int | None = None):
        """``n`` synthetic rows (time series: ``n`` sequences of ``length`` steps) as the frame
        type ``fit`` was given (pandas or polars)."""
        if n is None and not self.is_series:
            raise UsageError("give the number of rows to generate")
        frames = list(self.sample_batches(n, seed=seed, batch_size=batch_size, device=device, length=length))
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return self._to_input_type(df)

    def output_columns(self, df: pd.DataFrame) -> list[str]:
        """The input's columns in its order (a one-series model adds 'series' when it makes several)."""
        from .series.panel import SERIES

        extra = [SERIES] if SERIES in df.columns and SERIES not in self.columns_ else []
        return extra + self.columns_

    def integer_columns(self) -> list[str]:
        """Columns holding whole numbers (written without '.0' even when they have gaps)."""
        self._check_fitted()
        return [s.name for s in self.schema_.columns if s.kind == "integer"]

    def _to_input_type(self, df: pd.DataFrame):
        if self.frame_type_ != "polars":
            return df
        import polars as pl

        out = pl.from_pandas(df)
        types = _polars_type_map()
        casts = {name: types[t] for name, t in self.polars_dtypes_.items()
                 if t in types and name in out.columns}
        return out.cast(casts, strict=False) if casts else out

    # ---- files --------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        tensors, meta = self._to_doc()
        save_model_file(path, tensors, meta)
        return Path(path)

    def _to_doc(self) -> tuple[dict, dict]:
        meta = {
            "synthgen_version": __version__,
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "model_config": self.model_.cfg.to_dict(),
            "train_config": vars(self.train_config_),
            "params": {"seed": self.seed, "d_model": self.d_model, "n_layers": self.n_layers,
                       "n_heads": self.n_heads, "d_denoiser": self.d_denoiser,
                       "sampling_steps": self.sampling_steps, "entity": self.entity,
                       "order": self.order, "sequential": self.sequential, "window": self.window,
                       "history_noise": self.history_noise},
            "schema": self.schema_.to_dict(),
            "columns": self.columns_,
            "copies": self.copies_,
            "encoders": [e.to_dict() for e in self.encoders_],
            "frame_type": self.frame_type_,
            "polars_dtypes": self.polars_dtypes_,
            "n_rows": self.n_rows_,
            "history": self.history_,
            "best_epoch": self.best_epoch_,
            "stopped_by": self.stopped_by_,
        }
        if self.is_series:
            tensors, meta["series"] = self.series_.to_doc()
            return tensors, meta
        return self.model_.state_dict(), meta

    @classmethod
    def load(cls, path: str | Path) -> Synthesizer:
        tensors, doc = load_model_file(path)
        return cls._from_doc(tensors, doc, path)

    @classmethod
    def _from_doc(cls, tensors: dict, doc: dict, path: str | Path = "the model file") -> Synthesizer:
        try:
            params = doc["params"]
            self = cls(**params)
            self.schema_ = Schema.from_dict(doc["schema"])
            self.columns_ = doc["columns"]
            self.copies_ = doc.get("copies", {})
            self.encoders_ = [encoder_from_dict(d) for d in doc["encoders"]]
            self.frame_type_ = doc["frame_type"]
            self.polars_dtypes_ = doc.get("polars_dtypes", {})
            self.n_rows_ = doc["n_rows"]
            self.history_ = doc["history"]
            self.best_epoch_ = doc.get("best_epoch", 0)
            self.stopped_by_ = doc.get("stopped_by", "")
            self.train_config_ = TrainConfig(**doc["train_config"])
            self.series_ = None
            if "series" in doc:
                from .series.backend import SeriesBackend

                self.series_ = SeriesBackend.from_doc(tensors, doc["series"], ModelConfig.from_dict(doc["model_config"]))
                model = self.series_.model
            else:
                model = TabularTransformer(ModelConfig.from_dict(doc["model_config"]))
                model.load_state_dict(tensors, strict=True)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"model file '{path}' is damaged or incomplete ({type(exc).__name__}); train a new one with `synthgen fit`") from None
        self.model_ = model.eval()
        return self


def load(path: str | Path) -> Synthesizer:
    """Load a model file written by ``Synthesizer.save`` (never unpickles anything)."""
    return Synthesizer.load(path)


def _polars_type_map() -> dict:
    import polars as pl

    return {"Int8": pl.Int8, "Int16": pl.Int16, "Int32": pl.Int32, "Int64": pl.Int64,
            "UInt8": pl.UInt8, "UInt16": pl.UInt16, "UInt32": pl.UInt32, "UInt64": pl.UInt64,
            "Float32": pl.Float32, "Float64": pl.Float64, "Boolean": pl.Boolean,
            "String": pl.String, "Utf8": pl.String, "Categorical": pl.Categorical, "Date": pl.Date}


def _polars_dtypes(df) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in df.schema.items()}
