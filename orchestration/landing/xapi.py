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
Deliveries are pipelined (``ahead``): the next file is judged on a second thread while
one is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.lake import LakePaths
from orchestration.landing import quarantine
from orchestration.landing.ahead import Preload, Preloaded
from orchestration.landing.core import EngineOptions, LandContext, LandingSummary, land_source
from orchestration.landing.references import load_roster_users
from orchestration.landing.rules import (
    IRI_RE,
    TS_RE,
    UUID_RE,
    Rule,
    detail_sql,
    reason_sql,
    rule_index_sql,
    show,
)
from orchestration.landing.textfile import MAX_LINE_BYTES, READ_ERRORS, as_unreadable, lines_sql
from orchestration.landing.writer import sql_str
from orchestration.settings import DEFAULT_TIMEZONE

SOURCE = "xapi"
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
KP_SUFFIX = "/extensions/knowledge-points"

# Properties the detailed rules extract (one json_extract), by a short name used below.
FIELDS = {
    "id": "$.id", "actor": "$.actor", "actor_type": "$.actor.objectType",
    "account": "$.actor.account", "home": "$.actor.account.homePage", "name": "$.actor.account.name",
    "mbox": "$.actor.mbox", "mbox_sha1": "$.actor.mbox_sha1sum", "openid": "$.actor.openid",
    "verb": "$.verb", "verb_id": "$.verb.id", "object": "$.object", "object_id": "$.object.id",
    "object_type": "$.object.objectType", "definition_type": "$.object.definition.type",
    "timestamp": "$.timestamp", "result": "$.result", "score": "$.result.score",
    "raw": "$.result.score.raw", "min": "$.result.score.min", "max": "$.result.score.max",
    "scaled": "$.result.score.scaled", "success": "$.result.success",
    "completion": "$.result.completion", "duration": "$.result.duration",
    "registration": "$.context.registration", "parent": "$.context.contextActivities.parent",
    "grouping": "$.context.contextActivities.grouping", "extensions": "$.context.extensions",
    "stored": "$.stored", "version": "$.version",
    "display": "$.verb.display", "def_name": "$.object.definition.name",
    "def_desc": "$.object.definition.description",
}
# Language Maps (verb.display, object.definition.name / description): an object of
# language tag to string. Their labels are never used, so a wrong one is judged, not kept.
LANGUAGE_MAPS = {"display": "verb.display", "def_name": "object.definition.name",
                 "def_desc": "object.definition.description"}
VERSION_RE = r"1\.0(\.[0-9]+)?"
OBJECT_TYPES = ("Activity", "Agent", "Group", "SubStatement", "StatementRef")


def _t(f: str) -> str:
    """JSON type of a property as one letter: S string, O object, A array, B boolean,
    N null, D number; NULL when absent (read off the first character, no parse)."""
    return f"t_{f}"


def _s(f: str) -> str:
    """The property's value as text (strings unquoted)."""
    return f"s_{f}"


def _absent(f: str) -> str:
    return f"(t_{f} IS NULL OR t_{f} = 'N')"


def _present(f: str) -> str:
    return f"(t_{f} IS NOT NULL AND t_{f} <> 'N')"


def _num(f: str) -> str:
    return f"TRY_CAST(s_{f} AS DOUBLE)"


def _typed_columns() -> str:
    cols = []
    for i, f in enumerate(FIELDS, 1):
        v = f"v[{i}]"
        # ascii() reads the first byte: cheaper than substring functions on every value.
        cols.append(
            f"CASE WHEN {v} IS NULL THEN NULL ELSE (CASE ascii({v}) WHEN 34 THEN 'S' WHEN 123 THEN 'O' "
            f"WHEN 91 THEN 'A' WHEN 116 THEN 'B' WHEN 102 THEN 'B' WHEN 110 THEN 'N' ELSE 'D' END) "
            f"END AS t_{f}")
        # A JSON string without a backslash has no inner quote: trimming the quotes unquotes it.
        cols.append(
            f"CASE WHEN {v} = 'null' THEN NULL WHEN NOT starts_with({v}, '\"') THEN {v} "
            f"WHEN contains({v}, '\\') THEN {v} ->> '$' "
            f"ELSE trim({v}, '\"') END AS s_{f}")
    return ",\n  ".join(cols)


def _not_language_map(json_text: str) -> str:
    """SQL: TRUE when the JSON text (an object's) has a member that is not a string."""
    return (f"NOT coalesce(list_bool_and(list_transform(json_extract({json_text}, '$.*'), "
            "lambda x: json_type(x) = 'VARCHAR')), true)")


def _rules() -> list[Rule]:
    iri = lambda e: f"regexp_full_match({e}, {sql_str(IRI_RE)})"  # noqa: E731
    uuid = lambda e: f"regexp_full_match({e}, {sql_str(UUID_RE)})"  # noqa: E731
    obj_type = "coalesce(s_object_type, 'Activity')"
    raw, mn, mx, sc = (_num(p) for p in ("raw", "min", "max", "scaled"))
    return [
        Rule(f"strlen(line) > {MAX_LINE_BYTES}", "line_too_long",
             f"'line of ' || strlen(line) || ' bytes; at most {MAX_LINE_BYTES:,} are accepted'"),
        Rule("NOT is_json", "malformed_json", "'line is not valid JSON'"),
        Rule("top_type <> 'OBJECT'", "not_an_object", "'JSON ' || top_type || ', not an object'"),
        Rule(_absent("id"), "missing_required", "'id is missing'"),
        Rule(f"t_id <> 'S' OR NOT {uuid('s_id')}", "invalid_uuid", f"'id ' || {show('s_id')} || ' is not a UUID'"),
        Rule(_absent("actor"), "missing_required", "'actor is missing'"),
        Rule("t_actor <> 'O'", "invalid_actor", "'actor is not an object'"),
        Rule(f"{_present('actor_type')} AND s_actor_type IS DISTINCT FROM 'Agent'", "invalid_actor",
             f"'actor objectType ' || {show('s_actor_type')} || ' is not Agent'"),
        Rule("t_account IS DISTINCT FROM 'O'", "invalid_actor", "'actor is not identified by an account object'"),
        Rule(f"{_present('mbox')} OR {_present('mbox_sha1')} OR {_present('openid')}", "invalid_actor",
             "'actor has more than one inverse functional identifier'"),
        Rule(f"t_home IS DISTINCT FROM 'S' OR NOT {iri('s_home')}", "invalid_actor",
             f"'actor account homePage ' || {show('s_home')} || ' is not an IRI string'"),
        Rule("t_name IS DISTINCT FROM 'S' OR trim(s_name) = ''", "invalid_actor",
             f"'actor account name ' || {show('s_name')} || ' is not a non-empty string'"),
        Rule(_absent("verb"), "missing_required", "'verb is missing'"),
        Rule("t_verb <> 'O'", "invalid_type", "'verb is not an object'"),
        Rule(_absent("verb_id"), "missing_required", "'verb.id is missing'"),
        Rule(f"t_verb_id <> 'S' OR NOT {iri('s_verb_id')}", "invalid_iri",
             f"'verb.id ' || {show('s_verb_id')} || ' is not an IRI'"),
        Rule(f"{_present('display')} AND CASE WHEN t_display = 'O' THEN {_not_language_map('s_display')} ELSE true END",
             "invalid_type", "'verb.display is not a Language Map (an object of language tag to string)'"),
        Rule(_absent("object"), "missing_required", "'object is missing'"),
        Rule("t_object <> 'O'", "invalid_type", "'object is not an object'"),
        Rule(f"{_present('object_type')} AND (t_object_type <> 'S' OR s_object_type NOT IN {OBJECT_TYPES})",
             "invalid_value",
             f"'object.objectType ' || {show('s_object_type')} || ' is not one of {', '.join(OBJECT_TYPES)}'"),
        Rule(f"{obj_type} IN ('Activity', 'StatementRef') AND {_absent('object_id')}",
             "missing_required", "'object.id is missing'"),
        Rule(f"{obj_type} = 'Activity' AND (t_object_id <> 'S' OR NOT {iri('s_object_id')})",
             "invalid_iri", f"'object.id ' || {show('s_object_id')} || ' is not an IRI'"),
        Rule(f"{obj_type} = 'StatementRef' AND (t_object_id <> 'S' OR NOT {uuid('s_object_id')})",
             "invalid_uuid", f"'StatementRef object.id ' || {show('s_object_id')} || ' is not a UUID'"),
        *(Rule(f"{_present(f)} AND CASE WHEN t_{f} = 'O' THEN {_not_language_map('s_' + f)} ELSE true END",
               "invalid_type",
               f"'{label} is not a Language Map (an object of language tag to string)'")
          for f, label in LANGUAGE_MAPS.items() if f != "display"),
        Rule(_absent("timestamp"), "missing_required", "'timestamp is missing'"),
        Rule(f"t_timestamp <> 'S' OR NOT regexp_full_match(s_timestamp, {sql_str(TS_RE)}) "
             "OR ts_value IS NULL", "invalid_timestamp",
             f"'timestamp ' || {show('s_timestamp')} || ' is not ISO 8601 with a UTC offset'"),
        Rule(f"{_present('registration')} AND (t_registration <> 'S' OR NOT {uuid('s_registration')})",
             "invalid_uuid", f"'context.registration ' || {show('s_registration')} || ' is not a UUID'"),
        Rule(f"({_present('result')} AND t_result <> 'O') OR ({_present('score')} AND t_score <> 'O')",
             "invalid_type", "'result or result.score is not an object'"),
        Rule(" OR ".join(f"({_present(p)} AND t_{p} <> 'D')" for p in ("raw", "min", "max", "scaled")),
             "invalid_type", "'a result.score value is not a number'"),
        Rule(" OR ".join(f"({_present(p)} AND t_{p} <> 'B')" for p in ("success", "completion")),
             "invalid_type", "'result.success / result.completion is not a boolean'"),
        Rule(f"{mn} > {mx}", "score_out_of_range", f"'score.min ' || {mn} || ' exceeds score.max ' || {mx}"),
        Rule(f"{raw} < {mn} OR {raw} > {mx}", "score_out_of_range",
             f"'score.raw ' || {raw} || ' outside [' || coalesce({mn}::VARCHAR, '') || ', ' "
             f"|| coalesce({mx}::VARCHAR, '') || ']'"),
        Rule(f"{sc} < -1 OR {sc} > 1", "score_out_of_range", f"'score.scaled ' || {sc} || ' outside [-1, 1]'"),
        Rule(f"{_present('version')} AND (t_version <> 'S' OR NOT regexp_full_match(s_version, {sql_str(VERSION_RE)}))",
             "invalid_value", f"'version ' || {show('s_version')} || ' is not 1.0.x'"),
        Rule("NOT known_actor", "unknown_reference", f"'actor ' || {show('s_name')} || ' is not a roster user'"),
    ]


def _json_ids(x: str) -> str:
    """contextActivities parent/grouping (JSON text): one object or an array of them."""
    return (f"CASE left({x}, 1) WHEN '[' THEN list_filter(json_extract_string({x}, '$[*].id'), "
            f"lambda i: i IS NOT NULL) WHEN '{{' THEN [{x} ->> 'id'] ELSE []::VARCHAR[] END")


def _kp_value(ext: str) -> str:
    """The JSON value of the first ``context.extensions`` key ending in
    ``/extensions/knowledge-points`` (``ext``: the extensions' JSON text), else NULL.
    ``json_keys`` and the ``$.*`` values list an object's members in the same order
    (duplicates included), so the first matching key's index picks its value; only lines
    that hold the suffix at all pay for it."""
    return (f"CASE WHEN left({ext}, 1) = '{{' AND contains({ext}, {sql_str(KP_SUFFIX)}) THEN "
            f"json_extract({ext}, '$.*')[list_position(list_transform(json_keys({ext}), "
            f"lambda k: suffix(k, {sql_str(KP_SUFFIX)})), true)] END")


def _kp_ids(val: str) -> str:
    """Knowledge-point ids from that value: an array of ids (nulls dropped) or one id."""
    return (f"CASE left({val}, 1) WHEN '[' THEN list_filter(from_json({val}, '[\"VARCHAR\"]'), "
            f"lambda k: k IS NOT NULL) WHEN '\"' THEN [{val} ->> '$'] ELSE []::VARCHAR[] END")


def validated_sql(lines: str, timezone: str) -> str:
    """The detailed verdict on every line of ``lines`` (a relation ``(pos, line)``):
    extracted columns, ``reason``, ``detail``, struct ``s`` of bronze values (valid only)."""
    rules = _rules()
    paths = ", ".join(sql_str(p) for p in FIELDS.values())
    ts = "ts_value"
    return f"""
WITH raw AS (
  SELECT pos, line FROM ({lines})
), e0 AS (
  SELECT pos, line, json_valid(line) AS is_json FROM raw
  WHERE line IS NOT NULL AND (left(line, 1) = '{{' OR trim(line) <> '')
), e AS (
  SELECT pos, line, is_json,
         CASE WHEN is_json THEN json_extract(line, [{paths}])::VARCHAR[] END AS v
  FROM e0
), f0 AS (
  SELECT pos, line, is_json,
    CASE left(ltrim(line), 1) WHEN '{{' THEN 'OBJECT' WHEN '[' THEN 'array' WHEN '"' THEN 'string'
         ELSE 'scalar' END AS top_type,
  {_typed_columns()}
  FROM e
), f AS (
  SELECT *, TRY_CAST(s_timestamp AS TIMESTAMPTZ) AS ts_value FROM f0
), k AS (
  SELECT f.*, (s_name IN (SELECT sourcedId FROM _roster_users)) AS known_actor FROM f
), judged AS (
  SELECT *, {rule_index_sql(rules)} AS _rule FROM k
)
SELECT pos, line, {reason_sql('_rule', rules)} AS reason, {detail_sql('_rule', rules)} AS detail,
  CASE WHEN _rule = 0 THEN struct_pack(
    statement_id := lower(s_id),
    actor_name := s_name,
    actor_home_page := s_home,
    verb_id := s_verb_id,
    object_id := s_object_id,
    object_type := coalesce(s_object_type, 'Activity'),
    object_definition_type := s_definition_type,
    result_success := TRY_CAST(s_success AS BOOLEAN),
    result_completion := TRY_CAST(s_completion AS BOOLEAN),
    result_score_raw := {_num('raw')},
    result_score_min := {_num('min')},
    result_score_max := {_num('max')},
    result_score_scaled := {_num('scaled')},
    result_duration := s_duration,
    context_registration := s_registration,
    context_parent_ids := {_json_ids('s_parent')},
    context_grouping_ids := {_json_ids('s_grouping')},
    knowledge_point_ids := {_kp_ids(_kp_value('s_extensions'))},
    ts := {ts},
    ts_raw := s_timestamp,
    stored_raw := s_stored,
    version := s_version,
    local_date := ({ts} AT TIME ZONE {sql_str(timezone)})::DATE
  ) END AS s
FROM judged
"""


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
               "definition": {"type": "VARCHAR", "name": "JSON", "description": "JSON"}},
    "timestamp": "VARCHAR",
    "result": {"score": {"raw": "JSON", "min": "JSON", "max": "JSON", "scaled": "JSON"},
               "success": "JSON", "completion": "JSON", "duration": "VARCHAR"},
    "context": {"registration": "VARCHAR", "contextActivities": {"parent": "JSON", "grouping": "JSON"},
                "extensions": "JSON"},
    "stored": "VARCHAR",
    "version": "JSON",  # a number 1.0 must not pass as the string "1.0"
}

# Bronze columns in contract order (the struct ``s`` of ``validated_sql`` has the same).
COLUMNS = ("statement_id", "actor_name", "actor_home_page", "verb_id", "object_id", "object_type",
           "object_definition_type", "result_success", "result_completion", "result_score_raw",
           "result_score_min", "result_score_max", "result_score_scaled", "result_duration",
           "context_registration", "context_parent_ids", "context_grouping_ids",
           "knowledge_point_ids", "ts", "ts_raw", "stored_raw", "version", "local_date")


# Roster ids a non-string JSON actor name could be coerced into ('7', 'true', '{...}'):
# a statement naming one goes to the detailed rules, which see the JSON type.
_LITERAL_LIKE = r"^(true|false)$|^[-0-9\[{]"


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
        f"ELSE j.object.objectType IN {OBJECT_TYPES} END",
        f"regexp_full_match(j.timestamp, {sql_str(TS_RE)})",
        "ts IS NOT NULL",
        f"(j.context.registration IS NULL OR {uuid('j.context.registration')})",
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
        *(f"(coalesce(json_type({m}), 'NULL') = 'NULL' OR (json_type({m}) = 'OBJECT' AND NOT {_not_language_map(m)}))"
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
    {_kp_value('j.context.extensions')} AS kp
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
    "context_parent_ids": _json_ids("parent_json"),
    "context_grouping_ids": _json_ids("grouping_json"),
    "knowledge_point_ids": _kp_ids("kp_json"),
}
FAST_COLUMNS = ", ".join(f"{_LISTS[c]} AS {c}" if c in _LISTS else c for c in COLUMNS)


def _read(con, name: str, path: Path, key: str, temp: str = "") -> Preloaded:
    """The file's non-blank lines as ``_xapi_lines_<key>(pos, line)``: read once (gunzip
    is serial; the judging of the previous file runs meanwhile), judged from the table,
    and kept so rejects and duplicates are quarantined with their text. ``temp`` ('TEMP')
    keeps the table private to ``con``."""
    lines = f"_xapi_lines_{key}"
    try:
        con.execute(
            f"CREATE OR REPLACE {temp} TABLE {lines} AS SELECT ordinality AS pos, line FROM {lines_sql(path)} "
            "WHERE line IS NOT NULL AND (left(line, 1) = '{' OR trim(line) <> '')"
        )
    except READ_ERRORS as exc:
        con.execute(f"DROP TABLE IF EXISTS {lines}")
        raise as_unreadable(exc, name) from exc
    return Preloaded((lines,), lines)


def _judge(con, read: Preloaded, timezone: str, temp: str = "") -> Preloaded:
    """``fast_sql`` over the lines as ``_xapi_<key>``; value (lines table, judged table)."""
    lines = read.value
    judged = lines.replace("_xapi_lines_", "_xapi_", 1)
    con.execute(f"CREATE OR REPLACE {temp} TABLE {judged} AS {fast_sql(lines, timezone)}")
    return Preloaded((judged,), (lines, judged))


def _preload(timezone: str) -> Preload:
    """Read single-file deliveries ahead and judge them in the background (``ahead``);
    a zip or folder is extracted and read by the handler itself."""
    def read(con, delivery, key: str) -> Preloaded | None:
        return _read(con, delivery.path.name, delivery.path, key) if delivery.kind == "file" else None
    return Preload(read, lambda con, read: _judge(con, read, timezone))


def _handle(ctx: LandContext) -> None:
    con = ctx.con
    name, path = ctx.single_member()
    preloaded = ctx.preloaded()  # read and judged ahead (its tables dropped by ``ahead``)
    inline = preloaded is None  # or read and judged here, into temp tables
    if inline:
        preloaded = _judge(con, _read(con, name, path, "inline", "TEMP"), ctx.timezone, "TEMP")
    lines, judged = preloaded.value
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
    # An id seen earlier in the delivery: later copies of otherwise valid statements go.
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _xapi_ids AS SELECT pos, statement_id FROM {judged} WHERE clean "
        "UNION ALL SELECT pos, s.statement_id FROM _xapi_slow WHERE reason IS NULL"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _xapi_dup AS SELECT pos, id FROM (SELECT pos, statement_id AS id, "
        "row_number() OVER (PARTITION BY statement_id ORDER BY pos) AS n FROM _xapi_ids "
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
        "UNION ALL SELECT d.pos, l.line, 'duplicate_id', 'id \"' || d.id || '\" appears earlier in this delivery' "
        f"FROM _xapi_dup d JOIN {lines} l USING (pos))",
    )
    ctx.result.touched_dates |= _voided_dates(con, ctx.lake_root, ctx.delivery_id)
    con.execute("DROP VIEW _xapi_valid; DROP VIEW _xapi_ids; DROP TABLE _xapi_slow; DROP TABLE _xapi_dup")
    if inline:
        con.execute(f"DROP TABLE {lines}; DROP TABLE {judged}")


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


def _prepare(con, lake_root: Path) -> None:
    """Roster users, and those a coerced non-string actor name cannot be mistaken for
    (a plain table: the read-ahead connection judges against it too)."""
    load_roster_users(con, lake_root)
    con.execute(
        "CREATE OR REPLACE TABLE _roster_fast AS SELECT sourcedId FROM _roster_users "
        f"WHERE NOT regexp_matches(sourcedId, {sql_str(_LITERAL_LIKE)})"
    )


def land_xapi(lake_root: Path, timezone: str = DEFAULT_TIMEZONE, *, rebuild=(),
              options: EngineOptions | None = None) -> LandingSummary:
    """Land every new xAPI delivery (and re-land the ``rebuild`` delivery ids), reading and
    judging the next delivery while one is written."""
    return land_source(lake_root, SOURCE, timezone, _handle, rebuild=rebuild, options=options,
                       prepare=_prepare, preload=_preload(timezone))
