"""The fast path of xAPI landing: each line parsed ONCE by ``json_transform`` into a
typed struct, and TRUE only when that struct shows the line passes every rule of
``xapi_rules`` (then it lands from the struct, with no per-path extraction). Anything the
struct cannot judge (a number where a string belongs, a reject) goes to the detailed
rules, which give the reason or land it."""

from __future__ import annotations

import json

from orchestration.landing.rules import IRI_RE, TS_RE, UUID_RE
from orchestration.landing.textfile import MAX_LINE_BYTES
from orchestration.landing.writer import sql_str
from orchestration.landing.xapi_rules import (
    COLUMNS,
    CONTEXT_ACTIVITIES,
    OBJECT_TYPES,
    VERSION_RE,
    VOIDED,
    activities_ok,
    extensions_ok,
    json_ids,
    kp_ids,
    kp_value,
    not_language_map,
)

# The typed struct ``json_transform`` makes of a line: strings as VARCHAR (a regex below
# rejects any number/boolean/object it coerced to text), values whose JSON type matters
# and cannot be told from coerced text (scores, booleans) or that have several shapes
# (contextActivities, extensions) as JSON text.
SCHEMA = {
    "id": "VARCHAR",
    "actor": {"objectType": "VARCHAR", "account": {"homePage": "VARCHAR", "name": "VARCHAR"},
              "mbox": "VARCHAR", "mbox_sha1sum": "VARCHAR", "openid": "VARCHAR"},
    "verb": {"id": "VARCHAR", "display": "JSON"},
    "object": {"objectType": "VARCHAR", "id": "VARCHAR",
               "definition": {"type": "VARCHAR", "name": "JSON", "description": "JSON",
                              "extensions": "JSON"},
               "account": {"homePage": "VARCHAR", "name": "VARCHAR"},
               "mbox": "VARCHAR", "mbox_sha1sum": "VARCHAR", "openid": "VARCHAR"},
    "timestamp": "VARCHAR",
    "result": {"score": {"raw": "JSON", "min": "JSON", "max": "JSON", "scaled": "JSON"},
               "success": "JSON", "completion": "JSON", "duration": "VARCHAR",
               "extensions": "JSON"},
    "context": {"registration": "VARCHAR",
                "contextActivities": {"parent": "JSON", "grouping": "JSON", "category": "JSON", "other": "JSON"},
                "extensions": "JSON"},
    "stored": "VARCHAR",
    "version": "JSON",  # a number 1.0 must not pass as the string "1.0"
}


# Roster ids a non-string JSON actor name could be coerced into ('7', 'true', '{...}'):
# a statement naming one goes to the detailed rules, which see the JSON type.
LITERAL_LIKE = r"^(true|false)$|^[-0-9\[{]"


def _fast_clean() -> str:
    """TRUE only when the typed struct shows the line passes every rule (else the
    detailed rules judge it); NULLs count as 'not shown clean'."""
    iri = lambda e: f"regexp_full_match({e}, {sql_str(IRI_RE)})"  # noqa: E731
    uuid = lambda e: f"regexp_full_match({e}, {sql_str(UUID_RE)})"  # noqa: E731
    nums = ("raw", "min", "max", "scaled")
    conds = [
        "j IS NOT NULL",
        uuid("j.id"),
        "coalesce(j.actor.objectType = 'Agent', true)",
        "j.actor.mbox IS NULL AND j.actor.mbox_sha1sum IS NULL AND j.actor.openid IS NULL",
        iri("j.actor.account.homePage"),
        "trim(j.actor.account.name) <> ''",
        iri("j.verb.id"),
        f"CASE coalesce(j.object.objectType, 'Activity') WHEN 'Activity' THEN {iri('j.object.id')} "
        f"WHEN 'StatementRef' THEN {uuid('j.object.id')} "
        f"WHEN 'Agent' THEN j.object.mbox IS NULL AND j.object.mbox_sha1sum IS NULL AND j.object.openid IS NULL "
        f"AND {iri('j.object.account.homePage')} AND trim(j.object.account.name) <> '' "
        f"AND j.object.account.name IN (SELECT sourcedId FROM _roster_fast) "
        f"ELSE j.object.objectType IN {OBJECT_TYPES} END",
        f"(j.verb.id <> {sql_str(VOIDED)} OR coalesce(j.object.objectType, 'Activity') = 'StatementRef')",
        *(f"(coalesce(json_type({e}), 'NULL') = 'NULL' OR {extensions_ok(f'{e}::VARCHAR')})"
          for e in ("j.context.extensions", "j.result.extensions", "j.object.definition.extensions")),
        f"regexp_full_match(j.timestamp, {sql_str(TS_RE)})",
        "ts IS NOT NULL",
        f"(j.stored IS NULL OR (regexp_full_match(j.stored, {sql_str(TS_RE)}) "
        "AND TRY_CAST(j.stored AS TIMESTAMPTZ) IS NOT NULL))",
        f"(j.context.registration IS NULL OR {uuid('j.context.registration')})",
        *(f"(j.context.contextActivities.{k} IS NULL OR {activities_ok(f'j.context.contextActivities.{k}::VARCHAR')})"
          for k in CONTEXT_ACTIVITIES),
        # A result / score that is not an object comes out as a struct of NULLs.
        "(j.result IS NULL OR j.result.score IS NOT NULL OR j.result.success IS NOT NULL "
        "OR j.result.completion IS NOT NULL OR j.result.duration IS NOT NULL)",
        "(j.result.score IS NULL OR " + " OR ".join(f"j.result.score.{n} IS NOT NULL" for n in nums) + ")",
        *(f"(j.result.score.{n} IS NULL OR {n} IS NOT NULL)" for n in nums),
        "coalesce(j.result.success IN ('true', 'false'), true)",
        "coalesce(j.result.completion IN ('true', 'false'), true)",
        "NOT coalesce(min > max, false)",
        "NOT coalesce(raw < min OR raw > max, false)",
        "NOT coalesce(scaled < -1 OR scaled > 1, false)",
        *(f"(coalesce(json_type({m}), 'NULL') = 'NULL' OR (json_type({m}) = 'OBJECT' AND NOT {not_language_map(m)}))"
          for m in ("j.verb.display", "j.object.definition.name", "j.object.definition.description")),
        f"(coalesce(json_type(j.version), 'NULL') = 'NULL' OR (json_type(j.version) = 'VARCHAR' "
        f"AND regexp_full_match(j.version ->> '$', {sql_str(VERSION_RE)})))",
        "j.actor.account.name IN (SELECT sourcedId FROM _roster_fast)",
    ]
    return "coalesce(" + "\n    AND ".join(f"({c})" for c in conds) + ", false)"


def fast_sql(lines: str, timezone: str) -> str:
    """Every line of ``lines`` (a relation ``(pos, line)`` of non-blank lines) as ``pos``,
    ``clean`` and, for clean lines, its bronze values, the three lists still as JSON text
    (``_LISTS`` turns them into lists as they are written: cheaper than keeping list
    columns in a table). The line text is not carried on: the few lines that need it
    (rejects, duplicates) are looked up by ``pos``."""
    schema = sql_str(json.dumps(SCHEMA, separators=(",", ":")))
    num = lambda n: f"TRY_CAST(j.result.score.{n}::VARCHAR AS DOUBLE) AS {n}"  # noqa: E731
    return f"""
WITH p AS (
  SELECT pos, CASE WHEN strlen(line) <= {MAX_LINE_BYTES} AND json_valid(line)
                   THEN json_transform(line, {schema}) END AS j FROM {lines}
), t AS (
  SELECT pos, j, {num('raw')}, {num('min')}, {num('max')}, {num('scaled')},
    TRY_CAST(j.timestamp AS TIMESTAMPTZ) AS ts,
    {kp_value('j.context.extensions')} AS kp
  FROM p
), c AS (
  SELECT *, {_fast_clean()} AS clean FROM t
)
SELECT pos, clean,
  CASE WHEN clean THEN lower(j.id) END AS statement_id,
  j.actor.account.name AS actor_name,
  j.actor.account.homePage AS actor_home_page,
  j.verb.id AS verb_id,
  j.object.id AS object_id,
  coalesce(j.object.objectType, 'Activity') AS object_type,
  j.object.definition.type AS object_definition_type,
  j.result.success::VARCHAR = 'true' AS result_success,
  j.result.completion::VARCHAR = 'true' AS result_completion,
  raw AS result_score_raw, min AS result_score_min, max AS result_score_max,
  scaled AS result_score_scaled,
  j.result.duration AS result_duration,
  j.context.registration AS context_registration,
  j.context.contextActivities.parent::VARCHAR AS parent_json,
  j.context.contextActivities.grouping::VARCHAR AS grouping_json,
  kp AS kp_json,
  ts, j.timestamp AS ts_raw, j.stored AS stored_raw, j.version ->> '$' AS version,
  (ts AT TIME ZONE {sql_str(timezone)})::DATE AS local_date
FROM c
"""


# Bronze columns of a clean ``fast_sql`` row, in ``COLUMNS`` order.
_LISTS = {
    "context_parent_ids": json_ids("parent_json"),
    "context_grouping_ids": json_ids("grouping_json"),
    "knowledge_point_ids": kp_ids("kp_json"),
}
FAST_COLUMNS = ", ".join(f"{_LISTS[c]} AS {c}" if c in _LISTS else c for c in COLUMNS)
