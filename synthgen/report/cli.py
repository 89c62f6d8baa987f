"""`synthgen report`: a thin CLI over evaluate(). Registered by synthgen/cli.py as
app.command("report")(report_command); errors are SynthgenError subclasses, which the main
CLI prints on one line with exit code 2. A missed --fail-under threshold exits with 1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .evaluate import SCORE_LABELS

# Scores that need an optional input; checked before any work is done.
_NEEDS = {"ml_efficacy": ("target", "--target"), "dcr": ("holdout", "--holdout")}


def parse_thresholds(items: list[str] | None) -> dict[str, float]:
    """["quality=0.8", "dcr=90%"] -> {"quality": 0.8, "dcr": 0.9}."""
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise UsageError(f"--fail-under '{item}' is not METRIC=VALUE; write e.g. quality=0.8")
        if name not in SCORE_LABELS:
            raise UsageError(f"--fail-under names unknown score '{name}'; use one of "
                             f"{', '.join(SCORE_LABELS)}")
        value = value.strip()
        try:
            number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            raise UsageError(f"--fail-under '{item}': '{value}' is not a number; write e.g. "
                             f"{name}=0.8 or {name}=80%") from None
        if not 0.0 <= number <= 1.0:
            raise UsageError(f"--fail-under '{item}': scores run from 0 to 1; write e.g. "
                             f"{name}=0.8 or {name}=80%")
        out[name] = number
    return out


def _check_output(path: Path | None, option: str) -> None:
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"{option} '{path}' is a folder; give a file name such as report.html")
    if not path.parent.exists():
        raise UsageError(f"{option} '{path}': folder '{path.parent}' does not exist; create it "
                         "or choose another path")


def _sample_from_model(model: Path, n: int, seed: int):
    """A table model gives n rows; a time-series model as many sequences as its data had,
    and its entity / order / context, so the report reads the sample as sequences."""
    import synthgen  # the model side is imported only when --model is used

    synth = synthgen.load(model)
    if getattr(synth, "is_series", False):
        return synth.sample(seed=seed), synth.series_.layout
    return synth.sample(n, seed=seed), None


def report_command(
    real: Annotated[Path, typer.Argument(help="Real (training) table, CSV or Parquet.")],
    synthetic: Annotated[Path | None, typer.Argument(
        help="Synthetic table to judge (omit when --model is given).")] = None,
    holdout: Annotated[Path | None, typer.Option(
        "--holdout", help="Real rows the generator never saw: gives the ceiling and DCR share.")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="Column to predict for train-synthetic-test-real.")] = None,
    schema: Annotated[Path | None, typer.Option(
        "--schema", help="Schema file with column kinds (inferred from REAL if omitted).")] = None,
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="HTML report to write.")] = Path("report.html"),
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Also write every number as JSON here.")] = None,
    fail_under: Annotated[list[str] | None, typer.Option(
        "--fail-under", help="METRIC=VALUE (0..1 or %); exit 1 if the score is lower. Repeatable.")] = None,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Sample as many rows as REAL has from this model instead of SYNTHETIC.")] = None,
    max_rows: Annotated[int | None, typer.Option(
        "--max-rows", min=100, help="Lower every per-family row cap to this many rows.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for subsampling, splits and models.")] = 0,
    entity: Annotated[str | None, typer.Option(
        "--entity", help="Time series: the column that keys each sequence (default: the "
        "schema's).")] = None,
    order: Annotated[str | None, typer.Option(
        "--order", help="Time series: the column that orders the rows of a sequence (default: "
        "the schema's).")] = None,
    window: Annotated[int, typer.Option(
        "--window", min=2, help="Time series: steps per window of the sequence models.")] = 24,
    sequential: Annotated[bool, typer.Option(
        "--sequential", help="Time series: the table is one series in row order (no entity or "
        "order column needed).")] = False,
) -> None:
    """Judge a synthetic table against real data: fidelity, detection, ML efficacy, privacy,
    and for time series (--entity / --order / --sequential or a schema with them) how the
    sequences move through time."""
    from rich.console import Console

    from ..io import atomic_write_text, read_table
    from .evaluate import evaluate

    thresholds = parse_thresholds(fail_under)
    given = {"target": target, "holdout": holdout}
    for name in thresholds:
        if name in _NEEDS and given[_NEEDS[name][0]] is None:
            raise UsageError(f"--fail-under {name} needs {_NEEDS[name][1]}; add it or drop the threshold")
    if (synthetic is None) == (model is None):
        raise UsageError("give either a SYNTHETIC table or --model MODEL (exactly one of them)")
    _check_output(output, "-o")
    _check_output(json_path, "--json")

    err = Console(stderr=True)
    real_df = read_table(real)
    holdout_df = None if holdout is None else read_table(holdout)
    context = None
    if model is not None:
        with err.status(f"sampling from {model}"):
            synthetic_df, layout = _sample_from_model(model, len(real_df), seed)
        if layout is not None and entity is None and order is None and not sequential:
            entity, order, context = layout.entity, layout.order, layout.context
            sequential = entity is None and order is None
    else:
        synthetic_df = read_table(synthetic)

    with err.status("scoring") as status:
        report = evaluate(real_df, synthetic_df, holdout=holdout_df, target=target,
                          schema=schema, max_rows=max_rows, seed=seed,
                          progress=lambda family: status.update(f"scoring: {family}"),
                          entity=entity, order=order, window=window, context=context,
                          sequential=True if sequential else None)
    # Render both files before writing either, so a failure leaves no partial output.
    html, js = report.to_html(), report.to_json()
    atomic_write_text(output, html)
    if json_path is not None:
        atomic_write_text(json_path, js)

    print_summary(report, Console())
    written = str(output) + ("" if json_path is None else f" and {json_path}")
    err.print(f"wrote {written}")
    failures = report.failures(thresholds)
    if failures:
        for line in failures:
            err.print(f"[red]fail-under:[/red] {line}")
        raise typer.Exit(code=1)


def print_summary(report, console) -> None:
    """The terminal summary: one row per score with its key figure, then the verdict."""
    from rich.table import Table

    doc = report.to_dict()
    has_h = doc["inputs"]["holdout"] is not None
    table = Table(title="synthgen report", title_justify="left")
    table.add_column("Score")
    table.add_column("Synthetic", justify="right")
    if has_h:
        table.add_column("Holdout", justify="right")
    table.add_column("Key figure")
    for name, score in doc["scores"].items():
        cells = [f"{score['label']} [dim]{name}[/dim]", _pct(score["synthetic"])]
        if has_h:
            cells.append(_pct(score["holdout"]))
        table.add_row(*cells, _key_figure(name, doc))
    console.print(table)
    pred = (doc.get("timeseries") or {}).get("predictive")
    if pred:
        console.print(f"Predictive score (next-step MAE of {pred['target']}, lower is better): "
                      f"trained on synthetic {_num(pred['synthetic'], 4)}, on real "
                      f"{_num(pred['holdout'], 4)}; tested on {pred['test_set']}.")
    colour = {"good": "green", "fair": "yellow", "poor": "red"}[doc["verdict"]["level"]]
    console.print(f"[bold {colour}]Verdict: {doc['verdict']['level']}.[/] {doc['verdict']['text']}")
    for note in doc["sampling"]["notes"]:
        console.print(f"[dim]note: {note}[/dim]")


def _key_figure(name: str, doc: dict) -> str:
    """The raw measure behind a score, in its own unit (the readings are in the HTML)."""
    fid, det, priv, eff = doc["fidelity"], doc["detection"], doc["privacy"], doc["efficacy"]
    if name == "column_shapes":
        return f"shape error {_num(fid['shape_error']['synthetic'], 1)}"
    if name == "column_pair_trends":
        return f"trend error {_num(fid['trend_error']['synthetic'], 1)}"
    if name in ("logistic_detection", "gbt_detection"):
        entry = det["logistic" if name.startswith("logistic") else "gbt"]["synthetic"]
        return f"AUC {_num(entry['auc'])} (0.5 ideal)"
    if name == "ml_efficacy" and eff and eff["train_on_real"] and eff["train_on_synthetic"]:
        key = "auc" if eff["task"] == "classification" else "r2"
        return (f"{key.upper()} {_num(eff['train_on_synthetic'].get(key))} vs "
                f"{_num(eff['train_on_real'].get(key))} trained on real")
    if name == "dcr" and priv["dcr_share"]:
        return f"DCR share {_pct(priv['dcr_share']['synthetic']['share'])} (50% ideal)"
    if name == "exact_copy":
        return f"{100 * priv['exact_copy_rate']['synthetic']:.2f}% rows copied"
    if name == "nndr":
        return "median NN distance ratio"
    ts = doc.get("timeseries")
    if ts is not None:
        disc = ts["discriminative"]
        if name == "ts_discriminative" and disc and disc["synthetic"]:
            return f"accuracy {_num(disc['synthetic']['accuracy'])} (0.5 ideal)"
        if name == "ts_lag1_coherence" and ts["lag1_coherence"]:
            return f"{ts['lag1_coherence']['pairs_total']} column pairs (t, t+1)"
        if name == "ts_autocorrelation" and ts["autocorrelation"]:
            return f"lags 1-{ts['autocorrelation']['max_lag']}"
        if name == "ts_sequence_length" and ts["sequence_length"]:
            ln = ts["sequence_length"]
            return (f"mean length {_num(ln['synthetic_mean'], 1)} vs "
                    f"{_num(ln['real_mean'], 1)} real")
    return ""


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"
