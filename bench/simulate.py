"""Benchmark of `eduhouse simulate`: statements per second and peak memory.

    python bench/simulate.py [--scale district] [--days 30] [--lake /tmp/eduhouse-bench]

Runs one simulation into a scratch lake (deleted afterwards unless --keep) and prints the
wall time, statements written, statements/second and peak RSS of this process.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from eduhouse_dev.simulate.run import simulate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", default="district")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--lake", default="/tmp/eduhouse-bench")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    lake = Path(args.lake)
    shutil.rmtree(lake, ignore_errors=True)
    t0 = time.perf_counter()
    summary = simulate(lake, scale=args.scale, seed=args.seed, start=date(2021, 10, 1), days=args.days,
                       governance=False, progress=lambda m: print(m, flush=True))
    wall = time.perf_counter() - t0
    statements = summary["xapi"]["lines_written"]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    inbox_mb = sum(f.stat().st_size for f in (lake / "inbox").rglob("*") if f.is_file()) / 2**20
    print(f"scale={args.scale} days={args.days} students={summary['world']['students']:,}")
    print(f"statements={statements:,} xapi_seconds={summary['xapi']['seconds']} total_seconds={wall:.1f}")
    print(f"statements_per_second={statements / summary['xapi']['seconds']:,.0f} "
          f"(whole run {statements / wall:,.0f}/s)")
    print(f"exam_score_rows={summary['exams']['score_rows']:,} inbox_MiB={inbox_mb:,.0f} peak_rss_MiB={rss_mb:,.0f}")
    if not args.keep:
        shutil.rmtree(lake, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
