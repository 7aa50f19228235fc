"""`eduhouse report`: render the role reports from a lake's marts, optionally as PDF."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.errors import UserError, existing_lake
from orchestration.lake import LakePaths
from orchestration.pages.i18n import languages
from orchestration.reporting.scopes import ROLES

STAFF_ROLES = tuple(r for r in ROLES if r not in ("student", "parent"))


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="render the nine role reports (HTML, optional PDF)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--lake", default=None, help="lake root (default: EDUHOUSE_LAKE or ./lake)")
    p.add_argument("--role", action="append", choices=ROLES, help="render only this role (repeatable)")
    p.add_argument("--workers", type=int, default=2, help="render processes (default 2)")
    p.add_argument("--min-cell", type=int, default=None,
                   help="the small-cell threshold the pages state; it must be the lake's (EDUHOUSE_MIN_CELL, default "
                        "10), which the marts were suppressed with: a report cannot change it")
    p.add_argument("--lang", default="zh", choices=languages(), help="message catalogue: zh (default) or en")
    p.add_argument("--pdf", nargs="?", const="__all_staff__", default=None, metavar="PAGE",
                   help="print a PDF with headless Chromium: of PAGE (an .html path, or role/id), or without PAGE "
                        "of every staff-role page rendered; PAGE as role/id renders only that role's pages first")
    p.add_argument("--pdf-out", default=None, help="where to write the PDF of PAGE (default: beside the .html)")
    p.add_argument("--no-render", action="store_true", help="only print the PDF of an already rendered PAGE")
    p.set_defaults(func=run)


def _page_path(lake: Path, page: str) -> Path:
    path = Path(page)
    if path.suffix == ".html" and path.exists():
        return path
    candidate = LakePaths(Path(lake)).reports / (page if page.endswith(".html") else f"{page}.html")
    if not candidate.exists():
        raise UserError(f"no rendered report at {candidate}")
    return candidate


def _page_role(page: str | None) -> tuple[str, ...] | None:
    """The role of a PDF's PAGE given as role/id (or its .html path under reports/): only
    that role's pages need rendering first (the reports probe: a PDF of one page rendered
    all 452 pages, then said there was no such page)."""
    if not page or page == "__all_staff__":
        return None
    parts = Path(page).parts
    role = parts[-2] if len(parts) >= 2 else None
    return (role,) if role in ROLES else None


def run(args: argparse.Namespace) -> int:
    from orchestration.settings import get_settings

    lake = existing_lake(args.lake)
    settings = get_settings(lake)
    if args.min_cell is not None and args.min_cell != settings.min_cell:
        # The marts hide groups below the lake's setting; a page that said another
        # threshold would state a rule that was not applied (one setting: docs/privacy.md).
        raise UserError(f"--min-cell {args.min_cell}: the marts are suppressed at the lake's minimum cell "
                        f"{settings.min_cell} (EDUHOUSE_MIN_CELL); to change it, set EDUHOUSE_MIN_CELL and "
                        "rebuild the marts (eduhouse run --full)")
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: at least 1 render process")
    roles = tuple(args.role or _page_role(args.pdf) or ROLES)
    if not args.no_render:
        from orchestration.reporting.render import render_reports

        summary = render_reports(lake, roles=roles, min_cell=settings.min_cell,
                                 top_n=settings.top_n, workers=args.workers, lang=args.lang)
        print(f"{len(summary.pages)} pages in {summary.seconds:.1f} s ({summary.pages_per_second:.1f} pages/s); "
              f"index: {summary.index_path}")
        if summary.missing_marts:
            print(f"missing marts (sections left empty): {', '.join(summary.missing_marts)}")
        from orchestration.reporting.publication import published_months, render_publication

        months = published_months(lake)
        for month in months:
            render_publication(lake, month, settings.min_cell, lang=args.lang)
        if months:
            print(f"{len(months)} monthly publication(s): {lake / 'reports' / 'publication' / 'index.html'}")
        audit_page = LakePaths(Path(lake)).reports / "governance" / "governance_audit.html"
        if audit_page.exists():
            # the index links the audit's page: in the pages' language (the reports probe: an
            # English edition linked a Chinese audit page), from the findings as the last
            # audit exported them (nothing is audited again: `eduhouse audit` does that)
            from orchestration.governance.audit import run_audit

            run_audit(Path(lake), min_cell=settings.min_cell, timezone=settings.timezone, lang=args.lang)
            print(f"governance audit page: {audit_page}")
    if args.pdf:
        from orchestration.reporting.browser import chromium_path, html_to_pdf

        if chromium_path() is None:
            print("chromium is not installed: no PDF (apt-get install chromium)")
            return 1
        if args.pdf == "__all_staff__":
            pages = [p for role in (args.role or STAFF_ROLES) if role in STAFF_ROLES
                     for p in sorted((LakePaths(Path(lake)).reports / role).glob("*.html")) if p.name != "index.html"]
            for page in pages:
                html_to_pdf(page, page.with_suffix(".pdf"))
            print(f"{len(pages)} PDFs written beside their pages")
        else:
            page = _page_path(lake, args.pdf)
            out = html_to_pdf(page, args.pdf_out or page.with_suffix(".pdf"))
            print(f"PDF: {out}")
    return 0
