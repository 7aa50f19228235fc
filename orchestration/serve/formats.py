"""How the API writes rows: the four formats a client may ask for with ``Accept`` and
the opaque cursor of the next page."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import re
import secrets

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from starlette.requests import Request
from starlette.responses import Response

from orchestration.privacy.csv_safe import safe_cell


class BadCursor(ValueError):
    """A cursor this server did not give, or gave for another query."""


MEDIA = {"json": "application/json", "csv": "text/csv", "parquet": "application/vnd.apache.parquet",
         "arrow": "application/vnd.apache.arrow.stream"}


MAX_OFFSET = 2**62


def query_digest(principal_id: str, mart: str, columns: list[str], filters: dict[str, str], purpose: str,
                 grant_id: str | None) -> str:
    """What a cursor belongs to: the principal asking, the mart, the columns, the filters,
    the purpose and the grant named. The page size may change from page to page; the
    question may not, nor who asks it (another reader's answer is cut to their scope)."""
    text = json.dumps([principal_id, mart, columns, sorted(filters.items()), purpose, grant_id], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cursor_offset(value: str | None, query: str) -> int:
    """The offset a cursor of ``query`` carries. A cursor of another query is refused: its
    offset would be a page of a different answer, silently. So is one this server
    process did not sign: a client cannot make its own (an offset of its choosing)."""
    if not value:
        return 0
    try:
        given = json.loads(base64.urlsafe_b64decode(value.encode() + b"==").decode())
        offset = int(given["o"])
        same = given["q"] == query
        signed = hmac.compare_digest(str(given["s"]), _signature(offset, query))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, OverflowError, RecursionError):
        # RecursionError: a crafted '[[[[…' nests deeper than the JSON parser goes (a 500)
        raise BadCursor(value) from None
    if not (same and signed):
        raise BadCursor(value)
    if not 0 <= offset <= MAX_OFFSET:  # a crafted {"o": 1e30} overflowed DuckDB's OFFSET (a 500)
        raise BadCursor(value)
    return offset


# The cursors' signing key: this process's own, so a cursor is good for the server that
# gave it (a restart asks the client to page again from the start).
_CURSOR_KEY = secrets.token_bytes(32)


def _signature(offset: int, query: str) -> str:
    return hmac.new(_CURSOR_KEY, f"{offset}:{query}".encode(), hashlib.sha256).hexdigest()[:32]


def next_cursor(offset: int, query: str) -> str:
    payload = {"o": offset, "q": query, "s": _signature(offset, query)}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


class NotAcceptable(Exception):
    """The Accept header names no format this API serves (and no */*)."""


def requested_format(request: Request) -> str:
    """The served format the Accept header prefers (RFC 9110: media types in any letter
    case, q-values, q=0 refuses one; ties go to the order given). No header, or */*,
    application/*: JSON."""
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return "json"
    by_media = {media: key for key, media in MEDIA.items()}
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        media = media.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                # a qvalue is 0 to 1 with at most three decimals (RFC 9110 12.4.2): "nan",
                # "1e999" or "2" is none, and names nothing (it outranked every valid one)
                value = value.strip()
                q = float(value) if re.fullmatch(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?", value) else 0.0
        if q <= 0:
            continue
        key = by_media.get(media) or ("json" if media in ("*/*", "application/*") else None)
        if key is not None:
            ranked.append((-q, position, key))
    if not ranked:
        raise NotAcceptable(accept)
    return min(ranked)[2]


def render(table: pa.Table, fmt: str, headers: dict, cursor: str | None) -> Response:
    """The rows in the asked format; JSON rows come as DuckDB wrote them (column __row)."""
    if fmt == "parquet":
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return Response(sink.getvalue(), media_type=MEDIA["parquet"], headers=headers)
    if fmt == "arrow":
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return Response(sink.getvalue().to_pybytes(), media_type=MEDIA["arrow"], headers=headers)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in table.to_pylist():
            writer.writerow([safe_cell(plain(v)) for v in row.values()])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    # the rows' JSON texts joined by Arrow into one buffer: no Python string per row
    column = table.column("__row").combine_chunks()
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(column)], pa.int32()), column), ",")[0]
    rows = joined.as_buffer().to_pybytes() if joined.is_valid and len(column) else b""
    body = b'{"rows": [' + rows + f'], "count": {len(column)}, "next_cursor": {json.dumps(cursor)}}}'.encode()
    return Response(body, media_type=MEDIA["json"], headers=headers)


def plain(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
