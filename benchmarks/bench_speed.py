"""Sampling speed and memory of the `synthgen` command line, the way a user runs it.

    python benchmarks/bench_speed.py --model adult.safetensors
    python benchmarks/bench_speed.py --model adult.safetensors --big-rows 200000 --json speed.json

Two checks (targets of issue 2 in brackets):
- wall time of `synthgen sample -n 10000` in a fresh process, start-up and CSV writing
  included (under 5 s); run --repeat times, the median counts;
- peak memory of `synthgen sample -n 1000000 -o out.parquet` (under 1.5 GB). On Linux,
  sampling runs in forked worker processes beside the main one, so the figure is the whole
  process tree's: its proportional set size (PSS: pages the processes share, the loaded libraries
  and model, counted once) summed over the tree, polled every 20 ms, with the summed RSS
  (shared pages counted in every process, an upper bound) beside it. Elsewhere: the largest
  single process's maximum RSS, from `/usr/bin/time -v` or getrusage of a wrapper process.

A model file comes from `synthgen fit DATA -o MODEL` or from
`bench_tabular.py --keep DIR` (DIR/<dataset>-<time>/synthgen.safetensors);
`bench_tabular.py --sample-speed` runs these checks itself on each model it fits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_WALL_TARGET_S = 5.0
BIG_PEAK_TARGET_MB = 1.5 * 1000  # 1.5 GB
GNU_TIME = "/usr/bin/time"

# Runs a command and prints the peak RSS (KiB) of it and its children: only they are its
# children, so nothing else this benchmark ran can raise the figure.
_RUSAGE_WRAPPER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:]); "
                   "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
                   "sys.exit(rc)")


def synthgen_command() -> list[str]:
    """The installed `synthgen` script, else the same entry point through this Python."""
    exe = shutil.which("synthgen")
    if exe:
        return [exe]
    return [sys.executable, "-c", "import sys; from synthgen.cli import main; "
            "sys.argv[0] = 'synthgen'; sys.exit(main())"]


def sample_command(model: Path, rows: int, output: Path) -> list[str]:
    return synthgen_command() + ["sample", "-m", str(model), "-n", str(rows), "-o", str(output)]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc


def wall_seconds(model: Path, rows: int, repeat: int, work: Path) -> list[float]:
    times = []
    for i in range(repeat):
        cmd = sample_command(model.resolve(), rows, work / f"small-{i}.csv")
        start = time.perf_counter()
        _run(cmd, work)
        times.append(time.perf_counter() - start)
    return times


def peak_rss_mb(cmd: list[str], cwd: Path) -> tuple[float, str, float | None]:
    """Peak memory of ``cmd`` and its worker processes in MB (10^6 bytes), how it was measured,
    and (process tree only) the peak of the summed RSS, an upper bound."""
    if Path("/proc/self/smaps_rollup").exists():
        return _peak_tree_memory(cmd, cwd)
    if os.access(GNU_TIME, os.X_OK):
        proc = _run([GNU_TIME, "-v"] + cmd, cwd)
        found = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", proc.stderr)
        if found:
            return int(found.group(1)) * 1024 / 1e6, "/usr/bin/time -v (largest process)", None
    proc = _run([sys.executable, "-c", _RUSAGE_WRAPPER] + cmd, cwd)
    kib = int(proc.stderr.strip().splitlines()[-1])
    return kib * 1024 / 1e6, "getrusage(RUSAGE_CHILDREN) of a wrapper process (largest process)", None


def _peak_tree_memory(cmd: list[str], cwd: Path) -> tuple[float, str, float]:
    # stderr goes to a file: a pipe nobody reads while polling would stall the command once full
    errors = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors, text=True)
    peak_pss = peak_rss = 0.0
    while proc.poll() is None:
        pss = rss = 0
        for pid in _process_tree(proc.pid):
            try:
                fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
            except (OSError, ValueError):
                continue  # the process ended meanwhile
            pss += int(fields["Pss"].split()[0])
            rss += int(fields["Rss"].split()[0])
        peak_pss, peak_rss = max(peak_pss, pss * 1024 / 1e6), max(peak_rss, rss * 1024 / 1e6)
        time.sleep(0.02)
    errors.seek(0)
    stderr = errors.read()
    errors.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr[-2000:]}")
    return peak_pss, "summed PSS of the process tree, polled every 20 ms", peak_rss


def _process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])  # the name in brackets may hold spaces
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def check(model: Path, rows: int = 10_000, big_rows: int = 1_000_000, repeat: int = 3) -> dict:
    """Both checks on one model file; returns a JSON-ready dict."""
    model = Path(model).resolve()
    if not model.is_file():
        raise FileNotFoundError(f"model file {model} does not exist")
    with tempfile.TemporaryDirectory(prefix="bench_speed_") as tmp:
        work = Path(tmp)
        times = wall_seconds(model, rows, repeat, work)
        big_out = work / "out.parquet"
        start = time.perf_counter()
        peak, method, rss_sum = peak_rss_mb(sample_command(model, big_rows, big_out), work)
        big_wall = time.perf_counter() - start
    small = statistics.median(times)
    return {
        "model": str(model),
        "command": "synthgen sample -m MODEL -n N -o OUT",
        "small": {"rows": rows, "output": "csv", "wall_s": times, "median_wall_s": small,
                  "target_s": SMALL_WALL_TARGET_S, "ok": small < SMALL_WALL_TARGET_S},
        "big": {"rows": big_rows, "output": "parquet", "peak_mb": peak, "method": method,
                "peak_summed_rss_mb": rss_sum,
                "wall_s": big_wall, "rows_per_s_incl_startup": big_rows / big_wall,
                "target_mb": BIG_PEAK_TARGET_MB,
                "ok": peak < BIG_PEAK_TARGET_MB if big_rows >= 1_000_000 else None},
    }


def rss_bound(big: dict) -> str:
    bound = big.get("peak_summed_rss_mb")
    return f"; summed RSS, counting shared pages in every process: {bound:,.0f} MB" if bound else ""


def describe(result: dict) -> str:
    s, b = result["small"], result["big"]

    def verdict(ok):
        return "n/a (fewer rows than the target's)" if ok is None else ("OK" if ok else "OVER")

    return "\n".join([
        f"`synthgen sample -n {s['rows']:,}` wall time (start-up included): median "
        f"{s['median_wall_s']:.2f} s of {', '.join(f'{t:.2f}' for t in s['wall_s'])} "
        f"(target < {s['target_s']:g} s: {verdict(s['ok'])})",
        f"`synthgen sample -n {b['rows']:,} -o out.parquet` peak memory: {b['peak_mb']:,.0f} MB "
        f"({b['method']}{rss_bound(b)}), {b['wall_s']:.1f} s (target < {b['target_mb']:,.0f} MB: "
        f"{verdict(b['ok'])})",
    ])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", "-m", type=Path, required=True, help="synthgen model file")
    ap.add_argument("--rows", type=int, default=10_000, help="rows of the timed run (10,000)")
    ap.add_argument("--big-rows", type=int, default=1_000_000,
                    help="rows of the memory run (1,000,000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the median counts (3)")
    ap.add_argument("--json", type=Path, help="also write the result to this JSON file")
    args = ap.parse_args()
    try:
        result = check(args.model, args.rows, args.big_rows, args.repeat)
    except (FileNotFoundError, RuntimeError) as exc:
        sys.exit(str(exc))
    print(describe(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
