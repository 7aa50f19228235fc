"""Data-access events (``inbox/access/*.jsonl[.gz]``) -> ``bronze/access/events``.

Lenient on purpose (interfaces.md): the audit must see missing fields and repeated
event ids, so only a line that cannot be typed at all is quarantined: not JSON, not an
object, no parseable ``event_time``, a non-integer ``seq`` / ``rows_returned``, or a
``columns`` / ``subject_ids`` that is not an array.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.landing import quarantine
from orchestration.landing.core import LandContext, LandingSummary, land_source
from orchestration.landing.rules import TS_RE, Rule, detail_sql, reason_sql, rule_index_sql, show
from orchestration.landing.textfile import MAX_LINE_BYTES, READ_ERRORS, as_unreadable, lines_sql
from orchestration.landing.writer import sql_str
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "access"
FIELDS = ["event_id", "seq", "event_time", "principal_id", "role", "client_app", "action",
          "resource", "columns", "purpose", "decision", "grant_id", "rows_returned", "subject_ids"]
_IDX = {f: i for i, f in enumerate(FIELDS, 1)}
INTEGER_TYPES = "('BIGINT', 'UBIGINT')"


def _t(f: str) -> str:
    return f"json_type(v[{_IDX[f]}])"


def _s(f: str) -> str:
    return f"(v[{_IDX[f]}] ->> '$')"


def _present(f: str) -> str:
    return f"({_t(f)} IS NOT NULL AND {_t(f)} <> 'NULL')"


def _rules() -> list[Rule]:
    ts = _s("event_time")
    rules = [
        Rule(f"strlen(line) > {MAX_LINE_BYTES}", "line_too_long",
             f"'line of ' || strlen(line) || ' bytes; at most {MAX_LINE_BYTES:,} are accepted'"),
        Rule("NOT is_json", "malformed_json", "'line is not valid JSON'"),
        Rule("top_type <> 'OBJECT'", "not_an_object", "'JSON ' || lower(top_type) || ', not an object'"),
        Rule(f"NOT {_present('event_time')}", "missing_required", "'event_time is missing'"),
        Rule(f"{_t('event_time')} <> 'VARCHAR' OR NOT regexp_full_match({ts}, {sql_str(TS_RE)}) "
             f"OR TRY_CAST({ts} AS TIMESTAMPTZ) IS NULL", "invalid_timestamp",
             f"'event_time ' || {show(ts)} || ' is not ISO 8601 with a UTC offset'"),
    ]
    for f in ("seq", "rows_returned"):
        rules.append(Rule(f"{_present(f)} AND {_t(f)} NOT IN {INTEGER_TYPES} AND "
                          f"TRY_CAST({_s(f)} AS BIGINT) IS NULL", "invalid_type",
                          f"'{f} ' || {show(_s(f))} || ' is not an integer'"))
    for f in ("columns", "subject_ids"):
        rules.append(Rule(f"{_present(f)} AND {_t(f)} <> 'ARRAY'", "invalid_type",
                          f"'{f} is not an array'"))
    return rules


ENUMS = ("role", "action", "decision")  # lower-cased, as every source's enums in bronze


def _text(f: str) -> str:
    return f"lower({_s(f)})" if f in ENUMS else _s(f)


def _list(f: str) -> str:
    return (f"CASE WHEN {_t(f)} = 'ARRAY' THEN json_extract_string(v[{_IDX[f]}], '$[*]') "
            "ELSE []::VARCHAR[] END")


def validated_sql(path: Path, timezone: str) -> str:
    rules = _rules()
    paths = ", ".join(sql_str(f"$.{f}") for f in FIELDS)
    ts = f"TRY_CAST({_s('event_time')} AS TIMESTAMPTZ)"
    text = [f for f in FIELDS if f not in ("seq", "event_time", "columns", "rows_returned", "subject_ids")]
    return f"""
WITH raw AS (SELECT ordinality AS pos, line FROM {lines_sql(path)}),
e0 AS (
  SELECT pos, line, json_valid(line) AS is_json FROM raw
  WHERE line IS NOT NULL AND (left(line, 1) = '{{' OR trim(line) <> '')
), e AS (
  SELECT pos, line, is_json,
         CASE WHEN is_json THEN json_type(line) END AS top_type,
         CASE WHEN is_json AND left(ltrim(line), 1) = '{{' THEN json_extract(line, [{paths}]) END AS v
  FROM e0
), j AS (SELECT *, {rule_index_sql(rules)} AS _rule FROM e)
SELECT pos, line, {reason_sql('_rule', rules)} AS reason, {detail_sql('_rule', rules)} AS detail,
  CASE WHEN _rule = 0 THEN struct_pack(
    event_id := {_s('event_id')},
    seq := TRY_CAST({_s('seq')} AS BIGINT),
    event_time := {ts},
    event_time_raw := {_s('event_time')},
    {', '.join(f"{f} := {_text(f)}" for f in text if f != 'event_id')},
    columns := {_list('columns')},
    rows_returned := TRY_CAST({_s('rows_returned')} AS BIGINT),
    subject_ids := {_list('subject_ids')},
    local_date := ({ts} AT TIME ZONE {sql_str(timezone)})::DATE
  ) END AS s
FROM j
"""


def _handle(ctx: LandContext) -> None:
    con = ctx.con
    name, path = ctx.single_member()
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _access AS {validated_sql(path, ctx.timezone)}")
    except READ_ERRORS as exc:
        raise as_unreadable(exc, name, path) from exc
    ctx.records_in = con.execute("SELECT count(*) FROM _access").fetchall()[0][0]
    ctx.write_table("events", f"SELECT s.*, {ctx.lineage_sql(sql_str(name), 'pos')} "
                              "FROM _access WHERE reason IS NULL")
    quarantine.add(con, f"SELECT {sql_str(name)}, pos, line, reason, detail FROM _access "
                        "WHERE reason IS NOT NULL")
    con.execute("DROP TABLE _access")


def land_access(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, **landing) -> LandingSummary:
    return land_source(lake_root, SOURCE, timezone, _handle, **landing)
