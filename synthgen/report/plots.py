"""Inline SVG plots drawn from the report's numbers: no plotting library, no scripts, so the
HTML page opens offline and renders the same in any browser."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape

REAL = "#2f6db5"  # real data: blue
SYNTH = "#e8772e"  # synthetic data: orange
GRID = "#e3e6ea"
TEXT = "#3c4650"
W, H = 380, 220  # plot size in px
ML, MR, MT, MB = 46, 10, 12, 62  # margins: left (y labels), right, top, bottom (x labels)


def _fmt_share(x: float) -> str:
    return f"{100 * x:.0f}%" if x >= 0.1 or x == 0 else f"{100 * x:.1f}%"


def _fmt_number(x: float, kind: str) -> str:
    if kind == "datetime":
        return datetime.fromtimestamp(x, tz=timezone.utc).strftime("%Y-%m-%d")
    ax = abs(x)
    if ax >= 1e6:
        return f"{x / 1e6:.3g}M"
    if ax >= 1e4:
        return f"{x / 1e3:.3g}k"
    return f"{x:.4g}"


def _short(label: str, n: int = 14) -> str:
    return label if len(label) <= n else label[: n - 1] + "\u2026"


def _frame(ymax: float) -> list[str]:
    """Axes with three horizontal grid lines labelled as shares."""
    out = []
    for frac in (0.0, 0.5, 1.0):
        y = MT + (H - MT - MB) * (1 - frac)
        out.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{ML - 4}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{_fmt_share(ymax * frac)}</text>')
    return out


def _svg(body: list[str], label: str, width: int = W, height: int = H) -> str:
    return (f'<svg class="plot" role="img" aria-label="{escape(label)}" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
            f'font-family="sans-serif" font-size="10" fill="{TEXT}">'
            + "".join(body) + "</svg>")


def distribution_svg(d: dict) -> str:
    """Real vs synthetic shares for one column (bars for labels, histogram for numbers),
    with missing values as a separate pair of bars on the right."""
    real, syn = d["real"], d["synthetic"]
    miss_r, miss_s = d["missing"]["real"], d["missing"]["synthetic"]
    has_missing = miss_r > 0 or miss_s > 0
    n = len(real)
    slots = n + (1.5 if has_missing else 0)  # the missing bars sit after a half-slot gap
    ymax = max([*real, *syn, miss_r, miss_s, 1e-9])
    ymax = _nice(ymax)
    plot_w, plot_h = W - ML - MR, H - MT - MB
    slot = plot_w / max(slots, 1)

    def y(v):
        return MT + plot_h * (1 - v / ymax)

    body = _frame(ymax)
    if d["type"] == "histogram":
        # Real as filled bins, synthetic as an outline on top: the eye reads the gap.
        for i, v in enumerate(real):
            body.append(f'<rect x="{ML + i * slot:.1f}" y="{y(v):.1f}" width="{slot:.1f}" '
                        f'height="{MT + plot_h - y(v):.1f}" fill="{REAL}" fill-opacity="0.55">'
                        f'<title>real {_fmt_share(v)}</title></rect>')
        pts = []
        for i, v in enumerate(syn):
            pts += [f"{ML + i * slot:.1f},{y(v):.1f}", f"{ML + (i + 1) * slot:.1f},{y(v):.1f}"]
        body.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{SYNTH}" '
                    'stroke-width="2"/>')
        edges = d["edges"]
        for frac in (0.0, 0.5, 1.0):
            value = edges[0] + frac * (edges[-1] - edges[0])
            anchor = ("start", "middle", "end")[int(frac * 2)]
            body.append(f'<text x="{ML + frac * n * slot:.1f}" y="{MT + plot_h + 14}" '
                        f'text-anchor="{anchor}">{escape(_fmt_number(value, d["kind"]))}</text>')
    else:
        for i, (label, vr, vs) in enumerate(zip(d["labels"], real, syn, strict=True)):
            x0 = ML + i * slot + slot * 0.1
            bw = slot * 0.4
            body.append(_bar(x0, bw, vr, y, MT + plot_h, REAL, f"{label}: real"))
            body.append(_bar(x0 + bw, bw, vs, y, MT + plot_h, SYNTH, f"{label}: synthetic"))
            body.append(_xlabel(ML + (i + 0.5) * slot, MT + plot_h, label))
    if has_missing:
        x0 = ML + (n + 0.5) * slot + slot * 0.1
        bw = slot * 0.4
        body.append(_bar(x0, bw, miss_r, y, MT + plot_h, REAL, "missing: real", hatch=True))
        body.append(_bar(x0 + bw, bw, miss_s, y, MT + plot_h, SYNTH, "missing: synthetic",
                         hatch=True))
        body.append(_xlabel(ML + (n + 1) * slot, MT + plot_h, "(missing)"))
    body.append(f'<line x1="{ML}" y1="{MT + plot_h}" x2="{W - MR}" y2="{MT + plot_h}" '
                f'stroke="{TEXT}"/>')
    return _svg(body, f"distribution of {d['column']}: real vs synthetic")


def _bar(x, w, v, y, base, colour, title, hatch=False) -> str:
    top = y(v)
    extra = ' stroke="#222" stroke-dasharray="2 2"' if hatch else ""
    return (f'<rect x="{x:.1f}" y="{top:.1f}" width="{max(w, 1):.1f}" '
            f'height="{max(base - top, 0):.1f}" fill="{colour}"{extra}>'
            f'<title>{escape(title)} {_fmt_share(v)}</title></rect>')


def _xlabel(x, base, label) -> str:
    return (f'<text transform="translate({x:.1f},{base + 8}) rotate(-40)" text-anchor="end">'
            f'{escape(_short(label))}<title>{escape(label)}</title></text>')


def _nice(v: float) -> float:
    """Round an axis maximum up to 1, 2 or 5 times a power of ten."""
    p = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if v <= m * p:
            return m * p
    return 10 * p


def _diverging(v: float) -> str:
    """-1 blue .. 0 white .. +1 red."""
    v = max(-1.0, min(1.0, v))
    if v >= 0:
        r, g, b = 255, int(255 - 175 * v), int(255 - 190 * v)
    else:
        r, g, b = int(255 + 200 * v), int(255 + 135 * v), 255
    return f"rgb({r},{g},{b})"


def heatmap_svg(columns: list[str], matrix: list[list[float]], title: str) -> str:
    """A square heatmap on the -1..1 scale, column names on the left and at the top."""
    n = len(columns)
    cell = max(6, min(20, 250 // max(n, 1)))
    left = top = 92
    size_w = left + n * cell + 8
    size_h = top + n * cell + 8
    body = []
    for i, name in enumerate(columns):
        body.append(f'<text x="{left - 4}" y="{top + (i + 0.5) * cell + 3:.1f}" '
                    f'text-anchor="end">{escape(_short(name))}</text>')
        body.append(f'<text transform="translate({left + (i + 0.5) * cell + 3:.1f},{top - 4}) '
                    f'rotate(-60)">{escape(_short(name))}</text>')
        for j in range(n):
            v = matrix[i][j]
            body.append(f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" '
                        f'height="{cell}" fill="{_diverging(v)}" stroke="#fff" stroke-width="0.5">'
                        f'<title>{escape(columns[i])} / {escape(columns[j])}: {v:+.2f}</title>'
                        '</rect>')
    return _svg(body, title, size_w, size_h)


def legend_svg(heatmap: bool = True) -> str:
    """Colour keys: real, synthetic and (unless heatmap=False) the heatmap scale."""
    body = [f'<rect x="0" y="4" width="14" height="10" fill="{REAL}"/>',
            '<text x="18" y="13">real</text>',
            f'<rect x="60" y="4" width="14" height="10" fill="{SYNTH}"/>',
            '<text x="78" y="13">synthetic</text>']
    if not heatmap:
        return _svg(body, "legend", 140, 20)
    body.append('<text x="150" y="13">heatmaps:</text>')
    for k in range(21):
        v = -1 + k / 10
        body.append(f'<rect x="{205 + k * 6}" y="4" width="6" height="10" fill="{_diverging(v)}"/>')
    body.append('<text x="205" y="26">-1</text><text x="265" y="26" text-anchor="middle">0</text>'
                '<text x="331" y="26" text-anchor="end">+1</text>')
    return _svg(body, "legend", 340, 30)


# ---- line charts (time series) ---------------------------------------------------------------
LINE_H = 170  # height of a line chart
LMB = 30  # its bottom margin (step numbers)
DASHES = ("", "5 3", "2 2")  # the first, second and third line of one colour


def _ticks(lo: float, hi: float) -> list[float]:
    return [lo, (lo + hi) / 2, hi]


def value_range(lines: list[dict]) -> tuple[float, float]:
    """The y range of some lines (a little padding; a flat line gets +-0.5)."""
    ys = [v for line in lines for v in line["y"] if v is not None and math.isfinite(v)]
    if not ys:
        return 0.0, 1.0
    lo, hi = min(ys), max(ys)
    if hi <= lo:
        return lo - 0.5, hi + 0.5
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def line_chart_svg(lines: list[dict], label: str, y_range: tuple[float, float] | None = None,
                   x_max: float | None = None, x_title: str = "step") -> str:
    """Lines on shared axes. Each line: {"x": [...], "y": [... or None], "colour", "title",
    "dash": index into DASHES}; a missing value breaks the line."""
    lo, hi = y_range or value_range(lines)
    xs = [x for line in lines for x in line["x"]]
    x_hi = x_max if x_max is not None else (max(xs) if xs else 1.0)
    x_hi = max(x_hi, 1e-9)
    plot_w, plot_h = W - ML - MR, LINE_H - MT - LMB

    def px(x):
        return ML + plot_w * x / x_hi

    def py(y):
        return MT + plot_h * (1 - (y - lo) / (hi - lo))

    body = []
    for v in _ticks(lo, hi):
        y = py(v)
        body.append(f'<line x1="{ML}" y1="{y:.1f}" x2="{W - MR}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{ML - 4}" y="{y + 4:.1f}" text-anchor="end">'
                    f'{escape(_fmt_number(v, "numeric"))}</text>')
    whole = all(float(x).is_integer() for x in [*xs, x_hi])  # steps and lags: whole ticks
    for frac, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
        tick = round(frac * x_hi) if whole else frac * x_hi
        body.append(f'<text x="{ML + plot_w * tick / x_hi:.1f}" y="{MT + plot_h + 14}" '
                    f'text-anchor="{anchor}">{escape(_fmt_number(tick, "numeric"))}</text>')
    body.append(f'<text x="{ML + plot_w / 2:.1f}" y="{LINE_H - 2}" text-anchor="middle">'
                f'{escape(x_title)}</text>')
    for line in lines:
        dash = DASHES[line.get("dash", 0) % len(DASHES)]
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments = []
        for x, y in zip(line["x"], line["y"], strict=True):
            if y is None or not math.isfinite(y):
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{px(x):.1f},{py(min(max(y, lo), hi)):.1f}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) == 1:  # a lone point between missing values
                x, y = seg[0].split(",")
                body.append(f'<circle cx="{x}" cy="{y}" r="1.5" fill="{line["colour"]}"/>')
                continue
            body.append(f'<polyline points="{" ".join(seg)}" fill="none" '
                        f'stroke="{line["colour"]}" stroke-width="1.6"{extra}>'
                        f'<title>{escape(line["title"])}</title></polyline>')
    body.append(f'<line x1="{ML}" y1="{MT + plot_h}" x2="{W - MR}" y2="{MT + plot_h}" '
                f'stroke="{TEXT}"/>')
    return _svg(body, label, W, LINE_H)
