"""Headless Chromium for PDFs, screenshots and DOM dumps of rendered reports.

Used by `eduhouse report --pdf` and by the browser tests. Chromium is optional: where it
is not installed, ``chromium_path()`` is None and callers skip or say so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BASE_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")
TIMEOUT_S = 120


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str]) -> subprocess.CompletedProcess:
    exe = chromium_path()
    if exe is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    return subprocess.run([exe, *BASE_FLAGS, *args], capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def html_to_pdf(html: str | Path, pdf: str | Path) -> Path:
    """Print one report to PDF with its print stylesheet (A4)."""
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    result = _run(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()])
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"chromium did not write {pdf}: {result.stderr[-500:]}")
    return pdf


def screenshot(html: str | Path, png: str | Path, width: int = 1280, height: int = 900) -> Path:
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    result = _run(["--hide-scrollbars", f"--screenshot={png}", f"--window-size={width},{height}", Path(html).resolve().as_uri()])
    if not png.exists():
        raise RuntimeError(f"chromium did not write {png}: {result.stderr[-500:]}")
    return png


def dump_dom(html: str | Path, width: int = 1280, height: int = 900) -> str:
    """The DOM after scripts ran (the page's own inline scripts included)."""
    result = _run([f"--window-size={width},{height}", "--virtual-time-budget=3000", "--dump-dom", Path(html).resolve().as_uri()])
    return result.stdout
