"""xAPI 1.0.3 statements (``inbox/xapi/*.jsonl[.gz]``) -> ``bronze/xapi/statements``.

Each delivery is read once as text lines; every line is checked by ``json_valid`` and
turned ONCE by ``json_transform`` into a typed struct of the properties bronze and the
rules need (the fast path: no per-path extraction, no re-serialized values). A line whose
struct passes every rule lands from it; the few that do not (rejects, or shapes the
struct cannot judge, e.g. a number where a string belongs) are re-judged by the detailed
rule set (``validated_sql``: one ``json_extract`` of every path, JSON types read off the
text), which gives the reason and detail, or lands them. So the verdicts are those of the
detailed rules.

Bronze does not copy the original line: the inbox is kept
as delivered and the lineage ``(_delivery, _file, _position)`` addresses the exact line,
so nothing the spec allows is lost; quarantine keeps the text of every rejected line.
Two deliveries land side by side (``core.land_source``), each on one DuckDB thread.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lake import LakePaths
from orchestration.landing import quarantine
from orchestration.landing.core import LandContext, LandingSummary, land_source
from orchestration.landing.references import load_roster_users
from orchestration.landing.textfile import READ_ERRORS, as_unreadable, lines_sql
from orchestration.landing.writer import sql_str
from orchestration.landing.xapi_fast import FAST_COLUMNS, LITERAL_LIKE, fast_sql
from orchestration.landing.xapi_rules import COLUMNS, VOIDED, validated_sql
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "xapi"
VOIDED_VERB = VOIDED  # a voiding statement's verb (its object a StatementRef)


LINES, JUDGED = "_xapi_lines", "_xapi_judged"


def _read(con, name: str, path: Path) -> None:
    """The file's non-blank lines as ``_xapi_lines(pos, line)``: read once, judged from
    the table, and kept so rejects and duplicates are quarantined with their text."""
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {LINES} AS SELECT ordinality AS pos, line FROM {lines_sql(path)} "
            "WHERE line IS NOT NULL AND (left(line, 1) = '{' OR trim(line) <> '')"
        )
    except READ_ERRORS as exc:
        con.execute(f"DROP TABLE IF EXISTS {LINES}")
        raise as_unreadable(exc, name, path) from exc


def _judge(con, timezone: str) -> None:
    """``fast_sql`` over the lines as ``_xapi_judged``."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {JUDGED} AS {fast_sql(LINES, timezone)}")


def _handle(ctx: LandContext) -> None:
    con = ctx.con
    name, path = ctx.single_member()
    _read(con, name, path)
    _judge(con, ctx.timezone)
    lines, judged = LINES, JUDGED
    ctx.records_in = con.execute(f"SELECT count(*) FROM {judged}").fetchall()[0][0]
    # Lines the fast path could not pass: the detailed rules say why (or land them).
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _xapi_slow AS "
        + validated_sql(f"SELECT pos, line FROM {lines} WHERE pos IN (SELECT pos FROM {judged} WHERE NOT clean)",
                        ctx.timezone)
    )
    cols = ", ".join(COLUMNS)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _xapi_valid AS SELECT pos, {FAST_COLUMNS} FROM {judged} WHERE clean "
        f"UNION ALL SELECT pos, s.* FROM _xapi_slow WHERE reason IS NULL"
    )
    # An id given twice in the delivery: one version lands, as between deliveries the later
    # `stored` (else `timestamp`) wins, then the earlier line; the other copies go (the
    # first line won whatever its times: the xAPI probe).
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _xapi_ids AS SELECT pos, statement_id, stored_raw, ts FROM {judged} WHERE clean "
        "UNION ALL SELECT pos, s.statement_id, s.stored_raw, s.ts FROM _xapi_slow WHERE reason IS NULL"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _xapi_dup AS SELECT pos, id FROM (SELECT pos, statement_id AS id, "
        "row_number() OVER (PARTITION BY statement_id ORDER BY coalesce(TRY_CAST(stored_raw AS TIMESTAMPTZ), ts) "
        "DESC NULLS LAST, pos) AS n FROM _xapi_ids "
        "WHERE statement_id IN (SELECT statement_id FROM _xapi_ids GROUP BY 1 HAVING count(*) > 1)) "
        "WHERE n > 1"
    )
    ctx.write_table(
        "statements",
        f"SELECT {cols}, {ctx.lineage_sql(sql_str(name), 'pos')} "
        "FROM _xapi_valid WHERE pos NOT IN (SELECT pos FROM _xapi_dup)",
    )
    quarantine.add(
        con,
        f"SELECT {sql_str(name)}, pos, line, reason, detail FROM ("
        "SELECT pos, line, reason, detail FROM _xapi_slow WHERE reason IS NOT NULL "
        "UNION ALL SELECT d.pos, l.line, 'duplicate_id', 'id \"' || d.id || '\" has another version in this delivery "
        "(the later stored, else timestamp, else the earlier line lands)' "
        f"FROM _xapi_dup d JOIN {lines} l USING (pos))",
    )
    ctx.result.touched_dates |= _voided_dates(con, ctx.lake_root, ctx.delivery_id)
    con.execute("DROP VIEW _xapi_valid; DROP VIEW _xapi_ids; DROP TABLE _xapi_slow; DROP TABLE _xapi_dup; "
                f"DROP TABLE {lines}; DROP TABLE {judged}")


def _voided_dates(con, lake_root: Path, delivery_id: str) -> set[str]:
    """The local dates of the statements this delivery's `voided` statements name, found in
    bronze (earlier deliveries included): the ledger lists them with the delivery's own
    dates, so a run rebuilds those days and their months and the voided statements leave
    the marts. Costs a scan of bronze statement ids, only for a delivery that voids."""
    targets = [r[0] for r in con.execute(
        f"SELECT DISTINCT lower(object_id) FROM _xapi_valid WHERE verb_id = {sql_str(VOIDED_VERB)} "
        "AND object_type = 'StatementRef'").fetchall()]
    bronze = LakePaths(Path(lake_root)).bronze / SOURCE / "statements"
    if not targets or not any(bronze.glob("local_date=*/*.parquet")):
        return set()
    rows = con.execute(
        f"SELECT DISTINCT strftime(local_date, '%Y-%m-%d') FROM read_parquet({sql_str(str(bronze / '*' / '*.parquet'))}, "
        "hive_partitioning=false, union_by_name=true) WHERE statement_id IN (SELECT unnest(?))", [targets]).fetchall()
    return {r[0] for r in rows}


def voided_dates_of_batch(lake_root: Path, delivery_ids: list[str]) -> dict[str, set[str]]:
    """``_voided_dates`` for deliveries landed side by side (on a cluster): a delivery may
    void statements of another one of the batch, which its own task could not see yet, so
    the dates are looked up again once the whole batch is in bronze. Reads the batch's own
    files for voiding statements; scans bronze ids only when there are some."""
    bronze = LakePaths(Path(lake_root)).bronze / SOURCE / "statements"
    files = [str(f) for d in delivery_ids for f in bronze.glob(f"local_date=*/{d}.parquet")]
    if not files:
        return {}
    con = duckdb.connect()
    try:
        con.execute(
            "CREATE TEMP TABLE _voids AS SELECT DISTINCT _delivery, lower(object_id) AS target FROM "
            f"read_parquet(?, hive_partitioning=false, union_by_name=true) WHERE verb_id = {sql_str(VOIDED_VERB)} "
            "AND object_type = 'StatementRef'", [files])
        if not con.execute("SELECT count(*) FROM _voids").fetchall()[0][0]:
            return {}
        rows = con.execute(
            "SELECT DISTINCT v._delivery, strftime(b.local_date, '%Y-%m-%d') FROM _voids v JOIN read_parquet("
            f"{sql_str(str(bronze / '*' / '*.parquet'))}, hive_partitioning=false, union_by_name=true) b "
            "ON b.statement_id = v.target").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for delivery, day in rows:
        out.setdefault(delivery, set()).add(day)
    return out


def _prepare(con, lake_root: Path) -> None:
    """Roster users, and those a coerced non-string actor name cannot be mistaken for
    (temp tables: each connection landing deliveries prepares its own)."""
    load_roster_users(con, lake_root)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _roster_fast AS SELECT sourcedId FROM _roster_users "
        f"WHERE NOT regexp_matches(sourcedId, {sql_str(LITERAL_LIKE)})"
    )


def land_xapi(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    """Land every new xAPI delivery (and re-land the ``rebuild`` delivery ids)."""
    return land_source(lake_root, SOURCE, timezone, _handle, **landing, prepare=_prepare)
