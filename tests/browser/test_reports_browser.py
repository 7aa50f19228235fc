"""Open one report per role in real headless Chromium: not blank, no broken image, no
page wider than the viewport. `make test` installs Debian's chromium first; without it
these tests fail, they never skip."""

import json
import os
import re
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from eduhouse_dev.sample_lake import build_sample_lake
from orchestration.reporting.browser import chromium_path, dump_dom, screenshot
from orchestration.reporting.render import render_reports

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    path = chromium_path()
    assert path, "chromium is not on PATH: run `make test` (it installs Debian's chromium) or apt-get install chromium"
    return path
WIDTH, HEIGHT = 1280, 900
PAGES = {
    "student": "k0005", "parent": "k0005", "teacher": "tch-math-sch-1", "head_teacher": "sch-1-hr-07-1",
    "grade_leader": "sch-1_07", "principal": "sch-1", "subject_researcher": "dist-1_math",
    "district_admin": "dist-1", "city_admin": "city-1",
}
PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
  var svgs = document.querySelectorAll("svg").length;
  var out = document.createElement("pre");
  out.id = "eduhouse-probe";
  out.textContent = JSON.stringify({scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth, broken: broken, images: imgs.length, svgs: svgs,
    text: document.body.innerText.length});
  document.body.appendChild(out);
});
</script>"""


def png_ink(path: Path) -> tuple[tuple[int, int], float]:
    """(size, share of non-zero bytes in the PNG's filtered scanlines). A page of one
    colour filters to zeros, so the share is ~0; a page of text and charts is > 1 %.
    Cheap enough to need no image library."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos: pos + 8])
        chunk = data[pos + 8: pos + 8 + length]
        if kind == b"IHDR":
            size = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(size[1], -1)[:, 1:]
    return size, float((raw != 0).mean())


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    lake = build_sample_lake(tmp_path_factory.mktemp("browser_lake"))
    render_reports(lake, workers=1)
    return lake / "reports"


def _open(rendered: Path, shots: Path, role: str) -> tuple[str, Path]:
    page = rendered / role / f"{PAGES[role]}.html"
    probe = page.with_name(f"probe_{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    return dump_dom(probe, WIDTH, HEIGHT), screenshot(page, shots / f"{role}.png", WIDTH, HEIGHT)


@pytest.fixture(scope="module")
def opened(rendered, tmp_path_factory) -> dict[str, tuple[str, Path]]:
    """Every role's page opened in Chromium, two browsers at a time (2 cores)."""
    shots = tmp_path_factory.mktemp("shots")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda role: (role, _open(rendered, shots, role)), PAGES)
        return dict(results)


@pytest.mark.parametrize("role", list(PAGES))
def test_report_renders_in_chromium(opened, role):
    dom, png = opened[role]
    found = re.search(r'<pre id="eduhouse-probe">(.*?)</pre>', dom, re.S)
    assert found, f"probe did not run: {dom[-500:]}"
    facts = json.loads(found.group(1).replace("&quot;", '"'))
    assert facts["broken"] == 0, facts
    assert facts["scrollWidth"] <= facts["innerWidth"], f"page wider than the viewport: {facts}"
    assert facts["svgs"] >= 1 and facts["text"] > 200, facts

    size, ink = png_ink(png)
    assert size == (WIDTH, HEIGHT)
    assert ink > 0.005, f"page is (nearly) blank: {ink:.4%} of the image differs from its neighbours"
    if role == "district_admin" and os.environ.get("EDUHOUSE_UPDATE_SCREENSHOTS"):
        # refresh the README's screenshot only when asked (tests do not write the repo)
        docs = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "district_admin.png"
        docs.parent.mkdir(parents=True, exist_ok=True)
        docs.write_bytes(png.read_bytes())
        assert docs.stat().st_size < 500_000


def test_pdf_prints(rendered, tmp_path):
    from orchestration.reporting.browser import html_to_pdf

    pdf = html_to_pdf(rendered / "principal" / "sch-1.html", tmp_path / "principal.pdf")
    head = pdf.read_bytes()[:5]
    assert head == b"%PDF-" and pdf.stat().st_size > 5_000


def test_pdf_prints_wide_tables_on_landscape_pages(rendered, tmp_path):
    """A4 as a principal prints it: the report's pages are portrait, and the 12-column
    platform-use table gets landscape pages of its own instead of clipped columns."""
    import re

    from orchestration.reporting.browser import html_to_pdf

    html = (rendered / "principal" / "sch-1.html").read_text(encoding="utf-8")
    assert re.search(r'<section class="card wide" id="[^"]+">\s*<h2>[^<]*平台应用情况', html)
    pdf = html_to_pdf(rendered / "principal" / "sch-1.html", tmp_path / "principal.pdf").read_bytes()
    boxes = [(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)]
    assert boxes, "the PDF names its page sizes"
    portrait = [b for b in boxes if b[1] > b[0]]
    landscape = [b for b in boxes if b[0] > b[1]]
    assert portrait and landscape, boxes
    a4 = (595.92, 842.88)  # points
    assert all(abs(min(b) - a4[0]) < 2 and abs(max(b) - a4[1]) < 2 for b in boxes), boxes
