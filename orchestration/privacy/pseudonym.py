"""The per-lake pseudonym key: where it lives, how it is made, and the HMAC it keys.

``student_key = hex(HMAC-SHA256(key, sourcedId))``. The key is never a constant of the
code: the first run of a lake draws 32 random bytes into ``<lake>/ops/secrets/pseudonym.key``
(mode 0600, folder 0700). ``EDUHOUSE_PSEUDONYM_SECRET`` (the key itself) or
``EDUHOUSE_PSEUDONYM_SECRET_FILE`` (another file, e.g. a mounted secret) override it.

The key reaches SQL only as two DuckDB session variables set by the dbt plugin
(:mod:`orchestration.transform.duckdb_plugin`) through a prepared statement, so it is in
no compiled SQL, dbt artifact, log or Dagster event. See docs/privacy.md for rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

SECRET_ENV = "EDUHOUSE_PSEUDONYM_SECRET"
SECRET_FILE_ENV = "EDUHOUSE_PSEUDONYM_SECRET_FILE"
KEY_FILE = Path("ops") / "secrets" / "pseudonym.key"
MIN_SECRET_CHARS = 16
BLOCK = 64  # SHA-256's block size: HMAC pads (or first hashes) the key to it


class PseudonymKeyError(RuntimeError):
    """The key is unusable (too short, readable by others, unreadable); one line says why."""


def key_file(lake: str | Path, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get(SECRET_FILE_ENV)
    return Path(explicit) if explicit else Path(lake) / KEY_FILE


def _check(secret: str, origin: str) -> bytes:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise PseudonymKeyError(f"the pseudonym key from {origin} is shorter than {MIN_SECRET_CHARS} characters")
    return secret.encode("utf-8")


def _create(path: Path) -> None:
    """Write a fresh random key, owner-only, without ever replacing an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # atomic, and fails if another process made the key first
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def load_key(lake: str | Path, environ: dict[str, str] | None = None, create: bool = True) -> bytes:
    """The lake's pseudonym key, made on first use unless it comes from the environment."""
    env = os.environ if environ is None else environ
    if env.get(SECRET_ENV):
        return _check(env[SECRET_ENV], SECRET_ENV)
    path = key_file(lake, env)
    if not path.exists():
        if not create or env.get(SECRET_FILE_ENV):
            raise PseudonymKeyError(f"no pseudonym key at {path}")
        _create(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PseudonymKeyError(f"the pseudonym key {path} is readable by others: chmod 600 it")
    return _check(path.read_text(encoding="utf-8"), str(path))


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer padded keys (RFC 2104), so SQL can compute the HMAC as
    sha256(opad || sha256(ipad || message)) with DuckDB's own sha256."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym(key: bytes, sourced_id: str) -> str:
    """The key of one sourcedId, as the marts compute it (for checks and tests)."""
    return hmac.new(key, sourced_id.encode("utf-8"), hashlib.sha256).hexdigest()
