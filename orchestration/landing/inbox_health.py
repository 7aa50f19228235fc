"""What in the inbox the landing cannot take as it is, said before it is lost quietly.

- ``unsettled``: new deliveries changed within the last ``settle_seconds``, still being
  copied in. `eduhouse run` waits for them (the inbox sensor waits a tick): landed half
  written, the rest of the file was never read, since a delivery lands once by its name.
- ``changed_since_landing``: a ledgered file or folder whose size is no longer what
  landed. A delivery is immutable (docs/inputs.md); one that grew after landing holds
  records nothing landed, and only re-landing it takes them.
- ``misplaced``: entries the landing never looks at: a file directly under ``inbox/``, a
  folder that is no source (``inbox/xapii/``), a source's place taken by a file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from orchestration.lake import SOURCES, LakePaths
from orchestration.landing.core import pending
from orchestration.landing.deliveries import Delivery, discover
from orchestration.landing.ledger import read_ledger


def last_change(delivery: Delivery) -> float:
    """When anything of the delivery last changed (a folder: its newest file or itself)."""
    path = delivery.path
    times = [path.lstat().st_mtime]
    if path.is_dir() and not path.is_symlink():
        times += [p.lstat().st_mtime for p in path.rglob("*")]
    return max(times)


def unsettled(lake_root: Path, settle_seconds: float, now: float | None = None) -> list[Delivery]:
    """New deliveries (no ledger row) changed less than ``settle_seconds`` ago. The inbox
    is stat'ed first: the ledgers are read only for what changed that recently (nearly
    always nothing: this runs before every `eduhouse run`)."""
    now = time.time() if now is None else now
    recent = {source: {d.delivery_id for d in discover(lake_root, source) if now - last_change(d) < settle_seconds}
              for source in SOURCES}
    return [d for source, ids in recent.items() if ids for d in pending(lake_root, source) if d.delivery_id in ids]


@dataclass(frozen=True)
class Changed:
    source: str
    delivery_id: str
    landed_bytes: int
    now_bytes: int
    days: tuple[str, ...] = ()  # the local days it landed (a daily source's landed delivery)

    def advice(self) -> str:
        """What lands the new bytes: a daily source's landed delivery is landed again by a
        backfill over its days; anything else (a refused or duplicate delivery, a roster
        or exam) only under a new name (the faults probe followed the backfill advice for
        a refused roster folder, and nothing landed)."""
        if self.days:
            first, last = min(self.days), max(self.days)
            return (f"send it under a new name, or land it again with `eduhouse backfill --from {first} "
                    f"--to {last} --rebuild`")
        return "send it again under a new name"


def changed_since_landing(lake_root: Path) -> list[Changed]:
    """Ledgered deliveries whose bytes are not the ones that landed (a file still being
    written when it landed, or written to since)."""
    out = []
    for source in SOURCES:
        rows = {r["delivery_id"]: r for r in read_ledger(lake_root, source)}
        for delivery in discover(lake_root, source):
            row = rows.get(delivery.delivery_id)
            if row is None or row.get("size_bytes") is None or row.get("reason") == "unsafe_path":
                continue
            size = delivery.bytes_on_disk()
            if size is not None and size != row["size_bytes"]:
                daily = source in ("xapi", "access") and row.get("status") == "landed"
                days = tuple(str(d) for d in (row.get("local_dates") or ())) if daily else ()
                out.append(Changed(source, delivery.delivery_id, int(row["size_bytes"]), size, days))
    return out


def misplaced(lake_root: Path) -> list[str]:
    """Entries of the inbox that no source's landing reads, each said as one phrase."""
    inbox = LakePaths(Path(lake_root)).inbox
    if not inbox.is_dir():
        return []
    out = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.name in SOURCES:
            if not entry.is_dir():
                out.append(f"inbox/{entry.name} is a file: a source's deliveries go in a folder of that name")
        elif entry.is_dir():
            out.append(f"inbox/{entry.name}/ is no source ({', '.join(SOURCES)}): nothing in it is landed")
        else:
            out.append(f"inbox/{entry.name} is outside every source's folder: it is not landed")
    return out


def problems(lake_root: Path) -> list[str]:
    """What in the inbox will not land as it is, one line each, as the run and `status`
    say it: a delivery changed since it landed, an entry in no source's folder."""
    changed = [f"inbox/{c.source}/{c.delivery_id} changed after it landed ({c.landed_bytes:,} -> {c.now_bytes:,} "
               f"bytes): a delivery is immutable, so what it gained has not landed; {c.advice()}"
               for c in changed_since_landing(lake_root)]
    return changed + misplaced(lake_root)
