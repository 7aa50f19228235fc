"""The detailed rule set for xAPI 1.0.3 statements: every property extracted once with
``json_extract`` and its JSON type read off the text, so each rejected line gets the
first failing rule's reason and detail (docs/inputs.md, xAPI). The lander
(``landing/xapi.py``) sends here only the lines the fast path (``xapi_fast.py``) could
not pass, so verdicts are always this module's."""

from __future__ import annotations

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
from orchestration.landing.textfile import MAX_LINE_BYTES
from orchestration.landing.writer import sql_str

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
    "grouping": "$.context.contextActivities.grouping", "category": "$.context.contextActivities.category",
    "other": "$.context.contextActivities.other", "extensions": "$.context.extensions",
    "stored": "$.stored", "version": "$.version",
    "obj_account": "$.object.account", "obj_home": "$.object.account.homePage",
    "obj_name": "$.object.account.name", "obj_mbox": "$.object.mbox",
    "obj_mbox_sha1": "$.object.mbox_sha1sum", "obj_openid": "$.object.openid",
    "display": "$.verb.display", "def_name": "$.object.definition.name",
    "def_desc": "$.object.definition.description",
    "res_ext": "$.result.extensions", "def_ext": "$.object.definition.extensions",
}
# Language Maps (verb.display, object.definition.name / description): an object of
# language tag to string. Their labels are never used, so a wrong one is judged, not kept.
LANGUAGE_MAPS = {"display": "verb.display", "def_name": "object.definition.name",
                 "def_desc": "object.definition.description"}
VERSION_RE = r"1\.0(\.[0-9]+)?"
# xAPI 1.0.3 context.contextActivities: each value an Activity or an array of them.
CONTEXT_ACTIVITIES = ("parent", "grouping", "category", "other")
OBJECT_TYPES = ("Activity", "Agent", "Group", "SubStatement", "StatementRef")
# Extensions (xAPI 1.0.3): an object whose keys are IRIs; its values may be any JSON.
EXTENSIONS = {"extensions": "context.extensions", "res_ext": "result.extensions",
              "def_ext": "object.definition.extensions"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


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


def activities_ok(json_text: str) -> str:
    """SQL: TRUE when the JSON text (a contextActivities value) is an Activity or an
    array of Activities, each with an IRI ``id`` (xAPI requires an Activity's id). An
    element without one, or not an object, leaves the ids fewer than the elements."""
    iri = sql_str(IRI_RE)
    return (f"coalesce(CASE left({json_text}, 1) WHEN '[' THEN json_array_length({json_text}) = "
            f"len(list_filter(json_extract_string({json_text}, '$[*].id'), lambda i: regexp_full_match(i, {iri}))) "
            f"WHEN '{{' THEN regexp_full_match({json_text} ->> 'id', {iri}) ELSE false END, false)")


def extensions_ok(json_text: str) -> str:
    """SQL: TRUE when the JSON text is an object whose keys are all IRIs (an xAPI
    extensions map); an array, a string or a key like ``kp`` is not one."""
    iri = sql_str(IRI_RE)
    # CASE, not AND: DuckDB evaluates both sides, and json_keys fails on a non-JSON text
    return (f"coalesce(CASE WHEN left({json_text}, 1) = '{{' THEN coalesce(list_bool_and(list_transform("
            f"json_keys({json_text}), lambda k: regexp_full_match(k, {iri}))), true) END, false)")


def not_language_map(json_text: str) -> str:
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
        Rule(f"{_present('display')} AND CASE WHEN t_display = 'O' THEN {not_language_map('s_display')} ELSE true END",
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
        # An Agent object (a student evaluated) is identified by an account, as an actor is
        # (the contract): one without it, or by mbox, was counted as an evaluation of nobody
        Rule(f"{obj_type} = 'Agent' AND (t_obj_account IS DISTINCT FROM 'O' OR {_present('obj_mbox')} "
             f"OR {_present('obj_mbox_sha1')} OR {_present('obj_openid')} "
             f"OR t_obj_home IS DISTINCT FROM 'S' OR NOT coalesce({iri('s_obj_home')}, false) "
             "OR t_obj_name IS DISTINCT FROM 'S' OR trim(s_obj_name) = '')", "invalid_actor",
             "'object Agent is not identified by an account (an IRI homePage and a non-empty name) alone'"),
        # a voiding statement's object is a StatementRef (xAPI 1.0.3); one naming an
        # Activity voided nothing and was kept as a statement of an unknown verb
        Rule(f"s_verb_id = {sql_str(VOIDED)} AND {obj_type} <> 'StatementRef'", "invalid_value",
             f"'a voiding statement''s object is ' || {obj_type} || ', not a StatementRef'"),
        *(Rule(f"{_present(f)} AND CASE WHEN t_{f} = 'O' THEN {not_language_map('s_' + f)} ELSE true END",
               "invalid_type",
               f"'{label} is not a Language Map (an object of language tag to string)'")
          for f, label in LANGUAGE_MAPS.items() if f != "display"),
        Rule(_absent("timestamp"), "missing_required", "'timestamp is missing'"),
        Rule(f"t_timestamp <> 'S' OR NOT regexp_full_match(s_timestamp, {sql_str(TS_RE)}) "
             "OR ts_value IS NULL", "invalid_timestamp",
             f"'timestamp ' || {show('s_timestamp')} || ' is not ISO 8601 with a UTC offset'"),
        Rule(f"{_present('registration')} AND (t_registration <> 'S' OR NOT {uuid('s_registration')})",
             "invalid_uuid", f"'context.registration ' || {show('s_registration')} || ' is not a UUID'"),
        *(Rule(f"{_present(k)} AND NOT {activities_ok('s_' + k)}", "invalid_iri",
               f"'context.contextActivities.{k} is not an Activity or an array of Activities, each with an IRI id'")
          for k in CONTEXT_ACTIVITIES),
        *(Rule(f"{_present(f)} AND CASE WHEN t_{f} = 'O' THEN NOT {extensions_ok('s_' + f)} ELSE true END",
               "invalid_type",
               f"'{label} is not an object whose keys are IRIs'")
          for f, label in EXTENSIONS.items()),
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
        # stored orders the versions of a statement: a time without an offset (read as local)
        # or no time at all decided which version won (the xAPI probe)
        Rule(f"{_present('stored')} AND (t_stored <> 'S' OR NOT regexp_full_match(s_stored, {sql_str(TS_RE)}) "
             "OR TRY_CAST(s_stored AS TIMESTAMPTZ) IS NULL)", "invalid_timestamp",
             f"'stored ' || {show('s_stored')} || ' is not ISO 8601 with a UTC offset'"),
        Rule(f"{_present('version')} AND (t_version <> 'S' OR NOT regexp_full_match(s_version, {sql_str(VERSION_RE)}))",
             "invalid_value", f"'version ' || {show('s_version')} || ' is not 1.0.x'"),
        Rule("NOT known_actor", "unknown_reference", f"'actor ' || {show('s_name')} || ' is not a roster user'"),
        Rule(f"{obj_type} = 'Agent' AND NOT known_object", "unknown_reference",
             f"'object Agent ' || {show('s_obj_name')} || ' is not a roster user'"),
    ]


def json_ids(x: str) -> str:
    """contextActivities parent/grouping (JSON text): one object or an array of them."""
    return (f"CASE left({x}, 1) WHEN '[' THEN list_filter(json_extract_string({x}, '$[*].id'), "
            f"lambda i: i IS NOT NULL) WHEN '{{' THEN [{x} ->> 'id'] ELSE []::VARCHAR[] END")


def kp_value(ext: str) -> str:
    """The JSON value of the first ``context.extensions`` key ending in
    ``/extensions/knowledge-points`` (``ext``: the extensions' JSON text), else NULL.
    ``json_keys`` and the ``$.*`` values list an object's members in the same order
    (duplicates included), so the first matching key's index picks its value; only lines
    that hold the suffix at all pay for it."""
    return (f"CASE WHEN left({ext}, 1) = '{{' AND contains({ext}, {sql_str(KP_SUFFIX)}) THEN "
            f"json_extract({ext}, '$.*')[list_position(list_transform(json_keys({ext}), "
            f"lambda k: suffix(k, {sql_str(KP_SUFFIX)})), true)] END")


def kp_ids(val: str) -> str:
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
  SELECT f.*, (s_name IN (SELECT sourcedId FROM _roster_users)) AS known_actor,
         coalesce(s_obj_name IN (SELECT sourcedId FROM _roster_users), false) AS known_object FROM f
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
    context_parent_ids := {json_ids('s_parent')},
    context_grouping_ids := {json_ids('s_grouping')},
    knowledge_point_ids := {kp_ids(kp_value('s_extensions'))},
    ts := {ts},
    ts_raw := s_timestamp,
    stored_raw := s_stored,
    version := s_version,
    local_date := ({ts} AT TIME ZONE {sql_str(timezone)})::DATE
  ) END AS s
FROM judged
"""


# Bronze columns in contract order (the struct ``s`` of ``validated_sql`` has the same).
COLUMNS = ("statement_id", "actor_name", "actor_home_page", "verb_id", "object_id", "object_type",
           "object_definition_type", "result_success", "result_completion", "result_score_raw",
           "result_score_min", "result_score_max", "result_score_scaled", "result_duration",
           "context_registration", "context_parent_ids", "context_grouping_ids",
           "knowledge_point_ids", "ts", "ts_raw", "stored_raw", "version", "local_date")
