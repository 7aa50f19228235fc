"""The one CSV reader every CSV source uses: tolerant of real exports, strict on values.

Accepted as real exports come: a UTF-8 BOM, CRLF or LF line ends, no final newline,
headers in any order and letter case, extra columns (kept as JSON text in ``_extra``),
enum values in any case (lower-cased), quoted comma-separated multi-values, empty
values. Rejected: a file that is not UTF-8 or not CSV, or lacks a required column (one
quarantine row for the whole file), rows with the wrong number of fields
(``wrong_column_count``), and rows breaking a column or table rule.

All of it is set-based: DuckDB ``read_csv`` (``store_rejects`` catches malformed rows
with their line numbers), the physical lines read once more as text give each row its
1-based line number and original text, and the rules are one SQL ``CASE``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from orchestration.landing import quarantine
from orchestration.landing.core import LandContext, Unreadable
from orchestration.landing.rules import (
    DATE_RE,
    Rule,
    detail_sql,
    reason_sql,
    rule_index_sql,
    show,
)
from orchestration.landing.textfile import READ_ERRORS, as_unreadable, load_lines
from orchestration.landing.writer import sql_str

TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
# A date-time with an optional offset (none = district local time), or a bare date.
# A date (local midnight) or a date-time with its UTC offset: the contract's every
# timestamp carries one, and a time without it would be read silently as local time.
DATETIME_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?))?$"


@dataclass(frozen=True)
class Col:
    """One contract column. ``kind``: str, enum, list, bool, date, ts, double, bigint."""

    name: str
    kind: str = "str"
    required: bool = False  # a non-empty value is required (missing_required)
    header: bool = False  # the column must be in the header (missing_column, whole file)
    enum: tuple[str, ...] = ()
    # A list's items are split at ',' and ';': OneRoster's multi-values are comma-separated
    # ("09,10"), the contract's own lists ';'-separated, and real exports use either.
    lo: float | None = None
    hi: float | None = None
    default: str | None = None  # used when the value is empty (bulk status -> active)
    upper: bool = False  # codes like ability A1 keep upper case instead of lower


@dataclass(frozen=True)
class TableSpec:
    file: str
    table: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()  # a repeated key later in the same file -> duplicate_id
    drop: tuple[str, ...] = ()  # delivered columns never landed (e.g. password)
    # Extra rules, given {column: typed SQL expression}; run after the column rules.
    rules: Callable[[dict[str, str]], list[Rule]] | None = None
    partitioned_by: str | None = None  # a DATE column giving local_date
    ok_table: str | None = None  # keep accepted typed rows in this temp table
    # OneRoster deltas: a row whose status is `tobedeleted` needs only its key (1.1 asks
    # a deletion for nothing else). Its other required columns may be empty; the models
    # end the record as its previous version was (oneroster_current).
    deletable: bool = False

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


@dataclass
class FileOutcome:
    records_in: int = 0
    landed: int = 0
    whole_file_reject: str | None = None
    extra: list[str] = field(default_factory=list)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_sql(path: Path, columns: list[str]) -> str:
    args = [sql_str(str(path)), "header=true", "delim=','", "quote='\"'", "escape='\"'"]
    cols = ", ".join(f"{sql_str(c)}: 'VARCHAR'" for c in columns)
    args += ["auto_detect=false", f"columns={{{cols}}}"]
    args += ["ignore_errors=true", "store_rejects=true", "rejects_table='_csv_rej'",
             "rejects_scan='_csv_rejscan'"]
    return f"read_csv({', '.join(args)})"


def _typed(col: Col, raw: str) -> str:
    """SQL giving the typed bronze value from the trimmed, empty-as-NULL text ``raw``."""
    if col.default is not None:
        raw = f"coalesce({raw}, {sql_str(col.default)})"
    if col.kind == "enum":
        return f"upper({raw})" if col.upper else f"lower({raw})"
    if col.kind == "list":
        return (f"coalesce(list_filter(list_transform(regexp_split_to_array({raw}, '[,;]'), "
                "lambda x: trim(x)), lambda x: x <> ''), []::VARCHAR[])")
    if col.kind == "bool":
        return (f"CASE WHEN lower({raw}) IN {TRUE_WORDS} THEN true "
                f"WHEN lower({raw}) IN {FALSE_WORDS} THEN false END")
    if col.kind == "date":
        return f"TRY_CAST({raw} AS DATE)"
    if col.kind == "ts":
        return f"TRY_CAST({raw} AS TIMESTAMPTZ)"
    if col.kind == "double":
        return f"TRY_CAST({raw} AS DOUBLE)"
    if col.kind == "bigint":
        return f"TRY_CAST({raw} AS BIGINT)"
    return raw


def _column_rules(col: Col, raw: str, typed: str, waived: str | None = None) -> list[Rule]:
    """``waived``: SQL true on rows that need no value here (a deletion's non-key columns)."""
    name = col.name
    out: list[Rule] = []
    if col.required:
        empty = f"{raw} IS NULL" if waived is None else f"{raw} IS NULL AND NOT coalesce({waived}, false)"
        out.append(Rule(empty, "missing_required", f"'{name} is empty'"))
    if col.kind == "enum" and col.enum:
        allowed = "(" + ", ".join(sql_str(v.upper() if col.upper else v.lower()) for v in col.enum) + ")"
        out.append(Rule(f"{raw} IS NOT NULL AND {typed} NOT IN {allowed}", "invalid_enum",
                        f"'{name} ' || {show(raw)} || ' is not one of {'/'.join(col.enum)}'"))
    if col.kind == "bool":
        out.append(Rule(f"{raw} IS NOT NULL AND {typed} IS NULL", "invalid_value",
                        f"'{name} ' || {show(raw)} || ' is not a boolean'"))
    if col.kind == "date":
        out.append(Rule(f"{raw} IS NOT NULL AND (NOT regexp_full_match({raw}, {sql_str(DATE_RE)}) "
                        f"OR {typed} IS NULL)", "invalid_date",
                        f"'{name} ' || {show(raw)} || ' is not a date YYYY-MM-DD'"))
    if col.kind == "ts":
        out.append(Rule(f"{raw} IS NOT NULL AND (NOT regexp_full_match({raw}, {sql_str(DATETIME_RE)}) "
                        f"OR {typed} IS NULL)", "invalid_timestamp",
                        f"'{name} ' || {show(raw)} || ' is not a date or an ISO 8601 date-time with its UTC offset'"))
    if col.kind in ("double", "bigint"):
        out.append(Rule(f"{raw} IS NOT NULL AND {typed} IS NULL", "invalid_type",
                        f"'{name} ' || {show(raw)} || ' is not a number'"))
        if col.lo is not None or col.hi is not None:
            lo = "-infinity" if col.lo is None else col.lo
            hi = "infinity" if col.hi is None else col.hi
            out.append(Rule(f"{typed} < '{lo}'::DOUBLE OR {typed} > '{hi}'::DOUBLE", "invalid_value",
                            f"'{name} ' || {typed} || ' outside [{lo}, {hi}]'"))
    return out


def _header(con) -> list[str]:
    """Column names from the first line (one line: Python's csv parses it; no sniffing)."""
    first = con.execute("SELECT line FROM _csv_lines ORDER BY pos LIMIT 1").fetchall()[0][0]
    names = next(csv.reader([first]))
    seen: dict[str, int] = {}
    out = []
    for n in names:  # DuckDB-style renaming of blank or repeated names
        n = n.strip() or f"column{len(out)}"
        if n.lower() in seen:
            seen[n.lower()] += 1
            n = f"{n}_{seen[n.lower()]}"
        seen.setdefault(n.lower(), 0)
        out.append(n)
    return out


def land_csv_file(ctx: LandContext, spec: TableSpec, path: Path | None, *,
                  whole_delivery: bool = False, refuse: tuple[str, str] | None = None) -> FileOutcome:
    """Validate one CSV file against ``spec``, write its bronze table, quarantine the rest.

    A file that cannot be read or lacks required columns is one quarantine row (position
    NULL); with ``whole_delivery`` it makes the whole delivery unreadable instead.
    ``path=None`` means the file is missing from the delivery (``missing_file``);
    ``refuse`` (reason, detail) quarantines a present file whole without reading it.
    """
    con = ctx.con
    out = FileOutcome()

    def reject(reason: str, detail: str) -> FileOutcome:
        if whole_delivery:
            raise Unreadable(reason, detail, spec.file)
        quarantine.add_whole(con, spec.file, reason, detail)
        ctx.records_in += 1
        out.records_in, out.whole_file_reject = 1, reason
        return out

    if path is None:
        return reject("missing_file", f"{spec.file} is missing from the delivery")
    if refuse is not None:  # (reason, detail): the file is quarantined whole, unread
        return reject(*refuse)
    try:
        n_lines = load_lines(con, path, "_csv_lines", spec.file)
        if n_lines == 0:
            return reject("missing_column", f"{spec.file} is empty (no header)")
        header = _header(con)
    except Unreadable as exc:
        return reject(exc.reason, exc.detail)
    except READ_ERRORS as exc:
        u = as_unreadable(exc, spec.file, path)
        return reject(u.reason, u.detail)

    by_lower = {h.strip().lower(): h for h in header}
    wanted = {c.name.lower(): c for c in spec.columns}
    missing = [c.name for c in spec.columns if c.header and c.name.lower() not in by_lower]
    if missing:
        return reject("missing_column", f"{spec.file} lacks required column(s): {', '.join(missing)}")
    dropped = {d.lower() for d in spec.drop}
    extra = [h for h in header if h.strip().lower() not in wanted and h.strip().lower() not in dropped]
    out.extra = extra

    con.execute("DROP TABLE IF EXISTS _csv_rej; DROP TABLE IF EXISTS _csv_rejscan")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _csv_rows AS SELECT *, ordinality AS _n "
                    f"FROM {_csv_sql(path, header)} WITH ORDINALITY")
    except READ_ERRORS as exc:
        u = as_unreadable(exc, spec.file, path)
        return reject(u.reason, u.detail)
    _group_records(con)
    # Records that are data rows, in order, pair up with the accepted rows.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _csv_bad AS SELECT DISTINCT line AS pos FROM _csv_rej"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _csv_good AS SELECT pos, line, "
        "row_number() OVER (ORDER BY pos) AS _n FROM _csv_records "
        "WHERE pos > (SELECT min(pos) FROM _csv_records) AND pos NOT IN (SELECT pos FROM _csv_bad)"
    )

    # Each column's trimmed text and typed value are computed once, as columns of their
    # own (``_r<i>``, ``_t<i>``), and the rules, the details and the bronze columns refer
    # to them. Written inline, every rule repeated the trim and the cast, and judging a
    # district's exam scores took twice as long.
    raw_cols: list[str] = []
    typed_cols: list[str] = []
    raws: dict[str, str] = {}
    typed: dict[str, str] = {}
    for i, c in enumerate(spec.columns):
        h = by_lower.get(c.name.lower())
        raw_cols.append((f"nullif(trim(r.{_ident(h)}), '')" if h is not None else "NULL::VARCHAR")
                        + f" AS _r{i}")
        raws[c.name] = f"_r{i}"
        typed_cols.append(f"{_typed(c, raws[c.name])} AS _t{i}")
        typed[c.name] = f"_t{i}"
    if extra:
        pairs = ", ".join(f"{sql_str(h)}, r.{_ident(h)}" for h in extra)
        raw_cols.append(f"json_object({pairs})::VARCHAR AS _extra")
    else:
        raw_cols.append("NULL::VARCHAR AS _extra")
    rules: list[Rule] = []
    deletion = f"{typed['status']} = 'tobedeleted'" if spec.deletable else None
    for c in spec.columns:
        waived = deletion if c.name not in spec.key else None
        rules += _column_rules(c, raws[c.name], typed[c.name], waived)
    if spec.rules is not None:
        rules += spec.rules(typed)
    if not rules:
        rules = [Rule("false", "invalid_value", "''")]

    select_cols = [f"{typed[c.name]} AS {_ident(c.name)}" for c in spec.columns]
    select_cols += [f"{raws[c.name]} AS {_ident(c.name + '_raw')}" for c in spec.columns if c.kind == "ts"]
    select_cols.append("_extra")
    if spec.partitioned_by:
        select_cols.append(f"{typed[spec.partitioned_by]} AS local_date")
    key_sql = ", ".join(typed[k] for k in spec.key)
    copy_sql = (f"row_number() OVER (PARTITION BY _rule = 0, {key_sql} ORDER BY _pos)"
                if spec.key else "1")
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE _csv_judged AS
WITH raw AS (
  SELECT r._n, {', '.join(raw_cols)} FROM _csv_rows r
), typed AS (
  SELECT raw.*, {', '.join(typed_cols)} FROM raw
), j AS (
  SELECT g.pos AS _pos, g.line AS _line, t.*, {rule_index_sql(rules)} AS _rule
  FROM typed t LEFT JOIN _csv_good g USING (_n)
), k AS (
  SELECT *, CASE WHEN _rule = 0 THEN {copy_sql} END AS _copy FROM j r
)
SELECT r._pos, r._line,
  CASE WHEN _copy > 1 THEN 'duplicate_id' ELSE {reason_sql('_rule', rules)} END AS reason,
  CASE WHEN _copy > 1 THEN 'key ({', '.join(spec.key)}) appears earlier in this file'
       ELSE {detail_sql('_rule', rules)} END AS detail,
  {', '.join(select_cols)}
FROM k r
""")
    rejected = con.execute("SELECT count(*) FROM _csv_bad").fetchall()[0][0]
    rows = con.execute("SELECT count(*) FROM _csv_judged").fetchall()[0][0]
    out.records_in = rows + rejected
    ctx.records_in += out.records_in
    bronze_cols = [_ident(c.name) for c in spec.columns]
    bronze_cols += [_ident(c.name + "_raw") for c in spec.columns if c.kind == "ts"]
    bronze_cols.append("_extra")
    if spec.partitioned_by:
        bronze_cols.append("local_date")
    lineage = ctx.lineage_sql(sql_str(spec.file), "_pos")
    ok_sql = (f"SELECT {', '.join(bronze_cols)}, {lineage} FROM _csv_judged WHERE reason IS NULL "
              "ORDER BY _pos")
    out.landed = ctx.write_table(spec.table, ok_sql)
    if spec.ok_table:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {spec.ok_table} AS {ok_sql}")
    quarantine.add(con, f"SELECT {sql_str(spec.file)}, _pos, _line, reason, detail "
                        "FROM _csv_judged WHERE reason IS NOT NULL")
    quarantine.add(con, f"SELECT {sql_str(spec.file)}, b.pos, l.line, 'wrong_column_count', "
                        "'row has a different number of fields than the header' "
                        "FROM _csv_bad b LEFT JOIN _csv_records l USING (pos)")
    return out


def _group_records(con) -> None:
    """``_csv_records(pos, line)``: the file's records, each at the physical line it
    starts on. A quoted field may span lines: a line that follows an odd number of
    quotes continues the record before it, so positions after it stay right and a
    quarantined record holds its whole text. Files without such a field (nearly all)
    pass through as they are."""
    quotes = "length(line) - length(replace(line, '\"', ''))"
    spans = con.execute(f"SELECT bool_or(({quotes}) % 2 = 1) FROM _csv_lines").fetchall()[0][0]
    if not spans:
        con.execute("CREATE OR REPLACE TEMP VIEW _csv_records AS SELECT pos, line FROM _csv_lines")
        return
    con.execute(f"""
CREATE OR REPLACE TEMP TABLE _csv_joined AS
WITH q AS (
  SELECT pos, line, coalesce(sum({quotes}) OVER (ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING
                                                  AND 1 PRECEDING), 0) % 2 = 1 AS continues
  FROM _csv_lines
), r AS (
  SELECT pos, line, sum(CASE WHEN continues THEN 0 ELSE 1 END) OVER (ORDER BY pos) AS record FROM q
)
SELECT min(pos) AS pos, string_agg(line, chr(10) ORDER BY pos) AS line FROM r GROUP BY record
""")
    con.execute("CREATE OR REPLACE TEMP VIEW _csv_records AS SELECT pos, line FROM _csv_joined")


def single_file_handler(spec: TableSpec):
    """Handler for sources delivered as one CSV file (fitness, psych)."""

    def handle(ctx: LandContext) -> None:
        name, path = ctx.single_member()
        land_csv_file(ctx, replace(spec, file=name), path, whole_delivery=True)

    return handle


def find_member(members: dict[str, Path], name: str) -> Path | None:
    """A member by file name, ignoring letter case."""
    for k, v in members.items():
        if k.lower() == name.lower():
            return v
    return None


