"""`eduhouse serve` (the governed API) and `eduhouse token issue | revoke | list`."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
from pathlib import Path

from orchestration.errors import whole_number

DEFAULT_THREADS = 2 * (os.cpu_count() or 1)
MAX_APP_NAME = 64  # characters of a client app's name (the access log and `token list` carry it)


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="the governed API: marts and reports through the policy",
                              description="Serve the lake's marts and role reports over HTTP; every read passes "
                                          "the grants and lands in the access log.")
    p.add_argument("--lake", default=None, help="lake root (default: EDUHOUSE_LAKE or ./lake)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=whole_number(0, 65535), default=8080, help="port (default 8080; 0 picks a free one)")
    # Handlers are CPU-bound (DuckDB, JSON) and share the GIL: more threads than about two
    # per core only queue inside the process and stretch the tail (bench/serve.py, 2 cores,
    # a teacher's 4,115 rows at 8 clients: p99 80 ms with 4 threads, 111 ms with 8).
    p.add_argument("--threads", type=whole_number(1, 64), default=DEFAULT_THREADS,
                   help=f"requests handled at once (default {DEFAULT_THREADS}: two per core)")
    p.add_argument("--as-of", default=None, metavar="YYYY-MM-DD",
                   help="replay a simulated world: judge grants and roster, and time events, on this day")
    p.set_defaults(func=serve)

    t = subparsers.add_parser("token", help="bearer tokens of the governed API",
                              description="Issue, revoke and list the API's bearer tokens.")
    tsub = t.add_subparsers(dest="token_command", required=True, metavar="{issue,revoke,list}")
    issue = tsub.add_parser("issue", help="issue a token (printed once; the lake keeps a salted hash)")
    issue.add_argument("--lake", default=None)
    issue.add_argument("--principal", required=True, help="a roster user's sourcedId, or an app id from grants.csv")
    issue.add_argument("--app", default=None, help="client application name recorded in the access log")
    issue.add_argument("--expires-days", type=int, default=None, help="expiry in days (default: none)")
    issue.set_defaults(func=token_issue)
    revoke = tsub.add_parser("revoke", help="revoke a token by its id (or the token itself)")
    revoke.add_argument("--lake", default=None)
    revoke.add_argument("token_id", nargs="?", help="the token's id (from `token list`) or the token itself")
    revoke.add_argument("--token-id", dest="token_id_opt", default=None, help="the same, as an option")
    revoke.set_defaults(func=token_revoke)
    listing = tsub.add_parser("list", help="list tokens (ids, principals, states; never secrets)")
    listing.add_argument("--lake", default=None)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=token_list)


def _known_principal(lake: Path, principal: str) -> bool:
    """A roster user (in staff_scope: staff, students, guardians) or a grant's principal."""
    import duckdb

    from orchestration.lake import LakePaths

    restricted = LakePaths(lake).restricted
    sources = [(restricted / "staff_scope.parquet", "person_sourced_id"),
               (restricted / "access_grants.parquet", "principal_id")]
    con = duckdb.connect()
    try:
        for path, column in sources:
            if path.exists() and con.execute(f"select 1 from read_parquet(?) where {column} = ? limit 1",
                                             [str(path), principal]).fetchone():
                return True
    finally:
        con.close()
    return False


def _app_with_its_own_log(lake: Path, app: str) -> bool:
    """Whether a client app of that name already sends its own access log (landed access
    events not written by this server): the server numbers its events per client_app, so
    sharing the name would give two events one seq and hide gaps from the audit."""
    import duckdb

    from orchestration.lake import LakePaths
    from orchestration.landing.access_segments import PREFIX

    files = sorted(str(p) for p in (LakePaths(lake).bronze / "access").rglob("*.parquet"))
    if not files:
        return False
    con = duckdb.connect()
    try:
        return con.execute("select 1 from read_parquet(?, union_by_name = true) where client_app = ? "
                           "and not starts_with(_delivery, ?) limit 1", [files, app, PREFIX]).fetchone() is not None
    finally:
        con.close()


def token_issue(args: argparse.Namespace) -> int:
    from orchestration.errors import UserError, existing_lake
    from orchestration.serve.tokens import TokenStore, check_expires_days, now_utc

    lake = existing_lake(args.lake)
    check_expires_days(args.expires_days)
    if not args.principal.strip():
        raise UserError("--principal is empty: give a roster user's sourcedId or an app id from grants.csv")
    app = args.app
    if app is not None and not (0 < len(app) <= MAX_APP_NAME and app.isprintable()
                                and not any(c.isspace() for c in app)):
        raise UserError(f"--app {app!r} is not a client app name: 1 to {MAX_APP_NAME} printable characters "
                        "without spaces (it is written into every access event and the token list)")
    if not _known_principal(lake, args.principal):
        raise UserError(f"{args.principal} is neither a roster user nor a principal of grants.csv in this lake "
                        "(run `eduhouse run` after delivering the roster and grants)")
    if args.app and _app_with_its_own_log(lake, args.app):
        raise UserError(f"client app {args.app!r} already sends its own access log: its events and the server's "
                        "would share one seq; give this token another --app name")
    token = TokenStore(lake).issue(args.principal, args.app, args.expires_days, now_utc())
    print(token)
    print(f"token for {args.principal}: shown once; the lake keeps only a salted hash", file=sys.stderr)
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    from orchestration.errors import UserError, existing_lake
    from orchestration.serve.tokens import TokenStore, now_utc

    token_id = args.token_id or args.token_id_opt
    if not token_id:
        raise UserError("name the token to revoke: eduhouse token revoke ID (ids: eduhouse token list)")
    record = TokenStore(existing_lake(args.lake)).revoke(token_id, now_utc())
    print(f"revoked {record.token_id} ({record.principal_id}) at {record.revoked_at}")
    return 0


def token_list(args: argparse.Namespace) -> int:
    from orchestration.errors import existing_lake
    from orchestration.serve.tokens import TokenStore, now_utc

    now = now_utc()
    rows = [{"token_id": r.token_id, "principal_id": r.principal_id, "app": r.app, "issued_at": r.issued_at,
             "expires_at": r.expires_at, "revoked_at": r.revoked_at, "state": r.state(now)}
            for r in TokenStore(existing_lake(args.lake)).records().values()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'token_id':16s}  {'principal':24s}  {'app':16s}  {'state':8s}  expires")
    for r in rows:
        print(f"{r['token_id']:16s}  {r['principal_id']:24s}  {(r['app'] or '-'):16s}  {r['state']:8s}  "
              f"{r['expires_at'] or '-'}")
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from orchestration.errors import UserError, existing_lake
    from orchestration.lake import LakePaths
    from orchestration.serve.app import create_app
    from orchestration.settings import get_settings

    settings = get_settings(existing_lake(args.lake))
    paths = LakePaths(settings.lake)
    paths.serve_state.mkdir(parents=True, exist_ok=True)
    os.chmod(paths.serve_state, 0o700)
    # One server per lake: the access log's seq is numbered by one process.
    lock = open(paths.serve_lock, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(f"another `eduhouse serve` is running on {settings.lake}") from None
    as_of = None
    if args.as_of:
        from datetime import date

        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise UserError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from None
    app = create_app(settings.lake, settings.timezone, as_of, threads=args.threads)
    if not any(paths.restricted.glob("*.parquet")):
        # it serves, and answers 503 not_published until a run publishes (the newcomer probe:
        # a lake simulated and never run answered 401 to a token issued nowhere, without a hint)
        print(f"eduhouse serve: {settings.lake} has no published marts yet: `eduhouse run --lake {settings.lake}` "
              "publishes them", file=sys.stderr, flush=True)
    # uvicorn's own loop set-up (uvloop and httptools where installed, as they are with
    # dagster-webserver) and its signal handling: SIGTERM / Ctrl-C stop gracefully.
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                            lifespan="on")
    server = uvicorn.Server(config)
    _announce(server, f"http://{args.host}:{{port}}", settings.lake)
    import socket

    try:  # checked here: uvicorn would log the error and exit without saying which address
        probe = socket.create_server((args.host, args.port))
        probe.close()
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    server.run(sockets=[config.bind_socket()])
    return 0


def _announce(server, pattern: str, lake: Path) -> None:
    """Print the address once uvicorn listens (the port is known only then with --port 0)."""
    original = server.startup

    async def startup(sockets=None):
        await original(sockets=sockets)
        for s in sockets or ():
            port = s.getsockname()[1]
            print(f"eduhouse serve: {pattern.format(port=port)} for {lake} (Ctrl-C stops)", flush=True)

    server.startup = startup
