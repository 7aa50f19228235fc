"""Render every report page: contexts built per scope, Jinja2 templates compiled once
per worker process, pages written under ``<lake>/reports/<role>/<id>.html``.

Data is loaded once in the parent (ReportData); the pool is forked afterwards, so the
workers share it copy-on-write and each task carries only a list of scopes.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from orchestration.lake import LakePaths
from orchestration.pages.env import make_env
from orchestration.reporting.contexts import build_context
from orchestration.reporting.data import ReportData, load_report_data
from orchestration.reporting.scopes import ROLES, Scope, resolve_scopes
from orchestration.settings import DEFAULT_MIN_CELL, DEFAULT_TOP_N

CHUNK = 200  # scopes per task handed to a render worker


@dataclass
class PageResult:
    role: str
    page_id: str
    relpath: str
    org_id: str
    title: str


# Per-process state: set in the parent before forking, templates compiled per worker.
_DATA: ReportData | None = None
_OUT: Path | None = None
_ENV: jinja2.Environment | None = None
_TEMPLATES: dict[str, jinja2.Template] = {}
_GENERATED: str = ""


def _init_worker(lang: str) -> None:
    global _ENV, _TEMPLATES
    _ENV = make_env(lang)
    _TEMPLATES = {role: _ENV.get_template(f"{role}.html") for role in ROLES}


NAMED_BY_KEY = ("student", "parent")


def render_page(scope: Scope) -> PageResult:
    """Build one scope's context, render it and write the file."""
    assert _DATA is not None and _OUT is not None and _ENV is not None
    t = _ENV.globals["t"]
    ctx = build_context(t, _DATA, scope)
    ctx.pop("facts", None)
    html = _TEMPLATES[scope.role].render(
        **ctx, root="../", generated_at=_GENERATED, as_of=str(_DATA.as_of or ""), missing=_DATA.store.missing
    )
    path = _OUT / scope.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    # A student's or parent's page is named by its pseudonymous key; a title with the
    # child's name in pages.json and the index would map every key back to a name.
    title = t(f"role.{scope.role}") if scope.role in NAMED_BY_KEY else ctx["title"]
    return PageResult(scope.role, scope.page_id, scope.relpath, scope.org_id, title)


def _render_chunk(scopes: list[Scope]) -> tuple[list[PageResult], float]:
    """Render a chunk; also return the CPU seconds it took (load-independent timing)."""
    started = time.process_time()
    pages = [render_page(s) for s in scopes]
    return pages, time.process_time() - started


def _chunks(items: list[Scope], size: int) -> Iterable[list[Scope]]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


def _update_manifest(out: Path, roles: tuple[str, ...], pages: list[PageResult]) -> list[PageResult]:
    """Pages of every role rendered so far (reports/pages.json): a run of some roles
    replaces those roles' entries and removes their pages that no longer have a scope."""
    manifest = out / "pages.json"
    kept: list[PageResult] = []
    if manifest.exists():
        kept = [PageResult(**p) for p in json.loads(manifest.read_text(encoding="utf-8")) if p["role"] not in roles]
    fresh = {p.relpath for p in pages}
    for role in roles:
        folder = out / role
        for old in folder.glob("*.html") if folder.exists() else ():
            if old.name != "index.html" and f"{role}/{old.name}" not in fresh:
                old.unlink()
    merged = kept + pages
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(p) for p in merged], ensure_ascii=False), encoding="utf-8")
    tmp.replace(manifest)
    return merged


@dataclass
class RenderSummary:
    pages: list[PageResult]
    seconds: float
    index_path: Path
    missing_marts: list[str]
    render_cpu_seconds: float = 0.0  # CPU time of the page renders, summed over workers

    def count(self, role: str | None = None) -> int:
        return sum(1 for p in self.pages if role is None or p.role == role)

    @property
    def pages_per_second(self) -> float:
        return len(self.pages) / self.seconds if self.seconds else 0.0


def render_reports(
    lake: str | Path,
    roles: Iterable[str] = ROLES,
    min_cell: int = DEFAULT_MIN_CELL,
    top_n: int = DEFAULT_TOP_N,
    workers: int = 2,
    lang: str = "zh",
    data: ReportData | None = None,
) -> RenderSummary:
    """Render all pages of ``roles`` and the index pages; return what was written."""
    global _DATA, _OUT, _GENERATED
    started = time.perf_counter()
    roles = tuple(r for r in ROLES if r in set(roles))
    data = data or load_report_data(lake, min_cell=min_cell, top_n=top_n)
    out = LakePaths(Path(lake)).reports
    out.mkdir(parents=True, exist_ok=True)
    # Pages carry names: readable by the service's user only, delivered through
    # `eduhouse serve` (docs/serve.md), never a folder to share as is.
    os.chmod(out, 0o700)
    _DATA, _OUT = data, out
    _GENERATED = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    staff = data.store.table("staff_scope")
    scopes = resolve_scopes(staff, data.ident, data.orgs, data.as_of, roles)
    pages: list[PageResult] = []
    cpu = 0.0
    if workers > 1 and len(scopes) > CHUNK // 4:
        ctx = mp.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(lang,)) as pool:
            for result, spent in pool.map(_render_chunk, _chunks(scopes, CHUNK)):
                pages.extend(result)
                cpu += spent
    else:
        _init_worker(lang)
        pages, cpu = _render_chunk(scopes)
    from orchestration.reporting.index import write_indexes

    all_pages = _update_manifest(out, roles, pages)
    index_path = write_indexes(out, all_pages, data, make_env(lang), _GENERATED)
    return RenderSummary(pages, time.perf_counter() - started, index_path, list(data.store.missing), cpu)
