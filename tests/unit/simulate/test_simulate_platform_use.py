"""The platform-use behaviour the governance loop needs: indicators that differ from one
another, lagging schools, and schools that improve after the month they were flagged."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from datetime import date, datetime

import numpy as np

from eduhouse_dev.simulate.catalog import build_catalog
from eduhouse_dev.simulate.world import build_world
from eduhouse_dev.simulate.xapi import DaySimulator
from eduhouse_dev.simulate.xapi_platform import SchoolTrends, iso_duration
from eduhouse_dev.simulate.xapi_statements import KINDS, build_fragments


def _instant(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _statements(lake):
    for f in sorted((lake / "inbox" / "xapi").glob("*.jsonl.gz")):
        for line in gzip.decompress(f.read_bytes()).decode().splitlines():
            yield json.loads(line)


def test_viewers_are_fewer_than_people_online(clean_lake):
    lake, _ = clean_lake
    online, viewers, registered = set(), set(), set()
    for st in _statements(lake):
        who, verb = st["actor"]["account"]["name"], st["verb"]["id"]
        if verb.endswith("/logged-in"):
            online.add(who)
        elif verb.endswith("/viewed"):
            viewers.add(who)
        elif verb.endswith("/registered"):
            registered.add(who)
    # Resource views are not logins: some people online never open a resource.
    assert viewers < online and len(viewers) < 0.9 * len(online)
    # Everyone on the platform registered on first use (some registered without using it).
    assert online <= registered


def test_voided_statements_point_at_an_earlier_evaluation(clean_lake):
    lake, _ = clean_lake
    evaluations, voided = {}, []
    for st in _statements(lake):
        if st["verb"]["id"].endswith("/verbs/evaluated"):
            evaluations[st["id"]] = st
        elif st["verb"]["id"].endswith("/verbs/voided"):
            voided.append(st)
    assert evaluations and voided
    for st in voided:
        target = evaluations[st["object"]["id"]]
        assert target["actor"] == st["actor"]  # a teacher withdraws their own comment ...
        assert _instant(target["timestamp"]) < _instant(st["timestamp"])  # ... after writing it
        assert st["object"]["objectType"] == "StatementRef"


def test_every_other_lagging_school_improves_after_its_first_month():
    world = build_world("small", 42, date(2021, 10, 1))
    trends = SchoolTrends.build(world, date(2021, 10, 1))
    lagging = np.flatnonzero(world.school_band == "low")
    assert trends.improver.sum() == (len(lagging) + 1) // 2 and not trends.improver[world.school_band != "low"].any()
    assert trends.improve_from == date(2021, 11, 1)
    assert not trends.improved(date(2021, 10, 31)) and trends.improved(date(2021, 11, 1))
    # joiners come only from the non-users of improving schools
    assert not (trends.stu_joiner & world.stu_user).any()
    assert trends.improver[world.stu_school[trends.stu_joiner]].all()

    catalog = build_catalog()
    sim = DaySimulator(world, catalog, build_fragments(world, catalog, np.random.default_rng(1)), date(2021, 10, 1))
    season = np.ones(13)
    active = defaultdict(list)
    for day in (date(2021, 10, 26), date(2021, 10, 27), date(2021, 11, 2), date(2021, 11, 3)):
        res = sim.simulate(day, season, np.random.default_rng([day.toordinal()]))
        logins = res.kind == KINDS.index("login")
        lines = res.lines.filter(logins).to_pylist()
        names = {json.loads(x)["actor"]["account"]["name"] for x in lines}
        school_of = dict(zip(world.stu_ids.tolist(), world.stu_school.tolist(), strict=True))
        per_school = np.bincount([school_of[n] for n in names if n in school_of], minlength=len(world.school_ids))
        active[day.month].append(per_school)
    before, after = np.mean(active[10], axis=0), np.mean(active[11], axis=0)
    improving = trends.improver
    # Improving schools have clearly more students online after the flag month; the others do not.
    assert (after[improving] > 1.5 * before[improving]).all()
    others = ~improving & (before > 0)
    assert (after[others] < 1.5 * before[others]).all()


def test_iso_durations():
    assert iso_duration(np.array([45 * 60.0, 5400.0, 61.4, 0.0])).to_pylist() == ["PT45M", "PT1H30M", "PT1M1S", "PT0S"]
