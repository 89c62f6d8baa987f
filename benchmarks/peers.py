"""Peer synthesizers for the tabular benchmark (`bench_tabular.py --with-peers`).

Each peer is fitted on the same training split with the same time budget as synthgen and
default settings otherwise:

- ``sdv-gaussiancopula``, ``sdv-ctgan``, ``sdv-tvae``: SDV's single-table synthesizers
  (``sdv.single_table``). SDV has no time budget; for CTGAN and TVAE the epoch loop (a
  ``tqdm(range(epochs))`` inside the ``ctgan`` package) is replaced by one that stops
  starting new epochs once the budget is spent, and the number of epochs run is recorded.
  GaussianCopula has no training loop and is not limited.
- ``mostlyai``: MOSTLY AI's TabularARGN from ``mostlyai-engine``
  (``mostlyai.engine.TabularARGN(max_training_time=minutes)``).

Both come with the optional ``bench`` extra (``pip install -e '.[bench]'``). Install them
next to the CPU build of torch only: pip pulls CUDA builds of torchvision, torchaudio and
triton in with mostlyai-engine; its tabular path does not use them and it imports only
once they are uninstalled again (see benchmarks/README.md).

Key columns (kind ``id``) are not given to peers: they are dropped before fitting and
written back as fresh keys 0..n-1, as synthgen generates them.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

SDV_TABLE = "table"

# peer name -> (import name needed, one-line description)
PEERS = {
    "sdv-gaussiancopula": ("sdv", "SDV GaussianCopulaSynthesizer"),
    "sdv-ctgan": ("sdv", "SDV CTGANSynthesizer (epochs stop at the time budget)"),
    "sdv-tvae": ("sdv", "SDV TVAESynthesizer (epochs stop at the time budget)"),
    "mostlyai": ("mostlyai.engine", "MOSTLY AI engine TabularARGN"),
}


def unavailable(name: str) -> str | None:
    """Why the peer cannot run here (None when it can)."""
    return module_unavailable(PEERS[name][0])


def module_unavailable(module: str) -> str | None:
    """Why ``module`` cannot be used here (None when it imports)."""
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        return f"{module} is not installed (pip install -e '.[bench]', see benchmarks/README.md)"
    try:
        importlib.import_module(module)
    except Exception as exc:  # e.g. a CUDA torchvision beside the CPU torch
        return f"{module} is installed but does not import: {type(exc).__name__}: {exc}"
    return None


def version_of(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version({"sdv": "sdv", "mostlyai.engine": "mostlyai-engine"}[module])
    except Exception:
        return None


def make(name: str, kinds: dict[str, str], max_minutes: float, seed: int):
    if name == "mostlyai":
        return MostlyPeer(kinds, max_minutes, seed)
    if name.startswith("sdv-"):
        return SdvPeer(name, kinds, max_minutes, seed)
    raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")


class Peer:
    """fit(train) then sample(n); ``info`` collects what the run should record."""

    def __init__(self, name: str, kinds: dict[str, str], max_minutes: float, seed: int):
        self.name = name
        self.kinds = kinds
        self.keys = [c for c, k in kinds.items() if k == "id"]
        self.max_minutes = max_minutes
        self.seed = seed
        self.info: dict = {"peer": PEERS[name][1], "version": version_of(PEERS[name][0])}

    def fit(self, train: pd.DataFrame) -> Peer:
        self.columns = list(train.columns)
        self.dtypes = train.drop(columns=self.keys).dtypes
        self._seed_everything()
        self._fit(train.drop(columns=self.keys))
        return self

    def sample(self, n: int) -> pd.DataFrame:
        self._seed_everything()
        out = self._sample(n).reset_index(drop=True)
        for col, dtype in self.dtypes.items():
            out[col] = _as_dtype(out[col], dtype)
        for key in self.keys:
            out[key] = np.arange(n)
        return out[self.columns]

    def _seed_everything(self) -> None:
        import random

        import torch

        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)

    def _fit(self, train: pd.DataFrame) -> None:
        raise NotImplementedError

    def _sample(self, n: int) -> pd.DataFrame:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _as_dtype(s: pd.Series, dtype) -> pd.Series:
    """The training dtype where the values allow it (peers return nullable or Arrow-backed
    dtypes), so that every synthetic table reaches the report alike."""
    if pd.api.types.is_bool_dtype(dtype) and s.isna().any():
        return s.astype(object).where(s.notna(), None)  # astype(bool) would turn NaN into True
    try:
        return s.astype(dtype)
    except (TypeError, ValueError):
        pass
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return pd.to_numeric(s, errors="coerce").astype(float)
    return s.astype(object).where(s.notna(), None)


# ---- SDV ----------------------------------------------------------------------------------

SDV_SDTYPES = {"categorical": "categorical", "boolean": "boolean", "numeric": "numerical",
               "integer": "numerical", "datetime": "datetime"}


class SdvPeer(Peer):
    def _metadata(self, train: pd.DataFrame):
        from sdv.metadata import Metadata

        columns = {}
        for col in train.columns:
            # SDV learns the rounding of integer columns from the data (enforce_rounding).
            columns[col] = {"sdtype": SDV_SDTYPES[self.kinds[col]]}
        return Metadata.load_from_dict({"tables": {SDV_TABLE: {"columns": columns}}})

    def _synthesizer(self, metadata):
        from sdv.single_table import (
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        cls = {"sdv-gaussiancopula": GaussianCopulaSynthesizer, "sdv-ctgan": CTGANSynthesizer,
               "sdv-tvae": TVAESynthesizer}[self.name]
        return cls(metadata)

    def _fit(self, train: pd.DataFrame) -> None:
        self.model = self._synthesizer(self._metadata(train))
        deadline = time.monotonic() + 60.0 * self.max_minutes
        module = {"sdv-ctgan": "ctgan.synthesizers.ctgan",
                  "sdv-tvae": "ctgan.synthesizers.tvae"}.get(self.name)
        if module is None:
            self.info["epochs_run"] = None
            self._sdv_fit(train)
            return
        with _epoch_budget(module, deadline) as counter:
            self._sdv_fit(train)
        self.info["epochs_run"] = counter.get("epochs")
        self.info["epochs_max"] = counter.get("of")
        self.info["budget_enforced"] = counter.get("patched", False)
        if counter.get("epochs") is not None and counter.get("epochs") < counter.get("of", 0):
            self.info["stopped_by"] = "time-budget"

    def _sdv_fit(self, train: pd.DataFrame) -> None:
        # SDV 2 takes {table name: frame}; SDV 1 takes the frame itself.
        if _major(self.info["version"]) >= 2:
            self.model.fit({SDV_TABLE: train})
        else:
            self.model.fit(train)

    def _sample(self, n: int) -> pd.DataFrame:
        out = self.model.sample(num_rows=n)
        return next(iter(out.values())) if isinstance(out, dict) else out


def _major(version: str | None) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0


class _BudgetedRange:
    """Stands in for ``tqdm(range(epochs))``: yields epochs until the deadline has passed."""

    def __init__(self, iterable: Iterable, deadline: float, counter: dict):
        self.items = list(iterable)
        self.deadline = deadline
        self.counter = counter
        counter["of"] = len(self.items)
        counter["epochs"] = 0

    def __iter__(self) -> Iterator:
        for item in self.items:
            if self.counter["epochs"] > 0 and time.monotonic() >= self.deadline:
                return
            yield item
            self.counter["epochs"] += 1

    def set_description(self, *args, **kwargs) -> None:
        pass

    def write(self, *args, **kwargs) -> None:
        pass


@contextmanager
def _epoch_budget(module_name: str, deadline: float):
    """Replace the epoch progress bar of a ctgan module by a budgeted range while fitting."""
    counter: dict = {}
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        module = None
    if module is None or not hasattr(module, "tqdm"):
        yield counter  # layout changed: run every epoch, and the JSON says so
        return
    original = module.tqdm
    module.tqdm = lambda iterable, *a, **kw: _BudgetedRange(iterable, deadline, counter)
    counter["patched"] = True
    try:
        yield counter
    finally:
        module.tqdm = original


# ---- MOSTLY AI engine ---------------------------------------------------------------------

MOSTLY_ENCODINGS = {"categorical": "TABULAR_CATEGORICAL", "boolean": "TABULAR_CATEGORICAL",
                    "numeric": "TABULAR_NUMERIC_AUTO", "integer": "TABULAR_NUMERIC_AUTO",
                    "datetime": "TABULAR_DATETIME"}


MOSTLY_MAX_EPOCHS = 100  # TabularARGN's default max_epochs
MOSTLY_PATIENCE = 4  # its EarlyStopper(val_loss_patience=4)


class MostlyPeer(Peer):
    def __init__(self, kinds: dict[str, str], max_minutes: float, seed: int):
        super().__init__("mostlyai", kinds, max_minutes, seed)

    def _fit(self, train: pd.DataFrame) -> None:
        from mostlyai.engine import TabularARGN

        encodings = {c: MOSTLY_ENCODINGS[self.kinds[c]] for c in train.columns}
        self.model = TabularARGN(max_training_time=self.max_minutes, tgt_encoding_types=encodings,
                                 device="cpu", random_state=self.seed, verbose=0)
        self.model.fit(train)

        self.info.update(_mostly_progress(Path(self.model.workspace_path_), self.max_minutes))

    def _sample(self, n: int) -> pd.DataFrame:
        return self.model.sample(n_samples=n, device="cpu")

    def close(self) -> None:
        self.model.close()


def _mostly_progress(workspace: Path, max_minutes: float) -> dict:
    """Epochs and why training ended, read from the engine's progress-messages.csv (best
    effort: the file is internal to the engine; the stop reason is inferred by replaying
    its early-stopping rule on the validation losses)."""
    files = sorted(workspace.glob("**/progress-messages.csv"))
    if not files:
        return {}
    try:
        messages = pd.read_csv(files[-1])
        last = messages.iloc[-1]
        epochs, seconds = float(last["epoch"]), float(last["total_time"])
        val_losses = messages["val_loss"].dropna().tolist()
    except (KeyError, IndexError, ValueError, pd.errors.ParserError):
        return {}
    if _early_stopped(val_losses, MOSTLY_PATIENCE):
        stopped = "early-stopping"
    elif epochs >= MOSTLY_MAX_EPOCHS:
        stopped = "epochs"
    else:
        stopped = "time-budget"
    return {"epochs_run": round(epochs, 2), "epochs_max": MOSTLY_MAX_EPOCHS,
            "train_seconds": seconds, "stopped_by": stopped + " (inferred)"}


def _early_stopped(val_losses: list[float], patience: int) -> bool:
    """True when the last validation loss is the one at which the engine's EarlyStopper
    (no improvement for more than ``patience`` validations) says stop."""
    best, count = float("inf"), 0
    for loss in val_losses:
        if loss < best:
            best, count = loss, 0
        else:
            count += 1
            if count > patience:
                return True
    return False
