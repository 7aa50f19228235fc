"""What writing a student mart in student_key order buys a reader of one student.

    python bench/sorted_export.py [--students 58737] [--rows-per-student 100] [--lookups 300]

Builds a table of district size shaped like student_knowledge (a 64-hex-digit HMAC
student_key, ~100 knowledge-point rows per student), writes it to Parquet twice with
the export's settings (zstd, DuckDB's default row groups): in insertion order, as the
exports were, and `order by student_key`, as macro export_parquet now writes every mart
with a student_key. Then times, per file, DuckDB reading one random student's rows (the
parent's read of the governed API) and one class's 40 students (the teacher's), each
query on a fresh connection so no cache is shared. Writes bench/results/sorted_export.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

RESULTS = Path(__file__).parent / "results" / "sorted_export.md"


def _write(con: duckdb.DuckDBPyConnection, path: Path, ordered: bool) -> float:
    start = time.perf_counter()
    order = " order by student_key" if ordered else ""
    con.execute(f"copy (select * from rows{order}) to '{path}' (format parquet, compression zstd)")
    return time.perf_counter() - start


def _lookups(path: Path, groups: list[list[str]]) -> list[float]:
    times = []
    for keys in groups:
        con = duckdb.connect()
        start = time.perf_counter()
        con.execute("select * from read_parquet(?) where list_contains(?, student_key)", [str(path), keys]).fetchall()
        times.append(time.perf_counter() - start)
        con.close()
    return times


def _ms(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100)[int(q * 100) - 1] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--students", type=int, default=58_737)
    ap.add_argument("--rows-per-student", type=int, default=100)
    ap.add_argument("--lookups", type=int, default=300)
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"""create table rows as
        select sha256('s' || (i % {args.students})::varchar) as student_key,
               'kp-' || (i // {args.students})::varchar as kp_id, random() as score_rate, (i % 7)::bigint as items
        from range({args.students * args.rows_per_student}) as t(i)""")
    students = [r[0] for r in con.execute("select distinct student_key from rows using sample 2000 rows").fetchall()]
    ones = [[students[i % len(students)]] for i in range(args.lookups)]
    classes = [students[i * 40 % (len(students) - 40): i * 40 % (len(students) - 40) + 40] for i in range(args.lookups // 3)]
    lines = ["# A student mart in student_key order, read one student at a time", "",
             f"`python bench/sorted_export.py`: {args.students:,} students × {args.rows_per_student} rows = "
             f"{args.students * args.rows_per_student:,} rows; {args.lookups} one-student reads and "
             f"{len(classes)} 40-student reads per file, each on a fresh DuckDB connection.", "",
             "| file | write s | size MB | one student p50 ms | p99 ms | 40 students p50 ms | p99 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    with tempfile.TemporaryDirectory() as tmp:
        for label, ordered in (("insertion order (before)", False), ("order by student_key (now)", True)):
            path = Path(tmp) / f"{'sorted' if ordered else 'unsorted'}.parquet"
            write_s = _write(con, path, ordered)
            one, many = _lookups(path, ones), _lookups(path, classes)
            lines.append(f"| {label} | {write_s:.1f} | {path.stat().st_size / 1e6:.0f} | {_ms(one, .5):.1f} | {_ms(one, .99):.1f} "
                         f"| {_ms(many, .5):.1f} | {_ms(many, .99):.1f} |")
            print(lines[-1], flush=True)
    lines += ["", f"Machine: {Path('/proc/loadavg').read_text().split()[0]} load average at the end; 2 cores.", ""]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
