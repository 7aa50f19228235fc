"""`eduhouse audit`: the governance audit of a lake: summary on stdout, HTML + CSV report."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from orchestration.pages.i18n import languages


def register(subparsers) -> None:
    p = subparsers.add_parser("audit", help="governance audit: findings summary and report",
                              description=__doc__.splitlines()[0])
    p.add_argument("--lake", default=None, help="lake root (default: EDUHOUSE_LAKE or ./lake)")
    p.add_argument("--build", action="store_true",
                   help="first run the audit's dbt models (and parents) and publish their Parquet")
    p.add_argument("--audit-date", default=None, help="audit as of this local date (default: latest event)")
    p.add_argument("--min-cell", type=int, default=None,
                   help="check the publication against this small-cell threshold (default: the lake's "
                        "EDUHOUSE_MIN_CELL, the one the marts were suppressed with); a larger one asks which "
                        "published groups a stricter rule would hide")
    p.add_argument("--strict-marts", action="store_true",
                   help="treat every public aggregate mart as published as is (small-cell check on all)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--lang", default="zh", choices=languages(), help="message catalogue: zh (default) or en")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from orchestration.errors import existing_lake
    from orchestration.governance.audit import run_audit
    from orchestration.settings import get_settings

    settings = get_settings(existing_lake(args.lake))
    if args.min_cell is not None and args.min_cell < settings.min_cell:
        from orchestration.errors import UserError

        # below the lake's, the check would pass groups the marts should have hidden
        raise UserError(f"--min-cell {args.min_cell}: below the lake's minimum cell {settings.min_cell} "
                        "(EDUHOUSE_MIN_CELL) it would pass groups the marts must hide; give "
                        f"{settings.min_cell} or more")
    if args.build or args.audit_date:
        from orchestration.governance.build import build_audit_models

        # progress on stderr: with --json, stdout holds the JSON alone
        built = build_audit_models(settings.lake, audit_date=args.audit_date, timezone=settings.timezone)
        if built["returncode"] != 0:
            print(built["log_tail"], file=sys.stderr)
            print("dbt build of the audit models failed", file=sys.stderr)
            return 2
        print(f"dbt: audit models built in {built['seconds']} s", file=sys.stderr)
    min_cell = settings.min_cell if args.min_cell is None else args.min_cell
    result = run_audit(Path(settings.lake), min_cell=min_cell, strict=args.strict_marts,
                       timezone=settings.timezone, lang=args.lang)
    s = result.summary
    if args.json:  # the files' paths inside the JSON
        print(json.dumps({**s, "report": str(result.html), "csv": str(result.csv)}, indent=2, ensure_ascii=False))
    else:
        print(f"governance audit as of {s['audit_date']}: {s['findings']} finding(s)")
        print("  by severity: " + ", ".join(f"{k} {v}" for k, v in s["by_severity"].items()))
        for check, n in s["by_check"].items():
            if n:
                print(f"  {check:28s} {n}")
        print(f"  entitlements: {s['entitlements']} ({s['principals']} principals, "
              f"{s['grants_exceeding_template']} grant(s) beyond template)")
        print(f"report: {result.html}")
        print(f"csv:    {result.csv}")
    return 1 if s["by_severity"]["critical"] else 0
