"""The HTML report in a real browser: it renders in headless Chromium with no script errors
and no network requests, every section is laid out, and the plots are actually drawn (checked
on a screenshot, region by region)."""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from synthgen.report import evaluate
from synthgen.report.html import SECTIONS

from .conftest import shuffle_columns
from .png import read_png

WIDTH = 1280
SCALE = 0.5  # screenshot at half resolution: the checks need colours, not detail

# Inserted into a copy of the report (the report itself has no scripts): collect errors,
# then write the layout of every section and plot into a <pre id="probe"> for --dump-dom.
PROBE_HEAD = "<script>window.__errors=[];addEventListener('error',e=>__errors.push(String(e.message)));</script>"
PROBE_BODY = """<script>(function(){
 const box = el => { const b = el.getBoundingClientRect();
   return [b.left + scrollX, b.top + scrollY, b.width, b.height]; };
 const out = {errors: window.__errors,
   resources: performance.getEntriesByType('resource').length,
   height: document.documentElement.scrollHeight,
   sections: Object.fromEntries([...document.querySelectorAll('section[data-section]')]
     .map(s => [s.dataset.section, box(s)])),
   plots: [...document.querySelectorAll('svg.plot')]
     .map(s => ({label: s.getAttribute('aria-label'), box: box(s)}))};
 const pre = document.createElement('pre'); pre.id = 'probe';
 pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
})();</script>"""


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed (apt-get install chromium chromium-driver)")


def _run_chromium(binary, profile, *args) -> subprocess.CompletedProcess:
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


@pytest.fixture(scope="module")
def rendered(real, holdout, tmp_path_factory):
    binary = _chromium()
    d = tmp_path_factory.mktemp("html")
    report = evaluate(real, shuffle_columns(real, seed=3), holdout=holdout, target="label")
    page = report.to_html(d / "report.html")
    probe = page.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';")
    probe = probe.replace("<head>", "<head>" + PROBE_HEAD, 1).replace("</body>", PROBE_BODY + "</body>")
    (d / "probe.html").write_text(probe, encoding="utf-8")
    url = (d / "probe.html").as_uri()
    dom = _run_chromium(binary, d / "p1", f"--window-size={WIDTH},1000", "--dump-dom", url)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"no layout probe in the DOM dump; stderr: {dom.stderr[-2000:]}"
    layout = json.loads(htmllib.unescape(found.group(1)))
    height = min(int(layout["height"]), 9000)
    shot = _run_chromium(binary, d / "p2", f"--window-size={WIDTH},{height}",
                         f"--force-device-scale-factor={SCALE}", f"--screenshot={d / 'shot.png'}", url)
    assert (d / "shot.png").exists(), shot.stderr[-2000:]
    # The layout is measured with a 1000 px tall window and the screenshot taken with a
    # taller one; the page is as wide in both, so boxes line up.
    return {"page": page, "layout": layout, "pixels": read_png(d / "shot.png"),
            "logs": dom.stderr + shot.stderr}


def _crop(rendered, box):
    px = rendered["pixels"]
    s = px.shape[1] / WIDTH
    x, y, w, h = (int(round(v * s)) for v in box)
    return px[y:y + h, x:x + w].astype(int)


def test_page_is_self_contained(rendered):
    page = rendered["page"]
    assert "<script" not in page.lower()
    assert "Content-Security-Policy" in page  # the browser may fetch nothing at all
    assert not re.search(r"(src|href)=\"(https?:)?//", page)


def test_no_script_errors_or_network_requests(rendered):
    layout = rendered["layout"]
    assert layout["errors"] == []
    assert layout["resources"] == 0
    assert "Uncaught" not in rendered["logs"]


def test_every_section_is_laid_out_in_order(rendered):
    sections = rendered["layout"]["sections"]
    assert list(sections) == [key for key, _ in SECTIONS]
    tops = [box[1] for box in sections.values()]
    assert tops == sorted(tops)
    for key, (_, _, w, h) in sections.items():
        assert w > 600 and h > 60, key
    # Each section shows something: dark text pixels in its box.
    for key, box in sections.items():
        crop = _crop(rendered, box)
        assert (crop.max(axis=2) < 120).mean() > 0.002, f"section {key} looks empty"


def test_plots_are_drawn(rendered):
    plots = rendered["layout"]["plots"]
    dists = [p for p in plots if p["label"].startswith("distribution of")]
    maps = [p for p in plots if p["label"] in ("Real", "Synthetic", "Difference (synthetic - real)")]
    assert len(dists) == 8  # every column except the key
    assert len(maps) == 3
    for p in dists:
        crop = _crop(rendered, p["box"])
        r, b = crop[..., 0], crop[..., 2]
        blue = ((b - r) > 50).mean()  # real bars (solid or translucent)
        orange = ((r - b) > 80).mean()  # synthetic bars / outline
        assert blue > 0.005 and orange > 0.002, f"{p['label']}: blue {blue:.4f} orange {orange:.4f}"
        assert (crop.min(axis=2) < 235).mean() > 0.03, p["label"]
    for p in maps:
        crop = _crop(rendered, p["box"])
        colours = {tuple(c) for c in crop.reshape(-1, 3)[::3]}
        assert len(colours) > 20, p["label"]
        saturated = (crop.max(axis=2) - crop.min(axis=2)) > 60  # red or blue cells, not text
        assert saturated.mean() > 0.005, p["label"]


def test_screenshot_has_colour_where_plots_are_and_not_elsewhere(rendered):
    # Sanity check of the checker: the plain-text data section has no plot colours.
    box = rendered["layout"]["sections"]["data"]
    crop = _crop(rendered, box)
    orange = ((crop[..., 0] - crop[..., 2]) > 80).mean()
    assert orange < 0.001
    assert np.asarray(rendered["pixels"]).shape[1] == int(WIDTH * SCALE)
