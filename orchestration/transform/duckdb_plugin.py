"""dbt-duckdb plugin: hands the lake's pseudonym key to DuckDB outside the SQL text.

Declared in ``dbt_project/profiles.yml``. On every connection and cursor dbt opens, the
HMAC pads of the key are set as the session variables ``eduhouse_hmac_ipad`` and
``eduhouse_hmac_opad`` through a prepared statement; the ``pseudonymize`` macro reads
them with ``getvariable``. So the key is in no compiled SQL, manifest, run result or
log, and a model cannot be compiled into something that reveals it.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.privacy.pseudonym import hmac_pads, load_key


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._pads: tuple[bytes, bytes] | None = None

    def _set(self, conn) -> None:
        # Loaded on the first connection, not at parse time: `dbt parse` needs no key.
        if self._pads is None:
            self._pads = hmac_pads(load_key(os.environ.get("EDUHOUSE_LAKE", "lake")))
        ipad, opad = self._pads
        conn.execute("set variable eduhouse_hmac_ipad = ?", [ipad])
        conn.execute("set variable eduhouse_hmac_opad = ?", [opad])

    def configure_connection(self, conn) -> None:
        self._set(conn)

    def configure_cursor(self, cursor) -> None:
        self._set(cursor)
