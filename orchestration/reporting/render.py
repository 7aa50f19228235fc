"""Render every report page: contexts built per scope, Jinja2 templates compiled once
per worker process, pages written under ``<lake>/reports/<role>/<id>.html``.

Data is loaded once in the parent (ReportData); the pool is forked afterwards, so the
workers share it copy-on-write and each task carries only a list of scopes.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import orjson

from orchestration.lake import LakePaths
from orchestration.pages.env import STATIC_DIR, TEMPLATES_DIR, make_env
from orchestration.pages.i18n import I18N_DIR
from orchestration.reporting.contexts import LISTED_TITLES, build_context
from orchestration.reporting.data import ReportData, load_report_data
from orchestration.reporting.scopes import ON_DEMAND_ROLES, ROLES, Scope, resolve_scopes
from orchestration.reporting.store import BELOW_DISTRICT_ONLY, STUDENT_PAGES_ONLY
from orchestration.settings import DEFAULT_MIN_CELL, DEFAULT_TOP_N

CHUNK = 200  # scopes per task handed to a render worker


@dataclass
class PageResult:
    role: str
    page_id: str
    relpath: str
    org_id: str
    title: str
    on_demand: bool = False  # listed only: `eduhouse serve` renders it when it is asked for
    digest: str = ""  # of the page's inputs (page_digest): equal next run, the file is kept
    written: bool = True  # this run wrote the file (False: its inputs had not changed)


# What pages.json holds of each page (not ``written``: that is this run's, not the page's).
MANIFEST_FIELDS = ("role", "page_id", "relpath", "org_id", "title", "on_demand", "digest")

# Per-process state: set in the parent before forking, templates compiled per worker.
_DATA: ReportData | None = None
_OUT: Path | None = None
_ENV: jinja2.Environment | None = None
_TEMPLATES: dict[str, jinja2.Template] = {}
_GENERATED: str = ""
_PREVIOUS: dict[str, str] = {}  # relpath -> digest of the page on disk (pages.json)
_INPUTS: bytes = b""  # what every page depends on besides its context (templates_digest)


def templates_digest(lang: str, data: ReportData, dated: bool = True) -> bytes:
    """The inputs every page shares: the templates, the style sheet every page inlines,
    the message catalogue, the language, the reference date (not with ``dated`` false:
    the index pages do not show it) and the marts missing from the lake."""
    h = hashlib.blake2b(digest_size=16)
    for path in sorted([*TEMPLATES_DIR.rglob("*"), *STATIC_DIR.rglob("*"), *I18N_DIR.glob("*.yaml")]):
        if path.is_file():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(f"{lang}|{data.as_of if dated else ''}|{sorted(data.store.missing)}".encode())
    return h.digest()


def page_digest(ctx: dict) -> str:
    """A content hash of one page's inputs: its context (every figure, row, chart and
    label the template is given, built from the marts through the page's scope) and the
    shared inputs. Equal digests render equal pages, except for the generation time."""
    return hashlib.blake2b(_INPUTS + repr(ctx).encode(), digest_size=16).hexdigest()


def _init_worker(lang: str) -> None:
    global _ENV, _TEMPLATES
    _ENV = make_env(lang)
    _TEMPLATES = {role: _ENV.get_template(f"{role}.html") for role in ROLES}


NAMED_BY_KEY = ("student", "parent")


def page_context(env: jinja2.Environment, data: ReportData, scope: Scope) -> dict:
    ctx = build_context(env.globals["t"], data, scope)
    ctx.pop("facts", None)
    return ctx


def page_html(env: jinja2.Environment, templates: dict[str, jinja2.Template], data: ReportData, scope: Scope,
              generated: str, ctx: dict | None = None) -> tuple[str, dict]:
    """One scope's page and its context: the batch and `eduhouse serve` render alike."""
    ctx = page_context(env, data, scope) if ctx is None else ctx
    html = templates[scope.role].render(**ctx, root="../", generated_at=generated, as_of=str(data.as_of or ""),
                                        missing=data.store.missing)
    return html, ctx


def _title(t, scope: Scope, ctx: dict | None, data: ReportData | None = None) -> str:
    """The page's title in pages.json and the index: from its context, or for a page
    listed only (rendered on demand), from its scope (LISTED_TITLES)."""
    # A student's or parent's page is named by its pseudonymous key; a title with the
    # child's name in pages.json and the index would map every key back to a name.
    if scope.role in NAMED_BY_KEY:
        return t(f"role.{scope.role}")
    return ctx["title"] if ctx is not None else LISTED_TITLES[scope.role](t, data, scope)


def render_page(scope: Scope) -> PageResult:
    """Build one scope's context; render and write the page unless the file on disk was
    rendered from the same inputs (its digest in pages.json)."""
    assert _DATA is not None and _OUT is not None and _ENV is not None
    ctx = page_context(_ENV, _DATA, scope)
    digest = page_digest(ctx)
    path = _OUT / scope.relpath
    title = _title(_ENV.globals["t"], scope, ctx)
    if _PREVIOUS.get(scope.relpath) == digest and path.is_file():
        return PageResult(scope.role, scope.page_id, scope.relpath, scope.org_id, title, digest=digest, written=False)
    html, _ = page_html(_ENV, _TEMPLATES, _DATA, scope, _GENERATED, ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a page, and a crash leaves the old one whole
    return PageResult(scope.role, scope.page_id, scope.relpath, scope.org_id, title, digest=digest)


def _render_chunk(scopes: list[Scope]) -> tuple[list[PageResult], float]:
    """Render a chunk; also return the CPU seconds it took (load-independent timing)."""
    started = time.process_time()
    pages = [render_page(s) for s in scopes]
    return pages, time.process_time() - started


def _chunks(items: list[Scope], size: int) -> Iterable[list[Scope]]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


def read_manifest(out: Path) -> list[PageResult]:
    """Every page listed in ``<out>/pages.json`` (what the pipeline and the server share)."""
    return _page_results(manifest_rows(out))


def manifest_rows(out: Path) -> list[dict]:
    """``<out>/pages.json`` as parsed JSON. orjson: the 123 k entries of a district took
    0.3 s with json, twice a run (the render and the run's summary)."""
    manifest = out / "pages.json"
    return orjson.loads(manifest.read_bytes()) if manifest.exists() else []


def _page_results(rows: Iterable[dict]) -> list[PageResult]:
    fields = set(PageResult.__dataclass_fields__)
    return [PageResult(**{k: v for k, v in p.items() if k in fields}) for p in rows]


def _update_manifest(out: Path, roles: tuple[str, ...], pages: list[PageResult],
                     previous: list[PageResult] | None = None) -> list[PageResult]:
    """Pages of every role rendered so far (reports/pages.json): a run of some roles
    replaces those roles' entries and removes their pages that no longer have a scope.
    ``previous``: the manifest as this render read it at its start (123 k entries at a
    district: not read twice)."""
    manifest = out / "pages.json"
    kept = [p for p in (read_manifest(out) if previous is None else previous) if p.role not in roles]
    fresh = {p.relpath for p in pages if not p.on_demand}  # an on-demand page's old file goes
    for role in roles:
        folder = out / role
        for old in folder.glob("*.html") if folder.exists() else ():
            if old.name != "index.html" and f"{role}/{old.name}" not in fresh:
                old.unlink()
    merged = kept + pages
    tmp = manifest.with_suffix(".tmp")
    # plain getattr, not dataclasses.asdict: asdict deep-copies every value (4.3 s for the
    # 123 k entries of a district, against 0.2 s)
    rows = [{k: getattr(p, k) for k in MANIFEST_FIELDS} for p in merged]
    tmp.write_bytes(orjson.dumps(rows))  # UTF-8 text, as json.dumps(ensure_ascii=False) wrote
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
    def rendered(self) -> int:
        """Pages this run built (on-demand pages are listed only)."""
        return sum(1 for p in self.pages if not p.on_demand)

    @property
    def unchanged(self) -> int:
        """Pages built whose inputs had not changed: their files were kept."""
        return sum(1 for p in self.pages if not p.on_demand and not p.written)

    @property
    def pages_per_second(self) -> float:
        return self.rendered / self.seconds if self.seconds else 0.0


def unread_marts(rendered: set[str]) -> tuple[str, ...]:
    """The marts no page of the ``rendered`` roles reads, left unread by their render."""
    if {"student", "parent"} & rendered:
        return ()
    if set(ON_DEMAND_ROLES) & rendered:  # class and school pages
        return STUDENT_PAGES_ONLY
    return BELOW_DISTRICT_ONLY


def render_reports(
    lake: str | Path,
    roles: Iterable[str] = ROLES,
    min_cell: int = DEFAULT_MIN_CELL,
    top_n: int = DEFAULT_TOP_N,
    workers: int = 2,
    lang: str = "zh",
    data: ReportData | None = None,
    on_demand: Iterable[str] = (),
) -> RenderSummary:
    """Render all pages of ``roles`` and the index pages; return what was written. The
    pages of ``on_demand`` roles (among ``roles``) are listed, not rendered: `eduhouse
    serve` renders each when it is asked for (ON_DEMAND_ROLES, docs/reports.md)."""
    global _DATA, _OUT, _GENERATED, _PREVIOUS, _INPUTS
    started = time.perf_counter()
    roles = tuple(r for r in ROLES if r in set(roles))
    listed_only = tuple(r for r in roles if r in set(on_demand))
    if set(listed_only) - set(ON_DEMAND_ROLES):
        raise ValueError(f"only {', '.join(ON_DEMAND_ROLES)} pages can be rendered on demand")
    data = data or load_report_data(lake, min_cell=min_cell, top_n=top_n,
                                    unread=unread_marts(set(roles) - set(listed_only)))
    out = LakePaths(Path(lake)).reports
    out.mkdir(parents=True, exist_ok=True)
    # Pages carry names: readable by the service's user only, delivered through
    # `eduhouse serve` (docs/serve.md), never a folder to share as is.
    os.chmod(out, 0o700)
    _DATA, _OUT = data, out
    _GENERATED = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    # Of the pages listed before, this render needs the digests of the pages it renders
    # and the entries of the roles it does not render: only those become PageResults (the
    # pipeline renders or lists every role; 123 k on-demand entries took 0.6 s).
    rows = manifest_rows(out)
    _PREVIOUS = {p["relpath"]: p["digest"] for p in rows if p.get("digest") and not p.get("on_demand")}
    previous = _page_results(p for p in rows if p.get("role") not in roles)
    _INPUTS = templates_digest(lang, data)
    staff = data.store.table("staff_scope")
    scopes = resolve_scopes(staff, data.ident, data.orgs, data.as_of, roles)
    t = make_env(lang).globals["t"]
    listed = [PageResult(s.role, s.page_id, s.relpath, s.org_id, _title(t, s, None, data), on_demand=True)
              for s in scopes if s.role in listed_only]
    scopes = [s for s in scopes if s.role not in listed_only]
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

    pages += listed
    all_pages = _update_manifest(out, roles, pages, previous)
    index_path = write_indexes(out, all_pages, data, make_env(lang), _GENERATED,
                               shared=templates_digest(lang, data, dated=False))
    return RenderSummary(pages, time.perf_counter() - started, index_path, list(data.store.missing), cpu)
