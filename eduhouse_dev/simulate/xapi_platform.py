"""The platform-use events a county watches to find lagging schools (Linze's governance loop).

Registration on first use, homework and check-ins published by teachers, check-ins done
by students, student evaluations published (a few voided again by their teacher soon
after, as a corrected comment is), and teacher training attended with its duration.

Behaviour over time: some schools lag (the low-engagement band); every other lagging
school improves from the month after the window starts — as a school flagged in its
first month and followed up would: its platform users come back more often and some of
its non-users join. Traits that must not disturb the world's random stream (who views
resources at all, who joins an improving school) come from their own seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NS = "https://slp.example.edu.cn"
PLATFORM_VERBS = {
    "registered": "http://adlnet.gov/expapi/verbs/registered",
    "assign_homework": "http://activitystrea.ms/schema/1.0/assign",
    "assign_checkin": "http://activitystrea.ms/schema/1.0/assign",
    "checkin_done": "http://adlnet.gov/expapi/verbs/completed",
    "evaluated": f"{NS}/verbs/evaluated",
    "attended": "http://adlnet.gov/expapi/verbs/attended",
    "voided": "http://adlnet.gov/expapi/verbs/voided",
}
HOMEWORK_TYPE = f"{NS}/activitytypes/homework"
CHECKIN_TYPE = f"{NS}/activitytypes/check-in"
MEETING_TYPE = "http://adlnet.gov/expapi/activities/meeting"
COMMENTS = ("课堂表现积极，继续保持", "作业认真，书写工整", "需要加强基础练习", "本周进步明显", "请按时完成打卡")
TRAINING_MINUTES = np.array([45, 60, 90, 120, 180])
# Shares that make the indicators differ from one another (each a plain behavioural guess).
STUDENT_VIEWER_SHARE = 0.65  # students who ever open a resource (the rest only test and hand in)
TEACHER_VIEWER_SHARE = 0.8
IMPROVED_ACTIVITY = 1.8  # activity of an improving school's users after the flag month
IMPROVED_JOINERS = 0.35  # share of an improving school's non-users who start using it
SPONTANEOUS_REGISTRATION = 0.002  # a non-user registers on a weekday without using it further
VOID_SHARE = 0.06  # evaluations withdrawn by their teacher the same day


def iso_duration(seconds: np.ndarray) -> pa.Array:
    """ISO 8601 durations like PT1H30M or PT245S (whole seconds)."""
    s = np.round(seconds).astype(np.int64)
    h, rest = np.divmod(s, 3600)
    m, sec = np.divmod(rest, 60)
    text = ["PT" + (f"{a}H" if a else "") + (f"{b}M" if b else "") + (f"{c}S" if c or not (a or b) else "")
            for a, b, c in zip(h.tolist(), m.tolist(), sec.tolist(), strict=True)]
    return pa.array(text, pa.string())


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass
class SchoolTrends:
    """Who lags, who improves and when; traits drawn once for the whole window."""

    improver: np.ndarray  # per school
    improve_from: date | None
    stu_viewer: np.ndarray
    tch_viewer: np.ndarray
    stu_joiner: np.ndarray  # non-users of improving schools who start using the platform

    @classmethod
    def build(cls, world, start: date | None) -> SchoolTrends:
        rng = np.random.default_rng([world.n_students, len(world.tch_ids), 2025])
        lagging = np.flatnonzero(world.school_band == "low")
        lagging = lagging[np.argsort(world.school_ids[lagging])]
        improver = np.zeros(len(world.school_ids), bool)
        improver[lagging[::2]] = True
        stu_viewer = rng.random(world.n_students) < STUDENT_VIEWER_SHARE
        tch_viewer = rng.random(len(world.tch_ids)) < TEACHER_VIEWER_SHARE
        joiner = ~world.stu_user & improver[world.stu_school] & (rng.random(world.n_students) < IMPROVED_JOINERS)
        return cls(improver, _first_of_next_month(start) if start else None, stu_viewer, tch_viewer, joiner)

    def improved(self, day: date) -> bool:
        return self.improve_from is not None and day >= self.improve_from

    def student_factor(self, day: date, stu_school: np.ndarray) -> np.ndarray:
        if not self.improved(day):
            return np.ones(len(stu_school))
        return np.where(self.improver[stu_school], IMPROVED_ACTIVITY, 1.0)

    def student_users(self, day: date, stu_user: np.ndarray) -> np.ndarray:
        return stu_user | self.stu_joiner if self.improved(day) else stu_user


def activity_object(kind_path: str, stamp: str, index: np.ndarray, type_iri: str) -> pa.Array:
    """Activity JSON per index: `<NS>/<kind_path>/<prefix>-<day>-<index>` of `type_iri`."""
    ids = pc.utf8_lpad(pc.cast(pa.array(index), pa.string()), 6, "0")
    return pc.binary_join_element_wise(
        '{"objectType":"Activity","id":"' + f"{NS}/{kind_path}-{stamp}-", ids,
        '","definition":{"type":"' + type_iri + '"}}', "")


def comments(rng: np.random.Generator, n: int) -> pa.Array:
    picked = pa.array(np.array(COMMENTS, dtype=object)[rng.integers(0, len(COMMENTS), n)].tolist(), pa.string())
    return pc.binary_join_element_wise('{"response":"', picked, '"}', "")


def statement_refs(ids: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('{"objectType":"StatementRef","id":"', ids, '"}', "")


def platform_events(sim, add, new_ids, day: date, stamp: str, weekday: bool, tc_active: np.ndarray,
                    homework: np.ndarray, login_of_teacher: np.ndarray, session: np.ndarray,
                    last: np.ndarray, s_idx: np.ndarray, first_seen: np.ndarray, t_idx: np.ndarray,
                    t_login: np.ndarray, schools: np.ndarray, rng: np.random.Generator, ms) -> None:
    """Append the day's platform-use events through `add(kind, actor, t_ms, obj, result=,
    context=, ids=)`. `sim` is the DaySimulator (world, fragments, registration state)."""
    w, n_stu = sim.w, sim.n_stu
    teacher_of = w.tc_teacher
    grouping = sim.fr.classes

    def class_ctx(classes: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise('{"contextActivities":{"grouping":[',
                                           grouping.take(pa.array(classes)), "]}}", "")

    # Homework published: the classes that got homework today (their submissions exist).
    if len(homework):
        t = login_of_teacher[teacher_of[homework]] + rng.uniform(60, 1800, len(homework))
        add("assign_homework", n_stu + teacher_of[homework], ms(t),
            activity_object("homework/hw", stamp, homework, HOMEWORK_TYPE), context=class_ctx(homework))

    # Check-ins published, and done by the class's students who are on the platform today.
    checkins = np.flatnonzero(tc_active & (rng.random(len(w.tc_ids)) < (0.12 if weekday else 0.0)))
    if len(checkins):
        obj = activity_object("checkins/ci", stamp, checkins, CHECKIN_TYPE)
        t_pub = login_of_teacher[teacher_of[checkins]] + rng.uniform(60, 1800, len(checkins))
        add("assign_checkin", n_stu + teacher_of[checkins], ms(t_pub), obj, context=class_ctx(checkins))
        pos, stu = sim._members_of(checkins)
        done = ~np.isnan(session[stu]) & (rng.random(len(stu)) < 0.7)
        pos, stu = pos[done], stu[done]
        if len(stu):
            t_done = np.maximum(session[stu], t_pub[pos] + 60) + rng.uniform(30, 1200, len(stu))
            np.fmax.at(last, stu, t_done)
            add("checkin_done", stu, ms(t_done), obj.take(pa.array(pos)),
                result=pa.array(['{"completion":true}'] * len(stu), pa.string()), context=class_ctx(checkins[pos]))

    # Student evaluations: a few comments per active teaching class; some withdrawn soon after.
    n_eval = rng.poisson(0.8, len(w.tc_ids)) * tc_active * (1 if weekday else 0)
    ev_cls = np.repeat(np.arange(len(w.tc_ids)), n_eval)
    if len(ev_cls):
        hr = w.tc_homeroom[ev_cls]
        student = w.hr_offset[hr] + rng.integers(0, w.hr_size[hr])
        teacher = teacher_of[ev_cls]
        t_ev = login_of_teacher[teacher] + rng.uniform(300, 3 * 3600, len(ev_cls))
        ids = new_ids(len(ev_cls))
        add("evaluated", n_stu + teacher, ms(t_ev), sim.fr.actors.take(pa.array(student)),
            result=comments(rng, len(ev_cls)), context=class_ctx(ev_cls), ids=ids)
        void = np.flatnonzero(rng.random(len(ev_cls)) < VOID_SHARE)
        if len(void):
            add("voided", n_stu + teacher[void], ms(t_ev[void] + rng.uniform(60, 3600, len(void))),
                statement_refs(ids.take(pa.array(void))))

    # Training attended by a few teachers on a weekday, with its duration.
    trained = t_idx[rng.random(len(t_idx)) < (0.05 if weekday else 0.0)]
    if len(trained):
        minutes = TRAINING_MINUTES[rng.integers(0, len(TRAINING_MINUTES), len(trained))]
        t_tr = np.clip(login_of_teacher[trained] + 600, 0, 86_399 - minutes * 60)
        add("attended", n_stu + trained, ms(t_tr),
            activity_object("trainings/tr", stamp, trained, MEETING_TYPE),
            result=pc.binary_join_element_wise('{"duration":"', iso_duration(minutes * 60.0), '"}', ""))

    # Registration: everyone on the platform today registers on first use; a few non-users
    # register on a weekday and go no further (registered, never active).
    actors = np.concatenate([s_idx, n_stu + t_idx])
    first = np.concatenate([first_seen, t_login])
    new = ~sim.registered[actors]
    idle = np.flatnonzero(~sim.registered[:n_stu] & ~sim.trends.student_users(day, w.stu_user)
                          & schools[w.stu_school] & (rng.random(n_stu) < (SPONTANEOUS_REGISTRATION if weekday else 0)))
    reg_actor = np.concatenate([actors[new], idle])
    reg_time = np.concatenate([first[new] - rng.uniform(5, 120, int(new.sum())),
                               rng.uniform(8, 21, len(idle)) * 3600])
    if len(reg_actor):
        sim.registered[reg_actor] = True
        add("registered", reg_actor, ms(reg_time),
            '{"objectType":"Activity","id":"' + NS + '","definition":{"type":"http://id.tincanapi.com/activitytype/lms"}}')
