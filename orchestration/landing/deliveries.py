"""Finding deliveries in the inbox: names, ids, content hashes, member files.

A delivery is one entry under ``inbox/<source>/``: a file (``.jsonl``, ``.jsonl.gz``,
``.csv``), a folder of CSV files, or a ``.zip`` of one. Its id is its whole name, escaped
to be path-safe and injective (``delivery_id_for``), and its identity for de-duplication
is the sha256 of its content, so the same bytes under another name land once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from orchestration.lake import LakePaths
from orchestration.settings import get_settings

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


class Unreadable(Exception):  # noqa: N818 - a verdict, not a bug
    """The delivery as a whole cannot be read; it is quarantined in one row."""

    def __init__(self, reason: str, detail: str, file: str | None = None):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.file = reason, detail, file


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, every link resolved, stays under `root`."""
    return path.resolve().is_relative_to(root.resolve())


def _ignored(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.startswith("~") or name.lower().endswith(_IGNORED_SUFFIXES)


@dataclass(frozen=True)
class Delivery:
    source: str
    delivery_id: str
    path: Path

    @cached_property  # hashing and extracting both ask: walk the folder once
    def unsafe_link(self) -> str | None:
        """Why the entry may not be read: a symbolic link that leads out of the inbox
        (itself, or anything inside a folder delivery). Never followed: the lake lands
        what was delivered, not what a link points at."""
        inbox = self.path.parent
        if not _inside(self.path, inbox):
            return f"{self.path.name} is a link to {os.readlink(self.path)}, outside the inbox"
        if self.path.is_dir():
            for p in self.path.rglob("*"):
                if p.is_symlink() and not _inside(p, inbox):
                    return f"{p.relative_to(self.path)} is a link to {os.readlink(p)}, outside the inbox"
        return None

    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "dir"
        if self.path.name.lower().endswith(".zip"):
            return "zip"
        return "file"

    def bytes_on_disk(self) -> int | None:
        """The bytes ``content_sha256`` counts, told by stat alone: a file's own, a
        folder's members'; None for a zip (counted expanded) or a link (never read)."""
        if self.path.is_symlink() or self.kind == "zip":
            return None
        if self.kind == "file":
            return self.path.stat().st_size
        return sum(p.stat().st_size for found in _dir_members(self.path).values() for p in found)

    def content_sha256(self) -> tuple[str, int]:
        """sha256 and size in bytes; folders and zips hash their members in name order."""
        digest = hashlib.sha256()
        link = self.unsafe_link
        if link is not None:  # identified by its name and where it points, never read
            digest.update(f"unsafe {self.path.name}: {link}".encode())
            return digest.hexdigest(), 0
        if self.kind == "file":
            size = _hash_file(self.path, digest)
            return digest.hexdigest(), size
        size = 0
        if self.kind == "dir":
            members = _dir_members(self.path)
            if not members:  # hashed as nothing, an empty folder was "the same" as an empty file (the faults probe)
                digest.update(b"\0an empty folder\0")
            for name, found in sorted(members.items()):
                for member in found:
                    digest.update(f"{name}\n".encode())
                    size += _hash_file(member, digest)
            return digest.hexdigest(), size
        try:
            with zipfile.ZipFile(self.path) as zf:
                members = _zip_members(zf)
                infos = [(name, info) for name, found in sorted(members.items()) for info in found]
                if sum(info.file_size for _, info in infos) > get_settings().max_delivery_bytes:
                    return _raw_hash(self.path)  # a zip bomb: identified by its own bytes
                for name, info in infos:
                    digest.update(f"{name}\n".encode())
                    with zf.open(info) as fh:
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

        Raises ``Unreadable`` for what cannot be landed safely: a link out of the inbox,
        two members with one base name (which one is users.csv?), more bytes than
        settings allow; ``zipfile.BadZipFile`` for a zip that will not open.
        """
        link = self.unsafe_link
        if link is not None:
            raise Unreadable("unsafe_path", link)
        limit = get_settings().max_delivery_bytes
        if self.kind == "file":
            yield {self.path.name: self.path}
        elif self.kind == "dir":
            members = _unique(_dir_members(self.path), "folder")
            if sum(p.stat().st_size for p in members.values()) > limit:
                raise Unreadable("too_large", f"the folder holds more than {limit:,} bytes")
            yield members
        else:
            tmp = Path(tempfile.mkdtemp(prefix=f"eduhouse-zip-{self.delivery_id}-"))
            try:
                out: dict[str, Path] = {}
                with zipfile.ZipFile(self.path) as zf:
                    members = _unique(_zip_members(zf), "zip")
                    declared = sum(i.file_size for i in members.values())
                    if declared > limit:
                        raise Unreadable("too_large", f"the zip expands to {declared:,} bytes, more than the "
                                         f"{limit:,} allowed (EDUHOUSE_MAX_DELIVERY_BYTES)")
                    written = 0
                    for name, info in members.items():
                        target = tmp / name
                        with zf.open(info) as src, open(target, "wb") as dst:
                            # Count what really comes out: a member's declared size can lie.
                            for chunk in iter(lambda src=src: src.read(1 << 20), b""):
                                written += len(chunk)
                                if written > limit:
                                    raise Unreadable("too_large", f"the zip expands past the {limit:,} bytes allowed")
                                dst.write(chunk)
                        out[name] = target
                yield out
            finally:
                shutil.rmtree(tmp, ignore_errors=True)


def _unique(members: dict[str, list], kind: str) -> dict:
    """One member per base name, or Unreadable naming the clash."""
    clashes = {name: found for name, found in members.items() if len(found) > 1}
    if clashes:
        name, found = next(iter(sorted(clashes.items())))
        where = ", ".join(str(getattr(f, "filename", f)) for f in found)
        raise Unreadable("duplicate_member", f"the {kind} holds {len(found)} files named {name}: {where}")
    return {name: found[0] for name, found in members.items()}


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


def _dir_members(folder: Path) -> dict[str, list[Path]]:
    out: dict[str, list[Path]] = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not _ignored(p) and "__MACOSX" not in p.parts:
            out.setdefault(p.name, []).append(p)
    return out


def _zip_members(zf: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    out: dict[str, list[zipfile.ZipInfo]] = {}
    for info in zf.infolist():
        if info.is_dir() or "__MACOSX" in info.filename:
            continue
        name = info.filename.rsplit("/", 1)[-1]
        if name and not name.startswith("."):
            out.setdefault(name, []).append(info)
    return out


def discover(lake_root: Path, source: str) -> list[Delivery]:
    """Every delivery currently in ``inbox/<source>/``, in name order."""
    inbox = LakePaths(Path(lake_root)).inbox / source
    if not inbox.is_dir():
        return []
    out = []
    for entry in sorted(inbox.iterdir()):
        if _ignored(entry):
            continue
        out.append(Delivery(source, delivery_id_for(entry.name), entry))
    return out
