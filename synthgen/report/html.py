"""The report document -> one self-contained HTML page (inline CSS and SVG, no scripts).

A Content-Security-Policy meta tag forbids every network fetch, so the page provably opens
offline and cannot phone home."""

from __future__ import annotations

from html import escape

from . import plots
from .readings import AUC_FAIR, AUC_GOOD, DCR_FAIR, DCR_GOOD, QUALITY_FAIR, QUALITY_GOOD, num, pct

WORST_PAIRS = 15  # pairs listed in the table (all pairs are in the JSON)

CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2a33;
background:#f5f6f8}
main{max-width:1240px;margin:0 auto;padding:20px 28px 60px}
header{background:#1f2a33;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;color:#c9d1d9}
nav{margin-top:10px} nav a{color:#9cc3ff;margin-right:14px;text-decoration:none}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:16px 20px;margin:18px 0}
h2{margin:0 0 10px;font-size:18px} h3{font-size:14px;margin:14px 0 6px}
.verdict{font-size:16px;padding:10px 14px;border-radius:6px;margin-bottom:14px}
.good{background:#e3f4e8;border-left:6px solid #2f9e55}
.fair{background:#fff4dc;border-left:6px solid #e0a100}
.poor{background:#fde4e1;border-left:6px solid #d64532}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.card{border:1px solid #dde1e6;border-radius:8px;padding:10px 12px;background:#fbfcfd}
.card .name{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5b6770}
.card .value{font-size:26px;font-weight:650;margin:2px 0}
.card .ceiling{font-size:12px;color:#5b6770} .card .reading{font-size:12px;margin-top:6px}
table{border-collapse:collapse;width:100%;margin:6px 0 4px}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meter{display:inline-block;width:70px;height:8px;background:#e6e9ed;border-radius:4px;
margin-left:6px;vertical-align:middle;overflow:hidden}
.meter i{display:block;height:100%;background:#2f6db5}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:12px}
.plotcard svg.plot{width:100%;height:auto}
.plotcard{border:1px solid #e6e9ed;border-radius:6px;padding:6px 6px 2px}
.plotcard h3{margin:2px 4px 0} .plotcard .sub{font-size:12px;color:#5b6770;margin:0 4px}
.heatmaps{display:flex;flex-wrap:wrap;gap:16px}
.note{color:#5b6770;font-size:13px} ul.notes{margin:4px 0;padding-left:20px}
.pairgrid{display:grid;grid-template-columns:repeat(2,minmax(300px,1fr));gap:12px;margin-bottom:12px}
"""

SECTIONS = [("summary", "Summary"), ("scores", "All scores"), ("columns", "Columns"),
            ("pairs", "Column pairs"), ("validity", "Validity"), ("missing", "Missing values"),
            ("detection", "Detection"), ("efficacy", "ML efficacy"), ("privacy", "Privacy"),
            ("data", "Data and sampling")]
# Only in reports of time series, just before "Data and sampling".
TS_SECTION = ("timeseries", "Time series")
PLOT_ACF_COLUMNS = 6  # autocorrelation charts drawn (every column is in the table)


def sections(doc: dict) -> list[tuple[str, str]]:
    """The sections of this report's page, in order."""
    if doc.get("timeseries") is None:
        return list(SECTIONS)
    return SECTIONS[:-1] + [TS_SECTION] + SECTIONS[-1:]


def _section(key: str, body: str) -> str:
    title = dict(SECTIONS + [TS_SECTION])[key]
    return f'<section id="{key}" data-section="{key}"><h2>{escape(title)}</h2>{body}</section>'


def _table(head: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """Rows are pre-escaped HTML cells; the columns listed in ``numeric`` are right-aligned."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(
        f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def _meter(x: float | None) -> str:
    if x is None:
        return ""
    return f'<span class="meter"><i style="width:{max(0.0, min(1.0, x)) * 100:.0f}%"></i></span>'


def _score(x: float | None) -> str:
    return escape(pct(x)) + _meter(x)


# ---- sections ---------------------------------------------------------------------------
def _summary(doc: dict) -> str:
    v = doc["verdict"]
    fid, det, priv, eff = doc["fidelity"], doc["detection"], doc["privacy"], doc["efficacy"]
    scores = doc["scores"]
    gbt_h = det["gbt"]["holdout"]
    dcr = priv["dcr_share"]
    cards = [
        ("Overall quality", pct(fid["quality"]["synthetic"]), pct(fid["quality"]["holdout"]),
         scores["quality"]["reading"]),
        ("Shape error", num(fid["shape_error"]["synthetic"], 1),
         num(fid["shape_error"]["holdout"], 1), scores["column_shapes"]["reading"]),
        ("Trend error", num(fid["trend_error"]["synthetic"], 1),
         num(fid["trend_error"]["holdout"], 1), scores["column_pair_trends"]["reading"]),
        ("Detection AUC", num(det["gbt"]["synthetic"]["auc"]),
         num(None if gbt_h is None else gbt_h["auc"]), scores["gbt_detection"]["reading"]),
        ("ML efficacy", pct(None if eff is None else eff["score"], 0),
         "100% (train on real)" if eff is not None else None, scores["ml_efficacy"]["reading"]),
        ("DCR share", pct(None if dcr is None else dcr["synthetic"]["share"]),
         None if dcr is None or dcr["holdout"] is None else pct(dcr["holdout"]["share"]),
         scores["dcr"]["reading"]),
        ("Exact copies", pct(priv["exact_copy_rate"]["synthetic"], 2),
         None if priv["exact_copy_rate"]["holdout"] is None
         else pct(priv["exact_copy_rate"]["holdout"], 2), scores["exact_copy"]["reading"]),
    ]
    ts = doc.get("timeseries")
    if ts is not None:
        disc = ts["discriminative"] or {"synthetic": None, "holdout": None}
        d_s, d_h = (None if e is None else e["score"] for e in (disc["synthetic"], disc["holdout"]))
        lag = ts["lag1_coherence"] or {"synthetic": None, "holdout": None}
        cards += [
            ("Discriminative score", num(d_s, 3), num(d_h, 3),
             scores["ts_discriminative"]["reading"]),
            ("Lag-1 coherence", pct(lag["synthetic"]), pct(lag["holdout"]),
             scores["ts_lag1_coherence"]["reading"]),
        ]
    html = [f'<div class="verdict {escape(v["level"])}"><b>Verdict: {escape(v["level"])}.</b> '
            f'{escape(v["text"])}</div><div class="cards">']
    for name, value, ceiling, reading in cards:
        ceil = "" if ceiling in (None, "n/a") else f"holdout: {escape(ceiling)}"
        html.append(f'<div class="card"><div class="name">{escape(name)}</div>'
                    f'<div class="value">{escape(value)}</div><div class="ceiling">{ceil}</div>'
                    f'<div class="reading">{escape(reading)}</div></div>')
    html.append("</div>")
    return "".join(html)


def _scores(doc: dict) -> str:
    rows = [[escape(s["label"]) + f' <code>{escape(k)}</code>', _score(s["synthetic"]),
             _score(s["holdout"]), escape(s["reading"])]
            for k, s in doc["scores"].items()]
    note = ('<p class="note">All scores are "higher is better" and can be used with '
            '<code>--fail-under NAME=VALUE</code> (value between 0 and 1). The holdout column is '
            'the same score for real rows the generator never saw: the ceiling to aim at.</p>')
    return note + _table(["Score", "Synthetic", "Holdout (ceiling)", "Reading"], rows, (1, 2))


def _columns(doc: dict) -> str:
    fid = doc["fidelity"]
    missing = {m["column"]: m for m in doc["missing"]}
    dists = {d["column"]: d for d in doc["distributions"]}
    rows, cards = [], []
    for c in fid["columns"]:
        name = c["column"]
        m = missing[name]
        rows.append([escape(name), escape(c["kind"]), escape(c["metric"]), _score(c["synthetic"]),
                     _score(c["holdout"]), escape(pct(m["real"])), escape(pct(m["synthetic"]))])
        if name in dists:
            cards.append(f'<div class="plotcard"><h3>{escape(name)}</h3><p class="sub">'
                         f'{escape(c["metric"])} {escape(pct(c["synthetic"]))} &middot; '
                         f'{escape(c["kind"])}</p>{plots.distribution_svg(dists[name])}</div>')
    table = _table(["Column", "Kind", "Metric", "Synthetic", "Holdout", "Missing (real)",
                    "Missing (synthetic)"], rows, (3, 4, 5, 6))
    return ('<p class="note">Worst columns first. KSComplement compares numeric and date '
            'distributions, TVComplement category frequencies (1 = identical).</p>'
            + table + plots.legend_svg() + f'<div class="grid">{"".join(cards)}</div>')


def _pairs(doc: dict) -> str:
    a, fid = doc["associations"], doc["fidelity"]
    maps = "".join(
        f'<div><h3>{escape(title)}</h3>{plots.heatmap_svg(a["columns"], a[key], title)}</div>'
        for key, title in (("real", "Real"), ("synthetic", "Synthetic"),
                           ("difference", "Difference (synthetic - real)")))
    rows = [[escape(p["column_1"]), escape(p["column_2"]), escape(p["metric"]),
             _score(p["synthetic"]), _score(p["holdout"])] for p in fid["pairs"][:WORST_PAIRS]]
    return (f'<p class="note">Association strength: {escape(a["method"])}; -1..1, with the '
            'difference on the same scale.</p>' + plots.legend_svg()
            + f'<div class="heatmaps">{maps}</div><h3>Worst pairs (of {len(fid["pairs"])})</h3>'
            + _table(["Column 1", "Column 2", "Metric", "Synthetic", "Holdout"], rows, (3, 4)))


def _validity(doc: dict) -> str:
    val = doc["validity"]
    rows = [[escape(c["column"]), escape(c["metric"]), _score(c["synthetic"]), _score(c["holdout"])]
            for c in val["columns"]]
    return (f'<p>{escape(doc["scores"]["data_validity"]["reading"])} '
            f'{escape(doc["scores"]["data_structure"]["reading"])}</p>'
            + _table(["Column", "Metric", "Synthetic", "Holdout"], rows, (2, 3)))


def _missing(doc: dict) -> str:
    has_h = doc["inputs"]["holdout"] is not None
    rows = [[escape(m["column"]), escape(pct(m["real"])), escape(pct(m["synthetic"]))]
            + ([escape(pct(m["holdout"]))] if has_h else []) for m in doc["missing"]]
    return ('<p class="note">Share of empty cells per column in the full tables.</p>'
            + _table(["Column", "Real", "Synthetic"] + (["Holdout"] if has_h else []), rows,
                     (1, 2, 3)))


def _detection(doc: dict) -> str:
    det, s = doc["detection"], doc["scores"]

    def auc(entry):
        return escape(num(None if entry is None else entry["auc"]))

    rows = [["Logistic regression (sdmetrics LogisticDetection)", auc(det["logistic"]["synthetic"]),
             auc(det["logistic"]["holdout"]), escape(s["logistic_detection"]["reading"])],
            ["Gradient-boosted trees (70% train / 30% test)", auc(det["gbt"]["synthetic"]),
             auc(det["gbt"]["holdout"]), escape(s["gbt_detection"]["reading"])]]
    return ('<p class="note">A classifier is trained to tell real rows from the other table\'s '
            'rows. ROC AUC 0.5 means it cannot; 1.0 means it always can.</p>'
            + _table(["Detector", "AUC synthetic", "AUC holdout", "Reading"], rows, (1, 2)))


def _efficacy(doc: dict) -> str:
    eff = doc["efficacy"]
    if eff is None:
        return f'<p>{escape(doc["scores"]["ml_efficacy"]["reading"])}</p>'
    keys = ["auc", "accuracy"] if eff["task"] == "classification" else ["rmse", "r2"]
    rows = []
    for label, res in (("Train on real", eff["train_on_real"]),
                       ("Train on synthetic", eff["train_on_synthetic"])):
        rows.append([label] + [escape(num(None if res is None else res.get(k), 3)) for k in keys]
                    + [escape(str(None if res is None else res["train_rows"]))])
    return (f'<p>{escape(doc["scores"]["ml_efficacy"]["reading"])}</p><p class="note">Target '
            f'<code>{escape(eff["target"])}</code> ({escape(eff["task"])}), model '
            f'{escape(eff["model"])}, tested on {escape(eff["test_set"])} '
            f'({eff["test_rows"]:,} rows).</p>'
            + _table(["Model", *[k.upper() if k != "accuracy" else "Accuracy" for k in keys],
                      "Training rows"], rows, tuple(range(1, len(keys) + 2))))


def _privacy(doc: dict) -> str:
    p, s = doc["privacy"], doc["scores"]
    dcr = p["dcr_share"]

    def share(key):
        return escape(pct(None if dcr is None or dcr[key] is None else dcr[key]["share"]))

    def ratio(key, stat):
        e = p["nndr"][key]
        return escape(num(None if e is None else e[stat]))

    rows = [["DCR share (closer to train than holdout)", share("synthetic"), share("holdout"),
             escape(s["dcr"]["reading"])],
            ["Exact copies of training rows", escape(pct(p["exact_copy_rate"]["synthetic"], 2)),
             escape(pct(p["exact_copy_rate"]["holdout"], 2)), escape(s["exact_copy"]["reading"])],
            ["NN distance ratio, median", ratio("synthetic", "median"), ratio("holdout", "median"),
             escape(s["nndr"]["reading"])],
            ["NN distance ratio, 5th percentile", ratio("synthetic", "p05"),
             ratio("holdout", "p05"), "The closest 5% of rows: near 0 means some near copies."]]
    return ('<p class="note">Distances: numbers as ranks among the training values, categories '
            'one-hot; every column weighs at most 1. The DCR share is weighted by the sizes of '
            'the training and holdout tables so that 50% is ideal. Key (id) columns are ignored '
            'for exact copies.</p>'
            + _table(["Measure", "Synthetic", "Holdout", "Reading"], rows, (1, 2)))


def _data(doc: dict) -> str:
    inp, samp = doc["inputs"], doc["sampling"]
    size_rows = [[name, f'{inp[name]["rows"]:,}', str(inp[name]["columns"])]
                 for name in ("real", "synthetic", "holdout") if inp[name] is not None]
    used_rows = []
    for family, used in samp["rows_used"].items():
        if used:
            used_rows.append([escape(family), escape(", ".join(f"{k} {v:,}" for k, v in
                                                              used.items() if v is not None))])
    caps = ", ".join(f"{k} {v:,}" for k, v in samp["caps"].items())
    notes = "".join(f"<li>{escape(n)}</li>" for n in samp["notes"]) or "<li>No table was subsampled.</li>"
    times = ", ".join(f"{k} {v:.1f} s" for k, v in doc["timings"].items())
    return (_table(["Table", "Rows", "Columns"], size_rows, (1, 2))
            + "<h3>Rows used per metric family</h3>" + _table(["Family", "Rows"], used_rows)
            + f'<p class="note">Row caps: {escape(caps)} (seed {samp["seed"]}).</p>'
            + f'<ul class="notes">{notes}</ul>'
            + f'<p class="note">Time: {escape(times)}. Report format {escape(doc["format_version"])}, '
            f'synthgen {escape(doc["synthgen_version"])}, created {escape(doc["created"])}.</p>'
            + '<h3>How the verdict is formed</h3><p class="note">Fidelity is good when quality '
            f'&ge; {QUALITY_GOOD:.0%} and detection AUC &le; {AUC_GOOD}, fair when quality &ge; '
            f'{QUALITY_FAIR:.0%} and AUC &le; {AUC_FAIR}. Privacy is good when exact copies are no '
            f'more common than in the holdout and the DCR share is &le; {DCR_GOOD:.0%}, fair up to '
            f'{DCR_FAIR:.0%}. These are rules of thumb; compare with the holdout column.</p>')


def _ts_rows(ts: dict, scores: dict) -> list[list[str]]:
    def pair(entry, key=None):
        if entry is None:
            return None, None
        s, h = entry["synthetic"], entry["holdout"]
        if key is not None:
            s = None if s is None else s[key]
            h = None if h is None else h[key]
        return s, h

    rows = []
    if ts["entity"] is not None:
        s, h = pair(ts["sequence_length"])
        rows.append(["Sequence lengths (1 - KS)", _score(s), _score(h),
                     escape(scores["ts_sequence_length"]["reading"])])
    for key, label, text in (
            ("context_shapes", "Context shapes (one row per sequence)",
             "KS / TV complement of the context columns over one row per sequence."),
            ("step_shapes", "Step shapes (all rows)",
             "KS / TV complement of the time-varying columns over all rows.")):
        s, h = pair(ts[key])
        rows.append([escape(label), _score(s), _score(h),
                     escape(text if ts[key] is not None else "No such columns.")])
    s, h = pair(ts["lag1_coherence"])
    rows.append(["Lag-1 coherence", _score(s), _score(h),
                 escape(scores["ts_lag1_coherence"]["reading"])])
    s, h = pair(ts["autocorrelation"])
    rows.append(["Autocorrelation", _score(s), _score(h),
                 escape(scores["ts_autocorrelation"]["reading"])])
    s, h = pair(ts["discriminative"], "score")
    rows.append(["Discriminative score |accuracy - 0.5| (lower is better)", escape(num(s, 3)),
                 escape(num(h, 3)), escape(scores["ts_discriminative"]["reading"])])
    pred = ts["predictive"]
    if pred is not None:
        rows.append([f'Predictive score: next-step MAE of <code>{escape(pred["target"])}</code> '
                     '(lower is better)', escape(num(pred["synthetic"], 4)),
                     escape(num(pred["holdout"], 4)),
                     escape(f'Trained on synthetic (Synthetic column) or real windows (Holdout '
                            f'column: the reference), tested on {pred["test_set"]}; on all '
                            f'real windows (the published protocol): '
                            f'{num(pred["protocol_mae"], 4)}.')])
    return rows


def _sequence_plots(ts: dict) -> str:
    p = ts["plots"]
    if not p or not p["columns"]:
        return '<p class="note">No numeric time-varying column to plot.</p>'
    cards = []
    for col in p["columns"]:
        sides = []
        for side, colour in (("real", plots.REAL), ("synthetic", plots.SYNTH)):
            lines = []
            for k, item in enumerate(p[side]):
                first = item["steps"][0] if item["steps"] else 0
                lines.append({"x": [x - first for x in item["steps"]], "y": item["values"][col],
                              "colour": colour, "dash": k, "title": f"{side}: {item['label']}"})
            sides.append((side, lines))
        y_range = plots.value_range([ln for _, lines in sides for ln in lines])
        x_max = max([ln["x"][-1] for _, lines in sides for ln in lines if ln["x"]] or [1])
        for side, lines in sides:
            names = "; ".join(escape(item["label"]) for item in p[side])
            cards.append(f'<div class="plotcard"><h3>{escape(col)}: {side}</h3>'
                         f'<p class="sub">{names}</p>'
                         + plots.line_chart_svg(lines, f"sequences of {col}: {side}", y_range,
                                                x_max, "step in the stretch shown")
                         + "</div>")
    return f'<div class="pairgrid">{"".join(cards)}</div>'


def _acf_plots(ts: dict) -> str:
    acf = ts["autocorrelation"]
    if acf is None:
        return ""
    cards = []
    for entry in acf["columns"][:PLOT_ACF_COLUMNS]:
        lags = list(range(1, len(entry["real"]) + 1))
        lines = [{"x": lags, "y": entry["real"], "colour": plots.REAL, "dash": 0,
                  "title": "real"},
                 {"x": lags, "y": entry["synthetic"], "colour": plots.SYNTH, "dash": 0,
                  "title": "synthetic"}]
        if entry["holdout"] is not None:
            lines.append({"x": lags, "y": entry["holdout"], "colour": plots.TEXT, "dash": 2,
                          "title": "holdout"})
        cards.append(f'<div class="plotcard"><h3>{escape(entry["column"])}</h3><p class="sub">'
                     f'autocorrelation by lag &middot; match {escape(pct(entry["score"]["synthetic"]))}'
                     '</p>' + plots.line_chart_svg(lines, f"autocorrelation of {entry['column']}",
                                                   (-1.0, 1.0), float(acf["max_lag"]), "lag")
                     + "</div>")
    return ('<h3>Autocorrelation</h3><p class="note">Mean over sequences; real in blue, '
            'synthetic in orange, holdout dotted grey.</p>'
            f'<div class="grid">{"".join(cards)}</div>')


def _timeseries(doc: dict) -> str:
    ts = doc["timeseries"]
    seq = ts["sequences"]
    win = ts["windows"]
    if ts["mode"] == "panel":
        what = f'one sequence per <code>{escape(ts["entity"])}</code>'
    else:
        what = "the real table is one sequence" + (
            f', synthetic series numbered by <code>{escape(ts["synthetic_key"])}</code>'
            if ts["synthetic_key"] else "")
    order = (f'ordered by <code>{escape(ts["order"])}</code>' if ts["order"]
             else "in row order")
    counts = "; ".join(
        f'{name}: {s["count"]:,} sequences, mean length {s["mean_length"]:.1f}'
        for name, s in seq.items() if s is not None)
    context = ", ".join(f"<code>{escape(c)}</code>" for c in ts["context"]) or "none"
    windows = ("The sequence models were not run." if win["used"] is None else
               f'Windows of {win["used"]} steps (stride {win["stride"]}, at most '
               f'{win["max_windows"]:,} per table), {win["features"]} features per step.')
    intro = (f'<p class="note">Sequences: {what}, {order}. {escape(counts)}. Context columns: '
             f'{context}. {escape(windows)} The holdout column measures real data the generator '
             'never saw in place of the synthetic table (the ceiling).</p>')
    table = _table(["Measure", "Synthetic", "Holdout (ceiling)", "Reading"],
                   _ts_rows(ts, doc["scores"]), (1, 2))
    cols = []
    lag = ts["lag1_coherence"]
    acf = {e["column"]: e for e in (ts["autocorrelation"] or {"columns": []})["columns"]}
    for entry in (lag["columns"] if lag else []):
        a = acf.get(entry["column"])
        measure = "Spearman" if entry["measure"] == "spearman" else "same label"
        cols.append([escape(entry["column"]), escape(measure), escape(num(entry["real"], 3)),
                     escape(num(entry["synthetic"], 3)), escape(num(entry["holdout"], 3)),
                     _score(None if a is None else a["score"]["synthetic"]),
                     _score(None if a is None else a["score"]["holdout"])])
    per_column = ("<h3>Per column</h3>" + _table(
        ["Column", "Lag-1 measure", "Real", "Synthetic", "Holdout", "ACF match",
         "ACF match (holdout)"], cols, (2, 3, 4, 5, 6))) if cols else ""
    notes = "".join(f"<li>{escape(n)}</li>" for n in ts["notes"])
    return (intro + table + per_column
            + '<h3>Sequences</h3><p class="note">A few random stretches of real (blue) and '
            'synthetic (orange) sequences, on the same scale; each line is one stretch.</p>'
            + plots.legend_svg(heatmap=False) + _sequence_plots(ts) + _acf_plots(ts)
            + (f'<ul class="notes">{notes}</ul>' if notes else ""))


def render(doc: dict) -> str:
    inp = doc["inputs"]
    page_sections = sections(doc)
    nav = "".join(f'<a href="#{k}">{escape(t)}</a>' for k, t in page_sections)
    sub = (f'{inp["real"]["rows"]:,} real rows vs {inp["synthetic"]["rows"]:,} synthetic rows'
           + ("" if inp["holdout"] is None else f', {inp["holdout"]["rows"]:,} holdout rows')
           + f', {inp["real"]["columns"]} columns'
           + ("" if inp["target"] is None else f', target {inp["target"]}'))
    render_fn = {"summary": _summary, "scores": _scores, "columns": _columns, "pairs": _pairs,
                 "validity": _validity, "missing": _missing, "detection": _detection,
                 "efficacy": _efficacy, "privacy": _privacy, "timeseries": _timeseries,
                 "data": _data}
    body = "".join(_section(k, render_fn[k](doc)) for k, _ in page_sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>synthgen report</title><style>{CSS}</style></head><body>"
        f"<header><h1>synthgen report</h1><p>{escape(sub)}</p><nav>{nav}</nav></header>"
        f"<main>{body}</main></body></html>\n")
