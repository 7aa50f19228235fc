"""Bearer tokens of the governed API: issued once, stored only as salted hashes.

A token reads ``ehs_<token_id>_<secret>``: the id finds the record, the secret (32 random
bytes) is checked against ``sha256(salt || secret)`` in constant time. The secret has 256
bits of entropy, so a fast hash is enough (a slow KDF protects guessable passwords, and
would cost every request milliseconds). The store is ``<lake>/ops/serve/tokens.json``,
mode 0600 in a 0700 folder, replaced atomically; the server re-reads it when it changes,
so a revocation takes effect on the next request without a restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.errors import UserError
from orchestration.lake import LakePaths

MAX_EXPIRES_DAYS = 36_500  # beyond the year 9999 a date cannot be written
PREFIX = "ehs"


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    principal_id: str
    app: str | None
    salt: str
    digest: str
    issued_at: str
    expires_at: str | None
    revoked_at: str | None = None

    def state(self, now: datetime) -> str:
        """valid, revoked or expired at ``now``."""
        if self.revoked_at and datetime.fromisoformat(self.revoked_at) <= now:
            return "revoked"
        if self.expires_at and datetime.fromisoformat(self.expires_at) <= now:
            return "expired"
        return "valid"


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def _private_dir(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


def check_expires_days(expires_days: int | None) -> None:
    """A token's lifetime in days, as `token issue --expires-days` takes it."""
    if expires_days is not None and expires_days <= 0:
        raise UserError("--expires-days must be a positive number of days")
    if expires_days is not None and expires_days > MAX_EXPIRES_DAYS:
        raise UserError(f"--expires-days must be at most {MAX_EXPIRES_DAYS:,} (about 100 years); "
                        "leave it out for a token that does not expire")


class TokenStore:
    """The lake's tokens. Writers hold an exclusive lock; readers see whole files only."""

    def __init__(self, lake: Path):
        self.path = LakePaths(Path(lake)).tokens
        self._cache: tuple[float, dict[str, TokenRecord]] | None = None

    # -- reading ---------------------------------------------------------------------------------
    def records(self) -> dict[str, TokenRecord]:
        """token_id -> record, re-read only when the file changed."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != mtime:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            self._cache = (mtime, {r["token_id"]: TokenRecord(**r) for r in rows})
        return self._cache[1]

    def verify(self, token: str, now: datetime) -> tuple[TokenRecord | None, str]:
        """(record, state) for a presented token; state is valid, unknown, revoked or expired.
        A malformed or forged token is ``unknown``: the caller learns nothing more."""
        parts = token.split("_")
        if len(parts) != 3 or parts[0] != PREFIX:
            return None, "unknown"
        record = self.records().get(parts[1])
        if record is None or not hmac.compare_digest(record.digest, _digest(record.salt, parts[2])):
            return None, "unknown"
        return record, record.state(now)

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def _locked(self):
        _private_dir(self.path.parent)
        with open(self.path.parent / ".tokens.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _write(self, records: dict[str, TokenRecord]) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump([asdict(r) for r in records.values()], fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._cache = None

    def issue(self, principal_id: str, app: str | None, expires_days: int | None, now: datetime) -> str:
        """A new token for ``principal_id``; returns the token text (shown once)."""
        check_expires_days(expires_days)
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32).replace("_", "-")
        salt = secrets.token_hex(16)
        record = TokenRecord(
            token_id=token_id, principal_id=principal_id, app=app, salt=salt, digest=_digest(salt, secret),
            issued_at=now.isoformat(),
            expires_at=(now + timedelta(days=expires_days)).isoformat() if expires_days else None,
        )
        with self._locked():
            records = dict(self.records())
            records[token_id] = record
            self._write(records)
        return f"{PREFIX}_{token_id}_{secret}"

    def revoke(self, token_id: str, now: datetime) -> TokenRecord:
        token_id = token_id.split("_")[1] if token_id.startswith(f"{PREFIX}_") else token_id
        with self._locked():
            records = dict(self.records())
            if token_id not in records:
                raise UserError(f"no token {token_id} in this lake (see `eduhouse token list`)")
            old = records[token_id]
            if old.revoked_at is None:
                records[token_id] = TokenRecord(**{**asdict(old), "revoked_at": now.isoformat()})
                self._write(records)
            return records[token_id]


def now_utc() -> datetime:
    return datetime.now(UTC)
