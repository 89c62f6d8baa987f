"""The `synthgen` command: a thin Typer layer over the Python API.

Errors a user can fix are printed as one line on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .errors import SynthgenError, UsageError

DEFAULT_MODEL = Path("synthgen_model.safetensors")
DEFAULT_OUTPUT = Path("synthetic.csv")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Learn a table and generate synthetic rows with the same statistics.")
schema_app = typer.Typer(no_args_is_help=True, help="Infer or check the schema (column kinds) of a table.")
app.add_typer(schema_app, name="schema")
err = Console(stderr=True)


def friendly_errors(func):
    """Turn a SynthgenError into one line on stderr and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SynthgenError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True, markup=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing was written")
            raise typer.Exit(code=130) from None

    return wrapper


@app.command()
@friendly_errors
def fit(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file to learn.")],
    schema: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON (from `synthgen schema infer`, edited).")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the model file.")] = DEFAULT_MODEL,
    epochs: Annotated[int | None, typer.Option(help="Train exactly this many epochs (default: until validation stops improving).")] = None,
    max_minutes: Annotated[float | None, typer.Option("--max-minutes", help="Time budget for training, in minutes.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same model.")] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    entity: Annotated[str | None, typer.Option(help="Time series: the column naming each sequence (e.g. a station or customer id).")] = None,
    order: Annotated[str | None, typer.Option(help="Time series: the column ordering the steps (a time or a number).")] = None,
    sequential: Annotated[bool, typer.Option("--sequential", help="Time series: one long series in the file's row order (no entity or order column).")] = False,
    window: Annotated[int, typer.Option(help="Time series: steps per training window, the history the model sees.")] = 32,
) -> None:
    """Learn DATA (a table, or time series with --entity / --order / --sequential) and write a model file."""
    from .api import Synthesizer
    from .io import read_table

    if epochs is not None and epochs <= 0:
        raise UsageError(f"--epochs must be a positive whole number, got {epochs}")
    if max_minutes is not None and max_minutes <= 0:
        raise UsageError(f"--max-minutes must be positive, got {max_minutes}")
    if output.exists() and output.is_dir():
        raise UsageError(f"--output '{output}' is a folder; give a file name such as {output / DEFAULT_MODEL}")
    df = read_table(data)
    err.print(f"Read {len(df):,} rows x {len(df.columns)} columns from [bold]{data}[/]")
    started = time.monotonic()
    with _TrainingBar(epochs, max_minutes) as bar:
        synth = Synthesizer(schema=schema, epochs=epochs, max_minutes=max_minutes, seed=seed,
                            device=device, entity=entity, order=order, sequential=sequential,
                            window=window, callback=bar.update)
        synth.fit(df)
    synth.save(output)
    best = min((h["val_loss"] for h in synth.history_), default=float("nan"))
    err.print(f"Trained {len(synth.history_)} epochs in {time.monotonic() - started:.0f} s "
              f"({synth.stopped_by_}); best validation loss {best:.4f} at epoch {synth.best_epoch_}")
    if synth.is_series:
        lay = synth.series_.layout
        err.print(f"Time series: entity {lay.entity or '(one series)'}, order {lay.order or '(row order)'}, "
                  f"context {', '.join(lay.context) or '(none)'}; window {lay.window} steps")
    err.print(f"Model written to [bold]{output}[/]")


@app.command()
@friendly_errors
def sample(
    n: Annotated[int | None, typer.Option("-n", "--rows", help="Rows to generate (default 1000); for a time-series model, sequences (default: as many as the data had; one for a single series).")] = None,
    length: Annotated[int | None, typer.Option(help="Time series: steps per generated sequence (default: lengths learned from the data).")] = None,
    model: Annotated[Path, typer.Option("--model", "-m", help="Model file from `synthgen fit`.")] = DEFAULT_MODEL,
    output: Annotated[str, typer.Option("--output", "-o", help="Output .csv or .parquet; '-' writes CSV to stdout.")] = str(DEFAULT_OUTPUT),
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical output.")] = 0,
    device: Annotated[str, typer.Option(help="cpu (default), auto or cuda.")] = "cpu",
) -> None:
    """Generate N synthetic rows (or N sequences) from a model file."""
    from .api import load
    from .io import write_table_batches

    if n is not None and n <= 0:
        raise UsageError(f"-n must be a positive number, got {n}")
    if length is not None and length <= 0:
        raise UsageError(f"--length must be a positive number of steps, got {length}")
    synth = load(model)
    if length is not None and not synth.is_series:
        raise UsageError(f"--length applies to time-series models; '{model}' learned a table (use -n for rows)")
    if n is None:
        n = synth.series_.default_count() if synth.is_series else 1000
    started = time.monotonic()
    if synth.is_series:
        _sample_series(synth, n, length, seed, device, output)
        return
    batches = synth.sample_batches(n, seed=seed, device=device)
    if output == "-":
        write_table_batches(batches, "-", synth.integer_columns())
        return
    with Progress(TextColumn("Sampling"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,} rows"),
                  TimeRemainingColumn(), console=err, transient=True) as prog:
        task = prog.add_task("sample", total=n)

        def counted():
            for b in batches:
                yield b
                prog.advance(task, len(b))

        write_table_batches(counted(), output, synth.integer_columns())
    secs = time.monotonic() - started
    err.print(f"Wrote {n:,} rows to [bold]{output}[/] in {secs:.1f} s")


def _sample_series(synth, n: int, length: int | None, seed: int, device: str, output: str) -> None:
    from .io import write_table_batches

    started = time.monotonic()
    rows = 0
    with Progress(TextColumn("Sampling {task.fields[what]}"), TextColumn("step {task.completed:,}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=output == "-") as prog:
        task = prog.add_task("sample", total=None, what=f"{n:,} sequences")

        def frames():
            nonlocal rows
            for b in synth.sample_batches(n, seed=seed, device=device, length=length,
                                          on_step=lambda t: prog.update(task, completed=t + 1)):
                rows += len(b)
                yield b

        write_table_batches(frames(), output, synth.integer_columns())
    if output != "-":
        what = f"{n:,} sequence{'' if n == 1 else 's'}"
        err.print(f"Wrote {what} ({rows:,} rows) to [bold]{output}[/] in {time.monotonic() - started:.1f} s")


@schema_app.command("infer")
@friendly_errors
def schema_infer(
    data: Annotated[Path, typer.Argument(help="CSV or Parquet file.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Schema JSON to write; '-' prints it.")] = "-",
    entity: Annotated[str | None, typer.Option(help="Time series: the column naming each sequence.")] = None,
    order: Annotated[str | None, typer.Option(help="Time series: the column ordering the steps.")] = None,
) -> None:
    """Infer column kinds (and, with --entity, the context columns) from DATA and write them as an editable schema file."""
    from .io import atomic_write_text, read_table
    from .schema import infer_schema
    from .series.panel import check_sequences, infer_context

    df = read_table(data)
    schema = infer_schema(df, entity=entity, order=order)
    if entity or order:
        check_sequences(df, entity, order, [])
        schema.context = infer_context(df, schema)
    if output == "-":
        sys.stdout.write(schema.to_json())
        return
    atomic_write_text(output, schema.to_json())
    err.print(f"Schema for {len(schema.columns)} columns written to [bold]{output}[/]")


@schema_app.command("check")
@friendly_errors
def schema_check(
    schema: Annotated[Path, typer.Argument(help="Schema JSON file.")],
    data: Annotated[Path | None, typer.Argument(help="Optional data file to check it against.")] = None,
) -> None:
    """Check a schema file (and that it matches DATA); lists every problem at once."""
    from .io import read_table
    from .schema import Schema

    s = Schema.load(schema)
    if data is not None:
        s.check_against(read_table(data), source=str(data))
    err.print(f"{schema}: valid ({len(s.columns)} columns)")


class _TrainingBar:
    """Rich progress bar fed by the trainer's callback: epoch, losses, time left."""

    def __init__(self, epochs: int | None, max_minutes: float | None):
        self.epochs = epochs
        self.progress = Progress(
            TextColumn("Training"), BarColumn(),
            TextColumn("epoch {task.fields[epoch]}"),
            TextColumn("train {task.fields[train]}  val {task.fields[val]}  best {task.fields[best]}"),
            TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
            console=err, transient=False)
        self.total = epochs or (max_minutes * 60 if max_minutes else None)
        self.task = None

    def __enter__(self):
        self.progress.__enter__()
        self.task = self.progress.add_task("train", total=self.total, epoch=0, train="-", val="-", best="-")
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def update(self, p) -> None:
        if p.done:
            return
        fields = dict(epoch=p.epoch, train=f"{p.train_loss:.3f}",
                      val=f"{p.val_loss:.3f}" if p.val_loss is not None else "-",
                      best=f"{p.best_val:.3f}" if p.best_val is not None else "-")
        if self.epochs:
            self.progress.update(self.task, completed=p.epoch, **fields)
        elif p.budget:
            self.progress.update(self.task, completed=min(p.elapsed, p.budget), **fields)
        else:
            self.progress.update(self.task, **fields)


def _register_report() -> None:
    try:
        from .report.cli import report_command
    except ImportError:  # the report is optional while it is being built
        return
    app.command("report")(friendly_errors(report_command))


_register_report()


def main() -> None:
    """The console script. It ends the process without the interpreter's clean-up, which takes
    0.6-0.8 s once torch is loaded and does nothing a finished command needs: every output has
    been written, closed and renamed by then, and the standard streams are flushed here.
    An unexpected exception still ends the normal way, with its traceback."""
    try:
        app()  # standalone mode: always ends in SystemExit
    except SystemExit as done:
        code = done.code
        if isinstance(code, str):  # sys.exit("message") prints the message and exits 1
            print(code, file=sys.stderr)
            code = 1
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe (e.g. `| head`) or a closed stream
                pass
        os._exit(code or 0)
