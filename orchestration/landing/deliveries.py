"""Finding deliveries in the inbox: names, ids, content hashes, member files.

A delivery is one entry under ``inbox/<source>/``: a file (``.jsonl``, ``.jsonl.gz``,
``.csv``), a folder of CSV files, or a ``.zip`` of one. Its id is its whole name, escaped
to be path-safe and injective (``delivery_id_for``), and its identity for de-duplication
is the sha256 of its content, so the same bytes under another name land once.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def delivery_id_for(name: str) -> str:
    """The delivery's id: its entry name, whole and injective.

    ``2021-10-01.jsonl.gz`` -> ``2021-10-01.jsonl.gz``; ``day 6.jsonl`` -> ``day~206.jsonl``.
    The format suffix and the letter case are kept and every byte outside
    ``[A-Za-z0-9._-]`` becomes ``~XX`` (``~`` itself included), so two entries of one
    inbox folder never share an id: ``X.jsonl`` and ``X.jsonl.gz``, ``day 6`` and
    ``day_6``, ``X.jsonl`` and ``X.JSONL`` are different deliveries, each with its own
    ledger row and bronze files. The id is also safe as a file name and in a glob.
    """
    return "".join(ch if ch in _SAFE else "".join(f"~{b:02X}" for b in ch.encode()) for ch in name)


def _ignored(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.startswith("~") or name.lower().endswith(_IGNORED_SUFFIXES)


@dataclass(frozen=True)
class Delivery:
    source: str
    delivery_id: str
    path: Path

    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "dir"
        if self.path.name.lower().endswith(".zip"):
            return "zip"
        return "file"

    def content_sha256(self) -> tuple[str, int]:
        """sha256 and size in bytes; folders and zips hash their members in name order."""
        digest = hashlib.sha256()
        if self.kind == "file":
            size = _hash_file(self.path, digest)
            return digest.hexdigest(), size
        size = 0
        if self.kind == "dir":
            for name, member in sorted(_dir_members(self.path).items()):
                digest.update(f"{name}\n".encode())
                size += _hash_file(member, digest)
            return digest.hexdigest(), size
        try:
            with zipfile.ZipFile(self.path) as zf:
                members = _zip_members(zf)
                for name in sorted(members):
                    digest.update(f"{name}\n".encode())
                    with zf.open(members[name]) as fh:
                        for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):
                            digest.update(chunk)
                            size += len(chunk)
            return digest.hexdigest(), size
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            # An unreadable zip is still identified, by its raw bytes.
            return _raw_hash(self.path)

    @contextmanager
    def members(self) -> Iterator[dict[str, Path]]:
        """Member files by base name, as local paths (a zip is extracted to a temp folder).

        Raises ``zipfile.BadZipFile`` for a zip that will not open.
        """
        if self.kind == "file":
            yield {self.path.name: self.path}
        elif self.kind == "dir":
            yield _dir_members(self.path)
        else:
            tmp = Path(tempfile.mkdtemp(prefix=f"eduhouse-zip-{self.delivery_id}-"))
            try:
                out: dict[str, Path] = {}
                with zipfile.ZipFile(self.path) as zf:
                    for name, info in _zip_members(zf).items():
                        target = tmp / name
                        with zf.open(info) as src, open(target, "wb") as dst:
                            shutil.copyfileobj(src, dst)
                        out[name] = target
                yield out
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


def _raw_hash(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = _hash_file(path, digest)
    return digest.hexdigest(), size


def _hash_file(path: Path, digest) -> int:
    size = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size


def _dir_members(folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not _ignored(p) and "__MACOSX" not in p.parts:
            out.setdefault(p.name, p)
    return out


def _zip_members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    out: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        if info.is_dir() or "__MACOSX" in info.filename:
            continue
        name = info.filename.rsplit("/", 1)[-1]
        if name and not name.startswith("."):
            out.setdefault(name, info)
    return out


def discover(lake_root: Path, source: str) -> list[Delivery]:
    """Every delivery currently in ``inbox/<source>/``, in name order."""
    inbox = Path(lake_root) / "inbox" / source
    if not inbox.is_dir():
        return []
    out = []
    for entry in sorted(inbox.iterdir()):
        if _ignored(entry):
            continue
        out.append(Delivery(source, delivery_id_for(entry.name), entry))
    return out
