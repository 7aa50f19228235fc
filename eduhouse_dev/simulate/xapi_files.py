"""Writes the daily xAPI deliveries with their dirt: late arrivals, defects, resends, truncation.

`inbox/xapi/<YYYY-MM-DD>.jsonl.gz` holds the statements of that local day (plus late
ones of earlier days appended at the end); `_resend` is a byte-identical second delivery,
`_batch2` a gzip cut short in transfer. Every defect is logged in the DirtLog with its
1-based line number in the file it ended up in.

A day is simulated and written in blocks of schools (time-ordered within a block, as an
LRS exporting per tenant does), so memory stays bounded at city scale.
"""

from __future__ import annotations

import gzip
import shutil
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from eduhouse_dev.simulate.csvio import joined_bytes, joined_view
from eduhouse_dev.simulate.dirt import XAPI_LINE_DEFECTS, DirtLog, corrupt_xapi, pick_dirty
from eduhouse_dev.simulate.world import World
from eduhouse_dev.simulate.xapi import DaySimulator
from eduhouse_dev.simulate.xapi_statements import KINDS

GZIP_LEVEL = 1  # speed over size: a district month is gigabytes of JSON before compression
BLOCK_STUDENTS = 20_000
SCORED = (KINDS.index("answered"), KINDS.index("completed"))
LINE_KINDS = list(XAPI_LINE_DEFECTS)


def school_blocks(world: World, limit: int = BLOCK_STUDENTS) -> list[np.ndarray]:
    """Consecutive schools grouped so that a block has at most about `limit` students."""
    counts = np.bincount(world.stu_school, minlength=len(world.school_ids))
    blocks, current, size = [], [], 0
    for i, c in enumerate(counts.tolist()):
        if current and size + c > limit:
            blocks.append(current)
            current, size = [], 0
        current.append(i)
        size += c
    blocks.append(current)
    masks = []
    for b in blocks:
        m = np.zeros(len(counts), bool)
        m[b] = True
        masks.append(m)
    return masks


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


class _GzipPipe:
    """A gzip file written on a worker thread (zlib releases the GIL), so compression
    overlaps drawing the next block; at most two blocks wait in memory."""

    def __init__(self, pool: ThreadPoolExecutor, path: Path):
        self.pool = pool
        self.raw = open(path, "wb")  # closed in __exit__
        self.gz = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # gzip container, mtime 0
        self.jobs: list = []

    def _compress(self, data: memoryview) -> None:
        self.raw.write(self.gz.compress(data))

    def write(self, data: memoryview) -> None:
        if len(self.jobs) >= 2:
            self.jobs[-2].result()
        self.jobs.append(self.pool.submit(self._compress, data))

    def __enter__(self) -> _GzipPipe:
        return self

    def __exit__(self, *exc) -> None:
        try:
            for job in self.jobs:  # wait, and surface any error of the writer
                job.result()
            if exc[0] is None:
                self.raw.write(self.gz.flush())
        finally:
            self.raw.close()


@dataclass
class _Block:
    """One block's lines after dirt, with the defects' positions within the block."""

    lines: pa.Array
    marks: list[tuple[int, str]] = field(default_factory=list)  # (1-based line in block, kind)
    clean_kinds: np.ndarray | None = None


def _dirty_block(lines: pa.Array, kept: np.ndarray, kind: np.ndarray, picks: dict[int, str],
                 rng: np.random.Generator) -> _Block:
    """The kept lines (indexes into `lines`, in file order) with the picked defects applied;
    a duplicate_id inserts a copy of a recent clean line. One string copy in all."""
    n_lines = len(lines)
    scored = np.flatnonzero(np.isin(kind, SCORED))
    taken = set(picks)
    for row, k in list(picks.items()):
        if k == "score_out_of_range" and kind[row] not in SCORED:
            del picks[row]
            taken.discard(row)
            for new in (int(x) for x in rng.choice(scored, size=min(8, len(scored)), replace=False)):
                if new not in taken:
                    picks[new] = k
                    taken.add(new)
                    break
    extras: list[str] = []
    order = kept.astype(np.int64, copy=True)
    marks: dict[int, str] = {}  # index into (lines + extras) -> defect kind
    inserts: list[tuple[int, int]] = []
    clean = np.ones(len(kept), bool)
    for row in sorted(picks):
        k = picks[row]
        if k == "duplicate_id":
            candidates = [r for r in range(max(0, row - 50), row) if r not in taken]
            if not candidates:
                continue
            src = candidates[int(rng.integers(0, len(candidates)))]
            extras.append(lines[int(kept[src])].as_py())
            inserts.append((row, len(extras) - 1))
        else:
            extras.append(corrupt_xapi(lines[int(kept[row])].as_py(), k, rng))
            order[row] = n_lines + len(extras) - 1
            clean[row] = False
        marks[n_lines + len(extras) - 1] = k
    if inserts:
        order = np.insert(order, np.array([r + 1 for r, _ in inserts]),
                          np.array([n_lines + e for _, e in inserts]))
    combined = pa.concat_arrays([lines, pa.array(extras, pa.string())]) if extras else lines
    at = np.flatnonzero(order >= n_lines)
    position = dict(zip(order[at].tolist(), (at + 1).tolist(), strict=True))
    block = _Block(combined.take(pa.array(order)), clean_kinds=kind[clean])
    block.marks = sorted((position[i], k) for i, k in marks.items())
    return block


def write_xapi(sim: DaySimulator, inbox: Path, days: list[date], season: dict[date, np.ndarray],
               seed: int, dirt_rate: float, log: DirtLog, progress=print) -> dict:
    folder = inbox / "xapi"
    folder.mkdir(parents=True, exist_ok=True)
    blocks = school_blocks(sim.w)
    pending: dict[int, list[tuple[pa.Array, np.ndarray]]] = {}
    ensured = False
    truncate_day = len(days) // 2 if dirt_rate > 0 else -1
    resend_day = min(2, len(days) - 1) if dirt_rate > 0 else -1
    totals = {"statements_generated": 0, "lines_written": 0, "expected_landed": 0, "late_arrivals": 0,
              "lost_in_truncated_delivery": 0, "files": 0, "blocks_per_day": len(blocks)}
    valid_by_verb = np.zeros(len(KINDS), np.int64)
    facts = {"active_students": [], "active_teachers": [], "assigned": 0, "assigned_unanswered": 0,
             "days_with_unanswered_microtests": []}

    # zlib releases the GIL: compress and write on one worker while the next block is drawn
    pipe = ThreadPoolExecutor(max_workers=1)
    for d, day in enumerate(days):
        name = f"{day.isoformat()}.jsonl.gz"
        written, n_marks, unanswered = 0, 0, 0
        active = [0, 0]
        with _GzipPipe(pipe, folder / name) as out:
            for b, schools in enumerate(blocks):
                rng = np.random.default_rng([seed, 3, d, b])
                res = sim.simulate(day, season[day], rng, schools)
                idx = res.order  # file order (by time) -> index into res.lines
                n = len(idx)
                totals["statements_generated"] += n
                active[0] += res.facts.get("active_students", 0)
                active[1] += res.facts.get("active_teachers", 0)
                facts["assigned"] += res.facts.get("assigned", 0)
                unanswered += res.facts.get("assigned_unanswered", 0)
                keep = np.ones(n, bool)

                # Late arrivals: some statements arrive in the file of a later day.
                if dirt_rate > 0 and d + 1 < len(days) and n:
                    late = rng.choice(n, size=min(n, int(rng.binomial(n, dirt_rate))), replace=False)
                    lag = np.minimum(d + rng.integers(1, 4, len(late)), len(days) - 1)
                    for target in np.unique(lag):
                        rows = np.sort(late[lag == target])
                        pending.setdefault(int(target), []).append(
                            (res.lines.take(pa.array(idx[rows])), res.kind[idx[rows]]))
                    keep[late] = False

                # A second delivery of the day cut short in transfer: its statements are lost.
                if d == truncate_day and b == 0 and n:
                    free = np.flatnonzero(keep)
                    cut = np.sort(rng.choice(free, size=min(len(free), max(5, min(200, n // 100))),
                                             replace=False))
                    keep[cut] = False
                    bad = f"{day.isoformat()}_batch2.jsonl.gz"
                    blob = _gzip(joined_bytes(res.lines.take(pa.array(idx[cut]))))
                    (folder / bad).write_bytes(blob[: max(20, int(len(blob) * 0.55))])
                    log.add("xapi", bad, bad, None, "truncated_gzip", "quarantined", "truncated_gzip")
                    totals["lost_in_truncated_delivery"] += len(cut)

                kept = idx[keep]
                kind = res.kind[kept]
                ensure = not ensured and len(kept) >= 4 * len(LINE_KINDS)
                picks = pick_dirty(rng, len(kept), dirt_rate, LINE_KINDS, ensure)
                ensured = ensured or (ensure and bool(picks))
                block = _dirty_block(res.lines, kept, kind, picks, rng)
                valid_by_verb += np.bincount(block.clean_kinds, minlength=len(KINDS))
                for pos, k in block.marks:
                    log.add("xapi", name, name, written + pos, k, "quarantined", XAPI_LINE_DEFECTS[k])
                n_marks += len(block.marks)
                if len(block.lines):
                    out.write(joined_view(block.lines))
                written += len(block.lines)

            n_late = 0
            for lines, lk in pending.pop(d, []):
                valid_by_verb += np.bincount(lk, minlength=len(KINDS))
                out.write(joined_view(lines))
                for i in range(len(lines)):
                    log.add("xapi", name, name, written + i + 1, "late_arrival", "landed", None)
                written += len(lines)
                n_late += len(lines)
        if d == resend_day:
            # "_" sorts after ".": the resend comes after the original in name order too
            shutil.copyfile(folder / name, folder / f"{day.isoformat()}_resend.jsonl.gz")
            log.add("xapi", f"{day.isoformat()}_resend.jsonl.gz", None, None, "duplicate_delivery",
                    "duplicate_delivery", None)
        totals["files"] += 1
        facts["active_students"].append(active[0])
        facts["active_teachers"].append(active[1])
        facts["assigned_unanswered"] += unanswered
        if unanswered:
            facts["days_with_unanswered_microtests"].append(day.isoformat())
        totals["late_arrivals"] += n_late
        totals["lines_written"] += written
        totals["expected_landed"] += written - n_marks
        progress(f"  xapi {name}: {written:,} statements ({n_marks} dirty, {n_late} late)")

    pipe.shutdown()
    totals["valid_by_verb"] = {k: int(v) for k, v in zip(KINDS, valid_by_verb, strict=True)}
    totals["dirty_by_kind"] = log.counts("xapi")
    facts["mean_active_students_per_day"] = float(np.mean(facts.pop("active_students") or [0]))
    facts["mean_active_teachers_per_day"] = float(np.mean(facts.pop("active_teachers") or [0]))
    totals["facts"] = facts
    return totals
