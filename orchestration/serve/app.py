"""The governed API: Starlette on uvicorn (see docs/serve.md for why), every read of a
mart or a report through the policy (:mod:`enforce`) and into the access log.

Handlers are plain functions: Starlette runs them in its thread pool, and DuckDB
releases the GIL while it scans, so concurrent requests overlap. Each request gets its
own DuckDB cursor on the policy state's current generation and reads the published
Parquet files (``marts/``, ``restricted/``), never the warehouse.
"""

from __future__ import annotations

import functools
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio.to_thread
import pyarrow as pa
import pyarrow.compute as pc
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from orchestration.governance.policy import REPORT_RESOURCE, load_policy
from orchestration.lake import LakePaths
from orchestration.reporting.on_demand import OnDemandPages
from orchestration.serve.access_log import AccessLog
from orchestration.serve.catalog import Mart, load_catalog
from orchestration.serve.enforce import Decision, Denied, decide, principal_role
from orchestration.serve.filters import BadFilter, typed_value
from orchestration.serve.formats import (
    BadCursor,
    NotAcceptable,
    cursor_offset,
    next_cursor,
    query_digest,
    render,
    requested_format,
)
from orchestration.serve.metrics import Metrics, TimedRequests
from orchestration.serve.published import AggregateResults, PublishedRows
from orchestration.serve.reports import ReportPages
from orchestration.serve.state import PolicyState
from orchestration.serve.tokens import TokenRecord, TokenStore, now_utc
from orchestration.settings import get_settings

SERVER_APP = "eduhouse-serve"
# The two listings' access events: action ``list`` on ``catalog`` (GET /v1/marts) or on
# ``role_report`` (GET /v1/reports), rows_returned = entries listed, no subjects. The audit
# (int_governance__events.is_access) reads such an event as metadata, not a read of data.
LIST = "list"
CATALOG = "catalog"
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
RESERVED = {"columns", "limit", "cursor", "purpose", "grant_id"}
_SAFE_TEXT = re.compile(r"[^\w .:;,/@+-]")


@dataclass
class Caller:
    token: TokenRecord
    purpose: str
    grant_id: str | None = None  # the grant to read under, when the principal names one

    @property
    def principal_id(self) -> str:
        return self.token.principal_id

    @property
    def client_app(self) -> str:
        return self.token.app or SERVER_APP


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _printable(value: str, limit: int = 200) -> str:
    """A name from the request as it may be logged or echoed: short, no control text."""
    return _SAFE_TEXT.sub("?", value)[:limit]


class Service:
    """Everything a request needs, shared by the handlers."""

    def __init__(self, lake: Path, timezone: str, as_of: date | None = None):
        self.lake = Path(lake)
        self.as_of = as_of
        self.paths = LakePaths(self.lake)
        self.tz = ZoneInfo(timezone)
        self.tokens = TokenStore(self.lake)
        self.state = PolicyState(self.lake)
        self.catalog: dict[str, Mart] = load_catalog(self.lake)
        self.log = AccessLog(self.lake, timezone)
        self.metrics = Metrics()
        self.reports = ReportPages(self.paths.reports, OnDemandPages(self.lake))
        self.published = PublishedRows()
        self.answers = AggregateResults()
        self.min_cell = get_settings(self.lake).min_cell
        # per data category, the student-level marts that carry it (as their category or in
        # a column): a reader of one of them may not read a homeroom's counts that tell
        # the students it withholds (enforce.complement_scope)
        self.exposing: dict[str, tuple[str, ...]] = {
            category: tuple(sorted(m.name for m in self.catalog.values() if m.student_level and (
                m.category == category or any(c.classification == category for c in m.columns))))
            for category in {m.category for m in self.catalog.values()}}

    # -- authentication -----------------------------------------------------------------------
    def authenticate(self, request: Request) -> Caller:
        record, state = self._token(request)
        if state == "missing":
            raise ApiError(401, "token_missing", "send Authorization: Bearer <token>")
        if record is None:
            raise ApiError(401, "token_unknown", "the token is not valid")
        if state != "valid":
            raise ApiError(401, f"token_{state}", f"the token is {state}")
        purpose = request.headers.get("x-purpose") or request.query_params.get("purpose") or ""
        grant_id = request.headers.get("x-grant-id") or request.query_params.get("grant_id") or None
        return Caller(record, purpose, grant_id)

    def _token(self, request: Request) -> tuple[TokenRecord | None, str]:
        """The bearer token's record and state (valid, revoked, expired), or no record:
        state "missing" without a bearer header, else a token this lake never issued."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None, "missing"
        return self.tokens.verify(header[7:].strip(), now_utc())

    def _refused_token_owner(self, request: Request) -> Caller | None:
        record, _state = self._token(request)
        return None if record is None else Caller(record, request.headers.get("x-purpose") or "")

    def check_purpose(self, caller: Caller) -> None:
        if not caller.purpose:
            raise ApiError(400, "purpose_missing", "declare a purpose (X-Purpose header or purpose parameter)")
        if caller.purpose not in load_policy()["purposes"]:
            raise ApiError(403, "purpose_unknown", f"purpose {_printable(caller.purpose)!r} is not in the role policy")

    def record(self, caller: Caller | None, request: Request, resource: str, decision: str, *,
               role: str | None = None, grant_id: str | None = None, columns=(), rows: int = 0,
               subjects=(), action: str = "read") -> None:
        """The access event of this request: written and fsynced before the response. A
        request refused before it had a caller (a revoked or expired token) is still the
        token owner's: the audit ties the attempt to them; no token, or a forged one, is
        'unauthenticated'."""
        if caller is None:
            caller = self._refused_token_owner(request)
        principal = caller.principal_id if caller else "unauthenticated"
        purpose = (caller.purpose if caller else None) or request.headers.get("x-purpose") \
            or request.query_params.get("purpose") or "none"
        if role is None:
            cur = self.state.cursor()
            role = principal_role(cur, principal) if (cur is not None and caller) else "none"
        self.log.record(principal_id=principal, role=role, client_app=caller.client_app if caller else SERVER_APP,
                        resource=_printable(resource), columns=list(columns), purpose=_printable(purpose, 60),
                        decision=decision, grant_id=grant_id, rows_returned=rows, subject_ids=list(subjects),
                        now=self.now(), action=action)
        self.metrics.decision(decision)

    def now(self) -> datetime:
        """The instant the policy judges and the access log records. Real time, except in
        replay mode (``--as-of``: a simulated world's day at the current time of day), where
        grants, roster scopes and event times all move to that day together."""
        real = datetime.now(self.tz)
        return real if self.as_of is None else datetime.combine(self.as_of, real.timetz())

    def today(self) -> date:
        return self.now().date()


# -- handlers ---------------------------------------------------------------------------------------

def healthz(request: Request) -> Response:
    svc: Service = request.app.state.svc
    return JSONResponse({"status": "ok", "marts": len(svc.catalog), "policy_ready": svc.state.cursor() is not None,
                         "events_written": svc.log.written})


def metrics(request: Request) -> Response:
    return PlainTextResponse(request.app.state.svc.metrics.render(), media_type="text/plain; version=0.0.4")


def list_marts(request: Request) -> Response:
    """The catalogue the caller may read. Recorded like every request, as action ``list`` on
    ``catalog`` with the number of marts listed: names and column metadata, no rows, so the
    audit counts it for the log's integrity and probing, not as a read of data."""
    svc: Service = request.app.state.svc
    caller = None
    try:
        caller = svc.authenticate(request)
        svc.check_purpose(caller)
        cur, memo = _state(svc)
    except ApiError as err:
        svc.record(caller, request, CATALOG, "denied", action=LIST)
        return _error(err.status, err.code, err.message)
    now, today = svc.now(), svc.today()
    readable = []
    for _name, mart in sorted(svc.catalog.items()):
        try:
            decision = decide(cur, mart, caller.principal_id, caller.purpose, list(mart.column_names), {}, now, today,
                              str(svc.paths.marts / "exam_summary.parquet"), memo, min_cell=svc.min_cell,
                              exposing=svc.exposing.get(mart.category, ()))
        except Denied:
            continue
        entry = mart.describe()
        entry["columns"] = [c for c in entry["columns"] if c["name"] in decision.columns]
        entry["grant_id"] = decision.grant_id
        readable.append(entry)
    svc.record(caller, request, CATALOG, "allowed", action=LIST, rows=len(readable))
    return JSONResponse({"marts": readable})


def _state(svc: Service):
    """A cursor on the policy's current generation and that generation's memo."""
    cur, memo = svc.state.snapshot()
    if cur is None:
        raise ApiError(503, "not_published", "the lake has no published policy marts yet (run `eduhouse run`): "
                                             + ", ".join(svc.state.missing))
    return cur, memo


def read_mart(request: Request) -> Response:
    svc: Service = request.app.state.svc
    name = request.path_params["name"]
    caller = None
    try:
        caller = svc.authenticate(request)
        svc.check_purpose(caller)
        mart = svc.catalog.get(name)
        if mart is None:
            raise ApiError(404, "unknown_mart", "no such mart (GET /v1/marts lists the ones you may read)")
        params = request.query_params
        requested = [c for c in (params.get("columns") or "").split(",") if c] or list(mart.column_names)
        given = [k for k, _ in params.multi_items() if k not in RESERVED]
        filters = {k: v for k, v in params.multi_items() if k not in RESERVED}
        unknown = [c for c in [*requested, *filters] if c not in mart.column_names]
        if unknown:
            raise ApiError(400, "unknown_column", f"{mart.name} has no column {_printable(unknown[0], 60)!r}")
        if len(set(requested)) != len(requested):  # ?columns=a,a (it was a 500, with no access event)
            raise ApiError(400, "repeated_column", "name each column once")
        if len(given) != len(filters):  # ?exam_id=a&exam_id=b: not an OR, and not the last one
            raise ApiError(400, "repeated_filter", "give each filter column once")
        reserved = [k for k, _ in params.multi_items() if k in RESERVED]
        if len(set(reserved)) != len(reserved):  # ?limit=1&limit=2: the last one won (the API probe)
            raise ApiError(400, "repeated_parameter", "give each of columns, limit, cursor, purpose and grant_id once")
        limit_text = params.get("limit") or str(DEFAULT_LIMIT)
        # ASCII digits only: Python's int() also reads "１", "+5" and "1_0"
        if not re.fullmatch(r"[0-9]{1,9}", limit_text):
            raise ApiError(400, "bad_limit", "limit must be a whole number")
        limit = int(limit_text)
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(400, "bad_limit", f"limit must be between 1 and {MAX_LIMIT}")
        query = query_digest(caller.principal_id, mart.name, requested, filters, caller.purpose, caller.grant_id)
        try:
            offset = cursor_offset(params.get("cursor"), query)
        except BadCursor:
            raise ApiError(400, "bad_cursor", "the cursor is not one this server gave for this query") from None
        try:
            fmt = requested_format(request)
        except NotAcceptable:
            raise ApiError(406, "not_acceptable", "Accept names no served format: application/json, text/csv, "
                                                  "application/vnd.apache.parquet, "
                                                  "application/vnd.apache.arrow.stream") from None
        policy_version = svc.state.version  # before the cursor: see AggregateResults
        cur, memo = _state(svc)
        decision = decide(cur, mart, caller.principal_id, caller.purpose, requested, filters, svc.now(),
                          svc.today(), str(svc.paths.marts / "exam_summary.parquet"), memo,
                          grant_id=caller.grant_id, min_cell=svc.min_cell, exposing=svc.exposing.get(mart.category, ()))
        table = _query(svc, cur, mart, decision, filters, limit + 1, offset, as_json=fmt == "json",
                       policy_version=policy_version)
    except Denied as denied:
        svc.record(caller, request, name, "denied", role=denied.role, grant_id=denied.grant_id)
        return _error(denied.status, denied.code, denied.message)
    except ApiError as err:
        svc.record(caller, request, name, "denied")
        return _error(err.status, err.code, err.message)
    more = table.num_rows > limit
    table = table.slice(0, limit)
    subjects = _subjects(memo, table) if "__student_key" in table.column_names else []
    if "__student_key" in table.column_names:
        table = table.drop_columns(["__student_key"])
    svc.record(caller, request, name, decision.decision, role=decision.role, grant_id=decision.grant_id,
               columns=[*decision.columns, *(f for f in filters if f not in decision.columns)],
               rows=table.num_rows, subjects=subjects)  # a filtered column is read: the audit sees it
    headers = {"X-Decision": decision.decision, "X-Grant-Id": decision.grant_id}
    if more:
        headers["X-Next-Cursor"] = next_cursor(offset + limit, query)
    return render(table, fmt, headers, next_cursor(offset + limit, query) if more else None)


def _query(svc: Service, cur, mart: Mart, decision: Decision, filters: dict[str, str], limit: int, offset: int,
           as_json: bool = False, policy_version: tuple | None = None) -> pa.Table:
    """The decided rows, read from the publication held in memory (:mod:`published`):
    only the scope's students' rows of a student-level mart, the whole of an aggregate,
    then the decided SQL over them. For JSON, DuckDB writes each row's JSON text itself
    (column ``__row``): for thousands of rows that is three times faster than Python's.
    An aggregate's answer is kept per publication (AggregateResults)."""
    if as_json:
        select = "to_json(struct_pack(" + ", ".join(f'"{c}" := m."{c}"' for c in decision.columns) + ")) as __row"
    else:
        select = ", ".join(f'm."{c}"' for c in decision.columns)
    if "student_key" in mart.column_names:
        select += ", m.student_key as __student_key"
    if not mart.path.exists():
        raise ApiError(503, "not_published", f"{mart.name} has not been published yet")
    schema = svc.published.rows(mart.path).schema
    where, params = list(decision.where), list(decision.params)
    for column, value in filters.items():
        try:
            column_type = schema.field(column).type if column in schema.names else pa.string()
            params.append(typed_value(column, column_type, value))
        except BadFilter as bad:
            raise ApiError(400, "bad_filter", _printable(str(bad))) from None
        where.append(f'm."{column}" = ?')
    order = ", ".join(f'm."{c}"' for c in (mart.grain or mart.column_names[:1]))
    sql = (f"select {select} from published as m"
           + (f" where {' and '.join(where)}" if where else "")
           + f" order by {order} limit {int(limit)} offset {int(offset)}")
    key = None
    if "student_key" not in mart.column_names:
        key = svc.answers.key(mart.path, svc.published.version(mart.path), policy_version, sql, params)
        found = svc.answers.get(key)
        if found is not None:
            return found
    cur.register("published", svc.published.rows(mart.path, decision.student_keys))
    table = cur.sql(sql, params=params).to_arrow_table()
    if key is not None:
        svc.answers.put(key, table)
    return table


def _subjects(memo: dict, table: pa.Table) -> list[str]:
    """sourcedIds of the students whose rows are returned (the event's subject_ids)."""
    by_key = memo.get("sourced_id", {})
    distinct = pc.unique(table.column("__student_key")).to_pylist()  # a class: ~40 keys, not 4,000 rows
    return sorted({by_key[k] for k in distinct if k in by_key})


def list_reports(request: Request) -> Response:
    svc: Service = request.app.state.svc
    caller = None
    try:
        caller = svc.authenticate(request)
        svc.check_purpose(caller)
        cur, _ = _state(svc)
        pages = svc.reports.readable(cur, caller.principal_id, caller.purpose, svc.now(), svc.today())
    except ApiError as err:
        svc.record(caller, request, REPORT_RESOURCE, "denied", action=LIST)
        return _error(err.status, err.code, err.message)
    svc.record(caller, request, REPORT_RESOURCE, "allowed", action=LIST, rows=len(pages))
    return JSONResponse({"reports": [{"role": p.role, "scope_id": p.page_id, "title": p.title,
                                      "href": f"/v1/reports/{p.role}/{p.page_id}"} for p in pages]})


def read_report(request: Request) -> Response:
    svc: Service = request.app.state.svc
    role, scope_id = request.path_params["role"], request.path_params["scope_id"]
    caller = None
    try:
        caller = svc.authenticate(request)
        svc.check_purpose(caller)
        cur, _ = _state(svc)
        opened = svc.reports.open(cur, caller.principal_id, caller.purpose, role, scope_id, svc.now(),
                                  svc.today(), grant_id=caller.grant_id)
    except Denied as denied:
        svc.record(caller, request, "role_report", "denied", role=denied.role, grant_id=denied.grant_id)
        return _error(denied.status, denied.code, denied.message)
    except ApiError as err:
        svc.record(caller, request, "role_report", "denied")
        return _error(err.status, err.code, err.message)
    svc.record(caller, request, "role_report", "allowed", role=role, grant_id=opened.grant_id,
               rows=1, subjects=opened.subjects)
    return HTMLResponse(opened.html, headers={"X-Decision": "allowed", "X-Grant-Id": opened.grant_id})


# -- the application --------------------------------------------------------------------------------

async def _record_denial(request: Request) -> None:
    """The access event of a request no handler answered: a denial of the path asked for,
    under the token's principal when it has a valid one."""
    svc: Service = request.app.state.svc

    def record() -> None:
        try:
            caller = svc.authenticate(request)
        except ApiError:
            caller = None
        action = "read" if request.method == "GET" else request.method.lower()
        svc.record(caller, request, request.url.path, "denied", action=action)

    await anyio.to_thread.run_sync(record)


async def _not_found(request: Request, exc) -> Response:
    """Unknown routes and methods answer in the API's error shape, and are recorded like
    every request (issue 13: each request appends one event): a denial of the path asked
    for, under the token's principal when it has a valid one. Probing for paths shows in
    the audit's repeated denials."""
    status = getattr(exc, "status_code", 404)
    await _record_denial(request)
    if status == 405:
        return _error(405, "method_not_allowed", f"{_printable(request.method, 10)} is not served here; use GET")
    return _error(status, "not_found", "no such endpoint")


async def _server_error(request: Request, exc: Exception) -> Response:
    """A request that failed inside the server still answers in the API's error shape and
    is one access event, a denial (no data left): a crash that wrote none was invisible to
    the audit and left no gap in the numbering (the API probe's repeated column)."""
    await _record_denial(request)
    return _error(500, "internal_error", "the server failed to answer; the request is recorded")


def _get_only(handler):
    """A data endpoint answers GET only. Starlette answers HEAD with every GET route: the
    server read the rows, recorded them as returned, and sent none (the API probe: a HEAD
    of a mart was audited as a read of its rows). Refused as any other method, recorded."""
    @functools.wraps(handler)
    def endpoint(request: Request) -> Response:
        if request.method != "GET":
            raise HTTPException(405)
        return handler(request)
    return endpoint


def create_app(lake: Path, timezone: str, as_of: date | None = None, threads: int | None = None) -> Starlette:
    svc = Service(lake, timezone, as_of)

    @asynccontextmanager
    async def lifespan(app):
        if threads:  # handlers run in this pool: as many requests at once
            anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield
        svc.log.close()  # seals the open segment into a delivery

    app = Starlette(routes=[
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/v1/marts", _get_only(list_marts)),
        Route("/v1/marts/{name}", _get_only(read_mart)),
        Route("/v1/reports", _get_only(list_reports)),
        Route("/v1/reports/{role}/{scope_id}", _get_only(read_report)),
    ], lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_found, Exception: _server_error})
    # "/v1/marts/x/" is an unknown path, refused and recorded, not a redirect: Starlette's
    # redirect answered before any handler, so the request left no access event
    app.router.redirect_slashes = False
    app.state.svc = svc
    app.add_middleware(TimedRequests, metrics=svc.metrics)
    return app
