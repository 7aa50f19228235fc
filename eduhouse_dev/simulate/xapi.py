"""xAPI 1.0.3 learning logs of the platform, one gzip JSON-lines file per local day.

Behaviour comes from the world's latent traits: platform users are a school-engagement
share of each school; on a day each user is active with a weekday / exam-season rhythm
scaled by a propensity that rises with ability; item answers follow a logistic model
of ability. Statements are assembled column-wise from precomputed JSON fragments with
Arrow string joins (no Python object per statement).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from eduhouse_dev.simulate.catalog import Catalog
from eduhouse_dev.simulate.world import SEGMENT_GRADES, SEGMENT_SUBJECTS, SUBJECTS, World
from eduhouse_dev.simulate.xapi_platform import (
    HOMEWORK_TYPE,
    SchoolTrends,
    activity_object,
    iso_duration,
    platform_events,
)
from eduhouse_dev.simulate.xapi_statements import (
    HOUR,
    KINDS,
    KP_EXT,
    LOCAL_OFFSET_MS,
    NS,
    PLATFORM,
    RESOURCES_PER_GRADE_SUBJECT,
    DayEvents,
    DayResult,
    Fragments,
    as_strings,
    assemble,
    true_false,
    uuid4,
)


class DaySimulator:
    """Draws the platform's activity of one local day."""

    def __init__(self, world: World, catalog: Catalog, fragments: Fragments, start: date | None = None):
        self.w = world
        self.trends = SchoolTrends.build(world, start)
        # Who has registered on the platform so far (students then teachers); days run in order.
        self.registered = np.zeros(world.n_students + len(world.tch_ids), bool)
        self.cat = catalog
        self.fr = fragments
        self.n_stu = world.n_students
        seg = world.school_segment[world.stu_school]
        self.stu_subjects = {s: np.array([SUBJECTS.index(x) for x in SEGMENT_SUBJECTS[s]])
                             for s in SEGMENT_GRADES}
        self.stu_seg = seg
        self.subject_index = np.array([SUBJECTS.index(s) for s in world.tc_subject.tolist()])
        self.tc_grade = world.hr_grade[world.tc_homeroom]
        self.tc_school = world.hr_school[world.tc_homeroom]
        self.low_school = world.school_band == "low"

    def simulate(self, day: date, season: np.ndarray, rng: np.random.Generator,
                 schools: np.ndarray | None = None) -> DayResult:
        """The day's statements of the people of `schools` (a mask; all schools when None)."""
        w, fr = self.w, self.fr
        if schools is None:
            schools = np.ones(len(w.school_ids), bool)
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
        midnight -= LOCAL_OFFSET_MS  # local midnight as a UTC instant
        dow = day.weekday()
        weekday = dow < 5
        events: list[DayEvents] = []

        def ms(local_seconds: np.ndarray) -> np.ndarray:
            clipped = np.clip(local_seconds, 0, 86_399.999)
            return midnight + (clipped * 1000).astype(np.int64)

        # Teachers: log in during the school day, assign micro-tests and homework.
        n_t = len(w.tch_ids)
        t_act = w.tch_user & schools[w.tch_school] & (rng.random(n_t) < (0.65 if weekday else 0.15))
        t_idx = np.flatnonzero(t_act)
        t_login = (rng.uniform(7, 17, len(t_idx)) if weekday else rng.uniform(9, 21, len(t_idx))) * HOUR
        t_actor = self.n_stu + t_idx
        events.append(DayEvents("login", t_actor, ms(t_login), PLATFORM))
        t_out = rng.random(len(t_idx)) < 0.8
        events.append(DayEvents("logout", t_actor[t_out],
                                ms(t_login[t_out] + rng.uniform(600, 5400, int(t_out.sum()))), PLATFORM))
        login_of_teacher = np.full(n_t, np.nan)
        login_of_teacher[t_idx] = t_login
        viewers = self.trends.tch_viewer[t_idx]
        self._views(events, t_actor[viewers], t_login[viewers], w.school_segment[w.tch_school[t_idx[viewers]]],
                    None, 2.0, rng, ms, teacher_subject=w.tch_subject[t_idx[viewers]])

        tc_active = t_act[w.tc_teacher]
        assigned = np.flatnonzero(tc_active & (rng.random(len(w.tc_ids)) < (0.7 if weekday else 0.0)))
        a_time = login_of_teacher[w.tc_teacher[assigned]] + rng.uniform(60, 900, len(assigned))
        n_items = rng.integers(5, 11, len(assigned))
        nobody = self.low_school[self.tc_school[assigned]] & (rng.random(len(assigned)) < 0.35)
        stamp = day.strftime("%Y%m%d")
        mt_iri = pc.binary_join_element_wise(  # one micro-test per class and day at most
            f"{NS}/microtests/mt-{stamp}-", pc.utf8_lpad(as_strings(assigned + 1), 6, "0"), "")
        mt_obj = pc.binary_join_element_wise(
            '{"objectType":"Activity","id":"', mt_iri,
            '","definition":{"type":"http://adlnet.gov/expapi/activities/assessment"}}', "")
        grouping = self.fr.classes.take(pa.array(assigned))
        events.append(DayEvents(
            "assign", self.n_stu + w.tc_teacher[assigned], ms(a_time), mt_obj,
            context=pc.binary_join_element_wise('{"contextActivities":{"grouping":[', grouping, "]}}", "")))

        homework = np.flatnonzero(tc_active & (rng.random(len(w.tc_ids)) < (0.25 if weekday else 0.0)))

        # Students: platform users, active today by rhythm x propensity x exam season.
        base = 0.5 if weekday else (0.22 if dow == 5 else 0.3)
        q = np.minimum(base * w.stu_propensity * season[w.stu_grade]
                       * self.trends.student_factor(day, w.stu_school), 0.95)
        users = self.trends.student_users(day, w.stu_user)
        s_idx = np.flatnonzero(users & schools[w.stu_school] & (rng.random(self.n_stu) < q))
        if weekday:
            start = np.where(rng.random(len(s_idx)) < 0.8, rng.normal(19.3, 1.4, len(s_idx)),
                             rng.uniform(12, 13.5, len(s_idx))) * HOUR
        else:
            start = rng.uniform(8, 22, len(s_idx)) * HOUR
        start = np.clip(start, 6.5 * HOUR, 23.2 * HOUR)
        session = np.full(self.n_stu, np.nan)
        session[s_idx] = start
        last = np.full(self.n_stu, np.nan)
        last[s_idx] = start
        events.append(DayEvents("login", s_idx, ms(start), PLATFORM))
        extra = rng.random(len(s_idx)) < 0.25
        e_start = np.maximum(start[extra] - rng.uniform(1800, 4 * HOUR, int(extra.sum())), 6 * HOUR)
        events.append(DayEvents("login", s_idx[extra], ms(e_start), PLATFORM))
        events.append(DayEvents("logout", s_idx[extra], ms(e_start + rng.uniform(120, 1200, len(e_start))),
                                PLATFORM))
        viewers = self.trends.stu_viewer[s_idx]
        v_t = self._views(events, s_idx[viewers], start[viewers], self.stu_seg[s_idx[viewers]],
                          w.stu_grade[s_idx[viewers]], 5.0, rng, ms)
        if v_t is not None:
            np.fmax.at(last, v_t[0], v_t[1])

        facts = self._microtests(events, assigned, a_time, n_items, nobody, mt_iri, grouping, session,
                                 last, rng, ms)
        facts["assigned"] = len(assigned)
        facts["active_students"] = len(s_idx)
        facts["active_teachers"] = len(t_idx)

        # Homework submissions by active students of the classes that got homework.
        if len(homework):
            pos, hw_stu = self._members_of(homework)
            hw_cls = homework[pos]
            ok = ~np.isnan(session[hw_stu]) & (rng.random(len(hw_stu)) < 0.6)
            hw_cls, hw_stu = hw_cls[ok], hw_stu[ok]
            t = session[hw_stu] + rng.uniform(300, 3000, len(hw_stu))
            np.fmax.at(last, hw_stu, t)
            hw_iri = activity_object("homework/hw", stamp, hw_cls, HOMEWORK_TYPE)
            ctx = pc.binary_join_element_wise('{"contextActivities":{"grouping":[',
                                              self.fr.classes.take(pa.array(hw_cls)), "]}}", "")
            events.append(DayEvents("submit", hw_stu, ms(t), hw_iri, context=ctx))

        first_seen = start.copy()
        first_seen[extra] = np.minimum(first_seen[extra], e_start)
        self._platform_use(events, day, stamp, weekday, tc_active, homework, login_of_teacher, session, last,
                           s_idx, first_seen, t_idx, t_login, schools, rng, ms)
        out = rng.random(len(s_idx)) < 0.75
        lo = s_idx[out]
        events.append(DayEvents("logout", lo, ms(last[lo] + rng.uniform(30, 900, len(lo))), PLATFORM))

        lines, t_all, kinds = [], [], []
        for ev in events:
            if len(ev.actor) == 0:
                continue
            lines.append(assemble(ev, fr, rng))
            t_all.append(ev.t_ms)
            kinds.append(np.full(len(ev.actor), KINDS.index(ev.kind), dtype=np.int8))
        if not lines:
            empty = np.array([], np.int64)
            return DayResult(pa.array([], pa.string()), empty, np.array([], np.int8), empty, facts)
        t_cat = np.concatenate(t_all)
        order = np.argsort(t_cat, kind="stable")
        return DayResult(pa.concat_arrays(lines), t_cat, np.concatenate(kinds), order, facts)

    def _platform_use(self, events, day, stamp, weekday, tc_active, homework, login_of_teacher, session, last,
                      s_idx, first_seen, t_idx, t_login, schools, rng, ms) -> None:
        def add(kind, actor, t_ms, obj, result=None, context=None, ids=None):
            events.append(DayEvents(kind, actor, t_ms, obj, result, context, ids))

        platform_events(self, add, lambda n: uuid4(rng, n), day, stamp, weekday, tc_active, homework,
                        login_of_teacher, session, last, s_idx, first_seen, t_idx, t_login, schools, rng, ms)

    def _views(self, events, actors, start, segments, grades, rate, rng, ms, teacher_subject=None):
        """Resource views with their knowledge points; returns (student, time) for students."""
        n = rng.poisson(rate, len(actors))
        if teacher_subject is None:
            n = rng.poisson(rate * self.w.stu_propensity[actors])
        rep = np.repeat(np.arange(len(actors)), n)
        if len(rep) == 0:
            return None
        t = start[rep] + rng.uniform(30, 3600, len(rep))
        objs, kps = [], []
        order = []
        seg = segments[rep]
        if teacher_subject is not None:
            subj = teacher_subject[rep]
            lo = np.array([SEGMENT_GRADES[s][0] for s in seg.tolist()], dtype=np.int64)
            grade = lo + rng.integers(0, 3, len(rep)) * (1 + (lo == 1))
        else:
            grade = grades[rep]
            subj = np.empty(len(rep), dtype=object)
            for s, idx in self.stu_subjects.items():
                m = seg == s
                subj[m] = np.array(SUBJECTS, dtype=object)[idx[rng.integers(0, len(idx), int(m.sum()))]]
        res = rng.integers(0, RESOURCES_PER_GRADE_SUBJECT, len(rep))
        for key in self.fr.res_object:
            m = np.flatnonzero((subj == key[0]) & (grade == key[1]))
            if len(m) == 0:
                continue
            take = pa.array(res[m])
            objs.append(self.fr.res_object[key].take(take))
            kps.append(self.fr.res_kps[key].take(take))
            order.append(m)
        idx = np.concatenate(order)
        ctx = pc.binary_join_element_wise('{"extensions":{"' + KP_EXT + '":', pa.concat_arrays(kps), "}}", "")
        watched = pc.binary_join_element_wise('{"duration":"', iso_duration(rng.uniform(20, 900, len(idx))),
                                              '"}', "")
        events.append(DayEvents("viewed", actors[rep][idx], ms(t[idx]), pa.concat_arrays(objs), watched, ctx))
        return (actors[rep][idx], t[idx]) if teacher_subject is None else None

    def _microtests(self, events, assigned, a_time, n_items, nobody, mt_iri, grouping, session, last,
                    rng, ms) -> dict:
        """Answers (per item) and completions by active students of the assigned classes."""
        facts = {"assigned_unanswered": 0}
        if len(assigned) == 0:
            return facts
        a_rep, stu = self._members_of(assigned)
        ok = ~np.isnan(session[stu]) & ~nobody[a_rep] & (rng.random(len(stu)) < 0.8)
        a_rep, stu = a_rep[ok], stu[ok]
        answered_any = np.zeros(len(assigned), bool)
        answered_any[a_rep] = True
        facts["assigned_unanswered"] = int((~answered_any).sum())
        if len(stu) == 0:
            return facts
        t0 = np.maximum(session[stu], a_time[a_rep] + 60) + rng.uniform(0, 600, len(stu))
        reg = uuid4(rng, len(stu))
        k = n_items[a_rep]
        rep = np.repeat(np.arange(len(stu)), k)
        item_no = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
        # per-attempt cumulative time: restart the running sum at each attempt
        steps = rng.uniform(20, 90, len(rep))
        cum = np.cumsum(steps)
        base = np.repeat(cum[np.cumsum(k) - k] - steps[np.cumsum(k) - k], k)
        t_item = t0[rep] + (cum - base)
        cls = assigned[a_rep]
        subj = self.subject_index[cls]
        # item difficulty and max from a hash of (micro-test, item) so all students share it
        item_key = (a_rep[rep] * 12 + item_no).astype(np.int64)
        b_table = rng.normal(0, 1, len(assigned) * 12)
        max_table = rng.choice([1, 1, 1, 2, 3], len(assigned) * 12)
        kp_pick = rng.integers(0, 20, len(assigned) * 12)
        theta = self.w.stu_ability[stu][rep] + self.w.stu_subject_offset[stu[rep], subj[rep]]
        p = 1 / (1 + np.exp(-1.7 * (theta - b_table[item_key])))
        mx = max_table[item_key]
        raw = rng.binomial(mx, p)
        item_iri = pc.binary_join_element_wise(mt_iri.take(pa.array(a_rep[rep])), "/items/",
                                               as_strings(item_no + 1), "")
        obj = pc.binary_join_element_wise(
            '{"objectType":"Activity","id":"', item_iri,
            '","definition":{"type":"http://adlnet.gov/expapi/activities/cmi.interaction",'
            '"interactionType":"choice"}}', "")
        result = pc.binary_join_element_wise('{"success":', true_false(raw == mx), ',"score":{"raw":', as_strings(raw),
                                             ',"min":0,"max":', as_strings(mx), "}}", "")
        tc_grade = self.tc_grade[cls[rep]]
        kp = np.empty(len(rep), dtype=object)
        for (sname, g), leaves in self.cat.leaves.items():
            m = (subj[rep] == SUBJECTS.index(sname)) & (tc_grade == g)
            if m.any():
                kp[m] = leaves[kp_pick[item_key[m]] % len(leaves)]
        parent = pc.binary_join_element_wise('{"id":"', mt_iri.take(pa.array(a_rep[rep])),
                                             '","objectType":"Activity"}', "")
        group_r = grouping.take(pa.array(a_rep[rep]))
        ctx = pc.binary_join_element_wise(
            '{"registration":"', reg.take(pa.array(rep)), '","contextActivities":{"parent":[', parent,
            '],"grouping":[', group_r, ']},"extensions":{"' + KP_EXT + '":["',
            pa.array(kp.tolist(), pa.string()), '"]}}', "")
        events.append(DayEvents("answered", stu[rep], ms(t_item), obj, result, ctx))

        # completion: sum over the attempt's items
        ends = np.cumsum(k) - 1
        total = np.add.reduceat(raw, np.cumsum(k) - k)
        total_max = np.add.reduceat(mx, np.cumsum(k) - k)
        t_done = t_item[ends] + rng.uniform(5, 30, len(stu))
        np.fmax.at(last, stu, t_done)
        scaled = np.round(total / total_max, 2)
        c_obj = pc.binary_join_element_wise(
            '{"objectType":"Activity","id":"', mt_iri.take(pa.array(a_rep)),
            '","definition":{"type":"http://adlnet.gov/expapi/activities/assessment"}}', "")
        c_res = pc.binary_join_element_wise(
            '{"completion":true,"success":', true_false(scaled >= 0.6), ',"score":{"raw":', as_strings(total),
            ',"min":0,"max":', as_strings(total_max), ',"scaled":', as_strings(scaled), '},"duration":"',
            iso_duration(t_done - t0), '"}', "")
        c_ctx = pc.binary_join_element_wise('{"registration":"', reg, '","contextActivities":{"grouping":[',
                                            grouping.take(pa.array(a_rep)), "]}}", "")
        events.append(DayEvents("completed", stu, ms(t_done), c_obj, c_res, c_ctx))
        facts["attempts"] = len(stu)
        return facts

    def _members_of(self, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in `classes`, student) pairs."""
        hr = self.w.tc_homeroom[classes]
        sizes = self.w.hr_size[hr]
        rep = np.repeat(np.arange(len(classes)), sizes)
        within = np.arange(len(rep)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        return rep, self.w.hr_offset[hr][rep] + within
